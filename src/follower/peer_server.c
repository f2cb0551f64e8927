/*
 * peer_server.c — the source side of follower-to-follower streaming
 * (session state machine in peer.h, frames in wire/proto.h).
 *
 * Structs: node_peer_server (listener, secret, list of sessions) and one
 * peer_session per connection.  A session has at most one work item on the
 * thread pool (making a snapshot, reading a snapshot chunk, reading log
 * entries); everything else happens on the loop thread.
 *
 * Flow of a request: the request frame starts it (ps_fetch_snapshot /
 * ps_fetch_log), pump() queues the next read when the window and the send
 * queue allow, after_work() sends what was read and pumps again; the last
 * chunk is followed by *_END and request_end() returns to IDLE.  PEER_ACK
 * frames and the drain check (a uv_check_t running while the send queue is
 * over NODE_PEER_SENDQ_RESUME_BYTES) also pump.
 *
 * Lifetime: a session is freed when its connection has closed, no work is
 * on the pool, and its two handles (keepalive timer, drain check) have
 * closed; the server once stopping and its last session is gone.
 */
#include "follower/peer.h"

#include "cluster/cluster.h"
#include "common/log.h"
#include "net/net.h"
#include "follower/shuffle.h"
#include "storage/replog.h"
#include "wire/node_auth.h"

#include <assert.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

typedef enum ps_state { PS_HELLO_WAIT, PS_IDLE, PS_SNAPSHOT, PS_LOG } ps_state;
typedef enum ps_work { PW_NONE, PW_SNAP_MAKE, PW_SNAP_READ, PW_LOG_READ } ps_work;

typedef struct peer_session peer_session;

struct node_peer_server {
	uv_loop_t *loop;
	stor_dir *dir;
	char secret[NET_SECRET_MAX + 1];
	char tmp_dir[STOR_PATH_MAX];
	net_listener *lis;
	int port;
	peer_session *sessions;
	int nsessions;
	int nsnapshots; /* sessions in PS_SNAPSHOT */
	uint64_t next_id;
	node_shuffle_hub *shuffle; /* SHUFFLE_DATA goes there (NULL: refused) */
	int stopping;
};

struct peer_session {
	node_peer_server *s;
	net_conn *conn; /* NULL once closed */
	uint64_t id;
	ps_state state;
	net_handshake hs;                      /* CHALLENGE and HELLO nonces (wire/node_auth.h) */
	char who[NET_NAME_MAX + NET_ADDR_MAX]; /* "f2 (127.0.0.1:4242)" for logs */
	uv_timer_t keepalive;
	uv_check_t drain;
	int handles_open;
	int closing;
	uv_work_t work;
	ps_work working;
	/* the request */
	char file[NET_NAME_MAX];
	uint32_t unacked;
	int eof; /* nothing more to read: *_END follows the last chunk */
	/* snapshot */
	char tmp_path[STOR_PATH_MAX];
	int fd;
	uint64_t total, offset, snap_lsn;
	/* log */
	stor_db *db;
	uint64_t after, upto, req_upto;
	uint64_t after_entry; /* the fetcher's entry at `after` (0: unknown) */
	/* work output */
	mur_buf out;
	uint64_t nentries;
	int work_rc;
	mur_error err;
	peer_session *prev, *next;
};

static void pump(peer_session *ss);

/* ---- lifetime ------------------------------------------------------------ */

static void server_maybe_free(node_peer_server *s)
{
	if (s->stopping && s->nsessions == 0)
		free(s);
}

/* Release what the current request holds (loop thread: close and unlink
 * are quick next to the copy they end). */
static void request_end(peer_session *ss)
{
	if (ss->state == PS_SNAPSHOT)
		ss->s->nsnapshots--;
	if (ss->fd >= 0)
		close(ss->fd);
	ss->fd = -1;
	if (ss->tmp_path[0])
		unlink(ss->tmp_path);
	ss->tmp_path[0] = '\0';
	if (ss->db)
		stor_dir_put(ss->s->dir, ss->db);
	ss->db = NULL;
	mur_buf_free(&ss->out);
	ss->eof = 0;
	if (ss->state != PS_HELLO_WAIT)
		ss->state = PS_IDLE;
	uv_timer_stop(&ss->keepalive);
	uv_check_stop(&ss->drain);
}

