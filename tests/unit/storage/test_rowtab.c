/*
 * test_rowtab.c — src/storage/rowtab.c: encoded rows read as a SQLite
 * table (the leader's r) on an in-memory SQLite: every storage class kept
 * (no affinity), NULLs, scans repeated and nested, an empty table, rows
 * that do not decode, and mur_rows refused to SQL that names it itself.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "common/buf.h"
#include "common/value.h"
#include "storage/sqlrow.h"
#include "storage/storage.h"

#include <sqlite3.h>
#include <stdio.h>
#include <string.h>

static sqlite3 *db;

static int setup(void **state)
{
	(void)state;
	return sqlite3_open(":memory:", &db) != SQLITE_OK ||
	       stor_register_functions(db) != SQLITE_OK;
}

static int teardown(void **state)
{
	(void)state;
	sqlite3_close(db);
	return 0;
}

/* sql's rows as "a|b;c|d;" (NULL for NULL), or "error: ..." */
static const char *all(const char *sql)
{
	static char out[512];
	size_t o = 0;
	sqlite3_stmt *st;
	int rc;
	out[0] = 0;
	if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK)
		return snprintf(out, sizeof out, "error: %s", sqlite3_errmsg(db)), out;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW)
		for (int i = 0; i < sqlite3_column_count(st); i++)
			o += (size_t)snprintf(out + o, sizeof out - o, "%s%s",
					      sqlite3_column_type(st, i) == SQLITE_NULL
						      ? "NULL"
						      : (const char *)sqlite3_column_text(st, i),
					      i + 1 < sqlite3_column_count(st) ? "|" : ";");
	if (rc != SQLITE_DONE)
		snprintf(out, sizeof out, "error: %s", sqlite3_errmsg(db));
	sqlite3_finalize(st);
	return out;
}

static void put(mur_buf *b, mur_value v) { mur_row_put_value(b, &v); }

static void test_rows_and_classes(void **state)
{
	mur_buf b;
	mur_error err;
	(void)state;
	mur_buf_init(&b);
	put(&b, mur_v_int(2)), put(&b, mur_v_text("10.50", 5)), put(&b, mur_v_null());
	put(&b, mur_v_int(1)), put(&b, mur_v_text("b", 1)), put(&b, mur_v_float(2.5));
	put(&b, mur_v_int(3)), put(&b, mur_v_blob("\x01", 1)), put(&b, mur_v_int(7));
	assert_int_equal(stor_rowtab_create(db, "r", b.data, b.len, 3, 3, &err), MUR_OK);
	assert_string_equal(all("SELECT c0, typeof(c1), c1, typeof(c2), c2 FROM r ORDER BY c0"),
			    "1|text|b|real|2.5;2|text|10.50|null|NULL;3|blob|\x01|integer|7;");
	/* '10.50' stays text (no affinity); two scans at once */
	assert_string_equal(all("SELECT count(*) FROM r a, r b WHERE a.c0 <= b.c0"), "6;");
	assert_string_equal(all("SELECT sum(c0) FROM r WHERE c1 = '10.50'"), "2;");
	/* made again over other rows: the old ones are gone */
	assert_int_equal(stor_rowtab_create(db, "r", b.data, 0, 0, 3, &err), MUR_OK);
	assert_string_equal(all("SELECT count(*), max(c2) FROM r"), "0|NULL;");
	assert_int_equal(stor_rowtab_create(db, "r", "", 0, 0, 0, &err), MUR_OK);
	assert_string_equal(all("SELECT count(*) FROM r"), "0;");
	sqlite3_exec(db, "DROP TABLE r", NULL, NULL, NULL);
	mur_buf_free(&b);
}

static void test_malformed_and_refused(void **state)
{
	mur_buf b;
	mur_error err;
	(void)state;
	mur_buf_init(&b);
	put(&b, mur_v_int(1));
	put(&b, mur_v_text("abc", 3));
	/* two rows announced, the second cut short */
	assert_int_equal(stor_rowtab_create(db, "r", b.data, b.len - 2, 2, 1, &err), MUR_OK);
	assert_non_null(strstr(all("SELECT c0 FROM r"), "error: malformed rows"));
	sqlite3_exec(db, "DROP TABLE r", NULL, NULL, NULL);
	assert_non_null(strstr(all("CREATE VIRTUAL TABLE x USING mur_rows"),
			       "error: mur_rows: a table of murphy's own rows only"));
	mur_buf_free(&b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rows_and_classes),
		cmocka_unit_test(test_malformed_and_refused),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
