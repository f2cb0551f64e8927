/*
 * membership.c — clu_leader's follower connections: accept, HELLO check,
 * WELCOME/REFUSED, heartbeats, reconnects, stop.
 *
 * Per connection (clu_link):
 *
 *   accepted, CHALLENGE sent ──HELLO ok──► WELCOME queued ──join()──► welcomed ──close──► freed
 *      │   └──HELLO bad (version, proof of the secret)──► REFUSED, shutdown ───────────► freed
 *      └──garbage / silence > CLU_HELLO_TIMEOUT_MS / other frame──► closed, freed
 *
 * A (re)join is atomic with respect to tasks (invariant): k->node and
 * node->link are set only in join(), after WELCOME was queued on k, and
 * only then does the detector hear from the node (SUSPECT/DEAD → ALIVE)
 * and the change callback run.  So every task (clu_send_task needs
 * node->link) and every task a state change sends (the STATUS of a
 * returning follower) is queued behind WELCOME: a follower waiting for
 * WELCOME never sees a TASK first (it would drop the connection and
 * come back 2 s later, suspect again; issue 14).
 *
 * After WELCOME: HEARTBEAT (detector.c), RESULT (route.c), PROGRESS
 * (progress.c); anything else closes the connection.
 * Before HELLO a connection may send at most NET_FRAME_MAX_UNAUTH bytes per
 * frame: a stranger cannot make the leader buffer a 1 GiB frame.
 * Pending tasks are failed in the link's on_close (route.c).
 */
#include "cluster/cluster_int.h"

#include "common/buf.h"
#include "common/clock.h"
#include "common/log.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

_Static_assert(NET_NAME_MAX == CAT_NAME_MAX, "node names cross the wire and the catalog");

clu_node *clu_node_find(clu_leader *l, uint32_t id)
{
	for (int i = 0; i < l->nnodes; i++)
		if (l->nodes[i].id == id)
			return &l->nodes[i];
	return NULL;
}

clu_node *clu_node_add(clu_leader *l, uint32_t id, const char *name)
{
	clu_node *n = clu_node_find(l, id);
	if (n)
		return n;
	if (l->nnodes >= CAT_NODES_MAX) /* the catalog refuses more first */
		return NULL;
	n = &l->nodes[l->nnodes++];
	memset(n, 0, sizeof *n);
	n->id = id;
	snprintf(n->name, sizeof n->name, "%s", name);
	n->state = CAT_NODE_ALIVE;
	n->last_seen_ms = uv_now(l->loop); /* the detector's loop clock (detector.c) */
	/* boot time in the high bits: epochs keep growing across leader restarts */
	n->epoch = (uint64_t)mur_wall_ms() << 20;
	return n;
}

void clu_notify(clu_leader *l, uint32_t node_id)
{
	if (l->change_cb)
		l->change_cb(l->change_arg, node_id);
}

void clu_maybe_free(clu_leader *l)
{
	if (l->stopping && l->timer_closed == CLU_DETECTOR_TIMERS && l->nlinks == 0)
		free(l);
}

/* ---- one connection ------------------------------------------------------ */

static void link_unlink(clu_link *k)
{
	clu_leader *l = k->l;
	if (k->prev)
		k->prev->next = k->next;
	else
		l->links = k->next;
	if (k->next)
		k->next->prev = k->prev;
	l->nlinks--;
}

static void link_on_close(net_conn *c, const char *reason)
{
	clu_link *k = net_conn_arg(c);
	clu_leader *l = k->l;
	clu_node *n = k->node;
	char why[MUR_ERROR_MESSAGE_MAX];

	if (n) {
		MLOG(INFO, "cluster", "follower %s (node %u) disconnected: %s", n->name, n->id,
		     reason);
		snprintf(why, sizeof why, "lost connection to follower \"%s\" while it ran a task",
			 n->name);
		clu_route_fail_all(k, why);
		if (n->link == k) {
			n->link = NULL;
			clu_notify(l, n->id);
		}
	} else {
		MLOG(DEBUG, "cluster", "connection from %s closed before HELLO: %s",
		     net_conn_peer(c), reason);
	}
	link_unlink(k);
	free(k);
	clu_maybe_free(l);
}