static void handle_closed(uv_handle_t *h)
{
	peer_session *ss = h->data;
	node_peer_server *s = ss->s;

	if (--ss->handles_open > 0)
		return;
	if (ss->prev)
		ss->prev->next = ss->next;
	else
		s->sessions = ss->next;
	if (ss->next)
		ss->next->prev = ss->prev;
	s->nsessions--;
	free(ss);
	server_maybe_free(s);
}

/* Free once the conn is closed and no work is out. */
static void session_maybe_free(peer_session *ss)
{
	if (ss->conn || ss->working != PW_NONE || ss->closing)
		return;
	ss->closing = 1;
	request_end(ss);
	uv_close((uv_handle_t *)&ss->keepalive, handle_closed);
	uv_close((uv_handle_t *)&ss->drain, handle_closed);
}

static void send_frame(peer_session *ss, uint8_t type, const mur_buf *b)
{
	mur_error err;
	if (!ss->conn || !net_conn_is_open(ss->conn))
		return; /* closing: on_close follows */
	if (!mur_buf_ok(b)) {
		net_conn_close(ss->conn, "out of memory encoding a peer frame");
		return;
	}
	if (net_conn_send(ss->conn, type, b->data, b->len, &err) != MUR_OK) {
		MLOG(WARN, "peer", "closing %s: %s", ss->who, err.message);
		net_conn_close(ss->conn, err.message);
	}
}

/* PEER_ERROR with e, then back to IDLE (the connection stays usable). */
static void request_fail(peer_session *ss, const mur_error *e)
{
	mur_buf b;
	MLOG(WARN, "peer", "%s: %s of %s failed: %s %s", ss->who,
	     ss->state == PS_LOG ? "log" : "snapshot", ss->file, e->sqlstate, e->message);
	mur_buf_init(&b);
	net_peer_error_encode(e, &b);
	send_frame(ss, NET_MSG_PEER_ERROR, &b);
	mur_buf_free(&b);
	request_end(ss);
}

/* ---- thread pool --------------------------------------------------------- */

static void snap_make(peer_session *ss)
{
	struct stat sb;

	unlink(ss->tmp_path); /* a leftover would make VACUUM INTO fail */
	ss->work_rc = stor_snapshot(ss->s->dir, ss->file, ss->tmp_path, &ss->snap_lsn, &ss->err);
	if (ss->work_rc != MUR_OK)
		return;
	ss->fd = open(ss->tmp_path, O_RDONLY | O_CLOEXEC);
	if (ss->fd < 0 || fstat(ss->fd, &sb) != 0) {
		ss->work_rc = mur_error_set(&ss->err, SQLSTATE_IO_ERROR,
					    "could not open snapshot \"%s\": %s", ss->tmp_path,
					    strerror(errno));
		return;
	}
	ss->total = (uint64_t)sb.st_size;
}

static void snap_read(peer_session *ss)
{
	size_t want = NET_PEER_SNAPSHOT_CHUNK_BYTES, got = 0;

	if (ss->total - ss->offset < want)
		want = (size_t)(ss->total - ss->offset);
	mur_buf_reset(&ss->out);
	net_snapshot_chunk_header_encode(ss->offset, ss->total, ss->snap_lsn, &ss->out);
	if (mur_buf_reserve(&ss->out, want) != MUR_OK) {
		ss->work_rc = mur_error_set(&ss->err, SQLSTATE_OUT_OF_MEMORY, "out of memory");
		return;
	}
	while (got < want) {
		ssize_t n = pread(ss->fd, ss->out.data + ss->out.len + got, want - got,
				  (off_t)(ss->offset + got));
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			ss->work_rc =
				mur_error_set(&ss->err, SQLSTATE_IO_ERROR,
					      "could not read snapshot \"%s\": %s", ss->tmp_path,
					      n < 0 ? strerror(errno) : "unexpected end of file");
			return;
		}
		got += (size_t)n;
	}
	ss->out.len += got;
	ss->work_rc = MUR_OK;
}

