/*
 * value.c — SQL types, PostgreSQL text I/O, coercion, ordering, hashing
 * and the row encoding.  Contract in value.h.
 *
 * Text output must match PostgreSQL 15 byte for byte (clients diff our
 * DataRows against PostgreSQL's), so each formatter names the PostgreSQL
 * function it imitates:
 *
 *   float8out / float4out   shortest round-trip digits (PostgreSQL uses
 *                           Ryu; we binary-search the shortest "%.*e" that
 *                           strtod/strtof reads back exactly), then the
 *                           printf-like layout: scientific when the decimal
 *                           exponent is < -4 or >= 15 (float4: >= 6).
 *   numeric_out             the double's value: integral values without a
 *                           decimal point, others with up to
 *                           VALUE_NUMERIC_DIGITS significant digits and no
 *                           trailing zeros (numeric is a double in murphy,
 *                           see docs/decisions.md).  A typmod scale
 *                           (numeric(10,2) printing "1.50") is not applied.
 *   timestamp_out           'YYYY-MM-DD HH:MM:SS[.ffffff]' with trailing
 *                           fractional zeros trimmed; timestamptz adds "+00"
 *                           (murphy sessions run with TimeZone = UTC).
 *
 * Text input follows the PostgreSQL input functions (pg_strtoint32,
 * float8in, numeric_in, boolin, date_in/timestamp_in restricted to ISO
 * 8601, byteain) including their error SQLSTATEs and messages.  Dates and
 * timestamps are converted through a microsecond count so that zone offsets,
 * '24:00:00' and fraction rounding carry into the day exactly as PostgreSQL
 * does.
 *
 * Memory: nothing here allocates except mur_buf appends (caller-owned
 * buffers) and a temporary heap copy for very long numeric inputs, freed
 * before returning.
 */
#include "common/value.h"

#include "common/clock.h"

#include <assert.h>
#include <ctype.h>
#include <errno.h>
#include <float.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <xxhash.h>

/* Significant digits printed for a non-integral NUMERIC (a double holds
 * 15 decimal digits exactly: DBL_DIG). */
#define VALUE_NUMERIC_DIGITS 15
/* Input characters quoted back in error messages (mur_error truncates
 * at MUR_ERROR_MESSAGE_MAX anyway; this keeps room for the text around). */
#define VALUE_ERR_QUOTE_MAX 256
/* Longest numeric literal parsed through a stack copy; longer ones go
 * through the heap. */
#define VALUE_NUM_STACK_MAX 128

#define USEC_PER_SEC INT64_C(1000000)
#define USEC_PER_DAY INT64_C(86400000000)

/* ------------------------------------------------------------------ */
/* Types                                                              */
/* ------------------------------------------------------------------ */

typedef struct type_info {
	uint32_t oid;
	int16_t len;
	mur_vkind storage;
	const char *name;        /* format_type() spelling */
	const char *input_name;  /* as in "invalid input syntax for type %s" */
	const char *sqlite_decl;
} type_info;

static const type_info types[MT_TYPE_COUNT] = {
	[MT_UNKNOWN] = {705, -2, MV_TEXT, "unknown", "unknown", "TEXT"},
	[MT_BOOL] = {16, 1, MV_INT, "boolean", "boolean", "INTEGER"},
	[MT_INT2] = {21, 2, MV_INT, "smallint", "smallint", "INTEGER"},
	[MT_INT4] = {23, 4, MV_INT, "integer", "integer", "INTEGER"},
	[MT_INT8] = {20, 8, MV_INT, "bigint", "bigint", "INTEGER"},
	[MT_FLOAT4] = {700, 4, MV_FLOAT, "real", "real", "REAL"},
	[MT_FLOAT8] = {701, 8, MV_FLOAT, "double precision", "double precision", "REAL"},
	[MT_NUMERIC] = {1700, -1, MV_FLOAT, "numeric", "numeric", "REAL"},
	[MT_TEXT] = {25, -1, MV_TEXT, "text", "text", "TEXT"},
	[MT_VARCHAR] = {1043, -1, MV_TEXT, "character varying", "character varying", "TEXT"},
	[MT_BPCHAR] = {1042, -1, MV_TEXT, "character", "character", "TEXT"},
	[MT_DATE] = {1082, 4, MV_TEXT, "date", "date", "TEXT"},
	[MT_TIMESTAMP] = {1114, 8, MV_TEXT, "timestamp without time zone", "timestamp", "TEXT"},
	[MT_TIMESTAMPTZ] = {1184, 8, MV_TEXT, "timestamp with time zone",
			    "timestamp with time zone", "TEXT"},
	[MT_BYTEA] = {17, -1, MV_BLOB, "bytea", "bytea", "BLOB"},
};

