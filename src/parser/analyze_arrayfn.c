/*
 * analyze_arrayfn.c — the array functions (PostgreSQL's names and
 * result types), each a call of storage/sqlfn_array.c:
 *
 *   array_length(a, d), array_lower(a, d), array_upper(a, d)   int4
 *                                          mur_array_bound(a, d, which)
 *   cardinality(a), array_ndims(a)         int4   mur_array_bound(a, 1, which)
 *   array_dims(a)                          text   mur_array_bound(a, 1, 5)
 *   array_position(a, x [, start])         int4   mur_array_position
 *   array_append(a, x), array_prepend(x, a), array_cat(a, b), array_remove(a, x)
 *   array_to_string(a, delim [, null])     text   mur_array_to_string
 *   string_to_array(s, delim [, null])     text[] mur_string_to_array
 *
 * unnest is a set-returning function (analyze_unnest.c); array_agg an
 * aggregate (analyze_ordagg.c).
 */
#include "parser/analyze.h"

#include <stdio.h>
#include <string.h>

static const char *const fns[] = {
	"array_length",    "array_lower",     "array_upper",   "cardinality", "array_ndims",
	"array_position",  "array_append",    "array_prepend", "array_cat",   "array_remove",
	"array_to_string", "string_to_array", "array_dims",
};

int sql_array_is_func(const char *name)
{
	for (size_t i = 0; i < sizeof fns / sizeof fns[0]; i++)
		if (!strcmp(name, fns[i]))
			return 1;
	return 0;
}

static sql_expr *no_fn(sql_ctx *c, const char *name, sql_expr **args, int n, int loc)
{
	char sig[256];
	size_t len = 0;
	sig[0] = 0;
	for (int i = 0; i < n && len < sizeof sig - 40; i++)
		len += (size_t)snprintf(sig + len, sizeof sig - len, "%s%s", i ? ", " : "",
					sql_type_name(args[i]->type));
	sql_err(c, SQLSTATE_UNDEFINED_FUNCTION, loc, "function %s(%s) does not exist", name, sig);
	mur_error_hint(c->err, "No function matches the given name and argument types. You might "
			       "need to add explicit type casts.");
	return NULL;
}

/* *e as an array: an unknown literal as t (text[] when t is unknown). */
static int as_array(sql_ctx *c, sql_expr **e, mur_type t)
{
	if ((*e)->type == MT_UNKNOWN)
		*e = sql_coerce(c, *e, t == MT_UNKNOWN ? MT_TEXT_ARRAY : t, NULL);
	return *e && mur_type_is_array((*e)->type);
}

static sql_expr *elem_of(sql_ctx *c, mur_type arr)
{
	return sql_make_const_int(c, mur_type_elem(arr), MT_INT4);
}

static sql_expr *int_arg(sql_ctx *c, sql_expr *e)
{
	if (e->type != MT_UNKNOWN && !mur_type_is_integer(e->type))
		return NULL;
	return sql_coerce(c, e, MT_INT8, NULL);
}

static sql_expr *bound(sql_ctx *c, const char *name, sql_expr **a, int n, int loc)
{
	int which = !strcmp(name, "array_lower")    ? 0
		    : !strcmp(name, "array_upper")  ? 1
		    : !strcmp(name, "array_length") ? 2
		    : !strcmp(name, "cardinality")  ? 3
		    : !strcmp(name, "array_dims")   ? 5
						    : 4; /* array_ndims */
	int want = which <= 2 ? 2 : 1;
	sql_expr *d;
	if (n != want || !as_array(c, &a[0], MT_UNKNOWN))
		return mur_error_is_set(c->err) ? NULL : no_fn(c, name, a, n, loc);
	d = want == 2 ? int_arg(c, a[1]) : sql_make_const_int(c, 1, MT_INT8);
	if (!d)
		return mur_error_is_set(c->err) ? NULL : no_fn(c, name, a, n, loc);
	return sql_make_call(c, "mur_array_bound", which == 5 ? MT_TEXT : MT_INT4, loc, 3, a[0], d,
			     sql_make_const_int(c, which, MT_INT4));
}

