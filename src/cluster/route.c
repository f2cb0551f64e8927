/*
 * route.c — tasks in flight between the leader and its followers.
 *
 * clu_send_task encodes the task into a TASK frame on the follower's
 * current link and records a clu_pending on that link.  The entry leaves
 * the list exactly once, which is what makes "cb is called exactly once"
 * true:
 *   RESULT with its id arrives      → cb(decoded result)
 *   an early RESULT (res.early: the task asked for one, exec_task.early)
 *                                   → cb(decoded result), the entry stays:
 *                                     the final RESULT, the link's loss or
 *                                     the deadline follows as above
 *   the link closes / leader stops  → cb(failed result, 08006); res.unsent
 *                                     when the TASK frame never left (it
 *                                     waited in the conn's queues: the
 *                                     follower cannot have it; net.h,
 *                                     net_conn_never_sent)
 *   its deadline passes             → cb(failed result, 57014)
 * Entries are removed from the list before cb runs, so cb may send more
 * tasks, or stop the leader.  Deadlines (clu_leader_set_task_timeout) are
 * checked on the failure detector's tick, so a timeout fires up to one
 * tick (<= 250 ms) late; REBUILD and CATCHUP have none.
 *
 * A RESULT finds its entry through the link's buckets by task id
 * (by_id, CLU_PENDING_BUCKETS of them): a follower has a handful of tasks
 * in flight (one per shard a statement touches times the sessions using
 * it), bounded by CLU_PENDING_TASKS_MAX; walking the list for each answer
 * was a cache miss per entry.  The list keeps the order (newest first)
 * the link's loss and the deadline check go through.
 */
#include "cluster/cluster_int.h"
#include "cluster/fault.h"

#include "common/log.h"
#include "common/zalloc.h"

#include <assert.h>
#include <stdlib.h>
#include <string.h>

static clu_pending **bucket_of(clu_link *k, uint64_t task_id)
{
	return &k->by_id[task_id % CLU_PENDING_BUCKETS];
}

/* p becomes the newest of k's pending tasks. */
static void pending_link(clu_link *k, clu_pending *p)
{
	clu_pending **b = bucket_of(k, p->task_id);
	p->prev = NULL;
	p->next = k->pending;
	if (k->pending)
		k->pending->prev = p;
	k->pending = p;
	p->hnext = *b;
	*b = p;
	k->npending++;
}

/* The pending task task_id of k, or NULL. */
static clu_pending *pending_find(clu_link *k, uint64_t task_id)
{
	clu_pending *p = *bucket_of(k, task_id);
	while (p && p->task_id != task_id)
		p = p->hnext;
	return p;
}

static void pending_unlink(clu_link *k, clu_pending *p)
{
	clu_pending **b = bucket_of(k, p->task_id);
	while (*b != p) {
		assert(*b); /* a pending task is on its bucket's chain */
		b = &(*b)->hnext;
	}
	*b = p->hnext;
	if (p->prev)
		p->prev->next = p->next;
	else
		k->pending = p->next;
	if (p->next)
		p->next->prev = p->prev;
	k->npending--;
}

static void finish(clu_pending *p, exec_result *res)
{
	res->task_id = p->task_id;
	p->cb(p->arg, res);
	exec_result_free(res);
	free(p);
}

void clu_route_fail_all(clu_link *k, const char *why)
{
	clu_pending *p;

	while ((p = k->pending) != NULL) {
		exec_result res;
		pending_unlink(k, p);
		exec_result_init(&res);
		res.failed = 1;
		mur_error_set(&res.err, SQLSTATE_CONNECTION_FAILURE, "%s", why);
		res.unsent = (uint8_t)net_conn_never_sent(k->conn, p->sent_mark);
		finish(p, &res);
	}
}

void clu_route_result(clu_link *k, const char *payload, size_t len)
{
	exec_result res;
	clu_pending *p;

	exec_result_init(&res);
	if (exec_result_decode(payload, len, &res) != MUR_OK) {
		exec_result_free(&res);
		MLOG(WARN, "cluster", "malformed RESULT from follower %s", k->node->name);
		net_conn_close(k->conn, "malformed RESULT");
		return;
	}
	if (!(p = pending_find(k, res.task_id))) {
		MLOG(WARN, "cluster", "follower %s answered task %llu, which is not pending",
		     k->node->name, (unsigned long long)res.task_id);
		exec_result_free(&res);
		return;
	}
	if (res.early) { /* the final answer follows: the task stays pending */
		res.task_id = p->task_id;
		p->cb(p->arg, &res);
		exec_result_free(&res);
		return;
	}
	pending_unlink(k, p);
	finish(p, &res);
}

