/*
 * test_task.c — shard task and task result wire encoding (src/wire/task.c):
 * round trips, and rejection of every truncation and of malformed fields.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "wire/task.h"

#include <stdlib.h>
#include <string.h>

static void make_rows(mur_buf *rows)
{
	mur_value a[] = {mur_v_int(1), mur_v_text("x", 1),  mur_v_null(),
			 mur_v_int(2), mur_v_text("yy", 2), mur_v_float(0.5)};
	mur_buf_init(rows);
	for (int i = 0; i < 6; i++)
		mur_row_put_value(rows, &a[i]);
}

static void make_task(exec_task *t, mur_value *params, mur_buf *rows)
{
	memset(t, 0, sizeof *t);
	t->id = 0x0102030405060708ull;
	t->kind = EXEC_TASK_WRITE;
	t->nplacements = 2;
	strcpy(t->placements[0], "t1_s0.db");
	strcpy(t->placements[1], "t2_s0.db");
	t->sql = "INSERT INTO main.\"t\" VALUES (?1, ?2, ?3)";
	params[0] = mur_v_int(-7);
	params[1] = mur_v_text("hello", 5);
	params[2] = mur_v_blob("\x00\x01", 2);
	params[3] = mur_v_null();
	t->nparams = 4;
	t->params = params;
	make_rows(rows);
	t->ncols = 3;
	t->nrows = 2;
	t->rows = rows->data;
	t->rows_len = rows->len;
	t->has_agg = 1;
	t->agg.ngroup = 1;
	t->agg.naggs = 2;
	t->agg.aggs[0].fn = EXEC_AGG_COUNT_STAR;
	t->agg.aggs[1].fn = EXEC_AGG_SUM;
	t->agg.aggs[1].col = 2;
	t->agg.nexprs = 1; /* c1 * -0.05 */
	t->agg.exprs[0].nops = 3;
	t->agg.exprs[0].ops[0] = (exec_numx_op){.op = EXEC_NUMX_COL, .arg = 1};
	t->agg.exprs[0].ops[1] = (exec_numx_op){.op = EXEC_NUMX_CONST, .scale = 2, .arg = -5};
	t->agg.exprs[0].ops[2] = (exec_numx_op){.op = EXEC_NUMX_MUL};
}

static void test_task_roundtrip(void **state)
{
	(void)state;
	exec_task t, d;
	mur_value params[4];
	mur_buf rows, b;
	make_task(&t, params, &rows);
	t.scan_table = "t1";
	t.scan_column = "c \"q\"";
	t.lsn = 41;
	t.entry_id = 0x0a0b0c0d0e0f1011ull;
	t.capture = EXEC_CAPTURE_LOG;
	t.txn_id = 0x8877665544332211ull;
	t.entry_kind = EXEC_ENTRY_COMMIT;
	t.target_id = 0x0123456789abcdefull;
	t.early = 1;
	t.attached_bound[1] = 0x1122334455667788ull;
	t.shuffle_stream = 2; /* a join RECV of two streams, the second merged */
	t.shuffle_merge = 2;
	mur_buf_init(&b);
	exec_task_encode(&t, &b);
	assert_true(mur_buf_ok(&b));
	assert_int_equal(exec_task_decode(b.data, b.len, &d), MUR_OK);
	assert_int_equal(d.id, t.id);
	assert_int_equal(d.kind, t.kind);
	assert_int_equal(d.nplacements, 2);
	assert_string_equal(d.placements[0], "t1_s0.db");
	assert_string_equal(d.placements[1], "t2_s0.db");
	assert_string_equal(d.sql, t.sql);
	assert_int_equal(d.nparams, 4);
	for (int i = 0; i < 4; i++) {
		assert_int_equal(d.params[i].kind, params[i].kind);
		assert_int_equal(mur_value_cmp(&d.params[i], &params[i]), 0);
	}
	assert_int_equal(d.ncols, 3);
	assert_int_equal(d.nrows, 2);
	assert_int_equal(d.rows_len, rows.len);
	assert_memory_equal(d.rows, rows.data, rows.len);
	assert_int_equal(d.has_agg, 1);
	assert_int_equal(d.agg.ngroup, 1);
	assert_int_equal(d.agg.naggs, 2);
	assert_int_equal(d.agg.aggs[1].fn, EXEC_AGG_SUM);
	assert_int_equal(d.agg.aggs[1].col, 2);
	assert_int_equal(d.agg.nexprs, 1);
	assert_int_equal(d.agg.exprs[0].nops, 3);
	assert_int_equal(d.agg.exprs[0].ops[0].op, EXEC_NUMX_COL);
	assert_int_equal(d.agg.exprs[0].ops[0].arg, 1);
	assert_int_equal(d.agg.exprs[0].ops[1].op, EXEC_NUMX_CONST);
	assert_int_equal(d.agg.exprs[0].ops[1].scale, 2);
	assert_int_equal(d.agg.exprs[0].ops[1].arg, -5);
	assert_int_equal(d.agg.exprs[0].ops[2].op, EXEC_NUMX_MUL);
	assert_string_equal(d.scan_table, "t1");
	assert_string_equal(d.scan_column, "c \"q\"");
	assert_int_equal(d.lsn, 41);
	assert_int_equal(d.entry_id, t.entry_id);
	assert_int_equal(d.capture, EXEC_CAPTURE_LOG); /* not collapsed to RETURN */
	assert_int_equal(d.txn_id, t.txn_id);
	assert_int_equal(d.entry_kind, EXEC_ENTRY_COMMIT);
	assert_true(d.target_id == t.target_id);
	assert_int_equal(d.early, 1);
	assert_true(d.attached_bound[1] == t.attached_bound[1]);
	assert_int_equal(d.shuffle_stream, 2);
	assert_int_equal(d.shuffle_merge, 2);
	exec_task_free_decoded(&d);
	assert_null(d.params);
	{ /* a merged stream past the streams: refused */
		mur_buf bad;
		t.shuffle_merge = 3;
		mur_buf_init(&bad);
		exec_task_encode(&t, &bad);
		assert_int_equal(exec_task_decode(bad.data, bad.len, &d), MUR_EPROTO);
		mur_buf_free(&bad);
		t.shuffle_merge = 2;
	}

	/* Every truncation is rejected; so is a trailing byte. */
	for (size_t cut = 0; cut < b.len; cut++) {
		char *copy = malloc(cut ? cut : 1); /* exact-size copy: ASan sees overreads */
		memcpy(copy, b.data, cut);
		assert_int_equal(exec_task_decode(copy, cut, &d), MUR_EPROTO);
		assert_null(d.params);
		free(copy);
	}
	mur_buf_put_u8(&b, 0);
	assert_int_equal(exec_task_decode(b.data, b.len, &d), MUR_EPROTO);
	mur_buf_free(&b);
	mur_buf_free(&rows);
}