/* Cut the entries (replog.h wire encoding) at data[0..len) after the last
 * one with lsn <= upto.  Returns the bytes kept; *n and *last describe
 * them. */
static size_t cut_entries(const char *data, size_t len, uint64_t upto, uint64_t *n, uint64_t *last)
{
	size_t off = 0;
	*n = 0;
	while (off < len) {
		mur_rd r;
		stor_entry e;
		mur_rd_init(&r, data + off, len - off);
		if (stor_entry_get(&r, &e) != MUR_OK || e.lsn > upto)
			break;
		off += STOR_ENTRY_HEADER_BYTES + e.len;
		(*n)++;
		*last = e.lsn;
	}
	return off;
}

static void log_read(peer_session *ss)
{
	uint64_t n = 0, last = ss->after;
	size_t hdr;

	ss->nentries = 0;
	if (!ss->db) {
		ss->work_rc = stor_dir_get(ss->s->dir, ss->file, 0, &ss->db, &ss->err);
		if (ss->work_rc != MUR_OK)
			return;
		/* "latest" is the lsn now: a busy shard must not keep us
		 * streaming forever */
		uint64_t cur = stor_lsn(ss->db);
		ss->upto = ss->req_upto && ss->req_upto < cur ? ss->req_upto : cur;
		/* Same history?  The fetcher's last entry must be ours, or the
		 * entries that follow would land on a different past. */
		if (ss->after > 0 && ss->after_entry != 0 && ss->after <= cur) {
			int found = 0;
			uint64_t eid = 0;
			ss->work_rc = stor_log_entry_at(ss->db, ss->after, &found, &eid, &ss->err);
			if (ss->work_rc != MUR_OK)
				return;
			if (!found || eid != ss->after_entry) {
				ss->work_rc = mur_error_set(&ss->err, "55000",
							    "%s: the copy being caught up %s at "
							    "lsn %llu; rebuild it",
							    ss->file,
							    found ? "holds a different entry"
								  : "cannot be verified",
							    (unsigned long long)ss->after);
				return;
			}
		}
	}
	ss->work_rc = MUR_OK;
	if (ss->after >= ss->upto)
		return;
	mur_buf_reset(&ss->out);
	net_log_chunk_header_encode(0, 0, 0, &ss->out); /* patched below */
	hdr = ss->out.len;
	ss->work_rc = stor_log_read(ss->db, ss->after, NET_PEER_LOG_CHUNK_BYTES, &ss->out, &n,
				    &last, &ss->err);
	if (ss->work_rc != MUR_OK)
		return;
	if (!mur_buf_ok(&ss->out)) {
		ss->work_rc = mur_error_set(&ss->err, SQLSTATE_OUT_OF_MEMORY, "out of memory");
		return;
	}
	if (last > ss->upto)
		ss->out.len = hdr + cut_entries(ss->out.data + hdr, ss->out.len - hdr, ss->upto, &n,
						&last);
	ss->nentries = n;
	if (n) {
		size_t len = ss->out.len;
		ss->out.len = 0; /* rewrite the header in place */
		net_log_chunk_header_encode(n, last, ss->upto, &ss->out);
		ss->out.len = len;
		ss->after = last;
	}
}

static void work_cb(uv_work_t *w)
{
	peer_session *ss = w->data;
	switch (ss->working) {
	case PW_SNAP_MAKE:
		snap_make(ss);
		break;
	case PW_SNAP_READ:
		snap_read(ss);
		break;
	case PW_LOG_READ:
		log_read(ss);
		break;
	case PW_NONE:
		break;
	}
}

static void queue_work(peer_session *ss, ps_work kind);

