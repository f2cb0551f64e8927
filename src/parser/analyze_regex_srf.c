/*
 * analyze_regex_srf.c — the set-returning regular expression functions:
 *
 *   regexp_matches(s, p[, flags])        setof text[]  (one row per match
 *                                         with 'g', else the first)
 *   regexp_split_to_table(s, p[, flags]) setof text
 *
 * Each is a scalar call first — storage/sqlfn_regex_set.c's
 * mur_regexp_matches / mur_regexp_split_json, answering a JSON array of
 * the rows — then walked by SQLite's json_each, the way the json
 * set-returning functions are (analyze_json_srf.c), in three places:
 *
 * - in FROM: a leader table whose rte's series is SQL_REGEX_ROWS of that
 *   array (sql/emit_json_srf.c writes it over json_each), its column typed
 *   text[] or text, named by the alias or the function; WITH ORDINALITY
 *   adds "ordinality".  Over an earlier FROM item's column (implicit or
 *   explicit LATERAL) the items are gathered to the leader as for the json
 *   functions (sql_json_srf_lateral) and json_each joins each row there;
 * - in the select list of a query with FROM: the unnest mechanism
 *   (analyze_unnest.c) — the query's rows joined with json_each of the
 *   array (q->unnest, sql/emit.c), on the shards, a row whose string does
 *   not match giving no row, as PostgreSQL's one SRF in a select list;
 * - alone in the select list of a SELECT without FROM
 *   (sql_srf_select_list): the FROM form.
 * Refused (0A000): an argument reading a distributed table's column in
 * FROM any other way, joins of the constant form with distributed tables,
 * ROWS FROM, and what the unnest mechanism refuses (a second
 * set-returning function, aggregates or DISTINCT beside it).
 */
#include "parser/analyze_subq_int.h"

#include <string.h>

int sql_regex_srf_is(const char *name)
{
	return !strcmp(name, "regexp_matches") || !strcmp(name, "regexp_split_to_table");
}

int sql_regex_srf_node(const PgQuery__Node *n)
{
	const PgQuery__FuncCall *f;
	if (!n || n->node_case != PG_QUERY__NODE__NODE_FUNC_CALL)
		return 0;
	f = n->func_call;
	return f->n_funcname == 1 && sql_regex_srf_is(sql_node_str(f->funcname[0]));
}

/* Does e read a distributed table's column (or an aggregate)?  Columns of
 * leader tables (gathered rows: FROM t, regexp_matches(t.s, ...)) are
 * read where the query runs. */
static int reads_columns(const sql_ctx *c, const sql_expr *e)
{
	if (e->kind == SE_COLUMN)
		return !c->q || e->rte < 0 || e->rte >= c->q->nrte ||
		       c->q->rtes[e->rte].table->kind != CAT_TABLE_VIRTUAL;
	if (e->kind == SE_AGG || e->kind == SE_WINDOW)
		return 1;
	for (int i = 0; i < e->nargs; i++)
		if (reads_columns(c, e->args[i]))
			return 1;
	return 0;
}

static sql_expr *no_function(sql_ctx *c, const char *name, int loc)
{
	sql_err(c, SQLSTATE_UNDEFINED_FUNCTION, loc,
		"function %s does not exist with these arguments", name);
	mur_error_hint(c->err, "No function matches the given name and argument types. You might "
			       "need to add explicit type casts.");
	return NULL;
}

/* The rows as a JSON array: mur_regexp_matches / mur_regexp_split_json
 * over the text arguments; *elem the rows' type. */
