/*
 * peer_fetch.c — one REBUILD or CATCHUP task fetched from a source
 * follower (job state machine in peer.h, frames in wire/proto.h).
 *
 * Structs: node_peer_fetch (the job) with a FIFO of received chunks
 * (pf_chunk, each owning its frame payload).  One work item at a time runs
 * on the thread pool: PREPARE, WRITE (a snapshot chunk into the temp file),
 * INSTALL, APPLY (a log chunk), FINISH.  Chunks arriving meanwhile wait in
 * the FIFO; the source sends at most NET_PEER_WINDOW_CHUNKS ahead of our
 * PEER_ACKs, which bounds it.
 *
 * Ending: fail() records the first error (naming the peer and the phase)
 * and closes the connection; succeed() closes it too.  try_finish() waits
 * for the work item and the connection's on_close, then queues FINISH
 * (close and remove the temp file; drop a placement a failed REBUILD had
 * installed; release the placement), whose completion calls on_done and
 * frees the job.
 *
 * Throttle (a move's murphy.move_max_mbps, exec_task.fetch_max_bps): a
 * snapshot chunk written ahead of the allowed rate is acknowledged only
 * when the rate allows (a timer), so the source, which sends at most
 * NET_PEER_WINDOW_CHUNKS unacknowledged, slows down with it.
 */
#include "follower/peer.h"

#include "cluster/cluster.h"
#include "common/clock.h"
#include "common/log.h"
#include "net/net.h"
#include "storage/replog.h"
#include "wire/node_auth.h"

#include <assert.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* The source had fewer entries than the target lsn (it is behind too):
 * the leader should pick another source.  Not 55000, which means "rebuild
 * instead". */
#define PF_SQLSTATE_PEER_BEHIND "58000"

typedef enum pf_state {
	PF_PREPARE,
	PF_CONNECT, /* connecting, then CHALLENGE answered with HELLO */
	PF_SNAPSHOT,
	PF_INSTALL,
	PF_LOG,
	PF_DONE, /* succeeded or failed: finishing */
} pf_state;

typedef enum pf_work { FW_NONE, FW_PREPARE, FW_WRITE, FW_INSTALL, FW_APPLY, FW_FINISH } pf_work;

static const char *const phase_names[] = {
	[PF_PREPARE] = "prepare", [PF_CONNECT] = "connect", [PF_SNAPSHOT] = "snapshot",
	[PF_INSTALL] = "install", [PF_LOG] = "log",         [PF_DONE] = "finish",
};

typedef struct pf_chunk {
	struct pf_chunk *next;
	char *payload;    /* the frame, owned */
	const char *data; /* bytes inside payload */
	size_t len;
	uint64_t offset; /* snapshot: file offset */
} pf_chunk;

struct node_peer_fetch {
	uv_loop_t *loop;
	stor_dir *dir;
	uint64_t task_id;
	uint8_t kind;
	char file[NET_NAME_MAX];
	char peer[sizeof(((exec_task *)0)->peer_addr)];
	uint64_t target;
	net_hello hello;
	net_handshake hs; /* the connection's nonces (wire/node_auth.h) */
	node_peer_fetch_cbs cbs;
	void *arg;
	uint64_t start_us;

	pf_state state;
	net_conn *conn;
	uv_work_t work;
	pf_work working;
	int work_rc;
	mur_error work_err;
	uint64_t work_lsn;
	pf_chunk *head, *tail, *cur;

	/* snapshot */
	char tmp_path[STOR_PATH_MAX];
	int fd;
	int have_snap;
	uint64_t snap_total, snap_lsn, snap_got, snap_written;
	int snap_end;
	int installed;
	/* log */
	stor_db *db;
	uint64_t lsn, log_start, upto;
	uint64_t base_entry; /* our entry id at log_start: the source checks it */
	int log_end;

