/*
 * catalog_stats.c — shard statistics: what ANALYZE measured, for the cost
 * model (leader/lead_shuffle.c) and murphy.stats.
 *
 * Per shard: the row count ANALYZE counted (cat_shard.analyzed_rows; it
 * also resets the moving estimate cat_shard.rows) and, per column, the
 * distinct estimate (cat_shard.distinct, ncols entries, allocated at the
 * first statistic).  Per table and column: when they were last measured
 * (cat_table.analyzed_ms, col_analyzed_ms).
 *
 * Durable in the store's stats table (catalog_store.c), one row per shard
 * and column, col -1 being the row count:
 *
 *   cat_table_set_stats ──cat_store_put_stats (one transaction)──>
 *       cat_stats_apply for every value        (memory, after the store)
 *   cat_open ──load──> cat_stats_apply for every stored row
 *
 * A table's statistics go with it (cat_store_delete_table, table_free).
 * A shard appended later (a range split) has none until the next ANALYZE.
 */
#include "catalog/catalog_int.h"

#include <stdlib.h>
#include <string.h>

/* The per-column arrays of t and of shard s, allocated zeroed on first use. */
static int ensure_arrays(cat_table *t, cat_shard *s)
{
	if (!t->col_analyzed_ms &&
	    !(t->col_analyzed_ms = calloc((size_t)t->ncols + 1, sizeof *t->col_analyzed_ms)))
		return MUR_ENOMEM;
	if (!s->distinct && !(s->distinct = calloc((size_t)t->ncols + 1, sizeof *s->distinct)))
		return MUR_ENOMEM;
	return MUR_OK;
}

int cat_stats_apply(cat_table *t, uint32_t shard, int col, uint64_t value, int64_t analyzed_ms)
{
	cat_shard *s;
	if (shard >= t->nshards || col < -1 || col >= t->ncols)
		return MUR_ERR;
	s = &t->shards[shard];
	if (analyzed_ms > t->analyzed_ms)
		t->analyzed_ms = analyzed_ms;
	if (col < 0) {
		s->analyzed_rows = value;
		s->rows = value;
		return MUR_OK;
	}
	if (ensure_arrays(t, s) != MUR_OK)
		return MUR_ENOMEM;
	s->distinct[col] = value;
	if (analyzed_ms > t->col_analyzed_ms[col])
		t->col_analyzed_ms[col] = analyzed_ms;
	return MUR_OK;
}

void cat_stats_free(cat_table *t)
{
	for (uint32_t i = 0; t->shards && i < t->nshards; i++) {
		free(t->shards[i].distinct);
		t->shards[i].distinct = NULL;
	}
	free(t->col_analyzed_ms);
	t->col_analyzed_ms = NULL;
}

int cat_table_set_stats(catalog *c, uint32_t table_id, const cat_analysis *a, mur_error *err)
{
	cat_table *t = cat_table_by_id(c, table_id);
	if (!t || t->kind != CAT_TABLE_DISTRIBUTED)
		return mur_error_set(err, SQLSTATE_UNDEFINED_TABLE, "table %u does not exist",
				     table_id);
	if (a->nshards != t->nshards)
		return mur_error_set(err, SQLSTATE_OBJECT_IN_USE,
				     "table \"%s\" has %u shards now, not %u: analyze it again",
				     t->name, t->nshards, a->nshards);
	for (int k = 0; k < a->ncols; k++)
		if (a->cols[k] < 0 || a->cols[k] >= t->ncols)
			return mur_error_set(err, SQLSTATE_INVALID_PARAMETER_VALUE,
					     "table \"%s\" has no column %d", t->name, a->cols[k]);
	/* memory cannot fail half-way once the store has the rows */
	for (uint32_t i = 0; i < t->nshards && a->ncols; i++)
		if (ensure_arrays(t, &t->shards[i]) != MUR_OK)
			return mur_error_set(err, SQLSTATE_OUT_OF_MEMORY, "out of memory");
	if (c->store && cat_store_put_stats(c, table_id, a, err) != MUR_OK)
		return MUR_ERR;
	for (uint32_t i = 0; i < t->nshards; i++) {
		cat_stats_apply(t, i, -1, a->rows[i], a->analyzed_ms);
		for (int k = 0; k < a->ncols; k++)
			cat_stats_apply(t, i, a->cols[k],
					a->distinct[(size_t)i * (size_t)a->ncols + (size_t)k],
					a->analyzed_ms);
	}
	return MUR_OK;
}

uint64_t cat_shard_distinct(const cat_table *t, uint32_t shard, int col)
{
	if (shard >= t->nshards || col < 0 || col >= t->ncols || !t->shards[shard].distinct ||
	    t->shape_of) /* a block's view: its columns are not the measured ones */
		return 0;
	return t->shards[shard].distinct[col];
}

int64_t cat_table_analyzed_ms(const cat_table *t) { return t->analyzed_ms; }

int64_t cat_column_analyzed_ms(const cat_table *t, int col)
{
	if (col < 0 || col >= t->ncols || !t->col_analyzed_ms)
		return 0;
	return t->col_analyzed_ms[col];
}
