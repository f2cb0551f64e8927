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

/* ---- plan_catalog.c ---- */
/* A SELECT pgcatalog/ answers (pgc_wants): a leader SELECT over the
 * catalog tables. */
int sql_plan_catalog(sql_ctx *c, PgQuery__Node *stmt, plan *p);
/* SHOW ALL: name, setting, description of every setting. */
int sql_plan_show_all(sql_ctx *c, plan *p);

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
/* Column col of t leads t's PRIMARY KEY (as far as the flags tell: the
 * first key column in table order), so a shard's SQLite index starts with
 * it and SQLite can seek it (emit.c). */
int sql_leads_primary_key(const cat_table *t, int col);
/* emit_srf.c: generate_series, generate_subscripts, unnest in FROM; 0 for
 * another function (the json ones). */
int sql_emit_srf(sql_emit *e, const sql_rte *r);
/* Column col of such an rte where its name is not the column's (unnest's
 * elements); 0, nothing written, otherwise. */
int sql_emit_srf_col(sql_emit *e, const sql_rte *r, int col);
/* Does x read a column (an SRF's argument over an earlier FROM entry)? */
int sql_emit_reads_column(const sql_expr *x);
/* A json set-returning function's rte (sql_rte.series) as a subquery
 * (emit_json_srf.c); 0, nothing written, for generate_series. */
int sql_emit_json_srf(sql_emit *e, const sql_rte *r);
/* emit_recursive.c: a WITH RECURSIVE query as a table in FROM (r->rec), or
 * its working table (r->rec_work). */
void sql_emit_recursive(sql_emit *e, const sql_rte *r);
/* plan_select.c: e->q whole as one SQLite SELECT (router and leader plans). */
void sql_emit_select(sql_emit *e);
/* Column col of such an rte over another entry's column, written where it
 * is read; 0, nothing written, for any other rte. */
int sql_emit_json_srf_col(sql_emit *e, const sql_rte *r, int col);
void sql_emit_string(mur_buf *b, const char *s, size_t n);
void sql_emit_value(mur_buf *b, const mur_value *v);
void sql_emit_from(sql_emit *e, const sql_query *q);
/* Placement slot (schema main = 0, m<i> = i) of rte i: i, except that the
 * driver rte and rte 0 trade places (sql_query.driver). */
int sql_rte_slot(const sql_query *q, int i);
/* rtes of q that are a subquery's rows shipped to the shards (sql_rte.ship) */
int sql_nship(const sql_query *q);
/* Whether an outer join null-extends rte t: the right side of a LEFT or
 * FULL JOIN, or any table before a RIGHT or FULL JOIN (plan_join.c).  Its
 * distribution column then splits nothing: NULL rows come from every shard. */
int sql_rte_nullable(const sql_query *q, int t);
/* The conjuncts of e (nested ANDs walked) appended to out[n..max); the new n. */
int sql_conjuncts(sql_expr *e, sql_expr **out, int n, int max);
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
 * broadcast, plan.h join_*).  Moves an ON's conjuncts on its table alone
 * out of q's ON into that table's side SQL. */
int sql_plan_join_shuffle(sql_ctx *c, sql_query *q, plan_select *ps);
/* The column of table t in the join key every table is repartitioned by,
 * -1 when the join has none. */
int sql_join_key_of(const sql_query *q, int t);
/* plan_join_preagg.c: when one table of a two-table shuffled join is read
 * only through its key equality and count(x) aggregates (aggs, nagg: the
 * query's), its senders count by key (ps->join_side_agg) and the owners
 * add the counts (partial_agg's COUNTs become SUM_COUNTs).  The table's
 * slot, or -1 when the join does not qualify (nothing changed). */
/* plan_join_order.c: sets q->join_outer for a co-located two-table inner
 * join when the catalog's row counts and the filters make one loop order
 * clearly cheaper (0: SQLite picks). */
