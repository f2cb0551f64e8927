/*
 * catalog_store.c — the catalog's SQLite file on the leader.
 *
 * Schema (one row per object; each mutation is one transaction, with
 * synchronous=FULL so an acknowledged DDL survives kill -9 and power loss):
 *   nodes(id, name, addr, role)
 *   tables(id, name, schema, dist_col, nshards, replicas, distribution)
 *   columns(table_id, idx, name, type, typmod, not_null, primary_key, hidden, default_sql)
 *   shards(table_id, idx, hash_min, hash_max, range_min, rows)
 *       rows: the leader's row estimate (cat_shard.rows), written with the
 *       placements' LSNs (cat_flush_lsns), so the shuffle's cost model
 *       still knows table sizes after a leader restart
 *   placements(table_id, shard, node_id, role, applied_lsn)
 *   txn_outcomes(txid, outcome, participants, decided_ms)   the durable
 *       decision of a transaction that wrote several shards, recorded
 *       before its first commit marker (replication/repl_lock.c); a
 *       restarted leader appends the markers of a 'committed' one
 *   ddl_pending(table_id, txid)   a table created by an open transaction
 *       block (cat_create_table_pending), written with the table; the
 *       block's COMMIT deletes the row.  A table still pending at open was
 *       created by a block that never committed (the leader stopped): it
 *       is dropped before loading (its placement files are orphans the
 *       followers' STATUS reports, dropped by repl_recover.c)
 *   alter_pending(table_id, txid, name, dist_col)   ALTER TABLE's intent
 *       (catalog_alter.c): the shape table_id takes if transaction txid
 *       commits, its columns stored as columns rows under table id
 *       CAT_ALTER_COLUMNS_ID(table_id) (negative); written before the
 *       shards' DDL entries go out, dropped when the shape is taken or the
 *       transaction aborted; at open one whose txid committed is applied,
 *       any other dropped (cat_alter_resolve)
 *   sequences(id, name, type, increment, min_value, max_value, start, cache,
 *       cycle, owner_table, owner_col, last_value, is_called, schema)   catalog_seq.c:
 *       last_value is the end of the block nextval reserved last (or what
 *       setval set); a table's owned sequences are written and deleted in
 *       the table's own transactions
 *   moves(table_id, shard, source, target, started_ms)   a move's intent
 *       (replication/repl_move.c): written before the target's placement
 *       is added, deleted once the move switched or aborted.  A row left at
 *       open belongs to a move a leader restart interrupted: it is resolved
 *       before anything reads the placements (resolve_moves): switched (the
 *       target took the primary role) → the source's placement goes; any
 *       other phase → the move aborts and the target's placement goes.
 *       The placement removed is an orphan file that follower's STATUS
 *       reports, dropped by repl_recover.c
 *   settings(name, value)   ALTER SYSTEM SET (the rebalancer's settings,
 *       replication/repl_rebalance.c); RESET deletes the row
 *   views(id, name, schema, sql, columns, deps)   CREATE VIEW (catalog_view.c):
 *       the SELECT's text; its columns as "type typmod name" lines; the
 *       ids of the relations it reads, space-separated
 *   schemas(id, name)   CREATE SCHEMA (catalog_schema.c)
 *   indexes(id, name, table_id, columns, is_unique)   CREATE INDEX
 *       (catalog_index.c): its columns as "name[ DESC]" lines
 *   checks(table_id, idx, name, expr, num)   CHECK constraints (cat_check),
 *       written, read and deleted with the table's columns rows (the
 *       ALTER intent's under CAT_ALTER_COLUMNS_ID too), so they change
 *       shape in the same store transactions
 *   stats(table_id, shard, col, value, analyzed_ms)   ANALYZE (catalog_stats.c):
 *       col -1: the shard's row count; col >= 0: that column's distinct
 *       estimate in the shard; analyzed_ms: when, ms since epoch
 * Loading at open rebuilds the in-memory catalog exactly.
 *
 * Locking: after loading, the connection takes locking_mode=EXCLUSIVE and
 * keeps its locks from its first write on: only the leader opens the file,
 * and the default mode cost every write (the decision row of each
 * multi-shard COMMIT) about four fcntl calls on the leader's loop.  Another
 * process can open the file only once the leader is gone (kill -9 drops
 * the locks with the process).  Writes are prepared once (run, stmt_get)
 * and announced to the owner first (cat_set_write_hook).
 *
 * Upgrades: a catalog file written before a column existed gets it at open
 * (ALTER TABLE ... ADD COLUMN with the value every old row meant):
 *   tables.distribution   0 = hash (reference tables came later)
 *   shards.range_min      NULL (range tables came later)
 *   shards.rows           0 (unknown)
 *   shards.gen            0 (never split: files "t<id>_s<idx>.db")
 *   columns.identity      0 (no identity columns)
 * and a missing table is created (CREATE TABLE IF NOT EXISTS): stats, empty
 * (no table analyzed yet); sequences, views, schemas, indexes, empty.
 *
 * shards.range_min has no declared type, so it keeps the storage class it
 * is given: INTEGER for an integer range column, TEXT for text, date and
 * timestamp columns (cat_shard.range_min); NULL means unbounded below, and
 * hash and reference tables leave it NULL.
 */
#include "catalog/catalog_int.h"
#include "catalog/catalog_fkey.h"

