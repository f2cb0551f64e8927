/*
 * analyze_window.c — window functions and DISTINCT ON.
 *
 * f(args) OVER (PARTITION BY p ORDER BY o frame) becomes one SE_WINDOW
 * node: op is the SQLite window function that computes it, args are
 * f's arguments, then p, then o (analyze.h, sql_window), so the walks
 * that already exist over args — the grouping check, the aggregates the
 * planner collects, the leader's rewrite of expressions over its rows —
 * see every part of it.  Named windows (WINDOW w AS (...), OVER w,
 * OVER (w ORDER BY ...)) are copied in here with PostgreSQL's rules, so
 * the emitted SQL never needs a WINDOW clause.
 *
 * SQLite (on the followers and the leader) has every window function
 * PostgreSQL has, with the same defaults: the frame RANGE BETWEEN UNBOUNDED
 * PRECEDING AND CURRENT ROW with peers, ties ranked alike.  What differs
 * is settled here or in the emitted text: NULL order (emit.c writes NULLS
 * FIRST/LAST as PostgreSQL sorts), result types (PostgreSQL's: bigint for
 * row_number and the ranks, int for ntile, float8 for percent_rank and
 * cume_dist, the argument's type for lag/lead/first/last/nth_value, the
 * aggregate's for an aggregate), avg OVER (mur_avg of sum and count over
 * the window, as the merged avg) and the variances (mur_variance of three
 * sums; an interval's sum and avg are exact: mur_iv_sum, and mur_iv_mul of
 * it by the count), bool_and/bool_or (min/max over the 0/1 storage).  RANGE offsets
 * need one numeric ORDER BY column (murphy has no interval).
 *
 * DISTINCT ON (d) is analyzed here into sql_query.distinct_on; the planner
 * (sql/plan_window.c) runs it as row_number() OVER (PARTITION BY d ORDER
 * BY the query's ORDER BY) = 1.
 */
#include "parser/analyze.h"

#include <stdio.h>
#include <string.h>

#define SQLSTATE_WINDOWING_ERROR "42P20"
#define SQLSTATE_INVALID_FRAME_SIZE "22013" /* invalid preceding or following size */
#define SQLSTATE_NULL_NOT_ALLOWED "22004"

/* Named windows refer to earlier ones: a chain cannot be longer than the
 * WINDOW clause, and this bounds the recursion over a malformed one. */
#define WIN_REF_DEPTH_MAX 64

/* A window definition with the names it refers to copied in. */
typedef struct win_def {
	size_t npart;
	PgQuery__Node **part;
	size_t norder;
	PgQuery__Node **order;
	int frame;
	PgQuery__Node *start, *end;
} win_def;

/* ---- functions ---- */

enum { W_NONE = 0, W_RANK, W_FLOAT, W_NTILE, W_SHIFT, W_VALUE, W_NTH };

static const struct {
	const char *name;
	int kind;
} win_fns[] = {
	{"row_number", W_RANK},    {"rank", W_RANK},       {"dense_rank", W_RANK},
	{"percent_rank", W_FLOAT}, {"cume_dist", W_FLOAT}, {"ntile", W_NTILE},
	{"lag", W_SHIFT},          {"lead", W_SHIFT},      {"first_value", W_VALUE},
	{"last_value", W_VALUE},   {"nth_value", W_NTH},
};

static int win_kind(const char *name)
{
	for (size_t i = 0; i < sizeof win_fns / sizeof win_fns[0]; i++)
		if (!strcmp(win_fns[i].name, name))
			return win_fns[i].kind;
	return W_NONE;
}

int sql_window_fn_only(const char *name) { return win_kind(name) != W_NONE; }

/* 42P20 with a message naming one window or clause. */
#define win_err(c, loc, fmt, name) sql_err((c), SQLSTATE_WINDOWING_ERROR, (loc), fmt, (name))

/* ---- named windows ---- */

static PgQuery__WindowDef *named_window(sql_ctx *c, const char *name, size_t before)
{
	for (size_t i = 0; i < c->n_window_clause && i < before; i++) {
		PgQuery__Node *n = c->window_clause[i];
		if (n->node_case == PG_QUERY__NODE__NODE_WINDOW_DEF && n->window_def->name &&
		    !strcmp(n->window_def->name, name))
			return n->window_def;
	}
	return NULL;
}

