/*
 * utf8.c — UTF-8 validation (utf8.h).  ASCII runs are skipped eight bytes
 * at a time (no high bit, no zero byte in the word); a multi-byte
 * character is checked against PostgreSQL's table of legal sequences.
 */
#include "common/utf8.h"

#include <stdint.h>
#include <stdio.h>
#include <string.h>

/* Bytes of the character that starts with lead byte b, as PostgreSQL's
 * pg_utf_mblen counts them (1 for bytes that start nothing). */
static size_t lead_len(unsigned char b)
{
	if (b < 0x80)
		return 1;
	if ((b & 0xe0) == 0xc0)
		return 2;
	if ((b & 0xf0) == 0xe0)
		return 3;
	if ((b & 0xf8) == 0xf0)
		return 4;
	return 1;
}

/* Is s[0..l) (l = lead_len(s[0])) one legal character? */
static int char_legal(const unsigned char *s, size_t l)
{
	unsigned char a = s[0], b;
	if (l == 1)
		return a > 0 && a < 0x80;
	b = s[1];
	switch (a) {
	case 0xe0:
		if (b < 0xa0 || b > 0xbf)
			return 0;
		break;
	case 0xed:
		if (b < 0x80 || b > 0x9f)
			return 0;
		break;
	case 0xf0:
		if (b < 0x90 || b > 0xbf)
			return 0;
		break;
	case 0xf4:
		if (b < 0x80 || b > 0x8f)
			return 0;
		break;
	default:
		if (a < 0xc2 || a > 0xf4 || b < 0x80 || b > 0xbf)
			return 0;
	}
	for (size_t i = 2; i < l; i++)
		if (s[i] < 0x80 || s[i] > 0xbf)
			return 0;
	return 1;
}

/* Eight ASCII bytes, none of them zero? */
static int word_ascii(const unsigned char *p)
{
	uint64_t w;
	memcpy(&w, p, 8);
	return (w & 0x8080808080808080ull) == 0 &&
	       ((w - 0x0101010101010101ull) & ~w & 0x8080808080808080ull) == 0;
}

size_t mur_utf8_valid_len(const char *str, size_t n)
{
	const unsigned char *s = (const unsigned char *)str;
	size_t i = 0;
	while (i < n) {
		size_t l;
		if (n - i >= 8 && word_ascii(s + i)) {
			i += 8;
			continue;
		}
		l = lead_len(s[i]);
		if (l > n - i || !char_legal(s + i, l))
			return i;
		i += l;
	}
	return n;
}

int mur_utf8_check(const char *str, size_t n, mur_error *err)
{
	size_t at = mur_utf8_valid_len(str, n), l, k = 0;
	const unsigned char *s = (const unsigned char *)str + at;
	char bytes[4 * 5 + 1];
	if (at == n)
		return MUR_OK;
	l = lead_len(s[0]);
	if (l > n - at)
		l = n - at;
	for (size_t i = 0; i < l; i++)
		k += (size_t)snprintf(bytes + k, sizeof bytes - k, "%s0x%02x", i ? " " : "", s[i]);
	return mur_error_set(err, SQLSTATE_CHARACTER_NOT_IN_REPERTOIRE,
			     "invalid byte sequence for encoding \"UTF8\": %s", bytes);
}

long mur_utf8_fit(const char *s, size_t n, size_t max)
{
	size_t end, k = 0;
	for (end = 0; end < n; end++) /* end: the first byte of character max + 1 */
		if (((unsigned char)s[end] & 0xC0) != 0x80 && k++ == max)
			break;
	for (size_t i = end; i < n; i++)
		if (s[i] != ' ')
			return -1;
	return (long)end;
}
