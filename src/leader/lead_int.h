/*
 * lead_int.h — private to the leader engine (src/leader/lead_*.c).
 *
 * Objects:
 *   lead_engine   catalog, transport, the leader's in-memory SQLite
 *   lead_session  one client: settings, transaction state, COPY state; its
 *                 transaction (lead_txn.c, docs/transactions.md):
 *
 *                          ┌──ROLLBACK TO (undone)──┐
 *                          ▼                        │
 *       IDLE ──BEGIN──> ACTIVE ──statement error──> FAILED
 *                        │  │                          │
 *                        │  └──ROLLBACK / disconnect──┐│ ROLLBACK, COMMIT,
 *                        │                            ▼▼ disconnect
 *                        └──COMMIT──> COMMITTING     ABORTING
 *                                         │  (locks     │ (every shard it wrote
 *                                         │  released)  │  undone, locks released)
 *                                         └───> IDLE <──┘
 *
 *     lead_txn_state holds it; it changes only in lead_txn.c, which
 *     asserts every arrow against that table (lead_txn_transition_allowed).
 *   lead_stmt     a prepared statement: its plan and pgwire description
 *   lead_run      one execution of a statement; a small state machine:
 *
 *       start ──(tasks sent)──> WAIT ──(last result)──> MERGE ──> done()
 *         │                       │
 *         └── error ──────────────┴──(first failure remembered;
 *                                     done() once all results are in)
 *
 *     Cancel (lead_cancel.c: CancelRequest, statement_timeout, and a hook
 *     for lock waits): a parked run is unparked and finished with the
 *     error; a read waiting for follower results abandons them (each late
 *     result is dropped: lead_task_ref.r is NULL) and goes on as if they
 *     had failed; a write only loses its shard parts still queued.
 *
 *     The run owns its results until done() is called, then frees itself.
 *     A run never outlives the engine; a session may close while a run is
 *     pending: the run still completes and calls done() (pgwire then only
 *     frees the result).
 */
#ifndef LEADER_LEAD_INT_H
#define LEADER_LEAD_INT_H

#include "leader/lead.h"
#include "load/load.h"
#include "pgcatalog/pgcatalog.h"
#include "replication/repl.h"
#include "sql/plan.h"
#include "sql/plan_cache.h"
#include "sql/sql.h"
#include "storage/stmt_cache.h"

#include <sqlite3.h>
#include <uv.h>
#include <stdint.h>

#define LEAD_TASKS_MAX 4096 /* tasks one statement may send (shards × replicas) */
/* Times an autocommit statement runs again after its writes were queued
 * behind a split's switch (lead_session_reroute): each run waits for one
 * switch, so more means splits of its shards one after another; the run
 * after the last answers 40001 (the client may retry). */
#define LEAD_REROUTES_MAX 3
#define LEAD_SETTINGS_MAX 64
/* Settings PostgreSQL reports with ParameterStatus when they change
 * (GUC_REPORT) that a session can SET: lead_setscope.c's table. */
#define LEAD_REPORTED 8
#define LEAD_COPY_BATCH_ROWS 20000 /* rows per shard before a COPY batch is sent */
/* Bytes of encoded rows per shard before a COPY batch is sent, whatever
 * its row count: a batch is one write task (one node frame to every copy)
 * and one shard log entry, and up to LEAD_COPY_INFLIGHT_MAX of them are in
 * flight, each held by the leader once per copy it is sent to.  4 MiB
 * keeps that under ~0.5 GiB per COPY at 3 copies, while batches of
 * ordinary rows (under ~200 bytes) still fill up by row count. */
#define LEAD_COPY_BATCH_BYTES ((size_t)4 << 20)
#define LEAD_COPY_INFLIGHT_MAX 24 /* COPY batches in flight before pgwire stops reading */
/* An autocommit COPY whose batches are all at most this many bytes
 * commits with its last batches, its staging markers in the same frames
 * (lead_copy.c, commit_at_end).  A larger batch runs on the copies' thread
 * pools, out of their write batches' order, where a marker could overtake
 * it: such a COPY commits once every batch is decided.  The bound of
 * replication's REPL_PIPELINE_BYTES_MAX (repl_write.c, sent_with). */
#define LEAD_COPY_EARLY_BYTES ((size_t)128 * 1024)
/* Row ids drawn at most for one row of a routed batch until one hashes to
 * its shard (about nshards on even hash ranges). */
#define LEAD_ROWID_TRIES_MAX 65536
/* The largest row murphy stores, encoded (value.h's row encoding: about
 * the bytes of its fields, plus up to 9 per column).  A row travels whole:
 * in one pgwire message or COPY line (PGW_MESSAGE_MAX, LEAD_COPY_LINE_MAX:
 * 64 MiB), in one write task and one changeset to every copy, and back in
 * one result frame; the leader holds it about once per copy while it is
 * shipped.  So one field is at most about 64 MiB (PostgreSQL's limit is
 * 1 GiB); anything larger is refused with 54000 before any copy sees it. */
#define LEAD_ROW_BYTES_MAX ((size_t)64 << 20)
/* One COPY line: a row of LEAD_ROW_BYTES_MAX must fit in its text form,
 * where escapes and bytea's hex take up to two bytes per stored byte; a
 * longer line is an error (54000) as soon as it has grown past this. */
#define LEAD_COPY_LINE_MAX (2 * LEAD_ROW_BYTES_MAX)

/* murphy.shuffle_strategy = auto repartitions when a gather would pull
 * about this many rows into the leader (docs/shuffle.md: measured). */
#define LEAD_SHUFFLE_AUTO_ROWS 100000
/* One finished SELECT, for murphy.query_stats (lead_stats.c). */
#define LEAD_QUERY_STATS_MAX 200
#define LEAD_QUERY_TEXT_MAX 256
typedef struct lead_query_stat {
	int64_t started_ms;
	char query[LEAD_QUERY_TEXT_MAX];
	char strategy[128];
	uint32_t shards;
	uint64_t rows;                          /* result rows */
	uint64_t leader_rows, leader_bytes;     /* into the leader from followers */
	uint64_t shuffled_rows, shuffled_bytes; /* follower to follower, over the network */
	uint64_t elapsed_us;
	char error[160];
} lead_query_stat;

/* What the leader knows of a follower's reads (lead_stale.c): a read that
 * need not go to the primary goes to the fastest copy, then the least
 * loaded, taking turns among equals. */
typedef struct lead_node_load {
	uint32_t reads;     /* its QUERY tasks in flight (sent, not answered or abandoned) */
	uint64_t rtt_us;    /* their answer time, smoothed (each answer weighs 1/8) */
	uint64_t rtt_at_us; /* mur_now_us of the last answer; 0: none yet */
} lead_node_load;

struct lead_engine {
	catalog *cat;
	lead_transport tr;
	repl_ctx *repl;        /* replication: writes, read gates, recovery (replication/repl.h) */
	sqlite3 *mem;          /* leader-side evaluation: VALUES, final SQL, murphy.* views */
	pgc_session_hooks pgc; /* the running session, for pg_catalog's functions (lead_local.c) */
	uint64_t rowid_next;   /* hidden row ids: (start time in ms << 20) + counter */
	uint64_t shuffle_next; /* repartition shuffle ids, same scheme (entry ids: repl_ctx) */
	uint64_t txid_next;    /* transaction ids, same scheme (txid_current()) */
	uint64_t suspect_timeout_ms, dead_timeout_ms; /* for murphy.settings */
	uint64_t startup_timeout_ms;                  /* same */
	int auth_scram; /* --auth scram: roles prove themselves (lead_engine_set_auth) */
	int tls;        /* clients may use TLS: SHOW ssl is on (lead_engine_set_tls) */
	/* the leader's defaults of the client settings (lead_idle.c) */
	char idle_in_txn_default[32]; /* idle_in_transaction_session_timeout */
	pgw_keepalive keepalive;      /* tcp_keepalives_idle, _interval, _count */
	char keepalive_default[3][16];
	lead_query_stat qstats[LEAD_QUERY_STATS_MAX]; /* ring: the most recent SELECTs */
	uint64_t nqstats;                             /* recorded so far */
	uint32_t next_backend;
	uv_loop_t *loop; /* for the thread pool (lead_engine_set_loop); NULL: parse inline */
	struct lead_decider *decider; /* multi-shard decisions, a group per loop turn
					 (lead_decide.c); NULL without a loop: inline */
	uv_timer_t *lock_timer; /* lock waits' lock_timeout / deadlock_timeout (lead_cancel.c);
				   NULL until first armed */
	uint64_t lock_due_us;   /* when lock_timer fires (mur_now_us); 0: not armed */
	struct lead_signals *signals;       /* pg_cancel/terminate_backend's queue (lead_signal.c);
					 NULL until the first signal */
	struct lead_session *local_session; /* the session whose statement the leader's SQLite
					       runs (txid_current()); NULL between statements */
	struct lead_run *local_run;         /* that statement (set_config(),
					       murphy.move_placement); NULL likewise */
	struct lead_session *sessions;      /* open sessions, newest first (murphy.transactions) */
	int ddl_queued;        /* sessions whose DDL waits before it runs (ddl_queued set) */
	lead_transport net;    /* the transport as given; tr wraps it to count load (lead_load.c) */
	load_store *copy_load; /* per-copy load rings (load/load.h); NULL: out of memory */
	lead_node_load load[CAT_NODES_MAX]; /* by node id % CAT_NODES_MAX (lead_stale.c) */
	uint32_t read_turn;                 /* reads that took turns among equal copies */
	/* mem's prepared statements kept for reuse (lead_local.c) */
	stor_stmt_cache mem_stmts;
};

