/*
 * test_hll.c — HyperLogLog sketches (src/ops/hll.c) and the hash
 * aggregate's HLL, HLL_MERGE and HLL_COUNT: accuracy from 0 to 10M
 * distinct values within 3 standard errors, exact small counts, the
 * canonical form (1 == 1.0, NULL never added), merge == union at equal and
 * different precisions, blob round trips, sparse → dense, malformed blobs
 * (hand-made and mutated at random) rejected without a crash, memory
 * accounting.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "ops/hashagg.h"
#include "ops/hll.h"

#include <xxhash.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* 3 standard errors at p = 14: 3 * 1.04 / sqrt(16384). */
#define THREE_SIGMA (3 * 1.04 / 128.0)

static void add_ints(hll *h, int64_t from, int64_t to)
{
	for (int64_t i = from; i < to; i++) {
		mur_value v = mur_v_int(i);
		assert_int_equal(hll_add(h, &v), MUR_OK);
	}
}

/* The blob of h, in a fresh buffer (caller frees). */
static mur_buf blob_of(const hll *h)
{
	mur_buf b;
	mur_buf_init(&b);
	hll_serialize(h, &b);
	assert_true(mur_buf_ok(&b));
	return b;
}

static void assert_same_sketch(const hll *a, const hll *b)
{
	mur_buf x = blob_of(a), y = blob_of(b);
	assert_int_equal(x.len, y.len);
	assert_memory_equal(x.data, y.data, x.len);
	mur_buf_free(&x);
	mur_buf_free(&y);
}

static void test_accuracy(void **state)
{
	(void)state;
	static const int64_t ns[] = {0, 1, 100, 1000, 10000, 100000, 1000000, 10000000};
	hll h;
	for (size_t k = 0; k < sizeof ns / sizeof ns[0]; k++) {
		hll_init(&h, HLL_P_DEFAULT, NULL);
		add_ints(&h, 0, ns[k]);
		double e = hll_estimate(&h),
		       rel = ns[k] ? fabs(e - (double)ns[k]) / (double)ns[k] : e;
		print_message("n = %8lld  estimate %11.1f  error %+.4f %%\n", (long long)ns[k], e,
			      ns[k] ? 100 * (e - (double)ns[k]) / (double)ns[k] : 0.0);
		if (ns[k] <= 1000)
			assert_int_equal(hll_count(&h), ns[k]); /* sparse: exact */
		else
			assert_true(rel < THREE_SIGMA);
		hll_free(&h);
	}
}

/* Text values, and values of one shard only (they share distribution hash
 * ranges): the sketch hash must not care. */
static void test_accuracy_text_and_one_shard(void **state)
{
	(void)state;
	hll t, s;
	char buf[32];
	hll_init(&t, HLL_P_DEFAULT, NULL);
	hll_init(&s, HLL_P_DEFAULT, NULL);
	int64_t n = 0;
	for (int64_t i = 0; i < 200000; i++) {
		int len = snprintf(buf, sizeof buf, "user-%lld", (long long)i);
		mur_value v = mur_v_text(buf, (size_t)len), iv = mur_v_int(i);
		assert_int_equal(hll_add(&t, &v), MUR_OK);
		if (mur_value_hash(&iv) >> 61 == 5) { /* shard 5 of 8 */
			assert_int_equal(hll_add(&s, &iv), MUR_OK);
			n++;
		}
	}
	assert_true(fabs(hll_estimate(&t) / 200000 - 1) < THREE_SIGMA);
	assert_true(fabs(hll_estimate(&s) / (double)n - 1) < THREE_SIGMA);
	hll_free(&t);
	hll_free(&s);
}

