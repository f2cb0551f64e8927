/*
 * plan_grouping.c — GROUP BY GROUPING SETS / ROLLUP / CUBE.
 *
 * SQLite has no grouping sets, so murphy writes their definition: one
 * SELECT ... GROUP BY <the set> per grouping set, the group expressions
 * outside the set NULL in it, GROUPING(...) that set's constant, glued by
 * UNION ALL, then DISTINCT / ORDER BY / LIMIT over the whole, on the
 * leader:
 *
 *   WITH w(x0, ...) AS (SELECT ... FROM r GROUP BY c0, c1 [HAVING ...]
 *                       UNION ALL SELECT ... FROM r GROUP BY c0 ...
 *                       UNION ALL SELECT ... FROM r)
 *   SELECT x0, ... FROM w ORDER BY ... LIMIT ...
 *
 * What r holds, two ways:
 *   partials  every aggregate splits (count, sum, min, max, avg, bool_and,
 *             bool_or, the variances): each shard groups its rows by every
 *             group expression of every set (the finest grouping) and
 *             sends one row per group with the aggregates' partials (avg:
 *             sum and count; a variance: sum, sum of squares, count); each
 *             branch re-aggregates them (count: the sum of the counts,
 *             min of the mins, mur_avg of the summed sums and counts...).
 *             A set that leaves out the distribution column spans shards,
 *             so no shard can finish one: only groups travel.
 *   rows      count(DISTINCT x), approx_count_distinct or a collecting
 *             aggregate (string_agg, percentile_cont/disc, mode) does not split:
 *             the shards send the columns the query reads (after WHERE,
 *             sql_gather) and each branch is SQLite's GROUP BY over them,
 *             as a router plan runs it.
 *
 * A query without grouping sets but with a collecting aggregate takes the
 * rows way too, as one set holding every GROUP BY expression
 * (sql_has_collecting_agg; plan_select.c).
 */
#include "sql/sqlInt.h"

#include <stdio.h>
#include <string.h>

/* The partials strategy: the query's aggregates (each once) and where
 * their partials start in r (after the ngroup group columns). */
typedef struct gs_partials {
	int nagg;
	const sql_expr *aggs[EXEC_AGGS_MAX];
	int first[EXEC_AGGS_MAX];
	int ncol;
} gs_partials;

/* How a branch reads r: g (rows) or pa (partials, NULL for rows). */
typedef struct gs_src {
	const sql_gather *g;
	const gs_partials *pa;
} gs_src;

static sql_expr *slot_of(sql_ctx *c, int i, mur_type t)
{
	sql_expr *e = sql_expr_new(c, SE_SLOT, t, -1);
	if (e)
		e->slot = i;
	return e;
}

/* sum(slot i) over the branch's groups; count's: 0 when there are none. */
static sql_expr *sum_of(sql_ctx *c, int i, mur_type t, int count)
{
	sql_expr *x = sql_make_call(c,
				    t == MT_NUMERIC    ? "mur_num_sum"
				    : t == MT_INTERVAL ? "mur_iv_sum"
						       : "sum",
				    t, -1, 1, slot_of(c, i, t)); /* numeric, interval: exact */
	return count && x ? sql_make_call(c, "coalesce", t, -1, 2, x, sql_make_const_int(c, 0, t))
			  : x;
}

/* Aggregate a over the branch's partial groups. */
static sql_expr *reaggregate(sql_ctx *c, const sql_query *q, const gs_partials *pa,
			     const sql_expr *a)
{
	int k = 0, s;
	while (k < pa->nagg && !sql_expr_equal(pa->aggs[k], a))
		k++;
	s = q->ngroup + pa->first[k];
	switch (a->agg) {
	case SQL_AGG_COUNT_STAR:
	case SQL_AGG_COUNT:
		return sum_of(c, s, a->type, 1);
	case SQL_AGG_SUM:
		return sum_of(c, s, a->type, 0);
	case SQL_AGG_MIN:
	case SQL_AGG_BOOL_AND:
		return sql_make_call(c, a->type == MT_NUMERIC ? "mur_num_min" : "min", a->type,
				     a->loc, 1, slot_of(c, s, a->type));
	case SQL_AGG_MAX:
	case SQL_AGG_BOOL_OR:
		return sql_make_call(c, a->type == MT_NUMERIC ? "mur_num_max" : "max", a->type,
				     a->loc, 1, slot_of(c, s, a->type));
	case SQL_AGG_AVG:
		if (a->type == MT_INTERVAL) /* interval_avg: the sum / the count */
			return sql_make_call(c, "mur_iv_mul", a->type, a->loc, 3,
					     sum_of(c, s, MT_INTERVAL, 0),
					     sum_of(c, s + 1, MT_INT8, 0),
					     sql_make_const_int(c, 1, MT_INT4));
		return sql_make_call(c, "mur_avg", a->type, a->loc, 2,
				     sum_of(c, s, a->type == MT_NUMERIC ? MT_NUMERIC : MT_FLOAT8,
					    0),
				     sum_of(c, s + 1, MT_INT8, 0));
	default: /* the variances; numeric: exact */
		if (a->type == MT_NUMERIC)
			return sql_make_call(c, "mur_num_variance", a->type, a->loc, 4,
					     sum_of(c, s, MT_NUMERIC, 0),
					     sum_of(c, s + 1, MT_NUMERIC, 0),
					     sum_of(c, s + 2, MT_INT8, 0),
					     sql_make_const_int(c, a->agg - SQL_AGG_VAR_SAMP,
								MT_INT4));
		return sql_make_call(c, "mur_variance", a->type, a->loc, 4,
				     sum_of(c, s, MT_FLOAT8, 0), sum_of(c, s + 1, MT_FLOAT8, 0),
				     sum_of(c, s + 2, MT_INT8, 0),
				     sql_make_const_int(c, a->agg - SQL_AGG_VAR_SAMP, MT_INT4));
	}
}

