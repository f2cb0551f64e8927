/*
 * repl.h — replication: quorum writes per shard, read gating, undo,
 * recovery (catch-up, rebuild, restart decisions) and replication health
 * (docs/replication.md).  The leader engine creates one repl_ctx and
 * reaches replication only through this header; nothing here knows the
 * leader's statements: a parked read is a callback.
 *
 * A write op is one statement's (or one COPY batch's) work on one shard.
 * Its state (repl_wop_state) changes only through one function in
 * repl_write.c, which asserts that the arrow is one of these (the table
 * repl_wop_transition_allowed reads; tests/unit/replication checks it):
 *
 *                       ┌─────────────────────(no row changed)──────────────────────┐
 *                       │                                                           ▼
 *   QUEUED ─(sent)─> PRIMARY ─(entry n logged)─> REPLICATING ─(acks ≥ quorum)─> COMMITTED
 *     │                 │                           │                           │
 *     │        (an answer failed)       (failed / quorum impossible)            │
 *     │                 └───────────> FAILING <─────┘                           │
 *     │                 (a copy holds entry n) │   │ (no copy holds it)         │
 *     │                                        ▼   │                    (every answer in)
 *     │                                   UNDOING  │                            │
 *     │                     (every undo answered)  │                            │
 *     │                                        ▼   ▼                            │
 *     └─(not sent: no quorum reachable, ─────> DONE <───────────────────────────┘
 *        table dropped, out of memory)
 *
 *   REPLICATING ─(a row insert whose primary changed no row)─> COMMITTED
 *   PRIMARY, REPLICATING, FAILING ─(an op ahead of it in the pipeline
 *                                   failed: sent again later)─> QUEUED
 *
 *   PRIMARY      the WRITE went to the primary (a row insert: to every
 *                current copy); no entry known yet
 *   REPLICATING  entry n is logged on a copy (the primary's answer; a row
 *                insert: any copy's) and shipped; waiting for the quorum.
 *                A shipped WRITE, and a block's row insert, asks the
 *                primary to answer twice (exec_task.early): at its early
 *                answer (entry n committed in SQLite, not yet durable) the
 *                op enters REPLICATING and the APPLYs go out (a row insert:
 *                sent to every copy already); the primary's durable answer
 *                is one of the answers it waits for and the only one that
 *                counts it toward the quorum (failed: the primary is not
 *                counted, is DIVERGENT and is among the copies an undo
 *                reaches)
 *   FAILING      it will not commit (its error is kept); waiting for the
 *                answers in flight (and those of the ops behind it) to know
 *                which copies hold entry n
 *   COMMITTED    the quorum holds entry n; the client was answered; waiting
 *                for the remaining answers
 *   UNDOING      every copy holding entry n is inverting it
 *   DONE         reported, out of the shard's flight list, freed
 *
 * QUEUED, PRIMARY, REPLICATING and FAILING are *undecided*.  From PRIMARY
 * until the op is decided (and until the undo finished), the shard is
 * *gated*: reads of it wait, so no client reads an entry that has not
 * reached its quorum (a point read by the distribution key waits only for
 * undecided entries that may hold its key: repl_read_gated).  The client's
 * callback runs at COMMITTED (or at DONE with an error).
 *
 * A row insert without RETURNING runs on every copy at once and reaches
 * COMMITTED on any `quorum` copies' answers, the primary's or not; DONE
 * still waits for every answer, the primary's included.
 *
 * Pipelining.  A shard takes its next op at DONE, except that a small row
 * insert (no RETURNING, no ON CONFLICT, rows under 128 KiB) starts at once
 * behind other such inserts in flight, up to 8, while no read waits for
 * the gate and none of them failed; a transaction's first op on the shard
 * (it takes the lock), and an autocommit write while no read waits at the
 * gate, start behind ops that are all COMMITTED (only slower copies'
 * answers out: a delayed replica holds back no write decided without it,
 * up to the pipeline's depth); and a one-shard transaction's commit marker
 * starts behind its own pipelined writes (below):
 *
 *   in flight:  [n: COMMITTED, waits for one copy] [n+1: REPLICATING] [n+2: PRIMARY]
 *                       every copy receives n, n+1, n+2 in this order
 *
 * Each WRITE carries the LSN its entry must get; a copy that is not just
 * below it refuses (55000), so a copy holding n+1 holds n.  Entries are
 * decided in LSN order: an op waits while one ahead of it is undecided.
 * When op n fails, the ops behind it wait for all their answers, go back
 * to the front of the queue (no client was answered, except a block's,
 * whose transaction n's failure dooms: ops pipeline only behind their own
 * transaction's), and n's undo rolls their copies back with its own.
 *
 * Pipelined writes (a transaction block's statements, facts.pipelined).
 * A statement is answered at REPLICATING: once the primary ran it and
 * logged its entry (the answer is the primary's early one: rows affected,
 * RETURNING rows; its fsync is not waited for), without waiting for the
 * copies' APPLYs, or for any copy's durable answer to a row insert that
 * every copy runs at once (the primary's durable answer included).
 * The op stays in flight until its quorum decides it.  The transaction
 * holds the shard's lock, so nobody else reads or writes the entry
 * meanwhile; its own reads go to the primary, which holds it
 * (repl_read_gated_txn).  Its COMMIT (and the decision of a multi-shard
 * one) waits until no op of it is in flight on any shard it holds
 * (repl_txn_commit); an entry that missed its quorum is undone as any
 * failed write is, and *dooms* the transaction: its next write and its
 * COMMIT fail, and COMMIT rolls it back.
 *
 * Exclusive ops (catch-up of a placement before it is switched in) go
 * through the same queue, so no write can slip between the catch-up and
 * the switch.
 */
#ifndef REPLICATION_REPL_H
#define REPLICATION_REPL_H

#include "catalog/catalog.h"
#include "common/error.h"
#include "wire/task.h"

#include <stdint.h>

/* Statements that arrive before a shard's committed entry is known after
 * a (re)start wait this long for its copies to report (docs/replication.md,
 * "Leader restart"); then they fail, nothing written. */
#define REPL_RECONCILE_WAIT_MS 5000

typedef struct repl_ctx repl_ctx;

/* ---- what replication needs from its owner (the leader engine) ---- */

typedef void (*repl_task_cb)(void *arg, exec_result *res);

