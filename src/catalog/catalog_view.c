/*
 * catalog_view.c — views: CREATE [OR REPLACE] VIEW, DROP VIEW, and the
 * dependencies that keep a view's tables from being dropped under it.
 *
 * A view is a name in the tables' namespace holding the text of its
 * SELECT (cat_view.sql); the planner analyzes that text as a subquery in
 * FROM wherever a query names the view (parser/analyze_view.c), so the
 * catalog never plans anything.  Its output columns (names and types, as
 * the planner found them at CREATE) are kept for the catalog emulation
 * (pg_attribute, information_schema) and for OR REPLACE's checks.
 *
 * Dependencies: deps lists the ids of the tables and views the query read
 * when it was created (tables and views share one id space: views count
 * up from CAT_VIEW_ID_BASE).  Invariant: every id in a view's deps names a
 * relation that exists — DROP of a relation a view reads is 2BP01 unless
 * CASCADE, which drops the dependent views first (cat_view_drop_dependents).
 *
 * Durability: each change is one write to the store's views row (columns
 * as "type typmod name" lines, deps space-separated), memory after; a
 * change bumps cat_version so prepared plans that expanded the old text
 * are planned again.  c->views holds malloc'd cat_view objects.
 */
#include "catalog/catalog_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SQLSTATE_DEPENDENT_OBJECTS "2BP01"        /* dependent_objects_still_exist */
#define SQLSTATE_INVALID_TABLE_DEFINITION "42P16" /* invalid_table_definition */
#define VIEW_COLUMN_LINE_MAX (CAT_NAME_MAX + 32)  /* "type typmod name\n" */
#define VIEW_DEP_TEXT_MAX 12                      /* one uint32 and a space */

static int find(const catalog *c, const char *schema, const char *name)
{
	for (int i = 0; i < c->nviews; i++)
		if (!strcmp(c->views[i]->name, name) &&
		    !strcmp(c->views[i]->schema, schema ? schema : "public"))
			return i;
	return -1;
}

const cat_view *cat_view_lookup(const catalog *c, const char *schema, const char *name)
{
	int i = find(c, schema, name);
	return i < 0 ? NULL : c->views[i];
}

const cat_view *cat_view_by_id(const catalog *c, uint32_t id)
{
	for (int i = 0; i < c->nviews; i++)
		if (c->views[i]->id == id)
			return c->views[i];
	return NULL;
}

int cat_view_count(const catalog *c) { return c->nviews; }
const cat_view *cat_view_at(const catalog *c, int i) { return c->views[i]; }

static void view_free(cat_view *v)
{
	if (!v)
		return;
	free(v->sql);
	free(v->cols);
	free(v);
}

void cat_views_free(catalog *c)
{
	for (int i = 0; i < c->nviews; i++)
		view_free(c->views[i]);
	c->nviews = 0;
}

/* A malloc'd copy of def (sql, cols); NULL when out of memory. */
static cat_view *view_copy(const cat_view *def)
{
	cat_view *v = calloc(1, sizeof *v);
	if (!v)
		return NULL;
	*v = *def;
	v->sql = strdup(def->sql);
	v->cols = calloc((size_t)(def->ncols ? def->ncols : 1), sizeof *v->cols);
	if (!v->sql || !v->cols) {
		free(v->sql);
		free(v->cols);
		free(v);
		return NULL;
	}
	memcpy(v->cols, def->cols, (size_t)def->ncols * sizeof *v->cols);
	return v;
}

/* ---- the store row ---- */

static char *encode_columns(const cat_view *v)
{
	size_t cap = (size_t)v->ncols * VIEW_COLUMN_LINE_MAX + 1, len = 0;
	char *s = malloc(cap);
	if (!s)
		return NULL;
	s[0] = '\0';
	for (int i = 0; i < v->ncols; i++)
		len += (size_t)snprintf(s + len, cap - len, "%d %d %s\n", (int)v->cols[i].type,
					(int)v->cols[i].typmod, v->cols[i].name);
	return s;
}

