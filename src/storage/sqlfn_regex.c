/*
 * sqlfn_regex.c — PostgreSQL's regular expressions (~, ~*, !~, !~*,
 * regexp_replace, regexp_like, regexp_match) on the system's POSIX regex
 * engine, and the compiled pattern the other regex functions share
 * (sqlfn_regex.h: sqlfn_regex_set.c, sqlfn_similar.c):
 *
 *   mur_regex_match(s, pattern, flags)        the operators: flags '' or 'i'
 *   mur_regexp_replace(s, pattern, repl[, flags])
 *   mur_regexp_replace_at(s, pattern, repl, start[, n[, flags]])
 *   mur_regexp_like(s, pattern[, flags])
 *   mur_regexp_match(s, pattern[, flags])     text[]: the first match's groups
 *                                             (the whole match without groups)
 *
 * A pattern is PostgreSQL's "advanced" syntax (ARE) written as POSIX
 * extended (ERE) with GNU's extensions by sqlfn_regex_ere.c, which says
 * what ERE cannot (0A000, never a different match).  Flags: i c n m s t
 * x q g as PostgreSQL's (m is n; x and q are done in the translation); b,
 * e, p, w are 0A000.  Matching is leftmost-longest in both engines.
 * Characters are UTF-8 (the regex runs in the C.UTF-8 locale: '.' is one
 * character, not one byte); every search sees the whole string
 * (REG_STARTEND), so ^ and word boundaries at a later start answer as
 * PostgreSQL's; with word boundaries, a text beyond ASCII is searched with
 * non-word characters standing in for its own (PostgreSQL's C locale has
 * no word characters there, glibc's has).
 *
 * A compiled pattern is kept with the statement while the pattern
 * argument is a constant (sqlite3_set_auxdata), so a scan compiles it
 * once, not once a row (flags that vary per row compile anew).
 *
 * Errors: an invalid pattern is 2201B "invalid regular expression: ..."
 * and an unknown flag 22023 "invalid regular expression option", as
 * PostgreSQL says them.
 */
#include "storage/storage_int.h"
#include "storage/sqlfn_regex.h"

#include "common/array.h"
#include "common/buf.h"

#include <locale.h>
#include <pthread.h>
#include <regex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define REGEX_GROUPS 10 /* the whole match and \1..\9, all a replacement can name */

static locale_t utf8_locale;
static pthread_once_t utf8_once = PTHREAD_ONCE_INIT;

static void utf8_locale_init(void) { utf8_locale = newlocale(LC_ALL_MASK, "C.UTF-8", (locale_t)0); }

typedef stor_rx rx;

static void rx_free(void *p)
{
	rx *r = p;
	regfree(&r->re);
	sqlite3_free(r);
}

/* Read flags into *cflags, r->global, *expanded, *literal; 0, or the
 * call failed (22023 an unknown flag, 0A000 one murphy cannot do). */
static int read_flags(sqlite3_context *cx, const char *flags, int allow_g, rx *r, int *cflags,
		      int *expanded, int *literal)
{
	for (const char *f = flags ? flags : ""; *f; f++) {
		if (*f == 'i')
			*cflags |= REG_ICASE;
		else if (*f == 'c')
			*cflags &= ~REG_ICASE;
		else if (*f == 'n' || *f == 'm')
			*cflags |= REG_NEWLINE;
		else if (*f == 's')
			*cflags &= ~REG_NEWLINE;
		else if (*f == 'x')
			*expanded = 1;
		else if (*f == 'q')
			*literal = 1;
		else if (*f == 't')
			*expanded = 0;
		else if (*f == 'g' && allow_g)
			r->global = 1;
		else if (*f == 'e' || *f == 'b' || *f == 'p' || *f == 'w') {
			stor_fn_fail(cx, SQLSTATE_FEATURE_NOT_SUPPORTED,
				     "murphy does not support the regular expression option \"%c\" "
				     "yet",
				     *f);
			return -1;
		} else {
			stor_fn_fail(cx, "22023", "invalid regular expression option: \"%c\"", *f);
			return -1;
		}
	}
	return 0;
}

void stor_rx_free(void *p) { rx_free(p); }

