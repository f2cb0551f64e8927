/*
 * lead_analyze.c — ANALYZE on the leader: shard statistics into the
 * catalog (catalog_stats.c), for the cost model and murphy.stats.
 *
 * The plan (sql/plan_analyze.c) lists the tables; they are analyzed one
 * after the other, r->step naming the current one:
 *
 *   table_start  skip a table dropped since planning; park the run while
 *                the table's copies have not reported after a leader
 *                (re)start (lead_run_start brings it back here, at the same
 *                step); one QUERY task per shard, to a current copy
 *                (lead_read_node), running the plan's shard_sql: one scan
 *                giving count(*) and each column's distinct estimate
 *   table_done   decode the shards' rows, cat_table_set_stats (store, then
 *                memory: cat_shard.rows starts again from the exact count),
 *                free the task slots, next step; after the last, tag ANALYZE
 *                (VACUUM for VACUUM ANALYZE)
 *
 * A failed task fails the statement; tables analyzed before keep their new
 * statistics (PostgreSQL's ANALYZE commits per table too).  A step sends
 * one task per shard of one table, so LEAD_TASKS_MAX bounds a table's
 * shard count, not the catalog's.
 */
#include "leader/lead_int.h"

#include "common/clock.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void table_start(lead_run *r);

static void next_table(lead_run *r)
{
	for (int i = 0; i < r->ntasks; i++)
		exec_result_free(&r->tasks[i].res);
	r->ntasks = 0;
	r->step++;
	table_start(r);
}

/* One shard's row (count, then ncols estimates) into rows[shard] and
 * distinct[shard * ncols ...]; MUR_ERR on anything but ncols + 1 integers. */
static int decode_shard(const lead_task_slot *sl, int ncols, uint64_t *rows, uint64_t *distinct)
{
	mur_rd rd;
	mur_value v;
	if (sl->res.nrows != 1 || sl->res.ncols != (uint32_t)ncols + 1)
		return MUR_ERR;
	mur_rd_init(&rd, sl->res.rows.data, sl->res.rows.len);
	for (int k = 0; k <= ncols; k++) {
		if (mur_row_get_value(&rd, &v) != MUR_OK || v.kind != MV_INT || v.i < 0)
			return MUR_ERR;
		if (k == 0)
			rows[sl->shard] = (uint64_t)v.i;
		else
			distinct[(size_t)sl->shard * (size_t)ncols + (size_t)(k - 1)] =
				(uint64_t)v.i;
	}
	return MUR_OK;
}

static void table_done(lead_run *r)
{
	const plan_analyze_table *pt = &r->p->u.analyze.tables[r->step];
	const cat_table *t = cat_table_by_id(r->e->cat, pt->table_id);
	cat_analysis a = {.analyzed_ms = mur_wall_ms(), .ncols = pt->ncols, .cols = pt->cols};
	uint64_t *rows = NULL, *distinct = NULL;
	mur_error err;

	if (r->failed || !t) { /* failed, or dropped while its shards were counted */
		if (r->failed)
			lead_run_finish(r);
		else
			next_table(r);
		return;
	}
	a.nshards = t->nshards;
	rows = calloc(t->nshards, sizeof *rows);
	distinct = calloc((size_t)t->nshards * (size_t)(pt->ncols + 1), sizeof *distinct);
	if (!rows || !distinct) {
		mur_error_set(&err, SQLSTATE_OUT_OF_MEMORY, "out of memory");
		goto fail;
	}
	for (int i = 0; i < r->ntasks; i++)
		if (r->tasks[i].shard >= t->nshards ||
		    decode_shard(&r->tasks[i], pt->ncols, rows, distinct) != MUR_OK) {
			mur_error_set(&err, SQLSTATE_INTERNAL_ERROR,
				      "ANALYZE of \"%s\": unexpected result from shard %u", t->name,
				      r->tasks[i].shard);
			goto fail;
		}
	a.rows = rows;
	a.distinct = distinct;
	if (r->ntasks != (int)t->nshards ||
	    cat_table_set_stats(r->e->cat, t->id, &a, &err) != MUR_OK) {
		if (r->ntasks != (int)t->nshards)
			mur_error_set(&err, SQLSTATE_OBJECT_IN_USE,
				      "table \"%s\" changed shards during ANALYZE: run it again",
				      t->name);
		goto fail;
	}
	free(rows);
	free(distinct);
	next_table(r);
	return;
fail:
	free(rows);
	free(distinct);
	lead_run_fail(r, &err);
	lead_run_finish(r);
}

static void table_start(lead_run *r)
{
	const plan_analyze *pa = &r->p->u.analyze;
	const cat_table *t;
	mur_error err;

	if (r->step >= pa->ntables) {
		snprintf(r->res->tag, sizeof r->res->tag, "%s", r->p->tag); /* ANALYZE, VACUUM */
		lead_run_finish(r);
		return;
	}
	t = cat_table_by_id(r->e->cat, pa->tables[r->step].table_id);
	if (!t) { /* dropped since planning */
		next_table(r);
		return;
	}
	for (uint32_t s = 0; s < t->nshards; s++)
		if (repl_shard_reconciling(r->e->repl, &t->shards[s]) && lead_run_park(r))
			return;
	for (uint32_t s = 0; s < t->nshards && !r->failed; s++) {
		uint32_t node = lead_read_node(r->e, &t->shards[s]);
		exec_task task;
		if (!node) {
			mur_error_set(&err, SQLSTATE_CONNECTION_FAILURE,
				      "cannot ANALYZE \"%s\": no current copy of shard %u is "
				      "reachable",
				      t->name, s);
			mur_error_hint(&err,
				       "check murphy.nodes and murphy.placements: the followers "
				       "holding it are down or still catching up");
			lead_run_fail(r, &err);
			break;
		}
		memset(&task, 0, sizeof task);
		task.kind = EXEC_TASK_QUERY;
		task.nplacements = 1;
		cat_placement_file(t, s, task.placements[0], sizeof task.placements[0]);
		task.sql = pa->tables[r->step].shard_sql;
		if (lead_run_send(r, node, s, 1, &task) == MUR_OK)
			r->tasks[r->ntasks - 1].table_id = t->id;
	}
	lead_run_wait(r, table_done);
}

void lead_analyze_start(lead_run *r) { table_start(r); }
