/*
 * catalog_int.h — private to src/catalog: the catalog struct and the
 * durable store behind it (catalog_store.c).
 */
#ifndef MUR_CATALOG_INT_H
#define MUR_CATALOG_INT_H

#include "catalog/catalog.h"

#include <sqlite3.h>

/* Distinct statements run() keeps prepared: the store has about a dozen
 * (catalog_store.c) and its sequences; beyond this many the rest are prepared each time. */
#define CAT_STORE_STMTS_MAX 32

/* Slots of table_by_id's memo (catalog.c): a power of two. */
#define CAT_TABLE_MEMO 256

struct catalog {
	int ntables;
	cat_table *tables[CAT_TABLES_MAX]; /* the murphy.* virtual tables count toward the cap */
	/* table_by_id's memo: table id % CAT_TABLE_MEMO → its index in tables[]
	 * when last found; a hint, checked against tables[] at every use (an
	 * add, drop or replace of a table needs no update) */
	uint16_t table_memo[CAT_TABLE_MEMO];
	int nnodes;
	cat_node *nodes[CAT_NODES_MAX];
	uint32_t next_table_id;
	uint32_t next_node_id;
	sqlite3 *store; /* NULL for a memory-only catalog */
	/* run()'s prepared writes, kept: the decision row of every multi-shard
	 * COMMIT was prepared afresh each time */
	struct {
		const char *sql;
		sqlite3_stmt *st;
	} stmts[CAT_STORE_STMTS_MAX];
	int nstmts;
	void (*write_hook)(void *arg); /* cat_set_write_hook */
	void *write_hook_arg;
	int lsn_dirty;
	uint64_t version; /* see cat_version */ /* applied LSNs changed since cat_flush_lsns */
	struct cat_decision_writer *dwriter;    /* its decisions not in txn_outcomes yet are put
						there before any read of it (catalog_decision.c) */
	int nseqs;
	cat_sequence *seqs[CAT_SEQUENCES_MAX]; /* catalog_seq.c */
	uint32_t next_seq_id;
	cat_role *roles; /* catalog_role.c: nroles of them, room for roles_cap */
	int nroles, roles_cap;
	struct cat_grant *grants; /* catalog_role.c: ngrants of them */
	int ngrants, grants_cap;
	/* moves a leader restart interrupted, settled at open (catalog_store.c) */
	cat_move_intent resolved[CAT_MOVES_RESOLVED_MAX];
	int nresolved;
	int nviews;
	cat_view *views[CAT_VIEWS_MAX]; /* catalog_view.c */
	uint32_t next_view_id;
	int nschemas;
	cat_schema schemas[CAT_SCHEMAS_MAX]; /* catalog_schema.c */
	int nindexes;
	cat_index *indexes[CAT_INDEXES_MAX]; /* catalog_index.c */
	uint32_t next_index_id;
	uint32_t next_schema_id;
	struct cat_fkey *fkeys; /* catalog_fkey.c: nfkeys of them, room for fkeys_cap */
	int nfkeys, fkeys_cap;
	uint32_t next_fkey_id;
	int viewing; /* cat_set_viewer */
	uint64_t viewer;
	struct cat_comment *comments; /* catalog_comment.c: ncomments, room for comments_cap */
	int ncomments, comments_cap;
	uint64_t shape_seen; /* a look-up while viewing found a table another open block
				altered or dropped: that block (cat_viewer_blocked_by) */
	uint64_t share_seen; /* ... or built an index on: that block and the table
				(0: several), cat_viewer_share_blocked */
	uint32_t share_seen_table;
};

int cat_insert_loaded_table(catalog *c, cat_table *t);
int cat_store_pending_clear(catalog *c, uint32_t table_id, mur_error *err);

/* catalog_decision.c: put the decisions the log (<file>-decisions) holds
 * into txn_outcomes (synchronous=FULL), at open, before anything reads
 * them.  MUR_OK without a store or a log; 58030 when it cannot be read or
 * written (the catalog must not open without them). */
int cat_decision_log_replay(catalog *c, mur_error *err);
/* Put the decisions the writer logged but did not put in txn_outcomes yet
 * (synchronous=NORMAL): every reader of the table calls it first. */
