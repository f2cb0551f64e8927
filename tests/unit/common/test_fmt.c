/*
 * test_fmt.c — src/common/fmt.c writes what snprintf writes: digits of
 * every magnitude and sign, "%s" copies cut at every size, and chains of
 * appends (mur_cat) against the same chain of snprintf(out + len, n - len,
 * ...) calls at every buffer size, truncation included.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "common/fmt.h"

#include <stdio.h>
#include <string.h>

static void test_digits_as_snprintf(void **state)
{
	(void)state;
	uint64_t u[] = {0,   1,           9,           10,         99,
			100, 4294967295u, 4294967296u, UINT64_MAX, 1234567890123ull};
	int64_t s[] = {0, -1, 1, -9, -10, 2147483647, -2147483648ll, INT64_MAX, INT64_MIN, -123456};
	char a[32], b[32];
	for (size_t i = 0; i < sizeof u / sizeof u[0]; i++) {
		size_t n = mur_fmt_u64(a, u[i]);
		a[n] = '\0';
		snprintf(b, sizeof b, "%llu", (unsigned long long)u[i]);
		assert_string_equal(a, b);
	}
	for (size_t i = 0; i < sizeof s / sizeof s[0]; i++) {
		size_t n = mur_fmt_i64(a, s[i]);
		a[n] = '\0';
		snprintf(b, sizeof b, "%lld", (long long)s[i]);
		assert_string_equal(a, b);
	}
}

static void test_strlcpy_as_snprintf(void **state)
{
	(void)state;
	const char *src = "t12_s3g4.db";
	for (size_t n = 1; n < 16; n++) {
		char a[16], b[16];
		memset(a, 'x', sizeof a);
		memset(b, 'x', sizeof b);
		size_t la = mur_strlcpy(a, src, n);
		int lb = snprintf(b, n, "%s", src);
		assert_int_equal(la, (size_t)lb);
		assert_memory_equal(a, b, sizeof a);
	}
}

/* "q=3;d=77@5:1/8@5:2;t12_s3,4:0" as fmt.c appends it and as snprintf
 * chains do, at every size of out. */
static void test_cat_as_snprintf_chain(void **state)
{
	(void)state;
	for (size_t n = 1; n < 40; n++) {
		char a[48], b[48];
		mur_cat c;
		size_t len;
		memset(a, 'x', sizeof a);
		memset(b, 'x', sizeof b);
		mur_cat_init(&c, a, n);
		mur_cat_str(&c, "q=");
		mur_cat_u64(&c, 3);
		mur_cat_mem(&c, ";d=", 3);
		mur_cat_u64(&c, 77);
		mur_cat_str(&c, "@");
		mur_cat_u64(&c, 5);
		mur_cat_str(&c, ":1/8@5:2;t");
		mur_cat_u64(&c, 12);
		mur_cat_str(&c, "_s");
		mur_cat_u64(&c, 3);
		mur_cat_str(&c, ",4:0");
		len = (size_t)snprintf(b, n, "q=%d;d=%llu@%u", 3, 77ull, 5u);
		if (len < n)
			len += (size_t)snprintf(b + len, n - len, ":1/8@5:2;t%u_s%u", 12u, 3u);
		if (len < n)
			len += (size_t)snprintf(b + len, n - len, "%s", ",4:0");
		assert_memory_equal(a, b, sizeof a);
		if (len < n) /* past n the chain stops counting: fmt.c's len is the whole */
			assert_int_equal(c.len, len);
		assert_int_equal(c.len, strlen("q=3;d=77@5:1/8@5:2;t12_s3,4:0"));
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_digits_as_snprintf),
		cmocka_unit_test(test_strlcpy_as_snprintf),
		cmocka_unit_test(test_cat_as_snprintf_chain),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
