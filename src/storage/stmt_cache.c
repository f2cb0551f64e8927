/*
 * stmt_cache.c — an LRU cache of prepared statements keyed by SQL text
 * (stmt_cache.h says when to use it and what keeps it fresh).
 *
 * Invariants:
 *   1. An entry is free (sql NULL, st NULL) or holds a statement prepared
 *      from exactly sql.
 *   2. A busy entry is never handed out again nor replaced; an entry that
 *      is not busy is reset with its bindings cleared (put does both before
 *      clearing busy), so it holds no read transaction and no values.
 *   3. Replacement picks a free entry, else the least recently used one
 *      that is not busy; when all are busy the statement is not kept.
 *   4. At most one entry per text: a text whose entry is busy is prepared
 *      uncached.
 */
#include "storage/stmt_cache.h"

#include <stdlib.h>
#include <string.h>

static uint32_t sql_hash(const char *s, size_t *len)
{
	uint32_t h = 2166136261u;
	const unsigned char *p = (const unsigned char *)s;
	for (; *p; p++)
		h = (h ^ *p) * 16777619u;
	*len = (size_t)(p - (const unsigned char *)s);
	return h;
}

int stor_stmt_cache_get(stor_stmt_cache *c, sqlite3 *db, const char *sql, sqlite3_stmt **out)
{
	stor_cached_stmt *victim = NULL;
	int in_use = 0; /* the text's entry is busy: prepare one uncached */
	size_t len;
	uint32_t hash = sql_hash(sql, &len);
	sqlite3_stmt *st = NULL;
	int rc;
	*out = NULL;
	for (int i = 0; i < STOR_STMT_CACHE_ENTRIES; i++) {
		stor_cached_stmt *e = &c->ent[i];
		if (e->sql && e->hash == hash && e->len == len && memcmp(e->sql, sql, len) == 0) {
			if ((in_use = e->busy))
				continue;
			e->busy = 1;
			e->used = ++c->clock;
			c->hits++;
			*out = e->st;
			return SQLITE_OK;
		}
		if (!e->busy && (!victim || !e->sql || (victim->sql && e->used < victim->used)))
			victim = e;
	}
	c->misses++;
	if (len > STOR_STMT_CACHE_SQL_MAX || in_use)
		victim = NULL; /* one entry per text (invariant 4) */
	rc = sqlite3_prepare_v3(db, sql, (int)len + 1, victim ? SQLITE_PREPARE_PERSISTENT : 0, &st,
				NULL);
	if (rc != SQLITE_OK || !st)
		return rc;
	char *key = victim ? malloc(len + 1) : NULL;
	if (key) {
		memcpy(key, sql, len + 1);
		if (victim->st)
			sqlite3_finalize(victim->st);
		free(victim->sql);
		*victim = (stor_cached_stmt){.sql = key,
					     .len = len,
					     .hash = hash,
					     .st = st,
					     .used = ++c->clock,
					     .busy = 1};
	}
	*out = st;
	return SQLITE_OK;
}

void stor_stmt_cache_put(stor_stmt_cache *c, sqlite3_stmt *st, int drop)
{
	if (!st)
		return;
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	for (int i = 0; i < STOR_STMT_CACHE_ENTRIES; i++) {
		stor_cached_stmt *e = &c->ent[i];
		if (e->st != st)
			continue;
		e->busy = 0;
		if (!drop)
			return;
		free(e->sql);
		*e = (stor_cached_stmt){0};
		break;
	}
	sqlite3_finalize(st); /* not kept, or dropped */
}

void stor_stmt_cache_clear(stor_stmt_cache *c)
{
	for (int i = 0; i < STOR_STMT_CACHE_ENTRIES; i++) {
		stor_cached_stmt *e = &c->ent[i];
		if (!e->sql || e->busy)
			continue;
		sqlite3_finalize(e->st);
		free(e->sql);
		*e = (stor_cached_stmt){0};
	}
}
