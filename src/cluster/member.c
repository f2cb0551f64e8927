/*
 * member.c — the follower's link to the leader (state diagram in member.h).
 *
 * Structs: one clu_member with the current net_conn (or NULL), a
 * generation number bumped per connection, a heartbeat timer and a
 * reconnect timer.  The member frees itself once stopped and its conn and
 * both timers have closed.
 */
#include "cluster/member.h"

#include "cluster/cluster.h"
#include "common/clock.h"
#include "common/log.h"
#include "net/net.h"
#include "wire/node_auth.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef enum clu_member_state {
	CM_CONNECTING,
	CM_HELLO_SENT,
	CM_WELCOMED,
	CM_BACKOFF,
	CM_STOPPED,
} clu_member_state;

struct clu_member {
	uv_loop_t *loop;
	char leader_addr[NET_ADDR_MAX];
	net_hello hello;
	net_handshake hs; /* the current connection's nonces */
	clu_member_cbs cbs;
	void *arg;
	clu_member_state state;
	net_conn *conn;
	uint64_t gen;
	uint64_t backoff_ms;
	uv_timer_t hb_timer;
	uv_timer_t retry_timer;
	int handles_open; /* the two timers */
};

static void try_connect(clu_member *m);

static void maybe_free(clu_member *m)
{
	if (m->state == CM_STOPPED && m->handles_open == 0 && m->conn == NULL)
		free(m);
}

static void retry_cb(uv_timer_t *t) { try_connect(t->data); }

static void schedule_retry(clu_member *m, const char *why)
{
	if (m->state == CM_STOPPED)
		return;
	MLOG(INFO, "cluster", "leader %s: %s; retrying in %llu ms", m->leader_addr, why,
	     (unsigned long long)m->backoff_ms);
	m->state = CM_BACKOFF;
	uv_timer_start(&m->retry_timer, retry_cb, m->backoff_ms, 0);
	m->backoff_ms *= 2;
	if (m->backoff_ms > CLU_RECONNECT_MAX_MS)
		m->backoff_ms = CLU_RECONNECT_MAX_MS;
}

static void send_heartbeat(uv_timer_t *t)
{
	clu_member *m = t->data;
	mur_buf b, files;
	mur_error err;
	uint64_t disk;
	int fresh = 0;

	if (m->state != CM_WELCOMED)
		return;
	mur_buf_init(&b);
	mur_buf_init(&files);
	disk = m->cbs.disk_bytes ? m->cbs.disk_bytes(m->arg, &files, &fresh) : 0;
	net_heartbeat_encode(mur_wall_ms(), disk, fresh && mur_buf_ok(&files) ? &files : NULL, &b);
	mur_buf_free(&files);
	if (mur_buf_ok(&b) &&
	    net_conn_send(m->conn, NET_MSG_HEARTBEAT, b.data, b.len, &err) != MUR_OK)
		MLOG(WARN, "cluster", "cannot send heartbeat: %s", err.message);
	mur_buf_free(&b);
}

static void on_connect(net_conn *c)
{
	clu_member *m = net_conn_arg(c);

	m->gen++;
	m->state = CM_HELLO_SENT; /* HELLO goes out as the answer to CHALLENGE */
	/* the leader challenges at once; a silent peer is not a leader */
	net_conn_set_read_timeout(c, CLU_HELLO_TIMEOUT_MS);
}

/* CHALLENGE: prove the cluster secret in HELLO. */
static void on_challenge(clu_member *m, net_conn *c, const char *p, size_t len)
{
	mur_buf b;
	mur_error err;
	int rc;

	mur_buf_init(&b);
	rc = net_hello_answer(&m->hs, &m->hello, p, len, &b, &err);
	if (rc == MUR_OK && mur_buf_ok(&b))
		rc = net_conn_send(c, NET_MSG_HELLO, b.data, b.len, &err);
	else if (rc == MUR_OK)
		mur_error_set(&err, SQLSTATE_OUT_OF_MEMORY, "out of memory for HELLO"),
			rc = MUR_ERR;
	mur_buf_free(&b);
	if (rc != MUR_OK)
		net_conn_close(c, err.message);
}

