/*
 * test_sql_stats.c — ANALYZE and murphy.count_distinct in the SQL front
 * end: the ANALYZE plan (tables, columns, the shard SQL, run here on a
 * one-shard SQLite), its errors; count(DISTINCT) planned as
 * approx_count_distinct under sql_options, exact without; the hash
 * columns a repartition notes for the cost estimate (shuffle_cols).
 */
#include "test_sql_common.h"

#include "ops/hashagg.h"

/* Plan sql with murphy.count_distinct = 'approximate'. */
static plan *PA(const char *sql)
{
	sql_options o = {.count_distinct_approx = 1};
	plan *p = NULL;
	mur_error err;
	int rc = sql_prepare_opts(tcat, sql, &o, 0, NULL, &p, &err);
	if (rc != MUR_OK)
		print_error("unexpected error for %s: %s %s\n", sql, err.sqlstate, err.message);
	assert_int_equal(rc, MUR_OK);
	return p;
}

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
			    "SELECT count(*), mur_approx_count_distinct(\"state\") FROM "
			    "main.\"users\"");
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
	E("ANALYZE murphy.nodes", "0A000");
	err = E("ANALYZE (BUFFER_USAGE_LIMIT 100) users", "0A000");
	assert_string_equal(err.message,
			    "murphy does not support ANALYZE option \"buffer_usage_limit\"");
}

/* VACUUM: nothing to reclaim in a SQLite file (a no-op on tables that
 * exist); VACUUM ANALYZE is ANALYZE; the options murphy cannot honour are
 * 0A000 naming them. */
static void test_vacuum(void **state)
{
	mur_error err;
	plan *p = P("VACUUM");
	assert_int_equal(p->kind, PLAN_NOOP);
	assert_string_equal(p->tag, "VACUUM");
	plan_free(p);
	p = P("VACUUM users, other");
	assert_int_equal(p->kind, PLAN_NOOP);
	plan_free(p);
	p = P("VACUUM ANALYZE users");
	assert_int_equal(p->kind, PLAN_ANALYZE);
	assert_string_equal(p->tag, "VACUUM");
	assert_int_equal(p->u.analyze.ntables, 1);
	assert_string_equal(p->u.analyze.tables[0].table->name, "users");
	plan_free(p);
	p = P("VACUUM (ANALYZE, VERBOSE) users (state)");
	assert_int_equal(p->kind, PLAN_ANALYZE);
	assert_int_equal(p->u.analyze.tables[0].ncols, 1);
	plan_free(p);
	E("VACUUM nope", "42P01");
	E("VACUUM murphy.nodes", "0A000");
	err = E("VACUUM FULL users", "0A000");
	assert_string_equal(err.message, "murphy does not support VACUUM option \"full\"");
	err = E("VACUUM (FREEZE) users", "0A000");
	assert_string_equal(err.message, "murphy does not support VACUUM option \"freeze\"");
	E("VACUUM (INDEX_CLEANUP off) users", "0A000");
}

/* The shard SQL on a one-shard SQLite: one row, count(*) then the
 * estimates (exact for small sets; NULLs not counted). */
static void test_analyze_shard_sql(void **state)
{
	sqlite3 *db = shard_open();
	plan *p = P("ANALYZE users");
	shard_exec(db, "CREATE TABLE users (id, state, name)");
	shard_exec(db,
		   "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 500) "
		   "INSERT INTO users SELECT i, 's' || (i % 7), CASE WHEN i % 2 THEN NULL "
		   "ELSE 'n' || (i % 40) END FROM n");
	assert_string_equal(shard_query(db, p->u.analyze.tables[0].shard_sql), "500|500|7|20");
	shard_exec(db, "DELETE FROM users");
	assert_string_equal(shard_query(db, p->u.analyze.tables[0].shard_sql), "0|0|0|0");
	plan_free(p);
	sqlite3_close(db);
}

