/*
 * crc32.c — CRC-32 (crc32.h) by slicing-by-8: eight 256-entry tables built
 * once (pthread_once); eight input bytes per step through them (read byte
 * by byte: any alignment, any host order), the last 0-7 one table step per
 * byte.  Table k gives the CRC of a byte followed by k zero bytes, so the
 * eight lookups of a step are independent of each other; the result is the
 * bytewise algorithm's (test_crc32.c checks the two against each other and
 * the standard check value).  The bytewise loop cost ~1.5 µs per 1 KB
 * decision-log slot on the leader (catalog_decision.c), and as much per KB
 * of WAL on a follower.
 */
#include "common/crc32.h"

#include <pthread.h>

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

/* Eight bytes at b, as a little-endian pair of words, into crc. */
static uint32_t crc_step8(uint32_t crc, const unsigned char *b)
{
	uint32_t lo = crc ^ ((uint32_t)b[0] | (uint32_t)b[1] << 8 | (uint32_t)b[2] << 16 |
			     (uint32_t)b[3] << 24);
	uint32_t hi = (uint32_t)b[4] | (uint32_t)b[5] << 8 | (uint32_t)b[6] << 16 |
		      (uint32_t)b[7] << 24;
	return crc_table[7][lo & 0xff] ^ crc_table[6][(lo >> 8) & 0xff] ^
	       crc_table[5][(lo >> 16) & 0xff] ^ crc_table[4][lo >> 24] ^ crc_table[3][hi & 0xff] ^
	       crc_table[2][(hi >> 8) & 0xff] ^ crc_table[1][(hi >> 16) & 0xff] ^
	       crc_table[0][hi >> 24];
}

uint32_t mur_crc32_update(uint32_t crc, const void *p, size_t n)
{
	const unsigned char *b = p;
	pthread_once(&crc_once, crc_init);
	crc = ~crc;
	for (; n >= 8; n -= 8, b += 8)
		crc = crc_step8(crc, b);
	while (n--)
		crc = crc_table[0][(crc ^ *b++) & 0xff] ^ (crc >> 8);
	return ~crc;
}
