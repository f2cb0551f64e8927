/*
 * sqlfn_todate.c — to_date(text, template) as PostgreSQL's (formatting.c
 * DCH_from_char, not FX mode), for the template patterns murphy reads:
 * YYYY, YY (nearest to 2020), MM, DD, Mon / MON / mon (abbreviated month,
 * any case), Month / MONTH / month, the FM prefix, "quoted text" (skips as
 * many input characters) and separators.  Any other letter in the
 * template is 0A000 naming it (never guessed).
 *
 * PostgreSQL's reading, reproduced: spaces before a field are skipped; a
 * separator or space of the template consumes one separator or space of
 * the input if there is one; a number reads exactly its width when a
 * number follows it in the template, else (FM, or a separator or the end
 * next) all its digits; input left over is ignored, a template left over
 * leaves its fields unset; a field of 0 is unset (to_date('2024-00-00',
 * 'YYYY-MM-DD') is 2024-01-01).  Errors: 22007 "invalid value "xy" for
 * "MM"", "source string too short for "DD" formatting field"; 22008
 * "date/time field value out of range: "2024-02-30"" (the input quoted).
 * A year missing, below 1 (BC) or past 9999 is 0A000: murphy's date type
 * holds years 1..9999.
 */
#include "storage/storage_int.h"

#include "common/value.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

enum { P_SEP, P_LIT, P_YYYY, P_YY, P_MM, P_DD, P_MON, P_MONTH };

typedef struct node {
	int kind, fm, width;
	const char *name;
	int lit; /* P_LIT: characters to skip */
} node;

static const char *const months[12] = {"january",   "february", "march",    "april",
				       "may",       "june",     "july",     "august",
				       "september", "october",  "november", "december"};

static int is_sep(unsigned char ch) { return ch && !isalnum(ch) && !(ch & 0x80); }

/* The template as nodes; -1 after failing the call (unsupported part). */
static int parse_template(sqlite3_context *cx, const char *f, node *out, int max)
{
	static const struct {
		const char *pat;
		int kind, width, any_case;
	} pats[] = {{"YYYY", P_YYYY, 4, 1},   {"YY", P_YY, 2, 1},       {"MONTH", P_MONTH, 0, 0},
		    {"Month", P_MONTH, 0, 0}, {"month", P_MONTH, 0, 0}, {"MON", P_MON, 0, 0},
		    {"Mon", P_MON, 0, 0},     {"mon", P_MON, 0, 0},     {"MM", P_MM, 2, 1},
		    {"DD", P_DD, 2, 1}};
	int n = 0, fm = 0;
	while (*f && n < max - 1) {
		size_t i;
		if (!strncasecmp(f, "FM", 2)) {
			fm = 1, f += 2;
			continue;
		}
		if (*f == '"') {
			int k = 0;
			for (f++; *f && *f != '"'; f++)
				k += ((unsigned char)*f & 0xC0) != 0x80;
			f += *f == '"';
			out[n++] = (node){P_LIT, 0, 0, NULL, k};
			continue;
		}
		for (i = 0; i < sizeof pats / sizeof pats[0]; i++) {
			size_t l = strlen(pats[i].pat);
			if (pats[i].any_case ? !strncasecmp(f, pats[i].pat, l)
					     : !strncmp(f, pats[i].pat, l))
				break;
		}
		if (i < sizeof pats / sizeof pats[0]) {
			out[n++] = (node){pats[i].kind, fm, pats[i].width, pats[i].pat, 0};
			f += strlen(pats[i].pat);
			fm = 0;
			continue;
		}
		if (isalnum((unsigned char)*f)) {
			stor_fn_fail(cx, SQLSTATE_FEATURE_NOT_SUPPORTED,
				     "murphy does not support the to_date template pattern at "
				     "\"%.8s\"",
				     f);
			return -1;
		}
		out[n++] = (node){P_SEP, 0, 0, NULL, 0};
		f += 1;
		while (((unsigned char)*f & 0xC0) == 0x80)
			f++;
	}
	return n;
}

static int is_number(int kind) { return kind >= P_YYYY && kind <= P_DD; }

