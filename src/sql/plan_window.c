/*
 * plan_window.c — where window functions and DISTINCT ON run.
 *
 * A window function needs every row of its partition in one place.
 *
 *   pushed down  every window of the query has the driver's distribution
 *                column among its PARTITION BY expressions: a partition
 *                then lives in one shard (a value lives in one shard), so
 *                each shard computes its windows in its own SQLite and the
 *                ordinary scatter-gather (plan_select.c plan_scatter: the
 *                leader concatenates, sorts, limits) is right as it is.
 *   leader       otherwise the shards send the columns the query reads
 *                (after WHERE) and the leader's SQLite computes the windows
 *                over all of them in final_sql (sql_plan_window_leader).
 *                With aggregates the windows always run there, over the
 *                merged groups (plan_select.c emit_final), as PostgreSQL
 *                computes windows after GROUP BY and HAVING.
 *   router       a query pinned to one shard runs whole there.
 *
 *   repartition  one table, no aggregates, a column every window partitions
 *                by, and murphy.shuffle_strategy 'repartition' (or 'auto'
 *                and at least SQL_WINDOW_SHUFFLE_ROWS rows): the rows go
 *                follower to follower by hash of that column (the join
 *                shuffle's machinery, plan_join.c, with one table), each
 *                owner computes whole partitions as a shard would, and the
 *                leader concatenates (sql_plan_window_shuffle).
 *
 * DISTINCT ON (d) ... ORDER BY s is row_number() OVER (PARTITION BY d
 * ORDER BY s) = 1: sql_distinct_on_split adds that window (and the sort
 * keys) as hidden select-list entries and takes ORDER BY and LIMIT off the
 * query; the query is planned as any window query; sql_distinct_on_wrap
 * then wraps the plan's last SQL (final, router or leader) in
 *   WITH w(x0, ...) AS (<it>) SELECT x0.. FROM w WHERE x<rn> = 1
 *   ORDER BY ... LIMIT ...
 * Pushed down (d holds the distribution column) each shard also keeps
 * only its rows with rn = 1 before sending.
 */
#include "sql/sqlInt.h"

#include <stdio.h>
#include <string.h>

/* ---- where ---- */

static int is_driver_dist(const sql_query *q, const sql_expr *e)
{
	return e->kind == SE_COLUMN && e->rte == q->driver &&
	       q->rtes[e->rte].table->dist_col == e->col &&
	       !cat_table_is_reference(q->rtes[e->rte].table) && !sql_rte_nullable(q, e->rte);
}

/* 1 when every window in e partitions by the driver's distribution column. */
static int windows_pushable(const sql_query *q, const sql_expr *e)
{
	if (!e)
		return 1;
	if (e->kind == SE_WINDOW) {
		int found = 0;
		for (int i = 0; i < e->win->npart; i++)
			found |= is_driver_dist(q, e->args[e->win->nfargs + i]);
		if (!found)
			return 0;
	}
	for (int i = 0; i < e->nargs; i++)
		if (!windows_pushable(q, e->args[i]))
			return 0;
	return 1;
}

int sql_window_pushable(const sql_query *q)
{
	if (q->nrte == 0 || cat_table_is_reference(q->rtes[q->driver].table))
		return 0;
	for (int i = 0; i < q->ntarget; i++)
		if (!windows_pushable(q, q->targets[i].e))
			return 0;
	for (int i = 0; i < q->nsort; i++)
		if (!windows_pushable(q, q->sorts[i].e))
			return 0;
	return 1;
}

void sql_window_note(const sql_query *q, plan_select *ps)
{
	if (!q->nwindow || ps->window_desc)
		return;
	if (ps->router)
		ps->window_desc = "on the one shard read, with the whole query";
	else if (q->has_agg)
		ps->window_desc = "on the leader, over the merged groups";
	else
		ps->window_desc = "on the followers: every PARTITION BY holds the distribution "
				  "column, so each partition lives in one shard";
}

/* ---- the leader's windows over gathered rows ---- */

