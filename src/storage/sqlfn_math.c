/*
 * sqlfn_math.c — PostgreSQL's math functions as SQLite functions.  Strict
 * (NULL in, NULL out); PostgreSQL's errors for what it refuses.  A numeric
 * argument (TEXT) takes the exact numeric path: round/trunc/ceil/floor/abs
 * (stor_num_math), sqrt/exp/ln/log/power when no argument is a double
 * (stor_num_trans, common/numeric_trans.c); the others compute on doubles.
 *
 *   mur_abs                      bigint out of range for the smallest bigint
 *   mur_round, mur_rint, mur_ceil, mur_floor, mur_trunc   (x[, digits]);
 *                                rint (half to even) is float8's round
 *   mur_power, mur_sqrt          2201F where the answer is not real
 *   mur_exp, mur_ln, mur_log10, mur_log (log(x) is log10, log(b, x)),
 *   mur_cbrt, mur_sign, mur_degrees, mur_radians, mur_pi
 *                                2201E for the logarithm of zero or of a
 *                                negative number, 22003 for an overflow
 *   mur_variance(sum, sum_sq, n, kind)  a variance (kind 0 var_samp, 1 var_pop)
 *                                or standard deviation (2 stddev_samp, 3
 *                                stddev_pop) from the partials the shards
 *                                sent (sql/plan_select.c); NULL below two
 *                                rows (one for the _pop ones), as PostgreSQL
 *   mur_var_samp, mur_var_pop, mur_stddev_samp, mur_stddev_pop  the same
 *                                as SQLite aggregates, for statements that
 *                                run whole on one shard or on the leader
 *                                (Welford's running mean and squares)
 *   mur_series_first, mur_series_next  generate_series's bounds (sql/emit_srf.c)
 *   mur_series_json(a, b, step)  the series as a JSON array (a select list's)
 *   mur_regr(kind, n, sx, sy, sxx, syy, sxy)  corr, covar_*, regr_* from
 *                                the sums of the pairs (parser/analyze_regr.c)
 *   mur_rec_guard(x, max, name)  x, counting the calls of this call site in
 *                                the statement (auxdata on the constant max):
 *                                54000 past max rows (WITH RECURSIVE's bound,
 *                                sql/emit_recursive.c)
 */
#include "storage/storage_int.h"

#include "common/error.h"

#include <math.h>
#include <stdint.h>
#include <stdio.h>

/* A numeric argument is TEXT (common/numeric.h): exact arithmetic. */
static int is_numeric(sqlite3_value *v) { return sqlite3_value_type(v) == SQLITE_TEXT; }

static void fn_abs(sqlite3_context *cx, int argc, sqlite3_value **v)
{
	if (stor_fn_any_null(argc, v))
		return;
	if (is_numeric(v[0]))
		return stor_num_math(cx, argc, v, STOR_NUM_ABS);
	if (stor_fn_is_int(v[0])) {
		int64_t a = sqlite3_value_int64(v[0]);
		if (a == INT64_MIN)
			return stor_fn_fail(cx, SQLSTATE_NUMERIC_VALUE_OUT_OF_RANGE,
					    "bigint out of range");
		sqlite3_result_int64(cx, a < 0 ? -a : a);
		return;
	}
	sqlite3_result_double(cx, fabs(sqlite3_value_double(v[0])));
}

/* x * 10^d rounded with `how`, robust against binary fractions like 2.675
 * (printed to 15 significant digits first, as PostgreSQL's numeric would
 * hold the decimal literal). */
static double scaled(double x, int d, double (*how)(double))
{
	double p = pow(10.0, d), y;
	char tmp[64];
	snprintf(tmp, sizeof tmp, "%.15g", x * p);
	sscanf(tmp, "%lf", &y);
	return how(y) / p;
}

static void round_like(sqlite3_context *cx, int argc, sqlite3_value **v, double (*how)(double))
{
	if (stor_fn_any_null(argc, v))
		return;
	if (argc == 1) {
		sqlite3_result_double(cx, how(sqlite3_value_double(v[0])));
		return;
	}
	sqlite3_result_double(cx, scaled(sqlite3_value_double(v[0]), sqlite3_value_int(v[1]), how));
}

