/*
 * test_sql_stmt.c — INSERT / UPDATE / DELETE / CREATE TABLE / DROP /
 * CREATE INDEX / COPY / EXPLAIN / SET / SHOW / transactions, and the
 * errors (SQLSTATE + position) bad statements get.
 */
#include "catalog/catalog_fkey.h"
#include "test_sql_common.h"

#include "parser/analyze.h"

static void test_insert(void **state)
{
	plan *p = P("INSERT INTO events (id, kind) VALUES ($1, $2) ON CONFLICT DO NOTHING "
		    "RETURNING id, kind || 'x' AS k");
	plan_insert *pi = &p->u.insert;
	assert_int_equal(p->kind, PLAN_INSERT);
	assert_string_equal(p->tag, "INSERT");
	assert_string_equal(pi->values_sql, "VALUES (?1, NULL, ?2, NULL, NULL, NULL)");
	assert_string_equal(pi->shard_sql, "INSERT INTO main.\"events\" (\"id\", \"user_id\", "
					   "\"kind\", \"created_at\", "
					   "\"amount\", \"flag\") VALUES (?1, ?2, ?3, ?4, ?5, ?6) "
					   "ON CONFLICT DO NOTHING "
					   "RETURNING \"id\", (\"kind\" || 'x')"
					   " /*murphy:row_types 20 \"id\",23 \"user_id\",25 "
					   "\"kind\",1114 \"created_at\",1700 "
					   "\"amount\",16 \"flag\"*/"); /* NOT NULL id */
	assert_int_equal(pi->on_conflict_nothing, 1);
	assert_int_equal(pi->nreturning, 2);
	assert_string_equal(p->out[1].name, "k");
	assert_int_equal(p->nparams, 2);
	assert_int_equal(p->param_types[0], MT_INT8);
	assert_int_equal(p->param_types[1], MT_TEXT);
	plan_free(p);
	p = P("INSERT INTO other (id) VALUES (1), (2)");
	assert_string_equal(p->u.insert.values_sql, "VALUES (1, (42)), (2, (42))");
	plan_free(p);
}

static void test_insert_select(void **state)
{
	plan *p = P("INSERT INTO other (x, id) SELECT user_id, user_id FROM events WHERE id = 1");
	plan *src = p->u.insert.source;
	assert_null(p->u.insert.values_sql);
	assert_non_null(src);
	assert_int_equal(src->kind, PLAN_SELECT);
	assert_int_equal(src->nout, 2); /* table column order */
	assert_string_equal(src->out[0].name, "id");
	assert_string_equal(src->out[1].name, "x");
	plan_free(p);
	p = P("INSERT INTO other SELECT 7");
	assert_int_equal(p->u.insert.source->kind, PLAN_LEADER_SELECT);
	assert_string_equal(p->u.insert.source->leader_sql, "SELECT 7, (42)");
	plan_free(p);
}

static void test_insert_errors(void **state)
{
	mur_error e = E("INSERT INTO events VALUES (1, 'abc')", "22P02");
	assert_string_equal(e.message, "invalid input syntax for type integer: \"abc\"");
	assert_int_equal(e.position, 31);
	E("INSERT INTO events (id, nope) VALUES (1, 2)", "42703");
	E("INSERT INTO events (id) VALUES (1, 2)", "42601");
	E("INSERT INTO events (id, id) VALUES (1, 2)", "42701");
	E("INSERT INTO events (id, created_at) VALUES (1, 'yesterday-ish')", "22007");
	E("INSERT INTO events (id, flag) VALUES (1, 3)", "42804");
	E("INSERT INTO murphy.nodes VALUES ('x')", "0A000");
	/* the conflict target must be a unique key (PostgreSQL's 42P10) */
	E("INSERT INTO events (id) VALUES (1) ON CONFLICT (kind) DO UPDATE SET kind = 'x'",
	  "42P10");
	E("INSERT INTO events (id) VALUES (1) ON CONFLICT (id) DO UPDATE SET id = 2", "0A000");
	E("INSERT INTO events (id) VALUES (1) ON CONFLICT ON CONSTRAINT x DO UPDATE SET kind = 'x'",
	  "42704");
	E("INSERT INTO events (id) VALUES (1) ON CONFLICT DO UPDATE SET kind = 'x'", "42601");
	/* the shard statement binds each routed row, not the statement's parameters */
	E("INSERT INTO events (id) VALUES (1) ON CONFLICT (id) DO UPDATE SET kind = $1", "0A000");
	E("INSERT INTO events (id) VALUES (1) ON CONFLICT (id) DO UPDATE SET kind = 'x' WHERE "
	  "events.amount > $1",
	  "0A000");
}

static void test_update_from(void **state)
{
	plan *p = P("UPDATE events AS e SET kind = u.name || e.kind FROM users u "
		    "WHERE u.id = e.user_id AND u.state = 'CA' RETURNING e.id, u.state");
	plan_modify *m = &p->u.modify;
	assert_int_equal(p->kind, PLAN_MODIFY);
	assert_non_null(m->source);
	assert_int_equal(m->nkey, 1);
	assert_int_equal(m->dist_key, 0);
	assert_int_equal(m->ncols, 4); /* events.id, then users' id, state, name */
	assert_string_equal(m->shard_sql,
			    "UPDATE main.\"events\" AS \"e\" SET \"kind\" = (?4 || \"e\".\"kind\") "
			    "WHERE \"e\".\"id\" = ?1 AND ((?2 = \"e\".\"user_id\") AND (?3 = "
			    "'CA')) "
			    "RETURNING \"id\", ?3 /*murphy:row_types 20 \"id\",23 \"user_id\",25 "
			    "\"kind\",1114 \"created_at\",1700 "
			    "\"amount\",16 \"flag\"*/");
	plan_free(p);
	p = P("DELETE FROM events USING users WHERE users.id = events.user_id");
	assert_non_null(p->u.modify.source);
	assert_true(p->u.modify.is_delete);
	plan_free(p);
	E("UPDATE events SET kind = $1 FROM users WHERE users.id = events.user_id", "0A000");
	E("DELETE FROM events USING users WHERE users.id = events.user_id AND users.id = $1",
	  "0A000");
	E("UPDATE orders SET note = 'x' FROM users WHERE users.id = orders.user_id", "0A000");
	E("UPDATE events SET kind = 'x' FROM (SELECT 1 AS id) s WHERE s.id = events.id", "0A000");
}