static void encode_deps(const cat_view *v, char *out, size_t n)
{
	size_t len = 0;
	out[0] = '\0';
	for (int i = 0; i < v->ndeps && len < n; i++)
		len += (size_t)snprintf(out + len, n - len, "%s%u", i ? " " : "", v->deps[i]);
}

static int store_put(catalog *c, const cat_view *v, mur_error *err)
{
	char deps[CAT_VIEW_DEPS_MAX * VIEW_DEP_TEXT_MAX + 1];
	char *cols;
	int rc;
	if (!c->store)
		return MUR_OK;
	if (!(cols = encode_columns(v)))
		return mur_error_set(err, SQLSTATE_OUT_OF_MEMORY, "out of memory");
	encode_deps(v, deps, sizeof deps);
	rc = cat_store_run(c, "INSERT OR REPLACE INTO views VALUES (?,?,?,?,?,?)", "isssss", err,
			   (int64_t)v->id, v->name, v->schema, v->sql, cols, deps);
	free(cols);
	return rc;
}

/* The view's row and its grants (a later view may get the same id). */
static int store_delete(catalog *c, uint32_t id, mur_error *err)
{
	return !c->store || (cat_store_run(c, "DELETE FROM views WHERE id = ?", "i", err,
					   (int64_t)id) == MUR_OK &&
			     cat_store_run(c, "DELETE FROM grants WHERE table_id = ?", "i", err,
					   (int64_t)id) == MUR_OK)
		       ? MUR_OK
		       : MUR_ERR;
}

static int decode_columns(cat_view *v, const char *s)
{
	int n = 0;
	for (const char *p = s; *p; p++)
		n += *p == '\n';
	if (n > CAT_COLUMNS_MAX || !(v->cols = calloc((size_t)(n ? n : 1), sizeof *v->cols)))
		return MUR_ERR;
	for (v->ncols = 0; v->ncols < n && *s; v->ncols++) {
		cat_view_column *col = &v->cols[v->ncols];
		int type, typmod, used = 0;
		const char *nl = strchr(s, '\n');
		if (!nl || sscanf(s, "%d %d %n", &type, &typmod, &used) != 2 || used == 0)
			return MUR_ERR;
		col->type = (mur_type)type;
		col->typmod = typmod;
		snprintf(col->name, sizeof col->name, "%.*s", (int)(nl - s - used), s + used);
		s = nl + 1;
	}
	return MUR_OK;
}

static void decode_deps(cat_view *v, const char *s)
{
	char *end;
	v->ndeps = 0;
	while (*s && v->ndeps < CAT_VIEW_DEPS_MAX) {
		unsigned long id = strtoul(s, &end, 10);
		if (end == s)
			break;
		v->deps[v->ndeps++] = (uint32_t)id;
		s = end;
	}
}

static const char *column_text(sqlite3_stmt *st, int i)
{
	const char *s = (const char *)sqlite3_column_text(st, i);
	return s ? s : "";
}

int cat_views_load(catalog *c, mur_error *err)
{
	sqlite3_stmt *st;
	if (sqlite3_prepare_v2(c->store, "SELECT id, name, schema, sql, columns, deps FROM views",
			       -1, &st, NULL) != SQLITE_OK)
		return mur_error_set(err, SQLSTATE_IO_ERROR, "catalog store: load views: %s",
				     sqlite3_errmsg(c->store));
	while (sqlite3_step(st) == SQLITE_ROW && c->nviews < CAT_VIEWS_MAX) {
		cat_view *v = calloc(1, sizeof *v);
		if (!v || !(v->sql = strdup(column_text(st, 3))) ||
		    decode_columns(v, column_text(st, 4)) != MUR_OK) {
			view_free(v);
			continue;
		}
		v->id = (uint32_t)sqlite3_column_int64(st, 0);
		snprintf(v->name, sizeof v->name, "%s", column_text(st, 1));
		snprintf(v->schema, sizeof v->schema, "%s", column_text(st, 2));
		decode_deps(v, column_text(st, 5));
		c->views[c->nviews++] = v;
		if (v->id >= c->next_view_id)
			c->next_view_id = v->id + 1;
	}
	sqlite3_finalize(st);
	return MUR_OK;
}

