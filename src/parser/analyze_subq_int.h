/*
 * analyze_subq_int.h — private to the subquery analysis of src/parser/
 * (analyze_subq.c, analyze_semijoin.c, analyze_from_subq.c,
 * analyze_setop.c): nested scopes and the statement's list of subs.
 */
#ifndef PARSER_ANALYZE_SUBQ_INT_H
#define PARSER_ANALYZE_SUBQ_INT_H

#include "parser/analyze.h"

/* The state of the enclosing query a nested one saves and gives back. */
typedef struct sql_scope_save {
	sql_query *q;
	int agg_ok, in_agg, seen_agg, targets_typed_later;
	const char *agg_where;
} sql_scope_save;

/* Enter a nested query's scope (the current query becomes an enclosing
 * one, looked up for correlated columns); 54000 past SQL_NEST_MAX. */
int sql_scope_enter(sql_ctx *c, sql_scope_save *sv, int loc);
void sql_scope_leave(sql_ctx *c, const sql_scope_save *sv);
/* A nested SELECT (*q) or set operation (*so) analyzed in its own scope. */
int sql_analyze_nested(sql_ctx *c, PgQuery__Node *n, sql_query **q, sql_setop **so, int loc);
/* One more sub of the statement: its index, -1 on error. */
int sql_sub_add(sql_ctx *c, sql_sub_kind kind, sql_query *q, sql_setop *so, int loc);
/* The SE_SUBQ standing for sub k, of type t. */
sql_expr *sql_sub_ref(sql_ctx *c, int k, mur_type t, int32_t typmod, int loc);
int sql_sub_ntarget(const sql_sub *sb);
sql_target *sql_sub_targets(const sql_sub *sb);
/* A set's subquery: its distinct values, in any order (unless LIMIT
 * picks some). */
void sql_sub_set_shape(sql_query *q);
/* 0A000 "murphy does not support <what> yet" (MUR_ERR). */
int sql_unsupported(sql_ctx *c, const char *what, int loc);
/* The leader table of ROWS sub k ("_sub<k>", sb->table), its columns
 * renamed by colnames; NULL on error (42P10 past its column count). */
cat_table *sql_rows_table(sql_ctx *c, int k, PgQuery__Node **colnames, size_t ncolnames, int loc);
/* analyze_ship.c: every gathered subquery q reads (a ROWS sub's leader
 * table) shipped to the shards beside q's distributed tables (sql_rte.ship):
 * 1; 0 when one cannot be (nothing marked); -1 with c->err set (an outer
 * join that would keep shipped rows on every shard). */
int sql_ship_subs(sql_ctx *c, sql_query *q);
/* A String node's text, else NULL. */
const char *sql_node_str(PgQuery__Node *n);
/* analyze_semijoin.c: EXISTS (subquery) correlated by one equality, as a
 * semi-join by keys; NULL when it is not of that shape (c->err untouched)
 * or on error (c->err set). */
sql_expr *sql_exists_semijoin(sql_ctx *c, PgQuery__SubLink *sl);
/* x IN / NOT IN (subquery) correlated by one equality: x and the outer
 * column probed against the (value, inner column) pairs; the same NULL
 * on no match. */
sql_expr *sql_in_semijoin(sql_ctx *c, PgQuery__SubLink *sl, int negate);
/* (SELECT t FROM f WHERE p AND f.k = o.y): mur_subq_get(o.y, the (t, k)
 * pairs (grouped by k when t aggregates), t over no row). */
sql_expr *sql_scalar_semijoin(sql_ctx *c, PgQuery__SubLink *sl);

/* analyze_ptree.c: parse-tree pieces for the rewrites before analysis, in
 * the statement arena (NULL on OOM, c->err set, or when an argument is
 * NULL): a node of a kind, a String, l op r, l AND r / l OR r (and: 1 /
 * 0), tbl.col (col a String or A_Star node). */