static void test_canonical_values(void **state)
{
	(void)state;
	hll h;
	hll_init(&h, HLL_P_DEFAULT, NULL);
	mur_value vals[] = {
		mur_v_int(1),      mur_v_float(1.0),  /* one value */
		mur_v_float(-0.0), mur_v_int(0),      /* one value */
		mur_v_float(NAN),  mur_v_float(-NAN), /* one value */
		mur_v_float(1.5),  mur_v_text("a", 1), mur_v_blob("a", 1),
		mur_v_text("", 0), mur_v_null(),       mur_v_null(),
	};
	for (size_t i = 0; i < sizeof vals / sizeof vals[0]; i++)
		assert_int_equal(hll_add(&h, &vals[i]), MUR_OK);
	/* {1, 0, NaN, 1.5, 'a', X'61', ''}: TEXT and BLOB differ as in GROUP BY */
	assert_int_equal(hll_count(&h), 7);
	hll_free(&h);
	hll_init(&h, HLL_P_DEFAULT, NULL);
	mur_value n = mur_v_null();
	assert_int_equal(hll_add(&h, &n), MUR_OK);
	assert_int_equal(hll_count(&h), 0);
	assert_int_equal(hll_bytes(&h), 0);
	hll_free(&h);
}

/* hll_hash is XXH64 of the canonical bytes seeded "murphyLL" + kind
 * (docs/approx.md), whichever path hll.c takes (numbers and 8-byte
 * strings have their own): sketches made by any build must merge. */
static void test_hash_is_xxh64(void **state)
{
	(void)state;
	const uint64_t seed = UINT64_C(0x6d75727068794c4c); /* hll.c's HLL_HASH_SEED */
	char text[64] = {0};
	uint64_t x = 88172645463325252u;
	for (int i = 0; i < 20000; i++) {
		x ^= x << 13, x ^= x >> 7, x ^= x << 17; /* xorshift64 */
		mur_value vals[] = {
			mur_v_int((int64_t)x),
			mur_v_int(i - 10000),
			mur_v_float((double)(int64_t)x / 7.0),
			mur_v_float((double)i),
			mur_v_text(text, (size_t)i % 40),
			mur_v_blob(text, (size_t)i % 40),
		};
		memcpy(text + (i % 40), &x, 8);
		for (size_t k = 0; k < sizeof vals / sizeof vals[0]; k++) {
			uint8_t num[8];
			const void *p;
			size_t len;
			mur_vkind kind = mur_value_canon_bytes(&vals[k], num, &p, &len);
			assert_true(hll_hash(&vals[k]) == XXH64(p, len, seed + (uint64_t)kind));
		}
	}
	/* fixed points: an int, the same integral float, 8 bytes of text */
	mur_value one = mur_v_int(1), onef = mur_v_float(1.0), t8 = mur_v_text("12345678", 8);
	uint8_t le1[8] = {1, 0, 0, 0, 0, 0, 0, 0};
	assert_true(hll_hash(&one) == XXH64(le1, 8, seed + MV_INT));
	assert_true(hll_hash(&onef) == hll_hash(&one));
	assert_true(hll_hash(&t8) == XXH64("12345678", 8, seed + MV_TEXT));
}

static void test_sparse_to_dense(void **state)
{
	(void)state;
	hll h;
	hll_init(&h, HLL_P_DEFAULT, NULL);
	add_ints(&h, 0, 1024); /* 2^14 / 16 entries: the list is full */
	assert_int_equal(h.dense, 0);
	assert_true(hll_bytes(&h) <= 4096);
	mur_buf b = blob_of(&h);
	assert_int_equal((uint8_t)b.data[2], 0);
	assert_true(b.len < 4 * 1024);
	mur_buf_free(&b);
	add_ints(&h, 0, 1024); /* the same values again change nothing */
	assert_int_equal(h.dense, 0);
	add_ints(&h, 1024, 1025);
	assert_int_equal(h.dense, 1);
	assert_int_equal(hll_bytes(&h), 16384);
	b = blob_of(&h);
	assert_int_equal(b.len, 3 + 16384);
	assert_int_equal((uint8_t)b.data[2], 1);
	mur_buf_free(&b);
	assert_true(fabs(hll_estimate(&h) / 1025 - 1) < THREE_SIGMA);
	hll_free(&h);
}

