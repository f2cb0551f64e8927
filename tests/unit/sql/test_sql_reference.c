/*
 * test_sql_reference.c — reference tables in the SQL front end: CREATE
 * TABLE ... WITH (distribution = 'reference') and its errors, router plans
 * over reference tables only, joins of a distributed table with reference
 * tables on any condition (the distributed table drives the tasks and is
 * schema main wherever it stands in FROM), and what stays refused.
 *
 * Fixture: test_sql_common.h's tables plus
 *   nation(code text primary key, name text, region int4)  reference
 *   region(id int4 primary key, name text)                  reference
 */
#include "test_sql_common.h"

static int setup(void **state)
{
	static cat_table t;
	setup_catalog(state);
	memset(&t, 0, sizeof t);
	tcol(&t, "code", MT_TEXT, 1);
	tcol(&t, "name", MT_TEXT, 0);
	tcol(&t, "region", MT_INT4, 0);
	t.distribution = CAT_DIST_REFERENCE;
	tcreate(&t, "nation", 0, 8); /* the catalog makes it one shard */
	memset(&t, 0, sizeof t);
	tcol(&t, "id", MT_INT4, 1);
	tcol(&t, "name", MT_TEXT, 0);
	t.distribution = CAT_DIST_REFERENCE;
	tcreate(&t, "region", 0, 1);
	return 0;
}

static void test_create_reference(void **state)
{
	plan *p = P("CREATE TABLE r1 (a int, b int UNIQUE) WITH (distribution = 'reference')");
	cat_table *d = p->u.create_table.def;
	assert_int_equal(d->distribution, CAT_DIST_REFERENCE);
	assert_int_equal(d->nshards, 1);
	assert_string_equal(d->cols[d->dist_col].name, CAT_HIDDEN_ROWID);
	/* one shard: a unique key without the distribution column is enforceable */
	assert_non_null(
		strstr(p->u.create_table.shard_ddl,
		       "CREATE UNIQUE INDEX IF NOT EXISTS main.\"r1_b_key\" ON \"r1\" (\"b\")"));
	assert_int_equal(p->u.create_table.nuniques, 1);
	assert_string_equal(p->u.create_table.uniques[0].name, "r1_b_key");
	plan_free(p);
	p = P("CREATE TABLE r2 (a int, b int, PRIMARY KEY (b)) WITH (distribution = reference, "
	      "shards = 1)");
	assert_int_equal(p->u.create_table.def->distribution, CAT_DIST_REFERENCE);
	assert_int_equal(p->u.create_table.def->dist_col, 1);
	plan_free(p);
	p = P("CREATE TABLE h1 (a int) WITH (distribution = 'hash', shards = 2)");
	assert_int_equal(p->u.create_table.def->distribution, CAT_DIST_HASH);
	assert_int_equal(p->u.create_table.def->nshards, 2);
	plan_free(p);
	p = P("CREATE UNIQUE INDEX nation_name ON nation (name)");
	plan_free(p);
}

static void test_create_reference_errors(void **state)
{
	mur_error e = E("CREATE TABLE r3 (a int) WITH (distribution = 'replicated')", "22023");
	assert_string_equal(e.message,
			    "invalid value for table option \"distribution\": \"replicated\"");
	assert_non_null(strstr(e.hint, "hash"));
	assert_non_null(strstr(e.hint, "reference"));
	e = E("CREATE TABLE r4 (a int) WITH (distribution = 'reference', shards = 4)", "22023");
	assert_string_equal(e.message, "a reference table has exactly one shard");
	e = E("CREATE TABLE r5 (a int) WITH (distribution = 'reference', replicas = 2)", "22023");
	assert_string_equal(e.message, "a reference table cannot set replicas");
	e = E("CREATE TABLE r6 (a int) PARTITION BY HASH (a) WITH (distribution = 'reference')",
	      "42P16");
	assert_string_equal(e.message, "a reference table cannot have PARTITION BY");
	E("CREATE UNIQUE INDEX ON events (kind)", "0A000"); /* hash tables still refuse */
}

