/*
 * analyze.h — the parser's output, which the planner (src/sql/) builds
 * on: typed expression trees (sql_expr), analyzed queries (sql_query), the
 * analysis context (sql_ctx) and the functions that make them.
 *
 *   parse tree (libpg_query protobuf, parser.h)
 *     ──analyze_*.c──> typed expression trees and, for SELECT, sql_query
 *
 * Every sql_expr carries its PostgreSQL type (mur_type) as PostgreSQL would
 * infer it (types.c holds PostgreSQL's type rules); sql/emit.c writes
 * SQLite SQL whose result, read back with that type, is what PostgreSQL
 * would have printed.  Analysis knows names and types, not distribution:
 * where each part runs is the planner's choice.  Everything lives in the
 * statement's arena (ctx->arena, arena.h).
 *
 * Error convention inside the parser and the planner: functions that build
 * something return it (NULL on error) or return an int (MUR_OK / MUR_ERR);
 * ctx->err holds the detail with a 1-based character position when one is
 * known.
 */
#ifndef PARSER_ANALYZE_H
#define PARSER_ANALYZE_H

#include "catalog/catalog.h"
#include "common/buf.h"
#include "common/error.h"
#include "common/value.h"
#include "parser/arena.h"
#include "parser/pwalk.h"

#include <pg_query.h>
#include <pg_query/pg_query.pb-c.h>

typedef struct sql_tree sql_tree; /* parser.h */
/* The libpg_query tree inside a parse tree of sql_parse (valid until
 * sql_tree_free). */
PgQuery__ParseResult *sql_tree_result(const sql_tree *tree);

#define SQL_TARGETS_MAX 1024 /* select-list entries, incl. expanded '*' */
#define SQL_GROUP_MAX 64     /* GROUP BY expressions (exec_agg_spec bound) */
#define SQL_SORT_MAX 64
#define SQL_ARGS_MAX 100 /* function arguments, PostgreSQL's FUNC_MAX_ARGS */
/* Grouping sets of one GROUP BY: each is a branch of one compound SELECT
 * on the leader (sql/plan_grouping.c), under SQLite's
 * SQLITE_MAX_COMPOUND_SELECT (500); a CUBE of 8 columns is 256. */
#define SQL_GROUPING_SETS_MAX 256
/* GROUPING(...)'s arguments: bits of an int4, as PostgreSQL */
#define SQL_GROUPING_ARGS_MAX 31
/* The SE_CALL op of GROUPING(...) until the planner makes it a constant */
#define SQL_GROUPING_FN "mur_grouping"
/* Tables in one FROM: each is one placement of a shard task, so this is
 * the plan's PLAN_TABLES_MAX (EXEC_TASK_PLACEMENTS_MAX, wire/task.h;
 * sql/sqlInt.h asserts they agree). */
#define SQL_RTES_MAX 8
/* $1 .. $n: the plan's PLAN_PARAMS_MAX (sql/sqlInt.h asserts it). */
#define SQL_PARAMS_MAX 1024

/* The strongest locking clause of a SELECT (sql_query.locks_rows). */
typedef enum sql_lock_rows {
	SQL_LOCK_ROWS_NONE = 0,
	SQL_LOCK_ROWS_SHARE,  /* FOR SHARE / FOR KEY SHARE only */
	SQL_LOCK_ROWS_UPDATE, /* FOR UPDATE / FOR NO KEY UPDATE */
} sql_lock_rows;

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
	SE_WINDOW,  /* window function op(...) OVER (...): win (analyze_window.c) */
	SE_SUBQ,    /* an uncorrelated subquery's result, run before the statement:
		       parameter ?param (numbered after analysis), sub slot (analyze_subq.c) */
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
	SQL_AGG_VAR_SAMP,              /* variance, var_samp: sum, sum of squares, count */
	SQL_AGG_VAR_POP,
	SQL_AGG_STDDEV_SAMP, /* stddev, stddev_samp */
	SQL_AGG_STDDEV_POP,
	/* collecting aggregates (analyze_ordagg.c): args[0] the value, args[1]
	 * the delimiter or fraction (NULL for mode), args[2..] the sort keys;
	 * agg_flags SQL_AGG_ORDER_*; they never split into partials */
	SQL_AGG_STRING_AGG,
	SQL_AGG_PERCENTILE_CONT,
	SQL_AGG_PERCENTILE_DISC,
	SQL_AGG_MODE,
	/* json_agg(x) and json_object_agg(k, x) (analyze_ordagg.c): args[0]
	 * mur_json_elem(x), args[1] NULL or the key as text, args[2..] keys */
	SQL_AGG_JSON_AGG,
	SQL_AGG_JSONB_AGG,
	SQL_AGG_JSON_OBJECT_AGG,
	SQL_AGG_JSONB_OBJECT_AGG,
	/* array_agg(x [ORDER BY ...]) (analyze_ordagg.c): args[0] mur_array(elem,
	 * x), the one-element array (never NULL: NULLs are elements), args[1]
	 * x itself, args[2..] keys (DISTINCT: x) */
	SQL_AGG_ARRAY_AGG,
	/* bit_and / bit_or / bit_xor of integers: each shard's, then the
	 * same over the shards' (ops/hashagg.c EXEC_AGG_BIT_*) */
	SQL_AGG_BIT_AND,
	SQL_AGG_BIT_OR,
	SQL_AGG_BIT_XOR,
} sql_aggfn;
#define SQL_AGG_IS_BIT(fn) ((fn) >= SQL_AGG_BIT_AND && (fn) <= SQL_AGG_BIT_XOR)

/* A collecting aggregate: it needs a group's values at once (the leader
 * over gathered rows, or one shard). */
#define SQL_AGG_IS_COLLECTING(fn) ((fn) >= SQL_AGG_STRING_AGG && (fn) <= SQL_AGG_ARRAY_AGG)
/* agg_flags, the third argument of the SQLite call (storage/sqlfn_agg.c):
 * sort key k's DESC is bit 2k, its NULLS FIRST bit 2k + 1; DISTINCT apart.
 * At most SQL_AGG_KEYS_MAX keys: their bits stay below DISTINCT's. */
#define SQL_AGG_KEYS_MAX 8
#define SQL_AGG_ORDER_DESC(k) (1 << (2 * (k)))
#define SQL_AGG_ORDER_NULLS_FIRST(k) (1 << (2 * (k) + 1))
#define SQL_AGG_ORDER_DISTINCT (1 << 30)
/* json_agg's elements are rows (json_agg(t)): ", \n " between them, as
 * PostgreSQL separates structured elements. */
#define SQL_AGG_JSON_STRUCT (1 << 29)
/* percentile_cont / percentile_disc over an array of fractions: the
 * answer is an array (x: percentile_disc's value as a one-element array). */
#define SQL_AGG_FRACTIONS (1 << 28)
/* Sort key k is an array, written mur_array_sortkey(a, elem): storage
 * compares it as arrays of elem compare (common/array.h), not by bytes. */
#define SQL_AGG_ORDER_ARRAY(k) (1 << (16 + (k)))
/* array_agg of arrays: x is the array, 'N' for NULL (coalesce); the
 * answer has one more dimension. */
#define SQL_AGG_OF_ARRAYS (1 << 27)

/* A variance or standard deviation (merged from three partials). */
#define SQL_AGG_IS_VARIANCE(fn) ((fn) >= SQL_AGG_VAR_SAMP && (fn) <= SQL_AGG_STDDEV_POP)

typedef struct sql_expr {
	sql_ekind kind;
	mur_type type;
	int32_t typmod;
	int loc;        /* byte offset in the statement, -1 when none */
	const char *op; /* operator / function name / raw text */
	int postfix;    /* SE_OP with one arg: op after the operand */
	int negate;     /* SE_IN, SE_BETWEEN: NOT */
	int nargs;
	struct sql_expr **args;
	mur_value val;         /* SE_CONST; MV_NULL is the NULL literal; text NUL-terminated;
				   SE_IN: MV_TEXT, the list as SQL (analyze_expr.c) */
	int param;             /* SE_PARAM, 1-based */
	int rte, col;          /* SE_COLUMN */
	int agg;               /* SE_AGG: sql_aggfn */
	int distinct;          /* SE_AGG */
	int agg_flags;         /* SE_AGG, collecting: SQL_AGG_ORDER_* */
	int slot;              /* SE_SLOT */
	int has_arg, has_else; /* SE_CASE */
	/* SE_WINDOW: the window (analyze_window.c) */
	const struct sql_window *win;
} sql_expr;

