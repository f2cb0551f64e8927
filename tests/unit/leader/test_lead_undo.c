/*
 * test_lead_undo.c — undo of a write whose quorum became impossible,
 * through the leader-engine fixture (tests/lib/lead_fixture.h;
 * docs/replication.md, "Quorum impossible"): exactly the copies that
 * applied the entry receive UNDO, to the LSN before it, for a statement
 * the primary ran (UPDATE: primary, then APPLY) and for a row insert run
 * on every copy at once; a copy that refused or failed gets none; an undo
 * that fails leaves the outcome unknown (40003); and a copy that applied
 * a write while the leader could not hear it is undone when it returns.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "lead_fixture.h"

#include <string.h>

#define T_CREATE "CREATE TABLE t (id int PRIMARY KEY, v text) WITH (shards = 1, replicas = 3)"

/* Three copies at lsn 2 (two committed inserts). */
static lf_fixture *setup_at_two(void)
{
	lf_fixture *fx = lf_new(3);
	lf_ok(fx, T_CREATE);
	lf_ok(fx, "INSERT INTO t VALUES (1, 'a')");
	lf_ok(fx, "INSERT INTO t VALUES (2, 'b')");
	assert_int_equal(lf_committed_lsn(fx, "t", 0), 2);
	return fx;
}

static int count_undos(lf_fixture *fx, int from, uint32_t node)
{
	int n = 0;
	for (int i = from; i < lf_ntasks(fx); i++)
		n += lf_task_at(fx, i)->kind == EXEC_TASK_UNDO && lf_task_at(fx, i)->node == node;
	return n;
}

/* UPDATE: the primary applies entry 3, both APPLYs fail.  Only the
 * primary is undone, to lsn 2. */
static void test_primary_undone_when_applies_fail(void **state)
{
	(void)state;
	lf_fixture *fx = setup_at_two();
	const char *file = lf_file(fx, "t", 0);
	uint32_t f1 = lf_node(fx, 1), f2 = lf_node(fx, 2), f3 = lf_node(fx, 3);
	int first = lf_ntasks(fx);
	lf_query *q = lf_exec(fx, NULL, "UPDATE t SET v = 'c' WHERE id = 1");
	lf_reply(fx, lf_find(fx, f1, EXEC_TASK_WRITE, first));
	assert_int_equal(lf_copy_lsn(fx, f1, file), 3);
	lf_fail(fx, lf_find(fx, f2, EXEC_TASK_APPLY, first), "58030");
	lf_fail(fx, lf_find(fx, f3, EXEC_TASK_APPLY, first), "58030");
	lf_task *u = lf_find(fx, LF_ANY_NODE, EXEC_TASK_UNDO, first);
	assert_non_null(u);
	assert_int_equal(u->node, f1);
	assert_int_equal(u->lsn, 2);
	assert_int_equal(count_undos(fx, first, f2) + count_undos(fx, first, f3), 0);
	assert_false(lf_done(q)); /* answered once the undo is in */
	lf_reply(fx, u);
	assert_true(lf_done(q));
	assert_string_equal(lf_sqlstate(q), "08006");
	assert_int_equal(lf_copy_lsn(fx, f1, file), 2);
	assert_int_equal(lf_committed_lsn(fx, "t", 0), 2);
	lf_free(fx);
}

/* A row insert at 'all': f1 and f2 apply it, f3 fails.  f1 and f2 are
 * undone to lsn 2; f3 is not sent an UNDO. */
