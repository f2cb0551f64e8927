/*
 * repl_write.c — quorum writes per shard (state machine in repl.h).
 *
 * The primary runs the statement and logs its changeset as entry n; the
 * leader ships the changeset to every replica that is current at n-1; the
 * client hears back once the write quorum holds entry n durably.  If the
 * quorum becomes impossible, every copy that applied n inverts it (UNDO)
 * before the client gets the error.  Reads of the shard wait while entry n
 * is undecided: a read that finds the gate down is parked with its resume
 * callback (repl_read_gated) and resumed when the gate lifts.
 */
#include "replication/repl_int.h"

#include "common/clock.h"
#include "common/log.h"
#include "common/trace.h"
#include "common/recycle.h"
#include "common/zalloc.h"

#include <assert.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define REPL_GROUP_OPS_MAX 64     /* queued row inserts one group commit may carry */
#define REPL_GROUP_ROWS_MAX 20000 /* rows one group commit may carry */
#define REPL_PIPELINE_BYTES_MAX                                                                    \
	(128 * 1024) /* larger inserts wait for an idle shard
					      * (a follower runs them on its pool,
					      * out of its write batches' order) */

struct repl_wop {
	repl_ctx *c;
	uint32_t table_id;
	uint32_t shard;
	int exclusive;
	uint32_t gen;    /* the shard's file generation when queued: a split while
			  it waited routed its rows elsewhere (repl_split.c) */
	int split_moved; /* failed: a split changed its shard's bounds while it waited */
	int lock_only;   /* repl_lock_shard: takes the shard's lock, writes nothing */
	int marker;      /* repl_write_marker: the commit marker of facts.txn */
	char *staged;    /* repl_write_staged (marker set too): the staging marker of
			  facts.txn with these participants (parallel commits); it
			  is never a pending marker (its transaction is not decided
			  while it is out).  NULL: not one */
	repl_excl_fn fn;
	void *fn_arg;
	repl_quorum q;
	char *sql;
	repl_write_facts facts; /* the planner's word on sql (repl.h) */
	uint64_t txn_id;        /* facts.txn's id (0: autocommit): its entry's txn_id */
	mur_value *params;
	uint32_t nparams;
	mur_buf scratch; /* text of params */
	mur_buf rows;
	uint64_t nrows;
	uint32_t ncols;
	repl_wop_cb cb;
	void *cb_arg;
	/* Where it is: state, changed only by wop_set_state.  The int fields
	 * below are not states.  exclusive, parallel, piped and no_merge say
	 * what kind of op it is; primary_in, primary_refused and noop what the
	 * primary answered (a row insert commits on any copies' answers, so its
	 * state does not wait for the primary's); failed is the outcome (err)
	 * of an op that will not commit; reported: the client's callback ran
	 * (at COMMITTED, or at DONE when failed; a group reports its members,
	 * and a group that gives its members back reports nothing). */
	repl_wop_state state;
	int reported;
	int early;      /* a pipelined write answered at REPLICATING, before its quorum */
	int fault_fail; /* a staging marker the fault point txn_stage_fail_chained fails
			   late (fault_fail_due) */
	int unsynced;   /* the primary answered early (logged entry lsn, not yet durable):
			 its durable answer is one of `pending` (a row insert's: the
			 one primary_in waits for), and only it counts */
	int early_kept; /* `primary` holds the primary's early answer (rows, changeset) */
	int sync_asked; /* its primary was sent a SYNC for its durable answer (ask_sync) */
	int deferred;   /* its APPLYs wait for its transaction's COMMIT (replica batches):
			 the replicas get them in one frame with the marker */
	int blind;      /* a blind insert (blind_insert): REPL_BLIND_KEPT, answered and
			 kept on the leader, no copy has it; REPL_BLIND_SENT, sent to
			 every copy (a parallel op from then on); 0: neither */
	uint64_t entry_id;
	uint64_t lsn;
	exec_result primary; /* the primary's answer (rows, changes, changeset) */
	int required, acks, pending, undo_pending;
	uint32_t holders[CAT_REPLICAS_MAX]; /* nodes holding entry lsn */
	int nholders;
	char missing[256]; /* followers that did not get the entry */
	mur_error err;
	int failed; /* its outcome is err: set with FAILING, or before it is sent */
	uint64_t queued_us;
	uint64_t check_us; /* a transaction's op: when its deadlock search is due */
	/* parallel ops (row inserts): every current copy runs the statement at
	 * once; the primary's answer is the client's */
	int parallel;
	int primary_in;      /* the primary's answer has arrived */
	int primary_refused; /* it refused the entry (not on top of base): the copies answer */
	int noop;            /* the primary changed nothing */
	uint64_t base;       /* the shard's committed lsn when the op started */
	uint64_t
		copy_changes; /* rows a copy inserted (the answer when decided without the primary) */
	/* group commit: a group op carries the rows of several queued row
	 * inserts (its members) as one entry; each member is reported on its own */
	repl_wop *members; /* linked through member_next, in queue order */
	repl_wop *member_next;
	int no_merge; /* run alone (retrying after its group hit a data error) */
	int resent;   /* queued again once after its primary refused it (primary_refusal) */
	/* pipelining: a row insert may start while the shard's previous ones
	 * are in flight (see repl.h) */
	int piped;       /* pipelinable: later row inserts may start behind it */
	repl_wop *fnext; /* next op in flight on the shard */
	uint32_t refusers[CAT_REPLICAS_MAX]; /* copies that refused it (not on top of its base)
						or failed it (note_failure) */
	int nrefusers;
	int unknown; /* copies that may hold the entry without the leader
				 * knowing: the task went out and no answer came back
				 * (link lost, deadline), or their undo failed */
	/* a marker queued again (op_reset): the copies that held it then, which
	 * the failed op ahead of it undoes (drain_followers); one whose undo
	 * failed (DIVERGENT) may still hold it (outcome_uncertain) */
	uint32_t held_before[CAT_REPLICAS_MAX];
	int nheld_before;
	repl_wop *next;
};

enum { REPL_BLIND_KEPT = 1, REPL_BLIND_SENT = 2 };

typedef struct wop_ref {
	repl_wop *op;
	uint32_t node_id;
} wop_ref;

/* ---- the write op's state machine (diagram in repl.h) ---- */

#define W(s) (1u << REPL_WOP_##s)
/* allowed[from]: the states `from` may go to */
static const unsigned wop_allowed[REPL_WOP_STATES] = {
	[REPL_WOP_QUEUED] = W(PRIMARY) | W(DONE),
	[REPL_WOP_PRIMARY] = W(REPLICATING) | W(COMMITTED) | W(FAILING) | W(QUEUED),
	[REPL_WOP_REPLICATING] = W(COMMITTED) | W(FAILING) | W(QUEUED),
	[REPL_WOP_FAILING] = W(UNDOING) | W(DONE) | W(QUEUED),
	[REPL_WOP_COMMITTED] = W(DONE),
	[REPL_WOP_UNDOING] = W(DONE),
	[REPL_WOP_DONE] = 0,
};
#undef W

int repl_wop_transition_allowed(repl_wop_state from, repl_wop_state to)
{
	if ((unsigned)from >= REPL_WOP_STATES || (unsigned)to >= REPL_WOP_STATES)
		return 0;
	return (wop_allowed[from] >> to) & 1u;
}

const char *repl_wop_state_name(repl_wop_state st)
{
	static const char *const names[REPL_WOP_STATES] = {"queued",  "primary",   "replicating",
							   "failing", "committed", "undoing",
							   "done"};
	return (unsigned)st < REPL_WOP_STATES ? names[st] : "?";
}

/* The one place an op's state changes. */
static void wop_set_state(repl_wop *op, repl_wop_state to)
{
	if (!repl_wop_transition_allowed(op->state, to))
		MLOG(ERROR, "repl", "write op on shard %u: no transition %s -> %s", op->shard,
		     repl_wop_state_name(op->state), repl_wop_state_name(to));
	assert(repl_wop_transition_allowed(op->state, to));
	op->state = to;
}

/* Undecided: not committed, not failed for good (the gate stays down). */
static int wop_undecided(const repl_wop *op)
{
	return op->state == REPL_WOP_QUEUED || op->state == REPL_WOP_PRIMARY ||
	       op->state == REPL_WOP_REPLICATING || op->state == REPL_WOP_FAILING;
}

/* Given up on: being undone, or failed without a copy holding its entry. */
static int wop_abandoned(const repl_wop *op)
{
	return op->state == REPL_WOP_UNDOING || op->state == REPL_WOP_DONE;
}

/* The runtime state of op's shard (NULL only when out of memory). */
static repl_shard *op_rt(const repl_wop *op)
{
	return repl_shard_get(op->c, op->table_id, op->shard);
}

static cat_shard *op_shard(repl_wop *op, cat_table **tout)
{
	cat_table *t = cat_table_by_id(op->c->cat, op->table_id);
	if (tout)
		*tout = t;
	return t && op->shard < t->nshards ? &t->shards[op->shard] : NULL;
}

void repl_committed(repl_ctx *c, uint32_t table_id, cat_shard *s, uint64_t lsn, uint64_t entry_id)
{
	repl_shard *rt = repl_shard_get(c, table_id, s->index);
	/* recovery (a restart) does not know when it was decided */
	uint64_t decided_us = s->committed_known ? mur_now_us() : 0;
	/* once known, the committed position only grows while this leader
	 * runs (recovery sets it before it is known) */
	assert(!s->committed_known || lsn > s->committed_lsn);
	s->committed_lsn = lsn;
	s->committed_entry = entry_id;
	if (rt && lsn) {
		rt->ring_lsn[lsn % REPL_RING] = lsn;
		rt->ring_entry[lsn % REPL_RING] = entry_id;
		rt->ring_decided_us[lsn % REPL_RING] = decided_us;
	}
}

/* Milliseconds since entry lsn of shard s was decided (rounded up), from the ring; -1
 * when the ring no longer holds it or its time is unknown. */
static int64_t decided_ago_ms(const repl_ctx *c, uint32_t table_id, const cat_shard *s,
			      uint64_t lsn)
{
	const repl_shard *rt = repl_shard_find(c, table_id, s->index);
	uint64_t at;
	int64_t ago;
	if (!rt || rt->ring_lsn[lsn % REPL_RING] != lsn || !rt->ring_decided_us[lsn % REPL_RING])
		return -1;
	at = rt->ring_decided_us[lsn % REPL_RING];
	ago = (int64_t)((mur_now_us() - at + 999) / 1000); /* rounded up: never less */
	return ago > 0 ? ago : 1; /* a copy that lacks a decided entry is behind: never 0 */
}

/* How stale a copy at (lsn, entry_id) is against entry `upto` (at most
 * the committed one): repl_copy_staleness's rules. */
static void staleness_at(const repl_ctx *c, uint32_t table_id, const cat_shard *s, uint64_t lsn,
			 uint64_t entry_id, uint64_t upto, repl_staleness *out)
{
	int64_t ago;
	memset(out, 0, sizeof *out);
	out->known = s->committed_known;
	if (!s->committed_known || lsn >= upto)
		return;
	out->entries = upto - lsn;
	ago = decided_ago_ms(c, table_id, s, lsn + 1);
	if (ago < 0 && entry_id) /* its last entry began then: the next was decided later */
		ago = mur_wall_ms() - (int64_t)(entry_id >> 20);
	if (ago < 0) {
		out->known = 0;
		return;
	}
	out->ms = (uint64_t)ago;
}

void repl_copy_staleness(const repl_ctx *c, uint32_t table_id, const cat_shard *s,
			 const cat_placement *p, repl_staleness *out)
{
	staleness_at(c, table_id, s, p->applied_lsn, p->entry_id, s->committed_lsn, out);
}

int repl_read_bound(const repl_ctx *c, const cat_table *t, uint32_t shard, uint64_t *bound)
{
	const cat_shard *s = &t->shards[shard];
	const repl_shard *rt = repl_shard_find(c, t->id, shard);
	int n = 0;
	*bound = s->committed_lsn;
	if (!s->committed_known)
		return 0;
	if (!rt)
		return *bound > 0;
	for (const repl_wop *x = rt->fhead; x; x = x->fnext)
		n++;
	if (n != rt->busy || rt->txn_undos || rt->nrecommit || rt->pend_txid)
		return 0; /* an exclusive op (catch-up, undo), a restart's transaction, or a
			     pending marker (the holder's base is not decided) */
	if (rt->lock)
		*bound = repl_lock_base(rt);
	return *bound > 0;
}

int repl_copy_sent_undecided(const repl_ctx *c, const cat_table *t, uint32_t shard, uint32_t node)
{
	const repl_shard *rt = repl_shard_find(c, t->id, shard);
	for (const repl_wop *x = rt ? rt->fhead : NULL; x; x = x->fnext) {
		if (!wop_undecided(x) && x->state != REPL_WOP_UNDOING)
			continue;
		/* the primary's WRITE (a row insert's: every copy's), or the
		 * APPLYs to every copy once logged */
		if (x->state != REPL_WOP_PRIMARY || x->parallel || node == rt->pipe_primary)
			return 1;
	}
	return 0;
}

int repl_read_answer(const repl_ctx *c, const cat_table *t, uint32_t shard, uint64_t bound,
		     uint64_t lsn, uint64_t entry_id, repl_staleness *out)
{
	const cat_shard *s = &t->shards[shard];
	uint64_t id = repl_entry_at(c, t->id, s, lsn);
	if (lsn > bound || lsn > s->committed_lsn || (id && entry_id && id != entry_id))
		return 0;
	staleness_at(c, t->id, s, lsn, entry_id, bound, out);
	return out->known;
}

uint64_t repl_entry_at(const repl_ctx *c, uint32_t table_id, const cat_shard *s, uint64_t lsn)
{
	const repl_shard *rt = repl_shard_find(c, table_id, s->index);
	if (lsn == 0)
		return 0;
	if (lsn == s->committed_lsn && s->committed_entry)
		return s->committed_entry;
	if (!rt || rt->ring_lsn[lsn % REPL_RING] != lsn)
		return 0;
	return rt->ring_entry[lsn % REPL_RING];
}

int repl_copy_committed_prefix(const repl_ctx *c, const cat_table *t, const cat_shard *s,
			       const cat_placement *p)
{
	uint64_t id;
	if (!s->committed_known || !p->reported || p->applied_lsn > s->committed_lsn)
		return 0;
	id = repl_entry_at(c, t->id, s, p->applied_lsn);
	return !id || !p->entry_id || id == p->entry_id;
}

uint32_t repl_read_node(repl_ctx *c, const cat_shard *s)
{
	for (int pass = 0; pass < 2; pass++)
		for (int k = 0; k < s->nplacements; k++) {
			const cat_placement *p = &s->placements[k];
			if ((pass == 0) != (p->role == CAT_PRIMARY))
				continue;
			if (p->state == CAT_PL_CURRENT && p->applied_lsn >= s->committed_lsn &&
			    repl_connected(c, p->node_id))
				return p->node_id;
		}
	return 0;
}

int repl_read_spreads(const repl_ctx *c, const cat_table *t, uint32_t shard)
{
	const repl_shard *rt = repl_shard_find(c, t->id, shard);
	if (!t->shards[shard].committed_known)
		return 0;
	/* an op not yet committed, an exclusive op (catch-up, undo), a
	 * transaction's lock or its undo: the latest state is the primary's */
	return !rt || (!rt->gated && !rt->lock && !rt->txn_undos && repl_shard_settled(rt));
}

int repl_copy_at_committed(const repl_ctx *c, const cat_table *t, const cat_shard *s,
			   const cat_placement *p)
{
	/* current: the leader learned its position from its answers since its
	 * follower connected (a copy that lost its follower is lagging) */
	uint64_t id = repl_entry_at(c, t->id, s, p->applied_lsn);
	return p->state == CAT_PL_CURRENT && s->committed_known &&
	       p->applied_lsn == s->committed_lsn && (!id || !p->entry_id || id == p->entry_id) &&
	       repl_connected(c, p->node_id);
}

/* ---- read gating ---- */

/* Does one of op's rows (ncols values each, table order) have key in
 * column dist_col?  1 also when the rows cannot be read. */
static int rows_hold_key(const repl_wop *op, int dist_col, const mur_value *key)
{
	mur_rd rd;
	mur_rd_init(&rd, op->rows.data, op->rows.len);
	for (uint64_t i = 0; i < op->nrows; i++)
		for (uint32_t c = 0; c < op->ncols; c++) {
			mur_value v;
			if (mur_row_get_value(&rd, &v) != MUR_OK)
				return 1;
			if ((int)c == dist_col && mur_value_cmp(&v, key) == 0)
				return 1;
		}
	return 0;
}

/* Could an entry not yet committed hold a row whose distribution value is
 * key?  No only when every op in flight is committed, or is an undecided
 * row insert (piped: plain rows the leader encoded) with no such row.  An
 * op failed or being undone answers yes: the ops that were behind it went
 * back to the queue, and the copies hold their rows until the undo. */
static int key_undecided(const cat_table *t, const repl_shard *rt, const mur_value *key)
{
	for (const repl_wop *x = rt->fhead; x; x = x->fnext) {
		if (x->state == REPL_WOP_COMMITTED)
			continue;
		if (wop_abandoned(x) || x->failed || !x->piped || x->nrows == 0 ||
		    x->ncols != (uint32_t)t->ncols || rows_hold_key(x, t->dist_col, key))
			return 1;
	}
	return 0;
}

/* Park resume(arg) on rt, waiting since since_us.  A read that reserves
 * the shard (reserve) is parked there once: with an entry of arg already
 * there, or when arg reserved it already, the entry is kept (the earlier
 * mark wins).  MUR_ERR + err when out of memory. */