/* Send REFUSED and close.  Returns 0 so callers can `return refuse(...)`. */
static int refuse(clu_link *k, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int refuse(clu_link *k, const char *fmt, ...)
{
	char reason[NET_REASON_MAX];
	mur_buf b;
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(reason, sizeof reason, fmt, ap);
	va_end(ap);
	MLOG(WARN, "cluster", "refusing %s: %s", net_conn_peer(k->conn), reason);
	mur_buf_init(&b);
	net_refused_encode(reason, &b);
	if (mur_buf_ok(&b))
		net_conn_send(k->conn, NET_MSG_REFUSED, b.data, b.len, NULL);
	mur_buf_free(&b);
	net_conn_shutdown(k->conn, reason);
	return 0;
}

static int name_ok(const char *s)
{
	if (!*s)
		return 0;
	for (; *s; s++)
		if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') ||
		      (*s >= '0' && *s <= '9') || *s == '_' || *s == '-' || *s == '.'))
			return 0;
	return 1;
}

static int name_is_leader(clu_leader *l, const char *name)
{
	for (int i = 0; i < cat_node_count(l->cat); i++) {
		const cat_node *cn = cat_node_at(l->cat, i);
		if (cn->role == CAT_NODE_LEADER && strcmp(cn->name, name) == 0)
			return 1;
	}
	return 0;
}

/* Queue WELCOME, with the leader's proof of the secret, on k.  On failure
 * k is closed and MUR_ERR returned. */
static int send_welcome(clu_link *k, const net_hello *h, uint32_t node_id)
{
	mur_error err;
	mur_buf b;
	int rc = MUR_ERR;

	mur_buf_init(&b);
	net_welcome_make(&k->hs, k->l->secret, h, node_id, &b);
	if (mur_buf_ok(&b))
		rc = net_conn_send(k->conn, NET_MSG_WELCOME, b.data, b.len, &err);
	mur_buf_free(&b);
	if (rc != MUR_OK)
		net_conn_close(k->conn, "cannot send WELCOME");
	return rc;
}

/* The join itself, once WELCOME is queued on k: k becomes n's link (an
 * older one is closed; its on_close fails the tasks pending on it), the
 * detector hears from n, and the change is reported.  A task the report
 * sends (a returning node's STATUS) goes out behind WELCOME. */
static void join(clu_link *k, clu_node *n)
{
	clu_leader *l = k->l;

	if (n->link) {
		MLOG(INFO, "cluster", "follower %s reconnected from %s; closing its old connection",
		     n->name, net_conn_peer(k->conn));
		net_conn_close(n->link->conn,
			       "replaced by a new connection from the same follower");
	}
	n->link = k;
	k->node = n;
	net_conn_set_frame_max(k->conn, NET_FRAME_MAX);
	net_conn_set_read_timeout(k->conn, 0); /* silence is the detector's business now */
	if (!clu_detector_seen(l, n))          /* ALIVE, heartbeat time in the catalog */
		clu_notify(l, n->id);          /* no state change: report the new connection */
}

static int welcome(clu_link *k, const net_hello *h)
{
	clu_leader *l = k->l;
	struct sockaddr_storage sa;
	const cat_node *cn;
	clu_node *n;
	mur_error err;

	if (net_parse_addr(h->addr, &sa, &err) != MUR_OK)
		return refuse(k, "%s", err.message);
	if (name_is_leader(l, h->name))
		return refuse(k, "node name \"%s\" belongs to the leader", h->name);
	if (cat_upsert_node(l->cat, h->name, h->addr, CAT_NODE_FOLLOWER, &cn, &err) != MUR_OK)
		return refuse(k, "cannot register follower \"%s\": %s", h->name, err.message);
	n = clu_node_add(l, cn->id, cn->name);
	if (!n)
		return refuse(k, "too many nodes (limit %d)", CAT_NODES_MAX);
	if (send_welcome(k, h, n->id) != MUR_OK)
		return 0;
	MLOG(INFO, "cluster", "follower %s joined as node %u from %s (listens on %s)", n->name,
	     n->id, net_conn_peer(k->conn), h->addr);
	join(k, n);
	return 0;
}

