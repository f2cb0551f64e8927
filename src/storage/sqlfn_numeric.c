/*
 * sqlfn_numeric.c — PostgreSQL's numeric in SQLite: a numeric value is
 * TEXT holding its exact decimal (common/numeric.h), so the emitted SQL
 * computes on it only through these functions (the parser turns numeric
 * operators into calls of them, sql/emit.c wraps numeric comparisons and
 * sort keys):
 *
 *   mur_num_add/sub/mul/div/mod(a, b, ...)  + - * / % with PostgreSQL's
 *                                       scales, folded from the left
 *   mur_num_neg(a)                      unary minus
 *   mur_num_cmp(a, b)                   -1 / 0 / 1 by value (1.0 = 1.00)
 *   mur_num_norm(a)                     trailing fraction zeros stripped
 *   mur_num_typmod(a, typmod)           x::numeric(p,s): round, 22003
 *   mur_num_sum / mur_num_min / mur_num_max   aggregates, exact
 *   collation mur_numeric               ORDER BY, GROUP BY, keys of a
 *                                       numeric column (plan_ddl.c
 *                                       declares the column with it)
 *   stor_num_math                       round/trunc/ceil/floor/abs/sign of
 *                                       a TEXT argument (sqlfn_math.c)
 *
 * Arguments may be INTEGER, REAL or TEXT (mur_num_from_value); results are
 * TEXT.  Errors use sqlfn.c's "SQLSTATE:" convention.
 */
#include "storage/storage_int.h"

#include "common/numeric.h"

#include <sqlite3.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>

int stor_fn_num_arg(sqlite3_context *cx, sqlite3_value *v, mur_num *out)
{
	mur_value x = stor_fn_value(v);
	mur_error err;
	if (mur_num_from_value(out, &x, &err) != MUR_OK) {
		stor_fn_fail(cx, err.sqlstate, "%s", err.message);
		return -1;
	}
	return 0;
}

void stor_fn_num_result(sqlite3_context *cx, const mur_num *r)
{
	mur_buf b;
	mur_error err;
	if (mur_num_check(r, &err) != MUR_OK)
		return stor_fn_fail(cx, err.sqlstate, "%s", err.message);
	mur_buf_init(&b);
	mur_num_to_text(r, &b);
	stor_fn_result_buf(cx, &b);
	mur_buf_free(&b);
}

typedef int (*num_binop)(mur_num *r, const mur_num *a, const mur_num *b, mur_error *err);

static int op_add(mur_num *r, const mur_num *a, const mur_num *b, mur_error *err)
{
	mur_num_add(r, a, b);
	return MUR_OK;
}
static int op_sub(mur_num *r, const mur_num *a, const mur_num *b, mur_error *err)
{
	mur_num_sub(r, a, b);
	return MUR_OK;
}
static int op_mul(mur_num *r, const mur_num *a, const mur_num *b, mur_error *err)
{
	mur_num_mul(r, a, b);
	return MUR_OK;
}

/* ---- the small fast path ----
 * Most numerics in a row (prices, rates, quantities) have few digits:
 * + - * over them run on an int64 mantissa and a scale, printed as
 * mur_num_to_text prints the same value, with no GMP and no allocation.
 * Anything else — more than SMALL_DIGITS_MAX digits, an exponent, a REAL,
 * an overflow at any step — goes to the exact GMP path from the start. */

#define SMALL_DIGITS_MAX 18 /* digits an int64 mantissa always holds */

typedef struct small_num {
	int64_t m;
	int scale;
} small_num;

typedef enum small_op { SMALL_ADD, SMALL_SUB, SMALL_MUL } small_op;

/* [-]digits[.digits] of at most SMALL_DIGITS_MAX digits, or an integer. */
static int small_parse(sqlite3_value *v, small_num *out)
{
	const unsigned char *t;
	int n, digits = 0, neg = 0, i = 0;
	int64_t m = 0;
	if (sqlite3_value_type(v) == SQLITE_INTEGER) {
		out->m = sqlite3_value_int64(v);
		out->scale = 0;
		return out->m > -1000000000000000000LL && out->m < 1000000000000000000LL;
	}
	if (sqlite3_value_type(v) != SQLITE_TEXT)
		return 0;
	t = sqlite3_value_text(v);
	n = sqlite3_value_bytes(v);
	if (n > 0 && t[0] == '-')
		neg = i = 1;
	out->scale = -1;
	for (; i < n; i++) {
		if (t[i] == '.' && out->scale < 0) {
			out->scale = 0;
			continue;
		}
		if (t[i] < '0' || t[i] > '9' || ++digits > SMALL_DIGITS_MAX)
			return 0;
		m = m * 10 + (t[i] - '0');
		if (out->scale >= 0)
			out->scale++;
	}
	if (digits == 0)
		return 0;
	if (out->scale < 0)
		out->scale = 0;
	out->m = neg ? -m : m;
	return 1;
}