/* array_append(a, x) / array_remove(a, x) / array_position(a, x [, s]) */
static sql_expr *with_elem(sql_ctx *c, const char *name, const char *fn, mur_type res, sql_expr **a,
			   int n, int loc)
{
	sql_expr *x;
	if (n < 2 || n > (strcmp(name, "array_position") ? 2 : 3) ||
	    !as_array(c, &a[0], MT_UNKNOWN))
		return mur_error_is_set(c->err) ? NULL : no_fn(c, name, a, n, loc);
	if (!(x = sql_coerce(c, a[1], mur_type_elem(a[0]->type), NULL)))
		return NULL;
	if (res == MT_UNKNOWN)
		res = a[0]->type;
	if (n == 3) {
		sql_expr *s = int_arg(c, a[2]);
		return s ? sql_make_call(c, fn, res, loc, 4, a[0], x, elem_of(c, a[0]->type), s)
			 : no_fn(c, name, a, n, loc);
	}
	return sql_make_call(c, fn, res, loc, 3, a[0], x, elem_of(c, a[0]->type));
}

static sql_expr *text_arg(sql_ctx *c, sql_expr *e)
{
	if (e->type != MT_UNKNOWN && !mur_type_is_text(e->type))
		return NULL;
	return sql_coerce(c, e, MT_TEXT, NULL);
}

static sql_expr *strings(sql_ctx *c, const char *name, sql_expr **a, int n, int loc)
{
	sql_expr *d, *nul = NULL;
	int to_string = !strcmp(name, "array_to_string");
	if (n < 2 || n > 3)
		return no_fn(c, name, a, n, loc);
	if (to_string ? !as_array(c, &a[0], MT_UNKNOWN) : !(a[0] = text_arg(c, a[0])))
		return mur_error_is_set(c->err) ? NULL : no_fn(c, name, a, n, loc);
	if (!(d = text_arg(c, a[1])) || (n == 3 && !(nul = text_arg(c, a[2]))))
		return mur_error_is_set(c->err) ? NULL : no_fn(c, name, a, n, loc);
	if (to_string)
		return n == 3 ? sql_make_call(c, "mur_array_to_string", MT_TEXT, loc, 3, a[0], d,
					      nul)
			      : sql_make_call(c, "mur_array_to_string", MT_TEXT, loc, 2, a[0], d);
	return n == 3 ? sql_make_call(c, "mur_string_to_array", MT_TEXT_ARRAY, loc, 3, a[0], d, nul)
		      : sql_make_call(c, "mur_string_to_array", MT_TEXT_ARRAY, loc, 2, a[0], d);
}

sql_expr *sql_array_func(sql_ctx *c, const char *name, sql_expr **a, int n, int loc)
{
	if (!strncmp(name, "array_l", 7) || !strcmp(name, "array_upper") ||
	    !strcmp(name, "cardinality") || !strcmp(name, "array_ndims") ||
	    !strcmp(name, "array_dims"))
		return bound(c, name, a, n, loc);
	if (!strcmp(name, "array_position"))
		return with_elem(c, name, "mur_array_position", MT_INT4, a, n, loc);
	if (!strcmp(name, "array_append"))
		return with_elem(c, name, "mur_array_append", MT_UNKNOWN, a, n, loc);
	if (!strcmp(name, "array_remove"))
		return with_elem(c, name, "mur_array_remove", MT_UNKNOWN, a, n, loc);
	if (!strcmp(name, "array_prepend")) {
		sql_expr *x;
		if (n != 2 || !as_array(c, &a[1], MT_UNKNOWN))
			return mur_error_is_set(c->err) ? NULL : no_fn(c, name, a, n, loc);
		if (!(x = sql_coerce(c, a[0], mur_type_elem(a[1]->type), NULL)))
			return NULL;
		return sql_make_call(c, "mur_array_prepend", a[1]->type, loc, 3, x, a[1],
				     elem_of(c, a[1]->type));
	}
	if (!strcmp(name, "array_cat")) {
		if (n != 2)
			return no_fn(c, name, a, n, loc);
		if (a[0]->type == MT_UNKNOWN && a[1]->type == MT_UNKNOWN &&
		    !as_array(c, &a[0], MT_UNKNOWN))
			return NULL;
		return sql_array_op(c, "||", a[0], a[1], loc);
	}
	return strings(c, name, a, n, loc);
}