static int on_hello(clu_link *k, const char *p, size_t len)
{
	net_hello h;
	mur_error err;
	int rc = net_hello_check(&k->hs, k->l->secret, p, len, &h, &err);

	if (rc == MUR_ERR) /* protocol version, or no proof of the secret */
		return refuse(k, "%s", err.message);
	if (rc != MUR_OK) {
		MLOG(WARN, "cluster", "closing %s: %s", net_conn_peer(k->conn), err.message);
		net_conn_close(k->conn, err.message);
		return 0;
	}
	if (!name_ok(h.name))
		return refuse(k, "invalid node name \"%s\": use letters, digits, '_', '-', '.'",
			      h.name);
	return welcome(k, &h);
}

static void on_heartbeat(clu_link *k, const char *p, size_t len)
{
	clu_node *n = k->node;
	int64_t their_ms, now_ms = mur_wall_ms();
	uint64_t disk_bytes, bytes;
	const char *files;
	size_t files_len;
	char file[NET_NAME_MAX];
	mur_error err;
	mur_rd r;

	if (net_heartbeat_decode(p, len, &their_ms, &disk_bytes, &files, &files_len, &err) !=
	    MUR_OK) {
		net_conn_close(k->conn, err.message);
		return;
	}
	if (!n->skew_warned && (their_ms - now_ms > 1000 || now_ms - their_ms > 1000)) {
		n->skew_warned = 1;
		MLOG(WARN, "cluster", "follower %s's clock is %lld ms off the leader's", n->name,
		     (long long)(their_ms - now_ms));
	}
	cat_node_set_disk_bytes(k->l->cat, n->id, disk_bytes);
	if (files) { /* a new measurement of its files: each copy's bytes */
		cat_node_files_begin(k->l->cat, n->id);
		mur_rd_init(&r, files, files_len);
		while (net_heartbeat_file_next(&r, file, &bytes))
			cat_node_file_bytes(k->l->cat, n->id, file, bytes);
	}
	clu_detector_seen(k->l, n);
}

static void link_on_frame(net_conn *c, uint8_t type, const char *p, size_t len)
{
	clu_link *k = net_conn_arg(c);
	char why[128];

	if (!k->node) {
		if (type == NET_MSG_HELLO) {
			on_hello(k, p, len);
			return;
		}
		snprintf(why, sizeof why, "expected HELLO, got %s", net_msg_name(type));
		MLOG(WARN, "cluster", "closing %s: %s", net_conn_peer(c), why);
		net_conn_close(c, why);
		return;
	}
	switch (type) {
	case NET_MSG_HEARTBEAT:
		on_heartbeat(k, p, len);
		return;
	case NET_MSG_RESULT:
		clu_route_result(k, p, len);
		return;
	case NET_MSG_PROGRESS:
		clu_progress_frame(k, p, len);
		return;
	default:
		snprintf(why, sizeof why, "unexpected %s from follower %s", net_msg_name(type),
			 k->node->name);
		MLOG(WARN, "cluster", "%s", why);
		net_conn_close(c, why);
	}
}

/* The first frame of an accepted connection: the nonce HELLO must prove
 * the secret over (wire/node_auth.h). */
