/*
 * test_rowmerge.c — the k-way merge of sorted row batches
 * (src/common/rowmerge.c): the order of values (NULLS FIRST / LAST, DESC,
 * numeric and char(n) text), and rows handed out only while no source is
 * dry, a batch appended to rows still held.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "common/rowmerge.h"

#include <string.h>

static mur_value iv(int64_t i)
{
	mur_value v = {0};
	v.kind = MV_INT;
	v.i = i;
	return v;
}

static mur_value tv(const char *s)
{
	mur_value v = {0};
	v.kind = MV_TEXT;
	v.s = s;
	v.len = strlen(s);
	return v;
}

static mur_value nv(void)
{
	mur_value v = {0};
	v.kind = MV_NULL;
	return v;
}

static void test_cmp(void **state)
{
	mur_sortkey k = {0, MUR_SORT_BINARY, 0, 0};
	mur_value a = iv(1), b = iv(2), n = nv(), t = tv("a"), x, y;
	(void)state;
	assert_true(mur_sortkey_cmp(&k, 1, &a, &b) < 0);
	assert_true(mur_sortkey_cmp(&k, 1, &n, &a) > 0); /* NULLS LAST */
	assert_true(mur_sortkey_cmp(&k, 1, &a, &t) < 0); /* numbers before text */
	k.desc = 1;
	assert_true(mur_sortkey_cmp(&k, 1, &a, &b) > 0);
	assert_true(mur_sortkey_cmp(&k, 1, &n, &a) > 0); /* DESC keeps NULL's place */
	k.nulls_first = 1;
	assert_true(mur_sortkey_cmp(&k, 1, &n, &a) < 0);
	assert_int_equal(mur_sortkey_cmp(&k, 1, &n, &n), 0);
	k = (mur_sortkey){0, MUR_SORT_NUMERIC, 0, 0};
	x = tv("10");
	y = tv("9.5");
	assert_true(mur_sortkey_cmp(&k, 1, &x, &y) > 0); /* by value, not bytes */
	x = tv("1.50");
	y = tv("1.5");
	assert_int_equal(mur_sortkey_cmp(&k, 1, &x, &y), 0);
	k.coll = MUR_SORT_BPCHAR;
	x = tv("ab  ");
	y = tv("ab");
	assert_int_equal(mur_sortkey_cmp(&k, 1, &x, &y), 0);
	k.coll = MUR_SORT_BINARY;
	assert_true(mur_sortkey_cmp(&k, 1, &x, &y) > 0);
}

static void rows(mur_buf *b, const int64_t *v, int n)
{
	mur_buf_reset(b);
	for (int i = 0; i < n; i++) {
		mur_value x = iv(v[i]);
		mur_row_put_value(b, &x);
	}
}

static void take_all(mur_rowmerge *m, int64_t *out, uint64_t *n)
{
	mur_buf b;
	mur_rd rd;
	uint64_t got;
	mur_buf_init(&b);
	assert_int_equal(mur_rowmerge_take(m, UINT64_MAX, &b, &got), MUR_OK);
	mur_rd_init(&rd, b.data, b.len);
	for (uint64_t i = 0; i < got; i++) {
		mur_value v;
		assert_int_equal(mur_row_get_value(&rd, &v), MUR_OK);
		out[(*n)++] = v.i;
	}
	mur_buf_free(&b);
}

static void test_merge(void **state)
{
	mur_sortkey k = {0, MUR_SORT_BINARY, 0, 0};
	mur_rowmerge *m = mur_rowmerge_new(3, 1, &k, 1);
	int64_t a1[] = {1, 4}, a2[] = {7, 9}, b1[] = {2, 3, 8}, c1[] = {5}, out[16];
	uint64_t n = 0;
	mur_buf b;
	(void)state;
	mur_buf_init(&b);
	assert_non_null(m);
	assert_int_equal(mur_rowmerge_dry(m), 0);
	rows(&b, a1, 2);
	assert_int_equal(mur_rowmerge_put(m, 0, &b, 2, 0), MUR_OK);
	rows(&b, b1, 3);
	assert_int_equal(mur_rowmerge_put(m, 1, &b, 3, 1), MUR_OK);
	take_all(m, out, &n); /* source 2 dry: nothing yet */
	assert_int_equal(n, 0);
	rows(&b, c1, 1);
	assert_int_equal(mur_rowmerge_put(m, 2, &b, 1, 1), MUR_OK);
	take_all(m, out, &n); /* 1 2 3 4, then source 0 runs dry */
	assert_int_equal(n, 4);
	assert_int_equal(mur_rowmerge_dry(m), 0);
	assert_int_equal(mur_rowmerge_held(m, 1), 1);
	rows(&b, a2, 2);
	assert_int_equal(mur_rowmerge_put(m, 0, &b, 2, 1), MUR_OK);
	assert_int_equal(mur_rowmerge_put(m, 0, &b, 2, 1), MUR_ERR); /* had its last */
	take_all(m, out, &n);
	assert_int_equal(n, 8);
	static const int64_t want[] = {1, 2, 3, 4, 5, 7, 8, 9};
	for (int i = 0; i < 8; i++)
		assert_int_equal(out[i], want[i]);
	assert_true(mur_rowmerge_done(m));
	mur_rowmerge_free(m);
	mur_buf_free(&b);
}

static void test_append_to_held(void **state)
{
	mur_sortkey k = {0, MUR_SORT_BINARY, 1, 0}; /* DESC */
	mur_rowmerge *m = mur_rowmerge_new(2, 1, &k, 1);
	int64_t a1[] = {9, 6, 5}, a2[] = {3, 1}, b1[] = {8}, out[16];
	uint64_t n = 0;
	mur_buf b;
	(void)state;
	mur_buf_init(&b);
	rows(&b, a1, 3);
	assert_int_equal(mur_rowmerge_put(m, 0, &b, 3, 0), MUR_OK);
	rows(&b, b1, 1);
	assert_int_equal(mur_rowmerge_put(m, 1, &b, 1, 0), MUR_OK);
	take_all(m, out, &n); /* 9 8, then source 1 dry */
	assert_int_equal(n, 2);
	rows(&b, a2, 2); /* source 0 still holds 6 5: its next batch goes after them */
	assert_int_equal(mur_rowmerge_put(m, 0, &b, 2, 1), MUR_OK);
	assert_int_equal(mur_rowmerge_held(m, 0), 4);
	rows(&b, a2, 0);
	assert_int_equal(mur_rowmerge_put(m, 1, &b, 0, 1), MUR_OK);
	take_all(m, out, &n);
	assert_int_equal(n, 6);
	static const int64_t want[] = {9, 8, 6, 5, 3, 1};
	for (int i = 0; i < 6; i++)
		assert_int_equal(out[i], want[i]);
	assert_true(mur_rowmerge_done(m));
	mur_rowmerge_free(m);
	mur_buf_free(&b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_cmp),
		cmocka_unit_test(test_merge),
		cmocka_unit_test(test_append_to_held),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
