/*
 * sqlfn_array.c — the SQLite functions behind murphy's arrays
 * (parser/analyze_array.c writes the calls; the stored form and the order
 * are common/array.h's).  elem is the element's mur_type as an integer.
 *
 *   mur_array(elem, v...)               ARRAY[v, ...] from storage values
 *   mur_array_stack(a...)               ARRAY[a, ...] of arrays: one more dimension
 *   mur_array_cmp(a, b, elem)           <0, 0, >0 (btarraycmp)
 *   mur_array_any(x, a, elem, op, all)  x op ANY/ALL (a); op 0..5 = <> < <= > >=
 *   mur_array_get(a, i, elem)           the i-th element in storage order
 *                                       (unnest's), a storage value of elem
 *   mur_array_sub(a, elem, i...)        a[i]...[j]: NULL unless one index per
 *                                       dimension, each in range
 *   mur_array_slice(a, lo, hi ...)      a[lo:hi]... (a pair per dimension)
 *   mur_array_bound(a, d, which)        lower, upper, length, cardinality,
 *                                       ndims, dims (array_dims' text)
 *   mur_array_position(a, x, elem [, s]) first i >= s with a[i] IS NOT DISTINCT FROM x
 *   mur_array_append(a, x, elem), mur_array_prepend(x, a, elem),
 *   mur_array_cat(a, b), mur_array_remove(a, x, elem)
 *   mur_array_contains(a, b, elem)      a @> b;  mur_array_overlap: a && b
 *   mur_array_to_string(a, d [, n]), mur_string_to_array(s, d [, n])
 *   mur_array_json(a)                   the elements as a JSON array of strings
 *                                       and nulls (unnest in a select list
 *                                       reads it with json_each)
 *   mur_array_elem(text, elem)          one element's text as a storage value
 *   mur_array_sortkey(a, elem)          a as a collecting aggregate's sort key:
 *                                       a blob, elem's byte then a's text
 *                                       (sqlfn_agg.c compares it as arrays)
 *   mur_num_sortkey(x)                  a numeric as the sort key of {x}
 *   mur_array_num_typmod(a, typmod)     a numeric[] stored into numeric(p,s)[]:
 *                                       each element rounded to the scale,
 *                                       22003 when one does not fit
 *   mur_array_num_norm(a)               a numeric[] without trailing fraction
 *                                       zeros in its elements ({1.0} → {1}):
 *                                       the subquery sets' key (analyze_expr.c)
 *   collations mur_arr_num, mur_arr_float, mur_arr_text (array.h)
 *
 * Strictness follows PostgreSQL: the comparisons, subscripts and bounds
 * answer NULL for a NULL argument; append/prepend/cat take a NULL array as
 * empty; array_position finds a NULL element for a NULL x.  On arrays of
 * more than one dimension (common/array.h "Shape") append / prepend are
 * 22000 and remove / position 0A000, as PostgreSQL's; the others see the
 * elements in row-major order, as PostgreSQL's do.
 */
#include "storage/storage_int.h"

#include "common/array.h"
#include "common/json.h"

#include <sqlite3.h>
#include <stdint.h>
#include <string.h>

/* Parse argument v (an array's stored text) into a; 0 and the call failed
 * when it is not an array. */
static int arg_arr(sqlite3_context *cx, sqlite3_value *v, mur_arr *a)
{
	mur_error err;
	memset(&err, 0, sizeof err);
	if (mur_arr_parse(a, MT_UNKNOWN, (const char *)sqlite3_value_text(v),
			  (size_t)sqlite3_value_bytes(v), &err) != MUR_OK) {
		stor_fn_fail(cx, err.sqlstate, "%s", err.message);
		return 0;
	}
	return 1;
}

static mur_type arg_elem(sqlite3_value *v)
{
	int t = sqlite3_value_int(v);
	return t > MT_UNKNOWN && t < MT_TYPE_COUNT ? (mur_type)t : MT_TEXT;
}

static void result_arr(sqlite3_context *cx, const mur_arr *a)
{
	mur_buf b;
	mur_buf_init(&b);
	mur_arr_out(a, &b);
	stor_fn_result_buf(cx, &b);
}

