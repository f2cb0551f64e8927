/*
 * interval.c — PostgreSQL's interval type: text input and output, the
 * stored form and the arithmetic PostgreSQL's timestamp.c does.  Design
 * and contract in interval.h.
 *
 * Input works on a lowercased copy, word by word: a number and its unit
 * ('1.5 hours', '2mons'), a clock ('-1:30:00'), '@' (ignored), 'ago'
 * (negates everything); a number without a unit is seconds.  Fractions
 * spill downward as DecodeInterval's AdjustFractDays / AdjustFractSeconds
 * do ('1.5 months' = 1 mon 15 days).  Fields add up in 64-bit and
 * 128-bit integers; only the result is range checked (a sum past int64
 * is flagged on the way: 22015, never a wrapped, undefined sum).  The
 * arithmetic checks each step the same way (__builtin_*_overflow, or
 * int64 sums of int32 fields) and answers 22008 as PostgreSQL does.
 */
#include "common/interval.h"

#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define IV_USEC_PER_SEC INT64_C(1000000)
#define IV_SECS_PER_DAY 86400
/* Longest interval text parsed (PostgreSQL's MAXDATELEN is 128 per field;
 * a whole input past this is not an interval anyone writes). */
#define IV_TEXT_MAX 256

typedef struct iv_acc {
	int64_t months, days;
	double us;    /* exact for any |us| below 2^53 (285 years of µs) */
	int overflow; /* a field left int64 (then out of range; UB unchecked) */
} iv_acc;

static int bad_syntax(mur_error *err, const char *text, size_t len)
{
	return mur_error_set(err, SQLSTATE_INVALID_DATETIME_FORMAT,
			     "invalid input syntax for type interval: \"%.*s\"",
			     len > 200 ? 200 : (int)len, text);
}

/* *f += whole * mult + extra, or a->overflow when that leaves int64. */
static void add_field(iv_acc *a, int64_t *f, double whole, int64_t mult, int64_t extra)
{
	int64_t p;
	if (!(fabs(whole) < 0x1p63) || __builtin_mul_overflow((int64_t)whole, mult, &p) ||
	    __builtin_add_overflow(p, extra, &p) || __builtin_add_overflow(*f, p, f))
		a->overflow = 1;
}

/* AdjustFractSeconds / AdjustFractDays. */
static void frac_secs(iv_acc *a, double frac, double scale)
{
	a->us += frac * scale * (double)IV_USEC_PER_SEC;
}

static void frac_days(iv_acc *a, double frac, int scale)
{
	double d = frac * scale;
	add_field(a, &a->days, trunc(d), 1, 0);
	frac_secs(a, d - (double)(int64_t)d, IV_SECS_PER_DAY);
}

/* Apply "value unit"; 0 ok, -1 unknown unit. */
static int apply_unit(iv_acc *a, double v, const char *u, size_t n)
{
	double whole = trunc(v), frac = v - whole;
#define U(s) (n == sizeof s - 1 && !memcmp(u, s, n))
	if (U("microsecond") || U("microseconds") || U("us") || U("usec") || U("usecs") ||
	    U("microsecon"))
		a->us += v;
	else if (U("millisecond") || U("milliseconds") || U("ms") || U("msec") || U("msecs") ||
		 U("millisecon"))
		a->us += v * 1000;
	else if (U("second") || U("seconds") || U("s") || U("sec") || U("secs"))
		a->us += v * (double)IV_USEC_PER_SEC;
	else if (U("minute") || U("minutes") || U("m") || U("min") || U("mins"))
		a->us += whole * 60 * IV_USEC_PER_SEC, frac_secs(a, frac, 60);
	else if (U("hour") || U("hours") || U("h") || U("hr") || U("hrs"))
		a->us += whole * 3600 * IV_USEC_PER_SEC, frac_secs(a, frac, 3600);
	else if (U("day") || U("days") || U("d"))
		add_field(a, &a->days, whole, 1, 0), frac_secs(a, frac, IV_SECS_PER_DAY);
	else if (U("week") || U("weeks") || U("w"))
		add_field(a, &a->days, whole, 7, 0), frac_days(a, frac, 7);
	else if (U("month") || U("months") || U("mon") || U("mons"))
		add_field(a, &a->months, whole, 1, 0), frac_days(a, frac, MUR_IV_DAYS_PER_MONTH);
	else if (U("year") || U("years") || U("y") || U("yr") || U("yrs"))
		add_field(a, &a->months, whole, 12, (int64_t)rint(frac * 12));
	else if (U("decade") || U("decades") || U("dec") || U("decs"))
		add_field(a, &a->months, whole, 120, (int64_t)rint(frac * 120));
	else if (U("century") || U("centuries") || U("c") || U("cent"))
		add_field(a, &a->months, whole, 1200, (int64_t)rint(frac * 1200));
	else if (U("millennium") || U("millennia") || U("mil") || U("mils"))
		add_field(a, &a->months, whole, 12000, (int64_t)rint(frac * 12000));
	else
		return -1;
#undef U
	return 0;
}