int sql_gather_add(sql_ctx *c, sql_gather *wc, const sql_expr *e)
{
	if (!e)
		return MUR_OK;
	if (e->kind == SE_COLUMN) {
		for (int i = 0; i < wc->n; i++)
			if (sql_expr_equal(wc->cols[i], e))
				return MUR_OK;
		if (wc->n >= SQL_TARGETS_MAX)
			return sql_err(c, SQLSTATE_PROGRAM_LIMIT_EXCEEDED, e->loc,
				       "murphy reads at most %d columns for window functions",
				       SQL_TARGETS_MAX);
		wc->cols[wc->n++] = e;
		return MUR_OK;
	}
	for (int i = 0; i < e->nargs; i++)
		if (sql_gather_add(c, wc, e->args[i]) != MUR_OK)
			return MUR_ERR;
	return MUR_OK;
}

sql_expr *sql_gather_slots(sql_ctx *c, const sql_gather *wc, sql_expr *e)
{
	sql_expr *n;
	if (e->kind == SE_COLUMN) {
		for (int i = 0; i < wc->n; i++) {
			if (!sql_expr_equal(wc->cols[i], e))
				continue;
			if ((n = sql_expr_new(c, SE_SLOT, e->type, e->loc)))
				n->slot = i;
			return n;
		}
	}
	if (!e->nargs)
		return e;
	if (!(n = sql_alloc(c, sizeof *n)))
		return NULL;
	*n = *e;
	if (!(n->args = sql_alloc(c, sizeof(sql_expr *) * (size_t)e->nargs)))
		return NULL;
	for (int i = 0; i < e->nargs; i++)
		if (!(n->args[i] = sql_gather_slots(c, wc, e->args[i])))
			return NULL;
	return n;
}

const char *sql_gather_shard_sql(sql_ctx *c, const sql_query *q, const sql_gather *wc)
{
	mur_buf b;
	sql_emit e = {&b, q, 0};
	mur_buf_init(&b);
	mur_buf_printf(&b, "SELECT ");
	for (int i = 0; i < wc->n; i++) {
		mur_buf_printf(&b, i ? ", " : "");
		sql_emit_expr(&e, wc->cols[i]);
	}
	if (wc->n == 0)
		mur_buf_printf(&b, "NULL");
	sql_emit_from(&e, q);
	if (q->where) {
		mur_buf_printf(&b, " WHERE ");
		sql_emit_expr(&e, q->where);
	}
	return sql_buf_finish(c, &b);
}

static const char *leader_final_sql(sql_ctx *c, const sql_query *q, const sql_gather *wc)
{
	mur_buf b;
	sql_emit e = {&b, NULL, 0};
	sql_expr *x;
	mur_buf_init(&b);
	mur_buf_printf(&b, q->distinct ? "SELECT DISTINCT " : "SELECT ");
	for (int i = 0; i < q->ntarget; i++) {
		if (!(x = sql_gather_slots(c, wc, q->targets[i].e)))
			return mur_buf_free(&b), NULL;
		mur_buf_printf(&b, i ? ", " : "");
		sql_emit_expr(&e, x);
	}
	mur_buf_printf(&b, " FROM r");
	for (int i = 0; i < q->nsort; i++) {
		if (!(x = sql_gather_slots(c, wc, q->sorts[i].e)))
			return mur_buf_free(&b), NULL;
		mur_buf_printf(&b, i ? ", " : " ORDER BY ");
		sql_emit_sort(&e, x, q->sorts[i].desc, q->sorts[i].nulls_first);
	}
	sql_emit_limit(&e, q, 0);
	return sql_buf_finish(c, &b);
}

int sql_plan_window_leader(sql_ctx *c, const sql_query *q, plan_select *ps)
{
	sql_gather *wc = sql_alloc(c, sizeof *wc);
	if (!wc)
		return MUR_ERR;
	for (int i = 0; i < q->ntarget; i++)
		if (sql_gather_add(c, wc, q->targets[i].e) != MUR_OK)
			return MUR_ERR;
	for (int i = 0; i < q->nsort; i++)
		if (sql_gather_add(c, wc, q->sorts[i].e) != MUR_OK)
			return MUR_ERR;
	if (!ps->strategy)
		ps->strategy = "scatter-gather";
	ps->merge_desc = "concatenate shard rows; window functions, sort and limit on the leader";
	ps->window_desc = "on the leader, over the gathered rows (a PARTITION BY without the "
			  "distribution column spans shards)";
	if (!(ps->shard_sql = sql_gather_shard_sql(c, q, wc)))
		return MUR_ERR;
	return (ps->final_sql = leader_final_sql(c, q, wc)) ? MUR_OK : MUR_ERR;
}