/* a * 10^k, 0 on overflow. */
static int small_rescale(small_num *a, int scale)
{
	while (a->scale < scale) {
		if (__builtin_mul_overflow(a->m, 10, &a->m))
			return 0;
		a->scale++;
	}
	return 1;
}

static int small_apply(small_num *acc, small_num b, small_op op)
{
	if (op == SMALL_MUL) {
		acc->scale += b.scale;
		return acc->scale <= SMALL_DIGITS_MAX &&
		       !__builtin_mul_overflow(acc->m, b.m, &acc->m);
	}
	int scale = acc->scale > b.scale ? acc->scale : b.scale;
	if (!small_rescale(acc, scale) || !small_rescale(&b, scale))
		return 0;
	return op == SMALL_ADD ? !__builtin_add_overflow(acc->m, b.m, &acc->m)
			       : !__builtin_sub_overflow(acc->m, b.m, &acc->m);
}

/* As mur_num_to_text: [-]int[.frac], "0" before the point when below 1. */
static void small_result(sqlite3_context *cx, small_num a)
{
	char rev[24], digits[24], out[48];
	size_t nd = 0, o = 0;
	uint64_t u = a.m < 0 ? (uint64_t)0 - (uint64_t)a.m : (uint64_t)a.m;
	do { /* by hand: snprintf was a tenth of a follower's time in TPC-H Q1 */
		rev[nd++] = (char)('0' + u % 10);
		u /= 10;
	} while (u);
	for (size_t i = 0; i < nd; i++)
		digits[i] = rev[nd - 1 - i];
	if (a.m < 0)
		out[o++] = '-';
	if (nd <= (size_t)a.scale) {
		out[o++] = '0';
		if (a.scale) {
			out[o++] = '.';
			for (size_t i = nd; i < (size_t)a.scale; i++)
				out[o++] = '0';
			memcpy(out + o, digits, nd);
			o += nd;
		}
	} else {
		memcpy(out + o, digits, nd - (size_t)a.scale);
		o += nd - (size_t)a.scale;
		if (a.scale) {
			out[o++] = '.';
			memcpy(out + o, digits + nd - a.scale, (size_t)a.scale);
			o += (size_t)a.scale;
		}
	}
	sqlite3_result_text(cx, out, (int)o, SQLITE_TRANSIENT);
}

/* x <=> y on the fast path (a short numeric TEXT against an INTEGER, as
 * in `sum(q) > 300`): both scaled to the larger scale in 128 bits, where
 * 18 digits times 10^18 fit.  1 when answered. */
static int small_cmp(sqlite3_value *x, sqlite3_value *y, int *out)
{
	small_num a, b;
	if (!small_parse(x, &a) || !small_parse(y, &b))
		return 0;
	__int128 p = a.m, q = b.m;
	for (int s = a.scale; s < b.scale; s++)
		p *= 10;
	for (int s = b.scale; s < a.scale; s++)
		q *= 10;
	*out = (p > q) - (p < q);
	return 1;
}

/* The chain on the fast path: 1 when answered. */
static int small_chain(sqlite3_context *cx, int argc, sqlite3_value **v, small_op op)
{
	small_num acc, b;
	if (!small_parse(v[0], &acc))
		return 0;
	for (int i = 1; i < argc; i++)
		if (!small_parse(v[i], &b) || !small_apply(&acc, b, op))
			return 0;
	small_result(cx, acc);
	return 1;
}

/* f(a, b, c...) = ((a op b) op c)...: sql/emit.c folds a left-deep chain
 * into one call (nested calls would overflow SQLite's parser stack), as
 * sqlfn.c's fold; strict: NULL once any operand is NULL. */
