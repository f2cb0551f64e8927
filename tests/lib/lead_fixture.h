/*
 * lead_fixture.h — a deterministic fixture for the leader engine, in the
 * manner of canonical/raft's: no processes, no sockets, no sleeps.
 *
 * What is real: the leader engine (leader/lead.h) over a real catalog
 * stored in a temp dir, driven through its public API as the leader
 * process drives it — lead_engine_ops as pgwire calls it (a session, one
 * statement per lf_query: prepare, execute, stmt_free), lead_engine_tick
 * (with cat_flush_lsns, as the leader's 1 s timer) and
 * lead_engine_node_changed (as the cluster layer calls it).
 *
 * What is fake:
 *   transport  a lead_transport that records every task sent (node, kind,
 *              placement file, LSN, entry id, capture, txn id and entry
 *              kind, rows, peer) and
 *              answers none by itself: the test answers them one by one,
 *              in any order (lf_reply), lets a follower apply a task
 *              whose answer is then lost or held (lf_deliver, then
 *              lf_fail or lf_reply), or fails them (lf_fail: not applied).
 *              Sending to a node that is not connected fails at once
 *              (08006), as clu_send_task does.
 *   followers  each follower holds, per placement file, a log of entries
 *              (lsn 1..n, entry id, txn id and kind, the rows it inserted).
 *              A task is applied to it as src/follower/task_run.c would, in
 *              terms of LSNs and entry ids: WRITE (refused with 55000 and
 *              the copy's lsn when it carries an LSN that is not just above
 *              the copy's; else appends an entry: changes = its rows, or 1
 *              for a statement without rows, and a changeset the APPLY of
 *              the replicas carries back; of kind COMMIT: txn_id's marker,
 *              no rows, changes 0, empty changeset), APPLY (must be lsn +
 *              1), both refused with 25000 (EXEC_SQLSTATE_TXN_ORDER) when
 *              a transaction is open and the entry is not one of its own
 *              (storage/replog.h), UNDO (truncate to lsn), STATUS (file,
 *              lsn, entry id, first log lsn, open txn id and its first lsn
 *              of every file, as storage/replog.h's stor_status), CATCHUP
 *              and REBUILD (copy entries, markers included, from the peer whose
 *              address the task names; a CATCHUP whose base entry
 *              differs from the peer's is refused with 55000), DDL, DROP.
 *              The fake log is never trimmed.  QUERY tasks are not
 *              modelled (they fail with 0A000).
 *   clock      mur_clock_set_source: both clocks start at fixed values and
 *              move only with lf_advance_ms, so LEAD_RECONCILE_WAIT_MS and
 *              LEAD_RECOVER_HEAR_ALL_MS are stepped, not slept.
 *   detector   none: the test says when a follower connects, goes away or
 *              is declared dead (lf_connect, lf_disconnect, lf_set_state),
 *              and the fixture tells the engine (lead_engine_node_changed).
 *
 * A crash of the leader (lf_restart) stops the engine with the tasks it
 * had out (the followers keep what they applied; a task not yet applied
 * is lost), and starts a fresh engine over the catalog as stored (the
 * placement LSNs as last flushed by lf_tick), as a restarted leader
 * process would.  Followers are then disconnected until lf_connect.  The
 * old engine is told its tasks failed (08006, as when a leader stops) so
 * that it frees what it holds; it can send nothing more and writes nothing
 * to the catalog's store.
 *
 * The engine's own view (the committed entry, each copy's state) is read
 * only through lf_committed_* and lf_copy_state, in lead_fixture.c.  The
 * catalog lives on /dev/shm when there is one (no fsync cost).  A misuse
 * (answering a task twice, an unknown node) aborts with a message.
 * LF_LOG=1 in the environment shows the engine's log.
 *
 * How a test drives it:
 *   lf_fixture *fx = lf_new(3);                 3 followers, connected
 *   lf_ok(fx, "CREATE TABLE t (id int PRIMARY KEY, v text) "
 *             "WITH (shards = 1, replicas = 3)");  runs and settles
 *   lf_query *q = lf_exec(fx, NULL, "INSERT INTO t VALUES (1, 'a')");
 *   lf_task *w = lf_find(fx, LF_ANY_NODE, EXEC_TASK_WRITE, 0);
 *   lf_reply(fx, w);  ...  assert(lf_done(q));
 *   lf_free(fx);
 * Tasks are numbered in the order sent (lf_task_at); each keeps its state.
 * One fixture at a time per process (the clock source is global).
 */
#ifndef LEAD_FIXTURE_H
#define LEAD_FIXTURE_H

