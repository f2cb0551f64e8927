/*
 * sqlfn_regex_set.c — PostgreSQL's regular expression functions that walk
 * every match (regexp.c's setup_regexp_matches), on sqlfn_regex.c's
 * compiled patterns:
 *
 *   mur_regexp_matches(s, p[, flags])     JSON array of each match's text[]
 *                                         (regexp_matches' rows)
 *   mur_regexp_split_json(s, p[, flags])  JSON array of the pieces
 *                                         (regexp_split_to_table's rows)
 *   mur_regexp_split_to_array(s, p[, flags])        text[]
 *   mur_regexp_count(s, p[, start[, flags]])        int
 *   mur_regexp_instr(s, p[, start[, n[, endoption[, flags[, subexpr]]]]])
 *   mur_regexp_substr(s, p[, start[, n[, flags[, subexpr]]]])
 *   mur_regex_substring(s, p)             substring(s FROM p): the first
 *                                         group's match, else the match
 *
 * The set-returning ones answer a JSON array that the emitted SQL walks
 * with SQLite's json_each (parser/analyze_regex_srf.c), one row per
 * element; NULL (a NULL argument) gives no rows.
 *
 * The walk is PostgreSQL's: the next search starts where the last match
 * ended, one character further after an empty match; a split ignores
 * "degenerate" matches (empty ones at the start or end, or right after the
 * previous match).  Searches see the whole string (REG_STARTEND), so ^ and
 * word boundaries at a start position past 1 are as PostgreSQL's.
 * Positions (start, the answer of regexp_instr) count characters.
 * Errors as PostgreSQL's: 22023 for the 'g' flag where the function has no
 * use for it and for start, n, endoption or subexpr out of range.
 */
#include "storage/sqlfn_regex.h"

#include "common/array.h"
#include "common/buf.h"
#include "common/json.h"

#include <stdio.h>
#include <string.h>

#define RX_GROUPS_MAX 64 /* groups a match reports (0A000 past) */

/* One walk over the matches of r in s[0..n). */
typedef struct rx_scan {
	stor_rx *r;
	const char *s;
	size_t n;
	size_t ng;       /* groups reported, 0: the whole match only */
	size_t at;       /* where the next search starts */
	size_t prev_end; /* where the last match ended */
	int done;
	regmatch_t m[RX_GROUPS_MAX + 1];
} rx_scan;

static size_t char_len_at(const char *s, size_t n, size_t i)
{
	size_t k = 1;
	while (i + k < n && ((unsigned char)s[i + k] & 0xC0) == 0x80)
		k++;
	return k;
}

/* Characters in s[0..b). */
static int64_t chars_before(const char *s, size_t b)
{
	int64_t c = 0;
	for (size_t i = 0; i < b; i++)
		c += ((unsigned char)s[i] & 0xC0) != 0x80;
	return c;
}

/* The byte offset of character number k (0-based) of s[0..n); n + 1 past the end. */
static size_t byte_of_char(const char *s, size_t n, int64_t k)
{
	size_t i = 0;
	while (k > 0 && i < n) {
		i += char_len_at(s, n, i);
		k--;
	}
	return k > 0 ? n + 1 : i;
}

static void scan_init(rx_scan *sc, stor_rx *r, const char *s, size_t n, size_t start, size_t ng)
{
	sc->r = r;
	sc->s = s;
	sc->n = n;
	sc->ng = ng;
	sc->at = start;
	sc->prev_end = 0;
	sc->done = 0;
}

/* The next match (sc->m) as setup_regexp_matches finds it: 1, or 0 when
 * there is none left.  glob: every match, else the first only;
 * degenerate: skip empty matches at either end or right after the last. */
