/*
 * interval_typmod.c — PostgreSQL's interval typmod: the fields
 * (interval '5' minute, x::interval hour to minute) and the seconds'
 * precision (interval second(3), interval(2)).
 *
 * The typmod is PostgreSQL's INTERVAL_TYPMOD(precision, range): the range
 * (INTERVAL_MASK bits of YEAR ... SECOND) in the high 16 bits, the
 * precision (0..6, 0xFFFF for none) in the low 16.  Two rules, as in
 * utils/adt/datetime.c and timestamp.c:
 *   - input (DecodeInterval): a trailing bare number counts the smallest
 *     field of the range ('5' minute is 5 minutes); with MINUTE TO SECOND
 *     a lone 'a:b' is minutes:seconds;
 *   - AdjustIntervalForTypmod: the fields below the smallest one are
 *     truncated (toward zero), the seconds rounded to the precision.
 * The first applies only to a literal read with the typmod; a value cast
 * (text or interval) gets the second alone, as in PostgreSQL.
 */
#include "common/interval.h"

#include <ctype.h>
#include <string.h>

/* The smallest field of range: year 0, month 1, day 2, hour 3, minute 4,
 * second 5 (second too for the full range). */
static int smallest_field(int range)
{
	return range == MUR_IV_FULL_RANGE ? 5
	       : range & MUR_IV_SECOND    ? 5
	       : range & MUR_IV_MINUTE    ? 4
	       : range & MUR_IV_HOUR      ? 3
	       : range & MUR_IV_DAY       ? 2
	       : range & MUR_IV_MONTH     ? 1
					  : 0;
}

int mur_iv_typmod_ok(int range, int precision)
{
	static const int ranges[] = {
		MUR_IV_YEAR,
		MUR_IV_MONTH,
		MUR_IV_DAY,
		MUR_IV_HOUR,
		MUR_IV_MINUTE,
		MUR_IV_SECOND,
		MUR_IV_YEAR | MUR_IV_MONTH,
		MUR_IV_DAY | MUR_IV_HOUR,
		MUR_IV_DAY | MUR_IV_HOUR | MUR_IV_MINUTE,
		MUR_IV_DAY | MUR_IV_HOUR | MUR_IV_MINUTE | MUR_IV_SECOND,
		MUR_IV_HOUR | MUR_IV_MINUTE,
		MUR_IV_HOUR | MUR_IV_MINUTE | MUR_IV_SECOND,
		MUR_IV_MINUTE | MUR_IV_SECOND,
		MUR_IV_FULL_RANGE,
	};
	int ok = 0;
	for (size_t i = 0; i < sizeof ranges / sizeof ranges[0]; i++)
		ok |= ranges[i] == range;
	return ok && (precision == MUR_IV_FULL_PRECISION || (precision >= 0 && precision <= 6));
}

void mur_iv_adjust(mur_interval *iv, int32_t typmod)
{
	static const int64_t unit[] = {INT64_C(3600000000), 60000000}; /* hour, minute */
	int range = MUR_IV_TYPMOD_RANGE(typmod), p = MUR_IV_TYPMOD_PRECISION(typmod);
	int small = smallest_field(range);
	if (typmod < 0)
		return;
	if (small == 0)
		iv->months = iv->months / 12 * 12;
	if (small <= 1)
		iv->days = 0;
	if (small <= 2)
		iv->us = 0;
	else if (small < 5)
		iv->us = iv->us / unit[small - 3] * unit[small - 3];
	else if (p != MUR_IV_FULL_PRECISION && p < 6) {
		int64_t u = 1;
		for (int i = p; i < 6; i++)
			u *= 10;
		iv->us = iv->us >= 0 ? (iv->us + u / 2) / u * u : -((-iv->us + u / 2) / u * u);
	}
}

/* Where the last whitespace-separated word of s starts when it is a bare
 * number ([+-]digits[.digits]); -1 otherwise. */
static long trailing_number(const char *s, size_t len)
{
	size_t end = len, start, i;
	int digits = 0;
	while (end > 0 && isspace((unsigned char)s[end - 1]))
		end--;
	start = end;
	while (start > 0 && !isspace((unsigned char)s[start - 1]))
		start--;
	i = start + (start < end && (s[start] == '+' || s[start] == '-'));
	for (; i < end && (isdigit((unsigned char)s[i]) || s[i] == '.'); i++)
		digits += s[i] != '.';
	return digits > 0 && i == end ? (long)start : -1;
}

int mur_iv_parse_typmod(const char *text, size_t len, int32_t typmod, mur_interval *iv,
			mur_error *err)
{
	static const char *const units[] = {"year", "month", "day", "hour", "minute", "second"};
	int range = MUR_IV_TYPMOD_RANGE(typmod), rc;
	const char *colon = memchr(text, ':', len);
	mur_buf b;
	if (typmod < 0)
		return mur_iv_parse(text, len, iv, err);
	mur_buf_init(&b);
	if (range == (MUR_IV_MINUTE | MUR_IV_SECOND) && colon &&
	    !memchr(colon + 1, ':', len - (size_t)(colon + 1 - text))) {
		/* 'a:b' minute to second is minutes:seconds: 0:a:b */
		size_t at = (size_t)(colon - text);
		while (at > 0 && !isspace((unsigned char)text[at - 1]) && text[at - 1] != '-' &&
		       text[at - 1] != '+')
			at--;
		mur_buf_put(&b, text, at);
		mur_buf_put(&b, "0:", 2);
		mur_buf_put(&b, text + at, len - at);
	} else {
		mur_buf_put(&b, text, len);
		if (trailing_number(text, len) >= 0)
			mur_buf_printf(&b, " %s", units[smallest_field(range)]);
	}
	rc = mur_buf_ok(&b) ? mur_iv_parse(mur_buf_cstr(&b), b.len, iv, err)
			    : mur_error_set(err, SQLSTATE_OUT_OF_MEMORY, "out of memory");
	mur_buf_free(&b);
	if (rc == MUR_OK)
		mur_iv_adjust(iv, typmod);
	return rc;
}