PgQuery__Node *sql_pt_node(sql_ctx *c, PgQuery__Node__NodeCase kind);
PgQuery__Node *sql_pt_string(sql_ctx *c, const char *s);
/* A Node holding msg as its kind (NULL when msg is NULL or on OOM). */
PgQuery__Node *sql_pt_msg(sql_ctx *c, PgQuery__Node__NodeCase kind, void *msg);
/* SELECT * FROM from WHERE where (where may be NULL), a SelectStmt node. */
PgQuery__Node *sql_pt_select_star(sql_ctx *c, PgQuery__Node *from, PgQuery__Node *where);
PgQuery__Node *sql_pt_op(sql_ctx *c, const char *op, PgQuery__Node *l, PgQuery__Node *r, int loc);
PgQuery__Node *sql_pt_bool(sql_ctx *c, int and, PgQuery__Node *l, PgQuery__Node *r);
PgQuery__Node *sql_pt_colref(sql_ctx *c, const char *tbl, PgQuery__Node *col);
/* concat(x, ',', y) */
PgQuery__Node *sql_pt_concat3(sql_ctx *c, PgQuery__Node *x, PgQuery__Node *y);
/* Is m a call of a volatile function (random, nextval, clock_timestamp ...)?
 * (an sql_tree_any predicate: a copy of an expression holding one would
 * draw a value of its own) */
int sql_pt_volatile_call(const ProtobufCMessage *m, const void *arg);
/* A copy of tree n, each column reference node given to fn, which answers
 * it (shared), a replacement, or NULL to fail the copy (NULL then). */
typedef PgQuery__Node *(*sql_pt_colref_fn)(void *arg, PgQuery__Node *n);
PgQuery__Node *sql_pt_map(sql_ctx *c, PgQuery__Node *n, sql_pt_colref_fn fn, void *arg);
/* The same, each function call node first given to call_fn, which answers
 * it (then copied with its arguments mapped), a replacement (not looked
 * into), or NULL to fail the copy. */
PgQuery__Node *sql_pt_map_calls(sql_ctx *c, PgQuery__Node *n, sql_pt_colref_fn fn,
				sql_pt_colref_fn call_fn, void *arg);
/* analyze_semijoin.c: does FROM item n give column col (of table tbl
 * when tbl)?  1 yes, 0 no, -1 when it holds something else than tables
 * (a subquery, a WITH query): undecided. */
int sql_subq_from_has(sql_ctx *c, PgQuery__Node *n, const char *tbl, const char *col);
/* analyze_outerkey.c: a correlated EXISTS / [NOT] IN / scalar subquery
 * over one outer table with a primary key, decorrelated by that key (its
 * outer columns read from a copy of the table joined in); NULL when not
 * taken (c->err untouched) or on error.  Unless after_keys, not taken
 * when the key-set rewrite (analyze_semijoin.c) may take it. */
sql_expr *sql_outerkey_semijoin(sql_ctx *c, PgQuery__SubLink *sl, sql_sub_kind kind, int all,
				int after_keys);
/* analyze_outerkey.c: does n call an aggregate (by PostgreSQL's names)
 * or a window function? */
int sql_tree_has_aggregate(const PgQuery__Node *n);
/* analyze_rowcmp.c: (a, b) [NOT] IN (SELECT x, y ...) (in: 1, all: NOT
 * IN) or (a, b) op (SELECT x, y ...) (in: 0), the subquery uncorrelated. */
sql_expr *sql_row_sublink(sql_ctx *c, PgQuery__SubLink *sl, int in, int all);

/* analyze_lateral.c: s with its one LATERAL subquery that only filters
 * and projects flattened into it (a copy), or s. */
PgQuery__SelectStmt *sql_lateral_rewrite(sql_ctx *c, PgQuery__SelectStmt *s);
/* analyze_lateral_topn.c: s with its one LATERAL subquery with ORDER BY /
 * LIMIT, aggregates, or in LEFT JOIN LATERAL joined by its keys (a copy). */
PgQuery__SelectStmt *sql_lateral_topn_rewrite(sql_ctx *c, PgQuery__SelectStmt *s);
/* analyze_lateral_keyed.c: s with the LATERAL subquery rs (FROM item at,
 * or join's right side) given a copy of the one outer table it reads, tied
 * by that table's key (a copy of s), or NULL when not sure. */
PgQuery__SelectStmt *sql_lateral_keyed(sql_ctx *c, PgQuery__SelectStmt *s, int at,
				       PgQuery__JoinExpr *join, PgQuery__RangeSubselect *rs);

/* analyze_semifrom.c: s with each FROM table that only filters the others
 * through its primary key turned into an IN subquery (a copy), or s. */
PgQuery__SelectStmt *sql_semifrom_rewrite(sql_ctx *c, PgQuery__SelectStmt *s);

#endif
