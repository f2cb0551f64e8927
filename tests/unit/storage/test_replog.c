/*
 * test_replog.c — the shard log (src/storage/replog.c, snapshot.c, dir.c
 * install) and the APPLY / UNDO / STATUS tasks (src/follower/task_run.c), on
 * real SQLite files: a "primary" directory and a "replica" directory each
 * hold placement t1_s0.db.  Copies are compared by a digest of all rows
 * (the encoded result of SELECT * ORDER BY id).
 *
 * Tasks travel through exec_task_encode/decode first, as between leader
 * and follower.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "follower/task_run.h"
#include "storage/replog.h"
#include "storage/storage_int.h"
#include "test_loop.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define FILE_T "t1_s0.db"
#define SCHEMA "CREATE TABLE main.\"t\" (id INTEGER PRIMARY KEY, name TEXT NOT NULL, v REAL)"
#define DIGEST_SQL "SELECT id, name, v FROM main.\"t\" ORDER BY id"

static char tmpdir[TL_TMPDIR_MAX];
static stor_dir *prim, *repl;

static void must(int rc, const mur_error *err)
{
	if (rc != MUR_OK)
		fail_msg("rc %d: %s %s", rc, err->sqlstate, err->message);
}

static int setup(void **state)
{
	(void)state;
	char p[300];
	mur_error err;
	if (tl_tmpdir_make(tmpdir, sizeof tmpdir, "replog") != 0)
		return -1;
	snprintf(p, sizeof p, "%s/p", tmpdir);
	if (stor_dir_open(p, &prim, &err) != MUR_OK)
		return -1;
	snprintf(p, sizeof p, "%s/r", tmpdir);
	return stor_dir_open(p, &repl, &err);
}

static int teardown(void **state)
{
	(void)state;
	stor_dir_close(prim);
	stor_dir_close(repl);
	return tl_tmpdir_remove(tmpdir);
}

/* ---- task helpers ------------------------------------------------ */

typedef struct tb {
	exec_task t;
	mur_value params[8];
	mur_buf rows;
} tb;

