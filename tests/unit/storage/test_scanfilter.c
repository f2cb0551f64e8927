/*
 * test_scanfilter.c — filtered shard SELECTs read from the pages
 * (src/storage/scanfilter.c over stor_colscan_cols) against SQLite running
 * the same text: TEXT by bytes and by mur_numeric (the literal's COLLATE
 * over the column's, '10.00' > '9' by value but not by bytes), BETWEEN,
 * integers with negative literals, '' in a string, NULLs, repeated and
 * filter-only columns, nested parentheses, [NOT] mur_like on a TEXT
 * column, the rowid in the select list (read from the cell; the columns
 * of a key of two from the record); every shape it must not take
 * (OR, NOT but NOT mur_like, parameters, other functions, LIKE on an
 * INTEGER or with ESCAPE, LIMIT, a literal first, a literal of
 * the other kind, other collations, aliases, reals, IS NULL), and what
 * SQLite runs through an index, a comparison of a key column; and a value
 * of an unexpected storage class in a table that is not STRICT (the
 * filter answers -1, the scan declines).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "storage/scanfilter.h"
#include "storage/sqlrow.h"
#include "test_loop.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static char tmpdir[TL_TMPDIR_MAX];
static stor_db *db;

static void exec(const char *sql)
{
	char *msg = NULL;
	if (sqlite3_exec(stor_handle(db), sql, NULL, NULL, &msg) != SQLITE_OK)
		fail_msg("%s: %s", sql, msg);
}

static int setup(void **state)
{
	(void)state;
	mur_error err;
	if (tl_tmpdir_make(tmpdir, sizeof tmpdir, "scanfilter") != 0 ||
	    stor_open(tmpdir, "f.db", &db, &err) != MUR_OK || stor_lock(db, &err) != MUR_OK)
		return -1;
	/* lineitem's shape: numerics as TEXT COLLATE mur_numeric, dates as TEXT */
	exec("CREATE TABLE li (k INTEGER NOT NULL, ln INTEGER NOT NULL, "
	     "q TEXT COLLATE mur_numeric, d TEXT COLLATE mur_numeric, s TEXT, i INTEGER, "
	     "PRIMARY KEY (k, ln)) STRICT;"
	     "WITH RECURSIVE n(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM n WHERE x < 20000) "
	     "INSERT INTO li SELECT x, x % 7, "
	     "CASE WHEN x % 13 = 0 THEN NULL WHEN x % 97 = 0 THEN '1e1' "
	     "  ELSE printf('%d.00', (x * 7) % 50 + 1) END, "
	     "printf('0.%02d', x % 11), "
	     "CASE WHEN x % 17 = 0 THEN NULL WHEN x % 101 = 0 THEN 'it''s' "
	     "  ELSE date('1992-01-01', '+' || ((x * 37) % 2500) || ' days') END, "
	     "CASE WHEN x % 19 = 0 THEN NULL ELSE (x * 31) % 1000 - 500 END FROM n;"
	     "CREATE TABLE ns (s TEXT, i INTEGER);"
	     "INSERT INTO ns VALUES ('a', 1), (x'61', 2);"
	     "CREATE TABLE ip (id INTEGER PRIMARY KEY, v TEXT);"
	     "INSERT INTO ip VALUES (3, 'a'), (4, 'b');"
	     "CREATE TABLE ix (a INTEGER, b TEXT, c TEXT);"
	     "CREATE INDEX ix_a ON ix (a);"
	     "INSERT INTO ix SELECT k, s, q FROM li;"
	     "ANALYZE;"
	     "PRAGMA wal_checkpoint(TRUNCATE);");
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	stor_unlock(db);
	stor_close(db);
	return tl_tmpdir_remove(tmpdir);
}

/* The rows a page scan keeps, encoded. */
typedef struct kept {
	const stor_scanfilter *f;
	mur_buf rows;
	uint64_t n;
	int unsure;
} kept;

static int keep_row(void *ctx, const mur_value *v)
{
	kept *k = ctx;
	int r = stor_scanfilter_keep(k->f, v);
	if (r < 0) {
		k->unsure = 1;
		return MUR_EAGAIN;
	}
	for (int i = 0; r && i < k->f->nout; i++)
		mur_row_put_value(&k->rows, &v[k->f->out[i]]);
	k->n += (uint64_t)r;
	return MUR_OK;
}

/* sql through the page scan: -1 not recognized, 0 declined, 1 done (rows
 * in *k). */
