/*
 * test_fwal.c — the follower WAL (src/storage/fwal.c): group commit across
 * placements, recovery after lost SQLite commits, torn tails, UNDO and
 * RESET records, rotation while appending.
 *
 * A "crash" is simulated by copying only the placements' main database
 * files (not their -wal: the commits made with synchronous=NORMAL since
 * the last checkpoint are lost) and the follower.wal.* files into a fresh
 * directory, then running recovery there.  Writes follow the primary's
 * path of task_run.c: capture, stor_log_append, stor_fwal_prepare_commit,
 * stor_commit, stor_fwal_log_entry.
 *
 * Also the exclusive locking placements behind the follower WAL run with
 * (db.c, "Locking"): held while writes flow, given up when idle, for a
 * snapshot, or when another connection has the file open; and a write
 * batch's entries of one placement in one SQLite transaction, their
 * records appended after its COMMIT (batch_txn.c).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "common/clock.h"
#include "storage/fwal.h"
#include "storage/replog.h"
#include "storage/storage_int.h" /* stor_walbuf_stats */
#include "test_loop.h"

#include <dirent.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define SCHEMA "CREATE TABLE t (id INTEGER PRIMARY KEY, v INTEGER NOT NULL)"
#define THREADS 8
#define PER_THREAD 60

static char tmpdir[TL_TMPDIR_MAX];
static int ncopies;

static void must(int rc, const mur_error *err)
{
	if (rc != MUR_OK)
		fail_msg("rc %d: %s %s", rc, err->sqlstate, err->message);
}

static int setup(void **state)
{
	(void)state;
	return tl_tmpdir_make(tmpdir, sizeof tmpdir, "fwal");
}

static int teardown(void **state)
{
	(void)state;
	return tl_tmpdir_remove(tmpdir);
}

static stor_dir *open_dir(const char *name, int gc, const stor_fwal_opts *opts)
{
	char p[300];
	mur_error err;
	stor_dir *d;
	snprintf(p, sizeof p, "%s/%s", tmpdir, name);
	must(stor_dir_open(p, &d, &err), &err);
	if (gc)
		must(stor_fwal_start(d, opts, NULL, &err), &err);
	return d;
}

/* Create placement file with SCHEMA, checkpointed into the main file (so a
 * crash copy has the table). */
