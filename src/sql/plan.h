/*
 * plan.h — a distributed plan: what the SQL front end hands the leader's
 * executor.
 *
 * sql_prepare() (sql/sql.h) turns one statement into a plan.  The plan
 * holds everything the executor needs and nothing it has to re-derive
 * from the parse tree: SQLite SQL for the shards (written by murphy's own
 * emitter), the aggregation specs for the follower and the leader, the SQL
 * the leader runs over merged rows, output column types, and how to prune
 * shards.
 *
 * SELECT over distributed tables, in stages:
 *
 *   shard_sql ──(followers, one task per shard)──> rows
 *      [partial_agg: follower hash aggregate over shard_sql's rows]
 *   concatenate all shards' rows
 *      [final_agg:   leader hash aggregate merging the partials]
 *   [final_sql: leader runs it in an in-memory SQLite over table "r" whose
 *               columns are c0, c1, ... = the rows so far; computes final
 *               expressions, HAVING, ORDER BY, LIMIT/OFFSET, DISTINCT]
 *   -> output rows (nout columns, types out[])
 *
 * A router plan (one shard, known from `prune`) runs the whole query in
 * shard_sql and has neither aggregate nor final_sql.
 *
 * Parameters: $n in the statement becomes ?n in every SQL string of the
 * plan (shard_sql, final_sql, values_sql...).  The executor binds the same
 * values everywhere, coerced to param_types[n-1].
 *
 * Table naming in shard SQL: the plan's tables[0] is schema `main`,
 * tables[i] (i >= 1) is schema `m<i>` (see wire/task.h).
 *
 * Memory: a plan and everything it points to live in its arena; plan_free()
 * releases all of it.  cat_table pointers are borrowed from the catalog.
 */
#ifndef SQL_PLAN_H
#define SQL_PLAN_H

#include "catalog/catalog.h"
#include "common/rowmerge.h"
#include "common/value.h"
#include "wire/task.h"

#include <stdint.h>

/* plan_select.locks_rows: the shard locks a SELECT's locking clause takes. */
#define PLAN_LOCK_ROWS_SHARE 1  /* FOR SHARE / FOR KEY SHARE: shared */
#define PLAN_LOCK_ROWS_UPDATE 2 /* FOR UPDATE / FOR NO KEY UPDATE: exclusive */

#define PLAN_TABLES_MAX EXEC_TASK_PLACEMENTS_MAX
#define PLAN_PARAMS_MAX 1024
#define PLAN_SHUFFLE_COLS_MAX 64 /* repartition hash columns (groups + 1 <= SQL_GROUP_MAX) */

typedef enum plan_kind {
	PLAN_EMPTY = 0,     /* empty statement */
	PLAN_SELECT,        /* distributed SELECT (router or scatter-gather) */
	PLAN_LEADER_SELECT, /* no distributed table: leader_sql runs on the leader
				   (SELECT 1; SELECT now(); murphy.nodes, murphy.shards) */
	PLAN_INSERT,        /* INSERT ... VALUES / INSERT ... SELECT */
	PLAN_MODIFY,        /* UPDATE / DELETE */
	PLAN_CREATE_TABLE,
	PLAN_DROP_TABLE,
	PLAN_CREATE_INDEX,
	PLAN_DROP_INDEX,
	PLAN_COPY_FROM, /* COPY t [(cols)] FROM STDIN */
	PLAN_COPY_TO,   /* COPY t [(cols)] / (SELECT ...) TO STDOUT: u.copy.query */
	PLAN_EXPLAIN,
	PLAN_SET, /* SET name = value / SET name TO DEFAULT / RESET */
	PLAN_SHOW,
	PLAN_BEGIN, /* u.set.value: the ISOLATION LEVEL asked for, "" when none */
	PLAN_COMMIT,
	PLAN_ROLLBACK,
	PLAN_SAVEPOINT,   /* SAVEPOINT name (u.savepoint) */
	PLAN_RELEASE,     /* RELEASE [SAVEPOINT] name */
	PLAN_ROLLBACK_TO, /* ROLLBACK TO [SAVEPOINT] name */
	PLAN_NOOP,        /* accepted and ignored with the given tag (e.g. DISCARD ALL) */
	PLAN_ANALYZE,     /* ANALYZE: shard statistics into the catalog */
	PLAN_TRUNCATE,    /* TRUNCATE: every row of each table deleted, as a write */
	PLAN_ALTER,       /* ALTER TABLE changing the table's shape (plan_alter.c) */
	PLAN_SEQUENCE,    /* CREATE / DROP SEQUENCE: the catalog only (u.sequence) */
	PLAN_VIEW,        /* CREATE [OR REPLACE] / DROP VIEW: the catalog only (u.view) */
	PLAN_SCHEMA,      /* CREATE / DROP SCHEMA: the catalog only (u.schema) */
	PLAN_ROLE,        /* CREATE / ALTER / DROP ROLE (u.role, plan_role.c) */
	PLAN_GRANT,       /* GRANT / REVOKE on tables (u.grant, plan_role.c) */
	PLAN_PORTAL,      /* DECLARE / FETCH / MOVE / CLOSE, PREPARE / EXECUTE /
			     DEALLOCATE (u.portal, plan_portal.c) */
	PLAN_COMMENT,     /* COMMENT ON ... IS: the catalog only (u.comment, plan_comment.c) */
	PLAN_LOCK,        /* LOCK TABLE t IN ACCESS SHARE MODE: u.lock.query reads
			     every shard of t, returning nothing (plan_lock.c) */
} plan_kind;

