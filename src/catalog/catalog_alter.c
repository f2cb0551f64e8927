/*
 * catalog_alter.c — a table's new shape after ALTER TABLE (sql/plan_alter.c),
 * taken at the moment its transaction commits, also across a leader crash.
 *
 * The shards change shape through DDL entries of their logs, in one
 * transaction (leader/lead_ddl.c); the catalog's shape must change with
 * that transaction's outcome, neither before nor without it:
 *
 *   1. cat_alter_intent_put(table, txid, def)   durable before any DDL
 *      entry is sent: "if txid commits, table has shape def"
 *   2. the shards log their entries; txid commits (its decision durable:
 *      the decision log / txn_outcomes) or aborts (undone on every copy)
 *   3. cat_table_reshape(table, def)   after the commit: the shape taken
 *      and the intent dropped in one store transaction; after an abort
 *      cat_alter_intent_drop
 *
 * A leader that stops between 1 and 3 finds the intent at open
 * (cat_alter_resolve, after the decision log was replayed): txid recorded
 * as committed → the shape is taken (the restarted leader completes the
 * transaction's markers, so every shard has the new shape too); no
 * committed outcome → dropped (the transaction never committed, and the
 * restarted leader undoes its entries: every shard keeps the old shape).
 * The transaction is never a parallel commit (lead_txn.c), so its
 * commit is exactly a recorded decision.
 *
 * A reshape keeps the table's id, shards and placements; it replaces the
 * name, the columns, the CHECK constraints and the distribution column's index, and forgets the
 * per-column statistics when columns moved (ANALYZE measures them again).
 */
#include "catalog/catalog_int.h"

#include "common/log.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int cat_alter_intent_put(catalog *c, uint32_t table_id, uint64_t txid, const cat_table *def,
			 mur_error *err)
{
	if (!cat_table_by_id(c, table_id))
		return mur_error_set(err, SQLSTATE_UNDEFINED_TABLE, "table %u does not exist",
				     table_id);
	return c->store ? cat_store_put_alter_intent(c, table_id, txid, def, err) : MUR_OK;
}

int cat_alter_intent_drop(catalog *c, uint32_t table_id, mur_error *err)
{
	return c->store ? cat_store_drop_alter_intent(c, table_id, err) : MUR_OK;
}

/* Did the columns move (added, dropped)?  Then per-column stats go. */
static int columns_moved(const cat_table *t, const cat_table *def)
{
	if (t->ncols != def->ncols)
		return 1;
	for (int i = 0; i < t->ncols; i++)
		if (t->cols[i].type != def->cols[i].type)
			return 1;
	return 0;
}

/* t takes def's name, columns, checks and dist_col (default_sql copied). */
static int take_shape(cat_table *t, const cat_table *def, int moved)
{
	cat_column cols[CAT_COLUMNS_MAX];
	for (int i = 0; i < def->ncols; i++) {
		cols[i] = def->cols[i];
		cols[i].default_sql = NULL;
		if (def->cols[i].default_sql &&
		    !(cols[i].default_sql = strdup(def->cols[i].default_sql))) {
			while (i--)
				free(cols[i].default_sql);
			return MUR_ENOMEM;
		}
	}
	for (int i = 0; i < t->ncols; i++)
		free(t->cols[i].default_sql);
	memcpy(t->cols, cols, sizeof cols[0] * (size_t)def->ncols);
	if (def->ncols < t->ncols) /* no stale column past the end */
		memset(&t->cols[def->ncols], 0, sizeof cols[0] * (size_t)(t->ncols - def->ncols));
	t->ncols = def->ncols;
	t->dist_col = def->dist_col;
	t->nchecks = def->nchecks;
	memcpy(t->checks, def->checks, sizeof t->checks[0] * (size_t)def->nchecks);
	snprintf(t->name, sizeof t->name, "%s", def->name);
	if (moved)
		cat_stats_free(t);
	return MUR_OK;
}

int cat_table_reshape(catalog *c, uint32_t table_id, const cat_table *def, mur_error *err)
{
	cat_table *t = cat_table_by_id(c, table_id);
	int moved;
	if (!t || t->kind != CAT_TABLE_DISTRIBUTED)
		return mur_error_set(err, SQLSTATE_UNDEFINED_TABLE, "table %u does not exist",
				     table_id);
	moved = columns_moved(t, def);
	if (c->store && cat_store_put_shape(c, table_id, def, moved, err) != MUR_OK)
		return MUR_ERR;
	if (cat_index_rename_columns(c, t, def, err) != MUR_OK ||
	    cat_comments_rename_columns(c, t, def, err) != MUR_OK ||
	    cat_comments_drop_missing(c, table_id, def, err) != MUR_OK)
		return MUR_ERR;
	if (take_shape(t, def, moved) != MUR_OK)
		return mur_error_set(err, SQLSTATE_OUT_OF_MEMORY, "out of memory");
	cat_comments_prune_constraints(c); /* a dropped CHECK's */
	c->version++;
	return MUR_OK;
}

typedef struct resolve_ctx {
	catalog *c;
	mur_error *err;
} resolve_ctx;

static int resolve_one(void *arg, uint32_t table_id, uint64_t txid, const char *name, int dist_col)
{
	resolve_ctx *rc = arg;
	char outcome[32];
	cat_table *def;
	int ok;
	if (!cat_txn_outcome_get(rc->c, txid, outcome, sizeof outcome) ||
	    strcmp(outcome, "committed") != 0 || !cat_table_by_id(rc->c, table_id)) {
		MLOG(INFO, "catalog",
		     "ALTER TABLE of table %u (transaction %llu) never committed: "
		     "its intent is dropped",
		     table_id, (unsigned long long)txid);
		return cat_store_drop_alter_intent(rc->c, table_id, rc->err);
	}
	if (!(def = calloc(1, sizeof *def)))
		return mur_error_set(rc->err, SQLSTATE_OUT_OF_MEMORY, "out of memory");
	*def = *cat_table_by_id(rc->c, table_id);
	snprintf(def->name, sizeof def->name, "%s", name);
	def->dist_col = dist_col;
	ok = cat_store_load_columns(rc->c, CAT_ALTER_COLUMNS_ID(table_id), def) == MUR_OK &&
	     def->ncols > 0 && dist_col < def->ncols;
	if (ok) {
		MLOG(INFO, "catalog",
		     "ALTER TABLE of table %u (transaction %llu) committed: "
		     "the catalog takes its shape",
		     table_id, (unsigned long long)txid);
		ok = cat_table_reshape(rc->c, table_id, def, rc->err) == MUR_OK;
	} else {
		mur_error_set(rc->err, SQLSTATE_IO_ERROR,
			      "catalog store: ALTER TABLE intent of table %u unreadable", table_id);
	}
	for (int i = 0; i < def->ncols; i++)
		free(def->cols[i].default_sql);
	free(def);
	return ok ? MUR_OK : MUR_ERR;
}

int cat_alter_resolve(catalog *c, mur_error *err)
{
	resolve_ctx rc = {c, err};
	if (!c->store)
		return MUR_OK;
	return cat_store_each_alter_intent(c, resolve_one, &rc);
}