/* Back on the loop: send what was read, or the error. */
static void after_work(uv_work_t *w, int status)
{
	peer_session *ss = w->data;
	ps_work kind = ss->working;
	mur_buf b;

	(void)status;
	ss->working = PW_NONE;
	if (!ss->conn || ss->state == PS_IDLE) {
		session_maybe_free(ss);
		return;
	}
	if (ss->work_rc != MUR_OK) {
		request_fail(ss, &ss->err);
		return;
	}
	if (kind == PW_SNAP_MAKE) {
		MLOG(INFO, "peer", "%s: streaming snapshot of %s (%llu bytes, lsn %llu)", ss->who,
		     ss->file, (unsigned long long)ss->total, (unsigned long long)ss->snap_lsn);
		net_conn_set_read_timeout(ss->conn, NODE_PEER_READ_TIMEOUT_MS);
		ss->eof = ss->offset >= ss->total;
	} else if (kind == PW_SNAP_READ) {
		send_frame(ss, NET_MSG_SNAPSHOT_CHUNK, &ss->out);
		ss->offset += ss->out.len - NET_SNAPSHOT_CHUNK_HEADER_BYTES;
		ss->unacked++;
		ss->eof = ss->offset >= ss->total;
	} else if (ss->nentries) {
		send_frame(ss, NET_MSG_LOG_CHUNK, &ss->out);
		ss->unacked++;
		ss->eof = ss->after >= ss->upto;
	} else {
		ss->eof = 1;
	}
	if (!ss->conn || !ss->eof) {
		pump(ss);
		return;
	}
	mur_buf_init(&b);
	if (ss->state == PS_SNAPSHOT)
		net_snapshot_end_encode(ss->total, ss->snap_lsn, &b);
	else
		net_log_end_encode(ss->after, &b);
	send_frame(ss, ss->state == PS_SNAPSHOT ? NET_MSG_SNAPSHOT_END : NET_MSG_LOG_END, &b);
	mur_buf_free(&b);
	request_end(ss);
}

static void queue_work(peer_session *ss, ps_work kind)
{
	int rc;

	ss->working = kind;
	ss->work.data = ss;
	rc = uv_queue_work(ss->s->loop, &ss->work, work_cb, after_work);
	/* uv_queue_work fails only for a NULL work_cb (UV_EINVAL) */
	assert(rc == 0);
	(void)rc;
}

static void drain_cb(uv_check_t *h)
{
	peer_session *ss = h->data;
	if (!ss->conn || net_conn_sendq_bytes(ss->conn) < NODE_PEER_SENDQ_RESUME_BYTES) {
		uv_check_stop(h);
		pump(ss);
	}
}

/* Queue the next read if the request wants one and flow control allows. */
static void pump(peer_session *ss)
{
	if (!ss->conn || !net_conn_is_open(ss->conn) || ss->working != PW_NONE || ss->eof ||
	    (ss->state != PS_SNAPSHOT && ss->state != PS_LOG))
		return;
	if (ss->unacked >= NET_PEER_WINDOW_CHUNKS)
		return; /* the next PEER_ACK pumps */
	if (net_conn_sendq_bytes(ss->conn) >= NODE_PEER_SENDQ_RESUME_BYTES) {
		uv_check_start(&ss->drain, drain_cb); /* runs after each I/O round */
		return;
	}
	queue_work(ss, ss->state == PS_SNAPSHOT ? PW_SNAP_READ : PW_LOG_READ);
}

static void keepalive_cb(uv_timer_t *t)
{
	peer_session *ss = t->data;
	mur_buf b;
	mur_buf_init(&b);
	net_heartbeat_encode(0, 0, NULL, &b);
	send_frame(ss, NET_MSG_HEARTBEAT, &b);
	mur_buf_free(&b);
}

/* ---- requests ------------------------------------------------------------ */

static void request_start(peer_session *ss, ps_state st, const char *file)
{
	snprintf(ss->file, sizeof ss->file, "%s", file);
	ss->state = st;
	ss->eof = 0;
	uv_timer_start(&ss->keepalive, keepalive_cb, NET_PEER_KEEPALIVE_MS, NET_PEER_KEEPALIVE_MS);
}

