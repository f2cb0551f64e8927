/*
 * test_cluster.c — clu_leader against fake followers in the same loop,
 * over real loopback sockets: HELLO refused / welcomed, catalog entries,
 * the failure detector's SUSPECT → DEAD → ALIVE, task round trips, tasks
 * failed with 08006 when the connection drops or is replaced, shutdown.
 *
 * A fake follower is a net_conn (net_connect) whose callbacks record what
 * the leader sends and, when `answer` is set, reply to each TASK with a
 * RESULT holding one row: the task's sql length.
 */
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "cluster/cluster.h"
#include "net/net.h"
#include "wire/node_auth.h"
#include "wire/proto.h"
#include "test_loop.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define SECRET "0123456789abcdef"

typedef struct fake {
	net_conn *conn;
	int connected;
	int closed;
	char close_reason[256];
	uint32_t welcomed_id; /* 0 = not yet */
	int refused;
	char refused_reason[NET_REASON_MAX];
	int answer;
	int tasks_seen;
	int tasks_before_welcome; /* a TASK that came before WELCOME (must stay 0) */
	uint64_t last_task_id;
	/* the handshake (wire/node_auth.h): CHALLENGE kept until HELLO answers it */
	char challenge[64];
	size_t challenge_len;
	int challenged;
	net_hello hello;
	net_handshake hs;
} fake;

typedef struct task_out {
	int calls;
	exec_result res; /* moved out of the callback */
} task_out;

static struct {
	uv_loop_t loop;
	catalog *cat;
	clu_leader *l;
	char addr[64];
	int changes;
	int task_on_change; /* on_change sends a task to a connected, alive node */
	int change_tasks_sent;
} T;

/* ---- loop driving ------------------------------------------------------ */

typedef tl_pred_fn pred_fn;

static int run_until_ms(pred_fn pred, void *arg, uint64_t ms)
{
	return tl_run_until_ms(&T.loop, pred, arg, ms);
}

static void run_until(pred_fn pred, void *arg) { assert_true(run_until_ms(pred, arg, 5000)); }

static void run_for(uint64_t ms) { tl_run_for_ms(&T.loop, ms); }

static int is_true(void *p) { return *(int *)p != 0; }
static int is_welcomed(void *p) { return ((fake *)p)->welcomed_id != 0; }
static int is_closed(void *p) { return ((fake *)p)->closed; }
static int is_refused_and_closed(void *p) { return ((fake *)p)->refused && ((fake *)p)->closed; }
static int task_done(void *p) { return ((task_out *)p)->calls > 0; }

/* ---- fake follower ----------------------------------------------------- */

static void fake_send(fake *f, uint8_t type, mur_buf *b)
{
	assert_true(mur_buf_ok(b));
	assert_int_equal(net_conn_send(f->conn, type, b->data, b->len, NULL), MUR_OK);
	mur_buf_free(b);
}

static void fake_answer(fake *f, const char *p, size_t len)
{
	exec_task t;
	exec_result r;
	mur_buf b;
	mur_value v;

	assert_int_equal(exec_task_decode(p, len, &t), MUR_OK);
	f->tasks_seen++;
	f->last_task_id = t.id;
	if (f->answer) {
		exec_result_init(&r);
		r.task_id = t.id;
		r.ncols = 1;
		r.nrows = 1;
		v = mur_v_int((int64_t)strlen(t.sql));
		mur_row_put_value(&r.rows, &v);
		mur_buf_init(&b);
		exec_result_encode(&r, &b);
		fake_send(f, NET_MSG_RESULT, &b);
		exec_result_free(&r);
	}
	exec_task_free_decoded(&t);
}

static void fake_frame(net_conn *c, uint8_t type, const char *p, size_t len)
{
	fake *f = net_conn_arg(c);
	mur_error err;

	switch (type) {
	case NET_MSG_CHALLENGE:
		assert_true(len <= sizeof f->challenge);
		memcpy(f->challenge, p, len);
		f->challenge_len = len;
		f->challenged = 1;
		break;
	case NET_MSG_WELCOME: /* with the leader's proof of the secret */
		assert_int_equal(net_welcome_check(&f->hs, &f->hello, p, len, &f->welcomed_id,
						   &err),
				 MUR_OK);
		break;
	case NET_MSG_REFUSED:
		f->refused = 1;
		assert_int_equal(net_refused_decode(p, len, f->refused_reason, &err), MUR_OK);
		break;
	case NET_MSG_TASK:
		f->tasks_before_welcome += f->welcomed_id == 0;
		fake_answer(f, p, len);
		break;
	default:
		fail_msg("unexpected frame type %u", type);
	}
}

