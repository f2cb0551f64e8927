/*
 * test_txn_model.c — the leader fixture's fake followers
 * (tests/lib/lead_fixture_follower.c) answer the tasks of a shard log's
 * transactions as the real follower (src/follower/task_run.c over
 * storage/replog.c) does, so that leader tests built on the fake hold for
 * the real thing.
 *
 * One script of WRITE / APPLY / UNDO / STATUS tasks (entries of
 * transactions, commit markers, entries the open transaction refuses)
 * runs against two real placement directories (a primary and a replica)
 * and against two fake followers; every answer (failed, SQLSTATE, lsn,
 * entry id, changes) and every STATUS (lsn, entry id, open transaction)
 * must agree.  Each side's replica applies its own primary's changeset
 * (the real one a SQLite changeset, the fake one the fixture's).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "follower/task_run.h"
#include "lead_fixture.h"
#include "storage/replog.h"
#include "test_loop.h"

#include <stdio.h>
#include <string.h>

#define FILE_T "t1_s0.db"
#define TXN_X 0x6100000000000001ull
#define TXN_Y 0x6100000000000002ull

typedef struct model {
	char tmpdir[TL_TMPDIR_MAX];
	stor_dir *real[2]; /* primary, replica */
	lf_fixture *fx;
	uint32_t node[2];
	uint64_t next_id;
} model;

static model M;

static void must(int rc, const mur_error *err)
{
	if (rc != MUR_OK)
		fail_msg("rc %d: %s %s", rc, err->sqlstate, err->message);
}

static void task_init(exec_task *t, exec_task_kind kind, const char *sql)
{
	memset(t, 0, sizeof *t);
	t->id = ++M.next_id;
	t->kind = (uint8_t)kind;
	t->sql = sql ? sql : "";
	t->nplacements = 1;
	snprintf(t->placements[0], sizeof t->placements[0], "%s", FILE_T);
}

/* Run t on copy i (0: primary, 1: replica) of both sides. */
static void run_both(const exec_task *t, int i, exec_result *real, exec_result *fake)
{
	exec_result_init(real);
	exec_task_run(M.real[i], t, real);
	lf_run_task(M.fx, M.node[i], t, fake);
}

/* The two answers agree. */
static void expect_agree(const exec_result *real, const exec_result *fake)
{
	if (real->failed != fake->failed)
		fail_msg("real %s (%s), fake %s (%s)", real->failed ? "failed" : "succeeded",
			 real->err.message, fake->failed ? "failed" : "succeeded",
			 fake->err.message);
	if (real->failed)
		assert_string_equal(real->err.sqlstate, fake->err.sqlstate);
	assert_int_equal(real->lsn, fake->lsn);
	assert_int_equal(real->entry_id, fake->entry_id);
	if (!real->failed)
		assert_int_equal(real->changes, fake->changes);
}

/* STATUS's row of FILE_T from res: lsn, entry id, open txn, its lsn. */
static void status_of(const exec_result *res, int64_t out[4])
{
	mur_rd rd;
	mur_value v[STOR_STATUS_COLS];
	int found = 0;
	assert_false(res->failed);
	assert_int_equal(res->ncols, STOR_STATUS_COLS);
	mur_rd_init(&rd, res->rows.data, res->rows.len);
	for (uint64_t r = 0; r < res->nrows; r++) {
		for (int k = 0; k < STOR_STATUS_COLS; k++)
			assert_int_equal(mur_row_get_value(&rd, &v[k]), MUR_OK);
		if (v[0].len == strlen(FILE_T) && memcmp(v[0].s, FILE_T, v[0].len) == 0) {
			out[0] = v[1].i, out[1] = v[2].i, out[2] = v[4].i, out[3] = v[5].i;
			found = 1;
		}
	}
	assert_true(found);
}

/* Both copies of both sides report the same position and open txn. */
static void expect_status(uint64_t want_txn, uint64_t want_lsn)
{
	for (int i = 0; i < 2; i++) {
		exec_task t;
		exec_result real, fake;
		int64_t a[4], b[4];
		task_init(&t, EXEC_TASK_STATUS, NULL);
		run_both(&t, i, &real, &fake);
		status_of(&real, a);
		status_of(&fake, b);
		assert_memory_equal(a, b, sizeof a);
		exec_result_free(&real);
		exec_result_free(&fake);
	}
	/* and the accessor the leader tests use says the same */
	uint64_t lsn;
	assert_int_equal(lf_copy_open_txn(M.fx, M.node[0], FILE_T, &lsn), want_txn);
	assert_int_equal(lsn, want_lsn);
}

/* A captured one-row insert (id) of transaction txn, or txn's marker,
 * at lsn (0: the next): the WRITE the primaries run. */
static void write_task(exec_task *t, mur_value *param, int64_t id, uint64_t txn, uint8_t kind,
		       uint64_t lsn)
{
	task_init(t, EXEC_TASK_WRITE,
		  kind == EXEC_ENTRY_COMMIT ? "" : "INSERT INTO main.\"t\" VALUES (?1)");
	*param = mur_v_int(id);
	if (kind == EXEC_ENTRY_DATA) {
		t->params = param;
		t->nparams = 1;
	}
	t->capture = EXEC_CAPTURE_RETURN;
	t->lsn = lsn;
	t->entry_id = 1000 + (uint64_t)id;
	t->txn_id = txn;
	t->entry_kind = kind;
}

