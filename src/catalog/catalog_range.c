/*
 * catalog_range.c — range-partitioned tables (CAT_DIST_RANGE): where a
 * value lives, which shards a range of values touches, and when two
 * tables are co-located.
 *
 * Each shard carries its own lower bound (cat_shard.range_min, durable in
 * shards.range_min); exactly one shard is unbounded below (MV_NULL).  The
 * range order (cat_table.range_order) lists the shard indexes by ascending
 * lower bound, so position p covers [L(p), L(p+1)) with L(0) = -inf and
 * L(n) = +inf.  Bounds live per shard rather than per table so that a
 * split (the hot-segment work) appends a shard with a new index and a new
 * lower bound and re-sorts the order: no file is renamed, no other shard
 * changes.
 *
 * Invariants (checked by range_order_ok when the order is built):
 *   1. position 0 holds the one shard with range_min MV_NULL;
 *   2. L(1) < L(2) < ... < L(n-1) by mur_value_cmp, all of one storage
 *      class (the distribution column's).
 * Lookup is a binary search for the last position whose bound is <= v.
 */
#include "catalog/catalog_int.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* Copy v into the shard as its lower bound (TEXT/BLOB bytes malloc'd). */
int cat_shard_set_range_min(cat_shard *s, const mur_value *v)
{
	char *bytes = NULL;
	if (v->kind == MV_TEXT || v->kind == MV_BLOB) {
		bytes = malloc(v->len + 1);
		if (!bytes)
			return MUR_ENOMEM;
		if (v->len)
			memcpy(bytes, v->s, v->len);
		bytes[v->len] = '\0';
	}
	free(s->range_bytes);
	s->range_bytes = bytes;
	s->range_min = *v;
	if (bytes)
		s->range_min.s = bytes;
	return MUR_OK;
}

void cat_range_free(cat_table *t)
{
	if (t->shards)
		for (uint32_t i = 0; i < t->nshards; i++)
			free(t->shards[i].range_bytes);
	free(t->range_order);
	t->range_order = NULL;
}

static const mur_value *bound_at(const cat_table *t, uint32_t pos)
{
	return &t->shards[t->range_order[pos]].range_min;
}

/* Lower bounds: NULL (unbounded) first, then ascending (qsort_r). */
static int by_bound(const void *a, const void *b, void *table)
{
	const cat_table *t = table;
	const mur_value *x = &t->shards[*(const uint32_t *)a].range_min;
	const mur_value *y = &t->shards[*(const uint32_t *)b].range_min;
	if (x->kind == MV_NULL || y->kind == MV_NULL)
		return (x->kind != MV_NULL) - (y->kind != MV_NULL);
	return mur_value_cmp(x, y);
}

static int range_order_ok(const cat_table *t)
{
	if (bound_at(t, 0)->kind != MV_NULL)
		return 0;
	for (uint32_t p = 1; p < t->nshards; p++) {
		const mur_value *v = bound_at(t, p);
		if (v->kind == MV_NULL || (v->kind == MV_FLOAT && v->f != v->f))
			return 0;
		if (p > 1 && (bound_at(t, p - 1)->kind != v->kind ||
			      mur_value_cmp(bound_at(t, p - 1), v) >= 0))
			return 0;
	}
	return 1;
}

int cat_range_build_order(cat_table *t)
{
	uint32_t *order = malloc(sizeof *order * (t->nshards ? t->nshards : 1));
	if (!order)
		return MUR_ENOMEM;
	for (uint32_t i = 0; i < t->nshards; i++)
		order[i] = i;
	qsort_r(order, t->nshards, sizeof *order, by_bound, t);
	free(t->range_order);
	t->range_order = order;
	return range_order_ok(t) ? MUR_OK : MUR_ERR;
}

