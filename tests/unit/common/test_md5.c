/*
 * test_md5.c — the MD5 digest (src/common/md5.c) against RFC 1321's test
 * suite (appendix A.5), and padding at every length around a block edge
 * (55, 56, 63, 64 bytes: one or two padding blocks).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "common/md5.h"

#include <string.h>

static void check(const char *s, const char *want)
{
	char hex[MUR_MD5_HEX_LEN + 1];
	mur_md5_hex(s, strlen(s), hex);
	assert_string_equal(hex, want);
}

static void test_rfc1321_suite(void **state)
{
	(void)state;
	check("", "d41d8cd98f00b204e9800998ecf8427e");
	check("a", "0cc175b9c0f1b6a831c399e269772661");
	check("abc", "900150983cd24fb0d6963f7d28e17f72");
	check("message digest", "f96b697d7cb7938d525a2f31aaf161d0");
	check("abcdefghijklmnopqrstuvwxyz", "c3fcd3d76192e4007dfb496cca67e13b");
	check("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789",
	      "d174ab98d277d9f5a5611c2c9f419d9f");
	check("1234567890123456789012345678901234567890123456789012345678901234567890123456"
	      "7890",
	      "57edf4a22be3c955ac49da2e2107b67a");
}

/* Lengths that end a block exactly or leave no room for the length field:
 * the digests of 'a' repeated n times differ from each other, and the
 * 64-byte one matches a known value (printf 'a%.0s' {1..64} | md5sum). */
static void test_block_edges(void **state)
{
	char buf[130], seen[4][MUR_MD5_HEX_LEN + 1];
	const size_t lens[4] = {55, 56, 63, 64};
	(void)state;
	memset(buf, 'a', sizeof buf);
	for (int i = 0; i < 4; i++) {
		mur_md5_hex(buf, lens[i], seen[i]);
		for (int j = 0; j < i; j++)
			assert_string_not_equal(seen[i], seen[j]);
	}
	assert_string_equal(seen[3], "014842d480b571495a4a0363793f7367");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rfc1321_suite),
		cmocka_unit_test(test_block_edges),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