static void fn_round(sqlite3_context *cx, int argc, sqlite3_value **v)
{
	if (argc && is_numeric(v[0]))
		return stor_num_math(cx, argc, v, STOR_NUM_ROUND);
	round_like(cx, argc, v, round);
}
static void fn_rint(sqlite3_context *cx, int argc, sqlite3_value **v)
{
	round_like(cx, argc, v, rint);
}
static void fn_ceil(sqlite3_context *cx, int argc, sqlite3_value **v)
{
	if (argc && is_numeric(v[0]))
		return stor_num_math(cx, argc, v, STOR_NUM_CEIL);
	round_like(cx, argc, v, ceil);
}
static void fn_floor(sqlite3_context *cx, int argc, sqlite3_value **v)
{
	if (argc && is_numeric(v[0]))
		return stor_num_math(cx, argc, v, STOR_NUM_FLOOR);
	round_like(cx, argc, v, floor);
}
static void fn_trunc(sqlite3_context *cx, int argc, sqlite3_value **v)
{
	if (argc && is_numeric(v[0]))
		return stor_num_math(cx, argc, v, STOR_NUM_TRUNC);
	round_like(cx, argc, v, trunc);
}

/* One numeric argument (TEXT, murphy's numeric) and no double makes the
 * function numeric's, as PostgreSQL resolves power(numeric, int) to the
 * numeric one and power(numeric, float8) to float8's (analyze_func.c:
 * R_NUMERIC_IF). */
static int any_numeric(int argc, sqlite3_value **v)
{
	int num = 0;
	for (int i = 0; i < argc; i++) {
		if (sqlite3_value_type(v[i]) == SQLITE_FLOAT)
			return 0;
		num |= is_numeric(v[i]);
	}
	return num;
}

static void fn_power(sqlite3_context *cx, int argc, sqlite3_value **v)
{
	double a, b;
	if (stor_fn_any_null(argc, v))
		return;
	if (any_numeric(argc, v))
		return stor_num_trans(cx, argc, v, STOR_NUM_POWER);
	a = sqlite3_value_double(v[0]);
	b = sqlite3_value_double(v[1]);
	if (a == 0 && b < 0)
		return stor_fn_fail(cx, "2201F", "zero raised to a negative power is undefined");
	if (a < 0 && floor(b) != b)
		return stor_fn_fail(cx, "2201F",
				    "a negative number raised to a non-integer power yields a "
				    "complex "
				    "result");
	sqlite3_result_double(cx, pow(a, b));
}

static void fn_sqrt(sqlite3_context *cx, int argc, sqlite3_value **v)
{
	double a;
	if (stor_fn_any_null(argc, v))
		return;
	if (is_numeric(v[0]))
		return stor_num_trans(cx, argc, v, STOR_NUM_SQRT);
	a = sqlite3_value_double(v[0]);
	if (a < 0)
		return stor_fn_fail(cx, "2201F", "cannot take square root of a negative number");
	sqlite3_result_double(cx, sqrt(a));
}

/* The logarithm of x in base 10 (or e): 2201E for 0 and negatives. */
static int log_arg_ok(sqlite3_context *cx, double x)
{
	if (x == 0)
		stor_fn_fail(cx, "2201E", "cannot take logarithm of zero");
	else if (x < 0)
		stor_fn_fail(cx, "2201E", "cannot take logarithm of a negative number");
	return x > 0;
}

static void result_finite(sqlite3_context *cx, double r)
{
	if (isinf(r))
		return stor_fn_fail(cx, SQLSTATE_NUMERIC_VALUE_OUT_OF_RANGE,
				    "value out of range: overflow");
	sqlite3_result_double(cx, r);
}

static void fn_ln(sqlite3_context *cx, int argc, sqlite3_value **v)
{
	double x;
	if (stor_fn_any_null(argc, v))
		return;
	if (is_numeric(v[0]))
		return stor_num_trans(cx, argc, v, STOR_NUM_LN);
	x = sqlite3_value_double(v[0]);
	if (log_arg_ok(cx, x))
		sqlite3_result_double(cx, log(x));
}

/* log(x) is log10(x); log(b, x) the logarithm of x in base b. */
static void fn_log(sqlite3_context *cx, int argc, sqlite3_value **v)
{
	double b, x;
	if (stor_fn_any_null(argc, v))
		return;
	if (any_numeric(argc, v))
		return stor_num_trans(cx, argc, v, argc == 1 ? STOR_NUM_LOG10 : STOR_NUM_LOG);
	if (argc == 1) {
		x = sqlite3_value_double(v[0]);
		if (log_arg_ok(cx, x))
			sqlite3_result_double(cx, log10(x));
		return;
	}
	b = sqlite3_value_double(v[0]);
	x = sqlite3_value_double(v[1]);
	if (!log_arg_ok(cx, b) || !log_arg_ok(cx, x))
		return;
	if (b == 1)
		return stor_fn_fail(cx, SQLSTATE_DIVISION_BY_ZERO, "division by zero");
	sqlite3_result_double(cx, log(x) / log(b));
}

