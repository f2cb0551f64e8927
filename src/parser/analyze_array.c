/*
 * analyze_array.c — arrays of the base types in expressions: the array
 * type names (int[], _int4), ARRAY[...], subscripts and slices, x op
 * ANY/ALL (array), the array operators and functions.  Each becomes a
 * call of a SQLite function of storage/sqlfn_array.c over the array's
 * stored text (common/array.h), with the element type as an int4
 * argument where the function compares or prints elements:
 *
 *   ARRAY[a, b]            mur_array(elem, a, b)   (constants: folded here)
 *   ARRAY[[1,2],[3,4]], ARRAY[arr1, arr2]
 *                          mur_array_stack(arr1, arr2): one more dimension
 *   a = b, a < b, ...      mur_array_cmp(a, b, elem) op 0
 *   x op ANY / ALL (a)     mur_array_any(x, a, elem, op, all); x = ANY / <> ALL
 *                          of a constant or a parameter: SQL_ARRAY_IN_FN (an IN)
 *   a[i][j]                mur_array_sub(a, elem, i, j)
 *   a[i:j][k]              mur_array_slice(a, i, j, 1, k): once one subscript
 *                          is a slice all are, [k] meaning [1:k] (PostgreSQL)
 *   a @> b, a <@ b, a && b mur_array_contains(a, b, elem), mur_array_overlap
 *   a || b                 mur_array_cat / mur_array_append / mur_array_prepend
 *
 * int[][] is int[] (PostgreSQL ignores the declared dimensions too).
 * Arrays of types without an array type here (interval, json, bytea,
 * timestamptz) and ANY/ALL with an operator other than the six
 * comparisons are 0A000.
 */
#include "parser/analyze.h"
#include "common/array.h"

#include <string.h>

/* The SQLite functions' operator codes (storage/sqlfn_array.c). */
static const char *const cmp_ops[] = {"=", "<>", "<", "<=", ">", ">="};

static int cmp_code(const char *op)
{
	for (int i = 0; i < 6; i++)
		if (!strcmp(op, cmp_ops[i]))
			return i;
	return !strcmp(op, "!=") ? 1 : -1;
}

static sql_expr *elem_arg(sql_ctx *c, mur_type arr)
{
	return sql_make_const_int(c, mur_type_elem(arr), MT_INT4);
}

static sql_expr *no_array_of(sql_ctx *c, mur_type elem, int loc)
{
	sql_err(c, SQLSTATE_FEATURE_NOT_SUPPORTED, loc, "murphy does not support arrays of type %s",
		sql_type_name(elem));
	return NULL;
}

mur_type sql_array_type_from_typename(sql_ctx *c, const PgQuery__TypeName *tn, const char *name)
{
	mur_type elem, t;
	elem = mur_type_from_name(tn->n_array_bounds ? name : name + 1);
	if (elem == MT_UNKNOWN) {
		sql_err(c, SQLSTATE_UNDEFINED_OBJECT, tn->location, "type \"%s\" does not exist",
			name);
		return MT_UNKNOWN;
	}
	t = mur_type_array_of(elem);
	if (t == MT_UNKNOWN)
		no_array_of(c, elem, tn->location);
	return t;
}

/* ARRAY[] of constants only: its text now. */
static sql_expr *fold_array(sql_ctx *c, sql_expr **v, int n, mur_type t, int loc)
{
	mur_arr a;
	mur_buf one, out;
	sql_expr *e = NULL;
	mur_type elem = mur_type_elem(t);
	mur_arr_init(&a);
	mur_buf_init(&one);
	mur_buf_init(&out);
	for (int i = 0; i < n; i++) {
		mur_buf_reset(&one);
		if (v[i]->val.kind != MV_NULL)
			mur_arr_elem_text(elem, &v[i]->val, &one);
		if (mur_arr_push(&a, one.data ? one.data : "", one.len, v[i]->val.kind == MV_NULL,
				 c->err) != MUR_OK)
			goto free_all;
	}
	mur_arr_out(&a, &out);
	if (!mur_buf_ok(&out)) {
		sql_err_oom(c);
		goto free_all;
	}
	if ((e = sql_expr_new(c, SE_CONST, t, loc))) {
		char *p = sql_arena_strndup(c->arena, out.data, out.len);
		if (!p)
			e = NULL, sql_err_oom(c);
		else
			e->val = mur_v_text(p, out.len);
	}
free_all:
	mur_buf_free(&out);
	mur_buf_free(&one);
	mur_arr_free(&a);
	return e;
}