#include "common/log.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const schema_sql =
	"PRAGMA journal_mode=WAL;"
	"PRAGMA synchronous=FULL;"
	"CREATE TABLE IF NOT EXISTS nodes(id INTEGER PRIMARY KEY, name TEXT UNIQUE NOT NULL,"
	" addr TEXT NOT NULL, role INTEGER NOT NULL);"
	"CREATE TABLE IF NOT EXISTS tables(id INTEGER PRIMARY KEY, name TEXT NOT NULL,"
	" schema TEXT NOT NULL, dist_col INTEGER NOT NULL, nshards INTEGER NOT NULL,"
	" replicas INTEGER NOT NULL, distribution INTEGER NOT NULL DEFAULT 0);"
	"CREATE TABLE IF NOT EXISTS columns(table_id INTEGER NOT NULL, idx INTEGER NOT NULL,"
	" name TEXT NOT NULL, type INTEGER NOT NULL, typmod INTEGER NOT NULL,"
	" not_null INTEGER NOT NULL, primary_key INTEGER NOT NULL, hidden INTEGER NOT NULL,"
	" default_sql TEXT, PRIMARY KEY(table_id, idx));"
	"CREATE TABLE IF NOT EXISTS shards(table_id INTEGER NOT NULL, idx INTEGER NOT NULL,"
	" hash_min INTEGER NOT NULL, hash_max INTEGER NOT NULL, range_min,"
	" rows INTEGER NOT NULL DEFAULT 0, PRIMARY KEY(table_id, idx));"
	"CREATE TABLE IF NOT EXISTS placements(table_id INTEGER NOT NULL, shard INTEGER NOT NULL,"
	" node_id INTEGER NOT NULL, role INTEGER NOT NULL, applied_lsn INTEGER NOT NULL,"
	" PRIMARY KEY(table_id, shard, node_id));"
	"CREATE TABLE IF NOT EXISTS stats(table_id INTEGER NOT NULL, shard INTEGER NOT NULL,"
	" col INTEGER NOT NULL, value INTEGER NOT NULL, analyzed_ms INTEGER NOT NULL,"
	" PRIMARY KEY(table_id, shard, col));"
	"CREATE TABLE IF NOT EXISTS txn_outcomes(txid INTEGER PRIMARY KEY, outcome TEXT NOT NULL,"
	" participants TEXT NOT NULL, decided_ms INTEGER NOT NULL);"
	/* the trim's scan and murphy.transaction_outcomes read by time */
	"CREATE INDEX IF NOT EXISTS txn_outcomes_by_time ON txn_outcomes(decided_ms, txid);"
	"CREATE TABLE IF NOT EXISTS ddl_pending(table_id INTEGER PRIMARY KEY,"
	" txid INTEGER NOT NULL);"
	/* ALTER TABLE's intent (catalog_alter.c): the shape table_id takes if
	 * txid commits; its columns are rows of columns under table_id
	 * CAT_ALTER_COLUMNS_ID(table_id) */
	"CREATE TABLE IF NOT EXISTS alter_pending(table_id INTEGER PRIMARY KEY,"
	" txid INTEGER NOT NULL, name TEXT NOT NULL, dist_col INTEGER NOT NULL);"
	"CREATE TABLE IF NOT EXISTS sequences(id INTEGER PRIMARY KEY, name TEXT NOT NULL,"
	" type INTEGER NOT NULL, increment INTEGER NOT NULL, min_value INTEGER NOT NULL,"
	" max_value INTEGER NOT NULL, start INTEGER NOT NULL, cache INTEGER NOT NULL,"
	" cycle INTEGER NOT NULL, owner_table INTEGER NOT NULL, owner_col INTEGER NOT NULL,"
	" last_value INTEGER NOT NULL, is_called INTEGER NOT NULL,"
	" schema TEXT NOT NULL DEFAULT 'public');"
	"CREATE TABLE IF NOT EXISTS roles(name TEXT PRIMARY KEY, login INTEGER NOT NULL,"
	" superuser INTEGER NOT NULL, verifier TEXT NOT NULL);"
	"CREATE TABLE IF NOT EXISTS grants(table_id INTEGER NOT NULL, role TEXT NOT NULL,"
	" privs INTEGER NOT NULL, PRIMARY KEY(table_id, role));"
	"CREATE TABLE IF NOT EXISTS moves(table_id INTEGER NOT NULL, shard INTEGER NOT NULL,"
	" source INTEGER NOT NULL, target INTEGER NOT NULL, started_ms INTEGER NOT NULL,"
	" PRIMARY KEY(table_id, shard));"
	"CREATE TABLE IF NOT EXISTS settings(name TEXT PRIMARY KEY, value TEXT NOT NULL);"
	/* catalog_view.c: columns and deps encoded as text there */
	"CREATE TABLE IF NOT EXISTS views(id INTEGER PRIMARY KEY, name TEXT NOT NULL,"
	" schema TEXT NOT NULL, sql TEXT NOT NULL, columns TEXT NOT NULL, deps TEXT NOT NULL);"
	"CREATE TABLE IF NOT EXISTS schemas(id INTEGER PRIMARY KEY, name TEXT UNIQUE NOT NULL);"
	/* catalog_index.c: columns as "name[ DESC]" lines */
	/* (a name is unique per schema, its table's: catalog_index.c checks) */
	"CREATE TABLE IF NOT EXISTS indexes(id INTEGER PRIMARY KEY, name TEXT NOT NULL,"
	" table_id INTEGER NOT NULL, columns TEXT NOT NULL, is_unique INTEGER NOT NULL);"
	/* catalog_fkey.c */
	"CREATE TABLE IF NOT EXISTS checks(table_id INTEGER NOT NULL, idx INTEGER NOT NULL,"
	" name TEXT NOT NULL, expr TEXT NOT NULL, num INTEGER NOT NULL,"
	" PRIMARY KEY(table_id, idx));"
	"CREATE TABLE IF NOT EXISTS fkeys(id INTEGER PRIMARY KEY, name TEXT NOT NULL,"
	" table_id INTEGER NOT NULL, col INTEGER NOT NULL, ref_table_id INTEGER NOT NULL,"
	" ref_col INTEGER NOT NULL, on_delete TEXT NOT NULL, on_update TEXT NOT NULL);";

static int store_error(catalog *c, mur_error *err, const char *what)
{
	return mur_error_set(err, SQLSTATE_IO_ERROR, "catalog store: %s: %s", what,
			     c->store ? sqlite3_errmsg(c->store) : "not open");
}

void cat_set_write_hook(catalog *c, void (*fn)(void *arg), void *arg)
{
	c->write_hook = fn;
	c->write_hook_arg = arg;
}

static void before_write(catalog *c)
{
	if (c->write_hook)
		c->write_hook(c->write_hook_arg);
}

static int exec_sql(catalog *c, const char *sql, mur_error *err)
{
	char *msg = NULL;
	before_write(c);
	if (sqlite3_exec(c->store, sql, NULL, NULL, &msg) != SQLITE_OK) {
		mur_error_set(err, SQLSTATE_IO_ERROR, "catalog store: %s", msg ? msg : "?");
		sqlite3_free(msg);
		return MUR_ERR;
	}
	return MUR_OK;
}

/* sql prepared: kept in c->stmts (found by its text; *kept = 1), or, with
 * the cache full, prepared for one use (*kept = 0).  NULL on error. */
static sqlite3_stmt *stmt_get(catalog *c, const char *sql, int *kept)
{
	sqlite3_stmt *st = NULL;
	for (int i = 0; i < c->nstmts; i++)
		if (c->stmts[i].sql == sql || strcmp(c->stmts[i].sql, sql) == 0) {
			*kept = 1;
			return c->stmts[i].st;
		}
	*kept = c->nstmts < CAT_STORE_STMTS_MAX;
	if (sqlite3_prepare_v3(c->store, sql, -1, *kept ? SQLITE_PREPARE_PERSISTENT : 0, &st,
			       NULL) != SQLITE_OK)
		return NULL;
	if (*kept) {
		c->stmts[c->nstmts].sql = sqlite3_sql(st); /* lives as long as st */
		c->stmts[c->nstmts++].st = st;
	}
	return st;
}

/* Prepare (once: stmt_get), bind a list of int64s (and optional texts via
 * bind_text), step to completion.  Used for all the small writes below. */
static int runv(catalog *c, const char *sql, const char *fmt, mur_error *err, va_list ap)
{
	sqlite3_stmt *st;
	int rc, kept;

	before_write(c);
	if (!(st = stmt_get(c, sql, &kept)))
		return store_error(c, err, "prepare");
	for (int i = 0; fmt[i]; i++) {
		if (fmt[i] == 'i')
			sqlite3_bind_int64(st, i + 1, va_arg(ap, int64_t));
		else {
			const char *s = va_arg(ap, const char *);
			if (s)
				sqlite3_bind_text(st, i + 1, s, -1, SQLITE_TRANSIENT);
			else
				sqlite3_bind_null(st, i + 1);
		}
	}
	rc = sqlite3_step(st);
	if (rc != SQLITE_DONE)
		rc = store_error(c, err, "write"); /* before reset: the message is the step's */
	else
		rc = MUR_OK;
	if (kept) {
		sqlite3_reset(st);
		sqlite3_clear_bindings(st);
	} else {
		sqlite3_finalize(st);
	}
	return rc;
}

static int run(catalog *c, const char *sql, const char *fmt, mur_error *err, ...)
{
	va_list ap;
	int rc;
	va_start(ap, err);
	rc = runv(c, sql, fmt, err, ap);
	va_end(ap);
	return rc;
}

/* run() for the other files of the folder (catalog_role.c). */
int cat_store_run(catalog *c, const char *sql, const char *fmt, mur_error *err, ...)
{
	va_list ap;
	int rc;
	va_start(ap, err);
	rc = runv(c, sql, fmt, err, ap);
	va_end(ap);
	return rc;
}

