/*
 * repl_lock.c — transactions on the leader and the shard lock table
 * (repl.h, "transactions"; docs/transactions.md).
 *
 * Objects:
 *   repl_txn       one open transaction: its id, the shards whose lock it
 *                  holds (parts: table, shard, mode, base = the shard's
 *                  committed entry when it took the lock exclusive), and,
 *                  while it ends, the undos in flight and the callback
 *   repl_shard.lock the exclusive holder of a shard's lock (repl_int.h);
 *   repl_shard.sharers its shared holders; neither: free.  The modes and
 *                  their arrows: repl.h, "transactions".
 *
 * Invariants:
 *   1. A part exists exactly while its transaction holds the shard's lock
 *      (part.shared ⇔ it is among rt->sharers, !part.shared ⇔ rt->lock is
 *      it), or, ending committed, handed it on at its marker (below).
 *      rt->lock and rt->sharers are never both set.
 *   2. A lock is taken (or upgraded) only when every op in flight on the
 *      shard is committed (no undecided entry: repl_shard_settled; their
 *      slower copies' answers may still be out) but for a pending marker
 *      (below), and its committed entry is known (never before a restarted
 *      leader decided it), so base is decided or conditional on that
 *      marker, and the exclusive holder's entries are the log's suffix
 *      after base: every op started while it holds the lock is its own
 *      (start_next in repl_write.c asks repl_lock_blocks).  A shared holder
 *      writes nothing, and nobody writes while it holds: base is still the
 *      committed entry when it upgrades.
 *   3. The shard's committed entry never moves to a conditional base: an
 *      undo (part_undone) moves it back only to a target below it.
 *
 * Pending marker (docs/decisions.md, "The next holder behind a decided
 * marker"): once a transaction's decision is durable (several shards), its
 * marker on a shard is its outcome there whatever happens to the marker op,
 * so its lock is handed on when the marker is *sent* (repl_lock_marker_sent;
 * rt->pend_txid), not when it is at its quorum.  The next holder's ops
 * follow the marker in the shard's pipeline (copies refuse an entry that
 * does not follow their log), and its base there is the marker's entry,
 * conditional (part.cond) until the marker holds (pending_resolved: base =
 * the marker's entry, settled).  If the marker fails, it is undone on the
 * copies with the ops behind it; the holder's base becomes the marker's
 * predecessor (still conditional: the marker is retried and lands there
 * again), the holder is doomed (its COMMIT fails 40000) and its queued ops
 * fail; while the marker is not out again nothing but it and exclusive ops
 * starts on the shard (op_waits), and reads of the shard wait for it
 * (repl_lock_gates), as they waited for the lock the marker's transaction
 * kept before.  A one-shard transaction's marker is its decision: it keeps
 * the lock until the marker holds (a failed one undoes the transaction, and
 * an unknown one may or may not have committed: no base could follow it).
 * A parallel commit hands its locks on earlier still, as each staging
 * marker is sent, before it is decided: the next holder is then
 * conditional on its outcome ("hand-off at the staging marker", below).
 *   3. Abort undoes a shard through the shard's queue (an exclusive op):
 *      it runs once the holder's ops in flight there are done.  Shared
 *      parts are only released.
 *
 * Flow:
 *   repl_txn_begin → writes (repl_write with facts.txn: repl_lock_take at
 *   the first op on each shard), shared holds (repl_lock_shard) →
 *   repl_txn_commit (release) or repl_txn_abort (cancel queued ops → undo
 *   each exclusive part → release).  A commit over several shards: the
 *   recorded decision (record_decision → markers), or with
 *   repl_txn_set_parallel the staging markers (send_staged → staged_all:
 *   committed → decided_go: client answered, markers; failed → undone),
 *   "parallel commits" below.
 *
 * Waits: an op blocked by a lock waits in the shard's queue.  The
 * wait-for graph is read from the queues: tx waits for H when an op of tx
 * queued on a shard waits for H there (repl_shard_blockers: H holds it in
 * a conflicting mode, or H's conflicting request is ahead and tx's shared
 * one may not pass it).  A cycle is refused when an op closes it
 * (enqueue_txn_op in repl_write.c asks repl_lock_in_cycle) and otherwise
 * found by a waiter once its op has waited deadlock_timeout, then every
 * deadlock_timeout (repl_lock_due: the owner's timer calls it at the time
 * repl_config.wake_at asked for; the tick calls it too).  lock_timeout
 * (55P03) is checked there as well, at the op's own time.  A statement
 * waiting before it plans for the end of a block that holds a table it
 * names (leader/lead_session.c) is an arrow too: tx waits for that block
 * (repl_txn_wait_block); its waiter searches at its own deadlock_timeout.
 */
#include "replication/repl_int.h"

#include "common/clock.h"
#include "common/fmt.h"
#include "common/log.h"
#include "common/recycle.h"
#include "common/trace.h"
#include "common/zalloc.h"

#include <assert.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* Transactions a wait-for path is followed through: more open
 * transactions than this in one chain of waits is not searched further
 * (a cycle longer than this is found by nobody; a session waits on). */
#define REPL_WAIT_DEPTH_MAX 64
/* Transactions one deadlock search remembers as followed; past this it
 * may follow some twice (still bounded by REPL_WAIT_DEPTH_MAX). */
#define REPL_WAIT_SEEN_MAX 256
/* Transactions one wait is followed to (the holders of one shard and the
 * requests ahead it may not pass): more sharers than this are not all
 * searched (a cycle through the others is found by nobody; waits on). */
#define REPL_BLOCKERS_MAX 64
/* Shards one pass of kick_wanted collects before starting them (it
 * passes again while it fills them all). */
#define REPL_KICKS_MAX 64
/* Victims one repl_lock_due picks: each breaks at least one cycle; more
 * cycles than this due at once are broken at the next look. */
#define REPL_DEADLOCK_VICTIMS_MAX 16

/* A part's commit marker (repl_txn_commit). */
enum { MARK_NONE = 0, MARK_SENT, MARK_DONE, MARK_FAILED };
/* repl_txn.stage_hold: what a stage fault point does once its time is up. */
enum { STAGE_HOLD_SEND = 1, STAGE_HOLD_FAIL };

typedef struct repl_txn_part {
	uint32_t table_id, shard;
	int shared;                    /* 1: tx holds the shard's lock shared (wrote nothing) */
	uint64_t base_lsn, base_entry; /* the shard's committed entry before tx's first */
	int mark;                      /* MARK_*: its commit marker */
	int cond;       /* base is a pending marker's entry (or, the marker failed, the
		     entry before it): it moves when that marker holds, or when the
		     transaction of a pending staging marker is decided */
	int handed;     /* parallel commits: the lock went on when the staging marker was
		       sent (repl_lock_marker_sent); stage_lsn, stage_entry: its entry */
	int stage_sent; /* its staging marker was sent behind another transaction's
			   undecided one (pipelined staging): the lock goes on once
			   that one is committed (handoff_late) */
	uint64_t stage_lsn, stage_entry;
} repl_txn_part;

/* Undecided transactions one staging marker may name as followed
 * (pipelined staging): more, and the COMMIT waits for their decisions as
 * before it existed. */
#define REPL_STAGE_DEPS_MAX 8

/* A transaction whose staging marker a staging transaction followed on
 * one of its shards while it was undecided (repl_staged.c asks that shard
 * about it after a restart). */
typedef struct repl_txn_dep {
	uint64_t txid;
	uint32_t table_id, shard;
} repl_txn_dep;

struct repl_txn {
	repl_ctx *c;
	uint64_t id;
	repl_txn_part *parts;
	int nparts, capparts;
	int ending;       /* commit or abort started: takes no new lock */
	int committing;   /* ending by repl_txn_commit (not undone) */
	repl_quorum q;    /* commit: the markers' write quorum */
	int mark_pending; /* commit: markers in flight (+1 while sending) */
	int marks_ok, marks_failed;
	int retrying;               /* committed on some shards: the others' markers are
				sent again each tick until they hold */
	int decided;                /* commit: the outcome is recorded durably (several shards):
				it is committed whatever happens to the markers */
	int failed;                 /* abort: an undo failed (a copy keeps tx's entries) */
	uint64_t held_until_ms;     /* commit: a hold fault point keeps the markers back
				   until then (mur_now_ms; 0: none; tests) */
	int stage_hold;             /* commit: a stage fault point keeps every staging marker
				   but the first back until held_until_ms, then sends
				   them (STAGE_HOLD_SEND) or fails them (STAGE_HOLD_FAIL) */
	int commit_wait;            /* commit: waits for its pipelined writes in flight */
	int parallel;               /* commit by staging markers (repl_txn_set_parallel) */
	int recorded;               /* commit by a recorded decision even on one shard
				   (repl_txn_set_recorded) */
	int batch;                  /* its block writes' APPLYs wait for its COMMIT
				   (repl_txn_set_batch) */
	int staging;                /* commit: its staging markers are out (parallel commits) */
	int staged_ok;              /* commit: decided by its staging markers */
	int dep_wait;               /* staging: every staging marker is decided, but a shard
				   still follows another transaction's undecided staging
				   marker: decided once that one is (behind_staged) */
	uint64_t dep_held_until_ms; /* txn_chain_undo_hold (tests): its decision waits
				       until then (mur_now_ms; 0: none) */
	int dep_certain;            /* a transaction it followed aborted for certain: so
				   does it (staged_abort answers 40000) */
	repl_txn_dep deps[REPL_STAGE_DEPS_MAX]; /* staging: the undecided transactions
						   its staging markers name */
	int ndeps;
	int stage_certain; /* staging: a marker failed for certain (not 40003): no
				   quorum of that shard holds it, and none will */
	int doomed;        /* a pipelined write missed its quorum: COMMIT rolls back */
	mur_error doom_err;
	mur_error err;
	repl_txn_cb cb;
	void *cb_arg;
	uint64_t block_wait;            /* a statement of it waits for the end of this open block,
				which holds a table it names (repl_txn_wait_block) */
	int64_t started_ms;             /* mur_wall_ms at begin (murphy.transactions) */
	uint64_t commit_us, decided_us; /* mur_now_us at repl_txn_commit, after the decision */
	repl_txn *next;                 /* c->txns */
};

/* Freed transactions (4.5 KiB) kept for the next ones (common/recycle.h). */
static _Thread_local mur_recycler txn_bin = {.size = sizeof(repl_txn)};

repl_txn *repl_txn_begin(repl_ctx *c, uint64_t txid, mur_error *err)
{
	repl_txn *tx = mur_recycle_zalloc(&txn_bin);
	if (!tx) {
		mur_error_set(err, SQLSTATE_OUT_OF_MEMORY, "out of memory");
		return NULL;
	}
	tx->c = c;
	tx->id = txid;
	tx->started_ms = mur_wall_ms();
	tx->next = c->txns;
	c->txns = tx;
	return tx;
}

uint64_t repl_txn_id(const repl_txn *tx) { return tx->id; }

void repl_txn_set_parallel(repl_txn *tx, int on) { tx->parallel = on; }
void repl_txn_set_recorded(repl_txn *tx) { tx->recorded = 1; }
void repl_txn_set_batch(repl_txn *tx, int on) { tx->batch = on; }
int repl_txn_batches(const repl_txn *tx) { return tx && tx->batch; }
int repl_txn_committing(const repl_txn *tx) { return tx->ending && tx->committing; }

int repl_lock_txn_open(const repl_ctx *c, uint64_t txid)
{
	for (const repl_txn *tx = c->txns; tx; tx = tx->next)
		if (tx->id == txid)
			return 1;
	return 0;
}
int repl_txn_nshards(const repl_txn *tx) { return tx->nparts; }

void repl_txn_wait_block(repl_txn *tx, uint64_t txid) { tx->block_wait = txid; }

uint64_t repl_table_holder(repl_ctx *c, const cat_table *t, const repl_txn *except,
			   int writers_only)
{
	for (uint32_t sh = 0; sh < t->nshards; sh++) {
		const repl_shard *rt = repl_shard_find(c, t->id, sh);
		if (rt && rt->lock && rt->lock != except)
			return rt->lock->id;
		for (int i = 0; rt && !writers_only && i < rt->nsharers; i++)
			if (rt->sharers[i] != except)
				return rt->sharers[i]->id;
	}
	return 0;
}

int repl_txn_deadlocked(repl_ctx *c, const repl_txn *tx, mur_error *err)
{
	if (!repl_lock_in_cycle(c, tx))
		return 0;
	repl_lock_deadlock_error(err, tx->id);
	return 1;
}

/* The open transaction with id txid, or NULL. */
static const repl_txn *txn_by_id(const repl_ctx *c, uint64_t txid)
{
	for (const repl_txn *tx = c->txns; txid && tx; tx = tx->next)
		if (tx->id == txid)
			return tx;
	return NULL;
}

static int sharer_index(const repl_shard *rt, const repl_txn *tx)
{
	for (int i = 0; i < rt->nsharers; i++)
		if (rt->sharers[i] == tx)
			return i;
	return -1;
}

static void sharer_remove(repl_shard *rt, int i) { rt->sharers[i] = rt->sharers[--rt->nsharers]; }

int repl_lock_holds(const repl_shard *rt, const repl_txn *tx, int shared)
{
	return tx && (rt->lock == tx || (shared && sharer_index(rt, tx) >= 0));
}

int repl_lock_blocks(const repl_shard *rt, const repl_txn *tx, int shared)
{
	if (rt->lock)
		return rt->lock != tx;
	for (int i = 0; !shared && i < rt->nsharers; i++)
		if (rt->sharers[i] != tx)
			return 1;
	return 0;
}

int repl_lock_gates(const repl_shard *rt, const repl_txn *tx)
{
	return (rt->lock && rt->lock != tx) || rt->pend_txid;
}

uint64_t repl_lock_decided_marker(const repl_shard *rt)
{
	if (rt->txn_undos || (rt->pend_txid && rt->pend_staged))
		return 0; /* an abort's undo; a staging marker (not decided) */
	if (rt->lock)     /* it appends its marker: a lazy one, a restart's, or not sent yet */
		return !rt->pend_txid && rt->lock->decided && rt->lock->committing ? rt->lock->id
										   : 0;
	return rt->pend_txid; /* handed on to nobody: its marker is out or retried */
}

