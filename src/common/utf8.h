/*
 * utf8.h — the one check that text entering murphy is valid UTF-8.
 *
 * murphy's server encoding is UTF8 (server_encoding, client_encoding), and
 * every text value ends up in SQLite and back in a client's DataRow.  A
 * byte sequence that is not UTF-8, or a NUL byte (PostgreSQL's text cannot
 * hold one), would be stored and then break every client that reads it.
 * So each input path checks its text where it enters: pgwire (Query, Parse,
 * Bind parameters), COPY lines and fields, and string literals after their
 * escapes are applied (sql/).  bytea stays binary and is not checked.
 *
 * The rules are PostgreSQL's pg_utf8_islegal: shortest forms only, no
 * surrogates (U+D800..U+DFFF), nothing above U+10FFFF, and no 0x00.
 */
#ifndef MUR_UTF8_H
#define MUR_UTF8_H

#include "common/error.h"

#include <stddef.h>

/* Length of the longest valid prefix of s[0..n): n when all of it is valid
 * UTF-8 without NUL bytes. */
size_t mur_utf8_valid_len(const char *s, size_t n);

/* MUR_OK when s[0..n) is valid UTF-8 without NUL bytes; else MUR_ERR with
 * err = 22021 "invalid byte sequence for encoding "UTF8": 0x.. 0x..", the
 * bytes of the first bad character as PostgreSQL prints them. */
int mur_utf8_check(const char *s, size_t n, mur_error *err);

/* A string stored into varchar(max) / char(max), by PostgreSQL's rule: the
 * byte length of its first max characters, or -1 when characters beyond
 * them are not all spaces (22001: too long; trailing spaces past the
 * limit are cut, not an error). */
long mur_utf8_fit(const char *s, size_t n, size_t max);

#endif