/* 1 when table `table` of the store has column `column`. */
static int has_column(catalog *c, const char *table, const char *column)
{
	sqlite3_stmt *st;
	int found = 0;
	if (sqlite3_prepare_v2(c->store, "SELECT 1 FROM pragma_table_info(?1) WHERE name = ?2", -1,
			       &st, NULL) != SQLITE_OK)
		return 0;
	sqlite3_bind_text(st, 1, table, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, column, -1, SQLITE_STATIC);
	found = sqlite3_step(st) == SQLITE_ROW;
	sqlite3_finalize(st);
	return found;
}

/* Columns added since the first catalog format (see the header). */
static int upgrade(catalog *c, mur_error *err)
{
	if (!has_column(c, "tables", "distribution") &&
	    exec_sql(c, "ALTER TABLE tables ADD COLUMN distribution INTEGER NOT NULL DEFAULT 0",
		     err) != MUR_OK)
		return MUR_ERR;
	if (!has_column(c, "shards", "range_min") &&
	    exec_sql(c, "ALTER TABLE shards ADD COLUMN range_min", err) != MUR_OK)
		return MUR_ERR;
	if (!has_column(c, "columns", "identity") &&
	    exec_sql(c, "ALTER TABLE columns ADD COLUMN identity INTEGER NOT NULL DEFAULT 0",
		     err) != MUR_OK)
		return MUR_ERR;
	if (!has_column(c, "shards", "rows") &&
	    exec_sql(c, "ALTER TABLE shards ADD COLUMN rows INTEGER NOT NULL DEFAULT 0", err) !=
		    MUR_OK)
		return MUR_ERR;
	if (!has_column(c, "sequences", "schema") &&
	    exec_sql(c, "ALTER TABLE sequences ADD COLUMN schema TEXT NOT NULL DEFAULT 'public'",
		     err) != MUR_OK)
		return MUR_ERR;
	if (!has_column(c, "shards", "gen") &&
	    exec_sql(c, "ALTER TABLE shards ADD COLUMN gen INTEGER NOT NULL DEFAULT 0", err) !=
		    MUR_OK)
		return MUR_ERR;
	if (cat_indexes_upgrade(c, err) != MUR_OK) /* index names unique per schema */
		return MUR_ERR;
	return MUR_OK;
}

/* shards.range_min → cat_shard.range_min (a copy). */
static int load_range_min(sqlite3_stmt *st, int col, cat_shard *s)
{
	mur_value v = mur_v_null();
	switch (sqlite3_column_type(st, col)) {
	case SQLITE_INTEGER:
		v = mur_v_int(sqlite3_column_int64(st, col));
		break;
	case SQLITE_FLOAT:
		v = mur_v_float(sqlite3_column_double(st, col));
		break;
	case SQLITE_TEXT:
		v = mur_v_text((const char *)sqlite3_column_text(st, col),
			       (size_t)sqlite3_column_bytes(st, col));
		break;
	case SQLITE_BLOB:
		v = mur_v_blob(sqlite3_column_blob(st, col), (size_t)sqlite3_column_bytes(st, col));
		break;
	default:
		break;
	}
	return cat_shard_set_range_min(s, &v);
}

/* Bind cat_shard.range_min to parameter i. */
static void bind_range_min(sqlite3_stmt *st, int i, const mur_value *v)
{
	switch (v->kind) {
	case MV_INT:
		sqlite3_bind_int64(st, i, v->i);
		break;
	case MV_FLOAT:
		sqlite3_bind_double(st, i, v->f);
		break;
	case MV_TEXT:
		sqlite3_bind_text(st, i, v->s, (int)v->len, SQLITE_TRANSIENT);
		break;
	case MV_BLOB:
		sqlite3_bind_blob(st, i, v->s, (int)v->len, SQLITE_TRANSIENT);
		break;
	default:
		sqlite3_bind_null(st, i);
		break;
	}
}

static int load_nodes(catalog *c, mur_error *err)
{
	sqlite3_stmt *st;
	if (sqlite3_prepare_v2(c->store, "SELECT id, name, addr, role FROM nodes ORDER BY id", -1,
			       &st, NULL) != SQLITE_OK)
		return store_error(c, err, "load nodes");
	while (sqlite3_step(st) == SQLITE_ROW) {
		cat_node *n = calloc(1, sizeof *n);
		if (!n)
			break;
		n->id = (uint32_t)sqlite3_column_int64(st, 0);
		snprintf(n->name, sizeof n->name, "%s", (const char *)sqlite3_column_text(st, 1));
		snprintf(n->addr, sizeof n->addr, "%s", (const char *)sqlite3_column_text(st, 2));
		n->role = (cat_node_role)sqlite3_column_int(st, 3);
		/* Until it heartbeats again, a follower known from the store is
		 * not known to be alive. */
		n->state = n->role == CAT_NODE_LEADER ? CAT_NODE_ALIVE : CAT_NODE_SUSPECT;
		cat_insert_loaded_node(c, n);
	}
	sqlite3_finalize(st);
	return MUR_OK;
}

/* The checks rows under store_id into t->checks. */
static int load_checks(catalog *c, int64_t store_id, cat_table *t)
{
	sqlite3_stmt *st;
	t->nchecks = 0;
	if (sqlite3_prepare_v2(c->store,
			       "SELECT name, expr, num FROM checks WHERE table_id = ? ORDER BY idx",
			       -1, &st, NULL) != SQLITE_OK)
		return MUR_ERR;
	sqlite3_bind_int64(st, 1, store_id);
	while (sqlite3_step(st) == SQLITE_ROW && t->nchecks < CAT_CHECKS_MAX) {
		cat_check *k = &t->checks[t->nchecks++];
		snprintf(k->name, sizeof k->name, "%s", (const char *)sqlite3_column_text(st, 0));
		snprintf(k->expr, sizeof k->expr, "%s", (const char *)sqlite3_column_text(st, 1));
		k->num = (uint8_t)sqlite3_column_int(st, 2);
	}
	sqlite3_finalize(st);
	return MUR_OK;
}

int cat_store_load_columns(catalog *c, int64_t store_id, cat_table *t)
{
	sqlite3_stmt *st;
	t->ncols = 0;
	if (sqlite3_prepare_v2(c->store,
			       "SELECT idx, name, type, typmod, not_null, primary_key, hidden, "
			       "default_sql, identity"
			       " FROM columns WHERE table_id = ? ORDER BY idx",
			       -1, &st, NULL) != SQLITE_OK)
		return MUR_ERR;
	sqlite3_bind_int64(st, 1, store_id);
	while (sqlite3_step(st) == SQLITE_ROW && t->ncols < CAT_COLUMNS_MAX) {
		cat_column *col = &t->cols[t->ncols++];
		const char *def = (const char *)sqlite3_column_text(st, 7);
		snprintf(col->name, sizeof col->name, "%s",
			 (const char *)sqlite3_column_text(st, 1));
		col->type = (mur_type)sqlite3_column_int(st, 2);
		col->typmod = sqlite3_column_int(st, 3);
		col->not_null = sqlite3_column_int(st, 4);
		col->primary_key = sqlite3_column_int(st, 5);
		col->hidden = sqlite3_column_int(st, 6);
		col->default_sql = def ? strdup(def) : NULL;
		col->identity = (char)sqlite3_column_int(st, 8);
	}
	sqlite3_finalize(st);
	return load_checks(c, store_id, t);
}

