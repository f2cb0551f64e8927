/*
 * sqlfn_agg.c — the aggregates that need every value of a group at once:
 * string_agg (with ORDER BY and DISTINCT), percentile_cont,
 * percentile_disc and mode() WITHIN GROUP (ORDER BY x).
 *
 * SQLite 3.40 has no ORDER BY inside an aggregate call, so each of them
 * collects its group's rows (copies of the SQLite values) and sorts them in
 * its final step.  They run where the whole group is: the leader over rows
 * gathered from the shards (sql/plan_grouping.c), or one shard in a router
 * plan.  Each is called as
 *
 *   mur_string_agg(x, delim, flags, key...)
 *   mur_percentile_cont(x, fraction, flags, x)
 *   mur_percentile_disc(x, fraction, flags, x)
 *   mur_mode(x, NULL, flags, x)
 *   mur_json_agg(elem, NULL, flags, key...)    json_agg, jsonb_agg
 *   mur_jsonb_agg(elem, NULL, flags, key...)
 *   mur_json_object_agg(elem, name, flags, key...)   json[b]_object_agg
 *   mur_jsonb_object_agg(elem, name, flags, key...)
 *   mur_array_agg(one, x, flags, key...)   array_agg: one is x as a
 *                       one-element array ('{5}', '{NULL}': never NULL);
 *                       over arrays (AGG_OF_ARRAYS) one is x itself, 'N'
 *                       for NULL, and the answer stacks them (one more
 *                       dimension) with PostgreSQL's errors: 22004 for a
 *                       NULL array, 2202E for an empty one or shapes that
 *                       differ, 54000 past six dimensions
 *
 * percentile_cont / percentile_disc over an array of fractions (flag
 * AGG_FRACTIONS) take the fractions as a float8[] and answer an array of
 * the fractions' shape, NULL where a fraction is NULL; percentile_disc's x
 * is then its value as a one-element array (NULL for a NULL value), whose
 * element it copies.
 *
 * with up to AGG_KEYS_MAX sort keys (none: the order rows came in); flags
 * hold key k's DESC (bit 2k) and NULLS FIRST (bit 2k + 1), and DISTINCT
 * (parser/analyze.h SQL_AGG_ORDER_*, written by sql/emit.c); an array key
 * comes as mur_array_sortkey's blob and compares as arrays do
 * (AGG_ORDER_ARRAY, stor_array_sortkey_cmp).  A row whose
 * x is NULL counts for nothing, as in PostgreSQL.  The sort compares as
 * SQLite's ORDER BY does (numbers by value, text bytewise), so the results
 * match murphy's ORDER BY; ties keep the arrival order.  An empty group
 * gives NULL.  The json aggregates take x as mur_json_elem made it (SQL
 * NULL already json null, sqlfn_json.c) and write PostgreSQL's layout:
 * json_agg "[1, 2]", json_object_agg "{ "a" : 1, "b" : 2 }", the jsonb
 * ones normalized (common/json.h).
 */
#include "storage/storage_int.h"

#include "common/array.h"
#include "common/json.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* The flags argument's bits (parser/analyze.h SQL_AGG_ORDER_*). */
#define AGG_DESC(k) (1 << (2 * (k)))
#define AGG_NULLS_FIRST(k) (1 << (2 * (k) + 1))
#define AGG_DISTINCT (1 << 30)
/* json_agg of rows or arrays: ", \n " before each element but the first
 * and NULLs, as PostgreSQL writes structured elements (parser/analyze.h
 * SQL_AGG_JSON_STRUCT). */
#define AGG_JSON_STRUCT (1 << 29)
/* An array of fractions (parser/analyze.h SQL_AGG_FRACTIONS). */
#define AGG_FRACTIONS (1 << 28)
/* Sort key k is mur_array_sortkey's blob (SQL_AGG_ORDER_ARRAY). */
#define AGG_ORDER_ARRAY(k) (1 << (16 + (k)))
/* array_agg of arrays (SQL_AGG_OF_ARRAYS): x is the array, 'N' for NULL. */
#define AGG_OF_ARRAYS (1 << 27)
/* Sort keys per call: two flag bits each, below DISTINCT's (SQL_AGG_KEYS_MAX). */
#define AGG_KEYS_MAX 8

/* Rows one group may collect: past it the call fails with 54000 rather
 * than growing the leader's memory without bound (16M rows, ~1 GB). */
#define AGG_ROWS_MAX (16 * 1024 * 1024)