static void fake_connected(net_conn *c) { ((fake *)net_conn_arg(c))->connected = 1; }

static void fake_close(net_conn *c, const char *reason)
{
	fake *f = net_conn_arg(c);
	f->closed = 1;
	f->conn = NULL;
	snprintf(f->close_reason, sizeof f->close_reason, "%s", reason);
}

static const net_conn_cbs fake_cbs = {.on_connect = fake_connected,
				      .on_frame = fake_frame,
				      .on_close = fake_close,
				      .type_ok = net_msg_type_ok};

static void fake_connect(fake *f)
{
	mur_error err;
	memset(f, 0, sizeof *f);
	assert_int_equal(net_connect(&T.loop, T.addr, &fake_cbs, f, &f->conn, &err), MUR_OK);
	run_until(is_true, &f->connected);
}

static void fake_hello(fake *f, const char *name, const char *secret)
{
	net_hello *h = &f->hello;
	mur_buf b;
	mur_error err;
	memset(h, 0, sizeof *h);
	snprintf(h->secret, sizeof h->secret, "%s", secret);
	snprintf(h->name, sizeof h->name, "%s", name);
	snprintf(h->addr, sizeof h->addr, "127.0.0.1:17001");
	run_until(is_true, &f->challenged); /* the leader challenges at accept */
	mur_buf_init(&b);
	assert_int_equal(net_hello_answer(&f->hs, h, f->challenge, f->challenge_len, &b, &err),
			 MUR_OK);
	fake_send(f, NET_MSG_HELLO, &b);
}

/* Connect, HELLO with the right secret, wait for WELCOME. */
static uint32_t fake_join(fake *f, const char *name)
{
	fake_connect(f);
	fake_hello(f, name, SECRET);
	run_until(is_welcomed, f);
	return f->welcomed_id;
}

static void fake_heartbeat(fake *f)
{
	mur_buf b;
	mur_buf_init(&b);
	net_heartbeat_encode((int64_t)time(NULL) * 1000, 0, NULL, &b);
	fake_send(f, NET_MSG_HEARTBEAT, &b);
}

static void fake_drop(fake *f)
{
	if (f->conn)
		net_conn_close(f->conn, "fake follower leaves");
	run_until(is_closed, f);
}

/* ---- fixture ----------------------------------------------------------- */

static void change_task_cb(void *arg, exec_result *res) { (void)arg, (void)res; }

/* As the leader's recovery does (a returning follower is asked STATUS at
 * once): send a task from inside the change report. */
static void on_change(void *arg, uint32_t node_id)
{
	exec_task task = {.kind = EXEC_TASK_QUERY, .nplacements = 1, .sql = "SELECT 1"};
	const cat_node *n = cat_node_by_id(T.cat, node_id);
	mur_error err;

	T.changes++;
	snprintf(task.placements[0], sizeof task.placements[0], "t1_s0.db");
	if (T.task_on_change && n && n->state == CAT_NODE_ALIVE &&
	    clu_node_connected(T.l, node_id) &&
	    clu_send_task(T.l, node_id, &task, change_task_cb, NULL, &err) == MUR_OK)
		T.change_tasks_sent++;
}

static int setup(void **state)
{
	mur_error err;
	memset(&T, 0, sizeof T);
	uv_loop_init(&T.loop);
	T.cat = cat_open(NULL, &err);
	assert_non_null(T.cat);
	assert_int_equal(clu_leader_start(&T.loop, "127.0.0.1:0", T.cat, SECRET, &T.l, &err),
			 MUR_OK);
	clu_on_node_change(T.l, on_change, NULL);
	snprintf(T.addr, sizeof T.addr, "127.0.0.1:%d", clu_leader_port(T.l));
	return 0;
}

static int teardown(void **state)
{
	uint64_t deadline;
	if (T.l)
		clu_leader_stop(T.l);
	uv_update_time(&T.loop);
	deadline = uv_now(&T.loop) + 3000;
	while (uv_run(&T.loop, UV_RUN_NOWAIT) && uv_now(&T.loop) < deadline)
		usleep(1000), uv_update_time(&T.loop);
	assert_int_equal(uv_loop_close(&T.loop), 0);
	cat_close(T.cat);
	return 0;
}

