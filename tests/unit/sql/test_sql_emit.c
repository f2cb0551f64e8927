/*
 * test_sql_emit.c — emit.c's SQLite text for chains of operators: the
 * parentheses it keeps (only where SQLite's precedence would regroup the
 * tree), AND/OR lists as balanced trees, / and % chains folded into one
 * call, integer arithmetic wrapped once per chain of one type in
 * mur_int_chk (22003 on overflow; constants that fit go bare), and that SQLite runs the result of lengths PostgreSQL answers
 * (the cluster test test_exprchain.py compares the answers with
 * PostgreSQL's).
 */
#include "test_sql_common.h"

/* The WHERE of a one-table plan's shard SQL, from "WHERE " on. */
static const char *where_of(const plan *p)
{
	const char *w = strstr(p->u.select.shard_sql, " WHERE ");
	assert_non_null(w);
	return w + 7;
}

static void expect_where(const char *cond, const char *want)
{
	char sql[512];
	plan *p;
	snprintf(sql, sizeof sql, "SELECT id FROM events WHERE %s", cond);
	p = P(sql);
	if (strcmp(where_of(p), want))
		print_error("%s\n  got:  %s\n  want: %s\n", cond, where_of(p), want);
	assert_string_equal(where_of(p), want);
	plan_free(p);
}

static void test_parentheses_only_where_needed(void **state)
{
	/* left-associative: a chain goes out bare, a right-nested group keeps
	 * its parentheses */
	expect_where("user_id - 1 - 2 > user_id - (1 - 2)",
		     "(mur_int_chk((mur_int_chk((\"events\".\"user_id\" - 1), 32) - 2), 32) > "
		     "mur_int_chk((\"events\".\"user_id\" - (1 - 2)), 32))");
	/* each integer step checked (2147483647 + 1 - 1 overflows in the middle) */
	expect_where("(user_id + 1) * (user_id - 1) + 2 * user_id > 0",
		     "(mur_int_chk((mur_int_chk((mur_int_chk((\"events\".\"user_id\" + 1), 32) * "
		     "mur_int_chk((\"events\".\"user_id\" - 1), 32)), 32) + "
		     "mur_int_chk((2 * \"events\".\"user_id\"), 32)), 32) > 0)");
	/* a bigint chain shares one check (an int64 overflow stays a REAL) */
	expect_where("(user_id::bigint + 1) * 2 + 3 > 0",
		     "(mur_int_chk((mur_int_chk((\"events\".\"user_id\" + 1), 64) * 2 + 3), 64) > "
		     "0)");
	/* || binds tighter than + in SQLite, looser in PostgreSQL: the tree
	 * decides (here a cast sits between them) */
	expect_where("kind || 'a' || 'b' = 'x' || (kind || 'y')",
		     "(\"events\".\"kind\" || 'a' || 'b' = 'x' || (\"events\".\"kind\" || 'y'))");
	/* a comparison under a comparison is always parenthesized */
	expect_where("(user_id < 3) = flag",
		     "((\"events\".\"user_id\" < 3) = \"events\".\"flag\")");
	expect_where("flag = (user_id < 3)",
		     "(\"events\".\"flag\" = (\"events\".\"user_id\" < 3))");
	expect_where("(user_id = 3) IS DISTINCT FROM flag",
		     "((\"events\".\"user_id\" = 3) IS NOT \"events\".\"flag\")");
	/* unary minus and NOT stay self-delimited */
	expect_where("-user_id - -user_id < 1",
		     "(mur_int_chk((mur_int_chk((- \"events\".\"user_id\"), 32) - mur_int_chk((- "
		     "\"events\".\"user_id\"), 32)), 32) < 1)");
	/* / and %: one folded call per run of the same function */
	expect_where("user_id / 2 / 3 % 4 % 5 = 0",
		     "(mur_mod(mur_int_chk(mur_div(\"events\".\"user_id\", 2, 3), 32), 4, 5) = 0)");
	expect_where("user_id / (2 / 3) = 0", "(mur_int_chk(mur_div(\"events\".\"user_id\", "
					      "mur_int_chk(mur_div(2, 3), 32)), 32) = 0)");
}

/* "SELECT <n terms joined by sep>" with term i printed by fmt. */
static char *chain_sql(const char *head, const char *fmt, const char *sep, int n)
{
	size_t cap = strlen(head) + (size_t)n * (strlen(fmt) + strlen(sep) + 12) + 1, len;
	char *s = malloc(cap);
	assert_non_null(s);
	len = (size_t)snprintf(s, cap, "%s", head);
	for (int i = 1; i <= n; i++) {
		if (i > 1)
			len += (size_t)snprintf(s + len, cap - len, "%s", sep);
		len += (size_t)snprintf(s + len, cap - len, fmt, i);
	}
	return s;
}

static int max_paren_depth(const char *s)
{
	int d = 0, max = 0;
	for (; *s; s++) {
		if (*s == '(' && ++d > max)
			max = d;
		if (*s == ')')
			d--;
	}
	return max;
}

/* Plan sql on the leader, run it in a SQLite with murphy's functions. */
static const char *run_leader(const char *sql, int *paren_depth)
{
	static char out[4096];
	plan *p = P(sql);
	sqlite3 *db = shard_open();
	assert_int_equal(p->kind, PLAN_LEADER_SELECT);
	if (paren_depth)
		*paren_depth = max_paren_depth(p->leader_sql);
	snprintf(out, sizeof out, "%s", shard_query(db, p->leader_sql));
	sqlite3_close(db);
	plan_free(p);
	return out;
}

