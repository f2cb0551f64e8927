/*
 * test_walbuf.c — the "murphy-walbuf" VFS (src/storage/walbuf.c): WAL
 * frames gathered into one write per transaction must never make a
 * commit visible before its frames are in the file.
 *
 * A writer connection uses the VFS; a second connection, with SQLite's
 * default VFS, reads the same file after every commit (it trusts the
 * wal-index, so a commit published before its frames were written would
 * show as missing rows or a checksum failure).  Covered: one-row
 * transactions (and the write count they cost), a transaction larger
 * than the buffer, a rolled-back transaction whose pages spilled to the
 * WAL, a WAL restart after a checkpoint, and recovery of the WAL by a
 * fresh connection after the writer closed without checkpointing.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "storage/storage_int.h"
#include "test_loop.h"

#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static char tmpdir[TL_TMPDIR_MAX];
static char path[300];

static int setup(void **state)
{
	(void)state;
	if (tl_tmpdir_make(tmpdir, sizeof tmpdir, "walbuf") != 0)
		return -1;
	snprintf(path, sizeof path, "%s/t.db", tmpdir);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	return tl_tmpdir_remove(tmpdir);
}

static void ok(sqlite3 *db, const char *sql)
{
	char *msg = NULL;
	if (sqlite3_exec(db, sql, NULL, NULL, &msg) != SQLITE_OK)
		fail_msg("%s: %s", sql, msg ? msg : "?");
}

static sqlite3 *open_db(const char *vfs)
{
	sqlite3 *db = NULL;
	assert_int_equal(sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE,
					 vfs),
			 SQLITE_OK);
	sqlite3_busy_timeout(db, 5000);
	return db;
}

static sqlite3 *open_writer(void)
{
	const char *vfs = stor_walbuf_vfs();
	assert_non_null(vfs);
	sqlite3 *w = open_db(vfs);
	ok(w, "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;"
	      " CREATE TABLE IF NOT EXISTS t (id INTEGER PRIMARY KEY, v BLOB);"
	      " CREATE TABLE IF NOT EXISTS log (n INTEGER PRIMARY KEY, id INTEGER)");
	return w;
}

static int64_t one_int(sqlite3 *db, const char *sql)
{
	sqlite3_stmt *st;
	int64_t v;
	assert_int_equal(sqlite3_prepare_v2(db, sql, -1, &st, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_step(st), SQLITE_ROW);
	v = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return v;
}

static void insert(sqlite3 *db, int64_t id, int blob_bytes)
{
	char sql[200];
	snprintf(sql, sizeof sql,
		 "INSERT INTO t VALUES (%lld, randomblob(%d)); INSERT INTO log(id) VALUES (%lld)",
		 (long long)id, blob_bytes, (long long)id);
	ok(db, sql);
}

static void assert_intact(sqlite3 *db)
{
	sqlite3_stmt *st;
	assert_int_equal(sqlite3_prepare_v2(db, "PRAGMA integrity_check", -1, &st, NULL),
			 SQLITE_OK);
	assert_int_equal(sqlite3_step(st), SQLITE_ROW);
	assert_string_equal((const char *)sqlite3_column_text(st, 0), "ok");
	sqlite3_finalize(st);
}

/* Every one-row commit is visible to the other connection at once, and
 * costs about one write instead of two per page. */
static void test_each_commit_visible_and_written_once(void **state)
{
	(void)state;
	sqlite3 *w = open_writer(), *r = open_db(NULL);
	uint64_t asked0, made0, asked1, made1;
	const int n = 300;

	stor_walbuf_stats(&asked0, &made0);
	for (int i = 1; i <= n; i++) {
		ok(w, "BEGIN IMMEDIATE");
		insert(w, i, 50);
		ok(w, "COMMIT");
		assert_int_equal(one_int(r, "SELECT count(*) FROM t"), i);
		assert_int_equal(one_int(r, "SELECT max(id) FROM log"), i);
	}
	stor_walbuf_stats(&asked1, &made1);
	/* two tables' pages (and sometimes more) per commit, two writes each */
	assert_true(asked1 - asked0 >= (uint64_t)n * 4);
	assert_true(made1 - made0 <= (uint64_t)n + n / 10);
	assert_intact(r);
	sqlite3_close(r);
	sqlite3_close(w);
}

