/*
 * test_hashagg.c — hash aggregation (src/ops/hashagg.c): each aggregate,
 * NULL groups, empty input, 1 == 1.0, memory limit, malformed input, and a
 * brute-force comparison on random data through both add_row and the
 * batched add_rows path.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "common/interval.h"
#include "ops/hashagg.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct out_rows {
	mur_buf buf;
	uint64_t nrows;
	uint32_t ncols;
	mur_value *v; /* nrows * ncols, pointing into buf */
} out_rows;

static void finish(exec_hashagg *h, uint32_t ncols, out_rows *o)
{
	mur_buf_init(&o->buf);
	assert_int_equal(exec_hashagg_finish(h, &o->buf, &o->nrows), MUR_OK);
	o->ncols = ncols;
	o->v = calloc(o->nrows * ncols + 1, sizeof *o->v);
	mur_rd r;
	mur_rd_init(&r, o->buf.data, o->buf.len);
	for (uint64_t i = 0; i < o->nrows * ncols; i++)
		assert_int_equal(mur_row_get_value(&r, &o->v[i]), MUR_OK);
	assert_int_equal(mur_rd_left(&r), 0);
}

static void out_free(out_rows *o)
{
	free(o->v);
	mur_buf_free(&o->buf);
}

static const mur_value *cell(const out_rows *o, uint64_t row, uint32_t col)
{
	return &o->v[row * o->ncols + col];
}

static void expect_int(const mur_value *v, int64_t i)
{
	assert_int_equal(v->kind, MV_INT);
	assert_int_equal(v->i, i);
}

static exec_agg_spec spec_of(uint32_t ngroup, uint32_t naggs, const exec_agg *aggs)
{
	exec_agg_spec s;
	memset(&s, 0, sizeof s);
	s.ngroup = ngroup;
	s.naggs = naggs;
	if (naggs)
		memcpy(s.aggs, aggs, naggs * sizeof *aggs);
	return s;
}

static void test_all_functions(void **state)
{
	(void)state;
	/* columns: g, x (int/float/null), t (text), b (bool) */
	exec_agg aggs[] = {
		{EXEC_AGG_COUNT_STAR, 0}, {EXEC_AGG_COUNT, 1},
		{EXEC_AGG_SUM, 1},        {EXEC_AGG_MIN, 1},
		{EXEC_AGG_MAX, 1},        {EXEC_AGG_MIN, 2},
		{EXEC_AGG_MAX, 2},        {EXEC_AGG_COUNT_DISTINCT, 1},
		{EXEC_AGG_SUM_COUNT, 1},  {EXEC_AGG_BOOL_AND, 3},
		{EXEC_AGG_BOOL_OR, 3},
	};
	exec_agg_spec s = spec_of(1, 11, aggs);
	exec_hashagg *h = exec_hashagg_create(&s, 4);
	assert_non_null(h);
	mur_value rows[][4] = {
		{mur_v_int(1), mur_v_int(5), mur_v_text("pear", 4), mur_v_int(1)},
		{mur_v_int(2), mur_v_null(), mur_v_null(), mur_v_null()},
		{mur_v_int(1), mur_v_float(2.5), mur_v_text("apple", 5), mur_v_int(0)},
		{mur_v_float(1.0), mur_v_int(5), mur_v_text("zebra", 5), mur_v_int(1)},
		{mur_v_null(), mur_v_int(7), mur_v_text("x", 1), mur_v_int(1)},
		{mur_v_null(), mur_v_float(7.0), mur_v_text("y", 1), mur_v_int(1)},
	};
	for (size_t i = 0; i < 6; i++)
		assert_int_equal(exec_hashagg_add_row(h, rows[i]), MUR_OK);
	assert_int_equal(exec_hashagg_groups(h), 3);
	out_rows o;
	finish(h, 12, &o);
	assert_int_equal(o.nrows, 3);
	/* group 1 (1 and 1.0 together; key printed as the INT first seen) */
	expect_int(cell(&o, 0, 0), 1);
	expect_int(cell(&o, 0, 1), 3); /* count(*) */
	expect_int(cell(&o, 0, 2), 3); /* count(x) */
	assert_int_equal(cell(&o, 0, 3)->kind, MV_FLOAT);
	assert_true(cell(&o, 0, 3)->f == 12.5); /* sum: 5 + 2.5 + 5 */
	assert_true(cell(&o, 0, 4)->kind == MV_FLOAT && cell(&o, 0, 4)->f == 2.5);
	expect_int(cell(&o, 0, 5), 5); /* max */
	assert_int_equal(cell(&o, 0, 6)->len, 5);
	assert_memory_equal(cell(&o, 0, 6)->s, "apple", 5);
	assert_memory_equal(cell(&o, 0, 7)->s, "zebra", 5);
	expect_int(cell(&o, 0, 8), 2); /* distinct {5, 2.5} */
	assert_true(cell(&o, 0, 9)->kind == MV_FLOAT && cell(&o, 0, 9)->f == 12.5);
	expect_int(cell(&o, 0, 10), 0); /* bool_and */
	expect_int(cell(&o, 0, 11), 1); /* bool_or */
	/* group 2: only NULL inputs */
	expect_int(cell(&o, 1, 0), 2);
	expect_int(cell(&o, 1, 1), 1);
	expect_int(cell(&o, 1, 2), 0);
	for (int c = 3; c <= 7; c++)
		assert_int_equal(cell(&o, 1, c)->kind, MV_NULL);
	expect_int(cell(&o, 1, 8), 0);
	expect_int(cell(&o, 1, 9), 0); /* SUM_COUNT of nothing is 0 */
	assert_int_equal(cell(&o, 1, 10)->kind, MV_NULL);
	assert_int_equal(cell(&o, 1, 11)->kind, MV_NULL);
	/* NULL group: 7 and 7.0 are one distinct value; sum stays exact */
	assert_int_equal(cell(&o, 2, 0)->kind, MV_NULL);
	expect_int(cell(&o, 2, 1), 2);
	expect_int(cell(&o, 2, 8), 1);
	assert_true(cell(&o, 2, 3)->kind == MV_FLOAT && cell(&o, 2, 3)->f == 14.0);
	out_free(&o);
	exec_hashagg_destroy(h);
}

