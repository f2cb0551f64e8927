/*
 * sqlfn_subq_row.c — row comparisons with an uncorrelated subquery's rows
 * (parser/analyze_rowcmp.c writes the calls; the set travels as in
 * sqlfn_subq.c: one blob parameter, the rows' values one after another in
 * mur_row encoding, n per row for a row of n columns).
 *
 *   mur_subq_rowin(set, x1, ..., xn)       (x1, ..., xn) IN (SELECT n columns):
 *                                          true when a row equals x in every
 *                                          column; else NULL when a row is
 *                                          unequal in no column where both are
 *                                          not NULL (a NULL made it unknown);
 *                                          else false (an empty set: false).
 *                                          NOT IN is NOT of it.
 *   mur_subq_rowcmp(set, op, x1, ..., xn)  (x1, ..., xn) op (SELECT n columns),
 *                                          op one of = <> < <= > >=: NULL over
 *                                          no row, 21000 over more than one,
 *                                          else PostgreSQL's row comparison:
 *                                          = and <> pairwise (AND / OR), the
 *                                          others left to right, decided by
 *                                          the first pair that is unequal or
 *                                          has a NULL (NULL then).
 *
 * The rows of mur_subq_rowin are hashed once per statement (SQLite keeps
 * them as the argument's auxiliary data): a probe without NULLs costs one
 * lookup plus a look at the rows that hold a NULL; a probe with a NULL
 * looks at every row.  Equality is murphy's (mur_value_cmp, mur_value_hash).
 */
#include "storage/storage_int.h"

#include "common/value.h"

#include <sqlite3.h>
#include <stdlib.h>
#include <string.h>

#define ROW_COLS_MAX 64 /* columns of a compared row (PostgreSQL allows more; 54000 past it) */

typedef struct row_set {
	size_t n;          /* rows */
	int ncols;         /* values per row */
	mur_value *v;      /* n * ncols, pointing into bytes */
	uint32_t mask;     /* slots - 1 */
	int64_t *slots;    /* rows without a NULL, by their values; -1 empty */
	int64_t *nullrows; /* rows holding a NULL */
	size_t nnull;
	char *bytes; /* the blob, copied */
} row_set;

static void rows_free(void *p)
{
	row_set *s = p;
	if (!s)
		return;
	free(s->v);
	free(s->slots);
	free(s->nullrows);
	free(s->bytes);
	free(s);
}

static uint64_t row_hash(const mur_value *x, int ncols)
{
	uint64_t h = 0;
	for (int i = 0; i < ncols; i++)
		h = h * 0x9E3779B97F4A7C15ull ^ mur_value_hash(&x[i]);
	return h;
}

/* 1 when row r equals x in every column (no NULL on either side). */
static int row_equal(const row_set *s, int64_t r, const mur_value *x)
{
	for (int i = 0; i < s->ncols; i++)
		if (mur_value_cmp(&s->v[r * s->ncols + i], &x[i]) != 0)
			return 0;
	return 1;
}

/* Row equal to x (without NULLs) in the hash, or -1 with *empty its slot. */
static int64_t rows_find(const row_set *s, const mur_value *x, uint32_t *empty)
{
	for (uint32_t i = (uint32_t)row_hash(x, s->ncols) & s->mask;; i = (i + 1) & s->mask) {
		if (s->slots[i] < 0) {
			*empty = i;
			return -1;
		}
		if (row_equal(s, s->slots[i], x))
			return s->slots[i];
	}
}

static int rows_decode(row_set *s, size_t len)
{
	mur_rd rd;
	size_t cap = 0, nv = 0;
	mur_rd_init(&rd, s->bytes, len);
	while (mur_rd_left(&rd) > 0) {
		if (nv == cap) {
			mur_value *grown;
			cap = cap ? cap * 2 : 16;
			if (!(grown = realloc(s->v, cap * sizeof *grown)))
				return MUR_ERR;
			s->v = grown;
		}
		if (mur_row_get_value(&rd, &s->v[nv++]) != MUR_OK)
			return MUR_ERR;
	}
	if (nv % (size_t)s->ncols)
		return MUR_ERR;
	s->n = nv / (size_t)s->ncols;
	return MUR_OK;
}

static int has_null(const mur_value *x, int ncols)
{
	for (int i = 0; i < ncols; i++)
		if (x[i].kind == MV_NULL)
			return 1;
	return 0;
}

/* Decode the blob and hash its rows; NULL on OOM or a malformed blob. */
static row_set *rows_build(const void *blob, size_t len, int ncols)
{
	row_set *s = calloc(1, sizeof *s);
	size_t nslots = 8;
	if (!s || !(s->bytes = malloc(len ? len : 1)))
		return rows_free(s), NULL;
	s->ncols = ncols;
	if (len) /* an empty blob may be NULL: memcpy from NULL is UB even for 0 */
		memcpy(s->bytes, blob, len);
	if (rows_decode(s, len) != MUR_OK)
		return rows_free(s), NULL;
	while (nslots < 2 * s->n)
		nslots *= 2;
	s->mask = (uint32_t)(nslots - 1);
	if (!(s->slots = malloc(nslots * sizeof *s->slots)) ||
	    !(s->nullrows = malloc((s->n + 1) * sizeof *s->nullrows)))
		return rows_free(s), NULL;
	memset(s->slots, 0xff, nslots * sizeof *s->slots);
	for (size_t r = 0; r < s->n; r++) {
		const mur_value *row = &s->v[r * (size_t)ncols];
		uint32_t slot;
		if (has_null(row, ncols))
			s->nullrows[s->nnull++] = (int64_t)r;
		else if (rows_find(s, row, &slot) < 0)
			s->slots[slot] = (int64_t)r;
	}
	return s;
}

