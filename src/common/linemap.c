/*
 * linemap.c — rows of a batch to their input lines (linemap.h).  Rows are
 * appended in order; a lookup walks them (done once, when a batch fails).
 */
#include "common/linemap.h"

#include <endian.h>
#include <string.h>

void mur_linemap_init(mur_linemap *m)
{
	mur_buf_init(&m->b);
	m->rows = 0;
}

void mur_linemap_free(mur_linemap *m)
{
	mur_buf_free(&m->b);
	m->rows = 0;
}

void mur_linemap_add(mur_linemap *m, uint64_t line, const char *text, size_t n)
{
	size_t keep = text ? (n < MUR_LINEMAP_TEXT_MAX ? n : MUR_LINEMAP_TEXT_MAX) : 0;
	uint32_t len = text ? (uint32_t)keep : UINT32_MAX;
	uint64_t be_line = htobe64(line);
	uint32_t be_len = htobe32(len);
	char rec[12]; /* u64 line, u32 length, as mur_buf_put_u64/u32: one put per row */
	memcpy(rec, &be_line, 8);
	memcpy(rec + 8, &be_len, 4);
	mur_buf_put(&m->b, rec, sizeof rec);
	if (keep)
		mur_buf_put(&m->b, text, keep);
	m->rows++;
}

int mur_linemap_get(const mur_linemap *m, uint32_t row, uint64_t *line, const char **text,
		    size_t *n)
{
	mur_rd rd;
	if (row == 0 || row > m->rows || !mur_buf_ok(&m->b))
		return 0;
	mur_rd_init(&rd, m->b.data, m->b.len);
	for (uint32_t r = 1;; r++) {
		uint64_t l = mur_rd_u64(&rd);
		uint32_t len = mur_rd_u32(&rd);
		const char *p = len == UINT32_MAX || len == 0 ? "" : mur_rd_bytes(&rd, len);
		if (!mur_rd_ok(&rd) || !p)
			return 0;
		if (r == row) {
			*line = l;
			*text = len == UINT32_MAX ? NULL : p;
			*n = len == UINT32_MAX ? 0 : len;
			return 1;
		}
	}
}
