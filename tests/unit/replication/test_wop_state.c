/*
 * test_wop_state.c — the write op's state machine (src/replication/repl.h):
 * every arrow of the diagram is accepted, every other pair of states
 * (self-transitions included) is refused, and values out of range are
 * refused too.  The expected arrows are written here from the diagram,
 * independently of the table in repl_write.c.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "replication/repl.h"

#include <stdio.h>
#include <string.h>

typedef struct arrow {
	repl_wop_state from, to;
} arrow;

/* The diagram in repl.h, arrow by arrow. */
static const arrow diagram[] = {
	{REPL_WOP_QUEUED, REPL_WOP_PRIMARY},        /* sent */
	{REPL_WOP_QUEUED, REPL_WOP_DONE},           /* not sent: no quorum, dropped, OOM */
	{REPL_WOP_PRIMARY, REPL_WOP_REPLICATING},   /* entry n logged */
	{REPL_WOP_PRIMARY, REPL_WOP_COMMITTED},     /* no row changed */
	{REPL_WOP_PRIMARY, REPL_WOP_FAILING},       /* an answer failed */
	{REPL_WOP_PRIMARY, REPL_WOP_QUEUED},        /* an op ahead failed */
	{REPL_WOP_REPLICATING, REPL_WOP_COMMITTED}, /* acks >= quorum */
	{REPL_WOP_REPLICATING, REPL_WOP_FAILING},   /* failed / quorum impossible */
	{REPL_WOP_REPLICATING, REPL_WOP_QUEUED},    /* an op ahead failed */
	{REPL_WOP_FAILING, REPL_WOP_UNDOING},       /* a copy holds entry n */
	{REPL_WOP_FAILING, REPL_WOP_DONE},          /* no copy holds it */
	{REPL_WOP_FAILING, REPL_WOP_QUEUED},        /* an op ahead failed */
	{REPL_WOP_COMMITTED, REPL_WOP_DONE},        /* every answer in */
	{REPL_WOP_UNDOING, REPL_WOP_DONE},          /* every undo answered */
};

static int in_diagram(repl_wop_state from, repl_wop_state to)
{
	for (size_t i = 0; i < sizeof diagram / sizeof diagram[0]; i++)
		if (diagram[i].from == from && diagram[i].to == to)
			return 1;
	return 0;
}

static void test_every_pair(void **state)
{
	int allowed = 0;
	(void)state;
	for (int from = 0; from < REPL_WOP_STATES; from++)
		for (int to = 0; to < REPL_WOP_STATES; to++) {
			int want = in_diagram(from, to);
			int got = repl_wop_transition_allowed(from, to);
			if (got != want)
				fail_msg("%s -> %s: allowed %d, the diagram says %d",
					 repl_wop_state_name(from), repl_wop_state_name(to), got,
					 want);
			allowed += got;
		}
	assert_int_equal(allowed, (int)(sizeof diagram / sizeof diagram[0]));
}

static void test_done_is_final_and_committed_never_fails(void **state)
{
	(void)state;
	for (int to = 0; to < REPL_WOP_STATES; to++)
		assert_false(repl_wop_transition_allowed(REPL_WOP_DONE, to));
	assert_false(repl_wop_transition_allowed(REPL_WOP_COMMITTED, REPL_WOP_FAILING));
	assert_false(repl_wop_transition_allowed(REPL_WOP_COMMITTED, REPL_WOP_UNDOING));
	assert_false(repl_wop_transition_allowed(REPL_WOP_COMMITTED, REPL_WOP_QUEUED));
	assert_false(repl_wop_transition_allowed(REPL_WOP_FAILING, REPL_WOP_COMMITTED));
}

static void test_out_of_range(void **state)
{
	(void)state;
	assert_false(repl_wop_transition_allowed(REPL_WOP_STATES, REPL_WOP_DONE));
	assert_false(repl_wop_transition_allowed(REPL_WOP_QUEUED, REPL_WOP_STATES));
	assert_false(repl_wop_transition_allowed((repl_wop_state)-1, REPL_WOP_PRIMARY));
	assert_string_equal(repl_wop_state_name(REPL_WOP_STATES), "?");
}

static void test_names_distinct(void **state)
{
	(void)state;
	for (int a = 0; a < REPL_WOP_STATES; a++) {
		assert_string_not_equal(repl_wop_state_name(a), "?");
		for (int b = a + 1; b < REPL_WOP_STATES; b++)
			assert_string_not_equal(repl_wop_state_name(a), repl_wop_state_name(b));
	}
	assert_string_equal(repl_wop_state_name(REPL_WOP_COMMITTED), "committed");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_every_pair),
		cmocka_unit_test(test_done_is_final_and_committed_never_fails),
		cmocka_unit_test(test_out_of_range),
		cmocka_unit_test(test_names_distinct),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
