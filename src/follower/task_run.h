/*
 * task_run.h — run one shard task on a follower (synchronously).
 *
 * Called on a libuv worker thread by the follower for each TASK frame; the
 * result goes back as a RESULT frame.  Tasks on the same placement run one
 * at a time (the placement's lock); tasks on different placements run in
 * parallel.
 *
 *   QUERY  open placements[0] as main (it must exist), ATTACH
 *          placements[1..] as m1.. (they must exist; detached afterwards),
 *          bind params to ?1..?n, step the rows into res->rows, or through
 *          the hash aggregate when has_agg.
 *   WRITE  BEGIN IMMEDIATE; run sql once with params, or once per row of
 *          `rows` (row values bound to ?1..?ncols); collect RETURNING rows;
 *          COMMIT.  With `capture`: the row changes of the transaction
 *          (sqlite3session on "main", _murphy_* excluded) become shard-log
 *          entry lsn+1 with `entry_id` and `txn_id`, and res->blob gets the
 *          changeset; when nothing changed no entry is made.  Of entry_kind
 *          COMMIT (no SQL): the entry is txn_id's commit marker, empty
 *          changeset, always made.  res->lsn / entry_id: the
 *          placement's position after the write (a write without capture
 *          does not move it).  Any error rolls everything back: no rows, no
 *          changes, no entry.
 *   DDL    create the placement file if needed; run sql (several statements
 *          allowed) in one transaction.  The LSN does not move (schema is
 *          not in the log); res->lsn reports it.
 *   DROP   close and delete every placement file named (and -wal/-shm).
 *   APPLY  stor_log_apply(lsn, entry_id, txn_id, entry_kind, blob) on
 *          placements[0]: 55000 when
 *          the placement is not at lsn-1 (idempotent when it already holds
 *          that entry), or on any changeset conflict.  res->lsn/entry_id:
 *          the position afterwards.
 *   UNDO   stor_log_undo(lsn) on placements[0]; 55000 when entries needed
 *          were trimmed (the leader rebuilds the placement then).
 *   STATUS rows (file TEXT, lsn INT, entry_id INT, first_log_lsn INT,
 *          open_txn_id INT, open_txn_lsn INT) of every placement file of
 *          the directory (placements ignored; stor_status).
 *
 * Parameters beyond those the SQL uses are ignored (a plan binds the same
 * list to every SQL string it holds).  Result rows are bounded by
 * EXEC_RESULT_ROWS_BYTES_MAX (54000 past it).
 */
#ifndef FOLLOWER_TASK_RUN_H
#define FOLLOWER_TASK_RUN_H

#include "wire/task.h"
#include "storage/storage.h"

#include <sqlite3.h>

#include <stdatomic.h>

#include <stddef.h>

/* Run t against the placements in dir.  res must be initialized
 * (exec_result_init) and empty; it is filled in either way: task_id,
 * elapsed_us, and on success ncols/nrows/rows/changes/lsn, on failure
 * failed = 1 and err.  Returns MUR_OK, or MUR_ERR when res->failed.  The
 * caller frees res (exec_result_free). */
int exec_task_run(stor_dir *dir, const exec_task *t, exec_result *res);

/* exec_task_run that also tells when a QUERY's view of its main placement
 * is fixed: *locked is set to 1 (release order) once it holds that
 * placement's lock, which every write to it needs; not set when the task
 * fails before that, or is not a QUERY.  The follower holds later writes
 * of that placement until then (docs/replication.md, "Reads in arrival
 * order").  cancel (may be NULL): another thread sets it to 1 to stop a
 * QUERY; SQLite checks it every RUN_CANCEL_CHECK_OPS virtual machine
 * steps and the task fails with 57014. */
int exec_task_run_ordered(stor_dir *dir, const exec_task *t, exec_result *res, atomic_int *locked,
			  const atomic_int *cancel);

/* Same, with another bound on result bytes (tests, smaller frames). */
int exec_task_run_bounded(stor_dir *dir, const exec_task *t, exec_result *res,
			  size_t rows_bytes_max);

/* Run t only if its placement is free right now, on the caller's thread:
 * a quick QUERY (task->quick: a point lookup, on the follower's event
 * loop), a WRITE or an APPLY (a write batch must not wait behind a long
 * query).  MUR_EAGAIN (res untouched): another kind, or the placement is
 * busy — use exec_task_run on the thread pool.  Otherwise as
 * exec_task_run. */
int exec_task_run_try(stor_dir *dir, const exec_task *t, exec_result *res);

/* A write batch's placements whose SQLite transaction stays open from
 * one of its WRITEs / APPLYs to the next (storage.h, stor_batch_begin):
 * their locks and references are held until exec_wtxns_end.  Zero it
 * before the batch. */
#define EXEC_WTXNS_MAX 32 /* more placements in a batch: the rest commit one by one */
typedef struct exec_wtxns {
	int n;
	stor_db *db[EXEC_WTXNS_MAX];
} exec_wtxns;

/* exec_task_run_try for a write batch (follower/write_batch.c): a WRITE
 * or APPLY joins x's open transaction on its placement, or opens one
 * there (when x has room), so that its commit waits for exec_wtxns_end;
 * its answer must too.  res->cpu_us is left 0: the caller runs several
 * tasks back to back on its thread, reads the thread's CPU time once
 * around all of them and shares it out, instead of the two system calls
 * per task that exec_task_run_try pays. */
int exec_task_run_in(stor_dir *dir, exec_wtxns *x, const exec_task *t, exec_result *res);

/* Commit each of x's transactions and release its placement; for each
 * whose COMMIT failed (or that SQLite rolled back meanwhile) every write
 * of that placement run through x is undone: failed(arg, file, err) then
 * says so (exec_result_undone each of them).  x is empty afterwards. */
void exec_wtxns_end(stor_dir *dir, exec_wtxns *x,
		    void (*failed)(void *arg, const char *file, const mur_error *err), void *arg);

/* A result that succeeded, of a write since undone: failed with err, as
 * a failed task's (no rows, no changes, no position). */
void exec_result_undone(exec_result *res, const mur_error *err);

/* Run t->sql (with t->params, through t->agg when has_agg) over db, a
 * database the caller made (the owner of a repartitioned join: its
 * in-memory tables).  Same result contract as exec_task_run. */
int exec_task_run_on(sqlite3 *db, const exec_task *t, exec_result *res);

/* Record a task's leader epoch as seen (call on receipt, in arrival
 * order); write tasks older than the newest seen are refused. */
void exec_fence_observe(uint64_t epoch);

#endif
