/*
 * catalog_index.c — secondary indexes (CREATE INDEX) as catalog objects.
 *
 * The index itself lives in every copy of its table's shards (each
 * shard's SQLite file: leader/lead_ddl.c sends the DDL); the catalog
 * keeps what names and describes it, so that
 *   - an index lives in its table's schema and its name is one
 *     relation's there (42P07 when a table, view, sequence or index of
 *     that schema already has it, as PostgreSQL; another schema may have
 *     an index of the same name), and DROP INDEX [schema.]name finds the
 *     one table whose copies hold it (42704 when none does);
 *   - pg_class / pg_index / pg_get_indexdef, psql's \d and \di, pg_dump
 *     and the drivers' metadata calls see it (src/pgcatalog).
 * The primary key's index is not here: it is the table's (cat_column
 * primary_key), named <table>_pkey.
 *
 * Columns are kept by name (with DESC per column); a RENAME COLUMN of
 * the table renames them (cat_index_rename_columns, from the reshape), a
 * DROP TABLE drops the table's indexes (cat_indexes_forget_table: the
 * store's rows go with the table's, catalog_store.c).
 *
 * Durability: one row of the store's indexes table per index, written
 * before memory changes; a change bumps cat_version.  An index made
 * before this table existed is in its shards but not here: DROP INDEX
 * IF EXISTS of its name still reaches every copy (leader/lead_ddl.c).
 */
#include "catalog/catalog_fkey.h"
#include "catalog/catalog_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SQLSTATE_DUPLICATE_TABLE "42P07"
/* "name DESC\n" per column in the store row */
#define INDEX_COLUMN_TEXT_MAX (CAT_NAME_MAX + 8)

int cat_index_count(const catalog *c) { return c->nindexes; }
const cat_index *cat_index_at(const catalog *c, int i) { return c->indexes[i]; }

int cat_table_has_unique_key(const catalog *c, const cat_table *t)
{
	for (int i = 0; i < t->ncols; i++)
		if (t->cols[i].primary_key)
			return 1;
	for (int i = 0; i < c->nindexes; i++)
		if (c->indexes[i]->table_id == t->id && c->indexes[i]->unique)
			return 1;
	return 0;
}

int cat_table_insert_cannot_fail(const catalog *c, const cat_table *t)
{
	if (t->nchecks > 0 || cat_table_has_unique_key(c, t))
		return 0;
	for (int i = 0; i < cat_fkey_count(c); i++) {
		const cat_fkey *k = cat_fkey_at(c, i);
		if (k && k->table_id == t->id)
			return 0;
	}
	return 1;
}

/* An index lives in its table's schema, as PostgreSQL's: "public" for
 * a table of none; NULL when the table is gone. */
static const char *index_schema(const catalog *c, const cat_index *x)
{
	const cat_table *t = cat_table_by_id((catalog *)c, x->table_id);
	return !t ? NULL : t->schema[0] ? t->schema : "public";
}

/* The index called name in schema (NULL: in any schema, the first). */
static int find(const catalog *c, const char *schema, const char *name)
{
	for (int i = 0; i < c->nindexes; i++) {
		const char *in;
		if (strcmp(c->indexes[i]->name, name))
			continue;
		if (!schema || ((in = index_schema(c, c->indexes[i])) && !strcmp(in, schema)))
			return i;
	}
	return -1;
}

const cat_index *cat_index_lookup(const catalog *c, const char *schema, const char *name)
{
	int i = find(c, schema, name);
	return i < 0 ? NULL : c->indexes[i];
}