/* exec_task_decode_why names the defect and gives the id whenever the
 * frame holds one, so the follower can fail that task alone. */
static void test_task_malformed_named(void **state)
{
	exec_task t, d;
	mur_value params[4];
	mur_buf rows, b;
	uint64_t id;
	char why[160];
	(void)state;
	make_task(&t, params, &rows);
	mur_buf_init(&b);
	exec_task_encode(&t, &b);
	for (size_t cut = 0; cut < b.len; cut++) {
		char *copy = malloc(cut ? cut : 1);
		memcpy(copy, b.data, cut);
		assert_int_equal(exec_task_decode_why(copy, cut, &d, &id, why, sizeof why),
				 MUR_EPROTO);
		assert_int_equal(id, cut >= 9 ? t.id : 0);
		assert_non_null(strstr(why, "truncated task"));
		free(copy);
	}
	b.data[9] = (char)250;
	assert_int_equal(exec_task_decode_why(b.data, b.len, &d, &id, why, sizeof why), MUR_EPROTO);
	assert_int_equal(id, t.id);
	assert_string_equal(why, "unknown task kind 250");
	b.data[9] = (char)t.kind;
	b.data[0] = (char)(EXEC_WIRE_VERSION + 1);
	assert_int_equal(exec_task_decode_why(b.data, b.len, &d, &id, why, sizeof why), MUR_EPROTO);
	assert_non_null(strstr(why, "task encoding version"));
	b.data[0] = (char)EXEC_WIRE_VERSION;
	mur_buf_put(&b, "xyz", 3);
	assert_int_equal(exec_task_decode_why(b.data, b.len, &d, &id, why, sizeof why), MUR_EPROTO);
	assert_string_equal(why, "3 unexpected bytes after the task's last field");
	mur_buf_free(&b);
	mur_buf_free(&rows);
}

static void test_task_minimal(void **state)
{
	(void)state;
	exec_task t, d;
	mur_buf b;
	memset(&t, 0, sizeof t);
	t.kind = EXEC_TASK_DROP;
	t.nplacements = 1;
	strcpy(t.placements[0], "t9_s3.db");
	mur_buf_init(&b);
	exec_task_encode(&t, &b);
	assert_int_equal(exec_task_decode(b.data, b.len, &d), MUR_OK);
	assert_string_equal(d.sql, "");
	assert_int_equal(d.nparams, 0);
	assert_null(d.params);
	assert_int_equal(d.has_agg, 0);
	assert_string_equal(d.scan_column, "");
	assert_int_equal(d.txn_id, 0); /* autocommit */
	assert_int_equal(d.entry_kind, EXEC_ENTRY_DATA);
	assert_int_equal(d.early, 0);
	exec_task_free_decoded(&d);
	mur_buf_free(&b);
}

