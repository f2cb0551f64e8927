/*
 * test_peer.c — follower-to-follower streaming (follower/peer.h) with real
 * sockets, a uv loop in the test and real SQLite placement files: a
 * "source" stor_dir served by node_peer_server and a "target" stor_dir
 * fetched into by node_peer_fetch jobs, both in mkdtemp directories.
 *
 * Covers: rebuild of a few thousand rows (same rows, same lsn), rebuild
 * while the source keeps committing then catch-up, catch-up from the
 * middle, trimmed log → 55000, wrong secret refused, source dying
 * mid-stream → clean failure with no placement or temp file left, and
 * progress reports.
 */
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "follower/peer.h"
#include "storage/replog.h"
#include "test_loop.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define SECRET "peer-test-secret"
#define FILE_A "t1_s0.db"

static struct {
	uv_loop_t loop;
	char root[256];
	stor_dir *src, *dst;
	node_peer_server *srv;
	char addr[64];
	uint64_t next_entry_id;
	/* the job */
	int done;
	exec_result res;
	int nprogress, nsnap_progress, nlog_progress;
	uint64_t last_ms, min_gap_ms;
	net_progress last;
	int kill_on_progress;
	/* background writer */
	uv_timer_t writer;
	int writing;
	int written;
} T;

static void must(int rc, const mur_error *err)
{
	if (rc != MUR_OK)
		fail_msg("rc %d: %s %s", rc, err->sqlstate, err->message);
}

static int run_until(tl_cond_fn pred, uint64_t ms)
{
	return tl_run_until_cond_ms(&T.loop, pred, ms);
}

static int job_done(void) { return T.done > 0; }

/* ---- placements ---------------------------------------------------------- */

static void exec_sql(stor_db *db, const char *sql)
{
	char *msg = NULL;
	if (sqlite3_exec(stor_handle(db), sql, NULL, NULL, &msg) != SQLITE_OK)
		fail_msg("%s: %s", sql, msg ? msg : "?");
}

static void create_table(stor_dir *d, const char *file)
{
	stor_db *db;
	mur_error err;
	must(stor_dir_get(d, file, 1, &db, &err), &err);
	must(stor_lock(db, &err), &err);
	exec_sql(db, "CREATE TABLE IF NOT EXISTS t (id INTEGER PRIMARY KEY, v INTEGER, pad TEXT)");
	stor_unlock(db);
	stor_dir_put(d, db);
}

/* One log entry of transaction txn (0: autocommit) inserting rows
 * [first, first + n) (pad of pad_bytes). */
static void insert_txn_entry(stor_dir *d, const char *file, int first, int n, int pad_bytes,
			     uint64_t txn)
{
	sqlite3_session *ss = NULL;
	void *cs = NULL;
	size_t cs_len = 0;
	uint64_t lsn;
	stor_db *db;
	mur_error err;
	char sql[256];

	must(stor_dir_get(d, file, 0, &db, &err), &err);
	must(stor_lock(db, &err), &err);
	must(stor_begin(db, &err), &err);
	must(stor_capture_begin(db, &ss, &err), &err);
	snprintf(sql, sizeof sql,
		 "WITH RECURSIVE c(x) AS (SELECT %d UNION ALL SELECT x + 1 FROM c WHERE x < %d) "
		 "INSERT INTO t SELECT x, x * 7, hex(randomblob(%d)) FROM c",
		 first, first + n - 1, pad_bytes / 2);
	exec_sql(db, sql);
	must(stor_capture_take(db, ss, &cs, &cs_len, &err), &err);
	stor_entry e = {.entry_id = ++T.next_entry_id, .txn_id = txn, .cs = cs, .len = cs_len};
	must(stor_log_append(db, &e, &lsn, &err), &err);
	must(stor_commit(db, &err), &err);
	stor_capture_end(ss);
	sqlite3_free(cs);
	stor_unlock(db);
	stor_dir_put(d, db);
}

