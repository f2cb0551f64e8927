/*
 * write_batch.c — small writes on the follower's loop thread, synced in
 * groups (write_batch.h has the flow, drawn).
 *
 * Invariants (loop thread only): queued and held items have not run; an
 * item that ran is answered (finally) only after stor_fwal_defer_end
 * returned, early (early()) only after every item of its batch ran; items
 * are answered in the order they ran; items of one placement run in the
 * order they arrived (the leader pipelines a shard's writes: entry n+1 may
 * arrive while n waits for its placement's lock).
 *
 * Memory: node_wbatch is malloc'd by node_wbatch_new and freed by the
 * close callback; items belong to the owner.
 */
#include "follower/write_batch.h"

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

/* 1 when an item already held in l writes its placement. */
static int placement_held(const item_list *l, const node_wb_item *it)
{
	for (const node_wb_item *h = l->head; h; h = h->next)
		if (strcmp(h->task->placements[0], it->task->placements[0]) == 0)
			return 1;
	return 0;
}

/* Run every held, then every queued item, one after another, then wait
 * for their records' fsync (one for all), all on the loop thread.  An item
 * whose placement is locked, that the owner's wait holds, or behind one of
 * those, is held for the next try. */
static void run_items(node_wbatch *b)
{
	item_list ran = {0}, held = {0};
	node_wb_item *it, *next;
	mur_error err;

	if (b->held.tail)
		b->held.tail->next = b->queued.head;
	else
		b->held.head = b->queued.head;
	it = b->held.head;
	b->queued.head = b->queued.tail = b->held.head = b->held.tail = NULL;
	stor_fwal_defer_begin();
	for (; it; it = next) {
		next = it->next;
		if ((held.head && placement_held(&held, it)) || (b->wait && b->wait(b->arg, it)))
			list_add(&held, it);
		else if (exec_task_run_try(b->stor, it->task, it->res) == MUR_EAGAIN)
			list_add(&held, it);
		else
			list_add(&ran, it);
	}
	b->held = held;
	if (held.head)
		uv_timer_start(&b->retry, retry_held, WRITE_BATCH_RETRY_MS, 0);
	if (ran.head && b->early)
		b->early(b->arg, ran.head); /* committed, not yet durable */
	if (stor_fwal_defer_end(&err) != MUR_OK)
		for (it = ran.head; it; it = it->next)
			if (!it->res->failed) { /* committed, not known durable */
				it->res->failed = 1;
				it->res->err = err;
			}
	if (ran.head)
		b->done(b->arg, ran.head);
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
	if (--b->nhandles == 0)
		free(b);
}

void node_wbatch_close(node_wbatch *b)
{
	if (!b)
		return;
	uv_close((uv_handle_t *)&b->idle, closed);
	uv_close((uv_handle_t *)&b->retry, closed);
}
