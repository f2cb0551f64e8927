/*
 * md5.h — the MD5 digest (RFC 1321), for SQL's md5(text) and, later,
 * PostgreSQL's md5 password exchange.  Not for anything that needs a
 * secure hash: MD5 is broken as one; PostgreSQL's md5() is kept for
 * compatibility, and so is this.
 */
#ifndef MUR_MD5_H
#define MUR_MD5_H

#include <stddef.h>
#include <stdint.h>

#define MUR_MD5_LEN 16 /* bytes of a digest */
#define MUR_MD5_HEX_LEN 32

/* digest = MD5 of data[0..n). */
void mur_md5(const void *data, size_t n, uint8_t digest[MUR_MD5_LEN]);

/* hex = MD5 of data[0..n) in lower-case hex, NUL-terminated. */
void mur_md5_hex(const void *data, size_t n, char hex[MUR_MD5_HEX_LEN + 1]);

#endif