/* PostgreSQL's frame option bits (nodes/parsenodes.h FRAMEOPTION_*), as
 * libpg_query's WindowDef.frame_options carries them. */
enum {
	SQL_FRAME_NONDEFAULT = 0x1,
	SQL_FRAME_RANGE = 0x2,
	SQL_FRAME_ROWS = 0x4,
	SQL_FRAME_GROUPS = 0x8,
	SQL_FRAME_BETWEEN = 0x10,
	SQL_FRAME_START_UNBOUNDED_PRECEDING = 0x20,
	SQL_FRAME_END_UNBOUNDED_FOLLOWING = 0x100,
	SQL_FRAME_START_CURRENT_ROW = 0x200,
	SQL_FRAME_END_CURRENT_ROW = 0x400,
	SQL_FRAME_START_OFFSET_PRECEDING = 0x800,
	SQL_FRAME_END_OFFSET_PRECEDING = 0x1000,
	SQL_FRAME_START_OFFSET_FOLLOWING = 0x2000,
	SQL_FRAME_END_OFFSET_FOLLOWING = 0x4000,
	SQL_FRAME_EXCLUDE_CURRENT_ROW = 0x8000,
	SQL_FRAME_EXCLUDE_GROUP = 0x10000,
	SQL_FRAME_EXCLUDE_TIES = 0x20000,
};

/* The window of an SE_WINDOW node, resolved (named windows copied in).
 * The node's args hold, in order, the function's own arguments
 * (args[0 .. nfargs)), the PARTITION BY expressions (npart) and the
 * ORDER BY expressions (norder), so that every walk over args (grouping
 * checks, aggregate collection, rewrites over the leader's rows) sees
 * them.  The node's op is the SQLite window function's name. */
typedef struct sql_window {
	int nfargs, npart, norder;
	int star; /* count(*) */
	uint8_t desc[SQL_SORT_MAX], nulls_first[SQL_SORT_MAX];
	int frame; /* SQL_FRAME_* bits; 0 or no NONDEFAULT: the default frame */
	const struct sql_expr *start, *end; /* constant frame offsets, or NULL */
} sql_window;

/* A range-table entry: one table of FROM. */
typedef struct sql_rte {
	const cat_table *table;
	char alias[CAT_NAME_MAX]; /* how the query names it: alias, else table name */
	int join_left;            /* 1: right side of a LEFT or FULL JOIN (null-extended) */
	int join_right;           /* 1: right side of a RIGHT or FULL JOIN: the tables
				     before it are null-extended (sql_rte_nullable) */
	sql_expr *on;             /* JOIN ... ON condition (rte >= 1), or NULL */
	int loc;
	struct sql_expr *series; /* generate_series(start, stop, step): the call
				    (analyze_srf.c), emitted as the table */
	int merged;              /* a table of a subquery in FROM merged into the query (sql_view):
		       its alias is internal, names reach it only through the view */
	/* WITH RECURSIVE (analyze_recursive.c): the query's rows (emitted as
	 * SQLite's WITH RECURSIVE, sql/emit_recursive.c), or rec_work: the
	 * working table its recursive term reads */
	const struct sql_recursive *rec;
	int rec_work;
	/* VALUES lists (analyze_values.c): nvalues rows of the table's ncols
	 * expressions, emitted as SQLite's (VALUES ...) */
	struct sql_expr **values;
	int nvalues;
	/* A gathered subquery's rows joined with distributed tables
	 * (analyze_ship.c): its sub, whose rows travel to every shard task as
	 * a parameter, read there as mur_subq_rows(?param, ncols); it takes
	 * no table slot.  NULL otherwise. */
	const struct sql_sub *ship;
	uint32_t view_id; /* the catalog view read as this gathered subquery (0: none) */
} sql_rte;

typedef struct sql_target {
	sql_expr *e;
	char name[CAT_NAME_MAX];
	int loc;
	int record; /* e is a FROM item's whole row (analyze_record.c) */
} sql_target;

typedef struct sql_sort {
	sql_expr *e;
	int desc;
	int nulls_first;
	int target; /* index into targets, -1 when not a select-list entry */
} sql_sort;

/* A subquery in FROM (or WITH query) that runs shard by shard, merged
 * into the query reading it (analyze_subq.c): its tables became rtes of
 * that query (merged), its WHERE joined the query's, and its name scope is
 * this: alias.col stands for the expression cols[i].e over those rtes. */
typedef struct sql_view {
	char alias[CAT_NAME_MAX];
	int first_rte; /* its first table: SELECT * puts its columns there */
	int join;      /* a join's alias ((a JOIN b) AS x): FOR UPDATE OF x is 0A000 */
	int ncols;
	sql_target *cols;
	uint32_t view_id; /* the catalog view merged here (0: a subquery, a join) */
} sql_view;

/* A column merged by JOIN ... USING / NATURAL JOIN (analyze_using.c): an
 * unqualified name stands for e (the left column; the right one for a RIGHT
 * JOIN, COALESCE of both for a FULL JOIN), not for the columns of the
 * tables in rtes (a bit per rte) it merged. */
typedef struct sql_using {
	char name[CAT_NAME_MAX];
	sql_expr *e;
	unsigned rtes;
} sql_using;

/* A column of SELECT *, once a JOIN ... USING has fixed their order: rte is
 * where it comes from (the first merged table for a merged column). */
typedef struct sql_star_col {
	char name[CAT_NAME_MAX];
	sql_expr *e;
	int rte;
	const char *qual; /* the FROM item's name in q (a view's or rte's alias) that reads
			     it; NULL for a FULL JOIN's merged column, read by its bare name */
} sql_star_col;

/* An analyzed SELECT. */
typedef struct sql_query {
	int nrte;
	sql_rte rtes[SQL_RTES_MAX];
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
	int has_agg;            /* aggregates or GROUP BY present */
	int grouped_written;    /* GROUP BY or HAVING written: known before the select list */
	int is_virtual;         /* FROM names only murphy.* virtual tables (or nothing) */
	int locks_rows;         /* sql_lock_rows: FOR UPDATE / NO KEY UPDATE / SHARE / KEY
			   SHARE: in a transaction block its shards' locks are
			   taken (leader/lead_select.c) */
	const char *locks_name; /* PostgreSQL's name of the first clause's command
				   ("SELECT FOR NO KEY UPDATE"): a READ ONLY block's
				   25006 names it; NULL: none */
	/* reference tables (sql/plan_select.c): the rte whose shards the tasks follow,
	 * the first hash-distributed table; its file is schema main and rte 0's
	 * is m<driver> (sql_rte_slot).  0 unless a reference table comes first. */
	int driver;
	/* sql/plan_join_order.c: 1 + the rte a co-located two-table join's
	 * shard SQL loops over first (emitted as CROSS JOIN); 0: SQLite picks */
	int join_outer;
	int nwindow;      /* window functions in the select list or ORDER BY */
	int ndistinct_on; /* SELECT DISTINCT ON (distinct_on[0..n)) */
	int ngsets;       /* GROUPING SETS / ROLLUP / CUBE: masks over group[] */
	uint64_t *gsets;
	sql_expr *distinct_on[SQL_SORT_MAX];
	int nview; /* subqueries in FROM merged into this query (sql_view) */
	sql_view views[SQL_RTES_MAX];
	int nusing; /* JOIN ... USING / NATURAL JOIN merged columns (sql_using) */
	sql_using *usings;
	int nstar; /* SELECT * columns, set by the first JOIN ... USING (else NULL) */
	sql_star_col *star;
	int star_rtes; /* the rtes star holds (later ones: sql_using_star) */
	/* unnest(a) in the select list of a query with FROM (analyze_unnest.c):
	 * a, whose elements sql/emit.c joins as SQLite's json_each AS
	 * SQL_UNNEST_ALIAS; NULL when none */
	sql_expr *unnest;
	/* a json set-returning function in the select list instead
	 * (analyze_json_srf.c): its name; unnest is then its document */
	const char *unnest_fn;
	/* unnest is a JSON array already, joined as json_each(unnest): a
	 * generate_series, or several set-returning functions in lockstep
	 * (analyze_srf_list.c) */
	int unnest_json;
	int nsrf; /* the set-returning functions in the select list */
	struct sql_srf_item *srfs;
} sql_query;
#define SQL_UNNEST_ALIAS "mur_u"

