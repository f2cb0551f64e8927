/*
 * numeric_trans.c — sqrt, exp, ln, log and power of numerics with
 * PostgreSQL's results (contract in numeric.h).
 *
 * Result scales are PostgreSQL's (src/backend/utils/adt/numeric.c):
 *   sqrt      16 - (2 * (w + 1) - 1), w the value's base-10000 weight
 *   exp       16 - (int)(x * log10(e))
 *   ln        16 - estimate_ln_dweight(x)
 *   log(b, x) 16 - (estimate_ln_dweight(x) - estimate_ln_dweight(b))
 *   power     integer y (fits int32): 16; else 16 - (int)(y * ln(x) * log10(e))
 * each at least the inputs' scales, between 0 and MUR_NUM_SCALE_MAX.
 *
 * The values are computed on fixed point, an mpz X standing for
 * X * 10^-P, with P some guard digits past the result's scale, then
 * rounded half away from zero: ln by ten square roots (y^(1/1024) of the
 * mantissa y in [1, 10)) and the atanh series, plus e * ln(10); exp by
 * halving the argument below 0.01, the Taylor series, and squaring back;
 * sqrt by GMP's integer root (mur_num_sqrt).  Guard digits cover what the
 * reductions lose (2^10 for ln, 2^k and the result's size for exp), so a
 * result is PostgreSQL's unless the true value lies within 10^-(P) of a
 * rounding tie.
 */
#include "common/numeric.h"

#include <math.h>
#include <stdlib.h>

#define MIN_SIG 16     /* NUMERIC_MIN_SIG_DIGITS */
#define LN_HALVINGS 10 /* square roots before the atanh series */

static int clamp_scale(int s) { return s < 0 ? 0 : s > MUR_NUM_SCALE_MAX ? MUR_NUM_SCALE_MAX : s; }

static int max3(int a, int b, int c)
{
	int m = a > b ? a : b;
	return m > c ? m : c;
}

/* floor(log10(|a|)) for a != 0: the decimal exponent of its first digit. */
static int dexp(const mur_num *a) { return mur_num_mpz_digits(a->m) - a->scale - 1; }

/* a as a double (its first 17 digits and exponent: no overflow). */
static double approx(const mur_num *a, int *e10)
{
	mpz_t t;
	int nd = mur_num_mpz_digits(a->m);
	double d;
	*e10 = nd - a->scale - 1;
	mpz_init(t);
	mur_num_mpz_shift(t, a->m, 17 - nd); /* 17 digits */
	d = mpz_get_d(t) / 1e16;             /* d in [1, 10) * sign */
	mpz_clear(t);
	return d;
}

static double to_double(const mur_num *a)
{
	int e;
	double d;
	if (mpz_sgn(a->m) == 0)
		return 0;
	d = approx(a, &e);
	return e > 308 ? (d > 0 ? HUGE_VAL : -HUGE_VAL) : e < -308 ? 0 : d * pow(10, e);
}

/* PostgreSQL's estimate_ln_dweight: the decimal weight of ln(a), a > 0. */
static int ln_dweight(const mur_num *a)
{
	mur_num x, one;
	int w = 0, e;
	double d;
	if (mpz_sgn(a->m) <= 0)
		return 0;
	d = approx(a, &e);
	if ((e == -1 && d >= 9) || (e == 0 && d <= 1.1)) { /* 0.9 <= a <= 1.1 */
		mur_num_init(&x);
		mur_num_init(&one);
		mur_num_set_int(&one, 1);
		mur_num_sub(&x, a, &one);
		w = mpz_sgn(x.m) ? dexp(&x) : 0;
		mur_num_clear(&x);
		mur_num_clear(&one);
		return w;
	}
	return (int)log10(fabs(log(d) + e * 2.302585092994046));
}

/* r = fixed-point X (X * 10^-P) rounded to scale digits. */
static void from_fixed(mur_num *r, const mpz_t X, int P, int scale)
{
	mur_num_mpz_shift(r->m, X, scale - P);
	r->scale = scale;
}

/* ln(y) * 10^Q for Y = y * 10^Q, 1 <= y < 16 (ten square roots, then
 * 2 atanh((y - 1) / (y + 1)), times 2^10). */
