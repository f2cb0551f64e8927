/*
 * test_bpchar.c — character(n) padding and keys (src/common/bpchar.c,
 * valkey.c's MUR_KEY_BPCHAR, value.c's shard hash): assignment pads, cuts
 * only spaces and refuses the rest; an explicit cast cuts; characters
 * count as UTF-8; equal values up to trailing spaces key and hash alike.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "common/bpchar.h"
#include "common/error.h"
#include "common/valkey.h"
#include "common/value.h"

#include <string.h>

/* mur_bpchar_fit of s as a NUL-terminated string in out; its return. */
static int fit(const char *s, int max, int pad, int explicit_cast, char *out, size_t cap)
{
	mur_buf b;
	int rc;
	mur_buf_init(&b);
	rc = mur_bpchar_fit(s, strlen(s), max, pad, explicit_cast, &b);
	assert_true(mur_buf_ok(&b) && b.len < cap);
	memcpy(out, b.data ? b.data : "", b.len);
	out[b.len] = '\0';
	mur_buf_free(&b);
	return rc;
}

static void test_assignment_pads_and_cuts_spaces(void **state)
{
	char out[64];
	(void)state;
	assert_int_equal(fit("ab", 4, 1, 0, out, sizeof out), MUR_OK);
	assert_string_equal(out, "ab  ");
	assert_int_equal(fit("abcd    ", 4, 1, 0, out, sizeof out), MUR_OK);
	assert_string_equal(out, "abcd");
	assert_int_equal(fit("", 3, 1, 0, out, sizeof out), MUR_OK);
	assert_string_equal(out, "   ");
	assert_int_equal(fit("abcde", 4, 1, 0, out, sizeof out), MUR_ERR);
	assert_int_equal(fit("ab  ", 4, 0, 0, out, sizeof out), MUR_OK); /* varchar: no pad */
	assert_string_equal(out, "ab  ");
	assert_int_equal(fit("ab", 4, 0, 0, out, sizeof out), MUR_OK);
	assert_string_equal(out, "ab");
}

static void test_explicit_cast_cuts(void **state)
{
	char out[64];
	(void)state;
	assert_int_equal(fit("abcdef", 2, 1, 1, out, sizeof out), MUR_OK);
	assert_string_equal(out, "ab");
	assert_int_equal(fit("abcdef", 3, 0, 1, out, sizeof out), MUR_OK);
	assert_string_equal(out, "abc");
}

static void test_characters_are_utf8(void **state)
{
	char out[64];
	(void)state;
	/* "é" is two bytes, one character: char(3) pads it with two spaces */
	assert_int_equal(fit("\xc3\xa9", 3, 1, 0, out, sizeof out), MUR_OK);
	assert_string_equal(out, "\xc3\xa9  ");
	assert_int_equal(fit("\xc3\xa9\xc3\xa9\xc3\xa9", 2, 1, 1, out, sizeof out), MUR_OK);
	assert_string_equal(out, "\xc3\xa9\xc3\xa9");
	assert_int_equal(fit("\xc3\xa9\xc3\xa9\xc3\xa9", 2, 1, 0, out, sizeof out), MUR_ERR);
}

static void test_trailing_spaces_key_and_hash_alike(void **state)
{
	mur_value a = mur_v_text("a", 1), b = mur_v_text("a   ", 4), c = mur_v_text(" a", 2);
	mur_buf x, y;
	(void)state;
	assert_int_equal(mur_bpchar_trimmed_len("ab  ", 4), 2);
	assert_int_equal(mur_bpchar_trimmed_len("    ", 4), 0);
	assert_int_equal(mur_key_kind_of(MT_BPCHAR), MUR_KEY_BPCHAR);
	mur_buf_init(&x);
	mur_buf_init(&y);
	mur_key_canon(MUR_KEY_BPCHAR, &a, &x);
	mur_key_canon(MUR_KEY_BPCHAR, &b, &y);
	assert_int_equal(x.len, y.len);
	assert_memory_equal(x.data, y.data, x.len);
	mur_buf_free(&x);
	mur_buf_free(&y);
	assert_true(mur_value_hash_typed(MT_BPCHAR, &a) == mur_value_hash_typed(MT_BPCHAR, &b));
	assert_true(mur_value_hash_typed(MT_BPCHAR, &a) != mur_value_hash_typed(MT_BPCHAR, &c));
	/* a value without trailing spaces hashes as it did before char(n) */
	assert_true(mur_value_hash_typed(MT_BPCHAR, &a) == mur_value_hash(&a));
	/* varchar keeps its spaces */
	assert_true(mur_value_hash_typed(MT_VARCHAR, &a) != mur_value_hash_typed(MT_VARCHAR, &b));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_assignment_pads_and_cuts_spaces),
		cmocka_unit_test(test_explicit_cast_cuts),
		cmocka_unit_test(test_characters_are_utf8),
		cmocka_unit_test(test_trailing_spaces_key_and_hash_alike),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