static void test_upsert(void **state)
{
	plan *p = P(
		"INSERT INTO events AS ev (id, kind) VALUES (1, 'a') ON CONFLICT (id) DO UPDATE "
		"SET kind = ev.kind || excluded.kind WHERE excluded.id > 0 RETURNING id");
	plan_insert *pi = &p->u.insert;
	assert_int_equal(pi->nconflict, 1);
	assert_int_equal(pi->conflict_cols[0], 0);
	assert_string_equal(pi->shard_sql,
			    "INSERT INTO main.\"events\" AS \"ev\" (\"id\", \"user_id\", \"kind\", "
			    "\"created_at\", \"amount\", \"flag\") VALUES (?1, ?2, ?3, ?4, ?5, ?6) "
			    "ON CONFLICT (\"id\") DO UPDATE SET \"kind\" = (\"ev\".\"kind\" || "
			    "\"excluded\".\"kind\") WHERE (\"excluded\".\"id\" > 0) RETURNING "
			    "\"id\" /*murphy:row_types 20 \"id\",23 \"user_id\",25 \"kind\",1114 "
			    "\"created_at\",1700 "
			    "\"amount\",16 \"flag\"*/");
	plan_free(p);
}

static void test_update_delete(void **state)
{
	plan *p = P("UPDATE users SET state = DEFAULT, name = 'bob' WHERE id = 3 RETURNING *");
	plan_modify *m = &p->u.modify;
	assert_int_equal(p->kind, PLAN_MODIFY);
	assert_string_equal(p->tag, "UPDATE");
	assert_int_equal(m->is_delete, 0);
	assert_int_equal(m->prune.active, 1);
	assert_int_equal(m->prune.constant.i, 3);
	assert_string_equal(m->shard_sql,
			    "UPDATE main.\"users\" SET \"state\" = NULL, \"name\" = "
			    "mur_varchar_fit('bob', 20, 0) " /* varchar(20): 22001 past it */
			    "WHERE (\"id\" = 3) RETURNING \"id\", \"state\", \"name\""
			    " /*murphy:row_types 23 \"id\",25 \"state\",1043 \"name\"*/");
	assert_int_equal(m->nreturning, 3);
	plan_free(p);
	p = P("DELETE FROM events WHERE kind = $1");
	assert_string_equal(p->tag, "DELETE");
	assert_int_equal(p->u.modify.is_delete, 1);
	assert_int_equal(p->u.modify.prune.active, 0);
	assert_string_equal(p->u.modify.shard_sql,
			    "DELETE FROM main.\"events\" WHERE (\"kind\" = ?1)");
	assert_int_equal(p->param_types[0], MT_TEXT);
	plan_free(p);
	p = P("UPDATE events SET user_id = user_id + 1 WHERE id = $1");
	assert_int_equal(p->u.modify.prune.param, 1);
	assert_string_equal(p->u.modify.shard_sql,
			    "UPDATE main.\"events\" SET \"user_id\" = "
			    "mur_int_chk((\"user_id\" + 1), 32) WHERE (\"id\" = ?1)"
			    " /*murphy:row_types 20 \"id\",23 \"user_id\",25 \"kind\",1114 "
			    "\"created_at\",1700 "
			    "\"amount\",16 \"flag\"*/");
	plan_free(p);
	mur_error e = E("UPDATE events SET id = 5", "0A000");
	assert_int_equal(e.position, 19);
	E("UPDATE events SET nope = 1", "42703");
	E("UPDATE events SET user_id = 'x'", "22P02");
}

/* UPDATE / DELETE / SELECT whose WHERE lists the distribution column's
 * values: the plan keeps them (the executor writes only their shards). */
static void test_key_lists(void **state)
{
	plan *p = P("UPDATE users SET name = 'x' WHERE id IN (3, -7, 3)");
	const plan_prune *pr = &p->u.modify.prune;
	assert_int_equal(pr->active, 0);
	assert_int_equal(pr->nkeys, 3); /* integer text list; duplicates are harmless */
	assert_int_equal(pr->keys[1].constant.kind, MV_INT);
	assert_int_equal(pr->keys[1].constant.i, -7);
	plan_free(p);
	p = P("DELETE FROM events WHERE (id = $2 OR id = 9 OR id IN ($1, NULL)) AND kind = 'k'");
	pr = &p->u.modify.prune;
	assert_int_equal(pr->nkeys, 4);
	assert_int_equal(pr->keys[0].param, 2);
	assert_int_equal(pr->keys[1].constant.i, 9);
	assert_int_equal(pr->keys[2].param, 1);
	assert_int_equal(pr->keys[3].param, 0);
	assert_int_equal(pr->keys[3].constant.kind, MV_NULL);
	plan_free(p);
	p = P("SELECT * FROM events WHERE id IN (1, 2) FOR UPDATE");
	assert_int_equal(p->u.select.router, 0);
	assert_int_equal(p->u.select.prune.nkeys, 2);
	plan_free(p);
	/* id = k still pins one shard; anything else is not a list of keys */
	p = P("UPDATE users SET name = 'x' WHERE id IN (1, 2) AND id = 5");
	assert_int_equal(p->u.modify.prune.active, 1);
	plan_free(p);
	static const char *const no_keys[] = {
		"UPDATE users SET name = 'x' WHERE id NOT IN (1, 2)",
		"UPDATE users SET name = 'x' WHERE id IN (1, 2) OR name = 'y'",
		"UPDATE users SET name = 'x' WHERE id + 1 IN (1, 2)",
		"UPDATE users SET name = 'x' WHERE state IN ('a', 'b')",
		"DELETE FROM users",
	};
	for (size_t i = 0; i < sizeof no_keys / sizeof no_keys[0]; i++) {
		p = P(no_keys[i]);
		assert_int_equal(p->u.modify.prune.active, 0);
		assert_int_equal(p->u.modify.prune.nkeys, 0);
		plan_free(p);
	}
}

static void test_key_list_too_long(void **state)
{
	char sql[64 + PLAN_PRUNE_KEYS_MAX * 8];
	size_t n = (size_t)snprintf(sql, sizeof sql, "DELETE FROM users WHERE id IN (0");
	plan *p;
	for (int i = 1; i < PLAN_PRUNE_KEYS_MAX; i++)
		n += (size_t)snprintf(sql + n, sizeof sql - n, ", %d", i);
	snprintf(sql + n, sizeof sql - n, ")");
	p = P(sql);
	assert_int_equal(p->u.modify.prune.nkeys, PLAN_PRUNE_KEYS_MAX);
	plan_free(p);
	snprintf(sql + n, sizeof sql - n, ", 99999)");
	p = P(sql);
	assert_int_equal(p->u.modify.prune.nkeys, 0); /* every shard */
	plan_free(p);
}

