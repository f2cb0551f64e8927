/*
 * test_pgc.c — pgcatalog without processes: which SELECTs are catalog
 * queries (pgc_wants), their SQLite text and result types
 * (pgc_translate), and the tables and functions answering them over an
 * in-memory catalog (pgc_materialize, pgc_register) in a bare SQLite.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "parser/analyze.h"
#include "parser/parser.h"
#include "pgcatalog/pgcatalog.h"
#include "storage/storage.h"

static catalog *tcat;
static sqlite3 *db;
static pgc_session_hooks no_hooks; /* the catalog, no session */

static int setup(void **state)
{
	static cat_table t; /* large: keep off the stack */
	const cat_table *out;
	mur_error err;
	(void)state;
	tcat = cat_open(NULL, &err);
	assert_non_null(tcat);
	memset(&t, 0, sizeof t);
	snprintf(t.name, sizeof t.name, "items");
	snprintf(t.schema, sizeof t.schema, "public");
	t.ncols = 3;
	snprintf(t.cols[0].name, sizeof t.cols[0].name, "id");
	t.cols[0].type = MT_INT8;
	t.cols[0].primary_key = t.cols[0].not_null = 1;
	snprintf(t.cols[1].name, sizeof t.cols[1].name, "label");
	t.cols[1].type = MT_VARCHAR;
	t.cols[1].typmod = 12;
	snprintf(t.cols[2].name, sizeof t.cols[2].name, "price");
	t.cols[2].type = MT_FLOAT8;
	t.cols[2].typmod = -1;
	t.nshards = 2;
	t.replicas = 1;
	assert_int_equal(cat_create_table(tcat, &t, &out, &err), MUR_OK);
	no_hooks.cat = tcat;
	assert_int_equal(sqlite3_open(":memory:", &db), SQLITE_OK);
	stor_register_functions(db);
	assert_int_equal(pgc_register(db, &no_hooks, &err), MUR_OK);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	sqlite3_close(db);
	cat_close(tcat);
	return 0;
}

static int wants(const char *sql)
{
	sql_tree *tree = NULL;
	mur_error err;
	int w;
	assert_int_equal(sql_parse(sql, &tree, &err), MUR_OK);
	w = pgc_wants(sql_tree_result(tree)->stmts[0]->stmt);
	sql_tree_free(tree);
	return w;
}

static void test_wants(void **state)
{
	(void)state;
	assert_true(wants("SELECT relname FROM pg_catalog.pg_class"));
	assert_true(wants("SELECT 1 FROM pg_type WHERE typname = 'hstore'"));
	assert_true(wants("SELECT * FROM information_schema.tables"));
	assert_true(wants("SELECT 'items'::regclass"));
	assert_true(wants("SELECT x FROM t WHERE EXISTS (SELECT 1 FROM pg_namespace)"));
	assert_true(wants("SELECT current_setting('server_version_num')"));
	assert_true(wants("SELECT pg_catalog.version()"));
	assert_false(wants("SELECT version()"));
	assert_false(wants("SELECT * FROM items WHERE id = 1"));
	assert_false(wants("SELECT * FROM tables")); /* a user table of that name */
	assert_false(wants("INSERT INTO items VALUES (1)"));
}

/* Translate sql, run it, and return its rows as "a|b\n" lines. */
static int run(const char *sql, char *out, size_t n, pgc_column *cols, int *ncols, mur_error *err)
{
	sql_tree *tree = NULL;
	sqlite3_stmt *st;
	mur_buf b;
	int nparams, rc;
	size_t len = 0;
	assert_int_equal(sql_parse(sql, &tree, err), MUR_OK);
	mur_buf_init(&b);
	rc = pgc_translate(sql_tree_result(tree)->stmts[0]->stmt, &b, cols, ncols, &nparams, err);
	sql_tree_free(tree);
	if (rc != MUR_OK) {
		mur_buf_free(&b);
		return rc;
	}
	assert_int_equal(pgc_materialize(db, tcat, &no_hooks, NULL, 0, mur_buf_cstr(&b), err),
			 MUR_OK);
	assert_int_equal(sqlite3_prepare_v2(db, mur_buf_cstr(&b), -1, &st, NULL), SQLITE_OK);
	out[0] = '\0';
	while (sqlite3_step(st) == SQLITE_ROW)
		for (int c = 0; c < sqlite3_column_count(st); c++) {
			const char *v = (const char *)sqlite3_column_text(st, c);
			len += (size_t)snprintf(out + len, n - len, "%s%s", v ? v : "NULL",
						c + 1 < sqlite3_column_count(st) ? "|" : "\n");
		}
	sqlite3_finalize(st);
	mur_buf_free(&b);
	return MUR_OK;
}

