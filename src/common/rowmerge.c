/*
 * rowmerge.c — a k-way merge of sorted row batches (rowmerge.h).
 *
 * Each source keeps its batch (a copy) and a reader over it; its current
 * row is decoded into values that point into the batch.  The heap holds
 * the sources that have a current row, smallest first (ties: the lower
 * source, so a run is deterministic).
 */
#include "common/rowmerge.h"

#include "common/bpchar.h"
#include "common/numeric.h"

#include <stdlib.h>
#include <string.h>

typedef struct rm_src {
	mur_buf batch;
	mur_rd rd;
	uint64_t left;    /* rows of the batch not yet decoded */
	mur_value *cur;   /* the current row: ncols values */
	size_t cur_start; /* its bytes in batch */
	int has_cur;
	int last; /* no batch follows this one */
} rm_src;

struct mur_rowmerge {
	uint32_t nsrc, ncols;
	int nkeys;
	mur_sortkey *keys;
	rm_src *src;
	uint32_t *heap, nheap;
	uint32_t ndry; /* sources with no current row and more batches to come */
};

static int bytes_cmp(const char *a, size_t la, const char *b, size_t lb)
{
	size_t n = la < lb ? la : lb;
	int c = n ? memcmp(a, b, n) : 0;
	if (c)
		return c < 0 ? -1 : 1;
	return la < lb ? -1 : la > lb;
}

static int value_cmp(const mur_sortkey *k, const mur_value *a, const mur_value *b)
{
	if (a->kind == MV_TEXT && b->kind == MV_TEXT) {
		if (k->coll == MUR_SORT_NUMERIC)
			return mur_num_text_cmp(a->s, a->len, b->s, b->len);
		if (k->coll == MUR_SORT_BPCHAR)
			return bytes_cmp(a->s, mur_bpchar_trimmed_len(a->s, a->len), b->s,
					 mur_bpchar_trimmed_len(b->s, b->len));
	}
	if (a->kind == MV_TEXT && b->kind == MV_BLOB)
		return -1; /* SQLite: text before blobs */
	if (a->kind == MV_BLOB && b->kind == MV_TEXT)
		return 1;
	return mur_value_cmp(a, b); /* numbers by value, then bytes */
}

int mur_sortkey_cmp(const mur_sortkey *keys, int n, const mur_value *a, const mur_value *b)
{
	for (int i = 0; i < n; i++) {
		const mur_sortkey *k = &keys[i];
		const mur_value *x = &a[k->col], *y = &b[k->col];
		int xn = x->kind == MV_NULL, yn = y->kind == MV_NULL, c;
		if (xn || yn) {
			if (xn && yn)
				continue;
			c = xn ? 1 : -1; /* NULL last ... */
			if (k->nulls_first)
				c = -c;
			return c;
		}
		c = value_cmp(k, x, y);
		if (c)
			return k->desc ? -c : c;
	}
	return 0;
}

mur_rowmerge *mur_rowmerge_new(uint32_t nsrc, uint32_t ncols, const mur_sortkey *keys, int nkeys)
{
	mur_rowmerge *m = calloc(1, sizeof *m);
	if (!m)
		return NULL;
	m->nsrc = nsrc;
	m->ncols = ncols;
	m->nkeys = nkeys;
	m->ndry = nsrc;
	m->keys = malloc(sizeof *keys * (size_t)(nkeys ? nkeys : 1));
	m->src = calloc(nsrc ? nsrc : 1, sizeof *m->src);
	m->heap = calloc(nsrc ? nsrc : 1, sizeof *m->heap);
	if (!m->keys || !m->src || !m->heap) {
		mur_rowmerge_free(m);
		return NULL;
	}
	memcpy(m->keys, keys, sizeof *keys * (size_t)nkeys);
	for (uint32_t i = 0; i < nsrc; i++) {
		mur_buf_init(&m->src[i].batch);
		if (!(m->src[i].cur = calloc(ncols ? ncols : 1, sizeof *m->src[i].cur))) {
			mur_rowmerge_free(m);
			return NULL;
		}
	}
	return m;
}

void mur_rowmerge_free(mur_rowmerge *m)
{
	if (!m)
		return;
	for (uint32_t i = 0; m->src && i < m->nsrc; i++) {
		mur_buf_free(&m->src[i].batch);
		free(m->src[i].cur);
	}
	free(m->src);
	free(m->heap);
	free(m->keys);
	free(m);
}

