/*
 * sqlfn_time.c — PostgreSQL's date/time functions as SQLite functions.
 * Timestamps are text in their canonical form ('2024-03-01 12:00:00[.ffffff]',
 * a date '2024-03-01'); the session's time zone is always UTC.
 *
 *   mur_now, mur_current_date    UTC, canonical timestamp text
 *   mur_make_date(y, m, d)       make_date (sqlfn_make.c)
 *   mur_make_timestamp(y, m, d, h, mi, s)  make_timestamp (sqlfn_make.c)
 *   mur_isfinite(ts)             isfinite: not 'infinity' / '-infinity'
 *   mur_date_trunc, mur_extract (date_part: float8), mur_extract_num /
 *   mur_extract_date (EXTRACT: numeric, exact), mur_date_add, mur_date_diff
 *   mur_tz_trunc(field, tstz, zone)  date_trunc of a timestamptz in a zone
 *   mur_to_char(ts, format, zone)  to_char of a timestamp[tz] or date
 *                                with PostgreSQL's template patterns
 *                                (below); zone 1: TZ prints "UTC", 0: no
 *                                zone, a name: the wall clock and
 *                                abbreviation there (analyze_tz.c)
 */
#include "storage/storage_int.h"

#include "common/clock.h"
#include "common/value.h"

#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

typedef struct tsparts {
	int64_t y;
	int mo, d, h, mi;
	double s; /* seconds with fraction */
} tsparts;

static int parse_ts(const char *s, tsparts *t)
{
	long long y;
	int n = 0;
	memset(t, 0, sizeof *t);
	if (!s || sscanf(s, "%lld-%d-%d%n", &y, &t->mo, &t->d, &n) != 3)
		return -1;
	t->y = y;
	if (s[n] == ' ' || s[n] == 'T')
		sscanf(s + n + 1, "%d:%d:%lf", &t->h, &t->mi, &t->s);
	return 0;
}

static void result_ts(sqlite3_context *cx, const tsparts *t, int with_time)
{
	char buf[64];
	int64_t us = (int64_t)llround((t->s - floor(t->s)) * 1e6);
	int sec = (int)floor(t->s);
	if (!with_time) {
		snprintf(buf, sizeof buf, "%04lld-%02d-%02d", (long long)t->y, t->mo, t->d);
	} else if (us) {
		int n = snprintf(buf, sizeof buf, "%04lld-%02d-%02d %02d:%02d:%02d.%06lld",
				 (long long)t->y, t->mo, t->d, t->h, t->mi, sec, (long long)us);
		while (buf[n - 1] == '0')
			buf[--n] = '\0';
	} else {
		snprintf(buf, sizeof buf, "%04lld-%02d-%02d %02d:%02d:%02d", (long long)t->y, t->mo,
			 t->d, t->h, t->mi, sec);
	}
	sqlite3_result_text(cx, buf, -1, SQLITE_TRANSIENT);
}

static void fn_now(sqlite3_context *cx, int argc, sqlite3_value **v)
{
	int64_t us = (int64_t)mur_wall_us();
	time_t sec = (time_t)(us / 1000000);
	struct tm tm;
	tsparts t;
	gmtime_r(&sec, &tm);
	t = (tsparts){tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday,
		      tm.tm_hour,        tm.tm_min,     tm.tm_sec + (double)(us % 1000000) / 1e6};
	result_ts(cx, &t, 1);
}

/* isfinite(date / timestamp[tz] / interval): false for the special values
 * 'infinity' and '-infinity' (their stored text; an interval is always
 * finite, as in PostgreSQL 15), NULL for NULL. */
static void fn_isfinite(sqlite3_context *cx, int argc, sqlite3_value **v)
{
	const char *s;
	(void)argc;
	if (sqlite3_value_type(v[0]) == SQLITE_NULL)
		return;
	s = (const char *)sqlite3_value_text(v[0]);
	sqlite3_result_int(cx, !(s && (!strcmp(s, "infinity") || !strcmp(s, "-infinity"))));
}

static void fn_current_date(sqlite3_context *cx, int argc, sqlite3_value **v)
{
	time_t now = (time_t)(mur_wall_ms() / 1000);
	struct tm tm;
	tsparts t = {0};
	gmtime_r(&now, &tm);
	t.y = tm.tm_year + 1900;
	t.mo = tm.tm_mon + 1;
	t.d = tm.tm_mday;
	result_ts(cx, &t, 0);
}