/* A constant array's text parsed into a (a NULL constant: 0, a untouched). */
static int parse_const(sql_ctx *c, const sql_expr *e, mur_arr *a)
{
	if (e->val.kind == MV_NULL)
		return 0;
	if (mur_arr_parse(a, e->type, e->val.s, e->val.len, c->err) != MUR_OK)
		return -1;
	return 1;
}

/* ARRAY[] of constant arrays: its text now (mur_arr_stack). */
static sql_expr *fold_stack(sql_ctx *c, sql_expr **v, int n, mur_type t, int loc)
{
	mur_arr *subs = sql_alloc(c, sizeof *subs * (size_t)n), out;
	const mur_arr **p = sql_alloc(c, sizeof *p * (size_t)n);
	mur_buf text;
	sql_expr *e = NULL;
	int ready = 0;
	if (!subs || !p)
		return NULL;
	mur_arr_init(&out);
	mur_buf_init(&text);
	for (; ready < n; ready++) {
		int got;
		mur_arr_init(&subs[ready]);
		if ((got = parse_const(c, v[ready], &subs[ready])) < 0) {
			ready++;
			goto free_all;
		}
		p[ready] = got ? &subs[ready] : NULL;
	}
	if (mur_arr_stack(&out, p, n, c->err) != MUR_OK)
		goto free_all;
	mur_arr_out(&out, &text);
	if ((e = sql_expr_new(c, SE_CONST, t, loc))) {
		char *s = sql_arena_strndup(c->arena, text.data ? text.data : "", text.len);
		if (!s)
			e = NULL, sql_err_oom(c);
		else
			e->val = mur_v_text(s, text.len);
	}
free_all:
	for (int i = 0; i < ready; i++)
		mur_arr_free(&subs[i]);
	mur_arr_free(&out);
	mur_buf_free(&text);
	return e;
}

/* ARRAY[] whose elements v[1..n] are arrays (ARRAY[[1,2],[3,4]], ARRAY[a, b]
 * of array columns): one more dimension. */
static sql_expr *stack_arrays(sql_ctx *c, sql_expr **v, int n, int loc)
{
	mur_type t = v[1]->type;
	int all_const = 1;
	sql_expr *e;
	for (int i = 1; i <= n; i++)
		all_const &= v[i]->kind == SE_CONST;
	if (all_const)
		return fold_stack(c, v + 1, n, t, loc);
	if (n > SQL_ARGS_MAX)
		return (sql_err(c, SQLSTATE_PROGRAM_LIMIT_EXCEEDED, loc,
				"murphy takes at most %d sub-arrays in an ARRAY[...] that is not "
				"constant",
				SQL_ARGS_MAX),
			NULL);
	if (!(e = sql_expr_new(c, SE_CALL, t, loc)))
		return NULL;
	e->op = "mur_array_stack";
	e->nargs = n;
	e->args = v + 1;
	return e;
}