/* x (a storage value) pushed as an element of type elem. */
static int push_value(sqlite3_context *cx, mur_arr *a, mur_type elem, sqlite3_value *x)
{
	mur_value v = stor_fn_value(x);
	mur_buf one;
	mur_error err;
	int rc;
	memset(&err, 0, sizeof err);
	mur_buf_init(&one);
	if (v.kind != MV_NULL)
		mur_arr_elem_text(elem, &v, &one);
	rc = mur_arr_push(a, one.data ? one.data : "", one.len, v.kind == MV_NULL, &err);
	mur_buf_free(&one);
	if (rc != MUR_OK)
		stor_fn_fail(cx, err.sqlstate, "%s", err.message);
	return rc == MUR_OK;
}

static void fn_array(sqlite3_context *cx, int argc, sqlite3_value **v)
{
	mur_type elem = arg_elem(v[0]);
	mur_arr a;
	mur_arr_init(&a);
	for (int i = 1; i < argc; i++)
		if (!push_value(cx, &a, elem, v[i]))
			goto free_all;
	result_arr(cx, &a);
free_all:
	mur_arr_free(&a);
}

static void fn_stack(sqlite3_context *cx, int argc, sqlite3_value **v)
{
	mur_arr *subs = sqlite3_malloc64(sizeof *subs * (sqlite3_uint64)argc), out;
	const mur_arr **p = sqlite3_malloc64(sizeof *p * (sqlite3_uint64)argc);
	mur_error err;
	int parsed = 0;
	memset(&err, 0, sizeof err);
	mur_arr_init(&out);
	if (!subs || !p) {
		sqlite3_result_error_nomem(cx);
		goto free_all;
	}
	for (; parsed < argc; parsed++) {
		mur_arr_init(&subs[parsed]);
		p[parsed] = sqlite3_value_type(v[parsed]) == SQLITE_NULL ? NULL : &subs[parsed];
		if (p[parsed] && !arg_arr(cx, v[parsed], &subs[parsed])) {
			parsed++;
			goto free_all;
		}
	}
	if (mur_arr_stack(&out, p, argc, &err) == MUR_OK)
		result_arr(cx, &out);
	else
		stor_fn_fail(cx, err.sqlstate, "%s", err.message);
free_all:
	for (int i = 0; subs && i < parsed; i++)
		mur_arr_free(&subs[i]);
	mur_arr_free(&out);
	sqlite3_free(subs);
	sqlite3_free(p);
}

static void fn_cmp(sqlite3_context *cx, int argc, sqlite3_value **v)
{
	mur_arr a, b;
	(void)argc;
	if (stor_fn_any_null(2, v))
		return;
	mur_arr_init(&a);
	mur_arr_init(&b);
	if (arg_arr(cx, v[0], &a) && arg_arr(cx, v[1], &b))
		sqlite3_result_int(cx, mur_arr_cmp(arg_elem(v[2]), &a, &b));
	mur_arr_free(&a);
	mur_arr_free(&b);
}

static int op_holds(int op, int c)
{
	switch (op) {
	case 0:
		return c == 0;
	case 1:
		return c != 0;
	case 2:
		return c < 0;
	case 3:
		return c <= 0;
	case 4:
		return c > 0;
	default:
		return c >= 0;
	}
}

static void arr_destroy(void *p)
{
	mur_arr_free(p);
	sqlite3_free(p);
}

/* x op ANY (a): true when some element makes it true, else NULL when x
 * or some element is NULL, else false.  ALL: false when some element
 * makes it false, else NULL when a NULL took part, else true.  A constant
 * array (a literal, a parameter) is parsed once per statement: SQLite
 * keeps the parsed form as the argument's auxiliary data. */
static void fn_any(sqlite3_context *cx, int argc, sqlite3_value **v)
{
	mur_type elem = arg_elem(v[2]);
	int op = sqlite3_value_int(v[3]), all = sqlite3_value_int(v[4]), saw_null = 0;
	mur_value x = stor_fn_value(v[0]);
	mur_arr *a = sqlite3_get_auxdata(cx, 1), *fresh = NULL;
	mur_buf xt;
	(void)argc;
	if (sqlite3_value_type(v[1]) == SQLITE_NULL)
		return;
	if (!a) {
		if (!(fresh = sqlite3_malloc(sizeof *fresh)))
			return sqlite3_result_error_nomem(cx);
		mur_arr_init(fresh);
		if (!arg_arr(cx, v[1], fresh)) {
			arr_destroy(fresh);
			return;
		}
		a = fresh;
	}
	mur_buf_init(&xt);
	if (a->n == 0) { /* no element: ANY false, ALL true, whatever x is */
		sqlite3_result_int(cx, all);
		goto done;
	}
	if (x.kind == MV_NULL) {
		sqlite3_result_null(cx);
		goto done;
	}
	mur_arr_elem_text(elem, &x, &xt);
	for (int i = 0; i < a->n; i++) {
		int holds;
		if (a->e[i].null) {
			saw_null = 1;
			continue;
		}
		holds = op_holds(op, mur_arr_elem_cmp(elem, xt.data ? xt.data : "", xt.len,
						      mur_arr_s(a, i), a->e[i].len));
		if (holds != all) { /* ANY found a true, ALL a false */
			sqlite3_result_int(cx, holds);
			goto done;
		}
	}
	if (saw_null)
		sqlite3_result_null(cx);
	else
		sqlite3_result_int(cx, all);
done:
	mur_buf_free(&xt);
	if (fresh) /* last: SQLite may destroy it at once */
		sqlite3_set_auxdata(cx, 1, fresh, arr_destroy);
}

