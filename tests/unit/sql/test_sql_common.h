/*
 * test_sql_common.h — fixtures shared by the SQL front-end tests: an
 * in-memory catalog with a few distributed tables, plan helpers, and a
 * one-"shard" SQLite to execute emitted SQL with murphy's functions.
 *
 *   events(id int8 primary key, user_id int4, kind text, created_at timestamp,
 *          amount numeric, flag bool) PARTITION BY HASH (id), 8 shards
 *   users(id int4 primary key, state text, name varchar(20)), 8 shards
 *   orders(user_id int4, total int8, note text) PARTITION BY HASH (user_id), 8 shards
 *   other(id int4 primary key, x int4) WITH (shards = 4)
 */
#ifndef TEST_SQL_COMMON_H
#define TEST_SQL_COMMON_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <sqlite3.h>

#include "catalog/catalog.h"
#include "sql/plan.h"
#include "sql/sql.h"
#include "storage/storage.h"

static catalog *tcat;

static __attribute__((unused)) void tcol(cat_table *t, const char *name, mur_type type, int pk)
{
	cat_column *c = &t->cols[t->ncols++];
	memset(c, 0, sizeof *c);
	snprintf(c->name, sizeof c->name, "%s", name);
	c->type = type;
	c->typmod = -1;
	c->primary_key = pk;
	c->not_null = pk;
}

static __attribute__((unused)) void tcreate(cat_table *t, const char *name, int dist,
					    uint32_t nshards)
{
	const cat_table *out;
	mur_error err;
	snprintf(t->name, sizeof t->name, "%s", name);
	snprintf(t->schema, sizeof t->schema, "public");
	t->dist_col = dist;
	t->nshards = nshards;
	t->replicas = 1;
	assert_int_equal(cat_create_table(tcat, t, &out, &err), MUR_OK);
}

static __attribute__((unused)) int setup_catalog(void **state)
{
	static cat_table t; /* large: keep off the stack */
	mur_error err;
	tcat = cat_open(NULL, &err);
	assert_non_null(tcat);
	memset(&t, 0, sizeof t);
	tcol(&t, "id", MT_INT8, 1);
	tcol(&t, "user_id", MT_INT4, 0);
	tcol(&t, "kind", MT_TEXT, 0);
	tcol(&t, "created_at", MT_TIMESTAMP, 0);
	tcol(&t, "amount", MT_NUMERIC, 0);
	tcol(&t, "flag", MT_BOOL, 0);
	tcreate(&t, "events", 0, 8);
	memset(&t, 0, sizeof t);
	tcol(&t, "id", MT_INT4, 1);
	tcol(&t, "state", MT_TEXT, 0);
	tcol(&t, "name", MT_VARCHAR, 0);
	t.cols[2].typmod = 20;
	tcreate(&t, "users", 0, 8);
	memset(&t, 0, sizeof t);
	tcol(&t, "user_id", MT_INT4, 0);
	tcol(&t, "total", MT_INT8, 0);
	tcol(&t, "note", MT_TEXT, 0);
	tcreate(&t, "orders", 0, 8);
	memset(&t, 0, sizeof t);
	tcol(&t, "id", MT_INT4, 1);
	tcol(&t, "x", MT_INT4, 0);
	t.cols[1].default_sql = "42";
	tcreate(&t, "other", 0, 4);
	return 0;
}

static __attribute__((unused)) int teardown_catalog(void **state)
{
	cat_close(tcat);
	return 0;
}

/* Plan sql; fail the test on error (printing it). */
static __attribute__((unused)) plan *P(const char *sql)
{
	plan *p = NULL;
	mur_error err;
	int rc = sql_prepare(tcat, sql, 0, NULL, &p, &err);
	if (rc != MUR_OK)
		print_error("unexpected error for %s: %s %s (pos %d)\n", sql, err.sqlstate,
			    err.message, err.position);
	assert_int_equal(rc, MUR_OK);
	return p;
}

/* Plan sql expecting an error with this SQLSTATE; returns it for more checks. */
static __attribute__((unused)) mur_error E(const char *sql, const char *sqlstate)
{
	plan *p = NULL;
	mur_error err;
	int rc = sql_prepare(tcat, sql, 0, NULL, &p, &err);
	if (rc == MUR_OK) {
		print_error("expected %s for %s, got a plan\n", sqlstate, sql);
		plan_free(p);
	}
	assert_int_not_equal(rc, MUR_OK);
	if (strcmp(err.sqlstate, sqlstate))
		print_error("%s: got %s %s\n", sql, err.sqlstate, err.message);
	assert_string_equal(err.sqlstate, sqlstate);
	return err;
}

/* ---- a one-shard SQLite ---- */

static __attribute__((unused)) sqlite3 *shard_open(void)
{
	sqlite3 *db;
	assert_int_equal(sqlite3_open(":memory:", &db), SQLITE_OK);
	assert_int_equal(stor_register_functions(db), SQLITE_OK);
	return db;
}

static __attribute__((unused)) void shard_exec(sqlite3 *db, const char *sql)
{
	char *msg = NULL;
	if (sqlite3_exec(db, sql, NULL, NULL, &msg) != SQLITE_OK) {
		print_error("sqlite error on %s: %s\n", sql, msg);
		sqlite3_free(msg);
		fail();
	}
}

/* Run sql; concatenate the rows as "a|b;c|d" (NULL as "N").  Returns
 * sqlite's error message (static buffer) prefixed "ERR:" on error. */
static __attribute__((unused)) const char *shard_query(sqlite3 *db, const char *sql)
{
	static char out[4096];
	sqlite3_stmt *st;
	size_t n = 0;
	int rc;
	out[0] = '\0';
	if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK) {
		snprintf(out, sizeof out, "ERR:%s", sqlite3_errmsg(db));
		return out;
	}
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		if (n)
			n += (size_t)snprintf(out + n, sizeof out - n, ";");
		for (int i = 0; i < sqlite3_column_count(st); i++) {
			const char *v = (const char *)sqlite3_column_text(st, i);
			n += (size_t)snprintf(out + n, sizeof out - n, "%s%s", i ? "|" : "",
					      v ? v : "N");
		}
	}
	if (rc != SQLITE_DONE)
		snprintf(out, sizeof out, "ERR:%s", sqlite3_errmsg(db));
	sqlite3_finalize(st);
	return out;
}

#endif
