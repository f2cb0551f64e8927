/*
 * test_lead_restart.c — a fresh leader engine over a catalog whose copies
 * report different positions (docs/replication.md, "Leader restart";
 * lead_recover.c, decide_committed), through the leader-engine fixture
 * (tests/lib/lead_fixture.h):
 *   - it decides a shard only once n - q + 1 copies reported, and waits up
 *     to LEAD_RECOVER_HEAR_ALL_MS for all n; the committed entry is the
 *     newest entry id reported; copies behind catch up from the winner,
 *     copies ahead are undone to it; copies that are dead do not count;
 *   - statements wait while a shard is undecided (LEAD_RECONCILE_WAIT_MS);
 *   - a crash at each step of a run of pipelined inserts (every task
 *     delivered, then answered, one at a time, in two orders), with each
 *     follower in turn staying away after the restart: once the survivors
 *     reported, every insert that was acknowledged before the crash is on
 *     every current copy, the current copies agree, and a new insert works.
 * The clock is the fixture's: the windows are stepped, not slept.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "common/clock.h"
#include "lead_fixture.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define T_CREATE "CREATE TABLE t (id int PRIMARY KEY, v text) WITH (shards = 1, replicas = 3)"
/* LEAD_RECOVER_HEAR_ALL_MS and LEAD_RECONCILE_WAIT_MS (lead_int.h, private
 * to the engine): the test steps the clock past them. */
#define HEAR_ALL_MS 3000
#define RECONCILE_WAIT_MS 5000
/* Entry ids the copies hold before the restart, oldest first. */
#define ID_A 101
#define ID_B 102
#define ID_C 103

/* A table whose copies hold f1: A B, f2: A B C, f3: A; then a restart. */
static lf_fixture *restart_with_divergent_copies(void)
{
	lf_fixture *fx = lf_new(3);
	static const uint64_t ids[] = {ID_A, ID_B, ID_C};
	lf_ok(fx, T_CREATE);
	const char *file = lf_file(fx, "t", 0);
	lf_copy_set(fx, lf_node(fx, 1), file, 2, ids);
	lf_copy_set(fx, lf_node(fx, 2), file, 3, ids);
	lf_copy_set(fx, lf_node(fx, 3), file, 1, ids);
	lf_restart(fx);
	assert_false(lf_committed_known(fx, "t", 0));
	return fx;
}

/* Recovery ticks (a second apart), answering everything in between. */
static void recover(lf_fixture *fx, int ticks)
{
	for (int i = 0; i < ticks; i++) {
		lf_settle(fx);
		lf_advance_ms(fx, 1000);
		lf_tick(fx);
	}
	lf_settle(fx);
}

/* The first task of kind sent at or after index from, answered or not. */
static lf_task *sent(lf_fixture *fx, int kind, int from)
{
	for (int i = from; i < lf_ntasks(fx); i++)
		if ((int)lf_task_at(fx, i)->kind == kind)
			return lf_task_at(fx, i);
	return NULL;
}

/* Tasks sent from `from` on, but the restart's listings of STAGED entries
 * (TXN_STATE with txn_id 0, repl_staged_rebuild.c). */
static int sent_but_listings(lf_fixture *fx, int from)
{
	int n = 0;
	for (int i = from; i < lf_ntasks(fx); i++)
		n += !(lf_task_at(fx, i)->kind == EXEC_TASK_TXN_STATE &&
		       lf_task_at(fx, i)->txn_id == 0);
	return n;
}

static void assert_copy(lf_fixture *fx, int n, uint64_t lsn, uint64_t last_id)
{
	const char *file = lf_file(fx, "t", 0);
	assert_int_equal(lf_copy_lsn(fx, lf_node(fx, n), file), lsn);
	assert_int_equal(lf_copy_entry(fx, lf_node(fx, n), file, lsn), last_id);
	assert_int_equal(lf_copy_state(fx, "t", 0, lf_node(fx, n)), CAT_PL_CURRENT);
}

/* All three report at once: no wait; the newest entry (C on f2) wins and
 * the others catch up to it. */