/* ---- subqueries (analyze_subq.c) ----
 * Every subquery of a statement is analyzed into one flat list, inner ones
 * before the ones holding them, and run once, in that order, before the
 * statement (sql/plan_subq.c plans them; leader/lead_subq.c runs them). */
typedef enum sql_sub_kind {
	SQL_SUB_SCALAR, /* (SELECT x ...): one value; NULL without a row, 21000 past one */
	SQL_SUB_SET,    /* x IN / op ANY / op ALL (SELECT y ...): its distinct values */
	SQL_SUB_EXISTS, /* EXISTS (SELECT ...): whether a row comes */
	SQL_SUB_ROWS,   /* FROM (SELECT ...), a WITH query, a set operation's branch:
			   every row, into a leader table (table) */
} sql_sub_kind;

typedef enum sql_setop_kind {
	SQL_SETOP_LEAF = 0, /* one branch: sub */
	SQL_SETOP_UNION,
	SQL_SETOP_INTERSECT,
	SQL_SETOP_EXCEPT,
} sql_setop_kind;

/* A set operation (UNION / INTERSECT / EXCEPT [ALL]): a tree whose leaves
 * are ROWS subs; the top carries the output and its ORDER BY / LIMIT. */
typedef struct sql_setop {
	sql_setop_kind kind;
	int all;
	struct sql_setop *l, *r;
	int sub; /* SQL_SETOP_LEAF: the branch's index in sql_ctx.subs */
	int ntarget;
	sql_target *targets; /* top: names and (common) types, from the first branch */
	int nsort;
	sql_sort *sorts; /* top: by output position (sql_sort.target) */
	sql_expr *limit, *offset;
} sql_setop;

/* Columns of a subquery whose rows are shipped to the shard tasks (the
 * table-valued function mur_subq_rows declares this many, storage/
 * subq_rows.c: SUBQ_ROWS_COLS) */
#define SQL_SHIP_COLS_MAX 64
#define SQL_SUBS_MAX 64 /* subqueries per statement: each is one more run, in sequence */
#define SQL_NEST_MAX 16 /* nested query scopes (correlated references are looked up) */
#define SQL_CTES_MAX 32 /* WITH queries in scope at once */
/* Views expanded in one statement (each reference parses its view's text
 * once; the trees live until the statement is planned), and views within
 * views: PostgreSQL has no limit, but a chain this deep is a mistake. */
#define SQL_VIEW_TREES_MAX 64
#define SQL_VIEW_DEPTH_MAX 16

#define SQL_SEMIJOIN_OUTER_KEY 2
#define SQL_SEMIJOIN_GROUP_KEY 3
typedef struct sql_sub {
	sql_sub_kind kind;
	sql_query *q; /* the subquery, or NULL when it is a set operation: */
	sql_setop *setop;
	sql_expr *ref;    /* SCALAR / SET / EXISTS: the SE_SUBQ standing for it */
	cat_table *table; /* ROWS: the leader table its rows fill (virtual, "_sub<k>") */
	int loc;
	int semijoin; /* SET: the keys of a correlated EXISTS (a semi-join); 2
			 (SQL_SEMIJOIN_OUTER_KEY): the outer tables' keys, 3
			 (SQL_SEMIJOIN_GROUP_KEY): a grouped query's group values,
			 analyze_outerkey.c */
	int ship;     /* ROWS: its rows go to the shard tasks too (sql_rte.ship) */
	int param;    /* its parameter (1-based), set by sql_plan_subs */
} sql_sub;

/* A WITH RECURSIVE query that reads itself (analyze_recursive.c): its
 * non-recursive term is a ROWS sub (distributed like any subquery), its
 * recursive term a leader query over the working table ("murphy__rec<id>",
 * columns c0, c1, ...) and gathered tables; the leader's SQLite iterates. */
typedef struct sql_recursive {
	const char *name;
	int id;           /* the non-recursive term's sub */
	int union_all;    /* UNION ALL, else UNION (rows seen before dropped) */
	sql_query *rec;   /* the recursive term */
	cat_table *table; /* "_rec<id>": the query's columns (names, types) */
	int building;     /* analyzing the recursive term: the name is the working table */
	int nrefs;        /* references to the working table seen */
	sql_query *ref_q; /* the query holding the (last) one */
} sql_recursive;
/* Rows WITH RECURSIVE may produce before 54000 (storage mur_rec_guard):
 * PostgreSQL runs an endless recursion until memory runs out; the leader
 * holds these rows in its SQLite, and its loop thread is busy meanwhile. */
#define SQL_RECURSIVE_ROWS_MAX 1000000

typedef struct sql_cte {
	const char *name;
	PgQuery__CommonTableExpr *def;
	cat_table *table;   /* its ROWS sub's table, once referenced (then run once) */
	int sub;            /* that sub's index */
	int recursive;      /* WITH RECURSIVE and it reads itself */
	sql_recursive *rec; /* once referenced */
	int sees;           /* the WITH queries its text sees: those before it, or with
			       RECURSIVE every one of its list (the later ones too) */
	int busy;           /* being analyzed: a reference now is mutual recursion */
} sql_cte;

