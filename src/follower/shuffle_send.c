/*
 * shuffle_send.c — the sender side of a repartition shuffle: one job per
 * SHUFFLE_SEND task streams each owner its part (state machine in
 * shuffle.h).
 *
 * A job has one link per owner.  A link to this follower itself hands the
 * part to the hub in memory; any other opens a connection to the owner's
 * peer port, says HELLO, sends one SHUFFLE_DATA frame once WELCOMEd and
 * waits for its SHUFFLE_ACK.  The job answers when every link is
 * acknowledged, or at the first failure (the leader then cancels the
 * shuffle everywhere); it is freed once its connections have closed.
 */
#include "follower/shuffle.h"

#include "common/clock.h"
#include "common/log.h"
#include "net/net.h"
#include "follower/peer.h"
#include "follower/shuffle_int.h"
#include "wire/node_auth.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef enum link_state { LS_CONNECTING, LS_HELLO, LS_SENT, LS_DONE } link_state;

typedef struct send_link {
	struct shuffle_send *job;
	char addr[NET_NAME_MAX];
	mur_buf frame; /* SHUFFLE_DATA payload until sent */
	uint64_t rows, bytes;
	int local;
	net_conn *conn; /* NULL once closed */
	link_state state;
	net_handshake hs; /* the connection's nonces (wire/node_auth.h) */
} send_link;

typedef struct shuffle_send {
	node_shuffle_hub *hub;
	uint64_t task_id, shuffle_id;
	uint64_t query_us, start_us;
	uint64_t read_lsn, read_entry_id; /* where the query read (a bounded read) */
	uint32_t nlinks;
	send_link *links;
	int nopen; /* connections not yet closed */
	int nleft; /* links not yet acknowledged */
	int answered;
	int starting; /* inside node_shuffle_send_start: not freed yet */
	node_shuffle_done_cb cb;
	void *arg;
	struct shuffle_send *prev, *next;
} shuffle_send;

static void job_maybe_free(shuffle_send *j)
{
	node_shuffle_hub *h = j->hub;
	if (!j->answered || j->nopen > 0 || j->starting)
		return;
	if (j->prev)
		j->prev->next = j->next;
	else
		h->sends = j->next;
	if (j->next)
		j->next->prev = j->prev;
	for (uint32_t i = 0; i < j->nlinks; i++)
		mur_buf_free(&j->links[i].frame);
	free(j->links);
	free(j);
	node_shuffle_hub_maybe_free(h);
}

static void put_stat_row(mur_buf *b, const send_link *l)
{
	mur_value v = {.kind = MV_TEXT, .s = l->addr, .len = strlen(l->addr)};
	mur_row_put_value(b, &v);
	v = (mur_value){.kind = MV_INT, .i = (int64_t)l->rows};
	mur_row_put_value(b, &v);
	v = (mur_value){.kind = MV_INT, .i = (int64_t)l->bytes};
	mur_row_put_value(b, &v);
	v = (mur_value){.kind = MV_INT, .i = l->local};
	mur_row_put_value(b, &v);
}

/* Answer the task: the stats rows, or the failure. */
static void job_answer(shuffle_send *j, const mur_error *fail)
{
	exec_result res;
	if (j->answered)
		return;
	j->answered = 1;
	exec_result_init(&res);
	res.task_id = j->task_id;
	res.elapsed_us = j->query_us + (mur_now_us() - j->start_us);
	if (fail) {
		res.failed = 1;
		res.err = *fail;
	} else {
		res.ncols = 4;
		res.nrows = j->nlinks;
		res.lsn = j->read_lsn;
		res.entry_id = j->read_entry_id;
		for (uint32_t i = 0; i < j->nlinks; i++)
			put_stat_row(&res.rows, &j->links[i]);
	}
	j->cb(j->arg, &res);
	exec_result_free(&res);
	for (uint32_t i = 0; i < j->nlinks; i++)
		if (j->links[i].conn)
			net_conn_close(j->links[i].conn, fail ? "shuffle failed" : "shuffle sent");
	job_maybe_free(j);
}