void sql_colocated_join_order(sql_query *q);
int sql_join_preaggregate(sql_ctx *c, const sql_query *q, plan_select *ps, sql_expr *const *aggs,
			  int nagg);
/* The same with the key given: keys[t] is the column of table t every
 * table's rows are repartitioned by (NULL: none, broadcast only).  One
 * table repartitioned by a window's partition column is plan_window.c's. */
int sql_plan_shuffle_keys(sql_ctx *c, const sql_query *q, plan_select *ps, const int *keys);
/* x as a key of DISTINCT, GROUP BY, PARTITION BY: followed by its key
 * collation (sql_key_collate) when its values compare by value. */
void sql_emit_key(sql_emit *e, const sql_expr *x);
void sql_emit_sort(sql_emit *e, const sql_expr *x, int desc, int nulls_first);
/* " COLLATE x" making SQLite's GROUP BY / DISTINCT / = of a column of type
 * t compare by value (numeric, interval, jsonb, bpchar: common/valkey.h),
 * or "". */
const char *sql_key_collate(mur_type t);
/* " COLLATE x" of a shard column of type t as CREATE TABLE declares it:
 * numeric by value, character(n) without trailing spaces (RTRIM), or "". */
const char *sql_column_collate(mur_type t);
/* The leader's sort key <prefix><col> (c3, x3) of type t, after " ORDER BY "
 * when first else ", "; a numeric sorts by value (COLLATE). */
void sql_emit_sort_col(mur_buf *b, int first, char prefix, int col, mur_type t, int desc,
		       int nulls_first);
const char *sql_buf_finish(sql_ctx *c, mur_buf *b); /* arena copy, frees b; NULL on OOM */

/* ---- plan_select.c ---- */
int sql_plan_select(sql_ctx *c, PgQuery__SelectStmt *s, plan *p);
int sql_plan_query(sql_ctx *c, sql_query *q, plan *p);
/* p's output columns (nout, out) from q's select list. */
int sql_plan_outputs(sql_ctx *c, const sql_query *q, plan *p);
int sql_find_prune(sql_ctx *c, const sql_query *q, sql_expr *where, plan_prune *pr);

/* " LIMIT n [OFFSET m]" of q (add_offset: LIMIT n + m, no OFFSET: a
 * shard's top-N). */
void sql_emit_limit(sql_emit *e, const sql_query *q, int add_offset);

/* ---- plan_window.c ---- */
/* The columns the shards send when the leader computes a stage over the
 * rows themselves (windows, grouping sets): each column once; the
 * leader's r column i is cols[i]. */
typedef struct sql_gather {
	int n;
	const sql_expr *cols[SQL_TARGETS_MAX];
} sql_gather;
/* Every column e reads into g (54000 past SQL_TARGETS_MAX). */
int sql_gather_add(sql_ctx *c, sql_gather *g, const sql_expr *e);
/* e with each column replaced by its slot of r (a copy where it changes). */
sql_expr *sql_gather_slots(sql_ctx *c, const sql_gather *g, sql_expr *e);
/* SELECT <g's columns> FROM ... WHERE ...: what each shard sends. */
const char *sql_gather_shard_sql(sql_ctx *c, const sql_query *q, const sql_gather *g);
/* 1 when every window function of q partitions by the driver's
 * distribution column (each partition in one shard). */
int sql_window_pushable(const sql_query *q);
/* ps->batch_* when q is a plain scan a portal may read in batches
 * (plan_batch.c); MUR_ERR only when out of memory. */
int sql_plan_batch(sql_ctx *c, const sql_query *q, plan_select *ps);
/* plan_batch.c's helpers for plan_batch_whole.c: the shard table's key
 * columns of t (0: none), and a LIMIT / OFFSET a stream counts (0: not
 * a constant count or integer parameter). */
int sql_batch_key_cols(const cat_table *t, int *cols);
int sql_batch_count_of(const sql_expr *x, int64_t *v, int *param);
/* p's batch_* (batch_whole) when q's result is complete per shard and
 * the plan has no batches yet, else batch_why (plan_batch_whole.c);
 * MUR_ERR: out of memory. */
