/*
 * pgw_binary.c — binary format (format code 1) ↔ text form, per type OID.
 * Contract in pgw_binary.h.
 *
 * Each type names the PostgreSQL 15 function pair it imitates:
 *
 *   oid   type(s)                        binary form (big-endian)
 *   16    bool      boolsend/recv        1 byte, 0 or 1
 *   21/23/20 int2/4/8, 26 oid            2/4/8/4-byte integer
 *   700/701 float4/8                     IEEE 754 bits
 *   1700  numeric   numeric_send/recv    see pgw_numeric_send
 *   25, 1043, 1042, 19, 18, 705, 114     the text's bytes (textsend)
 *   3802  jsonb     jsonb_send           version byte 1, then the text
 *   17    bytea     byteasend            the bytes
 *   1082  date      date_send            Int32 days since 2000-01-01
 *   1114/1184 timestamp[tz]              Int64 µs since 2000-01-01 (UTC)
 *   1083  time      time_send            Int64 µs since midnight
 *   2950  uuid      uuid_send            16 bytes
 *   1186  interval  interval_send        Int64 µs, Int32 days, Int32 months
 *   22/30 int2vector/oidvector           a one-dimensional array
 *                                        (array_send, lower bound 0)
 *   1007, 1016, 1009, ... arrays         array_send: pgw_binary_array.c
 *   infinity / -infinity: the largest / smallest Int32 or Int64.
 *
 * The COPY BINARY stream is pgw_binary_copy.c's.
 *
 * Text → binary reads the text with the type's own text input
 * (mur_value_from_pgtext, which canonicalizes dates to UTC text), so the
 * only text parsing here is of that canonical form; binary → text builds
 * a storage value and prints it with mur_value_to_pgtext.  Both keep the
 * engine's text format the single source of a value's meaning.
 */
#include "pgwire/pgw_binary.h"

#include "common/interval.h"
#include "common/value.h"
#include "pgwire/pgw_codec.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* PostgreSQL's epoch for dates and timestamps is 2000-01-01: its day
 * number since 1970-01-01 (POSTGRES_EPOCH_JDATE - UNIX_EPOCH_JDATE). */
#define BIN_PG_EPOCH_DAYS INT64_C(10957)
#define BIN_USEC_PER_SEC INT64_C(1000000)
#define BIN_USEC_PER_DAY INT64_C(86400000000)
/* numeric: NBASE 10000 (4 decimal digits a group), sign words and the
 * largest display scale numeric_recv accepts (NUMERIC_DSCALE_MASK). */
#define BIN_NBASE 10000
#define BIN_DEC_DIGITS 4
#define BIN_NUMERIC_POS 0x0000
#define BIN_NUMERIC_NEG 0x4000
#define BIN_NUMERIC_NAN 0xC000
#define BIN_NUMERIC_PINF 0xD000
#define BIN_NUMERIC_NINF 0xF000
#define BIN_NUMERIC_DSCALE_MAX 0x3FFF
/* Longest numeric text accepted (decimal digits before and after the
 * point, as PostgreSQL's numeric allows: 131072 + 16383, rounded up). */
#define BIN_NUMERIC_TEXT_MAX 150000
/* int2vector / oidvector elements (PostgreSQL's FUNC_MAX_ARGS, INDEX_MAX_KEYS
 * are 100 and 32). */
#define BIN_VECTOR_MAX 100

static int is_text_oid(uint32_t oid)
{
	return oid == 25 || oid == 1043 || oid == 1042 || oid == 19 || oid == 18 || oid == 705 ||
	       oid == 114 || oid == 0;
}

int pgw_binary_supported(uint32_t oid)
{
	switch (oid) {
	case 16:
	case 17:
	case 20:
	case 21:
	case 22:
	case 23:
	case 26:
	case 30:
	case 700:
	case 701:
	case 1082:
	case 1083:
	case 1114:
	case 1184:
	case 1186:
	case 1700:
	case 2206:
	case 2950:
	case 3802:
		return 1;
	default:
		return is_text_oid(oid) ||
		       (pgw_array_elem_oid(oid) && pgw_binary_supported(pgw_array_elem_oid(oid)));
	}
}

static int bad_text(uint32_t oid, const char *text, size_t len, mur_error *err)
{
	return mur_error_set(err, SQLSTATE_INVALID_BINARY_REPRESENTATION,
			     "cannot send value \"%.*s\" of type %u in binary format",
			     len > 64 ? 64 : (int)len, text, oid);
}

