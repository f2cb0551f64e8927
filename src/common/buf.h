/*
 * buf.h — growable byte buffer (writer) and bounds-checked reader.
 *
 * mur_buf owns its heap memory: init → append… → free.  Appends never fail
 * silently: on allocation failure the buffer sets `oom` and later appends
 * are no-ops, so callers check once at the end (mur_buf_ok).
 *
 * mur_rd reads from memory it does not own.  Every getter checks bounds; on
 * a short read it sets `bad` and returns zero/NULL, so decoders can read a
 * whole message and check mur_rd_ok() once.  Multi-byte integers are
 * big-endian (network order) in both pgwire and murphy's node protocol.
 */
#ifndef MUR_BUF_H
#define MUR_BUF_H

#include <stddef.h>
#include <stdint.h>

typedef struct mur_buf {
	char *data;
	size_t len;
	size_t cap;
	int oom;
} mur_buf;

void mur_buf_init(mur_buf *b);
void mur_buf_free(mur_buf *b);
void mur_buf_reset(mur_buf *b); /* len = 0, keeps memory */
int mur_buf_ok(const mur_buf *b);
int mur_buf_reserve(mur_buf *b, size_t extra); /* 0 or MUR_ENOMEM */
/* Hand the memory to the caller (free() it); the buffer becomes empty. */
char *mur_buf_steal(mur_buf *b, size_t *len);

void mur_buf_put(mur_buf *b, const void *p, size_t n);
void mur_buf_put_u8(mur_buf *b, uint8_t v);
void mur_buf_put_u16(mur_buf *b, uint16_t v);
void mur_buf_put_u32(mur_buf *b, uint32_t v);
void mur_buf_put_u64(mur_buf *b, uint64_t v);
void mur_buf_put_i64(mur_buf *b, int64_t v);
void mur_buf_put_f64(mur_buf *b, double v);
void mur_buf_put_cstr(mur_buf *b, const char *s); /* bytes and the NUL */
/* u32 length then bytes (no NUL). */
void mur_buf_put_lstr(mur_buf *b, const char *s, size_t n);
void mur_buf_printf(mur_buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Overwrite 4 bytes at offset (for length prefixes written after the fact). */
void mur_buf_patch_u32(mur_buf *b, size_t off, uint32_t v);
/* Make data a NUL-terminated string without counting the NUL in len. */
const char *mur_buf_cstr(mur_buf *b);

typedef struct mur_rd {
	const char *p;
	size_t len;
	size_t off;
	int bad;
} mur_rd;

void mur_rd_init(mur_rd *r, const void *p, size_t len);
int mur_rd_ok(const mur_rd *r); /* no short read so far */
size_t mur_rd_left(const mur_rd *r);
uint8_t mur_rd_u8(mur_rd *r);
uint16_t mur_rd_u16(mur_rd *r);
uint32_t mur_rd_u32(mur_rd *r);
uint64_t mur_rd_u64(mur_rd *r);
int64_t mur_rd_i64(mur_rd *r);
double mur_rd_f64(mur_rd *r);
const char *mur_rd_bytes(mur_rd *r, size_t n);   /* pointer into the input */
const char *mur_rd_cstr(mur_rd *r);              /* NUL-terminated in input */
const char *mur_rd_lstr(mur_rd *r, uint32_t *n); /* u32 length + bytes */

#endif