/* A QUERY_CANCEL names no placement, only the task to stop, exactly as
 * the leader sends it (lead_run.c): it must decode. */
static void test_task_query_cancel(void **state)
{
	(void)state;
	exec_task t, d;
	mur_buf b;
	memset(&t, 0, sizeof t);
	t.kind = EXEC_TASK_QUERY_CANCEL;
	t.target_id = 42;
	mur_buf_init(&b);
	exec_task_encode(&t, &b);
	assert_int_equal(exec_task_decode(b.data, b.len, &d), MUR_OK);
	assert_int_equal(d.kind, EXEC_TASK_QUERY_CANCEL);
	assert_int_equal(d.nplacements, 0);
	assert_true(d.target_id == 42);
	exec_task_free_decoded(&d);
	mur_buf_free(&b);
}

/* Encode t, corrupt it with f, expect rejection. */
static void expect_bad(exec_task *t)
{
	mur_buf b;
	exec_task d;
	mur_buf_init(&b);
	exec_task_encode(t, &b);
	assert_int_equal(exec_task_decode(b.data, b.len, &d), MUR_EPROTO);
	mur_buf_free(&b);
}

static void test_task_malformed(void **state)
{
	(void)state;
	exec_task t;
	mur_value params[4];
	mur_buf rows;
	const char *names[] = {"../etc/passwd",
			       "a/b",
			       "",
			       ".hidden",
			       "x y",
			       "0123456789012345678901234567890123456789012345678901234567890123"};
	for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
		make_task(&t, params, &rows);
		memcpy(t.placements[0], names[i], strnlen(names[i], 63));
		t.placements[0][strnlen(names[i], 63)] = '\0';
		if (strlen(names[i]) >= 64) { /* the encoder truncates; craft by hand below */
			mur_buf_free(&rows);
			continue;
		}
		expect_bad(&t);
		mur_buf_free(&rows);
	}
	make_task(&t, params, &rows);
	t.kind = EXEC_TASK_KIND_MAX + 1;
	expect_bad(&t);
	t.kind = EXEC_TASK_QUERY;
	t.agg.aggs[0].fn = 42;
	expect_bad(&t);
	t.agg.aggs[0].fn = EXEC_AGG_COUNT;
	t.agg.exprs[0].ops[2].op = EXEC_NUMX_OP_MAX + 1; /* unknown expression step */
	expect_bad(&t);
	t.agg.exprs[0].ops[2].op = EXEC_NUMX_MUL;
	t.agg.exprs[0].ops[1].scale = EXEC_NUMX_SCALE_MAX + 1;
	expect_bad(&t);
	t.agg.exprs[0].ops[1].scale = 2;
	t.nrows = 3; /* rows hold 2 */
	expect_bad(&t);
	t.nrows = 2;
	t.ncols = 2; /* 6 values are not 2 × 2 */
	expect_bad(&t);
	t.ncols = 3;
	t.nplacements = 0;
	expect_bad(&t);
	t.nplacements = 2;
	t.entry_kind = EXEC_ENTRY_KIND_MAX + 1; /* unknown entry kind */
	expect_bad(&t);
	t.entry_kind = EXEC_ENTRY_COMMIT; /* a marker of no transaction */
	t.txn_id = 0;
	expect_bad(&t);
	mur_buf_free(&rows);

	/* hand-made: version, oversized name, huge counts */
	mur_buf b;
	exec_task d;
	char longname[70];
	memset(longname, 'a', sizeof longname);
	mur_buf_init(&b);
	mur_buf_put_u8(&b, EXEC_WIRE_VERSION);
	mur_buf_put_u64(&b, 1);
	mur_buf_put_u8(&b, EXEC_TASK_QUERY);
	mur_buf_put_u8(&b, 1);
	mur_buf_put_lstr(&b, longname, sizeof longname);
	mur_buf_put_cstr(&b, "SELECT 1");
	mur_buf_put_u32(&b, 0);
	mur_buf_put_u32(&b, 0);
	mur_buf_put_u64(&b, 0);
	mur_buf_put_u64(&b, 0);
	mur_buf_put_u8(&b, 0);
	assert_int_equal(exec_task_decode(b.data, b.len, &d), MUR_EPROTO);
	mur_buf_reset(&b);
	mur_buf_put_u8(&b, EXEC_WIRE_VERSION + 1);
	assert_int_equal(exec_task_decode(b.data, b.len, &d), MUR_EPROTO);
	mur_buf_reset(&b);
	mur_buf_put_u8(&b, EXEC_WIRE_VERSION);
	mur_buf_put_u64(&b, 1);
	mur_buf_put_u8(&b, EXEC_TASK_QUERY);
	mur_buf_put_u8(&b, 1);
	mur_buf_put_lstr(&b, "a.db", 4);
	mur_buf_put_cstr(&b, "SELECT 1");
	mur_buf_put_u32(&b, 0xffffffffu); /* nparams */
	assert_int_equal(exec_task_decode(b.data, b.len, &d), MUR_EPROTO);
	mur_buf_free(&b);
}

