/*
 * test_storage.c — placement files (src/storage): open/reopen keeps the
 * LSN and entry id, commit/rollback of log appends, statement cache, SQLite → SQLSTATE
 * mapping, and the placement directory (get/put/drop, names, limits).
 * Real SQLite files in a mkdtemp directory.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "storage/replog.h"
#include "storage/storage.h"
#include "test_loop.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static char tmpdir[TL_TMPDIR_MAX];

static int setup(void **state)
{
	(void)state;
	return tl_tmpdir_make(tmpdir, sizeof tmpdir, "storage");
}

static int teardown(void **state)
{
	(void)state;
	return tl_tmpdir_remove(tmpdir);
}

static int file_exists(const char *dir, const char *file)
{
	char p[512];
	struct stat sb;
	snprintf(p, sizeof p, "%s/%s", dir, file);
	return stat(p, &sb) == 0;
}

static void must(int rc, const mur_error *err)
{
	if (rc != MUR_OK)
		fail_msg("rc %d: %s %s", rc, err->sqlstate, err->message);
}

static void test_open_reopen_lsn(void **state)
{
	(void)state;
	stor_db *db;
	mur_error err;
	uint64_t lsn = 0;
	must(stor_open(tmpdir, "a.db", &db, &err), &err);
	assert_int_equal(stor_lsn(db), 0);
	must(stor_lock(db, &err), &err);
	must(stor_begin(db, &err), &err);
	must(stor_log_append(db, &(stor_entry){.entry_id = 11, .cs = "x", .len = 1}, &lsn, &err),
	     &err);
	assert_int_equal(lsn, 1);
	assert_int_equal(stor_lsn(db), 0); /* not committed yet */
	must(stor_commit(db, &err), &err);
	assert_int_equal(stor_lsn(db), 1);
	assert_int_equal(stor_entry_id(db), 11);
	/* a rolled-back entry changes nothing */
	must(stor_begin(db, &err), &err);
	must(stor_log_append(db, &(stor_entry){.entry_id = 12, .cs = "y", .len = 1}, &lsn, &err),
	     &err);
	assert_int_equal(lsn, 2);
	stor_rollback(db);
	assert_int_equal(stor_lsn(db), 1);
	assert_int_equal(stor_entry_id(db), 11);
	must(stor_begin(db, &err), &err);
	must(stor_log_append(db, &(stor_entry){.entry_id = 13, .cs = "z", .len = 1}, &lsn, &err),
	     &err);
	must(stor_commit(db, &err), &err);
	assert_int_equal(stor_lsn(db), 2);
	uint64_t first;
	must(stor_log_first(db, &first, &err), &err);
	assert_int_equal(first, 1);
	/* pragmas */
	sqlite3_stmt *st;
	must(stor_prepare(db, "PRAGMA journal_mode", &st, &err), &err);
	assert_int_equal(sqlite3_step(st), SQLITE_ROW);
	assert_string_equal((const char *)sqlite3_column_text(st, 0), "wal");
	stor_release(db, st);
	must(stor_prepare(db, "PRAGMA synchronous", &st, &err), &err);
	assert_int_equal(sqlite3_step(st), SQLITE_ROW);
	assert_int_equal(sqlite3_column_int(st, 0), 2); /* FULL */
	stor_release(db, st);
	stor_unlock(db);
	stor_close(db);

	must(stor_open(tmpdir, "a.db", &db, &err), &err);
	assert_int_equal(stor_lsn(db), 2);
	assert_int_equal(stor_entry_id(db), 13);
	assert_true(strstr(stor_path(db), "/a.db") != NULL);
	stor_close(db);
}

static void test_bad_names(void **state)
{
	(void)state;
	stor_db *db;
	mur_error err;
	const char *bad[] = {"", "../x.db", "a/b.db", ".x", "x y", NULL};
	for (int i = 0; bad[i]; i++) {
		assert_int_not_equal(stor_open(tmpdir, bad[i], &db, &err), MUR_OK);
		assert_null(db);
		assert_false(stor_file_name_ok(bad[i]));
	}
	assert_false(stor_file_name_ok(NULL));
	assert_true(stor_file_name_ok("t1_s0.db"));
	/* a directory that does not exist */
	assert_int_not_equal(stor_open("/nonexistent/murphy", "x.db", &db, &err), MUR_OK);
	assert_string_equal(err.sqlstate, "58030");
}