/* ---- CREATE [OR REPLACE] VIEW ---- */

/* PostgreSQL's checks of OR REPLACE: the old columns stay, in order, with
 * their names and types; new ones may only be added at the end. */
static int replace_check(const cat_view *old, const cat_view *def, mur_error *err)
{
	if (def->ncols < old->ncols)
		return mur_error_set(err, SQLSTATE_INVALID_TABLE_DEFINITION,
				     "cannot drop columns from view");
	for (int i = 0; i < old->ncols; i++) {
		if (strcmp(old->cols[i].name, def->cols[i].name))
			return mur_error_set(err, SQLSTATE_INVALID_TABLE_DEFINITION,
					     "cannot change name of view column \"%s\" to \"%s\"",
					     old->cols[i].name, def->cols[i].name);
		if (old->cols[i].type != def->cols[i].type ||
		    old->cols[i].typmod != def->cols[i].typmod)
			return mur_error_set(err, SQLSTATE_INVALID_TABLE_DEFINITION,
					     "cannot change data type of view column \"%s\"",
					     old->cols[i].name);
	}
	return MUR_OK;
}

static int name_taken(const catalog *c, const cat_view *def, mur_error *err)
{
	if (cat_table_lookup(c, def->schema, def->name) ||
	    (!strcmp(def->schema, "public") && cat_seq_lookup(c, def->name)))
		return mur_error_set(err, SQLSTATE_DUPLICATE_TABLE,
				     "relation \"%s\" already exists", def->name);
	return MUR_OK;
}

/* 1 when relation id is target or a view reading it, through the views'
 * deps (each holds what its own text reads); seen: CAT_VIEWS_MAX flags. */
static int reaches(const catalog *c, uint32_t id, uint32_t target, uint8_t *seen)
{
	int i;
	if (id == target)
		return 1;
	for (i = 0; i < c->nviews && c->views[i]->id != id; i++)
		;
	if (i == c->nviews || seen[i])
		return 0;
	seen[i] = 1;
	for (int k = 0; k < c->views[i]->ndeps; k++)
		if (reaches(c, c->views[i]->deps[k], target, seen))
			return 1;
	return 0;
}

/* The index of view id in c->views, -1 when none. */
static int index_of(const catalog *c, uint32_t id)
{
	for (int k = 0; k < c->nviews; k++)
		if (c->views[k]->id == id)
			return k;
	return -1;
}

/* v (malloc'd) stored in place of view i, durably; freed on error. */
static int install(catalog *c, int i, cat_view *v, mur_error *err)
{
	if (store_put(c, v, err) != MUR_OK) {
		view_free(v);
		return MUR_ERR;
	}
	view_free(c->views[i]);
	c->views[i] = v;
	c->version++;
	return MUR_OK;
}

static int view_replace(catalog *c, int i, const cat_view *def, mur_error *err)
{
	uint8_t seen[CAT_VIEWS_MAX] = {0};
	cat_view *v;
	if (replace_check(c->views[i], def, err) != MUR_OK)
		return MUR_ERR;
	for (int k = 0; k < def->ndeps; k++)
		if (reaches(c, def->deps[k], c->views[i]->id, seen))
			return mur_error_set(err, "42P17",
					     "infinite recursion detected in rules for relation "
					     "\"%s\"",
					     def->name);
	if (!(v = view_copy(def)))
		return mur_error_set(err, SQLSTATE_OUT_OF_MEMORY, "out of memory");
	v->id = c->views[i]->id;
	return install(c, i, v, err);
}