static void test_all_reports_newest_entry_wins(void **state)
{
	(void)state;
	lf_fixture *fx = restart_with_divergent_copies();
	for (int n = 1; n <= 3; n++)
		lf_connect(fx, lf_node(fx, n));
	lf_settle(fx);
	assert_true(lf_committed_known(fx, "t", 0));
	assert_int_equal(lf_committed_lsn(fx, "t", 0), 3);
	assert_int_equal(lf_committed_entry(fx, "t", 0), ID_C);
	recover(fx, 2);
	for (int n = 1; n <= 3; n++)
		assert_copy(fx, n, 3, ID_C);
	lf_free(fx);
}

/* f1 holds X Y on top of A B, written while it was cut off (their
 * outcome unknown); D, issued later, was acknowledged by f2 and f3 at
 * lsn 3.  The newest entry wins, not the longest log: D, and f1 ends up
 * with A B D (undone, then copied anew: its entry 3 is not D). */
static void test_newest_entry_beats_longest_log(void **state)
{
	(void)state;
	lf_fixture *fx = lf_new(3);
	static const uint64_t f1_ids[] = {ID_A, ID_B, ID_C, ID_C + 1};
	static const uint64_t ids[] = {ID_A, ID_B, ID_C + 2};
	lf_ok(fx, T_CREATE);
	const char *file = lf_file(fx, "t", 0);
	lf_copy_set(fx, lf_node(fx, 1), file, 4, f1_ids);
	lf_copy_set(fx, lf_node(fx, 2), file, 3, ids);
	lf_copy_set(fx, lf_node(fx, 3), file, 3, ids);
	lf_restart(fx);
	lf_connect(fx, lf_node(fx, 1));
	lf_connect(fx, lf_node(fx, 2));
	lf_settle(fx);
	lf_advance_ms(fx, HEAR_ALL_MS);
	lf_tick(fx);
	assert_true(lf_committed_known(fx, "t", 0));
	assert_int_equal(lf_committed_lsn(fx, "t", 0), 3);
	assert_int_equal(lf_committed_entry(fx, "t", 0), ID_C + 2);
	recover(fx, 4);
	assert_copy(fx, 1, 3, ID_C + 2);
	assert_copy(fx, 2, 3, ID_C + 2);
	lf_free(fx);
}

/* One report of three is not enough, however long the leader waits,
 * while the others are not dead. */
static void test_one_report_is_not_enough(void **state)
{
	(void)state;
	lf_fixture *fx = restart_with_divergent_copies();
	lf_connect(fx, lf_node(fx, 1));
	lf_settle(fx);
	lf_advance_ms(fx, HEAR_ALL_MS + RECONCILE_WAIT_MS);
	lf_tick(fx);
	lf_settle(fx);
	assert_false(lf_committed_known(fx, "t", 0));
	/* f3 reports: two of three (n - q + 1), the window is over: decided
	 * from f1 and f3, whose newest entry is B */
	lf_connect(fx, lf_node(fx, 3));
	lf_settle(fx);
	assert_true(lf_committed_known(fx, "t", 0));
	assert_int_equal(lf_committed_lsn(fx, "t", 0), 2);
	assert_int_equal(lf_committed_entry(fx, "t", 0), ID_B);
	recover(fx, 2);
	assert_copy(fx, 1, 2, ID_B);
	assert_copy(fx, 3, 2, ID_B);
	/* f2 returns with C on top of B: undone to B */
	int before = lf_ntasks(fx);
	lf_connect(fx, lf_node(fx, 2));
	lf_settle(fx);
	assert_int_equal(lf_copy_state(fx, "t", 0, lf_node(fx, 2)), CAT_PL_DIVERGENT);
	recover(fx, 2);
	lf_task *u = sent(fx, EXEC_TASK_UNDO, before);
	assert_non_null(u);
	assert_null(sent(fx, EXEC_TASK_UNDO, u->seq + 1));
	assert_int_equal(u->node, lf_node(fx, 2));
	assert_int_equal(u->lsn, 2);
	assert_copy(fx, 2, 2, ID_B);
	lf_free(fx);
}

/* Two reports (n - q + 1) arrive at once: the leader still waits for the
 * third until the hear-all window ends, and takes its entry if it comes. */
