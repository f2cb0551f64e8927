/*
 * repl_staged_rebuild.c — a restart rebuilds the outcome rows a machine
 * crash lost (docs/transactions.md, "A parallel commit's outcome row:
 * written, synced later").
 *
 * A parallel commit X is committed once every participant's STAGED entry
 * is at its quorum; its outcome row is written to the decision log before
 * the client hears COMMIT and synced up to LEAD_OUTCOME_SYNC_MS later.  A
 * machine crash in that window loses the row.  When a copy still holds X
 * open, recovery finds it (repl_staged_hold).  When later entries closed X
 * on every copy, nothing would: X stays committed on every copy and the
 * lookup would answer "no row", which reads as "did not commit".
 *
 * So at every start (a clean close leaves nothing to find, and telling the
 * two apart would cost a marker in the decision log; the listing costs one
 * query per copy) the leader asks each copy, once its follower reported
 * STATUS, for the STAGED entries of its log (EXEC_TASK_TXN_STATE with
 * txn_id 0) whose txid lies in [now - keep, start): older ones had their
 * rows kept their day already; newer ones are this run's.  Each txid with
 * no row, not open here, goes to repl_staged_resolve: every participant's
 * copies are asked what their logs say (fenced by this leader's epoch), and
 * X is committed — its row written durably — only when every participant
 * has its quorum staged, aborted when one cannot (nothing is undone or
 * written then: a STAGED entry below quorum never closed X anywhere), and
 * waits otherwise.
 *
 * The listing is done when every copy on a follower that is not dead
 * answered; until then murphy.transaction_outcomes refuses to say "no row"
 * (repl_outcomes_rebuilding), and a txid listed but undecided shows as
 * "unknown" (repl_staged_unknown_each).
 *
 * Memory: one repl_srebuild (c->srebuild) from the first tick to destroy,
 * its `seen` txids grown as resolved; one rb_ask per query in flight,
 * freed by its answer.
 */
#include "replication/repl_int.h"

#include "common/clock.h"
#include "common/log.h"

#include <stdlib.h>
#include <string.h>

enum { RB_NODE_UNASKED = 0, RB_NODE_ASKED, RB_NODE_DONE };

/* Listings of a connected follower that failed before it is given up
 * (a copy it cannot read: its quorum-mates list the same entries). */
#define RB_ATTEMPTS_MAX 3

struct repl_srebuild {
	uint64_t min_txid, max_txid; /* the txids listed: [min, max) */
	uint8_t node[CAT_NODES_MAX]; /* RB_NODE_* */
	int out[CAT_NODES_MAX];      /* queries in flight */
	uint8_t failed[CAT_NODES_MAX];
	uint8_t attempts[CAT_NODES_MAX]; /* failed listings while connected */
	int done;
	uint64_t start_us;
	int copies, listed, resolved;
	uint64_t *seen; /* txids handed to repl_staged_resolve */
	int nseen, capseen;
};

static void rb_finish(repl_ctx *c, struct repl_srebuild *rb);

typedef struct rb_ask {
	repl_ctx *c;
	uint32_t node_id;
} rb_ask;

static int rb_seen(const struct repl_srebuild *rb, uint64_t txid)
{
	for (int i = 0; i < rb->nseen; i++)
		if (rb->seen[i] == txid)
			return 1;
	return 0;
}

/* One listed STAGED entry: resolve it when it has no row.  MUR_ERR: out
 * of room (the copy is listed again). */
static int rb_entry(repl_ctx *c, struct repl_srebuild *rb, uint64_t txid, const char *parts,
		    size_t len)
{
	char outcome[16];
	rb->listed++;
	if (txid < rb->min_txid || txid >= rb->max_txid || rb_seen(rb, txid) ||
	    repl_lock_txn_open(c, txid) ||
	    cat_txn_outcome_get(c->cat, txid, outcome, sizeof outcome))
		return MUR_OK;
	if (rb->nseen == rb->capseen) {
		int cap = rb->capseen ? rb->capseen * 2 : 64;
		uint64_t *g = realloc(rb->seen, (size_t)cap * sizeof *g);
		if (!g)
			return MUR_ERR;
		rb->seen = g;
		rb->capseen = cap;
	}
	if (repl_staged_resolve(c, txid, parts, len) != MUR_OK)
		return MUR_ERR;
	rb->seen[rb->nseen++] = txid;
	rb->resolved++;
	return MUR_OK;
}

/* One query of node_id's listing is over: once none is left the node is
 * listed, or (a query failed) listed again at the next tick — given up
 * after RB_ATTEMPTS_MAX failures while connected. */
static void rb_node_end(repl_ctx *c, struct repl_srebuild *rb, uint32_t node_id)
{
	uint32_t id = node_id % CAT_NODES_MAX;
	if (--rb->out[id] > 0)
		return;
	rb->node[id] = RB_NODE_DONE;
	if (rb->failed[id] && repl_connected(c, node_id) && ++rb->attempts[id] >= RB_ATTEMPTS_MAX)
		MLOG(WARN, "recover",
		     "%s: its copies' STAGED entries could not be listed (%d tries); an outcome "
		     "row only they could rebuild stays missing",
		     cat_node_name(c->cat, node_id), RB_ATTEMPTS_MAX);
	else if (rb->failed[id])
		rb->node[id] = RB_NODE_UNASKED;
	rb_finish(c, rb);
}