typedef struct lead_setting {
	char name[64];
	char value[256];
} lead_setting;

/* lead_setmemo.c's slots per session (a TPC-B transaction reads ~15
 * distinct settings), and those a name may take. */
#define LEAD_SETTING_MEMOS 64
#define LEAD_SETTING_MEMO_PROBES 4

/* One name's value as lead_session_lookup found it (lead_setmemo.c). */
typedef struct lead_setting_memo {
	const char *key; /* the name's address when memoized */
	char name[48];
	const char *value;
	unsigned gen; /* the session's settings_gen it was found at */
	int used, has_ms;
	uint64_t ms; /* value in ms (lead_session_ms), once has_ms */
} lead_setting_memo;

typedef struct lead_copy lead_copy;
typedef struct lead_copyto lead_copyto;
typedef struct lead_stream lead_stream;
typedef struct lead_run lead_run;

/* A session's transaction (the diagram above). */
typedef enum lead_txn_state {
	LEAD_TXN_IDLE = 0,
	LEAD_TXN_ACTIVE,
	LEAD_TXN_FAILED,
	LEAD_TXN_COMMITTING,
	LEAD_TXN_ABORTING,
	LEAD_TXN_STATES /* how many */
} lead_txn_state;

/* A savepoint of the session's block (lead_txn.c). */
typedef struct lead_settings_snap lead_settings_snap;

typedef struct lead_savepoint {
	char name[64];
	repl_savepoint *sp;
	lead_settings_snap *set; /* the settings at SAVEPOINT (lead_setscope.c) */
	int nddl;                /* the block's DDL records then (lead_ddltxn.c) */
} lead_savepoint;

/* What an open block's DDL did (lead_ddltxn.c says what each becomes). */
typedef enum lead_ddl_kind {
	LEAD_DDL_CREATED_TABLE,
	LEAD_DDL_CREATED_INDEX,
	LEAD_DDL_DROPPED_TABLE,
	LEAD_DDL_DOOMED_TABLE,  /* created, then undone by ROLLBACK TO */
	LEAD_DDL_ALTERED_TABLE, /* existed before; its shape is the block's until COMMIT */
	LEAD_DDL_DROPPED_INDEX, /* existed before: dropped at COMMIT */
} lead_ddl_kind;
typedef struct lead_ddl_rec {
	lead_ddl_kind kind;
	uint32_t table_id;
	char index[64]; /* LEAD_DDL_CREATED_INDEX: its name; else "" */
	cat_index *def; /* an index on a table the block altered: the catalog's at
			   COMMIT (malloc'd; lead_ddltxn_record_index) */
} lead_ddl_rec;
/* DDL statements one block may undo: a migration runs tens; a loop
 * creating thousands of tables in one block is cut off (54000). */
#define LEAD_BLOCK_DDL_MAX 1024
/* Savepoints one block may hold at once: each keeps an LSN per shard the
 * block wrote; ORMs nest a few, a loop that never releases them is cut off
 * (54000) rather than growing without end. */
#define LEAD_SAVEPOINTS_MAX 1024
/* Shards whose last read LSN a session remembers for monotonic reads at
 * bounded (lead_stale.c): 16 KiB at most per session; once full, a shard
 * not remembered is read only from a current copy. */
#define LEAD_READ_FLOORS_MAX 1024
typedef struct lead_read_floor {
	uint32_t table_id, shard;
	uint64_t lsn; /* the newest entry of the shard this session read */
} lead_read_floor;

typedef struct lead_session {
	lead_engine *e;
	pgw_session *ps;
	char last_query[LEAD_QUERY_TEXT_MAX]; /* its latest statement: pg_stat_activity.query */
	lead_txn_state txn;
	uint64_t txid;              /* the open block's transaction id (0 when IDLE) */
	uint64_t shape_waiting;     /* the block whose ALTER a statement of it waits for
				   (lead_session.c, execute_or_wait); 0: none */
	const plan *ddl_queued;     /* its DROP TABLE / CREATE INDEX that waits before it
				   runs: later writers of its tables queue behind it
				   (lead_ddltxn_queued_ahead); NULL: none */
	repl_txn *tx;               /* its locks (ACTIVE, FAILED); NULL otherwise */
	lead_savepoint *savepoints; /* the block's, oldest first */
	int nsavepoints, capsavepoints;
	int undoing;           /* failed statements' undos in flight (lead_txn_undo_failed) */
	lead_run *undo_waiter; /* a ROLLBACK TO waiting for them */
	int nsettings;
	lead_setting settings[LEAD_SETTINGS_MAX];
	/* bumped by every change of settings[] (lead_session_set, and
	 * lead_setscope.c's restore and forget): lead_setscope_report looks
	 * the reportable values up again only when it moved */
	unsigned settings_gen, reported_gen;
	lead_setting_memo memo[LEAD_SETTING_MEMOS]; /* lead_setmemo.c */
	/* the open block's settings (lead_setscope.c): what a rollback
	 * brings back, and what a COMMIT keeps (the SET LOCALs undone) */
	lead_settings_snap *set_before, *set_commit;
	lead_ddl_rec *ddl; /* the open block's DDL, oldest first (lead_ddltxn.c) */
	int nddl, capddl;
	/* the reportable settings' values the client was last sent
	 * (ParameterStatus), LEAD_REPORTED entries */
	char reported[LEAD_REPORTED][256];
	lead_copy *copy;     /* COPY FROM STDIN in progress */
	lead_copyto *copyto; /* COPY TO STDOUT in progress (lead_copyto.c) */
	int portal_stream;   /* the next execute() feeds a portal: it may stream (lead_stream.c) */
	int closed;
	int refs; /* session + pending runs; freed at 0 */
	/* the statement in progress (lead_cancel.c): its done() is wrapped,
	 * runs list its live runs, newest first, for a cancel */
	pgw_done_cb stmt_done; /* NULL: no statement in progress */
	void *stmt_arg;
	uint64_t stmt_seq; /* statements begun: a cancel stays with its own */
	lead_run *runs;
	int cancel_pending;        /* cancelled before it had a run (parse on the pool) */
	uint64_t stmt_deadline_ms; /* statement_timeout's end (mur_now_ms), 0: none; the
				      leader's own SQLite stops there (lead_local.c) */
	mur_error cancel_err;
	uv_timer_t *timer; /* statement_timeout; NULL until first armed */
	/* who it is (murphy.transactions): BackendKeyData's pid (0 in the
	 * unit fixture), the startup's user and application_name */
	uint32_t pid;
	char user[64];
	int superuser; /* its role is one (trust: also a user without a role) */
	char app[64];
	char tz0[256]; /* the startup's TimeZone, canonical ("": UTC): RESET's value */
	char ds0[32];  /* the startup's DateStyle, canonical ("": ISO, MDY): RESET's */
	/* pg_stat_activity's backend_start, query_start, state_change: µs of
	 * the wall clock (lead_views.c, lead_activity_*) */
	int64_t backend_start_us, query_start_us, state_change_us;
	struct lead_session *next_open, *prev_open; /* e->sessions while open */
	int in_query;            /* a multi-statement Query runs: IDLE statements open a block */
	int implicit;            /* the block (ACTIVE, FAILED) is that Query's implicit one */
	int64_t xact_now_us;     /* now(): the wall clock when a statement was planned while
				    IDLE (lead_session_sql_options), kept while a block is open */
	lead_read_floor *floors; /* reads at bounded / available (lead_stale.c); malloc'd */
	int nfloors, capfloors;
	cat_seq_session seqs; /* currval / lastval (catalog_seq.c) */
	/* its simple queries' plans (sql/plan_cache.h); the statement the last
	 * split found the whole Query to be (NULL: none), scanned into lift */
	struct sql_plan_cache *plans;
	const char *split_stmt;
	sql_lift lift;
	uint64_t plan_hits; /* statements that ran a kept plan: murphy.plan_cache_hits */
	char plan_hits_text[24];
	/* now()'s parameter of a kept plan (lead_session.c, lift_params): the
	 * text of xact_now_us when it was now_text_us ("": none yet) */
	char now_text[SQL_NOW_PARAM_TEXT];
	int64_t now_text_us;
} lead_session;