static void ln_small(mpz_t out, const mpz_t Y, int Q)
{
	mpz_t y, one, z, z2, term, sum, t;
	mpz_inits(y, one, z, z2, term, sum, t, NULL);
	mpz_ui_pow_ui(one, 10, (unsigned long)Q);
	mpz_set(y, Y);
	for (int i = 0; i < LN_HALVINGS; i++) { /* y = sqrt(y): sqrt(Y * 10^Q) */
		mpz_mul(y, y, one);
		mpz_sqrt(y, y);
	}
	mpz_sub(z, y, one);
	mpz_mul(z, z, one);
	mpz_add(t, y, one);
	mpz_tdiv_q(z, z, t); /* z = (y - 1) / (y + 1) */
	mpz_mul(z2, z, z);
	mpz_tdiv_q(z2, z2, one);
	mpz_set(term, z);
	mpz_set(sum, z);
	for (unsigned long n = 3; mpz_sgn(term) != 0; n += 2) {
		mpz_mul(term, term, z2);
		mpz_tdiv_q(term, term, one);
		mpz_tdiv_q_ui(t, term, n);
		mpz_add(sum, sum, t);
	}
	mpz_mul_2exp(out, sum, LN_HALVINGS + 1);
	mpz_clears(y, one, z, z2, term, sum, t, NULL);
}

/* ln(a) * 10^P, a > 0: a = y * 10^e with y in [1, 10). */
static void ln_fixed(mpz_t out, const mur_num *a, int P)
{
	int e = dexp(a), Q = P + 8 + (int)log10(abs(e) + 1.0);
	mpz_t Y, l10, ten;
	mpz_inits(Y, l10, ten, NULL);
	mur_num_mpz_shift(Y, a->m, Q - a->scale - e); /* y * 10^Q */
	ln_small(out, Y, Q);
	if (e) {
		mpz_ui_pow_ui(ten, 10, (unsigned long)Q + 1);
		ln_small(l10, ten, Q);
		mpz_mul_si(l10, l10, e);
		mpz_add(out, out, l10);
	}
	mur_num_mpz_shift(out, out, P - Q);
	mpz_clears(Y, l10, ten, NULL);
}

/* exp(x) * 10^P for x = X * 10^-xs, x >= 0 and exp(x) below 10^(digits
 * the caller allowed): halve below 0.01, Taylor, square back. */
static void exp_fixed_pos(mpz_t out, const mpz_t X, int xs, double xd, int P)
{
	int k = xd > 0.01 ? (int)ceil(log2(xd * 100)) : 0;
	int Q = P + 10 + k + (int)ceil(xd * 0.4342944819032518);
	mpz_t t, one, term, sum;
	mpz_inits(t, one, term, sum, NULL);
	mpz_ui_pow_ui(one, 10, (unsigned long)Q);
	mur_num_mpz_shift(t, X, Q - xs);
	mpz_tdiv_q_2exp(t, t, (mp_bitcnt_t)k); /* x / 2^k at Q */
	mpz_set(term, one);
	mpz_set(sum, one);
	for (unsigned long n = 1; mpz_sgn(term) != 0; n++) {
		mpz_mul(term, term, t);
		mpz_tdiv_q(term, term, one);
		mpz_tdiv_q_ui(term, term, n);
		mpz_add(sum, sum, term);
	}
	for (int i = 0; i < k; i++) {
		mpz_mul(sum, sum, sum);
		mpz_tdiv_q(sum, sum, one);
	}
	mur_num_mpz_shift(out, sum, P - Q);
	mpz_clears(t, one, term, sum, NULL);
}

/* exp(x) rounded to rscale, x = X * 10^-xs (xd: its double). */
static int exp_to(mur_num *r, const mpz_t X, int xs, double xd, int rscale, mur_error *err)
{
	int P = rscale + 8;
	mpz_t ax, E, n;
	if (xd * 0.4342944819032518 > MUR_NUM_INT_DIGITS_MAX)
		return mur_error_set(err, SQLSTATE_NUMERIC_VALUE_OUT_OF_RANGE,
				     "value overflows numeric format");
	mpz_inits(ax, E, n, NULL);
	mpz_abs(ax, X);
	if (mpz_sgn(X) >= 0) {
		exp_fixed_pos(E, ax, xs, xd, P);
	} else if (-xd * 0.4342944819032518 > P + 2) {
		mpz_set_ui(E, 0); /* below 10^-(rscale + 8): rounds to 0 */
	} else {                  /* 1 / exp(|x|): 10^(P + P2) / E2 */
		int P2 = P + 10;
		exp_fixed_pos(E, ax, xs, -xd, P2);
		mpz_ui_pow_ui(n, 10, (unsigned long)(P + P2));
		mpz_tdiv_q(E, n, E);
	}
	from_fixed(r, E, P, rscale);
	mpz_clears(ax, E, n, NULL);
	return mur_num_check(r, err);
}

