/*
 * sqlfn_similar.c — SQL's own regular expressions (SIMILAR TO patterns):
 *
 *   mur_similar_substring(s, p, e)   substring(s SIMILAR p ESCAPE e) and
 *                                    substring(s FROM p FOR e)
 *   mur_similar_to(s, p, e)          s SIMILAR TO p ESCAPE e
 *
 * The pattern becomes a regular expression as PostgreSQL's
 * similar_escape_internal writes it: % is .*, _ is ., a character after
 * the escape character stands for itself (so \d & co. reach the regex
 * engine as in PostgreSQL), . ^ $ \ are literal, brackets are copied; the
 * escape character followed by a double quote separates the pattern into
 * at most three parts (22025 / 2200C as PostgreSQL otherwise).  The whole
 * string must match.  substring answers the text the middle part matched
 * (the whole string without separators): PostgreSQL's regex
 * ^(?:A){1,1}?(B){1,1}(?:C)$ makes A as short as it can be and then B as
 * long; murphy's engine has no non-greedy quantifier, so the A prefixes
 * are tried from the shortest and B C is matched after each (POSIX gives
 * the earlier group the longest match).  Each part goes through
 * sqlfn_regex.c's translation, so what it cannot say is 0A000 there.
 */
#include "storage/sqlfn_regex.h"

#include "common/buf.h"

#include <string.h>

#define SIMILAR_PARTS 3
/* Bytes of text substring(... SIMILAR ...) with separators searches: it
 * tries the first part's prefixes one by one (quadratic), so past this
 * it is 0A000 rather than a statement that runs for minutes. */
#define SIMILAR_SPLIT_TEXT_MAX 4096

/* The compiled parts of one pattern: a "^(A)$" and bc "^(B)(C)$", or
 * whole "^(A)(B)(C)$" (parts joined); kept while the pattern is constant. */
typedef struct similar {
	stor_rx *a, *bc, *whole;
	int nparts;
	char esc[8]; /* the escape it was compiled with (the cache's key) */
} similar;

static void similar_free(void *p)
{
	similar *m = p;
	if (m->a)
		stor_rx_free(m->a);
	if (m->bc)
		stor_rx_free(m->bc);
	if (m->whole)
		stor_rx_free(m->whole);
	sqlite3_free(m);
}

static size_t utf8_len(const char *s, size_t n, size_t i)
{
	size_t k = 1;
	while (i + k < n && ((unsigned char)s[i + k] & 0xC0) == 0x80)
		k++;
	return k;
}

/* The regex text of each part of SIMILAR pattern p[0..n) with escape
 * e[0..elen) (elen 0: none) into parts[]; 0, or the call failed. */
static int translate(sqlite3_context *cx, const char *p, size_t n, const char *e, size_t elen,
		     mur_buf parts[SIMILAR_PARTS], int *nparts)
{
	int after_escape = 0, cls = 0; /* cls: 0 outside brackets, 1 just in, 2 past the first */
	mur_buf *out = &parts[0];
	*nparts = 1;
	for (size_t i = 0; i < n;) {
		size_t k = utf8_len(p, n, i);
		char ch = p[i];
		if (after_escape) {
			if (ch == '"' && !cls) {
				if (*nparts == SIMILAR_PARTS) {
					stor_fn_fail(cx, "2200C",
						     "SQL regular expression may not contain more "
						     "than two escape-double-quote separators");
					return -1;
				}
				out = &parts[(*nparts)++];
			} else {
				mur_buf_put_u8(out, '\\');
				mur_buf_put(out, p + i, k);
				cls = cls ? 2 : 0;
			}
			after_escape = 0;
		} else if (elen && k == elen && !memcmp(p + i, e, elen)) {
			after_escape = 1;
		} else if (cls) {
			if (ch == ']' && cls == 2)
				cls = 0;
			else if (!(ch == '^' && cls == 1 && i > 0 && p[i - 1] == '['))
				cls = 2;
			mur_buf_put(out, p + i, k);
		} else if (ch == '[') {
			cls = 1;
			mur_buf_put_u8(out, '[');
		} else if (ch == '%') {
			mur_buf_put(out, ".*", 2);
		} else if (ch == '_') {
			mur_buf_put_u8(out, '.');
		} else if (ch == '\\' || ch == '.' || ch == '^' || ch == '$') {
			mur_buf_put_u8(out, '\\');
			mur_buf_put_u8(out, (uint8_t)ch);
		} else {
			mur_buf_put(out, p + i, k);
		}
		i += k;
	}
	return 0;
}

/* Compile "^(" parts[from] ")(" ... ")$"; NULL after an error. */
static stor_rx *anchored(sqlite3_context *cx, mur_buf *parts, int from, int to)
{
	mur_buf re;
	stor_rx *r;
	mur_buf_init(&re);
	mur_buf_put_u8(&re, '^');
	for (int i = from; i < to; i++) {
		mur_buf_put_u8(&re, '(');
		if (parts[i].len)
			mur_buf_put(&re, parts[i].data, parts[i].len);
		mur_buf_put_u8(&re, ')');
	}
	mur_buf_put_u8(&re, '$');
	if (!mur_buf_ok(&re)) {
		mur_buf_free(&re);
		sqlite3_result_error_nomem(cx);
		return NULL;
	}
	r = stor_rx_build(cx, re.data, (int)re.len, "", 0);
	mur_buf_free(&re);
	return r;
}