static size_t window_index(sql_ctx *c, const PgQuery__WindowDef *d)
{
	for (size_t i = 0; i < c->n_window_clause; i++)
		if (c->window_clause[i]->window_def == d)
			return i;
	return c->n_window_clause;
}

/* d (a WINDOW clause entry or an OVER (...)) with its refname resolved
 * into *out.  `before`: the WINDOW entries d may name (those before it). */
static int resolve_def(sql_ctx *c, const PgQuery__WindowDef *d, size_t before, win_def *out,
		       int depth)
{
	memset(out, 0, sizeof *out);
	out->npart = d->n_partition_clause;
	out->part = d->partition_clause;
	out->norder = d->n_order_clause;
	out->order = d->order_clause;
	out->frame = d->frame_options;
	out->start = d->start_offset;
	out->end = d->end_offset;
	if (!d->refname || !*d->refname)
		return MUR_OK;
	const PgQuery__WindowDef *base = named_window(c, d->refname, before);
	win_def b;
	if (!base)
		return sql_err(c, SQLSTATE_UNDEFINED_OBJECT, d->location,
			       "window \"%s\" does not exist", d->refname);
	if (depth >= WIN_REF_DEPTH_MAX ||
	    resolve_def(c, base, window_index(c, base), &b, depth + 1) != MUR_OK)
		return mur_error_is_set(c->err)
			       ? MUR_ERR
			       : win_err(c, d->location, "window \"%s\" nests too deeply",
					 d->refname);
	if (d->n_partition_clause)
		return win_err(c, d->location,
			       "cannot override PARTITION BY clause of window \"%s\"", d->refname);
	if (d->n_order_clause && b.norder)
		return win_err(c, d->location, "cannot override ORDER BY clause of window \"%s\"",
			       d->refname);
	if (b.frame & SQL_FRAME_NONDEFAULT)
		return win_err(c, d->location,
			       "cannot copy window \"%s\" because it has a frame clause",
			       d->refname);
	out->npart = b.npart;
	out->part = b.part;
	if (!d->n_order_clause) {
		out->norder = b.norder;
		out->order = b.order;
	}
	return MUR_OK;
}

/* OVER w names a WINDOW entry, frame and all; OVER (...) is its own. */
static int resolve_over(sql_ctx *c, const PgQuery__WindowDef *over, win_def *out)
{
	if (over->name && *over->name) {
		const PgQuery__WindowDef *d = named_window(c, over->name, c->n_window_clause);
		if (!d)
			return sql_err(c, SQLSTATE_UNDEFINED_OBJECT, over->location,
				       "window \"%s\" does not exist", over->name);
		return resolve_def(c, d, window_index(c, d), out, 0);
	}
	return resolve_def(c, over, c->n_window_clause, out, 0);
}

int sql_analyze_window_clause(sql_ctx *c)
{
	for (size_t i = 0; i < c->n_window_clause; i++) {
		const PgQuery__WindowDef *d = c->window_clause[i]->window_def;
		if (d && d->name && named_window(c, d->name, i))
			return win_err(c, d->location, "window \"%s\" is already defined", d->name);
	}
	return MUR_OK;
}

/* ---- frames ---- */

/* A frame offset: a constant, an integer for ROWS and GROUPS, a number for
 * RANGE (t: the ORDER BY column's type), not NULL, not negative
 * (PostgreSQL raises these when it runs; murphy knows them now). */