static void fn_exp(sqlite3_context *cx, int argc, sqlite3_value **v)
{
	if (stor_fn_any_null(argc, v))
		return;
	if (is_numeric(v[0]))
		return stor_num_trans(cx, argc, v, STOR_NUM_EXP);
	result_finite(cx, exp(sqlite3_value_double(v[0])));
}

static void fn_cbrt(sqlite3_context *cx, int argc, sqlite3_value **v)
{
	if (stor_fn_any_null(argc, v))
		return;
	sqlite3_result_double(cx, cbrt(sqlite3_value_double(v[0])));
}

static void fn_sign(sqlite3_context *cx, int argc, sqlite3_value **v)
{
	double x;
	if (stor_fn_any_null(argc, v))
		return;
	if (is_numeric(v[0]))
		return stor_num_math(cx, argc, v, STOR_NUM_SIGN);
	x = sqlite3_value_double(v[0]);
	sqlite3_result_double(cx, x > 0 ? 1.0 : x < 0 ? -1.0 : 0.0);
}

static void fn_degrees(sqlite3_context *cx, int argc, sqlite3_value **v)
{
	if (stor_fn_any_null(argc, v))
		return;
	result_finite(cx, sqlite3_value_double(v[0]) * (180.0 / M_PI));
}

static void fn_radians(sqlite3_context *cx, int argc, sqlite3_value **v)
{
	if (stor_fn_any_null(argc, v))
		return;
	sqlite3_result_double(cx, sqlite3_value_double(v[0]) * (M_PI / 180.0));
}

static void fn_pi(sqlite3_context *cx, int argc, sqlite3_value **v)
{
	(void)argc;
	(void)v;
	sqlite3_result_double(cx, M_PI);
}

enum { VAR_SAMP, VAR_POP, STDDEV_SAMP, STDDEV_POP };

/* The variance kind asks for, of n values with mean m and m2 = the sum of
 * squared differences from it; 0 when there are too few values. */
static int variance_of(int kind, double n, double m2, double *out)
{
	int pop = kind == VAR_POP || kind == STDDEV_POP;
	double v;
	if (n < (pop ? 1 : 2))
		return 0;
	v = m2 / (pop ? n : n - 1);
	if (v < 0)
		v = 0; /* rounding in sum_sq - sum^2/n */
	*out = (kind == STDDEV_SAMP || kind == STDDEV_POP) ? sqrt(v) : v;
	return 1;
}

/* A variance over infinities is NaN (PostgreSQL answers NaN), which SQLite
 * would turn into NULL: refused as NaN input is (common/value_in.c). */
static void result_variance(sqlite3_context *cx, double out)
{
	if (isnan(out))
		return stor_fn_fail(cx, SQLSTATE_FEATURE_NOT_SUPPORTED,
				    "murphy does not support NaN in double precision yet (a "
				    "variance or standard deviation over infinite values)");
	sqlite3_result_double(cx, out);
}

static void fn_variance(sqlite3_context *cx, int argc, sqlite3_value **v)
{
	double sum, n, out;
	if (argc != 4 || sqlite3_value_type(v[2]) == SQLITE_NULL)
		return;
	sum = sqlite3_value_double(v[0]);
	n = (double)sqlite3_value_int64(v[2]);
	if (n > 0 && variance_of(sqlite3_value_int(v[3]), n,
				 sqlite3_value_double(v[1]) - sum * sum / n, &out))
		result_variance(cx, out);
}

typedef struct welford {
	double n, mean, m2;
} welford;

static void var_step(sqlite3_context *cx, int argc, sqlite3_value **v)
{
	welford *w = sqlite3_aggregate_context(cx, (int)sizeof *w);
	double x, d;
	if (!w)
		return sqlite3_result_error_nomem(cx);
	if (argc < 1 || sqlite3_value_type(v[0]) == SQLITE_NULL)
		return;
	x = sqlite3_value_double(v[0]);
	w->n += 1;
	d = x - w->mean;
	w->mean += d / w->n;
	w->m2 += d * (x - w->mean);
}

