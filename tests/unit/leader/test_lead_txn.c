/*
 * test_lead_txn.c — transactions on the leader through the leader-engine
 * fixture (tests/lib/lead_fixture.h; docs/transactions.md): a block's
 * write takes its shard's lock and another session's write waits for it;
 * ROLLBACK, COMMIT of a failed block and a client that goes away undo
 * exactly the transaction's suffix on every copy, then the waiting write
 * runs; COMMIT releases the lock with the entries kept, its marker sent to
 * every copy at once and decided at quorum (without the primary's answer
 * when it is silent); others' reads wait
 * for the holder and its own reads do not; a multi-shard autocommit
 * statement that fails on one shard is undone on the others before the
 * client hears; a wait that closes a cycle gets 40P01; ROLLBACK TO a
 * savepoint undoes to it (a shard first written after it: to its base),
 * RELEASE and 25P01 / 3B001 as PostgreSQL; a block's write is answered
 * on the primary's word and its COMMIT waits for the quorum, failing when
 * the quorum is lost; SELECT … FOR UPDATE takes
 * the lock and a waiter with lock_timeout gets 55P03; SERIALIZABLE
 * readers share a shard and a writer waits for them; a cycle no wait
 * closed is found once a waiter waited deadlock_timeout; the session's
 * state machine has exactly the arrows drawn in lead_int.h;
 * murphy.transactions' state follows a two-shard COMMIT step by step; a
 * recorded decision is trimmed only once no copy needs it and it is old.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "lead_fixture.h"
#include "leader/lead_int.h"
#include "common/clock.h"

#include <stdio.h>
#include <string.h>

#define T_CREATE "CREATE TABLE t (id int PRIMARY KEY, v text) WITH (shards = 1, replicas = 3)"

/* Three copies of t's one shard at lsn 2 (two committed inserts). */
static lf_fixture *setup_at_two(void)
{
	lf_fixture *fx = lf_new(3);
	lf_ok(fx, T_CREATE);
	lf_ok(fx, "INSERT INTO t VALUES (1, 'a')");
	lf_ok(fx, "INSERT INTO t VALUES (2, 'b')");
	assert_int_equal(lf_committed_lsn(fx, "t", 0), 2);
	return fx;
}

static int count_kind(lf_fixture *fx, int from, int kind)
{
	int n = 0;
	for (int i = from; i < lf_ntasks(fx); i++)
		n += (int)lf_task_at(fx, i)->kind == kind;
	return n;
}

static void settled_ok(lf_fixture *fx, lf_query *q)
{
	lf_settle(fx);
	assert_true(lf_done(q));
	assert_string_equal(lf_sqlstate(q), "");
}

/* Every copy of t's shard is at lsn. */
static void copies_at(lf_fixture *fx, uint64_t lsn)
{
	const char *file = lf_file(fx, "t", 0);
	for (int n = 1; n <= 3; n++)
		assert_int_equal(lf_copy_lsn(fx, lf_node(fx, n), file), lsn);
}

/* BEGIN; INSERT (3); INSERT (4) in session a; then a's block ends with
 * `end` ("ROLLBACK", "COMMIT" or NULL: the client goes away).  Session b's
 * INSERT waits for a's lock until then. */
static void block_then(const char *end, const char *want_tag, uint64_t want_lsn)
{
	lf_fixture *fx = setup_at_two();
	void *a = lf_session(fx), *b = lf_session(fx);
	const char *file = lf_file(fx, "t", 0);
	settled_ok(fx, lf_exec(fx, a, "BEGIN"));
	settled_ok(fx, lf_exec(fx, a, "INSERT INTO t VALUES (3, 'c')"));
	settled_ok(fx, lf_exec(fx, a, "INSERT INTO t VALUES (4, 'd')"));
	copies_at(fx, 4);
	int first = lf_ntasks(fx);
	lf_query *qb = lf_exec(fx, b, "INSERT INTO t VALUES (5, 'e')");
	lf_settle(fx);
	assert_false(lf_done(qb)); /* waits for a's lock: nothing sent */
	assert_int_equal(count_kind(fx, first, EXEC_TASK_WRITE), 0);
	if (end) {
		lf_query *qe = lf_exec(fx, a, end);
		settled_ok(fx, qe);
		assert_string_equal(lf_tag(qe), want_tag);
	} else {
		lf_session_close(fx, a);
	}
	lf_settle(fx);
	assert_true(lf_done(qb));
	assert_string_equal(lf_sqlstate(qb), "");
	/* a's entries stayed (3, 4, its commit marker 5, then b's 6) or were
	 * undone (b's is 3) */
	assert_int_equal(lf_committed_lsn(fx, "t", 0), want_lsn);
	copies_at(fx, want_lsn);
	int markers = 0;
	for (int i = first; i < lf_ntasks(fx); i++) {
		lf_task *t = lf_task_at(fx, i);
		if ((t->kind == EXEC_TASK_WRITE || t->kind == EXEC_TASK_APPLY) && t->entry_kind) {
			assert_int_equal(t->entry_kind, EXEC_ENTRY_COMMIT);
			assert_int_not_equal(t->txn_id, 0);
			/* one WRITE to every copy at once (no APPLY after the
			 * primary's): the marker costs one round of fsyncs */
			assert_int_equal(t->kind, EXEC_TASK_WRITE);
			assert_int_equal(t->lsn, 5);
			markers++;
		}
	}
	assert_int_equal(markers, want_lsn == 6 ? 3 : 0); /* one WRITE per copy */
	for (int n = 1; n <= 3; n++) {
		int kept = want_lsn == 6;
		assert_int_equal(lf_copy_holds_int(fx, lf_node(fx, n), file, 0, 3), kept);
		assert_int_equal(lf_copy_holds_int(fx, lf_node(fx, n), file, 0, 4), kept);
		assert_true(lf_copy_holds_int(fx, lf_node(fx, n), file, 0, 5));
	}
	if (want_lsn == 3) { /* each copy was undone once, to lsn 2, before b wrote */
		assert_int_equal(count_kind(fx, first, EXEC_TASK_UNDO), 3);
		for (int i = first; i < lf_ntasks(fx); i++)
			if (lf_task_at(fx, i)->kind == EXEC_TASK_UNDO)
				assert_int_equal(lf_task_at(fx, i)->lsn, 2);
	} else {
		assert_int_equal(count_kind(fx, first, EXEC_TASK_UNDO), 0);
	}
	lf_free(fx);
}

static void test_rollback_undoes_the_block(void **state)
{
	(void)state;
	block_then("ROLLBACK", "ROLLBACK", 3);
}

static void test_commit_keeps_the_block(void **state)
{
	(void)state;
	block_then("COMMIT", "COMMIT", 6);
}

/* A commit marker goes to every copy at once and is decided at quorum:
 * with the shard's primary silent, COMMIT completes on the two other
 * copies' answers; the primary logs it when it answers. */