static void insert_entry(stor_dir *d, const char *file, int first, int n, int pad_bytes)
{
	insert_txn_entry(d, file, first, n, pad_bytes, 0);
}

/* The commit marker of txn as the next entry. */
static void marker_entry(stor_dir *d, const char *file, uint64_t txn)
{
	stor_db *db;
	mur_error err;
	uint64_t lsn;
	stor_entry e = {.entry_id = ++T.next_entry_id, .txn_id = txn, .kind = STOR_ENTRY_COMMIT};
	must(stor_dir_get(d, file, 0, &db, &err), &err);
	must(stor_lock(db, &err), &err);
	must(stor_begin(db, &err), &err);
	must(stor_log_append(db, &e, &lsn, &err), &err);
	must(stor_commit(db, &err), &err);
	stor_unlock(db);
	stor_dir_put(d, db);
}

/* The log's (txn_id, kind) per entry, "txn:kind,..." in LSN order, and the
 * open transaction (*open, its first lsn *open_lsn). */
static void log_txns(stor_dir *d, const char *file, char *out, size_t n, uint64_t *open,
		     uint64_t *open_lsn)
{
	sqlite3_stmt *st;
	stor_db *db;
	mur_error err;
	must(stor_dir_get(d, file, 0, &db, &err), &err);
	must(stor_lock(db, &err), &err);
	assert_int_equal(sqlite3_prepare_v2(stor_handle(db),
					    "SELECT coalesce(group_concat(txn_id || ':' || kind, "
					    "','), '')"
					    " FROM (SELECT txn_id, kind FROM _murphy_log ORDER BY "
					    "lsn)",
					    -1, &st, NULL),
			 SQLITE_OK);
	assert_int_equal(sqlite3_step(st), SQLITE_ROW);
	snprintf(out, n, "%s", (const char *)sqlite3_column_text(st, 0));
	sqlite3_finalize(st);
	int rc = stor_log_open_txn(db, open, open_lsn, &err);
	stor_unlock(db);
	stor_dir_put(d, db);
	must(rc, &err);
}

typedef struct digest {
	int64_t count, sum_v, sum_len;
	uint64_t lsn;
} digest;

static digest digest_of(stor_dir *d, const char *file)
{
	digest g = {0};
	sqlite3_stmt *st;
	stor_db *db;
	mur_error err;

	must(stor_dir_get(d, file, 0, &db, &err), &err);
	must(stor_lock(db, &err), &err);
	assert_int_equal(sqlite3_prepare_v2(stor_handle(db),
					    "SELECT count(*), total(v), total(length(pad)) FROM t",
					    -1, &st, NULL),
			 SQLITE_OK);
	assert_int_equal(sqlite3_step(st), SQLITE_ROW);
	g.count = sqlite3_column_int64(st, 0);
	g.sum_v = sqlite3_column_int64(st, 1);
	g.sum_len = sqlite3_column_int64(st, 2);
	sqlite3_finalize(st);
	g.lsn = stor_lsn(db);
	stor_unlock(db);
	stor_dir_put(d, db);
	return g;
}

static void assert_same(const char *file)
{
	digest a = digest_of(T.src, file), b = digest_of(T.dst, file);
	assert_int_equal(a.count, b.count);
	assert_int_equal(a.sum_v, b.sum_v);
	assert_int_equal(a.sum_len, b.sum_len);
	assert_int_equal(a.lsn, b.lsn);
}

/* Number of entries in the target's tmp directory. */
static int tmp_files(void)
{
	char path[512];
	DIR *d;
	struct dirent *e;
	int n = 0;

	assert_int_equal(node_peer_tmp_dir(T.dst, path, sizeof path), 0);
	if (!(d = opendir(path)))
		return 0;
	while ((e = readdir(d)) != NULL)
		n += e->d_name[0] != '.';
	closedir(d);
	return n;
}

/* ---- jobs ---------------------------------------------------------------- */

