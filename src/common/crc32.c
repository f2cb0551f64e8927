/*
 * crc32.c — CRC-32 (crc32.h), slicing by 8: eight 256-entry tables built
 * once (pthread_once); eight bytes take eight independent table lookups
 * instead of a chain of eight dependent ones (Intel's "slicing-by-8",
 * as zlib does without its hardware paths).  Every follower WAL record is
 * checksummed on the follower's loop thread when appended, and again by
 * the rotation when it scans the old generation: byte by byte that was
 * about 1% of a follower's CPU under TPC-B.  Bytes before an 8-byte
 * boundary, and the tail, go one table step at a time.  Little-endian
 * hosts only (the 8-byte step reads two words).
 */
#include "common/crc32.h"

#include <pthread.h>
#include <string.h>

_Static_assert(__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__, "crc32.c: slicing needs little-endian");

static uint32_t crc_table[8][256];
static pthread_once_t crc_once = PTHREAD_ONCE_INIT;

static void crc_init(void)
{
	for (uint32_t i = 0; i < 256; i++) {
		uint32_t c = i;
		for (int k = 0; k < 8; k++)
			c = c & 1 ? 0xEDB88320u ^ (c >> 1) : c >> 1;
		crc_table[0][i] = c;
	}
	for (uint32_t i = 0; i < 256; i++)
		for (int t = 1; t < 8; t++)
			crc_table[t][i] = crc_table[0][crc_table[t - 1][i] & 0xff] ^
					  (crc_table[t - 1][i] >> 8);
}

uint32_t mur_crc32_update(uint32_t crc, const void *p, size_t n)
{
	const unsigned char *b = p;
	pthread_once(&crc_once, crc_init);
	crc = ~crc;
	for (; n && ((uintptr_t)b & 7); n--)
		crc = crc_table[0][(crc ^ *b++) & 0xff] ^ (crc >> 8);
	for (; n >= 8; n -= 8, b += 8) {
		uint32_t lo, hi;
		memcpy(&lo, b, 4);
		memcpy(&hi, b + 4, 4);
		lo ^= crc;
		crc = crc_table[7][lo & 0xff] ^ crc_table[6][(lo >> 8) & 0xff] ^
		      crc_table[5][(lo >> 16) & 0xff] ^ crc_table[4][lo >> 24] ^
		      crc_table[3][hi & 0xff] ^ crc_table[2][(hi >> 8) & 0xff] ^
		      crc_table[1][(hi >> 16) & 0xff] ^ crc_table[0][hi >> 24];
	}
	while (n--)
		crc = crc_table[0][(crc ^ *b++) & 0xff] ^ (crc >> 8);
	return ~crc;
}
