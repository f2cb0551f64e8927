/*
 * stmt_cache.h — a small LRU cache of prepared statements over one SQLite
 * connection, keyed by the statement's SQL text (stmt_cache.c).
 *
 * For a connection that runs the same texts again and again and is not a
 * placement (stor_db keeps its own, db.c): the leader's in-memory SQLite
 * (leader/lead_local.c).  Borrow with stor_stmt_cache_get, give back with
 * stor_stmt_cache_put, which resets the statement and clears its bindings,
 * so no kept statement is ever left mid-step.  A statement handed out is
 * "busy": never handed out twice, never replaced; a text whose entry is
 * busy (a nested use) or too long is prepared uncached and finalized when
 * given back.
 *
 * Staleness: statements are prepared with SQLITE_PREPARE_PERSISTENT by
 * sqlite3_prepare_v3, so SQLite re-prepares a kept one itself when what
 * it was compiled against changed — the schema of a database it reads
 * (schema cookie), any function or collation (re)defined on the
 * connection (sqlite3_create_function expires every statement), a TEMP
 * schema change.  What SQLite cannot see — a value the caller folded into
 * a statement at prepare time — is the caller's to clear
 * (stor_stmt_cache_clear).
 *
 * SQLite re-prepares in sqlite3_step (the schema cookie is checked when the
 * statement opens its read): until the first step a kept statement still
 * describes what it was, so read its shape (sqlite3_column_count, names,
 * decltypes) after the first step: `SELECT * FROM t` kept when t had one
 * column reports one column before and two after the step once t has two.
 */
#ifndef MUR_STORAGE_STMT_CACHE_H
#define MUR_STORAGE_STMT_CACHE_H

#include <sqlite3.h>
#include <stddef.h>
#include <stdint.h>

/* Entries per cache: enough for a workload's few hot texts, small enough
 * that the linear look-up stays a few compares. */
#define STOR_STMT_CACHE_ENTRIES 16
/* Longer texts are not kept (a many-row VALUES: used once, large VM). */
#define STOR_STMT_CACHE_SQL_MAX 8192

typedef struct stor_cached_stmt {
	char *sql;     /* malloc'd key; NULL = free entry */
	size_t len;    /* strlen(sql) */
	uint32_t hash; /* FNV-1a of sql */
	sqlite3_stmt *st;
	uint64_t used; /* LRU clock */
	int busy;      /* handed out, not yet given back */
} stor_cached_stmt;

typedef struct stor_stmt_cache {
	stor_cached_stmt ent[STOR_STMT_CACHE_ENTRIES];
	uint64_t clock;
	uint64_t hits, misses; /* statements borrowed kept / prepared */
} stor_stmt_cache;

/* A prepared statement for sql (its first statement; the rest ignored, as
 * sqlite3_prepare_v2), kept or prepared now.  On error the SQLite error
 * code is returned (db's error message says why) and *out is NULL; an
 * empty text gives SQLITE_OK with *out NULL. */
int stor_stmt_cache_get(stor_stmt_cache *c, sqlite3 *db, const char *sql, sqlite3_stmt **out);
/* Give st back: reset, bindings cleared; kept unless drop (after an error,
 * so a statement that failed is prepared anew), finalized when not kept. */
void stor_stmt_cache_put(stor_stmt_cache *c, sqlite3_stmt *st, int drop);
/* Finalize every entry not busy (all of them before sqlite3_close). */
void stor_stmt_cache_clear(stor_stmt_cache *c);

#endif
