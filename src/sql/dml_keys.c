/*
 * dml_keys.c — the leader's work on keys of routed rows: INSERT ... ON
 * CONFLICT DO UPDATE's 21000 check, and the routing of UPDATE ... FROM /
 * DELETE ... USING rows (one per target key) to their shards.
 *
 * ON CONFLICT DO UPDATE: two proposed rows with one conflict key are
 * 21000, as in PostgreSQL.
 *
 * PostgreSQL refuses a statement that would update a row it inserted or
 * updated itself ("cannot affect row a second time").  SQLite's UPSERT on
 * a shard would instead apply both rows one after the other, so the leader
 * checks each shard's batch before sending it: the conflict target holds
 * the distribution column (plan_dml.c), so equal keys land in one batch.
 * Keys are compared as encoded after coercion to the column types (equal
 * values of one type encode alike); a key with a NULL never conflicts.
 * Stricter than PostgreSQL in one corner: a first row whose DO UPDATE WHERE
 * was false left its row untouched, and PostgreSQL then lets a second row
 * with the key update it; murphy refuses the pair.
 *
 * Cost: one pass decoding the batch, a sort of its keys (n log n).
 *
 * A blind INSERT (sql_insert_blind): rows the leader computed whole, into
 * a table with no key, CHECK or foreign key of its own, cannot fail on a
 * copy, so a block's is answered before any copy runs it.
 *
 * UPDATE ... FROM: a target row matched by several rows of the other
 * tables is changed once in PostgreSQL (by one of the matches), so only the
 * first source row of each key is sent (plan_dml.c says why the shard
 * statement needs the row at all).
 */
#include "sql/sqlInt.h"

#include <stdlib.h>
#include <string.h>

typedef struct key_ref {
	size_t off, len; /* into base */
	const char *base;
	uint64_t row; /* the row's position: ties keep the first */
} key_ref;

static int key_cmp(const void *a, const void *b)
{
	const key_ref *x = a, *y = b;
	if (x->len != y->len)
		return x->len < y->len ? -1 : 1;
	return memcmp(x->base + x->off, y->base + y->off, x->len);
}

static int key_row_cmp(const void *a, const void *b)
{
	const key_ref *x = a, *y = b;
	int k = key_cmp(a, b);
	return k ? k : (x->row < y->row ? -1 : x->row > y->row);
}

/* Row's conflict key appended to keys; 0 when it holds a NULL (or the row
 * is malformed: then -1). */
static int row_key(const plan_insert *pi, mur_rd *rd, mur_buf *keys)
{
	mur_value v[CAT_COLUMNS_MAX];
	int has_null = 0;
	for (int c = 0; c < pi->table->ncols; c++)
		if (mur_row_get_value(rd, &v[c]) != MUR_OK)
			return -1;
	for (int i = 0; i < pi->nconflict; i++) {
		has_null |= v[pi->conflict_cols[i]].kind == MV_NULL;
		mur_row_put_value(keys, &v[pi->conflict_cols[i]]);
	}
	return !has_null;
}

static int dup_error(mur_error *err)
{
	mur_error_set(err, "21000",
		      "ON CONFLICT DO UPDATE command cannot affect row a second time");
	mur_error_hint(err, "Ensure that no rows proposed for insertion within the same command "
			    "have duplicate constrained values.");
	return MUR_ERR;
}

int sql_upsert_check_keys(const plan_insert *pi, const mur_buf *rows, uint64_t nrows,
			  mur_error *err)
{
	key_ref *refs;
	mur_buf keys;
	mur_rd rd;
	size_t n = 0;
	int rc = MUR_OK;
	if (!pi->nconflict || pi->on_conflict_nothing || nrows < 2)
		return MUR_OK;
	if (!(refs = malloc(sizeof *refs * nrows)))
		return mur_error_set(err, SQLSTATE_OUT_OF_MEMORY, "out of memory");
	mur_buf_init(&keys);
	mur_rd_init(&rd, rows->data, rows->len);
	for (uint64_t r = 0; r < nrows && rc == MUR_OK; r++) {
		size_t start = keys.len;
		int k = row_key(pi, &rd, &keys);
		if (k < 0)
			rc = mur_error_set(err, SQLSTATE_INTERNAL_ERROR, "malformed INSERT rows");
		else if (k)
			refs[n++] = (key_ref){start, keys.len - start, NULL, r};
	}
	if (rc == MUR_OK && !mur_buf_ok(&keys))
		rc = mur_error_set(err, SQLSTATE_OUT_OF_MEMORY, "out of memory");
	for (size_t i = 0; i < n && rc == MUR_OK; i++)
		refs[i].base = keys.data; /* keys may have moved while it grew */
	if (rc == MUR_OK)
		qsort(refs, n, sizeof *refs, key_cmp);
	for (size_t i = 1; i < n && rc == MUR_OK; i++)
		if (!key_cmp(&refs[i - 1], &refs[i]))
			rc = dup_error(err);
	free(refs);
	mur_buf_free(&keys);
	return rc;
}