static void test_commit_marker_decided_without_the_primary(void **state)
{
	(void)state;
	lf_fixture *fx = setup_at_two();
	void *a = lf_session(fx);
	const char *file = lf_file(fx, "t", 0);
	settled_ok(fx, lf_exec(fx, a, "BEGIN"));
	int first = lf_ntasks(fx);
	settled_ok(fx, lf_exec(fx, a, "UPDATE t SET v = 'x' WHERE id = 1"));
	uint32_t primary = 0;
	for (int i = first; i < lf_ntasks(fx); i++)
		if (lf_task_at(fx, i)->kind == EXEC_TASK_WRITE)
			primary = lf_task_at(fx, i)->node; /* an UPDATE runs on the primary */
	assert_int_not_equal(primary, 0);
	copies_at(fx, 3);
	lf_mute(fx, primary, 1);
	lf_query *qc = lf_exec(fx, a, "COMMIT");
	lf_settle(fx);
	assert_true(lf_done(qc));
	assert_string_equal(lf_sqlstate(qc), "");
	assert_string_equal(lf_tag(qc), "COMMIT");
	assert_int_equal(lf_committed_lsn(fx, "t", 0), 4);
	assert_int_equal(lf_copy_lsn(fx, primary, file), 3); /* its WRITE is still pending */
	lf_mute(fx, primary, 0);
	lf_settle(fx);
	copies_at(fx, 4);
	uint8_t kind = 0;
	assert_int_not_equal(lf_copy_entry_txn(fx, primary, file, 4, &kind), 0);
	assert_int_equal(kind, EXEC_ENTRY_COMMIT);
	lf_free(fx);
}

/* The shard's primary, learned from an autocommit UPDATE of row 2 (lsn 3),
 * and the two other copies muted: from now on nothing reaches its quorum
 * until they answer. */
static uint32_t mute_replicas(lf_fixture *fx)
{
	int first = lf_ntasks(fx);
	uint32_t primary = 0;
	lf_ok(fx, "UPDATE t SET v = 'y' WHERE id = 2");
	for (int i = first; i < lf_ntasks(fx); i++)
		if (lf_task_at(fx, i)->kind == EXEC_TASK_WRITE)
			primary = lf_task_at(fx, i)->node;
	assert_int_not_equal(primary, 0);
	copies_at(fx, 3);
	for (int n = 1; n <= 3; n++)
		if (lf_node(fx, n) != primary)
			lf_mute(fx, lf_node(fx, n), 1);
	return primary;
}

/* Pipelined writes: with both replicas silent, a block's UPDATE is
 * answered on the primary's word; COMMIT sends its marker behind it at
 * once but completes only when the replicas answer (the quorum). */
static void test_block_write_answered_at_the_primary(void **state)
{
	(void)state;
	lf_fixture *fx = setup_at_two();
	void *a = lf_session(fx);
	uint32_t primary = mute_replicas(fx);
	settled_ok(fx, lf_exec(fx, a, "BEGIN"));
	lf_query *qu = lf_exec(fx, a, "UPDATE t SET v = 'x' WHERE id = 1");
	settled_ok(fx, qu);
	assert_string_equal(lf_tag(qu), "UPDATE 1");
	assert_int_equal(lf_committed_lsn(fx, "t", 0), 3); /* not at its quorum */
	int first = lf_ntasks(fx);
	lf_query *qc = lf_exec(fx, a, "COMMIT");
	lf_settle(fx);
	assert_false(lf_done(qc));
	assert_int_equal(count_kind(fx, first, EXEC_TASK_WRITE), 3); /* the marker, sent */
	assert_int_equal(lf_copy_lsn(fx, primary, lf_file(fx, "t", 0)), 5);
	for (int n = 1; n <= 3; n++)
		lf_mute(fx, lf_node(fx, n), 0);
	settled_ok(fx, qc);
	assert_string_equal(lf_tag(qc), "COMMIT");
	assert_int_equal(lf_committed_lsn(fx, "t", 0), 5);
	copies_at(fx, 5);
	lf_free(fx);
}

/* A pipelined UPDATE answered, then both replicas lost: its quorum is
 * impossible, so it is undone on the primary and COMMIT fails (40000,
 * rolled back) instead of committing a transaction that lost a write. */
static void test_pipelined_write_missing_its_quorum_fails_the_commit(void **state)
{
	(void)state;
	lf_fixture *fx = setup_at_two();
	void *a = lf_session(fx);
	uint32_t primary = mute_replicas(fx);
	settled_ok(fx, lf_exec(fx, a, "BEGIN"));
	settled_ok(fx, lf_exec(fx, a, "UPDATE t SET v = 'x' WHERE id = 1"));
	for (int n = 1; n <= 3; n++)
		if (lf_node(fx, n) != primary)
			lf_disconnect(fx, lf_node(fx, n));
	lf_query *qc = lf_exec(fx, a, "COMMIT");
	lf_settle(fx);
	assert_true(lf_done(qc));
	assert_string_equal(lf_sqlstate(qc), "40000");
	assert_non_null(strstr(lf_message(qc), "rolled back"));
	assert_int_equal(lf_committed_lsn(fx, "t", 0), 3);
	assert_int_equal(lf_copy_lsn(fx, primary, lf_file(fx, "t", 0)), 3); /* undone */
	lf_free(fx);
}

static void test_disconnect_undoes_the_block(void **state)
{
	(void)state;
	block_then(NULL, NULL, 3);
}

/* An error in the block: later statements get 25P02, COMMIT answers
 * ROLLBACK and undoes the block's earlier write. */
static void test_error_in_block_then_commit_rolls_back(void **state)
{
	(void)state;
	lf_fixture *fx = setup_at_two();
	settled_ok(fx, lf_exec(fx, NULL, "BEGIN"));
	settled_ok(fx, lf_exec(fx, NULL, "INSERT INTO t VALUES (3, 'c')"));
	lf_query *bad = lf_exec(fx, NULL, "SELECT * FROM no_such_table");
	lf_settle(fx);
	assert_string_equal(lf_sqlstate(bad), "42P01");
	lf_query *next = lf_exec(fx, NULL, "INSERT INTO t VALUES (4, 'd')");
	lf_settle(fx);
	assert_string_equal(lf_sqlstate(next), "25P02");
	lf_query *c = lf_exec(fx, NULL, "COMMIT");
	settled_ok(fx, c);
	assert_string_equal(lf_tag(c), "ROLLBACK");
	copies_at(fx, 2);
	assert_int_equal(lf_committed_lsn(fx, "t", 0), 2);
	settled_ok(fx, lf_exec(fx, NULL, "INSERT INTO t VALUES (5, 'e')")); /* works on */
	copies_at(fx, 3);
	lf_free(fx);
}

/* A read of a shard another transaction wrote waits until it ends; the
 * holder's own read goes out (the fixture answers QUERY with 0A000: only
 * whether it was sent counts). */
static void test_reads_wait_for_the_holder_not_for_itself(void **state)
{
	(void)state;
	lf_fixture *fx = setup_at_two();
	void *a = lf_session(fx), *b = lf_session(fx);
	settled_ok(fx, lf_exec(fx, a, "BEGIN"));
	settled_ok(fx, lf_exec(fx, a, "UPDATE t SET v = 'x' WHERE id = 1"));
	int first = lf_ntasks(fx);
	lf_query *rb = lf_exec(fx, b, "SELECT v FROM t WHERE id = 2");
	assert_false(lf_done(rb));
	assert_int_equal(count_kind(fx, first, EXEC_TASK_QUERY), 0);
	lf_query *ra = lf_exec(fx, a, "SELECT v FROM t WHERE id = 1");
	assert_int_equal(count_kind(fx, first, EXEC_TASK_QUERY), 1);
	lf_settle(fx);
	assert_true(lf_done(ra));
	/* a's read failed (the fixture fails QUERY): its block's UPDATE was
	 * undone and its lock released at the error, so b's went out */
	assert_int_equal(count_kind(fx, first, EXEC_TASK_QUERY), 2);
	settled_ok(fx, lf_exec(fx, a, "ROLLBACK"));
	lf_settle(fx);
	assert_true(lf_done(rb));
	lf_free(fx);
}