/* How replication reaches followers: the leader's transport (lead.h's
 * lead_transport has the same send and connected).  send() follows
 * clu_send_task's contract: on MUR_OK, cb is called exactly once later
 * with the final result, and before it once with res->early set when the
 * task asked for an early answer and got one (the result is owned by the
 * caller of cb and valid only during cb); on error cb is never called. */
typedef struct repl_transport {
	int (*send)(void *ctx, uint32_t node_id, exec_task *task, repl_task_cb cb, void *arg,
		    mur_error *err);
	int (*connected)(void *ctx, uint32_t node_id);
	void *ctx;
} repl_transport;

typedef struct repl_config {
	catalog *cat;
	repl_transport tr;
	/* Shard log entry ids: an id unique across leader restarts and
	 * growing with time, from the counter *next (the leader's
	 * lead_time_id); the context keeps the counter. */
	uint64_t (*time_id)(uint64_t *next);
	int write_pipeline; /* row inserts one shard may have in flight (1: none pipelined) */
	/* Honour MURPHY_FAULT_POINT=txn_after_prepare | txn_after_decision |
	 * txn_after_first_marker: the process exits (137) there; and
	 * txn_hold_after_decision: the commit waits MURPHY_FAULT_HOLD_MS
	 * there (tests; only with --allow-faults). */
	int fault_points;
	/* Lock waits end at their own time, not on the 1 s tick: replication
	 * asks its owner to call repl_lock_due once mur_now_us() reaches
	 * due_us (a waiting op's lock_timeout or deadlock_timeout).  A later
	 * call may ask for an earlier time; an early or extra call is
	 * harmless.  NULL: only repl_tick looks (unit tests without a loop). */
	void (*wake_at)(void *ctx, uint64_t due_us);
	void *wake_ctx;
} repl_config;

/* A context for the catalog's distributed tables.  Nothing is known about
 * any copy until its follower reports: every placement starts LAGGING and
 * every shard's committed entry unknown.  NULL + err when out of memory.
 * Free with repl_destroy: it frees the per-shard states and drops parked
 * reads and statements without resuming them; write ops still queued or
 * in flight are not freed (destroy an idle context, as the leader does at
 * exit). */
repl_ctx *repl_create(const repl_config *cfg, mur_error *err);

/* A multi-shard COMMIT's decision, recorded by the owner (grouped with
 * others): fn makes dec durable (txn_outcomes 'committed') and then calls
 * done(arg, MUR_OK, NULL), or done(arg, MUR_ERR, err) when none of it is
 * durable, on the loop thread and never before fn returned.  fn returns
 * MUR_ERR (err; done never called) when it cannot take dec.  Without one
 * (repl_set_decide never called: unit tests) the decision is recorded
 * inline (cat_txn_outcome_put).  No marker of the transaction is sent
 * before done(MUR_OK). */
typedef void (*repl_decided_cb)(void *arg, int rc, const mur_error *err);
typedef int (*repl_decide_fn)(void *ctx, const cat_decision *dec, repl_decided_cb done, void *arg,
			      mur_error *err);
void repl_set_decide(repl_ctx *c, repl_decide_fn fn, void *ctx);
void repl_destroy(repl_ctx *c);
void repl_set_write_pipeline(repl_ctx *c, int depth);
int repl_write_pipeline(const repl_ctx *c);

/* ---- recorded decisions (repl_outcome.c) ---- */

/* How long a multi-shard commit's recorded decision stays answerable in
 * murphy.transaction_outcomes once nobody else needs it: a day, time for
 * a client that lost its COMMIT's answer to reconnect and ask (leader
 * flag --txn-outcomes-keep-ms). */
#define REPL_OUTCOMES_KEEP_MS_DEFAULT (24LL * 3600 * 1000)
/* Rows past which the oldest settled decisions go whatever their age: at
 * ~100 bytes a row, 10 MB of catalog; a day of ~1 multi-shard commit a
 * second. */
#define REPL_OUTCOMES_ROWS_MAX 100000
void repl_set_outcomes_keep_ms(repl_ctx *c, int64_t keep_ms);
int64_t repl_outcomes_keep_ms(repl_ctx *c);
/* 1 when no copy needs txid's recorded decision any more: the
 * transaction is not open here and every copy of each participant
 * ("table_id:shard,…", as recorded) is past its marker.  The first call
 * for a txid takes the bound the copies must reach. */
int repl_outcome_settled(repl_ctx *c, uint64_t txid, const char *participants);
/* The marker of recorded-committed txid on shard `shard` of table_id is
 * entry lsn (it reached its quorum): the LSN that shard's copies must
 * reach before the decision may go. */
void repl_outcome_marker_at(repl_ctx *c, uint64_t txid, uint32_t table_id, uint32_t shard,
			    uint64_t lsn);
/* Delete the settled decisions older than the keep time (or the oldest
 * settled ones past REPL_OUTCOMES_ROWS_MAX), a bounded batch per call
 * (the leader's 1 s tick). */
void repl_outcomes_trim(repl_ctx *c, int64_t now_ms);
/* After a (re)start the outcome rows a machine crash lost are rebuilt from
 * the STAGED entries in the copies' logs (repl_staged_rebuild.c): 1 while
 * a copy not on a dead follower has not been listed yet — a txid without
 * a row may still get one (murphy.transaction_outcomes says so). */
int repl_outcomes_rebuilding(repl_ctx *c);
/* fn(arg, txid) for each transaction being resolved from its staging
 * markers and still undecided: its outcome is unknown for now. */
void repl_staged_unknown_each(repl_ctx *c, void (*fn)(void *arg, uint64_t txid), void *arg);

/* The fate of a transaction that recorded no outcome row (a one-shard
 * COMMIT, a ROLLBACK): repl_txn_ends.c.  repl_txn_ended: 1 and *out when
 * txid ended on this leader process among the newest REPL_TXN_ENDS_MAX
 * (committed, or certainly aborted), else 0. */
/* 65,536 ends of 32 bytes: 2 MiB, allocated at the first end; at a few
 * hundred commits a second, minutes of them (older ones: the logs). */