static void on_progress(void *arg, const net_progress *pr)
{
	uint64_t now = uv_now(&T.loop);
	if (T.nprogress > 0 && now - T.last_ms < T.min_gap_ms)
		T.min_gap_ms = now - T.last_ms;
	T.last_ms = now;
	T.nprogress++;
	T.nsnap_progress += strcmp(pr->phase, "snapshot") == 0;
	T.nlog_progress += strcmp(pr->phase, "log") == 0;
	assert_true(pr->done <= pr->total);
	assert_string_equal(pr->file, FILE_A);
	T.last = *pr;
	if (T.kill_on_progress && T.srv) {
		node_peer_server_stop(T.srv); /* the source dies mid-stream */
		T.srv = NULL;
	}
}

static void on_done(void *arg, exec_result *res)
{
	T.done++;
	exec_result_free(&T.res);
	T.res = *res;
	exec_result_init(res);
}

static const node_peer_fetch_cbs cbs = {.on_progress = on_progress, .on_done = on_done};

/* Run one REBUILD / CATCHUP to completion; returns the result. */
static exec_result *run_job(uint8_t kind, const char *file, uint64_t target, const char *secret)
{
	static uint64_t task_id = 100;
	node_peer_fetch *job;
	net_hello h = {.version = NET_PROTO_VERSION};
	exec_task t;
	mur_error err;

	memset(&t, 0, sizeof t);
	t.id = ++task_id;
	t.kind = kind;
	t.nplacements = 1;
	snprintf(t.placements[0], sizeof t.placements[0], "%s", file);
	snprintf(t.peer_addr, sizeof t.peer_addr, "%s", T.addr);
	t.lsn = target;
	snprintf(h.secret, sizeof h.secret, "%s", secret);
	snprintf(h.name, sizeof h.name, "target");
	snprintf(h.addr, sizeof h.addr, "127.0.0.1:1");
	T.done = 0;
	T.nprogress = T.nsnap_progress = T.nlog_progress = 0;
	T.min_gap_ms = UINT64_MAX;
	must(node_peer_fetch_start(&T.loop, T.dst, &t, &h, &cbs, NULL, &job, &err), &err);
	assert_int_equal(T.done, 0); /* never from inside start */
	assert_true(run_until(job_done, 30000));
	assert_int_equal(T.res.task_id, t.id);
	return &T.res;
}

static void assert_ok(const exec_result *r)
{
	if (r->failed)
		fail_msg("job failed: %s %s", r->err.sqlstate, r->err.message);
}

/* ---- fixture ------------------------------------------------------------- */

static int setup(void **state)
{
	char path[300];
	mur_error err;

	memset(&T, 0, sizeof T);
	if (tl_tmpdir_make(T.root, sizeof T.root, "peer") != 0)
		return -1;
	uv_loop_init(&T.loop);
	snprintf(path, sizeof path, "%s/src", T.root);
	must(stor_dir_open(path, &T.src, &err), &err);
	snprintf(path, sizeof path, "%s/dst", T.root);
	must(stor_dir_open(path, &T.dst, &err), &err);
	must(node_peer_server_start(&T.loop, "127.0.0.1:0", T.src, SECRET, &T.srv, &err), &err);
	snprintf(T.addr, sizeof T.addr, "127.0.0.1:%d", node_peer_server_port(T.srv));
	exec_result_init(&T.res);
	return 0;
}

static int teardown(void **state)
{
	uint64_t deadline;

	if (T.writing)
		uv_close((uv_handle_t *)&T.writer, NULL);
	if (T.srv)
		node_peer_server_stop(T.srv);
	uv_update_time(&T.loop);
	deadline = uv_now(&T.loop) + 5000;
	while (uv_run(&T.loop, UV_RUN_NOWAIT) && uv_now(&T.loop) < deadline)
		usleep(1000), uv_update_time(&T.loop);
	assert_int_equal(uv_loop_close(&T.loop), 0);
	exec_result_free(&T.res);
	stor_dir_close(T.src);
	stor_dir_close(T.dst);
	return tl_tmpdir_remove(T.root);
}

