/*
 * test_array.c — array text input and output and the order of arrays
 * (src/common/value_array.c).  Expected texts are what PostgreSQL 15's
 * array_out prints for the same inputs.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "common/array.h"

#include <stdio.h>
#include <string.h>

/* The canonical text of in as type t, or the SQLSTATE of its error. */
static const char *canon(mur_type t, const char *in)
{
	static char out[512];
	mur_buf scratch;
	mur_value v;
	mur_error err;
	memset(&err, 0, sizeof err);
	mur_buf_init(&scratch);
	if (mur_value_from_pgtext(t, in, strlen(in), &scratch, &v, &err) != MUR_OK)
		snprintf(out, sizeof out, "ERROR %s", err.sqlstate);
	else
		snprintf(out, sizeof out, "%.*s", (int)v.len, v.s);
	mur_buf_free(&scratch);
	return out;
}

static void test_in_out(void **state)
{
	(void)state;
	assert_string_equal(canon(MT_INT4_ARRAY, " { 1 , -2,NULL,null } "), "{1,-2,NULL,NULL}");
	assert_string_equal(canon(MT_INT4_ARRAY, "{}"), "{}");
	assert_string_equal(canon(MT_TEXT_ARRAY, "{\"a b\",c,\"\",\"NULL\",\"x\\\"y\",\\,}"),
			    "{\"a b\",c,\"\",\"NULL\",\"x\\\"y\",\",\"}");
	assert_string_equal(canon(MT_TEXT_ARRAY, "{  a b  ,\"{\"}"), "{\"a b\",\"{\"}");
	assert_string_equal(canon(MT_NUMERIC_ARRAY, "{1.50,1e3}"), "{1.50,1000}");
	assert_string_equal(canon(MT_BOOL_ARRAY, "{true,0,off}"), "{t,f,f}");
	assert_string_equal(canon(MT_DATE_ARRAY, "{2024-02-29}"), "{2024-02-29}");
	assert_string_equal(canon(MT_INT4_ARRAY, "{1,x}"), "ERROR 22P02");
	assert_string_equal(canon(MT_INT4_ARRAY, "{1,2"), "ERROR 22P02");
	assert_string_equal(canon(MT_INT4_ARRAY, "{1,,2}"), "ERROR 22P02");
	assert_string_equal(canon(MT_INT4_ARRAY, "{1} x"), "ERROR 22P02");
	assert_string_equal(canon(MT_INT4_ARRAY, "1,2"), "ERROR 22P02");
	assert_string_equal(canon(MT_INT4_ARRAY, "{{1},{2}}"), "ERROR 0A000");
	assert_string_equal(canon(MT_INT4_ARRAY, "[0:1]={1,2}"), "ERROR 0A000");
	assert_string_equal(canon(MT_INT2_ARRAY, "{40000}"), "ERROR 22003");
}

static int cmp(mur_type t, const char *a, const char *b)
{
	mur_arr x, y;
	mur_error err;
	int c;
	mur_arr_init(&x);
	mur_arr_init(&y);
	assert_int_equal(mur_arr_parse(&x, t, a, strlen(a), &err), MUR_OK);
	assert_int_equal(mur_arr_parse(&y, t, b, strlen(b), &err), MUR_OK);
	c = mur_arr_cmp(mur_type_elem(t), &x, &y);
	mur_arr_free(&x);
	mur_arr_free(&y);
	return c < 0 ? -1 : c > 0;
}

static void test_order(void **state)
{
	(void)state;
	assert_int_equal(cmp(MT_INT4_ARRAY, "{2}", "{10}"), -1);
	assert_int_equal(cmp(MT_TEXT_ARRAY, "{2}", "{10}"), 1);
	assert_int_equal(cmp(MT_INT4_ARRAY, "{1,2}", "{1,2,0}"), -1);
	assert_int_equal(cmp(MT_INT4_ARRAY, "{1,NULL}", "{1,5}"), 1);
	assert_int_equal(cmp(MT_INT4_ARRAY, "{NULL}", "{NULL}"), 0);
	assert_int_equal(cmp(MT_NUMERIC_ARRAY, "{1.0}", "{1.00}"), 0);
	assert_int_equal(cmp(MT_FLOAT8_ARRAY, "{NaN}", "{Infinity}"), 1);
	assert_int_equal(cmp(MT_FLOAT8_ARRAY, "{-1e+20}", "{1}"), -1);
	assert_int_equal(cmp(MT_INT4_ARRAY, "{}", "{}"), 0);
	assert_int_equal(cmp(MT_INT4_ARRAY, "{}", "{NULL}"), -1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_in_out),
		cmocka_unit_test(test_order),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