/* e as the branch of grouping set `set` computes it over r: a group
 * expression outside the set is NULL, GROUPING(...) a constant, an
 * aggregate SQLite's over the gathered columns or over its partials. */
static sql_expr *in_set(sql_ctx *c, const sql_query *q, const gs_src *src, sql_expr *e,
			uint64_t set)
{
	int i = sql_group_index(q, e);
	sql_expr *n;
	if (i >= 0 && !(set & ((uint64_t)1 << i))) {
		if ((n = sql_expr_new(c, SE_CONST, e->type, e->loc)))
			n->val = mur_v_null();
		return n;
	}
	if (src->pa && i >= 0)
		return slot_of(c, i, e->type);
	if (src->pa && e->kind == SE_AGG)
		return reaggregate(c, q, src->pa, e);
	if (i >= 0 || e->kind == SE_AGG)
		return sql_gather_slots(c, src->g, e);
	if (e->kind == SE_CALL && !strcmp(e->op, SQL_GROUPING_FN))
		return sql_make_const_int(c, sql_grouping_value(q, e, set), MT_INT4);
	if (!e->nargs)
		return src->pa ? e : sql_gather_slots(c, src->g, e);
	if (!(n = sql_alloc(c, sizeof *n)))
		return NULL;
	*n = *e;
	if (!(n->args = sql_alloc(c, sizeof(sql_expr *) * (size_t)e->nargs)))
		return NULL;
	for (int k = 0; k < e->nargs; k++)
		if (!(n->args[k] = in_set(c, q, src, e->args[k], set)))
			return NULL;
	return n;
}

/* The columns a branch writes: the select list, then the sort keys that
 * are not in it (hidden[i]: the column of sort i). */
static int emit_branch(sql_ctx *c, const sql_query *q, const gs_src *src, uint64_t set, mur_buf *b)
{
	sql_emit e = {b, NULL, 0};
	sql_expr *x;
	int n = 0;
	mur_buf_printf(b, "SELECT ");
	for (int i = 0; i < q->ntarget; i++, n++) {
		if (!(x = in_set(c, q, src, q->targets[i].e, set)))
			return MUR_ERR;
		mur_buf_printf(b, n ? ", " : "");
		sql_emit_expr(&e, x);
	}
	for (int i = 0; i < q->nsort; i++) {
		if (q->sorts[i].target >= 0)
			continue;
		if (!(x = in_set(c, q, src, q->sorts[i].e, set)))
			return MUR_ERR;
		mur_buf_printf(b, n++ ? ", " : "");
		sql_emit_expr(&e, x);
	}
	mur_buf_printf(b, " FROM r");
	for (int i = 0, first = 1; i < q->ngroup; i++) {
		if (!(set & ((uint64_t)1 << i)))
			continue;
		x = src->pa ? slot_of(c, i, q->group[i]->type)
			    : sql_gather_slots(c, src->g, q->group[i]);
		if (!x)
			return MUR_ERR;
		mur_buf_printf(b, first ? " GROUP BY " : ", ");
		sql_emit_expr(&e, x);
		first = 0;
	}
	if (q->having) {
		if (!(x = in_set(c, q, src, q->having, set)))
			return MUR_ERR;
		mur_buf_printf(b, " HAVING ");
		sql_emit_expr(&e, x);
	}
	return MUR_OK;
}