/* Read a number field at *s; -1 after failing the call. */
static int read_int(sqlite3_context *cx, const char **s, const node *n, const node *next,
		    long long *out)
{
	const char *p = *s;
	char buf[32];
	size_t len;
	char *end;
	if (n->fm || !next || !is_number(next->kind)) {
		const char *q = p + (*p == '-' || *p == '+');
		while (isdigit((unsigned char)*q) && q - p < 18)
			q++;
		len = (size_t)(q - p);
	} else {
		len = strlen(p) < (size_t)n->width ? strlen(p) : (size_t)n->width;
		if (len < (size_t)n->width) {
			stor_fn_fail(cx, "22007",
				     "source string too short for \"%s\" formatting field",
				     n->name);
			return -1;
		}
	}
	memcpy(buf, p, len);
	buf[len] = 0;
	*out = len ? strtoll(buf, &end, 10) : 0;
	if (!len || *end || end == buf) {
		stor_fn_fail(cx, "22007", "invalid value \"%.*s\" for \"%s\"",
			     (int)(len ? len : (strlen(p) < 2 ? strlen(p) : 2)), p, n->name);
		return -1;
	}
	*s = p + len;
	return 0;
}

static int read_month(sqlite3_context *cx, const char **s, const node *n, long long *out)
{
	for (int m = 0; m < 12; m++) {
		size_t l = n->kind == P_MON ? 3 : strlen(months[m]);
		if (!strncasecmp(*s, months[m], l)) {
			*s += l;
			*out = m + 1;
			return 0;
		}
	}
	stor_fn_fail(cx, "22007", "invalid value \"%.*s\" for \"%s\"",
		     (int)(strlen(*s) < 3 ? strlen(*s) : 3), *s, n->name);
	return -1;
}

static void fn_to_date(sqlite3_context *cx, int argc, sqlite3_value **v)
{
	node nodes[64];
	const char *in, *s;
	long long year = 0, mon = 0, day = 0, x;
	int nn, yy = 0;
	int64_t days, cy;
	int cm, cd;
	char text[32];
	(void)argc;
	if (stor_fn_any_null(2, v))
		return;
	in = (const char *)sqlite3_value_text(v[0]);
	if ((nn = parse_template(cx, (const char *)sqlite3_value_text(v[1]), nodes, 64)) < 0)
		return;
	s = in;
	for (int i = 0; i < nn && *s; i++) {
		const node *n = &nodes[i];
		if (n->kind == P_SEP) {
			if (isspace((unsigned char)*s) || is_sep((unsigned char)*s))
				s++;
			continue;
		}
		if (n->kind == P_LIT) {
			for (int k = 0; k < n->lit && *s; k++)
				for (s++; ((unsigned char)*s & 0xC0) == 0x80; s++)
					;
			continue;
		}
		while (isspace((unsigned char)*s))
			s++;
		if (n->kind == P_MON || n->kind == P_MONTH) {
			if (read_month(cx, &s, n, &x))
				return;
			mon = x;
			continue;
		}
		if (read_int(cx, &s, n, i + 1 < nn ? &nodes[i + 1] : NULL, &x))
			return;
		if (n->kind == P_YYYY)
			year = x, yy = 0;
		else if (n->kind == P_YY)
			year = x, yy = 1;
		else if (n->kind == P_MM)
			mon = x;
		else
			day = x;
	}
	if (yy && year >= 0 && year < 100)
		year += year < 70 ? 2000 : 1900;
	if (year < 1 || year > 9999)
		return stor_fn_fail(cx, SQLSTATE_FEATURE_NOT_SUPPORTED,
				    "murphy does not support dates %s (to_date with year %lld)",
				    year > 9999 ? "past the year 9999" : "BC or without a year",
				    year);
	mon = mon ? mon : 1;
	day = day ? day : 1;
	days = mur_days_from_civil(year, (int)(mon < 1 || mon > 12 ? 1 : mon),
				   (int)(day < 1 || day > 31 ? 1 : day));
	mur_civil_from_days(days, &cy, &cm, &cd);
	if (mon < 1 || mon > 12 || day < 1 || day > 31 || cm != mon || cd != day)
		return stor_fn_fail(cx, "22008", "date/time field value out of range: \"%s\"", in);
	{
		int len = snprintf(text, sizeof text, "%04lld-%02lld-%02lld", year, mon, day);
		mur_buf scratch;
		mur_value out;
		mur_error err;
		mur_buf_init(&scratch);
		if (mur_value_from_pgtext(MT_DATE, text, (size_t)len, &scratch, &out, &err) !=
		    MUR_OK)
			stor_fn_fail(cx, err.sqlstate, "%s", err.message);
		else if (out.kind == MV_TEXT)
			sqlite3_result_text(cx, out.s, (int)out.len, SQLITE_TRANSIENT);
		else
			sqlite3_result_int64(cx, out.i);
		mur_buf_free(&scratch);
	}
}

static const stor_fn_def todate_fns[] = {
	{"mur_to_date", 2, 1, fn_to_date},
};

int stor_register_todate_functions(sqlite3 *db)
{
	return stor_fn_register(db, todate_fns, sizeof todate_fns / sizeof todate_fns[0]);
}