/* COPY's defaults: unquoted mur_xact_now() bound to the transaction's
 * start (canonical text) and mur_session_zone() to the zone, a string and
 * mur_now() (clock_timestamp) kept. */
static void test_default_now_sql(void **state)
{
	mur_buf b;
	(void)state;
	mur_buf_init(&b);
	sql_default_now_sql(&b,
			    "mur_tz_cast(mur_xact_now(), 'mur_xact_now()', mur_now(), "
			    "mur_session_zone())",
			    1796664896500000LL, "Asia/Tokyo");
	assert_string_equal(mur_buf_cstr(&b), "mur_tz_cast(('2026-12-07 17:34:56.5'), "
					      "'mur_xact_now()', mur_now(), ('Asia/Tokyo'))");
	mur_buf_reset(&b);
	sql_default_now_sql(&b, "mur_tz_cast(mur_xact_now(), mur_session_zone())", 1, NULL);
	assert_string_equal(mur_buf_cstr(&b), "mur_tz_cast(('1970-01-01 00:00:00.000001'), "
					      "('UTC'))");
	mur_buf_reset(&b);
	sql_default_now_sql(&b, "mur_xact_now()", 0, NULL);
	assert_string_equal(mur_buf_cstr(&b), "mur_xact_now()");
	mur_buf_free(&b);
}

static void test_create_table(void **state)
{
	plan *p = P("CREATE TABLE IF NOT EXISTS t (a int8, b text NOT NULL DEFAULT 'x', "
		    "c timestamp DEFAULT now(), d numeric, PRIMARY KEY (a), UNIQUE (a, b)) "
		    "WITH (shards = 4, replicas = 2)");
	plan_create_table *ct = &p->u.create_table;
	assert_int_equal(p->kind, PLAN_CREATE_TABLE);
	assert_int_equal(ct->if_not_exists, 1);
	assert_string_equal(ct->def->name, "t");
	assert_int_equal(ct->def->ncols, 4);
	assert_int_equal(ct->def->dist_col, 0);
	assert_int_equal(ct->def->nshards, 4);
	assert_int_equal(ct->def->replicas, 2);
	assert_int_equal(ct->def->cols[0].primary_key, 1);
	assert_int_equal(ct->def->cols[0].not_null, 1);
	assert_string_equal(ct->def->cols[1].default_sql, "'x'");
	assert_string_equal(ct->def->cols[2].default_sql, "mur_xact_now()");
	assert_int_equal(ct->def->cols[3].type, MT_NUMERIC);
	assert_string_equal(ct->shard_ddl,
			    "CREATE TABLE IF NOT EXISTS main.\"t\" (\"a\" INTEGER "
			    "NOT NULL, \"b\" TEXT NOT "
			    "NULL, \"c\" TEXT, \"d\" TEXT COLLATE mur_numeric, "
			    "PRIMARY KEY (\"a\")) STRICT; CREATE UNIQUE INDEX IF NOT "
			    "EXISTS main.\"t_a_b_key\" ON \"t\" (\"a\", \"b\")");
	plan_free(p);
	p = P("CREATE TABLE t2 (a int, b text, PRIMARY KEY (a, b)) PARTITION BY HASH (b)");
	assert_int_equal(p->u.create_table.def->dist_col, 1);
	plan_free(p);
	p = P("CREATE TABLE t3 (a int, b varchar(10))");
	assert_int_equal(p->u.create_table.def->ncols, 3);
	assert_int_equal(p->u.create_table.def->dist_col, 2);
	assert_string_equal(p->u.create_table.def->cols[2].name, CAT_HIDDEN_ROWID);
	assert_int_equal(p->u.create_table.def->cols[2].hidden, 1);
	assert_int_equal(p->u.create_table.def->cols[1].typmod, 10);
	/* replication captures changes of tables with a key only: the row id is it */
	assert_non_null(strstr(p->u.create_table.shard_ddl, "PRIMARY KEY (\"_murphy_rowid\")"));
	plan_free(p);
	/* no key, a UNIQUE: keyless in one shard, where the key holds; an id
	 * first column the UNIQUE leaves out does not distribute it */
	p = P("CREATE TABLE t4 (a int NOT NULL, b text UNIQUE)");
	assert_int_equal(p->u.create_table.def->nshards, 1);
	assert_int_equal(p->u.create_table.def->cols[p->u.create_table.def->dist_col].hidden, 1);
	plan_free(p);
	p = P("CREATE TABLE t5 (a int, b text) PARTITION BY HASH (b)");
	assert_int_equal(p->u.create_table.def->dist_col, 1);
	assert_int_equal(p->u.create_table.def->ncols, 3);
	assert_int_equal(p->u.create_table.def->cols[2].hidden, 1);
	assert_string_equal(p->u.create_table.shard_ddl,
			    "CREATE TABLE IF NOT EXISTS main.\"t5\" (\"a\" INTEGER, \"b\" TEXT, "
			    "\"_murphy_rowid\" INTEGER, PRIMARY KEY (\"_murphy_rowid\")) STRICT");
	plan_free(p);
}

/* No key, no PARTITION BY: a first column that is an integer declared NOT
 * NULL (an id, as pgbench declares its tables) distributes the table,
 * beside the hidden row id that keys its shard rows; anything else keeps
 * the hidden row id as distribution column. */
static void test_create_table_id_column(void **state)
{
	plan *p = P("CREATE TABLE acc (aid int NOT NULL, bid int, abalance int, filler char(84)) "
		    "WITH (fillfactor = 100)");
	const cat_table *t = p->u.create_table.def;
	assert_int_equal(t->dist_col, 0);
	assert_int_equal(t->ncols, 5);
	assert_int_equal(t->cols[4].hidden, 1);
	assert_non_null(strstr(p->u.create_table.shard_ddl, "PRIMARY KEY (\"_murphy_rowid\")"));
	plan_free(p);
	const char *hidden[] = {
		"CREATE TABLE h1 (tid int, bid int NOT NULL)",          /* first column nullable */
		"CREATE TABLE h2 (name text NOT NULL, n int NOT NULL)", /* not an integer */
		"CREATE TABLE h3 (id bigint NOT NULL) WITH (distribution = 'reference')",
	};
	for (size_t i = 0; i < sizeof hidden / sizeof hidden[0]; i++) {
		p = P(hidden[i]);
		t = p->u.create_table.def;
		assert_true(t->cols[t->dist_col].hidden);
		plan_free(p);
	}
	p = P("CREATE TABLE h4 (id smallint NOT NULL, b int) PARTITION BY HASH (b)");
	assert_int_equal(p->u.create_table.def->dist_col, 1);
	plan_free(p);
}

