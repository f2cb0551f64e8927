/*
 * fmt.c — decimal digits and bounded appends without stdio (fmt.h).
 *
 * mur_cat_mem is the one place that cuts: it copies what still fits before
 * the last byte of out, writes the NUL after it, and counts every byte
 * asked for, as snprintf returns the length it would have written.
 */
#include "common/fmt.h"

#include <string.h>

size_t mur_fmt_u64(char *out, uint64_t v)
{
	char tmp[20];
	size_t n = 0;
	do {
		tmp[n++] = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	for (size_t i = 0; i < n; i++)
		out[i] = tmp[n - 1 - i];
	return n;
}

size_t mur_fmt_i64(char *out, int64_t v)
{
	if (v >= 0)
		return mur_fmt_u64(out, (uint64_t)v);
	out[0] = '-';
	return 1 + mur_fmt_u64(out + 1, 0 - (uint64_t)v); /* INT64_MIN too */
}

size_t mur_strlcpy(char *dst, const char *src, size_t n)
{
	size_t len = strlen(src);
	if (n) {
		size_t k = len < n ? len : n - 1;
		memcpy(dst, src, k);
		dst[k] = '\0';
	}
	return len;
}

void mur_cat_init(mur_cat *c, char *out, size_t n)
{
	c->out = out;
	c->n = n;
	c->len = 0;
	if (n)
		out[0] = '\0';
}

void mur_cat_mem(mur_cat *c, const char *s, size_t len)
{
	if (c->len + 1 < c->n) {
		size_t room = c->n - 1 - c->len, k = len < room ? len : room;
		memcpy(c->out + c->len, s, k);
		c->out[c->len + k] = '\0';
	}
	c->len += len;
}

void mur_cat_str(mur_cat *c, const char *s) { mur_cat_mem(c, s, strlen(s)); }

void mur_cat_u64(mur_cat *c, uint64_t v)
{
	char d[20];
	mur_cat_mem(c, d, mur_fmt_u64(d, v));
}