static void test_waits_for_all_within_the_window(void **state)
{
	(void)state;
	lf_fixture *fx = restart_with_divergent_copies();
	lf_connect(fx, lf_node(fx, 1));
	lf_connect(fx, lf_node(fx, 3));
	lf_settle(fx);
	lf_advance_ms(fx, HEAR_ALL_MS - 1000);
	lf_tick(fx);
	lf_settle(fx);
	assert_false(lf_committed_known(fx, "t", 0));
	lf_connect(fx, lf_node(fx, 2));
	lf_settle(fx);
	assert_true(lf_committed_known(fx, "t", 0));
	assert_int_equal(lf_committed_entry(fx, "t", 0), ID_C);
	lf_free(fx);
}

static void test_window_ends_with_two_reports(void **state)
{
	(void)state;
	lf_fixture *fx = restart_with_divergent_copies();
	lf_connect(fx, lf_node(fx, 1));
	lf_connect(fx, lf_node(fx, 3));
	lf_settle(fx);
	lf_advance_ms(fx, HEAR_ALL_MS - 1);
	lf_tick(fx);
	assert_false(lf_committed_known(fx, "t", 0));
	lf_advance_ms(fx, 1);
	lf_tick(fx);
	assert_true(lf_committed_known(fx, "t", 0));
	assert_int_equal(lf_committed_entry(fx, "t", 0), ID_B);
	lf_free(fx);
}

/* The others are dead: the leader decides from the one copy it has. */
static void test_dead_copies_do_not_count(void **state)
{
	(void)state;
	lf_fixture *fx = restart_with_divergent_copies();
	lf_connect(fx, lf_node(fx, 3));
	lf_settle(fx);
	lf_set_state(fx, lf_node(fx, 1), CAT_NODE_DEAD);
	lf_tick(fx);
	assert_false(lf_committed_known(fx, "t", 0));
	lf_set_state(fx, lf_node(fx, 2), CAT_NODE_DEAD);
	lf_tick(fx);
	assert_true(lf_committed_known(fx, "t", 0));
	assert_int_equal(lf_committed_entry(fx, "t", 0), ID_A);
	lf_free(fx);
}

/* An entry id from a leader whose clock was an hour ahead of ours: the
 * restarted leader must still issue newer ones (lead_time_id alone would
 * not). */
static uint64_t future_id(void) { return ((uint64_t)mur_wall_ms() + 3600 * 1000) << 20; }

/* Copies f1, f2: A F; f3: A (the decision leaves two current copies; F
 * is future_id()), then a restart; f1 and f2 report, and an insert comes
 * in.  *newest gets F. */
static lf_fixture *restart_with_insert(lf_query **q, int *before, uint64_t *newest)
{
	lf_fixture *fx = lf_new(3);
	uint64_t ids[] = {ID_A, future_id()};
	*newest = ids[1];
	lf_ok(fx, T_CREATE);
	const char *file = lf_file(fx, "t", 0);
	lf_copy_set(fx, lf_node(fx, 1), file, 2, ids);
	lf_copy_set(fx, lf_node(fx, 2), file, 2, ids);
	lf_copy_set(fx, lf_node(fx, 3), file, 1, ids);
	lf_restart(fx);
	lf_connect(fx, lf_node(fx, 1));
	lf_settle(fx);
	*before = lf_ntasks(fx);
	*q = lf_exec(fx, NULL, "INSERT INTO t VALUES (1, 'a')");
	lf_connect(fx, lf_node(fx, 2));
	lf_settle(fx);
	assert_false(lf_done(*q)); /* two reports, but the window is not over */
	assert_int_equal(sent_but_listings(fx, *before), 1); /* f2's STATUS, nothing else */
	return fx;
}

/* The insert runs once the shard is decided, as entry 3 with an entry id
 * newer than any reported. */
static void check_insert_ran(lf_fixture *fx, lf_query *q, int before, uint64_t newest)
{
	lf_task *w = sent(fx, EXEC_TASK_WRITE, before);
	assert_non_null(w);
	assert_int_equal(w->lsn, 3);
	assert_true(w->entry_id > newest);
	lf_settle(fx);
	assert_true(lf_done(q));
	assert_string_equal(lf_sqlstate(q), "");
}

/* An insert that arrives before the shard is decided waits for it: here
 * the third report decides it. */
static void test_write_waits_for_the_decision(void **state)
{
	(void)state;
	lf_query *q;
	int before;
	uint64_t newest;
	lf_fixture *fx = restart_with_insert(&q, &before, &newest);
	lf_connect(fx, lf_node(fx, 3));
	lf_settle(fx);
	check_insert_ran(fx, q, before, newest);
	lf_free(fx);
}

