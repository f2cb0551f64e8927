/*
 * progress.c — PROGRESS frames from followers running long tasks (REBUILD,
 * CATCHUP: docs/replication.md) handed to the clu_on_progress callback.
 *
 * A follower sends at most one PROGRESS per task per 200 ms on the same
 * connection as the task, so this is a decode and a call.  A malformed
 * frame closes the connection, like a malformed RESULT (route.c).
 * Progress for a task that is not pending (it timed out, or a late frame)
 * is still reported: the callback matches task ids with what it started.
 */
#include "cluster/cluster_int.h"

#include "common/log.h"

void clu_progress_frame(clu_link *k, const char *payload, size_t len)
{
	clu_leader *l = k->l;
	net_progress pr;
	mur_error err;

	if (net_progress_decode(payload, len, &pr, &err) != MUR_OK) {
		MLOG(WARN, "cluster", "malformed PROGRESS from follower %s", k->node->name);
		net_conn_close(k->conn, err.message);
		return;
	}
	MLOG(DEBUG, "cluster", "follower %s task %llu %s %s: %llu of %llu", k->node->name,
	     (unsigned long long)pr.task_id, pr.file, pr.phase, (unsigned long long)pr.done,
	     (unsigned long long)pr.total);
	if (l->progress_cb)
		l->progress_cb(l->progress_arg, k->node->id, pr.task_id, pr.done, pr.total,
			       pr.phase);
}

void clu_on_progress(clu_leader *l, clu_progress_cb cb, void *arg)
{
	l->progress_cb = cb;
	l->progress_arg = arg;
}