static const type_info *tinfo(mur_type t)
{
	if ((unsigned)t >= MT_TYPE_COUNT)
		t = MT_UNKNOWN;
	return &types[t];
}

uint32_t mur_type_oid(mur_type t) { return tinfo(t)->oid; }
int16_t mur_type_len(mur_type t) { return tinfo(t)->len; }
const char *mur_type_name(mur_type t) { return tinfo(t)->name; }
mur_vkind mur_type_storage(mur_type t) { return tinfo(t)->storage; }
const char *mur_type_sqlite_decl(mur_type t) { return tinfo(t)->sqlite_decl; }

mur_type mur_type_from_oid(uint32_t oid)
{
	for (int t = MT_BOOL; t < MT_TYPE_COUNT; t++)
		if (types[t].oid == oid)
			return (mur_type)t;
	return MT_UNKNOWN;
}

int mur_type_is_integer(mur_type t) { return t == MT_INT2 || t == MT_INT4 || t == MT_INT8; }
int mur_type_is_numeric(mur_type t)
{
	return mur_type_is_integer(t) || t == MT_FLOAT4 || t == MT_FLOAT8 || t == MT_NUMERIC;
}
int mur_type_is_text(mur_type t) { return t == MT_TEXT || t == MT_VARCHAR || t == MT_BPCHAR; }

/*
 * Names accepted by mur_type_from_name, case-insensitively, with an optional
 * "pg_catalog." prefix.  serial types map to their integer type: the
 * sequence/default behind them is the planner's business.  "float" without
 * precision is float8 as in PostgreSQL.
 */
static const struct {
	const char *name;
	mur_type type;
} type_names[] = {
	{"bool", MT_BOOL},
	{"boolean", MT_BOOL},
	{"int2", MT_INT2},
	{"smallint", MT_INT2},
	{"smallserial", MT_INT2},
	{"serial2", MT_INT2},
	{"int4", MT_INT4},
	{"int", MT_INT4},
	{"integer", MT_INT4},
	{"serial", MT_INT4},
	{"serial4", MT_INT4},
	{"int8", MT_INT8},
	{"bigint", MT_INT8},
	{"bigserial", MT_INT8},
	{"serial8", MT_INT8},
	{"float4", MT_FLOAT4},
	{"real", MT_FLOAT4},
	{"float8", MT_FLOAT8},
	{"float", MT_FLOAT8},
	{"double precision", MT_FLOAT8},
	{"numeric", MT_NUMERIC},
	{"decimal", MT_NUMERIC},
	{"text", MT_TEXT},
	{"varchar", MT_VARCHAR},
	{"character varying", MT_VARCHAR},
	{"bpchar", MT_BPCHAR},
	{"char", MT_BPCHAR},
	{"character", MT_BPCHAR},
	{"date", MT_DATE},
	{"timestamp", MT_TIMESTAMP},
	{"timestamp without time zone", MT_TIMESTAMP},
	{"timestamptz", MT_TIMESTAMPTZ},
	{"timestamp with time zone", MT_TIMESTAMPTZ},
	{"bytea", MT_BYTEA},
	{"unknown", MT_UNKNOWN},
};

mur_type mur_type_from_name(const char *name)
{
	if (!name)
		return MT_UNKNOWN;
	if (strncasecmp(name, "pg_catalog.", 11) == 0)
		name += 11;
	for (size_t i = 0; i < sizeof type_names / sizeof type_names[0]; i++)
		if (strcasecmp(name, type_names[i].name) == 0)
			return type_names[i].type;
	return MT_UNKNOWN;
}

