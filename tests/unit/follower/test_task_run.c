/*
 * test_task_run.c — shard tasks end to end on real SQLite placement files
 * (src/follower/task_run.c): DDL creates (LSN unmoved), WRITE with rows /
 * params / RETURNING, captured writes as log entries (test_replog.c has
 * the replication tasks), QUERY plain and through the hash aggregate,
 * ATTACHed co-located join, failing writes leave nothing, result bound,
 * DROP.  Tasks travel through
 * exec_task_encode/decode first, as they do between leader and follower.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "follower/task_run.h"

#include "ops/hll.h"
#include "storage/colscan.h"
#include "storage/sqlrow.h"
#include "test_loop.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

static char tmpdir[TL_TMPDIR_MAX];
static stor_dir *dir;

static int setup(void **state)
{
	(void)state;
	mur_error err;
	if (tl_tmpdir_make(tmpdir, sizeof tmpdir, "task_run") != 0)
		return -1;
	return stor_dir_open(tmpdir, &dir, &err);
}

static int teardown(void **state)
{
	(void)state;
	stor_dir_close(dir);
	return tl_tmpdir_remove(tmpdir);
}

/* A task under construction. */
typedef struct tb {
	exec_task t;
	mur_value params[8];
	mur_buf rows;
} tb;

static void tb_init(tb *b, exec_task_kind kind, const char *sql, const char *p0, const char *p1)
{
	memset(b, 0, sizeof *b);
	static uint64_t next_id = 1;
	b->t.id = next_id++;
	b->t.kind = (uint8_t)kind;
	b->t.sql = sql;
	b->t.nplacements = p1 ? 2 : 1;
	snprintf(b->t.placements[0], sizeof b->t.placements[0], "%s", p0);
	if (p1)
		snprintf(b->t.placements[1], sizeof b->t.placements[1], "%s", p1);
	b->t.params = b->params;
	mur_buf_init(&b->rows);
}

static void tb_row(tb *b, uint32_t n, const mur_value *vals)
{
	for (uint32_t i = 0; i < n; i++)
		mur_row_put_value(&b->rows, &vals[i]);
	b->t.ncols = n;
	b->t.nrows++;
	b->t.rows = b->rows.data;
	b->t.rows_len = b->rows.len;
}

/* Encode, decode, run. */
static int run(tb *b, exec_result *res, size_t limit)
{
	mur_buf wire;
	exec_task d;
	mur_buf_init(&wire);
	exec_task_encode(&b->t, &wire);
	assert_int_equal(exec_task_decode(wire.data, wire.len, &d), MUR_OK);
	exec_result_init(res);
	int rc = limit ? exec_task_run_bounded(dir, &d, res, limit) : exec_task_run(dir, &d, res);
	assert_int_equal(res->task_id, b->t.id);
	assert_int_equal(rc == MUR_OK, !res->failed);
	exec_task_free_decoded(&d);
	mur_buf_free(&wire);
	mur_buf_free(&b->rows);
	return rc;
}

static void run_ok(tb *b, exec_result *res)
{
	if (run(b, res, 0) != MUR_OK)
		fail_msg("task failed: %s %s", res->err.sqlstate, res->err.message);
}

/* Decoded result values. */
static mur_value *values(exec_result *res)
{
	mur_value *v = calloc(res->nrows * res->ncols + 1, sizeof *v);
	mur_rd r;
	mur_rd_init(&r, res->rows.data, res->rows.len);
	for (uint64_t i = 0; i < res->nrows * res->ncols; i++)
		assert_int_equal(mur_row_get_value(&r, &v[i]), MUR_OK);
	assert_int_equal(mur_rd_left(&r), 0);
	return v;
}

static void expect_text(const mur_value *v, const char *s)
{
	assert_int_equal(v->kind, MV_TEXT);
	assert_int_equal(v->len, strlen(s));
	assert_memory_equal(v->s, s, v->len);
}

static int64_t count_rows(const char *file, const char *table)
{
	char sql[128];
	tb b;
	exec_result res;
	snprintf(sql, sizeof sql, "SELECT count(*) FROM main.\"%s\"", table);
	tb_init(&b, EXEC_TASK_QUERY, sql, file, NULL);
	run_ok(&b, &res);
	mur_value *v = values(&res);
	int64_t n = v[0].i;
	free(v);
	exec_result_free(&res);
	return n;
}

/* A QUERY whose cancel flag is set (the follower's QUERY_CANCEL) stops at
 * SQLite's next progress check with 57014; clear, the same query runs.
 * A self-join of 400 rows takes far more steps than one check interval. */
static void test_query_cancel_flag(void **state)
{
	(void)state;
	tb b;
	exec_result res;
	atomic_int locked = 0, cancel = 0;
	const char *join = "SELECT count(*) FROM main.\"c\" a, main.\"c\" b WHERE a.v + b.v = -1";

	tb_init(&b, EXEC_TASK_DDL, "CREATE TABLE main.\"c\" (id INTEGER PRIMARY KEY, v INTEGER)",
		"t7_s0.db", NULL);
	run_ok(&b, &res);
	exec_result_free(&res);
	tb_init(&b, EXEC_TASK_WRITE, "INSERT INTO main.\"c\" VALUES (?1, ?2)", "t7_s0.db", NULL);
	for (int i = 0; i < 400; i++) {
		mur_value row[2] = {mur_v_int(i), mur_v_int(i)};
		tb_row(&b, 2, row);
	}
	run_ok(&b, &res);
	exec_result_free(&res);

	tb_init(&b, EXEC_TASK_QUERY, join, "t7_s0.db", NULL);
	exec_result_init(&res);
	assert_int_equal(exec_task_run_ordered(dir, &b.t, &res, &locked, &cancel), MUR_OK);
	exec_result_free(&res);
	atomic_store(&cancel, 1);
	exec_result_init(&res);
	assert_int_equal(exec_task_run_ordered(dir, &b.t, &res, &locked, &cancel), MUR_ERR);
	assert_string_equal(res.err.sqlstate, SQLSTATE_QUERY_CANCELED);
	exec_result_free(&res);
	mur_buf_free(&b.rows);
	assert_int_equal(count_rows("t7_s0.db", "c"), 400); /* the handle works afterwards */
}