static void binop(sqlite3_context *cx, int argc, sqlite3_value **v, num_binop op)
{
	mur_num acc, b, r;
	mur_error err;
	int ok;
	if (argc < 2)
		return sqlite3_result_error(cx, "murphy: an operator function needs two operands",
					    -1);
	if (stor_fn_any_null(argc, v))
		return;
	mur_num_init(&acc);
	mur_num_init(&b);
	mur_num_init(&r);
	ok = !stor_fn_num_arg(cx, v[0], &acc);
	for (int i = 1; ok && i < argc; i++) {
		ok = !stor_fn_num_arg(cx, v[i], &b);
		if (ok && op(&r, &acc, &b, &err) != MUR_OK) {
			stor_fn_fail(cx, err.sqlstate, "%s", err.message);
			ok = 0;
		}
		if (ok)
			mur_num_set(&acc, &r);
	}
	if (ok)
		stor_fn_num_result(cx, &acc);
	mur_num_clear(&acc);
	mur_num_clear(&b);
	mur_num_clear(&r);
}

/* + - *: the small path when every operand is small, else GMP. */
static void small_or_binop(sqlite3_context *cx, int argc, sqlite3_value **v, small_op sop,
			   num_binop op)
{
	if (argc >= 2 && !stor_fn_any_null(argc, v) && small_chain(cx, argc, v, sop))
		return;
	binop(cx, argc, v, op);
}

static void fn_add(sqlite3_context *cx, int argc, sqlite3_value **v)
{
	small_or_binop(cx, argc, v, SMALL_ADD, op_add);
}
static void fn_sub(sqlite3_context *cx, int argc, sqlite3_value **v)
{
	small_or_binop(cx, argc, v, SMALL_SUB, op_sub);
}
static void fn_mul(sqlite3_context *cx, int argc, sqlite3_value **v)
{
	small_or_binop(cx, argc, v, SMALL_MUL, op_mul);
}
static void fn_div(sqlite3_context *cx, int argc, sqlite3_value **v)
{
	binop(cx, argc, v, mur_num_div);
}
static void fn_mod(sqlite3_context *cx, int argc, sqlite3_value **v)
{
	binop(cx, argc, v, mur_num_mod);
}

/* The value compare of two non-NULL numbers of any storage class. */
static int cmp_values(sqlite3_context *cx, sqlite3_value *x, sqlite3_value *y, int *out)
{
	mur_num a, b;
	int rc;
	if (sqlite3_value_type(x) == SQLITE_TEXT && sqlite3_value_type(y) == SQLITE_TEXT) {
		*out = mur_num_text_cmp((const char *)sqlite3_value_text(x),
					(size_t)sqlite3_value_bytes(x),
					(const char *)sqlite3_value_text(y),
					(size_t)sqlite3_value_bytes(y));
		return 0;
	}
	if (small_cmp(x, y, out))
		return 0;
	mur_num_init(&a);
	mur_num_init(&b);
	rc = stor_fn_num_arg(cx, x, &a) || stor_fn_num_arg(cx, y, &b) ? -1 : 0;
	if (!rc)
		*out = mur_num_cmp(&a, &b);
	mur_num_clear(&a);
	mur_num_clear(&b);
	return rc;
}

static void fn_cmp(sqlite3_context *cx, int argc, sqlite3_value **v)
{
	int c;
	if (stor_fn_any_null(argc, v))
		return;
	if (!cmp_values(cx, v[0], v[1], &c))
		sqlite3_result_int(cx, (c > 0) - (c < 0));
}

static void fn_neg(sqlite3_context *cx, int argc, sqlite3_value **v)
{
	mur_num a;
	if (stor_fn_any_null(argc, v))
		return;
	mur_num_init(&a);
	if (!stor_fn_num_arg(cx, v[0], &a)) {
		mpz_neg(a.m, a.m);
		stor_fn_num_result(cx, &a);
	}
	mur_num_clear(&a);
}

/* The value without trailing fraction zeros: one spelling per value, for
 * the subquery sets that compare by bytes (parser's sql_set_keys_numeric). */
static void fn_norm(sqlite3_context *cx, int argc, sqlite3_value **v)
{
	mur_num a;
	if (stor_fn_any_null(argc, v))
		return;
	mur_num_init(&a);
	if (!stor_fn_num_arg(cx, v[0], &a)) {
		mur_num_normalize(&a);
		stor_fn_num_result(cx, &a);
	}
	mur_num_clear(&a);
}

