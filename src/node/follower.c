/*
 * follower.c — `murphy follower`: holds placements and runs shard tasks.
 *
 * Wiring, on one libuv loop:
 *   clu_member    link to the leader (--join): HELLO, heartbeats, reconnects
 *   peer server   --listen: serves snapshots and log entries of our
 *                 placements to other followers (follower/peer.h)
 *   stor_dir      DIR/data, one SQLite file per placement; with
 *                 --group-commit on (or MURPHY_GROUP_COMMIT=1) the follower
 *                 WAL (storage/fwal.h) makes writes durable with one fsync
 *                 per group; its records are replayed before the loop runs
 *                 (also with group commit off, so none is ever lost)
 *   signals       SIGTERM/SIGINT: stop accepting work, wait for running
 *                 tasks, exit 0 (a second signal exits at once)
 *
 * A task: TASK frame → decode on the loop thread → by kind:
 *   REBUILD, CATCHUP  a node_peer_fetch job on the loop (follower/peer.h): it
 *                     copies from task->peer_addr, sends PROGRESS frames
 *                     (at most every 200 ms) and ends with the RESULT; one
 *                     job per placement file at a time (55006 otherwise)
 *   FAULT             node_fault_apply on the loop thread (follower/fault.h)
 *   SYNC              on the loop thread: the write batches answered early
 *                     and left unsynced sync at the next turn; answers at once
 *   QUERY_CANCEL      on the loop thread: sets the cancel flag of the read
 *                     (QUERY or SHUFFLE_SEND) in `reads` with that id (its SQLite query stops at its
 *                     next progress check: task_run.h), answers at once
 *   small WRITE/APPLY a write batch on the loop thread, one fsync per batch
 *                     (follower/write_batch.h; group commit on); a WRITE
 *                     that asks for it (exec_task.early) gets an early
 *                     RESULT once it committed, before the fsync
 *   quick query       on the loop thread when its placement is free
 *   anything else     exec_task_run on the libuv thread pool (placement
 *                     locks serialize tasks per shard)
 * → RESULT sent from the loop thread on the connection the task came on.
 *
 * Reads in arrival order (docs/replication.md): a QUERY or SHUFFLE_SEND
 * queued for the pool is listed in `reads` until it is done; a batched
 * write is held (write_waits) while a read that arrived before it has not
 * yet fixed its view of the write's placement: locked it, for its main
 * placement; finished, for one it attaches.  The leader sends a write
 * behind a read only when every entry the read may see is decided, so
 * the read never sees an entry that may still be undone.  Reads that
 * arrive after a write do not hold it: a stream of reads cannot starve
 * writes.  Writes that run on the pool (over WRITE_BATCH_TASK_BYTES_MAX)
 * are not held: the pool starts tasks in arrival order, but two threads
 * may race for the lock (docs/replication.md says so).
 *
 * Memory: a follower_task owns the TASK payload (the decoded task borrows
 * it) and the exec_result; both are freed in task_done.  A follower_fetch
 * lives from the job's start to its on_done.
 */
#include "node/follower.h"

#include "cluster/cluster.h"
#include "cluster/member.h"
#include "common/clock.h"
#include "common/datadir.h"
#include "common/log.h"
#include "follower/task_run.h"
#include "net/net.h"
#include "node/node_tls.h"
#include "wire/proto.h"
#include "follower/fault.h"
#include "follower/peer.h"
#include "follower/shuffle.h"
#include "follower/write_batch.h"
#include "ops/shuffle_part.h"
#include "storage/fwal.h"
#include "storage/storage.h"

#include <stdatomic.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <uv.h>

/* Thread pool size when UV_THREADPOOL_SIZE is unset: tasks on different
 * placements run in parallel; more threads than that only queue on disk. */
#define FOLLOWER_THREADS_DEFAULT "8"
/* Tasks accepted and not yet answered.  Beyond it a task is answered at
 * once with 53000 instead of growing the thread pool's queue. */
#define FOLLOWER_TASKS_MAX 4096
#define FOLLOWER_PATH_MAX 4096

typedef struct follower_fetch follower_fetch;

typedef struct follower {
	uv_loop_t loop;
	const char *dir;
	char name[NET_NAME_MAX];
	net_hello hello;       /* ours: sent to the leader and to peers we fetch from */
	mur_tls_ctx *node_tls; /* node TLS (node_tls.h), NULL when off */
	stor_dir *stor;
	clu_member *member;
	node_peer_server *peer;
	node_shuffle_hub *shuffle; /* repartition shuffles (follower/shuffle.h) */
	follower_fetch *fetches;   /* REBUILD / CATCHUP jobs running */
	uv_signal_t sigterm, sigint;
	uv_timer_t lock_timer; /* idle placements give up exclusive locks (storage.h) */
	int running;           /* tasks on the thread pool */
	int stopping;
	int exit_code;
	node_wbatch *wbatch;             /* small writes (follower/write_batch.h) */
	uint64_t arrivals;               /* tasks received: each task's arrival number */
	uint64_t disk_bytes, disk_at_ms; /* stor_dir_bytes, and when measured (disk_bytes) */
	struct follower_task *reads_head, *reads_tail; /* reads on the pool, in arrival order */
	/* SPLIT steps on the pool, by the leader connection they came on: a
	 * STATUS waits (parked) for those of older connections, whose files
	 * it would otherwise list half installed (split_fence below) */
	uint64_t split_gen;
	int splits_cur, splits_old;
	struct follower_task *status_parked;
} follower;