/* ---- repartitioned by the partition key ---- */

/* murphy.shuffle_strategy = 'auto' repartitions a window's table from
 * this many rows (the shards' estimates, murphy.shards' rows column): below
 * it a gather costs the leader a few milliseconds, and a repartition's
 * extra round trip and peer connections would cost more (the threshold
 * aggregates use, docs/shuffle.md "Choosing"). */
#define SQL_WINDOW_SHUFFLE_ROWS 100000

/* A column of rte 0 that every window of e partitions by: *col stays -2
 * until the first window, -1 once none is common. */
static void common_partition(const sql_expr *e, int *col)
{
	if (!e)
		return;
	if (e->kind == SE_WINDOW) {
		int found = -1;
		for (int i = 0; i < e->win->npart; i++) {
			const sql_expr *p = e->args[e->win->nfargs + i];
			if (p->kind == SE_COLUMN && p->rte == 0 && (*col == -2 || p->col == *col))
				found = p->col;
		}
		*col = found;
	}
	for (int i = 0; i < e->nargs && *col != -1; i++)
		common_partition(e->args[i], col);
}

static uint64_t table_rows(const cat_table *t)
{
	uint64_t n = 0;
	for (uint32_t s = 0; s < t->nshards; s++)
		n += t->shards[s].rows;
	return n;
}

int sql_plan_window_shuffle(sql_ctx *c, const sql_query *q, plan_select *ps, int *planned)
{
	int col = -2;
	*planned = 0;
	if (q->nrte != 1 || q->has_agg || c->shuffle_strategy == SQL_SHUFFLE_GATHER ||
	    ps->prune.nkeys || ps->prune.nbounds ||
	    (c->shuffle_strategy == SQL_SHUFFLE_AUTO &&
	     table_rows(q->rtes[0].table) < SQL_WINDOW_SHUFFLE_ROWS))
		return MUR_OK;
	for (int i = 0; i < q->ntarget && col != -1; i++)
		common_partition(q->targets[i].e, &col);
	for (int i = 0; i < q->nsort && col != -1; i++)
		common_partition(q->sorts[i].e, &col);
	if (col < 0)
		return MUR_OK;
	if (sql_plan_shuffle_keys(c, q, ps, &col) != MUR_OK)
		return MUR_ERR;
	ps->join_broadcast_ok = 0; /* every owner would compute every partition */
	ps->strategy = "repartition by the window's partition key";
	ps->window_desc = "on the followers, after the rows are repartitioned by a PARTITION BY "
			  "column: each owner holds whole partitions";
	*planned = 1;
	return MUR_OK;
}

/* ---- DISTINCT ON ---- */

static int add_hidden(sql_ctx *c, sql_query *q, sql_expr *e)
{
	if (q->ntarget >= SQL_TARGETS_MAX)
		return sql_err(c, SQLSTATE_PROGRAM_LIMIT_EXCEEDED, e->loc,
			       "target lists can have at most %d entries", SQL_TARGETS_MAX);
	q->targets[q->ntarget].e = e;
	q->targets[q->ntarget].loc = e->loc;
	snprintf(q->targets[q->ntarget].name, sizeof q->targets[0].name, "?column?");
	return q->ntarget++;
}

/* row_number() OVER (PARTITION BY the DISTINCT ON expressions ORDER BY
 * the query's ORDER BY). */
static sql_expr *rn_window(sql_ctx *c, const sql_query *q)
{
	sql_expr *x = sql_expr_new(c, SE_WINDOW, MT_INT8, -1);
	sql_window *w = sql_alloc(c, sizeof *w);
	int n = 0;
	if (!x || !w ||
	    !(x->args = sql_alloc(c, sizeof(sql_expr *) * (size_t)(q->ndistinct_on + q->nsort))))
		return NULL;
	x->op = "row_number";
	x->win = w;
	w->npart = q->ndistinct_on;
	w->norder = q->nsort;
	for (int i = 0; i < q->ndistinct_on; i++)
		x->args[n++] = q->distinct_on[i];
	for (int i = 0; i < q->nsort; i++) {
		x->args[n++] = q->sorts[i].e;
		w->desc[i] = (uint8_t)q->sorts[i].desc;
		w->nulls_first[i] = (uint8_t)q->sorts[i].nulls_first;
	}
	x->nargs = n;
	return x;
}