/* psql's \d items: its first query, then its columns. */
static void test_psql_describe(void **state)
{
	char out[1024], want[128];
	pgc_column cols[PGC_COLUMNS_MAX];
	int ncols;
	mur_error err;
	const cat_table *t = cat_table_lookup(tcat, "public", "items");
	(void)state;
	assert_int_equal(run("SELECT c.oid, n.nspname, c.relname FROM pg_catalog.pg_class c"
			     " LEFT JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace"
			     " WHERE c.relname OPERATOR(pg_catalog.~) '^(items)$' COLLATE"
			     " pg_catalog.default AND pg_catalog.pg_table_is_visible(c.oid)"
			     " ORDER BY 2, 3",
			     out, sizeof out, cols, &ncols, &err),
			 MUR_OK);
	snprintf(want, sizeof want, "%u|public|items\n", pgc_table_oid(t));
	assert_string_equal(out, want);
	assert_int_equal(ncols, 3);
	assert_int_equal(cols[0].type, MT_INT8); /* oid */
	assert_string_equal(cols[2].name, "relname");
	assert_int_equal(run("SELECT a.attname, pg_catalog.format_type(a.atttypid, a.atttypmod),"
			     " a.attnotnull FROM pg_catalog.pg_attribute a"
			     " WHERE a.attrelid = 'public.items'::regclass AND a.attnum > 0"
			     " AND NOT a.attisdropped ORDER BY a.attnum",
			     out, sizeof out, cols, &ncols, &err),
			 MUR_OK);
	assert_string_equal(out, "id|bigint|1\nlabel|character varying(12)|0\n"
				 "price|double precision|0\n");
	assert_int_equal(cols[2].type, MT_BOOL); /* shown as t / f */
}

/* One OID for the table, its index and its constraint, in every catalog. */
static void test_oids_agree(void **state)
{
	char out[1024];
	pgc_column cols[PGC_COLUMNS_MAX];
	int ncols;
	mur_error err;
	(void)state;
	assert_int_equal(run("SELECT c2.relname, pg_catalog.pg_get_indexdef(i.indexrelid, 0, true),"
			     " pg_catalog.pg_get_constraintdef(con.oid, true), contype"
			     " FROM pg_catalog.pg_class c, pg_catalog.pg_class c2, "
			     "pg_catalog.pg_index i"
			     " LEFT JOIN pg_catalog.pg_constraint con ON (conrelid = i.indrelid AND"
			     " conindid = i.indexrelid AND contype IN ('p','u','x'))"
			     " WHERE c.oid = 'items'::regclass AND c.oid = i.indrelid"
			     " AND i.indexrelid = c2.oid ORDER BY i.indisprimary DESC, c2.relname",
			     out, sizeof out, cols, &ncols, &err),
			 MUR_OK);
	assert_string_equal(out, "items_pkey|CREATE UNIQUE INDEX items_pkey ON public.items "
				 "USING btree (id)|PRIMARY KEY (id)|p\n");
	assert_int_equal(run("SELECT a.attname FROM pg_class t JOIN pg_index ix ON t.oid ="
			     " ix.indrelid JOIN pg_attribute a ON t.oid = a.attrelid AND"
			     " a.attnum = ANY(ix.indkey) WHERE t.relname = 'items' AND"
			     " ix.indisprimary = 't'",
			     out, sizeof out, cols, &ncols, &err),
			 MUR_OK);
	assert_string_equal(out, "id\n");
}

/* ::regclass reads the catalog of the hooks even when the query builds no
 * catalog table (the first statement a leader runs may be this one). */
static void test_regclass_alone(void **state)
{
	sqlite3 *fresh;
	sqlite3_stmt *st;
	mur_error err;
	(void)state;
	assert_int_equal(sqlite3_open(":memory:", &fresh), SQLITE_OK);
	assert_int_equal(pgc_register(fresh, &no_hooks, &err), MUR_OK);
	assert_int_equal(sqlite3_prepare_v2(fresh, "SELECT pgc_regclass_in('items')", -1, &st,
					    NULL),
			 SQLITE_OK);
	assert_int_equal(sqlite3_step(st), SQLITE_ROW);
	assert_int_equal(sqlite3_column_int64(st, 0),
			 pgc_table_oid(cat_table_lookup(tcat, "public", "items")));
	sqlite3_finalize(st);
	sqlite3_close(fresh);
}