/* A pooled read's progress (follower_task.read_state), set by its thread. */
enum { READ_QUEUED, READ_LOCKED, READ_DONE };

typedef struct follower_task {
	uv_work_t work;
	follower *f;
	uint64_t gen;
	char *payload;
	exec_task task;
	exec_result res;
	node_wb_item witem;    /* in a write batch */
	uint64_t arrival;      /* follower.arrivals when it came */
	atomic_int read_state; /* a listed read: READ_*, written by its pool thread */
	atomic_int cancel;     /* a listed read: 1 asks its pool thread to stop */
	int listed;            /* in follower.reads */
	struct follower_task *rprev, *rnext;
	/* SHUFFLE_SEND: the query's rows split by owner (on the pool) */
	uint32_t nparts;
	mur_buf *parts;
	uint64_t *part_rows;
} follower_task;

struct follower_fetch {
	follower *f;
	uint64_t gen;
	node_peer_fetch *job;
	char file[EXEC_PLACEMENT_NAME_MAX];
	follower_fetch *prev, *next;
};

static void usage(FILE *out)
{
	fprintf(out,
		"usage: murphy follower --dir DIR --listen HOST:PORT --join HOST:PORT [--name "
		"NAME]\n"
		"                       [--group-commit on|off] [--node-tls on|off]\n"
		"                       [--node-tls-cert FILE --node-tls-key FILE --node-tls-ca "
		"FILE]\n"
		"\n"
		"Runs one follower in the foreground, logging to stderr.\n"
		"  --dir DIR        data directory: cluster.secret (copy of the leader's),\n"
		"                   murphy.pid, data/ (one SQLite file per shard placement)\n"
		"  --listen H:P     this follower's node address (follower-to-follower traffic)\n"
		"  --join H:P       the leader's node address (murphy leader --listen)\n"
		"  --name NAME      node name in murphy.nodes (default: basename of DIR)\n"
		"  --group-commit on|off\n"
		"                   on: placements run synchronous=NORMAL and every write is\n"
		"                   made durable in one follower WAL (DIR/data/follower.wal.*),\n"
		"                   one fsync per batch of concurrent writes (default on;\n"
		"                   MURPHY_GROUP_COMMIT=0 turns it off too)\n" NODE_TLS_USAGE
		"SIGTERM or SIGINT shuts it down after running tasks finish.\n");
}

/* ---- shutdown ------------------------------------------------------------ */

static void shutdown_follower(follower *f, int exit_code)
{
	if (f->stopping)
		return;
	f->stopping = 1;
	f->exit_code = exit_code;
	clu_member_stop(f->member);
	node_peer_server_stop(f->peer);
	node_shuffle_hub_stop(f->shuffle);
	for (follower_fetch *ff = f->fetches; ff; ff = ff->next)
		node_peer_fetch_cancel(ff->job, "the follower is shutting down");
	/* signals stay armed (a second one forces the exit) but no longer
	 * keep the loop alive; they are closed after uv_run returns */
	uv_unref((uv_handle_t *)&f->sigterm);
	uv_unref((uv_handle_t *)&f->sigint);
	if (f->running)
		MLOG(INFO, "follower", "waiting for %d running task(s)", f->running);
}

/* Placements held exclusively (storage/db.c, "Locking") and idle for
 * STOR_EXCL_IDLE_MS let other processes (sqlite3, a checker) open them. */
static void release_idle_locks(uv_timer_t *t)
{
	follower *f = t->data;
	stor_dir_release_idle_locks(f->stor, STOR_EXCL_IDLE_MS);
}

static void on_signal(uv_signal_t *s, int signum)
{
	follower *f = s->data;
	if (f->stopping) {
		MLOG(WARN, "follower", "signal %d again: exiting without waiting for %d task(s)",
		     signum, f->running);
		_exit(1);
	}
	MLOG(INFO, "follower", "signal %d: shutting down", signum);
	shutdown_follower(f, 0);
}

/* ---- tasks ------------------------------------------------------------- */