static void on_fetch_snapshot(peer_session *ss, const char *p, size_t len)
{
	node_peer_server *s = ss->s;
	char file[NET_NAME_MAX];
	mur_error err;

	if (net_fetch_snapshot_decode(p, len, file, &err) != MUR_OK) {
		net_conn_close(ss->conn, err.message);
		return;
	}
	request_start(ss, PS_SNAPSHOT, file);
	s->nsnapshots++;
	if (!stor_file_name_ok(file) || s->nsnapshots > NODE_PEER_SNAPSHOTS_MAX) {
		if (!stor_file_name_ok(file))
			mur_error_set(&err, SQLSTATE_INVALID_PARAMETER_VALUE,
				      "invalid placement file name \"%s\"", file);
		else
			mur_error_set(&err, SQLSTATE_INSUFFICIENT_RESOURCES,
				      "too many snapshots in progress on this follower (limit %d)",
				      NODE_PEER_SNAPSHOTS_MAX);
		request_fail(ss, &err);
		return;
	}
	if (snprintf(ss->tmp_path, sizeof ss->tmp_path, "%s/%s.snap.%llu", s->tmp_dir, file,
		     (unsigned long long)ss->id) >= (int)sizeof ss->tmp_path) {
		ss->tmp_path[0] = '\0';
		mur_error_set(&err, SQLSTATE_PROGRAM_LIMIT_EXCEEDED, "temp path too long");
		request_fail(ss, &err);
		return;
	}
	MLOG(INFO, "peer", "%s: making a snapshot of %s", ss->who, file);
	ss->offset = ss->total = ss->snap_lsn = 0;
	/* VACUUM INTO takes as long as the file is big: the fetcher stays
	 * quiet meanwhile, our keepalive tells it we are alive */
	net_conn_set_read_timeout(ss->conn, 0);
	queue_work(ss, PW_SNAP_MAKE);
}

static void on_fetch_log(peer_session *ss, const char *p, size_t len)
{
	net_fetch_log f;
	mur_error err;

	if (net_fetch_log_decode(p, len, &f, &err) != MUR_OK) {
		net_conn_close(ss->conn, err.message);
		return;
	}
	request_start(ss, PS_LOG, f.file);
	if (!stor_file_name_ok(f.file)) {
		mur_error_set(&err, SQLSTATE_INVALID_PARAMETER_VALUE,
			      "invalid placement file name \"%s\"", f.file);
		request_fail(ss, &err);
		return;
	}
	ss->after = f.after_lsn;
	ss->after_entry = f.after_entry_id;
	ss->req_upto = f.upto_lsn;
	ss->upto = 0;
	MLOG(INFO, "peer", "%s: log of %s after lsn %llu%s", ss->who, f.file,
	     (unsigned long long)f.after_lsn, f.upto_lsn ? "" : " up to the latest");
	queue_work(ss, PW_LOG_READ);
}

static int refuse(peer_session *ss, const char *reason)
{
	mur_buf b;
	MLOG(WARN, "peer", "refusing %s: %s", ss->who, reason);
	mur_buf_init(&b);
	net_refused_encode(reason, &b);
	send_frame(ss, NET_MSG_REFUSED, &b);
	mur_buf_free(&b);
	if (ss->conn)
		net_conn_shutdown(ss->conn, reason);
	return 0;
}

static void on_hello(peer_session *ss, const char *p, size_t len)
{
	net_hello h;
	mur_error err;
	mur_buf b;
	int rc = net_hello_check(&ss->hs, ss->s->secret, p, len, &h, &err);

	if (rc == MUR_ERR) { /* protocol version, or no proof of the secret */
		refuse(ss, err.message);
		return;
	}
	if (rc != MUR_OK) {
		net_conn_close(ss->conn, err.message);
		return;
	}
	snprintf(ss->who, sizeof ss->who, "peer %s (%s)", h.name, net_conn_peer(ss->conn));
	ss->state = PS_IDLE;
	net_conn_set_read_timeout(ss->conn, NODE_PEER_READ_TIMEOUT_MS);
	net_conn_set_frame_max(ss->conn, NET_FRAME_MAX); /* shuffle parts are big */
	mur_buf_init(&b);
	net_welcome_make(&ss->hs, ss->s->secret, &h, 0, &b);
	send_frame(ss, NET_MSG_WELCOME, &b);
	mur_buf_free(&b);
}

static void on_ack(peer_session *ss, const char *p, size_t len)
{
	uint32_t n;
	mur_error err;

	if (net_peer_ack_decode(p, len, &n, &err) != MUR_OK) {
		net_conn_close(ss->conn, err.message);
		return;
	}
	ss->unacked = n >= ss->unacked ? 0 : ss->unacked - n;
	pump(ss);
}