/* mur_session_zone() unbound (sql/default_now.c binds it in a DEFAULT):
 * the zone a shard knows, UTC. */
static void fn_session_zone(sqlite3_context *cx, int argc, sqlite3_value **v)
{
	(void)argc, (void)v;
	sqlite3_result_text(cx, "UTC", -1, SQLITE_STATIC);
}

static void lower_field(sqlite3_value *v, char *out, size_t n)
{
	const char *s = (const char *)sqlite3_value_text(v);
	size_t i = 0;
	for (; s && s[i] && i + 1 < n; i++)
		out[i] = (char)tolower((unsigned char)s[i]);
	out[i] = '\0';
}

static int trunc_parts(const char *f, tsparts *t)
{
	int64_t days;
	int dow;
	if (!strcmp(f, "microseconds"))
		return 0;
	if (!strcmp(f, "milliseconds")) {
		t->s = floor(t->s * 1000) / 1000;
		return 0;
	}
	if (!strcmp(f, "second")) {
		t->s = floor(t->s);
		return 0;
	}
	t->s = 0;
	if (!strcmp(f, "minute"))
		return 0;
	t->mi = 0;
	if (!strcmp(f, "hour"))
		return 0;
	t->h = 0;
	if (!strcmp(f, "day"))
		return 0;
	if (!strcmp(f, "week")) { /* ISO week: back to Monday */
		days = mur_days_from_civil(t->y, t->mo, t->d);
		dow = (int)(((days % 7) + 7 + 3) % 7); /* 0 = Monday */
		mur_civil_from_days(days - dow, &t->y, &t->mo, &t->d);
		return 0;
	}
	t->d = 1;
	if (!strcmp(f, "month"))
		return 0;
	if (!strcmp(f, "quarter")) {
		t->mo = (t->mo - 1) / 3 * 3 + 1;
		return 0;
	}
	t->mo = 1;
	if (!strcmp(f, "year"))
		return 0;
	if (!strcmp(f, "decade")) {
		t->y = t->y / 10 * 10;
		return 0;
	}
	if (!strcmp(f, "century")) {
		t->y = (t->y - 1) / 100 * 100 + 1;
		return 0;
	}
	if (!strcmp(f, "millennium")) {
		t->y = (t->y - 1) / 1000 * 1000 + 1;
		return 0;
	}
	return -1;
}

static void fn_date_trunc(sqlite3_context *cx, int argc, sqlite3_value **v)
{
	char f[32];
	tsparts t;
	if (stor_fn_any_null(argc, v))
		return;
	lower_field(v[0], f, sizeof f);
	if (parse_ts((const char *)sqlite3_value_text(v[1]), &t))
		return stor_fn_fail(cx, SQLSTATE_INVALID_DATETIME_FORMAT,
				    "invalid timestamp value");
	if (trunc_parts(f, &t))
		return stor_fn_fail(cx, SQLSTATE_INVALID_PARAMETER_VALUE,
				    "unit \"%s\" not recognized for type timestamp without time "
				    "zone",
				    f);
	result_ts(cx, &t, 1);
}

static int extract_part(const char *f, const tsparts *t, double *out)
{
	int64_t days = mur_days_from_civil(t->y, t->mo, t->d);
	int isodow = (int)(((days % 7) + 7 + 3) % 7) + 1; /* 1 = Monday */
	if (!strcmp(f, "year"))
		*out = (double)t->y;
	else if (!strcmp(f, "month"))
		*out = t->mo;
	else if (!strcmp(f, "day"))
		*out = t->d;
	else if (!strcmp(f, "hour"))
		*out = t->h;
	else if (!strcmp(f, "minute"))
		*out = t->mi;
	else if (!strcmp(f, "second"))
		*out = t->s;
	else if (!strcmp(f, "milliseconds"))
		*out = t->s * 1000;
	else if (!strcmp(f, "microseconds"))
		*out = round(t->s * 1e6);
	else if (!strcmp(f, "dow"))
		*out = isodow % 7;
	else if (!strcmp(f, "isodow"))
		*out = isodow;
	else if (!strcmp(f, "doy"))
		*out = (double)(days - mur_days_from_civil(t->y, 1, 1) + 1);
	else if (!strcmp(f, "quarter"))
		*out = (t->mo - 1) / 3 + 1;
	else if (!strcmp(f, "decade"))
		*out = (double)(t->y / 10);
	else if (!strcmp(f, "century"))
		*out = (double)((t->y + 99) / 100);
	else if (!strcmp(f, "epoch"))
		*out = (double)days * 86400.0 + t->h * 3600.0 + t->mi * 60.0 + t->s;
	else if (!strcmp(f, "week")) { /* ISO 8601 week number */
		int64_t thursday = days - isodow + 4, y;
		int m, d;
		mur_civil_from_days(thursday, &y, &m, &d);
		*out = (double)((thursday - mur_days_from_civil(y, 1, 1)) / 7 + 1);
	} else
		return -1;
	return 0;
}