static void test_empty_input(void **state)
{
	(void)state;
	exec_agg aggs[] = {{EXEC_AGG_COUNT_STAR, 0},
			   {EXEC_AGG_SUM, 0},
			   {EXEC_AGG_MIN, 0},
			   {EXEC_AGG_COUNT_DISTINCT, 0},
			   {EXEC_AGG_SUM_COUNT, 0}};
	exec_agg_spec s = spec_of(0, 5, aggs);
	exec_hashagg *h = exec_hashagg_create(&s, 1);
	out_rows o;
	finish(h, 5, &o);
	assert_int_equal(o.nrows, 1);
	expect_int(cell(&o, 0, 0), 0);
	assert_int_equal(cell(&o, 0, 1)->kind, MV_NULL);
	assert_int_equal(cell(&o, 0, 2)->kind, MV_NULL);
	expect_int(cell(&o, 0, 3), 0);
	expect_int(cell(&o, 0, 4), 0);
	out_free(&o);
	exec_hashagg_destroy(h);

	s = spec_of(1, 1, aggs);
	h = exec_hashagg_create(&s, 1);
	finish(h, 2, &o);
	assert_int_equal(o.nrows, 0);
	assert_int_equal(o.buf.len, 0);
	out_free(&o);
	/* add_rows of zero rows is fine too */
	exec_hashagg_destroy(h);
	h = exec_hashagg_create(&s, 1);
	assert_int_equal(exec_hashagg_add_rows(h, NULL, 0, 0), MUR_OK);
	exec_hashagg_destroy(h);
}