int mur_num_sqrt_pg(mur_num *r, const mur_num *a, mur_error *err)
{
	/* base-10000 weight, PostgreSQL's arg.weight (0 for zero) */
	int e = mpz_sgn(a->m) ? dexp(a) : 0;
	int w = e >= 0 ? e / 4 : -((-e + 3) / 4);
	int rscale = clamp_scale(max3(MIN_SIG - (2 * (w + 1) - 1), a->scale, 0));
	return mur_num_sqrt(r, a, rscale, err);
}

/* r = NaN when a is: 1 (PostgreSQL's special-value rules). */
static int nan_in(mur_num *r, const mur_num *a)
{
	if (!a->nan)
		return 0;
	mur_num_set(r, a);
	return 1;
}

int mur_num_exp(mur_num *r, const mur_num *a, mur_error *err)
{
	double x = to_double(a), val = x * 0.434294481903252;
	int rscale;
	if (nan_in(r, a))
		return MUR_OK;
	val = val > 2000 ? 2000 : val < -2000 ? -2000 : val;
	rscale = clamp_scale(max3(MIN_SIG - (int)val, a->scale, 0));
	return exp_to(r, a->m, a->scale, x, rscale, err);
}

static int ln_arg(const mur_num *a, mur_error *err)
{
	if (mpz_sgn(a->m) == 0)
		return mur_error_set(err, "2201E", "cannot take logarithm of zero");
	if (mpz_sgn(a->m) < 0)
		return mur_error_set(err, "2201E", "cannot take logarithm of a negative number");
	return MUR_OK;
}

int mur_num_ln(mur_num *r, const mur_num *a, mur_error *err)
{
	int rscale;
	mpz_t L;
	if (nan_in(r, a))
		return MUR_OK;
	if (ln_arg(a, err) != MUR_OK)
		return MUR_ERR;
	rscale = clamp_scale(max3(MIN_SIG - ln_dweight(a), a->scale, 0));
	mpz_init(L);
	ln_fixed(L, a, rscale + 8);
	from_fixed(r, L, rscale + 8, rscale);
	mpz_clear(L);
	return mur_num_check(r, err);
}

int mur_num_log(mur_num *r, const mur_num *base, const mur_num *a, mur_error *err)
{
	int wb, wx, rscale, P, rc;
	mur_num lb, lx;
	if (nan_in(r, base) || nan_in(r, a))
		return MUR_OK;
	if (ln_arg(base, err) != MUR_OK || ln_arg(a, err) != MUR_OK)
		return MUR_ERR;
	wb = ln_dweight(base);
	wx = ln_dweight(a);
	rscale = clamp_scale(max3(MIN_SIG - (wx - wb), base->scale, a->scale));
	P = rscale + 12 + 2 * (wb < 0 ? -wb : 0) + (wx > 0 ? wx : 0);
	mur_num_init(&lb);
	mur_num_init(&lx);
	ln_fixed(lb.m, base, P);
	ln_fixed(lx.m, a, P);
	lb.scale = lx.scale = P;
	rc = mpz_sgn(lb.m) == 0 ? mur_error_set(err, SQLSTATE_DIVISION_BY_ZERO, "division by zero")
				: mur_num_div_scale(r, &lx, &lb, rscale, err);
	mur_num_clear(&lb);
	mur_num_clear(&lx);
	return rc;
}

/* y as an int32 when it is an integer that fits. */
static int int_exponent(const mur_num *y, long *out)
{
	mur_num t;
	int64_t v;
	int ok;
	mur_num_init(&t);
	mur_num_trunc(&t, y, 0);
	ok = mur_num_cmp(&t, y) == 0 && mur_num_to_int64(&t, &v) == 0 && v >= INT32_MIN &&
	     v <= INT32_MAX;
	mur_num_clear(&t);
	if (ok)
		*out = (long)v;
	return ok;
}

static int power_error(mur_error *err, const char *msg)
{
	return mur_error_set(err, SQLSTATE_INVALID_ARGUMENT_FOR_POWER_FUNCTION, "%s", msg);
}

/* x^n for an int32 n, PostgreSQL's scale: at least 16, at least x's.  An
 * exact power while it stays small, else exp(n * ln|x|) with x's sign. */
