/*
 * test_sql_stats.c — ANALYZE in the SQL front end: the plan (tables,
 * columns, the shard SQL, run here on a one-shard SQLite) and its errors;
 * the hash columns a repartition notes for the cost estimate
 * (shuffle_cols).
 */
#include "test_sql_common.h"

static int setup(void **state)
{
	static cat_table t;
	setup_catalog(state);
	memset(&t, 0, sizeof t); /* no key: a hidden row id distributes it */
	tcol(&t, "a", MT_INT4, 0);
	tcol(&t, "b", MT_TEXT, 0);
	tcol(&t, CAT_HIDDEN_ROWID, MT_INT8, 0);
	t.cols[2].hidden = 1;
	tcreate(&t, "nokey", 2, 2);
	return 0;
}

static void test_analyze_all(void **state)
{
	plan *p = P("ANALYZE");
	const plan_analyze *pa = &p->u.analyze;
	assert_int_equal(p->kind, PLAN_ANALYZE);
	assert_string_equal(p->tag, "ANALYZE");
	assert_int_equal(p->nout, 0);
	assert_int_equal(pa->ntables, 5); /* events, users, orders, other, nokey: no murphy.* */
	assert_string_equal(pa->tables[3].table->name, "other");
	assert_int_equal(pa->tables[3].table_id, pa->tables[3].table->id);
	assert_int_equal(pa->tables[3].ncols, 2);
	assert_string_equal(pa->tables[3].shard_sql,
			    "SELECT count(*), mur_approx_count_distinct(\"id\"), "
			    "mur_approx_count_distinct(\"x\") FROM main.\"other\"");
	/* the hidden row id is not measured */
	assert_int_equal(pa->tables[4].ncols, 2);
	assert_null(strstr(pa->tables[4].shard_sql, CAT_HIDDEN_ROWID));
	plan_free(p);
}

static void test_analyze_named(void **state)
{
	plan *p = P("ANALYZE VERBOSE users (state), other");
	const plan_analyze *pa = &p->u.analyze;
	assert_int_equal(pa->ntables, 2);
	assert_string_equal(pa->tables[0].table->name, "users");
	assert_int_equal(pa->tables[0].ncols, 1);
	assert_int_equal(pa->tables[0].cols[0], 1);
	assert_string_equal(pa->tables[0].shard_sql,
			    "SELECT count(*), mur_approx_count_distinct(\"state\") FROM main.\"users\"");
	assert_int_equal(pa->tables[1].ncols, 2);
	plan_free(p);
	p = P("ANALYZE (VERBOSE, SKIP_LOCKED) public.users");
	assert_int_equal(p->u.analyze.ntables, 1);
	plan_free(p);
}

static void test_analyze_errors(void **state)
{
	mur_error err = E("ANALYZE nope", "42P01");
	assert_non_null(strstr(err.message, "\"nope\""));
	assert_int_equal(err.position, 9);
	err = E("ANALYZE users (state, nope)", "42703");
	assert_string_equal(err.message, "column \"nope\" of relation \"users\" does not exist");
	err = E("VACUUM", "0A000");
	assert_string_equal(err.message, "murphy does not support VACUUM");
	E("VACUUM ANALYZE users", "0A000");
	E("ANALYZE murphy.nodes", "0A000");
	err = E("ANALYZE (BUFFER_USAGE_LIMIT 100) users", "0A000");
	assert_string_equal(err.message, "murphy does not support ANALYZE option \"buffer_usage_limit\"");
}

/* The shard SQL on a one-shard SQLite: one row, count(*) then the
 * estimates (exact for small sets; NULLs not counted). */
static void test_analyze_shard_sql(void **state)
{
	sqlite3 *db = shard_open();
	plan *p = P("ANALYZE users");
	shard_exec(db, "CREATE TABLE users (id, state, name)");
	shard_exec(db, "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 500) "
		       "INSERT INTO users SELECT i, 's' || (i % 7), CASE WHEN i % 2 THEN NULL "
		       "ELSE 'n' || (i % 40) END FROM n");
	assert_string_equal(shard_query(db, p->u.analyze.tables[0].shard_sql), "500|500|7|20");
	shard_exec(db, "DELETE FROM users");
	assert_string_equal(shard_query(db, p->u.analyze.tables[0].shard_sql), "0|0|0|0");
	plan_free(p);
	sqlite3_close(db);
}

/* Repartition hash columns that are columns of the driver are named for
 * the cost estimate; expressions are -1. */
static void test_shuffle_cols(void **state)
{
	plan *p = P("SELECT kind, count(*) FROM events GROUP BY kind");
	assert_int_equal(p->u.select.shuffle_hash_cols, 1);
	assert_int_equal(p->u.select.shuffle_cols[0], 2);
	plan_free(p);
	p = P("SELECT kind, count(DISTINCT user_id) FROM events GROUP BY kind");
	assert_int_equal(p->u.select.shuffle_hash_cols, 2);
	assert_int_equal(p->u.select.shuffle_cols[0], 2);
	assert_int_equal(p->u.select.shuffle_cols[1], 1);
	plan_free(p);
	p = P("SELECT DISTINCT lower(kind), user_id FROM events");
	assert_int_equal(p->u.select.shuffle_hash_cols, 2);
	assert_int_equal(p->u.select.shuffle_cols[0], -1);
	assert_int_equal(p->u.select.shuffle_cols[1], 1);
	plan_free(p);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_analyze_all),
		cmocka_unit_test(test_analyze_named),
		cmocka_unit_test(test_analyze_errors),
		cmocka_unit_test(test_analyze_shard_sql),
		cmocka_unit_test(test_shuffle_cols),
	};
	return cmocka_run_group_tests(tests, setup, teardown_catalog);
}
