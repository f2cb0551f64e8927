/*
 * test_catalog.c — catalog placement policy and durability across reopen;
 * reference tables (a copy on every alive follower, kept across reopen,
 * and the upgrade of a catalog file written before they existed); range
 * tables (routing by binary search, the shards a range of values touches,
 * co-location, bounds kept across reopen and the upgrade of older files);
 * statistics (ANALYZE: kept across reopen, partial updates, errors, gone
 * with the table, the upgrade of a file from before the stats table); a
 * primary key added later (ALTER TABLE ADD PRIMARY KEY), kept across reopen;
 * transactional DDL: a pending table is seen by its block only and dropped
 * at reopen unless released, a dropped one by nobody, and a name can be
 * taken again while its dropped table waits.;
 * the store's writes: announced to the write hook, kept prepared, and the
 * file locked against other writers while the catalog is open.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "catalog/catalog.h"
#include "storage/storage.h"

#include <sqlite3.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static cat_table make_def(const char *name, uint32_t nshards, int replicas)
{
	cat_table d;
	memset(&d, 0, sizeof d);
	snprintf(d.name, sizeof d.name, "%s", name);
	d.ncols = 2;
	snprintf(d.cols[0].name, sizeof d.cols[0].name, "id");
	d.cols[0].type = MT_INT8;
	d.cols[0].primary_key = 1;
	d.cols[0].not_null = 1;
	snprintf(d.cols[1].name, sizeof d.cols[1].name, "v");
	d.cols[1].type = MT_TEXT;
	d.cols[1].default_sql = "'x'";
	d.dist_col = 0;
	d.nshards = nshards;
	d.replicas = replicas;
	return d;
}

static void test_placement_and_colocation(void **state)
{
	mur_error err;
	catalog *c = cat_open(NULL, &err);
	const cat_table *a, *b;
	assert_non_null(c);
	for (int i = 1; i <= 3; i++) {
		char name[16];
		snprintf(name, sizeof name, "f%d", i);
		assert_int_equal(cat_upsert_node(c, name, "127.0.0.1:1", CAT_NODE_FOLLOWER, NULL,
						 &err),
				 0);
	}
	cat_table da = make_def("a", 6, 2), db = make_def("b", 6, 5);
	assert_int_equal(cat_create_table(c, &da, &a, &err), 0);
	assert_int_equal(cat_create_table(c, &db, &b, &err), 0);
	assert_int_equal(cat_create_table(c, &da, NULL, &err), MUR_ERR);
	assert_string_equal(err.sqlstate, "42P07");
	assert_int_equal(b->shards[0].nplacements, 3); /* capped by followers */
	for (uint32_t s = 0; s < 6; s++) {
		assert_int_equal(a->shards[s].nplacements, 2);
		assert_int_equal(a->shards[s].placements[0].node_id,
				 b->shards[s].placements[0].node_id);
		assert_int_not_equal(a->shards[s].placements[0].node_id,
				     a->shards[s].placements[1].node_id);
	}
	assert_int_equal(a->shards[0].hash_min, 0);
	assert_int_equal(a->shards[5].hash_max, 0xffffffffu);
	for (uint32_t s = 0; s + 1 < 6; s++)
		assert_int_equal(a->shards[s].hash_max + 1, a->shards[s + 1].hash_min);
	for (uint32_t h = 0; h < 6; h++) {
		uint32_t hash = a->shards[h].hash_min;
		assert_int_equal(cat_shard_for_hash32(6, hash), h);
		assert_int_equal(cat_shard_for_hash32(6, a->shards[h].hash_max), h);
	}
	assert_non_null(cat_table_lookup(c, NULL, "nodes"));
	assert_null(cat_table_lookup(c, "public", "nodes"));
	cat_close(c);
}

/* cat_table_by_id finds each table by its id, before and after others
 * are dropped (the tables after them move down) and added again: ids
 * beyond the memo's 256 slots share slots (catalog.c's table_by_id; a
 * guard of its memo). */
static void test_table_by_id_after_drops(void **state)
{
	(void)state;
	mur_error err;
	catalog *c = cat_open(NULL, &err);
	uint32_t ids[300];
	char name[16];
	assert_non_null(c);
	assert_int_equal(cat_upsert_node(c, "f1", "127.0.0.1:1", CAT_NODE_FOLLOWER, NULL, &err), 0);
	for (int i = 0; i < 300; i++) {
		const cat_table *t;
		snprintf(name, sizeof name, "t%d", i);
		cat_table d = make_def(name, 1, 1);
		assert_int_equal(cat_create_table(c, &d, &t, &err), 0);
		ids[i] = t->id;
	}
	for (int i = 0; i < 300; i++)
		assert_int_equal(cat_table_by_id(c, ids[i])->id, ids[i]);
	for (int i = 0; i < 300; i += 3) {
		snprintf(name, sizeof name, "t%d", i);
		assert_int_equal(cat_drop_table(c, name, &err), 0);
	}
	for (int i = 0; i < 300; i++) {
		const cat_table *t = cat_table_by_id(c, ids[i]);
		snprintf(name, sizeof name, "t%d", i);
		if (i % 3 == 0)
			assert_null(t);
		else
			assert_string_equal(t->name, name);
	}
	snprintf(name, sizeof name, "t%d", 0);
	cat_table d = make_def(name, 1, 1);
	const cat_table *again;
	assert_int_equal(cat_create_table(c, &d, &again, &err), 0);
	assert_ptr_equal(cat_table_by_id(c, again->id), again);
	assert_null(cat_table_by_id(c, ids[0]));
	assert_string_equal(cat_table_by_id(c, ids[299])->name, "t299");
	cat_close(c);
}

