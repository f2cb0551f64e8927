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

#include <stddef.h>
#include <stdint.h>

/* Split sql into statements (malloc'd array of malloc'd strings).  Empty
 * statements are dropped; an all-empty string gives *n == 0. */
int sql_split(const char *sql, int *n, char ***stmts, mur_error *err);

/* text → parse tree.  On success *tree is owned by the caller
 * (sql_tree_free). */
typedef struct sql_tree sql_tree;
int sql_parse(const char *sql, sql_tree **tree, mur_error *err);
void sql_tree_free(sql_tree *tree);

/* A statement's integer literals lifted into parameters (lift.c, for
 * sql/plan_cache.c).  sql_lift_scan: 1 when sql's literals can be read
 * (*l: the key, the text with each integer literal that fits int32 as the
 * byte 0x01, and the literals' values in text order), 0 when sql is not
 * one to lift (a $n parameter, a dollar quote, a block comment, longer
 * than SQL_LIFT_TEXT_MAX).  sql_parse_lift: sql_parse, then MUR_OK with
 * the literals of l turned into parameters $1..$n (negated[k]: the grammar
 * folded a '-' into literal k, so $k holds minus its value), or
 * SQL_LIFT_NONE with the tree as parsed when one of them is somewhere a
 * parameter may mean something else (lift.c's top comment); a parse error
 * as sql_parse's.  The caller owns *tree in every case but an error. */
#define SQL_LIFT_TEXT_MAX 2048
#define SQL_LIFT_MAX 32
#define SQL_LIFT_NONE 1
typedef struct sql_lift {
	char key[SQL_LIFT_TEXT_MAX + 1];
	size_t key_len;
	size_t len;    /* the text's bytes up to the ';' that ends it, if one does */
	uint64_t hash; /* FNV-1a of the key */
	int n;
	int32_t val[SQL_LIFT_MAX];
} sql_lift;
int sql_lift_scan(const char *sql, sql_lift *l);
int sql_parse_lift(const char *sql, const sql_lift *l, sql_tree **tree, uint8_t *negated,
		   mur_error *err);

#endif