/* ------------------------------------------------------------------ */
/* Output                                                             */
/* ------------------------------------------------------------------ */

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
		if (v->kind == MV_BLOB || v->kind == MV_TEXT)
			put_hex(out, v->s, v->len);
		else
			put_int_like(out, v);
		return;
	case MT_TIMESTAMPTZ:
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

/* ------------------------------------------------------------------ */
/* Input: helpers                                                     */
/* ------------------------------------------------------------------ */

static int in_syntax(mur_error *err, const char *sqlstate, mur_type t, const char *text, size_t len)
{
	int n = len > VALUE_ERR_QUOTE_MAX ? VALUE_ERR_QUOTE_MAX : (int)len;
	return mur_error_set(err, sqlstate, "invalid input syntax for type %s: \"%.*s\"",
			     tinfo(t)->input_name, n, text);
}

static int quote_len(size_t len) { return len > VALUE_ERR_QUOTE_MAX ? VALUE_ERR_QUOTE_MAX : (int)len; }

/* PostgreSQL's isspace-based trimming (scanner_isspace for numbers). */
static int pg_space(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f';
}

static void trim(const char **p, size_t *len)
{
	while (*len && pg_space(**p)) {
		(*p)++;
		(*len)--;
	}
	while (*len && pg_space((*p)[*len - 1]))
		(*len)--;
}

/* Copy text and point out at the copy (scratch may move on append, so the
 * pointer is taken after appending). */
static void out_bytes(mur_buf *scratch, mur_vkind kind, const char *s, size_t n, mur_value *out)
{
	size_t off = scratch->len;
	mur_buf_put(scratch, s, n);
	out->kind = kind;
	out->s = (n && scratch->data) ? scratch->data + off : "";
	out->len = n;
}

/* pg_strtoint16/32/64 (PostgreSQL 15: no underscores, no hex). */
static int parse_int(mur_type t, const char *text, size_t len, int64_t *out, mur_error *err)
{
	const char *p = text, *end = text + len;
	uint64_t limit, acc = 0;
	int neg = 0;

	limit = t == MT_INT2 ? 32767 : t == MT_INT4 ? 2147483647 : (uint64_t)INT64_MAX;
	while (p < end && pg_space(*p))
		p++;
	if (p < end && (*p == '-' || *p == '+'))
		neg = *p++ == '-';
	if (p == end || !isdigit((unsigned char)*p))
		return in_syntax(err, SQLSTATE_INVALID_TEXT_REPRESENTATION, t, text, len);
	while (p < end && isdigit((unsigned char)*p)) {
		acc = acc * 10 + (uint64_t)(*p++ - '0');
		if (acc > limit + (uint64_t)neg)
			return mur_error_set(err, SQLSTATE_NUMERIC_VALUE_OUT_OF_RANGE,
					     "value \"%.*s\" is out of range for type %s",
					     quote_len(len), text, tinfo(t)->input_name);
	}
	while (p < end && pg_space(*p))
		p++;
	if (p != end)
		return in_syntax(err, SQLSTATE_INVALID_TEXT_REPRESENTATION, t, text, len);
	*out = neg ? (int64_t)(0 - acc) : (int64_t)acc;
	return MUR_OK;
}

/* float8in / float4in.  strtod needs a NUL-terminated string: copy. */
static int parse_float(mur_type t, const char *text, size_t len, double *out, mur_error *err)
{
	char stack[VALUE_NUM_STACK_MAX], *copy = stack, *endp;
	const char *p = text;
	size_t n = len;
	int rc = MUR_OK;

	while (n && pg_space(*p)) {
		p++;
		n--;
	}
	if (n == 0)
		return in_syntax(err, SQLSTATE_INVALID_TEXT_REPRESENTATION, t, text, len);
	if (n >= sizeof stack && !(copy = malloc(n + 1)))
		return mur_error_set(err, SQLSTATE_OUT_OF_MEMORY, "out of memory");
	memcpy(copy, p, n);
	copy[n] = '\0';
	errno = 0;
	double d;
	if (t == MT_FLOAT4) {
		float f = strtof(copy, &endp);
		d = f;
	} else {
		d = strtod(copy, &endp);
	}
	if (endp == copy) {
		rc = in_syntax(err, SQLSTATE_INVALID_TEXT_REPRESENTATION, t, text, len);
		goto done;
	}
	if (errno == ERANGE && (d == 0 || isinf(d))) {
		rc = mur_error_set(err, SQLSTATE_NUMERIC_VALUE_OUT_OF_RANGE,
				   "\"%.*s\" is out of range for type %s", quote_len(len), text,
				   tinfo(t)->input_name);
		goto done;
	}
	while (*endp && pg_space(*endp))
		endp++;
	if ((size_t)(endp - copy) != n) {
		rc = in_syntax(err, SQLSTATE_INVALID_TEXT_REPRESENTATION, t, text, len);
		goto done;
	}
	*out = d;
done:
	if (copy != stack)
		free(copy);
	return rc;
}

