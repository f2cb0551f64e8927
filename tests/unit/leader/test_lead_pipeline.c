/*
 * test_lead_pipeline.c — pipelined row inserts through the leader-engine
 * fixture (tests/lib/lead_fixture.h; docs/replication.md, Pipelining):
 * inserts of several sessions go out at once, each WRITE carrying the
 * next LSN, and reach every copy in LSN order; entries are decided in LSN
 * order even when answers come back out of order; when entry n fails, the
 * inserts sent behind it wait for their answers, go back to the queue
 * (no client hears of them) and run again; the copies that applied any
 * of them are undone to n's base first.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "lead_fixture.h"

#include "common/clock.h"
#include "common/log.h"

#include <stdio.h>
#include <string.h>
#include <unistd.h>

#define T_CREATE "CREATE TABLE t (id int PRIMARY KEY, v text) WITH (shards = 1, replicas = 3)"
#define NINSERTS 4 /* under the pipeline depth (LEAD_WRITE_PIPELINE_DEFAULT) */

/* NINSERTS inserts of ids 1..NINSERTS, one per session, all in flight. */
static void start_inserts(lf_fixture *fx, lf_query **q)
{
	char sql[64];
	for (int i = 0; i < NINSERTS; i++) {
		snprintf(sql, sizeof sql, "INSERT INTO t VALUES (%d, 'v')", i + 1);
		q[i] = lf_exec(fx, lf_session(fx), sql);
	}
}

/* The WRITE of entry lsn sent to node, outstanding; NULL when none. */
static lf_task *entry_write(lf_fixture *fx, uint32_t node, uint64_t lsn)
{
	for (lf_task *t = lf_find(fx, node, EXEC_TASK_WRITE, 0); t;
	     t = lf_find(fx, node, EXEC_TASK_WRITE, t->seq + 1))
		if (t->lsn == lsn)
			return t;
	return NULL;
}

static void test_inserts_reach_every_copy_in_lsn_order(void **state)
{
	(void)state;
	lf_fixture *fx = lf_new(3);
	lf_query *q[NINSERTS];
	lf_ok(fx, T_CREATE);
	int first = lf_ntasks(fx);
	start_inserts(fx, q);
	/* all in flight before any answer: one entry each, not one group */
	for (int n = 1; n <= 3; n++) {
		uint64_t want = 1, last_id = 0;
		for (int i = first; i < lf_ntasks(fx); i++) {
			lf_task *t = lf_task_at(fx, i);
			if (t->node != lf_node(fx, n))
				continue;
			assert_int_equal(t->kind, EXEC_TASK_WRITE);
			assert_int_equal(t->lsn, want);
			assert_int_equal(t->nrows, 1);
			assert_true(t->entry_id > last_id);
			last_id = t->entry_id;
			want++;
		}
		assert_int_equal(want, NINSERTS + 1);
	}
	for (int i = 0; i < NINSERTS; i++)
		assert_false(lf_done(q[i]));
	lf_settle(fx);
	for (int i = 0; i < NINSERTS; i++) {
		assert_true(lf_done(q[i]));
		assert_string_equal(lf_sqlstate(q[i]), "");
	}
	const char *file = lf_file(fx, "t", 0);
	for (int n = 1; n <= 3; n++) {
		assert_int_equal(lf_copy_lsn(fx, lf_node(fx, n), file), NINSERTS);
		for (int i = 0; i < NINSERTS; i++)
			assert_true(lf_copy_holds_int(fx, lf_node(fx, n), file, 0, i + 1));
	}
	assert_int_equal(lf_committed_lsn(fx, "t", 0), NINSERTS);
	lf_free(fx);
}

/* Every copy applies entries 1 and 2; the answers for entry 2 arrive
 * first.  Entry 2 has its quorum but waits for entry 1. */
static void test_entries_decided_in_lsn_order(void **state)
{
	(void)state;
	lf_fixture *fx = lf_new(3);
	lf_query *q[NINSERTS];
	lf_ok(fx, T_CREATE);
	start_inserts(fx, q);
	uint32_t f2 = lf_node(fx, 2), f3 = lf_node(fx, 3);
	lf_task *e1[2] = {entry_write(fx, f2, 1), entry_write(fx, f3, 1)};
	lf_task *e2[2] = {entry_write(fx, f2, 2), entry_write(fx, f3, 2)};
	for (int i = 0; i < 2; i++) {
		lf_deliver(fx, e1[i]);
		lf_deliver(fx, e2[i]);
	}
	lf_reply(fx, e2[0]);
	lf_reply(fx, e2[1]);
	assert_false(lf_done(q[1])); /* a quorum, but entry 1 is undecided */
	assert_int_equal(lf_committed_lsn(fx, "t", 0), 0);
	lf_reply(fx, e1[0]);
	assert_false(lf_done(q[0]));
	assert_false(lf_done(q[1]));
	lf_reply(fx, e1[1]);
	assert_true(lf_done(q[0])); /* entry 1 decided, then entry 2 */
	assert_true(lf_done(q[1]));
	assert_string_equal(lf_sqlstate(q[0]), "");
	assert_string_equal(lf_sqlstate(q[1]), "");
	assert_int_equal(lf_committed_lsn(fx, "t", 0), 2);
	assert_false(lf_done(q[2]));
	lf_settle(fx);
	assert_int_equal(lf_committed_lsn(fx, "t", 0), NINSERTS);
	lf_free(fx);
}