static void fn_typmod(sqlite3_context *cx, int argc, sqlite3_value **v)
{
	mur_num a;
	mur_error err;
	if (stor_fn_any_null(argc, v))
		return;
	mur_num_init(&a);
	if (!stor_fn_num_arg(cx, v[0], &a)) {
		if (mur_num_apply_typmod(&a, sqlite3_value_int(v[1]), &err) != MUR_OK)
			stor_fn_fail(cx, err.sqlstate, "%s", err.message);
		else
			stor_fn_num_result(cx, &a);
	}
	mur_num_clear(&a);
}

void stor_num_math(sqlite3_context *cx, int argc, sqlite3_value **v, stor_num_fn fn)
{
	mur_num a, r;
	if (stor_fn_any_null(argc, v))
		return;
	mur_num_init(&a);
	mur_num_init(&r);
	if (!stor_fn_num_arg(cx, v[0], &a)) {
		int s = argc > 1 ? sqlite3_value_int(v[1]) : 0;
		switch (fn) {
		case STOR_NUM_ROUND:
			mur_num_round(&r, &a, s);
			break;
		case STOR_NUM_TRUNC:
			mur_num_trunc(&r, &a, s);
			break;
		case STOR_NUM_CEIL:
			mur_num_ceil(&r, &a);
			break;
		case STOR_NUM_FLOOR:
			mur_num_floor(&r, &a);
			break;
		case STOR_NUM_ABS:
			mur_num_set(&r, &a);
			mpz_abs(r.m, r.m);
			break;
		case STOR_NUM_SIGN: /* sign(NaN) is NaN */
			if (a.nan)
				mur_num_set(&r, &a);
			else
				mur_num_set_int(&r, mpz_sgn(a.m));
			break;
		default: /* stor_num_trans's */
			mur_num_set(&r, &a);
			break;
		}
		stor_fn_num_result(cx, &r);
	}
	mur_num_clear(&a);
	mur_num_clear(&r);
}

void stor_num_trans(sqlite3_context *cx, int argc, sqlite3_value **v, stor_num_fn fn)
{
	mur_num a, b, r;
	mur_error err;
	int rc = MUR_OK;
	if (stor_fn_any_null(argc, v))
		return;
	mur_num_init(&a);
	mur_num_init(&b);
	mur_num_init(&r);
	if (!stor_fn_num_arg(cx, v[0], &a) && (argc < 2 || !stor_fn_num_arg(cx, v[1], &b))) {
		switch (fn) {
		case STOR_NUM_SQRT:
			rc = mur_num_sqrt_pg(&r, &a, &err);
			break;
		case STOR_NUM_EXP:
			rc = mur_num_exp(&r, &a, &err);
			break;
		case STOR_NUM_LN:
			rc = mur_num_ln(&r, &a, &err);
			break;
		case STOR_NUM_LOG10: /* PostgreSQL's log(x) is log(10, x) */
			mur_num_set_int(&b, 10);
			rc = mur_num_log(&r, &b, &a, &err);
			break;
		case STOR_NUM_LOG:
			rc = mur_num_log(&r, &a, &b, &err);
			break;
		case STOR_NUM_POWER:
			rc = mur_num_power(&r, &a, &b, &err);
			break;
		default:
			rc = mur_error_set(&err, SQLSTATE_INTERNAL_ERROR, "bad numeric function");
			break;
		}
		if (rc != MUR_OK)
			stor_fn_fail(cx, err.sqlstate, "%s", err.message);
		else
			stor_fn_num_result(cx, &r);
	}
	mur_num_clear(&a);
	mur_num_clear(&b);
	mur_num_clear(&r);
}

/* scale(x), min_scale(x) (NULL for NaN), trim_scale(x), div(a, b):
 * PostgreSQL's numeric_scale, numeric_min_scale, numeric_trim_scale and
 * numeric_div_trunc (the quotient truncated to an integer, scale 0). */
static void fn_scale(sqlite3_context *cx, int argc, sqlite3_value **v)
{
	mur_num a;
	if (stor_fn_any_null(argc, v))
		return;
	mur_num_init(&a);
	if (!stor_fn_num_arg(cx, v[0], &a) && !a.nan)
		sqlite3_result_int(cx, a.scale);
	mur_num_clear(&a);
}

