/*
 * test_lead_reread.c — a SELECT's read whose copy is lost goes to another
 * copy (src/leader/lead_reread.c; docs/consistency.md, "A read whose copy
 * goes silent"), through the leader-engine fixture (tests/lib/
 * lead_fixture.h).  The fake followers do not run queries: the tests look
 * at where a QUERY is sent, then fail it.
 *
 * - strong and available: the copy's follower turns suspect and its QUERY
 *   fails 08006 (the detector's order), or its connection closes: the
 *   QUERY goes to another copy, and a later failure of that one (not a
 *   lost copy) fails the SELECT;
 * - one copy: the SELECT fails with 08006 naming the shard and table;
 * - inside a transaction block a read of a shard the block did not write is
 *   sent again; one of a shard it wrote is not (the block ends with 08006);
 * - a stale copy read after the gate (available, no current copy) is sent
 *   the committed entry as its bound, and its refusals are read again,
 *   then fail; reads that do not wait, refused, still go through the gate
 *   after their own tries;
 * - a repartitioned read (a shuffle) whose SEND's copy is lost cancels its
 *   owners and starts over among the followers left; a later failure that
 *   is not a lost copy fails it; at bounded its SENDs carry the bound, and
 *   a refusal starts the shuffle over, then (tries used) as strong.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "lead_fixture.h"

#define T_CREATE3 "CREATE TABLE t (id int PRIMARY KEY, v text) WITH (shards = 1, replicas = 3)"
#define T_CREATE2 "CREATE TABLE t (id int PRIMARY KEY, v text) WITH (shards = 1, replicas = 2)"
#define T_CREATE1 "CREATE TABLE t (id int PRIMARY KEY, v text) WITH (shards = 1, replicas = 1)"

static lf_task *query_sent(lf_fixture *fx, int from)
{
	return lf_find(fx, LF_ANY_NODE, EXEC_TASK_QUERY, from);
}

/* The detector's order: the follower is suspect, then its tasks fail. */
static void go_silent(lf_fixture *fx, lf_task *t)
{
	lf_set_state(fx, t->node, CAT_NODE_SUSPECT);
	lf_fail(fx, t, "08006");
}

/* A read of t at level (NULL: strong) whose first copy goes silent
 * (or disconnects) is sent to another copy; that one's failure ends it. */
static void read_is_sent_again(const char *level, int disconnect)
{
	lf_fixture *fx = lf_new(3);
	char set[96];
	lf_ok(fx, T_CREATE3);
	lf_ok(fx, "INSERT INTO t VALUES (1, 'a')");
	if (level) {
		snprintf(set, sizeof set, "SET murphy.read_consistency = '%s'", level);
		lf_ok(fx, set);
	}
	int first = lf_ntasks(fx);
	lf_query *sel = lf_exec(fx, NULL, "SELECT v FROM t");
	lf_task *t = query_sent(fx, first);
	assert_non_null(t);
	uint32_t lost = t->node;
	if (disconnect)
		lf_disconnect(fx, lost);
	else
		go_silent(fx, t);
	assert_false(lf_done(sel));
	lf_task *again = query_sent(fx, t->seq + 1);
	assert_non_null(again);
	assert_int_not_equal(again->node, lost);
	lf_fail(fx, again, "58030"); /* not a lost copy: the SELECT fails */
	assert_true(lf_done(sel));
	assert_string_equal(lf_sqlstate(sel), "58030");
	lf_free(fx);
}

static void test_strong_read_of_a_suspect_copy_goes_to_another(void **state)
{
	(void)state;
	read_is_sent_again(NULL, 0);
}

static void test_available_read_of_a_suspect_copy_goes_to_another(void **state)
{
	(void)state;
	read_is_sent_again("available", 0);
}

static void test_read_of_a_closed_connection_goes_to_another(void **state)
{
	(void)state;
	read_is_sent_again(NULL, 1);
}

static void test_only_copy_lost_fails_naming_the_shard(void **state)
{
	(void)state;
	lf_fixture *fx = lf_new(3);
	lf_ok(fx, T_CREATE1);
	lf_ok(fx, "INSERT INTO t VALUES (1, 'a')");
	int first = lf_ntasks(fx);
	lf_query *sel = lf_exec(fx, NULL, "SELECT v FROM t");
	lf_task *t = query_sent(fx, first);
	assert_non_null(t);
	go_silent(fx, t);
	assert_true(lf_done(sel));
	assert_string_equal(lf_sqlstate(sel), "08006");
	assert_non_null(strstr(lf_message(sel), "shard 0 of table \"t\""));
	assert_null(query_sent(fx, t->seq + 1));
	lf_free(fx);
}