/* SHUFFLE_SEND on the pool, after its query: split the rows by owner. */
static void split_parts(follower_task *ft)
{
	char(*owners)[NET_NAME_MAX] = calloc(EXEC_SHUFFLE_PARTS_MAX, NET_NAME_MAX);
	int n = owners ? node_shuffle_owners(ft->task.shuffle_to, owners, EXEC_SHUFFLE_PARTS_MAX)
		       : -1;
	exec_result *res = &ft->res;

	free(owners);
	if (n < 1 || ft->task.shuffle_hash_cols > res->ncols) {
		mur_error_set(&res->err, SQLSTATE_PROTOCOL_VIOLATION,
			      "SHUFFLE_SEND with owners \"%s\" and %u hash columns of %u",
			      ft->task.shuffle_to, ft->task.shuffle_hash_cols, res->ncols);
		res->failed = 1;
		return;
	}
	ft->parts = calloc((size_t)n, sizeof *ft->parts);
	ft->part_rows = calloc((size_t)n, sizeof *ft->part_rows);
	if (!ft->parts || !ft->part_rows) {
		mur_error_set(&res->err, SQLSTATE_OUT_OF_MEMORY, "out of memory");
		res->failed = 1;
		return;
	}
	ft->nparts = (uint32_t)n;
	for (int i = 0; i < n; i++)
		mur_buf_init(&ft->parts[i]);
	if (ft->task.shuffle_hash_cols == 0) {
		/* broadcast: every owner gets every row */
		for (int i = 0; i < n; i++) {
			mur_buf_put(&ft->parts[i], res->rows.data, res->rows.len);
			ft->part_rows[i] = res->nrows;
			if (!mur_buf_ok(&ft->parts[i])) {
				mur_error_set(&res->err, SQLSTATE_OUT_OF_MEMORY, "out of memory");
				res->failed = 1;
			}
		}
	} else if (exec_shuffle_partition(res->rows.data, res->rows.len, res->nrows, res->ncols,
					  ft->task.shuffle_hash_cols, &ft->task.shuffle_keys,
					  ft->nparts, ft->parts, ft->part_rows,
					  &res->err) != MUR_OK) {
		res->failed = 1;
	}
	mur_buf_free(&res->rows);
	mur_buf_init(&res->rows);
}

static void task_work(uv_work_t *w)
{
	follower_task *ft = w->data;
	exec_task_run_ordered(ft->f->stor, &ft->task, &ft->res, &ft->read_state, &ft->cancel);
	atomic_store_explicit(&ft->read_state, READ_DONE, memory_order_release);
	if (ft->task.kind == EXEC_TASK_SHUFFLE_SEND && !ft->res.failed)
		split_parts(ft);
}

/* ---- reads in arrival order ---------------------------------------------- */

static int is_read(const exec_task *t)
{
	return t->kind == EXEC_TASK_QUERY || t->kind == EXEC_TASK_SHUFFLE_SEND;
}

static void reads_add(follower *f, follower_task *ft)
{
	ft->rprev = f->reads_tail;
	ft->rnext = NULL;
	if (f->reads_tail)
		f->reads_tail->rnext = ft;
	else
		f->reads_head = ft;
	f->reads_tail = ft;
	ft->listed = 1;
}

static void reads_remove(follower *f, follower_task *ft)
{
	if (!ft->listed)
		return;
	if (ft->rprev)
		ft->rprev->rnext = ft->rnext;
	else
		f->reads_head = ft->rnext;
	if (ft->rnext)
		ft->rnext->rprev = ft->rprev;
	else
		f->reads_tail = ft->rprev;
	ft->listed = 0;
}

/* node_wb_wait_fn: 1 while a read that arrived before the write has not
 * fixed its view of the write's placement. */
static int write_waits(void *arg, const node_wb_item *it)
{
	follower *f = arg;
	const follower_task *w = (const follower_task *)((const char *)it -
							 offsetof(follower_task, witem));
	const char *file = it->task->placements[0];
	for (follower_task *r = f->reads_head; r && r->arrival < w->arrival; r = r->rnext) {
		int state = atomic_load_explicit(&r->read_state, memory_order_acquire);
		for (uint32_t i = 0; i < r->task.nplacements; i++)
			if (state < (i == 0 ? READ_LOCKED : READ_DONE) &&
			    strcmp(r->task.placements[i], file) == 0)
				return 1;
	}
	return 0;
}

static void task_free(follower_task *ft)
{
	for (uint32_t i = 0; i < ft->nparts; i++)
		mur_buf_free(&ft->parts[i]);
	free(ft->parts);
	free(ft->part_rows);
	exec_result_free(&ft->res);
	exec_task_free_decoded(&ft->task);
	free(ft->payload);
	free(ft);
}

/* A shuffle job (SEND) or entry (RECV) has its answer. */
static void shuffle_done(void *arg, exec_result *res)
{
	follower_task *ft = arg;
	follower *f = ft->f;
	mur_error err;
	f->running--;
	if (!f->stopping)
		clu_member_send_result(f->member, ft->gen, res, &err);
	task_free(ft);
}

/* ---- the split fence --------------------------------------------------------
 *
 * A SPLIT step installs new files (replication/repl_split.c).  One that
 * came on a connection since closed (the leader was killed, say, while
 * this follower was stopped with the task unread) still runs; the new
 * leader's STATUS must list what it installs, or the files it leaves are
 * orphans no STATUS reports until the next reconnect.  So a STATUS that
 * arrives while SPLIT steps of older connections run is parked until the
 * last of them is done (all on the loop thread). */

