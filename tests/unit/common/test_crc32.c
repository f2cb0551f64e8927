/*
 * test_crc32.c — CRC-32 (src/common/crc32.c): the standard check value,
 * and the same checksum as one table step per byte (the definition) for
 * every length from 0 to 300 at every alignment, whole or in two pieces
 * (a running crc extended, as the follower WAL's records are).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "common/crc32.h"

#include <string.h>

/* The definition: one bit at a time. */
static uint32_t crc_bitwise(uint32_t crc, const unsigned char *b, size_t n)
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
	assert_int_equal(mur_crc32_update(0x12345678u, NULL, 0), 0x12345678u);
}

static void test_same_as_bitwise_at_every_length_and_alignment(void **state)
{
	(void)state;
	unsigned char buf[320];
	uint32_t x = 2463534242u;
	for (size_t i = 0; i < sizeof buf; i++) { /* xorshift bytes */
		x ^= x << 13, x ^= x >> 17, x ^= x << 5;
		buf[i] = (unsigned char)x;
	}
	for (size_t off = 0; off < 8; off++)
		for (size_t n = 0; off + n <= 300; n++) {
			uint32_t want = crc_bitwise(0, buf + off, n);
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
		cmocka_unit_test(test_same_as_bitwise_at_every_length_and_alignment),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
