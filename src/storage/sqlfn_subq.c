/*
 * sqlfn_subq.c — SQL functions over the result set of an uncorrelated
 * subquery (docs/decisions.md, "Uncorrelated subqueries run once").
 *
 * The leader runs `x IN (SELECT y ...)` 's subquery once and binds its
 * distinct values to the outer statement as one blob parameter: the values
 * in mur_row encoding, one after another (sql/plan_subq.c says which
 * parameter).  The emitted SQL calls
 *
 *   mur_subq_in(x, ?n)            x IN (set): 1, 0, or NULL as PostgreSQL:
 *                                 false on an empty set, NULL when x is NULL
 *                                 or nothing matched and the set holds a
 *                                 NULL.  NOT IN is NOT of it.
 *   mur_subq_cmp(x, ?n, op, all)  x op ANY (set) (all = 0) or x op ALL (set)
 *                                 (all = 1), op one of = <> < <= > >=, with
 *                                 PostgreSQL's three-valued answer.
 *
 * An empty set may arrive as NULL (a zero-length blob): it is the empty set.
 *   mur_subq_in2(x, y, set)       set's rows are pairs (a, b): x IN (the a of
 *                                 the rows whose b = y), PostgreSQL's answer
 *                                 (a correlated IN or an EXISTS with two
 *                                 equalities, decorrelated: analyze_semijoin.c).
 *
 * mur_subq_in hashes the set once per statement (SQLite keeps it as the
 * parameter's auxiliary data), so a probe costs one hash lookup, whatever
 * the set's size.  Equality is murphy's (mur_value_cmp, mur_value_hash:
 * 1 and 1.0 are equal); the analyzer gives x and the set one type first.
 */
#include "storage/storage_int.h"

#include "common/value.h"

#include <sqlite3.h>
#include <stdlib.h>
#include <string.h>

typedef struct subq_set {
	size_t n;        /* non-NULL values */
	int has_null;    /* the set holds a NULL */
	int any;         /* the set holds any row at all */
	mur_value *vals; /* point into bytes */
	uint32_t mask;   /* slots - 1 (a power of two minus one) */
	int64_t *slots;  /* index into vals, -1 empty */
	char *bytes;     /* the blob, copied */
} subq_set;

static void set_free(void *p)
{
	subq_set *s = p;
	if (!s)
		return;
	free(s->vals);
	free(s->slots);
	free(s->bytes);
	free(s);
}

static int set_find(const subq_set *s, const mur_value *x, int64_t *slot)
{
	uint32_t i = (uint32_t)mur_value_hash(x) & s->mask;
	for (;; i = (i + 1) & s->mask) {
		if (s->slots[i] < 0) {
			if (slot)
				*slot = i;
			return 0;
		}
		if (mur_value_cmp(&s->vals[s->slots[i]], x) == 0)
			return 1;
	}
}

/* Decode the blob and hash its values; NULL on OOM or a malformed blob. */
static subq_set *set_build(const void *blob, size_t len)
{
	subq_set *s = calloc(1, sizeof *s);
	mur_rd rd;
	size_t cap = 0, nslots = 8;
	mur_value v;
	if (!s || !(s->bytes = malloc(len ? len : 1)))
		return set_free(s), NULL;
	if (len) /* an empty blob may be NULL: memcpy from NULL is UB even for 0 */
		memcpy(s->bytes, blob, len);
	mur_rd_init(&rd, s->bytes, len);
	while (mur_rd_left(&rd) > 0) {
		if (mur_row_get_value(&rd, &v) != MUR_OK)
			return set_free(s), NULL;
		s->any = 1;
		if (v.kind == MV_NULL) {
			s->has_null = 1;
			continue;
		}
		if (s->n == cap) {
			mur_value *grown;
			cap = cap ? cap * 2 : 16;
			if (!(grown = realloc(s->vals, cap * sizeof *grown)))
				return set_free(s), NULL;
			s->vals = grown;
		}
		s->vals[s->n++] = v;
	}
	while (nslots < 2 * s->n)
		nslots *= 2;
	s->mask = (uint32_t)(nslots - 1);
	if (!(s->slots = malloc(nslots * sizeof *s->slots)))
		return set_free(s), NULL;
	memset(s->slots, 0xff, nslots * sizeof *s->slots);
	for (size_t i = 0; i < s->n; i++) {
		int64_t slot;
		if (!set_find(s, &s->vals[i], &slot))
			s->slots[slot] = (int64_t)i;
	}
	return s;
}

/* The set of argument 1, built once per statement. */
static subq_set *set_of(sqlite3_context *cx, sqlite3_value *arg)
{
	subq_set *s = sqlite3_get_auxdata(cx, 1);
	if (s)
		return s;
	s = set_build(sqlite3_value_blob(arg), (size_t)sqlite3_value_bytes(arg));
	if (!s) {
		stor_fn_fail(cx, "XX000", "malformed subquery result set");
		return NULL;
	}
	sqlite3_set_auxdata(cx, 1, s, set_free);
	return sqlite3_get_auxdata(cx, 1); /* NULL if SQLite freed it at once */
}

