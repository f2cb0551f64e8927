/*
 * test_catalog_decision.c — the decision log (catalog_decision.c): a group
 * put is visible in txn_outcomes to the catalog's readers; a decision only
 * in the log (the leader killed before anything read the table) or whose catalog row was
 * lost (a synchronous=NORMAL commit rolled back by a power loss, simulated
 * by deleting the row) comes back from the log when the catalog opens
 * again; more decisions than the log holds wrap (the round is made durable
 * in the catalog) and every one of them stays; a torn slot is ignored;
 * outcome rows written without a sync (cat_outcomes_put) come back after
 * the process dies (a child that _exits), are made durable by the next
 * durable group, and are what a machine crash can lose until then.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "test_loop.h"

#include "catalog/catalog.h"

#include <fcntl.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

/* More than the log's slots (1024): the put wraps at least once. */
#define MANY 2500
#define GROUP 7

static char dir[TL_TMPDIR_MAX];
static char path[TL_TMPDIR_MAX + 32];

static int setup(void **state)
{
	(void)state;
	if (tl_tmpdir_make(dir, sizeof dir, "decide") != 0)
		return -1;
	snprintf(path, sizeof path, "%s/catalog.db", dir);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	return tl_tmpdir_remove(dir);
}

static cat_decision decision(uint64_t txid)
{
	cat_decision d = {.txid = txid, .decided_ms = 1000 + (int64_t)txid};
	snprintf(d.participants, sizeof d.participants, "7:%llu,8:1", (unsigned long long)txid % 4);
	return d;
}

/* 1 when the catalog file itself (a connection of its own, not the
 * catalog's, which puts logged decisions in first) has txid's row. */
static int in_file(uint64_t txid)
{
	sqlite3 *db;
	sqlite3_stmt *st;
	int found = 0;
	assert_int_equal(sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_prepare_v2(db, "SELECT 1 FROM txn_outcomes WHERE txid = ?", -1,
					    &st, NULL),
			 SQLITE_OK);
	sqlite3_bind_int64(st, 1, (int64_t)txid);
	found = sqlite3_step(st) == SQLITE_ROW;
	sqlite3_finalize(st);
	sqlite3_close(db);
	return found;
}

static int decided(catalog *c, uint64_t txid)
{
	char outcome[16];
	return cat_txn_outcome_get(c, txid, outcome, sizeof outcome) &&
	       strcmp(outcome, "committed") == 0;
}

static void test_a_lost_row_comes_back_from_the_log(void **state)
{
	mur_error err;
	catalog *c = cat_open(path, &err);
	cat_decision_writer *w;
	cat_decision g[3] = {decision(11), decision(12), decision(13)};
	uint64_t lost[2] = {11, 13};
	(void)state;
	assert_non_null(c);
	assert_non_null(w = cat_decision_writer_open(c, &err));
	assert_int_equal(cat_decisions_put(w, g, 2, &err), 0);
	for (int i = 0; i < 2; i++) /* visible to the catalog's own connection */
		assert_true(decided(c, g[i].txid));
	assert_int_equal(cat_txn_outcomes_delete(c, lost, 1, &err), 0); /* 11's row lost */
	assert_false(decided(c, 11));
	assert_int_equal(cat_decisions_put(w, g + 2, 1, &err), 0);
	cat_decision_writer_close(w);
	cat_close(c);              /* the file is held locked while open: look at it now */
	assert_false(in_file(13)); /* durable in the log only: nobody read the table */
	c = cat_open(path, &err);  /* replays the log */
	assert_non_null(c);
	cat_close(c);
	assert_true(in_file(13)); /* the replay put it in the file */
	assert_non_null(c = cat_open(path, &err));
	for (int i = 0; i < 3; i++)
		assert_true(decided(c, g[i].txid));
	/* the writer's open empties the log: a row deleted now stays gone */
	assert_non_null(w = cat_decision_writer_open(c, &err));
	assert_int_equal(cat_txn_outcomes_delete(c, lost, 2, &err), 0);
	cat_decision_writer_close(w);
	cat_close(c);
	assert_non_null(c = cat_open(path, &err));
	assert_false(decided(c, 11));
	assert_true(decided(c, 12));
	cat_close(c);
}

static void test_more_than_the_log_holds_wraps_and_keeps_all(void **state)
{
	mur_error err;
	catalog *c = cat_open(path, &err);
	cat_decision_writer *w;
	cat_decision g[GROUP];
	int64_t before;
	(void)state;
	assert_non_null(c);
	before = cat_txn_outcome_count(c);
	assert_non_null(w = cat_decision_writer_open(c, &err));
	for (uint64_t t = 1; t <= MANY; t += GROUP) {
		int n = 0;
		for (uint64_t k = t; k < t + GROUP && k <= MANY; k++)
			g[n++] = decision(100000 + k);
		assert_int_equal(cat_decisions_put(w, g, n, &err), 0);
	}
	assert_int_equal(cat_txn_outcome_count(c), before + MANY);
	cat_decision_writer_close(w);
	cat_close(c);
	assert_non_null(c = cat_open(path, &err));
	assert_int_equal(cat_txn_outcome_count(c), before + MANY);
	assert_true(decided(c, 100001) && decided(c, 100000 + MANY));
	cat_close(c);
}

