/*
 * catalog_fkey.c — foreign keys in the catalog (catalog_fkey.h).
 *
 * An array in memory (c->fkeys, grown by doubling up to CAT_FKEYS_MAX),
 * durable in the store's fkeys table: one synchronous write per change,
 * memory after.  A key whose table is gone (dropped, or a pending CREATE
 * that rolled back) is not listed (cat_fkey_at answers NULL for it) and
 * goes from the store at the next DROP of either table id.
 */
#include "catalog/catalog_fkey.h"

#include "catalog/catalog_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SQLSTATE_DUPLICATE_OBJECT "42710"

static int grow(catalog *c, mur_error *err)
{
	cat_fkey *n;
	int cap = c->fkeys_cap ? c->fkeys_cap * 2 : 16;
	if (c->nfkeys < c->fkeys_cap)
		return MUR_OK;
	if (c->nfkeys >= CAT_FKEYS_MAX)
		return mur_error_set(err, SQLSTATE_PROGRAM_LIMIT_EXCEEDED,
				     "too many foreign keys (limit %d)", CAT_FKEYS_MAX);
	if (!(n = realloc(c->fkeys, (size_t)cap * sizeof *n)))
		return mur_error_set(err, SQLSTATE_OUT_OF_MEMORY, "out of memory");
	c->fkeys = n;
	c->fkeys_cap = cap;
	return MUR_OK;
}

int cat_fkeys_load(catalog *c, mur_error *err)
{
	sqlite3_stmt *st;
	int rc = MUR_OK;
	if (sqlite3_prepare_v2(c->store,
			       "SELECT id, name, table_id, col, ref_table_id, ref_col, on_delete,"
			       " on_update FROM fkeys ORDER BY id",
			       -1, &st, NULL) != SQLITE_OK)
		return mur_error_set(err, SQLSTATE_IO_ERROR, "catalog store: load fkeys: %s",
				     sqlite3_errmsg(c->store));
	while (rc == MUR_OK && sqlite3_step(st) == SQLITE_ROW && (rc = grow(c, err)) == MUR_OK) {
		cat_fkey *k = &c->fkeys[c->nfkeys++];
		const char *name = (const char *)sqlite3_column_text(st, 1);
		const char *del = (const char *)sqlite3_column_text(st, 6);
		const char *upd = (const char *)sqlite3_column_text(st, 7);
		memset(k, 0, sizeof *k);
		k->id = (uint32_t)sqlite3_column_int64(st, 0);
		snprintf(k->name, sizeof k->name, "%s", name ? name : "");
		k->table_id = (uint32_t)sqlite3_column_int64(st, 2);
		k->col = sqlite3_column_int(st, 3);
		k->ref_table_id = (uint32_t)sqlite3_column_int64(st, 4);
		k->ref_col = sqlite3_column_int(st, 5);
		k->on_delete = del && *del ? *del : CAT_FK_NO_ACTION;
		k->on_update = upd && *upd ? *upd : CAT_FK_NO_ACTION;
		if (k->id >= c->next_fkey_id)
			c->next_fkey_id = k->id + 1;
	}
	sqlite3_finalize(st);
	return rc;
}

int cat_fkey_count(const catalog *c) { return c->nfkeys; }

const cat_fkey *cat_fkey_at(const catalog *c, int i)
{
	const cat_fkey *k;
	if (i < 0 || i >= c->nfkeys)
		return NULL;
	k = &c->fkeys[i];
	if (!cat_table_by_id((catalog *)c, k->table_id) ||
	    !cat_table_by_id((catalog *)c, k->ref_table_id))
		return NULL;
	return k;
}

const cat_fkey *cat_fkey_find(const catalog *c, uint32_t table_id, const char *name)
{
	for (int i = 0; i < c->nfkeys; i++) {
		const cat_fkey *k = cat_fkey_at(c, i);
		if (k && k->table_id == table_id && !strcmp(k->name, name))
			return k;
	}
	return NULL;
}

int cat_fkey_add(catalog *c, const cat_fkey *def, mur_error *err)
{
	cat_fkey k = *def;
	char del[2] = {def->on_delete, 0}, upd[2] = {def->on_update, 0};
	if (cat_fkey_find(c, def->table_id, def->name))
		return mur_error_set(err, SQLSTATE_DUPLICATE_OBJECT,
				     "constraint \"%s\" for relation already exists", def->name);
	if (grow(c, err) != MUR_OK)
		return MUR_ERR;
	k.id = c->next_fkey_id > CAT_FKEY_ID_BASE ? c->next_fkey_id : CAT_FKEY_ID_BASE;
	if (c->store &&
	    cat_store_run(c, "INSERT INTO fkeys VALUES (?,?,?,?,?,?,?,?)", "isiiiiss", err,
			  (int64_t)k.id, k.name, (int64_t)k.table_id, (int64_t)k.col,
			  (int64_t)k.ref_table_id, (int64_t)k.ref_col, del, upd) != MUR_OK)
		return MUR_ERR;
	c->next_fkey_id = k.id + 1;
	c->fkeys[c->nfkeys++] = k;
	return MUR_OK;
}

static void forget(catalog *c, int i)
{
	memmove(&c->fkeys[i], &c->fkeys[i + 1], (size_t)(c->nfkeys - i - 1) * sizeof c->fkeys[0]);
	c->nfkeys--;
}

int cat_fkey_drop(catalog *c, uint32_t id, mur_error *err)
{
	for (int i = 0; i < c->nfkeys; i++) {
		if (c->fkeys[i].id != id)
			continue;
		if (c->store && cat_store_run(c, "DELETE FROM fkeys WHERE id = ?", "i", err,
					      (int64_t)id) != MUR_OK)
			return MUR_ERR;
		forget(c, i);
		cat_comments_prune_constraints(c);
		return MUR_OK;
	}
	return MUR_OK;
}

int cat_fkey_drop_table(catalog *c, uint32_t table_id, mur_error *err)
{
	if (c->store && cat_store_run(c, "DELETE FROM fkeys WHERE table_id = ? OR ref_table_id = ?",
				      "ii", err, (int64_t)table_id, (int64_t)table_id) != MUR_OK)
		return MUR_ERR;
	for (int i = c->nfkeys - 1; i >= 0; i--)
		if (c->fkeys[i].table_id == table_id || c->fkeys[i].ref_table_id == table_id)
			forget(c, i);
	return MUR_OK;
}
