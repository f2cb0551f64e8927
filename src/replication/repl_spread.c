/*
 * repl_spread.c — primaries spread evenly over the followers (issue 18,
 * docs/load.md, "Primaries").
 *
 * A primary runs every write of its shard (the copies only apply the
 * changeset), and a read of a shard with writes in flight stays on it, so
 * a follower that leads more shards works harder.  Failover moves a
 * primary to another copy when its follower goes silent, and nothing moved
 * it back: after a few kill/restart cycles one follower led every shard.
 * Each recovery tick now moves primaries, without moving data:
 *
 *   counts   per alive, connected follower: the shards it leads (its copy
 *            current), per table (tcnt) and over every table (gcnt), writes
 *            in flight or not, so that a write load does not move them;
 *   a move   shard s of t from its primary's follower a to a copy on b at
 *            the committed entry (repl_copy_at_committed), when
 *            tcnt[a] - tcnt[b] >= 2, or tcnt[a] - tcnt[b] == 1 and
 *            gcnt[a] - gcnt[b] >= 2.  Each move lowers the sum of squares
 *            of the per-table counts, or keeps it and lowers that of the
 *            global ones, so the moves stop: within each table, and over
 *            all, no follower leads two shards more than another that
 *            holds a current copy it could take;
 *   when     an exclusive op of the shard (repl_exclusive): it runs once
 *            no write is in flight there, so no entry is sent to the old
 *            primary after the switch; it gives up (the next tick plans
 *            again) when a transaction holds the shard's lock, shared or
 *            exclusive, or is being undone there, or when the target is no
 *            longer at the committed entry;
 *   how      cat_shard_set_primary (durable in the catalog) and an INFO
 *            line in the leader's log naming the shard, both followers and
 *            the LSN.
 *
 * At most REPL_SPREAD_MOVES_PER_TICK moves are planned per tick, none
 * while earlier ones still wait for their shard.
 */
#include "replication/repl_int.h"

#include "common/log.h"

#include <stdlib.h>
#include <string.h>

/* Primary moves planned per 1 s tick: a returning follower of a cluster of
 * a few hundred shards gets its share within a minute, and each move's
 * pause of its shard's writes (the queue waits for the switch) is spread
 * out. */
#define REPL_SPREAD_MOVES_PER_TICK 8

typedef struct spread_move {
	uint32_t from, to;
} spread_move;

static void move_primary(repl_ctx *c, cat_table *t, uint32_t shard, void *arg)
{
	spread_move *m = arg;
	cat_shard *s = &t->shards[shard];
	const repl_shard *rt = repl_shard_find(c, t->id, shard);
	cat_placement *from = cat_placement_on(s, m->from), *to = cat_placement_on(s, m->to);
	mur_error err;
	c->spread_pending--;
	if (rt && (rt->lock || rt->nsharers || rt->txn_undos))
		goto done; /* a transaction's entries are the primary's: later */
	if (!from || from->role != CAT_PRIMARY || !to || !repl_copy_at_committed(c, t, s, to))
		goto done;
	if (cat_shard_set_primary(c->cat, t->id, shard, m->to, &err) != MUR_OK) {
		MLOG(ERROR, "repl", "moving the primary of shard %u of %s: %s", shard, t->name,
		     err.message);
		goto done;
	}
	MLOG(INFO, "repl",
	     "shard %u of %s: primary moved from %s to %s to spread primaries (lsn %llu)", shard,
	     t->name, cat_node_name(c->cat, m->from), cat_node_name(c->cat, m->to),
	     (unsigned long long)s->committed_lsn);
done:
	free(m);
	repl_exclusive_done(c, t, shard);
}

/* Followers that may lead: alive and connected (1 in ok). */
static void leaders_ok(repl_ctx *c, uint8_t *ok)
{
	memset(ok, 0, CAT_NODES_MAX);
	for (int i = 0; i < cat_node_count(c->cat); i++) {
		const cat_node *n = cat_node_at(c->cat, i);
		if (n->role == CAT_NODE_FOLLOWER && n->state == CAT_NODE_ALIVE &&
		    repl_connected(c, n->id))
			ok[n->id % CAT_NODES_MAX] = 1;
	}
}

/* The primary of s when its follower may lead (ok) and the copy is
 * current; NULL otherwise (failover's business, not ours).  It may be
 * ahead of the committed entry (writes in flight): the move waits for
 * them (an exclusive op). */