static void on_welcome(clu_member *m, net_conn *c, const char *p, size_t len)
{
	uint32_t id;
	mur_error err;

	if (net_welcome_check(&m->hs, &m->hello, p, len, &id, &err) != MUR_OK) {
		net_conn_close(c, err.message);
		return;
	}
	m->state = CM_WELCOMED;
	m->backoff_ms = CLU_RECONNECT_MIN_MS;
	net_conn_set_read_timeout(c, 0);
	MLOG(INFO, "cluster", "joined leader %s as node %u", m->leader_addr, id);
	send_heartbeat(&m->hb_timer);
	uv_timer_start(&m->hb_timer, send_heartbeat, CLU_HEARTBEAT_INTERVAL_MS,
		       CLU_HEARTBEAT_INTERVAL_MS);
	if (m->cbs.on_welcome)
		m->cbs.on_welcome(m->arg, id);
}

static void on_frame(net_conn *c, uint8_t type, const char *p, size_t len)
{
	clu_member *m = net_conn_arg(c);
	char reason[NET_REASON_MAX], why[NET_REASON_MAX + 32];
	mur_error err;

	if (type == NET_MSG_CHALLENGE && m->state == CM_HELLO_SENT) {
		on_challenge(m, c, p, len);
	} else if (type == NET_MSG_WELCOME && m->state == CM_HELLO_SENT) {
		on_welcome(m, c, p, len);
	} else if (type == NET_MSG_REFUSED && m->state == CM_HELLO_SENT) {
		if (net_refused_decode(p, len, reason, &err) != MUR_OK)
			snprintf(reason, sizeof reason, "(malformed REFUSED)");
		snprintf(why, sizeof why, "refused: %s", reason);
		net_conn_close(c, why);
		if (m->cbs.on_refused)
			m->cbs.on_refused(m->arg, reason);
	} else if (type == NET_MSG_TASK && m->state == CM_WELCOMED) {
		size_t n;
		char *own = net_conn_take_payload(c, &n);
		if (!own) {
			net_conn_close(c, "out of memory for a TASK");
			return;
		}
		if (m->cbs.on_task(m->arg, m->gen, own, n) != 0) {
			MLOG(WARN, "cluster", "malformed TASK from the leader; reconnecting");
			net_conn_close(c, "malformed TASK");
		}
	} else {
		snprintf(why, sizeof why, "unexpected %s from the leader", net_msg_name(type));
		MLOG(WARN, "cluster", "%s", why);
		net_conn_close(c, why);
	}
}

static void on_close(net_conn *c, const char *reason)
{
	clu_member *m = net_conn_arg(c);

	m->conn = NULL;
	uv_timer_stop(&m->hb_timer);
	if (m->state == CM_STOPPED) {
		maybe_free(m);
		return;
	}
	if (m->state == CM_WELCOMED)
		MLOG(WARN, "cluster", "lost the leader %s: %s", m->leader_addr, reason);
	schedule_retry(m, reason);
}

static const net_conn_cbs member_cbs = {
	.on_connect = on_connect,
	.on_frame = on_frame,
	.on_close = on_close,
	.type_ok = net_msg_type_ok,
};

static void try_connect(clu_member *m)
{
	mur_error err;

	if (m->state == CM_STOPPED)
		return;
	m->state = CM_CONNECTING;
	if (net_connect(m->loop, m->leader_addr, &member_cbs, m, &m->conn, &err) != MUR_OK) {
		m->conn = NULL;
		schedule_retry(m, err.message);
	}
}