/* Merges in every representation equal the sketch of the union (folding
 * a sparse list into registers agrees with adding to registers). */
static void test_merge_is_union(void **state)
{
	(void)state;
	static const int64_t cuts[][2] = {{0, 10},
					  {5, 500},
					  {300, 900},
					  {800, 5000},
					  {4000, 90000}};
	hll all, merged, parts[5];
	hll_init(&all, HLL_P_DEFAULT, NULL);
	hll_init(&merged, HLL_P_DEFAULT, NULL);
	add_ints(&all, 0, 90000);
	for (int k = 0; k < 5; k++) {
		hll_init(&parts[k], HLL_P_DEFAULT, NULL);
		add_ints(&parts[k], cuts[k][0], cuts[k][1]);
	}
	assert_int_equal(parts[2].dense, 0);
	assert_int_equal(parts[4].dense, 1);
	for (int k = 4; k >= 0; k--) /* dense first, then sparse into dense */
		assert_int_equal(hll_merge(&merged, &parts[k]), MUR_OK);
	assert_same_sketch(&merged, &all);
	hll_free(&merged);

	/* sparse + sparse staying sparse, then turning dense through merges */
	hll_init(&merged, HLL_P_DEFAULT, NULL);
	for (int k = 0; k < 5; k++)
		assert_int_equal(hll_merge(&merged, &parts[k]), MUR_OK);
	assert_same_sketch(&merged, &all);
	hll_free(&merged);

	hll small;
	hll_init(&small, HLL_P_DEFAULT, NULL);
	add_ints(&small, 0, 900);
	hll_init(&merged, HLL_P_DEFAULT, NULL);
	assert_int_equal(hll_merge(&merged, &parts[0]), MUR_OK);
	assert_int_equal(hll_merge(&merged, &parts[1]), MUR_OK);
	assert_int_equal(hll_merge(&merged, &parts[2]), MUR_OK);
	assert_int_equal(merged.dense, 0);
	assert_same_sketch(&merged, &small);
	assert_int_equal(hll_count(&merged), 900);
	hll_free(&small);
	hll_free(&merged);

	/* blobs merge like sketches */
	hll_init(&merged, HLL_P_DEFAULT, NULL);
	mur_error err;
	mur_error_clear(&err);
	for (int k = 0; k < 5; k++) {
		mur_buf b = blob_of(&parts[k]);
		assert_int_equal(hll_merge_blob(&merged, b.data, b.len, &err), MUR_OK);
		mur_buf_free(&b);
	}
	assert_same_sketch(&merged, &all);
	hll_free(&merged);
	for (int k = 0; k < 5; k++)
		hll_free(&parts[k]);
	hll_free(&all);
}

/* A precision-14 sketch folded to 12 equals a precision-12 sketch of the
 * same values, in both merge directions and for sparse and dense. */
static void test_merge_precision(void **state)
{
	(void)state;
	static const int64_t ns[] = {100, 300, 50000};
	for (size_t k = 0; k < sizeof ns / sizeof ns[0]; k++) {
		hll p14, p12, a, b;
		hll_init(&p14, 14, NULL);
		hll_init(&p12, 12, NULL);
		add_ints(&p14, 0, ns[k]);
		add_ints(&p12, 0, ns[k]);
		hll_init(&a, 12, NULL);
		assert_int_equal(hll_merge(&a, &p14), MUR_OK);
		assert_same_sketch(&a, &p12);
		hll_init(&b, 14, NULL);
		add_ints(&b, 0, ns[k] / 2);
		assert_int_equal(hll_merge(&b, &p12), MUR_OK); /* b folds down to 12 */
		assert_int_equal(b.p, 12);
		assert_same_sketch(&b, &p12);
		hll_free(&p14);
		hll_free(&p12);
		hll_free(&a);
		hll_free(&b);
	}
}