static void create_placement(stor_dir *d, const char *file)
{
	stor_db *db;
	mur_error err;
	must(stor_dir_get(d, file, 1, &db, &err), &err);
	must(stor_lock(db, &err), &err);
	assert_int_equal(sqlite3_exec(stor_handle(db), SCHEMA, NULL, NULL, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_wal_checkpoint_v2(stor_handle(db), "main",
						   SQLITE_CHECKPOINT_TRUNCATE, NULL, NULL),
			 SQLITE_OK);
	stor_unlock(db);
	stor_dir_put(d, db);
}

/* Commit the open transaction of db with entry e logged (task_run.c's
 * order: prepare, COMMIT, then the WAL record); returns what logging the
 * record gave (err filled). */
static int commit_logged_rc(stor_db *db, stor_entry *e, uint64_t lsn, mur_error *err)
{
	must(stor_fwal_prepare_commit(db, 1, e->len, err), err);
	must(stor_commit(db, err), err);
	e->lsn = lsn;
	return stor_fwal_log_entry(db, e, err);
}

static void commit_logged(stor_db *db, stor_entry *e, uint64_t lsn)
{
	mur_error err;
	must(commit_logged_rc(db, e, lsn, &err), &err);
}

/* One captured write on file (the primary's path in task_run.c), an entry
 * of transaction txn (0: autocommit). */
static int write_txn_row_rc(stor_dir *d, const char *file, int64_t id, uint64_t entry_id,
			    uint64_t txn, mur_error *logged);

static void write_txn_row(stor_dir *d, const char *file, int64_t id, uint64_t entry_id,
			  uint64_t txn)
{
	mur_error err;
	must(write_txn_row_rc(d, file, id, entry_id, txn, &err), &err);
}

static int write_txn_row_rc(stor_dir *d, const char *file, int64_t id, uint64_t entry_id,
			    uint64_t txn, mur_error *logged)
{
	int rc;
	stor_db *db;
	sqlite3_session *s;
	mur_error err;
	void *cs;
	size_t len;
	uint64_t lsn;
	char sql[128];
	must(stor_dir_get(d, file, 0, &db, &err), &err);
	must(stor_lock(db, &err), &err);
	must(stor_begin(db, &err), &err);
	must(stor_capture_begin(db, &s, &err), &err);
	snprintf(sql, sizeof sql, "INSERT INTO t VALUES (%lld, 1)", (long long)id);
	assert_int_equal(sqlite3_exec(stor_handle(db), sql, NULL, NULL, NULL), SQLITE_OK);
	must(stor_capture_take(db, s, &cs, &len, &err), &err);
	stor_entry e = {.entry_id = entry_id, .txn_id = txn, .cs = cs, .len = len};
	must(stor_log_append(db, &e, &lsn, &err), &err);
	stor_capture_end(s);
	rc = commit_logged_rc(db, &e, lsn, logged);
	sqlite3_free(cs);
	stor_unlock(db);
	stor_dir_put(d, db);
	return rc;
}

static void write_row(stor_dir *d, const char *file, int64_t id, uint64_t entry_id)
{
	write_txn_row(d, file, id, entry_id, 0);
}

/* The commit marker of txn on file, as a WRITE of kind COMMIT makes it
 * (parts: a STAGED marker with these participants instead). */
static void write_kind_marker(stor_dir *d, const char *file, uint64_t entry_id, uint64_t txn,
			      const char *parts)
{
	stor_db *db;
	mur_error err;
	uint64_t lsn;
	stor_entry e = {.entry_id = entry_id,
			.txn_id = txn,
			.kind = parts ? STOR_ENTRY_STAGED : STOR_ENTRY_COMMIT,
			.cs = parts,
			.len = parts ? strlen(parts) : 0};
	must(stor_dir_get(d, file, 0, &db, &err), &err);
	must(stor_lock(db, &err), &err);
	must(stor_begin(db, &err), &err);
	must(stor_log_append(db, &e, &lsn, &err), &err);
	commit_logged(db, &e, lsn);
	stor_unlock(db);
	stor_dir_put(d, db);
}

static void write_marker(stor_dir *d, const char *file, uint64_t entry_id, uint64_t txn)
{
	write_kind_marker(d, file, entry_id, txn, NULL);
}

/* Rows of db's table t (db locked by the caller). */
static int64_t rows_held(stor_db *db)
{
	sqlite3_stmt *st;
	assert_int_equal(sqlite3_prepare_v2(stor_handle(db), "SELECT count(*) FROM t", -1, &st,
					    NULL),
			 SQLITE_OK);
	assert_int_equal(sqlite3_step(st), SQLITE_ROW);
	int64_t n = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return n;
}

static int64_t count_rows(stor_dir *d, const char *file, uint64_t *lsn)
{
	stor_db *db;
	mur_error err;
	must(stor_dir_get(d, file, 0, &db, &err), &err);
	must(stor_lock(db, &err), &err);
	int64_t n = rows_held(db);
	*lsn = stor_lsn(db);
	stor_unlock(db);
	stor_dir_put(d, db);
	return n;
}

/* Crash copy of d: main database files and WAL generations only. */
static stor_dir *crash_copy(stor_dir *d)
{
	char cmd[1024], name[32], p[300];
	mur_error err;
	stor_dir *c;
	snprintf(name, sizeof name, "crash%d", ++ncopies);
	snprintf(p, sizeof p, "%s/%s", tmpdir, name);
	snprintf(cmd, sizeof cmd,
		 "mkdir -p %s && cd %s && for f in *.db " STOR_FWAL_PREFIX "*; do"
		 " [ -e \"$f\" ] && cp \"$f\" %s/; done; true",
		 p, stor_dir_path(d), p);
	assert_int_equal(system(cmd), 0);
	must(stor_dir_open(p, &c, &err), &err);
	return c;
}

/* The single WAL generation file of d (asserts there is exactly one). */
static void wal_file(stor_dir *d, char *out, size_t n)
{
	DIR *dh = opendir(stor_dir_path(d));
	struct dirent *e;
	int found = 0;
	assert_non_null(dh);
	while ((e = readdir(dh)) != NULL)
		if (strncmp(e->d_name, STOR_FWAL_PREFIX, strlen(STOR_FWAL_PREFIX)) == 0) {
			snprintf(out, n, "%s/%s", stor_dir_path(d), e->d_name);
			found++;
		}
	closedir(dh);
	assert_int_equal(found, 1);
}

/* Parse the records of a WAL file: per placement t<k>, lsns must be
 * 1, 2, 3, ... in file order.  Returns the record count; offsets[i] = the
 * start of record i (up to max). */
static int check_order(const char *path, long *offsets, int max)
{
	FILE *f = fopen(path, "rb");
	unsigned char h[9], *buf = malloc(1 << 20);
	uint64_t next[THREADS + 1] = {0};
	int n = 0;
	long off = 0;
	assert_non_null(f);
	while (fread(h, 1, 9, f) == 9) {
		uint32_t len = (uint32_t)h[0] << 24 | (uint32_t)h[1] << 16 | (uint32_t)h[2] << 8 |
			       h[3];
		if (len == 0 || len > (1 << 20) || fread(buf, 1, len, f) != len)
			break;
		if (n < max)
			offsets[n] = off;
		off += 9 + (long)len;
		n++;
		if (h[8] != STOR_FWAL_ENTRY)
			continue;
		int k = buf[2] - '0'; /* "t<k>.db" */
		assert_true(k >= 0 && k <= THREADS);
		uint64_t lsn = 0;
		for (int i = 0; i < 8; i++)
			lsn = lsn << 8 | buf[1 + buf[0] + i];
		assert_int_equal(lsn, next[k] + 1);
		next[k] = lsn;
	}
	fclose(f);
	free(buf);
	return n;
}

/* ---- concurrent appends: groups, order, recovery ------------------------- */

typedef struct writer {
	stor_dir *d;
	int k;
	int rotate; /* writer 0 in the rotation test: force rotations */
} writer;

static void *write_many(void *arg)
{
	writer *w = arg;
	char file[32];
	snprintf(file, sizeof file, "t%d.db", w->k);
	for (int i = 1; i <= PER_THREAD; i++) {
		write_row(w->d, file, (int64_t)w->k * 100000 + i,
			  (uint64_t)w->k * 1000 + (uint64_t)i);
		if (w->rotate && i % (PER_THREAD / 4) == 0) { /* while the others append */
			mur_error err;
			must(stor_fwal_rotate(w->d, &err), &err);
		}
	}
	return NULL;
}

static void run_writers(stor_dir *d, int rotate)
{
	pthread_t th[THREADS];
	writer ws[THREADS];
	for (int k = 0; k < THREADS; k++) {
		ws[k] = (writer){.d = d, .k = k, .rotate = rotate && k == 0};
		assert_int_equal(pthread_create(&th[k], NULL, write_many, &ws[k]), 0);
	}
	for (int k = 0; k < THREADS; k++)
		pthread_join(th[k], NULL);
}

static void test_group_commit_and_recovery(void **state)
{
	(void)state;
	stor_fwal_opts opts = {.rotate_ms = 3600 * 1000}; /* no rotation here */
	stor_dir *d = open_dir("gc", 1, &opts);
	stor_fwal_stats st;
	stor_fwal_recovery rep;
	mur_error err;
	char path[512];
	long offs[4];
	uint64_t lsn;
	for (int k = 0; k < THREADS; k++) {
		char file[32];
		snprintf(file, sizeof file, "t%d.db", k);
		create_placement(d, file);
	}
	run_writers(d, 0);
	stor_fwal_get_stats(d, &st);
	print_message("group commit: %llu records in %llu fsyncs (largest group %llu)\n",
		      (unsigned long long)st.records, (unsigned long long)st.groups,
		      (unsigned long long)st.group_max);
	assert_int_equal(st.records, THREADS * PER_THREAD);
	assert_true(st.groups < st.records); /* one fsync covered several records */
	assert_true(st.group_max >= 2);
	wal_file(d, path, sizeof path);
	assert_int_equal(check_order(path, offs, 4), THREADS * PER_THREAD);

	/* crash: every SQLite commit since the schema is lost, the WAL has all */
	stor_dir *c = crash_copy(d);
	assert_int_equal(count_rows(c, "t0.db", &lsn), 0);
	must(stor_fwal_recover(c, &rep, &err), &err);
	assert_int_equal(rep.records, THREADS * PER_THREAD);
	assert_int_equal(rep.applied, THREADS * PER_THREAD);
	assert_int_equal(rep.torn, 0);
	for (int k = 0; k < THREADS; k++) {
		char file[32];
		snprintf(file, sizeof file, "t%d.db", k);
		assert_int_equal(count_rows(c, file, &lsn), PER_THREAD);
		assert_int_equal(lsn, PER_THREAD);
	}
	/* the files are gone after recovery; a second recovery is a no-op */
	must(stor_fwal_recover(c, &rep, &err), &err);
	assert_int_equal(rep.files, 0);
	stor_dir_close(c);

	/* recovery on the live copy (nothing lost) skips everything */
	stor_fwal_stop(d);
	must(stor_fwal_recover(d, &rep, &err), &err);
	assert_int_equal(rep.applied, 0);
	assert_int_equal(rep.skipped, THREADS * PER_THREAD);
	stor_dir_close(d);
}

/* ---- torn tails ---------------------------------------------------------- */

static void test_torn_tail(void **state)
{
	(void)state;
	stor_fwal_opts opts = {.rotate_ms = 3600 * 1000};
	stor_dir *d = open_dir("torn", 1, &opts);
	stor_fwal_recovery rep;
	mur_error err;
	char path[512], cpath[512];
	long offs[16];
	uint64_t lsn;
	create_placement(d, "t1.db");
	for (int i = 1; i <= 10; i++)
		write_row(d, "t1.db", i, 500 + (uint64_t)i);
	wal_file(d, path, sizeof path);
	assert_int_equal(check_order(path, offs, 16), 10);

	/* 1. the last record cut in the middle */
	stor_dir *c = crash_copy(d);
	wal_file(c, cpath, sizeof cpath);
	assert_int_equal(truncate(cpath, offs[9] + 20), 0);
	must(stor_fwal_recover(c, &rep, &err), &err);
	assert_int_equal(rep.records, 9);
	assert_int_equal(rep.applied, 9);
	assert_int_equal(rep.torn, 1);
	assert_int_equal(count_rows(c, "t1.db", &lsn), 9);
	assert_int_equal(lsn, 9);
	stor_dir_close(c);

	/* 2. a flipped byte in record 6: recovery stops before it */
	c = crash_copy(d);
	wal_file(c, cpath, sizeof cpath);
	FILE *f = fopen(cpath, "r+b");
	assert_non_null(f);
	fseek(f, offs[5] + 12, SEEK_SET);
	int ch = fgetc(f);
	fseek(f, offs[5] + 12, SEEK_SET);
	fputc(ch ^ 0x5a, f);
	fclose(f);
	must(stor_fwal_recover(c, &rep, &err), &err);
	assert_int_equal(rep.records, 5);
	assert_int_equal(rep.torn, 1);
	assert_int_equal(count_rows(c, "t1.db", &lsn), 5);
	assert_int_equal(lsn, 5);
	stor_dir_close(c);

	/* 3. a WAL of zeros (preallocated, never written) holds nothing, and
	 *    is a clean end, not a torn tail */
	c = crash_copy(d);
	wal_file(c, cpath, sizeof cpath);
	f = fopen(cpath, "wb");
	for (int i = 0; i < 4096; i++)
		fputc(0, f);
	fclose(f);
	must(stor_fwal_recover(c, &rep, &err), &err);
	assert_int_equal(rep.records, 0);
	assert_int_equal(rep.torn, 0);
	assert_int_equal(count_rows(c, "t1.db", &lsn), 0);
	stor_dir_close(c);
	stor_dir_close(d);
}

/* ---- UNDO and RESET records ----------------------------------------------- */

static void test_undo_and_reset(void **state)
{
	(void)state;
	stor_fwal_opts opts = {.rotate_ms = 3600 * 1000};
	stor_dir *d = open_dir("undo", 1, &opts);
	stor_fwal_recovery rep;
	mur_error err;
	stor_db *db;
	uint64_t lsn;
	create_placement(d, "t1.db");
	create_placement(d, "t2.db");
	for (int i = 1; i <= 5; i++) {
		write_row(d, "t1.db", i, 100 + (uint64_t)i);
		write_row(d, "t2.db", i, 200 + (uint64_t)i);
	}
	must(stor_dir_get(d, "t1.db", 0, &db, &err), &err);
	must(stor_lock(db, &err), &err);
	must(stor_log_undo(db, 3, &err), &err);
	stor_unlock(db);
	stor_dir_put(d, db);
	write_row(d, "t1.db", 44, 999); /* a different entry 4 */

	/* t2 is dropped and created again: its old entries must not replay */
	must(stor_dir_drop(d, "t2.db", &err), &err);
	create_placement(d, "t2.db");
	write_row(d, "t2.db", 77, 777);

	stor_dir *c = crash_copy(d);
	must(stor_fwal_recover(c, &rep, &err), &err);
	assert_int_equal(rep.undone, 1);
	assert_int_equal(rep.voided, 5 + 1); /* t2's five entries and its RESET */
	assert_int_equal(count_rows(c, "t1.db", &lsn), 4);
	assert_int_equal(lsn, 4);
	must(stor_dir_get(c, "t1.db", 0, &db, &err), &err);
	assert_int_equal(stor_entry_id(db), 999);
	stor_dir_put(c, db);
	assert_int_equal(count_rows(c, "t2.db", &lsn), 1);
	assert_int_equal(lsn, 1);
	stor_dir_close(c);
	stor_dir_close(d);
}

/* ---- entries of transactions --------------------------------------------- */

/* Entries of transactions and commit markers go through the WAL (record
 * ENTRY_TXN) and come back from it with their txn ids and kinds: after a
 * crash that lost every SQLite commit, the log reads as before and the
 * open transaction is the same. */
static void test_txn_entries_recovered(void **state)
{
	(void)state;
	stor_fwal_opts opts = {.rotate_ms = 3600 * 1000};
	stor_dir *d = open_dir("txn", 1, &opts);
	stor_fwal_recovery rep;
	mur_error err;
	stor_db *db;
	sqlite3_stmt *st;
	uint64_t lsn, txn, txn_lsn;
	const uint64_t x = 0x5100000000000001ull, y = 0x5100000000000002ull;
	create_placement(d, "t1.db");
	write_row(d, "t1.db", 1, 301);
	write_txn_row(d, "t1.db", 2, 302, x);
	write_txn_row(d, "t1.db", 3, 303, x);
	write_marker(d, "t1.db", 304, x);
	write_txn_row(d, "t1.db", 5, 305, y);
	write_kind_marker(d, "t1.db", 306, y, "1:0,2:5"); /* y staged: still open */

	stor_dir *c = crash_copy(d);
	assert_int_equal(count_rows(c, "t1.db", &lsn), 0);
	must(stor_fwal_recover(c, &rep, &err), &err);
	assert_int_equal(rep.applied, 6);
	assert_int_equal(rep.gaps, 0);
	assert_int_equal(count_rows(c, "t1.db", &lsn), 4);
	assert_int_equal(lsn, 6);
	must(stor_dir_get(c, "t1.db", 0, &db, &err), &err);
	must(stor_lock(db, &err), &err);
	must(stor_log_open_txn(db, &txn, &txn_lsn, &err), &err);
	assert_int_equal(sqlite3_prepare_v2(stor_handle(db),
					    "SELECT group_concat(txn_id || ':' || kind, ',')"
					    " FROM (SELECT txn_id, kind FROM _murphy_log ORDER BY "
					    "lsn)",
					    -1, &st, NULL),
			 SQLITE_OK);
	assert_int_equal(sqlite3_step(st), SQLITE_ROW);
	char got[256];
	snprintf(got, sizeof got, "%s", (const char *)sqlite3_column_text(st, 0));
	sqlite3_finalize(st);
	stor_unlock(db);
	stor_dir_put(c, db);
	assert_int_equal(txn, y);
	assert_int_equal(txn_lsn, 5);
	char want[256];
	snprintf(want, sizeof want, "0:0,%llu:0,%llu:0,%llu:1,%llu:0,%llu:2", (unsigned long long)x,
		 (unsigned long long)x, (unsigned long long)x, (unsigned long long)y,
		 (unsigned long long)y);
	assert_string_equal(got, want);
	stor_dir_close(c);
	stor_dir_close(d);
}

/* ---- rotation while appending ---------------------------------------------- */

typedef struct rotator {
	stor_dir *d;
	volatile int stop;
	int n;
} rotator;

static void *rotate_loop(void *arg)
{
	rotator *r = arg;
	mur_error err;
	while (!r->stop) {
		must(stor_fwal_rotate(r->d, &err), &err);
		r->n++;
		usleep(2000);
	}
	return NULL;
}

static void test_rotation_while_appending(void **state)
{
	(void)state;
	stor_fwal_opts opts = {.rotate_bytes = 4096, .rotate_ms = 3600 * 1000};
	stor_dir *d = open_dir("rot", 1, &opts);
	stor_fwal_stats st;
	stor_fwal_recovery rep;
	mur_error err;
	uint64_t lsn;
	pthread_t th;
	for (int k = 0; k < THREADS; k++) {
		char file[32];
		snprintf(file, sizeof file, "t%d.db", k);
		create_placement(d, file);
	}
	rotator r = {.d = d};
	assert_int_equal(pthread_create(&th, NULL, rotate_loop, &r), 0);
	run_writers(d, 1);
	r.stop = 1;
	pthread_join(th, NULL);
	stor_fwal_get_stats(d, &st);
	print_message("rotation: %llu generations retired, %d forced\n",
		      (unsigned long long)st.rotations, r.n);
	assert_true(st.rotations >= 4); /* writer 0 forced 4 */
	assert_int_equal(st.records, THREADS * PER_THREAD);
	/* one more row per placement that only the WAL holds */
	must(stor_fwal_rotate(d, &err), &err);
	for (int k = 0; k < THREADS; k++) {
		char file[32];
		snprintf(file, sizeof file, "t%d.db", k);
		write_row(d, file, 999999 - k, 99999);
	}
	stor_fwal_stop(d); /* files stay; connections stay open (-wal not checkpointed) */

	stor_dir *c = crash_copy(d);
	must(stor_fwal_recover(c, &rep, &err), &err);
	for (int k = 0; k < THREADS; k++) {
		char file[32];
		snprintf(file, sizeof file, "t%d.db", k);
		assert_int_equal(count_rows(c, file, &lsn), PER_THREAD + 1);
		assert_int_equal(lsn, PER_THREAD + 1);
	}
	assert_true(rep.applied >= THREADS);
	assert_int_equal(rep.gaps, 0);
	stor_dir_close(c);
	stor_dir_close(d);
}

/* ---- off: nothing logged, a gap is left to the leader ---------------------- */

static void test_off_and_gap(void **state)
{
	(void)state;
	stor_dir *d = open_dir("off", 0, NULL);
	stor_fwal_stats st;
	stor_fwal_recovery rep;
	mur_error err;
	create_placement(d, "t1.db");
	write_row(d, "t1.db", 1, 1);
	stor_fwal_get_stats(d, &st);
	assert_int_equal(st.records, 0);
	must(stor_fwal_recover(d, &rep, &err), &err);
	assert_int_equal(rep.files, 0);
	stor_dir_close(d);

	/* a WAL whose next entry is beyond lsn + 1: reported, not applied */
	stor_fwal_opts opts = {.rotate_ms = 3600 * 1000};
	d = open_dir("gap", 1, &opts);
	create_placement(d, "t1.db");
	write_row(d, "t1.db", 1, 1);
	write_row(d, "t1.db", 2, 2);
	stor_fwal_stop(d);
	/* retire record 1 by hand: checkpoint, then drop the first record */
	stor_dir *c = crash_copy(d);
	char cpath[512];
	long offs[4];
	wal_file(c, cpath, sizeof cpath);
	assert_int_equal(check_order(cpath, offs, 4), 2);
	FILE *f = fopen(cpath, "rb");
	char buf[4096];
	size_t n = fread(buf, 1, sizeof buf, f);
	fclose(f);
	f = fopen(cpath, "wb");
	fwrite(buf + offs[1], 1, n - (size_t)offs[1], f);
	fclose(f);
	uint64_t lsn;
	must(stor_fwal_recover(c, &rep, &err), &err);
	assert_int_equal(rep.gaps, 1);
	assert_int_equal(count_rows(c, "t1.db", &lsn), 0);
	assert_int_equal(lsn, 0);
	stor_dir_close(c);
	stor_dir_close(d);
}

/* The fault hooks (the follower's FAULT "fsync …"): a delay slows each
 * group; a failure breaks the WAL at the next group (58030 to the record
 * that waited; the SQLite commit stays), and later writes commit with
 * synchronous=FULL. */
static void test_fault_slows_and_fails_syncs(void **state)
{
	(void)state;
	stor_fwal_opts opts = {.rotate_ms = 3600 * 1000};
	stor_dir *d = open_dir("fault", 1, &opts);
	mur_error err;
	uint64_t lsn, t0;
	create_placement(d, "t1.db");
	stor_fwal_fault(30, 0);
	t0 = mur_now_us();
	write_row(d, "t1.db", 1, 1);
	assert_true(mur_now_us() - t0 >= 30000);
	stor_fwal_fault(0, 1);
	assert_int_equal(write_txn_row_rc(d, "t1.db", 2, 2, 0, &err), MUR_ERR);
	assert_string_equal(err.sqlstate, "58030");
	assert_false(stor_fwal_on(d));
	write_row(d, "t1.db", 3, 3); /* strict from now on */
	assert_int_equal(count_rows(d, "t1.db", &lsn), 3);
	assert_int_equal(lsn, 3);
	stor_fwal_fault(0, 0);
	stor_dir_close(d);
}

/* Open the placement file from outside (SQLite's own VFS, no busy wait):
 * the row count, or -1 when the file is locked. */
static int64_t outside_count(stor_dir *d, const char *file, sqlite3 **keep)
{
	char path[600];
	sqlite3 *o = NULL;
	sqlite3_stmt *st = NULL;
	int64_t n = -1;
	assert_int_equal(stor_dir_file_path(d, file, path, sizeof path), 0);
	assert_int_equal(sqlite3_open_v2(path, &o, SQLITE_OPEN_READWRITE, NULL), SQLITE_OK);
	if (keep) /* hold a read transaction open */
		assert_int_equal(sqlite3_exec(o, "BEGIN", NULL, NULL, NULL), SQLITE_OK);
	if (sqlite3_prepare_v2(o, "SELECT count(*) FROM t", -1, &st, NULL) == SQLITE_OK &&
	    sqlite3_step(st) == SQLITE_ROW)
		n = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	if (keep && n >= 0)
		*keep = o;
	else
		sqlite3_close(o);
	return n;
}

static void test_exclusive_locking(void **state)
{
	(void)state;
	stor_dir *d = open_dir("excl", 1, NULL);
	sqlite3 *reader = NULL;
	uint64_t lsn;
	char tmp[600];
	mur_error err;

	create_placement(d, "p.db");
	write_row(d, "p.db", 1, 101);
	/* the writer holds the file: an outside connection cannot read it */
	assert_int_equal(outside_count(d, "p.db", NULL), -1);
	/* idle (here: at once) it gives the locks up */
	stor_dir_release_idle_locks(d, 0);
	assert_int_equal(outside_count(d, "p.db", &reader), 1);
	/* with that reader in a transaction, writes go on in NORMAL mode */
	write_row(d, "p.db", 2, 102);
	write_row(d, "p.db", 3, 103);
	assert_int_equal(count_rows(d, "p.db", &lsn), 3);
	assert_int_equal(lsn, 3);
	sqlite3_close(reader);
	/* the failed attempts to take the file left no lock behind: with the
	 * writer quiet, a new reader gets in at once (SQLite 3.40 kept the
	 * PENDING byte locked here until the next exclusive transaction) */
	assert_int_equal(outside_count(d, "p.db", NULL), 3);
	/* a snapshot reads through its own connection while the writer would
	 * otherwise hold the file */
	sleep(1); /* STOR_EXCL_RETRY_MS: the writer takes the file again */
	usleep(100 * 1000);
	write_row(d, "p.db", 4, 104);
	assert_int_equal(outside_count(d, "p.db", NULL), -1);
	snprintf(tmp, sizeof tmp, "%s/excl/p.snap", tmpdir);
	must(stor_snapshot(d, "p.db", tmp, &lsn, &err), &err);
	assert_int_equal(lsn, 4);
	write_row(d, "p.db", 5, 105); /* and holds it again afterwards */
	assert_int_equal(outside_count(d, "p.db", NULL), -1);
	assert_int_equal(count_rows(d, "p.db", &lsn), 5);
	stor_dir_close(d);
}

/* ---- a write batch's entries in one SQLite transaction (batch_txn.c) ----
 *
 * Each entry moves the position at its stor_commit and one rolled back is
 * undone alone; nothing is committed, and no record appended, before
 * stor_batch_end; then one COMMIT and the records of the entries that
 * committed: a crash copy recovers exactly them.  When SQLite rolls the
 * whole transaction back by itself, every entry of it is undone: the
 * position goes back, later stor_begins fail 58030, stor_batch_end
 * reports 58030, no record is appended, and the placement takes the next
 * write at the old position. */

/* create_placement's file, returned locked. */
static stor_db *locked_placement(stor_dir *d, const char *file)
{
	stor_db *db;
	mur_error err;
	create_placement(d, file);
	must(stor_dir_get(d, file, 0, &db, &err), &err);
	must(stor_lock(db, &err), &err);
	return db;
}

/* A primary's captured insert of row id as the next entry, in its own
 * transaction (task_run.c's order: begin, capture, append, prepare,
 * commit, record); commit = 0 rolls it back instead. */
static int batch_write_row(stor_db *db, int64_t id, int commit, mur_error *err)
{
	sqlite3_session *s;
	void *cs;
	size_t len;
	uint64_t lsn;
	char sql[64];
	int rc = stor_begin(db, err);
	if (rc != MUR_OK)
		return rc;
	must(stor_capture_begin(db, &s, err), err);
	snprintf(sql, sizeof sql, "INSERT INTO t VALUES (%lld, 1)", (long long)id);
	assert_int_equal(sqlite3_exec(stor_handle(db), sql, NULL, NULL, NULL), SQLITE_OK);
	must(stor_capture_take(db, s, &cs, &len, err), err);
	stor_entry e = {.entry_id = 100 + (uint64_t)id, .cs = cs, .len = len};
	must(stor_log_append(db, &e, &lsn, err), err);
	stor_capture_end(s);
	if (!commit) {
		stor_rollback(db);
		sqlite3_free(cs);
		return MUR_OK;
	}
	rc = commit_logged_rc(db, &e, lsn, err);
	sqlite3_free(cs);
	return rc;
}

static void test_entries_commit_once_at_batch_end(void **state)
{
	(void)state;
	stor_dir *d = open_dir("once", 1, NULL), *c;
	stor_db *db = locked_placement(d, "p.db");
	stor_fwal_ticket t;
	uint64_t asked0, made0, asked1, made1;
	mur_error err;

	must(batch_write_row(db, 10, 1, &err), &err); /* entry 1, and the WAL's header */
	stor_walbuf_stats(&asked0, &made0);
	stor_fwal_defer_begin();
	stor_batch_begin(db);
	must(batch_write_row(db, 1, 1, &err), &err);
	assert_int_equal(stor_lsn(db), 2);
	must(batch_write_row(db, 2, 0, &err), &err); /* rolled back alone */
	assert_int_equal(stor_lsn(db), 2);
	must(batch_write_row(db, 3, 1, &err), &err); /* takes lsn 3 */
	assert_int_equal(stor_lsn(db), 3);
	stor_rollback(db); /* outside any: nothing to undo */
	assert_int_equal(rows_held(db), 3);
	/* not committed yet, nothing in the follower WAL */
	stor_walbuf_stats(&asked1, &made1);
	assert_int_equal(made1 - made0, 0);
	stor_fwal_defer_take(&t);
	assert_null(t.w);
	stor_fwal_defer_begin();
	must(stor_batch_end(db, &err), &err);
	stor_walbuf_stats(&asked1, &made1);
	assert_int_equal(made1 - made0, 1); /* one commit */
	stor_fwal_defer_take(&t);
	assert_non_null(t.w);
	must(stor_fwal_ticket_wait(&t, &err), &err);
	assert_int_equal(stor_lsn(db), 3);
	stor_unlock(db);
	stor_dir_put(d, db);

	/* the crash loses the SQLite commits; the WAL's records bring back
	 * entries 1 to 3 (rows 10, 1 and 3), nothing of row 2 */
	c = crash_copy(d);
	must(stor_fwal_recover(c, NULL, &err), &err);
	must(stor_dir_get(c, "p.db", 0, &db, &err), &err);
	must(stor_lock(db, &err), &err);
	assert_int_equal(stor_lsn(db), 3);
	assert_int_equal(rows_held(db), 3);
	stor_unlock(db);
	stor_dir_put(c, db);
	stor_dir_close(c);
	stor_dir_close(d);
}

static void test_lost_transaction_undoes_every_entry(void **state)
{
	(void)state;
	stor_dir *d = open_dir("lost", 1, NULL);
	stor_db *db = locked_placement(d, "p.db");
	stor_fwal_ticket t;
	mur_error err;

	stor_fwal_defer_begin();
	stor_batch_begin(db);
	must(batch_write_row(db, 1, 1, &err), &err);
	must(batch_write_row(db, 2, 1, &err), &err);
	assert_int_equal(stor_lsn(db), 2);
	/* as SQLite does after an I/O error or a full disk in a statement */
	assert_int_equal(sqlite3_exec(stor_handle(db), "ROLLBACK", NULL, NULL, NULL), SQLITE_OK);
	assert_int_equal(batch_write_row(db, 3, 1, &err), MUR_ERR);
	assert_string_equal(err.sqlstate, "58030");
	assert_int_equal(stor_lsn(db), 0);
	assert_int_equal(stor_batch_end(db, &err), MUR_ERR);
	assert_string_equal(err.sqlstate, "58030");
	stor_fwal_defer_take(&t);
	assert_null(t.w); /* no record of the entries undone */
	assert_int_equal(stor_lsn(db), 0);
	assert_int_equal(rows_held(db), 0);

	/* the placement goes on from where it was */
	must(batch_write_row(db, 4, 1, &err), &err);
	assert_int_equal(stor_lsn(db), 1);
	assert_int_equal(rows_held(db), 1);
	stor_unlock(db);
	stor_dir_put(d, db);
	stor_dir_close(d);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_group_commit_and_recovery),
		cmocka_unit_test(test_torn_tail),
		cmocka_unit_test(test_undo_and_reset),
		cmocka_unit_test(test_txn_entries_recovered),
		cmocka_unit_test(test_rotation_while_appending),
		cmocka_unit_test(test_fault_slows_and_fails_syncs),
		cmocka_unit_test(test_off_and_gap),
		cmocka_unit_test(test_exclusive_locking),
		cmocka_unit_test(test_entries_commit_once_at_batch_end),
		cmocka_unit_test(test_lost_transaction_undoes_every_entry),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
