/*
 * test_catalog_comment.c — comments (catalog_comment.c): set, replaced,
 * dropped by NULL or '', kept across a reopen, forgotten with their table
 * (memory and store), refused for a missing object, column comments
 * renamed and dropped with ALTER TABLE's columns, and a store row whose
 * object is gone dropped at open.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "catalog/catalog.h"

#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const cat_table *make_table(catalog *c, const char *name)
{
	cat_table *def = calloc(1, sizeof *def);
	const cat_table *t = NULL;
	mur_error err;
	snprintf(def->name, sizeof def->name, "%s", name);
	snprintf(def->schema, sizeof def->schema, "public");
	def->ncols = 2;
	snprintf(def->cols[0].name, sizeof def->cols[0].name, "id");
	def->cols[0].type = MT_INT4;
	snprintf(def->cols[1].name, sizeof def->cols[1].name, "note");
	def->cols[1].type = MT_TEXT;
	assert_int_equal(cat_create_table(c, def, &t, &err), MUR_OK);
	free(def);
	return t;
}

static int set(catalog *c, uint32_t id, const char *col, const char *text)
{
	cat_comment cm = {.kind = CAT_COMMENT_RELATION, .id = id, .text = text};
	mur_error err;
	snprintf(cm.col, sizeof cm.col, "%s", col);
	return cat_comment_set(c, &cm, &err);
}

static int64_t store_rows(const char *path)
{
	sqlite3 *db;
	sqlite3_stmt *st;
	int64_t n = -1;
	assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
	if (sqlite3_prepare_v2(db, "SELECT count(*) FROM comments", -1, &st, NULL) == SQLITE_OK &&
	    sqlite3_step(st) == SQLITE_ROW)
		n = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	sqlite3_close(db);
	return n;
}

static void test_set_reopen_drop(void **state)
{
	char dir[] = "/tmp/murphy_comment_XXXXXX", path[256];
	mur_error err;
	(void)state;
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof path, "%s/catalog.db", dir);
	catalog *c = cat_open(path, &err);
	uint32_t id = make_table(c, "t")->id;
	assert_int_equal(set(c, id, "", "first"), MUR_OK);
	assert_int_equal(set(c, id, "", "second"), MUR_OK);
	assert_int_equal(set(c, id, "note", "a column"), MUR_OK);
	assert_int_not_equal(set(c, id, "missing", "x"), MUR_OK);
	assert_int_not_equal(set(c, id + 1000, "", "x"), MUR_OK);
	assert_int_equal(cat_comment_count(c), 2);
	cat_close(c);
	c = cat_open(path, &err);
	assert_non_null(c);
	assert_string_equal(cat_comment_get(c, CAT_COMMENT_RELATION, id, ""), "second");
	assert_string_equal(cat_comment_get(c, CAT_COMMENT_RELATION, id, "note"), "a column");
	assert_int_equal(set(c, id, "note", ""), MUR_OK); /* '' drops, as NULL */
	assert_null(cat_comment_get(c, CAT_COMMENT_RELATION, id, "note"));
	assert_int_equal(cat_drop_table(c, "t", &err), MUR_OK);
	assert_int_equal(cat_comment_count(c), 0);
	cat_close(c);
	assert_int_equal(store_rows(path), 0);
	unlink(path);
	rmdir(dir);
}

static void test_stale_row_dropped_at_open(void **state)
{
	char dir[] = "/tmp/murphy_comment_XXXXXX", path[256];
	mur_error err;
	sqlite3 *db;
	(void)state;
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof path, "%s/catalog.db", dir);
	catalog *c = cat_open(path, &err);
	uint32_t id = make_table(c, "t")->id;
	assert_int_equal(set(c, id, "", "kept"), MUR_OK);
	cat_close(c);
	/* a crash between a table's delete and its comments' leaves this */
	assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
	assert_int_equal(sqlite3_exec(db, "INSERT INTO comments VALUES ('r', 999, '', 'stale')",
				      NULL, NULL, NULL),
			 SQLITE_OK);
	sqlite3_close(db);
	assert_int_equal(store_rows(path), 2);
	c = cat_open(path, &err);
	assert_non_null(c);
	assert_int_equal(cat_comment_count(c), 1);
	assert_null(cat_comment_get(c, CAT_COMMENT_RELATION, 999, ""));
	cat_close(c);
	assert_int_equal(store_rows(path), 1);
	unlink(path);
	rmdir(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_set_reopen_drop),
		cmocka_unit_test(test_stale_row_dropped_at_open),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
