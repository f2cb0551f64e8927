/*
 * buf.c — see buf.h.  Growth doubles capacity; the reader never reads past
 * len and latches `bad` on the first short read.
 */
#include "common/buf.h"

#include "common/error.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <endian.h>
#include <string.h>

void mur_buf_init(mur_buf *b) { memset(b, 0, sizeof *b); }

void mur_buf_free(mur_buf *b)
{
	free(b->data);
	memset(b, 0, sizeof *b);
}

void mur_buf_reset(mur_buf *b)
{
	b->len = 0;
	b->oom = 0;
}

int mur_buf_ok(const mur_buf *b) { return !b->oom; }

/* mur_buf_reserve when the room is not there (or oom): grow. */
static int buf_grow(mur_buf *b, size_t extra)
{
	size_t need, cap;
	char *p;
	if (b->oom)
		return MUR_ENOMEM;
	need = b->len + extra + 1; /* room for a NUL from mur_buf_cstr */
	if (need <= b->cap)
		return MUR_OK;
	cap = b->cap ? b->cap : 256;
	while (cap < need)
		cap *= 2;
	p = realloc(b->data, cap);
	if (!p) {
		b->oom = 1;
		return MUR_ENOMEM;
	}
	b->data = p;
	b->cap = cap;
	return MUR_OK;
}

/* The room there already (the common case: an encoder's fields, one
 * after the other) is decided inline: every field put went through a call
 * of the whole reserve. */
static inline int buf_room(const mur_buf *b, size_t extra)
{
	return !b->oom && b->len + extra < b->cap; /* and 1 for mur_buf_cstr's NUL */
}

int mur_buf_reserve(mur_buf *b, size_t extra)
{
	return buf_room(b, extra) ? MUR_OK : buf_grow(b, extra);
}

char *mur_buf_steal(mur_buf *b, size_t *len)
{
	char *p = b->data;
	if (len)
		*len = b->len;
	memset(b, 0, sizeof *b);
	return p;
}

void mur_buf_put(mur_buf *b, const void *p, size_t n)
{
	if (n == 0 || (!buf_room(b, n) && buf_grow(b, n) != MUR_OK))
		return;
	memcpy(b->data + b->len, p, n);
	b->len += n;
}

void mur_buf_put_u8(mur_buf *b, uint8_t v) { mur_buf_put(b, &v, 1); }

void mur_buf_put_u16(mur_buf *b, uint16_t v)
{
	uint8_t x[2] = {(uint8_t)(v >> 8), (uint8_t)v};
	mur_buf_put(b, x, 2);
}

void mur_buf_put_u32(mur_buf *b, uint32_t v)
{
	uint8_t x[4] = {(uint8_t)(v >> 24), (uint8_t)(v >> 16), (uint8_t)(v >> 8), (uint8_t)v};
	mur_buf_put(b, x, 4);
}

/* One put of 8 bytes, not two of 4: a COPY row's values and every task's
 * header go through here. */
void mur_buf_put_u64(mur_buf *b, uint64_t v)
{
	uint64_t x = htobe64(v);
	mur_buf_put(b, &x, 8);
}

void mur_buf_put_i64(mur_buf *b, int64_t v) { mur_buf_put_u64(b, (uint64_t)v); }

void mur_buf_put_f64(mur_buf *b, double v)
{
	uint64_t u;
	memcpy(&u, &v, 8);
	mur_buf_put_u64(b, u);
}

void mur_buf_put_cstr(mur_buf *b, const char *s) { mur_buf_put(b, s, strlen(s) + 1); }

void mur_buf_put_lstr(mur_buf *b, const char *s, size_t n)
{
	mur_buf_put_u32(b, (uint32_t)n);
	mur_buf_put(b, s, n);
}

void mur_buf_printf(mur_buf *b, const char *fmt, ...)
{
	va_list ap;
	int n;
	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0 || mur_buf_reserve(b, (size_t)n + 1) != MUR_OK)
		return;
	va_start(ap, fmt);
	vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap);
	va_end(ap);
	b->len += (size_t)n;
}

void mur_buf_patch_u32(mur_buf *b, size_t off, uint32_t v)
{
	if (b->oom || off + 4 > b->len)
		return;
	b->data[off] = (char)(v >> 24);
	b->data[off + 1] = (char)(v >> 16);
	b->data[off + 2] = (char)(v >> 8);
	b->data[off + 3] = (char)v;
}

const char *mur_buf_cstr(mur_buf *b)
{
	if (mur_buf_reserve(b, 1) != MUR_OK)
		return "";
	b->data[b->len] = '\0';
	return b->data;
}

void mur_rd_init(mur_rd *r, const void *p, size_t len)
{
	r->p = p;
	r->len = len;
	r->off = 0;
	r->bad = 0;
}

int mur_rd_ok(const mur_rd *r) { return !r->bad; }

size_t mur_rd_left(const mur_rd *r) { return r->bad ? 0 : r->len - r->off; }

const char *mur_rd_bytes(mur_rd *r, size_t n)
{
	const char *p;
	if (r->bad || r->len - r->off < n) {
		r->bad = 1;
		return NULL;
	}
	p = r->p + r->off;
	r->off += n;
	return p;
}

uint8_t mur_rd_u8(mur_rd *r)
{
	const uint8_t *p = (const uint8_t *)mur_rd_bytes(r, 1);
	return p ? p[0] : 0;
}

uint16_t mur_rd_u16(mur_rd *r)
{
	const uint8_t *p = (const uint8_t *)mur_rd_bytes(r, 2);
	return p ? (uint16_t)((p[0] << 8) | p[1]) : 0;
}

uint32_t mur_rd_u32(mur_rd *r)
{
	const uint8_t *p = (const uint8_t *)mur_rd_bytes(r, 4);
	return p ? ((uint32_t)p[0] << 24) | ((uint32_t)p[1] << 16) | ((uint32_t)p[2] << 8) | p[3]
		 : 0;
}

uint64_t mur_rd_u64(mur_rd *r)
{
	uint64_t hi = mur_rd_u32(r);
	return (hi << 32) | mur_rd_u32(r);
}

int64_t mur_rd_i64(mur_rd *r) { return (int64_t)mur_rd_u64(r); }

double mur_rd_f64(mur_rd *r)
{
	uint64_t u = mur_rd_u64(r);
	double d;
	memcpy(&d, &u, 8);
	return d;
}

const char *mur_rd_cstr(mur_rd *r)
{
	const char *start, *nul;
	if (r->bad)
		return NULL;
	start = r->p + r->off;
	nul = memchr(start, '\0', r->len - r->off);
	if (!nul) {
		r->bad = 1;
		return NULL;
	}
	r->off += (size_t)(nul - start) + 1;
	return start;
}

const char *mur_rd_lstr(mur_rd *r, uint32_t *n)
{
	uint32_t len = mur_rd_u32(r);
	const char *p = mur_rd_bytes(r, len);
	if (n)
		*n = p ? len : 0;
	return p;
}
