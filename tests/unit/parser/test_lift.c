/*
 * test_lift.c — a statement's integer literals as parameters
 * (src/parser/lift.c): texts that differ only in their integers share one
 * key, a ';' that ends the text is not part of it, a '-' token is; the
 * lifted tree deparses with $1..$n exactly where the literals were values
 * (an operator's operand, a VALUES row's value, an UPDATE's SET value),
 * and a statement with a literal anywhere else is not lifted at all.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "parser/analyze.h"
#include "parser/parser.h"

#include <stdlib.h>
#include <string.h>

static void test_keys(void **state)
{
	(void)state;
	static sql_lift a, b, c;
	assert_int_equal(sql_lift_scan("UPDATE t SET a = a + 5 WHERE id = 7", &a), 1);
	assert_int_equal(sql_lift_scan("UPDATE t SET a = a + 123 WHERE id = 99999;\n", &b), 1);
	assert_int_equal(a.key_len, b.key_len);
	assert_memory_equal(a.key, b.key, a.key_len);
	assert_true(a.hash == b.hash);
	assert_int_equal(b.n, 2);
	assert_int_equal(b.val[0], 123);
	assert_int_equal(b.val[1], 99999);
	assert_int_equal(b.len, strlen("UPDATE t SET a = a + 123 WHERE id = 99999"));
	assert_int_equal(sql_lift_scan("UPDATE t SET a = a + -5 WHERE id = 7", &c), 1);
	assert_false(c.key_len == a.key_len && memcmp(c.key, a.key, a.key_len) == 0);
	assert_int_equal(sql_lift_scan("SELECT $1", &c), 0);
	assert_int_equal(sql_lift_scan("SELECT $$x$$", &c), 0);
	assert_int_equal(sql_lift_scan("SELECT 1 /* c */", &c), 0);
}

/* sql lifted and deparsed; NULL when not lifted. */
static char *lifted(const char *sql, uint8_t *negated)
{
	static sql_lift l;
	sql_tree *t = NULL;
	mur_error err;
	char *out = NULL;
	assert_int_equal(sql_lift_scan(sql, &l), 1);
	int rc = sql_parse_lift(sql, &l, &t, negated, &err);
	assert_true(rc == MUR_OK || rc == SQL_LIFT_NONE);
	if (rc == MUR_OK) {
		PgQuery__ParseResult *r = sql_tree_result(t);
		PgQueryProtobuf pb;
		pb.len = pg_query__parse_result__get_packed_size(r);
		pb.data = malloc(pb.len);
		pg_query__parse_result__pack(r, (uint8_t *)pb.data);
		PgQueryDeparseResult d = pg_query_deparse_protobuf(pb);
		assert_null(d.error);
		out = strdup(d.query);
		pg_query_free_deparse_result(d);
		free(pb.data);
	}
	sql_tree_free(t);
	return out;
}

static void test_values_become_parameters(void **state)
{
	(void)state;
	uint8_t neg[SQL_LIFT_MAX];
	char *s = lifted("UPDATE t SET a = a + -5 WHERE id = 7", neg);
	assert_string_equal(s, "UPDATE t SET a = a + $1 WHERE id = $2");
	assert_int_equal(neg[0], 1);
	assert_int_equal(neg[1], 0);
	free(s);
	s = lifted("INSERT INTO t (a, b) VALUES (1, 2), (3, - 4)", neg);
	assert_string_equal(s, "INSERT INTO t (a, b) VALUES ($1, $2), ($3, $4)");
	assert_int_equal(neg[3], 1);
	free(s);
	s = lifted("UPDATE t SET a = 5, b = 'x' WHERE id = 6 AND c > 1.5", neg);
	assert_string_equal(s, "UPDATE t SET a = $1, b = 'x' WHERE id = $2 AND c > 1.5");
	free(s);
	s = lifted("SELECT abalance FROM t WHERE aid = 56789", neg);
	assert_string_equal(s, "SELECT abalance FROM t WHERE aid = $1");
	free(s);
	s = lifted("BEGIN", neg);
	assert_string_equal(s, "BEGIN");
	free(s);
}

static void test_other_places_keep_the_statement_as_it_is(void **state)
{
	(void)state;
	uint8_t neg[SQL_LIFT_MAX];
	const char *kept[] = {
		"SELECT a FROM t WHERE id = 1 ORDER BY 1",
		"SELECT a FROM t GROUP BY 1",
		"SELECT a FROM t WHERE id = 2 LIMIT 5",
		"SELECT 5",
		"SELECT abs(5) FROM t",
		"SELECT a::varchar(5) FROM t WHERE id = 3",
		"SELECT a FROM t WHERE a IN (1, 2)",
		"SELECT a FROM t WHERE a BETWEEN 1 AND 2",
		"SELECT CASE WHEN a = 1 THEN 2 END FROM t",
		"SELECT a FROM t WHERE a = 5::bigint",
		"EXPLAIN SELECT a FROM t WHERE a = 1",
		"INSERT INTO t SELECT 1",
		"SET statement_timeout = 5",
		"CREATE TABLE x (a float(24))",
	};
	for (size_t i = 0; i < sizeof kept / sizeof kept[0]; i++) {
		char *s = lifted(kept[i], neg);
		if (s)
			fail_msg("%s was lifted: %s", kept[i], s);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_keys),
		cmocka_unit_test(test_values_become_parameters),
		cmocka_unit_test(test_other_places_keep_the_statement_as_it_is),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