static int part_index(const repl_txn *tx, uint32_t table_id, uint32_t shard);
static int part_wrote(repl_ctx *c, const repl_txn_part *pt);
static int staged_fits(repl_ctx *c, const repl_txn *tx);
static int txn_nwrote(repl_ctx *c, const repl_txn *tx);
static int send_staged(repl_ctx *c, repl_txn *tx);

/* Room for one more part of tx and one more sharer of rt. */
static int lock_room(repl_txn *tx, repl_shard *rt)
{
	if (tx->nparts == tx->capparts) {
		int cap = tx->capparts ? tx->capparts * 2 : 8;
		repl_txn_part *g = realloc(tx->parts, (size_t)cap * sizeof *g);
		if (!g)
			return MUR_ENOMEM;
		tx->parts = g;
		tx->capparts = cap;
	}
	if (rt->nsharers == rt->capsharers) {
		int cap = rt->capsharers ? rt->capsharers * 2 : 4;
		repl_txn **g = realloc(rt->sharers, (size_t)cap * sizeof *g);
		if (!g)
			return MUR_ENOMEM;
		rt->sharers = g;
		rt->capsharers = cap;
	}
	return MUR_OK;
}

/* Part pt's base on rt: the committed entry, or the entry of the pending
 * marker in flight ahead (invariant 2: conditional on it). */
static void part_base(const repl_shard *rt, const cat_shard *s, repl_txn_part *pt)
{
	pt->cond = repl_shard_behind_marker(rt, &pt->base_lsn, &pt->base_entry);
	if (!pt->cond) {
		pt->base_lsn = s->committed_lsn;
		pt->base_entry = s->committed_entry;
	}
	if (rt->pend_staged)
		pt->cond = 1; /* behind an undecided staging marker (its entry, decided
				 here, is the committed one): settled by its outcome */
}

int repl_lock_take(repl_ctx *c, repl_shard *rt, const cat_shard *s, repl_txn *tx, int shared)
{
	int i = part_index(tx, rt->table_id, rt->shard);
	(void)c;
	/* invariant 2, and nothing conflicts */
	assert((repl_shard_settled(rt) || repl_shard_behind_marker(rt, NULL, NULL)) &&
	       s->committed_known && !repl_lock_blocks(rt, tx, shared));
	if (repl_lock_holds(rt, tx, shared))
		return MUR_OK;
	if (i >= 0) { /* upgrade: tx is the only sharer, nobody wrote since */
		assert(!shared && tx->parts[i].shared && rt->nsharers == 1);
		sharer_remove(rt, sharer_index(rt, tx));
		rt->lock = tx;
		tx->parts[i].shared = 0;
		part_base(rt, s, &tx->parts[i]);
		return MUR_OK;
	}
	if (lock_room(tx, rt) != MUR_OK)
		return MUR_ENOMEM;
	tx->parts[tx->nparts] =
		(repl_txn_part){.table_id = rt->table_id, .shard = rt->shard, .shared = shared};
	part_base(rt, s, &tx->parts[tx->nparts++]);
	if (shared)
		rt->sharers[rt->nsharers++] = tx;
	else
		rt->lock = tx;
	return MUR_OK;
}

/* ---- release ---- */

static void txn_unlink(repl_ctx *c, repl_txn *tx)
{
	for (repl_txn **pp = &c->txns; *pp; pp = &(*pp)->next)
		if (*pp == tx) {
			*pp = tx->next;
			return;
		}
}

/* Give up the lock of part i: parked reads try again, the ops the lock
 * held back may start. */
static void part_release(repl_ctx *c, repl_txn *tx, const repl_txn_part *pt)
{
	repl_shard *rt = repl_shard_find(c, pt->table_id, pt->shard);
	cat_table *t = cat_table_by_id(c->cat, pt->table_id);
	int k = rt ? sharer_index(rt, tx) : -1;
	if (rt && pt->shared && k >= 0)
		sharer_remove(rt, k);
	else if (rt && !pt->shared && rt->lock == tx)
		rt->lock = NULL;
	else
		return;
	repl_resume_readers(rt);
	if (t && pt->shard < t->nshards)
		repl_kick(c, t, pt->shard);
}

/* A commit's phases, for repl_txn_commit_report. */
static void commit_report(repl_ctx *c, const repl_txn *tx)
{
	uint64_t now = mur_now_us();
	c->last_commit = (repl_commit_report){
		.txid = tx->id,
		.nwrote = tx->marks_ok + tx->marks_failed,
		.two_phase = tx->decided,
		.staged = tx->decided && tx->staged_ok,
		.decide_us = tx->decided_us - tx->commit_us,
		.markers_us = now - tx->decided_us,
		.marks_ok = tx->marks_ok,
		.marks_failed = tx->marks_failed,
	};
}

int repl_txn_commit_report(const repl_ctx *c, uint64_t txid, repl_commit_report *out)
{
	if (!txid || c->last_commit.txid != txid)
		return 0;
	*out = c->last_commit;
	return 1;
}

/* tx's end, for a client that lost its answer (repl_txn_ends.c): kept
 * in memory unless the client hears it as unknown (40003) or its outcome
 * is recorded (decided: several shards, txn_outcomes has the row). */
static void note_end(repl_ctx *c, const repl_txn *tx)
{
	int held = 0, first = -1;
	if (tx->decided ||
	    (!tx->committing && !strcmp(tx->err.sqlstate, SQLSTATE_STATEMENT_COMPLETION_UNKNOWN)))
		return;
	for (int i = 0; tx->committing && i < tx->nparts; i++)
		if (tx->parts[i].mark == MARK_DONE || tx->parts[i].handed) {
			held++;
			first = first < 0 ? i : first;
		}
	repl_txn_ends_note(c, tx->id, tx->committing, first >= 0 ? tx->parts[first].table_id : 0,
			   first >= 0 ? tx->parts[first].shard : 0, held);
}

/* tx has ended: release its locks, call back, free it. */
static void txn_finish(repl_txn *tx)
{
	repl_ctx *c = tx->c;
	if (tx->committing)
		commit_report(c, tx);
	note_end(c, tx);
	txn_unlink(c, tx);
	for (int i = 0; i < tx->nparts; i++)
		part_release(c, tx, &tx->parts[i]);
	if (tx->cb)
		tx->cb(tx->cb_arg, tx->failed, &tx->err);
	free(tx->parts);
	mur_recycle_free(&txn_bin, tx);
}

/* ---- commit: a marker on every shard tx wrote ---- */

typedef struct mark_ref {
	repl_txn *tx;
	int part; /* -1: a restart's marker, its part made by the lock */
	uint32_t table_id, shard;
} mark_ref;

/* Tests arm MURPHY_FAULT_POINT=<name> (with --allow-faults): the leader
 * dies right there, as kill -9 would (docs/transactions.md, crash table). */
static int fault_armed(const repl_ctx *c, const char *name)
{
	return c->fault_want && strcmp(c->fault_want, name) == 0;
}

static void fault_point(const repl_ctx *c, const char *name)
{
	if (!fault_armed(c, name))
		return;
	MLOG(WARN, "txn", "fault point %s reached: exiting", name);
	_exit(137);
}

/* Longest a hold fault point may keep a commit back (MURPHY_FAULT_HOLD_MS):
 * a test's kill fits in a few seconds; a typo must not hang a COMMIT. */
#define REPL_FAULT_HOLD_MS_DEFAULT 3000
#define REPL_FAULT_HOLD_MS_MAX 60000

/* MURPHY_FAULT_HOLD_MS, at most REPL_FAULT_HOLD_MS_MAX. */
static uint64_t fault_hold_ms(void)
{
	const char *ms_env = getenv("MURPHY_FAULT_HOLD_MS");
	uint64_t ms = ms_env ? strtoull(ms_env, NULL, 10) : REPL_FAULT_HOLD_MS_DEFAULT;
	return ms > REPL_FAULT_HOLD_MS_MAX ? REPL_FAULT_HOLD_MS_MAX : ms;
}

/* A hold fault point: armed, tx's commit stops here for
 * MURPHY_FAULT_HOLD_MS (default REPL_FAULT_HOLD_MS_DEFAULT) and the tick
 * goes on with it (release_held), so a test can kill a follower or the
 * client while the leader is at this step.  Returns 1 when it holds. */
static int fault_hold(const repl_ctx *c, const char *name, repl_txn *tx)
{
	uint64_t ms;
	if (!fault_armed(c, name))
		return 0;
	ms = fault_hold_ms();
	MLOG(WARN, "txn", "fault point %s reached: transaction %llu held for %llu ms", name,
	     (unsigned long long)tx->id, (unsigned long long)ms);
	tx->held_until_ms = mur_now_ms() + (ms ? ms : 1);
	return 1;
}

/* MURPHY_FAULT_POINT=txn_stage_fail_chained (tests): the first staging
 * transaction X is held as by txn_stage_hold_send_once (send_staged), and
 * the first staging marker chained behind another's (Y's, on X's shard)
 * fails: repl_write.c keeps it undecided until a staging marker of a third
 * transaction Z, chained behind it, is logged by every copy it went to,
 * then fails it (08006, certain) as a quorum missed late would, its
 * copies undone with Z's entries behind it.  Returns 1 for that marker
 * (once per leader). */
static int fault_fail_chained(repl_ctx *c, const repl_txn *tx, const repl_shard *rt)
{
	if (c->chain_fail_spent || !fault_armed(c, "txn_stage_fail_chained"))
		return 0;
	c->chain_fail_spent = 1;
	MLOG(WARN, "txn",
	     "fault point txn_stage_fail_chained reached: the staging marker of transaction "
	     "%llu on shard %u, chained behind transaction %llu's, will fail",
	     (unsigned long long)tx->id, rt->shard, (unsigned long long)rt->pend_txid);
	return 1;
}

static int part_index(const repl_txn *tx, uint32_t table_id, uint32_t shard)
{
	for (int i = 0; i < tx->nparts; i++)
		if (tx->parts[i].table_id == table_id && tx->parts[i].shard == shard)
			return i;
	return -1;
}

uint64_t repl_lock_base(const repl_shard *rt)
{
	int i = part_index(rt->lock, rt->table_id, rt->shard);
	assert(i >= 0 && !rt->lock->parts[i].cond); /* invariant 1; no pending marker */
	return rt->lock->parts[i].base_lsn;
}

/* 1 while a row insert of tx is in flight on one of its shards with no
 * answer yet (an autocommit COPY that commits with its batches:
 * repl_shard_sent).  Its staging markers do not hand its locks on: the
 * insert may still fail (a duplicate key) and doom tx, which would doom
 * the next holder behind them — a COPY beside another's COPY that failed
 * on a bad row would fail too.  Its locks go on at its decision. */
static int txn_unanswered(const repl_txn *tx)
{
	for (int i = 0; i < tx->nparts; i++)
		if (repl_shard_sent(tx->c, tx->parts[i].table_id, tx->parts[i].shard))
			return 1;
	return 0;
}

int repl_lock_marker_sent(repl_shard *rt, repl_txn *tx, uint64_t lsn, uint64_t entry)
{
	int i;
	if (rt && !tx->decided && tx->staging && txn_unanswered(tx))
		return 0; /* handed on at the decision (above) */
	if (rt && !tx->decided && tx->staging && rt->lock == tx && !rt->pend_txid &&
	    (i = part_index(tx, rt->table_id, rt->shard)) >= 0) {
		/* a staging marker: handed on, conditionally (below) */
		MUR_TRACE("hand", tx->id, (uint64_t)rt->table_id << 32 | rt->shard);
		rt->pend_txid = tx->id;
		rt->pend_staged = 1;
		tx->parts[i].handed = 1;
		tx->parts[i].stage_lsn = lsn;
		tx->parts[i].stage_entry = entry;
		rt->lock = NULL;
		return 0;
	}
	if (rt && !tx->decided && tx->staging && rt->lock == tx &&
	    (i = part_index(tx, rt->table_id, rt->shard)) >= 0) {
		/* behind another's undecided staging marker (pipelined staging):
		 * chained and handed on now while the chain has room, else
		 * once the one ahead is committed (handoff_late) */
		tx->parts[i].stage_sent = 1;
		tx->parts[i].stage_lsn = lsn;
		tx->parts[i].stage_entry = entry;
		if (rt->pend_staged == 1 && rt->npend_chain < REPL_PEND_CHAIN_MAX) {
			MUR_TRACE("hand", tx->id, (uint64_t)rt->table_id << 32 | rt->shard);
			rt->pend_chain[rt->npend_chain++] = tx->id;
			tx->parts[i].handed = 1;
			rt->lock = NULL;
			return fault_fail_chained(tx->c, tx, rt);
		}
		return 0;
	}
	if (!rt || !tx->decided)
		return 0; /* one shard: the marker is the decision (file top) */
	assert(!rt->pend_txid || rt->pend_txid == tx->id); /* nobody else's starts */
	rt->pend_txid = tx->id;
	if (rt->lock == tx)
		rt->lock = NULL; /* handed on: start_next gives it to the next waiter */
	return 0;
}

/* tx's pending marker on (table_id, shard) is decided: held (failed 0)
 * or not.  The exclusive holder's conditional base moves to the shard's
 * committed entry (the marker's, or its predecessor's); a marker that
 * failed dooms the holder (its entries behind the marker were undone with
 * it) and fails its queued ops, and stays pending: it is retried. */