#define REPL_TXN_ENDS_MAX 65536
typedef struct repl_ended {
	uint64_t txid; /* 0: a free slot */
	int committed;
	uint32_t table_id, shard; /* committed: the first shard its marker holds on */
	int nshards;              /* committed: shards its markers hold on (0: wrote none) */
	int64_t ended_ms;         /* mur_wall_ms */
} repl_ended;
int repl_txn_ended(const repl_ctx *c, uint64_t txid, repl_ended *out);
/* 1 while txid is open (or ending) on this leader. */
int repl_txn_is_open(const repl_ctx *c, uint64_t txid);
/* What one copy's log holds of one txid (leader/lead_outcome_ask.c reads
 * it from every copy of every shard). */
typedef struct repl_log_seen {
	uint32_t table_id, shard, node_id;
	int answered;        /* 0: no answer (its follower down, the query failed) */
	uint64_t first_lsn;  /* the log's oldest entry (0: an empty log) */
	uint64_t position;   /* the copy's position (newest entry, or its undo's target) */
	uint64_t commit_lsn; /* the txid's commit marker (0: none) */
	int staged, data;    /* a staging marker of it; data entries of it */
} repl_log_seen;
/* "committed" (parts: the shards whose marker counts, "table:shard,…"),
 * "aborted", "unknown", or NULL while txid is open on this leader; the
 * rules are repl_txn_ends.c's.  seen: n answers, one per copy asked. */
const char *repl_log_verdict(repl_ctx *c, uint64_t txid, const repl_log_seen *seen, int n,
			     char *parts, size_t cap);

/* ---- quorum ---- */

typedef enum repl_quorum {
	REPL_QUORUM_ONE = 1,
	REPL_QUORUM_MAJORITY = 2,
	REPL_QUORUM_ALL = 3,
} repl_quorum;

/* Number of copies a write needs under q for a shard with n placements. */
int repl_quorum_required(repl_quorum q, int n);
/* Parse 'one' | 'majority' | 'all'; 0 when invalid. */
repl_quorum repl_quorum_parse(const char *s);
const char *repl_quorum_name(repl_quorum q);

/* ---- writes ---- */

typedef struct repl_wop repl_wop;

/* A write op's state (the diagram above). */
typedef enum repl_wop_state {
	REPL_WOP_QUEUED = 0,
	REPL_WOP_PRIMARY,
	REPL_WOP_REPLICATING,
	REPL_WOP_FAILING,
	REPL_WOP_COMMITTED,
	REPL_WOP_UNDOING,
	REPL_WOP_DONE,
	REPL_WOP_STATES /* how many */
} repl_wop_state;

/* 1 when the diagram has an arrow from -> to (none from a state to
 * itself); 0 otherwise, and for values out of range. */
int repl_wop_transition_allowed(repl_wop_state from, repl_wop_state to);
/* "queued", "primary", ...; "?" out of range. */
const char *repl_wop_state_name(repl_wop_state st);

/* Called once per op when its outcome is known to the client side: at
 * COMMITTED (ok) or DONE (failed).  op stays valid during the call. */
typedef void (*repl_wop_cb)(void *arg, repl_wop *op, int failed, const mur_error *err,
			    const exec_result *primary);

/* What the planner knows about a write's statement.  Grouping, pipelining,
 * who may answer and the row estimate are decided from these, never from
 * the SQL text (a quoted name may hold any word). */
typedef struct repl_txn repl_txn;
typedef struct repl_write_facts {
	int returns_rows;  /* RETURNING: the client's answer is the primary's rows */
	int may_skip_rows; /* ON CONFLICT DO NOTHING: a row may be left out without error */
	int is_delete;     /* DELETE: the changes it reports are rows removed */
	int is_ddl;    /* sql is a schema change, "forward SEP undo" (storage/replog.h): logged as a
		       DDL entry, applied in log order on every copy */
	repl_txn *txn; /* the transaction the write belongs to (repl_lock.c): it takes
			      the shard's lock; NULL: autocommit, its entry is its own decision */
	uint32_t lock_timeout_ms;     /* the longest it waits for another transaction's lock
				     before failing with 55P03 (at that time: wake_at);
				     0: no limit */
	uint32_t deadlock_timeout_ms; /* once it has waited this long (and every
					 this long after), its transaction's waits
					 are searched for a cycle (40P01 when in
					 one); 0: REPL_DEADLOCK_TIMEOUT_MS */
	int lock_shared;              /* repl_lock_shard only: take the lock shared (a read's:
			    SERIALIZABLE, FOR SHARE) instead of exclusive */
	int serializable;             /* txn runs SERIALIZABLE or REPEATABLE READ: an upgrade of its
			     shared (read) lock that would close a cycle is a
			     serialization failure, 40001, not a deadlock (40P01) */
	int pipelined; /* a block's write (txn set): answered once the primary logged its
			  entry, before the quorum holds it; the transaction's COMMIT
			  waits for the quorum, and a write that misses it makes the
			  COMMIT fail (see "Pipelined writes" below) */
	int blind;     /* a row insert that cannot fail on a copy (cat_table_insert_cannot_fail:
		      no unique key, CHECK or foreign key; values checked on the leader):
		      in a block under murphy.replica_batch it is answered at once and kept
		      on the leader until something needs it (its COMMIT's marker: sent
		      to every copy in the same frame; docs/transactions.md, "Blind
		      inserts") */
} repl_write_facts;

/* deadlock_timeout when a write names none: PostgreSQL's default. */
#define REPL_DEADLOCK_TIMEOUT_MS 1000

/* Submit one shard's write: sql run once with params (nparams) or once per
 * row of rows (nrows × ncols, mur_row encoding; copied).  facts: NULL for a
 * plain statement (none of them).  cb reports it; on error it is never
 * called. */
int repl_write(repl_ctx *c, const cat_table *t, uint32_t shard, repl_quorum q, const char *sql,
	       const repl_write_facts *facts, const mur_value *params, uint32_t nparams,
	       const mur_buf *rows, uint64_t nrows, uint32_t ncols, repl_wop_cb cb, void *arg,
	       mur_error *err);
/* In cb: 1 when op failed because its shard was split while it waited in
 * the queue (40001, nothing written: it was routed by the old bounds);
 * the statement may be planned and run again (repl_split.c). */
int repl_wop_split_moved(const repl_wop *op);
/* 1 when every write of tx on the shards of t has started (none waits in
 * a queue: it holds its shard's lock) and none in flight has failed: an
 * autocommit COPY commits with its batches in flight only then
 * (leader/lead_copy.c, commit_at_end).  A write of tx that fails once
 * its COMMIT has begun dooms it (repl_txn_committing). */
