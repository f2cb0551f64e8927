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
 *     the fsync) before done() answers them, in the same order.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "follower/task_run.h"
#include "follower/write_batch.h"
#include "storage/storage.h"
#include "test_loop.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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
static stor_db *locked;

static void batch_done(void *arg, node_wb_item *list)
{
	(void)arg;
	ncalls++;
	for (node_wb_item *it = list; it; it = it->next)
		if (norder < ORDER_MAX)
			order[norder++] = ((item *)it)->id;
}

static int eorder[ORDER_MAX], neorder, necalls;

static void batch_early(void *arg, node_wb_item *list)
{
	(void)arg;
	assert_int_equal(necalls, ncalls); /* before this batch's done */
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

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_write_refused_off_its_lsn),
		cmocka_unit_test(test_locked_placement_keeps_its_order),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
