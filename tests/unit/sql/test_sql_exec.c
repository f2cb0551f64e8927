/*
 * test_sql_exec.c — run emitted SQL in a one-"shard" SQLite with murphy's
 * functions registered and check PostgreSQL semantics end to end: integer
 * division, division by zero, casts, LIKE case sensitivity, three-valued
 * logic, NULL ordering, byte-order text comparison, date functions, text
 * functions, INSERT values.
 */
#include "test_sql_common.h"

static sqlite3 *db;

static int setup(void **state)
{
	setup_catalog(state);
	db = shard_open();
	shard_exec(db,
		   "CREATE TABLE main.events (id INTEGER PRIMARY KEY, user_id INTEGER, kind TEXT, "
		   "created_at TEXT, amount REAL, flag INTEGER) STRICT");
	shard_exec(db,
		   "INSERT INTO events VALUES (1, 10, 'a', '2024-03-01 10:00:00', 1.5, 1), "
		   "(2, NULL, 'B', '2024-03-02 11:30:00', 2.5, 0), (3, 5, NULL, NULL, NULL, NULL)");
	return 0;
}

static int teardown(void **state)
{
	sqlite3_close(db);
	return teardown_catalog(state);
}

/* Plan a leader-only SELECT and run it. */
static const char *L(const char *sql)
{
	plan *p = P(sql);
	static char out[4096];
	assert_int_equal(p->kind, PLAN_LEADER_SELECT);
	snprintf(out, sizeof out, "%s", shard_query(db, p->leader_sql));
	plan_free(p);
	return out;
}

/* Plan a SELECT over events and run its shard_sql. */
static const char *S(const char *sql)
{
	plan *p = P(sql);
	static char out[4096];
	assert_int_equal(p->kind, PLAN_SELECT);
	snprintf(out, sizeof out, "%s", shard_query(db, p->u.select.shard_sql));
	plan_free(p);
	return out;
}

static void test_arithmetic(void **state)
{
	assert_string_equal(L("SELECT 7 / 2, -7 / 2, 7 % 3, 7.0 / 2, 2 + 3 * 4, -(3)"),
			    "3|-3|1|3.5000000000000000|14|-3"); /* numeric: PostgreSQL's scale */
	assert_string_equal(L("SELECT 1 / 0"), "ERR:SQLSTATE:22012:division by zero");
	assert_string_equal(L("SELECT 1.5 / 0"), "ERR:SQLSTATE:22012:division by zero");
	assert_string_equal(L("SELECT 5 % 0"), "ERR:SQLSTATE:22012:division by zero");
	assert_string_equal(L("SELECT mod(7, 3), abs(-3), power(2, 10), sqrt(16)"),
			    "1|3|1024.0|4.0");
	assert_string_equal(L("SELECT sqrt(-1)"),
			    "ERR:SQLSTATE:2201F:cannot take square root of a negative number");
	assert_string_equal(L("SELECT round(2.5), round(2.5::float8), round(2.675, 2), ceil(1.2), "
			      "floor(-1.2), trunc(-1.7)"),
			    "3|2.0|2.68|2|-2|-1"); /* numeric results are exact TEXT */
	assert_string_equal(S("SELECT user_id / 3 FROM events WHERE id = 1"), "3");
}

static void test_casts(void **state)
{
	assert_string_equal(L("SELECT '12'::int + 1, 3.7::int, 2.5::int, (-2.5)::int, 10::text || "
			      "'x', "
			      "true::text, '2024-3-5'::date"),
			    "13|4|3|-3|10x|true|2024-03-05");
	assert_string_equal(L("SELECT CAST('t' AS bool), 'x' || 1.5, 1 || 'x'"), "1|x1.5|1x");
	assert_string_equal(S("SELECT kind::int FROM events WHERE id = 1"),
			    "ERR:SQLSTATE:22P02:invalid input syntax for type integer: \"a\"");
}

static void test_like(void **state)
{
	assert_string_equal(L("SELECT 'abc' LIKE 'A%', 'abc' LIKE 'a%', 'ABC' ILIKE 'a_c', "
			      "'a%c' LIKE 'a\\%c', 'abc' NOT LIKE 'a_', 'x_y' LIKE 'x#_y' ESCAPE "
			      "'#'"),
			    "0|1|1|1|1|1");
	assert_string_equal(S("SELECT id FROM events WHERE kind LIKE 'b%'"), "");
	assert_string_equal(S("SELECT id FROM events WHERE kind ILIKE 'b%'"), "2");
}

static void test_three_valued_logic(void **state)
{
	assert_string_equal(L("SELECT NULL AND false, NULL OR true, (NOT NULL::bool) IS NULL, "
			      "1 IN (2, NULL), 1 NOT IN (2, NULL), NULL = NULL"),
			    "0|1|1|N|N|N");
	assert_string_equal(L("SELECT 2 BETWEEN 1 AND 3, 2 NOT BETWEEN 1 AND 3, NULL IS DISTINCT "
			      "FROM 1, "
			      "NULL IS NOT DISTINCT FROM NULL, 5 BETWEEN SYMMETRIC 9 AND 1"),
			    "1|0|1|1|1");
	assert_string_equal(S("SELECT id FROM events WHERE NOT flag"), "2");
	assert_string_equal(S("SELECT id FROM events WHERE flag IS NOT TRUE ORDER BY id LIMIT 5"),
			    "2;3");
}

