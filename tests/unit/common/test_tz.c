/*
 * test_tz.c — the TZif reader and zone lookups (src/common/tz*.c) against
 * answers PostgreSQL 15 gives with the same tzdata: offsets and
 * abbreviations at instants on both sides of DST transitions, the rule
 * for local times a transition skips or repeats, the POSIX footer past
 * the last transition, half-hour DST (Lord Howe), fixed offsets named as
 * PostgreSQL names them, and refusal of unknown names, paths and junk.
 *
 * tests/cluster/test_timezone.py checks the same through SQL.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "common/tz.h"
#include "common/value.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int64_t at(int y, int m, int d, int h, int mi)
{
	return mur_days_from_civil(y, m, d) * 86400 + h * 3600 + mi * 60;
}

static const mur_tz *zone(const char *name)
{
	mur_error err;
	const mur_tz *z = mur_tz_get(name, &err);
	if (!z)
		fail_msg("'%s': %s %s", name, err.sqlstate, err.message);
	return z;
}

static void assert_at(const mur_tz *z, int64_t t, int32_t off, const char *abbr)
{
	const char *a;
	assert_int_equal(mur_tz_at(z, t, &a), off);
	assert_string_equal(a, abbr);
}

static void test_new_york_transitions(void **state)
{
	const mur_tz *z = zone("America/New_York");
	assert_string_equal(mur_tz_name(z), "America/New_York");
	assert_at(z, at(2024, 3, 10, 6, 59), -5 * 3600, "EST");
	assert_at(z, at(2024, 3, 10, 7, 0), -4 * 3600, "EDT");
	assert_at(z, at(2024, 11, 3, 5, 59), -4 * 3600, "EDT");
	assert_at(z, at(2024, 11, 3, 6, 0), -5 * 3600, "EST");
	/* past the file's table: the footer's POSIX rule */
	assert_at(z, at(2150, 7, 1, 12, 0), -4 * 3600, "EDT");
	assert_at(z, at(2150, 1, 1, 12, 0), -5 * 3600, "EST");
	/* before time zones: local mean time, -4:56:02 */
	assert_at(z, at(1850, 1, 1, 0, 0), -17762, "LMT");
	(void)state;
}

static void test_local_time_rules(void **state)
{
	const mur_tz *z = zone("america/new_york"); /* any case, one zone */
	assert_ptr_equal(z, zone("America/New_York"));
	/* 02:30 does not exist on 2024-03-10: the offset before (03:30-04) */
	assert_int_equal(mur_tz_local(z, at(2024, 3, 10, 2, 30)), -5 * 3600);
	/* 01:30 happens twice on 2024-11-03: the one after (-05) */
	assert_int_equal(mur_tz_local(z, at(2024, 11, 3, 1, 30)), -5 * 3600);
	assert_int_equal(mur_tz_local(z, at(2024, 11, 3, 0, 59)), -4 * 3600);
	assert_int_equal(mur_tz_local(z, at(2024, 7, 1, 12, 0)), -4 * 3600);
	assert_int_equal(mur_tz_local(z, at(2150, 3, 8, 2, 30)), -5 * 3600);
	(void)state;
}

static void test_half_hours(void **state)
{
	const mur_tz *lh = zone("Australia/Lord_Howe"), *k = zone("Asia/Kolkata");
	assert_at(lh, at(2024, 7, 1, 0, 0), 10 * 3600 + 1800, "+1030");
	assert_at(lh, at(2024, 1, 1, 0, 0), 11 * 3600, "+11");
	assert_at(lh, at(2160, 1, 1, 0, 0), 11 * 3600, "+11");
	assert_at(k, at(2024, 1, 1, 0, 0), 19800, "IST");
	(void)state;
}

static void test_fixed_and_posix(void **state)
{
	mur_error err;
	const mur_tz *z = zone("+05");
	assert_string_equal(mur_tz_name(z), "<+05>-05");
	assert_at(z, at(2024, 1, 1, 0, 0), 5 * 3600, "+05");
	z = zone("-3.5");
	assert_string_equal(mur_tz_name(z), "<-03:30>+03:30");
	assert_int_equal(mur_tz_at(z, 0, NULL), -12600);
	z = mur_tz_fixed(2 * 3600, &err);
	assert_non_null(z);
	assert_string_equal(mur_tz_name(z), "<+02>-02");
	assert_ptr_equal(mur_tz_get("UTC", &err), mur_tz_utc());
	z = zone("EST5EDT,M3.2.0,M11.1.0");
	assert_at(z, at(2024, 7, 1, 0, 0), -4 * 3600, "EDT");
	mur_tz *p = mur_tz_from_posix("x", "<+1030>-10:30<+11>-11,M10.1.0,M4.1.0", &err);
	assert_non_null(p);
	assert_int_equal(mur_tz_at(p, at(2030, 12, 25, 0, 0), NULL), 11 * 3600);
	assert_int_equal(mur_tz_at(p, at(2030, 6, 25, 0, 0), NULL), 37800);
	mur_tz_free(p);
	(void)state;
}