static const sql_expr *frame_offset(sql_ctx *c, PgQuery__Node *n, mur_type t, const char *which)
{
	sql_expr *e = sql_analyze_expr(c, n);
	if (e && e->type == MT_UNKNOWN)
		e = sql_coerce(c, e, t, NULL);
	if (!e)
		return NULL;
	if (e->kind != SE_CONST) {
		sql_err(c, SQLSTATE_FEATURE_NOT_SUPPORTED, e->loc,
			"murphy supports only constants as frame offsets");
		return NULL;
	}
	if (e->val.kind == MV_NULL) {
		sql_err(c, SQLSTATE_NULL_NOT_ALLOWED, e->loc, "frame %s offset must not be null",
			which);
		return NULL;
	}
	if (t == MT_INT8 ? !mur_type_is_integer(e->type) : !mur_type_is_numeric(e->type)) {
		sql_err(c, SQLSTATE_DATATYPE_MISMATCH, e->loc,
			"frame %s offset must be type %s, not type %s", which,
			t == MT_INT8 ? "bigint" : "numeric", sql_type_name(e->type));
		return NULL;
	}
	if ((e->val.kind == MV_INT && e->val.i < 0) || (e->val.kind == MV_FLOAT && e->val.f < 0)) {
		if (t == MT_INT8)
			sql_err(c, SQLSTATE_INVALID_FRAME_SIZE, e->loc,
				"frame %s offset must not be negative", which);
		else
			sql_err(c, SQLSTATE_INVALID_FRAME_SIZE, e->loc,
				"invalid preceding or following size in window function");
		return NULL;
	}
	return e;
}

static int analyze_frame(sql_ctx *c, const win_def *d, sql_expr *const *order, sql_window *w)
{
	int f = d->frame, offsets = SQL_FRAME_START_OFFSET_PRECEDING |
				    SQL_FRAME_START_OFFSET_FOLLOWING |
				    SQL_FRAME_END_OFFSET_PRECEDING | SQL_FRAME_END_OFFSET_FOLLOWING;
	mur_type t = MT_INT8;
	w->frame = f;
	if (!(f & SQL_FRAME_NONDEFAULT) || !(f & offsets))
		return MUR_OK;
	if (f & SQL_FRAME_RANGE) {
		if (d->norder != 1)
			return sql_err(c, SQLSTATE_WINDOWING_ERROR, -1,
				       "RANGE with offset PRECEDING/FOLLOWING requires exactly one "
				       "ORDER BY column");
		t = order[0]->type;
		if (!mur_type_is_numeric(t))
			return sql_err(c, SQLSTATE_FEATURE_NOT_SUPPORTED, order[0]->loc,
				       "murphy does not support RANGE offsets over type %s yet",
				       sql_type_name(t));
	}
	if (d->start && !(w->start = frame_offset(c, d->start, t, "starting")))
		return MUR_ERR;
	if (d->end && !(w->end = frame_offset(c, d->end, t, "ending")))
		return MUR_ERR;
	return MUR_OK;
}

/* ---- the node ---- */

/* The window's PARTITION BY and ORDER BY into x->args after its nfargs
 * function arguments. */
static int analyze_window_exprs(sql_ctx *c, const win_def *d, sql_expr *x, sql_window *w)
{
	int n = w->nfargs;
	if (d->norder > SQL_SORT_MAX || d->npart > SQL_SORT_MAX)
		return sql_err(c, SQLSTATE_PROGRAM_LIMIT_EXCEEDED, x->loc,
			       "murphy supports at most %d PARTITION BY or ORDER BY expressions "
			       "in a window",
			       SQL_SORT_MAX);
	for (size_t i = 0; i < d->npart; i++, n++)
		if (!(x->args[n] = sql_resolve_unknown(c, sql_analyze_expr(c, d->part[i]))))
			return MUR_ERR;
	for (size_t i = 0; i < d->norder; i++, n++) {
		PgQuery__SortBy *sb = d->order[i]->sort_by;
		int desc, nulls_first;
		if (sql_sort_order(c, sb, &desc, &nulls_first) != MUR_OK)
			return MUR_ERR;
		w->desc[i] = (uint8_t)desc;
		w->nulls_first[i] = (uint8_t)nulls_first;
		if (!(x->args[n] = sql_resolve_unknown(c, sql_analyze_expr(c, sb->node))))
			return MUR_ERR;
	}
	w->npart = (int)d->npart;
	w->norder = (int)d->norder;
	x->nargs = n;
	return analyze_frame(c, d, x->args + w->nfargs + w->npart, w);
}

