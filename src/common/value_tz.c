/*
 * value_tz.c — timestamps meet time zones (contract in value.h): the
 * stored UTC text of a timestamptz printed in a session's zone, and the
 * two conversions between an instant and a zone's wall clock that
 * PostgreSQL's casts and AT TIME ZONE are made of.
 *
 * Stored text stays UTC whatever the session's zone, so comparisons,
 * grouping, hashing and shard placement of timestamptz are by instant and
 * need no zone; only printing, reading literals without an offset, and
 * the wall-clock functions (casts to timestamp/date, date_trunc, extract,
 * to_char) consult one.
 */
#include "common/value_int.h"

#include <ctype.h>
#include <stdio.h>

#define TZ_USEC_PER_SEC INT64_C(1000000)

static int64_t floor_div64(int64_t a, int64_t b)
{
	int64_t q = a / b;
	return (a % b != 0 && (a < 0) != (b < 0)) ? q - 1 : q;
}

/* n digits at s into *v; 0 when any is not a digit. */
static int digits(const char *s, int n, int *v)
{
	*v = 0;
	for (int i = 0; i < n; i++) {
		if (!isdigit((unsigned char)s[i]))
			return 0;
		*v = *v * 10 + (s[i] - '0');
	}
	return 1;
}

int mur_ts_us(const char *s, size_t len, int64_t *us)
{
	int y, mo, d, h = 0, mi = 0, sec = 0, frac = 0;
	if (len < 10 || !digits(s, 4, &y) || s[4] != '-' || !digits(s + 5, 2, &mo) || s[7] != '-' ||
	    !digits(s + 8, 2, &d) || mo < 1 || mo > 12)
		return MUR_ERR;
	if (len > 10) {
		if (len < 19 || s[10] != ' ' || !digits(s + 11, 2, &h) || s[13] != ':' ||
		    !digits(s + 14, 2, &mi) || s[16] != ':' || !digits(s + 17, 2, &sec))
			return MUR_ERR;
		if (len > 19) {
			int k = (int)len - 20;
			if (s[19] != '.' || k < 1 || k > 6 || !digits(s + 20, k, &frac))
				return MUR_ERR;
			for (; k < 6; k++)
				frac *= 10;
		}
	}
	*us = mur_days_from_civil(y, mo, d) * 86400 * TZ_USEC_PER_SEC +
	      ((int64_t)h * 3600 + mi * 60 + sec) * TZ_USEC_PER_SEC + frac;
	return MUR_OK;
}

/* EncodeTimezone: +HH, +HH:MM, +HH:MM:SS (east positive). */
static void put_offset(int32_t east, mur_buf *out)
{
	int32_t a = east < 0 ? -east : east;
	char b[16];
	int n;
	if (a % 60)
		n = snprintf(b, sizeof b, "%c%02d:%02d:%02d", east < 0 ? '-' : '+', a / 3600,
			     a / 60 % 60, a % 60);
	else if (a % 3600)
		n = snprintf(b, sizeof b, "%c%02d:%02d", east < 0 ? '-' : '+', a / 3600,
			     a / 60 % 60);
	else
		n = snprintf(b, sizeof b, "%c%02d", east < 0 ? '-' : '+', a / 3600);
	mur_buf_put(out, b, (size_t)n);
}

void mur_tstz_out(const char *s, size_t len, const mur_tz *z, mur_buf *out)
{
	int64_t us;
	int32_t off;
	mur_value local;
	mur_error err;
	size_t mark = out->len;
	if (mur_ts_us(s, len, &us) != MUR_OK) { /* infinity: no zone */
		mur_buf_put(out, s, len);
		return;
	}
	off = mur_tz_at(z ? z : mur_tz_utc(), floor_div64(us, TZ_USEC_PER_SEC), NULL);
	if (mur_ts_put(MT_TIMESTAMP, us + (int64_t)off * TZ_USEC_PER_SEC, out, &local, &err) !=
	    MUR_OK) {
		out->len = mark; /* a year the zone pushes past 9999: print UTC */
		mur_buf_put(out, s, len);
		off = 0;
	}
	put_offset(off, out);
}

int mur_tstz_to_local(mur_type to, const mur_value *in, const mur_tz *z, mur_buf *scratch,
		      mur_value *out, mur_error *err)
{
	int64_t us;
	if (in->kind != MV_TEXT || mur_ts_us(in->s, in->len, &us) != MUR_OK) {
		value_copy_out(scratch, MV_TEXT, in->s, in->len, out);
		return MUR_OK;
	}
	us += (int64_t)mur_tz_at(z, floor_div64(us, TZ_USEC_PER_SEC), NULL) * TZ_USEC_PER_SEC;
	return mur_ts_put(to, us, scratch, out, err);
}

int mur_local_to_tstz(const mur_value *in, const mur_tz *z, mur_buf *scratch, mur_value *out,
		      mur_error *err)
{
	int64_t us;
	if (in->kind != MV_TEXT || mur_ts_us(in->s, in->len, &us) != MUR_OK) {
		value_copy_out(scratch, MV_TEXT, in->s, in->len, out);
		return MUR_OK;
	}
	us -= (int64_t)mur_tz_local(z, floor_div64(us, TZ_USEC_PER_SEC)) * TZ_USEC_PER_SEC;
	return mur_ts_put(MT_TIMESTAMPTZ, us, scratch, out, err);
}
