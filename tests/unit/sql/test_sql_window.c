/*
 * test_sql_window.c — window functions, DISTINCT ON and grouping sets
 * through the SQL front end: where the plan runs them (the shards when
 * every PARTITION BY holds the distribution column, else the leader), the
 * SQL it emits (NULL order, frames, named windows, avg as mur_avg of two
 * windows), the grouping-set expansion, and the leader's SQL run over rows
 * in a one-table SQLite as the leader would run it.
 */
#include "test_sql_common.h"

static int count_of(const char *s, const char *what)
{
	int n = 0;
	for (const char *p = s; (p = strstr(p, what)); p += strlen(what))
		n++;
	return n;
}

static void test_pushed_to_the_shards(void **state)
{
	plan *p = P("SELECT user_id, row_number() OVER (PARTITION BY user_id ORDER BY total DESC) "
		    "FROM orders");
	plan_select *s = &p->u.select;
	assert_int_equal(p->out[1].type, MT_INT8);
	assert_string_equal(p->out[1].name, "row_number");
	assert_string_equal(s->shard_sql,
			    "SELECT \"orders\".\"user_id\", row_number() OVER (PARTITION BY "
			    "\"orders\".\"user_id\" ORDER BY \"orders\".\"total\" DESC NULLS "
			    "FIRST) "
			    "FROM main.\"orders\" AS \"orders\"");
	assert_null(s->final_sql);
	assert_non_null(strstr(s->window_desc, "on the followers"));
	plan_free(p);
}

static void test_gathered_to_the_leader(void **state)
{
	plan *p = P("SELECT id, rank() OVER (PARTITION BY kind ORDER BY amount) FROM events "
		    "WHERE flag ORDER BY 2 LIMIT 3");
	plan_select *s = &p->u.select;
	assert_string_equal(s->shard_sql,
			    "SELECT \"events\".\"id\", \"events\".\"kind\", "
			    "\"events\".\"amount\" FROM main.\"events\" AS \"events\" "
			    "WHERE \"events\".\"flag\"");
	assert_string_equal(s->final_sql,
			    "SELECT c0, rank() OVER (PARTITION BY c1 ORDER BY c2 COLLATE "
			    "mur_numeric ASC "
			    "NULLS LAST) FROM r ORDER BY rank() OVER (PARTITION BY c1 "
			    "ORDER BY c2 COLLATE mur_numeric ASC NULLS LAST) ASC NULLS LAST LIMIT "
			    "3"); /* amount is numeric: by value */
	assert_non_null(strstr(s->window_desc, "on the leader"));
	plan_free(p);
	/* with GROUP BY: over the merged groups */
	p = P("SELECT kind, sum(sum(amount)) OVER (ORDER BY kind) FROM events GROUP BY kind");
	assert_true(p->u.select.has_final_agg);
	assert_string_equal(p->u.select.final_sql,
			    "SELECT c0, mur_num_wsum(c1) OVER (ORDER BY c0 ASC NULLS LAST) FROM r");
	/* amount is numeric: its exact window sum, storage/sqlfn_numeric.c */
	plan_free(p);
}

static void test_frames_and_named_windows(void **state)
{
	plan *p = P("SELECT sum(x) OVER (w ROWS BETWEEN 2 PRECEDING AND CURRENT ROW EXCLUDE TIES), "
		    "avg(x) OVER w, lag(x, -1, 0) OVER w FROM other WINDOW w AS (ORDER BY id)");
	const char *f = p->u.select.final_sql;
	assert_non_null(strstr(f, "sum(c0) OVER (ORDER BY c1 ASC NULLS LAST ROWS BETWEEN 2 "
				  "PRECEDING AND CURRENT ROW EXCLUDE TIES)"));
	assert_non_null(strstr(f, "mur_avg(sum(c0) OVER (ORDER BY c1 ASC NULLS LAST), count(c0) "
				  "OVER (ORDER BY c1 ASC NULLS LAST))"));
	assert_non_null(strstr(f, "lead(c0, 1, 0) OVER"));
	assert_int_equal(p->out[1].type, MT_NUMERIC);
	assert_int_equal(p->out[2].type, MT_INT4);
	plan_free(p);
	p = P("SELECT count(*) OVER (ORDER BY amount RANGE BETWEEN 1.5 PRECEDING AND UNBOUNDED "
	      "FOLLOWING) FROM events");
	assert_non_null(strstr(p->u.select.final_sql,
			       "RANGE BETWEEN 1.5 PRECEDING AND UNBOUNDED FOLLOWING"));
	plan_free(p);
}

static void test_errors(void **state)
{
	mur_error e = E("SELECT id FROM events WHERE rank() OVER () > 1", "42P20");
	assert_string_equal(e.message, "window functions are not allowed in WHERE");
	E("SELECT rank() OVER (w ORDER BY id) FROM events WINDOW w AS (ORDER BY kind)", "42P20");
	E("SELECT rank() OVER w FROM events", "42704");
	E("SELECT sum(x) OVER (ORDER BY id, x RANGE 1 PRECEDING) FROM other", "42P20");
	E("SELECT count(*) OVER (ORDER BY kind RANGE 1 PRECEDING) FROM events", "0A000");
	E("SELECT count(*) OVER (ORDER BY id ROWS BETWEEN NULL PRECEDING AND CURRENT ROW) FROM "
	  "events",
	  "22004");
	E("SELECT DISTINCT ON (kind) id FROM events ORDER BY id", "42P10");
	E("SELECT kind, sum(count(*)) OVER () FROM events GROUP BY ROLLUP (kind)", "0A000");
}