static void pending_resolved(repl_ctx *c, const repl_txn *tx, uint32_t table_id, uint32_t shard,
			     int failed)
{
	repl_shard *rt = repl_shard_find(c, table_id, shard);
	const cat_table *t = cat_table_by_id(c->cat, table_id);
	repl_txn *h = rt ? rt->lock : NULL;
	int j = h && h != tx ? part_index(h, table_id, shard) : -1;
	mur_error err;
	if (!rt || rt->pend_txid != tx->id || !t || shard >= t->nshards)
		return;
	if (j >= 0 && h->parts[j].cond) {
		h->parts[j].base_lsn = t->shards[shard].committed_lsn;
		h->parts[j].base_entry = t->shards[shard].committed_entry;
		h->parts[j].cond = failed;
	}
	if (!failed) {
		rt->pend_txid = 0;
		repl_resume_readers(rt); /* the reads that waited for the marker */
		return;
	}
	if (j >= 0) {
		mur_error_set(&err, SQLSTATE_TRANSACTION_ROLLBACK,
			      "the commit marker of transaction %llu on shard %u of \"%s\", which "
			      "transaction %llu's writes there followed, did not reach its write "
			      "quorum",
			      (unsigned long long)tx->id, shard, t->name,
			      (unsigned long long)h->id);
		repl_txn_doom(h, &err);
		repl_cancel_txn_queued(c, h, &err);
	}
}

static void commit_decided(repl_txn *tx);
static void txn_abort_undo(repl_ctx *c, repl_txn *tx);

/* A recorded-committed transaction's marker holds on a shard: the lock
 * holder's marker is the shard's committed entry now (repl_outcome.c
 * trims the decision once every copy is past it). */
static void marker_decided(repl_ctx *c, uint64_t txid, uint32_t table_id, uint32_t shard)
{
	const cat_table *t = cat_table_by_id(c->cat, table_id);
	if (t && shard < t->nshards)
		repl_outcome_marker_at(c, txid, table_id, shard, t->shards[shard].committed_lsn);
}

/* A marker is decided.  Once tx's decision is durable and this shard's
 * marker is at its quorum, the shard's outcome is settled: its lock is
 * released at once, not when the last of tx's markers lands, so the next
 * writer of a hot shard (TPC-B's branch row) does not wait for the
 * slowest of tx's other shards.  Nothing seen changes: a reader of a shard
 * whose marker is still out waits for it (repl_read_gated_txn), as it
 * did; a failed marker keeps its shard locked (commit_decided). */
static void marker_done(void *arg, repl_wop *op, int failed, const mur_error *err,
			const exec_result *primary)
{
	mark_ref *ref = arg;
	repl_txn *tx = ref->tx;
	int i = ref->part >= 0 ? ref->part : part_index(tx, ref->table_id, ref->shard);
	uint32_t ref_table = ref->table_id, ref_shard = ref->shard;
	(void)op;
	(void)primary;
	free(ref);
	if (i >= 0)
		tx->parts[i].mark = failed ? MARK_FAILED : MARK_DONE;
	if (tx->decided)
		pending_resolved(tx->c, tx, ref_table, ref_shard, failed);
	if (failed) {
		tx->marks_failed++;
		if (!tx->failed) {
			tx->failed = 1;
			tx->err = *err;
		}
	} else {
		tx->marks_ok++;
		if (tx->decided)
			marker_decided(tx->c, tx->id, ref_table, ref_shard);
		if (tx->decided && i >= 0)
			part_release(tx->c, tx, &tx->parts[i]); /* settled: see above */
		if (tx->decided && tx->marks_ok == 1)
			fault_point(tx->c, "txn_after_first_marker");
	}
	if (--tx->mark_pending == 0)
		commit_decided(tx);
}

/* Send the marker of part i (its shard holds entries of tx). */
static void send_marker(repl_ctx *c, repl_txn *tx, int i)
{
	repl_txn_part *pt = &tx->parts[i];
	cat_table *t = cat_table_by_id(c->cat, pt->table_id);
	mark_ref *ref = malloc(sizeof *ref);
	mur_error err;
	if (ref)
		*ref = (mark_ref){.tx = tx,
				  .part = i,
				  .table_id = pt->table_id,
				  .shard = pt->shard};
	pt->mark = MARK_SENT;
	tx->mark_pending++;
	if (!ref || !t ||
	    repl_write_marker(c, t, pt->shard, tx->q, tx, marker_done, ref, &err) != MUR_OK) {
		free(ref);
		mur_error_set(&err, SQLSTATE_OUT_OF_MEMORY, "out of memory");
		pt->mark = MARK_FAILED;
		tx->marks_failed++;
		tx->mark_pending--;
	}
}

/* 1 when tx wrote entries on part pt's shard, decided or pipelined and in
 * flight, or sent with no answer yet (an autocommit COPY's batch at its
 * commit: repl_shard_sent; only the lock's holder writes) (a part only
 * locked by SELECT … FOR UPDATE, or whose writes changed no row, has
 * none). */
static int part_wrote(repl_ctx *c, const repl_txn_part *pt)
{
	const cat_table *t = cat_table_by_id(c->cat, pt->table_id);
	return t && pt->shard < t->nshards &&
	       (repl_shard_tip(c, pt->table_id, &t->shards[pt->shard], NULL) > pt->base_lsn ||
		repl_shard_sent(c, pt->table_id, pt->shard));
}

/* The participants of tx as txn_outcomes keeps them ("table:shard,…";
 * cut with ",…" past n bytes: repl_outcome.c never trims such a row). */
static void decision_parts(repl_ctx *c, const repl_txn *tx, char *parts, size_t n)
{
	mur_cat out; /* snprintf's text without stdio (common/fmt.h): once per commit */
	mur_cat_init(&out, parts, n);
	for (int i = 0; i < tx->nparts; i++) {
		if (!part_wrote(c, &tx->parts[i]))
			continue;
		if (out.len >= n - 32) {
			mur_cat_str(&out, ",…");
			break;
		}
		if (out.len)
			mur_cat_mem(&out, ",", 1);
		mur_cat_u64(&out, tx->parts[i].table_id);
		mur_cat_mem(&out, ":", 1);
		mur_cat_u64(&out, tx->parts[i].shard);
	}
}

static void send_markers(repl_ctx *c, repl_txn *tx);

/* tx's decision is durable (rc MUR_OK) or certainly not (the group it was
 * written with failed: nothing of it is recorded, no marker was sent, so
 * tx is undone).  Durable: the markers go out. */
static void decision_done(void *arg, int rc, const mur_error *why)
{
	repl_txn *tx = arg;
	repl_ctx *c = tx->c;
	if (rc != MUR_OK) {
		tx->failed = 1;
		mur_error_set(&tx->err, SQLSTATE_TRANSACTION_ROLLBACK,
			      "COMMIT failed, transaction %llu rolled back: its decision could not "
			      "be recorded",
			      (unsigned long long)tx->id);
		mur_error_detail(&tx->err, "SQLSTATE %s: %s", why->sqlstate, why->message);
		txn_abort_undo(c, tx);
		return;
	}
	tx->decided = 1;
	fault_point(c, "txn_after_decision");
	tx->decided_us = mur_now_us();
	if (fault_hold(c, "txn_hold_after_decision", tx))
		return; /* the tick sends the markers (release_held) */
	send_markers(c, tx);
}

/* Record tx committed (txn_outcomes, durable) before any marker: a
 * restarted leader then appends the markers that are missing instead of
 * presuming an abort.  With a decision writer (repl_set_decide: the
 * leader's, which writes the decisions of one loop turn with one fdatasync
 * of its decision log) decision_done follows later; without one it is
 * written here. */
static void record_decision(repl_ctx *c, repl_txn *tx)
{
	cat_decision d = {.txid = tx->id, .decided_ms = mur_wall_ms()};
	mur_error why;
	int rc;
	decision_parts(c, tx, d.participants, sizeof d.participants);
	if (c->decide) {
		if (c->decide(c->decide_ctx, &d, decision_done, tx, &why) != MUR_OK)
			decision_done(tx, MUR_ERR, &why);
		return;
	}
	rc = cat_txn_outcome_put(c->cat, tx->id, "committed", d.participants, d.decided_ms, &why);
	decision_done(tx, rc, &why);
}

/* Append tx's marker on every shard it wrote; tx may be finished (and
 * freed) when this returns. */
static void send_markers(repl_ctx *c, repl_txn *tx)
{
	tx->mark_pending = 1; /* held while sending */
	for (int i = 0; i < tx->nparts; i++)
		if (part_wrote(c, &tx->parts[i]) && !tx->parts[i].handed)
			send_marker(c, tx, i); /* handed on: closed by the next entry */
	if (--tx->mark_pending == 0)
		commit_decided(tx);
}

/* ---- parallel commits: staging markers (docs/transactions.md) ----
 *
 * A multi-shard COMMIT sends STAGED(tx, participants) to every shard tx
 * wrote at once, behind tx's pipelined entries in flight (their quorum is
 * implied by its own: copies log in LSN order), with no catalog write
 * first.  tx is committed iff every participant's staging marker is at its
 * quorum — a fact of the shards' logs that a restarted leader reads back
 * (repl_staged.c asks every copy of every participant).  Then tx is
 * decided: its outcome row goes to txn_outcomes off the commit's path
 * (record_outcome; not waited for), and the commit markers follow as for
 * a recorded decision (the lock is handed on as each is sent).  A staging
 * marker that fails aborts tx: every shard is undone (the staging markers
 * that landed with the rest). */

/* The participant list a staging marker carries: "q=<quorum>;t:s,t:s,…"
 * (every shard tx wrote, none left out), with "d=X@t:s/…;" after the
 * quorum when tx follows undecided staging markers (pipelined staging:
 * tx is committed only if each such X is; t:s the shard where tx followed
 * it).  0 when it does not fit in n bytes: tx commits the way of a
 * recorded decision. */
static int staged_parts(repl_ctx *c, const repl_txn *tx, char *out, size_t n)
{
	mur_cat o; /* snprintf's text without stdio (common/fmt.h): twice per commit */
	int first = 1;
	mur_cat_init(&o, out, n);
	mur_cat_mem(&o, "q=", 2);
	mur_cat_u64(&o, (uint64_t)tx->q);
	mur_cat_mem(&o, ";", 1);
	for (int i = 0; i < tx->ndeps && o.len < n; i++) {
		mur_cat_str(&o, i ? "/" : "d=");
		mur_cat_u64(&o, tx->deps[i].txid);
		mur_cat_mem(&o, "@", 1);
		mur_cat_u64(&o, tx->deps[i].table_id);
		mur_cat_mem(&o, ":", 1);
		mur_cat_u64(&o, tx->deps[i].shard);
		if (i + 1 == tx->ndeps)
			mur_cat_mem(&o, ";", 1);
	}
	for (int i = 0; i < tx->nparts && o.len < n; i++) {
		if (!part_wrote(c, &tx->parts[i]))
			continue;
		if (!first)
			mur_cat_mem(&o, ",", 1);
		mur_cat_u64(&o, tx->parts[i].table_id);
		mur_cat_mem(&o, ":", 1);
		mur_cat_u64(&o, tx->parts[i].shard);
		first = 0;
	}
	return o.len < n;
}

/* Will tx commit by staging markers?  Asked for, and its list fits. */
static int staged_fits(repl_ctx *c, const repl_txn *tx)
{
	char parts[REPL_STAGED_BYTES_MAX];
	return tx->parallel && staged_parts(c, tx, parts, sizeof parts);
}

/* A decided parallel commit's outcome row on its way (record_outcome). */
typedef struct outcome_row {
	repl_ctx *c;
	cat_decision d;
} outcome_row;

/* The outcome row of a decided parallel commit is durable, or its group
 * failed: then it is written by a synchronous=FULL catalog commit, so that
 * a client whose COMMIT answer was lost still finds it (a restart would
 * also find the transaction from its staging markers, but only while a
 * copy holds it open).  The leader goes on either way: tx is committed. */
static void outcome_recorded(void *arg, int rc, const mur_error *why)
{
	outcome_row *row = arg;
	mur_error err;
	if (rc != MUR_OK &&
	    cat_txn_outcome_put(row->c->cat, row->d.txid, "committed", row->d.participants,
				row->d.decided_ms, &err) != MUR_OK)
		MLOG(WARN, "txn",
		     "transaction %llu is committed but its outcome row was not written: %s; %s",
		     (unsigned long long)row->d.txid, why->message, err.message);
	free(row);
}

/* Record tx committed in txn_outcomes for the clients that look it up
 * (murphy.transaction_outcomes) and for a restart's shortcut, in the
 * decision log's group of this loop turn; nothing waits for it. */
static void record_outcome(repl_ctx *c, const repl_txn *tx)
{
	outcome_row *row = mur_calloc(1, sizeof *row);
	mur_error why;
	if (!row) {
		MLOG(WARN, "txn",
		     "transaction %llu is committed; out of memory for its outcome row",
		     (unsigned long long)tx->id);
		return;
	}
	row->c = c;
	row->d = (cat_decision){.txid = tx->id, .decided_ms = mur_wall_ms(), .outcome_only = 1};
	decision_parts(c, tx, row->d.participants, sizeof row->d.participants);
	mur_error_set(&why, SQLSTATE_INTERNAL_ERROR, "no decision log");
	if (!c->decide) {
		outcome_recorded(row, MUR_ERR, &why); /* unit tests: written inline */
		return;
	}
	if (c->decide(c->decide_ctx, &row->d, outcome_recorded, row, &why) != MUR_OK)
		outcome_recorded(row, MUR_ERR, &why);
}

/* ---- lazy markers: parallel commits without commit markers ----
 *
 * Once every staging marker of tx holds, tx is committed and, on each
 * shard it wrote, its STAGED entry is the newest, decided entry (tx held
 * the lock: nothing else is in flight there).  No commit marker is sent:
 * a copy takes any entry after X's STAGED entry as closing X, committed
 * (storage/replog.h), and this leader sends a shard nothing after it
 * before that — so the shard's next write (the next holder's, TPC-B's
 * branch row: at once) tells the copies, and tx's locks are released at
 * the decision, one round (the markers') earlier than with markers and
 * with one log entry less per participant copy.  A shard that no entry
 * followed gets tx's marker from the tick once it has been idle
 * REPL_LAZY_MARKER_MS (lazy_markers, through repl_txn_recommit, as a
 * restart appends one), so that no copy keeps tx open for long: the
 * outcome row's trim (repl_outcome.c) waits until every copy is past
 * the STAGED entry (bound staged_lsn + 1), and a restart that finds a copy
 * holding tx open (STAGED newest) reads the row, or asks the participants
 * (repl_staged.c), and appends the marker.  After an undo of the next
 * holder back to the STAGED entry, tx is open on the copies again, and
 * the shard waits for its lazy marker as before. */
