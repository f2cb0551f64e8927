/*
 * hashagg.h — murphy's hash aggregation operator.
 *
 * Groups rows by their first spec->ngroup columns and computes the
 * spec->naggs aggregates of wire/task.h over each group.  Used by the
 * follower (partial aggregation over a shard's scan: this is where murphy
 * beats SQLite's sort-based GROUP BY) and by the leader (merging the
 * partials).  With naggs == 0 it is a hash DISTINCT over the group columns.
 *
 * Life cycle:  create → add_row / add_rows … → finish → destroy.
 *
 * Semantics:
 *   - group keys compare like SQL GROUP BY: NULLs form one group; an
 *     integral FLOAT equals the INT of the same value (1 and 1.0 are one
 *     group, and the key is output as the INT); TEXT and BLOB by bytes.
 *   - output rows come in first-seen order of their group: the ngroup key
 *     values, then one value per aggregate.  ngroup == 0 yields exactly
 *     one row, even for no input (count 0; sum/min/max/bool NULL).
 *   - COUNT_DISTINCT counts distinct non-NULL values with the same
 *     equality as keys (1 and 1.0 are one value).
 *   - SUM adds INTs exactly in an int64 and FLOATs in a double; the
 *     result is an INT unless a FLOAT was seen or the int64 overflowed.
 *     TEXT inputs are parsed as float8 (22P02 when they are not numbers);
 *     NUM_SUM adds numeric TEXT exactly, NUM_MIN/NUM_MAX compare it by value;
 *     IV_SUM adds stored intervals field by field (interval_pl, 22008).
 *   - an aggregate whose col is EXEC_AGG_COL_EXPR | i reads the spec's
 *     numeric expression i over the row (ops/numx.h: + - * of columns and
 *     constants, NULL when an operand is): NUM_SUM adds its value in fixed
 *     point without text in between, COUNT counts where it is not NULL;
 *     no other aggregate reads one.
 *   - HLL adds the non-NULL inputs to a HyperLogLog sketch (ops/hll.h,
 *     same equality as keys) and outputs it as a BLOB, the empty sketch
 *     for a group without input; HLL_MERGE outputs the union of its
 *     input sketches, HLL_COUNT the union's rounded estimate (INT, 0
 *     without input).  A sketch input that is not a valid sketch BLOB
 *     fails with 22P03.  A sketch costs a few bytes per distinct value
 *     while small, at most 16 KiB per group and aggregate.
 *   - memory is bounded: past the limit (EXEC_HASHAGG_BYTES_MAX unless set
 *     with exec_hashagg_set_limit) adds fail with 53000
 *     "hash aggregate exceeded N bytes".
 *
 * Errors: functions return MUR_OK or an error code (MUR_ERR, MUR_EPROTO for
 * malformed row bytes, MUR_ENOMEM); exec_hashagg_error() says what went
 * wrong.  After an error the object only supports destroy.
 *
 * Not thread-safe: one operator per task.
 */
#ifndef OPS_HASHAGG_H
#define OPS_HASHAGG_H

#include "common/buf.h"
#include "common/error.h"
#include "common/value.h"
#include "wire/task.h"

#include <stddef.h>
#include <stdint.h>

/* Memory one aggregation may hold (keys, states, hash tables, distinct
 * sets).  4 GiB is half of a small follower's RAM; beyond it the query
 * should be shuffled, not grown. */
#define EXEC_HASHAGG_BYTES_MAX ((size_t)4 << 30)
/* Group indexes are 32-bit. */
#define EXEC_HASHAGG_GROUPS_MAX ((uint64_t)UINT32_MAX - 1)

typedef struct exec_hashagg exec_hashagg;

/* Check a spec against the input width: ngroup <= ncols_in, naggs <=
 * EXEC_AGGS_MAX, known functions, agg columns < ncols_in, expressions
 * well formed over ncols_in columns (exec_numx_validate).  Fills err
 * (XX000: a planner bug, not a user error). */
int exec_hashagg_validate(const exec_agg_spec *spec, uint32_t ncols_in, mur_error *err);

/* A new operator for rows of ncols_in values; spec is copied.  NULL when
 * the spec is invalid (see exec_hashagg_validate) or memory is short.
 * Free with exec_hashagg_destroy. */
exec_hashagg *exec_hashagg_create(const exec_agg_spec *spec, uint32_t ncols_in);
void exec_hashagg_destroy(exec_hashagg *h);

/* Lower the memory limit (tests; per-query settings).  0 = default. */
void exec_hashagg_set_limit(exec_hashagg *h, size_t bytes_max);

/* Add one row of ncols_in values.  Everything kept is copied: vals and the
 * bytes they point to may be reused as soon as this returns. */
int exec_hashagg_add_row(exec_hashagg *h, const mur_value *vals);
/* Add nrows rows of ncols_in values each in mur_row encoding (value.h).
 * len must be exactly the rows' size: MUR_EPROTO otherwise. */
int exec_hashagg_add_rows(exec_hashagg *h, const char *rows, size_t len, uint64_t nrows);

/* Append the output rows (ngroup + naggs values each, mur_row encoding)
 * to out and set *nrows_out.  Call once, after the last add. */
int exec_hashagg_finish(exec_hashagg *h, mur_buf *out, uint64_t *nrows_out);

/* The error of the last failed call (sqlstate 00000 when none). */
const mur_error *exec_hashagg_error(const exec_hashagg *h);
/* Groups so far, and bytes held (for EXPLAIN ANALYZE). */
uint64_t exec_hashagg_groups(const exec_hashagg *h);
size_t exec_hashagg_bytes(const exec_hashagg *h);

#endif
