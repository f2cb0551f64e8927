/*
 * catalog_schema.c — schemas: CREATE SCHEMA and DROP SCHEMA.
 *
 * The built-in schemas (public, pg_catalog, information_schema, murphy)
 * always exist and are not stored.  A created one is a name with an id
 * (from CAT_SCHEMA_ID_BASE up, so pg_namespace's OIDs stay apart from the
 * relations'), durable in the store's schemas table (one synchronous
 * write per change, memory after).  Tables, views and sequences carry
 * their schema's name (cat_table.schema, cat_view.schema,
 * cat_sequence.schema; durable in their store rows; a table's own
 * sequences live in its schema), so the catalog is keyed by (schema,
 * name).
 *
 * USAGE (GRANT USAGE ON SCHEMA, catalog_role.c) is a grants row under a
 * created schema's id (CAT_PRIV_USAGE; the ids never meet a table's);
 * cat_schema_usage answers whether a role may look names up in a schema,
 * and a dropped schema's grants go with it.
 *
 * DROP SCHEMA refuses a schema that holds a table, view or sequence
 * (2BP01, as PostgreSQL's).  CASCADE: the leader drops its tables (their
 * placements first, lead_ddl.c), then cat_schema_drop its sequences and
 * views, then the schema; a step that fails leaves the steps before it
 * done and says why (not atomic).
 *
 * search_path: cat_search_path turns a setting's text into the schemas
 * that exist and the role may use (USAGE, as PostgreSQL's), in order ("$user" is the role's name); cat_relation_schema
 * answers where an unqualified name resolves (the first schema holding a
 * relation of that name, murphy's virtual tables last), and
 * cat_creation_schema where CREATE puts one (the first existing schema,
 * 3F000 when none).
 */
#include "catalog/catalog_int.h"

#include <stdio.h>
#include <string.h>

#define SQLSTATE_DUPLICATE_SCHEMA "42P06"  /* duplicate_schema */
#define SQLSTATE_DEPENDENT_OBJECTS "2BP01" /* dependent_objects_still_exist */

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

/* 1 when s is owned by a table of schema name (it goes with the table). */
static int owned_here(const catalog *c, const cat_sequence *s, const char *name)
{
	const cat_table *t = s->owner_table ? cat_table_by_id((catalog *)c, s->owner_table) : NULL;
	return t && !strcmp(t->schema, name);
}

/* 2BP01 as PostgreSQL's when schema name holds a table, view or
 * sequence: its detail names each one ("table s.t depends on schema s"). */
static int check_empty(const catalog *c, const char *name, mur_error *err)
{
	char detail[1024];
	size_t len = 0;
	int n = 0;
	detail[0] = '\0';
	for (int i = 0; i < c->ntables + c->nviews && len < sizeof detail; i++) {
		int table = i < c->ntables;
		const char *schema = table ? c->tables[i]->schema
					   : c->views[i - c->ntables]->schema;
		if (strcmp(schema, name) || (table && c->tables[i]->kind != CAT_TABLE_DISTRIBUTED))
			continue;
		len += (size_t)snprintf(detail + len, sizeof detail - len,
					"%s%s %s.%s depends on schema %s", n++ ? "\n" : "",
					table ? "table" : "view", name,
					table ? c->tables[i]->name : c->views[i - c->ntables]->name,
					name);
	}
	for (int i = 0; i < c->nseqs && len < sizeof detail; i++)
		if (!strcmp(c->seqs[i]->schema, name) && !owned_here(c, c->seqs[i], name))
			len += (size_t)snprintf(detail + len, sizeof detail - len,
						"%ssequence %s.%s depends on schema %s",
						n++ ? "\n" : "", name, c->seqs[i]->name, name);
	if (!n)
		return MUR_OK;
	mur_error_set(err, SQLSTATE_DEPENDENT_OBJECTS,
		      "cannot drop schema %s because other objects depend on it", name);
	mur_error_detail(err, "%s", detail);
	mur_error_hint(err, "Use DROP ... CASCADE to drop the dependent objects too.");
	return MUR_ERR;
}

/* CASCADE: the sequences of schema name (its tables, and the sequences
 * they own, were dropped before), then its views and those reading them,
 * dropped. */
