/*
 * test_lead_owners.c — which followers own a shuffle's parts at bounded
 * (src/leader/lead_stale.c, lead_stale_owners; docs/consistency.md,
 * "Joins and repartitioned reads"), and which copies a bounded read that
 * does not wait may go to by their answer times (now_node; "Reads that
 * do not wait"), through the leader-engine fixture
 * (tests/lib/lead_fixture.h).  The fake followers do not run queries: the
 * tests answer a read's QUERY with a failure after stepping the clock by
 * the answer time they mean the leader to measure (none when failed at
 * once), and look at where a repartitioned read sends its RECVs.
 *
 * - a follower whose reads were never answered (never measured) owns no
 *   part while others were measured fast: unknown is not fast (a delayed
 *   primary that no read went to owned parts and held every join up);
 * - when no follower was measured lately (LEAD_OWNER_MEASURED_US, 4 s),
 *   every follower owns a part, as before any read;
 * - a follower measured slow owns none;
 * - a bounded read does not go to a copy that was sent an undecided entry
 *   (it would refuse) when that copy is slow next to the primary the gate
 *   reads: it waits at the gate (both replicas delayed: three 200 ms
 *   refusals before the gate otherwise); when the copy is as fast, it
 *   is tried without waiting.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "lead_fixture.h"

#define T_CREATE "CREATE TABLE t (id int PRIMARY KEY, v text) WITH (shards = 1, replicas = 3)"
#define T_ROWS "INSERT INTO t VALUES (1, 'a'), (2, 'b'), (3, 'a'), (4, 'c')"
#define T_DISTINCT "SELECT count(DISTINCT v) FROM t"
#define SLOW_MS 100        /* a slow follower's answer time: far above 2 × 1 ms + 5 ms */
#define OWNER_FADE_MS 4001 /* past LEAD_OWNER_MEASURED_US */

/* Bit of follower i (1-based) in a mask. */
static unsigned bit(int i) { return 1u << i; }

static int follower_of(lf_fixture *fx, uint32_t node)
{
	for (int i = 1; i <= 3; i++)
		if (lf_node(fx, i) == node)
			return i;
	fail_msg("node %u is not a follower", node);
	return 0;
}

/* One bounded `SELECT count(*) FROM t`: its QUERY answered (failed) after
 * ms[i] of follower i's (0: at once, nothing measured).  Returns i. */
static int read_once(lf_fixture *fx, const uint64_t *ms)
{
	int from = lf_ntasks(fx);
	lf_query *q = lf_exec(fx, NULL, "SELECT count(*) FROM t");
	lf_task *t = lf_find(fx, LF_ANY_NODE, EXEC_TASK_QUERY, from);
	assert_non_null(t);
	int i = follower_of(fx, t->node);
	lf_advance_ms(fx, ms[i]);
	lf_fail(fx, t, "58030");
	assert_true(lf_done(q));
	return i;
}

/* Bounded reads until every follower in `want` (mask) was read once. */
static void read_each(lf_fixture *fx, const uint64_t *ms, unsigned want)
{
	unsigned seen = 0;
	for (int n = 0; n < 30 && (seen & want) != want; n++)
		seen |= bit(read_once(fx, ms));
	assert_int_equal(seen & want, want);
}

/* The followers owning a part of a repartitioned read now (mask); the
 * read is then failed (the SEND's failure measures nothing slow). */
static unsigned owners(lf_fixture *fx)
{
	int from = lf_ntasks(fx);
	unsigned mask = 0;
	lf_query *q = lf_exec(fx, NULL, T_DISTINCT);
	for (lf_task *t = lf_find(fx, LF_ANY_NODE, EXEC_TASK_SHUFFLE_RECV, from); t;
	     t = lf_find(fx, LF_ANY_NODE, EXEC_TASK_SHUFFLE_RECV, t->seq + 1))
		mask |= bit(follower_of(fx, t->node));
	lf_task *send = lf_find(fx, LF_ANY_NODE, EXEC_TASK_SHUFFLE_SEND, from);
	assert_non_null(send);
	lf_fail(fx, send, "58030");
	for (lf_task *t; (t = lf_find(fx, LF_ANY_NODE, 0, from)) != NULL;)
		lf_fail(fx, t, "57014"); /* the owners, cancelled */
	assert_true(lf_done(q));
	return mask;
}

static lf_fixture *bounded_fixture(void)
{
	lf_fixture *fx = lf_new(3);
	lf_ok(fx, T_CREATE);
	lf_ok(fx, T_ROWS);
	lf_ok(fx, "SET murphy.shuffle_strategy = 'repartition'");
	lf_ok(fx, "SET murphy.read_consistency = 'bounded'");
	return fx;
}

