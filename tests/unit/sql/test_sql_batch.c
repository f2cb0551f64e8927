/*
 * test_sql_batch.c — the batched form of a plain scan (sql/plan_batch.c):
 * which plans get one, and that its batches, run one after another in a
 * one-"shard" SQLite after each last key, read every row once in key
 * order.
 */
#include "test_sql_common.h"

static sqlite3 *db;

static int setup(void **state)
{
	setup_catalog(state);
	db = shard_open();
	shard_exec(db,
		   "CREATE TABLE main.events (id INTEGER PRIMARY KEY, user_id INTEGER, kind TEXT, "
		   "created_at TEXT, amount REAL, flag INTEGER) STRICT");
	shard_exec(db, "INSERT INTO events VALUES (7, 10, 'a', NULL, 1.5, 1), "
		       "(2, NULL, 'B', NULL, 2.5, 0), (3, 5, NULL, NULL, NULL, NULL), "
		       "(9, 1, 'c', NULL, 0.5, 1)");
	return 0;
}

static int teardown(void **state)
{
	sqlite3_close(db);
	return teardown_catalog(state);
}

/* The batch after last (NULL: the first), limit rows, run. */
static const char *batch(const plan *p, const mur_value *last, uint32_t limit)
{
	mur_buf b;
	static char out[4096];
	mur_buf_init(&b);
	assert_int_equal(sql_batch_sql(&p->u.select, last, limit, &b), MUR_OK);
	mur_buf_put_u8(&b, 0);
	snprintf(out, sizeof out, "%s", shard_query(db, b.data));
	mur_buf_free(&b);
	return out;
}

static void test_batches_follow_the_key(void **state)
{
	plan *p = P("SELECT kind, amount FROM events WHERE amount > 1.0 OR amount IS NULL");
	mur_value k;
	(void)state;
	assert_non_null(p->u.select.batch_head);
	assert_int_equal(p->u.select.batch_nkeys, 1);
	assert_string_equal(p->u.select.batch_keys, "\"events\".\"id\"");
	/* the key rides after the outputs; rows come in key order */
	assert_string_equal(batch(p, NULL, 2), "B|2.5|2;N|N|3");
	k = mur_v_int(3);
	assert_string_equal(batch(p, &k, 2), "a|1.5|7");
	k = mur_v_int(7);
	assert_string_equal(batch(p, &k, 2), ""); /* 9 fails the filter: the shard is done */
	plan_free(p);
	p = P("SELECT * FROM events"); /* no WHERE: the keyset makes one */
	k = mur_v_int(2);
	assert_string_equal(batch(p, &k, 1), "3|5|N|N|N|N|3");
	plan_free(p);
}

/* Only plain scans get plan_batch.c's form (the others complete per
 * shard get plan_batch_whole.c's: test_whole_query_batches; groups
 * repartitioned to owners plan_batch_owner.c's). */
static void test_only_plain_scans_are_batched(void **state)
{
	static const char *const whole[] = {
		"SELECT kind FROM events LIMIT 3",
		"SELECT DISTINCT kind FROM events ORDER BY kind",
		"SELECT DISTINCT kind FROM events",
		"SELECT count(*) FROM events",
		"SELECT kind, count(*) FROM events GROUP BY kind",
		"SELECT kind FROM events FOR UPDATE",
		"SELECT row_number() OVER () FROM events",
	};
	(void)state;
	for (size_t i = 0; i < sizeof whole / sizeof whole[0]; i++) {
		plan *p = P(whole[i]);
		if (p->kind == PLAN_SELECT && p->u.select.batch_head)
			print_error("batched: %s\n", whole[i]);
		assert_true(p->kind != PLAN_SELECT || !p->u.select.batch_head ||
			    p->u.select.batch_whole || p->u.select.batch_owner);
		plan_free(p);
	}
}

/* ORDER BY: batches in the sort's order, then the key's, each after
 * the last (sort value, key) read, NULLs where the sort puts them. */
