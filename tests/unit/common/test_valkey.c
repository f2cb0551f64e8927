/*
 * test_valkey.c — canonical key bytes (src/common/valkey.c): equal values
 * of numeric, interval and jsonb give equal bytes, different values
 * different bytes, and a column of another kind keeps its own bytes.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "common/interval.h"
#include "common/valkey.h"

#include <string.h>

/* The canonical bytes of text s of kind k, NUL-terminated in out. */
static void canon(mur_key_kind k, const char *s, char *out, size_t cap)
{
	mur_buf b;
	mur_value v = mur_v_text(s, strlen(s));
	mur_buf_init(&b);
	mur_key_canon(k, &v, &b);
	assert_true(mur_buf_ok(&b) && b.len < cap);
	memcpy(out, b.data ? b.data : "", b.len);
	out[b.len] = '\0';
	mur_buf_free(&b);
}

static void assert_same(mur_key_kind k, const char *a, const char *b, int same)
{
	char x[256], y[256];
	canon(k, a, x, sizeof x);
	canon(k, b, y, sizeof y);
	if (same ? strcmp(x, y) != 0 : strcmp(x, y) == 0)
		fail_msg("'%s' (%s) and '%s' (%s): expected %s", a, x, b, y,
			 same ? "equal" : "different");
}

static void iv_text(const char *s, char *out, size_t cap)
{
	mur_interval iv;
	mur_error err;
	mur_buf b;
	assert_int_equal(mur_iv_parse(s, strlen(s), &iv, &err), MUR_OK);
	mur_buf_init(&b);
	mur_iv_store(&iv, &b);
	assert_true(b.len < cap);
	memcpy(out, b.data, b.len);
	out[b.len] = '\0';
	mur_buf_free(&b);
}

static void test_numeric(void **state)
{
	char x[64];
	mur_value i = mur_v_int(1);
	mur_buf b;
	(void)state;
	assert_same(MUR_KEY_NUMERIC, "1.0", "1.00", 1);
	assert_same(MUR_KEY_NUMERIC, "-0.0", "0", 1);
	assert_same(MUR_KEY_NUMERIC, "2.5", "2.05", 0);
	canon(MUR_KEY_NUMERIC, "1.000", x, sizeof x);
	mur_buf_init(&b);
	mur_key_canon(MUR_KEY_NUMERIC, &i, &b); /* an INT in a numeric column */
	assert_int_equal(b.len, strlen(x));
	assert_memory_equal(b.data, x, b.len);
	mur_buf_free(&b);
	assert_same(MUR_KEY_BYTES, "1.0", "1.00", 0); /* text stays text */
}

static void test_interval(void **state)
{
	char a[128], b[128];
	(void)state;
	iv_text("1 day", a, sizeof a);
	iv_text("24 hours", b, sizeof b);
	assert_string_not_equal(a, b);
	assert_same(MUR_KEY_INTERVAL, a, b, 1);
	iv_text("1 mon", a, sizeof a);
	iv_text("30 days", b, sizeof b);
	assert_same(MUR_KEY_INTERVAL, a, b, 1);
	iv_text("25 hours", b, sizeof b);
	assert_same(MUR_KEY_INTERVAL, a, b, 0);
	assert_same(MUR_KEY_BYTES, a, b, 0);
}

static void test_jsonb(void **state)
{
	(void)state;
	assert_same(MUR_KEY_JSONB, "{\"a\": 1.0}", "{\"a\": 1}", 1);
	assert_same(MUR_KEY_JSONB, "[1.50, {\"b\": 2.000}]", "[1.5, {\"b\": 2}]", 1);
	assert_same(MUR_KEY_JSONB, "2.0", "2", 1);
	assert_same(MUR_KEY_JSONB, "\"1.0\"", "\"1\"", 0); /* strings are not numbers */
	assert_same(MUR_KEY_JSONB, "{\"a\": 1.5}", "{\"a\": 1.05}", 0);
	assert_same(MUR_KEY_JSONB, "[1]", "1", 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_numeric),
		cmocka_unit_test(test_interval),
		cmocka_unit_test(test_jsonb),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
