/*
 * test_write_batch.c — a follower's write batches (src/follower/write_batch.c)
 * and the LSN a pipelined WRITE must get (src/follower/task_run.c), on real
 * SQLite files and a real libuv loop.
 *
 * The leader sends a shard's row inserts without waiting for the previous
 * one's answers, each with the LSN its entry must get.  What must hold:
 *   - a WRITE whose placement is not just below its LSN is refused with
 *     55000, says where the placement is, and changes nothing;
 *   - a batch item whose placement is locked is held, and so is every
 *     later item of that placement, while other placements' items run; once
 *     the lock is free the held items run in the order they arrived (so
 *     each gets the LSN it was sent for);
 *   - each batch that ran shows its items to early() (committed, before
 *     the fsync) before done() answers them, in the same order;
 *   - with the follower WAL on, every batch's group is submitted to the
 *     WAL's io_uring after its early answers (they do not wait for it) and
 *     the loop goes on: a batch queued meanwhile runs and is answered
 *     early while it is in flight, final answers leave in order once
 *     durable; without the ring the fsync runs on the loop thread and the
 *     next batch waits for it (no pool thread, no thread wakeup either
 *     way); a failed fsync fails its batch 58030;
 *   - a batch all of whose items are a transaction's WRITEs answered
 *     early is not synced at once: the next batch's fsync (or the sync
 *     timer's) covers it, and its items are answered first, once durable;
 *     an autocommit write answered early is synced at once;
 *   - a batch reads its thread's CPU clock (a system call) once before
 *     and once after its items, not twice per item, and shares that time
 *     out: every item that ran gets a part, the parts add up to at most
 *     what the whole run took;
 *   - a batch's items of one placement commit together, one SQLite
 *     commit (one WAL write) per placement, each still its own entry: one
 *     that fails is undone alone and the next takes its LSN.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "common/clock.h"
#include "follower/task_run.h"
#include "follower/write_batch.h"
#include "storage/fwal.h"
#include "storage/storage.h"
#include "storage/storage_int.h" /* stor_walbuf_stats */
#include "test_loop.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define SCHEMA "CREATE TABLE main.\"t\" (id INTEGER PRIMARY KEY, v TEXT)"
#define INSERT "INSERT INTO main.\"t\" VALUES (?1, ?2)"

static char tmpdir[TL_TMPDIR_MAX];
static stor_dir *dir;

static int setup(void **state)
{
	(void)state;
	mur_error err;
	if (tl_tmpdir_make(tmpdir, sizeof tmpdir, "wbatch") != 0)
		return -1;
	return stor_dir_open(tmpdir, &dir, &err);
}

static int teardown(void **state)
{
	(void)state;
	stor_dir_close(dir);
	return tl_tmpdir_remove(tmpdir);
}

typedef struct item {
	node_wb_item wb;
	exec_task t;
	exec_result res;
	mur_value params[2];
	int id;
} item;

static void item_init(item *it, const char *file, int id, uint64_t lsn)
{
	static uint64_t next_task = 1;
	memset(it, 0, sizeof *it);
	it->id = id;
	it->t.id = next_task++;
	it->t.kind = EXEC_TASK_WRITE;
	it->t.sql = INSERT;
	it->t.nplacements = 1;
	snprintf(it->t.placements[0], sizeof it->t.placements[0], "%s", file);
	it->params[0] = mur_v_int(id);
	it->params[1] = mur_v_text("x", 1);
	it->t.params = it->params;
	it->t.nparams = 2;
	it->t.capture = EXEC_CAPTURE_LOG;
	it->t.entry_id = 1000 + (uint64_t)id;
	it->t.lsn = lsn;
	exec_result_init(&it->res);
	it->wb.task = &it->t;
	it->wb.res = &it->res;
}

static void ddl(const char *file)
{
	exec_task t;
	exec_result res;
	memset(&t, 0, sizeof t);
	t.kind = EXEC_TASK_DDL;
	t.sql = SCHEMA;
	t.nplacements = 1;
	snprintf(t.placements[0], sizeof t.placements[0], "%s", file);
	exec_result_init(&res);
	assert_int_equal(exec_task_run(dir, &t, &res), MUR_OK);
	exec_result_free(&res);
}