static void test_read_in_a_block_of_a_shard_it_did_not_write_is_sent_again(void **state)
{
	(void)state;
	lf_fixture *fx = lf_new(3);
	lf_ok(fx, T_CREATE3);
	lf_ok(fx, "INSERT INTO t VALUES (1, 'a')");
	lf_ok(fx, "BEGIN");
	int first = lf_ntasks(fx);
	lf_query *sel = lf_exec(fx, NULL, "SELECT v FROM t");
	lf_task *t = query_sent(fx, first);
	assert_non_null(t);
	uint32_t lost = t->node;
	go_silent(fx, t);
	assert_false(lf_done(sel));
	lf_task *again = query_sent(fx, t->seq + 1);
	assert_non_null(again);
	assert_int_not_equal(again->node, lost);
	lf_fail(fx, again, "58030");
	assert_true(lf_done(sel));
	assert_string_equal(lf_sqlstate(sel), "58030");
	lf_free(fx);
}

static void test_read_in_a_block_of_a_shard_it_wrote_is_not_sent_again(void **state)
{
	(void)state;
	lf_fixture *fx = lf_new(3);
	lf_ok(fx, T_CREATE3);
	lf_ok(fx, "INSERT INTO t VALUES (1, 'a')");
	lf_ok(fx, "BEGIN");
	lf_ok(fx, "INSERT INTO t VALUES (2, 'b')");
	int first = lf_ntasks(fx);
	lf_query *sel = lf_exec(fx, NULL, "SELECT v FROM t");
	lf_task *t = query_sent(fx, first);
	assert_non_null(t);
	go_silent(fx, t);
	lf_settle(fx); /* the block's INSERT is undone before the error is answered */
	assert_true(lf_done(sel));
	assert_string_equal(lf_sqlstate(sel), "08006");
	assert_null(query_sent(fx, t->seq + 1));
	lf_free(fx);
}

/* Two copies (f1 primary, f2); f2 misses a write at 'one', then f1 is
 * away: f2 is the freshest reachable copy, one entry behind.  An available
 * read goes there after the gate, sent the committed entry as its bound;
 * f2 refusing it (part of a transaction past its entry) is read again a
 * few times, then the SELECT fails with 08006 naming the shard. */
static void test_stale_copy_after_the_gate_is_sent_the_bound(void **state)
{
	(void)state;
	lf_fixture *fx = lf_new(2);
	uint32_t f1 = lf_node(fx, 1), f2 = lf_node(fx, 2);
	lf_ok(fx, T_CREATE2);
	lf_ok(fx, "INSERT INTO t VALUES (1, 'a')");
	lf_disconnect(fx, f2);
	lf_ok(fx, "SET murphy.write_quorum = 'one'");
	lf_ok(fx, "INSERT INTO t VALUES (2, 'b')");
	lf_disconnect(fx, f1);
	lf_connect(fx, f2);
	lf_settle(fx);
	lf_ok(fx, "SET murphy.read_consistency = 'available'");
	uint64_t committed = lf_committed_lsn(fx, "t", 0);
	assert_true(committed > 0);
	int from = lf_ntasks(fx), sent = 0;
	lf_query *sel = lf_exec(fx, NULL, "SELECT v FROM t");
	while (!lf_done(sel) && sent < 10) {
		lf_task *t = query_sent(fx, from);
		assert_non_null(t);
		assert_int_equal(t->node, f2);
		assert_int_equal(t->lsn, committed); /* the bound: never past it */
		from = t->seq + 1;
		sent++;
		lf_fail(fx, t, "55000"); /* past the bound: refused */
	}
	assert_true(lf_done(sel));
	assert_true(sent > 1 && sent < 10);
	assert_string_equal(lf_sqlstate(sel), "08006");
	assert_non_null(strstr(lf_message(sel), "shard 0 of table \"t\""));
	lf_free(fx);
}

/* Reads that do not wait count their own refusals (LEAD_READ_NOW_TRIES),
 * then read through the gate: not a failure of a read sent again. */
static void test_refused_reads_that_do_not_wait_then_wait(void **state)
{
	(void)state;
	lf_fixture *fx = lf_new(3);
	lf_ok(fx, T_CREATE3);
	lf_ok(fx, "INSERT INTO t VALUES (1, 'a')");
	lf_ok(fx, "SET murphy.read_consistency = 'available'");
	int from = lf_ntasks(fx), refused = 0;
	lf_query *sel = lf_exec(fx, NULL, "SELECT v FROM t");
	lf_task *t;
	while ((t = query_sent(fx, from)) != NULL && t->lsn != 0 && refused < 10) {
		from = t->seq + 1;
		refused++;
		lf_fail(fx, t, "55000");
	}
	assert_true(refused > 1 && refused < 10);
	assert_false(lf_done(sel)); /* not failed: */
	assert_non_null(t);         /* read as strong does, a current copy */
	lf_fail(fx, t, "58030");
	assert_true(lf_done(sel));
	lf_free(fx);
}

#define T_SHUF "CREATE TABLE t (id int PRIMARY KEY, v text) WITH (shards = 2, replicas = 2)"
#define T_ROWS "INSERT INTO t VALUES (1, 'a'), (2, 'b'), (3, 'a'), (4, 'c'), (5, 'b'), (6, 'd')"
#define T_DISTINCT "SELECT count(DISTINCT v) FROM t"