static int paged(const char *sql, kept *k)
{
	stor_scanfilter f;
	int done = -1, rc;
	memset(k, 0, sizeof *k);
	mur_buf_init(&k->rows);
	if (!stor_scanfilter_parse(db, sql, &f))
		return -1;
	k->f = &f;
	rc = stor_colscan_cols(db, f.table, f.ncols, f.cols, keep_row, k, &done);
	stor_scanfilter_free(&f);
	k->f = NULL;
	assert_true(rc == MUR_OK || (rc == MUR_EAGAIN && k->unsure));
	return rc == MUR_OK ? done : 0;
}

/* The page scan keeps exactly SQLite's rows of sql, in the same order. */
static void assert_same(const char *sql)
{
	kept got;
	mur_buf want;
	uint64_t n = 0;
	sqlite3_stmt *st;
	if (paged(sql, &got) != 1)
		fail_msg("not read from the pages: %s", sql);
	mur_buf_init(&want);
	assert_int_equal(sqlite3_prepare_v2(stor_handle(db), sql, -1, &st, NULL), SQLITE_OK);
	while (sqlite3_step(st) == SQLITE_ROW) {
		exec_sql_put_row(st, sqlite3_column_count(st), &want);
		n++;
	}
	sqlite3_finalize(st);
	if (got.n != n)
		fail_msg("%llu rows, SQLite %llu: %s", (unsigned long long)got.n,
			 (unsigned long long)n, sql);
	assert_int_equal(got.rows.len, want.len);
	if (want.len)
		assert_memory_equal(got.rows.data, want.data, want.len);
	mur_buf_free(&got.rows);
	mur_buf_free(&want);
}

#define SEL "SELECT \"t\".\"q\", \"t\".\"d\", \"t\".\"s\", \"t\".\"i\" FROM main.\"li\" AS \"t\""

static void test_same_as_sqlite(void **state)
{
	(void)state;
	static const char *const cases[] = {
		/* TPC-H Q6's shard query, as the leader sends it */
		"SELECT \"t\".\"q\", \"t\".\"d\" FROM main.\"li\" AS \"t\" WHERE ((\"t\".\"s\" >= "
		"'1994-01-01') AND (\"t\".\"s\" < '1995-01-01') AND (\"t\".\"d\" BETWEEN '0.05' "
		"AND "
		"'0.07') AND (\"t\".\"q\" < '24' COLLATE mur_numeric))",
		SEL,
		"SELECT \"t\".\"s\", \"t\".\"s\", \"t\".\"i\" FROM main.\"li\" AS \"t\"",
		SEL " WHERE (\"t\".\"i\" >= -100) AND (\"t\".\"i\" <> 0) AND ((\"t\".\"i\" < 250))",
		SEL " WHERE (\"t\".\"q\" > '9' COLLATE BINARY)", /* '10.00' < '9' by bytes */
		SEL " WHERE (\"t\".\"q\" > '9')",                /* by value: the column's */
		SEL " WHERE (\"t\".\"q\" >= '10')",              /* '1e1' = 10 */
		SEL " WHERE (\"t\".\"s\" = 'it''s')",
		SEL " WHERE (\"t\".\"s\" <= '1993-06-30') AND (\"t\".\"d\" == '0.1')",
		SEL " WHERE (\"t\".\"s\" != '1994-02-03') AND (\"t\".\"d\" = '0.10');",
		SEL " WHERE (\"t\".\"i\" BETWEEN -20 AND 20)",
		SEL " WHERE (\"t\".\"s\" > '1998-12-31')", /* no rows */
		"SELECT \"t\".\"i\" FROM main.\"li\" AS \"t\" WHERE (\"t\".\"s\" < '1993-01-01')",
		/* LIKE and NOT LIKE as emit.c writes them (TPC-H Q13's orders) */
		SEL " WHERE (NOT mur_like(\"t\".\"s\", '%-0_-1%'))",
		SEL " WHERE mur_like(\"t\".\"s\", '1993%') AND (\"t\".\"i\" > 0)",
		SEL " WHERE (mur_like(\"t\".\"s\", '%it''s%'))",
		SEL " WHERE (NOT mur_like(\"t\".\"s\", '%\\%%'))", /* an escaped % */
		/* the rowid (INTEGER PRIMARY KEY, NULL in the record): the cell's */
		"SELECT \"p\".\"id\", \"p\".\"v\" FROM main.\"ip\" AS \"p\" WHERE (NOT "
		"mur_like(\"p\".\"v\", 'b'))",
	};
	for (size_t k = 0; k < sizeof cases / sizeof cases[0]; k++)
		assert_same(cases[k]);
}

