/*
 * test_stmt_cache.c — the prepared-statement cache over one SQLite
 * connection (src/storage/stmt_cache.c): a text comes back as the same
 * statement, reset with its bindings cleared; a statement in use is not
 * handed out twice; the least recently used one is replaced; a failed one
 * is dropped; a kept one follows a schema change and a redefined function
 * (SQLite re-prepares it, its shape after the first step); long texts are not kept; clear finalizes.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "storage/stmt_cache.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static sqlite3 *db;
static stor_stmt_cache cache;

static int setup(void **state)
{
	(void)state;
	memset(&cache, 0, sizeof cache);
	return sqlite3_open(":memory:", &db) == SQLITE_OK ? 0 : -1;
}

static int teardown(void **state)
{
	(void)state;
	stor_stmt_cache_clear(&cache);
	return sqlite3_close(db) == SQLITE_OK ? 0 : -1; /* SQLITE_BUSY: a statement leaked */
}

static sqlite3_stmt *get(const char *sql)
{
	sqlite3_stmt *st = NULL;
	assert_int_equal(stor_stmt_cache_get(&cache, db, sql, &st), SQLITE_OK);
	assert_non_null(st);
	return st;
}

static int64_t one_int(sqlite3_stmt *st)
{
	assert_int_equal(sqlite3_step(st), SQLITE_ROW);
	return sqlite3_column_int64(st, 0);
}

static void test_same_text_same_statement_reset_and_unbound(void **state)
{
	(void)state;
	sqlite3_stmt *a = get("SELECT ?1 + 1"), *b;
	sqlite3_bind_int(a, 1, 41);
	assert_int_equal(one_int(a), 42);
	stor_stmt_cache_put(&cache, a, 0); /* mid-step: one row read, not done */
	b = get("SELECT ?1 + 1");
	assert_ptr_equal(a, b);
	assert_false(sqlite3_stmt_busy(b));
	assert_int_equal(sqlite3_step(b), SQLITE_ROW); /* from the start, ?1 NULL */
	assert_int_equal(sqlite3_column_type(b, 0), SQLITE_NULL);
	stor_stmt_cache_put(&cache, b, 0);
	assert_int_equal(cache.hits, 1);
	assert_int_equal(cache.misses, 1);
}

static void test_busy_statement_not_handed_out_twice(void **state)
{
	(void)state;
	sqlite3_stmt *a = get("SELECT 7"), *b = get("SELECT 7"), *c;
	assert_ptr_not_equal(a, b); /* the second is prepared uncached */
	assert_int_equal(one_int(a), 7);
	assert_int_equal(one_int(b), 7);
	stor_stmt_cache_put(&cache, b, 0); /* finalized */
	stor_stmt_cache_put(&cache, a, 0);
	c = get("SELECT 7");
	assert_ptr_equal(a, c);
	stor_stmt_cache_put(&cache, c, 0);
}

static void test_least_recently_used_replaced(void **state)
{
	(void)state;
	char sql[64];
	sqlite3_stmt *first, *st;
	first = get("SELECT 0");
	stor_stmt_cache_put(&cache, first, 0);
	for (int i = 1; i < STOR_STMT_CACHE_ENTRIES; i++) {
		snprintf(sql, sizeof sql, "SELECT %d", i);
		stor_stmt_cache_put(&cache, get(sql), 0);
	}
	stor_stmt_cache_put(&cache, get("SELECT 0"), 0);   /* now the newest */
	stor_stmt_cache_put(&cache, get("SELECT 100"), 0); /* replaces SELECT 1 */
	st = get("SELECT 0");
	assert_ptr_equal(st, first);
	stor_stmt_cache_put(&cache, st, 0);
	uint64_t misses = cache.misses;
	stor_stmt_cache_put(&cache, get("SELECT 3"), 0); /* kept */
	assert_int_equal(cache.misses, misses);
	stor_stmt_cache_put(&cache, get("SELECT 1"), 0); /* was replaced */
	assert_int_equal(cache.misses, misses + 1);
}

static void test_failed_statement_dropped(void **state)
{
	(void)state;
	sqlite3_exec(db, "CREATE TABLE t(a INTEGER PRIMARY KEY)", NULL, NULL, NULL);
	sqlite3_stmt *a = get("INSERT INTO t VALUES (?1)"), *b;
	sqlite3_bind_int(a, 1, 1);
	assert_int_equal(sqlite3_step(a), SQLITE_DONE);
	stor_stmt_cache_put(&cache, a, 0);
	b = get("INSERT INTO t VALUES (?1)");
	assert_ptr_equal(a, b);
	sqlite3_bind_int(b, 1, 1);
	assert_int_equal(sqlite3_step(b), SQLITE_CONSTRAINT);
	stor_stmt_cache_put(&cache, b, 1);
	uint64_t misses = cache.misses;
	b = get("INSERT INTO t VALUES (?1)");
	assert_int_equal(cache.misses, misses + 1);
	sqlite3_bind_int(b, 1, 2);
	assert_int_equal(sqlite3_step(b), SQLITE_DONE);
	stor_stmt_cache_put(&cache, b, 0);
}