static int park_reader(repl_shard *rt, uint64_t since_us, int reserve, uint64_t holder,
		       repl_resume_fn resume, void *arg, mur_error *err)
{
	for (int i = 0; i < rt->nreaders; i++)
		if (rt->readers[i].arg == arg && (reserve || rt->readers[i].reserve)) {
			if (since_us < rt->readers[i].since_us)
				rt->readers[i].since_us = since_us;
			rt->readers[i].reserve = 1;
			if (holder)
				rt->readers[i].holder = holder;
			return MUR_OK;
		}
	if (rt->nreaders == rt->capreaders) {
		int cap = rt->capreaders ? rt->capreaders * 2 : 8;
		repl_waiter *g = realloc(rt->readers, (size_t)cap * sizeof *g);
		if (!g) /* cannot park, and must not read an undecided entry */
			return mur_error_set(err, SQLSTATE_OUT_OF_MEMORY, "out of memory");
		rt->readers = g;
		rt->capreaders = cap;
	}
	rt->readers[rt->nreaders++] = (repl_waiter){.resume = resume,
						    .arg = arg,
						    .since_us = since_us,
						    .pass = rt->resume_pass,
						    .reserve = reserve,
						    .holder = holder};
	return MUR_OK;
}

int repl_read_gated(repl_ctx *c, const cat_table *t, uint32_t shard, const mur_value *key,
		    repl_resume_fn resume, void *arg, mur_error *err)
{
	return repl_read_gated_txn(c, t, shard, key, NULL, resume, arg, err);
}

uint64_t repl_shard_tip(const repl_ctx *c, uint32_t table_id, const cat_shard *s, uint64_t *entry)
{
	const repl_shard *rt = repl_shard_find(c, table_id, s->index);
	uint64_t lsn = s->committed_lsn, id = s->committed_entry;
	for (const repl_wop *x = rt ? rt->fhead : NULL; x; x = x->fnext)
		if ((x->state == REPL_WOP_REPLICATING || x->state == REPL_WOP_COMMITTED) &&
		    !x->failed && x->lsn > lsn) {
			lsn = x->lsn;
			id = x->entry_id;
		}
	if (entry)
		*entry = id;
	return lsn;
}

/* 1 when all that keeps a read of rt back is the commit marker of a
 * decided transaction (repl_lock_decided_marker): every op in flight is
 * committed or that marker (whatever its state: out, failed and queued
 * again, being undone), and no exclusive op runs.  The transaction is
 * committed; its entries are at or below the committed entry, which every
 * copy a read may pick holds (docs/transactions.md, "Reads behind a decided
 * transaction's marker"). */
static int only_decided_marker(const repl_shard *rt)
{
	uint64_t txid = repl_lock_decided_marker(rt);
	int n = 0;
	if (!txid)
		return 0;
	for (const repl_wop *x = rt->fhead; x; x = x->fnext, n++)
		if (x->state != REPL_WOP_COMMITTED &&
		    !(x->marker && !x->staged && x->txn_id == txid))
			return 0;
	return n == rt->busy;
}

uint64_t repl_read_lsn(repl_ctx *c, const cat_table *t, uint32_t shard)
{
	const repl_shard *rt = repl_shard_find(c, t->id, shard);
	const cat_shard *s = &t->shards[shard];
	return rt && rt->lock && !only_decided_marker(rt) ? repl_shard_tip(c, t->id, s, NULL)
							  : s->committed_lsn;
}

static const repl_wop *pending_out(const repl_shard *rt);
static int rides_chain(const repl_shard *rt, const repl_wop *m, const repl_wop *x);

enum { HOLDER_WAITS = 0, HOLDER_READS = 1, HOLDER_READS_AFTER_CHAIN = 2 };

/* Does p, the primary, hold every entry of rt up to tip?  Its applied_lsn
 * says so, or the op at tip was sent to it and it answered early (it
 * logged tip, on top of all before it: copies log in LSN order).  The
 * first alone may lag: a durable answer to an older entry (a staging
 * marker it synced) that comes after the early answer to a newer one
 * sets applied_lsn back to the older (hold). */
static int primary_at_tip(const repl_shard *rt, const cat_placement *p, uint64_t tip)
{
	if (p->applied_lsn >= tip)
		return 1;
	for (const repl_wop *x = rt->fhead; x; x = x->fnext)
		if (x->lsn == tip && x->early && !x->failed && !x->parallel &&
		    x->state == REPL_WOP_REPLICATING && rt->pipe_primary == p->node_id)
			return 1;
	return 0;
}

/* May the lock holder read its shard while its pipelined writes are in
 * flight?  HOLDER_READS when every op in flight is a logged write of the
 * holder that has not failed (answered early, or committed) and the
 * primary, the copy repl_read_node picks first, holds them all.
 * HOLDER_READS_AFTER_CHAIN when the only others are the staging markers
 * of other transactions it follows (pending_out) and their entries riding
 * them (rides_chain), not yet committed here: it may read once they are
 * (resume_holder_reads), none of which needs its own kept entries sent
 * (a marker rides on its own transaction's entries only).  Else
 * HOLDER_WAITS: it waits for the entries' decision. */
static int holder_reads(repl_ctx *c, const cat_table *t, const repl_shard *rt)
{
	const cat_shard *s = &t->shards[rt->shard];
	const repl_wop *m = pending_out(rt);
	uint64_t tip = repl_shard_tip(c, t->id, s, NULL);
	int n = 0, ahead = 0;
	for (const repl_wop *x = rt->fhead; x; x = x->fnext, n++) {
		if (x->state == REPL_WOP_COMMITTED)
			continue;
		if (x->facts.txn != rt->lock && m && m->txn_id != repl_txn_id(rt->lock) &&
		    (x == m || rides_chain(rt, m, x))) {
			ahead = 1; /* a staging marker it follows, or an entry riding one */
			continue;
		}
		if (x->facts.txn != rt->lock || x->failed || !x->early ||
		    (x->blind && !x->primary_in))
			return HOLDER_WAITS; /* a blind insert: on the primary once it answered */
	}
	if (n != rt->busy) /* an exclusive op (catch-up, undo) runs: wait for it */
		return HOLDER_WAITS;
	for (int k = 0; k < s->nplacements; k++) {
		const cat_placement *p = &s->placements[k];
		if (p->role == CAT_PRIMARY)
			return p->state == CAT_PL_CURRENT && primary_at_tip(rt, p, tip) &&
					       repl_connected(c, p->node_id)
				       ? (ahead ? HOLDER_READS_AFTER_CHAIN : HOLDER_READS)
				       : HOLDER_WAITS;
	}
	return HOLDER_WAITS;
}

/* Resume the reads parked on rt (holder != 0: only that holder's), one
 * at a time from the live array: a resumed read may unpark another (a read
 * parked on several shards is on several arrays) or park here again
 * (stamped with this pass: not resumed twice). */
static void resume_parked(repl_shard *rt, uint64_t holder)
{
	uint64_t pass = ++rt->resume_pass;
	for (;;) {
		repl_waiter w;
		int i = 0;
		while (i < rt->nreaders &&
		       (rt->readers[i].pass == pass || (holder && rt->readers[i].holder != holder)))
			i++;
		if (i == rt->nreaders)
			return;
		w = rt->readers[i];
		memmove(&rt->readers[i], &rt->readers[i + 1],
			(size_t)(rt->nreaders - i - 1) * sizeof *rt->readers);
		rt->nreaders--;
		w.resume(w.arg);
	}
}

/* Resume the holder's reads parked behind the staging markers it followed
 * (repl_read_gated_txn) once it may read: an op ahead was committed. */
static void resume_holder_reads(repl_ctx *c, const cat_table *t, repl_shard *rt)
{
	uint64_t id = rt->lock ? repl_txn_id(rt->lock) : 0;
	int any = 0;
	for (int i = 0; id && i < rt->nreaders; i++)
		any |= rt->readers[i].holder == id;
	if (!any)
		return;
	switch (holder_reads(c, t, rt)) {
	case HOLDER_READS:
		break;
	case HOLDER_READS_AFTER_CHAIN:
		return; /* another op ahead: its decision looks again */
	default:
		/* it waits for its own entries' decision after all (the
		 * primary moved, say): send them, the gate lifts with it */
		repl_shard_flush_deferred(rt);
		return;
	}
	resume_parked(rt, id);
}

int repl_shard_settled(const repl_shard *rt)
{
	int n = 0;
	for (const repl_wop *x = rt->fhead; x; x = x->fnext, n++)
		if (x->state != REPL_WOP_COMMITTED)
			return 0;
	return n == rt->busy; /* else an exclusive op (catch-up, undo) runs */
}

/* The pending marker of rt if it is in flight and neither failed nor given
 * up, else NULL: a decided transaction's commit marker, or an undecided
 * one's staging marker until its transaction aborts (repl_lock.c, "hand-off
 * at the staging marker"). */
static const repl_wop *pending_out(const repl_shard *rt)
{
	/* chained (repl_lock.c, "chain"): the newest staging marker pending */
	uint64_t txid = rt->npend_chain ? rt->pend_chain[rt->npend_chain - 1] : rt->pend_txid;
	for (const repl_wop *x = rt->pend_txid ? rt->fhead : NULL; x; x = x->fnext)
		if (x->marker && (x->staged != NULL) == (rt->pend_staged != 0) &&
		    rt->pend_staged != 2 && x->txn_id == txid && !x->failed && !wop_abandoned(x))
			return x;
	return NULL;
}

/* 1 when txid's staging marker is pending on rt: the oldest or chained. */
static int in_chain(const repl_shard *rt, uint64_t txid)
{
	if (!txid || !rt->pend_staged)
		return 0;
	if (txid == rt->pend_txid)
		return 1;
	for (int i = 0; i < rt->npend_chain; i++)
		if (rt->pend_chain[i] == txid)
			return 1;
	return 0;
}

/* 1 when x is the pending marker of rt (queued again after it failed, or
 * out). */
static int is_pending_marker(const repl_shard *rt, const repl_wop *x)
{
	return x->marker && !x->staged && rt->pend_txid && x->txn_id == rt->pend_txid;
}

/* 1 when x, in flight ahead of m, is an entry of the transaction whose
 * staging marker m is, logged on the primary, answered early and not
 * failed (its replicas' answers are out: replica batches send them with
 * m).  m cannot reach its quorum without x (copies log in LSN order), and
 * if x fails, m's transaction is doomed and aborts, which dooms whoever
 * follows m ("hand-off at the staging marker", repl_lock.c): a writer may
 * follow x as it follows m. */
static int rides_marker(const repl_wop *m, const repl_wop *x)
{
	return m && m->staged && x != m && x->txn_id && x->txn_id == m->txn_id && x->early &&
	       !x->failed && !x->marker && x->state == REPL_WOP_REPLICATING;
}

/* rides_marker along a chain of pending staging markers (repl_lock.c,
 * "chain"; m is the newest): x is an older one's staging marker in flight,
 * or an entry riding it.  m cannot reach its quorum without x, and if x
 * fails its transaction aborts, which dooms every one chained behind it
 * and the holder (handoff_doom, chain_doom). */
static int rides_chain(const repl_shard *rt, const repl_wop *m, const repl_wop *x)
{
	if (rides_marker(m, x))
		return 1;
	if (!m || !m->staged || x == m || !in_chain(rt, x->txn_id) || x->failed || wop_abandoned(x))
		return 0;
	if (x->marker)
		return x->staged && x->state != REPL_WOP_COMMITTED;
	return x->early && x->state == REPL_WOP_REPLICATING;
}

int repl_shard_behind_marker(const repl_shard *rt, uint64_t *lsn, uint64_t *entry)
{
	const repl_wop *m = pending_out(rt);
	int n = 0;
	if (!m)
		return 0;
	for (const repl_wop *x = rt->fhead; x; x = x->fnext, n++)
		if (x != m && x->state != REPL_WOP_COMMITTED && !rides_chain(rt, m, x))
			return 0;
	if (n != rt->busy)
		return 0;
	if (lsn)
		*lsn = m->base + 1; /* every copy logs it there or refuses it */
	if (entry)
		*entry = m->entry_id;
	return 1;
}

int repl_read_gated_txn(repl_ctx *c, const cat_table *t, uint32_t shard, const mur_value *key,
			const repl_txn *tx, repl_resume_fn resume, void *arg, mur_error *err)
{
	repl_shard *rt = repl_shard_find(c, t->id, shard); /* none yet: no write ever gated it */
	if (!rt || (!rt->gated && !repl_lock_gates(rt, tx)))
		return 0;
	if (only_decided_marker(rt))
		return 0; /* a committed transaction's marker: it changes no rows */
	if (tx && rt->lock == tx) {
		int how = holder_reads(c, t, rt);
		if (how == HOLDER_READS)
			return 0; /* it reads its own pipelined writes on the primary */
		if (how == HOLDER_READS_AFTER_CHAIN) /* its kept entries stay kept */
			return park_reader(rt, mur_now_us(), 0, repl_txn_id(tx), resume, arg,
					   err) == MUR_OK
				       ? 1
				       : -1;
		repl_shard_flush_deferred(rt); /* it waits for their decision: send them */
	}
	/* another transaction's entries are undecided until it ends, whatever
	 * keys they hold */
	if (!repl_lock_gates(rt, tx) && key && t->dist_col >= 0 && !key_undecided(t, rt, key))
		return 0;
	return park_reader(rt, mur_now_us(), 0, 0, resume, arg, err) == MUR_OK ? 1 : -1;
}

int repl_read_reserve(repl_ctx *c, const cat_table *t, uint32_t shard, uint64_t since_us,
		      repl_resume_fn resume, void *arg, mur_error *err)
{
	repl_shard *rt = repl_shard_get(c, t->id, shard);
	if (!rt) {
		mur_error_set(err, SQLSTATE_OUT_OF_MEMORY, "out of memory");
		return -1;
	}
	return park_reader(rt, since_us, 1, 0, resume, arg, err) == MUR_OK ? 1 : -1;
}

/* Lift the gate of op's shard once no write in flight is undecided, and
 * resume the reads parked on it. */
static void ungate(repl_wop *op)
{
	repl_shard *rt = op_rt(op);
	if (!rt)
		return;
	for (const repl_wop *x = rt->fhead; x; x = x->fnext)
		if (wop_undecided(x))
			return;
	rt->gated = 0;
	repl_resume_readers(rt);
}

void repl_resume_readers(repl_shard *rt)
{
	if (rt->gated)
		return;
	resume_parked(rt, 0);
}

/* ---- op lifecycle ---- */

/* The kind of entry op logs (wire/task.h). */
static uint8_t op_entry_kind(const repl_wop *op)
{
	return op->staged         ? EXEC_ENTRY_STAGED
	       : op->marker       ? EXEC_ENTRY_COMMIT
	       : op->facts.is_ddl ? EXEC_ENTRY_DDL
				  : EXEC_ENTRY_DATA;
}

/* Freed write ops (5 KiB) kept for the next writes (common/recycle.h). */
static _Thread_local mur_recycler wop_bin = {.size = sizeof(repl_wop)};

static void op_free(repl_wop *op)
{
	repl_wop *m = op->members;
	while (m) {
		repl_wop *next = m->member_next;
		op_free(m);
		m = next;
	}
	free(op->sql);
	free(op->staged);
	free(op->params);
	mur_buf_free(&op->scratch);
	mur_buf_free(&op->rows);
	exec_result_free(&op->primary);
	mur_recycle_free(&wop_bin, op);
}

/* Keep the shard's row estimate (murphy.shards, the shuffle's cost
 * model) moving with inserts and deletes; ANALYZE and murphy.shards set it
 * exactly. */
static void track_rows(repl_wop *op, uint64_t changes)
{
	cat_table *t = cat_table_by_id(op->c->cat, op->table_id);
	cat_shard *s;
	if (!t || op->shard >= t->nshards || op->failed || !changes)
		return;
	s = &t->shards[op->shard];
	if (op->facts.is_delete) /* also DELETE ... USING, which sends rows */
		cat_shard_set_rows(op->c->cat, op->table_id, op->shard,
				   s->rows > changes ? s->rows - changes : 0);
	else if (op->nrows)
		cat_shard_set_rows(op->c->cat, op->table_id, op->shard, s->rows + changes);
}

static void op_report(repl_wop *op)
{
	if (op->reported)
		return;
	op->reported = 1;
	track_rows(op, op->members ? 0 : op->primary.changes);
	if (op->members) {
		/* a group: every member inserted all its rows, or the group failed
		 * as a whole (data errors never reach here: see op_done) */
		for (repl_wop *m = op->members; m; m = m->member_next) {
			exec_result r;
			exec_result_init(&r);
			r.changes = op->failed ? 0 : m->nrows;
			track_rows(m, r.changes);
			r.lsn = op->lsn;
			m->reported = 1;
			if (m->cb)
				m->cb(m->cb_arg, m, op->failed, &op->err, &r);
		}
		return;
	}
	if (op->cb)
		op->cb(op->cb_arg, op, op->failed, &op->err, &op->primary);
}

/* May op's client hear the primary before the quorum (report_early)?  A
 * block's write (facts.pipelined) on its own: not a commit marker (its
 * answer is the commit) and not a group (its members are reported at the
 * group's decision).  A row insert asks its primary for an early answer
 * only then (start_primary): for anything else nobody waits for it, and a
 * follower syncs a group with an early answer on a pool thread, which
 * costs plain inserts more than it saves (docs/decisions.md, "Follower
 * writes run on the loop thread"). */
static int answers_early(const repl_wop *op)
{
	return op->facts.pipelined && op->facts.txn && !op->marker && !op->members;
}

/* Does op, a shipped write its primary answered early, keep its APPLYs
 * back until its transaction's COMMIT (murphy.replica_batch, "Replica
 * batches" in docs/transactions.md)?  A block's UPDATE or DELETE: its
 * replicas get it in the same frame as the transaction's staging or commit
 * marker, in one write batch (one fsync) with it.  Anything that must
 * wait for it sends it first (repl_shard_flush_deferred); the next holder
 * of a hot shard does not wait for it: it follows the staging marker and
 * the entries it rides on (rides_marker), so a kept entry holds no other
 * writer back. */
static int defers(const repl_wop *op)
{
	return answers_early(op) && !op->parallel && repl_txn_batches(op->facts.txn);
}