static const cat_node *node_named(const char *name)
{
	for (int i = 0; i < cat_node_count(T.cat); i++)
		if (strcmp(cat_node_at(T.cat, i)->name, name) == 0)
			return cat_node_at(T.cat, i);
	return NULL;
}

/* ---- tests ------------------------------------------------------------- */

static void test_wrong_secret_refused(void **state)
{
	fake f;
	fake_connect(&f);
	fake_hello(&f, "stranger", "not-the-secret");
	run_until(is_refused_and_closed, &f);
	assert_non_null(strstr(f.refused_reason, "wrong cluster secret"));
	assert_null(node_named("stranger"));
	assert_int_equal(T.changes, 0);
}

static void test_garbage_closed_leader_keeps_serving(void **state)
{
	fake g, h, ok;

	/* a frame that is not HELLO */
	fake_connect(&g);
	assert_int_equal(net_conn_send(g.conn, NET_MSG_HEARTBEAT, "xxxxxxxx", 8, NULL), MUR_OK);
	run_until(is_closed, &g);
	assert_int_equal(g.refused, 0);
	/* a malformed HELLO, and a HELLO bigger than the unauthenticated limit */
	fake_connect(&h);
	assert_int_equal(net_conn_send(h.conn, NET_MSG_HELLO, "\0\0\0\1\0", 5, NULL), MUR_OK);
	run_until(is_closed, &h);
	{
		fake big;
		char *p = calloc(1, NET_FRAME_MAX_UNAUTH + 10);
		fake_connect(&big);
		assert_int_equal(net_conn_send(big.conn, NET_MSG_HELLO, p,
					       NET_FRAME_MAX_UNAUTH + 10, NULL),
				 MUR_OK);
		run_until(is_closed, &big);
		free(p);
	}
	/* still serving */
	assert_true(fake_join(&ok, "f1") > 0);
	fake_drop(&ok);
}

static void test_welcome_registers_node(void **state)
{
	fake f;
	const cat_node *n;
	uint32_t id = fake_join(&f, "f1");

	n = node_named("f1");
	assert_non_null(n);
	assert_int_equal(n->id, id);
	assert_string_equal(n->addr, "127.0.0.1:17001");
	assert_int_equal(n->role, CAT_NODE_FOLLOWER);
	assert_int_equal(n->state, CAT_NODE_ALIVE);
	assert_true(n->last_heartbeat_ms > 0);
	assert_true(clu_node_connected(T.l, id));
	assert_true(T.changes >= 1);
	/* the same name again keeps its id */
	fake_drop(&f);
	assert_false(clu_node_connected(T.l, id));
	assert_int_equal(fake_join(&f, "f1"), id);
	fake_drop(&f);
}

static int state_is(void *arg)
{
	const cat_node *n = node_named("f1");
	return n && n->state == *(cat_node_state *)arg;
}

static void test_heartbeat_timeout_suspect_dead(void **state)
{
	fake f;
	cat_node_state want;
	uint32_t id;

	clu_leader_set_timeouts(T.l, 80, 300);
	id = fake_join(&f, "f1");
	/* heartbeats keep it alive well past the suspect timeout */
	for (int i = 0; i < 10; i++) {
		fake_heartbeat(&f);
		run_for(20);
	}
	assert_int_equal(node_named("f1")->state, CAT_NODE_ALIVE);
	/* silence: SUSPECT, then DEAD, and the connection is closed */
	want = CAT_NODE_SUSPECT;
	run_until(state_is, &want);
	assert_true(clu_node_connected(T.l, id));
	want = CAT_NODE_DEAD;
	run_until(state_is, &want);
	run_until(is_closed, &f);
	assert_false(clu_node_connected(T.l, id));
	/* it comes back */
	assert_int_equal(fake_join(&f, "f1"), id);
	assert_int_equal(node_named("f1")->state, CAT_NODE_ALIVE);
	fake_drop(&f);
}

/* A (re)join is atomic: a task sent from the change report (the node
 * back from SUSPECT or DEAD, or newly connected) reaches the follower
 * after WELCOME, never before it (issue 14: the follower dropped such a
 * connection and came back suspect again, in a loop). */
