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
 *          bump the LSN; COMMIT.  Any error rolls everything back: no rows,
 *          no changes, LSN unchanged.
 *   DDL    create the placement file if needed; run sql (several statements
 *          allowed) and bump the LSN in one transaction.
 *   DROP   close and delete every placement file named (and -wal/-shm).
 *
 * Parameters beyond those the SQL uses are ignored (a plan binds the same
 * list to every SQL string it holds).  Result rows are bounded by
 * EXEC_RESULT_ROWS_BYTES_MAX (54000 past it).
 */
#ifndef EXEC_TASK_RUN_H
#define EXEC_TASK_RUN_H

#include "exec/task.h"
#include "storage/storage.h"

#include <stddef.h>

/* Run t against the placements in dir.  res must be initialized
 * (exec_result_init) and empty; it is filled in either way: task_id,
 * elapsed_us, and on success ncols/nrows/rows/changes/lsn, on failure
 * failed = 1 and err.  Returns MUR_OK, or MUR_ERR when res->failed.  The
 * caller frees res (exec_result_free). */
int exec_task_run(stor_dir *dir, const exec_task *t, exec_result *res);

/* Same, with another bound on result bytes (tests, smaller frames). */
int exec_task_run_bounded(stor_dir *dir, const exec_task *t, exec_result *res,
			  size_t rows_bytes_max);

#endif