/* SERIAL and IDENTITY: an integer column, NOT NULL, whose default is the
 * nextval of a sequence the table owns, created with it (plan_seq.c). */
static void test_create_table_serial(void **state)
{
	const cat_table *t;
	plan *p = P("CREATE TABLE s1 (id bigserial, n int GENERATED ALWAYS AS IDENTITY (START 5 "
		    "INCREMENT 2), v text)");
	(void)state;
	t = p->u.create_table.def;
	assert_int_equal(t->nnew_seqs, 2);
	assert_string_equal(t->new_seqs[0].name, "s1_id_seq");
	assert_int_equal(t->new_seqs[0].owner_col, 0);
	assert_int_equal(t->cols[0].type, MT_INT8);
	assert_true(t->cols[0].not_null);
	assert_int_equal(t->cols[0].identity, 0);
	assert_string_equal(t->cols[0].default_sql, "murphy_nextval('\"s1_id_seq\"')");
	assert_string_equal(t->new_seqs[1].name, "s1_n_seq");
	assert_int_equal(t->new_seqs[1].start, 5);
	assert_int_equal(t->new_seqs[1].increment, 2);
	assert_int_equal(t->new_seqs[1].max_value, INT32_MAX);
	assert_int_equal(t->cols[1].identity, CAT_IDENTITY_ALWAYS);
	assert_null(t->cols[2].default_sql);
	plan_free(p);
	p = P("CREATE SEQUENCE q INCREMENT BY -3 MAXVALUE 100");
	assert_int_equal(p->kind, PLAN_SEQUENCE);
	assert_int_equal(p->u.sequence.def.start, 100);
	assert_int_equal(p->u.sequence.def.min_value, INT64_MIN);
	plan_free(p);
}

static void test_create_table_errors(void **state)
{
	mur_error e = E("CREATE TABLE t4 (a int PRIMARY KEY, b int) PARTITION BY HASH (b)",
			"0A000");
	assert_non_null(strstr(e.message, "does not contain the distribution column \"b\""));
	E("CREATE TABLE t5 (a text GENERATED ALWAYS AS IDENTITY)", "22023");
	E("CREATE TABLE t6 (a serial DEFAULT 1)", "42601");
	E("CREATE TABLE t6 (a int GENERATED BY DEFAULT AS IDENTITY (OWNED BY x.y))", "0A000");
	E("CREATE TABLE t7 (a int) WITH (fillfactor = 5)", "22023");
	e = E("CREATE TABLE t7 (a int) WITH (autovacuum_enabled = false)", "0A000");
	assert_string_equal(e.message,
			    "murphy does not support table option \"autovacuum_enabled\"");
	E("CREATE TABLE t8 (a int) WITH (shards = 0)", "22023");
	E("CREATE TABLE t9 (a int, a int)", "42701");
	E("CREATE TABLE t10 (a nosuchtype)", "42704");
	E("CREATE TABLE events (a int)", "42P07");
	E("CREATE TABLE t11 (a int CHECK (a > 0) NO INHERIT)", "0A000");
	E("CREATE TABLE t11 (a int CHECK (b > 0))", "42703");
	E("CREATE TABLE t12 (a int) PARTITION BY LIST (a)", "0A000");
	E("CREATE TABLE t13 (a int DEFAULT 'zz')", "22P02");
	/* no key and a UNIQUE: one shard (plan_ddl.c), unless told more */
	e = E("CREATE TABLE t14 (a int, b text UNIQUE) WITH (shards = 4)", "0A000");
	assert_string_equal(e.hint, "Create the table distributed by a key column: PARTITION BY "
				    "HASH (b), in one shard: WITH (shards = 1), or as a reference "
				    "table: WITH (distribution = 'reference').");
	assert_string_equal(e.message,
			    "murphy cannot enforce UNIQUE (b) on \"t14\": the table has "
			    "no distribution column and more than one shard (its rows are "
			    "spread over the shards by a hidden row id)");
}

static void test_drop_and_index(void **state)
{
	plan *p = P("DROP TABLE IF EXISTS events, nosuch");
	assert_int_equal(p->kind, PLAN_DROP_TABLE);
	assert_int_equal(p->u.drop_table.ntables, 2);
	assert_int_equal(p->u.drop_table.if_exists, 1);
	assert_string_equal(p->u.drop_table.names[0], "events");
	plan_free(p);
	E("DROP TABLE nosuch", "42P01");
	p = P("CREATE UNIQUE INDEX IF NOT EXISTS ev_k ON events (id, kind DESC)");
	assert_int_equal(p->kind, PLAN_CREATE_INDEX);
	assert_string_equal(p->u.index.shard_ddl,
			    "CREATE UNIQUE INDEX IF NOT EXISTS main.\"ev_k\" ON "
			    "\"events\" (\"id\", \"kind\" DESC)");
	plan_free(p);
	p = P("CREATE INDEX ON events (kind)");
	assert_string_equal(p->u.index.index_name, "events_kind_idx");
	plan_free(p);
	E("CREATE UNIQUE INDEX u ON events (kind)", "0A000");
	p = P("DROP INDEX IF EXISTS ev_k");
	assert_int_equal(p->kind, PLAN_DROP_INDEX);
	assert_string_equal(p->u.index.shard_ddl, "DROP INDEX IF EXISTS main.\"ev_k\"");
	plan_free(p);
}

/* DECLARE / FETCH / PREPARE / EXECUTE: what pgwire is told to do, with
 * the inner statement's own text. */