static void test_distinct_only_and_keys(void **state)
{
	(void)state;
	/* naggs == 0: DISTINCT over two columns, text vs blob, NULLs group */
	exec_agg_spec s = spec_of(2, 0, NULL);
	exec_hashagg *h = exec_hashagg_create(&s, 2);
	mur_value rows[][2] = {
		{mur_v_text("a", 1), mur_v_null()},     {mur_v_text("a", 1), mur_v_null()},
		{mur_v_text("a", 1), mur_v_int(0)},     {mur_v_text("a", 1), mur_v_float(-0.0)},
		{mur_v_text("", 0), mur_v_null()},      {mur_v_null(), mur_v_null()},
		{mur_v_null(), mur_v_null()},           {mur_v_text("ab", 2), mur_v_float(0.5)},
		{mur_v_text("a", 1), mur_v_float(NAN)}, {mur_v_text("a", 1), mur_v_float(-NAN)},
	};
	for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++)
		assert_int_equal(exec_hashagg_add_row(h, rows[i]), MUR_OK);
	out_rows o;
	finish(h, 2, &o);
	assert_int_equal(o.nrows, 6);
	assert_int_equal(cell(&o, 1, 1)->kind, MV_INT); /* 0 and -0.0 → INT 0 */
	assert_int_equal(cell(&o, 2, 0)->len, 0);
	assert_int_equal(cell(&o, 3, 0)->kind, MV_NULL);
	assert_int_equal(cell(&o, 4, 1)->kind, MV_FLOAT);
	assert_true(isnan(cell(&o, 5, 1)->f));
	out_free(&o);
	exec_hashagg_destroy(h);
}

/* keys.num: numeric text keys group by value and show the first spelling
 * seen; COUNT_DISTINCT of a numeric column counts values; a text column
 * beside them still compares by bytes. */
static void test_numeric_keys_by_value(void **state)
{
	(void)state;
	exec_agg a[] = {{EXEC_AGG_COUNT_STAR, 0}, {EXEC_AGG_COUNT_DISTINCT, 2}};
	exec_agg_spec s = spec_of(2, 2, a);
	s.keys.num = 1u << 0 | 1u << 2;
	exec_hashagg *h = exec_hashagg_create(&s, 3);
	mur_value rows[][3] = {
		{mur_v_text("1.0", 3), mur_v_text("a", 1), mur_v_text("2.50", 4)},
		{mur_v_text("1", 1), mur_v_text("a", 1), mur_v_text("2.5", 3)},
		{mur_v_int(1), mur_v_text("a", 1), mur_v_text("-0.0", 4)},
		{mur_v_text("01.000", 6), mur_v_text("a", 1), mur_v_text("0", 1)},
		{mur_v_text("1.00", 4), mur_v_text("a.0", 3), mur_v_int(2)},
		{mur_v_text("-0.00", 5), mur_v_text("a", 1), mur_v_null()},
		{mur_v_text("0", 1), mur_v_text("a", 1), mur_v_text("2.000", 5)},
	};
	for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++)
		assert_int_equal(exec_hashagg_add_row(h, rows[i]), MUR_OK);
	out_rows o;
	finish(h, 4, &o);
	assert_int_equal(o.nrows, 3); /* (1, a), (1, a.0), (0, a) */
	assert_int_equal(cell(&o, 0, 0)->len, 3);
	assert_memory_equal(cell(&o, 0, 0)->s, "1.0", 3); /* the first spelling */
	expect_int(cell(&o, 0, 2), 4);
	expect_int(cell(&o, 0, 3), 2); /* 2.50 = 2.5, -0.0 = 0 */
	assert_memory_equal(cell(&o, 1, 1)->s, "a.0", 3);
	assert_memory_equal(cell(&o, 2, 0)->s, "-0.00", 5);
	expect_int(cell(&o, 2, 2), 2);
	expect_int(cell(&o, 2, 3), 1);
	out_free(&o);
	exec_hashagg_destroy(h);
}

/* keys.iv / keys.jsonb: intervals group by their span ('1 day' = '24
 * hours', '1 mon' = '30 days'), jsonb by value ({"a": 1.0} = {"a": 1});
 * IV_SUM adds field by field. */
