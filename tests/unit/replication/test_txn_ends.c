/*
 * test_txn_ends.c — a one-shard transaction's fate by txid
 * (src/replication/repl_txn_ends.c), without processes:
 *
 *   - the ring of ends answers the ends put in it, the newest
 *     REPL_TXN_ENDS_MAX of them (the oldest overwritten);
 *   - the shard logs' verdict: a commit marker counts only at or below
 *     the shard's committed entry, on a copy the leader has applied past
 *     it and not DIVERGENT; no row only when every copy answered, none
 *     holds an entry of the txid, and a current copy holds its whole log;
 *     `unknown` for a copy that did not answer, a trimmed log, entries
 *     without a marker that counts, a shard still undecided; no row for
 *     a staging marker (several shards: the catalog answers).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "replication/repl_int.h"

#include <stdio.h>
#include <string.h>

static catalog *cat;
static repl_ctx *rc;
static cat_table *tbl;

static int no_send(void *ctx, uint32_t node_id, exec_task *task, repl_task_cb cb, void *arg,
		   mur_error *err)
{
	(void)ctx, (void)node_id, (void)task, (void)cb, (void)arg;
	mur_error_set(err, "08006", "no transport here");
	return MUR_ERR;
}

static int connected(void *ctx, uint32_t node_id)
{
	(void)ctx, (void)node_id;
	return 1;
}

static uint64_t time_id(uint64_t *next) { return ++*next; }

/* Three followers, one table of one shard with three copies, its
 * committed entry 10, every copy applied to it. */
static int setup(void **state)
{
	static cat_table def;
	const cat_table *out;
	const cat_node *n;
	mur_error err;
	repl_config cfg = {.tr = {.send = no_send, .connected = connected}, .time_id = time_id};
	(void)state;
	cat = cat_open(NULL, &err);
	assert_non_null(cat);
	for (int i = 1; i <= 3; i++) {
		char name[16];
		snprintf(name, sizeof name, "f%d", i);
		assert_int_equal(cat_upsert_node(cat, name, "127.0.0.1:1", CAT_NODE_FOLLOWER, &n,
						 &err),
				 MUR_OK);
	}
	cfg.cat = cat;
	rc = repl_create(&cfg, &err);
	assert_non_null(rc);
	memset(&def, 0, sizeof def);
	snprintf(def.name, sizeof def.name, "t");
	snprintf(def.schema, sizeof def.schema, "public");
	def.ncols = 1;
	snprintf(def.cols[0].name, sizeof def.cols[0].name, "id");
	def.cols[0].type = MT_INT8;
	def.cols[0].typmod = -1;
	def.nshards = 1;
	def.replicas = 3;
	assert_int_equal(cat_create_table(cat, &def, &out, &err), MUR_OK);
	tbl = cat_table_by_id(cat, out->id);
	assert_int_equal(tbl->shards[0].nplacements, 3);
	tbl->shards[0].committed_known = 1;
	tbl->shards[0].committed_lsn = 10;
	for (int k = 0; k < 3; k++)
		tbl->shards[0].placements[k].applied_lsn = 10;
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	repl_destroy(rc);
	cat_close(cat);
	return 0;
}

static void test_ring_answers_the_newest_ends(void **state)
{
	repl_ended e;
	(void)state;
	assert_int_equal(repl_txn_ended(rc, 5, &e), 0);
	repl_txn_ends_note(rc, 5, 1, tbl->id, 0, 1);
	repl_txn_ends_note(rc, 6, 0, 0, 0, 0);
	assert_int_equal(repl_txn_ended(rc, 5, &e), 1);
	assert_int_equal(e.committed, 1);
	assert_int_equal(e.table_id, tbl->id);
	assert_int_equal(e.nshards, 1);
	assert_int_equal(repl_txn_ended(rc, 6, &e), 1);
	assert_int_equal(e.committed, 0);
	for (uint64_t x = 100; x < 100 + REPL_TXN_ENDS_MAX - 1; x++)
		repl_txn_ends_note(rc, x, 1, tbl->id, 0, 1);
	assert_int_equal(repl_txn_ended(rc, 5, &e), 0); /* overwritten */
	assert_int_equal(repl_txn_ended(rc, 6, &e), 1); /* the oldest kept */
	assert_int_equal(repl_txn_ended(rc, 100 + REPL_TXN_ENDS_MAX - 2, &e), 1);
}

