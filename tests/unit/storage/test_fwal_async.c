/*
 * test_fwal_async.c — the follower WAL's asynchronous group (fwal.c's
 * stor_fwal_ticket_start, fwal_ring.c): the bookkeeping alone, without a
 * loop — the test polls the ring's fd as the follower's loop does.
 *
 *   - a group submitted to the ring: its ticket is pending until the
 *     completion is read, then durable; the records survive a crash;
 *   - a slowed fsync (the fault's delay: a TIMEOUT linked before the WRITE)
 *     keeps the group in flight: the fd stays quiet, a second batch waits
 *     for the next group (one in flight at a time), which the next start
 *     submits once the first ended;
 *   - a failed fsync fails the ticket (58030) and breaks the WAL;
 *   - a thread that must wait for the group (a pool thread's append, the
 *     rotation) reads the ring itself, and the poller is woken after;
 *   - MURPHY_FWAL_URING=0: no ring, start waits as ticket_wait does;
 *   - MURPHY_FWAL_DIRECT=0: the ring's group is WRITE + FSYNC.
 *
 * Rows are written as the primary's path of task_run.c does (capture,
 * stor_log_append, prepare, COMMIT, the WAL record) between
 * stor_fwal_defer_begin and stor_fwal_defer_take, as a write batch does.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "common/clock.h"
#include "storage/fwal.h"
#include "storage/replog.h"
#include "storage/storage_int.h"
#include "test_loop.h"

#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SCHEMA "CREATE TABLE t (id INTEGER PRIMARY KEY, v INTEGER NOT NULL)"

static char tmpdir[TL_TMPDIR_MAX];

static void must(int rc, const mur_error *err)
{
	if (rc != MUR_OK)
		fail_msg("rc %d: %s %s", rc, err->sqlstate, err->message);
}

static int setup(void **state)
{
	(void)state;
	return tl_tmpdir_make(tmpdir, sizeof tmpdir, "fwalasync");
}

static int teardown(void **state)
{
	(void)state;
	unsetenv("MURPHY_FWAL_URING");
	return tl_tmpdir_remove(tmpdir);
}

/* A directory with the WAL on and placement p.db (schema checkpointed). */
static stor_dir *open_dir(const char *name)
{
	char p[300];
	mur_error err;
	stor_dir *d;
	stor_db *db;
	stor_fwal_opts opts = {.rotate_ms = 3600 * 1000};
	snprintf(p, sizeof p, "%s/%s", tmpdir, name);
	must(stor_dir_open(p, &d, &err), &err);
	must(stor_fwal_start(d, &opts, NULL, &err), &err);
	must(stor_dir_get(d, "p.db", 1, &db, &err), &err);
	must(stor_lock(db, &err), &err);
	assert_int_equal(sqlite3_exec(stor_handle(db), SCHEMA, NULL, NULL, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_wal_checkpoint_v2(stor_handle(db), "main",
						   SQLITE_CHECKPOINT_TRUNCATE, NULL, NULL),
			 SQLITE_OK);
	stor_unlock(db);
	stor_dir_put(d, db);
	return d;
}

/* A batch of one captured row insert (id), its records in *t. */
static void batch_row(stor_dir *d, int64_t id, stor_fwal_ticket *t)
{
	stor_db *db;
	sqlite3_session *s;
	mur_error err;
	void *cs;
	size_t len;
	uint64_t lsn;
	char sql[128];
	stor_fwal_defer_begin();
	must(stor_dir_get(d, "p.db", 0, &db, &err), &err);
	must(stor_lock(db, &err), &err);
	must(stor_begin(db, &err), &err);
	must(stor_capture_begin(db, &s, &err), &err);
	snprintf(sql, sizeof sql, "INSERT INTO t VALUES (%lld, 1)", (long long)id);
	assert_int_equal(sqlite3_exec(stor_handle(db), sql, NULL, NULL, NULL), SQLITE_OK);
	must(stor_capture_take(db, s, &cs, &len, &err), &err);
	stor_entry e = {.entry_id = (uint64_t)id, .cs = cs, .len = len};
	must(stor_log_append(db, &e, &lsn, &err), &err);
	stor_capture_end(s);
	must(stor_fwal_prepare_commit(db, 1, e.len, &err), &err);
	must(stor_commit(db, &err), &err);
	e.lsn = lsn;
	must(stor_fwal_log_entry(db, &e, &err), &err);
	sqlite3_free(cs);
	stor_unlock(db);
	stor_dir_put(d, db);
	stor_fwal_defer_take(t);
	assert_non_null(t->w);
}

/* Whether the ring's fd becomes readable within ms. */
static int readable(stor_dir *d, int ms)
{
	struct pollfd p = {.fd = stor_fwal_async_fd(d), .events = POLLIN};
	assert_true(p.fd >= 0);
	return poll(&p, 1, ms) == 1;
}

/* What the follower's loop does when the fd is readable: read the ring,
 * then start the ticket again. */
static int poll_start(stor_dir *d, const stor_fwal_ticket *t, uint64_t *durable, mur_error *err)
{
	assert_true(readable(d, 5000));
	stor_fwal_async_reap(d);
	return stor_fwal_ticket_start(t, durable, err);
}

static uint64_t async_groups(stor_dir *d)
{
	stor_fwal_stats s;
	stor_fwal_get_stats(d, &s);
	return s.async_groups;
}

static void test_group_in_the_ring(void **state)
{
	(void)state;
	stor_dir *d = open_dir("ring"), *c;
	stor_fwal_ticket t;
	uint64_t durable;
	mur_error err;
	char cmd[1024], p[300];

	batch_row(d, 1, &t);
	assert_int_equal(stor_fwal_ticket_start(&t, &durable, &err), MUR_EAGAIN);
	assert_true(durable < t.upto);
	assert_int_equal(async_groups(d), 1);
	must(poll_start(d, &t, &durable, &err), &err);
	assert_true(durable >= t.upto);
	assert_int_equal(async_groups(d), 1);
	/* durable already: no second group */
	must(stor_fwal_ticket_start(&t, &durable, &err), &err);
	assert_int_equal(async_groups(d), 1);

	/* a crash now (SQLite's commit lost) keeps the row: the group's write
	 * and fdatasync were the WAL's */
	snprintf(p, sizeof p, "%s/ring_crash", tmpdir);
	snprintf(cmd, sizeof cmd,
		 "mkdir -p %s && cd %s && for f in *.db " STOR_FWAL_PREFIX "*; do"
		 " [ -e \"$f\" ] && cp \"$f\" %s/; done; true",
		 p, stor_dir_path(d), p);
	assert_int_equal(system(cmd), 0);
	must(stor_dir_open(p, &c, &err), &err);
	stor_fwal_recovery rep;
	must(stor_fwal_recover(c, &rep, &err), &err);
	assert_int_equal(rep.applied, 1);
	stor_dir_close(c);
	stor_dir_close(d);
}

/* The fault's delay holds the group in the ring: nothing completes before
 * it; a batch appended meanwhile waits for the next group. */
static void test_one_group_in_flight(void **state)
{
	(void)state;
	stor_dir *d = open_dir("flight");
	stor_fwal_ticket t1, t2;
	uint64_t durable, t0 = mur_now_us();
	mur_error err;

	stor_fwal_fault(300, 0);
	batch_row(d, 1, &t1);
	assert_int_equal(stor_fwal_ticket_start(&t1, &durable, &err), MUR_EAGAIN);
	batch_row(d, 2, &t2); /* the loop goes on meanwhile */
	assert_int_equal(stor_fwal_ticket_start(&t2, &durable, &err), MUR_EAGAIN);
	assert_int_equal(async_groups(d), 1);
	assert_false(readable(d, 100)); /* still in flight */
	assert_true(mur_now_us() - t0 < 300000);
	stor_fwal_fault(0, 0);
	must(poll_start(d, &t1, &durable, &err), &err);
	assert_true(mur_now_us() - t0 >= 300000);
	assert_true(durable >= t1.upto && durable < t2.upto);
	/* the second batch's group starts now */
	assert_int_equal(stor_fwal_ticket_start(&t2, &durable, &err), MUR_EAGAIN);
	assert_int_equal(async_groups(d), 2);
	must(poll_start(d, &t2, &durable, &err), &err);
	assert_true(durable >= t2.upto);
	stor_dir_close(d);
}

static void test_failed_group(void **state)
{
	(void)state;
	stor_dir *d = open_dir("fail");
	stor_fwal_ticket t;
	uint64_t durable;
	mur_error err;

	stor_fwal_fault(0, 1);
	batch_row(d, 1, &t);
	assert_int_equal(stor_fwal_ticket_start(&t, &durable, &err), MUR_EAGAIN);
	assert_int_equal(poll_start(d, &t, &durable, &err), MUR_ERR);
	assert_string_equal(err.sqlstate, "58030");
	assert_true(durable < t.upto);
	assert_false(stor_fwal_on(d));
	stor_fwal_fault(0, 0);
	stor_dir_close(d);
}

typedef struct waiter {
	stor_fwal_ticket t;
	int rc;
	uint64_t done_us;
} waiter;

static void *wait_main(void *arg)
{
	waiter *w = arg;
	mur_error err;
	w->rc = stor_fwal_ticket_wait(&w->t, &err);
	w->done_us = mur_now_us();
	return NULL;
}

/* Another thread waiting for the ring's group reads the ring itself (no
 * poller runs here), then wakes the poller; the rotation waits for the
 * group the same way. */
static void test_other_thread_reads_the_ring(void **state)
{
	(void)state;
	stor_dir *d = open_dir("other");
	waiter w = {.rc = -1};
	pthread_t th;
	uint64_t durable, t0;
	mur_error err;

	stor_fwal_fault(200, 0);
	batch_row(d, 1, &w.t);
	assert_int_equal(stor_fwal_ticket_start(&w.t, &durable, &err), MUR_EAGAIN);
	t0 = mur_now_us();
	assert_int_equal(pthread_create(&th, NULL, wait_main, &w), 0);
	assert_int_equal(pthread_join(th, NULL), 0);
	must(w.rc, &err);
	assert_true(w.done_us - t0 >= 100000);
	stor_fwal_fault(0, 0);
	/* the poller, which asked, is woken, and finds the group ended */
	must(poll_start(d, &w.t, &durable, &err), &err);
	assert_true(durable >= w.t.upto);

	/* the rotation swaps the file only after the ring's group ended */
	stor_fwal_ticket t2;
	stor_fwal_fault(100, 0);
	batch_row(d, 2, &t2);
	assert_int_equal(stor_fwal_ticket_start(&t2, &durable, &err), MUR_EAGAIN);
	must(stor_fwal_rotate(d, &err), &err);
	stor_fwal_fault(0, 0);
	must(stor_fwal_ticket_start(&t2, &durable, &err), &err);
	stor_fwal_stats s;
	stor_fwal_get_stats(d, &s);
	assert_int_equal(s.rotations, 1);
	assert_int_equal(s.records, 2);
	stor_dir_close(d);
}

/* MURPHY_FWAL_URING=0 (as when io_uring_setup fails): no ring; a start
 * syncs the group on the calling thread, as before. */
static void test_fallback_without_the_ring(void **state)
{
	(void)state;
	setenv("MURPHY_FWAL_URING", "0", 1);
	stor_dir *d = open_dir("sync");
	stor_fwal_ticket t;
	uint64_t durable;
	mur_error err;
	assert_int_equal(stor_fwal_async_fd(d), -1);
	batch_row(d, 1, &t);
	must(stor_fwal_ticket_start(&t, &durable, &err), &err);
	assert_true(durable >= t.upto);
	assert_int_equal(async_groups(d), 0);
	stor_fwal_stats s;
	stor_fwal_get_stats(d, &s);
	assert_int_equal(s.groups, 1);
	stor_dir_close(d);
	unsetenv("MURPHY_FWAL_URING");
}

/* MURPHY_FWAL_DIRECT=0 (or a file system refusing O_DIRECT): the ring's
 * group is the buffered WRITE linked to an FSYNC, at the file position. */
static void test_ring_without_direct_writes(void **state)
{
	(void)state;
	setenv("MURPHY_FWAL_DIRECT", "0", 1);
	stor_dir *d = open_dir("buffered");
	unsetenv("MURPHY_FWAL_DIRECT");
	stor_fwal_ticket t1, t2;
	uint64_t durable;
	mur_error err;
	batch_row(d, 1, &t1);
	assert_int_equal(stor_fwal_ticket_start(&t1, &durable, &err), MUR_EAGAIN);
	must(poll_start(d, &t1, &durable, &err), &err);
	batch_row(d, 2, &t2);
	assert_int_equal(stor_fwal_ticket_start(&t2, &durable, &err), MUR_EAGAIN);
	must(poll_start(d, &t2, &durable, &err), &err);
	assert_int_equal(async_groups(d), 2);
	stor_fwal_stats s;
	must(stor_fwal_rotate(d, &err), &err); /* reads the old file back: both records */
	stor_fwal_get_stats(d, &s);
	assert_int_equal(s.records, 2);
	assert_int_equal(s.rotations, 1);
	stor_dir_close(d);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_group_in_the_ring),
		cmocka_unit_test(test_one_group_in_flight),
		cmocka_unit_test(test_failed_group),
		cmocka_unit_test(test_other_thread_reads_the_ring),
		cmocka_unit_test(test_fallback_without_the_ring),
		cmocka_unit_test(test_ring_without_direct_writes),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