/* UPDATE over two shards: shard 0's part commits, shard 1's fails with a
 * statement error.  Shard 0 is undone before the client hears 23505, not
 * a 40003 "partly applied". */
static void test_multi_shard_statement_is_all_or_nothing(void **state)
{
	(void)state;
	lf_fixture *fx = lf_new(3);
	lf_ok(fx, "CREATE TABLE m (id int PRIMARY KEY, v text) WITH (shards = 2, replicas = 3)");
	lf_ok(fx, "INSERT INTO m VALUES (1, 'a')");
	lf_ok(fx, "INSERT INTO m VALUES (2, 'b')");
	uint64_t base0 = lf_committed_lsn(fx, "m", 0), base1 = lf_committed_lsn(fx, "m", 1);
	const char *f0 = lf_file(fx, "m", 0), *f1 = lf_file(fx, "m", 1);
	int first = lf_ntasks(fx);
	lf_query *q = lf_exec(fx, NULL, "UPDATE m SET v = 'z'");
	lf_task *w0 = NULL, *w1 = NULL;
	for (int i = first; i < lf_ntasks(fx); i++) {
		lf_task *t = lf_task_at(fx, i);
		if (t->kind != EXEC_TASK_WRITE)
			continue;
		if (strcmp(t->file, f0) == 0)
			w0 = t;
		else if (strcmp(t->file, f1) == 0)
			w1 = t;
	}
	assert_non_null(w0);
	assert_non_null(w1);
	lf_fail(fx, w1, "23505");
	lf_reply(fx, w0);
	/* shard 0's APPLYs at quorum: its part is committed; the statement is
	 * not answered until shard 0 is undone */
	for (lf_task *a = lf_find(fx, LF_ANY_NODE, EXEC_TASK_APPLY, first); a;
	     a = lf_find(fx, LF_ANY_NODE, EXEC_TASK_APPLY, first))
		lf_reply(fx, a);
	assert_false(lf_done(q));
	assert_true(count_kind(fx, first, EXEC_TASK_UNDO) >= 1);
	lf_settle(fx);
	assert_true(lf_done(q));
	assert_string_equal(lf_sqlstate(q), "23505");
	assert_int_equal(lf_committed_lsn(fx, "m", 0), base0);
	assert_int_equal(lf_committed_lsn(fx, "m", 1), base1);
	for (int n = 1; n <= 3; n++) {
		assert_int_equal(lf_copy_lsn(fx, lf_node(fx, n), f0), base0);
		assert_int_equal(lf_copy_lsn(fx, lf_node(fx, n), f1), base1);
	}
	lf_free(fx);
}

/* a holds t, b holds u; a waits for u; b asking for t closes the cycle:
 * 40P01 for b at once.  b's ROLLBACK lets a go on. */
static void test_deadlock_is_refused(void **state)
{
	(void)state;
	lf_fixture *fx = setup_at_two();
	lf_ok(fx, "CREATE TABLE u (id int PRIMARY KEY, v text) WITH (shards = 1, replicas = 3)");
	void *a = lf_session(fx), *b = lf_session(fx);
	settled_ok(fx, lf_exec(fx, a, "BEGIN"));
	settled_ok(fx, lf_exec(fx, b, "BEGIN"));
	settled_ok(fx, lf_exec(fx, a, "INSERT INTO t VALUES (10, 'a')"));
	settled_ok(fx, lf_exec(fx, b, "INSERT INTO u VALUES (20, 'b')"));
	lf_query *qa = lf_exec(fx, a, "INSERT INTO u VALUES (11, 'a')");
	lf_settle(fx);
	assert_false(lf_done(qa));
	lf_query *qb = lf_exec(fx, b, "INSERT INTO t VALUES (21, 'b')");
	lf_settle(fx);
	assert_true(lf_done(qb));
	assert_string_equal(lf_sqlstate(qb), "40P01");
	/* the victim's locks are freed at its error, before its ROLLBACK */
	assert_true(lf_done(qa));
	settled_ok(fx, lf_exec(fx, b, "ROLLBACK"));
	lf_settle(fx);
	assert_string_equal(lf_sqlstate(qa), "");
	settled_ok(fx, lf_exec(fx, a, "COMMIT"));
	assert_true(lf_copy_holds_int(fx, lf_node(fx, 1), lf_file(fx, "u", 0), 0, 11));
	assert_false(lf_copy_holds_int(fx, lf_node(fx, 1), lf_file(fx, "u", 0), 0, 20));
	lf_free(fx);
}

/* SAVEPOINT a; more writes (on t, and on u first written after a); an
 * error; ROLLBACK TO a undoes t to where it was at a and u to its base,
 * the block is ACTIVE again; COMMIT keeps what was before a and after the
 * ROLLBACK TO only. */
static void test_rollback_to_savepoint_undoes_to_it(void **state)
{
	(void)state;
	lf_fixture *fx = setup_at_two();
	lf_ok(fx, "CREATE TABLE u (id int PRIMARY KEY, v text) WITH (shards = 1, replicas = 3)");
	const char *ft = lf_file(fx, "t", 0), *fu = lf_file(fx, "u", 0);
	uint64_t ubase = lf_committed_lsn(fx, "u", 0);
	settled_ok(fx, lf_exec(fx, NULL, "BEGIN"));
	settled_ok(fx, lf_exec(fx, NULL, "INSERT INTO t VALUES (3, 'c')"));
	settled_ok(fx, lf_exec(fx, NULL, "SAVEPOINT a"));
	settled_ok(fx, lf_exec(fx, NULL, "INSERT INTO t VALUES (4, 'd')"));
	settled_ok(fx, lf_exec(fx, NULL, "INSERT INTO u VALUES (40, 'd')"));
	int first = lf_ntasks(fx); /* the error undoes to a at once */
	lf_query *dup = lf_exec(fx, NULL, "INSERT INTO t VALUES (4, 'again')");
	lf_task *w = lf_find(fx, LF_ANY_NODE, EXEC_TASK_WRITE, 0);
	while (w) { /* the duplicate fails on every copy */
		lf_fail(fx, w, "23505");
		w = lf_find(fx, LF_ANY_NODE, EXEC_TASK_WRITE, 0);
	}
	lf_settle(fx);
	assert_string_equal(lf_sqlstate(dup), "23505");
	lf_query *rt = lf_exec(fx, NULL, "ROLLBACK TO SAVEPOINT a");
	settled_ok(fx, rt);
	assert_string_equal(lf_tag(rt), "ROLLBACK");
	for (int i = first; i < lf_ntasks(fx); i++) {
		lf_task *u = lf_task_at(fx, i);
		if (u->kind == EXEC_TASK_UNDO)
			assert_int_equal(u->lsn, strcmp(u->file, ft) == 0 ? 3 : ubase);
	}
	assert_int_equal(count_kind(fx, first, EXEC_TASK_UNDO), 6);
	copies_at(fx, 3);
	settled_ok(fx, lf_exec(fx, NULL, "INSERT INTO t VALUES (5, 'e')")); /* ACTIVE again */
	lf_query *missing = lf_exec(fx, NULL, "RELEASE SAVEPOINT nope");
	lf_settle(fx);
	assert_string_equal(lf_sqlstate(missing), "3B001");
	settled_ok(fx, lf_exec(fx, NULL, "ROLLBACK TO a")); /* a survived its ROLLBACK TO */
	settled_ok(fx, lf_exec(fx, NULL, "RELEASE a"));
	settled_ok(fx, lf_exec(fx, NULL, "COMMIT"));
	for (int n = 1; n <= 3; n++) {
		uint32_t f = lf_node(fx, n);
		assert_true(lf_copy_holds_int(fx, f, ft, 0, 3));
		assert_false(lf_copy_holds_int(fx, f, ft, 0, 4));
		assert_false(lf_copy_holds_int(fx, f, ft, 0, 5)); /* rolled back to a again */
		assert_int_equal(lf_copy_lsn(fx, f, fu), ubase);
	}
	lf_query *outside = lf_exec(fx, NULL, "SAVEPOINT b");
	lf_settle(fx);
	assert_string_equal(lf_sqlstate(outside), "25P01");
	lf_free(fx);
}