static void var_final(sqlite3_context *cx)
{
	welford *w = sqlite3_aggregate_context(cx, 0);
	double out;
	if (w && variance_of((int)(intptr_t)sqlite3_user_data(cx), w->n, w->m2, &out))
		result_variance(cx, out);
}

/* generate_series's first row (sql/emit.c): 1 when a series from a to b
 * by step holds it; 0 for a NULL argument (PostgreSQL: no rows); 22023
 * for a zero step. */
static void fn_series_first(sqlite3_context *cx, int argc, sqlite3_value **v)
{
	sqlite3_int64 a, b, step;
	(void)argc;
	if (stor_fn_any_null(3, v))
		return sqlite3_result_int(cx, 0);
	a = sqlite3_value_int64(v[0]);
	b = sqlite3_value_int64(v[1]);
	step = sqlite3_value_int64(v[2]);
	if (step == 0)
		return stor_fn_fail(cx, "22023", "step size cannot equal zero");
	sqlite3_result_int(cx, step > 0 ? a <= b : a >= b);
}

/* 1 when the row after v (v + step) is still in the series up to b: no
 * overflow past bigint, as PostgreSQL stops there. */
static void fn_series_next(sqlite3_context *cx, int argc, sqlite3_value **v)
{
	sqlite3_int64 step = sqlite3_value_int64(v[2]), next;
	(void)argc;
	if (__builtin_add_overflow(sqlite3_value_int64(v[0]), step, &next))
		return sqlite3_result_int(cx, 0);
	sqlite3_result_int(cx, step > 0 ? next <= sqlite3_value_int64(v[1])
					: next >= sqlite3_value_int64(v[1]));
}

/* generate_series(a, b, step) over integers as a JSON array (a select
 * list's rows: parser/analyze_srf_list.c); NULL for a NULL argument (no
 * rows), 22023 for a zero step. */
static void fn_series_json(sqlite3_context *cx, int argc, sqlite3_value **v)
{
	sqlite3_int64 a, b, step;
	mur_buf out;
	(void)argc;
	if (stor_fn_any_null(3, v))
		return;
	a = sqlite3_value_int64(v[0]);
	b = sqlite3_value_int64(v[1]);
	step = sqlite3_value_int64(v[2]);
	if (step == 0)
		return stor_fn_fail(cx, "22023", "step size cannot equal zero");
	mur_buf_init(&out);
	mur_buf_put_u8(&out, '[');
	for (sqlite3_int64 x = a; step > 0 ? x <= b : x >= b;) {
		mur_buf_printf(&out, "%s%lld", out.len > 1 ? "," : "", (long long)x);
		if (__builtin_add_overflow(x, step, &x))
			break;
	}
	mur_buf_put_u8(&out, ']');
	if (!mur_buf_ok(&out))
		sqlite3_result_error_nomem(cx);
	else
		sqlite3_result_text(cx, out.data, (int)out.len, SQLITE_TRANSIENT);
	mur_buf_free(&out);
}

/* WITH RECURSIVE's row bound (sql/emit_recursive.c wraps the first column
 * of the recursive term): x unchanged; the count of rows lives as auxdata
 * on the constant max, which SQLite keeps for this call site while the
 * statement runs (and frees with it). */
static void fn_rec_guard(sqlite3_context *cx, int argc, sqlite3_value **v)
{
	sqlite3_int64 *n = sqlite3_get_auxdata(cx, 1), max = sqlite3_value_int64(v[1]);
	(void)argc;
	if (!n) {
		if (!(n = sqlite3_malloc64(sizeof *n)))
			return sqlite3_result_error_nomem(cx);
		*n = 0;
		sqlite3_set_auxdata(cx, 1, n, sqlite3_free);
		if (sqlite3_get_auxdata(cx, 1) != n) /* not kept: count nothing */
			return sqlite3_result_value(cx, v[0]);
	}
	if (++*n > max)
		return stor_fn_fail(cx, SQLSTATE_PROGRAM_LIMIT_EXCEEDED,
				    "recursive query \"%s\" produced more than %lld "
				    "rows" STOR_ERROR_HINT_SEP
				    "murphy stops a recursion there instead of running until "
				    "memory runs "
				    "out: bound it with a WHERE condition in the recursive term or "
				    "a LIMIT "
				    "on the query reading it",
				    (const char *)sqlite3_value_text(v[2]), (long long)max);
	sqlite3_result_value(cx, v[0]);
}

