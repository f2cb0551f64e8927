/*
 * test_lead_setmemo.c — a session's settings read through the memo
 * (src/leader/lead_setmemo.c) answer as the settings are now: after SET,
 * ROLLBACK, COMMIT and RESET, in text and in ms; a name in a buffer reused
 * for another name; murphy.plan_cache_hits, which moves without a SET; and
 * a block that SETs nothing, or a read that shows no staleness, leaves the
 * settings' generation (the memo's validity) where it was.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "lead_fixture.h"
#include "leader/lead_int.h"

#include <stdio.h>
#include <string.h>

/* Run each statement of a NULL-terminated list in session s; each must
 * succeed. */
static void run(lf_fixture *fx, void *s, const char *const *sqls)
{
	for (int i = 0; sqls[i]; i++)
		lf_ok_in(fx, s, sqls[i]);
}

static void test_memo_follows_set_rollback_reset(void **state)
{
	(void)state;
	lf_fixture *fx = lf_new(3);
	lead_session *s = lf_session(fx);
	assert_int_equal(lead_session_ms(s, "statement_timeout"), 0);
	assert_int_equal(lead_session_ms(s, "deadlock_timeout"), 1000);
	run(fx, s, (const char *const[]){"SET statement_timeout = '2s'", NULL});
	assert_int_equal(lead_session_ms(s, "statement_timeout"), 2000);
	assert_string_equal(lead_session_get(s, "statement_timeout"), "2s");
	run(fx, s, (const char *const[]){"BEGIN", "SET statement_timeout = 1500", NULL});
	assert_int_equal(lead_session_ms(s, "statement_timeout"), 1500);
	run(fx, s, (const char *const[]){"ROLLBACK", NULL});
	assert_int_equal(lead_session_ms(s, "statement_timeout"), 2000);
	run(fx, s, (const char *const[]){"BEGIN", "SET LOCAL deadlock_timeout = '3s'", NULL});
	assert_int_equal(lead_session_ms(s, "deadlock_timeout"), 3000);
	run(fx, s, (const char *const[]){"COMMIT", NULL});
	assert_int_equal(lead_session_ms(s, "deadlock_timeout"), 1000);
	run(fx, s, (const char *const[]){"RESET statement_timeout", NULL});
	assert_int_equal(lead_session_ms(s, "statement_timeout"), 0);
	assert_string_equal(lead_session_get(s, "statement_timeout"), "0");
	lf_free(fx);
}

static void test_memo_checks_the_name_text(void **state)
{
	(void)state;
	lf_fixture *fx = lf_new(3);
	lead_session *s = lf_session(fx);
	char name[64];
	run(fx, s, (const char *const[]){"SET lock_timeout = '4s'", NULL});
	snprintf(name, sizeof name, "lock_timeout");
	assert_string_equal(lead_session_get(s, name), "4s");
	assert_int_equal(lead_session_ms(s, name), 4000);
	snprintf(name, sizeof name, "statement_timeout"); /* the same address */
	assert_string_equal(lead_session_get(s, name), "0");
	assert_int_equal(lead_session_ms(s, name), 0);
	snprintf(name, sizeof name, "%s", "a_setting_name_longer_than_any_memo_slot_holds_x");
	assert_null(lead_session_get(s, name)); /* unknown: not memoized either */
	lf_free(fx);
}

static void test_plan_cache_hits_moves_without_set(void **state)
{
	(void)state;
	lf_fixture *fx = lf_new(3);
	lead_session *s = lf_session(fx);
	s->plan_hits = 7; /* statements run from the cache (op_prepare's stmt_from_cache) */
	assert_string_equal(lead_session_get(s, "murphy.plan_cache_hits"), "7");
	s->plan_hits = 8;
	assert_string_equal(lead_session_get(s, "murphy.plan_cache_hits"), "8");
	lf_free(fx);
}

static void test_block_without_set_keeps_the_generation(void **state)
{
	(void)state;
	lf_fixture *fx = lf_new(3);
	lead_session *s = lf_session(fx);
	unsigned gen;
	lf_ok(fx, "CREATE TABLE t (id int PRIMARY KEY, v text)");
	/* the first block adds transaction_isolation and transaction_read_only */
	run(fx, s, (const char *const[]){"SET lock_timeout = '4s'", "BEGIN", "COMMIT", NULL});
	gen = s->settings_gen;
	run(fx, s,
	    (const char *const[]){"BEGIN", "INSERT INTO t VALUES (1, 'a')", "COMMIT", "BEGIN",
				  "UPDATE t SET v = 'b' WHERE id = 1", "ROLLBACK", NULL});
	assert_int_equal(s->settings_gen, gen);
	run(fx, s, (const char *const[]){"BEGIN", "SET lock_timeout = '5s'", "ROLLBACK", NULL});
	assert_int_not_equal(s->settings_gen, gen); /* set, then restored */
	assert_int_equal(lead_session_ms(s, "lock_timeout"), 4000);
	lf_free(fx);
}

/* A read that shows no staleness leaves murphy.last_read_staleness at the
 * "0" it shows already: no entry added (which the end of a block would
 * take away again), the generation stays.  The fake followers do not run
 * queries (they answer 0A000): a failed read reports "0" too. */
static void test_read_without_staleness_keeps_the_generation(void **state)
{
	(void)state;
	lf_fixture *fx = lf_new(3);
	lead_session *s = lf_session(fx);
	unsigned gen;
	lf_query *q;
	lf_ok(fx, "CREATE TABLE t (id int PRIMARY KEY, v text) WITH (shards = 1, replicas = 3)");
	run(fx, s, (const char *const[]){"BEGIN", "COMMIT", NULL});
	gen = s->settings_gen;
	q = lf_exec(fx, s, "SELECT v FROM t WHERE id = 1");
	lf_settle(fx);
	assert_true(lf_done(q));
	assert_string_equal(lf_sqlstate(q), "0A000");
	assert_string_equal(lead_session_get(s, "murphy.last_read_staleness"), "0");
	assert_int_equal(s->settings_gen, gen);
	lf_free(fx);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_memo_follows_set_rollback_reset),
		cmocka_unit_test(test_memo_checks_the_name_text),
		cmocka_unit_test(test_plan_cache_hits_moves_without_set),
		cmocka_unit_test(test_block_without_set_keeps_the_generation),
		cmocka_unit_test(test_read_without_staleness_keeps_the_generation),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