/* The same when the end of the hear-all window decides it (the third
 * copy stays away): the tick that decides the shard starts the writes
 * queued on it (found by this fixture: they waited forever). */
static void test_write_waits_for_the_window_decision(void **state)
{
	(void)state;
	lf_query *q;
	int before;
	uint64_t newest;
	lf_fixture *fx = restart_with_insert(&q, &before, &newest);
	lf_advance_ms(fx, HEAR_ALL_MS);
	lf_tick(fx);
	assert_true(lf_committed_known(fx, "t", 0));
	check_insert_ran(fx, q, before, newest);
	lf_free(fx);
}

/* An insert waits at most LEAD_RECONCILE_WAIT_MS for the decision: kicked
 * (a report) before that, it keeps waiting; after it, it fails, nothing
 * written.  A kick looks at it again (here: a reconnect) */
static void test_write_gives_up_after_the_reconcile_wait(void **state)
{
	(void)state;
	lf_fixture *fx = restart_with_divergent_copies();
	uint32_t f1 = lf_node(fx, 1);
	lf_query *q = lf_exec(fx, NULL, "INSERT INTO t VALUES (1, 'a')");
	lf_advance_ms(fx, RECONCILE_WAIT_MS - 1);
	lf_connect(fx, f1);
	lf_settle(fx);
	assert_false(lf_done(q));
	lf_advance_ms(fx, 2);
	lf_disconnect(fx, f1);
	lf_connect(fx, f1);
	lf_settle(fx);
	assert_true(lf_done(q));
	assert_string_equal(lf_sqlstate(q), "08006");
	for (int i = 0; i < lf_ntasks(fx); i++)
		assert_int_not_equal(lf_task_at(fx, i)->kind, EXEC_TASK_WRITE);
	lf_free(fx);
}

/* ... and so does the recovery tick, when no report comes at all (one
 * copy of three reported: the shard stays undecided). */
static void test_write_gives_up_at_a_tick(void **state)
{
	(void)state;
	lf_fixture *fx = restart_with_divergent_copies();
	lf_connect(fx, lf_node(fx, 1));
	lf_settle(fx);
	lf_query *q = lf_exec(fx, NULL, "INSERT INTO t VALUES (1, 'a')");
	lf_advance_ms(fx, RECONCILE_WAIT_MS - 1);
	lf_tick(fx);
	assert_false(lf_done(q));
	lf_advance_ms(fx, 2);
	lf_tick(fx);
	assert_false(lf_committed_known(fx, "t", 0));
	assert_true(lf_done(q));
	assert_string_equal(lf_sqlstate(q), "08006");
	lf_free(fx);
}

/* ---- a crash at each step ---- */

#define CRASH_INSERTS 2
#define CRASH_KEY_NEW 100

typedef enum crash_order {
	ORDER_SENT,          /* oldest task first */
	ORDER_REPLICAS_FIRST /* the primary's tasks last: the quorum forms without it */
} crash_order;

/* The next task to step: oldest outstanding, in the order's preference. */
static lf_task *next_task(lf_fixture *fx, crash_order order, int from)
{
	lf_task *t = NULL;
	if (order == ORDER_REPLICAS_FIRST)
		for (int n = 2; n <= 3 && !t; n++)
			t = lf_find(fx, lf_node(fx, n), 0, from);
	return t ? t : lf_find(fx, LF_ANY_NODE, 0, from);
}

/* One step: deliver the next task, or answer it when it is delivered.
 * 0 when nothing is left. */
static int step(lf_fixture *fx, crash_order order, int from)
{
	lf_task *t = next_task(fx, order, from);
	if (!t)
		return 0;
	if (t->state == LF_TASK_PENDING)
		lf_deliver(fx, t);
	else
		lf_reply(fx, t);
	return 1;
}

/* Every current copy holds the committed entries alike, and every
 * acknowledged key. */