static void test_write_refused_off_its_lsn(void **state)
{
	(void)state;
	item a, b, c;
	ddl("t1_s0.db");
	item_init(&a, "t1_s0.db", 1, 1);
	assert_int_equal(exec_task_run(dir, &a.t, &a.res), MUR_OK);
	assert_int_equal(a.res.lsn, 1);

	/* entry 3 while the placement is at 1: entry 2 is missing */
	item_init(&b, "t1_s0.db", 3, 3);
	assert_int_equal(exec_task_run(dir, &b.t, &b.res), MUR_ERR);
	assert_string_equal(b.res.err.sqlstate, "55000");
	assert_string_equal(b.res.err.message,
			    "placement t1_s0.db is at lsn 1; this write is entry 3");
	assert_int_equal(b.res.lsn, 1);
	assert_int_equal(b.res.changes, 0);
	/* entry 1 again: the placement is past it */
	item_init(&c, "t1_s0.db", 4, 1);
	assert_int_equal(exec_task_run(dir, &c.t, &c.res), MUR_ERR);
	assert_int_equal(c.res.lsn, 1);

	/* nothing of either was written: entry 2 is next, and row 3 is free */
	exec_result_free(&b.res);
	item_init(&b, "t1_s0.db", 3, 2);
	assert_int_equal(exec_task_run(dir, &b.t, &b.res), MUR_OK);
	assert_int_equal(b.res.lsn, 2);
	assert_int_equal(b.res.changes, 1);
	/* lsn 0: no precondition, the next entry */
	exec_result_free(&c.res);
	item_init(&c, "t1_s0.db", 4, 0);
	assert_int_equal(exec_task_run(dir, &c.t, &c.res), MUR_OK);
	assert_int_equal(c.res.lsn, 3);
	exec_result_free(&a.res);
	exec_result_free(&b.res);
	exec_result_free(&c.res);
}

/* ---- batches ---- */

#define ORDER_MAX 16
static int order[ORDER_MAX], norder, ncalls;
static uint64_t durable_at_done[ORDER_MAX]; /* fwal records durable when answered */
static stor_db *locked;

static void batch_done(void *arg, node_wb_item *list)
{
	(void)arg;
	stor_fwal_stats st;
	stor_fwal_get_stats(dir, &st);
	ncalls++;
	for (node_wb_item *it = list; it; it = it->next)
		if (norder < ORDER_MAX) {
			durable_at_done[norder] = st.records;
			order[norder++] = ((item *)it)->id;
		}
}

static int eorder[ORDER_MAX], neorder, necalls;
static int done_calls_at_early[ORDER_MAX]; /* ncalls when early() is called */
static uint64_t early_at_ms[ORDER_MAX];    /* when early() is called */

static uint64_t now_ms(void);

static void batch_early(void *arg, node_wb_item *list)
{
	(void)arg;
	assert_true(necalls >= ncalls); /* before this batch's done */
	if (necalls < ORDER_MAX) {
		done_calls_at_early[necalls] = ncalls;
		early_at_ms[necalls] = now_ms();
	}
	necalls++;
	for (node_wb_item *it = list; it; it = it->next)
		if (neorder < ORDER_MAX)
			eorder[neorder++] = ((item *)it)->id;
}

static void unlock_placement(uv_timer_t *h)
{
	/* the batch ran what it could and holds the rest */
	assert_int_equal(norder, 2);
	stor_unlock(locked);
	uv_close((uv_handle_t *)h, NULL);
}

static void test_locked_placement_keeps_its_order(void **state)
{
	(void)state;
	uv_loop_t loop;
	uv_timer_t unlock;
	node_wbatch *b;
	item it[5];
	mur_error err;

	ddl("t2_s0.db");
	ddl("t2_s1.db");
	/* s0's writes are entries 1, 2, 3; s1's are 1, 2 */
	item_init(&it[0], "t2_s0.db", 1, 1);
	item_init(&it[1], "t2_s1.db", 2, 1);
	item_init(&it[2], "t2_s0.db", 3, 2);
	item_init(&it[3], "t2_s1.db", 4, 2);
	item_init(&it[4], "t2_s0.db", 5, 3);

	assert_int_equal(stor_dir_get(dir, "t2_s0.db", 0, &locked, &err), MUR_OK);
	assert_int_equal(stor_lock(locked, &err), MUR_OK); /* as a long query would */

	uv_loop_init(&loop);
	b = node_wbatch_new(&loop, dir, batch_done, batch_early, NULL, NULL);
	assert_non_null(b);
	for (int i = 0; i < 5; i++)
		node_wbatch_add(b, &it[i].wb);
	uv_timer_init(&loop, &unlock);
	uv_timer_start(&unlock, unlock_placement, 20, 0);
	while (norder < 5 && uv_run(&loop, UV_RUN_ONCE))
		;
	node_wbatch_close(b);
	uv_run(&loop, UV_RUN_DEFAULT);
	assert_int_equal(uv_loop_close(&loop), 0);
	stor_dir_put(dir, locked);

	/* s1's items first (s0 was locked), then s0's in arrival order */
	assert_int_equal(norder, 5);
	int want[5] = {2, 4, 1, 3, 5};
	for (int i = 0; i < 5; i++) {
		assert_int_equal(order[i], want[i]);
		assert_int_equal(eorder[i], want[i]);
	}
	assert_true(ncalls >= 2);
	assert_int_equal(necalls, ncalls);
	/* each got the entry it was sent for (none was refused) */
	uint64_t lsn[5] = {1, 1, 2, 2, 3};
	for (int i = 0; i < 5; i++) {
		if (it[i].res.failed)
			fail_msg("item %d: %s", it[i].id, it[i].res.err.message);
		assert_int_equal(it[i].res.lsn, lsn[i]);
		exec_result_free(&it[i].res);
	}
}

