/*
 * test_lead_values.c — lead_values_direct (src/leader/lead_values.c) gives
 * the rows the leader's SQLite gives for the same VALUES (lead_local_query),
 * byte for byte, for every kind of parameter (a NaN float comes back NULL,
 * a parameter past those given NULL), one row and several; and leaves any
 * other text (and its output buffer) alone.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "lead_fixture.h"
#include "leader/lead_int.h"

#include <math.h>
#include <string.h>

static mur_value params[10];

static void fill_params(void)
{
	params[0] = mur_v_int(42);
	params[1] = mur_v_int(-9223372036854775807LL - 1);
	params[2] = mur_v_float(2.5);
	params[3] = mur_v_float(NAN);
	params[4] = mur_v_float(-0.0);
	params[5] = mur_v_float(INFINITY);
	params[6] = mur_v_text("a\0b", 3);
	params[7] = mur_v_text("", 0);
	params[8] = mur_v_blob("\x00\xff", 2);
	params[9] = mur_v_null();
}

static void test_same_rows_as_sqlite(void **state)
{
	(void)state;
	static const char *const sqls[] = {
		"VALUES (?1, ?2, ?3, ?4, ?5, NULL, NULL)",
		"VALUES (?6, ?7, ?8, ?9, ?10)",
		"VALUES (?4)",
		"VALUES (NULL)",
		"VALUES (?3, ?1, ?1)",
		"VALUES (?12, ?2)", /* past the ten given: NULL */
		"VALUES (?1, ?2), (?7, NULL), (?4, ?9)",
	};
	lf_fixture *fx = lf_new(3);
	fill_params();
	for (size_t i = 0; i < sizeof sqls / sizeof sqls[0]; i++) {
		mur_buf a, b;
		uint64_t na = 0, nb = 0;
		uint32_t ca = 0, cb = 0;
		mur_error err;
		mur_buf_init(&a);
		mur_buf_init(&b);
		mur_buf_put_u8(&a, 7); /* appended after what is there */
		mur_buf_put_u8(&b, 7);
		assert_int_equal(lead_local_query(lf_engine(fx), sqls[i], params, 10, NULL, 0, 0,
						  &a, &na, &ca, &err),
				 MUR_OK);
		if (!lead_values_direct(sqls[i], params, 10, &b, &nb, &cb))
			fail_msg("not recognised: %s", sqls[i]);
		assert_int_equal(na, nb);
		assert_int_equal(ca, cb);
		assert_int_equal(a.len, b.len);
		assert_memory_equal(a.data, b.data, a.len);
		mur_buf_free(&a);
		mur_buf_free(&b);
	}
	lf_free(fx);
}

static void test_other_text_left_to_sqlite(void **state)
{
	(void)state;
	static const char *const sqls[] = {
		"VALUES (?1 + 1)",
		"VALUES (CAST(?1 AS INTEGER))",
		"VALUES (NULLIF(?1, 0))",
		"VALUES (?1, ?2), (?3)",
		"VALUES (?0)",
		"VALUES (5)",
		"VALUES (?1,?2)",
		"SELECT ?1",
		"VALUES (?1) ",
		"VALUES ()",
		"VALUES (?1), ",
		"VALUES (?99999999999)",
	};
	fill_params();
	for (size_t i = 0; i < sizeof sqls / sizeof sqls[0]; i++) {
		mur_buf b;
		uint64_t n = 99;
		uint32_t c = 99;
		mur_buf_init(&b);
		mur_buf_put_u8(&b, 7);
		if (lead_values_direct(sqls[i], params, 10, &b, &n, &c))
			fail_msg("recognised: %s", sqls[i]);
		assert_int_equal(b.len, 1);
		assert_int_equal(n, 99);
		assert_int_equal(c, 99);
		mur_buf_free(&b);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_same_rows_as_sqlite),
		cmocka_unit_test(test_other_text_left_to_sqlite),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