int repl_txn_table_ready(repl_ctx *c, const cat_table *t, const repl_txn *tx);

/* 1 when a write or recovery op is queued or running on any shard of t, or
 * a read waits for one.  Entries a block holds back for its COMMIT
 * (replica batches) are sent to the replicas first: the caller waits for
 * t to go idle, which they would otherwise delay until that COMMIT. */
int repl_table_busy(repl_ctx *c, const cat_table *t);
/* Release the replication state of t's shards (DROP TABLE; t idle). */
void repl_forget(repl_ctx *c, const cat_table *t);

/* ---- reads ---- */

/* Called once when a parked read may try again. */
typedef void (*repl_resume_fn)(void *arg);

/* 1 when the shard is gated (an undecided entry): the read is parked and
 * resume(arg) is called when the gate lifts (the read then checks again).
 * key: the one distribution value the read can see rows of (a router read
 * of one table pinned by `dist_col = value`, coerced to the column's type),
 * or NULL.  A read with a key waits only when an undecided entry could hold
 * a row with that value: every undecided entry is a row insert whose rows
 * the leader knows, so an insert of other keys does not hold the read up.
 * -1 + err when it cannot park (out of memory): it must not read either. */
int repl_read_gated(repl_ctx *c, const cat_table *t, uint32_t shard, const mur_value *key,
		    repl_resume_fn resume, void *arg, mur_error *err);
/* The same for a read of transaction tx (NULL: none): a shard whose lock
 * another transaction holds is gated whatever the key (its entries are not
 * decided until it ends); one whose lock tx holds is not gated by tx's own
 * entries (it reads its own writes). */
int repl_read_gated_txn(repl_ctx *c, const cat_table *t, uint32_t shard, const mur_value *key,
			const repl_txn *tx, repl_resume_fn resume, void *arg, mur_error *err);

/* Park a read of shard `shard` of t whatever its gate (resume(arg) as
 * repl_read_gated's), marked as waiting since since_us (mur_now_us; an
 * earlier mark of arg on the shard is kept): a read waiting for one of
 * its shards reserves the others, and while it waits, a transaction that
 * holds no lock yet and asks for this shard's exclusively after since_us
 * waits for it (docs/transactions.md, "Queue order"; readers are not
 * starved by new writers).  1: parked; -1 + err when out of memory (not
 * parked).  repl_unpark(arg) ends every park of arg. */
int repl_read_reserve(repl_ctx *c, const cat_table *t, uint32_t shard, uint64_t since_us,
		      repl_resume_fn resume, void *arg, mur_error *err);
/* The LSN a read of shard `shard` of t must see: the committed entry, or
 * past it the newest entry the lock holder's pipelined writes logged on
 * the primary (only the holder reads the shard then). */
uint64_t repl_read_lsn(repl_ctx *c, const cat_table *t, uint32_t shard);

/* How stale a copy is (docs/consistency.md): the committed entries it
 * lacks, and how long ago the first of them was decided (0 when it lacks
 * none).  The time is exact while the shard's ring holds that entry
 * (REPL_RING); past it, or for an entry decided before a leader restart,
 * it is an upper bound from the copy's last entry id (wall time at that
 * entry's start).  known 0: the shard's committed entry, or the time, is
 * not known (entries and ms are then not to be trusted). */
typedef struct repl_staleness {
	uint64_t entries;
	uint64_t ms;
	int known;
} repl_staleness;
void repl_copy_staleness(const repl_ctx *c, uint32_t table_id, const cat_shard *s,
			 const cat_placement *p, repl_staleness *out);

/* Reads that do not wait for the gate (bounded and available reads,
 * docs/consistency.md).  The newest entry such a read of shard `shard` of
 * t may see, into *bound: the committed entry, or while a transaction
 * holds the shard's lock exclusive, the committed entry before its first
 * (its entries are undecided until it ends).  The read is sent with it
 * (exec_task.lsn): a copy past it refuses.  0 when the shard is not to be
 * read so (its committed entry unknown, or none yet; an exclusive op runs:
 * catch-up, undo; a restart's transaction is being settled): read it as
 * strong does.  1 otherwise. */
int repl_read_bound(const repl_ctx *c, const cat_table *t, uint32_t shard, uint64_t *bound);
/* 1 when the copy of shard `shard` of t on node was sent an entry that is
 * not decided (or is being undone): a read sent to it now arrives behind
 * that entry and is refused (reads and writes reach a follower in the
 * order sent).  A hint: a copy may have been sent nothing and still hold
 * such an entry (the answer says). */
int repl_copy_sent_undecided(const repl_ctx *c, const cat_table *t, uint32_t shard, uint32_t node);
/* A copy answered a read sent with bound, at its entry (lsn, entry_id):
 * 1 when what it read holds only committed entries (lsn within the bound
 * and the committed entry, entry_id the one the leader recorded at lsn
 * when it still knows it) and the staleness is known; *out its staleness
 * against the bound (the committed entries it lacked; the time since the
 * first of them was decided, now: at least the answer's).  0: do not use
 * the answer. */
int repl_read_answer(const repl_ctx *c, const cat_table *t, uint32_t shard, uint64_t bound,
		     uint64_t lsn, uint64_t entry_id, repl_staleness *out);

/* 1 when copy p of shard s of t holds only committed entries, as far as
 * the leader knows: the shard's committed entry is known, p's follower
 * reported its copy since it last connected, p is not past the committed
 * entry, and its last entry is the one the shard committed at that LSN
 * (when the leader still remembers it).  A stale read may use such a copy
 * (docs/consistency.md). */
int repl_copy_committed_prefix(const repl_ctx *c, const cat_table *t, const cat_shard *s,
			       const cat_placement *p);

/* 1 while the shard's committed entry is unknown after a (re)start and a
 * copy that is not dead has not reported. */
int repl_shard_reconciling(repl_ctx *c, const cat_shard *s);
/* Park a statement (started at start_us, mur_now_us) until copies report
 * or a shard goes idle: resume(arg) is called then (or at the next tick).
 * 0 when it has waited REPL_RECONCILE_WAIT_MS already or out of memory:
 * not parked. */
int repl_park(repl_ctx *c, uint64_t start_us, repl_resume_fn resume, void *arg);

/* The placement to read a shard from: the primary when current and
 * connected, else a current replica at the committed LSN; 0 when none. */
