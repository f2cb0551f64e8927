/*
 * catalog_comment.c — COMMENT ON TABLE / VIEW / COLUMN / INDEX / SCHEMA /
 * SEQUENCE / CONSTRAINT (a table's, kept by the table's id and its name):
 * the descriptions pg_description, obj_description and col_description
 * show (pgcatalog/pgc_comment.c) and pg_dump writes back as COMMENT
 * statements.
 *
 * A comment names its object by kind and catalog id (tables and views
 * share one id space, indexes and schemas have their own) and, for a
 * column, by the column's name: pg_attribute's numbers shift when a column
 * is dropped, the name is what the comment was written on.  RENAME COLUMN
 * renames it (cat_comments_rename_columns), DROP COLUMN drops it
 * (cat_comments_drop_missing), both from ALTER TABLE's reshape.
 *
 * Invariant: every comment names an object that exists.  Dropping a
 * table, view, index or schema forgets its comments (cat_comments_forget,
 * called where the drop happens); at open, rows whose object is gone (a
 * crash between the object's delete and its comments') are deleted, so an
 * id given again later never inherits an old description.
 *
 * Durability: the store's comments row is written before memory changes
 * (cat_comment_set); c->comments holds malloc'd texts.
 */
#include "catalog/catalog_fkey.h"
#include "catalog/catalog_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char schema_sql[] =
	"CREATE TABLE IF NOT EXISTS comments(kind TEXT NOT NULL, id INTEGER NOT NULL,"
	" col TEXT NOT NULL, text TEXT NOT NULL, PRIMARY KEY(kind, id, col))";

static int find(const catalog *c, char kind, uint32_t id, const char *col)
{
	for (int i = 0; i < c->ncomments; i++)
		if (c->comments[i].kind == kind && c->comments[i].id == id &&
		    !strcmp(c->comments[i].col, col))
			return i;
	return -1;
}

const char *cat_comment_get(const catalog *c, char kind, uint32_t id, const char *col)
{
	int i = find(c, kind, id, col ? col : "");
	return i < 0 ? NULL : c->comments[i].text;
}

int cat_comment_count(const catalog *c) { return c->ncomments; }
const cat_comment *cat_comment_at(const catalog *c, int i) { return &c->comments[i]; }

/* 1 when column col ("" none asked) of relation id (a table or view) exists. */
static int relation_has(catalog *c, uint32_t id, const char *col)
{
	const cat_table *t = cat_table_by_id(c, id);
	const cat_view *v = t ? NULL : cat_view_by_id(c, id);
	if (!t && !v)
		return 0;
	if (!*col)
		return 1;
	if (t)
		return cat_column_index(t, col) >= 0 && !t->cols[cat_column_index(t, col)].hidden;
	for (int k = 0; k < v->ncols; k++)
		if (!strcmp(v->cols[k].name, col))
			return 1;
	return 0;
}

char cat_constraint_find(const catalog *c, const cat_table *t, const char *name, uint32_t *id)
{
	char pk[CAT_NAME_MAX + 8];
	*id = 0;
	snprintf(pk, sizeof pk, "%s_pkey", t->name);
	for (int k = 0; k < t->ncols && t->kind == CAT_TABLE_DISTRIBUTED; k++)
		if (t->cols[k].primary_key && !t->cols[k].hidden && !strcmp(pk, name))
			return 'p';
	for (int k = 0; k < t->nchecks; k++)
		if (!strcmp(t->checks[k].name, name)) {
			*id = (uint32_t)k;
			return 'c';
		}
	for (int k = 0; k < cat_fkey_count(c); k++)
		if (cat_fkey_at(c, k)->table_id == t->id &&
		    !strcmp(cat_fkey_at(c, k)->name, name)) {
			*id = cat_fkey_at(c, k)->id;
			return 'f';
		}
	for (int k = 0; k < c->nindexes; k++)
		if (c->indexes[k]->table_id == t->id &&
		    c->indexes[k]->unique == CAT_INDEX_UNIQUE_CONSTRAINT &&
		    !strcmp(c->indexes[k]->name, name)) {
			*id = c->indexes[k]->id;
			return 'u';
		}
	return 0;
}