int cat_range_init(cat_table *t, const cat_shard *bounds, mur_error *err)
{
	mur_value none = mur_v_null();
	for (uint32_t i = 0; i < t->nshards; i++)
		if (cat_shard_set_range_min(&t->shards[i], bounds ? &bounds[i].range_min : &none) !=
		    MUR_OK)
			return mur_error_set(err, SQLSTATE_OUT_OF_MEMORY, "out of memory");
	int rc = cat_range_build_order(t);
	if (rc == MUR_ENOMEM)
		return mur_error_set(err, SQLSTATE_OUT_OF_MEMORY, "out of memory");
	if (rc != MUR_OK)
		return mur_error_set(err, SQLSTATE_INVALID_PARAMETER_VALUE,
				     "range bounds of table \"%s\" must be one unbounded shard and "
				     "strictly increasing values of one type",
				     t->name);
	return MUR_OK;
}

/* The last position whose lower bound is <= v (0 when v is below L(1)). */
static uint32_t position_of(const cat_table *t, const mur_value *v)
{
	uint32_t lo = 0, hi = t->nshards - 1;
	while (lo < hi) {
		uint32_t mid = lo + (hi - lo + 1) / 2; /* >= 1: never the unbounded L(0) */
		if (mur_value_cmp(bound_at(t, mid), v) <= 0)
			lo = mid;
		else
			hi = mid - 1;
	}
	return lo;
}

uint32_t cat_range_shard_for_value(const cat_table *t, const mur_value *v)
{
	if (v->kind == MV_NULL)
		return t->range_order[0];
	return t->range_order[position_of(t, v)];
}

/* An integer column holds nothing strictly between two integers, so a
 * bound means an inclusive integer: v > 9.5 is v >= 10, v < 10 is v <= 9
 * (then a bound next to a split point does not read the shard below it).
 * 0 when v is no number or beyond int64: it stays as it is. */
static int integer_bound(const mur_value *v, int inclusive, int upper, mur_value *out)
{
	double f;
	if (v->kind == MV_INT) {
		if (!inclusive && v->i == (upper ? INT64_MIN : INT64_MAX))
			return 0;
		*out = mur_v_int(inclusive ? v->i : upper ? v->i - 1 : v->i + 1);
		return 1;
	}
	if (v->kind != MV_FLOAT)
		return 0;
	f = upper ? floor(v->f) : ceil(v->f);
	if (!inclusive && f == v->f)
		f += upper ? -1 : 1;
	if (!(f >= -0x1p63 && f < 0x1p63))
		return 0;
	*out = mur_v_int((int64_t)f);
	return 1;
}

int cat_range_shards(const cat_table *t, const mur_value *lo, int lo_inclusive, const mur_value *hi,
		     int hi_inclusive, uint32_t *out)
{
	uint32_t plo = 0, phi = t->nshards - 1;
	int n = 0;
	mur_value ilo, ihi;
	/* A NaN bound orders nowhere reliably: it narrows nothing. */
	if (lo && lo->kind == MV_FLOAT && lo->f != lo->f)
		lo = NULL;
	if (hi && hi->kind == MV_FLOAT && hi->f != hi->f)
		hi = NULL;
	if ((lo && lo->kind == MV_NULL) || (hi && hi->kind == MV_NULL))
		return 0; /* a comparison with NULL holds for no row */
	if (mur_type_is_integer(t->cols[t->dist_col].type)) {
		if (lo && integer_bound(lo, lo_inclusive, 0, &ilo))
			lo = &ilo; /* (v > lo may otherwise still lie in lo's shard) */
		if (hi && integer_bound(hi, hi_inclusive, 1, &ihi)) {
			hi = &ihi;
			hi_inclusive = 1;
		}
	}
	if (lo)
		plo = position_of(t, lo);
	if (hi) {
		phi = position_of(t, hi);
		/* v < hi where hi is exactly a shard's lower bound: not that shard */
		if (!hi_inclusive && phi > 0 && mur_value_cmp(bound_at(t, phi), hi) == 0)
			phi--;
	}
	for (uint32_t p = plo; p <= phi; p++)
		out[n++] = t->range_order[p];
	return n;
}

int cat_shard_range_max(const cat_table *t, uint32_t shard, mur_value *out)
{
	for (uint32_t p = 0; p + 1 < t->nshards; p++)
		if (t->range_order[p] == shard) {
			*out = *bound_at(t, p + 1);
			return 1;
		}
	*out = mur_v_null();
	return 0;
}