static void test_round_trip(void **state)
{
	(void)state;
	static const int64_t ns[] = {0, 1, 77, 1024, 1025, 200000};
	mur_error err;
	mur_error_clear(&err);
	for (size_t k = 0; k < sizeof ns / sizeof ns[0]; k++) {
		hll h, back;
		hll_init(&h, HLL_P_DEFAULT, NULL);
		add_ints(&h, -ns[k], 0);
		mur_buf b = blob_of(&h);
		assert_int_equal(hll_check_blob(b.data, b.len, &err), MUR_OK);
		hll_init(&back, HLL_P_MAX, NULL);
		assert_int_equal(hll_merge_blob(&back, b.data, b.len, &err), MUR_OK);
		assert_int_equal(back.p, HLL_P_DEFAULT);
		assert_same_sketch(&back, &h);
		assert_true(hll_estimate(&back) == hll_estimate(&h));
		mur_buf_free(&b);
		hll_free(&h);
		hll_free(&back);
	}
}

static void expect_bad(const void *blob, size_t len)
{
	mur_error err;
	hll h;
	mur_error_clear(&err);
	hll_init(&h, HLL_P_DEFAULT, NULL);
	add_ints(&h, 0, 10);
	mur_buf before = blob_of(&h);
	assert_int_equal(hll_merge_blob(&h, blob, len, &err), MUR_EPROTO);
	assert_string_equal(err.sqlstate, "22P03");
	assert_non_null(strstr(err.message, "invalid HyperLogLog sketch"));
	mur_buf after = blob_of(&h); /* unchanged */
	assert_int_equal(before.len, after.len);
	assert_memory_equal(before.data, after.data, before.len);
	mur_buf_free(&before);
	mur_buf_free(&after);
	hll_free(&h);
}

static void test_malformed(void **state)
{
	(void)state;
	static const unsigned char cases[][12] = {
		{0},                  /* too short (len 2 below) */
		{2, 14, 0, 0},        /* unknown version */
		{1, 3, 0, 0},         /* precision below the minimum */
		{1, 19, 0, 0},        /* above the maximum */
		{1, 14, 2, 0},        /* unknown representation */
		{1, 14, 0},           /* sparse without a count */
		{1, 14, 0, 1},        /* one entry announced, none there */
		{1, 14, 0, 1, 0},     /* entry 0: rank 0 */
		{1, 14, 0, 1, 41},    /* index 0, rank 41 > 40 */
		{1, 14, 0, 2, 65, 1}, /* second entry's index not above the first */
		{1, 14, 0, 1, 0x80, 0x80, 0x80, 0x80, 0x80, 0x01}, /* varint too long */
		{1, 14, 0, 1, 0xff, 0xff, 0xff, 0xff, 0x0f},       /* entry beyond 2^31 */
		{1, 14, 0, 0, 0},                                  /* trailing byte */
		{1, 14, 1, 0, 0},                                  /* dense, wrong length */
	};
	static const size_t lens[] = {2, 4, 4, 4, 4, 3, 4, 5, 5, 6, 10, 9, 5, 5};
	for (size_t i = 0; i < sizeof lens / sizeof lens[0]; i++)
		expect_bad(cases[i], lens[i]);
	expect_bad(NULL, 0);
	unsigned char many[8] = {1, 14, 0, 0x81, 0x08}; /* 1025 entries > 1024 */
	expect_bad(many, 5);

	unsigned char *dense = calloc(1, 3 + 16384);
	dense[0] = 1;
	dense[1] = 14;
	dense[2] = 1;
	dense[3 + 77] = 52; /* > 64 - 14 + 1 */
	expect_bad(dense, 3 + 16384);
	/* a forged but well-formed saturated sketch: no crash, no overflow */
	memset(dense + 3, 51, 16384);
	mur_error err;
	hll h;
	mur_error_clear(&err);
	hll_init(&h, HLL_P_DEFAULT, NULL);
	assert_int_equal(hll_merge_blob(&h, dense, 3 + 16384, &err), MUR_OK);
	assert_true(hll_count(&h) > 0);
	hll_free(&h);
	free(dense);
}

/* Random mutations of valid blobs: accepted or rejected, never a crash
 * (the ASan build checks the reads). */