/* A new SE_WINDOW node calling op over fargs (copied) in f's window. */
static sql_expr *window_node(sql_ctx *c, PgQuery__FuncCall *f, const win_def *d, const char *op,
			     mur_type type, sql_expr *const *fargs, int nfargs, int star)
{
	sql_expr *x = sql_expr_new(c, SE_WINDOW, type, f->location);
	sql_window *w = sql_alloc(c, sizeof *w);
	if (!x || !w ||
	    !(x->args = sql_alloc(c, sizeof(sql_expr *) * (size_t)(nfargs + (int)d->npart +
								   (int)d->norder + 1))))
		return NULL;
	x->op = op;
	x->win = w;
	w->nfargs = nfargs;
	w->star = star;
	for (int i = 0; i < nfargs; i++)
		x->args[i] = fargs[i];
	c->in_window = 1;
	int rc = analyze_window_exprs(c, d, x, w);
	c->in_window = 0;
	return rc == MUR_OK ? x : NULL;
}

static sql_expr *fit(sql_ctx *c, sql_expr *a, mur_type t)
{
	if (a->type == t)
		return a;
	if (a->type == MT_UNKNOWN || sql_type_implicit_ok(a->type, t))
		return sql_coerce(c, a, t, NULL);
	return NULL;
}

/* lag/lead(x [, offset [, default]]): default takes x's type (or both
 * their common one). */
static int shift_args(sql_ctx *c, sql_expr **a, int n)
{
	if (n >= 2 && !(a[1] = fit(c, a[1], MT_INT4)))
		return MUR_ERR;
	if (n < 3)
		return MUR_OK;
	if (a[2]->type == MT_UNKNOWN || a[0]->type == MT_UNKNOWN) {
		mur_type t = a[0]->type == MT_UNKNOWN ? a[2]->type : a[0]->type;
		if (t == MT_UNKNOWN)
			t = MT_TEXT;
		a[0] = sql_coerce(c, a[0], t, NULL);
		a[2] = a[0] ? sql_coerce(c, a[2], t, NULL) : NULL;
	} else if (a[2]->type != a[0]->type) {
		mur_type t = sql_type_common(a[0]->type, a[2]->type);
		if (t == MT_UNKNOWN)
			return sql_err(c, SQLSTATE_UNDEFINED_FUNCTION, a[2]->loc,
				       "function lag/lead(%s, integer, %s) does not exist",
				       sql_type_name(a[0]->type), sql_type_name(a[2]->type));
		a[0] = a[0]->type == t ? a[0] : sql_make_cast(c, a[0], t, a[0]->loc);
		a[2] = a[2]->type == t ? a[2] : sql_make_cast(c, a[2], t, a[2]->loc);
	}
	return a[0] && a[2] ? MUR_OK : MUR_ERR;
}

static sql_expr *no_such(sql_ctx *c, const char *name, PgQuery__FuncCall *f)
{
	sql_err(c, SQLSTATE_UNDEFINED_FUNCTION, f->location,
		"function %s with %zu argument%s does not exist", name, f->n_args,
		f->n_args == 1 ? "" : "s");
	mur_error_hint(c->err, "No function matches the given name and argument types. You "
			       "might need to add explicit type casts.");
	return NULL;
}

/* A constant argument PostgreSQL checks when it runs: ntile's (22014)
 * and nth_value's (22016) must be above zero. */
static int positive(sql_ctx *c, const sql_expr *a, const char *state, const char *name)
{
	if (a->kind == SE_CONST && a->val.kind == MV_INT && a->val.i <= 0)
		return sql_err(c, state, a->loc, "argument of %s must be greater than zero", name);
	return MUR_OK;
}

/* lag(x, -k) is lead(x, k) in PostgreSQL; SQLite refuses a negative
 * offset, so a constant one turns the other way. */
static const char *shift_direction(sql_ctx *c, const char *name, sql_expr **a, int n)
{
	if (n < 2 || a[1]->kind != SE_CONST || a[1]->val.kind != MV_INT || a[1]->val.i >= 0)
		return name;
	a[1] = sql_make_const_int(c, -a[1]->val.i, MT_INT4);
	return strcmp(name, "lag") ? "lag" : "lead";
}