static void test_stmt_cache(void **state)
{
	(void)state;
	stor_db *db;
	mur_error err;
	sqlite3_stmt *a, *b, *c;
	must(stor_open(tmpdir, "cache.db", &db, &err), &err);
	must(stor_lock(db, &err), &err);
	must(stor_prepare(db, "SELECT ?1 + 1", &a, &err), &err);
	sqlite3_bind_int(a, 1, 41);
	assert_int_equal(sqlite3_step(a), SQLITE_ROW);
	assert_int_equal(sqlite3_column_int(a, 0), 42);
	/* the same text while a is out: a different statement */
	must(stor_prepare(db, "SELECT ?1 + 1", &b, &err), &err);
	assert_ptr_not_equal(a, b);
	stor_release(db, b);
	stor_release(db, a);
	/* after release: served from the cache, reset and unbound */
	must(stor_prepare(db, "SELECT ?1 + 1", &c, &err), &err);
	assert_true(c == a || c == b);
	assert_int_equal(sqlite3_step(c), SQLITE_ROW);
	assert_int_equal(sqlite3_column_type(c, 0), SQLITE_NULL);
	stor_release(db, c);
	/* many distinct texts: the cache stays bounded and correct */
	for (int i = 0; i < 3 * STOR_STMT_CACHE_MAX; i++) {
		char sql[64];
		snprintf(sql, sizeof sql, "SELECT %d", i);
		must(stor_prepare(db, sql, &a, &err), &err);
		assert_int_equal(sqlite3_step(a), SQLITE_ROW);
		assert_int_equal(sqlite3_column_int(a, 0), i);
		stor_release(db, a);
	}
	/* one statement only; trailing ';' and blanks are fine */
	must(stor_prepare(db, "SELECT 1; \n", &a, &err), &err);
	stor_release(db, a);
	assert_int_not_equal(stor_prepare(db, "SELECT 1; SELECT 2", &a, &err), MUR_OK);
	assert_int_not_equal(stor_prepare(db, "SELEKT 1", &a, &err), MUR_OK);
	assert_string_equal(err.sqlstate, "XX000");
	assert_true(strstr(err.message, "syntax error") != NULL);
	stor_unlock(db);
	stor_close(db);
}

static int step_sql(stor_db *db, const char *sql, mur_error *err);

/* Every row of st as "type:text|…\n" into out; st released. */
static void rows_text(stor_db *db, sqlite3_stmt *st, char *out, size_t cap)
{
	size_t n = 0;
	out[0] = '\0';
	while (sqlite3_step(st) == SQLITE_ROW) {
		for (int i = 0; i < sqlite3_column_count(st); i++) {
			const unsigned char *t = sqlite3_column_text(st, i);
			n += (size_t)snprintf(out + n, cap - n, "%d:%s|",
					      sqlite3_column_type(st, i), t ? (const char *)t : "");
			assert_true(n < cap);
		}
		n += (size_t)snprintf(out + n, cap - n, "\n");
	}
	stor_release(db, st);
}

/* A text prepared per shape (stor_prepare_shaped: literals as parameters)
 * answers what the text itself answers, also where the literals must stay
 * (ORDER BY 2, a type's length, a real, a string that holds a quote or a
 * '?'), and two texts of one shape share one prepared statement. */
