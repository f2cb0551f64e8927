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
#include <string.h>

static int arg_num(sqlite3_context *cx, sqlite3_value *v, mur_num *out)
{
	mur_value x = stor_fn_value(v);
	mur_error err;
	if (mur_num_from_value(out, &x, &err) != MUR_OK) {
		stor_fn_fail(cx, err.sqlstate, "%s", err.message);
		return -1;
	}
	return 0;
}

static void result_num(sqlite3_context *cx, const mur_num *r)
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
	ok = !arg_num(cx, v[0], &acc);
	for (int i = 1; ok && i < argc; i++) {
		ok = !arg_num(cx, v[i], &b);
		if (ok && op(&r, &acc, &b, &err) != MUR_OK) {
			stor_fn_fail(cx, err.sqlstate, "%s", err.message);
			ok = 0;
		}
		if (ok)
			mur_num_set(&acc, &r);
	}
	if (ok)
		result_num(cx, &acc);
	mur_num_clear(&acc);
	mur_num_clear(&b);
	mur_num_clear(&r);
}

static void fn_add(sqlite3_context *cx, int argc, sqlite3_value **v) { binop(cx, argc, v, op_add); }
static void fn_sub(sqlite3_context *cx, int argc, sqlite3_value **v) { binop(cx, argc, v, op_sub); }
static void fn_mul(sqlite3_context *cx, int argc, sqlite3_value **v) { binop(cx, argc, v, op_mul); }
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
	mur_num_init(&a);
	mur_num_init(&b);
	rc = arg_num(cx, x, &a) || arg_num(cx, y, &b) ? -1 : 0;
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
	if (!arg_num(cx, v[0], &a)) {
		mpz_neg(a.m, a.m);
		result_num(cx, &a);
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
	if (!arg_num(cx, v[0], &a)) {
		mur_num_normalize(&a);
		result_num(cx, &a);
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
	if (!arg_num(cx, v[0], &a)) {
		if (mur_num_apply_typmod(&a, sqlite3_value_int(v[1]), &err) != MUR_OK)
			stor_fn_fail(cx, err.sqlstate, "%s", err.message);
		else
			result_num(cx, &a);
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
	if (!arg_num(cx, v[0], &a)) {
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
		case STOR_NUM_SIGN:
			mur_num_set_int(&r, mpz_sgn(a.m));
			break;
		}
		result_num(cx, &r);
	}
	mur_num_clear(&a);
	mur_num_clear(&r);
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
	if (!arg_num(cx, v[0], &x)) {
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
		result_num(cx, &s->acc);
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
	if (!arg_num(cx, x, &a)) {
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

/* ---- collation ---- */

static int collate_numeric(void *arg, int la, const void *a, int lb, const void *b)
{
	return mur_num_text_cmp(a, (size_t)la, b, (size_t)lb);
}

static const stor_fn_def num_fns[] = {
	{"mur_num_add", -1, 1, fn_add},      {"mur_num_sub", -1, 1, fn_sub},
	{"mur_num_mul", -1, 1, fn_mul},      {"mur_num_div", -1, 1, fn_div},
	{"mur_num_mod", -1, 1, fn_mod},      {"mur_num_neg", 1, 1, fn_neg},
	{"mur_num_norm", 1, 1, fn_norm},     {"mur_num_cmp", 2, 1, fn_cmp},
	{"mur_num_typmod", 2, 1, fn_typmod},
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
		rc = sqlite3_create_collation_v2(db, MUR_NUM_COLLATION, SQLITE_UTF8, NULL,
						 collate_numeric, NULL);
	return rc;
}
