/*
 * test_parse_cache.c — parse trees reused across integer literals
 * (src/parser/parse_cache.c): a statement parsed after another that
 * differs only in its integers gives, from the cache, exactly the tree a
 * parse with an empty cache gives (compared as packed protobuf, locations
 * included), and the cache was used where it should be and left alone
 * where the grammar does not keep an integer as a constant of its own.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "parser/analyze.h"
#include "parser/parser.h"
#include "parser/parser_int.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

typedef struct packed {
	uint8_t *data;
	size_t len;
} packed;

static packed parse_packed(const char *sql)
{
	sql_tree *t = NULL;
	mur_error err;
	packed p = {0};
	if (sql_parse(sql, &t, &err) != MUR_OK)
		fail_msg("%s: %s", sql, err.message);
	PgQuery__ParseResult *r = sql_tree_result(t);
	p.len = pg_query__parse_result__get_packed_size(r);
	p.data = malloc(p.len ? p.len : 1);
	pg_query__parse_result__pack(r, p.data);
	sql_tree_free(t);
	return p;
}

typedef struct cold_job {
	const char *sql;
	packed out;
} cold_job;

static void *cold_main(void *arg)
{
	cold_job *j = arg;
	j->out = parse_packed(j->sql); /* a new thread: its cache is empty */
	return NULL;
}

static packed parse_cold(const char *sql)
{
	pthread_t th;
	cold_job j = {sql, {0}};
	assert_int_equal(pthread_create(&th, NULL, cold_main, &j), 0);
	assert_int_equal(pthread_join(th, NULL), 0);
	return j.out;
}

/* Parse first, then second here; second's tree must be the one an empty
 * cache gives; returns 1 when second came from the cache. */
static int warm_equals_cold(const char *first, const char *second)
{
	packed a = parse_packed(first);
	uint64_t hits = sql_pcache_hits();
	packed warm = parse_packed(second);
	int hit = sql_pcache_hits() > hits;
	packed cold = parse_cold(second);
	if (warm.len != cold.len || memcmp(warm.data, cold.data, warm.len) != 0)
		fail_msg("\"%s\" after \"%s\": cached tree differs from a fresh parse", second,
			 first);
	free(a.data);
	free(warm.data);
	free(cold.data);
	return hit;
}

static void test_hits_give_the_fresh_tree(void **state)
{
	static const char *pairs[][2] = {
		{"SELECT 1 + 2", "SELECT 3 + 4"},
		{"UPDATE pgbench_accounts SET abalance = abalance + -1234 WHERE aid = 56789;",
		 "UPDATE pgbench_accounts SET abalance = abalance + -4321 WHERE aid = 98765;"},
		{"SELECT - 5", "SELECT - 7"},
		{"SELECT 5 - 3", "SELECT 9 - 1"},
		{"SELECT 5-3", "SELECT 9-1"},
		{"SELECT 'x1', 2 AS \"c3\"", "SELECT 'x1', 3 AS \"c3\""},
		{"SELECT $1 + 1", "SELECT $1 + 2"},
		{"SELECT 2147483647", "SELECT 2147483646"},
		{"SELECT 0", "SELECT 9"},
		{"SELECT 007", "SELECT 123"},
		{"SELECT 12 -- 34\n", "SELECT 13 -- 34\n"},
		{"SELECT a FROM t WHERE b IN (1, 2, 3) ORDER BY 1 LIMIT 10",
		 "SELECT a FROM t WHERE b IN (4, 5, 6) ORDER BY 2 LIMIT 20"},
		{"INSERT INTO h (a, b) VALUES (1, -2), (3, now())",
		 "INSERT INTO h (a, b) VALUES (7, -8), (9, now())"},
		{"SELECT x::varchar(10) FROM t1", "SELECT x::varchar(20) FROM t1"},
	};
	(void)state;
	for (size_t i = 0; i < sizeof pairs / sizeof pairs[0]; i++)
		if (!warm_equals_cold(pairs[i][0], pairs[i][1]))
			fail_msg("\"%s\" after \"%s\": not taken from the cache", pairs[i][1],
				 pairs[i][0]);
}

/* Texts whose integers are not constants of their own, or that the scan
 * does not read: parsed again, never patched. */
static void test_misses_parse_again(void **state)
{
	static const char *pairs[][2] = {
		{"CREATE TABLE f (x float(10))",
		 "CREATE TABLE f (x float(30))"}, /* real vs double */
		{"SELECT - - 5", "SELECT - - 7"},
		{"SELECT 2147483648", "SELECT 2147483649"}, /* not int32: a Float */
		{"SELECT 1.5", "SELECT 2.5"},
		{"SELECT 1e5", "SELECT 2e5"},
		{"SELECT E'\\'1', 5", "SELECT E'\\'1', 6"},
		{"SELECT $$1$$, 5", "SELECT $$1$$, 6"},
		{"SELECT /* 1 */ 5", "SELECT /* 1 */ 6"},
		{"SELECT 5", "SELECT 55"}, /* other length: another key */
	};
	(void)state;
	for (size_t i = 0; i < sizeof pairs / sizeof pairs[0]; i++)
		if (warm_equals_cold(pairs[i][0], pairs[i][1]))
			fail_msg("\"%s\" after \"%s\": taken from the cache", pairs[i][1],
				 pairs[i][0]);
}

/* A negative entry stays negative; a syntax error is not cached and keeps
 * its position. */
static void test_errors_and_negative_entries(void **state)
{
	sql_tree *t = NULL;
	mur_error err;
	(void)state;
	assert_false(
		warm_equals_cold("CREATE TABLE g (x float(1))", "CREATE TABLE g (x float(2))"));
	assert_false(
		warm_equals_cold("CREATE TABLE g (x float(3))", "CREATE TABLE g (x float(4))"));
	for (int i = 0; i < 2; i++) {
		assert_int_not_equal(sql_parse(i ? "SELECT 22 + (" : "SELECT 11 + (", &t, &err),
				     MUR_OK);
		assert_string_equal(err.sqlstate, "42601");
		assert_int_equal(err.position, 14);
	}
}

/* A thread splits one statement (too long for the cache: it makes no
 * table of its own) and ends without parsing it: the tree sql_split kept
 * for that parse is freed at the thread's exit (make asan's LeakSanitizer
 * reports it otherwise). */
static void *split_main(void *arg)
{
	const char *sql = arg;
	int n = 0;
	char **stmts = NULL;
	mur_error err;
	if (sql_split(sql, &n, &stmts, &err) != MUR_OK || n != 1)
		return arg;
	free(stmts[0]);
	free(stmts);
	return NULL;
}

static void test_a_thread_that_splits_and_ends_keeps_nothing(void **state)
{
	char sql[SQL_PCACHE_TEXT_MAX + 64] = "SELECT 1";
	pthread_t th;
	void *failed = NULL;
	(void)state;
	while (strlen(sql) + 3 < SQL_PCACHE_TEXT_MAX + 16)
		strcat(sql, ", 1");
	assert_int_equal(pthread_create(&th, NULL, split_main, sql), 0);
	assert_int_equal(pthread_join(th, &failed), 0);
	assert_null(failed);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_hits_give_the_fresh_tree),
		cmocka_unit_test(test_misses_parse_again),
		cmocka_unit_test(test_errors_and_negative_entries),
		cmocka_unit_test(test_a_thread_that_splits_and_ends_keeps_nothing),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
