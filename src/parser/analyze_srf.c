/*
 * analyze_srf.c — generate_series over integers and over timestamps with
 * an interval step, and generate_subscripts, in FROM [WITH ORDINALITY]
 * and in the select list of a SELECT without FROM.
 *
 * In FROM each is a table (CAT_TABLE_VIRTUAL, distribution reference)
 * whose columns — one, named by the alias's column list, else the alias,
 * else the function, as PostgreSQL names it, plus "ordinality" — the
 * rte's call (sql_rte.series) returns (sql_srf_add, shared with unnest:
 * analyze_unnest.c); sql/emit_srf.c writes it as a recursive WITH.  Alone
 * the query runs on the leader like one over murphy.* views; beside
 * distributed tables the function of constants is computed on every shard
 * (analyze_select.c lets it join, sql/plan_select.c gives it no table
 * slot); reading an earlier FROM entry's columns (LATERAL) it is json_each
 * over its rows as a JSON array (mur_series_json, mur_ts_series_json),
 * joined row by row where the query runs.  Integer series are bigint when
 * an argument is, else integer; timestamp series follow PostgreSQL's
 * resolution (ts_series_call).  `SELECT generate_series(a, b)` without
 * FROM is `SELECT generate_series FROM generate_series(a, b)`: the call,
 * standing alone as a select-list item, adds that table
 * (sql_srf_select_list) and reads as its column (sql_srf_column); several,
 * or one inside an expression, read over one row (one_row) in lockstep as
 * a select list with FROM does (analyze_srf_list.c).  The json ones
 * (analyze_json_srf.c) come in the same places.  Refused (0A000): ROWS
 * FROM, column definition lists, numeric series, aggregates as arguments.
 */
#include "parser/analyze_subq_int.h"

#include <stdio.h>
#include <string.h>

#define SRF_NAME "generate_series"
#define SRF_TS_OP "generate_series_ts" /* over timestamps: sql/emit_srf.c */
#define SUBSCRIPTS_NAME "generate_subscripts"

static int unsupported(sql_ctx *c, const char *what, int loc)
{
	return sql_err(c, SQLSTATE_FEATURE_NOT_SUPPORTED, loc, "murphy does not support %s yet",
		       what);
}

/* The function's name when n is a call (schema-qualified or not), else NULL. */
static const char *call_name(const PgQuery__Node *n)
{
	const PgQuery__FuncCall *f;
	const PgQuery__Node *name;
	if (!n || n->node_case != PG_QUERY__NODE__NODE_FUNC_CALL)
		return NULL;
	f = n->func_call;
	name = f->funcname[f->n_funcname - 1];
	return f->n_funcname <= 2 && name->node_case == PG_QUERY__NODE__NODE_STRING
		       ? name->string->sval
		       : NULL;
}

static int is_named(const PgQuery__Node *n, const char *fn)
{
	const char *name = call_name(n);
	return name && !strcmp(name, fn);
}

/* generate_series, or a json one (analyze_json_srf.c) when json is set. */
static int is_series_call(const PgQuery__Node *n, int json)
{
	const char *name = call_name(n);
	return name && (!strcmp(name, SRF_NAME) || (json && sql_json_srf_is(name)));
}

int sql_reads_aggregates(const sql_expr *e)
{
	if (e->kind == SE_AGG || e->kind == SE_WINDOW)
		return 1;
	for (int i = 0; i < e->nargs; i++)
		if (sql_reads_aggregates(e->args[i]))
			return 1;
	return 0;
}

/* generate_series(timestamp[tz], timestamp[tz], interval) (args analyzed):
 * PostgreSQL's resolution picks timestamp when an argument is one and none
 * is timestamptz, else timestamptz (dates and unknown literals cast to it).
 * The call holds start, stop, step, the next row (v + step over the
 * previous row v, in the session's zone for a timestamptz:
 * analyze_interval.c) and the rows as a JSON array (mur_ts_series_json,
 * storage/sqlfn_tz.c: where it reads columns, or in a select list). */
