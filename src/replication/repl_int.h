/*
 * repl_int.h — private to the replication module (src/replication/).
 *
 * Objects:
 *   repl_ctx     one per leader engine: the catalog, the transport, the
 *                entry id counter, the recovery actions in flight, the
 *                rebuilds shown in murphy.rebuilds, which followers
 *                reported STATUS, the statements parked until copies
 *                report, and the per-shard runtime state
 *   repl_shard   the runtime state of one shard (table id, shard index):
 *                its write queue, the ops in flight, the read gate and the
 *                reads parked on it, the recent committed entries.  Kept in
 *                a table the context owns (repl_ctx.c), created on first
 *                use, freed by repl_forget (DROP TABLE) and repl_destroy;
 *                never in the catalog, whose structs hold what is known of
 *                the cluster, not the work in flight
 *
 * Files: repl_ctx.c (context, shard table, quorum arithmetic), repl_write.c
 * (write ops, gates, pipelining, undo), repl_recover.c (recovery, catch-up,
 * rebuilds, restart decisions, parked statements), repl_health.c (RF),
 * repl_ready.c (murphy.ready).
 */
#ifndef REPLICATION_REPL_INT_H
#define REPLICATION_REPL_INT_H

#include "replication/repl.h"

#include <stdint.h>

/* After a (re)start the leader waits this long for EVERY copy of a shard to
 * report before it decides the shard's committed entry from the copies that
 * did (enough of them that every majority write is among them): followers
 * reconnect within their 2 s backoff cap.  A write acknowledged at
 * write_quorum 'one' whose only copy reports later than this is lost
 * (docs/replication.md, "Leader restart"). */
#define REPL_RECOVER_HEAR_ALL_MS 3000
#define REPL_ACTIONS_MAX 1024 /* recovery actions in flight (one per placement) */
#define REPL_REBUILDS_MAX 256 /* rebuilds remembered for murphy.rebuilds */
/* Recent committed entries remembered per shard: their ids and when they
 * were decided (staleness of a copy, repl_copy_staleness).  2 KiB of
 * times per shard; a copy more than this many entries behind is timed by
 * its last entry's id instead (an upper bound: ids are wall time at the
 * entry's start). */
#define REPL_RING 256
#define REPL_PEND_CHAIN_MAX 4 /* staging markers pending behind the oldest */

typedef struct repl_staged repl_staged; /* repl_staged.c */

typedef struct repl_action_key {
	uint32_t table_id, shard, node_id;
} repl_action_key;

/* A statement parked until copies report or a shard goes idle. */
typedef struct repl_waiter {
	repl_resume_fn resume;
	void *arg;
	uint64_t since_us; /* a read on a shard: when it began to wait (mur_now_us);
			      a transaction's first lock queued later does not pass it */
	uint64_t pass;     /* a read: repl_shard.resume_pass when it parked */
	int reserve;       /* a read reserving the shard (repl_read_reserve): parked once */
	uint64_t holder;   /* a read of the shard's lock holder (this id) parked behind the
			      staging markers it followed, its kept entries still kept:
			      resumed once the primary may serve it (repl_write.c,
			      holder_reads; 0: not one) */
} repl_waiter;

