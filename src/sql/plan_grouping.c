/*
 * plan_grouping.c — GROUP BY GROUPING SETS / ROLLUP / CUBE.
 *
 * SQLite has no grouping sets, so murphy writes their definition: one
 * SELECT ... GROUP BY <the set> per grouping set, the group expressions
 * outside the set NULL in it, GROUPING(...) that set's constant, glued by
 * UNION ALL, then DISTINCT / ORDER BY / LIMIT over the whole:
 *
 *   WITH w(x0, ...) AS (SELECT ... FROM r GROUP BY c0, c1 [HAVING ...]
 *                       UNION ALL SELECT ... FROM r GROUP BY c0 ...
 *                       UNION ALL SELECT ... FROM r)
 *   SELECT x0, ... FROM w ORDER BY ... LIMIT ...
 *
 * It runs on the leader over the columns the query reads, gathered from
 * every shard read (after WHERE, sql_gather): a set that leaves out the
 * distribution column spans shards, and each branch is an ordinary SQLite
 * GROUP BY, so every aggregate (count(DISTINCT) too) is SQLite's over the
 * rows, as a router plan runs it.  The shards' partial aggregates are not
 * used here: the rows travel (docs/decisions.md).
 */
#include "sql/sqlInt.h"

#include <stdio.h>
#include <string.h>

/* e as the branch of grouping set `set` computes it over r: a group
 * expression outside the set is NULL, GROUPING(...) a constant, an
 * aggregate SQLite's over the gathered columns. */
static sql_expr *in_set(sql_ctx *c, const sql_query *q, const sql_gather *g, sql_expr *e,
			uint64_t set)
{
	int i = sql_group_index(q, e);
	sql_expr *n;
	if (i >= 0 && !(set & ((uint64_t)1 << i))) {
		if ((n = sql_expr_new(c, SE_CONST, e->type, e->loc)))
			n->val = mur_v_null();
		return n;
	}
	if (i >= 0 || e->kind == SE_AGG)
		return sql_gather_slots(c, g, e);
	if (e->kind == SE_CALL && !strcmp(e->op, SQL_GROUPING_FN))
		return sql_make_const_int(c, sql_grouping_value(q, e, set), MT_INT4);
	if (!e->nargs)
		return sql_gather_slots(c, g, e);
	if (!(n = sql_alloc(c, sizeof *n)))
		return NULL;
	*n = *e;
	if (!(n->args = sql_alloc(c, sizeof(sql_expr *) * (size_t)e->nargs)))
		return NULL;
	for (int k = 0; k < e->nargs; k++)
		if (!(n->args[k] = in_set(c, q, g, e->args[k], set)))
			return NULL;
	return n;
}

/* The columns a branch writes: the select list, then the sort keys that
 * are not in it (hidden[i]: the column of sort i). */
static int emit_branch(sql_ctx *c, const sql_query *q, const sql_gather *g, uint64_t set,
		       mur_buf *b)
{
	sql_emit e = {b, NULL, 0};
	sql_expr *x;
	int n = 0;
	mur_buf_printf(b, "SELECT ");
	for (int i = 0; i < q->ntarget; i++, n++) {
		if (!(x = in_set(c, q, g, q->targets[i].e, set)))
			return MUR_ERR;
		mur_buf_printf(b, n ? ", " : "");
		sql_emit_expr(&e, x);
	}
	for (int i = 0; i < q->nsort; i++) {
		if (q->sorts[i].target >= 0)
			continue;
		if (!(x = in_set(c, q, g, q->sorts[i].e, set)))
			return MUR_ERR;
		mur_buf_printf(b, n++ ? ", " : "");
		sql_emit_expr(&e, x);
	}
	mur_buf_printf(b, " FROM r");
	for (int i = 0, first = 1; i < q->ngroup; i++) {
		if (!(set & ((uint64_t)1 << i)))
			continue;
		if (!(x = sql_gather_slots(c, g, q->group[i])))
			return MUR_ERR;
		mur_buf_printf(b, first ? " GROUP BY " : ", ");
		sql_emit_expr(&e, x);
		first = 0;
	}
	if (q->having) {
		if (!(x = in_set(c, q, g, q->having, set)))
			return MUR_ERR;
		mur_buf_printf(b, " HAVING ");
		sql_emit_expr(&e, x);
	}
	return MUR_OK;
}

static const char *final_sql(sql_ctx *c, const sql_query *q, const sql_gather *g)
{
	mur_buf b;
	sql_emit e = {&b, NULL, 0};
	int ncol = q->ntarget, hidden = q->ntarget;
	for (int i = 0; i < q->nsort; i++)
		ncol += q->sorts[i].target < 0;
	mur_buf_init(&b);
	mur_buf_printf(&b, "WITH w(");
	for (int i = 0; i < ncol; i++)
		mur_buf_printf(&b, "%sx%d", i ? ", " : "", i);
	mur_buf_printf(&b, ") AS (");
	for (int s = 0; s < q->ngsets; s++) {
		mur_buf_printf(&b, s ? " UNION ALL " : "");
		if (emit_branch(c, q, g, q->gsets[s], &b) != MUR_OK)
			return mur_buf_free(&b), NULL;
	}
	mur_buf_printf(&b, ") SELECT %s", q->distinct ? "DISTINCT " : "");
	for (int i = 0; i < q->ntarget; i++)
		mur_buf_printf(&b, "%sx%d", i ? ", " : "", i);
	mur_buf_printf(&b, " FROM w");
	for (int i = 0; i < q->nsort; i++) {
		int col = q->sorts[i].target >= 0 ? q->sorts[i].target : hidden++;
		mur_buf_printf(&b, "%sx%d%s%s", i ? ", " : " ORDER BY ", col,
			       q->sorts[i].desc ? " DESC" : " ASC",
			       q->sorts[i].nulls_first ? " NULLS FIRST" : " NULLS LAST");
	}
	sql_emit_limit(&e, q, 0);
	return sql_buf_finish(c, &b);
}

static int refuse(sql_ctx *c, const char *what)
{
	return sql_err(c, SQLSTATE_FEATURE_NOT_SUPPORTED, -1,
		       "murphy does not support %s with GROUPING SETS, ROLLUP or CUBE yet", what);
}

int sql_plan_grouping_sets(sql_ctx *c, const sql_query *q, plan_select *ps)
{
	sql_gather *g = sql_alloc(c, sizeof *g);
	if (!g)
		return MUR_ERR;
	if (q->nwindow)
		return refuse(c, "window functions or DISTINCT ON");
	for (int i = 0; i < q->ntarget; i++)
		if (sql_gather_add(c, g, q->targets[i].e) != MUR_OK)
			return MUR_ERR;
	for (int i = 0; i < q->nsort; i++)
		if (sql_gather_add(c, g, q->sorts[i].e) != MUR_OK)
			return MUR_ERR;
	for (int i = 0; i < q->ngroup; i++)
		if (sql_gather_add(c, g, q->group[i]) != MUR_OK)
			return MUR_ERR;
	if (sql_gather_add(c, g, q->having) != MUR_OK)
		return MUR_ERR;
	ps->router = 0; /* even on one shard: SQLite has no grouping sets */
	if (!ps->strategy)
		ps->strategy = "scatter-gather";
	ps->merge_desc = "concatenate shard rows; each grouping set's GROUP BY on the leader";
	if (!(ps->shard_sql = sql_gather_shard_sql(c, q, g)))
		return MUR_ERR;
	return (ps->final_sql = final_sql(c, q, g)) ? MUR_OK : MUR_ERR;
}