/* Does op, a row insert of a block, run on its primary alone and go to
 * the replicas as the primary's changeset, kept for the transaction's
 * COMMIT like an UPDATE's (defers)?  With murphy.replica_batch, when its
 * rows are small enough to join a write batch: every copy running it at
 * once would cost each replica its own wakeup, batch and fsync per
 * statement, where the kept changeset rides on the marker's.  A group
 * (queued inserts of one transaction) stays parallel. */
static int held_insert(const repl_wop *op)
{
	return op->facts.pipelined && op->facts.txn && repl_txn_batches(op->facts.txn) &&
	       op->rows.len <= REPL_PIPELINE_BYTES_MAX;
}

/* Is op a blind insert ("Blind inserts" in docs/transactions.md)?  A row
 * insert of a block that cannot fail on a copy (facts.blind: the leader
 * computed and checked every value, and the table has no unique key,
 * CHECK or foreign key), small enough to be kept (held_insert), without
 * RETURNING or ON CONFLICT, not a group: it takes the shard's lock as any
 * write, is answered at once (its row count) and kept on the leader
 * (keep_blind) until something needs it (repl_shard_flush_deferred: its
 * COMMIT's marker, the holder's next write or read of the shard, an undo,
 * a catch-up, DDL), then sent to every copy as a parallel row insert
 * (send_blind).  Every copy runs the same rows, so it fails there only for
 * the copy's own reasons (disk, memory), as a marker may; if it misses its
 * quorum its transaction is doomed (it was answered early) and the COMMIT
 * fails. */
static int blind_insert(const repl_wop *op)
{
	return op->facts.blind && held_insert(op) && op->nrows > 0 && op->sql &&
	       !op->facts.returns_rows && !op->facts.may_skip_rows && !op->facts.is_ddl &&
	       !op->members && !op->marker;
}

/* A block's write (an UPDATE or DELETE shipped to the copies, or a row
 * insert every copy runs at once) that the primary has logged (its early
 * answer: committed in SQLite, not yet durable): the client hears the
 * primary's answer now; the transaction's COMMIT waits for the quorum, and
 * a missed quorum dooms it (repl.h, "Pipelined writes").  op stays in
 * flight: the callback cannot free it.  A failed op, one that changed
 * nothing on the primary (its copies decide it) and a group answer at
 * their decision as before. */
static void report_early(repl_wop *op)
{
	if (!answers_early(op) || op->failed || op->noop || op->reported ||
	    op->state != REPL_WOP_REPLICATING)
		return;
	op->early = 1;
	MUR_TRACE("ans", repl_txn_id(op->facts.txn), (uint64_t)op->table_id << 32 | op->shard);
	op_report(op);
}

/* op will not commit: keep the first error; an op in flight waits in
 * FAILING for its answers. */
static void op_fail(repl_wop *op, const mur_error *err)
{
	if (!op->failed) {
		op->failed = 1;
		op->err = *err;
		/* its client heard success, or its transaction's COMMIT began
		 * while it was in flight (an autocommit COPY's, with its batches:
		 * sent_with): the transaction must not commit.  Not a marker: a
		 * decided transaction's is retried, a staging marker's failure
		 * aborts its transaction by itself (repl_lock.c) */
		if (op->early ||
		    (op->facts.txn && !op->marker && repl_txn_committing(op->facts.txn)))
			repl_txn_doom(op->facts.txn, err);
	}
	op->deferred = 0; /* its replicas need not get it: the undo reaches its holders */
	if (op->state == REPL_WOP_PRIMARY || op->state == REPL_WOP_REPLICATING)
		wop_set_state(op, REPL_WOP_FAILING);
}

static void start_next(repl_ctx *c, cat_table *t, uint32_t shard);
static int sql_error(const mur_error *e);

/* A group hit a data error (say a duplicate key in one member's rows):
 * put its members back at the front of the queue, each to run alone, so
 * only the guilty one fails. */
static void ungroup(repl_wop *op)
{
	repl_shard *rt = op_rt(op);
	repl_wop *last = NULL;
	for (repl_wop *m = op->members; m; m = m->member_next) {
		m->no_merge = 1;
		last = m;
	}
	if (!rt || !last)
		return;
	for (repl_wop *m = op->members; m; m = m->member_next)
		m->next = m->member_next ? m->member_next : rt->qhead;
	if (!rt->qhead)
		rt->qtail = last;
	rt->qhead = op->members;
	op->members = NULL;
	op->reported = 1;
}

static void flight_remove(repl_shard *rt, repl_wop *op)
{
	repl_wop *prev = NULL;
	for (repl_wop *x = rt->fhead; x; prev = x, x = x->fnext) {
		if (x != op)
			continue;
		if (prev)
			prev->fnext = x->fnext;
		else
			rt->fhead = x->fnext;
		if (rt->ftail == x)
			rt->ftail = prev;
		x->fnext = NULL;
		return;
	}
}

/* Did a task go out and its answer never come back (08006: the link
 * closed; 57014: its deadline passed)?  The copy may have applied it.
 * Not when its frame never left the leader (res->unsent: it waited in the
 * link's queues when the link closed, cluster/route.c): that copy cannot
 * hold the entry, for certain. */
static int answer_lost(const exec_result *res)
{
	return res->failed && !res->unsent &&
	       (strcmp(res->err.sqlstate, SQLSTATE_CONNECTION_FAILURE) == 0 ||
		strcmp(res->err.sqlstate, SQLSTATE_QUERY_CANCELED) == 0);
}

/* Did a copy commit the entry in SQLite and then fail to make it durable
 * (58030: its follower WAL's fsync failed)?  Its copy may hold the entry,
 * or lose it in a crash: not LAGGING (catch-up would build on it) but
 * DIVERGENT (recovery undoes it to the committed entry, or finds it holds
 * that, when it reports). */
static int io_failed(const exec_result *res)
{
	return res->failed && strcmp(res->err.sqlstate, SQLSTATE_IO_ERROR) == 0;
}

/* Could the copies that may hold op's entry unanswered (op->unknown: it
 * was sent to them and no answer came, or their undo failed; never a copy
 * it was not sent to, whose frame never left, or that refused it) make a
 * restarted leader keep it?  Any one for an entry or a commit marker: a
 * restart takes the newest copy (decide_committed).  A staging marker
 * counts only at its write quorum: a restart commits its transaction only
 * when `required` copies of every participant answer staged
 * (repl_staged.c, staged_decide), and the copies that answered holding it
 * were undone before this op is done.  So fewer unknown copies than that
 * leave its failure certain (40000 for the COMMIT: repl_lock.c,
 * staged_abort). */
static int outcome_uncertain(repl_wop *op)
{
	cat_shard *s = op_shard(op, NULL);
	for (int i = 0; i < op->nheld_before; i++) {
		const cat_placement *p = s ? cat_placement_on(s, op->held_before[i]) : NULL;
		if (!p || p->state == CAT_PL_DIVERGENT)
			op->unknown++; /* its undo failed, or nothing says it ran */
	}
	op->nheld_before = 0;
	if (op->unknown <= 0)
		return 0;
	return !op->staged || op->unknown >= op->required;
}

/* A failed op that some copy may still hold: the client must not read the
 * failure as "not applied".  While this leader runs, such a copy is rolled
 * back when it returns (it is ahead of the committed entry); a leader that
 * restarts first may find it the newest copy and commit it
 * (repl_recover.c, decide_committed).  So: 40003, outcome unknown. */
static void outcome_unknown(repl_wop *op)
{
	mur_error err;
	mur_error_set(&err, SQLSTATE_STATEMENT_COMPLETION_UNKNOWN,
		      "the outcome of the write to shard %u is unknown: %d cop%s may hold it "
		      "without "
		      "answering",
		      op->shard, op->unknown, op->unknown == 1 ? "y" : "ies");
	mur_error_detail(&err, "%s", op->err.message);
	mur_error_hint(&err, "check whether the change is there before retrying it");
	op->err = err;
}

/* The op is over: report if not yet, free it, start the shard's next op. */
static void op_done(repl_wop *op)
{
	repl_ctx *c = op->c;
	cat_table *t;
	cat_shard *s = op_shard(op, &t);
	uint32_t table_id = op->table_id, shard = op->shard;
	repl_shard *rt;
	if (op->members && op->failed && !op->reported && s && sql_error(&op->err))
		ungroup(op);
	if (op->failed && op->state != REPL_WOP_COMMITTED && outcome_uncertain(op))
		outcome_unknown(op);
	op_report(op);
	if (s && (rt = op_rt(op))) {
		flight_remove(rt, op);
		rt->busy--;
	}
	if (op->state != REPL_WOP_DONE) /* a failed op without an undo is there already */
		wop_set_state(op, REPL_WOP_DONE);
	op_free(op);
	if (!s)
		return;
	start_next(c, t, shard);
	rt = repl_shard_find(c, table_id, shard);
	if (rt && rt->lock)
		repl_lock_shard_settled(c, rt); /* a COMMIT may wait for this op */
	if (c->nwaiters && (!rt || !rt->busy))
		repl_resume_waiters(c); /* a DROP TABLE may be waiting for this shard */
}

static void add_missing(repl_wop *op, const char *name)
{
	size_t n = strlen(op->missing);
	if (strstr(op->missing, name))
		return;
	snprintf(op->missing + n, sizeof op->missing - n, "%s\"%s\"", n ? ", " : "", name);
}

/* A copy refused a write: the WRITE said which LSN its entry must get, and
 * the copy was not just below it (res->lsn says where it was). */
static int refused(const exec_result *res)
{
	return res->failed &&
	       strcmp(res->err.sqlstate, SQLSTATE_OBJECT_NOT_IN_PREREQUISITE_STATE) == 0;
}

#define REPL_REFUSAL_LOGS_PER_S 5 /* a refusal can repeat in a retry loop */

/* What op's entry is, for a log line. */
static const char *wop_kind(const repl_wop *op)
{
	if (op->staged)
		return "staging marker";
	if (op->marker)
		return "commit marker";
	if (op->lock_only)
		return "lock";
	return op->txn_id ? "transaction entry" : "entry";
}

static repl_wop *open_ahead(repl_wop *op);

/* Log why a copy refused op's entry (table, shard, node, the LSN the
 * WRITE asked for and the one the copy was at, the copy's message).  A
 * copy behind op's base while an entry ahead of op is still in flight is
 * expected (that entry may fail there: a duplicate key in a pipelined
 * insert; the ops behind it go back to the queue): DEBUG.  Any other
 * refusal means a copy missed a committed entry, diverged, or the leader
 * sent an entry out of the shard's order: WARN.  At most
 * REPL_REFUSAL_LOGS_PER_S lines written a second; the next line counts
 * those left out. */
static void log_refusal(repl_wop *op, uint32_t node_id, const exec_result *res)
{
	repl_ctx *c = op->c;
	int expected = res->lsn <= op->base && open_ahead(op) != NULL;
	mur_log_level level = expected ? MUR_LOG_DEBUG : MUR_LOG_WARN;
	if (level < mur_log_threshold)
		return;
	uint64_t now_ms = mur_now_ms();
	if (now_ms - c->refusal_window_ms >= 1000) {
		c->refusal_window_ms = now_ms;
		c->refusals_logged = 0;
	}
	if (c->refusals_logged >= REPL_REFUSAL_LOGS_PER_S) {
		c->refusals_unlogged++;
		return;
	}
	c->refusals_logged++;
	char left_out[64] = "";
	if (c->refusals_unlogged)
		snprintf(left_out, sizeof left_out,
			 " (%u more refusals not logged before this one)", c->refusals_unlogged);
	cat_table *t = cat_table_by_id(c->cat, op->table_id);
	mur_log_write(level, "repl",
		      "%s refused the %s of table %s shard %u (txn %llu): sent as lsn %llu on top "
		      "of %llu, the copy is at %llu: %s%s%s",
		      cat_node_name(c->cat, node_id), wop_kind(op), t ? t->name : "?", op->shard,
		      (unsigned long long)op->txn_id, (unsigned long long)(op->base + 1),
		      (unsigned long long)op->base, (unsigned long long)res->lsn, res->err.message,
		      expected ? " (an entry ahead of it is in flight)" : "", left_out);
	c->refusals_unlogged = 0;
}

/* What op's client hears of a copy's failed answer.  A copy that refused
 * the entry because another transaction is open in its log (25000,
 * EXEC_SQLSTATE_TXN_ORDER: the shard's order broken, a leader bug, e.g. a
 * committed transaction's marker missing after a restart) wrote nothing:
 * its message is internal, so the client hears 08006 "not applied; retry"
 * naming the follower, and the refusal is logged.  Anything else as the
 * copy said it. */
static const mur_error *client_error(repl_wop *op, uint32_t node_id, const exec_result *res,
				     mur_error *e2)
{
	if (strcmp(res->err.sqlstate, EXEC_SQLSTATE_TXN_ORDER) != 0)
		return &res->err;
	log_refusal(op, node_id, res);
	mur_error_set(e2, SQLSTATE_CONNECTION_FAILURE,
		      "write to shard %u was not applied: its copy holds another transaction "
		      "open; retry",
		      op->shard);
	mur_error_detail(e2, "follower \"%s\" refused it; nothing was written",
			 cat_node_name(op->c->cat, node_id));
	return e2;
}

/* A copy refused op: ahead of the shard, its history differs; behind, it
 * lacks an entry before op's.  Which entry, and whether that one was
 * committed, is known when op is decided: the copy missed a committed
 * entry exactly when op commits (mark_refusers). */
static void note_refusal(repl_wop *op, cat_placement *p, uint32_t node_id, const exec_result *res)
{
	log_refusal(op, node_id, res);
	add_missing(op, cat_node_name(op->c->cat, node_id));
	if (!p)
		return;
	if (res->lsn > op->base) {
		cat_placement_set_state(p, CAT_PL_DIVERGENT);
		return;
	}
	if (op->state == REPL_WOP_COMMITTED) {
		if (p->state == CAT_PL_CURRENT)
			cat_placement_set_state(p, CAT_PL_LAGGING);
	} else if (op->nrefusers < CAT_REPLICAS_MAX) {
		op->refusers[op->nrefusers++] = node_id;
	}
}

/* A copy ran op's statement and failed (no refusal, no lost answer, no
 * I/O error): its SQLite transaction rolled back, so it holds nothing of
 * op's entry, and lacks it exactly when op commits (mark_refusers; now,
 * when op committed already).  When op fails instead, the error is the
 * statement's — the copies answered what the primary did (a constraint,
 * or SQLite refusing the statement, XX000) — and no copy is marked: the
 * table's next write finds them all current (test_upsert.py). */
static void note_failure(repl_wop *op, cat_placement *p, uint32_t node_id)
{
	add_missing(op, cat_node_name(op->c->cat, node_id));
	if (op->state == REPL_WOP_COMMITTED) {
		if (p->state == CAT_PL_CURRENT)
			cat_placement_set_state(p, CAT_PL_LAGGING);
	} else if (op->nrefusers < CAT_REPLICAS_MAX) {
		op->refusers[op->nrefusers++] = node_id;
	}
}

static void mark_refusers(repl_wop *op, cat_shard *s)
{
	for (int i = 0; i < op->nrefusers; i++) {
		cat_placement *p = cat_placement_on(s, op->refusers[i]);
		if (p && p->state == CAT_PL_CURRENT)
			cat_placement_set_state(p, CAT_PL_LAGGING);
	}
}

/* ---- pipelining: several row inserts of one shard in flight ----
 *
 * Entry n+1 is sent before entry n is decided; every copy logs it only on
 * top of entry n (the WRITE carries the LSN it must get).  So a copy that
 * holds n+1 holds n, its answers come in LSN order, and the entries are
 * decided in LSN order: an op waits while one ahead of it is undecided.
 * When an op fails, the ops behind it were built on its entry: once all
 * their answers are in, they go back to the queue (nobody was answered)
 * and the undo of the failed op rolls their copies back with its own. */

/* The first op in flight ahead of op that is not committed, or NULL. */
static repl_wop *open_ahead(repl_wop *op)
{
	cat_shard *s = op_shard(op, NULL);
	const repl_shard *rt = s ? repl_shard_find(op->c, op->table_id, op->shard) : NULL;
	for (repl_wop *x = rt ? rt->fhead : NULL; x && x != op; x = x->fnext)
		if (x->state != REPL_WOP_COMMITTED)
			return x;
	return NULL;
}

static void check_decision(repl_wop *op);
static void parallel_check(repl_wop *op);

/* Look at op again: an op ahead of it was decided, or is failing and
 * waits for the answers of those behind it.  The caller must not touch
 * the op it was handling afterwards (it may be decided, freed or queued
 * again). */
static void recheck(repl_wop *op)
{
	if (op->parallel)
		parallel_check(op);
	else
		check_decision(op);
}

static void add_holder(repl_wop *op, uint32_t node_id)
{
	for (int i = 0; i < op->nholders; i++)
		if (op->holders[i] == node_id)
			return;
	if (op->nholders < CAT_REPLICAS_MAX)
		op->holders[op->nholders++] = node_id;
}

/* Forget what a run of op decided, so that it can start again.  A
 * marker keeps its count of copies that may hold it unanswered: they may
 * log the transaction's decision, so if it then fails (as doomed, say,
 * behind a held entry that missed its quorum) its outcome is unknown
 * (40003), not a certain rollback; and the copies that held it, which the
 * failed op ahead undoes: one whose undo fails may keep it. */
static void op_reset(repl_wop *op)
{
	int unknown = op->marker ? op->unknown : 0;
	for (int i = 0; op->marker && i < op->nholders && op->nheld_before < CAT_REPLICAS_MAX; i++)
		op->held_before[op->nheld_before++] = op->holders[i];
	wop_set_state(op, REPL_WOP_QUEUED);
	op->entry_id = op->lsn = op->base = op->copy_changes = 0;
	exec_result_free(&op->primary);
	exec_result_init(&op->primary);
	op->acks = op->pending = op->undo_pending = op->nholders = op->nrefusers = 0;
	op->unknown = unknown;
	op->failed = op->primary_in = op->primary_refused = op->noop = op->unsynced = 0;
	op->early_kept = op->deferred = op->blind = op->sync_asked = 0;
	op->missing[0] = '\0';
	memset(&op->err, 0, sizeof op->err);
	op->fnext = op->next = NULL;
}

