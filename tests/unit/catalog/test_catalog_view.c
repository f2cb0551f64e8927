/*
 * test_catalog_view.c — views (catalog_view.c): kept across a reopen
 * (text, columns, dependencies, ids going on), OR REPLACE's checks, the
 * names they share with tables, and dependencies: DROP of what a view
 * reads refused without CASCADE, a view chain dropped with its table.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "catalog/catalog.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static cat_view_column cols2[2] = {{"a", MT_INT4, -1}, {"b", MT_TEXT, -1}};

static cat_view view_def(const char *name, const char *sql, int ncols, uint32_t dep)
{
	cat_view v;
	memset(&v, 0, sizeof v);
	snprintf(v.name, sizeof v.name, "%s", name);
	snprintf(v.schema, sizeof v.schema, "public");
	v.sql = (char *)sql;
	v.ncols = ncols;
	v.cols = cols2;
	if (dep) {
		v.ndeps = 1;
		v.deps[0] = dep;
	}
	return v;
}

static const cat_table *make_table(catalog *c, const char *name)
{
	cat_table *def = calloc(1, sizeof *def);
	const cat_table *t = NULL;
	mur_error err;
	snprintf(def->name, sizeof def->name, "%s", name);
	snprintf(def->schema, sizeof def->schema, "public");
	def->ncols = 1;
	snprintf(def->cols[0].name, sizeof def->cols[0].name, "id");
	def->cols[0].type = MT_INT4;
	assert_int_equal(cat_create_table(c, def, &t, &err), MUR_OK);
	free(def);
	return t;
}

static void test_reopen_keeps_views(void **state)
{
	char dir[] = "/tmp/murphy_view_XXXXXX", path[256];
	mur_error err;
	(void)state;
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof path, "%s/catalog.db", dir);
	catalog *c = cat_open(path, &err);
	const cat_table *t = make_table(c, "t");
	uint32_t tid = t->id;
	cat_view d = view_def("v", "SELECT id AS a, 'x' AS b FROM t", 2, tid);
	assert_int_equal(cat_view_create(c, &d, 0, &err), MUR_OK);
	uint32_t vid = cat_view_lookup(c, NULL, "v")->id;
	assert_true(vid >= CAT_VIEW_ID_BASE);
	cat_close(c);
	c = cat_open(path, &err);
	assert_non_null(c);
	const cat_view *v = cat_view_lookup(c, NULL, "v");
	assert_non_null(v);
	assert_int_equal(v->id, vid);
	assert_string_equal(v->sql, "SELECT id AS a, 'x' AS b FROM t");
	assert_int_equal(v->ncols, 2);
	assert_string_equal(v->cols[1].name, "b");
	assert_int_equal(v->cols[1].type, MT_TEXT);
	assert_int_equal(v->ndeps, 1);
	assert_int_equal(v->deps[0], tid);
	cat_view w = view_def("w", "SELECT 1", 1, 0);
	assert_int_equal(cat_view_create(c, &w, 0, &err), MUR_OK);
	assert_int_equal(cat_view_lookup(c, NULL, "w")->id, vid + 1); /* ids go on */
	cat_close(c);
	unlink(path);
}

static void test_names_and_replace(void **state)
{
	mur_error err;
	(void)state;
	catalog *c = cat_open(NULL, &err);
	make_table(c, "t");
	cat_view d = view_def("t", "SELECT 1", 1, 0);
	assert_int_equal(cat_view_create(c, &d, 1, &err), MUR_ERR); /* a table's name */
	assert_string_equal(err.sqlstate, "42P07");
	d = view_def("v", "SELECT 1 AS a, 'x' AS b", 2, 0);
	assert_int_equal(cat_view_create(c, &d, 0, &err), MUR_OK);
	assert_int_equal(cat_view_create(c, &d, 0, &err), MUR_ERR);
	assert_string_equal(err.sqlstate, "42P07");
	uint64_t version = cat_version(c);
	assert_int_equal(cat_view_create(c, &d, 1, &err), MUR_OK);
	assert_true(cat_version(c) > version); /* prepared plans are planned again */
	d = view_def("v", "SELECT 1 AS a", 1, 0);
	assert_int_equal(cat_view_create(c, &d, 1, &err), MUR_ERR); /* a column dropped */
	assert_string_equal(err.sqlstate, "42P16");
	cat_table *tdef = calloc(1, sizeof *tdef);
	snprintf(tdef->name, sizeof tdef->name, "v");
	snprintf(tdef->schema, sizeof tdef->schema, "public");
	tdef->ncols = 1;
	snprintf(tdef->cols[0].name, sizeof tdef->cols[0].name, "id");
	tdef->cols[0].type = MT_INT4;
	assert_int_equal(cat_create_table(c, tdef, NULL, &err), MUR_ERR); /* a view's name */
	assert_string_equal(err.sqlstate, "42P07");
	free(tdef);
	cat_close(c);
}

static void test_dependencies(void **state)
{
	mur_error err;
	(void)state;
	catalog *c = cat_open(NULL, &err);
	uint32_t tid = make_table(c, "t")->id;
	cat_view v1 = view_def("v1", "SELECT id AS a FROM t", 1, tid);
	assert_int_equal(cat_view_create(c, &v1, 0, &err), MUR_OK);
	cat_view v2 = view_def("v2", "SELECT a FROM v1", 1, cat_view_lookup(c, NULL, "v1")->id);
	assert_int_equal(cat_view_create(c, &v2, 0, &err), MUR_OK);
	assert_int_equal(cat_view_check_dependents(c, tid, "table", "t", &err), MUR_ERR);
	assert_string_equal(err.sqlstate, "2BP01");
	assert_non_null(strstr(err.detail, "view v1 depends on table t"));
	assert_int_equal(cat_view_drop(c, NULL, "v1", 0, &err), MUR_ERR);
	assert_string_equal(err.sqlstate, "2BP01");
	assert_int_equal(cat_view_drop(c, NULL, "nosuch", 0, &err), MUR_ERR);
	assert_string_equal(err.sqlstate, "42P01");
	/* the table's drop takes v1 and, through it, v2 */
	assert_int_equal(cat_drop_table(c, "t", &err), MUR_OK);
	assert_int_equal(cat_view_count(c), 0);
	cat_close(c);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_reopen_keeps_views),
		cmocka_unit_test(test_names_and_replace),
		cmocka_unit_test(test_dependencies),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