static void test_a_torn_slot_is_ignored(void **state)
{
	mur_error err;
	catalog *c = cat_open(path, &err);
	cat_decision_writer *w;
	cat_decision g[2] = {decision(501), decision(502)};
	uint64_t both[2] = {501, 502};
	char log[TL_TMPDIR_MAX + 64];
	int fd;
	(void)state;
	assert_non_null(c);
	assert_non_null(w = cat_decision_writer_open(c, &err));
	assert_int_equal(cat_decisions_put(w, g, 2, &err), 0);
	cat_decision_writer_close(w);
	assert_int_equal(cat_txn_outcomes_delete(c, both, 2, &err), 0);
	cat_close(c);
	/* flip a byte of the second slot's participants: its crc fails */
	snprintf(log, sizeof log, "%s-decisions", path);
	assert_true((fd = open(log, O_RDWR)) >= 0);
	assert_int_equal(pwrite(fd, "X", 1, 1024 + 27), 1);
	close(fd);
	assert_non_null(c = cat_open(path, &err));
	assert_true(decided(c, 501));
	assert_false(decided(c, 502));
	cat_close(c);
}

/* A child writes outcome rows (no sync) and dies without closing
 * anything, as a leader killed -9: the parent's cat_open replays them. */
static void test_unsynced_outcome_rows_survive_a_killed_process(void **state)
{
	mur_error err;
	catalog *c;
	pid_t pid;
	int status;
	(void)state;
	if ((pid = fork()) == 0) {
		cat_decision g[2] = {decision(601), decision(602)};
		catalog *cc = cat_open(path, &err);
		cat_decision_writer *w = cc ? cat_decision_writer_open(cc, &err) : NULL;
		int ok = w && cat_outcomes_put(w, g, 2, &err) == 0 &&
			 cat_decisions_unsynced(w) == 2;
		_exit(ok ? 0 : 1);
	}
	assert_true(pid > 0);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	assert_false(in_file(601)); /* only in the log */
	assert_non_null(c = cat_open(path, &err));
	assert_true(decided(c, 601));
	assert_true(decided(c, 602));
	cat_close(c);
}

/* Outcome rows are durable once a durable group follows them (or a sync):
 * what drop_unsynced (a machine crash) loses is only what came after. */
static void test_a_durable_group_covers_the_outcome_rows_before_it(void **state)
{
	mur_error err;
	catalog *c = cat_open(path, &err);
	cat_decision_writer *w;
	cat_decision o[2] = {decision(701), decision(702)}, g = decision(703),
		     late[2] = {decision(704), decision(705)};
	(void)state;
	assert_non_null(c);
	assert_non_null(w = cat_decision_writer_open(c, &err));
	assert_int_equal(cat_outcomes_put(w, o, 2, &err), 0);
	assert_int_equal(cat_decisions_unsynced(w), 2);
	assert_true(decided(c, 701)); /* visible at once to the catalog's readers */
	assert_int_equal(cat_decisions_put(w, &g, 1, &err), 0);
	assert_int_equal(cat_decisions_unsynced(w), 0);
	assert_int_equal(cat_outcomes_put(w, late, 1, &err), 0);
	assert_int_equal(cat_decisions_sync(w, &err), 0);
	assert_int_equal(cat_decisions_unsynced(w), 0);
	assert_int_equal(cat_outcomes_put(w, late + 1, 1, &err), 0);
	assert_true(decided(c, 705));
	cat_decisions_drop_unsynced(w); /* a machine crash now */
	assert_false(decided(c, 705));
	assert_int_equal(cat_decisions_unsynced(w), 0);
	cat_decision_writer_close(w); /* nothing left to sync */
	cat_close(c);
	assert_non_null(c = cat_open(path, &err));
	for (uint64_t t = 701; t <= 704; t++)
		assert_true(decided(c, t));
	assert_false(decided(c, 705));
	cat_close(c);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_a_lost_row_comes_back_from_the_log, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_more_than_the_log_holds_wraps_and_keeps_all,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_a_torn_slot_is_ignored, setup, teardown),
		cmocka_unit_test_setup_teardown(test_unsynced_outcome_rows_survive_a_killed_process,
						setup, teardown),
		cmocka_unit_test_setup_teardown(
			test_a_durable_group_covers_the_outcome_rows_before_it, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
