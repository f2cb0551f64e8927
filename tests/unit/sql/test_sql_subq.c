/*
 * test_sql_subq.c — uncorrelated subqueries, WITH, derived tables and set
 * operations through the SQL front end: the subqueries' plans and the
 * parameters their results bind (plan_sub), the leader SQL of a set
 * operation, and the SQLite functions that test a value against a
 * subquery's result set with PostgreSQL's three-valued answers.
 */
#include "test_sql_common.h"

static void test_in_subquery_binds_a_parameter_after_the_statements(void **state)
{
	plan *p = P(
		"SELECT id FROM events WHERE user_id IN (SELECT id FROM users WHERE state = $1) "
		"AND kind <> $2");
	assert_int_equal(p->nparams, 2);
	assert_int_equal(p->nsubs, 1);
	assert_int_equal(p->nparams_all, 3);
	assert_int_equal(p->subs[0].kind, PLAN_SUB_SET);
	assert_int_equal(p->subs[0].param, 3);
	assert_non_null(strstr(p->u.select.shard_sql, "mur_subq_in(\"events\".\"user_id\", ?3)"));
	/* the subquery: distinct values, its own parameter $1 */
	assert_non_null(strstr(p->subs[0].p->u.select.shard_sql, "?1"));
	assert_true(p->subs[0].p->u.select.has_partial_agg || p->subs[0].p->u.select.final_sql);
	plan_free(p);
	p = P("SELECT id FROM events WHERE user_id NOT IN (SELECT id FROM users)");
	assert_non_null(strstr(p->u.select.shard_sql, "NOT mur_subq_in("));
	plan_free(p);
	p = P("SELECT id FROM events WHERE user_id > ALL (SELECT id FROM users)");
	assert_non_null(strstr(p->u.select.shard_sql, "mur_subq_cmp(\"events\".\"user_id\", ?1, "
						      "'>', 1)"));
	plan_free(p);
}

static void test_scalar_subquery(void **state)
{
	/* on the distribution column: a router plan on the subquery's value */
	plan *p = P("SELECT kind FROM events WHERE id = (SELECT max(user_id) FROM orders)");
	assert_true(p->u.select.router);
	assert_int_equal(p->u.select.prune.param, 1);
	assert_int_equal(p->subs[0].kind, PLAN_SUB_SCALAR);
	assert_non_null(p->subs[0].p->u.select.final_sql);
	plan_free(p);
	/* nested: the inner one runs first and the outer one reads it */
	p = P("SELECT (SELECT count(*) + (SELECT max(id) FROM users) FROM orders) AS n, "
	      "EXISTS (SELECT 1 FROM other) AS e");
	assert_int_equal(p->kind, PLAN_LEADER_SELECT);
	assert_int_equal(p->nsubs, 3);
	assert_int_equal(p->subs[0].kind, PLAN_SUB_SCALAR);
	assert_int_equal(p->subs[1].kind, PLAN_SUB_SCALAR);
	assert_int_equal(p->subs[2].kind, PLAN_SUB_EXISTS);
	assert_non_null(strstr(p->subs[1].p->u.select.final_sql, "?1"));
	assert_string_equal(p->leader_sql, "SELECT ?2, ?3");
	assert_int_equal(p->out[0].type, MT_INT8);
	assert_string_equal(p->out[0].name, "n");
	assert_int_equal(p->out[1].type, MT_BOOL);
	plan_free(p);
}

