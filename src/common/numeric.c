/*
 * numeric.c — exact decimal arithmetic on GMP integers (contract in
 * numeric.h).  A value is m * 10^-scale; every operation aligns scales by
 * multiplying mantissas by powers of ten, so the arithmetic itself is
 * GMP's.  The scale rules and select_div_scale are PostgreSQL's
 * (src/backend/utils/adt/numeric.c), restated in decimal digits: its
 * weight and first digit are in base-10000 groups aligned at the point,
 * which div_weight below computes from the decimal digits.
 */
#include "common/numeric.h"

#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

void mur_num_init(mur_num *a)
{
	mpz_init(a->m);
	a->scale = 0;
	a->nan = 0;
}

/* r = NaN when a or b (NULL: none) is one: 1, and the caller is done. */
static int nan_of(mur_num *r, const mur_num *a, const mur_num *b)
{
	if (!a->nan && !(b && b->nan)) {
		r->nan = 0;
		return 0;
	}
	mpz_set_ui(r->m, 0);
	r->scale = 0;
	r->nan = 1;
	return 1;
}

void mur_num_clear(mur_num *a) { mpz_clear(a->m); }

void mur_num_set(mur_num *r, const mur_num *a)
{
	mpz_set(r->m, a->m);
	r->scale = a->scale;
	r->nan = a->nan;
}

void mur_num_set_int(mur_num *r, int64_t i)
{
	char tmp[24];
	snprintf(tmp, sizeof tmp, "%lld", (long long)i);
	mpz_set_str(r->m, tmp, 10);
	r->scale = 0;
	r->nan = 0;
}

/* m *= 10^k (k >= 0). */
static void mul_pow10(mpz_t m, int k)
{
	mpz_t p;
	if (k <= 0)
		return;
	mpz_init(p);
	mpz_ui_pow_ui(p, 10, (unsigned long)k);
	mpz_mul(m, m, p);
	mpz_clear(p);
}

/* a's mantissa at scale s >= a->scale into out. */
static void aligned(mpz_t out, const mur_num *a, int s)
{
	mpz_set(out, a->m);
	mul_pow10(out, s - a->scale);
}

/* r = a / 10^k rounded half away from zero (round) or truncated. */
static void div_pow10(mpz_t r, const mpz_t a, int k, int round)
{
	mpz_t p, rem;
	int neg = mpz_sgn(a) < 0; /* before r is written: r may be a */
	if (k <= 0) {
		mpz_set(r, a);
		mul_pow10(r, -k);
		return;
	}
	mpz_inits(p, rem, NULL);
	mpz_ui_pow_ui(p, 10, (unsigned long)k);
	mpz_tdiv_qr(r, rem, a, p);
	if (round) {
		mpz_mul_2exp(rem, rem, 1);
		if (mpz_cmpabs(rem, p) >= 0)
			neg ? mpz_sub_ui(r, r, 1) : mpz_add_ui(r, r, 1);
	}
	mpz_clears(p, rem, NULL);
}

/* Decimal digits of |m| (0 for 0). */
static int ndigits(const mpz_t m)
{
	if (mpz_sgn(m) == 0)
		return 0;
	size_t n = mpz_sizeinbase(m, 10); /* exact or one too many */
	mpz_t p;
	mpz_init(p);
	mpz_ui_pow_ui(p, 10, (unsigned long)(n - 1));
	if (mpz_cmpabs(m, p) < 0)
		n--;
	mpz_clear(p);
	return (int)n;
}

int mur_num_mpz_digits(const mpz_t m) { return ndigits(m); }

void mur_num_mpz_shift(mpz_t r, const mpz_t a, int k) { div_pow10(r, a, -k, 1); }

int mur_num_check(const mur_num *a, mur_error *err)
{
	if (a->nan)
		return MUR_OK;
	if (a->scale > MUR_NUM_SCALE_MAX || ndigits(a->m) - a->scale > MUR_NUM_INT_DIGITS_MAX)
		return mur_error_set(err, SQLSTATE_NUMERIC_VALUE_OUT_OF_RANGE,
				     "value overflows numeric format");
	return MUR_OK;
}

