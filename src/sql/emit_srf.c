/*
 * emit_srf.c — the set-returning functions in FROM that murphy computes
 * itself (parser/analyze_srf.c, analyze_unnest.c) as SQLite subqueries:
 *
 *   generate_series(a, b, s) over integers   a recursive WITH over its
 *     arguments (mur_p, each written once): the first row when
 *     mur_series_first (storage/sqlfn_math.c) says the series holds it
 *     (22023 for a zero step), then v + s while mur_series_next holds
 *   generate_subscripts(a, d, rev)            the same series from
 *     array_lower to array_upper of dimension d (upper to lower, step -1,
 *     when rev; no rows for a NULL rev or a missing dimension)
 *   generate_series over timestamps           start, then the call's next
 *     expression (v + step, analyzed over the previous row v) while
 *     mur_ts_series (storage/sqlfn_types.c) says the row is within stop
 *   unnest(a [, b ...])                       the subscripts 1 .. the
 *     largest cardinality, each array's element there (NULL past its end)
 *
 * unnest's elements are columns mur_c0, mur_c1 ... (its columns may share
 * a name: unnest, unnest), read as such (sql_emit_srf_col).  Every one
 * counts its rows in o, written as the WITH ORDINALITY column
 * when the rte's table has one more column than the function returns.
 * unnest's arrays stand in mur_q (mur_a0 ...), mur_p adds n, the largest
 * cardinality.  The arguments are constants or parameters (the analyzer refuses
 * columns), so the subquery stands anywhere in FROM: on the leader, or on
 * every shard beside a distributed table.  The json functions are
 * emit_json_srf.c's.
 */
#include "sql/sqlInt.h"

#include <string.h>

/* ") SELECT v AS col[, o AS ordinality] FROM mur_s)": the rows out; for
 * unnest (arrays) each array's element o instead of v. */
static void emit_out(sql_emit *e, const sql_rte *r, int nout, int arrays)
{
	const cat_table *t = r->table;
	mur_buf_printf(e->b, ") SELECT ");
	for (int i = 0; i < nout; i++) {
		if (!arrays) {
			mur_buf_printf(e->b, "v");
		} else {
			mur_buf_printf(e->b, "%smur_array_get(mur_a%d, o, ", i ? ", " : "", i);
			sql_emit_expr(e, r->series->args[2 * i + 1]);
			mur_buf_printf(e->b, ") AS mur_c%d", i); /* sql_emit_srf_col */
			continue;
		}
		mur_buf_printf(e->b, " AS ");
		sql_emit_ident(e->b, t->cols[i].name);
	}
	if (t->ncols > nout) {
		mur_buf_printf(e->b, ", o AS ");
		sql_emit_ident(e->b, t->cols[nout].name);
	}
	mur_buf_printf(e->b, " FROM mur_s%s)", arrays ? ", mur_p" : "");
}

/* An integer series whose mur_p(a, b, st) the caller has written. */
static void emit_int_rows(sql_emit *e, const sql_rte *r)
{
	mur_buf_printf(e->b,
		       "), mur_s(v, o) AS (SELECT a, 1 FROM mur_p WHERE "
		       "mur_series_first(a, b, st) UNION ALL SELECT v + st, o + 1 FROM mur_s, "
		       "mur_p WHERE mur_series_next(v, b, st)");
	emit_out(e, r, 1, 0);
}

static void emit_int_series(sql_emit *e, const sql_rte *r)
{
	sql_expr *const *a = r->series->args;
	mur_buf_printf(e->b, "(WITH RECURSIVE mur_p(a, b, st) AS (SELECT ");
	for (int i = 0; i < 3; i++) {
		if (i)
			mur_buf_printf(e->b, ", ");
		sql_emit_expr(e, a[i]);
	}
	emit_int_rows(e, r);
}

/* mur_array_bound(a, d, which): which 0 the lower, 1 the upper bound. */
static void emit_bound(sql_emit *e, const sql_rte *r, int which)
{
	mur_buf_printf(e->b, "mur_array_bound(");
	sql_emit_expr(e, r->series->args[0]);
	mur_buf_printf(e->b, ", ");
	sql_emit_expr(e, r->series->args[1]);
	mur_buf_printf(e->b, ", %d)", which);
}