/* The replicas apply the entry each side's primary made (w). */
static void apply_both(const exec_task *w, const exec_result *real, const exec_result *fake)
{
	exec_task a;
	exec_result areal, afake;
	task_init(&a, EXEC_TASK_APPLY, NULL);
	a.lsn = real->lsn;
	a.entry_id = real->entry_id;
	a.txn_id = w->txn_id;
	a.entry_kind = w->entry_kind;
	a.blob = real->blob.data;
	a.blob_len = real->blob.len;
	exec_result_init(&areal);
	exec_task_run(M.real[1], &a, &areal);
	a.blob = fake->blob.data;
	a.blob_len = fake->blob.len;
	lf_run_task(M.fx, M.node[1], &a, &afake);
	expect_agree(&areal, &afake);
	assert_false(areal.failed);
	exec_result_free(&areal);
	exec_result_free(&afake);
}

/* Run the WRITE on the primaries; when it succeeds the replicas apply it.
 * Returns "" on success, else the SQLSTATE (both sides agreeing, or the
 * test fails). */
static const char *write_entry(int64_t id, uint64_t txn, uint8_t kind, uint64_t lsn)
{
	static char st[6];
	exec_task t;
	exec_result real, fake;
	mur_value param;
	write_task(&t, &param, id, txn, kind, lsn);
	run_both(&t, 0, &real, &fake);
	expect_agree(&real, &fake);
	snprintf(st, sizeof st, "%s", real.failed ? real.err.sqlstate : "");
	if (!real.failed)
		apply_both(&t, &real, &fake);
	exec_result_free(&real);
	exec_result_free(&fake);
	return st;
}

static void undo_both(uint64_t target)
{
	for (int i = 0; i < 2; i++) {
		exec_task t;
		exec_result real, fake;
		task_init(&t, EXEC_TASK_UNDO, NULL);
		t.lsn = target;
		run_both(&t, i, &real, &fake);
		expect_agree(&real, &fake);
		assert_false(real.failed);
		exec_result_free(&real);
		exec_result_free(&fake);
	}
}

static int setup(void **state)
{
	(void)state;
	char p[300];
	mur_error err;
	if (tl_tmpdir_make(M.tmpdir, sizeof M.tmpdir, "txnmodel") != 0)
		return -1;
	for (int i = 0; i < 2; i++) {
		snprintf(p, sizeof p, "%s/%c", M.tmpdir, i ? 'r' : 'p');
		must(stor_dir_open(p, &M.real[i], &err), &err);
	}
	M.fx = lf_new(2);
	M.node[0] = lf_node(M.fx, 1);
	M.node[1] = lf_node(M.fx, 2);
	for (int i = 0; i < 2; i++) {
		exec_task t;
		exec_result real, fake;
		task_init(&t, EXEC_TASK_DDL, "CREATE TABLE main.\"t\" (id INTEGER PRIMARY KEY)");
		run_both(&t, i, &real, &fake);
		expect_agree(&real, &fake);
		exec_result_free(&real);
		exec_result_free(&fake);
	}
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	lf_free(M.fx);
	stor_dir_close(M.real[0]);
	stor_dir_close(M.real[1]);
	return tl_tmpdir_remove(M.tmpdir);
}

static void test_txn_script(void **state)
{
	(void)state;
	expect_status(0, 0);
	assert_string_equal(write_entry(1, 0, EXEC_ENTRY_DATA, 0), ""); /* autocommit: lsn 1 */
	assert_string_equal(write_entry(2, TXN_X, EXEC_ENTRY_DATA, 2), "");
	assert_string_equal(write_entry(3, TXN_X, EXEC_ENTRY_DATA, 0), "");
	expect_status(TXN_X, 2);
	/* while X is open: no autocommit entry, none of Y, not Y's marker */
	assert_string_equal(write_entry(4, 0, EXEC_ENTRY_DATA, 0), EXEC_SQLSTATE_TXN_ORDER);
	assert_string_equal(write_entry(4, TXN_Y, EXEC_ENTRY_DATA, 0), EXEC_SQLSTATE_TXN_ORDER);
	assert_string_equal(write_entry(4, TXN_Y, EXEC_ENTRY_COMMIT, 0), EXEC_SQLSTATE_TXN_ORDER);
	/* a marker at the wrong LSN, then at the right one */
	assert_string_equal(write_entry(4, TXN_X, EXEC_ENTRY_COMMIT, 7), "55000");
	assert_string_equal(write_entry(4, TXN_X, EXEC_ENTRY_COMMIT, 4), "");
	expect_status(0, 0);
	assert_string_equal(write_entry(5, 0, EXEC_ENTRY_DATA, 5), "");
	assert_string_equal(write_entry(6, TXN_Y, EXEC_ENTRY_DATA, 6), "");
	expect_status(TXN_Y, 6);
	/* undo: the marker's deletion reopens X; before X, nothing is open */
	undo_both(3);
	expect_status(TXN_X, 2);
	uint8_t kind;
	assert_int_equal(lf_copy_entry_txn(M.fx, M.node[1], FILE_T, 3, &kind), TXN_X);
	assert_int_equal(kind, EXEC_ENTRY_DATA);
	undo_both(1);
	expect_status(0, 0);
	assert_string_equal(write_entry(7, 0, EXEC_ENTRY_DATA, 2), "");
	expect_status(0, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_txn_script),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