stor_rx *stor_rx_build(sqlite3_context *cx, const char *pat, int n, const char *flags, int allow_g)
{
	int cflags = REG_EXTENDED, rc, expanded = 0, literal = 0, bad = 0;
	const char *msg = NULL;
	mur_buf ere;
	locale_t old;
	rx *r;
	if (!flags)
		flags = "";
	if (!(r = sqlite3_malloc(sizeof *r)))
		return sqlite3_result_error_nomem(cx), NULL;
	r->global = 0;
	r->allow_g = allow_g;
	snprintf(r->flags, sizeof r->flags, "%s", flags);
	if (read_flags(cx, flags, allow_g, r, &cflags, &expanded, &literal) != 0) {
		sqlite3_free(r);
		return NULL;
	}
	mur_buf_init(&ere);
	r->words = 0;
	r->ascii = 1;
	for (int i = 0; i < n && pat; i++)
		r->ascii &= !((unsigned char)pat[i] & 0x80);
	if (literal)
		stor_rx_translate_literal(pat ? pat : "", (size_t)n, &ere);
	else
		bad = stor_rx_translate(pat ? pat : "", (size_t)n, expanded, cflags & REG_ICASE,
					&ere, &r->words, &msg);
	mur_buf_put_u8(&ere, '\0');
	if (bad || !mur_buf_ok(&ere)) {
		mur_buf_free(&ere);
		sqlite3_free(r);
		if (!bad)
			return sqlite3_result_error_nomem(cx), NULL;
		if (bad == STOR_RX_INVALID)
			stor_fn_fail(cx, "2201B", "invalid regular expression: %s", msg);
		else
			stor_fn_fail(cx, SQLSTATE_FEATURE_NOT_SUPPORTED,
				     "murphy does not support %s in regular expressions yet", msg);
		return NULL;
	}
	pthread_once(&utf8_once, utf8_locale_init);
	old = utf8_locale ? uselocale(utf8_locale) : (locale_t)0;
	rc = regcomp(&r->re, ere.data, cflags);
	if (old)
		uselocale(old);
	mur_buf_free(&ere);
	if (rc != 0) {
		char msg[128];
		regerror(rc, &r->re, msg, sizeof msg);
		sqlite3_free(r);
		stor_fn_fail(cx, "2201B", "invalid regular expression: %s", msg);
		return NULL;
	}
	return r;
}

stor_rx *stor_rx_compile(sqlite3_context *cx, sqlite3_value **v, int pi, const char *flags,
			 int allow_g)
{
	rx *r = sqlite3_get_auxdata(cx, pi);
	if (!flags)
		flags = "";
	/* cached while the pattern is a constant; flags that vary per row compile anew */
	if (r && strlen(flags) < sizeof r->flags && !strcmp(r->flags, flags) &&
	    r->allow_g == allow_g)
		return r;
	if (!(r = stor_rx_build(cx, (const char *)sqlite3_value_text(v[pi]),
				sqlite3_value_bytes(v[pi]), flags, allow_g)))
		return NULL;
	sqlite3_set_auxdata(cx, pi, r, rx_free);
	return sqlite3_get_auxdata(cx, pi); /* NULL if SQLite could not keep it (and freed it) */
}

int stor_rx_subject_ok(sqlite3_context *cx, const stor_rx *r, const char *s, size_t n)
{
	if (!r->words || r->ascii)
		return 1;
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)s[i] & 0x80) {
			stor_fn_fail(cx, SQLSTATE_FEATURE_NOT_SUPPORTED,
				     "murphy does not support the word boundaries \\m \\M \\y \\Y "
				     "with characters beyond ASCII in both the pattern and the "
				     "text "
				     "yet");
			return 0;
		}
	return 1;
}

/* s[0..n) as glibc should see it under r: s itself; or, when r has word
 * boundaries and s characters beyond ASCII, a copy (*copy, the caller
 * frees it) where each of those is a non-word character of the same byte
 * length — PostgreSQL's C locale has no word characters beyond ASCII,
 * glibc's C.UTF-8 has (é) — so offsets, '.' and [^...] stay as they were
 * (r's pattern is ASCII only, stor_rx_subject_ok).  NULL: no memory. */
static const char *subject(const stor_rx *r, const char *s, size_t n, char **copy)
{
	static const char *const nonword[5] = {"", "?", "\xc2\xa1", "\xe2\x80\x90",
					       "\xf0\x9f\x98\x80"}; /* ¡ ‐ 😀 */
	size_t i = 0;
	*copy = NULL;
	if (!r->words)
		return s;
	while (i < n && !((unsigned char)s[i] & 0x80))
		i++;
	if (i == n)
		return s;
	if (!(*copy = malloc(n + 1)))
		return NULL;
	memcpy(*copy, s, n);
	(*copy)[n] = '\0';
	while (i < n) {
		unsigned char b = (unsigned char)s[i];
		size_t k = b < 0x80 ? 1 : b >= 0xf0 ? 4 : b >= 0xe0 ? 3 : b >= 0xc0 ? 2 : 1;
		if (k > 1 && i + k <= n)
			memcpy(*copy + i, nonword[k], k);
		i += i + k <= n ? k : 1;
	}
	return *copy;
}