int sql_plan_batch_whole(sql_ctx *c, const sql_query *q, plan *p);
/* x's value is the same each time it is computed again (no volatile
 * function): plan_batch_whole.c */
int sql_batch_stable(const sql_expr *x);
/* p's batch_* (batch_owner) when q is a shuffled join a cursor reads from
 * its owners' kept databases, else batch_why (plan_batch_owner.c);
 * MUR_ERR: out of memory. */
int sql_plan_batch_owner(sql_ctx *c, const sql_query *q, plan *p);
/* The same for a GROUP BY or DISTINCT whose groups are repartitioned to
 * owners that finish them (the leader concatenates): batch_why kept when
 * not (plan_batch_owner.c). */
int sql_plan_batch_owner_groups(sql_ctx *c, const sql_query *q, plan *p);
/* Windows without aggregates over rows gathered to the leader. */
int sql_plan_window_leader(sql_ctx *c, const sql_query *q, plan_select *ps);
/* *planned = 1 when q's windows run on owners after its rows are
 * repartitioned by a column every window partitions by (ps's join_*
 * fields set; shard_sql is then planned as a scatter). */
int sql_plan_window_shuffle(sql_ctx *c, const sql_query *q, plan_select *ps, int *planned);
/* ps->window_desc (EXPLAIN) for the strategy planned, when not yet set. */
void sql_window_note(const sql_query *q, plan_select *ps);

/* DISTINCT ON: what sql_distinct_on_split took off the query, for
 * sql_distinct_on_wrap to put back around the plan's SQL. */
typedef struct sql_distinct_on {
	int active;
	int nout, ncol; /* output columns; all the select list's, hidden ones too */
	int rn;         /* the row_number() column */
	int nsort;
	int sortcol[SQL_SORT_MAX];
	uint8_t desc[SQL_SORT_MAX], nulls_first[SQL_SORT_MAX];
	sql_expr *limit, *offset;
} sql_distinct_on;
int sql_distinct_on_split(sql_ctx *c, sql_query *q, sql_distinct_on *o);
int sql_distinct_on_wrap(sql_ctx *c, const sql_distinct_on *o, plan *p);

/* ---- plan_grouping.c ---- */
/* GROUPING SETS / ROLLUP / CUBE (q->ngsets > 0): the shards send the rows,
 * the leader groups them by each set. */
int sql_plan_grouping_sets(sql_ctx *c, const sql_query *q, plan_select *ps);
/* 1 when q has string_agg, percentile_cont/disc or mode: planned as one
 * grouping set over gathered rows (sql_plan_grouping_sets). */
int sql_has_collecting_agg(const sql_query *q);

/* ---- plan_numx.c ---- */
/* x, a numeric + - * tree, as a program for the follower's hash aggregate
 * into out: 1 when it compiles, its operands that are not constants in
 * leaves[0 .. *nleaves) (EXEC_NUMX_OPS_MAX room), which its COL steps
 * number; the caller renumbers them to the shard output columns.  0 when x
 * is no such tree (not an operator at the top, division, too many steps). */
int sql_numx_compile(sql_expr *x, exec_numx *out, sql_expr **leaves, int *nleaves);

/* ---- plan_dml.c, plan_copy.c, plan_ddl.c, plan_misc.c ---- */
int sql_plan_insert(sql_ctx *c, PgQuery__InsertStmt *s, plan *p);
int sql_plan_update(sql_ctx *c, PgQuery__UpdateStmt *s, plan *p);
int sql_plan_delete(sql_ctx *c, PgQuery__DeleteStmt *s, plan *p);
int sql_plan_returning(sql_ctx *c, sql_query *q, size_t n, PgQuery__Node **list, plan *p,
		       mur_buf *b);