/* ---- tests --------------------------------------------------------------- */

static void fill(int entries, int rows_per_entry, int pad)
{
	create_table(T.src, FILE_A);
	for (int i = 0; i < entries; i++)
		insert_entry(T.src, FILE_A, 1 + i * rows_per_entry, rows_per_entry, pad);
}

static void test_rebuild(void **state)
{
	fill(30, 100, 40); /* 3000 rows, lsn 30 */
	exec_result *r = run_job(EXEC_TASK_REBUILD, FILE_A, 0, SECRET);
	assert_ok(r);
	assert_int_equal(r->lsn, 30);
	assert_same(FILE_A);
	assert_int_equal(digest_of(T.dst, FILE_A).count, 3000);
	assert_int_equal(tmp_files(), 0);
	assert_true(T.nsnap_progress >= 1);
}

static void test_catchup_from_middle(void **state)
{
	fill(10, 50, 20);
	assert_ok(run_job(EXEC_TASK_REBUILD, FILE_A, 0, SECRET));
	for (int i = 10; i < 25; i++)
		insert_entry(T.src, FILE_A, 1 + i * 50, 50, 20);
	/* up to a target in the middle, then to the latest */
	exec_result *r = run_job(EXEC_TASK_CATCHUP, FILE_A, 18, SECRET);
	assert_ok(r);
	assert_int_equal(r->lsn, 18);
	assert_int_equal(digest_of(T.dst, FILE_A).count, 18 * 50);
	r = run_job(EXEC_TASK_CATCHUP, FILE_A, 0, SECRET);
	assert_ok(r);
	assert_int_equal(r->lsn, 25);
	assert_same(FILE_A);
	/* already there: nothing fetched */
	r = run_job(EXEC_TASK_CATCHUP, FILE_A, 25, SECRET);
	assert_ok(r);
	assert_int_equal(r->lsn, 25);
}

/* Catch-up carries entries of transactions and commit markers (the log
 * chunk's entry encoding and the source's cut at the target): the
 * target's log holds the same txn ids and kinds and the same open
 * transaction. */
static void test_catchup_carries_txn(void **state)
{
	const uint64_t x = 0x4100000000000001ull, y = 0x4100000000000002ull;
	char want[512], got[512];
	uint64_t open, open_lsn;
	fill(4, 10, 10);
	assert_ok(run_job(EXEC_TASK_REBUILD, FILE_A, 0, SECRET));
	insert_txn_entry(T.src, FILE_A, 41, 10, 10, x);                 /* lsn 5 */
	insert_txn_entry(T.src, FILE_A, 51, 10, 10, x);                 /* 6 */
	marker_entry(T.src, FILE_A, x);                                 /* 7 */
	insert_entry(T.src, FILE_A, 61, 10, 10);                        /* 8 */
	insert_txn_entry(T.src, FILE_A, 71, 10, 10, y);                 /* 9 */
	exec_result *r = run_job(EXEC_TASK_CATCHUP, FILE_A, 6, SECRET); /* X open at 6 */
	assert_ok(r);
	assert_int_equal(r->lsn, 6);
	log_txns(T.dst, FILE_A, got, sizeof got, &open, &open_lsn);
	assert_int_equal(open, x);
	assert_int_equal(open_lsn, 5);
	r = run_job(EXEC_TASK_CATCHUP, FILE_A, 0, SECRET);
	assert_ok(r);
	assert_int_equal(r->lsn, 9);
	assert_same(FILE_A);
	log_txns(T.src, FILE_A, want, sizeof want, &open, &open_lsn);
	log_txns(T.dst, FILE_A, got, sizeof got, &open, &open_lsn);
	assert_string_equal(got, want);
	assert_non_null(strstr(got, ":1")); /* the marker came too */
	assert_int_equal(open, y);
	assert_int_equal(open_lsn, 9);
}

