/*
 * sqlfn_types.c — SQLite functions of the types PostgreSQL has and SQLite
 * does not (uuid; interval and bytea's functions join them), for emitted
 * SQL on the followers and the leader alike (stor_register_functions
 * registers them with sqlfn.c's).
 *
 *   mur_gen_random_uuid          gen_random_uuid(): a version 4 uuid (RFC
 *                                4122, 122 random bits from SQLite's
 *                                generator) in uuid_out's form, which is
 *                                how a uuid is stored (common/value.h)
 *   mur_iv_key(iv)               the span key of a stored interval: what
 *                                = < > compare ('1 day' = '24 hours')
 *   mur_iv_add(a, b, sign)       interval + / - interval
 *   mur_iv_mul(iv, x, divide)    interval * / number (interval_mul/div)
 *   mur_ts_pl_iv(ts, iv, sign)   timestamp[tz] +/- interval (a date is
 *                                cast to timestamp first, by the analyzer)
 *   mur_ts_mi(a, b)              timestamp - timestamp: an interval,
 *                                justify_hours of the difference
 *   mur_ts_series(v, stop, step) generate_series over timestamps: is v
 *                                still in the series (sql/emit_srf.c)
 *   mur_iv_justify_{hours,days,interval}, mur_make_interval,
 *   mur_iv_part / mur_iv_extract(field, iv)  date_part (float8) /
 *                                extract (numeric text, PostgreSQL's scale)
 *   mur_iv_neg                   -interval
 *   mur_iv_sum(iv)               sum(interval), an aggregate and a
 *                                window function: field by field
 *                                (interval_pl), 22008 on overflow
 *   collation mur_interval       by the span key alone: GROUP BY and
 *                                DISTINCT of intervals by value
 *   mur_age(a[, b])              age(a, b); age(a) is age(today's midnight,
 *                                UTC, a)
 *   mur_bytea_cat, mur_bytea_substr  bytea || bytea, substring (bytes,
 *                                byteacat / bytea_substr)
 *   mur_bytea_encode(b, fmt), mur_bytea_decode(t, fmt)  encode/decode with
 *                                hex, base64 (76 characters a line, as
 *                                pg_base64_encode) and escape
 *   mur_sha224/256/384/512       the digests (OpenSSL), bytea
 *   mur_pg_typeof(x, name)       pg_typeof(x): name, x's type as the
 *                                analyzer resolved it
 *
 * Intervals in and out are their stored form (common/interval.h);
 * timestamps their stored text.  Strict: NULL in, NULL out.
 */
#include "storage/storage_int.h"

#include "common/clock.h"
#include "common/interval.h"
#include "common/scram.h"

#include <openssl/sha.h>

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

/* Bytes of a uuid (RFC 4122). */
#define SQLFN_UUID_BYTES 16

static void fn_gen_random_uuid(sqlite3_context *cx, int argc, sqlite3_value **v)
{
	static const char hex[] = "0123456789abcdef";
	uint8_t b[SQLFN_UUID_BYTES];
	char out[SQLFN_UUID_BYTES * 2 + 4];
	int k = 0;
	(void)argc;
	(void)v;
	sqlite3_randomness(sizeof b, b);
	b[6] = (uint8_t)((b[6] & 0x0f) | 0x40); /* version 4 */
	b[8] = (uint8_t)((b[8] & 0x3f) | 0x80); /* variant 10 */
	for (int i = 0; i < SQLFN_UUID_BYTES; i++) {
		if (i == 4 || i == 6 || i == 8 || i == 10)
			out[k++] = '-';
		out[k++] = hex[b[i] >> 4];
		out[k++] = hex[b[i] & 15];
	}
	sqlite3_result_text(cx, out, k, SQLITE_TRANSIENT);
}

/* Argument i as an interval; 0 when NULL or not one (NULL result). */
static int iv_arg(sqlite3_value **v, int i, mur_interval *iv)
{
	if (sqlite3_value_type(v[i]) != SQLITE_TEXT)
		return 0;
	return mur_iv_load((const char *)sqlite3_value_text(v[i]),
			   (size_t)sqlite3_value_bytes(v[i]), iv) == MUR_OK;
}

