/*
 * pgcatalog.h — PostgreSQL's pg_catalog and information_schema, answered
 * from murphy's catalog, so psql's \d family, drivers and ORMs can look
 * around (docs/decisions.md, "How far the pg_catalog emulation goes").
 *
 * Three pieces, one per file:
 *
 *   pgc_translate   (pgc_deparse.c) a SELECT that reads a catalog relation
 *                   or calls a catalog function → SQLite text over the
 *                   catalog tables, plus its result columns' names and
 *                   types.  The planner (sql/plan_catalog.c) calls it; the
 *                   text runs in the leader's in-memory SQLite.
 *   pgc_materialize (pgc_tables.c) right before that text runs: (re)build
 *                   the catalog tables it names (pg_catalog.pg_class,
 *                   information_schema.columns, ...) from the catalog, in
 *                   two attached in-memory databases named pg_catalog and
 *                   information_schema.
 *   pgc_register    (pgc_func.c) the SQLite functions the text calls
 *                   (pgc_format_type, pgc_regclass_out, pgc_array_to_string, ...);
 *                   session facts (settings, user, pid) come through
 *                   pgc_session_hooks, so this folder never sees a session.
 *
 * OIDs are stable and consistent across the catalogs: pgc_table_oid.
 * Nothing here writes the catalog; everything runs on the leader's loop.
 */
#ifndef PGCATALOG_PGCATALOG_H
#define PGCATALOG_PGCATALOG_H

#include "catalog/catalog.h"
#include "common/buf.h"
#include "common/error.h"
#include "common/value.h"

#include <pg_query/pg_query.pb-c.h>
#include <sqlite3.h>
#include <stdint.h>

/* OIDs.  PostgreSQL's own for its namespaces, role and types; a user table
 * with catalog id N gets PGC_OID_USER_BASE + N * PGC_OIDS_PER_TABLE, its
 * primary key index the next one, the key's constraint the one after (the
 * fourth is spare), so each stays the same across restarts and catalogs.
 * The murphy.* views get PGC_OID_VIEW_BASE + their index the same way.
 * A user table id must stay under PGC_TABLE_ID_MAX for its OIDs to fit in
 * 32 bits. */
#define PGC_OID_USER_BASE 16384u /* PostgreSQL's FirstNormalObjectId */
#define PGC_OID_VIEW_BASE 12000u /* below it, like PostgreSQL's system views */
#define PGC_OIDS_PER_TABLE 4u
#define PGC_TABLE_ID_MAX ((PGC_OID_SEQ_BASE - PGC_OID_USER_BASE) / PGC_OIDS_PER_TABLE - 1)
/* A sequence with catalog id N is PGC_OID_SEQ_BASE + N: sequences have
 * their own ids, so their OIDs take the upper half, above every table's. */
#define PGC_OID_SEQ_BASE 0x80000000u
/* A column default of table id N, column number A: PGC_OID_ATTRDEF_BASE +
 * N * CAT_COLUMNS_MAX + A (pg_dump finds defaults by OID). */
#define PGC_OID_ATTRDEF_BASE 0xC0000000u
/* A secondary index with catalog id N (catalog_index.c) is
 * PGC_OID_INDEX_BASE + N (pgc_index.c). */
#define PGC_OID_INDEX_BASE 0xA0000000u
#define PGC_OID_ROLE_DB_OWNER 6171u /* pg_database_owner: public's owner, as in PostgreSQL 15 */
/* murphy's own schema and views, shown as members of a built-in extension
 * "murphy" (an OID below 16384, as plpgsql's): pg_dump then leaves them out
 * of a dump, as it leaves out what PostgreSQL itself provides. */
#define PGC_OID_EXT_MURPHY 13200u
#define PGC_OID_NS_PG_CATALOG 11u
#define PGC_OID_NS_PUBLIC 2200u
#define PGC_OID_NS_INFO_SCHEMA 13000u
#define PGC_OID_NS_MURPHY 13100u
#define PGC_OID_ROLE 10u /* the one role, the bootstrap superuser */
#define PGC_OID_DATABASE 16383u
#define PGC_OID_AM_BTREE 403u
#define PGC_OID_AM_HEAP 2u

/* The table's OID (0 when its id is past PGC_TABLE_ID_MAX). */
uint32_t pgc_table_oid(const cat_table *t);
/* The sequence's OID (0 when its id does not fit below 2^32). */
uint32_t pgc_seq_oid(const cat_sequence *s);

/* A result column of a translated query. */
#define PGC_NAME_MAX 64
typedef struct pgc_column {
	char name[PGC_NAME_MAX];
	mur_type type;
	uint32_t type_oid; /* RowDescription's type when not type's (regtype …), else 0 */
} pgc_column;
/* Result columns of one catalog query: psql's widest reads 15, SELECT * of
 * information_schema.routines 82. */
#define PGC_COLUMNS_MAX 96

/* 1 when stmt (a SelectStmt node) reads a pg_catalog or information_schema
 * relation, calls a function only this folder answers, or casts to
 * regclass / regtype / regnamespace / oid: the planner hands it to
 * pgc_translate instead of its own analysis. */
int pgc_wants(const PgQuery__Node *stmt);

/* stmt (a SelectStmt node) → SQLite text appended to out, result columns
 * to cols (room for PGC_COLUMNS_MAX), their count to *ncols, the highest
 * parameter number $n it uses to *nparams ($n becomes ?n; a parameter is
 * text, which SQLite compares with a numeric column as a number).  MUR_OK, or
 * MUR_ERR with err set (0A000 for what the emulation does not translate,
 * 54000 past PGC_COLUMNS_MAX). */
