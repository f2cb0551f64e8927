/*
 * catalog_blockshape.c — the shape an open transaction block gave a table
 * that existed before it, seen by that block alone until its COMMIT
 * (docs/transactions.md, "ALTER TABLE in a block").
 *
 * An ALTER TABLE in a block changes the shards at once (DDL entries of
 * the block's transaction, undone with its writes) but the catalog's
 * shape only when the block commits (leader/lead_ddltxn.c).  Meanwhile
 * the block's own later statements must plan with the new shape, every
 * other session with the old one.  The catalog entry keeps the old shape;
 * beside it:
 *
 *   shape_txid   the block (0: none)
 *   shape_def    the shape after the block's last ALTER of the table
 *                (name, columns with their defaults, dist_col; owned)
 *   shape_view   the table as the block sees it: the entry's every other
 *                field (id, shards, placements, ...) with shape_def's
 *                shape, refreshed at each look-up (cat_table_viewed), so
 *                a shard moved meanwhile is seen where it is now
 *
 * cat_table_lookup and cat_table_at answer with shape_view while the
 * viewer (cat_set_viewer) is shape_txid.  Durability is not here: the
 * intent (catalog_alter.c) holds "if shape_txid commits, the shape is
 * shape_def"; a restarted leader has no open block, hence no overlay.
 *
 * The same look-ups note the other holds an open block has on a table,
 * for the leader to make other sessions wait for that block's end as
 * PostgreSQL's table locks do: a table it dropped (dropped: every
 * statement naming it waits, as for a shape) and one it built an index
 * on (index_txid: only writes to it wait, as behind a SHARE lock).
 *
 * Lifetime: shape_def and shape_view stay allocated until the next
 * block_shape_set of the table or its drop (a plan of the block may still
 * point at the view; every change bumps cat_version, so such a plan is
 * made again before it runs).
 */
#include "catalog/catalog_int.h"

#include <stdlib.h>
#include <string.h>

static void def_free(cat_table *d)
{
	if (!d)
		return;
	for (int i = 0; i < d->ncols; i++)
		free(d->cols[i].default_sql);
	free(d);
}

/* A copy of def's shape (name, columns, dist_col); NULL out of memory. */
static cat_table *def_copy(const cat_table *def)
{
	cat_table *d = calloc(1, sizeof *d);
	if (!d)
		return NULL;
	memcpy(d->name, def->name, sizeof d->name);
	d->dist_col = def->dist_col;
	for (int i = 0; i < def->ncols; i++) {
		d->cols[i] = def->cols[i];
		d->cols[i].default_sql = NULL;
		d->ncols = i + 1;
		if (def->cols[i].default_sql &&
		    !(d->cols[i].default_sql = strdup(def->cols[i].default_sql))) {
			def_free(d);
			return NULL;
		}
	}
	return d;
}

/* prev → def renamed columns (same count, a name changed in place):
 * note each (from, to) for the indexes at COMMIT. */
static int note_renames(cat_table *t, const cat_table *prev, const cat_table *def)
{
	if (t->shape_txid == 0)
		t->nshape_renames = t->shape_moved = 0; /* a new block */
	if (prev->ncols != def->ncols) {
		t->shape_moved = 1;
		return MUR_OK;
	}
	for (int i = 0; i < def->ncols; i++) {
		char(*g)[2][CAT_NAME_MAX];
		if (!strcmp(prev->cols[i].name, def->cols[i].name))
			continue;
		g = realloc(t->shape_renames, (size_t)(t->nshape_renames + 1) * sizeof *g);
		if (!g)
			return MUR_ENOMEM;
		t->shape_renames = g;
		memcpy(g[t->nshape_renames][0], prev->cols[i].name, CAT_NAME_MAX);
		memcpy(g[t->nshape_renames][1], def->cols[i].name, CAT_NAME_MAX);
		t->nshape_renames++;
	}
	return MUR_OK;
}

int cat_table_block_shape_set(catalog *c, uint32_t table_id, uint64_t txid, const cat_table *def,
			      mur_error *err)
{
	cat_table *t = cat_table_by_id(c, table_id);
	cat_table *d;
	if (!t || t->kind != CAT_TABLE_DISTRIBUTED)
		return mur_error_set(err, SQLSTATE_UNDEFINED_TABLE, "table %u does not exist",
				     table_id);
	if (t->shape_txid && t->shape_txid != txid) /* its shards' locks should exclude it */
		return mur_error_set(err, SQLSTATE_OBJECT_IN_USE,
				     "table \"%s\" is being altered by transaction %llu", t->name,
				     (unsigned long long)t->shape_txid);
	if (!t->shape_view && !(t->shape_view = calloc(1, sizeof *t->shape_view)))
		return mur_error_set(err, SQLSTATE_OUT_OF_MEMORY, "out of memory");
	if (!(d = def_copy(def)))
		return mur_error_set(err, SQLSTATE_OUT_OF_MEMORY, "out of memory");
	if (note_renames(t, t->shape_txid == txid && t->shape_def ? t->shape_def : t, def) !=
	    MUR_OK) {
		def_free(d);
		return mur_error_set(err, SQLSTATE_OUT_OF_MEMORY, "out of memory");
	}
	def_free(t->shape_def);
	t->shape_def = d;
	t->shape_txid = txid;
	c->version++;
	return MUR_OK;
}