/* PostgreSQL's regtype: a type's name in text, its OID in binary. */
#define PLAN_OID_REGTYPE 2206

typedef struct plan_column {
	char name[64];
	mur_type type;
	int32_t typmod;
	uint32_t table_oid; /* the table column it reads as is (pg_class OID, */
	int16_t attnum;     /* pg_attribute number), else 0: RowDescription's */
	uint32_t type_oid;  /* RowDescription's type when not type's, else 0: pg_typeof's
			       regtype (2206), its values type's names */
} plan_column;

/* Shard pruning: the statement pins the distribution column of tables[0]
 * to one value, either a constant or parameter $param (1-based).  For a
 * range table it may instead bound the column (top-level conjuncts
 * col >= / > / < / <= value, col BETWEEN a AND b): the executor keeps the
 * shards whose ranges overlap every bound (cat_range_shards). */
#define PLAN_PRUNE_BOUNDS_MAX 8
/* It may instead list the values (col IN (k, ...), col = k OR col = k ...,
 * constants or parameters): the executor keeps the shards of those values
 * (a write in a block then locks only those).  A longer list is not kept:
 * every run hashes each value on the leader's loop, and 64 keys already
 * touch most shards of a 16..64-shard table. */
#define PLAN_PRUNE_KEYS_MAX 64

typedef struct plan_key {
	int param;          /* > 0: value is $param; 0: value is `constant` */
	mur_value constant; /* coerced to the column's storage class; NULL: no row */
} plan_key;

typedef struct plan_bound {
	int upper;          /* 1: col < / <= value; 0: col > / >= value */
	int inclusive;      /* <= / >= (and BETWEEN) */
	int param;          /* > 0: value is $param; 0: value is `constant` */
	mur_value constant; /* comparable with the column's bounds (a numeric
			       constant may bound an integer column) */
	mur_type type;      /* the value's type: a parameter is coerced to it */
} plan_bound;

typedef struct plan_prune {
	int active;         /* 1: one value (router); 0: every shard, unless bounds */
	int param;          /* > 0: value is $param; 0: value is `constant` */
	mur_value constant; /* already coerced to the column's storage class */
	mur_type type;      /* distribution column type, for coercing the parameter */
	int nbounds;        /* range tables, when !active */
	plan_bound bounds[PLAN_PRUNE_BOUNDS_MAX];
	int nkeys;      /* when !active and > 0: only the shards of keys[0..nkeys) */
	plan_key *keys; /* in the plan's arena */
} plan_prune;

typedef struct plan plan;

/* Key columns a batched scan orders by (plan_select.batch_keys): a
 * PRIMARY KEY of more is read whole. */
#define PLAN_BATCH_KEYS_MAX 8
/* ORDER BY keys a batched scan merges by (more: read whole) */
#define PLAN_BATCH_SORT_MAX 16

