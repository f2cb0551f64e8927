/*
 * test_sql_plan.c — plans for SELECT: router vs scatter-gather, pruning,
 * aggregate specs, count(DISTINCT) strategies, ORDER BY/LIMIT pushdown,
 * co-located joins, leader-only selects, output names and types.
 */
#include "test_sql_common.h"

static void test_router_constant(void **state)
{
	plan *p = P("SELECT * FROM events WHERE id = 5");
	plan_select *s = &p->u.select;
	assert_int_equal(p->kind, PLAN_SELECT);
	assert_int_equal(s->router, 1);
	assert_int_equal(s->prune.active, 1);
	assert_int_equal(s->prune.param, 0);
	assert_int_equal(s->prune.constant.kind, MV_INT);
	assert_int_equal(s->prune.constant.i, 5);
	assert_int_equal(s->prune.type, MT_INT8);
	assert_int_equal(s->has_partial_agg, 0);
	assert_null(s->final_sql);
	assert_string_equal(s->strategy, "router");
	assert_int_equal(p->nout, 6); /* no hidden columns */
	assert_string_equal(p->out[0].name, "id");
	assert_int_equal(p->out[0].type, MT_INT8);
	assert_int_equal(p->out[5].type, MT_BOOL);
	assert_string_equal(s->shard_sql,
			    "SELECT \"events\".\"id\", \"events\".\"user_id\", "
			    "\"events\".\"kind\", "
			    "\"events\".\"created_at\", \"events\".\"amount\", \"events\".\"flag\" "
			    "FROM main.\"events\" AS \"events\" WHERE (\"events\".\"id\" = 5)");
	plan_free(p);
}

static void test_router_param_and_string_literal(void **state)
{
	plan *p = P("SELECT kind FROM events WHERE kind <> 'x' AND id = $1 ORDER BY kind LIMIT 3");
	assert_int_equal(p->u.select.router, 1);
	assert_int_equal(p->u.select.prune.param, 1);
	assert_int_equal(p->nparams, 1);
	assert_int_equal(p->param_types[0], MT_INT8); /* inferred from the column */
	assert_non_null(strstr(p->u.select.shard_sql,
			       "ORDER BY \"events\".\"kind\" ASC NULLS LAST LIMIT 3"));
	plan_free(p);
	p = P("SELECT id FROM events WHERE id = '42'"); /* untyped literal coerced at plan time */
	assert_int_equal(p->u.select.prune.constant.kind, MV_INT);
	assert_int_equal(p->u.select.prune.constant.i, 42);
	assert_non_null(strstr(p->u.select.shard_sql, "= 42)"));
	plan_free(p);
	p = P("SELECT id FROM events WHERE id = 1 OR id = 2"); /* two keys: not a router plan */
	assert_int_equal(p->u.select.router, 0);
	assert_int_equal(p->u.select.prune.nkeys, 2);
	plan_free(p);
}

static void test_scatter_plain(void **state)
{
	plan *p = P("SELECT id, kind FROM events WHERE user_id > 3");
	plan_select *s = &p->u.select;
	assert_int_equal(s->router, 0);
	assert_int_equal(s->prune.active, 0);
	assert_null(s->final_sql);
	assert_string_equal(s->strategy, "scatter-gather");
	assert_string_equal(s->shard_sql,
			    "SELECT \"events\".\"id\", \"events\".\"kind\" FROM main.\"events\" "
			    "AS \"events\" WHERE (\"events\".\"user_id\" > 3)");
	plan_free(p);
}