static int less(const mur_rowmerge *m, uint32_t a, uint32_t b)
{
	int c = mur_sortkey_cmp(m->keys, m->nkeys, m->src[a].cur, m->src[b].cur);
	return c < 0 || (c == 0 && a < b);
}

static void heap_push(mur_rowmerge *m, uint32_t s)
{
	uint32_t i = m->nheap++;
	while (i > 0) {
		uint32_t up = (i - 1) / 2;
		if (!less(m, s, m->heap[up]))
			break;
		m->heap[i] = m->heap[up];
		i = up;
	}
	m->heap[i] = s;
}

static uint32_t heap_pop(mur_rowmerge *m)
{
	uint32_t top = m->heap[0], s = m->heap[--m->nheap], i = 0;
	for (;;) {
		uint32_t c = 2 * i + 1;
		if (c >= m->nheap)
			break;
		if (c + 1 < m->nheap && less(m, m->heap[c + 1], m->heap[c]))
			c++;
		if (!less(m, m->heap[c], s))
			break;
		m->heap[i] = m->heap[c];
		i = c;
	}
	if (m->nheap)
		m->heap[i] = s;
	return top;
}

/* Decode src's next row into cur and push it, or mark it dry / used up. */
static int advance(mur_rowmerge *m, uint32_t i)
{
	rm_src *s = &m->src[i];
	s->has_cur = 0;
	if (s->left == 0) {
		if (!s->last)
			m->ndry++;
		return MUR_OK;
	}
	s->cur_start = s->rd.off;
	for (uint32_t c = 0; c < m->ncols; c++)
		if (mur_row_get_value(&s->rd, &s->cur[c]) != MUR_OK)
			return MUR_ERR;
	s->left--;
	s->has_cur = 1;
	heap_push(m, i);
	return MUR_OK;
}

int mur_rowmerge_put(mur_rowmerge *m, uint32_t src, mur_buf *rows, uint64_t nrows, int last)
{
	rm_src *s;
	mur_buf nb;
	if (src >= m->nsrc || m->src[src].last)
		return MUR_ERR; /* no batch follows its last */
	s = &m->src[src];
	if (!s->has_cur) { /* dry: its old batch's buffer goes back in *rows */
		nb = s->batch;
		s->batch = *rows;
		*rows = nb;
		mur_rd_init(&s->rd, s->batch.data, s->batch.len);
		s->left = nrows;
		s->last = last;
		m->ndry--;
		return advance(m, src);
	}
	/* rows still held: the new batch goes after them, the current row is
	 * decoded again from the new bytes (the same values: the heap holds) */
	mur_buf_init(&nb);
	mur_buf_put(&nb, s->batch.data + s->cur_start, s->batch.len - s->cur_start);
	mur_buf_put(&nb, rows->data, rows->len);
	if (!mur_buf_ok(&nb)) {
		mur_buf_free(&nb);
		return MUR_ENOMEM;
	}
	mur_buf_free(&s->batch);
	s->batch = nb;
	mur_rd_init(&s->rd, s->batch.data, s->batch.len);
	s->cur_start = 0;
	for (uint32_t c = 0; c < m->ncols; c++)
		if (mur_row_get_value(&s->rd, &s->cur[c]) != MUR_OK)
			return MUR_ERR;
	s->left += nrows;
	s->last = last;
	return MUR_OK;
}

uint64_t mur_rowmerge_held(const mur_rowmerge *m, uint32_t src)
{
	return src < m->nsrc ? m->src[src].left + (uint64_t)m->src[src].has_cur : 0;
}

int mur_rowmerge_more(const mur_rowmerge *m, uint32_t src)
{
	return src < m->nsrc && !m->src[src].last;
}

int mur_rowmerge_dry(const mur_rowmerge *m)
{
	for (uint32_t i = 0; m->ndry && i < m->nsrc; i++)
		if (!m->src[i].has_cur && !m->src[i].last)
			return (int)i;
	return -1;
}

int mur_rowmerge_done(const mur_rowmerge *m) { return m->ndry == 0 && m->nheap == 0; }

int mur_rowmerge_take(mur_rowmerge *m, uint64_t max, mur_buf *out, uint64_t *n)
{
	*n = 0;
	while (*n < max && m->ndry == 0 && m->nheap > 0) {
		uint32_t i = heap_pop(m);
		rm_src *s = &m->src[i];
		if (out)
			mur_buf_put(out, s->batch.data + s->cur_start, s->rd.off - s->cur_start);
		(*n)++;
		if (advance(m, i) != MUR_OK)
			return MUR_ERR;
	}
	return out && !mur_buf_ok(out) ? MUR_ENOMEM : MUR_OK;
}