static void test_shaped_statements(void **state)
{
	(void)state;
	static const char *texts[] =
		{"SELECT a, b, c FROM t WHERE a = 2",
		 "SELECT a, b FROM t WHERE b = 'it''s ?1' OR a = -3",
		 "SELECT a + -4500, typeof(a + 1), 'x' || b FROM t WHERE a IN (1, 3)",
		 "SELECT a, b FROM t ORDER BY 2 DESC LIMIT 2",
		 "SELECT CAST(b AS VARCHAR(1)), c * 1.5, c > 2.0 FROM t WHERE a <> 007",
		 "SELECT typeof(c), c = 3 FROM t WHERE a = 1 AND b = 'x'",
		 "SELECT count(*) FROM t WHERE b LIKE 'y%'",
		 "SELECT 9223372036854775807, 123456789012345678, X'00', 1e3",
		 "SELECT \"a\", [b] FROM \"t\" WHERE \"a\" = 3 /* 5 */",
		 "UPDATE t SET c = c + 1 WHERE a = 99 RETURNING a"};
	stor_db *db;
	mur_error err;
	sqlite3_stmt *a, *b;
	char want[1024], got[1024];
	must(stor_open(tmpdir, "shape.db", &db, &err), &err);
	must(stor_lock(db, &err), &err);
	must(step_sql(db, "CREATE TABLE t (a INTEGER PRIMARY KEY, b TEXT, c REAL)", &err), &err);
	must(step_sql(db,
		      "INSERT INTO t VALUES (1, 'x', 3), (2, 'y', 2.5), (3, 'it''s ?1', NULL),"
		      " (7, 'yz', 1)",
		      &err),
	     &err);
	for (size_t i = 0; i < sizeof texts / sizeof *texts; i++) {
		must(stor_prepare(db, texts[i], &a, &err), &err);
		rows_text(db, a, want, sizeof want);
		must(stor_prepare_shaped(db, texts[i], &b, &err), &err);
		rows_text(db, b, got, sizeof got);
		if (strcmp(want, got) != 0)
			fail_msg("%s: shaped\n%s\nnot\n%s", texts[i], got, want);
		assert_true(i == sizeof texts / sizeof *texts - 1 || want[0] != '\0');
	}
	/* one shape, two texts: the same statement, each with its literals */
	must(stor_prepare_shaped(db, "SELECT b FROM t WHERE a = 1", &a, &err), &err);
	rows_text(db, a, got, sizeof got);
	assert_string_equal(got, "3:x|\n");
	must(stor_prepare_shaped(db, "SELECT b FROM t WHERE a = 2", &b, &err), &err);
	assert_ptr_equal(a, b);
	rows_text(db, b, got, sizeof got);
	assert_string_equal(got, "3:y|\n");
	/* a text that does not prepare fails as it would */
	assert_int_not_equal(stor_prepare_shaped(db, "SELEKT 1 FROM t", &a, &err), MUR_OK);
	assert_true(strstr(err.message, "syntax error") != NULL);
	stor_unlock(db);
	stor_close(db);
}

static int step_sql(stor_db *db, const char *sql, mur_error *err)
{
	sqlite3_stmt *st;
	if (stor_prepare(db, sql, &st, err) != MUR_OK)
		return MUR_ERR;
	int rc = sqlite3_step(st);
	int out = MUR_OK;
	if (rc != SQLITE_DONE && rc != SQLITE_ROW)
		out = stor_map_sqlite_error(stor_handle(db), rc, err);
	stor_release(db, st);
	return out;
}

static void raise_fn(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
	(void)argc;
	(void)argv;
	sqlite3_result_error(ctx, "SQLSTATE:22012:division by zero", -1);
}

static void raise_hint_fn(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
	(void)argc;
	(void)argv;
	sqlite3_result_error(ctx, "SQLSTATE:42501:not allowed" STOR_ERROR_HINT_SEP "ask first", -1);
}

/* A write whose step fails with 23505 gets the key's values in its DETAIL
 * (stor_dupkey_detail): the row that collided, also when it is not the
 * statement's first, and the table is left as the failure left it. */
static int step_dupkey(stor_db *db, const char *sql, mur_error *err)
{
	sqlite3_stmt *st;
	int rc;
	if (stor_prepare(db, sql, &st, err) != MUR_OK)
		return MUR_ERR;
	rc = sqlite3_step(st);
	if (rc != SQLITE_DONE && rc != SQLITE_ROW) {
		stor_map_sqlite_error(stor_handle(db), rc, err);
		stor_dupkey_detail(stor_handle(db), st, err);
	}
	stor_release(db, st);
	return rc == SQLITE_DONE || rc == SQLITE_ROW ? MUR_OK : MUR_ERR;
}