typedef struct repl_shard {
	uint32_t table_id, shard; /* the key */
	struct repl_shard *next;  /* hash chain */
	int busy;                 /* ops past QUEUED (an exclusive op counts, unlisted) */
	int gated;                /* reads wait: an entry is undecided or being undone */
	repl_wop *fhead, *ftail;  /* write ops in flight, oldest (lowest lsn) first */
	uint32_t pipe_primary;    /* the primary the ops in flight were sent to */
	repl_wop *qhead, *qtail;  /* queued ops */
	repl_waiter *readers;     /* reads parked on the gate, or reserving the shard
				     (repl_read_reserve) */
	int nreaders, capreaders;
	int kick_wanted;      /* a parked read left: start the queue at repl_lock_due */
	uint64_t resume_pass; /* repl_resume_readers calls so far */
	int rf_warned;        /* under-replication WARNING logged (repl_health.c) */
	repl_txn *lock;       /* the transaction holding the shard's lock exclusive, or NULL */
	repl_txn **sharers;   /* those holding it shared (none while lock is set) */
	int nsharers, capsharers;
	int txn_undos; /* copies being undone past a presumed-aborted transaction
			  (repl_recover.c): not decided meanwhile */
	/* restart: the copies that reported a transaction open that the catalog
	 * records committed, each with its own (copies at different positions
	 * may hold different ones); the one the copy chosen as newest holds
	 * gets its marker once the shard is decided (repl_recover.c) */
	uint64_t recommit_txids[CAT_REPLICAS_MAX];
	uint32_t recommit_nodes[CAT_REPLICAS_MAX];
	int nrecommit;        /* 0: none */
	uint64_t staged_txid; /* parallel commits: a committed transaction whose STAGED
				 entry here (staged_lsn, decided at staged_ms, mur_now_ms)
				 no marker followed; the next entry closes it on the
				 copies, else the tick appends its marker (repl_lock.c,
				 "lazy markers"); 0: none */
	uint64_t staged_lsn, staged_ms;
	uint64_t pend_txid; /* the pending marker: a decided transaction whose commit
			       marker here was sent and is not at its quorum yet; its
			       lock was handed on when it was sent (repl_lock.c,
			       "pending marker"); 0: none */
	int pend_staged;    /* pend_txid's marker is its staging marker (parallel commits),
			       sent while it is undecided: 1 until it is decided (then
			       pend_txid is 0), 2 once it or one chained behind it aborts
			       (no newcomer follows until the undos here are done); 0: a
			       commit marker (repl_lock.c, "hand-off at the staging
			       marker") */
	uint64_t pend_chain[REPL_PEND_CHAIN_MAX]; /* pipelined staging, chained: the
						     staging markers sent behind
						     pend_txid's, oldest first, each
						     transaction's decision after the
						     one ahead (repl_lock.c,
						     "chain") */
	int npend_chain;
	uint64_t ring_lsn[REPL_RING];
	uint64_t ring_entry[REPL_RING];
	uint64_t ring_decided_us[REPL_RING]; /* mur_now_us when decided; 0: before this
						leader knew the shard (a restart) */
} repl_shard;

struct repl_ctx {
	catalog *cat;
	repl_transport tr;
	uint64_t (*time_id)(uint64_t *next);
	uint64_t entry_next; /* shard log entry ids (time_id's counter) */
	int write_pipeline;
	int fault_points;       /* repl_config.fault_points */
	const char *fault_want; /* fault_points: $MURPHY_FAULT_POINT read once at repl_create
				   (the process's environment, never set by murphy; NULL:
				   none): getenv walked the environment at each of a
				   commit's ~11 fault points */
	int stage_hold_spent;   /* a "_once" stage fault point held its transaction */
	int chain_fail_spent;   /* txn_stage_fail_chained chose its marker (repl_lock.c) */
	int chain_undo_spent;   /* txn_chain_undo_hold held its transaction (repl_lock.c) */
	void (*wake_at)(void *ctx, uint64_t due_us); /* repl_config.wake_at */
	void *wake_ctx;
	repl_decide_fn decide; /* repl_set_decide; NULL: decisions recorded inline */
	void *decide_ctx;
	repl_action_key actions[REPL_ACTIONS_MAX];
	int nactions;
	repl_rebuild rebuilds[REPL_REBUILDS_MAX];
	int nrebuilds;
	uint8_t status_known[CAT_NODES_MAX];  /* node answered STATUS since it connected */
	uint8_t status_wanted[CAT_NODES_MAX]; /* send STATUS at the next tick */
	uint64_t heard_seq;                   /* repl_heard's counter */
	uint64_t started_us;  /* mur_now_us() at create: the restart's reporting window */
	repl_waiter *waiters; /* statements parked after a restart or behind a busy table */
	int nwaiters, capwaiters;
	repl_txn *txns;                  /* open transactions (repl_lock.c), newest first */
	repl_staged *staged;             /* staged transactions a restart resolves
					    (repl_staged.c) */
	struct repl_outcome_trim *otrim; /* repl_outcome.c; NULL until first used */
	struct repl_srebuild *srebuild;  /* repl_staged_rebuild.c: the restart's listing */
	repl_commit_report last_commit;  /* repl_lock.c: the newest finished commit */
	struct repl_txn_ends *ends;      /* repl_txn_ends.c; NULL until the first end */
	repl_shard **shards;             /* hash table of runtime states, nbuckets chains */
	uint32_t nbuckets, nshards;
	int spread_pending;               /* primary moves queued, not yet run (repl_spread.c) */
	struct repl_moves *moves;         /* repl_move.c; NULL until the first move */
	struct repl_rebalancer *rebal;    /* repl_rebalance.c; NULL until first used */
	struct repl_split_job *splits;    /* repl_split.c: the splits running */
	struct repl_autosplit *autosplit; /* repl_autosplit.c; NULL until first used */
	uint64_t refusal_window_ms;       /* repl_write.c: refusal WARNs are rate-limited per */
	uint32_t refusals_logged;         /* second: lines in this window, and those */
	uint32_t refusals_unlogged;       /* left out since the last line */
};

