/*
 * sqlInt.h — private interfaces of the SQL front end (src/sql/).
 *
 * Flow of one statement (sql_prepare, parse.c):
 *
 *   text ──parse.c──> libpg_query protobuf tree (PgQuery__Node)
 *        ──analyze_*.c──> typed expression trees (sql_expr) and, for
 *                         SELECT, an analyzed query (sql_query)
 *        ──plan_*.c──> plan (plan.h), whose SQL strings come from emit.c
 *
 * Every sql_expr carries its PostgreSQL type (mur_type) as PostgreSQL would
 * infer it; emit.c writes SQLite SQL whose result, read back with that
 * type, is what PostgreSQL would have printed.  Everything lives in the
 * plan's arena (ctx->arena).
 *
 * Error convention inside src/sql: functions that build something return
 * it (NULL on error) or return an int (MUR_OK / MUR_ERR); ctx->err holds
 * the detail with a 1-based character position when one is known.
 */
#ifndef SQL_SQLINT_H
#define SQL_SQLINT_H

#include "catalog/catalog.h"
#include "common/buf.h"
#include "common/error.h"
#include "common/value.h"
#include "sql/arena.h"
#include "sql/plan.h"
#include "sql/sql.h"

#include <pg_query.h>
#include <pg_query/pg_query.pb-c.h>

#define SQL_TARGETS_MAX 1024 /* select-list entries, incl. expanded '*' */
#define SQL_GROUP_MAX 64     /* GROUP BY expressions (exec_agg_spec bound) */
#define SQL_SORT_MAX 64
#define SQL_ARGS_MAX 100     /* function arguments, PostgreSQL's FUNC_MAX_ARGS */
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

typedef enum sql_ekind {
	SE_CONST,   /* literal: val; unknown-typed string literal: type MT_UNKNOWN, val text */
	SE_PARAM,   /* $param */
	SE_COLUMN,  /* rte, col */
	SE_RAW,     /* op is SQLite text emitted verbatim (column defaults) */
	SE_OP,      /* infix "(a op b)", prefix "(op a)", postfix "(a op)" */
	SE_BOOL,    /* n-ary AND / OR: op */
	SE_CALL,    /* op(args...) : a SQLite function (built-in or storage/sqlfn.c) */
	SE_CASE,    /* CASE [args[0] if has_arg] WHEN a THEN b ... [ELSE last if has_else] END */
	SE_IN,      /* args[0] [NOT] IN (args[1..]), or (val) text of integer literals */
	SE_BETWEEN, /* args[0] [NOT] BETWEEN args[1] AND args[2] */
	SE_AGG,     /* aggregate agg over args[0] (none for count(*)) */
	SE_SLOT,    /* column c<slot> of the leader's table r (final_sql) */
} sql_ekind;

typedef enum sql_aggfn {
	SQL_AGG_COUNT_STAR = 1,
	SQL_AGG_COUNT,
	SQL_AGG_SUM,
	SQL_AGG_MIN,
	SQL_AGG_MAX,
	SQL_AGG_AVG,
	SQL_AGG_BOOL_AND,
	SQL_AGG_BOOL_OR,
	SQL_AGG_APPROX_COUNT_DISTINCT, /* HyperLogLog estimate (ops/hll.h), bigint */
} sql_aggfn;

typedef struct sql_expr {
	sql_ekind kind;
	mur_type type;
	int32_t typmod;
	int loc;                /* byte offset in the statement, -1 when none */
	const char *op;         /* operator / function name / raw text */
	int postfix;            /* SE_OP with one arg: op after the operand */
	int negate;             /* SE_IN, SE_BETWEEN: NOT */
	int nargs;
	struct sql_expr **args;
	mur_value val;          /* SE_CONST; MV_NULL is the NULL literal; text NUL-terminated;
				   SE_IN: MV_TEXT, the list as SQL (analyze_expr.c) */
	int param;              /* SE_PARAM, 1-based */
	int rte, col;           /* SE_COLUMN */
	int agg;                /* SE_AGG: sql_aggfn */
	int distinct;           /* SE_AGG */
	int slot;               /* SE_SLOT */
	int has_arg, has_else;  /* SE_CASE */
} sql_expr;