static int bad_binary(const char *what, mur_error *err)
{
	return mur_error_set(err, SQLSTATE_INVALID_BINARY_REPRESENTATION,
			     "incorrect binary data format: %s", what);
}

/* ---- numeric --------------------------------------------------------------- */

/* Parsed decimal text, read in place: the significant digits are the
 * integer digits ip[0..intd) then the fraction digits fp[0..fracd), from
 * the lead-th on (leading zeros skipped), ndigits of them (trailing zeros
 * cut); point = how many of them are before the decimal point (may be
 * < 0 or > ndigits). */
typedef struct dec_text {
	int neg;
	const char *ip, *fp;
	long intd, fracd, lead;
	long ndigits;
	long point;
	long dscale;
} dec_text;

static int dec_digit(const dec_text *d, long k)
{
	k += d->lead;
	return (k < d->intd ? d->ip[k] : d->fp[k - d->intd]) - '0';
}

static int dec_special(const char *p, size_t n, mur_buf *out)
{
	uint16_t sign;
	if (n == 3 && strncasecmp(p, "nan", 3) == 0)
		sign = BIN_NUMERIC_NAN;
	else if ((n == 8 && strncasecmp(p, "infinity", 8) == 0) ||
		 (n == 9 && strncasecmp(p, "+infinity", 9) == 0))
		sign = BIN_NUMERIC_PINF;
	else if (n == 9 && strncasecmp(p, "-infinity", 9) == 0)
		sign = BIN_NUMERIC_NINF;
	else
		return 0;
	mur_buf_put_u16(out, 0);
	mur_buf_put_u16(out, 0);
	mur_buf_put_u16(out, sign);
	mur_buf_put_u16(out, 0);
	return 1;
}

/* [+-] digits [. digits] [e [+-] digits], blanks around. */
static int dec_parse(const char *p, size_t n, dec_text *d)
{
	size_t i = 0;
	long exp = 0;
	int expneg = 0;
	while (n && isspace((unsigned char)p[n - 1]))
		n--;
	while (i < n && isspace((unsigned char)p[i]))
		i++;
	memset(d, 0, sizeof *d);
	if (i < n && (p[i] == '+' || p[i] == '-'))
		d->neg = p[i++] == '-';
	for (d->ip = p + i; i < n && isdigit((unsigned char)p[i]); i++)
		d->intd++;
	d->fp = p + i;
	if (i < n && p[i] == '.')
		for (d->fp = p + ++i; i < n && isdigit((unsigned char)p[i]); i++)
			d->fracd++;
	if (d->intd + d->fracd == 0)
		return MUR_ERR;
	if (i < n && (p[i] == 'e' || p[i] == 'E')) {
		i++;
		if (i < n && (p[i] == '+' || p[i] == '-'))
			expneg = p[i++] == '-';
		if (i >= n || !isdigit((unsigned char)p[i]))
			return MUR_ERR;
		for (; i < n && isdigit((unsigned char)p[i]); i++)
			if ((exp = exp * 10 + (p[i] - '0')) > BIN_NUMERIC_TEXT_MAX)
				return MUR_ERR;
		if (expneg)
			exp = -exp;
	}
	if (i != n || d->intd + d->fracd > BIN_NUMERIC_TEXT_MAX)
		return MUR_ERR;
	d->ndigits = d->intd + d->fracd;
	d->point = d->intd + exp;
	d->dscale = d->fracd - exp > 0 ? d->fracd - exp : 0;
	while (d->ndigits > 0 && dec_digit(d, 0) == 0) { /* leading zeros */
		d->lead++;
		d->ndigits--;
		d->point--;
	}
	while (d->ndigits > 0 && dec_digit(d, d->ndigits - 1) == 0) /* trailing zeros */
		d->ndigits--;
	return MUR_OK;
}

static long floor_div4(long a) { return a >= 0 ? a / BIN_DEC_DIGITS : -((-a + 3) / 4); }