static sql_expr *ts_series_call(sql_ctx *c, PgQuery__FuncCall *f, sql_expr **args)
{
	int has_ts = 0, has_tz = 0;
	sql_expr *v, *next;
	for (int i = 0; i < 2; i++) {
		has_ts |= args[i]->type == MT_TIMESTAMP;
		has_tz |= args[i]->type == MT_TIMESTAMPTZ;
	}
	mur_type t = has_ts && !has_tz ? MT_TIMESTAMP : MT_TIMESTAMPTZ;
	if (args[2]->type == MT_UNKNOWN)
		args[2] = sql_make_cast(c, args[2], MT_INTERVAL, args[2]->loc);
	for (int i = 0; i < 2 && args[2]; i++) {
		int cat = sql_type_category(args[i]->type);
		if (cat != 'D' && cat != 'U')
			break;
		if (args[i]->type != t && !(args[i] = sql_make_cast(c, args[i], t, args[i]->loc)))
			return NULL;
	}
	if (!args[2])
		return NULL;
	if (sql_type_category(args[0]->type) != 'D' || sql_type_category(args[1]->type) != 'D' ||
	    args[2]->type != MT_INTERVAL)
		return sql_err(c, SQLSTATE_UNDEFINED_FUNCTION, f->location,
			       "function generate_series(%s, %s, %s) does not exist",
			       sql_type_name(args[0]->type), sql_type_name(args[1]->type),
			       sql_type_name(args[2]->type)),
		       NULL;
	if (!(v = sql_expr_new(c, SE_RAW, t, f->location)))
		return NULL;
	v->op = "v"; /* the previous row (sql/emit_srf.c) */
	if (!(next = sql_interval_arith(c, "+", v, args[2], f->location)))
		return NULL;
	const char *zone = t == MT_TIMESTAMPTZ ? sql_tz_name(c) : NULL;
	sql_expr *rows = zone ? sql_make_call(c, "mur_ts_series_json", MT_TEXT, f->location, 4,
					      args[0], args[1], args[2],
					      sql_make_const_text(c, zone))
			      : sql_make_call(c, "mur_ts_series_json", MT_TEXT, f->location, 3,
					      args[0], args[1], args[2]);
	return rows ? sql_make_call(c, SRF_TS_OP, t, f->location, 5, args[0], args[1], args[2],
				    next, rows)
		    : NULL;
}

/* The call's arguments (a step of 1 added) as one SE_CALL, typed. */
sql_expr *sql_series_call(sql_ctx *c, PgQuery__FuncCall *f)
{
	sql_expr *args[3] = {NULL, NULL, NULL};
	mur_type t = MT_INT4;
	int n = (int)f->n_args, ts = 0;
	if (f->agg_star || f->agg_distinct || f->over || f->n_agg_order || f->agg_filter || n < 2 ||
	    n > 3)
		return unsupported(c, "this call of generate_series", f->location), NULL;
	for (int i = 0; i < n; i++) {
		if (!(args[i] = sql_analyze_expr(c, f->args[i])))
			return NULL;
		if (sql_reads_aggregates(args[i]))
			return unsupported(c, "generate_series over aggregates", args[i]->loc),
			       NULL;
		ts |= sql_type_category(args[i]->type) == 'D' || args[i]->type == MT_INTERVAL;
	}
	if (ts && n == 3)
		return ts_series_call(c, f, args);
	if (ts) /* PostgreSQL's timestamp series takes a step */
		return sql_err(c, SQLSTATE_UNDEFINED_FUNCTION, f->location,
			       "function generate_series(%s, %s) does not exist",
			       sql_type_name(args[0]->type), sql_type_name(args[1]->type)),
		       NULL;
	for (int i = 0; i < n; i++) {
		if (args[i]->type == MT_UNKNOWN)
			args[i] = sql_make_cast(c, args[i], MT_INT4, args[i]->loc);
		if (!args[i])
			return NULL;
		if (!mur_type_is_integer(args[i]->type))
			return unsupported(c,
					   "generate_series over types other than integers and "
					   "timestamps",
					   f->location),
			       NULL;
		if (args[i]->type == MT_INT8)
			t = MT_INT8;
	}
	if (n == 2)
		args[n++] = sql_make_const_int(c, 1, MT_INT4);
	return args[2] ? sql_make_call(c, SRF_NAME, t, f->location, 3, args[0], args[1], args[2])
		       : NULL;
}

/* CASE WHEN rev THEN x ELSE y END (y alone when ELSE is NULL: CASE WHEN
 * rev THEN x END), typed int4. */
static sql_expr *when_rev(sql_ctx *c, sql_expr *rev, sql_expr *x, sql_expr *y)
{
	sql_expr *e = sql_make_call(c, "", MT_INT4, rev->loc, y ? 3 : 2, rev, x, y);
	if (!e)
		return NULL;
	e->kind = SE_CASE;
	e->op = NULL;
	e->has_else = y != NULL;
	return e;
}

