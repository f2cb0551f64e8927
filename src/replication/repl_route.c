/*
 * repl_route.c — the shard a keyless table's COPY batch goes to
 * (docs/transactions.md, "A keyless table's COPY routes around held
 * shards"; docs/decisions.md, "Concurrent COPYs: all locks at once, keyless
 * batches routed").
 *
 * A table without a key spreads its rows by a hidden row id that the leader
 * draws, so any shard may take any row, provided the row id drawn hashes
 * to that shard (a split trims a copy by the hash: a row on a shard its id
 * does not hash to would be lost there).  A COPY into such a table picks
 * the shard of each batch here, from the shard lock table, before it
 * draws the batch's row ids:
 *
 *   1. a shard its transaction holds (exclusive) with nothing in flight or
 *      queued there: no wait, no new lock;
 *   2. a shard nobody holds, asks for, or waits to read (no holder, no
 *      sharer, nothing queued, no pending marker, no parked read): its lock
 *      is taken at once, and nobody waits for it yet;
 *   3. a shard its transaction holds, busy: the batch queues behind its
 *      own writes there;
 *   4. none of these: the shard `from`, where it waits for the lock — and
 *      then its transaction holds nothing (else 3 applies), so the wait
 *      closes no cycle of waits.
 *
 * Each pass starts at `from` and goes round the shards, so that batches
 * spread over shards (and primaries) as they come.
 */
#include "replication/repl_int.h"

/* What rt is to tx: 3 held by tx, idle; 2 free; 1 held by tx, busy; 0
 * another transaction's (held, asked for, pending) or read-waited. */
static int shard_rank(const repl_shard *rt, const repl_txn *tx)
{
	if (!rt)
		return 2;
	if (rt->lock == tx && tx)
		return rt->busy == 0 && !rt->qhead ? 3 : 1;
	if (rt->lock || rt->nsharers || rt->qhead || rt->pend_txid || rt->pend_staged ||
	    rt->nreaders)
		return 0;
	return 2;
}

uint32_t repl_route_shard(const repl_ctx *c, const cat_table *t, const repl_txn *tx, uint32_t from,
			  int *held)
{
	uint32_t best = from % t->nshards;
	int best_rank = -1;
	for (uint32_t k = 0; k < t->nshards; k++) {
		uint32_t s = (from + k) % t->nshards;
		int rank = shard_rank(repl_shard_find(c, t->id, s), tx);
		if (rank > best_rank) {
			best = s;
			best_rank = rank;
		}
		if (rank == 3)
			break;
	}
	*held = best_rank == 3 || best_rank == 1;
	return best;
}
