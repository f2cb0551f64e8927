/*
 * test_lead_move.c — murphy.move_placement through the leader-engine
 * fixture (tests/lib/lead_fixture.h; replication/repl_move.c): the new
 * copy is made by a REBUILD from the primary, its final catch-up holds the
 * shard's writes (a write that arrives meanwhile is sent only after the
 * switch, and to the new copy, not the old one), the old copy leaves the
 * catalog with the primary role handed over and its file dropped at the
 * next tick, and the call answers only then; a target that goes away
 * aborts the move and leaves the old copies as they were.  The fake
 * followers do not run queries: the size QUERY fails (the move goes on
 * without an estimate).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "lead_fixture.h"

#include <stdio.h>
#include <string.h>

#define T_CREATE "CREATE TABLE t (id int PRIMARY KEY, v text) WITH (shards = 1, replicas = 3)"

static const cat_shard *shard0(lf_fixture *fx)
{
	catalog *c = lf_catalog(fx);
	for (int i = 0; i < cat_table_count(c); i++)
		if (strcmp(cat_table_at(c, i)->name, "t") == 0)
			return &cat_table_at(c, i)->shards[0];
	fail_msg("no table t");
	return NULL;
}

static int holds(lf_fixture *fx, uint32_t node)
{
	return cat_placement_on((cat_shard *)shard0(fx), node) != NULL;
}

static uint32_t primary(lf_fixture *fx)
{
	const cat_shard *s = shard0(fx);
	for (int k = 0; k < s->nplacements; k++)
		if (s->placements[k].role == CAT_PRIMARY)
			return s->placements[k].node_id;
	return 0;
}

/* The follower (1-based index) that holds no copy of t's shard. */
static int free_follower(lf_fixture *fx)
{
	for (int k = 1; k <= 4; k++)
		if (!holds(fx, lf_node(fx, k)))
			return k;
	fail_msg("every follower holds a copy");
	return 0;
}

/* Start moving t's shard from its primary to the free follower; answers
 * the size QUERY (failed) and returns the running call. */
static lf_query *start_move(lf_fixture *fx, uint32_t *src, uint32_t *dst)
{
	char sql[160];
	int from = lf_ntasks(fx);
	lf_query *q;
	lf_task *size;
	*src = primary(fx);
	*dst = lf_node(fx, free_follower(fx));
	for (int k = 1; k <= 4; k++)
		if (lf_node(fx, k) == *src)
			snprintf(sql, sizeof sql,
				 "SELECT murphy.move_placement('t', 0, 'f%d', 'f%d')", k,
				 free_follower(fx));
	q = lf_exec(fx, NULL, sql);
	size = lf_find(fx, *src, EXEC_TASK_QUERY, from);
	assert_non_null(size);
	lf_fail(fx, size, "0A000");
	assert_false(lf_done(q));
	return q;
}

/* Run an insert in session (not the one the move's call waits in: a
 * session runs one statement at a time), answering only its own WRITE and APPLY tasks (a REBUILD
 * or CATCHUP outstanding stays so). */
static lf_query *insert_now(lf_fixture *fx, void *session, const char *sql)
{
	int from = lf_ntasks(fx);
	lf_query *q = lf_exec(fx, session, sql);
	lf_task *t;
	while ((t = lf_find(fx, LF_ANY_NODE, EXEC_TASK_WRITE, from)) ||
	       (t = lf_find(fx, LF_ANY_NODE, EXEC_TASK_APPLY, from)))
		lf_reply(fx, t);
	return q;
}