static void test_scatter_topn_hidden_sort(void **state)
{
	plan *p = P("SELECT id, kind FROM events ORDER BY created_at DESC LIMIT 10 OFFSET 5");
	plan_select *s = &p->u.select;
	assert_string_equal(s->shard_sql, "SELECT \"events\".\"id\", \"events\".\"kind\", "
					  "\"events\".\"created_at\" FROM "
					  "main.\"events\" AS \"events\" ORDER BY "
					  "\"events\".\"created_at\" DESC NULLS "
					  "FIRST LIMIT (10 + 5)");
	assert_string_equal(s->final_sql,
			    "SELECT c0, c1 FROM r ORDER BY c2 DESC NULLS FIRST LIMIT 10 OFFSET 5");
	assert_int_equal(p->nout, 2);
	plan_free(p);
	p = P("SELECT kind AS k, id FROM events ORDER BY k, 2 DESC NULLS LAST");
	assert_string_equal(p->u.select.final_sql,
			    "SELECT c0, c1 FROM r ORDER BY c0 ASC NULLS LAST, c1 DESC NULLS LAST");
	assert_string_equal(p->out[0].name, "k");
	plan_free(p);
	p = P("SELECT DISTINCT kind FROM events LIMIT $1");
	assert_string_equal(p->u.select.final_sql, "SELECT DISTINCT c0 FROM r LIMIT ?1");
	assert_int_equal(p->param_types[0], MT_INT8);
	plan_free(p);
}

static void test_aggregate_group(void **state)
{
	plan *p = P("SELECT kind, count(*), sum(user_id), avg(amount), min(created_at) FROM events "
		    "WHERE flag GROUP BY kind HAVING count(*) > 1 ORDER BY 2 DESC LIMIT 5");
	plan_select *s = &p->u.select;
	assert_int_equal(s->router, 0);
	assert_string_equal(s->shard_sql,
			    "SELECT \"events\".\"kind\", \"events\".\"user_id\", "
			    "\"events\".\"amount\", "
			    "\"events\".\"created_at\" FROM main.\"events\" AS \"events\" WHERE "
			    "\"events\".\"flag\"");
	assert_int_equal(s->has_partial_agg, 1);
	assert_int_equal(s->partial_agg.ngroup, 1);
	assert_int_equal(s->partial_agg.naggs, 5);
	assert_int_equal(s->partial_agg.aggs[0].fn, EXEC_AGG_COUNT_STAR);
	assert_int_equal(s->partial_agg.aggs[1].fn, EXEC_AGG_SUM);
	assert_int_equal(s->partial_agg.aggs[1].col, 1);
	assert_int_equal(s->partial_agg.aggs[2].fn, EXEC_AGG_NUM_SUM); /* avg = exact sum ... */
	assert_int_equal(s->partial_agg.aggs[2].col, 2);
	assert_int_equal(s->partial_agg.aggs[3].fn, EXEC_AGG_COUNT); /* ... / count */
	assert_int_equal(s->partial_agg.aggs[3].col, 2);
	assert_int_equal(s->partial_agg.aggs[4].fn, EXEC_AGG_MIN);
	assert_int_equal(s->partial_agg.aggs[4].col, 3);
	assert_int_equal(s->final_agg.ngroup, 1);
	assert_int_equal(s->final_agg.naggs, 5);
	assert_int_equal(s->final_agg.aggs[0].fn, EXEC_AGG_SUM_COUNT);
	assert_int_equal(s->final_agg.aggs[0].col, 1);
	assert_int_equal(s->final_agg.aggs[1].fn, EXEC_AGG_SUM);
	assert_int_equal(s->final_agg.aggs[3].fn, EXEC_AGG_SUM_COUNT);
	assert_int_equal(s->final_agg.aggs[4].fn, EXEC_AGG_MIN);
	assert_int_equal(s->final_agg.aggs[4].col, 5);
	assert_string_equal(s->final_sql, "SELECT c0, c1, c2, mur_avg(c3, c4), c5 FROM r WHERE "
					  "(c1 > 1) ORDER BY c1 DESC NULLS FIRST LIMIT 5");
	assert_string_equal(p->out[1].name, "count");
	assert_int_equal(p->out[1].type, MT_INT8);
	assert_int_equal(p->out[2].type, MT_INT8);    /* sum(int4) */
	assert_int_equal(p->out[3].type, MT_NUMERIC); /* avg(numeric) */
	assert_int_equal(p->out[4].type, MT_TIMESTAMP);
	plan_free(p);
}