int pgw_numeric_send(const char *text, size_t len, mur_buf *out, mur_error *err)
{
	dec_text d;
	long weight, last, ngroups;

	if (dec_special(text, len, out))
		return MUR_OK;
	if (dec_parse(text, len, &d) != MUR_OK)
		return bad_text(1700, text, len, err);
	/* digit k (0-based) has decimal power point-1-k; group of power e is
	 * floor(e / 4); weight is the first digit's group */
	weight = d.ndigits ? floor_div4(d.point - 1) : 0;
	last = d.ndigits ? floor_div4(d.point - d.ndigits) : 0;
	ngroups = d.ndigits ? weight - last + 1 : 0;
	if (weight > INT16_MAX || last < INT16_MIN || ngroups > INT16_MAX ||
	    d.dscale > BIN_NUMERIC_DSCALE_MAX)
		return mur_error_set(err, SQLSTATE_NUMERIC_VALUE_OUT_OF_RANGE,
				     "numeric value out of range for the binary format");
	mur_buf_put_u16(out, (uint16_t)ngroups);
	mur_buf_put_u16(out, (uint16_t)(int16_t)weight);
	mur_buf_put_u16(out, d.neg && d.ndigits ? BIN_NUMERIC_NEG : BIN_NUMERIC_POS);
	mur_buf_put_u16(out, (uint16_t)d.dscale);
	for (long g = weight; g >= last && d.ndigits; g--) {
		int v = 0;
		for (long e = g * BIN_DEC_DIGITS + 3; e >= g * BIN_DEC_DIGITS; e--) {
			long k = d.point - 1 - e;
			v = v * 10 + (k >= 0 && k < d.ndigits ? dec_digit(&d, k) : 0);
		}
		mur_buf_put_u16(out, (uint16_t)v);
	}
	return MUR_OK;
}

/* get_str_from_var: the groups as decimal text, dscale digits after the
 * point (digits past dscale are cut, as numeric_recv's trunc_var does). */
int pgw_numeric_recv(const char *bin, size_t len, mur_buf *out, mur_error *err)
{
	mur_rd rd;
	int ndigits, weight, dscale;
	uint16_t sign;
	const char *dp;
	mur_rd_init(&rd, bin, len);
	ndigits = (int16_t)mur_rd_u16(&rd);
	weight = (int16_t)mur_rd_u16(&rd);
	sign = mur_rd_u16(&rd);
	dscale = (int16_t)mur_rd_u16(&rd);
	dp = mur_rd_bytes(&rd, ndigits > 0 ? (size_t)ndigits * 2 : 0);
	if (!mur_rd_ok(&rd) || ndigits < 0 || mur_rd_left(&rd) != 0)
		return bad_binary("numeric", err);
	if (sign == BIN_NUMERIC_NAN || sign == BIN_NUMERIC_PINF || sign == BIN_NUMERIC_NINF) {
		mur_buf_printf(out, "%s",
			       sign == BIN_NUMERIC_NAN    ? "NaN"
			       : sign == BIN_NUMERIC_PINF ? "Infinity"
							  : "-Infinity");
		return MUR_OK;
	}
	if ((sign != BIN_NUMERIC_POS && sign != BIN_NUMERIC_NEG) || dscale < 0 ||
	    dscale > BIN_NUMERIC_DSCALE_MAX)
		return bad_binary("invalid sign or scale in external numeric value", err);
	for (int i = 0; i < ndigits; i++) {
		int v = ((uint8_t)dp[2 * i] << 8) | (uint8_t)dp[2 * i + 1];
		if (v >= BIN_NBASE)
			return bad_binary("invalid digit in external numeric value", err);
	}
#define GROUP(i)                                                                                   \
	((i) >= 0 && (i) < ndigits ? (((uint8_t)dp[2 * (i)] << 8) | (uint8_t)dp[2 * (i) + 1]) : 0)
	if (sign == BIN_NUMERIC_NEG && ndigits > 0)
		mur_buf_put_u8(out, '-');
	if (weight < 0) {
		mur_buf_put_u8(out, '0');
	} else {
		mur_buf_printf(out, "%d", GROUP(0));
		for (int g = 1; g <= weight; g++)
			mur_buf_printf(out, "%04d", GROUP(g));
	}
	if (dscale > 0) {
		mur_buf_put_u8(out, '.');
		for (int k = 0; k < dscale; k += BIN_DEC_DIGITS) {
			char four[8];
			int g = weight + 1 + k / BIN_DEC_DIGITS;
			int take = dscale - k < BIN_DEC_DIGITS ? dscale - k : BIN_DEC_DIGITS;
			snprintf(four, sizeof four, "%04d", GROUP(g));
			mur_buf_put(out, four, (size_t)take);
		}
	}
#undef GROUP
	return MUR_OK;
}