/* f3 refuses entry 2 (it does not hold entry 1 yet: its answer to entry
 * 1 is still out).  That is expected while entry 1 is undecided; once
 * entry 2 commits without it, f3 missed a committed entry: lagging. */
static void test_refusing_copy_is_lagging_once_committed(void **state)
{
	(void)state;
	lf_fixture *fx = lf_new(3);
	lf_query *q[NINSERTS];
	uint32_t f3 = lf_node(fx, 3);
	lf_ok(fx, T_CREATE);
	start_inserts(fx, q);
	lf_reply(fx, entry_write(fx, f3, 2)); /* refused: f3 is at lsn 0 */
	assert_int_equal(lf_copy_state(fx, "t", 0, f3), CAT_PL_CURRENT);
	for (uint64_t lsn = 1; lsn <= 2; lsn++)
		for (int n = 1; n <= 2; n++)
			lf_reply(fx, entry_write(fx, lf_node(fx, n), lsn));
	assert_true(lf_done(q[1]));
	assert_int_equal(lf_copy_state(fx, "t", 0, f3), CAT_PL_LAGGING);
	lf_reply(fx, entry_write(fx, f3, 1)); /* it applies entry 1 after all */
	assert_int_equal(lf_copy_state(fx, "t", 0, f3), CAT_PL_LAGGING);
	lf_free(fx);
}

/* Entry 1 is a duplicate key on every copy: the inserts sent behind it
 * are refused (their copies are not at their base), go back to the queue
 * and run again, together as one entry 1 (group commit: they queued
 * behind each other); only the duplicate fails. */
static void test_failed_entry_requeues_the_inserts_behind_it(void **state)
{
	(void)state;
	lf_fixture *fx = lf_new(3);
	lf_query *q[NINSERTS];
	lf_ok(fx, T_CREATE);
	int first = lf_ntasks(fx);
	start_inserts(fx, q);
	for (int n = 1; n <= 3; n++)
		lf_fail(fx, entry_write(fx, lf_node(fx, n), 1), "23505");
	assert_false(lf_done(q[0])); /* the ones behind have not answered yet */
	int resent_from = lf_ntasks(fx);
	assert_null(lf_find(fx, LF_ANY_NODE, EXEC_TASK_UNDO, first)); /* nobody holds entry 1 */
	/* the copies refuse entries 2..: they are at lsn 0 */
	while (lf_find(fx, LF_ANY_NODE, EXEC_TASK_WRITE, first) &&
	       lf_find(fx, LF_ANY_NODE, EXEC_TASK_WRITE, first)->seq < resent_from)
		lf_reply(fx, lf_find(fx, LF_ANY_NODE, EXEC_TASK_WRITE, first));
	assert_true(lf_done(q[0]));
	assert_string_equal(lf_sqlstate(q[0]), "23505");
	for (int i = 1; i < NINSERTS; i++)
		assert_false(lf_done(q[i])); /* requeued, not answered */
	/* sent again from lsn 1 */
	assert_non_null(entry_write(fx, lf_node(fx, 1), 1));
	assert_true(entry_write(fx, lf_node(fx, 1), 1)->seq >= resent_from);
	lf_settle(fx);
	const char *file = lf_file(fx, "t", 0);
	for (int i = 1; i < NINSERTS; i++) {
		assert_true(lf_done(q[i]));
		assert_string_equal(lf_sqlstate(q[i]), "");
	}
	for (int n = 1; n <= 3; n++) {
		assert_int_equal(lf_copy_lsn(fx, lf_node(fx, n), file), 1);
		assert_false(lf_copy_holds_int(fx, lf_node(fx, n), file, 0, 1));
		for (int i = 1; i < NINSERTS; i++)
			assert_true(lf_copy_holds_int(fx, lf_node(fx, n), file, 0, i + 1));
	}
	lf_free(fx);
}

