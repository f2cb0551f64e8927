/*
 * hll.h — HyperLogLog sketches: approximate distinct counts that merge.
 *
 * A sketch summarizes a set of values in at most 2^p bytes; the union of
 * two sets is the register-wise maximum of their sketches, so followers
 * sketch their shards and the leader merges (approx_count_distinct,
 * docs/approx.md).  Default precision p = 14: 16384 registers, relative
 * standard error 1.04 / sqrt(2^14) ≈ 0.81 % from 0 to far beyond 10^9
 * distinct values (Ertl's improved estimator, hll.c).
 *
 * Values: hll_add takes a mur_value; NULL is never added.  Two values are
 * one value exactly when the hash aggregate would group them together
 * (value.h's canonical form: 1 and 1.0 are one value, TEXT/BLOB by bytes).
 *
 * Representations (invisible to callers except through hll_bytes):
 *   sparse  a sorted list of register updates at precision 25, while it
 *           holds at most 2^p / 16 entries (4 bytes each): a group that
 *           saw a few values costs a few bytes, and small counts are
 *           practically exact;
 *   dense   2^p one-byte registers, once the list would grow past that.
 *
 * Blob (hll_serialize / hll_merge_blob / hll_check_blob), version 1:
 *   u8 version (1) | u8 p | u8 kind (0 sparse, 1 dense) | payload
 *   sparse payload: varint n, then n varints: the entries
 *                   (index << 6 | rank) as deltas from the previous one
 *   dense payload:  2^p bytes, register i = rank (0 .. 65 - p)
 * Varints are LEB128 (7 bits a byte, low first).  Decoders check every
 * field and the exact length: a malformed blob is an error, never a crash.
 *
 * Memory: a sketch owns one block (its list or its registers), obtained
 * through an hll_mem (the hash aggregate charges it to its byte limit;
 * NULL = malloc).  Life cycle: hll_init → add / merge … → hll_free.
 * A failed allocation returns MUR_ENOMEM and leaves the sketch as it was
 * (still valid, still to be freed).
 *
 * Not thread-safe; sketches share nothing.
 */
#ifndef OPS_HLL_H
#define OPS_HLL_H

#include "common/buf.h"
#include "common/error.h"
#include "common/value.h"

#include <stddef.h>
#include <stdint.h>

#define HLL_P_DEFAULT 14
/* Precision bounds: below 4 the estimate is useless (±26 %); above 18 a
 * dense sketch is 256 KiB, too big to keep one per group. */
#define HLL_P_MIN 4
#define HLL_P_MAX 18
/* Precision of the sparse list's entries (index 25 bits + rank 6 bits fit
 * a uint32; HLL++ uses the same). */
#define HLL_SPARSE_P 25
#define HLL_BLOB_VERSION 1
/* Largest blob: header + a dense sketch at HLL_P_MAX. */
#define HLL_BLOB_BYTES_MAX (3 + ((size_t)1 << HLL_P_MAX))

/* Allocator: resize(ctx, p, old_bytes, new_bytes) behaves like
 * realloc(p, new_bytes) (p NULL: allocate; new_bytes 0: free, returns
 * NULL); NULL on failure with p untouched. */
typedef struct hll_mem {
	void *(*resize)(void *ctx, void *p, size_t old_bytes, size_t new_bytes);
	void *ctx;
} hll_mem;

typedef struct hll {
	const hll_mem *mem; /* NULL: malloc/realloc/free */
	void *regs; /* sparse: uint32_t[cap] entries, sorted; dense: uint8_t[2^p]; NULL when empty */
	uint32_t count; /* sparse: entries in use */
	uint32_t cap;   /* sparse: entries allocated */
	uint8_t p;
	uint8_t dense;
} hll;

/* An empty sketch of precision p (HLL_P_MIN..HLL_P_MAX, asserted); mem
 * (may be NULL) must outlive the sketch.  Allocates nothing. */
void hll_init(hll *h, int p, const hll_mem *mem);
/* Release the sketch's block; h is empty again (same p and mem). */
void hll_free(hll *h);

/* The 64-bit hash of a non-NULL value: XXH64 of its canonical bytes
 * (value.h), seeded apart from the distribution hash so that the values
 * of one shard — which share distribution hash ranges — still look
 * uniform to the sketch. */
uint64_t hll_hash(const mur_value *v);
/* Add a value (NULL: no-op) or a hash.  MUR_OK or MUR_ENOMEM. */
int hll_add(hll *h, const mur_value *v);
int hll_add_hash(hll *h, uint64_t hash);

/* dst ∪= src.  Sketches of different precision merge at the smaller one
 * (dst is folded down when src's is smaller: a sketch of precision p
 * holds everything one of precision p - 1 needs).  MUR_OK or MUR_ENOMEM
 * (dst then still valid, holding part of src). */
int hll_merge(hll *dst, const hll *src);
/* dst ∪= the sketch in blob, as hll_merge.  MUR_OK; MUR_EPROTO with err
 * set (22P03 "invalid HyperLogLog sketch: ...") when the blob is
 * malformed, dst unchanged; MUR_ENOMEM as hll_merge (err untouched: the
 * allocator's failure is its owner's to report). */
int hll_merge_blob(hll *dst, const void *blob, size_t len, mur_error *err);
/* Check a blob without using it: MUR_OK or MUR_EPROTO with err set. */
int hll_check_blob(const void *blob, size_t len, mur_error *err);

/* Estimated number of distinct values added (0 for an empty sketch). */
double hll_estimate(const hll *h);
/* The estimate rounded to an integer. */
int64_t hll_count(const hll *h);

/* Append the blob to out (check mur_buf_ok afterwards). */
void hll_serialize(const hll *h, mur_buf *out);
/* Bytes the sketch's block holds (for memory accounting). */
size_t hll_bytes(const hll *h);

#endif
