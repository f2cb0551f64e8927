/*
 * value_out.c — PostgreSQL text output: mur_value_to_pgtext writes a
 * storage value as PostgreSQL 15 prints a value of the given type, in the
 * text format DataRow carries.  Contract in value.h.
 *
 * Output must match PostgreSQL byte for byte (clients diff our DataRows
 * against PostgreSQL's), so each formatter names the PostgreSQL function
 * it imitates:
 *
 *   float8out / float4out   shortest round-trip digits (PostgreSQL uses
 *                           Ryu; we binary-search the shortest "%.*e" that
 *                           strtod/strtof reads back exactly), then the
 *                           printf-like layout: scientific when the decimal
 *                           exponent is < -4 or >= 15 (float4: >= 6).
 *   numeric_out             a numeric is stored as its exact text
 *                           (common/numeric.h), printed as it is; an INT
 *                           as the integer; a double (what a float math
 *                           function gives a numeric-typed result) with
 *                           up to VALUE_NUMERIC_DIGITS significant digits
 *                           and no trailing zeros.
 *   byteaout                "\x" and two lowercase hex digits a byte
 *                           (bytea_output = hex), or with escape: a
 *                           backslash doubled, bytes outside 0x20-0x7e
 *                           as \ooo octal.
 *   uuid_out                the stored text (value_in.c canonicalized it).
 *   timestamp_out           the stored text, which value_datetime.c wrote
 *                           in PostgreSQL's form on input; timestamptz adds
 *                           "+00", or under mur_value_to_pgtext_fmt is
 *                           shifted to the session's zone (value_tz.c).
 *   interval_out            IntervalStyle postgres (common/interval.c).
 *
 * Memory: nothing here allocates except appends to the caller's mur_buf.
 */
#include "common/value_int.h"

#include "common/interval.h"

#include <assert.h>
#include <ctype.h>
#include <float.h>
#include <stdio.h>
#include <stdlib.h>

/* Significant digits printed for a non-integral NUMERIC (a double holds
 * 15 decimal digits exactly: DBL_DIG). */
#define VALUE_NUMERIC_DIGITS 15

/*
 * Shortest decimal that PostgreSQL's Ryu (compiled without
 * STRICTLY_SHORTEST) prints: the fewest digits n such that an n-digit
 * decimal lies strictly inside the interval of reals that round to d
 * (midpoints to the neighbours excluded, even when round-half-even would
 * read them back as d); among those the one nearest d, else its neighbour
 * on the far side of d.  Midpoints of doubles need 54 bits, so they are
 * exact in x86 long double and the inside test is a strtold comparison.
 */
typedef struct dec_interval {
	long double v, lo, hi; /* |d| and the open interval (lo, hi) */
} dec_interval;

static void dec_interval_init(dec_interval *iv, double d, int is_float4)
{
	if (is_float4) {
		float f = fabsf((float)d);
		float up = nextafterf(f, INFINITY), dn = nextafterf(f, 0);
		iv->v = f;
		iv->lo = ((long double)f + dn) / 2;
		iv->hi = isinf(up) ? f + ((long double)f - dn) / 2 : ((long double)f + up) / 2;
	} else {
		double a = fabs(d);
		double up = nextafter(a, INFINITY), dn = nextafter(a, 0);
		iv->v = a;
		iv->lo = ((long double)a + dn) / 2;
		iv->hi = isinf(up) ? a + ((long double)a - dn) / 2 : ((long double)a + up) / 2;
	}
}

static int dec_inside(const dec_interval *iv, uint64_t m, int p)
{
	char buf[48];
	snprintf(buf, sizeof buf, "%llue%d", (unsigned long long)m, p);
	long double x = strtold(buf, NULL);
	return x > iv->lo && x < iv->hi;
}

/* An n-digit candidate m * 10^p strictly inside the interval, if any. */
static int dec_try(const dec_interval *iv, int n, uint64_t *m, int *p)
{
	char buf[48];
	uint64_t mm = 0;
	snprintf(buf, sizeof buf, "%.*Le", n - 1, iv->v);
	const char *s = buf;
	for (; *s && *s != 'e'; s++)
		if (isdigit((unsigned char)*s))
			mm = mm * 10 + (uint64_t)(*s - '0');
	int pp = atoi(s + 1) - (n - 1);
	if (dec_inside(iv, mm, pp))
		return *m = mm, *p = pp, 1;
	long double c = strtold(buf, NULL);
	uint64_t other = c < iv->v ? mm + 1 : mm - 1;
	if (other && dec_inside(iv, other, pp))
		return *m = other, *p = pp, 1;
	return 0;
}