/* Put the ops of list (linked through fnext) back at the front of the
 * queue, in order; a group gives back its members. */
static void requeue(repl_shard *rt, repl_wop *list)
{
	repl_wop *head = NULL, *tail = NULL, *next;
	for (repl_wop *x = list; x; x = next) {
		repl_wop *first = x, *last = x;
		next = x->fnext;
		if (x->members) {
			first = x->members;
			for (last = first; last->member_next; last = last->member_next)
				last->next = last->member_next;
			x->members = NULL;
			x->reported = 1;
			op_free(x);
		} else {
			op_reset(x);
		}
		last->next = NULL;
		if (tail)
			tail->next = first;
		else
			head = first;
		tail = last;
	}
	if (!head)
		return;
	tail->next = rt->qhead;
	if (!rt->qhead)
		rt->qtail = tail;
	rt->qhead = head;
}

/* op failed first in the shard's pipeline.  Once every answer of the ops
 * behind it is in, queue them again and count the copies holding their
 * entries (which hold op's too) as op's holders, for its undo.  Returns 1
 * while answers are missing. */
static int drain_followers(repl_wop *op)
{
	cat_shard *s = op_shard(op, NULL);
	repl_shard *rt = s ? repl_shard_find(op->c, op->table_id, op->shard) : NULL;
	repl_wop *first;
	if (!rt || !op->fnext)
		return 0;
	for (repl_wop *x = op->fnext; x; x = x->fnext)
		if (x->blind != REPL_BLIND_KEPT &&
		    (x->pending > 0 ||
		     (x->parallel ? !x->primary_in : x->state == REPL_WOP_PRIMARY)))
			return 1; /* a shipped write (behind a pending marker): its primary's */
	first = op->fnext;
	op->fnext = NULL;
	rt->ftail = op;
	for (repl_wop *x = first; x; x = x->fnext) {
		for (int i = 0; i < x->nholders; i++)
			add_holder(op, x->holders[i]);
		rt->busy--;
	}
	if (!op->lsn)
		op->lsn = op->base + 1; /* the undo's target is the shard's lsn before op */
	MLOG(INFO, "repl",
	     "shard %u: entry %llu failed; the writes sent behind it are queued again", op->shard,
	     (unsigned long long)op->lsn);
	requeue(rt, first);
	return 0;
}

static void undo_done(void *arg, exec_result *res);

/* The quorum can no longer be reached: invert entry lsn on every copy
 * holding it, then fail the client. */
static void start_undo(repl_wop *op)
{
	cat_shard *s = op_shard(op, NULL);
	mur_error err;
	mur_error_set(&err, SQLSTATE_CONNECTION_FAILURE,
		      "write to shard %u reached %d of the %d copies write_quorum '%s' requires; "
		      "it was undone",
		      op->shard, op->acks, op->required, repl_quorum_name(op->q));
	if (op->missing[0])
		mur_error_detail(&err, "not written on: %s", op->missing);
	mur_error_hint(&err,
		       "retry when the followers are back, or SET murphy.write_quorum = 'one'");
	op_fail(op, &err);
	wop_set_state(op, REPL_WOP_UNDOING);
	for (int i = 0; i < op->nholders && s; i++) {
		cat_table *t = cat_table_by_id(op->c->cat, op->table_id);
		exec_task task;
		wop_ref *ref = malloc(sizeof *ref);
		repl_shard_task(&task, EXEC_TASK_UNDO, t, op->shard);
		task.lsn = op->lsn - 1;
		if (!ref)
			continue;
		ref->op = op;
		ref->node_id = op->holders[i];
		if (op->c->tr.send(op->c->tr.ctx, op->holders[i], &task, undo_done, ref, &err) !=
		    MUR_OK) {
			cat_placement *p = cat_placement_on(s, op->holders[i]);
			if (p)
				cat_placement_set_state(p, CAT_PL_DIVERGENT);
			op->unknown++; /* it holds the entry until recovery undoes it */
			free(ref);
			continue;
		}
		op->undo_pending++;
	}
	if (op->undo_pending == 0) {
		if (s)
			ungate(op);
		op_done(op);
	}
}

/* A task callback's argument: the op, and the copy the task went to (its
 * shard and placement, NULL when the table or copy is gone).  Frees ref. */
static repl_wop *take_ref(void *arg, uint32_t *node_id, cat_shard **s, cat_placement **p)
{
	wop_ref *ref = arg;
	repl_wop *op = ref->op;
	*node_id = ref->node_id;
	free(ref);
	*s = op_shard(op, NULL);
	*p = *s ? cat_placement_on(*s, *node_id) : NULL;
	return op;
}

/* node_id now durably holds entry op->lsn: count it toward the quorum. */
static void hold(repl_wop *op, cat_placement *p, uint32_t node_id)
{
	op->acks++;
	if (op->nholders < CAT_REPLICAS_MAX)
		op->holders[op->nholders++] = node_id;
	if (p) {
		p->applied_lsn = op->lsn;
		p->entry_id = op->entry_id;
		repl_heard(op->c, p);
		cat_placement_set_lsn(op->c->cat, op->table_id, op->shard, node_id, op->lsn);
	}
}

static void undo_done(void *arg, exec_result *res)
{
	uint32_t node_id;
	cat_shard *s;
	cat_placement *p;
	repl_wop *op = take_ref(arg, &node_id, &s, &p);
	if (p) {
		if (res->failed) {
			MLOG(WARN, "repl", "undo of entry %llu on %s failed: %s",
			     (unsigned long long)op->lsn, cat_node_name(op->c->cat, p->node_id),
			     res->err.message);
			cat_placement_set_state(p, CAT_PL_DIVERGENT);
			op->unknown++;
		} else {
			p->applied_lsn = res->lsn;
			p->entry_id = repl_entry_at(op->c, op->table_id, s, res->lsn);
			repl_heard(op->c, p);
		}
	}
	if (--op->undo_pending == 0) {
		if (s)
			ungate(op);
		op_done(op);
	}
}

/* Decide as soon as the outcome is certain (and every op ahead of it in
 * the shard's pipeline is committed). */
/* The fault point txn_stage_fail_chained (repl_lock.c, fault_fail_chained)
 * holds op, a chained staging marker, undecided until a staging marker of
 * another transaction behind it is logged by every copy it went to
 * (returns 0 meanwhile); then op fails as a quorum missed late: the ops
 * behind it go back to the queue and its copies are undone with their
 * entries (parallel_check: drain_followers, start_undo), certain (08006).
 * Returns 1 when op failed (the caller must not touch it again). */
static int fault_fail_due(repl_wop *op)
{
	const repl_wop *z = op->fnext;
	mur_error err;
	while (z && !(z->marker && z->staged && z->txn_id != op->txn_id))
		z = z->fnext;
	if (!z || z->pending > 0 || !z->primary_in || op->pending > 0 || !op->primary_in)
		return 0;
	op->fault_fail = 0;
	MLOG(WARN, "txn",
	     "fault point txn_stage_fail_chained: the staging marker of transaction %llu on "
	     "shard %u failed (transaction %llu's behind it)",
	     (unsigned long long)op->txn_id, op->shard, (unsigned long long)z->txn_id);
	mur_error_set(&err, SQLSTATE_CONNECTION_FAILURE,
		      "fault point txn_stage_fail_chained: the staging marker on shard %u failed",
		      op->shard);
	op_fail(op, &err);
	parallel_check(op);
	return 1;
}

static void check_decision(repl_wop *op)
{
	cat_table *t;
	cat_shard *s = op_shard(op, &t);
	repl_wop *ahead;
	int decided_now = 0;
	if (op->state == REPL_WOP_QUEUED || (op->state == REPL_WOP_PRIMARY && !op->parallel))
		return; /* behind a decided op: its primary has not answered yet (primary_done) */
	if (op->blind == REPL_BLIND_KEPT)
		return; /* no copy has it: decided once sent (send_blind) */
	ahead = wop_undecided(op) ? open_ahead(op) : NULL;
	if (ahead) {
		recheck(ahead);
		return;
	}
	if (op->fault_fail && wop_undecided(op) && !op->failed) {
		fault_fail_due(op); /* tests: held undecided, or failed now */
		return;
	}
	if (wop_undecided(op) && op->acks >= op->required) {
		repl_ctx *c = op->c;
		repl_shard *rt = op_rt(op);
		assert(op->acks >= 1 && op->lsn > 0); /* a commit has a copy holding its entry */
		wop_set_state(op, REPL_WOP_COMMITTED);
		decided_now = 1;
		if (s) {
			repl_committed(op->c, op->table_id, s, op->lsn, op->entry_id);
			mark_refusers(op, s);
			ungate(op);
			if (rt && rt->lock && rt->nreaders)
				resume_holder_reads(c, t, rt);
		}
		op_report(op);
		if (op->fnext)
			recheck(op->fnext); /* it may have its quorum already */
		if (rt && rt->lock && op->facts.txn == rt->lock && !op->marker) {
			/* a COMMIT may wait for this entry's quorum; it may send its
			 * marker behind op, which then waits for the rest of the
			 * answers as before */
			repl_lock_shard_settled(c, rt);
		}
	}
	if (wop_undecided(op) && !op->deferred && op->acks + op->pending < op->required) {
		/* after the replies in flight, so holders is complete */
		if (op->pending == 0 && !drain_followers(op))
			start_undo(op);
		return;
	}
	if (op->state == REPL_WOP_COMMITTED && op->pending == 0 &&
	    (!op->parallel || op->primary_in))
		op_done(op); /* starts the next op */
	else if (decided_now && s)
		start_next(op->c, t, op->shard); /* one may start behind op (lock_can_pipeline) */
}

static void apply_done(void *arg, exec_result *res)
{
	uint32_t node_id;
	cat_shard *s;
	cat_placement *p;
	repl_wop *op = take_ref(arg, &node_id, &s, &p);
	op->pending--;
	if (!res->failed && res->lsn == op->lsn) {
		hold(op, p, node_id);
	} else if (p) {
		cat_placement_set_state(p, io_failed(res) ? CAT_PL_DIVERGENT : CAT_PL_LAGGING);
		op->unknown += answer_lost(res);
		add_missing(op, cat_node_name(op->c->cat, node_id));
		MLOG(INFO, "repl", "%s missed entry %llu of shard %u: %s",
		     cat_node_name(op->c->cat, node_id), (unsigned long long)op->lsn, op->shard,
		     res->failed ? res->err.message : "wrong lsn");
	}
	check_decision(op);
}

/* Ship op's entry (the primary's changeset) to every other current copy;
 * the caller checks the decision after (check_decision). */
static void send_applies(repl_wop *op)
{
	cat_table *t;
	cat_shard *s = op_shard(op, &t);
	mur_error err;
	for (int k = 0; s && k < s->nplacements; k++) {
		cat_placement *p = &s->placements[k];
		exec_task task;
		wop_ref *ref;
		if (p->node_id == op->holders[0])
			continue; /* the copy that ran the statement (the primary when it started) */
		/* behind ops in flight (op is not the first), a current copy may
		 * not have answered their entries yet: it was sent them, and
		 * refuses this one if it lacks one (the APPLY names its LSN) */
		if (p->state != CAT_PL_CURRENT || !repl_connected(op->c, p->node_id) ||
		    (p->applied_lsn != op->lsn - 1 && op_rt(op)->fhead == op)) {
			if (p->state == CAT_PL_CURRENT)
				cat_placement_set_state(p, CAT_PL_LAGGING);
			add_missing(op, cat_node_name(op->c->cat, p->node_id));
			continue;
		}
		repl_shard_task(&task, EXEC_TASK_APPLY, t, op->shard);
		task.lsn = op->lsn;
		task.entry_id = op->entry_id;
		task.txn_id = op->txn_id;
		task.entry_kind = op_entry_kind(op);
		task.blob = op->staged ? op->staged : op->primary.blob.data;
		task.blob_len = op->staged ? strlen(op->staged) : op->primary.blob.len;
		ref = malloc(sizeof *ref);
		if (!ref)
			continue;
		ref->op = op;
		ref->node_id = p->node_id;
		if (op->c->tr.send(op->c->tr.ctx, p->node_id, &task, apply_done, ref, &err) !=
		    MUR_OK) {
			free(ref);
			cat_placement_set_state(p, CAT_PL_LAGGING);
			add_missing(op, cat_node_name(op->c->cat, p->node_id));
			continue;
		}
		op->pending++;
	}
}

/* ---- parallel ops: row inserts run on every current copy at once ----
 *
 * INSERTs of explicit values (INSERT ... VALUES, INSERT ... SELECT, COPY:
 * the leader has already evaluated every value, default and row id) give
 * the same rows on every copy, so instead of shipping the primary's
 * changeset afterwards, the leader sends the same WRITE (same entry id) to
 * every current copy at once: one round of fsyncs instead of two.  A
 * transaction's commit marker (no SQL, no data) goes the same way.  The
 * primary's answer is the client's; quorum and undo work as for shipped
 * entries.  A copy whose answer differs from the primary's is marked
 * lagging or divergent and repaired by recovery. */

/* An error the statement itself raises, alike on every copy that holds
 * the same rows: class 22 (data exception: a bad value, division by
 * zero), 23 (integrity constraint violation) and 42 (syntax error or
 * access rule violation: an undefined column, a type mismatch).  Nothing
 * else counts: 40003 (completion unknown) is the leader's own word on a
 * lost answer; 0A000 is raised by the planner, before any copy runs; 53
 * (out of memory, disk full), 54 (a value or nesting past SQLite's limits),
 * 55P03 (lock) and 58 (I/O) may depend on the copy.  (A copy of a parallel
 * op that fails is marked only when the op commits without it:
 * note_failure.) */
static int sql_error(const mur_error *e)
{
	const char *c = e->sqlstate;
	return (c[0] == '2' && (c[1] == '2' || c[1] == '3')) || (c[0] == '4' && c[1] == '2');
}

/* The client's answer to a parallel op without RETURNING is its row count,
 * which every copy reports alike: the op may be decided by whichever
 * copies answer first, the primary or not (the quorum is then the fastest
 * of all copies, not the primary plus the fastest other). */
static int any_copy_answers(const repl_wop *op)
{
	return op->members || (op->sql && !op->facts.returns_rows);
}

static void parallel_check(repl_wop *op)
{
	cat_shard *s = op_shard(op, NULL);
	repl_wop *ahead = wop_undecided(op) ? open_ahead(op) : NULL;
	if (op->blind == REPL_BLIND_KEPT)
		return; /* no copy has it: decided once sent (send_blind) */
	if (ahead) {
		recheck(ahead); /* it decides first; it may wait for this op's answers */
		return;
	}
	if (!op->primary_in) {
		/* the copies may decide it: their answers are the client's, or
		 * the client has the primary's early one */
		if (wop_undecided(op) && !op->failed && op->acks >= op->required &&
		    (any_copy_answers(op) || op->unsynced)) {
			op->primary.changes = op->copy_changes;
			if (op->state == REPL_WOP_PRIMARY)
				wop_set_state(op, REPL_WOP_REPLICATING);
			check_decision(op); /* commits; op_done waits for the primary too */
		}
		return;
	}
	if (op->failed && wop_undecided(op)) {
		if (op->pending > 0 || drain_followers(op))
			return;
		if (op->nholders > 0) {
			start_undo(op);
			return;
		}
		wop_set_state(op, REPL_WOP_DONE); /* nobody holds the entry: nothing to undo */
		if (s)
			ungate(op);
		op_done(op);
		return;
	}
	if (op->noop) {
		if (op->pending > 0 || drain_followers(op))
			return;
		for (int i = 0; i < op->nholders && s; i++) {
			cat_placement *p = cat_placement_on(s, op->holders[i]);
			if (p)
				cat_placement_set_state(
					p,
					CAT_PL_DIVERGENT); /* it changed rows the primary did not */
		}
		wop_set_state(op, REPL_WOP_COMMITTED);
		if (s)
			ungate(op);
		op_done(op);
		return;
	}
	if (op->primary_refused)
		op->primary.changes = op->copy_changes;
	check_decision(op);
}

static void parallel_copy_done(void *arg, exec_result *res)
{
	uint32_t node_id;
	cat_shard *s;
	cat_placement *p;
	repl_wop *op = take_ref(arg, &node_id, &s, &p);
	op->pending--;
	if (!res->failed && res->entry_id == op->entry_id) { /* it logged this entry */
		if (p && res->lsn == op->base + 1) {
			op->lsn = res->lsn;
			op->copy_changes = res->changes;
			hold(op, p, node_id);
		} else if (p) {
			cat_placement_set_state(
				p, CAT_PL_DIVERGENT); /* logged at an lsn the shard is not at */
			add_missing(op, cat_node_name(op->c->cat, node_id));
		}
	} else if (refused(res)) {
		note_refusal(op, p, node_id, res);
	} else if (p && (res->unsent || answer_lost(res) || io_failed(res))) {
		cat_placement_set_state(p, io_failed(res) ? CAT_PL_DIVERGENT : CAT_PL_LAGGING);
		op->unknown += answer_lost(res);
		add_missing(op, cat_node_name(op->c->cat, node_id));
	} else if (p && res->failed) {
		note_failure(op, p, node_id);
	}
	parallel_check(op);
}

/* Keep the primary's answer (rows, changes, changeset).  After an early
 * answer that the op kept but could not act on (a changed-nothing run, an
 * LSN the shard is not at), the rows and changeset are the early one's:
 * the durable answer leaves them out. */
static void keep_primary_answer(repl_wop *op, exec_result *res)
{
	if (op->early_kept) {
		op->primary.lsn = res->lsn;
		op->primary.entry_id = res->entry_id;
		op->primary.changes = res->changes;
		return;
	}
	exec_result_free(&op->primary);
	op->primary = *res;
	exec_result_init(res);
}

