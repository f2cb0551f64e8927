/*
 * rowmerge.h — a k-way merge of sorted row batches (mur_row encoding),
 * for a cursor over ORDER BY that reads each shard's rows in sort order
 * a batch at a time (leader/lead_stream.c).
 *
 * Each source (a shard) is given one batch at a time, its rows already
 * in the order the keys give; a binary heap over the sources' current
 * rows picks the next.  The merge moves rows out only while no source is
 * dry (its batch used up while more may follow): the next row could be
 * that source's, so the caller first fetches its next batch.  Memory:
 * one batch per source.
 *
 * The order is SQLite's ORDER BY with murphy's collations, as the shards
 * and the leader's final sort give it (sql/emit.c sql_emit_sort): NULL
 * placed by nulls_first; then numbers (INT and FLOAT by value) before
 * text before blobs; text by bytes (MUR_SORT_BINARY), by numeric value
 * (MUR_SORT_NUMERIC: common/numeric.h's text compare) or without
 * trailing blanks (MUR_SORT_BPCHAR: SQLite's RTRIM); DESC reverses all
 * but the place of NULL.
 */
#ifndef MUR_ROWMERGE_H
#define MUR_ROWMERGE_H

#include "common/buf.h"
#include "common/value.h"

#include <stdint.h>

enum { MUR_SORT_BINARY = 0, MUR_SORT_NUMERIC = 1, MUR_SORT_BPCHAR = 2 };

typedef struct mur_sortkey {
	uint32_t col;        /* the row's column */
	uint8_t coll;        /* MUR_SORT_* */
	uint8_t desc;        /* DESC */
	uint8_t nulls_first; /* NULLS FIRST */
} mur_sortkey;

/* a and b (rows of values) by keys[0..n): <0, 0, >0. */
int mur_sortkey_cmp(const mur_sortkey *keys, int n, const mur_value *a, const mur_value *b);

typedef struct mur_rowmerge mur_rowmerge;

/* A merge of nsrc sources of rows of ncols values, every source dry.
 * NULL: out of memory. */
mur_rowmerge *mur_rowmerge_new(uint32_t nsrc, uint32_t ncols, const mur_sortkey *keys, int nkeys);
void mur_rowmerge_free(mur_rowmerge *m);

/* Source src's next batch: the nrows rows in *rows, after the rows src
 * still holds (a batch may come before src runs dry); last: no batch
 * follows.  The merge takes the bytes of a dry source's batch (*rows is
 * then another buffer, to reset or free), else copies them.  MUR_OK,
 * MUR_ENOMEM, MUR_ERR (malformed, or src had its last). */
int mur_rowmerge_put(mur_rowmerge *m, uint32_t src, mur_buf *rows, uint64_t nrows, int last);

/* Rows src holds (not yet moved out). */
uint64_t mur_rowmerge_held(const mur_rowmerge *m, uint32_t src);

/* Whether a batch may follow src's rows (its last has not come). */
int mur_rowmerge_more(const mur_rowmerge *m, uint32_t src);

/* A dry source (its next batch is wanted), or -1: none. */
int mur_rowmerge_dry(const mur_rowmerge *m);

/* Every source is used up: no row follows. */
int mur_rowmerge_done(const mur_rowmerge *m);

/* Move up to max rows, in order, to out (NULL: drop them) while no
 * source is dry; *n gets how many.  MUR_OK, MUR_ENOMEM, MUR_ERR. */
int mur_rowmerge_take(mur_rowmerge *m, uint64_t max, mur_buf *out, uint64_t *n);

#endif
