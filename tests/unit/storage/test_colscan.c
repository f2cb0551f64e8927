/*
 * test_colscan.c — reading one column from the b-tree pages
 * (src/storage/colscan.c) against SQLite's own SELECT of it: every serial
 * type, REAL affinity, multi-level trees, rows still in the WAL, values
 * beside overflow pages, the rowid (an INTEGER PRIMARY KEY) from the cell;
 * and every case where the scan must decline
 * (overflowing value, ALTER TABLE ADD COLUMN, WITHOUT ROWID, generated
 * column, open transaction, no such table or column,
 * a corrupted page) — never a wrong value, never a crash.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "storage/sqlrow.h"
#include "storage/colscan.h"
#include "storage/storage_int.h"
#include "test_loop.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static char tmpdir[TL_TMPDIR_MAX];
static stor_db *db;

static int setup(void **state)
{
	(void)state;
	mur_error err;
	if (tl_tmpdir_make(tmpdir, sizeof tmpdir, "colscan") != 0 ||
	    stor_open(tmpdir, "c.db", &db, &err) != MUR_OK)
		return -1;
	return stor_lock(db, &err);
}

static int teardown(void **state)
{
	(void)state;
	stor_unlock(db);
	stor_close(db);
	return tl_tmpdir_remove(tmpdir);
}

static void exec(const char *sql)
{
	char *msg = NULL;
	if (sqlite3_exec(stor_handle(db), sql, NULL, NULL, &msg) != SQLITE_OK)
		fail_msg("%s: %s", sql, msg);
}

/* The values seen, encoded as rows (kind, bytes), and how many. */
typedef struct seen {
	mur_buf rows;
	uint64_t n, stop_at; /* stop_at: fail with MUR_EIO at that row (0: never) */
} seen;

static int collect(void *ctx, const mur_value *v)
{
	seen *s = ctx;
	if (s->stop_at && s->n == s->stop_at)
		return MUR_EIO;
	mur_row_put_value(&s->rows, v);
	s->n++;
	return MUR_OK;
}

/* stor_colscan's answer for table.column: 1 done, 0 declined. */
static int scan(const char *table, const char *column, seen *s)
{
	int done = -1;
	memset(s, 0, sizeof *s);
	mur_buf_init(&s->rows);
	assert_int_equal(stor_colscan(db, table, column, collect, s, &done), MUR_OK);
	assert_true(done == 0 || done == 1);
	return done;
}

/* The scan gives exactly SQLite's values of SELECT column FROM table, in
 * rowid order. */
static void assert_same_as_sqlite(const char *table, const char *column)
{
	seen got, want = {0};
	char sql[256];
	sqlite3_stmt *st;
	assert_int_equal(scan(table, column, &got), 1);
	mur_buf_init(&want.rows);
	snprintf(sql, sizeof sql, "SELECT \"%s\" FROM main.\"%s\" ORDER BY rowid", column, table);
	assert_int_equal(sqlite3_prepare_v2(stor_handle(db), sql, -1, &st, NULL), SQLITE_OK);
	while (sqlite3_step(st) == SQLITE_ROW) {
		mur_value v = exec_sql_column_value(st, 0);
		collect(&want, &v);
	}
	sqlite3_finalize(st);
	assert_int_equal(got.n, want.n);
	assert_int_equal(got.rows.len, want.rows.len);
	assert_memory_equal(got.rows.data, want.rows.data, want.rows.len);
	mur_buf_free(&got.rows);
	mur_buf_free(&want.rows);
}

static void assert_declines(const char *table, const char *column)
{
	seen s;
	assert_int_equal(scan(table, column, &s), 0);
	mur_buf_free(&s.rows);
}