int sql_plan_copy(sql_ctx *c, PgQuery__CopyStmt *s, plan *p);
int sql_plan_lock(sql_ctx *c, PgQuery__LockStmt *s, plan *p);
/* DECLARE, FETCH / MOVE, CLOSE, PREPARE, EXECUTE, DEALLOCATE (plan_portal.c). */
int sql_plan_portal(sql_ctx *c, PgQuery__Node *n, plan *p);
/* rel.col as a select list entry (ResTarget of a ColumnRef); col NULL:
 * rel.*.  NULL when out of memory. */
PgQuery__Node *sql_col_target(sql_ctx *c, const char *rel, const char *col);
int sql_plan_create_table(sql_ctx *c, PgQuery__CreateStmt *s, plan *p);
int sql_plan_drop(sql_ctx *c, PgQuery__DropStmt *s, plan *p);
/* The last name of a DROP's object (a String or a qualified List). */
const char *sql_object_name(PgQuery__Node *n);
/* plan_seq.c: CREATE / DROP SEQUENCE; SERIAL types (MT_UNKNOWN: not one);
 * sql_owned_sequence gives column col of t its own sequence
 * (t->new_seqs, arena) with IDENTITY options opts and the default
 * murphy_nextval('name'); sql_default_sequence: the sequence name when
 * col's default is exactly such a call (into out), else NULL. */
int sql_plan_create_sequence(sql_ctx *c, PgQuery__CreateSeqStmt *s, plan *p);
int sql_plan_drop_sequence(sql_ctx *c, PgQuery__DropStmt *s, plan *p);
/* plan_view.c: CREATE [OR REPLACE] VIEW, DROP VIEW (PLAN_VIEW). */
int sql_plan_create_view(sql_ctx *c, PgQuery__ViewStmt *s, plan *p);
int sql_plan_drop_view(sql_ctx *c, PgQuery__DropStmt *s, plan *p);
/* plan_comment.c: COMMENT ON TABLE / VIEW / COLUMN / INDEX / SCHEMA ... IS
 * (PLAN_COMMENT). */
int sql_plan_comment(sql_ctx *c, PgQuery__CommentStmt *s, plan *p);
/* plan_schema.c: CREATE SCHEMA, DROP SCHEMA (PLAN_SCHEMA). */
int sql_plan_create_schema(sql_ctx *c, PgQuery__CreateSchemaStmt *s, plan *p);
int sql_plan_drop_schema(sql_ctx *c, PgQuery__DropStmt *s, plan *p);
/* ALTER TABLE t SET SCHEMA s (PLAN_SCHEMA, tag ALTER TABLE). */
int sql_plan_set_schema(sql_ctx *c, PgQuery__AlterObjectSchemaStmt *s, plan *p);
/* plan_portal.c: a copy of the statement's text after its first token
 * `after` at parenthesis depth 0 (past a token `past` first when not 0),
 * or NULL. */
const char *sql_text_after(sql_ctx *c, int past, int after);
mur_type sql_serial_type(const PgQuery__TypeName *tn);
int sql_owned_sequence(sql_ctx *c, cat_table *t, int col, PgQuery__Node **opts, size_t nopts);
const char *sql_default_sequence(const cat_column *col, char *out, size_t n);
/* DEFAULT nextval('s') of an integer column written in that exact form
 * (the leader coerces the value): 1 done, 0 not such a default, -1 error
 * (c->err: no such sequence, 42P01, as PostgreSQL at CREATE TABLE). */
int sql_nextval_default(sql_ctx *c, cat_column *col, const sql_expr *e);
/* 1 when col's default calls a sequence function (evaluated per row). */
int sql_default_volatile(const cat_column *col);
/* default_now.c: a default's mur_xact_now() bound to the transaction's
 * start (a copy of the text when it has none or c has no start; NULL on OOM). */
const char *sql_default_bind_now(sql_ctx *c, const char *sql, int loc);
/* plan_dml.c: per column of t not listed[], the sequence the leader fills
 * it from row by row (arena array, t->ncols entries), or NULL when there
 * is none (or on error: 0A000 for a sequence call it cannot fill, c->err). */