/* The primary's durable answer after an early one op acted on: it holds
 * entry n durably (count it), or it does not know (its fsync failed:
 * 58030; its link or deadline was lost): its copy may hold n, so it is not
 * counted, stays among the holders an undo must reach, and is DIVERGENT
 * (recovery undoes it to the committed entry, or finds it holds that, when
 * it reports), never CURRENT with an entry nobody knows is durable.  The
 * caller then looks at the decision: the other copies decide it. */
static void primary_durable(repl_wop *op, cat_placement *p, uint32_t node_id,
			    const exec_result *res)
{
	op->unsynced = 0;
	if (!res->failed && res->lsn == op->lsn && res->entry_id == op->entry_id) {
		hold(op, p, node_id);
		return;
	}
	add_holder(op, node_id);
	add_missing(op, cat_node_name(op->c->cat, node_id));
	if (p)
		cat_placement_set_state(p, CAT_PL_DIVERGENT);
	MLOG(INFO, "repl", "%s (primary) answered entry %llu of shard %u early, then: %s",
	     cat_node_name(op->c->cat, node_id), (unsigned long long)op->lsn, op->shard,
	     res->failed ? res->err.message : "wrong lsn");
}

static void parallel_primary_done(repl_wop *op, cat_shard *s, cat_placement *p, uint32_t node_id,
				  exec_result *res)
{
	op->primary_in = 1;
	if (op->unsynced) { /* after its early answer: count it, or not */
		primary_durable(op, p, node_id, res);
		parallel_check(op);
		return;
	}
	if (refused(res)) {
		note_refusal(op, p, node_id, res);
		if (wop_undecided(op) && any_copy_answers(op)) {
			op->primary_refused = 1; /* the other copies may still commit it */
		} else if (wop_undecided(op)) {
			mur_error e2;
			mur_error_set(&e2, SQLSTATE_CONNECTION_FAILURE,
				      "write to shard %u was not applied: the primary was not "
				      "current; retry",
				      op->shard);
			op_fail(op, &e2);
		}
		parallel_check(op);
		return;
	}
	if (op->state == REPL_WOP_COMMITTED) { /* committed on other copies first: one more copy */
		if (!res->failed && res->lsn == op->base + 1 && res->entry_id == op->entry_id) {
			hold(op, p, node_id);
		} else if (p) {
			/* refused or skipped rows its peers took: its data differs, or
			 * it may have committed before it was lost */
			cat_placement_set_state(p, CAT_PL_DIVERGENT);
			MLOG(INFO, "repl", "%s (primary) missed entry %llu of shard %u: %s",
			     cat_node_name(op->c->cat, node_id), (unsigned long long)op->lsn,
			     op->shard, res->failed ? res->err.message : "wrong lsn");
		}
		parallel_check(op);
		return;
	}
	if (res->failed) {
		if (answer_lost(res) || io_failed(res)) {
			op->unknown++;
			if (p)
				cat_placement_set_state(
					p, CAT_PL_DIVERGENT); /* it may have committed the entry */
		}
		mur_error e2;
		op_fail(op, client_error(op, node_id, res, &e2));
		parallel_check(op);
		return;
	}
	keep_primary_answer(op, res);
	if (op->primary.blob.len == 0 && !op->marker) { /* a marker is an entry without rows */
		op->noop = 1;
	} else if (!s || op->primary.lsn != op->base + 1) {
		mur_error e2;
		if (p)
			cat_placement_set_state(p, op->primary.lsn <= (s ? s->committed_lsn : 0)
							   ? CAT_PL_LAGGING
							   : CAT_PL_DIVERGENT);
		mur_error_set(&e2, SQLSTATE_CONNECTION_FAILURE,
			      "write to shard %u was not applied: the primary was not current; "
			      "retry",
			      op->shard);
		op_fail(op, &e2);
		if (op->nholders < CAT_REPLICAS_MAX)
			op->holders[op->nholders++] = node_id;
		if (!op->lsn)
			op->lsn = op->primary.lsn;
	} else {
		op->lsn = op->primary.lsn;
		hold(op, p, node_id);
	}
	if (op->state == REPL_WOP_PRIMARY) /* else failing, or its copies' answers came first */
		wop_set_state(op, REPL_WOP_REPLICATING);
	report_early(op);
	parallel_check(op);
}

/* Send the primary's WRITE to every other current copy too (task: the
 * primary's, sent already; changed here). */
static void send_parallel(repl_wop *op, exec_task *task, uint32_t primary, int piped)
{
	cat_table *t;
	cat_shard *s = op_shard(op, &t);
	mur_error err;
	/* the primary's task (sent already) made the copies' in place: not
	 * copied per copy (~7.7 KB each, three per row insert) */
	task->capture = EXEC_CAPTURE_LOG; /* answers its position, not the changeset */
	task->early = 0;                  /* and once: only the primary's can answer early */
	for (int k = 0; s && k < s->nplacements; k++) {
		cat_placement *p = &s->placements[k];
		wop_ref *ref;
		if (p->node_id == primary)
			continue;
		/* behind an op in flight, a current copy may not have answered
		 * the entries before this one yet: it refuses this one if it
		 * lacks one of them */
		if (p->state != CAT_PL_CURRENT || (!piped && p->applied_lsn != s->committed_lsn) ||
		    !repl_connected(op->c, p->node_id)) {
			if (p->state == CAT_PL_CURRENT)
				cat_placement_set_state(p, CAT_PL_LAGGING);
			if (p->state != CAT_PL_REBUILDING)
				add_missing(op, cat_node_name(op->c->cat, p->node_id));
			continue;
		}
		ref = malloc(sizeof *ref);
		if (!ref)
			continue;
		ref->op = op;
		ref->node_id = p->node_id;
		if (op->c->tr.send(op->c->tr.ctx, p->node_id, task, parallel_copy_done, ref,
				   &err) != MUR_OK) {
			free(ref);
			cat_placement_set_state(p, CAT_PL_LAGGING);
			add_missing(op, cat_node_name(op->c->cat, p->node_id));
			continue;
		}
		op->pending++;
	}
}

/* The primary answered early and op acted on it (op->lsn is its entry):
 * until its durable answer the primary holds the entry without counting
 * toward the quorum (op->unsynced).  Its copy's position moves in memory
 * only (the lock holder's reads go there); the catalog's moves with the
 * durable answer (hold). */
static void primary_unsynced(repl_wop *op, cat_placement *p)
{
	op->unsynced = 1;
	if (p) {
		p->applied_lsn = op->lsn;
		p->entry_id = op->entry_id;
		repl_heard(op->c, p);
	}
	wop_set_state(op, REPL_WOP_REPLICATING);
}

/* A row insert's early answer (asked for only when its client may hear it:
 * answers_early): the primary ran it on top of op->base and committed it
 * in SQLite.  The client hears it now; the copies were sent the same
 * WRITE at once (send_parallel), so nothing is shipped, and the op is
 * decided, as before, by the copies' durable answers and the primary's
 * (primary_in), which alone counts the primary.  An answer that changed
 * nothing, or logged at an LSN the shard is not at, is kept for its rows
 * and left to the durable answer, which handles it as before. */
static void parallel_primary_early(repl_wop *op, cat_shard *s, cat_placement *p, exec_result *res)
{
	if (op->state != REPL_WOP_PRIMARY)
		return; /* decided by the copies already: the durable answer counts */
	exec_result_free(&op->primary); /* its rows: the durable answer has none */
	op->primary = *res;
	exec_result_init(res);
	op->early_kept = 1;
	if (!s || op->primary.blob.len == 0 || op->primary.lsn != op->base + 1)
		return;
	op->lsn = op->primary.lsn;
	primary_unsynced(op, p);
	report_early(op);
	parallel_check(op);
}

/* The primary's early answer (exec_task.early): it ran the statement and
 * committed entry n in SQLite, not yet durably.  It is the primary's
 * answer for everything but the quorum: the APPLYs go out now and a
 * pipelined write is answered now (a row insert: parallel_primary_early);
 * the primary counts toward the quorum only with its durable answer
 * (unsynced_done), one of `pending` until then.  An early answer the op
 * cannot use as such (a changed-nothing run, an LSN the shard is not at)
 * is left to the durable one, which handles it as before. */
static void primary_early(void *arg, exec_result *res)
{
	wop_ref *ref = arg; /* kept: the final answer comes with it */
	repl_wop *op = ref->op;
	cat_shard *s = op_shard(op, NULL);
	cat_placement *p = s ? cat_placement_on(s, ref->node_id) : NULL;
	if (res->failed)
		return;
	if (op->parallel) {
		parallel_primary_early(op, s, p, res);
		return;
	}
	if (op->state != REPL_WOP_PRIMARY)
		return;
	exec_result_free(&op->primary); /* its rows: the durable answer has none */
	op->primary = *res;
	exec_result_init(res);
	op->early_kept = 1;
	if (!s || (op->primary.blob.len == 0 && !op->marker) || op->primary.lsn != op->base + 1)
		return;
	op->lsn = op->primary.lsn;
	op->pending++; /* the primary's durable answer */
	op->acks = 0;
	op->nholders = 0;
	primary_unsynced(op, p);
	if (defers(op))
		op->deferred = 1; /* sent with its transaction's marker (replica batches) */
	else
		send_applies(op);
	report_early(op);
	check_decision(op);
}

static void unsynced_done(repl_wop *op, cat_placement *p, uint32_t node_id, const exec_result *res)
{
	op->pending--;
	primary_durable(op, p, node_id, res);
	if (op->deferred && op->acks == 0) {
		/* the primary does not hold it durably (lost, fsync failed): the
		 * replicas decide it now, as they would have without the batch */
		op->deferred = 0;
		send_applies(op);
	}
	check_decision(op);
}

static int send_blind(repl_wop *op);
static void fail_unsent(repl_wop *op);

/* Nothing behind x in flight went to a copy: each is not started yet
 * (the marker start_next is starting) or a blind insert never sent. */
static int nothing_sent_behind(const repl_wop *x)
{
	for (const repl_wop *y = x->fnext; y; y = y->fnext)
		if (y->state != REPL_WOP_QUEUED && y->blind != REPL_BLIND_KEPT &&
		    !(y->blind == REPL_BLIND_SENT && y->failed && y->pending == 0 &&
		      y->primary_in && y->nholders == 0))
			return 0;
	return 1;
}

/* Send rt's kept blind inserts, in flight order (after the deferred
 * APPLYs: each goes on top of the shard's tip).  One that could not go
 * out fails with nothing to undo; it is finished once the walk is over.
 * Returns how many went out. */
static int send_kept_blind(repl_shard *rt)
{
	int n = 0;
	for (repl_wop *x = rt->fhead; x; x = x->fnext)
		if (x->blind == REPL_BLIND_KEPT)
			n += send_blind(x) == 0;
	for (int again = 1; again;) {
		again = 0;
		for (repl_wop *x = rt->fhead; x; x = x->fnext)
			if (x->blind == REPL_BLIND_SENT && x->failed && x->pending == 0 &&
			    x->primary_in && x->state == REPL_WOP_FAILING && x->nholders == 0 &&
			    nothing_sent_behind(x)) {
				fail_unsent(x); /* frees x, may start the next op */
				again = 1;
				break;
			}
	}
	return n;
}

int repl_shard_flush_deferred(repl_shard *rt)
{
	int n = 0;
	for (repl_wop *x = rt->fhead; x; x = x->fnext)
		if (x->deferred) {
			x->deferred = 0;
			send_applies(x);
			n++;
		}
	n += send_kept_blind(rt);
	/* one that reached no replica may be impossible now: look again (an
	 * op may be decided and freed by it, so the walk starts over) */
	for (int again = n > 0; again;) {
		again = 0;
		for (repl_wop *x = rt->fhead; x; x = x->fnext)
			if (x->state == REPL_WOP_REPLICATING && x->pending == 0 &&
			    x->acks < x->required) {
				check_decision(x);
				again = x->state == REPL_WOP_REPLICATING ? 0 : 1;
				break;
			}
	}
	return n;
}

static int has_kept_blind(const repl_shard *rt);

int repl_shard_flush_blind(repl_shard *rt)
{
	return has_kept_blind(rt) ? repl_shard_flush_deferred(rt) : 0;
}

int repl_shard_drop_kept(repl_shard *rt, const repl_txn *tx)
{
	int n = 0;
	for (repl_wop *x = rt->fhead; x;) {
		if (x->blind != REPL_BLIND_KEPT || x->facts.txn != tx || !nothing_sent_behind(x)) {
			x = x->fnext;
			continue;
		}
		/* answered, on no copy: its transaction's undo needs nothing of it
		 * (not op_fail: a ROLLBACK TO does not doom the transaction) */
		x->blind = 0;
		x->failed = 1;
		mur_error_set(&x->err, SQLSTATE_TRANSACTION_ROLLBACK,
			      "the insert was rolled back before any copy had it");
		wop_set_state(x, REPL_WOP_FAILING);
		fail_unsent(x); /* frees x, may start the next op */
		n++;
		x = rt->fhead;
	}
	return n;
}

/* The primary refused op, a shipped write: it was not at op's base (the
 * WRITE names the LSN its entry must get; res->lsn: where it was), so it
 * logged nothing.  The copy is marked (behind the committed entry:
 * caught up; ahead of op's base: undone).  Alone in flight and not queued
 * again before, op goes back to the head of its queue and starts again on
 * a current primary (1): its client hears nothing of it.  Otherwise op
 * fails with 08006 "not applied; retry" (0): the copy's LSN message is
 * internal, and nothing was written. */
static int primary_refusal(repl_wop *op, cat_shard *s, cat_placement *p, uint32_t node_id,
			   const exec_result *res)
{
	repl_shard *rt = op_rt(op);
	mur_error e2;
	log_refusal(op, node_id, res);
	if (p && s && res->lsn < s->committed_lsn)
		cat_placement_set_state(p, CAT_PL_LAGGING);
	else if (p && res->lsn > op->base)
		cat_placement_set_state(p, CAT_PL_DIVERGENT);
	if (s && rt && !op->resent && !op->early && !op->members && rt->fhead == op && !op->fnext &&
	    op->state == REPL_WOP_PRIMARY) {
		cat_table *t = cat_table_by_id(op->c->cat, op->table_id);
		flight_remove(rt, op);
		rt->busy--;
		requeue(rt, op);
		op->resent = 1;
		ungate(op);
		start_next(op->c, t, op->shard);
		return 1;
	}
	mur_error_set(&e2, SQLSTATE_CONNECTION_FAILURE,
		      "write to shard %u was not applied: the primary was not current; retry",
		      op->shard);
	mur_error_detail(&e2,
			 "follower \"%s\" refused it: its copy was not where this leader "
			 "recorded it (it is repaired); nothing was written",
			 cat_node_name(op->c->cat, node_id));
	op_fail(op, &e2);
	return 0;
}

static void primary_done(void *arg, exec_result *res)
{
	uint32_t node_id;
	cat_shard *s;
	cat_placement *p;
	repl_wop *op;

	if (res->early) {
		primary_early(arg, res);
		return;
	}
	op = take_ref(arg, &node_id, &s, &p);
	if (op->parallel) {
		parallel_primary_done(op, s, p, node_id, res);
		return;
	}
	if (op->unsynced) {
		unsynced_done(op, p, node_id, res);
		return;
	}
	if (res->failed) {
		if (refused(res) && primary_refusal(op, s, p, node_id, res))
			return; /* queued again */
		op->unknown += answer_lost(res) || io_failed(res);
		if (refused(res)) {
			/* the copy's "is at lsn N" is no client's business */
		} else if (p && (strcmp(res->err.sqlstate, SQLSTATE_CONNECTION_FAILURE) == 0 ||
				 io_failed(res))) {
			/* it may have committed the entry before it was lost */
			cat_placement_set_state(p, CAT_PL_DIVERGENT);
			mur_error e2 = res->err;
			mur_error_detail(&e2, "the write was not acknowledged; the follower's copy "
					      "will be "
					      "checked when it returns");
			op_fail(op, &e2);
		} else {
			mur_error e2;
			op_fail(op, client_error(op, node_id, res, &e2));
		}
		wop_set_state(op, REPL_WOP_DONE); /* the primary did not log it: nothing to undo */
		if (s)
			ungate(op);
		op_done(op);
		return;
	}
	keep_primary_answer(op, res);
	if (!s) { /* the table was dropped: no copy left to replicate to */
		wop_set_state(op, REPL_WOP_COMMITTED);
		op_done(op);
		return;
	}
	if (op->primary.blob.len == 0 && !op->marker) {
		/* no row changed: nothing to replicate, and no entry that the
		 * base of an op started behind it may count (pipeline_base: a
		 * staging marker started in this same turn, while op is still in
		 * flight, was sent one LSN ahead and every copy refused it) */
		op->noop = 1;
		wop_set_state(op, REPL_WOP_COMMITTED);
		ungate(op);
		op_done(op);
		return;
	}
	op->lsn = op->primary.lsn;
	if (op->lsn != op->base + 1) { /* base: the committed entry, or a pending marker's */
		/* The copy that ran it was not at the committed entry: its history
		 * is not the shard's.  Undo it there and refuse the write. */
		mur_error e2;
		MLOG(WARN, "repl",
		     "shard %u: %s logged entry %llu but the shard committed %llu; undoing",
		     op->shard, cat_node_name(op->c->cat, node_id), (unsigned long long)op->lsn,
		     (unsigned long long)s->committed_lsn);
		if (p) /* behind: undone and caught up; ahead: undone to the committed entry */
			cat_placement_set_state(p, op->lsn <= s->committed_lsn ? CAT_PL_LAGGING
									       : CAT_PL_DIVERGENT);
		mur_error_set(&e2, SQLSTATE_CONNECTION_FAILURE,
			      "write to shard %u was not applied: the primary was not current; "
			      "retry",
			      op->shard);
		op->holders[0] = node_id;
		op->nholders = 1;
		op_fail(op, &e2);
		start_undo(op);
		return;
	}
	op->acks = 0;
	op->nholders = 0;
	hold(op, p, node_id);
	wop_set_state(op, REPL_WOP_REPLICATING);
	/* the APPLYs go out first: the client's next statement may follow
	 * the early answer at once (the next of one Query, no round trip), and
	 * a one-shard COMMIT's marker sent before them would reach every copy
	 * ahead of this entry and be refused there */
	send_applies(op);
	report_early(op); /* a block's write: the client hears the primary's answer now */
	check_decision(op);
}

