/*
 * test_shuffle.c — the pieces of a repartition that need no network:
 * owner choice (ops/shuffle_part.h: equal keys meet whatever their
 * storage class, every owner gets a share, rows arrive whole and in
 * order), the SHUFFLE_DATA / SHUFFLE_ACK frames (wire/proto.h: round trip,
 * malformed input refused), and the shuffle fields of a task (wire/task.h).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "ops/shuffle_part.h"
#include "wire/task.h"
#include "wire/proto.h"

#include <string.h>

static const exec_key_cols nokeys; /* every column by its bytes */

static void test_equal_keys_meet(void **state)
{
	(void)state;
	for (int64_t i = -1000; i < 1000; i++) {
		mur_value a[2] = {mur_v_int(i), mur_v_text("k", 1)};
		mur_value b[2] = {mur_v_float((double)i), mur_v_text("k", 1)};
		for (uint32_t n = 1; n <= 5; n++) {
			assert_int_equal(exec_shuffle_part_of(a, 2, &nokeys, n),
					 exec_shuffle_part_of(b, 2, &nokeys, n));
			assert_true(exec_shuffle_part_of(a, 2, &nokeys, n) < n);
		}
	}
}

static void test_partition_spreads_and_keeps_rows(void **state)
{
	mur_buf rows, parts[3];
	uint64_t counts[3] = {0}, total = 0;
	mur_error err;
	(void)state;
	mur_buf_init(&rows);
	for (int64_t i = 0; i < 30000; i++) {
		mur_value k = mur_v_int(i % 7000), v = mur_v_text("payload", 7);
		mur_row_put_value(&rows, &k);
		mur_row_put_value(&rows, &v);
	}
	for (int p = 0; p < 3; p++)
		mur_buf_init(&parts[p]);
	assert_int_equal(exec_shuffle_partition(rows.data, rows.len, 30000, 2, 1, &nokeys, 3, parts,
						counts, &err),
			 MUR_OK);
	for (int p = 0; p < 3; p++) {
		mur_rd rd;
		mur_value k, v;
		/* about a third each (7000 keys hashed) */
		assert_true(counts[p] > 8000 && counts[p] < 12000);
		total += counts[p];
		/* every row whole, and its key owned by this part */
		mur_rd_init(&rd, parts[p].data, parts[p].len);
		for (uint64_t r = 0; r < counts[p]; r++) {
			assert_int_equal(mur_row_get_value(&rd, &k), MUR_OK);
			assert_int_equal(mur_row_get_value(&rd, &v), MUR_OK);
			assert_int_equal(exec_shuffle_part_of(&k, 1, &nokeys, 3), (uint32_t)p);
			assert_int_equal(v.len, 7);
		}
		assert_int_equal(mur_rd_left(&rd), 0);
		mur_buf_free(&parts[p]);
	}
	assert_int_equal(total, 30000);
	/* malformed: one byte short */
	for (int p = 0; p < 3; p++)
		mur_buf_init(&parts[p]);
	memset(counts, 0, sizeof counts);
	assert_int_equal(exec_shuffle_partition(rows.data, rows.len - 1, 30000, 2, 1, &nokeys, 3,
						parts, counts, &err),
			 MUR_EPROTO);
	assert_int_equal(exec_shuffle_partition(rows.data, rows.len, 30000, 2, 3, &nokeys, 3, parts,
						counts, &err),
			 MUR_EPROTO); /* more hash columns than columns */
	for (int p = 0; p < 3; p++)
		mur_buf_free(&parts[p]);
	mur_buf_free(&rows);
}

