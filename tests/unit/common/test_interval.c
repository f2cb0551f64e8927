/*
 * test_interval.c — the interval type (src/common/interval.c): text in and
 * out as PostgreSQL 15 answers, the stored form's order (span key) and its
 * round trip, interval_mul's spill of fractions, justify_*, and timestamp
 * + interval clamping to the month's end.
 *
 * tests/cluster/test_types2.py checks the same against a live server.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "common/interval.h"

#include <string.h>

static mur_interval parse(const char *s)
{
	mur_interval iv;
	mur_error err;
	if (mur_iv_parse(s, strlen(s), &iv, &err) != MUR_OK)
		fail_msg("'%s': %s %s", s, err.sqlstate, err.message);
	return iv;
}

static void assert_out(const mur_interval *iv, const char *want)
{
	mur_buf b;
	mur_buf_init(&b);
	mur_iv_out(iv, &b);
	mur_buf_put_u8(&b, 0);
	assert_string_equal(b.data, want);
	mur_buf_free(&b);
}

static void test_in_out(void **state)
{
	static const char *const cases[][2] = {
		{"1 day 2 hours", "1 day 02:00:00"},
		{"1.5 months", "1 mon 15 days"},
		{"@ 1 hour ago", "-01:00:00"},
		{"P1Y2M3DT4H5M6.5S", "1 year 2 mons 3 days 04:05:06.5"},
		{"-1 year -2 mons +3 days -04:05:06", "-1 years -2 mons +3 days -04:05:06"},
		{"-1 days +02:00:00", "-1 days +02:00:00"},
		{"0", "00:00:00"},
		{"1.5 years", "1 year 6 mons"},
	};
	(void)state;
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		mur_interval iv = parse(cases[i][0]);
		assert_out(&iv, cases[i][1]);
	}
}

static void test_bad_input(void **state)
{
	mur_interval iv;
	mur_error err;
	(void)state;
	assert_int_equal(mur_iv_parse("1 fortnight", 11, &iv, &err), MUR_ERR);
	assert_string_equal(err.sqlstate, "22007");
	assert_int_equal(mur_iv_parse("1:99:00", 7, &iv, &err), MUR_ERR);
	assert_string_equal(err.sqlstate, "22015");
}

static const char *stored(const char *text, char *buf)
{
	mur_interval iv = parse(text), back;
	mur_buf b;
	mur_buf_init(&b);
	mur_iv_store(&iv, &b);
	assert_int_equal(mur_iv_load(b.data, b.len, &back), MUR_OK);
	assert_memory_equal(&iv, &back, sizeof iv);
	memcpy(buf, b.data, b.len);
	buf[b.len] = '\0';
	mur_buf_free(&b);
	return buf;
}

static void test_stored_form_orders_by_span(void **state)
{
	char a[96], b[96];
	(void)state;
	/* the key alone is equal for equal spans, the text orders by span */
	assert_memory_equal(stored("1 day", a), stored("24 hours", b), MUR_IV_KEY_LEN);
	assert_memory_equal(stored("1 mon", a), stored("30 days", b), MUR_IV_KEY_LEN);
	assert_true(strcmp(stored("-1 year", a), stored("1 second", b)) < 0);
	assert_true(strcmp(stored("1 year", a), stored("360 days", b)) > 0);
	assert_true(strcmp(stored("-2 days", a), stored("-1 day", b)) < 0);
}

static void test_mul_spills_and_justify(void **state)
{
	mur_interval iv = parse("1 mon"), r;
	mur_error err;
	(void)state;
	assert_int_equal(mur_iv_mul(&iv, 2, 1, &r, &err), MUR_OK);
	assert_out(&r, "15 days");
	iv = parse("1 day");
	assert_int_equal(mur_iv_mul(&iv, 3, 1, &r, &err), MUR_OK);
	assert_out(&r, "08:00:00");
	assert_int_equal(mur_iv_mul(&iv, 0, 1, &r, &err), MUR_ERR);
	assert_string_equal(err.sqlstate, "22012");
	iv = parse("1 mon -1 hour");
	assert_int_equal(mur_iv_justify(&iv, 'i'), MUR_OK);
	assert_out(&iv, "29 days 23:00:00");
}

/* Past int32 days or months: 22008 as PostgreSQL 15.18, not a wrapped
 * (undefined) sum; justify_interval pre-justifies days first, so this one
 * fits. */
static void test_justify_overflow(void **state)
{
	mur_interval iv = parse("2147483647 days 24 hours");
	(void)state;
	assert_int_equal(mur_iv_justify(&iv, 'h'), MUR_ERR);
	iv = parse("2147483647 months 30 days");
	assert_int_equal(mur_iv_justify(&iv, 'd'), MUR_ERR);
	iv = parse("2147483647 days 24 hours");
	assert_int_equal(mur_iv_justify(&iv, 'i'), MUR_OK);
	assert_out(&iv, "5965232 years 4 mons 8 days");
}

/* Fields past int64 while parsing: 22015, as PostgreSQL (was a wrapped,
 * undefined product or an out-of-range double to int64 conversion). */
static void test_parse_overflow(void **state)
{
	static const char *const bad[] = {
		"100000000000000000000 years",
		"100000000000000000 millennia",
		"9000000000000000000 days 9000000000000000000 days",
	};
	mur_interval iv;
	mur_error err;
	(void)state;
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		assert_int_equal(mur_iv_parse(bad[i], strlen(bad[i]), &iv, &err), MUR_ERR);
		assert_string_equal(err.sqlstate, "22015");
	}
	iv = (mur_interval){0, 0, INT64_MIN}; /* '-9223372036854775807 us' - '1 us' */
	assert_int_equal(mur_iv_add(&(mur_interval){0, 1, 0}, &iv, -1, &iv, &err), MUR_ERR);
	assert_string_equal(err.sqlstate, "22008");
}

static void test_timestamp_plus_interval(void **state)
{
	int64_t us;
	mur_interval iv = parse("1 month");
	mur_buf b;
	(void)state;
	assert_int_equal(mur_iv_ts_to_us("2024-01-31 10:00:00.5", 21, &us), MUR_OK);
	mur_buf_init(&b);
	assert_int_equal(mur_iv_add_to_us(us, &iv, 1, &us), MUR_OK);
	assert_int_equal(mur_iv_us_to_ts(us, &b), MUR_OK);
	mur_buf_put_u8(&b, 0);
	assert_string_equal(b.data, "2024-02-29 10:00:00.5");
	mur_buf_free(&b);
	/* past int64 µs: MUR_ERR (the caller's 22008), not a wrapped sum */
	iv = parse("1000000 years");
	assert_int_equal(mur_iv_add_to_us(us, &iv, -1, &us), MUR_ERR);
	iv = (mur_interval){0, 0, INT64_MIN};
	assert_int_equal(mur_iv_add_to_us(0, &iv, -1, &us), MUR_ERR);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_in_out),
		cmocka_unit_test(test_bad_input),
		cmocka_unit_test(test_stored_form_orders_by_span),
		cmocka_unit_test(test_mul_spills_and_justify),
		cmocka_unit_test(test_timestamp_plus_interval),
		cmocka_unit_test(test_justify_overflow),
		cmocka_unit_test(test_parse_overflow),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