static void test_interval_jsonb_keys_by_value(void **state)
{
	(void)state;
	exec_agg a[] = {{EXEC_AGG_COUNT_STAR, 0}, {EXEC_AGG_IV_SUM, 0}};
	exec_agg_spec s = spec_of(2, 2, a);
	mur_buf st[4];
	const char *ivs[4] = {"1 day", "24 hours", "1 mon", "30 days"};
	const char *docs[4] = {"{\"a\": 1.0}", "{\"a\": 1}", "[1.50, \"x.\"]", "[1.5, \"x.\"]"};
	mur_interval iv;
	mur_error err;
	s.keys.iv = 1u << 0;
	s.keys.jsonb = 1u << 1;
	exec_hashagg *h = exec_hashagg_create(&s, 2);
	for (int i = 0; i < 4; i++) {
		mur_buf_init(&st[i]);
		assert_int_equal(mur_iv_parse(ivs[i], strlen(ivs[i]), &iv, &err), MUR_OK);
		mur_iv_store(&iv, &st[i]);
		mur_value row[2] = {mur_v_text(st[i].data, st[i].len),
				    mur_v_text(docs[i], strlen(docs[i]))};
		assert_int_equal(exec_hashagg_add_row(h, row), MUR_OK);
	}
	out_rows o;
	finish(h, 4, &o);
	assert_int_equal(o.nrows, 2);
	assert_memory_equal(cell(&o, 0, 0)->s, st[0].data, st[0].len); /* the first spelling */
	expect_int(cell(&o, 0, 2), 2);
	assert_int_equal(mur_iv_load(cell(&o, 0, 3)->s, cell(&o, 0, 3)->len, &iv), MUR_OK);
	assert_true(iv.months == 0 && iv.days == 1 && iv.us == MUR_IV_USEC_PER_DAY);
	assert_int_equal(mur_iv_load(cell(&o, 1, 3)->s, cell(&o, 1, 3)->len, &iv), MUR_OK);
	assert_true(iv.months == 1 && iv.days == 30 && iv.us == 0);
	out_free(&o);
	exec_hashagg_destroy(h);
	for (int i = 0; i < 4; i++)
		mur_buf_free(&st[i]);
}

static void test_sum_overflow(void **state)
{
	(void)state;
	exec_agg aggs[] = {{EXEC_AGG_SUM, 0}};
	exec_agg_spec s = spec_of(0, 1, aggs);
	exec_hashagg *h = exec_hashagg_create(&s, 1);
	mur_value v = mur_v_int(INT64_MAX);
	assert_int_equal(exec_hashagg_add_row(h, &v), MUR_OK);
	assert_int_equal(exec_hashagg_add_row(h, &v), MUR_OK);
	v = mur_v_int(-INT64_MAX);
	assert_int_equal(exec_hashagg_add_row(h, &v), MUR_OK);
	out_rows o;
	finish(h, 1, &o);
	assert_int_equal(cell(&o, 0, 0)->kind, MV_FLOAT);
	assert_true(cell(&o, 0, 0)->f == (double)INT64_MAX);
	out_free(&o);
	exec_hashagg_destroy(h);

	/* text inputs to SUM are parsed as numbers */
	h = exec_hashagg_create(&s, 1);
	v = mur_v_text("2.5", 3);
	assert_int_equal(exec_hashagg_add_row(h, &v), MUR_OK);
	v = mur_v_text("abc", 3);
	assert_int_not_equal(exec_hashagg_add_row(h, &v), MUR_OK);
	assert_string_equal(exec_hashagg_error(h)->sqlstate, "22P02");
	/* after an error, everything fails */
	v = mur_v_int(1);
	assert_int_not_equal(exec_hashagg_add_row(h, &v), MUR_OK);
	exec_hashagg_destroy(h);
}

static void test_invalid_spec(void **state)
{
	(void)state;
	mur_error err;
	exec_agg bad_col[] = {{EXEC_AGG_SUM, 3}};
	exec_agg_spec s = spec_of(0, 1, bad_col);
	assert_null(exec_hashagg_create(&s, 2));
	assert_int_not_equal(exec_hashagg_validate(&s, 2, &err), MUR_OK);
	assert_string_equal(err.sqlstate, "XX000");
	exec_agg star[] = {{EXEC_AGG_COUNT_STAR, 99}};
	s = spec_of(0, 1, star);
	exec_hashagg *h = exec_hashagg_create(&s, 0); /* count(*) needs no column */
	assert_non_null(h);
	exec_hashagg_destroy(h);
	s = spec_of(3, 0, NULL);
	assert_null(exec_hashagg_create(&s, 2));
	exec_agg bad_fn[] = {{77, 0}};
	s = spec_of(0, 1, bad_fn);
	assert_null(exec_hashagg_create(&s, 1));
}

