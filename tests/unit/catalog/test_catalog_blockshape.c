/*
 * test_catalog_blockshape.c — a block's own shape of a table it altered
 * (catalog_blockshape.c): the block's viewer sees it, every other viewer
 * and the catalog's own look-ups the old shape, a look-up by another
 * viewer notes the block; the end takes the shape durably (with the
 * block's column renames in its indexes) or forgets it.  The other holds
 * (a table the block dropped, one it built an index on) likewise.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "catalog/catalog.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static void set_cols(cat_table *d, int n, const char *const *names)
{
	d->ncols = n;
	for (int i = 0; i < n; i++) {
		snprintf(d->cols[i].name, sizeof d->cols[i].name, "%s", names[i]);
		d->cols[i].type = MT_INT4;
		d->cols[i].typmod = -1;
	}
}

static uint32_t make_table(catalog *c)
{
	static const char *const names[] = {"id", "a"};
	cat_table *def = calloc(1, sizeof *def);
	const cat_table *t = NULL;
	mur_error err;
	snprintf(def->name, sizeof def->name, "t");
	snprintf(def->schema, sizeof def->schema, "public");
	set_cols(def, 2, names);
	assert_int_equal(cat_create_table(c, def, &t, &err), MUR_OK);
	free(def);
	return t->id;
}

/* def: t's shape with columns names, named name. */
static cat_table *shape(const catalog *c, uint32_t id, const char *name, int n,
			const char *const *names)
{
	cat_table *d = calloc(1, sizeof *d);
	*d = *cat_table_by_id((catalog *)c, id);
	snprintf(d->name, sizeof d->name, "%s", name);
	for (int i = 0; i < d->ncols; i++)
		d->cols[i].default_sql = NULL;
	set_cols(d, n, names);
	return d;
}

static const cat_table *seen_by(catalog *c, uint64_t txid, const char *name)
{
	const cat_table *t;
	cat_set_viewer(c, 1, txid);
	t = cat_table_lookup(c, NULL, name);
	cat_set_viewer(c, 0, 0);
	return t;
}

static void test_the_block_alone_sees_its_shape(void **state)
{
	static const char *const added[] = {"id", "a", "c"};
	mur_error err;
	catalog *c = cat_open(NULL, &err);
	uint32_t id = make_table(c);
	cat_table *def = shape(c, id, "t2", 3, added);
	const cat_table *v;
	(void)state;
	assert_int_equal(cat_table_block_shape_set(c, id, 7, def, &err), MUR_OK);
	v = seen_by(c, 7, "t2");
	assert_non_null(v);
	assert_int_equal(v->ncols, 3);
	assert_int_equal(v->id, id);
	assert_ptr_equal(v->shards, cat_table_by_id(c, id)->shards); /* where they are now */
	assert_ptr_equal(cat_table_base(v), cat_table_by_id(c, id));
	assert_null(seen_by(c, 7, "t"));
	assert_int_equal(cat_viewer_blocked_by(c), 0);
	/* another viewer, and the catalog's own look-ups: the old shape */
	v = seen_by(c, 8, "t");
	assert_non_null(v);
	assert_int_equal(v->ncols, 2);
	cat_set_viewer(c, 1, 8);
	assert_non_null(cat_table_lookup(c, NULL, "t"));
	assert_int_equal(cat_viewer_blocked_by(c), 7);
	cat_set_viewer(c, 0, 0);
	assert_null(seen_by(c, 8, "t2"));
	assert_int_equal(cat_table_lookup(c, NULL, "t")->ncols, 2);
	/* a second block cannot alter it meanwhile */
	assert_int_equal(cat_table_block_shape_set(c, id, 9, def, &err), MUR_ERR);
	assert_string_equal(err.sqlstate, "55006");
	assert_true(cat_block_shape_held(c, 7));
	/* undone: the old shape for everybody */
	cat_table_block_shape_end(c, id);
	assert_false(cat_block_shape_held(c, 7));
	assert_int_equal(seen_by(c, 7, "t")->ncols, 2);
	assert_null(seen_by(c, 7, "t2"));
	free(def);
	cat_close(c);
}