static int syntax(mur_error *err, const char *text, size_t len)
{
	return mur_error_set(err, SQLSTATE_INVALID_TEXT_REPRESENTATION,
			     "invalid input syntax for type numeric: \"%.*s\"",
			     (int)(len > 200 ? 200 : len), text);
}

static int is_infinity(const char *p, size_t n)
{
	static const char *const names[] = {"infinity", "+infinity", "-infinity",
					    "inf",      "+inf",      "-inf"};
	for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
		if (strlen(names[i]) == n && !strncasecmp(p, names[i], n))
			return 1;
	return 0;
}

int mur_num_parse(mur_num *r, const char *text, size_t len, mur_error *err)
{
	const char *p = text, *end = text + len;
	int neg = 0, frac = 0, digits = 0;
	long exp = 0;
	while (p < end && isspace((unsigned char)*p))
		p++;
	while (end > p && isspace((unsigned char)end[-1]))
		end--;
	r->nan = 0;
	if (end - p == 3 && !strncasecmp(p, "nan", 3)) {
		mpz_set_ui(r->m, 0);
		r->scale = 0;
		r->nan = 1;
		return MUR_OK;
	}
	if (is_infinity(p, (size_t)(end - p)))
		return mur_error_set(err, SQLSTATE_FEATURE_NOT_SUPPORTED,
				     "murphy's numeric does not support infinity");
	if (p < end && (*p == '+' || *p == '-'))
		neg = *p++ == '-';
	char stack[128], *buf = (size_t)(end - p) < sizeof stack ? stack : malloc(len + 2);
	size_t nb = 0;
	if (!buf)
		return mur_error_set(err, SQLSTATE_OUT_OF_MEMORY, "out of memory");
	for (; p < end && isdigit((unsigned char)*p); p++, digits++)
		buf[nb++] = *p;
	if (p < end && *p == '.')
		for (p++; p < end && isdigit((unsigned char)*p); p++, digits++, frac++)
			buf[nb++] = *p;
	int rc = MUR_OK;
	if (!digits)
		rc = syntax(err, text, len);
	if (rc == MUR_OK && p < end && (*p == 'e' || *p == 'E')) {
		int eneg = 0, edig = 0;
		p++;
		if (p < end && (*p == '+' || *p == '-'))
			eneg = *p++ == '-';
		for (; p < end && isdigit((unsigned char)*p); p++, edig++)
			if (exp < 100000)
				exp = exp * 10 + (*p - '0');
		if (!edig)
			rc = syntax(err, text, len);
		exp = eneg ? -exp : exp;
	}
	if (rc == MUR_OK && p != end)
		rc = syntax(err, text, len);
	if (rc == MUR_OK && (exp > 2 * MUR_NUM_INT_DIGITS_MAX || exp < -2 * MUR_NUM_SCALE_MAX))
		rc = mur_error_set(err, SQLSTATE_NUMERIC_VALUE_OUT_OF_RANGE,
				   "value overflows numeric format");
	if (rc == MUR_OK) {
		buf[nb] = '\0';
		mpz_set_str(r->m, buf, 10);
		if (neg)
			mpz_neg(r->m, r->m);
		long s = frac - exp;
		if (s < 0) {
			mul_pow10(r->m, (int)-s);
			s = 0;
		}
		r->scale = (int32_t)s;
		rc = mur_num_check(r, err);
	}
	if (buf != stack)
		free(buf);
	return rc;
}

int mur_num_from_value(mur_num *r, const mur_value *v, mur_error *err)
{
	char tmp[64];
	switch (v->kind) {
	case MV_INT:
		mur_num_set_int(r, v->i);
		return MUR_OK;
	case MV_FLOAT:
		if (v->f != v->f)
			return mur_num_parse(r, "NaN", 3, err);
		if (v->f - v->f != 0)
			return mur_num_parse(r, "Infinity", 8, err);
		snprintf(tmp, sizeof tmp, "%.15g", v->f); /* float8_numeric: DBL_DIG digits */
		return mur_num_parse(r, tmp, strlen(tmp), err);
	case MV_TEXT:
	case MV_BLOB:
		return mur_num_parse(r, v->s, v->len, err);
	default:
		mur_num_set_int(r, 0);
		return MUR_OK;
	}
}