/* repl_txn_ends.c: txid ended on this leader (repl_lock.c, txn_finish):
 * committed (the first shard its marker holds on, how many), or certainly
 * aborted; repl_txn_ends_destroy frees the ring. */
void repl_txn_ends_note(repl_ctx *c, uint64_t txid, int committed, uint32_t table_id,
			uint32_t shard, int nshards);
void repl_txn_ends_destroy(repl_ctx *c);

/* repl_ctx.c: the per-shard runtime table.  repl_shard_get creates the
 * state on first use (NULL when out of memory); repl_shard_find never
 * creates (NULL: no write ever touched the shard). */
repl_shard *repl_shard_get(repl_ctx *c, uint32_t table_id, uint32_t shard);
repl_shard *repl_shard_find(const repl_ctx *c, uint32_t table_id, uint32_t shard);
int repl_connected(const repl_ctx *c, uint32_t node_id);
/* *task zeroed, then a task of `kind` for shard's placement of t alone
 * (t NULL: the follower's own status.db), sql "": what every one-placement
 * task (a write, an apply, an undo, a sync, a probe) starts from; the
 * caller sets the rest.  Nothing allocated. */
void repl_shard_task(exec_task *task, exec_task_kind kind, const cat_table *t, uint32_t shard);
/* An answer from p's follower just set p->applied_lsn (a write's, an
 * undo's, a catch-up's): stamp p, so that a STATUS asked before it, whose
 * answer a worker thread of the follower may have taken before that
 * write, does not set the LSN back (repl_recover.c, status_row). */
void repl_heard(repl_ctx *c, cat_placement *p);

/* repl_recover.c, for repl_move.c: a new copy of shard sh on target
 * (REBUILDING, then the rebuild) replacing the copy on `replaces`; the
 * rebuild row of (table, shard, target) or NULL; end that row failed
 * (why); DROP shard sh's file on node_id (busy until dropped; 1 when a
 * DROP of it is out now). */
int repl_rebuild_begin(repl_ctx *c, cat_table *t, uint32_t sh, uint32_t target, uint32_t replaces,
		       mur_error *err);
const repl_rebuild *repl_rebuild_row(repl_ctx *c, uint32_t table_id, uint32_t sh, uint32_t target);
/* 1 while a recovery action (a DROP, a catch-up, …) on node_id's copy of
 * the shard is in flight. */
int repl_recovery_busy(repl_ctx *c, uint32_t table_id, uint32_t sh, uint32_t node_id);
void repl_rebuild_abort(repl_ctx *c, uint32_t table_id, uint32_t sh, uint32_t target,
			const char *why);
int repl_drop_copy(repl_ctx *c, uint32_t node_id, const cat_table *t, uint32_t sh);
/* The same for a file named outright (a split's old or unfinished files). */
int repl_drop_file(repl_ctx *c, uint32_t node_id, uint32_t table_id, uint32_t sh, const char *file);