/* Analysis context for one statement. */
typedef struct sql_ctx {
	sql_arena *arena;
	const catalog *cat;
	const char *sql; /* statement text (positions are computed from it) */
	mur_error *err;
	/* The statement's parameters: $n has type param_types[n - 1]
	 * (MT_UNKNOWN until a context infers it, SQL_PARAMS_MAX entries),
	 * *nparams is the highest $n seen.  Both point into the plan being
	 * built (sql_prepare_tree), whose executor binds values by them. */
	mur_type *param_types;
	int *nparams;
	int nparam_given;
	/* murphy.count_distinct = 'approximate' (sql_options): the planner
	 * turns count(DISTINCT x) into approx_count_distinct(x) */
	int count_distinct_approx;
	const char *user;        /* current_user, session_user (sql_options); NULL: "murphy" */
	int64_t xact_now_us;     /* now() (sql_options.xact_now_us); 0: mur_now() per call */
	int used_xact_now;       /* set when a constant of xact_now_us was planned */
	int now_param;           /* > 0: now() is this parameter (sql_options.now_param) */
	int64_t stmt_now_us;     /* statement_timestamp() (sql_options.stmt_now_us); 0: mur_now() */
	int used_stmt_now;       /* set when a constant of stmt_now_us was planned */
	const char *search_path; /* the session's search_path text (sql_options); NULL: default */
	int superuser;           /* the role is one: every table privilege */
	/* murphy.shuffle_strategy (sql/sql.h SQL_SHUFFLE_*): whether window
	 * functions over a big table repartition by their partition key */
	int shuffle_strategy;
	/* TimeZone (sql_options; NULL: UTC): see analyze_tz.c */
	const mur_tz *tz;
	sql_query *q;          /* name scope; NULL = no columns (VALUES, defaults) */
	int agg_ok;            /* aggregates allowed where we are */
	const char *agg_where; /* "WHERE", "GROUP BY", ... for the error message */
	int in_agg;            /* inside an aggregate's argument */
	int row_json;          /* a bare table name is its row as json (to_json(t),
				  json_agg(t): analyze_json.c's sql_json_row) */
	/* the select-list ColumnRef that may name a FROM item's row
	 * (analyze_record.c); NULL elsewhere */
	const PgQuery__ColumnRef *row_text_ref;
	/* the statement's own SELECT (sql/prepare.c): only its select list may
	 * answer a whole row, which then reaches no other query */
	const PgQuery__SelectStmt *record_top;
	int record_here;  /* the query analyzed now is record_top */
	int row_text_hit; /* row_text_ref was read as a whole row */
	/* SELECT generate_series(...) without FROM: that call is the column
	 * of the series table rtes[srf_rte] (analyze_srf.c) */
	const PgQuery__FuncCall *srf_call;
	int srf_rte;
	int seen_agg;            /* an aggregate was analyzed */
	int targets_typed_later; /* INSERT ... SELECT: leave the select list's unknown
				     literals for the target columns to type */
	/* window functions (analyze_window.c): the SELECT's WINDOW clause,
	 * whether one may stand where we are (select list, ORDER BY), and
	 * whether we are inside one's arguments or window */
	PgQuery__Node **window_clause;
	size_t n_window_clause;
	int win_ok;
	int in_window;
	/* subqueries (analyze_subq.c): allowed only in a SELECT statement */
	int subq_ok;
	sql_sub *subs; /* SQL_SUBS_MAX, allocated at the first */
	int nsubs;
	const char *corr_why;           /* why the last correlated subquery was not decorrelated
				 (analyze_outerkey.c; the 0A000's hint), or NULL */
	sql_query *outer[SQL_NEST_MAX]; /* the enclosing queries' scopes, innermost last */
	int nouter;
	sql_cte ctes[SQL_CTES_MAX]; /* WITH queries in scope, innermost last */
	int nctes;
	int no_merge;      /* subqueries in FROM are gathered, not merged (analyze_select.c) */
	int gather_tables; /* FROM t is read as a gathered (SELECT * FROM t): a json
			      set-returning function reads its columns (analyze_json_srf.c) */
	/* the WHERE of the query whose tables are gathered, when no outer join
	 * null-extends them: a gathered table takes the conditions reading it
	 * alone (analyze_gather_where.c) */
	PgQuery__Node *gather_where;
	int gather_where_depth; /* c->nouter of that query: nested ones' tables take none */
	/* views (analyze_view.c): the parse trees of the views expanded so
	 * far (freed by sql_prepare_tree), how deep in views we are, the
	 * first WITH query a view's text may see (not the query around it),
	 * and, while CREATE VIEW analyzes its query (deps not NULL), the ids
	 * of the tables and views it reads (room for CAT_VIEW_DEPS_MAX) */
	struct sql_tree *view_trees[SQL_VIEW_TREES_MAX];
	int nview_trees;
	int view_depth;
	int cte_base;
	uint32_t *deps;
	int ndeps;
	/* while CREATE VIEW analyzes its query: the columns each `*` of its
	 * text stood for (analyze_view_star.c); NULL otherwise */
	struct sql_view_stars *stars;
	/* while ALTER ... RENAME plans a view's text: what each column
	 * reference and FROM name of that text resolved to (view_rename.c);
	 * NULL otherwise */
	struct sql_view_refs *refs;
	/* the view being expanded, whose column count the one from_nested
	 * analyzing its query checks (analyze_view.c); NULL otherwise */
	const cat_view *view_checked;
} sql_ctx;