static rx *compile(sqlite3_context *cx, sqlite3_value **v, int pi, const char *flags, int allow_g)
{
	return stor_rx_compile(cx, v, pi, flags, allow_g);
}

int stor_rx_exec(stor_rx *r, const char *s, size_t from, size_t to, size_t nmatch, regmatch_t *m)
{
	locale_t old;
	char *copy;
	int rc;
	if (!(s = subject(r, s, to, &copy)))
		return REG_ESPACE;
	pthread_once(&utf8_once, utf8_locale_init);
	old = utf8_locale ? uselocale(utf8_locale) : (locale_t)0;
	m[0].rm_so = (regoff_t)from;
	m[0].rm_eo = (regoff_t)to;
	rc = regexec(&r->re, s, nmatch, m, REG_STARTEND);
	if (old)
		uselocale(old);
	free(copy);
	return rc;
}

static const char *flags_arg(sqlite3_value **v, int argc, int i)
{
	return i < argc ? (const char *)sqlite3_value_text(v[i]) : NULL;
}

static void match(sqlite3_context *cx, int argc, sqlite3_value **v, int flags_at)
{
	regmatch_t m[1];
	rx *r;
	if (stor_fn_any_null(argc, v))
		return;
	if (!(r = compile(cx, v, 1, flags_arg(v, argc, flags_at), 0)) ||
	    !stor_rx_subject_ok(cx, r, (const char *)sqlite3_value_text(v[0]),
				(size_t)sqlite3_value_bytes(v[0])))
		return;
	sqlite3_result_int(cx, stor_rx_exec(r, (const char *)sqlite3_value_text(v[0]), 0,
					    (size_t)sqlite3_value_bytes(v[0]), 1, m) == 0);
}

static void fn_regex_match(sqlite3_context *cx, int argc, sqlite3_value **v)
{
	match(cx, argc, v, 2);
}

static void fn_regexp_like(sqlite3_context *cx, int argc, sqlite3_value **v)
{
	match(cx, argc, v, 2);
}

#define MATCH_GROUPS 64 /* groups regexp_match reports (0A000 past) */

/* regexp_match: the first match as a text[] of its parenthesized groups
 * (a group that took part in no match is NULL), or of the whole match
 * when the pattern has none; NULL when nothing matches.  The 'g' flag is
 * PostgreSQL's 22023. */
static void fn_regexp_match(sqlite3_context *cx, int argc, sqlite3_value **v)
{
	const char *flags = flags_arg(v, argc, 2), *s;
	regmatch_t m[MATCH_GROUPS + 1];
	mur_error err;
	mur_arr a;
	mur_buf out;
	size_t ng;
	rx *r;
	if (stor_fn_any_null(argc, v))
		return;
	if (flags && strchr(flags, 'g')) {
		stor_fn_fail(cx, "22023", "regexp_match() does not support the \"global\" option");
		return;
	}
	if (!(r = compile(cx, v, 1, flags, 0)) ||
	    !stor_rx_subject_ok(cx, r, (const char *)sqlite3_value_text(v[0]),
				(size_t)sqlite3_value_bytes(v[0])))
		return;
	if (r->re.re_nsub > MATCH_GROUPS) {
		stor_fn_fail(cx, SQLSTATE_FEATURE_NOT_SUPPORTED,
			     "murphy does not support regexp_match with more than %d groups",
			     MATCH_GROUPS);
		return;
	}
	s = (const char *)sqlite3_value_text(v[0]);
	ng = r->re.re_nsub;
	if (stor_rx_exec(r, s, 0, (size_t)sqlite3_value_bytes(v[0]), ng + 1, m) != 0)
		return;
	mur_arr_init(&a);
	for (size_t i = ng ? 1 : 0; i <= ng; i++) {
		int none = m[i].rm_so < 0;
		if (mur_arr_push(&a, none ? "" : s + m[i].rm_so,
				 none ? 0 : (size_t)(m[i].rm_eo - m[i].rm_so), none,
				 &err) != MUR_OK) {
			mur_arr_free(&a);
			stor_fn_fail(cx, err.sqlstate, "%s", err.message);
			return;
		}
	}
	mur_buf_init(&out);
	mur_arr_out(&a, &out);
	mur_arr_free(&a);
	stor_fn_result_buf(cx, &out);
}

/* Append repl with \1..\9 and \& replaced by the match's groups. */
static void put_replacement(mur_buf *b, const char *s, const char *repl, int rn,
			    const regmatch_t *m)
{
	for (int i = 0; i < rn; i++) {
		char ch = repl[i];
		int g = -1;
		if (ch == '\\' && i + 1 < rn) {
			char e = repl[i + 1];
			if (e >= '1' && e <= '9')
				g = e - '0';
			else if (e == '&')
				g = 0;
			else if (e == '\\')
				ch = '\\';
			else {
				mur_buf_put_u8(
					b,
					(uint8_t)ch); /* a backslash before anything else stays */
				continue;
			}
			i++;
		}
		if (g < 0) {
			mur_buf_put_u8(b, (uint8_t)ch);
		} else if (m[g].rm_so >= 0) {
			mur_buf_put(b, s + m[g].rm_so, (size_t)(m[g].rm_eo - m[g].rm_so));
		}
	}
}