/* One source row: its key's bytes (ref), its extent [*start, rd->off) and
 * its distribution value (*dist). */
static int source_row(const plan_modify *pm, mur_rd *rd, key_ref *ref, size_t *start,
		      mur_value *dist, mur_error *err)
{
	mur_value v;
	*start = rd->off;
	for (uint32_t c = 0; c < pm->ncols; c++) {
		if (mur_row_get_value(rd, &v) != MUR_OK)
			return mur_error_set(err, SQLSTATE_INTERNAL_ERROR,
					     "malformed UPDATE ... FROM rows");
		if ((int)c == pm->dist_key)
			*dist = v;
		if ((int)c + 1 == pm->nkey)
			ref->len = rd->off - *start;
	}
	ref->off = *start;
	return MUR_OK;
}

static int route_row(const plan_modify *pm, const char *row, size_t len, const mur_value *dist,
		     mur_buf *batches, uint64_t *counts, mur_error *err)
{
	const cat_table *t = pm->table;
	uint32_t shard = 0;
	if (pm->dist_key >= 0 && dist->kind != MV_NULL) {
		mur_buf scratch;
		mur_value cv;
		int rc;
		mur_buf_init(&scratch);
		rc = mur_value_coerce(t->cols[t->dist_col].type, dist, &scratch, &cv, err);
		if (rc == MUR_OK)
			shard = cat_shard_for_value(t, &cv);
		mur_buf_free(&scratch);
		if (rc != MUR_OK)
			return MUR_ERR;
	}
	mur_buf_put(&batches[shard], row, len);
	counts[shard]++;
	return mur_buf_ok(&batches[shard])
		       ? MUR_OK
		       : mur_error_set(err, SQLSTATE_OUT_OF_MEMORY, "out of memory");
}

int sql_modify_route(const plan_modify *pm, const char *rows, size_t rows_len, uint64_t nrows,
		     mur_buf *batches, uint64_t *counts, mur_error *err)
{
	key_ref *refs = nrows ? malloc(sizeof *refs * nrows) : NULL;
	size_t *ends = nrows ? malloc(sizeof *ends * nrows) : NULL;
	mur_value *dist = nrows ? malloc(sizeof *dist * nrows) : NULL;
	mur_rd rd;
	int rc = MUR_OK;
	if (nrows && (!refs || !ends || !dist))
		rc = mur_error_set(err, SQLSTATE_OUT_OF_MEMORY, "out of memory");
	mur_rd_init(&rd, rows, rows_len);
	for (uint64_t r = 0; r < nrows && rc == MUR_OK; r++) {
		size_t start;
		refs[r] = (key_ref){0, 0, rows, r};
		dist[r] = (mur_value){0};
		rc = source_row(pm, &rd, &refs[r], &start, &dist[r], err);
		ends[r] = rd.off;
	}
	if (rc == MUR_OK)
		qsort(refs, nrows, sizeof *refs, key_row_cmp);
	for (uint64_t i = 0; i < nrows && rc == MUR_OK; i++) {
		uint64_t r = refs[i].row;
		if (i && !key_cmp(&refs[i - 1], &refs[i]))
			continue; /* the key's first row is sent already */
		rc = route_row(pm, rows + refs[i].off, ends[r] - refs[i].off, &dist[r], batches,
			       counts, err);
	}
	free(refs);
	free(ends);
	free(dist);
	return rc;
}

int sql_insert_blind(const catalog *c, const plan_insert *pi)
{
	return !pi->source && (pi->values_sql || pi->values_rows) && pi->nreturning == 0 &&
	       !pi->on_conflict_nothing && pi->nconflict == 0 &&
	       cat_table_insert_cannot_fail(c, pi->table);
}