	uint64_t max_bps;       /* snapshot throttle (0: none) */
	uint64_t snap_start_us; /* when the snapshot was asked for */
	uv_timer_t throttle;    /* acknowledges a chunk written ahead of the rate */
	int throttled;          /* an ack waits for the timer: nothing else starts */

	uint64_t progress_ms;
	int progressed;
	int failed;
	mur_error err;
};

static void pump(node_peer_fetch *j);
static void try_finish(node_peer_fetch *j);
static void after_work(uv_work_t *w, int status);

static const char *kind_name(const node_peer_fetch *j)
{
	return j->kind == EXEC_TASK_REBUILD ? "rebuild" : "catch-up";
}

/* Record the first failure: "rebuild of F from peer P failed in phase X:
 * why", keeping sqlstate; close the connection. */
static void fail(node_peer_fetch *j, const char *sqlstate, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static void fail(node_peer_fetch *j, const char *sqlstate, const char *fmt, ...)
{
	char why[MUR_ERROR_MESSAGE_MAX];
	va_list ap;

	if (!j->failed && j->state != PF_DONE) {
		va_start(ap, fmt);
		vsnprintf(why, sizeof why, fmt, ap);
		va_end(ap);
		mur_error_set(&j->err, sqlstate, "%s of %s from peer %s failed in phase %s: %s",
			      kind_name(j), j->file, j->peer, phase_names[j->state], why);
		MLOG(WARN, "peer", "%s", j->err.message);
		j->failed = 1;
		j->state = PF_DONE;
	}
	if (j->conn)
		net_conn_close(j->conn, "fetch failed");
	try_finish(j);
}

static void fail_err(node_peer_fetch *j, const mur_error *e)
{
	fail(j, e->sqlstate, "%s", e->message);
}

static void succeed(node_peer_fetch *j)
{
	MLOG(INFO, "peer", "%s of %s from %s done at lsn %llu", kind_name(j), j->file, j->peer,
	     (unsigned long long)j->lsn);
	j->state = PF_DONE;
	if (j->conn)
		net_conn_close(j->conn, "fetch done");
	try_finish(j);
}

static void send_small(node_peer_fetch *j, uint8_t type, const mur_buf *b)
{
	mur_error err;
	if (!j->conn || !net_conn_is_open(j->conn) || j->state == PF_DONE)
		return; /* closing: on_close reports why */
	if (!mur_buf_ok(b))
		fail(j, SQLSTATE_OUT_OF_MEMORY, "out of memory");
	else if (net_conn_send(j->conn, type, b->data, b->len, &err) != MUR_OK)
		fail_err(j, &err);
}

static void progress(node_peer_fetch *j)
{
	uint64_t now = mur_now_ms();
	net_progress pr;

	if (!j->cbs.on_progress ||
	    (j->progressed && now - j->progress_ms < NODE_PEER_PROGRESS_INTERVAL_MS))
		return;
	j->progressed = 1;
	j->progress_ms = now;
	memset(&pr, 0, sizeof pr);
	pr.task_id = j->task_id;
	snprintf(pr.file, sizeof pr.file, "%s", j->file);
	if (j->state == PF_SNAPSHOT) {
		snprintf(pr.phase, sizeof pr.phase, "snapshot");
		pr.done = j->snap_written;
		pr.total = j->snap_total;
	} else {
		snprintf(pr.phase, sizeof pr.phase, "log");
		pr.done = j->lsn - j->log_start;
		pr.total = j->upto > j->log_start ? j->upto - j->log_start : pr.done;
	}
	j->cbs.on_progress(j->arg, &pr);
}

/* ---- thread pool --------------------------------------------------------- */

static int io_fail(node_peer_fetch *j, const char *what, const char *path)
{
	return j->work_rc = mur_error_set(&j->work_err, SQLSTATE_IO_ERROR,
					  "could not %s \"%s\": %s", what, path, strerror(errno));
}

static void w_prepare(node_peer_fetch *j)
{
	char tmp_dir[STOR_PATH_MAX];

	if (j->kind == EXEC_TASK_CATCHUP) {
		j->work_rc = stor_dir_get(j->dir, j->file, 0, &j->db, &j->work_err);
		if (j->work_rc == MUR_OK) {
			j->lsn = j->log_start = stor_lsn(j->db);
			j->base_entry = stor_entry_id(j->db);
		}
		return;
	}
	if (node_peer_tmp_dir(j->dir, tmp_dir, sizeof tmp_dir) != 0 ||
	    snprintf(j->tmp_path, sizeof j->tmp_path, "%s/%s.rebuild", tmp_dir, j->file) >=
		    (int)sizeof j->tmp_path) {
		j->tmp_path[0] = '\0';
		j->work_rc = mur_error_set(&j->work_err, SQLSTATE_PROGRAM_LIMIT_EXCEEDED,
					   "temp path too long");
		return;
	}
	if (mkdir(tmp_dir, 0700) != 0 && errno != EEXIST) {
		io_fail(j, "create directory", tmp_dir);
		return;
	}
	unlink(j->tmp_path); /* a leftover of a failed attempt */
	j->fd = open(j->tmp_path, O_CREAT | O_EXCL | O_WRONLY | O_CLOEXEC, 0600);
	j->work_rc = j->fd < 0 ? io_fail(j, "create", j->tmp_path) : MUR_OK;
}

static void w_write(node_peer_fetch *j)
{
	const pf_chunk *c = j->cur;
	size_t done = 0;

	while (done < c->len) {
		ssize_t n = pwrite(j->fd, c->data + done, c->len - done, (off_t)(c->offset + done));
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			io_fail(j, "write", j->tmp_path);
			return;
		}
		done += (size_t)n;
	}
	j->work_rc = MUR_OK;
}