static void link_failed(send_link *l, const char *why)
{
	mur_error err;
	mur_error_set(&err, SQLSTATE_CONNECTION_FAILURE, "shuffle to %s failed: %s", l->addr, why);
	MLOG(WARN, "shuffle", "%s", err.message);
	job_answer(l->job, &err);
}

static void link_done(send_link *l)
{
	l->state = LS_DONE;
	mur_buf_free(&l->frame);
	if (--l->job->nleft == 0)
		job_answer(l->job, NULL);
}

static void send_or_fail(send_link *l, uint8_t type, const mur_buf *b)
{
	mur_error err;
	if (net_conn_send(l->conn, type, b->data, b->len, &err) != MUR_OK)
		link_failed(l, err.message);
}

static void on_connect(net_conn *c)
{
	send_link *l = net_conn_arg(c);
	l->state = LS_HELLO; /* HELLO answers the owner's CHALLENGE (on_challenge) */
}

static void on_challenge(send_link *l, const char *p, size_t len)
{
	mur_error err;
	mur_buf b;
	mur_buf_init(&b);
	if (net_hello_answer(&l->hs, &l->job->hub->hello, p, len, &b, &err) != MUR_OK)
		link_failed(l, err.message);
	else
		send_or_fail(l, NET_MSG_HELLO, &b);
	mur_buf_free(&b);
}

static void on_frame(net_conn *c, uint8_t type, const char *p, size_t len)
{
	send_link *l = net_conn_arg(c);
	mur_error err;
	char why[NET_REASON_MAX + 64];
	uint64_t id;
	uint32_t source;

	if (l->job->answered)
		return;
	if (type == NET_MSG_CHALLENGE && l->state == LS_HELLO) {
		on_challenge(l, p, len);
	} else if (type == NET_MSG_WELCOME && l->state == LS_HELLO) {
		uint32_t node_id;
		if (net_welcome_check(&l->hs, &l->job->hub->hello, p, len, &node_id, &err) !=
		    MUR_OK) {
			link_failed(l, err.message);
			return;
		}
		l->state = LS_SENT;
		send_or_fail(l, NET_MSG_SHUFFLE_DATA, &l->frame);
		mur_buf_free(&l->frame);
	} else if (type == NET_MSG_SHUFFLE_ACK && l->state == LS_SENT &&
		   net_shuffle_ack_decode(p, len, &id, &source, &err) == MUR_OK &&
		   id == l->job->shuffle_id) {
		net_conn_close(c, "part delivered");
		link_done(l);
	} else if (type == NET_MSG_REFUSED) {
		char reason[NET_REASON_MAX];
		if (net_refused_decode(p, len, reason, &err) != MUR_OK)
			snprintf(reason, sizeof reason, "refused");
		snprintf(why, sizeof why, "refused: %s", reason);
		link_failed(l, why);
	} else if (type == NET_MSG_PEER_ERROR) {
		mur_error pe;
		if (net_peer_error_decode(p, len, &pe, &err) != MUR_OK)
			link_failed(l, "malformed PEER_ERROR");
		else
			job_answer(l->job, &pe);
	} else if (type != NET_MSG_HEARTBEAT) {
		snprintf(why, sizeof why, "unexpected %s", net_msg_name(type));
		link_failed(l, why);
	}
}

static void on_close(net_conn *c, const char *reason)
{
	send_link *l = net_conn_arg(c);
	shuffle_send *j = l->job;
	l->conn = NULL;
	j->nopen--;
	if (l->state != LS_DONE && !j->answered)
		link_failed(l, reason); /* answers, and frees j once nothing is open */
	else
		job_maybe_free(j);
}

static const net_conn_cbs link_cbs = {.on_connect = on_connect,
				      .on_frame = on_frame,
				      .on_close = on_close,
				      .type_ok = net_msg_type_ok};

static void build_frame(shuffle_send *j, const exec_task *t, send_link *l, mur_buf *rows,
			uint64_t nrows, uint32_t ncols)
{
	net_shuffle_data d = {.shuffle_id = t->shuffle_id,
			      .source = t->shuffle_source,
			      .inputs = t->shuffle_inputs,
			      .stream = t->shuffle_stream,
			      .last = 1,
			      .ncols = ncols,
			      .nrows = nrows};
	(void)j;
	mur_buf_init(&l->frame);
	mur_buf_reserve(&l->frame, NET_SHUFFLE_DATA_HEADER_BYTES + rows->len);
	net_shuffle_data_header_encode(&d, &l->frame);
	mur_buf_put(&l->frame, rows->data, rows->len);
	l->rows = nrows;
	l->bytes = rows->len;
	mur_buf_free(rows);
	mur_buf_init(rows);
}