/* What pg_dump's queries need: WITH RECURSIVE, IS TRUE, tableoid (the
 * catalog's OID), unnest(...) AS src(col), pg_options_to_table, a
 * sequence's row; and a sequence shown in pg_class and pg_sequence. */
static void test_pg_dump_queries(void **state)
{
	char out[512], want[128];
	pgc_column cols[PGC_COLUMNS_MAX];
	int ncols;
	cat_sequence def;
	mur_error err;
	(void)state;
	assert_int_equal(run("WITH RECURSIVE w AS (SELECT oid AS n FROM pg_catalog.pg_am WHERE"
			     " amname = 'heap' UNION ALL SELECT n + 1 FROM w WHERE n < 4)"
			     " SELECT w.n FROM w ORDER BY 1",
			     out, sizeof out, cols, &ncols, &err),
			 MUR_OK);
	assert_string_equal(out, "2\n3\n4\n");
	assert_int_equal(run("SELECT amname, (amname = 'heap') IS TRUE, (NULL = 1) IS NOT FALSE,"
			     " tableoid FROM pg_catalog.pg_am ORDER BY oid",
			     out, sizeof out, cols, &ncols, &err),
			 MUR_OK);
	assert_string_equal(out, "heap|1|1|2601\nbtree|0|1|2601\n");
	assert_int_equal(cols[1].type, MT_BOOL);
	assert_int_equal(run("SELECT src.tbloid, (SELECT count(*) FROM"
			     " pg_catalog.pg_options_to_table(NULL)) FROM unnest('{7,9}'::oid[])"
			     " AS src(tbloid)",
			     out, sizeof out, cols, &ncols, &err),
			 MUR_OK);
	assert_string_equal(out, "7|0\n9|0\n");
	memset(&def, 0, sizeof def);
	snprintf(def.name, sizeof def.name, "s1");
	def.type = MT_INT8;
	def.increment = 1;
	def.min_value = 1;
	def.max_value = INT64_MAX;
	def.start = def.last_value = 5;
	def.cache = 1;
	assert_int_equal(cat_seq_create(tcat, &def, &err), MUR_OK);
	assert_int_equal(run("SELECT last_value, is_called FROM public.s1", out, sizeof out, cols,
			     &ncols, &err),
			 MUR_OK);
	assert_string_equal(out, "5|0\n");
	assert_int_equal(run("SELECT c.relkind, s.seqstart, s.seqmax FROM pg_catalog.pg_class c"
			     " JOIN pg_catalog.pg_sequence s ON s.seqrelid = c.oid"
			     " WHERE c.relname = 's1'",
			     out, sizeof out, cols, &ncols, &err),
			 MUR_OK);
	snprintf(want, sizeof want, "S|5|%lld\n", (long long)INT64_MAX);
	assert_string_equal(out, want);
	assert_int_equal(cat_seq_drop(tcat, "s1", &err), MUR_OK);
}

static void test_errors(void **state)
{
	char out[64];
	pgc_column cols[PGC_COLUMNS_MAX];
	int ncols;
	mur_error err;
	(void)state;
	assert_int_equal(run("SELECT 1 FROM pg_catalog.pg_no_such", out, sizeof out, cols, &ncols,
			     &err),
			 MUR_ERR);
	assert_string_equal(err.sqlstate, "42P01");
	/* FULL JOIN is SQLite's since 3.39 (pgc_join.c); a function it lacks
	 * in FROM is not */
	assert_int_equal(run("SELECT 1 FROM pg_catalog.pg_class c FULL JOIN pg_catalog.pg_am a"
			     " ON a.oid = c.relam LIMIT 1",
			     out, sizeof out, cols, &ncols, &err),
			 MUR_OK);
	assert_int_equal(run("SELECT 1 FROM pg_catalog.pg_class c JOIN pg_catalog.json_each('[]') j"
			     " ON true",
			     out, sizeof out, cols, &ncols, &err),
			 MUR_ERR);
	assert_string_equal(err.sqlstate, "0A000");
}

/* now() reads the session's clock (the hook), the same in every call;
 * time arithmetic gives PostgreSQL's types, its values in stored form
 * (UTC text, an interval's span key then its fields). */
