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
	assert_string_equal(canon(MT_INT4_ARRAY, "[0:1]={1,2}"), "ERROR 0A000");
	assert_string_equal(canon(MT_INT2_ARRAY, "{40000}"), "ERROR 22003");
}

static void test_multidimensional_in_out(void **state)
{
	(void)state;
	assert_string_equal(canon(MT_INT4_ARRAY, " { {1 , 2} , {3,4} } "), "{{1,2},{3,4}}");
	assert_string_equal(canon(MT_TEXT_ARRAY, "{{{\"a b\"}},{{NULL}}}"),
			    "{{{\"a b\"}},{{NULL}}}");
	assert_string_equal(canon(MT_INT4_ARRAY, "{{{{{{1}}}}}}"), "{{{{{{1}}}}}}");
	assert_string_equal(canon(MT_INT4_ARRAY, "{{{{{{{1}}}}}}}"), "ERROR 54000");
	assert_string_equal(canon(MT_INT4_ARRAY, "{{1,2},{3}}"), "ERROR 22P02");
	assert_string_equal(canon(MT_INT4_ARRAY, "{{1,2},3}"), "ERROR 22P02");
	assert_string_equal(canon(MT_INT4_ARRAY, "{1,{2}}"), "ERROR 22P02");
	assert_string_equal(canon(MT_INT4_ARRAY, "{{}}"), "ERROR 22P02");
	assert_string_equal(canon(MT_INT4_ARRAY, "{{1}{2}}"), "ERROR 22P02");
}

/* s parsed as int4[] into a (initialized here). */
static void parse_ok(mur_arr *a, const char *s)
{
	mur_error err;
	mur_arr_init(a);
	assert_int_equal(mur_arr_parse(a, MT_INT4_ARRAY, s, strlen(s), &err), MUR_OK);
}

static const char *text_of(const mur_arr *a)
{
	static char out[256];
	mur_buf b;
	mur_buf_init(&b);
	mur_arr_out(a, &b);
	snprintf(out, sizeof out, "%.*s", (int)b.len, b.data ? b.data : "");
	mur_buf_free(&b);
	return out;
}

static void test_shape(void **state)
{
	mur_arr a, b, out, empty;
	const mur_arr *subs[2];
	long long lo[2] = {1, 2}, hi[2] = {2, 3}, idx[2] = {2, 1};
	mur_error err;
	(void)state;
	parse_ok(&a, "{{1,2,3},{4,5,6}}");
	parse_ok(&b, "{7,8,9}");
	assert_int_equal(mur_arr_ndim(&a), 2);
	assert_int_equal(mur_arr_dim(&a, 1), 3);
	assert_int_equal(mur_arr_offset(&a, 2, idx), 3);
	assert_int_equal(mur_arr_offset(&a, 1, idx), -1);
	mur_arr_init(&out);
	assert_int_equal(mur_arr_slice(&out, &a, 2, lo, hi, &err), MUR_OK);
	assert_string_equal(text_of(&out), "{{2,3},{5,6}}");
	mur_arr_free(&out);
	mur_arr_init(&out);
	assert_int_equal(mur_arr_concat(&out, &a, &b, &err), MUR_OK);
	assert_string_equal(text_of(&out), "{{1,2,3},{4,5,6},{7,8,9}}");
	mur_arr_free(&out);
	mur_arr_init(&out);
	subs[0] = &b;
	subs[1] = &b;
	assert_int_equal(mur_arr_stack(&out, subs, 2, &err), MUR_OK);
	assert_string_equal(text_of(&out), "{{7,8,9},{7,8,9}}");
	mur_arr_free(&out);
	mur_arr_init(&out);
	subs[1] = &a;
	assert_int_equal(mur_arr_stack(&out, subs, 2, &err), MUR_ERR);
	assert_string_equal(err.sqlstate, "2202E");
	mur_arr_free(&out);
	mur_arr_init(&out);
	mur_arr_init(&empty);
	assert_int_equal(mur_arr_concat(&out, &empty, &b, &err), MUR_OK);
	assert_string_equal(text_of(&out), "{7,8,9}");
	mur_arr_free(&out);
	mur_arr_free(&a);
	parse_ok(&a, "{{1}}");
	mur_arr_init(&out);
	assert_int_equal(mur_arr_concat(&out, &a, &b, &err), MUR_ERR);
	assert_string_equal(err.sqlstate, "2202E");
	mur_arr_free(&out);
	mur_arr_free(&a);
	mur_arr_free(&b);
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
	assert_int_equal(cmp(MT_INT4_ARRAY, "{{1,2},{3,4}}", "{1,2,3,4}"), 1);
	assert_int_equal(cmp(MT_INT4_ARRAY, "{{1,2}}", "{{1},{2}}"), -1);
	assert_int_equal(cmp(MT_INT4_ARRAY, "{{1,2},{3,4}}", "{{1,2},{3,4}}"), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_in_out),
		cmocka_unit_test(test_order),
		cmocka_unit_test(test_multidimensional_in_out),
		cmocka_unit_test(test_shape),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