static void w_install(node_peer_fetch *j)
{
	int rc = fsync(j->fd);
	if (close(j->fd) != 0)
		rc = -1;
	j->fd = -1;
	if (rc != 0) {
		io_fail(j, "fsync", j->tmp_path);
		return;
	}
	j->work_rc = stor_dir_install(j->dir, j->file, j->tmp_path, &j->work_err);
	if (j->work_rc != MUR_OK)
		return;
	j->tmp_path[0] = '\0'; /* renamed into place */
	j->installed = 1;
	j->work_rc = stor_dir_get(j->dir, j->file, 0, &j->db, &j->work_err);
	if (j->work_rc == MUR_OK) {
		j->lsn = j->log_start = stor_lsn(j->db);
		j->base_entry = stor_entry_id(j->db);
	}
}

static void w_finish(node_peer_fetch *j)
{
	mur_error err;

	if (j->fd >= 0)
		close(j->fd);
	j->fd = -1;
	if (j->tmp_path[0])
		unlink(j->tmp_path);
	if (j->db)
		stor_dir_put(j->dir, j->db);
	j->db = NULL;
	/* a placement that never caught up is not a copy: leave nothing */
	if (j->failed && j->installed && stor_dir_drop(j->dir, j->file, &err) != MUR_OK)
		MLOG(WARN, "peer", "could not remove %s after a failed rebuild: %s", j->file,
		     err.message);
}

static void work_cb(uv_work_t *w)
{
	node_peer_fetch *j = w->data;
	switch (j->working) {
	case FW_PREPARE:
		w_prepare(j);
		break;
	case FW_WRITE:
		w_write(j);
		break;
	case FW_INSTALL:
		w_install(j);
		break;
	case FW_APPLY:
		j->work_rc = stor_apply_entries(j->db, j->cur->data, j->cur->len, &j->work_lsn,
						&j->work_err);
		break;
	case FW_FINISH:
		w_finish(j);
		break;
	case FW_NONE:
		break;
	}
}