static void fn_subq_in(sqlite3_context *cx, int argc, sqlite3_value **v)
{
	subq_set *s;
	mur_value x;
	(void)argc;
	if (sqlite3_value_type(v[1]) == SQLITE_NULL) /* an empty blob may travel as NULL */
		return sqlite3_result_int(cx, 0);
	if (!(s = set_of(cx, v[1])))
		return;
	x = stor_fn_value(v[0]);
	if (!s->any)
		return sqlite3_result_int(cx, 0);
	if (x.kind == MV_NULL)
		return sqlite3_result_null(cx);
	if (s->n && set_find(s, &x, NULL))
		return sqlite3_result_int(cx, 1);
	if (s->has_null)
		return sqlite3_result_null(cx);
	sqlite3_result_int(cx, 0);
}

/* x op y for a comparison result c (mur_value_cmp). */
static int holds(const char *op, int c)
{
	if (!strcmp(op, "="))
		return c == 0;
	if (!strcmp(op, "<>"))
		return c != 0;
	if (!strcmp(op, "<"))
		return c < 0;
	if (!strcmp(op, "<="))
		return c <= 0;
	if (!strcmp(op, ">"))
		return c > 0;
	return c >= 0; /* ">=" */
}

static void fn_subq_cmp(sqlite3_context *cx, int argc, sqlite3_value **v)
{
	const char *op = (const char *)sqlite3_value_text(v[2]);
	int all = sqlite3_value_int(v[3]), unknown = 0;
	subq_set *s;
	mur_value x;
	(void)argc;
	if (!op || sqlite3_value_type(v[1]) == SQLITE_NULL)
		return sqlite3_result_int(cx, all);
	if (!(s = set_of(cx, v[1])))
		return;
	x = stor_fn_value(v[0]);
	if (!s->any)
		return sqlite3_result_int(cx, all);
	if (x.kind == MV_NULL || s->has_null)
		unknown = 1;
	for (size_t i = 0; x.kind != MV_NULL && i < s->n; i++) {
		int h = holds(op, mur_value_cmp(&x, &s->vals[i]));
		if (h != all) /* ANY: one true decides; ALL: one false */
			return sqlite3_result_int(cx, h);
	}
	if (unknown)
		return sqlite3_result_null(cx);
	sqlite3_result_int(cx, all);
}

/* ---- pairs: x IN (SELECT a FROM f WHERE f.b = y), decorrelated ---- */

typedef struct pair_set {
	size_t n;        /* rows (a, b) */
	mur_value *v;    /* 2 per row, into bytes */
	uint8_t *null_a; /* per row standing for its b: some row of that b has a NULL a */
	uint8_t *multi;  /* per row standing for its b: more rows have that b */
	uint32_t mask;
	int64_t *pairs; /* rows with a and b not NULL, by (a, b); -1 empty */
	int64_t *keys;  /* one row per b not NULL, by b */
	char *bytes;
} pair_set;

static void pair_free(void *p)
{
	pair_set *s = p;
	if (!s)
		return;
	free(s->v);
	free(s->null_a);
	free(s->multi);
	free(s->pairs);
	free(s->keys);
	free(s->bytes);
	free(s);
}

/* The row of slots matching (a, b) (a NULL pointer: b alone), or -1 with
 * *empty the free slot. */
static int64_t pair_find(const pair_set *s, const int64_t *slots, const mur_value *a,
			 const mur_value *b, uint32_t *empty)
{
	uint64_t h = mur_value_hash(b);
	if (a)
		h ^= mur_value_hash(a) * 0x9E3779B97F4A7C15ull;
	for (uint32_t i = (uint32_t)h & s->mask;; i = (i + 1) & s->mask) {
		int64_t r = slots[i];
		if (r < 0) {
			*empty = i;
			return -1;
		}
		if (mur_value_cmp(&s->v[2 * r + 1], b) == 0 &&
		    (!a || mur_value_cmp(&s->v[2 * r], a) == 0))
			return r;
	}
}

static int pair_decode(pair_set *s, size_t len)
{
	mur_rd rd;
	size_t cap = 0;
	mur_rd_init(&rd, s->bytes, len);
	while (mur_rd_left(&rd) > 0) {
		if (s->n == cap) {
			mur_value *grown;
			cap = cap ? cap * 2 : 16;
			if (!(grown = realloc(s->v, 2 * cap * sizeof *grown)))
				return MUR_ERR;
			s->v = grown;
		}
		if (mur_row_get_value(&rd, &s->v[2 * s->n]) != MUR_OK ||
		    mur_row_get_value(&rd, &s->v[2 * s->n + 1]) != MUR_OK)
			return MUR_ERR;
		s->n++;
	}
	return MUR_OK;
}