#define REPL_LAZY_MARKER_MS 1000

/* 1 when every shard tx wrote has nothing in flight past its committed
 * entry (the STAGED entry: the newest), so that it can go without a
 * marker. */
static int staged_newest(repl_ctx *c, const repl_txn *tx)
{
	for (int i = 0; i < tx->nparts; i++) {
		const repl_txn_part *pt = &tx->parts[i];
		const cat_table *t = cat_table_by_id(c->cat, pt->table_id);
		if (!part_wrote(c, pt) || pt->handed)
			continue; /* handed on: settled at the decision (handoff_settle) */
		if (repl_shard_tip(c, pt->table_id, &t->shards[pt->shard], NULL) !=
		    t->shards[pt->shard].committed_lsn)
			return 0;
	}
	return 1;
}

void repl_lock_lazy_marker(repl_ctx *c, uint32_t table_id, uint32_t shard, uint64_t txid,
			   uint64_t lsn)
{
	repl_shard *rt = repl_shard_get(c, table_id, shard);
	if (!rt || (rt->staged_txid && lsn < rt->staged_lsn))
		return; /* a newer one waits: it closes this one */
	rt->staged_txid = txid;
	rt->staged_lsn = lsn;
	rt->staged_ms = mur_now_ms();
}

/* Committed by its staging markers, with none of its own to send: note
 * each shard's STAGED entry for the tick, bound the outcome row's trim
 * past it, release every lock and finish. */
static void close_staged(repl_ctx *c, repl_txn *tx)
{
	for (int i = 0; i < tx->nparts; i++) {
		const repl_txn_part *pt = &tx->parts[i];
		const cat_table *t = cat_table_by_id(c->cat, pt->table_id);
		uint64_t lsn;
		if (pt->handed) {
			tx->marks_ok++; /* settled at the decision (handoff_settle) */
			continue;
		}
		if (!part_wrote(c, pt))
			continue;
		lsn = t->shards[pt->shard].committed_lsn;
		repl_outcome_marker_at(c, tx->id, pt->table_id, pt->shard, lsn + 1);
		repl_lock_lazy_marker(c, pt->table_id, pt->shard, tx->id, lsn);
		tx->marks_ok++; /* settled, for the commit report */
	}
	txn_finish(tx);
}

/* 1 while transaction txid is still on this leader with a part on rt's
 * shard: a decided commit whose client has not heard yet (a hold fault
 * point) or whose markers on other shards are retried.  Its lazy marker
 * there waits until it is finished: the re-commit path would take the
 * lock of a shard it handed on already (repl_lock_take's invariant).  A
 * re-commit of the same transaction on another shard (the tick's first
 * lazy marker) has no part here: the marker joins it. */
static int txn_live_on(const repl_ctx *c, uint64_t txid, const repl_shard *rt)
{
	for (const repl_txn *x = c->txns; x; x = x->next)
		if (x->id == txid && part_index(x, rt->table_id, rt->shard) >= 0)
			return 1;
	return 0;
}

/* repl_lock_tick: forget the STAGED entries a later decided entry closed
 * (written by nobody who could still undo it: no lock holder), and
 * append the marker of those whose shard stayed idle. */
static void lazy_markers(repl_ctx *c)
{
	uint64_t now = mur_now_ms();
	for (uint32_t b = 0; b < c->nbuckets; b++)
		for (repl_shard *rt = c->shards[b]; rt; rt = rt->next) {
			cat_table *t;
			const cat_shard *s;
			uint64_t txid = rt->staged_txid;
			if (!txid)
				continue;
			t = cat_table_by_id(c->cat, rt->table_id);
			if (!t || rt->shard >= t->nshards) {
				rt->staged_txid = 0;
				continue;
			}
			s = &t->shards[rt->shard];
			if (!s->committed_known || rt->lock || rt->nsharers || rt->busy ||
			    rt->qhead || rt->fhead || rt->pend_txid)
				continue; /* busy: look again at the next tick */
			if (s->committed_lsn != rt->staged_lsn) {
				rt->staged_txid = 0; /* a later entry closed it */
				continue;
			}
			if (now - rt->staged_ms < REPL_LAZY_MARKER_MS ||
			    repl_shard_tip(c, rt->table_id, s, NULL) != s->committed_lsn ||
			    txn_live_on(c, txid, rt))
				continue;
			rt->staged_txid = 0;
			repl_txn_recommit(c, t, rt->shard, txid);
		}
}

/* ---- hand-off at the staging marker (docs/decisions.md, "The next holder
 * behind a staging marker") ----
 *
 * A parallel commit hands each shard's lock on as its staging marker there
 * is *sent* (repl_lock_marker_sent), before tx is decided, so the hot
 * shard's next holder does not wait for the staging round.  The shard
 * keeps the undecided staging markers sent on it, oldest first: the oldest
 * as rt->pend_txid (pend_staged 1), every one sent behind it in
 * rt->pend_chain (up to REPL_PEND_CHAIN_MAX; "chain" below).  The next
 * holder's ops follow the newest in the shard's pipeline (repl_write.c,
 * pending_out, rides_chain, lock_can_pipeline: the WRITE names the LSN
 * after it, copies refuse what does not follow their log), and its base
 * there is that staging entry, conditional (part.cond) on every one
 * pending.  Reads of the shard wait (repl_lock_gates: pend_txid), and so
 * do autocommit writes (op_waits).  The holder's COMMIT stages at once
 * (pipelined staging: stage_early; its staging marker goes behind the
 * newest, marker_can_pipeline), naming every pending one in its
 * participant blob ("d=X@t:s/Y@t:s"), and hands the shard on at its send
 * too: it joins the chain (handoff_late once the chain has room).  Its
 * *decision* waits until it is the oldest on every shard it holds
 * (staged_all: dep_wait, behind_staged), so the chain is decided in order,
 * and a restart that finds it staged everywhere commits it only if it
 * commits every one it names (repl_staged.c).  A one-shard holder, a
 * recorded decision, or a holder behind an aborting one still waits for
 * the decisions before its COMMIT starts.
 *  - the oldest committed: the next is the oldest (chain_pop, dep_check),
 *    or, none chained, the holder's base is settled and the shard goes on
 *    (handoff_settle); no marker goes there: the next entry closes it on
 *    the copies, else the tick's lazy marker does;
 *  - one aborts (a staging marker failed, or doomed by the one ahead):
 *    every one chained behind it and the holder are doomed at once
 *    (handoff_doom, chain_doom: 40000 naming it) and their queued ops
 *    fail; the shard takes no newcomer (pend_staged 2) until the undos are
 *    done; each is undone once it is the oldest, to its base (the first
 *    one's undo takes the entries of all behind it), and the next one's
 *    base becomes that base (chain_pop, handoff_settle from part_undone),
 *    with its certainty (dep_certain); the holders behind them on their
 *    other shards cascade;
 *  - the leader dies: a copy holding a staging marker with entries of
 *    later ones after it reports the newest open; not staged everywhere,
 *    or staged but one it names not committed: aborted, undone to its
 *    first entry, which leaves the one ahead newest, decided in turn by
 *    its staging markers (repl_staged.c; a copy answers "staged" for a
 *    transaction whatever follows its staging marker: stor_log_txn_state);
 *  - the copies keep each one's entries while it may be undone: the open
 *    one's, and every transaction's whose staging marker is less than a
 *    second old (storage/replog.c, trim). */

/* tx's staging marker on part i's shard, handed on, is settled: tx is
 * committed (committed 1), or tx's undo there is done.  The holder's base
 * is no longer conditional (tx's base after an abort). */
static void handoff_late(repl_ctx *c, repl_shard *rt);
static void dep_check(repl_ctx *c, uint64_t txid);

static repl_txn *txn_find(repl_ctx *c, uint64_t txid)
{
	for (repl_txn *x = c->txns; txid && x; x = x->next)
		if (x->id == txid)
			return x;
	return NULL;
}

/* MURPHY_FAULT_POINT=txn_chain_undo_hold (tests): the first staging
 * transaction X is held as by txn_stage_hold_fail_once (send_staged), so
 * it aborts; once X's undo on a shard is done, the one chained behind it
 * there (Y, the oldest now, doomed) is held MURPHY_FAULT_HOLD_MS before it
 * is decided (undone): a test loses a copy between the two undos.  Once
 * per leader; dep_check and the tick's dep_waits go on with it after. */
static void fault_undo_hold(repl_ctx *c, repl_txn *tx)
{
	uint64_t ms;
	if (c->chain_undo_spent || !fault_armed(c, "txn_chain_undo_hold"))
		return;
	c->chain_undo_spent = 1;
	ms = fault_hold_ms();
	MLOG(WARN, "txn",
	     "fault point txn_chain_undo_hold reached: transaction %llu, chained, held for "
	     "%llu ms before its undo",
	     (unsigned long long)tx->id, (unsigned long long)ms);
	tx->dep_held_until_ms = mur_now_ms() + (ms ? ms : 1);
}

/* ---- chain (pipelined staging, chained: bench/results/
 * 2026-12-07-pipechain.md) ----
 *
 * A holder Y whose staging marker goes out behind X's undecided one hands
 * the shard on at once too (repl_lock_marker_sent): the shard keeps X as
 * pend_txid and Y in pend_chain (up to REPL_PEND_CHAIN_MAX, oldest first),
 * and the next holder Z follows Y's staging marker (repl_write.c,
 * pending_out: the newest; rides_chain), its base conditional on the
 * whole chain, its staging markers naming every transaction chained
 * ahead (stage_early: "d=X@…/Y@…").  Each is decided only as the chain's
 * oldest (behind_staged: pend_txid is not it), so in chain order:
 *  - X committed: X leaves the chain, Y is the oldest and may be decided
 *    (chain_pop, dep_check); Z's base stays conditional (on Y);
 *  - X aborts: every one chained behind X and the holder are doomed
 *    (chain_doom, 40000 naming X), X's undo to its base takes their
 *    entries; then Y is the oldest, aborting (pend_staged 2), its base
 *    there X's: it is undone after X (its undo takes nothing there more),
 *    and so on down the chain; Z's base is then X's;
 *  - a chained Y's own staging marker fails: those behind it and the
 *    holder are doomed at once, and the shard takes no newcomer from then
 *    on (stage_failed_doom: pend_staged 2; a newcomer following Z would be
 *    doomed with Y, and one taking the lock on the drained flight would
 *    follow Y's entry, which the copies still hold open: refused); the
 *    copies undid Y's staging marker with Z's entries (repl_write.c,
 *    drain_followers); X is decided as before; Y, then Z, are undone once
 *    each is the oldest, and the newcomers go on after the last undo. */

/* tx (its staging marker on rt pending, or rt's holder) is doomed by
 * cause's abort: every transaction chained behind pos and the holder. */
static void chain_doom(repl_ctx *c, const repl_txn *cause, repl_shard *rt, int pos)
{
	const cat_table *t = cat_table_by_id(c->cat, rt->table_id);
	mur_error err;
	mur_error_set(&err, SQLSTATE_TRANSACTION_ROLLBACK,
		      "transaction %llu, whose staging marker on shard %u of \"%s\" this "
		      "transaction's writes there followed, was rolled back",
		      (unsigned long long)cause->id, rt->shard, t ? t->name : "?");
	for (int k = pos; k <= rt->npend_chain; k++) {
		repl_txn *h = k < rt->npend_chain ? txn_find(c, rt->pend_chain[k]) : rt->lock;
		if (!h || h == cause)
			continue;
		if (cause->stage_certain || cause->dep_certain)
			h->dep_certain = 1;
		repl_txn_doom(h, &err);
		repl_cancel_txn_queued(c, h, &err);
	}
}

/* tx, the oldest pending on rt (part i), is settled there and others are
 * chained behind it: the next is the oldest now.  After tx's abort its
 * base there is tx's (tx's undo took its entries) and the shard stays
 * aborting (pend_staged 2) until its own undo. */
static void chain_pop(repl_ctx *c, repl_txn *tx, int i, repl_shard *rt, int committed)
{
	const repl_txn_part *pt = &tx->parts[i];
	cat_table *t = cat_table_by_id(c->cat, pt->table_id);
	uint64_t oldest = rt->pend_chain[0]; /* the oldest now */
	repl_txn *next = txn_find(c, oldest);
	int j;
	rt->pend_txid = oldest;
	memmove(rt->pend_chain, rt->pend_chain + 1,
		(size_t)(rt->npend_chain - 1) * sizeof rt->pend_chain[0]);
	rt->npend_chain--;
	if (!committed && next && (j = part_index(next, pt->table_id, pt->shard)) >= 0) {
		next->parts[j].base_lsn = pt->base_lsn;
		next->parts[j].base_entry = pt->base_entry;
		next->parts[j].cond = 0;
	}
	if (committed) {
		repl_outcome_marker_at(c, tx->id, pt->table_id, pt->shard, pt->stage_lsn + 1);
		repl_lock_lazy_marker(c, pt->table_id, pt->shard, tx->id, pt->stage_lsn);
		handoff_late(c, rt); /* a holder kept back by a full chain: room now */
		if (t && pt->shard < t->nshards)
			repl_kick(c, t, pt->shard);
	}
	if (!committed && next)
		fault_undo_hold(c, next);
	dep_check(c, oldest); /* decided (or undone) now if its markers are (rt may
				 have moved: repl_kick) */
}