static void test_correlated_exists_is_a_semijoin(void **state)
{
	plan *p = P("SELECT id FROM events e WHERE NOT EXISTS (SELECT 1 FROM users u WHERE "
		    "u.state = 'x' AND u.id = e.user_id)");
	assert_int_equal(p->nsubs, 1);
	assert_int_equal(p->subs[0].kind, PLAN_SUB_SET);
	assert_true(p->subs[0].semijoin);
	assert_non_null(strstr(p->u.select.shard_sql,
			       "NOT coalesce(mur_subq_in(\"e\".\"user_id\", ?1), 0)"));
	/* the inner side: its key, filtered by the other conjuncts */
	assert_non_null(strstr(p->subs[0].p->u.select.shard_sql, "\"u\".\"id\""));
	assert_non_null(strstr(p->subs[0].p->u.select.shard_sql, "'x'"));
	plan_free(p);
	/* two equalities: pairs; a correlated NOT IN: (value, key) pairs */
	p = P("SELECT id FROM events e WHERE EXISTS (SELECT 1 FROM users u WHERE u.id = e.user_id "
	      "AND u.state = e.kind)");
	assert_non_null(strstr(p->u.select.shard_sql,
			       "coalesce(mur_subq_in2(\"e\".\"user_id\", \"e\".\"kind\", ?1), 0)"));
	plan_free(p);
	p = P("SELECT id FROM events e WHERE kind NOT IN (SELECT state FROM users u WHERE u.id = "
	      "e.user_id)");
	assert_non_null(strstr(p->u.select.shard_sql,
			       "NOT mur_subq_in2(\"e\".\"kind\", \"e\".\"user_id\", ?1)"));
	assert_true(p->subs[0].semijoin);
	plan_free(p);
	/* a correlated scalar aggregate: pairs grouped by the key, and its value
	 * over no row (count: 0) as a scalar subquery of its own */
	p = P("SELECT id, (SELECT count(*) FROM users u WHERE u.id = e.user_id) FROM events e");
	assert_int_equal(p->nsubs, 2);
	assert_int_equal(p->subs[0].kind, PLAN_SUB_SCALAR);
	assert_int_equal(p->subs[1].kind, PLAN_SUB_SET);
	assert_int_equal(p->out[1].type, MT_INT8);
	assert_non_null(strstr(p->u.select.shard_sql, "mur_subq_get(\"e\".\"user_id\", ?2, ?1)"));
	assert_true(p->subs[1].p->u.select.has_partial_agg); /* GROUP BY the key */
	plan_free(p);
	p = P("SELECT id, (SELECT name FROM users u WHERE u.id = e.user_id) FROM events e");
	assert_int_equal(p->nsubs, 1);
	assert_non_null(strstr(p->u.select.shard_sql, "mur_subq_get(\"e\".\"user_id\", ?1, NULL)"));
	plan_free(p);
	/* three equalities, or one that is no equality: by events' own key, the
	 * subquery joined with events again (analyze_outerkey.c) */
	p = P("SELECT id FROM events e WHERE EXISTS (SELECT 1 FROM users u WHERE u.id = e.user_id "
	      "AND u.state = e.kind AND u.name = e.kind)");
	assert_int_equal(p->nsubs, 1);
	assert_int_equal(p->subs[0].semijoin, 2);
	/* e.id leads events' primary key: the set's keys are sought in its
	 * index first (sql/emit.c, is_indexable_subq_in), the call stays */
	assert_non_null(strstr(p->u.select.shard_sql, "mur_subq_in(\"e\".\"id\", ?1)"));
	assert_non_null(strstr(p->u.select.shard_sql, "mur_subq_values(?1)"));
	plan_free(p);
	p = P("SELECT id FROM events e WHERE EXISTS (SELECT 1 FROM users u WHERE u.id < "
	      "e.user_id)");
	assert_int_equal(p->subs[0].semijoin, 2);
	plan_free(p);
	/* columns of two outer tables: both copied in, keyed by the key pair */
	p = P("SELECT e.id FROM events e, users v WHERE EXISTS (SELECT 1 FROM users u WHERE u.id < "
	      "e.user_id AND u.id > v.id)");
	assert_int_equal(p->subs[0].semijoin, 2);
	plan_free(p);
	/* of three: still refused */
	E("SELECT e.id FROM events e, users v, users w WHERE EXISTS (SELECT 1 FROM users u "
	  "WHERE u.id < e.user_id AND u.id > v.id AND u.id <> w.id)",
	  "0A000");
}