typedef struct plan_select {
	int ntables;
	const cat_table *tables[PLAN_TABLES_MAX]; /* co-located: same shard count */
	plan_prune prune;
	int router; /* pruned to one shard: shard_sql is the whole query */
	const char *shard_sql;
	/* non-NULL: shard_sql reads this column of every row of tables[0] and
	 * nothing else (approx_count_distinct(x) alone, no filter): a follower
	 * may read it from the table's pages (exec_task.scan_column) */
	const char *scan_column;
	int has_partial_agg;
	exec_agg_spec partial_agg;
	int has_final_agg;
	exec_agg_spec final_agg;
	const char *final_sql; /* NULL: output = concatenated (merged) rows */
	/* Groups whole on one shard (no final_agg) and a HAVING: SQL over table
	 * r of one shard's partial_agg rows keeping the groups final_sql's
	 * HAVING keeps, which a QUERY task's follower applies before sending
	 * (exec_task.having_sql); final_sql still applies it.  NULL: none. */
	const char *shard_having;
	int locks_rows;         /* SELECT … FOR UPDATE / SHARE: in a block, the executor
				   takes the lock of every shard read (docs/transactions.md):
				   PLAN_LOCK_ROWS_SHARE or _UPDATE; 0: none */
	const char *locks_name; /* sql_query.locks_name (a READ ONLY block's 25006) */
	const char *strategy; /* for EXPLAIN: "router", "scatter-gather", "gather distinct", ... */
	const char *merge_desc; /* for EXPLAIN: what the leader does, one line */
	/* for EXPLAIN: where window functions run (sql/plan_window.c), NULL: none */
	const char *window_desc;
	/* Repartition (docs/shuffle.md), the alternative to gathering every
	 * shard's rows into the leader: each shard's rows (after partial_agg)
	 * go to owner hash(first shuffle_hash_cols columns) % owners, follower
	 * to follower; each owner runs owner_agg over what it got; the leader
	 * merges the owners' rows with leader_agg (has_leader_agg) or just
	 * concatenates them (their groups are disjoint), then final_sql as
	 * usual.  shuffle_hash_cols == 0: the plan cannot repartition.  The
	 * executor picks gather or repartition per run (murphy.shuffle_strategy). */
	uint32_t shuffle_hash_cols;
	exec_key_cols shuffle_keys; /* of those, by value (exec_task.shuffle_keys) */
	exec_agg_spec owner_agg;
	int has_leader_agg;
	exec_agg_spec leader_agg;
	const char *shuffle_what; /* for EXPLAIN: "distinct (state, user_id)", ... */
	/* for the cost estimate (lead_shuffle.c): the column of tables[0] each
	 * of the first shuffle_hash_cols columns is, -1 for an expression */
	int shuffle_cols[PLAN_SHUFFLE_COLS_MAX];
	/* A join of tables that are not co-located (sql/plan_join.c): the
	 * executor first brings the rows to the followers (owners) by
	 * repartition (every table by its join key) or broadcast (tables[0]
	 * stays, the others go to every owner); the owners then run shard_sql
	 * (with partial_agg) over in-memory copies named like the shards'
	 * (join_ddl makes them, line i of join_load fills table i, join_post
	 * indexes the keys), and the rest of the plan runs as usual.  Indexes
	 * below are table slots (tables[i], stream i). */
	int join_shuffle;
	int join_repartition_ok; /* every table has a column in one class of equated keys */
	exec_key_cols join_keys; /* the join key, column 0, hashed by value (numeric...) */
	int join_broadcast_ok;   /* no table but tables[0] is the preserved side of a LEFT JOIN */
	/* broadcast: table i goes with tables[0]'s shards instead of to every
	 * owner (co-located with tables[0], joined to it on the distribution
	 * columns: shard s of table i matches only shard s of tables[0]) */
	uint8_t join_stays[PLAN_TABLES_MAX];
	const char
		*join_side_sql[PLAN_TABLES_MAX]; /* per table: key first, then the columns used */
	/* per table: its senders group their side rows by the key and count
	 * (sql/plan_join_preagg.c), NULL: rows sent as they are */
	const exec_agg_spec *join_side_agg[PLAN_TABLES_MAX];
	int join_merge; /* 1 + the slot so counted: owners add its rows up by key first */
	const char *join_ddl, *join_load, *join_post;
	const char *join_key_desc; /* for EXPLAIN: "a"."x" = "b"."y" */
	/* A plain scan of one table (no ORDER BY, LIMIT, DISTINCT, window,
	 * locking clause; others: batch_whole below) that a portal may read a batch at a time
	 * (sql/plan_batch.c, leader/lead_stream.c): batch_head is shard_sql
	 * with the table's key columns appended to the output; the executor
	 * adds the keyset condition, ORDER BY the key and LIMIT
	 * (sql_batch_sql).  NULL: the plan cannot be read in batches. */
	const char *batch_head;
	const char *batch_keys; /* "alias"."k1", "alias"."k2" */
	int batch_nkeys;        /* key columns appended after the plan's outputs */
	int batch_where;        /* batch_head has a WHERE clause */
	/* ORDER BY read in batches (batch_nsort > 0): batch_head's outputs
	 * are the plan's, then the sort expressions not among them, then the
	 * key; a shard's batch is ordered by batch_order (the sort, then the
	 * key) after the last (sort values, key) read, and the leader merges
	 * the shards' batches by batch_sort (common/rowmerge.h), then skips
	 * OFFSET and stops at LIMIT (a constant, or $n when _param > 0). */
	int batch_nsort;
	mur_sortkey batch_sort[PLAN_BATCH_SORT_MAX];     /* .col: the batch row's column */
	const char *batch_sort_sql[PLAN_BATCH_SORT_MAX]; /* each sort expression, parenthesised */
	const char *batch_order;                         /* "<sort>, <keys>" for ORDER BY */
	int batch_first_notnull; /* the first sort column is NOT NULL: a range on it leads */
	int64_t batch_limit, batch_offset; /* -1: none */
	int batch_limit_param, batch_offset_param;
	/* batch_head runs the whole query on each shard (a join, GROUP BY,
	 * DISTINCT or window whose result is complete per shard:
	 * sql/plan_batch_whole.c): partial_agg, the leader's merge and
	 * final_sql do not apply to its batches.  Its keys are output
	 * columns, each in batch_key_sql, compared one by one NULLs first
	 * (a LEFT JOIN's key, a group's value may be NULL). */
	int batch_whole;
	const char *batch_key_sql[PLAN_BATCH_KEYS_MAX];
	const char *batch_mark;   /* non-NULL: where in batch_head the keyset condition goes */
	const char *batch_unique; /* for EXPLAIN: "the group values", ... */
	const char *batch_why;    /* for EXPLAIN: why a portal gets the result whole */
	/* a shuffled join read from its owners (sql/plan_batch_owner.c):
	 * batch_head is the owners' statement, kept open on each owner and
	 * read batch_nsort-merged; no keys */
	int batch_owner;
} plan_select;