/* A copy already at the target LSN is checked against the source all the
 * same: when its entry there is not the source's (it applied an entry of
 * a transaction that was then aborted, whose answer was lost, and the
 * shard wrote another entry at that LSN), the catch-up fails with 55000
 * instead of reporting it caught up — the leader would make it CURRENT
 * with the aborted entry, open at the end of its log, and every write
 * sent to it would be refused (25000). */
static void test_catchup_at_target_checks_the_entry(void **state)
{
	const uint64_t x = 0x4100000000000003ull;
	uint64_t open, open_lsn;
	char got[512];
	fill(5, 10, 10);
	assert_ok(run_job(EXEC_TASK_REBUILD, FILE_A, 0, SECRET));
	insert_txn_entry(T.dst, FILE_A, 51, 10, 10, x); /* lsn 6 here: x, aborted */
	insert_entry(T.src, FILE_A, 61, 10, 10);        /* lsn 6 there: the shard's */
	exec_result *r = run_job(EXEC_TASK_CATCHUP, FILE_A, 6, SECRET);
	assert_true(r->failed);
	assert_string_equal(r->err.sqlstate, STOR_SQLSTATE_LOG);
	assert_non_null(strstr(r->err.message, "different entry"));
	log_txns(T.dst, FILE_A, got, sizeof got, &open, &open_lsn);
	assert_int_equal(open, x); /* untouched: the leader undoes or rebuilds it */
	/* the same entry at the target: caught up, nothing fetched */
	assert_ok(run_job(EXEC_TASK_REBUILD, FILE_A, 0, SECRET));
	r = run_job(EXEC_TASK_CATCHUP, FILE_A, 6, SECRET);
	assert_ok(r);
	assert_int_equal(r->lsn, 6);
	assert_same(FILE_A);
}

static void test_catchup_target_beyond_source(void **state)
{
	fill(5, 10, 10);
	assert_ok(run_job(EXEC_TASK_REBUILD, FILE_A, 0, SECRET));
	exec_result *r = run_job(EXEC_TASK_CATCHUP, FILE_A, 9, SECRET);
	assert_true(r->failed);
	assert_string_equal(r->err.sqlstate, "58000");
	assert_non_null(strstr(r->err.message, "up to lsn 5"));
}

static void test_trimmed_log(void **state)
{
	stor_db *db;
	mur_error err;

	fill(5, 10, 10);
	assert_ok(run_job(EXEC_TASK_REBUILD, FILE_A, 0, SECRET));
	for (int i = 5; i < 12; i++)
		insert_entry(T.src, FILE_A, 1 + i * 10, 10, 10);
	/* the source forgets entries 6..9 (as its retention would) */
	must(stor_dir_get(T.src, FILE_A, 0, &db, &err), &err);
	must(stor_lock(db, &err), &err);
	exec_sql(db, "DELETE FROM _murphy_log WHERE lsn <= 9");
	stor_unlock(db);
	stor_dir_put(T.src, db);

	exec_result *r = run_job(EXEC_TASK_CATCHUP, FILE_A, 0, SECRET);
	assert_true(r->failed);
	assert_string_equal(r->err.sqlstate, STOR_SQLSTATE_LOG);
	assert_non_null(strstr(r->err.message, T.addr));
	assert_non_null(strstr(r->err.message, "phase log"));
	assert_int_equal(digest_of(T.dst, FILE_A).lsn, 5); /* untouched */
	/* the fallback works */
	assert_ok(run_job(EXEC_TASK_REBUILD, FILE_A, 0, SECRET));
	assert_same(FILE_A);
}

static void test_wrong_secret(void **state)
{
	fill(2, 10, 10);
	exec_result *r = run_job(EXEC_TASK_REBUILD, FILE_A, 0, "not-the-secret");
	assert_true(r->failed);
	assert_string_equal(r->err.sqlstate, SQLSTATE_INVALID_AUTHORIZATION);
	assert_non_null(strstr(r->err.message, "wrong cluster secret"));
	assert_non_null(strstr(r->err.message, T.addr));
	assert_false(stor_dir_exists(T.dst, FILE_A));
	assert_int_equal(tmp_files(), 0);
}