static void test_schema_change_and_function_followed(void **state)
{
	(void)state;
	sqlite3_exec(db, "CREATE TABLE u(a); INSERT INTO u VALUES (1)", NULL, NULL, NULL);
	sqlite3_stmt *st = get("SELECT count(*) FROM u");
	assert_int_equal(one_int(st), 1);
	stor_stmt_cache_put(&cache, st, 0);
	sqlite3_exec(db, "DROP TABLE u; CREATE TABLE u(a, b); INSERT INTO u VALUES (1, 2), (3, 4)",
		     NULL, NULL, NULL);
	st = get("SELECT count(*) FROM u");
	assert_int_equal(one_int(st), 2);
	stor_stmt_cache_put(&cache, st, 0);
	sqlite3_exec(db, "DROP TABLE u", NULL, NULL, NULL);
	st = get("SELECT count(*) FROM u");
	assert_int_equal(sqlite3_step(st), SQLITE_ERROR); /* no such table, not a stale answer */
	stor_stmt_cache_put(&cache, st, 1);
}

/* `SELECT *` kept over a table recreated wider: the statement describes
 * the old table until its first step re-prepares it (stmt_cache.h), so a
 * caller reads its shape after that step (lead_local_query). */
static void test_shape_follows_after_the_first_step(void **state)
{
	(void)state;
	sqlite3_exec(db, "CREATE TABLE w(c0); INSERT INTO w VALUES (1)", NULL, NULL, NULL);
	sqlite3_stmt *st = get("SELECT * FROM w");
	assert_int_equal(sqlite3_column_count(st), 1);
	assert_int_equal(sqlite3_step(st), SQLITE_ROW);
	stor_stmt_cache_put(&cache, st, 0);
	sqlite3_exec(db, "DROP TABLE w; CREATE TABLE w(c0, c1); INSERT INTO w VALUES (1, 2)", NULL,
		     NULL, NULL);
	st = get("SELECT * FROM w");
	assert_int_equal(sqlite3_column_count(st), 1); /* the kept statement's, stale */
	assert_int_equal(sqlite3_step(st), SQLITE_ROW);
	assert_int_equal(sqlite3_column_count(st), 2); /* re-prepared by the step */
	assert_int_equal(sqlite3_column_int(st, 1), 2);
	stor_stmt_cache_put(&cache, st, 0);
	sqlite3_exec(db, "DROP TABLE w; CREATE TABLE w(c0)", NULL, NULL, NULL);
	st = get("SELECT * FROM w");
	assert_int_equal(sqlite3_step(st), SQLITE_DONE); /* no row: re-prepared all the same */
	assert_int_equal(sqlite3_column_count(st), 1);
	stor_stmt_cache_put(&cache, st, 0);
}

static void fn_one(sqlite3_context *cx, int argc, sqlite3_value **argv)
{
	(void)argc, (void)argv;
	sqlite3_result_int(cx, 1);
}

static void fn_two(sqlite3_context *cx, int argc, sqlite3_value **argv)
{
	(void)argc, (void)argv;
	sqlite3_result_int(cx, 2);
}

static void test_function_redefined_followed(void **state)
{
	(void)state;
	sqlite3_create_function(db, "f", 0, SQLITE_UTF8, NULL, fn_one, NULL, NULL);
	sqlite3_stmt *st = get("SELECT f()");
	assert_int_equal(one_int(st), 1);
	stor_stmt_cache_put(&cache, st, 0);
	assert_int_equal(sqlite3_create_function(db, "f", 0, SQLITE_UTF8, NULL, fn_two, NULL, NULL),
			 SQLITE_OK);
	st = get("SELECT f()");
	assert_int_equal(one_int(st), 2);
	stor_stmt_cache_put(&cache, st, 0);
}

static void test_long_text_not_kept_and_errors(void **state)
{
	(void)state;
	size_t n = STOR_STMT_CACHE_SQL_MAX + 64;
	char *sql = malloc(n + 1);
	sqlite3_stmt *st = NULL;
	assert_non_null(sql);
	memset(sql, ' ', n);
	memcpy(sql, "SELECT 5", 8);
	sql[n] = 0;
	stor_stmt_cache_put(&cache, get(sql), 0);
	stor_stmt_cache_put(&cache, get(sql), 0);
	assert_int_equal(cache.hits, 0);
	free(sql);
	assert_int_equal(stor_stmt_cache_get(&cache, db, "SELEC 1", &st), SQLITE_ERROR);
	assert_null(st);
	assert_int_equal(stor_stmt_cache_get(&cache, db, "  ", &st), SQLITE_OK);
	assert_null(st);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_same_text_same_statement_reset_and_unbound,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_busy_statement_not_handed_out_twice, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_least_recently_used_replaced, setup, teardown),
		cmocka_unit_test_setup_teardown(test_failed_statement_dropped, setup, teardown),
		cmocka_unit_test_setup_teardown(test_schema_change_and_function_followed, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_shape_follows_after_the_first_step, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_function_redefined_followed, setup, teardown),
		cmocka_unit_test_setup_teardown(test_long_text_not_kept_and_errors, setup,
						teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