static void reset_counts(void) { norder = ncalls = neorder = necalls = 0; }

static uint64_t now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

#define SLOW_FSYNC_MS 200 /* the fault's delay: far above a loop turn */

/* Item a alone, then (once a was answered early) item b; *a_early_ms and
 * *b_early_ms: when each was shown to early(), from a's add. */
static void run_two_groups(item *a, item *b, uint64_t *a_early_ms, uint64_t *b_early_ms)
{
	uv_loop_t loop;
	node_wbatch *wb;
	uv_loop_init(&loop);
	wb = node_wbatch_new(&loop, dir, batch_done, batch_early, NULL, NULL);
	assert_non_null(wb);
	node_wbatch_add(wb, &a->wb);
	uint64_t t0 = now_ms();
	while (necalls < 1 && uv_run(&loop, UV_RUN_ONCE))
		;
	node_wbatch_add(wb, &b->wb);
	while (necalls < 2 && uv_run(&loop, UV_RUN_ONCE))
		;
	*a_early_ms = early_at_ms[0] - t0;
	*b_early_ms = early_at_ms[1] - t0;
	assert_int_equal(done_calls_at_early[0], 0); /* a's fsync after its early answer */
	while (norder < 2 && uv_run(&loop, UV_RUN_ONCE))
		;
	node_wbatch_close(wb);
	uv_run(&loop, UV_RUN_DEFAULT);
	assert_int_equal(uv_loop_close(&loop), 0);
}

/* A batch answered early syncs after its early answers.  With the follower
 * WAL's io_uring (ring 1) its group is submitted and the loop goes on: the
 * next batch runs and is answered early while the group is in flight, and
 * the final answers still leave in order, each once its record is durable;
 * a failed group fails its batch 58030, and the batch that ran meanwhile
 * too (its record is in the broken WAL: not known durable).  Without the
 * ring (MURPHY_FWAL_URING=0, or io_uring_setup failing) the group syncs
 * on the loop thread: the next batch waits for it (before, its fsync went
 * to a pool thread, two thread wakeups per batch). */