/* The element of a at offset i (an index into a->e) as a storage value. */
static void result_elem(sqlite3_context *cx, const mur_arr *a, int i, mur_type elem)
{
	mur_buf scratch;
	mur_value out;
	mur_error err;
	if (a->e[i].null)
		return;
	memset(&err, 0, sizeof err);
	mur_buf_init(&scratch);
	if (mur_value_from_pgtext(elem, mur_arr_s(a, i), a->e[i].len, &scratch, &out, &err) ==
	    MUR_OK)
		stor_fn_result_value(cx, &out);
	else
		stor_fn_fail(cx, err.sqlstate, "%s", err.message);
	mur_buf_free(&scratch);
}

static void fn_get(sqlite3_context *cx, int argc, sqlite3_value **v)
{
	mur_arr a;
	sqlite3_int64 i;
	(void)argc;
	if (stor_fn_any_null(2, v))
		return;
	i = sqlite3_value_int64(v[1]);
	mur_arr_init(&a);
	if (arg_arr(cx, v[0], &a) && i >= 1 && i <= a.n)
		result_elem(cx, &a, (int)i - 1, arg_elem(v[2]));
	mur_arr_free(&a);
}

static void fn_sub(sqlite3_context *cx, int argc, sqlite3_value **v)
{
	long long idx[MUR_ARR_NDIM_MAX];
	int k = argc - 2, at;
	mur_arr a;
	if (stor_fn_any_null(argc, v))
		return;
	if (k > MUR_ARR_NDIM_MAX)
		return stor_fn_fail(cx, SQLSTATE_PROGRAM_LIMIT_EXCEEDED,
				    "number of array dimensions (%d) exceeds the maximum allowed "
				    "(%d)",
				    k, MUR_ARR_NDIM_MAX);
	for (int d = 0; d < k; d++)
		idx[d] = sqlite3_value_int64(v[d + 2]);
	mur_arr_init(&a);
	if (arg_arr(cx, v[0], &a) && (at = mur_arr_offset(&a, k, idx)) >= 0)
		result_elem(cx, &a, at, arg_elem(v[1]));
	mur_arr_free(&a);
}

static void fn_slice(sqlite3_context *cx, int argc, sqlite3_value **v)
{
	long long lo[MUR_ARR_NDIM_MAX], hi[MUR_ARR_NDIM_MAX];
	int k = (argc - 1) / 2;
	mur_arr a, out;
	mur_error err;
	if (stor_fn_any_null(argc, v))
		return;
	if (k > MUR_ARR_NDIM_MAX)
		return stor_fn_fail(cx, SQLSTATE_PROGRAM_LIMIT_EXCEEDED,
				    "number of array dimensions (%d) exceeds the maximum allowed "
				    "(%d)",
				    k, MUR_ARR_NDIM_MAX);
	for (int d = 0; d < k; d++) {
		lo[d] = sqlite3_value_int64(v[1 + 2 * d]);
		hi[d] = sqlite3_value_int64(v[2 + 2 * d]);
	}
	memset(&err, 0, sizeof err);
	mur_arr_init(&a);
	mur_arr_init(&out);
	if (arg_arr(cx, v[0], &a)) {
		if (mur_arr_slice(&out, &a, k, lo, hi, &err) == MUR_OK)
			result_arr(cx, &out);
		else
			stor_fn_fail(cx, err.sqlstate, "%s", err.message);
	}
	mur_arr_free(&out);
	mur_arr_free(&a);
}