static void test_dupkey_values(void **state)
{
	(void)state;
	stor_db *db;
	mur_error err;
	must(stor_open(tmpdir, "dupkey.db", &db, &err), &err);
	must(stor_lock(db, &err), &err);
	must(step_sql(db,
		      "CREATE TABLE t (id INTEGER PRIMARY KEY, u TEXT, v REAL, UNIQUE (u, v)) "
		      "STRICT",
		      &err),
	     &err);
	must(step_sql(db, "INSERT INTO t VALUES (1, 'it''s, x', 0.5), (2, 'b', 2)", &err), &err);
	assert_int_equal(step_dupkey(db, "INSERT INTO t VALUES (7, 'q', 1), (1, 'y', 1)", &err),
			 MUR_ERR);
	assert_string_equal(err.detail, "Key (id)=(1) already exists.");
	assert_int_equal(step_dupkey(db, "UPDATE t SET u = 'it''s, x', v = 0.5 WHERE id = 2", &err),
			 MUR_ERR);
	assert_string_equal(err.message,
			    "duplicate key value violates unique constraint \"t_u_v_key\"");
	assert_string_equal(err.detail, "Key (u, v)=(it's, x, 0.5) already exists.");
	/* nothing of the failed statements, nor of their re-runs, stayed */
	must(step_sql(db, "INSERT INTO t VALUES (7, 'q', 1)", &err), &err);
	assert_int_equal(step_dupkey(db, "INSERT INTO t VALUES (7, 'r', 1)", &err), MUR_ERR);
	assert_string_equal(err.detail, "Key (id)=(7) already exists.");
	/* the triggers are gone: a later write runs no note */
	must(step_sql(db, "INSERT INTO t VALUES (8, 'q', 2)", &err), &err);
	stor_unlock(db);
	stor_close(db);
}

/* A write whose step fails with 23502 or 23514 gets the failing row in
 * its DETAIL (stor_failrow_detail), printed by the statement's row-types
 * tag (a boolean stored 1 prints t); nothing of the re-run stays. */
static int step_failrow(stor_db *db, const char *sql, mur_error *err)
{
	sqlite3_stmt *st;
	int rc;
	if (stor_prepare(db, sql, &st, err) != MUR_OK)
		return MUR_ERR;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW)
		;
	if (rc != SQLITE_DONE) {
		stor_map_sqlite_error(stor_handle(db), rc, err);
		stor_failrow_detail(stor_handle(db), st, err);
	}
	stor_release(db, st);
	return rc == SQLITE_DONE ? MUR_OK : MUR_ERR;
}

#define FAILROW_TAG " /*murphy:row_types 23 \"id\",23 \"n\",16 \"b\"*/"

static void test_failrow_values(void **state)
{
	(void)state;
	stor_db *db;
	sqlite3_stmt *st;
	char out[64];
	mur_error err;
	must(stor_open(tmpdir, "failrow.db", &db, &err), &err);
	must(stor_lock(db, &err), &err);
	must(step_sql(db, "CREATE TABLE t (id INTEGER PRIMARY KEY, n INTEGER NOT NULL, b INTEGER)",
		      &err),
	     &err);
	must(step_sql(db,
		      "CREATE TRIGGER ck BEFORE UPDATE ON t WHEN NEW.n < 0 BEGIN SELECT "
		      "RAISE(ABORT, 'SQLSTATE:23514:new row for relation \"t\" violates check "
		      "constraint \"t_n_check\"'); END",
		      &err),
	     &err);
	must(step_sql(db, "INSERT INTO t VALUES (1, 1, 1), (2, 5, 0), (3, 3, NULL)", &err), &err);
	assert_int_equal(step_failrow(db, "UPDATE t SET n = n - 4" FAILROW_TAG, &err), MUR_ERR);
	assert_string_equal(err.sqlstate, "23514");
	assert_string_equal(err.detail, "Failing row contains (1, -3, t).");
	assert_int_equal(step_failrow(db, "UPDATE t SET n = NULL WHERE id = 2" FAILROW_TAG, &err),
			 MUR_ERR);
	assert_string_equal(err.sqlstate, "23502");
	assert_string_equal(err.detail, "Failing row contains (2, null, f).");
	/* no tag: no DETAIL, as before */
	assert_int_equal(step_failrow(db, "UPDATE t SET n = NULL WHERE id = 2", &err), MUR_ERR);
	assert_string_equal(err.detail, "");
	/* nothing of the failed statements, nor of their re-runs, stayed; no note runs */
	must(step_sql(db, "UPDATE t SET n = n + 1" FAILROW_TAG, &err), &err);
	must(stor_prepare(db, "SELECT n FROM t ORDER BY id", &st, &err), &err);
	rows_text(db, st, out, sizeof out);
	assert_string_equal(out, "1:2|\n1:6|\n1:4|\n");
	stor_unlock(db);
	stor_close(db);
}

