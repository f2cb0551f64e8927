/*
 * test_numx.c — numeric expressions in the hash aggregate (src/ops/numx.c):
 * the fixed-point way against the exact GMP way over random operands
 * (short, long, negative, INT, NULL; every shape of + - * and unary
 * minus), malformed programs refused, and the hash aggregate's NUM_SUM
 * and COUNT of an expression against sums computed with common/numeric.h.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "ops/hashagg.h"
#include "ops/numx.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static exec_numx prog(int n, const exec_numx_op *ops)
{
	exec_numx x;
	memset(&x, 0, sizeof x);
	x.nops = (uint32_t)n;
	memcpy(x.ops, ops, sizeof *ops * (size_t)n);
	return x;
}

#define COL(i) ((exec_numx_op){.op = EXEC_NUMX_COL, .arg = (i)})
#define CONST(m, s) ((exec_numx_op){.op = EXEC_NUMX_CONST, .scale = (s), .arg = (m)})
#define OP(o) ((exec_numx_op){.op = (o)})

/* A random operand: mostly short decimal text, sometimes long (past the
 * fast path), an INT, a zero or NULL.  Text lives in buf. */
static mur_value rand_value(char *buf, size_t n)
{
	int r = rand() % 20, ip = 1 + rand() % 8, fp = rand() % 5, o = 0;
	if (r == 0)
		return mur_v_null();
	if (r == 1)
		return mur_v_int((int64_t)(rand() % 2001) - 1000);
	if (r == 2)
		ip = 20 + rand() % 18; /* long: a product leaves 128 bits */
	if (r == 3)
		return mur_v_text("0.00", 4);
	if (rand() % 3 == 0)
		buf[o++] = '-';
	for (int i = 0; i < ip && o < (int)n - 10; i++)
		buf[o++] = (char)('0' + (i == 0 && ip > 1 ? 1 + rand() % 9 : rand() % 10));
	if (fp) {
		buf[o++] = '.';
		for (int i = 0; i < fp; i++)
			buf[o++] = (char)('0' + rand() % 10);
	}
	return mur_v_text(buf, (size_t)o);
}

static void test_fast_equals_exact(void **state)
{
	(void)state;
	const exec_numx shapes[] = {
		/* c0 * (1 - c1) * (1 + c2): TPC-H's Q1 */
		prog(9, (exec_numx_op[]){COL(0), CONST(1, 0), COL(1), OP(EXEC_NUMX_SUB),
					 OP(EXEC_NUMX_MUL), CONST(1, 0), COL(2), OP(EXEC_NUMX_ADD),
					 OP(EXEC_NUMX_MUL)}),
		prog(3, (exec_numx_op[]){COL(0), COL(1), OP(EXEC_NUMX_MUL)}),
		prog(6, (exec_numx_op[]){COL(0), OP(EXEC_NUMX_NEG), COL(2), CONST(-125, 2),
					 OP(EXEC_NUMX_SUB), OP(EXEC_NUMX_MUL)}),
		prog(7, (exec_numx_op[]){COL(0), COL(1), OP(EXEC_NUMX_MUL), COL(2),
					 OP(EXEC_NUMX_MUL), COL(0), OP(EXEC_NUMX_ADD)}),
	};
	char b0[64], b1[64], b2[64];
	mur_num r, f;
	mur_error err;
	int fast = 0;
	numx_row row;
	assert_int_equal(numx_row_init(&row, 3), MUR_OK);
	srand(19);
	mur_num_init(&r);
	mur_num_init(&f);
	for (int it = 0; it < 20000; it++) {
		const exec_numx *x = &shapes[it % 4];
		mur_value v[3] = {rand_value(b0, sizeof b0), rand_value(b1, sizeof b1),
				  rand_value(b2, sizeof b2)};
		__int128 m;
		int32_t s;
		int is_null;
		if (x == &shapes[2])
			v[1] = mur_v_null(); /* not read: no effect */
		assert_int_equal(exec_numx_validate(x, 3, &err), MUR_OK);
		numx_row_start(&row, v);
		numx_outcome o = exec_numx_fast(x, &row, &m, &s);
		__int128 m2;
		int32_t s2;
		/* again over the same row: its columns come parsed */
		assert_int_equal(exec_numx_fast(x, &row, &m2, &s2), o);
		assert_true(o != NUMX_FAST || (m2 == m && s2 == s));
		assert_int_equal(exec_numx_exact(x, v, &r, &is_null, &err), MUR_OK);
		assert_int_equal(is_null, o == NUMX_NULL);
		assert_int_equal(exec_numx_is_null(x, v), o == NUMX_NULL);
		if (o != NUMX_FAST)
			continue;
		fast++;
		mur_buf a, b;
		mur_buf_init(&a);
		mur_buf_init(&b);
		mpz_set_si(f.m, 0);
		/* the fast value as text, through GMP, against the exact text */
		{
			unsigned __int128 u = m < 0 ? -(unsigned __int128)m : (unsigned __int128)m;
			char digits[64];
			int nd = 0;
			do {
				digits[nd++] = (char)('0' + (int)(u % 10));
				u /= 10;
			} while (u);
			for (int i = nd - 1; i >= 0; i--)
				mpz_mul_ui(f.m, f.m, 10),
					mpz_add_ui(f.m, f.m, (unsigned)(digits[i] - '0'));
			if (m < 0)
				mpz_neg(f.m, f.m);
			f.scale = s;
		}
		mur_num_to_text(&f, &a);
		mur_num_to_text(&r, &b);
		assert_int_equal(a.len, b.len);
		assert_memory_equal(a.data, b.data, a.len);
		mur_buf_free(&a);
		mur_buf_free(&b);
	}
	assert_true(fast > 10000); /* the fast way is the common one */
	numx_row_free(&row);
	mur_num_clear(&r);
	mur_num_clear(&f);
}

