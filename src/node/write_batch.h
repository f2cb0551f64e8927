/*
 * write_batch.h — a follower's small writes, run on its loop thread in
 * batches with one fsync each (docs/replication.md, "Write batches").
 *
 * With the follower WAL on (storage/fwal.h), a small WRITE or APPLY costs
 * about 50 µs of SQLite work and its share of an fsync of 0.2–0.5 ms.
 * Handing each to a pool thread costs two thread wakeups, which on this
 * kind of virtual machine cost as much as the work.  So:
 *
 *   node_wbatch_add ──► queued ──(the loop's next turn: every frame read
 *                                 in this one is queued)──► RUN on the loop
 *                                 thread, one after another, each in its
 *                                 own transaction (exec_task_run_try)
 *                                   │                    │
 *                        placement locked          ran (or failed)
 *                                   ▼                    ▼
 *                       done(busy = 1) at once:    one fdatasync for all
 *                       the owner runs each        their WAL records
 *                       alone on the pool          (stor_fwal_defer_end),
 *                                                  then done(busy = 0):
 *                                                  the owner answers each,
 *                                                  in order
 *
 * Writes that arrive during a batch (and its fsync) wait in the socket and
 * form the next batch, so batches grow with the load, as PostgreSQL's WAL
 * flush does with concurrent commits.  An item that ran is not answered
 * before its record is durable; if the WAL fails, every item of the batch
 * that committed fails with 58030.  (Overlapping a batch with the previous
 * one's fsync on a pool thread was measured: no faster, more CPU.)
 */
#ifndef NODE_WRITE_BATCH_H
#define NODE_WRITE_BATCH_H

#include "exec/task.h"
#include "storage/storage.h"

#include <uv.h>

typedef struct node_wb_item {
	const exec_task *task;
	exec_result *res;
	int busy; /* its placement was locked: not run, the owner runs it elsewhere */
	struct node_wb_item *next;
} node_wb_item;

/* Called on the loop thread with the busy items of a batch (busy = 1), then
 * with the items that ran, once durable (busy = 0), in order. */
typedef void (*node_wb_done_fn)(void *arg, node_wb_item *list);

typedef struct node_wbatch node_wbatch;

node_wbatch *node_wbatch_new(uv_loop_t *loop, stor_dir *stor, node_wb_done_fn done, void *arg);
/* 1 when t goes through write batches: the WAL is on and t is a small
 * WRITE (with capture) or APPLY. */
int node_wbatch_takes(stor_dir *stor, const exec_task *t);
void node_wbatch_add(node_wbatch *b, node_wb_item *it);
/* Close the handle (b is freed by its close callback). */
void node_wbatch_close(node_wbatch *b);

#endif