static void test_error_mapping(void **state)
{
	(void)state;
	stor_db *db;
	mur_error err;
	must(stor_open(tmpdir, "errs.db", &db, &err), &err);
	must(stor_lock(db, &err), &err);
	must(step_sql(db,
		      "CREATE TABLE t (id INTEGER PRIMARY KEY, x TEXT NOT NULL, u INTEGER, "
		      "v INTEGER, CONSTRAINT t_u_check CHECK (u > 0), UNIQUE (u, v))",
		      &err),
	     &err);
	must(step_sql(db, "CREATE TABLE k (name TEXT PRIMARY KEY)", &err), &err);
	must(step_sql(db, "INSERT INTO t VALUES (1, 'a', 1, 1)", &err), &err);
	must(step_sql(db, "INSERT INTO k VALUES ('a')", &err), &err);

	assert_int_equal(step_sql(db, "INSERT INTO t VALUES (1, 'b', 2, 2)", &err), MUR_ERR);
	assert_string_equal(err.sqlstate, "23505");
	assert_string_equal(err.message,
			    "duplicate key value violates unique constraint \"t_pkey\"");
	assert_string_equal(err.detail, "Key (id) already exists.");

	assert_int_equal(step_sql(db, "INSERT INTO k VALUES ('a')", &err), MUR_ERR);
	assert_string_equal(err.message,
			    "duplicate key value violates unique constraint \"k_pkey\"");

	assert_int_equal(step_sql(db, "INSERT INTO t VALUES (2, 'b', 1, 1)", &err), MUR_ERR);
	assert_string_equal(err.sqlstate, "23505");
	assert_string_equal(err.message,
			    "duplicate key value violates unique constraint \"t_u_v_key\"");
	assert_string_equal(err.detail, "Key (u, v) already exists.");

	assert_int_equal(step_sql(db, "INSERT INTO t VALUES (3, NULL, 5, 5)", &err), MUR_ERR);
	assert_string_equal(err.sqlstate, "23502");
	assert_string_equal(err.message, "null value in column \"x\" of relation \"t\" violates "
					 "not-null constraint");

	assert_int_equal(step_sql(db, "INSERT INTO t VALUES (4, 'c', -1, 0)", &err), MUR_ERR);
	assert_string_equal(err.sqlstate, "23514");
	assert_string_equal(err.message, "new row violates check constraint \"t_u_check\"");

	sqlite3_create_function(stor_handle(db), "raise_it", 0, SQLITE_UTF8, NULL, raise_fn, NULL,
				NULL);
	assert_int_equal(step_sql(db, "SELECT raise_it()", &err), MUR_ERR);
	assert_string_equal(err.sqlstate, "22012");
	assert_string_equal(err.message, "division by zero");
	assert_string_equal(err.hint, "");

	sqlite3_create_function(stor_handle(db), "raise_hint", 0, SQLITE_UTF8, NULL, raise_hint_fn,
				NULL, NULL);
	assert_int_equal(step_sql(db, "SELECT raise_hint()", &err), MUR_ERR);
	assert_string_equal(err.sqlstate, "42501");
	assert_string_equal(err.message, "not allowed");
	assert_string_equal(err.hint, "ask first");

	assert_int_equal(step_sql(db, "SELECT * FROM nosuch", &err), MUR_ERR);
	assert_string_equal(err.sqlstate, "XX000");
	assert_string_equal(err.message, "no such table: nosuch");

	/* without a connection: SQLite's generic text */
	stor_map_sqlite_error(NULL, SQLITE_FULL, &err);
	assert_string_equal(err.sqlstate, "53100");
	stor_map_sqlite_error(NULL, SQLITE_BUSY, &err);
	assert_string_equal(err.sqlstate, "55P03");
	stor_map_sqlite_error(NULL, SQLITE_IOERR_FSYNC, &err);
	assert_string_equal(err.sqlstate, "58030");
	stor_unlock(db);
	stor_close(db);
}