static void queue_work(node_peer_fetch *j, pf_work kind)
{
	int rc;

	j->working = kind;
	j->work_rc = MUR_OK;
	j->work.data = j;
	rc = uv_queue_work(j->loop, &j->work, work_cb, after_work);
	/* uv_queue_work fails only for a NULL work_cb (UV_EINVAL) */
	assert(rc == 0);
	(void)rc;
}

static void chunk_free(pf_chunk *c)
{
	if (!c)
		return;
	free(c->payload);
	free(c);
}

static void ack(node_peer_fetch *j)
{
	mur_buf b;
	mur_buf_init(&b);
	net_peer_ack_encode(1, &b);
	send_small(j, NET_MSG_PEER_ACK, &b);
	mur_buf_free(&b);
}

/* ---- connection ---------------------------------------------------------- */

static void send_fetch_log(node_peer_fetch *j)
{
	net_fetch_log f;
	mur_buf b;

	j->state = PF_LOG;
	memset(&f, 0, sizeof f);
	snprintf(f.file, sizeof f.file, "%s", j->file);
	f.after_lsn = j->lsn;
	f.upto_lsn = j->target;
	f.after_entry_id = j->lsn == j->log_start ? j->base_entry : 0;
	j->upto = j->target > j->lsn ? j->target : j->lsn;
	if (j->conn)
		net_conn_set_read_timeout(j->conn, NODE_PEER_READ_TIMEOUT_MS);
	mur_buf_init(&b);
	net_fetch_log_encode(&f, &b);
	send_small(j, NET_MSG_FETCH_LOG, &b);
	mur_buf_free(&b);
}

static void on_connect(net_conn *c)
{
	/* the source challenges at once (HELLO answers it: on_challenge) */
	net_conn_set_read_timeout(c, CLU_HELLO_TIMEOUT_MS);
}

static void on_challenge(node_peer_fetch *j, const char *p, size_t len)
{
	mur_error err;
	mur_buf b;

	mur_buf_init(&b);
	if (net_hello_answer(&j->hs, &j->hello, p, len, &b, &err) != MUR_OK)
		fail_err(j, &err);
	else
		send_small(j, NET_MSG_HELLO, &b);
	mur_buf_free(&b);
}

static void on_welcome(node_peer_fetch *j, const char *p, size_t len)
{
	mur_buf b;
	mur_error err;
	uint32_t id;

	if (net_welcome_check(&j->hs, &j->hello, p, len, &id, &err) != MUR_OK)
		return fail_err(j, &err);

	net_conn_set_read_timeout(j->conn, NODE_PEER_READ_TIMEOUT_MS);
	if (j->kind == EXEC_TASK_CATCHUP) {
		send_fetch_log(j);
		return;
	}
	j->state = PF_SNAPSHOT;
	j->snap_start_us = mur_now_us();
	mur_buf_init(&b);
	net_fetch_snapshot_encode(j->file, &b);
	send_small(j, NET_MSG_FETCH_SNAPSHOT, &b);
	mur_buf_free(&b);
}

/* Queue a received chunk (the payload is taken from the conn). */
static int enqueue(node_peer_fetch *j, const char *p, const char *data, size_t len, uint64_t offset)
{
	pf_chunk *c = calloc(1, sizeof *c);
	size_t n;

	if (!c || !(c->payload = net_conn_take_payload(j->conn, &n))) {
		free(c);
		fail(j, SQLSTATE_OUT_OF_MEMORY, "out of memory for a chunk");
		return -1;
	}
	c->data = c->payload + (data - p);
	c->len = len;
	c->offset = offset;
	if (j->tail)
		j->tail->next = c;
	else
		j->head = c;
	j->tail = c;
	return 0;
}