static void test_ddl_write_query(void **state)
{
	(void)state;
	tb b;
	exec_result res;

	tb_init(&b, EXEC_TASK_DDL,
		"CREATE TABLE main.\"t\" (id INTEGER PRIMARY KEY, name TEXT NOT NULL, v REAL);"
		"CREATE INDEX main.\"t_name\" ON \"t\"(name);",
		"t1_s0.db", NULL);
	run_ok(&b, &res);
	assert_int_equal(res.lsn, 0); /* schema is not in the shard log */
	exec_result_free(&res);

	/* WRITE with rows, captured: log entry 1 */
	tb_init(&b, EXEC_TASK_WRITE, "INSERT INTO main.\"t\" (id, name, v) VALUES (?1, ?2, ?3)",
		"t1_s0.db", NULL);
	b.t.capture = 1;
	b.t.entry_id = 501;
	const char *names[] = {"ann", "bob", "ann", "cy", "bob", "ann"};
	for (int i = 0; i < 6; i++) {
		mur_value row[3] = {mur_v_int(i + 1), mur_v_text(names[i], strlen(names[i])),
				    i == 3 ? mur_v_null() : mur_v_float(i * 1.5)};
		tb_row(&b, 3, row);
	}
	run_ok(&b, &res);
	assert_int_equal(res.changes, 6);
	assert_int_equal(res.lsn, 1);
	assert_int_equal(res.entry_id, 501);
	assert_true(res.blob.len > 0);
	assert_int_equal(res.nrows, 0);
	exec_result_free(&res);

	/* WRITE with params and RETURNING */
	tb_init(&b, EXEC_TASK_WRITE,
		"INSERT INTO main.\"t\" VALUES (?1, ?2, ?3) RETURNING id, upper(name)", "t1_s0.db",
		NULL);
	b.params[0] = mur_v_int(7);
	b.params[1] = mur_v_text("dee", 3);
	b.params[2] = mur_v_float(0.25);
	b.t.nparams = 3;
	run_ok(&b, &res);
	assert_int_equal(res.changes, 1);
	assert_int_equal(res.lsn, 1); /* no capture: the LSN does not move */
	assert_int_equal(res.blob.len, 0);
	assert_int_equal(res.ncols, 2);
	assert_int_equal(res.nrows, 1);
	mur_value *v = values(&res);
	assert_int_equal(v[0].i, 7);
	expect_text(&v[1], "DEE");
	free(v);
	exec_result_free(&res);

	/* UPDATE counts changes */
	tb_init(&b, EXEC_TASK_WRITE, "UPDATE main.\"t\" SET v = v + 1 WHERE name = ?1", "t1_s0.db",
		NULL);
	b.params[0] = mur_v_text("ann", 3);
	b.t.nparams = 1;
	b.t.capture = 1;
	b.t.entry_id = 502;
	run_ok(&b, &res);
	assert_int_equal(res.changes, 3);
	assert_int_equal(res.lsn, 2);
	assert_int_equal(res.entry_id, 502);
	exec_result_free(&res);

	/* QUERY with a parameter, plus one the SQL does not use */
	tb_init(&b, EXEC_TASK_QUERY, "SELECT id, name, v FROM main.\"t\" WHERE id > ?1 ORDER BY id",
		"t1_s0.db", NULL);
	b.params[0] = mur_v_int(4);
	b.params[1] = mur_v_text("unused", 6);
	b.t.nparams = 2;
	run_ok(&b, &res);
	assert_int_equal(res.ncols, 3);
	assert_int_equal(res.nrows, 3);
	assert_int_equal(res.lsn, 0);
	v = values(&res);
	assert_int_equal(v[0].i, 5);
	expect_text(&v[1], "bob");
	assert_true(v[2].kind == MV_FLOAT && v[2].f == 6.0);
	assert_int_equal(v[3].i, 6);
	assert_true(v[5].f == 8.5); /* 7.5 + 1 */
	assert_int_equal(v[6].i, 7);
	free(v);
	exec_result_free(&res);
}

static void test_query_agg(void **state)
{
	(void)state;
	tb b;
	exec_result res;
	/* group by name: count(*), count(v), sum(v), min(id), count(distinct v) */
	tb_init(&b, EXEC_TASK_QUERY, "SELECT name, v, id FROM main.\"t\"", "t1_s0.db", NULL);
	b.t.has_agg = 1;
	b.t.agg.ngroup = 1;
	b.t.agg.naggs = 5;
	b.t.agg.aggs[0] = (exec_agg){EXEC_AGG_COUNT_STAR, 0};
	b.t.agg.aggs[1] = (exec_agg){EXEC_AGG_COUNT, 1};
	b.t.agg.aggs[2] = (exec_agg){EXEC_AGG_SUM, 1};
	b.t.agg.aggs[3] = (exec_agg){EXEC_AGG_MIN, 2};
	b.t.agg.aggs[4] = (exec_agg){EXEC_AGG_COUNT_DISTINCT, 1};
	run_ok(&b, &res);
	assert_int_equal(res.ncols, 6);
	assert_int_equal(res.nrows, 4); /* ann bob cy dee */
	mur_value *v = values(&res);
	for (uint64_t r = 0; r < res.nrows; r++) {
		mur_value *row = &v[r * 6];
		if (row[0].len == 3 && memcmp(row[0].s, "ann", 3) == 0) {
			assert_int_equal(row[1].i, 3);
			assert_int_equal(row[2].i, 3);
			assert_true(row[3].f == 0 + 1 + 3 + 1 + 7.5 + 1); /* v: 0,3,7.5 each +1 */
			assert_int_equal(row[4].i, 1);
			assert_int_equal(row[5].i, 3);
		} else if (row[0].len == 2) { /* cy: v NULL */
			assert_int_equal(row[1].i, 1);
			assert_int_equal(row[2].i, 0);
			assert_int_equal(row[3].kind, MV_NULL);
		}
	}
	free(v);
	exec_result_free(&res);

	/* no group: exactly one row even when the filter leaves nothing */
	tb_init(&b, EXEC_TASK_QUERY, "SELECT v FROM main.\"t\" WHERE id < 0", "t1_s0.db", NULL);
	b.t.has_agg = 1;
	b.t.agg.naggs = 2;
	b.t.agg.aggs[0] = (exec_agg){EXEC_AGG_COUNT_STAR, 0};
	b.t.agg.aggs[1] = (exec_agg){EXEC_AGG_SUM, 0};
	run_ok(&b, &res);
	assert_int_equal(res.nrows, 1);
	v = values(&res);
	assert_int_equal(v[0].i, 0);
	assert_int_equal(v[1].kind, MV_NULL);
	free(v);
	exec_result_free(&res);

	/* an aggregate reading a column the SQL does not produce */
	tb_init(&b, EXEC_TASK_QUERY, "SELECT v FROM main.\"t\"", "t1_s0.db", NULL);
	b.t.has_agg = 1;
	b.t.agg.naggs = 1;
	b.t.agg.aggs[0] = (exec_agg){EXEC_AGG_SUM, 3};
	assert_int_equal(run(&b, &res, 0), MUR_ERR);
	assert_string_equal(res.err.sqlstate, "XX000");
	exec_result_free(&res);
}