/* The two-argument statistical aggregates (parser/analyze_regr.c's kinds,
 * 2 regr_sxx .. 12 regr_r2) from n pairs' sums, with PostgreSQL's NULLs
 * (float8_regr_* in its float.c). */
static void fn_regr(sqlite3_context *cx, int argc, sqlite3_value **v)
{
	int kind = sqlite3_value_int(v[0]);
	double n = (double)sqlite3_value_int64(v[1]), sx = sqlite3_value_double(v[2]),
	       sy = sqlite3_value_double(v[3]), sxx, syy, sxy, out;
	(void)argc;
	if (n < 1 || (kind == 8 && n < 2))
		return; /* NULL */
	sxx = sqlite3_value_double(v[4]) - sx * sx / n;
	syy = sqlite3_value_double(v[5]) - sy * sy / n;
	sxy = sqlite3_value_double(v[6]) - sx * sy / n;
	if (sxx < 0)
		sxx = 0; /* rounding: a variance is never negative */
	if (syy < 0)
		syy = 0;
	switch (kind) {
	case 2:
		out = sxx;
		break;
	case 3:
		out = syy;
		break;
	case 4:
		out = sxy;
		break;
	case 5:
		out = sx / n;
		break;
	case 6:
		out = sy / n;
		break;
	case 7:
		out = sxy / n;
		break;
	case 8:
		out = sxy / (n - 1);
		break;
	case 9:
		if (sxx == 0 || syy == 0)
			return;
		out = sxy / sqrt(sxx * syy);
		break;
	case 10:
		if (sxx == 0)
			return;
		out = sxy / sxx;
		break;
	case 11:
		if (sxx == 0)
			return;
		out = (sy - sx * sxy / sxx) / n;
		break;
	case 12:
		if (sxx == 0)
			return;
		out = syy == 0 ? 1.0 : sxy * sxy / (sxx * syy);
		break;
	default:
		return;
	}
	if (isnan(out))
		return stor_fn_fail(cx, SQLSTATE_FEATURE_NOT_SUPPORTED,
				    "murphy does not support NaN in double precision yet (a "
				    "statistic over infinite values)");
	sqlite3_result_double(cx, out);
}

static const stor_fn_def math_fns[] = {
	{"mur_regr", 7, 1, fn_regr},
	{"mur_rec_guard", 3, 0, fn_rec_guard},
	{"mur_series_first", 3, 1, fn_series_first},
	{"mur_series_next", 3, 1, fn_series_next},
	{"mur_series_json", 3, 1, fn_series_json},
	{"mur_abs", 1, 1, fn_abs},
	{"mur_round", 1, 1, fn_round},
	{"mur_round", 2, 1, fn_round},
	{"mur_rint", 1, 1, fn_rint},
	{"mur_ceil", 1, 1, fn_ceil},
	{"mur_floor", 1, 1, fn_floor},
	{"mur_trunc", 1, 1, fn_trunc},
	{"mur_trunc", 2, 1, fn_trunc},
	{"mur_power", 2, 1, fn_power},
	{"mur_sqrt", 1, 1, fn_sqrt},
	{"mur_exp", 1, 1, fn_exp},
	{"mur_ln", 1, 1, fn_ln},
	{"mur_log", 1, 1, fn_log},
	{"mur_log", 2, 1, fn_log},
	{"mur_cbrt", 1, 1, fn_cbrt},
	{"mur_sign", 1, 1, fn_sign},
	{"mur_degrees", 1, 1, fn_degrees},
	{"mur_radians", 1, 1, fn_radians},
	{"mur_pi", 0, 1, fn_pi},
	{"mur_variance", 4, 1, fn_variance},
};

int stor_register_math_functions(sqlite3 *db)
{
	static const char *const aggs[] = {[VAR_SAMP] = "mur_var_samp",
					   [VAR_POP] = "mur_var_pop",
					   [STDDEV_SAMP] = "mur_stddev_samp",
					   [STDDEV_POP] = "mur_stddev_pop"};
	int flags = SQLITE_UTF8 | SQLITE_INNOCUOUS | SQLITE_DETERMINISTIC;
	int rc = stor_fn_register(db, math_fns, sizeof math_fns / sizeof math_fns[0]);
	for (int k = 0; rc == SQLITE_OK && k < 4; k++)
		rc = sqlite3_create_function_v2(db, aggs[k], 1, flags, (void *)(intptr_t)k, NULL,
						var_step, var_final, NULL);
	return rc;
}