static int drop_views(catalog *c, const char *name, mur_error *err)
{
	for (int i = c->nseqs - 1; i >= 0; i--)
		if (!strcmp(c->seqs[i]->schema, name) &&
		    cat_seq_drop_in(c, name, c->seqs[i]->name, err) != MUR_OK)
			return MUR_ERR;
	for (int i = 0; i < c->nviews;)
		if (!strcmp(c->views[i]->schema, name)) {
			if (cat_view_drop(c, name, c->views[i]->name, 1, err) != MUR_OK)
				return MUR_ERR;
			i = 0; /* dependents may have gone too */
		} else {
			i++;
		}
	return MUR_OK;
}

int cat_schema_drop(catalog *c, const char *name, int cascade, mur_error *err)
{
	int i = find(c, name);
	if (is_builtin(name))
		return mur_error_set(err, SQLSTATE_FEATURE_NOT_SUPPORTED,
				     "murphy cannot drop schema \"%s\": it is built in", name);
	if (i < 0)
		return mur_error_set(err, SQLSTATE_INVALID_SCHEMA_NAME,
				     "schema \"%s\" does not exist", name);
	if ((cascade && drop_views(c, name, err) != MUR_OK) || check_empty(c, name, err) != MUR_OK)
		return MUR_ERR;
	if (c->store && (cat_store_run(c, "DELETE FROM schemas WHERE id = ?", "i", err,
				       (int64_t)c->schemas[i].id) != MUR_OK ||
			 cat_store_run(c, "DELETE FROM grants WHERE table_id = ?", "i", err,
				       (int64_t)c->schemas[i].id) != MUR_OK))
		return MUR_ERR;
	cat_grants_forget_table(c, c->schemas[i].id);
	cat_comments_forget(c, CAT_COMMENT_SCHEMA, c->schemas[i].id);
	memmove(&c->schemas[i], &c->schemas[i + 1],
		(size_t)(c->nschemas - i - 1) * sizeof c->schemas[0]);
	c->nschemas--;
	c->version++;
	return MUR_OK;
}

/* ---- search_path ---- */

/* The next name of a search_path setting's text ("\"$user\", public",
 * "s, public": names separated by commas, double-quoted or not) into
 * out; returns where the following one starts, NULL at the end. */
static const char *path_next(const char *p, char *out, size_t outsz)
{
	size_t n = 0;
	while (*p == ' ' || *p == '\t' || *p == ',')
		p++;
	if (!*p)
		return NULL;
	if (*p == '"') {
		for (p++; *p && !(*p == '"' && p[1] != '"'); p++) {
			if (*p == '"')
				p++; /* "" inside quotes: one quote */
			if (n + 1 < outsz)
				out[n++] = *p;
		}
		if (*p == '"')
			p++;
	} else {
		for (; *p && *p != ','; p++)
			if (n + 1 < outsz)
				out[n++] = *p;
		while (n > 0 && (out[n - 1] == ' ' || out[n - 1] == '\t'))
			n--;
	}
	out[n] = '\0';
	while (*p && *p != ',')
		p++;
	return p;
}

/* 1 when user may use schema name on its search path: PostgreSQL leaves
 * out the schemas the role lacks USAGE on.  A name without a role is
 * --auth trust's session, a superuser. */
static int path_usable(const catalog *c, const char *user, const char *name)
{
	const cat_role *r = user ? cat_role_get(c, user) : NULL;
	return !r || r->superuser || cat_schema_usage(c, user, 0, name);
}

int cat_search_path(const catalog *c, const char *path, const char *user, char out[][CAT_NAME_MAX],
		    int max)
{
	char name[CAT_NAME_MAX];
	int n = 0;
	for (const char *p = path ? path : CAT_SEARCH_PATH_DEFAULT;
	     n < max && (p = path_next(p, name, sizeof name)) != NULL;) {
		int is_user = !strcmp(name, "$user");
		const char *s = is_user ? (user ? user : "murphy") : name;
		int seen = 0;
		for (int i = 0; i < n; i++)
			seen |= !strcmp(out[i], s);
		/* "$user" names a created schema only: the built-in murphy schema
		 * is not the murphy role's */
		if (!seen && (is_user ? find(c, s) >= 0 : cat_schema_exists(c, s)) &&
		    strcmp(s, "pg_catalog") && path_usable(c, user, s))
			snprintf(out[n++], CAT_NAME_MAX, "%s", s);
	}
	return n;
}

/* 1 when schema holds a relation (table, view or sequence) named name. */
static int holds(const catalog *c, const char *schema, const char *name)
{
	return cat_table_lookup(c, schema, name) || cat_view_lookup(c, schema, name) ||
	       cat_seq_lookup_in(c, schema, name) || cat_index_lookup(c, schema, name);
}