uint32_t repl_read_node(repl_ctx *c, const cat_shard *s);
/* May a strong read of shard `shard` of t go to any copy at the committed
 * entry (repl_copy_at_committed), not only to repl_read_node's?  1 when
 * the shard is quiet: its committed entry known, every op in flight
 * committed (no entry any copy holds may still be undone, none is
 * answered early), no exclusive op (catch-up, undo) running, no
 * transaction holding its lock exclusive.  A read of a shard whose writes
 * are in flight stays on the copy with the latest state (docs/load.md). */
int repl_read_spreads(const repl_ctx *c, const cat_table *t, uint32_t shard);
/* Copy p of s (of t) holds every committed entry and nothing past it: its
 * follower connected, the copy current, at the committed LSN with the
 * committed entry (as far as the leader recorded its id). */
int repl_copy_at_committed(const repl_ctx *c, const cat_table *t, const cat_shard *s,
			   const cat_placement *p);

/* ---- transactions: the leader's shard lock table (repl_lock.c) ----
 *
 * A transaction's write on a shard takes the shard's lock, exclusive, at
 * its first entry there and keeps it until the transaction ends (strict
 * two-phase locking, shard-granular: docs/transactions.md,
 * docs/decisions.md).  A read that must keep what it read until the end
 * (SERIALIZABLE / REPEATABLE READ, FOR SHARE / FOR KEY SHARE) takes it
 * shared; FOR UPDATE / FOR NO KEY UPDATE exclusive.  One shard's lock:
 *
 *                 shared (a reader; more readers join)
 *        ┌──────────────────────────────┐   ┌──(another reader)──┐
 *        │                              ▼   ▼                    │
 *      FREE <──(the last sharer ends)── SHARED(n holders) ───────┘
 *      ▲  │                             │
 *      │  │ exclusive (a writer,        │ its only sharer writes or locks
 *      │  │ the shard idle)             │ FOR UPDATE: upgrade (shard idle)
 *      │  ▼                             ▼
 *      └── EXCLUSIVE(one holder) <──────┘
 *       (its holder ends: committed, or undone)
 *
 *   compatible   shared with shared; exclusive with nothing (a holder's own
 *                requests always pass: it holds what it asks, or upgrades)
 *   queue order  a shared request of a transaction holding nothing on the
 *                shard does not pass an exclusive request queued before it
 *                (a writer waiting for the readers is not starved by new
 *                readers); exclusive requests start in queue order; a
 *                transaction's first lock (exclusive) does not pass a read
 *                that began to wait for the shard before it was asked
 *                (repl_read_reserve: readers not starved by new writers)
 *   reads        other sessions' reads wait (the read gate) only for an
 *                exclusive holder: a shared holder wrote nothing
 *
 * The shard's op queue lets ops that do not conflict pass and holds the
 * others (an autocommit write included: it conflicts with any holder).
 * The exclusive holder reads its own writes.  Its entries on a shard are a
 * contiguous suffix of its log, from the entry after `base` (the shard's
 * committed entry when it took the lock exclusive: a shared holder writes
 * nothing, and nobody else can while it holds), and
 *
 *   commit = a COMMIT marker entry of the transaction on every shard it
 *            wrote, at the quorum (the entries were at their quorum when
 *            the statements that wrote them were answered), then release;
 *            a multi-shard transaction's lock on a shard is handed on
 *            once its decision is durable and that shard's marker is sent
 *            (the next holder follows the pending marker: repl_lock.c)
 *   abort  = UNDO every copy of every shard it holds exclusive to base,
 *            then release (shared ones: release)
 *
 * A request that would wait for a transaction that (through what it waits
 * for: conflicting holders, conflicting requests queued ahead) waits for
 * the requester is refused at once with 40P01 (two upgraders of one shard:
 * the second); a cycle made later (a lock handed over in queue order) is
 * found by the first waiter of it whose op has waited its deadlock_timeout
 * (repl_lock_due, at the time repl_config.wake_at was asked for), which is
 * refused with 40P01. */

/* A new transaction with the leader-unique id txid (lead_time_id); NULL
 * when out of memory.  It is freed by repl_txn_commit / repl_txn_abort
 * once their callback returned. */
repl_txn *repl_txn_begin(repl_ctx *c, uint64_t txid, mur_error *err);
uint64_t repl_txn_id(const repl_txn *tx);
/* Shards whose lock tx holds (shared or exclusive). */
int repl_txn_nshards(const repl_txn *tx);
/* A statement of tx waits for the end of open block txid, which holds a
 * table it names (0: no longer): an arrow of the wait-for graph that
 * repl_lock_in_cycle and the shard waiters' searches follow. */
void repl_txn_wait_block(repl_txn *tx, uint64_t txid);
/* 1 when tx waits, through the transactions it waits for, for itself (a
 * deadlock): then err is PostgreSQL's 40P01 for tx. */
int repl_txn_deadlocked(repl_ctx *c, const repl_txn *tx, mur_error *err);
/* An open transaction other than except holding the lock of a shard of t
 * (writers_only: exclusive; else either mode), 0: none (a block's DROP
 * TABLE / CREATE INDEX waits for it: leader/lead_ddltxn.c). */
uint64_t repl_table_holder(repl_ctx *c, const cat_table *t, const repl_txn *except,
			   int writers_only);
/* Called once when a transaction has ended; failed: the outcome is not
 * the one asked for (err says why: an undo failed).  Not failed, err's
 * message (when not empty) is a notice for the client. */
typedef void (*repl_txn_cb)(void *arg, int failed, const mur_error *err);
/* Commit tx: a commit marker of tx is written (quorum q) on every shard
 * it wrote entries to; once all hold, its locks are released (reads of its
 * shards resume) and cb runs with failed 0.  When no marker could be
 * written and no decision recorded, tx is undone and cb hears why
 * (failed 1, 40000).  When the decision is recorded (several shards) and
 * some markers could not be written, tx is committed: cb hears failed 0
 * with err a notice (SQLSTATE 00000) naming tx and the shards still
 * without their marker; those markers stay pending (nothing else starts
 * on their shards) and are sent again each tick until they hold.  No op of tx may be queued or
 * undecided.  cb (may be NULL) may run before return. */
void repl_txn_commit(repl_ctx *c, repl_txn *tx, repl_quorum q, repl_txn_cb cb, void *arg);
/* Commit tx (several shards) by parallel commits (on: staging markers,
 * no decision first; repl_lock.c) instead of a recorded decision: the
 * session's murphy.parallel_commits.  Set before repl_txn_commit. */