/* numeric_in: decimal syntax only (no hex), NaN and infinities. */
static int parse_numeric(const char *text, size_t len, double *out, mur_error *err)
{
	const char *p = text;
	size_t n = len;
	trim(&p, &n);
	static const struct {
		const char *s;
		double v;
	} special[] = {{"nan", NAN},       {"infinity", INFINITY},   {"+infinity", INFINITY},
		       {"-infinity", -INFINITY}, {"inf", INFINITY}, {"+inf", INFINITY},
		       {"-inf", -INFINITY}};
	for (size_t i = 0; i < sizeof special / sizeof special[0]; i++)
		if (strlen(special[i].s) == n && strncasecmp(p, special[i].s, n) == 0) {
			*out = special[i].v;
			return MUR_OK;
		}
	size_t i = 0;
	int digits = 0;
	if (i < n && (p[i] == '+' || p[i] == '-'))
		i++;
	while (i < n && isdigit((unsigned char)p[i]))
		i++, digits++;
	if (i < n && p[i] == '.') {
		i++;
		while (i < n && isdigit((unsigned char)p[i]))
			i++, digits++;
	}
	if (!digits)
		return in_syntax(err, SQLSTATE_INVALID_TEXT_REPRESENTATION, MT_NUMERIC, text, len);
	if (i < n && (p[i] == 'e' || p[i] == 'E')) {
		i++;
		if (i < n && (p[i] == '+' || p[i] == '-'))
			i++;
		if (i == n || !isdigit((unsigned char)p[i]))
			return in_syntax(err, SQLSTATE_INVALID_TEXT_REPRESENTATION, MT_NUMERIC,
					 text, len);
		while (i < n && isdigit((unsigned char)p[i]))
			i++;
	}
	if (i != n)
		return in_syntax(err, SQLSTATE_INVALID_TEXT_REPRESENTATION, MT_NUMERIC, text, len);
	char stack[VALUE_NUM_STACK_MAX], *copy = stack;
	if (n >= sizeof stack && !(copy = malloc(n + 1)))
		return mur_error_set(err, SQLSTATE_OUT_OF_MEMORY, "out of memory");
	memcpy(copy, p, n);
	copy[n] = '\0';
	double d = strtod(copy, NULL);
	if (copy != stack)
		free(copy);
	if (isinf(d))
		return mur_error_set(err, SQLSTATE_NUMERIC_VALUE_OUT_OF_RANGE,
				     "value overflows numeric format");
	*out = d;
	return MUR_OK;
}

/* boolin / parse_bool_with_len: unique prefixes of true/false/yes/no,
 * on/off (two letters at least), 1/0. */
static int parse_bool(const char *text, size_t len, int64_t *out, mur_error *err)
{
	const char *p = text;
	size_t n = len;
	trim(&p, &n);
	if (n > 0) {
		int c = tolower((unsigned char)p[0]);
		size_t n2 = n > 2 ? n : 2;
		switch (c) {
		case 't':
			if (n <= 4 && strncasecmp(p, "true", n) == 0)
				return *out = 1, MUR_OK;
			break;
		case 'f':
			if (n <= 5 && strncasecmp(p, "false", n) == 0)
				return *out = 0, MUR_OK;
			break;
		case 'y':
			if (n <= 3 && strncasecmp(p, "yes", n) == 0)
				return *out = 1, MUR_OK;
			break;
		case 'n':
			if (n <= 2 && strncasecmp(p, "no", n) == 0)
				return *out = 0, MUR_OK;
			break;
		case 'o':
			if (n2 <= 2 && n == 2 && strncasecmp(p, "on", 2) == 0)
				return *out = 1, MUR_OK;
			if (n2 <= 3 && n >= 2 && strncasecmp(p, "off", n) == 0)
				return *out = 0, MUR_OK;
			break;
		case '1':
			if (n == 1)
				return *out = 1, MUR_OK;
			break;
		case '0':
			if (n == 1)
				return *out = 0, MUR_OK;
			break;
		}
	}
	return in_syntax(err, SQLSTATE_INVALID_TEXT_REPRESENTATION, MT_BOOL, text, len);
}

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* byteain: "\x" hex (whitespace between pairs allowed) or escape format
 * (backslash-backslash and backslash + three octal digits). */