typedef struct lead_session lead_session;

typedef struct lead_stmt {
	plan *p;               /* NULL until planned (a long statement waits for execute) */
	lead_session *session; /* the session that prepared it (outlives it) */
	char *sql;
	uint64_t catalog_version; /* cat_version() when planned: re-plan when it moves */
	uint64_t shape_blocked;   /* planned naming a table this open block altered: waits
				     until it ends, then plans again (lead_session.c) */
	sql_options opts;  /* the session's settings when planned: re-plan when they change */
	int given_nparams; /* parameter types the client gave at Parse */
	int nparams;
	int ncols;
	pgw_column *cols;
	/* planned from the session's plan cache: the entry (a reference) whose
	 * plan p is, and the statement's literals as its parameters' texts */
	struct sql_cached *cached;
	int lift_n;
	char lift_text[SQL_LIFT_MAX][12];
	int checked; /* its kept plan found current by prepare(): execute() runs it */
	/* Last, and not zeroed (op_prepare zeroes what precedes them: 8 KB a
	 * statement otherwise): only their first given_nparams / nparams
	 * entries are ever read, each written before. */
	uint32_t given_oids[PLAN_PARAMS_MAX];
	uint32_t param_oids[PLAN_PARAMS_MAX];
} lead_stmt;

/* Per-task bookkeeping for EXPLAIN ANALYZE and merging. */
struct lead_task_ref;
typedef struct lead_task_slot {
	uint32_t node_id;
	uint32_t shard;
	uint32_t table_id; /* set by callers that need it (murphy.shards counts) */
	int primary;       /* this placement's result is the one returned */
	int stats_only;    /* a shuffle SEND or CANCEL: its rows are not data */
	int done;
	exec_result res;
	uint64_t bytes;            /* encoded result size, approximately */
	struct lead_task_ref *ref; /* the pending callback's (lead_run.c); NULL once done */
	uint64_t task_id;          /* the transport's id for it (a QUERY_CANCEL names it) */
	int scan;                  /* a QUERY or SHUFFLE_SEND: abandoned, the follower is told
				  to stop it (QUERY_CANCEL) */
	uint64_t sent_us;          /* mur_now_us when sent (a scan: its answer time) */
	uint64_t read_bound;       /* a read that did not wait: the newest entry it may see
				      (exec_task.lsn; lead_stale.c); 0: none */
	int refused;               /* such a read whose copy was past it (not a failure) */
	int reread;                /* a SELECT's shard read: may go to another copy when its
				      copy is lost (lead_reread.c) */
	int lost;                  /* such a read failed with 08006 (not a failure: read again) */
	int dropped;               /* failed while its shuffle restarts: not a failure */
	const cat_table *table;    /* what a QUERY of one table or a SEND reads, else NULL */
	const plan_select *coloc;  /* a co-located join's read held to a bound per table
				      (exec_task.attached_bound): its tables; NULL otherwise */
	uint64_t attached_bound[EXEC_TASK_PLACEMENTS_MAX]; /* coloc: tables[i]'s read_bound */
} lead_task_slot;

typedef void (*lead_run_next)(lead_run *r);

/* A shuffle in flight (lead_shuffle.c, lead_join.c).  Task slots of its
 * run: [0, nowners) the owners' RECVs, then nsends SENDs, then CANCELs. */
typedef struct lead_shuffle {
	uint64_t id;
	int nowners;
	uint32_t owners[EXEC_SHUFFLE_PARTS_MAX];
	int nsends;
	int cancelled;
	const char *what;                       /* for EXPLAIN ANALYZE: what was hashed or copied */
	char to[EXEC_SHUFFLE_TO_BYTES_MAX + 1]; /* owners' addresses, comma-separated */
	uint64_t merge_us;                      /* leader merge time */
} lead_shuffle;

/* lead_stale.c: a SELECT's read consistency level (murphy.read_consistency). */
typedef enum lead_read_level {
	LEAD_READ_STRONG = 0,
	LEAD_READ_BOUNDED,
	LEAD_READ_AVAILABLE,
} lead_read_level;
/* Stale shards one WARNING names (more are counted): ~70 bytes each within
 * a notice's MUR_ERROR_MESSAGE_MAX. */
#define LEAD_STALE_SHOWN 4
typedef struct lead_stale_read {
	const char *table; /* the catalog's name (lives as long as the run) */
	uint32_t shard, node;
	repl_staleness st;
} lead_stale_read;
typedef struct lead_stale_reads {
	int nmissing;                       /* shards skipped: no reachable copy */
	uint32_t missing[LEAD_STALE_SHOWN]; /* the first of them */
	const char *missing_table;
	int n;             /* shards read from a stale copy */
	uint64_t worst_ms; /* the largest staleness among them */
	lead_stale_read shown[LEAD_STALE_SHOWN];
} lead_stale_reads;

struct lead_run {
	lead_session *s;
	lead_engine *e;
	const plan *p; /* borrowed from the statement (or owned: own_plan) */
	plan *own_plan;
	uint32_t only_shard; /* > 0: a scan reads shard only_shard - 1 alone (COPY TO, cursors) */
	lead_stream *stream; /* a portal's batch (lead_stream.c): its task SQL, its last key */
	int nparams;
	mur_value *params; /* bound parameters, coerced to plan->param_types */
	mur_buf param_scratch;
	char **seek_sql; /* task SQL with a large set's seek form cut (lead_run_send) */
	int nseek_sql;
	const char *seek_src; /* the text seek_sql[nseek_sql - 1] was made from */
	pgw_done_cb done;
	void *done_arg;
	pgw_result *res; /* being built */
	int ntasks, npending, tasks_cap;
	lead_task_slot *tasks;
	uint64_t read_since_us; /* a read parked on a gate: when it began to wait
				   (mur_now_us), its shards reserved (lead_select.c); 0 */
	int failed;
	mur_error err;
	lead_run_next on_tasks_done; /* continuation after the last task result */
	uint64_t start_us;
	int analyze; /* EXPLAIN ANALYZE: keep stats */
	/* INSERT ... SELECT and EXPLAIN ANALYZE run a child select first */
	mur_buf rows; /* rows produced so far (mur_row encoding) */
	uint64_t nrows;
	uint32_t ncols;
	uint64_t changes;
	lead_run *parent; /* child runs report to child_cb instead of done() */
	void (*child_cb)(lead_run *parent, lead_run *child);
	/* called after each failed task result (tasks may be sent from it) */
	void (*on_task_failed)(lead_run *r);
	/* after a task lost or refused (read again): a shuffle cancels the rest */
	void (*on_task_lost)(lead_run *r);
	int restarting; /* a shuffle starts over once all answered: failures dropped */
	struct lead_shuffle *shuffle;       /* repartition state (lead_shuffle.c) */
	char sql_text[LEAD_QUERY_TEXT_MAX]; /* the statement, for murphy.query_stats */
	int step;      /* statements run in steps (ANALYZE: the table being analyzed) */
	int cancelled; /* lead_run_cancel ran for it */
	/* A wait outside replication (a lock wait) sets this while the run
	 * waits, and clears it when the wait ends: lead_run_cancel calls it
	 * (once, cleared first) instead of its own steps; it must end the
	 * wait and the run (lead_run_fail with err, then lead_run_finish or
	 * the run's continuation). */
	void (*on_cancel)(lead_run *r, const mur_error *err);
	lead_run *snext, *sprev; /* the session's live runs (s->runs) */
	uint64_t block_txid;     /* the session's block when the run started (0: none) */
	int failed_undone;       /* its block's writes since the innermost savepoint were
				    undone after its error (lead_txn_undo_failed) */
	int rows_locked;         /* SELECT … FOR UPDATE: its shards' locks were asked for */
	repl_txn *itx;           /* the implicit transaction of a multi-shard autocommit write */
	void (*txn_ended)(lead_run *r); /* set: called once itx committed (r->failed clear) or
					   aborted, before the run finishes; itx is then never a
					   parallel commit (its commit is a recorded decision:
					   catalog/catalog_alter.c) */
	uint64_t analyze_txid;          /* EXPLAIN ANALYZE: the implicit transaction it commits */
	lead_stale_reads stale; /* shards this SELECT read from stale copies (lead_stale.c) */
	int now_tries;          /* a bounded / available SELECT: times it read without the
				    gate (lead_stale_now); past a few, it waits as strong */
	int now_refused;        /* answers of those reads not used (a copy past the bound) */
	int now_used;           /* its answer is one read without the gate */
	int rereads;            /* rounds read again after a copy was lost (lead_reread.c) */
	int stale_refused;      /* rounds read again after a stale copy refused its bound */
	uint32_t lost_node;     /* the last copy lost (its follower), 0: none */
	struct lead_subq *subq; /* its subqueries' results (lead_subq.c); NULL: none yet */
	mur_error lost_err;     /* and why (the DETAIL of a later 08006) */
	uint64_t move_group;    /* murphy.move_placement: the moves it started (lead_move.c) */
	int move_parked;        /* waited for them: the function now answers */
	struct lead_stmt *stmt; /* the statement it runs (NULL: a child, a COPY): planned
				   and run again after a split (lead_session_reroute) */
	int split_moved;        /* a write part failed queued behind a split: nothing
				   written (repl_wop_split_moved) */
	int reroutes;           /* times its statement ran again after a split */
	struct lead_fkey *fk;   /* its foreign key checks (lead_fkey.c); NULL: none */
	struct lead_outcome_ask *oask; /* txids it asks the shard logs about
					  (lead_outcome_ask.c); NULL: none */
};