typedef struct agg_row {
	sqlite3_value *x, *arg;
	sqlite3_value *keys[AGG_KEYS_MAX];
	int64_t seq; /* arrival order: ties keep it (a stable sort) */
} agg_row;

typedef struct agg_state {
	agg_row *rows;
	int64_t n, cap;
	int flags, nkeys;
	int failed;
} agg_state;

static void row_free(agg_row *r, int nkeys)
{
	sqlite3_value_free(r->x);
	sqlite3_value_free(r->arg);
	for (int k = 0; k < nkeys; k++)
		sqlite3_value_free(r->keys[k]);
}

/* Room for one more row; 0 after failing the call. */
static int agg_grow(sqlite3_context *cx, agg_state *s)
{
	int64_t cap = s->cap ? s->cap * 2 : 16;
	agg_row *p;
	if (s->n < s->cap)
		return 1;
	s->failed = 1;
	if (s->n >= AGG_ROWS_MAX)
		return stor_fn_fail(cx, "54000", "murphy collects at most %d values per group",
				    AGG_ROWS_MAX),
		       0;
	if (!(p = realloc(s->rows, sizeof *p * (size_t)cap)))
		return sqlite3_result_error_nomem(cx), 0;
	s->rows = p;
	s->cap = cap;
	s->failed = 0;
	return 1;
}

static void agg_step(sqlite3_context *cx, int argc, sqlite3_value **v)
{
	agg_state *s = sqlite3_aggregate_context(cx, sizeof *s);
	agg_row *r;
	int ok;
	if (!s || s->failed || sqlite3_value_type(v[0]) == SQLITE_NULL)
		return;
	if (argc < 3 || argc > 3 + AGG_KEYS_MAX) {
		s->failed = 1;
		return stor_fn_fail(cx, "XX000",
				    "murphy: a collecting aggregate takes 3 to %d "
				    "arguments",
				    3 + AGG_KEYS_MAX);
	}
	if (!agg_grow(cx, s))
		return;
	s->flags = sqlite3_value_int(v[2]);
	s->nkeys = argc - 3;
	r = &s->rows[s->n];
	memset(r, 0, sizeof *r);
	r->x = sqlite3_value_dup(v[0]);
	r->arg = sqlite3_value_dup(v[1]);
	ok = r->x && r->arg;
	for (int k = 0; k < s->nkeys; k++)
		ok &= (r->keys[k] = sqlite3_value_dup(v[3 + k])) != NULL;
	r->seq = s->n;
	if (!ok) {
		row_free(r, s->nkeys);
		s->failed = 1;
		return sqlite3_result_error_nomem(cx);
	}
	s->n++;
}

static void agg_free(agg_state *s)
{
	for (int64_t i = 0; i < s->n; i++)
		row_free(&s->rows[i], s->nkeys);
	free(s->rows);
	s->rows = NULL;
	s->n = s->cap = 0;
}

/* SQLite's order of storage classes: NULL, numbers, text, blob. */
static int class_rank(int t)
{
	return t == SQLITE_NULL                           ? 0
	       : t == SQLITE_INTEGER || t == SQLITE_FLOAT ? 1
	       : t == SQLITE_TEXT                         ? 2
							  : 3;
}

/* a against b as SQLite's BINARY ORDER BY compares them, NULLs aside. */
static int value_cmp(sqlite3_value *a, sqlite3_value *b)
{
	int ta = class_rank(sqlite3_value_type(a)), tb = class_rank(sqlite3_value_type(b));
	if (ta != tb)
		return ta < tb ? -1 : 1;
	if (ta == 0)
		return 0;
	if (ta == 1) {
		if (sqlite3_value_type(a) == SQLITE_INTEGER &&
		    sqlite3_value_type(b) == SQLITE_INTEGER) {
			sqlite3_int64 x = sqlite3_value_int64(a), y = sqlite3_value_int64(b);
			return x < y ? -1 : x > y;
		}
		double x = sqlite3_value_double(a), y = sqlite3_value_double(b);
		return x < y ? -1 : x > y;
	}
	const void *pa = ta == 2 ? (const void *)sqlite3_value_text(a) : sqlite3_value_blob(a);
	const void *pb = tb == 2 ? (const void *)sqlite3_value_text(b) : sqlite3_value_blob(b);
	int la = sqlite3_value_bytes(a), lb = sqlite3_value_bytes(b);
	int r = memcmp(pa, pb, (size_t)(la < lb ? la : lb));
	return r ? r : la < lb ? -1 : la > lb;
}