static int64_t fixed_now_us(void *ctx, int which)
{
	(void)ctx;
	return which == 0 ? INT64_C(1796644800000000)  /* 2026-12-07 12:00:00 UTC */
			  : INT64_C(1796644800500000); /* half a second later */
}

static const char *zone_get(void *ctx, const char *name)
{
	(void)ctx;
	return strcmp(name, "timezone") ? NULL : "America/New_York";
}

static void test_time_arithmetic(void **state)
{
	char out[512];
	pgc_column cols[PGC_COLUMNS_MAX];
	int ncols;
	mur_error err;
	(void)state;
	no_hooks.now_us = fixed_now_us;
	no_hooks.get = zone_get;
	assert_int_equal(run("SELECT now(), statement_timestamp(), now() - interval '1 day',"
			     " now() - timestamptz '2026-12-06 12:00:00+00' > interval '23 hours',"
			     " extract(epoch from interval '90 s'), current_date"
			     " FROM pg_catalog.pg_am LIMIT 1",
			     out, sizeof out, cols, &ncols, &err),
			 MUR_OK);
	assert_int_equal(ncols, 6);
	assert_int_equal(cols[0].type, MT_TIMESTAMPTZ);
	assert_int_equal(cols[2].type, MT_TIMESTAMPTZ);
	assert_int_equal(cols[3].type, MT_BOOL);
	assert_int_equal(cols[4].type, MT_NUMERIC);
	assert_int_equal(cols[5].type, MT_DATE);
	/* a day back on New York's wall clock; 24 hours > 23 hours */
	assert_string_equal(out, "2026-12-07 12:00:00|2026-12-07 12:00:00.5|2026-12-06 12:00:00|1|"
				 "90.000000|2026-12-07\n");
	/* a bad interval is 22007 at once; an operator PostgreSQL lacks, 42883 */
	assert_int_equal(run("SELECT interval 'soon' FROM pg_catalog.pg_am", out, sizeof out, cols,
			     &ncols, &err),
			 MUR_ERR);
	assert_string_equal(err.sqlstate, "22007");
	assert_int_equal(run("SELECT now() - 2.5 FROM pg_catalog.pg_am", out, sizeof out, cols,
			     &ncols, &err),
			 MUR_ERR);
	assert_string_equal(err.sqlstate, "42883");
	no_hooks.now_us = NULL;
	no_hooks.get = NULL;
}

/* A table whose primary key is columns 1 and 3: (k1, k2). */
static const cat_table *two_key_table(void)
{
	static cat_table t; /* large: keep off the stack */
	const cat_table *out;
	mur_error err;
	memset(&t, 0, sizeof t);
	snprintf(t.name, sizeof t.name, "pairs");
	snprintf(t.schema, sizeof t.schema, "public");
	t.ncols = 3;
	for (int i = 0; i < 3; i++) {
		snprintf(t.cols[i].name, sizeof t.cols[i].name, "%s",
			 i == 1 ? "v"
			 : i    ? "k2"
				: "k1");
		t.cols[i].type = MT_INT4;
		t.cols[i].primary_key = t.cols[i].not_null = i != 1;
	}
	t.nshards = 2;
	t.replicas = 1;
	assert_int_equal(cat_create_table(tcat, &t, &out, &err), MUR_OK);
	return out;
}

/* Set-returning functions in a target list, as drivers expand key arrays:
 * SQLAlchemy 1.4's get_pk_constraint and pgjdbc's getPrimaryKeys. */