static int load_table_children(catalog *c, cat_table *t)
{
	sqlite3_stmt *st;
	if (cat_store_load_columns(c, t->id, t) != MUR_OK)
		return MUR_ERR;
	t->shards = calloc(t->nshards, sizeof *t->shards);
	if (!t->shards)
		return MUR_ENOMEM;
	sqlite3_prepare_v2(c->store,
			   "SELECT idx, hash_min, hash_max, range_min, gen FROM shards WHERE "
			   "table_id = "
			   "?"
			   " ORDER BY idx",
			   -1, &st, NULL);
	sqlite3_bind_int64(st, 1, t->id);
	while (sqlite3_step(st) == SQLITE_ROW) {
		uint32_t i = (uint32_t)sqlite3_column_int64(st, 0);
		if (i >= t->nshards)
			continue;
		t->shards[i].index = i;
		t->shards[i].hash_min = (uint32_t)sqlite3_column_int64(st, 1);
		t->shards[i].hash_max = (uint32_t)sqlite3_column_int64(st, 2);
		t->shards[i].gen = (uint32_t)sqlite3_column_int64(st, 4);
		if (cat_table_is_range(t) && load_range_min(st, 3, &t->shards[i]) != MUR_OK) {
			sqlite3_finalize(st);
			return MUR_ENOMEM;
		}
	}
	sqlite3_finalize(st);
	if (cat_table_is_range(t) && cat_range_build_order(t) != MUR_OK)
		return MUR_ERR; /* bounds that break catalog_range.c's invariants */
	if (!cat_table_is_range(t) && cat_hash_build_order(t) != MUR_OK)
		return MUR_ENOMEM;

	sqlite3_prepare_v2(c->store,
			   "SELECT shard, node_id, role, applied_lsn FROM placements WHERE "
			   "table_id = ?"
			   " ORDER BY shard, role, node_id",
			   -1, &st, NULL);
	sqlite3_bind_int64(st, 1, t->id);
	while (sqlite3_step(st) == SQLITE_ROW) {
		uint32_t i = (uint32_t)sqlite3_column_int64(st, 0);
		cat_shard *s;
		if (i >= t->nshards)
			continue;
		s = &t->shards[i];
		if (s->nplacements >= CAT_REPLICAS_MAX)
			continue;
		s->placements[s->nplacements].node_id = (uint32_t)sqlite3_column_int64(st, 1);
		s->placements[s->nplacements].role = (cat_placement_role)sqlite3_column_int(st, 2);
		s->placements[s->nplacements].applied_lsn = (uint64_t)sqlite3_column_int64(st, 3);
		s->nplacements++;
	}
	sqlite3_finalize(st);
	return MUR_OK;
}

static int load_tables(catalog *c, mur_error *err)
{
	sqlite3_stmt *st;
	if (sqlite3_prepare_v2(c->store,
			       "SELECT id, name, schema, dist_col, nshards, replicas, distribution"
			       " FROM tables ORDER BY id",
			       -1, &st, NULL) != SQLITE_OK)
		return store_error(c, err, "load tables");
	while (sqlite3_step(st) == SQLITE_ROW) {
		cat_table *t = calloc(1, sizeof *t);
		if (!t)
			break;
		t->id = (uint32_t)sqlite3_column_int64(st, 0);
		snprintf(t->name, sizeof t->name, "%s", (const char *)sqlite3_column_text(st, 1));
		snprintf(t->schema, sizeof t->schema, "%s",
			 (const char *)sqlite3_column_text(st, 2));
		t->dist_col = sqlite3_column_int(st, 3);
		t->nshards = (uint32_t)sqlite3_column_int64(st, 4);
		t->replicas = sqlite3_column_int(st, 5);
		t->kind = CAT_TABLE_DISTRIBUTED;
		switch (sqlite3_column_int(st, 6)) {
		case CAT_DIST_REFERENCE:
			t->distribution = CAT_DIST_REFERENCE;
			break;
		case CAT_DIST_RANGE:
			t->distribution = CAT_DIST_RANGE;
			break;
		default:
			t->distribution = CAT_DIST_HASH;
			break;
		}
		if (t->nshards == 0 || t->nshards > CAT_SHARDS_MAX ||
		    load_table_children(c, t) != MUR_OK) {
			cat_range_free(t);
			free(t->shards);
			free(t);
			continue;
		}
		cat_insert_loaded_table(c, t);
	}
	sqlite3_finalize(st);
	return MUR_OK;
}

/* shards.rows → cat_shard.rows, after the statistics: the estimate kept
 * by writes is at least as recent as the last ANALYZE's count. */
static int load_row_estimates(catalog *c, mur_error *err)
{
	sqlite3_stmt *st;
	if (sqlite3_prepare_v2(c->store, "SELECT table_id, idx, rows FROM shards WHERE rows > 0",
			       -1, &st, NULL) != SQLITE_OK)
		return store_error(c, err, "load row estimates");
	while (sqlite3_step(st) == SQLITE_ROW) {
		cat_table *t = cat_table_by_id(c, (uint32_t)sqlite3_column_int64(st, 0));
		uint32_t s = (uint32_t)sqlite3_column_int64(st, 1);
		if (t && s < t->nshards)
			t->shards[s].rows = (uint64_t)sqlite3_column_int64(st, 2);
	}
	sqlite3_finalize(st);
	return MUR_OK;
}

/* stats rows → the loaded tables (rows of tables not loaded are skipped). */
static int load_stats(catalog *c, mur_error *err)
{
	sqlite3_stmt *st;
	int rc = MUR_OK;
	if (sqlite3_prepare_v2(c->store,
			       "SELECT table_id, shard, col, value, analyzed_ms FROM stats ORDER "
			       "BY 1, 2, 3",
			       -1, &st, NULL) != SQLITE_OK)
		return store_error(c, err, "load stats");
	while (rc == MUR_OK && sqlite3_step(st) == SQLITE_ROW) {
		cat_table *t = cat_table_by_id(c, (uint32_t)sqlite3_column_int64(st, 0));
		if (t && t->kind == CAT_TABLE_DISTRIBUTED &&
		    cat_stats_apply(t, (uint32_t)sqlite3_column_int64(st, 1),
				    sqlite3_column_int(st, 2),
				    (uint64_t)sqlite3_column_int64(st, 3),
				    sqlite3_column_int64(st, 4)) == MUR_ENOMEM)
			rc = mur_error_set(err, SQLSTATE_OUT_OF_MEMORY,
					   "out of memory loading statistics");
	}
	sqlite3_finalize(st);
	return rc;
}

/* Tables of blocks that never committed (ddl_pending) leave the store. */
static int drop_pending(catalog *c, mur_error *err)
{
	sqlite3_stmt *st;
	uint32_t ids[CAT_TABLES_MAX];
	int n = 0;
	if (sqlite3_prepare_v2(c->store, "SELECT table_id, txid FROM ddl_pending", -1, &st, NULL) !=
	    SQLITE_OK)
		return store_error(c, err, "load ddl_pending");
	while (n < CAT_TABLES_MAX && sqlite3_step(st) == SQLITE_ROW) {
		ids[n++] = (uint32_t)sqlite3_column_int64(st, 0);
		MLOG(WARN, "catalog",
		     "dropping table %u: created by transaction %lld, which did not commit",
		     ids[n - 1], (long long)sqlite3_column_int64(st, 1));
	}
	sqlite3_finalize(st);
	for (int i = 0; i < n; i++)
		if (cat_store_delete_table(c, ids[i], err) != MUR_OK)
			return MUR_ERR;
	return MUR_OK;
}