typedef struct plan_insert {
	const cat_table *table;
	/* Source rows, with exactly table->ncols values each, in table column
	 * order (defaults already filled in by the planner; the hidden rowid
	 * column, if any, is NULL and the executor generates it): */
	const char *values_sql;  /* leader-evaluated SQLite (VALUES ... / SELECT ...), or NULL */
	const char *values_rows; /* or: VALUES of constants only, encoded (mur_row values) */
	size_t values_rows_len;
	uint64_t values_nrows;
	plan *source;          /* INSERT ... SELECT: a PLAN_SELECT/PLAN_LEADER_SELECT whose output
				      has table->ncols columns in table order; NULL otherwise */
	const char *shard_sql; /* "INSERT INTO main."t" (c0,...) VALUES (?1,...) [RETURNING ...]" */
	int nreturning;        /* RETURNING columns (out[] holds them) */
	int on_conflict_nothing; /* ON CONFLICT DO NOTHING */
	/* ON CONFLICT (conflict_cols) DO UPDATE (nconflict > 0): the target
	 * holds the distribution column, so a row conflicts only on its own
	 * shard; two source rows with one key are 21000 (lead_write.c).
	 * With on_conflict_nothing: DO NOTHING's target (0: none) */
	int nconflict;
	int conflict_cols[CAT_COLUMNS_MAX];
	/* per table column: the sequence whose nextval the leader puts there
	 * in each source row before routing it (a SERIAL / IDENTITY column the
	 * statement does not list: its source value is NULL), else NULL;
	 * NULL: no such column (cat_seq_fill) */
	const char **fill_seq;
} plan_insert;