static void test_dir(void **state)
{
	(void)state;
	char path[300];
	stor_dir *d;
	stor_db *a, *a2, *b;
	mur_error err;
	snprintf(path, sizeof path, "%s/data/deeper", tmpdir);
	must(stor_dir_open(path, &d, &err), &err);
	assert_string_equal(stor_dir_path(d), path);

	assert_int_not_equal(stor_dir_get(d, "missing.db", 0, &a, &err), MUR_OK);
	assert_string_equal(err.sqlstate, "58P01");
	assert_string_equal(err.message, "placement \"missing.db\" does not exist on this node");
	assert_false(file_exists(path, "missing.db"));
	assert_int_not_equal(stor_dir_get(d, "../evil.db", 1, &a, &err), MUR_OK);

	must(stor_dir_get(d, "t1_s0.db", 1, &a, &err), &err);
	must(stor_dir_get(d, "t1_s0.db", 0, &a2, &err), &err);
	assert_ptr_equal(a, a2); /* cached */
	assert_true(stor_dir_exists(d, "t1_s0.db"));
	char fp[512];
	assert_int_equal(stor_dir_file_path(d, "t1_s0.db", fp, sizeof fp), 0);
	assert_string_equal(fp, stor_path(a));
	assert_int_equal(stor_dir_file_path(d, "a/b", fp, sizeof fp), -1);

	must(stor_lock(a, &err), &err);
	must(step_sql(a, "CREATE TABLE x (i INTEGER)", &err), &err);
	stor_unlock(a);
	stor_dir_put(d, a2);

	/* drop while a reference is still held: the holder sees "dropped" */
	must(stor_dir_drop(d, "t1_s0.db", &err), &err);
	assert_false(file_exists(path, "t1_s0.db"));
	assert_false(file_exists(path, "t1_s0.db-wal"));
	assert_false(file_exists(path, "t1_s0.db-shm"));
	assert_int_not_equal(stor_lock(a, &err), MUR_OK);
	assert_string_equal(err.sqlstate, "58P01");
	stor_dir_put(d, a); /* frees it */

	/* recreated empty */
	must(stor_dir_get(d, "t1_s0.db", 1, &b, &err), &err);
	assert_int_equal(stor_lsn(b), 0);
	must(stor_lock(b, &err), &err);
	assert_int_equal(step_sql(b, "SELECT * FROM x", &err), MUR_ERR);
	stor_unlock(b);
	stor_dir_put(d, b);
	/* dropping something absent is fine */
	must(stor_dir_drop(d, "never.db", &err), &err);
	stor_dir_close(d);
}

/* More placements than the open bound: idle ones are closed; when none is
 * idle the open fails with 53000. */
static void test_dir_eviction(void **state)
{
	(void)state;
	char path[300];
	stor_dir *d;
	stor_db *db;
	mur_error err;
	snprintf(path, sizeof path, "%s/evict", tmpdir);
	must(stor_dir_open(path, &d, &err), &err);
	stor_dir_set_open_max(d, 4);
	for (int i = 0; i < 10; i++) {
		char f[32];
		snprintf(f, sizeof f, "p%d.db", i);
		must(stor_dir_get(d, f, 1, &db, &err), &err);
		stor_dir_put(d, db);
	}
	must(stor_dir_get(d, "p0.db", 0, &db, &err), &err); /* reopened after eviction */
	stor_db *held[4] = {db};
	for (int i = 1; i < 4; i++) {
		char f[32];
		snprintf(f, sizeof f, "p%d.db", i);
		must(stor_dir_get(d, f, 0, &held[i], &err), &err);
	}
	assert_int_not_equal(stor_dir_get(d, "p9.db", 0, &db, &err), MUR_OK);
	assert_string_equal(err.sqlstate, "53000");
	for (int i = 0; i < 4; i++)
		stor_dir_put(d, held[i]);
	stor_dir_close(d);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_open_reopen_lsn), cmocka_unit_test(test_bad_names),
		cmocka_unit_test(test_stmt_cache),      cmocka_unit_test(test_shaped_statements),
		cmocka_unit_test(test_error_mapping),   cmocka_unit_test(test_dupkey_values),
		cmocka_unit_test(test_failrow_values),  cmocka_unit_test(test_dir),
		cmocka_unit_test(test_dir_eviction),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