/* The blob of the old follower path: step sql (?1 = p0) on the placement
 * file and hll_add column col of each row (exec_sql_column_value). */
static mur_buf row_by_row_sketch(const char *file, const char *sql, int col, int64_t p0)
{
	char path[STOR_PATH_MAX];
	sqlite3 *db;
	sqlite3_stmt *st;
	hll h;
	mur_buf b;
	assert_int_equal(stor_dir_file_path(dir, file, path, sizeof path), 0);
	assert_int_equal(sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_prepare_v2(db, sql, -1, &st, NULL), SQLITE_OK);
	if (sqlite3_bind_parameter_count(st))
		sqlite3_bind_int64(st, 1, p0);
	hll_init(&h, HLL_P_DEFAULT, NULL);
	while (sqlite3_step(st) == SQLITE_ROW) {
		mur_value v = exec_sql_column_value(st, col);
		assert_int_equal(hll_add(&h, &v), MUR_OK);
	}
	sqlite3_finalize(st);
	sqlite3_close(db);
	mur_buf_init(&b);
	hll_serialize(&h, &b);
	hll_free(&h);
	return b;
}

/* approx_count_distinct(x) alone: the follower sketches inside SQLite
 * (mur_hll_sketch); the blob must be byte for byte the one the row-by-row
 * path gives, for every storage class (ints, integral and other floats,
 * -0.0, texts of 8 bytes and others, blobs, empty ones, NULLs), sparse and
 * dense, with params, for no rows and for NULLs only, read from the
 * pages (a bare scan) and through SQLite. */
static void test_query_sketch(void **state)
{
	(void)state;
	tb b;
	exec_result res;
	tb_init(&b, EXEC_TASK_DDL,
		"CREATE TABLE main.\"sk\" (id INTEGER PRIMARY KEY, x);"
		"WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 6000) "
		"INSERT INTO sk SELECT i, CASE i % 8 WHEN 0 THEN i WHEN 1 THEN i * 1.0 "
		"WHEN 2 THEN i + 0.25 WHEN 3 THEN 'v' || i WHEN 4 THEN printf('%08d', i) "
		"WHEN 5 THEN CAST('b' || i AS BLOB) WHEN 6 THEN -i * 1000000007 ELSE NULL END "
		"FROM n;"
		"INSERT INTO sk (x) VALUES (-0.0), (0), (''), (X''), (9223372036854775807), "
		"(-9223372036854775808), (1e300), ('12345678');"
		"CREATE TABLE main.\"sk2\" (x);"
		"INSERT INTO sk2 SELECT x FROM sk;"
		"ALTER TABLE sk2 ADD COLUMN y DEFAULT 5;"
		"INSERT INTO sk2 SELECT x, x FROM sk WHERE id < 3000;",
		"sk_s0.db", NULL);
	run_ok(&b, &res);
	exec_result_free(&res);
	static const struct {
		const char *sql;
		int col;
		int64_t p0;                           /* ?1 */
		const char *scan_table, *scan_column; /* the leader's mark of a bare scan */
	} cases[] = {
		{"SELECT id, x FROM main.\"sk\"", 1, 0, NULL, NULL}, /* dense */
		{"SELECT x FROM main.\"sk\" WHERE id <= ?1;", 0, 400, NULL,
		 NULL}, /* sparse, trailing ';' */
		{"SELECT x, id FROM main.\"sk\" WHERE id < ?1", 0, 0, NULL, NULL}, /* no rows */
		{"SELECT x FROM main.\"sk\" WHERE id % 8 = 7 AND id < ?1", 0, 6000, NULL,
		 NULL}, /* NULLs only */
		{"SELECT x FROM main.\"sk\" WHERE id > ?1 UNION ALL SELECT 1.0", 0, 5990, NULL,
		 NULL},
		/* the bare scan read from the pages (storage/colscan.h) ... */
		{"SELECT \"sk\".\"x\" FROM main.\"sk\" AS \"sk\"", 0, 0, "sk", "x"},
		{"SELECT \"s\".\"x\" FROM main.\"sk2\" AS \"s\"", 0, 0, "sk2", "x"},
		/* ... or through SQLite when the pages cannot say (ALTER TABLE ADD COLUMN) */
		{"SELECT \"sk2\".\"y\" FROM main.\"sk2\" AS \"sk2\"", 0, 0, "sk2", "y"},
		/* the same text unmarked: through SQLite */
		{"SELECT \"sk\".\"x\" FROM main.\"sk\" AS \"sk\"", 0, 0, NULL, NULL},
	};
	for (size_t k = 0; k < sizeof cases / sizeof cases[0]; k++) {
		mur_buf want = row_by_row_sketch("sk_s0.db", cases[k].sql, cases[k].col,
						 cases[k].p0);

		tb_init(&b, EXEC_TASK_QUERY, cases[k].sql, "sk_s0.db", NULL);
		b.t.has_agg = 1;
		b.t.agg.naggs = 1;
		b.t.agg.aggs[0] = (exec_agg){EXEC_AGG_HLL, (uint32_t)cases[k].col};
		b.t.scan_table = cases[k].scan_table;
		b.t.scan_column = cases[k].scan_column;
		b.params[0] = mur_v_int(cases[k].p0);
		b.t.nparams = 1;
		run_ok(&b, &res);
		assert_int_equal(res.ncols, 1);
		assert_int_equal(res.nrows, 1);
		mur_value *v = values(&res);
		assert_int_equal(v[0].kind, MV_BLOB);
		assert_int_equal(v[0].len, want.len);
		assert_memory_equal(v[0].s, want.data, want.len);
		free(v);
		exec_result_free(&res);
		mur_buf_free(&want);
	}
}