static void fn_extract(sqlite3_context *cx, int argc, sqlite3_value **v)
{
	char f[32];
	tsparts t;
	double r;
	if (stor_fn_any_null(argc, v))
		return;
	lower_field(v[0], f, sizeof f);
	if (parse_ts((const char *)sqlite3_value_text(v[1]), &t))
		return stor_fn_fail(cx, SQLSTATE_INVALID_DATETIME_FORMAT,
				    "invalid timestamp value");
	if (extract_part(f, &t, &r))
		return stor_fn_fail(cx, SQLSTATE_INVALID_PARAMETER_VALUE,
				    "unit \"%s\" not recognized for type timestamp without time "
				    "zone",
				    f);
	if (r == floor(r) && fabs(r) < 9e15)
		sqlite3_result_int64(cx, (int64_t)r);
	else
		sqlite3_result_double(cx, r);
}

/* v, in units of 10^-scale, as numeric text ("59.250000"). */
static void result_scaled(sqlite3_context *cx, int64_t v, int scale)
{
	char buf[48];
	uint64_t a = v < 0 ? 0 - (uint64_t)v : (uint64_t)v, p = 1;
	for (int i = 0; i < scale; i++)
		p *= 10;
	if (scale)
		snprintf(buf, sizeof buf, "%s%llu.%0*llu", v < 0 ? "-" : "",
			 (unsigned long long)(a / p), scale, (unsigned long long)(a % p));
	else
		snprintf(buf, sizeof buf, "%lld", (long long)v);
	sqlite3_result_text(cx, buf, -1, SQLITE_TRANSIENT);
}

/* EXTRACT(field FROM timestamp[tz]) as PostgreSQL 14+ answers it: numeric,
 * exact to the microsecond — second and epoch with 6 decimals,
 * milliseconds with 3, the others whole (date_part stays float8:
 * fn_extract). */
static void fn_extract_num(sqlite3_context *cx, int argc, sqlite3_value **v)
{
	char f[32];
	tsparts t;
	double r;
	int64_t usec;
	if (stor_fn_any_null(argc, v))
		return;
	lower_field(v[0], f, sizeof f);
	if (parse_ts((const char *)sqlite3_value_text(v[1]), &t))
		return stor_fn_fail(cx, SQLSTATE_INVALID_DATETIME_FORMAT,
				    "invalid timestamp value");
	usec = llround(t.s * 1e6); /* of the minute */
	if (!strcmp(f, "second") || !strcmp(f, "milliseconds"))
		return result_scaled(cx, usec, f[0] == 's' ? 6 : 3);
	if (!strcmp(f, "microseconds"))
		return result_scaled(cx, usec, 0);
	if (!strcmp(f, "epoch"))
		return result_scaled(cx,
				     (mur_days_from_civil(t.y, t.mo, t.d) * 86400 +
				      (int64_t)t.h * 3600 + (int64_t)t.mi * 60) *
						     1000000 +
					     usec,
				     6);
	if (extract_part(f, &t, &r))
		return stor_fn_fail(cx, SQLSTATE_INVALID_PARAMETER_VALUE,
				    "unit \"%s\" not recognized for type timestamp without time "
				    "zone",
				    f);
	result_scaled(cx, (int64_t)r, 0);
}

/* EXTRACT(field FROM date): whole numbers; the time of day's fields are
 * 0A000, as PostgreSQL's extract_date says. */
static void fn_extract_date(sqlite3_context *cx, int argc, sqlite3_value **v)
{
	static const char *const time_fields[] = {"hour",         "minute",       "second",
						  "milliseconds", "microseconds", NULL};
	char f[32];
	tsparts t;
	double r;
	if (stor_fn_any_null(argc, v))
		return;
	lower_field(v[0], f, sizeof f);
	if (parse_ts((const char *)sqlite3_value_text(v[1]), &t))
		return stor_fn_fail(cx, SQLSTATE_INVALID_DATETIME_FORMAT, "invalid date value");
	for (int i = 0; time_fields[i]; i++)
		if (!strcmp(f, time_fields[i]))
			return stor_fn_fail(cx, SQLSTATE_FEATURE_NOT_SUPPORTED,
					    "unit \"%s\" not supported for type date", f);
	if (extract_part(f, &t, &r))
		return stor_fn_fail(cx, SQLSTATE_INVALID_PARAMETER_VALUE,
				    "unit \"%s\" not recognized for type date", f);
	result_scaled(cx, (int64_t)r, 0);
}