void mur_num_to_text(const mur_num *a, mur_buf *out)
{
	char stack[256], *s = stack;
	size_t n = mpz_sizeinbase(a->m, 10) + 2;
	if (a->nan) {
		mur_buf_put(out, "NaN", 3);
		return;
	}
	if (n > sizeof stack)
		s = malloc(n);
	if (!s)
		return;
	mpz_get_str(s, 10, a->m);
	const char *d = s;
	if (*d == '-') {
		mur_buf_put_u8(out, '-');
		d++;
	}
	size_t nd = strlen(d), sc = (size_t)a->scale;
	if (nd <= sc) {
		mur_buf_put_u8(out, '0');
		if (sc) {
			mur_buf_put_u8(out, '.');
			for (size_t i = nd; i < sc; i++)
				mur_buf_put_u8(out, '0');
			mur_buf_put(out, d, nd);
		}
	} else {
		mur_buf_put(out, d, nd - sc);
		if (sc) {
			mur_buf_put_u8(out, '.');
			mur_buf_put(out, d + nd - sc, sc);
		}
	}
	if (s != stack)
		free(s);
}

double mur_num_to_double(const mur_num *a)
{
	mur_buf b;
	if (a->nan)
		return NAN;
	mur_buf_init(&b);
	mur_num_to_text(a, &b);
	mur_buf_put_u8(&b, '\0');
	double d = b.data ? strtod((const char *)b.data, NULL) : 0;
	mur_buf_free(&b);
	return d;
}

int mur_num_to_int64(const mur_num *a, int64_t *out)
{
	mpz_t q;
	int rc = -1;
	if (a->nan)
		return -1;
	mpz_init(q);
	div_pow10(q, a->m, a->scale, 1);
	if (mpz_sizeinbase(q, 2) <= 63) {
		char tmp[32];
		mpz_get_str(tmp, 10, q);
		*out = strtoll(tmp, NULL, 10);
		rc = 0;
	}
	mpz_clear(q);
	return rc;
}

int mur_num_cmp(const mur_num *a, const mur_num *b)
{
	if (a->nan || b->nan) /* NaN = NaN, above every number (cmp_numerics) */
		return a->nan - b->nan;
	if (a->scale == b->scale)
		return mpz_cmp(a->m, b->m);
	int s = a->scale > b->scale ? a->scale : b->scale, c;
	mpz_t x, y;
	mpz_inits(x, y, NULL);
	aligned(x, a, s);
	aligned(y, b, s);
	c = mpz_cmp(x, y);
	mpz_clears(x, y, NULL);
	return c;
}

static void addsub(mur_num *r, const mur_num *a, const mur_num *b, int sub)
{
	int s = a->scale > b->scale ? a->scale : b->scale;
	mpz_t x, y;
	if (nan_of(r, a, b))
		return;
	mpz_inits(x, y, NULL);
	aligned(x, a, s);
	aligned(y, b, s);
	if (sub)
		mpz_sub(r->m, x, y);
	else
		mpz_add(r->m, x, y);
	r->scale = s;
	mpz_clears(x, y, NULL);
}

void mur_num_add(mur_num *r, const mur_num *a, const mur_num *b) { addsub(r, a, b, 0); }
void mur_num_sub(mur_num *r, const mur_num *a, const mur_num *b) { addsub(r, a, b, 1); }

void mur_num_mul(mur_num *r, const mur_num *a, const mur_num *b)
{
	if (nan_of(r, a, b))
		return;
	mpz_mul(r->m, a->m, b->m);
	r->scale = a->scale + b->scale;
	if (r->scale > MUR_NUM_SCALE_MAX) { /* mul_var's rscale is capped the same way */
		div_pow10(r->m, r->m, r->scale - MUR_NUM_SCALE_MAX, 1);
		r->scale = MUR_NUM_SCALE_MAX;
	}
}

/* PostgreSQL's weight (base-10000 group of the first non-zero digit,
 * groups aligned at the point) and that group's value, of a. */
