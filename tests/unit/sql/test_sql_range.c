/*
 * test_sql_range.c — PARTITION BY RANGE in the SQL front end: the DDL and
 * its errors, range pruning (col >= / > / < / <= k, BETWEEN, constants and
 * parameters, either side of the operator), what prunes nothing, and
 * co-location of range tables.
 *
 * Fixture: test_sql_common.h's tables plus, created through the planner
 * and the catalog as the leader does,
 *   ev(id int8, created_at timestamptz, amount int4) PARTITION BY RANGE
 *      (created_at), monthly bounds 2024-02-01 .. 2024-12-01: 12 shards
 *   rk(k int4 primary key, v text)  PARTITION BY RANGE (k), bounds 100, 200, 300
 *   rk2 like rk (same bounds), rk3 bounds 100, 200, 301
 */
#include "test_sql_common.h"

#define MONTHS                                                                                     \
	"2024-02-01,2024-03-01,2024-04-01,2024-05-01,2024-06-01,2024-07-01,"                       \
	"2024-08-01,2024-09-01,2024-10-01,2024-11-01,2024-12-01"

static const cat_table *create(const char *sql)
{
	plan *p = P(sql);
	const cat_table *t;
	mur_error err;
	assert_int_equal(p->kind, PLAN_CREATE_TABLE);
	assert_int_equal(cat_create_table(tcat, p->u.create_table.def, &t, &err), MUR_OK);
	plan_free(p);
	return t;
}

static int setup(void **state)
{
	mur_error err;
	setup_catalog(state);
	assert_int_equal(cat_upsert_node(tcat, "f1", "127.0.0.1:1", CAT_NODE_FOLLOWER, NULL, &err),
			 0);
	create("CREATE TABLE ev (id bigint, created_at timestamptz, amount int) "
	       "PARTITION BY RANGE (created_at) WITH (range_bounds = '" MONTHS "')");
	create("CREATE TABLE rk (k int PRIMARY KEY, v text) PARTITION BY RANGE (k) "
	       "WITH (range_bounds = '100, 200, 300')");
	create("CREATE TABLE rk2 (k int PRIMARY KEY, v text) PARTITION BY RANGE (k) "
	       "WITH (range_bounds = '100,200,300', shards = 4)");
	create("CREATE TABLE rk3 (k int PRIMARY KEY, v text) PARTITION BY RANGE (k) "
	       "WITH (range_bounds = '100,200,301')");
	return 0;
}

static void test_create_range(void **state)
{
	const cat_table *t = cat_table_lookup(tcat, NULL, "ev");
	plan *p;
	cat_table *d;
	assert_non_null(t);
	assert_true(cat_table_is_range(t));
	assert_int_equal(t->nshards, 12);
	assert_string_equal(t->cols[t->dist_col].name, "created_at");
	assert_int_equal(t->shards[0].range_min.kind, MV_NULL);
	assert_int_equal(t->shards[1].range_min.kind, MV_TEXT);
	assert_string_equal(t->shards[1].range_min.s, "2024-02-01 00:00:00");
	assert_string_equal(t->shards[11].range_min.s, "2024-12-01 00:00:00");
	t = cat_table_lookup(tcat, NULL, "rk");
	assert_int_equal(t->nshards, 4);
	assert_int_equal(t->shards[3].range_min.i, 300);
	/* no bounds: one shard; quoted values may hold commas; distribution = range */
	p = P("CREATE TABLE one (a int) PARTITION BY RANGE (a)");
	d = p->u.create_table.def;
	assert_int_equal(d->distribution, CAT_DIST_RANGE);
	assert_int_equal(d->nshards, 1);
	assert_null(d->shards);
	plan_free(p);
	p = P("CREATE TABLE tx (s varchar(20)) PARTITION BY RANGE (s) WITH (range_bounds = "
	      "' \"a,b\" , m,\"z \\\"q\\\"\"', distribution = 'range', shards = 4)");
	d = p->u.create_table.def;
	assert_int_equal(d->nshards, 4);
	assert_string_equal(d->shards[1].range_min.s, "a,b");
	assert_string_equal(d->shards[2].range_min.s, "m");
	assert_string_equal(d->shards[3].range_min.s, "z \"q\"");
	plan_free(p);
	p = P("CREATE TABLE d (day date, n bigint) PARTITION BY RANGE (day) "
	      "WITH (range_bounds = '2024-01-01,2025-01-01')");
	assert_string_equal(p->u.create_table.def->shards[2].range_min.s, "2025-01-01");
	plan_free(p);
	p = P("CREATE TABLE n1 (a bigint) PARTITION BY RANGE (a) WITH (range_bounds = 7)");
	assert_int_equal(p->u.create_table.def->shards[1].range_min.i, 7);
	plan_free(p);
}