int cat_relation_schema(const catalog *c, const char *path, const char *user, const char *name,
			char *out, size_t outsz)
{
	char schemas[CAT_SEARCH_PATH_MAX][CAT_NAME_MAX];
	int n = cat_search_path(c, path, user, schemas, CAT_SEARCH_PATH_MAX);
	for (int i = 0; i < n; i++)
		if (holds(c, schemas[i], name)) {
			snprintf(out, outsz, "%s", schemas[i]);
			return 1;
		}
	if (cat_table_lookup(c, "murphy", name)) { /* murphy.nodes ...: always visible */
		snprintf(out, outsz, "murphy");
		return 1;
	}
	return 0;
}

int cat_creation_schema(const catalog *c, const char *path, const char *user, char *out,
			size_t outsz, mur_error *err)
{
	char schemas[1][CAT_NAME_MAX];
	if (cat_search_path(c, path, user, schemas, 1) == 1) {
		snprintf(out, outsz, "%s", schemas[0]);
		return cat_schema_check_usable(c, out, err);
	}
	return mur_error_set(err, SQLSTATE_INVALID_SCHEMA_NAME,
			     "no schema has been selected to create in");
}

int cat_schema_check_usable(const catalog *c, const char *name, mur_error *err)
{
	if (!cat_schema_exists(c, name))
		return mur_error_set(err, SQLSTATE_INVALID_SCHEMA_NAME,
				     "schema \"%s\" does not exist", name);
	if (!strcmp(name, "pg_catalog") || !strcmp(name, "information_schema") ||
	    !strcmp(name, "murphy"))
		return mur_error_set(err, SQLSTATE_FEATURE_NOT_SUPPORTED,
				     "murphy cannot create objects in schema \"%s\": it is built "
				     "in",
				     name);
	return MUR_OK;
}

uint32_t cat_schema_id(const catalog *c, const char *name)
{
	int i = find(c, name);
	return i < 0 || is_builtin(name) ? 0 : c->schemas[i].id;
}

int cat_schema_usage(const catalog *c, const char *role, int superuser, const char *name)
{
	uint32_t id = superuser || !role ? 0 : cat_schema_id(c, name);
	return !id || cat_allowed_id(c, role, 0, id, CAT_PRIV_USAGE);
}

const cat_table *cat_table_lookup_text(const catalog *c, const char *text)
{
	const cat_table *t = cat_table_lookup(c, NULL, text);
	const char *dot = strchr(text, '.');
	char schema[CAT_NAME_MAX];
	if (t || !dot || (size_t)(dot - text) >= sizeof schema)
		return t;
	snprintf(schema, sizeof schema, "%.*s", (int)(dot - text), text);
	return cat_table_lookup(c, schema, dot + 1);
}

void cat_table_qualified(const cat_table *t, char *out, size_t outsz)
{
	if (!strcmp(t->schema, "public") || !t->schema[0])
		snprintf(out, outsz, "%s", t->name);
	else
		snprintf(out, outsz, "%s.%s", t->schema, t->name);
}

int cat_table_set_schema(catalog *c, uint32_t table_id, const char *schema, mur_error *err)
{
	cat_table *t = cat_table_by_id(c, table_id);
	if (!t || t->kind != CAT_TABLE_DISTRIBUTED || t->dropped)
		return mur_error_set(err, SQLSTATE_UNDEFINED_TABLE, "table %u does not exist",
				     table_id);
	if (cat_schema_check_usable(c, schema, err) != MUR_OK)
		return MUR_ERR;
	if (!strcmp(t->schema, schema))
		return MUR_OK; /* PostgreSQL: nothing to do, no error */
	if (cat_table_lookup(c, schema, t->name) || cat_view_lookup(c, schema, t->name) ||
	    (!strcmp(schema, "public") && cat_seq_lookup(c, t->name)))
		return mur_error_set(err, SQLSTATE_DUPLICATE_TABLE,
				     "relation \"%s\" already exists in schema \"%s\"", t->name,
				     schema);
	if (c->store && cat_store_run(c, "UPDATE tables SET schema = ? WHERE id = ?", "si", err,
				      schema, (int64_t)t->id) != MUR_OK)
		return MUR_ERR;
	snprintf(t->schema, sizeof t->schema, "%s", schema);
	c->version++;
	return MUR_OK;
}