static void test_memory_limit(void **state)
{
	(void)state;
	exec_agg aggs[] = {{EXEC_AGG_COUNT_STAR, 0}};
	exec_agg_spec s = spec_of(1, 1, aggs);
	exec_hashagg *h = exec_hashagg_create(&s, 1);
	exec_hashagg_set_limit(h, 1 << 20);
	int rc = MUR_OK;
	int64_t i;
	for (i = 0; i < 1000000 && rc == MUR_OK; i++) {
		mur_value v = mur_v_int(i);
		rc = exec_hashagg_add_row(h, &v);
	}
	assert_int_equal(rc, MUR_ERR);
	assert_true(i < 1000000);
	assert_true(exec_hashagg_bytes(h) <= (1 << 20));
	assert_string_equal(exec_hashagg_error(h)->sqlstate, "53000");
	assert_string_equal(exec_hashagg_error(h)->message,
			    "hash aggregate exceeded 1048576 bytes");
	mur_buf out;
	uint64_t n;
	mur_buf_init(&out);
	assert_int_not_equal(exec_hashagg_finish(h, &out, &n), MUR_OK);
	mur_buf_free(&out);
	exec_hashagg_destroy(h);
}

static void test_malformed_rows(void **state)
{
	(void)state;
	exec_agg aggs[] = {{EXEC_AGG_COUNT_STAR, 0}};
	exec_agg_spec s = spec_of(1, 1, aggs);
	mur_buf rows;
	mur_buf_init(&rows);
	for (int i = 0; i < 3; i++) {
		mur_value v = mur_v_text("abc", 3);
		mur_row_put_value(&rows, &v);
	}
	for (size_t cut = 0; cut < rows.len; cut++) {
		exec_hashagg *h = exec_hashagg_create(&s, 1);
		char *copy = malloc(cut + 1);
		memcpy(copy, rows.data, cut);
		assert_int_equal(exec_hashagg_add_rows(h, copy, cut, 3), MUR_EPROTO);
		free(copy);
		exec_hashagg_destroy(h);
	}
	/* trailing bytes */
	exec_hashagg *h = exec_hashagg_create(&s, 1);
	assert_int_equal(exec_hashagg_add_rows(h, rows.data, rows.len, 2), MUR_EPROTO);
	exec_hashagg_destroy(h);
	mur_buf_free(&rows);
}

/* ---- brute force ------------------------------------------------------ */

#define BF_COLS 4
static const char *const words[] = {"a", "b", "cc", "", "ddd", "e"};

static mur_value rand_value(int col)
{
	int r = rand() % 10;
	if (r == 0)
		return mur_v_null();
	switch (col) {
	case 0: /* group: small ints, sometimes as integral floats */
		return r == 1 ? mur_v_float((double)(rand() % 20)) : mur_v_int(rand() % 20);
	case 1: /* group: text */
	{
		const char *w = words[rand() % 6];
		return mur_v_text(w, strlen(w));
	}
	case 2: /* numbers */
		if (r < 4)
			return mur_v_float((rand() % 100) / 4.0);
		return mur_v_int(rand() % 50 - 25);
	default: /* text */
		return mur_v_text(words[r % 6], strlen(words[r % 6]));
	}
}

typedef struct bf_group {
	mur_value key[2];
	int64_t count_star, count_x, isum;
	double fsum;
	int has_sum, sum_float;
	mur_value min, max, tmin, tmax;
	mur_value distinct[256];
	int ndistinct;
} bf_group;

static int same(const mur_value *a, const mur_value *b) { return mur_value_cmp(a, b) == 0; }