static void handoff_settle(repl_ctx *c, repl_txn *tx, int i, int committed)
{
	const repl_txn_part *pt = &tx->parts[i];
	repl_shard *rt = repl_shard_find(c, pt->table_id, pt->shard);
	cat_table *t = cat_table_by_id(c->cat, pt->table_id);
	uint64_t holder;
	int j;
	if (!rt || rt->pend_txid != tx->id || !rt->pend_staged)
		return;
	if (rt->npend_chain) {
		chain_pop(c, tx, i, rt, committed);
		return;
	}
	rt->pend_txid = 0;
	rt->pend_staged = 0;
	holder = rt->lock ? rt->lock->id : 0;
	if (rt->lock && (j = part_index(rt->lock, pt->table_id, pt->shard)) >= 0) {
		if (!committed) {
			rt->lock->parts[j].base_lsn = pt->base_lsn;
			rt->lock->parts[j].base_entry = pt->base_entry;
		}
		rt->lock->parts[j].cond = 0;
	}
	for (int k = 0; k < rt->nsharers; k++)
		if ((j = part_index(rt->sharers[k], pt->table_id, pt->shard)) >= 0)
			rt->sharers[k]->parts[j].cond = 0; /* base read again at an upgrade */
	repl_resume_readers(rt);
	if (!committed) {
		/* the holder's staging markers (pipelined) may all be decided: it
		 * aborts now, its undo behind tx's (part_undone goes on:
		 * repl_exclusive_done) */
		dep_check(c, holder);
		return;
	}
	repl_outcome_marker_at(c, tx->id, pt->table_id, pt->shard, pt->stage_lsn + 1);
	repl_lock_lazy_marker(c, pt->table_id, pt->shard, tx->id, pt->stage_lsn);
	handoff_late(c, rt); /* the holder's staging marker is out: it hands on now */
	if (t && pt->shard < t->nshards)
		repl_kick(c, t, pt->shard);
	rt = repl_shard_find(c, pt->table_id, pt->shard);
	if (rt && rt->lock)
		repl_lock_shard_settled(c, rt); /* its COMMIT may wait for tx */
	dep_check(c, holder);                   /* its staging markers may wait for tx only */
}

/* tx's staging marker on rt's shard will not commit (tx aborts): nothing
 * starts there until tx's undo is done, and the holder behind it is
 * doomed.  A holder that staged already (pipelined staging) aborts with
 * tx's certainty: a restart commits it only if it commits tx. */
static void handoff_doom(repl_ctx *c, const repl_txn *tx, repl_shard *rt)
{
	const cat_table *t = cat_table_by_id(c->cat, rt->table_id);
	repl_txn *h;
	mur_error err;
	rt->pend_staged = 2;
	if (rt->npend_chain && rt->pend_txid == tx->id) {
		chain_doom(c, tx, rt, 0);
		return;
	}
	h = rt->lock;
	if (!h || h == tx)
		return;
	if (tx->stage_certain || tx->dep_certain)
		h->dep_certain = 1; /* staged_abort's: final when handoff_abort runs */
	mur_error_set(&err, SQLSTATE_TRANSACTION_ROLLBACK,
		      "transaction %llu, whose staging marker on shard %u of \"%s\" "
		      "transaction %llu's writes there followed, was rolled back",
		      (unsigned long long)tx->id, rt->shard, t ? t->name : "?",
		      (unsigned long long)h->id);
	repl_txn_doom(h, &err);
	repl_cancel_txn_queued(c, h, &err);
}

/* tx aborts: on each shard it handed on, the holder is doomed and nothing
 * starts until tx's undo there is done. */
static void handoff_abort(repl_ctx *c, repl_txn *tx)
{
	for (int i = 0; i < tx->nparts; i++) {
		const repl_txn_part *pt = &tx->parts[i];
		repl_shard *rt = pt->handed ? repl_shard_find(c, pt->table_id, pt->shard) : NULL;
		if (rt && rt->pend_txid == tx->id && rt->pend_staged)
			handoff_doom(c, tx, rt);
	}
}

/* 1 while a shard tx holds exclusive follows the staging marker of another
 * transaction not yet decided: tx is decided only after it (a shared
 * holder read nothing of it: its reads waited, repl_lock_gates). */
static int behind_staged(repl_ctx *c, const repl_txn *tx)
{
	for (int i = 0; i < tx->nparts; i++) {
		const repl_shard *rt = repl_shard_find(c, tx->parts[i].table_id,
						       tx->parts[i].shard);
		if (rt && !tx->parts[i].shared && rt->pend_staged && rt->pend_txid != tx->id)
			return 1;
	}
	return 0;
}

/* Pipelined staging (docs/decisions.md, "The next holder behind a staging
 * marker"): may tx's COMMIT send its staging markers while it follows
 * other transactions' undecided ones?  When it commits by staging markers
 * at all (several shards, parallel, the list fits), is not doomed, and
 * each one it follows is still going (not aborting: pend_staged 1).  Its
 * decision then waits for theirs (staged_all: dep_wait), and its staging
 * markers name them (tx->deps), so that a restart commits it only if it
 * commits them (repl_staged.c).  Fills tx->deps. */
static int stage_early(repl_ctx *c, repl_txn *tx)
{
	tx->ndeps = 0;
	if (!tx->parallel || tx->doomed || txn_nwrote(c, tx) < 2)
		return 0;
	for (int i = 0; i < tx->nparts; i++) {
		const repl_shard *rt = repl_shard_find(c, tx->parts[i].table_id,
						       tx->parts[i].shard);
		int known = 0;
		if (!rt || tx->parts[i].shared || !rt->pend_staged || rt->pend_txid == tx->id)
			continue;
		if (rt->pend_staged != 1)
			return 0; /* it aborts: tx is doomed, and waits for its undo */
		for (int q = -1; q < rt->npend_chain; q++) { /* the chain: all named */
			uint64_t id = q < 0 ? rt->pend_txid : rt->pend_chain[q];
			known = 0;
			for (int k = 0; k < tx->ndeps; k++)
				known |= tx->deps[k].txid == id;
			if (known)
				continue;
			if (tx->ndeps == REPL_STAGE_DEPS_MAX)
				return 0;
			tx->deps[tx->ndeps++] = (repl_txn_dep){id, rt->table_id, rt->shard};
		}
	}
	return staged_fits(c, tx);
}

/* The holder of rt, whose staging marker went out behind another's that
 * was just committed, hands rt on now (as repl_lock_marker_sent does at
 * the send when nobody's is ahead): its base there was the other's
 * staging entry, and its staging marker (in flight or at its quorum) is
 * what the next holder follows. */
static void handoff_late(repl_ctx *c, repl_shard *rt)
{
	repl_txn *h = rt->lock;
	int i = h ? part_index(h, rt->table_id, rt->shard) : -1;
	(void)c;
	if (i < 0 || !h->parts[i].stage_sent || h->parts[i].handed || h->decided || !h->staging ||
	    h->doomed || h->parts[i].mark == MARK_FAILED ||
	    (rt->pend_txid && (rt->pend_staged != 1 || rt->npend_chain == REPL_PEND_CHAIN_MAX)))
		return;
	MUR_TRACE("hand", h->id, (uint64_t)rt->table_id << 32 | rt->shard);
	h->parts[i].handed = 1;
	rt->lock = NULL;
	if (rt->pend_txid) {
		rt->pend_chain[rt->npend_chain++] = h->id;
		return;
	}
	rt->pend_txid = h->id;
	rt->pend_staged = 1;
	rt->lock = NULL;
}

static void staged_all(repl_txn *tx);

/* 1 while the fault point txn_chain_undo_hold holds tx (fault_undo_hold). */
static int dep_held(const repl_txn *tx)
{
	return tx->dep_held_until_ms && mur_now_ms() < tx->dep_held_until_ms;
}

/* Transaction txid (still open here) waits with its staging markers
 * decided for those it followed (dep_wait): once none is undecided it is
 * decided, or aborted if one of them aborted (it is doomed then). */
static void dep_check(repl_ctx *c, uint64_t txid)
{
	repl_txn *tx = NULL;
	for (repl_txn *x = c->txns; txid && x && !tx; x = x->next)
		if (x->id == txid)
			tx = x;
	if (tx && tx->dep_wait && !behind_staged(c, tx) && !dep_held(tx))
		staged_all(tx);
}

/* A decided tx goes on: a staged one's client hears COMMIT now — tx is
 * committed whatever happens to its markers, its shards stay gated until
 * each marker is out (its lock, then the pending marker), so the client's
 * next read waits for them — then the markers are sent, or, when every
 * STAGED entry is its shard's newest, none (lazy markers, above).  The
 * commit report is what EXPLAIN ANALYZE reads from the callback (the
 * markers' round is not in it: it has not happened). */
static void decided_go(repl_ctx *c, repl_txn *tx)
{
	repl_txn_cb cb = tx->cb;
	mur_error none;
	if (tx->staged_ok && cb) {
		commit_report(c, tx);
		c->last_commit.nwrote = txn_nwrote(c, tx);
		tx->cb = NULL;
		memset(&none, 0, sizeof none);
		cb(tx->cb_arg, 0, &none);
	}
	if (tx->staged_ok && staged_newest(c, tx)) {
		close_staged(c, tx);
		return;
	}
	send_markers(c, tx);
}

/* Every staging marker of tx is at its quorum: tx is committed. */
static void staged_committed(repl_ctx *c, repl_txn *tx)
{
	tx->decided = 1;
	MUR_TRACE("decided", tx->id, 0);
	fault_point(c, "txn_after_decision");
	tx->decided_us = mur_now_us();
	record_outcome(c, tx);
	for (int i = 0; i < tx->nparts; i++)
		if (tx->parts[i].handed)
			handoff_settle(c, tx, i, 1);
	if (fault_hold(c, "txn_hold_after_decision", tx))
		return; /* the tick goes on with it (release_held) */
	decided_go(c, tx);
}

/* A staging marker failed: tx is undone everywhere.  Certain (40000)
 * when one failed for certain: that shard's quorum does not hold it and
 * never will (it was never sent, refused, or the copies that did not
 * answer are fewer than its write quorum: repl_write.c,
 * outcome_uncertain), so no restart can find tx staged everywhere; else
 * 40003 (the copies that did not answer could make each failed marker's
 * quorum; this leader undoes them, but a restart before those copies
 * return could count them).  Doomed is no certainty of its own: a
 * staging marker queued again behind tx's failed entry may be held by
 * copies that took both and did not answer. */
static void staged_abort(repl_ctx *c, repl_txn *tx)
{
	mur_error why = tx->err;
	/* doomed with every staging marker held: by a pipelined write, or by
	 * the transaction whose staging marker it followed (pipelined staging) */
	int by_doom = tx->doomed && !mur_error_is_set(&why);
	tx->failed = 1;
	if (tx->stage_certain || tx->dep_certain) {
		mur_error_set(&tx->err, SQLSTATE_TRANSACTION_ROLLBACK,
			      "COMMIT failed, transaction %llu rolled back: %s",
			      (unsigned long long)tx->id,
			      by_doom ? tx->doom_err.message : why.message);
		if (by_doom)
			mur_error_detail(&tx->err, "%s", tx->doom_err.message);
		else
			mur_error_detail(&tx->err, "a staging marker failed with SQLSTATE %s",
					 why.sqlstate);
		mur_error_hint(&tx->err, "nothing of the transaction remains; retry it");
	} else {
		mur_error_set(&tx->err, SQLSTATE_STATEMENT_COMPLETION_UNKNOWN,
			      "the outcome of transaction %llu is unknown: its staging markers "
			      "may be held by copies that did not answer",
			      (unsigned long long)tx->id);
		mur_error_detail(&tx->err,
				 "this leader undoes the transaction; only a leader restart "
				 "before those copies return could keep it. %s",
				 by_doom ? tx->doom_err.message : why.message);
		mur_error_hint(&tx->err, "check whether the transaction's changes are there "
					 "before retrying it");
	}
	txn_abort_undo(c, tx);
}

/* Every staging marker sent is decided. */
static void staged_all(repl_txn *tx)
{
	repl_ctx *c = tx->c;
	int failed = tx->marks_failed;
	if (behind_staged(c, tx)) {
		/* pipelined staging: a shard still follows another's undecided
		 * staging marker; decided after it (dep_check), and undone after
		 * its undo if it aborts */
		tx->dep_wait = 1;
		return;
	}
	tx->dep_wait = 0;
	tx->staging = 0;
	tx->marks_ok = tx->marks_failed = 0;
	for (int i = 0; i < tx->nparts; i++)
		tx->parts[i].mark = MARK_NONE;
	if (failed || tx->doomed) {
		staged_abort(c, tx);
		return;
	}
	tx->failed = 0;
	tx->staged_ok = 1;
	staged_committed(c, tx);
}

/* A staging marker of tx failed: tx will abort.  On every shard it handed
 * on, those behind it are doomed at once (40000 naming tx), before a
 * staging marker of theirs queued again behind the failed one can be sent,
 * and nothing new follows it: the shard stops taking newcomers
 * (pend_staged 2) until tx's undo there is done — as the oldest
 * (handoff_doom), or chained, once those ahead are decided and tx is the
 * oldest (chain_pop).  A newcomer that followed the chain meanwhile would
 * be doomed by tx's abort, or (tx's staging entry undone under it) its
 * entry refused by the copies. */
static void stage_failed_doom(repl_ctx *c, const repl_txn *tx)
{
	for (int i = 0; i < tx->nparts; i++) {
		const repl_txn_part *pt = &tx->parts[i];
		repl_shard *rt = pt->handed ? repl_shard_find(c, pt->table_id, pt->shard) : NULL;
		if (!rt || !rt->pend_staged)
			continue;
		if (rt->pend_txid == tx->id) {
			handoff_doom(c, tx, rt);
			continue;
		}
		for (int k = 0; k < rt->npend_chain; k++)
			if (rt->pend_chain[k] == tx->id) {
				rt->pend_staged = 2;
				chain_doom(c, tx, rt, k + 1); /* chained: those behind */
				break;
			}
	}
}