static _Thread_local const agg_state *sorting; /* qsort has no context argument */

static int row_cmp(const void *pa, const void *pb)
{
	const agg_row *a = pa, *b = pb;
	int flags = sorting->flags;
	for (int k = 0; k < sorting->nkeys; k++) {
		int na = sqlite3_value_type(a->keys[k]) == SQLITE_NULL;
		int nb = sqlite3_value_type(b->keys[k]) == SQLITE_NULL;
		int r;
		if (na || nb) /* PostgreSQL: NULLS LAST ascending, FIRST descending */
			r = na == nb ? 0 : (na ? 1 : -1) * (flags & AGG_NULLS_FIRST(k) ? -1 : 1);
		else if (flags & AGG_ORDER_ARRAY(k))
			r = stor_array_sortkey_cmp(sqlite3_value_blob(a->keys[k]),
						   (size_t)sqlite3_value_bytes(a->keys[k]),
						   sqlite3_value_blob(b->keys[k]),
						   (size_t)sqlite3_value_bytes(b->keys[k])) *
			    (flags & AGG_DESC(k) ? -1 : 1);
		else
			r = value_cmp(a->keys[k], b->keys[k]) * (flags & AGG_DESC(k) ? -1 : 1);
		if (r)
			return r;
	}
	return a->seq < b->seq ? -1 : a->seq > b->seq;
}

/* The group's rows sorted; 0 when the final step has nothing to do
 * (empty group: NULL answered; failed: the error stands). */
static agg_state *agg_sorted(sqlite3_context *cx)
{
	agg_state *s = sqlite3_aggregate_context(cx, 0);
	if (!s || s->failed || s->n == 0) {
		if (s)
			agg_free(s);
		if (!s || !s->failed)
			sqlite3_result_null(cx);
		return NULL;
	}
	sorting = s;
	qsort(s->rows, (size_t)s->n, sizeof *s->rows, row_cmp);
	return s;
}

static void string_agg_final(sqlite3_context *cx)
{
	agg_state *s = agg_sorted(cx);
	mur_buf b;
	if (!s)
		return;
	mur_buf_init(&b);
	for (int64_t i = 0; i < s->n; i++) {
		agg_row *r = &s->rows[i];
		if (s->flags & AGG_DISTINCT && i && !value_cmp(r->x, s->rows[i - 1].x))
			continue;
		if (i && sqlite3_value_type(r->arg) != SQLITE_NULL)
			mur_buf_put(&b, sqlite3_value_text(r->arg),
				    (size_t)sqlite3_value_bytes(r->arg));
		mur_buf_put(&b, sqlite3_value_text(r->x), (size_t)sqlite3_value_bytes(r->x));
	}
	agg_free(s);
	stor_fn_result_buf(cx, &b);
}

/* The fraction (the first row's: PostgreSQL takes it once per group);
 * 0 after answering NULL or failing with 22003. */
static int fraction(sqlite3_context *cx, agg_state *s, double *f)
{
	if (sqlite3_value_type(s->rows[0].arg) == SQLITE_NULL) {
		sqlite3_result_null(cx);
		return 0;
	}
	*f = sqlite3_value_double(s->rows[0].arg);
	if (*f < 0 || *f > 1 || isnan(*f)) {
		stor_fn_fail(cx, "22003", "percentile value %g is not between 0 and 1", *f);
		return 0;
	}
	return 1;
}

/* percentile_cont's value at fraction f of the sorted rows. */
static double cont_at(const agg_state *s, double f)
{
	double row = f * (double)(s->n - 1); /* PostgreSQL: 1 + f * (n - 1), 1-based */
	int64_t lo = (int64_t)floor(row), hi = (int64_t)ceil(row);
	double lo_v = sqlite3_value_double(s->rows[lo].x),
	       hi_v = sqlite3_value_double(s->rows[hi].x);
	return lo == hi ? lo_v : lo_v + (row - (double)lo) * (hi_v - lo_v);
}

/* percentile_disc's row at fraction f: the first row at or past f. */
static int64_t disc_at(const agg_state *s, double f)
{
	int64_t k = (int64_t)ceil(f * (double)s->n);
	return k > 0 ? k - 1 : 0;
}

/* One element of the answer for fraction i of fr: percentile_cont's value
 * as float8 text, percentile_disc's row's element; NULL for a NULL
 * fraction.  0 after failing the call (22003). */