/* ---- dates and times ------------------------------------------------------ */

/* Digits p[*i..*i+width) as a number; -1 when they are not all digits. */
static int fixed_digits(const char *p, size_t n, size_t *i, int width)
{
	int v = 0;
	for (int k = 0; k < width; k++, (*i)++) {
		if (*i >= n || !isdigit((unsigned char)p[*i]))
			return -1;
		v = v * 10 + (p[*i] - '0');
	}
	return v;
}

/* Separator c at p[*i]: 1 and past it, else 0. */
static int fixed_sep(const char *p, size_t n, size_t *i, char c)
{
	if (*i >= n || p[*i] != c)
		return 0;
	(*i)++;
	return 1;
}

/* "YYYY-MM-DD[ HH:MM:SS[.f…]]", the canonical text value_datetime.c
 * stores and prints → µs since 1970-01-01. */
static int datetime_parse(const char *p, size_t n, int64_t *us)
{
	size_t i = 0;
	int y, mo, d, h = 0, mi = 0, s = 0, k = 0;
	int64_t frac = 0;
	y = fixed_digits(p, n, &i, 4);
	mo = fixed_sep(p, n, &i, '-') ? fixed_digits(p, n, &i, 2) : -1;
	d = fixed_sep(p, n, &i, '-') ? fixed_digits(p, n, &i, 2) : -1;
	if (y < 0 || mo < 1 || mo > 12 || d < 1 || d > 31)
		return MUR_ERR;
	if (i < n) {
		h = fixed_sep(p, n, &i, ' ') ? fixed_digits(p, n, &i, 2) : -1;
		mi = fixed_sep(p, n, &i, ':') ? fixed_digits(p, n, &i, 2) : -1;
		s = fixed_sep(p, n, &i, ':') ? fixed_digits(p, n, &i, 2) : -1;
		if (h < 0 || mi < 0 || s < 0)
			return MUR_ERR;
		if (fixed_sep(p, n, &i, '.'))
			for (; i < n && isdigit((unsigned char)p[i]); i++, k++)
				if (k < 6)
					frac = frac * 10 + (p[i] - '0');
		for (; k < 6; k++)
			frac *= 10;
	}
	if (i != n)
		return MUR_ERR;
	*us = mur_days_from_civil(y, mo, d) * BIN_USEC_PER_DAY +
	      ((int64_t)h * 3600 + mi * 60 + s) * BIN_USEC_PER_SEC + frac;
	return MUR_OK;
}

/* The text the engine prints (UTC, "+00" for timestamptz) is read
 * directly; any other goes through the type's text input first. */
static int datetime_canonical(uint32_t oid, const char *text, size_t len, int64_t *us)
{
	if (oid == 1184) {
		if (len < 3 || memcmp(text + len - 3, "+00", 3) != 0)
			return MUR_ERR;
		len -= 3;
	}
	return datetime_parse(text, len, us);
}

/* The text through the type's text input (zones, special words) to µs
 * since 1970-01-01; ±infinity gives *inf = ±1. */
static int datetime_read(uint32_t oid, const char *text, size_t len, int64_t *us, int *inf,
			 mur_error *err)
{
	mur_buf scratch;
	mur_value v;
	int rc;
	*inf = 0;
	if (datetime_canonical(oid, text, len, us) == MUR_OK)
		return MUR_OK;
	mur_buf_init(&scratch);
	rc = mur_value_from_pgtext(mur_type_from_oid(oid), text, len, &scratch, &v, err);
	if (rc == MUR_OK && v.kind == MV_TEXT && (v.len == 8 || v.len == 9) &&
	    v.s[v.len - 1] == 'y') /* "infinity", "-infinity" */
		*inf = v.s[0] == '-' ? -1 : 1;
	else if (rc == MUR_OK && (v.kind != MV_TEXT || datetime_parse(v.s, v.len, us) != MUR_OK))
		rc = bad_text(oid, text, len, err);
	mur_buf_free(&scratch);
	return rc;
}

