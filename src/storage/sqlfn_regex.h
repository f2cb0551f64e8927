/*
 * sqlfn_regex.h — a compiled PostgreSQL regular expression (sqlfn_regex.c)
 * for the regular expression functions of storage/: the operators and
 * regexp_replace/_like/_match there, the set-returning and positional
 * ones in sqlfn_regex_set.c, substring's SQL forms in sqlfn_similar.c.
 */
#ifndef MUR_STORAGE_SQLFN_REGEX_H
#define MUR_STORAGE_SQLFN_REGEX_H

#include "storage/storage_int.h"

#include "common/buf.h"

#include <regex.h>

/* A compiled pattern and how it was asked for. */
typedef struct stor_rx {
	regex_t re;
	int global;     /* 'g': every match */
	int allow_g;    /* the function takes 'g' */
	int words;      /* uses word boundaries (\m \M \y \Y) */
	int ascii;      /* the pattern is ASCII only */
	char flags[16]; /* the flags it was compiled with (the cache's key) */
} stor_rx;

/* Argument pi of the call compiled with flags (NULL: none), 'g' refused as
 * an unknown option unless allow_g; kept with the statement (SQLite owns
 * it) while the pattern is a constant.  NULL after the call failed:
 * 2201B an invalid pattern, 22023 an unknown flag, 0A000 what murphy's
 * engine cannot say. */
stor_rx *stor_rx_compile(sqlite3_context *cx, sqlite3_value **v, int pi, const char *flags,
			 int allow_g);

/* Pattern pat[0..n) compiled as stor_rx_compile does, not kept: the
 * caller frees it with stor_rx_free.  NULL after the call failed. */
stor_rx *stor_rx_build(sqlite3_context *cx, const char *pat, int n, const char *flags, int allow_g);
void stor_rx_free(void *r);

/* Search s[from..to) (byte offsets; what lies before from still counts
 * for ^ and word boundaries) in the C.UTF-8 locale; m[0..nmatch) gets the
 * match and its groups as offsets into s.  0, or REG_NOMATCH. */
int stor_rx_exec(stor_rx *r, const char *s, size_t from, size_t to, size_t nmatch, regmatch_t *m);

/* May r search s[0..n)?  Else the call failed (0A000: word boundaries,
 * whose word characters are glibc's, with characters beyond ASCII in both
 * the pattern and the text; with an ASCII pattern the searches stand in
 * non-word characters for the text's, as PostgreSQL's C locale reads them). */
int stor_rx_subject_ok(sqlite3_context *cx, const stor_rx *r, const char *s, size_t n);

/* sqlfn_regex_ere.c: ARE pattern p[0..n) as ERE into out (x flag:
 * expanded; icase: the i flag); *words set when it has word boundaries.
 * 0, or one of these with *msg saying what: */
#define STOR_RX_UNSUPPORTED 1 /* 0A000 "murphy does not support <msg> ..." */
#define STOR_RX_INVALID 2     /* 2201B "invalid regular expression: <msg>" */
int stor_rx_translate(const char *p, size_t n, int expanded, int icase, mur_buf *out, int *words,
		      const char **msg);
/* The literal string p[0..n) (the q flag) as ERE. */
void stor_rx_translate_literal(const char *p, size_t n, mur_buf *out);

/* Register the functions of sqlfn_regex_set.c, and of sqlfn_similar.c. */
int stor_register_regex_set_functions(sqlite3 *db);
int stor_register_similar_functions(sqlite3 *db);

#endif