/* A range-table entry: one table of FROM. */
typedef struct sql_rte {
	const cat_table *table;
	char alias[CAT_NAME_MAX]; /* how the query names it: alias, else table name */
	int join_left;            /* 1: right side of a LEFT JOIN */
	sql_expr *on;             /* JOIN ... ON condition (rte >= 1), or NULL */
	int loc;
} sql_rte;

typedef struct sql_target {
	sql_expr *e;
	char name[CAT_NAME_MAX];
	int loc;
} sql_target;

typedef struct sql_sort {
	sql_expr *e;
	int desc;
	int nulls_first;
	int target;               /* index into targets, -1 when not a select-list entry */
} sql_sort;

/* An analyzed SELECT. */
typedef struct sql_query {
	int nrte;
	sql_rte rtes[PLAN_TABLES_MAX];
	sql_expr *where;
	int ntarget;
	sql_target *targets;
	int ngroup;
	sql_expr *group[SQL_GROUP_MAX];
	sql_expr *having;
	int nsort;
	sql_sort sorts[SQL_SORT_MAX];
	sql_expr *limit, *offset;
	int distinct;
	int has_agg;              /* aggregates or GROUP BY present */
	int is_virtual;           /* FROM names only murphy.* virtual tables (or nothing) */
	/* reference tables (plan_select.c): the rte whose shards the tasks follow,
	 * the first hash-distributed table; its file is schema main and rte 0's
	 * is m<driver> (sql_rte_slot).  0 unless a reference table comes first. */
	int driver;
} sql_query;

/* Analysis context for one statement. */
typedef struct sql_ctx {
	sql_arena *arena;
	const catalog *cat;
	sql_options opts;         /* the session's planning settings (sql_prepare) */
	const char *sql;          /* statement text (positions are computed from it) */
	mur_error *err;
	plan *plan;               /* param_types/nparams live here */
	int nparam_given;
	sql_query *q;             /* name scope; NULL = no columns (VALUES, defaults) */
	int agg_ok;               /* aggregates allowed where we are */
	const char *agg_where;    /* "WHERE", "GROUP BY", ... for the error message */
	int in_agg;               /* inside an aggregate's argument */
	int seen_agg;             /* an aggregate was analyzed */
	int targets_typed_later;  /* INSERT ... SELECT: leave the select list's unknown
				     literals for the target columns to type */
} sql_ctx;

