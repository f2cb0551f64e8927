/*
 * test_pgw_binary.c — the binary format of pgw_binary.c: numeric's
 * base-10000 form from and to text, dates and timestamps against
 * PostgreSQL's 2000-01-01 epoch, 22P03 for bytes of the wrong length, and
 * the COPY BINARY stream decoder fed a byte at a time.  Expected bytes are
 * what PostgreSQL 15's numeric_send / date_send / timestamptz_send write.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "pgwire/pgw_binary.h"

#include <string.h>

/* Binary form of a numeric: header then digits, all Int16. */
static void numeric_is(const char *text, int ndigits, int weight, int sign, int dscale,
		       const int *digits, const char *back)
{
	mur_buf b, t;
	mur_error err;
	mur_rd rd;
	mur_buf_init(&b);
	mur_buf_init(&t);
	assert_int_equal(pgw_numeric_send(text, strlen(text), &b, &err), MUR_OK);
	mur_rd_init(&rd, b.data, b.len);
	assert_int_equal((int16_t)mur_rd_u16(&rd), ndigits);
	assert_int_equal((int16_t)mur_rd_u16(&rd), weight);
	assert_int_equal(mur_rd_u16(&rd), sign);
	assert_int_equal((int16_t)mur_rd_u16(&rd), dscale);
	for (int i = 0; i < ndigits; i++)
		assert_int_equal(mur_rd_u16(&rd), digits[i]);
	assert_true(mur_rd_ok(&rd) && mur_rd_left(&rd) == 0);
	assert_int_equal(pgw_numeric_recv(b.data, b.len, &t, &err), MUR_OK);
	assert_string_equal(mur_buf_cstr(&t), back);
	mur_buf_free(&b);
	mur_buf_free(&t);
}

static void test_numeric(void **state)
{
	(void)state;
	numeric_is("12345.678", 3, 1, 0, 3, (const int[]){1, 2345, 6780}, "12345.678");
	numeric_is("-0.0001", 1, -1, 0x4000, 4, (const int[]){1}, "-0.0001");
	numeric_is("0", 0, 0, 0, 0, NULL, "0");
	numeric_is("0.00", 0, 0, 0, 2, NULL, "0.00");
	numeric_is("100", 1, 0, 0, 0, (const int[]){100}, "100");
	numeric_is("10000", 1, 1, 0, 0, (const int[]){1}, "10000");
	numeric_is("1.5e+20", 2, 5, 0, 0, (const int[]){1, 5000}, "150000000000000000000");
	numeric_is("-12.50", 2, 0, 0x4000, 2, (const int[]){12, 5000}, "-12.50");
	numeric_is("NaN", 0, 0, 0xC000, 0, NULL, "NaN");
	numeric_is("-Infinity", 0, 0, 0xF000, 0, NULL, "-Infinity");
}

static void test_numeric_recv_refuses(void **state)
{
	mur_buf t;
	mur_error err;
	/* digit 10000, a bad sign, a truncated digit array */
	static const char digit[] = {0, 1, 0, 0, 0, 0, 0, 0, 0x27, 0x10};
	static const char sign[] = {0, 0, 0, 0, 0x12, 0x34, 0, 0};
	static const char shortd[] = {0, 2, 0, 0, 0, 0, 0, 0, 0, 1};
	(void)state;
	mur_buf_init(&t);
	assert_int_equal(pgw_numeric_recv(digit, sizeof digit, &t, &err), MUR_ERR);
	assert_string_equal(err.sqlstate, "22P03");
	assert_int_equal(pgw_numeric_recv(sign, sizeof sign, &t, &err), MUR_ERR);
	assert_int_equal(pgw_numeric_recv(shortd, sizeof shortd, &t, &err), MUR_ERR);
	mur_buf_free(&t);
}

/* text → binary → text for type oid; the binary as a big-endian integer. */
static int64_t send_int(uint32_t oid, const char *text, const char *back)
{
	mur_buf b, t;
	mur_error err;
	mur_rd rd;
	int64_t v;
	mur_buf_init(&b);
	mur_buf_init(&t);
	assert_int_equal(pgw_binary_send(oid, text, strlen(text), &b, &err), MUR_OK);
	mur_rd_init(&rd, b.data, b.len);
	v = b.len == 4 ? (int32_t)mur_rd_u32(&rd) : mur_rd_i64(&rd);
	assert_int_equal(pgw_binary_recv(oid, b.data, b.len, &t, &err), MUR_OK);
	assert_string_equal(mur_buf_cstr(&t), back);
	mur_buf_free(&b);
	mur_buf_free(&t);
	return v;
}

static void test_datetime(void **state)
{
	(void)state;
	assert_int_equal(send_int(1082, "2000-01-01", "2000-01-01"), 0);
	assert_int_equal(send_int(1082, "1999-12-31", "1999-12-31"), -1);
	assert_int_equal(send_int(1082, "infinity", "infinity"), INT32_MAX);
	assert_int_equal(send_int(1114, "2000-01-01 00:00:01.5", "2000-01-01 00:00:01.500000"),
			 1500000);
	/* a zone: the instant, in UTC */
	assert_int_equal(send_int(1184, "2000-01-01 02:00:00+02", "2000-01-01 00:00:00.000000+00"),
			 0);
	assert_int_equal(send_int(1184, "-infinity", "-infinity"), INT64_MIN);
	assert_int_equal(send_int(1083, "01:00:00", "01:00:00.000000"), INT64_C(3600000000));
	assert_int_equal(send_int(23, "-7", "-7"), -7);
	assert_int_equal(send_int(26, "4294967295", "4294967295"), (int32_t)UINT32_MAX);
	assert_int_equal(send_int(20, "-9223372036854775808", "-9223372036854775808"), INT64_MIN);
}