static void test_portal_statements(void **state)
{
	(void)state;
	plan *p = P("DECLARE \"c 1\" NO SCROLL CURSOR WITHOUT HOLD FOR SELECT id FROM users "
		    "WHERE name = 'for'");
	assert_int_equal(p->kind, PLAN_PORTAL);
	assert_int_equal(p->u.portal.verb, PLAN_PORTAL_DECLARE);
	assert_string_equal(p->u.portal.name, "c 1");
	assert_string_equal(p->u.portal.sql, "SELECT id FROM users WHERE name = 'for'");
	plan_free(p);
	p = P("FETCH FORWARD 7 FROM c");
	assert_int_equal(p->u.portal.verb, PLAN_PORTAL_FETCH);
	assert_int_equal(p->u.portal.count, 7);
	plan_free(p);
	p = P("MOVE ALL IN c");
	assert_int_equal(p->u.portal.verb, PLAN_PORTAL_MOVE);
	assert_true(p->u.portal.count == INT64_MAX);
	plan_free(p);
	p = P("CLOSE ALL");
	assert_int_equal(p->u.portal.all, 1);
	plan_free(p);
	p = P("PREPARE q (int, text) AS SELECT name AS x FROM users WHERE id = $1");
	assert_int_equal(p->u.portal.verb, PLAN_PORTAL_PREPARE);
	assert_int_equal(p->u.portal.nparams, 2);
	assert_int_equal(p->u.portal.param_types[1], MT_TEXT);
	assert_string_equal(p->u.portal.sql, "SELECT name AS x FROM users WHERE id = $1");
	plan_free(p);
	p = P("EXECUTE q(-4, 'it''s', NULL, 2.5::float8, true)");
	assert_int_equal(p->u.portal.nargs, 5);
	assert_string_equal(p->u.portal.args[0], "-4");
	assert_string_equal(p->u.portal.args[1], "it's");
	assert_null(p->u.portal.args[2]);
	assert_string_equal(p->u.portal.args[3], "2.5");
	assert_string_equal(p->u.portal.args[4], "true");
	plan_free(p);
	p = P("DEALLOCATE PREPARE q");
	assert_int_equal(p->u.portal.verb, PLAN_PORTAL_DEALLOCATE);
	assert_string_equal(p->tag, "DEALLOCATE");
	plan_free(p);
	E("DECLARE c CURSOR WITH HOLD FOR SELECT 1", "0A000");
	E("DECLARE c BINARY CURSOR FOR SELECT 1", "0A000");
	E("FETCH BACKWARD 2 FROM c", "0A000");
	E("FETCH ABSOLUTE 3 FROM c", "0A000");
	E("EXECUTE q(1 + 1)", "0A000");
}

static void test_copy(void **state)
{
	plan *p = P("COPY events (id, kind) FROM STDIN WITH (FORMAT csv, DELIMITER '|', NULL 'x', "
		    "HEADER)");
	plan_copy *c = &p->u.copy;
	assert_int_equal(p->kind, PLAN_COPY_FROM);
	assert_int_equal(c->ncols, 2);
	assert_int_equal(c->cols[1], 2);
	assert_int_equal(c->csv, 1);
	assert_int_equal(c->delimiter, '|');
	assert_int_equal(c->header, 1);
	assert_string_equal(c->null_string, "x");
	assert_non_null(strstr(c->shard_sql, "VALUES (?1, ?2, ?3, ?4, ?5, ?6)"));
	plan_free(p);
	p = P("COPY users FROM STDIN WITH CSV HEADER");
	assert_int_equal(p->u.copy.csv, 1);
	assert_int_equal(p->u.copy.header, 1);
	assert_int_equal(p->u.copy.delimiter, ',');
	assert_string_equal(p->u.copy.null_string, "");
	plan_free(p);
	p = P("COPY users FROM STDIN");
	assert_int_equal(p->u.copy.csv, 0);
	assert_int_equal(p->u.copy.delimiter, '\t');
	assert_string_equal(p->u.copy.null_string, "\\N");
	assert_int_equal(p->u.copy.ncols, 3);
	plan_free(p);
	p = P("COPY users (name, id) TO STDOUT WITH (FORMAT csv, FORCE_QUOTE (name))");
	assert_int_equal(p->kind, PLAN_COPY_TO);
	assert_int_equal(p->u.copy.query->kind, PLAN_SELECT);
	assert_int_equal(p->u.copy.query->nout, 2);
	assert_string_equal(p->u.copy.query->out[0].name, "name");
	assert_int_equal(p->u.copy.force_quote[0], 1);
	assert_int_equal(p->u.copy.force_quote[1], 0);
	assert_int_equal(p->u.copy.escape, '"');
	plan_free(p);
	E("COPY users TO '/tmp/x'", "0A000");
	p = P("COPY users TO STDOUT WITH (FORMAT binary)"); /* pgwire writes PGCOPY tuples */
	assert_int_equal(p->kind, PLAN_COPY_TO);
	assert_int_equal(p->u.copy.binary, 1);
	plan_free(p);
	E("COPY users TO STDOUT WITH (FORMAT binary, HEADER)", "42601");
	E("COPY users TO STDOUT WITH (FORCE_QUOTE *)", "0A000"); /* text format */
	E("COPY (INSERT INTO users VALUES (1)) TO STDOUT", "0A000");
	E("COPY users FROM '/tmp/x'", "0A000");
	p = P("COPY users FROM STDIN WITH (FORMAT binary)"); /* pgwire decodes it to text */
	assert_int_equal(p->u.copy.binary, 1);
	assert_int_equal(p->u.copy.csv, 0);
	assert_int_equal(p->u.copy.delimiter, '\t');
	assert_string_equal(p->u.copy.null_string, "\\N");
	plan_free(p);
	E("COPY users FROM STDIN WITH (FORMAT binary, DELIMITER ',')", "42601");
	E("COPY users FROM STDIN WITH (FORMAT binary, HEADER)", "42601");
	p = P("COPY users FROM STDIN WITH (FREEZE ON)"); /* pgbench -i: nothing to freeze */
	assert_int_equal(p->kind, PLAN_COPY_FROM);
	plan_free(p);
	E("COPY users FROM STDIN WITH (FORCE_NULL (name))", "0A000");
}