static void test_not_recognized(void **state)
{
	(void)state;
	static const char *const cases[] = {
		SEL " WHERE (\"t\".\"i\" > 3) OR (\"t\".\"i\" < 0)",
		SEL " WHERE (\"t\".\"i\" > ?1)",
		SEL " WHERE (NOT (\"t\".\"i\" > 3))",
		SEL " WHERE (abs(\"t\".\"i\") > 3)",
		SEL " WHERE (\"t\".\"i\" > 3) LIMIT 5",
		SEL " ORDER BY \"t\".\"i\"",
		SEL " WHERE ('1994-01-01' < \"t\".\"s\")",
		SEL " WHERE (\"t\".\"s\" > 3)",   /* TEXT against an integer */
		SEL " WHERE (\"t\".\"i\" > '3')", /* INTEGER against a text */
		SEL " WHERE (\"t\".\"s\" > 'a' COLLATE NOCASE)",
		SEL " WHERE (\"t\".\"i\" > 1.5)",
		SEL " WHERE (\"t\".\"i\" IS NULL)",
		SEL " WHERE (NOT mur_like(\"t\".\"i\", '1%'))", /* LIKE on an INTEGER column */
		SEL " WHERE (mur_like(\"t\".\"s\", ?1))",
		SEL " WHERE (mur_like(\"t\".\"s\", '1993!%', '!'))", /* ESCAPE */
		SEL " WHERE (mur_ilike(\"t\".\"s\", '1993%'))",
		SEL " WHERE (NOT NOT mur_like(\"t\".\"s\", '1993%'))",
		SEL " WHERE (\"t\".\"i\" > 12345678901234567890)",
		SEL " WHERE (\"t\".\"d\" BETWEEN '0.01' COLLATE BINARY AND '0.05')",
		SEL " WHERE (\"t\".\"nope\" > 3)",
		SEL " WHERE (\"t\".\"i\" > 3",
		"SELECT \"u\".\"i\" FROM main.\"li\" AS \"t\"",
		"SELECT count(*) FROM main.\"li\" AS \"t\"",
		"SELECT \"t\".\"i\" FROM \"li\" AS \"t\"",
		"SELECT \"t\".\"i\" FROM main.\"li\" AS \"t\", main.\"ns\" AS \"n\"",
		"SELECT \"t\".\"i\" + 1 FROM main.\"li\" AS \"t\"",
		"SELECT \"t\".\"i\" FROM main.\"li\" AS \"t\" WHERE (\"t\".\"s\" < 'x''",
		"",
		/* SQLite seeks an index (the key, a secondary index) or scans a
		 * covering one: cheaper than the table's pages */
		SEL " WHERE (\"t\".\"k\" > 19990)",
		SEL " WHERE (\"t\".\"ln\" = 3)", /* a key column: not even asked */
		"SELECT \"x\".\"b\" FROM main.\"ix\" AS \"x\" WHERE (\"x\".\"a\" = 5)",
		"SELECT \"x\".\"a\" FROM main.\"ix\" AS \"x\"",
	};
	for (size_t k = 0; k < sizeof cases / sizeof cases[0]; k++) {
		kept got;
		if (paged(cases[k], &got) != -1)
			fail_msg("recognized: %s", cases[k]);
		mur_buf_free(&got.rows);
	}
}

/* Recognized, but the pages cannot answer: SQLite does. */
static void test_declines(void **state)
{
	(void)state;
	kept got;
	/* the rowid (an INTEGER PRIMARY KEY, stored as NULL): read from the
	 * cell */
	assert_same("SELECT \"p\".\"id\" FROM main.\"ip\" AS \"p\" WHERE (\"p\".\"v\" = 'a')");
	/* the columns of a key of two are in the record */
	assert_same("SELECT \"t\".\"k\", \"t\".\"ln\" FROM main.\"li\" AS \"t\" WHERE (\"t\".\"i\" "
		    "> 5)");
	/* a BLOB in a TEXT column of a table that is not STRICT */
	assert_int_equal(paged("SELECT \"n\".\"i\" FROM main.\"ns\" AS \"n\" WHERE (\"n\".\"s\" = "
			       "'a')",
			       &got),
			 0);
	assert_true(got.unsure);
	mur_buf_free(&got.rows);
	/* the same table answers when no value surprises the filter */
	assert_same("SELECT \"n\".\"s\" FROM main.\"ns\" AS \"n\" WHERE (\"n\".\"i\" = 1)");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_same_as_sqlite),
		cmocka_unit_test(test_not_recognized),
		cmocka_unit_test(test_declines),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