static int scan_next(rx_scan *sc, int glob, int skip_degenerate)
{
	while (!sc->done) {
		size_t so, eo;
		int keep;
		if (sc->at > sc->n ||
		    stor_rx_exec(sc->r, sc->s, sc->at, sc->n, sc->ng + 1, sc->m) != 0) {
			sc->done = 1;
			return 0;
		}
		so = (size_t)sc->m[0].rm_so;
		eo = (size_t)sc->m[0].rm_eo;
		keep = !skip_degenerate || (so < sc->n && eo > sc->prev_end);
		sc->prev_end = eo;
		sc->at = eo;
		if (!glob)
			sc->done = 1;
		else if (so == eo && sc->at >= sc->n)
			sc->done = 1; /* PostgreSQL: the next start would be past the end */
		else if (so == eo)
			sc->at += char_len_at(sc->s, sc->n, sc->at);
		if (keep)
			return 1;
	}
	return 0;
}

/* The compiled pattern (argument 1) with the flags argument fi (absent:
 * none) for the subject (argument 0); 'g' is PostgreSQL's 22023 unless
 * allow_g.  NULL after an error. */
static stor_rx *pattern(sqlite3_context *cx, int argc, sqlite3_value **v, int fi, const char *fname,
			int allow_g)
{
	const char *flags = fi < argc ? (const char *)sqlite3_value_text(v[fi]) : NULL;
	stor_rx *r;
	if (!allow_g && flags && strchr(flags, 'g')) {
		stor_fn_fail(cx, SQLSTATE_INVALID_PARAMETER_VALUE,
			     "%s() does not support the \"global\" option", fname);
		return NULL;
	}
	if (!(r = stor_rx_compile(cx, v, 1, flags, allow_g)))
		return NULL;
	if (!stor_rx_subject_ok(cx, r, (const char *)sqlite3_value_text(v[0]),
				(size_t)sqlite3_value_bytes(v[0])))
		return NULL;
	if (r->re.re_nsub > RX_GROUPS_MAX) {
		stor_fn_fail(cx, SQLSTATE_FEATURE_NOT_SUPPORTED,
			     "murphy does not support %s with more than %d groups", fname,
			     RX_GROUPS_MAX);
		return NULL;
	}
	return r;
}

static int int_arg(sqlite3_context *cx, int argc, sqlite3_value **v, int i, int64_t dflt,
		   int64_t min, const char *name, int64_t *out)
{
	*out = i < argc ? sqlite3_value_int64(v[i]) : dflt;
	if (*out < min || (!strcmp(name, "endoption") && *out > 1)) {
		stor_fn_fail(cx, SQLSTATE_INVALID_PARAMETER_VALUE,
			     "invalid value for parameter \"%s\": %lld", name, (long long)*out);
		return -1;
	}
	return 0;
}

/* Append the match's text[] (its groups, or the whole match) to a. */
static int match_array(const rx_scan *sc, mur_buf *out, mur_error *err)
{
	mur_arr a;
	int rc = MUR_OK;
	mur_arr_init(&a);
	for (size_t i = sc->ng ? 1 : 0; i <= sc->ng && rc == MUR_OK; i++) {
		int none = sc->m[i].rm_so < 0;
		rc = mur_arr_push(&a, none ? "" : sc->s + sc->m[i].rm_so,
				  none ? 0 : (size_t)(sc->m[i].rm_eo - sc->m[i].rm_so), none, err);
	}
	if (rc == MUR_OK)
		mur_arr_out(&a, out);
	mur_arr_free(&a);
	return rc;
}

static void fn_regexp_matches(sqlite3_context *cx, int argc, sqlite3_value **v)
{
	const char *s;
	mur_buf out, one;
	mur_error err;
	rx_scan sc;
	stor_rx *r;
	int first = 1;
	if (stor_fn_any_null(argc, v) || !(r = pattern(cx, argc, v, 2, "regexp_matches", 1)))
		return;
	s = (const char *)sqlite3_value_text(v[0]);
	scan_init(&sc, r, s, (size_t)sqlite3_value_bytes(v[0]), 0, r->re.re_nsub);
	mur_buf_init(&out);
	mur_buf_init(&one);
	mur_buf_put_u8(&out, '[');
	while (scan_next(&sc, r->global, 0)) {
		mur_buf_reset(&one);
		if (match_array(&sc, &one, &err) != MUR_OK) {
			mur_buf_free(&out);
			mur_buf_free(&one);
			stor_fn_fail(cx, err.sqlstate, "%s", err.message);
			return;
		}
		if (!first)
			mur_buf_put_u8(&out, ',');
		first = 0;
		mur_json_put_string(&out, one.data ? one.data : "", one.len);
	}
	mur_buf_put_u8(&out, ']');
	mur_buf_free(&one);
	stor_fn_result_buf(cx, &out);
}