static int load_sequences(catalog *c, mur_error *err)
{
	sqlite3_stmt *st;
	if (sqlite3_prepare_v2(c->store,
			       "SELECT id, name, type, increment, min_value, max_value, start, "
			       "cache,"
			       " cycle, owner_table, owner_col, last_value, is_called, schema FROM "
			       "sequences"
			       " ORDER BY id",
			       -1, &st, NULL) != SQLITE_OK)
		return store_error(c, err, "load sequences");
	while (sqlite3_step(st) == SQLITE_ROW) {
		cat_sequence *s = calloc(1, sizeof *s);
		if (!s)
			break;
		s->id = (uint32_t)sqlite3_column_int64(st, 0);
		snprintf(s->name, sizeof s->name, "%s", (const char *)sqlite3_column_text(st, 1));
		s->type = (mur_type)sqlite3_column_int(st, 2);
		s->increment = sqlite3_column_int64(st, 3);
		s->min_value = sqlite3_column_int64(st, 4);
		s->max_value = sqlite3_column_int64(st, 5);
		s->start = sqlite3_column_int64(st, 6);
		s->cache = sqlite3_column_int64(st, 7);
		s->cycle = sqlite3_column_int(st, 8);
		s->owner_table = (uint32_t)sqlite3_column_int64(st, 9);
		s->owner_col = sqlite3_column_int(st, 10);
		s->last_value = sqlite3_column_int64(st, 11);
		s->is_called = sqlite3_column_int(st, 12);
		snprintf(s->schema, sizeof s->schema, "%s",
			 sqlite3_column_text(st, 13) ? (const char *)sqlite3_column_text(st, 13)
						     : "public");
		if (cat_seq_insert_loaded(c, s) != MUR_OK)
			free(s);
	}
	sqlite3_finalize(st);
	return MUR_OK;
}

int cat_move_intent_put(catalog *c, const cat_move_intent *m, mur_error *err)
{
	if (!c->store)
		return MUR_OK; /* an in-memory catalog keeps nothing across restarts */
	return run(c, "INSERT OR REPLACE INTO moves VALUES (?,?,?,?,?)", "iiiii", err,
		   (int64_t)m->table_id, (int64_t)m->shard, (int64_t)m->source, (int64_t)m->target,
		   m->started_ms);
}

int cat_move_intent_clear(catalog *c, uint32_t table_id, uint32_t shard, mur_error *err)
{
	if (!c->store)
		return MUR_OK;
	return run(c, "DELETE FROM moves WHERE table_id = ? AND shard = ?", "ii", err,
		   (int64_t)table_id, (int64_t)shard);
}

int cat_setting_put(catalog *c, const char *name, const char *value, mur_error *err)
{
	if (!c->store)
		return MUR_OK;
	if (!value)
		return run(c, "DELETE FROM settings WHERE name = ?", "s", err, name);
	return run(c, "INSERT OR REPLACE INTO settings VALUES (?,?)", "ss", err, name, value);
}

void cat_settings_each(catalog *c, void (*fn)(void *arg, const char *name, const char *value),
		       void *arg)
{
	sqlite3_stmt *st;
	if (!c->store ||
	    sqlite3_prepare_v2(c->store, "SELECT name, value FROM settings ORDER BY name", -1, &st,
			       NULL) != SQLITE_OK)
		return;
	while (sqlite3_step(st) == SQLITE_ROW)
		fn(arg, (const char *)sqlite3_column_text(st, 0),
		   (const char *)sqlite3_column_text(st, 1));
	sqlite3_finalize(st);
}

int cat_moves_resolved(const catalog *c, const cat_move_intent **out)
{
	*out = c->resolved;
	return c->nresolved;
}

/* One interrupted move settled: which placement goes (m->switched says). */
static int resolve_move(catalog *c, cat_move_intent *m, mur_error *err)
{
	cat_table *t = cat_table_by_id(c, m->table_id);
	cat_placement *tp = t && m->shard < t->nshards
				    ? cat_placement_on(&t->shards[m->shard], m->target)
				    : NULL;
	cat_placement *sp = t && m->shard < t->nshards
				    ? cat_placement_on(&t->shards[m->shard], m->source)
				    : NULL;
	uint32_t gone;
	if (!tp || !sp)
		return MUR_OK; /* nothing left to settle: one of them already went */
	m->switched = tp->role == CAT_PRIMARY;
	gone = m->switched ? m->source : m->target;
	MLOG(WARN, "catalog",
	     "the move of shard %u of %s from node %u to node %u was interrupted by a leader "
	     "restart: %s (the copy on node %u leaves the catalog)",
	     m->shard, t->name, m->source, m->target,
	     m->switched ? "it had switched, it completes" : "it aborts", gone);
	return cat_placement_remove(c, m->table_id, m->shard, gone, err);
}

/* Moves a leader restart interrupted (rows left in moves) are settled
 * before anything reads the placements; remembered for murphy.moves. */
static int resolve_moves(catalog *c, mur_error *err)
{
	sqlite3_stmt *st;
	if (sqlite3_prepare_v2(c->store,
			       "SELECT table_id, shard, source, target, started_ms FROM moves", -1,
			       &st, NULL) != SQLITE_OK)
		return store_error(c, err, "load moves");
	while (c->nresolved < CAT_MOVES_RESOLVED_MAX && sqlite3_step(st) == SQLITE_ROW) {
		cat_move_intent *m = &c->resolved[c->nresolved++];
		memset(m, 0, sizeof *m);
		m->table_id = (uint32_t)sqlite3_column_int64(st, 0);
		m->shard = (uint32_t)sqlite3_column_int64(st, 1);
		m->source = (uint32_t)sqlite3_column_int64(st, 2);
		m->target = (uint32_t)sqlite3_column_int64(st, 3);
		m->started_ms = sqlite3_column_int64(st, 4);
	}
	sqlite3_finalize(st);
	for (int i = 0; i < c->nresolved; i++)
		if (resolve_move(c, &c->resolved[i], err) != MUR_OK ||
		    cat_move_intent_clear(c, c->resolved[i].table_id, c->resolved[i].shard, err) !=
			    MUR_OK)
			return MUR_ERR;
	return MUR_OK;
}

int cat_store_open(catalog *c, const char *path, const char *vfs, mur_error *err)
{
	if (sqlite3_open_v2(path, &c->store, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, vfs) !=
	    SQLITE_OK) {
		store_error(c, err, path);
		sqlite3_close(c->store);
		c->store = NULL;
		return MUR_ERR;
	}
	sqlite3_busy_timeout(c->store, 5000);
	if (exec_sql(c, schema_sql, err) != MUR_OK || upgrade(c, err) != MUR_OK ||
	    drop_pending(c, err) != MUR_OK || load_nodes(c, err) != MUR_OK ||
	    load_tables(c, err) != MUR_OK || resolve_moves(c, err) != MUR_OK ||
	    load_stats(c, err) != MUR_OK || load_row_estimates(c, err) != MUR_OK ||
	    cat_roles_load(c, err) != MUR_OK || load_sequences(c, err) != MUR_OK ||
	    cat_views_load(c, err) != MUR_OK || cat_schemas_load(c, err) != MUR_OK ||
	    cat_fkeys_load(c, err) != MUR_OK || cat_indexes_load(c, err) != MUR_OK ||
	    cat_comments_load(c, err) != MUR_OK ||
	    exec_sql(c, "PRAGMA locking_mode=EXCLUSIVE", err) != MUR_OK)
		return MUR_ERR;
	return MUR_OK;
}

void cat_store_close(catalog *c)
{
	for (int i = 0; i < c->nstmts; i++)
		sqlite3_finalize(c->stmts[i].st);
	c->nstmts = 0;
	if (c->store)
		sqlite3_close_v2(c->store); /* the decision writer's statement may outlive it */
	c->store = NULL;
}

