/*
 * test_batch_txn.c — a write batch's entries on one placement in one
 * SQLite transaction (src/storage/batch_txn.c, stor_batch_begin / end).
 *
 * What must hold, with the follower WAL on:
 *   - each entry moves the position at its stor_commit (the next one's
 *     LSN follows it), and one rolled back is undone alone;
 *   - nothing is committed, and no follower WAL record appended, before
 *     stor_batch_end; then one COMMIT, and the records of the entries that
 *     committed, in LSN order: a crash copy recovers exactly them;
 *   - when SQLite rolls the whole transaction back by itself, every entry
 *     of it is undone: the position goes back, later stor_begins fail
 *     58030, stor_batch_end reports 58030, no record is appended; the
 *     placement then takes the next write at the old position.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "storage/fwal.h"
#include "storage/replog.h"
#include "storage/storage_int.h" /* stor_walbuf_stats */
#include "test_loop.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SCHEMA "CREATE TABLE t (id INTEGER PRIMARY KEY, v INTEGER NOT NULL)"

static char tmpdir[TL_TMPDIR_MAX];

static void must(int rc, const mur_error *err)
{
	if (rc != MUR_OK)
		fail_msg("rc %d: %s %s", rc, err->sqlstate, err->message);
}

static int setup(void **state)
{
	(void)state;
	return tl_tmpdir_make(tmpdir, sizeof tmpdir, "batchtxn");
}

static int teardown(void **state)
{
	(void)state;
	return tl_tmpdir_remove(tmpdir);
}

static stor_dir *open_dir(const char *name, int gc)
{
	char p[300];
	mur_error err;
	stor_dir *d;
	snprintf(p, sizeof p, "%s/%s", tmpdir, name);
	must(stor_dir_open(p, &d, &err), &err);
	if (gc)
		must(stor_fwal_start(d, NULL, NULL, &err), &err);
	return d;
}

/* file with SCHEMA, checkpointed into the main file (a crash copy has
 * the table); returned locked. */