static int fraction_elem(sqlite3_context *cx, const agg_state *s, const mur_arr *fr, int i,
			 int disc, mur_arr *out, mur_error *err)
{
	mur_buf one;
	double f;
	int rc;
	if (fr->e[i].null)
		return mur_arr_push(out, "", 0, 1, err) == MUR_OK;
	{
		char tmp[64];
		size_t n = fr->e[i].len < sizeof tmp - 1 ? fr->e[i].len : sizeof tmp - 1;
		memcpy(tmp, mur_arr_s(fr, i), n);
		tmp[n] = 0;
		f = strtod(tmp, NULL);
	}
	if (f < 0 || f > 1 || isnan(f)) {
		stor_fn_fail(cx, "22003", "percentile value %g is not between 0 and 1", f);
		return 0;
	}
	mur_buf_init(&one);
	if (disc) {
		sqlite3_value *x = s->rows[disc_at(s, f)].x;
		mur_arr picked;
		mur_arr_init(&picked);
		rc = mur_arr_parse(&picked, MT_UNKNOWN, (const char *)sqlite3_value_text(x),
				   (size_t)sqlite3_value_bytes(x), err);
		if (rc == MUR_OK && picked.n == 1)
			rc = mur_arr_push(out, mur_arr_s(&picked, 0), picked.e[0].len,
					  picked.e[0].null, err);
		mur_arr_free(&picked);
	} else {
		mur_value v = mur_v_float(cont_at(s, f));
		mur_arr_elem_text(MT_FLOAT8, &v, &one);
		rc = mur_arr_push(out, one.data ? one.data : "", one.len, 0, err);
	}
	mur_buf_free(&one);
	if (rc != MUR_OK)
		stor_fn_fail(cx, err->sqlstate, "%s", err->message);
	return rc == MUR_OK;
}

/* percentile_cont / percentile_disc over an array of fractions (the first
 * row's, as a single fraction is taken). */
static void fractions_final(sqlite3_context *cx, agg_state *s, int disc)
{
	sqlite3_value *a = s->rows[0].arg;
	mur_arr fr, out;
	mur_error err;
	int ok = 1;
	if (sqlite3_value_type(a) == SQLITE_NULL)
		return sqlite3_result_null(cx);
	memset(&err, 0, sizeof err);
	mur_arr_init(&fr);
	mur_arr_init(&out);
	if (mur_arr_parse(&fr, MT_FLOAT8_ARRAY, (const char *)sqlite3_value_text(a),
			  (size_t)sqlite3_value_bytes(a), &err) != MUR_OK) {
		stor_fn_fail(cx, err.sqlstate, "%s", err.message);
		goto free_all;
	}
	for (int i = 0; i < fr.n && ok; i++)
		ok = fraction_elem(cx, s, &fr, i, disc, &out, &err);
	if (ok) {
		mur_buf b;
		mur_arr_set_shape(&out, fr.ndim, fr.dims);
		mur_buf_init(&b);
		mur_arr_out(&out, &b);
		stor_fn_result_buf(cx, &b);
	}
free_all:
	mur_arr_free(&out);
	mur_arr_free(&fr);
}

static void percentile_cont_final(sqlite3_context *cx)
{
	agg_state *s = agg_sorted(cx);
	double f;
	if (!s)
		return;
	if (s->flags & AGG_FRACTIONS)
		fractions_final(cx, s, 0);
	else if (fraction(cx, s, &f))
		sqlite3_result_double(cx, cont_at(s, f));
	agg_free(s);
}

static void percentile_disc_final(sqlite3_context *cx)
{
	agg_state *s = agg_sorted(cx);
	double f;
	if (!s)
		return;
	if (s->flags & AGG_FRACTIONS)
		fractions_final(cx, s, 1);
	else if (fraction(cx, s, &f))
		sqlite3_result_value(cx, s->rows[disc_at(s, f)].x);
	agg_free(s);
}

/* The most frequent value; among equally frequent ones the first in the
 * sort order (PostgreSQL's mode_final keeps the first). */
static void mode_final(sqlite3_context *cx)
{
	agg_state *s = agg_sorted(cx);
	int64_t best = 0, best_n = 0, run = 0;
	if (!s)
		return;
	for (int64_t i = 0; i < s->n; i++) {
		run = i && !value_cmp(s->rows[i].x, s->rows[i - 1].x) ? run + 1 : 1;
		if (run > best_n) {
			best_n = run;
			best = i;
		}
	}
	sqlite3_result_value(cx, s->rows[best].x);
	agg_free(s);
}