static void test_brute_force(void **state)
{
	(void)state;
	enum { NROWS = 20000 };
	exec_agg aggs[] = {{EXEC_AGG_COUNT_STAR, 0}, {EXEC_AGG_COUNT, 2},         {EXEC_AGG_SUM, 2},
			   {EXEC_AGG_MIN, 2},        {EXEC_AGG_MAX, 2},           {EXEC_AGG_MIN, 3},
			   {EXEC_AGG_MAX, 3},        {EXEC_AGG_COUNT_DISTINCT, 2}};
	exec_agg_spec s = spec_of(2, 8, aggs);
	srand(12345);
	for (int round = 0; round < 3; round++) {
		static mur_value rows[NROWS][BF_COLS];
		static bf_group g[512];
		int ng = 0;
		mur_buf enc;
		mur_buf_init(&enc);
		for (int i = 0; i < NROWS; i++)
			for (int c = 0; c < BF_COLS; c++) {
				rows[i][c] = rand_value(c);
				mur_row_put_value(&enc, &rows[i][c]);
			}
		memset(g, 0, sizeof g);
		for (int i = 0; i < NROWS; i++) {
			int k;
			for (k = 0; k < ng; k++)
				if (same(&g[k].key[0], &rows[i][0]) &&
				    same(&g[k].key[1], &rows[i][1]))
					break;
			if (k == ng) {
				assert_true(ng < 512);
				g[ng].key[0] = rows[i][0];
				g[ng].key[1] = rows[i][1];
				ng++;
			}
			bf_group *b = &g[k];
			const mur_value *x = &rows[i][2], *t = &rows[i][3];
			b->count_star++;
			if (x->kind != MV_NULL) {
				b->count_x++;
				b->has_sum = 1;
				if (x->kind == MV_INT)
					b->isum += x->i;
				else
					b->fsum += x->f, b->sum_float = 1;
				if (b->min.kind == MV_NULL || mur_value_cmp(x, &b->min) < 0)
					b->min = *x;
				if (b->max.kind == MV_NULL || mur_value_cmp(x, &b->max) > 0)
					b->max = *x;
				int d;
				for (d = 0; d < b->ndistinct; d++)
					if (same(&b->distinct[d], x))
						break;
				if (d == b->ndistinct)
					b->distinct[b->ndistinct++] = *x;
			}
			if (t->kind != MV_NULL) {
				if (b->tmin.kind == MV_NULL || mur_value_cmp(t, &b->tmin) < 0)
					b->tmin = *t;
				if (b->tmax.kind == MV_NULL || mur_value_cmp(t, &b->tmax) > 0)
					b->tmax = *t;
			}
		}
		for (int path = 0; path < 2; path++) {
			exec_hashagg *h = exec_hashagg_create(&s, BF_COLS);
			if (path == 0) {
				for (int i = 0; i < NROWS; i++)
					assert_int_equal(exec_hashagg_add_row(h, rows[i]), MUR_OK);
			} else {
				/* in uneven pieces, to cross batch boundaries */
				mur_rd r;
				mur_rd_init(&r, enc.data, enc.len);
				int done = 0;
				while (done < NROWS) {
					int n = 1 + rand() % 100;
					if (n > NROWS - done)
						n = NROWS - done;
					size_t start = r.off;
					for (int k = 0; k < n * BF_COLS; k++) {
						mur_value v;
						assert_int_equal(mur_row_get_value(&r, &v), MUR_OK);
					}
					assert_int_equal(exec_hashagg_add_rows(h, enc.data + start,
									       r.off - start, n),
							 MUR_OK);
					done += n;
				}
			}
			out_rows o;
			finish(h, 10, &o);
			assert_int_equal(o.nrows, ng);
			for (int k = 0; k < ng; k++) {
				bf_group *b = &g[k];
				assert_true(same(cell(&o, k, 0), &b->key[0]));
				assert_true(same(cell(&o, k, 1), &b->key[1]));
				expect_int(cell(&o, k, 2), b->count_star);
				expect_int(cell(&o, k, 3), b->count_x);
				const mur_value *sum = cell(&o, k, 4);
				if (!b->has_sum)
					assert_int_equal(sum->kind, MV_NULL);
				else if (b->sum_float)
					assert_true(sum->kind == MV_FLOAT &&
						    sum->f == b->fsum + (double)b->isum);
				else
					expect_int(sum, b->isum);
				assert_true(same(cell(&o, k, 5), &b->min));
				assert_true(same(cell(&o, k, 6), &b->max));
				assert_true(same(cell(&o, k, 7), &b->tmin));
				assert_true(same(cell(&o, k, 8), &b->tmax));
				expect_int(cell(&o, k, 9), b->ndistinct);
			}
			out_free(&o);
			exec_hashagg_destroy(h);
		}
		mur_buf_free(&enc);
	}
}