static void test_commit_takes_the_shape_and_renames_indexes(void **state)
{
	static const char *const added[] = {"id", "a", "c"};
	static const char *const renamed[] = {"id", "b", "c"};
	char dir[] = "/tmp/murphy_bshape_XXXXXX", path[256];
	mur_error err;
	cat_index x;
	catalog *c;
	uint32_t id;
	cat_table *d1, *d2;
	(void)state;
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof path, "%s/catalog.db", dir);
	c = cat_open(path, &err);
	id = make_table(c);
	memset(&x, 0, sizeof x);
	x.table_id = id;
	snprintf(x.name, sizeof x.name, "t_a");
	x.ncols = 1;
	snprintf(x.cols[0], sizeof x.cols[0], "a");
	assert_int_equal(cat_index_add(c, &x, &err), MUR_OK);
	/* ADD COLUMN c, then RENAME a TO b, in one block */
	d1 = shape(c, id, "t", 3, added);
	d2 = shape(c, id, "t", 3, renamed);
	assert_int_equal(cat_alter_intent_put(c, id, 7, d1, &err), MUR_OK);
	assert_int_equal(cat_table_block_shape_set(c, id, 7, d1, &err), MUR_OK);
	assert_int_equal(cat_alter_intent_put(c, id, 7, d2, &err), MUR_OK);
	assert_int_equal(cat_table_block_shape_set(c, id, 7, d2, &err), MUR_OK);
	assert_string_equal(cat_index_lookup(c, NULL, "t_a")->cols[0], "a"); /* not before COMMIT */
	assert_int_equal(cat_table_block_shape_commit(c, id, &err), MUR_OK);
	assert_false(cat_block_shape_held(c, 7));
	assert_string_equal(cat_index_lookup(c, NULL, "t_a")->cols[0], "b");
	assert_string_equal(cat_table_lookup(c, NULL, "t")->cols[1].name, "b");
	cat_close(c);
	/* durable: the shape and the index after a reopen, no intent left */
	c = cat_open(path, &err);
	assert_non_null(c);
	assert_int_equal(cat_table_lookup(c, NULL, "t")->ncols, 3);
	assert_string_equal(cat_table_lookup(c, NULL, "t")->cols[1].name, "b");
	assert_string_equal(cat_index_lookup(c, NULL, "t_a")->cols[0], "b");
	cat_close(c);
	free(d1);
	free(d2);
}

/* A block's DROP TABLE hides the table from that block alone (and from
 * look-ups outside a viewer); other viewers find it and note the block;
 * a CREATE INDEX's hold notes the block for writers, with the table. */
static void test_drop_and_index_holds(void **state)
{
	mur_error err;
	catalog *c = cat_open(NULL, &err);
	uint32_t id = make_table(c), table_id = 99;
	(void)state;
	cat_table_set_dropped(c, id, 7);
	assert_null(seen_by(c, 7, "t"));
	assert_null(cat_table_lookup(c, NULL, "t")); /* the block may create it again */
	cat_set_viewer(c, 1, 8);
	assert_non_null(cat_table_lookup(c, NULL, "t"));
	assert_int_equal(cat_viewer_blocked_by(c), 7);
	cat_set_viewer(c, 0, 0);
	assert_true(cat_block_shape_held(c, 7));
	assert_false(cat_block_shape_held(c, 8));
	cat_table_set_dropped(c, id, 0); /* rolled back */
	assert_false(cat_block_shape_held(c, 7));
	assert_non_null(cat_table_lookup(c, NULL, "t"));
	/* an index built by block 7: writers wait, the block itself does not */
	cat_table_index_hold(c, id, 7);
	cat_table_index_hold(c, id, 9); /* the first holder stays */
	cat_set_viewer(c, 1, 8);
	assert_non_null(cat_table_lookup(c, NULL, "t"));
	assert_int_equal(cat_viewer_blocked_by(c), 0);
	assert_int_equal(cat_viewer_share_blocked(c, &table_id), 7);
	assert_int_equal(table_id, id);
	cat_set_viewer(c, 1, 7);
	assert_non_null(cat_table_lookup(c, NULL, "t"));
	assert_int_equal(cat_viewer_share_blocked(c, &table_id), 0);
	cat_set_viewer(c, 0, 0);
	assert_true(cat_block_shape_held(c, 7));
	cat_index_holds_end(c, 7);
	assert_false(cat_block_shape_held(c, 7));
	cat_close(c);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_the_block_alone_sees_its_shape),
		cmocka_unit_test(test_commit_takes_the_shape_and_renames_indexes),
		cmocka_unit_test(test_drop_and_index_holds),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