static void fn_date_add(sqlite3_context *cx, int argc, sqlite3_value **v)
{
	tsparts t;
	if (stor_fn_any_null(argc, v))
		return;
	if (parse_ts((const char *)sqlite3_value_text(v[0]), &t))
		return stor_fn_fail(cx, SQLSTATE_INVALID_DATETIME_FORMAT, "invalid date value");
	mur_civil_from_days(mur_days_from_civil(t.y, t.mo, t.d) + sqlite3_value_int64(v[1]), &t.y,
			    &t.mo, &t.d);
	if (t.y < 1 || t.y > 9999)
		return stor_fn_fail(cx, SQLSTATE_DATETIME_FIELD_OVERFLOW, "date out of range");
	result_ts(cx, &t, 0);
}

static void fn_date_diff(sqlite3_context *cx, int argc, sqlite3_value **v)
{
	tsparts a, b;
	if (stor_fn_any_null(argc, v))
		return;
	if (parse_ts((const char *)sqlite3_value_text(v[0]), &a) ||
	    parse_ts((const char *)sqlite3_value_text(v[1]), &b))
		return stor_fn_fail(cx, SQLSTATE_INVALID_DATETIME_FORMAT, "invalid date value");
	sqlite3_result_int64(cx, mur_days_from_civil(a.y, a.mo, a.d) -
					 mur_days_from_civil(b.y, b.mo, b.d));
}

/* ---- to_char ----
 *
 * A template is read left to right: "..." is copied as it is (\x inside
 * is x), \" outside is a quote, FM before a pattern drops its padding, TH/th after a
 * number adds its ordinal suffix, and anything else that is not a
 * pattern is copied.  Patterns (PostgreSQL's "Template Patterns for
 * Date/Time Formatting"): numbers HH HH12 HH24 MI SS MS US SSSS SSSSS
 * Y,YYY YYYY YYY YY Y IYYY IYY IY I MM DD DDD D ID IDDD W WW IW CC J Q
 * (any case); words, whose case is the output's: MONTH Month month MON
 * Mon mon DAY Day day DY Dy dy AM PM A.M. P.M. AD BC A.D. B.C. RM, and
 * TZ (UTC for a timestamptz, empty otherwise).  FX and TM are accepted
 * and change nothing (English names only). */

static const char *const month_names[12] = {"January",   "February", "March",    "April",
					    "May",       "June",     "July",     "August",
					    "September", "October",  "November", "December"};
static const char *const day_names[7] = {"Sunday",   "Monday", "Tuesday", "Wednesday",
					 "Thursday", "Friday", "Saturday"};
static const char *const roman_months[12] = {"I",   "II",   "III", "IV", "V",  "VI",
					     "VII", "VIII", "IX",  "X",  "XI", "XII"};

typedef enum tc_pat {
	TC_NONE,
	TC_HH24,
	TC_HH12,
	TC_HH,
	TC_MI,
	TC_SSSSS,
	TC_SSSS,
	TC_SS,
	TC_MS,
	TC_US,
	TC_Y_YYY,
	TC_YYYY,
	TC_YYY,
	TC_YY,
	TC_Y,
	TC_IYYY,
	TC_IYY,
	TC_IY,
	TC_IDDD,
	TC_ID,
	TC_IW,
	TC_I,
	TC_MM,
	TC_DDD,
	TC_DD,
	TC_D,
	TC_WW,
	TC_W,
	TC_CC,
	TC_J,
	TC_Q,
	TC_MONTH,
	TC_MON,
	TC_DAY,
	TC_DY,
	TC_AM,
	TC_PM,
	TC_A_M,
	TC_P_M,
	TC_AD,
	TC_BC,
	TC_A_D,
	TC_B_C,
	TC_RM,
	TC_TZ,
	TC_FX,
	TC_TM,
} tc_pat;

