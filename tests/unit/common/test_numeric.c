/*
 * test_numeric.c — exact decimal arithmetic (src/common/numeric.c): text
 * in and out with the scale kept, PostgreSQL's result scales (division's
 * select_div_scale), rounding half away from zero, numeric(p,s) and 22003,
 * value comparison of the text form, normalization for hashing.
 *
 * Expected strings are PostgreSQL 15's answers to the same expressions
 * (tests/cluster/test_numeric.py checks the same against a live server).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "common/numeric.h"

#include <stdio.h>
#include <string.h>

static const char *text_of(const mur_num *a)
{
	static char out[2048];
	mur_buf b;
	mur_buf_init(&b);
	mur_num_to_text(a, &b);
	assert_true(b.len < sizeof out);
	memcpy(out, b.data ? b.data : "", b.len);
	out[b.len] = '\0';
	mur_buf_free(&b);
	return out;
}

static void parse(mur_num *a, const char *s)
{
	mur_error err;
	if (mur_num_parse(a, s, strlen(s), &err) != MUR_OK)
		fail_msg("'%s': %s %s", s, err.sqlstate, err.message);
}

typedef enum { ADD, SUB, MUL, DIV, MOD } op;

static void check_op(const char *x, op o, const char *y, const char *want)
{
	mur_num a, b, r;
	mur_error err;
	mur_num_init(&a);
	mur_num_init(&b);
	mur_num_init(&r);
	parse(&a, x);
	parse(&b, y);
	switch (o) {
	case ADD:
		mur_num_add(&r, &a, &b);
		break;
	case SUB:
		mur_num_sub(&r, &a, &b);
		break;
	case MUL:
		mur_num_mul(&r, &a, &b);
		break;
	case DIV:
		assert_int_equal(mur_num_div(&r, &a, &b, &err), MUR_OK);
		break;
	case MOD:
		assert_int_equal(mur_num_mod(&r, &a, &b, &err), MUR_OK);
		break;
	}
	if (strcmp(text_of(&r), want))
		fail_msg("%s op%d %s: got %s want %s", x, (int)o, y, text_of(&r), want);
	mur_num_clear(&a);
	mur_num_clear(&b);
	mur_num_clear(&r);
}

static void test_text_io(void **state)
{
	(void)state;
	static const char *const cases[][2] = {
		{"12345678901234567890.123456789", "12345678901234567890.123456789"},
		{"1.50", "1.50"},
		{"-0.00", "0.00"},
		{" +7 ", "7"},
		{"1e3", "1000"},
		{"1.5e-3", "0.0015"},
		{".5", "0.5"},
		{"5.", "5"},
		{"-0.001", "-0.001"},
	};
	mur_num a;
	mur_num_init(&a);
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		parse(&a, cases[i][0]);
		assert_string_equal(text_of(&a), cases[i][1]);
	}
	mur_error err;
	assert_int_equal(mur_num_parse(&a, "abc", 3, &err), MUR_ERR);
	assert_string_equal(err.sqlstate, "22P02");
	assert_int_equal(mur_num_parse(&a, "1e2000", 6, &err), MUR_ERR);
	assert_string_equal(err.sqlstate, "22003");
	assert_int_equal(mur_num_parse(&a, "Infinity", 8, &err), MUR_ERR);
	assert_string_equal(err.sqlstate, "0A000");
	assert_int_equal(mur_num_parse(&a, " nan ", 5, &err), MUR_OK);
	assert_true(a.nan);
	assert_string_equal(text_of(&a), "NaN");
	assert_int_equal(mur_num_parse(&a, "12.5", 4, &err), MUR_OK);
	assert_false(a.nan);
	mur_num_clear(&a);
}

static void test_scales(void **state)
{
	(void)state;
	check_op("1.50", ADD, "2.250", "3.750");
	check_op("1.50", SUB, "2", "-0.50");
	check_op("1.5", MUL, "2.25", "3.375");
	check_op("10", DIV, "3.0", "3.3333333333333333");
	check_op("1", DIV, "3", "0.33333333333333333333");
	check_op("2.0", DIV, "3", "0.66666666666666666667");
	check_op("3", DIV, "2", "1.5000000000000000");
	check_op("1.000000", DIV, "8", "0.12500000000000000000");
	check_op("7.5", MOD, "2", "1.5");
	check_op("-7.5", MOD, "2", "-1.5");
	check_op("10", MOD, "3.25", "0.25");
}

static void test_round_and_typmod(void **state)
{
	(void)state;
	mur_num a, r;
	mur_error err;
	mur_num_init(&a);
	mur_num_init(&r);
	parse(&a, "1.005");
	assert_int_equal(mur_num_apply_typmod(&a, MUR_NUM_TYPMOD(10, 2), &err), MUR_OK);
	assert_string_equal(text_of(&a), "1.01");
	parse(&a, "-1.005");
	assert_int_equal(mur_num_apply_typmod(&a, MUR_NUM_TYPMOD(10, 2), &err), MUR_OK);
	assert_string_equal(text_of(&a), "-1.01");
	parse(&a, "99.995");
	assert_int_equal(mur_num_apply_typmod(&a, MUR_NUM_TYPMOD(4, 2), &err), MUR_ERR);
	assert_string_equal(err.sqlstate, "22003");
	assert_string_equal(err.message, "numeric field overflow");
	parse(&a, "1234.5");
	mur_num_round(&r, &a, -2);
	assert_string_equal(text_of(&r), "1200");
	parse(&a, "-2.5");
	mur_num_round(&r, &a, 0);
	assert_string_equal(text_of(&r), "-3");
	parse(&a, "-1.99");
	mur_num_trunc(&r, &a, 0);
	assert_string_equal(text_of(&r), "-1");
	parse(&a, "-1.5");
	mur_num_floor(&r, &a);
	assert_string_equal(text_of(&r), "-2");
	mur_num_ceil(&r, &a);
	assert_string_equal(text_of(&r), "-1");
	mur_num_clear(&a);
	mur_num_clear(&r);
}

/* sqrt rounds to its scale; variance as PostgreSQL's numeric (its scale
 * from the division's, 0 for a non-positive numerator); canonical text. */