static void test_every_serial_type(void **state)
{
	(void)state;
	exec("CREATE TABLE t (id INTEGER PRIMARY KEY, a, b TEXT, c REAL, d INTEGER)");
	/* a: every integer width, 0 and 1 (types 8, 9), floats, texts, blobs,
	 * NULLs; 30000 rows: a three-level tree */
	exec("WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 30000) "
	     "INSERT INTO t SELECT i * 3, CASE i % 12 "
	     " WHEN 0 THEN 0 WHEN 1 THEN 1 WHEN 2 THEN -i WHEN 3 THEN i * 300 "
	     " WHEN 4 THEN i * 70000 WHEN 5 THEN i * 20000000 WHEN 6 THEN i * 5000000000 "
	     " WHEN 7 THEN -i * 300000000000000 WHEN 8 THEN i + 0.5 WHEN 9 THEN 'text ' || i "
	     " WHEN 10 THEN randomblob(i % 40) ELSE NULL END, "
	     "printf('%0*d', i % 300, i), CASE WHEN i % 3 = 0 THEN i ELSE i / 7.0 END, "
	     "CASE WHEN i % 5 = 0 THEN NULL ELSE i END FROM n");
	exec("INSERT INTO t (a, b, c, d) VALUES (9223372036854775807, '', 0.0, "
	     "-9223372036854775808), "
	     "(-9223372036854775808, 'é', -0.0, 0), (1e308, X'00', 1, 1), (X'', NULL, NULL, 2)");
	assert_same_as_sqlite("t", "a");
	assert_same_as_sqlite("t", "b");
	assert_same_as_sqlite("t",
			      "c"); /* REAL: integral values stored as integers read as floats */
	assert_same_as_sqlite("T", "D"); /* names are case-insensitive, like SQLite's */
}

/* Committed rows still in the WAL: the scan checkpoints first. */
static void test_rows_in_wal(void **state)
{
	(void)state;
	int log = -1, ckpt = -1;
	exec("CREATE TABLE w (x)");
	exec("INSERT INTO w VALUES (1), ('two'), (3.5)");
	sqlite3_wal_checkpoint_v2(stor_handle(db), "main", SQLITE_CHECKPOINT_PASSIVE, &log, &ckpt);
	exec("UPDATE w SET x = x || '!' WHERE rowid = 2");
	exec("INSERT INTO w VALUES (4)");
	assert_same_as_sqlite("w", "x");
	exec("DELETE FROM w WHERE rowid = 1");
	assert_same_as_sqlite("w", "x");
}

/* A value in an overflow page: decline; a value before it on the page: read. */
static void test_overflow(void **state)
{
	(void)state;
	exec("CREATE TABLE o (x, big, y)");
	exec("INSERT INTO o VALUES (1, zeroblob(20000), 2), (3, 'short', 4)");
	assert_same_as_sqlite("o", "x");
	assert_declines("o", "y");
	exec("CREATE TABLE o2 (big)");
	exec("INSERT INTO o2 VALUES ('a'), (printf('%.*c', 9000, 'x'))");
	assert_declines("o2", "big");
}

static void test_declines(void **state)
{
	(void)state;
	/* ALTER TABLE ADD COLUMN: old records lack the column (its default) */
	exec("CREATE TABLE al (x)");
	exec("INSERT INTO al VALUES (1)");
	exec("ALTER TABLE al ADD COLUMN y DEFAULT 7");
	assert_declines("al", "y");
	assert_same_as_sqlite("al", "x");
	exec("CREATE TABLE wr (k TEXT PRIMARY KEY, v) WITHOUT ROWID");
	exec("INSERT INTO wr VALUES ('a', 1)");
	assert_declines("wr", "v");
	exec("CREATE TABLE pk (id INTEGER PRIMARY KEY, v)");
	exec("INSERT INTO pk VALUES (5, 6), (-3, NULL), (9007199254740993, 'x')");
	assert_same_as_sqlite("pk", "id"); /* the rowid, stored as NULL: the cell's */
	assert_same_as_sqlite("pk", "v");
	/* a key of two columns: both in the record; a DESC one is no rowid:
	 * its values are in the record too */
	exec("CREATE TABLE ck (a INTEGER, b TEXT, v, PRIMARY KEY (a, b))");
	exec("INSERT INTO ck VALUES (5, 'x', 1), (-7, 'y', NULL), (5, 'z', 'w')");
	assert_same_as_sqlite("ck", "a");
	assert_same_as_sqlite("ck", "b");
	exec("CREATE TABLE kd (id INTEGER PRIMARY KEY DESC, v)");
	exec("INSERT INTO kd VALUES (5, 6), (NULL, 7)");
	assert_same_as_sqlite("kd", "id");
	exec("CREATE TABLE g (a, b AS (a * 2), c)");
	exec("INSERT INTO g (a, c) VALUES (1, 2)");
	assert_declines("g", "c");
	exec("CREATE VIEW vw AS SELECT 1 AS x");
	assert_declines("vw", "x");
	assert_declines("nope", "x");
	assert_declines("pk", "nope");
	exec("BEGIN");
	assert_declines("pk", "v");
	exec("ROLLBACK");
}