/* which: 0 array_lower, 1 array_upper, 2 array_length of dimension d,
 * 3 cardinality, 4 array_ndims, 5 array_dims.  An empty array has no
 * dimension: NULL (cardinality 0); so has a d past a's dimensions. */
static void fn_bound(sqlite3_context *cx, int argc, sqlite3_value **v)
{
	mur_arr a;
	int which = sqlite3_value_int(v[2]);
	sqlite3_int64 d = sqlite3_value_int64(v[1]);
	(void)argc;
	if (stor_fn_any_null(2, v))
		return;
	mur_arr_init(&a);
	if (!arg_arr(cx, v[0], &a)) {
		/* the call failed */
	} else if (which == 3) {
		sqlite3_result_int(cx, a.n);
	} else if (which == 4) {
		if (mur_arr_ndim(&a))
			sqlite3_result_int(cx, mur_arr_ndim(&a));
	} else if (which == 5) {
		mur_buf b;
		mur_buf_init(&b);
		mur_arr_dims_text(&a, &b);
		if (b.len)
			stor_fn_result_buf(cx, &b);
		else
			mur_buf_free(&b);
	} else if (d >= 1 && d <= mur_arr_ndim(&a)) {
		sqlite3_result_int(cx, which == 0 ? 1 : mur_arr_dim(&a, (int)d - 1));
	}
	mur_arr_free(&a);
}

/* Refuse a of more than one dimension as PostgreSQL's function does:
 * what 0 array_append / array_prepend (22000), 1 array_remove, 2
 * array_position (0A000).  1 when a is fine. */
static int one_dim(sqlite3_context *cx, const mur_arr *a, int what)
{
	static const char *const msg[] = {
		"argument must be empty or one-dimensional array",
		"removing elements from multidimensional arrays is not supported",
		"searching for elements in multidimensional arrays is not supported",
	};
	if (mur_arr_ndim(a) <= 1)
		return 1;
	stor_fn_fail(cx, what ? SQLSTATE_FEATURE_NOT_SUPPORTED : SQLSTATE_DATA_EXCEPTION, "%s",
		     msg[what]);
	return 0;
}

static void fn_position(sqlite3_context *cx, int argc, sqlite3_value **v)
{
	mur_type elem = arg_elem(v[2]);
	mur_value x = stor_fn_value(v[1]);
	sqlite3_int64 start = 1;
	mur_buf xt;
	mur_arr a;
	if (sqlite3_value_type(v[0]) == SQLITE_NULL)
		return;
	if (argc > 3) {
		if (sqlite3_value_type(v[3]) == SQLITE_NULL)
			return stor_fn_fail(cx, "22004", "initial position must not be null");
		start = sqlite3_value_int64(v[3]);
	}
	mur_arr_init(&a);
	mur_buf_init(&xt);
	if (x.kind != MV_NULL)
		mur_arr_elem_text(elem, &x, &xt);
	if (arg_arr(cx, v[0], &a) && one_dim(cx, &a, 2))
		for (sqlite3_int64 i = start < 1 ? 1 : start; i <= a.n; i++) {
			const mur_arr_elem *e = &a.e[i - 1];
			if (x.kind == MV_NULL
				    ? e->null
				    : !e->null &&
					      !mur_arr_elem_cmp(elem, xt.data ? xt.data : "",
								xt.len, mur_arr_s(&a, (int)i - 1),
								e->len)) {
				sqlite3_result_int64(cx, i);
				break;
			}
		}
	mur_buf_free(&xt);
	mur_arr_free(&a);
}

/* The array argument v, NULL taken as empty. */
static int arg_arr_or_empty(sqlite3_context *cx, sqlite3_value *v, mur_arr *a)
{
	return sqlite3_value_type(v) == SQLITE_NULL || arg_arr(cx, v, a);
}

static int push_all(sqlite3_context *cx, mur_arr *to, const mur_arr *from)
{
	mur_error err;
	for (int i = 0; i < from->n; i++)
		if (mur_arr_push(to, mur_arr_s(from, i), from->e[i].len, from->e[i].null, &err) !=
		    MUR_OK) {
			stor_fn_fail(cx, err.sqlstate, "%s", err.message);
			return 0;
		}
	return 1;
}

static void fn_append(sqlite3_context *cx, int argc, sqlite3_value **v)
{
	mur_arr a;
	(void)argc;
	mur_arr_init(&a);
	if (arg_arr_or_empty(cx, v[0], &a) && one_dim(cx, &a, 0) &&
	    push_value(cx, &a, arg_elem(v[2]), v[1]))
		result_arr(cx, &a);
	mur_arr_free(&a);
}