/* mur_array_bound(a, dim, which): 0 the lower, 1 the upper bound. */
static sql_expr *bound(sql_ctx *c, sql_expr **args, int which)
{
	return sql_make_call(c, "mur_array_bound", MT_INT4, args[0]->loc, 3, args[0], args[1],
			     sql_make_const_int(c, which, MT_INT4));
}

/* The subscripts as a JSON array (mur_series_json: storage/sqlfn_math.c)
 * for json_each where they read columns (sql/emit_srf.c, in FROM) or in a
 * select list with FROM (analyze_srf_list.c). */
static sql_expr *subscripts_rows(sql_ctx *c, sql_expr **args)
{
	sql_expr *rev = args[2], *lo = bound(c, args, 0), *hi = bound(c, args, 1), *step;
	sql_expr *not_rev = sql_make_op(c, "NOT", MT_BOOL, rev->loc, rev, NULL);
	if (!lo || !hi || !not_rev)
		return NULL;
	step = sql_make_call(c, "", MT_INT4, rev->loc, 4, rev, sql_make_const_int(c, -1, MT_INT4),
			     not_rev, sql_make_const_int(c, 1, MT_INT4));
	if (!step)
		return NULL;
	step->kind = SE_CASE;
	step->op = NULL;
	return sql_make_call(c, "mur_series_json", MT_TEXT, rev->loc, 3, when_rev(c, rev, hi, lo),
			     when_rev(c, rev, lo, hi), step);
}

/* generate_subscripts(a, dim [, reverse]): int4 subscripts of a's
 * dimension dim, lower to upper (upper to lower when reverse); no rows
 * for a NULL argument or a dimension a lacks.  The call holds a, dim,
 * reverse (false when not given) and the rows as a JSON array
 * (subscripts_rows); sql/emit_srf.c writes the series. */
sql_expr *sql_subscripts_call(sql_ctx *c, PgQuery__FuncCall *f)
{
	sql_expr *args[3] = {NULL, NULL, NULL};
	static const mur_type want[3] = {MT_UNKNOWN, MT_INT4, MT_BOOL};
	int n = (int)f->n_args;
	if (f->agg_star || f->agg_distinct || f->over || f->n_agg_order || f->agg_filter)
		return unsupported(c, "this call of generate_subscripts", f->location), NULL;
	if (n < 2 || n > 3)
		return sql_err(c, SQLSTATE_UNDEFINED_FUNCTION, f->location,
			       "function generate_subscripts with %d arguments does not exist", n),
		       NULL;
	for (int i = 0; i < n; i++) {
		if (!(args[i] = sql_analyze_expr(c, f->args[i])))
			return NULL;
		if (sql_reads_aggregates(args[i]))
			return unsupported(c, "generate_subscripts over aggregates", args[i]->loc),
			       NULL;
		if (i > 0 && args[i]->type != want[i] &&
		    !(args[i] = sql_coerce(c, args[i], want[i], NULL)))
			return NULL;
	}
	if (args[0]->type == MT_UNKNOWN)
		return sql_err(c, "42804", args[0]->loc,
			       "could not determine polymorphic type because input has type "
			       "unknown"),
		       NULL;
	if (!mur_type_is_array(args[0]->type))
		return sql_err(c, SQLSTATE_UNDEFINED_FUNCTION, f->location,
			       "function generate_subscripts(%s, integer) does not exist",
			       sql_type_name(args[0]->type)),
		       NULL;
	if (n == 2 && !(args[2] = sql_make_const_int(c, 0, MT_BOOL)))
		return NULL;
	sql_expr *rows = subscripts_rows(c, args);
	return rows ? sql_make_call(c, SUBSCRIPTS_NAME, MT_INT4, f->location, 4, args[0], args[1],
				    args[2], rows)
		    : NULL;
}

/* The columns a call in FROM returns: unnest(a, b, ...) one per array
 * (analyze_unnest.c: its args are array, element type pairs), else one. */
static int srf_width(const sql_expr *call)
{
	return !strcmp(call->op, "unnest") ? call->nargs / 2 : 1;
}