/* [+-]h:mm[:ss[.f]]: 0, -1 bad syntax, -2 a field past 59. */
static int parse_clock(const char *s, size_t n, double *us)
{
	int neg = 0;
	size_t i = 0;
	double parts[3] = {0, 0, 0};
	int k = 0;
	if (i < n && (s[i] == '-' || s[i] == '+'))
		neg = s[i++] == '-';
	while (k < 3) {
		char *end;
		char buf[64];
		size_t j = i;
		while (j < n && (isdigit((unsigned char)s[j]) || (k == 2 && s[j] == '.')))
			j++;
		if (j == i || j - i >= sizeof buf)
			return -1;
		memcpy(buf, s + i, j - i);
		buf[j - i] = '\0';
		parts[k++] = strtod(buf, &end);
		i = j;
		if (i == n)
			break;
		if (s[i] != ':')
			return -1;
		i++;
	}
	if (i != n || k < 2)
		return -1;
	if (parts[1] >= 60 || parts[2] >= 60)
		return -2; /* DTERR_FIELD_OVERFLOW */
	*us = ((parts[0] * 3600 + parts[1] * 60) + parts[2]) * (double)IV_USEC_PER_SEC;
	if (neg)
		*us = -*us;
	return 0;
}

/* A signed decimal at s[*i]; returns 0 when there is none. */
static int read_number(const char *s, size_t n, size_t *i, double *v)
{
	char buf[64];
	size_t j = *i, k = 0;
	if (j < n && (s[j] == '-' || s[j] == '+'))
		j++;
	while (j < n && (isdigit((unsigned char)s[j]) || s[j] == '.'))
		j++;
	if (j == *i || j - *i >= sizeof buf || !isdigit((unsigned char)s[j - 1]))
		return 0;
	for (k = 0; k < j - *i; k++)
		buf[k] = s[*i + k];
	buf[k] = '\0';
	*v = strtod(buf, NULL);
	*i = j;
	return 1;
}

/* ISO 8601 "P[nY][nM][nW][nD][T[nH][nM][nS]]". */
static int parse_iso(const char *s, size_t n, iv_acc *a)
{
	size_t i = 1;
	int in_time = 0, any = 0;
	while (i < n) {
		double v;
		if (s[i] == 't' && !in_time) {
			in_time = 1;
			i++;
			continue;
		}
		if (!read_number(s, n, &i, &v) || i >= n)
			return -1;
		char unit = s[i++];
		const char *u = in_time ? (unit == 'h'   ? "h"
					   : unit == 'm' ? "m"
					   : unit == 's' ? "s"
							 : "")
					: (unit == 'y'   ? "y"
					   : unit == 'm' ? "mon"
					   : unit == 'w' ? "w"
					   : unit == 'd' ? "d"
							 : "");
		if (!*u || apply_unit(a, v, u, strlen(u)) != 0)
			return -1;
		any = 1;
	}
	return any ? 0 : -1;
}