static void split_fence_roll(follower *f, uint64_t gen)
{
	if (gen == f->split_gen)
		return;
	f->splits_old += f->splits_cur;
	f->splits_cur = 0;
	f->split_gen = gen;
}

static void task_done(uv_work_t *w, int status);
static void answer_busy(follower *f, uint64_t gen, uint64_t task_id);

static void split_step_done(follower *f, uint64_t gen)
{
	follower_task *st = f->status_parked;
	int rc;
	if (gen == f->split_gen)
		f->splits_cur--;
	else
		f->splits_old--;
	if (f->splits_old > 0 || !st)
		return;
	f->status_parked = NULL;
	rc = uv_queue_work(&f->loop, &st->work, task_work, task_done);
	if (rc == 0) {
		f->running++;
		return;
	}
	MLOG(ERROR, "follower", "cannot queue a task: %s", uv_strerror(rc));
	answer_busy(f, st->gen, st->task.id);
	task_free(st);
}

static void task_done(uv_work_t *w, int status)
{
	follower_task *ft = w->data;
	follower *f = ft->f;
	mur_error err;

	(void)status; /* UV_ECANCELED never happens: we do not cancel work */
	reads_remove(f, ft);
	if (ft->task.kind == EXEC_TASK_SHUFFLE_SEND && !ft->res.failed && !f->stopping) {
		if (node_shuffle_send_start(f->shuffle, &ft->task, ft->parts, ft->part_rows,
					    ft->nparts, ft->res.ncols, &ft->res, shuffle_done, ft,
					    &err) == MUR_OK)
			return; /* shuffle_done answers and frees */
		ft->res.failed = 1;
		ft->res.err = err;
	}
	f->running--;
	if (!f->stopping)
		clu_member_send_result(f->member, ft->gen, &ft->res, &err);
	if (ft->task.kind == EXEC_TASK_SPLIT)
		split_step_done(f, ft->gen);
	task_free(ft);
}

/* ---- write batches (follower/write_batch.h) ------------------------------- */

/* A batch is durable: answer its items, in one socket write. */
static void batch_done(void *arg, node_wb_item *list)
{
	follower *f = arg;
	net_conn *leader = clu_member_conn(f->member);
	node_wb_item *it, *next;
	if (leader)
		net_conn_cork(leader); /* the group's results: one write */
	for (it = list; it; it = next) {
		follower_task *ft = (follower_task *)((char *)it - offsetof(follower_task, witem));
		next = it->next;
		task_done(&ft->work, 0);
	}
	if (leader)
		net_conn_uncork(leader);
}

/* A batch ran, its records are not durable yet: answer early the WRITEs
 * whose leader asked for it (exec_task.early) and that committed, one
 * frame each, in one socket write; their final answers (after the fsync,
 * batch_done) then carry no rows and no changeset.  With the follower WAL
 * off or broken a write was durable when it committed: one answer. */
static void batch_early(void *arg, node_wb_item *list)
{
	follower *f = arg;
	net_conn *leader = clu_member_conn(f->member);
	int corked = 0;
	mur_error err;
	if (f->stopping || !leader || !stor_fwal_on(f->stor))
		return;
	for (node_wb_item *it = list; it; it = it->next) {
		follower_task *ft = (follower_task *)((char *)it - offsetof(follower_task, witem));
		if (!ft->task.early || ft->task.kind != EXEC_TASK_WRITE || ft->res.failed)
			continue;
		if (!corked++)
			net_conn_cork(leader);
		ft->res.early = 1;
		clu_member_send_result(f->member, ft->gen, &ft->res, &err);
		ft->res.early = 0;
		mur_buf_reset(&ft->res.rows);
		mur_buf_reset(&ft->res.blob);
		ft->res.nrows = 0;
		ft->res.ncols = 0;
	}
	if (corked)
		net_conn_uncork(leader);
}

/* Answer a task we will not run (too many in flight). */
static void answer_busy(follower *f, uint64_t gen, uint64_t task_id)
{
	exec_result res;
	mur_error err;

	exec_result_init(&res);
	res.task_id = task_id;
	res.failed = 1;
	mur_error_set(&res.err, SQLSTATE_INSUFFICIENT_RESOURCES,
		      "follower \"%s\" has too many tasks in flight (limit %d)", f->name,
		      FOLLOWER_TASKS_MAX);
	clu_member_send_result(f->member, gen, &res, &err);
	exec_result_free(&res);
}

/* Answer a task with a failure without running it. */
static void answer_error(follower *f, uint64_t gen, uint64_t task_id, const mur_error *e)
{
	exec_result res;
	mur_error err;

	exec_result_init(&res);
	res.task_id = task_id;
	res.failed = 1;
	res.err = *e;
	clu_member_send_result(f->member, gen, &res, &err);
	exec_result_free(&res);
}

/* ---- REBUILD / CATCHUP ---------------------------------------------------- */

