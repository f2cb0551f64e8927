/*
 * analyze_unnest.c — unnest(array) in FROM [WITH ORDINALITY], and
 * SELECT unnest(array) without FROM.
 *
 * As generate_series (analyze_srf.c): a leader table (CAT_TABLE_VIRTUAL)
 * whose rte carries the call (sql_rte.series, op "unnest": args[0] the
 * array, args[1] its element type as an int4), written by sql/emit.c as a
 * recursive WITH over the subscripts 1 .. cardinality, each row
 * mur_array_get(a, i, elem) (and i, the ordinality).  Its columns: the
 * alias's column names, else the alias, else "unnest"; "ordinality" for
 * WITH ORDINALITY.  The array is a constant or a parameter there: unnest
 * of a column in FROM (LATERAL) is 0A000, as are several functions (ROWS
 * FROM) and unnest of several arrays.
 *
 * unnest(a) in the select list of a query with FROM (a column, any
 * expression): the query's rows joined with SQLite's table-valued
 * json_each over the elements (sql/emit.c: `, json_each(mur_array_json(a))
 * AS mur_u`), the unnest call reading mur_array_elem(mur_u.value, elem);
 * so it runs where the query runs (on the shards), and a row whose array is
 * NULL or empty gives no row, as PostgreSQL's one SRF in a select list.
 * One unnest per query, in a query without aggregates, GROUP BY,
 * DISTINCT or window functions (0A000): put those in a query around it.
 * A subquery, WITH query or view holding one is never merged into the
 * query reading it (analyze_from_subq.c mergeable): it runs as its own
 * statement, its rows gathered.
 */
#include "parser/analyze_subq_int.h"

#include <stdio.h>
#include <string.h>

#define UNNEST_NAME "unnest"

static int reads_columns(const sql_expr *e)
{
	if (e->kind == SE_COLUMN || e->kind == SE_AGG || e->kind == SE_WINDOW)
		return 1;
	for (int i = 0; i < e->nargs; i++)
		if (reads_columns(e->args[i]))
			return 1;
	return 0;
}

int sql_is_unnest_call(const PgQuery__Node *n)
{
	const PgQuery__FuncCall *f;
	const PgQuery__Node *name;
	if (!n || n->node_case != PG_QUERY__NODE__NODE_FUNC_CALL)
		return 0;
	f = n->func_call;
	name = f->funcname[f->n_funcname - 1];
	return f->n_funcname <= 2 && name->node_case == PG_QUERY__NODE__NODE_STRING &&
	       !strcmp(name->string->sval, UNNEST_NAME);
}

static sql_expr *unnest_call(sql_ctx *c, PgQuery__FuncCall *f)
{
	sql_expr *a;
	if (f->agg_star || f->agg_distinct || f->over || f->n_agg_order || f->agg_filter ||
	    f->n_args != 1) {
		sql_err(c, SQLSTATE_FEATURE_NOT_SUPPORTED, f->location,
			"murphy supports unnest of one array only");
		return NULL;
	}
	if (!(a = sql_analyze_expr(c, f->args[0])))
		return NULL;
	if (a->type == MT_UNKNOWN) { /* PostgreSQL: could not determine polymorphic type */
		sql_err(c, "42804", a->loc,
			"could not determine polymorphic type because input has "
			"type unknown");
		return NULL;
	}
	if (!mur_type_is_array(a->type)) {
		sql_err(c, SQLSTATE_UNDEFINED_FUNCTION, f->location,
			"function unnest(%s) does not exist", sql_type_name(a->type));
		return NULL;
	}
	if (reads_columns(a)) {
		sql_err(c, SQLSTATE_FEATURE_NOT_SUPPORTED, a->loc,
			"murphy does not support unnest over a column yet (LATERAL, or unnest in "
			"a select list with FROM)");
		mur_error_hint(c->err, "Use x = ANY(col), or pass the array as a constant or "
				       "parameter.");
		return NULL;
	}
	return sql_make_call(c, UNNEST_NAME, mur_type_elem(a->type), f->location, 2, a,
			     sql_make_const_int(c, mur_type_elem(a->type), MT_INT4));
}

/* A leader table for the call: its element column, and the ordinality. */
static int add_unnest(sql_ctx *c, sql_query *q, PgQuery__FuncCall *f, const PgQuery__Alias *alias,
		      int ordinality)
{
	return sql_srf_add(c, q, f, alias, UNNEST_NAME, ordinality, unnest_call);
}

int sql_unnest_from(sql_ctx *c, sql_query *q, PgQuery__RangeFunction *rf, PgQuery__Node *item)
{
	if (rf->lateral || rf->is_rowsfrom || rf->n_functions != 1 || rf->n_coldeflist)
		return sql_err(c, SQLSTATE_FEATURE_NOT_SUPPORTED, -1,
			       "murphy does not support LATERAL or ROWS FROM with unnest yet");
	return add_unnest(c, q, item->func_call, rf->alias, rf->ordinality);
}

int sql_unnest_select_list(sql_ctx *c, sql_query *q, PgQuery__FuncCall *f)
{
	if (add_unnest(c, q, f, NULL, 0) != MUR_OK)
		return MUR_ERR;
	c->srf_call = f; /* sql_analyze_func reads it as the table's column */
	c->srf_rte = q->nrte - 1;
	return MUR_OK;
}

sql_expr *sql_unnest_target(sql_ctx *c, PgQuery__FuncCall *f)
{
	sql_expr *a, *raw;
	if (!c->q || !c->q->nrte || !c->win_ok)
		return sql_err(c, SQLSTATE_FEATURE_NOT_SUPPORTED, f->location,
			       "murphy supports unnest only in FROM and in a select list"),
		       NULL;
	if (c->q->unnest)
		return sql_err(c, SQLSTATE_FEATURE_NOT_SUPPORTED, f->location,
			       "murphy supports one unnest per select list"),
		       NULL;
	if (f->agg_star || f->agg_distinct || f->over || f->n_agg_order || f->agg_filter ||
	    f->n_args != 1)
		return sql_err(c, SQLSTATE_FEATURE_NOT_SUPPORTED, f->location,
			       "murphy supports unnest of one array only"),
		       NULL;
	if (!(a = sql_analyze_expr(c, f->args[0])))
		return NULL;
	if (!mur_type_is_array(a->type))
		return sql_err(c, SQLSTATE_UNDEFINED_FUNCTION, f->location,
			       "function unnest(%s) does not exist", sql_type_name(a->type)),
		       NULL;
	if (!(raw = sql_expr_new(c, SE_RAW, MT_TEXT, f->location)))
		return NULL;
	raw->op = SQL_UNNEST_ALIAS ".value";
	c->q->unnest = a;
	return sql_make_call(c, "mur_array_elem", mur_type_elem(a->type), f->location, 2, raw,
			     sql_make_const_int(c, mur_type_elem(a->type), MT_INT4));
}

int sql_unnest_check(sql_ctx *c, const sql_query *q, int nested)
{
	(void)nested;
	if (q->has_agg || q->distinct || q->nwindow || q->ndistinct_on || q->ngsets)
		return sql_err(c, SQLSTATE_FEATURE_NOT_SUPPORTED, q->unnest->loc,
			       "murphy supports %s in a select list with FROM only in a query "
			       "without aggregates, GROUP BY, DISTINCT or window functions",
			       q->unnest_fn ? q->unnest_fn : "unnest");
	mur_error_hint(c->err, "Unnest in a subquery: SELECT x, count(*) FROM (SELECT unnest(a) "
			       "AS x FROM t) s GROUP BY x.");
	return MUR_OK;
}