static void fn_min_scale(sqlite3_context *cx, int argc, sqlite3_value **v)
{
	mur_num a;
	if (stor_fn_any_null(argc, v))
		return;
	mur_num_init(&a);
	if (!stor_fn_num_arg(cx, v[0], &a) && !a.nan) {
		mur_num_normalize(&a);
		sqlite3_result_int(cx, a.scale);
	}
	mur_num_clear(&a);
}

static void fn_trim_scale(sqlite3_context *cx, int argc, sqlite3_value **v)
{
	mur_num a;
	if (stor_fn_any_null(argc, v))
		return;
	mur_num_init(&a);
	if (!stor_fn_num_arg(cx, v[0], &a)) {
		mur_num_normalize(&a);
		stor_fn_num_result(cx, &a);
	}
	mur_num_clear(&a);
}

static void fn_idiv(sqlite3_context *cx, int argc, sqlite3_value **v)
{
	mur_num a, b, r;
	mur_error err;
	if (stor_fn_any_null(argc, v))
		return;
	mur_num_init(&a);
	mur_num_init(&b);
	mur_num_init(&r);
	if (!stor_fn_num_arg(cx, v[0], &a) && !stor_fn_num_arg(cx, v[1], &b)) {
		int s = a.scale > b.scale ? a.scale : b.scale;
		if (a.nan || b.nan) {
			mur_num_div(&r, &a, &b, &err); /* NaN */
			stor_fn_num_result(cx, &r);
		} else if (mpz_sgn(b.m) == 0) {
			stor_fn_fail(cx, SQLSTATE_DIVISION_BY_ZERO, "division by zero");
		} else { /* both at one scale (exact), the integer quotient truncated */
			mur_num_round(&a, &a, s);
			mur_num_round(&b, &b, s);
			mpz_tdiv_q(r.m, a.m, b.m);
			r.scale = 0;
			stor_fn_num_result(cx, &r);
		}
	}
	mur_num_clear(&a);
	mur_num_clear(&b);
	mur_num_clear(&r);
}

/* floor(a / b) of numerics, b > 0 and a >= 0 here (width_bucket). */
static int64_t num_floor_div(const mur_num *a, const mur_num *b)
{
	mur_num x, y;
	mpz_t q;
	int64_t r;
	int s = a->scale > b->scale ? a->scale : b->scale;
	mur_num_init(&x);
	mur_num_init(&y);
	mpz_init(q);
	mur_num_round(&x, a, s); /* exact: only more digits */
	mur_num_round(&y, b, s);
	mpz_fdiv_q(q, x.m, y.m);
	r = mpz_fits_slong_p(q) ? mpz_get_si(q) : INT64_MAX;
	mpz_clear(q);
	mur_num_clear(&x);
	mur_num_clear(&y);
	return r;
}

/* width_bucket(operand, low, high, count) of numerics, PostgreSQL's
 * width_bucket_numeric: 0 below the range, count + 1 at or past its end,
 * else 1 + floor((operand - low) * count / (high - low)), the bounds
 * possibly reversed; 2201G for count <= 0, equal bounds or a NaN. */
static void fn_width_bucket(sqlite3_context *cx, int argc, sqlite3_value **v)
{
	mur_num op, lo, hi, n, d, cnt;
	int64_t count, r = 0;
	int rev;
	if (stor_fn_any_null(argc, v))
		return;
	count = sqlite3_value_int64(v[3]);
	if (count <= 0)
		return stor_fn_fail(cx, "2201G", "count must be greater than zero");
	mur_num_init(&op);
	mur_num_init(&lo);
	mur_num_init(&hi);
	mur_num_init(&n);
	mur_num_init(&d);
	mur_num_init(&cnt);
	if (stor_fn_num_arg(cx, v[0], &op) || stor_fn_num_arg(cx, v[1], &lo) ||
	    stor_fn_num_arg(cx, v[2], &hi))
		goto done;
	if (op.nan || lo.nan || hi.nan) {
		stor_fn_fail(cx, "2201G", "operand, lower bound, and upper bound cannot be NaN");
		goto done;
	}
	if (mur_num_cmp(&lo, &hi) == 0) {
		stor_fn_fail(cx, "2201G", "lower bound cannot equal upper bound");
		goto done;
	}
	rev = mur_num_cmp(&lo, &hi) > 0;
	if (rev ? mur_num_cmp(&op, &lo) > 0 : mur_num_cmp(&op, &lo) < 0)
		r = 0;
	else if (rev ? mur_num_cmp(&op, &hi) <= 0 : mur_num_cmp(&op, &hi) >= 0)
		r = count + 1;
	else {
		mur_num_sub(&n, rev ? &lo : &op, rev ? &op : &lo);
		mur_num_sub(&d, rev ? &lo : &hi, rev ? &hi : &lo);
		mur_num_set_int(&cnt, count);
		mur_num_mul(&n, &n, &cnt);
		r = num_floor_div(&n, &d) + 1;
	}
	if (r > INT32_MAX)
		stor_fn_fail(cx, SQLSTATE_NUMERIC_VALUE_OUT_OF_RANGE, "integer out of range");
	else
		sqlite3_result_int64(cx, r);
done:
	mur_num_clear(&op);
	mur_num_clear(&lo);
	mur_num_clear(&hi);
	mur_num_clear(&n);
	mur_num_clear(&d);
	mur_num_clear(&cnt);
}