static void test_durable_reopen(void **state)
{
	char dir[] = "/tmp/murphy_cat_XXXXXX", path[256];
	mur_error err;
	const cat_table *t;
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof path, "%s/catalog.db", dir);
	catalog *c = cat_open(path, &err);
	assert_non_null(c);
	assert_int_equal(cat_upsert_node(c, "f1", "127.0.0.1:7001", CAT_NODE_FOLLOWER, NULL, &err),
			 0);
	assert_int_equal(cat_upsert_node(c, "f2", "127.0.0.1:7002", CAT_NODE_FOLLOWER, NULL, &err),
			 0);
	cat_table d = make_def("events", 4, 2);
	assert_int_equal(cat_create_table(c, &d, &t, &err), 0);
	uint32_t id = t->id, node = t->shards[1].placements[0].node_id;
	cat_placement_set_lsn(c, id, 1, node, 42);
	cat_flush_lsns(c);
	cat_close(c);

	c = cat_open(path, &err);
	assert_non_null(c);
	t = cat_table_lookup(c, NULL, "events");
	assert_non_null(t);
	assert_int_equal(t->id, id);
	assert_int_equal(t->nshards, 4);
	assert_int_equal(t->ncols, 2);
	assert_string_equal(t->cols[1].default_sql, "'x'");
	assert_int_equal(t->shards[1].placements[0].applied_lsn, 42);
	assert_int_equal(cat_node_count(c), 2);
	assert_int_equal(cat_drop_table(c, "events", &err), 0);
	assert_int_equal(cat_drop_table(c, "events", &err), MUR_ERR);
	assert_string_equal(err.sqlstate, "42P01");
	cat_close(c);
	c = cat_open(path, &err);
	assert_null(cat_table_lookup(c, NULL, "events"));
	cat_close(c);
}

static int hook_calls;
static void count_hook(void *arg)
{
	(void)arg;
	hook_calls++;
}

/* Each write is announced first (the leader writes out its gathered frames
 * there); a statement run again (kept prepared) binds its new values; the
 * open catalog keeps the file locked (locking_mode=EXCLUSIVE: no fcntl per
 * write), and closing it lets another writer in. */
static void test_store_writes_hooked_and_locked(void **state)
{
	char dir[] = "/tmp/murphy_cat_XXXXXX", path[256], out[32];
	mur_error err;
	sqlite3 *other;
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof path, "%s/catalog.db", dir);
	catalog *c = cat_open_vfs(path, stor_walbuf_vfs(), &err); /* as the leader does */
	assert_non_null(c);
	cat_set_write_hook(c, count_hook, NULL);
	hook_calls = 0;
	assert_int_equal(cat_txn_outcome_put(c, 7, "committed", "1:0", 100, &err), MUR_OK);
	assert_true(hook_calls >= 1);
	assert_int_equal(cat_txn_outcome_put(c, 8, "aborted", "1:1", 101, &err), MUR_OK);
	assert_int_equal(cat_txn_outcome_put(c, 9, "committed", "1:2", 102, &err), MUR_OK);
	assert_true(hook_calls >= 3);
	assert_int_equal(cat_txn_outcome_get(c, 7, out, sizeof out), 1);
	assert_string_equal(out, "committed");
	assert_int_equal(cat_txn_outcome_get(c, 8, out, sizeof out), 1);
	assert_string_equal(out, "aborted");
	assert_int_equal(cat_txn_outcome_get(c, 9, out, sizeof out), 1);
	assert_string_equal(out, "committed");

	assert_int_equal(sqlite3_open(path, &other), SQLITE_OK);
	assert_int_equal(sqlite3_exec(other, "BEGIN IMMEDIATE", NULL, NULL, NULL), SQLITE_BUSY);
	cat_close(c);
	assert_int_equal(sqlite3_exec(other, "BEGIN IMMEDIATE; DELETE FROM txn_outcomes; COMMIT",
				      NULL, NULL, NULL),
			 SQLITE_OK);
	sqlite3_close(other);
	c = cat_open(path, &err); /* SQLite's own VFS reads what walbuf wrote */
	assert_non_null(c);
	assert_int_equal(cat_txn_outcome_get(c, 7, out, sizeof out), 0);
	assert_int_equal(cat_txn_outcome_get(c, 9, out, sizeof out), 0);
	assert_int_equal(cat_txn_outcome_put(c, 10, "committed", "1:3", 103, &err), MUR_OK);
	cat_close(c);
	c = cat_open_vfs(path, stor_walbuf_vfs(), &err);
	assert_non_null(c);
	assert_int_equal(cat_txn_outcome_get(c, 10, out, sizeof out), 1);
	cat_close(c);
}