/* b's json text answered as it is, or normalized as jsonb; b freed. */
static void json_result(sqlite3_context *cx, mur_buf *b, int jsonb)
{
	mur_json_doc *d;
	mur_json *j;
	mur_error err;
	mur_buf out;
	if (!jsonb || !mur_buf_ok(b))
		return stor_fn_result_buf(cx, b);
	if (!(d = mur_json_doc_new())) {
		mur_buf_free(b);
		return sqlite3_result_error_nomem(cx);
	}
	mur_buf_init(&out);
	if (mur_json_parse(d, b->data, b->len, 1, &j, &err) != MUR_OK) {
		stor_fn_fail(cx, err.sqlstate, "%s", err.message);
	} else {
		mur_json_write(j, 0, &out);
		stor_fn_result_buf(cx, &out);
	}
	mur_json_doc_free(d);
	mur_buf_free(&out);
	mur_buf_free(b);
}

/* json_agg / jsonb_agg (object 0) and json[b]_object_agg (object 1). */
static void json_agg_common(sqlite3_context *cx, int object, int jsonb)
{
	agg_state *s = agg_sorted(cx);
	mur_buf b;
	if (!s)
		return;
	mur_buf_init(&b);
	mur_buf_put(&b, object ? "{ " : "[", object ? 2 : 1);
	for (int64_t i = 0; i < s->n; i++) {
		agg_row *r = &s->rows[i];
		if (i) /* PostgreSQL: no "\n " before a NULL element */
			mur_buf_put(&b, ", \n ",
				    (s->flags & AGG_JSON_STRUCT) &&
						    !(sqlite3_value_bytes(r->x) == 4 &&
						      !memcmp(sqlite3_value_text(r->x), "null", 4))
					    ? 4
					    : 2);
		if (object && sqlite3_value_type(r->arg) == SQLITE_NULL) {
			agg_free(s);
			mur_buf_free(&b);
			return stor_fn_fail(cx, "22023", "field name must not be null");
		}
		if (object) {
			mur_json_put_string(&b, (const char *)sqlite3_value_text(r->arg),
					    (size_t)sqlite3_value_bytes(r->arg));
			mur_buf_put(&b, " : ", 3);
		}
		mur_buf_put(&b, sqlite3_value_text(r->x), (size_t)sqlite3_value_bytes(r->x));
	}
	mur_buf_put(&b, object ? " }" : "]", object ? 2 : 1);
	agg_free(s);
	json_result(cx, &b, jsonb);
}

static void json_agg_final(sqlite3_context *cx) { json_agg_common(cx, 0, 0); }
static void jsonb_agg_final(sqlite3_context *cx) { json_agg_common(cx, 0, 1); }
static void json_object_agg_final(sqlite3_context *cx) { json_agg_common(cx, 1, 0); }
static void jsonb_object_agg_final(sqlite3_context *cx) { json_agg_common(cx, 1, 1); }

/* array_agg: the elements of each row's one-element array, in order;
 * DISTINCT drops a row whose x equals the previous one's. */
/* Rows i and i - 1 of the sorted group are equal for DISTINCT: by x's
 * value (args; the array sort key when there is one). */
static int same_as_previous(const agg_state *s, int64_t i)
{
	const agg_row *r = &s->rows[i], *p = &s->rows[i - 1];
	if (s->flags & AGG_ORDER_ARRAY(0)) {
		int nr = sqlite3_value_type(r->keys[0]) == SQLITE_NULL;
		int np = sqlite3_value_type(p->keys[0]) == SQLITE_NULL;
		if (nr || np)
			return nr == np;
		return !stor_array_sortkey_cmp(sqlite3_value_blob(r->keys[0]),
					       (size_t)sqlite3_value_bytes(r->keys[0]),
					       sqlite3_value_blob(p->keys[0]),
					       (size_t)sqlite3_value_bytes(p->keys[0]));
	}
	return !value_cmp(r->arg, p->arg);
}

/* One array of array_agg over arrays (row x) parsed into a; its shape
 * checked against first's (NULL: a is the first).  0 after failing. */