static int parse_bytea(const char *text, size_t len, mur_buf *scratch, mur_value *out,
		       mur_error *err)
{
	size_t off = scratch->len;
	if (len >= 2 && text[0] == '\\' && text[1] == 'x') {
		size_t i = 2;
		while (i < len) {
			if (pg_space(text[i]) && text[i] != '\v' && text[i] != '\f') {
				i++;
				continue;
			}
			int hi = hexval(text[i]);
			if (hi < 0)
				return mur_error_set(err, SQLSTATE_INVALID_PARAMETER_VALUE,
						     "invalid hexadecimal digit: \"%c\"", text[i]);
			if (i + 1 >= len)
				return mur_error_set(err, SQLSTATE_INVALID_PARAMETER_VALUE,
						     "invalid hexadecimal data: odd number of digits");
			int lo = hexval(text[i + 1]);
			if (lo < 0)
				return mur_error_set(err, SQLSTATE_INVALID_PARAMETER_VALUE,
						     "invalid hexadecimal digit: \"%c\"",
						     text[i + 1]);
			mur_buf_put_u8(scratch, (uint8_t)(hi << 4 | lo));
			i += 2;
		}
	} else {
		for (size_t i = 0; i < len;) {
			if (text[i] != '\\') {
				mur_buf_put_u8(scratch, (uint8_t)text[i++]);
			} else if (i + 1 < len && text[i + 1] == '\\') {
				mur_buf_put_u8(scratch, '\\');
				i += 2;
			} else if (i + 3 < len && text[i + 1] >= '0' && text[i + 1] <= '3' &&
				   text[i + 2] >= '0' && text[i + 2] <= '7' && text[i + 3] >= '0' &&
				   text[i + 3] <= '7') {
				mur_buf_put_u8(scratch, (uint8_t)((text[i + 1] - '0') << 6 |
								  (text[i + 2] - '0') << 3 |
								  (text[i + 3] - '0')));
				i += 4;
			} else {
				return mur_error_set(err, SQLSTATE_INVALID_TEXT_REPRESENTATION,
						     "invalid input syntax for type bytea");
			}
		}
	}
	if (!mur_buf_ok(scratch))
		return mur_error_set(err, SQLSTATE_OUT_OF_MEMORY, "out of memory");
	out->kind = MV_BLOB;
	out->len = scratch->len - off;
	out->s = out->len ? scratch->data + off : "";
	return MUR_OK;
}

/* ------------------------------------------------------------------ */
/* Dates and timestamps                                               */
/* ------------------------------------------------------------------ */

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
				     "date/time field value out of range: \"%.*s\"", quote_len(len),
				     text);
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

/* Special inputs: epoch, infinity, now, today, tomorrow, yesterday.
 * Returns 1 when handled (rc in *rc). */
static int parse_special_datetime(mur_type t, const char *p, size_t n, const char *text,
				  size_t len, mur_buf *scratch, mur_value *out, mur_error *err,
				  int *rc)
{
	if ((n == 8 && strncasecmp(p, "infinity", 8) == 0) ||
	    (n == 9 && strncasecmp(p, "+infinity", 9) == 0)) {
		out_bytes(scratch, MV_TEXT, "infinity", 8, out);
		return *rc = MUR_OK, 1;
	}
	if (n == 9 && strncasecmp(p, "-infinity", 9) == 0) {
		out_bytes(scratch, MV_TEXT, "-infinity", 9, out);
		return *rc = MUR_OK, 1;
	}
	int64_t us, today = floor_div(mur_wall_us(), USEC_PER_DAY) * USEC_PER_DAY;
	if (n == 5 && strncasecmp(p, "epoch", 5) == 0)
		us = 0;
	else if (n == 3 && strncasecmp(p, "now", 3) == 0)
		us = mur_wall_us();
	else if (n == 5 && strncasecmp(p, "today", 5) == 0)
		us = today;
	else if (n == 8 && strncasecmp(p, "tomorrow", 8) == 0)
		us = today + USEC_PER_DAY;
	else if (n == 9 && strncasecmp(p, "yesterday", 9) == 0)
		us = today - USEC_PER_DAY;
	else
		return 0;
	*rc = put_timestamp(t, us, text, len, scratch, out, err);
	return 1;
}

