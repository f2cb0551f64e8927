/*
 * test_pgwire_copy_out.c — the COPY TO line encoders of pgw_copy_out.c:
 * text escapes, CSV quoting (delimiter, quote, escape, line ends, the NULL
 * string, a lone "\."), FORCE_QUOTE, NULLs and the header line.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "pgwire/pgw_conn_int.h"

#include <string.h>

/* The CopyData payloads of out, concatenated, NUL-terminated in text. */
static void lines(const mur_buf *out, char *text, size_t cap)
{
	mur_rd r;
	size_t n = 0;
	mur_rd_init(&r, out->data, out->len);
	while (mur_rd_left(&r) > 0) {
		uint32_t len;
		assert_int_equal(mur_rd_u8(&r), 'd');
		len = mur_rd_u32(&r) - 4;
		assert_true(n + len < cap);
		memcpy(text + n, mur_rd_bytes(&r, len), len);
		n += len;
	}
	text[n] = '\0';
}

/* rows: fields of one row, NULL for SQL NULL. */
static void encode(const pgw_copy_format *f, int ncols, const char *const *vals, char *text,
		   size_t cap)
{
	pgw_result *res = pgw_result_new();
	int32_t lens[8];
	mur_buf out;
	uint64_t n = 0;
	for (int i = 0; i < ncols; i++)
		lens[i] = vals[i] ? (int32_t)strlen(vals[i]) : -1;
	pgw_result_add_row(res, (uint32_t)ncols, vals, lens);
	mur_buf_init(&out);
	assert_int_equal(pgw_copy_out_rows(&out, f, res->rows.data, res->rows.len, &n), MUR_OK);
	assert_int_equal(n, 1);
	lines(&out, text, cap);
	mur_buf_free(&out);
	pgw_result_free(res);
}

static void text_format(pgw_copy_format *f)
{
	memset(f, 0, sizeof *f);
	f->delimiter = '\t';
	strcpy(f->null_string, "\\N");
}

static void csv_format(pgw_copy_format *f)
{
	memset(f, 0, sizeof *f);
	f->csv = 1;
	f->delimiter = ',';
	f->quote = f->escape = '"';
}

static void test_text_escapes(void **state)
{
	pgw_copy_format f;
	char text[256];
	const char *row[] = {"a\tb", NULL, "back\\slash\nnew\rcr", "x|y", ""};
	(void)state;
	text_format(&f);
	encode(&f, 5, row, text, sizeof text);
	assert_string_equal(text, "a\\tb\t\\N\tback\\\\slash\\nnew\\rcr\tx|y\t\n");
	f.delimiter = '|';
	strcpy(f.null_string, "NULL");
	encode(&f, 5, row, text, sizeof text);
	assert_string_equal(text, "a\\tb|NULL|back\\\\slash\\nnew\\rcr|x\\|y|\n");
}

static void test_csv_quoting(void **state)
{
	pgw_copy_format f;
	char text[256];
	const char *row[] = {"plain", "a,b", "say \"hi\"", "two\nlines", "", NULL};
	const char *lone[] = {"\\."};
	(void)state;
	csv_format(&f);
	encode(&f, 6, row, text, sizeof text);
	assert_string_equal(text, "plain,\"a,b\",\"say \"\"hi\"\"\",\"two\nlines\",\"\",\n");
	f.escape = '\\';
	f.force_quote[0] = 1; /* column 0 */
	encode(&f, 6, row, text, sizeof text);
	assert_string_equal(text, "\"plain\",\"a,b\",\"say \\\"hi\\\"\",\"two\nlines\",\"\",\n");
	csv_format(&f);
	encode(&f, 1, lone, text, sizeof text);
	assert_string_equal(text, "\"\\.\"\n");
}

static void test_header_and_bad_rows(void **state)
{
	pgw_copy_format f;
	pgw_column cols[2];
	char text[64];
	mur_buf out;
	uint64_t n = 0;
	(void)state;
	memset(cols, 0, sizeof cols);
	strcpy(cols[0].name, "id");
	strcpy(cols[1].name, "a,b");
	csv_format(&f);
	mur_buf_init(&out);
	assert_int_equal(pgw_copy_out_header(&out, &f, 2, cols), MUR_OK);
	lines(&out, text, sizeof text);
	assert_string_equal(text, "id,\"a,b\"\n");
	mur_buf_reset(&out);
	assert_int_equal(pgw_copy_out_rows(&out, &f, "D\0\0\0\x09\0\1\0\0", 9, &n), MUR_ERR);
	mur_buf_free(&out);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_text_escapes),
		cmocka_unit_test(test_csv_quoting),
		cmocka_unit_test(test_header_and_bad_rows),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