static pair_set *pair_build(const void *blob, size_t len)
{
	pair_set *s = calloc(1, sizeof *s);
	size_t nslots = 8;
	if (!s || !(s->bytes = malloc(len ? len : 1)))
		return pair_free(s), NULL;
	if (len) /* as set_build's */
		memcpy(s->bytes, blob, len);
	if (pair_decode(s, len) != MUR_OK)
		return pair_free(s), NULL;
	while (nslots < 2 * s->n)
		nslots *= 2;
	s->mask = (uint32_t)(nslots - 1);
	if (!(s->pairs = malloc(nslots * sizeof *s->pairs)) ||
	    !(s->keys = malloc(nslots * sizeof *s->keys)) || !(s->null_a = calloc(s->n + 1, 1)) ||
	    !(s->multi = calloc(s->n + 1, 1)))
		return pair_free(s), NULL;
	memset(s->pairs, 0xff, nslots * sizeof *s->pairs);
	memset(s->keys, 0xff, nslots * sizeof *s->keys);
	for (size_t r = 0; r < s->n; r++) {
		const mur_value *a = &s->v[2 * r], *b = &s->v[2 * r + 1];
		uint32_t slot;
		int64_t rep;
		if (b->kind == MV_NULL) /* f.b = y is never true */
			continue;
		if ((rep = pair_find(s, s->keys, NULL, b, &slot)) < 0)
			s->keys[slot] = rep = (int64_t)r;
		else
			s->multi[rep] = 1;
		if (a->kind == MV_NULL)
			s->null_a[rep] = 1;
		else if (pair_find(s, s->pairs, a, b, &slot) < 0)
			s->pairs[slot] = (int64_t)r;
	}
	return s;
}

/* mur_subq_in2(x, y, set): x IN (the a of set's rows whose b = y), as
 * PostgreSQL answers it: false when no row has b = y, else NULL for a
 * NULL x, true on a match, NULL when one of those rows' a is NULL. */
/* The pairs of argument i, built once per statement (NULL: failed, or
 * SQLite dropped them: the call answers nothing more). */
static pair_set *pairs_of(sqlite3_context *cx, sqlite3_value **v, int i)
{
	pair_set *s = sqlite3_get_auxdata(cx, i);
	if (s)
		return s;
	s = pair_build(sqlite3_value_blob(v[i]), (size_t)sqlite3_value_bytes(v[i]));
	if (!s) {
		stor_fn_fail(cx, "XX000", "malformed subquery result set");
		return NULL;
	}
	sqlite3_set_auxdata(cx, i, s, pair_free);
	return sqlite3_get_auxdata(cx, i);
}

static void fn_subq_in2(sqlite3_context *cx, int argc, sqlite3_value **v)
{
	pair_set *s;
	mur_value x, y;
	uint32_t slot;
	int64_t rep;
	(void)argc;
	if (sqlite3_value_type(v[2]) == SQLITE_NULL)
		return sqlite3_result_int(cx, 0);
	if (!(s = pairs_of(cx, v, 2)))
		return;
	x = stor_fn_value(v[0]);
	y = stor_fn_value(v[1]);
	if (y.kind == MV_NULL || (rep = pair_find(s, s->keys, NULL, &y, &slot)) < 0)
		return sqlite3_result_int(cx, 0);
	if (x.kind == MV_NULL)
		return sqlite3_result_null(cx);
	if (pair_find(s, s->pairs, &x, &y, &slot) >= 0)
		return sqlite3_result_int(cx, 1);
	if (s->null_a[rep])
		return sqlite3_result_null(cx);
	sqlite3_result_int(cx, 0);
}

/* mur_subq_get(y, set, dflt): a correlated scalar subquery, decorrelated:
 * set's rows are (value, key); the value of the one row whose key is y,
 * dflt when none (NULL, or the aggregate over no row), 21000 when more
 * than one. */
static void fn_subq_get(sqlite3_context *cx, int argc, sqlite3_value **v)
{
	pair_set *s;
	mur_value y;
	uint32_t slot;
	int64_t rep;
	(void)argc;
	if (sqlite3_value_type(v[1]) == SQLITE_NULL)
		return sqlite3_result_value(cx, v[2]);
	if (!(s = pairs_of(cx, v, 1)))
		return;
	y = stor_fn_value(v[0]);
	if (y.kind == MV_NULL || (rep = pair_find(s, s->keys, NULL, &y, &slot)) < 0)
		return sqlite3_result_value(cx, v[2]);
	if (s->multi[rep])
		return stor_fn_fail(cx, "21000",
				    "more than one row returned by a subquery used as an "
				    "expression");
	stor_fn_result_value(cx, &s->v[2 * rep]);
}

static const stor_fn_def subq_fns[] = {
	{"mur_subq_get", 3, 1, fn_subq_get},
	{"mur_subq_in", 2, 1, fn_subq_in},
	{"mur_subq_in2", 3, 1, fn_subq_in2},
	{"mur_subq_cmp", 4, 1, fn_subq_cmp},
};

int stor_register_subq_functions(sqlite3 *db)
{
	int rc = stor_fn_register(db, subq_fns, sizeof subq_fns / sizeof subq_fns[0]);
	return rc == SQLITE_OK ? stor_register_subq_row_functions(db) : rc;
}
