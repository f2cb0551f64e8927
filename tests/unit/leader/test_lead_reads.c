/*
 * test_lead_reads.c — the read gate, through the leader-engine fixture
 * (tests/lib/lead_fixture.h; docs/replication.md, Visibility and "Point
 * reads wait only for their key"): no QUERY reaches a shard while one of
 * its entries is undecided, except a point read by a key no undecided
 * entry holds; a read that waits stops the shard's pipelining; a failed
 * entry is undone before the read goes out.  The fake followers do not
 * run queries: the tests look at when a QUERY is sent, then fail it.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "lead_fixture.h"

#define T_CREATE "CREATE TABLE t (id int PRIMARY KEY, v text) WITH (shards = 1, replicas = 3)"

static lf_task *query_sent(lf_fixture *fx, int from)
{
	return lf_find(fx, LF_ANY_NODE, EXEC_TASK_QUERY, from);
}

/* Finish a read whose QUERY went out (its answer is not modelled). */
static void fail_query(lf_fixture *fx, lf_task *t, lf_query *q)
{
	lf_fail(fx, t, "58030");
	assert_true(lf_done(q));
}

static void test_scan_waits_for_an_undecided_entry(void **state)
{
	(void)state;
	lf_fixture *fx = lf_new(3);
	lf_ok(fx, T_CREATE);
	int first = lf_ntasks(fx);
	lf_query *ins = lf_exec(fx, lf_session(fx), "INSERT INTO t VALUES (1, 'a')");
	lf_query *sel = lf_exec(fx, lf_session(fx), "SELECT count(*) FROM t");
	assert_null(query_sent(fx, first));
	lf_reply(fx, lf_find(fx, lf_node(fx, 2), EXEC_TASK_WRITE, first));
	assert_null(query_sent(fx, first)); /* one copy of three: undecided */
	lf_reply(fx, lf_find(fx, lf_node(fx, 3), EXEC_TASK_WRITE, first));
	assert_true(lf_done(ins));
	lf_task *t = query_sent(fx, first);
	assert_non_null(t);
	fail_query(fx, t, sel);
	lf_free(fx);
}

/* A point read of key 5 while an insert of key 1 is undecided goes out
 * at once; a point read of key 1 waits. */
static void test_point_read_waits_only_for_its_key(void **state)
{
	(void)state;
	lf_fixture *fx = lf_new(3);
	lf_ok(fx, T_CREATE);
	int first = lf_ntasks(fx);
	lf_exec(fx, lf_session(fx), "INSERT INTO t VALUES (1, 'a')");
	lf_query *other = lf_exec(fx, lf_session(fx), "SELECT v FROM t WHERE id = 5");
	lf_task *t = query_sent(fx, first);
	assert_non_null(t);
	fail_query(fx, t, other);
	lf_query *same = lf_exec(fx, lf_session(fx), "SELECT v FROM t WHERE id = 1");
	assert_null(query_sent(fx, first));
	lf_reply(fx, lf_find(fx, lf_node(fx, 2), EXEC_TASK_WRITE, first));
	lf_reply(fx, lf_find(fx, lf_node(fx, 3), EXEC_TASK_WRITE, first));
	t = query_sent(fx, first);
	assert_non_null(t);
	fail_query(fx, t, same);
	lf_free(fx);
}

/* While a scan waits for the gate, a new insert is not pipelined behind
 * the undecided one (reads would never find the shard decided): it goes
 * out after the read did. */
static void test_waiting_read_stops_pipelining(void **state)
{
	(void)state;
	lf_fixture *fx = lf_new(3);
	uint32_t f1 = lf_node(fx, 1);
	lf_ok(fx, T_CREATE);
	int first = lf_ntasks(fx);
	lf_exec(fx, lf_session(fx), "INSERT INTO t VALUES (1, 'a')");
	lf_query *sel = lf_exec(fx, lf_session(fx), "SELECT count(*) FROM t");
	lf_query *ins2 = lf_exec(fx, lf_session(fx), "INSERT INTO t VALUES (2, 'b')");
	lf_task *w1 = lf_find(fx, f1, EXEC_TASK_WRITE, first);
	assert_null(lf_find(fx, f1, EXEC_TASK_WRITE, w1->seq + 1)); /* entry 2 held back */
	lf_reply(fx, lf_find(fx, lf_node(fx, 2), EXEC_TASK_WRITE, first));
	lf_reply(fx, lf_find(fx, lf_node(fx, 3), EXEC_TASK_WRITE, first));
	lf_task *t = query_sent(fx, first);
	assert_non_null(t);
	fail_query(fx, t, sel);
	lf_reply(fx, w1);
	lf_task *w2 = lf_find(fx, f1, EXEC_TASK_WRITE, w1->seq + 1);
	assert_non_null(w2);
	assert_true(w2->seq > t->seq);
	assert_int_equal(w2->lsn, 2);
	lf_settle(fx);
	assert_string_equal(lf_sqlstate(ins2), "");
	lf_free(fx);
}

/* An UPDATE whose quorum is impossible: the read waits until the copy
 * that applied it has been undone, so it never sees the change. */
static void test_read_waits_for_the_undo(void **state)
{
	(void)state;
	lf_fixture *fx = lf_new(3);
	uint32_t f1 = lf_node(fx, 1);
	lf_ok(fx, T_CREATE);
	lf_ok(fx, "INSERT INTO t VALUES (1, 'a')");
	int first = lf_ntasks(fx);
	lf_exec(fx, lf_session(fx), "UPDATE t SET v = 'b' WHERE id = 1");
	lf_reply(fx, lf_find(fx, f1, EXEC_TASK_WRITE, first));
	lf_query *sel = lf_exec(fx, lf_session(fx), "SELECT v FROM t WHERE id = 1");
	lf_fail(fx, lf_find(fx, lf_node(fx, 2), EXEC_TASK_APPLY, first), "58030");
	lf_fail(fx, lf_find(fx, lf_node(fx, 3), EXEC_TASK_APPLY, first), "58030");
	lf_task *u = lf_find(fx, f1, EXEC_TASK_UNDO, first);
	assert_non_null(u);
	assert_null(query_sent(fx, first)); /* f1 still holds the update */
	lf_reply(fx, u);
	lf_task *t = query_sent(fx, first);
	assert_non_null(t);
	fail_query(fx, t, sel);
	lf_free(fx);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_scan_waits_for_an_undecided_entry),
		cmocka_unit_test(test_point_read_waits_only_for_its_key),
		cmocka_unit_test(test_waiting_read_stops_pipelining),
		cmocka_unit_test(test_read_waits_for_the_undo),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