/* Many rows with text keys: crosses the aggregate's batches, and SQLite's
 * transient text must have been copied. */
static void test_query_agg_many(void **state)
{
	(void)state;
	tb b;
	exec_result res;
	tb_init(&b, EXEC_TASK_DDL, "CREATE TABLE main.\"big\" (k TEXT, n INTEGER)", "big_s0.db",
		NULL);
	run_ok(&b, &res);
	exec_result_free(&res);
	tb_init(&b, EXEC_TASK_WRITE, "INSERT INTO main.\"big\" VALUES (?1, ?2)", "big_s0.db", NULL);
	for (int i = 0; i < 5000; i++) {
		char k[16];
		int n = snprintf(k, sizeof k, "key-%03d", i % 300);
		mur_value row[2] = {mur_v_text(k, (size_t)n), mur_v_int(i)};
		tb_row(&b, 2, row);
	}
	run_ok(&b, &res);
	assert_int_equal(res.changes, 5000);
	exec_result_free(&res);
	tb_init(&b, EXEC_TASK_QUERY, "SELECT k, n FROM main.\"big\"", "big_s0.db", NULL);
	b.t.has_agg = 1;
	b.t.agg.ngroup = 1;
	b.t.agg.naggs = 2;
	b.t.agg.aggs[0] = (exec_agg){EXEC_AGG_COUNT_STAR, 0};
	b.t.agg.aggs[1] = (exec_agg){EXEC_AGG_SUM, 1};
	run_ok(&b, &res);
	assert_int_equal(res.nrows, 300);
	mur_value *v = values(&res);
	int64_t total = 0;
	for (int r = 0; r < 300; r++) {
		char k[16];
		int n = snprintf(k, sizeof k, "key-%03d", r);
		assert_int_equal(v[r * 3].len, (size_t)n);
		assert_memory_equal(v[r * 3].s, k, (size_t)n);
		assert_int_equal(v[r * 3 + 1].i, r < 200 ? 17 : 16);
		total += v[r * 3 + 2].i;
	}
	assert_int_equal(total, 4999 * 5000 / 2);
	free(v);
	exec_result_free(&res);

	/* the result bound */
	tb_init(&b, EXEC_TASK_QUERY, "SELECT k, n FROM main.\"big\"", "big_s0.db", NULL);
	assert_int_equal(run(&b, &res, 1000), MUR_ERR);
	assert_string_equal(res.err.sqlstate, "54000");
	assert_string_equal(res.err.message, "shard task result exceeded 1000 bytes");
	assert_int_equal(res.rows.len, 0);
	assert_int_equal(res.nrows, 0);
	exec_result_free(&res);
}

/* A filtered aggregate whose SELECT the page scan recognizes
 * (storage/scanfilter.h) is read from the table's pages, and answers
 * byte for byte what SQLite's run of an equivalent text it does not
 * recognize answers: groups, counts and exact numeric sums. */
static void test_query_agg_pages(void **state)
{
	(void)state;
	tb b;
	exec_result res, want;
	static const char *const where =
		" WHERE (\"p\".\"s\" >= '1994-01-01') AND (\"p\".\"q\" < '30' COLLATE mur_numeric)";
	char paged[512], unpaged[600];
	uint64_t scans;
	tb_init(&b, EXEC_TASK_DDL,
		"CREATE TABLE main.\"pg\" (k INTEGER PRIMARY KEY, g TEXT NOT NULL, "
		"q TEXT COLLATE mur_numeric, s TEXT) STRICT;"
		"WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 3000) "
		"INSERT INTO pg SELECT i, 'g' || (i % 5), "
		"CASE WHEN i % 11 = 0 THEN NULL ELSE printf('%d.%02d', i % 60, i % 100) END, "
		"date('1992-01-01', '+' || ((i * 37) % 2500) || ' days') FROM n;",
		"pg_s0.db", NULL);
	run_ok(&b, &res);
	exec_result_free(&res);
	snprintf(paged, sizeof paged, "SELECT \"p\".\"g\", \"p\".\"q\" FROM main.\"pg\" AS \"p\"%s",
		 where);
	snprintf(unpaged, sizeof unpaged, "%s AND (1 = 1)", paged);
	for (int k = 0; k < 2; k++) {
		tb_init(&b, EXEC_TASK_QUERY, k ? paged : unpaged, "pg_s0.db", NULL);
		b.t.has_agg = 1;
		b.t.agg.ngroup = 1;
		b.t.agg.naggs = 2;
		b.t.agg.aggs[0] = (exec_agg){EXEC_AGG_COUNT_STAR, 0};
		b.t.agg.aggs[1] = (exec_agg){EXEC_AGG_NUM_SUM, 1};
		scans = stor_colscan_count();
		run_ok(&b, k ? &res : &want);
		/* only the recognized text was read from the pages */
		assert_int_equal(stor_colscan_count() - scans, (uint64_t)k);
	}
	assert_int_equal(want.nrows, 5);
	assert_int_equal(res.nrows, want.nrows);
	assert_int_equal(res.ncols, want.ncols);
	assert_int_equal(res.rows.len, want.rows.len);
	assert_memory_equal(res.rows.data, want.rows.data, want.rows.len);
	exec_result_free(&res);
	exec_result_free(&want);
}

