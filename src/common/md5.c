/*
 * md5.c — MD5 (RFC 1321), written from the RFC's description: the message
 * is padded to a multiple of 64 bytes (0x80, zeros, its length in bits as
 * a little-endian 64-bit number) and each 64-byte block goes through four
 * rounds of sixteen steps over the state words a, b, c, d.  The step
 * constants are the RFC's floor(|sin(i + 1)| * 2^32), computed once.
 */
#include "common/md5.h"

#include <math.h>
#include <pthread.h>
#include <string.h>

static uint32_t md5_k[64];
static pthread_once_t md5_k_once = PTHREAD_ONCE_INIT;

static void md5_k_init(void)
{
	for (int i = 0; i < 64; i++)
		md5_k[i] = (uint32_t)floor(fabs(sin((double)(i + 1))) * 4294967296.0);
}

/* Left rotation of each round's steps, four per round (RFC 1321, 3.4). */
static const uint8_t md5_shift[4][4] = {{7, 12, 17, 22},
					{5, 9, 14, 20},
					{4, 11, 16, 23},
					{6, 10, 15, 21}};

static uint32_t rotl(uint32_t x, unsigned n) { return (x << n) | (x >> (32 - n)); }

static uint32_t le32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static void md5_block(uint32_t st[4], const uint8_t block[64])
{
	uint32_t m[16], a = st[0], b = st[1], c = st[2], d = st[3];
	for (int i = 0; i < 16; i++)
		m[i] = le32(block + 4 * i);
	for (int i = 0; i < 64; i++) {
		uint32_t f;
		int g, round = i / 16;
		switch (round) {
		case 0:
			f = (b & c) | (~b & d);
			g = i;
			break;
		case 1:
			f = (d & b) | (~d & c);
			g = (5 * i + 1) % 16;
			break;
		case 2:
			f = b ^ c ^ d;
			g = (3 * i + 5) % 16;
			break;
		default:
			f = c ^ (b | ~d);
			g = (7 * i) % 16;
			break;
		}
		f += a + md5_k[i] + m[g];
		a = d;
		d = c;
		c = b;
		b += rotl(f, md5_shift[round][i % 4]);
	}
	st[0] += a;
	st[1] += b;
	st[2] += c;
	st[3] += d;
}

void mur_md5(const void *data, size_t n, uint8_t digest[MUR_MD5_LEN])
{
	const uint8_t *p = data;
	uint32_t st[4] = {0x67452301u, 0xefcdab89u, 0x98badcfeu, 0x10325476u};
	uint8_t tail[128];
	size_t full = n / 64 * 64, rest = n - full, tail_len;
	uint64_t bits = (uint64_t)n * 8;
	pthread_once(&md5_k_once, md5_k_init);
	for (size_t off = 0; off < full; off += 64)
		md5_block(st, p + off);
	memset(tail, 0, sizeof tail);
	if (rest)
		memcpy(tail, p + full, rest);
	tail[rest] = 0x80;
	tail_len = rest < 56 ? 64 : 128;
	for (int i = 0; i < 8; i++)
		tail[tail_len - 8 + i] = (uint8_t)(bits >> (8 * i));
	for (size_t off = 0; off < tail_len; off += 64)
		md5_block(st, tail + off);
	for (int i = 0; i < 4; i++)
		for (int j = 0; j < 4; j++)
			digest[4 * i + j] = (uint8_t)(st[i] >> (8 * j));
}

void mur_md5_hex(const void *data, size_t n, char hex[MUR_MD5_HEX_LEN + 1])
{
	static const char digits[] = "0123456789abcdef";
	uint8_t d[MUR_MD5_LEN];
	mur_md5(data, n, d);
	for (int i = 0; i < MUR_MD5_LEN; i++) {
		hex[2 * i] = digits[d[i] >> 4];
		hex[2 * i + 1] = digits[d[i] & 15];
	}
	hex[MUR_MD5_HEX_LEN] = '\0';
}