static void test_mutations(void **state)
{
	(void)state;
	static const int64_t ns[] = {1, 40, 1000, 3000};
	mur_error err;
	srand(4);
	for (size_t k = 0; k < sizeof ns / sizeof ns[0]; k++) {
		hll src;
		hll_init(&src, HLL_P_DEFAULT, NULL);
		add_ints(&src, 0, ns[k]);
		mur_buf b = blob_of(&src);
		for (int round = 0; round < 2000; round++) {
			char *m = malloc(b.len + 8);
			size_t len = b.len;
			memcpy(m, b.data, b.len);
			switch (rand() % 3) {
			case 0:
				m[(size_t)rand() % len] ^= (char)(1 << (rand() % 8));
				break;
			case 1:
				len = (size_t)rand() % len;
				break;
			default:
				m[len++] = (char)rand();
				break;
			}
			hll dst;
			mur_error_clear(&err);
			hll_init(&dst, HLL_P_DEFAULT, NULL);
			int rc = hll_merge_blob(&dst, m, len, &err);
			assert_true(rc == MUR_OK || rc == MUR_EPROTO);
			assert_int_equal(rc == MUR_OK, hll_check_blob(m, len, &err) == MUR_OK);
			(void)hll_estimate(&dst);
			hll_free(&dst);
			free(m);
		}
		mur_buf_free(&b);
		hll_free(&src);
	}
}

/* ---- the hash aggregate ---- */

typedef struct rows {
	mur_buf buf;
	uint64_t n;
} rows;

static void run_agg(const exec_agg_spec *s, uint32_t ncols, const char *in, size_t len,
		    uint64_t nrows, rows *out)
{
	exec_hashagg *h = exec_hashagg_create(s, ncols);
	assert_non_null(h);
	assert_int_equal(exec_hashagg_add_rows(h, in, len, nrows), MUR_OK);
	mur_buf_init(&out->buf);
	assert_int_equal(exec_hashagg_finish(h, &out->buf, &out->n), MUR_OK);
	exec_hashagg_destroy(h);
}

/* Partial HLL per (shard, group), HLL_MERGE of the partials, HLL_COUNT of
 * the merges: the two-level plan and the one-level one give the exact
 * counts of small groups and 3-sigma estimates of big ones. */