const char **sql_seq_fill(sql_ctx *c, const cat_table *t, const int *listed);
int sql_plan_create_index(sql_ctx *c, PgQuery__IndexStmt *s, plan *p);
/* ALTER TABLE t ADD PRIMARY KEY / UNIQUE (cols): a PLAN_CREATE_INDEX tagged
 * ALTER TABLE (plan_index's undo_ddl, pk_cols); anything else 0A000. */
int sql_plan_alter_table(sql_ctx *c, PgQuery__AlterTableStmt *s, plan *p);
/* plan_ddl.c for plan_alter.c: add column cd to t (an arena copy) as
 * CREATE TABLE would (0A000 for keys, serial, identity); set col's default
 * from raw (NULL: drop it). */
int sql_ddl_add_column(sql_ctx *c, cat_table *t, PgQuery__ColumnDef *cd);
int sql_ddl_set_default(sql_ctx *c, cat_column *col, PgQuery__Node *raw);
/* plan_alter.c: the ALTER TABLE actions that change t's shape (PLAN_ALTER);
 * MUR_EAGAIN (nothing set) for an action it does not know. */
int sql_plan_alter_shape(sql_ctx *c, const cat_table *t, PgQuery__RangeVar *rv,
			 PgQuery__AlterTableCmd *cmd, plan *p);
/* plan_alter_views.c: the first view reading t (col not NULL: and using
 * column col), or NULL; DROP COLUMN col of pa->table refused while a view
 * uses it (2BP01 as PostgreSQL's), with CASCADE those views to drop
 * (pa->drop_views); ALTER COLUMN col TYPE refused likewise (0A000 as
 * PostgreSQL's). */
const cat_view *sql_alter_view_reading(sql_ctx *c, const cat_table *t, const char *col);
int sql_alter_drop_column_views(sql_ctx *c, plan_alter *pa, const char *col, int cascade);
int sql_alter_type_views(sql_ctx *c, const cat_table *t, const char *col);
/* RENAME of table pa->table's column col (NULL: of the table) to `to`:
 * the new text of every view naming it in pa->renamed
 * (parser/view_rename.c); 0A000 when one reads it in a way not rewritten. */
int sql_alter_rename_views(sql_ctx *c, plan_alter *pa, const char *col, const char *to);
/* ALTER VIEW ... RENAME (plan_view_rename.c); the view a RENAME names
 * (NULL: none). */
int sql_plan_rename_view(sql_ctx *c, PgQuery__RenameStmt *s, plan *p);
const cat_view *sql_rename_view_target(sql_ctx *c, const PgQuery__RenameStmt *s);
/* The same for any relation (kind: "table", "view" in the refusal). */
int sql_rename_in_views(sql_ctx *c, const sql_rename *rn, const char *kind, sql_view_texts *out);
/* plan_alter_type.c: ALTER COLUMN c TYPE T [USING e] and DROP NOT NULL into
 * pa (PLAN_ALTER set up by sql_plan_alter_shape). */
int sql_alter_column_type(sql_ctx *c, plan_alter *pa, PgQuery__RangeVar *rv,
			  PgQuery__AlterTableCmd *cmd);
int sql_alter_drop_not_null(sql_ctx *c, plan_alter *pa, PgQuery__AlterTableCmd *cmd);
/* plan_alter.c's pieces plan_alter_type.c shares: the columns that
 * identify a shard row; a fresh side table's name; column `name` of d
 * (42703); a name the DDL entry's text can carry (42602); NOT NULL
 * triggers (create with msg / drop). */
int sql_alter_row_key(const cat_table *t, int *cols);
void sql_alter_side_table(const cat_table *t, const char *col, char *out, size_t n);
int sql_alter_column_of(sql_ctx *c, cat_table *d, const char *name, int *ci);
int sql_alter_name_ok(sql_ctx *c, const char *name);
void sql_alter_null_trigger(mur_buf *b, const cat_table *t, const char *cn, const char *op,
			    const char *msg);
