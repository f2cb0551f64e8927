/*
 * test_utf8.c — the UTF-8 check (src/common/utf8.c) against PostgreSQL's
 * rules and its error text (22021, the bytes of the first bad character).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "common/utf8.h"

#include <stdio.h>
#include <string.h>

static void ok(const char *s, size_t n)
{
	mur_error err;
	assert_int_equal(mur_utf8_check(s, n, &err), MUR_OK);
	assert_int_equal(mur_utf8_valid_len(s, n), n);
}

static void bad(const char *s, size_t n, size_t at, const char *bytes)
{
	mur_error err;
	char want[128];
	assert_int_equal(mur_utf8_valid_len(s, n), at);
	assert_int_equal(mur_utf8_check(s, n, &err), MUR_ERR);
	assert_string_equal(err.sqlstate, "22021");
	snprintf(want, sizeof want, "invalid byte sequence for encoding \"UTF8\": %s", bytes);
	assert_string_equal(err.message, want);
}

static void test_valid(void **state)
{
	(void)state;
	ok("", 0);
	ok("plain ascii, longer than one word of eight bytes", 48);
	ok("\xc3\xa9mile z\xc3\xab", 10);          /* 2-byte */
	ok("\xe2\x82\xac \xef\xbf\xbd", 7);        /* 3-byte, U+FFFD */
	ok("\xf0\x9f\x98\x80\xf4\x8f\xbf\xbf", 8); /* 4-byte, U+10FFFF */
}

static void test_invalid(void **state)
{
	(void)state;
	bad("a\xff"
	    "b",
	    3, 1, "0xff");
	bad("abcdefgh\0ijk", 12, 8, "0x00"); /* NUL after a whole word */
	bad("a\xc3\x28"
	    "b",
	    4, 1, "0xc3 0x28");
	bad("a\xe2\x82", 3, 1, "0xe2 0x82");                  /* cut short: the bytes left */
	bad("\xc0\xaf", 2, 0, "0xc0 0xaf");                   /* overlong */
	bad("\xed\xa0\x80", 3, 0, "0xed 0xa0 0x80");          /* surrogate */
	bad("\xf4\x90\x80\x80", 4, 0, "0xf4 0x90 0x80 0x80"); /* above U+10FFFF */
	bad("\x80", 1, 0, "0x80");                            /* continuation first */
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_valid),
		cmocka_unit_test(test_invalid),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
