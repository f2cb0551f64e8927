/*
 * test_cluster_fault.c — clu_fault_command against fake followers in the
 * same loop: command errors (22023 + usage hint), FAULT tasks for kill /
 * pause / follower↔follower partitions, and the leader↔follower partition
 * as the failure detector sees it: heartbeats keep flowing on the TCP
 * connection but are dropped, so the follower turns suspect, then dead; a
 * reconnection is muted (no WELCOME); heal lets it back in.
 */
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "cluster/cluster.h"
#include "cluster/fault.h"
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
	int connected, closed;
	uint32_t welcomed_id;
	int tasks;
	char last_sql[128];
	uint8_t last_kind;
	/* the handshake (wire/node_auth.h): CHALLENGE kept until HELLO answers it */
	char challenge[64];
	size_t challenge_len;
	int challenged;
	net_hello hello;
	net_handshake hs;
} fake;

static struct {
	uv_loop_t loop;
	catalog *cat;
	clu_leader *l;
	char addr[64];
	char reply[CLU_FAULT_REPLY_MAX];
} T;

typedef tl_pred_fn pred_fn;

static int run_until_ms(pred_fn pred, void *arg, uint64_t ms)
{
	return tl_run_until_ms(&T.loop, pred, arg, ms);
}

static int is_true(void *p) { return *(int *)p != 0; }
static int is_welcomed(void *p) { return ((fake *)p)->welcomed_id != 0; }

static void fake_frame(net_conn *c, uint8_t type, const char *p, size_t len)
{
	fake *f = net_conn_arg(c);
	mur_error err;
	exec_task t;
	if (type == NET_MSG_CHALLENGE) {
		assert_true(len <= sizeof f->challenge);
		memcpy(f->challenge, p, len);
		f->challenge_len = len;
		f->challenged = 1;
	} else if (type == NET_MSG_WELCOME) {
		assert_int_equal(net_welcome_check(&f->hs, &f->hello, p, len, &f->welcomed_id,
						   &err),
				 MUR_OK);
	} else if (type == NET_MSG_TASK) {
		assert_int_equal(exec_task_decode(p, len, &t), MUR_OK);
		f->tasks++;
		f->last_kind = t.kind;
		snprintf(f->last_sql, sizeof f->last_sql, "%s", t.sql);
		exec_task_free_decoded(&t);
	}
}

static void fake_connected(net_conn *c) { ((fake *)net_conn_arg(c))->connected = 1; }
static void fake_close(net_conn *c, const char *reason)
{
	fake *f = net_conn_arg(c);
	f->closed = 1;
	f->conn = NULL;
}

static const net_conn_cbs fake_cbs = {.on_connect = fake_connected,
				      .on_frame = fake_frame,
				      .on_close = fake_close,
				      .type_ok = net_msg_type_ok};

static void fake_send(fake *f, uint8_t type, mur_buf *b)
{
	assert_int_equal(net_conn_send(f->conn, type, b->data, b->len, NULL), MUR_OK);
	mur_buf_free(b);
}

static void fake_connect_hello(fake *f, const char *name, int port)
{
	net_hello *h = &f->hello;
	mur_error err;
	mur_buf b;
	memset(f, 0, sizeof *f);
	assert_int_equal(net_connect(&T.loop, T.addr, &fake_cbs, f, &f->conn, &err), MUR_OK);
	assert_true(run_until_ms(is_true, &f->connected, 5000));
	snprintf(h->secret, sizeof h->secret, "%s", SECRET);
	snprintf(h->name, sizeof h->name, "%s", name);
	snprintf(h->addr, sizeof h->addr, "127.0.0.1:%d", port);
	/* the leader challenges at accept; the fault filter sees the HELLO */
	assert_true(run_until_ms(is_true, &f->challenged, 5000));
	mur_buf_init(&b);
	assert_int_equal(net_hello_answer(&f->hs, h, f->challenge, f->challenge_len, &b, &err),
			 MUR_OK);
	fake_send(f, NET_MSG_HELLO, &b);
}