/* ALTER TABLE ADD PRIMARY KEY: the key columns are marked, and stay so
 * across reopen; an unknown table or column is an error. */
static void test_primary_key_added(void **state)
{
	char dir[] = "/tmp/murphy_cat_XXXXXX", path[256];
	mur_error err;
	const cat_table *t;
	int cols[] = {1}, bad[] = {7};
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof path, "%s/catalog.db", dir);
	catalog *c = cat_open(path, &err);
	assert_non_null(c);
	cat_table d = make_def("acc", 2, 1);
	d.cols[0].primary_key = 0;
	assert_int_equal(cat_create_table(c, &d, &t, &err), 0);
	uint32_t id = t->id;
	assert_int_equal(cat_table_set_primary_key(c, id, bad, 1, &err), MUR_ERR);
	assert_int_equal(cat_table_set_primary_key(c, id + 1, cols, 1, &err), MUR_ERR);
	assert_string_equal(err.sqlstate, "42P01");
	assert_int_equal(cat_table_set_primary_key(c, id, cols, 1, &err), 0);
	assert_int_equal(t->cols[1].primary_key, 1);
	cat_close(c);
	c = cat_open(path, &err);
	t = cat_table_lookup(c, NULL, "acc");
	assert_int_equal(t->cols[0].primary_key, 0);
	assert_int_equal(t->cols[1].primary_key, 1);
	cat_close(c);
	unlink(path);
	rmdir(dir);
}

/* DDL in a block (leader/lead_ddltxn.c): a table created pending for
 * block 7 is seen only by it while the viewer is set; a reopen drops it
 * unless its block released it (COMMIT); a dropped table is seen by nobody,
 * its name can be created again, and both go by id. */
static void test_pending_and_dropped_tables(void **state)
{
	char dir[] = "/tmp/murphy_cat_XXXXXX", path[256];
	mur_error err;
	const cat_table *t, *kept, *again;
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof path, "%s/catalog.db", dir);
	catalog *c = cat_open(path, &err);
	assert_non_null(c);
	cat_table d = make_def("lost", 2, 1), k = make_def("kept", 2, 1);
	assert_int_equal(cat_create_table_pending(c, &d, 7, &t, &err), 0);
	assert_int_equal(cat_create_table_pending(c, &k, 7, &kept, &err), 0);
	cat_set_viewer(c, 1, 8);
	assert_null(cat_table_lookup(c, NULL, "lost")); /* another block */
	cat_set_viewer(c, 1, 7);
	assert_ptr_equal(cat_table_lookup(c, NULL, "lost"), t); /* its own */
	cat_set_viewer(c, 0, 0);
	assert_ptr_equal(cat_table_lookup(c, NULL, "lost"), t); /* the leader's own lookups */
	assert_int_equal(cat_create_table(c, &d, NULL, &err), MUR_ERR); /* the name is taken */
	assert_string_equal(err.sqlstate, "42P07");
	assert_int_equal(cat_table_pending_release(c, kept->id, &err), 0);
	cat_table_publish(c, kept->id);
	cat_set_viewer(c, 1, 8);
	assert_non_null(cat_table_lookup(c, NULL, "kept"));
	cat_set_viewer(c, 0, 0);
	cat_close(c);

	c = cat_open(path, &err); /* the leader restarted: block 7 never committed */
	assert_non_null(c);
	assert_null(cat_table_lookup(c, NULL, "lost"));
	kept = cat_table_lookup(c, NULL, "kept");
	assert_non_null(kept);
	assert_int_equal(kept->pending_txid, 0);
	uint32_t old = kept->id;
	cat_table_set_dropped(c, old, 1);
	assert_null(cat_table_lookup(c, NULL, "kept"));
	assert_int_equal(cat_create_table(c, &k, &again, &err), 0); /* created again */
	uint32_t again_id = again->id;
	assert_int_not_equal(again_id, old);
	assert_int_equal(cat_drop_table_id(c, old, &err), 0);
	assert_ptr_equal(cat_table_lookup(c, NULL, "kept"), again);
	cat_close(c);
	c = cat_open(path, &err); /* the new one stays, the dropped one is gone */
	assert_int_equal(cat_table_lookup(c, NULL, "kept")->id, again_id);
	assert_null(cat_table_by_id(c, old));
	cat_close(c);
	unlink(path);
	rmdir(dir);
}

