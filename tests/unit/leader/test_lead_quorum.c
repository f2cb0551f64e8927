/*
 * test_lead_quorum.c — the leader engine's write quorum, driven through
 * the deterministic fixture (tests/lib/lead_fixture.h): when a write is
 * acknowledged to its client under write_quorum 'one', 'majority' and
 * 'all', for a row insert (every copy runs it at once) and for an UPDATE
 * (the primary runs it, the replicas APPLY its changeset); a write whose
 * quorum becomes impossible fails (08006, undone) or, when a copy may hold
 * it without having answered, with 40003.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "lead_fixture.h"

#include <string.h>

#define T_CREATE "CREATE TABLE t (id int PRIMARY KEY, v text) WITH (shards = 1, replicas = 3)"

static lf_fixture *setup3(void)
{
	lf_fixture *fx = lf_new(3);
	lf_ok(fx, T_CREATE);
	return fx;
}

/* The WRITE of the insert sent to node (outstanding). */
static lf_task *write_to(lf_fixture *fx, uint32_t node)
{
	lf_task *t = lf_find(fx, node, EXEC_TASK_WRITE, 0);
	assert_non_null(t);
	return t;
}

static void test_majority_needs_two_answers(void **state)
{
	(void)state;
	lf_fixture *fx = setup3();
	lf_query *q = lf_exec(fx, NULL, "INSERT INTO t VALUES (1, 'a')");
	/* a row insert goes to every copy at once, each told its entry is lsn 1 */
	for (int i = 1; i <= 3; i++) {
		lf_task *w = write_to(fx, lf_node(fx, i));
		assert_int_equal(w->lsn, 1);
		assert_int_equal(w->capture, i == 1 ? EXEC_CAPTURE_RETURN : EXEC_CAPTURE_LOG);
	}
	assert_int_equal(write_to(fx, lf_node(fx, 1))->entry_id,
			 write_to(fx, lf_node(fx, 2))->entry_id);
	lf_reply(fx, write_to(fx, lf_node(fx, 2)));
	assert_false(lf_done(q)); /* one copy of three */
	lf_reply(fx, write_to(fx, lf_node(fx, 3)));
	assert_true(lf_done(q)); /* two: the primary's answer is not needed */
	assert_string_equal(lf_sqlstate(q), "");
	assert_string_equal(lf_tag(q), "INSERT 0 1");
	assert_int_equal(lf_committed_lsn(fx, "t", 0), 1);
	lf_settle(fx);
	lf_free(fx);
}

static void test_majority_primary_and_one(void **state)
{
	(void)state;
	lf_fixture *fx = setup3();
	lf_query *q = lf_exec(fx, NULL, "INSERT INTO t VALUES (1, 'a')");
	lf_reply(fx, write_to(fx, lf_node(fx, 1)));
	assert_false(lf_done(q));
	lf_reply(fx, write_to(fx, lf_node(fx, 3)));
	assert_true(lf_done(q));
	assert_string_equal(lf_sqlstate(q), "");
	lf_settle(fx);
	lf_free(fx);
}

static void test_one_needs_one_answer(void **state)
{
	(void)state;
	lf_fixture *fx = setup3();
	lf_ok(fx, "SET murphy.write_quorum = 'one'");
	lf_query *q = lf_exec(fx, NULL, "INSERT INTO t VALUES (1, 'a')");
	assert_false(lf_done(q));
	lf_reply(fx, write_to(fx, lf_node(fx, 3)));
	assert_true(lf_done(q));
	assert_string_equal(lf_sqlstate(q), "");
	lf_settle(fx);
	lf_free(fx);
}

static void test_all_needs_every_answer(void **state)
{
	(void)state;
	lf_fixture *fx = setup3();
	lf_ok(fx, "SET murphy.write_quorum = 'all'");
	lf_query *q = lf_exec(fx, NULL, "INSERT INTO t VALUES (1, 'a')");
	lf_reply(fx, write_to(fx, lf_node(fx, 1)));
	lf_reply(fx, write_to(fx, lf_node(fx, 2)));
	assert_false(lf_done(q));
	lf_reply(fx, write_to(fx, lf_node(fx, 3)));
	assert_true(lf_done(q));
	assert_string_equal(lf_sqlstate(q), "");
	lf_free(fx);
}

/* An UPDATE runs on the primary, whose changeset the replicas APPLY as
 * the same entry: majority is the primary and one APPLY. */