static void staged_done(void *arg, repl_wop *op, int failed, const mur_error *err,
			const exec_result *primary)
{
	mark_ref *ref = arg;
	repl_txn *tx = ref->tx;
	(void)op;
	(void)primary;
	MUR_TRACE("sdone", tx->id, (uint64_t)ref->table_id << 32 | ref->shard);
	if (ref->part >= 0)
		tx->parts[ref->part].mark = failed ? MARK_FAILED : MARK_DONE;
	if (failed) /* tx aborts: nothing may follow it any more */
		stage_failed_doom(tx->c, tx);
	free(ref);
	if (failed) {
		tx->marks_failed++;
		tx->stage_certain |= strcmp(err->sqlstate, SQLSTATE_STATEMENT_COMPLETION_UNKNOWN) !=
				     0;
		if (!tx->failed) {
			tx->failed = 1;
			tx->err = *err;
		}
	} else if (++tx->marks_ok == 1) {
		fault_point(tx->c, "txn_after_first_staged");
		fault_point(tx->c, "txn_after_one_staged"); /* the only one sent */
	}
	if (--tx->mark_pending == 0)
		staged_all(tx);
}

/* Staging marker of part i never sent (err): it failed for certain. */
static void stage_unsent(repl_txn *tx, int i, const mur_error *err)
{
	tx->parts[i].mark = MARK_FAILED;
	tx->marks_failed++;
	tx->stage_certain = 1; /* never sent */
	if (!tx->failed) {
		tx->failed = 1;
		tx->err = *err;
	}
}

/* Send STAGED(tx, parts) on part i's shard. */
static void stage_one(repl_ctx *c, repl_txn *tx, int i, const char *parts)
{
	repl_txn_part *pt = &tx->parts[i];
	cat_table *t = cat_table_by_id(c->cat, pt->table_id);
	mark_ref *ref = malloc(sizeof *ref);
	mur_error err;
	if (ref)
		*ref = (mark_ref){.tx = tx,
				  .part = i,
				  .table_id = pt->table_id,
				  .shard = pt->shard};
	pt->mark = MARK_SENT;
	tx->mark_pending++;
	if (!ref || !t ||
	    repl_write_staged(c, t, pt->shard, tx->q, tx, parts, staged_done, ref, &err) !=
		    MUR_OK) {
		free(ref);
		mur_error_set(&err, SQLSTATE_OUT_OF_MEMORY, "out of memory");
		stage_unsent(tx, i, &err);
		tx->mark_pending--;
	}
}

/* Send STAGED(tx, participants) on every shard tx wrote; 0 when the list
 * does not fit a staging marker (nothing sent).  tx may be finished when
 * this returns 1.  MURPHY_FAULT_POINT=txn_after_one_staged (tests) sends
 * only the first, and the leader dies once it is at its quorum: one
 * participant staged, the others never asked.  txn_stage_hold_send and
 * txn_stage_hold_fail send the first and keep the others back for
 * MURPHY_FAULT_HOLD_MS; then the tick sends them, or fails them as never
 * sent (stage_release): tx undecided meanwhile, its first shard handed on.
 * Their "_once" forms hold only the first transaction that stages (the
 * next ones stage behind it: pipelined staging). */
static int send_staged(repl_ctx *c, repl_txn *tx)
{
	char parts[REPL_STAGED_BYTES_MAX];
	int only_one = fault_armed(c, "txn_after_one_staged");
	/* the chain's points hold X as _send_once (fail_chained) or _fail_once */
	int chained = fault_armed(c, "txn_stage_fail_chained");
	int undo_hold = fault_armed(c, "txn_chain_undo_hold");
	int once = !c->stage_hold_spent &&
		   (fault_armed(c, "txn_stage_hold_send_once") ||
		    fault_armed(c, "txn_stage_hold_fail_once") || chained || undo_hold);
	int hold = fault_armed(c, "txn_stage_hold_send") ||
				   (once && (fault_armed(c, "txn_stage_hold_send_once") || chained))
			   ? STAGE_HOLD_SEND
		   : fault_armed(c, "txn_stage_hold_fail") || once ? STAGE_HOLD_FAIL
								   : 0;
	const char *point = hold == STAGE_HOLD_SEND ? "txn_stage_hold_send" : "txn_stage_hold_fail";
	if (once) {
		c->stage_hold_spent = 1; /* the next staging transaction goes at once */
		point = chained                   ? "txn_stage_fail_chained"
			: undo_hold               ? "txn_chain_undo_hold"
			: hold == STAGE_HOLD_SEND ? "txn_stage_hold_send_once"
						  : "txn_stage_hold_fail_once";
	}
	if (!behind_staged(c, tx))
		tx->ndeps = 0; /* else stage_early named them (repl_txn_commit) */
	if (!staged_parts(c, tx, parts, sizeof parts))
		return 0;
	tx->staging = 1;
	tx->stage_certain = 0;
	tx->mark_pending = 1; /* held while sending */
	for (int i = 0; i < tx->nparts; i++)
		if (part_wrote(c, &tx->parts[i]) && !((only_one || hold) && tx->mark_pending > 1))
			stage_one(c, tx, i, parts);
	if (hold && fault_hold(c, point, tx)) {
		tx->stage_hold = hold; /* the hold keeps mark_pending up */
		return 1;
	}
	if (--tx->mark_pending == 0)
		staged_all(tx);
	return 1;
}

/* repl_lock_tick: a stage fault point's time is up: the staging markers
 * it kept back are sent, or fail as never sent. */
static void stage_release(repl_ctx *c, repl_txn *tx)
{
	char parts[REPL_STAGED_BYTES_MAX];
	int fail = tx->stage_hold == STAGE_HOLD_FAIL;
	mur_error err;
	tx->stage_hold = 0;
	mur_error_set(&err, SQLSTATE_CONNECTION_FAILURE,
		      "fault point: the staging marker was not sent");
	staged_parts(c, tx, parts, sizeof parts);
	for (int i = 0; i < tx->nparts; i++) {
		if (tx->parts[i].mark != MARK_NONE || !part_wrote(c, &tx->parts[i]))
			continue;
		if (fail)
			stage_unsent(tx, i, &err);
		else
			stage_one(c, tx, i, parts);
	}
	if (--tx->mark_pending == 0)
		staged_all(tx);
}

void repl_txn_doom(repl_txn *tx, const mur_error *err)
{
	if (tx->doomed)
		return;
	tx->doomed = 1;
	tx->doom_err = *err;
	MLOG(INFO, "txn", "transaction %llu: a pipelined write failed: %s",
	     (unsigned long long)tx->id, err->message);
}

int repl_txn_doomed(const repl_txn *tx, mur_error *err)
{
	if (!tx->doomed)
		return 0;
	mur_error_set(err, SQLSTATE_TRANSACTION_ROLLBACK,
		      "transaction %llu cannot go on: one of its writes did not reach its "
		      "write quorum and was undone",
		      (unsigned long long)tx->id);
	mur_error_detail(err, "%s", tx->doom_err.message);
	mur_error_hint(err, "ROLLBACK, then retry the transaction");
	return 1;
}

/* 1 while an op on a shard tx holds is undecided (a pipelined write of tx
 * not at its quorum yet, or being undone) or an exclusive op runs there. */
static int txn_busy(repl_ctx *c, const repl_txn *tx)
{
	for (int i = 0; i < tx->nparts; i++) {
		const repl_shard *rt = repl_shard_find(c, tx->parts[i].table_id,
						       tx->parts[i].shard);
		if (rt && !repl_shard_settled(rt))
			return 1;
	}
	return 0;
}

static void commit_start(repl_ctx *c, repl_txn *tx);
static int part_wrote(repl_ctx *c, const repl_txn_part *pt);

/* Shards tx wrote entries on (decided or in flight). */
static int txn_nwrote(repl_ctx *c, const repl_txn *tx)
{
	int n = 0;
	for (int i = 0; i < tx->nparts; i++)
		n += part_wrote(c, &tx->parts[i]);
	return n;
}

void repl_txn_commit(repl_ctx *c, repl_txn *tx, repl_quorum q, repl_txn_cb cb, void *arg)
{
	MUR_TRACE("commit", tx->id, 0);
	assert(!tx->ending);
	tx->ending = 1;
	tx->committing = 1;
	tx->cb = cb;
	tx->cb_arg = arg;
	tx->q = q;
	tx->commit_us = tx->decided_us = mur_now_us();
	for (int i = 0; tx->batch && i < tx->nparts; i++) {
		/* its entries kept for the COMMIT go now, ahead of any marker */
		repl_shard *rt = repl_shard_find(c, tx->parts[i].table_id, tx->parts[i].shard);
		if (rt)
			repl_shard_flush_deferred(rt);
	}
	if ((behind_staged(c, tx) && !stage_early(c, tx)) ||
	    (txn_busy(c, tx) && (tx->doomed || (txn_nwrote(c, tx) > 1 && !staged_fits(c, tx))))) {
		/* doomed: undone once its writes in flight are decided.  Several
		 * shards, not by parallel commits (or too many for a staging
		 * marker): the recorded decision needs every entry prepared (at
		 * its quorum) first.
		 * Otherwise the marker (one shard) or the staging markers go
		 * behind the entries in flight at once (repl_write.c,
		 * marker_can_pipeline) and are decided after them; one of them
		 * failing dooms tx */
		tx->commit_wait = 1;
		return;
	}
	commit_start(c, tx);
}

void repl_lock_shard_settled(repl_ctx *c, repl_shard *rt)
{
	repl_txn *tx = rt->lock;
	if (tx && tx->commit_wait && !txn_busy(c, tx) &&
	    (!behind_staged(c, tx) || stage_early(c, tx)))
		commit_start(c, tx);
}

/* Every op of tx is decided: a doomed tx is undone (COMMIT fails), else
 * the decision (several shards) and the markers. */
static void commit_start(repl_ctx *c, repl_txn *tx)
{
	int nwrote;
	tx->commit_wait = 0;
	MUR_TRACE("cstart", tx->id, 0);
	if (tx->doomed) {
		tx->failed = 1;
		/* certain: no marker was sent, so nothing of tx is decided */
		mur_error_set(&tx->err, SQLSTATE_TRANSACTION_ROLLBACK,
			      "COMMIT failed, transaction %llu rolled back: a write of it did not "
			      "reach its write quorum",
			      (unsigned long long)tx->id);
		mur_error_detail(&tx->err, "%s", tx->doom_err.message);
		mur_error_hint(&tx->err, "nothing of the transaction remains; retry it");
		txn_abort_undo(c, tx);
		return;
	}
	nwrote = txn_nwrote(c, tx);
	if (nwrote > 1 || (nwrote == 1 && tx->recorded)) {
		fault_point(c, "txn_after_prepare"); /* nothing of tx is staged yet */
		if (!tx->parallel || !send_staged(c, tx))
			record_decision(c, tx); /* the markers follow it (decision_done) */
		return;
	}
	send_markers(c, tx);
}

/* Every marker sent is decided.  All held: committed.  None held and
 * nothing recorded: nothing of tx is decided anywhere, so it is undone
 * (the client hears 40000).  Recorded (several shards), some markers
 * missing: tx is committed, the client hears COMMIT with a notice, and
 * the missing markers are sent again each tick (repl_lock_tick) while
 * their shards stay locked. */
static void commit_decided(repl_txn *tx)
{
	repl_ctx *c = tx->c;
	mur_error why;
	if (tx->marks_failed == 0) {
		if (tx->retrying)
			tx->cb = NULL; /* the client heard already */
		txn_finish(tx);
		return;
	}
	if (tx->marks_ok == 0 && !tx->retrying && !tx->decided) {
		/* one shard (a multi-shard tx sends markers only once decided):
		 * no marker holds and nothing was recorded, so tx is undone */
		why = tx->err;
		if (strcmp(why.sqlstate, SQLSTATE_STATEMENT_COMPLETION_UNKNOWN) != 0) {
			/* certain: no copy took the marker (too few reachable, or
			 * each refused it), and the undo takes tx back everywhere
			 * (a copy it cannot reach is undone when it returns, or by
			 * a restart's presumed abort: it reports tx open).  40000:
			 * a marker's 08006 was a follower's link, not the client's */
			mur_error_set(&tx->err, SQLSTATE_TRANSACTION_ROLLBACK,
				      "COMMIT failed, transaction %llu rolled back: %s",
				      (unsigned long long)tx->id, why.message);
			mur_error_detail(&tx->err, "the commit marker failed with SQLSTATE %s",
					 why.sqlstate);
			mur_error_hint(&tx->err, "nothing of the transaction remains; retry it");
		} else {
			/* unknown: a copy that did not answer may hold the marker,
			 * which is tx's decision on one shard.  This leader undoes
			 * tx (that copy too when it returns), but a leader that
			 * restarts first may take that copy as the newest and keep
			 * tx (repl_recover.c, decide_committed) */
			mur_error_set(&tx->err, SQLSTATE_STATEMENT_COMPLETION_UNKNOWN,
				      "the outcome of transaction %llu is unknown: its commit "
				      "marker may be held by a copy that did not answer",
				      (unsigned long long)tx->id);
			mur_error_detail(&tx->err,
					 "this leader undoes the transaction; only a leader "
					 "restart before that copy returns could keep it. %s",
					 why.message);
			mur_error_hint(&tx->err, "check whether the transaction's changes are "
						 "there before retrying it");
		}
		txn_abort_undo(c, tx);
		return;
	}
	if (!tx->retrying) {
		/* certain: the decision is recorded (or, for a restart's
		 * markers, was found), so tx is committed — a restart appends
		 * the missing markers too.  The client hears COMMIT, with a
		 * notice: readers of the shards still without a marker wait for
		 * it (their locks stay) */
		tx->retrying = 1;
		tx->failed = 0;
		why = tx->err;
		mur_error_set(&tx->err, SQLSTATE_SUCCESS,
			      "transaction %llu is committed (its decision is recorded): the "
			      "commit marker of %d of its %d shards is retried until their "
			      "copies take it; until then their readers and writers wait",
			      (unsigned long long)tx->id, tx->marks_failed,
			      tx->marks_ok + tx->marks_failed);
		mur_error_detail(&tx->err, "%s", why.message);
		if (tx->cb)
			tx->cb(tx->cb_arg, 0, &tx->err);
		tx->cb = NULL;
		for (int i = 0; i < tx->nparts; i++)
			if (tx->parts[i].shared)
				part_release(c, tx, &tx->parts[i]);
	}
	/* also on a retry, and for a restart's markers (retrying from the
	 * start): a shard whose marker holds is writable at once */
	for (int i = 0; i < tx->nparts; i++)
		if (tx->parts[i].mark == MARK_DONE)
			part_release(c, tx, &tx->parts[i]);
}