static void test_derived_table_and_with(void **state)
{
	/* the grouped WITH query runs first and its rows go to the shard
	 * tasks (parser/analyze_ship.c), where the plain one merges */
	plan *p = P("WITH t AS (SELECT kind, count(*) AS n FROM events GROUP BY kind) "
		    "SELECT d.k, t.n FROM t, (SELECT kind AS k FROM events) d WHERE d.k = t.kind");
	assert_int_equal(p->kind, PLAN_SELECT);
	assert_int_equal(p->nsubs, 1);
	assert_int_equal(p->subs[0].kind, PLAN_SUB_ROWS);
	assert_int_equal(p->subs[0].ship, 1);
	assert_int_equal(p->u.select.ntables, 1);
	assert_non_null(strstr(p->u.select.shard_sql,
			       "(SELECT c0, c1 FROM mur_subq_rows(?1, 2)) AS \"t\""));
	plan_free(p);
	/* two gathered ones, no table: the leader joins them */
	p = P("WITH t AS (SELECT kind, count(*) AS n FROM events GROUP BY kind) "
	      "SELECT d.k, t.n FROM t, (SELECT DISTINCT kind AS k FROM events) d WHERE d.k = "
	      "t.kind");
	assert_int_equal(p->kind, PLAN_LEADER_SELECT);
	assert_int_equal(p->nsubs, 2);
	assert_int_equal(p->subs[0].ship, 0);
	assert_string_equal(p->subs[0].table, "murphy__sub0");
	assert_string_equal(p->leader_sql,
			    "SELECT \"d\".c0, \"t\".c1 FROM main.\"murphy__sub0\" AS \"t\", "
			    "main.\"murphy__sub1\" AS \"d\" WHERE (\"d\".c0 = \"t\".c0)");
	plan_free(p);
	/* a WITH query nobody reads is not run */
	p = P("WITH unused AS (SELECT 1) SELECT id FROM events");
	assert_int_equal(p->nsubs, 0);
	plan_free(p);
}

static void test_set_operation_sql(void **state)
{
	plan *p = P("SELECT id FROM events INTERSECT ALL SELECT user_id FROM orders "
		    "UNION SELECT 7 ORDER BY 1 DESC LIMIT 3");
	assert_int_equal(p->kind, PLAN_LEADER_SELECT);
	assert_int_equal(p->nsubs, 3);
	assert_int_equal(p->out[0].type, MT_INT8);
	assert_string_equal(p->leader_sql,
			    "SELECT * FROM (SELECT c0 FROM (SELECT *, row_number() OVER (PARTITION "
			    "BY c0) FROM "
			    "(SELECT * FROM main.\"murphy__sub0\") INTERSECT SELECT *, "
			    "row_number() OVER "
			    "(PARTITION BY c0) FROM (SELECT * FROM main.\"murphy__sub1\")) UNION "
			    "SELECT * FROM "
			    "main.\"murphy__sub2\") ORDER BY c0 DESC NULLS FIRST LIMIT 3");
	plan_free(p);
	E("SELECT id FROM events UNION SELECT kind FROM events", "42804");
	E("SELECT id FROM events UNION SELECT id, kind FROM events", "42601");
	E("SELECT id FROM events UNION SELECT id FROM events ORDER BY id + 1", "0A000");
}

static const char *set_blob(const mur_value *vals, int n, char *hex, size_t cap)
{
	mur_buf b;
	size_t k = 0;
	mur_buf_init(&b);
	for (int i = 0; i < n; i++)
		mur_row_put_value(&b, &vals[i]);
	k += (size_t)snprintf(hex, cap, "X'");
	for (size_t i = 0; i < b.len; i++)
		k += (size_t)snprintf(hex + k, cap - k, "%02x", (unsigned char)b.data[i]);
	snprintf(hex + k, cap - k, "'");
	mur_buf_free(&b);
	return hex;
}

static const char *ask(sqlite3 *db, const char *fmt, const char *set)
{
	char sql[512];
	snprintf(sql, sizeof sql, fmt, set);
	return shard_query(db, sql);
}

/* PostgreSQL's answers: x IN (set) is NULL when nothing matches and the
 * set holds a NULL, false for an empty set whatever x is; ALL over an
 * empty set is true. */