static void result_iv(sqlite3_context *cx, const mur_interval *iv)
{
	mur_buf b;
	mur_buf_init(&b);
	mur_iv_store(iv, &b);
	if (!mur_buf_ok(&b))
		sqlite3_result_error_nomem(cx);
	else
		sqlite3_result_text(cx, b.data, (int)b.len, SQLITE_TRANSIENT);
	mur_buf_free(&b);
}

static void fail(sqlite3_context *cx, const mur_error *err)
{
	stor_fn_fail(cx, err->sqlstate, "%s", err->message);
}

static void fn_iv_key(sqlite3_context *cx, int argc, sqlite3_value **v)
{
	(void)argc;
	if (sqlite3_value_type(v[0]) == SQLITE_TEXT && sqlite3_value_bytes(v[0]) > MUR_IV_KEY_LEN)
		sqlite3_result_text(cx, (const char *)sqlite3_value_text(v[0]), MUR_IV_KEY_LEN,
				    SQLITE_TRANSIENT);
}

static void fn_iv_add(sqlite3_context *cx, int argc, sqlite3_value **v)
{
	mur_interval a, b, r;
	mur_error err;
	(void)argc;
	if (!iv_arg(v, 0, &a) || !iv_arg(v, 1, &b))
		return;
	if (mur_iv_add(&a, &b, sqlite3_value_int(v[2]), &r, &err) != MUR_OK)
		return fail(cx, &err);
	result_iv(cx, &r);
}

static void fn_iv_mul(sqlite3_context *cx, int argc, sqlite3_value **v)
{
	mur_interval a, r;
	mur_error err;
	if (stor_fn_any_null(argc, v) || !iv_arg(v, 0, &a))
		return;
	if (mur_iv_mul(&a, sqlite3_value_double(v[1]), sqlite3_value_int(v[2]), &r, &err) != MUR_OK)
		return fail(cx, &err);
	result_iv(cx, &r);
}

/* mur_iv_sum(iv): sum(interval), field by field as interval_pl; NULL
 * without a non-NULL input, 22008 when a field overflows.  As a window
 * function the frame's leaving rows are taken off again (interval_mi, as
 * PostgreSQL's interval_accum_inv); n counts the values in the frame. */
typedef struct iv_sum {
	int64_t n;
	mur_interval acc; /* zero-initialized by SQLite */
} iv_sum;

static void iv_sum_add(sqlite3_context *cx, sqlite3_value **v, int sign)
{
	iv_sum *s;
	mur_interval x;
	mur_error err;
	if (!iv_arg(v, 0, &x))
		return;
	if (!(s = sqlite3_aggregate_context(cx, sizeof *s)))
		return sqlite3_result_error_nomem(cx);
	if (mur_iv_add(&s->acc, &x, sign, &s->acc, &err) != MUR_OK)
		return fail(cx, &err);
	s->n += sign;
}

static void iv_sum_step(sqlite3_context *cx, int argc, sqlite3_value **v)
{
	(void)argc;
	iv_sum_add(cx, v, 1);
}

static void iv_sum_inverse(sqlite3_context *cx, int argc, sqlite3_value **v)
{
	(void)argc;
	iv_sum_add(cx, v, -1);
}

static void iv_sum_final(sqlite3_context *cx)
{
	iv_sum *s = sqlite3_aggregate_context(cx, 0);
	if (s && s->n)
		result_iv(cx, &s->acc);
}

static void ts_out_of_range(sqlite3_context *cx)
{
	stor_fn_fail(cx, SQLSTATE_DATETIME_FIELD_OVERFLOW, "timestamp out of range");
}

static int ts_arg(sqlite3_value **v, int i, int64_t *us)
{
	return sqlite3_value_type(v[i]) == SQLITE_TEXT &&
	       mur_iv_ts_to_us((const char *)sqlite3_value_text(v[i]),
			       (size_t)sqlite3_value_bytes(v[i]), us) == MUR_OK;
}

static void fn_ts_pl_iv(sqlite3_context *cx, int argc, sqlite3_value **v)
{
	mur_interval iv;
	int64_t us;
	mur_buf b;
	if (stor_fn_any_null(argc, v) || !iv_arg(v, 1, &iv))
		return;
	if (!ts_arg(v, 0, &us))
		return ts_out_of_range(cx);
	mur_buf_init(&b);
	if (mur_iv_add_to_us(us, &iv, sqlite3_value_int(v[2]), &us) != MUR_OK ||
	    mur_iv_us_to_ts(us, &b) != MUR_OK)
		ts_out_of_range(cx);
	else
		sqlite3_result_text(cx, b.data, (int)b.len, SQLITE_TRANSIENT);
	mur_buf_free(&b);
}