void cat_table_block_shape_end(catalog *c, uint32_t table_id)
{
	cat_table *t = cat_table_by_id(c, table_id);
	if (!t || !t->shape_txid)
		return;
	t->shape_txid = 0;
	c->version++;
}

int cat_table_block_shape_commit(catalog *c, uint32_t table_id, mur_error *err)
{
	cat_table *t = cat_table_by_id(c, table_id);
	cat_table *from, *to;
	int rc = MUR_OK;
	if (!t || !t->shape_txid)
		return MUR_OK;
	from = calloc(1, sizeof *from);
	to = calloc(1, sizeof *to);
	if (!from || !to)
		rc = mur_error_set(err, SQLSTATE_OUT_OF_MEMORY, "out of memory");
	/* without an ADD / DROP the reshape renames by position (catalog_
	 * index.c), which is right then; with one, by the block's own list */
	for (int i = 0; rc == MUR_OK && t->shape_moved && i < t->nshape_renames; i++) {
		/* one column each: the index columns named from are renamed */
		from->id = to->id = table_id;
		from->ncols = to->ncols = 1;
		memcpy(from->cols[0].name, t->shape_renames[i][0], CAT_NAME_MAX);
		memcpy(to->cols[0].name, t->shape_renames[i][1], CAT_NAME_MAX);
		rc = cat_index_rename_columns(c, from, to, err);
		if (rc == MUR_OK)
			rc = cat_comments_rename_columns(c, from, to, err);
	}
	free(from);
	free(to);
	if (rc == MUR_OK)
		rc = cat_table_reshape(c, table_id, t->shape_def, err);
	cat_table_block_shape_end(c, table_id);
	return rc;
}

uint64_t cat_table_block_shape_txid(const catalog *c, uint32_t table_id)
{
	const cat_table *t = cat_table_by_id((catalog *)c, table_id);
	return t ? t->shape_txid : 0;
}

const cat_table *cat_table_viewed(const catalog *c, cat_table *t)
{
	cat_table *v = t->shape_view;
	const cat_table *d = t->shape_def;
	if (!c->viewing || !t->shape_txid || t->shape_txid != c->viewer)
		return t;
	*v = *t;
	memcpy(v->name, d->name, sizeof v->name);
	memcpy(v->cols, d->cols, sizeof d->cols[0] * (size_t)d->ncols);
	v->ncols = d->ncols;
	v->dist_col = d->dist_col;
	v->col_analyzed_ms = NULL; /* per column of the old shape: cat_shard_distinct too */
	v->shape_txid = 0;
	v->shape_def = v->shape_view = NULL;
	v->shape_renames = NULL;
	v->nshape_renames = v->shape_moved = 0;
	v->shape_of = t;
	return v;
}

const cat_table *cat_table_base(const cat_table *t) { return t->shape_of ? t->shape_of : t; }

void cat_table_block_shape_free(cat_table *t)
{
	free(t->shape_renames);
	def_free(t->shape_def);
	free(t->shape_view);
	t->shape_def = t->shape_view = NULL;
	t->shape_txid = 0;
}

void cat_block_shape_seen(const catalog *c, const cat_table *t)
{
	const cat_table *base = cat_table_base(t);
	catalog *w = (catalog *)c; /* a look-up's side notes */
	if (!c->viewing)
		return;
	if (base->shape_txid && base->shape_txid != c->viewer)
		w->shape_seen = base->shape_txid;
	else if (base->dropped && base->dropped != c->viewer)
		w->shape_seen = base->dropped;
	if (base->index_txid && base->index_txid != c->viewer) {
		w->share_seen_table = w->share_seen && w->share_seen_table != base->id ? 0
										       : base->id;
		w->share_seen = base->index_txid;
	}
}

uint64_t cat_viewer_blocked_by(const catalog *c) { return c->shape_seen; }

int cat_table_name_taken(const catalog *c, const char *schema, const char *name)
{
	catalog *w = (catalog *)c; /* the look-up's side notes are put back */
	uint64_t shape = c->shape_seen, share = c->share_seen;
	uint32_t share_table = c->share_seen_table;
	int taken = cat_table_lookup(c, schema, name) != NULL;
	w->shape_seen = shape;
	w->share_seen = share;
	w->share_seen_table = share_table;
	return taken;
}

uint64_t cat_viewer_share_blocked(const catalog *c, uint32_t *table_id)
{
	*table_id = c->share_seen_table;
	return c->share_seen;
}

int cat_block_shape_held(const catalog *c, uint64_t txid)
{
	for (int i = 0; txid && i < c->ntables; i++) {
		const cat_table *t = c->tables[i];
		if (t->shape_txid == txid || t->dropped == txid || t->index_txid == txid)
			return 1;
	}
	return 0;
}

void cat_table_index_hold(catalog *c, uint32_t table_id, uint64_t txid)
{
	cat_table *t = cat_table_by_id(c, table_id);
	if (t && !t->index_txid)
		t->index_txid = txid; /* a second block's CREATE INDEX waited for the first */
}

void cat_index_holds_end(catalog *c, uint64_t txid)
{
	for (int i = 0; txid && i < c->ntables; i++)
		if (c->tables[i]->index_txid == txid)
			c->tables[i]->index_txid = 0;
}
