/*
 * hashagg.c — hash aggregation (contract in hashagg.h).
 *
 * Structures:
 *
 *   arena     bump allocator (chunks of 64 KiB growing to 8 MiB) holding
 *             every group record and every copied byte (keys, MIN/MAX
 *             text, distinct values).  Freed in one sweep by destroy.
 *   group     { hash, keylen, index, agg_state[naggs], key bytes } in the
 *             arena.  The key is the canonical encoding of the group
 *             values (below), so equality is memcmp and the output is
 *             decoded from it.
 *   groups[]  group pointers in first-seen order (output order).
 *   slots[]   open-addressing table (linear probing, load <= 1/2) of
 *             { hash, group pointer }: a probe costs one cache miss for the
 *             slot and one for the group it finds, and a mismatch never
 *             touches a group.
 *   dsets[]   one hash set per COUNT_DISTINCT aggregate, keyed by
 *             (group index, canonical value): a per-group set without a
 *             per-group allocation.  A new member bumps that group's count.
 *   sketches  HLL / HLL_MERGE / HLL_COUNT keep an hll (ops/hll.h) per
 *             group: the struct in the arena, made at the group's first
 *             non-NULL input; its block (sparse list or registers) comes
 *             through hll_mem → sketch_resize, which charges the limit.
 *             destroy frees the blocks by walking the groups.
 *
 * Canonical value encoding (keys and distinct values):
 *   tag 0 NULL | tag 1 + int64 (INT, and FLOAT with an integral value in
 *   int64 range: 1.0 == 1, -0.0 == 0) | tag 2 + double bits (one NaN) |
 *   tag 3 + u32 len + bytes (TEXT) | tag 4 + u32 len + bytes (BLOB).
 *   Native byte order: it never leaves this process.
 *
 * Hashing: XXH3-64 over the encoding (inlined).  Flow per row: encode key
 * → hash → probe → (insert) → update each aggregate state; add_rows does
 * it for batches of rows with prefetching (see add_batch).  A numeric sum
 * that never left its 128-bit fast part prints without GMP (fixed_to_text).
 *
 * Memory accounting: every malloc (arena chunk, tables, vectors) is charged
 * against the limit before it happens; past it the call fails with 53000
 * and nothing more is allocated.
 */
#include "ops/hashagg.h"

#include "common/interval.h"
#include "common/numeric.h"

#include "ops/hll.h"
#include "ops/numx.h"

#define XXH_INLINE_ALL
#include <xxhash.h>

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#define ARENA_CHUNK_MIN ((size_t)64 << 10)
#define ARENA_CHUNK_MAX ((size_t)8 << 20)
#define SLOTS_INITIAL 64
#define DSET_INITIAL 64
/* Rows per prefetch batch in add_rows: enough misses in flight to cover
 * the memory latency, few enough that the lines stay cached. */
#define HASHAGG_BATCH 32
/* Allocations from this size up use mmap + MADV_HUGEPAGE (2 MiB pages). */
#define HASHAGG_BIG_BYTES ((size_t)2 << 20)

/* Canonical encoding tags: the mur_vkind values (value.h's canonical form). */
enum {
	TAG_NULL = MV_NULL,
	TAG_INT = MV_INT,
	TAG_FLOAT = MV_FLOAT,
	TAG_TEXT = MV_TEXT,
	TAG_BLOB = MV_BLOB,
	TAG_NUM = 16 /* a by-value key: its canonical bytes; what it shows is kept after the key */
};
enum { ST_HAS = 1, ST_FLOAT = 2 }; /* agg_state.flags */

typedef struct agg_state {
	union {
		int64_t i;         /* counts, int sums, INT min/max, bool */
		double f;          /* FLOAT min/max */
		const char *s;     /* TEXT/BLOB min/max (arena) */
		hll *sk;           /* HLL, HLL_MERGE, HLL_COUNT (arena; NULL until an input) */
		struct numsum *ns; /* NUM_SUM (arena; NULL until an input) */
		mur_interval *iv;  /* IV_SUM (arena; NULL until an input) */
	} v;
	union {
		double fsum; /* SUM: the FLOAT part */
		size_t len;  /* TEXT/BLOB min/max */
	} w;
	uint32_t cap;  /* bytes available at v.s */
	uint8_t kind;  /* MIN/MAX: mur_vkind held, MV_NULL = none yet */
	uint8_t flags; /* ST_HAS, ST_FLOAT */
} agg_state;

typedef struct group {
	uint64_t hash;
	uint32_t keylen;
	uint32_t index;
	agg_state st[]; /* naggs states, then keylen key bytes */
} group;

typedef struct slot {
	uint64_t hash;
	group *g; /* NULL = empty */
} slot;

typedef struct dset_entry {
	uint64_t hash;
	uint32_t gidx;
	uint32_t len; /* TEXT/BLOB length */
	union {
		int64_t i; /* INT value / FLOAT bits */
		const char *p;
	} k;
	uint8_t tag; /* TAG_*; TAG_NULL = empty entry */
} dset_entry;

typedef struct dset {
	dset_entry *e;
	size_t cap, count;
} dset;

typedef struct arena_chunk {
	struct arena_chunk *next;
	size_t size; /* bytes including this header */
	char data[];
} arena_chunk;

struct exec_hashagg {
	exec_agg_spec spec;
	uint32_t ncols_in;
	size_t limit, bytes;
	int failed;
	mur_error err;

	arena_chunk *chunks;
	char *cur, *end;
	size_t chunk_next;

	group **groups;
	uint64_t ngroups, groups_cap;
	slot *slots;
	uint64_t slots_cap;
	size_t group_bytes; /* header + states, before the key */

	dset dsets[EXEC_AGGS_MAX]; /* indexed like spec.aggs; used for COUNT_DISTINCT */
	hll_mem sketch_mem;        /* sketch blocks: sketch_resize charging this aggregate */
	int has_sketch;            /* some aggregate keeps sketches */

	char *key; /* scratch for the current row's key */
	size_t key_cap;
	mur_value *row;  /* add_rows decode buffer, HASHAGG_BATCH rows */
	mur_buf scratch; /* text → number parses */
	mur_buf canon;   /* a numeric key's canonical text (key_encode) */
	mur_buf shown;   /* a new group's numeric keys as given (group_new) */
	numx_row nrow;   /* the row's numeric columns parsed once (NUM_SUM, expressions) */
};

/* ------------------------------------------------------------------ */
/* Memory                                                             */
/* ------------------------------------------------------------------ */

static int fail_mem(exec_hashagg *h)
{
	h->failed = 1;
	return mur_error_set(&h->err, SQLSTATE_INSUFFICIENT_RESOURCES,
			     "hash aggregate exceeded %zu bytes", h->limit);
}

static int charge(exec_hashagg *h, size_t n)
{
	if (n > h->limit - h->bytes)
		return fail_mem(h);
	h->bytes += n;
	return MUR_OK;
}

/* Zeroed memory of n bytes, charged to the limit.  Big blocks come from
 * mmap with transparent huge pages: a table of millions of groups otherwise
 * spends more time in page faults and TLB misses than in hashing. */
