/*
 * parser_int.h — private to src/parser/: how deep a statement may nest
 * (depth.c) and where sql_split stops asking libpg_query (parse.c).
 */
#ifndef PARSER_PARSER_INT_H
#define PARSER_PARSER_INT_H

#include "common/error.h"

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

#endif