/* generate_series over timestamps (sql/emit_srf.c): 1 while v is within
 * stop in the step's direction (PostgreSQL's interval_cmp against a zero
 * interval: months of 30 days, days of 24 hours); 0 for a NULL argument
 * (no rows); 22023 for a zero step. */
static void fn_ts_series(sqlite3_context *cx, int argc, sqlite3_value **v)
{
	mur_interval iv;
	int64_t at, stop;
	__int128 span;
	if (stor_fn_any_null(argc, v) || !iv_arg(v, 2, &iv))
		return sqlite3_result_int(cx, 0);
	span = ((__int128)iv.months * MUR_IV_DAYS_PER_MONTH + iv.days) * MUR_IV_USEC_PER_DAY +
	       iv.us;
	if (span == 0)
		return stor_fn_fail(cx, "22023", "step size cannot equal zero");
	if (!ts_arg(v, 0, &at) || !ts_arg(v, 1, &stop))
		return ts_out_of_range(cx);
	sqlite3_result_int(cx, span > 0 ? at <= stop : at >= stop);
}

static void fn_ts_mi(sqlite3_context *cx, int argc, sqlite3_value **v)
{
	int64_t a, b;
	if (stor_fn_any_null(argc, v))
		return;
	if (!ts_arg(v, 0, &a) || !ts_arg(v, 1, &b))
		return ts_out_of_range(cx);
	mur_interval iv = {0, 0, a - b};
	(void)mur_iv_justify(&iv, 'h'); /* days = 0: a year 1-9999 span fits */
	result_iv(cx, &iv);
}

static void justify(sqlite3_context *cx, sqlite3_value **v, int what)
{
	mur_interval iv;
	if (!iv_arg(v, 0, &iv))
		return;
	if (mur_iv_justify(&iv, what) != MUR_OK)
		return stor_fn_fail(cx, SQLSTATE_DATETIME_FIELD_OVERFLOW, "interval out of range");
	result_iv(cx, &iv);
}

static void fn_justify_hours(sqlite3_context *cx, int argc, sqlite3_value **v)
{
	(void)argc;
	justify(cx, v, 'h');
}

static void fn_justify_days(sqlite3_context *cx, int argc, sqlite3_value **v)
{
	(void)argc;
	justify(cx, v, 'd');
}

static void fn_justify_interval(sqlite3_context *cx, int argc, sqlite3_value **v)
{
	(void)argc;
	justify(cx, v, 'i');
}

/* make_interval(years, months, weeks, days, hours, mins, secs), each
 * defaulting to 0. */
static void fn_make_interval(sqlite3_context *cx, int argc, sqlite3_value **v)
{
	int64_t f[6] = {0, 0, 0, 0, 0, 0};
	double secs = argc > 6 ? sqlite3_value_double(v[6]) : 0;
	if (stor_fn_any_null(argc, v))
		return;
	for (int i = 0; i < argc && i < 6; i++)
		f[i] = sqlite3_value_int64(v[i]);
	double us = rint(((double)f[4] * 3600 + (double)f[5] * 60 + secs) * 1e6);
	int64_t months = f[0] * 12 + f[1], days = f[2] * 7 + f[3];
	if (months < INT32_MIN || months > INT32_MAX || days < INT32_MIN || days > INT32_MAX ||
	    !(fabs(us) < 0x1p63))
		return stor_fn_fail(cx, SQLSTATE_DATETIME_FIELD_OVERFLOW, "interval out of range");
	mur_interval iv = {(int32_t)months, (int32_t)days, (int64_t)us};
	result_iv(cx, &iv);
}

/* interval_part_common: the value of field f of iv, as µs-exact
 * numerator / 10^scale. */
