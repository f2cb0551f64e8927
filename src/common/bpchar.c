/*
 * bpchar.c — character(n) padding and trimming (contract in bpchar.h).
 * The character count is UTF-8's (mur_utf8_fit finds the byte where
 * character max + 1 starts).
 */
#include "common/bpchar.h"
#include "common/error.h"
#include "common/utf8.h"

size_t mur_bpchar_trimmed_len(const char *s, size_t n)
{
	while (n > 0 && s[n - 1] == ' ')
		n--;
	return n;
}

/* Characters of s[0..n) (UTF-8 lead bytes). */
static size_t utf8_chars(const char *s, size_t n)
{
	size_t k = 0;
	for (size_t i = 0; i < n; i++)
		k += ((unsigned char)s[i] & 0xC0) != 0x80;
	return k;
}

/* Byte length of the first max characters of s[0..n) (all of it when
 * shorter). */
static size_t utf8_prefix(const char *s, size_t n, size_t max)
{
	size_t k = 0;
	for (size_t i = 0; i < n; i++)
		if (((unsigned char)s[i] & 0xC0) != 0x80 && k++ == max)
			return i;
	return n;
}

size_t mur_bpchar_pad_count(const char *s, size_t n, int max)
{
	size_t chars = utf8_chars(s, n);
	return max > 0 && chars < (size_t)max ? (size_t)max - chars : 0;
}

int mur_bpchar_fit(const char *s, size_t n, int max, int pad, int explicit_cast, mur_buf *out)
{
	long fit;
	size_t spaces;
	if (max <= 0) {
		mur_buf_put(out, s, n);
		return MUR_OK;
	}
	fit = explicit_cast ? (long)utf8_prefix(s, n, (size_t)max)
			    : mur_utf8_fit(s, n, (size_t)max);
	if (fit < 0)
		return MUR_ERR;
	mur_buf_put(out, s, (size_t)fit);
	spaces = pad ? mur_bpchar_pad_count(s, (size_t)fit, max) : 0;
	while (spaces--)
		mur_buf_put_u8(out, ' ');
	return MUR_OK;
}