static sql_expr *rows_call(sql_ctx *c, PgQuery__FuncCall *f, mur_type *elem)
{
	const char *name = sql_node_str(f->funcname[0]);
	int matches = !strcmp(name, "regexp_matches");
	sql_expr *args[3], *e;
	int n = (int)f->n_args;
	if (f->agg_star || f->agg_distinct || f->over || f->n_agg_order || f->agg_filter)
		return sql_err(c, SQLSTATE_FEATURE_NOT_SUPPORTED, f->location,
			       "murphy does not support this call of %s yet", name),
		       NULL;
	if (n < 2 || n > 3)
		return no_function(c, name, f->location);
	for (int i = 0; i < n; i++) {
		if (!(args[i] = sql_analyze_expr(c, f->args[i])))
			return NULL;
		if (args[i]->type != MT_UNKNOWN && !mur_type_is_text(args[i]->type))
			return no_function(c, name, f->location);
		if (!(args[i] = sql_coerce(c, args[i], MT_TEXT, NULL)))
			return NULL;
	}
	*elem = matches ? MT_TEXT_ARRAY : MT_TEXT;
	e = sql_expr_new(c, SE_CALL, MT_TEXT, f->location);
	if (!e || !(e->args = sql_alloc(c, sizeof(sql_expr *) * (size_t)n)))
		return NULL;
	e->op = matches ? "mur_regexp_matches" : "mur_regexp_split_json";
	e->nargs = n;
	memcpy(e->args, args, sizeof(sql_expr *) * (size_t)n);
	return e;
}

/* The FROM form's series: json_array_elements_text of the rows. */
static sql_expr *series_call(sql_ctx *c, PgQuery__FuncCall *f)
{
	mur_type elem;
	sql_expr *rows = rows_call(c, f, &elem);
	if (!rows)
		return NULL;
	if (reads_columns(c, rows)) {
		sql_err(c, SQLSTATE_FEATURE_NOT_SUPPORTED, f->location,
			"murphy does not support %s in FROM over a column of another FROM item "
			"(LATERAL) yet",
			sql_node_str(f->funcname[0]));
		mur_error_hint(c->err, "Call it in the select list: SELECT id, "
				       "regexp_matches(s, 'p', 'g') FROM t.");
		return NULL;
	}
	return sql_make_call(c, SQL_REGEX_ROWS, elem, f->location, 1, rows);
}

int sql_regex_srf_add(sql_ctx *c, sql_query *q, PgQuery__FuncCall *f, const PgQuery__Alias *alias,
		      int ordinality)
{
	return sql_srf_add(c, q, f, alias, sql_node_str(f->funcname[0]), ordinality, series_call);
}

int sql_regex_srf_from(sql_ctx *c, sql_query *q, PgQuery__RangeFunction *rf)
{
	PgQuery__Node *item = rf->functions[0];
	/* LATERAL changes nothing: a function in FROM reads earlier items anyway */
	if (rf->is_rowsfrom || rf->n_functions != 1 || rf->n_coldeflist)
		return sql_err(c, SQLSTATE_FEATURE_NOT_SUPPORTED, -1,
			       "murphy does not support ROWS FROM or a column definition list with "
			       "%s yet",
			       sql_node_str(item->list->items[0]->func_call->funcname[0]));
	return sql_regex_srf_add(c, q, item->list->items[0]->func_call, rf->alias, rf->ordinality);
}

sql_expr *sql_regex_srf_target(sql_ctx *c, PgQuery__FuncCall *f)
{
	const char *name = sql_node_str(f->funcname[0]);
	sql_expr *rows, *value;
	mur_type elem;
	if (!c->q || !c->q->nrte || !c->win_ok)
		return sql_err(c, SQLSTATE_FEATURE_NOT_SUPPORTED, f->location,
			       "murphy supports %s only in FROM and in a select list", name),
		       NULL;
	if (!(rows = rows_call(c, f, &elem)) ||
	    !(value = sql_expr_new(c, SE_RAW, elem, f->location)))
		return NULL;
	value->op = SQL_UNNEST_ALIAS ".value";
	if (!c->q->unnest) {
		c->q->unnest = rows;
		c->q->unnest_fn = name; /* mur_json_srf_arg passes the array through */
	}
	/* beside other set-returning functions: in lockstep (analyze_srf_list.c) */
	if (sql_srf_note(c, rows, value, 0, 0) != MUR_OK)
		return NULL;
	return value;
}
