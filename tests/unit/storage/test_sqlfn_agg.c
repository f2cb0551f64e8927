/*
 * test_sqlfn_agg.c — the collecting aggregates of src/storage/sqlfn_agg.c
 * (mur_string_agg, mur_percentile_cont, mur_percentile_disc, mur_mode) and
 * generate_series's bound checks (mur_series_first/next, sqlfn_math.c), on
 * an in-memory SQLite with murphy's functions: sort order and direction,
 * NULLs skipped, DISTINCT, ties, empty groups, bad fractions and steps.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "storage/storage.h"

#include <sqlite3.h>
#include <stdio.h>
#include <string.h>

static sqlite3 *db;

static int setup(void **state)
{
	(void)state;
	if (sqlite3_open(":memory:", &db) != SQLITE_OK || stor_register_functions(db) != SQLITE_OK)
		return -1;
	return sqlite3_exec(db,
			    "CREATE TABLE t(g, x, k);"
			    "INSERT INTO t VALUES (1, 'b', 2), (1, 'a', 3), (1, NULL, 1), (1, 'c', "
			    "1),"
			    " (1, 'a', NULL), (2, 'z', 5);"
			    "CREATE TABLE n(v); INSERT INTO n VALUES (10), (20), (30), (40), "
			    "(NULL);",
			    NULL, NULL, NULL);
}

static int teardown(void **state)
{
	(void)state;
	sqlite3_close(db);
	return 0;
}

/* The one value sql answers, as text ("NULL" for NULL), or the error. */
static const char *one(const char *sql)
{
	static char out[256];
	sqlite3_stmt *st;
	int rc;
	if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK)
		return snprintf(out, sizeof out, "prepare: %s", sqlite3_errmsg(db)), out;
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		snprintf(out, sizeof out, "%s",
			 sqlite3_column_type(st, 0) == SQLITE_NULL
				 ? "NULL"
				 : (const char *)sqlite3_column_text(st, 0));
	else
		snprintf(out, sizeof out, "error: %s", sqlite3_errmsg(db));
	sqlite3_finalize(st);
	return out;
}

static void test_string_agg(void **state)
{
	(void)state;
	/* arrival order without a key; NULL values skipped */
	assert_string_equal(one("SELECT mur_string_agg(x, ',', 0) FROM t WHERE g = 1"), "b,a,c,a");
	/* by k ascending, NULL key last; descending, NULL key first */
	assert_string_equal(one("SELECT mur_string_agg(x, ',', 0, k) FROM t WHERE g = 1"),
			    "c,b,a,a");
	assert_string_equal(one("SELECT mur_string_agg(x, '-', 3, k) FROM t WHERE g = 1"),
			    "a-a-b-c");
	/* DISTINCT sorts by the value */
	assert_string_equal(one("SELECT mur_string_agg(x, '', 1073741824, x) FROM t WHERE g = 1"),
			    "abc");
	assert_string_equal(one("SELECT mur_string_agg(x, '', 1073741827, x) FROM t WHERE g = 1"),
			    "cba");
	/* two keys: g descending, then k ascending with NULLs first (bit 3) */
	assert_string_equal(one("SELECT mur_string_agg(x, ',', 9, g, k) FROM t"), "z,a,c,b,a");
	/* a NULL delimiter is none; an empty group is NULL */
	assert_string_equal(one("SELECT mur_string_agg(x, NULL, 0, x) FROM t WHERE g = 1"), "aabc");
	assert_string_equal(one("SELECT mur_string_agg(x, ',', 0, x) FROM t WHERE g = 9"), "NULL");
}

static void test_percentiles_and_mode(void **state)
{
	(void)state;
	assert_string_equal(one("SELECT mur_percentile_cont(v, 0.5, 0, v) FROM n"), "25.0");
	assert_string_equal(one("SELECT mur_percentile_cont(v, 0.25, 1, v) FROM n"), "32.5");
	assert_string_equal(one("SELECT mur_percentile_cont(v, 1, 0, v) FROM n"), "40.0");
	assert_string_equal(one("SELECT mur_percentile_disc(v, 0.5, 0, v) FROM n"), "20");
	assert_string_equal(one("SELECT mur_percentile_disc(v, 0, 0, v) FROM n"), "10");
	assert_string_equal(one("SELECT mur_percentile_disc(v, 0.51, 0, v) FROM n"), "30");
	assert_string_equal(one("SELECT mur_percentile_cont(v, NULL, 0, v) FROM n"), "NULL");
	assert_string_equal(one("SELECT mur_percentile_cont(v, 0.5, 0, v) FROM n WHERE v > 99"),
			    "NULL");
	assert_non_null(strstr(one("SELECT mur_percentile_cont(v, 1.5, 0, v) FROM n"), "22003"));
	/* mode: the most frequent; a tie goes to the first in the sort order */
	assert_string_equal(one("SELECT mur_mode(x, NULL, 0, x) FROM t"), "a");
	assert_string_equal(one("SELECT mur_mode(v, NULL, 0, v) FROM n"), "10");
	assert_string_equal(one("SELECT mur_mode(v, NULL, 1, v) FROM n"), "40");
}

static void test_series_bounds(void **state)
{
	(void)state;
	assert_string_equal(one("SELECT mur_series_first(1, 5, 1)"), "1");
	assert_string_equal(one("SELECT mur_series_first(5, 1, 1)"), "0");
	assert_string_equal(one("SELECT mur_series_first(5, 1, -2)"), "1");
	assert_string_equal(one("SELECT mur_series_first(1, NULL, 1)"), "0");
	assert_non_null(strstr(one("SELECT mur_series_first(1, 5, 0)"), "22023"));
	assert_string_equal(one("SELECT mur_series_next(4, 5, 1)"), "1");
	assert_string_equal(one("SELECT mur_series_next(5, 5, 1)"), "0");
	assert_string_equal(one("SELECT mur_series_next(9223372036854775806, 9223372036854775807, "
				"3)"),
			    "0");
	assert_string_equal(one("WITH RECURSIVE s(v) AS (SELECT 3 WHERE mur_series_first(3, -4, -2)"
				" UNION ALL SELECT v - 2 FROM s WHERE mur_series_next(v, -4, -2))"
				" SELECT group_concat(v) FROM s"),
			    "3,1,-1,-3");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_string_agg),
		cmocka_unit_test(test_percentiles_and_mode),
		cmocka_unit_test(test_series_bounds),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