static void fetch_progress(void *arg, const net_progress *pr)
{
	follower_fetch *ff = arg;
	mur_error err;
	/* advisory: a full send queue drops it */
	clu_member_send_progress(ff->f->member, ff->gen, pr, &err);
}

static void fetch_done(void *arg, exec_result *res)
{
	follower_fetch *ff = arg;
	follower *f = ff->f;
	mur_error err;

	if (ff->prev)
		ff->prev->next = ff->next;
	else
		f->fetches = ff->next;
	if (ff->next)
		ff->next->prev = ff->prev;
	f->running--;
	if (!f->stopping)
		clu_member_send_result(f->member, ff->gen, res, &err);
	free(ff);
}

static void start_fetch(follower *f, uint64_t gen, const exec_task *t)
{
	static const node_peer_fetch_cbs cbs = {.on_progress = fetch_progress,
						.on_done = fetch_done};
	follower_fetch *ff;
	mur_error err;

	for (ff = f->fetches; ff; ff = ff->next)
		if (t->nplacements > 0 && strcmp(ff->file, t->placements[0]) == 0) {
			mur_error_set(&err, "55006",
				      "a rebuild or catch-up of %s is already "
				      "running on follower \"%s\"",
				      ff->file, f->name);
			answer_error(f, gen, t->id, &err);
			return;
		}
	ff = calloc(1, sizeof *ff);
	if (!ff) {
		mur_error_set(&err, SQLSTATE_OUT_OF_MEMORY, "out of memory");
		answer_error(f, gen, t->id, &err);
		return;
	}
	ff->f = f;
	ff->gen = gen;
	snprintf(ff->file, sizeof ff->file, "%s", t->nplacements ? t->placements[0] : "");
	if (node_peer_fetch_start(&f->loop, f->stor, t, &f->hello, &cbs, ff, &ff->job, &err) !=
	    MUR_OK) {
		free(ff);
		answer_error(f, gen, t->id, &err);
		return;
	}
	ff->next = f->fetches;
	if (f->fetches)
		f->fetches->prev = ff;
	f->fetches = ff;
	f->running++;
}

/* QUERY_CANCEL: stop the read with that id if it is still queued or
 * running (its thread sees the flag); answered at once either way. */
static void run_query_cancel(follower *f, uint64_t gen, const exec_task *t)
{
	exec_result res;
	mur_error err;
	for (follower_task *r = f->reads_head; r; r = r->rnext)
		if (r->task.id == t->target_id)
			atomic_store_explicit(&r->cancel, 1, memory_order_relaxed);
	exec_result_init(&res);
	res.task_id = t->id;
	clu_member_send_result(f->member, gen, &res, &err);
	exec_result_free(&res);
}

/* SYNC: the write batches left unsynced are synced at the loop's next
 * turn (follower/write_batch.h, "Sync later"); answered at once (their
 * own answers follow the fsync). */
static void run_sync(follower *f, uint64_t gen, const exec_task *t)
{
	exec_result res;
	mur_error err;
	node_wbatch_sync_soon(f->wbatch);
	exec_result_init(&res);
	res.task_id = t->id;
	clu_member_send_result(f->member, gen, &res, &err);
	exec_result_free(&res);
}

/* FAULT runs on the loop thread: it changes this process (net faults,
 * signals), not a placement. */
static void run_fault(follower *f, uint64_t gen, const exec_task *t)
{
	exec_result res;
	mur_error err;

	exec_result_init(&res);
	res.task_id = t->id;
	node_fault_apply(&f->loop, t, &res);
	res.task_id = t->id;
	clu_member_send_result(f->member, gen, &res, &err);
	exec_result_free(&res);
}

/* ---- dispatch ------------------------------------------------------------- */

