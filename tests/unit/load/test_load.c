/*
 * test_load.c — the per-copy load rings (src/load/load.c): a window sums
 * exactly the notes inside it, old slots are cleared when reused, copies
 * and nodes are kept apart, idle and dropped copies are forgotten.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "load/load.h"

static load_task read_of(uint32_t table, uint32_t shard, uint32_t node, uint64_t cpu)
{
	return (load_task){.table_id = table,
			   .shard = shard,
			   .node_id = node,
			   .rows = 2,
			   .bytes = 10,
			   .cpu_us = cpu};
}

static void test_windows(void **state)
{
	(void)state;
	load_store *ls = load_create();
	load_counts c;
	load_task r = read_of(1, 0, 2, 100);
	load_task w = {.table_id = 1,
		       .shard = 0,
		       .node_id = 2,
		       .write = 1,
		       .rows = 5,
		       .bytes = 50,
		       .cpu_us = 7};
	assert_non_null(ls);
	for (uint64_t s = 1000; s < 1020; s++) /* one read a second for 20 s */
		load_note(ls, &r, s);
	load_note(ls, &w, 1019);
	load_sum(ls, 1, 0, 2, LOAD_WINDOW_10S, 1019, &c);
	assert_int_equal(c.reads, 10); /* 1010 .. 1019 */
	assert_int_equal(c.rows_read, 20);
	assert_int_equal(c.bytes_read, 100);
	assert_int_equal(c.writes, 1);
	assert_int_equal(c.rows_written, 5);
	assert_int_equal(c.bytes_written, 50);
	assert_int_equal(c.cpu_us, 10 * 100 + 7);
	load_sum(ls, 1, 0, 2, LOAD_WINDOW_5MIN, 1019, &c);
	assert_int_equal(c.reads, 20);
	load_sum(ls, 1, 0, 2, LOAD_WINDOW_TOTAL, 1019, &c);
	assert_int_equal(c.reads, 20);
	/* 5 s later the short window holds 1015 .. 1019 only */
	load_sum(ls, 1, 0, 2, LOAD_WINDOW_10S, 1024, &c);
	assert_int_equal(c.reads, 5);
	/* long after: both windows empty, the total stays */
	load_sum(ls, 1, 0, 2, LOAD_WINDOW_10S, 2000, &c);
	assert_int_equal(c.reads, 0);
	load_sum(ls, 1, 0, 2, LOAD_WINDOW_5MIN, 2000, &c);
	assert_int_equal(c.reads, 0);
	load_sum(ls, 1, 0, 2, LOAD_WINDOW_TOTAL, 2000, &c);
	assert_int_equal(c.reads, 20);
	/* a slot reused 10 s later is cleared first */
	load_note(ls, &r, 1029);
	load_sum(ls, 1, 0, 2, LOAD_WINDOW_10S, 1029, &c);
	assert_int_equal(c.reads, 1);
	load_destroy(ls);
}

/* The load since a second: only the long slots that begin after it (the
 * one holding it may hold work from before). */
static void test_since(void **state)
{
	(void)state;
	load_store *ls = load_create();
	load_counts c;
	load_task r = read_of(1, 0, 2, 100);
	assert_non_null(ls);
	for (uint64_t s = 1000; s < 1060; s++) /* one read a second for 60 s */
		load_note(ls, &r, s);
	/* 1030 lies in the slot of 1029 .. 1038: from 1039 on */
	load_sum_since(ls, 1, 0, 2, 1030, 1059, &c);
	assert_int_equal(c.reads, 21);
	assert_int_equal(c.cpu_us, 21 * 100);
	load_sum_since(ls, 1, 0, 2, 0, 1059, &c); /* the whole long window */
	assert_int_equal(c.reads, 60);
	load_sum_since(ls, 1, 0, 2, 1059, 1059, &c); /* nothing after now's slot */
	assert_int_equal(c.reads, 0);
	load_sum_since(ls, 1, 0, 3, 0, 1059, &c); /* another copy: nothing */
	assert_int_equal(c.reads, 0);
	load_destroy(ls);
}

static void test_copies_and_nodes(void **state)
{
	(void)state;
	load_store *ls = load_create();
	load_counts c;
	load_task a = read_of(1, 0, 2, 10), b = read_of(1, 1, 2, 20), d = read_of(1, 0, 3, 40);
	load_task status = {.node_id = 2, .cpu_only = 1, .cpu_us = 1000}; /* no placement */
	load_note(ls, &a, 5);
	load_note(ls, &b, 5);
	load_note(ls, &d, 5);
	load_note(ls, &status, 5);
	load_sum(ls, 1, 0, 2, LOAD_WINDOW_10S, 5, &c);
	assert_int_equal(c.cpu_us, 10);
	load_sum(ls, 1, 0, 3, LOAD_WINDOW_10S, 5, &c);
	assert_int_equal(c.cpu_us, 40);
	load_sum(ls, 9, 0, 2, LOAD_WINDOW_10S, 5, &c);
	assert_int_equal(c.reads, 0);
	load_sum_node(ls, 2, LOAD_WINDOW_10S, 5, &c);
	assert_int_equal(c.cpu_us, 1030);
	assert_int_equal(c.reads, 2); /* the STATUS counts for its node's CPU only */
	assert_int_equal(load_copy_count(ls), 4);
	load_destroy(ls);
}

static int keep_none(void *arg, uint32_t table_id)
{
	(void)arg;
	(void)table_id;
	return 0;
}

static void test_forget(void **state)
{
	(void)state;
	load_store *ls = load_create();
	load_task a = read_of(1, 0, 2, 10), status = {.node_id = 2, .cpu_only = 1, .cpu_us = 5};
	load_note(ls, &a, 100);
	load_note(ls, &status, 100);
	load_forget_idle(ls, 200, NULL, NULL);
	assert_int_equal(load_copy_count(ls), 2); /* idle 100 s: kept */
	load_forget_idle(ls, 200, keep_none, NULL);
	assert_int_equal(load_copy_count(ls), 1); /* table gone; the node's own entry stays */
	load_forget_idle(ls, 100 + LOAD_LONG_SLOTS * LOAD_LONG_SLOT_S + 1, NULL, NULL);
	assert_int_equal(load_copy_count(ls), 0);
	load_destroy(ls);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_windows),
		cmocka_unit_test(test_since),
		cmocka_unit_test(test_copies_and_nodes),
		cmocka_unit_test(test_forget),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
