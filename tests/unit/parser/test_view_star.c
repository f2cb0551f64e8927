/*
 * test_view_star.c — the pure pieces of CREATE VIEW's `*` expansion
 * (src/parser/analyze_view_star.c) and of the column uses ALTER TABLE
 * reads from a view's text (src/parser/view_uses.c): where a `t.*` ends in
 * the text, names quoted as quote_ident, the text rewritten from recorded
 * stars, the select-list stars of a parse, and which columns a text uses.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "common/ident.h"
#include "parser/analyze.h"
#include "parser/parser.h"

#include <stdio.h>
#include <string.h>

static void test_star_span_end(void **state)
{
	(void)state;
	assert_int_equal(sql_star_span_end("SELECT * FROM t", 7), 8);
	assert_int_equal(sql_star_span_end("SELECT t.* FROM t", 7), 10);
	assert_int_equal(sql_star_span_end("SELECT \"a.b\" . * FROM t", 7), 16);
	assert_int_equal(sql_star_span_end("SELECT \"x\"\"*\".* FROM t", 7), 15);
	assert_int_equal(sql_star_span_end("SELECT s.t.*, 1", 7), 12);
	/* a comment, or no star at all: not a plain t.* */
	assert_int_equal(sql_star_span_end("SELECT t./**/* FROM t", 7), -1);
	assert_int_equal(sql_star_span_end("SELECT t", 7), -1);
	assert_int_equal(sql_star_span_end("SELECT \"t", 7), -1);
	assert_int_equal(sql_star_span_end("SELECT *", -1), -1);
}

static const char *quoted(const char *name)
{
	static char out[128];
	mur_buf b;
	mur_buf_init(&b);
	mur_ident_put(&b, name);
	snprintf(out, sizeof out, "%s", mur_buf_cstr(&b));
	mur_buf_free(&b);
	return out;
}

static void test_ident_quoted_as_quote_ident(void **state)
{
	(void)state;
	assert_string_equal(quoted("abc_1"), "abc_1");
	assert_string_equal(quoted("Abc"), "\"Abc\"");
	assert_string_equal(quoted("select"), "\"select\"");
	assert_string_equal(quoted("1a"), "\"1a\"");
	assert_string_equal(quoted("a\"b"), "\"a\"\"b\"");
	assert_string_equal(quoted("?column?"), "\"?column?\"");
}

/* text from off on, stars at locs replaced by what s holds. */
static void rewrite(const char *text, int off, const int *locs, int n, const sql_view_stars *s,
		    const char *want)
{
	mur_buf b;
	mur_buf_init(&b);
	assert_int_equal(sql_view_star_rewrite(text, off, (int)strlen(text), locs, n, s, &b),
			 MUR_OK);
	assert_string_equal(mur_buf_cstr(&b), want);
	mur_buf_free(&b);
}

static void test_rewrite(void **state)
{
	static sql_star_name t_ab[] = {{"t", "a"}, {"t", "B c"}};
	static sql_star_name merged[] = {{NULL, "k"}, {"u", "v"}};
	sql_view_stars s = {.n = 2};
	const char *text = "CREATE VIEW v AS SELECT *, x.* FROM t, (SELECT 1) x";
	int off = (int)(strstr(text, "SELECT") - text);
	int star1 = (int)(strstr(text, "*") - text), star2 = (int)(strstr(text, "x.*") - text);
	int locs[] = {star1, star2};
	(void)state;
	s.star[0] = (sql_view_star){.loc = star1, .n = 2, .cols = t_ab};
	s.star[1] = (sql_view_star){.loc = star2, .n = 2, .cols = merged};
	rewrite(text, off, locs, 2, &s, "SELECT t.a, t.\"B c\", k, u.v FROM t, (SELECT 1) x");
	/* a star nothing recorded (EXISTS (SELECT * ...)) keeps its text */
	s.n = 1;
	rewrite(text, off, locs, 2, &s, "SELECT t.a, t.\"B c\", x.* FROM t, (SELECT 1) x");
	s.n = 0;
	rewrite(text, off, locs, 2, &s, "SELECT *, x.* FROM t, (SELECT 1) x");
}