int cat_indexes_upgrade(catalog *c, mur_error *err)
{
	sqlite3_stmt *st;
	int unique_names = 0;
	if (sqlite3_prepare_v2(c->store,
			       "SELECT sql LIKE '%name TEXT UNIQUE%' FROM sqlite_master WHERE "
			       "type = 'table' AND name = 'indexes'",
			       -1, &st, NULL) != SQLITE_OK)
		return mur_error_set(err, SQLSTATE_IO_ERROR, "catalog store: %s",
				     sqlite3_errmsg(c->store));
	if (sqlite3_step(st) == SQLITE_ROW)
		unique_names = sqlite3_column_int(st, 0);
	sqlite3_finalize(st);
	if (!unique_names)
		return MUR_OK;
	/* names were unique across schemas: the table again without it, in
	 * one transaction (a crash leaves the old table or the new one) */
	char *msg = NULL;
	if (sqlite3_exec(c->store,
			 "SAVEPOINT index_names;"
			 "CREATE TABLE indexes_v2(id INTEGER PRIMARY KEY, name TEXT NOT NULL,"
			 " table_id INTEGER NOT NULL, columns TEXT NOT NULL,"
			 " is_unique INTEGER NOT NULL);"
			 "INSERT INTO indexes_v2 SELECT id, name, table_id, columns, is_unique"
			 " FROM indexes;"
			 "DROP TABLE indexes;"
			 "ALTER TABLE indexes_v2 RENAME TO indexes;"
			 "RELEASE index_names;",
			 NULL, NULL, &msg) != SQLITE_OK) {
		mur_error_set(err, SQLSTATE_IO_ERROR, "catalog store: index names: %s",
			      msg ? msg : "?");
		sqlite3_free(msg);
		sqlite3_exec(c->store, "ROLLBACK TO index_names; RELEASE index_names;", NULL, NULL,
			     NULL);
		return MUR_ERR;
	}
	return MUR_OK;
}

void cat_indexes_free(catalog *c)
{
	for (int i = 0; i < c->nindexes; i++)
		free(c->indexes[i]);
	c->nindexes = 0;
}

/* ---- the store row ---- */

static int store_put(catalog *c, const cat_index *x, mur_error *err)
{
	char cols[CAT_INDEX_COLS_MAX * INDEX_COLUMN_TEXT_MAX + 1];
	size_t len = 0;
	if (!c->store)
		return MUR_OK;
	cols[0] = '\0';
	for (int i = 0; i < x->ncols; i++)
		len += (size_t)snprintf(cols + len, sizeof cols - len, "%s%s\n", x->cols[i],
					x->desc[i] ? " DESC" : "");
	return cat_store_run(c, "INSERT OR REPLACE INTO indexes VALUES (?,?,?,?,?)", "isisi", err,
			     (int64_t)x->id, x->name, (int64_t)x->table_id, cols,
			     (int64_t)x->unique);
}

static int decode_columns(cat_index *x, const char *s)
{
	x->ncols = 0;
	while (*s && x->ncols < CAT_INDEX_COLS_MAX) {
		const char *nl = strchr(s, '\n');
		size_t n = nl ? (size_t)(nl - s) : strlen(s);
		if (n > 5 && !strncmp(s + n - 5, " DESC", 5)) {
			x->desc[x->ncols] = 1;
			n -= 5;
		}
		snprintf(x->cols[x->ncols++], CAT_NAME_MAX, "%.*s", (int)n, s);
		s += nl ? (size_t)(nl - s) + 1 : strlen(s);
	}
	return x->ncols > 0 ? MUR_OK : MUR_ERR;
}

int cat_indexes_load(catalog *c, mur_error *err)
{
	sqlite3_stmt *st;
	if (sqlite3_prepare_v2(c->store,
			       "SELECT name, table_id, columns, is_unique, id FROM indexes", -1,
			       &st, NULL) != SQLITE_OK)
		return mur_error_set(err, SQLSTATE_IO_ERROR, "catalog store: load indexes: %s",
				     sqlite3_errmsg(c->store));
	while (sqlite3_step(st) == SQLITE_ROW && c->nindexes < CAT_INDEXES_MAX) {
		cat_index *x = calloc(1, sizeof *x);
		const char *name = (const char *)sqlite3_column_text(st, 0);
		const char *cols = (const char *)sqlite3_column_text(st, 2);
		if (!x || !name || !cols || decode_columns(x, cols) != MUR_OK) {
			free(x);
			continue;
		}
		snprintf(x->name, sizeof x->name, "%s", name);
		x->table_id = (uint32_t)sqlite3_column_int64(st, 1);
		x->unique = sqlite3_column_int(st, 3);
		x->id = (uint32_t)sqlite3_column_int64(st, 4);
		if (x->id >= c->next_index_id)
			c->next_index_id = x->id + 1;
		c->indexes[c->nindexes++] = x;
	}
	sqlite3_finalize(st);
	return MUR_OK;
}

/* ---- CREATE INDEX / DROP INDEX ---- */