static void two_groups(int ring, const char *p0, const char *p1)
{
	item a, b;
	uint64_t a_early_ms, b_early_ms;
	mur_error err;

	if (!ring)
		setenv("MURPHY_FWAL_URING", "0", 1);
	assert_int_equal(stor_fwal_start(dir, NULL, NULL, &err), MUR_OK);
	unsetenv("MURPHY_FWAL_URING");
	reset_counts();
	item_init(&a, p0, 1, 1);
	item_init(&b, p1, 2, 1);
	stor_fwal_fault(SLOW_FSYNC_MS, 0);
	run_two_groups(&a, &b, &a_early_ms, &b_early_ms);
	stor_fwal_fault(0, 0);
	assert_true(a_early_ms < SLOW_FSYNC_MS); /* early: before the fsync */
	if (ring) {
		assert_true(b_early_ms < SLOW_FSYNC_MS); /* ran while a's was in flight */
		assert_int_equal(done_calls_at_early[1], 0);
	} else {
		assert_true(b_early_ms >= SLOW_FSYNC_MS); /* the loop waited for a's */
		assert_int_equal(done_calls_at_early[1], 1);
	}
	/* answered in the order they ran, each once its record was durable */
	assert_int_equal(norder, 2);
	assert_int_equal(order[0], 1);
	assert_int_equal(order[1], 2);
	assert_true(durable_at_done[0] >= 1);
	assert_true(durable_at_done[1] >= 2);
	assert_int_equal(eorder[0], 1);
	assert_int_equal(eorder[1], 2);
	for (int i = 0; i < 2; i++) {
		item *it = i ? &b : &a;
		if (it->res.failed)
			fail_msg("item %d: %s", it->id, it->res.err.message);
		exec_result_free(&it->res);
	}

	/* a failed fsync fails a 58030 (not known durable).  Without the ring
	 * b runs after it, with the WAL broken, so it commits with
	 * synchronous=FULL: durable when it committed.  With it, b ran while
	 * a's group was in flight and logged its record in the WAL that broke:
	 * 58030 too */
	reset_counts();
	item_init(&a, p0, 3, 2);
	item_init(&b, p1, 4, 2);
	stor_fwal_fault(SLOW_FSYNC_MS, 1);
	run_two_groups(&a, &b, &a_early_ms, &b_early_ms);
	stor_fwal_fault(0, 0);
	assert_int_equal(norder, 2);
	assert_int_equal(order[0], 3);
	assert_int_equal(order[1], 4);
	assert_true(a.res.failed);
	assert_string_equal(a.res.err.sqlstate, "58030");
	if (ring) {
		assert_true(b.res.failed);
		assert_string_equal(b.res.err.sqlstate, "58030");
	} else if (b.res.failed) {
		fail_msg("item 4: %s", b.res.err.message);
	}
	exec_result_free(&a.res);
	exec_result_free(&b.res);
	stor_fwal_stop(dir);
}

static void test_batch_group_in_the_ring_lets_the_next_batch_run(void **state)
{
	(void)state;
	ddl("t3_s0.db");
	ddl("t3_s1.db");
	two_groups(1, "t3_s0.db", "t3_s1.db");
}

static void test_batch_syncs_on_the_loop_without_the_ring(void **state)
{
	(void)state;
	ddl("t8_s0.db");
	ddl("t8_s1.db");
	two_groups(0, "t8_s0.db", "t8_s1.db");
}

/* A batch that logged nothing (its one write refused: off its LSN) while
 * an earlier batch's group is in the ring waits behind that one and is
 * answered after it, once the group ended (it once spun the loop until
 * the rotation thread ended the group: its items' record number, 0, was
 * below the earlier ones'). */
static void test_batch_without_records_waits_behind_a_group_in_flight(void **state)
{
	(void)state;
	item a, b;
	uint64_t a_early_ms, b_early_ms;
	mur_error err;

	ddl("t10_s0.db");
	ddl("t10_s1.db");
	assert_int_equal(stor_fwal_start(dir, NULL, NULL, &err), MUR_OK);
	reset_counts();
	item_init(&a, "t10_s0.db", 1, 1);
	item_init(&b, "t10_s1.db", 2, 5); /* refused: no record */
	stor_fwal_fault(SLOW_FSYNC_MS, 0);
	uint64_t t0 = now_ms();
	run_two_groups(&a, &b, &a_early_ms, &b_early_ms);
	stor_fwal_fault(0, 0);
	/* answered when a's group ended, not when the WAL's rotation (5 s)
	 * ended it while the loop spun */
	assert_true(now_ms() - t0 < 2000);
	assert_true(b_early_ms < SLOW_FSYNC_MS); /* ran while a's group was in flight */
	assert_int_equal(norder, 2);
	assert_int_equal(order[0], 1);
	assert_int_equal(order[1], 2);
	assert_true(durable_at_done[1] >= 1); /* after a's group */
	if (a.res.failed)
		fail_msg("item 1: %s", a.res.err.message);
	assert_true(b.res.failed);
	assert_string_equal(b.res.err.sqlstate, "55000");
	exec_result_free(&a.res);
	exec_result_free(&b.res);
	stor_fwal_stop(dir);
}

/* Sync later: a batch all of whose items are a transaction's WRITEs
 * answered early (a block's UPDATE on its primary) is not fsynced at
 * once: the next batch's fsync makes it durable too, and its items are
 * answered first; alone, the sync timer syncs it.  An autocommit write
 * answered early is synced at once (the shard's next write waits for its
 * primary's durable answer).  No item is answered (finally) before its
 * record is durable. */