/* Longest first where one is a prefix of another. */
static const struct {
	const char *kw;
	tc_pat pat;
	int word; /* a word: matched in UPPER, Capitalized or lower case */
} tc_pats[] = {
	{"HH24", TC_HH24, 0},   {"HH12", TC_HH12, 0},   {"HH", TC_HH, 0},     {"MI", TC_MI, 0},
	{"SSSSS", TC_SSSSS, 0}, {"SSSS", TC_SSSS, 0},   {"SS", TC_SS, 0},     {"MS", TC_MS, 0},
	{"US", TC_US, 0},       {"Y,YYY", TC_Y_YYY, 0}, {"YYYY", TC_YYYY, 0}, {"YYY", TC_YYY, 0},
	{"YY", TC_YY, 0},       {"Y", TC_Y, 0},         {"IYYY", TC_IYYY, 0}, {"IYY", TC_IYY, 0},
	{"IY", TC_IY, 0},       {"IDDD", TC_IDDD, 0},   {"ID", TC_ID, 0},     {"IW", TC_IW, 0},
	{"I", TC_I, 0},         {"MONTH", TC_MONTH, 1}, {"MON", TC_MON, 1},   {"MM", TC_MM, 0},
	{"DDD", TC_DDD, 0},     {"DD", TC_DD, 0},       {"DAY", TC_DAY, 1},   {"DY", TC_DY, 1},
	{"D", TC_D, 0},         {"WW", TC_WW, 0},       {"W", TC_W, 0},       {"CC", TC_CC, 0},
	{"J", TC_J, 0},         {"Q", TC_Q, 0},         {"A.M.", TC_A_M, 1},  {"P.M.", TC_P_M, 1},
	{"AM", TC_AM, 1},       {"PM", TC_PM, 1},       {"A.D.", TC_A_D, 1},  {"B.C.", TC_B_C, 1},
	{"AD", TC_AD, 1},       {"BC", TC_BC, 1},       {"RM", TC_RM, 1},     {"TZ", TC_TZ, 1},
	{"FX", TC_FX, 0},       {"TM", TC_TM, 0},
};

enum { CASE_UPPER, CASE_CAPITAL, CASE_LOWER };

/* Does the template at f match kw?  *how: the case it was written in. */
static int tc_match(const char *f, const char *kw, int word, int *how)
{
	size_t n = strlen(kw);
	if (!strncmp(f, kw, n)) {
		*how = CASE_UPPER;
		return 1;
	}
	for (size_t i = 0; i < n; i++)
		if (!f[i] || tolower((unsigned char)f[i]) != tolower((unsigned char)kw[i]))
			return 0;
	if (!word) {
		*how = CASE_UPPER;
		return 1;
	}
	/* "month" or "Month": lower case after the first letter */
	for (size_t i = 1; i < n; i++)
		if (isupper((unsigned char)f[i]))
			return 0;
	*how = islower((unsigned char)f[0]) ? CASE_LOWER : CASE_CAPITAL;
	return 1;
}

static void put_cased(mur_buf *b, const char *word, int how, int pad, int fill)
{
	size_t n = strlen(word);
	for (size_t i = 0; i < n; i++) {
		int ch = (unsigned char)word[i];
		if (how == CASE_UPPER || (how == CASE_CAPITAL && i == 0))
			ch = toupper(ch);
		else
			ch = tolower(ch);
		mur_buf_put_u8(b, (uint8_t)ch);
	}
	for (size_t i = n; !fill && (int)i < pad; i++)
		mur_buf_put_u8(b, ' ');
}

static const char *ordinal(int64_t n, int upper)
{
	int64_t t = (n < 0 ? -n : n) % 100, d = t % 10;
	const char *s = (t >= 11 && t <= 13) ? "th"
			: d == 1             ? "st"
			: d == 2             ? "nd"
			: d == 3             ? "rd"
					     : "th";
	if (!upper)
		return s;
	return !strcmp(s, "st") ? "ST" : !strcmp(s, "nd") ? "ND" : !strcmp(s, "rd") ? "RD" : "TH";
}

/* The ISO 8601 year, week and day of the year of a date (days since
 * 1970-01-01, isodow 1 = Monday). */
static void iso_parts(int64_t days, int isodow, int64_t *iyear, int *iweek, int *iday)
{
	int64_t thursday = days - isodow + 4, y, week1;
	int m, d;
	mur_civil_from_days(thursday, &y, &m, &d);
	*iyear = y;
	*iweek = (int)((thursday - mur_days_from_civil(y, 1, 1)) / 7 + 1);
	week1 = mur_days_from_civil(y, 1, 4); /* week 1 holds January 4th */
	week1 -= ((week1 % 7) + 7 + 3) % 7;   /* back to its Monday */
	*iday = (int)(days - week1 + 1);
}

