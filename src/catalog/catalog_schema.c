/*
 * catalog_schema.c — schemas: CREATE SCHEMA and DROP SCHEMA.
 *
 * The built-in schemas (public, pg_catalog, information_schema, murphy)
 * always exist and are not stored.  A created one is a name with an id
 * (from CAT_SCHEMA_ID_BASE up, so pg_namespace's OIDs stay apart from the
 * relations'), durable in the store's schemas table (one synchronous
 * write per change, memory after).  Tables, views and sequences still
 * live in public only (the planner refuses other schemas with 0A000), so
 * a created schema is always empty and DROP SCHEMA ... CASCADE has
 * nothing to take with it.
 */
#include "catalog/catalog_int.h"

#include <stdio.h>
#include <string.h>

#define SQLSTATE_DUPLICATE_SCHEMA "42P06"    /* duplicate_schema */
#define SQLSTATE_INVALID_SCHEMA_NAME "3F000" /* invalid_schema_name */

static const char *const builtin[] = {"public", "pg_catalog", "information_schema", "murphy"};

static int is_builtin(const char *name)
{
	for (size_t i = 0; i < sizeof builtin / sizeof builtin[0]; i++)
		if (!strcmp(builtin[i], name))
			return 1;
	return 0;
}

static int find(const catalog *c, const char *name)
{
	for (int i = 0; i < c->nschemas; i++)
		if (!strcmp(c->schemas[i].name, name))
			return i;
	return -1;
}

int cat_schema_exists(const catalog *c, const char *name)
{
	return is_builtin(name) || find(c, name) >= 0;
}

int cat_schema_count(const catalog *c) { return c->nschemas; }
const cat_schema *cat_schema_at(const catalog *c, int i) { return &c->schemas[i]; }

int cat_schemas_load(catalog *c, mur_error *err)
{
	sqlite3_stmt *st;
	if (sqlite3_prepare_v2(c->store, "SELECT id, name FROM schemas ORDER BY id", -1, &st,
			       NULL) != SQLITE_OK)
		return mur_error_set(err, SQLSTATE_IO_ERROR, "catalog store: load schemas: %s",
				     sqlite3_errmsg(c->store));
	while (sqlite3_step(st) == SQLITE_ROW && c->nschemas < CAT_SCHEMAS_MAX) {
		cat_schema *s = &c->schemas[c->nschemas++];
		const char *name = (const char *)sqlite3_column_text(st, 1);
		s->id = (uint32_t)sqlite3_column_int64(st, 0);
		snprintf(s->name, sizeof s->name, "%s", name ? name : "");
		if (s->id >= c->next_schema_id)
			c->next_schema_id = s->id + 1;
	}
	sqlite3_finalize(st);
	return MUR_OK;
}

int cat_schema_create(catalog *c, const char *name, mur_error *err)
{
	cat_schema s = {0};
	if (cat_schema_exists(c, name))
		return mur_error_set(err, SQLSTATE_DUPLICATE_SCHEMA, "schema \"%s\" already exists",
				     name);
	if (c->nschemas >= CAT_SCHEMAS_MAX)
		return mur_error_set(err, SQLSTATE_PROGRAM_LIMIT_EXCEEDED,
				     "too many schemas (limit %d)", CAT_SCHEMAS_MAX);
	s.id = c->next_schema_id > CAT_SCHEMA_ID_BASE ? c->next_schema_id : CAT_SCHEMA_ID_BASE;
	snprintf(s.name, sizeof s.name, "%s", name);
	if (c->store && cat_store_run(c, "INSERT INTO schemas VALUES (?,?)", "is", err,
				      (int64_t)s.id, s.name) != MUR_OK)
		return MUR_ERR;
	c->next_schema_id = s.id + 1;
	c->schemas[c->nschemas++] = s;
	c->version++;
	return MUR_OK;
}

int cat_schema_drop(catalog *c, const char *name, mur_error *err)
{
	int i = find(c, name);
	if (is_builtin(name))
		return mur_error_set(err, SQLSTATE_FEATURE_NOT_SUPPORTED,
				     "murphy cannot drop schema \"%s\": it is built in", name);
	if (i < 0)
		return mur_error_set(err, SQLSTATE_INVALID_SCHEMA_NAME,
				     "schema \"%s\" does not exist", name);
	if (c->store && cat_store_run(c, "DELETE FROM schemas WHERE id = ?", "i", err,
				      (int64_t)c->schemas[i].id) != MUR_OK)
		return MUR_ERR;
	memmove(&c->schemas[i], &c->schemas[i + 1],
		(size_t)(c->nschemas - i - 1) * sizeof c->schemas[0]);
	c->nschemas--;
	c->version++;
	return MUR_OK;
}