static void tb_init(tb *b, exec_task_kind kind, const char *sql)
{
	static uint64_t next_id = 1;
	memset(b, 0, sizeof *b);
	b->t.id = next_id++;
	b->t.kind = (uint8_t)kind;
	b->t.sql = sql ? sql : "";
	b->t.nplacements = 1;
	snprintf(b->t.placements[0], sizeof b->t.placements[0], "%s", FILE_T);
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

/* Encode, decode, run on d. */
static int run(stor_dir *d, tb *b, exec_result *res)
{
	mur_buf wire;
	exec_task t;
	mur_buf_init(&wire);
	exec_task_encode(&b->t, &wire);
	assert_int_equal(exec_task_decode(wire.data, wire.len, &t), MUR_OK);
	exec_result_init(res);
	int rc = exec_task_run(d, &t, res);
	assert_int_equal(rc == MUR_OK, !res->failed);
	exec_task_free_decoded(&t);
	mur_buf_free(&wire);
	mur_buf_free(&b->rows);
	return rc;
}

static void run_ok(stor_dir *d, tb *b, exec_result *res)
{
	if (run(d, b, res) != MUR_OK)
		fail_msg("task failed: %s %s", res->err.sqlstate, res->err.message);
}

static void ddl(stor_dir *d, const char *sql)
{
	tb b;
	exec_result res;
	tb_init(&b, EXEC_TASK_DDL, sql);
	run_ok(d, &b, &res);
	exec_result_free(&res);
}

/* Captured write with entry id eid; res holds the changeset. */
static void cwrite(tb *b, uint64_t eid, exec_result *res)
{
	b->t.capture = 1;
	b->t.entry_id = eid;
	run_ok(prim, b, res);
}

/* INSERT (id, name, v) as a captured write of one row, an entry of
 * transaction txn (0: autocommit), on d; 0 or the task's error. */
static int insert_txn(stor_dir *d, int64_t id, const char *name, uint64_t eid, uint64_t txn,
		      exec_result *res)
{
	tb b;
	tb_init(&b, EXEC_TASK_WRITE, "INSERT INTO main.\"t\" VALUES (?1, ?2, ?3)");
	b.params[0] = mur_v_int(id);
	b.params[1] = mur_v_text(name, strlen(name));
	b.params[2] = mur_v_float((double)id / 4);
	b.t.nparams = 3;
	b.t.capture = 1;
	b.t.entry_id = eid;
	b.t.txn_id = txn;
	return run(d, &b, res);
}

static void insert1(int64_t id, const char *name, uint64_t eid, exec_result *res)
{
	if (insert_txn(prim, id, name, eid, 0, res) != MUR_OK)
		fail_msg("insert failed: %s %s", res->err.sqlstate, res->err.message);
}

/* APPLY of entry (lsn, eid) of transaction txn (0: autocommit), kind
 * EXEC_ENTRY_*, changeset cs. */
static int apply_task_txn(stor_dir *d, uint64_t lsn, uint64_t eid, uint64_t txn, uint8_t kind,
			  const mur_buf *cs, exec_result *res)
{
	tb b;
	tb_init(&b, EXEC_TASK_APPLY, NULL);
	b.t.lsn = lsn;
	b.t.entry_id = eid;
	b.t.txn_id = txn;
	b.t.entry_kind = kind;
	b.t.blob = cs->data;
	b.t.blob_len = cs->len;
	return run(d, &b, res);
}

static int apply_task(stor_dir *d, uint64_t lsn, uint64_t eid, const mur_buf *cs, exec_result *res)
{
	return apply_task_txn(d, lsn, eid, 0, EXEC_ENTRY_DATA, cs, res);
}

/* APPLY the entry the primary's write w made, of txn / kind. */
static void apply_entry_ok(stor_dir *d, const exec_result *w, uint64_t txn, uint8_t kind)
{
	exec_result res;
	if (apply_task_txn(d, w->lsn, w->entry_id, txn, kind, &w->blob, &res) != MUR_OK)
		fail_msg("apply failed: %s %s", res.err.sqlstate, res.err.message);
	assert_int_equal(res.lsn, w->lsn);
	assert_int_equal(res.entry_id, w->entry_id);
	exec_result_free(&res);
}

static void apply_ok(stor_dir *d, const exec_result *w)
{
	apply_entry_ok(d, w, 0, EXEC_ENTRY_DATA);
}

static int undo_task(stor_dir *d, uint64_t target, exec_result *res)
{
	tb b;
	tb_init(&b, EXEC_TASK_UNDO, NULL);
	b.t.lsn = target;
	return run(d, &b, res);
}

/* All rows of t, encoded (malloc'd, *len bytes). */
static char *digest_sql(stor_dir *d, const char *sql, size_t *len)
{
	tb b;
	exec_result res;
	tb_init(&b, EXEC_TASK_QUERY, sql);
	run_ok(d, &b, &res);
	char *p = mur_buf_steal(&res.rows, len);
	exec_result_free(&res);
	return p ? p : calloc(1, 1);
}

static char *digest(stor_dir *d, size_t *len) { return digest_sql(d, DIGEST_SQL, len); }

/* a and b answer sql with the same rows. */
static void expect_same_sql(stor_dir *a, stor_dir *b, const char *sql)
{
	size_t na, nb;
	char *da = digest_sql(a, sql, &na), *db = digest_sql(b, sql, &nb);
	assert_int_equal(na, nb);
	assert_memory_equal(da, db, na);
	free(da);
	free(db);
}

static void expect_same(stor_dir *a, stor_dir *b) { expect_same_sql(a, b, DIGEST_SQL); }

static void expect_digest(stor_dir *d, const char *want, size_t wlen)
{
	size_t n;
	char *got = digest(d, &n);
	assert_int_equal(n, wlen);
	if (n)
		assert_memory_equal(got, want, n);
	free(got);
}

static uint64_t lsn_of(stor_dir *d, uint64_t *entry_id)
{
	stor_db *db;
	mur_error err;
	must(stor_dir_get(d, FILE_T, 0, &db, &err), &err);
	uint64_t lsn = stor_lsn(db);
	if (entry_id)
		*entry_id = stor_entry_id(db);
	stor_dir_put(d, db);
	return lsn;
}

static void reset_dirs(void)
{
	mur_error err;
	must(stor_dir_drop(prim, FILE_T, &err), &err);
	must(stor_dir_drop(repl, FILE_T, &err), &err);
	stor_dir_set_log_retention(prim, 0, 0);
	stor_dir_set_log_retention(repl, 0, 0);
	ddl(prim, SCHEMA);
	ddl(repl, SCHEMA);
}

/* ---- tests ------------------------------------------------------- */

static void test_capture_apply(void **state)
{
	(void)state;
	exec_result w, r;
	tb b;
	reset_dirs();

	/* multi-row insert */
	tb_init(&b, EXEC_TASK_WRITE, "INSERT INTO main.\"t\" VALUES (?1, ?2, ?3)");
	for (int i = 1; i <= 20; i++) {
		char name[16];
		snprintf(name, sizeof name, "n%d", i % 5);
		mur_value row[3] = {mur_v_int(i), mur_v_text(name, strlen(name)),
				    i % 3 ? mur_v_float(i * 0.5) : mur_v_null()};
		tb_row(&b, 3, row);
	}
	cwrite(&b, 1001, &w);
	assert_int_equal(w.changes, 20);
	assert_int_equal(w.lsn, 1);
	assert_int_equal(w.entry_id, 1001);
	assert_true(w.blob.len > 0);
	apply_ok(repl, &w);
	expect_same(prim, repl);
	exec_result_free(&w);

	/* UPDATE … RETURNING */
	tb_init(&b, EXEC_TASK_WRITE,
		"UPDATE main.\"t\" SET v = coalesce(v, 0) + 1, name = upper(name) WHERE id % 2 = 0"
		" RETURNING id");
	cwrite(&b, 1002, &w);
	assert_int_equal(w.changes, 10);
	assert_int_equal(w.nrows, 10);
	assert_int_equal(w.lsn, 2);
	apply_ok(repl, &w);
	expect_same(prim, repl);
	exec_result_free(&w);

	/* DELETE with a parameter */
	tb_init(&b, EXEC_TASK_WRITE, "DELETE FROM main.\"t\" WHERE id > ?1");
	b.params[0] = mur_v_int(15);
	b.t.nparams = 1;
	cwrite(&b, 1003, &w);
	assert_int_equal(w.changes, 5);
	assert_int_equal(w.lsn, 3);
	apply_ok(repl, &w);
	expect_same(prim, repl);
	exec_result_free(&w);

	/* a captured write that changes nothing makes no entry */
	tb_init(&b, EXEC_TASK_WRITE, "UPDATE main.\"t\" SET v = 1 WHERE id = -1");
	cwrite(&b, 1004, &w);
	assert_int_equal(w.changes, 0);
	assert_int_equal(w.lsn, 3);
	assert_int_equal(w.entry_id, 1003);
	assert_int_equal(w.blob.len, 0);
	exec_result_free(&w);

	/* insert then delete in one task: the entry holds neither */
	insert1(100, "x", 1005, &w);
	apply_ok(repl, &w);
	exec_result_free(&w);
	expect_same(prim, repl);
	uint64_t eid;
	assert_int_equal(lsn_of(repl, &eid), 4);
	assert_int_equal(eid, 1005);

	/* DDL does not move the LSN on either side */
	tb_init(&b, EXEC_TASK_DDL, "CREATE INDEX main.\"t_name\" ON \"t\"(name)");
	run_ok(prim, &b, &r);
	assert_int_equal(r.lsn, 4);
	exec_result_free(&r);
	assert_int_equal(lsn_of(prim, NULL), 4);
}

/* Row capture (storage/capture_rows.c) writes the changeset a session
 * would: byte for byte for one row of every type (REAL affinity applied to
 * an integer, a composite key listed out of column order), and a write
 * that updates instead of inserting falls back to the session. */
#define W_SCHEMA                                                                                   \
	"CREATE TABLE main.\"w\" (a INTEGER NOT NULL, b TEXT NOT NULL, r REAL, x BLOB,"            \
	" n INTEGER, PRIMARY KEY (b, a)) STRICT"
#define W_INSERT "INSERT INTO main.\"w\" VALUES (?1, ?2, ?3, ?4, ?5)"

static void w_write(const char *file, const char *sql, const mur_value *row, int as_rows,
		    uint64_t eid, exec_result *res)
{
	tb b;
	tb_init(&b, EXEC_TASK_WRITE, sql);
	snprintf(b.t.placements[0], sizeof b.t.placements[0], "%s", file);
	if (as_rows) {
		tb_row(&b, 5, row);
	} else {
		memcpy(b.params, row, 5 * sizeof *row);
		b.t.nparams = 5;
	}
	cwrite(&b, eid, res);
}

static void test_row_capture_matches_session(void **state)
{
	(void)state;
	const char *files[2] = {"t7_s0.db", "t8_s0.db"};
	exec_result byrows, bysession, upd, rep;
	mur_error err;
	for (int i = 0; i < 2; i++) {
		tb b;
		exec_result r;
		stor_dir_drop(prim, files[i], &err);
		tb_init(&b, EXEC_TASK_DDL, W_SCHEMA);
		snprintf(b.t.placements[0], sizeof b.t.placements[0], "%s", files[i]);
		run_ok(prim, &b, &r);
		exec_result_free(&r);
	}
	char text[300];
	memset(text, 'y', sizeof text - 1); /* a length that takes a 2-byte varint */
	text[sizeof text - 1] = '\0';
	mur_value row[5] = {mur_v_int(-7), mur_v_text(text, strlen(text)), mur_v_int(3),
			    mur_v_blob("\x00\x01\xff", 3), mur_v_null()};

	w_write(files[0], W_INSERT, row, 1, 2001, &byrows);    /* rows: row capture */
	w_write(files[1], W_INSERT, row, 0, 2001, &bysession); /* params: session */
	assert_int_equal(byrows.changes, 1);
	assert_true(byrows.blob.len > 0);
	assert_int_equal(byrows.blob.len, bysession.blob.len);
	assert_memory_equal(byrows.blob.data, bysession.blob.data, byrows.blob.len);

	/* rows that update instead of inserting: the session's changeset */
	w_write(files[0], W_INSERT " ON CONFLICT (b, a) DO UPDATE SET n = 5", row, 1, 2002, &upd);
	assert_int_equal(upd.changes, 1);
	assert_int_equal(upd.lsn, 2);
	size_t hdr = 1 + 1 + 5 + strlen("w") + 1; /* 'T' ncol pk[5] name NUL */
	assert_true(upd.blob.len > hdr);
	assert_int_equal((unsigned char)upd.blob.data[hdr], SQLITE_UPDATE);

	/* OR REPLACE deletes the old row first: also the session's */
	w_write(files[0], "INSERT OR REPLACE INTO main.\"w\" VALUES (?1, ?2, ?3, ?4, ?5)", row, 1,
		2003, &rep);
	assert_int_equal(rep.lsn, 3);
	assert_true(rep.blob.len > hdr);

	exec_result_free(&byrows);
	exec_result_free(&bysession);
	exec_result_free(&upd);
	exec_result_free(&rep);
	for (int i = 0; i < 2; i++)
		must(stor_dir_drop(prim, files[i], &err), &err);
}

/* The header row capture reads once per placement (the table's key and
 * REAL columns) is read again after the table is replaced: same name, same
 * column count, another key and another REAL column; the changeset is
 * still the session's, byte for byte. */
static void test_row_capture_follows_schema(void **state)
{
	(void)state;
	const char *files[2] = {"t9_s0.db", "t10_s0.db"};
	static const char *ddl[] =
		{W_SCHEMA, "DROP TABLE main.\"w\"",
		 "CREATE TABLE main.\"w\" (a REAL, b TEXT NOT NULL, r INTEGER NOT NULL, x BLOB,"
		 " n INTEGER, PRIMARY KEY (r)) STRICT"};
	exec_result before, byrows, bysession;
	mur_error err;
	mur_value row[5] = {mur_v_int(-7), mur_v_text("k", 1), mur_v_int(3),
			    mur_v_blob("\x00\x01", 2), mur_v_null()};
	for (int i = 0; i < 2; i++)
		stor_dir_drop(prim, files[i], &err);
	for (size_t k = 0; k < sizeof ddl / sizeof ddl[0]; k++) {
		for (int i = 0; i < 2; i++) {
			tb b;
			exec_result r;
			tb_init(&b, EXEC_TASK_DDL, ddl[k]);
			snprintf(b.t.placements[0], sizeof b.t.placements[0], "%s", files[i]);
			run_ok(prim, &b, &r);
			exec_result_free(&r);
		}
		if (k == 0) /* the old table's header, read by row capture on files[0] */
			w_write(files[0], W_INSERT, row, 1, 3001, &before);
	}
	w_write(files[0], W_INSERT, row, 1, 3002, &byrows);    /* rows: row capture */
	w_write(files[1], W_INSERT, row, 0, 3002, &bysession); /* params: session */
	assert_int_equal(byrows.changes, 1);
	assert_int_equal(byrows.blob.len, bysession.blob.len);
	assert_memory_equal(byrows.blob.data, bysession.blob.data, byrows.blob.len);
	assert_true(before.blob.len > 7);
	assert_memory_not_equal(before.blob.data, byrows.blob.data, 7); /* 'T' ncol pk[5] */
	exec_result_free(&before);
	exec_result_free(&byrows);
	exec_result_free(&bysession);
	for (int i = 0; i < 2; i++)
		must(stor_dir_drop(prim, files[i], &err), &err);
}

/* The changeset of sql on file, taken by row capture (rowcap, with
 * one_statement) or by a session, then rolled back: MUR_OK with *cs, or
 * row capture's MUR_EAGAIN. */
static int capture_sql(const char *file, const char *sql, int rowcap, int one_statement,
		       mur_buf *cs)
{
	stor_db *db;
	stor_rowcap *rcap = NULL;
	sqlite3_session *s = NULL;
	mur_error err;
	int rc = MUR_OK;
	mur_buf_reset(cs);
	must(stor_dir_get(prim, file, 0, &db, &err), &err);
	must(stor_lock(db, &err), &err);
	must(stor_begin(db, &err), &err);
	if (rowcap)
		must(stor_rowcap_begin(db, one_statement, &rcap, &err), &err);
	else
		must(stor_capture_begin(db, &s, &err), &err);
	if (sqlite3_exec(stor_handle(db), sql, NULL, NULL, NULL) != SQLITE_OK)
		fail_msg("%s: %s", sql, sqlite3_errmsg(stor_handle(db)));
	if (rowcap) {
		rc = stor_rowcap_take(rcap, cs, &err);
		assert_true(rc == MUR_OK || rc == MUR_EAGAIN);
	} else {
		void *p = NULL;
		size_t n = 0;
		must(stor_capture_take(db, s, &p, &n, &err), &err);
		if (n)
			mur_buf_put(cs, p, n);
		sqlite3_free(p);
	}
	stor_capture_end(s);
	stor_rowcap_end(rcap);
	stor_rollback(db);
	stor_unlock(db);
	stor_dir_put(prim, db);
	return rc;
}

/* One field of a changeset record as text ("-" undefined). */
static void canon_value(mur_buf *out, sqlite3_value *v)
{
	char tmp[64];
	if (!v) {
		mur_buf_put_cstr(out, "-");
		return;
	}
	int t = sqlite3_value_type(v);
	snprintf(tmp, sizeof tmp, "%d:", t);
	mur_buf_put(out, tmp, strlen(tmp));
	if (t == SQLITE_FLOAT)
		snprintf(tmp, sizeof tmp, "%.17g", sqlite3_value_double(v));
	else if (t == SQLITE_INTEGER)
		snprintf(tmp, sizeof tmp, "%lld", (long long)sqlite3_value_int64(v));
	else
		snprintf(tmp, sizeof tmp, "%d", sqlite3_value_bytes(v));
	mur_buf_put(out, tmp, strlen(tmp));
	if (t == SQLITE_TEXT || t == SQLITE_BLOB)
		mur_buf_put(out, sqlite3_value_blob(v), (size_t)sqlite3_value_bytes(v));
	mur_buf_put_u8(out, '|');
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* cs's records as sorted lines "op old… new…", one string (records in
 * any order compare equal, as a changeset's rows are independent). */
static char *canon_changeset(const mur_buf *cs)
{
	sqlite3_changeset_iter *it;
	char *lines[64];
	int n = 0;
	mur_buf out;
	mur_buf_init(&out);
	assert_int_equal(sqlite3changeset_start(&it, (int)cs->len, cs->data), SQLITE_OK);
	while (sqlite3changeset_next(it) == SQLITE_ROW) {
		const char *tab;
		int ncol, op, ind;
		mur_buf line;
		mur_buf_init(&line);
		assert_int_equal(sqlite3changeset_op(it, &tab, &ncol, &op, &ind), SQLITE_OK);
		char head[64];
		snprintf(head, sizeof head, "%s %d %d:", tab, op, ind);
		mur_buf_put(&line, head, strlen(head));
		for (int i = 0; i < ncol; i++) {
			sqlite3_value *v = NULL;
			if (op != SQLITE_INSERT)
				sqlite3changeset_old(it, i, &v);
			canon_value(&line, v);
		}
		for (int i = 0; i < ncol; i++) {
			sqlite3_value *v = NULL;
			if (op != SQLITE_DELETE)
				sqlite3changeset_new(it, i, &v);
			canon_value(&line, v);
		}
		mur_buf_put_u8(&line, '\n');
		mur_buf_put_u8(&line, 0);
		assert_true(n < 64);
		lines[n++] = strdup(line.data);
		mur_buf_free(&line);
	}
	assert_int_equal(sqlite3changeset_finalize(it), SQLITE_OK);
	qsort(lines, (size_t)n, sizeof *lines, cmp_str);
	for (int i = 0; i < n; i++) {
		mur_buf_put_cstr(&out, lines[i]);
		free(lines[i]);
	}
	mur_buf_put_u8(&out, 0);
	char *r = strdup(out.data);
	mur_buf_free(&out);
	return r;
}

/* Row capture of a one-statement UPDATE or DELETE writes the changeset a
 * session would: byte for byte for one row (REAL affinity, text, blob,
 * NULL, a no-op update leaving no record), record for record for several;
 * and falls back (MUR_EAGAIN) where it cannot: a changed key, inserts
 * mixed with updates, an UPDATE run once per row of a task. */
static void test_row_capture_updates_and_deletes_match_session(void **state)
{
	(void)state;
	const char *file = "t11_s0.db";
	static const char *same_bytes[] =
		{"UPDATE main.\"w\" SET n = 4 WHERE a = -7",
		 "UPDATE main.\"w\" SET r = 3, x = X'00' WHERE a = -7", /* r: 3.0 already */
		 "UPDATE main.\"w\" SET n = NULL, x = NULL, r = 2.5 WHERE a = 2",
		 "UPDATE main.\"w\" SET u = 'other', v = 4 WHERE a = 2", /* v REAL, not STRICT */
		 "UPDATE main.\"w\" SET r = r WHERE a = 2",              /* no-op: no entry */
		 "UPDATE main.\"w\" SET n = 1 WHERE a = 12345",          /* no row */
		 "DELETE FROM main.\"w\" WHERE a = -7",
		 "DELETE FROM main.\"w\" WHERE a = 2"};
	static const char *same_records[] = {"UPDATE main.\"w\" SET n = a * 10, u = u || 'z'",
					     "UPDATE main.\"w\" SET r = r + 0.5 WHERE a > 0",
					     "DELETE FROM main.\"w\" WHERE a <> 2"};
	static const char *fall_back[] =
		{"UPDATE main.\"w\" SET a = a + 100 WHERE a = -7", /* a key column */
		 "INSERT INTO main.\"w\" (a, b) VALUES (50, 'q'), (2, 'k')"
		 " ON CONFLICT (b, a) DO UPDATE SET n = 9"}; /* an insert and an update */
	mur_buf rowcap, session;
	mur_error err;
	tb b;
	exec_result r;
	mur_buf_init(&rowcap);
	mur_buf_init(&session);
	stor_dir_drop(prim, file, &err);
	tb_init(&b, EXEC_TASK_DDL,
		"CREATE TABLE main.\"w\" (a INTEGER NOT NULL, b TEXT NOT NULL, r REAL, x BLOB,"
		" n INTEGER, u TEXT, v REAL, PRIMARY KEY (b, a))");
	snprintf(b.t.placements[0], sizeof b.t.placements[0], "%s", file);
	run_ok(prim, &b, &r);
	exec_result_free(&r);
	tb_init(&b, EXEC_TASK_WRITE,
		"INSERT INTO main.\"w\" VALUES (-7, 'k', 3, X'0001ff', NULL, 'u', 1),"
		" (2, 'k', 1.5, NULL, 5, 'uu', 2), (3, 'j', NULL, X'', 6, NULL, NULL)");
	snprintf(b.t.placements[0], sizeof b.t.placements[0], "%s", file);
	cwrite(&b, 4001, &r);
	exec_result_free(&r);

	for (size_t i = 0; i < sizeof same_bytes / sizeof *same_bytes; i++) {
		assert_int_equal(capture_sql(file, same_bytes[i], 1, 1, &rowcap), MUR_OK);
		capture_sql(file, same_bytes[i], 0, 1, &session);
		if (rowcap.len != session.len ||
		    (rowcap.len && memcmp(rowcap.data, session.data, rowcap.len) != 0))
			fail_msg("%s: row capture's %zu bytes differ from the session's %zu",
				 same_bytes[i], rowcap.len, session.len);
		if ((i >= 4 && i <= 5) != (session.len == 0))
			fail_msg("%s: a changeset of %zu bytes", same_bytes[i], session.len);
	}
	for (size_t i = 0; i < sizeof same_records / sizeof *same_records; i++) {
		assert_int_equal(capture_sql(file, same_records[i], 1, 1, &rowcap), MUR_OK);
		capture_sql(file, same_records[i], 0, 1, &session);
		char *a = canon_changeset(&rowcap), *s = canon_changeset(&session);
		assert_string_equal(a, s);
		assert_true(strlen(s) > 0);
		free(a);
		free(s);
	}
	for (size_t i = 0; i < sizeof fall_back / sizeof *fall_back; i++)
		assert_int_equal(capture_sql(file, fall_back[i], 1, 1, &rowcap), MUR_EAGAIN);
	/* a task's rows run the statement once each: one row could change twice */
	assert_int_equal(capture_sql(file, same_bytes[0], 1, 0, &rowcap), MUR_EAGAIN);
	mur_buf_free(&rowcap);
	mur_buf_free(&session);
	must(stor_dir_drop(prim, file, &err), &err);
}

static void test_apply_order_idempotent(void **state)
{
	(void)state;
	exec_result w1, w2, w3, r;
	reset_dirs();
	insert1(1, "a", 11, &w1);
	insert1(2, "b", 12, &w2);
	insert1(3, "c", 13, &w3);
	apply_ok(repl, &w1);

	/* entry 3 before 2: refused, nothing changes */
	size_t n0;
	char *d0 = digest(repl, &n0);
	assert_int_equal(apply_task(repl, 3, 13, &w3.blob, &r), MUR_ERR);
	assert_string_equal(r.err.sqlstate, "55000");
	assert_string_equal(r.err.message, "placement t1_s0.db is at lsn 1, cannot apply entry 3");
	assert_int_equal(r.lsn, 0);
	exec_result_free(&r);
	expect_digest(repl, d0, n0);
	assert_int_equal(lsn_of(repl, NULL), 1);
	free(d0);

	/* twice: the second is a no-op success */
	apply_ok(repl, &w2);
	d0 = digest(repl, &n0);
	apply_ok(repl, &w2);
	expect_digest(repl, d0, n0);
	assert_int_equal(lsn_of(repl, NULL), 2);
	free(d0);
	/* an older entry it holds (same id) is fine too; the result tells
	 * where the placement really is */
	assert_int_equal(apply_task(repl, 1, 11, &w1.blob, &r), MUR_OK);
	assert_int_equal(r.lsn, 2);
	assert_int_equal(r.entry_id, 12);
	exec_result_free(&r);

	/* same lsn, another entry id: divergent */
	assert_int_equal(apply_task(repl, 2, 99, &w2.blob, &r), MUR_ERR);
	assert_string_equal(r.err.sqlstate, "55000");
	assert_string_equal(r.err.message, "placement t1_s0.db holds a different entry 2");
	exec_result_free(&r);

	apply_ok(repl, &w3);
	expect_same(prim, repl);
	exec_result_free(&w1);
	exec_result_free(&w2);
	exec_result_free(&w3);
}

static void test_apply_conflict(void **state)
{
	(void)state;
	exec_result w, r;
	tb b;
	reset_dirs();
	insert1(1, "a", 21, &w);
	/* the replica already has a row 1 that the primary did not have */
	tb_init(&b, EXEC_TASK_WRITE, "INSERT INTO main.\"t\" VALUES (1, 'other', NULL)");
	run_ok(repl, &b, &r);
	exec_result_free(&r);
	size_t n0;
	char *d0 = digest(repl, &n0);
	assert_int_equal(apply_task(repl, 1, 21, &w.blob, &r), MUR_ERR);
	assert_string_equal(r.err.sqlstate, "55000");
	assert_string_equal(r.err.message, "changeset conflict applying entry 1");
	exec_result_free(&r);
	expect_digest(repl, d0, n0);
	assert_int_equal(lsn_of(repl, NULL), 0);
	free(d0);
	exec_result_free(&w);

	/* a table the replica does not have: the entry fails, not skipped */
	ddl(prim, "CREATE TABLE main.\"u\" (k INTEGER PRIMARY KEY)");
	tb_init(&b, EXEC_TASK_WRITE, "INSERT INTO main.\"u\" VALUES (7)");
	cwrite(&b, 22, &w);
	tb_init(&b, EXEC_TASK_WRITE, "DELETE FROM main.\"t\" WHERE id = 1");
	run_ok(repl, &b, &r); /* make entry 1 applicable */
	exec_result_free(&r);
	{
		exec_result w1;
		tb_init(&b, EXEC_TASK_QUERY,
			"SELECT changeset FROM main._murphy_log WHERE lsn = 1");
		run_ok(prim, &b, &w1);
		mur_rd rd;
		mur_value v;
		mur_rd_init(&rd, w1.rows.data, w1.rows.len);
		assert_int_equal(mur_row_get_value(&rd, &v), MUR_OK);
		mur_buf cs;
		mur_buf_init(&cs);
		mur_buf_put(&cs, v.s, v.len);
		assert_int_equal(apply_task(repl, 1, 21, &cs, &r), MUR_OK);
		exec_result_free(&r);
		mur_buf_free(&cs);
		exec_result_free(&w1);
	}
	assert_int_equal(apply_task(repl, 2, 22, &w.blob, &r), MUR_ERR);
	assert_string_equal(r.err.sqlstate, "55000");
	assert_string_equal(r.err.message,
			    "changeset of entry 2 does not match the schema of placement t1_s0.db");
	exec_result_free(&r);
	assert_int_equal(lsn_of(repl, NULL), 1);
	exec_result_free(&w);
}

/* A copy whose row differs from the one an entry changed: the entry fails
 * as SQLite's own apply words it (row differs / row not found), and
 * nothing of it is applied, also when an earlier op of the same entry had
 * already changed its row (each changeset op runs through kept statements
 * first, replog.c "kept statements"; the failure goes back through
 * sqlite3changeset_apply).  Copies that agree converge, updates of some
 * columns and deletes included. */
static void test_apply_divergent_copy(void **state)
{
	(void)state;
	exec_result w, r;
	tb b;
	size_t n0;
	reset_dirs();
	insert1(1, "a", 41, &w);
	apply_ok(repl, &w);
	exec_result_free(&w);
	insert1(2, "b", 42, &w);
	apply_ok(repl, &w);
	exec_result_free(&w);
	tb_init(&b, EXEC_TASK_WRITE, "UPDATE main.\"t\" SET v = 2.5 WHERE id = 2");
	cwrite(&b, 43, &w);
	apply_ok(repl, &w);
	exec_result_free(&w);
	expect_same(prim, repl);

	/* the copy's row 2 drifts; the primary renames both rows in one entry */
	tb_init(&b, EXEC_TASK_WRITE, "UPDATE main.\"t\" SET name = 'drift' WHERE id = 2");
	run_ok(repl, &b, &r);
	exec_result_free(&r);
	char *d0 = digest(repl, &n0);
	tb_init(&b, EXEC_TASK_WRITE, "UPDATE main.\"t\" SET name = name || '!'");
	cwrite(&b, 44, &w);
	assert_int_equal(apply_task(repl, 4, 44, &w.blob, &r), MUR_ERR);
	assert_string_equal(r.err.sqlstate, "55000");
	assert_string_equal(r.err.message, "changeset conflict applying entry 4");
	assert_string_equal(r.err.detail, "row differs on placement t1_s0.db");
	exec_result_free(&r);
	expect_digest(repl, d0, n0); /* row 1's rename was not kept */
	assert_int_equal(lsn_of(repl, NULL), 3);
	exec_result_free(&w);
	free(d0);

	/* a copy that lost a row: deleting it is "row not found" */
	reset_dirs();
	insert1(1, "a", 45, &w);
	apply_ok(repl, &w);
	exec_result_free(&w);
	tb_init(&b, EXEC_TASK_WRITE, "DELETE FROM main.\"t\" WHERE id = 1");
	run_ok(repl, &b, &r);
	exec_result_free(&r);
	tb_init(&b, EXEC_TASK_WRITE, "DELETE FROM main.\"t\" WHERE id = 1");
	cwrite(&b, 46, &w);
	assert_int_equal(apply_task(repl, 2, 46, &w.blob, &r), MUR_ERR);
	assert_string_equal(r.err.message, "changeset conflict applying entry 2");
	assert_string_equal(r.err.detail, "row not found on placement t1_s0.db");
	exec_result_free(&r);
	exec_result_free(&w);
	assert_int_equal(lsn_of(repl, NULL), 1);
}

/* Kept apply statements follow the schema: after two columns swap names
 * and another is added (on both copies, as DDL reaches them), updates and
 * inserts still land in the right columns. */
static void test_apply_after_schema_change(void **state)
{
	(void)state;
	exec_result w;
	tb b;
	reset_dirs();
	insert1(1, "a", 51, &w);
	apply_ok(repl, &w);
	exec_result_free(&w);
	tb_init(&b, EXEC_TASK_WRITE, "UPDATE main.\"t\" SET name = 'b' WHERE id = 1");
	cwrite(&b, 52, &w);
	apply_ok(repl, &w);
	exec_result_free(&w);
	/* name and v swap names: every old name still exists, elsewhere */
	for (int i = 0; i < 2; i++) {
		stor_dir *d = i ? repl : prim;
		ddl(d, "ALTER TABLE main.\"t\" RENAME COLUMN name TO label");
		ddl(d, "ALTER TABLE main.\"t\" RENAME COLUMN v TO name");
		ddl(d, "ALTER TABLE main.\"t\" RENAME COLUMN label TO v");
	}
	tb_init(&b, EXEC_TASK_WRITE, "UPDATE main.\"t\" SET v = '7.0', name = 7 WHERE id = 1");
	cwrite(&b, 53, &w);
	apply_ok(repl, &w);
	exec_result_free(&w);
	/* v (text '7.0') IS 7.0: with the old names this update would match the
	 * row through the wrong column and write it there */
	tb_init(&b, EXEC_TASK_WRITE, "UPDATE main.\"t\" SET name = 9 WHERE id = 1");
	cwrite(&b, 56, &w);
	apply_ok(repl, &w);
	exec_result_free(&w);
	ddl(prim, "ALTER TABLE main.\"t\" ADD COLUMN extra TEXT");
	ddl(repl, "ALTER TABLE main.\"t\" ADD COLUMN extra TEXT");
	tb_init(&b, EXEC_TASK_WRITE, "INSERT INTO main.\"t\" VALUES (2, 'd', 8, 'x')");
	cwrite(&b, 54, &w);
	apply_ok(repl, &w);
	exec_result_free(&w);
	tb_init(&b, EXEC_TASK_WRITE, "UPDATE main.\"t\" SET extra = 'y' WHERE id = 1");
	cwrite(&b, 55, &w);
	apply_ok(repl, &w);
	exec_result_free(&w);
	expect_same_sql(prim, repl, "SELECT id, v, name, extra FROM main.\"t\" ORDER BY id");
	tb_init(&b, EXEC_TASK_QUERY,
		"SELECT 1 FROM main.\"t\" WHERE id = 1 AND v = '7.0' AND name = 9 AND extra = 'y'");
	exec_result r;
	run_ok(repl, &b, &r);
	assert_int_equal(r.nrows, 1);
	exec_result_free(&r);
}

/* A replica's UPDATEs of one table set 31 different sets of columns (more
 * shapes than replog.c keeps texts for), mixed with DELETEs and INSERTs:
 * each applies the statement of its own shape. */
static void test_apply_update_shapes(void **state)
{
	(void)state;
	static const char *cols[5] = {"name", "v", "a", "b", "c"};
	exec_result w;
	tb b;
	reset_dirs();
	for (int i = 0; i < 2; i++)
		ddl(i ? repl : prim, "ALTER TABLE main.\"t\" ADD COLUMN a INT;"
				     " ALTER TABLE main.\"t\" ADD COLUMN b TEXT;"
				     " ALTER TABLE main.\"t\" ADD COLUMN c REAL");
	tb_init(&b, EXEC_TASK_WRITE,
		"INSERT INTO main.\"t\"(id, name) VALUES (1, 'x'), (2, 'x'), (3, 'x')");
	cwrite(&b, 60, &w);
	apply_ok(repl, &w);
	exec_result_free(&w);
	for (int m = 1; m < 32; m++) {
		char sql[256];
		int n = snprintf(sql, sizeof sql, "UPDATE main.\"t\" SET ");
		for (int c = 0, first = 1; c < 5; c++)
			if (m & (1 << c)) {
				n += snprintf(sql + n, sizeof sql - (size_t)n, "%s%s = %s%d%s",
					      first ? "" : ", ", cols[c],
					      c == 0 || c == 3 ? "'s" : "", m,
					      c == 0 || c == 3 ? "'" : "");
				first = 0;
			}
		snprintf(sql + n, sizeof sql - (size_t)n, " WHERE id = %d", m % 3 + 1);
		tb_init(&b, EXEC_TASK_WRITE, sql);
		cwrite(&b, 100 + (uint64_t)m, &w);
		apply_ok(repl, &w);
		exec_result_free(&w);
		if (m % 8 == 0) { /* a row goes and comes back */
			tb_init(&b, EXEC_TASK_WRITE, "DELETE FROM main.\"t\" WHERE id = 2");
			cwrite(&b, 200 + (uint64_t)m, &w);
			apply_ok(repl, &w);
			exec_result_free(&w);
			tb_init(&b, EXEC_TASK_WRITE,
				"INSERT INTO main.\"t\" VALUES (2, 'back', 1.5, 3, 'y', NULL)");
			cwrite(&b, 300 + (uint64_t)m, &w);
			apply_ok(repl, &w);
			exec_result_free(&w);
		}
		expect_same_sql(prim, repl,
				"SELECT id, name, v, a, b, c FROM main.\"t\" ORDER BY id");
	}
}

static void test_undo(void **state)
{
	(void)state;
	exec_result w, r;
	tb b;
	size_t n1, n2;
	reset_dirs();
	insert1(1, "a", 31, &w);
	apply_ok(repl, &w);
	exec_result_free(&w);
	char *d1 = digest(prim, &n1); /* at lsn 1 */

	tb_init(&b, EXEC_TASK_WRITE, "UPDATE main.\"t\" SET name = 'z', v = NULL WHERE id = 1");
	cwrite(&b, 32, &w);
	apply_ok(repl, &w);
	exec_result_free(&w);
	char *d2 = digest(prim, &n2); /* at lsn 2 */
	insert1(2, "b", 33, &w);
	apply_ok(repl, &w);
	exec_result_free(&w);
	insert1(3, "c", 34, &w);
	apply_ok(repl, &w);
	exec_result_free(&w);
	tb_init(&b, EXEC_TASK_WRITE, "DELETE FROM main.\"t\" WHERE id <= 2");
	cwrite(&b, 35, &w);
	apply_ok(repl, &w);
	exec_result_free(&w);
	assert_int_equal(lsn_of(prim, NULL), 5);

	/* one entry, then several at once */
	assert_int_equal(undo_task(prim, 4, &r), MUR_OK);
	assert_int_equal(r.lsn, 4);
	assert_int_equal(r.entry_id, 34);
	exec_result_free(&r);
	assert_int_equal(undo_task(prim, 2, &r), MUR_OK);
	assert_int_equal(r.lsn, 2);
	assert_int_equal(r.entry_id, 32);
	exec_result_free(&r);
	expect_digest(prim, d2, n2);
	assert_int_equal(undo_task(prim, 1, &r), MUR_OK);
	exec_result_free(&r);
	expect_digest(prim, d1, n1);
	uint64_t eid;
	assert_int_equal(lsn_of(prim, &eid), 1);
	assert_int_equal(eid, 31);

	/* the replica, straight from 5 to 1; to 0 empties it */
	assert_int_equal(undo_task(repl, 1, &r), MUR_OK);
	exec_result_free(&r);
	expect_same(prim, repl);
	assert_int_equal(undo_task(repl, 0, &r), MUR_OK);
	assert_int_equal(r.lsn, 0);
	assert_int_equal(r.entry_id, 0);
	exec_result_free(&r);
	expect_digest(repl, "", 0);

	/* undo forward is refused; to the current lsn is a no-op */
	assert_int_equal(undo_task(prim, 3, &r), MUR_ERR);
	assert_string_equal(r.err.sqlstate, "55000");
	exec_result_free(&r);
	assert_int_equal(undo_task(prim, 1, &r), MUR_OK);
	exec_result_free(&r);

	/* after an undo, the primary continues with a new entry at lsn 2 */
	insert1(9, "n", 36, &w);
	assert_int_equal(w.lsn, 2);
	exec_result_free(&w);
	free(d1);
	free(d2);
}

/* 'log_bytes' (kept in memory between writes, replog.c log_state) equals
 * the changesets' sizes, and the log holds the newest entries, through a
 * failed write, an undo and trimming. */
/* The columns of t in d's file, joined with commas (malloc'd). */
static char *columns_of(stor_dir *d)
{
	tb b;
	exec_result r;
	char *out;
	tb_init(&b, EXEC_TASK_QUERY, "SELECT group_concat(name, ',') FROM pragma_table_info('t')");
	run_ok(d, &b, &r);
	assert_int_equal(r.nrows, 1);
	mur_rd rd;
	mur_value v;
	mur_rd_init(&rd, r.rows.data, r.rows.len);
	assert_int_equal(mur_row_get_value(&rd, &v), MUR_OK);
	out = strndup(v.s, v.len);
	exec_result_free(&r);
	return out;
}

/* A DDL entry (ALTER TABLE, sql/plan_alter.c): the primary runs the forward
 * SQL and logs "forward SEP undo"; a replica's APPLY runs the forward SQL
 * in log order, so a row changeset of the new shape applies after it; the
 * undo runs the undo SQL on both; catch-up carries it like any entry. */
static void test_ddl_entry(void **state)
{
	(void)state;
	exec_result w, r, add;
	tb b;
	char *cols;
	reset_dirs();
	insert1(1, "a", 41, &w);
	apply_ok(repl, &w);
	exec_result_free(&w);

	tb_init(&b, EXEC_TASK_WRITE,
		"ALTER TABLE main.\"t\" ADD COLUMN \"c\" INTEGER DEFAULT 7; UPDATE main.\"t\" SET "
		"\"c\" = 7\x01"
		"ALTER TABLE main.\"t\" DROP COLUMN \"c\"");
	b.t.entry_kind = EXEC_ENTRY_DDL;
	cwrite(&b, 42, &add);
	assert_int_equal(add.lsn, 2); /* logged although no row changed */
	assert_non_null(memchr(add.blob.data, '\x01', add.blob.len));
	apply_entry_ok(repl, &add, 0, EXEC_ENTRY_DDL);
	cols = columns_of(repl);
	assert_string_equal(cols, "id,name,v,c");
	free(cols);

	/* a row of the new shape applies on the replica after the DDL entry */
	tb_init(&b, EXEC_TASK_WRITE, "UPDATE main.\"t\" SET c = c + 1 WHERE id = 1");
	cwrite(&b, 43, &w);
	apply_ok(repl, &w);
	exec_result_free(&w);
	expect_same(prim, repl);

	/* undo to lsn 1 runs the DDL entry's undo SQL on both copies */
	assert_int_equal(undo_task(prim, 1, &r), MUR_OK);
	exec_result_free(&r);
	assert_int_equal(undo_task(repl, 1, &r), MUR_OK);
	exec_result_free(&r);
	cols = columns_of(prim);
	assert_string_equal(cols, "id,name,v");
	free(cols);
	expect_same(prim, repl);

	/* a malformed DDL entry (no undo part) is refused, nothing applied */
	mur_buf bad;
	mur_buf_init(&bad);
	mur_buf_printf(&bad, "ALTER TABLE main.\"t\" ADD COLUMN \"d\" INTEGER");
	assert_int_equal(apply_task_txn(repl, 2, 99, 0, EXEC_ENTRY_DDL, &bad, &r), MUR_ERR);
	exec_result_free(&r);
	mur_buf_free(&bad);
	cols = columns_of(repl);
	assert_string_equal(cols, "id,name,v");
	free(cols);
	exec_result_free(&add);
}

static void assert_log_exact(uint64_t want_entries, uint64_t want_first)
{
	const uint64_t sum_unknown = UINT64_MAX;
	stor_db *db;
	mur_error err;
	uint64_t meta = 0, first = 0, sum = 0, n = 0;
	sqlite3_stmt *st = NULL;
	must(stor_dir_get(prim, FILE_T, 0, &db, &err), &err);
	must(stor_lock(db, &err), &err);
	int rc1 = MUR_OK;
	meta = db->logc.valid ? db->logc.bytes : sum_unknown;
	int rc2 = stor_log_first(db, &first, &err);
	if (sqlite3_prepare_v2(db->db,
			       "SELECT coalesce(sum(length(changeset)), 0), count(*)"
			       " FROM _murphy_log",
			       -1, &st, NULL) == SQLITE_OK &&
	    sqlite3_step(st) == SQLITE_ROW) {
		sum = (uint64_t)sqlite3_column_int64(st, 0);
		n = (uint64_t)sqlite3_column_int64(st, 1);
	}
	sqlite3_finalize(st);
	stor_unlock(db); /* before asserting: a failure must not leave it locked */
	stor_dir_put(prim, db);
	assert_int_equal(rc1, MUR_OK);
	assert_int_equal(rc2, MUR_OK);
	if (meta != sum_unknown)
		assert_int_equal(meta, sum);
	assert_int_equal(n, want_entries);
	assert_int_equal(first, want_first);
}

static void test_log_bytes_stay_exact(void **state)
{
	(void)state;
	exec_result w, r;
	tb b;
	reset_dirs();
	stor_dir_set_log_retention(prim, 4, 0);
	for (int i = 1; i <= 6; i++) {
		insert1(i, i % 2 ? "odd" : "an even row", (uint64_t)(100 + i), &w);
		exec_result_free(&w);
	}
	assert_log_exact(4, 3);
	/* a duplicate key: rolled back, the log as it was */
	tb_init(&b, EXEC_TASK_WRITE, "INSERT INTO main.\"t\" VALUES (?1, ?2, ?3)");
	b.params[0] = mur_v_int(3);
	b.params[1] = mur_v_text("dup", 3);
	b.params[2] = mur_v_float(1);
	b.t.nparams = 3;
	b.t.capture = 1;
	b.t.entry_id = 200;
	assert_int_equal(run(prim, &b, &r), MUR_ERR);
	exec_result_free(&r);
	assert_log_exact(4, 3);
	assert_int_equal(undo_task(prim, 4, &r), MUR_OK);
	exec_result_free(&r);
	assert_log_exact(2, 3);
	for (int i = 7; i <= 11; i++) {
		insert1(i, "later", (uint64_t)(100 + i), &w);
		exec_result_free(&w);
	}
	assert_log_exact(4, 6); /* lsns 5..9 were written after the undo to 4: 6..9 kept */
}

static void test_trim_and_undo_trimmed(void **state)
{
	(void)state;
	exec_result w, r;
	stor_db *db;
	mur_error err;
	uint64_t first;
	reset_dirs();
	stor_dir_set_log_retention(prim, 5, 0);
	for (int i = 1; i <= 12; i++) {
		insert1(i, "r", (uint64_t)(100 + i), &w);
		exec_result_free(&w);
	}
	must(stor_dir_get(prim, FILE_T, 0, &db, &err), &err);
	must(stor_lock(db, &err), &err);
	must(stor_log_first(db, &first, &err), &err);
	stor_unlock(db);
	stor_dir_put(prim, db);
	assert_int_equal(first, 8); /* the newest 5: 8..12 */

	assert_int_equal(undo_task(prim, 6, &r), MUR_ERR);
	assert_string_equal(r.err.sqlstate, "55000");
	assert_string_equal(r.err.message, "cannot undo to lsn 6: entries trimmed");
	exec_result_free(&r);
	assert_int_equal(lsn_of(prim, NULL), 12);
	/* down to the oldest retained - 1 works; its entry id is unknown */
	assert_int_equal(undo_task(prim, 7, &r), MUR_OK);
	assert_int_equal(r.lsn, 7);
	assert_int_equal(r.entry_id, 0);
	exec_result_free(&r);

	/* byte bound: big entries push out old ones, the newest always stays */
	reset_dirs();
	stor_dir_set_log_retention(prim, 0, 3000);
	char big[1500];
	memset(big, 'x', sizeof big - 1);
	big[sizeof big - 1] = '\0';
	for (int i = 1; i <= 6; i++) {
		insert1(i, big, (uint64_t)i, &w);
		exec_result_free(&w);
	}
	must(stor_dir_get(prim, FILE_T, 0, &db, &err), &err);
	must(stor_lock(db, &err), &err);
	must(stor_log_first(db, &first, &err), &err);
	stor_unlock(db);
	stor_dir_put(prim, db);
	assert_int_equal(first, 6);
	stor_dir_set_log_retention(prim, 0, 1);
	insert1(7, "small", 7, &w);
	exec_result_free(&w);
	assert_int_equal(lsn_of(prim, NULL), 7);
	stor_dir_set_log_retention(prim, 0, 0);
}

/* A full log is trimmed in bulk, 1/STOR_LOG_TRIM_SLACK below its bound,
 * not one entry per append (each such append deleted a row, read the next
 * oldest and wrote the log's oldest leaf page to the WAL), and the log's
 * bytes stay exact. */
static void test_full_log_trims_in_bulk(void **state)
{
	(void)state;
	exec_result w;
	const int keep = 640; /* slack 640 / 64 = 10 entries */
	reset_dirs();
	stor_dir_set_log_retention(prim, keep, 0);
	for (int i = 1; i <= keep; i++) {
		insert1(i, "r", (uint64_t)(100 + i), &w);
		exec_result_free(&w);
	}
	assert_log_exact(640, 1); /* at the bound: nothing trimmed */
	insert1(641, "r", 741, &w);
	exec_result_free(&w);
	assert_log_exact(630, 12); /* past it: down to 630 at once (one entry: 640, 2) */
	for (int i = 642; i <= 651; i++) {
		insert1(i, "r", (uint64_t)(100 + i), &w);
		exec_result_free(&w);
	}
	assert_log_exact(640, 12); /* nothing trimmed up to the bound again */
	insert1(652, "r", 752, &w);
	exec_result_free(&w);
	assert_log_exact(630, 23);
	/* a bound under STOR_LOG_TRIM_SLACK entries stays exact */
	stor_dir_set_log_retention(prim, 40, 0);
	insert1(653, "r", 753, &w);
	exec_result_free(&w);
	assert_log_exact(40, 614);
	stor_dir_set_log_retention(prim, 0, 0);
}

/* Catch the replica up from its position to the primary's through
 * stor_log_read / stor_apply_entries, bytes_max per round. */
static int catch_up(size_t bytes_max, int *rounds)
{
	stor_db *p, *q;
	mur_error err;
	mur_buf batch;
	uint64_t n, last, lsn;
	int rc = MUR_OK;
	must(stor_dir_get(prim, FILE_T, 0, &p, &err), &err);
	must(stor_dir_get(repl, FILE_T, 0, &q, &err), &err);
	mur_buf_init(&batch);
	*rounds = 0;
	while (stor_lsn(q) < stor_lsn(p)) {
		mur_buf_reset(&batch);
		rc = stor_log_read(p, stor_lsn(q), bytes_max, &batch, &n, &last, &err);
		if (rc != MUR_OK)
			break;
		assert_true(n >= 1);
		must(stor_apply_entries(q, batch.data, batch.len, &lsn, &err), &err);
		assert_int_equal(lsn, last);
		(*rounds)++;
	}
	mur_buf_free(&batch);
	stor_dir_put(prim, p);
	stor_dir_put(repl, q);
	return rc;
}

static void test_catch_up(void **state)
{
	(void)state;
	exec_result w;
	int rounds;
	reset_dirs();
	for (int i = 1; i <= 30; i++) {
		insert1(i, "row", (uint64_t)(200 + i), &w);
		if (i <= 10)
			apply_ok(repl, &w);
		exec_result_free(&w);
	}
	/* from the middle, a few entries per round */
	assert_int_equal(catch_up(200, &rounds), MUR_OK);
	assert_true(rounds > 1);
	expect_same(prim, repl);
	uint64_t e1, e2;
	assert_int_equal(lsn_of(repl, &e1), lsn_of(prim, &e2));
	assert_int_equal(e1, e2);

	/* from 0, one entry per round at least even when it exceeds bytes_max */
	mur_error err;
	must(stor_dir_drop(repl, FILE_T, &err), &err);
	ddl(repl, SCHEMA);
	assert_int_equal(catch_up(1, &rounds), MUR_OK);
	assert_int_equal(rounds, 30);
	expect_same(prim, repl);

	/* overlapping batch: entries already held are skipped */
	stor_db *p, *q;
	mur_buf batch;
	uint64_t n, last, lsn;
	mur_buf_init(&batch);
	must(stor_dir_get(prim, FILE_T, 0, &p, &err), &err);
	must(stor_dir_get(repl, FILE_T, 0, &q, &err), &err);
	must(stor_log_read(p, 25, 1 << 20, &batch, &n, &last, &err), &err);
	assert_int_equal(n, 5);
	assert_int_equal(last, 30);
	must(stor_apply_entries(q, batch.data, batch.len, &lsn, &err), &err);
	assert_int_equal(lsn, 30);
	/* nothing after the end */
	mur_buf_reset(&batch);
	must(stor_log_read(p, 30, 1 << 20, &batch, &n, &last, &err), &err);
	assert_int_equal(n, 0);
	assert_int_equal(last, 30);
	/* a peer behind the asker says so */
	assert_int_equal(stor_log_read(p, 31, 1 << 20, &batch, &n, &last, &err), MUR_ERR);
	assert_string_equal(err.sqlstate, "55000");
	/* entry ids for the same-history check */
	int found;
	uint64_t eid;
	must(stor_log_entry_at(p, 17, &found, &eid, &err), &err);
	assert_true(found);
	assert_int_equal(eid, 217);
	stor_dir_put(prim, p);
	stor_dir_put(repl, q);

	/* trimmed: the reader must rebuild instead */
	stor_dir_set_log_retention(prim, 5, 0);
	insert1(31, "row", 231, &w);
	exec_result_free(&w);
	must(stor_dir_get(prim, FILE_T, 0, &p, &err), &err);
	mur_buf_reset(&batch);
	assert_int_equal(stor_log_read(p, 20, 1 << 20, &batch, &n, &last, &err), MUR_ERR);
	assert_string_equal(err.sqlstate, "55000");
	assert_string_equal(err.message, "entries after lsn 20 are no longer in the log");
	must(stor_log_read(p, 26, 1 << 20, &batch, &n, &last, &err), &err);
	assert_int_equal(n, 5);
	stor_dir_put(prim, p);
	mur_buf_free(&batch);
	stor_dir_set_log_retention(prim, 0, 0);
}

/* An error in the middle of a batch (a trigger on the replica aborts the
 * third entry halfway) or a truncated batch leaves lsn and rows as they
 * were. */
static void test_abort_mid_apply(void **state)
{
	(void)state;
	exec_result w;
	tb b;
	stor_db *p, *q;
	mur_error err;
	mur_buf batch;
	uint64_t n, last, lsn;
	reset_dirs();
	insert1(1, "a", 41, &w);
	apply_ok(repl, &w);
	exec_result_free(&w);
	insert1(2, "b", 42, &w);
	exec_result_free(&w);
	insert1(3, "c", 43, &w);
	exec_result_free(&w);
	tb_init(&b, EXEC_TASK_WRITE, "INSERT INTO main.\"t\" VALUES (?1, 'd', 0)");
	for (int i = 4; i <= 8; i++) {
		mur_value row[1] = {mur_v_int(i)};
		tb_row(&b, 1, row);
	}
	cwrite(&b, 44, &w); /* entry 4: rows 4..8 */
	exec_result_free(&w);
	ddl(repl, "CREATE TRIGGER main.boom BEFORE INSERT ON \"t\" WHEN NEW.id = 7"
		  " BEGIN SELECT RAISE(ABORT, 'boom'); END");

	size_t n0;
	char *d0 = digest(repl, &n0);
	must(stor_dir_get(prim, FILE_T, 0, &p, &err), &err);
	must(stor_dir_get(repl, FILE_T, 0, &q, &err), &err);
	mur_buf_init(&batch);
	must(stor_log_read(p, 1, 1 << 20, &batch, &n, &last, &err), &err);
	assert_int_equal(n, 3);
	assert_int_equal(stor_apply_entries(q, batch.data, batch.len, &lsn, &err), MUR_ERR);
	assert_int_equal(lsn, 1);
	assert_int_equal(stor_lsn(q), 1);
	/* truncated batch */
	assert_int_equal(stor_apply_entries(q, batch.data, batch.len - 3, &lsn, &err), MUR_ERR);
	assert_string_equal(err.sqlstate, "08P01");
	assert_int_equal(stor_lsn(q), 1);
	stor_dir_put(prim, p);
	stor_dir_put(repl, q);
	expect_digest(repl, d0, n0);
	free(d0);

	/* without the trigger the same batch goes through */
	ddl(repl, "DROP TRIGGER main.boom");
	must(stor_dir_get(repl, FILE_T, 0, &q, &err), &err);
	must(stor_apply_entries(q, batch.data, batch.len, &lsn, &err), &err);
	assert_int_equal(lsn, 4);
	stor_dir_put(repl, q);
	expect_same(prim, repl);
	mur_buf_free(&batch);
}

/* ---- snapshot while writing, install --------------------------------- */

typedef struct writer {
	volatile int stop;
	int64_t next; /* entry i inserts row id i: lsn == rows == max id */
} writer;

static void *writer_main(void *arg)
{
	writer *wr = arg;
	while (!wr->stop) {
		exec_result w;
		insert1(wr->next, "w", (uint64_t)(1000 + wr->next), &w);
		assert_int_equal(w.lsn, (uint64_t)wr->next);
		exec_result_free(&w);
		wr->next++;
	}
	return NULL;
}

static void check_copy(const char *path, uint64_t lsn)
{
	sqlite3 *s;
	sqlite3_stmt *st;
	assert_int_equal(sqlite3_open_v2(path, &s, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_prepare_v2(s,
					    "SELECT (SELECT count(*) FROM t), (SELECT max(id) FROM "
					    "t),"
					    " (SELECT max(lsn) FROM _murphy_log),"
					    " (" STOR_POSITION_SQL ")",
					    -1, &st, NULL),
			 SQLITE_OK);
	assert_int_equal(sqlite3_step(st), SQLITE_ROW);
	assert_int_equal(sqlite3_column_int64(st, 0), (int64_t)lsn);
	assert_int_equal(sqlite3_column_int64(st, 1), (int64_t)lsn);
	assert_int_equal(sqlite3_column_int64(st, 2), (int64_t)lsn);
	assert_int_equal(sqlite3_column_int64(st, 3), (int64_t)lsn);
	sqlite3_finalize(st);
	sqlite3_close(s);
}

static void test_snapshot_install(void **state)
{
	(void)state;
	pthread_t th;
	writer wr = {.next = 1};
	mur_error err;
	char tmp[400];
	uint64_t lsn = 0;
	reset_dirs();
	stor_dir_set_log_retention(prim, 50, 0);
	assert_int_equal(pthread_create(&th, NULL, writer_main, &wr), 0);
	while (wr.next < 20)
		usleep(1000);
	for (int i = 0; i < 3; i++) {
		snprintf(tmp, sizeof tmp, "%s/snap%d.tmp", tmpdir, i);
		must(stor_snapshot(prim, FILE_T, tmp, &lsn, &err), &err);
		assert_true(lsn >= 19);
		check_copy(tmp, lsn);
		char side[420];
		snprintf(side, sizeof side, "%s-wal", tmp);
		assert_int_equal(access(side, F_OK), -1); /* one self-contained file */
		if (i < 2)
			unlink(tmp);
	}
	wr.stop = 1;
	pthread_join(th, NULL);
	assert_true((uint64_t)wr.next - 1 >= lsn);

	/* The copy to install is taken quiet, and a few entries follow it: a
	 * loaded machine let the writer run past the 50 entries the log keeps
	 * after the last snapshot above, and catch-up then had nothing to
	 * start from. */
	unlink(tmp);
	must(stor_snapshot(prim, FILE_T, tmp, &lsn, &err), &err);
	assert_int_equal(lsn, (uint64_t)wr.next - 1);
	for (int i = 0; i < 10; i++) {
		exec_result w;
		insert1(wr.next, "w", (uint64_t)(1000 + wr.next), &w);
		exec_result_free(&w);
		wr.next++;
	}

	/* a missing placement; an existing target */
	uint64_t junk;
	assert_int_equal(stor_snapshot(prim, "nope.db", "/tmp/x", &junk, &err), MUR_ERR);
	assert_string_equal(err.sqlstate, "58P01");
	assert_int_equal(stor_snapshot(prim, FILE_T, tmp, &junk, &err), MUR_ERR);
	check_copy(tmp, lsn); /* left alone */

	/* install over the replica's open placement, then catch up from the log */
	stor_db *q;
	must(stor_dir_get(repl, FILE_T, 0, &q, &err), &err);
	stor_dir_put(repl, q); /* cached, idle */
	char inst[400];
	snprintf(inst, sizeof inst, "%s/r/" FILE_T ".rebuild", tmpdir);
	assert_int_equal(rename(tmp, inst), 0);
	must(stor_dir_install(repl, FILE_T, inst, &err), &err);
	assert_int_equal(access(inst, F_OK), -1);
	uint64_t eid;
	assert_int_equal(lsn_of(repl, &eid), lsn);
	assert_int_equal(eid, 1000 + lsn);
	int rounds;
	assert_int_equal(catch_up(1 << 20, &rounds), MUR_OK);
	expect_same(prim, repl);

	/* a holder of the replaced handle learns it at its next lock */
	must(stor_dir_get(repl, FILE_T, 0, &q, &err), &err);
	snprintf(tmp, sizeof tmp, "%s/r/again.tmp", tmpdir);
	must(stor_snapshot(prim, FILE_T, tmp, &lsn, &err), &err);
	must(stor_dir_install(repl, FILE_T, tmp, &err), &err);
	assert_int_equal(stor_lock(q, &err), MUR_ERR);
	assert_string_equal(err.sqlstate, "58P01");
	stor_dir_put(repl, q);
	expect_same(prim, repl);
}

static void test_status(void **state)
{
	(void)state;
	exec_result w, r;
	tb b;
	reset_dirs();
	insert1(1, "a", 51, &w);
	apply_ok(repl, &w);
	exec_result_free(&w);
	insert1(2, "b", 52, &w);
	exec_result_free(&w);
	tb_init(&b, EXEC_TASK_DDL, "CREATE TABLE main.\"u\" (k INTEGER PRIMARY KEY)");
	snprintf(b.t.placements[0], sizeof b.t.placements[0], "t2_s1.db");
	run_ok(prim, &b, &r);
	exec_result_free(&r);

	tb_init(&b, EXEC_TASK_STATUS, NULL);
	run_ok(prim, &b, &r);
	assert_int_equal(r.ncols, 6);
	assert_int_equal(r.nrows, 2);
	mur_rd rd;
	mur_value v[12];
	mur_rd_init(&rd, r.rows.data, r.rows.len);
	for (int i = 0; i < 12; i++)
		assert_int_equal(mur_row_get_value(&rd, &v[i]), MUR_OK);
	assert_int_equal(v[0].len, strlen(FILE_T));
	assert_memory_equal(v[0].s, FILE_T, v[0].len);
	assert_int_equal(v[1].i, 2);
	assert_int_equal(v[2].i, 52);
	assert_int_equal(v[3].i, 1);
	assert_int_equal(v[4].i, 0); /* no open transaction */
	assert_int_equal(v[5].i, 0);
	assert_memory_equal(v[6].s, "t2_s1.db", 8);
	for (int i = 7; i < 12; i++)
		assert_int_equal(v[i].i, 0);
	exec_result_free(&r);

	tb_init(&b, EXEC_TASK_STATUS, NULL);
	run_ok(repl, &b, &r);
	assert_int_equal(r.nrows, 1);
	exec_result_free(&r);
}

/* ---- transactions in the log (replog.h "Transactions") ------------ */

#define TXN_X 0x7100000000000001ull
#define TXN_Y 0x7100000000000002ull

/* The commit marker of txn as a WRITE (no SQL) at lsn (0: the next). */
static int marker_write(stor_dir *d, uint64_t lsn, uint64_t eid, uint64_t txn, exec_result *res)
{
	tb b;
	tb_init(&b, EXEC_TASK_WRITE, NULL);
	b.t.capture = EXEC_CAPTURE_RETURN;
	b.t.lsn = lsn;
	b.t.entry_id = eid;
	b.t.txn_id = txn;
	b.t.entry_kind = EXEC_ENTRY_COMMIT;
	return run(d, &b, res);
}

/* The open transaction STATUS reports for FILE_T on d. */
static void status_open_txn(stor_dir *d, uint64_t *txn, uint64_t *lsn)
{
	tb b;
	exec_result r;
	mur_rd rd;
	mur_value v[STOR_STATUS_COLS];
	int found = 0;
	tb_init(&b, EXEC_TASK_STATUS, NULL);
	run_ok(d, &b, &r);
	assert_int_equal(r.ncols, STOR_STATUS_COLS);
	mur_rd_init(&rd, r.rows.data, r.rows.len);
	for (uint64_t i = 0; i < r.nrows; i++) {
		for (int k = 0; k < STOR_STATUS_COLS; k++)
			assert_int_equal(mur_row_get_value(&rd, &v[k]), MUR_OK);
		if (v[0].len == strlen(FILE_T) && memcmp(v[0].s, FILE_T, v[0].len) == 0) {
			*txn = (uint64_t)v[4].i;
			*lsn = (uint64_t)v[5].i;
			found = 1;
		}
	}
	assert_true(found);
	exec_result_free(&r);
}

static void expect_open_txn(stor_dir *d, uint64_t txn, uint64_t lsn)
{
	uint64_t t, l;
	status_open_txn(d, &t, &l);
	assert_int_equal(t, txn);
	assert_int_equal(l, lsn);
}

/* Both logs hold the same entries: lsn, entry id, txn id, kind and
 * changeset size. */
static void expect_same_log(stor_dir *a, stor_dir *b)
{
	expect_same_sql(a, b,
			"SELECT lsn, entry_id, txn_id, kind, length(changeset) FROM "
			"main._murphy_log"
			" ORDER BY lsn");
}

/* txn_id and kind of log entry lsn on d. */
static void log_entry_txn(stor_dir *d, uint64_t lsn, uint64_t *txn, int64_t *kind)
{
	tb b;
	exec_result res;
	mur_rd rd;
	mur_value v[2];
	tb_init(&b, EXEC_TASK_QUERY, "SELECT txn_id, kind FROM main._murphy_log WHERE lsn = ?1");
	b.params[0] = mur_v_int((int64_t)lsn);
	b.t.nparams = 1;
	run_ok(d, &b, &res);
	assert_int_equal(res.nrows, 1);
	mur_rd_init(&rd, res.rows.data, res.rows.len);
	assert_int_equal(mur_row_get_value(&rd, &v[0]), MUR_OK);
	assert_int_equal(mur_row_get_value(&rd, &v[1]), MUR_OK);
	*txn = (uint64_t)v[0].i;
	*kind = v[1].i;
	exec_result_free(&res);
}

/* Primary: entries 1 (autocommit), 2-3 (txn X), the replica applying
 * each; STATUS shows X open from 2 on both; X's marker (WRITE at lsn 4,
 * APPLY on the replica) closes it; both logs hold the same txn ids and
 * kinds.  Malformed markers are refused. */
static void test_txn_entries_and_marker(void **state)
{
	(void)state;
	exec_result w, r;
	uint64_t txn;
	int64_t kind;
	reset_dirs();
	insert1(1, "a", 61, &w);
	apply_ok(repl, &w);
	exec_result_free(&w);
	expect_open_txn(prim, 0, 0);
	for (int i = 2; i <= 3; i++) {
		assert_int_equal(insert_txn(prim, i, "x", (uint64_t)(60 + i), TXN_X, &w), MUR_OK);
		apply_entry_ok(repl, &w, TXN_X, EXEC_ENTRY_DATA);
		exec_result_free(&w);
	}
	expect_open_txn(prim, TXN_X, 2);
	expect_open_txn(repl, TXN_X, 2);

	/* a marker obeys the LSN rule of any WRITE */
	assert_int_equal(marker_write(prim, 9, 64, TXN_X, &w), MUR_ERR);
	assert_string_equal(w.err.sqlstate, "55000");
	assert_int_equal(w.lsn, 3);
	exec_result_free(&w);
	assert_int_equal(marker_write(prim, 4, 64, TXN_X, &w), MUR_OK);
	assert_int_equal(w.lsn, 4);
	assert_int_equal(w.entry_id, 64);
	assert_int_equal(w.blob.len, 0); /* no changeset */
	expect_open_txn(prim, 0, 0);
	expect_open_txn(repl, TXN_X, 2);
	apply_entry_ok(repl, &w, TXN_X, EXEC_ENTRY_COMMIT);
	exec_result_free(&w);
	expect_open_txn(repl, 0, 0);
	log_entry_txn(repl, 4, &txn, &kind);
	assert_int_equal(txn, TXN_X);
	assert_int_equal(kind, EXEC_ENTRY_COMMIT);
	log_entry_txn(repl, 2, &txn, &kind);
	assert_int_equal(txn, TXN_X);
	assert_int_equal(kind, EXEC_ENTRY_DATA);
	log_entry_txn(repl, 1, &txn, &kind);
	assert_int_equal(txn, 0);
	expect_same_log(prim, repl);
	expect_same(prim, repl);

	/* a marker with a changeset, a data entry of an unknown kind: 08P01 */
	insert1(5, "e", 65, &w);
	assert_int_equal(apply_task_txn(repl, 5, 65, TXN_Y, EXEC_ENTRY_COMMIT, &w.blob, &r),
			 MUR_ERR);
	assert_string_equal(r.err.sqlstate, "08P01");
	exec_result_free(&r);
	stor_db *db;
	mur_error err;
	must(stor_dir_get(repl, FILE_T, 0, &db, &err), &err);
	must(stor_lock(db, &err), &err);
	stor_entry bad = {.lsn = 5, .entry_id = 65, .kind = STOR_ENTRY_COMMIT}; /* of txn 0 */
	assert_int_equal(stor_log_apply(db, &bad, &err), MUR_ERR);
	assert_string_equal(err.sqlstate, "08P01");
	bad = (stor_entry){.lsn = 5,
			   .entry_id = 65,
			   .kind = 7,
			   .cs = w.blob.data,
			   .len = w.blob.len};
	assert_int_equal(stor_log_apply(db, &bad, &err), MUR_ERR);
	assert_string_equal(err.sqlstate, "08P01");
	assert_int_equal(stor_lsn(db), 4);
	stor_unlock(db);
	stor_dir_put(repl, db);
	apply_ok(repl, &w);
	exec_result_free(&w);
	expect_same(prim, repl);
}

/* While X is open only X's entries follow: an autocommit write or one of
 * Y is refused (25000) on the primary and on a replica; after X's
 * marker both go in.  A marker of a transaction with nothing open is an
 * entry of its own. */
static void test_txn_order(void **state)
{
	(void)state;
	exec_result w, wa, r;
	reset_dirs();
	assert_int_equal(insert_txn(prim, 1, "x", 71, TXN_X, &w), MUR_OK);
	apply_entry_ok(repl, &w, TXN_X, EXEC_ENTRY_DATA);
	exec_result_free(&w);

	assert_int_equal(insert_txn(prim, 2, "a", 72, 0, &w), MUR_ERR);
	assert_string_equal(w.err.sqlstate, "25000");
	exec_result_free(&w);
	assert_int_equal(insert_txn(prim, 2, "y", 72, TXN_Y, &w), MUR_ERR);
	assert_string_equal(w.err.sqlstate, "25000");
	exec_result_free(&w);
	assert_int_equal(lsn_of(prim, NULL), 1);
	assert_int_equal(marker_write(prim, 0, 72, TXN_Y, &w), MUR_ERR); /* Y's marker too */
	assert_string_equal(w.err.sqlstate, "25000");
	exec_result_free(&w);

	/* the replica refuses the same */
	assert_int_equal(insert_txn(prim, 2, "x", 72, TXN_X, &w), MUR_OK);
	assert_int_equal(apply_task_txn(repl, 2, 72, 0, EXEC_ENTRY_DATA, &w.blob, &r), MUR_ERR);
	assert_string_equal(r.err.sqlstate, "25000");
	exec_result_free(&r);
	assert_int_equal(lsn_of(repl, NULL), 1);
	apply_entry_ok(repl, &w, TXN_X, EXEC_ENTRY_DATA);
	exec_result_free(&w);

	assert_int_equal(marker_write(prim, 3, 73, TXN_X, &w), MUR_OK);
	apply_entry_ok(repl, &w, TXN_X, EXEC_ENTRY_COMMIT);
	exec_result_free(&w);
	insert1(4, "a", 74, &wa); /* autocommit again */
	apply_ok(repl, &wa);
	exec_result_free(&wa);
	assert_int_equal(marker_write(prim, 5, 75, TXN_Y, &w), MUR_OK); /* nothing of Y open */
	apply_entry_ok(repl, &w, TXN_Y, EXEC_ENTRY_COMMIT);
	exec_result_free(&w);
	expect_open_txn(prim, 0, 0);
	expect_same_log(prim, repl);
	expect_same(prim, repl);
}

/* UNDO of a marker entry deletes it and reopens its transaction; undoing
 * to the LSN before X's first entry removes X entirely. */
static void test_txn_undo(void **state)
{
	(void)state;
	exec_result w, r;
	size_t n1, n3;
	reset_dirs();
	insert1(1, "a", 81, &w);
	exec_result_free(&w);
	char *d1 = digest(prim, &n1);
	assert_int_equal(insert_txn(prim, 2, "x", 82, TXN_X, &w), MUR_OK);
	exec_result_free(&w);
	tb b;
	tb_init(&b, EXEC_TASK_WRITE, "UPDATE main.\"t\" SET name = 'z' WHERE id = 1");
	b.t.txn_id = TXN_X;
	cwrite(&b, 83, &w);
	exec_result_free(&w);
	char *d3 = digest(prim, &n3);
	assert_int_equal(marker_write(prim, 4, 84, TXN_X, &w), MUR_OK);
	exec_result_free(&w);
	insert1(5, "b", 85, &w);
	exec_result_free(&w);
	expect_open_txn(prim, 0, 0);

	assert_int_equal(undo_task(prim, 3, &r), MUR_OK); /* the marker and entry 5 */
	assert_int_equal(r.lsn, 3);
	assert_int_equal(r.entry_id, 83);
	exec_result_free(&r);
	expect_open_txn(prim, TXN_X, 2); /* X is open again */
	expect_digest(prim, d3, n3);
	/* X's own entry may follow again, an autocommit one may not */
	assert_int_equal(insert_txn(prim, 6, "a", 86, 0, &w), MUR_ERR);
	assert_string_equal(w.err.sqlstate, "25000");
	exec_result_free(&w);

	assert_int_equal(undo_task(prim, 1, &r), MUR_OK); /* abort X */
	exec_result_free(&r);
	expect_open_txn(prim, 0, 0);
	expect_digest(prim, d1, n1);
	insert1(6, "a", 86, &w);
	exec_result_free(&w);
	free(d1);
	free(d3);
}

/* Catch-up (stor_log_read → stor_apply_entries) carries txn ids and
 * markers: the replica's log equals the primary's and its STATUS shows
 * the same open transaction. */
static void test_txn_catch_up(void **state)
{
	(void)state;
	exec_result w;
	int rounds;
	reset_dirs();
	insert1(1, "a", 91, &w);
	exec_result_free(&w);
	for (int i = 2; i <= 3; i++) {
		assert_int_equal(insert_txn(prim, i, "x", (uint64_t)(90 + i), TXN_X, &w), MUR_OK);
		exec_result_free(&w);
	}
	assert_int_equal(marker_write(prim, 4, 94, TXN_X, &w), MUR_OK);
	exec_result_free(&w);
	assert_int_equal(insert_txn(prim, 5, "y", 95, TXN_Y, &w), MUR_OK);
	exec_result_free(&w);

	assert_int_equal(catch_up(1, &rounds), MUR_OK); /* one entry per round */
	assert_int_equal(rounds, 5);
	expect_same_log(prim, repl);
	expect_same(prim, repl);
	expect_open_txn(repl, TXN_Y, 5);

	/* in one batch, from the middle */
	mur_error err;
	must(stor_dir_drop(repl, FILE_T, &err), &err);
	ddl(repl, SCHEMA);
	assert_int_equal(catch_up(1 << 20, &rounds), MUR_OK);
	assert_int_equal(rounds, 1);
	expect_same_log(prim, repl);
	expect_open_txn(repl, TXN_Y, 5);
}

/* ---- parallel commits: the staging marker (replog.h, STOR_ENTRY_STAGED) */

#define PARTS_XY "1:0,1:3"

/* The staging marker of txn as a WRITE (no SQL, participants in the
 * blob) at lsn (0: the next). */
static int staged_write(stor_dir *d, uint64_t lsn, uint64_t eid, uint64_t txn, const char *parts,
			exec_result *res)
{
	tb b;
	tb_init(&b, EXEC_TASK_WRITE, NULL);
	b.t.capture = EXEC_CAPTURE_RETURN;
	b.t.lsn = lsn;
	b.t.entry_id = eid;
	b.t.txn_id = txn;
	b.t.entry_kind = EXEC_ENTRY_STAGED;
	b.t.blob = parts;
	b.t.blob_len = strlen(parts);
	return run(d, &b, res);
}

/* Recovery's query (EXEC_TASK_TXN_STATE) on d for txn: its state, and
 * the participants into parts (a STAGED answer). */
static int64_t txn_state(stor_dir *d, uint64_t txn, char *parts, size_t n)
{
	tb b;
	exec_result r;
	mur_rd rd;
	mur_value v[3];
	tb_init(&b, EXEC_TASK_TXN_STATE, NULL);
	b.t.txn_id = txn;
	run_ok(d, &b, &r);
	assert_int_equal(r.nrows, 1);
	assert_int_equal(r.ncols, 3);
	mur_rd_init(&rd, r.rows.data, r.rows.len);
	for (int k = 0; k < 3; k++)
		assert_int_equal(mur_row_get_value(&rd, &v[k]), MUR_OK);
	snprintf(parts, n, "%.*s", (int)v[1].len, v[1].s);
	exec_result_free(&r);
	return v[0].i;
}

/* X's entries, then STAGED(X, participants) on the primary and, applied,
 * on the replica: X stays open (Y's STAGED is refused 25000), recovery's query
 * answers STAGED with the participants, and ABSENT for a transaction the
 * log never held; after X's commit marker it answers COMMITTED.  A
 * staging marker of a transaction that is not open, of txn 0 or without
 * participants is refused. */
static void test_txn_staged_marker(void **state)
{
	(void)state;
	exec_result w;
	char parts[64];
	reset_dirs();
	insert1(1, "a", 101, &w);
	apply_ok(repl, &w);
	exec_result_free(&w);
	for (int i = 2; i <= 3; i++) {
		assert_int_equal(insert_txn(prim, i, "x", (uint64_t)(100 + i), TXN_X, &w), MUR_OK);
		apply_entry_ok(repl, &w, TXN_X, EXEC_ENTRY_DATA);
		exec_result_free(&w);
	}
	assert_int_equal(txn_state(prim, TXN_X, parts, sizeof parts), STOR_TXN_OPEN);
	assert_int_equal(staged_write(prim, 4, 104, TXN_Y, PARTS_XY, &w), MUR_ERR);
	assert_string_equal(w.err.sqlstate, "25000"); /* Y is not the open one */
	exec_result_free(&w);
	assert_int_equal(staged_write(prim, 4, 104, TXN_X, "", &w), MUR_ERR);
	assert_string_equal(w.err.sqlstate, "08P01"); /* no participants */
	exec_result_free(&w);
	assert_int_equal(staged_write(prim, 4, 104, TXN_X, PARTS_XY, &w), MUR_OK);
	assert_int_equal(w.lsn, 4);
	assert_int_equal(w.blob.len, strlen(PARTS_XY)); /* the entry's changeset column */
	expect_open_txn(prim, TXN_X, 2);
	apply_entry_ok(repl, &w, TXN_X, EXEC_ENTRY_STAGED);
	exec_result_free(&w);
	expect_open_txn(repl, TXN_X, 2);
	expect_same_log(prim, repl);
	expect_same(prim, repl);
	for (int k = 0; k < 2; k++) {
		stor_dir *d = k ? repl : prim;
		assert_int_equal(txn_state(d, TXN_X, parts, sizeof parts), STOR_TXN_STAGED);
		assert_string_equal(parts, PARTS_XY);
		assert_int_equal(txn_state(d, TXN_Y, parts, sizeof parts), STOR_TXN_ABSENT);
	}

	/* X is still open: its commit marker closes it */
	assert_int_equal(marker_write(prim, 5, 105, TXN_X, &w), MUR_OK);
	apply_entry_ok(repl, &w, TXN_X, EXEC_ENTRY_COMMIT);
	exec_result_free(&w);
	expect_open_txn(prim, 0, 0);
	assert_int_equal(txn_state(repl, TXN_X, parts, sizeof parts), STOR_TXN_COMMITTED);

	/* nothing open: a staging marker has nothing to follow */
	assert_int_equal(staged_write(prim, 6, 106, TXN_X, PARTS_XY, &w), MUR_ERR);
	assert_string_equal(w.err.sqlstate, "25000");
	exec_result_free(&w);
	stor_db *db;
	mur_error err;
	must(stor_dir_get(repl, FILE_T, 0, &db, &err), &err);
	must(stor_lock(db, &err), &err);
	stor_entry bad = {.lsn = 6,
			  .entry_id = 106,
			  .kind = STOR_ENTRY_STAGED,
			  .cs = PARTS_XY,
			  .len = strlen(PARTS_XY)}; /* of txn 0 */
	assert_int_equal(stor_log_apply(db, &bad, &err), MUR_ERR);
	assert_string_equal(err.sqlstate, "08P01");
	bad.txn_id = TXN_X; /* X is not open on the replica */
	assert_int_equal(stor_log_apply(db, &bad, &err), MUR_ERR);
	assert_string_equal(err.sqlstate, "25000");
	stor_unlock(db);
	stor_dir_put(repl, db);
	assert_int_equal(lsn_of(prim, NULL), 5);
	assert_int_equal(lsn_of(repl, NULL), 5);
}

/* Reopen both placement directories: the next STATUS reads the open
 * transaction from the log's rows, not from the cache appends kept. */
static void reopen_dirs(void)
{
	char p[300];
	mur_error err;
	stor_dir_close(prim);
	stor_dir_close(repl);
	snprintf(p, sizeof p, "%s/p", tmpdir);
	must(stor_dir_open(p, &prim, &err), &err);
	snprintf(p, sizeof p, "%s/r", tmpdir);
	must(stor_dir_open(p, &repl, &err), &err);
}

/* The restart's listing (EXEC_TASK_TXN_STATE with txn_id 0): the STAGED
 * entries of txids in [lsn, entry_id), newest first — and a STAGED entry
 * put a moment ago stays in the log whatever the retention (STOR_STAGED_
 * HOLD_*), so a leader that lost its outcome row can still find it.
 * Before the hold, retention 2 trimmed X's STAGED entry at the fifth
 * entry after it: the listing came back empty. */
static void test_txn_staged_listed_and_kept(void **state)
{
	(void)state;
	exec_result w, r;
	tb b;
	mur_rd rd;
	mur_value v[2];
	reset_dirs();
	stor_dir_set_log_retention(prim, 2, 0);
	insert1(1, "a", 131, &w);
	exec_result_free(&w);
	assert_int_equal(insert_txn(prim, 2, "x", 132, TXN_X, &w), MUR_OK);
	exec_result_free(&w);
	assert_int_equal(staged_write(prim, 3, 133, TXN_X, PARTS_XY, &w), MUR_OK);
	exec_result_free(&w);
	for (int i = 4; i <= 8; i++) { /* autocommit entries: X closed, then past retention */
		insert1(i, "z", (uint64_t)(130 + i), &w);
		exec_result_free(&w);
	}
	tb_init(&b, EXEC_TASK_TXN_STATE, NULL);
	b.t.txn_id = 0;
	b.t.lsn = 1;
	b.t.entry_id = (uint64_t)INT64_MAX;
	run_ok(prim, &b, &r);
	assert_int_equal(r.nrows, 1);
	assert_int_equal(r.ncols, 2);
	mur_rd_init(&rd, r.rows.data, r.rows.len);
	for (int k = 0; k < 2; k++)
		assert_int_equal(mur_row_get_value(&rd, &v[k]), MUR_OK);
	assert_true((uint64_t)v[0].i == TXN_X);
	assert_int_equal((int)v[1].len, (int)strlen(PARTS_XY));
	assert_memory_equal(v[1].s, PARTS_XY, v[1].len);
	exec_result_free(&r);
	b.t.entry_id = TXN_X; /* [1, X): not listed */
	run_ok(prim, &b, &r);
	assert_int_equal(r.nrows, 0);
	exec_result_free(&r);
	stor_dir_set_log_retention(prim, 0, 0);
}

/* Parallel commits without commit markers (replog.h): any entry may
 * follow X's STAGED entry, and closes X.  Y's data after it opens Y (X is
 * no longer open, also as read back from the log's rows), an undo back to
 * the STAGED entry reopens X, an autocommit entry after it leaves nothing
 * open, and X's STAGED cannot come again once X is closed.  (Before, the
 * log refused anything but X's marker after X's STAGED entry: 25000.) */
static void test_txn_staged_closed_by_the_next_entry(void **state)
{
	(void)state;
	exec_result w, r;
	reset_dirs();
	insert1(1, "a", 121, &w);
	apply_ok(repl, &w);
	exec_result_free(&w);
	assert_int_equal(insert_txn(prim, 2, "x", 122, TXN_X, &w), MUR_OK);
	apply_entry_ok(repl, &w, TXN_X, EXEC_ENTRY_DATA);
	exec_result_free(&w);
	assert_int_equal(staged_write(prim, 3, 123, TXN_X, PARTS_XY, &w), MUR_OK);
	apply_entry_ok(repl, &w, TXN_X, EXEC_ENTRY_STAGED);
	exec_result_free(&w);

	/* the next holder's entry follows X's STAGED: X closed, Y open */
	if (insert_txn(prim, 4, "y", 124, TXN_Y, &w) != MUR_OK)
		fail_msg("Y's entry after X's STAGED refused: %s", w.err.message);
	apply_entry_ok(repl, &w, TXN_Y, EXEC_ENTRY_DATA);
	exec_result_free(&w);
	expect_open_txn(prim, TXN_Y, 4);
	expect_open_txn(repl, TXN_Y, 4);
	reopen_dirs();
	expect_open_txn(prim, TXN_Y, 4);
	expect_open_txn(repl, TXN_Y, 4);
	expect_same_log(prim, repl);

	/* Y undone: X's STAGED is the newest entry again, X open */
	for (int k = 0; k < 2; k++) {
		stor_dir *d = k ? repl : prim;
		assert_int_equal(undo_task(d, 3, &r), MUR_OK);
		exec_result_free(&r);
		expect_open_txn(d, TXN_X, 2);
	}

	/* an autocommit entry closes X too: nothing open */
	insert1(5, "a", 125, &w); /* fails the test if refused */
	apply_ok(repl, &w);
	exec_result_free(&w);
	expect_open_txn(prim, 0, 0);
	expect_open_txn(repl, 0, 0);
	reopen_dirs();
	expect_open_txn(prim, 0, 0);
	expect_open_txn(repl, 0, 0);
	assert_int_equal(staged_write(prim, 5, 126, TXN_X, PARTS_XY, &w), MUR_ERR);
	assert_string_equal(w.err.sqlstate, "25000");
	exec_result_free(&w);
	assert_int_equal(lsn_of(prim, NULL), 4);
	assert_int_equal(lsn_of(repl, NULL), 4);
}

/* An undo takes a staged transaction back whole (the STAGED entry has
 * nothing to invert); recovery's query then answers ABSENT.  Catch-up
 * carries a STAGED entry, participants included. */
static void test_txn_staged_undo_and_catch_up(void **state)
{
	(void)state;
	exec_result w, r;
	char parts[64];
	size_t n1;
	int rounds;
	reset_dirs();
	insert1(1, "a", 111, &w);
	exec_result_free(&w);
	char *d1 = digest(prim, &n1);
	assert_int_equal(insert_txn(prim, 2, "x", 112, TXN_X, &w), MUR_OK);
	exec_result_free(&w);
	assert_int_equal(staged_write(prim, 3, 113, TXN_X, PARTS_XY, &w), MUR_OK);
	exec_result_free(&w);

	assert_int_equal(catch_up(1, &rounds), MUR_OK);
	expect_same_log(prim, repl);
	expect_open_txn(repl, TXN_X, 2);
	assert_int_equal(txn_state(repl, TXN_X, parts, sizeof parts), STOR_TXN_STAGED);
	assert_string_equal(parts, PARTS_XY);

	for (int k = 0; k < 2; k++) {
		stor_dir *d = k ? repl : prim;
		assert_int_equal(undo_task(d, 1, &r), MUR_OK);
		assert_int_equal(r.lsn, 1);
		exec_result_free(&r);
		expect_digest(d, d1, n1);
		expect_open_txn(d, 0, 0);
		assert_int_equal(txn_state(d, TXN_X, parts, sizeof parts), STOR_TXN_ABSENT);
	}
	free(d1);
}

/* Oldest LSN in d's log (the lock is not held when a check fails). */
static uint64_t log_first_of(stor_dir *d)
{
	stor_db *db;
	mur_error err;
	uint64_t first;
	must(stor_dir_get(d, FILE_T, 0, &db, &err), &err);
	must(stor_lock(db, &err), &err);
	int rc = stor_log_first(db, &first, &err);
	stor_unlock(db);
	stor_dir_put(d, db);
	must(rc, &err);
	return first;
}

/* Trimming keeps every entry of the open transaction (its undo needs
 * them), then resumes once it has its marker. */
static void test_txn_trim_keeps_open(void **state)
{
	(void)state;
	exec_result w, r;
	reset_dirs();
	stor_dir_set_log_retention(prim, 3, 0);
	for (int i = 1; i <= 5; i++) {
		insert1(i, "a", (uint64_t)(100 + i), &w);
		exec_result_free(&w);
	}
	for (int i = 6; i <= 12; i++) {
		assert_int_equal(insert_txn(prim, i, "x", (uint64_t)(100 + i), TXN_X, &w), MUR_OK);
		exec_result_free(&w);
	}
	assert_int_equal(log_first_of(prim), 6); /* X from 6 on, though 3 entries are kept */
	/* so X can be undone, in part (a savepoint) or whole */
	assert_int_equal(undo_task(prim, 8, &r), MUR_OK);
	exec_result_free(&r);
	expect_open_txn(prim, TXN_X, 6);
	assert_int_equal(marker_write(prim, 9, 109, TXN_X, &w), MUR_OK);
	exec_result_free(&w);
	insert1(10, "b", 110, &w);
	exec_result_free(&w);
	assert_int_equal(log_first_of(prim), 8); /* trimmed again: the newest 3 */
	stor_dir_set_log_retention(prim, 0, 0);
}

/* A chain of five pending staging markers (pipelined staging, chained:
 * src/replication/repl_lock.c, "chain"): each transaction's data entry
 * then its STAGED entry, each closed on the copy by the next one's entry,
 * all still undecided on the leader.  Retention 2 would trim every entry
 * but the newest two; the first one's abort undoes the shard to its base
 * (lsn 1), so its data entry and every later one must still be there (the
 * hold keeps a STAGED entry of the last second with its transaction's
 * entries).  Before, the hold kept only the STAGED entries: the first
 * one's data entry (lsn 2) was trimmed and the undo failed 55000
 * "entries trimmed". */
static void test_txn_trim_keeps_a_chain_of_staged(void **state)
{
	(void)state;
	exec_result w, r;
	reset_dirs();
	stor_dir_set_log_retention(prim, 2, 0);
	insert1(1, "a", 141, &w);
	exec_result_free(&w);
	for (int k = 0; k < 5; k++) {
		uint64_t txn = TXN_X + 0x10 + (uint64_t)k, lsn = 2 + 2 * (uint64_t)k;
		assert_int_equal(insert_txn(prim, (int64_t)lsn, "c", 142 + 2 * (uint64_t)k, txn,
					    &w),
				 MUR_OK);
		exec_result_free(&w);
		assert_int_equal(staged_write(prim, lsn + 1, 143 + 2 * (uint64_t)k, txn, PARTS_XY,
					      &w),
				 MUR_OK);
		exec_result_free(&w);
	}
	assert_int_equal(log_first_of(prim), 2); /* the first one's data entry on */
	if (undo_task(prim, 1, &r) != MUR_OK)
		fail_msg("the chain's undo to its base: %s", r.err.message);
	exec_result_free(&r);
	assert_int_equal(lsn_of(prim, NULL), 1);
	stor_dir_set_log_retention(prim, 0, 0);
}

/* A placement file made before transactions (_murphy_log without txn_id
 * and kind) is upgraded when opened: its entries read as autocommit data,
 * undo still inverts them, transactions work on it. */
static void test_txn_old_file_upgrade(void **state)
{
	(void)state;
	exec_result w, r;
	char dir[300], path[340];
	sqlite3 *old;
	sqlite3_stmt *st;
	stor_dir *d;
	mur_error err;
	reset_dirs();
	insert1(1, "a", 121, &w); /* a real changeset for the old file's entry */

	snprintf(dir, sizeof dir, "%s/old", tmpdir);
	assert_int_equal(mkdir(dir, 0700), 0);
	snprintf(path, sizeof path, "%s/%s", dir, FILE_T);
	assert_int_equal(sqlite3_open(path, &old), SQLITE_OK);
	assert_int_equal(sqlite3_exec(old,
				      SCHEMA ";"
					     " CREATE TABLE _murphy_meta(key TEXT PRIMARY KEY, "
					     "value INTEGER);"
					     " CREATE TABLE _murphy_log(lsn INTEGER PRIMARY KEY,"
					     " entry_id INTEGER NOT NULL, changeset BLOB NOT NULL);"
					     " INSERT INTO _murphy_meta VALUES ('lsn', 0), "
					     "('entry_id', 0),"
					     " ('log_bytes', 0);"
					     " INSERT INTO main.\"t\" VALUES (1, 'a', 0.25);",
				      NULL, NULL, NULL),
			 SQLITE_OK);
	assert_int_equal(sqlite3_prepare_v2(old, "INSERT INTO _murphy_log VALUES (1, 121, ?1)", -1,
					    &st, NULL),
			 SQLITE_OK);
	sqlite3_bind_blob(st, 1, w.blob.data, (int)w.blob.len, SQLITE_STATIC);
	assert_int_equal(sqlite3_step(st), SQLITE_DONE);
	sqlite3_finalize(st);
	sqlite3_close(old);
	exec_result_free(&w);

	must(stor_dir_open(dir, &d, &err), &err);
	expect_open_txn(d, 0, 0);
	uint64_t txn;
	int64_t kind;
	log_entry_txn(d, 1, &txn, &kind);
	assert_int_equal(txn, 0);
	assert_int_equal(kind, EXEC_ENTRY_DATA);
	assert_int_equal(lsn_of(d, NULL), 1);
	assert_int_equal(insert_txn(d, 2, "x", 122, TXN_X, &w), MUR_OK);
	exec_result_free(&w);
	expect_open_txn(d, TXN_X, 2);
	assert_int_equal(marker_write(d, 3, 123, TXN_X, &w), MUR_OK);
	exec_result_free(&w);
	expect_open_txn(d, 0, 0);
	assert_int_equal(undo_task(d, 0, &r), MUR_OK); /* the old entry inverts too */
	exec_result_free(&r);
	expect_digest(d, "", 0);
	stor_dir_close(d);

	/* opening again: already upgraded, nothing to do */
	must(stor_dir_open(dir, &d, &err), &err);
	expect_open_txn(d, 0, 0);
	assert_int_equal(lsn_of(d, NULL), 0);
	stor_dir_close(d);
}

/* ---- split (snapshot.c's stor_split_*, the SPLIT task) ------------- */

#define SPLIT_LO "t1_s0g7.db"
#define SPLIT_HI "t1_s1g7.db"

/* The SPLIT task of FILE_T at id 6: lsn 0 prepare, round: a catch-up
 * round to lsn, else the finish at lsn. */
static void split_task(uint64_t lsn, int round, exec_result *res)
{
	tb b;
	tb_init(&b, EXEC_TASK_SPLIT, "");
	b.t.nplacements = 3;
	snprintf(b.t.placements[1], sizeof b.t.placements[1], "%s", SPLIT_LO);
	snprintf(b.t.placements[2], sizeof b.t.placements[2], "%s", SPLIT_HI);
	b.t.scan_table = "t";
	b.t.scan_column = "id";
	b.params[0] = mur_v_int(6);
	b.t.nparams = 1;
	b.t.lsn = lsn;
	b.t.target_id = round ? EXEC_SPLIT_ROUND : 0;
	run_ok(prim, &b, res);
}

/* The ids of t in placement file of prim matching where, "1,2,…". */
static void ids_in(const char *file, const char *where, char *out, size_t outsz)
{
	char sql[200];
	tb b;
	exec_result res;
	mur_rd rd;
	mur_value v;
	snprintf(sql, sizeof sql,
		 "SELECT coalesce(group_concat(id), '') FROM (SELECT id FROM main.\"t\" %s ORDER "
		 "BY "
		 "id)",
		 where);
	tb_init(&b, EXEC_TASK_QUERY, sql);
	snprintf(b.t.placements[0], sizeof b.t.placements[0], "%s", file);
	run_ok(prim, &b, &res);
	mur_rd_init(&rd, res.rows.data, res.rows.len);
	assert_int_equal(mur_row_get_value(&rd, &v), MUR_OK);
	snprintf(out, outsz, "%.*s", (int)v.len, v.s);
	exec_result_free(&res);
}

/* The halves of a split catch up in rounds while writes go on: each
 * round stops at the decided LSN it was given (not at the source's newest
 * entry), an insert of the other side's row is dropped as the log is
 * applied (no trim), a change of a row the half does not hold is skipped,
 * and after the finish each half holds exactly its side of the source and
 * takes writes of its own (the filter is gone). */
static void test_split_rounds_and_finish(void **state)
{
	(void)state;
	exec_result res;
	char got[200], want[200];
	uint64_t eid = 9000, lsn;
	reset_dirs();
	for (int64_t id = 1; id <= 10; id++) {
		insert1(id, "a", ++eid, &res);
		exec_result_free(&res);
	}
	split_task(0, 0, &res); /* prepare: both halves installed */
	exec_result_free(&res);
	for (int64_t id = 11; id <= 13; id++) { /* the upper side's */
		insert1(id, "b", ++eid, &res);
		exec_result_free(&res);
	}
	insert1(-1, "c", ++eid, &res); /* the lower side's */
	exec_result_free(&res);
	lsn = lsn_of(prim, NULL);
	insert1(-2, "d", ++eid, &res); /* past the round's LSN */
	exec_result_free(&res);
	split_task(lsn, 1, &res);
	assert_int_equal(res.lsn, lsn); /* stopped at the LSN given */
	assert_int_equal(res.changes, 2 * 4);
	exec_result_free(&res);
	ids_in(SPLIT_LO, "", got, sizeof got);
	assert_string_equal(got, "-1,1,2,3,4,5"); /* 11-13 dropped, -2 not yet */
	ids_in(SPLIT_HI, "", got, sizeof got);
	assert_string_equal(got, "6,7,8,9,10,11,12,13");
	{
		tb b; /* a delete of both sides' rows: each half skips the other's */
		tb_init(&b, EXEC_TASK_WRITE, "DELETE FROM main.\"t\" WHERE id IN (2, 12)");
		cwrite(&b, ++eid, &res);
		exec_result_free(&res);
	}
	split_task(lsn_of(prim, NULL), 0, &res); /* finish */
	assert_int_equal(res.changes, 2 * 2);
	exec_result_free(&res);
	ids_in(FILE_T, "WHERE id < 6", want, sizeof want);
	ids_in(SPLIT_LO, "", got, sizeof got);
	assert_string_equal(got, want);
	ids_in(FILE_T, "WHERE id >= 6", want, sizeof want);
	ids_in(SPLIT_HI, "", got, sizeof got);
	assert_string_equal(got, want);
	{
		tb b; /* the lower half now takes any row: its filter is gone */
		tb_init(&b, EXEC_TASK_WRITE, "INSERT INTO main.\"t\" VALUES (30, 'e', 1)");
		snprintf(b.t.placements[0], sizeof b.t.placements[0], "%s", SPLIT_LO);
		b.t.capture = 1;
		b.t.entry_id = ++eid;
		run_ok(prim, &b, &res);
		assert_int_equal(res.changes, 1);
		exec_result_free(&res);
	}
	ids_in(SPLIT_LO, "WHERE id = 30", got, sizeof got);
	assert_string_equal(got, "30");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_capture_apply),
		cmocka_unit_test(test_row_capture_matches_session),
		cmocka_unit_test(test_row_capture_follows_schema),
		cmocka_unit_test(test_row_capture_updates_and_deletes_match_session),
		cmocka_unit_test(test_apply_order_idempotent),
		cmocka_unit_test(test_apply_conflict),
		cmocka_unit_test(test_apply_divergent_copy),
		cmocka_unit_test(test_apply_after_schema_change),
		cmocka_unit_test(test_apply_update_shapes),
		cmocka_unit_test(test_undo),
		cmocka_unit_test(test_ddl_entry),
		cmocka_unit_test(test_log_bytes_stay_exact),
		cmocka_unit_test(test_trim_and_undo_trimmed),
		cmocka_unit_test(test_full_log_trims_in_bulk),
		cmocka_unit_test(test_catch_up),
		cmocka_unit_test(test_abort_mid_apply),
		cmocka_unit_test(test_snapshot_install),
		cmocka_unit_test(test_status),
		cmocka_unit_test(test_txn_entries_and_marker),
		cmocka_unit_test(test_txn_order),
		cmocka_unit_test(test_txn_undo),
		cmocka_unit_test(test_txn_catch_up),
		cmocka_unit_test(test_txn_trim_keeps_open),
		cmocka_unit_test(test_txn_trim_keeps_a_chain_of_staged),
		cmocka_unit_test(test_txn_old_file_upgrade),
		cmocka_unit_test(test_txn_staged_marker),
		cmocka_unit_test(test_txn_staged_undo_and_catch_up),
		cmocka_unit_test(test_txn_staged_closed_by_the_next_entry),
		cmocka_unit_test(test_txn_staged_listed_and_kept),
		cmocka_unit_test(test_split_rounds_and_finish),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