/* Fail every task still out that was sent before index end (from index
 * from on) with sqlstate, as owners cancelled answer; returns how many. */
static int fail_out(lf_fixture *fx, int from, int end, const char *sqlstate)
{
	lf_task *t;
	int n = 0;
	while ((t = lf_find(fx, LF_ANY_NODE, 0, from)) != NULL && t->seq < end) {
		from = t->seq + 1;
		lf_fail(fx, t, sqlstate);
		n++;
	}
	return n;
}

/* Fail one SEND of the shuffle with sqlstate (not a lost copy), then its
 * cancelled owners: the SELECT ends with that failure. */
static void fail_shuffle(lf_fixture *fx, lf_query *sel, lf_task *send, const char *sqlstate)
{
	lf_fail(fx, send, sqlstate);
	fail_out(fx, 0, lf_ntasks(fx), "57014");
	assert_true(lf_done(sel));
	assert_string_equal(lf_sqlstate(sel), sqlstate);
}

static void test_shuffle_whose_copy_is_lost_starts_over(void **state)
{
	(void)state;
	lf_fixture *fx = lf_new(3);
	lf_ok(fx, T_SHUF);
	lf_ok(fx, T_ROWS);
	lf_ok(fx, "SET murphy.shuffle_strategy = 'repartition'");
	int first = lf_ntasks(fx);
	lf_query *sel = lf_exec(fx, NULL, T_DISTINCT);
	lf_task *send = lf_find(fx, LF_ANY_NODE, EXEC_TASK_SHUFFLE_SEND, first);
	assert_non_null(send);
	uint32_t lost = send->node;
	lf_disconnect(fx, lost); /* its SEND and RECV fail 08006: the others are cancelled */
	assert_false(lf_done(sel));
	int again = lf_ntasks(fx);
	assert_true(fail_out(fx, first, again, "57014") > 0);
	assert_false(lf_done(sel)); /* not failed: started over */
	int recvs = 0;
	for (lf_task *t = lf_find(fx, LF_ANY_NODE, EXEC_TASK_SHUFFLE_RECV, again); t;
	     t = lf_find(fx, LF_ANY_NODE, EXEC_TASK_SHUFFLE_RECV, t->seq + 1)) {
		assert_int_not_equal(t->node, lost);
		recvs++;
	}
	assert_int_equal(recvs, 2); /* the followers left own the parts */
	lf_task *send2 = lf_find(fx, LF_ANY_NODE, EXEC_TASK_SHUFFLE_SEND, again);
	assert_non_null(send2);
	assert_int_not_equal(send2->node, lost);
	fail_shuffle(fx, sel, send2, "58030");
	lf_free(fx);
}

static void test_bounded_shuffle_sends_the_bound_and_starts_over_when_refused(void **state)
{
	(void)state;
	lf_fixture *fx = lf_new(3);
	lf_ok(fx, T_SHUF);
	lf_ok(fx, T_ROWS);
	lf_ok(fx, "SET murphy.shuffle_strategy = 'repartition'");
	lf_ok(fx, "SET murphy.read_consistency = 'bounded'");
	int from = lf_ntasks(fx), refused = 0;
	lf_query *sel = lf_exec(fx, NULL, T_DISTINCT);
	lf_task *send;
	while ((send = lf_find(fx, LF_ANY_NODE, EXEC_TASK_SHUFFLE_SEND, from)) != NULL &&
	       send->lsn != 0 && refused < 10) {
		assert_int_equal(send->lsn, lf_committed_lsn(fx, "t", send->shard));
		lf_fail(fx, send, "55000"); /* a copy past its bound */
		int end = lf_ntasks(fx);
		fail_out(fx, from, end, "57014");
		from = end;
		refused++;
		assert_false(lf_done(sel));
	}
	assert_true(refused > 1 && refused < 10);
	assert_non_null(send); /* then read as strong does, after the gate */
	fail_shuffle(fx, sel, send, "58030");
	lf_free(fx);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_strong_read_of_a_suspect_copy_goes_to_another),
		cmocka_unit_test(test_available_read_of_a_suspect_copy_goes_to_another),
		cmocka_unit_test(test_read_of_a_closed_connection_goes_to_another),
		cmocka_unit_test(test_only_copy_lost_fails_naming_the_shard),
		cmocka_unit_test(test_read_in_a_block_of_a_shard_it_did_not_write_is_sent_again),
		cmocka_unit_test(test_read_in_a_block_of_a_shard_it_wrote_is_not_sent_again),
		cmocka_unit_test(test_stale_copy_after_the_gate_is_sent_the_bound),
		cmocka_unit_test(test_refused_reads_that_do_not_wait_then_wait),
		cmocka_unit_test(test_shuffle_whose_copy_is_lost_starts_over),
		cmocka_unit_test(test_bounded_shuffle_sends_the_bound_and_starts_over_when_refused),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
