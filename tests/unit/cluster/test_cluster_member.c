/*
 * test_cluster_member.c — the follower's link (clu_member) against a real
 * clu_leader in the same loop: join and heartbeats keep it ALIVE under
 * short timeouts, a task round trip through on_task and
 * clu_member_send_result, PROGRESS frames reaching clu_on_progress, the
 * task timeout (REBUILD exempt), reconnect after the leader restarts on the same
 * port, results of a replaced connection dropped, REFUSED reported, and a
 * malformed TASK closing the connection (the leader fails the task).
 */
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "cluster/cluster.h"
#include "cluster/member.h"
#include "test_loop.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define SECRET "member-test-secret"

static struct {
	uv_loop_t loop;
	catalog *cat;
	clu_leader *l;
	clu_member *m;
	char addr[64];
	uint32_t node_id;
	int welcomes;
	int refused;
	char refused_reason[NET_REASON_MAX];
	/* tasks received by the member, answered by the test */
	int ntasks;
	uint64_t gen[8];
	exec_task task[8];
	char *payload[8];
	int reject_tasks;
	/* leader-side completions */
	int done;
	exec_result res;
	/* leader-side progress reports */
	int nprogress;
	uint32_t pr_node;
	uint64_t pr_task, pr_done, pr_total;
	char pr_phase[NET_PHASE_MAX];
} T;

typedef tl_cond_fn pred_fn;

static int run_until_ms(pred_fn pred, uint64_t ms)
{
	return tl_run_until_cond_ms(&T.loop, pred, ms);
}

static int never(void) { return 0; }
static int welcomed(void) { return T.welcomes > 0 && clu_member_welcomed(T.m); }
static int got_task(void) { return T.ntasks > 0; }
static int task_done(void) { return T.done > 0; }
static int refused(void) { return T.refused > 0; }
static int two_welcomes(void) { return T.welcomes >= 2 && clu_member_welcomed(T.m); }

static void m_welcome(void *arg, uint32_t id)
{
	T.welcomes++;
	T.node_id = id;
}

static void m_refused(void *arg, const char *reason)
{
	T.refused++;
	snprintf(T.refused_reason, sizeof T.refused_reason, "%s", reason);
	clu_member_stop(T.m);
	T.m = NULL;
}

static int m_task(void *arg, uint64_t gen, char *payload, size_t len)
{
	int i = T.ntasks;
	if (T.reject_tasks) {
		free(payload);
		return -1;
	}
	assert_true(i < 8);
	assert_int_equal(exec_task_decode(payload, len, &T.task[i]), MUR_OK);
	T.gen[i] = gen;
	T.payload[i] = payload;
	T.ntasks++;
	return 0;
}

static const clu_member_cbs mcbs = {.on_welcome = m_welcome,
				    .on_refused = m_refused,
				    .on_task = m_task};

static void leader_start(const char *addr)
{
	mur_error err;
	assert_int_equal(clu_leader_start(&T.loop, addr, T.cat, SECRET, &T.l, &err), MUR_OK);
	snprintf(T.addr, sizeof T.addr, "127.0.0.1:%d", clu_leader_port(T.l));
}

static void member_start(const char *secret)
{
	net_hello h = {.version = NET_PROTO_VERSION};
	mur_error err;
	snprintf(h.secret, sizeof h.secret, "%s", secret);
	snprintf(h.name, sizeof h.name, "fm");
	snprintf(h.addr, sizeof h.addr, "127.0.0.1:17999");
	assert_int_equal(clu_member_start(&T.loop, T.addr, &h, &mcbs, NULL, &T.m, &err), MUR_OK);
}

static int setup(void **state)
{
	mur_error err;
	memset(&T, 0, sizeof T);
	uv_loop_init(&T.loop);
	T.cat = cat_open(NULL, &err);
	leader_start("127.0.0.1:0");
	return 0;
}

static void free_tasks(void)
{
	for (int i = 0; i < T.ntasks; i++) {
		exec_task_free_decoded(&T.task[i]);
		free(T.payload[i]);
	}
	T.ntasks = 0;
}