static const char *final_sql(sql_ctx *c, const sql_query *q, const gs_src *src)
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
	for (int s = 0; s < (q->ngsets ? q->ngsets : 1); s++) { /* none: one set, all of GROUP BY */
		mur_buf_printf(&b, s ? " UNION ALL " : "");
		if (emit_branch(c, q, src, q->ngsets ? q->gsets[s] : ~(uint64_t)0, &b) != MUR_OK)
			return mur_buf_free(&b), NULL;
	}
	mur_buf_printf(&b, ") SELECT %s", q->distinct ? "DISTINCT " : "");
	for (int i = 0; i < q->ntarget; i++)
		mur_buf_printf(&b, "%sx%d", i ? ", " : "", i);
	mur_buf_printf(&b, " FROM w");
	for (int i = 0; i < q->nsort; i++) {
		int col = q->sorts[i].target >= 0 ? q->sorts[i].target : hidden++;
		sql_emit_sort_col(&b, i == 0, 'x', col, q->sorts[i].e->type, q->sorts[i].desc,
				  q->sorts[i].nulls_first);
	}
	sql_emit_limit(&e, q, 0);
	return sql_buf_finish(c, &b);
}

static int refuse(sql_ctx *c, const char *what)
{
	return sql_err(c, SQLSTATE_FEATURE_NOT_SUPPORTED, -1,
		       "murphy does not support %s with GROUPING SETS, ROLLUP or CUBE yet", what);
}

/* Every aggregate of e into pa once; 0 when one does not split. */
static int collect(gs_partials *pa, const sql_expr *e)
{
	if (!e)
		return 1;
	if (e->kind == SE_AGG) {
		int parts = e->agg == SQL_AGG_AVG ? 2 : SQL_AGG_IS_VARIANCE(e->agg) ? 3 : 1;
		if (e->distinct || e->agg == SQL_AGG_APPROX_COUNT_DISTINCT ||
		    SQL_AGG_IS_COLLECTING(e->agg) || SQL_AGG_IS_BIT(e->agg))
			return 0;
		for (int i = 0; i < pa->nagg; i++)
			if (sql_expr_equal(pa->aggs[i], e))
				return 1;
		if (pa->nagg >= EXEC_AGGS_MAX || pa->ncol + parts > EXEC_AGGS_MAX)
			return 0; /* the rows way has no such bound */
		pa->first[pa->nagg] = pa->ncol;
		pa->aggs[pa->nagg++] = e;
		pa->ncol += parts;
		return 1;
	}
	for (int i = 0; i < e->nargs; i++)
		if (!collect(pa, e->args[i]))
			return 0;
	return 1;
}

static sql_expr *agg_node(sql_ctx *c, int fn, mur_type t, sql_expr *arg)
{
	sql_expr *e = sql_expr_new(c, SE_AGG, t, arg->loc);
	if (!e || !(e->args = sql_alloc(c, sizeof(sql_expr *))))
		return NULL;
	e->agg = fn;
	e->nargs = 1;
	e->args[0] = arg;
	return e;
}

/* A's partials as SQLite aggregates over the shard's rows (parts[]). */
static int partials(sql_ctx *c, const sql_expr *a, sql_expr **parts)
{
	sql_expr *x = a->nargs ? a->args[0] : NULL, *f;
	if (a->agg == SQL_AGG_AVG) {
		parts[0] = agg_node(c, SQL_AGG_SUM,
				    x->type == MT_INTERVAL ? MT_INTERVAL : MT_FLOAT8, x);
		parts[1] = agg_node(c, SQL_AGG_COUNT, MT_INT8, x);
		return parts[0] && parts[1] ? 2 : -1;
	}
	if (!SQL_AGG_IS_VARIANCE(a->agg)) {
		parts[0] = (sql_expr *)a;
		return 1;
	}
	if (a->type == MT_NUMERIC) { /* exact: numeric sums of x and x * x */
		if (!(f = sql_make_cast(c, x, MT_NUMERIC, x->loc)))
			return -1;
		parts[0] = agg_node(c, SQL_AGG_SUM, MT_NUMERIC, f);
		parts[1] = agg_node(c, SQL_AGG_SUM, MT_NUMERIC,
				    sql_make_call(c, "mur_num_mul", MT_NUMERIC, x->loc, 2, f, f));
		parts[2] = agg_node(c, SQL_AGG_COUNT, MT_INT8, x);
		return parts[0] && parts[1] && parts[2] ? 3 : -1;
	}
	if (!(f = sql_make_cast(c, x, MT_FLOAT8, x->loc)))
		return -1;
	parts[0] = agg_node(c, SQL_AGG_SUM, MT_FLOAT8, f);
	parts[1] = agg_node(c, SQL_AGG_SUM, MT_FLOAT8,
			    sql_make_op(c, "*", MT_FLOAT8, x->loc, f, f));
	parts[2] = agg_node(c, SQL_AGG_COUNT, MT_INT8, x);
	return parts[0] && parts[1] && parts[2] ? 3 : -1;
}

