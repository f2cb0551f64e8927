/*
 * test_json.c — the JSON parser and jsonb writer (src/common/json.c):
 * jsonb_in's normalization (key order by length then bytes, the last
 * duplicate kept, numbers as numeric_out prints them, escapes), json
 * validation and its error SQLSTATEs, jsonb ordering and containment,
 * jsonb_pretty's layout.
 *
 * Expected strings are PostgreSQL 15's answers to the same inputs
 * (tests/cluster/test_json.py checks the same against a live server).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "common/json.h"

#include <stdio.h>
#include <string.h>

/* text parsed (normalize as given) and written back; "ERR:<sqlstate>" on error. */
static const char *round_trip(const char *text, int normalize, int pretty)
{
	static char out[1024];
	mur_json_doc *d = mur_json_doc_new();
	mur_json *j;
	mur_error err;
	mur_buf b;
	mur_buf_init(&b);
	assert_non_null(d);
	if (mur_json_parse(d, text, strlen(text), normalize, &j, &err) != MUR_OK)
		snprintf(out, sizeof out, "ERR:%s", err.sqlstate);
	else {
		mur_json_write(j, pretty, &b);
		assert_true(b.len < sizeof out);
		memcpy(out, b.data, b.len);
		out[b.len] = '\0';
	}
	mur_buf_free(&b);
	mur_json_doc_free(d);
	return out;
}

static void test_jsonb_normalizes(void **state)
{
	(void)state;
	assert_string_equal(round_trip("{\"b\":1,\"aa\":2,\"a\":3,\"a\":4}", 1, 0),
			    "{\"a\": 4, \"b\": 1, \"aa\": 2}");
	assert_string_equal(round_trip(" [1.50, 1e2, -0.5E-1, 0, -0] ", 1, 0),
			    "[1.50, 100, -0.05, 0, 0]");
	assert_string_equal(round_trip("\"\\u00e9\\n\\/\\ud83d\\ude00\"", 1, 0),
			    "\"\xc3\xa9\\n/\xf0\x9f\x98\x80\"");
	assert_string_equal(round_trip("{}", 1, 0), "{}");
	assert_string_equal(round_trip("[[],{}]", 1, 0), "[[], {}]");
}

static void test_bad_input(void **state)
{
	static const char *const bad[] = {
		"",      "{",   "{\"a\" 1}", "[1,]", "01",     "1.",      "tru",
		"[1] x", "\"a", "{a: 1}",    "'a'",  "\"\t\"", "\"\\x\"", "\"\\u12\"",
	};
	(void)state;
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
		assert_string_equal(round_trip(bad[i], 0, 0), "ERR:22P02");
	assert_string_equal(round_trip("\"\\u0000\"", 1, 0), "ERR:22P05");
	assert_string_equal(round_trip("\"\\u0000\"", 0, 0), "\"\\u0000\"");
}

static void test_depth_limit(void **state)
{
	char deep[2 * MUR_JSON_DEPTH_MAX + 8];
	(void)state;
	memset(deep, '[', MUR_JSON_DEPTH_MAX + 1);
	memset(deep + MUR_JSON_DEPTH_MAX + 1, ']', MUR_JSON_DEPTH_MAX + 1);
	deep[2 * MUR_JSON_DEPTH_MAX + 2] = '\0';
	assert_string_equal(round_trip(deep, 1, 0), "ERR:54001");
}

static void test_pretty(void **state)
{
	(void)state;
	assert_string_equal(round_trip("{\"a\": [1, {\"b\": []}], \"c\": {}}", 1, 1),
			    "{\n    \"a\": [\n        1,\n        {\n            \"b\": [\n"
			    "            ]\n        }\n    ],\n    \"c\": {\n    }\n}");
	assert_string_equal(round_trip("[]", 1, 1), "[\n]");
	assert_string_equal(round_trip("1", 1, 1), "1");
}

static int cmp(const char *a, const char *b, int contains)
{
	mur_json_doc *d = mur_json_doc_new();
	mur_json *ja, *jb;
	mur_error err;
	int r;
	assert_int_equal(mur_json_parse(d, a, strlen(a), 1, &ja, &err), MUR_OK);
	assert_int_equal(mur_json_parse(d, b, strlen(b), 1, &jb, &err), MUR_OK);
	r = contains ? mur_json_contains(ja, jb) : mur_json_cmp(ja, jb);
	mur_json_doc_free(d);
	return r;
}

static void test_ordering(void **state)
{
	(void)state;
	/* null < string < number < boolean < array < object */
	assert_true(cmp("null", "\"a\"", 0) < 0);
	assert_true(cmp("\"z\"", "1", 0) < 0);
	assert_true(cmp("100", "true", 0) < 0);
	assert_true(cmp("[1, 2]", "{}", 0) < 0);
	assert_true(cmp("[]", "null", 0) < 0); /* an empty array sorts before a scalar */
	assert_true(cmp("[1]", "1", 0) > 0);
	assert_true(cmp("[9]", "[1, 2]", 0) < 0); /* more elements is greater */
	assert_int_equal(cmp("1.0", "1.00", 0), 0);
	assert_true(cmp("{\"aa\": 1}", "{\"k\": 1}", 0) < 0); /* keys as strings */
}

static void test_containment(void **state)
{
	(void)state;
	assert_true(cmp("{\"a\": 1, \"b\": [1, 2]}", "{\"b\": [2]}", 1));
	assert_false(cmp("{\"a\": 1}", "{\"a\": 2}", 1));
	assert_true(cmp("[1, [2, 3]]", "[[3]]", 1));
	assert_true(cmp("[\"a\", \"b\"]", "\"a\"", 1));
	assert_false(cmp("\"a\"", "[\"a\"]", 1));
	assert_false(cmp("{\"a\": \"x\"}", "\"x\"", 1));
}

static const char *scan(const char *doc, const char *key, long idx)
{
	static char out[256];
	const char *vs;
	size_t vn;
	int r = key ? mur_json_scan_field(doc, strlen(doc), key, strlen(key), &vs, &vn)
		    : mur_json_scan_elem(doc, strlen(doc), idx, &vs, &vn);
	if (r != 1)
		snprintf(out, sizeof out, "%d", r);
	else
		snprintf(out, sizeof out, "=%.*s", (int)vn, vs);
	return out;
}

static void test_scan(void **state)
{
	(void)state;
	assert_string_equal(scan("{\"a\": 1, \"bb\": [1, {\"c\": \"]\"}]}", "bb", 0),
			    "=[1, {\"c\": \"]\"}]");
	assert_string_equal(scan(" { \"a\" : 1 , \"a\" : \"x\\\"y\" } ", "a", 0), "=\"x\\\"y\"");
	assert_string_equal(scan("{\"a\": 1}", "b", 0), "0");
	assert_string_equal(scan("[1, 2]", "a", 0), "0");
	assert_string_equal(scan("{\"a\\u0062\": 1}", "ab", 0), "-1"); /* escaped key */
	assert_string_equal(scan("[true, {\"x\": []}, null]", NULL, 1), "={\"x\": []}");
	assert_string_equal(scan("[1]", NULL, 3), "0");
	assert_string_equal(scan("[1]", NULL, -1), "-1");
	assert_string_equal(scan("{}", "a", 0), "0");
	assert_string_equal(scan("{\"a\": ", "a", 0), "-1");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_jsonb_normalizes),
		cmocka_unit_test(test_bad_input),
		cmocka_unit_test(test_depth_limit),
		cmocka_unit_test(test_pretty),
		cmocka_unit_test(test_ordering),
		cmocka_unit_test(test_containment),
		cmocka_unit_test(test_scan),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
