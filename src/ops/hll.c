/*
 * hll.c — HyperLogLog sketches (contract in hll.h).
 *
 * Registers.  A value's 64-bit hash h is split as in Flajolet et al.
 * (2007): the top p bits pick register i, the other q = 64 - p bits give
 * the rank k = 1 + (leading zeros of those q bits), q + 1 when they are
 * all zero.  Register i keeps the largest rank it saw, 0 for none.
 *
 * Sparse list.  Entry e = (i' << 6) | k' with i' the top 25 bits
 * (HLL_SPARSE_P) and k' the rank of the remaining 39 bits (1..40).  The
 * list is sorted by i' and holds one entry per i' (the largest k').  An
 * entry folds into a register of any precision p < 25 (fold(): the 25 - p
 * bits below the top p are the start of the register's rank bits), so the
 * list is exactly as good as the dense registers it becomes, and at small
 * cardinalities it is a 2^25-register sketch: practically exact.  The list
 * turns dense when it would exceed 2^p / 16 entries (a quarter of the
 * dense size); inserts are a binary search plus a memmove of at most
 * 4 KiB at p = 14.
 *
 * Estimator.  Ertl, "New cardinality estimation algorithms for
 * HyperLogLog sketches" (2017, arXiv:1702.01284), the "improved
 * estimator": with C_k the number of registers equal to k,
 *
 *   n ≈ α∞ m² / ( m σ(C_0/m) + Σ_{k=1..q} C_k 2^-k + m τ(1 - C_{q+1}/m) 2^-q )
 *
 * α∞ = 1 / (2 ln 2), σ(x) = x + Σ_{k≥1} x^(2^k) 2^(k-1),
 * τ(x) = (1 - x - Σ_{k≥1} (1 - x^(2^-k))² 2^-k) / 3.  σ replaces the
 * linear-counting switch (small range) and τ the saturation correction
 * (large range) with terms derived from the Poisson model, so the bias is
 * negligible over the whole range and no empirical bias tables are
 * needed; the relative standard error is 1.04 / sqrt(m).  The same
 * formula estimates a sparse list (m = 2^25, q = 39).
 *
 * Flow: hll_add → hash_of (= hll_hash) → hll_add_hash → sparse_insert (→ to_dense) or
 * dense_put; merge: fold the destination down if needed, then insert
 * each sparse entry / max each folded register.
 */
#include "ops/hll.h"

#define XXH_INLINE_ALL
#include <xxhash.h>

#include <assert.h>
#include <endian.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

/* Seed of the sketch hash: "murphyLL".  Any constant but 0 (the
 * distribution hash's seed) would do; it may never change, or sketches
 * made before and after would not merge. */
#define HLL_HASH_SEED UINT64_C(0x6d75727068794c4c)
#define SPARSE_Q (64 - HLL_SPARSE_P) /* rank bits of a sparse entry */
#define RANK_BITS 6
#define RANK_MASK ((1u << RANK_BITS) - 1)
#define SPARSE_CAP_MIN 4
#define BLOB_HEADER 3
enum { KIND_SPARSE = 0, KIND_DENSE = 1 };

static size_t dense_bytes(int p) { return (size_t)1 << p; }

/* Most entries a sparse list of precision p may hold. */
static uint32_t sparse_max(int p)
{
	uint32_t n = (uint32_t)(dense_bytes(p) / 16);
	return n ? n : 1;
}

static uint8_t rank_max(int p) { return (uint8_t)(64 - p + 1); }

/* ------------------------------------------------------------------ */
/* Memory                                                             */
/* ------------------------------------------------------------------ */

static void *resize(const hll *h, void *p, size_t old_bytes, size_t new_bytes)
{
	if (h->mem)
		return h->mem->resize(h->mem->ctx, p, old_bytes, new_bytes);
	if (!new_bytes) {
		free(p);
		return NULL;
	}
	return realloc(p, new_bytes);
}

size_t hll_bytes(const hll *h)
{
	if (!h->regs)
		return 0;
	return h->dense ? dense_bytes(h->p) : (size_t)h->cap * sizeof(uint32_t);
}