int sql_srf_add(sql_ctx *c, sql_query *q, PgQuery__FuncCall *f, const PgQuery__Alias *alias,
		const char *fname, int ordinality, sql_srf_analyze_fn analyze)
{
	const char *name = alias && alias->aliasname && *alias->aliasname ? alias->aliasname
									  : fname;
	cat_table *t = sql_alloc(c, sizeof *t);
	sql_expr *call;
	int save_ok = c->agg_ok, nout;
	const char *save_where = c->agg_where;
	if (!t)
		return MUR_ERR;
	c->agg_ok = 0;
	c->agg_where = "functions in FROM";
	call = analyze(c, f);
	c->agg_ok = save_ok;
	c->agg_where = save_where;
	if (!call)
		return MUR_ERR;
	nout = srf_width(call);
	if (alias && (int)alias->n_colnames > nout + ordinality)
		return sql_err(c, "42601", f->location,
			       "too many column aliases specified for function %s", fname);
	t->kind = CAT_TABLE_VIRTUAL;
	t->dist_col = -1;
	snprintf(t->name, sizeof t->name, "%s", fname);
	t->distribution = CAT_DIST_REFERENCE; /* beside a distributed table: on every shard */
	t->ncols = nout + ordinality;
	for (int i = 0; i < t->ncols; i++) {
		/* one column: named by the alias (PostgreSQL's scalar function);
		 * several: by the function */
		const char *col = i == nout ? "ordinality" : nout == 1 ? name : fname;
		if (alias && i < (int)alias->n_colnames)
			col = sql_node_str(alias->colnames[i]);
		snprintf(t->cols[i].name, sizeof t->cols[i].name, "%s", col ? col : fname);
		t->cols[i].type = i == nout   ? MT_INT8
				  : nout == 1 ? call->type
					      : mur_type_elem(call->args[2 * i]->type);
		t->cols[i].typmod = -1;
	}
	if (sql_add_rte(c, q, t, name, f->location) != MUR_OK)
		return MUR_ERR;
	q->rtes[q->nrte - 1].series = call;
	return MUR_OK;
}

int sql_analyze_from_function(sql_ctx *c, sql_query *q, PgQuery__RangeFunction *rf)
{
	PgQuery__Node *item = rf->n_functions ? rf->functions[0] : NULL;
	if (item && item->node_case == PG_QUERY__NODE__NODE_LIST && item->list->n_items > 0 &&
	    sql_is_unnest_call(item->list->items[0])) /* analyze_unnest.c */
		return sql_unnest_from(c, q, rf, item->list->items[0]);
	if (item && item->node_case == PG_QUERY__NODE__NODE_LIST && item->list->n_items > 0 &&
	    sql_regex_srf_node(item->list->items[0])) /* analyze_regex_srf.c */
		return sql_regex_srf_from(c, q, rf);
	/* LATERAL: a function in FROM reads earlier entries' columns anyway */
	if (rf->is_rowsfrom || rf->n_functions != 1 || rf->n_coldeflist)
		return unsupported(c, "ROWS FROM or a column definition list in FROM", -1);
	item = rf->functions[0];
	if (item->node_case == PG_QUERY__NODE__NODE_LIST && item->list->n_items > 0)
		item = item->list->items[0];
	if (is_series_call(item, 1) && !is_series_call(item, 0)) /* WITH ORDINALITY too */
		return sql_json_srf_add(c, q, item->func_call, rf->alias,
					rf->ordinality ? SQL_JSON_SRF_ORDINALITY : 0);
	if (is_series_call(item, 0))
		return sql_srf_add(c, q, item->func_call, rf->alias, SRF_NAME, rf->ordinality,
				   sql_series_call);
	if (is_named(item, SUBSCRIPTS_NAME))
		return sql_srf_add(c, q, item->func_call, rf->alias, SUBSCRIPTS_NAME,
				   rf->ordinality, sql_subscripts_call);
	unsupported(c, "this function in FROM", -1);
	mur_error_detail(c->err, "murphy's set-returning functions are generate_series over "
				 "integers and timestamps, generate_subscripts, unnest and the "
				 "json[b]_each, _array_elements and _object_keys families.");
	return MUR_ERR;
}

sql_expr *sql_srf_column(sql_ctx *c, PgQuery__FuncCall *f)
{
	sql_expr *e;
	if (f != c->srf_call || !c->q || c->srf_rte >= c->q->nrte)
		return NULL;
	e = sql_expr_new(c, SE_COLUMN, c->q->rtes[c->srf_rte].table->cols[0].type, f->location);
	if (e) {
		e->rte = c->srf_rte;
		e->col = 0;
	}
	return e;
}

