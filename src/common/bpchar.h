/*
 * bpchar.h — character(n) (PostgreSQL's bpchar): a value is stored blank-
 * padded to n characters and compared without its trailing blanks.
 *
 * murphy keeps PostgreSQL's representation (docs/decisions.md, "char(n) is
 * stored padded"): the padding lives in the stored text, so every output
 * path (text and binary DataRow, COPY TO, pg_dump) shows it unchanged, and
 * equality ignores trailing spaces wherever values meet: SQLite's built-in
 * RTRIM collation on the shard columns, MUR_KEY_BPCHAR key bytes
 * (common/valkey.h) in hash aggregates and repartitions, and the shard hash
 * of a char(n) distribution column (mur_value_hash_typed).  Only U+0020
 * counts as a blank, as in PostgreSQL.
 */
#ifndef MUR_BPCHAR_H
#define MUR_BPCHAR_H

#include "common/buf.h"

#include <stddef.h>

/* SQLite's built-in collation that ignores trailing spaces: shard columns
 * of type character(n) are declared with it, and comparisons of bpchar
 * expressions that are not such columns name it. */
#define MUR_BPCHAR_COLLATION "RTRIM"

/* Bytes of s[0..n) without its trailing spaces. */
size_t mur_bpchar_trimmed_len(const char *s, size_t n);

/* Spaces that pad s[0..n) to max characters (0 when it has max or more). */
size_t mur_bpchar_pad_count(const char *s, size_t n, int max);

/* s[0..n) as a value of character(max) (max > 0), or of character varying
 * (max) when !pad: appends the result to out and returns MUR_OK.  An
 * explicit cast (`explicit_cast`) cuts what is past max characters; an
 * assignment cuts only spaces and returns MUR_ERR (22001 for the caller,
 * nothing appended) when another character would be lost.  With pad the
 * result is padded with spaces to max characters.  Out of memory shows as
 * !mur_buf_ok(out). */
int mur_bpchar_fit(const char *s, size_t n, int max, int pad, int explicit_cast, mur_buf *out);

#endif