static void test_aggregate_types(void **state)
{
	plan *p = P("SELECT sum(id), avg(user_id), count(kind), bool_and(flag), max(kind), "
		    "sum(user_id) / 2, count(*) + 1 AS n FROM events");
	assert_int_equal(p->out[0].type, MT_NUMERIC); /* sum(int8) */
	assert_int_equal(p->out[1].type, MT_NUMERIC); /* avg(int4) */
	assert_int_equal(p->out[2].type, MT_INT8);
	assert_int_equal(p->out[3].type, MT_BOOL);
	assert_int_equal(p->out[4].type, MT_TEXT);
	assert_int_equal(p->out[5].type, MT_INT8);
	assert_string_equal(p->out[5].name, "?column?");
	assert_string_equal(p->out[6].name, "n");
	assert_int_equal(p->u.select.partial_agg.ngroup, 0);
	assert_int_equal(p->u.select.partial_agg.aggs[4].fn, EXEC_AGG_BOOL_AND);
	/* sum(user_id) shares avg(user_id)'s partial sum (c1) */
	assert_non_null(strstr(p->u.select.final_sql, "mur_div(c1, 2)"));
	plan_free(p);
}

static void test_group_by_alias_and_expression(void **state)
{
	plan *p = P("SELECT date_trunc('day', created_at) AS d, count(*) FROM events GROUP BY d");
	assert_string_equal(p->u.select.shard_sql,
			    "SELECT mur_date_trunc('day', \"events\".\"created_at\") FROM "
			    "main.\"events\" "
			    "AS \"events\"");
	assert_string_equal(p->out[0].name, "d");
	assert_int_equal(p->out[0].type, MT_TIMESTAMP);
	assert_string_equal(p->u.select.final_sql, "SELECT c0, c1 FROM r");
	plan_free(p);
	p = P("SELECT user_id % 10, count(*) FROM events GROUP BY 1");
	assert_string_equal(p->u.select.shard_sql, "SELECT mur_mod(\"events\".\"user_id\", 10) "
						   "FROM main.\"events\" AS \"events\"");
	plan_free(p);
}

static void test_count_distinct_colocated(void **state)
{
	plan *p = P("SELECT kind, count(DISTINCT id), count(*) FROM events GROUP BY kind");
	plan_select *s = &p->u.select;
	assert_string_equal(s->strategy, "co-located distinct");
	assert_int_equal(s->partial_agg.ngroup, 1);
	assert_int_equal(s->partial_agg.aggs[0].fn, EXEC_AGG_COUNT_DISTINCT);
	assert_int_equal(s->partial_agg.aggs[0].col, 1);
	assert_int_equal(s->final_agg.aggs[0].fn, EXEC_AGG_SUM_COUNT);
	assert_int_equal(s->final_agg.aggs[1].fn, EXEC_AGG_SUM_COUNT);
	plan_free(p);
}