/* Fail the expired tasks of one link: unlink them all first (one pass),
 * then run their callbacks, which may send tasks on this link. */
static void expire_link(clu_link *k, uint64_t now_ms, uint64_t timeout_ms)
{
	clu_pending *p, *next, *expired = NULL;

	for (p = k->pending; p; p = next) {
		next = p->next;
		if (p->deadline_ms && p->deadline_ms <= now_ms) {
			pending_unlink(k, p);
			p->next = expired;
			expired = p;
		}
	}
	for (p = expired; p; p = next) {
		exec_result res;
		next = p->next;
		exec_result_init(&res);
		res.failed = 1;
		mur_error_set(&res.err, SQLSTATE_QUERY_CANCELED,
			      "task %llu on follower \"%s\" did not finish within %llu ms",
			      (unsigned long long)p->task_id, k->node->name,
			      (unsigned long long)timeout_ms);
		MLOG(WARN, "cluster", "%s", res.err.message);
		finish(p, &res);
	}
}

void clu_route_expire(clu_leader *l, uint64_t now_ms)
{
	clu_link *k, *next;

	if (l->task_timeout_ms == 0)
		return; /* disabled: deadlines already set are not enforced */
	for (k = l->links; k; k = next) {
		next = k->next;
		if (k->node)
			expire_link(k, now_ms, l->task_timeout_ms);
	}
}

void clu_leader_set_task_timeout(clu_leader *l, uint64_t task_timeout_ms)
{
	l->task_timeout_ms = task_timeout_ms;
}

static int not_connected(clu_leader *l, uint32_t node_id, mur_error *err)
{
	const cat_node *cn = cat_node_by_id(l->cat, node_id);
	if (!cn || cn->role != CAT_NODE_FOLLOWER)
		return mur_error_set(err, SQLSTATE_CONNECTION_FAILURE, "node %u is not a follower",
				     node_id);
	return mur_error_set(err, SQLSTATE_CONNECTION_FAILURE, "follower \"%s\" is not connected",
			     cn->name);
}

int clu_send_task(clu_leader *l, uint32_t node_id, exec_task *task, clu_task_cb cb, void *arg,
		  mur_error *err)
{
	clu_node *n = clu_node_find(l, node_id);
	clu_link *k = n ? n->link : NULL;
	clu_pending *p;
	mur_buf b;
	char *data;
	size_t len;
	int rc;

	if (l->stopping)
		return mur_error_set(err, SQLSTATE_CONNECTION_FAILURE, "leader is shutting down");
	if (!k || !net_conn_is_open(k->conn))
		return not_connected(l, node_id, err);
	assert(k->node == n); /* a node's link is welcomed: WELCOME went out first (join) */
	if (k->npending >= CLU_PENDING_TASKS_MAX)
		return mur_error_set(err, SQLSTATE_INSUFFICIENT_RESOURCES,
				     "too many tasks in flight on follower \"%s\" (limit %d)",
				     n->name, CLU_PENDING_TASKS_MAX);
	p = mur_calloc(1, sizeof *p);
	if (!p)
		return mur_error_set(err, SQLSTATE_OUT_OF_MEMORY, "out of memory");
	task->id = l->next_task_id++;
	task->epoch = n->epoch;
	mur_buf_init(&b);
	exec_task_encode(task, &b);
	if (!mur_buf_ok(&b)) {
		rc = mur_error_set(err, SQLSTATE_OUT_OF_MEMORY, "out of memory encoding a task");
		goto free_pending;
	}
	/* the frame is written from b's memory: no second copy of a long task */
	data = mur_buf_steal(&b, &len);
	if (clu_fault_garbling) /* a test spoils this task (fault.h, garble) */
		clu_fault_garble(n->name, &data, &len);
	if (net_conn_send_take(k->conn, NET_MSG_TASK, data, len, err) != MUR_OK) {
		mur_error_context(err, "sending a task to follower \"%s\"", n->name);
		rc = MUR_ERR;
		goto free_pending;
	}
	p->task_id = task->id;
	p->sent_mark = net_conn_sent_mark(k->conn);
	/* on the detector's loop clock: its tick expires it (detector.c) */
	if (l->task_timeout_ms && task->kind != EXEC_TASK_REBUILD &&
	    task->kind != EXEC_TASK_CATCHUP)
		p->deadline_ms = uv_now(l->loop) + l->task_timeout_ms;
	p->cb = cb;
	p->arg = arg;
	pending_link(k, p);
	return MUR_OK;

free_pending:
	mur_buf_free(&b);
	free(p);
	return rc;
}