static int on_task(void *arg, uint64_t gen, char *payload, size_t len)
{
	follower *f = arg;
	follower_task *ft;
	int rc;
	uint64_t id;
	char why[160];
	mur_error e;

	ft = calloc(1, sizeof *ft);
	if (!ft) {
		free(payload);
		return -1; /* the leader fails it when the connection closes */
	}
	if ((rc = exec_task_decode_why(payload, len, &ft->task, &id, why, sizeof why)) != MUR_OK) {
		free(payload);
		free(ft);
		if (rc != MUR_EPROTO || id == 0)
			return -1; /* no task to answer: the leader fails them as the connection closes */
		/* only this task fails: the connection serves the others */
		MLOG(WARN, "follower", "malformed task %llu from the leader: %s",
		     (unsigned long long)id, why);
		mur_error_set(&e, SQLSTATE_PROTOCOL_VIOLATION,
			      "follower \"%s\" got a malformed task from the leader: %s", f->name,
			      why);
		answer_error(f, gen, id, &e);
		return 0;
	}
	exec_fence_observe(ft->task.epoch);
	ft->arrival = ++f->arrivals;
	if (!f->stopping && f->running < FOLLOWER_TASKS_MAX &&
	    (ft->task.kind == EXEC_TASK_SHUFFLE_RECV || ft->task.kind == EXEC_TASK_SHUFFLE_FETCH ||
	     ft->task.kind == EXEC_TASK_SHUFFLE_CANCEL)) {
		ft->f = f;
		ft->gen = gen;
		ft->payload = payload;
		exec_result_init(&ft->res);
		if (ft->task.kind == EXEC_TASK_SHUFFLE_CANCEL) {
			node_shuffle_hub_cancel(f->shuffle, ft->task.shuffle_id, ft->task.sql);
			ft->res.task_id = ft->task.id;
			f->running++;
			shuffle_done(ft, &ft->res);
			return 0;
		}
		f->running++;
		if (ft->task.kind == EXEC_TASK_SHUFFLE_FETCH)
			node_shuffle_hub_fetch(f->shuffle, &ft->task, shuffle_done, ft);
		else
			node_shuffle_hub_recv(f->shuffle, &ft->task, shuffle_done, ft);
		return 0;
	}
	if (f->stopping || f->running >= FOLLOWER_TASKS_MAX || ft->task.kind == EXEC_TASK_REBUILD ||
	    ft->task.kind == EXEC_TASK_CATCHUP || ft->task.kind == EXEC_TASK_FAULT ||
	    ft->task.kind == EXEC_TASK_QUERY_CANCEL || ft->task.kind == EXEC_TASK_SYNC) {
		if (ft->task.kind == EXEC_TASK_QUERY_CANCEL)
			run_query_cancel(f, gen, &ft->task); /* even when busy: it frees a thread */
		else if (ft->task.kind == EXEC_TASK_SYNC)
			run_sync(f, gen, &ft->task); /* even when busy: it answers writes */
		else if (f->stopping || f->running >= FOLLOWER_TASKS_MAX)
			answer_busy(f, gen, ft->task.id);
		else if (ft->task.kind == EXEC_TASK_FAULT)
			run_fault(f, gen, &ft->task);
		else
			start_fetch(f, gen, &ft->task); /* copies what it needs */
		exec_task_free_decoded(&ft->task);
		free(payload);
		free(ft);
		return 0;
	}
	ft->f = f;
	ft->gen = gen;
	ft->payload = payload;
	exec_result_init(&ft->res);
	ft->work.data = ft;
	/* A point lookup on a free placement runs right here: a thread-pool
	 * round trip costs more than the lookup itself. */
	if (ft->task.quick && !f->stopping &&
	    exec_task_run_try(f->stor, &ft->task, &ft->res) != MUR_EAGAIN) {
		f->running++;
		task_done(&ft->work, 0);
		return 0;
	}
	if (f->wbatch && node_wbatch_takes(&ft->task)) {
		f->running++;
		ft->witem.task = &ft->task;
		ft->witem.res = &ft->res;
		node_wbatch_add(f->wbatch, &ft->witem);
		return 0;
	}
	if (ft->task.kind == EXEC_TASK_SPLIT || ft->task.kind == EXEC_TASK_STATUS)
		split_fence_roll(f, gen);
	if (ft->task.kind == EXEC_TASK_STATUS && f->splits_old > 0 && !f->status_parked) {
		MLOG(INFO, "follower",
		     "STATUS waits for %d split step(s) of an earlier leader connection",
		     f->splits_old);
		f->status_parked = ft; /* queued by split_step_done */
		return 0;
	}
	if (ft->task.kind == EXEC_TASK_SPLIT)
		f->splits_cur++;
	if (is_read(&ft->task))
		reads_add(f, ft);
	rc = uv_queue_work(&f->loop, &ft->work, task_work, task_done);
	if (rc != 0) {
		MLOG(ERROR, "follower", "cannot queue a task: %s", uv_strerror(rc));
		if (ft->task.kind == EXEC_TASK_SPLIT)
			f->splits_cur--;
		reads_remove(f, ft);
		answer_busy(f, gen, ft->task.id);
		exec_task_free_decoded(&ft->task);
		free(payload);
		free(ft);
		return 0;
	}
	f->running++;
	return 0;
}

static void on_welcome(void *arg, uint32_t node_id)
{
	follower *f = arg;
	MLOG(INFO, "follower", "%s is node %u", f->name, node_id);
	node_shuffle_hub_drop_kept(f->shuffle); /* no cursor of the old connection reads them */
}

/* How often the data directory's size is measured for the heartbeat: a
 * stat per file, so not every 500 ms heartbeat. */
#define FOLLOWER_DISK_EVERY_MS 5000

/* Placement files only (their SQLite -wal and -shm, the follower WAL: the
 * leader counts none of them per copy). */
static void put_file(void *arg, const char *file, uint64_t bytes)
{
	size_t n = strlen(file);
	if (n > 3 && strcmp(file + n - 3, ".db") == 0)
		net_heartbeat_file_put(arg, file, bytes);
}