static void test_move_switches_in_under_the_writes(void **state)
{
	(void)state;
	lf_fixture *fx = lf_new(4);
	uint32_t src, dst;
	lf_ok(fx, T_CREATE);
	lf_ok(fx, "INSERT INTO t VALUES (1, 'a')");
	const char *file = lf_file(fx, "t", 0);
	int from = lf_ntasks(fx);
	lf_query *q = start_move(fx, &src, &dst);
	lf_task *rb = lf_find(fx, dst, EXEC_TASK_REBUILD, from);
	assert_non_null(rb);
	/* an insert while copying: the new copy is no member yet, no write
	 * goes to it */
	void *other = lf_session(fx);
	assert_true(lf_done(insert_now(fx, other, "INSERT INTO t VALUES (2, 'b')")));
	assert_null(lf_find(fx, dst, EXEC_TASK_APPLY, from));
	lf_reply(fx, rb); /* installed: the final catch-up is asked for at once */
	lf_task *cu = lf_find(fx, dst, EXEC_TASK_CATCHUP, from);
	assert_non_null(cu);
	/* an insert during the final catch-up waits for the switch */
	int before = lf_ntasks(fx);
	lf_query *ins = lf_exec(fx, other, "INSERT INTO t VALUES (3, 'c')");
	assert_null(lf_find(fx, LF_ANY_NODE, EXEC_TASK_WRITE, before));
	assert_false(lf_done(ins));
	lf_reply(fx, cu);
	/* switched: the new copy leads, the old one is out of the catalog */
	assert_false(holds(fx, src));
	assert_int_equal(primary(fx), dst);
	assert_int_equal(lf_copy_state(fx, "t", 0, dst), CAT_PL_CURRENT);
	lf_settle(fx);
	assert_true(lf_done(ins));
	assert_string_equal(lf_sqlstate(ins), "");
	assert_true(lf_copy_holds_int(fx, dst, file, 0, 3));
	for (int i = before; i < lf_ntasks(fx); i++)
		assert_true(lf_task_at(fx, i)->node != src); /* nothing more to the old copy */
	/* the next tick drops the old file; the call answers then */
	assert_false(lf_done(q));
	lf_tick(fx);
	lf_task *drop = lf_find(fx, src, EXEC_TASK_DROP, before);
	assert_non_null(drop);
	lf_settle(fx);
	assert_false(lf_copy_exists(fx, src, file));
	assert_true(lf_done(q));
	assert_string_equal(lf_sqlstate(q), "");
	for (int v = 1; v <= 3; v++)
		assert_true(lf_copy_holds_int(fx, dst, file, 0, v));
	lf_free(fx);
}

static void test_target_lost_aborts_the_move(void **state)
{
	(void)state;
	lf_fixture *fx = lf_new(4);
	uint32_t src, dst;
	lf_ok(fx, T_CREATE);
	lf_ok(fx, "INSERT INTO t VALUES (1, 'a')");
	int from = lf_ntasks(fx);
	lf_query *q = start_move(fx, &src, &dst);
	assert_non_null(lf_find(fx, dst, EXEC_TASK_REBUILD, from));
	assert_true(holds(fx, dst));
	lf_disconnect(fx, dst);
	lf_settle(fx);
	assert_true(lf_done(q)); /* aborted at once, answered */
	assert_string_equal(lf_sqlstate(q), "");
	assert_false(holds(fx, dst));
	assert_true(holds(fx, src));
	assert_int_equal(primary(fx), src);
	assert_int_equal(shard0(fx)->nplacements, 3);
	/* nothing replaces the partial copy when its follower is declared dead */
	lf_set_state(fx, dst, CAT_NODE_DEAD);
	lf_tick(fx);
	lf_settle(fx);
	assert_int_equal(shard0(fx)->nplacements, 3);
	lf_free(fx);
}

/* A block holds the shard's lock with an entry on the primary only: the
 * copy moved off the primary does not switch in (nor take the primary
 * role) until the block ended; then the next tick switches it, with the
 * block's row. */
static void test_switch_waits_for_an_open_block(void **state)
{
	(void)state;
	lf_fixture *fx = lf_new(4);
	uint32_t src, dst;
	void *a = lf_session(fx);
	lf_ok(fx, T_CREATE);
	lf_ok(fx, "INSERT INTO t VALUES (1, 'a')");
	const char *file = lf_file(fx, "t", 0);
	lf_exec(fx, a, "BEGIN");
	lf_settle(fx);
	lf_exec(fx, a, "INSERT INTO t VALUES (2, 'b')");
	lf_settle(fx);
	int from = lf_ntasks(fx);
	lf_query *q = start_move(fx, &src, &dst);
	lf_reply(fx, lf_find(fx, dst, EXEC_TASK_REBUILD, from));
	lf_settle(fx);
	lf_tick(fx);
	lf_settle(fx);
	assert_true(holds(fx, src));
	assert_int_equal(primary(fx), src);
	assert_int_equal(lf_copy_state(fx, "t", 0, dst), CAT_PL_REBUILDING);
	lf_query *commit = lf_exec(fx, a, "COMMIT");
	lf_settle(fx);
	assert_true(lf_done(commit));
	assert_string_equal(lf_sqlstate(commit), "");
	for (int i = 0; i < 3 && !lf_done(q); i++) {
		lf_tick(fx);
		lf_settle(fx);
	}
	assert_true(lf_done(q));
	assert_false(holds(fx, src));
	assert_int_equal(primary(fx), dst);
	assert_true(lf_copy_holds_int(fx, dst, file, 0, 2));
	lf_free(fx);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_move_switches_in_under_the_writes),
		cmocka_unit_test(test_target_lost_aborts_the_move),
		cmocka_unit_test(test_switch_waits_for_an_open_block),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