static void div_weight(const mur_num *a, int *weight, int *first)
{
	int nd = ndigits(a->m);
	if (nd == 0) {
		*weight = 0;
		*first = 0;
		return;
	}
	int e = nd - 1 - a->scale; /* decimal exponent of the first digit */
	int w = e >= 0 ? e / 4 : -((-e + 3) / 4);
	int k = e - 4 * w + 1; /* digits in the first group: 1..4 */
	char *s = mpz_get_str(NULL, 10, a->m);
	const char *d = s[0] == '-' ? s + 1 : s;
	int f = 0;
	for (int i = 0; i < k && d[i]; i++)
		f = f * 10 + (d[i] - '0');
	for (int i = (int)strlen(d); i < k; i++)
		f *= 10;
	void (*freefunc)(void *, size_t);
	mp_get_memory_functions(NULL, NULL, &freefunc);
	freefunc(s, strlen(s) + 1);
	*weight = w;
	*first = f;
}

static int select_div_scale(const mur_num *a, const mur_num *b)
{
	int w1, f1, w2, f2;
	div_weight(a, &w1, &f1);
	div_weight(b, &w2, &f2);
	int qweight = w1 - w2;
	if (f1 <= f2)
		qweight--;
	int rscale = MUR_NUM_DIV_MIN_SIG_DIGITS - qweight * 4;
	if (rscale < a->scale)
		rscale = a->scale;
	if (rscale < b->scale)
		rscale = b->scale;
	if (rscale < 0)
		rscale = 0;
	return rscale > MUR_NUM_SCALE_MAX ? MUR_NUM_SCALE_MAX : rscale;
}

static int div_zero(mur_error *err)
{
	return mur_error_set(err, SQLSTATE_DIVISION_BY_ZERO, "division by zero");
}

int mur_num_div_scale(mur_num *r, const mur_num *a, const mur_num *b, int scale, mur_error *err)
{
	mpz_t n, d, rem;
	if (nan_of(r, a, b))
		return MUR_OK;
	if (mpz_sgn(b->m) == 0)
		return div_zero(err);
	mpz_inits(n, d, rem, NULL);
	/* mantissa = ma * 10^(sb + scale - sa) / mb */
	int k = b->scale + scale - a->scale;
	mpz_set(n, a->m);
	mpz_set(d, b->m);
	mul_pow10(n, k);
	mul_pow10(d, -k);
	mpz_tdiv_qr(r->m, rem, n, d);
	mpz_mul_2exp(rem, rem, 1);
	if (mpz_cmpabs(rem, d) >= 0)
		mpz_sgn(n) * mpz_sgn(d) < 0 ? mpz_sub_ui(r->m, r->m, 1) : mpz_add_ui(r->m, r->m, 1);
	r->scale = scale;
	mpz_clears(n, d, rem, NULL);
	return mur_num_check(r, err);
}

int mur_num_div(mur_num *r, const mur_num *a, const mur_num *b, mur_error *err)
{
	if (nan_of(r, a, b))
		return MUR_OK;
	if (mpz_sgn(b->m) == 0)
		return div_zero(err);
	return mur_num_div_scale(r, a, b, select_div_scale(a, b), err);
}

int mur_num_sqrt(mur_num *r, const mur_num *a, int scale, mur_error *err)
{
	mpz_t t;
	if (nan_of(r, a, NULL))
		return MUR_OK;
	if (mpz_sgn(a->m) < 0)
		return mur_error_set(err, SQLSTATE_INVALID_ARGUMENT_FOR_POWER_FUNCTION,
				     "cannot take square root of a negative number");
	if (scale < 0)
		scale = 0;
	/* floor(sqrt(a) * 10^(scale + 1)), then round its last digit away */
	mpz_init_set(t, a->m);
	mul_pow10(t, 2 * (scale + 1) - a->scale);
	mpz_sqrt(t, t);
	mpz_add_ui(t, t, 5);
	mpz_tdiv_q_ui(r->m, t, 10);
	r->scale = scale;
	mpz_clear(t);
	return MUR_OK;
}

