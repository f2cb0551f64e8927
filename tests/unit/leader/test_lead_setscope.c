/*
 * test_lead_setscope.c — SET inside a block is transactional
 * (src/leader/lead_setscope.c; docs/transactions.md, "Settings in a
 * block"), through the leader-engine fixture: ROLLBACK brings BEGIN's
 * settings back, COMMIT keeps SET and undoes SET LOCAL, ROLLBACK TO undoes
 * the SETs after the savepoint, SET LOCAL outside a block changes nothing,
 * and report_params names each reportable setting whose value changed
 * since the client was last told, a revert included.
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

static const char *get(void *s, const char *name) { return lead_session_get(s, name); }

static void test_rollback_commit_and_local(void **state)
{
	(void)state;
	lf_fixture *fx = lf_new(3);
	void *s = lf_session(fx);
	run(fx, s,
	    (const char *const[]){"SET statement_timeout = '2s'", "BEGIN",
				  "SET statement_timeout = '1s'", NULL});
	assert_string_equal(get(s, "statement_timeout"), "1s");
	run(fx, s, (const char *const[]){"ROLLBACK", NULL});
	assert_string_equal(get(s, "statement_timeout"), "2s");
	run(fx, s,
	    (const char *const[]){"BEGIN", "SET lock_timeout = '3s'",
				  "SET LOCAL statement_timeout = '5s'", NULL});
	assert_string_equal(get(s, "statement_timeout"), "5s");
	run(fx, s, (const char *const[]){"COMMIT", NULL});
	assert_string_equal(get(s, "lock_timeout"), "3s");      /* SET: kept */
	assert_string_equal(get(s, "statement_timeout"), "2s"); /* LOCAL: undone */
	run(fx, s, (const char *const[]){"SET LOCAL statement_timeout = '9s'", NULL});
	assert_string_equal(get(s, "statement_timeout"), "2s"); /* outside: nothing */
	run(fx, s, (const char *const[]){"SET LOCAL bytea_output = 'escape'", NULL});
	assert_string_equal(get(s, "bytea_output"), "hex"); /* its default, as before */
	lf_free(fx);
}

static void test_savepoint_and_failed_block(void **state)
{
	(void)state;
	lf_fixture *fx = lf_new(3);
	void *s = lf_session(fx);
	lf_query *q;
	run(fx, s,
	    (const char *const[]){"BEGIN", "SET search_path = a", "SAVEPOINT p",
				  "SET search_path = b", "SET LOCAL lock_timeout = '1s'",
				  "ROLLBACK TO SAVEPOINT p", NULL});
	assert_string_equal(get(s, "search_path"), "a");
	assert_string_equal(get(s, "lock_timeout"), "0");
	q = lf_exec(fx, s, "SELECT 1/0");
	lf_settle(fx);
	assert_string_equal(lf_sqlstate(q), "22012");
	run(fx, s, (const char *const[]){"COMMIT", NULL}); /* answers ROLLBACK */
	assert_string_not_equal(get(s, "search_path"), "a");
	lf_free(fx);
}

typedef struct reported {
	int n;
	char names[8][32], values[8][64];
} reported;

static void put(void *arg, const char *name, const char *value)
{
	reported *r = arg;
	assert_true(r->n < 8);
	snprintf(r->names[r->n], sizeof r->names[0], "%s", name);
	snprintf(r->values[r->n], sizeof r->values[0], "%s", value);
	r->n++;
}

static void test_parameter_status_follows_a_revert(void **state)
{
	(void)state;
	lf_fixture *fx = lf_new(3);
	void *s = lf_session(fx);
	reported r = {0};
	lead_setscope_report(s, put, &r);
	assert_int_equal(r.n, 0); /* nothing changed since the startup */
	run(fx, s, (const char *const[]){"BEGIN", "SET TimeZone = 'Europe/Paris'", NULL});
	lead_setscope_report(s, put, &r);
	assert_int_equal(r.n, 1);
	assert_string_equal(r.names[0], "TimeZone");
	assert_string_equal(r.values[0], "Europe/Paris");
	lead_setscope_report(s, put, &r);
	assert_int_equal(r.n, 1); /* told once */
	run(fx, s, (const char *const[]){"ROLLBACK", NULL});
	lead_setscope_report(s, put, &r);
	assert_int_equal(r.n, 2);
	assert_string_equal(r.names[1], "TimeZone");
	assert_string_equal(r.values[1], "UTC");
	lf_free(fx);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rollback_commit_and_local),
		cmocka_unit_test(test_savepoint_and_failed_block),
		cmocka_unit_test(test_parameter_status_follows_a_revert),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