static void test_create_range_errors(void **state)
{
	mur_error e;
	e = E("CREATE TABLE b1 (a int) PARTITION BY RANGE (a) WITH (range_bounds = '1,3,2')",
	      "22023");
	assert_string_equal(e.message, "range_bounds must be strictly increasing: \"2\" does not "
				       "come after \"3\"");
	e = E("CREATE TABLE b2 (a int) PARTITION BY RANGE (a) WITH (range_bounds = '1,1')",
	      "22023");
	assert_non_null(strstr(e.message, "\"1\" does not come after \"1\""));
	e = E("CREATE TABLE b3 (a date) PARTITION BY RANGE (a) WITH (range_bounds = "
	      "'2024-01-01,2024-13-01')",
	      "22023");
	assert_string_equal(e.message, "invalid range bound \"2024-13-01\"");
	assert_true(strlen(e.detail) > 0);
	e = E("CREATE TABLE b4 (a int) PARTITION BY RANGE (a) WITH (range_bounds = '1,x')",
	      "22023");
	assert_string_equal(e.message, "invalid range bound \"x\"");
	E("CREATE TABLE b5 (a int) PARTITION BY RANGE (a) WITH (range_bounds = '1,,2')", "22023");
	E("CREATE TABLE b5 (a int) PARTITION BY RANGE (a) WITH (range_bounds = '1,')", "22023");
	E("CREATE TABLE b5 (a text) PARTITION BY RANGE (a) WITH (range_bounds = '\"a')", "22023");
	e = E("CREATE TABLE b6 (a int) WITH (range_bounds = '1,2')", "42P16");
	assert_string_equal(e.message, "range_bounds needs PARTITION BY RANGE (column)");
	E("CREATE TABLE b6 (a int) PARTITION BY HASH (a) WITH (range_bounds = '1,2')", "42P16");
	E("CREATE TABLE b6 (a int) WITH (distribution = 'reference', range_bounds = '1')", "42P16");
	E("CREATE TABLE b6 (a int) PARTITION BY RANGE (a) WITH (distribution = 'reference')",
	  "42P16");
	e = E("CREATE TABLE b6 (a int) PARTITION BY RANGE (a) WITH (distribution = 'hash')",
	      "42P16");
	assert_non_null(strstr(e.message, "conflicts"));
	E("CREATE TABLE b6 (a int) WITH (distribution = 'range')", "42P16");
	e = E("CREATE TABLE b7 (a int) PARTITION BY RANGE (a) WITH (range_bounds = '1,2', "
	      "shards = 4)",
	      "42P16");
	assert_string_equal(e.message,
			    "shards = 4 disagrees with range_bounds, which make 3 shards");
	e = E("CREATE TABLE b7 (a int) PARTITION BY RANGE (a) WITH (shards = 4)", "42P16");
	assert_string_equal(e.message,
			    "a range-partitioned table without range_bounds has one shard");
	e = E("CREATE TABLE b8 (a float8) PARTITION BY RANGE (a)", "0A000");
	assert_non_null(strstr(e.message, "double precision"));
	E("CREATE TABLE b8 (a int, b int) PARTITION BY RANGE (a, b)", "0A000");
	E("CREATE TABLE b8 (a int) PARTITION BY LIST (a)", "0A000");
	E("CREATE TABLE b8 (a int PRIMARY KEY, b int) PARTITION BY RANGE (b)", "0A000");
	E("CREATE TABLE b8 (a int) PARTITION BY RANGE (nope)", "42703");
	E("UPDATE rk SET k = 5 WHERE k = 1", "0A000"); /* rows would change shards */
}

static void assert_bound(const plan_bound *b, int upper, int inclusive)
{
	assert_int_equal(b->upper, upper);
	assert_int_equal(b->inclusive, inclusive);
}

