/*
 * test_lead_spread.c — issue 18's first slice through the leader-engine
 * fixture (tests/lib/lead_fixture.h; docs/load.md): strong reads of a
 * quiet shard take turns over the copies at the committed entry, never a
 * copy behind it, and a block's reads stay on the primary; primaries are
 * spread again over the followers when one returns; every task's answer is
 * counted per copy.  The fake followers do not run queries: the tests look
 * at where each QUERY is sent, then fail it.
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

/* Run `SELECT count(*) FROM t` n times, each QUERY failed once sent;
 * hits[i] counts those sent to follower i (1-based, of 3). */
static void reads(lf_fixture *fx, void *session, int n, int *hits)
{
	memset(hits, 0, 5 * sizeof *hits);
	for (int i = 0; i < n; i++) {
		int from = lf_ntasks(fx);
		lf_query *q = lf_exec(fx, session, "SELECT count(*) FROM t");
		lf_task *t = lf_find(fx, LF_ANY_NODE, EXEC_TASK_QUERY, from);
		assert_non_null(t);
		for (int k = 1; k <= 3; k++)
			hits[k] += t->node == lf_node(fx, k);
		lf_fail(fx, t, "58030");
		if (!lf_done(q)) /* in a block: its writes are undone before the error */
			lf_settle(fx);
		assert_true(lf_done(q));
	}
}

static int primary_node(lf_fixture *fx, const char *table, uint32_t shard)
{
	catalog *c = lf_catalog(fx);
	for (int i = 0; i < cat_table_count(c); i++) {
		const cat_table *t = cat_table_at(c, i);
		if (strcmp(t->name, table) != 0)
			continue;
		for (int k = 0; k < t->shards[shard].nplacements; k++)
			if (t->shards[shard].placements[k].role == CAT_PRIMARY)
				return (int)t->shards[shard].placements[k].node_id;
	}
	return -1;
}

static void test_quiet_shard_reads_take_turns(void **state)
{
	(void)state;
	lf_fixture *fx = lf_new(3);
	int hits[5];
	lf_ok(fx, T_CREATE);
	lf_ok(fx, "INSERT INTO t VALUES (1, 'a')");
	reads(fx, NULL, 9, hits);
	for (int k = 1; k <= 3; k++)
		assert_true(hits[k] >= 2);
	lf_free(fx);
}

/* f3's copy of an insert is not answered: the insert is decided (f1, f2)
 * and the shard quiet, but f3 lacks the entry: no read goes there until
 * it answers. */
static void test_copy_behind_the_committed_entry_is_not_read(void **state)
{
	(void)state;
	lf_fixture *fx = lf_new(3);
	uint32_t f3 = lf_node(fx, 3);
	int hits[5], from;
	lf_ok(fx, T_CREATE);
	from = lf_ntasks(fx);
	lf_query *ins = lf_exec(fx, NULL, "INSERT INTO t VALUES (1, 'a')");
	lf_reply(fx, lf_find(fx, lf_node(fx, 1), EXEC_TASK_WRITE, from));
	lf_reply(fx, lf_find(fx, lf_node(fx, 2), EXEC_TASK_WRITE, from));
	assert_true(lf_done(ins));
	lf_task *held = lf_find(fx, f3, 0, from);
	assert_non_null(held);
	reads(fx, lf_session(fx), 8, hits);
	assert_int_equal(hits[3], 0);
	assert_true(hits[1] >= 2 && hits[2] >= 2);
	lf_reply(fx, held);
	lf_settle(fx);
	reads(fx, lf_session(fx), 9, hits);
	assert_true(hits[3] >= 2);
	lf_free(fx);
}

/* Inside a block that wrote the shard (its lock held), its reads go to
 * the primary, which holds its writes first.  (A failed read fails the
 * block: one read per block.) */
static void test_block_reads_stay_on_the_primary(void **state)
{
	(void)state;
	lf_fixture *fx = lf_new(3);
	void *a = lf_session(fx);
	int hits[5], total[5] = {0};
	char sql[64];
	lf_ok(fx, T_CREATE);
	for (int i = 0; i < 6; i++) {
		lf_exec(fx, a, "BEGIN");
		lf_settle(fx);
		snprintf(sql, sizeof sql, "INSERT INTO t VALUES (%d, 'a')", i);
		lf_exec(fx, a, sql);
		lf_settle(fx);
		reads(fx, a, 1, hits);
		for (int k = 1; k <= 3; k++)
			total[k] += hits[k];
		lf_exec(fx, a, "ROLLBACK");
		lf_settle(fx);
	}
	int p = primary_node(fx, "t", 0);
	for (int k = 1; k <= 3; k++)
		assert_int_equal(total[k], lf_node(fx, k) == (uint32_t)p ? 6 : 0);
	lf_free(fx);
}

/* Primaries each follower leads over the table's shards (index by i). */
static void lead_counts(lf_fixture *fx, int nshards, int *count)
{
	memset(count, 0, 5 * sizeof *count);
	for (int s = 0; s < nshards; s++)
		for (int k = 1; k <= 4; k++)
			count[k] += primary_node(fx, "w", (uint32_t)s) == (int)lf_node(fx, k);
}

/* f1 goes away: its primaries fail over; when it is back and current, a
 * few ticks give it its share again (no follower leads two more than
 * another). */
static void test_primaries_spread_when_a_follower_returns(void **state)
{
	(void)state;
	lf_fixture *fx = lf_new(4);
	uint32_t f1 = lf_node(fx, 1);
	int count[5];
	lf_ok(fx, "CREATE TABLE w (id int PRIMARY KEY, v text) WITH (shards = 8, replicas = 3)");
	lf_ok(fx, "INSERT INTO w VALUES (1, 'a'), (2, 'b'), (3, 'c'), (4, 'd'), (5, 'e')");
	lead_counts(fx, 8, count);
	assert_true(count[1] >= 1);
	lf_disconnect(fx, f1);
	lf_set_state(fx, f1, CAT_NODE_SUSPECT);
	lf_settle(fx);
	lead_counts(fx, 8, count);
	assert_int_equal(count[1], 0);
	lf_connect(fx, f1);
	lf_settle(fx);
	for (int i = 0; i < 5; i++) {
		lf_advance_ms(fx, 1000);
		lf_tick(fx);
		lf_settle(fx);
	}
	lead_counts(fx, 8, count);
	int min = 8, max = 0;
	for (int k = 1; k <= 4; k++) {
		min = count[k] < min ? count[k] : min;
		max = count[k] > max ? count[k] : max;
	}
	assert_true(count[1] >= 1);
	assert_true(max - min <= 1);
	/* nothing lost by the moves: every copy holds the five rows' entry */
	lf_ok(fx, "INSERT INTO w VALUES (6, 'f')");
	lf_free(fx);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_quiet_shard_reads_take_turns),
		cmocka_unit_test(test_copy_behind_the_committed_entry_is_not_read),
		cmocka_unit_test(test_block_reads_stay_on_the_primary),
		cmocka_unit_test(test_primaries_spread_when_a_follower_returns),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