static void check_safe(lf_fixture *fx, const int *acked, int absent)
{
	const char *file = lf_file(fx, "t", 0);
	uint64_t committed = lf_committed_lsn(fx, "t", 0);
	uint32_t ref = 0;
	assert_true(lf_committed_known(fx, "t", 0));
	for (int n = 1; n <= 3; n++) {
		uint32_t node = lf_node(fx, n);
		if (n == absent)
			continue;
		assert_int_equal(lf_copy_state(fx, "t", 0, node), CAT_PL_CURRENT);
		assert_int_equal(lf_copy_lsn(fx, node, file), committed);
		for (int k = 0; k < CRASH_INSERTS; k++)
			if (acked[k])
				assert_true(lf_copy_holds_int(fx, node, file, 0, k + 1));
		if (ref)
			for (uint64_t lsn = 1; lsn <= committed; lsn++)
				assert_int_equal(lf_copy_entry(fx, node, file, lsn),
						 lf_copy_entry(fx, ref, file, lsn));
		ref = node;
	}
}

/* Crash after `steps` steps; then every follower but `absent` (0: none)
 * returns; check; and a new insert is acknowledged.  Returns 0 when the
 * run had fewer steps than that (the sweep is over). */
static int crash_run(crash_order order, int steps, int absent)
{
	lf_fixture *fx = lf_new(3);
	lf_query *q[CRASH_INSERTS];
	int acked[CRASH_INSERTS];
	char sql[64];
	lf_ok(fx, T_CREATE);
	int from = lf_ntasks(fx);
	for (int k = 0; k < CRASH_INSERTS; k++) {
		snprintf(sql, sizeof sql, "INSERT INTO t VALUES (%d, 'v')", k + 1);
		q[k] = lf_exec(fx, lf_session(fx), sql);
	}
	for (int i = 0; i < steps; i++)
		if (!step(fx, order, from)) {
			lf_free(fx);
			return 0;
		}
	for (int k = 0; k < CRASH_INSERTS; k++)
		acked[k] = lf_done(q[k]) && strcmp(lf_sqlstate(q[k]), "") == 0;
	lf_restart(fx);
	for (int n = 1; n <= 3; n++)
		if (n != absent)
			lf_connect(fx, lf_node(fx, n));
	lf_settle(fx);
	lf_advance_ms(fx, HEAR_ALL_MS);
	recover(fx, 3);
	check_safe(fx, acked, absent);
	snprintf(sql, sizeof sql, "INSERT INTO t VALUES (%d, 'v')", CRASH_KEY_NEW);
	lf_ok(fx, sql);
	lf_free(fx);
	return 1;
}

static void test_crash_at_each_step(void **state)
{
	(void)state;
	for (int order = ORDER_SENT; order <= ORDER_REPLICAS_FIRST; order++)
		for (int absent = 0; absent <= 3; absent++) {
			int steps = 0;
			while (crash_run((crash_order)order, steps, absent))
				steps++;
			assert_true(steps > 6 * CRASH_INSERTS); /* the sweep covered the run */
		}
}

/* A crash after the primary alone applied an insert (never answered):
 * with every copy reporting, the newest copy wins, so the insert is
 * committed after all (its client never heard otherwise) and copied to
 * the others; with the primary away, the two others decide without it,
 * and when it returns its entry is undone. */
static void crash_after_primary_applied(int primary_returns)
{
	lf_fixture *fx = lf_new(3);
	uint32_t f1 = lf_node(fx, 1);
	lf_ok(fx, T_CREATE);
	const char *file = lf_file(fx, "t", 0);
	int first = lf_ntasks(fx);
	lf_query *q = lf_exec(fx, NULL, "INSERT INTO t VALUES (1, 'a')");
	lf_deliver(fx, lf_find(fx, f1, EXEC_TASK_WRITE, first));
	lf_restart(fx);
	assert_true(lf_done(q) == 0 || strcmp(lf_sqlstate(q), "") != 0); /* never acknowledged */
	if (primary_returns)
		lf_connect(fx, f1);
	lf_connect(fx, lf_node(fx, 2));
	lf_connect(fx, lf_node(fx, 3));
	lf_settle(fx);
	lf_advance_ms(fx, HEAR_ALL_MS);
	recover(fx, 3);
	assert_int_equal(lf_committed_lsn(fx, "t", 0), primary_returns ? 1 : 0);
	if (!primary_returns) {
		lf_connect(fx, f1);
		recover(fx, 3);
	}
	for (int n = 1; n <= 3; n++) {
		assert_int_equal(lf_copy_state(fx, "t", 0, lf_node(fx, n)), CAT_PL_CURRENT);
		assert_int_equal(lf_copy_lsn(fx, lf_node(fx, n), file), primary_returns ? 1 : 0);
		assert_int_equal(lf_copy_holds_int(fx, lf_node(fx, n), file, 0, 1),
				 primary_returns);
	}
	lf_free(fx);
}

