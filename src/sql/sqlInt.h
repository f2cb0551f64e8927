/*
 * sqlInt.h — private interfaces of the planner (src/sql/).
 *
 * Flow of one statement (sql_prepare, prepare.c):
 *
 *   text ──parser/parse.c──> libpg_query protobuf tree (PgQuery__Node)
 *        ──sql_plan_statement──> plan_*.c, which analyze what they plan
 *          (parser/analyze.h: typed expression trees, sql_query)
 *        ──plan_*.c──> plan (plan.h), its SQL strings from emit.c
 *
 * The parser knows names and types; this folder knows distribution: which
 * shards, which followers' partial aggregates, what the leader merges.
 * Everything lives in the plan's arena (ctx->arena); errors follow
 * parser/analyze.h's convention.
 */
#ifndef SQL_SQLINT_H
#define SQL_SQLINT_H

#include "parser/analyze.h"
#include "sql/plan.h"
#include "sql/sql.h"

_Static_assert(SQL_RTES_MAX == PLAN_TABLES_MAX, "a query's tables are a task's placements");
_Static_assert(SQL_PARAMS_MAX == PLAN_PARAMS_MAX, "the analyzer types the plan's params");

/* ---- prepare.c ---- */
/* Plan one statement node into p (EXPLAIN plans its inner statement). */
int sql_plan_statement(sql_ctx *c, PgQuery__Node *stmt, plan *p);
plan *sql_plan_new(sql_ctx *c, plan_kind kind, const char *tag);

/* ---- emit.c ---- */
typedef struct sql_emit {
	mur_buf *b;
	const sql_query *q; /* rte aliases; NULL in final_sql / values */
	int bare_columns;   /* emit "col" without the table alias (UPDATE, RETURNING) */
} sql_emit;
/* x as SQLite text, self-delimited (a compound expression is wrapped in
 * parentheses), so callers may place it next to any operator. */
void sql_emit_expr(sql_emit *e, const sql_expr *x);
/* args[0..n) (n >= 1) joined by op ("AND" / "OR"), self-delimited: flat up
 * to SQL_EMIT_BOOL_FLAT_MAX terms, else a balanced tree of such groups, so
 * SQLite's expression depth grows with log2(n), not n. */
#define SQL_EMIT_BOOL_FLAT_MAX 16
/* Arguments of one folded mur_div/mur_fdiv/mur_mod call (emit.c): under
 * SQLite's SQLITE_MAX_FUNCTION_ARG (127 by default). */
#define SQL_EMIT_FOLD_ARGS_MAX 100
void sql_emit_bool_list(sql_emit *e, const char *op, sql_expr *const *args, int n);
void sql_emit_ident(mur_buf *b, const char *name);
void sql_emit_string(mur_buf *b, const char *s, size_t n);
void sql_emit_value(mur_buf *b, const mur_value *v);
void sql_emit_from(sql_emit *e, const sql_query *q);
/* Placement slot (schema main = 0, m<i> = i) of rte i: i, except that the
 * driver rte and rte 0 trade places (sql_query.driver). */
int sql_rte_slot(const sql_query *q, int i);
/* A subquery's leader table (parser/analyze_subq.c: virtual, "_sub<k>"),
 * whose columns are c0, c1, ... */
int sql_is_sub_table(const cat_table *t);
/* ---- plan_subq.c ---- */
/* The statement's subqueries (c->subs): their SE_SUBQ numbered as
 * parameters after the statement's own, each planned into p->subs. */
int sql_plan_subs(sql_ctx *c, plan *p);
/* A set operation statement (UNION / INTERSECT / EXCEPT) into p. */
int sql_plan_setop_stmt(sql_ctx *c, PgQuery__SelectStmt *s, plan *p);
/* ---- plan_join.c ---- */
/* Plan a join whose hash tables are not co-located (repartition or
 * broadcast, plan.h join_*). */
int sql_plan_join_shuffle(sql_ctx *c, const sql_query *q, plan_select *ps);
void sql_emit_sort(sql_emit *e, const sql_expr *x, int desc, int nulls_first);
const char *sql_buf_finish(sql_ctx *c, mur_buf *b); /* arena copy, frees b; NULL on OOM */

/* ---- plan_select.c ---- */
int sql_plan_select(sql_ctx *c, PgQuery__SelectStmt *s, plan *p);
int sql_plan_query(sql_ctx *c, sql_query *q, plan *p);
/* p's output columns (nout, out) from q's select list. */
int sql_plan_outputs(sql_ctx *c, const sql_query *q, plan *p);
int sql_find_prune(sql_ctx *c, const sql_query *q, sql_expr *where, plan_prune *pr);

/* ---- plan_dml.c, plan_copy.c, plan_ddl.c, plan_misc.c ---- */
int sql_plan_insert(sql_ctx *c, PgQuery__InsertStmt *s, plan *p);
int sql_plan_update(sql_ctx *c, PgQuery__UpdateStmt *s, plan *p);
int sql_plan_delete(sql_ctx *c, PgQuery__DeleteStmt *s, plan *p);
int sql_plan_returning(sql_ctx *c, sql_query *q, size_t n, PgQuery__Node **list, plan *p,
		       mur_buf *b);
int sql_plan_copy(sql_ctx *c, PgQuery__CopyStmt *s, plan *p);
int sql_plan_create_table(sql_ctx *c, PgQuery__CreateStmt *s, plan *p);
int sql_plan_drop(sql_ctx *c, PgQuery__DropStmt *s, plan *p);
int sql_plan_create_index(sql_ctx *c, PgQuery__IndexStmt *s, plan *p);
/* ALTER TABLE t ADD PRIMARY KEY / UNIQUE (cols): a PLAN_CREATE_INDEX tagged
 * ALTER TABLE (plan_index's undo_ddl, pk_cols); anything else 0A000. */
int sql_plan_alter_table(sql_ctx *c, PgQuery__AlterTableStmt *s, plan *p);
int sql_plan_explain(sql_ctx *c, PgQuery__ExplainStmt *s, plan *p);
int sql_plan_set(sql_ctx *c, PgQuery__VariableSetStmt *s, plan *p);
int sql_plan_show(sql_ctx *c, PgQuery__VariableShowStmt *s, plan *p);
int sql_plan_transaction(sql_ctx *c, PgQuery__TransactionStmt *s, plan *p);
/* plan_range.c: PARTITION BY RANGE.  sql_range_type_ok: the column types
 * a range table can be split on.  sql_range_bounds: parse the range_bounds
 * list `list` for t's distribution column into t->shards (arena; shard 0
 * unbounded below) and t->nshards; 22023 naming a bad or out-of-order
 * value. */
int sql_range_type_ok(mur_type t);
int sql_range_bounds(sql_ctx *c, cat_table *t, const char *list, int loc);

/* ---- plan_analyze.c ---- */
/* ANALYZE [table [(columns)] [, ...]] (PLAN_ANALYZE); VACUUM [ANALYZE]
 * (PLAN_NOOP, or PLAN_ANALYZE tagged VACUUM). */
int sql_plan_analyze(sql_ctx *c, PgQuery__VacuumStmt *s, plan *p);

/* ---- plan_truncate.c ---- */
/* TRUNCATE t [, ...] (PLAN_TRUNCATE: a DELETE of every row, as a write). */
int sql_plan_truncate(sql_ctx *c, PgQuery__TruncateStmt *s, plan *p);
void sql_insert_shard_sql(const cat_table *t,
			  mur_buf *b); /* INSERT INTO main."t" (...) VALUES (?1...) */

#endif