/* The callback's error stops the scan and comes back. */
static void test_callback_error(void **state)
{
	(void)state;
	seen s = {0};
	int done = -1;
	mur_buf_init(&s.rows);
	s.stop_at = 100;
	assert_int_equal(stor_colscan(db, "t", "a", collect, &s, &done), MUR_EIO);
	assert_int_equal(done, 0);
	assert_int_equal(s.n, 100);
	mur_buf_free(&s.rows);
}

/* A page overwritten with garbage: the scan declines or reads, never crashes. */
static void test_corrupt_page(void **state)
{
	(void)state;
	char path[512];
	sqlite3_stmt *st;
	int root = 0, log = -1, ckpt = -1;
	exec("CREATE TABLE cp (x)");
	exec("WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 3000) "
	     "INSERT INTO cp SELECT 'row ' || i FROM n");
	sqlite3_wal_checkpoint_v2(stor_handle(db), "main", SQLITE_CHECKPOINT_TRUNCATE, &log, &ckpt);
	assert_int_equal(sqlite3_prepare_v2(stor_handle(db),
					    "SELECT rootpage FROM sqlite_schema WHERE name = 'cp'",
					    -1, &st, NULL),
			 SQLITE_OK);
	assert_int_equal(sqlite3_step(st), SQLITE_ROW);
	root = sqlite3_column_int(st, 0);
	sqlite3_finalize(st);
	snprintf(path, sizeof path, "%s/c.db", tmpdir);
	for (int k = 0; k < 64; k++) {
		FILE *f = fopen(path, "r+b");
		unsigned char junk[64];
		long at = (long)(root - 1) * 4096 + (k * 613) % 4000;
		assert_non_null(f);
		for (size_t i = 0; i < sizeof junk; i++)
			junk[i] = (unsigned char)(k * 31 + i * 7);
		fseek(f, at, SEEK_SET);
		fwrite(junk, 1, sizeof junk, f);
		fclose(f);
		seen s;
		scan("cp", "x", &s); /* either answer; no crash (ASan build checks reads) */
		mur_buf_free(&s.rows);
	}
}

/* A write that moves the placement's log position (as the shard log's
 * do) and sleep_us: after writes a scan checkpoints at most once a
 * second. */
static void write_moving(int64_t x, unsigned sleep_us)
{
	mur_error err;
	char sql[64];
	assert_int_equal(stor_begin(db, &err), MUR_OK);
	snprintf(sql, sizeof sql, "INSERT INTO cw VALUES (%lld)", (long long)x);
	exec(sql);
	assert_int_equal(stor_set_position(db, stor_lsn(db) + 1, (uint64_t)x, &err), MUR_OK);
	assert_int_equal(stor_commit(db, &err), MUR_OK);
	usleep(sleep_us);
}

/* Written since a scan found the WAL checkpointed, a scan checkpoints
 * (and reads) at most once a second and declines in between, leaving
 * the rows in the WAL to SQLite; unwritten, it reads every time. */
static void test_checkpoint_after_writes(void **state)
{
	(void)state;
	exec("CREATE TABLE cw (x)");
	write_moving(1, 1100000);
	assert_same_as_sqlite("cw", "x"); /* the checkpoint a second allows */
	assert_same_as_sqlite("cw", "x"); /* clean: no checkpoint needed */
	write_moving(2, 0);
	assert_declines("cw", "x"); /* within the second: SQLite reads the WAL */
	write_moving(3, 1100000);
	assert_same_as_sqlite("cw", "x");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_every_serial_type),
		cmocka_unit_test(test_rows_in_wal),
		cmocka_unit_test(test_overflow),
		cmocka_unit_test(test_declines),
		cmocka_unit_test(test_callback_error),
		cmocka_unit_test(test_corrupt_page),
		cmocka_unit_test(test_checkpoint_after_writes),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