static int teardown(void **state)
{
	uint64_t deadline;
	if (T.m)
		clu_member_stop(T.m);
	if (T.l)
		clu_leader_stop(T.l);
	uv_update_time(&T.loop);
	deadline = uv_now(&T.loop) + 3000;
	while (uv_run(&T.loop, UV_RUN_NOWAIT) && uv_now(&T.loop) < deadline)
		usleep(1000), uv_update_time(&T.loop);
	assert_int_equal(uv_loop_close(&T.loop), 0);
	free_tasks();
	exec_result_free(&T.res);
	cat_close(T.cat);
	return 0;
}

static void task_cb(void *arg, exec_result *res)
{
	T.done++;
	exec_result_free(&T.res);
	T.res = *res;
	exec_result_init(res);
}

static void answer(int i, int64_t value)
{
	exec_result r;
	mur_value v = mur_v_int(value);
	mur_error err;

	exec_result_init(&r);
	r.task_id = T.task[i].id;
	r.ncols = 1;
	r.nrows = 1;
	mur_row_put_value(&r.rows, &v);
	assert_int_equal(clu_member_send_result(T.m, T.gen[i], &r, &err), MUR_OK);
	exec_result_free(&r);
}

static exec_task make_task(void)
{
	exec_task t;
	memset(&t, 0, sizeof t);
	t.kind = EXEC_TASK_QUERY;
	t.nplacements = 1;
	snprintf(t.placements[0], sizeof t.placements[0], "t1_s0.db");
	t.sql = "SELECT 7";
	return t;
}

static void test_join_heartbeat_task(void **state)
{
	exec_task t = make_task();
	mur_error err;

	clu_leader_set_timeouts(T.l, 1200, 5000); /* > 2 heartbeat intervals */
	member_start(SECRET);
	assert_true(run_until_ms(welcomed, 5000));
	assert_true(clu_node_connected(T.l, T.node_id));
	/* heartbeats every 500 ms keep it ALIVE past the suspect timeout */
	run_until_ms(never, 1800);
	assert_int_equal(cat_node_by_id(T.cat, T.node_id)->state, CAT_NODE_ALIVE);

	assert_int_equal(clu_send_task(T.l, T.node_id, &t, task_cb, NULL, &err), MUR_OK);
	assert_true(run_until_ms(got_task, 5000));
	assert_string_equal(T.task[0].sql, "SELECT 7");
	answer(0, 7);
	assert_true(run_until_ms(task_done, 5000));
	assert_false(T.res.failed);
	assert_int_equal(T.res.task_id, t.id);
	assert_int_equal(T.res.nrows, 1);
}

static void test_reconnect_after_leader_restart(void **state)
{
	exec_task t = make_task();
	mur_error err;
	char addr[64];

	member_start(SECRET);
	assert_true(run_until_ms(welcomed, 5000));
	assert_int_equal(clu_send_task(T.l, T.node_id, &t, task_cb, NULL, &err), MUR_OK);
	assert_true(run_until_ms(got_task, 5000));
	/* the leader goes away: its pending task fails at once */
	clu_leader_stop(T.l);
	T.l = NULL;
	assert_int_equal(T.done, 1);
	assert_true(T.res.failed);
	run_until_ms(never, 150);
	/* same port, new leader: the member finds it */
	snprintf(addr, sizeof addr, "%s", T.addr);
	leader_start(addr);
	assert_true(run_until_ms(two_welcomes, 5000));
	/* the old connection's result is dropped quietly */
	answer(0, 1);
	assert_true(clu_node_connected(T.l, T.node_id));
}

static void test_refused(void **state)
{
	member_start("wrong");
	assert_true(run_until_ms(refused, 5000));
	assert_non_null(strstr(T.refused_reason, "wrong cluster secret"));
	assert_int_equal(T.welcomes, 0);
}

