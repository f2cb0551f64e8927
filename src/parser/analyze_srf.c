/*
 * analyze_srf.c — generate_series(start, stop [, step]) over integers, in
 * FROM and in the select list of a SELECT without FROM.
 *
 * In FROM it is a leader table (CAT_TABLE_VIRTUAL) of one column — named
 * by the alias's column list, else the alias, else "generate_series", as
 * PostgreSQL names it — whose rte carries the call (sql_rte.series);
 * sql/emit.c writes it as a recursive WITH over SQLite's integers, so the
 * query runs on the leader like one over murphy.* views.  The type is
 * bigint when an argument is, else integer.  `SELECT generate_series(a,
 * b)` without FROM is `SELECT generate_series FROM generate_series(a, b)`:
 * the call, standing alone as a select-list item, adds that table
 * (sql_srf_select_list) and reads as its column (sql_srf_column).  Refused (0A000): joins with distributed
 * tables (analyze_select.c), arguments that read columns (LATERAL), other
 * set-returning functions, WITH ORDINALITY, ROWS FROM, non-integer series,
 * and set-returning calls anywhere else in the select list.  The json
 * ones (analyze_json_srf.c) come in the same two places.
 */
#include "parser/analyze_subq_int.h"

#include <stdio.h>
#include <string.h>

#define SRF_NAME "generate_series"

static int unsupported(sql_ctx *c, const char *what, int loc)
{
	return sql_err(c, SQLSTATE_FEATURE_NOT_SUPPORTED, loc, "murphy does not support %s yet",
		       what);
}

/* generate_series, or a json one (analyze_json_srf.c) when json is set. */
static int is_series_call(const PgQuery__Node *n, int json)
{
	const PgQuery__FuncCall *f;
	const PgQuery__Node *name;
	if (!n || n->node_case != PG_QUERY__NODE__NODE_FUNC_CALL)
		return 0;
	f = n->func_call;
	name = f->funcname[f->n_funcname - 1];
	return f->n_funcname <= 2 && name->node_case == PG_QUERY__NODE__NODE_STRING &&
	       (!strcmp(name->string->sval, SRF_NAME) ||
		(json && sql_json_srf_is(name->string->sval)));
}

static int reads_columns(const sql_expr *e)
{
	if (e->kind == SE_COLUMN || e->kind == SE_AGG || e->kind == SE_WINDOW)
		return 1;
	for (int i = 0; i < e->nargs; i++)
		if (reads_columns(e->args[i]))
			return 1;
	return 0;
}