/* Hash shards by hash_min (qsort_r). */
static int by_hash(const void *a, const void *b, void *table)
{
	const cat_table *t = table;
	uint32_t x = t->shards[*(const uint32_t *)a].hash_min;
	uint32_t y = t->shards[*(const uint32_t *)b].hash_min;
	return (x > y) - (x < y);
}

int cat_hash_build_order(cat_table *t)
{
	int even = 1;
	for (uint32_t i = 0; i < t->nshards && even; i++)
		even = cat_shard_for_hash32(t->nshards, t->shards[i].hash_min) == i &&
		       cat_shard_for_hash32(t->nshards, t->shards[i].hash_max) == i;
	free(t->range_order);
	t->range_order = NULL;
	if (even)
		return MUR_OK; /* the arithmetic of catalog.h places values */
	if (!(t->range_order = malloc(sizeof *t->range_order * t->nshards)))
		return MUR_ENOMEM;
	for (uint32_t i = 0; i < t->nshards; i++)
		t->range_order[i] = i;
	qsort_r(t->range_order, t->nshards, sizeof *t->range_order, by_hash, t);
	return MUR_OK;
}

uint32_t cat_hash_shard_for(const cat_table *t, uint32_t hash32)
{
	uint32_t lo = 0, hi = t->nshards - 1;
	if (!t->range_order)
		return cat_shard_for_hash32(t->nshards, hash32);
	while (lo < hi) { /* the last position whose hash_min is <= hash32 */
		uint32_t mid = lo + (hi - lo + 1) / 2;
		if (t->shards[t->range_order[mid]].hash_min <= hash32)
			lo = mid;
		else
			hi = mid - 1;
	}
	return t->range_order[lo];
}

int cat_tables_colocated(const cat_table *a, const cat_table *b)
{
	if (a->distribution != b->distribution || a->nshards != b->nshards ||
	    cat_table_is_reference(a) || a->dist_col < 0 || b->dist_col < 0 ||
	    mur_type_storage(a->cols[a->dist_col].type) !=
		    mur_type_storage(b->cols[b->dist_col].type) ||
	    /* char(n) hashes without trailing spaces, varchar with them */
	    (a->cols[a->dist_col].type == MT_BPCHAR) != (b->cols[b->dist_col].type == MT_BPCHAR))
		return 0;
	if (!cat_table_is_range(a)) {
		for (uint32_t i = 0; i < a->nshards; i++) /* split alike, if split */
			if (a->shards[i].hash_min != b->shards[i].hash_min ||
			    a->shards[i].hash_max != b->shards[i].hash_max)
				return 0;
		return 1;
	}
	for (uint32_t i = 0; i < a->nshards; i++) {
		const mur_value *x = &a->shards[i].range_min, *y = &b->shards[i].range_min;
		if ((x->kind == MV_NULL) != (y->kind == MV_NULL) || mur_value_cmp(x, y) != 0)
			return 0;
	}
	return 1;
}

int cat_split_inside(const cat_table *t, uint32_t sh, const mur_value *at, mur_error *err)
{
	if (!cat_table_is_range(t)) {
		const cat_shard *s = &t->shards[sh];
		if (at->kind != MV_INT || at->i <= (int64_t)s->hash_min ||
		    at->i > (int64_t)s->hash_max)
			return mur_error_set(err, SQLSTATE_INVALID_PARAMETER_VALUE,
					     "the split point is not inside the hash range of "
					     "shard "
					     "%u of %s",
					     sh, t->name);
		return MUR_OK;
	}
	const mur_value *lo = &t->shards[sh].range_min;
	mur_value hi;
	int bounded = cat_shard_range_max(t, sh, &hi);
	if (at->kind == MV_NULL || (lo->kind != MV_NULL && mur_value_cmp(at, lo) <= 0) ||
	    (bounded && mur_value_cmp(at, &hi) >= 0))
		return mur_error_set(err, SQLSTATE_INVALID_PARAMETER_VALUE,
				     "the split point is not inside shard %u of %s", sh, t->name);
	return MUR_OK;
}