static int datetime_send(uint32_t oid, const char *text, size_t len, mur_buf *out, mur_error *err)
{
	int64_t us, pg_us;
	int inf;
	if (datetime_read(oid, text, len, &us, &inf, err) != MUR_OK)
		return MUR_ERR;
	pg_us = us - BIN_PG_EPOCH_DAYS * BIN_USEC_PER_DAY;
	if (oid == 1082)
		mur_buf_put_u32(out, (uint32_t)(inf ? (inf < 0 ? INT32_MIN : INT32_MAX)
						    : (int32_t)(pg_us / BIN_USEC_PER_DAY)));
	else
		mur_buf_put_i64(out, inf ? (inf < 0 ? INT64_MIN : INT64_MAX) : pg_us);
	return MUR_OK;
}

static int64_t floor_div64(int64_t a, int64_t b)
{
	int64_t q = a / b;
	return (a % b != 0 && (a < 0) != (b < 0)) ? q - 1 : q;
}

/* µs since 2000-01-01 → "YYYY-MM-DD[ HH:MM:SS.ffffff]" (date: days only). */
static void datetime_put(uint32_t oid, int64_t pg_us, mur_buf *out)
{
	int64_t days = floor_div64(pg_us, BIN_USEC_PER_DAY), y;
	int64_t rem = pg_us - days * BIN_USEC_PER_DAY;
	int m, d;
	mur_civil_from_days(days + BIN_PG_EPOCH_DAYS, &y, &m, &d);
	mur_buf_printf(out, "%04lld-%02d-%02d", (long long)y, m, d);
	if (oid == 1082)
		return;
	mur_buf_printf(out, " %02lld:%02lld:%02lld.%06lld", (long long)(rem / 3600000000),
		       (long long)(rem / 60000000 % 60), (long long)(rem / 1000000 % 60),
		       (long long)(rem % 1000000));
	if (oid == 1184)
		mur_buf_put(out, "+00", 3);
}

static int time_send(const char *text, size_t len, mur_buf *out, mur_error *err)
{
	int64_t us;
	char buf[40];
	if (len + 11 >= sizeof buf)
		return bad_text(1083, text, len, err);
	memcpy(buf, "2000-01-01 ", 11); /* a day, so datetime_parse reads the clock */
	memcpy(buf + 11, text, len);
	if (datetime_parse(buf, len + 11, &us) != MUR_OK)
		return bad_text(1083, text, len, err);
	mur_buf_put_i64(out, us - BIN_PG_EPOCH_DAYS * BIN_USEC_PER_DAY);
	return MUR_OK;
}

/* ---- the rest ------------------------------------------------------------------ */

static int uuid_send(const char *text, size_t len, mur_buf *out, mur_error *err)
{
	uint8_t b[16];
	int k = 0;
	for (size_t i = 0; i < len; i++) {
		int c = (unsigned char)text[i], v;
		if ((c == '-' || c == '{' || c == '}') && k % 2 == 0)
			continue;
		if (!isxdigit(c) || k >= 32)
			return bad_text(2950, text, len, err);
		v = isdigit(c) ? c - '0' : (c | 0x20) - 'a' + 10;
		b[k / 2] = (uint8_t)(k % 2 ? (b[k / 2] << 4) | v : v);
		k++;
	}
	if (k != 32)
		return bad_text(2950, text, len, err);
	mur_buf_put(out, b, 16);
	return MUR_OK;
}

static void uuid_put(const char *b, mur_buf *out)
{
	for (int i = 0; i < 16; i++)
		mur_buf_printf(out, "%s%02x", i == 4 || i == 6 || i == 8 || i == 10 ? "-" : "",
			       (uint8_t)b[i]);
}

/* interval: the text through interval_in, then its three fields. */
static int interval_send(const char *text, size_t len, mur_buf *out, mur_error *err)
{
	mur_interval iv;
	if (mur_iv_parse(text, len, &iv, err) != MUR_OK)
		return MUR_ERR;
	mur_buf_put_i64(out, iv.us);
	mur_buf_put_u32(out, (uint32_t)iv.days);
	mur_buf_put_u32(out, (uint32_t)iv.months);
	return MUR_OK;
}

/* regtype: a type's name (format_type's spelling) → its OID, as
 * PostgreSQL's regtypesend.  A name murphy has no type of (a catalog-only
 * type named in a pg_catalog query) is refused rather than sent wrong. */
static int regtype_send(const char *text, size_t len, mur_buf *out, mur_error *err)
{
	char name[96];
	uint32_t oid;
	snprintf(name, sizeof name, "%.*s", (int)len, text);
	if (!(oid = mur_type_oid_of_name(name)))
		return mur_error_set(err, SQLSTATE_FEATURE_NOT_SUPPORTED,
				     "murphy cannot send the regtype \"%s\" in binary format; ask "
				     "for it in text",
				     name);
	mur_buf_put_u32(out, oid);
	return MUR_OK;
}