void cat_decisions_flush(catalog *c);

/* catalog_range.c: range tables' bounds.  cat_range_init copies the lower
 * bounds of a new range table from bounds[] (NULL: one unbounded shard)
 * and builds the range order (22023 when they are not one unbounded shard
 * and strictly increasing values); cat_range_build_order rebuilds the
 * order from the shards' bounds (MUR_ERR when they break the invariants,
 * MUR_ENOMEM); cat_range_free releases the bounds and the order. */
int cat_shard_set_range_min(cat_shard *s, const mur_value *v);
int cat_range_init(cat_table *t, const cat_shard *bounds, mur_error *err);
int cat_range_build_order(cat_table *t);
/* Hash tables: range_order lists the shards by hash_min once a split made
 * their ranges uneven (NULL while catalog.h's arithmetic places values);
 * cat_hash_shard_for looks a hash up either way. */
int cat_hash_build_order(cat_table *t);
uint32_t cat_hash_shard_for(const cat_table *t, uint32_t hash32);
void cat_range_free(cat_table *t);
uint32_t cat_range_shard_for_value(const cat_table *t, const mur_value *v);
int cat_insert_loaded_node(catalog *c, cat_node *n);

/* catalog_seq.c: a sequence loaded from the store (taken over), the
 * sequences table t owns put in memory after its store write, those of a
 * dropped table forgotten, and all of them freed at close. */
int cat_seq_insert_loaded(catalog *c, cat_sequence *s);
/* t's new_seqs checked (names free, options valid) and copied with ids,
 * owner and initial state, malloc'd for the caller (NULL + err on error;
 * NULL without error when there are none). */
cat_sequence *cat_seq_prepare_owned(catalog *c, const cat_table *t, mur_error *err);
int cat_seq_add_owned(catalog *c, const cat_table *t, mur_error *err);
void cat_seq_forget_owned(catalog *c, uint32_t table_id);
void cat_seq_free_all(catalog *c);

/* catalog_store.c: the sequences table (each one transaction); put_seq is
 * also called inside cat_store_put_table's transaction for owned ones. */
int cat_store_put_seq(catalog *c, const cat_sequence *s, mur_error *err);
int cat_store_put_seq_state(catalog *c, uint32_t seq_id, int64_t last_value, int is_called,
			    mur_error *err);
int cat_store_delete_seq(catalog *c, uint32_t seq_id, mur_error *err);

/* catalog_stats.c: one statistic into memory (at load, and by
 * cat_table_set_stats): col -1 is the shard's row count, col >= 0 that
 * column's distinct estimate.  MUR_ENOMEM, or MUR_ERR for a shard or
 * column out of range (a row left by another catalog version: ignored). */
int cat_stats_apply(cat_table *t, uint32_t shard, int col, uint64_t value, int64_t analyzed_ms);
void cat_stats_free(cat_table *t);
/* catalog_blockshape.c: free t's block overlay (the table goes). */
void cat_table_block_shape_free(cat_table *t);
/* Note t in shape_seen when the viewer is not the block that altered it. */
void cat_block_shape_seen(const catalog *c, const cat_table *t);

/* catalog_view.c: load the views table at open; free them at close. */
int cat_views_load(catalog *c, mur_error *err);
void cat_views_free(catalog *c);
/* catalog_index.c: load the indexes table at open; free them at close;
 * forget a dropped table's (its store rows go with the table's). */
/* A catalog file from before index names were per schema: its indexes
 * table again without the UNIQUE name (catalog_index.c). */
int cat_indexes_upgrade(catalog *c, mur_error *err);
int cat_indexes_load(catalog *c, mur_error *err);
void cat_indexes_free(catalog *c);
void cat_indexes_forget_table(catalog *c, uint32_t table_id);

/* catalog_schema.c: load the schemas table at open. */
int cat_schemas_load(catalog *c, mur_error *err);

/* catalog_comment.c: load the comments table at open (after every object
 * it may name: a row whose object is gone is dropped); free them at
 * close; forget (memory and store) those on a dropped object. */
