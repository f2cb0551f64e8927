/*
 * repl_txn_ends.c — the fate of a one-shard transaction, which records no
 * outcome row, for a client that lost its COMMIT's answer
 * (docs/transactions.md, "A COMMIT whose answer was lost").
 *
 * A one-shard COMMIT's decision is its commit marker in the shard log; it
 * writes nothing else, and this file adds nothing to its path but a store
 * into memory.  `murphy.transaction_outcomes WHERE txid = X` keeps its
 * meaning — a row `committed`, no row: X did not commit — and adds
 * `unknown` where the leader cannot tell.  When the catalog has no row
 * for X, two sources answer:
 *
 *   1. the ring: every transaction that ended on this leader process
 *      without a recorded decision (txn_finish in repl_lock.c): one-shard
 *      commits (committed) and aborts (no row), the newest
 *      REPL_TXN_ENDS_MAX of them.  An abort the client heard as unknown
 *      (40003: a copy that did not answer may hold its marker) is not put
 *      here: the logs answer for it.  Memory only: gone at a restart.
 *   2. the shard logs (repl_log_verdict): what every copy of every shard
 *      holds of X — its commit marker, its data or staging entries — read
 *      by the leader with one query of each copy's _murphy_log
 *      (leader/lead_outcome_ask.c).  Per shard S:
 *        committed  a copy holds X's commit marker at LSN L, L is at or
 *                   below S's committed entry, and the leader has that
 *                   copy applied past L and not DIVERGENT (so its L is
 *                   S's L: the marker reached S's write quorum);
 *        without X  every copy answered, none holds any entry of X, and
 *                   a copy at or past S's committed entry holds its whole
 *                   log (never trimmed: oldest entry 1, or nothing ever
 *                   written) — X's marker cannot have been trimmed away;
 *        unknown    anything else: a copy that did not answer, S still
 *                   being decided after a restart, entries of X without a
 *                   marker that counts (a failed undo), or a log trimmed
 *                   past where X would be.
 *      X's row: `committed` when exactly one shard says so; no row when
 *      every shard is without X (aborted, or it wrote nothing), and when
 *      X is a multi-shard transaction (a staging marker, markers on
 *      several shards: its catalog row is the answer, kept as "Recorded
 *      decisions" says) or still open on this leader (murphy.transactions
 *      shows it); else `unknown` — never a guess.
 */
#include "replication/repl_int.h"

#include "common/clock.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct repl_txn_ends {
	repl_ended ring[REPL_TXN_ENDS_MAX];
	uint32_t next; /* the slot the next end takes (oldest overwritten) */
};

void repl_txn_ends_note(repl_ctx *c, uint64_t txid, int committed, uint32_t table_id,
			uint32_t shard, int nshards)
{
	repl_ended *e;
	if (!txid)
		return;
	if (!c->ends && !(c->ends = calloc(1, sizeof *c->ends)))
		return; /* out of memory: the logs answer for it */
	e = &c->ends->ring[c->ends->next];
	c->ends->next = (c->ends->next + 1) % REPL_TXN_ENDS_MAX;
	*e = (repl_ended){.txid = txid,
			  .committed = committed,
			  .table_id = table_id,
			  .shard = shard,
			  .nshards = nshards,
			  .ended_ms = mur_wall_ms()};
}

int repl_txn_ended(const repl_ctx *c, uint64_t txid, repl_ended *out)
{
	if (!c->ends || !txid)
		return 0;
	/* newest first: a txid ends once, but read the latest anyway */
	for (uint32_t k = 1; k <= REPL_TXN_ENDS_MAX; k++) {
		const repl_ended *e =
			&c->ends->ring[(c->ends->next + REPL_TXN_ENDS_MAX - k) % REPL_TXN_ENDS_MAX];
		if (!e->txid)
			return 0; /* the ring never wrapped: nothing older */
		if (e->txid == txid) {
			*out = *e;
			return 1;
		}
	}
	return 0;
}

int repl_txn_is_open(const repl_ctx *c, uint64_t txid) { return repl_lock_txn_open(c, txid); }

void repl_txn_ends_destroy(repl_ctx *c)
{
	free(c->ends);
	c->ends = NULL;
}

/* ---- the shard logs' answer ---- */

enum { SHARD_WITHOUT = 0, SHARD_COMMITTED, SHARD_UNKNOWN };

static const repl_log_seen *seen_find(const repl_log_seen *seen, int n, uint32_t table_id,
				      uint32_t shard, uint32_t node_id)
{
	for (int i = 0; i < n; i++)
		if (seen[i].table_id == table_id && seen[i].shard == shard &&
		    seen[i].node_id == node_id)
			return &seen[i];
	return NULL;
}

/* What shard sh of t says of the txid its copies' answers are about. */
static int shard_verdict(const cat_table *t, const cat_shard *sh, const repl_log_seen *seen, int n)
{
	int all_answered = 1, entries = 0, whole = 0;
	for (int k = 0; k < sh->nplacements; k++) {
		const cat_placement *p = &sh->placements[k];
		const repl_log_seen *s = seen_find(seen, n, t->id, sh->index, p->node_id);
		if (!s || !s->answered) {
			all_answered = 0;
			continue;
		}
		if (s->commit_lsn && sh->committed_known && s->commit_lsn <= sh->committed_lsn &&
		    p->applied_lsn >= s->commit_lsn && p->state != CAT_PL_DIVERGENT)
			return SHARD_COMMITTED;
		entries |= s->commit_lsn || s->staged || s->data;
		whole |= s->position >= sh->committed_lsn &&
			 (s->first_lsn == 1 || (s->first_lsn == 0 && s->position == 0));
	}
	if (!sh->committed_known || !all_answered || entries || !whole)
		return SHARD_UNKNOWN;
	return SHARD_WITHOUT;
}

const char *repl_log_verdict(repl_ctx *c, uint64_t txid, const repl_log_seen *seen, int n,
			     char *parts, size_t cap)
{
	int unknown = 0, committed = 0;
	parts[0] = '\0';
	if (repl_lock_txn_open(c, txid))
		return NULL;
	for (int i = 0; i < n; i++)
		if (seen[i].answered && seen[i].staged)
			return NULL; /* several shards: the catalog's row answers */
	for (int i = 0; i < cat_table_count(c->cat); i++) {
		const cat_table *t = cat_table_at(c->cat, i);
		if (t->kind != CAT_TABLE_DISTRIBUTED)
			continue;
		for (uint32_t s = 0; s < t->nshards; s++) {
			int v = shard_verdict(t, &t->shards[s], seen, n);
			unknown |= v == SHARD_UNKNOWN;
			if (v == SHARD_COMMITTED && committed++ == 0)
				snprintf(parts, cap, "%u:%u", t->id, s);
		}
	}
	if (committed == 1)
		return "committed";
	if (committed > 1) { /* several shards: the catalog's row answers */
		parts[0] = '\0';
		return NULL;
	}
	return unknown ? "unknown" : NULL;
}