/* repl_split.c: 1 while a split writes generation gen of the shard's files
 * (STATUS must not drop them as orphans); err for a write planned before a
 * split of its shard (40001: retry); the tick; freeing at destroy. */
int repl_split_owns(const repl_ctx *c, uint32_t table_id, uint32_t shard, uint32_t gen);
void repl_split_error(mur_error *err, const cat_table *t, uint32_t shard);
void repl_split_tick(repl_ctx *c);
void repl_splits_destroy(repl_ctx *c);
/* repl_move.c, for repl_split.c: a new murphy.moves row of group (a new
 * group when *group is 0), NULL when every row is a running move; end a
 * row (state DONE or ABORTED, error may be NULL) and wake its waiters. */
repl_move *repl_move_row_new(repl_ctx *c, uint64_t *group);
void repl_move_row_end(repl_ctx *c, repl_move *m, repl_move_state state, const char *error);
/* Say why every row of group started (murphy.moves.reason). */
void repl_move_group_reason(repl_ctx *c, uint64_t group, const char *reason);
/* The bytes a placement's pages hold, free pages left out (what a snapshot
 * copies): a move's estimate, the automatic splitter's size probe. */
#define REPL_PAGES_BYTES_SQL                                                                       \
	"SELECT (page_count - freelist_count) * page_size FROM pragma_page_count(), "              \
	"pragma_freelist_count(), pragma_page_size()"

/* repl_move.c, for the recovery: a move's target copy switched in (the
 * old copy kept when that would leave too few); the throttle of the
 * move whose target this is (0: none, or not a move); a follower went
 * away; the 1 s tick; freeing at destroy. */
void repl_move_switched(repl_ctx *c, uint32_t table_id, uint32_t shard, uint32_t target,
			uint64_t pause_us, int kept_old);
uint64_t repl_move_rate_for(repl_ctx *c, uint32_t table_id, uint32_t shard, uint32_t target);
void repl_move_node_lost(repl_ctx *c, uint32_t node_id);
/* Moves not finished (queued, sizing, copying, switching, dropping). */
int repl_move_running(const repl_ctx *c);
void repl_moves_restarted(repl_ctx *c);
/* ALTER SYSTEM's stored settings applied (repl_create). */
void repl_rebalance_load(repl_ctx *c);
void repl_rebalance_destroy(repl_ctx *c);
/* repl_rebalance.c, for the automatic splitter's settings: "on"/"off"…
 * as a boolean (MUR_ERR: neither); 22023 for value of name, hint want. */
int repl_setting_bool(const char *v, int *out);
/* Bytes, with an optional unit (B, kB, MB, GB, TB: powers of 1024), at
 * most 1 TB (repl_autosplit.c). */
int repl_setting_bytes(const char *v, uint64_t *out);
int repl_setting_bad(mur_error *err, const char *name, const char *value, const char *want);
/* Shard sh of table_id's follower CPU (ms) over the last window_s
 * seconds (repl_shard_load_fn; 0 without a load source). */
double repl_shard_cpu_ms(repl_ctx *c, uint32_t table_id, uint32_t sh, uint32_t window_s);

/* repl_autosplit.c: the automatic splitter (state and rules at its top).
 * Its look, at the automatic rebalancer's (when nothing is being repaired
 * or moved): 1 when it started a split (the rebalancer waits for it).
 * Its settings (murphy.auto_split, murphy.split_*: 42704 for another
 * name, 22023 for a bad value; value NULL: the default) and their text
 * (NULL: not one of them).  The window the load of table_id is measured
 * over (seconds since its last split, 0: the whole 5 min): a split
 * shard's past load was the whole range's. */
int repl_autosplit_step(repl_ctx *c);
int repl_autosplit_set(repl_ctx *c, const char *name, const char *value, mur_error *err);
const char *repl_autosplit_get(const repl_ctx *c, const char *name, char *buf, size_t bufsz);
uint32_t repl_autosplit_window_s(const repl_ctx *c, uint32_t table_id);
/* 1 within 20 s of a split's switch: the automatic rebalancer waits, as
 * the halves' load is not measured yet. */