/* The same SELECT without an aggregate: its rows from the pages, equal to
 * SQLite's; and the result bound holds there too (54000). */
static void test_query_plain_pages(void **state)
{
	(void)state;
	tb b;
	exec_result res, want;
	static const char *const paged =
		"SELECT \"p\".\"g\", \"p\".\"q\", \"p\".\"s\" FROM main.\"pg\" AS \"p\" "
		"WHERE (\"p\".\"s\" >= '1996-01-01') AND (\"p\".\"q\" BETWEEN '1' AND '9.5')";
	char unpaged[512];
	uint64_t scans;
	snprintf(unpaged, sizeof unpaged, "%s AND (1 = 1)", paged);
	for (int k = 0; k < 2; k++) {
		tb_init(&b, EXEC_TASK_QUERY, k ? paged : unpaged, "pg_s0.db", NULL);
		scans = stor_colscan_count();
		run_ok(&b, k ? &res : &want);
		assert_int_equal(stor_colscan_count() - scans, (uint64_t)k);
	}
	assert_true(want.nrows > 10);
	assert_int_equal(res.nrows, want.nrows);
	assert_int_equal(res.ncols, 3);
	assert_int_equal(res.rows.len, want.rows.len);
	assert_memory_equal(res.rows.data, want.rows.data, want.rows.len);
	exec_result_free(&res);
	exec_result_free(&want);
	tb_init(&b, EXEC_TASK_QUERY, paged, "pg_s0.db", NULL);
	assert_int_equal(run(&b, &res, 200), MUR_ERR);
	assert_string_equal(res.err.sqlstate, "54000");
	exec_result_free(&res);
}

static void test_attach_join(void **state)
{
	(void)state;
	tb b;
	exec_result res;
	tb_init(&b, EXEC_TASK_DDL, "CREATE TABLE main.\"u\" (id INTEGER PRIMARY KEY, w TEXT)",
		"t2_s0.db", NULL);
	run_ok(&b, &res);
	exec_result_free(&res);
	tb_init(&b, EXEC_TASK_WRITE, "INSERT INTO main.\"u\" VALUES (?1, ?2)", "t2_s0.db", NULL);
	for (int i = 1; i <= 7; i += 2) {
		mur_value row[2] = {mur_v_int(i), mur_v_text("odd", 3)};
		tb_row(&b, 2, row);
	}
	run_ok(&b, &res);
	exec_result_free(&res);

	for (int round = 0; round < 2; round++) { /* attach/detach repeats cleanly */
		tb_init(&b, EXEC_TASK_QUERY,
			"SELECT t.id, t.name, u.w FROM main.\"t\" t JOIN m1.\"u\" u ON u.id = t.id "
			"ORDER BY t.id",
			"t1_s0.db", "t2_s0.db");
		run_ok(&b, &res);
		assert_int_equal(res.nrows, 4); /* 1 3 5 7 */
		mur_value *v = values(&res);
		assert_int_equal(v[0].i, 1);
		expect_text(&v[1], "ann");
		expect_text(&v[2], "odd");
		assert_int_equal(v[9].i, 7);
		expect_text(&v[10], "dee");
		free(v);
		exec_result_free(&res);
	}
	/* attached placement missing */
	tb_init(&b, EXEC_TASK_QUERY, "SELECT 1", "t1_s0.db", "nope_s0.db");
	assert_int_equal(run(&b, &res, 0), MUR_ERR);
	assert_string_equal(res.err.sqlstate, "58P01");
	exec_result_free(&res);
	struct stat sb;
	char p[512];
	snprintf(p, sizeof p, "%s/nope_s0.db", tmpdir);
	assert_int_not_equal(stat(p, &sb), 0); /* ATTACH did not create it */
	/* main still works, nothing left attached */
	assert_int_equal(count_rows("t1_s0.db", "t"), 7);
}