static void test_count_distinct_gather(void **state)
{
	plan *p = P("SELECT kind, count(DISTINCT user_id) FROM events GROUP BY kind");
	plan_select *s = &p->u.select;
	assert_string_equal(s->strategy, "gather distinct");
	assert_string_equal(s->shard_sql, "SELECT \"events\".\"kind\", \"events\".\"user_id\" FROM "
					  "main.\"events\" AS \"events\"");
	assert_int_equal(s->partial_agg.ngroup, 2);
	assert_int_equal(s->partial_agg.naggs, 0);
	assert_int_equal(s->final_agg.ngroup, 1);
	assert_int_equal(s->final_agg.naggs, 1);
	assert_int_equal(s->final_agg.aggs[0].fn, EXEC_AGG_COUNT_DISTINCT);
	assert_int_equal(s->final_agg.aggs[0].col, 1);
	assert_string_equal(s->final_sql, "SELECT c0, c1 FROM r");
	plan_free(p);
	E("SELECT count(DISTINCT user_id), count(DISTINCT kind) FROM events", "0A000");
	/* with other aggregates: shards group by (groups, x) with the others'
	 * partials; the final step counts distinct x and merges the partials */
	p = P("SELECT kind, count(DISTINCT user_id), avg(amount), count(*) FROM events GROUP BY "
	      "kind");
	s = &p->u.select;
	assert_string_equal(s->shard_sql,
			    "SELECT \"events\".\"kind\", \"events\".\"user_id\", "
			    "\"events\".\"amount\" FROM main.\"events\" AS \"events\"");
	assert_int_equal(s->partial_agg.ngroup, 2);
	assert_int_equal(s->partial_agg.naggs, 3); /* sum, count (avg); count(*) */
	assert_int_equal(s->final_agg.ngroup, 1);
	assert_int_equal(s->final_agg.naggs, 4);
	assert_int_equal(s->final_agg.aggs[0].fn, EXEC_AGG_COUNT_DISTINCT);
	assert_int_equal(s->final_agg.aggs[0].col, 1);
	assert_int_equal(s->final_agg.aggs[1].fn, EXEC_AGG_NUM_SUM); /* amount is numeric */
	assert_int_equal(s->final_agg.aggs[1].col, 2);
	assert_int_equal(s->final_agg.aggs[3].fn, EXEC_AGG_SUM_COUNT);
	assert_int_equal(s->shuffle_hash_cols, 2);
	assert_int_equal(s->leader_agg.aggs[0].fn, EXEC_AGG_SUM_COUNT);
	assert_int_equal(s->leader_agg.aggs[2].col, 3);
	assert_string_equal(s->final_sql, "SELECT c0, c1, mur_avg(c2, c3), c4 FROM r");
	plan_free(p);
}

static void test_router_aggregate(void **state)
{
	plan *p = P("SELECT count(*), bool_or(flag) FROM events WHERE id = 3 GROUP BY kind");
	assert_int_equal(p->u.select.router, 1);
	assert_int_equal(p->u.select.has_partial_agg, 0);
	assert_string_equal(p->u.select.shard_sql,
			    "SELECT count(*), max(\"events\".\"flag\") FROM main.\"events\" AS "
			    "\"events\" "
			    "WHERE (\"events\".\"id\" = 3) GROUP BY \"events\".\"kind\"");
	plan_free(p);
}

static void test_colocated_join(void **state)
{
	plan *p = P("SELECT u.state, o.total FROM users u JOIN orders o ON u.id = o.user_id");
	plan_select *s = &p->u.select;
	assert_int_equal(s->ntables, 2);
	assert_string_equal(s->tables[1]->name, "orders");
	assert_string_equal(s->shard_sql,
			    "SELECT \"u\".\"state\", \"o\".\"total\" FROM main.\"users\" AS "
			    "\"u\" JOIN m1.\"orders\" AS \"o\" ON (\"u\".\"id\" = "
			    "\"o\".\"user_id\")");
	plan_free(p);
	p = P("SELECT count(*) FROM users, orders WHERE orders.user_id = users.id AND users.id = "
	      "3");
	assert_int_equal(p->u.select.router, 1);
	plan_free(p);
	p = P("SELECT u.id FROM users u LEFT JOIN orders o ON o.user_id = u.id");
	assert_non_null(strstr(p->u.select.shard_sql, "LEFT JOIN m1.\"orders\""));
	plan_free(p);
}