/* Every copy answered: a whole log at the committed entry, nothing of
 * the txid. */
static void all_answered(repl_log_seen *seen)
{
	for (int k = 0; k < 3; k++)
		seen[k] = (repl_log_seen){.table_id = tbl->id,
					  .shard = 0,
					  .node_id = tbl->shards[0].placements[k].node_id,
					  .answered = 1,
					  .first_lsn = 1,
					  .position = 10};
}

static const char *verdict(const repl_log_seen *seen, int n, char *parts)
{
	return repl_log_verdict(rc, 77, seen, n, parts, 64);
}

static void test_a_marker_at_the_quorum_is_committed(void **state)
{
	repl_log_seen seen[3];
	char parts[64];
	(void)state;
	all_answered(seen);
	seen[1].commit_lsn = 9;
	seen[1].data = 1;
	assert_string_equal(verdict(seen, 3, parts), "committed");
	snprintf(parts + 40, 8, "%u:0", tbl->id);
	assert_string_equal(parts, parts + 40);
	/* also with another copy not answering: the marker is certain */
	seen[0].answered = 0;
	assert_string_equal(verdict(seen, 3, parts), "committed");
}

static void test_a_marker_that_does_not_count_is_unknown(void **state)
{
	repl_log_seen seen[3];
	char parts[64];
	(void)state;
	all_answered(seen);
	seen[2].commit_lsn = 11; /* past the committed entry: not at its quorum */
	seen[2].position = 11;
	assert_string_equal(verdict(seen, 3, parts), "unknown");
	seen[2].commit_lsn = 9; /* the leader has that copy behind it */
	tbl->shards[0].placements[2].applied_lsn = 8;
	assert_string_equal(verdict(seen, 3, parts), "unknown");
	tbl->shards[0].placements[2].applied_lsn = 10; /* DIVERGENT */
	tbl->shards[0].placements[2].state = CAT_PL_DIVERGENT;
	assert_string_equal(verdict(seen, 3, parts), "unknown");
	tbl->shards[0].placements[2].state = CAT_PL_CURRENT;
	assert_string_equal(verdict(seen, 3, parts), "committed");
}

static void test_no_row_only_when_certain(void **state)
{
	repl_log_seen seen[3];
	char parts[64];
	(void)state;
	all_answered(seen);
	assert_null(verdict(seen, 3, parts)); /* nothing of it anywhere */
	seen[0].answered = 0;                 /* that copy may hold its marker */
	assert_string_equal(verdict(seen, 3, parts), "unknown");
	assert_string_equal(verdict(seen, 2, parts + 32), "unknown"); /* not asked */
	all_answered(seen);
	for (int k = 0; k < 3; k++)
		seen[k].first_lsn = 4; /* every log trimmed: the marker may have gone */
	assert_string_equal(verdict(seen, 3, parts), "unknown");
	seen[1].first_lsn = 1; /* one whole log, current */
	assert_null(verdict(seen, 3, parts));
	seen[1].position = 9; /* ... but behind the committed entry */
	assert_string_equal(verdict(seen, 3, parts), "unknown");
	all_answered(seen);
	seen[2].data = 1; /* its entries, no marker: an undo that failed */
	assert_string_equal(verdict(seen, 3, parts), "unknown");
	all_answered(seen);
	tbl->shards[0].committed_known = 0; /* after a restart, undecided */
	assert_string_equal(verdict(seen, 3, parts), "unknown");
	tbl->shards[0].committed_known = 1;
	seen[2].staged = 1; /* several shards: the catalog's row answers */
	assert_null(verdict(seen, 3, parts));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_ring_answers_the_newest_ends, setup, teardown),
		cmocka_unit_test_setup_teardown(test_a_marker_at_the_quorum_is_committed, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_a_marker_that_does_not_count_is_unknown, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_no_row_only_when_certain, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