int repl_autosplit_settling(const repl_ctx *c);
void repl_autosplit_destroy(repl_ctx *c);
/* node_id answered the DROP of shard's file (res: how it went). */
void repl_move_dropped(repl_ctx *c, uint32_t table_id, uint32_t shard, uint32_t node_id,
		       const exec_result *res);
void repl_move_tick(repl_ctx *c);
void repl_moves_destroy(repl_ctx *c);
double repl_move_rate_estimate(const repl_ctx *c, uint64_t max_bps);
/* The tables whose shard sh moves with t's from `from` to `to` (t first,
 * then its co-located tables holding a copy on from); -1 with err when
 * the move could not start now.  For the rebalancer's plan. */
int repl_move_group_check(repl_ctx *c, cat_table *t, uint32_t sh, const cat_node *from,
			  const cat_node *to, cat_table **out, int max, mur_error *err);
#define REPL_MOVE_GROUP_MAX 32 /* tables moving together in one call (co-located) */

/* repl_write.c */
/* Remember entry (lsn, entry_id) as the committed one of shard s (of
 * table table_id). */
void repl_committed(repl_ctx *c, uint32_t table_id, cat_shard *s, uint64_t lsn, uint64_t entry_id);
/* Entry id the leader recorded for lsn of shard s, or 0 when it no longer
 * knows. */
uint64_t repl_entry_at(const repl_ctx *c, uint32_t table_id, const cat_shard *s, uint64_t lsn);
/* Make the most up-to-date current copy primary when the primary is not
 * usable (suspect, lost, not current).  Returns the primary or 0. */
uint32_t repl_ensure_primary(repl_ctx *c, cat_table *t, uint32_t shard);
/* repl_spread.c: move primaries between current copies so that each
 * follower leads about as many shards as the others (1 s tick). */
void repl_spread_tick(repl_ctx *c);
/* Kick the shard's queue (after failover, recovery ops). */
void repl_kick(repl_ctx *c, const cat_table *t, uint32_t shard);
/* Queue an exclusive op: fn runs when the shard is idle and must call
 * repl_exclusive_done when finished. */
typedef void (*repl_excl_fn)(repl_ctx *c, cat_table *t, uint32_t shard, void *arg);
int repl_exclusive(repl_ctx *c, cat_table *t, uint32_t shard, repl_excl_fn fn, void *arg);
void repl_exclusive_done(repl_ctx *c, cat_table *t, uint32_t shard);

/* Fail every queued (not started) op of tx with err: its callback runs
 * (failed) and it is freed.  Returns how many. */
int repl_cancel_txn_queued(repl_ctx *c, const repl_txn *tx, const mur_error *err);
/* Resume the reads parked on rt when nothing gates them any more (no
 * undecided entry in flight). */
void repl_resume_readers(repl_shard *rt);
/* Queue the commit marker of tx on shard `shard` of t (tx holds its
 * lock): a write op like any other (the primary appends it, the copies
 * apply it, decided at the quorum q); cb reports it.  On error cb is never
 * called. */
int repl_write_marker(repl_ctx *c, const cat_table *t, uint32_t shard, repl_quorum q, repl_txn *tx,
		      repl_wop_cb cb, void *arg, mur_error *err);
/* The same for the staging marker STAGED(tx, parts) (parallel commits,
 * repl_lock.c): parts (copied) is the participant list every copy logs
 * with it; parts NULL: a commit marker (repl_write_marker).  Like a
 * one-shard commit's marker it may start behind tx's pipelined writes in
 * flight; unlike a decided transaction's marker it never hands tx's lock
 * on. */
/* Bytes of a staging marker's participant list (storage/replog.h,
 * STOR_STAGED_BYTES_MAX: a copy refuses more): "q=N;" and ~400
 * "table:shard" pairs.  A transaction over more shards commits by a
 * recorded decision instead. */