static void test_sqrt_variance_canon(void **state)
{
	(void)state;
	mur_num a, r, sum, sq;
	mur_error err;
	mur_buf b;
	mur_num_init(&a);
	mur_num_init(&r);
	mur_num_init(&sum);
	mur_num_init(&sq);
	parse(&a, "2");
	assert_int_equal(mur_num_sqrt(&r, &a, 10, &err), MUR_OK);
	assert_string_equal(text_of(&r), "1.4142135624");
	parse(&a, "0.0001");
	assert_int_equal(mur_num_sqrt(&r, &a, 4, &err), MUR_OK);
	assert_string_equal(text_of(&r), "0.0100");
	parse(&a, "-1");
	assert_int_equal(mur_num_sqrt(&r, &a, 2, &err), MUR_ERR);
	assert_string_equal(err.sqlstate, "2201F");
	parse(&sum, "7"); /* 1, 2, 4 */
	parse(&sq, "21");
	assert_int_equal(mur_num_variance(&r, &sum, &sq, 3, 0, 0, &err), MUR_OK);
	assert_string_equal(text_of(&r), "2.3333333333333333");
	assert_int_equal(mur_num_variance(&r, &sum, &sq, 3, 1, 1, &err), MUR_OK);
	assert_string_equal(text_of(&r), "1.2472191289246471"); /* PostgreSQL 15 */
	parse(&sum, "3.0");                                     /* 1.5, 1.5 */
	parse(&sq, "4.50");
	assert_int_equal(mur_num_variance(&r, &sum, &sq, 2, 0, 0, &err), MUR_OK);
	assert_string_equal(text_of(&r), "0");
	mur_buf_init(&b);
	mur_num_text_canon("-001.2300", 9, &b);
	mur_num_text_canon(",", 1, &b);
	mur_num_text_canon("-0.000", 6, &b);
	mur_num_text_canon(",", 1, &b);
	mur_num_text_canon("1e3", 3, &b);
	assert_int_equal(b.len, strlen("-1.23,0,1000"));
	assert_memory_equal(b.data, "-1.23,0,1000", b.len);
	mur_buf_free(&b);
	mur_num_clear(&a);
	mur_num_clear(&r);
	mur_num_clear(&sum);
	mur_num_clear(&sq);
}

static void test_text_cmp_and_normalize(void **state)
{
	(void)state;
	assert_int_equal(mur_num_text_cmp("1.0", 3, "1.00", 4), 0);
	assert_true(mur_num_text_cmp("-1", 2, "0.5", 3) < 0);
	assert_true(mur_num_text_cmp("10", 2, "9.99", 4) > 0);
	assert_true(mur_num_text_cmp("-10", 3, "-9", 2) < 0);
	assert_int_equal(mur_num_text_cmp("0.00", 4, "-0", 2), 0);
	assert_true(mur_num_text_cmp("1e3", 3, "999.5", 5) > 0); /* parsed path */
	mur_num a;
	mur_num_init(&a);
	parse(&a, "1.500");
	mur_num_normalize(&a);
	assert_string_equal(text_of(&a), "1.5");
	parse(&a, "0.00");
	mur_num_normalize(&a);
	assert_string_equal(text_of(&a), "0");
	mur_num_clear(&a);
	/* 1.0, 1.00 and 1 hash alike as numeric, not as text */
	mur_value x = mur_v_text("1.0", 3), y = mur_v_text("1.00", 4), z = mur_v_int(1);
	assert_true(mur_value_hash_typed(MT_NUMERIC, &x) == mur_value_hash_typed(MT_NUMERIC, &y));
	assert_true(mur_value_hash_typed(MT_NUMERIC, &x) == mur_value_hash_typed(MT_NUMERIC, &z));
	assert_true(mur_value_hash_typed(MT_TEXT, &x) != mur_value_hash_typed(MT_TEXT, &y));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_text_io),
		cmocka_unit_test(test_scales),
		cmocka_unit_test(test_round_and_typmod),
		cmocka_unit_test(test_text_cmp_and_normalize),
		cmocka_unit_test(test_sqrt_variance_canon),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