/* A restart's marker goes before the writes queued while the shard was
 * undecided: every copy holds tx's entries open at the end of its log and
 * refuses anything else first (25000).  Taking the lock now (the shard
 * was just decided and is idle) holds them back until the marker is in;
 * a marker that fails keeps it, and is sent again each tick. */
static void take_for_marker(repl_ctx *c, const cat_table *t, uint32_t shard, repl_txn *tx)
{
	repl_shard *rt = repl_shard_get(c, t->id, shard);
	if (rt && !rt->busy && t->shards[shard].committed_known && rt->pend_txid != tx->id &&
	    !repl_lock_blocks(rt, tx, 0)) /* pending: it handed the lock on, goes first */
		(void)repl_lock_take(c, rt, &t->shards[shard], tx, 0); /* else: at the op's start */
}

void repl_txn_recommit(repl_ctx *c, cat_table *t, uint32_t shard, uint64_t txid)
{
	repl_txn *tx = NULL;
	mark_ref *ref;
	mur_error err;
	for (repl_txn *x = c->txns; x && !tx; x = x->next)
		if (x->id == txid && x->decided)
			tx = x;
	if (!tx) {
		if (!(tx = repl_txn_begin(c, txid, &err)))
			return; /* the next restart tries again */
		tx->ending = tx->committing = tx->decided = tx->retrying = 1; /* nobody waits */
		tx->q = REPL_QUORUM_MAJORITY;
	}
	if (!(ref = malloc(sizeof *ref)))
		return;
	take_for_marker(c, t, shard, tx);
	*ref = (mark_ref){.tx = tx, .part = -1, .table_id = t->id, .shard = shard};
	tx->mark_pending++;
	MLOG(INFO, "txn",
	     "transaction %llu is recorded committed: appending its marker on shard "
	     "%u of %s",
	     (unsigned long long)txid, shard, t->name);
	if (repl_write_marker(c, t, shard, tx->q, tx, marker_done, ref, &err) != MUR_OK) {
		int i = part_index(tx, t->id, shard);
		free(ref);
		if (i >= 0)
			tx->parts[i].mark = MARK_FAILED; /* locked: sent again each tick */
		if (--tx->mark_pending == 0 && tx->nparts == 0)
			txn_finish(tx);
	}
}

/* repl_lock_tick: a commit held by a fault point goes on once its time is
 * up (one per tick: tx may be freed, and the list with it). */
static void release_held(repl_ctx *c)
{
	uint64_t now = mur_now_ms();
	for (repl_txn *tx = c->txns; tx; tx = tx->next)
		if (tx->held_until_ms && tx->held_until_ms <= now) {
			tx->held_until_ms = 0;
			MLOG(WARN, "txn", "fault point: transaction %llu goes on",
			     (unsigned long long)tx->id);
			if (tx->stage_hold)
				stage_release(c, tx);
			else
				decided_go(c, tx);
			return;
		}
}

/* repl_lock_tick: send the missing markers of committed transactions again. */
static void retry_markers(repl_ctx *c)
{
	for (repl_txn *tx = c->txns; tx; tx = tx->next) {
		if (!tx->retrying || tx->mark_pending)
			continue;
		tx->marks_failed = 0;
		tx->mark_pending = 1;
		for (int i = 0; i < tx->nparts; i++)
			if (tx->parts[i].mark == MARK_FAILED)
				send_marker(c, tx, i);
		if (--tx->mark_pending == 0) {
			commit_decided(tx);
			return; /* tx may be freed: the list changed */
		}
	}
}

/* ---- undo: abort (every part to its base) and ROLLBACK TO (to a mark) ---- */

/* One undo pass over tx's parts; done() runs once every part is undone. */
typedef struct txn_undo {
	repl_txn *tx;
	int pending; /* parts not yet undone (+1 while queueing) */
	int failed;  /* an undo failed: a copy keeps tx's entries */
	mur_error err;
	void (*done)(struct txn_undo *u);
	repl_txn_cb cb; /* ROLLBACK TO's caller */
	void *cb_arg;
	int release_from; /* ROLLBACK TO: the parts from this one are released once
			     undone (repl_txn_undo_failed); -1: none */
} txn_undo;

typedef struct part_undo {
	txn_undo *u;
	int part;
	uint64_t lsn, entry; /* the entry the shard goes back to */
	int to_base;         /* to the part's base as it is when the undo runs (a
				pending marker ahead is decided by then) */
	int pending;         /* undos in flight (+1 while sending) */
} part_undo;

typedef struct undo_ref {
	part_undo *pu;
	uint32_t node_id;
} undo_ref;

static void part_undone(repl_ctx *c, part_undo *pu)
{
	txn_undo *u = pu->u;
	const repl_txn_part *pt = &u->tx->parts[pu->part];
	cat_table *t = cat_table_by_id(c->cat, pt->table_id);
	if (t && pt->shard < t->nshards) {
		cat_shard *s = &t->shards[pt->shard];
		/* the entries after the target were never decided: the committed
		 * entry goes back (repl_committed only moves it forward); a target
		 * past it (a savepoint after a pipelined write that then failed:
		 * tx is doomed) leaves it */
		if (pu->lsn < s->committed_lsn) { /* invariant 3 */
			s->committed_lsn = pu->lsn;
			s->committed_entry = pu->entry;
		}
		if (pt->handed) /* an abort's undo, taking the next holder's entries too */
			handoff_settle(c, u->tx, pu->part, 0);
		repl_exclusive_done(c, t, pt->shard);
	}
	free(pu);
	if (--u->pending == 0)
		u->done(u);
}

static void undo_failed(txn_undo *u, const char *node, const mur_error *err)
{
	if (u->failed)
		return;
	u->failed = 1;
	mur_error_set(&u->err, SQLSTATE_STATEMENT_COMPLETION_UNKNOWN,
		      "transaction %llu: the undo on follower \"%s\" failed; that copy keeps the "
		      "transaction's writes until it is repaired",
		      (unsigned long long)u->tx->id, node);
	mur_error_detail(&u->err, "%s", err->message);
}

static void undo_answer(void *arg, exec_result *res)
{
	undo_ref *ref = arg;
	part_undo *pu = ref->pu;
	repl_txn *tx = pu->u->tx;
	repl_ctx *c = tx->c;
	const repl_txn_part *pt = &tx->parts[pu->part];
	cat_table *t = cat_table_by_id(c->cat, pt->table_id);
	cat_placement *p = t && pt->shard < t->nshards
				   ? cat_placement_on(&t->shards[pt->shard], ref->node_id)
				   : NULL;
	if (p && res->failed) {
		MLOG(WARN, "txn", "undo of transaction %llu on %s failed: %s",
		     (unsigned long long)tx->id, cat_node_name(c->cat, ref->node_id),
		     res->err.message);
		if (p->state != CAT_PL_DIVERGENT)
			cat_placement_set_state(p, CAT_PL_DIVERGENT);
		undo_failed(pu->u, cat_node_name(c->cat, ref->node_id), &res->err);
	} else if (p) {
		p->applied_lsn = res->lsn;
		p->entry_id = pu->entry;
		repl_heard(c, p);
	}
	free(ref);
	if (--pu->pending == 0)
		part_undone(c, pu);
}

/* Send UNDO to the target to one copy holding entries after it; a copy
 * that cannot be reached keeps them and is DIVERGENT (recovery undoes it
 * to the committed entry when it returns). */
static void undo_copy(repl_ctx *c, cat_table *t, part_undo *pu, cat_placement *p)
{
	const repl_txn_part *pt = &pu->u->tx->parts[pu->part];
	exec_task task;
	mur_error err;
	undo_ref *ref = malloc(sizeof *ref);
	repl_shard_task(&task, EXEC_TASK_UNDO, t, pt->shard);
	task.lsn = pu->lsn;
	if (ref) {
		ref->pu = pu;
		ref->node_id = p->node_id;
	}
	if (!ref || !repl_connected(c, p->node_id) ||
	    c->tr.send(c->tr.ctx, p->node_id, &task, undo_answer, ref, &err) != MUR_OK) {
		free(ref);
		if (p->state != CAT_PL_DIVERGENT && p->state != CAT_PL_REBUILDING)
			cat_placement_set_state(p, CAT_PL_DIVERGENT);
		return;
	}
	pu->pending++;
}

/* Whether copy p must be undone to lsn: it is past it, or it was counted
 * at lsn when an entry's answer from it was lost (a deadline: it went
 * LAGGING and may have applied the entry, pipelined ones too) and its
 * follower is alive and has reported since it (re)connected.  A copy at
 * lsn that stayed CURRENT answered every entry sent; one whose follower
 * is suspect, dead or not reported yet reports its open transaction in
 * STATUS when it returns, which undoes it (repl_recover.c, presumed
 * abort), so the undo does not wait for it. */
static int may_hold_after(repl_ctx *c, const cat_placement *p, uint64_t lsn)
{
	const cat_node *n = cat_node_by_id(c->cat, p->node_id);
	return p->applied_lsn > lsn ||
	       (p->applied_lsn == lsn && p->state != CAT_PL_CURRENT &&
		p->state != CAT_PL_REBUILDING && n && n->state == CAT_NODE_ALIVE &&
		c->status_known[p->node_id % CAT_NODES_MAX]);
}

/* The exclusive op of one part: the shard is idle (tx's ops there are
 * done); undo every copy that may hold entries past the target (an UNDO
 * to a copy's own lsn changes nothing). */
static void part_undo_run(repl_ctx *c, cat_table *t, uint32_t shard, void *arg)
{
	part_undo *pu = arg;
	cat_shard *s = &t->shards[shard];
	if (pu->to_base) { /* the shard is idle: no marker in flight ahead */
		pu->lsn = pu->u->tx->parts[pu->part].base_lsn;
		pu->entry = pu->u->tx->parts[pu->part].base_entry;
	}
	pu->pending = 1; /* held while sending */
	for (int k = 0; k < s->nplacements; k++) {
		cat_placement *p = &s->placements[k];
		if (may_hold_after(c, p, pu->lsn))
			undo_copy(c, t, pu, p);
	}
	MLOG(DEBUG, "txn", "transaction %llu: undoing shard %u of %s to lsn %llu",
	     (unsigned long long)pu->u->tx->id, shard, t->name, (unsigned long long)pu->lsn);
	if (--pu->pending == 0)
		part_undone(c, pu);
}

/* Queue the undo of part i to (lsn, entry) in pass u; to_base: to the
 * part's base when the undo runs instead. */
static void undo_part(repl_ctx *c, txn_undo *u, int i, uint64_t lsn, uint64_t entry, int to_base)
{
	const repl_txn_part *pt = &u->tx->parts[i];
	cat_table *t = cat_table_by_id(c->cat, pt->table_id);
	part_undo *pu;
	mur_error oom;
	if (!t || pt->shard >= t->nshards)
		return;
	pu = mur_calloc(1, sizeof *pu);
	if (pu) { /* the exclusive op may run at once, inside repl_exclusive */
		*pu = (part_undo){.u = u,
				  .part = i,
				  .lsn = lsn,
				  .entry = entry,
				  .to_base = to_base};
		u->pending++;
		if (repl_exclusive(c, t, pt->shard, part_undo_run, pu) == MUR_OK)
			return;
		u->pending--;
		free(pu);
	}
	/* cannot undo: the copies keep tx's entries (DIVERGENT when they
	 * report past the committed entry after a restart) */
	mur_error_set(&oom, SQLSTATE_OUT_OF_MEMORY, "out of memory");
	undo_failed(u, "?", &oom);
}

static void abort_undone(txn_undo *u)
{
	repl_txn *tx = u->tx;
	if (u->failed) {
		tx->failed = 1;
		tx->err = u->err;
	}
	free(u);
	txn_finish(tx);
}

void repl_txn_abort(repl_ctx *c, repl_txn *tx, const mur_error *why, repl_txn_cb cb, void *arg)
{
	assert(!tx->ending);
	tx->ending = 1;
	tx->cb = cb;
	tx->cb_arg = arg;
	repl_cancel_txn_queued(c, tx, why);
	txn_abort_undo(c, tx);
}

/* Drop tx's kept blind inserts (repl_write.c): they are on no copy, so
 * an undo need not send them first. */
static void drop_kept(repl_ctx *c, const repl_txn *tx)
{
	for (int i = 0; i < tx->nparts; i++) {
		repl_shard *rt = repl_shard_find(c, tx->parts[i].table_id, tx->parts[i].shard);
		if (rt)
			repl_shard_drop_kept(rt, tx);
	}
}

/* Undo every part of tx (ending) to its base, then finish it; tx->failed
 * and tx->err (a failed commit's) are what cb hears unless an undo fails. */
static void txn_abort_undo(repl_ctx *c, repl_txn *tx)
{
	txn_undo *u = mur_calloc(1, sizeof *u);
	tx->committing = 0;
	if (!u) { /* the locks are released; the copies keep the entries */
		tx->failed = 1;
		mur_error_set(&tx->err, SQLSTATE_OUT_OF_MEMORY,
			      "out of memory undoing a transaction");
		txn_finish(tx);
		return;
	}
	u->tx = tx;
	u->done = abort_undone;
	u->pending = 1; /* held while queueing */
	handoff_abort(c, tx);
	drop_kept(c, tx);
	for (int i = 0; i < tx->nparts; i++)
		if (!tx->parts[i].shared) /* a shared hold wrote nothing */
			undo_part(c, u, i, 0, 0, 1);
	if (--u->pending == 0)
		u->done(u);
}

/* ---- savepoints ---- */

struct repl_savepoint {
	int nparts;    /* parts tx held at the savepoint */
	uint64_t *lsn; /* each one's committed entry then */
	uint64_t *entry;
	uint8_t *at_base; /* 1: nothing of tx past its conditional base then: back
			     to the base as it is when the undo runs (a pending
			     marker in flight may not count in the tip yet) */
};