static void test_null_ordering_and_bytes(void **state)
{
	/* the sort key rides along as a hidden column for the leader's final sort */
	assert_string_equal(S("SELECT id FROM events ORDER BY user_id LIMIT 10"), "3|5;1|10;2|N");
	assert_string_equal(S("SELECT id FROM events ORDER BY user_id DESC LIMIT 10"),
			    "2|N;1|10;3|5");
	assert_string_equal(S("SELECT id, user_id FROM events ORDER BY 2 NULLS FIRST LIMIT 10"),
			    "2|N;3|5;1|10");
	/* C collation: 'B' (0x42) sorts before 'a' (0x61) */
	assert_string_equal(S("SELECT id, kind FROM events ORDER BY kind LIMIT 10"), "2|B;1|a;3|N");
	assert_string_equal(S("SELECT id FROM events WHERE kind < 'a'"), "2");
}

static void test_dates(void **state)
{
	assert_string_equal(L("SELECT date_trunc('month', '2024-03-15 10:11:12'::timestamp), "
			      "extract(year from '2024-03-15'::date), '2024-03-01'::date + 30, "
			      "'2024-03-15'::date - '2024-03-01'::date, "
			      "date_part('dow', '2024-03-17 00:00:00'::timestamp)"),
			    "2024-03-01 00:00:00|2024|2024-03-31|14|0");
	assert_string_equal(
		L("SELECT date_trunc('hour', '2024-03-15 10:11:12.5'::timestamp), "
		  "extract(epoch from '1970-01-02 00:00:00'::timestamp), "
		  "date_trunc('week', '2024-03-17 08:00:00'::timestamp)"),
		"2024-03-15 10:00:00|86400.000000|2024-03-11 00:00:00"); /* numeric, as PostgreSQL 14+ */
	assert_string_equal(S("SELECT id FROM events WHERE created_at >= '2024-03-02' ORDER BY id "
			      "LIMIT 9"),
			    "2");
	assert_string_equal(S("SELECT date_trunc('day', created_at) FROM events WHERE id = 2"),
			    "2024-03-02 00:00:00");
	{ /* now() is UTC canonical text */
		const char *now = L("SELECT now(), current_date");
		assert_int_equal(now[4], '-');
		assert_int_equal(now[10], ' ');
	}
}

static void test_text_functions(void **state)
{
	assert_string_equal(L("SELECT substr('hello', 2, 3), substr('hello', -1, 3), left('hello', "
			      "-2), "
			      "right('hello', 2), position('l' in 'hello'), upper('abc'), trim('  "
			      "x  '), "
			      "replace('aXbX', 'X', '-'), concat('a', NULL, 1), length('héllo')"),
			    "ell|h|hel|lo|3|ABC|x|a-b-|a1|5");
	assert_string_equal(L("SELECT greatest(1, NULL, 3), least('b', 'a'), coalesce(NULL, 2), "
			      "nullif(1, 1), "
			      "CASE WHEN 1 > 2 THEN 'a' ELSE 'b' END, CASE 2 WHEN 1 THEN 'x' WHEN "
			      "2 THEN 'y' END"),
			    "3|a|2|N|b|y");
	assert_string_equal(L("SELECT substring('hello' from 2 for 2), btrim('xxhixx', 'x'), "
			      "strpos('abc', 'c')"),
			    "el|hi|3");
}

static void test_aggregates_on_shard(void **state)
{
	assert_string_equal(S("SELECT count(*), sum(user_id), avg(amount), bool_and(flag), "
			      "max(kind) "
			      "FROM events WHERE id = 1"),
			    "1|10|1.50000000000000000000|1|a"); /* avg(numeric), exact */
	/* scatter shard_sql yields group/argument columns for the hash aggregate */
	assert_string_equal(S("SELECT kind, count(*) FROM events GROUP BY kind"), "a;B;N");
}

static void test_insert_values(void **state)
{
	plan *p = P("INSERT INTO events (id, user_id, kind, created_at, amount, flag) "
		    "VALUES (4, '7', 'x', '2024-01-02', 1.5, 't'), (5, DEFAULT, upper('y'), now(), "
		    "2, false)");
	const char *rows = shard_query(db, p->u.insert.values_sql);
	assert_int_equal(strncmp(rows, "4|7|x|2024-01-02 00:00:00|1.5|1;5|N|Y|", 38), 0);
	plan_free(p);
	p = P("INSERT INTO other VALUES (1)");
	assert_string_equal(shard_query(db, p->u.insert.values_sql), "1|42");
	plan_free(p);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_arithmetic),
		cmocka_unit_test(test_casts),
		cmocka_unit_test(test_like),
		cmocka_unit_test(test_three_valued_logic),
		cmocka_unit_test(test_null_ordering_and_bytes),
		cmocka_unit_test(test_dates),
		cmocka_unit_test(test_text_functions),
		cmocka_unit_test(test_aggregates_on_shard),
		cmocka_unit_test(test_insert_values),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