int sql_distinct_on_split(sql_ctx *c, sql_query *q, sql_distinct_on *o)
{
	sql_expr *rn;
	memset(o, 0, sizeof *o);
	if (!q->ndistinct_on)
		return MUR_OK;
	o->active = 1;
	o->nout = q->ntarget;
	o->nsort = q->nsort;
	for (int i = 0; i < q->nsort; i++) {
		const sql_sort *s = &q->sorts[i];
		o->sortcol[i] = s->target >= 0 ? s->target : add_hidden(c, q, s->e);
		o->desc[i] = (uint8_t)s->desc;
		o->nulls_first[i] = (uint8_t)s->nulls_first;
		if (o->sortcol[i] < 0)
			return MUR_ERR;
	}
	if (!(rn = rn_window(c, q)) || (o->rn = add_hidden(c, q, rn)) < 0)
		return MUR_ERR;
	o->ncol = q->ntarget;
	o->limit = q->limit;
	o->offset = q->offset;
	q->limit = q->offset = NULL;
	q->nsort = 0;
	q->nwindow++;
	return MUR_OK;
}

static void columns(mur_buf *b, int n)
{
	for (int i = 0; i < n; i++)
		mur_buf_printf(b, "%sx%d", i ? ", " : "", i);
}

/* WITH w(x0..) AS (inner) SELECT <cols> FROM w WHERE x<rn> = 1 [tail]:
 * all columns and no tail on a shard, the outputs, ORDER BY and LIMIT
 * last. */
static const char *wrap(sql_ctx *c, const sql_distinct_on *o, const char *inner, int last)
{
	mur_buf b;
	sql_emit e = {&b, NULL, 0};
	mur_buf_init(&b);
	mur_buf_printf(&b, "WITH w(");
	columns(&b, o->ncol);
	mur_buf_printf(&b, ") AS (%s) SELECT ", inner);
	columns(&b, last ? o->nout : o->ncol);
	mur_buf_printf(&b, " FROM w WHERE x%d = 1", o->rn);
	for (int i = 0; last && i < o->nsort; i++)
		mur_buf_printf(&b, "%sx%d%s%s", i ? ", " : " ORDER BY ", o->sortcol[i],
			       o->desc[i] ? " DESC" : " ASC",
			       o->nulls_first[i] ? " NULLS FIRST" : " NULLS LAST");
	if (last && o->limit) {
		mur_buf_printf(&b, " LIMIT ");
		sql_emit_expr(&e, o->limit);
	} else if (last && o->offset) {
		mur_buf_printf(&b, " LIMIT -1");
	}
	if (last && o->offset) {
		mur_buf_printf(&b, " OFFSET ");
		sql_emit_expr(&e, o->offset);
	}
	return sql_buf_finish(c, &b);
}

static const char *all_of_r(sql_ctx *c, int ncol)
{
	mur_buf b;
	mur_buf_init(&b);
	mur_buf_printf(&b, "SELECT ");
	for (int i = 0; i < ncol; i++)
		mur_buf_printf(&b, "%sc%d", i ? ", " : "", i);
	mur_buf_printf(&b, " FROM r");
	return sql_buf_finish(c, &b);
}

int sql_distinct_on_wrap(sql_ctx *c, const sql_distinct_on *o, plan *p)
{
	plan_select *ps = &p->u.select;
	const char *r;
	if (!o->active)
		return MUR_OK;
	if (p->kind == PLAN_LEADER_SELECT)
		return (p->leader_sql = wrap(c, o, p->leader_sql, 1)) ? MUR_OK : MUR_ERR;
	if (ps->final_sql)
		return (ps->final_sql = wrap(c, o, ps->final_sql, 1)) ? MUR_OK : MUR_ERR;
	if (ps->router)
		return (ps->shard_sql = wrap(c, o, ps->shard_sql, 1)) ? MUR_OK : MUR_ERR;
	/* pushed down: each shard keeps its groups' first rows, which are
	 * the groups' first rows (a group lives in one shard) */
	if (!(ps->shard_sql = wrap(c, o, ps->shard_sql, 0)) || !(r = all_of_r(c, o->ncol)))
		return MUR_ERR;
	ps->merge_desc = "concatenate shard rows; sort and limit on the leader";
	return (ps->final_sql = wrap(c, o, r, 1)) ? MUR_OK : MUR_ERR;
}