#define JULIAN_DAY_OF_EPOCH 2440588 /* 1970-01-01 */

/* The number a numeric pattern prints, and its width with padding. */
static int64_t tc_number(tc_pat p, const tsparts *t, int *width)
{
	int64_t days = mur_days_from_civil(t->y, t->mo, t->d), iyear;
	int isodow = (int)(((days % 7) + 7 + 3) % 7) + 1, iweek, iday;
	int64_t doy = days - mur_days_from_civil(t->y, 1, 1) + 1;
	int sec = (int)floor(t->s);
	int64_t us = (int64_t)llround((t->s - floor(t->s)) * 1e6);
	iso_parts(days, isodow, &iyear, &iweek, &iday);
	*width = 2;
	switch (p) {
	case TC_HH24:
		return t->h;
	case TC_HH12:
	case TC_HH:
		return t->h % 12 ? t->h % 12 : 12;
	case TC_MI:
		return t->mi;
	case TC_SS:
		return sec;
	case TC_MS:
		*width = 3;
		return us / 1000;
	case TC_US:
		*width = 6;
		return us;
	case TC_SSSS:
	case TC_SSSSS:
		*width = 0;
		return t->h * 3600 + t->mi * 60 + sec;
	case TC_YYYY:
		*width = 4;
		return t->y;
	case TC_YYY:
		*width = 3;
		return t->y % 1000;
	case TC_YY:
		return t->y % 100;
	case TC_Y:
		*width = 1;
		return t->y % 10;
	case TC_IYYY:
		*width = 4;
		return iyear;
	case TC_IYY:
		*width = 3;
		return iyear % 1000;
	case TC_IY:
		return iyear % 100;
	case TC_I:
		*width = 1;
		return iyear % 10;
	case TC_IDDD:
		*width = 3;
		return iday;
	case TC_ID:
		*width = 1;
		return isodow;
	case TC_IW:
		return iweek;
	case TC_MM:
		return t->mo;
	case TC_DDD:
		*width = 3;
		return doy;
	case TC_DD:
		return t->d;
	case TC_D:
		*width = 1;
		return isodow % 7 + 1;
	case TC_WW:
		return (doy - 1) / 7 + 1;
	case TC_W:
		*width = 1;
		return (t->d - 1) / 7 + 1;
	case TC_CC:
		return (t->y + 99) / 100;
	case TC_J:
		*width = 0;
		return days + JULIAN_DAY_OF_EPOCH;
	case TC_Q:
		*width = 1;
		return (t->mo - 1) / 3 + 1;
	default:
		*width = 0;
		return 0;
	}
}

/* One word pattern p at its case how. */
static void tc_word(mur_buf *b, tc_pat p, const tsparts *t, int how, int fill, const char *tz)
{
	int64_t days = mur_days_from_civil(t->y, t->mo, t->d);
	int dow = (int)(((days % 7) + 7 + 4) % 7); /* 0 = Sunday */
	char abbr[4] = {0};
	switch (p) {
	case TC_MONTH:
		put_cased(b, month_names[t->mo - 1], how, 9, fill);
		break;
	case TC_MON:
		memcpy(abbr, month_names[t->mo - 1], 3);
		put_cased(b, abbr, how, 0, 1);
		break;
	case TC_DAY:
		put_cased(b, day_names[dow], how, 9, fill);
		break;
	case TC_DY:
		memcpy(abbr, day_names[dow], 3);
		put_cased(b, abbr, how, 0, 1);
		break;
	case TC_AM:
	case TC_PM:
		put_cased(b, t->h < 12 ? "am" : "pm", how, 0, 1);
		break;
	case TC_A_M:
	case TC_P_M:
		put_cased(b, t->h < 12 ? "a.m." : "p.m.", how, 0, 1);
		break;
	case TC_AD:
	case TC_BC:
		put_cased(b, t->y > 0 ? "ad" : "bc", how, 0, 1);
		break;
	case TC_A_D:
	case TC_B_C:
		put_cased(b, t->y > 0 ? "a.d." : "b.c.", how, 0, 1);
		break;
	case TC_RM:
		put_cased(b, roman_months[t->mo - 1], how == CASE_LOWER ? CASE_LOWER : CASE_UPPER,
			  4, fill);
		break;
	case TC_TZ:
		if (tz)
			put_cased(b, tz, how == CASE_LOWER ? CASE_LOWER : CASE_UPPER, 0, 1);
		break;
	default:
		break;
	}
}