static int put_shard(catalog *c, uint32_t table_id, const cat_shard *s, mur_error *err)
{
	sqlite3_stmt *st = NULL;
	int rc;
	if (sqlite3_prepare_v2(c->store,
			       "INSERT INTO shards (table_id, idx, hash_min, hash_max, range_min)"
			       " VALUES (?,?,?,?,?)",
			       -1, &st, NULL) != SQLITE_OK)
		return store_error(c, err, "prepare");
	sqlite3_bind_int64(st, 1, table_id);
	sqlite3_bind_int64(st, 2, s->index);
	sqlite3_bind_int64(st, 3, s->hash_min);
	sqlite3_bind_int64(st, 4, s->hash_max);
	bind_range_min(st, 5, &s->range_min);
	rc = sqlite3_step(st);
	sqlite3_finalize(st);
	return rc == SQLITE_DONE ? MUR_OK : store_error(c, err, "write");
}

/* t's columns as rows of columns under store_id (inside a transaction). */
static int put_columns(catalog *c, int64_t store_id, const cat_table *t, mur_error *err)
{
	for (int i = 0; i < t->ncols; i++) {
		const cat_column *col = &t->cols[i];
		if (run(c,
			"INSERT INTO columns (table_id, idx, name, type, typmod, not_null,"
			" primary_key, hidden, default_sql, identity) VALUES (?,?,?,?,?,?,?,?,?,?)",
			"iisiiiiisi", err, store_id, (int64_t)i, col->name, (int64_t)col->type,
			(int64_t)col->typmod, (int64_t)col->not_null, (int64_t)col->primary_key,
			(int64_t)col->hidden, col->default_sql, (int64_t)col->identity) != MUR_OK)
			return MUR_ERR;
	}
	for (int i = 0; i < t->nchecks; i++)
		if (run(c, "INSERT INTO checks VALUES (?,?,?,?,?)", "iissi", err, store_id,
			(int64_t)i, t->checks[i].name, t->checks[i].expr,
			(int64_t)t->checks[i].num) != MUR_OK)
			return MUR_ERR;
	return MUR_OK;
}

/* store_id's columns and checks rows gone (inside a transaction). */
static int delete_columns(catalog *c, int64_t store_id, mur_error *err)
{
	if (run(c, "DELETE FROM columns WHERE table_id = ?", "i", err, store_id) != MUR_OK)
		return MUR_ERR;
	return run(c, "DELETE FROM checks WHERE table_id = ?", "i", err, store_id);
}

/* Forget table_id's ALTER intent (inside a transaction). */
static int drop_intent(catalog *c, uint32_t table_id, mur_error *err)
{
	if (run(c, "DELETE FROM alter_pending WHERE table_id = ?", "i", err, (int64_t)table_id) !=
	    MUR_OK)
		return MUR_ERR;
	return delete_columns(c, CAT_ALTER_COLUMNS_ID(table_id), err);
}

int cat_store_put_alter_intent(catalog *c, uint32_t table_id, uint64_t txid, const cat_table *def,
			       mur_error *err)
{
	if (exec_sql(c, "BEGIN IMMEDIATE", err) != MUR_OK)
		return MUR_ERR;
	if (drop_intent(c, table_id, err) != MUR_OK ||
	    run(c, "INSERT INTO alter_pending VALUES (?,?,?,?)", "iisi", err, (int64_t)table_id,
		(int64_t)txid, def->name, (int64_t)def->dist_col) != MUR_OK ||
	    put_columns(c, CAT_ALTER_COLUMNS_ID(table_id), def, err) != MUR_OK) {
		sqlite3_exec(c->store, "ROLLBACK", NULL, NULL, NULL);
		return MUR_ERR;
	}
	return exec_sql(c, "COMMIT", err);
}

int cat_store_drop_alter_intent(catalog *c, uint32_t table_id, mur_error *err)
{
	if (exec_sql(c, "BEGIN IMMEDIATE", err) != MUR_OK)
		return MUR_ERR;
	if (drop_intent(c, table_id, err) != MUR_OK) {
		sqlite3_exec(c->store, "ROLLBACK", NULL, NULL, NULL);
		return MUR_ERR;
	}
	return exec_sql(c, "COMMIT", err);
}

int cat_store_put_shape(catalog *c, uint32_t table_id, const cat_table *def, int drop_stats,
			mur_error *err)
{
	if (exec_sql(c, "BEGIN IMMEDIATE", err) != MUR_OK)
		return MUR_ERR;
	if (run(c, "UPDATE tables SET name = ?, dist_col = ? WHERE id = ?", "sii", err, def->name,
		(int64_t)def->dist_col, (int64_t)table_id) != MUR_OK ||
	    delete_columns(c, table_id, err) != MUR_OK ||
	    put_columns(c, table_id, def, err) != MUR_OK ||
	    (drop_stats && run(c, "DELETE FROM stats WHERE table_id = ? AND col >= 0", "i", err,
			       (int64_t)table_id) != MUR_OK) ||
	    drop_intent(c, table_id, err) != MUR_OK) {
		sqlite3_exec(c->store, "ROLLBACK", NULL, NULL, NULL);
		return MUR_ERR;
	}
	return exec_sql(c, "COMMIT", err);
}

int cat_store_each_alter_intent(catalog *c, cat_alter_intent_fn fn, void *arg)
{
	/* read them all first: fn writes the table being read */
	struct intent {
		uint32_t table_id;
		uint64_t txid;
		char name[CAT_NAME_MAX];
		int dist_col;
	} *v = NULL;
	sqlite3_stmt *st;
	int n = 0, rc = MUR_OK;
	if (sqlite3_prepare_v2(c->store, "SELECT table_id, txid, name, dist_col FROM alter_pending",
			       -1, &st, NULL) != SQLITE_OK)
		return MUR_ERR;
	while (sqlite3_step(st) == SQLITE_ROW) {
		struct intent *nv = realloc(v, sizeof *v * (size_t)(n + 1));
		if (!nv) {
			rc = MUR_ENOMEM;
			break;
		}
		v = nv;
		v[n].table_id = (uint32_t)sqlite3_column_int64(st, 0);
		v[n].txid = (uint64_t)sqlite3_column_int64(st, 1);
		snprintf(v[n].name, sizeof v[n].name, "%s",
			 (const char *)sqlite3_column_text(st, 2));
		v[n++].dist_col = sqlite3_column_int(st, 3);
	}
	sqlite3_finalize(st);
	for (int i = 0; i < n && rc == MUR_OK; i++)
		rc = fn(arg, v[i].table_id, v[i].txid, v[i].name, v[i].dist_col);
	free(v);
	return rc;
}