static int parse_words(const char *s, size_t n, iv_acc *a)
{
	size_t i = 0;
	int any = 0, ago = 0;
	while (i < n) {
		double v;
		size_t j;
		while (i < n && isspace((unsigned char)s[i]))
			i++;
		if (i == n)
			break;
		j = i;
		while (j < n && !isspace((unsigned char)s[j]))
			j++;
		if (memchr(s + i, ':', j - i)) {
			int rc = parse_clock(s + i, j - i, &v);
			if (rc != 0)
				return rc;
			a->us += v;
			i = j;
			any = 1;
			continue;
		}
		if (s[i] == '@' && j == i + 1) {
			i = j;
			continue;
		}
		if (j - i == 3 && !memcmp(s + i, "ago", 3)) {
			if (!any)
				return -1;
			ago = 1; /* negates every field, wherever it stands */
			i = j;
			continue;
		}
		if (!read_number(s, n, &i, &v))
			return -1;
		while (i < n && isspace((unsigned char)s[i]))
			i++;
		j = i;
		while (j < n && isalpha((unsigned char)s[j]))
			j++;
		if (j == i || (j - i == 3 && !memcmp(s + i, "ago", 3))) {
			a->us += v * (double)IV_USEC_PER_SEC; /* a bare number is seconds */
		} else {
			if (apply_unit(a, v, s + i, j - i) != 0)
				return -1;
			i = j;
		}
		any = 1;
	}
	if (ago && (a->months == INT64_MIN || a->days == INT64_MIN)) {
		a->overflow = 1;
	} else if (ago) {
		a->months = -a->months;
		a->days = -a->days;
		a->us = -a->us;
	}
	return any ? 0 : -1;
}

int mur_iv_parse(const char *text, size_t len, mur_interval *iv, mur_error *err)
{
	char s[IV_TEXT_MAX];
	size_t n = 0, b = 0, e = len;
	iv_acc a = {0, 0, 0, 0};
	while (b < e && isspace((unsigned char)text[b]))
		b++;
	while (e > b && isspace((unsigned char)text[e - 1]))
		e--;
	if (e - b >= sizeof s || e == b)
		return bad_syntax(err, text, len);
	for (size_t i = b; i < e; i++)
		s[n++] = (char)tolower((unsigned char)text[i]);
	s[n] = '\0';
	int rc = s[0] == 'p' ? parse_iso(s, n, &a) : parse_words(s, n, &a);
	if (rc == -1)
		return bad_syntax(err, text, len);
	double us = rint(a.us);
	if (rc == -2 || a.overflow || a.months < INT32_MIN || a.months > INT32_MAX ||
	    a.days < INT32_MIN || a.days > INT32_MAX || !(fabs(us) < 0x1p63))
		return mur_error_set(err, SQLSTATE_INTERVAL_FIELD_OVERFLOW,
				     "interval field value out of range: \"%.*s\"",
				     len > 200 ? 200 : (int)len, text);
	iv->months = (int32_t)a.months;
	iv->days = (int32_t)a.days;
	iv->us = (int64_t)us;
	return MUR_OK;
}

/* AddPostgresIntPart. */
static void put_part(mur_buf *out, int64_t v, const char *unit, int *is_zero, int *is_before)
{
	if (v == 0)
		return;
	mur_buf_printf(out, "%s%s%lld %s%s", *is_zero ? "" : " ", (*is_before && v > 0) ? "+" : "",
		       (long long)v, unit, v != 1 ? "s" : "");
	*is_before = v < 0;
	*is_zero = 0;
}

void mur_iv_out(const mur_interval *iv, mur_buf *out)
{
	int is_zero = 1, is_before = 0;
	int64_t us = iv->us;
	put_part(out, iv->months / 12, "year", &is_zero, &is_before);
	put_part(out, iv->months % 12, "mon", &is_zero, &is_before);
	put_part(out, iv->days, "day", &is_zero, &is_before);
	if (is_zero || us != 0) {
		uint64_t a = us < 0 ? 0 - (uint64_t)us : (uint64_t)us;
		uint64_t h = a / 3600000000u, mi = a / 60000000u % 60, sec = a / 1000000u % 60,
			 f = a % 1000000u;
		mur_buf_printf(out, "%s%s%02llu:%02llu:%02llu", is_zero ? "" : " ",
			       us < 0      ? "-"
			       : is_before ? "+"
					   : "",
			       (unsigned long long)h, (unsigned long long)mi,
			       (unsigned long long)sec);
		if (f) {
			char frac[8];
			int k = snprintf(frac, sizeof frac, "%06llu", (unsigned long long)f);
			while (k > 0 && frac[k - 1] == '0')
				k--;
			mur_buf_printf(out, ".%.*s", k, frac);
		}
	}
}