/* ---- parse.c ---- */
int sql_pos(const sql_ctx *c, int loc); /* byte offset → 1-based character position */
int sql_err(sql_ctx *c, const char *state, int loc, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
int sql_err_oom(sql_ctx *c);
void *sql_alloc(sql_ctx *c, size_t n);    /* zeroed; NULL + 53200 on failure */
char *sql_strdup(sql_ctx *c, const char *s);
const char *sql_node_name(const PgQuery__Node *n); /* statement/node kind for 0A000 messages */
int sql_plan_statement(sql_ctx *c, PgQuery__Node *stmt, plan *p);
plan *sql_plan_new(sql_ctx *c, plan_kind kind, const char *tag);

/* ---- types.c ---- */
mur_type sql_type_from_typename(sql_ctx *c, const PgQuery__TypeName *tn, int32_t *typmod);
int sql_type_category(mur_type t); /* 'N' numeric 'S' string 'B' bool 'D' datetime 'U' unknown 'X' bytea */
int sql_type_numeric_rank(mur_type t); /* int2 1 < int4 2 < int8 3 < numeric 4 < float4 5 < float8 6 */
mur_type sql_type_arith(mur_type a, mur_type b); /* result of a + b for numeric a, b */
int sql_type_comparable(mur_type a, mur_type b);
/* Type PostgreSQL would resolve a set of branches to (CASE, COALESCE...);
 * MT_UNKNOWN when incompatible. */
mur_type sql_type_common(mur_type a, mur_type b);
int sql_type_implicit_ok(mur_type from, mur_type to); /* assignment cast allowed */
const char *sql_type_name(mur_type t);

/* ---- analyze_expr.c ---- */
sql_expr *sql_expr_new(sql_ctx *c, sql_ekind kind, mur_type type, int loc);
sql_expr *sql_analyze_expr(sql_ctx *c, PgQuery__Node *n);
/* Give an expression the type `t` in a context that demands it
 * (comparison with a typed operand, assignment to a column): unknown
 * literals are parsed (22P02 on bad input), parameters take the type,
 * typed values get an implicit cast when PostgreSQL allows one. */
sql_expr *sql_coerce(sql_ctx *c, sql_expr *e, mur_type t, const char *what);
/* Resolve leftover unknown literals/params to text. */
sql_expr *sql_resolve_unknown(sql_ctx *c, sql_expr *e);
sql_expr *sql_make_cast(sql_ctx *c, sql_expr *e, mur_type to, int loc);
sql_expr *sql_make_call(sql_ctx *c, const char *fn, mur_type type, int loc, int nargs, ...);
sql_expr *sql_make_op(sql_ctx *c, const char *op, mur_type type, int loc, sql_expr *a, sql_expr *b);
sql_expr *sql_make_const_int(sql_ctx *c, int64_t v, mur_type t);
sql_expr *sql_make_const_text(sql_ctx *c, const char *s);
int sql_expr_equal(const sql_expr *a, const sql_expr *b);
int sql_expr_has_agg(const sql_expr *e);
int sql_expr_is_const(const sql_expr *e); /* constants and params only */
const char *sql_colname(PgQuery__Node *n); /* PostgreSQL's FigureColname */
void sql_param_note(sql_ctx *c, int n);

/* ---- analyze_func.c ---- */
sql_expr *sql_analyze_func(sql_ctx *c, PgQuery__FuncCall *f);
sql_expr *sql_analyze_sqlvalue(sql_ctx *c, PgQuery__SQLValueFunction *f);

/* ---- analyze_select.c ---- */
sql_query *sql_analyze_select(sql_ctx *c, PgQuery__SelectStmt *s);
int sql_analyze_from_table(sql_ctx *c, sql_query *q, PgQuery__RangeVar *rv);
int sql_check_unsupported_select(sql_ctx *c, PgQuery__SelectStmt *s);

/* ---- emit.c ---- */
typedef struct sql_emit {
	mur_buf *b;
	const sql_query *q;   /* rte aliases; NULL in final_sql / values */
	int bare_columns;     /* emit "col" without the table alias (UPDATE, RETURNING) */
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
/* ---- plan_join.c ---- */
/* Plan a join whose hash tables are not co-located (repartition or
 * broadcast, plan.h join_*). */
int sql_plan_join_shuffle(sql_ctx *c, const sql_query *q, plan_select *ps);
void sql_emit_sort(sql_emit *e, const sql_expr *x, int desc, int nulls_first);
const char *sql_buf_finish(sql_ctx *c, mur_buf *b); /* arena copy, frees b; NULL on OOM */

/* ---- plan_select.c ---- */
int sql_plan_select(sql_ctx *c, PgQuery__SelectStmt *s, plan *p);
int sql_plan_query(sql_ctx *c, sql_query *q, plan *p);
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
const cat_table *sql_lookup_table(sql_ctx *c, PgQuery__RangeVar *rv);

/* ---- plan_analyze.c ---- */
/* ANALYZE [table [(columns)] [, ...]] (PLAN_ANALYZE); VACUUM is 0A000. */
int sql_plan_analyze(sql_ctx *c, PgQuery__VacuumStmt *s, plan *p);
void sql_insert_shard_sql(const cat_table *t, mur_buf *b); /* INSERT INTO main."t" (...) VALUES (?1...) */

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