int clu_member_start(uv_loop_t *loop, const char *leader_addr, const net_hello *hello,
		     const clu_member_cbs *cbs, void *arg, clu_member **out, mur_error *err)
{
	struct sockaddr_storage sa;
	clu_member *m;

	if (net_parse_addr(leader_addr, &sa, err) != MUR_OK)
		return MUR_ERR;
	m = calloc(1, sizeof *m);
	if (!m)
		return mur_error_set(err, SQLSTATE_OUT_OF_MEMORY, "out of memory"), MUR_ENOMEM;
	m->loop = loop;
	snprintf(m->leader_addr, sizeof m->leader_addr, "%s", leader_addr);
	m->hello = *hello;
	m->cbs = *cbs;
	m->arg = arg;
	m->backoff_ms = CLU_RECONNECT_MIN_MS;
	uv_timer_init(loop, &m->hb_timer);
	uv_timer_init(loop, &m->retry_timer);
	m->hb_timer.data = m;
	m->retry_timer.data = m;
	m->handles_open = 2;
	try_connect(m);
	*out = m;
	return MUR_OK;
}

static void timer_closed(uv_handle_t *h)
{
	clu_member *m = h->data;
	m->handles_open--;
	maybe_free(m);
}

void clu_member_stop(clu_member *m)
{
	if (m->state == CM_STOPPED)
		return;
	m->state = CM_STOPPED;
	if (m->conn)
		net_conn_close(m->conn, "follower is shutting down");
	uv_close((uv_handle_t *)&m->hb_timer, timer_closed);
	uv_close((uv_handle_t *)&m->retry_timer, timer_closed);
}

int clu_member_welcomed(const clu_member *m) { return m->state == CM_WELCOMED; }
net_conn *clu_member_conn(const clu_member *m) { return m->conn; }

int clu_member_send_result(clu_member *m, uint64_t gen, const exec_result *res, mur_error *err)
{
	mur_buf b;
	int rc;

	if (m->state != CM_WELCOMED || gen != m->gen || !m->conn) {
		MLOG(DEBUG, "cluster", "dropping the result of task %llu: its connection is gone",
		     (unsigned long long)res->task_id);
		return MUR_OK;
	}
	mur_buf_init(&b);
	exec_result_encode(res, &b);
	if (mur_buf_ok(&b) && b.len >= NET_FRAME_MAX) {
		exec_result big;
		exec_result_init(&big);
		big.task_id = res->task_id;
		big.failed = 1;
		mur_error_set(&big.err, SQLSTATE_PROGRAM_LIMIT_EXCEEDED,
			      "result of %zu bytes exceeds the node protocol limit of %u bytes",
			      b.len, NET_FRAME_MAX - 1);
		mur_buf_reset(&b);
		exec_result_encode(&big, &b);
		exec_result_free(&big);
	}
	if (!mur_buf_ok(&b)) {
		mur_buf_free(&b);
		return mur_error_set(err, SQLSTATE_OUT_OF_MEMORY,
				     "out of memory encoding a result");
	}
	rc = net_conn_send(m->conn, NET_MSG_RESULT, b.data, b.len, err);
	mur_buf_free(&b);
	if (rc != MUR_OK) {
		/* the leader waits for this result: make it fail the task now */
		MLOG(WARN, "cluster", "cannot send the result of task %llu: %s; reconnecting",
		     (unsigned long long)res->task_id, err ? err->message : "");
		net_conn_close(m->conn, "cannot send a result");
	}
	return rc;
}

int clu_member_send_progress(clu_member *m, uint64_t gen, const net_progress *pr, mur_error *err)
{
	mur_buf b;
	int rc;

	if (m->state != CM_WELCOMED || gen != m->gen || !m->conn)
		return MUR_OK;
	mur_buf_init(&b);
	net_progress_encode(pr, &b);
	rc = mur_buf_ok(&b) ? net_conn_send(m->conn, NET_MSG_PROGRESS, b.data, b.len, err)
			    : mur_error_set(err, SQLSTATE_OUT_OF_MEMORY, "out of memory");
	mur_buf_free(&b);
	return rc;
}