#define REPL_STAGED_BYTES_MAX 4096
/* ---- parallel commits' recovery (repl_staged.c) ---- */

/* Outcomes of a staged transaction's recovery. */
enum { REPL_STAGED_WAIT = 0, REPL_STAGED_COMMITTED, REPL_STAGED_ABORTED };
/* One shard's answers about a staged transaction. */
typedef struct repl_staged_count {
	int members;     /* its copies (a write quorum's members) */
	int required;    /* copies a staging marker needs there (its write quorum) */
	int participant; /* named by the staging marker */
	int staged;      /* copies answering staged */
	int not_staged;  /* copies answering absent or open (fenced: for good) */
} repl_staged_count;
/* The rule (file top of repl_staged.c): REPL_STAGED_COMMITTED when a copy
 * holds the commit marker (any_committed) or the participants are known
 * and each has `required` copies staged; REPL_STAGED_ABORTED when a shard
 * has more than members - required copies not staged; else WAIT. */
int repl_staged_decide(const repl_staged_count *shards, int n, int parts_known, int any_committed);
/* A copy p of shard `shard` of t reports transaction txid open, the shard
 * is undecided (a restart) and no outcome is recorded: 1 when the copy is
 * held (or asked again later) while txid is resolved from its staging
 * markers; 0 when txid is resolved aborted (undo it: presumed abort). */
int repl_staged_hold(repl_ctx *c, cat_table *t, uint32_t shard, cat_placement *p, uint64_t txid);
/* Ask the copies that did not answer again; forget resolved transactions
 * whose shards are all decided. */
void repl_staged_tick(repl_ctx *c);
/* Resolve txid, found STAGED (participants parts, len bytes) by the
 * restart's listing with no outcome row: every participant's copies asked
 * (as for a copy holding it open), committed → its row.  MUR_ERR when out
 * of room (list it again later). */
int repl_staged_resolve(repl_ctx *c, uint64_t txid, const char *parts, size_t len);
/* Transactions the listing found still undecided (their copies not all
 * answered). */
int repl_staged_waiting(repl_ctx *c);
/* repl_staged_rebuild.c: the listing (a tick's step; freeing). */
void repl_staged_rebuild_tick(repl_ctx *c);
void repl_staged_rebuild_destroy(repl_ctx *c);
void repl_staged_destroy(repl_ctx *c);

int repl_write_staged(repl_ctx *c, const cat_table *t, uint32_t shard, repl_quorum q, repl_txn *tx,
		      const char *parts, repl_wop_cb cb, void *arg, mur_error *err);
/* Fail (55P03) every queued op that has waited for another transaction's
 * lock at least its lock_timeout_ms at now (mur_now_us). */
void repl_lock_timeouts(repl_ctx *c, uint64_t now);
/* The transaction of the first queued op whose deadlock check is due at
 * now and whose search finds a cycle of waits (repl_lock_in_cycle), or
 * NULL.  Every due op searched gets its next check deadlock_timeout
 * later. */
const repl_txn *repl_deadlock_due(repl_ctx *c, uint64_t now);
/* The next time a queued op's wait needs a look (its lock_timeout still
 * to come, its next deadlock check); UINT64_MAX when none. */
uint64_t repl_wait_next_due(const repl_ctx *c, uint64_t now);
/* The distinct transactions with an op queued on rt that waits for the
 * lock (0 for autocommit ones), up to max, into out, and the mode each
 * asks for (shared[i]: 1 shared, 0 exclusive); returns how many. */
int repl_shard_waiters(const repl_shard *rt, uint64_t *out, int *shared, int max);

/* The distinct transactions tx's queued ops on rt wait for (conflicting
 * holders, and the transactions of conflicting requests queued ahead that
 * a shared request may not pass; an autocommit write ahead stands for the
 * holders it waits for), up to max, into out; returns how many. */
int repl_shard_blockers(const repl_shard *rt, const repl_txn *tx, const repl_txn **out, int max);