/* The call's arguments (a step of 1 added) as one SE_CALL, typed. */
static sql_expr *series_call(sql_ctx *c, PgQuery__FuncCall *f)
{
	sql_expr *args[3] = {NULL, NULL, NULL};
	mur_type t = MT_INT4;
	int n = (int)f->n_args;
	if (f->agg_star || f->agg_distinct || f->over || f->n_agg_order || f->agg_filter || n < 2 ||
	    n > 3)
		return unsupported(c, "this call of generate_series", f->location), NULL;
	for (int i = 0; i < n; i++) {
		if (!(args[i] = sql_analyze_expr(c, f->args[i])))
			return NULL;
		if (args[i]->type == MT_UNKNOWN)
			args[i] = sql_make_cast(c, args[i], MT_INT4, args[i]->loc);
		if (!args[i])
			return NULL;
		if (reads_columns(args[i]))
			return unsupported(c,
					   "generate_series over columns of other tables (LATERAL)",
					   args[i]->loc),
			       NULL;
		if (!mur_type_is_integer(args[i]->type))
			return unsupported(c, "generate_series over types other than integers",
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

int sql_srf_add(sql_ctx *c, sql_query *q, PgQuery__FuncCall *f, const PgQuery__Alias *alias,
		const char *fname, int ordinality, sql_srf_analyze_fn analyze)
{
	const char *name = alias && alias->aliasname && *alias->aliasname ? alias->aliasname
									  : fname;
	const char *col = alias && alias->n_colnames ? sql_node_str(alias->colnames[0]) : name;
	const char *ord = alias && alias->n_colnames > 1 ? sql_node_str(alias->colnames[1])
							 : "ordinality";
	cat_table *t = sql_alloc(c, sizeof *t);
	sql_expr *call;
	int save_ok = c->agg_ok;
	const char *save_where = c->agg_where;
	if (!t)
		return MUR_ERR;
	if (alias && (int)alias->n_colnames > 1 + ordinality)
		return sql_err(c, "42601", f->location,
			       "too many column aliases specified for function %s", fname);
	c->agg_ok = 0;
	c->agg_where = "functions in FROM";
	call = analyze(c, f);
	c->agg_ok = save_ok;
	c->agg_where = save_where;
	if (!call)
		return MUR_ERR;
	t->kind = CAT_TABLE_VIRTUAL;
	t->dist_col = -1;
	snprintf(t->name, sizeof t->name, "%s", fname);
	t->ncols = 1 + ordinality;
	snprintf(t->cols[0].name, sizeof t->cols[0].name, "%s", col ? col : name);
	t->cols[0].type = call->type;
	t->cols[0].typmod = -1;
	if (ordinality) {
		snprintf(t->cols[1].name, sizeof t->cols[1].name, "%s", ord ? ord : "ordinality");
		t->cols[1].type = MT_INT8;
		t->cols[1].typmod = -1;
	}
	if (sql_add_rte(c, q, t, name, f->location) != MUR_OK)
		return MUR_ERR;
	q->rtes[q->nrte - 1].series = call;
	return MUR_OK;
}

/* A leader table of one column for the call. */
static int add_series(sql_ctx *c, sql_query *q, PgQuery__FuncCall *f, const PgQuery__Alias *alias)
{
	return sql_srf_add(c, q, f, alias, SRF_NAME, 0, series_call);
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
	if (rf->lateral || rf->is_rowsfrom || rf->n_functions != 1 || rf->n_coldeflist)
		return unsupported(c, "LATERAL, WITH ORDINALITY or ROWS FROM in FROM", -1);
	item = rf->functions[0];
	if (item->node_case == PG_QUERY__NODE__NODE_LIST && item->list->n_items > 0)
		item = item->list->items[0];
	if (is_series_call(item, 1) && !is_series_call(item, 0)) /* WITH ORDINALITY too */
		return sql_json_srf_add(c, q, item->func_call, rf->alias,
					rf->ordinality ? SQL_JSON_SRF_ORDINALITY : 0);
	if (rf->ordinality)
		return unsupported(c, "WITH ORDINALITY of generate_series", -1);
	if (is_series_call(item, 0))
		return add_series(c, q, item->func_call, rf->alias);
	unsupported(c, "this function in FROM", -1);
	mur_error_detail(c->err, "murphy's set-returning functions are generate_series over "
				 "integers and the json[b]_each, _array_elements and _object_keys "
				 "families.");
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

int sql_srf_select_list(sql_ctx *c, sql_query *q, PgQuery__SelectStmt *s)
{
	int found = -1;
	if (s->n_from_clause)
		return MUR_OK;
	for (size_t i = 0; i < s->n_target_list; i++) {
		PgQuery__Node *t = s->target_list[i];
		if (t->node_case != PG_QUERY__NODE__NODE_RES_TARGET ||
		    (!is_series_call(t->res_target->val, 1) &&
		     !sql_is_unnest_call(t->res_target->val) &&
		     !sql_regex_srf_node(t->res_target->val)))
			continue;
		if (found >= 0)
			return unsupported(c,
					   "more than one set-returning function in a select list",
					   t->res_target->location);
		found = (int)i;
	}
	if (found < 0)
		return MUR_OK;
	PgQuery__FuncCall *f = s->target_list[found]->res_target->val->func_call;
	if (sql_is_unnest_call(s->target_list[found]->res_target->val))
		return sql_unnest_select_list(c, q, f);
	if (sql_regex_srf_node(s->target_list[found]->res_target->val)) {
		if (sql_regex_srf_add(c, q, f, NULL, 0) != MUR_OK)
			return MUR_ERR;
	} else if ((is_series_call(s->target_list[found]->res_target->val, 0)
			    ? add_series(c, q, f, NULL)
			    : sql_json_srf_add(c, q, f, NULL, SQL_JSON_SRF_IN_SELECT)) != MUR_OK)
		return MUR_ERR;
	c->srf_call = f; /* sql_analyze_func reads it as the table's column */
	c->srf_rte = q->nrte - 1;
	return MUR_OK;
}