/* A part of a repartition shuffle for the hub (follower/shuffle.h). */
static void on_shuffle_data(peer_session *ss, const char *p, size_t len)
{
	net_shuffle_data d;
	mur_error err;
	mur_buf b;
	char *payload;
	size_t plen;

	if (net_shuffle_data_decode(p, len, &d, &err) != MUR_OK) {
		net_conn_close(ss->conn, err.message);
		return;
	}
	mur_buf_init(&b);
	if (!ss->s->shuffle) {
		mur_error_set(&err, SQLSTATE_FEATURE_NOT_SUPPORTED,
			      "this follower takes no shuffles");
		goto refuse;
	}
	if (!(payload = net_conn_take_payload(ss->conn, &plen))) {
		mur_error_set(&err, SQLSTATE_OUT_OF_MEMORY, "out of memory");
		goto refuse;
	}
	if (node_shuffle_hub_data(ss->s->shuffle, payload, plen, &err) != MUR_OK)
		goto refuse;
	if (d.last) {
		net_shuffle_ack_encode(d.shuffle_id, d.source, &b);
		send_frame(ss, NET_MSG_SHUFFLE_ACK, &b);
	}
	mur_buf_free(&b);
	return;
refuse:
	net_peer_error_encode(&err, &b);
	send_frame(ss, NET_MSG_PEER_ERROR, &b);
	mur_buf_free(&b);
}

static void on_frame(net_conn *c, uint8_t type, const char *p, size_t len)
{
	peer_session *ss = net_conn_arg(c);
	char why[128];

	if (ss->state == PS_HELLO_WAIT && type == NET_MSG_HELLO)
		on_hello(ss, p, len);
	else if (ss->state == PS_HELLO_WAIT)
		net_conn_close(c, "expected HELLO");
	else if (type == NET_MSG_PEER_ACK)
		on_ack(ss, p, len);
	else if (type == NET_MSG_HEARTBEAT)
		; /* keepalive */
	else if (type == NET_MSG_SHUFFLE_DATA)
		on_shuffle_data(ss, p, len);
	else if (ss->state != PS_IDLE &&
		 (type == NET_MSG_FETCH_SNAPSHOT || type == NET_MSG_FETCH_LOG))
		net_conn_close(c, "a second request while one is running");
	else if (type == NET_MSG_FETCH_SNAPSHOT)
		on_fetch_snapshot(ss, p, len);
	else if (type == NET_MSG_FETCH_LOG)
		on_fetch_log(ss, p, len);
	else {
		snprintf(why, sizeof why, "unexpected %s on the peer port", net_msg_name(type));
		MLOG(WARN, "peer", "closing %s: %s", ss->who, why);
		net_conn_close(c, why);
	}
}

static void on_close(net_conn *c, const char *reason)
{
	peer_session *ss = net_conn_arg(c);
	MLOG(DEBUG, "peer", "%s closed: %s", ss->who, reason);
	ss->conn = NULL;
	if (ss->working == PW_NONE)
		session_maybe_free(ss);
}

static const net_conn_cbs session_cbs = {.on_frame = on_frame,
					 .on_close = on_close,
					 .type_ok = net_msg_type_ok};

/* ---- server -------------------------------------------------------------- */