static void test_long_chains_run_in_sqlite(void **state)
{
	int depth;
	char *s = chain_sql("SELECT ", "%d", " + ", 900);
	assert_string_equal(run_leader(s, &depth), "405450");
	assert_true(depth <= 2);
	free(s);
	s = chain_sql("SELECT 100000 ", "- %d", " ", 400);
	assert_string_equal(run_leader(s, NULL), "19800");
	free(s);
	s = chain_sql("SELECT ", "'%d'", " || ", 900);
	assert_int_equal(strlen(run_leader(s, NULL)), 9 + 90 * 2 + 801 * 3);
	free(s);
	/* 500 divisions: six folded calls deep, not 500 */
	s = chain_sql("SELECT 1e300::float8 ", "/ 1.5", " ", 500);
	assert_string_equal(run_leader(s, &depth), "9.00265219617394e+211");
	assert_true(depth <= 8);
	free(s);
	/* numeric + and / chains fold the same way (storage/sqlfn_numeric.c) */
	s = chain_sql("SELECT 0.5 ", "+ 1.25", " ", 900);
	assert_string_equal(run_leader(s, &depth), "1125.50");
	assert_true(depth <= 12); /* ceil(900 / 99) calls, not 900 */
	free(s);
}

static void test_bool_lists_are_balanced(void **state)
{
	int depth;
	char *s = chain_sql("SELECT ", "%d > 0", " AND ", 10000);
	assert_string_equal(run_leader(s, &depth), "1");
	assert_true(depth <= 14); /* log2(10000 / 16) + 1 levels */
	free(s);
	s = chain_sql("SELECT ", "%d = 10000", " OR ", 10000);
	assert_string_equal(run_leader(s, NULL), "1");
	free(s);
	/* a short list stays flat */
	plan *p = P("SELECT id FROM events WHERE user_id = 1 OR user_id = 2 OR kind = 'x'");
	assert_string_equal(where_of(p),
			    "((\"events\".\"user_id\" = 1) OR (\"events\".\"user_id\" = 2) "
			    "OR (\"events\".\"kind\" = 'x'))");
	plan_free(p);
}

static void test_shuffle_join_pushed_where_is_balanced(void **state)
{
	char *s = chain_sql("SELECT e.kind, u.name FROM events e JOIN users u ON e.user_id = u.id "
			    "WHERE ",
			    "e.kind <> '%d'", " AND ", 5000);
	plan *p = P(s);
	sqlite3 *db = shard_open();
	const char *side = p->u.select.join_side_sql[0];
	assert_int_equal(p->u.select.join_shuffle, 1);
	assert_non_null(strstr(side, " WHERE (("));
	assert_true(max_paren_depth(side) <= 14);
	shard_exec(db, "CREATE TABLE events (id, user_id, kind, created_at, amount, flag);"
		       "INSERT INTO events VALUES (1, 2, 'k', NULL, NULL, 0)");
	assert_string_equal(shard_query(db, side), "2|k");
	sqlite3_close(db);
	plan_free(p);
	free(s);
}

/* sql_seek_choose: a seek form stays for a small or empty set, is cut
 * for a large one or an unknown parameter, and the rest of the text is
 * kept byte for byte. */
static void test_seek_form_cut_for_large_sets(void **state)
{
	(void)state;
	const char *sql = "SELECT 1 FROM t WHERE (" SQL_SEEK_MARK
			  "1*/\"t\".\"k\" IN (SELECT v FROM "
			  "mur_subq_values(?1)) AND " SQL_SEEK_END
			  "mur_subq_in(\"t\".\"k\", ?1)) AND (" SQL_SEEK_MARK
			  "2*/\"t\".\"j\" IN (SELECT v FROM mur_subq_values(?2)) AND " SQL_SEEK_END
			  "mur_subq_in(\"t\".\"j\", ?2))";
	char big[20000];
	memset(big, 7, sizeof big);
	mur_value small_big[2] = {mur_v_blob("\x01", 1), mur_v_blob(big, sizeof big)};
	mur_value both_small[2] = {mur_v_null(), mur_v_blob("\x01", 1)};
	assert_null(sql_seek_choose(sql, both_small, 2, 16384));
	char *out = sql_seek_choose(sql, small_big, 2, 16384);
	assert_non_null(out);
	assert_string_equal(out, "SELECT 1 FROM t WHERE (" SQL_SEEK_MARK
				 "1*/\"t\".\"k\" IN (SELECT v FROM "
				 "mur_subq_values(?1)) AND " SQL_SEEK_END
				 "mur_subq_in(\"t\".\"k\", ?1)) AND "
				 "(mur_subq_in(\"t\".\"j\", ?2))");
	free(out);
	out = sql_seek_choose(sql, small_big, 1, 16384); /* ?2 unknown: cut */
	assert_non_null(out);
	assert_non_null(strstr(out, "(mur_subq_in(\"t\".\"j\", ?2))"));
	free(out);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parentheses_only_where_needed),
		cmocka_unit_test(test_long_chains_run_in_sqlite),
		cmocka_unit_test(test_bool_lists_are_balanced),
		cmocka_unit_test(test_shuffle_join_pushed_where_is_balanced),
		cmocka_unit_test(test_seek_form_cut_for_large_sets),
	};
	return cmocka_run_group_tests(tests, setup_catalog, teardown_catalog);
}