/* regexp_split_to_*: the pieces between the matches, as text[] or as a
 * JSON array (as_json). */
static void split(sqlite3_context *cx, int argc, sqlite3_value **v, const char *fname, int as_json)
{
	const char *s;
	size_t n, from = 0;
	mur_buf out;
	mur_arr a;
	mur_error err;
	rx_scan sc;
	stor_rx *r;
	int more = 1, rc = MUR_OK, first = 1;
	if (stor_fn_any_null(argc, v) || !(r = pattern(cx, argc, v, 2, fname, 0)))
		return;
	s = (const char *)sqlite3_value_text(v[0]);
	n = (size_t)sqlite3_value_bytes(v[0]);
	scan_init(&sc, r, s, n, 0, 0);
	mur_buf_init(&out);
	mur_arr_init(&a);
	if (as_json)
		mur_buf_put_u8(&out, '[');
	while (more && rc == MUR_OK) {
		size_t to = (more = scan_next(&sc, 1, 1)) ? (size_t)sc.m[0].rm_so : n;
		if (as_json) {
			if (!first)
				mur_buf_put_u8(&out, ',');
			mur_json_put_string(&out, s + from, to - from);
		} else {
			rc = mur_arr_push(&a, s + from, to - from, 0, &err);
		}
		first = 0;
		if (more)
			from = (size_t)sc.m[0].rm_eo;
	}
	if (as_json)
		mur_buf_put_u8(&out, ']');
	else if (rc == MUR_OK)
		mur_arr_out(&a, &out);
	mur_arr_free(&a);
	if (rc != MUR_OK) {
		mur_buf_free(&out);
		stor_fn_fail(cx, err.sqlstate, "%s", err.message);
		return;
	}
	stor_fn_result_buf(cx, &out);
}

static void fn_regexp_split_json(sqlite3_context *cx, int argc, sqlite3_value **v)
{
	split(cx, argc, v, "regexp_split_to_table", 1);
}

static void fn_regexp_split_to_array(sqlite3_context *cx, int argc, sqlite3_value **v)
{
	split(cx, argc, v, "regexp_split_to_array", 0);
}

static void fn_regexp_count(sqlite3_context *cx, int argc, sqlite3_value **v)
{
	const char *s;
	size_t n;
	int64_t start, count = 0;
	rx_scan sc;
	stor_rx *r;
	if (stor_fn_any_null(argc, v) || int_arg(cx, argc, v, 2, 1, 1, "start", &start) != 0 ||
	    !(r = pattern(cx, argc, v, 3, "regexp_count", 0)))
		return;
	s = (const char *)sqlite3_value_text(v[0]);
	n = (size_t)sqlite3_value_bytes(v[0]);
	scan_init(&sc, r, s, n, byte_of_char(s, n, start - 1), 0);
	while (scan_next(&sc, 1, 0))
		count++;
	sqlite3_result_int64(cx, count);
}

/* The n-th match from start (1-based characters) with its groups when
 * subexpr > 0 (PostgreSQL's npatterns: the groups, or 1 without any):
 * 1 and *so, *eo (bytes; -1 a group that took no part) found, 0 not. */
static int nth_match(stor_rx *r, const char *s, size_t n, int64_t start, int64_t nth,
		     int64_t subexpr, regoff_t *so, regoff_t *eo)
{
	size_t ng = subexpr > 0 ? r->re.re_nsub : 0, npatterns = ng ? ng : 1;
	rx_scan sc;
	if ((size_t)subexpr > npatterns)
		return 0;
	scan_init(&sc, r, s, n, byte_of_char(s, n, start - 1), ng);
	while (scan_next(&sc, 1, 0))
		if (--nth == 0) {
			size_t g = ng && subexpr > 0 ? (size_t)subexpr : 0;
			*so = sc.m[g].rm_so;
			*eo = sc.m[g].rm_eo;
			return 1;
		}
	return 0;
}