void hll_init(hll *h, int p, const hll_mem *mem)
{
	assert(p >= HLL_P_MIN && p <= HLL_P_MAX);
	memset(h, 0, sizeof *h);
	h->p = (uint8_t)p;
	h->mem = mem;
}

void hll_free(hll *h)
{
	if (h->regs)
		resize(h, h->regs, hll_bytes(h), 0);
	h->regs = NULL;
	h->count = h->cap = 0;
	h->dense = 0;
}

/* ------------------------------------------------------------------ */
/* Hashing and folding                                                */
/* ------------------------------------------------------------------ */

/* XXH64 of 8 bytes (le: them as a little-endian word), written out: what
 * XXH64_endian_align and XXH64_finalize do for len 8, with xxhash's own
 * rounds and constants.  xxhash does not inline its finalize loop, and a
 * call plus a loop is half the cost of a sketched row; test_hll.c checks
 * this against XXH64 for many words and seeds. */
static inline uint64_t xxh64_8(uint64_t le, uint64_t seed)
{
	uint64_t h = seed + XXH_PRIME64_5 + 8;
	h ^= XXH64_round(0, le);
	h = XXH_rotl64(h, 27) * XXH_PRIME64_1 + XXH_PRIME64_4;
	return XXH64_avalanche(h);
}

/* hll_hash, inlined into hll_add.  Numbers (and 8-byte strings) take the
 * 8-byte path; every row of a sketched column comes here. */
static inline uint64_t hash_of(const mur_value *v)
{
	uint8_t num[8];
	const void *p;
	size_t len;
	uint64_t seed = HLL_HASH_SEED + (uint64_t)mur_value_canon_bytes(v, num, &p, &len);
	if (len == 8) {
		uint64_t le;
		memcpy(&le, p, 8);
		return xxh64_8(le64toh(le), seed);
	}
	return XXH64(p, len, seed);
}

uint64_t hll_hash(const mur_value *v) { return hash_of(v); }

/* Register index and rank of a hash at precision p. */
static inline uint8_t rank_of(uint64_t hash, int p, uint32_t *idx)
{
	uint64_t w = hash << p;
	*idx = (uint32_t)(hash >> (64 - p));
	return w ? (uint8_t)(__builtin_clzll(w) + 1) : rank_max(p);
}

/* A register (idx, rank > 0) of precision from, seen at precision to <=
 * from: the from - to index bits below the top `to` are the first rank
 * bits of the coarser register. */
static inline uint8_t fold(uint32_t idx, uint8_t rank, int from, int to, uint32_t *out)
{
	int d = from - to;
	uint32_t low = idx & ((1u << d) - 1);
	*out = idx >> d;
	if (low)
		return (uint8_t)(__builtin_clz(low) - (32 - d) + 1);
	return (uint8_t)(d + rank);
}

/* ------------------------------------------------------------------ */
/* Representations                                                    */
/* ------------------------------------------------------------------ */

static inline void dense_put(uint8_t *r, uint32_t idx, uint8_t rank)
{
	if (r[idx] < rank)
		r[idx] = rank;
}

static inline void dense_put_entry(hll *h, uint32_t e)
{
	uint32_t idx;
	uint8_t rank = fold(e >> RANK_BITS, (uint8_t)(e & RANK_MASK), HLL_SPARSE_P, h->p, &idx);
	dense_put(h->regs, idx, rank);
}

/* Sparse → dense.  Nothing changes on MUR_ENOMEM. */
static int to_dense(hll *h)
{
	uint8_t *r = resize(h, NULL, 0, dense_bytes(h->p));
	const uint32_t *e = h->regs;
	if (!r)
		return MUR_ENOMEM;
	memset(r, 0, dense_bytes(h->p));
	for (uint32_t k = 0; k < h->count; k++) {
		uint32_t idx;
		uint8_t rank = fold(e[k] >> RANK_BITS, (uint8_t)(e[k] & RANK_MASK), HLL_SPARSE_P,
				    h->p, &idx);
		dense_put(r, idx, rank);
	}
	if (h->regs)
		resize(h, h->regs, (size_t)h->cap * sizeof(uint32_t), 0);
	h->regs = r;
	h->dense = 1;
	h->count = h->cap = 0;
	return MUR_OK;
}