enum { PLAN_FK_DELETED_ROWS = 1, PLAN_FK_NEW_ROWS = 2 };

typedef struct plan_modify {
	const cat_table *table;
	int is_delete;
	plan_prune prune;
	const char *shard_sql; /* UPDATE/DELETE on main."t" [RETURNING ...] */
	int nreturning;
	/* UPDATE ... FROM / DELETE ... USING (plan_dml.c): source finds the
	 * rows, ncols values each (the target's key_cols, then every visible
	 * column of each other table); the leader routes them by
	 * key_cols[dist_key] (-1: a reference table, shard 0), one per key,
	 * and shard_sql runs once per row.  NULL: a plain UPDATE / DELETE. */
	plan *source;
	uint32_t ncols;
	int nkey, dist_key;
	int key_cols[CAT_COLUMNS_MAX];
	/* Foreign keys (plan_fkey.c): shard_sql returns every column of the
	 * rows it changes, which the leader checks (lead_fkey.c) and does not
	 * answer: PLAN_FK_DELETED_ROWS, a DELETE of a table other tables
	 * reference (against them), PLAN_FK_NEW_ROWS, an UPDATE of a
	 * referencing column (against its parent); 0: none */
	int fk_returning;
} plan_modify;

/* TRUNCATE (plan_truncate.c): shard_sql[i] (DELETE FROM main."t") runs as
 * a write on every shard of tables[i]. */
typedef struct plan_truncate {
	int ntables;
	const cat_table **tables;
	const char **shard_sql;
	int restart_identity; /* RESTART IDENTITY: their owned sequences start again */
} plan_truncate;

/* A RENAME followed into the views that name it (sql/plan_alter_views.c):
 * each view's id and its text naming the new name, stored with the rename. */
typedef struct sql_view_texts {
	uint32_t *ids;
	const char **sql;
	const char **was; /* the text each was planned from: one replaced since keeps its own */
	int n;
} sql_view_texts;

/* ALTER TABLE ADD / DROP / RENAME COLUMN, RENAME TO, ALTER COLUMN SET /
 * DROP DEFAULT, SET NOT NULL (sql/plan_alter.c). */
typedef struct plan_alter {
	const cat_table *table;  /* as it is */
	cat_table *def;          /* as it will be: name, columns, dist_col (arena copy; its
				   pointers borrowed from table or the arena) */
	const char *shard_sql;   /* "forward SEP undo" (storage/replog.h) every shard logs as a
				   DDL entry; NULL: only the catalog changes */
	const char *noop_notice; /* IF [NOT] EXISTS found nothing to do: the NOTICE */
	/* ADD CONSTRAINT ... FOREIGN KEY (fkey_add, with validate_sql: a
	 * SELECT of a referencing value its parent lacks) or DROP CONSTRAINT of
	 * one (fkey_drop: its id); the catalog only (leader/lead_fkey.c) */
	struct cat_fkey *fkey_add;
	const char *validate_sql;
	uint32_t fkey_drop;
	/* DROP COLUMN ... CASCADE of a column views use (sql/plan_alter_views.c):
	 * the ids of those views, dropped with the views reading them once the
	 * column is (leader/lead_ddl.c), and PostgreSQL's NOTICE (and DETAIL,
	 * NULL when none) saying so */
	uint32_t *drop_views;
	int ndrop_views;
	const char *cascade_notice, *cascade_detail;
	/* RENAME [COLUMN] of what views name: their new texts (leader/lead_ddl.c) */
	sql_view_texts renamed;
} plan_alter;

typedef struct plan_create_table {
	cat_table *def; /* new table, id 0, shards NULL: the leader assigns them */
	int if_not_exists;
	const char *shard_ddl;  /* CREATE TABLE main."t" (...) for each placement */
	struct cat_fkey *fkeys; /* its FOREIGN KEYs (table_id 0: the leader fills it in) */
	int nfkeys;
	/* its UNIQUE constraints' indexes, as the catalog records them (table_id
	 * 0: the leader fills it in); shard_ddl builds them by these names */
	struct cat_index *uniques;
	int nuniques;
} plan_create_table;

typedef struct plan_drop_table {
	int ntables;
	char names[16][64];
	char schemas[16][64]; /* each name's schema (the search path's answer) */
	int if_exists;
} plan_drop_table;