repl_savepoint *repl_txn_savepoint(repl_ctx *c, const repl_txn *tx)
{
	repl_savepoint *sp = mur_calloc(1, sizeof *sp);
	if (!sp)
		return NULL;
	sp->nparts = tx->nparts;
	sp->lsn = mur_calloc((size_t)tx->nparts + 1, sizeof *sp->lsn);
	sp->entry = mur_calloc((size_t)tx->nparts + 1, sizeof *sp->entry);
	sp->at_base = mur_calloc((size_t)tx->nparts + 1, sizeof *sp->at_base);
	if (!sp->lsn || !sp->entry || !sp->at_base) {
		repl_savepoint_free(sp);
		return NULL;
	}
	for (int i = 0; i < tx->nparts; i++) {
		const cat_table *t = cat_table_by_id(c->cat, tx->parts[i].table_id);
		const cat_shard *s = t && tx->parts[i].shard < t->nshards
					     ? &t->shards[tx->parts[i].shard]
					     : NULL;
		repl_shard *rt = repl_shard_find(c, tx->parts[i].table_id, tx->parts[i].shard);
		if (rt) /* a kept blind insert gets its LSN: the tip must count it */
			repl_shard_flush_blind(rt);
		/* past the committed entry: tx's pipelined writes in flight */
		sp->lsn[i] = s ? repl_shard_tip(c, tx->parts[i].table_id, s, &sp->entry[i])
			       : tx->parts[i].base_lsn;
		if (!s)
			sp->entry[i] = tx->parts[i].base_entry;
		sp->at_base[i] = tx->parts[i].cond && sp->lsn[i] <= tx->parts[i].base_lsn;
	}
	return sp;
}

void repl_savepoint_free(repl_savepoint *sp)
{
	if (!sp)
		return;
	free(sp->lsn);
	free(sp->entry);
	free(sp->at_base);
	free(sp);
}

static void rollback_to_undone(txn_undo *u)
{
	repl_txn *tx = u->tx;
	/* a failed statement's undo (repl_txn_undo_failed): the locks taken
	 * since the savepoint go too, unless tx ends meanwhile (its abort
	 * releases them all) */
	if (u->release_from >= 0 && !tx->ending && u->release_from <= tx->nparts) {
		for (int i = u->release_from; i < tx->nparts; i++)
			part_release(tx->c, tx, &tx->parts[i]);
		tx->nparts = u->release_from;
	}
	if (u->cb)
		u->cb(u->cb_arg, u->failed, &u->err);
	free(u);
}

static void rollback_run(repl_ctx *c, repl_txn *tx, const repl_savepoint *sp, int release,
			 const mur_error *why, repl_txn_cb cb, void *arg);

void repl_txn_rollback_to(repl_ctx *c, repl_txn *tx, const repl_savepoint *sp, const mur_error *why,
			  repl_txn_cb cb, void *arg)
{
	rollback_run(c, tx, sp, 0, why, cb, arg);
}

void repl_txn_undo_failed(repl_ctx *c, repl_txn *tx, const repl_savepoint *sp, const mur_error *why,
			  repl_txn_cb cb, void *arg)
{
	rollback_run(c, tx, sp, 1, why, cb, arg);
}

/* ROLLBACK TO sp (NULL: the transaction's start); release: the locks
 * taken since go too, once undone. */
static void rollback_run(repl_ctx *c, repl_txn *tx, const repl_savepoint *sp, int release,
			 const mur_error *why, repl_txn_cb cb, void *arg)
{
	txn_undo *u = mur_calloc(1, sizeof *u);
	int spn = sp ? sp->nparts : 0;
	mur_error oom;
	assert(!tx->ending && spn <= tx->nparts);
	repl_cancel_txn_queued(c, tx, why);
	if (!u) {
		mur_error_set(&oom, SQLSTATE_OUT_OF_MEMORY, "out of memory");
		if (cb)
			cb(arg, 1, &oom);
		return;
	}
	u->tx = tx;
	u->done = rollback_to_undone;
	u->cb = cb;
	u->cb_arg = arg;
	u->pending = 1; /* held while queueing */
	u->release_from = release ? spn : -1;
	drop_kept(c, tx);
	/* shards written before the savepoint go back to where they were
	 * then, those first written after it to their base (their locks stay
	 * held at ROLLBACK TO: releasing them early is allowed, not required;
	 * a failed statement's undo releases them, as PostgreSQL's
	 * AbortSubTransaction does) */
	for (int i = 0; i < tx->nparts; i++)
		if (tx->parts[i].shared)
			continue; /* wrote nothing (an upgrade since sp is exclusive) */
		else if (i < spn)
			undo_part(c, u, i, sp->lsn[i], sp->entry[i], sp->at_base[i]);
		else
			undo_part(c, u, i, 0, 0, 1);
	if (--u->pending == 0)
		u->done(u);
}

/* ---- waits and deadlocks ---- */

/* One search of the wait-for graph: the transactions already followed
 * (none leads to the target: each is followed once, so a search is linear
 * in the waits, not exponential in the shared holders). */
typedef struct wait_search {
	const repl_txn *target;
	const repl_txn *seen[REPL_WAIT_SEEN_MAX];
	int nseen;
} wait_search;

/* Does `from` wait, directly or through others, for ws->target?  from
 * waits for H when one of its queued ops waits for H (repl_shard_blockers:
 * a conflicting holder, or a conflicting request ahead). */
static int waits_for(repl_ctx *c, const repl_txn *from, wait_search *ws, int depth)
{
	if (from == ws->target)
		return 1;
	if (depth >= REPL_WAIT_DEPTH_MAX)
		return 0;
	for (int i = 0; i < ws->nseen; i++)
		if (ws->seen[i] == from)
			return 0;
	if (ws->nseen < REPL_WAIT_SEEN_MAX)
		ws->seen[ws->nseen++] = from;
	if (from->block_wait && txn_by_id(c, from->block_wait) &&
	    waits_for(c, txn_by_id(c, from->block_wait), ws, depth + 1))
		return 1;
	for (uint32_t b = 0; b < c->nbuckets; b++)
		for (repl_shard *rt = c->shards[b]; rt; rt = rt->next) {
			const repl_txn *bl[REPL_BLOCKERS_MAX];
			int n = repl_shard_blockers(rt, from, bl, REPL_BLOCKERS_MAX);
			for (int i = 0; i < n; i++)
				if (waits_for(c, bl[i], ws, depth + 1))
					return 1;
		}
	return 0;
}

void repl_lock_deadlock_error(mur_error *err, uint64_t txid)
{
	mur_error_set(err, SQLSTATE_T_R_DEADLOCK_DETECTED, "deadlock detected");
	mur_error_detail(err,
			 "transaction %llu waits for a shard lock held by a transaction "
			 "that waits for one it holds",
			 (unsigned long long)txid);
	mur_error_hint(err, "retry the transaction");
}

void repl_lock_serialization_error(mur_error *err, uint64_t txid)
{
	mur_error_set(err, SQLSTATE_T_R_SERIALIZATION_FAILURE,
		      "could not serialize access due to read/write dependencies among "
		      "transactions");
	mur_error_detail(err,
			 "transaction %llu read a shard that another transaction also read "
			 "and now writes it: both writes cannot be serialized (murphy locks "
			 "shards, not rows)",
			 (unsigned long long)txid);
	mur_error_hint(err, "The transaction might succeed if retried.");
}

int repl_lock_in_cycle(repl_ctx *c, const repl_txn *tx)
{
	wait_search ws = {.target = tx};
	if (tx->block_wait && txn_by_id(c, tx->block_wait) &&
	    waits_for(c, txn_by_id(c, tx->block_wait), &ws, 1))
		return 1;
	for (uint32_t b = 0; b < c->nbuckets; b++)
		for (repl_shard *rt = c->shards[b]; rt; rt = rt->next) {
			const repl_txn *bl[REPL_BLOCKERS_MAX];
			int n = repl_shard_blockers(rt, tx, bl, REPL_BLOCKERS_MAX);
			for (int i = 0; i < n; i++)
				if (waits_for(c, bl[i], &ws, 1))
					return 1;
		}
	return 0;
}

/* Start the queues of shards a parked read left (repl_unpark).  Collected
 * first: starting an op may add shards to the table being walked. */
static void kick_wanted(repl_ctx *c)
{
	repl_action_key k[REPL_KICKS_MAX];
	int n;
	do {
		n = 0;
		for (uint32_t b = 0; b < c->nbuckets && n < REPL_KICKS_MAX; b++)
			for (repl_shard *rt = c->shards[b]; rt && n < REPL_KICKS_MAX; rt = rt->next)
				if (rt->kick_wanted) {
					rt->kick_wanted = 0;
					k[n++] = (repl_action_key){rt->table_id, rt->shard, 0};
				}
		for (int i = 0; i < n; i++) {
			const cat_table *t = cat_table_by_id(c->cat, k[i].table_id);
			if (t && k[i].shard < t->nshards)
				repl_kick(c, t, k[i].shard);
		}
	} while (n == REPL_KICKS_MAX);
}

void repl_lock_due(repl_ctx *c)
{
	uint64_t now = mur_now_us();
	const repl_txn *victim;
	kick_wanted(c);
	repl_lock_timeouts(c, now);
	/* like PostgreSQL: the waiter whose deadlock_timeout came first and
	 * whose search finds the cycle is the victim; the others of the cycle
	 * wait on (refusing one breaks it) */
	for (int n = 0; n < REPL_DEADLOCK_VICTIMS_MAX && (victim = repl_deadlock_due(c, now));
	     n++) {
		mur_error err;
		repl_lock_deadlock_error(&err, victim->id);
		MLOG(INFO, "txn", "transaction %llu: deadlock; its waiting writes fail",
		     (unsigned long long)victim->id);
		repl_cancel_txn_queued(c, victim, &err);
	}
	if (c->wake_at) {
		uint64_t due = repl_wait_next_due(c, now);
		if (due != UINT64_MAX)
			c->wake_at(c->wake_ctx, due);
	}
}

/* repl_lock_tick: a transaction waiting for those it followed whose
 * decision no hand-off reported (a safety net: handoff_settle does). */
static void dep_waits(repl_ctx *c)
{
	for (repl_txn *tx = c->txns; tx; tx = tx->next)
		if (tx->dep_wait && !behind_staged(c, tx) && !dep_held(tx)) {
			staged_all(tx);
			return; /* tx may be freed: the list changed */
		}
}

void repl_lock_tick(repl_ctx *c)
{
	repl_lock_due(c); /* without a wake_at hook this is the only look */
	release_held(c);
	dep_waits(c);
	retry_markers(c);
	lazy_markers(c);
}

void repl_lock_destroy(repl_ctx *c)
{
	while (c->txns) {
		repl_txn *tx = c->txns;
		c->txns = tx->next;
		free(tx->parts);
		free(tx);
	}
}

/* ---- what the views show ---- */

/* A transaction tx waits for, or NULL. */
static const repl_txn *waits_on(repl_ctx *c, const repl_txn *tx)
{
	for (uint32_t b = 0; b < c->nbuckets; b++)
		for (repl_shard *rt = c->shards[b]; rt; rt = rt->next) {
			const repl_txn *bl[1];
			if (repl_shard_blockers(rt, tx, bl, 1) > 0)
				return bl[0];
		}
	return NULL;
}

/* One murphy.transactions row's facts. */
static void txn_info(repl_ctx *c, const repl_txn *tx, repl_txn_info *out)
{
	const repl_txn *h = tx->ending ? NULL : waits_on(c, tx);
	memset(out, 0, sizeof *out);
	out->txid = tx->id;
	out->started_ms = tx->started_ms;
	out->nshards = tx->nparts;
	out->waiting_for = h ? h->id : 0;
	out->end = !tx->ending ? REPL_TXN_OPEN : tx->committing ? REPL_TXN_COMMIT : REPL_TXN_ABORT;
	out->decided = tx->decided;
	out->staging = tx->staging;
	out->marks_pending = tx->mark_pending;
	out->marks_ok = tx->marks_ok;
	out->retrying = tx->retrying;
	for (int i = 0; i < tx->nparts; i++) {
		out->nwrote += part_wrote(c, &tx->parts[i]);
		if (out->nparts < REPL_TXN_INFO_PARTS_MAX) {
			out->parts[out->nparts].table_id = tx->parts[i].table_id;
			out->parts[out->nparts++].shard = tx->parts[i].shard;
		}
	}
}

int repl_txn_nwrote(repl_ctx *c, const repl_txn *tx)
{
	int n = 0;
	for (int i = 0; i < tx->nparts; i++)
		n += part_wrote(c, &tx->parts[i]);
	return n;
}

int repl_txn_list(repl_ctx *c, repl_txn_info *out, int max)
{
	int n = 0;
	for (const repl_txn *tx = c->txns; tx; tx = tx->next, n++)
		if (n < max)
			txn_info(c, tx, &out[n]);
	return n;
}

/* Shown per shard: the transactions waiting for its lock, at most. */
#define REPL_LOCK_WAITERS_SHOWN 16

int repl_lock_list(repl_ctx *c, repl_lock_info *out, int max)
{
	int n = 0;
	for (uint32_t b = 0; b < c->nbuckets; b++)
		for (repl_shard *rt = c->shards[b]; rt; rt = rt->next) {
			uint64_t w[REPL_LOCK_WAITERS_SHOWN];
			int ws[REPL_LOCK_WAITERS_SHOWN];
			int nw = repl_shard_waiters(rt, w, ws, REPL_LOCK_WAITERS_SHOWN);
			if (rt->lock && n < max)
				out[n] = (repl_lock_info){rt->table_id, rt->shard, rt->lock->id, 1,
							  "exclusive"};
			n += rt->lock != NULL;
			for (int i = 0; i < rt->nsharers; i++, n++)
				if (n < max)
					out[n] = (repl_lock_info){rt->table_id, rt->shard,
								  rt->sharers[i]->id, 1, "shared"};
			for (int i = 0; i < nw; i++, n++)
				if (n < max)
					out[n] = (repl_lock_info){rt->table_id, rt->shard, w[i], 0,
								  ws[i] ? "shared" : "exclusive"};
		}
	return n;
}