#include "catalog/catalog.h"
#include "common/buf.h"
#include "leader/lead.h"
#include "wire/task.h"

#include <stdint.h>

#define LF_FOLLOWERS_MAX 8 /* followers one fixture runs (catalog allows more; tests need 3-5) */
#define LF_ANY_NODE 0      /* lf_find: a task to any node */

typedef struct lf_fixture lf_fixture;
typedef struct lf_query lf_query;

typedef enum lf_task_state {
	LF_TASK_PENDING = 0,   /* sent; the follower has not seen it */
	LF_TASK_DELIVERED = 1, /* the follower ran it (applied or refused); the answer is held */
	LF_TASK_ANSWERED = 2,  /* the engine got its answer (or a failure) */
	LF_TASK_LOST = 3,      /* the leader crashed with it outstanding */
} lf_task_state;

/* One task the engine sent, as recorded at send time (a copy: the
 * engine's exec_task does not outlive send()). */
typedef struct lf_task {
	uint64_t id;    /* the fixture's task id, 1, 2, ... (set in the task too) */
	int seq;        /* index in the fixture's list (lf_task_at) */
	int generation; /* which engine sent it: 0, then +1 per lf_restart */
	uint32_t node;
	exec_task_kind kind;
	char file[EXEC_PLACEMENT_NAME_MAX]; /* placements[0] */
	uint32_t table_id, shard;           /* parsed from file (0 when not a placement) */
	uint64_t lsn, entry_id;
	uint8_t capture;
	uint64_t txn_id;    /* WRITE / APPLY: the entry's transaction (0: autocommit) */
	uint8_t entry_kind; /* WRITE / APPLY: EXEC_ENTRY_* */
	uint64_t nrows;
	uint32_t ncols;
	mur_buf rows;  /* WRITE: the rows, mur_row encoding */
	mur_buf blob;  /* APPLY: the changeset */
	char peer[64]; /* CATCHUP / REBUILD: the source's address */
	char *sql;
	lf_task_state state;
	int applied;     /* the follower applied it (its answer succeeded) */
	exec_result res; /* DELIVERED: the answer held */
	lead_task_cb cb;
	void *arg;
} lf_task;

/* ---- setup ---- */

/* A fixture with nfollowers followers (f1..fN, ids in lf_node), all alive
 * and connected, their STATUS answered.  Aborts the test on failure. */
lf_fixture *lf_new(int nfollowers);
void lf_free(lf_fixture *fx);
lead_engine *lf_engine(lf_fixture *fx);
catalog *lf_catalog(lf_fixture *fx);
/* Node id of follower i (1-based: lf_node(fx, 1) is f1). */
uint32_t lf_node(lf_fixture *fx, int i);

/* ---- clients ---- */

/* Run one statement in a session (NULL: the fixture's default session;
 * lf_session opens more).  Returns at once; lf_done says whether the
 * engine answered.  Queries are freed with the fixture. */
lf_query *lf_exec(lf_fixture *fx, void *session, const char *sql);
void *lf_session(lf_fixture *fx);
/* The client of session goes away (pgwire's session_close); its running
 * statement, if any, still completes. */
void lf_session_close(lf_fixture *fx, void *session);
int lf_done(const lf_query *q);
/* "" when the statement succeeded, else its SQLSTATE ("?" while running). */
const char *lf_sqlstate(const lf_query *q);
const char *lf_tag(const lf_query *q);
const char *lf_message(const lf_query *q);
/* lf_exec, lf_settle, and check it succeeded; returns the query.  lf_ok_in:
 * in session (NULL: the default one). */
lf_query *lf_ok(lf_fixture *fx, const char *sql);
lf_query *lf_ok_in(lf_fixture *fx, void *session, const char *sql);

/* ---- tasks ---- */

int lf_ntasks(const lf_fixture *fx);
lf_task *lf_task_at(lf_fixture *fx, int i);
/* The first task at or after index `from` that is PENDING or DELIVERED,
 * sent to node (LF_ANY_NODE: any) of kind (0: any); NULL when none. */
lf_task *lf_find(lf_fixture *fx, uint32_t node, int kind, int from);
/* How many tasks are PENDING or DELIVERED (to node; LF_ANY_NODE: any). */
int lf_outstanding(lf_fixture *fx, uint32_t node);
/* Run task on follower node's fake copies now, as if sent (not recorded,
 * nothing told to the engine); res is initialized here.  For tests of the
 * fake itself (it must answer as src/follower/task_run.c). */