static void test_reference_placement(void **state)
{
	mur_error err;
	catalog *c = cat_open(NULL, &err);
	const cat_table *r;
	const cat_node *dead;
	assert_non_null(c);
	for (int i = 1; i <= 4; i++) {
		char name[16];
		snprintf(name, sizeof name, "f%d", i);
		assert_int_equal(cat_upsert_node(c, name, "127.0.0.1:1", CAT_NODE_FOLLOWER,
						 i == 3 ? &dead : NULL, &err),
				 0);
	}
	cat_node_set_state(c, dead->id, CAT_NODE_DEAD, 0);
	cat_table d = make_def("nation", 8, 2); /* shards and replicas are ignored */
	d.distribution = CAT_DIST_REFERENCE;
	assert_int_equal(cat_create_table(c, &d, &r, &err), 0);
	assert_true(cat_table_is_reference(r));
	assert_int_equal(r->nshards, 1);
	assert_int_equal(r->replicas, 3);
	assert_int_equal(r->shards[0].nplacements, 3); /* every alive follower, not f3 */
	for (int k = 0; k < 3; k++) {
		assert_int_not_equal(r->shards[0].placements[k].node_id, dead->id);
		assert_int_equal(r->shards[0].placements[k].role,
				 k == 0 ? CAT_PRIMARY : CAT_REPLICA);
	}
	assert_int_equal(r->shards[0].hash_min, 0);
	assert_int_equal(r->shards[0].hash_max, 0xffffffffu);
	mur_value v = {.kind = MV_INT, .i = 12345};
	assert_int_equal(cat_shard_for_value(r, &v), 0);
	cat_close(c);
}

/* A catalog file from before reference tables (no tables.distribution):
 * opening it adds the column, old tables stay hash-distributed, and a
 * reference table created afterwards is one after a reopen. */
/* A catalog file in a new temporary directory written by `sql` (an older
 * format); its path in path[256]. */
