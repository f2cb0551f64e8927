/*
 * test_catalog_seq.c — sequences (catalog_seq.c): values in blocks, no
 * value handed out twice across a reopen (the block's end is durable),
 * setval kept across a reopen, CYCLE, the limits and PostgreSQL's errors,
 * a session's currval / lastval, and a table's owned sequences created
 * and dropped with it.
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

static cat_sequence seq_def(const char *name, int64_t inc, int64_t min, int64_t max)
{
	cat_sequence d;
	memset(&d, 0, sizeof d);
	snprintf(d.name, sizeof d.name, "%s", name);
	d.type = MT_INT8;
	d.increment = inc;
	d.min_value = min;
	d.max_value = max;
	d.start = inc > 0 ? min : max;
	d.cache = 1;
	return d;
}

static int64_t next(catalog *c, cat_seq_session *ss, const char *name)
{
	mur_error err;
	int64_t v = -1;
	assert_int_equal(cat_seq_nextval(c, ss, name, &v, &err), MUR_OK);
	return v;
}

static void test_reopen_never_reuses(void **state)
{
	char dir[] = "/tmp/murphy_seq_XXXXXX", path[256];
	cat_seq_session ss = {0};
	mur_error err;
	int64_t last = 0;
	(void)state;
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof path, "%s/catalog.db", dir);
	catalog *c = cat_open(path, &err);
	cat_sequence d = seq_def("s", 1, 1, INT64_MAX);
	assert_int_equal(cat_seq_create(c, &d, &err), MUR_OK);
	for (int i = 1; i <= CAT_SEQ_BLOCK + 5; i++)
		assert_int_equal((last = next(c, &ss, "s")), i);
	cat_close(c); /* as a kill -9: the store has only the reserved blocks */
	c = cat_open(path, &err);
	assert_non_null(c);
	assert_int_equal(next(c, &ss, "s"), 2 * CAT_SEQ_BLOCK + 1); /* a gap, no reuse */
	assert_true(2 * CAT_SEQ_BLOCK + 1 > last);
	assert_int_equal(cat_seq_setval(c, &ss, "s", 10, 1, &err), MUR_OK);
	cat_close(c);
	c = cat_open(path, &err);
	assert_int_equal(next(c, &ss, "s"), 11); /* setval is durable by itself */
	cat_close(c);
	cat_seq_session_free(&ss);
	unlink(path);
	rmdir(dir);
}

static void test_limits_cycle_and_errors(void **state)
{
	cat_seq_session ss = {0}, other = {0};
	mur_error err;
	int64_t v;
	(void)state;
	catalog *c = cat_open(NULL, &err);
	cat_sequence d = seq_def("down", -2, -5, 0);
	d.cycle = 1;
	assert_int_equal(cat_seq_create(c, &d, &err), MUR_OK);
	int64_t want[] = {0, -2, -4, 0, -2};
	for (size_t i = 0; i < sizeof want / sizeof want[0]; i++)
		assert_int_equal(next(c, &ss, "down"), want[i]);
	d = seq_def("up", 1, 1, 2);
	assert_int_equal(cat_seq_create(c, &d, &err), MUR_OK);
	next(c, &ss, "up");
	next(c, &ss, "up");
	assert_int_equal(cat_seq_nextval(c, &ss, "up", &v, &err), MUR_ERR);
	assert_string_equal(err.sqlstate, "2200H");
	assert_int_equal(cat_seq_currval(c, &other, "up", &v, &err), MUR_ERR);
	assert_string_equal(err.sqlstate, "55000");
	assert_int_equal(cat_seq_lastval(c, &other, &v, &err), MUR_ERR);
	assert_string_equal(err.sqlstate, "55000");
	assert_int_equal(cat_seq_currval(c, &ss, "PUBLIC.up", &v, &err), MUR_OK);
	assert_int_equal(v, 2);
	assert_int_equal(cat_seq_lastval(c, &ss, &v, &err), MUR_OK);
	assert_int_equal(v, 2);
	assert_int_equal(cat_seq_setval(c, &ss, "up", 3, 1, &err), MUR_ERR);
	assert_string_equal(err.sqlstate, "22003");
	assert_int_equal(cat_seq_nextval(c, &ss, "nosuch", &v, &err), MUR_ERR);
	assert_string_equal(err.sqlstate, "42P01");
	assert_int_equal(cat_seq_create(c, &d, &err), MUR_ERR);
	assert_string_equal(err.sqlstate, "42P07");
	d = seq_def("bad", 0, 1, 2);
	assert_int_equal(cat_seq_create(c, &d, &err), MUR_ERR);
	assert_string_equal(err.sqlstate, "22023");
	d = seq_def("bad", 1, 5, 2);
	assert_int_equal(cat_seq_create(c, &d, &err), MUR_ERR);
	assert_string_equal(err.sqlstate, "22023");
	assert_int_equal(cat_seq_drop(c, "up", &err), MUR_OK);
	assert_int_equal(cat_seq_lastval(c, &ss, &v, &err), MUR_ERR); /* its sequence is gone */
	cat_seq_session_free(&ss);
	cat_close(c);
}

static void test_owned_sequence_goes_with_its_table(void **state)
{
	cat_seq_session ss = {0};
	mur_error err;
	const cat_table *t;
	cat_table def;
	(void)state;
	catalog *c = cat_open(NULL, &err);
	assert_int_equal(cat_upsert_node(c, "f1", "127.0.0.1:1", CAT_NODE_FOLLOWER, NULL, &err), 0);
	cat_sequence owned = seq_def("t_id_seq", 1, 1, INT32_MAX);
	owned.type = MT_INT4;
	memset(&def, 0, sizeof def);
	snprintf(def.name, sizeof def.name, "t");
	def.ncols = 1;
	snprintf(def.cols[0].name, sizeof def.cols[0].name, "id");
	def.cols[0].type = MT_INT4;
	def.new_seqs = &owned;
	def.nnew_seqs = 1;
	assert_int_equal(cat_create_table(c, &def, &t, &err), MUR_OK);
	assert_null(t->new_seqs);
	assert_non_null(cat_seq_lookup(c, "t_id_seq"));
	assert_int_equal(cat_seq_lookup(c, "t_id_seq")->owner_table, t->id);
	assert_int_equal(next(c, &ss, "t_id_seq"), 1);
	assert_int_equal(cat_seq_drop(c, "t_id_seq", &err), MUR_ERR);
	assert_string_equal(err.sqlstate, "2BP01");
	assert_int_equal(cat_drop_table(c, "t", &err), MUR_OK);
	assert_null(cat_seq_lookup(c, "t_id_seq"));
	cat_seq_session_free(&ss);
	cat_close(c);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_reopen_never_reuses),
		cmocka_unit_test(test_limits_cycle_and_errors),
		cmocka_unit_test(test_owned_sequence_goes_with_its_table),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