static void test_misc_statements(void **state)
{
	plan *p = P("EXPLAIN ANALYZE SELECT count(*) FROM events WHERE id = $1");
	assert_int_equal(p->kind, PLAN_EXPLAIN);
	assert_int_equal(p->u.explain.analyze, 1);
	assert_int_equal(p->u.explain.inner->kind, PLAN_SELECT);
	assert_int_equal(p->u.explain.inner->u.select.router, 1);
	assert_int_equal(p->u.explain.inner->nparams, 1);
	assert_int_equal(p->u.explain.inner->param_types[0], MT_INT8);
	assert_string_equal(p->out[0].name, "QUERY PLAN");
	plan_free(p);
	p = P("SET search_path TO public, murphy");
	assert_int_equal(p->kind, PLAN_SET);
	assert_string_equal(p->u.set.name, "search_path");
	assert_string_equal(p->u.set.value, "public, murphy");
	plan_free(p);
	p = P("SET LOCAL statement_timeout = 5");
	assert_int_equal(p->u.set.is_local, 1);
	assert_string_equal(p->u.set.value, "5");
	plan_free(p);
	p = P("RESET murphy.consistency");
	assert_int_equal(p->u.set.is_default, 1);
	assert_string_equal(p->u.set.name, "murphy.consistency");
	plan_free(p);
	p = P("SHOW server_version");
	assert_int_equal(p->kind, PLAN_SHOW);
	assert_string_equal(p->out[0].name, "server_version");
	plan_free(p);
	static const struct {
		const char *sql;
		plan_kind kind;
	} txn[] = {
		{"BEGIN", PLAN_BEGIN},
		{"START TRANSACTION", PLAN_BEGIN},
		{"COMMIT", PLAN_COMMIT},
		{"END", PLAN_COMMIT},
		{"ROLLBACK", PLAN_ROLLBACK},
		{"ABORT", PLAN_ROLLBACK},
		{"DISCARD ALL", PLAN_NOOP},
		{"", PLAN_EMPTY},
		{"  ;  ", PLAN_EMPTY},
		{"SAVEPOINT a", PLAN_SAVEPOINT},
		{"RELEASE SAVEPOINT a", PLAN_RELEASE},
		{"RELEASE a", PLAN_RELEASE},
		{"ROLLBACK TO SAVEPOINT a", PLAN_ROLLBACK_TO},
		{"ROLLBACK TO a", PLAN_ROLLBACK_TO},
	};
	for (size_t i = 0; i < sizeof txn / sizeof txn[0]; i++) {
		p = P(txn[i].sql);
		assert_int_equal(p->kind, txn[i].kind);
		plan_free(p);
	}
	p = P("ROLLBACK TO SAVEPOINT Sp1");
	assert_string_equal(p->u.savepoint.name, "sp1"); /* folded like any identifier */
	plan_free(p);
	E("PREPARE TRANSACTION 'x'", "0A000");
	p = P("SHOW ALL"); /* a leader SELECT over pg_catalog.pg_settings */
	assert_int_equal(p->kind, PLAN_LEADER_SELECT);
	assert_string_equal(p->tag, "SHOW");
	assert_int_equal(p->nout, 3);
	assert_string_equal(p->out[2].name, "description");
	assert_non_null(strstr(p->leader_sql, "pg_catalog.\"pg_settings\""));
	plan_free(p);
	E("SELECT 1; SELECT 2", "42601");
}

/* TRUNCATE: one DELETE of every row per table (named twice: once);
 * RESTART IDENTITY and CASCADE have nothing more to do in murphy. */
static void test_truncate(void **state)
{
	plan *p = P("TRUNCATE TABLE events, other, events RESTART IDENTITY CASCADE");
	const plan_truncate *pt = &p->u.truncate;
	assert_int_equal(p->kind, PLAN_TRUNCATE);
	assert_string_equal(p->tag, "TRUNCATE TABLE");
	assert_int_equal(pt->ntables, 2);
	assert_string_equal(pt->tables[0]->name, "events");
	assert_string_equal(pt->tables[1]->name, "other");
	assert_string_equal(pt->shard_sql[0], "DELETE FROM main.\"events\"");
	assert_string_equal(pt->shard_sql[1], "DELETE FROM main.\"other\"");
	plan_free(p);
	p = P("TRUNCATE ONLY events");
	assert_int_equal(p->u.truncate.ntables, 1);
	plan_free(p);
	E("TRUNCATE nope", "42P01");
	E("TRUNCATE murphy.nodes", "0A000");
}

/* ALTER TABLE ADD PRIMARY KEY / UNIQUE: a unique index on every
 * placement (with the DROP that undoes it), under CREATE TABLE's key rule;
 * every other action is 0A000. */
