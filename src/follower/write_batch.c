/*
 * write_batch.c — small writes on the follower's loop thread, synced in
 * groups (write_batch.h has the flow, drawn).
 *
 * Invariants (loop thread only): queued and held items have not run; an
 * item that ran is answered (finally) only after its records are durable
 * (the follower WAL's durable count reached its wal_upto, or its batch's
 * stor_fwal_ticket_wait returned), early (early()) only after
 * every item of its batch ran; items are answered in the order they ran;
 * items of one placement run in the order they arrived (the leader
 * pipelines a shard's writes: entry n+1 may arrive while n waits for its
 * placement's lock).
 *
 * Every batch's group is submitted to the follower WAL's io_uring after
 * its early answers left (stor_fwal_ticket_start), and its items wait in
 * `waiting` with the number of their last record (wal_upto); the loop goes
 * on running the next batches.  When the ring's fd is readable (the
 * group's completion), drain() answers the waiting items now durable, in
 * order, and starts the next group for the rest (one in the ring at a
 * time).  A pool thread for the fsync (so that the transaction's next
 * statement, a read or its COMMIT's marker need not wait behind it) cost
 * two thread wakeups and an eventfd round per batch: measured, more CPU
 * per TPC-B transaction than the overlap saved (docs/decisions.md,
 * "Follower writes run on the loop thread"); the ring costs none.
 * Without a ring the fsync runs here, on the loop thread (settle()).  A
 * batch whose records are already durable (or that logged none) is
 * answered at once when nothing waits before it.
 *
 * Sync later: a batch every item of which is a transaction's WRITE that
 * was answered early (a block's UPDATE or DELETE on its primary) is not
 * synced at once: nobody waits for its durability then (the leader
 * decides the entry with the replicas, which get it with the
 * transaction's marker; the marker reaches this follower too, in a later
 * batch whose fsync covers it: one WAL, records in order).  Its items wait
 * in `unsynced` and are answered just before the next batch's, or the
 * sync timer (WRITE_BATCH_SYNC_LATER_MS) syncs them, or the close, or the
 * leader's SYNC (node_wbatch_sync_soon: at the loop's next turn, with the
 * items read in this one: one fsync), when it waits for one.  An
 * autocommit write is synced at once: the shard's next write waits for
 * its primary's durable answer.
 *
 * Memory: node_wbatch is malloc'd by node_wbatch_new and freed once its
 * handles (three, four with the ring's poll) are closed; items belong to
 * the owner.
 */
#include "follower/write_batch.h"

#include "common/clock.h"
#include "common/log.h"
#include "common/trace.h"
#include "follower/task_run.h"
#include "storage/fwal.h"

#include <assert.h>
#include <stdlib.h>
#include <string.h>

#define WRITE_BATCH_TASK_BYTES_MAX (256 * 1024) /* larger writes run alone */
#define WRITE_BATCH_RETRY_MS 1                  /* how often held items try their placement again */
/* the longest a batch answered early waits for its fsync: above TPC-B's
 * gap between two batches of one follower under load (~1-5 ms) */
#define WRITE_BATCH_SYNC_LATER_MS 10

typedef struct item_list {
	node_wb_item *head, *tail;
} item_list;

struct node_wbatch {
	stor_dir *stor;
	node_wb_done_fn done;
	node_wb_early_fn early;
	node_wb_wait_fn wait;
	void *arg;
	uv_idle_t idle; /* runs the queue at the loop's next turn */
	int idle_on;
	uv_timer_t retry; /* runs the queue again while items are held */
	uv_timer_t sync;  /* syncs `unsynced` when no batch came meanwhile */
	uv_poll_t ring;   /* the follower WAL's io_uring: a group ended */
	int ring_on;      /* ring polled: groups sync asynchronously */
	int nhandles;     /* open handles: freed when all are closed */
	item_list queued;
	item_list held;              /* their placement was locked; oldest first */
	item_list unsynced;          /* ran, answered early, not yet durable (sync later) */
	stor_fwal_ticket unsynced_t; /* their records */
	int sync_soon;               /* node_wbatch_sync_soon: sync them at the next run */
	item_list waiting;           /* ran, their group in the ring (ring_on): answered in order */
	stor_fwal *waiting_w;        /* the WAL of their wal_upto */
};