static void test_update_primary_then_apply(void **state)
{
	(void)state;
	lf_fixture *fx = setup3();
	lf_ok(fx, "INSERT INTO t VALUES (1, 'a')");
	lf_query *q = lf_exec(fx, NULL, "UPDATE t SET v = 'b' WHERE id = 1");
	lf_task *w = write_to(fx, lf_node(fx, 1));
	assert_null(lf_find(fx, lf_node(fx, 2), 0, 0)); /* nothing to the replicas yet */
	lf_reply(fx, w);
	assert_false(lf_done(q));
	lf_task *a2 = lf_find(fx, lf_node(fx, 2), EXEC_TASK_APPLY, 0);
	lf_task *a3 = lf_find(fx, lf_node(fx, 3), EXEC_TASK_APPLY, 0);
	assert_non_null(a2);
	assert_non_null(a3);
	assert_int_equal(a2->lsn, 2);
	assert_int_equal(a2->entry_id, w->entry_id);
	lf_reply(fx, a3);
	assert_true(lf_done(q));
	assert_string_equal(lf_sqlstate(q), "");
	assert_string_equal(lf_tag(q), "UPDATE 1");
	lf_settle(fx);
	assert_int_equal(lf_copy_entry(fx, lf_node(fx, 2), lf_file(fx, "t", 0), 2), w->entry_id);
	lf_free(fx);
}

/* Two copies fail the entry: a majority is impossible.  Every copy
 * answered, so the client hears it was undone (08006), and the copy that
 * applied it is rolled back to the entry before. */
static void test_quorum_impossible_is_undone(void **state)
{
	(void)state;
	lf_fixture *fx = setup3();
	const char *file = lf_file(fx, "t", 0);
	lf_query *q = lf_exec(fx, NULL, "INSERT INTO t VALUES (1, 'a')");
	lf_reply(fx, write_to(fx, lf_node(fx, 1)));
	lf_fail(fx, write_to(fx, lf_node(fx, 2)), "58030");
	assert_false(lf_done(q));
	lf_fail(fx, write_to(fx, lf_node(fx, 3)), "58030");
	assert_false(lf_done(q)); /* the undo comes first */
	lf_task *u = lf_find(fx, lf_node(fx, 1), EXEC_TASK_UNDO, 0);
	assert_non_null(u);
	assert_int_equal(u->lsn, 0);
	assert_int_equal(lf_copy_lsn(fx, lf_node(fx, 1), file), 1);
	lf_reply(fx, u);
	assert_true(lf_done(q));
	assert_string_equal(lf_sqlstate(q), "08006");
	assert_int_equal(lf_copy_lsn(fx, lf_node(fx, 1), file), 0);
	assert_int_equal(lf_committed_lsn(fx, "t", 0), 0);
	lf_free(fx);
}

/* A copy was sent the entry and its answer was lost (the link closed
 * after it applied it): the write cannot be said to be undone, 40003. */
static void test_lost_answer_is_outcome_unknown(void **state)
{
	(void)state;
	lf_fixture *fx = setup3();
	lf_query *q = lf_exec(fx, NULL, "INSERT INTO t VALUES (1, 'a')");
	lf_task *w2 = write_to(fx, lf_node(fx, 2));
	lf_fail(fx, write_to(fx, lf_node(fx, 1)), "58030");
	lf_deliver(fx, w2);
	lf_fail(fx, w2, "08006");
	assert_false(lf_done(q));
	lf_fail(fx, write_to(fx, lf_node(fx, 3)), "58030");
	lf_settle(fx);
	assert_true(lf_done(q));
	assert_string_equal(lf_sqlstate(q), "40003");
	lf_free(fx);
}

/* A follower that is not connected when the write starts: majority of 3
 * needs 2 of the 2 left. */
static void test_unreachable_copy_counts_against_quorum(void **state)
{
	(void)state;
	lf_fixture *fx = setup3();
	lf_disconnect(fx, lf_node(fx, 3));
	lf_query *q = lf_exec(fx, NULL, "INSERT INTO t VALUES (1, 'a')");
	assert_null(lf_find(fx, lf_node(fx, 3), 0, 0));
	lf_reply(fx, write_to(fx, lf_node(fx, 2)));
	assert_false(lf_done(q));
	lf_reply(fx, write_to(fx, lf_node(fx, 1)));
	assert_true(lf_done(q));
	assert_string_equal(lf_sqlstate(q), "");
	lf_disconnect(fx, lf_node(fx, 2));
	q = lf_exec(fx, NULL, "INSERT INTO t VALUES (2, 'b')");
	assert_true(lf_done(q)); /* refused before anything is sent */
	assert_string_equal(lf_sqlstate(q), "08006");
	assert_int_equal(lf_outstanding(fx, LF_ANY_NODE), 0);
	lf_free(fx);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_majority_needs_two_answers),
		cmocka_unit_test(test_majority_primary_and_one),
		cmocka_unit_test(test_one_needs_one_answer),
		cmocka_unit_test(test_all_needs_every_answer),
		cmocka_unit_test(test_update_primary_then_apply),
		cmocka_unit_test(test_quorum_impossible_is_undone),
		cmocka_unit_test(test_lost_answer_is_outcome_unknown),
		cmocka_unit_test(test_unreachable_copy_counts_against_quorum),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