static void test_crash_after_primary_applied(void **state)
{
	(void)state;
	crash_after_primary_applied(1);
	crash_after_primary_applied(0);
}

/* A crash after one replica (f2) applied an insert, before the primary
 * and f3 did: f2 holds the entry, f1 and f3 do not.  All report: f2's
 * entry is the newest, committed, and f1 and f3 catch up to it. */
static void test_crash_after_one_replica_applied(void **state)
{
	(void)state;
	lf_fixture *fx = lf_new(3);
	lf_ok(fx, T_CREATE);
	const char *file = lf_file(fx, "t", 0);
	int first = lf_ntasks(fx);
	lf_exec(fx, NULL, "INSERT INTO t VALUES (1, 'a')");
	lf_task *w2 = lf_find(fx, lf_node(fx, 2), EXEC_TASK_WRITE, first);
	lf_deliver(fx, w2);
	lf_restart(fx);
	for (int n = 1; n <= 3; n++)
		lf_connect(fx, lf_node(fx, n));
	recover(fx, 3);
	assert_int_equal(lf_committed_entry(fx, "t", 0), w2->entry_id);
	for (int n = 1; n <= 3; n++) {
		assert_int_equal(lf_copy_state(fx, "t", 0, lf_node(fx, n)), CAT_PL_CURRENT);
		assert_int_equal(lf_copy_entry(fx, lf_node(fx, n), file, 1), w2->entry_id);
	}
	lf_free(fx);
}

/* The case test_leader_crash.py measures with real processes: the primary
 * cut off, inserts acknowledged by the two replicas, the leader killed at
 * once and started again with the stale primary among the first to
 * report: every acknowledged row is there, on every copy. */
static void test_acked_by_replicas_survives_a_crash(void **state)
{
	(void)state;
	lf_fixture *fx = lf_new(3);
	lf_query *q[3];
	uint32_t f1 = lf_node(fx, 1);
	lf_ok(fx, T_CREATE);
	lf_mute(fx, f1, 1);
	for (int k = 0; k < 3; k++) {
		char sql[64];
		snprintf(sql, sizeof sql, "INSERT INTO t VALUES (%d, 'v')", k + 1);
		q[k] = lf_exec(fx, lf_session(fx), sql);
	}
	lf_settle(fx); /* f2 and f3 answer, f1 never */
	for (int k = 0; k < 3; k++)
		assert_string_equal(lf_sqlstate(q[k]), "");
	assert_int_equal(lf_copy_lsn(fx, f1, lf_file(fx, "t", 0)), 0);
	lf_restart(fx);
	lf_mute(fx, f1, 0);
	lf_connect(fx, f1);
	lf_connect(fx, lf_node(fx, 2));
	lf_settle(fx);
	lf_advance_ms(fx, HEAR_ALL_MS);
	recover(fx, 3);
	int acked[CRASH_INSERTS] = {1, 1};
	check_safe(fx, acked, 3);
	assert_true(lf_copy_holds_int(fx, f1, lf_file(fx, "t", 0), 0, 3));
	lf_free(fx);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_all_reports_newest_entry_wins),
		cmocka_unit_test(test_newest_entry_beats_longest_log),
		cmocka_unit_test(test_one_report_is_not_enough),
		cmocka_unit_test(test_waits_for_all_within_the_window),
		cmocka_unit_test(test_window_ends_with_two_reports),
		cmocka_unit_test(test_dead_copies_do_not_count),
		cmocka_unit_test(test_write_waits_for_the_decision),
		cmocka_unit_test(test_write_waits_for_the_window_decision),
		cmocka_unit_test(test_write_gives_up_after_the_reconcile_wait),
		cmocka_unit_test(test_write_gives_up_at_a_tick),
		cmocka_unit_test(test_crash_at_each_step),
		cmocka_unit_test(test_crash_after_primary_applied),
		cmocka_unit_test(test_crash_after_one_replica_applied),
		cmocka_unit_test(test_acked_by_replicas_survives_a_crash),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