static void *xmalloc(exec_hashagg *h, size_t n)
{
	void *p;
	if (charge(h, n) != MUR_OK)
		return NULL;
	if (n >= HASHAGG_BIG_BYTES) {
		p = mmap(NULL, n, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		if (p == MAP_FAILED)
			p = NULL;
		else
			madvise(p, n, MADV_HUGEPAGE); /* advisory: failure is harmless */
	} else {
		p = calloc(1, n);
	}
	if (!p) {
		h->bytes -= n;
		h->failed = 1;
		mur_error_set(&h->err, SQLSTATE_OUT_OF_MEMORY, "out of memory");
	}
	return p;
}

/* Free what xmalloc(h, n) returned (n must match). */
static void xfree(exec_hashagg *h, void *p, size_t n)
{
	if (!p)
		return;
	if (n >= HASHAGG_BIG_BYTES)
		munmap(p, n);
	else
		free(p);
	h->bytes -= n;
}

/* hll_mem resize for the sketches: charged like xmalloc, but realloc'd
 * (a sparse list grows by doubling). */
static void *sketch_resize(void *ctx, void *p, size_t old_bytes, size_t new_bytes)
{
	exec_hashagg *h = ctx;
	void *q;
	if (!new_bytes) {
		free(p);
		h->bytes -= old_bytes;
		return NULL;
	}
	if (new_bytes > old_bytes && charge(h, new_bytes - old_bytes) != MUR_OK)
		return NULL;
	q = realloc(p, new_bytes);
	if (!q) {
		if (new_bytes > old_bytes)
			h->bytes -= new_bytes - old_bytes;
		h->failed = 1;
		mur_error_set(&h->err, SQLSTATE_OUT_OF_MEMORY, "out of memory");
		return NULL;
	}
	if (new_bytes < old_bytes)
		h->bytes -= old_bytes - new_bytes;
	return q;
}

static void *arena_alloc(exec_hashagg *h, size_t n)
{
	n = (n + 7) & ~(size_t)7;
	if ((size_t)(h->end - h->cur) < n) {
		size_t size = h->chunk_next;
		if (size < n + sizeof(arena_chunk))
			size = n + sizeof(arena_chunk);
		arena_chunk *c = xmalloc(h, size);
		if (!c)
			return NULL;
		c->next = h->chunks;
		c->size = size;
		h->chunks = c;
		h->cur = c->data;
		h->end = (char *)c + size;
		if (h->chunk_next < ARENA_CHUNK_MAX)
			h->chunk_next *= 2;
	}
	void *p = h->cur;
	h->cur += n;
	return p;
}

/* ------------------------------------------------------------------ */
/* Canonical encoding                                                 */
/* ------------------------------------------------------------------ */

static int key_reserve(exec_hashagg *h, size_t need)
{
	if (need <= h->key_cap)
		return MUR_OK;
	size_t cap = h->key_cap * 2 > need ? h->key_cap * 2 : need;
	char *k = realloc(h->key, cap);
	if (!k) {
		h->failed = 1;
		return mur_error_set(&h->err, SQLSTATE_OUT_OF_MEMORY, "out of memory");
	}
	h->key = k;
	h->key_cap = cap;
	return MUR_OK;
}

/* Is input column c compared by value (spec.keys: numeric, interval,
 * jsonb)? */
static inline int value_key(const exec_hashagg *h, uint32_t c)
{
	return exec_key_kind(&h->spec.keys, c) != MUR_KEY_BYTES;
}

/* A by-value key's canonical bytes at h->key + *n (common/valkey.h): equal
 * values, equal keys (1.0, 1.00 and 1 are one group, as are '1 day' and
 * '24 hours', as in PostgreSQL). */
static int value_key_encode(exec_hashagg *h, uint32_t c, const mur_value *v, size_t *n)
{
	mur_buf_reset(&h->canon);
	mur_key_canon(exec_key_kind(&h->spec.keys, c), v, &h->canon);
	if (!mur_buf_ok(&h->canon))
		return mur_error_set(&h->err, SQLSTATE_OUT_OF_MEMORY, "out of memory");
	uint32_t l = (uint32_t)h->canon.len;
	if (h->key_cap - *n < 5 + (size_t)l && key_reserve(h, *n + 5 + l) != MUR_OK)
		return MUR_ERR;
	h->key[*n] = TAG_NUM;
	memcpy(h->key + *n + 1, &l, 4);
	memcpy(h->key + *n + 5, h->canon.data, l);
	*n += 5 + l;
	return MUR_OK;
}

/* Encode the group columns of vals into h->key at offset base (earlier
 * keys of a batch stay in front); *len gets the encoded length. */
static int key_encode(exec_hashagg *h, const mur_value *vals, size_t base, size_t *len)
{
	size_t n = base;
	for (uint32_t c = 0; c < h->spec.ngroup; c++) {
		const mur_value *v = &vals[c];
		int64_t bits;
		if (value_key(h, c) && v->kind != MV_NULL) {
			if (value_key_encode(h, c, v, &n) != MUR_OK)
				return MUR_ERR;
			continue;
		}
		switch (v->kind) {
		case MV_INT:
		case MV_FLOAT:
			if (h->key_cap - n < 9 && key_reserve(h, n + 9) != MUR_OK)
				return MUR_ERR;
			h->key[n] = (char)mur_value_num_canon(v, &bits);
			memcpy(h->key + n + 1, &bits, 8);
			n += 9;
			break;
		case MV_TEXT:
		case MV_BLOB: {
			uint32_t l = (uint32_t)v->len;
			if (v->len > UINT32_MAX - 16)
				return mur_error_set(&h->err, SQLSTATE_PROGRAM_LIMIT_EXCEEDED,
						     "group key value too long");
			if (h->key_cap - n < 5 + v->len && key_reserve(h, n + 5 + v->len) != MUR_OK)
				return MUR_ERR;
			h->key[n] = v->kind == MV_TEXT ? TAG_TEXT : TAG_BLOB;
			memcpy(h->key + n + 1, &l, 4);
			if (l)
				memcpy(h->key + n + 5, v->s, l);
			n += 5 + l;
			break;
		}
		default:
			if (h->key_cap - n < 1 && key_reserve(h, n + 1) != MUR_OK)
				return MUR_ERR;
			h->key[n++] = TAG_NULL;
			break;
		}
	}
	*len = n - base;
	return MUR_OK;
}

/* Decode one canonical value at *p (trusted: we wrote it); a numeric
 * key decodes the value it was first given as, from *shown. */
static mur_value key_decode(const char **p, const char **shown)
{
	const char *q = *p;
	mur_value v = mur_v_null();
	int64_t bits;
	uint32_t l;
	switch (*q++) {
	case TAG_NUM: { /* shown: u32 n, then the value in row encoding */
		mur_rd r;
		uint32_t n;
		memcpy(&l, q, 4);
		q += 4 + l;
		memcpy(&n, *shown, 4);
		mur_rd_init(&r, *shown + 4, n);
		(void)mur_row_get_value(&r, &v);
		*shown += 4 + n;
		break;
	}
	case TAG_INT:
		memcpy(&bits, q, 8);
		v = mur_v_int(bits);
		q += 8;
		break;
	case TAG_FLOAT: {
		double d;
		memcpy(&d, q, 8);
		v = mur_v_float(d);
		q += 8;
		break;
	}
	case TAG_TEXT:
	case TAG_BLOB:
		memcpy(&l, q, 4);
		v = q[-1] == TAG_TEXT ? mur_v_text(q + 4, l) : mur_v_blob(q + 4, l);
		q += 4 + l;
		break;
	default:
		break;
	}
	*p = q;
	return v;
}

static inline const char *group_key(const exec_hashagg *h, const group *g)
{
	return (const char *)g + h->group_bytes;
}

/* ------------------------------------------------------------------ */
/* Group table                                                        */
/* ------------------------------------------------------------------ */

static int slots_grow(exec_hashagg *h)
{
	uint64_t cap = h->slots_cap * 2;
	slot *s = xmalloc(h, cap * sizeof *s);
	if (!s)
		return MUR_ERR;
	for (uint64_t k = 0; k < h->slots_cap; k++) {
		if (!h->slots[k].g)
			continue;
		uint64_t i = h->slots[k].hash & (cap - 1);
		while (s[i].g)
			i = (i + 1) & (cap - 1);
		s[i] = h->slots[k];
	}
	xfree(h, h->slots, h->slots_cap * sizeof *h->slots);
	h->slots = s;
	h->slots_cap = cap;
	return MUR_OK;
}

/* The numeric keys of vals as given, into h->shown (group_new keeps them
 * after the key: a group shows the first spelling it saw, 1.0 or 1.00). */
static int shown_encode(exec_hashagg *h, const mur_value *vals)
{
	mur_buf_reset(&h->shown);
	for (uint32_t c = 0; c < h->spec.ngroup && c < 32; c++) {
		if (!value_key(h, c) || vals[c].kind == MV_NULL)
			continue;
		size_t at = h->shown.len;
		uint32_t n;
		mur_buf_put_u32(&h->shown, 0);
		mur_row_put_value(&h->shown, &vals[c]);
		if (!mur_buf_ok(&h->shown))
			return mur_error_set(&h->err, SQLSTATE_OUT_OF_MEMORY, "out of memory");
		n = (uint32_t)(h->shown.len - at - 4);
		memcpy(h->shown.data + at, &n, 4);
	}
	return MUR_OK;
}

static group *group_new(exec_hashagg *h, uint64_t hash, const char *key, size_t keylen,
			const mur_value *vals)
{
	size_t shown = 0;
	if (h->spec.keys.num | h->spec.keys.iv | h->spec.keys.jsonb | h->spec.keys.bpchar) {
		if (shown_encode(h, vals) != MUR_OK) {
			h->failed = 1;
			return NULL;
		}
		shown = h->shown.len;
	}
	if (h->ngroups >= EXEC_HASHAGG_GROUPS_MAX) {
		h->failed = 1;
		mur_error_set(&h->err, SQLSTATE_PROGRAM_LIMIT_EXCEEDED,
			      "hash aggregate exceeded %llu groups",
			      (unsigned long long)EXEC_HASHAGG_GROUPS_MAX);
		return NULL;
	}
	if (h->ngroups == h->groups_cap) {
		uint64_t cap = h->groups_cap ? h->groups_cap * 2 : 64;
		if (charge(h, (cap - h->groups_cap) * sizeof(group *)) != MUR_OK)
			return NULL;
		group **gv = realloc(h->groups, cap * sizeof *gv);
		if (!gv) {
			h->failed = 1;
			mur_error_set(&h->err, SQLSTATE_OUT_OF_MEMORY, "out of memory");
			return NULL;
		}
		h->groups = gv;
		h->groups_cap = cap;
	}
	group *g = arena_alloc(h, h->group_bytes + keylen + shown);
	if (!g)
		return NULL;
	if (shown)
		memcpy((char *)g + h->group_bytes + keylen, h->shown.data, shown);
	memset(g, 0, h->group_bytes);
	g->hash = hash;
	g->keylen = (uint32_t)keylen;
	g->index = (uint32_t)h->ngroups;
	if (keylen)
		memcpy((char *)g + h->group_bytes, key, keylen);
	h->groups[h->ngroups++] = g;
	return g;
}

/* Find or insert the group of an encoded key (h->key + koff) with its hash. */
static int group_lookup(exec_hashagg *h, size_t koff, size_t keylen, uint64_t hash,
			const mur_value *vals, group **out)
{
	uint64_t mask = h->slots_cap - 1, i = hash & mask;
	for (;;) {
		const slot *s = &h->slots[i];
		if (!s->g)
			break;
		if (s->hash == hash && s->g->keylen == keylen &&
		    memcmp(group_key(h, s->g), h->key + koff, keylen) == 0) {
			*out = s->g;
			return MUR_OK;
		}
		i = (i + 1) & mask;
	}
	if ((h->ngroups + 1) * 2 > h->slots_cap) {
		if (slots_grow(h) != MUR_OK)
			return MUR_ERR;
		mask = h->slots_cap - 1;
		i = hash & mask;
		while (h->slots[i].g)
			i = (i + 1) & mask;
	}
	group *g = group_new(h, hash, h->key + koff, keylen, vals);
	if (!g)
		return MUR_ERR;
	h->slots[i].hash = hash;
	h->slots[i].g = g;
	*out = g;
	return MUR_OK;
}

static int group_find(exec_hashagg *h, const mur_value *vals, group **out)
{
	size_t keylen = 0;
	if (key_encode(h, vals, 0, &keylen) != MUR_OK)
		return MUR_ERR;
	return group_lookup(h, 0, keylen, XXH3_64bits(h->key, keylen), vals, out);
}

/* ------------------------------------------------------------------ */
/* Distinct sets                                                      */
/* ------------------------------------------------------------------ */

static int dset_grow(exec_hashagg *h, dset *d)
{
	size_t cap = d->cap ? d->cap * 2 : DSET_INITIAL;
	dset_entry *e = xmalloc(h, cap * sizeof *e);
	if (!e)
		return MUR_ERR;
	for (size_t k = 0; k < d->cap; k++) {
		if (d->e[k].tag == TAG_NULL)
			continue;
		size_t i = d->e[k].hash & (cap - 1);
		while (e[i].tag != TAG_NULL)
			i = (i + 1) & (cap - 1);
		e[i] = d->e[k];
	}
	xfree(h, d->e, d->cap * sizeof *d->e);
	d->e = e;
	d->cap = cap;
	return MUR_OK;
}

/* The entry (without copying bytes) and hash of (gidx, v); v not NULL. */
static int dset_key(exec_hashagg *h, uint32_t gidx, const mur_value *v, dset_entry *n)
{
	memset(n, 0, sizeof *n);
	n->gidx = gidx;
	if (v->kind == MV_INT || v->kind == MV_FLOAT) {
		n->tag = (uint8_t)mur_value_num_canon(v, &n->k.i);
		n->hash = XXH3_64bits_withSeed(&n->k.i, 8, ((uint64_t)n->tag << 32) | gidx);
		return MUR_OK;
	}
	if (v->len > UINT32_MAX)
		return mur_error_set(&h->err, SQLSTATE_PROGRAM_LIMIT_EXCEEDED,
				     "distinct value too long");
	n->tag = v->kind == MV_TEXT ? TAG_TEXT : TAG_BLOB;
	n->len = (uint32_t)v->len;
	n->k.p = v->s;
	n->hash = XXH3_64bits_withSeed(v->s, v->len, ((uint64_t)n->tag << 32) | gidx);
	return MUR_OK;
}

/* Insert (gidx, v); *added = 1 when it was not there.  v is not NULL. */
static int dset_add(exec_hashagg *h, dset *d, uint32_t gidx, const mur_value *v, int *added)
{
	dset_entry n;
	if (dset_key(h, gidx, v, &n) != MUR_OK)
		return MUR_ERR;
	if ((d->count + 1) * 2 > d->cap && dset_grow(h, d) != MUR_OK)
		return MUR_ERR;
	size_t mask = d->cap - 1, i = n.hash & mask;
	for (;;) {
		dset_entry *e = &d->e[i];
		if (e->tag == TAG_NULL)
			break;
		if (e->hash == n.hash && e->gidx == gidx && e->tag == n.tag) {
			if (n.tag <= TAG_FLOAT
				    ? e->k.i == n.k.i
				    : e->len == n.len && memcmp(e->k.p, n.k.p, n.len) == 0) {
				*added = 0;
				return MUR_OK;
			}
		}
		i = (i + 1) & mask;
	}
	if (n.tag >= TAG_TEXT) {
		char *copy = arena_alloc(h, n.len ? n.len : 1);
		if (!copy)
			return MUR_ERR;
		memcpy(copy, n.k.p, n.len);
		n.k.p = copy;
	}
	d->e[i] = n;
	d->count++;
	*added = 1;
	return MUR_OK;
}

/* ------------------------------------------------------------------ */
/* Aggregate states                                                   */
/* ------------------------------------------------------------------ */

static mur_value minmax_value(const agg_state *st)
{
	switch (st->kind) {
	case MV_INT:
		return mur_v_int(st->v.i);
	case MV_FLOAT:
		return mur_v_float(st->v.f);
	case MV_TEXT:
		return mur_v_text(st->v.s, st->w.len);
	case MV_BLOB:
		return mur_v_blob(st->v.s, st->w.len);
	default:
		return mur_v_null();
	}
}

static int minmax_store(exec_hashagg *h, agg_state *st, const mur_value *v)
{
	if (v->kind == MV_TEXT || v->kind == MV_BLOB) {
		if (v->len > UINT32_MAX)
			return mur_error_set(&h->err, SQLSTATE_PROGRAM_LIMIT_EXCEEDED,
					     "value too long for min/max");
		if (st->kind != MV_TEXT && st->kind != MV_BLOB)
			st->cap = 0;
		if (v->len > st->cap) {
			char *p = arena_alloc(h, v->len);
			if (!p)
				return MUR_ERR;
			st->v.s = p;
			st->cap = (uint32_t)v->len;
		}
		if (v->len)
			memcpy((char *)st->v.s, v->s, v->len);
		st->w.len = v->len;
	} else if (v->kind == MV_INT) {
		st->v.i = v->i;
	} else {
		st->v.f = v->f;
	}
	st->kind = (uint8_t)v->kind;
	return MUR_OK;
}

static int sum_add(exec_hashagg *h, agg_state *st, const mur_value *v)
{
	mur_value num;
	if (v->kind == MV_TEXT || v->kind == MV_BLOB) {
		mur_buf_reset(&h->scratch);
		if (mur_value_from_pgtext(MT_FLOAT8, v->s, v->len, &h->scratch, &num, &h->err))
			return MUR_ERR;
		v = &num;
	}
	st->flags |= ST_HAS;
	if (v->kind == MV_INT) {
		int64_t r;
		if (__builtin_add_overflow(st->v.i, v->i, &r)) {
			/* Move the int part into the double; keep adding ints. */
			st->w.fsum += (double)st->v.i;
			st->v.i = v->i;
			st->flags |= ST_FLOAT;
		} else {
			st->v.i = r;
		}
	} else {
		st->w.fsum += v->f;
		st->flags |= ST_FLOAT;
	}
	return MUR_OK;
}

/* ---- NUM_SUM: exact decimal sums ----
 * A sum is an __int128 mantissa at the largest scale seen so far (a
 * 10M-row sum of money amounts never leaves it); what overflows it, or
 * input that is not plain [-]digits[.digits] of at most NUMX_FAST_DIGITS
 * digits (ops/numx.h), goes to a GMP number (common/numeric.h) added at the end. */

/* The arena aligns to 8 bytes: an __int128 member must not assume 16. */
typedef __int128 numsum_i128 __attribute__((aligned(8)));

typedef struct numsum {
	numsum_i128 m;
	int32_t scale;
	mur_num *big; /* malloc'd once the fast path overflows; freed at destroy */
} numsum;

static void num_from_128(mur_num *r, __int128 m, int32_t scale)
{
	unsigned __int128 a = m < 0 ? -(unsigned __int128)m : (unsigned __int128)m;
	uint64_t w[2] = {(uint64_t)a, (uint64_t)(a >> 64)};
	mpz_import(r->m, 2, -1, sizeof w[0], 0, 0, w);
	if (m < 0)
		mpz_neg(r->m, r->m);
	r->scale = scale;
}

/* Add the fast part into big and zero it. */
static int numsum_spill(numsum *ns)
{
	mur_num x;
	if (!ns->big) {
		if (!(ns->big = malloc(sizeof *ns->big)))
			return MUR_ERR;
		mur_num_init(ns->big);
	}
	mur_num_init(&x);
	num_from_128(&x, ns->m, ns->scale);
	mur_num_add(ns->big, ns->big, &x);
	mur_num_clear(&x);
	ns->m = 0;
	return MUR_OK;
}

/* The state's sum, made at its first input. */
static numsum *numsum_of(exec_hashagg *h, agg_state *st)
{
	if (!st->v.ns) {
		if (!(st->v.ns = arena_alloc(h, sizeof *st->v.ns)))
			return NULL;
		memset(st->v.ns, 0, sizeof *st->v.ns);
	}
	st->flags |= ST_HAS;
	return st->v.ns;
}

/* Add x exactly: the fast part spilled into big, x added there. */
static int numsum_add_num(exec_hashagg *h, numsum *ns, const mur_num *x)
{
	if (numsum_spill(ns) != MUR_OK)
		return mur_error_set(&h->err, SQLSTATE_OUT_OF_MEMORY, "out of memory");
	mur_num_add(ns->big, ns->big, x);
	if (x->scale > ns->scale)
		ns->scale = x->scale;
	return MUR_OK;
}

/* Add m * 10^-s: in the fast part while it fits, else through GMP. */
static int numsum_add_fixed(exec_hashagg *h, numsum *ns, __int128 m, int32_t s)
{
	__int128 r, ms;
	mur_num x;
	int rc;
	if (s > ns->scale) {
		if (!exec_numx_scale_up(ns->m, s - ns->scale, &r)) {
			if (numsum_spill(ns) != MUR_OK)
				return mur_error_set(&h->err, SQLSTATE_OUT_OF_MEMORY,
						     "out of memory");
			r = 0;
		}
		ns->m = r;
		ns->scale = s;
	}
	if (s == ns->scale && !__builtin_add_overflow(ns->m, m, &r)) { /* the common case */
		ns->m = r;
		return MUR_OK;
	}
	if (exec_numx_scale_up(m, ns->scale - s, &ms) && !__builtin_add_overflow(ns->m, ms, &r)) {
		ns->m = r;
		return MUR_OK;
	}
	mur_num_init(&x);
	num_from_128(&x, m, s);
	rc = numsum_add_num(h, ns, &x);
	mur_num_clear(&x);
	return rc;
}

/* NUM_SUM of input column col (v, the row's value there). */
static int numsum_add(exec_hashagg *h, agg_state *st, uint32_t col, const mur_value *v)
{
	numsum *ns = numsum_of(h, st);
	const numx_fixed *f;
	mur_num x;
	int rc;
	if (!ns)
		return MUR_ERR;
	if ((f = numx_row_col(&h->nrow, col)))
		return numsum_add_fixed(h, ns, f->m, f->scale);
	if (v->kind == MV_INT) /* sum(bigint): numeric, exact past 2^63 */
		return numsum_add_fixed(h, ns, v->i, 0);
	/* the slow way: v through GMP, added to big */
	mur_num_init(&x);
	rc = mur_num_from_value(&x, v, &h->err);
	if (rc == MUR_OK)
		rc = numsum_add_num(h, ns, &x);
	mur_num_clear(&x);
	return rc;
}

/* NUM_SUM of expression x over the row vals: fixed point, else exact. */
static int numsum_add_expr(exec_hashagg *h, agg_state *st, const exec_numx *x,
			   const mur_value *vals)
{
	numsum *ns;
	__int128 m;
	int32_t s;
	mur_num r;
	int rc, is_null;
	switch (exec_numx_fast(x, &h->nrow, &m, &s)) {
	case NUMX_NULL:
		return MUR_OK;
	case NUMX_FAST:
		return (ns = numsum_of(h, st)) ? numsum_add_fixed(h, ns, m, s) : MUR_ERR;
	default:
		break;
	}
	mur_num_init(&r);
	rc = exec_numx_exact(x, vals, &r, &is_null, &h->err);
	if (rc == MUR_OK && !is_null)
		rc = (ns = numsum_of(h, st)) ? numsum_add_num(h, ns, &r) : MUR_ERR;
	mur_num_clear(&r);
	return rc;
}

/* COUNT and NUM_SUM of a numeric expression (exec_hashagg_validate lets
 * no other aggregate read one). */
static int update_expr(exec_hashagg *h, const exec_agg *ag, agg_state *st, const mur_value *vals)
{
	const exec_numx *x = &h->spec.exprs[ag->col & ~EXEC_AGG_COL_EXPR];
	if (ag->fn == EXEC_AGG_NUM_SUM)
		return numsum_add_expr(h, st, x, vals);
	st->v.i += !exec_numx_is_null(x, vals);
	return MUR_OK;
}

/* The sum's text in h->scratch, v pointing at it (NULL without input). */
/* m * 10^-scale as numeric text, as mur_num_to_text writes it ("-0.05",
 * "0.00", "123.45"), without GMP: a 128-bit value has at most 39 digits,
 * far within numeric's limits.  TPC-H's Q18 prints 150,000 sums. */
static void fixed_to_text(mur_buf *out, __int128 m, int32_t scale)
{
	char digits[48];
	size_t nd = 0, sc = (size_t)scale;
	unsigned __int128 a = m < 0 ? -(unsigned __int128)m : (unsigned __int128)m;
	do {
		digits[sizeof digits - 1 - nd++] = (char)('0' + (int)(a % 10));
		a /= 10;
	} while (a);
	const char *d = digits + sizeof digits - nd;
	if (m < 0)
		mur_buf_put_u8(out, '-');
	if (nd <= sc) {
		mur_buf_put_u8(out, '0');
		mur_buf_put_u8(out, '.');
		for (size_t i = nd; i < sc; i++)
			mur_buf_put_u8(out, '0');
		mur_buf_put(out, d, nd);
	} else {
		mur_buf_put(out, d, nd - sc);
		if (sc) {
			mur_buf_put_u8(out, '.');
			mur_buf_put(out, d + nd - sc, sc);
		}
	}
}

static int numsum_output(exec_hashagg *h, const agg_state *st, mur_value *v)
{
	numsum *ns = st->v.ns;
	mur_num r;
	*v = mur_v_null();
	if (!ns || !(st->flags & ST_HAS))
		return MUR_OK;
	if (!ns->big && ns->scale >= 0 &&
	    ns->scale <= MUR_NUM_SCALE_MAX) { /* the fast part alone */
		mur_buf_reset(&h->scratch);
		fixed_to_text(&h->scratch, ns->m, ns->scale);
		if (!mur_buf_ok(&h->scratch))
			return mur_error_set(&h->err, SQLSTATE_OUT_OF_MEMORY, "out of memory");
		*v = mur_v_text(h->scratch.data, h->scratch.len);
		return MUR_OK;
	}
	mur_num_init(&r);
	num_from_128(&r, ns->m, ns->scale);
	if (ns->big)
		mur_num_add(&r, &r, ns->big);
	mur_num_round(&r, &r, ns->scale); /* big's scale may be below the fast part's */
	int rc = mur_num_check(&r, &h->err);
	mur_buf_reset(&h->scratch);
	mur_num_to_text(&r, &h->scratch);
	mur_num_clear(&r);
	if (!mur_buf_ok(&h->scratch))
		return mur_error_set(&h->err, SQLSTATE_OUT_OF_MEMORY, "out of memory");
	*v = mur_v_text(h->scratch.data, h->scratch.len);
	return rc;
}

/* ---- IV_SUM: interval sums, field by field as interval_pl ----
 * months, days and microseconds add apart (1 mon + 30 days stays so);
 * 22008 "interval out of range" when one overflows, as PostgreSQL. */
static int ivsum_add(exec_hashagg *h, agg_state *st, const mur_value *v)
{
	mur_interval x;
	if (v->kind != MV_TEXT || mur_iv_load(v->s, v->len, &x) != MUR_OK)
		return mur_error_set(&h->err, SQLSTATE_INTERNAL_ERROR,
				     "sum(interval) was given a value that is no interval");
	if (!st->v.iv) {
		if (!(st->v.iv = arena_alloc(h, sizeof *st->v.iv)))
			return MUR_ERR;
		*st->v.iv = x;
		return MUR_OK;
	}
	return mur_iv_add(st->v.iv, &x, 1, st->v.iv, &h->err);
}

/* The sum's stored form in h->scratch, v pointing at it (NULL without
 * input). */
static int ivsum_output(exec_hashagg *h, const agg_state *st, mur_value *v)
{
	*v = mur_v_null();
	if (!st->v.iv)
		return MUR_OK;
	mur_buf_reset(&h->scratch);
	mur_iv_store(st->v.iv, &h->scratch);
	if (!mur_buf_ok(&h->scratch))
		return mur_error_set(&h->err, SQLSTATE_OUT_OF_MEMORY, "out of memory");
	*v = mur_v_text(h->scratch.data, h->scratch.len);
	return MUR_OK;
}

/* NUM_MIN / NUM_MAX order: numeric TEXT by value, anything else as
 * mur_value_cmp. */
static int num_value_cmp(const mur_value *a, const mur_value *b)
{
	if (a->kind == MV_TEXT && b->kind == MV_TEXT)
		return mur_num_text_cmp(a->s, a->len, b->s, b->len);
	return mur_value_cmp(a, b);
}

static int truthy(exec_hashagg *h, const mur_value *v, int *out)
{
	mur_value b;
	switch (v->kind) {
	case MV_INT:
		*out = v->i != 0;
		return MUR_OK;
	case MV_FLOAT:
		*out = v->f != 0;
		return MUR_OK;
	default:
		mur_buf_reset(&h->scratch);
		if (mur_value_from_pgtext(MT_BOOL, v->s, v->len, &h->scratch, &b, &h->err))
			return MUR_ERR;
		*out = b.i != 0;
		return MUR_OK;
	}
}

static int is_sketch_fn(uint8_t fn)
{
	return fn == EXEC_AGG_HLL || fn == EXEC_AGG_HLL_MERGE || fn == EXEC_AGG_HLL_COUNT;
}

/* HLL: add v; HLL_MERGE / HLL_COUNT: merge the sketch blob v.  v is not
 * NULL.  The sketch is made at the first input. */
static int sketch_update(exec_hashagg *h, uint8_t fn, agg_state *st, const mur_value *v)
{
	int rc;
	if (!st->v.sk) {
		if (!(st->v.sk = arena_alloc(h, sizeof(hll))))
			return MUR_ERR;
		hll_init(st->v.sk, HLL_P_DEFAULT, &h->sketch_mem);
	}
	if (fn == EXEC_AGG_HLL)
		rc = hll_add(st->v.sk, v);
	else if (v->kind != MV_BLOB)
		return mur_error_set(&h->err, SQLSTATE_INVALID_BINARY_REPRESENTATION,
				     "invalid HyperLogLog sketch: a bytea sketch was expected");
	else
		rc = hll_merge_blob(st->v.sk, v->s, v->len, &h->err);
	return rc == MUR_OK ? MUR_OK : MUR_ERR; /* errors set by hll or sketch_resize */
}

static int update(exec_hashagg *h, group *g, const mur_value *vals)
{
	numx_row_start(&h->nrow, vals);
	for (uint32_t a = 0; a < h->spec.naggs; a++) {
		const exec_agg *ag = &h->spec.aggs[a];
		agg_state *st = &g->st[a];
		if (ag->fn == EXEC_AGG_COUNT_STAR) {
			st->v.i++;
			continue;
		}
		int rc = MUR_OK, added = 0, b;
		if (ag->col & EXEC_AGG_COL_EXPR) {
			if ((rc = update_expr(h, ag, st, vals)) != MUR_OK) {
				h->failed = 1;
				return rc;
			}
			continue;
		}
		const mur_value *v = &vals[ag->col];
		if (v->kind == MV_NULL)
			continue;
		mur_value cur, canon;
		switch (ag->fn) {
		case EXEC_AGG_COUNT:
			st->v.i++;
			break;
		case EXEC_AGG_SUM:
		case EXEC_AGG_SUM_COUNT:
			rc = sum_add(h, st, v);
			break;
		case EXEC_AGG_MIN:
		case EXEC_AGG_MAX:
			cur = minmax_value(st);
			if (st->kind == MV_NULL ||
			    (ag->fn == EXEC_AGG_MIN ? mur_value_cmp(v, &cur) < 0
						    : mur_value_cmp(v, &cur) > 0))
				rc = minmax_store(h, st, v);
			break;
		case EXEC_AGG_NUM_MIN:
		case EXEC_AGG_NUM_MAX:
			cur = minmax_value(st);
			if (st->kind == MV_NULL ||
			    (ag->fn == EXEC_AGG_NUM_MIN ? num_value_cmp(v, &cur) < 0
							: num_value_cmp(v, &cur) > 0))
				rc = minmax_store(h, st, v);
			break;
		case EXEC_AGG_NUM_SUM:
			rc = numsum_add(h, st, ag->col, v);
			break;
		case EXEC_AGG_IV_SUM:
			rc = ivsum_add(h, st, v);
			break;
		case EXEC_AGG_COUNT_DISTINCT:
			if (value_key(h, ag->col) && (v->kind == MV_TEXT || v->kind == MV_INT)) {
				mur_buf_reset(&h->canon);
				mur_key_canon(exec_key_kind(&h->spec.keys, ag->col), v, &h->canon);
				canon = mur_v_text(h->canon.data, h->canon.len);
				v = mur_buf_ok(&h->canon) ? &canon : v;
			}
			rc = dset_add(h, &h->dsets[a], g->index, v, &added);
			st->v.i += rc == MUR_OK && added;
			break;
		case EXEC_AGG_HLL:
		case EXEC_AGG_HLL_MERGE:
		case EXEC_AGG_HLL_COUNT:
			rc = sketch_update(h, ag->fn, st, v);
			break;
		case EXEC_AGG_BOOL_AND:
		case EXEC_AGG_BOOL_OR:
			rc = truthy(h, v, &b);
			if (rc == MUR_OK) {
				if (!(st->flags & ST_HAS))
					st->v.i = b;
				else if (ag->fn == EXEC_AGG_BOOL_AND)
					st->v.i = st->v.i && b;
				else
					st->v.i = st->v.i || b;
				st->flags |= ST_HAS;
			}
			break;
		case EXEC_AGG_BIT_AND:
		case EXEC_AGG_BIT_OR:
		case EXEC_AGG_BIT_XOR:
			if (v->kind != MV_INT)
				break; /* NULL */
			if (!(st->flags & ST_HAS))
				st->v.i = v->i;
			else if (ag->fn == EXEC_AGG_BIT_AND)
				st->v.i &= v->i;
			else if (ag->fn == EXEC_AGG_BIT_OR)
				st->v.i |= v->i;
			else
				st->v.i ^= v->i;
			st->flags |= ST_HAS;
			break;
		default:
			break;
		}
		if (rc != MUR_OK) {
			h->failed = 1;
			return rc;
		}
	}
	return MUR_OK;
}

static mur_value agg_output(const exec_agg *ag, const agg_state *st)
{
	switch (ag->fn) {
	case EXEC_AGG_COUNT_STAR:
	case EXEC_AGG_COUNT:
	case EXEC_AGG_COUNT_DISTINCT:
		return mur_v_int(st->v.i);
	case EXEC_AGG_SUM:
	case EXEC_AGG_SUM_COUNT:
		if (!(st->flags & ST_HAS))
			return ag->fn == EXEC_AGG_SUM_COUNT ? mur_v_int(0) : mur_v_null();
		if (st->flags & ST_FLOAT)
			return mur_v_float(st->w.fsum + (double)st->v.i);
		return mur_v_int(st->v.i);
	case EXEC_AGG_MIN:
	case EXEC_AGG_MAX:
	case EXEC_AGG_NUM_MIN:
	case EXEC_AGG_NUM_MAX:
		return minmax_value(st);
	case EXEC_AGG_BOOL_AND:
	case EXEC_AGG_BOOL_OR:
	case EXEC_AGG_BIT_AND:
	case EXEC_AGG_BIT_OR:
	case EXEC_AGG_BIT_XOR:
		return (st->flags & ST_HAS) ? mur_v_int(st->v.i) : mur_v_null();
	case EXEC_AGG_HLL_COUNT:
		return mur_v_int(st->v.sk ? hll_count(st->v.sk) : 0);
	default:
		return mur_v_null();
	}
}

/* ------------------------------------------------------------------ */
/* Public API                                                         */
/* ------------------------------------------------------------------ */

int exec_hashagg_validate(const exec_agg_spec *spec, uint32_t ncols_in, mur_error *err)
{
	if (spec->ngroup > ncols_in)
		return mur_error_set(err, SQLSTATE_INTERNAL_ERROR,
				     "aggregate groups by %u columns of %u", spec->ngroup,
				     ncols_in);
	if (spec->naggs > EXEC_AGGS_MAX)
		return mur_error_set(err, SQLSTATE_INTERNAL_ERROR, "too many aggregates: %u",
				     spec->naggs);
	for (uint32_t a = 0; a < spec->naggs; a++) {
		const exec_agg *ag = &spec->aggs[a];
		if (ag->fn < EXEC_AGG_COUNT_STAR || ag->fn > EXEC_AGG_FN_MAX)
			return mur_error_set(err, SQLSTATE_INTERNAL_ERROR,
					     "unknown aggregate function %u", ag->fn);
		if (ag->fn != EXEC_AGG_COUNT_STAR && (ag->col & EXEC_AGG_COL_EXPR) &&
		    ((ag->col & ~EXEC_AGG_COL_EXPR) >= spec->nexprs ||
		     (ag->fn != EXEC_AGG_NUM_SUM && ag->fn != EXEC_AGG_COUNT)))
			return mur_error_set(err, SQLSTATE_INTERNAL_ERROR,
					     "aggregate %u reads expression %u of %u", a,
					     ag->col & ~EXEC_AGG_COL_EXPR, spec->nexprs);
		if (ag->fn != EXEC_AGG_COUNT_STAR && !(ag->col & EXEC_AGG_COL_EXPR) &&
		    ag->col >= ncols_in)
			return mur_error_set(err, SQLSTATE_INTERNAL_ERROR,
					     "aggregate %u reads column %u of %u", a, ag->col,
					     ncols_in);
	}
	if (spec->nexprs > EXEC_NUMX_MAX)
		return mur_error_set(err, SQLSTATE_INTERNAL_ERROR,
				     "too many numeric expressions: %u", spec->nexprs);
	for (uint32_t i = 0; i < spec->nexprs; i++)
		if (exec_numx_validate(&spec->exprs[i], ncols_in, err) != MUR_OK)
			return MUR_ERR;
	return MUR_OK;
}

exec_hashagg *exec_hashagg_create(const exec_agg_spec *spec, uint32_t ncols_in)
{
	mur_error err;
	if (exec_hashagg_validate(spec, ncols_in, &err) != MUR_OK)
		return NULL;
	exec_hashagg *h = calloc(1, sizeof *h);
	if (!h)
		return NULL;
	h->spec = *spec;
	h->ncols_in = ncols_in;
	h->limit = EXEC_HASHAGG_BYTES_MAX;
	h->chunk_next = ARENA_CHUNK_MIN;
	h->group_bytes = sizeof(group) + spec->naggs * sizeof(agg_state);
	h->sketch_mem = (hll_mem){.resize = sketch_resize, .ctx = h};
	for (uint32_t a = 0; a < spec->naggs; a++)
		h->has_sketch |= is_sketch_fn(spec->aggs[a].fn);
	mur_error_clear(&h->err);
	mur_buf_init(&h->scratch);
	mur_buf_init(&h->canon);
	mur_buf_init(&h->shown);
	h->key_cap = 64 + 9 * (size_t)spec->ngroup;
	h->key = malloc(h->key_cap);
	h->row = calloc((size_t)HASHAGG_BATCH * (ncols_in ? ncols_in : 1), sizeof *h->row);
	h->slots_cap = SLOTS_INITIAL;
	h->slots = xmalloc(h, h->slots_cap * sizeof *h->slots);
	if (!h->key || !h->row || !h->slots || numx_row_init(&h->nrow, ncols_in) != MUR_OK)
		goto fail;
	if (spec->ngroup == 0 && !group_new(h, 0, NULL, 0, NULL))
		goto fail;
	return h;
fail:
	exec_hashagg_destroy(h);
	return NULL;
}

void exec_hashagg_destroy(exec_hashagg *h)
{
	if (!h)
		return;
	for (uint64_t gi = 0; h->has_sketch && gi < h->ngroups; gi++)
		for (uint32_t a = 0; a < h->spec.naggs; a++)
			if (is_sketch_fn(h->spec.aggs[a].fn) && h->groups[gi]->st[a].v.sk)
				hll_free(h->groups[gi]->st[a].v.sk);
	for (uint64_t gi = 0; gi < h->ngroups; gi++)
		for (uint32_t a = 0; a < h->spec.naggs; a++) {
			numsum *ns = h->spec.aggs[a].fn == EXEC_AGG_NUM_SUM
					     ? h->groups[gi]->st[a].v.ns
					     : NULL;
			if (ns && ns->big) {
				mur_num_clear(ns->big);
				free(ns->big);
			}
		}
	while (h->chunks) {
		arena_chunk *c = h->chunks;
		h->chunks = c->next;
		xfree(h, c, c->size);
	}
	for (uint32_t a = 0; a < EXEC_AGGS_MAX; a++)
		xfree(h, h->dsets[a].e, h->dsets[a].cap * sizeof *h->dsets[a].e);
	free(h->groups);
	xfree(h, h->slots, h->slots_cap * sizeof *h->slots);
	free(h->key);
	free(h->row);
	mur_buf_free(&h->scratch);
	mur_buf_free(&h->canon);
	mur_buf_free(&h->shown);
	numx_row_free(&h->nrow);
	free(h);
}

void exec_hashagg_set_limit(exec_hashagg *h, size_t bytes_max)
{
	h->limit = bytes_max ? bytes_max : EXEC_HASHAGG_BYTES_MAX;
	if (h->limit < h->bytes)
		h->limit = h->bytes;
}

int exec_hashagg_add_row(exec_hashagg *h, const mur_value *vals)
{
	group *g;
	if (h->failed)
		return MUR_ERR;
	if (h->spec.ngroup == 0)
		g = h->groups[0];
	else if (group_find(h, vals, &g) != MUR_OK)
		return (h->failed = 1), MUR_ERR;
	return update(h, g, vals);
}

/* mur_row decoding, inlined for the hot loop; bounds-checked. */
static inline int rd_value(const unsigned char **pp, const unsigned char *end, mur_value *v)
{
	const unsigned char *p = *pp;
	uint64_t u;
	uint32_t n;
	if (p >= end)
		return MUR_EPROTO;
	switch (*p++) {
	case MV_NULL:
		*v = mur_v_null();
		break;
	case MV_INT:
	case MV_FLOAT:
		if (end - p < 8)
			return MUR_EPROTO;
		u = (uint64_t)p[0] << 56 | (uint64_t)p[1] << 48 | (uint64_t)p[2] << 40 |
		    (uint64_t)p[3] << 32 | (uint64_t)p[4] << 24 | (uint64_t)p[5] << 16 |
		    (uint64_t)p[6] << 8 | p[7];
		if (p[-1] == MV_INT) {
			*v = mur_v_int((int64_t)u);
		} else {
			double d;
			memcpy(&d, &u, 8);
			*v = mur_v_float(d);
		}
		p += 8;
		break;
	case MV_TEXT:
	case MV_BLOB:
		if (end - p < 4)
			return MUR_EPROTO;
		n = (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
		p += 4;
		if ((size_t)(end - p) < n)
			return MUR_EPROTO;
		*v = p[-5] == MV_TEXT ? mur_v_text((const char *)p, n)
				      : mur_v_blob((const char *)p, n);
		p += n;
		break;
	default:
		return MUR_EPROTO;
	}
	*pp = p;
	return MUR_OK;
}

/*
 * Update the states of n rows whose groups are known, prefetching the
 * distinct-set slots of COUNT_DISTINCT first (one more miss per row).
 */
static int update_batch(exec_hashagg *h, group *const *gs, const mur_value *vals, uint32_t n)
{
	uint32_t nc = h->ncols_in;
	for (uint32_t a = 0; a < h->spec.naggs; a++) {
		const dset *d = &h->dsets[a];
		if (h->spec.aggs[a].fn != EXEC_AGG_COUNT_DISTINCT || !d->cap)
			continue;
		for (uint32_t r = 0; r < n; r++) {
			const mur_value *v = &vals[(size_t)r * nc + h->spec.aggs[a].col];
			dset_entry e;
			if (v->kind != MV_NULL && dset_key(h, gs[r]->index, v, &e) == MUR_OK)
				__builtin_prefetch(&d->e[e.hash & (d->cap - 1)]);
		}
	}
	for (uint32_t r = 0; r < n; r++)
		if (update(h, gs[r], vals + (size_t)r * nc) != MUR_OK)
			return MUR_ERR;
	return MUR_OK;
}

/*
 * n rows (vals[0 .. n * ncols_in)), same result as n exec_hashagg_add_row
 * calls.  High-cardinality aggregation is bound by memory latency (a slot
 * miss, then a group miss, ~200 ns each here), so the batch overlaps them:
 * hash every key and prefetch its slot; walk each probe chain to its
 * candidate group and prefetch that; then look up/insert and update with
 * the lines already in cache.  A row whose encoded key equals the previous
 * row's takes that row's group with neither hash nor probe: input in group
 * order (lineitem by its order key, TPC-H's Q18) skips most lookups
 * (followers' CPU for its GROUP BY l_orderkey about 10% less).
 */
static int add_batch(exec_hashagg *h, const mur_value *vals, uint32_t n)
{
	size_t koff[HASHAGG_BATCH], klen[HASHAGG_BATCH], off = 0;
	uint64_t hs[HASHAGG_BATCH];
	group *gs[HASHAGG_BATCH];
	uint8_t same[HASHAGG_BATCH];
	uint32_t nc = h->ncols_in;

	if (h->spec.ngroup == 0) {
		for (uint32_t r = 0; r < n; r++)
			gs[r] = h->groups[0];
		return update_batch(h, gs, vals, n);
	}
	for (uint32_t r = 0; r < n; r++) {
		if (key_encode(h, vals + (size_t)r * nc, off, &klen[r]) != MUR_OK)
			goto fail;
		koff[r] = off;
		/* the previous row's key (input in group order: lineitem by
		 * order key): its group, no hash nor probe */
		same[r] = r > 0 && klen[r] == klen[r - 1] &&
			  memcmp(h->key + koff[r], h->key + koff[r - 1], klen[r]) == 0;
		if (same[r]) {
			koff[r] = koff[r - 1];
			hs[r] = hs[r - 1];
			continue;
		}
		off += klen[r];
		hs[r] = XXH3_64bits(h->key + koff[r], klen[r]);
		__builtin_prefetch(&h->slots[hs[r] & (h->slots_cap - 1)]);
	}
	for (uint32_t r = 0; r < n; r++) {
		uint64_t mask = h->slots_cap - 1, i = hs[r] & mask;
		const slot *s;
		if (same[r])
			continue;
		while ((s = &h->slots[i])->g && s->hash != hs[r])
			i = (i + 1) & mask;
		if (s->g) {
			__builtin_prefetch(s->g);
			__builtin_prefetch((const char *)s->g + 64);
		}
	}
	for (uint32_t r = 0; r < n; r++)
		if (same[r])
			gs[r] = gs[r - 1];
		else if (group_lookup(h, koff[r], klen[r], hs[r], vals + (size_t)r * nc, &gs[r]) !=
			 MUR_OK)
			goto fail;
	return update_batch(h, gs, vals, n);
fail:
	h->failed = 1;
	return MUR_ERR;
}

int exec_hashagg_add_rows(exec_hashagg *h, const char *rows, size_t len, uint64_t nrows)
{
	const unsigned char *p = (const unsigned char *)rows, *end = p + len;
	if (h->failed)
		return MUR_ERR;
	for (uint64_t r = 0; r < nrows;) {
		uint32_t n = nrows - r < HASHAGG_BATCH ? (uint32_t)(nrows - r) : HASHAGG_BATCH;
		for (size_t k = 0; k < (size_t)n * h->ncols_in; k++)
			if (rd_value(&p, end, &h->row[k]) != MUR_OK)
				goto malformed;
		if (add_batch(h, h->row, n) != MUR_OK)
			return MUR_ERR;
		r += n;
	}
	if (p != end)
		goto malformed;
	return MUR_OK;
malformed:
	h->failed = 1;
	mur_error_set(&h->err, SQLSTATE_INTERNAL_ERROR,
		      "malformed rows for hash aggregate (%u columns)", h->ncols_in);
	return MUR_EPROTO;
}

/* *v = a sketch as a BLOB in h->scratch (valid until its next use); the
 * empty sketch when sk is NULL (no input).  MUR_OK or MUR_ENOMEM. */
static int sketch_output(exec_hashagg *h, const hll *sk, mur_value *v)
{
	hll empty;
	if (!sk) {
		hll_init(&empty, HLL_P_DEFAULT, NULL);
		sk = &empty;
	}
	mur_buf_reset(&h->scratch);
	hll_serialize(sk, &h->scratch);
	*v = mur_v_blob(h->scratch.data, h->scratch.len);
	return mur_buf_ok(&h->scratch) ? MUR_OK : MUR_ENOMEM;
}

int exec_hashagg_finish(exec_hashagg *h, mur_buf *out, uint64_t *nrows_out)
{
	if (h->failed)
		return MUR_ERR;
	for (uint64_t gi = 0; gi < h->ngroups; gi++) {
		const group *g = h->groups[gi];
		const char *k = group_key(h, g), *shown = k + g->keylen;
		for (uint32_t c = 0; c < h->spec.ngroup; c++) {
			mur_value v = key_decode(&k, &shown);
			mur_row_put_value(out, &v);
		}
		for (uint32_t a = 0; a < h->spec.naggs; a++) {
			uint8_t fn = h->spec.aggs[a].fn;
			mur_value v = agg_output(&h->spec.aggs[a], &g->st[a]);
			if (fn == EXEC_AGG_NUM_SUM && numsum_output(h, &g->st[a], &v) != MUR_OK) {
				h->failed = 1;
				return MUR_ERR;
			}
			if (fn == EXEC_AGG_IV_SUM && ivsum_output(h, &g->st[a], &v) != MUR_OK) {
				h->failed = 1;
				return MUR_ERR;
			}
			if ((fn == EXEC_AGG_HLL || fn == EXEC_AGG_HLL_MERGE) &&
			    sketch_output(h, g->st[a].v.sk, &v) != MUR_OK) {
				h->failed = 1;
				return mur_error_set(&h->err, SQLSTATE_OUT_OF_MEMORY,
						     "out of memory");
			}
			mur_row_put_value(out, &v);
		}
	}
	if (!mur_buf_ok(out)) {
		h->failed = 1;
		return mur_error_set(&h->err, SQLSTATE_OUT_OF_MEMORY, "out of memory");
	}
	*nrows_out = h->ngroups;
	return MUR_OK;
}

const mur_error *exec_hashagg_error(const exec_hashagg *h) { return &h->err; }
uint64_t exec_hashagg_groups(const exec_hashagg *h) { return h->ngroups; }
size_t exec_hashagg_bytes(const exec_hashagg *h) { return h->bytes; }