static void test_failing_write(void **state)
{
	(void)state;
	tb b;
	exec_result res;
	stor_db *db;
	mur_error err;
	assert_int_equal(stor_dir_get(dir, "t1_s0.db", 0, &db, &err), MUR_OK);
	uint64_t lsn_before = stor_lsn(db);
	stor_dir_put(dir, db);

	/* second row hits the primary key: nothing of the task survives */
	tb_init(&b, EXEC_TASK_WRITE,
		"INSERT INTO main.\"t\" (id, name) VALUES (?1, ?2) RETURNING id", "t1_s0.db", NULL);
	mur_value r1[2] = {mur_v_int(100), mur_v_text("new", 3)};
	mur_value r2[2] = {mur_v_int(1), mur_v_text("dup", 3)};
	tb_row(&b, 2, r1);
	tb_row(&b, 2, r2);
	b.t.capture = 1;
	b.t.entry_id = 900;
	assert_int_equal(run(&b, &res, 0), MUR_ERR);
	assert_string_equal(res.err.sqlstate, "23505");
	assert_string_equal(res.err.message,
			    "duplicate key value violates unique constraint \"t_pkey\"");
	assert_int_equal(res.nrows, 0);
	assert_int_equal(res.rows.len, 0);
	assert_int_equal(res.changes, 0);
	assert_int_equal(res.lsn, 0);
	assert_int_equal(res.entry_id, 0);
	assert_int_equal(res.blob.len, 0);
	exec_result_free(&res);
	assert_int_equal(count_rows("t1_s0.db", "t"), 7);

	/* NOT NULL through params */
	tb_init(&b, EXEC_TASK_WRITE, "INSERT INTO main.\"t\" (id, name) VALUES (?1, ?2)",
		"t1_s0.db", NULL);
	b.params[0] = mur_v_int(101);
	b.params[1] = mur_v_null();
	b.t.nparams = 2;
	assert_int_equal(run(&b, &res, 0), MUR_ERR);
	assert_string_equal(res.err.sqlstate, "23502");
	assert_string_equal(res.err.message, "null value in column \"name\" of relation \"t\" "
					     "violates not-null constraint");
	exec_result_free(&res);

	/* bad SQL, write to a missing placement */
	tb_init(&b, EXEC_TASK_WRITE, "INSERT INTO nosuch VALUES (1)", "t1_s0.db", NULL);
	assert_int_equal(run(&b, &res, 0), MUR_ERR);
	assert_string_equal(res.err.sqlstate, "XX000");
	exec_result_free(&res);
	tb_init(&b, EXEC_TASK_WRITE, "INSERT INTO main.\"t\" VALUES (1)", "ghost_s0.db", NULL);
	assert_int_equal(run(&b, &res, 0), MUR_ERR);
	assert_string_equal(res.err.sqlstate, "58P01");
	exec_result_free(&res);

	assert_int_equal(stor_dir_get(dir, "t1_s0.db", 0, &db, &err), MUR_OK);
	assert_int_equal(stor_lsn(db), lsn_before);
	stor_dir_put(dir, db);
	assert_int_equal(count_rows("t1_s0.db", "t"), 7);

	/* the next good write continues the LSN sequence */
	tb_init(&b, EXEC_TASK_WRITE, "DELETE FROM main.\"t\" WHERE id = ?1", "t1_s0.db", NULL);
	b.params[0] = mur_v_int(7);
	b.t.nparams = 1;
	b.t.capture = 1;
	b.t.entry_id = 901;
	run_ok(&b, &res);
	assert_int_equal(res.lsn, lsn_before + 1);
	assert_int_equal(res.entry_id, 901);
	assert_int_equal(res.changes, 1);
	exec_result_free(&res);

	/* a failing DDL changes nothing either */
	tb_init(&b, EXEC_TASK_DDL,
		"CREATE TABLE main.\"x\" (a INTEGER); CREATE TABLE main.\"t\" (b)", "t1_s0.db",
		NULL);
	assert_int_equal(run(&b, &res, 0), MUR_ERR);
	exec_result_free(&res);
	tb_init(&b, EXEC_TASK_QUERY, "SELECT * FROM main.\"x\"", "t1_s0.db", NULL);
	assert_int_equal(run(&b, &res, 0), MUR_ERR); /* x was rolled back */
	exec_result_free(&res);
	assert_int_equal(stor_dir_get(dir, "t1_s0.db", 0, &db, &err), MUR_OK);
	assert_int_equal(stor_lsn(db), lsn_before + 1);
	stor_dir_put(dir, db);
}

static void test_drop(void **state)
{
	(void)state;
	tb b;
	exec_result res;
	char p[512];
	struct stat sb;
	tb_init(&b, EXEC_TASK_DROP, "", "t1_s0.db", "t2_s0.db");
	run_ok(&b, &res);
	exec_result_free(&res);
	for (int i = 1; i <= 2; i++) {
		snprintf(p, sizeof p, "%s/t%d_s0.db", tmpdir, i);
		assert_int_not_equal(stat(p, &sb), 0);
		snprintf(p, sizeof p, "%s/t%d_s0.db-wal", tmpdir, i);
		assert_int_not_equal(stat(p, &sb), 0);
	}
	tb_init(&b, EXEC_TASK_QUERY, "SELECT 1", "t1_s0.db", NULL);
	assert_int_equal(run(&b, &res, 0), MUR_ERR);
	assert_string_equal(res.err.sqlstate, "58P01");
	exec_result_free(&res);
	/* dropping again is fine */
	tb_init(&b, EXEC_TASK_DROP, "", "t1_s0.db", NULL);
	run_ok(&b, &res);
	exec_result_free(&res);
}

/* Fencing: once a newer leader epoch has been seen, an older write task is
 * refused and changes nothing; reads are never fenced. */
static void test_fenced_write(void **state)
{
	(void)state;
	tb b;
	exec_result res;
	mur_value v[2];
	tb_init(&b, EXEC_TASK_DDL, "CREATE TABLE main.\"f\" (k INTEGER PRIMARY KEY, v TEXT) STRICT",
		"t9_s0.db", NULL);
	run_ok(&b, &res);
	exec_result_free(&res);

	exec_fence_observe(100);
	tb_init(&b, EXEC_TASK_WRITE, "INSERT INTO main.\"f\" VALUES (?1, ?2)", "t9_s0.db", NULL);
	v[0] = mur_v_int(1);
	v[1] = mur_v_text("new", 3);
	tb_row(&b, 2, v);
	b.t.epoch = 100; /* current: runs */
	run_ok(&b, &res);
	exec_result_free(&res);

	exec_fence_observe(101); /* the leader gave up on epoch 100's tasks */
	tb_init(&b, EXEC_TASK_WRITE, "INSERT INTO main.\"f\" VALUES (?1, ?2)", "t9_s0.db", NULL);
	v[0] = mur_v_int(2);
	v[1] = mur_v_text("stale", 5);
	tb_row(&b, 2, v);
	b.t.epoch = 100;
	assert_int_equal(run(&b, &res, 0), MUR_ERR);
	assert_string_equal(res.err.sqlstate, "55000");
	exec_result_free(&res);
	assert_int_equal(count_rows("t9_s0.db", "f"), 1);

	exec_fence_observe(50); /* epochs only move forward */
	tb_init(&b, EXEC_TASK_WRITE, "DELETE FROM main.\"f\"", "t9_s0.db", NULL);
	b.t.epoch = 100;
	assert_int_equal(run(&b, &res, 0), MUR_ERR);
	exec_result_free(&res);
	assert_int_equal(count_rows("t9_s0.db", "f"), 1);

	/* a quick point lookup runs inline, and is not fenced */
	tb_init(&b, EXEC_TASK_QUERY, "SELECT v FROM main.\"f\" WHERE k = 1", "t9_s0.db", NULL);
	b.t.quick = 1;
	exec_result_init(&res);
	assert_int_equal(exec_task_run_try(dir, &b.t, &res), MUR_OK);
	assert_int_equal(res.nrows, 1);
	exec_result_free(&res);
	mur_buf_free(&b.rows);
	/* not marked quick: the caller must use the thread pool */
	tb_init(&b, EXEC_TASK_QUERY, "SELECT v FROM main.\"f\"", "t9_s0.db", NULL);
	exec_result_init(&res);
	assert_int_equal(exec_task_run_try(dir, &b.t, &res), MUR_EAGAIN);
	assert_int_equal(res.failed, 0);
	exec_result_free(&res);
	mur_buf_free(&b.rows);
}