static int accumulate(sqlite3_context *cx, sqlite3_value *x, mur_arr *a, const mur_arr *first)
{
	mur_error err;
	memset(&err, 0, sizeof err);
	if (sqlite3_value_type(x) != SQLITE_TEXT || sqlite3_value_bytes(x) < 1 ||
	    sqlite3_value_text(x)[0] != '{')
		return stor_fn_fail(cx, "22004", "cannot accumulate null arrays"), 0;
	if (mur_arr_parse(a, MT_UNKNOWN, (const char *)sqlite3_value_text(x),
			  (size_t)sqlite3_value_bytes(x), &err) != MUR_OK)
		return stor_fn_fail(cx, err.sqlstate, "%s", err.message), 0;
	if (mur_arr_ndim(a) == 0)
		return stor_fn_fail(cx, "2202E", "cannot accumulate empty arrays"), 0;
	if (!first)
		return 1;
	if (mur_arr_ndim(a) != mur_arr_ndim(first))
		return stor_fn_fail(cx, "2202E",
				    "cannot accumulate arrays of different dimensionality"),
		       0;
	for (int d = 0; d < mur_arr_ndim(a); d++)
		if (mur_arr_dim(a, d) != mur_arr_dim(first, d))
			return stor_fn_fail(cx, "2202E",
					    "cannot accumulate arrays of different dimensionality"),
			       0;
	return 1;
}

/* array_agg over arrays: the group's arrays under one more dimension. */
static void arrays_final(sqlite3_context *cx, agg_state *s)
{
	mur_arr *subs = calloc((size_t)s->n, sizeof *subs), out;
	const mur_arr **p = calloc((size_t)s->n, sizeof *p);
	mur_error err;
	int n = 0, ok = 1;
	memset(&err, 0, sizeof err);
	mur_arr_init(&out);
	if (!subs || !p) {
		sqlite3_result_error_nomem(cx);
		goto free_all;
	}
	for (int64_t i = 0; i < s->n && ok; i++) {
		if (s->flags & AGG_DISTINCT && i && same_as_previous(s, i))
			continue;
		mur_arr_init(&subs[n]);
		ok = accumulate(cx, s->rows[i].x, &subs[n], n ? &subs[0] : NULL);
		p[n] = &subs[n];
		n++;
	}
	if (!ok)
		goto free_all;
	if (mur_arr_stack(&out, p, n, &err) == MUR_OK) {
		mur_buf b;
		mur_buf_init(&b);
		mur_arr_out(&out, &b);
		stor_fn_result_buf(cx, &b);
	} else {
		stor_fn_fail(cx, err.sqlstate, "%s", err.message);
	}
free_all:
	for (int i = 0; subs && i < n; i++)
		mur_arr_free(&subs[i]);
	mur_arr_free(&out);
	free(subs);
	free(p);
}

static void array_agg_final(sqlite3_context *cx)
{
	agg_state *s = agg_sorted(cx);
	mur_buf b;
	int first = 1;
	if (!s)
		return;
	if (s->flags & AGG_OF_ARRAYS) {
		arrays_final(cx, s);
		agg_free(s);
		return;
	}
	mur_buf_init(&b);
	mur_buf_put_u8(&b, '{');
	for (int64_t i = 0; i < s->n; i++) {
		agg_row *r = &s->rows[i];
		int n = sqlite3_value_bytes(r->x);
		const unsigned char *t = sqlite3_value_text(r->x);
		if (s->flags & AGG_DISTINCT && i && same_as_previous(s, i))
			continue;
		if (n < 2)
			continue; /* not the '{...}' mur_array wrote */
		if (!first)
			mur_buf_put_u8(&b, ',');
		first = 0;
		mur_buf_put(&b, t + 1, (size_t)n - 2);
	}
	mur_buf_put_u8(&b, '}');
	agg_free(s);
	stor_fn_result_buf(cx, &b);
}

int stor_register_agg_functions(sqlite3 *db)
{
	static const struct {
		const char *name;
		void (*final)(sqlite3_context *);
	} aggs[] = {
		{"mur_string_agg", string_agg_final},
		{"mur_percentile_cont", percentile_cont_final},
		{"mur_percentile_disc", percentile_disc_final},
		{"mur_mode", mode_final},
		{"mur_json_agg", json_agg_final},
		{"mur_jsonb_agg", jsonb_agg_final},
		{"mur_json_object_agg", json_object_agg_final},
		{"mur_jsonb_object_agg", jsonb_object_agg_final},
		{"mur_array_agg", array_agg_final},
	};
	int flags = SQLITE_UTF8 | SQLITE_INNOCUOUS | SQLITE_DETERMINISTIC;
	for (size_t i = 0; i < sizeof aggs / sizeof aggs[0]; i++) {
		int rc = sqlite3_create_function_v2(db, aggs[i].name, -1, flags, NULL, NULL,
						    agg_step, aggs[i].final, NULL);
		if (rc != SQLITE_OK)
			return rc;
	}
	return SQLITE_OK;
}