static void test_sorted_batches(void **state)
{
	plan *p = P("SELECT kind FROM events ORDER BY kind");
	mur_value last[2];
	(void)state;
	assert_non_null(p->u.select.batch_head);
	assert_int_equal(p->u.select.batch_nsort, 1);
	assert_string_equal(batch(p, NULL, 2), "B|2;a|7");
	last[0] = mur_v_text("a", 1);
	last[1] = mur_v_int(7);
	assert_string_equal(batch(p, last, 2), "c|9;N|3"); /* NULLS LAST */
	last[0] = mur_v_null();
	last[1] = mur_v_int(3);
	assert_string_equal(batch(p, last, 2), "");
	plan_free(p);
	p = P("SELECT amount FROM events ORDER BY kind DESC"); /* NULLS FIRST; kind hidden */
	assert_string_equal(batch(p, NULL, 2), "N|N|3;0.5|c|9");
	last[0] = mur_v_null();
	last[1] = mur_v_int(3);
	assert_string_equal(batch(p, last, 1), "0.5|c|9");
	last[0] = mur_v_text("c", 1);
	last[1] = mur_v_int(9);
	assert_string_equal(batch(p, last, 5), "1.5|a|7;2.5|B|2");
	plan_free(p);
	p = P("SELECT kind FROM events ORDER BY id DESC"); /* NOT NULL: a range leads */
	assert_true(p->u.select.batch_first_notnull);
	last[0] = mur_v_int(7);
	last[1] = mur_v_int(7);
	assert_string_equal(batch(p, last, 5), "N|3|3;B|2|2");
	{
		mur_buf b;
		mur_buf_init(&b);
		assert_int_equal(sql_batch_sql(&p->u.select, last, 5, &b), MUR_OK);
		mur_buf_put_u8(&b, 0);
		assert_non_null(strstr(b.data, " WHERE (\"events\".\"id\") <= 7 AND ("));
		mur_buf_free(&b);
	}
	plan_free(p);
	p = P("SELECT id FROM events ORDER BY flag NULLS FIRST, amount DESC LIMIT 2 OFFSET 1");
	assert_false(p->u.select.batch_first_notnull);
	assert_int_equal(p->u.select.batch_nsort, 2);
	assert_int_equal(p->u.select.batch_limit, 2);
	assert_int_equal(p->u.select.batch_offset, 1);
	plan_free(p);
}

/* Complete per shard (sql/plan_batch_whole.c): the whole query on the
 * shard, in batches after the last of a unique order of its result. */
static void test_whole_query_batches(void **state)
{
	plan *p = P("SELECT id, count(*) FROM events GROUP BY id");
	mur_value k, last[2];
	(void)state;
	assert_true(p->u.select.batch_whole);
	assert_non_null(p->u.select.batch_mark); /* the condition in its HAVING */
	assert_string_equal(batch(p, NULL, 2), "2|1|2;3|1|3");
	k = mur_v_int(3);
	assert_string_equal(batch(p, &k, 5), "7|1|7;9|1|9");
	plan_free(p);
	p = P("SELECT kind FROM events ORDER BY lower(kind)"); /* an expression */
	assert_true(p->u.select.batch_whole);
	assert_int_equal(p->u.select.batch_nsort, 1);
	assert_string_equal(batch(p, NULL, 2), "a|a|7;B|b|2");
	last[0] = mur_v_text("b", 1);
	last[1] = mur_v_int(2);
	assert_string_equal(batch(p, last, 5), "c|c|9;N|N|3");
	plan_free(p);
	p = P("SELECT DISTINCT user_id, kind FROM events"); /* not per shard: per owner */
	assert_false(p->u.select.batch_whole);
	assert_true(p->u.select.batch_owner);
	assert_string_equal(p->u.select.batch_head,
			    "WITH _mo(c0, c1) AS (SELECT DISTINCT c0, c1 FROM r) SELECT c0, c1 "
			    "FROM _mo");
	plan_free(p);
	p = P("SELECT kind, count(*) FROM events GROUP BY kind ORDER BY 2 DESC LIMIT 3");
	assert_true(p->u.select.batch_owner); /* the final SQL over each owner's groups */
	assert_int_equal(p->u.select.batch_nsort, 1);
	assert_non_null(strstr(p->u.select.batch_head, ") SELECT c0, c1 FROM _mo ORDER BY (c1) "
						       "DESC NULLS FIRST"));
	plan_free(p);
	p = P("SELECT kind FROM events GROUP BY kind ORDER BY max(id)"); /* not in the list */
	assert_null(p->u.select.batch_head);
	assert_non_null(strstr(p->u.select.batch_why, "select list lacks"));
	plan_free(p);
	p = P("SELECT DISTINCT id, kind FROM events");
	assert_true(p->u.select.batch_whole);
	assert_null(p->u.select.batch_mark); /* wrapped in a WITH */
	last[0] = mur_v_int(3);              /* the keys are the select list, NULLs first */
	last[1] = mur_v_null();
	assert_string_equal(batch(p, last, 1), "7|a|7|a");
	plan_free(p);
}

static void test_text_key_is_a_quoted_literal(void **state)
{
	plan *p = P("SELECT id FROM events");
	plan_select ps = p->u.select;
	mur_value k = mur_v_text("it's", 4);
	mur_buf b;
	(void)state;
	ps.batch_keys = "\"events\".\"kind\""; /* as a text key would be */
	mur_buf_init(&b);
	assert_int_equal(sql_batch_sql(&ps, &k, 5, &b), MUR_OK);
	mur_buf_put_u8(&b, 0);
	assert_non_null(strstr(b.data, " WHERE (\"events\".\"kind\") > ('it''s') ORDER BY "
				       "\"events\".\"kind\" LIMIT 5"));
	mur_buf_free(&b);
	plan_free(p);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_batches_follow_the_key),
		cmocka_unit_test(test_only_plain_scans_are_batched),
		cmocka_unit_test(test_sorted_batches),
		cmocka_unit_test(test_text_key_is_a_quoted_literal),
		cmocka_unit_test(test_whole_query_batches),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