void repl_txn_set_parallel(repl_txn *tx, int on);
/* Commit tx by a recorded decision (txn_outcomes) even when it wrote one
 * shard, whose marker is otherwise its decision: ALTER TABLE's catalog
 * reads that outcome at open (catalog/catalog_alter.c).  Set before
 * repl_txn_commit. */
void repl_txn_set_recorded(repl_txn *tx);
/* Keep the APPLYs of tx's pipelined UPDATEs and DELETEs back until its
 * COMMIT, when each replica gets them in one frame with the marker and
 * makes them durable with one fsync (murphy.replica_batch;
 * docs/transactions.md, "Replica batches").  Set at BEGIN. */
void repl_txn_set_batch(repl_txn *tx, int on);
/* 1 once repl_txn_commit ran for tx: a write of tx still in flight that
 * fails dooms it (repl_write.c, op_fail), so that it cannot commit
 * without that write. */
int repl_txn_committing(const repl_txn *tx);
/* Abort tx: its queued writes fail (their callbacks run with 40P01 or
 * 25P02-like errors: err), then each shard it holds is undone to its base
 * once the shard's ops in flight are done, then its locks are released and
 * cb (may be NULL) runs; tx is freed after.  cb may run before return. */
void repl_txn_abort(repl_ctx *c, repl_txn *tx, const mur_error *why, repl_txn_cb cb, void *arg);

/* Take the lock of shard `shard` of t for tx without writing (SELECT …
 * FOR UPDATE / FOR SHARE, a SERIALIZABLE read, in a block): queued like a
 * write of tx, so it waits for a conflicting holder, 40P01 / 55P03 as a
 * write would (facts: only txn, lock_timeout_ms, deadlock_timeout_ms and
 * lock_shared are read).  cb runs once it is held (failed 0; op and
 * primary are not to be read) or refused.  On error cb is never called. */
int repl_lock_shard(repl_ctx *c, const cat_table *t, uint32_t shard, const repl_write_facts *facts,
		    repl_wop_cb cb, void *arg, mur_error *err);

/* The shard a keyless table's COPY batch of tx goes to without waiting
 * for another transaction, looking round the shards from `from`
 * (repl_route.c says in which order); *held: tx holds its lock already.
 * When every shard is another's and tx holds none, `from`: tx waits there
 * holding nothing, so its wait closes no cycle. */
uint32_t repl_route_shard(const repl_ctx *c, const cat_table *t, const repl_txn *tx, uint32_t from,
			  int *held);

/* A lock wait's time came (repl_config.wake_at): fail (55P03) the ops
 * that waited their lock_timeout, search the waits of those that waited
 * their deadlock_timeout for a cycle (40P01 for the waiter whose search
 * found it), and ask wake_at for the next time. */
void repl_lock_due(repl_ctx *c);

/* What murphy.transactions and murphy.locks show (repl_lock.c).  The
 * facts, not a state name: the leader names the state
 * (lead_txn_view_state, leader/lead_views.c). */
typedef enum repl_txn_end {
	REPL_TXN_OPEN = 0, /* not ending */
	REPL_TXN_COMMIT,   /* repl_txn_commit ran */
	REPL_TXN_ABORT,    /* repl_txn_abort ran (or a commit that wrote no marker) */
} repl_txn_end;
/* Participants listed per transaction: a transaction holding more shards
 * shows this many (nshards counts them all); a row stays a few KiB. */
#define REPL_TXN_INFO_PARTS_MAX 64
typedef struct repl_txn_info {
	uint64_t txid;
	int64_t started_ms;   /* mur_wall_ms at repl_txn_begin */
	int nshards;          /* shards whose lock it holds */
	uint64_t waiting_for; /* the holder of a lock it waits for (0: none) */
	repl_txn_end end;
	int nwrote;        /* shards it wrote entries to (its commit markers) */
	int decided;       /* several shards: committed (every staging marker at its quorum,
			      or the decision recorded in the catalog) */
	int staging;       /* several shards: its staging markers are out, not all at
			      their quorum yet (parallel commits) */
	int marks_pending; /* commit markers in flight */
	int marks_ok;      /* commit markers at their quorum */
	int retrying;      /* committed on some shards, the others' markers resent */
	int nparts;        /* min(nshards, REPL_TXN_INFO_PARTS_MAX) */
	struct {
		uint32_t table_id, shard;
	} parts[REPL_TXN_INFO_PARTS_MAX];
} repl_txn_info;
typedef struct repl_lock_info {
	uint32_t table_id, shard;
	uint64_t txid;    /* 0: an autocommit write waiting */
	int granted;      /* 1: holds it; 0: waits for it */
	const char *mode; /* "exclusive" or "shared": held, or asked for */
} repl_lock_info;
/* Fill up to max entries; return how many there are (may be more). */
int repl_txn_list(repl_ctx *c, repl_txn_info *out, int max);
/* Shards tx wrote entries to so far: the markers a COMMIT now would write
 * (more than one: two-phase). */
int repl_txn_nwrote(repl_ctx *c, const repl_txn *tx);

/* How the last transaction to end by repl_txn_commit committed (EXPLAIN
 * ANALYZE of a write: leader/lead_explain.c). */
typedef struct repl_commit_report {
	uint64_t txid;
	int nwrote;          /* shards with entries: markers written */
	int two_phase;       /* several shards: decided before the markers */
	int staged;          /* two_phase by staging markers (parallel commits); else the
				decision was recorded in the catalog first */
	uint64_t decide_us;  /* deciding: the staging markers' round (or the decision
				log's fsync) */
	uint64_t markers_us; /* the markers, sent at once, until the last at quorum */
	int marks_ok, marks_failed;
} repl_commit_report;
/* 1 and *out filled when txid is the last transaction whose commit
 * finished (read it from its callback); 0 otherwise. */
int repl_txn_commit_report(const repl_ctx *c, uint64_t txid, repl_commit_report *out);
int repl_lock_list(repl_ctx *c, repl_lock_info *out, int max);

/* A savepoint of tx: the committed entry of every shard tx holds now (the
 * end of its suffix there).  NULL when out of memory.  Free with
 * repl_savepoint_free. */