static void tc_format(mur_buf *b, const char *f, const tsparts *t, const char *tz)
{
	while (*f) {
		int fill = 0, how = CASE_UPPER;
		size_t k;
		if (*f == '"') {
			for (f++; *f && *f != '"'; f++) {
				if (*f == '\\' && f[1])
					f++;
				mur_buf_put_u8(b, (uint8_t)*f);
			}
			if (*f)
				f++;
			continue;
		}
		if (*f == '\\' && f[1] == '"') { /* \" is a quote; any other \ is itself */
			mur_buf_put_u8(b, '"');
			f += 2;
			continue;
		}
		if ((f[0] == 'F' || f[0] == 'f') && (f[1] == 'M' || f[1] == 'm')) {
			fill = 1;
			f += 2;
		}
		for (k = 0; k < sizeof tc_pats / sizeof tc_pats[0]; k++)
			if (tc_match(f, tc_pats[k].kw, tc_pats[k].word, &how))
				break;
		if (k == sizeof tc_pats / sizeof tc_pats[0]) {
			if (*f)
				mur_buf_put_u8(b, (uint8_t)*f++);
			continue;
		}
		f += strlen(tc_pats[k].kw);
		if (tc_pats[k].pat == TC_FX || tc_pats[k].pat == TC_TM)
			continue;
		if (tc_pats[k].word) {
			tc_word(b, tc_pats[k].pat, t, how, fill, tz);
			continue;
		}
		if (tc_pats[k].pat == TC_Y_YYY) {
			char num[48];
			snprintf(num, sizeof num, "%lld,%03lld", (long long)(t->y / 1000),
				 (long long)(t->y % 1000));
			mur_buf_put(b, num, strlen(num));
		} else {
			int width;
			int64_t n = tc_number(tc_pats[k].pat, t, &width);
			char num[48];
			snprintf(num, sizeof num, "%0*lld", fill ? 0 : width, (long long)n);
			mur_buf_put(b, num, strlen(num));
			if ((f[0] == 'T' && f[1] == 'H') || (f[0] == 't' && f[1] == 'h')) {
				mur_buf_put(b, ordinal(n, f[0] == 'T'), 2);
				f += 2;
			}
		}
	}
}

/* The wall clock of instant us (µs) in z, its offset and abbreviation. */
static int zone_parts(const mur_tz *z, int64_t us, tsparts *t, int32_t *off, const char **abbr)
{
	char local[48];
	int64_t days, rem, y;
	int m, d;
	*off = mur_tz_at(z, us / 1000000 - (us % 1000000 < 0), abbr);
	us += (int64_t)*off * 1000000;
	days = us / 86400000000 - (us % 86400000000 < 0);
	rem = us - days * 86400000000;
	mur_civil_from_days(days, &y, &m, &d);
	snprintf(local, sizeof local, "%04lld-%02d-%02d %02lld:%02lld:%02lld.%06lld", (long long)y,
		 m, d, (long long)(rem / 3600000000), (long long)(rem / 60000000 % 60),
		 (long long)(rem / 1000000 % 60), (long long)(rem % 1000000));
	return parse_ts(local, t);
}

/* The zone named by text argument zv (stor_fn_fail and NULL if unknown). */
static const mur_tz *arg_zone(sqlite3_context *cx, sqlite3_value *zv)
{
	mur_error err;
	const mur_tz *z = mur_tz_get((const char *)sqlite3_value_text(zv), &err);
	if (!z)
		stor_fn_fail(cx, err.sqlstate, "%s", err.message);
	return z;
}

/* A timestamptz's wall clock and abbreviation in the zone named by zv
 * (a text argument; an integer one means UTC, 1, or no zone, 0). */
static int local_parts(sqlite3_context *cx, sqlite3_value *tv, sqlite3_value *zv, tsparts *t,
		       const char **abbr)
{
	const char *s = (const char *)sqlite3_value_text(tv);
	int64_t us;
	int32_t off;
	const mur_tz *z;
	*abbr = sqlite3_value_int(zv) ? "utc" : NULL;
	if (sqlite3_value_type(zv) != SQLITE_TEXT || !s ||
	    mur_ts_us(s, (size_t)sqlite3_value_bytes(tv), &us) != MUR_OK)
		return parse_ts(s, t);
	if (!(z = arg_zone(cx, zv)))
		return -1;
	return zone_parts(z, us, t, &off, abbr);
}