static void test_every_holder_undone(void **state)
{
	(void)state;
	lf_fixture *fx = setup_at_two();
	const char *file = lf_file(fx, "t", 0);
	uint32_t f1 = lf_node(fx, 1), f2 = lf_node(fx, 2), f3 = lf_node(fx, 3);
	lf_ok(fx, "SET murphy.write_quorum = 'all'");
	int first = lf_ntasks(fx);
	lf_query *q = lf_exec(fx, NULL, "INSERT INTO t VALUES (3, 'c')");
	lf_reply(fx, lf_find(fx, f2, EXEC_TASK_WRITE, first));
	lf_reply(fx, lf_find(fx, f1, EXEC_TASK_WRITE, first));
	lf_fail(fx, lf_find(fx, f3, EXEC_TASK_WRITE, first), "58030");
	assert_int_equal(count_undos(fx, first, f1), 1);
	assert_int_equal(count_undos(fx, first, f2), 1);
	assert_int_equal(count_undos(fx, first, f3), 0);
	for (lf_task *u = lf_find(fx, LF_ANY_NODE, EXEC_TASK_UNDO, first); u;
	     u = lf_find(fx, LF_ANY_NODE, EXEC_TASK_UNDO, first)) {
		assert_int_equal(u->lsn, 2);
		assert_false(lf_done(q));
		lf_reply(fx, u);
	}
	assert_true(lf_done(q));
	assert_string_equal(lf_sqlstate(q), "08006");
	for (int n = 1; n <= 2; n++) {
		assert_int_equal(lf_copy_lsn(fx, lf_node(fx, n), file), 2);
		assert_false(lf_copy_holds_int(fx, lf_node(fx, n), file, 0, 3));
	}
	lf_free(fx);
}

/* The undo itself fails: the copy still holds the entry, so the client
 * cannot be told the write was undone: 40003. */
static void test_failed_undo_is_outcome_unknown(void **state)
{
	(void)state;
	lf_fixture *fx = setup_at_two();
	uint32_t f1 = lf_node(fx, 1);
	int first = lf_ntasks(fx);
	lf_query *q = lf_exec(fx, NULL, "UPDATE t SET v = 'c' WHERE id = 1");
	lf_reply(fx, lf_find(fx, f1, EXEC_TASK_WRITE, first));
	lf_fail(fx, lf_find(fx, lf_node(fx, 2), EXEC_TASK_APPLY, first), "58030");
	lf_fail(fx, lf_find(fx, lf_node(fx, 3), EXEC_TASK_APPLY, first), "58030");
	lf_fail(fx, lf_find(fx, f1, EXEC_TASK_UNDO, first), "58030");
	assert_true(lf_done(q));
	assert_string_equal(lf_sqlstate(q), "40003");
	assert_int_equal(lf_copy_state(fx, "t", 0, f1), CAT_PL_DIVERGENT);
	lf_free(fx);
}

/* The primary applied entry 3 and its link closed before it answered:
 * it may hold the entry.  When it returns, its STATUS shows lsn 3 above
 * the committed 2: it is undone to 2 and is current again. */
static void test_returning_copy_ahead_is_undone(void **state)
{
	(void)state;
	lf_fixture *fx = setup_at_two();
	const char *file = lf_file(fx, "t", 0);
	uint32_t f1 = lf_node(fx, 1);
	int first = lf_ntasks(fx);
	lf_query *q = lf_exec(fx, NULL, "UPDATE t SET v = 'c' WHERE id = 1");
	lf_deliver(fx, lf_find(fx, f1, EXEC_TASK_WRITE, first));
	lf_disconnect(fx, f1);
	assert_true(lf_done(q));
	assert_string_equal(lf_sqlstate(q), "40003"); /* f1 may hold it */
	assert_int_equal(lf_copy_lsn(fx, f1, file), 3);
	lf_connect(fx, f1);
	lf_settle(fx); /* STATUS */
	assert_int_equal(lf_copy_state(fx, "t", 0, f1), CAT_PL_DIVERGENT);
	int before = lf_ntasks(fx);
	lf_tick(fx);
	lf_task *u = lf_find(fx, f1, EXEC_TASK_UNDO, before);
	assert_non_null(u);
	assert_int_equal(u->lsn, 2);
	lf_settle(fx);
	assert_int_equal(lf_copy_lsn(fx, f1, file), 2);
	assert_int_equal(lf_copy_state(fx, "t", 0, f1), CAT_PL_CURRENT);
	lf_free(fx);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_primary_undone_when_applies_fail),
		cmocka_unit_test(test_every_holder_undone),
		cmocka_unit_test(test_failed_undo_is_outcome_unknown),
		cmocka_unit_test(test_returning_copy_ahead_is_undone),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