/* First position whose entry index is >= that of e. */
static uint32_t sparse_find(const hll *h, uint32_t e)
{
	const uint32_t *v = h->regs;
	uint32_t lo = 0, hi = h->count, key = e >> RANK_BITS;
	while (lo < hi) {
		uint32_t mid = lo + (hi - lo) / 2;
		if ((v[mid] >> RANK_BITS) < key)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

/* Insert entry e into a sparse sketch (max rank per index), turning it
 * dense when the list is full. */
static int sparse_insert(hll *h, uint32_t e)
{
	uint32_t at = sparse_find(h, e), *v = h->regs;
	if (at < h->count && (v[at] >> RANK_BITS) == (e >> RANK_BITS)) {
		if ((v[at] & RANK_MASK) < (e & RANK_MASK))
			v[at] = e;
		return MUR_OK;
	}
	if (h->count == sparse_max(h->p)) {
		if (to_dense(h) != MUR_OK)
			return MUR_ENOMEM;
		dense_put_entry(h, e);
		return MUR_OK;
	}
	if (h->count == h->cap) {
		uint32_t cap = h->cap ? h->cap * 2 : SPARSE_CAP_MIN;
		if (cap > sparse_max(h->p))
			cap = sparse_max(h->p);
		v = resize(h, h->regs, (size_t)h->cap * sizeof *v, (size_t)cap * sizeof *v);
		if (!v)
			return MUR_ENOMEM;
		h->regs = v;
		h->cap = cap;
	}
	memmove(v + at + 1, v + at, (size_t)(h->count - at) * sizeof *v);
	v[at] = e;
	h->count++;
	return MUR_OK;
}

static int add_entry(hll *h, uint32_t e)
{
	if (h->dense) {
		dense_put_entry(h, e);
		return MUR_OK;
	}
	return sparse_insert(h, e);
}

int hll_add_hash(hll *h, uint64_t hash)
{
	uint32_t idx;
	uint8_t rank;
	if (h->dense) {
		rank = rank_of(hash, h->p, &idx);
		dense_put(h->regs, idx, rank);
		return MUR_OK;
	}
	rank = rank_of(hash, HLL_SPARSE_P, &idx);
	return sparse_insert(h, idx << RANK_BITS | rank);
}

int hll_add(hll *h, const mur_value *v)
{
	if (v->kind == MV_NULL)
		return MUR_OK;
	return hll_add_hash(h, hash_of(v));
}

/* ------------------------------------------------------------------ */
/* Merge                                                              */
/* ------------------------------------------------------------------ */

/* Lower h's precision to p (< h->p).  Nothing changes on MUR_ENOMEM. */
static int reduce(hll *h, int p)
{
	int from = h->p;
	if (!h->dense) {
		h->p = (uint8_t)p; /* entries are at HLL_SPARSE_P whatever p is */
		if (h->count > sparse_max(p) && to_dense(h) != MUR_OK) {
			h->p = (uint8_t)from;
			return MUR_ENOMEM;
		}
		return MUR_OK;
	}
	uint8_t *r = resize(h, NULL, 0, dense_bytes(p));
	const uint8_t *old = h->regs;
	if (!r)
		return MUR_ENOMEM;
	memset(r, 0, dense_bytes(p));
	for (uint32_t i = 0; i < dense_bytes(from); i++) {
		uint32_t idx;
		if (old[i]) {
			uint8_t rank = fold(i, old[i], from, p, &idx);
			dense_put(r, idx, rank);
		}
	}
	resize(h, h->regs, dense_bytes(from), 0);
	h->regs = r;
	h->p = (uint8_t)p;
	return MUR_OK;
}

int hll_merge(hll *dst, const hll *src)
{
	if (src->p < dst->p && reduce(dst, src->p) != MUR_OK)
		return MUR_ENOMEM;
	if (!src->regs)
		return MUR_OK;
	if (!src->dense) {
		const uint32_t *e = src->regs;
		for (uint32_t k = 0; k < src->count; k++)
			if (add_entry(dst, e[k]) != MUR_OK)
				return MUR_ENOMEM;
		return MUR_OK;
	}
	if (!dst->dense && to_dense(dst) != MUR_OK)
		return MUR_ENOMEM;
	const uint8_t *r = src->regs;
	for (uint32_t i = 0; i < dense_bytes(src->p); i++) {
		uint32_t idx;
		if (r[i]) {
			uint8_t rank = fold(i, r[i], src->p, dst->p, &idx);
			dense_put(dst->regs, idx, rank);
		}
	}
	return MUR_OK;
}

/* ------------------------------------------------------------------ */
/* Blob                                                               */
/* ------------------------------------------------------------------ */

static void put_varint(mur_buf *b, uint32_t v)
{
	while (v >= 0x80) {
		mur_buf_put_u8(b, (uint8_t)(v | 0x80));
		v >>= 7;
	}
	mur_buf_put_u8(b, (uint8_t)v);
}

/* One LEB128 value of at most 32 bits; -1 when truncated or too long. */
static int rd_varint(const uint8_t **pp, const uint8_t *end, uint32_t *out)
{
	uint64_t v = 0;
	for (int shift = 0; shift < 35; shift += 7) {
		if (*pp == end)
			return -1;
		uint8_t b = *(*pp)++;
		v |= (uint64_t)(b & 0x7f) << shift;
		if (!(b & 0x80)) {
			if (v > UINT32_MAX)
				return -1;
			*out = (uint32_t)v;
			return 0;
		}
	}
	return -1;
}

void hll_serialize(const hll *h, mur_buf *out)
{
	mur_buf_put_u8(out, HLL_BLOB_VERSION);
	mur_buf_put_u8(out, h->p);
	mur_buf_put_u8(out, h->dense ? KIND_DENSE : KIND_SPARSE);
	if (h->dense) {
		mur_buf_put(out, h->regs, dense_bytes(h->p));
		return;
	}
	const uint32_t *e = h->regs;
	uint32_t prev = 0;
	put_varint(out, h->count);
	for (uint32_t k = 0; k < h->count; k++) {
		put_varint(out, e[k] - prev);
		prev = e[k];
	}
}

/* A checked blob. */
typedef struct blob_view {
	int p, dense;
	uint32_t n;             /* sparse: entries */
	const uint8_t *payload; /* sparse: the first delta; dense: the registers */
	const uint8_t *end;
} blob_view;

static int bad(mur_error *err, const char *what)
{
	mur_error_set(err, SQLSTATE_INVALID_BINARY_REPRESENTATION, "invalid HyperLogLog sketch: %s",
		      what);
	return MUR_EPROTO;
}

/* Next sparse entry after prev (k-th, 0-based) of a blob being read; -1
 * when malformed. */
static int rd_entry(const uint8_t **pp, const uint8_t *end, uint32_t k, uint32_t *prev)
{
	uint32_t d, e;
	if (rd_varint(pp, end, &d) != 0 || d > (UINT32_MAX >> 1) - *prev)
		return -1;
	e = *prev + d;
	if ((e >> RANK_BITS) >= (1u << HLL_SPARSE_P) || (e & RANK_MASK) == 0 ||
	    (e & RANK_MASK) > rank_max(HLL_SPARSE_P) ||
	    (k > 0 && (e >> RANK_BITS) <= (*prev >> RANK_BITS)))
		return -1;
	*prev = e;
	return 0;
}

static int blob_open(const void *blob, size_t len, blob_view *v, mur_error *err)
{
	const uint8_t *b = blob, *end, *q;
	if (!b || len < BLOB_HEADER)
		return bad(err, "too short");
	end = b + len;
	if (b[0] != HLL_BLOB_VERSION)
		return bad(err, "unknown version");
	if (b[1] < HLL_P_MIN || b[1] > HLL_P_MAX)
		return bad(err, "precision out of range");
	if (b[2] != KIND_SPARSE && b[2] != KIND_DENSE)
		return bad(err, "unknown representation");
	v->p = b[1];
	v->dense = b[2] == KIND_DENSE;
	v->end = end;
	q = b + BLOB_HEADER;
	if (v->dense) {
		if ((size_t)(end - q) != dense_bytes(v->p))
			return bad(err, "wrong length");
		for (size_t i = 0; i < dense_bytes(v->p); i++)
			if (q[i] > rank_max(v->p))
				return bad(err, "register out of range");
		v->payload = q;
		v->n = 0;
		return MUR_OK;
	}
	if (rd_varint(&q, end, &v->n) != 0)
		return bad(err, "truncated");
	if (v->n > sparse_max(v->p))
		return bad(err, "too many entries");
	v->payload = q;
	uint32_t prev = 0;
	for (uint32_t k = 0; k < v->n; k++)
		if (rd_entry(&q, end, k, &prev) != 0)
			return bad(err, "bad entry");
	if (q != end)
		return bad(err, "trailing bytes");
	return MUR_OK;
}

int hll_check_blob(const void *blob, size_t len, mur_error *err)
{
	blob_view v;
	return blob_open(blob, len, &v, err);
}

int hll_merge_blob(hll *dst, const void *blob, size_t len, mur_error *err)
{
	blob_view v;
	if (blob_open(blob, len, &v, err) != MUR_OK)
		return MUR_EPROTO;
	if (v.dense) {
		hll src = {.regs = (void *)v.payload, .p = (uint8_t)v.p, .dense = 1};
		return hll_merge(dst, &src);
	}
	if (v.p < dst->p && reduce(dst, v.p) != MUR_OK)
		return MUR_ENOMEM;
	const uint8_t *q = v.payload;
	uint32_t e = 0;
	for (uint32_t k = 0; k < v.n; k++) {
		rd_entry(&q, v.end, k, &e); /* checked by blob_open */
		if (add_entry(dst, e) != MUR_OK)
			return MUR_ENOMEM;
	}
	return MUR_OK;
}

/* ------------------------------------------------------------------ */
/* Estimate                                                           */
/* ------------------------------------------------------------------ */

/* σ(x) = x + Σ_{k≥1} x^(2^k) 2^(k-1), x in [0, 1). */
static double sigma(double x)
{
	double y = 1, z = x, prev;
	do {
		x *= x;
		prev = z;
		z += x * y;
		y += y;
	} while (z != prev);
	return z;
}

/* τ(x) = (1 - x - Σ_{k≥1} (1 - x^(2^-k))² 2^-k) / 3, x in [0, 1]. */
static double tau(double x)
{
	double y = 1, z = 1 - x, prev;
	if (x == 0 || x == 1)
		return 0;
	do {
		x = sqrt(x);
		prev = z;
		y *= 0.5;
		z -= (1 - x) * (1 - x) * y;
	} while (z != prev);
	return z / 3;
}

/* Ertl's improved estimator over the histogram c[0 .. q+1] of m registers. */
static double ertl(const uint32_t *c, int q, double m)
{
	double z;
	if (c[0] == m)
		return 0;
	z = m * tau(1 - c[q + 1] / m);
	for (int k = q; k >= 1; k--)
		z = 0.5 * (z + c[k]);
	z += m * sigma(c[0] / m);
	return m * m / (2 * M_LN2) / z;
}

double hll_estimate(const hll *h)
{
	uint32_t c[66] = {0};
	if (!h->regs)
		return 0;
	if (h->dense) {
		const uint8_t *r = h->regs;
		for (size_t i = 0; i < dense_bytes(h->p); i++)
			c[r[i]]++;
		return ertl(c, 64 - h->p, (double)dense_bytes(h->p));
	}
	const uint32_t *e = h->regs;
	for (uint32_t k = 0; k < h->count; k++)
		c[e[k] & RANK_MASK]++;
	c[0] = (1u << HLL_SPARSE_P) - h->count;
	return ertl(c, SPARSE_Q, (double)(1u << HLL_SPARSE_P));
}

int64_t hll_count(const hll *h)
{
	double e = hll_estimate(h);
	if (!(e < 0x1p63)) /* saturated (or a forged blob): the largest bigint */
		return INT64_MAX;
	return (int64_t)llround(e);
}