int cat_store_put_table(catalog *c, const cat_table *t, mur_error *err)
{
	if (exec_sql(c, "BEGIN IMMEDIATE", err) != MUR_OK)
		return MUR_ERR;
	if (run(c,
		"INSERT INTO tables (id, name, schema, dist_col, nshards, replicas, distribution)"
		" VALUES (?,?,?,?,?,?,?)",
		"issiiii", err, (int64_t)t->id, t->name, t->schema, (int64_t)t->dist_col,
		(int64_t)t->nshards, (int64_t)t->replicas, (int64_t)t->distribution) != MUR_OK)
		goto rollback;
	if (t->pending_txid && run(c, "INSERT INTO ddl_pending VALUES (?,?)", "ii", err,
				   (int64_t)t->id, (int64_t)t->pending_txid) != MUR_OK)
		goto rollback;
	if (put_columns(c, t->id, t, err) != MUR_OK)
		goto rollback;
	for (int i = 0; i < t->nnew_seqs; i++)
		if (cat_store_put_seq(c, &t->new_seqs[i], err) != MUR_OK)
			goto rollback;
	for (uint32_t i = 0; i < t->nshards; i++) {
		const cat_shard *s = &t->shards[i];
		if (put_shard(c, t->id, s, err) != MUR_OK)
			goto rollback;
		for (int k = 0; k < s->nplacements; k++)
			if (run(c, "INSERT INTO placements VALUES (?,?,?,?,?)", "iiiii", err,
				(int64_t)t->id, (int64_t)i, (int64_t)s->placements[k].node_id,
				(int64_t)s->placements[k].role,
				(int64_t)s->placements[k].applied_lsn) != MUR_OK)
				goto rollback;
	}
	return exec_sql(c, "COMMIT", err);
rollback:
	sqlite3_exec(c->store, "ROLLBACK", NULL, NULL, NULL);
	return MUR_ERR;
}

int cat_store_put_split(catalog *c, cat_table *const *ts, int n, uint32_t shard,
			const cat_shard *added, mur_error *err)
{
	if (exec_sql(c, "BEGIN IMMEDIATE", err) != MUR_OK)
		return MUR_ERR;
	for (int i = 0; i < n; i++) {
		const cat_shard *s = &added[i];
		if (run(c, "UPDATE tables SET nshards = ? WHERE id = ?", "ii", err,
			(int64_t)s->index + 1, (int64_t)ts[i]->id) != MUR_OK ||
		    put_shard(c, ts[i]->id, s, err) != MUR_OK ||
		    run(c, "UPDATE shards SET gen = ? WHERE table_id = ? AND idx IN (?, ?)", "iiii",
			err, (int64_t)s->gen, (int64_t)ts[i]->id, (int64_t)shard,
			(int64_t)s->index) != MUR_OK ||
		    (!cat_table_is_range(ts[i]) &&
		     run(c, "UPDATE shards SET hash_max = ? WHERE table_id = ? AND idx = ?", "iii",
			 err, (int64_t)s->hash_min - 1, (int64_t)ts[i]->id,
			 (int64_t)shard) != MUR_OK))
			goto rollback;
		for (int k = 0; k < s->nplacements; k++)
			if (run(c, "INSERT INTO placements VALUES (?,?,?,?,?)", "iiiii", err,
				(int64_t)ts[i]->id, (int64_t)s->index,
				(int64_t)s->placements[k].node_id, (int64_t)s->placements[k].role,
				(int64_t)s->placements[k].applied_lsn) != MUR_OK)
				goto rollback;
	}
	return exec_sql(c, "COMMIT", err);
rollback:
	sqlite3_exec(c->store, "ROLLBACK", NULL, NULL, NULL);
	return MUR_ERR;
}

int cat_store_delete_table(catalog *c, uint32_t table_id, mur_error *err)
{
	static const char *const sqls[] = {"DELETE FROM tables WHERE id = ?",
					   "DELETE FROM columns WHERE table_id = ?",
					   "DELETE FROM checks WHERE table_id = ?",
					   "DELETE FROM shards WHERE table_id = ?",
					   "DELETE FROM placements WHERE table_id = ?",
					   "DELETE FROM stats WHERE table_id = ?",
					   "DELETE FROM sequences WHERE owner_table = ?",
					   "DELETE FROM ddl_pending WHERE table_id = ?",
					   "DELETE FROM alter_pending WHERE table_id = ?",
					   /* ids are reused after a restart: grants go too */
					   "DELETE FROM grants WHERE table_id = ?",
					   "DELETE FROM indexes WHERE table_id = ?",
					   "DELETE FROM moves WHERE table_id = ?"};
	if (exec_sql(c, "BEGIN IMMEDIATE", err) != MUR_OK)
		return MUR_ERR;
	for (size_t i = 0; i < sizeof sqls / sizeof sqls[0]; i++)
		if (run(c, sqls[i], "i", err, (int64_t)table_id) != MUR_OK) {
			sqlite3_exec(c->store, "ROLLBACK", NULL, NULL, NULL);
			return MUR_ERR;
		}
	return exec_sql(c, "COMMIT", err);
}

int cat_store_pending_clear(catalog *c, uint32_t table_id, mur_error *err)
{
	return run(c, "DELETE FROM ddl_pending WHERE table_id = ?", "i", err, (int64_t)table_id);
}

/* The key columns' primary_key flags, in one transaction. */
int cat_store_put_primary_key(catalog *c, uint32_t table_id, const int *cols, int ncols,
			      mur_error *err)
{
	if (exec_sql(c, "BEGIN IMMEDIATE", err) != MUR_OK)
		return MUR_ERR;
	for (int i = 0; i < ncols; i++)
		if (run(c, "UPDATE columns SET primary_key = 1 WHERE table_id = ? AND idx = ?",
			"ii", err, (int64_t)table_id, (int64_t)cols[i]) != MUR_OK) {
			sqlite3_exec(c->store, "ROLLBACK", NULL, NULL, NULL);
			return MUR_ERR;
		}
	return exec_sql(c, "COMMIT", err);
}

int cat_store_put_stats(catalog *c, uint32_t table_id, const cat_analysis *a, mur_error *err)
{
	static const char *const sql = "INSERT OR REPLACE INTO stats VALUES (?,?,?,?,?)";
	if (exec_sql(c, "BEGIN IMMEDIATE", err) != MUR_OK)
		return MUR_ERR;
	for (uint32_t i = 0; i < a->nshards; i++) {
		if (run(c, sql, "iiiii", err, (int64_t)table_id, (int64_t)i, (int64_t)-1,
			(int64_t)a->rows[i], a->analyzed_ms) != MUR_OK)
			goto rollback;
		for (int k = 0; k < a->ncols; k++)
			if (run(c, sql, "iiiii", err, (int64_t)table_id, (int64_t)i,
				(int64_t)a->cols[k],
				(int64_t)a->distinct[(size_t)i * (size_t)a->ncols + (size_t)k],
				a->analyzed_ms) != MUR_OK)
				goto rollback;
	}
	return exec_sql(c, "COMMIT", err);
rollback:
	sqlite3_exec(c->store, "ROLLBACK", NULL, NULL, NULL);
	return MUR_ERR;
}

int cat_store_put_node(catalog *c, const cat_node *n, mur_error *err)
{
	return run(c, "INSERT OR REPLACE INTO nodes VALUES (?,?,?,?)", "issi", err, (int64_t)n->id,
		   n->name, n->addr, (int64_t)n->role);
}

void cat_store_put_placement_lsn(catalog *c, uint32_t table_id, uint32_t shard, uint32_t node_id,
				 uint64_t lsn)
{
	mur_error err;
	run(c,
	    "UPDATE placements SET applied_lsn = ? WHERE table_id = ? AND shard = ? AND node_id = "
	    "?",
	    "iiii", &err, (int64_t)lsn, (int64_t)table_id, (int64_t)shard, (int64_t)node_id);
}

void cat_store_put_shard_rows(catalog *c, uint32_t table_id, uint32_t shard, uint64_t rows)
{
	mur_error err;
	run(c, "UPDATE shards SET rows = ? WHERE table_id = ? AND idx = ?", "iii", &err,
	    (int64_t)rows, (int64_t)table_id, (int64_t)shard);
}