static void test_alter_table(void **state)
{
	static cat_table t; /* large: keep off the stack */
	plan *p;
	mur_error e;
	memset(&t, 0, sizeof t);
	tcol(&t, "aid", MT_INT4, 0);
	tcol(&t, "bid", MT_INT4, 0);
	t.cols[0].not_null = 1;
	tcreate(&t, "alter_acc", 0, 4);
	p = P("ALTER TABLE alter_acc ADD PRIMARY KEY (aid)");
	assert_int_equal(p->kind, PLAN_CREATE_INDEX);
	assert_string_equal(p->tag, "ALTER TABLE");
	assert_string_equal(p->u.index.index_name, "alter_acc_pkey");
	/* a duplicated key is named first (PostgreSQL's detail), then the index */
	assert_non_null(strstr(p->u.index.shard_ddl, "is duplicated."));
	assert_non_null(strstr(p->u.index.shard_ddl,
			       "; CREATE UNIQUE INDEX main.\"alter_acc_pkey\" ON "
			       "\"alter_acc\" (\"aid\")"));
	assert_string_equal(p->u.index.undo_ddl, "DROP INDEX IF EXISTS main.\"alter_acc_pkey\"");
	assert_int_equal(p->u.index.npk, 1);
	assert_int_equal(p->u.index.pk_cols[0], 0);
	plan_free(p);
	p = P("ALTER TABLE orders ADD CONSTRAINT o_u UNIQUE (total, user_id)");
	assert_string_equal(p->u.index.index_name, "o_u");
	assert_int_equal(p->u.index.npk, 0);
	assert_non_null(p->u.index.undo_ddl);
	plan_free(p);
	p = P("ALTER TABLE orders ADD UNIQUE (user_id)");
	assert_string_equal(p->u.index.index_name, "orders_user_id_key");
	plan_free(p);
	p = P("ALTER TABLE IF EXISTS nope ADD PRIMARY KEY (a)");
	assert_int_equal(p->kind, PLAN_NOOP);
	plan_free(p);
	E("ALTER TABLE nope ADD PRIMARY KEY (a)", "42P01");
	E("ALTER TABLE alter_acc ADD PRIMARY KEY (nope)", "42703");
	e = E("ALTER TABLE alter_acc ADD PRIMARY KEY (bid, aid)", "0A000"); /* bid may be NULL */
	assert_non_null(strstr(e.message, "not declared NOT NULL"));
	e = E("ALTER TABLE orders ADD UNIQUE (total)", "0A000");
	assert_non_null(strstr(e.message, "does not contain the distribution column \"user_id\""));
	E("ALTER TABLE events ADD PRIMARY KEY (id)", "42P16");
	/* foreign keys (plan_fkey.c): co-located on the key, the catalog only */
	p = P("ALTER TABLE orders ADD FOREIGN KEY (user_id) REFERENCES users");
	assert_int_equal(p->kind, PLAN_ALTER);
	assert_non_null(p->u.alter.fkey_add);
	assert_string_equal(p->u.alter.fkey_add->name, "orders_user_id_fkey");
	assert_null(p->u.alter.shard_sql);
	assert_non_null(strstr(p->u.alter.validate_sql, "LEFT JOIN"));
	plan_free(p);
	e = E("ALTER TABLE orders ADD FOREIGN KEY (user_id) REFERENCES users ON UPDATE CASCADE",
	      "0A000");
	assert_non_null(strstr(e.message, "ON UPDATE CASCADE"));
	/* shape changes: PLAN_ALTER, its shard SQL "forward \x01 undo" */
	p = P("ALTER TABLE orders ADD COLUMN y int DEFAULT 3");
	assert_int_equal(p->kind, PLAN_ALTER);
	assert_string_equal(p->u.alter.shard_sql,
			    "ALTER TABLE main.\"orders\" ADD COLUMN \"y\" INTEGER DEFAULT 3; "
			    "UPDATE main.\"orders\" SET \"y\" = 3\x01"
			    "ALTER TABLE main.\"orders\" DROP COLUMN \"y\"");
	assert_int_equal(p->u.alter.def->ncols, p->u.alter.table->ncols + 1);
	plan_free(p);
	p = P("ALTER TABLE orders RENAME COLUMN total TO amount");
	assert_int_equal(p->kind, PLAN_ALTER);
	assert_string_equal(p->u.alter.shard_sql,
			    "ALTER TABLE main.\"orders\" RENAME COLUMN \"total\" TO \"amount\"\x01"
			    "ALTER TABLE main.\"orders\" RENAME COLUMN \"amount\" TO \"total\"");
	plan_free(p);
	p = P("ALTER TABLE orders ALTER COLUMN total SET DEFAULT 0");
	assert_int_equal(p->kind, PLAN_ALTER);
	assert_null(p->u.alter.shard_sql); /* the catalog alone: the leader evaluates defaults */
	plan_free(p);
	E("ALTER TABLE orders DROP COLUMN user_id", "0A000"); /* the distribution column */
	E("ALTER TABLE orders DROP COLUMN nope", "42703");
	E("ALTER TABLE orders ADD COLUMN total int", "42701");
	E("ALTER TABLE orders ADD COLUMN z int NOT NULL", "0A000");
	p = P("ALTER TABLE orders ALTER COLUMN total TYPE bigint"); /* plan_alter_type.c */
	assert_int_equal(p->kind, PLAN_ALTER);
	plan_free(p);
	E("ALTER TABLE orders ALTER COLUMN user_id TYPE text", "0A000"); /* distribution column */
	E("ALTER TABLE orders ALTER COLUMN total TYPE date", "42804");
	p = P("ALTER TABLE orders ADD CHECK (total > 0)"); /* triggers on every shard */
	assert_int_equal(p->kind, PLAN_ALTER);
	assert_non_null(strstr(p->u.alter.shard_sql, "CREATE TRIGGER"));
	plan_free(p);
	E("ALTER TABLE orders ADD CHECK (total > 0) NOT VALID", "0A000");
	p = P("ALTER TABLE orders DROP CONSTRAINT orders_check"); /* the shards find it */
	assert_int_equal(p->kind, PLAN_ALTER);
	assert_non_null(strstr(p->u.alter.shard_sql, "DROP TRIGGER"));
	plan_free(p);
	p = P("ALTER TABLE orders DROP CONSTRAINT IF EXISTS orders_check"); /* not in the catalog */
	assert_int_equal(p->kind, PLAN_ALTER);
	assert_null(p->u.alter.shard_sql);
	plan_free(p);
	E("ALTER TABLE orders ADD UNIQUE (user_id), ADD UNIQUE (user_id, total)", "0A000");
	E("ALTER TABLE murphy.nodes ADD UNIQUE (name)", "0A000");
	/* only the default tablespace (pgbench --tablespace, --index-tablespace) */
	e = E("ALTER TABLE alter_acc ADD PRIMARY KEY (aid) USING INDEX TABLESPACE fast", "0A000");
	assert_string_equal(e.message, "murphy does not support tablespaces yet");
	E("CREATE TABLE ts1 (a int) TABLESPACE fast", "0A000");
	E("CREATE INDEX ON orders (total) TABLESPACE fast", "0A000");
	p = P("CREATE TABLE ts2 (a int) TABLESPACE pg_default");
	plan_free(p);
}

static void test_select_errors(void **state)
{
	mur_error e = E("SELECT * FORM events", "42601");
	assert_string_equal(e.message, "syntax error at or near \"FORM\"");
	assert_int_equal(e.position, 10);
	e = E("SELECT nope FROM events", "42703");
	assert_int_equal(e.position, 8);
	e = E("SELECT * FROM nosuch", "42P01");
	assert_string_equal(e.message, "relation \"nosuch\" does not exist");
	assert_int_equal(e.position, 15);
	e = E("SELECT * FROM events WHERE user_id = 'abc'", "22P02");
	assert_int_equal(e.position, 38);
	e = E("SELECT * FROM events WHERE user_id = kind", "42883");
	assert_string_equal(e.message, "operator does not exist: integer = text");
	assert_true(strlen(e.hint) > 0);
	e = E("SELECT kind, user_id FROM events GROUP BY kind", "42803");
	assert_string_equal(e.message,
			    "column \"events.user_id\" must appear in the GROUP BY clause or "
			    "be used in an aggregate function");
	assert_int_equal(e.position, 14);
	e = E("SELECT count(*) OVER (ORDER BY id ROWS 1 + 1 PRECEDING) FROM events", "0A000");
	assert_string_equal(e.message, "murphy supports only constants as frame offsets");
	e = E("WITH RECURSIVE x(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM x) CYCLE n SET c "
	      "USING p SELECT * FROM x",
	      "0A000");
	assert_string_equal(e.message,
			    "murphy does not support the CYCLE clause of WITH RECURSIVE yet");
	e = E("WITH RECURSIVE x(n) AS (SELECT 1 UNION ALL SELECT x.n + 1 FROM x, x y) SELECT * "
	      "FROM "
	      "x",
	      "42P19");
	assert_string_equal(e.message,
			    "recursive reference to query \"x\" must not appear more than once");
	e = E("SELECT * FROM events e, events g, events h WHERE EXISTS (SELECT 1 FROM events f "
	      "WHERE f.id > e.id AND f.id < g.id AND f.id <> h.id)",
	      "0A000"); /* three outer tables: not decorrelated (analyze_outerkey.c) */
	assert_string_equal(e.message, "murphy does not support correlated subqueries yet");
	assert_int_equal(e.position, 94); /* e.id */
	E("SELECT * FROM events e LEFT JOIN LATERAL (SELECT e.id AS x) s ON s.x > 1", "0A000");
	E("UPDATE events SET kind = (SELECT 'x') WHERE id = 1", "0A000");
	/* INSERT ... SELECT ... UNION plans (SELECT * FROM (it)); its branches
	 * must still match */
	E("INSERT INTO events SELECT * FROM events UNION SELECT 1", "42601");
	E("SELECT sum(kind) FROM events", "42883");
	E("SELECT * FROM events WHERE count(*) > 1", "42803");
	E("SELECT kind FROM events ORDER BY 5", "42P10");
	E("SELECT x.id FROM events e", "42P01");
	E("SELECT nosuchfn(1)", "42883");
	E("SELECT 1 + 'a'", "22P02");
	E("SELECT 'a' + 'b'", "42725");
	E("SELECT * FROM events WHERE user_id", "42804");
	E("SELECT DISTINCT kind FROM events ORDER BY id", "42P10");
	E("SELECT * FROM events WHERE created_at = 'garbage'", "22007");
}

