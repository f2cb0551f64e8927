/*
 * analyze_values.c — VALUES (...), (...) outside INSERT: a statement of its
 * own, a set operation's branch, a subquery in FROM ((VALUES ...) AS v(a, b)),
 * a WITH query or WITH RECURSIVE's non-recursive term.
 *
 * The lists become one leader table (CAT_TABLE_VIRTUAL "*VALUES*", columns
 * column1, column2, ... as PostgreSQL names them) whose rte carries the
 * expressions (sql_rte.values, row by row); the query selects its columns,
 * so ORDER BY, LIMIT and OFFSET apply as to any query.  Each column takes
 * the type PostgreSQL's select_common_type gives it (an unknown literal
 * alone: text; 42804 when the rows do not match); sql/emit.c writes the
 * rte as SQLite's own (VALUES ...), whose columns SQLite also names
 * column1, column2, ...  It runs on the leader (the query is virtual).
 */
#include "parser/analyze_subq_int.h"

#include <stdio.h>

/* The expressions of row r (n of them: 42601 for another length). */
static int analyze_row(sql_ctx *c, PgQuery__List *l, int n, sql_expr **out)
{
	if ((int)l->n_items != n)
		return sql_err(c, SQLSTATE_SYNTAX_ERROR, -1,
			       "VALUES lists must all be the same length");
	for (int i = 0; i < n; i++)
		if (!(out[i] = sql_analyze_expr(c, l->items[i])))
			return MUR_ERR;
	return MUR_OK;
}

int sql_analyze_values(sql_ctx *c, sql_query *q, PgQuery__SelectStmt *s)
{
	int nrows = (int)s->n_values_lists, n = (int)s->values_lists[0]->list->n_items;
	cat_table *t = sql_alloc(c, sizeof *t);
	sql_expr **v = sql_alloc(c, sizeof *v * (size_t)nrows * (size_t)n),
		 **col = sql_alloc(c, sizeof *col * (size_t)nrows);
	sql_rte *r;
	if (!t || !v || !col || !(q->targets = sql_alloc(c, sizeof(sql_target) * SQL_TARGETS_MAX)))
		return MUR_ERR;
	if (n > CAT_COLUMNS_MAX || n > SQL_TARGETS_MAX)
		return sql_err(c, SQLSTATE_PROGRAM_LIMIT_EXCEEDED, -1,
			       "murphy supports at most %d columns in VALUES", CAT_COLUMNS_MAX);
	c->agg_ok = 0;
	c->agg_where = "VALUES";
	for (int k = 0; k < nrows; k++)
		if (analyze_row(c, s->values_lists[k]->list, n, v + (size_t)k * (size_t)n) !=
		    MUR_OK)
			return MUR_ERR;
	t->kind = CAT_TABLE_VIRTUAL;
	t->dist_col = -1;
	snprintf(t->name, sizeof t->name, "*VALUES*");
	t->ncols = n;
	for (int i = 0; i < n; i++) {
		for (int k = 0; k < nrows; k++)
			col[k] = v[(size_t)k * (size_t)n + (size_t)i];
		if (sql_unify_branches(c, col, nrows, "VALUES", -1) != MUR_OK)
			return MUR_ERR;
		for (int k = 0; k < nrows; k++)
			v[(size_t)k * (size_t)n + (size_t)i] = col[k];
		snprintf(t->cols[i].name, sizeof t->cols[i].name, "column%d", i + 1);
		t->cols[i].type = col[0]->type;
		t->cols[i].typmod = -1;
	}
	if (sql_add_rte(c, q, t, "*VALUES*", -1) != MUR_OK)
		return MUR_ERR;
	r = &q->rtes[q->nrte - 1];
	r->values = v;
	r->nvalues = nrows;
	for (int i = 0; i < n; i++) {
		sql_expr *e = sql_expr_new(c, SE_COLUMN, t->cols[i].type, -1);
		if (!e)
			return MUR_ERR;
		e->rte = q->nrte - 1;
		e->col = i;
		q->targets[i] = (sql_target){.e = e, .loc = -1};
		snprintf(q->targets[i].name, sizeof q->targets[i].name, "%s", t->cols[i].name);
	}
	q->ntarget = n;
	q->is_virtual = 1;
	return MUR_OK;
}