static void fn_prepend(sqlite3_context *cx, int argc, sqlite3_value **v)
{
	mur_arr a, out;
	(void)argc;
	mur_arr_init(&a);
	mur_arr_init(&out);
	if (arg_arr_or_empty(cx, v[1], &a) && one_dim(cx, &a, 0) &&
	    push_value(cx, &out, arg_elem(v[2]), v[0]) && push_all(cx, &out, &a))
		result_arr(cx, &out);
	mur_arr_free(&out);
	mur_arr_free(&a);
}

static void fn_cat(sqlite3_context *cx, int argc, sqlite3_value **v)
{
	mur_arr a, b, out;
	mur_error err;
	(void)argc;
	if (sqlite3_value_type(v[0]) == SQLITE_NULL && sqlite3_value_type(v[1]) == SQLITE_NULL)
		return;
	memset(&err, 0, sizeof err);
	mur_arr_init(&a);
	mur_arr_init(&b);
	mur_arr_init(&out);
	if (arg_arr_or_empty(cx, v[0], &a) && arg_arr_or_empty(cx, v[1], &b)) {
		if (mur_arr_concat(&out, &a, &b, &err) == MUR_OK)
			result_arr(cx, &out);
		else
			stor_fn_fail(cx, err.sqlstate, "%s", err.message);
	}
	mur_arr_free(&out);
	mur_arr_free(&b);
	mur_arr_free(&a);
}

static void fn_remove(sqlite3_context *cx, int argc, sqlite3_value **v)
{
	mur_type elem = arg_elem(v[2]);
	mur_value x = stor_fn_value(v[1]);
	mur_arr a, out;
	mur_buf xt;
	mur_error err;
	(void)argc;
	if (sqlite3_value_type(v[0]) == SQLITE_NULL)
		return;
	mur_arr_init(&a);
	mur_arr_init(&out);
	mur_buf_init(&xt);
	if (x.kind != MV_NULL)
		mur_arr_elem_text(elem, &x, &xt);
	if (arg_arr(cx, v[0], &a) && one_dim(cx, &a, 1)) {
		int ok = 1;
		for (int i = 0; i < a.n && ok; i++) {
			int same = x.kind == MV_NULL
					   ? a.e[i].null
					   : !a.e[i].null &&
						     !mur_arr_elem_cmp(elem, xt.data ? xt.data : "",
								       xt.len, mur_arr_s(&a, i),
								       a.e[i].len);
			if (!same)
				ok = mur_arr_push(&out, mur_arr_s(&a, i), a.e[i].len, a.e[i].null,
						  &err) == MUR_OK;
		}
		if (ok)
			result_arr(cx, &out);
		else
			sqlite3_result_error_nomem(cx);
	}
	mur_buf_free(&xt);
	mur_arr_free(&out);
	mur_arr_free(&a);
}

/* Does a hold an element equal to b's element j?  NULLs never match. */
static int holds(mur_type elem, const mur_arr *a, const mur_arr *b, int j)
{
	if (b->e[j].null)
		return 0;
	for (int i = 0; i < a->n; i++)
		if (!a->e[i].null && !mur_arr_elem_cmp(elem, mur_arr_s(a, i), a->e[i].len,
						       mur_arr_s(b, j), b->e[j].len))
			return 1;
	return 0;
}

/* overlap 0: a @> b (every element of b is in a); 1: a && b (one is). */
static void contains(sqlite3_context *cx, sqlite3_value **v, int overlap)
{
	mur_type elem = arg_elem(v[2]);
	mur_arr a, b;
	if (stor_fn_any_null(2, v))
		return;
	mur_arr_init(&a);
	mur_arr_init(&b);
	if (arg_arr(cx, v[0], &a) && arg_arr(cx, v[1], &b)) {
		int r = !overlap;
		for (int j = 0; j < b.n; j++)
			if (holds(elem, &a, &b, j) == overlap) {
				r = overlap;
				break;
			}
		sqlite3_result_int(cx, r);
	}
	mur_arr_free(&b);
	mur_arr_free(&a);
}

static void fn_contains(sqlite3_context *cx, int argc, sqlite3_value **v)
{
	(void)argc;
	contains(cx, v, 0);
}