static uint64_t next_entry_id(repl_ctx *c) { return c->time_id(&c->entry_next); }

/* Make the most up-to-date current copy the primary when the primary is
 * unusable.  Returns the primary's node id or 0. */
uint32_t repl_ensure_primary(repl_ctx *c, cat_table *t, uint32_t shard)
{
	cat_shard *s = &t->shards[shard];
	cat_placement *best = NULL;
	mur_error err;
	/* a primary holding the entries in flight past the committed one (a
	 * block's pipelined writes, their replicas' APPLYs kept for its COMMIT:
	 * replica batches) stays: the holder's reads go there */
	uint64_t tip = repl_shard_tip(c, t->id, s, NULL);
	for (int k = 0; k < s->nplacements; k++) {
		cat_placement *p = &s->placements[k];
		if (p->role == CAT_PRIMARY && p->state == CAT_PL_CURRENT &&
		    (p->applied_lsn == s->committed_lsn || p->applied_lsn == tip) &&
		    repl_connected(c, p->node_id))
			return p->node_id;
	}
	for (int k = 0; k < s->nplacements; k++) {
		cat_placement *p = &s->placements[k];
		if (p->state != CAT_PL_CURRENT || !repl_connected(c, p->node_id))
			continue;
		if (!best || p->applied_lsn > best->applied_lsn)
			best = p;
	}
	if (!best || best->applied_lsn < s->committed_lsn)
		return 0;
	if (cat_shard_set_primary(c->cat, t->id, shard, best->node_id, &err) != MUR_OK) {
		MLOG(ERROR, "repl", "failover of shard %u of %s: %s", shard, t->name, err.message);
		return 0;
	}
	MLOG(INFO, "repl", "shard %u of %s: primary is now %s (lsn %llu)", shard, t->name,
	     cat_node_name(c->cat, best->node_id), (unsigned long long)best->applied_lsn);
	return best->node_id;
}

/* The LSN the shard's log will be at once every op in flight commits: the
 * entry a new op builds on.  (An op later in flight may be done before one
 * ahead of it: its entry is then committed.)  An op whose primary changed
 * nothing (noop) logs no entry and is not counted. */
static uint64_t pipeline_base(const cat_shard *s, const repl_shard *rt, const repl_wop *op)
{
	uint64_t base = s->committed_lsn;
	for (const repl_wop *x = rt->fhead; x; x = x->fnext)
		if (x != op && !x->failed && !x->noop && !wop_abandoned(x) &&
		    x->blind != REPL_BLIND_KEPT && x->base + 1 > base) /* kept: no entry yet */
			base = x->base + 1;
	return base;
}

/* The members of s's replica set, op->required of them for op's quorum;
 * *reachable: how many are current and connected (the others are added
 * to op->missing).  A copy being rebuilt is not a member until it is
 * switched in (and the copy it replaces still is until then). */
static int count_members(repl_wop *op, const cat_shard *s, int *reachable)
{
	int members = 0;
	*reachable = 0;
	for (int k = 0; k < s->nplacements; k++) {
		const cat_placement *p = &s->placements[k];
		if (p->state == CAT_PL_REBUILDING)
			continue;
		members++;
		if (p->state == CAT_PL_CURRENT && repl_connected(op->c, p->node_id))
			(*reachable)++;
		else
			add_missing(op, cat_node_name(op->c->cat, p->node_id));
	}
	op->required = repl_quorum_required(op->q, members);
	assert(members == 0 || (op->required >= 1 && op->required <= members));
	return members;
}

/* The WRITE of op (entry_id and base set) for its primary. */
static void write_task(const repl_wop *op, const cat_table *t, exec_task *task)
{
	repl_shard_task(task, EXEC_TASK_WRITE, t, op->shard);
	task->sql = op->sql;
	task->nparams = op->nparams;
	task->params = op->params;
	task->ncols = op->ncols;
	task->nrows = op->nrows;
	task->rows = op->nrows ? op->rows.data : NULL;
	task->rows_len = op->nrows ? op->rows.len : 0;
	task->capture = EXEC_CAPTURE_RETURN;
	task->entry_id = op->entry_id;
	task->txn_id = op->txn_id;
	task->entry_kind = op_entry_kind(op);
	if (op->staged) {
		task->blob = op->staged;
		task->blob_len = strlen(op->staged);
	}
}

/* ---- blind inserts (blind_insert): kept on the leader, then sent ----
 *
 *   start_primary ──keep_blind──> KEPT (REPLICATING, answered, no LSN, no
 *   copy has it) ──repl_shard_flush_deferred: send_blind──> SENT (a
 *   parallel row insert on top of the shard's tip: decided by the copies'
 *   answers as any) ; KEPT ──its transaction doomed ahead of it
 *   (drain_followers)──> queued again, failed as doomed at its start.
 *
 * A kept insert holds the shard's lock like any entry of its transaction:
 * nobody else reads or writes the shard until the transaction ends, and
 * anything of the holder that must follow it sends it first (start_next,
 * repl_read_gated_txn, repl_table_busy, savepoints). */

/* op, a blind insert the shard's lock lets start: answer it now (its row
 * count) and keep it; no copy is sent anything. */
static void keep_blind(repl_wop *op)
{
	op->blind = REPL_BLIND_KEPT;
	op->piped = 0; /* nothing pipelines behind it but another kept one (can_pipeline) */
	wop_set_state(op, REPL_WOP_PRIMARY);
	wop_set_state(op, REPL_WOP_REPLICATING);
	op_rt(op)->gated = 1;
	op->primary.changes = op->nrows; /* every row is inserted: nothing can refuse one */
	report_early(op);
}

/* Send kept op to every current copy (the primary first) as a row insert
 * on top of the shard's tip: it is in flight from now on, decided by their
 * answers (parallel_check).  0 when it went out to a copy; -1 when it could
 * not (too few copies reachable, or no send took): op is failed then, with
 * nothing to undo, and the caller finishes it (fail_unsent). */
static int send_blind(repl_wop *op)
{
	cat_table *t;
	cat_shard *s = op_shard(op, &t);
	repl_shard *rt = op_rt(op);
	uint32_t primary = 0;
	int reachable = 0;
	exec_task task;
	wop_ref *ref;
	mur_error err;
	assert(op->blind == REPL_BLIND_KEPT);
	op->blind = REPL_BLIND_SENT;
	op->missing[0] = '\0';
	if (s && rt) {
		count_members(op, s, &reachable);
		primary = repl_ensure_primary(op->c, t, op->shard);
	}
	if (!primary || reachable < op->required) {
		mur_error_set(&err, SQLSTATE_CONNECTION_FAILURE,
			      "cannot write shard %u of table \"%s\": %d copies are reachable and "
			      "current, write_quorum '%s' needs %d",
			      op->shard, t ? t->name : "?", primary ? reachable : 0,
			      repl_quorum_name(op->q), op->required);
		if (op->missing[0])
			mur_error_detail(&err, "unavailable: %s; nothing was written", op->missing);
		op->primary_in = 1; /* nothing went out: no answer will come */
		op_fail(op, &err);
		return -1;
	}
	if (rt->fhead == op)
		rt->pipe_primary = primary;
	op->entry_id = next_entry_id(op->c);
	op->base = pipeline_base(s, rt, op);
	op->lsn = op->base + 1; /* every copy logs it there or refuses it: the tip counts it */
	write_task(op, t, &task);
	task.lsn = op->base + 1;
	task.early = 0; /* its client was answered already */
	op->holders[0] = primary;
	op->nholders = 0;
	ref = malloc(sizeof *ref);
	if (ref) {
		ref->op = op;
		ref->node_id = primary;
	}
	if (!ref ||
	    op->c->tr.send(op->c->tr.ctx, primary, &task, primary_done, ref, &err) != MUR_OK) {
		free(ref);
		op->primary_in = 1; /* no answer will come: the other copies decide it */
		add_missing(op, cat_node_name(op->c->cat, primary));
	}
	send_parallel(op, &task, primary, rt->fhead != op);
	if (op->pending > 0 || !op->primary_in)
		return 0;
	mur_error_set(&err, SQLSTATE_CONNECTION_FAILURE,
		      "write to shard %u could not be sent to any copy", op->shard);
	op_fail(op, &err);
	return -1;
}

/* Finish op, a blind insert that failed before any copy was sent it
 * (send_blind): nothing to undo.  It may start the shard's next op. */
static void fail_unsent(repl_wop *op)
{
	op->primary_in = 1;
	wop_set_state(op, REPL_WOP_DONE);
	ungate(op);
	op_done(op);
}

/* Start op on the shard's copies; piped when other ops are in flight on
 * the shard (0 when it was idle). */
static void start_primary(repl_wop *op, int piped)
{
	cat_table *t;
	cat_shard *s = op_shard(op, &t);
	uint32_t primary;
	int reachable = 0;
	exec_task task;
	wop_ref *ref;
	mur_error err;

	if (!s) {
		mur_error_set(&err, SQLSTATE_UNDEFINED_TABLE,
			      "the table was dropped during the write");
		op_fail(op, &err);
		op_done(op);
		return;
	}
	if (op->facts.txn && repl_txn_doomed(op->facts.txn, &err)) {
		/* a write it was sent behind failed (or the marker its lock's
		 * base was on): never commit */
		op_fail(op, &err);
		op_done(op);
		return;
	}
	if (piped) {
		primary = op_rt(op)->pipe_primary; /* checked by can_pipeline */
	} else {
		primary = repl_ensure_primary(op->c, t, op->shard);
		op_rt(op)->pipe_primary = primary;
	}
	int members = count_members(op, s, &reachable);
	if (!primary || reachable < op->required) {
		mur_error_set(&err, SQLSTATE_CONNECTION_FAILURE,
			      "cannot write shard %u of table \"%s\": %d of %d copies are "
			      "reachable and "
			      "current, write_quorum '%s' needs %d",
			      op->shard, t->name, primary ? reachable : 0, members,
			      repl_quorum_name(op->q), op->required);
		if (op->missing[0])
			mur_error_detail(&err, "unavailable: %s; nothing was written", op->missing);
		mur_error_hint(&err,
			       "check murphy.nodes and murphy.placements; copies catch up when "
			       "their followers return");
		op_fail(op, &err);
		op_done(op);
		return;
	}
	op->missing[0] = '\0';
	if (blind_insert(op)) {
		keep_blind(op);
		return;
	}
	op->entry_id = next_entry_id(op->c);
	op->base = piped ? pipeline_base(s, op_rt(op), op) : s->committed_lsn;
	write_task(op, t, &task);
	if (op->parallel)
		task.lsn = op->base + 1; /* every copy logs it on top of base, or refuses */
	/* a shipped write's APPLYs need not wait for the primary's fsync; a
	 * row insert's client may hear the primary before it */
	task.early = !op->parallel || answers_early(op);
	if (op->base != s->committed_lsn)
		task.lsn = op->base + 1; /* behind a pending marker: the primary must hold it */
	ref = malloc(sizeof *ref);
	if (!ref) {
		mur_error_set(&err, SQLSTATE_OUT_OF_MEMORY, "out of memory");
		op_fail(op, &err);
		op_done(op);
		return;
	}
	ref->op = op;
	ref->node_id = primary;
	op->holders[0] = primary;
	op->nholders = 0;
	wop_set_state(op, REPL_WOP_PRIMARY);
	op_rt(op)->gated = 1;
	if (op->c->tr.send(op->c->tr.ctx, primary, &task, primary_done, ref, &err) != MUR_OK) {
		free(ref);
		op_fail(op, &err);
		wop_set_state(op, REPL_WOP_DONE); /* never sent: nothing to undo */
		ungate(op);
		op_done(op);
		return;
	}
	if (op->facts.txn)
		MUR_TRACE(op->marker ? "msend" : "send", repl_txn_id(op->facts.txn),
			  (uint64_t)op->table_id << 32 | op->shard);
	if (op->parallel)
		send_parallel(op, &task, primary, piped);
	if (op->marker) /* may hand the lock on (a staging marker: conditionally) */
		op->fault_fail = repl_lock_marker_sent(op_rt(op), op->facts.txn, op->base + 1,
						       op->entry_id);
}

/* Plain row inserts (no RETURNING, no ON CONFLICT: every row is inserted
 * or the statement fails) can share one entry. */
static int groupable(const repl_wop *op)
{
	return op->nrows > 0 && !op->exclusive && !op->no_merge && op->sql &&
	       !op->facts.returns_rows && !op->facts.may_skip_rows;
}

/* A row insert small enough to go through the followers' write batches
 * may start behind other such inserts in flight on its shard. */
static int pipelinable(const repl_wop *op)
{
	return op->parallel && groupable(op) && op->rows.len <= REPL_PIPELINE_BYTES_MAX;
}

/* Group commit on the leader: while a shard's previous write was in
 * flight, more row inserts may have queued behind it; send them as one
 * write (one entry, one round of fsyncs on every copy), of at most
 * max_bytes of rows.  Returns op itself when there is nothing to group. */
static repl_wop *group(repl_shard *rt, repl_wop *op, size_t max_bytes)
{
	repl_wop *g, *tail;
	int n = 1;
	if (!groupable(op) || blind_insert(op) || !rt->qhead || !groupable(rt->qhead) ||
	    strcmp(rt->qhead->sql, op->sql) != 0 || rt->qhead->ncols != op->ncols ||
	    rt->qhead->q != op->q || rt->qhead->facts.txn != op->facts.txn)
		return op;
	g = mur_calloc(1, sizeof *g);
	if (!g || !(g->sql = strdup(op->sql))) {
		free(g);
		return op;
	}
	g->c = op->c;
	g->table_id = op->table_id;
	g->shard = op->shard;
	g->q = op->q;
	g->facts.txn = op->facts.txn;
	g->txn_id = op->txn_id;
	g->ncols = op->ncols;
	g->queued_us = op->queued_us;
	exec_result_init(&g->primary);
	mur_buf_init(&g->scratch);
	mur_buf_init(&g->rows);
	mur_buf_put(&g->rows, op->rows.data, op->rows.len);
	g->nrows = op->nrows;
	g->members = tail = op;
	op->member_next = NULL;
	while (rt->qhead && n < REPL_GROUP_OPS_MAX && groupable(rt->qhead) &&
	       strcmp(rt->qhead->sql, op->sql) == 0 && rt->qhead->ncols == op->ncols &&
	       rt->qhead->q == op->q && rt->qhead->facts.txn == op->facts.txn &&
	       g->nrows + rt->qhead->nrows <= REPL_GROUP_ROWS_MAX &&
	       g->rows.len + rt->qhead->rows.len <= max_bytes) {
		repl_wop *m = rt->qhead;
		rt->qhead = m->next;
		if (!rt->qhead)
			rt->qtail = NULL;
		mur_buf_put(&g->rows, m->rows.data, m->rows.len);
		g->nrows += m->nrows;
		m->member_next = NULL;
		tail->member_next = m;
		tail = m;
		n++;
	}
	g->parallel = 1;
	return g;
}

/* sent_unanswered: x is a transaction's row insert sent to every copy at
 * once (its entry is base + 1 on each), no answer in yet.  It wrote the
 * shard for its transaction's commit (repl_shard_sent, part_wrote in
 * repl_lock.c), though the tip does not count it yet.
 *
 * sent_with: such an insert that is small, not a group: an autocommit
 * COPY's batch, whose commit (staging) marker goes out with it, in the
 * same loop turn (leader/lead_copy.c, commit_at_end), so that each copy
 * logs both in one write batch, with one fsync.  A copy runs a write
 * batch's items of one placement in the order they arrived (small: not
 * on a pool thread), and logs the marker only on top of x; if x fails,
 * its transaction is doomed (op_fail: its COMMIT began) and the marker,
 * queued again behind it, fails: the transaction is undone. */
static int sent_unanswered(const repl_wop *x)
{
	return x->parallel && x->facts.txn && x->state == REPL_WOP_PRIMARY && !x->failed &&
	       !x->marker;
}

static int sent_with(const repl_wop *x)
{
	return sent_unanswered(x) && !x->members && x->rows.len <= REPL_PIPELINE_BYTES_MAX;
}

int repl_shard_sent(const repl_ctx *c, uint32_t table_id, uint32_t shard)
{
	const repl_shard *rt = repl_shard_find(c, table_id, shard);
	for (const repl_wop *x = rt ? rt->fhead : NULL; x; x = x->fnext)
		if (sent_unanswered(x))
			return 1;
	return 0;
}

/* May the commit marker op of a one-shard transaction start behind the
 * transaction's pipelined writes in flight (repl_txn_commit sends it
 * then)?  When every op in flight is the transaction's, logged on the
 * primary and not failed, and no exclusive op runs: every copy receives
 * the marker after those entries (it must log it on top of them or
 * refuse it), and it is decided after them, in LSN order.  If one of them
 * fails, the marker goes back to the queue with the ops behind it and the
 * transaction is doomed: it is not sent again (start_primary).
 *
 * A staging marker may also go behind another transaction's undecided
 * staging marker in flight (m, the shard's pending one) and m's entries
 * riding it (pipelined staging: repl_lock.c, stage_early): the copies log
 * it after m or refuse it, and if m fails, m's transaction aborts, which
 * dooms op's (handoff_doom) before op is queued again. */