static void fake_join(fake *f, const char *name, int port)
{
	fake_connect_hello(f, name, port);
	assert_true(run_until_ms(is_welcomed, f, 5000));
}

static void fake_heartbeat(fake *f)
{
	mur_buf b;
	mur_buf_init(&b);
	net_heartbeat_encode((int64_t)time(NULL) * 1000, 0, NULL, &b);
	fake_send(f, NET_MSG_HEARTBEAT, &b);
}

static const cat_node *node_named(const char *name)
{
	for (int i = 0; i < cat_node_count(T.cat); i++)
		if (strcmp(cat_node_at(T.cat, i)->name, name) == 0)
			return cat_node_at(T.cat, i);
	return NULL;
}

/* Heartbeat f every 50 ms for ms. */
static void heartbeats_for(fake *f, uint64_t ms)
{
	for (uint64_t t = 0; t < ms && f->conn; t += 50) {
		fake_heartbeat(f);
		run_until_ms(NULL, NULL, 50);
	}
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
	clu_leader_set_timeouts(T.l, 200, 600);
	snprintf(T.addr, sizeof T.addr, "127.0.0.1:%d", clu_leader_port(T.l));
	return 0;
}

static int teardown(void **state)
{
	uint64_t deadline;
	clu_leader_stop(T.l);
	uv_update_time(&T.loop);
	deadline = uv_now(&T.loop) + 3000;
	while (uv_run(&T.loop, UV_RUN_NOWAIT) && uv_now(&T.loop) < deadline)
		usleep(1000), uv_update_time(&T.loop);
	assert_int_equal(uv_loop_close(&T.loop), 0);
	cat_close(T.cat);
	return 0;
}

static int cmd(const char *text, mur_error *err)
{
	T.reply[0] = '\0';
	return clu_fault_command(T.l, text, T.reply, sizeof T.reply, err);
}

static void test_bad_commands(void **state)
{
	static const char *bad[] = {"",
				    "   ",
				    "explode f1",
				    "kill",
				    "kill nobody",
				    "pause f1",
				    "pause f1 0",
				    "pause f1 abc",
				    "pause f1 99999",
				    "partition f1",
				    "partition f1 f1",
				    "delay f1 -3",
				    "delay f1 1.5",
				    "fsync f1",
				    "fsync f1 -1",
				    "fsync f1 60001",
				    "fsync f1 fails",
				    "heal now",
				    "kill f1 f2 f3 f4 f5"};
	mur_error err;
	fake f;
	fake_join(&f, "f1", 17001);
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		assert_int_equal(cmd(bad[i], &err), MUR_ERR);
		assert_string_equal(err.sqlstate, SQLSTATE_INVALID_PARAMETER_VALUE);
		assert_non_null(strstr(err.hint, "partition A B"));
	}
	assert_int_equal(f.tasks, 0);
}

static void test_kill_pause_send_fault_tasks(void **state)
{
	mur_error err;
	fake f;
	fake_join(&f, "f1", 17001);
	assert_int_equal(cmd("kill f1", &err), MUR_OK);
	assert_non_null(strstr(T.reply, "f1"));
	assert_true(run_until_ms(is_true, &f.tasks, 2000));
	assert_int_equal(f.last_kind, EXEC_TASK_FAULT);
	assert_string_equal(f.last_sql, "kill");
	assert_int_equal(cmd("  pause   f1  2.5 ", &err), MUR_OK);
	run_until_ms(NULL, NULL, 50);
	assert_string_equal(f.last_sql, "pause 2.500");
	assert_int_equal(cmd("fsync f1 40", &err), MUR_OK);
	run_until_ms(NULL, NULL, 50);
	assert_string_equal(f.last_sql, "fsync 40");
	assert_int_equal(cmd("fsync f1 fail", &err), MUR_OK);
	run_until_ms(NULL, NULL, 50);
	assert_string_equal(f.last_sql, "fsync fail");
}