static void test_task_on_rejoin_follows_welcome(void **state)
{
	fake f;
	cat_node_state want;
	uint32_t id;

	T.task_on_change = 1;
	clu_leader_set_timeouts(T.l, 80, 300);
	id = fake_join(&f, "f1");
	run_until(is_true, &f.tasks_seen);
	fake_drop(&f);
	want = CAT_NODE_SUSPECT;
	run_until(state_is, &want);
	assert_int_equal(fake_join(&f, "f1"), id); /* SUSPECT → ALIVE */
	run_until(is_true, &f.tasks_seen);
	fake_drop(&f);
	want = CAT_NODE_DEAD;
	run_until(state_is, &want);
	assert_int_equal(fake_join(&f, "f1"), id); /* DEAD → ALIVE */
	run_until(is_true, &f.tasks_seen);
	assert_int_equal(f.tasks_before_welcome, 0);
	assert_int_equal(T.change_tasks_sent, 3);
	assert_int_equal(node_named("f1")->state, CAT_NODE_ALIVE);
	assert_true(clu_node_connected(T.l, id));
	fake_drop(&f);
}

static void task_cb(void *arg, exec_result *res)
{
	task_out *o = arg;
	o->calls++;
	o->res = *res; /* move it out */
	exec_result_init(res);
}

static exec_task make_task(const char *sql)
{
	exec_task t;
	memset(&t, 0, sizeof t);
	t.kind = EXEC_TASK_QUERY;
	t.nplacements = 1;
	snprintf(t.placements[0], sizeof t.placements[0], "t1_s0.db");
	t.sql = sql;
	return t;
}

static void test_task_round_trip(void **state)
{
	fake f;
	task_out o[3];
	exec_task t[3];
	mur_error err;
	uint32_t id = fake_join(&f, "f1");
	const char *sqls[3] = {"SELECT 1", "SELECT count(*) FROM main.t", "SELECT x"};

	memset(o, 0, sizeof o);
	f.answer = 1;
	for (int i = 0; i < 3; i++) {
		t[i] = make_task(sqls[i]);
		assert_int_equal(clu_send_task(T.l, id, &t[i], task_cb, &o[i], &err), MUR_OK);
		assert_int_equal(o[i].calls, 0); /* never from inside send */
	}
	assert_true(t[0].id != t[1].id && t[1].id != t[2].id);
	for (int i = 0; i < 3; i++) {
		mur_rd r;
		mur_value v;
		run_until(task_done, &o[i]);
		assert_int_equal(o[i].calls, 1);
		assert_false(o[i].res.failed);
		assert_int_equal(o[i].res.task_id, t[i].id);
		assert_int_equal(o[i].res.nrows, 1);
		mur_rd_init(&r, o[i].res.rows.data, o[i].res.rows.len);
		assert_int_equal(mur_row_get_value(&r, &v), MUR_OK);
		assert_int_equal(v.i, (int64_t)strlen(sqls[i]));
		exec_result_free(&o[i].res);
	}
	fake_drop(&f);
	run_for(20);
	for (int i = 0; i < 3; i++)
		assert_int_equal(o[i].calls, 1);
}

/* Many tasks in flight on one link (more than its buckets by id: several
 * share each): every answer reaches its own task's callback, once, and a
 * drop afterwards calls none again (route.c's by_id; a guard). */
static void test_many_pending_answered_by_id(void **state)
{
	enum { N = 300 };
	static task_out o[N];
	static exec_task t[N];
	fake f;
	mur_error err;
	uint32_t id = fake_join(&f, "f1");

	memset(o, 0, sizeof o);
	f.answer = 1;
	for (int i = 0; i < N; i++) {
		t[i] = make_task(i % 2 ? "SELECT 1" : "SELECT 22");
		assert_int_equal(clu_send_task(T.l, id, &t[i], task_cb, &o[i], &err), MUR_OK);
	}
	for (int i = 0; i < N; i++) {
		run_until(task_done, &o[i]);
		assert_int_equal(o[i].calls, 1);
		assert_false(o[i].res.failed);
		assert_int_equal(o[i].res.task_id, t[i].id);
		exec_result_free(&o[i].res);
	}
	fake_drop(&f);
	run_for(20);
	for (int i = 0; i < N; i++)
		assert_int_equal(o[i].calls, 1);
}