static void test_wrong_length_is_22P03(void **state)
{
	mur_buf t;
	mur_error err;
	(void)state;
	mur_buf_init(&t);
	assert_int_equal(pgw_binary_recv(23, "\0\0\0\1\2", 5, &t, &err), MUR_ERR);
	assert_string_equal(err.sqlstate, "22P03");
	assert_int_equal(pgw_binary_recv(701, "\0\0\0\0", 4, &t, &err), MUR_ERR);
	assert_int_equal(pgw_binary_recv(1082, "", 0, &t, &err), MUR_ERR);
	assert_int_equal(pgw_binary_recv(2205, "\0\0\0\1", 4, &t, &err), MUR_ERR);
	assert_string_equal(err.sqlstate, "42883"); /* regclass: no binary form here */
	assert_false(pgw_binary_supported(2205));
	mur_buf_free(&t);
}

static const char sig[] = "PGCOPY\n\377\r\n";

static void put_header(mur_buf *b)
{
	mur_buf_put(b, sig, 11); /* with its NUL */
	mur_buf_put_u32(b, 0);
	mur_buf_put_u32(b, 3); /* a header extension, skipped */
	mur_buf_put(b, "xyz", 3);
}

static void test_copy_stream(void **state)
{
	static const uint32_t oids[3] = {23, 25, 17};
	pgw_binary_copy bc;
	mur_buf in, out;
	mur_error err;
	(void)state;
	mur_buf_init(&in);
	mur_buf_init(&out);
	put_header(&in);
	mur_buf_put_u16(&in, 3);
	mur_buf_put_u32(&in, 4);
	mur_buf_put_u32(&in, 7);
	mur_buf_put_u32(&in, 4);
	mur_buf_put(&in, "a\tb\\", 4);
	mur_buf_put_u32(&in, UINT32_MAX); /* NULL */
	mur_buf_put_u16(&in, UINT16_MAX); /* trailer */
	pgw_binary_copy_init(&bc, 3, oids);
	for (size_t i = 0; i < in.len; i++) /* one byte a CopyData */
		assert_int_equal(pgw_binary_copy_feed(&bc, in.data + i, 1, &out, &err), MUR_OK);
	assert_int_equal(pgw_binary_copy_finish(&bc, &err), MUR_OK);
	assert_string_equal(mur_buf_cstr(&out), "7\ta\\tb\\\\\t\\N\n");
	/* data after the trailer */
	assert_int_equal(pgw_binary_copy_feed(&bc, "\0\1", 2, &out, &err), MUR_ERR);
	assert_string_equal(err.sqlstate, "22P04");
	pgw_binary_copy_free(&bc);

	/* a wrong signature; a tuple cut short */
	pgw_binary_copy_init(&bc, 3, oids);
	assert_int_equal(pgw_binary_copy_feed(&bc, "PGCOPY\n\377\r\n\1\0\0\0\0\0\0\0\0", 19, &out,
					      &err),
			 MUR_ERR);
	assert_string_equal(err.sqlstate, "22P04");
	pgw_binary_copy_free(&bc);
	pgw_binary_copy_init(&bc, 3, oids);
	assert_int_equal(pgw_binary_copy_feed(&bc, in.data, in.len - 6, &out, &err), MUR_OK);
	assert_int_equal(pgw_binary_copy_finish(&bc, &err), MUR_ERR);
	assert_string_equal(err.sqlstate, "22P04");
	pgw_binary_copy_free(&bc);
	mur_buf_free(&in);
	mur_buf_free(&out);
}

/* What COPY TO (FORMAT binary) would write reads back through the decoder:
 * header, rows of pgw_binary_row_put, trailer. */
static void test_copy_writer_reads_back(void **state)
{
	static const uint32_t oids[4] = {20, 1700, 1082, 16};
	const char *vals[4] = {"-5", "12.5", "2024-02-29", "t"};
	const int32_t lens[4] = {2, 4, 10, -1};
	pgw_binary_copy bc;
	mur_buf w, out;
	mur_error err;
	(void)state;
	mur_buf_init(&w);
	mur_buf_init(&out);
	pgw_binary_copy_put_header(&w);
	assert_int_equal(pgw_binary_row_put(&w, 4, oids, NULL, vals, lens, &err), MUR_OK);
	pgw_binary_copy_put_trailer(&w);
	pgw_binary_copy_init(&bc, 4, oids);
	assert_int_equal(pgw_binary_copy_feed(&bc, w.data, w.len, &out, &err), MUR_OK);
	assert_int_equal(pgw_binary_copy_finish(&bc, &err), MUR_OK);
	assert_true(bc.ended);
	assert_string_equal(mur_buf_cstr(&out), "-5\t12.5\t2024-02-29\t\\N\n");
	pgw_binary_copy_free(&bc);
	mur_buf_free(&w);
	mur_buf_free(&out);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_numeric),     cmocka_unit_test(test_numeric_recv_refuses),
		cmocka_unit_test(test_datetime),    cmocka_unit_test(test_wrong_length_is_22P03),
		cmocka_unit_test(test_copy_stream), cmocka_unit_test(test_copy_writer_reads_back),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