static void fn_overlap(sqlite3_context *cx, int argc, sqlite3_value **v)
{
	(void)argc;
	contains(cx, v, 1);
}

static void fn_to_string(sqlite3_context *cx, int argc, sqlite3_value **v)
{
	const char *d, *nul = NULL;
	size_t dn, nn = 0;
	mur_arr a;
	mur_buf b;
	int first = 1;
	if (stor_fn_any_null(2, v))
		return;
	d = (const char *)sqlite3_value_text(v[1]);
	dn = (size_t)sqlite3_value_bytes(v[1]);
	if (argc > 2 && sqlite3_value_type(v[2]) != SQLITE_NULL) {
		nul = (const char *)sqlite3_value_text(v[2]);
		nn = (size_t)sqlite3_value_bytes(v[2]);
	}
	mur_arr_init(&a);
	mur_buf_init(&b);
	if (!arg_arr(cx, v[0], &a)) {
		mur_arr_free(&a);
		mur_buf_free(&b);
		return;
	}
	for (int i = 0; i < a.n; i++) {
		if (a.e[i].null && !nul)
			continue;
		if (!first)
			mur_buf_put(&b, d, dn);
		first = 0;
		if (a.e[i].null)
			mur_buf_put(&b, nul, nn);
		else
			mur_buf_put(&b, mur_arr_s(&a, i), a.e[i].len);
	}
	stor_fn_result_buf(cx, &b); /* frees b; empty is '' */
	mur_arr_free(&a);
}

/* One piece of string_to_array: NULL when it equals the null string. */
static int piece(mur_arr *a, const char *s, size_t n, const char *nul, size_t nn, mur_error *err)
{
	int null = nul && nn == n && !memcmp(s, nul, n);
	return mur_arr_push(a, s, n, null, err);
}

static void fn_string_to_array(sqlite3_context *cx, int argc, sqlite3_value **v)
{
	const char *s, *d = NULL, *nul = NULL;
	size_t sn, dn = 0, nn = 0, i = 0, start = 0;
	mur_arr a;
	mur_error err;
	int ok = 1;
	if (sqlite3_value_type(v[0]) == SQLITE_NULL)
		return;
	s = (const char *)sqlite3_value_text(v[0]);
	sn = (size_t)sqlite3_value_bytes(v[0]);
	if (sqlite3_value_type(v[1]) != SQLITE_NULL) {
		d = (const char *)sqlite3_value_text(v[1]);
		dn = (size_t)sqlite3_value_bytes(v[1]);
	}
	if (argc > 2 && sqlite3_value_type(v[2]) != SQLITE_NULL) {
		nul = (const char *)sqlite3_value_text(v[2]);
		nn = (size_t)sqlite3_value_bytes(v[2]);
	}
	mur_arr_init(&a);
	if (sn == 0) {
		/* '' is the empty array */
	} else if (!d) { /* each character apart (UTF-8 sequences whole) */
		while (i < sn && ok) {
			size_t k = i + 1;
			while (k < sn && ((unsigned char)s[k] & 0xC0) == 0x80)
				k++;
			ok = piece(&a, s + i, k - i, nul, nn, &err) == MUR_OK;
			i = k;
		}
	} else if (dn == 0) { /* the whole string, one element */
		ok = piece(&a, s, sn, nul, nn, &err) == MUR_OK;
	} else {
		while (ok) {
			const char *hit = NULL;
			for (size_t k = start; k + dn <= sn; k++)
				if (!memcmp(s + k, d, dn)) {
					hit = s + k;
					break;
				}
			if (!hit) {
				ok = piece(&a, s + start, sn - start, nul, nn, &err) == MUR_OK;
				break;
			}
			ok = piece(&a, s + start, (size_t)(hit - s) - start, nul, nn, &err) ==
			     MUR_OK;
			start = (size_t)(hit - s) + dn;
		}
	}
	if (ok)
		result_arr(cx, &a);
	else
		stor_fn_fail(cx, err.sqlstate, "%s", err.message);
	mur_arr_free(&a);
}

static void fn_json(sqlite3_context *cx, int argc, sqlite3_value **v)
{
	mur_arr a;
	mur_buf b;
	(void)argc;
	if (sqlite3_value_type(v[0]) == SQLITE_NULL)
		return;
	mur_arr_init(&a);
	if (arg_arr(cx, v[0], &a)) {
		mur_buf_init(&b);
		mur_buf_put_u8(&b, '[');
		for (int i = 0; i < a.n; i++) {
			if (i)
				mur_buf_put_u8(&b, ',');
			if (a.e[i].null)
				mur_buf_put(&b, "null", 4);
			else
				mur_json_put_string(&b, mur_arr_s(&a, i), a.e[i].len);
		}
		mur_buf_put_u8(&b, ']');
		stor_fn_result_buf(cx, &b);
	}
	mur_arr_free(&a);
}