sql_expr *sql_array_expr(sql_ctx *c, PgQuery__AArrayExpr *a)
{
	int n = (int)a->n_elements, all_const = 1;
	sql_expr **v, *e;
	mur_type elem, t;
	if (n == 0) { /* ARRAY[]: typed by the cast around it, as '{}' would be */
		e = sql_expr_new(c, SE_CONST, MT_UNKNOWN, a->location);
		if (e)
			e->val = mur_v_text("{}", 2);
		return e;
	}
	if (n > MUR_ARR_ELEMS_MAX)
		return (sql_err(c, SQLSTATE_PROGRAM_LIMIT_EXCEEDED, a->location,
				"array size exceeds the maximum allowed (%d)", MUR_ARR_ELEMS_MAX),
			NULL);
	if (!(v = sql_alloc(c, sizeof *v * (size_t)(n + 1))))
		return NULL;
	for (int i = 0; i < n; i++)
		if (!(v[i + 1] = sql_analyze_expr(c, a->elements[i])))
			return NULL;
	if (sql_unify_branches(c, v + 1, n, "ARRAY", a->location) != MUR_OK)
		return NULL;
	if (mur_type_is_array(v[1]->type))
		return stack_arrays(c, v, n, a->location);
	elem = v[1]->type;
	if ((t = mur_type_array_of(elem)) == MT_UNKNOWN)
		return no_array_of(c, elem, a->location);
	for (int i = 1; i <= n; i++)
		all_const &= v[i]->kind == SE_CONST;
	if (all_const) /* psycopg2's lists: ARRAY[1, 2, ...] of any length */
		return fold_array(c, v + 1, n, t, a->location);
	if (n > SQL_ARGS_MAX - 1) /* one SQLite call's arguments */
		return (sql_err(c, SQLSTATE_PROGRAM_LIMIT_EXCEEDED, a->location,
				"murphy takes at most %d elements in an ARRAY[...] that is not "
				"constant; use a literal '{...}' or a parameter for more",
				SQL_ARGS_MAX - 1),
			NULL);
	e = sql_expr_new(c, SE_CALL, t, a->location);
	if (!e || !(v[0] = elem_arg(c, t)))
		return NULL;
	e->op = "mur_array";
	e->nargs = n + 1;
	e->args = v;
	return e;
}

/* e as an integer subscript (int4). */
static sql_expr *subscript(sql_ctx *c, PgQuery__Node *n)
{
	sql_expr *e = sql_analyze_expr(c, n);
	if (!e)
		return NULL;
	if (e->type == MT_UNKNOWN || mur_type_is_integer(e->type))
		return sql_coerce(c, e, MT_INT8, NULL);
	sql_err(c, SQLSTATE_DATATYPE_MISMATCH, e->loc, "array subscript must have type integer");
	return NULL;
}

/* a[i]...[j] or a[i:j]... (ind's subscripts, k of them): a call of
 * mur_array_sub or mur_array_slice, args[0] the array. */
static sql_expr *subscripts(sql_ctx *c, sql_expr *a, PgQuery__AIndirection *ind)
{
	int k = (int)ind->n_indirection, slice = 0, n = 0;
	sql_expr **args = sql_alloc(c, sizeof *args * (size_t)(2 * k + 2)), *e;
	for (int d = 0; d < k; d++)
		slice |= ind->indirection[d]->a_indices->is_slice;
	if (!args)
		return NULL;
	args[n++] = a;
	if (!slice)
		args[n++] = elem_arg(c, a->type);
	for (int d = 0; d < k; d++) {
		PgQuery__AIndices *ix = ind->indirection[d]->a_indices;
		if (slice) {
			args[n++] = ix->lidx ? subscript(c, ix->lidx)
					     : sql_make_const_int(c, 1, MT_INT8); /* [k]: [1:k] */
			if (!args[n - 1])
				return NULL;
		}
		args[n++] = ix->uidx ? subscript(c, ix->uidx)
				     : sql_make_const_int(c, MUR_ARR_ELEMS_MAX, MT_INT8);
		if (!args[n - 1])
			return NULL;
	}
	if (!(e = sql_expr_new(c, SE_CALL, slice ? a->type : mur_type_elem(a->type), a->loc)))
		return NULL;
	e->op = slice ? "mur_array_slice" : "mur_array_sub";
	e->nargs = n;
	e->args = args;
	return e;
}

sql_expr *sql_array_subscript(sql_ctx *c, PgQuery__AIndirection *ind)
{
	sql_expr *a;
	for (size_t d = 0; d < ind->n_indirection; d++)
		if (ind->indirection[d]->node_case != PG_QUERY__NODE__NODE_A_INDICES)
			return (sql_err(c, SQLSTATE_FEATURE_NOT_SUPPORTED, -1,
					"murphy supports subscripts and slices of an array only "
					"(no field selection)"),
				NULL);
	if (ind->n_indirection > MUR_ARR_NDIM_MAX)
		return (sql_err(c, SQLSTATE_PROGRAM_LIMIT_EXCEEDED, -1,
				"number of array dimensions (%d) exceeds the maximum allowed (%d)",
				(int)ind->n_indirection, MUR_ARR_NDIM_MAX),
			NULL);
	if (!(a = sql_analyze_expr(c, ind->arg)))
		return NULL;
	if (!mur_type_is_array(a->type)) {
		sql_err(c, SQLSTATE_DATATYPE_MISMATCH, a->loc,
			"cannot subscript type %s because it does not support subscripting",
			sql_type_name(a->type));
		return NULL;
	}
	return subscripts(c, a, ind);
}

