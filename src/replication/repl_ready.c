/*
 * repl_ready.c — murphy.ready: would a write be taken right now?
 *
 * "Ready" is what `murphy local start` waits for before it says the
 * cluster is ready (src/cli/local.c), and what a script can poll after a
 * restart: a write to any table at the default write_quorum 'majority' is
 * taken at once, neither parked while the shard reconciles after a leader
 * restart nor refused with "k of n copies are reachable and current".
 * Per shard of every distributed table, the conditions repl_write.c's
 * start_primary checks, read here without changing anything:
 *
 *   1. its committed position is known (committed_known: after a leader
 *      restart, once its copies reported STATUS, repl_recover.c);
 *   2. a copy can be primary: current, connected, at or past the
 *      committed LSN (what repl_ensure_primary would pick);
 *   3. a majority of its members (copies not being rebuilt) are current
 *      and connected (repl_quorum_required).
 *
 * A lagging copy being caught up does not make a shard wait once a
 * majority is current: a write queues behind the catch-up and is taken.
 * `followers` counts followers alive, connected (welcomed) and done
 * reporting their copies; the CLI compares it with the number it started.
 */
#include "replication/repl_int.h"

#include <stdio.h>
#include <string.h>

/* Why shard sh of t waits, into why; 0 when a write would be taken. */
static int shard_waits(repl_ctx *c, const cat_table *t, uint32_t sh, char *why, size_t size)
{
	const cat_shard *s = &t->shards[sh];
	int members = 0, current = 0, primary = 0;

	if (!s->committed_known) {
		snprintf(why, size,
			 "shard %u of table \"%s\": its copies have not reported since the "
			 "leader started",
			 sh, t->name);
		return 1;
	}
	for (int k = 0; k < s->nplacements; k++) {
		const cat_placement *p = &s->placements[k];
		int usable = p->state == CAT_PL_CURRENT && repl_connected(c, p->node_id);
		if (p->state == CAT_PL_REBUILDING)
			continue;
		members++;
		current += usable;
		primary |= usable && p->applied_lsn >= s->committed_lsn;
	}
	if (!primary) {
		snprintf(why, size, "shard %u of table \"%s\": no current copy can take writes", sh,
			 t->name);
		return 1;
	}
	if (current < repl_quorum_required(REPL_QUORUM_MAJORITY, members)) {
		snprintf(why, size,
			 "shard %u of table \"%s\": %d of %d copies current, a write needs %d", sh,
			 t->name, current, members,
			 repl_quorum_required(REPL_QUORUM_MAJORITY, members));
		return 1;
	}
	return 0;
}

static int followers_ready(repl_ctx *c)
{
	int n = 0;
	for (int i = 0; i < cat_node_count(c->cat); i++) {
		const cat_node *nd = cat_node_at(c->cat, i);
		n += nd->role == CAT_NODE_FOLLOWER && nd->state == CAT_NODE_ALIVE &&
		     repl_connected(c, nd->id) && c->status_known[nd->id % CAT_NODES_MAX];
	}
	return n;
}

void repl_ready_check(repl_ctx *c, repl_readiness *out)
{
	char why[REPL_READY_REASON_MAX];

	memset(out, 0, sizeof *out);
	out->followers = followers_ready(c);
	for (int i = 0; i < cat_table_count(c->cat); i++) {
		const cat_table *t = cat_table_at(c->cat, i);
		if (t->kind != CAT_TABLE_DISTRIBUTED)
			continue;
		for (uint32_t sh = 0; sh < t->nshards; sh++) {
			if (!shard_waits(c, t, sh, why, sizeof why))
				continue;
			if (out->shards_waiting++ == 0)
				snprintf(out->reason, sizeof out->reason, "%s", why);
		}
	}
}