void lf_run_task(lf_fixture *fx, uint32_t node, const exec_task *task, exec_result *res);
/* The follower applies t; its answer is held until lf_reply / lf_fail. */
void lf_deliver(lf_fixture *fx, lf_task *t);
/* Deliver t if not yet, and give its answer to the engine. */
void lf_reply(lf_fixture *fx, lf_task *t);
/* Fail t with sqlstate: 08006 or 57014 say the answer was lost (what a
 * DELIVERED task then applied stays applied), 23505 a statement error. */
void lf_fail(lf_fixture *fx, lf_task *t, const char *sqlstate);
/* Answer outstanding tasks, oldest first, until none is left (except to
 * nodes that do not answer: lf_mute).  Returns how many were answered. */
int lf_settle(lf_fixture *fx);
/* A muted follower receives tasks (they stay PENDING) but lf_settle
 * skips them: a paused process. */
void lf_mute(lf_fixture *fx, uint32_t node, int muted);

/* ---- followers and time ---- */

/* The link to node comes up, the node is alive: the engine is told
 * (it sends STATUS). */
void lf_connect(lf_fixture *fx, uint32_t node);
/* The link closes: its tasks fail with 08006 (those DELIVERED stay
 * applied), then the engine is told. */
void lf_disconnect(lf_fixture *fx, uint32_t node);
/* The failure detector's verdict (CAT_NODE_SUSPECT, CAT_NODE_DEAD, ...). */
void lf_set_state(lf_fixture *fx, uint32_t node, cat_node_state st);
void lf_advance_ms(lf_fixture *fx, uint64_t ms);
/* The leader's 1 s timer: cat_flush_lsns, then lead_engine_tick. */
void lf_tick(lf_fixture *fx);
/* Crash the leader and start a fresh engine over the stored catalog (see
 * the file comment); a restart takes LF_RESTART_MS of the clock. */
#define LF_RESTART_MS 1000
void lf_restart(lf_fixture *fx);

/* ---- what the followers hold ---- */

/* The placement file of shard `shard` of table `name` ("t<id>_s<n>.db"). */
const char *lf_file(lf_fixture *fx, const char *table, uint32_t shard);
/* A copy's LSN (0 when node has no such file) and entry id at lsn
 * (0 when none). */
uint64_t lf_copy_lsn(lf_fixture *fx, uint32_t node, const char *file);
uint64_t lf_copy_entry(lf_fixture *fx, uint32_t node, const char *file, uint64_t lsn);
int lf_copy_exists(lf_fixture *fx, uint32_t node, const char *file);
/* 1 when one of the copy's entries inserted a row whose column col is the
 * integer v. */
int lf_copy_holds_int(lf_fixture *fx, uint32_t node, const char *file, uint32_t col, int64_t v);
/* Set a copy's log directly: lsn entries with ids ids[0..lsn-1] (no
 * rows, autocommit), as a follower would hold it; creates the file. */
void lf_copy_set(lf_fixture *fx, uint32_t node, const char *file, uint64_t lsn,
		 const uint64_t *ids);
/* Append one entry (no rows) of transaction txn_id (0: autocommit) and
 * kind (EXEC_ENTRY_*) to a copy's log directly, as lf_copy_set (no rule
 * checked: the test builds what a follower could hold); creates the
 * file. */
void lf_copy_append(lf_fixture *fx, uint32_t node, const char *file, uint64_t entry_id,
		    uint64_t txn_id, uint8_t kind);
/* The transaction of a copy's entry at lsn (0: autocommit, or no such
 * entry) and its kind (may be NULL). */
uint64_t lf_copy_entry_txn(lf_fixture *fx, uint32_t node, const char *file, uint64_t lsn,
			   uint8_t *kind);
/* The open transaction a copy's STATUS reports (0 when none) and the LSN
 * of its first entry (*lsn, may be NULL; 0 when none). */
uint64_t lf_copy_open_txn(lf_fixture *fx, uint32_t node, const char *file, uint64_t *lsn);

/* What the engine holds about shard `shard` of table: whether its
 * committed entry is known (0 after a restart until enough copies
 * reported), that entry's LSN and id, and the state it gives node's copy
 * (cat_placement_state; -1 when node has none).  Read here, in one place,
 * wherever the engine keeps them. */
int lf_committed_known(lf_fixture *fx, const char *table, uint32_t shard);
uint64_t lf_committed_lsn(lf_fixture *fx, const char *table, uint32_t shard);
uint64_t lf_committed_entry(lf_fixture *fx, const char *table, uint32_t shard);
int lf_copy_state(lf_fixture *fx, const char *table, uint32_t shard, uint32_t node);

#endif