/* Write-back of a growing WAL is started every WALBUF_WRITEBACK_BYTES
 * (256 KiB), so a checkpoint's fsync of the WAL finds little left to
 * write; after a restart it starts again from the file's beginning. */
static void test_writeback_started_as_wal_grows(void **state)
{
	(void)state;
	sqlite3 *w = open_writer(), *r = open_db(NULL);
	uint64_t wb0 = stor_walbuf_writeback_bytes(), wb1, wb2;
	int id = 1;

	ok(w, "PRAGMA wal_autocheckpoint=0");
	/* about 8 KiB of frames per commit: 256 commits ≈ 2 MiB of WAL */
	for (; id <= 256; id++) {
		ok(w, "BEGIN IMMEDIATE");
		insert(w, id, 50);
		ok(w, "COMMIT");
	}
	wb1 = stor_walbuf_writeback_bytes();
	assert_true(wb1 - wb0 >= 1536 * 1024); /* all but the last < 256 KiB */
	assert_true(wb1 - wb0 <= 2560 * 1024);
	/* a checkpoint and a restart: the next frames are written (and
	 * written back) from the start of the file again */
	ok(w, "PRAGMA wal_checkpoint(TRUNCATE)");
	for (int k = 0; k < 64; k++, id++) {
		ok(w, "BEGIN IMMEDIATE");
		insert(w, id, 50);
		ok(w, "COMMIT");
	}
	wb2 = stor_walbuf_writeback_bytes();
	assert_true(wb2 - wb1 >= 256 * 1024);
	assert_true(wb2 - wb1 <= 640 * 1024);
	assert_int_equal(one_int(r, "SELECT count(*) FROM t"), id - 1);
	assert_intact(r);
	sqlite3_close(r);
	sqlite3_close(w);
}

/* A transaction larger than the buffer, one that spilled pages and rolled
 * back, and a WAL restart after a checkpoint. */
static void test_large_spilled_and_restarted(void **state)
{
	(void)state;
	sqlite3 *w = open_writer(), *r = open_db(NULL);

	ok(w, "BEGIN IMMEDIATE");
	for (int i = 1; i <= 3000; i++)
		insert(w, i, 300);
	ok(w, "COMMIT");
	assert_int_equal(one_int(r, "SELECT count(*) FROM t"), 3000);

	ok(w, "PRAGMA cache_size=10"); /* the next transaction spills frames */
	ok(w, "BEGIN IMMEDIATE");
	for (int i = 3001; i <= 6000; i++)
		insert(w, i, 300);
	ok(w, "ROLLBACK");
	assert_int_equal(one_int(r, "SELECT count(*) FROM t"), 3000);
	insert(w, 6001, 10);
	assert_int_equal(one_int(r, "SELECT count(*) FROM t"), 3001);

	ok(w, "PRAGMA wal_checkpoint(TRUNCATE)"); /* the next commit rewrites the header */
	for (int i = 7001; i <= 7050; i++) {
		insert(w, i, 10);
		assert_int_equal(one_int(r, "SELECT max(id) FROM log"), i);
	}
	assert_int_equal(one_int(r, "SELECT count(*) FROM t"), 3051);
	assert_intact(r);
	sqlite3_close(r);
	sqlite3_close(w);
}

/* The frames on disk are SQLite's own format: a new connection recovers
 * the WAL (checksums and all) after the writer went away without a
 * checkpoint. */
static void test_wal_recovered_by_default_vfs(void **state)
{
	(void)state;
	sqlite3 *w = open_writer(), *keep = open_db(NULL), *r;
	ok(keep, "SELECT count(*) FROM t"); /* holds the WAL open: no checkpoint at close */
	for (int i = 1; i <= 100; i++)
		insert(w, i, 200);
	sqlite3_close(w);
	sqlite3_close(keep);
	r = open_db(NULL);
	assert_int_equal(one_int(r, "SELECT count(*) FROM t"), 100);
	assert_int_equal(one_int(r, "SELECT sum(id) FROM log"), 5050);
	assert_intact(r);
	sqlite3_close(r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_writeback_started_as_wal_grows, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_each_commit_visible_and_written_once, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_large_spilled_and_restarted, setup, teardown),
		cmocka_unit_test_setup_teardown(test_wal_recovered_by_default_vfs, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
