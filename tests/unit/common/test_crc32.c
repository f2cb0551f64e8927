/*
 * test_crc32.c — mur_crc32_update (src/common/crc32.c, slicing-by-8) gives
 * the standard CRC-32 check value and the bytewise algorithm's result for
 * every length 0..300 at every alignment 0..7, in one call and split in two
 * (a running crc, as fwal.c chains a header and its changeset).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "common/crc32.h"

#include <string.h>

/* The reference: one table step per byte, the table computed per bit. */
static uint32_t crc_bytewise(uint32_t crc, const unsigned char *b, size_t n)
{
	crc = ~crc;
	while (n--) {
		crc ^= *b++;
		for (int k = 0; k < 8; k++)
			crc = crc & 1 ? 0xEDB88320u ^ (crc >> 1) : crc >> 1;
	}
	return ~crc;
}

static void test_check_value(void **state)
{
	(void)state;
	assert_int_equal(mur_crc32_update(0, "123456789", 9), 0xCBF43926u);
	assert_int_equal(mur_crc32_update(0, "", 0), 0);
}

static void test_as_bytewise_any_length_and_alignment(void **state)
{
	(void)state;
	unsigned char buf[320];
	uint32_t x = 12345;
	for (size_t i = 0; i < sizeof buf; i++) {
		x = x * 1103515245u + 12345u;
		buf[i] = (unsigned char)(x >> 16);
	}
	for (size_t off = 0; off < 8; off++)
		for (size_t n = 0; n + off <= 308; n++) {
			uint32_t want = crc_bytewise(0, buf + off, n);
			assert_int_equal(mur_crc32_update(0, buf + off, n), want);
			size_t cut = n / 3;
			assert_int_equal(mur_crc32_update(mur_crc32_update(0, buf + off, cut),
							  buf + off + cut, n - cut),
					 want);
		}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_check_value),
		cmocka_unit_test(test_as_bytewise_any_length_and_alignment),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
