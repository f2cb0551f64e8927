/*
 * test_lead_cancel.c — cancelling a statement (src/leader/lead_cancel.c,
 * docs/failures.md "Cancel and statement_timeout") through the
 * leader-engine fixture (tests/lib/lead_fixture.h), as pgwire calls it on
 * a CancelRequest (lead_engine_ops.cancel): a parked read ends at once and
 * never reaches a follower; a read waiting for its QUERY ends at once and
 * the late answer is dropped; a write part still queued is taken back and
 * never sent; a write part sent cannot be taken back and completes; other
 * sessions are untouched.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "lead_fixture.h"

#define T_CREATE "CREATE TABLE t (id int PRIMARY KEY, v text) WITH (shards = 1, replicas = 3)"

static void cancel(void *session) { lead_engine_ops.cancel(session); }

static void assert_cancelled(const lf_query *q)
{
	assert_true(lf_done(q));
	assert_string_equal(lf_sqlstate(q), "57014");
	assert_non_null(strstr(lf_message(q), "canceling statement due to user request"));
}

/* Decide the insert sent first: the two replicas answer. */
static void decide_insert(lf_fixture *fx, int first, lf_query *ins)
{
	lf_reply(fx, lf_find(fx, lf_node(fx, 2), EXEC_TASK_WRITE, first));
	lf_reply(fx, lf_find(fx, lf_node(fx, 3), EXEC_TASK_WRITE, first));
	assert_true(lf_done(ins));
	assert_string_equal(lf_sqlstate(ins), "");
}

/* A read parked behind an undecided write ends at once; when the gate
 * lifts it is not resumed (no QUERY); another session's parked read is. */
static void test_parked_read(void **state)
{
	(void)state;
	lf_fixture *fx = lf_new(3);
	lf_ok(fx, T_CREATE);
	int first = lf_ntasks(fx);
	lf_query *ins = lf_exec(fx, lf_session(fx), "INSERT INTO t VALUES (1, 'a')");
	void *s1 = lf_session(fx), *s2 = lf_session(fx);
	lf_query *sel = lf_exec(fx, s1, "SELECT count(*) FROM t");
	lf_query *other = lf_exec(fx, s2, "SELECT count(*) FROM t");
	assert_false(lf_done(sel));
	cancel(s1);
	assert_cancelled(sel);
	assert_false(lf_done(other));
	decide_insert(fx, first, ins);
	lf_task *q = lf_find(fx, LF_ANY_NODE, EXEC_TASK_QUERY, first);
	assert_non_null(q); /* the other session's read, and only it */
	assert_null(lf_find(fx, LF_ANY_NODE, EXEC_TASK_QUERY, q->seq + 1));
	lf_fail(fx, q, "58030");
	assert_true(lf_done(other));
	assert_string_equal(lf_sqlstate(other), "58030");
	lf_free(fx);
}

/* A read whose QUERY is out ends at once, and its follower gets a
 * QUERY_CANCEL; the answer that comes later is dropped (the run is gone:
 * ASan checks nothing touches it). */
static void test_reading_select(void **state)
{
	(void)state;
	lf_fixture *fx = lf_new(3);
	lf_ok(fx, T_CREATE);
	int first = lf_ntasks(fx);
	void *s = lf_session(fx);
	lf_query *sel = lf_exec(fx, s, "SELECT count(*) FROM t");
	lf_task *q = lf_find(fx, LF_ANY_NODE, EXEC_TASK_QUERY, first);
	assert_non_null(q);
	assert_false(lf_done(sel));
	cancel(s);
	assert_cancelled(sel);
	/* the follower is told to stop the query */
	assert_non_null(lf_find(fx, q->node, EXEC_TASK_QUERY_CANCEL, q->seq + 1));
	lf_fail(fx, q, "58030"); /* the late answer */
	assert_string_equal(lf_sqlstate(sel), "57014");
	lf_query *again = lf_exec(fx, s, "SELECT 1"); /* the session goes on */
	assert_true(lf_done(again));
	assert_string_equal(lf_sqlstate(again), "");
	lf_free(fx);
}

/* An UPDATE queued behind an undecided insert is taken back: 57014, and
 * no WRITE of it is ever sent.  Cancelling the insert itself (sent) does
 * nothing: it commits when its copies answer. */
static void test_queued_write_taken_back_sent_one_stays(void **state)
{
	(void)state;
	lf_fixture *fx = lf_new(3);
	lf_ok(fx, T_CREATE);
	int first = lf_ntasks(fx);
	void *si = lf_session(fx), *su = lf_session(fx);
	lf_query *ins = lf_exec(fx, si, "INSERT INTO t VALUES (1, 'a')");
	int after_insert = lf_ntasks(fx);
	lf_query *upd = lf_exec(fx, su, "UPDATE t SET v = 'b' WHERE id = 1");
	assert_int_equal(lf_ntasks(fx), after_insert); /* queued: nothing sent */
	assert_false(lf_done(upd));
	cancel(su);
	assert_cancelled(upd);
	cancel(si); /* sent: cannot be taken back */
	assert_false(lf_done(ins));
	decide_insert(fx, first, ins);
	lf_settle(fx);
	for (int i = after_insert; i < lf_ntasks(fx); i++)
		assert_int_not_equal(lf_task_at(fx, i)->kind, EXEC_TASK_WRITE);
	lf_free(fx);
}

/* A cancel when nothing runs does nothing; the next statement runs. */
static void test_idle_cancel(void **state)
{
	(void)state;
	lf_fixture *fx = lf_new(3);
	void *s = lf_session(fx);
	cancel(s);
	lf_query *q = lf_exec(fx, s, "SELECT 1");
	assert_true(lf_done(q));
	assert_string_equal(lf_sqlstate(q), "");
	lf_free(fx);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parked_read),
		cmocka_unit_test(test_reading_select),
		cmocka_unit_test(test_queued_write_taken_back_sent_one_stays),
		cmocka_unit_test(test_idle_cancel),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