/* Is name t's primary key's index (<table>_pkey), in schema? */
static int is_pkey_name(const cat_table *t, const char *schema, const char *name)
{
	size_t n = strlen(t->name);
	int has_key = 0;
	if (strcmp(t->schema[0] ? t->schema : "public", schema ? schema : "public"))
		return 0;
	for (int i = 0; i < t->ncols && !has_key; i++)
		has_key = t->cols[i].primary_key;
	return has_key && !strncmp(name, t->name, n) && !strcmp(name + n, "_pkey");
}

/* 42P07 when a relation of its table's schema already has def's name: a
 * table, view, sequence, another index or a primary key's index. */
static int name_taken(const catalog *c, const cat_index *def, mur_error *err)
{
	const char *schema = index_schema(c, def);
	int taken = find(c, schema ? schema : "public", def->name) >= 0 ||
		    cat_table_lookup(c, schema, def->name) ||
		    cat_view_lookup(c, schema, def->name) ||
		    cat_seq_lookup_in(c, schema, def->name);
	for (int i = 0; !taken && i < cat_table_count(c); i++)
		taken = is_pkey_name(cat_table_at(c, i), schema, def->name);
	if (!taken)
		return MUR_OK;
	return mur_error_set(err, SQLSTATE_DUPLICATE_TABLE, "relation \"%s\" already exists",
			     def->name);
}

int cat_index_check_name(const catalog *c, const cat_index *def, mur_error *err)
{
	return name_taken(c, def, err);
}

int cat_index_add(catalog *c, const cat_index *def, mur_error *err)
{
	cat_index *x;
	if (name_taken(c, def, err) != MUR_OK)
		return MUR_ERR;
	if (c->nindexes >= CAT_INDEXES_MAX)
		return mur_error_set(err, SQLSTATE_PROGRAM_LIMIT_EXCEEDED,
				     "murphy keeps at most %d indexes", CAT_INDEXES_MAX);
	if (!(x = malloc(sizeof *x)))
		return mur_error_set(err, SQLSTATE_OUT_OF_MEMORY, "out of memory");
	*x = *def;
	x->id = c->next_index_id ? c->next_index_id : 1;
	if (store_put(c, x, err) != MUR_OK) {
		free(x);
		return MUR_ERR;
	}
	c->indexes[c->nindexes++] = x;
	c->next_index_id = x->id + 1;
	c->version++;
	return MUR_OK;
}

static void forget_at(catalog *c, int i)
{
	cat_comments_forget(c, CAT_COMMENT_INDEX, c->indexes[i]->id);
	free(c->indexes[i]);
	memmove(&c->indexes[i], &c->indexes[i + 1],
		(size_t)(c->nindexes - i - 1) * sizeof c->indexes[0]);
	c->nindexes--;
	c->version++;
}

int cat_index_drop(catalog *c, const char *schema, const char *name, mur_error *err)
{
	int i = find(c, schema, name);
	if (i < 0)
		return MUR_OK;
	if (c->store && cat_store_run(c, "DELETE FROM indexes WHERE id = ?", "i", err,
				      (int64_t)c->indexes[i]->id) != MUR_OK)
		return MUR_ERR;
	forget_at(c, i);
	cat_comments_prune_constraints(c); /* a UNIQUE constraint's */
	return MUR_OK;
}

void cat_indexes_forget_table(catalog *c, uint32_t table_id)
{
	for (int i = c->nindexes - 1; i >= 0; i--)
		if (c->indexes[i]->table_id == table_id)
			forget_at(c, i);
}

int cat_index_rename_columns(catalog *c, const cat_table *old, const cat_table *def, mur_error *err)
{
	if (old->ncols != def->ncols)
		return MUR_OK; /* ADD / DROP COLUMN: names unchanged */
	for (int i = 0; i < c->nindexes; i++) {
		cat_index *x = c->indexes[i], renamed = *x;
		int changed = 0;
		if (x->table_id != old->id)
			continue;
		for (int k = 0; k < x->ncols; k++)
			for (int col = 0; col < old->ncols; col++)
				if (!strcmp(x->cols[k], old->cols[col].name) &&
				    strcmp(old->cols[col].name, def->cols[col].name)) {
					snprintf(renamed.cols[k], CAT_NAME_MAX, "%s",
						 def->cols[col].name);
					changed = 1;
					break;
				}
		if (!changed)
			continue;
		if (store_put(c, &renamed, err) != MUR_OK)
			return MUR_ERR;
		*x = renamed;
		c->version++;
	}
	return MUR_OK;
}