static __int128 span_of(const mur_interval *iv)
{
	return ((__int128)iv->months * MUR_IV_DAYS_PER_MONTH + iv->days) * MUR_IV_USEC_PER_DAY +
	       iv->us;
}

void mur_iv_store(const mur_interval *iv, mur_buf *out)
{
	unsigned __int128 key = (unsigned __int128)span_of(iv) ^ ((unsigned __int128)1 << 127);
	char hex[MUR_IV_KEY_LEN];
	for (int i = MUR_IV_KEY_LEN - 1; i >= 0; i--, key >>= 4)
		hex[i] = "0123456789abcdef"[key & 15];
	mur_buf_put(out, hex, sizeof hex);
	mur_buf_printf(out, " %d %d %lld", iv->months, iv->days, (long long)iv->us);
}

int mur_iv_load(const char *s, size_t len, mur_interval *iv)
{
	char buf[96];
	int m, d, k = 0;
	long long us;
	if (len <= MUR_IV_KEY_LEN || len - MUR_IV_KEY_LEN >= sizeof buf)
		return MUR_ERR;
	memcpy(buf, s + MUR_IV_KEY_LEN, len - MUR_IV_KEY_LEN);
	buf[len - MUR_IV_KEY_LEN] = '\0';
	if (sscanf(buf, " %d %d %lld%n", &m, &d, &us, &k) != 3 || buf[k])
		return MUR_ERR;
	iv->months = m;
	iv->days = d;
	iv->us = us;
	return MUR_OK;
}

static int out_of_range(mur_error *err)
{
	return mur_error_set(err, SQLSTATE_DATETIME_FIELD_OVERFLOW, "interval out of range");
}

int mur_iv_add(const mur_interval *a, const mur_interval *b, int sign, mur_interval *out,
	       mur_error *err)
{
	int64_t m = (int64_t)a->months + sign * (int64_t)b->months;
	int64_t d = (int64_t)a->days + sign * (int64_t)b->days;
	int64_t us;
	if (m < INT32_MIN || m > INT32_MAX || d < INT32_MIN || d > INT32_MAX ||
	    (sign < 0 ? __builtin_sub_overflow(a->us, b->us, &us)
		      : __builtin_add_overflow(a->us, b->us, &us)))
		return out_of_range(err);
	out->months = (int32_t)m;
	out->days = (int32_t)d;
	out->us = us;
	return MUR_OK;
}

/* TSROUND: to microsecond precision. */
static double ts_round(double x) { return rint(x * 1e6) / 1e6; }

int mur_iv_mul(const mur_interval *a, double factor, int divide, mur_interval *out, mur_error *err)
{
	double months, days, month_rem_days, sec_rem, t;
	if (divide && factor == 0)
		return mur_error_set(err, SQLSTATE_DIVISION_BY_ZERO, "division by zero");
	months = divide ? a->months / factor : a->months * factor;
	days = divide ? a->days / factor : a->days * factor;
	if (isnan(months) || fabs(months) > INT32_MAX || isnan(days) || fabs(days) > INT32_MAX)
		return out_of_range(err);
	out->months = (int32_t)months;
	out->days = (int32_t)days;
	month_rem_days = ts_round((months - out->months) * MUR_IV_DAYS_PER_MONTH);
	sec_rem = ts_round((days - out->days + month_rem_days - (int)month_rem_days) *
			   IV_SECS_PER_DAY);
	if (fabs(sec_rem) >= IV_SECS_PER_DAY) {
		out->days += (int)(sec_rem / IV_SECS_PER_DAY);
		sec_rem -= (int)(sec_rem / IV_SECS_PER_DAY) * IV_SECS_PER_DAY;
	}
	out->days += (int)month_rem_days;
	t = rint((divide ? (double)a->us / factor : (double)a->us * factor) +
		 sec_rem * (double)IV_USEC_PER_SEC);
	if (isnan(t) || !(fabs(t) < 0x1p63))
		return out_of_range(err);
	out->us = (int64_t)t;
	return MUR_OK;
}

/* iv's field += v, MUR_ERR when the sum leaves int32 (PostgreSQL's
 * pg_add_s32_overflow; unchecked it is UB). */