/* The compiled pattern (argument 1) with the escape (argument 2). */
static similar *compile(sqlite3_context *cx, sqlite3_value **v)
{
	similar *m = sqlite3_get_auxdata(cx, 1);
	const char *e = (const char *)sqlite3_value_text(v[2]);
	size_t elen = (size_t)sqlite3_value_bytes(v[2]);
	mur_buf parts[SIMILAR_PARTS];
	int ok;
	if (m && elen < sizeof m->esc && !memcmp(m->esc, e, elen) && !m->esc[elen])
		return m;
	if (elen && utf8_len(e, elen, 0) != elen) {
		stor_fn_fail(cx, "22025", "invalid escape string");
		return NULL;
	}
	if (!(m = sqlite3_malloc(sizeof *m)))
		return sqlite3_result_error_nomem(cx), NULL;
	memset(m, 0, sizeof *m);
	memcpy(m->esc, e, elen < sizeof m->esc ? elen : 0);
	for (int i = 0; i < SIMILAR_PARTS; i++)
		mur_buf_init(&parts[i]);
	ok = translate(cx, (const char *)sqlite3_value_text(v[1]),
		       (size_t)sqlite3_value_bytes(v[1]), e, elen, parts, &m->nparts) == 0;
	ok = ok && (m->whole = anchored(cx, parts, 0, m->nparts));
	if (ok && m->nparts > 1)
		ok = (m->a = anchored(cx, parts, 0, 1)) &&
		     (m->bc = anchored(cx, parts, 1, m->nparts));
	for (int i = 0; i < SIMILAR_PARTS; i++)
		mur_buf_free(&parts[i]);
	if (!ok) {
		similar_free(m);
		return NULL;
	}
	sqlite3_set_auxdata(cx, 1, m, similar_free);
	return sqlite3_get_auxdata(cx, 1);
}

static void fn_similar_to(sqlite3_context *cx, int argc, sqlite3_value **v)
{
	regmatch_t m[1];
	similar *sm;
	if (stor_fn_any_null(argc, v) || !(sm = compile(cx, v)) ||
	    !stor_rx_subject_ok(cx, sm->whole, (const char *)sqlite3_value_text(v[0]),
				(size_t)sqlite3_value_bytes(v[0])))
		return;
	sqlite3_result_int(cx, stor_rx_exec(sm->whole, (const char *)sqlite3_value_text(v[0]), 0,
					    (size_t)sqlite3_value_bytes(v[0]), 1, m) == 0);
}

static void fn_similar_substring(sqlite3_context *cx, int argc, sqlite3_value **v)
{
	const char *s;
	size_t n;
	regmatch_t m[SIMILAR_PARTS + 1];
	similar *sm;
	if (stor_fn_any_null(argc, v) || !(sm = compile(cx, v)) ||
	    !stor_rx_subject_ok(cx, sm->whole, (const char *)sqlite3_value_text(v[0]),
				(size_t)sqlite3_value_bytes(v[0])))
		return;
	s = (const char *)sqlite3_value_text(v[0]);
	n = (size_t)sqlite3_value_bytes(v[0]);
	if (sm->nparts == 1) { /* no separators: the whole string when it matches */
		if (stor_rx_exec(sm->whole, s, 0, n, 1, m) == 0)
			sqlite3_result_value(cx, v[0]);
		return;
	}
	if (stor_rx_exec(sm->whole, s, 0, n, 1, m) != 0)
		return;
	if (n > SIMILAR_SPLIT_TEXT_MAX) {
		stor_fn_fail(cx, SQLSTATE_FEATURE_NOT_SUPPORTED,
			     "murphy does not support substring(... SIMILAR ...) with "
			     "escape-double-quote separators over more than %d bytes yet",
			     SIMILAR_SPLIT_TEXT_MAX);
		return;
	}
	for (size_t i = 0; i <= n; i += i < n ? utf8_len(s, n, i) : 1) {
		if (stor_rx_exec(sm->a, s, 0, i, 1, m) != 0)
			continue;
		if (stor_rx_exec(sm->bc, s + i, 0, n - i, 3, m) != 0)
			continue;
		sqlite3_result_text(cx, s + i + m[1].rm_so, (int)(m[1].rm_eo - m[1].rm_so),
				    SQLITE_TRANSIENT);
		return;
	}
}

static const stor_fn_def similar_fns[] = {
	{"mur_similar_to", 3, 1, fn_similar_to},
	{"mur_similar_substring", 3, 1, fn_similar_substring},
};

int stor_register_similar_functions(sqlite3 *db)
{
	return stor_fn_register(db, similar_fns, sizeof similar_fns / sizeof similar_fns[0]);
}
