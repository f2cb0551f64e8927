/*
 * test_pgwire_codec.c — framing, decoders and builders of pgw_codec, and
 * the pgw_result encoding of DataRows.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "pgwire/pgw_codec.h"
#include "test_pgwire_toy.h"

static void test_frame_startup(void **state)
{
	mur_buf b;
	pgw_frame f;
	mur_error err;
	(void)state;
	mur_buf_init(&b);
	fe_startup(&b, "alice", "db");
	for (size_t n = 0; n < b.len; n++)
		assert_int_equal(pgw_frame_startup(b.data, n, &f, &err), MUR_EAGAIN);
	assert_int_equal(pgw_frame_startup(b.data, b.len, &f, &err), MUR_OK);
	assert_int_equal(f.total, b.len);
	assert_int_equal(f.code, PGW_PROTOCOL_V3);
	assert_int_equal(f.body_len, b.len - 8);

	pgw_startup st;
	assert_int_equal(pgw_startup_decode(f.body, f.body_len, &st, &err), MUR_OK);
	assert_string_equal(st.user, "alice");
	assert_string_equal(st.database, "db");
	assert_string_equal(st.application_name, "toytest");
	/* missing terminator */
	assert_int_equal(pgw_startup_decode(f.body, f.body_len - 1, &st, &err), MUR_EPROTO);
	assert_string_equal(err.sqlstate, "08P01");

	/* lengths out of range */
	mur_buf_reset(&b);
	mur_buf_put_u32(&b, 7);
	assert_int_equal(pgw_frame_startup(b.data, b.len, &f, &err), MUR_EPROTO);
	mur_buf_reset(&b);
	mur_buf_put_u32(&b, PGW_STARTUP_MAX + 1);
	assert_int_equal(pgw_frame_startup(b.data, b.len, &f, &err), MUR_EPROTO);
	assert_string_equal(err.sqlstate, "08P01");
	mur_buf_free(&b);
}

static void test_frame_message(void **state)
{
	mur_buf b;
	pgw_frame f;
	mur_error err;
	(void)state;
	mur_buf_init(&b);
	fe_query(&b, "select 1");
	for (size_t n = 0; n < b.len; n++)
		assert_int_equal(pgw_frame_message(b.data, n, &f, &err), MUR_EAGAIN);
	assert_int_equal(pgw_frame_message(b.data, b.len, &f, &err), MUR_OK);
	assert_int_equal(f.type, 'Q');
	assert_int_equal(f.total, b.len);
	assert_int_equal(f.body_len, 9);

	/* unknown type byte is refused at once */
	assert_int_equal(pgw_frame_message("\x01", 1, &f, &err), MUR_EPROTO);
	assert_string_equal(err.sqlstate, "08P01");
	/* length below 4 */
	assert_int_equal(pgw_frame_message("Q\0\0\0\3", 5, &f, &err), MUR_EPROTO);
	/* oversized: refused from the header alone */
	mur_buf_reset(&b);
	mur_buf_put_u8(&b, 'Q');
	mur_buf_put_u32(&b, PGW_MESSAGE_MAX + 5);
	assert_int_equal(pgw_frame_message(b.data, b.len, &f, &err), MUR_EPROTO);
	mur_buf_reset(&b);
	mur_buf_put_u8(&b, 'Q');
	mur_buf_put_u32(&b, UINT32_MAX);
	assert_int_equal(pgw_frame_message(b.data, b.len, &f, &err), MUR_EPROTO);
	/* exactly the limit is fine (just incomplete) */
	mur_buf_reset(&b);
	mur_buf_put_u8(&b, 'd');
	mur_buf_put_u32(&b, PGW_MESSAGE_MAX + 4);
	assert_int_equal(pgw_frame_message(b.data, b.len, &f, &err), MUR_EAGAIN);
	mur_buf_free(&b);
}

static void test_decode_bind(void **state)
{
	mur_buf b;
	pgw_frame f;
	pgw_bind m;
	mur_error err;
	const char *vals[2] = {"abc", NULL};
	int16_t rf[1] = {0};
	(void)state;
	mur_buf_init(&b);
	fe_bind(&b, "p", "s", 2, vals, 1, rf);
	assert_int_equal(pgw_frame_message(b.data, b.len, &f, &err), MUR_OK);
	assert_int_equal(pgw_bind_decode(f.body, f.body_len, &m, &err), MUR_OK);
	assert_string_equal(m.portal, "p");
	assert_string_equal(m.stmt, "s");
	assert_int_equal(m.nparams, 2);
	assert_int_equal(m.lengths[0], 3);
	assert_memory_equal(m.values[0], "abc", 3);
	assert_int_equal(m.lengths[1], -1);
	assert_int_equal(m.nresult_formats, 1);
	pgw_bind_free(&m);
	/* every truncation is malformed, never an out-of-bounds read */
	for (size_t n = 0; n < f.body_len; n++) {
		char *copy = malloc(n ? n : 1);
		memcpy(copy, f.body, n);
		assert_int_equal(pgw_bind_decode(copy, n, &m, &err), MUR_EPROTO);
		free(copy);
	}
	/* a huge count with no bytes behind it */
	assert_int_equal(pgw_bind_decode("\0\0\xff\xff", 4, &m, &err), MUR_EPROTO);
	mur_buf_free(&b);
}