static int add_s32(int32_t *field, int64_t v)
{
	int64_t sum = (int64_t)*field + v;
	if (sum < INT32_MIN || sum > INT32_MAX)
		return MUR_ERR;
	*field = (int32_t)sum;
	return MUR_OK;
}

/* interval_justify_hours / _days / _interval, step for step (PostgreSQL
 * 15.18's, with its overflow checks). */
int mur_iv_justify(mur_interval *iv, int what)
{
	int time_sign = iv->us > 0 ? 1 : iv->us < 0 ? -1 : 0;
	if (what == 'i' && ((iv->days > 0 && iv->us > 0) || (iv->days < 0 && iv->us < 0))) {
		/* pre-justify days, as PostgreSQL, so adding the whole days of us
		 * below cannot overflow; the answer is the same */
		if (add_s32(&iv->months, iv->days / MUR_IV_DAYS_PER_MONTH) != MUR_OK)
			return MUR_ERR;
		iv->days %= MUR_IV_DAYS_PER_MONTH;
	}
	if (what != 'd') {
		if (add_s32(&iv->days, iv->us / MUR_IV_USEC_PER_DAY) != MUR_OK)
			return MUR_ERR;
		iv->us %= MUR_IV_USEC_PER_DAY;
		time_sign = iv->us > 0 ? 1 : iv->us < 0 ? -1 : 0;
	}
	if (what != 'h') {
		if (add_s32(&iv->months, iv->days / MUR_IV_DAYS_PER_MONTH) != MUR_OK)
			return MUR_ERR;
		iv->days %= MUR_IV_DAYS_PER_MONTH;
		int ts = what == 'i' ? time_sign : 0;
		if (iv->months > 0 && (iv->days < 0 || (iv->days == 0 && ts < 0))) {
			iv->days += MUR_IV_DAYS_PER_MONTH;
			iv->months--;
		} else if (iv->months < 0 && (iv->days > 0 || (iv->days == 0 && ts > 0))) {
			iv->days -= MUR_IV_DAYS_PER_MONTH;
			iv->months++;
		}
	}
	if (what != 'd') {
		if (iv->days > 0 && iv->us < 0) {
			iv->us += MUR_IV_USEC_PER_DAY;
			iv->days--;
		} else if (iv->days < 0 && iv->us > 0) {
			iv->us -= MUR_IV_USEC_PER_DAY;
			iv->days++;
		}
	}
	return MUR_OK;
}