/* 1 when cm's object exists. */
static int object_exists(catalog *c, char kind, uint32_t id, const char *col)
{
	switch (kind) {
	case CAT_COMMENT_RELATION:
		return relation_has(c, id, col);
	case CAT_COMMENT_SEQUENCE:
		for (int i = 0; i < cat_seq_count(c); i++)
			if (cat_seq_at(c, i)->id == id)
				return !*col;
		return 0;
	case CAT_COMMENT_CONSTRAINT: {
		const cat_table *t = cat_table_by_id(c, id);
		uint32_t k;
		return t && cat_constraint_find(c, t, col, &k) != 0;
	}
	case CAT_COMMENT_INDEX:
		for (int i = 0; i < c->nindexes; i++)
			if (c->indexes[i]->id == id)
				return !*col;
		return 0;
	case CAT_COMMENT_SCHEMA:
		if (id == CAT_COMMENT_PUBLIC_ID)
			return !*col;
		for (int i = 0; i < c->nschemas; i++)
			if (c->schemas[i].id == id)
				return !*col;
		return 0;
	}
	return 0;
}

static void forget_at(catalog *c, int i)
{
	free((char *)c->comments[i].text);
	c->comments[i] = c->comments[--c->ncomments];
}

/* Into memory (text copied); MUR_ENOMEM. */
static int put_memory(catalog *c, char kind, uint32_t id, const char *col, const char *text)
{
	int i = find(c, kind, id, col);
	char *copy = strdup(text);
	if (!copy)
		return MUR_ENOMEM;
	if (i >= 0) {
		free((char *)c->comments[i].text);
		c->comments[i].text = copy;
		return MUR_OK;
	}
	if (c->ncomments == c->comments_cap) {
		int cap = c->comments_cap ? c->comments_cap * 2 : 16;
		cat_comment *grown = realloc(c->comments, sizeof *grown * (size_t)cap);
		if (!grown) {
			free(copy);
			return MUR_ENOMEM;
		}
		c->comments = grown;
		c->comments_cap = cap;
	}
	c->comments[c->ncomments] = (cat_comment){.kind = kind, .id = id, .text = copy};
	snprintf(c->comments[c->ncomments].col, CAT_NAME_MAX, "%s", col);
	c->ncomments++;
	return MUR_OK;
}

int cat_comment_set(catalog *c, const cat_comment *cm, mur_error *err)
{
	char kind[2] = {cm->kind, 0};
	int drop = !cm->text || !*cm->text, i = find(c, cm->kind, cm->id, cm->col);
	/* public's "none" is a row: without one it shows PostgreSQL's text */
	int public = cm->kind == CAT_COMMENT_SCHEMA && cm->id == CAT_COMMENT_PUBLIC_ID;
	const char *text = drop && public ? "" : cm->text;
	if (public)
		drop = 0;
	if (!object_exists(c, cm->kind, cm->id, cm->col))
		return mur_error_set(err, SQLSTATE_UNDEFINED_OBJECT,
				     "the object of the comment no longer exists");
	if (!drop && strlen(text) > CAT_COMMENT_TEXT_MAX)
		return mur_error_set(err, SQLSTATE_PROGRAM_LIMIT_EXCEEDED,
				     "murphy keeps comments of at most %d bytes",
				     CAT_COMMENT_TEXT_MAX);
	if (!drop && i < 0 && c->ncomments >= CAT_COMMENTS_MAX)
		return mur_error_set(err, SQLSTATE_PROGRAM_LIMIT_EXCEEDED,
				     "murphy keeps at most %d comments", CAT_COMMENTS_MAX);
	if (c->store &&
	    (drop ? cat_store_run(c, "DELETE FROM comments WHERE kind = ? AND id = ? AND col = ?",
				  "sis", err, kind, (int64_t)cm->id, cm->col)
		  : cat_store_run(c, "INSERT OR REPLACE INTO comments VALUES (?, ?, ?, ?)", "siss",
				  err, kind, (int64_t)cm->id, cm->col, text)) != MUR_OK)
		return MUR_ERR;
	if (drop) {
		if (i >= 0)
			forget_at(c, i);
	} else if (put_memory(c, cm->kind, cm->id, cm->col, text) != MUR_OK) {
		return mur_error_set(err, SQLSTATE_OUT_OF_MEMORY, "out of memory");
	}
	c->version++;
	return MUR_OK;
}

void cat_comments_forget(catalog *c, char kind, uint32_t id)
{
	char k[2] = {kind, 0};
	mur_error err;
	int had = 0;
	for (int i = c->ncomments - 1; i >= 0; i--)
		if (c->comments[i].kind == kind && c->comments[i].id == id) {
			forget_at(c, i);
			had = 1;
		}
	/* a failed delete leaves a row cat_comments_load drops at the next open */
	if (had && c->store)
		(void)cat_store_run(c, "DELETE FROM comments WHERE kind = ? AND id = ?", "si", &err,
				    k, (int64_t)id);
}