/* SELECT … FOR UPDATE in a block takes the shard's lock: another
 * session's write waits; with lock_timeout it gives up with 55P03 once
 * the timeout passed (checked at the tick). */
static void test_for_update_locks_and_lock_timeout(void **state)
{
	(void)state;
	lf_fixture *fx = setup_at_two();
	void *a = lf_session(fx), *b = lf_session(fx);
	settled_ok(fx, lf_exec(fx, a, "BEGIN"));
	int first = lf_ntasks(fx);
	lf_query *sel = lf_exec(fx, a, "SELECT v FROM t WHERE id = 1 FOR UPDATE");
	assert_int_equal(count_kind(fx, first, EXEC_TASK_QUERY), 1); /* locked, then read */
	/* the fixture fails QUERY, which would free the lock at the error: a's
	 * read stays out meanwhile */
	uint32_t reader = lf_find(fx, LF_ANY_NODE, EXEC_TASK_QUERY, first)->node;
	lf_mute(fx, reader, 1);
	lf_settle(fx);
	assert_false(lf_done(sel));
	settled_ok(fx, lf_exec(fx, b, "SET lock_timeout = '200ms'"));
	first = lf_ntasks(fx);
	lf_query *w = lf_exec(fx, b, "UPDATE t SET v = 'x' WHERE id = 2");
	lf_settle(fx);
	assert_false(lf_done(w));
	assert_int_equal(count_kind(fx, first, EXEC_TASK_WRITE), 0);
	lf_advance_ms(fx, 100);
	lf_tick(fx);
	assert_false(lf_done(w)); /* 100 ms < 200 ms */
	lf_advance_ms(fx, 150);
	lf_tick(fx);
	assert_true(lf_done(w));
	assert_string_equal(lf_sqlstate(w), "55P03");
	lf_query *w2 = lf_exec(fx, b, "UPDATE t SET v = 'y' WHERE id = 2");
	lf_settle(fx);
	assert_false(lf_done(w2));
	lf_mute(fx, reader, 0);
	lf_settle(fx); /* a's read fails: its lock is freed at the error, before ROLLBACK */
	assert_true(lf_done(sel));
	assert_true(lf_done(w2));
	assert_string_equal(lf_sqlstate(w2), "");
	settled_ok(fx, lf_exec(fx, a, "ROLLBACK"));
	assert_int_equal(count_kind(fx, first, EXEC_TASK_UNDO), 0); /* a wrote nothing */
	lf_free(fx);
}

/* After a leader restart, before a shard's committed entry is decided, a
 * multi-shard statement (an implicit transaction) must not take a lock:
 * its base would be unknown, and an abort would undo the copies to it.
 * It waits, then fails; no copy is undone below what it held (found by
 * the nemesis: an undo to lsn 0 wiped a shard). */
static void test_no_lock_before_a_restart_decides_the_shard(void **state)
{
	(void)state;
	lf_fixture *fx = lf_new(3);
	lf_ok(fx, "CREATE TABLE m (id int PRIMARY KEY, v text) WITH (shards = 2, replicas = 3)");
	for (int i = 1; i <= 6; i++) {
		char sql[64];
		snprintf(sql, sizeof sql, "INSERT INTO m VALUES (%d, 'a')", i);
		lf_ok(fx, sql);
	}
	lf_tick(fx);
	uint64_t held = lf_copy_lsn(fx, lf_node(fx, 1), lf_file(fx, "m", 0));
	assert_true(held > 0);
	lf_restart(fx);
	lf_connect(fx, lf_node(fx, 1)); /* f2, f3 silent, not dead: undecided */
	lf_settle(fx);
	int first = lf_ntasks(fx);
	lf_query *q = lf_exec(fx, NULL, "UPDATE m SET v = 'z'");
	lf_settle(fx);
	assert_false(lf_done(q));
	for (int i = 0; i < 7 && !lf_done(q); i++) {
		lf_advance_ms(fx, 1000);
		lf_tick(fx);
		lf_settle(fx);
	}
	assert_true(lf_done(q));
	assert_string_not_equal(lf_sqlstate(q), "");
	for (int i = first; i < lf_ntasks(fx); i++)
		if (lf_task_at(fx, i)->kind == EXEC_TASK_UNDO)
			assert_true(lf_task_at(fx, i)->lsn >= held);
	assert_int_equal(lf_copy_lsn(fx, lf_node(fx, 1), lf_file(fx, "m", 0)), held);
	lf_free(fx);
}

/* A transaction recorded committed whose marker the old leader never
 * appended: every copy holds its data entry open at the end of its log.
 * A write queued while the restarted leader waits for the copies' STATUS
 * must run after the marker, not before it: a copy refuses an entry that
 * is not the open transaction's (25000), so the write would fail for no
 * reason the client could act on (found by the bank nemesis: parked
 * writes started ahead of the restart's marker). */
static void test_restart_marker_goes_before_queued_writes(void **state)
{
	(void)state;
	lf_fixture *fx = setup_at_two();
	const char *file = lf_file(fx, "t", 0);
	const uint64_t txid = 1u << 20;
	mur_error err;
	char parts[32];
	snprintf(parts, sizeof parts, "%u:0", cat_table_lookup(lf_catalog(fx), NULL, "t")->id);
	assert_int_equal(cat_txn_outcome_put(lf_catalog(fx), txid, "committed", parts, 1, &err),
			 MUR_OK);
	uint64_t id = lf_copy_entry(fx, lf_node(fx, 1), file, 2) + 1;
	for (int n = 1; n <= 3; n++)
		lf_copy_append(fx, lf_node(fx, n), file, id, txid, EXEC_ENTRY_DATA);
	lf_restart(fx);
	int first = lf_ntasks(fx);
	lf_query *q = lf_exec(fx, NULL, "INSERT INTO t VALUES (9, 'z')");
	lf_settle(fx);
	assert_false(lf_done(q)); /* parked: the shard is not decided */
	for (int n = 1; n <= 3; n++)
		lf_connect(fx, lf_node(fx, n));
	lf_settle(fx);
	assert_true(lf_done(q));
	assert_string_equal(lf_sqlstate(q), "");
	for (int i = first; i < lf_ntasks(fx); i++) { /* nothing refused */
		lf_task *t = lf_task_at(fx, i);
		assert_false(t->res.failed &&
			     strcmp(t->res.err.sqlstate, EXEC_SQLSTATE_TXN_ORDER) == 0);
	}
	assert_int_equal(lf_committed_lsn(fx, "t", 0), 5);
	for (int n = 1; n <= 3; n++) {
		uint8_t kind = 0;
		assert_int_equal(lf_copy_entry_txn(fx, lf_node(fx, n), file, 4, &kind), txid);
		assert_int_equal(kind, EXEC_ENTRY_COMMIT);
		assert_int_equal(lf_copy_open_txn(fx, lf_node(fx, n), file, NULL), 0);
		assert_true(lf_copy_holds_int(fx, lf_node(fx, n), file, 0, 9));
		assert_int_equal(lf_copy_state(fx, "t", 0, lf_node(fx, n)), CAT_PL_CURRENT);
	}
	lf_free(fx);
}