static void fn_elem(sqlite3_context *cx, int argc, sqlite3_value **v)
{
	mur_buf scratch;
	mur_value out;
	mur_error err;
	(void)argc;
	if (sqlite3_value_type(v[0]) == SQLITE_NULL)
		return;
	memset(&err, 0, sizeof err);
	mur_buf_init(&scratch);
	if (mur_value_from_pgtext(arg_elem(v[1]), (const char *)sqlite3_value_text(v[0]),
				  (size_t)sqlite3_value_bytes(v[0]), &scratch, &out,
				  &err) == MUR_OK)
		stor_fn_result_value(cx, &out);
	else
		stor_fn_fail(cx, err.sqlstate, "%s", err.message);
	mur_buf_free(&scratch);
}

static void fn_sortkey(sqlite3_context *cx, int argc, sqlite3_value **v)
{
	mur_buf b;
	(void)argc;
	if (sqlite3_value_type(v[0]) == SQLITE_NULL)
		return;
	mur_buf_init(&b);
	mur_buf_put_u8(&b, (uint8_t)arg_elem(v[1]));
	mur_buf_put(&b, sqlite3_value_text(v[0]), (size_t)sqlite3_value_bytes(v[0]));
	if (!mur_buf_ok(&b)) {
		mur_buf_free(&b);
		return sqlite3_result_error_nomem(cx);
	}
	sqlite3_result_blob64(cx, b.data, b.len, SQLITE_TRANSIENT);
	mur_buf_free(&b);
}

/* mur_num_sortkey(x): a numeric as mur_array_sortkey's blob of the array
 * {x}, so a collecting aggregate sorts and DISTINCTs it by value (1.0 and
 * 1.00 equal, 9 before 10); NULL for NULL. */
static void fn_num_sortkey(sqlite3_context *cx, int argc, sqlite3_value **v)
{
	mur_buf b;
	(void)argc;
	if (sqlite3_value_type(v[0]) == SQLITE_NULL)
		return;
	mur_buf_init(&b);
	mur_buf_put_u8(&b, (uint8_t)MT_NUMERIC);
	mur_buf_put_u8(&b, '{');
	mur_buf_put(&b, sqlite3_value_text(v[0]), (size_t)sqlite3_value_bytes(v[0]));
	mur_buf_put_u8(&b, '}');
	if (!mur_buf_ok(&b)) {
		mur_buf_free(&b);
		return sqlite3_result_error_nomem(cx);
	}
	sqlite3_result_blob64(cx, b.data, b.len, SQLITE_TRANSIENT);
	mur_buf_free(&b);
}

int stor_array_sortkey_cmp(const void *a, size_t la, const void *b, size_t lb)
{
	mur_arr x, y;
	mur_error err;
	int c;
	if (la < 1 || lb < 1)
		return (la > lb) - (la < lb);
	mur_arr_init(&x);
	mur_arr_init(&y);
	if (mur_arr_parse(&x, MT_UNKNOWN, (const char *)a + 1, la - 1, &err) != MUR_OK ||
	    mur_arr_parse(&y, MT_UNKNOWN, (const char *)b + 1, lb - 1, &err) != MUR_OK) {
		size_t n = la < lb ? la : lb;
		c = memcmp(a, b, n); /* not arrays: by bytes, consistently */
		c = c ? c : (la > lb) - (la < lb);
	} else {
		c = mur_arr_cmp((mur_type)((const uint8_t *)a)[0], &x, &y);
	}
	mur_arr_free(&y);
	mur_arr_free(&x);
	return c;
}

/* The collations: pArg is the element type whose order they follow. */
static int collate_arr(void *arg, int la, const void *pa, int lb, const void *pb)
{
	mur_type elem = (mur_type)(intptr_t)arg;
	mur_arr a, b;
	mur_error err;
	int c;
	mur_arr_init(&a);
	mur_arr_init(&b);
	if (mur_arr_parse(&a, MT_UNKNOWN, pa, (size_t)la, &err) != MUR_OK ||
	    mur_arr_parse(&b, MT_UNKNOWN, pb, (size_t)lb, &err) != MUR_OK) {
		int n = la < lb ? la : lb;
		c = memcmp(pa, pb, (size_t)n); /* not arrays: by bytes, consistently */
		c = c ? c : (la > lb) - (la < lb);
	} else {
		c = mur_arr_cmp(elem, &a, &b);
	}
	mur_arr_free(&b);
	mur_arr_free(&a);
	return c;
}