static stor_db *create_locked(stor_dir *d, const char *file)
{
	stor_db *db;
	mur_error err;
	must(stor_dir_get(d, file, 1, &db, &err), &err);
	must(stor_lock(db, &err), &err);
	assert_int_equal(sqlite3_exec(stor_handle(db), SCHEMA, NULL, NULL, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_wal_checkpoint_v2(stor_handle(db), "main",
						   SQLITE_CHECKPOINT_TRUNCATE, NULL, NULL),
			 SQLITE_OK);
	return db;
}

/* A primary's captured insert of row id as the next entry, in its own
 * transaction (task_run.c's order: begin, capture, append, prepare,
 * commit, record); commit = 0 rolls it back instead. */
static int write_row(stor_db *db, int64_t id, int commit, mur_error *err)
{
	sqlite3_session *s;
	void *cs;
	size_t len;
	uint64_t lsn;
	char sql[64];
	int rc = stor_begin(db, err);
	if (rc != MUR_OK)
		return rc;
	must(stor_capture_begin(db, &s, err), err);
	snprintf(sql, sizeof sql, "INSERT INTO t VALUES (%lld, 1)", (long long)id);
	assert_int_equal(sqlite3_exec(stor_handle(db), sql, NULL, NULL, NULL), SQLITE_OK);
	must(stor_capture_take(db, s, &cs, &len, err), err);
	stor_entry e = {.entry_id = 100 + (uint64_t)id, .cs = cs, .len = len};
	must(stor_log_append(db, &e, &lsn, err), err);
	stor_capture_end(s);
	if (!commit) {
		stor_rollback(db);
		sqlite3_free(cs);
		return MUR_OK;
	}
	must(stor_fwal_prepare_commit(db, 1, len, err), err);
	must(stor_commit(db, err), err);
	e.lsn = lsn;
	rc = stor_fwal_log_entry(db, &e, err);
	sqlite3_free(cs);
	return rc;
}

static int64_t count_rows(stor_db *db)
{
	sqlite3_stmt *st;
	assert_int_equal(sqlite3_prepare_v2(stor_handle(db), "SELECT count(*) FROM t", -1, &st,
					    NULL),
			 SQLITE_OK);
	assert_int_equal(sqlite3_step(st), SQLITE_ROW);
	int64_t n = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return n;
}

/* Crash copy of d (main database files and follower WAL generations, not
 * the -wal files), recovered. */
static stor_dir *crash_copy(stor_dir *d, const char *name)
{
	char cmd[1024], p[300];
	mur_error err;
	stor_dir *c;
	snprintf(p, sizeof p, "%s/%s", tmpdir, name);
	snprintf(cmd, sizeof cmd,
		 "mkdir -p %s && cd %s && for f in *.db " STOR_FWAL_PREFIX "*; do"
		 " [ -e \"$f\" ] && cp \"$f\" %s/; done; true",
		 p, stor_dir_path(d), p);
	assert_int_equal(system(cmd), 0);
	must(stor_dir_open(p, &c, &err), &err);
	must(stor_fwal_recover(c, NULL, &err), &err);
	return c;
}

static void test_entries_commit_once_at_batch_end(void **state)
{
	(void)state;
	stor_dir *d = open_dir("once", 1), *c;
	stor_db *db = create_locked(d, "p.db");
	stor_fwal_ticket t;
	uint64_t asked0, made0, asked1, made1;
	mur_error err;

	must(write_row(db, 10, 1, &err), &err); /* entry 1, and the WAL's header */
	stor_walbuf_stats(&asked0, &made0);
	stor_fwal_defer_begin();
	stor_batch_begin(db);
	must(write_row(db, 1, 1, &err), &err);
	assert_int_equal(stor_lsn(db), 2);
	must(write_row(db, 2, 0, &err), &err); /* rolled back alone */
	assert_int_equal(stor_lsn(db), 2);
	must(write_row(db, 3, 1, &err), &err); /* takes lsn 3 */
	assert_int_equal(stor_lsn(db), 3);
	assert_int_equal(count_rows(db), 3);
	/* not committed yet, nothing in the follower WAL */
	stor_walbuf_stats(&asked1, &made1);
	assert_int_equal(made1 - made0, 0);
	stor_fwal_defer_take(&t);
	assert_null(t.w);
	stor_fwal_defer_begin();
	must(stor_batch_end(db, &err), &err);
	stor_walbuf_stats(&asked1, &made1);
	assert_int_equal(made1 - made0, 1); /* one commit */
	stor_fwal_defer_take(&t);
	assert_non_null(t.w);
	must(stor_fwal_ticket_wait(&t, &err), &err);
	assert_int_equal(stor_lsn(db), 3);
	stor_unlock(db);
	stor_dir_put(d, db);

	/* the crash loses the SQLite commits; the WAL's records bring back
	 * entries 1 to 3 (rows 10, 1 and 3), nothing of row 2 */
	c = crash_copy(d, "once-crash");
	must(stor_dir_get(c, "p.db", 0, &db, &err), &err);
	must(stor_lock(db, &err), &err);
	assert_int_equal(stor_lsn(db), 3);
	assert_int_equal(count_rows(db), 3);
	stor_unlock(db);
	stor_dir_put(c, db);
	stor_dir_close(c);
	stor_dir_close(d);
}

static void test_lost_transaction_undoes_every_entry(void **state)
{
	(void)state;
	stor_dir *d = open_dir("lost", 1);
	stor_db *db = create_locked(d, "p.db");
	stor_fwal_ticket t;
	mur_error err;

	stor_fwal_defer_begin();
	stor_batch_begin(db);
	must(write_row(db, 1, 1, &err), &err);
	must(write_row(db, 2, 1, &err), &err);
	assert_int_equal(stor_lsn(db), 2);
	/* as SQLite does after an I/O error or a full disk in a statement */
	assert_int_equal(sqlite3_exec(stor_handle(db), "ROLLBACK", NULL, NULL, NULL), SQLITE_OK);
	assert_int_equal(write_row(db, 3, 1, &err), MUR_ERR);
	assert_string_equal(err.sqlstate, "58030");
	assert_int_equal(stor_lsn(db), 0);
	assert_int_equal(stor_batch_end(db, &err), MUR_ERR);
	assert_string_equal(err.sqlstate, "58030");
	stor_fwal_defer_take(&t);
	assert_null(t.w); /* no record of the entries undone */
	assert_int_equal(stor_lsn(db), 0);
	assert_int_equal(count_rows(db), 0);

	/* the placement goes on from where it was */
	must(write_row(db, 4, 1, &err), &err);
	assert_int_equal(stor_lsn(db), 1);
	assert_int_equal(count_rows(db), 1);
	stor_unlock(db);
	stor_dir_put(d, db);
	stor_dir_close(d);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_entries_commit_once_at_batch_end),
		cmocka_unit_test(test_lost_transaction_undoes_every_entry),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