/* digits gets the significant digits (no dot, no trailing zeros), *nd their
 * count, *exp10 the decimal exponent of the first digit, *neg the sign.
 * d is finite and nonzero. */
static void shortest_digits(double d, int is_float4, char *digits, int *nd, int *exp10, int *neg)
{
	dec_interval iv;
	uint64_t m = 0;
	int p = 0, lo = 1, hi = is_float4 ? 9 : 17;

	dec_interval_init(&iv, d, is_float4);
	/* An n-digit decimal is also an (n+1)-digit one, so "some n-digit
	 * decimal is inside" is monotone in n: binary search. */
	while (lo < hi) {
		int mid = (lo + hi) / 2;
		if (dec_try(&iv, mid, &m, &p))
			hi = mid;
		else
			lo = mid + 1;
	}
	int found = dec_try(&iv, lo, &m, &p);
	assert(found); /* 17 (float: 9) correctly rounded digits are always inside */
	(void)found;
	while (m && m % 10 == 0) {
		m /= 10;
		p++;
	}
	*neg = signbit(d) != 0;
	*nd = snprintf(digits, 24, "%llu", (unsigned long long)m);
	*exp10 = p + *nd - 1;
}

/* Lay out digits as fixed-point: d.ddd x 10^exp10 written without exponent. */
static void put_fixed(mur_buf *out, int neg, const char *digits, int nd, int exp10)
{
	if (neg)
		mur_buf_put_u8(out, '-');
	if (exp10 < 0) {
		mur_buf_put(out, "0.", 2);
		for (int i = 0; i < -exp10 - 1; i++)
			mur_buf_put_u8(out, '0');
		mur_buf_put(out, digits, (size_t)nd);
		return;
	}
	int intd = exp10 + 1;
	if (nd <= intd) {
		mur_buf_put(out, digits, (size_t)nd);
		for (int i = nd; i < intd; i++)
			mur_buf_put_u8(out, '0');
	} else {
		mur_buf_put(out, digits, (size_t)intd);
		mur_buf_put_u8(out, '.');
		mur_buf_put(out, digits + intd, (size_t)(nd - intd));
	}
}

static int put_nonfinite(mur_buf *out, double d)
{
	if (isnan(d)) {
		mur_buf_put(out, "NaN", 3);
		return 1;
	}
	if (isinf(d)) {
		if (d < 0)
			mur_buf_put(out, "-Infinity", 9);
		else
			mur_buf_put(out, "Infinity", 8);
		return 1;
	}
	return 0;
}

/* float8out / float4out with extra_float_digits = 1 (the default). */
static void put_float(mur_buf *out, double d, int is_float4)
{
	char digits[32];
	int nd, exp10, neg;
	if (is_float4)
		d = (double)(float)d;
	if (put_nonfinite(out, d))
		return;
	if (d == 0) {
		if (signbit(d))
			mur_buf_put(out, "-0", 2);
		else
			mur_buf_put_u8(out, '0');
		return;
	}
	shortest_digits(d, is_float4, digits, &nd, &exp10, &neg);
	if (exp10 < -4 || exp10 >= (is_float4 ? FLT_DIG : DBL_DIG)) {
		if (neg)
			mur_buf_put_u8(out, '-');
		mur_buf_put_u8(out, (uint8_t)digits[0]);
		if (nd > 1) {
			mur_buf_put_u8(out, '.');
			mur_buf_put(out, digits + 1, (size_t)(nd - 1));
		}
		mur_buf_printf(out, "e%c%02d", exp10 < 0 ? '-' : '+', abs(exp10));
		return;
	}
	put_fixed(out, neg, digits, nd, exp10);
}

/* numeric_out for a double (see the file comment). */
static void put_numeric(mur_buf *out, double d)
{
	char buf[48], digits[32];
	int nd, exp10, neg;
	if (put_nonfinite(out, d))
		return;
	if (d == 0) {
		mur_buf_put_u8(out, '0');
		return;
	}
	/* Integers below 2^53 are exact: print every digit.  Beyond, like the
	 * rest, round to VALUE_NUMERIC_DIGITS digits (PostgreSQL's
	 * float8::numeric does the same). */
	if (d == trunc(d) && fabs(d) < 0x1p53) {
		mur_buf_printf(out, "%.0f", d);
		return;
	}
	snprintf(buf, sizeof buf, "%.*e", VALUE_NUMERIC_DIGITS - 1, d);
	const char *p = buf;
	neg = 0;
	if (*p == '-') {
		neg = 1;
		p++;
	}
	nd = 0;
	for (; *p && *p != 'e'; p++)
		if (isdigit((unsigned char)*p))
			digits[nd++] = *p;
	exp10 = (*p == 'e') ? atoi(p + 1) : 0;
	while (nd > 1 && digits[nd - 1] == '0')
		nd--;
	put_fixed(out, neg, digits, nd, exp10);
}