/* SELECT <group expressions>, <partials> FROM ... WHERE ... GROUP BY
 * <group expressions>: one row per finest group of the shard. */
static const char *partials_shard_sql(sql_ctx *c, const sql_query *q, const gs_partials *pa)
{
	mur_buf b;
	sql_emit e = {&b, q, 0};
	sql_expr *parts[3];
	int n = 0;
	mur_buf_init(&b);
	mur_buf_printf(&b, "SELECT ");
	for (int i = 0; i < q->ngroup; i++, n++) {
		mur_buf_printf(&b, n ? ", " : "");
		sql_emit_expr(&e, q->group[i]);
	}
	for (int i = 0; i < pa->nagg; i++) {
		int np = partials(c, pa->aggs[i], parts);
		if (np < 0)
			return mur_buf_free(&b), NULL;
		for (int j = 0; j < np; j++, n++) {
			mur_buf_printf(&b, n ? ", " : "");
			sql_emit_expr(&e, parts[j]);
		}
	}
	if (n == 0)
		mur_buf_printf(&b, "NULL");
	sql_emit_from(&e, q);
	if (q->where) {
		mur_buf_printf(&b, " WHERE ");
		sql_emit_expr(&e, q->where);
	}
	for (int i = 0; i < q->ngroup; i++) {
		mur_buf_printf(&b, i ? ", " : " GROUP BY ");
		sql_emit_expr(&e, q->group[i]);
	}
	return sql_buf_finish(c, &b);
}

/* The rows way: the columns every part of the query reads. */
static int gather_all(sql_ctx *c, const sql_query *q, sql_gather *g)
{
	for (int i = 0; i < q->ntarget; i++)
		if (sql_gather_add(c, g, q->targets[i].e) != MUR_OK)
			return MUR_ERR;
	for (int i = 0; i < q->nsort; i++)
		if (sql_gather_add(c, g, q->sorts[i].e) != MUR_OK)
			return MUR_ERR;
	for (int i = 0; i < q->ngroup; i++)
		if (sql_gather_add(c, g, q->group[i]) != MUR_OK)
			return MUR_ERR;
	return sql_gather_add(c, g, q->having);
}

static int has_collecting(const sql_expr *e)
{
	if (!e)
		return 0;
	if (e->kind == SE_AGG && SQL_AGG_IS_COLLECTING(e->agg))
		return 1;
	for (int i = 0; i < e->nargs; i++)
		if (has_collecting(e->args[i]))
			return 1;
	return 0;
}

int sql_has_collecting_agg(const sql_query *q)
{
	for (int i = 0; i < q->ntarget; i++)
		if (has_collecting(q->targets[i].e))
			return 1;
	for (int i = 0; i < q->nsort; i++)
		if (has_collecting(q->sorts[i].e))
			return 1;
	return has_collecting(q->having);
}

int sql_plan_grouping_sets(sql_ctx *c, const sql_query *q, plan_select *ps)
{
	gs_partials *pa = sql_alloc(c, sizeof *pa);
	sql_gather *g = sql_alloc(c, sizeof *g);
	gs_src src = {g, pa};
	int split = 1;
	if (!pa || !g)
		return MUR_ERR;
	if (q->nwindow && q->ngsets)
		return refuse(c, "window functions or DISTINCT ON");
	if (q->nwindow)
		return sql_err(c, SQLSTATE_FEATURE_NOT_SUPPORTED, -1,
			       "murphy does not support window functions or DISTINCT ON with "
			       "string_agg, percentile_cont, percentile_disc or mode yet");
	for (int i = 0; i < q->ntarget; i++)
		split &= collect(pa, q->targets[i].e);
	for (int i = 0; i < q->nsort; i++)
		split &= collect(pa, q->sorts[i].e);
	split &= collect(pa, q->having);
	ps->router = 0; /* even on one shard: SQLite has no grouping sets */
	if (!ps->strategy)
		ps->strategy = "scatter-gather";
	if (split) {
		ps->merge_desc = "concatenate the shards' groups; each grouping set's GROUP BY "
				 "re-aggregates them on the leader";
		ps->shard_sql = partials_shard_sql(c, q, pa);
	} else {
		src.pa = NULL;
		ps->merge_desc =
			"concatenate shard rows; each grouping set's GROUP BY on the leader";
		ps->shard_sql = gather_all(c, q, g) == MUR_OK ? sql_gather_shard_sql(c, q, g)
							      : NULL;
	}
	if (!ps->shard_sql)
		return MUR_ERR;
	return (ps->final_sql = final_sql(c, q, &src)) ? MUR_OK : MUR_ERR;
}