/*
 * ISO 8601 date/timestamp input:
 *   (YYYY-M[M]-D[D] | YYYYMMDD) [(' '|'T') H[H]:MM[:SS[.f…]]] [ws] [zone] where zone is
 *   Z | UTC | GMT | (+|-)HH[[:]MM].
 * DATE and TIMESTAMP accept and ignore the time/zone they do not keep, as
 * PostgreSQL does.  Syntax errors are 22007, bad field values 22008.
 */
static int parse_datetime(mur_type t, const char *text, size_t len, mur_buf *scratch,
			  mur_value *out, mur_error *err)
{
	const char *p = text;
	size_t n = len, i = 0;
	int64_t y, mo, d, h = 0, mi = 0, s = 0, frac = 0, zone_s = 0;
	int rc;

	trim(&p, &n);
	if (parse_special_datetime(t, p, n, text, len, scratch, out, err, &rc))
		return rc;
	int k = read_digits(p, n, &i, 8, &y);
	if (k == 8) { /* YYYYMMDD */
		d = y % 100;
		mo = y / 100 % 100;
		y /= 10000;
	} else if (k != 4 || i >= n || p[i++] != '-' || !read_digits(p, n, &i, 2, &mo) ||
		   i >= n || p[i++] != '-' || !read_digits(p, n, &i, 2, &d)) {
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
				return mur_error_set(err, "22009", "time zone displacement out of range: \"%.*s\"",
						     quote_len(len), text);
			zone_s = sign * (zh * 3600 + zm * 60);
		} else {
			goto syntax;
		}
	}
	if (i != n)
		goto syntax;
	if (y < 1 || mo < 1 || mo > 12 || d < 1 || d > days_in_month(y, (int)mo) || h > 24 ||
	    mi > 59 || s > 60 || (h == 24 && (mi || s || frac)))
		return mur_error_set(err, SQLSTATE_DATETIME_FIELD_OVERFLOW,
				     "date/time field value out of range: \"%.*s\"", quote_len(len),
				     text);
	int64_t us = mur_days_from_civil(y, (int)mo, (int)d) * USEC_PER_DAY;
	if (t != MT_DATE)
		us += ((h * 60 + mi) * 60 + s) * USEC_PER_SEC + frac;
	if (t == MT_TIMESTAMPTZ)
		us -= zone_s * USEC_PER_SEC;
	return put_timestamp(t, us, text, len, scratch, out, err);
syntax:
	return in_syntax(err, SQLSTATE_INVALID_DATETIME_FORMAT, t, text, len);
}

/* ------------------------------------------------------------------ */
/* Input: entry points                                                */
/* ------------------------------------------------------------------ */

int mur_value_from_pgtext(mur_type t, const char *text, size_t len, mur_buf *scratch,
			  mur_value *out, mur_error *err)
{
	int rc;
	*out = mur_v_null();
	switch (t) {
	case MT_BOOL:
		out->kind = MV_INT;
		rc = parse_bool(text, len, &out->i, err);
		break;
	case MT_INT2:
	case MT_INT4:
	case MT_INT8:
		out->kind = MV_INT;
		rc = parse_int(t, text, len, &out->i, err);
		break;
	case MT_FLOAT4:
	case MT_FLOAT8:
		out->kind = MV_FLOAT;
		rc = parse_float(t, text, len, &out->f, err);
		break;
	case MT_NUMERIC:
		out->kind = MV_FLOAT;
		rc = parse_numeric(text, len, &out->f, err);
		break;
	case MT_DATE:
	case MT_TIMESTAMP:
	case MT_TIMESTAMPTZ:
		rc = parse_datetime(t, text, len, scratch, out, err);
		break;
	case MT_BYTEA:
		rc = parse_bytea(text, len, scratch, out, err);
		break;
	default:
		out_bytes(scratch, MV_TEXT, text, len, out);
		rc = mur_buf_ok(scratch) ? MUR_OK
					 : mur_error_set(err, SQLSTATE_OUT_OF_MEMORY, "out of memory");
		break;
	}
	if (rc != MUR_OK)
		*out = mur_v_null();
	return rc;
}

