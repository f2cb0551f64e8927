/*
 * parser.h — the parser's door: PostgreSQL text → libpg_query parse trees.
 *
 *   sql_split    one simple-query string → statement strings
 *   sql_parse    one statement → parse tree (libpg_query protobuf, after
 *                depth.c's checks that its nesting cannot overflow the
 *                stack)
 *
 * Neither reads shared state: both are safe on any thread.  The planner
 * (sql/sql.h: sql_prepare_tree) analyzes a tree against the catalog
 * (analyze.h) and plans it.  Errors follow PostgreSQL: 42601 syntax (with
 * position), 22021 bad UTF-8 in an escape, 54001 nesting too deep.
 */
#ifndef PARSER_PARSER_H
#define PARSER_PARSER_H

#include "common/error.h"

/* Split sql into statements (malloc'd array of malloc'd strings).  Empty
 * statements are dropped; an all-empty string gives *n == 0. */
int sql_split(const char *sql, int *n, char ***stmts, mur_error *err);

/* text → parse tree.  On success *tree is owned by the caller
 * (sql_tree_free). */
typedef struct sql_tree sql_tree;
int sql_parse(const char *sql, sql_tree **tree, mur_error *err);
void sql_tree_free(sql_tree *tree);

#endif