static void test_malformed_refused(void **state)
{
	(void)state;
	mur_error err;
	exec_numx x = prog(2, (exec_numx_op[]){COL(0), OP(EXEC_NUMX_MUL)}); /* underflow */
	assert_int_not_equal(exec_numx_validate(&x, 2, &err), MUR_OK);
	x = prog(2, (exec_numx_op[]){COL(0), COL(1)}); /* two values left */
	assert_int_not_equal(exec_numx_validate(&x, 2, &err), MUR_OK);
	x = prog(1, (exec_numx_op[]){COL(2)}); /* no such column */
	assert_int_not_equal(exec_numx_validate(&x, 2, &err), MUR_OK);
	x = prog(1, (exec_numx_op[]){COL(-1)});
	assert_int_not_equal(exec_numx_validate(&x, 2, &err), MUR_OK);
	x = prog(1, (exec_numx_op[]){OP(EXEC_NUMX_NEG)});
	assert_int_not_equal(exec_numx_validate(&x, 2, &err), MUR_OK);
	x = prog(1, (exec_numx_op[]){OP(99)});
	assert_int_not_equal(exec_numx_validate(&x, 2, &err), MUR_OK);
	x = prog(0, (exec_numx_op[]){COL(0)});
	assert_int_not_equal(exec_numx_validate(&x, 2, &err), MUR_OK);
	x = prog(1, (exec_numx_op[]){CONST(1, EXEC_NUMX_SCALE_MAX + 1)});
	assert_int_not_equal(exec_numx_validate(&x, 2, &err), MUR_OK);
	x = prog(3, (exec_numx_op[]){COL(0), COL(1), OP(EXEC_NUMX_MUL)});
	assert_int_equal(exec_numx_validate(&x, 2, &err), MUR_OK);

	/* the aggregate: only NUM_SUM and COUNT read an expression, which
	 * must exist */
	exec_agg_spec s;
	memset(&s, 0, sizeof s);
	s.naggs = 1;
	s.nexprs = 1;
	s.exprs[0] = x;
	s.aggs[0] = (exec_agg){.fn = EXEC_AGG_NUM_MIN, .col = EXEC_AGG_COL_EXPR};
	assert_int_not_equal(exec_hashagg_validate(&s, 2, &err), MUR_OK);
	s.aggs[0] = (exec_agg){.fn = EXEC_AGG_NUM_SUM, .col = EXEC_AGG_COL_EXPR | 1};
	assert_int_not_equal(exec_hashagg_validate(&s, 2, &err), MUR_OK);
	s.aggs[0] = (exec_agg){.fn = EXEC_AGG_NUM_SUM, .col = EXEC_AGG_COL_EXPR};
	assert_int_equal(exec_hashagg_validate(&s, 2, &err), MUR_OK);
	assert_int_not_equal(exec_hashagg_validate(&s, 1, &err), MUR_OK); /* reads c1 */
}

