/*
 * sqlfn_gcd.c — gcd, lcm and factorial as PostgreSQL's:
 *
 *   mur_gcd(a, b, kind)   gcd(int4|int8|numeric, same)
 *   mur_lcm(a, b, kind)   lcm(int4|int8|numeric, same)
 *   mur_factorial(n)      factorial(bigint) → numeric
 *
 * kind is 4 (int4), 8 (int8) or 0 (numeric), fixed by the analyzer
 * (parser/analyze_func.c) from the arguments' common type.  The integer
 * forms compute on magnitudes (so INT_MIN has one) and answer 22003
 * "integer out of range" / "bigint out of range" when the result does not
 * fit, as PostgreSQL's int4gcd / int8lcm; both answer non-negative values,
 * lcm 0 when an argument is 0.  The numeric forms bring both arguments to
 * the larger scale and take GMP's gcd / lcm of the mantissas (exact, the
 * result at that scale as PostgreSQL's numeric_gcd); NaN in, NaN out.
 * factorial of a negative number is 22003 as PostgreSQL 15; past murphy's
 * numeric range (about 449!) it is 22003 "value overflows numeric format",
 * where PostgreSQL's limit is 32177! (docs/decisions.md numeric limits).
 */
#include "storage/storage_int.h"

#include "common/numeric.h"

#include <stdint.h>

static uint64_t magnitude(int64_t x) { return x < 0 ? (uint64_t)0 - (uint64_t)x : (uint64_t)x; }

static uint64_t euclid(uint64_t a, uint64_t b)
{
	while (b) {
		uint64_t t = a % b;
		a = b;
		b = t;
	}
	return a;
}

static void int_gcd_lcm(sqlite3_context *cx, sqlite3_value **v, int kind, int lcm)
{
	uint64_t a = magnitude(sqlite3_value_int64(v[0]));
	uint64_t b = magnitude(sqlite3_value_int64(v[1]));
	uint64_t max = kind == 4 ? (uint64_t)INT32_MAX : (uint64_t)INT64_MAX;
	uint64_t g = euclid(a, b), r = g;
	int over = 0;
	if (lcm)
		over = a && b && __builtin_mul_overflow(a / g, b, &r);
	if (lcm && (!a || !b))
		r = 0;
	if (over || r > max)
		return stor_fn_fail(cx, SQLSTATE_NUMERIC_VALUE_OUT_OF_RANGE, "%s out of range",
				    kind == 4 ? "integer" : "bigint");
	sqlite3_result_int64(cx, (int64_t)r);
}

static void num_gcd_lcm(sqlite3_context *cx, sqlite3_value **v, int lcm)
{
	mur_num a, b, r;
	mur_num_init(&a);
	mur_num_init(&b);
	mur_num_init(&r);
	if (!stor_fn_num_arg(cx, v[0], &a) && !stor_fn_num_arg(cx, v[1], &b)) {
		int s = a.scale > b.scale ? a.scale : b.scale;
		if (a.nan || b.nan) {
			r.nan = 1;
		} else {
			mur_num_round(&a, &a, s); /* exact: only more digits */
			mur_num_round(&b, &b, s);
			if (lcm)
				mpz_lcm(r.m, a.m, b.m); /* 0 when either is 0 */
			else
				mpz_gcd(r.m, a.m, b.m);
			r.scale = s;
		}
		stor_fn_num_result(cx, &r);
	}
	mur_num_clear(&a);
	mur_num_clear(&b);
	mur_num_clear(&r);
}

static void gcd_lcm(sqlite3_context *cx, sqlite3_value **v, int lcm)
{
	int kind = sqlite3_value_int(v[2]);
	if (stor_fn_any_null(2, v))
		return;
	if (kind)
		int_gcd_lcm(cx, v, kind, lcm);
	else
		num_gcd_lcm(cx, v, lcm);
}

static void fn_gcd(sqlite3_context *cx, int argc, sqlite3_value **v)
{
	(void)argc;
	gcd_lcm(cx, v, 0);
}

static void fn_lcm(sqlite3_context *cx, int argc, sqlite3_value **v)
{
	(void)argc;
	gcd_lcm(cx, v, 1);
}

static void fn_factorial(sqlite3_context *cx, int argc, sqlite3_value **v)
{
	int64_t n;
	mur_num r;
	(void)argc;
	if (stor_fn_any_null(1, v))
		return;
	n = sqlite3_value_int64(v[0]);
	if (n < 0)
		return stor_fn_fail(cx, SQLSTATE_NUMERIC_VALUE_OUT_OF_RANGE,
				    "factorial of a negative number is undefined");
	if (n > MUR_NUM_INT_DIGITS_MAX) /* n! has more than n digits past 25! */
		return stor_fn_fail(cx, SQLSTATE_NUMERIC_VALUE_OUT_OF_RANGE,
				    "value overflows numeric format");
	mur_num_init(&r);
	mpz_fac_ui(r.m, (unsigned long)n);
	stor_fn_num_result(cx, &r);
	mur_num_clear(&r);
}

static const stor_fn_def gcd_fns[] = {
	{"mur_gcd", 3, 1, fn_gcd},
	{"mur_lcm", 3, 1, fn_lcm},
	{"mur_factorial", 1, 1, fn_factorial},
};

int stor_register_gcd_functions(sqlite3 *db)
{
	return stor_fn_register(db, gcd_fns, sizeof gcd_fns / sizeof gcd_fns[0]);
}