static void test_not_connected(void **state)
{
	fake f;
	task_out o = {0};
	exec_task t = make_task("SELECT 1");
	mur_error err;
	uint32_t id = fake_join(&f, "f2");

	fake_drop(&f);
	assert_int_equal(clu_send_task(T.l, id, &t, task_cb, &o, &err), MUR_ERR);
	assert_string_equal(err.sqlstate, SQLSTATE_CONNECTION_FAILURE);
	assert_string_equal(err.message, "follower \"f2\" is not connected");
	assert_int_equal(clu_send_task(T.l, 999, &t, task_cb, &o, &err), MUR_ERR);
	assert_string_equal(err.message, "node 999 is not a follower");
	run_for(10);
	assert_int_equal(o.calls, 0);
}

static void test_drop_fails_pending(void **state)
{
	fake f;
	task_out o[2];
	exec_task t[2] = {make_task("SELECT 1"), make_task("SELECT 2")};
	mur_error err;
	uint32_t id = fake_join(&f, "f2");

	memset(o, 0, sizeof o);
	for (int i = 0; i < 2; i++)
		assert_int_equal(clu_send_task(T.l, id, &t[i], task_cb, &o[i], &err), MUR_OK);
	run_until(is_true, &f.tasks_seen); /* arrived, not answered */
	fake_drop(&f);
	for (int i = 0; i < 2; i++) {
		run_until(task_done, &o[i]);
		assert_int_equal(o[i].calls, 1);
		assert_true(o[i].res.failed);
		assert_int_equal(o[i].res.task_id, t[i].id);
		assert_string_equal(o[i].res.err.sqlstate, "08006");
		assert_string_equal(o[i].res.err.message,
				    "lost connection to follower \"f2\" while it ran a task");
		exec_result_free(&o[i].res);
	}
}

static void test_reconnect_replaces_old(void **state)
{
	fake a, b;
	task_out o = {0}, o2 = {0};
	exec_task t = make_task("SELECT 1"), t2 = make_task("SELECT 22");
	mur_error err;
	uint32_t id = fake_join(&a, "f3");

	assert_int_equal(clu_send_task(T.l, id, &t, task_cb, &o, &err), MUR_OK);
	run_until(is_true, &a.tasks_seen);
	assert_int_equal(fake_join(&b, "f3"), id);
	run_until(is_closed, &a);
	run_until(task_done, &o);
	assert_true(o.res.failed);
	assert_string_equal(o.res.err.sqlstate, "08006");
	exec_result_free(&o.res);
	/* the new connection carries tasks */
	b.answer = 1;
	assert_true(clu_node_connected(T.l, id));
	assert_int_equal(clu_send_task(T.l, id, &t2, task_cb, &o2, &err), MUR_OK);
	run_until(task_done, &o2);
	assert_false(o2.res.failed);
	exec_result_free(&o2.res);
	fake_drop(&b);
}

static void test_stop_fails_pending(void **state)
{
	fake f;
	task_out o = {0};
	exec_task t = make_task("SELECT 1");
	mur_error err;
	uint32_t id = fake_join(&f, "f4");

	assert_int_equal(clu_send_task(T.l, id, &t, task_cb, &o, &err), MUR_OK);
	clu_leader_stop(T.l);
	assert_int_equal(o.calls, 1); /* before stop returned */
	assert_true(o.res.failed);
	assert_string_equal(o.res.err.message, "leader is shutting down");
	exec_result_free(&o.res);
	T.l = NULL;
	run_until(is_closed, &f);
}

int main(void)
{
	signal(SIGPIPE, SIG_IGN); /* a closed peer is an EPIPE, as in the node binary */
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_wrong_secret_refused, setup, teardown),
		cmocka_unit_test_setup_teardown(test_garbage_closed_leader_keeps_serving, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_welcome_registers_node, setup, teardown),
		cmocka_unit_test_setup_teardown(test_heartbeat_timeout_suspect_dead, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_task_on_rejoin_follows_welcome, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_many_pending_answered_by_id, setup, teardown),
		cmocka_unit_test_setup_teardown(test_task_round_trip, setup, teardown),
		cmocka_unit_test_setup_teardown(test_not_connected, setup, teardown),
		cmocka_unit_test_setup_teardown(test_drop_fails_pending, setup, teardown),
		cmocka_unit_test_setup_teardown(test_reconnect_replaces_old, setup, teardown),
		cmocka_unit_test_setup_teardown(test_stop_fails_pending, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