static void test_frames(void **state)
{
	net_shuffle_data d = {.shuffle_id = 42,
			      .source = 3,
			      .inputs = 9,
			      .stream = 1,
			      .last = 1,
			      .ncols = 2,
			      .nrows = 5},
			 out;
	mur_buf b;
	mur_error err;
	uint64_t id;
	uint32_t source;
	(void)state;
	mur_buf_init(&b);
	net_shuffle_data_header_encode(&d, &b);
	assert_int_equal(b.len, NET_SHUFFLE_DATA_HEADER_BYTES);
	mur_buf_put(&b, "rows", 4);
	assert_int_equal(net_shuffle_data_decode(b.data, b.len, &out, &err), MUR_OK);
	assert_int_equal(out.shuffle_id, 42);
	assert_int_equal(out.source, 3);
	assert_int_equal(out.inputs, 9);
	assert_int_equal(out.stream, 1);
	assert_int_equal(out.last, 1);
	assert_int_equal(out.nrows, 5);
	assert_int_equal(out.rows_len, 4);
	assert_memory_equal(out.rows, "rows", 4);
	/* short header, source beyond inputs, bad last flag */
	assert_int_equal(net_shuffle_data_decode(b.data, NET_SHUFFLE_DATA_HEADER_BYTES - 1, &out,
						 &err),
			 MUR_EPROTO);
	mur_buf_reset(&b);
	d.source = 9;
	net_shuffle_data_header_encode(&d, &b);
	assert_int_equal(net_shuffle_data_decode(b.data, b.len, &out, &err), MUR_EPROTO);
	mur_buf_reset(&b);
	d.source = 0;
	d.last = 2;
	net_shuffle_data_header_encode(&d, &b);
	assert_int_equal(net_shuffle_data_decode(b.data, b.len, &out, &err), MUR_EPROTO);
	mur_buf_reset(&b);
	net_shuffle_ack_encode(7, 2, &b);
	assert_int_equal(net_shuffle_ack_decode(b.data, b.len, &id, &source, &err), MUR_OK);
	assert_int_equal(id, 7);
	assert_int_equal(source, 2);
	assert_int_equal(net_shuffle_ack_decode(b.data, b.len - 1, &id, &source, &err), MUR_EPROTO);
	mur_buf_free(&b);
}

static void test_task_fields_round_trip(void **state)
{
	exec_task t, d;
	mur_buf b;
	(void)state;
	memset(&t, 0, sizeof t);
	t.kind = EXEC_TASK_SHUFFLE_RECV; /* no placement needed */
	t.sql = "SELECT 1";
	t.shuffle_id = 99;
	t.shuffle_inputs = 8;
	t.shuffle_stream = 2;
	t.shuffle_ddl = "ATTACH ':memory:' AS m1;";
	t.shuffle_load = "INSERT INTO main.\"a\" VALUES (?)\nINSERT INTO m1.\"b\" VALUES (?)";
	t.shuffle_post = "";
	mur_buf_init(&b);
	exec_task_encode(&t, &b);
	assert_int_equal(exec_task_decode(b.data, b.len, &d), MUR_OK);
	assert_int_equal(d.shuffle_id, 99);
	assert_int_equal(d.shuffle_inputs, 8);
	assert_int_equal(d.shuffle_stream, 2);
	assert_string_equal(d.shuffle_ddl, t.shuffle_ddl);
	assert_string_equal(d.shuffle_load, t.shuffle_load);
	exec_task_free_decoded(&d);
	/* a SEND must name a source below its inputs */
	mur_buf_reset(&b);
	t.kind = EXEC_TASK_SHUFFLE_SEND;
	t.nplacements = 1;
	strcpy(t.placements[0], "t1_s0.db");
	t.shuffle_to = "127.0.0.1:1,127.0.0.1:2";
	t.shuffle_source = 8;
	exec_task_encode(&t, &b);
	assert_int_equal(exec_task_decode(b.data, b.len, &d), MUR_EPROTO);
	mur_buf_free(&b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_equal_keys_meet),
		cmocka_unit_test(test_partition_spreads_and_keeps_rows),
		cmocka_unit_test(test_frames),
		cmocka_unit_test(test_task_fields_round_trip),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