static void test_hashagg_functions(void **state)
{
	(void)state;
	enum { SHARDS = 3, GROUPS = 4 };
	/* group g has distinct values 0 .. size[g) spread over shards with
	 * overlaps; group 3 only NULLs */
	static const int64_t size[GROUPS] = {50, 900, 30000, 0};
	rows partial[SHARDS], merged, counted;
	mur_buf in, cat;
	mur_buf_init(&cat);
	uint64_t ncat = 0;
	exec_agg pa = {EXEC_AGG_HLL, 1}, ma = {EXEC_AGG_HLL_MERGE, 1}, ca = {EXEC_AGG_HLL_COUNT, 1};
	exec_agg_spec ps = {.ngroup = 1, .naggs = 1}, ms = ps, cs = ps;
	ps.aggs[0] = pa;
	ms.aggs[0] = ma;
	cs.aggs[0] = ca;
	for (int sh = 0; sh < SHARDS; sh++) {
		uint64_t n = 0;
		mur_buf_init(&in);
		for (int g = 0; g < GROUPS; g++) {
			for (int64_t i = 0; i < size[g] + 5; i++) {
				if (i % SHARDS != sh &&
				    i % 7 != 0) /* multiples of 7 on every shard */
					continue;
				mur_value k = mur_v_int(g);
				mur_value v = (i < size[g]) ? (i % 2 ? mur_v_int(i)
								     : mur_v_float((double)i))
							    : mur_v_null();
				mur_row_put_value(&in, &k);
				mur_row_put_value(&in, &v);
				n++;
			}
		}
		run_agg(&ps, 2, in.data, in.len, n, &partial[sh]);
		assert_int_equal(partial[sh].n, GROUPS);
		mur_buf_put(&cat, partial[sh].buf.data, partial[sh].buf.len);
		ncat += partial[sh].n;
		mur_buf_free(&in);
	}
	/* leader: HLL_COUNT straight over the partials */
	run_agg(&cs, 2, cat.data, cat.len, ncat, &counted);
	assert_int_equal(counted.n, GROUPS);
	mur_rd r;
	mur_rd_init(&r, counted.buf.data, counted.buf.len);
	for (int g = 0; g < GROUPS; g++) {
		mur_value k, c;
		assert_int_equal(mur_row_get_value(&r, &k), MUR_OK);
		assert_int_equal(mur_row_get_value(&r, &c), MUR_OK);
		assert_int_equal(c.kind, MV_INT);
		if (size[k.i] <= 1000)
			assert_int_equal(c.i, size[k.i]);
		else
			assert_true(fabs((double)c.i / (double)size[k.i] - 1) < THREE_SIGMA);
	}
	/* HLL_MERGE then HLL_COUNT gives the same numbers */
	run_agg(&ms, 2, cat.data, cat.len, ncat, &merged);
	assert_int_equal(merged.n, GROUPS);
	rows again;
	run_agg(&cs, 2, merged.buf.data, merged.buf.len, merged.n, &again);
	assert_int_equal(again.buf.len, counted.buf.len);
	assert_memory_equal(again.buf.data, counted.buf.data, counted.buf.len);
	/* group 3 (only NULLs): the partials are empty sketches */
	mur_rd_init(&r, partial[0].buf.data, partial[0].buf.len);
	for (int g = 0; g < GROUPS; g++) {
		mur_value k, s;
		assert_int_equal(mur_row_get_value(&r, &k), MUR_OK);
		assert_int_equal(mur_row_get_value(&r, &s), MUR_OK);
		assert_int_equal(s.kind, MV_BLOB);
		if (k.i == 3) {
			hll h;
			mur_error err;
			hll_init(&h, HLL_P_DEFAULT, NULL);
			assert_int_equal(hll_merge_blob(&h, s.s, s.len, &err), MUR_OK);
			assert_int_equal(hll_count(&h), 0);
			hll_free(&h);
		}
	}
	for (int sh = 0; sh < SHARDS; sh++)
		mur_buf_free(&partial[sh].buf);
	mur_buf_free(&cat);
	mur_buf_free(&counted.buf);
	mur_buf_free(&merged.buf);
	mur_buf_free(&again.buf);
}

/* ngroup 0 over no rows: HLL and HLL_MERGE give the empty sketch, HLL_COUNT
 * 0; NULL sketches are ignored. */
static void test_hashagg_empty(void **state)
{
	(void)state;
	exec_agg_spec s = {.ngroup = 0, .naggs = 3};
	s.aggs[0] = (exec_agg){EXEC_AGG_HLL, 0};
	s.aggs[1] = (exec_agg){EXEC_AGG_HLL_MERGE, 0};
	s.aggs[2] = (exec_agg){EXEC_AGG_HLL_COUNT, 0};
	assert_int_equal(exec_hashagg_validate(&s, 1, &(mur_error){0}), MUR_OK);
	exec_hashagg *h = exec_hashagg_create(&s, 1);
	mur_value null = mur_v_null();
	/* a NULL row: HLL ignores it; HLL_MERGE/HLL_COUNT ignore NULL sketches */
	assert_int_equal(exec_hashagg_add_row(h, &null), MUR_OK);
	mur_buf out;
	uint64_t n;
	mur_buf_init(&out);
	assert_int_equal(exec_hashagg_finish(h, &out, &n), MUR_OK);
	assert_int_equal(n, 1);
	mur_rd r;
	mur_value v[3];
	mur_rd_init(&r, out.data, out.len);
	for (int i = 0; i < 3; i++)
		assert_int_equal(mur_row_get_value(&r, &v[i]), MUR_OK);
	mur_error err;
	for (int i = 0; i < 2; i++) {
		assert_int_equal(v[i].kind, MV_BLOB);
		assert_int_equal(hll_check_blob(v[i].s, v[i].len, &err), MUR_OK);
	}
	assert_int_equal(v[2].kind, MV_INT);
	assert_int_equal(v[2].i, 0);
	mur_buf_free(&out);
	exec_hashagg_destroy(h);
}