static int int_out_of_range(mur_type t, mur_error *err)
{
	return mur_error_set(err, SQLSTATE_NUMERIC_VALUE_OUT_OF_RANGE, "%s out of range",
			     t == MT_INT2 ? "smallint" : t == MT_INT4 ? "integer" : "bigint");
}

static int coerce_to_int(mur_type t, const mur_value *in, mur_buf *scratch, mur_value *out,
			 mur_error *err)
{
	int64_t v;
	switch (in->kind) {
	case MV_INT:
		v = in->i;
		break;
	case MV_FLOAT:
		if (t == MT_BOOL) {
			v = in->f != 0;
			break;
		}
		/* dtoi4/dtoi8: round half to even, then range check. */
		{
			double r = rint(in->f);
			if (isnan(r) || r < -0x1p63 || r >= 0x1p63)
				return int_out_of_range(t, err);
			v = (int64_t)r;
		}
		break;
	default: /* TEXT, BLOB: parse as a literal */
		return mur_value_from_pgtext(t, in->s, in->len, scratch, out, err);
	}
	if (t == MT_BOOL)
		v = v != 0;
	else if ((t == MT_INT2 && (v < INT16_MIN || v > INT16_MAX)) ||
		 (t == MT_INT4 && (v < INT32_MIN || v > INT32_MAX)))
		return int_out_of_range(t, err);
	*out = mur_v_int(v);
	return MUR_OK;
}

static int coerce_to_float(mur_type t, const mur_value *in, mur_buf *scratch, mur_value *out,
			   mur_error *err)
{
	double d;
	switch (in->kind) {
	case MV_INT:
		d = (double)in->i;
		break;
	case MV_FLOAT:
		d = in->f;
		break;
	default:
		return mur_value_from_pgtext(t, in->s, in->len, scratch, out, err);
	}
	if (t == MT_FLOAT4 && isfinite(d)) {
		float f = (float)d;
		if (isinf(f))
			return mur_error_set(err, SQLSTATE_NUMERIC_VALUE_OUT_OF_RANGE,
					     "value out of range: overflow");
		d = f;
	}
	*out = mur_v_float(d);
	return MUR_OK;
}

int mur_value_coerce(mur_type t, const mur_value *in, mur_buf *scratch, mur_value *out,
		     mur_error *err)
{
	if (in->kind == MV_NULL || t == MT_UNKNOWN) {
		*out = *in;
		return MUR_OK;
	}
	switch (mur_type_storage(t)) {
	case MV_INT:
		return coerce_to_int(t, in, scratch, out, err);
	case MV_FLOAT:
		return coerce_to_float(t, in, scratch, out, err);
	case MV_BLOB:
		if (in->kind == MV_BLOB) {
			*out = *in;
			return MUR_OK;
		}
		if (in->kind == MV_TEXT)
			return mur_value_from_pgtext(t, in->s, in->len, scratch, out, err);
		break;
	default: /* MV_TEXT */
		if (t == MT_DATE || t == MT_TIMESTAMP || t == MT_TIMESTAMPTZ) {
			if (in->kind == MV_TEXT)
				return mur_value_from_pgtext(t, in->s, in->len, scratch, out, err);
			break;
		}
		if (in->kind == MV_TEXT) {
			*out = *in;
			return MUR_OK;
		}
		if (in->kind == MV_BLOB) {
			*out = mur_v_text(in->s, in->len);
			return MUR_OK;
		}
		/* A number as text: its PostgreSQL text form. */
		{
			size_t off = scratch->len;
			if (in->kind == MV_INT)
				mur_buf_printf(scratch, "%lld", (long long)in->i);
			else
				put_float(scratch, in->f, 0);
			if (!mur_buf_ok(scratch))
				return mur_error_set(err, SQLSTATE_OUT_OF_MEMORY, "out of memory");
			*out = mur_v_text(scratch->data + off, scratch->len - off);
			return MUR_OK;
		}
	}
	static const char *const kind_names[] = {"null", "bigint", "double precision", "text",
						 "bytea"};
	return mur_error_set(err, SQLSTATE_DATATYPE_MISMATCH, "cannot cast type %s to %s",
			     kind_names[in->kind], mur_type_name(t));
}