static int iv_field(const char *f, const mur_interval *iv, __int128 *num, int *scale)
{
	int64_t us = iv->us;
	*scale = 0;
	if (!strcasecmp(f, "epoch")) {
		/* 365.25 days a year, 30 a month (DAYS_PER_YEAR, DAYS_PER_MONTH) */
		*num = (__int128)(iv->months / 12) * 36525 * 864 * 1000000 +
		       (__int128)(iv->months % 12) * 30 * 86400 * 1000000 +
		       (__int128)iv->days * 86400 * 1000000 + us;
		*scale = 6;
	} else if (!strcasecmp(f, "microseconds") || !strcasecmp(f, "microsecond"))
		*num = us % 60000000;
	else if (!strcasecmp(f, "milliseconds") || !strcasecmp(f, "millisecond"))
		*num = us % 60000000, *scale = 3;
	else if (!strcasecmp(f, "second") || !strcasecmp(f, "seconds"))
		*num = us % 60000000, *scale = 6;
	else if (!strcasecmp(f, "minute") || !strcasecmp(f, "minutes"))
		*num = us / 60000000 % 60;
	else if (!strcasecmp(f, "hour") || !strcasecmp(f, "hours"))
		*num = us / 3600000000;
	else if (!strcasecmp(f, "day") || !strcasecmp(f, "days"))
		*num = iv->days;
	else if (!strcasecmp(f, "month") || !strcasecmp(f, "months") || !strcasecmp(f, "mon"))
		*num = iv->months % 12;
	else if (!strcasecmp(f, "quarter"))
		*num = iv->months % 12 / 3 + 1;
	else if (!strcasecmp(f, "year") || !strcasecmp(f, "years"))
		*num = iv->months / 12;
	else if (!strcasecmp(f, "decade") || !strcasecmp(f, "decades"))
		*num = iv->months / 120;
	else if (!strcasecmp(f, "century") || !strcasecmp(f, "centuries"))
		*num = iv->months / 1200;
	else if (!strcasecmp(f, "millennium") || !strcasecmp(f, "millennia"))
		*num = iv->months / 12000;
	else
		return -1;
	return 0;
}

static void iv_part(sqlite3_context *cx, int argc, sqlite3_value **v, int as_numeric)
{
	mur_interval iv;
	__int128 num, p = 1;
	int scale;
	const char *f;
	if (stor_fn_any_null(argc, v) || !iv_arg(v, 1, &iv))
		return;
	f = (const char *)sqlite3_value_text(v[0]);
	if (iv_field(f, &iv, &num, &scale) != 0)
		return stor_fn_fail(cx, SQLSTATE_FEATURE_NOT_SUPPORTED,
				    "unit \"%s\" not supported for type interval", f);
	for (int i = 0; i < scale; i++)
		p *= 10;
	if (!as_numeric) { /* date_part: float8 */
		sqlite3_result_double(cx, (double)num / (double)p);
		return;
	}
	char buf[64];
	unsigned __int128 a = num < 0 ? (unsigned __int128)-num : (unsigned __int128)num;
	unsigned long long ip = (unsigned long long)(a / (unsigned __int128)p),
			   fp = (unsigned long long)(a % (unsigned __int128)p);
	int n = snprintf(buf, sizeof buf, "%s%llu", num < 0 ? "-" : "", ip);
	if (scale)
		snprintf(buf + n, sizeof buf - (size_t)n, ".%0*llu", scale, fp);
	sqlite3_result_text(cx, buf, -1, SQLITE_TRANSIENT);
}

static void fn_iv_part(sqlite3_context *cx, int argc, sqlite3_value **v)
{
	iv_part(cx, argc, v, 0);
}

static void fn_iv_extract(sqlite3_context *cx, int argc, sqlite3_value **v)
{
	iv_part(cx, argc, v, 1);
}

static void fn_age(sqlite3_context *cx, int argc, sqlite3_value **v)
{
	int64_t a, b;
	mur_interval iv;
	if (stor_fn_any_null(argc, v))
		return;
	if (argc == 1) {
		int64_t now = mur_wall_us();
		a = now - (now % MUR_IV_USEC_PER_DAY + MUR_IV_USEC_PER_DAY) % MUR_IV_USEC_PER_DAY;
	}
	if ((argc == 2 && !ts_arg(v, 0, &a)) || !ts_arg(v, argc - 1, &b))
		return ts_out_of_range(cx);
	mur_iv_age(a, b, &iv);
	result_iv(cx, &iv);
}