static void fn_regexp_instr(sqlite3_context *cx, int argc, sqlite3_value **v)
{
	int64_t start, nth, endopt, subexpr;
	regoff_t so, eo;
	const char *s;
	stor_rx *r;
	if (stor_fn_any_null(argc, v) || int_arg(cx, argc, v, 2, 1, 1, "start", &start) != 0 ||
	    int_arg(cx, argc, v, 3, 1, 1, "n", &nth) != 0 ||
	    int_arg(cx, argc, v, 4, 0, 0, "endoption", &endopt) != 0 ||
	    int_arg(cx, argc, v, 6, 0, 0, "subexpr", &subexpr) != 0 ||
	    !(r = pattern(cx, argc, v, 5, "regexp_instr", 0)))
		return;
	s = (const char *)sqlite3_value_text(v[0]);
	if (!nth_match(r, s, (size_t)sqlite3_value_bytes(v[0]), start, nth, subexpr, &so, &eo) ||
	    (endopt ? eo : so) < 0)
		return sqlite3_result_int64(cx, 0);
	sqlite3_result_int64(cx, chars_before(s, (size_t)(endopt ? eo : so)) + 1);
}

static void fn_regexp_substr(sqlite3_context *cx, int argc, sqlite3_value **v)
{
	int64_t start, nth, subexpr;
	regoff_t so, eo;
	const char *s;
	stor_rx *r;
	if (stor_fn_any_null(argc, v) || int_arg(cx, argc, v, 2, 1, 1, "start", &start) != 0 ||
	    int_arg(cx, argc, v, 3, 1, 1, "n", &nth) != 0 ||
	    int_arg(cx, argc, v, 5, 0, 0, "subexpr", &subexpr) != 0 ||
	    !(r = pattern(cx, argc, v, 4, "regexp_substr", 0)))
		return;
	s = (const char *)sqlite3_value_text(v[0]);
	if (!nth_match(r, s, (size_t)sqlite3_value_bytes(v[0]), start, nth, subexpr, &so, &eo) ||
	    so < 0 || eo < 0)
		return;
	sqlite3_result_text(cx, s + so, (int)(eo - so), SQLITE_TRANSIENT);
}

/* substring(s FROM p): the first group's match when p has groups (NULL
 * when that group took no part), else the whole match; NULL without one. */
static void fn_regex_substring(sqlite3_context *cx, int argc, sqlite3_value **v)
{
	const char *s;
	stor_rx *r;
	rx_scan sc;
	if (stor_fn_any_null(argc, v) || !(r = pattern(cx, argc, v, 2, "substring", 0)))
		return;
	s = (const char *)sqlite3_value_text(v[0]);
	scan_init(&sc, r, s, (size_t)sqlite3_value_bytes(v[0]), 0, r->re.re_nsub ? 1 : 0);
	if (!scan_next(&sc, 0, 0) || sc.m[sc.ng].rm_so < 0)
		return;
	sqlite3_result_text(cx, s + sc.m[sc.ng].rm_so, (int)(sc.m[sc.ng].rm_eo - sc.m[sc.ng].rm_so),
			    SQLITE_TRANSIENT);
}

static const stor_fn_def regex_set_fns[] = {
	{"mur_regexp_matches", -1, 1, fn_regexp_matches},
	{"mur_regexp_split_json", -1, 1, fn_regexp_split_json},
	{"mur_regexp_split_to_array", -1, 1, fn_regexp_split_to_array},
	{"mur_regexp_count", -1, 1, fn_regexp_count},
	{"mur_regexp_instr", -1, 1, fn_regexp_instr},
	{"mur_regexp_substr", -1, 1, fn_regexp_substr},
	{"mur_regex_substring", 2, 1, fn_regex_substring},
};

int stor_register_regex_set_functions(sqlite3 *db)
{
	int rc = stor_fn_register(db, regex_set_fns,
				  sizeof regex_set_fns / sizeof regex_set_fns[0]);
	return rc == SQLITE_OK ? stor_register_similar_functions(db) : rc;
}
