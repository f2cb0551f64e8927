/*
 * test_now_param.c — sql_cached_now_param (sql/plan_cache.c) writes, for
 * every instant it formats by hand (1970 to 9999), the text gmtime_r and
 * snprintf wrote before: the first and last microsecond of days across
 * leap years, century and 400-year rules, and a pseudo-random spread.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "sql/plan_cache.h"

#include <stdio.h>
#include <time.h>

static void reference(int64_t us, char *out)
{
	time_t sec = (time_t)(us / 1000000);
	struct tm tm;
	gmtime_r(&sec, &tm);
	snprintf(out, SQL_NOW_PARAM_TEXT, "%04d-%02d-%02d %02d:%02d:%02d.%06lld+00",
		 tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
		 (long long)(us % 1000000));
}

static void check(int64_t us)
{
	char a[SQL_NOW_PARAM_TEXT], b[SQL_NOW_PARAM_TEXT];
	sql_cached_now_param(us, a);
	reference(us, b);
	assert_string_equal(a, b);
}

static void test_day_edges_1970_to_9999(void **state)
{
	(void)state;
	const int64_t day_us = 86400LL * 1000000;
	for (int64_t d = 0; d < 2932897; d += 1 + d % 7) { /* to 9999-12-31 */
		check(d * day_us);
		check(d * day_us + day_us - 1);
	}
	check(253402300800000000LL - 1); /* 9999-12-31 23:59:59.999999 */
	check(253402300800000000LL);     /* 10000: the old path */
	check(0);
}

static void test_spread(void **state)
{
	(void)state;
	uint64_t x = 88172645463325252ull;
	for (int i = 0; i < 200000; i++) {
		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		check((int64_t)(x % 253402300800000000ull));
	}
	check(1765152000123456LL); /* 2025-12-08 00:00:00.123456 */
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_day_edges_1970_to_9999),
		cmocka_unit_test(test_spread),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