/* The rows of argument 0, built once per statement (NULL: the call has
 * failed). */
static row_set *rows_of(sqlite3_context *cx, sqlite3_value *arg, int ncols)
{
	row_set *s = sqlite3_get_auxdata(cx, 0);
	if (s)
		return s;
	s = rows_build(sqlite3_value_blob(arg), (size_t)sqlite3_value_bytes(arg), ncols);
	if (!s) {
		stor_fn_fail(cx, "XX000", "malformed subquery result set");
		return NULL;
	}
	sqlite3_set_auxdata(cx, 0, s, rows_free);
	return sqlite3_get_auxdata(cx, 0);
}

/* Row r = x: 1 true, 0 false, -1 unknown (PostgreSQL's row equality). */
static int row_eq3(const row_set *s, size_t r, const mur_value *x)
{
	int unknown = 0;
	for (int i = 0; i < s->ncols; i++) {
		const mur_value *a = &s->v[r * (size_t)s->ncols + i];
		if (a->kind == MV_NULL || x[i].kind == MV_NULL)
			unknown = 1;
		else if (mur_value_cmp(a, &x[i]) != 0)
			return 0;
	}
	return unknown ? -1 : 1;
}

/* The n arguments from v as values; 0 when there are too many. */
static int args_of(sqlite3_context *cx, sqlite3_value **v, int n, mur_value *x)
{
	if (n < 1 || n > ROW_COLS_MAX) {
		stor_fn_fail(cx, "54000", "row comparison of %d columns (at most %d)", n,
			     ROW_COLS_MAX);
		return 0;
	}
	for (int i = 0; i < n; i++)
		x[i] = stor_fn_value(v[i]);
	return 1;
}

static void fn_subq_rowin(sqlite3_context *cx, int argc, sqlite3_value **v)
{
	mur_value x[ROW_COLS_MAX];
	row_set *s;
	uint32_t slot;
	int unknown = 0, xnull;
	if (!args_of(cx, v + 1, argc - 1, x))
		return;
	if (sqlite3_value_type(v[0]) == SQLITE_NULL) /* an empty set may travel as NULL */
		return sqlite3_result_int(cx, 0);
	if (!(s = rows_of(cx, v[0], argc - 1)))
		return;
	xnull = has_null(x, s->ncols);
	if (!xnull && rows_find(s, x, &slot) >= 0)
		return sqlite3_result_int(cx, 1);
	if (xnull) { /* every row may be unknown; none is true */
		for (size_t r = 0; r < s->n && !unknown; r++)
			unknown = row_eq3(s, r, x) < 0;
	} else {
		for (size_t k = 0; k < s->nnull && !unknown; k++)
			unknown = row_eq3(s, (size_t)s->nullrows[k], x) < 0;
	}
	if (unknown)
		return sqlite3_result_null(cx);
	sqlite3_result_int(cx, 0);
}

/* x op y over the values of one row: 1, 0, or -1 unknown. */
static int row_cmp3(const char *op, const mur_value *x, const mur_value *y, int n)
{
	int eq = !strcmp(op, "="), ne = !strcmp(op, "<>"), unknown = 0;
	for (int i = 0; i < n; i++) {
		int c;
		if (x[i].kind == MV_NULL || y[i].kind == MV_NULL) {
			if (!eq && !ne)
				return -1; /* ordering stops at the first NULL pair */
			unknown = 1;
			continue;
		}
		c = mur_value_cmp(&x[i], &y[i]);
		if (c == 0)
			continue;
		if (eq || ne)
			return ne;
		return !strcmp(op, "<") || !strcmp(op, "<=") ? c < 0 : c > 0;
	}
	if (unknown)
		return -1;
	return eq || !strcmp(op, "<=") || !strcmp(op, ">=");
}

static void fn_subq_rowcmp(sqlite3_context *cx, int argc, sqlite3_value **v)
{
	const char *op = (const char *)sqlite3_value_text(v[1]);
	mur_value x[ROW_COLS_MAX];
	row_set *s;
	int r;
	if (!op || !args_of(cx, v + 2, argc - 2, x))
		return;
	if (sqlite3_value_type(v[0]) == SQLITE_NULL)
		return sqlite3_result_null(cx);
	if (!(s = rows_of(cx, v[0], argc - 2)))
		return;
	if (s->n == 0)
		return sqlite3_result_null(cx);
	if (s->n > 1)
		return stor_fn_fail(cx, "21000",
				    "more than one row returned by a subquery used as an "
				    "expression");
	if ((r = row_cmp3(op, x, s->v, s->ncols)) < 0)
		return sqlite3_result_null(cx);
	sqlite3_result_int(cx, r);
}

static const stor_fn_def row_fns[] = {
	{"mur_subq_rowin", -1, 1, fn_subq_rowin},
	{"mur_subq_rowcmp", -1, 1, fn_subq_rowcmp},
};

int stor_register_subq_row_functions(sqlite3 *db)
{
	return stor_fn_register(db, row_fns, sizeof row_fns / sizeof row_fns[0]);
}