/* A copy applies a block's entry but its answer is lost (it stays
 * connected): the leader counts it at the entry before (LAGGING), the
 * statement succeeds on the other two.  ROLLBACK must undo that copy too:
 * it may hold the entry.  Left alone it kept the aborted entry open at
 * the end of its log, read it as its own, and refused the next write
 * sent to it with 25000 (or, caught up to an equal LSN without a check,
 * served it as current). */
static void test_rollback_undoes_a_copy_whose_answer_was_lost(void **state)
{
	(void)state;
	lf_fixture *fx = setup_at_two();
	void *a = lf_session(fx);
	const char *file = lf_file(fx, "t", 0);
	settled_ok(fx, lf_exec(fx, a, "BEGIN"));
	int first = lf_ntasks(fx);
	lf_query *qu = lf_exec(fx, a, "UPDATE t SET v = 'x' WHERE id = 1");
	lf_task *w = lf_find(fx, LF_ANY_NODE, EXEC_TASK_WRITE, first);
	assert_non_null(w);
	lf_reply(fx, w);
	lf_task *lost = lf_find(fx, LF_ANY_NODE, EXEC_TASK_APPLY, first);
	assert_non_null(lost);
	uint32_t node = lost->node;
	lf_deliver(fx, lost);
	lf_fail(fx, lost, "57014"); /* applied; the answer is lost */
	settled_ok(fx, qu);
	assert_int_equal(lf_copy_lsn(fx, node, file), 3);
	assert_int_not_equal(lf_copy_open_txn(fx, node, file, NULL), 0);
	settled_ok(fx, lf_exec(fx, a, "ROLLBACK"));
	copies_at(fx, 2); /* nothing of the block remains, on any copy */
	for (int n = 1; n <= 3; n++)
		assert_int_equal(lf_copy_open_txn(fx, lf_node(fx, n), file, NULL), 0);
	lf_tick(fx); /* the copy catches up (nothing to fetch) */
	lf_settle(fx);
	settled_ok(fx, lf_exec(fx, NULL, "UPDATE t SET v = 'y' WHERE id = 2"));
	settled_ok(fx, lf_exec(fx, NULL, "UPDATE t SET v = 'z' WHERE id = 2"));
	copies_at(fx, 4);
	assert_int_equal(lf_copy_state(fx, "t", 0, node), CAT_PL_CURRENT);
	for (int i = first; i < lf_ntasks(fx); i++) { /* nothing refused, nothing rebuilt */
		lf_task *t = lf_task_at(fx, i);
		assert_int_not_equal(t->kind, EXEC_TASK_REBUILD);
		assert_false(t->res.failed &&
			     strcmp(t->res.err.sqlstate, EXEC_SQLSTATE_TXN_ORDER) == 0);
	}
	lf_free(fx);
}

/* Answer every outstanding task, oldest first, but fail (not applied)
 * the WRITEs to placement file `refuse`: that shard's copies are lost. */
static void settle_failing(lf_fixture *fx, const char *refuse)
{
	for (lf_task *t; (t = lf_find(fx, LF_ANY_NODE, 0, 0));) {
		if (t->kind == EXEC_TASK_WRITE && strcmp(t->file, refuse) == 0)
			lf_fail(fx, t, "08006");
		else
			lf_reply(fx, t);
	}
}

/* A restart finds a two-shard transaction recorded committed with both
 * markers missing.  The marker lands on shard 0 but not on shard 1 (its
 * copies fail it): shard 0 is committed and must be writable again at
 * once, while shard 1 stays locked and its marker is retried.  Shard 0
 * stayed locked until shard 1's marker landed. */
static void test_restart_marker_releases_each_shard_it_lands_on(void **state)
{
	(void)state;
	lf_fixture *fx = lf_new(3);
	lf_ok(fx, "CREATE TABLE m (id int PRIMARY KEY, v text) WITH (shards = 2, replicas = 3)");
	const uint32_t tid = cat_table_lookup(lf_catalog(fx), NULL, "m")->id;
	const uint64_t txid = 1u << 20;
	char f0[64], f1[64], parts[32];
	mur_error err;
	snprintf(f0, sizeof f0, "%s", lf_file(fx, "m", 0));
	snprintf(f1, sizeof f1, "%s", lf_file(fx, "m", 1));
	snprintf(parts, sizeof parts, "%u:0,%u:1", tid, tid);
	assert_int_equal(cat_txn_outcome_put(lf_catalog(fx), txid, "committed", parts, 1, &err),
			 MUR_OK);
	for (int n = 1; n <= 3; n++) {
		lf_copy_append(fx, lf_node(fx, n), f0, txid, txid, EXEC_ENTRY_DATA);
		lf_copy_append(fx, lf_node(fx, n), f1, txid, txid, EXEC_ENTRY_DATA);
	}
	lf_restart(fx);
	for (int n = 1; n <= 3; n++)
		lf_connect(fx, lf_node(fx, n));
	settle_failing(fx, f1);
	assert_int_equal(lf_copy_open_txn(fx, lf_node(fx, 1), f0, NULL), 0); /* its marker */
	assert_int_equal(lf_copy_open_txn(fx, lf_node(fx, 1), f1, NULL), txid);
	/* one autocommit insert per id: those of shard 0 complete */
	lf_query *q[8];
	int on0 = 0;
	for (int i = 0; i < 8; i++) {
		char sql[64];
		snprintf(sql, sizeof sql, "INSERT INTO m VALUES (%d, 'a')", i + 1);
		q[i] = lf_exec(fx, lf_session(fx), sql);
	}
	settle_failing(fx, f1);
	for (int i = 0; i < 8; i++)
		if (lf_copy_holds_int(fx, lf_node(fx, 1), f0, 0, i + 1)) {
			on0++;
			assert_true(lf_done(q[i]));
			assert_string_equal(lf_sqlstate(q[i]), "");
		}
	assert_true(on0 > 0);
	/* shard 1's copies return (caught up at a tick), its marker lands at
	 * the next: its writes follow it */
	for (int i = 0; i < 3; i++) {
		lf_advance_ms(fx, 1000);
		lf_tick(fx);
		lf_settle(fx);
	}
	for (int i = 0; i < 8; i++) {
		assert_true(lf_done(q[i]));
		assert_string_equal(lf_sqlstate(q[i]), "");
	}
	for (int n = 1; n <= 3; n++)
		assert_int_equal(lf_copy_open_txn(fx, lf_node(fx, n), f1, NULL), 0);
	lf_free(fx);
}

/* Two SERIALIZABLE blocks read t's shard together: their locks are
 * shared, so each one's read goes out at once; an autocommit writer waits
 * for both (murphy.locks: two shared holders, one exclusive waiter). */