static void test_count_distinct_approximate(void **state)
{
	plan *p = PA("SELECT count(DISTINCT user_id) FROM events");
	plan_select *s = &p->u.select;
	assert_string_equal(p->out[0].name, "count");
	assert_int_equal(p->out[0].type, MT_INT8);
	assert_string_equal(s->strategy, "approximate count distinct");
	assert_int_equal(s->partial_agg.ngroup, 0);
	assert_int_equal(s->partial_agg.naggs, 1);
	assert_int_equal(s->partial_agg.aggs[0].fn, EXEC_AGG_HLL);
	assert_int_equal(s->final_agg.aggs[0].fn, EXEC_AGG_HLL_COUNT);
	assert_int_equal(s->shuffle_hash_cols, 0); /* nothing to repartition */
	plan_free(p);

	/* exact without the option: gather distinct */
	p = P("SELECT count(DISTINCT user_id) FROM events");
	assert_string_equal(p->u.select.strategy, "gather distinct");
	plan_free(p);

	/* GROUP BY, HAVING, ORDER BY, expressions and other aggregates */
	p = PA("SELECT kind, count(DISTINCT user_id) + 1, count(*) FROM events GROUP BY kind "
	       "HAVING count(DISTINCT user_id) > 2 ORDER BY count(DISTINCT user_id) DESC");
	s = &p->u.select;
	assert_string_equal(s->strategy, "approximate count distinct");
	assert_int_equal(s->partial_agg.ngroup, 1);
	assert_int_equal(s->partial_agg.aggs[0].fn, EXEC_AGG_HLL);
	assert_int_equal(s->partial_agg.aggs[1].fn, EXEC_AGG_COUNT_STAR);
	assert_string_equal(s->final_sql,
			    "SELECT c0, mur_int_chk((c1 + 1), 64), c2 FROM r WHERE (c1 > 2) "
			    "ORDER BY c1 DESC NULLS FIRST");
	assert_int_equal(s->shuffle_hash_cols, 1); /* groups can still repartition */
	assert_int_equal(s->owner_agg.aggs[0].fn, EXEC_AGG_HLL_COUNT);
	plan_free(p);

	/* the distribution column too (co-located and exact by default) */
	p = P("SELECT count(DISTINCT id) FROM events");
	assert_string_equal(p->u.select.strategy, "co-located distinct");
	assert_int_equal(p->u.select.partial_agg.aggs[0].fn, EXEC_AGG_COUNT_DISTINCT);
	plan_free(p);
	p = PA("SELECT count(DISTINCT id) FROM events");
	assert_string_equal(p->u.select.strategy, "approximate count distinct");
	assert_int_equal(p->u.select.partial_agg.aggs[0].fn, EXEC_AGG_HLL);
	plan_free(p);
}

static void test_count_distinct_router_and_leader(void **state)
{
	plan *p = PA("SELECT count(DISTINCT kind) FROM events WHERE id = 5");
	assert_true(p->u.select.router);
	assert_string_equal(p->u.select.strategy, "router");
	assert_non_null(
		strstr(p->u.select.shard_sql, "mur_approx_count_distinct(\"events\".\"kind\")"));
	assert_null(strstr(p->u.select.shard_sql, "DISTINCT"));
	plan_free(p);
	/* murphy.* views are no distributed table: exact */
	p = PA("SELECT count(DISTINCT state) FROM murphy.nodes");
	assert_int_equal(p->kind, PLAN_LEADER_SELECT);
	assert_non_null(strstr(p->leader_sql, "count(DISTINCT"));
	plan_free(p);
	/* EXPLAIN's inner plan and INSERT ... SELECT's source follow the option */
	p = PA("EXPLAIN SELECT count(DISTINCT user_id) FROM events");
	assert_string_equal(p->u.explain.inner->u.select.strategy, "approximate count distinct");
	plan_free(p);
	p = PA("INSERT INTO other (id, x) SELECT count(DISTINCT user_id), 1 FROM events");
	assert_int_equal(p->u.insert.source->u.select.partial_agg.aggs[0].fn, EXEC_AGG_HLL);
	plan_free(p);
}

static void test_options_differ(void **state)
{
	sql_options a = {0}, b = {0};
	assert_false(sql_options_differ(&a, &b));
	b.count_distinct_approx = 1;
	assert_true(sql_options_differ(&a, &b));
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
		cmocka_unit_test(test_vacuum),
		cmocka_unit_test(test_analyze_shard_sql),
		cmocka_unit_test(test_count_distinct_approximate),
		cmocka_unit_test(test_count_distinct_router_and_leader),
		cmocka_unit_test(test_options_differ),
		cmocka_unit_test(test_shuffle_cols),
	};
	return cmocka_run_group_tests(tests, setup, teardown_catalog);
}