typedef struct plan_index {
	const cat_table *table; /* CREATE INDEX: the indexed table; DROP INDEX: NULL */
	char index_name[64];
	const char *index_schema; /* DROP INDEX: the schema holding it (NULL: none does) */
	int if_not_exists;        /* or if_exists for DROP */
	const char *shard_ddl;    /* CREATE [UNIQUE] INDEX ... ON main."t"(...) / DROP INDEX ... */
	/* ALTER TABLE ADD PRIMARY KEY / UNIQUE (tag ALTER TABLE): undo_ddl drops
	 * the index from every placement when a placement failed to build it
	 * (23505: duplicates); npk > 0: pk_cols become the table's primary key
	 * in the catalog once every placement has it.  NULL / 0 otherwise. */
	const char *undo_ddl;
	int npk;
	const int *pk_cols;
	/* CREATE INDEX / ADD UNIQUE: what the catalog records once every copy
	 * built it (catalog_index.c); NULL for a primary key and DROP INDEX */
	const cat_index *def;
} plan_index;

typedef struct plan_copy {
	const cat_table *table;
	int ncols;
	int cols[CAT_COLUMNS_MAX]; /* table column index of each COPY field */
	int csv;                   /* FORMAT csv (else text) */
	int binary;                /* FORMAT binary: pgwire turns it into text lines */
	char delimiter;            /* '\t' text, ',' csv */
	char quote;                /* csv */
	int header;                /* csv HEADER */
	char null_string[16];      /* "\\N" text, "" csv */
	const char *shard_sql;     /* INSERT INTO main."t" (all columns) VALUES (?1,...) */
	const char **fill_seq;     /* as plan_insert's: unlisted sequence columns, per row */
	/* COPY TO: the rows (a SELECT of the table's columns, or the query);
	 * CSV's ESCAPE and FORCE_QUOTE (output columns always quoted:
	 * force_quote[i] for column i of query->out; NULL: none). */
	plan *query;
	char escape;
	uint8_t *force_quote;
} plan_copy;

/* What a PLAN_PORTAL statement does (sql/plan_portal.c); the protocol
 * layer carries it out on its portals and prepared statements. */
typedef enum plan_portal_verb {
	PLAN_PORTAL_DECLARE = 1,
	PLAN_PORTAL_FETCH,
	PLAN_PORTAL_MOVE,
	PLAN_PORTAL_CLOSE,
	PLAN_PORTAL_PREPARE,
	PLAN_PORTAL_EXECUTE,
	PLAN_PORTAL_DEALLOCATE,
} plan_portal_verb;

typedef struct plan_portal {
	plan_portal_verb verb;
	char name[64];   /* cursor or statement; "" with all */
	int all;         /* CLOSE ALL, DEALLOCATE ALL */
	int64_t count;   /* FETCH / MOVE: rows forward (INT64_MAX: ALL) */
	const char *sql; /* DECLARE: the query; PREPARE: the statement */
	int nparams;     /* PREPARE name (types): the types given */
	mur_type *param_types;
	int nargs;         /* EXECUTE name (args): constants as text */
	const char **args; /* NULL entry: SQL NULL */
} plan_portal;

/* ANALYZE: per table, one QUERY task per shard running shard_sql, which
 * returns one row: count(*), then the distinct estimate of each column
 * cols[k] (mur_approx_count_distinct, one scan).  The executor stores the
 * results with cat_table_set_stats (looking the table up by table_id: it
 * may be dropped meanwhile). */
typedef struct plan_analyze_table {
	const cat_table *table;
	uint32_t table_id;
	int ncols;
	const int *cols;
	const char *shard_sql;
} plan_analyze_table;

typedef struct plan_analyze {
	int ntables; /* every distributed table when the statement names none */
	plan_analyze_table *tables;
} plan_analyze;

/* CREATE SEQUENCE (def, checked by the catalog) or DROP SEQUENCE (names);
 * missing_ok: IF NOT EXISTS / IF EXISTS. */
typedef struct plan_sequence {
	int drop;
	int missing_ok;
	cat_sequence def;
	int nnames;
	char (*names)[CAT_NAME_MAX];
	char (*schemas)[CAT_NAME_MAX]; /* DROP: each name's schema */
} plan_sequence;