/* A captured write of v as row k of "rb" (entry entry_id of txn txn_id). */
/* Entry entry_id of transaction txn_id (0: autocommit) on file's table
 * "rb": k = v. */
static void rb_write_to(const char *file, int64_t k, int64_t v, uint64_t entry_id, uint64_t txn_id)
{
	tb b;
	exec_result res;
	mur_value vals[2] = {mur_v_int(k), mur_v_int(v)};
	tb_init(&b, EXEC_TASK_WRITE, "INSERT OR REPLACE INTO main.\"rb\" VALUES (?1, ?2)", file,
		NULL);
	tb_row(&b, 2, vals);
	b.t.capture = 1;
	b.t.entry_id = entry_id;
	b.t.txn_id = txn_id;
	run_ok(&b, &res);
	exec_result_free(&res);
}

static void rb_write(int64_t k, int64_t v, uint64_t entry_id, uint64_t txn_id)
{
	rb_write_to("t11_s0.db", k, v, entry_id, txn_id);
}

/* A read with a bound (exec_task.lsn: the newest entry it may see) says
 * where it read; a placement past the bound, or inside an open
 * transaction (its entries without their marker), refuses it (55000,
 * saying where it is) instead of showing what may never be committed. */
static void test_read_bound(void **state)
{
	(void)state;
	tb b;
	exec_result res;
	tb_init(&b, EXEC_TASK_DDL, "CREATE TABLE main.\"rb\" (k INTEGER PRIMARY KEY, v INT) STRICT",
		"t11_s0.db", NULL);
	run_ok(&b, &res);
	exec_result_free(&res);
	rb_write(1, 10, 601, 0); /* entry 1 */
	rb_write(1, 11, 602, 0); /* entry 2 */

	for (uint64_t bound = 2; bound <= 3; bound++) { /* at or below the bound: read */
		tb_init(&b, EXEC_TASK_QUERY, "SELECT v FROM main.\"rb\" WHERE k = 1", "t11_s0.db",
			NULL);
		b.t.lsn = bound;
		run_ok(&b, &res);
		assert_int_equal(res.lsn, 2);
		assert_int_equal(res.entry_id, 602);
		assert_int_equal(res.nrows, 1);
		exec_result_free(&res);
	}
	for (int kind = EXEC_TASK_QUERY; kind;
	     kind = kind == EXEC_TASK_QUERY ? EXEC_TASK_SHUFFLE_SEND
					    : 0) { /* a shuffle's SEND reads so too */
		tb_init(&b, (exec_task_kind)kind, "SELECT v FROM main.\"rb\" WHERE k = 1",
			"t11_s0.db", NULL);
		b.t.shuffle_inputs = 1;
		b.t.lsn = 1; /* entry 2 may be undecided for this read: refused */
		assert_int_equal(run(&b, &res, 0), MUR_ERR);
		assert_string_equal(res.err.sqlstate, EXEC_SQLSTATE_READ_PAST);
		assert_int_equal(res.lsn, 2);
		assert_int_equal(res.nrows, 0);
		exec_result_free(&res);
	}
	tb_init(&b, EXEC_TASK_SHUFFLE_SEND, "SELECT v FROM main.\"rb\" WHERE k = 1", "t11_s0.db",
		NULL);
	b.t.shuffle_inputs = 1;
	b.t.lsn = 2;
	run_ok(&b, &res); /* within it: reads, and says where */
	assert_int_equal(res.lsn, 2);
	assert_int_equal(res.entry_id, 602);
	exec_result_free(&res);

	rb_write(1, 99, 603, 77); /* entry 3: transaction 77's, no marker yet */
	tb_init(&b, EXEC_TASK_QUERY, "SELECT v FROM main.\"rb\" WHERE k = 1", "t11_s0.db", NULL);
	b.t.lsn = 3; /* within the bound, but inside transaction 77 */
	assert_int_equal(run(&b, &res, 0), MUR_ERR);
	assert_string_equal(res.err.sqlstate, EXEC_SQLSTATE_READ_PAST);
	assert_int_equal(res.lsn, 3);
	exec_result_free(&res);
	tb_init(&b, EXEC_TASK_QUERY, "SELECT v FROM main.\"rb\" WHERE k = 1", "t11_s0.db", NULL);
	run_ok(&b, &res); /* no bound (strong: the leader waited): reads, at lsn 0 */
	assert_int_equal(res.lsn, 0);
	mur_value *v = values(&res);
	assert_int_equal(v[0].i, 99);
	free(v);
	exec_result_free(&res);
}

/* Make file with table "rb" holding entries 1..n (k = 1, entry ids
 * first_id..). */
static void rb_make(const char *file, int n, uint64_t first_id)
{
	tb b;
	exec_result res;
	tb_init(&b, EXEC_TASK_DDL, "CREATE TABLE main.\"rb\" (k INTEGER PRIMARY KEY, v INT) STRICT",
		file, NULL);
	run_ok(&b, &res);
	exec_result_free(&res);
	for (int i = 0; i < n; i++)
		rb_write_to(file, 1, 10 + i, first_id + (uint64_t)i, 0);
}

/* A co-located join's read of two placements, main held to main_bound
 * and m1 to m1_bound (exec_task.attached_bound); run's return. */
static int join_bounded(uint64_t main_bound, uint64_t m1_bound, exec_result *res)
{
	tb b;
	tb_init(&b, EXEC_TASK_QUERY,
		"SELECT a.v, c.v FROM main.\"rb\" a JOIN m1.\"rb\" c ON c.k = a.k", "t12_s0.db",
		"t13_s0.db");
	b.t.lsn = main_bound;
	b.t.attached_bound[1] = m1_bound;
	return run(&b, res, 0);
}

/* Each placement of a co-located join is held to its own bound: the
 * result says where each was read; one past its bound, or inside an open
 * transaction, refuses the read (55000) though main is within its own. */