/* regexp_replace as PostgreSQL's replace_text_regexp: from byte start,
 * the n-th match only (n 0: every one); the text left of each replaced
 * match, then the replacement; the next search starts at the match's end,
 * one character on after an empty match. */
static void replace(sqlite3_context *cx, sqlite3_value **v, const char *flags, size_t start,
		    int64_t n)
{
	const char *s, *repl;
	size_t len, pos = 0, at = start;
	regmatch_t m[REGEX_GROUPS];
	int64_t seen = 0;
	int rn;
	rx *r;
	mur_buf b;
	if (!(r = compile(cx, v, 1, flags, 1)) ||
	    !stor_rx_subject_ok(cx, r, (const char *)sqlite3_value_text(v[0]),
				(size_t)sqlite3_value_bytes(v[0])))
		return;
	s = (const char *)sqlite3_value_text(v[0]);
	len = (size_t)sqlite3_value_bytes(v[0]);
	repl = (const char *)sqlite3_value_text(v[2]);
	rn = sqlite3_value_bytes(v[2]);
	if (n < 0) /* from the flags: 'g' every match, else the first */
		n = r->global ? 0 : 1;
	mur_buf_init(&b);
	while (at <= len && stor_rx_exec(r, s, at, len, REGEX_GROUPS, m) == 0) {
		size_t so = (size_t)m[0].rm_so, eo = (size_t)m[0].rm_eo;
		if (!n || ++seen == n) {
			mur_buf_put(&b, s + pos, so - pos);
			put_replacement(&b, s, repl, rn, m);
			pos = eo;
			if (n)
				break;
		}
		at = eo;
		if (so == eo && at >= len)
			break;
		if (so == eo) /* an empty match: search on one character later */
			do
				at++;
			while (at < len && ((unsigned char)s[at] & 0xC0) == 0x80);
	}
	mur_buf_put(&b, s + pos, len - pos);
	stor_fn_result_buf(cx, &b);
}

static void fn_regexp_replace(sqlite3_context *cx, int argc, sqlite3_value **v)
{
	if (!stor_fn_any_null(argc, v))
		replace(cx, v, flags_arg(v, argc, 3), 0, -1);
}

/* regexp_replace(s, p, r, start [, n [, flags]]) (PostgreSQL 15): start a
 * character position from 1, n the match to replace (0: every one; not
 * given: as the flags say). */
static void fn_regexp_replace_at(sqlite3_context *cx, int argc, sqlite3_value **v)
{
	int64_t start, n = argc > 4 ? sqlite3_value_int64(v[4]) : -1;
	const char *s;
	size_t len, at = 0;
	if (stor_fn_any_null(argc, v))
		return;
	if ((start = sqlite3_value_int64(v[3])) <= 0)
		return stor_fn_fail(cx, "22023", "invalid value for parameter \"start\": %lld",
				    (long long)start);
	if (argc > 4 && n < 0)
		return stor_fn_fail(cx, "22023", "invalid value for parameter \"n\": %lld",
				    (long long)n);
	s = (const char *)sqlite3_value_text(v[0]);
	len = (size_t)sqlite3_value_bytes(v[0]);
	for (int64_t k = start - 1; k > 0 && at <= len; k--) /* character start - 1 */
		do
			at++;
		while (at < len && ((unsigned char)s[at] & 0xC0) == 0x80);
	replace(cx, v, flags_arg(v, argc, 5), at, n);
}

static const stor_fn_def regex_fns[] = {
	{"mur_regexp_match", -1, 1, fn_regexp_match},
	{"mur_regex_match", 3, 1, fn_regex_match},
	{"mur_regexp_like", 2, 1, fn_regexp_like},
	{"mur_regexp_like", 3, 1, fn_regexp_like},
	{"mur_regexp_replace", 3, 1, fn_regexp_replace},
	{"mur_regexp_replace", 4, 1, fn_regexp_replace},
	{"mur_regexp_replace_at", -1, 1, fn_regexp_replace_at},
};

int stor_register_regex_functions(sqlite3 *db)
{
	int rc = stor_fn_register(db, regex_fns, sizeof regex_fns / sizeof regex_fns[0]);
	return rc == SQLITE_OK ? stor_register_regex_set_functions(db) : rc;
}