/* SELECT f(...), g(...) without FROM: FROM one row (a series of one), the
 * functions then read in lockstep (analyze_srf_list.c). */
static int one_row(sql_ctx *c, sql_query *q, int loc)
{
	cat_table *t = sql_alloc(c, sizeof *t);
	sql_expr *one = sql_make_const_int(c, 1, MT_INT4);
	if (!t || !one)
		return MUR_ERR;
	t->kind = CAT_TABLE_VIRTUAL;
	t->distribution = CAT_DIST_REFERENCE;
	t->dist_col = -1;
	t->ncols = 1;
	snprintf(t->name, sizeof t->name, "%s", SRF_NAME);
	snprintf(t->cols[0].name, sizeof t->cols[0].name, "%s", "mur_one");
	t->cols[0].type = MT_INT4;
	t->cols[0].typmod = -1;
	if (sql_add_rte(c, q, t, "mur_one", loc) != MUR_OK)
		return MUR_ERR;
	q->rtes[q->nrte - 1].series = sql_make_call(c, SRF_NAME, MT_INT4, loc, 3, one, one, one);
	return q->rtes[q->nrte - 1].series ? MUR_OK : MUR_ERR;
}

static int is_srf(const PgQuery__Node *n)
{
	return is_series_call(n, 1) || sql_is_unnest_call(n) || is_named(n, SUBSCRIPTS_NAME) ||
	       sql_regex_srf_node(n);
}

/* Does n hold a set-returning call below its top (generate_series(1, 3) + 1)? */
static int holds_srf(const PgQuery__Node *n)
{
	if (!n)
		return 0;
	switch (n->node_case) {
	case PG_QUERY__NODE__NODE_TYPE_CAST:
		return is_srf(n->type_cast->arg) || holds_srf(n->type_cast->arg);
	case PG_QUERY__NODE__NODE_A_EXPR:
		return is_srf(n->a_expr->lexpr) || holds_srf(n->a_expr->lexpr) ||
		       is_srf(n->a_expr->rexpr) || holds_srf(n->a_expr->rexpr);
	case PG_QUERY__NODE__NODE_FUNC_CALL:
		for (size_t i = 0; i < n->func_call->n_args; i++)
			if (is_srf(n->func_call->args[i]) || holds_srf(n->func_call->args[i]))
				return 1;
		return 0;
	default:
		return 0;
	}
}

int sql_srf_select_list(sql_ctx *c, sql_query *q, PgQuery__SelectStmt *s)
{
	int found = -1;
	if (s->n_from_clause)
		return MUR_OK;
	for (size_t i = 0; i < s->n_target_list; i++) {
		PgQuery__Node *t = s->target_list[i];
		if (t->node_case != PG_QUERY__NODE__NODE_RES_TARGET)
			continue;
		if (holds_srf(t->res_target->val)) /* in an expression: over one row */
			return one_row(c, q, t->res_target->location);
		if (!is_srf(t->res_target->val))
			continue;
		if (found >= 0) /* several: in lockstep over one row */
			return one_row(c, q, t->res_target->location);
		found = (int)i;
	}
	if (found < 0)
		return MUR_OK;
	PgQuery__FuncCall *f = s->target_list[found]->res_target->val->func_call;
	if (sql_is_unnest_call(s->target_list[found]->res_target->val))
		return sql_unnest_select_list(c, q, f);
	const PgQuery__Node *val = s->target_list[found]->res_target->val;
	if (sql_regex_srf_node(val)) { /* analyze_regex_srf.c */
		if (sql_regex_srf_add(c, q, f, NULL, 0) != MUR_OK)
			return MUR_ERR;
	} else if ((is_series_call(val, 0)
			    ? sql_srf_add(c, q, f, NULL, SRF_NAME, 0, sql_series_call)
		    : is_named(val, SUBSCRIPTS_NAME)
			    ? sql_srf_add(c, q, f, NULL, SUBSCRIPTS_NAME, 0, sql_subscripts_call)
			    : sql_json_srf_add(c, q, f, NULL, SQL_JSON_SRF_IN_SELECT)) != MUR_OK)
		return MUR_ERR;
	c->srf_call = f; /* sql_analyze_func reads it as the table's column */
	c->srf_rte = q->nrte - 1;
	return MUR_OK;
}