static void test_serializable_readers_share_and_a_writer_waits(void **state)
{
	(void)state;
	lf_fixture *fx = setup_at_two();
	void *a = lf_session(fx), *b = lf_session(fx), *c = lf_session(fx);
	repl_lock_info lk[8];
	settled_ok(fx, lf_exec(fx, a, "BEGIN ISOLATION LEVEL SERIALIZABLE"));
	settled_ok(fx, lf_exec(fx, b, "BEGIN ISOLATION LEVEL SERIALIZABLE"));
	int first = lf_ntasks(fx);
	lf_exec(fx, a, "SELECT v FROM t WHERE id = 1");
	lf_exec(fx, b, "SELECT v FROM t WHERE id = 1");
	assert_int_equal(count_kind(fx, first, EXEC_TASK_QUERY), 2); /* neither waits */
	/* the fixture fails QUERY, which would free the locks at the errors:
	 * the reads stay out meanwhile */
	uint32_t ra = lf_find(fx, LF_ANY_NODE, EXEC_TASK_QUERY, first)->node;
	uint32_t rb = lf_find(fx, LF_ANY_NODE, EXEC_TASK_QUERY,
			      lf_find(fx, LF_ANY_NODE, EXEC_TASK_QUERY, first)->seq + 1)
			      ->node;
	lf_mute(fx, ra, 1);
	lf_mute(fx, rb, 1);
	lf_settle(fx);
	first = lf_ntasks(fx);
	lf_query *w = lf_exec(fx, c, "UPDATE t SET v = 'x' WHERE id = 2");
	lf_settle(fx);
	assert_false(lf_done(w));
	assert_int_equal(count_kind(fx, first, EXEC_TASK_WRITE), 0);
	assert_int_equal(repl_lock_list(lf_engine(fx)->repl, lk, 8), 3);
	assert_string_equal(lk[0].mode, "shared");
	assert_string_equal(lk[1].mode, "shared");
	assert_true(lk[0].granted && lk[1].granted && !lk[2].granted);
	assert_string_equal(lk[2].mode, "exclusive");
	lf_mute(fx, ra, 0);
	lf_mute(fx, rb, 0);
	lf_settle(fx); /* both reads fail: their shared locks are freed at the errors */
	assert_true(lf_done(w));
	assert_string_equal(lf_sqlstate(w), "");
	settled_ok(fx, lf_exec(fx, a, "ROLLBACK"));
	settled_ok(fx, lf_exec(fx, b, "ROLLBACK"));
	assert_int_equal(count_kind(fx, first, EXEC_TASK_UNDO), 0); /* readers wrote nothing */
	lf_free(fx);
}

/* The shard of m (two shards) holding id, or -1. */
static int shard_of_id(lf_fixture *fx, int64_t id)
{
	for (uint32_t sh = 0; sh < 2; sh++)
		if (lf_copy_holds_int(fx, lf_node(fx, 1), lf_file(fx, "m", sh), 0, id))
			return (int)sh;
	return -1;
}

/* A cycle no wait closed: X holds shard p, A shard q; B's statement over
 * both waits for both; A then waits for p behind B.  X's ROLLBACK hands p
 * to B: B waits for A, A for B.  Nothing is refused until a waiter has
 * waited deadlock_timeout (200ms here); then exactly one gets 40P01, and
 * its ROLLBACK lets the other finish. */
static void test_deadlock_found_at_deadlock_timeout(void **state)
{
	(void)state;
	lf_fixture *fx = lf_new(3);
	int64_t ip = 1, iq = 0;
	lf_ok(fx, "CREATE TABLE m (id int PRIMARY KEY, v text) WITH (shards = 2, replicas = 3)");
	for (int i = 1; i <= 8; i++) {
		char sql[64];
		snprintf(sql, sizeof sql, "INSERT INTO m VALUES (%d, 'a')", i);
		lf_ok(fx, sql);
	}
	for (int64_t i = 2; i <= 8 && !iq; i++)
		if (shard_of_id(fx, i) != shard_of_id(fx, ip))
			iq = i;
	assert_true(iq > 0);
	void *x = lf_session(fx), *a = lf_session(fx), *b = lf_session(fx);
	char sql[96];
	settled_ok(fx, lf_exec(fx, a, "SET deadlock_timeout = '200ms'"));
	settled_ok(fx, lf_exec(fx, b, "SET deadlock_timeout = '200ms'"));
	for (int i = 0; i < 3; i++)
		settled_ok(fx, lf_exec(fx, (void *[]){x, a, b}[i], "BEGIN"));
	snprintf(sql, sizeof sql, "UPDATE m SET v = 'x' WHERE id = %lld", (long long)ip);
	settled_ok(fx, lf_exec(fx, x, sql));
	snprintf(sql, sizeof sql, "UPDATE m SET v = 'a' WHERE id = %lld", (long long)iq);
	settled_ok(fx, lf_exec(fx, a, sql));
	lf_query *qb = lf_exec(fx, b, "UPDATE m SET v = 'b'");
	lf_settle(fx);
	snprintf(sql, sizeof sql, "UPDATE m SET v = 'a' WHERE id = %lld", (long long)ip);
	lf_query *qa = lf_exec(fx, a, sql);
	lf_settle(fx);
	assert_false(lf_done(qa) || lf_done(qb)); /* no wait closed a cycle */
	settled_ok(fx, lf_exec(fx, x, "ROLLBACK"));
	lf_settle(fx);
	assert_false(lf_done(qa) || lf_done(qb)); /* the cycle: nobody found it yet */
	lf_advance_ms(fx, 150);
	lf_tick(fx);
	lf_settle(fx);
	assert_false(lf_done(qa) || lf_done(qb)); /* 150 ms < deadlock_timeout */
	lf_advance_ms(fx, 100);
	lf_tick(fx);
	lf_settle(fx);
	assert_true(lf_done(qa) || lf_done(qb));
	/* one victim (its locks freed at the error: the other went on) */
	lf_query *victim = !strcmp(lf_sqlstate(qa), "40P01") ? qa : qb;
	lf_query *other = victim == qa ? qb : qa;
	assert_string_equal(lf_sqlstate(victim), "40P01");
	assert_string_not_equal(lf_sqlstate(other), "40P01");
	settled_ok(fx, lf_exec(fx, victim == qa ? a : b, "ROLLBACK"));
	lf_settle(fx);
	assert_true(lf_done(other));
	assert_string_equal(lf_sqlstate(other), "");
	settled_ok(fx, lf_exec(fx, other == qa ? a : b, "COMMIT"));
	lf_free(fx);
}

/* Every pair of states: exactly the arrows of the diagram. */
static void test_session_state_machine(void **state)
{
	(void)state;
	static const int want[LEAD_TXN_STATES][LEAD_TXN_STATES] = {
		[LEAD_TXN_IDLE] = {[LEAD_TXN_ACTIVE] = 1},
		[LEAD_TXN_ACTIVE] =
			{[LEAD_TXN_FAILED] = 1, [LEAD_TXN_COMMITTING] = 1, [LEAD_TXN_ABORTING] = 1},
		[LEAD_TXN_FAILED] = {[LEAD_TXN_ABORTING] = 1, [LEAD_TXN_ACTIVE] = 1},
		[LEAD_TXN_COMMITTING] = {[LEAD_TXN_IDLE] = 1},
		[LEAD_TXN_ABORTING] = {[LEAD_TXN_IDLE] = 1},
	};
	for (int f = 0; f < LEAD_TXN_STATES; f++)
		for (int t = 0; t < LEAD_TXN_STATES; t++)
			assert_int_equal(lead_txn_transition_allowed(f, t), want[f][t]);
	assert_int_equal(lead_txn_transition_allowed(LEAD_TXN_STATES, LEAD_TXN_IDLE), 0);
	assert_string_equal(lead_txn_state_name(LEAD_TXN_ABORTING), "aborting");
}

/* murphy.transactions' state of t's one transaction (lead_txn_view_state
 * over repl_txn_list); NULL when none is open. */
static const char *view_state(lf_fixture *fx)
{
	static repl_txn_info ti[4];
	int n = repl_txn_list(lf_engine(fx)->repl, ti, 4);
	assert_true(n <= 1);
	return n ? lead_txn_view_state(&ti[0]) : NULL;
}

/* A two-shard block's COMMIT seen by the view at each step: active, then
 * prepared (the decision recorded, no marker at quorum: every follower is
 * paused), committing (one shard's marker at quorum, the other's not),
 * then gone; and the mapping's other arrows from their facts. */
