/*
 * shuffle_part.h — which owner a row goes to in a repartition shuffle.
 *
 * A repartition (docs/shuffle.md) sends every row of a shard's partial
 * result to one of N owners, chosen by the hash of the row's first
 * `hash_cols` values, so that equal keys from every shard meet on one
 * owner.  Every follower must choose alike: the hash is mur_value_hash
 * (value.h: 1 and 1.0 hash alike, as the hash aggregate groups them),
 * combined over the columns and mixed, and the owner is taken from the
 * high bits (the hash aggregate indexes its tables with the low bits of a
 * related hash: taking them here would leave each owner's table with
 * clustered slots).  A column marked in keys (wire/task.h) hashes by
 * value (common/valkey.h: 1.0, 1.00 and the INT 1 go to one owner, as do
 * '1 day' and '24 hours', as murphy's equality has it).
 */
#ifndef OPS_SHUFFLE_PART_H
#define OPS_SHUFFLE_PART_H

#include "common/buf.h"
#include "common/error.h"
#include "common/value.h"
#include "wire/task.h"

#include <stdint.h>

/* The owner (0..nparts-1) of a row whose first hash_cols values are vals. */
uint32_t exec_shuffle_part_of(const mur_value *vals, uint32_t hash_cols, const exec_key_cols *keys,
			      uint32_t nparts);

/* Split nrows rows of ncols values (mur_row encoding, exactly len bytes)
 * into parts[0..nparts-1] (appended; initialized by the caller) and count
 * them in part_rows[] (added to).  hash_cols <= ncols, nparts >= 1;
 * keys as above.
 * MUR_OK, MUR_EPROTO (malformed rows, err says so) or MUR_ENOMEM. */
int exec_shuffle_partition(const char *rows, size_t len, uint64_t nrows, uint32_t ncols,
			   uint32_t hash_cols, const exec_key_cols *keys, uint32_t nparts,
			   mur_buf *parts, uint64_t *part_rows, mur_error *err);

#endif