static void test_refusals(void **state)
{
	static const char *bad[] =
		{"Foo/Bar", "../../etc/passwd",      "/etc/passwd", "America/../../etc", "",
		 "168",     "EST5EDT,M13.1.0,M1.1.0"};
	mur_error err;
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		assert_null(mur_tz_get(bad[i], &err));
		assert_string_equal(err.sqlstate, "22023");
	}
	assert_null(mur_tz_get("Foo/Bar", &err));
	assert_string_equal(err.message, "invalid value for parameter \"TimeZone\": \"Foo/Bar\"");
	/* junk and truncated files are refused, not read past their end */
	static const uint8_t junk[] = "TZif2\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0"
				      "\0\0\0\xff\0\0\0\x01\0\0\0\x04";
	assert_null(mur_tz_from_tzif("j", junk, sizeof junk - 1, &err));
	assert_null(mur_tz_from_tzif("j", (const uint8_t *)"nope", 4, &err));
	(void)state;
}

/* Every prefix of a real file, and the file with bytes flipped, is read
 * to a zone or refused, never past its end (run under `make asan`). */
static void test_damaged_files(void **state)
{
	static uint8_t buf[16384];
	FILE *f = fopen(MUR_TZ_DIR "/Australia/Lord_Howe", "rb");
	size_t len;
	mur_error err;
	assert_non_null(f);
	len = fread(buf, 1, sizeof buf, f);
	fclose(f);
	assert_true(len > 44 && len < sizeof buf);
	for (size_t n = 0; n <= len; n++) {
		uint8_t *copy = malloc(n ? n : 1); /* exact size: ASan sees overreads */
		memcpy(copy, buf, n);
		mur_tz *z = mur_tz_from_tzif("x", copy, n, &err);
		if (z)
			(void)mur_tz_local(z, 1700000000);
		mur_tz_free(z);
		free(copy);
	}
	uint32_t seed = 19;
	for (int round = 0; round < 2000; round++) {
		uint8_t *copy = malloc(len);
		memcpy(copy, buf, len);
		for (int k = 0; k < 4; k++) {
			seed = seed * 1103515245u + 12345u;
			copy[(seed >> 8) % len] ^= (uint8_t)(1u << (seed >> 4 & 7));
		}
		mur_tz *z = mur_tz_from_tzif("x", copy, len, &err);
		if (z) {
			(void)mur_tz_at(z, -5000000000, NULL);
			(void)mur_tz_local(z, 4000000000);
		}
		mur_tz_free(z);
		free(copy);
	}
	(void)state;
}

static void test_timestamptz_text(void **state)
{
	mur_buf b;
	mur_value v;
	mur_error err;
	const mur_tz *z = zone("America/New_York");
	mur_buf_init(&b);
	mur_tstz_out("2024-03-10 07:30:00", 19, z, &b);
	mur_buf_put(&b, "", 1);
	assert_string_equal(b.data, "2024-03-10 03:30:00-04");
	mur_buf_reset(&b);
	mur_tstz_out("1850-01-01 00:00:00.5", 21, z, &b);
	mur_buf_put(&b, "", 1);
	assert_string_equal(b.data, "1849-12-31 19:03:58.5-04:56:02");
	mur_buf_reset(&b);
	assert_int_equal(mur_value_from_pgtext_tz(MT_TIMESTAMPTZ, "2024-11-03 01:30", 16, z, &b, &v,
						  &err),
			 MUR_OK);
	assert_int_equal(v.len, 19);
	assert_memory_equal(v.s, "2024-11-03 06:30:00", 19);
	mur_buf_free(&b);
	(void)state;
}

/* Invented zones run out (54000) without locking out the database's. */
static void test_invented_zones_are_bounded(void **state)
{
	mur_error err;
	char name[32];
	int refused = 0;
	for (int i = 0; i < 400; i++) {
		snprintf(name, sizeof name, "<z%d>%d:%02d", i, i % 20, i % 60);
		if (!mur_tz_get_at(name, &err)) {
			assert_string_equal(err.sqlstate, "54000");
			refused++;
		}
	}
	assert_true(refused >= 400 - 256);
	assert_non_null(mur_tz_get("Europe/Paris", &err));
	assert_non_null(mur_tz_get("Asia/Kolkata", &err)); /* cached before */
	(void)state;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_new_york_transitions),
		cmocka_unit_test(test_local_time_rules),
		cmocka_unit_test(test_half_hours),
		cmocka_unit_test(test_fixed_and_posix),
		cmocka_unit_test(test_refusals),
		cmocka_unit_test(test_timestamptz_text),
		cmocka_unit_test(test_damaged_files),
		cmocka_unit_test(test_invented_zones_are_bounded), /* last: fills the cache */
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