/* The newest entry of shard s (of table table_id) a read may see: the
 * committed one, or a later one of an op in flight that is logged and
 * neither failed nor given up (a pipelined write of the lock holder);
 * its entry id in *entry (may be NULL). */
/* Note that txid's STAGED entry at lsn is the newest on a copy of (table_id,
 * shard) with no marker after it: once the shard's committed entry is lsn and
 * it is idle REPL_LAZY_MARKER_MS, the tick appends txid's marker (repl_lock.c,
 * "lazy markers").  txid must be committed.  Ignored while a newer entry's
 * waits (lsn below it). */
void repl_lock_lazy_marker(repl_ctx *c, uint32_t table_id, uint32_t shard, uint64_t txid,
			   uint64_t lsn);
uint64_t repl_shard_tip(const repl_ctx *c, uint32_t table_id, const cat_shard *s, uint64_t *entry);
/* 1 when a transaction's row insert is in flight on the shard, sent to its
 * copies with no answer yet, that its marker may go with (repl_write.c,
 * sent_with): it wrote the shard, though the tip does not show it yet. */
int repl_shard_sent(const repl_ctx *c, uint32_t table_id, uint32_t shard);
/* 1 when every op in flight on rt is committed (at its quorum; some
 * answers may still be out) and no exclusive op runs. */
int repl_shard_settled(const repl_shard *rt);
/* Send the APPLYs of rt's ops in flight that were kept back for their
 * transaction's COMMIT (replica batches, repl_write.c "defers"); the caller
 * sends what must follow them (a marker) after.  Returns how many. */
int repl_shard_flush_deferred(repl_shard *rt);
/* The same when rt has a kept blind insert (repl_write.c, "blind
 * inserts"), else nothing: a savepoint needs each entry's LSN. */
int repl_shard_flush_blind(repl_shard *rt);
/* Drop tx's kept blind inserts on rt (no copy has them): its abort, or a
 * ROLLBACK TO SAVEPOINT (a savepoint sends the kept ones, so every one
 * kept now came after it).  Returns how many. */
int repl_shard_drop_kept(repl_shard *rt, const repl_txn *tx);
/* 1 when tx's block writes keep their APPLYs for its COMMIT
 * (repl_txn_set_batch). */
int repl_txn_batches(const repl_txn *tx);
/* 1 when rt's pending marker (pend_txid) is in flight, neither failed nor
 * given up, and every other op in flight is committed (no exclusive op
 * runs): a lock taken now has the marker's entry as its base, decided only
 * once the marker holds.  *lsn, *entry (may be NULL): the marker's. */
int repl_shard_behind_marker(const repl_shard *rt, uint64_t *lsn, uint64_t *entry);

/* repl_lock.c */
/* A pipelined write of tx failed after its client was answered: tx is
 * doomed (err says why); its next write and its COMMIT fail. */
void repl_txn_doom(repl_txn *tx, const mur_error *err);
/* 1 (err filled) when tx is doomed. */
int repl_txn_doomed(const repl_txn *tx, mur_error *err);
/* An op on rt was decided or is done: a COMMIT of rt's holder waiting for
 * its pipelined writes goes on once every shard it holds is settled. */
void repl_lock_shard_settled(repl_ctx *c, repl_shard *rt);
/* 1 when tx (NULL: autocommit, which holds nothing) holds rt's lock in a
 * mode at least as strong as asked (shared: either mode). */
int repl_lock_holds(const repl_shard *rt, const repl_txn *tx, int shared);
/* 1 when a holder other than tx conflicts with a request of tx (NULL:
 * autocommit) in that mode: an exclusive holder, or (exclusive asked) a
 * sharer. */
int repl_lock_blocks(const repl_shard *rt, const repl_txn *tx, int shared);
/* 1 when reads of rt by tx wait for the lock: another transaction holds it
 * exclusive (its entries are undecided until it ends), or a decided
 * transaction's marker is pending there. */