static void on_snapshot_chunk(node_peer_fetch *j, const char *p, size_t len)
{
	net_snapshot_chunk c;
	mur_error err;

	if (net_snapshot_chunk_decode(p, len, &c, &err) != MUR_OK)
		return fail_err(j, &err);
	if (!j->have_snap) {
		j->have_snap = 1;
		j->snap_total = c.total;
		j->snap_lsn = c.lsn;
	}
	if (c.total != j->snap_total || c.lsn != j->snap_lsn || c.offset != j->snap_got ||
	    j->snap_end)
		return fail(j, SQLSTATE_PROTOCOL_VIOLATION,
			    "snapshot chunk at offset %llu out of sequence (expected %llu)",
			    (unsigned long long)c.offset, (unsigned long long)j->snap_got);
	if (enqueue(j, p, c.data, c.len, c.offset) == 0) {
		j->snap_got += c.len;
		pump(j);
	}
}

static void on_snapshot_end(node_peer_fetch *j, const char *p, size_t len)
{
	uint64_t total, lsn;
	mur_error err;

	if (net_snapshot_end_decode(p, len, &total, &lsn, &err) != MUR_OK)
		return fail_err(j, &err);
	if (!j->have_snap || total != j->snap_got || total != j->snap_total || lsn != j->snap_lsn)
		return fail(j, SQLSTATE_PROTOCOL_VIOLATION,
			    "snapshot ended after %llu of %llu bytes",
			    (unsigned long long)j->snap_got, (unsigned long long)total);
	j->snap_end = 1;
	net_conn_set_read_timeout(j->conn, 0); /* no request outstanding until FETCH_LOG */
	pump(j);
}

static void on_log_chunk(node_peer_fetch *j, const char *p, size_t len)
{
	net_log_chunk c;
	mur_error err;

	if (net_log_chunk_decode(p, len, &c, &err) != MUR_OK)
		return fail_err(j, &err);
	if (j->log_end)
		return fail(j, SQLSTATE_PROTOCOL_VIOLATION, "log chunk after LOG_END");
	j->upto = c.upto_lsn;
	if (enqueue(j, p, c.data, c.len, 0) == 0)
		pump(j);
}

static void on_frame(net_conn *conn, uint8_t type, const char *p, size_t len)
{
	node_peer_fetch *j = net_conn_arg(conn);
	char reason[NET_REASON_MAX];
	mur_error err, peer_err;
	uint64_t last;

	if (j->state == PF_DONE || type == NET_MSG_HEARTBEAT)
		return;
	if (j->state == PF_CONNECT && type == NET_MSG_CHALLENGE)
		return on_challenge(j, p, len);
	if (j->state == PF_CONNECT && type == NET_MSG_WELCOME)
		return on_welcome(j, p, len);
	if (j->state == PF_CONNECT && type == NET_MSG_REFUSED) {
		if (net_refused_decode(p, len, reason, &err) != MUR_OK)
			snprintf(reason, sizeof reason, "(malformed REFUSED)");
		return fail(j, SQLSTATE_INVALID_AUTHORIZATION, "refused: %s", reason);
	}
	if (type == NET_MSG_PEER_ERROR && (j->state == PF_SNAPSHOT || j->state == PF_LOG)) {
		if (net_peer_error_decode(p, len, &peer_err, &err) != MUR_OK)
			return fail_err(j, &err);
		return fail_err(j, &peer_err);
	}
	if (j->state == PF_SNAPSHOT && type == NET_MSG_SNAPSHOT_CHUNK)
		return on_snapshot_chunk(j, p, len);
	if (j->state == PF_SNAPSHOT && type == NET_MSG_SNAPSHOT_END)
		return on_snapshot_end(j, p, len);
	if (j->state == PF_LOG && type == NET_MSG_LOG_CHUNK)
		return on_log_chunk(j, p, len);
	if (j->state == PF_LOG && type == NET_MSG_LOG_END && !j->log_end) {
		if (net_log_end_decode(p, len, &last, &err) != MUR_OK)
			return fail_err(j, &err);
		j->log_end = 1;
		return pump(j);
	}
	fail(j, SQLSTATE_PROTOCOL_VIOLATION, "unexpected %s", net_msg_name(type));
}

