/*
 * analyze_srf_list.c — set-returning functions in the select list of a
 * query with FROM (SELECT id, unnest(a), generate_series(1, n) FROM t),
 * with PostgreSQL 10's semantics: each input row gives as many rows as
 * the function returning the most, the others NULL past their end; a row
 * whose functions return nothing gives none.
 *
 * One function: SQLite's table-valued json_each over its rows joins the
 * query's FROM as SQL_UNNEST_ALIAS (sql/emit.c sql_emit_from), so it runs
 * where the query runs (on the shards): unnest(a) over mur_array_json(a)
 * (analyze_unnest.c), the json ones over their document
 * (analyze_json_srf.c), generate_series(a, b, s) over integers over
 * mur_series_json(a, b, s) (storage/sqlfn_math.c), over timestamps over
 * mur_ts_series_json (storage/sqlfn_tz.c), generate_subscripts over
 * mur_series_json of its bounds (analyze_srf.c), read as mur_u.value.
 *
 * Several (sql_srf_lockstep, once the select list is read): json_each
 * walks the positions 0 .. the largest count - 1 (mur_series_json over
 * the counts, json_array_length of each one's rows), and each function's
 * row is json_extract(its rows, '$[position]') (NULL past its end): the
 * node that read mur_u.value is rewritten in place (a json array's index
 * is the position itself).  Each one's rows are computed again per
 * output row.  json_object_keys (a key, not a position) is 0A000 there.
 */
#include "parser/analyze_subq_int.h"

#include <string.h>

/* Set-returning functions one select list may hold. */
#define SRF_LIST_MAX 16

typedef struct sql_srf_item {
	sql_expr *rows; /* a JSON array of its rows */
	sql_expr *at;   /* the node reading its row (rewritten in lockstep) */
	int at_key;     /* at reads mur_u.key: a json array's index */
	int keys_only;  /* json_object_keys: no position */
} sql_srf_item;

int sql_srf_note(sql_ctx *c, sql_expr *rows, sql_expr *at, int at_key, int keys_only)
{
	sql_query *q = c->q;
	if (!q->srfs && !(q->srfs = sql_alloc(c, sizeof *q->srfs * SRF_LIST_MAX)))
		return MUR_ERR;
	if (q->nsrf == SRF_LIST_MAX)
		return sql_err(c, SQLSTATE_FEATURE_NOT_SUPPORTED, at->loc,
			       "murphy supports at most %d set-returning functions in a select "
			       "list",
			       SRF_LIST_MAX);
	q->srfs[q->nsrf++] = (sql_srf_item){rows, at, at_key, keys_only};
	return MUR_OK;
}

static sql_expr *raw(sql_ctx *c, const char *sql, mur_type t, int loc)
{
	sql_expr *e = sql_expr_new(c, SE_RAW, t, loc);
	if (e)
		e->op = sql;
	return e;
}

/* max(coalesce(json_array_length(rows), 0), ...) - 1: the last position. */
static sql_expr *last_position(sql_ctx *c, sql_query *q)
{
	sql_expr *m = sql_make_call(c, "max", MT_INT8, -1, 0);
	if (!m || !(m->args = sql_alloc(c, sizeof *m->args * (size_t)q->nsrf)))
		return NULL;
	for (int i = 0; i < q->nsrf; i++) {
		sql_expr *n = sql_make_call(c, "json_array_length", MT_INT8, -1, 1,
					    q->srfs[i].rows);
		if (!n || !(m->args[i] = sql_make_call(c, "coalesce", MT_INT8, -1, 2, n,
						       sql_make_const_int(c, 0, MT_INT8))))
			return NULL;
	}
	m->nargs = q->nsrf;
	return sql_make_op(c, "-", MT_INT8, -1, m, sql_make_const_int(c, 1, MT_INT8));
}

int sql_srf_lockstep(sql_ctx *c, sql_query *q)
{
	sql_expr *last, *path;
	if (q->nsrf < 2)
		return MUR_OK;
	for (int i = 0; i < q->nsrf; i++)
		if (q->srfs[i].keys_only)
			return sql_err(c, SQLSTATE_FEATURE_NOT_SUPPORTED, q->srfs[i].at->loc,
				       "murphy does not support json_object_keys beside another "
				       "set-returning function in a select list yet");
	if (!(last = last_position(c, q)) ||
	    !(path = raw(c, "'$[' || " SQL_UNNEST_ALIAS ".value || ']'", MT_TEXT, -1)))
		return MUR_ERR;
	for (int i = 0; i < q->nsrf; i++) {
		sql_expr *at = q->srfs[i].at;
		if (q->srfs[i].at_key) { /* mur_json_get(doc, index, ...) */
			at->op = SQL_UNNEST_ALIAS ".value";
			continue;
		}
		if (!(at->args = sql_alloc(c, sizeof *at->args * 2)))
			return MUR_ERR;
		at->kind = SE_CALL;
		at->op = "json_extract";
		at->args[0] = q->srfs[i].rows;
		at->args[1] = path;
		at->nargs = 2;
	}
	q->unnest = sql_make_call(c, "mur_series_json", MT_TEXT, -1, 3,
				  sql_make_const_int(c, 0, MT_INT8), last,
				  sql_make_const_int(c, 1, MT_INT8));
	q->unnest_fn = NULL;
	q->unnest_json = 1;
	if (!q->unnest)
		return MUR_ERR;
	q->unnest->loc = q->srfs[0].at->loc; /* where an error about them points */
	return MUR_OK;
}

/* The first function of the select list joins as json_each over rows. */
static sql_expr *note_rows(sql_ctx *c, sql_expr *rows, mur_type t, int loc)
{
	sql_expr *at = raw(c, SQL_UNNEST_ALIAS ".value", t, loc);
	if (!at)
		return NULL;
	if (!c->q->unnest) {
		c->q->unnest = rows;
		c->q->unnest_json = 1;
	}
	return sql_srf_note(c, rows, at, 0, 0) == MUR_OK ? at : NULL;
}

sql_expr *sql_srf_target(sql_ctx *c, PgQuery__FuncCall *f)
{
	sql_expr *call, *rows;
	if (!strcmp(sql_node_str(f->funcname[f->n_funcname - 1]), "generate_subscripts")) {
		call = sql_subscripts_call(c, f); /* analyze_srf.c */
		return call ? note_rows(c, call->args[3], MT_INT4, f->location) : NULL;
	}
	if (!(call = sql_series_call(c, f))) /* analyze_srf.c */
		return NULL;
	rows = !strcmp(call->op, "generate_series_ts")
		       ? call->args[4]
		       : sql_make_call(c, "mur_series_json", MT_TEXT, f->location, 3, call->args[0],
				       call->args[1], call->args[2]);
	return rows ? note_rows(c, rows, call->type, f->location) : NULL;
}