static void rb_answer(void *arg, exec_result *res)
{
	rb_ask *a = arg;
	repl_ctx *c = a->c;
	struct repl_srebuild *rb = c->srebuild;
	uint32_t node_id = a->node_id, id = node_id % CAT_NODES_MAX;
	free(a);
	if (!rb)
		return;
	if (res->failed || (res->nrows > 0 && res->ncols != 2)) {
		rb->failed[id] = 1;
	} else {
		mur_rd rd;
		mur_rd_init(&rd, res->rows.data, res->rows.len);
		for (uint64_t i = 0; i < res->nrows; i++) {
			mur_value v[2];
			if (mur_row_get_value(&rd, &v[0]) != MUR_OK ||
			    mur_row_get_value(&rd, &v[1]) != MUR_OK || v[0].kind != MV_INT ||
			    v[1].kind != MV_TEXT) {
				rb->failed[id] = 1;
				break;
			}
			if (rb_entry(c, rb, (uint64_t)v[0].i, v[1].s, v[1].len) != MUR_OK) {
				rb->failed[id] = 1;
				break;
			}
		}
	}
	rb_node_end(c, rb, node_id);
}

/* Ask each copy on node n for its log's STAGED entries. */
static void rb_list_node(repl_ctx *c, struct repl_srebuild *rb, const cat_node *n)
{
	uint32_t id = n->id % CAT_NODES_MAX;
	rb->node[id] = RB_NODE_ASKED;
	rb->failed[id] = 0;
	rb->out[id] = 1; /* held while sending: an answer inline cannot finish it */
	for (int i = 0; i < cat_table_count(c->cat); i++) {
		const cat_table *t = cat_table_at(c->cat, i);
		for (uint32_t sh = 0; sh < t->nshards; sh++) {
			const cat_placement *p = cat_placement_on((cat_shard *)&t->shards[sh],
								  n->id);
			exec_task task;
			mur_error err;
			rb_ask *a;
			if (!p || p->state == CAT_PL_REBUILDING)
				continue; /* a rebuilding copy's log is its source's */
			if (!(a = malloc(sizeof *a))) {
				rb->failed[id] = 1;
				continue;
			}
			*a = (rb_ask){c, n->id};
			repl_shard_task(&task, EXEC_TASK_TXN_STATE, t, sh);
			task.txn_id = 0; /* the list */
			task.lsn = rb->min_txid;
			task.entry_id = rb->max_txid;
			rb->out[id]++;
			rb->copies++;
			if (c->tr.send(c->tr.ctx, n->id, &task, rb_answer, a, &err) != MUR_OK) {
				free(a);
				rb->out[id]--;
				rb->failed[id] = 1;
			}
		}
	}
	rb_node_end(c, rb, n->id);
}

static struct repl_srebuild *rb_start(repl_ctx *c)
{
	struct repl_srebuild *rb = calloc(1, sizeof *rb);
	int64_t start_ms = mur_wall_ms() - (int64_t)((mur_now_us() - c->started_us) / 1000);
	int64_t keep = repl_outcomes_keep_ms(c);
	if (!rb)
		return NULL;
	rb->max_txid = (uint64_t)start_ms << 20;
	rb->min_txid = keep < start_ms ? (uint64_t)(start_ms - keep) << 20 : 1;
	rb->start_us = mur_now_us();
	return rb;
}

/* 1 when every copy on a follower that is not dead has been listed. */
static int rb_all_listed(repl_ctx *c, const struct repl_srebuild *rb)
{
	for (int i = 0; i < cat_node_count(c->cat); i++) {
		const cat_node *n = cat_node_at(c->cat, i);
		if (n->role == CAT_NODE_FOLLOWER && n->state != CAT_NODE_DEAD &&
		    rb->node[n->id % CAT_NODES_MAX] != RB_NODE_DONE)
			return 0;
	}
	return 1;
}

void repl_staged_rebuild_tick(repl_ctx *c)
{
	struct repl_srebuild *rb = c->srebuild;
	if (!rb && !(rb = c->srebuild = rb_start(c)))
		return;
	if (rb->done)
		return;
	for (int i = 0; i < cat_node_count(c->cat); i++) {
		const cat_node *n = cat_node_at(c->cat, i);
		uint32_t id = n->id % CAT_NODES_MAX;
		if (n->role == CAT_NODE_FOLLOWER && n->state != CAT_NODE_DEAD &&
		    rb->node[id] == RB_NODE_UNASKED && repl_connected(c, n->id) &&
		    c->status_known[id])
			rb_list_node(c, rb, n);
	}
	rb_finish(c, rb);
}

/* The listing is over once every copy answered: say what it found. */
static void rb_finish(repl_ctx *c, struct repl_srebuild *rb)
{
	if (!rb->done && rb_all_listed(c, rb)) {
		rb->done = 1;
		MLOG(INFO, "recover",
		     "outcome rows rebuilt from the staging markers: %d copies listed in %llu ms "
		     "(%llu ms after the start), %d staged entries, %d transactions without a row "
		     "resolved (%d still undecided)",
		     rb->copies, (unsigned long long)((mur_now_us() - rb->start_us) / 1000),
		     (unsigned long long)((mur_now_us() - c->started_us) / 1000), rb->listed,
		     rb->resolved, repl_staged_waiting(c));
		repl_resume_waiters(c); /* a lookup parked for it */
	}
}

int repl_outcomes_rebuilding(repl_ctx *c)
{
	const struct repl_srebuild *rb = c->srebuild;
	return !rb || !rb->done;
}

void repl_staged_rebuild_destroy(repl_ctx *c)
{
	if (c->srebuild) {
		free(c->srebuild->seen);
		free(c->srebuild);
		c->srebuild = NULL;
	}
}
