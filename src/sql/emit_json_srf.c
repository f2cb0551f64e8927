/*
 * emit_json_srf.c — the json and jsonb set-returning functions
 * (parser/analyze_json_srf.c) as SQLite: a subquery over SQLite's json_each
 * of the document, which walks an object's members or an array's elements
 * in the stored order (jsonb's: keys by length then bytes); each value is
 * read back with mur_json_get (storage/sqlfn_json.c, the -> and ->>
 * operators), so a jsonb value is jsonb's text (1.50 stays 1.50, where
 * json_each's own value column would be the double 1.5).  The document
 * goes through mur_json_srf_arg first, which raises PostgreSQL's 22023 for
 * the wrong kind (an array to jsonb_each, a scalar to
 * jsonb_array_elements) and passes NULL on (no rows).  WITH ORDINALITY is
 * row_number() over json_each's order.  The document is a constant or a
 * parameter, written twice; or a column of an earlier FROM entry (gathered
 * to the leader: `FROM t, jsonb_each(t.doc) e`), and then json_each stands
 * in FROM itself, joined laterally by SQLite, and e's columns are written
 * where they are read (sql_emit_json_srf_col).  The regular expression
 * set-returning functions (parser/analyze_regex_srf.c, op SQL_REGEX_ROWS)
 * are a JSON array of strings whose json_each values are the rows (over
 * a gathered column: json_each in FROM, the row its value, WITH
 * ORDINALITY its key + 1).
 */
#include "sql/sqlInt.h"

#include <string.h>

/* Over a column of an earlier FROM entry (gathered rows on the leader):
 * json_each itself in FROM, which SQLite joins laterally, the columns
 * written where they are read (sql_emit_json_srf_col). */
static int direct(const sql_rte *r)
{
	return r->series && strcmp(r->series->op, "generate_series") &&
	       sql_emit_reads_column(r->series->args[0]); /* emit_srf.c */
}

int sql_emit_json_srf_col(sql_emit *e, const sql_rte *r, int col)
{
	const char *fn;
	int each, keys;
	if (!direct(r))
		return 0;
	fn = r->series->op;
	if (!strcmp(fn, SQL_REGEX_ROWS)) { /* the row, or WITH ORDINALITY's count */
		mur_buf_printf(e->b, col ? "(" : "");
		sql_emit_ident(e->b, r->alias);
		mur_buf_printf(e->b, col ? ".key + 1)" : ".value");
		return 1;
	}
	each = strstr(fn, "_each") != NULL;
	keys = strstr(fn, "_object_keys") != NULL;
	if ((each && col == 0) || keys) {
		sql_emit_ident(e->b, r->alias);
		mur_buf_printf(e->b, ".key");
		return 1;
	}
	mur_buf_printf(e->b, "mur_json_get(");
	sql_emit_expr(e, r->series->args[0]);
	mur_buf_printf(e->b, ", ");
	sql_emit_ident(e->b, r->alias);
	mur_buf_printf(e->b, ".key, %d)", strstr(fn, "_text") != NULL);
	return 1;
}

int sql_emit_json_srf(sql_emit *e, const sql_rte *r)
{
	const sql_expr *call = r->series;
	const char *fn = call->op;
	const cat_table *t = r->table;
	int each = strstr(fn, "_each") != NULL, keys = strstr(fn, "_object_keys") != NULL;
	int as_text = strstr(fn, "_text") != NULL, nout = each ? 2 : 1;
	if (!strcmp(fn, "generate_series"))
		return 0;
	if (!strcmp(fn, SQL_REGEX_ROWS) && direct(r)) {
		mur_buf_printf(e->b, "json_each(");
		sql_emit_expr(e, call->args[0]);
		mur_buf_printf(e->b, ")");
		return 1;
	}
	if (!strcmp(fn, SQL_REGEX_ROWS)) { /* regexp_matches & co.: JSON strings, read as text */
		mur_buf_printf(e->b, "(SELECT j.value AS ");
		sql_emit_ident(e->b, t->cols[0].name);
		if (t->ncols > 1) {
			mur_buf_printf(e->b, ", row_number() OVER (ORDER BY j.id) AS ");
			sql_emit_ident(e->b, t->cols[1].name);
		}
		mur_buf_printf(e->b, " FROM json_each(");
		sql_emit_expr(e, call->args[0]);
		mur_buf_printf(e->b, ") AS j ORDER BY j.id)");
		return 1;
	}
	if (direct(r)) {
		mur_buf_printf(e->b, "json_each(mur_json_srf_arg(");
		sql_emit_expr(e, call->args[0]);
		mur_buf_printf(e->b, ", '%s'))", fn);
		return 1;
	}
	mur_buf_printf(e->b, "(SELECT ");
	if (each || keys) {
		mur_buf_printf(e->b, "j.key AS ");
		sql_emit_ident(e->b, t->cols[0].name);
	}
	if (!keys) {
		mur_buf_printf(e->b, "%smur_json_get(", each ? ", " : "");
		sql_emit_expr(e, call->args[0]);
		mur_buf_printf(e->b, ", j.key, %d) AS ", as_text);
		sql_emit_ident(e->b, t->cols[nout - 1].name);
	}
	if (t->ncols > nout) { /* WITH ORDINALITY */
		mur_buf_printf(e->b, ", row_number() OVER (ORDER BY j.id) AS ");
		sql_emit_ident(e->b, t->cols[nout].name);
	}
	mur_buf_printf(e->b, " FROM json_each(mur_json_srf_arg(");
	sql_emit_expr(e, call->args[0]);
	mur_buf_printf(e->b, ", '%s')) AS j ORDER BY j.id)", fn);
	return 1;
}