static void on_close(net_conn *c, const char *reason)
{
	node_peer_fetch *j = net_conn_arg(c);

	j->conn = NULL;
	if (j->state != PF_DONE)
		fail(j, SQLSTATE_CONNECTION_FAILURE, "%s", reason);
	else
		try_finish(j);
}

static const net_conn_cbs fetch_cbs = {.on_connect = on_connect,
				       .on_frame = on_frame,
				       .on_close = on_close,
				       .type_ok = net_msg_type_ok};

static void connect_peer(node_peer_fetch *j)
{
	mur_error err;

	j->state = PF_CONNECT;
	if (net_connect(j->loop, j->peer, &fetch_cbs, j, &j->conn, &err) != MUR_OK) {
		j->conn = NULL;
		fail_err(j, &err);
	}
}

/* ---- driving ------------------------------------------------------------- */

/* Start the next piece of work the job is ready for. */
static void pump(node_peer_fetch *j)
{
	if (j->working != FW_NONE || j->state == PF_DONE || j->throttled)
		return;
	if (j->head) {
		j->cur = j->head;
		j->head = j->cur->next;
		if (!j->head)
			j->tail = NULL;
		queue_work(j, j->state == PF_SNAPSHOT ? FW_WRITE : FW_APPLY);
	} else if (j->state == PF_SNAPSHOT && j->snap_end) {
		j->state = PF_INSTALL;
		queue_work(j, FW_INSTALL);
	} else if (j->state == PF_LOG && j->log_end) {
		if (j->target && j->lsn < j->target)
			return fail(j, PF_SQLSTATE_PEER_BEHIND,
				    "the peer has entries up to lsn %llu only, the target is %llu",
				    (unsigned long long)j->lsn, (unsigned long long)j->target);
		succeed(j);
	}
}

/* A chunk's step is over: free it, acknowledge it, take the next. */
static void step_done(node_peer_fetch *j)
{
	chunk_free(j->cur);
	j->cur = NULL;
	ack(j);
	progress(j);
	pump(j);
}

static void on_throttle(uv_timer_t *t)
{
	node_peer_fetch *j = t->data;
	j->throttled = 0;
	step_done(j); /* j->cur is NULL: the chunk was freed when written */
}

/* 1 when the snapshot is ahead of the throttle: the timer acknowledges
 * the chunk when the rate allows. */
static int throttle_wait(node_peer_fetch *j)
{
	uint64_t due_us, now = mur_now_us();
	if (!j->max_bps)
		return 0;
	due_us = j->snap_start_us + (uint64_t)((double)j->snap_written * 1e6 / (double)j->max_bps);
	if (due_us <= now)
		return 0;
	j->throttled = 1;
	uv_timer_start(&j->throttle, on_throttle, (due_us - now + 999) / 1000, 0);
	return 1;
}

static void after_step(node_peer_fetch *j, pf_work kind)
{
	if (j->work_rc != MUR_OK)
		return fail_err(j, &j->work_err);
	switch (kind) {
	case FW_PREPARE:
		/* even with nothing to fetch (at or past the target): the
		 * source checks that our entry at our lsn is its own */
		return connect_peer(j);
	case FW_WRITE:
		j->snap_written += j->cur->len;
		if (throttle_wait(j)) {
			chunk_free(j->cur);
			j->cur = NULL;
			return;
		}
		break;
	case FW_APPLY:
		j->lsn = j->work_lsn;
		break;
	case FW_INSTALL:
		if (j->lsn != j->snap_lsn)
			MLOG(WARN, "peer", "snapshot of %s claimed lsn %llu, holds %llu", j->file,
			     (unsigned long long)j->snap_lsn, (unsigned long long)j->lsn);
		send_fetch_log(j);
		return;
	default:
		return;
	}
	step_done(j);
}