static void test_reference_only_router(void **state)
{
	plan *p = P("SELECT name FROM nation WHERE region = 1 ORDER BY name LIMIT 2");
	plan_select *s = &p->u.select;
	assert_int_equal(p->kind, PLAN_SELECT);
	assert_int_equal(s->router, 1);
	assert_int_equal(s->prune.active, 0);
	assert_string_equal(s->strategy, "router (reference tables)");
	assert_null(s->final_sql);
	assert_int_equal(s->has_partial_agg, 0);
	assert_string_equal(s->shard_sql,
			    "SELECT \"nation\".\"name\" FROM main.\"nation\" AS \"nation\" "
			    "WHERE (\"nation\".\"region\" = 1) ORDER BY \"nation\".\"name\" "
			    "ASC NULLS LAST LIMIT 2");
	plan_free(p);
	p = P("SELECT r.name, count(*) FROM nation n JOIN region r ON n.region = r.id GROUP BY "
	      "r.name");
	s = &p->u.select;
	assert_int_equal(s->router, 1);
	assert_int_equal(s->ntables, 2);
	assert_string_equal(s->tables[1]->name, "region");
	assert_non_null(
		strstr(s->shard_sql, "FROM main.\"nation\" AS \"n\" JOIN m1.\"region\" AS \"r\""));
	assert_non_null(strstr(s->shard_sql, "GROUP BY \"r\".\"name\""));
	plan_free(p);
}

static void test_join_distributed_first(void **state)
{
	plan *p = P("SELECT e.id, n.name FROM events e JOIN nation n ON e.kind = n.code "
		    "WHERE n.region = 2 AND e.amount > 1");
	plan_select *s = &p->u.select;
	assert_int_equal(s->router, 0);
	assert_int_equal(s->ntables, 2);
	assert_string_equal(s->tables[0]->name, "events");
	assert_string_equal(s->tables[1]->name, "nation");
	assert_string_equal(s->shard_sql,
			    "SELECT \"e\".\"id\", \"n\".\"name\" FROM main.\"events\" AS \"e\" "
			    "JOIN "
			    "m1.\"nation\" AS \"n\" ON (\"e\".\"kind\" = \"n\".\"code\") WHERE "
			    "((\"n\".\"region\" = 2) AND (\"e\".\"amount\" > '1' COLLATE "
			    "mur_numeric))"); /* numeric: by value, the column's collation */
	plan_free(p);
	p = P("SELECT e.id FROM events e LEFT JOIN nation n ON e.kind = n.code");
	assert_non_null(strstr(p->u.select.shard_sql, "LEFT JOIN m1.\"nation\""));
	plan_free(p);
	/* any condition, even none */
	p = P("SELECT count(*) FROM events e, nation n");
	assert_int_equal(p->u.select.ntables, 2);
	plan_free(p);
}

/* The distributed table drives the tasks wherever it stands in FROM: it
 * is schema main and tables[0]; pruning follows its distribution column. */
static void test_join_reference_first(void **state)
{
	plan *p = P("SELECT n.name, e.kind FROM nation n JOIN region r ON r.id = n.region "
		    "JOIN events e ON e.kind = n.code WHERE e.id = 5");
	plan_select *s = &p->u.select;
	assert_int_equal(s->router, 1);
	assert_int_equal(s->prune.active, 1);
	assert_int_equal(s->prune.constant.i, 5);
	assert_int_equal(s->prune.type, MT_INT8);
	assert_int_equal(s->ntables, 3);
	assert_string_equal(s->tables[0]->name, "events");
	assert_string_equal(s->tables[1]->name, "region");
	assert_string_equal(s->tables[2]->name, "nation");
	assert_string_equal(s->shard_sql,
			    "SELECT \"n\".\"name\", \"e\".\"kind\" FROM m2.\"nation\" AS \"n\" "
			    "JOIN "
			    "m1.\"region\" AS \"r\" ON (\"r\".\"id\" = \"n\".\"region\") JOIN "
			    "main.\"events\" AS \"e\" ON (\"e\".\"kind\" = \"n\".\"code\") WHERE "
			    "(\"e\".\"id\" = 5)");
	plan_free(p);
	/* a reference key pins nothing */
	p = P("SELECT e.id FROM nation n JOIN events e ON e.kind = n.code WHERE n.code = 'fr'");
	assert_int_equal(p->u.select.router, 0);
	assert_int_equal(p->u.select.prune.active, 0);
	plan_free(p);
}