/* Rows (group, p, d): sum(p * (1 - d)) and count(p * (1 - d)) per group,
 * and sum(p) beside, through add_row. */
static void test_hashagg_sums_an_expression(void **state)
{
	(void)state;
	static const char *const rows[][3] = {
		{"a", "1.50", "0.05"},
		{"a", "-2.25", "0.10"},
		{"a", NULL, "0.1"},
		{"a", "3", "0.000"},
		{"b", "2.5", NULL},
		{"b", NULL, NULL},
		{"c", "99999999999999999999999999999999", "0.5"}, /* 32 digits: exact */
		{"c", "1.5", "-1.00"},
	};
	/* a: 1.4250 - 2.0250 + 3.000 = 2.4000; b: no value; c: 5e31 - 0.5 + 3.000 */
	static const char *const sum[] = {"2.4000", NULL, "50000000000000000000000000000002.500"};
	static const int64_t count[] = {3, 0, 2};
	exec_agg_spec s;
	mur_error err;
	memset(&s, 0, sizeof s);
	s.ngroup = 1;
	s.naggs = 2;
	s.nexprs = 1;
	s.exprs[0] = prog(5, (exec_numx_op[]){COL(1), CONST(1, 0), COL(2), OP(EXEC_NUMX_SUB),
					      OP(EXEC_NUMX_MUL)});
	s.aggs[0] = (exec_agg){.fn = EXEC_AGG_NUM_SUM, .col = EXEC_AGG_COL_EXPR};
	s.aggs[1] = (exec_agg){.fn = EXEC_AGG_COUNT, .col = EXEC_AGG_COL_EXPR};
	assert_int_equal(exec_hashagg_validate(&s, 3, &err), MUR_OK);
	exec_hashagg *h = exec_hashagg_create(&s, 3);
	assert_non_null(h);
	for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
		mur_value v[3];
		for (int c = 0; c < 3; c++)
			v[c] = rows[i][c] ? mur_v_text(rows[i][c], strlen(rows[i][c]))
					  : mur_v_null();
		assert_int_equal(exec_hashagg_add_row(h, v), MUR_OK);
	}
	mur_buf out;
	uint64_t n;
	mur_rd r;
	mur_buf_init(&out);
	assert_int_equal(exec_hashagg_finish(h, &out, &n), MUR_OK);
	assert_int_equal(n, 3);
	mur_rd_init(&r, out.data, out.len);
	for (int g = 0; g < 3; g++) {
		mur_value k, v, c;
		assert_int_equal(mur_row_get_value(&r, &k), MUR_OK);
		assert_int_equal(mur_row_get_value(&r, &v), MUR_OK);
		assert_int_equal(mur_row_get_value(&r, &c), MUR_OK);
		if (!sum[g]) {
			assert_int_equal(v.kind, MV_NULL);
		} else {
			assert_int_equal(v.kind, MV_TEXT);
			assert_int_equal(v.len, strlen(sum[g]));
			assert_memory_equal(v.s, sum[g], v.len);
		}
		assert_int_equal(c.kind, MV_INT);
		assert_int_equal(c.i, count[g]);
	}
	mur_buf_free(&out);
	exec_hashagg_destroy(h);
}

/* The fast parse takes plain short decimals only, with their scale; the
 * rest goes exact. */