static void test_range_pruning(void **state)
{
	const cat_table *ev = cat_table_lookup(tcat, NULL, "ev");
	uint32_t out[CAT_SHARDS_MAX];
	plan *p = P("SELECT count(*) FROM ev WHERE created_at >= '2024-03-01' "
		    "AND created_at < '2024-05-01' AND amount > 3");
	plan_select *s = &p->u.select;
	assert_int_equal(s->router, 0);
	assert_int_equal(s->prune.active, 0);
	assert_int_equal(s->prune.nbounds, 2);
	assert_bound(&s->prune.bounds[0], 0, 1);
	assert_bound(&s->prune.bounds[1], 1, 0);
	assert_string_equal(s->prune.bounds[0].constant.s, "2024-03-01 00:00:00");
	/* March and April */
	assert_int_equal(cat_range_shards(ev, &s->prune.bounds[0].constant, 1,
					  &s->prune.bounds[1].constant, 0, out),
			 2);
	assert_int_equal(out[0], 2);
	assert_int_equal(out[1], 3);
	plan_free(p);

	/* constant first, BETWEEN, parameters */
	p = P("SELECT id FROM ev WHERE '2024-06-15' < created_at");
	assert_int_equal(p->u.select.prune.nbounds, 1);
	assert_bound(&p->u.select.prune.bounds[0], 0, 0);
	plan_free(p);
	p = P("SELECT id FROM ev WHERE created_at BETWEEN '2024-01-10' AND '2024-02-10'");
	assert_int_equal(p->u.select.prune.nbounds, 2);
	assert_bound(&p->u.select.prune.bounds[0], 0, 1);
	assert_bound(&p->u.select.prune.bounds[1], 1, 1);
	plan_free(p);
	p = P("SELECT id FROM ev WHERE created_at <= $1 AND created_at > $2");
	s = &p->u.select;
	assert_int_equal(s->prune.nbounds, 2);
	assert_bound(&s->prune.bounds[0], 1, 1);
	assert_int_equal(s->prune.bounds[0].param, 1);
	assert_int_equal(s->prune.bounds[0].type, MT_TIMESTAMPTZ);
	assert_int_equal(s->prune.bounds[1].param, 2);
	plan_free(p);
	/* integers take numeric bounds */
	p = P("DELETE FROM rk WHERE k > 150.5 AND k <= 250");
	assert_int_equal(p->u.modify.prune.nbounds, 2);
	assert_int_equal(p->u.modify.prune.bounds[0].constant.kind, MV_FLOAT);
	plan_free(p);
	/* equality is still a router plan, bounds or not */
	p = P("SELECT * FROM ev WHERE created_at = '2024-07-04 12:00:00+00' AND amount = 1");
	assert_int_equal(p->u.select.router, 1);
	assert_int_equal(p->u.select.prune.active, 1);
	assert_string_equal(p->u.select.strategy, "router");
	plan_free(p);
}

static void test_range_no_pruning(void **state)
{
	/* OR, NOT BETWEEN, an expression over the column, another column, a
	 * date against a timestamptz column (the column is cast), a hash table */
	static const char *const sqls[] = {
		"SELECT id FROM ev WHERE created_at > '2024-05-01' OR amount = 1",
		"SELECT id FROM ev WHERE created_at NOT BETWEEN '2024-01-01' AND '2024-02-01'",
		"SELECT v FROM rk WHERE k + 1 > 150",
		"SELECT id FROM ev WHERE amount > 5",
		"SELECT id FROM ev WHERE created_at > DATE '2024-05-01'",
		"SELECT id FROM ev WHERE created_at BETWEEN SYMMETRIC '2024-05-01' AND "
		"'2024-04-01'",
		"SELECT id FROM events WHERE id > 5",
		"SELECT count(*) FROM rk WHERE k > NULL",
	};
	for (size_t i = 0; i < sizeof sqls / sizeof sqls[0]; i++) {
		plan *p = P(sqls[i]);
		if (p->u.select.prune.nbounds)
			print_error("%s: %d bounds\n", sqls[i], p->u.select.prune.nbounds);
		assert_int_equal(p->u.select.prune.nbounds, 0);
		assert_int_equal(p->u.select.prune.active, 0);
		plan_free(p);
	}
}

static void test_range_colocation(void **state)
{
	const cat_table *rk = cat_table_lookup(tcat, NULL, "rk"),
			*rk2 = cat_table_lookup(tcat, NULL, "rk2"),
			*rk3 = cat_table_lookup(tcat, NULL, "rk3"),
			*users = cat_table_lookup(tcat, NULL, "users");
	assert_true(cat_tables_colocated(rk, rk2));
	assert_false(cat_tables_colocated(rk, rk3));
	assert_false(cat_tables_colocated(rk, users)); /* range and hash, 4 and 8 shards */
	plan *p = P("SELECT a.k, b.v FROM rk a JOIN rk2 b ON a.k = b.k WHERE a.k >= 200");
	plan_select *s = &p->u.select;
	assert_int_equal(s->ntables, 2);
	assert_non_null(strstr(s->shard_sql, "JOIN m1.\"rk2\""));
	assert_int_equal(s->prune.nbounds, 1);
	plan_free(p);
	/* count(DISTINCT k) and GROUP BY k stay inside each range */
	p = P("SELECT count(DISTINCT k) FROM rk");
	assert_string_equal(p->u.select.strategy, "co-located distinct");
	plan_free(p);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_create_range),     cmocka_unit_test(test_create_range_errors),
		cmocka_unit_test(test_range_pruning),    cmocka_unit_test(test_range_no_pruning),
		cmocka_unit_test(test_range_colocation),
	};
	return cmocka_run_group_tests(tests, setup, teardown_catalog);
}