/* lead_fkey.c: foreign keys.  lead_fkey_insert: the INSERT's source rows
 * (nrows × ncols, the table's column order) need checks: 1 when they
 * started (cont runs after them, r->failed set on a violation), 0: none,
 * go on.  lead_fkey_deleted: the same for a DELETE's returned rows
 * (r->rows), after the write.  lead_fkey_begin_txn: a DELETE that will be
 * checked runs in a transaction even over one shard.  lead_fkey_free:
 * run_free. */
typedef struct lead_fkey lead_fkey;
int lead_fkey_insert(lead_run *r, const char *rows, size_t len, uint64_t nrows, uint32_t ncols,
		     lead_run_next cont);
int lead_fkey_deleted(lead_run *r, lead_run_next cont);
void lead_fkey_begin_txn(lead_run *r);
void lead_fkey_free(lead_run *r);
/* ALTER TABLE ADD CONSTRAINT ... FOREIGN KEY (validated: 23503) / DROP
 * CONSTRAINT of one (plan_alter's fkey_add / fkey_drop). */
void lead_fkey_alter(lead_run *r);

/* A run that failed only because shards it wrote were split while its
 * writes waited (r->split_moved), outside a transaction block: plan its
 * statement against the new bounds and run it again in a new run that
 * answers the client, at most LEAD_REROUTES_MAX times.  1: done so (the
 * caller frees r without answering); 0: r answers its error (40001). */
int lead_session_reroute(lead_run *r);

/* lead_move.c: murphy.move_placement's SQLite function; after the leader's
 * SQLite ran a call that started moves, park the run until they are over
 * (1: parked, or finished already: do not touch r). */
void lead_move_register(lead_engine *e);
int lead_move_park(lead_run *r);

/* lead_signal.c: pg_cancel_backend / pg_terminate_backend's SQLite
 * functions (murphy_cancel_backend, murphy_terminate_backend); the signals
 * they queue are carried out on the next loop turn.  _close frees the
 * queue (engine teardown). */
typedef struct lead_signals lead_signals;
void lead_signal_register(lead_engine *e);
void lead_signal_close(lead_engine *e);

/* lead_explain.c: EXPLAIN ANALYZE of a multi-shard autocommit write: its
 * implicit transaction committed (lead_txn.c), say how. */
void lead_explain_committed(lead_run *r);

/* lead_run.c */
lead_run *lead_run_new(lead_session *s, const plan *p, pgw_done_cb done, void *arg);
/* A child run of parent for plan p (INSERT ... SELECT, EXPLAIN ANALYZE):
 * shares the parent's parameters; when it finishes, child_cb(parent,
 * child) runs and then the child is freed. */
lead_run *lead_run_child(lead_run *parent, const plan *p,
			 void (*child_cb)(lead_run *parent, lead_run *child));
/* Start executing r->p (dispatch on plan kind). */
void lead_run_start(lead_run *r);
void lead_run_fail(lead_run *r, const mur_error *err);
/* Send a task to one node; slot bookkeeping; errors mark the run failed. */
int lead_run_send(lead_run *r, uint32_t node_id, uint32_t shard, int primary, exec_task *t);
/* lead_txn.c: a statement (plan p; NULL: a COPY FROM) ended in the
 * session: a failure moves an ACTIVE block to FAILED. */
void lead_session_ran(lead_session *s, const plan *p, int failed, uint64_t changes);
/* Finish: call done() with r->res (or an error result) and free the run. */
void lead_run_finish(lead_run *r);
/* Stop waiting for the run's follower tasks: each pending one counts as
 * failed with err (its result, when it comes, is dropped; a QUERY's
 * follower gets a QUERY_CANCEL that stops its SQLite query), the run fails
 * with err, on_task_failed runs (what it sends is not waited for either),
 * then the continuation.  For reads only: a write task abandoned still
 * happens. */
void lead_run_abandon(lead_run *r, const mur_error *err);
/* Called after all tasks sent: if none pending, continue immediately. */
void lead_run_wait(lead_run *r, lead_run_next next);
int lead_bind_params(lead_run *r, int nvals, const char *const *values, const int32_t *lengths,
		     int nformats, const int16_t *formats);
/* An id unique across leader restarts: (wall ms << 20) + a counter kept in
 * *next (row ids, log entry ids, shuffle ids). */
uint64_t lead_time_id(uint64_t *next);

/* Statements parked by replication (replication/repl.h) until copies
 * report after a (re)start or (DROP TABLE) until the table's shards are
 * idle, for at most REPL_RECONCILE_WAIT_MS: 1 when r is parked (restarted
 * with lead_run_start).  lead_read_wait: a read of shard sh of t (key:
 * repl_read_gated's) waits for an undecided write (restarted with
 * lead_select_start): 2, or for copies to report: 1 (r's reservations
 * dropped); 0 to go on (r failed when it could not park). */
int lead_run_park(lead_run *r);
int lead_read_wait(lead_run *r, const cat_table *t, uint32_t sh, const mur_value *key);

/* lead_select.c */
void lead_select_start(lead_run *r);
/* Which shards a pruned or unpruned statement touches: returns count and
 * fills out (up to nshards). */
int lead_prune(lead_run *r, const cat_table *t, const plan_prune *pr, uint32_t *out);
/* Placement to read from: the primary if connected, else the first
 * connected replica; 0 when none. */
/* Does node hold a current copy of shard sh of t, with every entry a read
 * must see? (lead_select.c) */
int lead_current_on(lead_engine *e, const cat_table *t, uint32_t sh, uint32_t node);
uint32_t lead_read_node(lead_engine *e, const cat_shard *s);
/* The follower that reads shard `shard` of the run's SELECT (all its
 * co-located tables current there); 0 when none. */
uint32_t lead_select_node(lead_run *r, uint32_t shard);
/* lead_stale.c.  The level r's SELECT reads at: the session's, but strong
 * inside a transaction block and for a child read (INSERT … SELECT). */
lead_read_level lead_stale_level(lead_run *r);
/* lead_load.c.  e->tr becomes a wrapper of tr (kept as e->net) that
 * counts every task's work per copy in e->copy_load. */
void lead_load_wrap(lead_engine *e, const lead_transport *tr);
/* Forget the load of copies idle for 5 min or of tables gone (1 s tick). */
void lead_load_tick(lead_engine *e);
/* The rebalancer's shard loads come from e->copy_load (repl_set_shard_load). */
void lead_load_attach(lead_engine *e);
/* The copy a strong read of shard `shard` of t goes to: while the shard is
 * quiet (repl_read_spreads), any copy at the committed entry, the fastest
 * and least loaded, taking turns among equals (the machinery of bounded
 * reads: lead_node_load); otherwise, or when none, lead_read_node's. */
uint32_t lead_strong_node(lead_engine *e, const cat_table *t, uint32_t shard);
/* The copy to read shard `shard` of t from at level: lead_strong_node's; when
 * it has none, at bounded the freshest reachable copy within
 * murphy.max_staleness, at available the freshest reachable one (noted in
 * r->stale when behind); 0 when none.  *bound: the newest entry such a stale
 * copy may read (exec_task.lsn), 0 for a current copy (no bound). */
uint32_t lead_stale_node(lead_run *r, const cat_table *t, uint32_t shard, lead_read_level level,
			 uint64_t *bound);
/* lead_stale_node for a co-located join's shard `shard` (after the gate, no
 * follower holding current copies of every table's shard): the follower
 * whose copies of all of them are within the level and least behind in
 * all, bounds[i] tables[i]'s bound (exec_task.lsn, attached_bound), each
 * stale one noted; 0 when none (or strong). */