int cat_view_create(catalog *c, const cat_view *def, int replace, mur_error *err)
{
	int i = find(c, def->schema, def->name);
	cat_view *v;
	if (name_taken(c, def, err) != MUR_OK)
		return MUR_ERR;
	if (def->ncols > CAT_COLUMNS_MAX)
		return mur_error_set(err, SQLSTATE_PROGRAM_LIMIT_EXCEEDED,
				     "views can have at most %d columns", CAT_COLUMNS_MAX);
	if (i >= 0 && replace)
		return view_replace(c, i, def, err);
	if (i >= 0)
		return mur_error_set(err, SQLSTATE_DUPLICATE_TABLE,
				     "relation \"%s\" already exists", def->name);
	if (c->nviews >= CAT_VIEWS_MAX)
		return mur_error_set(err, SQLSTATE_PROGRAM_LIMIT_EXCEEDED,
				     "too many views (limit %d)", CAT_VIEWS_MAX);
	if (!(v = view_copy(def)))
		return mur_error_set(err, SQLSTATE_OUT_OF_MEMORY, "out of memory");
	v->id = c->next_view_id > CAT_VIEW_ID_BASE ? c->next_view_id : CAT_VIEW_ID_BASE;
	if (store_put(c, v, err) != MUR_OK) {
		view_free(v);
		return MUR_ERR;
	}
	c->next_view_id = v->id + 1;
	c->views[c->nviews++] = v;
	c->version++;
	return MUR_OK;
}

int cat_view_set_sql(catalog *c, uint32_t id, const char *sql, mur_error *err)
{
	cat_view def = {0};
	int i = index_of(c, id);
	if (i < 0)
		return mur_error_set(err, SQLSTATE_UNDEFINED_TABLE, "view %u does not exist", id);
	def = *c->views[i];
	def.sql = (char *)sql;
	cat_view *v = view_copy(&def);
	if (!v)
		return mur_error_set(err, SQLSTATE_OUT_OF_MEMORY, "out of memory");
	return install(c, i, v, err);
}

int cat_view_rename(catalog *c, const cat_view *def, mur_error *err)
{
	int i = index_of(c, def->id);
	cat_view *v;
	if (i < 0)
		return mur_error_set(err, SQLSTATE_UNDEFINED_TABLE, "view %u does not exist",
				     def->id);
	if (strcmp(def->name, c->views[i]->name) &&
	    (name_taken(c, def, err) != MUR_OK || find(c, def->schema, def->name) >= 0))
		return mur_error_is_set(err)
			       ? MUR_ERR
			       : mur_error_set(err, SQLSTATE_DUPLICATE_TABLE,
					       "relation \"%s\" already exists", def->name);
	if (def->ncols != c->views[i]->ncols)
		return mur_error_set(err, SQLSTATE_INVALID_TABLE_DEFINITION,
				     "view \"%s\" changed meanwhile", def->name);
	if (!(v = view_copy(c->views[i])))
		return mur_error_set(err, SQLSTATE_OUT_OF_MEMORY, "out of memory");
	memcpy(v->name, def->name, sizeof v->name);
	memcpy(v->cols, def->cols, (size_t)def->ncols * sizeof *v->cols);
	return install(c, i, v, err);
}

/* ---- DROP VIEW and dependencies ---- */

static int reads(const cat_view *v, uint32_t id)
{
	for (int k = 0; k < v->ndeps; k++)
		if (v->deps[k] == id)
			return 1;
	return 0;
}

const cat_view *cat_view_dependent(const catalog *c, uint32_t id)
{
	for (int i = 0; i < c->nviews; i++)
		if (reads(c->views[i], id))
			return c->views[i];
	return NULL;
}

typedef struct drop_order {
	uint8_t seen[CAT_VIEWS_MAX];
	int *out, *via, n;
} drop_order;

/* The unseen view among candidates (those reading id, or first[]) with the
 * highest id below `below`, or -1. */
static int newest_below(const catalog *c, const drop_order *d, uint32_t id, const int *first,
			int nfirst, uint32_t below)
{
	int best = -1;
	for (int k = 0; k < (first ? nfirst : c->nviews); k++) {
		int i = first ? first[k] : k;
		if (d->seen[i] || c->views[i]->id >= below || (!first && !reads(c->views[i], id)))
			continue;
		if (best < 0 || c->views[i]->id > c->views[best]->id)
			best = i;
	}
	return best;
}

