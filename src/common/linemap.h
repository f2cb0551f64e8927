/*
 * linemap.h — which input line each row of a batch came from, and the
 * line's first bytes: COPY FROM keeps one per batch in flight, so that a
 * row a shard refuses (mur_error.row) is reported at its line, as
 * PostgreSQL's "COPY t, line N[: "text"]" CONTEXT.
 *
 * Memory: a mur_buf the caller owns (mur_linemap_init / mur_linemap_free);
 * each row costs 12 bytes, plus its text when kept (at most
 * MUR_LINEMAP_TEXT_MAX bytes: the CONTEXT cuts a line at 100 bytes).
 */
#ifndef COMMON_LINEMAP_H
#define COMMON_LINEMAP_H

#include "common/buf.h"

#include <stddef.h>
#include <stdint.h>

#define MUR_LINEMAP_TEXT_MAX 104 /* past PostgreSQL's 100: the cut and its "..." still show */

typedef struct mur_linemap {
	mur_buf b; /* per row: u64 line | u32 text bytes | text */
	uint32_t rows;
} mur_linemap;

void mur_linemap_init(mur_linemap *m);
void mur_linemap_free(mur_linemap *m);

/* Append the next row: its line and the line's text (NULL: not kept),
 * cut to MUR_LINEMAP_TEXT_MAX bytes.  Out of memory shows in
 * mur_linemap_get's answer, never as a failure here. */
void mur_linemap_add(mur_linemap *m, uint64_t line, const char *text, size_t n);

/* Row row (1-based): its line, its text (*text NULL: not kept) of *n
 * bytes, pointing into m.  0 when m has no such row. */
int mur_linemap_get(const mur_linemap *m, uint32_t row, uint64_t *line, const char **text,
		    size_t *n);

#endif
