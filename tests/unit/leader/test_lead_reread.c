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
 *   after their own tries.
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
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