static void test_distinct_on(void **state)
{
	plan *p = P("SELECT DISTINCT ON (kind) kind, id FROM events ORDER BY kind, amount DESC "
		    "LIMIT 4");
	const char *f = p->u.select.final_sql;
	assert_int_equal(p->nout, 2);
	assert_true(
		!strncmp(f,
			 "WITH w(x0, x1, x2, x3) AS (SELECT c0, c1, c2, row_number() OVER "
			 "(PARTITION BY c0 ORDER BY c0 ASC NULLS LAST, c2 COLLATE mur_numeric DESC "
			 "NULLS FIRST) "
			 "FROM r)",
			 strlen("WITH w(x0, x1, x2, x3) AS (SELECT c0, c1, c2, row_number() OVER "
				"(PARTITION BY c0 ORDER BY c0 ASC NULLS LAST, c2 DESC NULLS "
				"FIRST) FROM r)")));
	assert_non_null(strstr(f, "SELECT x0, x1 FROM w WHERE x3 = 1 ORDER BY x0 ASC NULLS LAST, "
				  "x2 DESC NULLS FIRST LIMIT 4"));
	plan_free(p);
	/* the distribution column among the expressions: each shard keeps its first rows */
	p = P("SELECT DISTINCT ON (user_id) user_id, total FROM orders ORDER BY user_id, total");
	assert_non_null(strstr(p->u.select.shard_sql, ") SELECT x0, x1, x2 FROM w WHERE x2 = 1"));
	plan_free(p);
}

/* The leader's SQL over rows as the shards would send them. */
static void test_leader_sql_runs(void **state)
{
	sqlite3 *db = shard_open();
	plan *p = P("SELECT id, dense_rank() OVER (PARTITION BY kind ORDER BY amount DESC), "
		    "lag(id) OVER (PARTITION BY kind ORDER BY id) FROM events");
	shard_exec(db, "CREATE TABLE r(c0, c1, c2)");
	shard_exec(db,
		   "INSERT INTO r VALUES (1, 'a', 5), (2, 'a', NULL), (3, 'a', 5), (4, 'b', 1), "
		   "(5, NULL, 2), (6, NULL, 2)");
	char sql[1024];
	snprintf(sql, sizeof sql, "%s ORDER BY 1", p->u.select.final_sql);
	/* DESC puts NULL first, as PostgreSQL */
	assert_string_equal(shard_query(db, sql), "1|2|N;2|1|1;3|2|2;4|1|N;5|1|N;6|1|5");
	plan_free(p);
	sqlite3_close(db);
}

static void test_grouping_sets(void **state)
{
	plan *p = P("SELECT kind, flag, GROUPING(kind, flag), count(*) FROM events "
		    "GROUP BY CUBE (kind, flag)");
	const char *f = p->u.select.final_sql;
	assert_int_equal(count_of(f, " UNION ALL "), 3);
	assert_non_null(strstr(p->u.select.shard_sql, "GROUP BY \"events\".\"kind\", "
						      "\"events\".\"flag\""));
	/* the branch without kind: NULL for it, GROUPING 2 */
	assert_non_null(strstr(f, "SELECT NULL, c1, 2, coalesce(sum(c2), 0) FROM r GROUP BY c1"));
	plan_free(p);
	/* a, ROLLUP (b, c): {a,b,c} {a,b} {a}; GROUPING SETS nested: concatenated */
	p = P("SELECT count(*) FROM events GROUP BY kind, ROLLUP (flag, user_id)");
	assert_int_equal(count_of(p->u.select.final_sql, " UNION ALL "), 2);
	plan_free(p);
	p = P("SELECT count(*) FROM events GROUP BY GROUPING SETS (kind, ROLLUP (flag, user_id), "
	      "()), CUBE (id)");
	assert_int_equal(count_of(p->u.select.final_sql, " UNION ALL "), 5 * 2 - 1);
	plan_free(p);
	/* GROUPING without sets is 0 */
	p = P("SELECT kind, GROUPING(kind) FROM events GROUP BY kind");
	assert_string_equal(p->u.select.final_sql, "SELECT c0, 0 FROM r");
	plan_free(p);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_pushed_to_the_shards),
		cmocka_unit_test(test_gathered_to_the_leader),
		cmocka_unit_test(test_frames_and_named_windows),
		cmocka_unit_test(test_errors),
		cmocka_unit_test(test_distinct_on),
		cmocka_unit_test(test_leader_sql_runs),
		cmocka_unit_test(test_grouping_sets),
	};
	return cmocka_run_group_tests(tests, setup_catalog, teardown_catalog);
}