int mur_num_variance(mur_num *r, const mur_num *sumx, const mur_num *sumx2, int64_t n, int pop,
		     int stddev, mur_error *err)
{
	mur_num sq, num, den, nn;
	int rc = MUR_OK;
	if (nan_of(r, sumx, sumx2))
		return MUR_OK;
	mur_num_init(&sq);
	mur_num_init(&num);
	mur_num_init(&den);
	mur_num_init(&nn);
	/* PostgreSQL's numeric_stddev_internal: (N * sumX2 - sumX^2) / (N * (N-1)
	 * or N * N), at the scale of that division, then the root at it */
	mur_num_set_int(&nn, n);
	mur_num_mul(&sq, sumx, sumx);
	mur_num_mul(&num, &nn, sumx2);
	mur_num_round(&num, &num, 2 * sumx->scale);
	mur_num_sub(&num, &num, &sq);
	mur_num_round(&num, &num, 2 * sumx->scale);
	if (mpz_sgn(num.m) <= 0) {
		mur_num_set_int(r, 0);
	} else {
		mur_num_set_int(&den, pop ? n : n - 1);
		mur_num_mul(&den, &den, &nn);
		rc = mur_num_div(r, &num, &den, err);
		if (rc == MUR_OK && stddev)
			rc = mur_num_sqrt(r, r, r->scale, err);
	}
	mur_num_clear(&sq);
	mur_num_clear(&num);
	mur_num_clear(&den);
	mur_num_clear(&nn);
	return rc;
}

int mur_num_mod(mur_num *r, const mur_num *a, const mur_num *b, mur_error *err)
{
	if (nan_of(r, a, b))
		return MUR_OK;
	if (mpz_sgn(b->m) == 0)
		return div_zero(err);
	int s = a->scale > b->scale ? a->scale : b->scale;
	mpz_t x, y;
	mpz_inits(x, y, NULL);
	aligned(x, a, s);
	aligned(y, b, s);
	mpz_tdiv_r(r->m, x, y);
	r->scale = s;
	mpz_clears(x, y, NULL);
	return MUR_OK;
}

static void rescale(mur_num *r, const mur_num *a, int s, int round)
{
	if (nan_of(r, a, NULL))
		return;
	if (s < -MUR_NUM_INT_DIGITS_MAX - 1)
		s = -MUR_NUM_INT_DIGITS_MAX - 1;
	if (s >= a->scale) {
		aligned(r->m, a, s);
		r->scale = s;
		return;
	}
	div_pow10(r->m, a->m, a->scale - s, round);
	if (s < 0)
		mul_pow10(r->m, -s);
	r->scale = s < 0 ? 0 : s;
}

void mur_num_round(mur_num *r, const mur_num *a, int s) { rescale(r, a, s, 1); }
void mur_num_trunc(mur_num *r, const mur_num *a, int s) { rescale(r, a, s, 0); }

void mur_num_floor(mur_num *r, const mur_num *a)
{
	mpz_t p;
	if (nan_of(r, a, NULL))
		return;
	mpz_init(p);
	mpz_ui_pow_ui(p, 10, (unsigned long)a->scale);
	mpz_fdiv_q(r->m, a->m, p);
	r->scale = 0;
	mpz_clear(p);
}

void mur_num_ceil(mur_num *r, const mur_num *a)
{
	mpz_t p;
	if (nan_of(r, a, NULL))
		return;
	mpz_init(p);
	mpz_ui_pow_ui(p, 10, (unsigned long)a->scale);
	mpz_cdiv_q(r->m, a->m, p);
	r->scale = 0;
	mpz_clear(p);
}

void mur_num_normalize(mur_num *a)
{
	while (a->scale > 0 && mpz_divisible_ui_p(a->m, 10)) {
		mpz_divexact_ui(a->m, a->m, 10);
		a->scale--;
	}
	if (mpz_sgn(a->m) == 0)
		a->scale = 0;
}

int mur_num_apply_typmod(mur_num *a, int32_t typmod, mur_error *err)
{
	if (typmod < 0 || a->nan) /* NaN fits any numeric(p,s) */
		return mur_num_check(a, err);
	int p = MUR_NUM_TYPMOD_P(typmod), s = MUR_NUM_TYPMOD_S(typmod);
	mur_num_round(a, a, s);
	if (ndigits(a->m) - s > p - s) {
		mur_error_set(err, SQLSTATE_NUMERIC_VALUE_OUT_OF_RANGE, "numeric field overflow");
		if (err)
			mur_error_detail(err,
					 "A field with precision %d, scale %d must round to an "
					 "absolute value less than %s%d.",
					 p, s, p - s ? "10^" : "", p - s ? p - s : 1);
		return MUR_ERR;
	}
	return MUR_OK;
}