/* ---- aggregates ---- */

typedef struct num_agg {
	int seen;
	mur_num acc;
	mur_buf best; /* min/max: the best text so far */
} num_agg;

static num_agg *agg_state(sqlite3_context *cx)
{
	num_agg *s = sqlite3_aggregate_context(cx, (int)sizeof *s);
	if (s && !s->seen) {
		mur_num_init(&s->acc);
		mur_buf_init(&s->best);
		s->seen = 1;
	}
	return s;
}

static void sum_step(sqlite3_context *cx, int argc, sqlite3_value **v)
{
	num_agg *s;
	mur_num x;
	if (sqlite3_value_type(v[0]) == SQLITE_NULL)
		return;
	if (!(s = agg_state(cx)))
		return sqlite3_result_error_nomem(cx);
	mur_num_init(&x);
	if (!stor_fn_num_arg(cx, v[0], &x)) {
		mur_num_add(&s->acc, &s->acc, &x);
		s->seen = 2;
	}
	mur_num_clear(&x);
}

static void agg_free(num_agg *s)
{
	mur_num_clear(&s->acc);
	mur_buf_free(&s->best);
}

static void sum_final(sqlite3_context *cx)
{
	num_agg *s = sqlite3_aggregate_context(cx, 0);
	if (!s || !s->seen)
		return;
	if (s->seen == 2)
		stor_fn_num_result(cx, &s->acc);
	agg_free(s);
}

static void extreme_step(sqlite3_context *cx, sqlite3_value *x, int sign)
{
	num_agg *s;
	mur_num a;
	mur_buf t;
	if (sqlite3_value_type(x) == SQLITE_NULL)
		return;
	if (!(s = agg_state(cx)))
		return sqlite3_result_error_nomem(cx);
	mur_num_init(&a);
	mur_buf_init(&t);
	if (!stor_fn_num_arg(cx, x, &a)) {
		mur_num_to_text(&a, &t);
		if (s->seen != 2 ||
		    mur_num_text_cmp(t.data, t.len, s->best.data, s->best.len) * sign > 0) {
			mur_buf_reset(&s->best);
			mur_buf_put(&s->best, t.data, t.len);
			s->seen = 2;
		}
	}
	mur_buf_free(&t);
	mur_num_clear(&a);
}

static void min_step(sqlite3_context *cx, int argc, sqlite3_value **v)
{
	extreme_step(cx, v[0], -1);
}
static void max_step(sqlite3_context *cx, int argc, sqlite3_value **v)
{
	extreme_step(cx, v[0], 1);
}

static void extreme_final(sqlite3_context *cx)
{
	num_agg *s = sqlite3_aggregate_context(cx, 0);
	if (!s || !s->seen)
		return;
	if (s->seen == 2)
		stor_fn_result_buf(cx, &s->best);
	agg_free(s);
}

/* ---- sum over a window frame ----
 *
 * mur_num_wsum: sum(numeric) OVER (...), with an inverse so SQLite slides
 * the frame.  The result has the largest scale of the values in the frame
 * (PostgreSQL keeps maxScale and its count for the same reason): a
 * histogram of the scales seen, a few entries in practice. */

typedef struct scale_count {
	int32_t scale;
	uint32_t n;
} scale_count;