static int marker_can_pipeline(repl_ctx *c, const repl_shard *rt, const repl_wop *op,
			       const cat_placement *p)
{
	const repl_wop *m = op->staged ? pending_out(rt) : NULL;
	int n = 0;
	if (rt->busy >= c->write_pipeline)
		return 0;
	if (m && (!m->staged || m->txn_id == op->txn_id || m->primary_refused))
		m = NULL; /* a decided transaction's commit marker: wait for it, as before */
	for (const repl_wop *x = rt->fhead; x; x = x->fnext, n++)
		if (x->state != REPL_WOP_COMMITTED && x != m && !rides_chain(rt, m, x) &&
		    (x->facts.txn != op->facts.txn || x->failed || x->marker ||
		     (x->state != REPL_WOP_REPLICATING && !sent_with(x))))
			return 0;
	return n == rt->busy && p && p->state == CAT_PL_CURRENT && repl_connected(c, p->node_id);
}

/* May op, a transaction's first on the shard (it takes the lock) or an
 * autocommit write, start behind the ops in flight?  When each of them is
 * committed with its primary's answer in (its durable one, after an early
 * one: only slower copies' answers are out) and no exclusive op runs: the
 * lock's base is decided (repl_lock.c, invariant 2), and the primary holds
 * it.  Copies receive op's entry after the others and refuse it if they
 * lack one (the LSN check).  So a copy that answers slowly (a delayed
 * replica) holds back no write decided without it; an autocommit write
 * still waits while a read is parked at the gate, so that a stream of
 * writes cannot keep the gate down for ever.
 *
 * A transaction's op may also start behind the pending marker of a decided
 * transaction (m; repl_lock.c, "Pending marker"): its base is the marker's
 * entry, which the primary must hold (the WRITE names the LSN after it),
 * and it is decided only after the marker; if the marker fails, the op is
 * undone with it and its transaction is doomed (pending_resolved). */
static int lock_can_pipeline(repl_ctx *c, const repl_shard *rt, const repl_wop *op,
			     const cat_placement *p)
{
	const repl_wop *m = op->facts.txn ? pending_out(rt) : NULL;
	int n = 0;
	if (rt->lock || op->exclusive || rt->busy >= c->write_pipeline ||
	    (!op->facts.txn && rt->nreaders > 0))
		return 0;
	if (m && m->primary_refused)
		return 0; /* the primary does not hold it: an op behind would be refused */
	if (m && m->state != REPL_WOP_COMMITTED && op->parallel &&
	    op->rows.len > REPL_PIPELINE_BYTES_MAX)
		return 0; /* a large insert (a COPY batch) runs on the copies' pools, out
			     of their write batches' order: it would reach them before the
			     marker and be refused; it waits for the marker's quorum */
	for (const repl_wop *x = rt->fhead; x; x = x->fnext, n++)
		if (x != m && !rides_chain(rt, m, x) &&
		    (x->state != REPL_WOP_COMMITTED || x->unsynced ||
		     (x->parallel && (!x->primary_in || x->primary_refused))))
			return 0;
	return n == rt->busy && p && p->state == CAT_PL_CURRENT && repl_connected(c, p->node_id);
}

/* May op, a blind insert of the shard's lock holder, be kept behind the
 * ops in flight?  When each is the holder's, not failed, and logged on
 * its primary (answered early, or committed) or kept itself: op gets no
 * LSN until it is sent, on top of them (send_blind). */
static int blind_can_follow(const repl_shard *rt, const repl_wop *op)
{
	int n = 0;
	for (const repl_wop *x = rt->fhead; x; x = x->fnext, n++)
		if (x->facts.txn != op->facts.txn || x->failed || wop_abandoned(x) ||
		    (x->state != REPL_WOP_COMMITTED && x->state != REPL_WOP_REPLICATING))
			return 0;
	return n == rt->busy; /* else an exclusive op (catch-up, undo) runs */
}

/* May op, a write of the shard's lock holder, start behind the holder's
 * own shipped writes in flight?  When each is decided (at its quorum, not
 * failed) and the primary holds them all: what is out of them is slower
 * copies' answers, or the primary's durable one, which a primary that
 * answered early gives with its next write batch's fsync
 * (follower/write_batch.c, "Sync later"; the copies decided the entry
 * without it).  The primary runs op on top of them, the copies get its
 * APPLYs after theirs; the entries are committed, so nothing undoes them
 * under op. */
static int holder_can_follow(repl_ctx *c, const cat_shard *s, const repl_shard *rt,
			     const repl_wop *op, const cat_placement *p)
{
	int n = 0;
	if (!op->facts.txn || op->facts.txn != rt->lock || op->exclusive || op->marker ||
	    op->parallel || rt->busy >= c->write_pipeline)
		return 0;
	for (const repl_wop *x = rt->fhead; x; x = x->fnext, n++)
		if (x->facts.txn != op->facts.txn || x->state != REPL_WOP_COMMITTED || x->failed ||
		    x->parallel || x->marker || x->lsn > s->committed_lsn)
			return 0;
	return n == rt->busy && p && p->role == CAT_PRIMARY && p->state == CAT_PL_CURRENT &&
	       repl_connected(c, p->node_id);
}

/* 1 when a blind insert of rt is kept (on no copy yet). */
static int has_kept_blind(const repl_shard *rt)
{
	for (const repl_wop *x = rt->fhead; x; x = x->fnext)
		if (x->blind == REPL_BLIND_KEPT)
			return 1;
	return 0;
}

/* May op start while the shard's ops in flight are not done?  A commit
 * marker or a transaction's first op as above; otherwise only row inserts
 * behind row inserts, none of them failed, on the same primary, while no
 * read waits for the shard's gate to lift. */
static int can_pipeline(repl_ctx *c, cat_shard *s, const repl_shard *rt, const repl_wop *op)
{
	const cat_placement *p = cat_placement_on(s, rt->pipe_primary);
	if (op->marker)
		return marker_can_pipeline(c, rt, op, p);
	if (lock_can_pipeline(c, rt, op, p) || holder_can_follow(c, s, rt, op, p))
		return 1;
	if (blind_insert(op) && op->facts.txn == rt->lock && rt->busy < c->write_pipeline)
		return blind_can_follow(rt, op);
	if (!rt->ftail || !rt->ftail->piped || rt->busy >= c->write_pipeline || rt->nreaders > 0 ||
	    !pipelinable(op))
		return 0; /* ftail->piped: so is every op ahead of it */
	for (const repl_wop *x = rt->fhead; x; x = x->fnext)
		if (x->failed || wop_abandoned(x) || x->primary_refused ||
		    x->facts.txn != op->facts.txn)
			return 0;
	if (op->facts.txn && rt->lock != op->facts.txn)
		return 0; /* it takes the lock on an idle shard (repl_lock.c, invariant 2) */
	return p && p->state == CAT_PL_CURRENT && repl_connected(c, p->node_id);
}

/* op's deadlock_timeout in µs. */
static uint64_t deadlock_us(const repl_wop *op)
{
	uint32_t ms = op->facts.deadlock_timeout_ms;
	return (uint64_t)(ms ? ms : REPL_DEADLOCK_TIMEOUT_MS) * 1000u;
}

/* When op fails with 55P03 if still held back by a lock; UINT64_MAX: never. */
static uint64_t lock_deadline_us(const repl_wop *op)
{
	return op->facts.lock_timeout_ms
		       ? op->queued_us + (uint64_t)op->facts.lock_timeout_ms * 1000u
		       : UINT64_MAX;
}

/* The next time queued op x's wait needs a look at now: its deadlock
 * check (a transaction's op), its lock_timeout when still to come (one
 * that passed while x was not held back by a lock is looked at when a
 * lock is taken: wake_lock_waits). */
static uint64_t wait_due_us(const repl_wop *x, uint64_t now)
{
	uint64_t due = x->facts.txn ? x->check_us : UINT64_MAX;
	uint64_t lt = lock_deadline_us(x);
	return lt > now && lt < due ? lt : due;
}

static void wake_at(repl_ctx *c, uint64_t due_us)
{
	if (c->wake_at && due_us != UINT64_MAX)
		c->wake_at(c->wake_ctx, due_us);
}

/* A lock was just taken on rt: a queued op whose lock_timeout passed
 * while it waited for something else fails now (repl_lock_due). */
static void wake_lock_waits(repl_ctx *c, const repl_shard *rt, uint64_t now)
{
	for (const repl_wop *x = rt->qhead; x; x = x->next)
		if (!x->exclusive && lock_deadline_us(x) <= now) {
			wake_at(c, now);
			return;
		}
}

/* The lock mode op asks for: shared only for a lock-only op asked so
 * (a read's); every write is exclusive. */
static int op_shared(const repl_wop *op) { return op->lock_only && op->facts.lock_shared; }

/* 1 when a read parked on rt began to wait before x was queued and x is
 * a transaction's first lock anywhere, exclusive (repl.h, "queue order":
 * readers are not passed by new writers).  A transaction that holds a
 * lock is not held back: the read may wait for it, and holding it back
 * would close a cycle nobody searches (reads are not in the graph). */
static int read_holds_back(const repl_shard *rt, const repl_wop *x)
{
	if (!x->facts.txn || op_shared(x) || repl_txn_nshards(x->facts.txn) > 0)
		return 0;
	for (int i = 0; i < rt->nreaders; i++)
		if (rt->readers[i].since_us <= x->queued_us)
			return 1;
	return 0;
}

/* 1 when y, queued ahead of x, is a conflicting request x may not pass
 * (repl.h, "queue order"): x is a shared request of a transaction that
 * holds nothing on rt, y an exclusive one of another (or autocommit). */
static int fifo_holds_back(const repl_shard *rt, const repl_wop *y, const repl_wop *x)
{
	return !y->exclusive && !op_shared(y) && y->facts.txn != x->facts.txn && op_shared(x) &&
	       !repl_lock_holds(rt, x->facts.txn, 1) &&
	       /* y held back by a read only: x may pass it (x conflicts with no read) */
	       (repl_lock_blocks(rt, y->facts.txn, 0) || !read_holds_back(rt, y));
}

/* 1 when queued op x waits for the lock: a conflicting holder, a parked
 * read ahead of it, or a conflicting request ahead that it may not pass. */
static int op_waits(const repl_shard *rt, const repl_wop *x)
{
	if (x->exclusive)
		return 0; /* a recovery op: not a transaction's */
	if (is_pending_marker(rt, x))
		return 0; /* its transaction is decided: the marker needs no lock */
	if (x->marker && x->staged && rt->pend_staged == 2 && x->txn_id != rt->pend_txid)
		return 1; /* pipelined behind another's staging marker that failed: its
			     transaction is doomed; it fails once that one's undo is done */
	if (x->marker && x->staged)
		return 0; /* queued by its lock's holder; queued again behind a failed
			     entry of its transaction after the lock was handed on (the
			     next holder may hold it now: rides_marker), it only fails
			     there as doomed (start_primary), which aborts its
			     transaction and dooms that holder: waiting would deadlock */
	if (rt->pend_staged == 2 || (rt->pend_staged && !x->facts.txn))
		return 1; /* an undecided staging marker: only a transaction may follow
			     it, none once its transaction aborts (repl_lock.c) */
	if (rt->pend_txid && !rt->pend_staged && !pending_out(rt))
		return 1; /* the pending marker failed: it goes first (retried) */
	if (repl_lock_blocks(rt, x->facts.txn, op_shared(x)) || read_holds_back(rt, x))
		return 1;
	if (!op_shared(x))
		return 0; /* queue order holds back shared requests only */
	for (const repl_wop *y = rt->qhead; y && y != x; y = y->next)
		if (fifo_holds_back(rt, y, x))
			return 1;
	return 0;
}

/* The first queued op the shard's lock lets start (an exclusive op always
 * may: it is not a transaction's), and in *before the op ahead of it. */
static repl_wop *next_startable(repl_shard *rt, repl_wop **before)
{
	*before = NULL;
	for (repl_wop *x = rt->qhead; x; *before = x, x = x->next)
		if (!op_waits(rt, x))
			return x;
	return NULL;
}

static void unqueue(repl_shard *rt, repl_wop *op, repl_wop *before)
{
	if (before)
		before->next = op->next;
	else
		rt->qhead = op->next;
	if (rt->qtail == op)
		rt->qtail = before;
	op->next = NULL;
}

static void sync_answered(void *arg, exec_result *res)
{
	(void)arg;
	(void)res; /* the entries' durable answers follow its fsync */
}

/* Something queued on rt waits for the ops in flight to be done (an undo,
 * the next op behind them): ask their primary to sync the entries it
 * answered early and left unsynced (follower/write_batch.h, "Sync
 * later": a transaction's entries only; an autocommit one is synced at
 * once), once per op, so that their durable answers come now, not at the
 * follower's sync timer.  For the holder's next write (holder_next) only
 * those whose quorum needs the primary (write_quorum 'all', one or two
 * copies): the others are decided by their replicas, and it starts then
 * (holder_can_follow); a SYNC would make it wait behind that fsync. */
static void ask_sync(repl_ctx *c, const cat_table *t, repl_shard *rt, int holder_next)
{
	exec_task task;
	mur_error err;
	int want = 0, copies = t->shards[rt->shard].nplacements;
	for (repl_wop *x = rt->fhead; x; x = x->fnext)
		if (x->unsynced && x->txn_id && !x->sync_asked && !x->failed &&
		    (!holder_next || x->required >= copies)) {
			x->sync_asked = 1;
			want = 1;
		}
	if (!want || !repl_connected(c, rt->pipe_primary))
		return;
	repl_shard_task(&task, EXEC_TASK_SYNC, t, rt->shard);
	(void)c->tr.send(c->tr.ctx, rt->pipe_primary, &task, sync_answered, NULL, &err);
}

static void start_next(repl_ctx *c, cat_table *t, uint32_t shard)
{
	cat_shard *s = &t->shards[shard];
	repl_shard *rt = repl_shard_get(c, t->id, shard);
	repl_wop *op, *prev, *before;
	int take;
	if (!rt || !rt->qhead || !(op = next_startable(rt, &before)))
		return;
	if (rt->busy && !can_pipeline(c, s, rt, op)) {
		/* op waits for the ops in flight: one that waits for its
		 * transaction's COMMIT to reach its replicas would never be done
		 * (the holder's next write on the shard, an undo, a catch-up);
		 * one that waits for its primary's durable answer, for a SYNC */
		repl_shard_flush_deferred(rt);
		ask_sync(c, t, rt,
			 op->facts.txn && op->facts.txn == rt->lock && !op->exclusive &&
				 !op->marker && !op->parallel);
		return;
	}
	if (!op->exclusive && repl_shard_reconciling(c, s) &&
	    mur_now_us() - op->queued_us < (uint64_t)REPL_RECONCILE_WAIT_MS * 1000u)
		return; /* copies have not reported since the restart: wait (kicked on STATUS) */
	if (!op->exclusive && op->gen != s->gen) {
		/* planned before a split of the shard: its rows may belong to
		 * the new shard now; nothing was written, the client retries */
		mur_error err;
		unqueue(rt, op, before);
		repl_split_error(&err, t, shard);
		op->split_moved = 1;
		op_fail(op, &err);
		op_report(op);
		wop_set_state(op, REPL_WOP_DONE);
		op_free(op);
		start_next(c, t, shard);
		return;
	}
	/* a staging marker is sent by its lock's holder and hands the lock
	 * on (repl_lock_marker_sent); queued again behind a failed entry of
	 * its transaction (doomed: start_primary fails it) it takes nothing */
	take = !op->exclusive && op->facts.txn && !is_pending_marker(rt, op) &&
	       !(op->marker && op->staged) && !repl_lock_holds(rt, op->facts.txn, op_shared(op));
	if (take && !s->committed_known &&
	    mur_now_us() - op->queued_us < (uint64_t)REPL_RECONCILE_WAIT_MS * 1000u)
		return; /* a lock's base must be a decided entry: wait for the decision */
	if (take && (!s->committed_known ||
		     repl_lock_take(c, rt, s, op->facts.txn, op_shared(op)) != MUR_OK)) {
		mur_error err;
		unqueue(rt, op, before);
		if (s->committed_known)
			mur_error_set(&err, SQLSTATE_OUT_OF_MEMORY, "out of memory");
		else
			mur_error_set(&err, SQLSTATE_CONNECTION_FAILURE,
				      "cannot write shard %u: its committed entry is not known yet "
				      "(copies have not reported since the leader started); "
				      "nothing "
				      "was written",
				      shard);
		op_fail(op, &err);
		op_report(op);
		wop_set_state(op, REPL_WOP_DONE);
		op_free(op);
		start_next(c, t, shard);
		return;
	}
	unqueue(rt, op, before);
	if (take) {
		wake_lock_waits(c, rt, mur_now_us()); /* the lock is held now */
		MUR_TRACE("take", repl_txn_id(op->facts.txn), (uint64_t)t->id << 32 | shard);
		MUR_TRACE("queued", repl_txn_id(op->facts.txn), op->queued_us);
	}
	if (op->lock_only) { /* the lock is held now: nothing to write */
		op_report(op);
		wop_set_state(op, REPL_WOP_DONE);
		op_free(op);
		start_next(c, t, shard);
		return;
	}
	rt->busy++;
	if (op->exclusive) {
		repl_excl_fn fn = op->fn;
		void *arg = op->fn_arg;
		free(op);
		fn(c, t, shard, arg);
		return;
	}
	prev = rt->ftail;
	if (!before) /* it was the head: the ops queued behind it may join it */
		op = group(rt, op, prev ? REPL_PIPELINE_BYTES_MAX : SIZE_MAX);
	op->piped = pipelinable(op);
	op->fnext = NULL;
	if (prev)
		prev->fnext = op;
	else
		rt->fhead = op;
	rt->ftail = op;
	if (op->marker || (!blind_insert(op) && has_kept_blind(rt)))
		/* the replicas get the entries it follows first, in its frame; an
		 * entry goes on top of the kept blind inserts, which go first */
		repl_shard_flush_deferred(rt);
	start_primary(op, prev != NULL); /* op may be done (and freed) on return */
	start_next(c, t, shard);         /* queued ops that did not join op may follow it */
}