static void test_malformed_task_closes(void **state)
{
	exec_task t = make_task();
	mur_error err;

	member_start(SECRET);
	assert_true(run_until_ms(welcomed, 5000));
	T.reject_tasks = 1;
	assert_int_equal(clu_send_task(T.l, T.node_id, &t, task_cb, NULL, &err), MUR_OK);
	assert_true(run_until_ms(task_done, 5000));
	assert_true(T.res.failed);
	assert_string_equal(T.res.err.sqlstate, "08006");
	/* and it comes back */
	assert_true(run_until_ms(two_welcomes, 5000));
}

static void progress_cb(void *arg, uint32_t node_id, uint64_t task_id, uint64_t done,
			uint64_t total, const char *phase)
{
	T.nprogress++;
	T.pr_node = node_id;
	T.pr_task = task_id;
	T.pr_done = done;
	T.pr_total = total;
	snprintf(T.pr_phase, sizeof T.pr_phase, "%s", phase);
}

static int got_progress(void) { return T.nprogress > 0; }

static void test_progress(void **state)
{
	exec_task t = make_task();
	net_progress pr = {.done = 3 << 20, .total = 10 << 20};
	mur_error err;

	clu_on_progress(T.l, progress_cb, NULL);
	member_start(SECRET);
	assert_true(run_until_ms(welcomed, 5000));
	t.kind = EXEC_TASK_REBUILD;
	snprintf(t.peer_addr, sizeof t.peer_addr, "127.0.0.1:1");
	assert_int_equal(clu_send_task(T.l, T.node_id, &t, task_cb, NULL, &err), MUR_OK);
	assert_true(run_until_ms(got_task, 5000));
	pr.task_id = T.task[0].id;
	snprintf(pr.file, sizeof pr.file, "t1_s0.db");
	snprintf(pr.phase, sizeof pr.phase, "snapshot");
	assert_int_equal(clu_member_send_progress(T.m, T.gen[0], &pr, &err), MUR_OK);
	assert_true(run_until_ms(got_progress, 5000));
	assert_int_equal(T.pr_node, T.node_id);
	assert_int_equal(T.pr_task, t.id);
	assert_int_equal(T.pr_done, 3 << 20);
	assert_int_equal(T.pr_total, 10 << 20);
	assert_string_equal(T.pr_phase, "snapshot");
	/* a stale generation is dropped without error */
	assert_int_equal(clu_member_send_progress(T.m, T.gen[0] + 1, &pr, &err), MUR_OK);
	answer(0, 1);
	assert_true(run_until_ms(task_done, 5000));
	assert_false(T.res.failed);
	assert_int_equal(T.nprogress, 1);
}

static void test_task_timeout(void **state)
{
	exec_task q = make_task(), rb = make_task();
	mur_error err;

	clu_leader_set_timeouts(
		T.l, 1000, 60000); /* detector tick: 250 ms; heartbeats (500 ms) keep it alive */
	clu_leader_set_task_timeout(T.l, 200);
	member_start(SECRET);
	assert_true(run_until_ms(welcomed, 5000));
	rb.kind = EXEC_TASK_REBUILD;
	assert_int_equal(clu_send_task(T.l, T.node_id, &rb, task_cb, NULL, &err), MUR_OK);
	assert_int_equal(clu_send_task(T.l, T.node_id, &q, task_cb, NULL, &err), MUR_OK);
	assert_true(run_until_ms(task_done, 5000));
	assert_true(T.res.failed);
	assert_string_equal(T.res.err.sqlstate, "57014");
	assert_int_equal(T.res.task_id, q.id);
	assert_non_null(strstr(T.res.err.message, "did not finish within 200 ms"));
	/* the REBUILD is still pending well past the timeout */
	run_until_ms(never, 400);
	assert_int_equal(T.done, 1);
}

int main(void)
{
	signal(SIGPIPE, SIG_IGN); /* a closed peer is an EPIPE, as in the node binary */
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_join_heartbeat_task, setup, teardown),
		cmocka_unit_test_setup_teardown(test_reconnect_after_leader_restart, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_refused, setup, teardown),
		cmocka_unit_test_setup_teardown(test_malformed_task_closes, setup, teardown),
		cmocka_unit_test_setup_teardown(test_progress, setup, teardown),
		cmocka_unit_test_setup_teardown(test_task_timeout, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