/* Log lines (stderr) written while a test runs, captured in a file. */
typedef struct log_capture {
	FILE *file;
	int saved_fd;
} log_capture;

static void capture_start(log_capture *lc, mur_log_level level)
{
	lc->file = tmpfile();
	assert_non_null(lc->file);
	fflush(stderr);
	lc->saved_fd = dup(fileno(stderr));
	dup2(fileno(lc->file), fileno(stderr));
	mur_log_threshold = level;
}

/* Stop capturing (the lines stay in lc->file until capture_free). */
static void capture_stop(log_capture *lc)
{
	mur_log_threshold = MUR_LOG_ERROR;
	fflush(stderr);
	dup2(lc->saved_fd, fileno(stderr));
	close(lc->saved_fd);
}

/* The number of captured lines holding both a and b. */
static int capture_count(log_capture *lc, const char *a, const char *b)
{
	char line[1024];
	int n = 0;
	rewind(lc->file);
	while (fgets(line, sizeof line, lc->file))
		n += strstr(line, a) && strstr(line, b);
	return n;
}

/* Every refusal of test_failed_entry_requeues_the_inserts_behind_it (3
 * entries refused by 3 copies: 9) is expected: entry 1, ahead of them, is
 * in flight (it fails).  Each is logged at DEBUG only, naming the copy,
 * the table, the shard and both LSNs, at most 5 lines a second
 * (repl_write.c, log_refusal). */
static void test_refusals_behind_an_entry_in_flight_are_debug(void **state)
{
	(void)state;
	lf_fixture *fx = lf_new(3);
	lf_query *q[NINSERTS];
	log_capture lc;
	lf_ok(fx, T_CREATE);
	capture_start(&lc, MUR_LOG_DEBUG);
	uint64_t start_ms = mur_now_ms();
	int first = lf_ntasks(fx);
	start_inserts(fx, q);
	for (int n = 1; n <= 3; n++)
		lf_fail(fx, entry_write(fx, lf_node(fx, n), 1), "23505");
	int resent_from = lf_ntasks(fx);
	while (lf_find(fx, LF_ANY_NODE, EXEC_TASK_WRITE, first) &&
	       lf_find(fx, LF_ANY_NODE, EXEC_TASK_WRITE, first)->seq < resent_from)
		lf_reply(fx, lf_find(fx, LF_ANY_NODE, EXEC_TASK_WRITE, first));
	uint64_t took_ms = mur_now_ms() - start_ms;
	capture_stop(&lc);
	int lines = capture_count(&lc, " DEBUG repl: ", " refused the entry of table t shard 0 ");
	assert_int_equal(capture_count(&lc, " DEBUG repl: ",
				       "sent as lsn 2 on top of 1, the copy "
				       "is at 0: "),
			 capture_count(&lc, "sent as lsn 2 on top of 1, the copy is at 0: ",
				       "(an entry ahead of it is in flight)"));
	assert_int_equal(capture_count(&lc, " refused ", " WARN "), 0); /* none at WARN */
	fclose(lc.file);
	lf_settle(fx);
	lf_free(fx);
	if (took_ms < 1000)
		assert_int_equal(lines, 5); /* 9 refusals, 5 lines in one second */
	assert_true(lines >= 5);
}

/* A copy that lost a committed entry (f3 back at lsn 0 while the shard is
 * at 1) refuses entry 2 with nothing in flight ahead of it: a WARN naming
 * the copy, the table, the shard and both LSNs (repl_write.c,
 * log_refusal: the staging-marker bug of 7ba9fb8 was such a refusal). */
static void test_unexplained_refusal_is_a_warning(void **state)
{
	(void)state;
	lf_fixture *fx = lf_new(3);
	log_capture lc;
	lf_ok(fx, T_CREATE);
	lf_ok(fx, "INSERT INTO t VALUES (1, 'v')");
	lf_copy_set(fx, lf_node(fx, 3), lf_file(fx, "t", 0), 0, NULL);
	capture_start(&lc, MUR_LOG_WARN);
	lf_query *q = lf_exec(fx, lf_session(fx), "INSERT INTO t VALUES (2, 'v')");
	lf_settle(fx);
	capture_stop(&lc);
	assert_int_equal(capture_count(&lc, " WARN repl: f3 refused the entry of table t shard 0 ",
				       "sent as lsn 2 on top of 1, the copy is at 0: "),
			 1);
	fclose(lc.file);
	assert_true(lf_done(q));
	assert_string_equal(lf_sqlstate(q), "");
	lf_free(fx);
}

/* The primary applies entries 1..4; both replicas fail entry 1 (a disk
 * error) and refuse the rest.  Entry 1's quorum is impossible: once every
 * answer of the entries behind it is in, the primary is undone to lsn 0
 * (it holds all four), and no insert is acknowledged. */