static void test_target_list_srf(void **state)
{
	char out[1024], sql[1024];
	pgc_column cols[PGC_COLUMNS_MAX];
	int ncols;
	mur_error err;
	uint32_t oid = pgc_table_oid(two_key_table());
	(void)state;
	snprintf(sql, sizeof sql,
		 "SELECT a.attname FROM pg_attribute a JOIN ("
		 " SELECT unnest(ix.indkey) attnum, generate_subscripts(ix.indkey, 1) ord"
		 " FROM pg_index ix WHERE ix.indrelid = %u AND ix.indisprimary) k"
		 " ON a.attnum = k.attnum WHERE a.attrelid = %u ORDER BY k.ord",
		 oid, oid);
	assert_int_equal(run(sql, out, sizeof out, cols, &ncols, &err), MUR_OK);
	assert_string_equal(out, "k1\nk2\n");
	assert_int_equal(run("SELECT result.COLUMN_NAME, result.KEY_SEQ, result.PK_NAME FROM ("
			     "SELECT ct.relname AS TABLE_NAME, a.attname AS COLUMN_NAME,"
			     " (information_schema._pg_expandarray(i.indkey)).n AS KEY_SEQ,"
			     " ci.relname AS PK_NAME,"
			     " information_schema._pg_expandarray(i.indkey) AS KEYS,"
			     " a.attnum AS A_ATTNUM FROM pg_catalog.pg_class ct"
			     " JOIN pg_catalog.pg_attribute a ON (ct.oid = a.attrelid)"
			     " JOIN pg_catalog.pg_index i ON (a.attrelid = i.indrelid)"
			     " JOIN pg_catalog.pg_class ci ON (ci.oid = i.indexrelid)"
			     " WHERE ct.relname = E'pairs' AND i.indisprimary) result"
			     " WHERE result.A_ATTNUM = (result.KEYS).x ORDER BY result.key_seq",
			     out, sizeof out, cols, &ncols, &err),
			 MUR_OK);
	assert_string_equal(out, "k1|1|pairs_pkey\nk2|2|pairs_pkey\n");
	assert_int_equal(cols[1].type, MT_INT4);
	/* no FROM; an empty array gives no row */
	assert_int_equal(run("SELECT unnest('{7,8}'::int2[]) + 1", out, sizeof out, cols, &ncols,
			     &err),
			 MUR_OK);
	assert_string_equal(out, "8\n9\n");
	assert_int_equal(run("SELECT unnest('{}'::int2[])", out, sizeof out, cols, &ncols, &err),
			 MUR_OK);
	assert_string_equal(out, "");
	/* what lockstep cannot be: two arrays, or outside a target list */
	assert_int_equal(run("SELECT unnest(indkey), unnest(indoption) FROM pg_index", out,
			     sizeof out, cols, &ncols, &err),
			 MUR_ERR);
	assert_string_equal(err.sqlstate, "0A000");
	assert_int_equal(run("SELECT 1 FROM pg_index WHERE unnest(indkey) = 1", out, sizeof out,
			     cols, &ncols, &err),
			 MUR_ERR);
	assert_string_equal(err.sqlstate, "0A000");
	assert_int_equal(run("SELECT generate_subscripts(indkey, 2) FROM pg_index", out, sizeof out,
			     cols, &ncols, &err),
			 MUR_ERR);
	assert_string_equal(err.sqlstate, "0A000");
}

/* Role OIDs (pgc_role.c): the bootstrap superuser 10, the others from
 * their names; r29324 and r68640 share the first hash, so the later name
 * takes the second; pg_get_userbyid maps each back. */
static void test_role_oids(void **state)
{
	static const char *names[] = {"murphy", "r29324", "r68640"};
	char out[1024];
	pgc_column cols[PGC_COLUMNS_MAX];
	int ncols;
	mur_error err;
	(void)state;
	for (int i = 0; i < 3; i++) {
		cat_role r;
		memset(&r, 0, sizeof r);
		snprintf(r.name, sizeof r.name, "%s", names[i]);
		r.login = 1;
		r.superuser = i == 0;
		assert_int_equal(cat_role_create(tcat, &r, &err), MUR_OK);
	}
	assert_int_equal(run("SELECT rolname, oid = 10, oid >= 3758096384,"
			     " pg_get_userbyid(oid) = rolname, rolsuper, rolcreatedb"
			     " FROM pg_roles WHERE rolname NOT LIKE 'pg\\_%' ORDER BY 1",
			     out, sizeof out, cols, &ncols, &err),
			 MUR_OK);
	assert_string_equal(out, "murphy|1|0|1|1|1\nr29324|0|1|1|0|0\nr68640|0|1|1|0|0\n");
	assert_int_equal(run("SELECT count(DISTINCT oid) FROM pg_roles", out, sizeof out, cols,
			     &ncols, &err),
			 MUR_OK);
	assert_string_equal(out, "4\n"); /* and pg_database_owner */
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_wants),           cmocka_unit_test(test_psql_describe),
		cmocka_unit_test(test_oids_agree),      cmocka_unit_test(test_regclass_alone),
		cmocka_unit_test(test_errors),          cmocka_unit_test(test_pg_dump_queries),
		cmocka_unit_test(test_target_list_srf), cmocka_unit_test(test_role_oids),
		cmocka_unit_test(test_time_arithmetic),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