static sql_expr *window_fn(sql_ctx *c, PgQuery__FuncCall *f, const win_def *d, const char *name,
			   int kind, sql_expr **a, int n)
{
	static const int nmin[] = {[W_RANK] = 0,  [W_FLOAT] = 0, [W_NTILE] = 1,
				   [W_SHIFT] = 1, [W_VALUE] = 1, [W_NTH] = 2};
	static const int nmax[] = {[W_RANK] = 0,  [W_FLOAT] = 0, [W_NTILE] = 1,
				   [W_SHIFT] = 3, [W_VALUE] = 1, [W_NTH] = 2};
	mur_type t;
	if (n < nmin[kind] || n > nmax[kind] || f->agg_star)
		return no_such(c, name, f);
	if (f->agg_distinct || f->agg_filter)
		return (sql_err(c, "42809", f->location,
				"%s is not an aggregate function: DISTINCT and FILTER apply to "
				"aggregates only",
				name),
			NULL);
	switch (kind) {
	case W_RANK:
		t = MT_INT8;
		break;
	case W_FLOAT:
		t = MT_FLOAT8;
		break;
	case W_NTILE:
		if (!(a[0] = fit(c, a[0], MT_INT4)))
			return mur_error_is_set(c->err) ? NULL : no_such(c, name, f);
		if (positive(c, a[0], "22014", name) != MUR_OK)
			return NULL;
		t = MT_INT4;
		/* ntile(NULL) is NULL on every row (SQLite's ntile refuses it):
		 * CASE WHEN 0 THEN ntile(1) OVER (...) END keeps the window */
		if (a[0]->kind == SE_CONST && a[0]->val.kind == MV_NULL) {
			sql_expr *w = (a[0] = sql_make_const_int(c, 1, MT_INT4))
					      ? window_node(c, f, d, name, t, a, n, 0)
					      : NULL;
			sql_expr *no = w ? sql_make_const_int(c, 0, MT_BOOL) : NULL;
			return no ? sql_make_case_when(c, no, w, f->location) : NULL;
		}
		break;
	case W_SHIFT:
		if (shift_args(c, a, n) != MUR_OK)
			return mur_error_is_set(c->err) ? NULL : no_such(c, name, f);
		name = shift_direction(c, name, a, n);
		t = a[0]->type;
		break;
	default: /* first_value, last_value, nth_value */
		if (kind == W_NTH && !(a[1] = fit(c, a[1], MT_INT4)))
			return mur_error_is_set(c->err) ? NULL : no_such(c, name, f);
		if (kind == W_NTH && positive(c, a[1], "22016", name) != MUR_OK)
			return NULL;
		if (!(a[0] = sql_resolve_unknown(c, a[0])))
			return NULL;
		t = a[0]->type;
	}
	return window_node(c, f, d, name, t, a, n, 0);
}

/* ---- aggregates over a window ---- */

static sql_expr *agg_window(sql_ctx *c, PgQuery__FuncCall *f, const win_def *d, const char *op,
			    mur_type t, sql_expr *arg)
{
	return window_node(c, f, d, op, t, &arg, arg ? 1 : 0, arg == NULL);
}

/* avg: mur_avg(sum, count) over the window, as the merged avg;
 * variances: mur_variance(sum(x), sum(x * x), count(x), kind). */