/* int2vector / oidvector: "1 2 3" → array_send of a one-dimensional
 * array with lower bound 0 (as PostgreSQL's vectors have). */
static int vector_send(uint32_t oid, const char *text, size_t len, mur_buf *out, mur_error *err)
{
	long long v[BIN_VECTOR_MAX];
	int n = 0;
	size_t i = 0;
	while (i < len) {
		char num[24];
		size_t k = 0;
		while (i < len && text[i] == ' ')
			i++;
		while (i < len && text[i] != ' ' && k + 1 < sizeof num)
			num[k++] = text[i++];
		if (k == 0)
			break;
		num[k] = '\0';
		if (n >= BIN_VECTOR_MAX)
			return bad_text(oid, text, len, err);
		v[n++] = strtoll(num, NULL, 10);
	}
	mur_buf_put_u32(out, n ? 1 : 0);           /* ndim */
	mur_buf_put_u32(out, 0);                   /* no NULLs */
	mur_buf_put_u32(out, oid == 22 ? 21 : 26); /* element type */
	if (n) {
		mur_buf_put_u32(out, (uint32_t)n);
		mur_buf_put_u32(out, 0); /* lower bound */
	}
	for (int j = 0; j < n; j++) {
		mur_buf_put_u32(out, oid == 22 ? 2 : 4);
		if (oid == 22)
			mur_buf_put_u16(out, (uint16_t)v[j]);
		else
			mur_buf_put_u32(out, (uint32_t)v[j]);
	}
	return MUR_OK;
}

/* bool, integers, floats, bytea, oid: through the storage value. */
static int scalar_send(uint32_t oid, const char *text, size_t len, mur_buf *out, mur_error *err)
{
	mur_type t = oid == 26 ? MT_INT8 : mur_type_from_oid(oid);
	mur_buf scratch;
	mur_value v;
	int rc;
	mur_buf_init(&scratch);
	rc = mur_value_from_pgtext(t, text, len, &scratch, &v, err);
	if (rc == MUR_OK && oid == 17 && v.kind == MV_BLOB)
		mur_buf_put(out, v.s, v.len);
	else if (rc == MUR_OK && (oid == 700 || oid == 701) && v.kind == MV_FLOAT) {
		if (oid == 701) {
			mur_buf_put_f64(out, v.f);
		} else {
			float f = (float)v.f;
			uint32_t u;
			memcpy(&u, &f, 4);
			mur_buf_put_u32(out, u);
		}
	} else if (rc == MUR_OK && v.kind == MV_INT) {
		if (oid == 16)
			mur_buf_put_u8(out, v.i != 0);
		else if (oid == 21)
			mur_buf_put_u16(out, (uint16_t)v.i);
		else if (oid == 23)
			mur_buf_put_u32(out, (uint32_t)v.i);
		else if (oid == 26 && v.i >= 0 && v.i <= UINT32_MAX)
			mur_buf_put_u32(out, (uint32_t)v.i);
		else if (oid == 20)
			mur_buf_put_i64(out, v.i);
		else
			rc = bad_text(oid, text, len, err);
	} else if (rc == MUR_OK) {
		rc = bad_text(oid, text, len, err);
	}
	mur_buf_free(&scratch);
	return rc;
}

int pgw_binary_send(uint32_t oid, const char *text, size_t len, mur_buf *out, mur_error *err)
{
	if (is_text_oid(oid)) {
		mur_buf_put(out, text, len);
		return MUR_OK;
	}
	switch (oid) {
	case 1700:
		return pgw_numeric_send(text, len, out, err);
	case 1082:
	case 1114:
	case 1184:
		return datetime_send(oid, text, len, out, err);
	case 1083:
		return time_send(text, len, out, err);
	case 2950:
		return uuid_send(text, len, out, err);
	case 1186:
		return interval_send(text, len, out, err);
	case 3802:
		mur_buf_put_u8(out, 1); /* jsonb version */
		mur_buf_put(out, text, len);
		return MUR_OK;
	case 22:
	case 30:
		return vector_send(oid, text, len, out, err);
	case 2206:
		return regtype_send(text, len, out, err);
	default:
		if (pgw_array_elem_oid(oid) && pgw_binary_supported(oid))
			return pgw_array_send(oid, text, len, out, err);
		if (!pgw_binary_supported(oid))
			return mur_error_set(err, SQLSTATE_UNDEFINED_FUNCTION,
					     "no binary output function available for type %u",
					     oid);
		return scalar_send(oid, text, len, out, err);
	}
}