static void on_accept(net_listener *l, net_conn *c, void *arg)
{
	node_peer_server *s = arg;
	peer_session *ss;
	mur_error err;
	mur_buf b;

	if (s->stopping || s->nsessions >= NODE_PEER_SESSIONS_MAX ||
	    !(ss = calloc(1, sizeof *ss))) {
		MLOG(WARN, "peer", "refusing peer connection from %s: %s", net_conn_peer(c),
		     s->stopping ? "shutting down" : "too many peer connections");
		net_conn_close(c, "refused");
		return;
	}
	ss->s = s;
	ss->conn = c;
	ss->id = s->next_id++;
	ss->fd = -1;
	snprintf(ss->who, sizeof ss->who, "peer %s", net_conn_peer(c));
	uv_timer_init(s->loop, &ss->keepalive);
	uv_check_init(s->loop, &ss->drain);
	ss->keepalive.data = ss->drain.data = ss;
	ss->handles_open = 2;
	ss->next = s->sessions;
	if (s->sessions)
		s->sessions->prev = ss;
	s->sessions = ss;
	s->nsessions++;
	net_conn_start(c, &session_cbs, ss);
	net_conn_set_frame_max(c, NET_FRAME_MAX_UNAUTH); /* requests are small */
	net_conn_set_read_timeout(c, CLU_HELLO_TIMEOUT_MS);
	mur_buf_init(&b);
	if (net_challenge_make(&ss->hs, &b, &err) != MUR_OK)
		net_conn_close(c, err.message);
	else
		send_frame(ss, NET_MSG_CHALLENGE, &b);
	mur_buf_free(&b);
}

int node_peer_tmp_dir(const stor_dir *dir, char *buf, size_t bufsz)
{
	int n = snprintf(buf, bufsz, "%s/%s", stor_dir_path(dir), NODE_PEER_TMP_SUBDIR);
	return n < 0 || (size_t)n >= bufsz ? -1 : 0;
}

/* mkdir DIR/data/tmp and remove what a previous run left there. */
static int tmp_prepare(const char *tmp_dir, mur_error *err)
{
	DIR *d;
	struct dirent *e;
	char p[STOR_PATH_MAX + 256];

	if (mkdir(tmp_dir, 0700) != 0 && errno != EEXIST)
		return mur_error_set(err, SQLSTATE_IO_ERROR, "could not create \"%s\": %s", tmp_dir,
				     strerror(errno));
	if (!(d = opendir(tmp_dir)))
		return mur_error_set(err, SQLSTATE_IO_ERROR, "could not open \"%s\": %s", tmp_dir,
				     strerror(errno));
	while ((e = readdir(d)) != NULL) {
		if (e->d_name[0] == '.')
			continue;
		snprintf(p, sizeof p, "%s/%s", tmp_dir, e->d_name);
		if (unlink(p) == 0)
			MLOG(INFO, "peer", "removed leftover temp file %s", p);
	}
	closedir(d);
	return MUR_OK;
}

int node_peer_server_start(uv_loop_t *loop, const char *listen_addr, stor_dir *dir,
			   const char *secret, node_peer_server **out, mur_error *err)
{
	node_peer_server *s;

	if (strlen(secret) == 0 || strlen(secret) > NET_SECRET_MAX)
		return mur_error_set(err, SQLSTATE_INVALID_PARAMETER_VALUE,
				     "cluster secret must be 1 to %d characters", NET_SECRET_MAX);
	s = calloc(1, sizeof *s);
	if (!s)
		return mur_error_set(err, SQLSTATE_OUT_OF_MEMORY, "out of memory"), MUR_ENOMEM;
	s->loop = loop;
	s->dir = dir;
	s->next_id = 1;
	snprintf(s->secret, sizeof s->secret, "%s", secret);
	if (node_peer_tmp_dir(dir, s->tmp_dir, sizeof s->tmp_dir) != 0) {
		free(s);
		return mur_error_set(err, SQLSTATE_PROGRAM_LIMIT_EXCEEDED, "data path too long");
	}
	if (tmp_prepare(s->tmp_dir, err) != MUR_OK ||
	    net_listen(loop, listen_addr, on_accept, s, &s->lis, err) != MUR_OK) {
		free(s);
		return MUR_ERR;
	}
	s->port = net_listener_port(s->lis);
	*out = s;
	return MUR_OK;
}

void node_peer_server_stop(node_peer_server *s)
{
	if (s->stopping)
		return;
	s->stopping = 1;
	net_listener_close(s->lis);
	for (peer_session *ss = s->sessions; ss; ss = ss->next)
		if (ss->conn)
			net_conn_close(ss->conn, "follower is shutting down");
	server_maybe_free(s);
}

int node_peer_server_port(const node_peer_server *s) { return s->port; }

void node_peer_server_set_shuffle(node_peer_server *s, node_shuffle_hub *hub) { s->shuffle = hub; }