static int days_in_month(int64_t y, int m)
{
	static const int dm[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
	int leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
	return m == 2 && leap ? 29 : dm[m - 1];
}

int mur_iv_add_to_us(int64_t us, const mur_interval *iv, int sign, int64_t *out)
{
	int64_t days = us / MUR_IV_USEC_PER_DAY, rem, y;
	int m, d;
	if (us % MUR_IV_USEC_PER_DAY < 0)
		days--;
	rem = us - days * MUR_IV_USEC_PER_DAY;
	if (iv->months) {
		mur_civil_from_days(days, &y, &m, &d);
		int64_t mm = y * 12 + (m - 1) + sign * (int64_t)iv->months;
		y = mm >= 0 ? mm / 12 : -((-mm + 11) / 12);
		m = (int)(mm - y * 12) + 1;
		if (d > days_in_month(y, m))
			d = days_in_month(y, m);
		days = mur_days_from_civil(y, m, d);
	}
	days += sign * (int64_t)iv->days;
	/* checked: a year past ±292277 wraps int64 µs (UB) before any range check */
	if (__builtin_mul_overflow(days, MUR_IV_USEC_PER_DAY, out) ||
	    __builtin_add_overflow(*out, rem, out) ||
	    (sign < 0 ? __builtin_sub_overflow(*out, iv->us, out)
		      : __builtin_add_overflow(*out, iv->us, out)))
		return MUR_ERR;
	return MUR_OK;
}

int mur_iv_ts_to_us(const char *s, size_t len, int64_t *us)
{
	char buf[40];
	int y, m, d, h = 0, mi = 0, sec = 0, k = 0, n;
	long long frac = 0;
	if (len >= sizeof buf)
		return MUR_ERR;
	memcpy(buf, s, len);
	buf[len] = '\0';
	if (sscanf(buf, "%4d-%2d-%2d%n", &y, &m, &d, &k) != 3)
		return MUR_ERR;
	if (buf[k] == ' ' && sscanf(buf + k, " %2d:%2d:%2d%n", &h, &mi, &sec, &n) == 3) {
		k += n;
		if (buf[k] == '.') {
			int digits = 0;
			for (k++; isdigit((unsigned char)buf[k]) && digits < 6; k++, digits++)
				frac = frac * 10 + (buf[k] - '0');
			for (; digits < 6; digits++)
				frac *= 10;
		}
	}
	if (buf[k])
		return MUR_ERR;
	*us = mur_days_from_civil(y, m, d) * MUR_IV_USEC_PER_DAY +
	      ((int64_t)h * 3600 + mi * 60 + sec) * IV_USEC_PER_SEC + frac;
	return MUR_OK;
}

int mur_iv_us_to_ts(int64_t us, mur_buf *out)
{
	int64_t days = us / MUR_IV_USEC_PER_DAY, y;
	int m, d;
	if (us % MUR_IV_USEC_PER_DAY < 0)
		days--;
	int64_t rem = us - days * MUR_IV_USEC_PER_DAY, secs = rem / IV_USEC_PER_SEC;
	mur_civil_from_days(days, &y, &m, &d);
	if (y < 1 || y > 9999)
		return MUR_ERR;
	mur_buf_printf(out, "%04d-%02d-%02d %02d:%02d:%02d", (int)y, m, d, (int)(secs / 3600),
		       (int)(secs / 60 % 60), (int)(secs % 60));
	if (rem % IV_USEC_PER_SEC) {
		char frac[8];
		int k = snprintf(frac, sizeof frac, "%06lld", (long long)(rem % IV_USEC_PER_SEC));
		while (k > 0 && frac[k - 1] == '0')
			k--;
		mur_buf_printf(out, ".%.*s", k, frac);
	}
	return MUR_OK;
}

typedef struct iv_tm {
	int64_t year;
	int mon, mday, hour, min, sec, usec;
} iv_tm;

static void tm_of(int64_t us, iv_tm *tm)
{
	int64_t days = us / MUR_IV_USEC_PER_DAY, rem;
	if (us % MUR_IV_USEC_PER_DAY < 0)
		days--;
	rem = us - days * MUR_IV_USEC_PER_DAY;
	mur_civil_from_days(days, &tm->year, &tm->mon, &tm->mday);
	tm->hour = (int)(rem / 3600000000);
	tm->min = (int)(rem / 60000000 % 60);
	tm->sec = (int)(rem / IV_USEC_PER_SEC % 60);
	tm->usec = (int)(rem % IV_USEC_PER_SEC);
}

void mur_iv_age(int64_t us1, int64_t us2, mur_interval *out)
{
	iv_tm a, b;
	int flip = us1 < us2;
	tm_of(us1, &a);
	tm_of(us2, &b);
	int64_t f[6] = {a.usec - b.usec, a.sec - b.sec,   a.min - b.min,
			a.hour - b.hour, a.mday - b.mday, a.mon - b.mon};
	int64_t year = a.year - b.year;
	static const int64_t carry[5] = {IV_USEC_PER_SEC, 60, 60, 24, 0};
	if (flip) {
		for (int i = 0; i < 6; i++)
			f[i] = -f[i];
		year = -year;
	}
	for (int i = 0; i < 4; i++)
		while (f[i] < 0) {
			f[i] += carry[i];
			f[i + 1]--;
		}
	while (f[4] < 0) { /* days borrow the month of the earlier instant */
		const iv_tm *t = flip ? &a : &b;
		f[4] += days_in_month(t->year, t->mon);
		f[5]--;
	}
	while (f[5] < 0) {
		f[5] += 12;
		year--;
	}
	if (flip) {
		for (int i = 0; i < 6; i++)
			f[i] = -f[i];
		year = -year;
	}
	out->months = (int32_t)(year * 12 + f[5]);
	out->days = (int32_t)f[4];
	out->us = ((f[3] * 60 + f[2]) * 60 + f[1]) * IV_USEC_PER_SEC + f[0];
}