uint32_t lead_stale_coloc_node(lead_run *r, const plan_select *ps, uint32_t shard,
			       lead_read_level level, uint64_t *bounds);
/* A SELECT of one table at bounded or available that need not wait for
 * undecided writes: when every shard it reads (n of them) has a copy
 * within the level (bounded: within murphy.max_staleness and as new as
 * the session read; available: current) that holds no undecided entry as
 * far as the leader knows, send each shard's read to the fastest, least
 * loaded such copy with the newest entry it may see (repl_read_bound) and
 * return 1: the answers are checked and merged (a copy past the bound
 * refuses; then the SELECT starts over: without the gate again up to
 * LEAD_READ_NOW_TRIES times in all, then as strong).  0: none sent, read
 * as strong does. */
int lead_stale_now(lead_run *r, const plan_select *ps, const uint32_t *shards, int n);
/* The pieces of lead_stale_now that joins and shuffles use.  begin: 1 when
 * r reads at bounded or available and has a try left without the gate
 * (it is counted, and r->stale cleared); node: the copy of shard `shard`
 * of t such a read goes to, with *bound (0: none within the level;
 * settled: none that was sent an undecided entry either, which would
 * refuse: a shuffle's refusal starts every shard's read over);
 * answered: the continuation once every task answered (the answers of the
 * slots with a table checked; merged, or the SELECT started over). */
int lead_stale_now_begin(lead_run *r);
uint32_t lead_stale_now_node(lead_run *r, const cat_table *t, uint32_t shard, int settled,
			     uint64_t *bound);
void lead_stale_now_answered(lead_run *r);
/* A shuffle's owners (n of them) at r's level: at bounded and available,
 * only those measured lately as fast as the fastest (the copy choice's
 * measure: a follower behind a slow link would hold the whole read up; one
 * not read lately is unknown, not fast), all when none was measured
 * lately; all at strong.  Returns how many are kept, in place (at least
 * one when n > 0). */
int lead_stale_owners(lead_run *r, uint32_t *owners, int n);
/* EXPLAIN ANALYZE of a SELECT at bounded or available: how it read, as
 * "Read: bounded, without waiting for undecided writes (1 answer refused
 * by a copy past the committed entry, read again)"; 0 for strong. */
int lead_stale_how(lead_run *r, char *out, size_t outsz);
/* A scan task went to node (lead_run_send) / came back after rtt_us, or
 * was abandoned (rtt_us 0: no answer time). */
void lead_load_sent(lead_engine *e, uint32_t node);
void lead_load_done(lead_engine *e, uint32_t node, uint64_t rtt_us);
/* Drop r's task results (all answered) to send its tasks again. */
void lead_run_reset_tasks(lead_run *r);
/* At available with murphy.allow_partial_results on: note shard `shard`
 * of t (no reachable copy) as skipped in r->stale and return 1; 0 (not
 * skipped) otherwise. */
int lead_stale_skip(lead_run *r, const cat_table *t, uint32_t shard, lead_read_level level);
/* The i-th stale shard of r's SELECT as "shard 2 of accounts from f2, 1
 * entry, 3.2 s behind" (EXPLAIN ANALYZE); 0 past the last one shown. */
int lead_stale_line(const lead_run *r, int i, char *out, size_t outsz);
/* After a SELECT: set murphy.last_read_staleness, and add the WARNING
 * naming its stale shards to r->res. */
void lead_stale_report(lead_run *r);
/* SET of a setting lead_stale.c owns: MUR_OK, or 55P02 for the read-only
 * murphy.last_read_staleness. */
int lead_stale_set_check(const plan_set *ps, mur_error *err);
/* The QUERY task for that shard. */
void lead_select_fill_task(lead_run *r, uint32_t shard, exec_task *t);
/* The shard of plan table i that the task for shard `shard` of tables[0]
 * reads: the same index, or 0 for a reference table (one shard). */
uint32_t lead_shard_of(const plan_select *ps, int i, uint32_t shard);
/* After the rows are merged into r->rows: final SQL, format, finish. */
void lead_select_finish(lead_run *r);
/* Continuation once every shard (or owner) has answered: merge the data
 * slots' rows (final aggregate) into r->rows, then lead_select_finish. */
void lead_select_merge(lead_run *r);

/* lead_reread.c: a SELECT's shard read whose copy was lost (08006) or, sent
 * with a bound after the gate, refused, is read again from another copy. */
/* Mark r's last task sent as a read that may go again (outside a block). */
void lead_reread_mark(lead_run *r);
/* Every task answered: when one was lost (or, with refusals, refused: a
 * stale copy's bound after the gate; reads that do not wait count their
 * refusals themselves), start the SELECT over (1) or fail it past the
 * limits (0, r failed); 0 when none was. */
int lead_reread(lead_run *r, int refusals);
/* The DETAIL of "no current copy of shard N of table T": its copies and
 * why, and the read lost before, if one was. */
void lead_reread_detail(lead_run *r, const cat_table *t, uint32_t shard, mur_error *err);
/* EXPLAIN ANALYZE's "Read again: …" line into out; 0 when r read no shard
 * again. */
int lead_reread_line(const lead_run *r, char *out, size_t outsz);

/* lead_shuffle.c: repartition instead of gather (docs/shuffle.md) */
/* 1 when a run (in r's session) of SELECT ps over n shards should
 * repartition. */
int lead_shuffle_chosen(lead_run *r, const plan_select *ps, int nshards);
void lead_shuffle_start(lead_run *r, const uint32_t *shards, int n);
/* Start a repartition of r's SELECT reading shards[i] on nodes[i] with
 * bounds[i] (exec_task.lsn, 0: none), then next once every task answered
 * (lead_shuffle_merge, or lead_stale_now_answered). */
void lead_shuffle_start_on(lead_run *r, const uint32_t *shards, int n, const uint32_t *nodes,
			   const uint64_t *bounds, lead_run_next next);
/* Continuation of a repartition: a task lost or refused starts the SELECT
 * over (lead_reread); else the owners' rows merged, then finish. */
void lead_shuffle_merge(lead_run *r);
void lead_shuffle_free(lead_run *r);
/* The followers that can own parts now (alive, connected), in id order. */
int lead_shuffle_owners(lead_engine *e, uint32_t *owners);
/* Start r's shuffle toward these owners (r->shuffle; cancels on failure);
 * NULL (r failed) when out of memory. */
lead_shuffle *lead_shuffle_new(lead_run *r, const uint32_t *owners, int nowners, const char *what);
/* Send a SEND task of r's shuffle reading shard `shard` of table tb with
 * bound (exec_task.lsn; 0: none): a stats-only slot, read again when its
 * copy is lost (lead_reread_mark). */
int lead_shuffle_send(lead_run *r, uint32_t node, const cat_table *tb, uint32_t shard,
		      uint64_t bound, exec_task *t);
/* After sending: if r failed on the way, cancel the owners' RECVs. */
void lead_shuffle_abort_if_failed(lead_run *r);
/* lead_join.c: a join of tables that are not co-located (plan.h join_*) */
void lead_join_start(lead_run *r);
/* 1 when a run of ps in r's session broadcasts (else repartitions). */
int lead_join_broadcast_chosen(lead_run *r, const plan_select *ps);
/* EXPLAIN ANALYZE lines for a run that repartitioned (links, stages). */
void lead_shuffle_explain(lead_run *run, pgw_result *res);
/* Rows and bytes a repartitioned run moved: follower to follower over the
 * network (and kept local), and owners into the leader. */
typedef struct lead_shuffle_totals {
	uint64_t moved_rows, moved_bytes, local_bytes, leader_rows, leader_bytes;
} lead_shuffle_totals;
void lead_shuffle_totals_of(const lead_run *r, lead_shuffle_totals *out);

/* lead_stats.c: murphy.query_stats (shown by lead_views.c) */
void lead_stats_record(lead_run *r);

/* lead_values.c: when sql is a VALUES of parameters and NULLs only
 * ("VALUES (?1, ?2, NULL)"), its rows appended to out as lead_local_query
 * would give them, *nrows and *ncols set: 1; else 0, out as it was. */
int lead_values_direct(const char *sql, const mur_value *params, int nparams, mur_buf *out,
		       uint64_t *nrows, uint32_t *ncols);

/* lead_local.c: the leader's in-memory SQLite */
int lead_local_open(lead_engine *e, mur_error *err);
/* murphy_transaction_outcomes on e->mem: a virtual table over the catalog's
 * recorded outcomes (lead_outcomes_vt.c). */
int lead_outcomes_vt_register(lead_engine *e);
/* ms since the epoch as the murphy.* views print timestamps (UTC). */
void lead_view_ts_text(int64_t ms, char *out, size_t n);
/* Run sql with params over optional input rows (table r(c0..)); append
 * result rows to out.  *ncols_out gets the column count. */