static void test_join_not_colocated(void **state)
{
	/* shuffled: repartition by e.user_id = u.id, or broadcast users */
	plan *p = P("SELECT e.kind, u.name FROM events e JOIN users u ON e.user_id = u.id "
		    "WHERE e.kind = 'x' AND u.id > 3");
	mur_error e;
	assert_int_equal(p->u.select.join_shuffle, 1);
	assert_int_equal(p->u.select.join_repartition_ok, 1);
	assert_int_equal(p->u.select.join_broadcast_ok, 1);
	assert_int_equal(p->u.select.router, 0);
	/* the key first, then what the query reads; each table's own filter,
	 * and u.id's carried to e.user_id through e.user_id = u.id */
	assert_string_equal(p->u.select.join_side_sql[0],
			    "SELECT \"e\".\"user_id\", \"e\".\"kind\" FROM main.\"events\" AS "
			    "\"e\" "
			    "WHERE ((\"e\".\"kind\" = 'x') AND (\"e\".\"user_id\" > 3))");
	assert_non_null(strstr(p->u.select.join_side_sql[1], "WHERE (\"u\".\"id\" > 3)"));
	assert_non_null(strstr(p->u.select.join_ddl, "ATTACH ':memory:' AS m1;"));
	assert_non_null(strstr(p->u.select.join_load, "\nINSERT INTO m1.\"users\" VALUES (?, ?)"));
	/* covering: the key, then the columns it carries */
	assert_non_null(strstr(p->u.select.join_post, "ON \"users\"(\"id\", \"name\")"));
	plan_free(p);
	p = P("SELECT * FROM users u JOIN other x ON u.id = x.id"); /* shard counts differ */
	assert_int_equal(p->u.select.join_shuffle, 1);
	plan_free(p);
	/* LEFT JOIN: the optional side is not filtered early, and the preserved
	 * side (the driver) is never copied */
	p = P("SELECT u.id FROM users u LEFT JOIN events e ON e.user_id = u.id WHERE e.kind = 'x'");
	assert_int_equal(p->u.select.join_shuffle, 1);
	assert_int_equal(p->u.select.join_broadcast_ok, 1);
	assert_null(strstr(p->u.select.join_side_sql[1], "WHERE"));
	plan_free(p);
	/* no join key and a preserved side that would have to be copied */
	e = E("SELECT * FROM users u JOIN events e ON u.id < e.id LEFT JOIN other x ON x.id < e.id",
	      "0A000");
	assert_non_null(strstr(e.message, "cannot join these tables"));
	e = E("SELECT kind FROM events a JOIN events b ON a.id = b.id", "42702");
	assert_string_equal(e.message, "column reference \"kind\" is ambiguous");
}

static void test_leader_select(void **state)
{
	plan *p = P("SELECT 1, 'a' || 'b', now()");
	assert_int_equal(p->kind, PLAN_LEADER_SELECT);
	assert_string_equal(p->leader_sql, "SELECT 1, ('a' || 'b'), mur_xact_now()");
	assert_string_equal(p->out[0].name, "?column?");
	assert_int_equal(p->out[0].type, MT_INT4);
	assert_int_equal(p->out[1].type, MT_TEXT);
	assert_int_equal(p->out[2].type, MT_TIMESTAMPTZ);
	assert_string_equal(p->out[2].name, "now");
	plan_free(p);
	p = P("SELECT count(*) FROM murphy.shards");
	assert_int_equal(p->kind, PLAN_LEADER_SELECT);
	assert_non_null(strstr(p->leader_sql, "FROM main.\"murphy_shards\" AS \"shards\""));
	plan_free(p);
	p = P("SELECT true, NULL, CAST('7' AS int8), 1.5");
	assert_string_equal(p->out[0].name, "?column?"); /* PostgreSQL 15 */
	assert_int_equal(p->out[1].type, MT_TEXT);
	assert_string_equal(p->out[2].name, "int8");
	assert_int_equal(p->out[3].type, MT_NUMERIC);
	assert_string_equal(p->leader_sql, "SELECT 1, NULL, 7, '1.5'"); /* numeric is TEXT */
	plan_free(p);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_router_constant),
		cmocka_unit_test(test_router_param_and_string_literal),
		cmocka_unit_test(test_scatter_plain),
		cmocka_unit_test(test_scatter_topn_hidden_sort),
		cmocka_unit_test(test_aggregate_group),
		cmocka_unit_test(test_aggregate_types),
		cmocka_unit_test(test_group_by_alias_and_expression),
		cmocka_unit_test(test_count_distinct_colocated),
		cmocka_unit_test(test_count_distinct_gather),
		cmocka_unit_test(test_router_aggregate),
		cmocka_unit_test(test_colocated_join),
		cmocka_unit_test(test_join_not_colocated),
		cmocka_unit_test(test_leader_select),
	};
	return cmocka_run_group_tests(tests, setup_catalog, teardown_catalog);
}