static int power_int(mur_num *r, const mur_num *x, long n, mur_error *err)
{
	int rscale = clamp_scale(max3(MIN_SIG, x->scale, 0)), rc;
	unsigned long an = (unsigned long)(n < 0 ? -n : n);
	int e10;
	double digits = mpz_sgn(x->m) ? (log10(fabs(approx(x, &e10))) + e10) * (double)an : 0;
	mur_num p, one;
	if (mpz_sgn(x->m) == 0) {
		if (n < 0)
			return power_error(err, "zero raised to a negative power is undefined");
		mpz_set_ui(r->m, n == 0 ? 1 : 0);
		mur_num_mpz_shift(r->m, r->m, rscale);
		r->scale = rscale;
		return MUR_OK;
	}
	if (n < 0)
		digits = -digits; /* 1 / x^|n| */
	if (digits > MUR_NUM_INT_DIGITS_MAX + 1)
		return mur_error_set(err, SQLSTATE_NUMERIC_VALUE_OUT_OF_RANGE,
				     "value overflows numeric format");
	if (digits < -(double)rscale - 4) { /* below 10^-(rscale + 4): rounds to 0 */
		mpz_set_ui(r->m, 0);
		r->scale = rscale;
		r->nan = 0;
		return MUR_OK;
	}
	mur_num_init(&p);
	mur_num_init(&one);
	if ((double)x->scale * an <= 4 * MUR_NUM_SCALE_MAX) {
		mpz_pow_ui(p.m, x->m, an);
		p.scale = (int32_t)(x->scale * an);
		if (n >= 0) {
			mur_num_round(r, &p, rscale);
			rc = mur_num_check(r, err);
		} else {
			mur_num_set_int(&one, 1);
			rc = mur_num_div_scale(r, &one, &p, rscale, err);
		}
	} else { /* |x| near 1, a large n: through ln */
		mur_num ax, lnx, t;
		double td;
		int P = rscale + 12 + (int)log10((double)an + 1) + (int)fabs(digits);
		mur_num_init(&ax);
		mur_num_init(&lnx);
		mur_num_init(&t);
		mur_num_set(&ax, x);
		mpz_abs(ax.m, ax.m);
		ln_fixed(lnx.m, &ax, P);
		lnx.scale = P;
		mur_num_set_int(&t, n);
		mur_num_mul(&t, &t, &lnx);
		td = to_double(&t);
		rc = exp_to(r, t.m, t.scale, td, rscale, err);
		if (rc == MUR_OK && mpz_sgn(x->m) < 0 && (an & 1))
			mpz_neg(r->m, r->m);
		mur_num_clear(&ax);
		mur_num_clear(&lnx);
		mur_num_clear(&t);
	}
	mur_num_clear(&p);
	mur_num_clear(&one);
	return rc;
}

int mur_num_power(mur_num *r, const mur_num *x, const mur_num *y, mur_error *err)
{
	long n;
	int rscale, P, rc;
	double val;
	mur_num lnx, t, one;
	if (x->nan || y->nan) { /* NaN ^ 0 = 1 ^ NaN = 1, else NaN */
		mur_num_init(&one);
		mur_num_set_int(&one, y->nan ? 1 : 0);
		if (!(x->nan ? y : x)->nan && !mur_num_cmp(x->nan ? y : x, &one))
			mur_num_set_int(r, 1);
		else
			nan_in(r, x->nan ? x : y);
		mur_num_clear(&one);
		return MUR_OK;
	}
	if (int_exponent(y, &n))
		return power_int(r, x, n, err);
	if (mpz_sgn(x->m) == 0) {
		if (mpz_sgn(y->m) < 0)
			return power_error(err, "zero raised to a negative power is undefined");
		mpz_set_ui(r->m, 0);
		r->scale = MIN_SIG;
		return MUR_OK;
	}
	if (mpz_sgn(x->m) < 0)
		return power_error(err, "a negative number raised to a non-integer power yields "
					"a complex result");
	/* the result's weight from a low-precision y * ln(x) */
	val = to_double(y) * log(to_double(x) > 0 && isfinite(to_double(x)) ? to_double(x) : 10) *
	      0.434294481903252;
	if (!isfinite(to_double(x))) {
		int e;
		double d = approx(x, &e);
		val = to_double(y) * (log10(d) + e);
	}
	if (val > MUR_NUM_INT_DIGITS_MAX + 1)
		return mur_error_set(err, SQLSTATE_NUMERIC_VALUE_OUT_OF_RANGE,
				     "value overflows numeric format");
	rscale = clamp_scale(max3(MIN_SIG - (int)val, x->scale, y->scale));
	P = rscale + 12 + (val > 0 ? (int)val : 0) + mur_num_mpz_digits(y->m);
	mur_num_init(&lnx);
	mur_num_init(&t);
	ln_fixed(lnx.m, x, P);
	lnx.scale = P;
	mur_num_mul(&t, y, &lnx); /* scale P + y's: within MUR_NUM_SCALE_MAX? */
	rc = exp_to(r, t.m, t.scale, to_double(&t), rscale, err);
	mur_num_clear(&lnx);
	mur_num_clear(&t);
	return rc;
}