int cat_comments_rename_columns(catalog *c, const cat_table *old, const cat_table *def,
				mur_error *err)
{
	char kind[2] = {CAT_COMMENT_RELATION, 0};
	if (old->ncols != def->ncols)
		return MUR_OK; /* ADD / DROP COLUMN: names unchanged */
	for (int i = 0; i < c->ncomments; i++) {
		cat_comment *cm = &c->comments[i];
		int k = cm->kind == CAT_COMMENT_RELATION && cm->id == old->id && cm->col[0]
				? cat_column_index(old, cm->col)
				: -1;
		if (k < 0 || !strcmp(old->cols[k].name, def->cols[k].name))
			continue;
		if (c->store &&
		    cat_store_run(c,
				  "UPDATE comments SET col = ? WHERE kind = ? AND id = ? "
				  "AND col = ?",
				  "ssis", err, def->cols[k].name, kind, (int64_t)cm->id,
				  cm->col) != MUR_OK)
			return MUR_ERR;
		snprintf(cm->col, sizeof cm->col, "%s", def->cols[k].name);
		c->version++;
	}
	return MUR_OK;
}

int cat_comments_drop_missing(catalog *c, uint32_t table_id, const cat_table *def, mur_error *err)
{
	char kind[2] = {CAT_COMMENT_RELATION, 0};
	for (int i = c->ncomments - 1; i >= 0; i--) {
		cat_comment *cm = &c->comments[i];
		if (cm->kind != CAT_COMMENT_RELATION || cm->id != table_id || !cm->col[0] ||
		    cat_column_index(def, cm->col) >= 0)
			continue;
		if (c->store &&
		    cat_store_run(c, "DELETE FROM comments WHERE kind = ? AND id = ? AND col = ?",
				  "sis", err, kind, (int64_t)cm->id, cm->col) != MUR_OK)
			return MUR_ERR;
		forget_at(c, i);
		c->version++;
	}
	return MUR_OK;
}

void cat_comments_prune_constraints(catalog *c)
{
	char kind[2] = {CAT_COMMENT_CONSTRAINT, 0};
	mur_error err;
	for (int i = c->ncomments - 1; i >= 0; i--) {
		cat_comment *cm = &c->comments[i];
		if (cm->kind != CAT_COMMENT_CONSTRAINT ||
		    object_exists(c, cm->kind, cm->id, cm->col))
			continue;
		/* a failed delete leaves a row cat_comments_load drops at the next open */
		if (c->store)
			(void)cat_store_run(c,
					    "DELETE FROM comments WHERE kind = ? AND id = ? AND "
					    "col = ?",
					    "sis", &err, kind, (int64_t)cm->id, cm->col);
		forget_at(c, i);
		c->version++;
	}
}

int cat_comments_load(catalog *c, mur_error *err)
{
	sqlite3_stmt *st;
	int stale = 0, rc = MUR_OK;
	if (sqlite3_exec(c->store, schema_sql, NULL, NULL, NULL) != SQLITE_OK ||
	    sqlite3_prepare_v2(c->store, "SELECT kind, id, col, text FROM comments", -1, &st,
			       NULL) != SQLITE_OK)
		return mur_error_set(err, SQLSTATE_IO_ERROR, "catalog store: load comments: %s",
				     sqlite3_errmsg(c->store));
	while (rc == MUR_OK && sqlite3_step(st) == SQLITE_ROW) {
		const char *kind = (const char *)sqlite3_column_text(st, 0);
		const char *col = (const char *)sqlite3_column_text(st, 2);
		const char *text = (const char *)sqlite3_column_text(st, 3);
		uint32_t id = (uint32_t)sqlite3_column_int64(st, 1);
		if (!kind || !col || !text || !object_exists(c, kind[0], id, col)) {
			stale = 1;
			continue;
		}
		if (put_memory(c, kind[0], id, col, text) != MUR_OK)
			rc = mur_error_set(err, SQLSTATE_OUT_OF_MEMORY, "out of memory");
	}
	sqlite3_finalize(st);
	if (rc != MUR_OK || !stale)
		return rc;
	/* rows whose object went: rewrite the table from memory */
	if (cat_store_run(c, "DELETE FROM comments", "", err) != MUR_OK)
		return MUR_ERR;
	for (int i = 0; i < c->ncomments; i++) {
		char kind[2] = {c->comments[i].kind, 0};
		if (cat_store_run(c, "INSERT INTO comments VALUES (?, ?, ?, ?)", "siss", err, kind,
				  (int64_t)c->comments[i].id, c->comments[i].col,
				  c->comments[i].text) != MUR_OK)
			return MUR_ERR;
	}
	return MUR_OK;
}

void cat_comments_free(catalog *c)
{
	for (int i = 0; i < c->ncomments; i++)
		free((char *)c->comments[i].text);
	free(c->comments);
	c->comments = NULL;
	c->ncomments = c->comments_cap = 0;
}