/* -interval: each field negated (interval_um). */
static void fn_iv_neg(sqlite3_context *cx, int argc, sqlite3_value **v)
{
	static const mur_interval zero = {0, 0, 0};
	mur_interval a, r;
	mur_error err;
	(void)argc;
	if (!iv_arg(v, 0, &a))
		return;
	if (mur_iv_add(&zero, &a, -1, &r, &err) != MUR_OK)
		return fail(cx, &err);
	result_iv(cx, &r);
}

/* mur_iv_typmod(iv, typmod): x::interval hour to minute of a value
 * (AdjustIntervalForTypmod, common/interval_typmod.c). */
static void fn_iv_typmod(sqlite3_context *cx, int argc, sqlite3_value **v)
{
	mur_interval a;
	(void)argc;
	if (!iv_arg(v, 0, &a))
		return;
	mur_iv_adjust(&a, (int32_t)sqlite3_value_int(v[1]));
	result_iv(cx, &a);
}

/* ---- bytea ---- */

/* Base64 line length of encode(…, 'base64') (PostgreSQL's pg_base64_encode). */
#define SQLFN_BASE64_LINE 76

static const char *blob_arg(sqlite3_value **v, int i, int *n)
{
	const char *p = (const char *)sqlite3_value_blob(v[i]);
	*n = sqlite3_value_bytes(v[i]);
	return p ? p : "";
}

static void result_blob_buf(sqlite3_context *cx, const mur_buf *b)
{
	if (!mur_buf_ok(b))
		sqlite3_result_error_nomem(cx);
	else
		sqlite3_result_blob(cx, b->data ? b->data : "", (int)b->len, SQLITE_TRANSIENT);
}

static void fn_bytea_cat(sqlite3_context *cx, int argc, sqlite3_value **v)
{
	int na, nb;
	const char *a, *b;
	mur_buf out;
	if (stor_fn_any_null(argc, v))
		return;
	a = blob_arg(v, 0, &na);
	b = blob_arg(v, 1, &nb);
	if (!stor_fn_fits(cx, (int64_t)na + nb))
		return;
	mur_buf_init(&out);
	mur_buf_put(&out, a, (size_t)na);
	mur_buf_put(&out, b, (size_t)nb);
	result_blob_buf(cx, &out);
	mur_buf_free(&out);
}

/* bytea_substr: 1-based start, the part of [start, start+len) inside. */
static void fn_bytea_substr(sqlite3_context *cx, int argc, sqlite3_value **v)
{
	int n;
	const char *s;
	int64_t start, end;
	if (stor_fn_any_null(argc, v))
		return;
	s = blob_arg(v, 0, &n);
	start = sqlite3_value_int64(v[1]);
	end = (int64_t)n + 1;
	if (argc == 3) {
		int64_t len = sqlite3_value_int64(v[2]);
		if (len < 0)
			return stor_fn_fail(cx, "22011", "negative substring length not allowed");
		if (start < end - len)
			end = start + len;
	}
	if (start < 1)
		start = 1;
	if (end > (int64_t)n + 1)
		end = (int64_t)n + 1;
	if (end <= start)
		return sqlite3_result_blob(cx, "", 0, SQLITE_STATIC);
	sqlite3_result_blob(cx, s + start - 1, (int)(end - start), SQLITE_TRANSIENT);
}

static void encode_escape(const unsigned char *s, int n, mur_buf *out)
{
	for (int i = 0; i < n; i++) {
		if (s[i] == '\\')
			mur_buf_put(out, "\\\\", 2);
		else if (s[i] == 0 || s[i] >= 0x80)
			mur_buf_printf(out, "\\%03o", s[i]);
		else
			mur_buf_put_u8(out, s[i]);
	}
}

static void encode_base64(const unsigned char *s, int n, mur_buf *out)
{
	/* 57 input bytes make one 76-character line */
	for (int i = 0; i < n; i += SQLFN_BASE64_LINE / 4 * 3) {
		char line[SQLFN_BASE64_LINE + 1];
		int k = n - i < SQLFN_BASE64_LINE / 4 * 3 ? n - i : SQLFN_BASE64_LINE / 4 * 3;
		if (i)
			mur_buf_put_u8(out, '\n');
		mur_buf_put(out, line, mur_base64_encode(s + i, (size_t)k, line));
	}
}

