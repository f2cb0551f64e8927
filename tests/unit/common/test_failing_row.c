/*
 * test_failing_row.c — the "Failing row contains (...)." DETAIL
 * (src/common/failing_row.c) printed by types, its row-types tag written
 * and read back (names quoted, a malformed tag refused), and
 * the COPY line map (src/common/linemap.c).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "common/failing_row.h"
#include "common/linemap.h"
#include "common/tz.h"

#include <string.h>

static void test_tag_round_trip(void **state)
{
	mur_type types[3] = {MT_INT4, MT_TEXT, MT_BOOL}, got[8];
	const char *names[3] = {"id", "a \"b\"", "c"};
	mur_buf b, news;
	(void)state;
	mur_buf_init(&b);
	mur_buf_init(&news);
	mur_buf_printf(&b, "UPDATE main.\"t\" SET \"n\" = 1");
	mur_failing_row_tag(&b, 3, names, types);
	assert_string_equal(mur_buf_cstr(&b),
			    "UPDATE main.\"t\" SET \"n\" = 1 "
			    "/*murphy:row_types 23 \"id\",25 \"a \"\"b\"\"\",16 \"c\"*/");
	assert_int_equal(mur_failing_row_tag_parse(mur_buf_cstr(&b), got, 8, &news), 3);
	for (int i = 0; i < 3; i++)
		assert_int_equal(got[i], types[i]);
	assert_string_equal(mur_buf_cstr(&news), "NEW.\"id\", NEW.\"a \"\"b\"\"\", NEW.\"c\"");
	/* a string constant holding a tag's text comes before the real one */
	mur_buf_reset(&news);
	assert_int_equal(mur_failing_row_tag_parse("UPDATE t SET v = '/*murphy:row_types 23 "
						   "\"x\"*/' "
						   "/*murphy:row_types 16 \"v\",23 \"id\"*/",
						   got, 8, &news),
			 2);
	assert_string_equal(mur_buf_cstr(&news), "NEW.\"v\", NEW.\"id\"");
	/* more columns than the caller holds, no tag, malformed ones */
	mur_buf_reset(&news);
	assert_int_equal(mur_failing_row_tag_parse(mur_buf_cstr(&b), got, 2, &news), -1);
	assert_int_equal(mur_failing_row_tag_parse("UPDATE t SET a = 1", got, 8, &news), -1);
	assert_int_equal(mur_failing_row_tag_parse("x /*murphy:row_types 23 \"a\",x*/", got, 8,
						   &news),
			 -1);
	assert_int_equal(mur_failing_row_tag_parse("x /*murphy:row_types 23 \"a", got, 8, &news),
			 -1);
	assert_int_equal(mur_failing_row_tag_parse("x /*murphy:row_types 23 a*/", got, 8, &news),
			 -1);
	/* a name that would end the comment: no tag */
	mur_buf_reset(&b);
	names[1] = "x*/y";
	mur_failing_row_tag(&b, 3, names, types);
	assert_int_equal(b.len, 0);
	mur_buf_free(&b);
	mur_buf_free(&news);
}

static void test_row_by_types(void **state)
{
	mur_type types[4] = {MT_INT4, MT_BOOL, MT_TEXT, MT_TIMESTAMPTZ};
	mur_value vals[4] = {mur_v_int(1), mur_v_int(1), mur_v_null(),
			     mur_v_text("2024-01-02 03:04:05", 19)};
	mur_error err;
	(void)state;
	mur_error_set(&err, "23514", "new row violates check constraint");
	mur_failing_row(&err, 4, types, vals, NULL);
	assert_string_equal(err.detail, "Failing row contains (1, t, null, \xff"
					"2024-01-02 03:04:05\xfe)."); /* marked */
	mur_failing_row_localize(&err, NULL);
	assert_string_equal(err.detail,
			    "Failing row contains (1, t, null, 2024-01-02 03:04:05+00).");
}

/* The leader writes a marked timestamptz in the session's zone; a mark cut
 * off (a DETAIL at its size limit) is dropped with what follows it. */
static void test_localize(void **state)
{
	mur_outfmt f = {.tz = mur_tz_get("America/New_York", NULL), .bytea_escape = 0};
	mur_error err;
	(void)state;
	assert_non_null(f.tz);
	mur_error_set(&err, "23505", "duplicate key value violates unique constraint");
	mur_error_detail(&err, "Key (a, b)=(\xff"
			       "2024-01-02 03:04:05.5\xfe, \xff"
			       "2024-07-01 00:00:00\xfe) already exists.");
	mur_failing_row_localize(&err, &f);
	assert_string_equal(err.detail, "Key (a, b)=(2024-01-01 22:04:05.5-05, 2024-06-30 "
					"20:00:00-04) already exists.");
	mur_error_detail(&err, "Failing row contains (x, \xff"
			       "2024-01-02 03:0");
	mur_failing_row_localize(&err, &f);
	assert_string_equal(err.detail, "Failing row contains (x, ");
	mur_error_detail(&err, "no mark");
	mur_failing_row_localize(&err, &f);
	assert_string_equal(err.detail, "no mark");
}

static void test_linemap(void **state)
{
	mur_linemap m;
	uint64_t line;
	const char *text;
	char longline[300];
	size_t n;
	(void)state;
	memset(longline, 'x', sizeof longline);
	mur_linemap_init(&m);
	mur_linemap_add(&m, 3, "a\tb", 3);
	mur_linemap_add(&m, 5, NULL, 0);
	mur_linemap_add(&m, 9, longline, sizeof longline);
	assert_true(mur_linemap_get(&m, 1, &line, &text, &n));
	assert_int_equal(line, 3);
	assert_int_equal(n, 3);
	assert_memory_equal(text, "a\tb", 3);
	assert_true(mur_linemap_get(&m, 2, &line, &text, &n));
	assert_int_equal(line, 5);
	assert_null(text);
	assert_true(mur_linemap_get(&m, 3, &line, &text, &n));
	assert_int_equal(line, 9);
	assert_int_equal(n, MUR_LINEMAP_TEXT_MAX); /* past 100: the CONTEXT still cuts it */
	assert_false(mur_linemap_get(&m, 0, &line, &text, &n));
	assert_false(mur_linemap_get(&m, 4, &line, &text, &n));
	mur_linemap_free(&m);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_tag_round_trip),
		cmocka_unit_test(test_row_by_types),
		cmocka_unit_test(test_localize),
		cmocka_unit_test(test_linemap),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