/* clu_member_cbs.disk_bytes: the data directory's bytes, measured at most
 * every FOLLOWER_DISK_EVERY_MS; each file's size with a new measurement
 * (the leader's per-copy bytes: murphy.shard_load, the rebalancer). */
static uint64_t disk_bytes(void *arg, mur_buf *files, int *fresh)
{
	follower *f = arg;
	uint64_t now = mur_now_ms();
	if (!f->disk_at_ms || now - f->disk_at_ms >= FOLLOWER_DISK_EVERY_MS) {
		f->disk_bytes = stor_dir_files(f->stor, put_file, files);
		f->disk_at_ms = now;
		*fresh = 1;
	}
	return f->disk_bytes;
}

static void on_refused(void *arg, const char *reason)
{
	follower *f = arg;
	MLOG(ERROR, "follower", "the leader refused this follower: %s", reason);
	shutdown_follower(f, 1);
}

/* ---- main ---------------------------------------------------------------- */

typedef struct follower_args {
	const char *dir, *listen, *join, *name, *group_commit;
	node_tls_opts node_tls; /* --node-tls* (node_tls.h) */
} follower_args;

/* 0 ok, 1 --help printed, -1 usage error (printed). */
static int parse_args(int argc, char **argv, follower_args *a)
{
	memset(a, 0, sizeof *a);
	node_tls_opts_init(&a->node_tls);
	for (int i = 1; i < argc; i++) {
		const char *opt = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
		const char **dst = NULL;
		int rc;
		if (strcmp(opt, "--help") == 0 || strcmp(opt, "-h") == 0) {
			usage(stdout);
			return 1;
		}
		if (strcmp(opt, "--dir") == 0)
			dst = &a->dir;
		else if (strcmp(opt, "--listen") == 0)
			dst = &a->listen;
		else if (strcmp(opt, "--join") == 0)
			dst = &a->join;
		else if (strcmp(opt, "--name") == 0)
			dst = &a->name;
		else if (strcmp(opt, "--group-commit") == 0)
			dst = &a->group_commit;
		else if (v && node_tls_parse("follower", opt, v, &a->node_tls, &rc)) {
			if (rc != MUR_OK)
				return -1;
			i++;
			continue;
		}
		if (!dst) {
			fprintf(stderr, "murphy follower: unknown option '%s'\n", opt);
			usage(stderr);
			return -1;
		}
		if (!v) {
			fprintf(stderr, "murphy follower: %s needs a value\n", opt);
			return -1;
		}
		*dst = v;
		i++;
	}
	if (a->group_commit && strcmp(a->group_commit, "on") != 0 &&
	    strcmp(a->group_commit, "off") != 0) {
		fprintf(stderr, "murphy follower: --group-commit takes on or off\n");
		return -1;
	}
	if (!a->dir || !a->listen || !a->join) {
		fprintf(stderr, "murphy follower: --dir, --listen and --join are required\n");
		usage(stderr);
		return -1;
	}
	return 0;
}

/* basename of dir without trailing slashes. */
static void default_name(const char *dir, char *out, size_t outsz)
{
	size_t end = strlen(dir), start;
	while (end > 1 && dir[end - 1] == '/')
		end--;
	start = end;
	while (start > 0 && dir[start - 1] != '/')
		start--;
	snprintf(out, outsz, "%.*s", (int)(end - start), dir + start);
}

/* Everything that can fail before the loop runs; messages go to stderr. */
static int prepare(follower *f, const follower_args *a, net_hello *hello)
{
	struct sockaddr_storage sa;
	char path[FOLLOWER_PATH_MAX];
	mur_error err;
	int rc;

	if (net_parse_addr(a->listen, &sa, &err) != MUR_OK ||
	    net_parse_addr(a->join, &sa, &err) != MUR_OK) {
		MLOG(ERROR, "follower", "%s", err.message);
		return -1;
	}
	if (strlen(a->listen) >= NET_NAME_MAX) {
		MLOG(ERROR, "follower", "--listen address is too long (limit %d)",
		     NET_NAME_MAX - 1);
		return -1;
	}
	mur_datadir_private();
	if (mur_datadir_mkdirs(f->dir, &err) != MUR_OK ||
	    mur_datadir_write_pid(f->dir, &err) != MUR_OK) {
		MLOG(ERROR, "follower", "%s", err.message);
		return -1;
	}
	rc = mur_datadir_read_secret(f->dir, hello->secret, sizeof hello->secret, &err);
	if (rc == MUR_ENOTFOUND) {
		MLOG(ERROR, "follower",
		     "no cluster secret: copy the leader's DIR/cluster.secret to "
		     "%s/cluster.secret",
		     f->dir);
		goto remove_pid;
	}
	if (rc != MUR_OK) {
		MLOG(ERROR, "follower", "%s", err.message);
		goto remove_pid;
	}
	if (node_tls_setup("follower", f->dir, a->listen, &a->node_tls, &f->node_tls) != MUR_OK)
		goto remove_pid;
	snprintf(path, sizeof path, "%s/data", f->dir);
	if (stor_dir_open(path, &f->stor, &err) != MUR_OK) {
		MLOG(ERROR, "follower", "%s", err.message);
		goto remove_pid;
	}
	/* Replay the follower WAL before any task runs. */
	int gc = a->group_commit ? strcmp(a->group_commit, "on") == 0 : stor_fwal_env_enabled();
	if ((gc ? stor_fwal_start(f->stor, NULL, NULL, &err)
		: stor_fwal_recover(f->stor, NULL, &err)) != MUR_OK) {
		MLOG(ERROR, "follower", "follower WAL: %s", err.message);
		stor_dir_close(f->stor);
		goto remove_pid;
	}
	hello->version = NET_PROTO_VERSION;
	snprintf(hello->name, sizeof hello->name, "%s", f->name);
	snprintf(hello->addr, sizeof hello->addr, "%s", a->listen);
	return 0;

remove_pid:
	mur_datadir_remove_pid(f->dir);
	return -1;
}