static void test_split(void **state)
{
	char **stmts;
	int n;
	mur_error err;
	assert_int_equal(sql_split("select 1; select 'a;b' ;; -- c\n", &n, &stmts, &err), MUR_OK);
	assert_int_equal(n, 2);
	assert_string_equal(stmts[0], "select 1");
	assert_string_equal(stmts[1], "select 'a;b' ");
	for (int i = 0; i < n; i++)
		free(stmts[i]);
	free(stmts);
	assert_int_equal(sql_split("  ", &n, &stmts, &err), MUR_OK);
	assert_int_equal(n, 0);
	free(stmts);
	assert_int_not_equal(sql_split("select 1; selec 2", &n, &stmts, &err), MUR_OK);
	assert_string_equal(err.sqlstate, "42601");
}

/* The select-list's first integer constant of a parsed SELECT. */
static int first_int(sql_tree *tree)
{
	PgQuery__ParseResult *t = sql_tree_result(tree);
	assert_int_equal(t->n_stmts, 1);
	PgQuery__SelectStmt *sel = t->stmts[0]->stmt->select_stmt;
	assert_non_null(sel);
	return sel->target_list[0]->res_target->val->a_const->ival->ival;
}

/* Split, then parse each piece: as one text of one statement is parsed
 * once (split keeps the tree for the parse that follows), the answers are
 * libpg_query's split's: the pieces, the errors and their positions. */
static void split_parse(const char *sql, int want_n, const char *want0, int want_int)
{
	char **stmts;
	int n;
	mur_error err;
	sql_tree *tree;
	assert_int_equal(sql_split(sql, &n, &stmts, &err), MUR_OK);
	assert_int_equal(n, want_n);
	if (n > 0) {
		assert_string_equal(stmts[0], want0);
		assert_int_equal(sql_parse(stmts[0], &tree, &err), MUR_OK);
		if (want_int >= 0)
			assert_int_equal(first_int(tree), want_int);
		sql_tree_free(tree);
	}
	for (int i = 0; i < n; i++)
		free(stmts[i]);
	free(stmts);
}

static void test_split_one_statement(void **state)
{
	char **stmts;
	int n;
	mur_error err;
	sql_tree *tree;
	split_parse("select 41;", 1, "select 41", 41);
	split_parse("select 42 ;; \n", 1, "select 42 ", 42);
	split_parse("select 43 -- a comment; not a statement", 1,
		    "select 43 -- a comment; not a statement", 43);
	split_parse("select 44 /* ; */", 1, "select 44 /* ; */", 44);
	split_parse("  select 45;", 1, "select 45", 45); /* not at 0: the general path */
	split_parse("-- nothing but a comment", 0, NULL, -1);
	split_parse("/* nothing */;", 0, NULL, -1);
	split_parse("select 'a;b';", 1, "select 'a;b'", -1);
	/* a kept tree is used only for its own text */
	assert_int_equal(sql_split("select 46;", &n, &stmts, &err), MUR_OK);
	assert_int_equal(sql_parse("select 47", &tree, &err), MUR_OK);
	assert_int_equal(first_int(tree), 47);
	sql_tree_free(tree);
	assert_int_equal(sql_parse(stmts[0], &tree, &err), MUR_OK);
	assert_int_equal(first_int(tree), 46);
	sql_tree_free(tree);
	free(stmts[0]);
	free(stmts);
	/* errors as libpg_query's split words them: at the ';', not "end of input" */
	assert_int_not_equal(sql_split("select (1;", &n, &stmts, &err), MUR_OK);
	assert_string_equal(err.sqlstate, "42601");
	assert_string_equal(err.message, "syntax error at or near \";\"");
	assert_int_equal(err.position, 10);
	assert_int_not_equal(sql_split("selec 1", &n, &stmts, &err), MUR_OK);
	assert_string_equal(err.message, "syntax error at or near \"selec\"");
	assert_int_equal(err.position, 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_insert),
		cmocka_unit_test(test_insert_select),
		cmocka_unit_test(test_insert_errors),
		cmocka_unit_test(test_upsert),
		cmocka_unit_test(test_update_from),
		cmocka_unit_test(test_update_delete),
		cmocka_unit_test(test_key_lists),
		cmocka_unit_test(test_key_list_too_long),
		cmocka_unit_test(test_default_now_sql),
		cmocka_unit_test(test_create_table),
		cmocka_unit_test(test_create_table_id_column),
		cmocka_unit_test(test_create_table_errors),
		cmocka_unit_test(test_create_table_serial),
		cmocka_unit_test(test_truncate),
		cmocka_unit_test(test_alter_table),
		cmocka_unit_test(test_drop_and_index),
		cmocka_unit_test(test_copy),
		cmocka_unit_test(test_portal_statements),
		cmocka_unit_test(test_misc_statements),
		cmocka_unit_test(test_select_errors),
		cmocka_unit_test(test_split),
		cmocka_unit_test(test_split_one_statement),
	};
	return cmocka_run_group_tests(tests, setup_catalog, teardown_catalog);
}