static void test_hashagg_bad_sketch(void **state)
{
	(void)state;
	static const uint8_t fns[] = {EXEC_AGG_HLL_MERGE, EXEC_AGG_HLL_COUNT};
	for (int f = 0; f < 2; f++) {
		exec_agg_spec s = {.ngroup = 0, .naggs = 1};
		s.aggs[0] = (exec_agg){fns[f], 0};
		exec_hashagg *h = exec_hashagg_create(&s, 1);
		mur_value bad = mur_v_blob("\x01\x0e\x00\x05", 4), num = mur_v_int(3);
		assert_int_equal(exec_hashagg_add_row(h, &bad), MUR_ERR);
		assert_string_equal(exec_hashagg_error(h)->sqlstate, "22P03");
		exec_hashagg_destroy(h);
		h = exec_hashagg_create(&s, 1);
		assert_int_equal(exec_hashagg_add_row(h, &num), MUR_ERR);
		assert_string_equal(exec_hashagg_error(h)->sqlstate, "22P03");
		exec_hashagg_destroy(h);
	}
	exec_agg_spec s = {.ngroup = 0, .naggs = 1};
	s.aggs[0] = (exec_agg){EXEC_AGG_FN_MAX + 1, 0};
	mur_error err;
	assert_int_equal(exec_hashagg_validate(&s, 1, &err), MUR_ERR);
}

/* Sketch memory counts: many groups with many values each exceed a small
 * limit with 53000; the bytes held fall back to zero-ish at destroy (ASan
 * checks the frees). */
static void test_hashagg_memory(void **state)
{
	(void)state;
	exec_agg_spec s = {.ngroup = 1, .naggs = 1};
	s.aggs[0] = (exec_agg){EXEC_AGG_HLL, 1};
	exec_hashagg *h = exec_hashagg_create(&s, 2);
	size_t base = exec_hashagg_bytes(h);
	/* 64 groups x 2000 distinct: every sketch dense (16 KiB) */
	for (int64_t i = 0; i < 64 * 2000; i++) {
		mur_value row[2] = {mur_v_int(i % 64), mur_v_int(i)};
		assert_int_equal(exec_hashagg_add_row(h, row), MUR_OK);
	}
	assert_true(exec_hashagg_bytes(h) >= base + 64 * 16384);
	exec_hashagg_destroy(h);

	h = exec_hashagg_create(&s, 2);
	exec_hashagg_set_limit(h, 512 << 10);
	int rc = MUR_OK;
	for (int64_t i = 0; i < 64 * 2000 && rc == MUR_OK; i++) {
		mur_value row[2] = {mur_v_int(i % 64), mur_v_int(i)};
		rc = exec_hashagg_add_row(h, row);
	}
	assert_int_equal(rc, MUR_ERR);
	assert_string_equal(exec_hashagg_error(h)->sqlstate, "53000");
	assert_true(exec_hashagg_bytes(h) <= 512 << 10);
	exec_hashagg_destroy(h);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_accuracy),
		cmocka_unit_test(test_accuracy_text_and_one_shard),
		cmocka_unit_test(test_canonical_values),
		cmocka_unit_test(test_hash_is_xxh64),
		cmocka_unit_test(test_sparse_to_dense),
		cmocka_unit_test(test_merge_is_union),
		cmocka_unit_test(test_merge_precision),
		cmocka_unit_test(test_round_trip),
		cmocka_unit_test(test_malformed),
		cmocka_unit_test(test_mutations),
		cmocka_unit_test(test_hashagg_functions),
		cmocka_unit_test(test_hashagg_empty),
		cmocka_unit_test(test_hashagg_bad_sketch),
		cmocka_unit_test(test_hashagg_memory),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