/* x and array a brought to one element type: x to a's element type, or
 * both to the common one (int4 = ANY(bigint[]) compares as bigint). */
static int unify_elem(sql_ctx *c, const char *op, sql_expr **x, sql_expr **a, int loc)
{
	mur_type elem, common;
	if ((*a)->type == MT_UNKNOWN) { /* '{1,2}' or $2: an array of x's type */
		if (!(*x = sql_resolve_unknown(c, *x)))
			return MUR_ERR;
		if (mur_type_array_of((*x)->type) == MT_UNKNOWN)
			return no_array_of(c, (*x)->type, loc), MUR_ERR;
		if (!(*a = sql_coerce(c, *a, mur_type_array_of((*x)->type), NULL)))
			return MUR_ERR;
	}
	if (!mur_type_is_array((*a)->type)) {
		sql_err(c, SQLSTATE_WRONG_OBJECT_TYPE, loc,
			"op ANY/ALL (array) requires array on right side");
		return MUR_ERR;
	}
	elem = mur_type_elem((*a)->type);
	if ((*x)->type == MT_UNKNOWN)
		return (*x = sql_coerce(c, *x, elem, NULL)) ? MUR_OK : MUR_ERR;
	if (!sql_type_comparable((*x)->type, elem)) {
		sql_err(c, SQLSTATE_UNDEFINED_FUNCTION, loc, "operator does not exist: %s %s %s",
			sql_type_name((*x)->type), op, sql_type_name(elem));
		return MUR_ERR;
	}
	common = sql_type_common((*x)->type, elem);
	if (mur_type_array_of(common) == MT_UNKNOWN)
		common = elem;
	if (common != (*x)->type && !(*x = sql_make_cast(c, *x, common, loc)))
		return MUR_ERR;
	if (common != elem && !(*a = sql_make_cast(c, *a, mur_type_array_of(common), loc)))
		return MUR_ERR;
	return MUR_OK;
}

/* Element types whose stored values are equal exactly when the values are
 * (integers, bool, text, varchar, date, timestamp, uuid), so SQLite's IN
 * may compare them: not numeric (1.0 and 1.00), floats (NaN) or char(n). */
static int in_ok(mur_type elem)
{
	return mur_type_is_integer(elem) || elem == MT_BOOL || elem == MT_TEXT ||
	       elem == MT_VARCHAR || elem == MT_DATE || elem == MT_TIMESTAMP || elem == MT_UUID;
}

sql_expr *sql_array_any_all(sql_ctx *c, PgQuery__AExpr *a)
{
	const char *op = a->n_name ? a->name[a->n_name - 1]->string->sval : "?";
	int code = cmp_code(op), all = a->kind == PG_QUERY__A__EXPR__KIND__AEXPR_OP_ALL;
	sql_expr *x, *arr;
	if (code < 0)
		return (sql_err(c, SQLSTATE_FEATURE_NOT_SUPPORTED, a->location,
				"murphy supports only = <> < <= > >= with ANY/ALL (array), not %s",
				op),
			NULL);
	if (!(x = sql_analyze_expr(c, a->lexpr)) || !(arr = sql_analyze_expr(c, a->rexpr)))
		return NULL;
	if (unify_elem(c, op, &x, &arr, a->location) != MUR_OK)
		return NULL;
	if (((code == 0 && !all) || (code == 1 && all)) && in_ok(mur_type_elem(arr->type)) &&
	    sql_expr_is_const(arr)) { /* = ANY / <> ALL: an IN (sql/emit.c) */
		sql_expr *in = sql_make_call(c, SQL_ARRAY_IN_FN, MT_BOOL, a->location, 3, x, arr,
					     elem_arg(c, arr->type));
		return all && in ? sql_make_op(c, "NOT", MT_BOOL, a->location, in, NULL) : in;
	}
	return sql_make_call(c, "mur_array_any", MT_BOOL, a->location, 5, x, arr,
			     elem_arg(c, arr->type), sql_make_const_int(c, code, MT_INT4),
			     sql_make_const_int(c, all, MT_INT4));
}

