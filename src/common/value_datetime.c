/*
 * value_datetime.c — dates and timestamps: the proleptic Gregorian
 * calendar (mur_days_from_civil / mur_civil_from_days), and their text
 * input as PostgreSQL 15's date_in / timestamp_in / timestamptz_in accept
 * it, restricted to ISO 8601 plus the special words (epoch, infinity, now,
 * today, tomorrow, yesterday).  Contract in value.h (storage forms) and
 * value_int.h (mur_datetime_from_pgtext).
 *
 * Input is converted through a microsecond count since the epoch, so that
 * zone offsets, '24:00:00' and fraction rounding carry into the day exactly
 * as PostgreSQL does, then written back as the canonical text that is
 * stored and printed (timestamp_out: 'YYYY-MM-DD HH:MM:SS[.ffffff]' with
 * trailing fractional zeros trimmed; TIMESTAMPTZ in UTC).  "now" and its
 * relatives read the wall clock (common/clock.h).
 *
 * Memory: nothing here allocates except appends to the caller's scratch.
 */
#include "common/value_int.h"

#include "common/clock.h"
#include "common/tz.h"

#include <ctype.h>
#include <string.h>
#include <strings.h>

#define USEC_PER_SEC INT64_C(1000000)
#define USEC_PER_DAY INT64_C(86400000000)

static int is_leap(int64_t y) { return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0; }