static void test_early_batch_syncs_with_the_next_one(void **state)
{
	(void)state;
	uv_loop_t loop;
	node_wbatch *wb;
	item a, b, c, d;
	stor_fwal_stats st0, st;
	mur_error err;

	ddl("t7_s0.db");
	ddl("t7_s1.db");
	assert_int_equal(stor_fwal_start(dir, NULL, NULL, &err), MUR_OK);
	reset_counts();
	item_init(&a, "t7_s0.db", 1, 1);
	a.t.early = 1; /* a primary's WRITE in a block */
	a.t.txn_id = 7;
	item_init(&b, "t7_s1.db", 2, 1); /* not answered early: synced at once */
	uv_loop_init(&loop);
	wb = node_wbatch_new(&loop, dir, batch_done, batch_early, NULL, NULL);
	assert_non_null(wb);
	stor_fwal_get_stats(dir, &st0);
	node_wbatch_add(wb, &a.wb);
	while (necalls < 1 && uv_run(&loop, UV_RUN_ONCE))
		;
	stor_fwal_get_stats(dir, &st);
	assert_int_equal(st.groups, st0.groups); /* no fsync yet */
	assert_int_equal(norder, 0);             /* nor a final answer */
	node_wbatch_add(wb, &b.wb);
	while (norder < 2 && uv_run(&loop, UV_RUN_ONCE))
		;
	stor_fwal_get_stats(dir, &st);
	assert_int_equal(st.groups, st0.groups + 1); /* one fsync for both */
	assert_int_equal(order[0], 1);
	assert_int_equal(order[1], 2);
	assert_true(durable_at_done[0] >= st0.records + 2);
	assert_true(durable_at_done[1] >= st0.records + 2);

	/* alone: the timer syncs it */
	item_init(&c, "t7_s0.db", 3, 2);
	c.t.early = 1;
	c.t.txn_id = 7;
	uint64_t t0 = now_ms();
	node_wbatch_add(wb, &c.wb);
	while (norder < 3 && uv_run(&loop, UV_RUN_ONCE))
		;
	assert_true(now_ms() - t0 < 1000);
	stor_fwal_get_stats(dir, &st);
	assert_int_equal(st.groups, st0.groups + 2);
	assert_int_equal(order[2], 3);
	assert_true(durable_at_done[2] >= st0.records + 3);

	/* an autocommit write answered early: synced at once, in its batch */
	item_init(&d, "t7_s1.db", 4, 2);
	d.t.early = 1;
	node_wbatch_add(wb, &d.wb);
	while (norder < 4 && uv_run(&loop, UV_RUN_ONCE)) /* its group may be in the ring */
		;
	stor_fwal_get_stats(dir, &st);
	assert_int_equal(st.groups, st0.groups + 3);
	assert_int_equal(norder, 4);
	assert_int_equal(order[3], 4);
	node_wbatch_close(wb);
	uv_run(&loop, UV_RUN_DEFAULT);
	assert_int_equal(uv_loop_close(&loop), 0);
	for (int i = 0; i < 4; i++) {
		item *it = i == 0 ? &a : i == 1 ? &b : i == 2 ? &c : &d;
		if (it->res.failed)
			fail_msg("item %d: %s", it->id, it->res.err.message);
		exec_result_free(&it->res);
	}
	stor_fwal_stop(dir);
}

#define CPU_ITEMS 6

static void test_batch_reads_the_cpu_clock_once(void **state)
{
	(void)state;
	uv_loop_t loop;
	node_wbatch *b;
	item it[CPU_ITEMS];
	uint64_t sum = 0;

	ddl("t5_s0.db");
	reset_counts();
	for (int i = 0; i < CPU_ITEMS; i++)
		item_init(&it[i], "t5_s0.db", i + 1, (uint64_t)i + 1);
	uv_loop_init(&loop);
	b = node_wbatch_new(&loop, dir, batch_done, batch_early, NULL, NULL);
	assert_non_null(b);
	uint64_t cpu0 = mur_thread_cpu_us(), reads0 = mur_thread_cpu_reads();
	for (int i = 0; i < CPU_ITEMS; i++)
		node_wbatch_add(b, &it[i].wb);
	while (norder < CPU_ITEMS && uv_run(&loop, UV_RUN_ONCE))
		;
	uint64_t reads = mur_thread_cpu_reads() - reads0, cpu = mur_thread_cpu_us() - cpu0;
	node_wbatch_close(b);
	uv_run(&loop, UV_RUN_DEFAULT);
	assert_int_equal(uv_loop_close(&loop), 0);

	assert_int_equal(norder, CPU_ITEMS);
	assert_int_equal(ncalls, 1); /* one batch */
	assert_int_equal(reads, 2);  /* not 2 per item */
	for (int i = 0; i < CPU_ITEMS; i++) {
		if (it[i].res.failed)
			fail_msg("item %d: %s", it[i].id, it[i].res.err.message);
		sum += it[i].res.cpu_us;
		exec_result_free(&it[i].res);
	}
	assert_true(sum > 0);
	assert_true(sum <= cpu);
}

