/*
 * test_sql_approx.c — approx_count_distinct through the SQL front end:
 * analysis (type, errors), the plan (partial HLL on the shards, HLL_COUNT
 * on the leader; router plans emit mur_approx_count_distinct), and the
 * SQLite aggregate giving exactly the hash aggregate's estimate.
 */
#include "test_sql_common.h"

#include "ops/hashagg.h"
#include "ops/hll.h"

static void test_plan_scatter(void **state)
{
	plan *p = P("SELECT kind, approx_count_distinct(user_id), count(*) FROM events "
		    "GROUP BY kind HAVING approx_count_distinct(user_id) > 2");
	plan_select *s = &p->u.select;
	assert_int_equal(p->out[1].type, MT_INT8);
	assert_string_equal(p->out[1].name, "approx_count_distinct");
	assert_int_equal(s->partial_agg.ngroup, 1);
	assert_int_equal(s->partial_agg.naggs, 2);
	assert_int_equal(s->partial_agg.aggs[0].fn, EXEC_AGG_HLL);
	assert_int_equal(s->partial_agg.aggs[0].col, 1);
	assert_int_equal(s->final_agg.aggs[0].fn, EXEC_AGG_HLL_COUNT);
	assert_int_equal(s->final_agg.aggs[0].col, 1);
	assert_int_equal(s->final_agg.aggs[1].fn, EXEC_AGG_SUM_COUNT);
	assert_string_equal(s->shard_sql, "SELECT \"events\".\"kind\", \"events\".\"user_id\" FROM "
					  "main.\"events\" AS \"events\"");
	assert_string_equal(s->final_sql, "SELECT c0, c1, c2 FROM r WHERE (c1 > 2)");
	plan_free(p);
	/* with count(DISTINCT) on the distribution column: still one plan */
	p = P("SELECT approx_count_distinct(kind), count(DISTINCT id) FROM events");
	assert_int_equal(p->u.select.partial_agg.aggs[0].fn, EXEC_AGG_HLL);
	assert_int_equal(p->u.select.partial_agg.aggs[1].fn, EXEC_AGG_COUNT_DISTINCT);
	plan_free(p);
}

static void test_plan_router(void **state)
{
	plan *p = P("SELECT approx_count_distinct(kind) FROM events WHERE id = 5");
	assert_true(p->u.select.router);
	assert_non_null(
		strstr(p->u.select.shard_sql, "mur_approx_count_distinct(\"events\".\"kind\")"));
	plan_free(p);
}

static void test_errors(void **state)
{
	mur_error err = E("SELECT approx_count_distinct(DISTINCT kind) FROM events", "0A000");
	assert_non_null(strstr(err.hint, "drop DISTINCT"));
	E("SELECT approx_count_distinct(kind ORDER BY kind) FROM events", "0A000");
	E("SELECT approx_count_distinct(kind) OVER () FROM events", "0A000");
	E("SELECT approx_count_distinct() FROM events", "42883");
	E("SELECT approx_count_distinct(kind, id) FROM events", "42883");
	E("SELECT id FROM events WHERE approx_count_distinct(kind) > 1", "42803");
}

/* The SQLite aggregate (router and leader plans) and the hash aggregate's
 * HLL → HLL_COUNT (scatter-gather) agree on the same values, across
 * storage classes and NULLs. */
static void test_sqlite_matches_hashagg(void **state)
{
	sqlite3 *db = shard_open();
	shard_exec(db, "CREATE TABLE t (x)");
	shard_exec(db,
		   "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 5000) "
		   "INSERT INTO t SELECT CASE i % 4 WHEN 0 THEN i WHEN 1 THEN i * 1.0 "
		   "WHEN 2 THEN 'v' || i ELSE NULL END FROM n");
	shard_exec(db, "INSERT INTO t VALUES (1.5), (X'00ff'), ('')");
	exec_agg_spec ps = {.ngroup = 0, .naggs = 1}, cs = ps;
	ps.aggs[0] = (exec_agg){EXEC_AGG_HLL, 0};
	cs.aggs[0] = (exec_agg){EXEC_AGG_HLL_COUNT, 0};
	exec_hashagg *part = exec_hashagg_create(&ps, 1), *fin = exec_hashagg_create(&cs, 1);
	sqlite3_stmt *st;
	assert_int_equal(sqlite3_prepare_v2(db, "SELECT x FROM t", -1, &st, NULL), SQLITE_OK);
	while (sqlite3_step(st) == SQLITE_ROW) {
		sqlite3_value *sv = sqlite3_column_value(st, 0);
		mur_value v = mur_v_null();
		switch (sqlite3_value_type(sv)) {
		case SQLITE_INTEGER:
			v = mur_v_int(sqlite3_value_int64(sv));
			break;
		case SQLITE_FLOAT:
			v = mur_v_float(sqlite3_value_double(sv));
			break;
		case SQLITE_TEXT:
			v = mur_v_text((const char *)sqlite3_value_text(sv),
				       (size_t)sqlite3_value_bytes(sv));
			break;
		case SQLITE_BLOB:
			v = mur_v_blob(sqlite3_value_blob(sv), (size_t)sqlite3_value_bytes(sv));
			break;
		}
		assert_int_equal(exec_hashagg_add_row(part, &v), MUR_OK);
	}
	sqlite3_finalize(st);
	mur_buf sketches, counts;
	uint64_t n;
	mur_buf_init(&sketches);
	mur_buf_init(&counts);
	assert_int_equal(exec_hashagg_finish(part, &sketches, &n), MUR_OK);
	assert_int_equal(exec_hashagg_add_rows(fin, sketches.data, sketches.len, n), MUR_OK);
	assert_int_equal(exec_hashagg_finish(fin, &counts, &n), MUR_OK);
	mur_rd r;
	mur_value c;
	mur_rd_init(&r, counts.data, counts.len);
	assert_int_equal(mur_row_get_value(&r, &c), MUR_OK);
	char want[32];
	snprintf(want, sizeof want, "%lld", (long long)c.i);
	assert_string_equal(shard_query(db, "SELECT mur_approx_count_distinct(x) FROM t"), want);
	/* 1250 ints, 1250 integral floats (other integers), 1250 texts, 3 more */
	assert_true(c.i > 3753 * 0.975 && c.i < 3753 * 1.025);
	/* empty input and NULL-only input: 0 */
	assert_string_equal(shard_query(db, "SELECT mur_approx_count_distinct(x) FROM t WHERE 0"),
			    "0");
	assert_string_equal(shard_query(db, "SELECT mur_approx_count_distinct(NULL) FROM t"), "0");
	assert_string_equal(shard_query(db, "SELECT mur_approx_count_distinct(column1) FROM "
					    "(VALUES (1), (1.0), (2), (2.0), ('a'), (NULL), "
					    "(-0.0), (0))"),
			    "4");
	mur_buf_free(&sketches);
	mur_buf_free(&counts);
	exec_hashagg_destroy(part);
	exec_hashagg_destroy(fin);
	sqlite3_close(db);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_plan_scatter),
		cmocka_unit_test(test_plan_router),
		cmocka_unit_test(test_errors),
		cmocka_unit_test(test_sqlite_matches_hashagg),
	};
	return cmocka_run_group_tests(tests, setup_catalog, teardown_catalog);
}