static void test_read_bound_attached(void **state)
{
	(void)state;
	exec_result res;
	rb_make("t12_s0.db", 1, 701); /* main at entry 1 */
	rb_make("t13_s0.db", 2, 801); /* m1 at entry 2 */

	assert_int_equal(join_bounded(1, 2, &res), MUR_OK); /* both within: read */
	assert_int_equal(res.nrows, 1);
	assert_int_equal(res.lsn, 1);
	assert_int_equal(res.entry_id, 701);
	assert_int_equal(res.nattached, 1);
	assert_int_equal(res.attached_lsn[1], 2);
	assert_int_equal(res.attached_entry_id[1], 802);
	exec_result_free(&res);

	assert_int_equal(join_bounded(1, 1, &res), MUR_ERR); /* m1 past its bound */
	assert_string_equal(res.err.sqlstate, EXEC_SQLSTATE_READ_PAST);
	assert_non_null(strstr(res.err.message, "t13_s0.db"));
	assert_int_equal(res.attached_lsn[1], 2);
	assert_int_equal(res.nrows, 0);
	exec_result_free(&res);

	assert_int_equal(join_bounded(1, 0, &res), MUR_OK); /* m1 without a bound */
	assert_int_equal(res.nrows, 1);
	exec_result_free(&res);

	rb_write_to("t13_s0.db", 1, 99, 803, 78); /* m1's entry 3: transaction 78's */
	assert_int_equal(join_bounded(1, 3, &res), MUR_ERR);
	assert_string_equal(res.err.sqlstate, EXEC_SQLSTATE_READ_PAST);
	assert_int_equal(res.attached_lsn[1], 3);
	exec_result_free(&res);
}

/* A run of one text, its result's width. */
static uint32_t run_width(exec_task_kind kind, const char *sql)
{
	tb b;
	exec_result res;
	tb_init(&b, kind, sql, "w_s0.db", NULL);
	run_ok(&b, &res);
	uint32_t n = res.ncols;
	if (res.nrows) {
		mur_value *v = values(&res); /* the rows are as wide as said */
		free(v);
	}
	exec_result_free(&res);
	return n;
}

/* The placement's kept statement (storage/db.c) for a text whose table
 * got a column between two runs: SQLite re-prepares it inside the first
 * step, so the width is read after it (task_run.c, stmt_cache.h). */
static void test_kept_statement_shape_after_alter(void **state)
{
	(void)state;
	const char *q = "SELECT * FROM main.\"w\" ORDER BY 1";
	const char *ret = "UPDATE main.\"w\" SET a = a + 1 RETURNING *";
	run_width(EXEC_TASK_DDL, "CREATE TABLE main.\"w\" (a INTEGER PRIMARY KEY)");
	run_width(EXEC_TASK_WRITE, "INSERT INTO main.\"w\" VALUES (1)");
	assert_int_equal(run_width(EXEC_TASK_QUERY, q), 1);
	assert_int_equal(run_width(EXEC_TASK_WRITE, ret), 1);
	run_width(EXEC_TASK_DDL, "ALTER TABLE main.\"w\" ADD COLUMN b TEXT DEFAULT 'x'");
	assert_int_equal(run_width(EXEC_TASK_QUERY, q), 2);
	assert_int_equal(run_width(EXEC_TASK_WRITE, ret), 2);
	run_width(EXEC_TASK_DDL, "ALTER TABLE main.\"w\" DROP COLUMN b");
	assert_int_equal(run_width(EXEC_TASK_QUERY, q), 1);
	assert_int_equal(run_width(EXEC_TASK_WRITE, ret), 1);
}

/* count(col) over a kept `SELECT *`: the aggregate is judged against
 * the width after the first step. */
static int64_t count_col(const char *sql, uint32_t col, exec_agg_fn fn)
{
	tb b;
	exec_result res;
	tb_init(&b, EXEC_TASK_QUERY, sql, "w_s0.db", NULL);
	b.t.has_agg = 1;
	b.t.agg.naggs = 1;
	b.t.agg.aggs[0] = (exec_agg){(uint8_t)fn, col};
	run_ok(&b, &res);
	assert_int_equal(res.ncols, 1);
	assert_int_equal(res.nrows, 1);
	mur_value *v = values(&res);
	int64_t n = v[0].i;
	free(v);
	exec_result_free(&res);
	return n;
}

static void test_kept_statement_agg_after_alter(void **state)
{
	(void)state;
	const char *q = "SELECT * FROM main.\"g\"";
	run_width(EXEC_TASK_DDL, "CREATE TABLE main.\"g\" (a INTEGER PRIMARY KEY)");
	run_width(EXEC_TASK_WRITE, "INSERT INTO main.\"g\" VALUES (1)");
	assert_int_equal(count_col(q, 0, EXEC_AGG_COUNT_STAR), 1);
	run_width(EXEC_TASK_DDL, "ALTER TABLE main.\"g\" ADD COLUMN c TEXT DEFAULT 'y'");
	assert_int_equal(count_col(q, 1, EXEC_AGG_COUNT), 1); /* c, the new column */
	run_width(EXEC_TASK_DDL, "ALTER TABLE main.\"g\" DROP COLUMN c");
	assert_int_equal(count_col(q, 0, EXEC_AGG_COUNT), 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_query_cancel_flag),
		cmocka_unit_test(test_ddl_write_query),
		cmocka_unit_test(test_query_agg),
		cmocka_unit_test(test_query_agg_many),
		cmocka_unit_test(test_query_sketch),
		cmocka_unit_test(test_query_agg_pages),
		cmocka_unit_test(test_query_plain_pages),
		cmocka_unit_test(test_attach_join),
		cmocka_unit_test(test_failing_write),
		cmocka_unit_test(test_drop),
		cmocka_unit_test(test_fenced_write),
		cmocka_unit_test(test_read_bound),
		cmocka_unit_test(test_read_bound_attached),
		cmocka_unit_test(test_kept_statement_shape_after_alter),
		cmocka_unit_test(test_kept_statement_agg_after_alter),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