static void test_result_roundtrip(void **state)
{
	(void)state;
	exec_result r, d;
	mur_buf b;
	exec_result_init(&r);
	r.task_id = 77;
	r.ncols = 3;
	r.nrows = 2;
	mur_buf_free(&r.rows);
	make_rows(&r.rows);
	r.changes = 5;
	r.lsn = 12;
	r.elapsed_us = 999;
	r.early = 1;
	r.nattached = 2;
	r.attached_lsn[2] = 0x0102030405060708ull;
	r.attached_entry_id[2] = 9;
	mur_buf_init(&b);
	exec_result_encode(&r, &b);
	exec_result_init(&d);
	assert_int_equal(exec_result_decode(b.data, b.len, &d), MUR_OK);
	assert_int_equal(d.task_id, 77);
	assert_int_equal(d.failed, 0);
	assert_int_equal(d.early, 1);
	assert_int_equal(d.ncols, 3);
	assert_int_equal(d.nrows, 2);
	assert_int_equal(d.rows.len, r.rows.len);
	assert_memory_equal(d.rows.data, r.rows.data, r.rows.len);
	assert_int_equal(d.changes, 5);
	assert_int_equal(d.lsn, 12);
	assert_int_equal(d.elapsed_us, 999);
	assert_int_equal(d.nattached, 2);
	assert_true(d.attached_lsn[2] == r.attached_lsn[2]);
	assert_int_equal(d.attached_entry_id[2], 9);
	for (size_t cut = 0; cut < b.len; cut++) {
		char *copy = malloc(cut ? cut : 1);
		memcpy(copy, b.data, cut);
		assert_int_equal(exec_result_decode(copy, cut, &d), MUR_EPROTO);
		assert_int_equal(d.rows.len, 0);
		free(copy);
	}
	exec_result_free(&d);

	/* failed result with an error */
	exec_result_free(&r);
	r.task_id = 3;
	r.failed = 1;
	mur_error_set(&r.err, SQLSTATE_UNIQUE_VIOLATION,
		      "duplicate key value violates unique constraint \"t_pkey\"");
	mur_error_detail(&r.err, "Key (id)=(1) already exists.");
	mur_buf_reset(&b);
	exec_result_encode(&r, &b);
	exec_result_init(&d);
	assert_int_equal(exec_result_decode(b.data, b.len, &d), MUR_OK);
	assert_int_equal(d.failed, 1);
	assert_string_equal(d.err.sqlstate, "23505");
	assert_string_equal(d.err.message, r.err.message);
	assert_string_equal(d.err.detail, "Key (id)=(1) already exists.");
	assert_string_equal(d.err.hint, "");
	for (size_t cut = 0; cut < b.len; cut++)
		assert_int_equal(exec_result_decode(b.data, cut, &d), MUR_EPROTO);
	/* bad sqlstate characters */
	b.data[10] = 'a';
	assert_int_equal(exec_result_decode(b.data, b.len, &d), MUR_EPROTO);
	exec_result_free(&d);
	exec_result_free(&r);
	mur_buf_free(&b);
}

/* Random byte flips never crash the decoders (ASan/UBSan build). */
static void test_fuzz_flips(void **state)
{
	(void)state;
	exec_task t, d;
	mur_value params[4];
	mur_buf rows, b;
	make_task(&t, params, &rows);
	mur_buf_init(&b);
	exec_task_encode(&t, &b);
	srand(1);
	for (int i = 0; i < 20000; i++) {
		char *copy = malloc(b.len);
		memcpy(copy, b.data, b.len);
		for (int k = 0; k < 1 + i % 4; k++)
			copy[rand() % b.len] = (char)rand();
		if (exec_task_decode(copy, b.len, &d) == MUR_OK)
			exec_task_free_decoded(&d);
		exec_result r;
		exec_result_init(&r);
		exec_result_decode(copy, b.len, &r);
		exec_result_free(&r);
		free(copy);
	}
	mur_buf_free(&b);
	mur_buf_free(&rows);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_task_roundtrip),
		cmocka_unit_test(test_task_minimal),
		cmocka_unit_test(test_task_query_cancel),
		cmocka_unit_test(test_task_malformed),
		cmocka_unit_test(test_task_malformed_named),
		cmocka_unit_test(test_result_roundtrip),
		cmocka_unit_test(test_fuzz_flips),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