typedef struct num_wsum {
	int init;
	uint64_t n; /* non-NULL values in the frame */
	mur_num acc;
	scale_count *scales;
	uint32_t nscales, cap;
} num_wsum;

static num_wsum *wsum_state(sqlite3_context *cx, int make)
{
	num_wsum *s = sqlite3_aggregate_context(cx, make ? (int)sizeof *s : 0);
	if (s && !s->init) {
		mur_num_init(&s->acc);
		s->init = 1;
	}
	return s;
}

/* Count a value of scale sc in (+1) or out (-1) of the frame. */
static int wsum_count(num_wsum *s, int32_t sc, int delta)
{
	for (uint32_t i = 0; i < s->nscales; i++)
		if (s->scales[i].scale == sc) {
			s->scales[i].n += (uint32_t)delta;
			return 0;
		}
	if (delta < 0)
		return 0; /* an inverse of a value never added: SQLite does not */
	if (s->nscales == s->cap) {
		uint32_t cap = s->cap ? s->cap * 2 : 4;
		scale_count *m = realloc(s->scales, cap * sizeof *m);
		if (!m)
			return -1;
		s->scales = m;
		s->cap = cap;
	}
	s->scales[s->nscales++] = (scale_count){sc, 1};
	return 0;
}

static void wsum_add(sqlite3_context *cx, sqlite3_value *v, int sign)
{
	num_wsum *s;
	mur_num x;
	if (sqlite3_value_type(v) == SQLITE_NULL)
		return;
	if (!(s = wsum_state(cx, 1)))
		return sqlite3_result_error_nomem(cx);
	mur_num_init(&x);
	if (!stor_fn_num_arg(cx, v, &x)) {
		if (sign > 0)
			mur_num_add(&s->acc, &s->acc, &x);
		else
			mur_num_sub(&s->acc, &s->acc, &x);
		s->n += (uint64_t)(int64_t)sign;
		if (wsum_count(s, x.scale, sign))
			sqlite3_result_error_nomem(cx);
	}
	mur_num_clear(&x);
}

static void wsum_step(sqlite3_context *cx, int argc, sqlite3_value **v) { wsum_add(cx, v[0], 1); }

static void wsum_inverse(sqlite3_context *cx, int argc, sqlite3_value **v)
{
	wsum_add(cx, v[0], -1);
}

static void wsum_value(sqlite3_context *cx)
{
	num_wsum *s = wsum_state(cx, 0);
	int32_t top = 0;
	mur_num r;
	if (!s || !s->n)
		return; /* NULL: no value in the frame */
	for (uint32_t i = 0; i < s->nscales; i++)
		if (s->scales[i].n && s->scales[i].scale > top)
			top = s->scales[i].scale;
	mur_num_init(&r);
	mur_num_round(&r, &s->acc, top); /* exact: the digits beyond top are 0 */
	stor_fn_num_result(cx, &r);
	mur_num_clear(&r);
}

static void wsum_final(sqlite3_context *cx)
{
	num_wsum *s = wsum_state(cx, 0);
	wsum_value(cx);
	if (s) {
		mur_num_clear(&s->acc);
		free(s->scales);
	}
}

/* ---- variance, exact ----
 *
 * mur_num_variance(sum, sum_sq, n, kind): the merge of the shards' partial
 * sums; mur_num_var(x, kind): the aggregate over one shard's rows.  kind:
 * 0 var_samp, 1 var_pop, 2 stddev_samp, 3 stddev_pop (the analyzer's
 * order); common/numeric.c computes them as PostgreSQL does. */

static void variance_result(sqlite3_context *cx, const mur_num *sum, const mur_num *sq, int64_t n,
			    int kind)
{
	mur_num r;
	mur_error err;
	int pop = kind == 1 || kind == 3;
	if (n <= 0 || (!pop && n < 2))
		return; /* NULL */
	mur_num_init(&r);
	if (mur_num_variance(&r, sum, sq, n, pop, kind >= 2, &err) != MUR_OK)
		stor_fn_fail(cx, err.sqlstate, "%s", err.message);
	else
		stor_fn_num_result(cx, &r);
	mur_num_clear(&r);
}