int cat_comments_load(catalog *c, mur_error *err);
void cat_comments_free(catalog *c);
void cat_comments_forget(catalog *c, char kind, uint32_t id);
/* Forget the comments of constraints no longer there (after an ALTER
 * TABLE, a foreign key's or unique index's drop). */
void cat_comments_prune_constraints(catalog *c);
/* ALTER TABLE: column comments follow RENAME COLUMN (old and def the same
 * columns by position, as cat_index_rename_columns), and go with DROP
 * COLUMN (cat_comments_drop_missing: those naming no column of def). */
int cat_comments_rename_columns(catalog *c, const cat_table *old, const cat_table *def,
				mur_error *err);
int cat_comments_drop_missing(catalog *c, uint32_t table_id, const cat_table *def, mur_error *err);

/* catalog_role.c: load the roles table at open; free them at close. */
int cat_roles_load(catalog *c, mur_error *err);
void cat_roles_free(catalog *c);
/* A dropped table's grants, out of memory (cat_store_delete_table removes
 * their rows): a table made later may get its id. */
void cat_grants_forget_table(catalog *c, uint32_t table_id);

/* catalog_store.c: one write (prepared once) with int64 ('i') and text
 * ('s', NULL binds NULL) arguments as fmt lists them. */
int cat_store_run(catalog *c, const char *sql, const char *fmt, mur_error *err, ...);

/* catalog_store.c: open (create schema, load everything into c), close,
 * and one write per mutation, each its own transaction. */
int cat_store_open(catalog *c, const char *path, const char *vfs, mur_error *err);
void cat_store_close(catalog *c);
int cat_store_put_table(catalog *c, const cat_table *t, mur_error *err);
int cat_store_delete_table(catalog *c, uint32_t table_id, mur_error *err);
/* A split (cat_shard_split): tables ts[0..n) get shard added[i] (its
 * placements too), and it and shard `shard` generation added[i].gen; one
 * transaction. */
int cat_store_put_split(catalog *c, cat_table *const *ts, int n, uint32_t shard,
			const cat_shard *added, mur_error *err);
int cat_store_put_primary_key(catalog *c, uint32_t table_id, const int *cols, int ncols,
			      mur_error *err);
/* ALTER TABLE (catalog_alter.c).  An intent's columns are stored as rows of
 * columns under a table id no table has. */
#define CAT_ALTER_COLUMNS_ID(table_id) (-1 - (int64_t)(table_id))
int cat_store_load_columns(catalog *c, int64_t store_id, cat_table *t);
int cat_store_put_alter_intent(catalog *c, uint32_t table_id, uint64_t txid, const cat_table *def,
			       mur_error *err);
int cat_store_drop_alter_intent(catalog *c, uint32_t table_id, mur_error *err);
/* table_id's name, dist_col and columns from def, its intent dropped, and
 * (drop_stats) its per-column statistics, in one transaction. */
int cat_store_put_shape(catalog *c, uint32_t table_id, const cat_table *def, int drop_stats,
			mur_error *err);
typedef int (*cat_alter_intent_fn)(void *arg, uint32_t table_id, uint64_t txid, const char *name,
				   int dist_col);
int cat_store_each_alter_intent(catalog *c, cat_alter_intent_fn fn, void *arg);
/* At open, after the decisions were replayed: each intent applied when its
 * transaction committed, else dropped (catalog_alter.c). */
int cat_alter_resolve(catalog *c, mur_error *err);
int cat_store_put_node(catalog *c, const cat_node *n, mur_error *err);
int cat_store_put_placement(catalog *c, uint32_t table_id, uint32_t shard, uint32_t node_id,
			    int role, uint64_t lsn, mur_error *err);
int cat_store_delete_placement(catalog *c, uint32_t table_id, uint32_t shard, uint32_t node_id,
			       mur_error *err);
/* One analysis (cat_table_set_stats): its rows in the stats table. */
int cat_store_put_stats(catalog *c, uint32_t table_id, const cat_analysis *a, mur_error *err);
void cat_store_put_shard_rows(catalog *c, uint32_t table_id, uint32_t shard, uint64_t rows);
void cat_store_put_placement_lsn(catalog *c, uint32_t table_id, uint32_t shard, uint32_t node_id,
				 uint64_t lsn);

#endif