static void test_star_locs(void **state)
{
	const char *sql = "SELECT *, t.a FROM t WHERE EXISTS (SELECT * FROM u) "
			  "UNION SELECT u.* FROM (SELECT count(*) FROM w) u";
	sql_tree *tree = NULL;
	mur_error err;
	int locs[8], unrecorded;
	static sql_star_name one[] = {{"t", "a"}};
	sql_view_stars s = {.n = 1};
	(void)state;
	mur_error_clear(&err);
	assert_int_equal(sql_parse(sql, &tree, &err), MUR_OK);
	PgQuery__Node *stmt = sql_tree_result(tree)->stmts[0]->stmt;
	s.star[0] = (sql_view_star){.loc = 7, .n = 1, .cols = one};
	/* count(*) is no select-list star; EXISTS's is one, outside nothing */
	assert_int_equal(sql_view_star_locs(stmt, &s, locs, 8, &unrecorded), 3);
	assert_int_equal(unrecorded, (int)(strstr(sql, "u.*") - sql));
	assert_int_equal(sql_view_star_locs(stmt, &s, locs, 2, &unrecorded), -1);
	sql_tree_free(tree);
}

/* *unrecorded for sql when nothing was recorded. */
static int first_unrecorded(const char *sql)
{
	sql_tree *tree = NULL;
	mur_error err;
	int locs[8], unrecorded;
	sql_view_stars none = {.n = 0};
	mur_error_clear(&err);
	assert_int_equal(sql_parse(sql, &tree, &err), MUR_OK);
	assert_true(sql_view_star_locs(sql_tree_result(tree)->stmts[0]->stmt, &none, locs, 8,
				       &unrecorded) >= 0);
	sql_tree_free(tree);
	return unrecorded;
}

static void test_unread_stars(void **state)
{
	const char *chain = "WITH w AS (SELECT * FROM t), v AS (SELECT * FROM w) SELECT a FROM w";
	(void)state;
	/* a WITH query no FROM names, a sublink's query: nobody reads them */
	assert_int_equal(first_unrecorded("WITH w AS (SELECT * FROM t) SELECT 1"), -1);
	assert_int_equal(first_unrecorded(chain), (int)(strchr(chain, '*') - chain));
	assert_int_equal(first_unrecorded("SELECT 1 WHERE EXISTS (SELECT * FROM t)"), -1);
	assert_int_equal(first_unrecorded("SELECT * FROM t"), 7);
	/* a FROM naming it with a schema is another relation */
	assert_int_equal(first_unrecorded("WITH w AS (SELECT * FROM t) SELECT 1 FROM s.w"), -1);
}

static void test_view_uses_column(void **state)
{
	(void)state;
	assert_true(sql_view_uses_column("SELECT a FROM t", "public", "t", "a"));
	assert_false(sql_view_uses_column("SELECT a FROM t", "public", "t", "b"));
	assert_true(sql_view_uses_column("SELECT x.b FROM t x", "public", "t", "b"));
	/* another table's column of that name, qualified: not t's */
	assert_false(
		sql_view_uses_column("SELECT u.b FROM t JOIN u ON t.a = u.a", "public", "t", "b"));
	/* a bare name may be t's */
	assert_true(
		sql_view_uses_column("SELECT b FROM t JOIN u ON t.a = u.a", "public", "t", "b"));
	assert_true(sql_view_uses_column("SELECT 1 FROM t JOIN u USING (k)", "public", "t", "k"));
	assert_true(sql_view_uses_column("SELECT 1 FROM t NATURAL JOIN u", "public", "t", "z"));
	/* *, t.*, a whole row, a column alias list: every column */
	assert_true(sql_view_uses_column("SELECT * FROM t", "public", "t", "z"));
	assert_true(sql_view_uses_column("SELECT x.* FROM t x", "public", "t", "z"));
	assert_false(sql_view_uses_column("SELECT u.* FROM t, u", "public", "t", "z"));
	assert_true(sql_view_uses_column("SELECT row_to_json(x) FROM t x", "public", "t", "z"));
	assert_true(sql_view_uses_column("SELECT p FROM t AS x (p)", "public", "t", "z"));
	assert_true(sql_view_uses_column("SELECT 1 WHERE EXISTS (SELECT * FROM t)", "public", "t",
					 "z"));
	/* count(*) reads no column; a table of that name in another schema */
	assert_false(sql_view_uses_column("SELECT count(*) FROM t", "public", "t", "z"));
	assert_false(sql_view_uses_column("SELECT y.z FROM s2.t y", "public", "t", "z"));
	assert_true(
		sql_view_uses_column("SELECT j.z FROM (t JOIN u ON true) j", "public", "t", "z"));
	/* a text that does not parse: every column */
	assert_true(sql_view_uses_column("SELECT FROM FROM", "public", "t", "z"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_star_span_end),
		cmocka_unit_test(test_ident_quoted_as_quote_ident),
		cmocka_unit_test(test_rewrite),
		cmocka_unit_test(test_star_locs),
		cmocka_unit_test(test_unread_stars),
		cmocka_unit_test(test_view_uses_column),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