void sql_alter_drop_trigger(mur_buf *b, const cat_table *t, const char *cn, const char *op);
/* The INSERT and UPDATE triggers of CHECK name (SQLite expression expr)
 * on t, raising 23514 "new row ... violates check constraint". */
void sql_alter_check_triggers(mur_buf *b, const cat_table *t, const char *name, const char *expr);
void sql_alter_check_drop_triggers(mur_buf *b, const cat_table *t, const char *name);
/* t's rows checked against CHECK name (expr): 23514 "is violated by some row". */
void sql_alter_check_rows(mur_buf *b, const cat_table *t, const char *name, const char *expr);
/* plan_dml.c: expression n over table rv's columns (no parameters, no
 * subqueries), analyzed in *q's scope: emit it with bare column names. */
int sql_table_value_expr(sql_ctx *c, PgQuery__RangeVar *rv, PgQuery__Node *n, const sql_query **q,
			 sql_expr **e);
/* plan_dml.c: a CHECK constraint's expression over table t's columns
 * (t: the catalog's, or a CREATE TABLE's definition), boolean, emitted
 * with bare column names into b (no parameters, no subqueries). */
int sql_check_expr(sql_ctx *c, const cat_table *t, PgQuery__Node *w, mur_buf *b);

/* CHECK constraints (plan_check.c).  define: k added to d->checks (name,
 * PostgreSQL's text, slot), *sqlite_expr the expression the shards'
 * triggers test (arena).  create_ddl: table_ddl followed by the triggers
 * of the n CHECKs ks, each defined on d, into *ddl.  rename_column: every
 * CHECK's text with column from named to (d already renamed).  using: 1
 * when d's i-th CHECK names column col.  forget: the i-th CHECK removed. */
int sql_check_define(sql_ctx *c, cat_table *d, PgQuery__Constraint *k, const char **sqlite_expr);
int sql_check_create_ddl(sql_ctx *c, PgQuery__Constraint **ks, int n, cat_table *d,
			 const char *table_ddl, const char **ddl);
int sql_check_rename_column(sql_ctx *c, cat_table *d, const char *from, const char *to);
int sql_check_using(const cat_table *d, int i, int col);
void sql_check_forget(cat_table *d, int i);
/* Every CHECK's triggers of t dropped and made again (t's name in their
 * messages, its columns read from NEW), the SQLite expression analyzed
 * again from the catalog's text: after RENAME TO. */
int sql_check_retrigger(sql_ctx *c, const cat_table *t, mur_buf *b);
/* ALTER COLUMN TYPE of column ci (RECREATE): the CHECKs of d (the new
 * shape) naming it get PostgreSQL's text again over the new type; their
 * triggers are dropped into drop (before the column moves), made again
 * over d with the rows checked into make (after), and into undo_drop /
 * undo_make the same over old (the shape before). */
int sql_check_retype(sql_ctx *c, const cat_table *old, cat_table *d, int ci, mur_buf *drop,
		     mur_buf *make, mur_buf *undo_drop, mur_buf *undo_make);

/* Foreign keys (plan_fkey.c): one FOREIGN KEY / REFERENCES constraint of
 * table t (col: the column it is declared on, -1 for a table constraint)
 * checked into *out; the statements that would break a key refused. */
struct cat_fkey;
int sql_fkey_build(sql_ctx *c, const cat_table *t, int col, PgQuery__Constraint *k,
		   struct cat_fkey *out);
/* ALTER TABLE t ADD CONSTRAINT ... FOREIGN KEY / DROP CONSTRAINT of a
 * foreign key: p becomes a PLAN_ALTER of the catalog only. */
