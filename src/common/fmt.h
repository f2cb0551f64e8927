/*
 * fmt.h — snprintf's contract for the hot path's few shapes (strings and
 * integers in decimal) without stdio: a placement's file name per task, a
 * transaction's participant list per commit, a lifted literal's text per
 * statement.  glibc's snprintf sets up a FILE and walks the format for
 * each call (~1,000 instructions for "t%u_s%u.db"); these write the digits
 * directly.  The results are byte for byte snprintf's (tests/unit/common/
 * test_fmt.c compares them), truncation included.
 *
 * mur_cat appends to out[0..n) as a chain of snprintf(out + len, n - len,
 * ...) calls would: len counts every byte asked for (the length the text
 * would have), out holds its first min(len, n - 1) bytes and a NUL (n > 0).
 */
#ifndef MUR_COMMON_FMT_H
#define MUR_COMMON_FMT_H

#include <stddef.h>
#include <stdint.h>

/* v's decimal digits at out (no NUL; at most 20 bytes); their count. */
size_t mur_fmt_u64(char *out, uint64_t v);
/* v in decimal, '-' first when negative (no NUL; at most 20 bytes). */
size_t mur_fmt_i64(char *out, int64_t v);

/* snprintf(dst, n, "%s", src): at most n - 1 bytes of src and a NUL (n >
 * 0); returns strlen(src). */
size_t mur_strlcpy(char *dst, const char *src, size_t n);

typedef struct mur_cat {
	char *out;
	size_t n;   /* out's size */
	size_t len; /* bytes asked for so far (may pass n - 1: truncated) */
} mur_cat;

/* Starts an empty text in out[0..n) (n > 0: out[0] = NUL). */
void mur_cat_init(mur_cat *c, char *out, size_t n);
void mur_cat_str(mur_cat *c, const char *s);
void mur_cat_mem(mur_cat *c, const char *s, size_t len);
void mur_cat_u64(mur_cat *c, uint64_t v);

#endif