static void job_free(uv_handle_t *h) { free(h->data); }

static void after_work(uv_work_t *w, int status)
{
	node_peer_fetch *j = w->data;
	pf_work kind = j->working;
	exec_result res;

	(void)status;
	j->working = FW_NONE;
	if (kind == FW_FINISH) {
		exec_result_init(&res);
		res.task_id = j->task_id;
		res.elapsed_us = mur_now_us() - j->start_us;
		res.lsn = j->lsn;
		if (j->failed) {
			res.failed = 1;
			res.err = j->err;
			res.lsn = 0;
		}
		j->cbs.on_done(j->arg, &res);
		exec_result_free(&res);
		chunk_free(j->cur);
		while (j->head) {
			pf_chunk *c = j->head;
			j->head = c->next;
			chunk_free(c);
		}
		uv_close((uv_handle_t *)&j->throttle, job_free);
		return;
	}
	if (j->state == PF_DONE) /* failed or cancelled while the work ran */
		return try_finish(j);
	after_step(j, kind);
}

static void try_finish(node_peer_fetch *j)
{
	if (j->state == PF_DONE && j->throttled) { /* failed while an ack waited */
		uv_timer_stop(&j->throttle);
		j->throttled = 0;
	}
	if (j->state != PF_DONE || j->working != FW_NONE || j->conn)
		return;
	queue_work(j, FW_FINISH);
}

int node_peer_fetch_start(uv_loop_t *loop, stor_dir *dir, const exec_task *t,
			  const net_hello *hello, const node_peer_fetch_cbs *cbs, void *arg,
			  node_peer_fetch **out, mur_error *err)
{
	struct sockaddr_storage sa;
	node_peer_fetch *j;

	if (t->kind != EXEC_TASK_REBUILD && t->kind != EXEC_TASK_CATCHUP)
		return mur_error_set(err, SQLSTATE_INTERNAL_ERROR, "not a REBUILD/CATCHUP task");
	if (t->nplacements < 1 || !stor_file_name_ok(t->placements[0]))
		return mur_error_set(err, SQLSTATE_INVALID_PARAMETER_VALUE,
				     "%s task without a valid placement file",
				     t->kind == EXEC_TASK_REBUILD ? "REBUILD" : "CATCHUP");
	if (net_parse_addr(t->peer_addr, &sa, err) != MUR_OK) {
		mur_error_context(err, "peer address of task %llu", (unsigned long long)t->id);
		return MUR_ERR;
	}
	j = calloc(1, sizeof *j);
	if (!j)
		return mur_error_set(err, SQLSTATE_OUT_OF_MEMORY, "out of memory"), MUR_ENOMEM;
	j->loop = loop;
	j->dir = dir;
	j->task_id = t->id;
	j->kind = t->kind;
	snprintf(j->file, sizeof j->file, "%s", t->placements[0]);
	snprintf(j->peer, sizeof j->peer, "%s", t->peer_addr);
	j->target = t->lsn;
	j->max_bps = t->kind == EXEC_TASK_REBUILD ? t->fetch_max_bps : 0;
	uv_timer_init(loop, &j->throttle);
	j->throttle.data = j;
	j->hello = *hello;
	j->cbs = *cbs;
	j->arg = arg;
	j->fd = -1;
	j->start_us = mur_now_us();
	j->state = PF_PREPARE;
	MLOG(INFO, "peer", "%s of %s from %s (task %llu, target lsn %llu)", kind_name(j), j->file,
	     j->peer, (unsigned long long)j->task_id, (unsigned long long)j->target);
	queue_work(j, FW_PREPARE);
	*out = j;
	return MUR_OK;
}

void node_peer_fetch_cancel(node_peer_fetch *j, const char *reason)
{
	fail(j, SQLSTATE_QUERY_CANCELED, "cancelled: %s", reason);
}