static void emit_subscripts(sql_emit *e, const sql_rte *r)
{
	const sql_expr *rev = r->series->args[2];
	mur_buf_printf(e->b, "(WITH RECURSIVE mur_r(r) AS (SELECT ");
	sql_emit_expr(e, rev);
	mur_buf_printf(e->b, "), mur_p(a, b, st) AS (SELECT CASE WHEN r THEN ");
	emit_bound(e, r, 1);
	mur_buf_printf(e->b, " ELSE ");
	emit_bound(e, r, 0);
	mur_buf_printf(e->b, " END, CASE WHEN r THEN ");
	emit_bound(e, r, 0);
	mur_buf_printf(e->b, " ELSE ");
	emit_bound(e, r, 1);
	mur_buf_printf(e->b, " END, CASE WHEN r THEN -1 WHEN NOT r THEN 1 END FROM mur_r");
	emit_int_rows(e, r);
}

static void emit_ts_series(sql_emit *e, const sql_rte *r)
{
	sql_expr *const *a = r->series->args;
	mur_buf_printf(e->b, "(WITH RECURSIVE mur_s(v, o) AS (SELECT ");
	sql_emit_expr(e, a[0]);
	mur_buf_printf(e->b, ", 1 WHERE mur_ts_series(");
	for (int i = 0; i < 3; i++) {
		sql_emit_expr(e, a[i]);
		mur_buf_printf(e->b, i < 2 ? ", " : ")");
	}
	mur_buf_printf(e->b, " UNION ALL SELECT ");
	sql_emit_expr(e, a[3]);
	mur_buf_printf(e->b, ", o + 1 FROM mur_s WHERE mur_ts_series(");
	sql_emit_expr(e, a[3]);
	mur_buf_printf(e->b, ", ");
	sql_emit_expr(e, a[1]);
	mur_buf_printf(e->b, ", ");
	sql_emit_expr(e, a[2]);
	mur_buf_printf(e->b, ")");
	emit_out(e, r, 1, 0);
}

/* unnest(a0, a1, ...): mur_p holds the arrays (mur_a0 ...) and n, the
 * largest cardinality (0 for NULL arrays). */
static void emit_unnest(sql_emit *e, const sql_rte *r)
{
	const sql_expr *call = r->series;
	int n = call->nargs / 2;
	mur_buf_printf(e->b, "(WITH RECURSIVE mur_q AS (SELECT ");
	for (int i = 0; i < n; i++) {
		mur_buf_printf(e->b, i ? ", " : "");
		sql_emit_expr(e, call->args[2 * i]);
		mur_buf_printf(e->b, " AS mur_a%d", i);
	}
	mur_buf_printf(e->b, "), mur_p AS (SELECT *, max(0");
	for (int i = 0; i < n; i++)
		mur_buf_printf(e->b, ", coalesce(mur_array_bound(mur_a%d, 1, 3), 0)", i);
	mur_buf_printf(e->b,
		       ") AS n FROM mur_q), mur_s(o) AS (SELECT 1 FROM mur_p WHERE n > 0 UNION ALL "
		       "SELECT o + 1 FROM mur_s, mur_p WHERE o < n");
	emit_out(e, r, n, 1);
}

int sql_emit_reads_column(const sql_expr *x)
{
	if (x->kind == SE_COLUMN)
		return 1;
	for (int i = 0; i < x->nargs; i++)
		if (sql_emit_reads_column(x->args[i]))
			return 1;
	return 0;
}

/* unnest(t.a) of one array over an earlier FROM entry's column: json_each
 * itself in FROM, which SQLite joins row by row. */
static int lateral_unnest(const sql_rte *r)
{
	return !strcmp(r->series->op, "unnest") && r->series->nargs == 2 &&
	       sql_emit_reads_column(r->series->args[0]);
}

/* generate_series or generate_subscripts reading such a column: json_each
 * over mur_series_json(a, b, s) (storage/sqlfn_math.c), or the rows the
 * call holds last (subscripts, timestamps: mur_ts_series_json). */
static int lateral_series(const sql_rte *r)
{
	return (!strcmp(r->series->op, "generate_series") ||
		!strcmp(r->series->op, "generate_series_ts") ||
		!strcmp(r->series->op, "generate_subscripts")) &&
	       sql_emit_reads_column(r->series);
}