static void test_parse_fast(void **state)
{
	(void)state;
	static const struct {
		const char *t;
		int ok;
		int64_t m;
		int32_t scale;
	} cases[] = {
		{"0", 1, 0, 0},
		{"-1.50", 1, -150, 2},
		{"0.000", 1, 0, 3},
		{"123456789012345678.9", 1, 1234567890123456789, 1},
		{"", 0, 0, 0},
		{"-", 0, 0, 0},
		{".", 0, 0, 0},
		{"1.2.3", 0, 0, 0},
		{"+1", 0, 0, 0},
		{" 1", 0, 0, 0},
		{"1e3", 0, 0, 0},
		{"1234567890123456789012345678901234567", 0, 0, 0}, /* 37 digits */
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		mur_value v = mur_v_text(cases[i].t, strlen(cases[i].t));
		__int128 m = 0;
		int32_t s = 0;
		assert_int_equal(exec_numx_parse_fast(&v, &m, &s), cases[i].ok);
		if (cases[i].ok) {
			assert_true(m == cases[i].m);
			assert_int_equal(s, cases[i].scale);
		}
	}
	mur_value big = mur_v_text("-999999999999999999999999999999999999.5", 39); /* 37 digits */
	__int128 m;
	int32_t s;
	assert_int_equal(exec_numx_parse_fast(&big, &m, &s), 0);
	big = mur_v_text("-99999999999999999999999999999999999.9", 38); /* 36 digits */
	assert_int_equal(exec_numx_parse_fast(&big, &m, &s), 1);
	assert_true(m == -(numx_pow10[36] - 1));
	assert_int_equal(s, 1);
}

/* A column parsed once is parsed again at the next row, also after the
 * row counter wraps (2^32 rows). */
static void test_row_cache_wraps(void **state)
{
	(void)state;
	numx_row r;
	mur_value five = mur_v_text("5", 1), null = mur_v_null();
	assert_int_equal(numx_row_init(&r, 1), MUR_OK);
	numx_row_start(&r, &five);
	assert_non_null(numx_row_col(&r, 0));
	assert_true(numx_row_col(&r, 0)->m == 5);
	r.gen = UINT32_MAX;         /* as after 2^32 - 3 more rows that did not read it */
	for (int i = 0; i < 3; i++) /* the counter wraps and comes back to 2 */
		numx_row_start(&r, &null);
	assert_null(numx_row_col(&r, 0));
	numx_row_free(&r);
}

/* -(2^63 * -2^64) is 2^127, past 128 bits: the exact way. */
static void test_negate_the_most_negative(void **state)
{
	(void)state;
	exec_numx x = prog(4,
			   (exec_numx_op[]){COL(0), COL(1), OP(EXEC_NUMX_MUL), OP(EXEC_NUMX_NEG)});
	mur_value v[2] = {mur_v_text("9223372036854775808", 19),
			  mur_v_text("-18446744073709551616", 21)};
	numx_row r;
	__int128 m;
	int32_t s;
	int is_null;
	mur_num out;
	mur_error err;
	mur_buf b;
	assert_int_equal(numx_row_init(&r, 2), MUR_OK);
	numx_row_start(&r, v);
	assert_int_equal(exec_numx_fast(&x, &r, &m, &s), NUMX_SLOW);
	mur_num_init(&out);
	assert_int_equal(exec_numx_exact(&x, v, &out, &is_null, &err), MUR_OK);
	mur_buf_init(&b);
	mur_num_to_text(&out, &b);
	assert_int_equal(b.len, 39);
	assert_memory_equal(b.data, "170141183460469231731687303715884105728", 39);
	mur_buf_free(&b);
	mur_num_clear(&out);
	numx_row_free(&r);
}

static void test_describe(void **state)
{
	(void)state;
	char buf[NUMX_DESCRIBE_BYTES];
	exec_numx x = prog(7, (exec_numx_op[]){COL(3), CONST(1, 0), COL(4), OP(EXEC_NUMX_SUB),
					       OP(EXEC_NUMX_MUL), CONST(-5, 2), OP(EXEC_NUMX_ADD)});
	exec_numx_describe(&x, buf, sizeof buf);
	assert_string_equal(buf, "((c3 * (1 - c4)) + -0.05)");
	x = prog(2, (exec_numx_op[]){CONST(150, 2), OP(EXEC_NUMX_NEG)});
	exec_numx_describe(&x, buf, sizeof buf);
	assert_string_equal(buf, "(- 1.50)");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_fast_equals_exact),
		cmocka_unit_test(test_malformed_refused),
		cmocka_unit_test(test_hashagg_sums_an_expression),
		cmocka_unit_test(test_parse_fast),
		cmocka_unit_test(test_row_cache_wraps),
		cmocka_unit_test(test_negate_the_most_negative),
		cmocka_unit_test(test_describe),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