int lead_local_query(lead_engine *e, const char *sql, const mur_value *params, int nparams,
		     const mur_buf *in_rows, uint64_t in_nrows, uint32_t in_ncols, mur_buf *out,
		     uint64_t *nrows_out, uint32_t *ncols_out, mur_error *err);
int lead_local_fail(lead_engine *e, int rc, mur_error *err); /* SQLite error → err */
void lead_local_close(lead_engine *e); /* the kept statements finalized, mem closed */
/* (Re)create table `table`(c0..c{ncols-1}) in the leader's SQLite (no
 * affinity: values keep their class) holding rows (mur_row encoding). */
int lead_local_load(lead_engine *e, const char *table, const mur_buf *rows, uint64_t nrows,
		    uint32_t ncols, mur_error *err);

/* lead_subq.c: a statement's subqueries (plan_sub), run once before it.
 * lead_subq_wait: 1 when r waits for them (lead_run_start is called again
 * once they are in, their results bound to r's parameters), 0 when they
 * are done (or r has none).  lead_subq_load / _unload: the rows of the
 * subqueries in FROM, WITH queries and set operation branches as leader
 * tables, around a leader SQL that reads them. */
int lead_subq_wait(lead_run *r);
int lead_subq_load(lead_run *r, mur_error *err);
void lead_subq_unload(lead_run *r);
void lead_subq_free(lead_run *r);
/* lead_views.c: (re)build the murphy.* views sql reads (it names them
 * murphy_<name>) as tables of the leader's memory database. */
int lead_local_materialize_views(lead_engine *e, const char *sql, mur_error *err);
/* lead_outcome_ask.c: murphy.transaction_outcomes for a txid with no
 * recorded row.  lead_outcome_oneshard: fn(arg, …) with this leader's
 * memory of its end, or the copies' verdict once asked; else the txid is
 * noted for e->local_run and nothing is called.  lead_outcome_ask_start:
 * 1 when r noted txids and the copies are being asked (cont runs the
 * statement again), 0: go on.  lead_outcome_ask_free: run_free. */
typedef struct lead_outcome_ask lead_outcome_ask;
void lead_outcome_oneshard(lead_engine *e, uint64_t txid, cat_txn_outcome_fn fn, void *arg);
int lead_outcome_ask_start(lead_run *r, lead_run_next cont);
void lead_outcome_ask_free(lead_run *r);
/* pg_stat_activity's times of a session (lead_views.c): it connected, a
 * statement begins (op_execute), its answer went out (stmt_finished); the
 * clock catalog queries read (pgc_session_hooks.now_us): which 0 now(),
 * the transaction's start (its block's, else the statement's), 1 the
 * statement's start; 0 when no statement ran yet. */
void lead_activity_connected(lead_session *s);
void lead_activity_begin(lead_session *s);
void lead_activity_end(lead_session *s);
int64_t lead_activity_now_us(const lead_session *s, int which);
/* murphy.transactions' state of a transaction from its facts:
 *   active      open, not waiting          waiting   open, a write queued behind a lock
 *   preparing   COMMIT: entries at quorum, the decision not yet recorded (several shards)
 *   prepared    COMMIT: the decision recorded, or a one-shard marker being written
 *   committing  committed on some shards, the other markers in flight or resent
 *   committed   every marker holds (its locks are being released)
 *   aborting    ROLLBACK, an error, a lost client or a failed COMMIT: being undone */
const char *lead_txn_view_state(const repl_txn_info *ti);

/* lead_format.c: storage rows → DataRows using the plan's output types,
 * printed under s's TimeZone and bytea_output (s may be NULL: defaults) */
int lead_format_rows(lead_session *s, pgw_result *res, const plan *p, const mur_buf *rows,
		     uint64_t nrows, uint32_t ncols, mur_error *err);
/* lead_session.c: the session's TimeZone (never NULL) and output settings */
const mur_tz *lead_session_tz(lead_session *s);
void lead_session_outfmt(lead_session *s, mur_outfmt *out);
int lead_result_columns(pgw_result *res, const plan *p);
void lead_plan_columns(const plan *p, int *ncols, pgw_column **cols);

/* lead_write.c */
void lead_insert_start(lead_run *r);
void lead_modify_start(lead_run *r);
void lead_truncate_start(lead_run *r);
/* repl_write's callback for a shard part of run arg's write (counts its
 * changes and rows; the run goes on when the last part is decided). */
void lead_run_part_done(void *arg, repl_wop *op, int failed, const mur_error *err,
			const exec_result *primary);
/* A hidden row id for table t (no key) that hashes to `shard`, in *v:
 * fresh ids are drawn until one does (LEAD_ROWID_TRIES_MAX at most, then
 * MUR_ERR and err). */
int lead_rowid_for_shard(lead_engine *e, const cat_table *t, uint32_t shard, mur_value *v,
			 mur_error *err);
/* Coerce and check one row (t->ncols values in table order: NOT NULL,
 * varchar(n)), fill the hidden row id, and append its mur_row encoding to
 * out; *shard gets the shard its distribution value hashes to.  scratch is
 * reused per column.  parsed (NULL: none): parsed[i] set when vals[i] is
 * mur_value_from_pgtext_tz's answer for column i's own type (COPY's
 * fields), which a date or timestamp column keeps as it is: its text is
 * what coercing it would write (read again, the same text). */
int lead_encode_row(lead_engine *e, const cat_table *t, const mur_value *vals,
		    const uint8_t *parsed, mur_buf *scratch, mur_buf *out, uint32_t *shard,
		    mur_error *err);
/* Every placement of the given shards must be connected before a write
 * (fails the run with a clear error otherwise). */
int lead_check_writable(lead_run *r, const cat_table *t, const uint32_t *shards, int n);
/* Send rows (already routed to one shard) to every placement of it;
 * facts: the statement's (replication/repl.h), or NULL. */
int lead_send_shard_rows(lead_run *r, const cat_table *t, uint32_t shard, const char *sql,
			 const repl_write_facts *facts, const mur_buf *rows, uint64_t nrows,
			 uint32_t ncols);
/* The session's murphy.write_quorum (default majority). */
repl_quorum lead_session_quorum(lead_session *s);
/* The session's murphy.parallel_commits: 1 when on (repl_txn_set_parallel). */
int lead_session_parallel_commits(lead_session *s);
/* The session's murphy.replica_batch: 1 when on (repl_txn_set_batch). */
int lead_session_replica_batch(lead_session *s);

/* lead_ddl.c */
void lead_create_table_start(lead_run *r);
void lead_drop_table_start(lead_run *r);
void lead_index_start(lead_run *r);
/* ALTER TABLE changing the table's shape (PLAN_ALTER, sql/plan_alter.c). */
void lead_alter_start(lead_run *r);
/* Send a task of `kind` (sql: the DDL, or NULL) to every connected
 * placement of t, as tasks of r. */
void lead_ddl_send_all(lead_run *r, const cat_table *t, exec_task_kind kind, const char *sql);
/* t as r's session sees it (cat_table_visible_to its block), else NULL. */
const cat_table *lead_ddl_lookup(const lead_run *r, const char *schema, const char *name);

/* lead_ddltxn.c: DDL in a block, undone by its rollback (design there) */
/* 1 when r, DDL in a block that a rollback could not undo, was refused
 * (0A000; 54000 past LEAD_BLOCK_DDL_MAX) and finished; 0: go on. */
int lead_ddltxn_refused(lead_run *r);
/* r's DDL succeeded in a block (no-op outside one): remember it. */
void lead_ddltxn_record(lead_run *r, lead_ddl_kind kind, const cat_table *t, const char *index);
int lead_ddltxn_in_block(const lead_run *r);
/* CREATE / DROP SEQUENCE: the catalog's (lead_ddl.c). */
void lead_sequence_run(lead_run *r);
void lead_view_run(lead_run *r);
/* A RENAME's views (sql_view_texts) take their new texts (lead_ddl.c). */
void lead_views_renamed(lead_run *r, const sql_view_texts *vt);
void lead_schema_run(lead_run *r);
/* 1 (r failed, 25P02) when r's block ended while it ran: undo its DDL. */
int lead_ddltxn_check_block(lead_run *r);
/* DROP INDEX IF EXISTS main."name" (n >= 200: a '"' doubled). */
void lead_ddltxn_drop_index_sql(const char *name, char *out, size_t n);
/* Before COMMIT's decision: the block's tables survive a restart. */
void lead_ddltxn_commit_prepare(lead_session *s);
/* 1 when the block altered a table that existed before it: its COMMIT is
 * a recorded decision (the catalog's shape follows it across a restart). */