typedef struct repl_savepoint repl_savepoint;
repl_savepoint *repl_txn_savepoint(repl_ctx *c, const repl_txn *tx);
void repl_savepoint_free(repl_savepoint *sp);
/* ROLLBACK TO sp: tx's queued writes fail (err: why), every shard tx
 * wrote after sp is undone to where it was at sp (a shard first written
 * after sp: to its base; its lock stays held); cb runs once every undo
 * answered (failed: an undo failed, err says so).  tx stays open. */
void repl_txn_rollback_to(repl_ctx *c, repl_txn *tx, const repl_savepoint *sp, const mur_error *why,
			  repl_txn_cb cb, void *arg);
/* A statement of tx's block failed: as repl_txn_rollback_to to sp (NULL:
 * to tx's start), then the locks tx took since sp are released (as
 * PostgreSQL's (sub)transaction abort frees them at the error, before
 * the client's ROLLBACK).  tx stays open, holding the locks it held at
 * sp. */
void repl_txn_undo_failed(repl_ctx *c, repl_txn *tx, const repl_savepoint *sp, const mur_error *why,
			  repl_txn_cb cb, void *arg);
/* ---- cancel: a client's CancelRequest, statement_timeout, a lock wait ---- */

/* Forget every parked read and statement whose resume argument is arg:
 * it will not be resumed.  Returns how many were forgotten (0: arg was
 * not parked). */
int repl_unpark(repl_ctx *c, void *arg);
/* Take back the write ops of arg (repl_write's callback argument) that
 * are still QUEUED: never sent, or sent back to the queue with no copy
 * keeping them.  Each is reported failed with err (its callback runs,
 * after every such op left its queue) and freed.  Ops past QUEUED are
 * left to finish: a write sent to its copies cannot be taken back.
 * Returns how many were taken back. */
int repl_cancel_queued(repl_ctx *c, void *arg, const mur_error *err);

/* ---- recovery (repl_recover.c) ---- */

/* Called on every follower state change and on connect. */
void repl_node_changed(repl_ctx *c, uint32_t node_id);
/* A 1 s timer drives retries. */
void repl_tick(repl_ctx *c);
/* A rebuild's progress as its target reports it (murphy.rebuilds). */
void repl_progress(repl_ctx *c, uint32_t node_id, uint64_t task_id, uint64_t done, uint64_t total,
		   const char *phase);
/* 1 when the follower answered STATUS since it connected. */
int repl_node_reported(const repl_ctx *c, uint32_t node_id);

/* One placement copy, shown in murphy.rebuilds. */
typedef struct repl_rebuild {
	uint32_t table_id, shard;
	uint32_t source, target, replaces;
	uint64_t task_id;
	uint64_t bytes_done, bytes_total;
	char state[16]; /* copying, catching up, done, failed */
	char phase[16]; /* as the target reports it: snapshot, log */
	char error[160];
	int64_t started_ms, finished_ms;
	uint64_t pause_us; /* the final catch-up: from asking for the shard's write
			      queue to releasing it (writes waited meanwhile) */
} repl_rebuild;
int repl_rebuild_count(const repl_ctx *c);
const repl_rebuild *repl_rebuild_at(const repl_ctx *c, int i);

/* ---- moving a copy online (repl_move.c; state diagram there) ---- */

typedef enum repl_move_state {
	REPL_MOVE_QUEUED,    /* murphy.rebalance: waits for its group's earlier moves */
	REPL_MOVE_SIZING,    /* asking the primary how large the placement is */
	REPL_MOVE_COPYING,   /* the target fetches a snapshot and the log */
	REPL_MOVE_SWITCHING, /* the final catch-up: the shard's writes wait */
	REPL_MOVE_DROPPING,  /* switched; the old file is dropped at the next tick */
	REPL_MOVE_DONE,
	REPL_MOVE_ABORTED, /* the old copy stays, the target's placement is removed */
} repl_move_state;

typedef struct repl_move_req {
	const char *table;
	int64_t shard;
	const char *from, *to; /* follower names */
	uint64_t max_bps;      /* the copy's throttle (0: none; murphy.move_max_mbps) */
	int queue;             /* wait while REPL_MOVE_PARALLEL_MAX moves of the group copy */
} repl_move_req;

/* One shard's move, shown in murphy.moves. */
typedef struct repl_move {
	uint64_t group; /* one call: the shard and its co-located tables' shards */
	uint32_t step;  /* the request within the group (murphy.rebalance's steps) */
	uint32_t table_id, shard, source, target;
	char table_name[64];
	repl_move_state state;
	uint64_t bytes_done, bytes_total, max_bps;
	uint64_t estimate_ms, estimate_bytes; /* stated before the copy started */
	uint64_t pause_us;                    /* writes waited this long at the switch */
	int64_t started_ms, copy_started_ms, switched_ms, finished_ms, progress_ms;
	int64_t failed_seen_ms; /* the rebuild failure last counted */
	int failures;
	int drop_sent;              /* DROPPING: the old file's DROP is out */
	repl_move_state aborted_in; /* the phase an aborted move was in */
	char rb_state[16];          /* the rebuild row's state last seen */
	char error[160];
	/* murphy.split_shard (repl_split.c drives the row; source: the
	 * shard's primary, target 0): the new shard's index and the bound */
	int split;
	uint32_t new_shard;
	char split_at[64];
	/* why it started when the leader started it by itself (the automatic
	 * splitter's or rebalancer's decision); "" for a call */
	char reason[128];
} repl_move;

/* Start moving shard rq->shard of rq->table (and of the tables co-located
 * with it that hold a copy on rq->from) from rq->from to rq->to.  Checks
 * everything first and starts nothing on error (err: 42P01 unknown table,
 * 42704 unknown follower, 22023 no such shard, 55000 the source holds no
 * copy / the target is down / a co-located table blocks it, 42710 the
 * target holds one already, 55006 a move or rebuild of the shard runs).
 * *group names the call's moves: a new group when 0, else the moves join
 * group *group (murphy.rebalance). */
int repl_move_start(repl_ctx *c, const repl_move_req *rq, uint64_t *group, mur_error *err);
/* fn(arg) once every move of group finished (done or aborted); 0 (fn never
 * called) when they have already, or no room to wait. */