static void test_view_state_follows_the_commit(void **state)
{
	(void)state;
	lf_fixture *fx = lf_new(3);
	/* the recorded decision's steps (parallel commits: test_repl.c) */
	lf_ok(fx, "SET murphy.parallel_commits = off");
	lf_ok(fx, "CREATE TABLE t (id int PRIMARY KEY, v text) WITH (shards = 2, replicas = 3)");
	lf_ok(fx, "INSERT INTO t VALUES (1, 'a'), (2, 'a'), (3, 'a'), (4, 'a'), (5, 'a'), "
		  "(6, 'a')");
	const char *f0 = lf_file(fx, "t", 0);
	uint64_t lsn0 = lf_committed_lsn(fx, "t", 0), lsn1 = lf_committed_lsn(fx, "t", 1);
	assert_true(lsn0 > 0 && lsn1 > 0); /* both shards hold rows */
	void *a = lf_session(fx);
	settled_ok(fx, lf_exec(fx, a, "SET murphy.parallel_commits = off"));
	settled_ok(fx, lf_exec(fx, a, "BEGIN"));
	settled_ok(fx, lf_exec(fx, a, "UPDATE t SET v = 'b'"));
	assert_string_equal(view_state(fx), "active");
	for (int i = 0; i < 3; i++)
		lf_mute(fx, lf_node(fx, i + 1), 1);
	int first = lf_ntasks(fx);
	lf_query *qc = lf_exec(fx, a, "COMMIT");
	lf_settle(fx);
	assert_false(lf_done(qc));
	assert_string_equal(view_state(fx), "prepared");
	/* shard 0's marker reaches two copies: committed there */
	int answered = 0;
	for (int i = first; i < lf_ntasks(fx) && answered < 2; i++) {
		lf_task *tk = lf_task_at(fx, i);
		if (tk->kind == EXEC_TASK_WRITE && !strcmp(tk->file, f0) &&
		    tk->entry_kind == EXEC_ENTRY_COMMIT) {
			lf_reply(fx, tk);
			answered++;
		}
	}
	assert_int_equal(answered, 2);
	assert_int_equal(lf_committed_lsn(fx, "t", 0), lsn0 + 2);
	assert_string_equal(view_state(fx), "committing");
	for (int i = 0; i < 3; i++)
		lf_mute(fx, lf_node(fx, i + 1), 0);
	lf_settle(fx);
	assert_true(lf_done(qc));
	assert_string_equal(lf_tag(qc), "COMMIT");
	assert_null(view_state(fx));
	/* the arrows no fixture step holds still for */
	repl_txn_info ti = {.end = REPL_TXN_OPEN, .waiting_for = 7};
	assert_string_equal(lead_txn_view_state(&ti), "waiting");
	ti = (repl_txn_info){.end = REPL_TXN_ABORT, .nwrote = 2};
	assert_string_equal(lead_txn_view_state(&ti), "aborting");
	ti = (repl_txn_info){.end = REPL_TXN_COMMIT, .nwrote = 2};
	assert_string_equal(lead_txn_view_state(&ti), "preparing");
	ti = (repl_txn_info){.end = REPL_TXN_COMMIT, .nwrote = 1, .marks_pending = 1};
	assert_string_equal(lead_txn_view_state(&ti), "prepared");
	ti = (repl_txn_info){.end = REPL_TXN_COMMIT,
			     .nwrote = 2,
			     .decided = 1,
			     .marks_ok = 1,
			     .retrying = 1};
	assert_string_equal(lead_txn_view_state(&ti), "committing");
	ti = (repl_txn_info){.end = REPL_TXN_COMMIT, .nwrote = 2, .decided = 1, .marks_ok = 2};
	assert_string_equal(lead_txn_view_state(&ti), "committed");
	lf_session_close(fx, a);
	lf_free(fx);
}

typedef struct outcome_seen {
	uint64_t txid;
	int64_t ms;
	char parts[128];
	int n;
} outcome_seen;

static void outcome_got(void *arg, uint64_t txid, const char *outcome, const char *participants,
			int64_t decided_ms)
{
	outcome_seen *o = arg;
	(void)outcome;
	o->ms = decided_ms;
	o->txid = txid;
	snprintf(o->parts, sizeof o->parts, "%s", participants);
	o->n++;
}

/* A follower that is the primary of no shard of t (its copies can fall
 * behind without holding up a marker). */
static uint32_t not_primary(lf_fixture *fx)
{
	const cat_table *t = cat_table_lookup(lf_catalog(fx), NULL, "t");
	for (int n = 1; n <= 3; n++) {
		int primary = 0;
		for (uint32_t s = 0; s < t->nshards; s++)
			for (int k = 0; k < t->shards[s].nplacements; k++)
				primary |= t->shards[s].placements[k].node_id == lf_node(fx, n) &&
					   t->shards[s].placements[k].role == CAT_PRIMARY;
		if (!primary)
			return lf_node(fx, n);
	}
	fail_msg("every follower is a primary of t");
	return 0;
}

/* A two-shard commit's recorded decision is needed while a copy (on a
 * paused follower) has not logged its marker, and trimmed once every
 * copy has and it is older than the keep time; a cut participant list is
 * never trimmed. */
static void test_recorded_decision_trimmed_only_when_no_copy_needs_it(void **state)
{
	(void)state;
	lf_fixture *fx = lf_new(3);
	repl_ctx *repl = lf_engine(fx)->repl;
	outcome_seen o = {0};
	/* markers on the COMMIT's path (parallel commits' lazy markers come
	 * from the tick: test_txn_outcomes.py) */
	lf_ok(fx, "SET murphy.parallel_commits = off");
	lf_ok(fx, "CREATE TABLE t (id int PRIMARY KEY, v text) WITH (shards = 2, replicas = 3)");
	lf_ok(fx, "INSERT INTO t VALUES (1, 'a'), (2, 'a'), (3, 'a'), (4, 'a'), (5, 'a'), "
		  "(6, 'a')");
	cat_txn_outcomes_scan(lf_catalog(fx), INT64_MIN, 0, INT64_MAX, 10, outcome_got, &o);
	assert_int_equal(o.n, 1); /* the multi-row INSERT's implicit transaction */
	assert_true(repl_outcome_settled(repl, o.txid, o.parts));
	uint32_t behind = not_primary(fx);
	settled_ok(fx, lf_exec(fx, NULL, "BEGIN"));
	settled_ok(fx, lf_exec(fx, NULL, "UPDATE t SET v = 'b'"));
	/* paused before the markers: they are decided at quorum without its
	 * copies (a write before them would wait for its answer) */
	lf_mute(fx, behind, 1);
	settled_ok(fx, lf_exec(fx, NULL, "COMMIT"));
	uint64_t first = o.txid;
	o.n = 0;
	cat_txn_outcomes_scan(lf_catalog(fx), o.ms, first, INT64_MAX, 10, outcome_got, &o);
	assert_int_equal(o.n, 1);
	assert_non_null(strchr(o.parts, ','));                     /* two participants */
	assert_false(repl_outcome_settled(repl, o.txid, o.parts)); /* a copy behind */
	repl_outcomes_trim(repl, INT64_MAX / 2);                   /* old: only the first goes */
	char outcome[32];
	assert_int_equal(cat_txn_outcome_get(lf_catalog(fx), first, outcome, sizeof outcome), 0);
	assert_int_equal(cat_txn_outcome_get(lf_catalog(fx), o.txid, outcome, sizeof outcome), 1);
	lf_mute(fx, behind, 0);
	lf_settle(fx); /* it logs the markers */
	assert_true(repl_outcome_settled(repl, o.txid, o.parts));
	repl_outcomes_trim(repl, mur_wall_ms()); /* settled, but recent: kept */
	assert_int_equal(cat_txn_outcome_get(lf_catalog(fx), o.txid, outcome, sizeof outcome), 1);
	repl_outcomes_trim(repl, mur_wall_ms() + REPL_OUTCOMES_KEEP_MS_DEFAULT + 1);
	assert_int_equal(cat_txn_outcome_get(lf_catalog(fx), o.txid, outcome, sizeof outcome), 0);
	/* a list record_decision had to cut, or one that cannot be read */
	assert_false(repl_outcome_settled(repl, 77, "1:0,1:1,…"));
	assert_false(repl_outcome_settled(repl, 78, "1:0;x"));
	lf_free(fx);
}