/* A fixed-size binary value (bool, integers, floats, dates, times, uuid)
 * → text. */
static int fixed_recv(uint32_t oid, mur_rd *rd, mur_buf *out)
{
	mur_type t = oid == 26 ? MT_INT8 : mur_type_from_oid(oid);
	mur_value v = mur_v_null();
	int64_t i64;
	uint32_t u;
	float f;
	switch (oid) {
	case 16:
		v = mur_v_int(mur_rd_u8(rd) != 0);
		break;
	case 21:
		v = mur_v_int((int16_t)mur_rd_u16(rd));
		break;
	case 23:
		v = mur_v_int((int32_t)mur_rd_u32(rd));
		break;
	case 26:
		v = mur_v_int(mur_rd_u32(rd));
		break;
	case 20:
		v = mur_v_int(mur_rd_i64(rd));
		break;
	case 700:
		u = mur_rd_u32(rd);
		memcpy(&f, &u, 4);
		v = mur_v_float(f);
		break;
	case 701:
		v = mur_v_float(mur_rd_f64(rd));
		break;
	case 1082:
		i64 = (int32_t)mur_rd_u32(rd);
		if (i64 == INT32_MAX || i64 == INT32_MIN)
			mur_buf_printf(out, "%sinfinity", i64 < 0 ? "-" : "");
		else if (mur_rd_ok(rd))
			datetime_put(oid, i64 * BIN_USEC_PER_DAY, out);
		return MUR_OK;
	case 1114:
	case 1184:
		i64 = mur_rd_i64(rd);
		if (i64 == INT64_MAX || i64 == INT64_MIN)
			mur_buf_printf(out, "%sinfinity", i64 < 0 ? "-" : "");
		else if (mur_rd_ok(rd))
			datetime_put(oid, i64, out);
		return MUR_OK;
	case 1083:
		i64 = mur_rd_i64(rd);
		if (i64 < 0 || i64 > BIN_USEC_PER_DAY)
			return MUR_ERR;
		mur_buf_printf(out, "%02lld:%02lld:%02lld.%06lld", (long long)(i64 / 3600000000),
			       (long long)(i64 / 60000000 % 60), (long long)(i64 / 1000000 % 60),
			       (long long)(i64 % 1000000));
		return MUR_OK;
	case 1186: {
		mur_interval iv;
		iv.us = mur_rd_i64(rd);
		iv.days = (int32_t)mur_rd_u32(rd);
		iv.months = (int32_t)mur_rd_u32(rd);
		if (mur_rd_ok(rd))
			mur_iv_out(&iv, out);
		return MUR_OK;
	}
	case 2950: {
		const char *b = mur_rd_bytes(rd, 16);
		if (b)
			uuid_put(b, out);
		return MUR_OK;
	}
	default:
		return MUR_ERR;
	}
	if (mur_rd_ok(rd))
		mur_value_to_pgtext(t, &v, out);
	return MUR_OK;
}

int pgw_binary_recv(uint32_t oid, const char *bin, size_t len, mur_buf *out, mur_error *err)
{
	mur_rd rd;
	mur_value v;
	if (is_text_oid(oid)) {
		mur_buf_put(out, bin, len);
		return MUR_OK;
	}
	switch (oid) {
	case 1700:
		return pgw_numeric_recv(bin, len, out, err);
	case 17:
		v = mur_v_blob(bin, len);
		mur_value_to_pgtext(MT_BYTEA, &v, out);
		return MUR_OK;
	case 3802:
		if (len < 1 || bin[0] != 1)
			return bad_binary("unsupported jsonb version number", err);
		mur_buf_put(out, bin + 1, len - 1);
		return MUR_OK;
	default:
		if (pgw_array_elem_oid(oid) && pgw_binary_supported(oid))
			return pgw_array_recv(oid, bin, len, out, err);
		break;
	}
	if (!pgw_binary_supported(oid) || oid == 22 || oid == 30)
		return mur_error_set(err, SQLSTATE_UNDEFINED_FUNCTION,
				     "no binary input function available for type %u", oid);
	mur_rd_init(&rd, bin, len);
	if (fixed_recv(oid, &rd, out) != MUR_OK || !mur_rd_ok(&rd) || mur_rd_left(&rd) != 0)
		return bad_binary("value of the wrong length or out of range", err);
	return MUR_OK;
}

