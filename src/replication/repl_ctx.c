/*
 * repl_ctx.c — the replication context: what it holds for its owner (the
 * leader engine), the per-shard runtime table, and quorum arithmetic.
 *
 * The runtime table maps (table id, shard) to a repl_shard, created on
 * first use.  Chained hashing over a power-of-two bucket array that
 * doubles when it holds more states than buckets; each state is its own
 * allocation, so a repl_shard pointer stays valid until repl_forget or
 * repl_destroy frees it (ops in flight and parked reads point at it).
 */
#include "replication/repl_int.h"

#include "common/clock.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define REPL_BUCKETS_MIN 64 /* initial buckets: a few tables of 8 shards, no resize */

repl_ctx *repl_create(const repl_config *cfg, mur_error *err)
{
	repl_ctx *c = calloc(1, sizeof *c);
	if (!c || !(c->shards = calloc(REPL_BUCKETS_MIN, sizeof *c->shards))) {
		free(c);
		mur_error_set(err, SQLSTATE_OUT_OF_MEMORY, "out of memory");
		return NULL;
	}
	c->nbuckets = REPL_BUCKETS_MIN;
	c->cat = cfg->cat;
	c->tr = cfg->tr;
	c->time_id = cfg->time_id;
	repl_set_write_pipeline(c, cfg->write_pipeline);
	c->fault_points = cfg->fault_points;
	c->fault_want = cfg->fault_points ? getenv("MURPHY_FAULT_POINT") : NULL;
	c->wake_at = cfg->wake_at;
	c->wake_ctx = cfg->wake_ctx;
	c->started_us = mur_now_us();
	/* After a (re)start nothing is known about any copy until its follower
	 * reports (repl_recover.c): no placement serves yet. */
	for (int i = 0; i < cat_table_count(c->cat); i++) {
		cat_table *t = cat_table_by_id(c->cat, cat_table_at(c->cat, i)->id);
		if (!t || t->kind != CAT_TABLE_DISTRIBUTED)
			continue;
		for (uint32_t sh = 0; sh < t->nshards; sh++) {
			t->shards[sh].committed_known = 0;
			for (int k = 0; k < t->shards[sh].nplacements; k++)
				cat_placement_set_state(&t->shards[sh].placements[k],
							CAT_PL_LAGGING);
		}
	}
	repl_moves_restarted(c); /* settled at catalog open: shown in murphy.moves */
	repl_rebalance_load(c);  /* ALTER SYSTEM's settings */
	return c;
}

static void shard_free(repl_shard *rs)
{
	free(rs->readers);
	free(rs->sharers);
	free(rs);
}

void repl_destroy(repl_ctx *c)
{
	if (!c)
		return;
	for (uint32_t b = 0; b < c->nbuckets; b++)
		for (repl_shard *rs = c->shards[b], *next; rs; rs = next) {
			next = rs->next;
			shard_free(rs);
		}
	repl_lock_destroy(c);
	repl_staged_destroy(c);
	repl_outcomes_destroy(c);
	repl_txn_ends_destroy(c);
	repl_moves_destroy(c);
	repl_rebalance_destroy(c);
	repl_autosplit_destroy(c);
	free(c->shards);
	free(c->waiters);
	free(c);
}

void repl_set_write_pipeline(repl_ctx *c, int depth) { c->write_pipeline = depth < 1 ? 1 : depth; }
int repl_write_pipeline(const repl_ctx *c) { return c->write_pipeline; }
void repl_set_decide(repl_ctx *c, repl_decide_fn fn, void *ctx)
{
	c->decide = fn;
	c->decide_ctx = ctx;
}

int repl_connected(const repl_ctx *c, uint32_t node_id)
{
	return c->tr.connected(c->tr.ctx, node_id);
}

void repl_shard_task(exec_task *task, exec_task_kind kind, const cat_table *t, uint32_t shard)
{
	memset(task, 0, sizeof *task);
	task->kind = kind;
	task->nplacements = 1;
	if (t)
		cat_placement_file(t, shard, task->placements[0], sizeof task->placements[0]);
	else
		snprintf(task->placements[0], sizeof task->placements[0], "status.db");
	task->sql = "";
}

void repl_heard(repl_ctx *c, cat_placement *p) { p->heard = ++c->heard_seq; }

int repl_node_reported(const repl_ctx *c, uint32_t node_id)
{
	return c->status_known[node_id % CAT_NODES_MAX];
}