static void test_failed_entry_undoes_the_entries_behind_it(void **state)
{
	(void)state;
	lf_fixture *fx = lf_new(3);
	lf_query *q[NINSERTS];
	uint32_t f1 = lf_node(fx, 1);
	lf_ok(fx, T_CREATE);
	const char *file = lf_file(fx, "t", 0);
	int first = lf_ntasks(fx);
	start_inserts(fx, q);
	for (uint64_t lsn = 1; lsn <= NINSERTS; lsn++)
		lf_deliver(fx, entry_write(fx, f1, lsn));
	assert_int_equal(lf_copy_lsn(fx, f1, file), NINSERTS);
	for (int n = 2; n <= 3; n++)
		lf_fail(fx, entry_write(fx, lf_node(fx, n), 1), "58030");
	for (int n = 2; n <= 3; n++)
		for (uint64_t lsn = 2; lsn <= NINSERTS; lsn++)
			lf_reply(fx, entry_write(fx, lf_node(fx, n), lsn)); /* refused: 55000 */
	assert_null(lf_find(fx, LF_ANY_NODE, EXEC_TASK_UNDO, first)); /* f1 has not answered */
	for (uint64_t lsn = NINSERTS; lsn >= 2; lsn--)
		lf_reply(fx, entry_write(fx, f1, lsn));
	assert_null(lf_find(fx, LF_ANY_NODE, EXEC_TASK_UNDO, first));
	lf_reply(fx, entry_write(fx, f1, 1));
	lf_task *u = lf_find(fx, LF_ANY_NODE, EXEC_TASK_UNDO, first);
	assert_non_null(u);
	assert_int_equal(u->node, f1);
	assert_int_equal(u->lsn, 0);
	assert_null(lf_find(fx, LF_ANY_NODE, EXEC_TASK_UNDO, u->seq + 1)); /* only the holder */
	for (int i = 0; i < NINSERTS; i++)
		assert_false(lf_done(q[i]));
	lf_reply(fx, u);
	assert_int_equal(lf_copy_lsn(fx, f1, file), 0);
	assert_true(lf_done(q[0]));
	assert_string_equal(lf_sqlstate(q[0]), "08006");
	/* the others ran again: f2 and f3 are lagging now, so no quorum, and
	 * they fail before anything is written */
	lf_settle(fx);
	for (int i = 1; i < NINSERTS; i++) {
		assert_true(lf_done(q[i]));
		assert_string_equal(lf_sqlstate(q[i]), "08006");
	}
	assert_int_equal(lf_copy_lsn(fx, f1, file), 0);
	assert_int_equal(lf_committed_lsn(fx, "t", 0), 0);
	lf_free(fx);
}

/* Depth 1 turns pipelining off: the second insert waits for every answer
 * of the first and then goes out (grouped with the third) as entry 2. */
static void test_depth_one_waits_for_every_copy(void **state)
{
	(void)state;
	lf_fixture *fx = lf_new(3);
	lf_query *q[NINSERTS];
	lf_ok(fx, T_CREATE);
	lead_engine_set_write_pipeline(lf_engine(fx), 1);
	start_inserts(fx, q);
	uint32_t f1 = lf_node(fx, 1);
	assert_null(entry_write(fx, f1, 2));
	lf_reply(fx, entry_write(fx, lf_node(fx, 2), 1));
	lf_reply(fx, entry_write(fx, lf_node(fx, 3), 1));
	assert_true(lf_done(q[0]));
	assert_null(entry_write(fx, f1, 2)); /* the primary has not answered */
	lf_reply(fx, entry_write(fx, f1, 1));
	lf_task *w = entry_write(fx, f1, 2);
	assert_non_null(w);
	assert_int_equal(w->nrows, NINSERTS - 1); /* the rest, as one entry */
	lf_settle(fx);
	for (int i = 0; i < NINSERTS; i++)
		assert_string_equal(lf_sqlstate(q[i]), "");
	lf_free(fx);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_inserts_reach_every_copy_in_lsn_order),
		cmocka_unit_test(test_entries_decided_in_lsn_order),
		cmocka_unit_test(test_refusing_copy_is_lagging_once_committed),
		cmocka_unit_test(test_failed_entry_requeues_the_inserts_behind_it),
		cmocka_unit_test(test_refusals_behind_an_entry_in_flight_are_debug),
		cmocka_unit_test(test_unexplained_refusal_is_a_warning),
		cmocka_unit_test(test_failed_entry_undoes_the_entries_behind_it),
		cmocka_unit_test(test_depth_one_waits_for_every_copy),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