/* ---- rows ------------------------------------------------------------------------ */

int pgw_binary_row_put(mur_buf *out, uint32_t n, const uint32_t *oids, const int16_t *formats,
		       const char *const *vals, const int32_t *lens, mur_error *err)
{
	mur_buf_put_u16(out, (uint16_t)n);
	for (uint32_t i = 0; i < n; i++) {
		size_t at;
		if (lens[i] < 0) {
			mur_buf_put_u32(out, UINT32_MAX); /* -1: NULL */
			continue;
		}
		if (formats && formats[i] == 0) {
			mur_buf_put_u32(out, (uint32_t)lens[i]);
			mur_buf_put(out, vals[i], (size_t)lens[i]);
			continue;
		}
		at = out->len;
		mur_buf_put_u32(out, 0);
		if (pgw_binary_send(oids[i], vals[i], (size_t)lens[i], out, err) != MUR_OK)
			return MUR_ERR;
		if (mur_buf_ok(out))
			mur_buf_patch_u32(out, at, (uint32_t)(out->len - at - 4));
	}
	return MUR_OK;
}

/* Fields of one DataRow message (at rd) into vals/lens. */
static int datarow_fields(mur_rd *rd, uint32_t ncols, const char **vals, int32_t *lens)
{
	uint32_t len;
	if (mur_rd_u8(rd) != PGW_BE_DATA_ROW)
		return MUR_ERR;
	len = mur_rd_u32(rd);
	if (len < 6 || mur_rd_u16(rd) != ncols)
		return MUR_ERR;
	for (uint32_t i = 0; i < ncols; i++) {
		lens[i] = (int32_t)mur_rd_u32(rd);
		vals[i] = lens[i] >= 0 ? mur_rd_bytes(rd, (size_t)lens[i]) : NULL;
	}
	return mur_rd_ok(rd) ? MUR_OK : MUR_ERR;
}

int pgw_binary_result(pgw_result *r, int nformats, const int16_t *formats, mur_error *err)
{
	int16_t *fmt;
	uint32_t *oids;
	const char **vals;
	int32_t *lens;
	mur_buf rows;
	mur_rd rd;
	int any = 0, rc = MUR_OK;

	if (r->kind != PGW_RESULT_ROWS || r->ncols == 0 || nformats == 0)
		return MUR_OK;
	for (int i = 0; i < nformats; i++)
		any |= formats[i] == 1;
	if (!any)
		return MUR_OK;
	fmt = calloc(r->ncols, sizeof *fmt);
	oids = calloc(r->ncols, sizeof *oids);
	vals = calloc(r->ncols, sizeof *vals);
	lens = calloc(r->ncols, sizeof *lens);
	mur_buf_init(&rows);
	if (!fmt || !oids || !vals || !lens)
		rc = mur_error_set(err, SQLSTATE_OUT_OF_MEMORY, "out of memory");
	for (uint32_t i = 0; rc == MUR_OK && i < r->ncols; i++) {
		fmt[i] = formats[nformats == 1 ? 0 : i];
		oids[i] = r->cols[i].type_oid;
	}
	mur_rd_init(&rd, r->rows.data, r->rows.len);
	while (rc == MUR_OK && mur_rd_left(&rd) > 0) {
		size_t off = pgw_msg_begin(&rows, PGW_BE_DATA_ROW);
		if (datarow_fields(&rd, r->ncols, vals, lens) != MUR_OK)
			rc = mur_error_set(err, SQLSTATE_INTERNAL_ERROR, "malformed row in result");
		else
			rc = pgw_binary_row_put(&rows, r->ncols, oids, fmt, vals, lens, err);
		pgw_msg_end(&rows, off);
	}
	if (rc == MUR_OK && !mur_buf_ok(&rows))
		rc = mur_error_set(err, SQLSTATE_OUT_OF_MEMORY, "out of memory");
	if (rc == MUR_OK) {
		mur_buf_free(&r->rows);
		r->rows = rows;
	} else {
		mur_buf_free(&rows);
	}
	free(fmt);
	free(oids);
	free(vals);
	free(lens);
	return rc;
}