static void list_add(item_list *l, node_wb_item *it)
{
	it->next = NULL;
	if (l->tail)
		l->tail->next = it;
	else
		l->head = it;
	l->tail = it;
}

/* With the follower WAL off, or broken, each item commits with its own
 * fsync, still one after another: a placement's writes must run in the
 * order they arrived. */
int node_wbatch_takes(const exec_task *t)
{
	if (t->kind == EXEC_TASK_WRITE)
		return t->capture && t->rows_len <= WRITE_BATCH_TASK_BYTES_MAX;
	return t->kind == EXEC_TASK_APPLY && t->blob_len <= WRITE_BATCH_TASK_BYTES_MAX;
}

static void retry_held(uv_timer_t *h);

/* Share cpu_us, what running the items of l took together on this thread
 * (the thread's CPU clock is a system call: read once per batch, not
 * twice per item), in proportion to each one's elapsed_us, evenly when
 * none took a measurable time; the shares add up to cpu_us. */
static void share_cpu(const item_list *l, uint64_t cpu_us)
{
	uint64_t total = 0, left = cpu_us, n = 0;
	for (const node_wb_item *it = l->head; it; it = it->next, n++)
		total += it->res->elapsed_us;
	for (node_wb_item *it = l->head; it; it = it->next) {
		uint64_t share = !it->next ? left
				 : total   ? cpu_us * it->res->elapsed_us / total
					   : cpu_us / n;
		it->res->cpu_us = share;
		left -= share;
	}
}

/* 1 when an item already held in l writes its placement. */
static int placement_held(const item_list *l, const node_wb_item *it)
{
	for (const node_wb_item *h = l->head; h; h = h->next)
		if (strcmp(h->task->placements[0], it->task->placements[0]) == 0)
			return 1;
	return 0;
}

static void free_if_closed(node_wbatch *b)
{
	if (b->nhandles == 0)
		free(b);
}

/* Items that ran and whose records are durable (rc MUR_OK) or not known
 * to be (err): fail those that committed, answer all, in order. */
static void answer(node_wbatch *b, node_wb_item *list, int rc, const mur_error *err)
{
	if (rc != MUR_OK)
		for (node_wb_item *it = list; it; it = it->next)
			if (!it->res->failed) { /* committed, not known durable */
				it->res->failed = 1;
				it->res->err = *err;
			}
	if (list)
		b->done(b->arg, list);
}

/* exec_wtxns_end: the transaction on `file` was rolled back; its items
 * that ran fail. */
static void undone(void *arg, const char *file, const mur_error *err)
{
	const item_list *ran = arg;
	for (node_wb_item *it = ran->head; it; it = it->next)
		if (!it->res->failed && strcmp(it->task->placements[0], file) == 0)
			exec_result_undone(it->res, err);
}

/* Is every item of l a transaction's WRITE the leader asked an early
 * answer of (a primary's, in a block), that ran?  Then nobody waits for
 * their durability now ("Sync later" above). */
static int all_early(const item_list *l)
{
	for (const node_wb_item *it = l->head; it; it = it->next)
		if (!it->task->early || it->task->kind != EXEC_TASK_WRITE || !it->task->txn_id ||
		    it->res->failed)
			return 0;
	return 1;
}

static void drain_items(node_wbatch *b);

/* Answer the waiting items whose records are durable, in order, and
 * start the group the others need (at most one in the ring: the next
 * starts when it ended), or fail them when the WAL failed.  The ring's
 * handle keeps the loop running while items wait in it. */
static void drain(node_wbatch *b)
{
	drain_items(b);
	if (b->waiting.head)
		uv_ref((uv_handle_t *)&b->ring);
	else
		uv_unref((uv_handle_t *)&b->ring);
}

static void drain_items(node_wbatch *b)
{
	while (b->waiting.head) {
		stor_fwal_ticket t = {b->waiting_w, b->waiting.tail->wal_upto};
		uint64_t durable;
		mur_error err;
		int rc = stor_fwal_ticket_start(&t, &durable, &err);
		node_wb_item *head = b->waiting.head, *last = NULL;
		for (node_wb_item *it = head; it && it->wal_upto <= durable; it = it->next)
			last = it;
		if (last) {
			b->waiting.head = last->next;
			if (!last->next)
				b->waiting.tail = NULL;
			last->next = NULL;
			MUR_TRACE("wbsync", 0, 0);
			answer(b, head, MUR_OK, NULL);
		}
		if (rc == MUR_EAGAIN)
			return;
		assert(rc != MUR_OK || !b->waiting.head); /* durable covers the last */
		if (rc != MUR_OK && b->waiting.head) {
			head = b->waiting.head;
			b->waiting.head = b->waiting.tail = NULL;
			answer(b, head, rc, &err);
		}
	}
}