int mur_num_canon_text(const mur_value *v, int32_t typmod, mur_buf *out, mur_error *err)
{
	mur_num a;
	mur_num_init(&a);
	int rc = mur_num_from_value(&a, v, err);
	if (rc == MUR_OK)
		rc = mur_num_apply_typmod(&a, typmod, err);
	if (rc == MUR_OK)
		mur_num_to_text(&a, out);
	mur_num_clear(&a);
	return rc;
}

/* a as sign, integer digits without leading zeros, fraction digits
 * without trailing zeros; 0 when a is not plain [-+]digits[.digits]. */
typedef struct num_text {
	int neg;
	const char *ip, *fp;
	size_t il, fl;
} num_text;

static int split_text(const char *a, size_t n, num_text *t)
{
	size_t i = 0, digits = 0;
	t->neg = 0;
	if (i < n && (a[i] == '-' || a[i] == '+'))
		t->neg = a[i++] == '-';
	while (i < n && a[i] == '0')
		i++, digits++;
	t->ip = a + i;
	while (i < n && a[i] >= '0' && a[i] <= '9')
		i++, digits++;
	t->il = (size_t)(a + i - t->ip);
	t->fp = a + i;
	t->fl = 0;
	if (i < n && a[i] == '.') {
		t->fp = a + ++i;
		while (i < n && a[i] >= '0' && a[i] <= '9')
			i++, digits++;
		t->fl = (size_t)(a + i - t->fp);
		while (t->fl && t->fp[t->fl - 1] == '0')
			t->fl--;
	}
	if (i != n || !digits)
		return 0;
	if (!t->il && !t->fl)
		t->neg = 0; /* -0.00 is 0 */
	return 1;
}

static int cmp_abs_text(const num_text *x, const num_text *y)
{
	if (x->il != y->il)
		return x->il < y->il ? -1 : 1;
	int c = memcmp(x->ip, y->ip, x->il);
	if (c)
		return c;
	size_t m = x->fl < y->fl ? x->fl : y->fl;
	c = memcmp(x->fp, y->fp, m);
	if (c)
		return c;
	return (x->fl > y->fl) - (x->fl < y->fl);
}

static int cmp_parsed(const char *a, size_t la, const char *b, size_t lb)
{
	mur_num x, y;
	int c, okx, oky;
	mur_num_init(&x);
	mur_num_init(&y);
	okx = mur_num_parse(&x, a, la, NULL) == MUR_OK;
	oky = mur_num_parse(&y, b, lb, NULL) == MUR_OK;
	if (okx && oky)
		c = mur_num_cmp(&x, &y);
	else if (okx != oky)
		c = okx ? -1 : 1;
	else {
		c = memcmp(a, b, la < lb ? la : lb);
		c = c ? c : (la > lb) - (la < lb);
	}
	mur_num_clear(&x);
	mur_num_clear(&y);
	return c;
}

void mur_num_text_canon(const char *a, size_t n, mur_buf *out)
{
	num_text t;
	mur_num x;
	if (split_text(a, n, &t)) { /* the common spelling: no GMP */
		if (!t.il && !t.fl) {
			mur_buf_put(out, "0", 1);
			return;
		}
		if (t.neg)
			mur_buf_put(out, "-", 1);
		if (t.il)
			mur_buf_put(out, t.ip, t.il);
		else
			mur_buf_put(out, "0", 1);
		if (t.fl) {
			mur_buf_put(out, ".", 1);
			mur_buf_put(out, t.fp, t.fl);
		}
		return;
	}
	mur_num_init(&x);
	if (mur_num_parse(&x, a, n, NULL) == MUR_OK) {
		mur_num_normalize(&x);
		mur_num_to_text(&x, out);
	} else {
		mur_buf_put(out, a, n); /* not a number: itself */
	}
	mur_num_clear(&x);
}

int mur_num_text_cmp(const char *a, size_t la, const char *b, size_t lb)
{
	num_text x, y;
	if (!split_text(a, la, &x) || !split_text(b, lb, &y))
		return cmp_parsed(a, la, b, lb);
	if (x.neg != y.neg)
		return x.neg ? -1 : 1;
	int c = cmp_abs_text(&x, &y);
	c = (c > 0) - (c < 0);
	return x.neg ? -c : c;
}