/* CREATE [OR REPLACE] VIEW (def: name, SELECT text, columns, the
 * relations it reads; checked again by the catalog) or DROP VIEW (names;
 * missing_ok: IF EXISTS; cascade: CASCADE).  plan_view.c. */
typedef struct plan_view {
	int drop;
	int replace;
	int missing_ok;
	int cascade;
	cat_view def;
	int nnames;
	char (*names)[CAT_NAME_MAX];
	char (*schemas)[CAT_NAME_MAX]; /* DROP: each name's schema */
	/* ALTER VIEW ... RENAME (sql/plan_view_rename.c): def is the view as
	 * it will be (its id, new name or column name: rename_col, -1 for
	 * none), renamed the readers' new texts; noop_notice: IF EXISTS of
	 * none (nothing else is set) */
	int rename;
	int rename_col;
	sql_view_texts renamed;
	const char *noop_notice;
} plan_view;

/* CREATE SCHEMA (names[0]), DROP SCHEMA (names) or ALTER TABLE ... SET
 * SCHEMA names[0] (set_table); missing_ok: IF NOT EXISTS / IF EXISTS.
 * plan_schema.c. */
typedef struct plan_schema {
	int drop;
	int missing_ok;
	int nnames;
	char (*names)[CAT_NAME_MAX];
	/* DROP SCHEMA ... CASCADE: the tables of those schemas when planned,
	 * dropped (placements first) before the schemas (lead_ddl.c) */
	int cascade;
	int ntables;
	uint32_t *table_ids;
	/* ALTER TABLE ... SET SCHEMA names[0]: the table (catalog only) */
	const cat_table *set_table;
} plan_schema;

typedef struct plan_set {
	char name[64];   /* lower-case, e.g. "client_encoding", "murphy.write_quorum" */
	char value[256]; /* empty with is_default */
	int is_default;  /* SET x TO DEFAULT / RESET x */
	int is_local;
	int is_system; /* ALTER SYSTEM SET / RESET: the cluster's setting */
	/* BEGIN / SET TRANSACTION: 1 READ ONLY, -1 READ WRITE, 0 not said (the
	 * block's transaction_read_only, enforced by the leader) */
	int read_only;
} plan_set;

/* CREATE / ALTER / DROP ROLE (plan_role.c): the change the catalog
 * makes (cat_role_change_apply). */
typedef cat_role_change plan_role;

/* A subquery run once before its statement (sql/plan_subq.c,
 * leader/lead_subq.c): its result binds parameter ?param of the
 * statement's SQL (scalar: the value, NULL without a row, 21000 past one;
 * set: its distinct values as one blob, at most PLAN_SUB_SET_BYTES_MAX;
 * exists: a boolean), or (rows) fills the leader table table, which the
 * statement's leader SQL reads.  The list is in order of dependence: a
 * subquery's own subqueries come before it. */
typedef enum plan_sub_kind {
	PLAN_SUB_SCALAR,
	PLAN_SUB_SET,
	PLAN_SUB_EXISTS,
	PLAN_SUB_ROWS,
} plan_sub_kind;
/* The blob of a set: it travels in every shard task of the statement and
 * each follower hashes it once per statement; a bigger IN list is better
 * run as a join (docs/decisions.md). */
#define PLAN_SUB_SET_BYTES_MAX ((size_t)16 << 20)
/* Rows a subquery in FROM, a WITH query or a set operation's branch may
 * bring to the leader: it holds them in its in-memory SQLite. */
#define PLAN_SUB_ROWS_MAX ((uint64_t)10 * 1000 * 1000)

typedef struct plan_sub {
	plan_sub_kind kind;
	plan *p;           /* PLAN_SELECT or PLAN_LEADER_SELECT */
	int param;         /* scalar / set / exists: 1-based */
	const char *table; /* rows: "murphy__sub<k>" */
	int semijoin;      /* set: a correlated EXISTS's keys (for EXPLAIN) */
	/* rows: also bound to ?param as one blob (its rows, mur_row encoding,
	 * at most PLAN_SUB_SET_BYTES_MAX) that the shard SQL reads with
	 * mur_subq_rows(?param, ncols) (parser/analyze_ship.c) */
	int ship;
} plan_sub;