/* Many groups: the tables grow many times; every count is right. */
static void test_many_groups(void **state)
{
	(void)state;
	enum { N = 300000, G = 100000 };
	exec_agg aggs[] = {{EXEC_AGG_COUNT_STAR, 0}, {EXEC_AGG_COUNT_DISTINCT, 1}};
	exec_agg_spec s = spec_of(1, 2, aggs);
	exec_hashagg *h = exec_hashagg_create(&s, 2);
	mur_buf enc;
	mur_buf_init(&enc);
	for (int i = 0; i < N; i++) {
		char t[16];
		int n = snprintf(t, sizeof t, "k%d", i % G);
		mur_value v[2] = {mur_v_text(t, (size_t)n), mur_v_int(i % 7)};
		mur_row_put_value(&enc, &v[0]);
		mur_row_put_value(&enc, &v[1]);
	}
	assert_int_equal(exec_hashagg_add_rows(h, enc.data, enc.len, N), MUR_OK);
	out_rows o;
	finish(h, 3, &o);
	assert_int_equal(o.nrows, G);
	for (int k = 0; k < G; k++) {
		char t[16];
		int n = snprintf(t, sizeof t, "k%d", k);
		assert_int_equal(cell(&o, k, 0)->len, (size_t)n);
		assert_memory_equal(cell(&o, k, 0)->s, t, (size_t)n);
		expect_int(cell(&o, k, 1), N / G);
		expect_int(cell(&o, k, 2), 3); /* i % 7 for i ≡ k mod 100000: 3 values */
	}
	out_free(&o);
	mur_buf_free(&enc);
	exec_hashagg_destroy(h);
}

/* Batched rows whose key repeats the previous row's (as lineitem arrives
 * by order key) join that group without a probe, a key seen again later
 * still finds its group, and numeric sums that stayed in 128 bits print
 * as GMP would: negative, zero at the sum's scale, under one. */
static void test_runs_of_one_key_and_sum_text(void **state)
{
	(void)state;
	exec_agg a[] = {{EXEC_AGG_NUM_SUM, 1}, {EXEC_AGG_COUNT_STAR, 0}};
	exec_agg_spec s = spec_of(1, 2, a);
	exec_hashagg *h = exec_hashagg_create(&s, 2);
	const char *rows[][2] = {{"1", "-0.05"},  {"1", "0.02"},
				 {"2", "0.00"},   {"3", "12.5"},
				 {"3", "-12.50"}, {"1", "0.01"},
				 {"4", "-7"},     {"4", "-7"},
				 {"4", "0.001"},  {"5", "123456789012345678.90"}};
	mur_buf b;
	mur_buf_init(&b);
	for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
		mur_value k = mur_v_int(atoi(rows[i][0])),
			  v = mur_v_text(rows[i][1], strlen(rows[i][1]));
		mur_row_put_value(&b, &k);
		mur_row_put_value(&b, &v);
	}
	assert_int_equal(exec_hashagg_add_rows(h, b.data, b.len, sizeof rows / sizeof rows[0]),
			 MUR_OK);
	out_rows o;
	finish(h, 3, &o);
	assert_int_equal(o.nrows, 5);
	const char *want[] = {"-0.02", "0.00", "0.00", "-13.999", "123456789012345678.90"};
	const int64_t count[] = {3, 1, 2, 3, 1};
	for (uint64_t r = 0; r < o.nrows; r++) {
		int64_t k = cell(&o, r, 0)->i;
		assert_true(k >= 1 && k <= 5);
		assert_int_equal(cell(&o, r, 1)->len, strlen(want[k - 1]));
		assert_memory_equal(cell(&o, r, 1)->s, want[k - 1], strlen(want[k - 1]));
		expect_int(cell(&o, r, 2), count[k - 1]);
	}
	out_free(&o);
	mur_buf_free(&b);
	exec_hashagg_destroy(h);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_all_functions),
		cmocka_unit_test(test_empty_input),
		cmocka_unit_test(test_distinct_only_and_keys),
		cmocka_unit_test(test_sum_overflow),
		cmocka_unit_test(test_invalid_spec),
		cmocka_unit_test(test_memory_limit),
		cmocka_unit_test(test_malformed_rows),
		cmocka_unit_test(test_brute_force),
		cmocka_unit_test(test_many_groups),
		cmocka_unit_test(test_numeric_keys_by_value),
		cmocka_unit_test(test_interval_jsonb_keys_by_value),
		cmocka_unit_test(test_runs_of_one_key_and_sum_text),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