/* Wait until every waiting item is durable and answer them (the close). */
static void flush_waiting(node_wbatch *b)
{
	node_wb_item *list = b->waiting.head;
	mur_error err;
	if (!list)
		return;
	stor_fwal_ticket t = {b->waiting_w, b->waiting.tail->wal_upto};
	b->waiting.head = b->waiting.tail = NULL;
	int rc = stor_fwal_ticket_wait(&t, &err);
	MUR_TRACE("wbsync", 0, 0);
	answer(b, list, rc, &err);
}

/* Items that ran (l), to be answered once t's records are durable and
 * after the items that ran before them: with the ring, queue them and
 * start their group without waiting; without it, wait here. */
static void settle(node_wbatch *b, item_list l, stor_fwal_ticket t)
{
	mur_error err;
	if (!b->ring_on) {
		int rc = stor_fwal_ticket_wait(&t, &err); /* at once when already durable */
		MUR_TRACE("wbsync", 0, 0);
		answer(b, l.head, rc, &err);
		return;
	}
	if (t.w && b->waiting.head && t.w != b->waiting_w)
		flush_waiting(b); /* the WAL was replaced meanwhile */
	/* a batch that logged nothing waits for the records before it: the
	 * waiting items' wal_upto never decreases (drain() answers a prefix) */
	uint64_t upto = t.w ? t.upto : b->waiting.tail ? b->waiting.tail->wal_upto : 0;
	for (node_wb_item *it = l.head; it; it = it->next)
		it->wal_upto = upto;
	if (t.w)
		b->waiting_w = t.w;
	if (b->waiting.tail)
		b->waiting.tail->next = l.head;
	else
		b->waiting.head = l.head;
	b->waiting.tail = l.tail;
	drain(b);
}

/* Make the unsynced items durable and answer them (the sync timer, the
 * close, a SYNC with no batch to run). */
static void sync_unsynced(node_wbatch *b)
{
	item_list l = b->unsynced;
	if (!l.head)
		return;
	b->unsynced.head = b->unsynced.tail = NULL;
	settle(b, l, b->unsynced_t);
}

static void ring_ready(uv_poll_t *h, int status, int events)
{
	node_wbatch *b = h->data;
	(void)status, (void)events;
	stor_fwal_async_reap(b->stor);
	drain(b);
}

static void sync_due(uv_timer_t *h) { sync_unsynced(h->data); }

/* Run every held, then every queued item, one after another, all on the
 * loop thread (a placement's items in one SQLite transaction, committed
 * once all ran: exec_wtxns), answer early what the owner answers early,
 * then make their records durable (one fdatasync for all, covering the
 * unsynced ones before them) and answer them — or leave them unsynced
 * ("Sync later" above).  An item whose placement is locked, that the
 * owner's wait holds, or behind one of those, is held for the next try. */