static void fn_num_typmod(sqlite3_context *cx, int argc, sqlite3_value **v)
{
	mur_buf out;
	mur_error err;
	(void)argc;
	if (sqlite3_value_type(v[0]) == SQLITE_NULL)
		return;
	memset(&err, 0, sizeof err);
	mur_buf_init(&out);
	if (mur_arr_num_typmod((const char *)sqlite3_value_text(v[0]),
			       (size_t)sqlite3_value_bytes(v[0]), sqlite3_value_int(v[1]), &out,
			       &err) != MUR_OK) {
		mur_buf_free(&out);
		stor_fn_fail(cx, err.sqlstate[0] ? err.sqlstate : "XX000", "%s", err.message);
		return;
	}
	stor_fn_result_buf(cx, &out);
}

static void fn_num_norm(sqlite3_context *cx, int argc, sqlite3_value **v)
{
	mur_buf out;
	mur_error err;
	(void)argc;
	if (sqlite3_value_type(v[0]) == SQLITE_NULL)
		return;
	memset(&err, 0, sizeof err);
	mur_buf_init(&out);
	if (mur_arr_num_norm((const char *)sqlite3_value_text(v[0]),
			     (size_t)sqlite3_value_bytes(v[0]), &out, &err) != MUR_OK) {
		mur_buf_free(&out);
		stor_fn_fail(cx, err.sqlstate[0] ? err.sqlstate : "XX000", "%s", err.message);
		return;
	}
	stor_fn_result_buf(cx, &out);
}

static const stor_fn_def arrayfns[] = {
	{"mur_array_num_norm", 1, 1, fn_num_norm},
	{"mur_array_num_typmod", 2, 1, fn_num_typmod},
	{"mur_array", -1, 1, fn_array},
	{"mur_array_stack", -1, 1, fn_stack},
	{"mur_array_sub", -1, 1, fn_sub},
	{"mur_array_cmp", 3, 1, fn_cmp},
	{"mur_array_any", 5, 1, fn_any},
	{"mur_array_get", 3, 1, fn_get},
	{"mur_array_slice", -1, 1, fn_slice},
	{"mur_array_bound", 3, 1, fn_bound},
	{"mur_array_position", 3, 1, fn_position},
	{"mur_array_position", 4, 1, fn_position},
	{"mur_array_append", 3, 1, fn_append},
	{"mur_array_prepend", 3, 1, fn_prepend},
	{"mur_array_cat", 2, 1, fn_cat},
	{"mur_array_remove", 3, 1, fn_remove},
	{"mur_array_contains", 3, 1, fn_contains},
	{"mur_array_overlap", 3, 1, fn_overlap},
	{"mur_array_to_string", 2, 1, fn_to_string},
	{"mur_array_to_string", 3, 1, fn_to_string},
	{"mur_string_to_array", 2, 1, fn_string_to_array},
	{"mur_string_to_array", 3, 1, fn_string_to_array},
	{"mur_array_json", 1, 1, fn_json},
	{"mur_array_elem", 2, 1, fn_elem},
	{"mur_array_sortkey", 2, 1, fn_sortkey},
	{"mur_num_sortkey", 1, 1, fn_num_sortkey},
};

int stor_register_array_functions(sqlite3 *db)
{
	static const struct {
		const char *name;
		mur_type elem;
	} colls[] = {
		{MUR_ARR_COLLATION_NUM, MT_NUMERIC},
		{MUR_ARR_COLLATION_FLOAT, MT_FLOAT8},
		{MUR_ARR_COLLATION_TEXT, MT_TEXT},
	};
	int rc = stor_fn_register(db, arrayfns, sizeof arrayfns / sizeof arrayfns[0]);
	for (size_t i = 0; i < sizeof colls / sizeof colls[0] && rc == SQLITE_OK; i++)
		rc = sqlite3_create_collation_v2(db, colls[i].name, SQLITE_UTF8,
						 (void *)(intptr_t)colls[i].elem, collate_arr,
						 NULL);
	return rc;
}