int pgc_translate(const PgQuery__Node *stmt, mur_buf *out, pgc_column *cols, int *ncols,
		  int *nparams, mur_error *err);

/* What the catalog functions need: the catalog, and from the session
 * running the query its user, pid and settings; every hook may be NULL
 * (then a default: user "murphy", pid 0, settings unknown). */
typedef struct pgc_session_hooks {
	const catalog *cat; /* what ::regclass, pg_get_indexdef, ... read */
	void *ctx;
	const char *(*user)(void *ctx);
	const char *(*database)(void *ctx);
	int (*pid)(void *ctx);
	/* a setting's value, NULL when unknown */
	const char *(*get)(void *ctx, const char *name);
	/* set_config(name, value, is_local): MUR_OK, or MUR_ERR with err */
	int (*set)(void *ctx, const char *name, const char *value, int is_local, mur_error *err);
	/* the i-th setting's name (pg_settings, SHOW ALL), NULL past the last */
	const char *(*setting_at)(int i);
	/* 1 when the setting cannot be changed (pg_settings.context internal) */
	int (*setting_internal)(const char *name);
	/* the running statement's clock (pgc_time.c), µs since 1970: which 0
	 * its transaction's start (now()), 1 its own start
	 * (statement_timestamp()); 0 when unknown (then the clock at the call) */
	int64_t (*now_us)(void *ctx, int which);
} pgc_session_hooks;

/* Register the catalog functions on db and attach the pg_catalog and
 * information_schema databases.  hooks must outlive db; its fields may be
 * changed between queries (the leader points ctx at the running session). */
int pgc_register(sqlite3 *db, const pgc_session_hooks *hooks, mur_error *err);

/* A session pg_stat_activity shows. */
typedef struct pgc_activity {
	int pid;
	const char *user;
	const char *database;
	const char *application_name;
	const char *state; /* "active", "idle", "idle in transaction" */
	const char *query; /* the last statement, or "" */
	/* backend_start, xact_start, query_start, state_change: µs since
	 * 1970 (wall clock), 0 for NULL */
	int64_t backend_start_us, xact_start_us, query_start_us, state_change_us;
	const char *wait_event_type, *wait_event; /* NULL: not waiting */
	int ssl; /* pg_stat_ssl: the connection is TLS, with these */
	const char *ssl_version, *ssl_cipher;
	int ssl_bits;
} pgc_activity;

/* Rebuild the catalog tables the SQLite text sql names, from cat (as the
 * planner of the running statement sees it: cat_table_lookup's viewer),
 * hooks (pg_settings: the running session's) and acts[0..nacts) for
 * pg_stat_activity and pg_stat_ssl.  MUR_OK or MUR_ERR with err. */
int pgc_materialize(sqlite3 *db, const catalog *cat, const pgc_session_hooks *hooks,
		    const pgc_activity *acts, int nacts, const char *sql, mur_error *err);

/* CHECK constraints' text (pgc_checkdef.c): what PostgreSQL's
 * pg_get_constraintdef prints inside CHECK (...).  print: a raw expression
 * over t's columns → that text, not pretty (cat_check.expr); MUR_EAGAIN
 * when it holds a construct the printer does not know (the caller keeps
 * the text as written instead).  reprint: the
 * stored text again, pretty or not, column from named to when from is not
 * NULL; MUR_ERR when it does not parse.  columns: used[i] > 0 for each
 * column i the text names, its rank in the order they first appear (1, 2,
 * ...; used has t->ncols entries).  Output appended
 * to b. */
int pgc_check_print(const cat_table *t, const PgQuery__Node *expr, mur_buf *b);
int pgc_check_reprint(const cat_table *t, const char *text, int pretty, const char *from,
		      const char *to, mur_buf *b);
int pgc_check_columns(const cat_table *t, const char *text, uint8_t *used);
/* A UNIQUE constraint's pg_constraint OID (its index: pgc_index_oid). */
#define PGC_OID_UNIQUE_BASE 0xF0000000u
/* A CHECK's pg_constraint OID. */
#define PGC_OID_CHECK_BASE 0xE0000000u
uint32_t pgc_check_oid(const cat_table *t, const cat_check *k);

/* pgc_guc.c: pg_settings' description of a setting (vartype, unit,
 * setting in that unit: shown "1s" is 1000 ms, context, short_desc,
 * category: PostgreSQL 15's, pgc_guc_pg15.c), and PostgreSQL's settings
 * murphy shows without keeping them (value, NULL when name is none; names
 * by index, NULL past the last).  pgc_guc_refused(name, value): 1 when a
 * session's SET of such a setting to value would change what PostgreSQL
 * does (value not its default; NULL: RESET, never refused) — 0A000;
 * pgc_guc_fixed: 1 for those no session may SET (55P02). */
typedef struct pgc_guc_info {
	const char *vartype, *unit, *context, *short_desc, *extra_desc,
		*category; /* NULL: not said */
	char setting[64];
} pgc_guc_info;
void pgc_guc_describe(const char *name, const char *shown, pgc_guc_info *out);
const char *pgc_guc_constant(const char *name);
const char *pgc_guc_constant_name(int i);
int pgc_guc_refused(const char *name, const char *value);
int pgc_guc_fixed(const char *name);
/* 1 for a setting whose every value behaves alike in murphy (it governs
 * what murphy has not: check_function_bodies, xmloption): any value is
 * taken, kept for SHOW. */
int pgc_guc_inert(const char *name);
/* An inert setting's value as SHOW prints it (on / off), NULL when it
 * takes no such value. */
const char *pgc_guc_shown_as(const char *name, const char *value);

#endif