int lead_ddltxn_altered_any(const lead_session *s);
/* CREATE INDEX on a table r's block altered succeeded (DDL entries of the
 * block): the catalog names it at COMMIT only (a rollback, also a leader's
 * restart, undoes the entries and finds nothing to forget); MUR_ERR out of
 * memory. */
int lead_ddltxn_record_index(lead_run *r, const cat_table *t, const cat_index *def);
/* 1 when r (CREATE INDEX) goes on t as DDL entries of its block: t is a
 * table the block altered. */
int lead_ddltxn_index_entries(const lead_run *r, const cat_table *t);
/* CREATE INDEX in a block on t, which existed before it: other sessions'
 * writes to t wait for the block's end (no-op otherwise). */
void lead_ddltxn_index_hold(lead_run *r, const cat_table *t);
/* p, a DROP TABLE / CREATE INDEX of s's block on a table that existed
 * before it: another open transaction holding a lock on one of its shards
 * (any, for DROP TABLE; exclusive, for CREATE INDEX), which p waits for
 * before it runs, as behind PostgreSQL's table lock; 0: none (or another
 * kind of statement, or outside a block). */
uint64_t lead_ddltxn_lock_holder(lead_session *s, const plan *p);
/* PostgreSQL's lock queue: the block of another session whose DROP TABLE
 * / CREATE INDEX waits (s->ddl_queued) on a table p writes, which p must
 * queue behind when s holds no lock and no DDL hold yet; 0: none. */
uint64_t lead_ddltxn_queued_ahead(lead_session *s, const plan *p);
/* s's DDL is out of that queue: it ran, or its wait failed. */
void lead_ddltxn_unqueue(lead_session *s);
/* 1 while block txid's DDL statement is in that queue: it waits, or runs
 * and has not taken its hold yet. */
int lead_ddltxn_queued(const lead_engine *e, uint64_t txid);
/* After a COPY's own plan with the catalog viewed by s (cat_set_viewer):
 * rc, or 55P03 (MUR_ERR, *p freed) when it names a table another open
 * block altered (cat_viewer_blocked_by) — a statement waits for such a
 * block before it runs (lead_session.c, execute_or_wait), so only a block
 * that altered it in between is met here. */
int lead_shape_blocked(lead_session *s, int rc, plan **p, mur_error *err);
/* The open block (another session's) whose end p, planned with the
 * catalog viewed (cat_set_viewer), must wait for: one that altered or
 * dropped a table p names, or built an index on a table p writes; 0:
 * none. */
uint64_t lead_ddltxn_blocked_by(const catalog *c, const plan *p);
/* ALTER TABLE of a table that existed before r's block (in a block):
 * existing 1, else 0.  altered: the ALTER of such a table succeeded on
 * the shards (or changed the catalog only): the block sees def from now
 * on, others the old shape until COMMIT; MUR_ERR with err. */
int lead_ddltxn_alters_existing(const lead_run *r);
int lead_ddltxn_altered(lead_run *r, const cat_table *t, const cat_table *def, mur_error *err);
/* After the block's end (committed or not), or the undo of ROLLBACK TO a
 * savepoint taken at `mark` records: finish or undo its DDL, then done. */
void lead_ddltxn_end(lead_session *s, int committed, void (*done)(void *), void *arg);
void lead_ddltxn_rollback_to(lead_session *s, int mark, void (*done)(void *), void *arg);

/* lead_copy.c */
/* Start COPY FROM STDIN for plan p (ownership of p passes to the COPY);
 * fills res as the COPY_IN answer.  Error: p still the caller's. */
int lead_copy_start(lead_session *s, plan *p, pgw_result *res, mur_error *err);
int lead_copy_data(lead_session *s, const char *data, size_t len);
void lead_copy_done(lead_session *s, int failed, const char *msg, pgw_done_cb done, void *arg);
void lead_copy_abort(lead_session *s);

/* lead_copyto.c: COPY ... TO STDOUT for plan p (owned from now on, also
 * on error), as PGW_RESULT_COPY_OUT results; copy_out_next goes on. */
void lead_copyto_start(lead_session *s, plan *p, const char *sql, pgw_done_cb done, void *arg);
void lead_copyto_next(void *esess, int stop, pgw_done_cb done, void *arg);
void lead_copyto_abort(lead_session *s);
/* lead_stream.c: a portal reads a plain scan a batch at a time, the
 * leader holding one batch (its DataRows and the follower's frame)
 * whatever the table's size.  A batch is sized by the rows' width seen so
 * far to about LEAD_STREAM_BATCH_BYTES of encoded rows, between _MIN and
 * _MAX rows (the first: _FIRST): wide rows keep the leader's memory
 * bounded in bytes, narrow ones cost fewer task round trips
 * (docs/decisions.md: measured). */
#define LEAD_STREAM_BATCH_BYTES ((uint64_t)1 << 20)
#define LEAD_STREAM_BATCH_FIRST 256
#define LEAD_STREAM_BATCH_MIN 16
#define LEAD_STREAM_BATCH_MAX 20000
/* 1 when p may be read in batches (sql/plan_batch.c planned it so). */
int lead_stream_wanted(const plan *p);
/* Make first (bound, not started) the first batch of a stream of its
 * statement (text sql): MUR_OK, then start first as usual — its answer
 * is the batch's rows with pgw_result.stream set while more follow;
 * MUR_ERR (the plan cannot stream) or MUR_ENOMEM: first is unchanged. */
int lead_stream_start(lead_run *first, const char *sql);
/* pgw_engine_ops.portal_next and portal_close. */
void lead_stream_next(void *esess, void *stream, pgw_done_cb done, void *arg);
void lead_stream_close(void *esess, void *stream);
/* The task SQL of r's batch of shard (r->stream set). */
const char *lead_stream_task_sql(const lead_run *r, uint32_t shard);
/* Of shards[0..n), those r's batch reads (a sorted stream's wanted
 * shards), kept in place; their count. */
int lead_stream_shards(const lead_run *r, uint32_t *shards, int n);
/* r's batch answered (r->rows): remember its last key for the next one. */
int lead_stream_rows(lead_run *r, mur_error *err);
/* A cursor over a shuffled join whose owners keep it (plan batch_owner):
 * _fetching: r reads their next batches (SHUFFLE_FETCH, _fetch sends them
 * and waits), not the join; _batch_rows: the rows each owner answers. */
int lead_stream_fetching(const lead_run *r);
void lead_stream_fetch(lead_run *r);
uint32_t lead_stream_batch_rows(const lead_run *r);

/* lead_cancel.c: cancel a statement (design at the top of the file) */
/* End run r early with err (57014, or a lock wait's 55P03 / 40P01): see
 * the top of lead_cancel.c for what stops and what cannot.  A run whose
 * on_cancel is set is handed to it.  At most once per run. */
void lead_run_cancel(lead_run *r, const mur_error *err);
/* Cancel every run of the session's statement in progress (none: nothing;
 * still being parsed: its run fails at start). */
void lead_session_cancel(lead_session *s, const mur_error *err);
/* pgw_engine_ops.cancel: a CancelRequest for the session. */
void lead_session_cancel_request(void *esess);
/* A statement starts: wrap its done() (*done, *arg replaced) so the
 * session knows it is in progress, and arm statement_timeout. */
void lead_stmt_begin(lead_session *s, pgw_done_cb *done, void **arg);
/* The session closes: release the timer. */
void lead_stmt_close(lead_session *s);
/* repl_config.wake_at (ctx: the engine): arm the engine's lock timer to
 * call repl_lock_due at due_us, unless it fires sooner already.  Without
 * a loop (unit tests) nothing is armed: the tick looks. */
void lead_lock_wake_at(void *ctx, uint64_t due_us);
/* Close the lock timer (lead_engine_destroy). */
void lead_lock_timer_close(lead_engine *e);

/* lead_decide.c: the decisions of the multi-shard commits of one loop
 * turn, made durable with one fdatasync of the decision log after that
 * turn's I/O callbacks (repl_decide_fn).  create opens the catalog's
 * decision writer (NULL + err when it cannot); destroy closes its handles
 * (after uv_run returned). */
typedef struct lead_decider lead_decider;
lead_decider *lead_decider_create(uv_loop_t *loop, catalog *cat, int fault_points, mur_error *err);
void lead_decider_destroy(lead_decider *d);
int lead_decide(void *ctx, const cat_decision *dec, repl_decided_cb done, void *arg,
		mur_error *err);
/* Check and normalize a value of a time setting in ms (statement_timeout):
 * out gets it as SHOW prints it ("2s", "1500ms", "0").  MUR_OK, or 22023. */
int lead_setting_ms_check(const char *name, const char *value, char *out, size_t outsz,
			  mur_error *err);
/* A time setting's stored text (v, NULL: unset) in ms (0: off). */
uint64_t lead_setting_text_ms(const char *name, const char *v);
/* 1 when name is a time setting lead_setting_ms_check knows. */
int lead_setting_is_ms(const char *name);

