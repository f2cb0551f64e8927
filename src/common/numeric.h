/*
 * numeric.h — exact decimal numbers with PostgreSQL's numeric semantics.
 *
 * A mur_num is an integer mantissa (GMP's mpz_t) and a display scale:
 * value = m * 10^-scale, printed with exactly `scale` digits after the
 * point ('1.50'::numeric keeps its scale, as PostgreSQL's dscale).  The
 * stored form of a numeric everywhere in murphy (SQLite shard files, the
 * node protocol, the leader's SQLite) is the text mur_num_to_text writes,
 * so this module is the only place that does numeric arithmetic.
 *
 * Result scales follow PostgreSQL's numeric.c: + and - the larger scale,
 * * the sum of the scales, / select_div_scale (at least 16 significant
 * digits, at least either input's scale, at most MUR_NUM_SCALE_MAX),
 * % the larger scale.  Rounding (numeric(p,s), round(), division) is half
 * away from zero.
 *
 * Limits (documented in docs/decisions.md): MUR_NUM_INT_DIGITS_MAX digits
 * before the point and MUR_NUM_SCALE_MAX after it; beyond them 22003
 * "value overflows numeric format".  NaN is PostgreSQL's (since
 * 2026-12-07): equal to itself and above every number, NaN out of any
 * arithmetic with a NaN operand (NaN / 0 too), printed "NaN", allowed in
 * any numeric(p,s); the infinities are refused with 0A000.
 */
#ifndef MUR_NUMERIC_H
#define MUR_NUMERIC_H

#include "common/buf.h"
#include "common/error.h"
#include "common/value.h"

#include <gmp.h>
#include <stdint.h>

/* Digits before the decimal point murphy keeps: 1000 significant digits
 * is far beyond any money or measurement and keeps one value's text under
 * a few KiB (PostgreSQL allows 131072, which nobody stores). */
#define MUR_NUM_INT_DIGITS_MAX 1000
/* Digits after the point: PostgreSQL's NUMERIC_MAX_DISPLAY_SCALE. */
#define MUR_NUM_SCALE_MAX 1000
/* PostgreSQL's NUMERIC_MAX_PRECISION: numeric(p,s) takes 1 <= p <= 1000. */
#define MUR_NUM_PRECISION_MAX 1000
/* Significant digits a division gives at least (NUMERIC_MIN_SIG_DIGITS). */
#define MUR_NUM_DIV_MIN_SIG_DIGITS 16

/* The SQLite collation comparing numeric TEXT by value (storage registers
 * it; a numeric column is declared with it, sql/plan_ddl.c). */
#define MUR_NUM_COLLATION "mur_numeric"

typedef struct mur_num {
	mpz_t m;
	int32_t scale;
	uint8_t nan; /* NaN (m 0, scale 0): PostgreSQL's numeric NaN */
} mur_num;

void mur_num_init(mur_num *a);
void mur_num_clear(mur_num *a);
void mur_num_set(mur_num *r, const mur_num *a);
void mur_num_set_int(mur_num *r, int64_t i);

/* numeric_in: blanks, sign, digits with an optional point, exponent, or
 * NaN (any case).  22P02 on bad syntax, 22003 beyond the limits, 0A000
 * for Infinity. */
int mur_num_parse(mur_num *r, const char *text, size_t len, mur_error *err);
/* A storage value as numeric: INT exactly, FLOAT as PostgreSQL's
 * float8::numeric (15 significant digits), TEXT parsed.  NULL is the
 * caller's business. */
int mur_num_from_value(mur_num *r, const mur_value *v, mur_error *err);
/* numeric_out: exactly a->scale digits after the point. */
void mur_num_to_text(const mur_num *a, mur_buf *out);
double mur_num_to_double(const mur_num *a);
/* Rounded half away from zero; 0 when it fits int64, else -1. */
int mur_num_to_int64(const mur_num *a, int64_t *out);

/* 22003 "value overflows numeric format" beyond the limits. */
int mur_num_check(const mur_num *a, mur_error *err);
int mur_num_cmp(const mur_num *a, const mur_num *b);
void mur_num_add(mur_num *r, const mur_num *a, const mur_num *b);
void mur_num_sub(mur_num *r, const mur_num *a, const mur_num *b);
void mur_num_mul(mur_num *r, const mur_num *a, const mur_num *b);
/* 22012 "division by zero". */
int mur_num_div(mur_num *r, const mur_num *a, const mur_num *b, mur_error *err);
/* a / b to exactly `scale` digits, rounded (avg's and power's helper). */
int mur_num_div_scale(mur_num *r, const mur_num *a, const mur_num *b, int scale, mur_error *err);
int mur_num_mod(mur_num *r, const mur_num *a, const mur_num *b, mur_error *err);
/* round(a, s) half away from zero / trunc(a, s); s may be negative (the
 * result's scale is then 0). */