static void fn_variance(sqlite3_context *cx, int argc, sqlite3_value **v)
{
	mur_num sum, sq;
	if (argc != 4 || stor_fn_any_null(argc, v))
		return;
	mur_num_init(&sum);
	mur_num_init(&sq);
	if (!stor_fn_num_arg(cx, v[0], &sum) && !stor_fn_num_arg(cx, v[1], &sq))
		variance_result(cx, &sum, &sq, sqlite3_value_int64(v[2]), sqlite3_value_int(v[3]));
	mur_num_clear(&sum);
	mur_num_clear(&sq);
}

typedef struct num_var {
	int init, kind;
	int64_t n;
	mur_num sum, sq;
} num_var;

static void var_step(sqlite3_context *cx, int argc, sqlite3_value **v)
{
	num_var *s = sqlite3_aggregate_context(cx, (int)sizeof *s);
	mur_num x;
	if (!s)
		return sqlite3_result_error_nomem(cx);
	if (!s->init) {
		mur_num_init(&s->sum);
		mur_num_init(&s->sq);
		s->kind = sqlite3_value_int(v[1]);
		s->init = 1;
	}
	if (sqlite3_value_type(v[0]) == SQLITE_NULL)
		return;
	mur_num_init(&x);
	if (!stor_fn_num_arg(cx, v[0], &x)) {
		mur_num_add(&s->sum, &s->sum, &x);
		mur_num_mul(&x, &x, &x);
		mur_num_add(&s->sq, &s->sq, &x);
		s->n++;
	}
	mur_num_clear(&x);
}

static void var_final(sqlite3_context *cx)
{
	num_var *s = sqlite3_aggregate_context(cx, 0);
	if (!s || !s->init)
		return;
	variance_result(cx, &s->sum, &s->sq, s->n, s->kind);
	mur_num_clear(&s->sum);
	mur_num_clear(&s->sq);
}

/* ---- collation ---- */

static int collate_numeric(void *arg, int la, const void *a, int lb, const void *b)
{
	return mur_num_text_cmp(a, (size_t)la, b, (size_t)lb);
}

static const stor_fn_def num_fns[] = {
	{"mur_num_add", -1, 1, fn_add},
	{"mur_num_sub", -1, 1, fn_sub},
	{"mur_num_mul", -1, 1, fn_mul},
	{"mur_num_div", -1, 1, fn_div},
	{"mur_num_mod", -1, 1, fn_mod},
	{"mur_num_neg", 1, 1, fn_neg},
	{"mur_num_norm", 1, 1, fn_norm},
	{"mur_num_cmp", 2, 1, fn_cmp},
	{"mur_num_typmod", 2, 1, fn_typmod},
	{"mur_num_variance", 4, 1, fn_variance},
	{"mur_width_bucket", 4, 1, fn_width_bucket},
	{"mur_num_scale", 1, 1, fn_scale},
	{"mur_num_min_scale", 1, 1, fn_min_scale},
	{"mur_num_trim_scale", 1, 1, fn_trim_scale},
	{"mur_num_idiv", 2, 1, fn_idiv},
};

int stor_register_numeric_functions(sqlite3 *db)
{
	int flags = SQLITE_UTF8 | SQLITE_INNOCUOUS | SQLITE_DETERMINISTIC;
	int rc = stor_fn_register(db, num_fns, sizeof num_fns / sizeof num_fns[0]);
	if (rc == SQLITE_OK)
		rc = sqlite3_create_function_v2(db, "mur_num_sum", 1, flags, NULL, NULL, sum_step,
						sum_final, NULL);
	if (rc == SQLITE_OK)
		rc = sqlite3_create_function_v2(db, "mur_num_min", 1, flags, NULL, NULL, min_step,
						extreme_final, NULL);
	if (rc == SQLITE_OK)
		rc = sqlite3_create_function_v2(db, "mur_num_max", 1, flags, NULL, NULL, max_step,
						extreme_final, NULL);
	if (rc == SQLITE_OK)
		rc = sqlite3_create_function_v2(db, "mur_num_var", 2, flags, NULL, NULL, var_step,
						var_final, NULL);
	if (rc == SQLITE_OK)
		rc = sqlite3_create_window_function(db, "mur_num_wsum", 1, flags, NULL, wsum_step,
						    wsum_final, wsum_value, wsum_inverse, NULL);
	if (rc == SQLITE_OK)
		rc = sqlite3_create_collation_v2(db, MUR_NUM_COLLATION, SQLITE_UTF8, NULL,
						 collate_numeric, NULL);
	return rc;
}