static void test_decode_others(void **state)
{
	mur_buf b;
	pgw_frame f;
	mur_error err;
	pgw_parse p;
	uint32_t oids[2] = {23, 25};
	const char *name;
	char kind;
	int32_t max;
	(void)state;
	mur_buf_init(&b);
	fe_parse(&b, "s1", "select $1", 2, oids);
	assert_int_equal(pgw_frame_message(b.data, b.len, &f, &err), MUR_OK);
	assert_int_equal(pgw_parse_decode(f.body, f.body_len, &p, &err), MUR_OK);
	assert_string_equal(p.name, "s1");
	assert_int_equal(p.nparams, 2);
	assert_int_equal(p.param_oids[1], 25);
	pgw_parse_free(&p);
	assert_int_equal(pgw_parse_decode(f.body, f.body_len - 1, &p, &err), MUR_EPROTO);

	assert_int_equal(pgw_target_decode("Sabc", 5, &kind, &name, &err), MUR_OK);
	assert_int_equal(kind, 'S');
	assert_int_equal(pgw_target_decode("Xabc", 5, &kind, &name, &err), MUR_EPROTO);
	assert_int_equal(pgw_target_decode("Pabc", 4, &kind, &name, &err), MUR_EPROTO);
	assert_int_equal(pgw_execute_decode("\0\0\0\0\5", 5, &name, &max, &err), MUR_OK);
	assert_int_equal(max, 5);
	assert_int_equal(pgw_execute_decode("\0\0\0\0\5\0", 6, &name, &max, &err), MUR_EPROTO);
	assert_int_equal(pgw_query_decode("x", 1, &name, &err), MUR_EPROTO);
	assert_int_equal(pgw_query_decode("x\0y", 3, &name, &err), MUR_EPROTO);
	assert_int_equal(pgw_empty_decode(1, 'S', &err), MUR_EPROTO);
	mur_buf_free(&b);
}

static void test_builders(void **state)
{
	mur_buf b;
	mur_error e;
	pgw_column col = {.name = "n", .type_oid = 23, .typlen = 4, .typmod = -1};
	be_msgs m;
	char *data;
	size_t len;
	(void)state;
	mur_buf_init(&b);
	pgw_put_ready_for_query(&b, 'T');
	assert_int_equal(b.len, 6);
	assert_memory_equal(b.data, "Z\0\0\0\5T", 6);
	mur_buf_reset(&b);
	pgw_put_auth_ok(&b);
	assert_memory_equal(b.data, "R\0\0\0\10\0\0\0\0", 9);
	mur_buf_reset(&b);

	mur_error_set_pos(&e, "42601", 7, "syntax error");
	mur_error_hint(&e, "try %s", "again");
	pgw_put_error(&b, "ERROR", &e);
	pgw_put_row_description(&b, 1, &col, 0, NULL);
	pgw_put_copy_in_response(&b, 3, 0);
	pgw_put_parameter_description(&b, 2, (uint32_t[]){23, 25});
	data = mur_buf_steal(&b, &len);
	be_split(&m, data, len);
	assert_false(m.bad);
	assert_string_equal(m.types, "ETGt");
	assert_string_equal(be_error_field(&m, 0, 'S'), "ERROR");
	assert_string_equal(be_error_field(&m, 0, 'V'), "ERROR");
	assert_string_equal(be_error_field(&m, 0, 'C'), "42601");
	assert_string_equal(be_error_field(&m, 0, 'M'), "syntax error");
	assert_string_equal(be_error_field(&m, 0, 'H'), "try again");
	assert_string_equal(be_error_field(&m, 0, 'P'), "7");
	assert_null(be_error_field(&m, 0, 'D'));
	/* RowDescription: count, "n\0", table oid, attnum, type oid, typlen, typmod, format */
	assert_int_equal(m.len[1], 2 + 2 + 4 + 2 + 4 + 2 + 4 + 2);
	assert_memory_equal(m.body[1], "\0\1n\0\0\0\0\0\0\0\0\0\0\x17\0\4\xff\xff\xff\xff\0\0", 22);
	assert_memory_equal(m.body[2], "\0\0\3\0\0\0\0\0\0", 9);
	assert_memory_equal(m.body[3], "\0\2\0\0\0\x17\0\0\0\x19", 10);
	be_free(&m);
}

static void test_result_rows(void **state)
{
	pgw_result *r = pgw_result_new();
	const char *vals[2] = {"42", NULL};
	int32_t lens[2] = {2, -1};
	pgw_column cols[2] = {{.name = "a"}, {.name = "b"}};
	(void)state;
	assert_int_equal(r->kind, PGW_RESULT_COMMAND);
	assert_int_equal(pgw_result_set_columns(r, 2, cols), MUR_OK);
	assert_int_equal(r->kind, PGW_RESULT_ROWS);
	pgw_result_add_row(r, 2, vals, lens);
	assert_int_equal(r->nrows, 1);
	assert_int_equal(r->rows.len, 1 + 4 + 2 + 4 + 2 + 4);
	assert_memory_equal(r->rows.data,
			    "D\0\0\0\x10\0\2\0\0\0\2"
			    "42\xff\xff\xff\xff",
			    17);
	pgw_result_add_notice(r, "n%d", 1);
	for (int i = 0; i < PGW_NOTICES_MAX + 3; i++)
		pgw_result_add_notice(r, "more");
	assert_int_equal(r->nnotices, PGW_NOTICES_MAX);
	assert_string_equal(r->notices[0].message, "n1");
	mur_error e;
	mur_error_set(&e, "42P01", "gone");
	pgw_result_set_error(r, &e);
	assert_int_equal(r->kind, PGW_RESULT_ERROR);
	assert_int_equal(r->nnotices, PGW_NOTICES_MAX);
	assert_string_equal(r->err.message, "gone");
	pgw_result_free(r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_frame_startup), cmocka_unit_test(test_frame_message),
		cmocka_unit_test(test_decode_bind),   cmocka_unit_test(test_decode_others),
		cmocka_unit_test(test_builders),      cmocka_unit_test(test_result_rows),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