/* Rows of file's table t and entries of its log, under its lock. */
static void count_rows(const char *file, int64_t *rows, int64_t *entries)
{
	stor_db *db;
	mur_error err;
	sqlite3_stmt *st;
	assert_int_equal(stor_dir_get(dir, file, 0, &db, &err), MUR_OK);
	assert_int_equal(stor_lock(db, &err), MUR_OK);
	assert_int_equal(sqlite3_prepare_v2(stor_handle(db),
					    "SELECT (SELECT count(*) FROM t),"
					    " (SELECT count(*) FROM _murphy_log)",
					    -1, &st, NULL),
			 SQLITE_OK);
	assert_int_equal(sqlite3_step(st), SQLITE_ROW);
	*rows = sqlite3_column_int64(st, 0);
	*entries = sqlite3_column_int64(st, 1);
	sqlite3_finalize(st);
	stor_unlock(db);
	stor_dir_put(dir, db);
}

#define COMMIT_ITEMS 6

/* Six writes to two placements in one batch, one of them failing (a
 * duplicate key): two SQLite commits, not five; each write is its own
 * entry at the LSN it was sent for, the failed one undone alone. */
static void test_batch_commits_each_placement_once(void **state)
{
	(void)state;
	uv_loop_t loop;
	node_wbatch *b;
	item it[COMMIT_ITEMS];
	uint64_t asked0, made0, asked1, made1;
	int64_t rows, entries;

	ddl("t6_s0.db");
	ddl("t6_s1.db");
	reset_counts();
	item_init(&it[0], "t6_s0.db", 1, 1);
	item_init(&it[1], "t6_s1.db", 4, 1);
	item_init(&it[2], "t6_s0.db", 2, 2);
	item_init(&it[3], "t6_s0.db", 1, 3); /* id 1 again: 23505 */
	item_init(&it[4], "t6_s1.db", 5, 2);
	item_init(&it[5], "t6_s0.db", 3, 3); /* the failed one's LSN */
	uv_loop_init(&loop);
	b = node_wbatch_new(&loop, dir, batch_done, batch_early, NULL, NULL);
	assert_non_null(b);
	stor_walbuf_stats(&asked0, &made0);
	for (int i = 0; i < COMMIT_ITEMS; i++)
		node_wbatch_add(b, &it[i].wb);
	while (norder < COMMIT_ITEMS && uv_run(&loop, UV_RUN_ONCE))
		;
	stor_walbuf_stats(&asked1, &made1);
	node_wbatch_close(b);
	uv_run(&loop, UV_RUN_DEFAULT);
	assert_int_equal(uv_loop_close(&loop), 0);

	assert_int_equal(ncalls, 1);
	assert_int_equal(made1 - made0, 2); /* one commit per placement */
	uint64_t lsn[COMMIT_ITEMS] = {1, 1, 2, 0, 2, 3};
	for (int i = 0; i < COMMIT_ITEMS; i++) {
		if (i == 3) {
			assert_true(it[i].res.failed);
			assert_string_equal(it[i].res.err.sqlstate, "23505");
		} else if (it[i].res.failed) {
			fail_msg("item %d: %s", it[i].id, it[i].res.err.message);
		}
		assert_int_equal(it[i].res.lsn, lsn[i]);
		exec_result_free(&it[i].res);
	}
	count_rows("t6_s0.db", &rows, &entries);
	assert_int_equal(rows, 3);
	assert_int_equal(entries, 3);
	count_rows("t6_s1.db", &rows, &entries);
	assert_int_equal(rows, 2);
	assert_int_equal(entries, 2);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_write_refused_off_its_lsn),
		cmocka_unit_test(test_locked_placement_keeps_its_order),
		cmocka_unit_test(test_batch_group_in_the_ring_lets_the_next_batch_run),
		cmocka_unit_test(test_batch_syncs_on_the_loop_without_the_ring),
		cmocka_unit_test(test_batch_without_records_waits_behind_a_group_in_flight),
		cmocka_unit_test(test_batch_reads_the_cpu_clock_once),
		cmocka_unit_test(test_batch_commits_each_placement_once),
		cmocka_unit_test(test_early_batch_syncs_with_the_next_one),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