static void test_partition_two_followers(void **state)
{
	mur_error err;
	fake a, b;
	fake_join(&a, "f1", 17001);
	fake_join(&b, "f2", 17002);
	assert_int_equal(cmd("partition f1 f2", &err), MUR_OK);
	run_until_ms(NULL, NULL, 50);
	assert_string_equal(a.last_sql, "partition 127.0.0.1:17002");
	assert_string_equal(b.last_sql, "partition 127.0.0.1:17001");
	assert_int_equal(cmd("heal", &err), MUR_OK);
	run_until_ms(NULL, NULL, 50);
	assert_string_equal(a.last_sql, "heal");
	assert_string_equal(b.last_sql, "heal");
	assert_int_equal(a.closed + b.closed, 0); /* nothing was dropped on the leader */
}

static void test_partition_from_leader_detector_sees_silence(void **state)
{
	mur_error err;
	fake f, again;
	fake_join(&f, "f1", 17001);
	assert_int_equal(cmd("partition f1 leader", &err), MUR_OK);
	assert_non_null(strstr(T.reply, "suspect after 200 ms"));
	heartbeats_for(&f, 400); /* sent on a live TCP connection, all dropped */
	assert_int_equal(f.closed, 0);
	assert_int_equal(node_named("f1")->state, CAT_NODE_SUSPECT);
	assert_int_equal(cmd("kill f1", &err), MUR_OK); /* the task vanishes too */
	heartbeats_for(&f, 500);
	assert_int_equal(f.tasks, 0);
	assert_int_equal(node_named("f1")->state, CAT_NODE_DEAD);
	assert_true(f.closed); /* the detector gave up on the connection */
	/* coming back while partitioned: the HELLO is dropped, no WELCOME */
	fake_connect_hello(&again, "f1", 17001);
	heartbeats_for(&again, 300);
	assert_int_equal(again.welcomed_id, 0);
	assert_int_equal(node_named("f1")->state, CAT_NODE_DEAD);
	/* heal resets the muted connection; a new one is welcomed */
	assert_int_equal(cmd("heal", &err), MUR_OK);
	assert_non_null(strstr(T.reply, "reset 1"));
	assert_true(run_until_ms(is_true, &again.closed, 2000));
	fake_join(&again, "f1", 17001);
	assert_int_equal(node_named("f1")->state, CAT_NODE_ALIVE);
}

static void test_heal_before_dead_resets_connection(void **state)
{
	mur_error err;
	fake f;
	fake_join(&f, "f1", 17001);
	assert_int_equal(cmd("partition leader f1", &err), MUR_OK);
	heartbeats_for(&f, 300);
	assert_int_equal(node_named("f1")->state, CAT_NODE_SUSPECT);
	assert_int_equal(cmd("heal", &err), MUR_OK);
	/* frames were lost: the connection is closed so nothing waits forever */
	assert_true(run_until_ms(is_true, &f.closed, 2000));
	fake_join(&f, "f1", 17001);
	assert_int_equal(node_named("f1")->state, CAT_NODE_ALIVE);
}

static void test_delay(void **state)
{
	mur_error err;
	fake f;
	fake_join(&f, "f1", 17001);
	assert_int_equal(cmd("delay f1 150", &err), MUR_OK);
	assert_int_equal(cmd("kill f1", &err), MUR_OK);
	run_until_ms(NULL, NULL, 80);
	assert_int_equal(f.tasks, 0); /* still held */
	assert_true(run_until_ms(is_true, &f.tasks, 1000));
	assert_int_equal(cmd("delay f1 0", &err), MUR_OK);
	assert_non_null(strstr(T.reply, "cleared"));
}

int main(void)
{
	signal(SIGPIPE, SIG_IGN); /* a closed peer is an EPIPE, as in the node binary */
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_bad_commands, setup, teardown),
		cmocka_unit_test_setup_teardown(test_kill_pause_send_fault_tasks, setup, teardown),
		cmocka_unit_test_setup_teardown(test_partition_two_followers, setup, teardown),
		cmocka_unit_test_setup_teardown(test_partition_from_leader_detector_sees_silence,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_heal_before_dead_resets_connection, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_delay, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