static void test_unmeasured_follower_owns_no_part(void **state)
{
	(void)state;
	lf_fixture *fx = bounded_fixture();
	const uint64_t ms[4] = {0, 1, 1, 0}; /* f3's reads fail at once */
	read_each(fx, ms, bit(1) | bit(2));
	assert_int_equal(owners(fx), bit(1) | bit(2));
	lf_free(fx);
}

static void test_every_follower_owns_when_none_measured_lately(void **state)
{
	(void)state;
	lf_fixture *fx = bounded_fixture();
	const uint64_t ms[4] = {0, 1, 1, 0};
	assert_int_equal(owners(fx), bit(1) | bit(2) | bit(3)); /* none read yet */
	read_each(fx, ms, bit(1) | bit(2));
	lf_advance_ms(fx, OWNER_FADE_MS);
	assert_int_equal(owners(fx), bit(1) | bit(2) | bit(3));
	lf_free(fx);
}

static void test_follower_measured_slow_owns_no_part(void **state)
{
	(void)state;
	lf_fixture *fx = bounded_fixture();
	const uint64_t ms[4] = {0, 1, 1, SLOW_MS};
	read_each(fx, ms, bit(1) | bit(2) | bit(3));
	assert_int_equal(owners(fx), bit(1) | bit(2));
	lf_free(fx);
}

/* The follower running the WRITE of `sql` (the shard's primary), the
 * write settled. */
static int primary_of(lf_fixture *fx, const char *sql)
{
	int from = lf_ntasks(fx);
	lf_query *q = lf_exec(fx, NULL, sql);
	lf_task *w = lf_find(fx, LF_ANY_NODE, EXEC_TASK_WRITE, from);
	assert_non_null(w);
	int p = follower_of(fx, w->node);
	lf_settle(fx);
	assert_true(lf_done(q));
	return p;
}

/* Replicas measured at replica_ms, the primary at 1 ms; an UPDATE's entry
 * on the primary, its APPLYs to the replicas held: does a bounded scan
 * send a QUERY to a replica before the entry is decided? */
static int replica_read_while_undecided(uint64_t replica_ms)
{
	lf_fixture *fx = bounded_fixture();
	int p = primary_of(fx, "UPDATE t SET v = 'd' WHERE id = 1"), sent = 0;
	uint64_t ms[4] = {0, replica_ms, replica_ms, replica_ms};
	ms[p] = 1;
	read_each(fx, ms, bit(1) | bit(2) | bit(3));
	int from = lf_ntasks(fx);
	lf_query *w = lf_exec(fx, lf_session(fx), "UPDATE t SET v = 'e' WHERE id = 1");
	lf_task *wt = lf_find(fx, LF_ANY_NODE, EXEC_TASK_WRITE, from);
	assert_non_null(wt);
	lf_reply(fx, wt); /* the primary holds it; the APPLYs are out */
	assert_non_null(lf_find(fx, LF_ANY_NODE, EXEC_TASK_APPLY, from));
	int rfrom = lf_ntasks(fx);
	lf_query *q = lf_exec(fx, NULL, "SELECT count(*) FROM t");
	for (lf_task *t = lf_find(fx, LF_ANY_NODE, EXEC_TASK_QUERY, rfrom); t;
	     t = lf_find(fx, LF_ANY_NODE, EXEC_TASK_QUERY, t->seq + 1))
		sent |= follower_of(fx, t->node) != p;
	for (lf_task *a; (a = lf_find(fx, LF_ANY_NODE, EXEC_TASK_APPLY, from)) != NULL;)
		lf_reply(fx, a); /* decided: the read goes on */
	for (lf_task *t; (t = lf_find(fx, LF_ANY_NODE, EXEC_TASK_QUERY, rfrom)) != NULL;)
		lf_fail(fx, t, "58030"); /* QUERYs are not modelled */
	assert_true(lf_done(w) && lf_done(q));
	lf_free(fx);
	return sent;
}

static void test_slow_copy_sent_an_undecided_entry_is_not_read(void **state)
{
	(void)state;
	assert_false(replica_read_while_undecided(SLOW_MS));
	assert_true(replica_read_while_undecided(1)); /* as fast: tried without waiting */
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_unmeasured_follower_owns_no_part),
		cmocka_unit_test(test_every_follower_owns_when_none_measured_lately),
		cmocka_unit_test(test_follower_measured_slow_owns_no_part),
		cmocka_unit_test(test_slow_copy_sent_an_undecided_entry_is_not_read),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