static void fn_bytea_encode(sqlite3_context *cx, int argc, sqlite3_value **v)
{
	int n;
	const unsigned char *s;
	const char *fmt;
	mur_buf out;
	if (stor_fn_any_null(argc, v))
		return;
	s = (const unsigned char *)blob_arg(v, 0, &n);
	fmt = (const char *)sqlite3_value_text(v[1]);
	mur_buf_init(&out);
	if (!strcasecmp(fmt, "hex")) {
		mur_value b = mur_v_blob((const char *)s, (size_t)n);
		mur_value_to_pgtext(MT_BYTEA, &b, &out);
		memmove(out.data, out.data + 2, out.len - 2); /* no "\x" */
		out.len -= 2;
	} else if (!strcasecmp(fmt, "base64")) {
		encode_base64(s, n, &out);
	} else if (!strcasecmp(fmt, "escape")) {
		encode_escape(s, n, &out);
	} else {
		mur_buf_free(&out);
		return stor_fn_fail(cx, SQLSTATE_INVALID_PARAMETER_VALUE,
				    "unrecognized encoding: \"%s\"", fmt);
	}
	if (!mur_buf_ok(&out))
		sqlite3_result_error_nomem(cx);
	else
		sqlite3_result_text(cx, out.data ? out.data : "", (int)out.len, SQLITE_TRANSIENT);
	mur_buf_free(&out);
}

static int decode_base64(const char *s, int n, mur_buf *out)
{
	mur_buf clean;
	int rc = MUR_OK;
	mur_buf_init(&clean);
	for (int i = 0; i < n; i++)
		if (s[i] != '\n' && s[i] != '\r' && s[i] != ' ' && s[i] != '\t')
			mur_buf_put_u8(&clean, (uint8_t)s[i]);
	size_t cap = clean.len / 4 * 3 + 3;
	if (clean.len % 4 || mur_buf_reserve(out, cap) != 0) {
		rc = MUR_ERR;
	} else {
		int k = clean.len ? mur_base64_decode(clean.data, clean.len,
						      (uint8_t *)out->data + out->len, cap)
				  : 0;
		if (k < 0)
			rc = MUR_ERR;
		else
			out->len += (size_t)k;
	}
	mur_buf_free(&clean);
	return rc;
}

static void fn_bytea_decode(sqlite3_context *cx, int argc, sqlite3_value **v)
{
	const char *s, *fmt;
	int n, rc;
	mur_buf out, text;
	mur_value val;
	mur_error err;
	if (stor_fn_any_null(argc, v))
		return;
	s = (const char *)sqlite3_value_text(v[0]);
	n = sqlite3_value_bytes(v[0]);
	fmt = (const char *)sqlite3_value_text(v[1]);
	mur_buf_init(&out);
	mur_buf_init(&text);
	if (!strcasecmp(fmt, "hex") || !strcasecmp(fmt, "escape")) {
		/* byteain's two formats: "\x" + hex, or the escape format */
		if (!strcasecmp(fmt, "hex"))
			mur_buf_put(&text, "\\x", 2);
		mur_buf_put(&text, s, (size_t)n);
		rc = mur_value_from_pgtext(MT_BYTEA, text.data, text.len, &out, &val, &err);
		if (rc == MUR_OK)
			sqlite3_result_blob(cx, val.s, (int)val.len, SQLITE_TRANSIENT);
		else
			stor_fn_fail(cx, err.sqlstate, "%s", err.message);
	} else if (!strcasecmp(fmt, "base64")) {
		if (decode_base64(s, n, &out) != MUR_OK)
			stor_fn_fail(cx, SQLSTATE_INVALID_PARAMETER_VALUE,
				     "invalid base64 end sequence");
		else
			result_blob_buf(cx, &out);
	} else {
		stor_fn_fail(cx, SQLSTATE_INVALID_PARAMETER_VALUE, "unrecognized encoding: \"%s\"",
			     fmt);
	}
	mur_buf_free(&text);
	mur_buf_free(&out);
}