static sql_expr *agg_composite(sql_ctx *c, PgQuery__FuncCall *f, const win_def *d, int fn,
			       mur_type t, sql_expr *arg)
{
	sql_expr *x = arg, *sum, *cnt, *sq;
	if (fn == SQL_AGG_AVG) {
		sum = agg_window(c, f, d,
				 arg->type == MT_NUMERIC    ? "mur_num_wsum"
				 : arg->type == MT_INTERVAL ? "mur_iv_sum"
							    : "sum",
				 arg->type, arg);
		cnt = sum ? agg_window(c, f, d, "count", MT_INT8, arg) : NULL;
		if (cnt && t == MT_INTERVAL) /* interval_avg: sum / count (interval_div) */
			return sql_make_call(c, "mur_iv_mul", t, f->location, 3, sum, cnt,
					     sql_make_const_int(c, 1, MT_INT4));
		return cnt ? sql_make_call(c, "mur_avg", t, f->location, 2, sum, cnt) : NULL;
	}
	mur_type st = t == MT_NUMERIC ? MT_NUMERIC : MT_FLOAT8; /* numeric: exact */
	const char *op = t == MT_NUMERIC ? "mur_num_wsum" : "sum";
	if (!(x = sql_make_cast(c, arg, st, arg->loc)) ||
	    !(sq = t == MT_NUMERIC ? sql_make_call(c, "mur_num_mul", st, arg->loc, 2, x, x)
				   : sql_make_op(c, "*", st, arg->loc, x, x)))
		return NULL;
	sum = agg_window(c, f, d, op, st, x);
	sq = sum ? agg_window(c, f, d, op, st, sq) : NULL;
	cnt = sq ? agg_window(c, f, d, "count", MT_INT8, arg) : NULL;
	return cnt ? sql_make_call(c, t == MT_NUMERIC ? "mur_num_variance" : "mur_variance", t,
				   f->location, 4, sum, sq, cnt,
				   sql_make_const_int(c, fn - SQL_AGG_VAR_SAMP, MT_INT4))
		   : NULL;
}

static sql_expr *aggregate_over(sql_ctx *c, PgQuery__FuncCall *f, const win_def *d, int fn,
				const char *name)
{
	static const char *const ops[] = {
		[SQL_AGG_COUNT_STAR] = "count", [SQL_AGG_COUNT] = "count",
		[SQL_AGG_SUM] = "sum",          [SQL_AGG_MIN] = "min",
		[SQL_AGG_MAX] = "max",          [SQL_AGG_BOOL_AND] = "min",
		[SQL_AGG_BOOL_OR] = "max",
	};
	sql_expr *arg = NULL;
	mur_type t;
	if (f->agg_distinct)
		return (sql_err(c, SQLSTATE_FEATURE_NOT_SUPPORTED, f->location,
				"DISTINCT is not implemented for window functions"),
			NULL);
	if (f->n_agg_order || f->agg_within_group || fn == SQL_AGG_APPROX_COUNT_DISTINCT ||
	    SQL_AGG_IS_BIT(fn))
		return (sql_err(c, SQLSTATE_FEATURE_NOT_SUPPORTED, f->location,
				"murphy does not support %s as a window function yet", name),
			NULL);
	if (f->agg_star) {
		if (fn != SQL_AGG_COUNT)
			return no_such(c, name, f);
		fn = SQL_AGG_COUNT_STAR;
	} else if (f->n_args != 1) {
		return no_such(c, name, f);
	} else if (!(arg = sql_resolve_unknown(c, sql_analyze_expr(c, f->args[0])))) {
		return NULL;
	}
	if (f->agg_filter && sql_agg_filter(c, f, &fn, &arg) != MUR_OK)
		return NULL;
	t = sql_agg_type(fn, arg ? arg->type : MT_UNKNOWN);
	if (t == MT_UNKNOWN)
		return no_such(c, name, f);
	if (t == MT_INTERVAL && fn == SQL_AGG_SUM) /* exact, storage/sqlfn_types.c */
		return agg_window(c, f, d, "mur_iv_sum", t, arg);
	if (fn == SQL_AGG_AVG || SQL_AGG_IS_VARIANCE(fn))
		return agg_composite(c, f, d, fn, t, arg);
	if (fn == SQL_AGG_SUM && (arg->type == MT_NUMERIC || arg->type == MT_INT8)) /* exact */
		return agg_window(c, f, d, "mur_num_wsum", t, arg);
	return agg_window(c, f, d, ops[fn], t, arg);
}

/* ---- entry ---- */

static int check_context(sql_ctx *c, PgQuery__FuncCall *f)
{
	if (c->in_agg)
		return sql_err(c, SQLSTATE_GROUPING_ERROR, f->location,
			       "aggregate function calls cannot contain window function calls");
	if (c->in_window)
		return sql_err(c, SQLSTATE_WINDOWING_ERROR, f->location,
			       "window function calls cannot be nested");
	if (!c->win_ok || !c->q)
		return win_err(c, f->location, "window functions are not allowed in %s",
			       c->agg_where && *c->agg_where ? c->agg_where : "this context");
	return MUR_OK;
}