/* The new shard of t: index nshards, lower bound at, s's copies. */
static int new_shard(const cat_table *t, uint32_t sh, const mur_value *at, uint32_t gen,
		     uint64_t rows, cat_shard *out)
{
	const cat_shard *s = &t->shards[sh];
	memset(out, 0, sizeof *out);
	out->index = t->nshards;
	out->gen = gen;
	out->hash_min = cat_table_is_range(t) ? s->hash_min : (uint32_t)at->i;
	out->hash_max = s->hash_max;
	out->rows = rows;
	out->committed_lsn = s->committed_lsn;
	out->committed_entry = s->committed_entry;
	out->committed_known = s->committed_known;
	out->nplacements = s->nplacements;
	for (int k = 0; k < s->nplacements; k++) {
		out->placements[k] = s->placements[k];
		out->placements[k].needs_rebuild = 0;
	}
	if (!cat_table_is_range(t))
		return MUR_OK; /* range_min stays MV_NULL */
	return cat_shard_set_range_min(out, at);
}

int cat_shard_split(catalog *c, const uint32_t *ids, int n, uint32_t shard, const mur_value *at,
		    uint32_t gen, const uint64_t *rows_hi, mur_error *err)
{
	cat_table *ts[CAT_SPLIT_TABLES_MAX];
	cat_shard added[CAT_SPLIT_TABLES_MAX];
	int nadded = 0, rc = MUR_OK;
	if (n < 1 || n > CAT_SPLIT_TABLES_MAX)
		return mur_error_set(err, SQLSTATE_PROGRAM_LIMIT_EXCEEDED,
				     "a split takes 1 to %d tables", CAT_SPLIT_TABLES_MAX);
	for (int i = 0; i < n && rc == MUR_OK; i++) {
		cat_table *t = ts[i] = cat_table_by_id(c, ids[i]);
		if (!t || cat_table_is_reference(t))
			rc = mur_error_set(err, SQLSTATE_UNDEFINED_TABLE,
					   "distributed table %u does not exist", ids[i]);
		else if (shard >= t->nshards)
			rc = mur_error_set(err, SQLSTATE_INVALID_PARAMETER_VALUE,
					   "table %s has no shard %u", t->name, shard);
		else if (t->nshards >= CAT_SHARDS_MAX)
			rc = mur_error_set(err, SQLSTATE_PROGRAM_LIMIT_EXCEEDED,
					   "table %s has %d shards already", t->name,
					   CAT_SHARDS_MAX);
		else if ((rc = cat_split_inside(t, shard, at, err)) == MUR_OK) {
			if (new_shard(t, shard, at, gen, rows_hi[i], &added[i]) != MUR_OK)
				rc = mur_error_set(err, SQLSTATE_OUT_OF_MEMORY, "out of memory");
			nadded++;
		}
	}
	if (rc == MUR_OK && c->store)
		rc = cat_store_put_split(c, ts, n, shard, added, err);
	for (int i = 0; i < n && rc == MUR_OK; i++) {
		cat_table *t = ts[i];
		cat_shard *grown = realloc(t->shards, sizeof *grown * (t->nshards + 1));
		if (!grown) /* memory and store disagree until a restart: say so */
			return mur_error_set(err, SQLSTATE_OUT_OF_MEMORY,
					     "out of memory after the split was stored");
		t->shards = grown;
		t->shards[t->nshards++] = added[i];
		t->shards[shard].gen = gen;
		if (!cat_table_is_range(t))
			t->shards[shard].hash_max = t->shards[t->nshards - 1].hash_min - 1;
		t->shards[shard].rows -= t->shards[shard].rows < rows_hi[i] ? t->shards[shard].rows
									    : rows_hi[i];
		nadded--;
		if ((cat_table_is_range(t) ? cat_range_build_order(t) : cat_hash_build_order(t)) !=
		    MUR_OK)
			return mur_error_set(err, SQLSTATE_INTERNAL_ERROR,
					     "the split broke the range order of %s", t->name);
	}
	for (int i = 0; i < nadded; i++)
		free(added[i].range_bytes);
	if (rc == MUR_OK)
		c->version++;
	return rc;
}
