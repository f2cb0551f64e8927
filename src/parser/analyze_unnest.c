/*
 * analyze_unnest.c — unnest(array) in FROM [WITH ORDINALITY], and
 * SELECT unnest(array) without FROM.
 *
 * As generate_series (analyze_srf.c): a table (CAT_TABLE_VIRTUAL, read
 * as a reference table: beside distributed tables it is computed on every
 * shard) whose rte carries the call (sql_rte.series, op "unnest":
 * args[2k] the k-th array, args[2k+1] its element type as an int4),
 * written by sql/emit_srf.c as a recursive WITH over the subscripts 1 ..
 * the largest cardinality, each row mur_array_get(a, i, elem) per array
 * (NULL past its end) and i, the ordinality.  Its columns: the alias's
 * column names, else (one array) the alias, else "unnest"; "ordinality"
 * for WITH ORDINALITY.  unnest of several arrays exists in FROM only
 * (42883 in a select list, as in PostgreSQL).
 *
 * unnest(t.a) of one array over columns of the FROM entries before it
 * (PostgreSQL's implicit LATERAL): SQLite's table-valued json_each over
 * the elements stands in FROM (`, json_each(mur_array_json(t.a)) AS u`),
 * joined row by row, so it runs where the query runs (on the shards);
 * the element is mur_array_elem(u.value, elem), the ordinality u.key + 1
 * (sql/emit_srf.c); of several arrays, json_each walks the positions and
 * each element is json_extract'ed there.  Several functions (ROWS FROM)
 * are 0A000.
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

/* One array argument, analyzed and checked: it may read columns of the
 * FROM entries before it (sql/emit_srf.c joins it row by row). */
static sql_expr *unnest_arg(sql_ctx *c, PgQuery__FuncCall *f, PgQuery__Node *n)
{
	sql_expr *a = sql_analyze_expr(c, n);
	if (!a)
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
	if (sql_reads_aggregates(a)) {
		sql_err(c, SQLSTATE_FEATURE_NOT_SUPPORTED, a->loc,
			"murphy does not support unnest over aggregates in FROM yet");
		return NULL;
	}
	return a;
}

/* The call: args[2k] the k-th array, args[2k+1] its element type (int4);
 * several arrays only in FROM (PostgreSQL's unnest(a, b, ...)). */
static sql_expr *unnest_call(sql_ctx *c, PgQuery__FuncCall *f)
{
	sql_expr *call;
	int n = (int)f->n_args;
	if (f->agg_star || f->agg_distinct || f->over || f->n_agg_order || f->agg_filter || n < 1 ||
	    n > CAT_COLUMNS_MAX - 1) {
		sql_err(c, SQLSTATE_FEATURE_NOT_SUPPORTED, f->location,
			"murphy does not support this call of unnest");
		return NULL;
	}
	if (!(call = sql_expr_new(c, SE_CALL, MT_UNKNOWN, f->location)) ||
	    !(call->args = sql_alloc(c, sizeof *call->args * (size_t)(2 * n))))
		return NULL;
	call->op = UNNEST_NAME;
	for (int i = 0; i < n; i++) {
		sql_expr *a = unnest_arg(c, f, f->args[i]);
		if (!a || !(call->args[2 * i + 1] = sql_make_const_int(c, mur_type_elem(a->type),
								       MT_INT4)))
			return NULL;
		call->args[2 * i] = a;
	}
	call->nargs = 2 * n;
	call->type = mur_type_elem(call->args[0]->type);
	return call;
}

/* A leader table for the call: its element column, and the ordinality. */
static int add_unnest(sql_ctx *c, sql_query *q, PgQuery__FuncCall *f, const PgQuery__Alias *alias,
		      int ordinality)
{
	return sql_srf_add(c, q, f, alias, UNNEST_NAME, ordinality, unnest_call);
}

int sql_unnest_from(sql_ctx *c, sql_query *q, PgQuery__RangeFunction *rf, PgQuery__Node *item)
{
	if (rf->is_rowsfrom || rf->n_functions != 1 || rf->n_coldeflist)
		return sql_err(c, SQLSTATE_FEATURE_NOT_SUPPORTED, -1,
			       "murphy does not support ROWS FROM or a column definition list with "
			       "unnest yet");
	return add_unnest(c, q, item->func_call, rf->alias, rf->ordinality);
}

/* PostgreSQL's unnest of several arrays exists in FROM only. */
static int no_such_unnest(sql_ctx *c, PgQuery__FuncCall *f)
{
	mur_buf b;
	mur_buf_init(&b);
	for (size_t i = 0; i < f->n_args; i++) {
		sql_expr *a = sql_analyze_expr(c, f->args[i]);
		if (!a)
			return mur_buf_free(&b), MUR_ERR;
		mur_buf_printf(&b, "%s%s", i ? ", " : "", sql_type_name(a->type));
	}
	sql_err(c, SQLSTATE_UNDEFINED_FUNCTION, f->location, "function unnest(%.*s) does not exist",
		(int)b.len, b.data ? b.data : "");
	mur_buf_free(&b);
	return MUR_ERR;
}

int sql_unnest_select_list(sql_ctx *c, sql_query *q, PgQuery__FuncCall *f)
{
	if (f->n_args > 1)
		return no_such_unnest(c, f);
	if (add_unnest(c, q, f, NULL, 0) != MUR_OK)
		return MUR_ERR;
	c->srf_call = f; /* sql_analyze_func reads it as the table's column */
	c->srf_rte = q->nrte - 1;
	return MUR_OK;
}

sql_expr *sql_unnest_target(sql_ctx *c, PgQuery__FuncCall *f)
{
	sql_expr *a, *raw, *rows;
	if (!c->q || !c->q->nrte || !c->win_ok)
		return sql_err(c, SQLSTATE_FEATURE_NOT_SUPPORTED, f->location,
			       "murphy supports unnest only in FROM and in a select list"),
		       NULL;
	if (f->n_args > 1)
		return no_such_unnest(c, f), NULL;
	if (f->agg_star || f->agg_distinct || f->over || f->n_agg_order || f->agg_filter ||
	    f->n_args != 1)
		return sql_err(c, SQLSTATE_FEATURE_NOT_SUPPORTED, f->location,
			       "murphy does not support this call of unnest"),
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
	if (!c->q->unnest)
		c->q->unnest = a;
	rows = sql_make_call(c, "mur_array_json", MT_TEXT, f->location, 1, a);
	if (!rows || sql_srf_note(c, rows, raw, 0, 0) != MUR_OK) /* analyze_srf_list.c */
		return NULL;
	return sql_make_call(c, "mur_array_elem", mur_type_elem(a->type), f->location, 2, raw,
			     sql_make_const_int(c, mur_type_elem(a->type), MT_INT4));
}

int sql_unnest_check(sql_ctx *c, sql_query *q, int nested)
{
	(void)nested;
	if (sql_srf_lockstep(c, q) != MUR_OK) /* several: analyze_srf_list.c */
		return MUR_ERR;
	if (q->has_agg || q->distinct || q->nwindow || q->ndistinct_on || q->ngsets) {
		sql_err(c, SQLSTATE_FEATURE_NOT_SUPPORTED, q->unnest->loc,
			"murphy supports set-returning functions in a select list with FROM only "
			"in a query without aggregates, GROUP BY, DISTINCT or window functions");
		mur_error_hint(c->err, "Unnest in a subquery: SELECT x, count(*) FROM (SELECT "
				       "unnest(a) AS x FROM t) s GROUP BY x.");
		return MUR_ERR;
	}
	return MUR_OK;
}