static int days_in_month(int64_t y, int m)
{
	static const int dim[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
	return m == 2 && is_leap(y) ? 29 : dim[m - 1];
}

/* Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant). */
int64_t mur_days_from_civil(int64_t y, int m, int d)
{
	y -= m <= 2;
	int64_t era = (y >= 0 ? y : y - 399) / 400;
	int64_t yoe = y - era * 400;
	int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

void mur_civil_from_days(int64_t z, int64_t *y, int *m, int *d)
{
	z += 719468;
	int64_t era = (z >= 0 ? z : z - 146096) / 146097;
	int64_t doe = z - era * 146097;
	int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	int64_t mp = (5 * doy + 2) / 153;
	*d = (int)(doy - (153 * mp + 2) / 5 + 1);
	*m = (int)(mp < 10 ? mp + 3 : mp - 9);
	*y = yoe + era * 400 + (*m <= 2);
}

static int64_t floor_div(int64_t a, int64_t b)
{
	int64_t q = a / b;
	return (a % b != 0 && (a < 0) != (b < 0)) ? q - 1 : q;
}

/* Write v (0 <= v < 10^width) as exactly `width` digits at b[n]. */
static size_t put_digits(char *b, size_t n, int64_t v, int width)
{
	for (int i = width - 1; i >= 0; i--) {
		b[n + (size_t)i] = (char)('0' + v % 10);
		v /= 10;
	}
	return n + (size_t)width;
}

/* Microseconds since the epoch → canonical text into scratch. */
static int put_timestamp(mur_type t, int64_t us, const char *text, size_t len, mur_buf *scratch,
			 mur_value *out, mur_error *err)
{
	int64_t days = floor_div(us, USEC_PER_DAY), y;
	int64_t rem = us - days * USEC_PER_DAY;
	int m, d;
	mur_civil_from_days(days, &y, &m, &d);
	if (y < 1 || y > 9999)
		return mur_error_set(err, SQLSTATE_DATETIME_FIELD_OVERFLOW,
				     "date/time field value out of range: \"%.*s\"",
				     value_quote_len(len), text);
	size_t off = scratch->len;
	/* Digits by hand: this runs for every timestamp of a COPY, where
	 * printf's formatting machinery was a fifth of the leader's time. */
	char b[32];
	size_t n = 0;
	n = put_digits(b, n, y, 4);
	b[n++] = '-';
	n = put_digits(b, n, m, 2);
	b[n++] = '-';
	n = put_digits(b, n, d, 2);
	if (t != MT_DATE) {
		int64_t secs = rem / USEC_PER_SEC, frac = rem % USEC_PER_SEC;
		b[n++] = ' ';
		n = put_digits(b, n, secs / 3600, 2);
		b[n++] = ':';
		n = put_digits(b, n, secs / 60 % 60, 2);
		b[n++] = ':';
		n = put_digits(b, n, secs % 60, 2);
		if (frac) {
			b[n++] = '.';
			n = put_digits(b, n, frac, 6);
			while (b[n - 1] == '0')
				n--;
		}
	}
	mur_buf_put(scratch, b, n);
	if (!mur_buf_ok(scratch))
		return mur_error_set(err, SQLSTATE_OUT_OF_MEMORY, "out of memory");
	out->kind = MV_TEXT;
	out->s = scratch->data + off;
	out->len = scratch->len - off;
	return MUR_OK;
}

/* Read 1..maxd digits; returns the count read (0: none). */
static int read_digits(const char *p, size_t n, size_t *i, int maxd, int64_t *v)
{
	int k = 0;
	*v = 0;
	while (*i < n && k < maxd && isdigit((unsigned char)p[*i])) {
		*v = *v * 10 + (p[*i] - '0');
		(*i)++;
		k++;
	}
	return k;
}

/* Special inputs: epoch, infinity, now, today, tomorrow, yesterday, the
 * last three midnights of tz's wall clock (NULL: UTC).  Returns 1 when
 * handled (rc in *rc). */
static int parse_special_datetime(mur_type t, const char *p, size_t n, const char *text, size_t len,
				  const mur_tz *tz, mur_buf *scratch, mur_value *out,
				  mur_error *err, int *rc)
{
	if (n == 0 || isdigit((unsigned char)p[0]))
		return 0; /* a date (every special input starts with a letter or a sign):
			     not the clock read below, per value of a COPY */
	if ((n == 8 && strncasecmp(p, "infinity", 8) == 0) ||
	    (n == 9 && strncasecmp(p, "+infinity", 9) == 0)) {
		value_copy_out(scratch, MV_TEXT, "infinity", 8, out);
		return *rc = MUR_OK, 1;
	}
	if (n == 9 && strncasecmp(p, "-infinity", 9) == 0) {
		value_copy_out(scratch, MV_TEXT, "-infinity", 9, out);
		return *rc = MUR_OK, 1;
	}
	int64_t now = mur_wall_us(), off = 0, us;
	if (tz && tz != mur_tz_utc()) /* the wall clock's now */
		off = (int64_t)mur_tz_at(tz, floor_div(now, USEC_PER_SEC), NULL) * USEC_PER_SEC;
	int64_t today = floor_div(now + off, USEC_PER_DAY) * USEC_PER_DAY, local = 1;
	if (n == 5 && strncasecmp(p, "epoch", 5) == 0)
		us = 0, local = 0;
	else if (n == 3 && strncasecmp(p, "now", 3) == 0)
		us = t == MT_TIMESTAMPTZ ? now : now + off, local = 0;
	else if (n == 5 && strncasecmp(p, "today", 5) == 0)
		us = today;
	else if (n == 8 && strncasecmp(p, "tomorrow", 8) == 0)
		us = today + USEC_PER_DAY;
	else if (n == 9 && strncasecmp(p, "yesterday", 9) == 0)
		us = today - USEC_PER_DAY;
	else
		return 0;
	if (t == MT_TIMESTAMPTZ && local && tz && tz != mur_tz_utc())
		us -= (int64_t)mur_tz_local(tz, floor_div(us, USEC_PER_SEC)) * USEC_PER_SEC;
	*rc = put_timestamp(t, us, text, len, scratch, out, err);
	return 1;
}

/*
 * ISO 8601 date/timestamp input:
 *   (YYYY-M[M]-D[D] | YYYYMMDD) [(' '|'T') H[H]:MM[:SS[.f…]]] [ws] [zone] where zone is
 *   Z | UTC | GMT | (+|-)HH[[:]MM[:SS]] | a zone name (tz.h).  A timestamptz
 *   without a zone is read in tz, the session's TimeZone (NULL: UTC).
 * DATE and TIMESTAMP accept and ignore the time/zone they do not keep, as
 * PostgreSQL does.  Syntax errors are 22007, bad field values 22008.
 */
int mur_datetime_from_pgtext(mur_type t, const char *text, size_t len, const mur_tz *tz,
			     mur_buf *scratch, mur_value *out, mur_error *err)
{
	int has_zone = 0;
	const char *p = text;
	size_t n = len, i = 0;
	int64_t y, mo, d, h = 0, mi = 0, s = 0, frac = 0, zone_s = 0;
	int rc;

	value_trim(&p, &n);
	if (parse_special_datetime(t, p, n, text, len, tz, scratch, out, err, &rc))
		return rc;
	int k = read_digits(p, n, &i, 8, &y);
	if (k == 8) { /* YYYYMMDD */
		d = y % 100;
		mo = y / 100 % 100;
		y /= 10000;
	} else if (k != 4 || i >= n || p[i++] != '-' || !read_digits(p, n, &i, 2, &mo) || i >= n ||
		   p[i++] != '-' || !read_digits(p, n, &i, 2, &d)) {
		goto syntax;
	}
	if (i < n && (p[i] == ' ' || p[i] == 'T' || p[i] == 't')) {
		size_t j = i + 1;
		while (p[i] == ' ' && j < n && p[j] == ' ')
			j++;
		if (j < n && isdigit((unsigned char)p[j])) {
			i = j;
			if (!read_digits(p, n, &i, 2, &h) || i >= n || p[i++] != ':' ||
			    read_digits(p, n, &i, 2, &mi) != 2)
				goto syntax;
			if (i < n && p[i] == ':') {
				i++;
				if (read_digits(p, n, &i, 2, &s) != 2)
					goto syntax;
				if (i < n && p[i] == '.') {
					int k = 0;
					i++;
					while (i < n && isdigit((unsigned char)p[i])) {
						if (k < 6)
							frac = frac * 10 + (p[i] - '0');
						else if (k == 6 && p[i] >= '5')
							frac++; /* round to microseconds */
						k++;
						i++;
					}
					for (; k < 6; k++)
						frac *= 10;
				}
			}
		}
	}
	while (i < n && p[i] == ' ')
		i++;
	if (i < n) {
		has_zone = 1;
		if (p[i] == 'Z' || p[i] == 'z') {
			i++;
		} else if (n - i == 3 && (strncasecmp(p + i, "UTC", 3) == 0 ||
					  strncasecmp(p + i, "GMT", 3) == 0)) {
			i += 3;
		} else if (p[i] == '+' || p[i] == '-') {
			int sign = p[i++] == '-' ? -1 : 1;
			int64_t zh, zm = 0;
			k = read_digits(p, n, &i, 4, &zh);
			if (k == 4) {
				zm = zh % 100;
				zh /= 100;
			} else if (k == 1 || k == 2) {
				if (i < n && p[i] == ':') {
					i++;
					if (read_digits(p, n, &i, 2, &zm) != 2)
						goto syntax;
				}
			} else {
				goto syntax;
			}
			if (zh > 15 || zm > 59)
				return mur_error_set(err, "22009",
						     "time zone displacement out of range: "
						     "\"%.*s\"",
						     value_quote_len(len), text);
			zone_s = sign * (zh * 3600 + zm * 60);
			if (i < n && p[i] == ':') { /* seconds, as EncodeTimezone prints them */
				int64_t zs;
				i++;
				if (read_digits(p, n, &i, 2, &zs) != 2 || zs > 59)
					goto syntax;
				zone_s += sign * zs;
			}
		} else if (isalpha((unsigned char)p[i]) && n - i <= MUR_TZ_NAME_MAX) {
			char name[MUR_TZ_NAME_MAX + 1];
			memcpy(name, p + i, n - i);
			name[n - i] = '\0';
			if (!(tz = mur_tz_get(name, NULL)) && strchr(name, '/')) {
				for (char *q = name; *q; q++)
					*q = (char)tolower((unsigned char)*q);
				return mur_error_set(err, SQLSTATE_INVALID_PARAMETER_VALUE,
						     "time zone \"%s\" not recognized", name);
			}
			if (!tz)
				goto syntax;
			has_zone = 0; /* the named zone's rule reads the local time */
			i = n;
		} else {
			goto syntax;
		}
	}
	if (i != n)
		goto syntax;
	if (y < 1 || mo < 1 || mo > 12 || d < 1 || d > days_in_month(y, (int)mo) || h > 24 ||
	    mi > 59 || s > 60 || (h == 24 && (mi || s || frac)))
		return mur_error_set(err, SQLSTATE_DATETIME_FIELD_OVERFLOW,
				     "date/time field value out of range: \"%.*s\"",
				     value_quote_len(len), text);
	int64_t us = mur_days_from_civil(y, (int)mo, (int)d) * USEC_PER_DAY;
	if (t != MT_DATE)
		us += ((h * 60 + mi) * 60 + s) * USEC_PER_SEC + frac;
	if (t == MT_TIMESTAMPTZ && has_zone)
		us -= zone_s * USEC_PER_SEC;
	else if (t == MT_TIMESTAMPTZ && tz && tz != mur_tz_utc())
		us -= (int64_t)mur_tz_local(tz, floor_div(us, USEC_PER_SEC)) * USEC_PER_SEC;
	return put_timestamp(t, us, text, len, scratch, out, err);
syntax:
	return value_syntax_error(err, SQLSTATE_INVALID_DATETIME_FORMAT, t, text, len);
}

int mur_ts_put(mur_type t, int64_t us, mur_buf *scratch, mur_value *out, mur_error *err)
{
	int64_t y;
	int m, d;
	mur_civil_from_days(floor_div(us, USEC_PER_DAY), &y, &m, &d);
	if (y < 1 || y > 9999)
		return mur_error_set(err, SQLSTATE_DATETIME_FIELD_OVERFLOW, "%s out of range",
				     t == MT_DATE ? "date" : "timestamp");
	return put_timestamp(t, us, "", 0, scratch, out, err);
}