int sql_array_wants_op(const char *op, const sql_expr *l, const sql_expr *r)
{
	if (!mur_type_is_array(l->type) && !mur_type_is_array(r->type))
		return 0;
	return cmp_code(op) >= 0 || !strcmp(op, "@>") || !strcmp(op, "<@") || !strcmp(op, "&&") ||
	       !strcmp(op, "||");
}

/* Both operands as one array type (an unknown one takes the other's). */
static int unify_arrays(sql_ctx *c, const char *op, sql_expr **l, sql_expr **r, int loc)
{
	mur_type t;
	if ((*l)->type == MT_UNKNOWN)
		*l = sql_coerce(c, *l, (*r)->type, NULL);
	else if ((*r)->type == MT_UNKNOWN)
		*r = sql_coerce(c, *r, (*l)->type, NULL);
	if (!*l || !*r)
		return MUR_ERR;
	if (!mur_type_is_array((*l)->type) || !mur_type_is_array((*r)->type) ||
	    (t = sql_type_common((*l)->type, (*r)->type)) == MT_UNKNOWN) {
		sql_err(c, SQLSTATE_UNDEFINED_FUNCTION, loc, "operator does not exist: %s %s %s",
			sql_type_name((*l)->type), op, sql_type_name((*r)->type));
		mur_error_hint(c->err, "No operator matches the given name and argument types. You "
				       "might need to add explicit type casts.");
		return MUR_ERR;
	}
	if ((*l)->type != t)
		*l = sql_make_cast(c, *l, t, loc);
	if (*l && (*r)->type != t)
		*r = sql_make_cast(c, *r, t, loc);
	return *l && *r ? MUR_OK : MUR_ERR;
}

/* a || b: array || array, array || element, element || array. */
static sql_expr *concat(sql_ctx *c, sql_expr *l, sql_expr *r, int loc)
{
	int la = mur_type_is_array(l->type), ra = mur_type_is_array(r->type);
	if (la && ra) {
		if (unify_arrays(c, "||", &l, &r, loc) != MUR_OK)
			return NULL;
		return sql_make_call(c, "mur_array_cat", l->type, loc, 2, l, r);
	}
	if (la && r->type == MT_UNKNOWN && r->kind == SE_CONST && r->val.kind == MV_TEXT &&
	    r->val.len && r->val.s[0] == '{') /* a || '{3,4}' */
		return concat(c, l, sql_coerce(c, r, l->type, NULL), loc);
	if (la) {
		if (!(r = sql_coerce(c, r, mur_type_elem(l->type), NULL)))
			return NULL;
		return sql_make_call(c, "mur_array_append", l->type, loc, 3, l, r,
				     elem_arg(c, l->type));
	}
	if (l->type == MT_UNKNOWN && l->kind == SE_CONST && l->val.kind == MV_TEXT && l->val.len &&
	    l->val.s[0] == '{')
		return concat(c, sql_coerce(c, l, r->type, NULL), r, loc);
	if (!(l = sql_coerce(c, l, mur_type_elem(r->type), NULL)))
		return NULL;
	return sql_make_call(c, "mur_array_prepend", r->type, loc, 3, l, r, elem_arg(c, r->type));
}

sql_expr *sql_array_op(sql_ctx *c, const char *op, sql_expr *l, sql_expr *r, int loc)
{
	int code = cmp_code(op);
	sql_expr *call;
	if (!l || !r)
		return NULL;
	if (!strcmp(op, "||"))
		return concat(c, l, r, loc);
	if (unify_arrays(c, op, &l, &r, loc) != MUR_OK)
		return NULL;
	if (code >= 0) {
		call = sql_make_call(c, "mur_array_cmp", MT_INT4, loc, 3, l, r,
				     elem_arg(c, l->type));
		return call ? sql_make_op(c, cmp_ops[code], MT_BOOL, loc, call,
					  sql_make_const_int(c, 0, MT_INT4))
			    : NULL;
	}
	if (!strcmp(op, "<@")) {
		sql_expr *t = l;
		l = r;
		r = t;
	}
	return sql_make_call(c, strcmp(op, "&&") ? "mur_array_contains" : "mur_array_overlap",
			     MT_BOOL, loc, 3, l, r, elem_arg(c, l->type));
}