static void test_missing_placement(void **state)
{
	exec_result *r = run_job(EXEC_TASK_REBUILD, "nope.db", 0, SECRET);
	assert_true(r->failed);
	assert_string_equal(r->err.sqlstate, SQLSTATE_UNDEFINED_FILE);
	assert_non_null(strstr(r->err.message, "phase snapshot"));
	assert_false(stor_dir_exists(T.dst, "nope.db"));
	assert_int_equal(tmp_files(), 0);
}

static void test_source_dies_mid_stream(void **state)
{
	fill(8, 500, 2000); /* 4000 rows of ~2 KB: several MiB, many chunks */
	T.kill_on_progress = 1;
	exec_result *r = run_job(EXEC_TASK_REBUILD, FILE_A, 0, SECRET);
	assert_true(r->failed);
	assert_string_equal(r->err.sqlstate, SQLSTATE_CONNECTION_FAILURE);
	assert_non_null(strstr(r->err.message, "phase snapshot"));
	assert_true(T.last.done < T.last.total);
	assert_false(stor_dir_exists(T.dst, FILE_A));
	assert_int_equal(tmp_files(), 0);
}

static void writer_cb(uv_timer_t *t)
{
	insert_entry(T.src, FILE_A, 100000 + T.written * 5, 5, 100);
	T.written++;
}

static void test_rebuild_while_writing(void **state)
{
	fill(8, 500, 2000);
	uint64_t before = digest_of(T.src, FILE_A).lsn;
	uv_timer_init(&T.loop, &T.writer);
	T.writing = 1;
	uv_timer_start(&T.writer, writer_cb, 1, 2);
	exec_result *r = run_job(EXEC_TASK_REBUILD, FILE_A, 0, SECRET);
	assert_ok(r);
	assert_true(r->lsn >= before);
	assert_true(T.written > 0);
	uv_timer_stop(&T.writer);
	/* it holds exactly the source's first r->lsn entries */
	assert_int_equal(digest_of(T.dst, FILE_A).lsn, r->lsn);
	uint64_t final = digest_of(T.src, FILE_A).lsn;
	assert_true(final > before);
	r = run_job(EXEC_TASK_CATCHUP, FILE_A, final, SECRET);
	assert_ok(r);
	assert_int_equal(r->lsn, final);
	assert_same(FILE_A);
}

static void test_progress(void **state)
{
	fill(8, 500, 2000);
	exec_result *r = run_job(EXEC_TASK_REBUILD, FILE_A, 0, SECRET);
	assert_ok(r);
	assert_true(T.nsnap_progress >= 1);
	if (T.nprogress > 1)
		assert_true(T.min_gap_ms >= NODE_PEER_PROGRESS_INTERVAL_MS);
	assert_same(FILE_A);
}

int main(void)
{
	signal(SIGPIPE, SIG_IGN); /* a closed peer is an EPIPE, as in the node binary */
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_rebuild, setup, teardown),
		cmocka_unit_test_setup_teardown(test_catchup_from_middle, setup, teardown),
		cmocka_unit_test_setup_teardown(test_catchup_carries_txn, setup, teardown),
		cmocka_unit_test_setup_teardown(test_catchup_at_target_checks_the_entry, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_catchup_target_beyond_source, setup, teardown),
		cmocka_unit_test_setup_teardown(test_trimmed_log, setup, teardown),
		cmocka_unit_test_setup_teardown(test_wrong_secret, setup, teardown),
		cmocka_unit_test_setup_teardown(test_missing_placement, setup, teardown),
		cmocka_unit_test_setup_teardown(test_source_dies_mid_stream, setup, teardown),
		cmocka_unit_test_setup_teardown(test_rebuild_while_writing, setup, teardown),
		cmocka_unit_test_setup_teardown(test_progress, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