static void run_items(node_wbatch *b)
{
	item_list ran = {0}, held = {0};
	node_wb_item *it, *next;
	stor_fwal_ticket t;
	exec_wtxns x = {0};

	if (b->held.tail)
		b->held.tail->next = b->queued.head;
	else
		b->held.head = b->queued.head;
	it = b->held.head;
	b->queued.head = b->queued.tail = b->held.head = b->held.tail = NULL;
	uint64_t cpu = mur_thread_cpu_us();
	MUR_TRACE("wbrun", 0, 0);
	stor_fwal_defer_begin();
	for (; it; it = next) {
		next = it->next;
		if ((held.head && placement_held(&held, it)) || (b->wait && b->wait(b->arg, it)))
			list_add(&held, it);
		else if (exec_task_run_in(b->stor, &x, it->task, it->res) == MUR_EAGAIN)
			list_add(&held, it);
		else
			list_add(&ran, it);
	}
	exec_wtxns_end(b->stor, &x, undone, &ran); /* their records join the batch's */
	stor_fwal_defer_take(&t);
	if (ran.head)
		share_cpu(&ran, mur_thread_cpu_us() - cpu);
	b->held = held;
	if (held.head)
		uv_timer_start(&b->retry, retry_held, WRITE_BATCH_RETRY_MS, 0);
	int soon = b->sync_soon;
	b->sync_soon = 0;
	if (!ran.head) {
		if (soon) {
			uv_timer_stop(&b->sync);
			sync_unsynced(b);
		}
		return;
	}
	MUR_TRACE("wbran", 0, 0);
	if (b->early)
		b->early(b->arg, ran.head); /* committed, not yet durable */
	if (b->early && t.w && !soon && all_early(&ran) &&
	    (!b->unsynced.head || b->unsynced_t.w == t.w)) {
		if (!b->unsynced.head)
			uv_timer_start(&b->sync, sync_due, WRITE_BATCH_SYNC_LATER_MS, 0);
		b->unsynced_t = t; /* covers the earlier ones: one WAL, in order */
		if (b->unsynced.tail)
			b->unsynced.tail->next = ran.head;
		else
			b->unsynced.head = ran.head;
		b->unsynced.tail = ran.tail;
		return;
	}
	if (b->unsynced.head) { /* answered first, in order */
		uv_timer_stop(&b->sync);
		if (t.w && t.w != b->unsynced_t.w) { /* the WAL was replaced meanwhile */
			sync_unsynced(b);
		} else {
			if (!t.w)
				t = b->unsynced_t;
			b->unsynced.tail->next = ran.head;
			ran.head = b->unsynced.head;
			b->unsynced.head = b->unsynced.tail = NULL;
		}
	}
	settle(b, ran, t);
}

static void run_queued(uv_idle_t *h)
{
	node_wbatch *b = h->data;
	uv_idle_stop(h);
	b->idle_on = 0;
	run_items(b);
}

static void retry_held(uv_timer_t *h)
{
	node_wbatch *b = h->data;
	if (!b->idle_on) /* else the queue's run retries them */
		run_items(b);
}

node_wbatch *node_wbatch_new(uv_loop_t *loop, stor_dir *stor, node_wb_done_fn done,
			     node_wb_early_fn early, node_wb_wait_fn wait, void *arg)
{
	node_wbatch *b = calloc(1, sizeof *b);
	if (!b)
		return NULL;
	b->stor = stor;
	b->done = done;
	b->early = early;
	b->wait = wait;
	b->arg = arg;
	uv_idle_init(loop, &b->idle);
	b->idle.data = b;
	uv_timer_init(loop, &b->retry);
	b->retry.data = b;
	uv_timer_init(loop, &b->sync);
	b->sync.data = b;
	b->nhandles = 3;
	int fd = stor_fwal_async_fd(stor);
	if (fd >= 0 && uv_poll_init(loop, &b->ring, fd) == 0) {
		b->nhandles++;
		b->ring.data = b;
		b->ring_on = uv_poll_start(&b->ring, UV_READABLE, ring_ready) == 0;
		uv_unref((uv_handle_t *)&b->ring); /* ref'd while items wait in it */
	}
	return b;
}

void node_wbatch_sync_soon(node_wbatch *b)
{
	if (!b || !b->unsynced.head)
		return;
	b->sync_soon = 1; /* with the items read in this turn, if any */
	if (!b->idle_on) {
		b->idle_on = 1;
		uv_idle_start(&b->idle, run_queued);
	}
}

void node_wbatch_add(node_wbatch *b, node_wb_item *it)
{
	MUR_TRACE("wbadd", 0, 0);
	list_add(&b->queued, it);
	if (!b->idle_on) {
		b->idle_on = 1;
		uv_idle_start(&b->idle, run_queued);
	}
}

static void closed(uv_handle_t *h)
{
	node_wbatch *b = h->data;
	--b->nhandles;
	free_if_closed(b);
}

void node_wbatch_close(node_wbatch *b)
{
	if (!b)
		return;
	sync_unsynced(b);
	flush_waiting(b);
	if (b->nhandles == 4)
		uv_close((uv_handle_t *)&b->ring, closed);
	uv_close((uv_handle_t *)&b->idle, closed);
	uv_close((uv_handle_t *)&b->retry, closed);
	uv_close((uv_handle_t *)&b->sync, closed);
}