/* ---- parse.c: errors with positions, arena allocation ---- */
int sql_pos(const sql_ctx *c, int loc); /* byte offset → 1-based character position */
int sql_err(sql_ctx *c, const char *state, int loc, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
int sql_err_oom(sql_ctx *c);
void *sql_alloc(sql_ctx *c, size_t n); /* zeroed; NULL + 53200 on failure */
char *sql_strdup(sql_ctx *c, const char *s);

/* ---- types.c ---- */
mur_type sql_type_from_typename(sql_ctx *c, const PgQuery__TypeName *tn, int32_t *typmod);
int sql_type_category(
	mur_type t); /* 'N' numeric 'S' string 'B' bool 'D' datetime 'U' unknown 'X' bytea */
int sql_type_numeric_rank(
	mur_type t); /* int2 1 < int4 2 < int8 3 < numeric 4 < float4 5 < float8 6 */
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
/* n as a boolean condition; what names it in the error when it is not
 * one ("argument of WHERE must be type boolean"). */
sql_expr *sql_analyze_bool(sql_ctx *c, PgQuery__Node *n, const char *what);
/* Give an expression the type `t` in a context that demands it
 * (comparison with a typed operand, assignment to a column): unknown
 * literals are parsed (22P02 on bad input), parameters take the type,
 * typed values get an implicit cast when PostgreSQL allows one. */
/* a (numeric) rounded to numeric(p,s)'s typmod (common/numeric.h): a
 * constant now, anything else by mur_num_typmod when it runs; 22003. */
sql_expr *sql_numeric_typmod(sql_ctx *c, sql_expr *a, int32_t typmod, int loc);
/* a (numeric[]) into numeric(p,s)[]: every element rounded when it runs
 * (storage's mur_array_num_typmod; 22003). */
sql_expr *sql_numeric_array_typmod(sql_ctx *c, sql_expr *a, int32_t typmod, int loc);
/* x op y where one side is numeric and y is a subquery's column the set
 * functions (storage/sqlfn_subq.c) compare with mur_value_cmp/hash: both
 * sides as normalized numeric text for = and <> (7 = 7.00), as float8 for
 * the orderings.  Nothing for other types. */
int sql_set_keys_numeric(sql_ctx *c, const char *op, sql_expr **x, sql_expr **y, int loc);
sql_expr *sql_coerce(sql_ctx *c, sql_expr *e, mur_type t, const char *what);
/* Resolve leftover unknown literals/params to text. */
sql_expr *sql_resolve_unknown(sql_ctx *c, sql_expr *e);
sql_expr *sql_make_cast(sql_ctx *c, sql_expr *e, mur_type to, int loc);
/* Bring two operands of comparison op to comparable types (PostgreSQL's
 * unknown-literal rule; date vs timestamp casts both); MUR_ERR: 42883. */
int sql_unify_compare(sql_ctx *c, const char *op, sql_expr **l, sql_expr **r, int loc);
/* Branches v[0..n) brought to one type (PostgreSQL's select_common_type;
 * unknown alone: text); construct names them in the 42804. */
int sql_unify_branches(sql_ctx *c, sql_expr **v, int n, const char *construct, int loc);
sql_expr *sql_make_call(sql_ctx *c, const char *fn, mur_type type, int loc, int nargs, ...);
/* analyze_tz.c: the session's TimeZone in a plan.  sql_tz_cast: the cast
 * of e to `to` in the zone, NULL when the zone does not matter to it;
 * sql_tz_func: 1 when it built name(args) (*out, or NULL on error), 0 to
 * go on with the function table (args may have been rewritten);
 * sql_tz_clock: current_date (DATE) or localtimestamp (TIMESTAMP);
 * sql_tz_name: the zone's name, NULL for UTC. */
sql_expr *sql_tz_cast(sql_ctx *c, sql_expr *e, mur_type to, int loc);
int sql_tz_func(sql_ctx *c, const char *name, sql_expr **args, int n, int loc, sql_expr **out);
sql_expr *sql_tz_clock(sql_ctx *c, mur_type t, int loc);
const char *sql_tz_name(const sql_ctx *c);
sql_expr *sql_make_op(sql_ctx *c, const char *op, mur_type type, int loc, sql_expr *a, sql_expr *b);
/* CASE WHEN cond THEN then END (NULL when cond is not true). */
sql_expr *sql_make_case_when(sql_ctx *c, sql_expr *cond, sql_expr *then, int loc);
/* analyze_from_subq.c: v, a subquery merged into q as the one table rte on
 * the null-extended side of an outer join: each of its columns that is not
 * a plain column of that table reads NULL where the join found no row (as
 * PostgreSQL's placeholders: a constant, coalesce(...) or x || 'y' of the
 * subquery would otherwise show on null-extended rows) — CASE WHEN <a NOT
 * NULL column of rte> IS NOT NULL THEN e END. */
int sql_null_extend_view(sql_ctx *c, sql_query *q, sql_view *v, int rte);
sql_expr *sql_make_const_int(sql_ctx *c, int64_t v, mur_type t);
/* analyze_interval.c: l op r when an operand is an interval, or timestamp
 * - timestamp; NULL with no error set when PostgreSQL has no such operator. */
sql_expr *sql_interval_arith(sql_ctx *c, const char *op, sql_expr *l, sql_expr *r, int loc);
sql_expr *sql_interval_neg(sql_ctx *c, sql_expr *iv, int loc);
/* x::interval fields [(p)] (typmod as common/interval.h's MUR_IV_TYPMOD):
 * a literal read with the fields now, anything else adjusted at run time. */
sql_expr *sql_interval_typmod(sql_ctx *c, sql_expr *a, int32_t typmod, int loc);
/* The type an unknown literal takes beside a date/time or interval operand. */
mur_type sql_interval_partner(const char *op, mur_type other);
/* Two intervals compared: both replaced by their span keys. */
int sql_interval_compare_keys(sql_ctx *c, sql_expr **l, sql_expr **r, int loc);
/* analyze_bpchar.c: two operands of a comparison, one of them character(n):
 * compared without trailing spaces (an RTRIM collation named on one side
 * when neither brings it; = and <> may swap the operands), or as text when
 * the other is text. */
int sql_bpchar_compare_keys(sql_ctx *c, const char *op, sql_expr **l, sql_expr **r, int loc);
/* A character(n) value as text with its padding kept (LIKE, octet_length,
 * concat); any other e unchanged. */
sql_expr *sql_bpchar_padded(sql_ctx *c, sql_expr *e);
/* x op y where y is a subquery's column the set functions compare by bytes
 * and one side is character(n) (the other text-like): both without their
 * trailing spaces.  Nothing for other types. */
int sql_set_keys_bpchar(sql_ctx *c, sql_expr **x, sql_expr **y, int loc);
/* The column one side of an equality stands for: x when a column, the
 * column under a char(n) join's probe mur_bpchar_key (equal exactly when
 * the column is, trailing spaces aside, which the bpchar key kind hashes
 * alike), else NULL.  Join and co-location planning read keys through it. */
const sql_expr *sql_equated_column(const sql_expr *x);
sql_expr *sql_make_const_text(sql_ctx *c, const char *s);
int sql_expr_equal(const sql_expr *a, const sql_expr *b);
int sql_expr_has_agg(const sql_expr *e);
int sql_expr_is_const(const sql_expr *e);  /* constants and params only */
const char *sql_colname(PgQuery__Node *n); /* PostgreSQL's FigureColname */
void sql_param_note(sql_ctx *c, int n);

/* ---- analyze_func.c ---- */
sql_expr *sql_analyze_func(sql_ctx *c, PgQuery__FuncCall *f);
/* The built-in scalar function name over analyzed args, as a call of it
 * would resolve (operators that are functions: x ^ y is power(x, y)). */
sql_expr *sql_builtin_call(sql_ctx *c, const char *name, sql_expr **args, int n, int loc);
/* analyze_seq.c: nextval / currval / setval / lastval (sql_is_seq_func
 * says whether name is one), leader-only calls. */
int sql_is_seq_func(const char *name);
sql_expr *sql_analyze_seq_func(sql_ctx *c, PgQuery__FuncCall *f, const char *name);
sql_expr *sql_analyze_serial_sequence(sql_ctx *c, PgQuery__FuncCall *f);
sql_expr *sql_analyze_sqlvalue(sql_ctx *c, PgQuery__SQLValueFunction *f);
/* now(): the transaction's start (c->xact_now_us: a constant, or the plan
 * cache's parameter c->now_param); without one, mur_xact_now(). */
sql_expr *sql_analyze_xact_now(sql_ctx *c, int loc);
int sql_agg_kind(const char *name);        /* sql_aggfn, 0 when name is none */
mur_type sql_agg_type(int fn, mur_type t); /* MT_UNKNOWN: no such aggregate */
/* agg(x) FILTER (WHERE cond) → agg(CASE WHEN cond THEN x END) (*fn, *arg) */
int sql_agg_filter(sql_ctx *c, PgQuery__FuncCall *f, int *fn, sql_expr **arg);
/* MUR_OK when an aggregate may stand here (42803 otherwise); ordered: an
 * ORDER BY or WITHIN GROUP in the call is accepted (else 0A000). */
int sql_agg_context(sql_ctx *c, PgQuery__FuncCall *f, int ordered);

/* ---- analyze_srf.c ---- */
/* FROM generate_series(...) [AS a [(c)]]: a leader table of one column. */
int sql_analyze_from_function(sql_ctx *c, sql_query *q, PgQuery__RangeFunction *rf);
/* analyze_regr.c: corr, covar_*, regr_* (Y, X): their kind (1 ..), 0 for
 * another name; the call as plain aggregates and mur_regr. */
int sql_regr_kind(const char *name);
sql_expr *sql_analyze_regr(sql_ctx *c, PgQuery__FuncCall *f, int kind, const char *name);
/* analyze_values.c: a VALUES statement s (s->n_values_lists > 0) as q's
 * only table and its columns as the select list. */
int sql_analyze_values(sql_ctx *c, sql_query *q, PgQuery__SelectStmt *s);
/* SELECT generate_series(...) without FROM: add the series table to q. */
int sql_srf_select_list(sql_ctx *c, sql_query *q, PgQuery__SelectStmt *s);
/* f as the series column when it is the call sql_srf_select_list took, else NULL. */
sql_expr *sql_srf_column(sql_ctx *c, PgQuery__FuncCall *f);
/* analyze_unnest.c: unnest(array) in FROM (item the call of rf), and
 * alone in the select list of a SELECT without FROM. */
int sql_is_unnest_call(const PgQuery__Node *n);
/* analyze_srf.c: a set-returning call in FROM as a leader table (its rte's
 * series is the call analyze(f) gives, with agg_ok off), one column named
 * by alias or fname, plus an int8 ordinality column when asked. */
typedef sql_expr *(*sql_srf_analyze_fn)(sql_ctx *c, PgQuery__FuncCall *f);
int sql_srf_add(sql_ctx *c, sql_query *q, PgQuery__FuncCall *f, const PgQuery__Alias *alias,
		const char *fname, int ordinality, sql_srf_analyze_fn analyze);
int sql_unnest_from(sql_ctx *c, sql_query *q, PgQuery__RangeFunction *rf, PgQuery__Node *item);
int sql_unnest_select_list(sql_ctx *c, sql_query *q, PgQuery__FuncCall *f);
/* unnest(a) in the select list of a query with FROM: the element column
 * of c->q->unnest; 0A000 anywhere else. */
sql_expr *sql_unnest_target(sql_ctx *c, PgQuery__FuncCall *f);
/* q may keep its select-list unnest: 0A000 when it also aggregates,
 * groups, is DISTINCT or has window functions (nested: unused). */
int sql_unnest_check(sql_ctx *c, sql_query *q, int nested);

/* ---- analyze_srf_list.c ---- */
/* A set-returning function in the select list of a query with FROM: rows
 * its rows as a JSON array (per input row), at the node reading the row
 * (SE_RAW "mur_u.value", or "mur_u.key" when at_key: a json array's
 * index); keys_only: it cannot run in lockstep (json_object_keys). */
int sql_srf_note(sql_ctx *c, sql_expr *rows, sql_expr *at, int at_key, int keys_only);
/* Several noted: run them in lockstep, PostgreSQL 10's rows (the most
 * any returns, the others NULL past their end). */
int sql_srf_lockstep(sql_ctx *c, sql_query *q);
/* generate_series(a, b [, s]) over integers, or generate_subscripts, in
 * such a select list. */
sql_expr *sql_srf_target(sql_ctx *c, PgQuery__FuncCall *f);
/* analyze_srf.c: generate_subscripts(a, dim [, rev]) analyzed: the call
 * (a, dim, rev, its rows as a JSON array). */
sql_expr *sql_subscripts_call(sql_ctx *c, PgQuery__FuncCall *f);
/* analyze_srf.c: generate_series analyzed: op generate_series (start,
 * stop, step: integers) or generate_series_ts (start, stop, step, next,
 * its rows as a JSON array). */
sql_expr *sql_series_call(sql_ctx *c, PgQuery__FuncCall *f);
/* Does e hold an aggregate or window function (no SRF argument may)? */
int sql_reads_aggregates(const sql_expr *e);

/* ---- analyze_json_srf.c ---- */
/* Is name one of the json/jsonb set-returning functions? */
int sql_json_srf_is(const char *name);
/* jsonb_array_elements(doc) & co. in the select list of a query with FROM. */
sql_expr *sql_json_srf_target(sql_ctx *c, PgQuery__FuncCall *f);
/* f (one of them) as a leader table named by alias; flags: */
#define SQL_JSON_SRF_IN_SELECT 1  /* alone in the select list of a SELECT without FROM */
#define SQL_JSON_SRF_ORDINALITY 2 /* WITH ORDINALITY: a last bigint column 1, 2, ... */
int sql_json_srf_add(sql_ctx *c, sql_query *q, PgQuery__FuncCall *f, const PgQuery__Alias *alias,
		     int flags);

/* ---- analyze_regex.c ---- */
/* substring(args) when its arguments make it a regular expression one
 * (none an integer): 1 and *out (NULL on error), else 0. */
int sql_regex_substring(sql_ctx *c, sql_expr **args, int n, int loc, sql_expr **out);
/* x: s [NOT] SIMILAR TO p [ESCAPE e] (negate: NOT). */
sql_expr *sql_similar_to(sql_ctx *c, PgQuery__AExpr *x, int negate);

/* ---- analyze_regex_srf.c ---- */
/* The FROM form's series op: its args[0] a JSON array of the rows (text),
 * which sql/emit_json_srf.c walks with json_each. */
#define SQL_REGEX_ROWS "mur_regex_rows"
/* Is name regexp_matches or regexp_split_to_table?  Is n a call of one? */
int sql_regex_srf_is(const char *name);
int sql_regex_srf_node(const PgQuery__Node *n);
/* One of them in FROM (rf's only function), or as f with alias. */
int sql_regex_srf_from(sql_ctx *c, sql_query *q, PgQuery__RangeFunction *rf);
int sql_regex_srf_add(sql_ctx *c, sql_query *q, PgQuery__FuncCall *f, const PgQuery__Alias *alias,
		      int ordinality);
/* One of them in the select list of a query with FROM (0A000 elsewhere). */
sql_expr *sql_regex_srf_target(sql_ctx *c, PgQuery__FuncCall *f);

/* ---- analyze_ordagg.c ---- */
/* The collecting aggregate name names (sql_aggfn), 0 when none. */
int sql_collecting_agg_kind(const char *name);
/* string_agg / percentile_cont / percentile_disc / mode → SE_AGG. */
sql_expr *sql_analyze_collecting_agg(sql_ctx *c, PgQuery__FuncCall *f, int fn, const char *name);

/* ---- analyze_json.c ---- */
/* 1 when op between l and r is a json operator (or a comparison, ||
 * or - with a json operand): sql_json_op analyzes it. */
int sql_json_wants_op(const char *op, const sql_expr *l, const sql_expr *r);
sql_expr *sql_json_op(sql_ctx *c, const char *op, sql_expr *l, sql_expr *r, int loc);
/* 1 when name is a json function sql_json_func analyzes (to_json, the
 * builders, jsonb_typeof, jsonb_set, ...). */
int sql_json_is_func(const char *name);
sql_expr *sql_json_func(sql_ctx *c, const char *name, sql_expr **args, int n, int loc);
/* 42883 when e is json (no equality or ordering, unlike jsonb) and is
 * grouped (ordering 0) or sorted (1) by. */
int sql_json_check_key(sql_ctx *c, const sql_expr *e, int ordering);
/* mur_json_elem(x, type): x as JSON text, NULL as null (builders, aggregates). */
sql_expr *sql_json_elem(sql_ctx *c, sql_expr *x);
/* Does f take a row as json (to_json, to_jsonb, row_to_json, json_agg,
 * jsonb_agg of a bare table name)? */
int sql_json_takes_row(const char *name);
/* The row of FROM entry rte as row_to_json writes it (json). */
sql_expr *sql_json_row(sql_ctx *c, int rte, int loc);
sql_expr *sql_json_row_of(sql_ctx *c, const char *const *names, sql_expr **cols, int ncols,
			  int loc);
/* analyze_record.c: a select-list item's name standing for a FROM item's
 * row, in record_out's text form */
const PgQuery__ColumnRef *sql_record_mark(PgQuery__Node *val);
sql_expr *sql_record_row(sql_ctx *c, const char *name, int loc);
/* 0A000 when q orders, groups or is DISTINCT by a whole row (a record
 * compares field by field, its text would not). */
int sql_record_check(sql_ctx *c, const sql_query *q);
/* The ColumnRef arg of a cast to text analyzed; *row set when it named a
 * FROM item's row (t::text, (t.*)::text): e is then the row's text, a
 * plain text value anywhere.  NULL on error (c->err). */
sql_expr *sql_record_cast_text(sql_ctx *c, PgQuery__Node *arg, int *row);
/* The row of FROM item name (a table, a merged subquery or join alias)
 * as json (sql_json_row / sql_json_row_of); NULL, c->err untouched, when
 * name is no such item. */
sql_expr *sql_record_json(sql_ctx *c, const char *name, int loc);
/* Does FROM of s hold a json set-returning function over a column (FROM
 * t, jsonb_each(t.doc))?  Then analyze_select.c reads its tables gathered. */
int sql_json_srf_lateral(const PgQuery__SelectStmt *s);
/* FROM item n, a table, as a subquery (SELECT * FROM n) gathered to the
 * leader, under the table's name or alias. */
int sql_from_gathered_table(sql_ctx *c, sql_query *q, PgQuery__Node *n);
/* Is e such a row (made by sql_json_row)? */
int sql_json_is_row(const sql_expr *e);

/* ---- analyze_array.c, analyze_arrayfn.c: arrays (common/array.h) ---- */
/* int[] / _int4 (tn has array bounds, or name is _elem). */
mur_type sql_array_type_from_typename(sql_ctx *c, const PgQuery__TypeName *tn, const char *name);
sql_expr *sql_array_expr(sql_ctx *c, PgQuery__AArrayExpr *a);          /* ARRAY[...] */
sql_expr *sql_array_subscript(sql_ctx *c, PgQuery__AIndirection *ind); /* a[i], a[i:j] */
sql_expr *sql_array_any_all(sql_ctx *c, PgQuery__AExpr *a);            /* x op ANY/ALL (a) */
/* The SE_CALL op of x = ANY (a) for a constant or parameter a of an element
 * type whose stored values compare as SQLite's (args x, a, elem): written
 * by sql/emit.c as an IN over the elements. */
#define SQL_ARRAY_IN_FN "mur_array_in"
/* 1 when op between l and r is an array operator (an operand is an array). */
int sql_array_wants_op(const char *op, const sql_expr *l, const sql_expr *r);
sql_expr *sql_array_op(sql_ctx *c, const char *op, sql_expr *l, sql_expr *r, int loc);
int sql_array_is_func(const char *name);
sql_expr *sql_array_func(sql_ctx *c, const char *name, sql_expr **args, int n, int loc);

/* ---- analyze_window.c ---- */
/* f(...) OVER (...) → SE_WINDOW (avg and the variances → mur_avg /
 * mur_variance over SE_WINDOW partials); NULL with c->err set. */
sql_expr *sql_analyze_window(sql_ctx *c, PgQuery__FuncCall *f);
/* 1 when name is a window-only function (row_number, rank, lag...). */
int sql_window_fn_only(const char *name);
int sql_window_equal(const sql_window *a, const sql_window *b);
/* The SELECT's WINDOW clause (c->window_clause): two entries of one name
 * are 42P20, as in PostgreSQL. */
int sql_analyze_window_clause(sql_ctx *c);
/* DISTINCT ON (...) of s into q->distinct_on, checked against ORDER BY. */
int sql_analyze_distinct_on(sql_ctx *c, sql_query *q, PgQuery__SelectStmt *s);

/* ---- analyze_grouping.c ---- */
/* The GROUP BY of s when it has GROUPING SETS, ROLLUP or CUBE: q->group
 * and q->gsets. */
int sql_analyze_grouping_sets(sql_ctx *c, sql_query *q, PgQuery__SelectStmt *s);
sql_expr *sql_analyze_grouping_func(sql_ctx *c, PgQuery__GroupingFunc *g);
/* GROUPING(...) arguments checked against q->group (42803); 0 without sets. */
int sql_resolve_grouping(sql_ctx *c, sql_query *q);
/* The index of e in q->group, -1 when it is none of them. */
int sql_group_index(const sql_query *q, const sql_expr *e);
/* GROUPING(...) e in the grouping set `set`: bit 1 for each argument not in it. */
int sql_grouping_value(const sql_query *q, const sql_expr *e, uint64_t set);

/* ---- analyze_sortby.c ---- */
/* One ORDER BY item's *desc and *nulls_first, PostgreSQL's defaults, USING
 * < / > as ASC / DESC; 0A000 for another USING operator. */
int sql_sort_order(sql_ctx *c, const PgQuery__SortBy *sb, int *desc, int *nulls_first);

/* ---- analyze_select.c ---- */
sql_expr *sql_analyze_group_item(sql_ctx *c, sql_query *q, PgQuery__Node *n);
int sql_analyze_sort_item(sql_ctx *c, sql_query *q, PgQuery__SortBy *sb, sql_sort *out);
sql_query *sql_analyze_select(sql_ctx *c, PgQuery__SelectStmt *s);
int sql_analyze_from_table(sql_ctx *c, sql_query *q, PgQuery__RangeVar *rv);
/* The same with the privileges to check (sql_lookup_table_for). */
int sql_analyze_from_table_for(sql_ctx *c, sql_query *q, PgQuery__RangeVar *rv, unsigned privs);
/* One more table t of FROM named alias (42712 when the name is taken). */
int sql_add_rte(sql_ctx *c, sql_query *q, const cat_table *t, const char *alias, int loc);
/* LIMIT / OFFSET n: a constant or parameter, as bigint; NULL when absent
 * (check c->err). */
sql_expr *sql_analyze_limit(sql_ctx *c, PgQuery__Node *n, const char *what);
int sql_check_unsupported_select(sql_ctx *c, PgQuery__SelectStmt *s);
const cat_table *sql_lookup_table(sql_ctx *c, PgQuery__RangeVar *rv);
/* analyze_schema.c: the schema rv means — its own, else the first of the
 * search path holding a relation so named; NULL when none does. */
const char *sql_rv_schema(sql_ctx *c, const PgQuery__RangeVar *rv);
/* The same for a name and its schema (NULL or "": none given). */
const char *sql_name_schema(sql_ctx *c, const char *schema, const char *name);
/* The same for a DROP's object ([schema.]name as a List of Strings). */
const char *sql_object_schema(sql_ctx *c, PgQuery__Node *n);
/* 1 after 42501 "permission denied for schema s" (PostgreSQL's, at loc)
 * when the session's role lacks USAGE on schema (cat_schema_usage);
 * 0 when it may look names up there (or no role is checked). */
int sql_schema_denied(sql_ctx *c, const char *schema, int loc);
/* The table rv names (sql_rv_schema), NULL when none: no error set. */
const cat_table *sql_rv_table(sql_ctx *c, const PgQuery__RangeVar *rv);
/* analyze_view.c: the search path a view's text resolves names with
 * ("<schema>", public), in the arena; NULL after 53200. */
const char *sql_view_search_path(sql_ctx *c, const char *schema);
/* The schema CREATE puts rv in (its own, else the search path's first);
 * NULL after setting c->err (3F000, 0A000). */
const char *sql_rv_create_schema(sql_ctx *c, const PgQuery__RangeVar *rv);
/* The same, checking that the session's role holds privs on the table
 * (cat_allowed; 42501 "permission denied for table t"); privs 0, or no
 * role (c->user NULL): no check.  sql_lookup_table checks SELECT. */
const cat_table *sql_lookup_table_for(sql_ctx *c, PgQuery__RangeVar *rv, unsigned privs);

/* ---- analyze_using.c ---- */
/* JOIN ... USING / NATURAL JOIN j whose left side is rtes [first, right)
 * and right side rtes [right, nrte) (join_left/join_right set on the last):
 * the merged columns, their ON conditions, the SELECT * order. */
int sql_analyze_using(sql_ctx *c, sql_query *q, int first, int right, PgQuery__JoinExpr *j);
/* The merged column an unqualified name means (*found 1), NULL with
 * *found 0 when none (42702 with *found 1 when another table has it too). */
sql_expr *sql_using_column(sql_ctx *c, const sql_query *q, const char *name, int loc, int *found);
/* q->star completed with the rtes joined after the last USING join. */
int sql_using_star(sql_ctx *c, sql_query *q);

/* ---- analyze_subq.c ---- */
/* A subquery in an expression (SubLink): SE_SUBQ, or an expression over it. */
sql_expr *sql_analyze_sublink(sql_ctx *c, PgQuery__SubLink *sl);
/* analyze_rowcmp.c: (a, b) op (c, d) and (a, b) [NOT] IN ((..), ..) as
 * element comparisons (PostgreSQL's row semantics); NULL on error. */
sql_expr *sql_row_aexpr(sql_ctx *c, PgQuery__AExpr *a);
/* FROM (SELECT ...) [AS] alias [(cols)]: one more rte over a ROWS sub. */
int sql_analyze_from_subselect(sql_ctx *c, sql_query *q, PgQuery__RangeSubselect *rs);
/* FROM t AS a (x, y) (a table, view or WITH query): as FROM (SELECT *
 * FROM t) AS a (x, y). */
int sql_analyze_from_renamed(sql_ctx *c, sql_query *q, PgQuery__RangeVar *rv);
/* FROM (a JOIN b ...) AS x [(cols)]: as FROM (SELECT * FROM a JOIN b ...)
 * AS x [(cols)]. */
int sql_analyze_from_join_alias(sql_ctx *c, sql_query *q, PgQuery__JoinExpr *j);

/* ---- analyze_view.c ---- */
/* FROM v, v a view: its text analyzed as FROM (SELECT ...) AS v (cols),
 * so it merges into q when it runs shard by shard, as the inline
 * subquery would.  54001 past SQL_VIEW_DEPTH_MAX views within views. */
int sql_analyze_from_view(sql_ctx *c, sql_query *q, PgQuery__RangeVar *rv, const cat_view *v);
/* CREATE VIEW: relation id is read by the query (kept in c->deps). */
int sql_view_dep(sql_ctx *c, uint32_t id);
/* The view trees of c freed (end of planning). */
void sql_view_trees_free(sql_ctx *c);
/* 0A000: view v's query answers now columns, not the ones it was created
 * with (a view whose stored text reads `*`: analyze_view.c). */
int sql_view_drifted(sql_ctx *c, const cat_view *v, int now);

/* view_uses.c: 1 when the view text sql may read column col of table
 * schema.table (every column it names, `*` or a whole row; a text that
 * does not parse), 0 when it does not read it. */
int sql_view_uses_column(const char *sql, const char *schema, const char *table, const char *col);

/* ---- view_rename.c: a rename followed into the views' texts ---- */
#define SQL_VIEW_REFS_MAX 1024 /* references of one view's text recorded */
typedef struct sql_view_ref {
	int loc;           /* the ColumnRef's / RangeVar's location in sql_view_refs.text */
	uint32_t table_id; /* the catalog table it resolved to; 0: none (a subquery's column) */
	int col;           /* its column index; -1: the RangeVar naming the table; -2: a
			      select-list item's name (ORDER BY a) */
	const char *alias; /* the FROM item's name it was read through (columns) */
} sql_view_ref;
typedef struct sql_view_refs {
	const char *text; /* the view's text: only its references count */
	int n;
	int overflow; /* more than SQL_VIEW_REFS_MAX: nothing is rewritten */
	sql_view_ref ref[SQL_VIEW_REFS_MAX];
} sql_view_refs;
/* While c->refs records c->refs->text: the reference at loc read column
 * col (-1: the FROM name, -2: an output's name) of table t through alias; t NULL (or a
 * subquery's rows): something that is no catalog table's column.  A no-op
 * otherwise. */
void sql_view_ref_note(sql_ctx *c, int loc, const cat_table *t, int col, const char *alias);
/* The same for column col of FROM item rte (a table, or a view read as
 * a gathered subquery: its view_id), and for relation id (a table's or a
 * view's, 0: none). */
void sql_view_ref_note_rte(sql_ctx *c, int loc, const sql_rte *rte, int col);
void sql_view_ref_note_id(sql_ctx *c, int loc, uint32_t id, int col, const char *alias);
/* A merged view's or subquery's column name read at loc (tbl NULL: a bare
 * name): noted as column k of the catalog view it is (sql_view.view_id),
 * else as nothing's. */
void sql_view_ref_note_merged(sql_ctx *c, int loc, const sql_query *q, const char *tbl,
			      const char *col);
/* What a rename changes: relation id's (a table's or a view's, named
 * schema.name) column col (named col_name) to `to`, or (col -1) its name. */
typedef struct sql_rename {
	uint32_t id;
	const char *schema, *name;
	int col;
	const char *col_name, *to;
} sql_rename;
/* The view text (select its parse, refs what planning it recorded) with
 * rn followed: the references to the renamed column or table name the
 * new name, a select-list item named by the old column keeps that name
 * (`c AS a`, as pg_get_viewdef prints it).  text itself when nothing
 * changes; NULL with *why set when the text reads the renamed thing in a
 * way not rewritten here (a reference nothing resolved, `*`, NATURAL,
 * USING, a name the new one would capture); NULL with c->err on error. */
char *sql_view_renamed_text(sql_ctx *c, const char *text, const PgQuery__Node *select,
			    const sql_view_refs *refs, const sql_rename *rn, const char **why);

/* ---- analyze_view_star.c: CREATE VIEW fixes the columns of its `*` ---- */
#define SQL_VIEW_STARS_MAX 64 /* `*` items of one view's text recorded */
typedef struct sql_star_name {
	const char *qual; /* the FROM item's name, NULL: the bare name reads it */
	const char *name; /* NULL: qual.* (sql_view_star_col) */
} sql_star_name;
typedef struct sql_view_star {
	int loc; /* the ColumnRef's location in sql_view_stars.text */
	int n;   /* what it stood for at its last analysis: cols[0..n) */
	sql_star_name *cols;
} sql_view_star;
typedef struct sql_view_stars {
	const char *text; /* the CREATE VIEW statement's c->sql: only its stars count */
	int n;
	sql_view_star star[SQL_VIEW_STARS_MAX];
} sql_view_stars;
/* expand_star begins the `*` at loc: the index to record its columns
 * under (sql_view_star_col), -1 when nothing is recorded (no CREATE VIEW,
 * a view's own text, a node the planner built), -2 on error. */
int sql_view_star_begin(sql_ctx *c, int loc);
/* One more column of star at (a no-op for at < 0): qual.name; name NULL:
 * every column of qual (qual.*, which a rewrite of the query, LATERAL's,
 * reads as such: the text is planned again and it is named then). */
int sql_view_star_col(sql_ctx *c, int at, const char *qual, const char *name);
/* The locations of the `*` / `t.*` items of every select list under
 * select, in walk order (at most max; -1 past it); *unrecorded: the first
 * one s did not record whose columns are read (not in a sublink's query,
 * EXISTS (SELECT * ...), nor in a WITH query no FROM names), -1 when
 * none. */
int sql_view_star_locs(const PgQuery__Node *select, const sql_view_stars *s, int *locs, int max,
		       int *unrecorded);
/* The offset just past the `*` of the ColumnRef at text + loc (`*`,
 * `t.*`, `"s"."t" . *`), -1 when anything else (a comment) stands there. */
int sql_star_span_end(const char *text, int loc);
/* text[off..end) onto out with each `*` at locs (ascending, offsets in
 * text) that s recorded replaced by its columns ("t.a, t.b");
 * MUR_ERR when a star's text is not a plain `t.*`. */
int sql_view_star_rewrite(const char *text, int off, int end, const int *locs, int nlocs,
			  const sql_view_stars *s, mur_buf *out);
/* view_sql (s->text from off on; select its parse) with the stars s
 * recorded expanded, in the arena (view_sql itself when none was); NULL +
 * error. */
char *sql_view_star_text(sql_ctx *c, const sql_view_stars *s, const PgQuery__Node *select,
			 const char *view_sql, int off);
/* FROM name when name is a WITH query in scope: 1 with the rte added, 0
 * when it is none, -1 on error. */
int sql_analyze_from_cte(sql_ctx *c, sql_query *q, PgQuery__RangeVar *rv);
/* WITH: its queries come into scope (sql_with_pop takes them out). */
int sql_with_push(sql_ctx *c, PgQuery__WithClause *w, int *saved);
void sql_with_pop(sql_ctx *c, int saved);
/* sql_tree_any (parser/pwalk.h): whether a predicate holds for a
 * message or any message under it. */
/* analyze_gather_where.c: the conjuncts of c->gather_where that read only
 * columns qualified by alias (no subquery, no volatile function), ANDed;
 * NULL when none. */
PgQuery__Node *sql_gather_where(sql_ctx *c, const char *alias);
/* Whether FROM s holds an outer join (its tables keep every WHERE). */
int sql_from_has_outer_join(const PgQuery__SelectStmt *s);
/* analyze_distinct_agg.c: whether s computes sum(DISTINCT x) or another
 * such aggregate besides count, min and max (then it runs on the leader); s with a
 * single table's FROM and WHERE as a subquery (FROM (SELECT * FROM t
 * WHERE ...) t), or s itself. */
int sql_leader_distinct_aggs(const PgQuery__SelectStmt *s);
PgQuery__SelectStmt *sql_distinct_agg_rewrite(sql_ctx *c, PgQuery__SelectStmt *s);
/* analyze_recursive.c: whether the tree under m names relation name
 * (unqualified) anywhere; whether FROM s reads a recursive WITH query in
 * scope (then it runs on the leader, every table gathered); a reference
 * to recursive WITH query k (1 with the rte added, -1 on error). */
int sql_tree_names(const ProtobufCMessage *m, const char *name);
int sql_from_reads_recursive(const sql_ctx *c, const PgQuery__SelectStmt *s);
int sql_recursive_from(sql_ctx *c, sql_query *q, int k, PgQuery__RangeVar *rv);
/* A set operation statement (s->op != SETOP_NONE): its branches become
 * ROWS subs. */
sql_setop *sql_analyze_setop(sql_ctx *c, PgQuery__SelectStmt *s);
/* Names a merged subquery in FROM gives (sql_view): the expression of
 * column col of view tbl (tbl NULL: of any view), *n counting the columns
 * of that name (more than one: ambiguous); NULL when none. */
sql_expr *sql_view_column(const sql_query *q, const char *tbl, const char *col, int *n);
int sql_view_find(const sql_query *q, const char *alias); /* index or -1 */
int sql_view_at(const sql_query *q, int rte);             /* the view starting at rte, or -1 */
/* Forget the subs from nsubs on (an analysis started over). */
void sql_subq_rollback(sql_ctx *c, int nsubs);
/* l op r after PostgreSQL's comparison typing (42883 when none). */
sql_expr *sql_make_compare(sql_ctx *c, const char *op, sql_expr *l, sql_expr *r, int loc);
/* COALESCE(a, b) of a common type. */
sql_expr *sql_make_coalesce2(sql_ctx *c, sql_expr *a, sql_expr *b, int loc);
/* a AND b (either may be NULL). */
sql_expr *sql_and(sql_ctx *c, sql_expr *a, sql_expr *b);
/* A column of an enclosing query: the 0A000 of a correlated subquery
 * (MUR_ERR), or MUR_OK when no enclosing query has it. */
int sql_check_outer_column(sql_ctx *c, const char *tbl, const char *col, int loc);
/* 1 when name is a FROM item (table or merged subquery) of a query around
 * c's. */
int sql_outer_from_item(const sql_ctx *c, const char *name);
/* The parse-tree conjunction of args[0..n) (analyze_ptree.c): args[0]
 * alone for one, NULL for none (or out of memory); args is kept. */
PgQuery__Node *sql_pt_and_list(sql_ctx *c, PgQuery__Node **args, size_t n);
/* SELECT * FROM (s) AS alias (analyze_ptree.c): a set operation where a
 * plain SELECT must stand (INSERT ... SELECT ... UNION).  NULL on OOM. */
PgQuery__SelectStmt *sql_pt_from_subselect(sql_ctx *c, PgQuery__SelectStmt *s, const char *alias);

#endif