int sql_fkey_alter_add(sql_ctx *c, const cat_table *t, PgQuery__Constraint *k, plan *p);
int sql_fkey_alter_drop(sql_ctx *c, const cat_table *t, PgQuery__AlterTableCmd *cmd, plan *p);
int sql_fkey_update(sql_ctx *c, plan *p, PgQuery__UpdateStmt *u);
int sql_fkey_delete(sql_ctx *c, plan *p);
int sql_fkey_upsert(sql_ctx *c, const cat_table *t, PgQuery__OnConflictClause *oc);

/* ---- plan_conflict.c ---- */
/* ON CONFLICT (cols): MUR_OK when cols[0..n) (t's column indexes) as a set
 * are the primary key's or a unique index's columns; 42P10 otherwise. */
int sql_conflict_infer(sql_ctx *c, const cat_table *t, const int *cols, int n);
/* ON CONFLICT ON CONSTRAINT name: its columns to cols (room for
 * CAT_COLUMNS_MAX), *ncols; 42704 when t has no such constraint, 42809
 * when it has no index (CHECK, FOREIGN KEY). */
int sql_conflict_constraint(sql_ctx *c, const cat_table *t, const char *name, int *cols,
			    int *ncols);
int sql_fkey_copy(sql_ctx *c, const cat_table *t);
int sql_fkey_truncate(sql_ctx *c, const cat_table **tables, int n);
/* 1 when t has a foreign key of its own. */
int sql_fkey_has(sql_ctx *c, const cat_table *t);
/* The k-th table with a foreign key to t (k from 0), or NULL past them. */
const cat_table *sql_fkey_referencing(sql_ctx *c, const cat_table *t, int k);
/* DROP TABLE t, beside the n tables `dropped` (t among them). */
int sql_fkey_drop(sql_ctx *c, const cat_table *t, const cat_table **dropped, int n);
/* ALTER TABLE ... RENAME [COLUMN] ... TO (PLAN_ALTER); others 0A000. */
int sql_plan_rename(sql_ctx *c, PgQuery__RenameStmt *s, plan *p);
int sql_plan_explain(sql_ctx *c, PgQuery__ExplainStmt *s, plan *p);
int sql_plan_set(sql_ctx *c, PgQuery__VariableSetStmt *s, plan *p);
/* ALTER SYSTEM SET x = v / RESET x: a PLAN_SET with is_system. */
int sql_plan_alter_system(sql_ctx *c, PgQuery__AlterSystemStmt *s, plan *p);
int sql_plan_show(sql_ctx *c, PgQuery__VariableShowStmt *s, plan *p);
int sql_plan_transaction(sql_ctx *c, PgQuery__TransactionStmt *s, plan *p);
/* An option's boolean: no argument, true/on, a non-zero integer. */
int sql_defelem_true(PgQuery__DefElem *d);

/* ---- plan_role.c: CREATE / ALTER / DROP ROLE (PLAN_ROLE) ---- */
int sql_plan_create_role(sql_ctx *c, PgQuery__CreateRoleStmt *s, plan *p);
int sql_plan_alter_role(sql_ctx *c, PgQuery__AlterRoleStmt *s, plan *p);
int sql_plan_drop_role(sql_ctx *c, PgQuery__DropRoleStmt *s, plan *p);
/* GRANT / REVOKE SELECT, INSERT, UPDATE, DELETE | ALL ON [TABLE] t, …
 * TO / FROM role | PUBLIC, … (PLAN_GRANT); anything else 0A000. */
int sql_plan_grant(sql_ctx *c, PgQuery__GrantStmt *s, plan *p);
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
/* INSERT INTO main."t" [AS "alias"] (...) VALUES (?1...); alias NULL: none. */
void sql_insert_shard_sql(const cat_table *t, const char *alias, mur_buf *b);
/* Append the row-types tag (common/failing_row.h) of t to a write's shard
 * statement b when t has a CHECK or a NOT NULL column: a shard that
 * refuses a row prints it in the DETAIL (storage/failrow.c). */
void sql_failing_row_tag(const cat_table *t, mur_buf *b);

#endif