static int start_loop_parts(follower *f, const follower_args *a, const net_hello *hello)
{
	static const clu_member_cbs mcbs = {.on_welcome = on_welcome,
					    .on_refused = on_refused,
					    .on_task = on_task,
					    .disk_bytes = disk_bytes};
	mur_error err;

	if (node_peer_server_start(&f->loop, a->listen, f->stor, hello->secret, &f->peer, &err) !=
	    MUR_OK) {
		MLOG(ERROR, "follower", "%s", err.message);
		return -1;
	}
	if (node_shuffle_hub_create(&f->loop, hello, a->listen, &f->shuffle, &err) != MUR_OK) {
		MLOG(ERROR, "follower", "%s", err.message);
		node_peer_server_stop(f->peer);
		return -1;
	}
	node_peer_server_set_shuffle(f->peer, f->shuffle);
	f->wbatch = node_wbatch_new(&f->loop, f->stor, batch_done, batch_early, write_waits,
				    f); /* NULL: all on the pool */
	if (clu_member_start(&f->loop, a->join, hello, &mcbs, f, &f->member, &err) != MUR_OK) {
		MLOG(ERROR, "follower", "%s", err.message);
		node_peer_server_stop(f->peer);
		node_shuffle_hub_stop(f->shuffle);
		node_wbatch_close(f->wbatch);
		f->wbatch = NULL;
		return -1;
	}
	uv_timer_init(&f->loop, &f->lock_timer);
	f->lock_timer.data = f;
	uv_timer_start(&f->lock_timer, release_idle_locks, STOR_EXCL_IDLE_MS, STOR_EXCL_IDLE_MS);
	uv_unref((uv_handle_t *)&f->lock_timer); /* never what keeps the loop running */
	uv_signal_init(&f->loop, &f->sigterm);
	uv_signal_init(&f->loop, &f->sigint);
	f->sigterm.data = f->sigint.data = f;
	uv_signal_start(&f->sigterm, on_signal, SIGTERM);
	uv_signal_start(&f->sigint, on_signal, SIGINT);
	return 0;
}

int node_follower_main(int argc, char **argv)
{
	follower_args a;
	net_hello hello;
	follower *f;
	int rc = parse_args(argc, argv, &a);

	if (rc != 0)
		return rc > 0 ? 0 : 2;
	f = calloc(1, sizeof *f);
	if (!f)
		return 1;
	f->dir = a.dir;
	if (a.name)
		snprintf(f->name, sizeof f->name, "%s", a.name);
	else
		default_name(a.dir, f->name, sizeof f->name);
	mur_log_init(f->name, MUR_LOG_INFO);
	memset(&hello, 0, sizeof hello);
	if (prepare(f, &a, &hello) != 0) {
		free(f);
		return 1;
	}
	setenv("UV_THREADPOOL_SIZE", FOLLOWER_THREADS_DEFAULT, 0); /* 0: keep the user's */
	uv_loop_init(&f->loop);
	f->hello = hello;
	if (start_loop_parts(f, &a, &hello) != 0) {
		f->exit_code = 1;
		goto close_loop;
	}
	MLOG(INFO, "follower", "%s: data in %s/data, peers on %s, joining %s", f->name, f->dir,
	     a.listen, a.join);
	uv_run(&f->loop, UV_RUN_DEFAULT);
	node_wbatch_close(f->wbatch);
	uv_close((uv_handle_t *)&f->lock_timer, NULL);
	uv_close((uv_handle_t *)&f->sigterm, NULL);
	uv_close((uv_handle_t *)&f->sigint, NULL);
close_loop:
	uv_run(&f->loop, UV_RUN_DEFAULT);
	if (uv_loop_close(&f->loop) != 0)
		MLOG(WARN, "follower", "loop closed with handles still open");
	stor_dir_close(f->stor);
	mur_datadir_remove_pid(f->dir);
	net_tls_use(NULL);
	mur_tls_ctx_free(f->node_tls);
	MLOG(INFO, "follower", "stopped");
	rc = f->exit_code;
	free(f);
	return rc;
}