/* unnest(a, b, ...) of several arrays, one reading such a column: json_each
 * over the positions 0 .. the longest's cardinality - 1, each array's
 * element json_extract'ed at the position (sql_emit_srf_col). */
static int lateral_unnest_many(const sql_rte *r)
{
	return !strcmp(r->series->op, "unnest") && r->series->nargs > 2 &&
	       sql_emit_reads_column(r->series);
}

static void emit_unnest_positions(sql_emit *e, const sql_rte *r)
{
	mur_buf_printf(e->b, "json_each(mur_series_json(0, max(");
	for (int i = 0; i < r->series->nargs; i += 2) {
		mur_buf_printf(e->b, "%scoalesce(mur_array_bound(", i ? ", " : "");
		sql_emit_expr(e, r->series->args[i]);
		mur_buf_printf(e->b, ", 1, 3), 0)");
	}
	mur_buf_printf(e->b, ") - 1, 1))");
}

int sql_emit_srf(sql_emit *e, const sql_rte *r)
{
	const char *op = r->series->op;
	if (lateral_unnest_many(r)) {
		emit_unnest_positions(e, r);
	} else if (lateral_unnest(r)) {
		mur_buf_printf(e->b, "json_each(mur_array_json(");
		sql_emit_expr(e, r->series->args[0]);
		mur_buf_printf(e->b, "))");
	} else if (lateral_series(r) && r->series->nargs >= 4) { /* the call holds its rows */
		mur_buf_printf(e->b, "json_each(");
		sql_emit_expr(e, r->series->args[r->series->nargs - 1]);
		mur_buf_printf(e->b, ")");
	} else if (lateral_series(r)) {
		mur_buf_printf(e->b, "json_each(mur_series_json(");
		for (int i = 0; i < 3; i++) {
			if (i)
				mur_buf_printf(e->b, ", ");
			sql_emit_expr(e, r->series->args[i]);
		}
		mur_buf_printf(e->b, "))");
	} else if (!strcmp(op, "generate_series"))
		emit_int_series(e, r);
	else if (!strcmp(op, "generate_series_ts"))
		emit_ts_series(e, r);
	else if (!strcmp(op, "generate_subscripts"))
		emit_subscripts(e, r);
	else if (!strcmp(op, "unnest"))
		emit_unnest(e, r);
	else
		return 0;
	return 1;
}

int sql_emit_srf_col(sql_emit *e, const sql_rte *r, int col)
{
	int lateral = lateral_unnest(r);
	if (lateral_unnest_many(r)) { /* the element at the position, or it + 1 */
		int n = r->series->nargs / 2;
		if (col == n) {
			mur_buf_printf(e->b, "(");
			sql_emit_ident(e->b, r->alias);
			mur_buf_printf(e->b, ".value + 1)");
			return 1;
		}
		mur_buf_printf(e->b, "mur_array_elem(json_extract(mur_array_json(");
		sql_emit_expr(e, r->series->args[2 * col]);
		mur_buf_printf(e->b, "), '$[' || ");
		sql_emit_ident(e->b, r->alias);
		mur_buf_printf(e->b, ".value || ']'), ");
		sql_emit_expr(e, r->series->args[2 * col + 1]);
		mur_buf_printf(e->b, ")");
		return 1;
	}
	if (lateral_series(r)) { /* json_each's value, its key + 1 the ordinality */
		mur_buf_printf(e->b, col ? "(" : "");
		sql_emit_ident(e->b, r->alias);
		mur_buf_printf(e->b, col ? ".key + 1)" : ".value");
		return 1;
	}
	if (strcmp(r->series->op, "unnest") || (!lateral && col >= r->series->nargs / 2))
		return 0;
	if (lateral) { /* json_each's value, its key + 1 the ordinality */
		mur_buf_printf(e->b, col ? "(" : "mur_array_elem(");
		sql_emit_ident(e->b, r->alias);
		mur_buf_printf(e->b, col ? ".key + 1)" : ".value, ");
		if (!col) {
			sql_emit_expr(e, r->series->args[1]);
			mur_buf_printf(e->b, ")");
		}
		return 1;
	}
	if (!e->bare_columns) {
		sql_emit_ident(e->b, r->alias);
		mur_buf_put_u8(e->b, '.');
	}
	mur_buf_printf(e->b, "mur_c%d", col);
	return 1;
}