static const cat_placement *leading_primary(const cat_shard *s, const uint8_t *ok)
{
	for (int k = 0; k < s->nplacements; k++) {
		const cat_placement *p = &s->placements[k];
		if (p->role == CAT_PRIMARY)
			return ok[p->node_id % CAT_NODES_MAX] && p->state == CAT_PL_CURRENT ? p
											    : NULL;
	}
	return NULL;
}

/* The copy of s the primary role should go to, or 0: the follower with
 * the fewest primaries (of t, then over all) that the rule allows. */
static uint32_t spread_target(repl_ctx *c, const cat_table *t, const cat_shard *s, uint32_t from,
			      const int *tcnt, const int *gcnt, const uint8_t *ok)
{
	uint32_t best = 0, a = from % CAT_NODES_MAX;
	for (int k = 0; k < s->nplacements; k++) {
		const cat_placement *p = &s->placements[k];
		uint32_t b = p->node_id % CAT_NODES_MAX, bb = best % CAT_NODES_MAX;
		int dt = tcnt[a] - tcnt[b], dg = gcnt[a] - gcnt[b];
		if (p->node_id == from || !ok[b] || !(dt >= 2 || (dt == 1 && dg >= 2)) ||
		    !repl_copy_at_committed(c, t, s, p))
			continue;
		if (!best || tcnt[b] < tcnt[bb] || (tcnt[b] == tcnt[bb] && gcnt[b] < gcnt[bb]))
			best = p->node_id;
	}
	return best;
}

/* Count the primaries of t per follower into tcnt (and add them to gcnt
 * when gcnt is not NULL). */
static void count_table(const cat_table *t, const uint8_t *ok, int *tcnt, int *gcnt)
{
	memset(tcnt, 0, CAT_NODES_MAX * sizeof *tcnt);
	for (uint32_t sh = 0; sh < t->nshards; sh++) {
		const cat_placement *p = leading_primary(&t->shards[sh], ok);
		if (!p)
			continue;
		tcnt[p->node_id % CAT_NODES_MAX]++;
		if (gcnt)
			gcnt[p->node_id % CAT_NODES_MAX]++;
	}
}

/* Queue the move of shard sh's primary from `from` to `to`; 1 when queued. */
static int queue_move(repl_ctx *c, cat_table *t, uint32_t sh, uint32_t from, uint32_t to)
{
	spread_move *m = malloc(sizeof *m);
	if (!m)
		return 0;
	m->from = from;
	m->to = to;
	c->spread_pending++;
	if (repl_exclusive(c, t, sh, move_primary, m) != MUR_OK) {
		c->spread_pending--;
		free(m);
		return 0;
	}
	return 1;
}

void repl_spread_tick(repl_ctx *c)
{
	static int tcnt[CAT_NODES_MAX], gcnt[CAT_NODES_MAX];
	uint8_t ok[CAT_NODES_MAX];
	int moves = 0;
	if (c->spread_pending > 0)
		return;
	leaders_ok(c, ok);
	memset(gcnt, 0, sizeof gcnt);
	for (int i = 0; i < cat_table_count(c->cat); i++) {
		const cat_table *t = cat_table_at(c->cat, i);
		if (t->kind == CAT_TABLE_DISTRIBUTED)
			count_table(t, ok, tcnt, gcnt);
	}
	for (int i = 0; i < cat_table_count(c->cat) && moves < REPL_SPREAD_MOVES_PER_TICK; i++) {
		cat_table *t = cat_table_by_id(c->cat, cat_table_at(c->cat, i)->id);
		if (!t || t->kind != CAT_TABLE_DISTRIBUTED)
			continue;
		count_table(t, ok, tcnt, NULL);
		for (uint32_t sh = 0; sh < t->nshards && moves < REPL_SPREAD_MOVES_PER_TICK; sh++) {
			const cat_placement *p = leading_primary(&t->shards[sh], ok);
			uint32_t from = p ? p->node_id : 0, to;
			if (!p || !t->shards[sh].committed_known ||
			    !(to = spread_target(c, t, &t->shards[sh], from, tcnt, gcnt, ok)))
				continue;
			/* counted as done: the next candidates see the new counts */
			tcnt[from % CAT_NODES_MAX]--;
			gcnt[from % CAT_NODES_MAX]--;
			tcnt[to % CAT_NODES_MAX]++;
			gcnt[to % CAT_NODES_MAX]++;
			moves += queue_move(c, t, sh, from, to);
		}
	}
}