int cat_store_put_placement(catalog *c, uint32_t table_id, uint32_t shard, uint32_t node_id,
			    int role, uint64_t lsn, mur_error *err)
{
	return run(c, "INSERT OR REPLACE INTO placements VALUES (?,?,?,?,?)", "iiiii", err,
		   (int64_t)table_id, (int64_t)shard, (int64_t)node_id, (int64_t)role,
		   (int64_t)lsn);
}

int cat_store_delete_placement(catalog *c, uint32_t table_id, uint32_t shard, uint32_t node_id,
			       mur_error *err)
{
	return run(c, "DELETE FROM placements WHERE table_id = ? AND shard = ? AND node_id = ?",
		   "iii", err, (int64_t)table_id, (int64_t)shard, (int64_t)node_id);
}

int cat_txn_outcome_put(catalog *c, uint64_t txid, const char *outcome, const char *participants,
			int64_t decided_ms, mur_error *err)
{
	if (!c->store)
		return MUR_OK; /* an in-memory catalog keeps nothing across restarts */
	return run(c, "INSERT OR REPLACE INTO txn_outcomes VALUES (?,?,?,?)", "issi", err,
		   (int64_t)txid, outcome, participants, decided_ms);
}

int cat_txn_outcome_get(catalog *c, uint64_t txid, char *outcome, size_t n)
{
	sqlite3_stmt *st = NULL;
	int found = 0;
	cat_decisions_flush(c); /* the decision log's newest first */
	if (!c->store ||
	    sqlite3_prepare_v2(c->store, "SELECT outcome FROM txn_outcomes WHERE txid = ?", -1, &st,
			       NULL) != SQLITE_OK)
		return 0;
	sqlite3_bind_int64(st, 1, (int64_t)txid);
	if (sqlite3_step(st) == SQLITE_ROW) {
		snprintf(outcome, n, "%s", (const char *)sqlite3_column_text(st, 0));
		found = 1;
	}
	sqlite3_finalize(st);
	return found;
}

int cat_txn_outcomes_scan(catalog *c, int64_t after_ms, uint64_t after_txid, int64_t before_ms,
			  int max, cat_txn_outcome_fn fn, void *arg)
{
	sqlite3_stmt *st = NULL;
	int n = 0;
	cat_decisions_flush(c); /* the decision log's newest first */
	if (!c->store || sqlite3_prepare_v2(c->store,
					    "SELECT txid, outcome, participants, decided_ms FROM "
					    "txn_outcomes WHERE (decided_ms, txid) > (?, ?) AND "
					    "decided_ms < ? ORDER BY decided_ms, txid LIMIT ?",
					    -1, &st, NULL) != SQLITE_OK)
		return 0;
	sqlite3_bind_int64(st, 1, after_ms);
	sqlite3_bind_int64(st, 2, (int64_t)after_txid);
	sqlite3_bind_int64(st, 3, before_ms);
	sqlite3_bind_int(st, 4, max);
	while (sqlite3_step(st) == SQLITE_ROW) {
		fn(arg, (uint64_t)sqlite3_column_int64(st, 0),
		   (const char *)sqlite3_column_text(st, 1),
		   (const char *)sqlite3_column_text(st, 2), sqlite3_column_int64(st, 3));
		n++;
	}
	sqlite3_finalize(st);
	return n;
}

int64_t cat_txn_outcome_count(catalog *c)
{
	sqlite3_stmt *st = NULL;
	int64_t n = 0;
	cat_decisions_flush(c); /* the decision log's newest first */
	if (!c->store || sqlite3_prepare_v2(c->store, "SELECT count(*) FROM txn_outcomes", -1, &st,
					    NULL) != SQLITE_OK)
		return 0;
	if (sqlite3_step(st) == SQLITE_ROW)
		n = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return n;
}

int cat_txn_outcomes_delete(catalog *c, const uint64_t *txids, int n, mur_error *err)
{
	int rc = MUR_OK;
	cat_decisions_flush(c); /* the decision log's newest first */
	if (!c->store || n == 0)
		return MUR_OK;
	if (sqlite3_exec(c->store, "BEGIN", NULL, NULL, NULL) != SQLITE_OK)
		return store_error(c, err, "begin");
	for (int i = 0; i < n && rc == MUR_OK; i++)
		rc = run(c, "DELETE FROM txn_outcomes WHERE txid = ?", "i", err, (int64_t)txids[i]);
	if (rc != MUR_OK) {
		sqlite3_exec(c->store, "ROLLBACK", NULL, NULL, NULL);
		return rc;
	}
	if (sqlite3_exec(c->store, "COMMIT", NULL, NULL, NULL) != SQLITE_OK) {
		rc = store_error(c, err, "commit");
		sqlite3_exec(c->store, "ROLLBACK", NULL, NULL, NULL);
	}
	return rc;
}

int cat_txn_outcome_row(catalog *c, uint64_t txid, cat_txn_outcome_fn fn, void *arg)
{
	sqlite3_stmt *st = NULL;
	int found = 0;
	cat_decisions_flush(c); /* a decision still in the log is a row too */
	if (!c->store ||
	    sqlite3_prepare_v2(c->store,
			       "SELECT txid, outcome, participants, decided_ms FROM txn_outcomes "
			       "WHERE txid = ?",
			       -1, &st, NULL) != SQLITE_OK)
		return 0;
	sqlite3_bind_int64(st, 1, (sqlite3_int64)txid);
	if (sqlite3_step(st) == SQLITE_ROW) {
		fn(arg, (uint64_t)sqlite3_column_int64(st, 0),
		   (const char *)sqlite3_column_text(st, 1),
		   (const char *)sqlite3_column_text(st, 2), sqlite3_column_int64(st, 3));
		found = 1;
	}
	sqlite3_finalize(st);
	return found;
}

int cat_txn_outcomes_each(catalog *c, int max, cat_txn_outcome_fn fn, void *arg)
{
	sqlite3_stmt *st = NULL;
	int n = 0;
	cat_decisions_flush(c); /* the decision log's newest first */
	if (!c->store ||
	    sqlite3_prepare_v2(c->store,
			       "SELECT txid, outcome, participants, decided_ms FROM txn_outcomes "
			       "ORDER BY decided_ms DESC LIMIT ?",
			       -1, &st, NULL) != SQLITE_OK)
		return 0;
	sqlite3_bind_int(st, 1, max);
	while (sqlite3_step(st) == SQLITE_ROW) {
		fn(arg, (uint64_t)sqlite3_column_int64(st, 0),
		   (const char *)sqlite3_column_text(st, 1),
		   (const char *)sqlite3_column_text(st, 2), sqlite3_column_int64(st, 3));
		n++;
	}
	sqlite3_finalize(st);
	return n;
}

int cat_store_put_seq(catalog *c, const cat_sequence *s, mur_error *err)
{
	return run(c, "INSERT INTO sequences VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
		   "isiiiiiiiiiiis", err, (int64_t)s->id, s->name, (int64_t)s->type, s->increment,
		   s->min_value, s->max_value, s->start, s->cache, (int64_t)s->cycle,
		   (int64_t)s->owner_table, (int64_t)s->owner_col, s->last_value,
		   (int64_t)s->is_called, s->schema[0] ? s->schema : "public");
}

int cat_store_put_seq_state(catalog *c, uint32_t seq_id, int64_t last_value, int is_called,
			    mur_error *err)
{
	return run(c, "UPDATE sequences SET last_value = ?, is_called = ? WHERE id = ?", "iii", err,
		   last_value, (int64_t)is_called, (int64_t)seq_id);
}

int cat_store_delete_seq(catalog *c, uint32_t seq_id, mur_error *err)
{
	return run(c, "DELETE FROM sequences WHERE id = ?", "i", err, (int64_t)seq_id);
}