struct plan {
	plan_kind kind;
	const char *tag; /* CommandComplete tag base: "SELECT", "INSERT", "CREATE TABLE" ... */
	int nparams;
	mur_type param_types[PLAN_PARAMS_MAX]; /* inferred or given; MT_TEXT when unknowable */
	int nout;                              /* result columns (0: none) */
	plan_column *out;
	const char *leader_sql; /* PLAN_LEADER_SELECT */
	int reads_shard_rows;   /* PLAN_LEADER_SELECT reads murphy.shards, whose rows
				       column the leader counts on the followers first */
	int nsubs;              /* subqueries run first (plan_sub) */
	plan_sub *subs;
	int nparams_all;        /* nparams + the subqueries' parameters (0 without subs) */
	const char *setop_desc; /* PLAN_LEADER_SELECT of a set operation: for EXPLAIN */
	int uses_xact_now;      /* holds sql_options.xact_now_us: stale in another transaction */
	int uses_stmt_now;      /* holds sql_options.stmt_now_us: stale in another statement */
	union {
		plan_select select;
		plan_insert insert;
		plan_modify modify;
		plan_create_table create_table;
		plan_drop_table drop_table;
		plan_index index;
		plan_copy copy;
		struct {
			struct plan *query; /* SELECT t.* FROM t LIMIT 0 (same arena) */
		} lock;
		plan_set set;
		plan_analyze analyze;
		plan_truncate truncate;
		plan_alter alter;
		plan_sequence sequence;
		plan_view view;
		plan_schema schema;
		plan_role role;
		cat_grant_change grant;
		cat_comment comment; /* text in the plan's arena */
		plan_portal portal;
		struct {
			char name[64]; /* as given (PostgreSQL folds it like any identifier) */
		} savepoint;
		struct {
			plan *inner;
			int analyze;
		} explain;
	} u;
	void *arena; /* owned; everything above lives in it */
};

void plan_free(plan *p);

/* ON CONFLICT DO UPDATE (pi->nconflict > 0): MUR_OK when no two of the
 * nrows encoded rows (table column order, coerced) share a conflict key
 * without a NULL in it; else 21000 in err, as PostgreSQL's "cannot affect
 * row a second time" (dml_keys.c). */
int sql_upsert_check_keys(const plan_insert *pi, const mur_buf *rows, uint64_t nrows,
			  mur_error *err);

/* 1 when every row pi inserts is computed on the leader (VALUES: constants,
 * parameters, leader-folded functions and defaults; not INSERT ... SELECT)
 * with nothing but the row count to answer (no RETURNING, no ON CONFLICT),
 * into a table where such a row cannot fail (cat_table_insert_cannot_fail):
 * a block may answer it at once and send it with its COMMIT
 * (repl_write_facts.blind; dml_keys.c). */
int sql_insert_blind(const catalog *c, const plan_insert *pi);

/* UPDATE ... FROM / DELETE ... USING (pm->source set): the source's nrows
 * rows (pm->ncols values each) appended to batches[shard] by the shard of
 * their key, only the first row of each key; counts[shard] counts them.
 * batches and counts have pm->table->nshards entries.  MUR_ERR: err says
 * why (the batches are then partly filled). */
int sql_modify_route(const plan_modify *pm, const char *rows, size_t rows_len, uint64_t nrows,
		     mur_buf *batches, uint64_t *counts, mur_error *err);

/* 1 when running p writes data or the catalog (what a READ ONLY
 * transaction refuses with 25006): INSERT, UPDATE, DELETE, TRUNCATE, COPY
 * FROM, DDL, roles and grants, EXPLAIN ANALYZE of one of them. */
int sql_plan_writes(const plan *p);
/* 1 when running p may write the rows of table table_id (0: of any
 * table): INSERT, UPDATE, DELETE, COPY FROM, TRUNCATE of it; any DDL (a
 * waiting writer's question: leader/lead_ddltxn.c). */
int sql_plan_writes_table(const plan *p, uint32_t table_id);

/* 1 when p reads its subqueries run first only through the parameters
 * they bind (scalar, set, EXISTS values; no leader table of rows): with
 * them bound, p is the same statement without subqueries (a cursor's
 * later batches: leader/lead_stream.c). */
int sql_plan_subs_bound(const plan *p);

#endif