int repl_wop_split_moved(const repl_wop *op) { return op->split_moved; }

void repl_kick(repl_ctx *c, const cat_table *t, uint32_t shard)
{
	start_next(c, (cat_table *)t, shard);
}

/* Put op at the tail of its shard's queue, not started yet. */
static int queue_op(repl_ctx *c, cat_table *t, uint32_t shard, repl_wop *op)
{
	repl_shard *rt = repl_shard_get(c, t->id, shard);
	if (!rt)
		return MUR_ENOMEM;
	op->queued_us = mur_now_us();
	op->gen = t->shards[shard].gen;
	op->check_us = op->queued_us + deadlock_us(op);
	if (!op->exclusive)
		wake_at(c, wait_due_us(op, op->queued_us));
	if (rt->qtail)
		rt->qtail->next = op;
	else
		rt->qhead = op;
	rt->qtail = op;
	return MUR_OK;
}

static int enqueue(repl_ctx *c, cat_table *t, uint32_t shard, repl_wop *op)
{
	if (queue_op(c, t, shard, op) != MUR_OK)
		return MUR_ENOMEM;
	start_next(c, t, shard);
	return MUR_OK;
}

/* Queue op of transaction op->facts.txn and start what may start, unless
 * its wait closes a cycle of waits: then it leaves the queue and err says
 * 40P01 (MUR_ERR; op is not freed). */
static int enqueue_txn_op(repl_ctx *c, cat_table *t, uint32_t shard, repl_wop *op, mur_error *err)
{
	repl_shard *rt;
	if (queue_op(c, t, shard, op) != MUR_OK)
		return mur_error_set(err, SQLSTATE_OUT_OF_MEMORY, "out of memory");
	rt = op_rt(op);
	if (op->facts.txn && op_waits(rt, op) && repl_lock_in_cycle(c, op->facts.txn)) {
		repl_wop *before = NULL;
		/* a read (shared) lock of a SERIALIZABLE block upgraded for its
		 * write: the cycle is a read/write conflict, as PostgreSQL's SSI
		 * reports it (40001); any other cycle is a deadlock (40P01) */
		int upgrade = !op->facts.lock_shared && rt->lock != op->facts.txn &&
			      repl_lock_holds(rt, op->facts.txn, 1);
		for (repl_wop *x = rt->qhead; x != op; x = x->next)
			before = x;
		unqueue(rt, op, before);
		if (upgrade && op->facts.serializable)
			repl_lock_serialization_error(err, repl_txn_id(op->facts.txn));
		else
			repl_lock_deadlock_error(err, repl_txn_id(op->facts.txn));
		return MUR_ERR;
	}
	start_next(c, t, shard);
	return MUR_OK;
}

int repl_lock_shard(repl_ctx *c, const cat_table *t, uint32_t shard, const repl_write_facts *facts,
		    repl_wop_cb cb, void *arg, mur_error *err)
{
	repl_wop *op;
	if (!(op = mur_recycle_zalloc(&wop_bin)))
		return mur_error_set(err, SQLSTATE_OUT_OF_MEMORY, "out of memory");
	op->c = c;
	op->table_id = t->id;
	op->shard = shard;
	op->lock_only = 1;
	op->facts.txn = facts->txn;
	op->facts.lock_timeout_ms = facts->lock_timeout_ms;
	op->facts.deadlock_timeout_ms = facts->deadlock_timeout_ms;
	op->facts.lock_shared = facts->lock_shared;
	op->facts.serializable = facts->serializable;
	op->txn_id = repl_txn_id(facts->txn);
	op->cb = cb;
	op->cb_arg = arg;
	exec_result_init(&op->primary);
	mur_buf_init(&op->scratch);
	mur_buf_init(&op->rows);
	if (enqueue_txn_op(c, (cat_table *)t, shard, op, err) != MUR_OK) {
		op_free(op);
		return MUR_ERR;
	}
	return MUR_OK;
}

int repl_write_marker(repl_ctx *c, const cat_table *t, uint32_t shard, repl_quorum q, repl_txn *tx,
		      repl_wop_cb cb, void *arg, mur_error *err)
{
	return repl_write_staged(c, t, shard, q, tx, NULL, cb, arg, err);
}

int repl_write_staged(repl_ctx *c, const cat_table *t, uint32_t shard, repl_quorum q, repl_txn *tx,
		      const char *parts, repl_wop_cb cb, void *arg, mur_error *err)
{
	repl_wop *op = mur_recycle_zalloc(&wop_bin);
	if (!op || !(op->sql = strdup("")) || (parts && !(op->staged = strdup(parts)))) {
		if (op)
			free(op->sql);
		free(op);
		return mur_error_set(err, SQLSTATE_OUT_OF_MEMORY, "out of memory");
	}
	op->c = c;
	op->table_id = t->id;
	op->shard = shard;
	op->q = q ? q : REPL_QUORUM_MAJORITY;
	op->marker = 1;
	/* a marker has no SQL and no data: every copy logs the same entry, so
	 * it goes to all of them at once as a row insert does (one round of
	 * fsyncs, decided at quorum) instead of primary first, then APPLY */
	op->parallel = 1;
	op->facts.txn = tx;
	op->txn_id = repl_txn_id(tx);
	op->cb = cb;
	op->cb_arg = arg;
	exec_result_init(&op->primary);
	mur_buf_init(&op->scratch);
	mur_buf_init(&op->rows);
	if (enqueue(c, (cat_table *)t, shard, op) != MUR_OK) {
		op_free(op);
		return mur_error_set(err, SQLSTATE_OUT_OF_MEMORY, "out of memory");
	}
	return MUR_OK;
}

int repl_exclusive(repl_ctx *c, cat_table *t, uint32_t shard, repl_excl_fn fn, void *arg)
{
	repl_wop *op = mur_recycle_zalloc(&wop_bin);
	if (!op)
		return MUR_ENOMEM;
	op->c = c;
	op->table_id = t->id;
	op->shard = shard;
	op->exclusive = 1;
	op->fn = fn;
	op->fn_arg = arg;
	return enqueue(c, t, shard, op);
}

void repl_exclusive_done(repl_ctx *c, cat_table *t, uint32_t shard)
{
	repl_shard *rt = repl_shard_get(c, t->id, shard);
	if (rt)
		rt->busy = 0;
	start_next(c, t, shard);
	rt = repl_shard_find(c, t->id, shard);
	if (rt && rt->lock)
		repl_lock_shard_settled(c, rt);
}

int repl_write(repl_ctx *c, const cat_table *t, uint32_t shard, repl_quorum q, const char *sql,
	       const repl_write_facts *facts, const mur_value *params, uint32_t nparams,
	       const mur_buf *rows, uint64_t nrows, uint32_t ncols, repl_wop_cb cb, void *arg,
	       mur_error *err)
{
	repl_wop *op = mur_recycle_zalloc(&wop_bin);
	size_t *offs = NULL;
	if (!op)
		return mur_error_set(err, SQLSTATE_OUT_OF_MEMORY, "out of memory");
	op->c = c;
	op->table_id = t->id;
	op->shard = shard;
	op->q = q ? q : REPL_QUORUM_MAJORITY;
	op->cb = cb;
	op->cb_arg = arg;
	op->sql = strdup(sql);
	if (facts)
		op->facts = *facts;
	op->txn_id = op->facts.txn ? repl_txn_id(op->facts.txn) : 0;
	exec_result_init(&op->primary);
	mur_buf_init(&op->scratch);
	mur_buf_init(&op->rows);
	if (rows && nrows) {
		mur_buf_put(&op->rows, rows->data, rows->len);
		op->nrows = nrows;
		op->ncols = ncols;
		/* rows are INSERTs of explicit values: every copy runs them
		 * (see send_parallel); with row capture (storage/capture_rows.c)
		 * that costs a copy less than applying the primary's changeset.
		 * A block's that replica batches keep: shipped (held_insert) */
		op->parallel = !held_insert(op) || blind_insert(op);
	}
	if (nparams) {
		op->params = mur_calloc(nparams, sizeof *op->params);
		offs = mur_calloc(nparams, sizeof *offs);
		if (!op->params || !offs)
			goto oom;
		op->nparams = nparams;
		for (uint32_t i = 0; i < nparams; i++) {
			op->params[i] = params[i];
			if (params[i].kind == MV_TEXT || params[i].kind == MV_BLOB) {
				offs[i] = op->scratch.len;
				mur_buf_put(&op->scratch, params[i].s ? params[i].s : "",
					    params[i].len);
			}
		}
		for (uint32_t i = 0; i < nparams; i++)
			if (params[i].kind == MV_TEXT || params[i].kind == MV_BLOB)
				op->params[i].s = op->scratch.data ? op->scratch.data + offs[i]
								   : "";
		free(offs);
		offs = NULL;
	}
	if (!op->sql || !mur_buf_ok(&op->rows) || !mur_buf_ok(&op->scratch))
		goto oom;
	if (op->facts.txn && repl_txn_doomed(op->facts.txn, err)) {
		op_free(op);
		return MUR_ERR;
	}
	if (enqueue_txn_op(c, (cat_table *)t, shard, op, err) != MUR_OK) {
		op_free(op);
		return MUR_ERR;
	}
	return MUR_OK;
oom:
	free(offs);
	op_free(op);
	return mur_error_set(err, SQLSTATE_OUT_OF_MEMORY, "out of memory");
}

int repl_shard_waiters(const repl_shard *rt, uint64_t *out, int *shared, int max)
{
	int n = 0;
	for (const repl_wop *x = rt->qhead; x && n < max; x = x->next) {
		int seen = 0;
		if (!op_waits(rt, x))
			continue;
		for (int i = 0; i < n; i++)
			seen |= out[i] == x->txn_id;
		if (!seen) {
			shared[n] = op_shared(x);
			out[n++] = x->txn_id;
		}
	}
	return n;
}

/* Add t to the n distinct transactions of out (up to max); returns n. */
static int add_blocker(const repl_txn **out, int n, int max, const repl_txn *t)
{
	for (int i = 0; i < n; i++)
		if (out[i] == t)
			return n;
	if (t && n < max)
		out[n++] = t;
	return n;
}

/* Add the holders of rt other than tx that conflict with a request in
 * mode shared. */
static int add_holders(const repl_shard *rt, const repl_txn *tx, int shared, const repl_txn **out,
		       int n, int max)
{
	if (rt->lock && rt->lock != tx)
		n = add_blocker(out, n, max, rt->lock);
	for (int i = 0; !shared && i < rt->nsharers; i++)
		if (rt->sharers[i] != tx)
			n = add_blocker(out, n, max, rt->sharers[i]);
	return n;
}

int repl_shard_blockers(const repl_shard *rt, const repl_txn *tx, const repl_txn **out, int max)
{
	int n = 0;
	for (const repl_wop *x = rt->qhead; x; x = x->next) {
		if (x->exclusive || x->facts.txn != tx || !op_waits(rt, x))
			continue;
		n = add_holders(rt, tx, op_shared(x), out, n, max);
		for (const repl_wop *y = rt->qhead; y != x; y = y->next)
			if (fifo_holds_back(rt, y, x))
				n = y->facts.txn ? add_blocker(out, n, max, y->facts.txn)
						 : add_holders(rt, tx, 0, out, n, max);
	}
	return n;
}

/* The first transaction x waits for on rt (for an error's detail), or NULL. */
static const repl_txn *op_blocker(const repl_shard *rt, const repl_wop *x)
{
	const repl_txn *b[1];
	int n = add_holders(rt, x->facts.txn, op_shared(x), b, 0, 1);
	for (const repl_wop *y = rt->qhead; y != x && !n; y = y->next)
		if (fifo_holds_back(rt, y, x))
			n = add_blocker(b, n, 1, y->facts.txn);
	return n ? b[0] : NULL;
}

/* Take queued op x (behind `before`) out of its queue, failed with err,
 * onto *taken; reported later (cancel_report): a callback may queue or
 * cancel other ops, so none runs while a queue is being walked. */
static void cancel_take(repl_shard *rt, repl_wop *x, repl_wop *before, const mur_error *err,
			repl_wop **taken)
{
	unqueue(rt, x, before);
	op_fail(x, err);
	x->next = *taken;
	*taken = x;
}

/* Report and free the ops cancel_take took; returns how many. */
static int cancel_report(repl_wop *taken)
{
	int n = 0;
	for (repl_wop *x = taken, *next; x; x = next) {
		next = x->next;
		wop_set_state(x, REPL_WOP_DONE); /* never sent: nothing to undo */
		op_report(x);
		op_free(x);
		n++;
	}
	return n;
}

/* Take the queued ops of tx on rt (see repl_cancel_txn_queued). */
static void cancel_on(repl_shard *rt, const repl_txn *tx, const mur_error *err, repl_wop **taken)
{
	repl_wop *x = rt->qhead, *before = NULL;
	while (x) {
		repl_wop *next = x->next;
		if (x->exclusive || x->facts.txn != tx)
			before = x;
		else
			cancel_take(rt, x, before, err, taken);
		x = next;
	}
}

void repl_lock_timeouts(repl_ctx *c, uint64_t now)
{
	repl_wop *taken = NULL;
	for (uint32_t b = 0; b < c->nbuckets; b++)
		for (repl_shard *rt = c->shards[b]; rt; rt = rt->next) {
			repl_wop *x = rt->qhead, *before = NULL;
			while (x) {
				repl_wop *next = x->next;
				mur_error err;
				if (x->exclusive || lock_deadline_us(x) > now || !op_waits(rt, x)) {
					before = x;
					x = next;
					continue;
				}
				mur_error_set(&err, SQLSTATE_LOCK_NOT_AVAILABLE,
					      "canceling statement due to lock timeout");
				if (op_blocker(rt, x))
					mur_error_detail(&err,
							 "shard %u is held by transaction %llu",
							 rt->shard,
							 (unsigned long long)repl_txn_id(
								 op_blocker(rt, x)));
				cancel_take(rt, x, before, &err, &taken);
				x = next;
			}
		}
	cancel_report(taken);
}

const repl_txn *repl_deadlock_due(repl_ctx *c, uint64_t now)
{
	for (uint32_t b = 0; b < c->nbuckets; b++)
		for (repl_shard *rt = c->shards[b]; rt; rt = rt->next)
			for (repl_wop *x = rt->qhead; x; x = x->next) {
				if (x->exclusive || !x->facts.txn || x->check_us > now)
					continue;
				x->check_us = now + deadlock_us(x);
				if (op_waits(rt, x) && repl_lock_in_cycle(c, x->facts.txn))
					return x->facts.txn;
			}
	return NULL;
}

uint64_t repl_wait_next_due(const repl_ctx *c, uint64_t now)
{
	uint64_t due = UINT64_MAX;
	for (uint32_t b = 0; b < c->nbuckets; b++)
		for (const repl_shard *rt = c->shards[b]; rt; rt = rt->next)
			for (const repl_wop *x = rt->qhead; x; x = x->next) {
				uint64_t d = x->exclusive ? UINT64_MAX : wait_due_us(x, now);
				due = d < due ? d : due;
			}
	return due;
}

int repl_cancel_txn_queued(repl_ctx *c, const repl_txn *tx, const mur_error *err)
{
	repl_wop *taken = NULL;
	for (uint32_t b = 0; b < c->nbuckets; b++)
		for (repl_shard *rt = c->shards[b]; rt; rt = rt->next)
			cancel_on(rt, tx, err, &taken);
	return cancel_report(taken);
}

int repl_txn_table_ready(repl_ctx *c, const cat_table *t, const repl_txn *tx)
{
	for (uint32_t sh = 0; sh < t->nshards; sh++) {
		const repl_shard *rt = repl_shard_find(c, t->id, sh);
		for (const repl_wop *x = rt ? rt->qhead : NULL; x; x = x->next)
			if (x->facts.txn == tx)
				return 0;
		for (const repl_wop *x = rt ? rt->fhead : NULL; x; x = x->fnext)
			if (x->facts.txn == tx && (x->failed || wop_abandoned(x)))
				return 0;
	}
	return 1;
}

int repl_table_busy(repl_ctx *c, const cat_table *t)
{
	int busy = 0;
	for (uint32_t sh = 0; sh < t->nshards; sh++) {
		repl_shard *rt = repl_shard_find(c, t->id, sh);
		/* the caller (DDL) waits for the shard to go idle: entries a block
		 * holds back for its COMMIT (replica batches) would keep it busy
		 * until then, so they go to the replicas now, as any wait for a
		 * held entry sends it first */
		if (rt)
			repl_shard_flush_deferred(rt);
		if (rt && (rt->busy || rt->qhead || rt->nreaders))
			busy = 1;
	}
	return busy;
}

/* ---- cancel (repl.h) ---- */

/* Unlink rt's queued ops of arg onto *taken (through next). */
static void queue_take(repl_shard *rt, void *arg, repl_wop **taken)
{
	repl_wop *prev = NULL, *next;
	for (repl_wop *op = rt->qhead; op; op = next) {
		next = op->next;
		if (op->exclusive || op->members || op->cb_arg != arg ||
		    op->state != REPL_WOP_QUEUED) {
			prev = op;
			continue;
		}
		if (prev)
			prev->next = next;
		else
			rt->qhead = next;
		if (rt->qtail == op)
			rt->qtail = prev;
		op->next = *taken;
		*taken = op;
	}
}

int repl_cancel_queued(repl_ctx *c, void *arg, const mur_error *err)
{
	repl_wop *taken = NULL, *next;
	int n = 0;
	for (uint32_t b = 0; b < c->nbuckets; b++)
		for (repl_shard *rt = c->shards[b]; rt; rt = rt->next)
			queue_take(rt, arg, &taken);
	/* report only now: a callback may queue new writes */
	for (repl_wop *op = taken; op; op = next) {
		next = op->next;
		op_fail(op, err);
		wop_set_state(op, REPL_WOP_DONE); /* never sent (or undone): nothing to undo */
		op_report(op);
		op_free(op);
		n++;
	}
	return n;
}