/* lead_idle.c: clients that stop talking (idle in a block, lost) */
/* The leader's default of a client setting (idle_in_transaction_session_
 * timeout, tcp_keepalives_*), as SHOW prints it; NULL for other names. */
const char *lead_client_default(const lead_engine *e, const char *name);
/* 1 when name is a tcp_keepalives_* setting (lead_client_setting_set). */
int lead_client_setting(const char *name);
/* SET / RESET of a tcp_keepalives_* setting: checked, stored, and applied
 * to the session's connection.  MUR_OK, or 22023 with err. */
int lead_client_setting_set(lead_session *s, const plan_set *ps, mur_error *err);
/* Apply the session's tcp_keepalives_* to its connection (after a SET, or
 * after a block's end or ROLLBACK TO brought older values back). */
void lead_client_settings_apply(lead_session *s);
/* pgw_engine_ops.idle_in_txn_timeout_ms. */
uint64_t lead_idle_timeout_ms(void *esess);
/* pgw_engine_ops.idle_session_timeout_ms. */
uint64_t lead_idle_session_timeout_ms(void *esess);

/* lead_explain.c */
void lead_explain_start(lead_run *r);

/* lead_analyze.c: ANALYZE (PLAN_ANALYZE) */
void lead_analyze_start(lead_run *r);

/* lead_txn.c: the session's transaction (diagram at the top) */
int lead_txn_transition_allowed(lead_txn_state from, lead_txn_state to);
const char *lead_txn_state_name(lead_txn_state st);
/* pgwire's ReadyForQuery status: 'I', 'T' or 'E'. */
char lead_txn_status(const lead_session *s);
/* A statement failed (pgwire's statement_failed, or a run). */
void lead_txn_statement_failed(lead_session *s);
/* txid_current() for e->local_session: its block's id, else a new id. */
uint64_t lead_txn_current_id(lead_engine *e);
/* BEGIN, COMMIT, ROLLBACK: each finishes r (COMMIT and ROLLBACK once the
 * transaction has ended: after the undo). */
void lead_txn_begin(lead_run *r);
void lead_txn_commit(lead_run *r);
void lead_txn_rollback(lead_run *r);
/* SAVEPOINT, RELEASE, ROLLBACK TO: each finishes r (ROLLBACK TO once the
 * shards written since the savepoint are undone). */
void lead_txn_savepoint(lead_run *r);
void lead_txn_release(lead_run *r);
void lead_txn_rollback_to(lead_run *r);
/* The client went away: an open block is aborted. */
void lead_txn_session_closed(lead_session *s);
/* pgw_engine_ops.query_begin / query_end: a multi-statement Query's
 * implicit block (lead_txn.c, top). */
void lead_txn_query_begin(void *esess);
void lead_txn_query_end(void *esess, int failed, pgw_done_cb done, void *arg);
/* A statement (plan p; NULL: not planned yet) starts: inside a
 * multi-statement Query with no block open, open its implicit block.
 * MUR_OK, or MUR_ERR with err (the block could not begin). */
int lead_txn_implicit_start(lead_session *s, const plan *p, mur_error *err);
/* A run starts: remember the session's block (a child run is given its
 * parent's by lead_run_child). */
void lead_txn_run_started(lead_run *r);
/* The transaction r reads in (its own writes pass the read gate): the
 * session's block when r started in it, r's implicit one, or NULL. */
repl_txn *lead_txn_of_run(const lead_run *r);
/* facts->txn: the transaction r's write over nshards shards belongs to:
 * the session's block, the run's implicit one (made here when nshards > 1
 * or one exists), or NULL (autocommit on one shard: its entry is its own
 * decision); its lock_timeout_ms, deadlock_timeout_ms: the session's.  MUR_ERR (r failed)
 * when the run's block has ended or out of memory. */
int lead_txn_for_write(lead_run *r, int nshards, repl_write_facts *facts);
/* 1 when the session's block runs at SERIALIZABLE (or REPEATABLE READ,
 * which it provides the same way): its reads lock the shards they read. */
int lead_txn_serializable(lead_session *s);
/* READ ONLY blocks: BEGIN / SET TRANSACTION's choice into the block's
 * transaction_read_only; whether s is in such a block; 25006 for a run of
 * a statement that writes in one (r finished, 1), else 0. */
void lead_txn_set_read_only(lead_session *s, const plan_set *ps);
int lead_txn_read_only(lead_session *s);
int lead_txn_write_refused(lead_run *r);
/* LOCK TABLE t IN ACCESS SHARE MODE (p, a PLAN_LOCK, outlives the run):
 * its read of every shard of t in the session's REPEATABLE READ or
 * SERIALIZABLE block, answered "LOCK TABLE"; 25P01 outside a block, 0A000
 * at READ COMMITTED (sql/plan_lock.c). */
void lead_txn_lock(lead_session *s, const plan *p, const char *sql, pgw_done_cb done, void *arg);
/* The session's lock_timeout and deadlock_timeout into facts (the waits
 * of its writes and row locks: repl_write_facts). */
void lead_txn_wait_facts(lead_session *s, repl_write_facts *facts);
/* lead_run_finish calls it first: when r has an implicit transaction, end
 * it (commit, or abort when r failed) and return 1: lead_run_finish is
 * called again once it ended. */
int lead_txn_end_implicit(lead_run *r);
/* A statement of the open block block_txid failed (why): undo the block's
 * writes since its innermost savepoint (or its start) on every copy and
 * release the locks taken since, then call then(arg); 1 when so, 0 when
 * there is nothing to do (not in an ACTIVE regular block: then is not
 * called).  The error is answered after then, as PostgreSQL's abort of
 * the (sub)transaction frees its locks before the client hears it. */
int lead_txn_undo_failed(lead_session *s, uint64_t block_txid, const mur_error *why,
			 void (*then)(void *arg), void *arg);
/* pgwire answered an error the session did not run (a Parse's): the
 * block FAILED, its undo started without waiting for it (a ROLLBACK TO
 * waits for it). */
void lead_txn_failed_unrun(lead_session *s);

/* lead_setscope.c: SET inside a block is transactional (as PostgreSQL) */
/* BEGIN (regular or implicit): remember the settings.  MUR_ERR: 53200. */
int lead_setscope_begin(lead_session *s, mur_error *err);
/* The block ended: committed keeps its SETs (SET LOCALs undone), else
 * the settings go back to BEGIN's. */
void lead_setscope_end(lead_session *s, int committed);
/* A SET of name (its value is the session's now) succeeded; old is the
 * value before it.  SET LOCAL lasts to the block's end; outside a block
 * it changes nothing (r gets PostgreSQL's WARNING). */
void lead_setscope_set(lead_run *r, const char *name, const char *old, int is_local);
/* SAVEPOINT: the settings now (NULL when out of memory). */
lead_settings_snap *lead_setscope_savepoint(lead_session *s);
/* ROLLBACK TO: the settings go back to the savepoint's. */
void lead_setscope_rollback_to(lead_session *s, const lead_settings_snap *sp);
void lead_setscope_free(lead_settings_snap *sp);
/* The reportable settings (ParameterStatus) at session start. */
void lead_setscope_reported_init(lead_session *s);
/* pgw_engine_ops.report_params: the reportable settings whose value
 * changed since the client was last told. */
void lead_setscope_report(void *esess, pgw_param_cb put, void *arg);

/* lead_session.c */
void lead_session_set(lead_session *s, const char *name, const char *value);
/* name's value in s: its SET, else its default (NULL: none); not memoized. */
const char *lead_session_lookup(lead_session *s, const char *name);

/* lead_setmemo.c: lead_session_lookup's answer, memoized per name until
 * the session's settings change; and a time setting of the session in ms
 * (0: off). */
const char *lead_session_get(lead_session *s, const char *name);
uint64_t lead_session_ms(lead_session *s, const char *name);
/* SET / RESET / set_config() of r's session: MUR_OK, or MUR_ERR with err
 * (42704 unknown name, 22023 bad value). */
int lead_session_apply_set(lead_run *r, const plan_set *ps, mur_error *err);
/* The i-th setting SET and SHOW know (pg_settings), NULL past the last. */
const char *lead_setting_name(int i);
/* Is it a setting fixed at build or cluster creation (SET: 55P02)? */
int lead_setting_internal(const char *name);
/* The session's settings that change plans (sql_prepare). */
void lead_session_sql_options(lead_session *s, sql_options *out);
void lead_utility_start(lead_run *r);
/* lead_portal.c: DECLARE / FETCH / ... / EXECUTE answered for pgwire to do. */
void lead_portal_start(lead_run *r);
void lead_session_unref(lead_session *s);

#endif
