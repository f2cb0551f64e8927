/*
 * parser_int.h — private to src/parser/: how deep a statement may nest
 * (depth.c) and where sql_split stops asking libpg_query (parse.c).
 */
#ifndef PARSER_PARSER_INT_H
#define PARSER_PARSER_INT_H

#include "common/error.h"
#include "parser/parser.h"

#include <pg_query.h>
#include <pg_query/pg_query.pb-c.h>
#include <stddef.h>
#include <stdint.h>

/* Nesting limits (depth.c).  TREE: protobuf messages nested in the parse
 * tree, about two per operator of a 1+1+...+1 chain; unpack, analyze and
 * emit recurse once or twice per message, well inside 8 MiB at 2,000
 * (unpack alone crashed past ~17,000).  TEXT: the token estimate checked
 * before libpg_query, whose own output recursion crashed past ~35,000
 * levels and costs O(depth^2) time (2,000: ~45 ms, 20,000: ~630 ms). */
#define SQL_DEPTH_TREE_MAX 2000
#define SQL_DEPTH_TEXT_MAX 2000
/* sql_split cuts texts this long at the ';' of depth.c's scan instead of
 * parsing them (libpg_query's split of a 7 MB IN list: 640 ms on the loop
 * thread; the scan: ~25 ms).  Shorter texts keep libpg_query's split. */
#define SQL_SPLIT_SCAN_BYTES (64 * 1024)

/* depth.c: 54001 "stack depth limit exceeded" (hint) when sql nests
 * deeper than SQL_DEPTH_TEXT_MAX by the token estimate / when the
 * protobuf tree (len bytes at data) nests more than SQL_DEPTH_TREE_MAX
 * messages.  Neither recurses; MUR_OK otherwise (malformed bytes are left
 * to unpack). */
int sql_depth_check_text(const char *sql, mur_error *err);
int sql_depth_check_tree(const uint8_t *data, size_t len, mur_error *err);
/* sql_depth_check_text that also returns the byte offsets of every ';'
 * outside quotes and comments (*semis malloc'd, the caller frees). */
int sql_depth_split_text(const char *sql, size_t **semis, size_t *nsemis, mur_error *err);

/* n bytes in the tree's own arena (freed with it); NULL when out of memory. */
void *sql_tree_alloc(sql_tree *tree, size_t n);

/* parse_cache.c: parse trees of texts seen before, whatever their integer
 * literals (the file's top comment has the rules).  TEXT_MAX: longer texts
 * are not cached (and parse long enough that a scan is lost in the
 * noise); SLOTS_MAX: integer literals per cached text. */
#define SQL_PCACHE_TEXT_MAX 2048
#define SQL_PCACHE_SLOTS_MAX 32
#if SQL_PCACHE_TEXT_MAX != SQL_LIFT_TEXT_MAX || SQL_PCACHE_SLOTS_MAX != SQL_LIFT_MAX
#error "lift.c reads texts with the parse cache's scan: the same limits"
#endif

/* What sql_pcache_scan found in one text: its integer literals (slots). */
typedef struct sql_pcache_probe {
	const char *sql;
	size_t len;
	uint64_t hash;
	int nslots;
	uint32_t off[SQL_PCACHE_SLOTS_MAX];
	uint16_t slot_len[SQL_PCACHE_SLOTS_MAX];
	int32_t val[SQL_PCACHE_SLOTS_MAX];
} sql_pcache_probe;

enum { SQL_PCACHE_MISS = 0, SQL_PCACHE_HIT = 1, SQL_PCACHE_NEGATIVE = 2 };

/* 1 when sql may be cached (*p filled; p keeps pointing at sql), 0 when
 * not (too long, or something the scan does not read). */
int sql_pcache_scan(const char *sql, sql_pcache_probe *p);
/* SQL_PCACHE_HIT: *packed / *len are the cached tree (the cache's: unpack
 * it, then sql_pcache_patch the result); SQL_PCACHE_NEGATIVE: a text of
 * this key cannot be cached, parse it; SQL_PCACHE_MISS: parse it, then
 * sql_pcache_put. */
int sql_pcache_get(const sql_pcache_probe *p, const uint8_t **packed, size_t *len);
/* Write p's literal values into r, unpacked from sql_pcache_get's bytes;
 * 0 when done, -1 when r is not the tree expected (parse instead). */
int sql_pcache_patch(const sql_pcache_probe *p, PgQuery__ParseResult *r);
/* Keep the tree parsed from p's text: packed (len bytes, copied) and r,
 * its unpacked form, to map each slot to its node (a negative entry when
 * one has none). */
void sql_pcache_put(const sql_pcache_probe *p, const uint8_t *packed, size_t len,
		    const PgQuery__ParseResult *r);
/* Trees this thread took from the cache (tests). */
uint64_t sql_pcache_hits(void);
/* 0 when this thread's exit frees what the parser keeps for it (its cache
 * table, made now if need be, is the value of the pthread key whose
 * destructor also calls sql_split_thread_exit); -1 when it cannot be
 * registered (keep nothing past the call). */
int sql_pcache_thread_watch(void);

/* parse.c: frees the tree sql_split kept for this thread's next sql_parse
 * (parse_cache.c's key destructor calls it at the thread's exit). */
void sql_split_thread_exit(void);

#endif