int repl_rebuild_count(const repl_ctx *c) { return c->nrebuilds; }
const repl_rebuild *repl_rebuild_at(const repl_ctx *c, int i) { return &c->rebuilds[i]; }

/* ---- the per-shard runtime table ---- */

static uint32_t bucket_of(uint32_t table_id, uint32_t shard, uint32_t nbuckets)
{
	uint64_t h = ((uint64_t)table_id << 32 | shard) * 0x9E3779B97F4A7C15ull;
	return (uint32_t)(h >> 32) & (nbuckets - 1);
}

repl_shard *repl_shard_find(const repl_ctx *c, uint32_t table_id, uint32_t shard)
{
	for (repl_shard *rs = c->shards[bucket_of(table_id, shard, c->nbuckets)]; rs; rs = rs->next)
		if (rs->table_id == table_id && rs->shard == shard)
			return rs;
	return NULL;
}

/* Double the buckets; on failure keep the old ones (longer chains). */
static void grow(repl_ctx *c)
{
	uint32_t n = c->nbuckets * 2;
	repl_shard **b = calloc(n, sizeof *b);
	if (!b)
		return;
	for (uint32_t i = 0; i < c->nbuckets; i++)
		for (repl_shard *rs = c->shards[i], *next; rs; rs = next) {
			uint32_t k = bucket_of(rs->table_id, rs->shard, n);
			next = rs->next;
			rs->next = b[k];
			b[k] = rs;
		}
	free(c->shards);
	c->shards = b;
	c->nbuckets = n;
}

repl_shard *repl_shard_get(repl_ctx *c, uint32_t table_id, uint32_t shard)
{
	repl_shard *rs = repl_shard_find(c, table_id, shard);
	uint32_t k;
	if (rs)
		return rs;
	if (!(rs = calloc(1, sizeof *rs)))
		return NULL;
	rs->table_id = table_id;
	rs->shard = shard;
	if (c->nshards >= c->nbuckets)
		grow(c);
	k = bucket_of(table_id, shard, c->nbuckets);
	rs->next = c->shards[k];
	c->shards[k] = rs;
	c->nshards++;
	return rs;
}

void repl_forget(repl_ctx *c, const cat_table *t)
{
	for (uint32_t sh = 0; sh < t->nshards; sh++) {
		repl_shard **pp = &c->shards[bucket_of(t->id, sh, c->nbuckets)];
		for (; *pp; pp = &(*pp)->next) {
			repl_shard *rs = *pp;
			if (rs->table_id != t->id || rs->shard != sh)
				continue;
			*pp = rs->next;
			shard_free(rs);
			c->nshards--;
			break;
		}
	}
}

/* ---- quorum ---- */

int repl_quorum_required(repl_quorum q, int n)
{
	switch (q) {
	case REPL_QUORUM_ONE:
		return n > 0 ? 1 : 0;
	case REPL_QUORUM_ALL:
		return n;
	default:
		return n / 2 + 1;
	}
}

repl_quorum repl_quorum_parse(const char *s)
{
	if (strcmp(s, "one") == 0)
		return REPL_QUORUM_ONE;
	if (strcmp(s, "majority") == 0)
		return REPL_QUORUM_MAJORITY;
	if (strcmp(s, "all") == 0)
		return REPL_QUORUM_ALL;
	return 0;
}

const char *repl_quorum_name(repl_quorum q)
{
	return q == REPL_QUORUM_ONE ? "one" : q == REPL_QUORUM_ALL ? "all" : "majority";
}

/* Drop the waiters whose argument is arg from w[0..*n); returns how many. */
static int waiters_drop(repl_waiter *w, int *n, void *arg)
{
	int kept = 0, dropped;
	for (int i = 0; i < *n; i++)
		if (w[i].arg != arg)
			w[kept++] = w[i];
	dropped = *n - kept;
	*n = kept;
	return dropped;
}

int repl_unpark(repl_ctx *c, void *arg)
{
	int n = waiters_drop(c->waiters, &c->nwaiters, arg);
	for (uint32_t b = 0; b < c->nbuckets; b++)
		for (repl_shard *rs = c->shards[b]; rs; rs = rs->next) {
			int k = waiters_drop(rs->readers, &rs->nreaders, arg);
			/* a write the read held back may start: later, not inside
			 * the caller (a read about to be sent must go out first) */
			if (k && rs->qhead) {
				rs->kick_wanted = 1;
				if (c->wake_at)
					c->wake_at(c->wake_ctx, mur_now_us());
			}
			n += k;
		}
	return n;
}