sql_expr *sql_analyze_window(sql_ctx *c, PgQuery__FuncCall *f)
{
	PgQuery__Node *fname = f->funcname[f->n_funcname - 1];
	const char *name = fname->node_case == PG_QUERY__NODE__NODE_STRING ? fname->string->sval
									   : "";
	sql_expr *args[SQL_ARGS_MAX], *x;
	win_def d;
	int kind = f->n_funcname == 1 ? win_kind(name) : W_NONE;
	int fn = f->n_funcname == 1 ? sql_agg_kind(name) : 0;
	if (check_context(c, f) != MUR_OK || resolve_over(c, f->over, &d) != MUR_OK)
		return NULL;
	if (!kind && !fn)
		return (sql_err(c, "42809", f->location,
				"OVER specified, but %s is not a window function nor an aggregate "
				"function",
				name),
			NULL);
	c->in_window = 1;
	if (fn) {
		x = aggregate_over(c, f, &d, fn, name);
	} else if (f->n_args > SQL_ARGS_MAX) {
		x = no_such(c, name, f);
	} else {
		x = (sql_expr *)1;
		for (size_t i = 0; i < f->n_args && x; i++)
			if (!(args[i] = sql_analyze_expr(c, f->args[i])))
				x = NULL;
		if (x)
			x = window_fn(c, f, &d, name, kind, args, (int)f->n_args);
	}
	c->in_window = 0;
	if (x)
		c->q->nwindow++;
	return x;
}

int sql_window_equal(const sql_window *a, const sql_window *b)
{
	if (a == b)
		return 1;
	if (a->nfargs != b->nfargs || a->npart != b->npart || a->norder != b->norder ||
	    a->star != b->star || a->frame != b->frame ||
	    memcmp(a->desc, b->desc, (size_t)a->norder) ||
	    memcmp(a->nulls_first, b->nulls_first, (size_t)a->norder))
		return 0;
	return sql_expr_equal(a->start, b->start) && sql_expr_equal(a->end, b->end);
}

/* ---- DISTINCT ON ---- */

static int in_distinct_on(const sql_query *q, const sql_expr *e)
{
	for (int i = 0; i < q->ndistinct_on; i++)
		if (sql_expr_equal(q->distinct_on[i], e))
			return 1;
	return 0;
}

/* PostgreSQL's rule: the ORDER BY starts with the DISTINCT ON expressions,
 * in any order. */
static int check_distinct_on_order(sql_ctx *c, const sql_query *q)
{
	int matched = 0;
	for (int i = 0; i < q->nsort; i++) {
		if (in_distinct_on(q, q->sorts[i].e)) {
			matched++;
			continue;
		}
		if (matched < q->ndistinct_on)
			return sql_err(c, SQLSTATE_INVALID_COLUMN_REFERENCE, -1,
				       "SELECT DISTINCT ON expressions must match initial ORDER BY "
				       "expressions");
		break;
	}
	return MUR_OK;
}

int sql_analyze_distinct_on(sql_ctx *c, sql_query *q, PgQuery__SelectStmt *s)
{
	if (!s->n_distinct_clause ||
	    s->distinct_clause[0]->node_case == PG_QUERY__NODE__NODE__NOT_SET)
		return MUR_OK;
	if (s->n_distinct_clause > SQL_SORT_MAX)
		return sql_err(c, SQLSTATE_PROGRAM_LIMIT_EXCEEDED, -1,
			       "murphy supports at most %d DISTINCT ON expressions", SQL_SORT_MAX);
	for (size_t i = 0; i < s->n_distinct_clause; i++) {
		PgQuery__SortBy sb = PG_QUERY__SORT_BY__INIT;
		sql_sort out;
		sb.node = s->distinct_clause[i];
		sb.location = -1;
		if (sql_analyze_sort_item(c, q, &sb, &out) != MUR_OK)
			return MUR_ERR;
		if (!in_distinct_on(q, out.e))
			q->distinct_on[q->ndistinct_on++] = out.e;
	}
	return check_distinct_on_order(c, q);
}