static void test_join_aggregates(void **state)
{
	plan *p = P("SELECT n.region, count(*), sum(e.amount) FROM nation n JOIN events e "
		    "ON e.kind = n.code GROUP BY n.region ORDER BY 2 DESC LIMIT 3");
	plan_select *s = &p->u.select;
	assert_int_equal(s->router, 0);
	assert_int_equal(s->has_partial_agg, 1);
	assert_int_equal(s->partial_agg.ngroup, 1);
	assert_int_equal(s->has_final_agg, 1);
	assert_non_null(strstr(s->shard_sql, "FROM m1.\"nation\" AS \"n\" JOIN main.\"events\""));
	assert_non_null(strstr(s->final_sql, "LIMIT 3"));
	plan_free(p);
	/* count(DISTINCT) of the driver's distribution column: exact per shard */
	p = P("SELECT count(DISTINCT e.id) FROM nation n JOIN events e ON e.kind = n.code");
	assert_string_equal(p->u.select.strategy, "co-located distinct");
	plan_free(p);
	/* of a reference column: the same value shows up in many shards */
	p = P("SELECT count(DISTINCT n.code) FROM events e JOIN nation n ON e.kind = n.code");
	assert_string_not_equal(p->u.select.strategy, "co-located distinct");
	plan_free(p);
}

static void test_join_with_colocated_tables(void **state)
{
	plan *p = P("SELECT u.name, o.total, n.name FROM users u JOIN orders o ON u.id = o.user_id "
		    "JOIN nation n ON n.code = u.state");
	assert_int_equal(p->u.select.ntables, 3);
	assert_string_equal(p->u.select.tables[2]->name, "nation");
	plan_free(p);
	p = P("SELECT count(*) FROM nation n JOIN users u ON n.code = u.state JOIN orders o "
	      "ON o.user_id = u.id");
	assert_string_equal(p->u.select.tables[0]->name, "users");
	assert_string_equal(p->u.select.tables[1]->name, "nation");
	assert_string_equal(p->u.select.tables[2]->name, "orders");
	plan_free(p);
}

static void test_join_refused(void **state)
{
	/* two distributed tables that are not co-located: the join is
	 * shuffled, the reference table with them (broadcast: no common key) */
	plan *p = P("SELECT * FROM events e JOIN nation n ON n.code = e.kind JOIN users u "
		    "ON e.user_id = u.id");
	mur_error e;
	assert_int_equal(p->u.select.join_shuffle, 1);
	assert_int_equal(p->u.select.join_repartition_ok, 0);
	assert_int_equal(p->u.select.join_broadcast_ok, 1);
	plan_free(p);
	/* reference rows preserved by a LEFT JOIN: repartitioned by the join
	 * key (each reference row meets its matches on one owner) ... */
	p = P("SELECT * FROM nation n LEFT JOIN events e ON n.code = e.kind");
	assert_int_equal(p->u.select.join_shuffle, 1);
	assert_int_equal(p->u.select.join_repartition_ok, 1);
	assert_int_equal(p->u.select.join_broadcast_ok, 0);
	plan_free(p);
	/* ... but without a join key every shard would emit them */
	e = E("SELECT * FROM nation n LEFT JOIN events e ON n.code < e.kind", "0A000");
	assert_string_equal(e.message, "murphy cannot LEFT JOIN reference table \"nation\" to "
				       "distributed table \"events\"");
	assert_true(strlen(e.hint) > 0);
	/* reference tables among themselves may LEFT JOIN before the driver */
	p = P("SELECT count(*) FROM nation n LEFT JOIN region r ON r.id = n.region "
	      "JOIN events e ON e.kind = n.code");
	assert_int_equal(p->u.select.ntables, 3);
	plan_free(p);
}

static void test_reference_writes(void **state)
{
	plan *p = P("UPDATE nation SET code = 'xx' WHERE code = 'fr'"); /* one shard: allowed */
	assert_int_equal(p->kind, PLAN_MODIFY);
	plan_free(p);
	p = P("DELETE FROM nation WHERE region = 3");
	assert_int_equal(p->kind, PLAN_MODIFY);
	plan_free(p);
	p = P("INSERT INTO nation VALUES ('fr', 'France', 1)");
	assert_int_equal(p->kind, PLAN_INSERT);
	plan_free(p);
	p = P("INSERT INTO events (id, kind) SELECT e.id + 100, n.name FROM events e "
	      "JOIN nation n ON n.code = e.kind");
	assert_int_equal(p->u.insert.source->u.select.ntables, 2);
	plan_free(p);
	E("UPDATE events SET id = 1", "0A000"); /* hash tables: rows would move */
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_create_reference),
		cmocka_unit_test(test_create_reference_errors),
		cmocka_unit_test(test_reference_only_router),
		cmocka_unit_test(test_join_distributed_first),
		cmocka_unit_test(test_join_reference_first),
		cmocka_unit_test(test_join_aggregates),
		cmocka_unit_test(test_join_with_colocated_tables),
		cmocka_unit_test(test_join_refused),
		cmocka_unit_test(test_reference_writes),
	};
	return cmocka_run_group_tests(tests, setup, teardown_catalog);
}
