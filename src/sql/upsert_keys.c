/*
 * upsert_keys.c — INSERT ... ON CONFLICT DO UPDATE: two proposed rows with
 * one conflict key are 21000, as in PostgreSQL.
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
 */
#include "sql/sqlInt.h"

#include <stdlib.h>
#include <string.h>

typedef struct key_ref {
	size_t off, len; /* into the keys buffer */
	const char *base;
} key_ref;

static int key_cmp(const void *a, const void *b)
{
	const key_ref *x = a, *y = b;
	if (x->len != y->len)
		return x->len < y->len ? -1 : 1;
	return memcmp(x->base + x->off, y->base + y->off, x->len);
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
	if (!pi->nconflict || nrows < 2)
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
			refs[n++] = (key_ref){start, keys.len - start, NULL};
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