/* ------------------------------------------------------------------ */
/* Ordering and hashing                                               */
/* ------------------------------------------------------------------ */

/* Exact comparison of an int64 with a double; NaN sorts above every number
 * (PostgreSQL's float ordering). */
static int cmp_int_double(int64_t i, double d)
{
	if (isnan(d) || d >= 0x1p63)
		return -1;
	if (d < -0x1p63)
		return 1;
	int64_t t = (int64_t)d; /* truncates toward zero; in range */
	if (i != t)
		return i < t ? -1 : 1;
	double frac = d - (double)t;
	return frac > 0 ? -1 : frac < 0 ? 1 : 0;
}

static int cmp_double(double a, double b)
{
	if (isnan(a))
		return isnan(b) ? 0 : 1;
	if (isnan(b))
		return -1;
	return a < b ? -1 : a > b ? 1 : 0;
}

int mur_value_cmp(const mur_value *a, const mur_value *b)
{
	int an = a->kind == MV_NULL, bn = b->kind == MV_NULL;
	if (an || bn)
		return an - bn;
	int anum = a->kind == MV_INT || a->kind == MV_FLOAT;
	int bnum = b->kind == MV_INT || b->kind == MV_FLOAT;
	if (anum != bnum)
		return anum ? -1 : 1;
	if (anum) {
		if (a->kind == MV_INT && b->kind == MV_INT)
			return a->i < b->i ? -1 : a->i > b->i;
		if (a->kind == MV_INT)
			return cmp_int_double(a->i, b->f);
		if (b->kind == MV_INT)
			return -cmp_int_double(b->i, a->f);
		return cmp_double(a->f, b->f);
	}
	size_t n = a->len < b->len ? a->len : b->len;
	int c = n ? memcmp(a->s, b->s, n) : 0;
	if (c)
		return c < 0 ? -1 : 1;
	return a->len < b->len ? -1 : a->len > b->len;
}

uint64_t mur_value_hash(const mur_value *v)
{
	uint8_t num[8];
	const void *p;
	size_t len;
	if (mur_value_canon_bytes(v, num, &p, &len) == MV_NULL)
		return 0;
	return XXH64(p, len, 0);
}

/* ------------------------------------------------------------------ */
/* Row encoding                                                       */
/* ------------------------------------------------------------------ */

void mur_row_put_value(mur_buf *b, const mur_value *v)
{
	mur_buf_put_u8(b, (uint8_t)v->kind);
	switch (v->kind) {
	case MV_INT:
		mur_buf_put_i64(b, v->i);
		break;
	case MV_FLOAT:
		mur_buf_put_f64(b, v->f);
		break;
	case MV_TEXT:
	case MV_BLOB:
		mur_buf_put_lstr(b, v->s, v->len);
		break;
	default:
		break;
	}
}

int mur_row_get_value(mur_rd *r, mur_value *v)
{
	uint32_t n;
	*v = mur_v_null();
	uint8_t tag = mur_rd_u8(r);
	switch (tag) {
	case MV_NULL:
		break;
	case MV_INT:
		*v = mur_v_int(mur_rd_i64(r));
		break;
	case MV_FLOAT:
		*v = mur_v_float(mur_rd_f64(r));
		break;
	case MV_TEXT:
	case MV_BLOB:
		v->s = mur_rd_lstr(r, &n);
		v->kind = (mur_vkind)tag;
		v->len = n;
		if (!v->s)
			v->s = "";
		break;
	default:
		r->bad = 1;
		break;
	}
	if (!mur_rd_ok(r)) {
		*v = mur_v_null();
		return MUR_EPROTO;
	}
	return MUR_OK;
}
