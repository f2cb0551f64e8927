/*
 * test_numfmt.c — PostgreSQL's number templates (src/common/numfmt.c,
 * numfmt_in.c) without a cluster: a few answers PostgreSQL 15 gives
 * (tests/cluster/test_to_char_number.py compares many more with a live
 * server), numeric rounding in place (to_char rounds its copy in place;
 * a negative half once lost its sign there), and a seeded loop of random
 * templates and values that must neither crash nor write past what the
 * template can produce.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "common/numfmt.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static char out_text[4096];

/* to_char of numeric text v; the result in out_text, or "ERROR <state>". */
static const char *fmt_num(const char *v, const char *tmpl)
{
	mur_numfmt f;
	mur_num n;
	mur_buf b;
	mur_error err;
	if (mur_numfmt_parse(&f, tmpl, strlen(tmpl), &err) != MUR_OK) {
		snprintf(out_text, sizeof out_text, "ERROR %s", err.sqlstate);
		return out_text;
	}
	mur_num_init(&n);
	assert_int_equal(mur_num_parse(&n, v, strlen(v), &err), MUR_OK);
	mur_buf_init(&b);
	if (mur_numfmt_num(&f, &n, &b, &err) != MUR_OK) {
		snprintf(out_text, sizeof out_text, "ERROR %s", err.sqlstate);
	} else {
		assert_true(b.len < sizeof out_text);
		memcpy(out_text, b.data ? b.data : "", b.len);
		out_text[b.len] = '\0';
	}
	mur_buf_free(&b);
	mur_num_clear(&n);
	mur_numfmt_free(&f);
	return out_text;
}

static void test_postgres_answers(void **state)
{
	(void)state;
	assert_string_equal(fmt_num("-0.5", "999"), "  -1");
	assert_string_equal(fmt_num("0", "S999"), "  +0");
	assert_string_equal(fmt_num("1234.5", "9,999.99PR"), " 1,234.50 ");
	assert_string_equal(fmt_num("-1234.5", "FM9,999.99PR"), "<1,234.5>");
	assert_string_equal(fmt_num("0.5", "FM9.9"), ".5");
	assert_string_equal(fmt_num("0", "FM9.9"), "0.");
	assert_string_equal(fmt_num("9.995", "9.99EEEE"), " 10.00e+00");
	assert_string_equal(fmt_num("485", "RN"), "        CDLXXXV");
	assert_string_equal(fmt_num("999.5", "999"), " ###");
	assert_string_equal(fmt_num("11", "99TH"), " 11TH");
	assert_string_equal(fmt_num("1", "9.9.9"), "ERROR 42601");
	assert_string_equal(fmt_num("1", "S9MI"), "ERROR 42601");
}

static void test_round_in_place_keeps_sign(void **state)
{
	mur_num n;
	mur_error err;
	mur_buf b;
	(void)state;
	mur_num_init(&n);
	assert_int_equal(mur_num_parse(&n, "-0.5", 4, &err), MUR_OK);
	mur_num_round(&n, &n, 0);
	mur_buf_init(&b);
	mur_num_to_text(&n, &b);
	assert_int_equal(b.len, 2);
	assert_memory_equal(b.data, "-1", 2);
	mur_buf_free(&b);
	mur_num_clear(&n);
}

static void test_to_number(void **state)
{
	static const struct {
		const char *text, *tmpl, *want;
	} cases[] = {
		{"-34,338,492", "99G999G999", "-34338492"},
		{"<564646.654564>", "999999.999999PR", "-564646.654564"},
		{"5.01-", "FM9.999999MI", "-5.01"},
		{".01-", "99.99S", "-0.01"},
		{"1,234", "FM9G999", "123"},
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		mur_numfmt f;
		mur_num n;
		mur_buf b;
		mur_error err;
		assert_int_equal(mur_numfmt_parse(&f, cases[i].tmpl, strlen(cases[i].tmpl), &err),
				 MUR_OK);
		mur_num_init(&n);
		assert_int_equal(mur_numfmt_to_number(&f, cases[i].text, strlen(cases[i].text), &n,
						      &err),
				 MUR_OK);
		mur_buf_init(&b);
		mur_num_to_text(&n, &b);
		mur_buf_put_u8(&b, '\0');
		assert_string_equal(b.data, cases[i].want);
		mur_buf_free(&b);
		mur_num_clear(&n);
		mur_numfmt_free(&f);
	}
}

/* Random templates of pattern pieces over numeric, int and float values:
 * every answer is an error or at most a bounded expansion of the template. */
static void test_random_templates(void **state)
{
	static const char *const pieces[] = {"9",  "0",  ".",    ",",  "D",     "G",  "S",    "MI",
					     "PL", "SG", "PR",   "FM", "TH",    "th", "V",    "L",
					     "RN", "rn", "EEEE", " ",  "\"x\"", "B",  "\\\"", "é"};
	static const char *const values[] = {"0",        "-0.5",
					     "1.5",      "-123456789.987654321",
					     "NaN",      "99999999999999999999999",
					     "0.000001", "3999"};
	(void)state;
	srand(19);
	for (int round = 0; round < 20000; round++) {
		char tmpl[256] = "";
		int k = 1 + rand() % 12;
		for (int i = 0; i < k; i++)
			strcat(tmpl, pieces[rand() % (int)(sizeof pieces / sizeof pieces[0])]);
		const char *v = values[rand() % (int)(sizeof values / sizeof values[0])];
		mur_numfmt f;
		mur_error err;
		if (mur_numfmt_parse(&f, tmpl, strlen(tmpl), &err) != MUR_OK)
			continue;
		mur_num n;
		mur_buf b;
		mur_num_init(&n);
		mur_num_parse(&n, v, strlen(v), &err);
		mur_buf_init(&b);
		mur_numfmt_num(&f, &n, &b, &err);
		mur_numfmt_int(&f, rand() % 2 ? INT64_MIN : rand() - RAND_MAX / 2, rand() % 2, &b,
			       &err);
		mur_numfmt_float(&f, rand() % 2 ? 1e300 : -0.0001 * rand(), rand() % 2, &b, &err);
		mur_numfmt_to_number(&f, tmpl, strlen(tmpl), &n, &err);
		assert_true(b.len <= 3 * (strlen(tmpl) * 16 + 64));
		mur_buf_free(&b);
		mur_num_clear(&n);
		mur_numfmt_free(&f);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_postgres_answers),
		cmocka_unit_test(test_round_in_place_keeps_sign),
		cmocka_unit_test(test_to_number),
		cmocka_unit_test(test_random_templates),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
