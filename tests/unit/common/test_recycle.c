/*
 * test_recycle.c — src/common/recycle.c: a kept object comes back zeroed
 * (as calloc's), an unzeroed take reuses one too, the bin keeps at most MUR_RECYCLE_KEEP and frees the
 * rest, NULL is ignored, and mur_calloc (zalloc.h) zeroes and refuses an
 * overflowing size.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "common/recycle.h"
#include "common/zalloc.h"

#include <stdlib.h>
#include <string.h>

typedef struct big {
	char bytes[3000];
} big;

static void test_kept_object_comes_back_zeroed(void **state)
{
	(void)state;
	static mur_recycler bin = {.size = sizeof(big)};
	big *a = mur_recycle_zalloc(&bin), *b;
	for (size_t i = 0; i < sizeof a->bytes; i++)
		assert_int_equal(a->bytes[i], 0);
	memset(a, 0x5a, sizeof *a);
	mur_recycle_free(&bin, a);
	if (MUR_RECYCLE_SANITIZED) /* make asan: nothing is kept */
		skip();
	assert_int_equal(bin.n, 1);
	b = mur_recycle_zalloc(&bin);
	assert_ptr_equal(a, b); /* the kept one */
	assert_int_equal(bin.n, 0);
	for (size_t i = 0; i < sizeof b->bytes; i++)
		assert_int_equal(b->bytes[i], 0);
	mur_recycle_free(&bin, NULL);
	assert_int_equal(bin.n, 0);
	free(b);
}

static void test_bin_keeps_at_most_its_limit(void **state)
{
	(void)state;
	static mur_recycler bin = {.size = sizeof(big)};
	big *p[MUR_RECYCLE_KEEP + 3];
	if (MUR_RECYCLE_SANITIZED)
		skip();
	for (int i = 0; i < MUR_RECYCLE_KEEP + 3; i++)
		assert_non_null(p[i] = mur_recycle_zalloc(&bin));
	for (int i = 0; i < MUR_RECYCLE_KEEP + 3; i++)
		mur_recycle_free(&bin, p[i]); /* the last 3 freed */
	assert_int_equal(bin.n, MUR_RECYCLE_KEEP);
	while (bin.n)
		free(mur_recycle_zalloc(&bin));
}

static void test_unzeroed_take_reuses_a_kept_one(void **state)
{
	(void)state;
	static mur_recycler bin = {.size = sizeof(big)};
	big *a = mur_recycle_alloc(&bin), *b;
	assert_non_null(a);
	if (MUR_RECYCLE_SANITIZED) {
		free(a);
		skip();
	}
	mur_recycle_free(&bin, a);
	b = mur_recycle_alloc(&bin);
	assert_ptr_equal(a, b);
	assert_int_equal(bin.n, 0);
	free(b);
}

static void test_mur_calloc(void **state)
{
	(void)state;
	unsigned char *p = mur_calloc(100, 7);
	assert_non_null(p);
	for (int i = 0; i < 700; i++)
		assert_int_equal(p[i], 0);
	free(p);
	assert_null(mur_calloc(SIZE_MAX / 2, 3));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_kept_object_comes_back_zeroed),
		cmocka_unit_test(test_bin_keeps_at_most_its_limit),
		cmocka_unit_test(test_unzeroed_take_reuses_a_kept_one),
		cmocka_unit_test(test_mur_calloc),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
