/*
 * write_batch.c — small writes on the follower's loop thread, synced in
 * groups (write_batch.h has the flow, drawn).
 *
 * Invariants (loop thread only): queued items have not run; an item that
 * ran is answered only after stor_fwal_defer_end returned; items are
 * answered in the order they ran.
 *
 * Memory: node_wbatch is malloc'd by node_wbatch_new and freed by the
 * close callback; items belong to the owner.
 */
#include "node/write_batch.h"

#include "common/log.h"
#include "exec/task_run.h"
#include "storage/fwal.h"

#include <stdlib.h>

#define WRITE_BATCH_TASK_BYTES_MAX (256 * 1024) /* larger writes run alone */

typedef struct item_list {
	node_wb_item *head, *tail;
} item_list;

struct node_wbatch {
	uv_loop_t *loop;
	stor_dir *stor;
	node_wb_done_fn done;
	void *arg;
	uv_idle_t idle; /* runs the queue at the loop's next turn */
	int idle_on;
	item_list queued;
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

int node_wbatch_takes(stor_dir *stor, const exec_task *t)
{
	if (!stor_fwal_on(stor))
		return 0;
	if (t->kind == EXEC_TASK_WRITE)
		return t->capture && t->rows_len <= WRITE_BATCH_TASK_BYTES_MAX;
	return t->kind == EXEC_TASK_APPLY && t->blob_len <= WRITE_BATCH_TASK_BYTES_MAX;
}

/* Run every queued item, one after another, then wait for their records'
 * fsync (one for all), all on the loop thread. */
static void run_queued(uv_idle_t *h)
{
	node_wbatch *b = h->data;
	item_list ran = {0}, busy = {0};
	node_wb_item *it = b->queued.head, *next;
	mur_error err;

	uv_idle_stop(h);
	b->idle_on = 0;
	b->queued.head = b->queued.tail = NULL;
	stor_fwal_defer_begin();
	for (; it; it = next) {
		next = it->next;
		it->busy = exec_task_run_try(b->stor, it->task, it->res) == MUR_EAGAIN;
		list_add(it->busy ? &busy : &ran, it);
	}
	if (stor_fwal_defer_end(&err) != MUR_OK)
		for (it = ran.head; it; it = it->next)
			if (!it->res->failed) { /* committed, not known durable */
				it->res->failed = 1;
				it->res->err = err;
			}
	if (busy.head)
		b->done(b->arg, busy.head);
	if (ran.head)
		b->done(b->arg, ran.head);
}

node_wbatch *node_wbatch_new(uv_loop_t *loop, stor_dir *stor, node_wb_done_fn done, void *arg)
{
	node_wbatch *b = calloc(1, sizeof *b);
	if (!b)
		return NULL;
	b->loop = loop;
	b->stor = stor;
	b->done = done;
	b->arg = arg;
	uv_idle_init(loop, &b->idle);
	b->idle.data = b;
	return b;
}

void node_wbatch_add(node_wbatch *b, node_wb_item *it)
{
	it->busy = 0;
	list_add(&b->queued, it);
	if (!b->idle_on) {
		b->idle_on = 1;
		uv_idle_start(&b->idle, run_queued);
	}
}

static void closed(uv_handle_t *h)
{
	free(h->data);
}

void node_wbatch_close(node_wbatch *b)
{
	if (b)
		uv_close((uv_handle_t *)&b->idle, closed);
}