static void put_hex(mur_buf *out, const char *s, size_t n)
{
	static const char hex[] = "0123456789abcdef";
	mur_buf_put(out, "\\x", 2);
	if (mur_buf_reserve(out, n * 2) != MUR_OK)
		return;
	char *w = out->data + out->len;
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		*w++ = hex[c >> 4];
		*w++ = hex[c & 15];
	}
	out->len += n * 2;
}

/* byteaout with bytea_output = 'escape'. */
static void put_escape(mur_buf *out, const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		if (c == '\\')
			mur_buf_put(out, "\\\\", 2);
		else if (c < 0x20 || c > 0x7e)
			mur_buf_printf(out, "\\%03o", c);
		else
			mur_buf_put_u8(out, c);
	}
}

/* A storage value printed as a number of integer type: a double that
 * SQLite produced for an integer expression prints as an integer when it
 * is one. */
static void put_int_like(mur_buf *out, const mur_value *v)
{
	switch (v->kind) {
	case MV_INT:
		mur_buf_printf(out, "%lld", (long long)v->i);
		break;
	case MV_FLOAT:
		if (v->f == trunc(v->f) && fabs(v->f) < 0x1p63)
			mur_buf_printf(out, "%lld", (long long)v->f);
		else
			put_float(out, v->f, 0);
		break;
	case MV_TEXT:
	case MV_BLOB:
		mur_buf_put(out, v->s, v->len);
		break;
	default:
		break;
	}
}

void mur_value_to_pgtext(mur_type t, const mur_value *v, mur_buf *out)
{
	mur_value_to_pgtext_fmt(t, v, NULL, out);
}

void mur_value_to_pgtext_fmt(mur_type t, const mur_value *v, const mur_outfmt *f, mur_buf *out)
{
	if (v->kind == MV_NULL)
		return;
	switch (t) {
	case MT_BOOL:
		if (v->kind == MV_INT)
			mur_buf_put_u8(out, v->i ? 't' : 'f');
		else if (v->kind == MV_FLOAT)
			mur_buf_put_u8(out, v->f != 0 ? 't' : 'f');
		else
			mur_buf_put(out, v->s, v->len);
		return;
	case MT_INT2:
	case MT_INT4:
	case MT_INT8:
		put_int_like(out, v);
		return;
	case MT_FLOAT4:
	case MT_FLOAT8:
		if (v->kind == MV_INT)
			put_float(out, (double)v->i, t == MT_FLOAT4);
		else if (v->kind == MV_FLOAT)
			put_float(out, v->f, t == MT_FLOAT4);
		else
			mur_buf_put(out, v->s, v->len);
		return;
	case MT_NUMERIC:
		if (v->kind == MV_INT)
			mur_buf_printf(out, "%lld", (long long)v->i);
		else if (v->kind == MV_FLOAT)
			put_numeric(out, v->f);
		else
			mur_buf_put(out, v->s, v->len);
		return;
	case MT_BYTEA:
		if ((v->kind == MV_BLOB || v->kind == MV_TEXT) && f && f->bytea_escape)
			put_escape(out, v->s, v->len);
		else if (v->kind == MV_BLOB || v->kind == MV_TEXT)
			put_hex(out, v->s, v->len);
		else
			put_int_like(out, v);
		return;
	case MT_INTERVAL: {
		mur_interval iv;
		if (v->kind == MV_TEXT && mur_iv_load(v->s, v->len, &iv) == MUR_OK)
			mur_iv_out(&iv, out);
		else
			put_int_like(out, v);
		return;
	}
	case MT_TIMESTAMPTZ:
		if (f && f->tz && v->kind == MV_TEXT && f->tz != mur_tz_utc()) {
			mur_tstz_out(v->s, v->len, f->tz, out);
			return;
		}
		put_int_like(out, v);
		/* Stored UTC; the special values carry no zone. */
		if (v->kind == MV_TEXT && !(v->len && (v->s[v->len - 1] == 'y')))
			mur_buf_put(out, "+00", 3);
		return;
	default: /* text types, date, timestamp, unknown */
		if (v->kind == MV_FLOAT)
			put_float(out, v->f, 0);
		else
			put_int_like(out, v);
		return;
	}
}