int node_shuffle_send_start(node_shuffle_hub *h, const exec_task *t, mur_buf *parts,
			    const uint64_t *part_rows, uint32_t nparts, uint32_t ncols,
			    const exec_result *query, node_shuffle_done_cb cb, void *arg,
			    mur_error *err)
{
	char(*owners)[NET_NAME_MAX] = calloc(EXEC_SHUFFLE_PARTS_MAX, NET_NAME_MAX);
	int n = owners ? node_shuffle_owners(t->shuffle_to, owners, EXEC_SHUFFLE_PARTS_MAX) : -1;
	shuffle_send *j = NULL;

	if (!owners || n != (int)nparts || h->stopping) {
		free(owners);
		return mur_error_set(err,
				     h->stopping ? SQLSTATE_ADMIN_SHUTDOWN
						 : SQLSTATE_PROTOCOL_VIOLATION,
				     h->stopping ? "follower is shutting down"
						 : "shuffle owners \"%s\" do not match %u parts",
				     t->shuffle_to ? t->shuffle_to : "", nparts);
	}
	if (!(j = calloc(1, sizeof *j)) || !(j->links = calloc(nparts, sizeof *j->links))) {
		free(j);
		free(owners);
		return mur_error_set(err, SQLSTATE_OUT_OF_MEMORY, "out of memory");
	}
	j->hub = h;
	j->task_id = t->id;
	j->shuffle_id = t->shuffle_id;
	j->query_us = query->elapsed_us;
	j->read_lsn = query->lsn;
	j->read_entry_id = query->entry_id;
	j->start_us = mur_now_us();
	j->nlinks = nparts;
	j->nleft = (int)nparts;
	j->cb = cb;
	j->arg = arg;
	j->starting = 1;
	for (uint32_t i = 0; i < nparts; i++) {
		send_link *l = &j->links[i];
		l->job = j;
		snprintf(l->addr, sizeof l->addr, "%s", owners[i]);
		l->local = strcmp(l->addr, h->my_addr) == 0;
		build_frame(j, t, l, &parts[i], part_rows[i], ncols);
	}
	free(owners);
	j->next = h->sends;
	if (h->sends)
		h->sends->prev = j;
	h->sends = j;
	/* remote links first: their frames go out while local parts are taken */
	for (uint32_t i = 0; i < nparts && !j->answered; i++) {
		send_link *l = &j->links[i];
		mur_error cerr;
		if (l->local)
			continue;
		if (net_connect(h->loop, l->addr, &link_cbs, l, &l->conn, &cerr) != MUR_OK) {
			link_failed(l, cerr.message);
			break;
		}
		net_conn_set_read_timeout(l->conn, NODE_PEER_READ_TIMEOUT_MS);
		j->nopen++;
	}
	for (uint32_t i = 0; i < nparts && !j->answered; i++) {
		send_link *l = &j->links[i];
		mur_error derr;
		size_t len;
		char *payload;
		if (!l->local)
			continue;
		payload = mur_buf_steal(&l->frame, &len);
		mur_buf_init(&l->frame);
		if (!payload) {
			mur_error_set(&derr, SQLSTATE_OUT_OF_MEMORY, "out of memory");
			job_answer(j, &derr);
		} else if (node_shuffle_hub_data(h, payload, len, &derr) != MUR_OK) {
			job_answer(j, &derr);
		} else {
			link_done(l);
		}
	}
	j->starting = 0;
	job_maybe_free(j);
	return MUR_OK;
}

void node_shuffle_send_cancel_all(node_shuffle_hub *h, const mur_error *err)
{
	shuffle_send *j = h->sends, *next;
	for (; j; j = next) {
		next = j->next;
		job_answer(j, err); /* may free j */
	}
}