static void test_set_functions_three_valued(void **state)
{
	sqlite3 *db = shard_open();
	char with_null[128], plain[128], empty[16];
	mur_value a[] = {mur_v_int(1), mur_v_null(), mur_v_int(3)};
	mur_value b[] = {mur_v_int(1), mur_v_float(2.0), mur_v_text("x", 1)};
	set_blob(a, 3, with_null, sizeof with_null);
	set_blob(b, 3, plain, sizeof plain);
	snprintf(empty, sizeof empty, "X''");
	assert_string_equal(ask(db, "SELECT mur_subq_in(1, %s)", with_null), "1");
	assert_string_equal(ask(db, "SELECT mur_subq_in(2, %s)", with_null), "N");
	assert_string_equal(ask(db, "SELECT NOT mur_subq_in(2, %s)", with_null), "N");
	assert_string_equal(ask(db, "SELECT mur_subq_in(NULL, %s)", plain), "N");
	assert_string_equal(ask(db, "SELECT mur_subq_in(2, %s)", plain), "1"); /* 2 = 2.0 */
	assert_string_equal(ask(db, "SELECT mur_subq_in('x', %s)", plain), "1");
	assert_string_equal(ask(db, "SELECT mur_subq_in(5, %s)", plain), "0");
	assert_string_equal(ask(db, "SELECT mur_subq_in(NULL, %s)", empty), "0");
	assert_string_equal(ask(db, "SELECT mur_subq_in(NULL, NULL)%s", ""), "0");
	assert_string_equal(ask(db, "SELECT mur_subq_cmp(4, %s, '>', 1)", with_null), "N");
	assert_string_equal(ask(db, "SELECT mur_subq_cmp(2, %s, '>', 1)", with_null), "0");
	assert_string_equal(ask(db, "SELECT mur_subq_cmp(2, %s, '>', 0)", with_null), "1");
	assert_string_equal(ask(db, "SELECT mur_subq_cmp(0, %s, '>', 0)", with_null), "N");
	assert_string_equal(ask(db, "SELECT mur_subq_cmp(NULL, %s, '<', 1)", empty), "1");
	assert_string_equal(ask(db, "SELECT mur_subq_cmp(NULL, %s, '<', 0)", empty), "0");
	assert_string_equal(ask(db, "SELECT mur_subq_cmp(1, %s, '<>', 0)", plain), "1");
	/* pairs (a, b): x IN (the a of the rows whose b = y) */
	mur_value pairs[] = {mur_v_int(1), mur_v_text("k", 1), mur_v_null(), mur_v_text("k", 1),
			     mur_v_int(2), mur_v_text("j", 1), mur_v_int(3), mur_v_null()};
	char pr[256];
	set_blob(pairs, 8, pr, sizeof pr);
	assert_string_equal(ask(db, "SELECT mur_subq_in2(1, 'k', %s)", pr), "1");
	assert_string_equal(ask(db, "SELECT mur_subq_in2(2, 'k', %s)", pr), "N"); /* a NULL a */
	assert_string_equal(ask(db, "SELECT mur_subq_in2(1, 'j', %s)", pr), "0");
	assert_string_equal(ask(db, "SELECT mur_subq_in2(NULL, 'j', %s)", pr), "N");
	assert_string_equal(ask(db, "SELECT mur_subq_in2(NULL, 'z', %s)", pr), "0"); /* no b */
	assert_string_equal(ask(db, "SELECT mur_subq_in2(3, NULL, %s)", pr), "0");
	/* pairs (value, key): the value of the one row of key y */
	assert_string_equal(ask(db, "SELECT mur_subq_get('j', %s, 'none')", pr), "2");
	assert_string_equal(ask(db, "SELECT mur_subq_get('z', %s, 'none')", pr), "none");
	assert_string_equal(ask(db, "SELECT mur_subq_get(NULL, %s, 0)", pr), "0");
	assert_non_null(
		strstr(ask(db, "SELECT mur_subq_get('k', %s, 0)", pr), "more than one row"));
	/* one hash of the set per statement, probed per row */
	shard_exec(db, "CREATE TABLE t (x)");
	shard_exec(db, "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n "
		       "WHERE i < 1000) INSERT INTO t SELECT i FROM n");
	assert_string_equal(ask(db, "SELECT count(*) FROM t WHERE mur_subq_in(x, %s)", plain), "2");
	sqlite3_close(db);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_in_subquery_binds_a_parameter_after_the_statements),
		cmocka_unit_test(test_scalar_subquery),
		cmocka_unit_test(test_correlated_exists_is_a_semijoin),
		cmocka_unit_test(test_derived_table_and_with),
		cmocka_unit_test(test_set_operation_sql),
		cmocka_unit_test(test_set_functions_three_valued),
	};
	return cmocka_run_group_tests(tests, setup_catalog, teardown_catalog);
}
