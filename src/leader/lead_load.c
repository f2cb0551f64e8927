/*
 * lead_load.c — counting what each copy does (issue 18, docs/load.md).
 *
 * The engine's transport (e->tr) wraps the one it was given (e->net):
 * every task the engine or replication sends goes through load_send, which
 * remembers the task's placement, kind and bytes, and every answer through
 * load_answered, which notes the work in the load store (load/load.h) —
 * rows, bytes and the CPU time the follower measured (exec_result.cpu_us)
 * — before the caller's callback runs.  murphy.shard_load and
 * murphy.node_load (lead_views.c) read the store.
 *
 * Counted: QUERY and SHUFFLE_SEND as reads (rows: those the answer
 * carries), WRITE and APPLY as writes (rows: changes, or the rows sent;
 * bytes: rows, SQL and changeset sent); every other task's CPU time counts
 * for its follower only (table 0).  A task abandoned (its follower lost)
 * is answered by the transport with a failure, counted with no CPU.  A
 * pipelined write answered early (exec_result.early) is counted at its
 * final answer, which carries the CPU time.
 */
#include "leader/lead_int.h"

#include "common/clock.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* What load_answered needs of a task sent (freed there). */
typedef struct load_sent {
	lead_engine *e;
	lead_task_cb cb;
	void *arg;
	load_task t;
} load_sent;

/* (table id, shard) of a placement file "t<id>_s<shard>.db"; 0 when the
 * name is not one. */
static int placement_of(const char *file, uint32_t *table_id, uint32_t *shard)
{
	uint32_t gen;
	return cat_placement_parse(file, table_id, shard, &gen) == MUR_OK;
}

static void load_answered(void *arg, exec_result *res)
{
	load_sent *ls = arg;
	load_task *t = &ls->t;
	if (res->early) { /* a pipelined write's first answer: the final one follows */
		ls->cb(ls->arg, res);
		return;
	}
	t->cpu_us = res->cpu_us;
	if (t->write)
		t->rows = res->changes > t->rows ? res->changes : t->rows;
	else if (t->table_id) {
		t->rows = res->nrows;
		t->bytes = res->rows.len;
	}
	if (res->failed && !t->cpu_us)
		t->table_id = t->shard = 0; /* not run there: nothing to count but its node's */
	if (ls->e->copy_load && (t->table_id || t->cpu_us))
		load_note(ls->e->copy_load, t, mur_now_ms() / 1000);
	ls->cb(ls->arg, res);
	free(ls);
}

/* What the task is to the load store, before it is sent. */
static void describe(const exec_task *task, uint32_t node_id, load_task *t)
{
	memset(t, 0, sizeof *t);
	t->node_id = node_id;
	t->write = task->kind == EXEC_TASK_WRITE || task->kind == EXEC_TASK_APPLY;
	t->cpu_only = task->kind != EXEC_TASK_QUERY && task->kind != EXEC_TASK_SHUFFLE_SEND &&
		      !t->write;
	t->cpu_only |= task->load_cpu_only;
	if (t->cpu_only)
		return; /* its node's CPU only */
	if (task->nplacements < 1 || !placement_of(task->placements[0], &t->table_id, &t->shard))
		return;
	if (t->write) {
		t->rows = task->nrows;
		t->bytes = task->rows_len + task->blob_len + (task->sql ? strlen(task->sql) : 0);
	}
}

static int load_send(void *ctx, uint32_t node_id, exec_task *task, lead_task_cb cb, void *arg,
		     mur_error *err)
{
	lead_engine *e = ctx;
	load_sent *ls = malloc(sizeof *ls);
	if (!ls) /* not counted, but sent */
		return e->net.send(e->net.ctx, node_id, task, cb, arg, err);
	ls->e = e;
	ls->cb = cb;
	ls->arg = arg;
	describe(task, node_id, &ls->t);
	if (e->net.send(e->net.ctx, node_id, task, load_answered, ls, err) != MUR_OK) {
		free(ls); /* the callback is never called */
		return MUR_ERR;
	}
	return MUR_OK;
}

static int load_connected(void *ctx, uint32_t node_id)
{
	lead_engine *e = ctx;
	return e->net.connected(e->net.ctx, node_id);
}

static int load_fault(void *ctx, const char *cmd, char *reply, size_t replysz, mur_error *err)
{
	lead_engine *e = ctx;
	return e->net.fault(e->net.ctx, cmd, reply, replysz, err);
}

static uint64_t load_stall(void *ctx)
{
	lead_engine *e = ctx;
	return e->net.loop_stall_max_ms(e->net.ctx);
}

void lead_load_wrap(lead_engine *e, const lead_transport *tr)
{
	e->net = *tr;
	e->tr = (lead_transport){.send = load_send,
				 .connected = load_connected,
				 .fault = tr->fault ? load_fault : NULL,
				 .loop_stall_max_ms = tr->loop_stall_max_ms ? load_stall : NULL,
				 .ctx = e};
	e->copy_load = load_create(); /* NULL: nothing counted, the views show zeros */
}

/* load_forget_idle's keep: is the table still in the catalog? */
static int table_kept(void *arg, uint32_t table_id)
{
	lead_engine *e = arg;
	return cat_table_by_id(e->cat, table_id) != NULL;
}

void lead_load_tick(lead_engine *e)
{
	if (e->copy_load)
		load_forget_idle(e->copy_load, mur_now_ms() / 1000, table_kept, e);
}

/* repl_rebalance.c's load of a shard: every follower's CPU time on it over
 * the last 5 min, or the last window_s seconds (ms), copies moved away
 * since included. */
static double shard_cpu_ms(void *arg, uint32_t table_id, uint32_t shard, uint32_t window_s)
{
	lead_engine *e = arg;
	uint64_t now_s = mur_now_ms() / 1000, us = 0;
	int whole = window_s == 0 || window_s >= REPL_LOAD_WINDOW_S || window_s > now_s;
	for (int i = 0; i < cat_node_count(e->cat) && e->copy_load; i++) {
		uint32_t node = cat_node_at(e->cat, i)->id;
		load_counts lc;
		if (whole)
			load_sum(e->copy_load, table_id, shard, node, LOAD_WINDOW_5MIN, now_s, &lc);
		else
			load_sum_since(e->copy_load, table_id, shard, node, now_s - window_s, now_s,
				       &lc);
		us += lc.cpu_us;
	}
	return (double)us / 1000.0;
}

void lead_load_attach(lead_engine *e) { repl_set_shard_load(e->repl, shard_cpu_ms, e); }