int repl_lock_gates(const repl_shard *rt, const repl_txn *tx);
/* The id of the decided transaction whose commit marker is all that holds
 * rt's lock, or is pending there with nobody holding the lock (its outcome
 * is durable: every entry of it on rt is committed, and the marker changes
 * no rows); 0 when another holder, a staging marker or an undo is there.
 * repl_write.c lets reads past it (docs/transactions.md, "Reads behind a
 * decided transaction's marker"). */
uint64_t repl_lock_decided_marker(const repl_shard *rt);
/* An op of tx asking for rt's lock in that mode starts (the shard is idle,
 * nothing conflicts): tx takes it (or upgrades its shared hold), with the
 * shard's committed entry as its base.  MUR_ENOMEM: not taken. */
int repl_lock_take(repl_ctx *c, repl_shard *rt, const cat_shard *s, repl_txn *tx, int shared);
/* The exclusive holder's base on rt (rt->lock set, no pending marker):
 * the shard's committed entry before its first; its entries after it are
 * undecided until it ends. */
uint64_t repl_lock_base(const repl_shard *rt);
/* The commit marker of tx was just sent on rt (repl_write.c, start_primary),
 * logged at (lsn, entry).
 * tx decided (several shards): the marker is pending there and tx's lock
 * is handed on (the next holder's ops may follow the marker); a one-shard
 * transaction's marker is its decision, and keeps the lock.  Also called
 * for a staging marker: tx (undecided, parallel commits) hands its lock
 * on at once, the next holder conditional on tx's outcome (repl_lock.c,
 * "hand-off at the staging marker").  Returns 1 when the fault point
 * txn_stage_fail_chained (tests) chose this chained staging marker to fail
 * late (repl_write.c, fault_fail_due), else 0. */
int repl_lock_marker_sent(repl_shard *rt, repl_txn *tx, uint64_t lsn, uint64_t entry);
/* 1 when tx waits (a queued op held back), through the transactions it
 * waits for, for itself: a cycle of waits. */
int repl_lock_in_cycle(repl_ctx *c, const repl_txn *tx);
/* Free the transactions still open (repl_destroy: their sessions are gone
 * with the engine). */
void repl_lock_destroy(repl_ctx *c);
/* Append the commit marker of transaction txid, recorded committed in the
 * catalog, on shard `shard` of t (a restarted leader found it open there). */
void repl_txn_recommit(repl_ctx *c, cat_table *t, uint32_t shard, uint64_t txid);
/* 1 when a copy of rt's shard reported txid open, committed, and the shard
 * is not decided yet (repl_recover.c) */
int repl_recommit_pending(const repl_shard *rt, uint64_t txid);
/* 1 when transaction txid is open on this leader. */
int repl_lock_txn_open(const repl_ctx *c, uint64_t txid);
/* repl_outcome.c */
void repl_outcomes_destroy(repl_ctx *c);
/* err: 40P01 for transaction txid. */
void repl_lock_deadlock_error(mur_error *err, uint64_t txid);
/* 40001: txid's read lock, upgraded for its write, closes a cycle with
 * another reader of the shard (a SERIALIZABLE block's read/write conflict). */
void repl_lock_serialization_error(mur_error *err, uint64_t txid);
/* Once per tick: refuse (40P01) the queued ops of one transaction of each
 * cycle of waits. */
void repl_lock_tick(repl_ctx *c);

/* repl_recover.c */
/* Resume every parked statement (they check again and may park again) and
 * kick every shard's queue. */
void repl_resume_waiters(repl_ctx *c);
/* A follower to host a new copy of s: alive, connected, not holding the
 * shard, fewest placements (co-located shards preferred); 0 when none. */
uint32_t repl_pick_target(repl_ctx *c, const cat_shard *s, uint32_t nshards);
/* The copies shard sh has or is getting: members, plus copies being rebuilt
 * that do not replace a copy still placed. */
int repl_copies_planned(repl_ctx *c, const cat_table *t, uint32_t sh);

/* repl_health.c: once per recovery tick: WARNING once per shard and
 * episode when stuck under its RF, INFO when back. */
void repl_health_tick(repl_ctx *c);

#endif