/* The markers' LSNs the trim remembers (repl_outcome.c's ring of the
 * 1000 newest, found by txid through its index): a transaction whose
 * marker is remembered past every copy is not settled; once 1000 newer
 * ones took its place, its bound is the shard's committed LSN and it is.
 * Txids far apart and close together, the ring wrapped three times; a
 * guard of the index (passes on the ring scanned entry by entry too). */
static void test_outcome_marker_ring_remembers_the_newest(void **state)
{
	(void)state;
	lf_fixture *fx = lf_new(3);
	repl_ctx *repl = lf_engine(fx)->repl;
	const uint64_t far = UINT64_MAX / 4; /* past every copy */
	char part[32];
	lf_ok(fx, "CREATE TABLE t (id int PRIMARY KEY, v text) WITH (shards = 2, replicas = 3)");
	lf_ok(fx, "INSERT INTO t VALUES (1, 'a'), (2, 'a')");
	lf_settle(fx);
	snprintf(part, sizeof part, "%u:1", cat_table_lookup(lf_catalog(fx), NULL, "t")->id);
	/* txid k: 1,000,000 + k * 1031 for even k, k for odd k */
#define RING_TXID(k) ((k) % 2 ? (uint64_t)(k) : 1000000 + (uint64_t)(k)*1031)
	for (int k = 1; k <= 3000; k++)
		repl_outcome_marker_at(repl, RING_TXID(k),
				       cat_table_lookup(lf_catalog(fx), NULL, "t")->id, 1, far);
	for (int k = 2001; k <= 3000; k++) /* remembered: not settled */
		assert_false(repl_outcome_settled(repl, RING_TXID(k), part));
	/* gone from the ring: settled at the committed LSN, each taking the
	 * place of the oldest (2001, 2002, 2003, then 2004) */
	assert_true(repl_outcome_settled(repl, RING_TXID(2000), part));
	assert_true(repl_outcome_settled(repl, RING_TXID(17), part));
	assert_true(repl_outcome_settled(repl, RING_TXID(2001), part));
	assert_true(repl_outcome_settled(repl, RING_TXID(2002), part));
	assert_false(repl_outcome_settled(repl, RING_TXID(2005), part));
	assert_false(repl_outcome_settled(repl, RING_TXID(3000), part));
	/* a marker again for one remembered: kept as first told */
	repl_outcome_marker_at(repl, RING_TXID(2999),
			       cat_table_lookup(lf_catalog(fx), NULL, "t")->id, 1, 1);
	assert_false(repl_outcome_settled(repl, RING_TXID(2999), part));
#undef RING_TXID
	lf_free(fx);
}

static void query_ended(void *arg, pgw_result *res)
{
	*(int *)arg = res && res->kind != PGW_RESULT_ERROR ? 1 : -1;
	pgw_result_free(res);
}

/* A multi-statement Query (pgw_engine_ops.query_begin / query_end) is one
 * implicit block: its writes wait for its end, an error undoes them on
 * every copy, and without one they commit with a marker. */
static void test_multi_statement_query_is_one_block(void **state)
{
	(void)state;
	lf_fixture *fx = setup_at_two();
	void *a = lf_session(fx);
	int ended = 0;
	lead_engine_ops.query_begin(a);
	settled_ok(fx, lf_exec(fx, a, "INSERT INTO t VALUES (3, 'c')"));
	assert_int_equal(lead_engine_ops.txn_status(a), 'T'); /* the implicit block */
	settled_ok(fx, lf_exec(fx, a, "INSERT INTO t VALUES (4, 'd')"));
	lf_query *bad = lf_exec(fx, a, "SELECT * FROM no_such_table");
	lf_settle(fx);
	assert_string_equal(lf_sqlstate(bad), "42P01");
	lead_engine_ops.query_end(a, 1, query_ended, &ended);
	lf_settle(fx);
	assert_int_equal(ended, 1);
	assert_int_equal(lead_engine_ops.txn_status(a), 'I');
	assert_int_equal(lf_committed_lsn(fx, "t", 0), 2);
	copies_at(fx, 2);
	/* without an error: both inserts and the marker */
	ended = 0;
	lead_engine_ops.query_begin(a);
	settled_ok(fx, lf_exec(fx, a, "INSERT INTO t VALUES (3, 'c')"));
	settled_ok(fx, lf_exec(fx, a, "INSERT INTO t VALUES (4, 'd')"));
	lead_engine_ops.query_end(a, 0, query_ended, &ended);
	lf_settle(fx);
	assert_int_equal(ended, 1);
	assert_int_equal(lead_engine_ops.txn_status(a), 'I');
	assert_int_equal(lf_committed_lsn(fx, "t", 0), 5);
	copies_at(fx, 5);
	/* a single statement outside a Query's hooks is its own transaction */
	settled_ok(fx, lf_exec(fx, a, "INSERT INTO t VALUES (6, 'f')"));
	assert_int_equal(lead_engine_ops.txn_status(a), 'I');
	lf_free(fx);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rollback_undoes_the_block),
		cmocka_unit_test(test_commit_keeps_the_block),
		cmocka_unit_test(test_commit_marker_decided_without_the_primary),
		cmocka_unit_test(test_block_write_answered_at_the_primary),
		cmocka_unit_test(test_pipelined_write_missing_its_quorum_fails_the_commit),
		cmocka_unit_test(test_disconnect_undoes_the_block),
		cmocka_unit_test(test_error_in_block_then_commit_rolls_back),
		cmocka_unit_test(test_reads_wait_for_the_holder_not_for_itself),
		cmocka_unit_test(test_multi_shard_statement_is_all_or_nothing),
		cmocka_unit_test(test_deadlock_is_refused),
		cmocka_unit_test(test_rollback_to_savepoint_undoes_to_it),
		cmocka_unit_test(test_for_update_locks_and_lock_timeout),
		cmocka_unit_test(test_no_lock_before_a_restart_decides_the_shard),
		cmocka_unit_test(test_restart_marker_goes_before_queued_writes),
		cmocka_unit_test(test_rollback_undoes_a_copy_whose_answer_was_lost),
		cmocka_unit_test(test_restart_marker_releases_each_shard_it_lands_on),
		cmocka_unit_test(test_serializable_readers_share_and_a_writer_waits),
		cmocka_unit_test(test_deadlock_found_at_deadlock_timeout),
		cmocka_unit_test(test_session_state_machine),
		cmocka_unit_test(test_view_state_follows_the_commit),
		cmocka_unit_test(test_recorded_decision_trimmed_only_when_no_copy_needs_it),
		cmocka_unit_test(test_outcome_marker_ring_remembers_the_newest),
		cmocka_unit_test(test_multi_statement_query_is_one_block),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