static void digest(sqlite3_context *cx, sqlite3_value **v, int bits)
{
	unsigned char md[SHA512_DIGEST_LENGTH];
	int n;
	const unsigned char *s = (const unsigned char *)blob_arg(v, 0, &n);
	switch (bits) {
	case 224:
		SHA224(s, (size_t)n, md);
		break;
	case 256:
		SHA256(s, (size_t)n, md);
		break;
	case 384:
		SHA384(s, (size_t)n, md);
		break;
	default:
		SHA512(s, (size_t)n, md);
		break;
	}
	sqlite3_result_blob(cx, md, bits / 8, SQLITE_TRANSIENT);
}

#define SQLFN_DIGEST(bits)                                                                         \
	static void fn_sha##bits(sqlite3_context *cx, int argc, sqlite3_value **v)                 \
	{                                                                                          \
		if (!stor_fn_any_null(argc, v))                                                    \
			digest(cx, v, bits);                                                       \
	}
SQLFN_DIGEST(224)
SQLFN_DIGEST(256)
SQLFN_DIGEST(384)
SQLFN_DIGEST(512)

/* mur_pg_typeof(x, name): name (the analyzer resolved x's type). */
static void fn_pg_typeof(sqlite3_context *cx, int argc, sqlite3_value **v)
{
	(void)argc;
	sqlite3_result_value(cx, v[1]);
}

static const stor_fn_def type_fns[] = {
	{"mur_pg_typeof", 2, 1, fn_pg_typeof},
	{"mur_gen_random_uuid", 0, 0, fn_gen_random_uuid},
	{"mur_iv_key", 1, 1, fn_iv_key},
	{"mur_iv_add", 3, 1, fn_iv_add},
	{"mur_iv_mul", 3, 1, fn_iv_mul},
	{"mur_ts_pl_iv", 3, 1, fn_ts_pl_iv},
	{"mur_ts_mi", 2, 1, fn_ts_mi},
	{"mur_ts_series", 3, 1, fn_ts_series},
	{"mur_iv_justify_hours", 1, 1, fn_justify_hours},
	{"mur_iv_justify_days", 1, 1, fn_justify_days},
	{"mur_iv_justify_interval", 1, 1, fn_justify_interval},
	{"mur_make_interval", -1, 1, fn_make_interval},
	{"mur_iv_part", 2, 1, fn_iv_part},
	{"mur_iv_extract", 2, 1, fn_iv_extract},
	{"mur_iv_neg", 1, 1, fn_iv_neg},
	{"mur_iv_typmod", 2, 1, fn_iv_typmod},
	{"mur_age", 1, 0, fn_age},
	{"mur_age", 2, 1, fn_age},
	{"mur_bytea_cat", 2, 1, fn_bytea_cat},
	{"mur_bytea_substr", 2, 1, fn_bytea_substr},
	{"mur_bytea_substr", 3, 1, fn_bytea_substr},
	{"mur_bytea_encode", 2, 1, fn_bytea_encode},
	{"mur_bytea_decode", 2, 1, fn_bytea_decode},
	{"mur_sha224", 1, 1, fn_sha224},
	{"mur_sha256", 1, 1, fn_sha256},
	{"mur_sha384", 1, 1, fn_sha384},
	{"mur_sha512", 1, 1, fn_sha512},
};

/* collation mur_interval: by the span key alone, then equal ('1 day' =
 * '24 hours'); text too short to hold a key by its bytes. */
static int iv_collate(void *arg, int na, const void *a, int nb, const void *b)
{
	int n = na < nb ? na : nb, c;
	(void)arg;
	if (na >= MUR_IV_KEY_LEN && nb >= MUR_IV_KEY_LEN)
		return memcmp(a, b, MUR_IV_KEY_LEN);
	c = memcmp(a, b, (size_t)n);
	return c ? c : na - nb;
}

int stor_register_type_functions(sqlite3 *db)
{
	int rc = stor_fn_register(db, type_fns, sizeof type_fns / sizeof type_fns[0]);
	if (rc == SQLITE_OK)
		rc = sqlite3_create_window_function(db, "mur_iv_sum", 1,
						    SQLITE_UTF8 | SQLITE_DETERMINISTIC, NULL,
						    iv_sum_step, iv_sum_final, iv_sum_final,
						    iv_sum_inverse, NULL);
	if (rc == SQLITE_OK)
		rc = sqlite3_create_collation_v2(db, MUR_IV_COLLATION, SQLITE_UTF8, NULL,
						 iv_collate, NULL);
	return rc;
}
