/*
 * test_placement_state.c — the placement state machine (catalog.h): every
 * arrow of the diagram is accepted, every other pair of states refused (a
 * state to itself is no transition), values out of range refused;
 * cat_placement_set_state moves along an arrow and leaves a placement set
 * to the state it has as it was.  The expected arrows are written here
 * from the diagram, independently of the table in catalog.c.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "catalog/catalog.h"

#include <stdio.h>
#include <string.h>

typedef struct arrow {
	cat_placement_state from, to;
} arrow;

/* The arrow list in catalog.h. */
static const arrow diagram[] = {
	{CAT_PL_CURRENT, CAT_PL_LAGGING},      {CAT_PL_CURRENT, CAT_PL_DIVERGENT},
	{CAT_PL_LAGGING, CAT_PL_CURRENT},      {CAT_PL_LAGGING, CAT_PL_DIVERGENT},
	{CAT_PL_LAGGING, CAT_PL_REBUILDING},   {CAT_PL_DIVERGENT, CAT_PL_CURRENT},
	{CAT_PL_DIVERGENT, CAT_PL_LAGGING},    {CAT_PL_DIVERGENT, CAT_PL_REBUILDING},
	{CAT_PL_REBUILDING, CAT_PL_CURRENT},   {CAT_PL_REBUILDING, CAT_PL_LAGGING},
	{CAT_PL_REBUILDING, CAT_PL_DIVERGENT},
};

static int in_diagram(cat_placement_state from, cat_placement_state to)
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
	for (int from = 0; from < CAT_PL_STATES; from++)
		for (int to = 0; to < CAT_PL_STATES; to++) {
			int want = in_diagram(from, to);
			int got = cat_placement_transition_allowed(from, to);
			if (got != want)
				fail_msg("%s -> %s: allowed %d, the diagram says %d",
					 cat_placement_state_name(from),
					 cat_placement_state_name(to), got, want);
			allowed += got;
		}
	assert_int_equal(allowed, (int)(sizeof diagram / sizeof diagram[0]));
	/* a current copy is never rebuilt in place */
	assert_false(cat_placement_transition_allowed(CAT_PL_CURRENT, CAT_PL_REBUILDING));
}

static void test_out_of_range(void **state)
{
	(void)state;
	assert_false(cat_placement_transition_allowed(CAT_PL_STATES, CAT_PL_CURRENT));
	assert_false(cat_placement_transition_allowed(CAT_PL_CURRENT, CAT_PL_STATES));
	assert_false(cat_placement_transition_allowed((cat_placement_state)-1, CAT_PL_LAGGING));
	assert_string_equal(cat_placement_state_name(CAT_PL_STATES), "?");
	assert_string_equal(cat_placement_state_name(CAT_PL_DIVERGENT), "divergent");
}

static void test_set_state(void **state)
{
	cat_placement p;
	(void)state;
	memset(&p, 0, sizeof p);
	p.node_id = 7;
	p.state = CAT_PL_CURRENT;
	cat_placement_set_state(&p, CAT_PL_CURRENT); /* no change */
	assert_int_equal(p.state, CAT_PL_CURRENT);
	cat_placement_set_state(&p, CAT_PL_LAGGING);
	assert_int_equal(p.state, CAT_PL_LAGGING);
	cat_placement_set_state(&p, CAT_PL_REBUILDING);
	assert_int_equal(p.state, CAT_PL_REBUILDING);
	cat_placement_set_state(&p, CAT_PL_CURRENT);
	assert_int_equal(p.state, CAT_PL_CURRENT);
	assert_int_equal(p.node_id, 7);
}

/* A placement added at run time starts REBUILDING (not a transition). */
static void test_added_placement_rebuilds(void **state)
{
	mur_error err;
	catalog *c = cat_open(NULL, &err);
	const cat_node *n;
	cat_table def, *t;
	const cat_table *out;
	(void)state;
	assert_non_null(c);
	assert_int_equal(cat_upsert_node(c, "f1", "127.0.0.1:1", CAT_NODE_FOLLOWER, &n, &err),
			 MUR_OK);
	memset(&def, 0, sizeof def);
	snprintf(def.name, sizeof def.name, "t");
	def.ncols = 1;
	snprintf(def.cols[0].name, sizeof def.cols[0].name, "id");
	def.cols[0].type = MT_INT8;
	def.cols[0].typmod = -1;
	def.nshards = 1;
	def.replicas = 1;
	assert_int_equal(cat_create_table(c, &def, &out, &err), MUR_OK);
	t = cat_table_by_id(c, out->id);
	assert_int_equal(cat_upsert_node(c, "f2", "127.0.0.1:2", CAT_NODE_FOLLOWER, &n, &err),
			 MUR_OK);
	assert_int_equal(cat_placement_add(c, t->id, 0, n->id, CAT_REPLICA, &err), MUR_OK);
	assert_int_equal(cat_placement_on(&t->shards[0], n->id)->state, CAT_PL_REBUILDING);
	assert_null(cat_placement_on(&t->shards[0], 999));
	assert_string_equal(cat_node_name(c, n->id), "f2");
	assert_string_equal(cat_node_name(c, 999), "?");
	cat_close(c);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_every_pair),
		cmocka_unit_test(test_out_of_range),
		cmocka_unit_test(test_set_state),
		cmocka_unit_test(test_added_placement_rebuilds),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