static void old_catalog(char *path, const char *sql)
{
	char dir[] = "/tmp/murphy_cat_XXXXXX";
	sqlite3 *db;
	assert_non_null(mkdtemp(dir));
	snprintf(path, 256, "%s/catalog.db", dir);
	assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
	assert_int_equal(sqlite3_exec(db, sql, NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(db);
}

static void test_reference_durable_and_upgrade(void **state)
{
	char path[256];
	mur_error err;
	const cat_table *t;
	old_catalog(path,
		    "CREATE TABLE nodes(id INTEGER PRIMARY KEY, name TEXT UNIQUE NOT NULL,"
		    " addr TEXT NOT NULL, role INTEGER NOT NULL);"
		    "CREATE TABLE tables(id INTEGER PRIMARY KEY, name TEXT NOT NULL,"
		    " schema TEXT NOT NULL, dist_col INTEGER NOT NULL, nshards INTEGER NOT NULL,"
		    " replicas INTEGER NOT NULL);"
		    "INSERT INTO nodes VALUES (1, 'f1', '127.0.0.1:7001', 1);"
		    "INSERT INTO tables VALUES (1, 'old', 'public', 0, 2, 1);");

	catalog *c = cat_open(path, &err);
	assert_non_null(c);
	t = cat_table_lookup(c, NULL, "old");
	assert_non_null(t);
	assert_int_equal(t->nshards, 2);
	assert_false(cat_table_is_reference(t));
	cat_node_set_state(c, 1, CAT_NODE_ALIVE, 0); /* loaded nodes start suspect */
	cat_table d = make_def("ref", 0, 0);
	d.distribution = CAT_DIST_REFERENCE;
	assert_int_equal(cat_create_table(c, &d, &t, &err), 0);
	assert_int_equal(t->shards[0].nplacements, 1);
	cat_close(c);

	c = cat_open(path, &err);
	assert_non_null(c);
	t = cat_table_lookup(c, NULL, "ref");
	assert_non_null(t);
	assert_true(cat_table_is_reference(t));
	assert_int_equal(t->nshards, 1);
	assert_int_equal(t->shards[0].nplacements, 1);
	assert_false(cat_table_is_reference(cat_table_lookup(c, NULL, "old")));
	cat_close(c);
}

/* A range table on id (int8) with lower bounds -inf, 10, 20, 30; its
 * bounds array stays valid as long as the caller's frame. */
static cat_table range_def(const char *name, cat_shard *bounds, const int64_t *lows, uint32_t n)
{
	cat_table d = make_def(name, n, 1);
	d.distribution = CAT_DIST_RANGE;
	memset(bounds, 0, sizeof *bounds * n);
	for (uint32_t i = 1; i < n; i++)
		bounds[i].range_min = mur_v_int(lows[i]);
	d.shards = bounds;
	return d;
}

static uint32_t shard_of_int(const cat_table *t, int64_t i)
{
	mur_value v = mur_v_int(i);
	return cat_shard_for_value(t, &v);
}

static void test_range_routing(void **state)
{
	mur_error err;
	catalog *c = cat_open(NULL, &err);
	const cat_table *t, *u, *h, *one;
	cat_shard b[4], b2[4], b3[4];
	const int64_t lows[] = {0, 10, 20, 30}, other[] = {0, 10, 20, 31};
	uint32_t out[8];
	mur_value lo, hi;
	assert_int_equal(cat_upsert_node(c, "f1", "127.0.0.1:1", CAT_NODE_FOLLOWER, NULL, &err), 0);
	cat_table d = range_def("r", b, lows, 4);
	assert_int_equal(cat_create_table(c, &d, &t, &err), 0);
	assert_true(cat_table_is_range(t));
	assert_int_equal(t->nshards, 4);
	assert_int_equal(t->shards[0].range_min.kind, MV_NULL);
	assert_int_equal(t->shards[2].range_min.i, 20);
	assert_int_equal(shard_of_int(t, INT64_MIN), 0);
	assert_int_equal(shard_of_int(t, 9), 0);
	assert_int_equal(shard_of_int(t, 10), 1);
	assert_int_equal(shard_of_int(t, 19), 1);
	assert_int_equal(shard_of_int(t, 20), 2);
	assert_int_equal(shard_of_int(t, 30), 3);
	assert_int_equal(shard_of_int(t, INT64_MAX), 3);
	/* 10 <= v < 30: shards 1 and 2; 10 < v <= 30: 1, 2, 3; v < 10: 0 */
	lo = mur_v_int(10), hi = mur_v_int(30);
	assert_int_equal(cat_range_shards(t, &lo, 1, &hi, 0, out), 2);
	assert_int_equal(out[0], 1);
	assert_int_equal(out[1], 2);
	assert_int_equal(cat_range_shards(t, &lo, 0, &hi, 1, out), 3);
	assert_int_equal(cat_range_shards(t, NULL, 0, &lo, 0, out), 1);
	assert_int_equal(out[0], 0);
	assert_int_equal(cat_range_shards(t, &hi, 1, NULL, 0, out), 1);
	assert_int_equal(out[0], 3);
	assert_int_equal(cat_range_shards(t, &hi, 1, &lo, 1, out), 0); /* empty */
	lo = mur_v_float(9.5); /* a numeric bound on an integer column */
	assert_int_equal(cat_range_shards(t, &lo, 1, NULL, 0, out), 3);
	/* an integer column has nothing between 9 and 10, or 19.5 and 20 */
	lo = mur_v_float(19.5);
	assert_int_equal(cat_range_shards(t, &lo, 1, NULL, 0, out), 2);
	assert_int_equal(out[0], 2);
	lo = mur_v_int(9);
	assert_int_equal(cat_range_shards(t, &lo, 0, NULL, 0, out), 3);
	assert_int_equal(out[0], 1);
	lo = mur_v_float(19.5), hi = mur_v_float(29.5);
	assert_int_equal(cat_range_shards(t, &lo, 0, &hi, 1, out), 1);
	assert_int_equal(out[0], 2);
	hi = mur_v_float(20.0);
	assert_int_equal(cat_range_shards(t, NULL, 0, &hi, 0, out), 2);
	lo = mur_v_int(INT64_MAX);
	assert_int_equal(cat_range_shards(t, &lo, 0, NULL, 0, out), 1);
	assert_int_equal(out[0], 3);
	lo = mur_v_null();
	assert_int_equal(cat_range_shards(t, &lo, 1, NULL, 0, out), 0);
	assert_int_equal(cat_shard_range_max(t, 1, &hi), 1);
	assert_int_equal(hi.i, 20);
	assert_int_equal(cat_shard_range_max(t, 3, &hi), 0);

	cat_table d2 = range_def("r2", b2, lows, 4), d3 = range_def("r3", b3, other, 4);
	cat_table dh = make_def("h", 4, 1), d1 = make_def("one", 0, 1);
	d1.distribution = CAT_DIST_RANGE; /* no bounds: one shard */
	assert_int_equal(cat_create_table(c, &d2, &u, &err), 0);
	assert_true(cat_tables_colocated(t, u));
	assert_int_equal(cat_create_table(c, &d3, &u, &err), 0);
	assert_false(cat_tables_colocated(t, u)); /* bounds differ */
	assert_int_equal(cat_create_table(c, &dh, &h, &err), 0);
	assert_false(cat_tables_colocated(t, h)); /* range and hash */
	assert_int_equal(cat_create_table(c, &d1, &one, &err), 0);
	assert_int_equal(one->nshards, 1);
	assert_int_equal(shard_of_int(one, -5), 0);

	/* the order, not the index, follows the bounds (a split appends a shard) */
	cat_shard sb[3], bad[3];
	const int64_t split[] = {0, 20, 10}, dup[] = {0, 10, 10};
	cat_table ds = range_def("split", sb, split, 3);
	assert_int_equal(cat_create_table(c, &ds, &u, &err), 0);
	assert_int_equal(shard_of_int(u, 15), 2);
	assert_int_equal(shard_of_int(u, 25), 1);
	lo = mur_v_int(12);
	assert_int_equal(cat_range_shards(u, &lo, 1, NULL, 0, out), 2);
	assert_int_equal(out[0], 2);
	assert_int_equal(out[1], 1);
	assert_int_equal(cat_shard_range_max(u, 2, &hi), 1);
	assert_int_equal(hi.i, 20);
	cat_table db = range_def("bad", bad, dup, 3);
	assert_int_equal(cat_create_table(c, &db, NULL, &err), MUR_ERR);
	assert_string_equal(err.sqlstate, "22023");
	assert_null(cat_table_lookup(c, NULL, "bad"));
	cat_close(c);
}

/* Text bounds survive a reopen; a catalog file from before range tables
 * (no shards.range_min) gets the column and its tables stay hash. */
static void test_range_durable_and_upgrade(void **state)
{
	char path[256];
	mur_error err;
	const cat_table *t;
	cat_shard b[3];
	mur_value v, hi;
	old_catalog(path,
		    "CREATE TABLE tables(id INTEGER PRIMARY KEY, name TEXT NOT NULL,"
		    " schema TEXT NOT NULL, dist_col INTEGER NOT NULL, nshards INTEGER NOT NULL,"
		    " replicas INTEGER NOT NULL, distribution INTEGER NOT NULL DEFAULT 0);"
		    "CREATE TABLE shards(table_id INTEGER NOT NULL, idx INTEGER NOT NULL,"
		    " hash_min INTEGER NOT NULL, hash_max INTEGER NOT NULL,"
		    " PRIMARY KEY(table_id, idx));"
		    "INSERT INTO tables VALUES (1, 'old', 'public', 0, 2, 1, 0);"
		    "INSERT INTO shards VALUES (1, 0, 0, 2147483647), (1, 1, 2147483648, "
		    "4294967295);");

	catalog *c = cat_open(path, &err);
	assert_non_null(c);
	t = cat_table_lookup(c, NULL, "old");
	assert_non_null(t);
	assert_false(cat_table_is_range(t));
	assert_int_equal(t->shards[1].hash_min, 2147483648u);
	cat_table d = make_def("texts", 3, 1);
	d.cols[0].type = MT_TEXT;
	d.distribution = CAT_DIST_RANGE;
	memset(b, 0, sizeof b);
	b[1].range_min = mur_v_text("g", 1);
	b[2].range_min = mur_v_text("p", 1);
	d.shards = b;
	assert_int_equal(cat_create_table(c, &d, &t, &err), 0);
	cat_close(c);

	c = cat_open(path, &err);
	assert_non_null(c);
	t = cat_table_lookup(c, NULL, "texts");
	assert_non_null(t);
	assert_true(cat_table_is_range(t));
	assert_int_equal(t->nshards, 3);
	assert_int_equal(t->shards[0].range_min.kind, MV_NULL);
	assert_int_equal(t->shards[2].range_min.kind, MV_TEXT);
	assert_memory_equal(t->shards[2].range_min.s, "p", 1);
	v = mur_v_text("apple", 5);
	assert_int_equal(cat_shard_for_value(t, &v), 0);
	v = mur_v_text("g", 1);
	assert_int_equal(cat_shard_for_value(t, &v), 1);
	v = mur_v_text("zebra", 5);
	assert_int_equal(cat_shard_for_value(t, &v), 2);
	assert_int_equal(cat_shard_range_max(t, 0, &hi), 1);
	assert_memory_equal(hi.s, "g", 1);
	assert_false(cat_table_is_range(cat_table_lookup(c, NULL, "old")));
	cat_close(c);
}

/* Rows left in the store's stats table for table_id. */
static int stored_stats(const char *path, uint32_t table_id)
{
	sqlite3 *db;
	sqlite3_stmt *st;
	int n;
	assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
	assert_int_equal(sqlite3_prepare_v2(db, "SELECT count(*) FROM stats WHERE table_id = ?", -1,
					    &st, NULL),
			 SQLITE_OK);
	sqlite3_bind_int64(st, 1, table_id);
	assert_int_equal(sqlite3_step(st), SQLITE_ROW);
	n = sqlite3_column_int(st, 0);
	sqlite3_finalize(st);
	sqlite3_close(db);
	return n;
}

/* A file from before statistics (no stats table) opens with none; an
 * analysis survives a reopen; analyzing one column keeps the other's
 * estimates; bad analyses change nothing; DROP TABLE takes them along. */
static void test_stats_durable_and_upgrade(void **state)
{
	char path[256];
	mur_error err;
	const cat_table *t;
	old_catalog(path,
		    "CREATE TABLE tables(id INTEGER PRIMARY KEY, name TEXT NOT NULL,"
		    " schema TEXT NOT NULL, dist_col INTEGER NOT NULL, nshards INTEGER NOT NULL,"
		    " replicas INTEGER NOT NULL, distribution INTEGER NOT NULL DEFAULT 0);"
		    "CREATE TABLE columns(table_id INTEGER NOT NULL, idx INTEGER NOT NULL,"
		    " name TEXT NOT NULL, type INTEGER NOT NULL, typmod INTEGER NOT NULL,"
		    " not_null INTEGER NOT NULL, primary_key INTEGER NOT NULL, hidden INTEGER NOT "
		    "NULL,"
		    " default_sql TEXT, PRIMARY KEY(table_id, idx));"
		    "INSERT INTO tables VALUES (1, 'old', 'public', 0, 2, 1, 0);"
		    "INSERT INTO columns VALUES (1, 0, 'id', 4, -1, 1, 1, 0, NULL),"
		    " (1, 1, 'v', 8, -1, 0, 0, 0, NULL);");
	catalog *c = cat_open(path, &err);
	assert_non_null(c);
	t = cat_table_lookup(c, NULL, "old");
	assert_non_null(t);
	assert_int_equal(cat_table_analyzed_ms(t), 0);
	assert_int_equal(cat_shard_distinct(t, 0, 1), 0);

	int both[2] = {0, 1}, v_only[1] = {1};
	uint64_t rows[2] = {100, 250}, d_both[4] = {100, 7, 250, 9}, d_v[2] = {3, 4};
	cat_analysis a = {.analyzed_ms = 1700000000000,
			  .nshards = 2,
			  .ncols = 2,
			  .cols = both,
			  .rows = rows,
			  .distinct = d_both};
	((cat_table *)t)->shards[0].rows = 99; /* a moving estimate: ANALYZE resets it */
	assert_int_equal(cat_table_set_stats(c, t->id, &a, &err), 0);
	assert_int_equal(t->shards[0].rows, 100);
	assert_int_equal(t->shards[1].analyzed_rows, 250);
	assert_int_equal(cat_shard_distinct(t, 1, 0), 250);
	assert_int_equal(cat_shard_distinct(t, 1, 1), 9);
	assert_int_equal(cat_shard_distinct(t, 2, 1), 0); /* out of range */
	assert_int_equal(cat_shard_distinct(t, 0, 2), 0);
	cat_close(c);

	c = cat_open(path, &err);
	assert_non_null(c);
	t = cat_table_lookup(c, NULL, "old");
	assert_int_equal(cat_table_analyzed_ms(t), 1700000000000);
	assert_int_equal(cat_column_analyzed_ms(t, 1), 1700000000000);
	assert_int_equal(t->shards[1].rows, 250);
	assert_int_equal(cat_shard_distinct(t, 0, 1), 7);
	cat_analysis one = {.analyzed_ms = 1700000001000,
			    .nshards = 2,
			    .ncols = 1,
			    .cols = v_only,
			    .rows = rows,
			    .distinct = d_v};
	assert_int_equal(cat_table_set_stats(c, t->id, &one, &err), 0);
	assert_int_equal(cat_shard_distinct(t, 1, 1), 4);
	assert_int_equal(cat_shard_distinct(t, 1, 0), 250); /* not measured this time */
	assert_int_equal(cat_column_analyzed_ms(t, 0), 1700000000000);
	assert_int_equal(cat_table_analyzed_ms(t), 1700000001000);

	one.nshards = 3;
	assert_int_equal(cat_table_set_stats(c, t->id, &one, &err), MUR_ERR);
	assert_string_equal(err.sqlstate, "55006");
	one.nshards = 2;
	v_only[0] = 2;
	assert_int_equal(cat_table_set_stats(c, t->id, &one, &err), MUR_ERR);
	assert_string_equal(err.sqlstate, "22023");
	assert_int_equal(cat_table_set_stats(c, 77, &one, &err), MUR_ERR);
	assert_string_equal(err.sqlstate, "42P01");
	assert_int_equal(cat_shard_distinct(t, 1, 1), 4);
	cat_close(c);                               /* the open catalog keeps the file locked */
	assert_int_equal(stored_stats(path, 1), 6); /* 2 shards × (rows, id, v) */
	c = cat_open(path, &err);
	assert_non_null(c);
	assert_int_equal(cat_drop_table(c, "old", &err), 0);
	cat_close(c);
	assert_int_equal(stored_stats(path, 1), 0);
}

/* A split: the new shard takes the upper half of the old one's range, the
 * copies and the committed entry, both shards the new generation's file
 * names; a bound outside the range or equal to its lower bound is
 * refused; all of it durable, and a split table stays co-located only
 * with a table split the same way. */
static void test_range_split_durable(void **state)
{
	char path[256];
	mur_error err;
	const cat_table *t, *u;
	cat_shard b[2], b2[2];
	const int64_t lows[] = {0, 100};
	uint32_t ids[2], tid, sh, gen;
	uint64_t rows_hi[2] = {7, 7};
	mur_value at;
	char file[64];
	(void)state;
	snprintf(path, sizeof path, "/tmp/murphy-cat-split-%d.db", (int)getpid());
	unlink(path);
	catalog *c = cat_open(path, &err);
	assert_non_null(c);
	assert_int_equal(cat_upsert_node(c, "f1", "127.0.0.1:1", CAT_NODE_FOLLOWER, NULL, &err), 0);
	cat_table d = range_def("r", b, lows, 2), d2 = range_def("q", b2, lows, 2);
	assert_int_equal(cat_create_table(c, &d, &t, &err), 0);
	assert_int_equal(cat_create_table(c, &d2, &u, &err), 0);
	assert_true(cat_tables_colocated(t, u));
	ids[0] = t->id;
	ids[1] = u->id;
	at = mur_v_int(100); /* shard 0 is [-inf, 100): 100 is outside */
	assert_int_equal(cat_shard_split(c, ids, 1, 0, &at, 5, rows_hi, &err), MUR_ERR);
	assert_string_equal(err.sqlstate, "22023");
	at = mur_v_int(100); /* shard 1 is [100, +inf): its own lower bound */
	assert_int_equal(cat_shard_split(c, ids, 1, 1, &at, 5, rows_hi, &err), MUR_ERR);
	assert_int_equal(t->nshards, 2);
	at = mur_v_int(40);
	assert_int_equal(cat_shard_split(c, ids, 1, 0, &at, 5, rows_hi, &err), MUR_OK);
	assert_int_equal(t->nshards, 3);
	assert_int_equal(shard_of_int(t, 39), 0);
	assert_int_equal(shard_of_int(t, 40), 2);
	assert_int_equal(shard_of_int(t, 100), 1);
	assert_int_equal(t->shards[2].nplacements, t->shards[0].nplacements);
	assert_int_equal(t->shards[2].placements[0].node_id, t->shards[0].placements[0].node_id);
	cat_placement_file(t, 0, file, sizeof file);
	assert_string_equal(file, "t1_s0g5.db");
	assert_int_equal(cat_placement_parse(file, &tid, &sh, &gen), MUR_OK);
	assert_int_equal(tid * 100 + sh * 10 + gen, 105);
	cat_placement_file(t, 1, file, sizeof file);
	assert_string_equal(file, "t1_s1.db");
	assert_int_equal(cat_placement_parse("t1_s2g.db", &tid, &sh, &gen), MUR_ERR);
	assert_int_equal(cat_placement_parse("t1_s2.dbx", &tid, &sh, &gen), MUR_ERR);
	assert_int_equal(cat_placement_parse("t1_s2g0.db", &tid, &sh, &gen), MUR_ERR);
	assert_int_equal(cat_placement_parse("t-1_s2.db", &tid, &sh, &gen), MUR_ERR);
	assert_int_equal(cat_placement_parse("t4294967296_s2.db", &tid, &sh, &gen), MUR_ERR);
	assert_int_equal(cat_placement_parse("t4294967295_s7g12.db", &tid, &sh, &gen), MUR_OK);
	assert_true(tid == 4294967295u && sh == 7 && gen == 12);
	assert_false(cat_tables_colocated(t, u)); /* q was not split */
	assert_int_equal(cat_shard_split(c, ids + 1, 1, 0, &at, 5, rows_hi, &err), MUR_OK);
	assert_true(cat_tables_colocated(t, u));
	cat_close(c);

	c = cat_open(path, &err); /* durable: shards, bounds, generations, copies */
	assert_non_null(c);
	t = cat_table_lookup(c, NULL, "r");
	assert_int_equal(t->nshards, 3);
	assert_int_equal(shard_of_int(t, 40), 2);
	assert_int_equal(shard_of_int(t, 39), 0);
	assert_int_equal(t->shards[0].gen, 5);
	assert_int_equal(t->shards[2].gen, 5);
	assert_int_equal(t->shards[1].gen, 0);
	assert_int_equal(t->shards[2].nplacements, 1);
	assert_true(cat_tables_colocated(t, cat_table_lookup(c, NULL, "q")));
	cat_close(c);
	unlink(path);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_placement_and_colocation),
		cmocka_unit_test(test_durable_reopen),
		cmocka_unit_test(test_store_writes_hooked_and_locked),
		cmocka_unit_test(test_primary_key_added),
		cmocka_unit_test(test_pending_and_dropped_tables),
		cmocka_unit_test(test_reference_placement),
		cmocka_unit_test(test_reference_durable_and_upgrade),
		cmocka_unit_test(test_range_routing),
		cmocka_unit_test(test_range_durable_and_upgrade),
		cmocka_unit_test(test_range_split_durable),
		cmocka_unit_test(test_stats_durable_and_upgrade),
		cmocka_unit_test(test_table_by_id_after_drops),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