static void drop_visit(const catalog *c, drop_order *d, int i, int via)
{
	uint32_t below = UINT32_MAX;
	int next;
	d->seen[i] = 1;
	while ((next = newest_below(c, d, c->views[i]->id, NULL, 0, below)) >= 0) {
		below = c->views[next]->id;
		drop_visit(c, d, next, i);
	}
	d->out[d->n] = i;
	d->via[d->n++] = via;
}

int cat_view_drop_order(const catalog *c, const int *first, int nfirst, int *out, int *via)
{
	drop_order *d = calloc(1, sizeof *d);
	uint32_t below = UINT32_MAX;
	int next, n;
	if (!d)
		return 0;
	d->out = out;
	d->via = via;
	while ((next = newest_below(c, d, 0, first, nfirst, below)) >= 0) {
		below = c->views[next]->id;
		drop_visit(c, d, next, -1);
	}
	for (int k = 0; k < d->n / 2; k++) { /* reported in reverse */
		int o = out[k], v = via[k];
		out[k] = out[d->n - 1 - k];
		via[k] = via[d->n - 1 - k];
		out[d->n - 1 - k] = o;
		via[d->n - 1 - k] = v;
	}
	n = d->n;
	free(d);
	return n;
}

int cat_view_check_dependents(const catalog *c, uint32_t id, const char *kind, const char *name,
			      mur_error *err)
{
	int first[CAT_VIEWS_MAX], found[CAT_VIEWS_MAX], via[CAT_VIEWS_MAX], nfirst = 0, n;
	char detail[MUR_ERROR_DETAIL_MAX] = "";
	if (!cat_view_dependent(c, id))
		return MUR_OK;
	for (int i = 0; i < c->nviews; i++)
		if (reads(c->views[i], id))
			first[nfirst++] = i;
	n = cat_view_drop_order(c, first, nfirst, found, via); /* PostgreSQL's DETAIL */
	for (int k = 0; k < n; k++) {
		size_t len = strlen(detail);
		if (via[k] < 0)
			snprintf(detail + len, sizeof detail - len, "%sview %s depends on %s %s",
				 k ? "\n" : "", c->views[found[k]]->name, kind, name);
		else
			snprintf(detail + len, sizeof detail - len, "\nview %s depends on view %s",
				 c->views[found[k]]->name, c->views[via[k]]->name);
	}
	mur_error_set(err, SQLSTATE_DEPENDENT_OBJECTS,
		      "cannot drop %s %s because other objects depend on it", kind, name);
	mur_error_detail(err, "%s", detail);
	mur_error_hint(err, "Use DROP ... CASCADE to drop the dependent objects too.");
	return MUR_ERR;
}

static int drop_at(catalog *c, int i, mur_error *err)
{
	cat_view *v = c->views[i];
	if (cat_view_drop_dependents(c, v->id, err) != MUR_OK)
		return MUR_ERR;
	i = find(c, v->schema, v->name); /* dependents went: the index may have moved */
	if (store_delete(c, v->id, err) != MUR_OK)
		return MUR_ERR;
	memmove(&c->views[i], &c->views[i + 1], (size_t)(c->nviews - i - 1) * sizeof c->views[0]);
	c->nviews--;
	cat_grants_forget_table(c, v->id);
	cat_comments_forget(c, CAT_COMMENT_RELATION, v->id);
	view_free(v);
	c->version++;
	return MUR_OK;
}

int cat_view_drop_dependents(catalog *c, uint32_t id, mur_error *err)
{
	const cat_view *d;
	while ((d = cat_view_dependent(c, id)))
		if (drop_at(c, find(c, d->schema, d->name), err) != MUR_OK)
			return MUR_ERR;
	return MUR_OK;
}

int cat_view_drop(catalog *c, const char *schema, const char *name, int cascade, mur_error *err)
{
	int i = find(c, schema, name);
	if (i < 0)
		return mur_error_set(err, SQLSTATE_UNDEFINED_TABLE, "view \"%s\" does not exist",
				     name);
	if (!cascade && cat_view_check_dependents(c, c->views[i]->id, "view", name, err) != MUR_OK)
		return MUR_ERR;
	return drop_at(c, i, err);
}
