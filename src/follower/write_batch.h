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
 *                          ┌────► held ──┐            thread: held items first,
 *                          │             │            then queued, one after
 *                          │    (1 ms, or the         another, a placement's in one
 *                          │     next turn)           transaction (exec_task_run_in)
 *                          │                            │                    │
 *                          └──── placement locked, a read that ◄┘        ran (or failed)
 *                                came first not yet locked on it,            ▼
 *                                or behind an item of its           early(), then one group
 *                                placement that is                  write for all their WAL
 *                                                                   records, submitted to the
 *                                                                   WAL's io_uring; the loop
 *                                                                   goes on (next batches);
 *                                                                   at its completion
 *                                                                   (the ring's fd polled)
 *                                                                   done(): the owner
 *                                                                   answers each, in order
 *
 * A placement's items of one batch share one SQLite transaction, each in a
 * savepoint, committed after the last item ran and before early() (one
 * commit and one WAL write per placement, not per item: storage/
 * batch_txn.c); an item that fails is undone alone, and if the COMMIT
 * fails every item of that placement fails.
 *
 * Items of one placement run in the order they arrived: the leader sends
 * a shard's row inserts without waiting for the previous one's answers
 * (replication/repl.h), and each carries the LSN it must get.
 *
 * Writes that arrive during a batch wait in the socket and form the next
 * batch; those that arrive while a group is in the ring run at once, and
 * their records wait for the next group (one group in the ring at a time:
 * it takes every record appended so far), so groups grow with the load, as
 * PostgreSQL's WAL flush does with concurrent commits.  No user thread and
 * no thread wakeup: a pool thread for the fsync cost two per batch, more
 * CPU than the overlap saved (docs/decisions.md); the ring's group is a
 * direct write (storage/fwal.h) that no kernel worker runs either.  Without
 * the ring (MURPHY_FWAL_URING=0, io_uring refused) the fsync runs on the
 * loop thread and the next batch waits for it.
 * An item that ran is not answered before its record is durable, nor
 * before the items that ran before it; if the WAL fails, every item of the
 * group that committed fails with 58030.  (docs/decisions.md, "Follower
 * writes run on the loop thread", has the measurements.)
 *
 * Early answers: once every item of the batch ran and before the fsync,
 * early() gets the items that ran (in order); the owner may answer those
 * whose leader asked for it (exec_task.early: a primary's WRITE) with
 * everything but durability.  done() still answers every item after the
 * fsync, in the same order, so a placement's answers keep their order.
 *
 * Sync later: a batch every item of which is a transaction's WRITE
 * answered early is not synced at once (nobody waits for its durability
 * then: the replicas decide the entry, and its transaction's marker comes
 * to this follower later, in the same WAL); the next batch's fsync covers
 * it and its items are answered just before that batch's, or the sync
 * timer syncs it (write_batch.c).
 */
#ifndef FOLLOWER_WRITE_BATCH_H
#define FOLLOWER_WRITE_BATCH_H

#include "wire/task.h"
#include "storage/storage.h"

#include <uv.h>

typedef struct node_wb_item {
	const exec_task *task;
	exec_result *res;
	struct node_wb_item *next;
	uint64_t wal_upto; /* write_batch.c's: its batch's last follower WAL record */
} node_wb_item;

/* Called on the loop thread with the items that ran, once durable, in
 * order. */
typedef void (*node_wb_done_fn)(void *arg, node_wb_item *list);

/* Called on the loop thread with the items that ran, in order, after
 * they committed in SQLite and before their records are durable (the
 * owner answers early those whose leader asked for it). */
typedef void (*node_wb_early_fn)(void *arg, node_wb_item *list);

/* Called on the loop thread before an item runs: 1 holds it (and the
 * items of its placement behind it) for the next try, 0 lets it run.  The
 * follower holds a write while a read that arrived before it has not yet
 * fixed its view of the write's placement. */
typedef int (*node_wb_wait_fn)(void *arg, const node_wb_item *it);

typedef struct node_wbatch node_wbatch;

/* wait and early may be NULL (never hold, no early answers); done, early
 * and wait get arg. */
node_wbatch *node_wbatch_new(uv_loop_t *loop, stor_dir *stor, node_wb_done_fn done,
			     node_wb_early_fn early, node_wb_wait_fn wait, void *arg);
/* 1 when t goes through write batches: a small WRITE (with capture) or
 * APPLY.  (With the follower WAL off each commits with its own fsync.) */
int node_wbatch_takes(const exec_task *t);
void node_wbatch_add(node_wbatch *b, node_wb_item *it);
/* The leader waits for a durable answer the batches left unsynced ("Sync
 * later" above): sync them at the loop's next turn, with any items
 * queued by then (one fsync).  No-op when none is (or b is NULL). */
void node_wbatch_sync_soon(node_wbatch *b);
/* Close the handle (b is freed by its close callback). */
void node_wbatch_close(node_wbatch *b);

#endif