int repl_move_wait(repl_ctx *c, uint64_t group, repl_resume_fn fn, void *arg);
/* Stop waiting: fn(arg) will not be called. */
void repl_move_unwait(repl_ctx *c, repl_resume_fn fn, void *arg);
/* One line per move of group: moved (bytes, time, write pause) or why not. */
void repl_move_result(const repl_ctx *c, uint64_t group, char *out, size_t outsz);
/* The estimate stated before the copies started (bytes, seconds). */
void repl_move_estimate(const repl_ctx *c, uint64_t group, char *out, size_t outsz);
/* ---- splitting a shard online (repl_split.c; state diagram there) ---- */

typedef struct repl_split_req {
	const char *table;
	int64_t shard;
	const char *at; /* range tables: the bound as text of the column's type; NULL: the
			   median key.  Hash tables: NULL (the middle of the hash range) */
} repl_split_req;

/* Split shard rq->shard of rq->table (and of its co-located tables): a
 * range shard at rq->at (NULL: its median key), a hash shard in the
 * middle of its hash range (rq->at must be NULL).  Checks first, starts
 * nothing on error (42P01 no such table, 0A000 a reference table, 22023
 * no such shard or a bad bound, 55000 / 55006 the shard is busy or not
 * fully replicated).
 * Shown in murphy.moves (one row per table, group *group, new when 0);
 * waited for with repl_move_wait; repl_move_result says how it went. */
int repl_split_start(repl_ctx *c, const repl_split_req *rq, uint64_t *group, mur_error *err);
int repl_move_count(const repl_ctx *c);
const repl_move *repl_move_at(const repl_ctx *c, int i);
const char *repl_move_state_name(repl_move_state s);
/* Copy rate (bytes/s measured, else estimated) and time left of a move. */
void repl_move_progress(const repl_ctx *c, const repl_move *m, double *rate_bps, double *eta_ms);
/* murphy.move_max_mbps: MB/s, 0 = unthrottled; MUR_ERR when not a number
 * in range (0, or 0.1 to 10^6). */
int repl_move_rate_parse(const char *v, uint64_t *max_bps);

/* ---- the rebalancer (repl_rebalance.c) ---- */

#define REPL_REBALANCE_MOVES_MAX 32 /* moves per plan: one call stays bounded */
/* What a planned move evens out (murphy.rebalance_plan.reason). */
typedef enum repl_rebalance_by {
	REPL_REBALANCE_BY_COPIES = 0, /* 'copies' */
	REPL_REBALANCE_BY_LOAD = 1,   /* 'load' */
	REPL_REBALANCE_BY_SIZE = 2,   /* 'size': the bytes each follower holds */
} repl_rebalance_by;
/* One planned move (murphy.rebalance_plan). */
typedef struct repl_rebalance_step {
	uint32_t table_id, shard, source, target;
	int tables;                       /* co-located tables whose shard moves with it */
	int source_copies, target_copies; /* copies each held before this step */
	uint64_t bytes_estimate, eta_ms;  /* the source's files of the copies that move, as it
					     last reported them (cat_placement.file_bytes) */
	repl_rebalance_by by;             /* what the step evens out */
	double load_ms; /* the copy's share of its shard's follower CPU over 5 min */
} repl_rebalance_step;
/* The load source's long window (load/load.h: 30 slots of 10 s). */
#define REPL_LOAD_WINDOW_S 300
/* The shard's follower CPU time (ms) over the last window_s seconds (0 or
 * REPL_LOAD_WINDOW_S and more: the last 5 min; else whole 10 s slots, the
 * one holding the window's start left out), every copy's together,
 * copies since moved away included (the leader's load rings,
 * load/load.h).  Without one the plans are by copies alone and nothing
 * splits by load. */
typedef double (*repl_shard_load_fn)(void *arg, uint32_t table_id, uint32_t shard,
				     uint32_t window_s);
void repl_set_shard_load(repl_ctx *c, repl_shard_load_fn fn, void *arg);
/* The rebalancer's cluster-wide settings (ALTER SYSTEM SET murphy.…):
 * murphy.auto_rebalance (on), murphy.rebalance_threshold (0.1),
 * murphy.rebalance_interval_ms (10000), murphy.move_max_mbps (the
 * background moves' throttle; 0: none).  value NULL: back to the default.
 * 42704 for a name that is none of them, 22023 for a bad value. */
int repl_rebalance_set(repl_ctx *c, const char *name, const char *value, mur_error *err);
/* The setting's value as text (NULL: not a rebalancer setting). */
const char *repl_rebalance_get(const repl_ctx *c, const char *name, char *buf, size_t bufsz);
/* The automatic rebalancer (the recovery tick): at most one move at a
 * time, every murphy.rebalance_interval_ms, only when every shard is at
 * its replication factor with current copies. */
void repl_rebalance_tick(repl_ctx *c);
/* The moves that would even out the copies per follower: at most max,
 * written to out; returns how many (0: balanced, or nothing can move). */
int repl_rebalance_plan(repl_ctx *c, uint64_t max_bps, repl_rebalance_step *out, int max);
/* Start the plan's moves in one group (*group; 0 when the plan is empty).
 * Moves that cannot start are listed in skipped (one line each); MUR_ERR
 * with err (the last refusal) only when the plan had moves and none
 * started. */
int repl_rebalance_start(repl_ctx *c, uint64_t max_bps, uint64_t *group, char *skipped,
			 size_t skippedsz, mur_error *err);

/* ---- health (repl_health.c) ---- */

#define REPL_HEALTH_WHY_MAX 256 /* reasons text; longer lists are cut at a reason */
typedef struct repl_shard_health {
	int rf;      /* copies it should have current (reference table: alive followers) */
	int current; /* CURRENT copies on alive, connected followers */
	int stuck;   /* a dead node's copy has no rebuild and no follower to take it */
	char why[REPL_HEALTH_WHY_MAX]; /* "" when current >= rf */
} repl_shard_health;
void repl_shard_health_of(repl_ctx *c, const cat_table *t, uint32_t sh, repl_shard_health *h);

/* ---- murphy.ready (repl_ready.c) ---- */

#define REPL_READY_REASON_MAX 256
typedef struct repl_readiness {
	int followers;      /* alive, connected (welcomed), copies reported (STATUS) */
	int shards_waiting; /* shards a write at write_quorum 'majority' would wait for or fail on */
	char reason[REPL_READY_REASON_MAX]; /* why the first of them waits; "" when none */
} repl_readiness;
/* Fill *out from the catalog and the runtime state; changes nothing. */
void repl_ready_check(repl_ctx *c, repl_readiness *out);

#endif