/* date_trunc(field, tstz, zone) as timestamptz_trunc: the wall clock in
 * zone truncated; from a day up it is read back in the zone (the offset
 * of the truncated time), below a day it keeps the instant's offset
 * (PostgreSQL's redotz: date_trunc('hour') of 01:30-04 in a repeated hour
 * is 01:00-04, not 01:00-05). */
static void fn_tz_trunc(sqlite3_context *cx, int argc, sqlite3_value **v)
{
	const char *s = (const char *)sqlite3_value_text(v[1]), *abbr;
	char f[32];
	tsparts t;
	int64_t us, local;
	int32_t off;
	const mur_tz *z;
	mur_value out;
	mur_buf b;
	mur_error err;
	if (stor_fn_any_null(argc, v))
		return;
	if (mur_ts_us(s, (size_t)sqlite3_value_bytes(v[1]), &us) != MUR_OK) {
		sqlite3_result_value(cx, v[1]); /* ±infinity */
		return;
	}
	lower_field(v[0], f, sizeof f);
	if (!(z = arg_zone(cx, v[2])))
		return;
	if (zone_parts(z, us, &t, &off, &abbr) || trunc_parts(f, &t))
		return stor_fn_fail(cx, SQLSTATE_INVALID_PARAMETER_VALUE,
				    "unit \"%s\" not recognized for type timestamp with time zone",
				    f);
	local = mur_days_from_civil(t.y, t.mo, t.d) * 86400000000 +
		((int64_t)t.h * 3600 + t.mi * 60) * 1000000 + llround(t.s * 1e6);
	if (strcmp(f, "hour") && strcmp(f, "minute") && strcmp(f, "second") &&
	    strcmp(f, "milliseconds") && strcmp(f, "microseconds"))
		off = mur_tz_local(z, local / 1000000 - (local % 1000000 < 0));
	mur_buf_init(&b);
	if (mur_ts_put(MT_TIMESTAMPTZ, local - (int64_t)off * 1000000, &b, &out, &err) == MUR_OK)
		stor_fn_result_value(cx, &out);
	else
		stor_fn_fail(cx, err.sqlstate, "%s", err.message);
	mur_buf_free(&b);
}

static void fn_to_char(sqlite3_context *cx, int argc, sqlite3_value **v)
{
	tsparts t;
	mur_buf b;
	const char *abbr;
	if (stor_fn_any_null(argc, v) || sqlite3_value_bytes(v[1]) == 0)
		return; /* an empty template gives NULL, as in PostgreSQL */
	if (local_parts(cx, v[0], v[2], &t, &abbr))
		return stor_fn_fail(cx, SQLSTATE_INVALID_DATETIME_FORMAT,
				    "invalid timestamp value");
	mur_buf_init(&b);
	tc_format(&b, (const char *)sqlite3_value_text(v[1]), &t, abbr);
	stor_fn_result_buf(cx, &b);
}

static const stor_fn_def time_fns[] = {
	{"mur_now", 0, 0, fn_now},
	{"mur_xact_now", 0, 0, fn_now}, /* unbound: sql/default_now.c */
	{"mur_current_date", 0, 0, fn_current_date},
	{"mur_session_zone", 0, 0, fn_session_zone}, /* unbound: sql/default_now.c */
	{"mur_date_trunc", 2, 1, fn_date_trunc},
	{"mur_extract", 2, 1, fn_extract},
	{"mur_extract_num", 2, 1, fn_extract_num},
	{"mur_extract_date", 2, 1, fn_extract_date},
	{"mur_date_add", 2, 1, fn_date_add},
	{"mur_make_date", 3, 1, stor_fn_make_date},
	{"mur_make_timestamp", 6, 1, stor_fn_make_timestamp},
	{"mur_isfinite", 1, 1, fn_isfinite},
	{"mur_date_diff", 2, 1, fn_date_diff},
	{"mur_to_char", 3, 1, fn_to_char},
	{"mur_tz_trunc", 3, 1, fn_tz_trunc},
};

int stor_register_time_functions(sqlite3 *db)
{
	int rc = stor_fn_register(db, time_fns, sizeof time_fns / sizeof time_fns[0]);
	return rc == SQLITE_OK ? stor_register_tz_functions(db) : rc;
}
