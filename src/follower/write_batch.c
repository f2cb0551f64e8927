/*
 * write_batch.c — small writes on the follower's loop thread, synced in
 * groups (write_batch.h has the flow, drawn).
 *
 * Invariants (loop thread only): queued and held items have not run; an
 * item that ran is answered (finally) only after its records are durable
 * (its group's stor_fwal_ticket_wait returned), early (early()) only after
 * every item of its batch ran; items are answered in the order they ran;
 * items of one placement run in the order they arrived (the leader
 * pipelines a shard's writes: entry n+1 may arrive while n waits for its
 * placement's lock).
 *
 * The fsync of a group with early answers runs off the loop thread: the
 * leader goes on with those transactions at once (their next statement,
 * a read, the COMMIT's marker) and they must not wait behind the fsync.
 * At most one group syncing (a pool job waiting for its ticket) and one
 * filling (the batches that ran meanwhile, `filling`; their records form
 * the fwal's next group), the classic pair.  A group without early
 * answers (APPLYs, markers, plain inserts: nothing comes back for them
 * before their durable answer) with none syncing ahead of it is synced
 * on the loop as before: a pool job costs two thread wakeups, measured
 * to cost more follower CPU than the overlap saves (docs/decisions.md).  More groups in flight would gain nothing: the fwal
 * syncs one group at a time (its leader takes every record appended so
 * far), and answers must leave in the order items ran anyway.
 * While one syncs the loop goes on reading: reads, early answers and the
 * next batches no longer wait behind the fsync.  A batch whose records
 * are already durable (or that logged none) with no group ahead of it is
 * answered at once, with no thread handoff.
 *
 * Memory: node_wbatch is malloc'd by node_wbatch_new and freed once both
 * handles are closed and no sync job is in flight; items belong to the
 * owner.
 */
#include "follower/write_batch.h"

#include "common/clock.h"
#include "common/log.h"
#include "follower/task_run.h"
#include "storage/fwal.h"

#include <stdlib.h>
#include <string.h>

#define WRITE_BATCH_TASK_BYTES_MAX (256 * 1024) /* larger writes run alone */
#define WRITE_BATCH_RETRY_MS 1                  /* how often held items try their placement again */

typedef struct item_list {
	node_wb_item *head, *tail;
} item_list;

struct node_wbatch {
	uv_loop_t *loop;
	stor_dir *stor;
	node_wb_done_fn done;
	node_wb_early_fn early;
	node_wb_wait_fn wait;
	void *arg;
	uv_idle_t idle; /* runs the queue at the loop's next turn */
	int idle_on;
	uv_timer_t retry; /* runs the queue again while items are held */
	int nhandles;     /* open handles: freed when both are closed */
	item_list queued;
	item_list held; /* their placement was locked; oldest first */
	/* the group syncing on a pool thread (syncing) and the one filling */
	uv_work_t sync;
	int syncing;
	item_list sync_items, filling;
	stor_fwal_ticket sync_ticket, filling_ticket;
	int filling_early; /* a batch of the filling group answered early */
	int sync_rc;
	mur_error sync_err;
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
	if (b->nhandles == 0 && !b->syncing)
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

static void sync_work(uv_work_t *w)
{
	node_wbatch *b = w->data;
	b->sync_rc = stor_fwal_ticket_wait(&b->sync_ticket, &b->sync_err);
}

static void sync_done(uv_work_t *w, int status);

/* The filling group becomes the syncing one (none is syncing): answered
 * at once when already durable, synced here when it answered nothing
 * early, else its fsync goes to a pool thread. */
static void sync_filling(node_wbatch *b)
{
	while (!b->syncing && b->filling.head) {
		item_list items = b->filling;
		stor_fwal_ticket t = b->filling_ticket;
		int early = b->filling_early;
		b->filling.head = b->filling.tail = NULL;
		b->filling_ticket.w = NULL;
		b->filling_ticket.upto = 0;
		b->filling_early = 0;
		if (stor_fwal_ticket_durable(&t)) {
			answer(b, items.head, MUR_OK, NULL);
			continue;
		}
		if (!early) {
			b->sync_rc = stor_fwal_ticket_wait(&t, &b->sync_err);
			answer(b, items.head, b->sync_rc, &b->sync_err);
			continue;
		}
		b->sync_items = items;
		b->sync_ticket = t;
		b->sync.data = b;
		int rc = uv_queue_work(b->loop, &b->sync, sync_work, sync_done);
		if (rc != 0) { /* cannot happen with a live loop: sync here */
			MLOG(ERROR, "wbatch", "cannot queue the fsync: %s", uv_strerror(rc));
			b->sync_rc = stor_fwal_ticket_wait(&t, &b->sync_err);
			answer(b, items.head, b->sync_rc, &b->sync_err);
			continue;
		}
		b->syncing = 1;
	}
}

static void sync_done(uv_work_t *w, int status)
{
	node_wbatch *b = w->data;
	node_wb_item *list = b->sync_items.head;
	(void)status; /* never cancelled */
	b->syncing = 0;
	b->sync_items.head = b->sync_items.tail = NULL;
	answer(b, list, b->sync_rc, &b->sync_err);
	sync_filling(b);
	free_if_closed(b);
}

/* Run every held, then every queued item, one after another, all on the
 * loop thread, then hand their records' fsync (one for all, shared with
 * the batches that run while it is in progress) to a pool thread.  An
 * item whose placement is locked, that the owner's wait holds, or behind
 * one of those, is held for the next try. */
static void run_items(node_wbatch *b)
{
	item_list ran = {0}, held = {0};
	node_wb_item *it, *next;
	stor_fwal_ticket t;

	if (b->held.tail)
		b->held.tail->next = b->queued.head;
	else
		b->held.head = b->queued.head;
	it = b->held.head;
	b->queued.head = b->queued.tail = b->held.head = b->held.tail = NULL;
	uint64_t cpu = mur_thread_cpu_us();
	stor_fwal_defer_begin();
	for (; it; it = next) {
		next = it->next;
		if ((held.head && placement_held(&held, it)) || (b->wait && b->wait(b->arg, it)))
			list_add(&held, it);
		else if (exec_task_run_try_batched(b->stor, it->task, it->res) == MUR_EAGAIN)
			list_add(&held, it);
		else
			list_add(&ran, it);
	}
	stor_fwal_defer_take(&t);
	if (ran.head)
		share_cpu(&ran, mur_thread_cpu_us() - cpu);
	b->held = held;
	if (held.head)
		uv_timer_start(&b->retry, retry_held, WRITE_BATCH_RETRY_MS, 0);
	if (!ran.head)
		return;
	if (b->early && b->early(b->arg, ran.head) > 0) /* committed, not yet durable */
		b->filling_early = 1;
	/* the group filling: after the one syncing, if any */
	if (b->filling.tail)
		b->filling.tail->next = ran.head;
	else
		b->filling.head = ran.head;
	b->filling.tail = ran.tail;
	stor_fwal_ticket_merge(&b->filling_ticket, &t);
	sync_filling(b);
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
	b->loop = loop;
	b->stor = stor;
	b->done = done;
	b->early = early;
	b->wait = wait;
	b->arg = arg;
	uv_idle_init(loop, &b->idle);
	b->idle.data = b;
	uv_timer_init(loop, &b->retry);
	b->retry.data = b;
	b->nhandles = 2;
	return b;
}

void node_wbatch_add(node_wbatch *b, node_wb_item *it)
{
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
	uv_close((uv_handle_t *)&b->idle, closed);
	uv_close((uv_handle_t *)&b->retry, closed);
}