static void send_challenge(clu_link *k)
{
	mur_error err;
	mur_buf b;
	int rc;

	mur_buf_init(&b);
	rc = net_challenge_make(&k->hs, &b, &err);
	if (rc == MUR_OK && mur_buf_ok(&b))
		rc = net_conn_send(k->conn, NET_MSG_CHALLENGE, b.data, b.len, &err);
	mur_buf_free(&b);
	if (rc != MUR_OK)
		net_conn_close(k->conn, "cannot send CHALLENGE");
}

static const net_conn_cbs link_cbs = {
	.on_frame = link_on_frame,
	.on_close = link_on_close,
	.type_ok = net_msg_type_ok,
};

static void on_accept(net_listener *lis, net_conn *c, void *arg)
{
	clu_leader *l = arg;
	clu_link *k;

	if (l->stopping || !(k = calloc(1, sizeof *k))) {
		net_conn_close(c, "not accepting");
		return;
	}
	k->l = l;
	k->conn = c;
	k->next = l->links;
	if (l->links)
		l->links->prev = k;
	l->links = k;
	l->nlinks++;
	net_conn_start(c, &link_cbs, k);
	net_conn_set_frame_max(c, NET_FRAME_MAX_UNAUTH);
	net_conn_set_read_timeout(c, CLU_HELLO_TIMEOUT_MS);
	send_challenge(k);
}

/* ---- leader lifetime ---------------------------------------------------- */

int clu_leader_start(uv_loop_t *loop, const char *listen_addr, catalog *cat, const char *secret,
		     clu_leader **out, mur_error *err)
{
	clu_leader *l;

	if (strlen(secret) == 0 || strlen(secret) > NET_SECRET_MAX)
		return mur_error_set(err, SQLSTATE_INVALID_PARAMETER_VALUE,
				     "cluster secret must be 1 to %d characters", NET_SECRET_MAX);
	l = calloc(1, sizeof *l);
	if (!l)
		return mur_error_set(err, SQLSTATE_OUT_OF_MEMORY, "out of memory"), MUR_ENOMEM;
	l->loop = loop;
	l->cat = cat;
	snprintf(l->secret, sizeof l->secret, "%s", secret);
	l->suspect_timeout_ms = CLU_SUSPECT_TIMEOUT_MS_DEFAULT;
	l->dead_timeout_ms = CLU_DEAD_TIMEOUT_MS_DEFAULT;
	l->next_task_id = 1;
	l->task_timeout_ms = CLU_TASK_TIMEOUT_MS_DEFAULT;
	if (net_listen(loop, listen_addr, on_accept, l, &l->lis, err) != MUR_OK) {
		free(l);
		return MUR_ERR;
	}
	l->port = net_listener_port(l->lis);
	/* followers the catalog remembers: they must show up, or the detector
	 * will report them suspect and then dead */
	for (int i = 0; i < cat_node_count(cat); i++) {
		const cat_node *cn = cat_node_at(cat, i);
		if (cn->role == CAT_NODE_FOLLOWER)
			clu_node_add(l, cn->id, cn->name);
	}
	clu_detector_start(l);
	MLOG(INFO, "cluster", "listening for followers on %s (port %d)", listen_addr, l->port);
	*out = l;
	return MUR_OK;
}

void clu_leader_stop(clu_leader *l)
{
	if (l->stopping)
		return;
	l->stopping = 1;
	net_listener_close(l->lis);
	for (clu_link *k = l->links; k; k = k->next) {
		clu_route_fail_all(k, "leader is shutting down");
		net_conn_close(k->conn, "leader is shutting down");
	}
	clu_detector_stop(l); /* frees l from the loop when the links are gone */
}

void clu_on_node_change(clu_leader *l, clu_node_change_cb cb, void *arg)
{
	l->change_cb = cb;
	l->change_arg = arg;
}

int clu_leader_port(const clu_leader *l) { return l->port; }

int clu_node_connected(clu_leader *l, uint32_t node_id)
{
	clu_node *n = clu_node_find(l, node_id);
	return n && n->link && net_conn_is_open(n->link->conn);
}
