/*
 * shuffle_part.c — owner choice and row splitting for a repartition
 * (contract in shuffle_part.h).
 *
 * One pass over the rows: remember where a row starts, decode its values
 * (hashing the first hash_cols), and copy the row's bytes unchanged to its
 * owner's buffer.
 */
#include "ops/shuffle_part.h"

#include "common/valkey.h"

#include <string.h>
#include <xxhash.h>

#define HASH_VALUES_MAX 64

/* splitmix64's finalizer: every input bit reaches every output bit. */
static uint64_t mix(uint64_t x)
{
	x ^= x >> 30;
	x *= 0xbf58476d1ce4e5b9ull;
	x ^= x >> 27;
	x *= 0x94d049bb133111ebull;
	x ^= x >> 31;
	return x;
}

static uint32_t owner_of_hash(uint64_t h, uint32_t nparts)
{
	return (uint32_t)(((mix(h) >> 32) * (uint64_t)nparts) >> 32);
}

static uint64_t combine(uint64_t acc, uint64_t h)
{
	return (acc ^ h) * 0x9e3779b97f4a7c15ull + (acc >> 29);
}

/* Column c's hash: a by-value column's (keys) by its canonical bytes. */
static uint64_t value_hash(const mur_value *v, uint32_t c, const exec_key_cols *keys,
			   mur_buf *canon)
{
	mur_key_kind kind = exec_key_kind(keys, c);
	if (kind == MUR_KEY_BYTES || (v->kind != MV_TEXT && v->kind != MV_INT))
		return mur_value_hash(v);
	mur_buf_reset(canon);
	mur_key_canon(kind, v, canon);
	return XXH64(canon->data ? canon->data : "", canon->len, 0);
}

uint32_t exec_shuffle_part_of(const mur_value *vals, uint32_t hash_cols, const exec_key_cols *keys,
			      uint32_t nparts)
{
	uint64_t h = 0x51afd7ed558ccd5dull;
	mur_buf canon;
	mur_buf_init(&canon);
	for (uint32_t i = 0; i < hash_cols; i++)
		h = combine(h, value_hash(&vals[i], i, keys, &canon));
	mur_buf_free(&canon);
	return owner_of_hash(h, nparts);
}

int exec_shuffle_partition(const char *rows, size_t len, uint64_t nrows, uint32_t ncols,
			   uint32_t hash_cols, const exec_key_cols *keys, uint32_t nparts,
			   mur_buf *parts, uint64_t *part_rows, mur_error *err)
{
	mur_rd r;
	mur_value v;
	mur_buf canon;
	int rc = MUR_OK;

	if (nparts == 0 || hash_cols > ncols) {
		mur_error_set(err, SQLSTATE_INTERNAL_ERROR,
			      "shuffle of %u columns by %u into %u parts", ncols, hash_cols,
			      nparts);
		return MUR_EPROTO;
	}
	mur_rd_init(&r, rows, len);
	mur_buf_init(&canon);
	for (uint64_t i = 0; i < nrows; i++) {
		size_t start = len - mur_rd_left(&r);
		uint64_t h = 0x51afd7ed558ccd5dull;
		uint32_t p;
		for (uint32_t c = 0; c < ncols; c++) {
			if (mur_row_get_value(&r, &v) != MUR_OK)
				goto malformed;
			if (c < hash_cols)
				h = combine(h, value_hash(&v, c, keys, &canon));
		}
		p = owner_of_hash(h, nparts);
		mur_buf_put(&parts[p], rows + start, (len - mur_rd_left(&r)) - start);
		part_rows[p]++;
	}
	if (mur_rd_left(&r) != 0)
		goto malformed;
	for (uint32_t p = 0; p < nparts && rc == MUR_OK; p++)
		if (!mur_buf_ok(&parts[p])) {
			mur_error_set(err, SQLSTATE_OUT_OF_MEMORY, "out of memory splitting rows");
			rc = MUR_ENOMEM;
		}
	mur_buf_free(&canon);
	return rc;
malformed:
	mur_buf_free(&canon);
	mur_error_set(err, SQLSTATE_PROTOCOL_VIOLATION, "malformed rows in a shuffle");
	return MUR_EPROTO;
}