void mur_num_round(mur_num *r, const mur_num *a, int s);
void mur_num_trunc(mur_num *r, const mur_num *a, int s);
void mur_num_floor(mur_num *r, const mur_num *a);
void mur_num_ceil(mur_num *r, const mur_num *a);
/* r = sqrt(a) rounded half away from zero to scale digits (2201F for a < 0). */
int mur_num_sqrt(mur_num *r, const mur_num *a, int scale, mur_error *err);
/* The variance (stddev: its root) of n values from their sum and sum of
 * squares, exactly as PostgreSQL's numeric one (its scales and rounding);
 * pop: divide by n, else by n - 1.  The caller checks n (NULL for n = 0,
 * or n = 1 without pop). */
int mur_num_variance(mur_num *r, const mur_num *sumx, const mur_num *sumx2, int64_t n, int pop,
		     int stddev, mur_error *err);

/* Decimal digits of |m| (0 for 0); r = a * 10^k, k < 0 dividing with
 * rounding half away from zero (numeric_trans.c's fixed point). */
int mur_num_mpz_digits(const mpz_t m);
void mur_num_mpz_shift(mpz_t r, const mpz_t a, int k);

/* sqrt, exp, ln, log(b, x) and power(x, y) of numerics exactly as
 * PostgreSQL's numeric functions: their result scales (at least 16
 * significant digits, at least the inputs' scales, numeric_sqrt /
 * numeric_exp / numeric_ln / log_var / power_var), computed on GMP fixed
 * point with guard digits and rounded half away from zero
 * (numeric_trans.c).  Errors as PostgreSQL's: 2201F (sqrt of a negative,
 * 0 ^ negative, negative ^ non-integer), 2201E (log of 0 or a negative),
 * 22012 (log base 1), 22003 beyond numeric's limits. */
int mur_num_sqrt_pg(mur_num *r, const mur_num *a, mur_error *err);
int mur_num_exp(mur_num *r, const mur_num *a, mur_error *err);
int mur_num_ln(mur_num *r, const mur_num *a, mur_error *err);
int mur_num_log(mur_num *r, const mur_num *base, const mur_num *a, mur_error *err);
int mur_num_power(mur_num *r, const mur_num *a, const mur_num *b, mur_error *err);

/* Compare two numerics in text form by value without GMP (sorting and
 * collation): [-]digits[.digits]; any other spelling (exponent, blanks)
 * goes through mur_num_parse.  Unparsable text sorts after numbers, by
 * bytes. */
int mur_num_text_cmp(const char *a, size_t la, const char *b, size_t lb);

/* Append the canonical text of numeric text a (no trailing fractional
 * zeros, no leading zeros, "0" for any zero): equal values, equal bytes
 * (1.0, 1.00 and 01 are "1").  Text that is no number is appended as is. */
void mur_num_text_canon(const char *a, size_t n, mur_buf *out);

/* Strip trailing fractional zeros: the canonical form hashes use
 * (1.0 and 1.00 are the same key). */
void mur_num_normalize(mur_num *a);

/* numeric(p,s) typmod: PostgreSQL's ((p << 16) | s) + 4 is kept as
 * (p << 16) | s in murphy (typmod -1 when unconstrained). */
#define MUR_NUM_TYPMOD(p, s) ((int32_t)(((p) << 16) | ((s)&0xffff)))
#define MUR_NUM_TYPMOD_P(t) ((int)((t) >> 16))
#define MUR_NUM_TYPMOD_S(t) ((int)(int16_t)((t)&0xffff))
/* Round to the typmod's scale, then 22003 "numeric field overflow" when
 * the value needs more than p - s digits before the point. */
int mur_num_apply_typmod(mur_num *a, int32_t typmod, mur_error *err);

/* Text of a numeric storage value v (any kind) after typmod; appended to
 * out, *res pointing at it is the caller's to build (see value.c). */
int mur_num_canon_text(const mur_value *v, int32_t typmod, mur_buf *out, mur_error *err);

#endif
