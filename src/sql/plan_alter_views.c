/*
 * plan_alter_views.c — ALTER TABLE against the views that read the table.
 *
 * A view is its SELECT's text (catalog/catalog_view.c), which names the
 * table and the columns it reads (CREATE VIEW names the columns of its
 * `*`: parser/analyze_view_star.c), so a change to a name or column the
 * text uses would change or break the view.  As PostgreSQL, which records
 * a view's dependency on each column it reads:
 *
 *   DROP COLUMN c     c used by a view: 2BP01 with PostgreSQL's message,
 *                     DETAIL (each view using c, then the views reading
 *                     those) and HINT; with CASCADE those views are
 *                     dropped once the column is (plan_alter.drop_views:
 *                     leader/lead_ddl.c), with PostgreSQL's NOTICE.
 *   ALTER c TYPE      c used by a view: 0A000 "cannot alter type of a
 *                     column used by a view or rule", PostgreSQL's.
 *   RENAME c / table  (and ALTER VIEW's RENAME: sql/plan_view_rename.c)
 *                     the texts of the views naming it are rewritten to
 *                     name the new name (sql_rename_in_views, each text
 *                     planned again recording what its names read:
 *                     parser/view_rename.c), stored with the rename
 *                     (leader/lead_ddl.c); 0A000 naming the view when its
 *                     text reads it in a way not rewritten.
 *
 * Columns no view uses stay droppable and alterable.  Which columns a
 * view's text uses: parser/view_uses.c (it may answer "used" for a column
 * of that name read from another table; never the reverse).
 */
#include "sql/sqlInt.h"

#include <stdio.h>
#include <string.h>

#define SQLSTATE_DEPENDENT_OBJECTS "2BP01"

static int view_reads(const cat_view *v, const cat_table *t, const char *col)
{
	int reads = 0;
	for (int k = 0; k < v->ndeps; k++)
		reads |= v->deps[k] == t->id;
	return reads && (!col || sql_view_uses_column(v->sql, t->schema, t->name, col));
}

const cat_view *sql_alter_view_reading(sql_ctx *c, const cat_table *t, const char *col)
{
	for (int i = 0; c->cat && i < cat_view_count(c->cat); i++)
		if (view_reads(cat_view_at(c->cat, i), t, col))
			return cat_view_at(c->cat, i);
	return NULL;
}

/* The views using col (via -1) and the views reading them, in the order
 * PostgreSQL lists them (cat_view_drop_order). */
typedef struct view_deps {
	int idx[CAT_VIEWS_MAX], via[CAT_VIEWS_MAX], n;
} view_deps;

static view_deps *using_views(sql_ctx *c, const cat_table *t, const char *col)
{
	view_deps *d = sql_alloc(c, sizeof *d);
	int first[CAT_VIEWS_MAX], nfirst = 0;
	if (!d)
		return NULL;
	for (int i = 0; i < cat_view_count(c->cat) && i < CAT_VIEWS_MAX; i++)
		if (view_reads(cat_view_at(c->cat, i), t, col))
			first[nfirst++] = i;
	d->n = cat_view_drop_order(c->cat, first, nfirst, d->idx, d->via);
	return d;
}

static const char *view_name(sql_ctx *c, int i) { return cat_view_at(c->cat, i)->name; }

/* 2BP01's DETAIL: "view v depends on column c of table t", "view w
 * depends on view v". */
static void depends_detail(sql_ctx *c, const view_deps *d, const cat_table *t, const char *col,
			   char *out, size_t n)
{
	out[0] = '\0';
	for (int k = 0; k < d->n; k++) {
		size_t len = strlen(out);
		if (d->via[k] < 0)
			snprintf(out + len, n - len, "%sview %s depends on column %s of table %s",
				 k ? "\n" : "", view_name(c, d->idx[k]), col, t->name);
		else
			snprintf(out + len, n - len, "\nview %s depends on view %s",
				 view_name(c, d->idx[k]), view_name(c, d->via[k]));
	}
}

/* CASCADE: the views to drop after the column (those using it: the catalog
 * drops the views reading them with them) and PostgreSQL's NOTICE. */
static int cascade_plan(sql_ctx *c, plan_alter *pa, const view_deps *d)
{
	char detail[MUR_ERROR_DETAIL_MAX] = "";
	if (!(pa->drop_views = sql_alloc(c, sizeof *pa->drop_views * (size_t)d->n)))
		return MUR_ERR;
	for (int k = 0; k < d->n; k++) {
		size_t len = strlen(detail);
		snprintf(detail + len, sizeof detail - len, "%sdrop cascades to view %s",
			 k ? "\n" : "", view_name(c, d->idx[k]));
		if (d->via[k] < 0)
			pa->drop_views[pa->ndrop_views++] = cat_view_at(c->cat, d->idx[k])->id;
	}
	if (d->n == 1) {
		pa->cascade_notice = sql_strdup(c, detail);
		return pa->cascade_notice ? MUR_OK : MUR_ERR;
	}
	pa->cascade_detail = sql_strdup(c, detail);
	snprintf(detail, sizeof detail, "drop cascades to %d other objects", d->n);
	pa->cascade_notice = sql_strdup(c, detail);
	return pa->cascade_notice && pa->cascade_detail ? MUR_OK : MUR_ERR;
}

int sql_alter_drop_column_views(sql_ctx *c, plan_alter *pa, const char *col, int cascade)
{
	char detail[MUR_ERROR_DETAIL_MAX];
	const view_deps *d;
	if (!sql_alter_view_reading(c, pa->table, col))
		return MUR_OK;
	if (!(d = using_views(c, pa->table, col)))
		return MUR_ERR;
	if (cascade)
		return cascade_plan(c, pa, d);
	depends_detail(c, d, pa->table, col, detail, sizeof detail);
	sql_err(c, SQLSTATE_DEPENDENT_OBJECTS, -1,
		"cannot drop column %s of table %s because other objects depend on it", col,
		pa->table->name);
	mur_error_detail(c->err, "%s", detail);
	mur_error_hint(c->err, "Use DROP ... CASCADE to drop the dependent objects too.");
	return MUR_ERR;
}

int sql_alter_type_views(sql_ctx *c, const cat_table *t, const char *col)
{
	const cat_view *v = sql_alter_view_reading(c, t, col);
	if (!v)
		return MUR_OK;
	sql_err(c, SQLSTATE_FEATURE_NOT_SUPPORTED, -1,
		"cannot alter type of a column used by a view or rule");
	mur_error_detail(c->err, "rule _RETURN on view %s depends on column \"%s\"", v->name, col);
	return MUR_ERR;
}

/* ---- RENAME followed into the views (parser/view_rename.c) ---- */

/* 1 when a relation v reads besides relation id has a column named name:
 * a bare name of the renamed column could then read it. */
static int other_has_column(sql_ctx *c, const cat_view *v, uint32_t id, const char *name)
{
	for (int k = 0; k < v->ndeps; k++) {
		const cat_table *o = v->deps[k] == id
					     ? NULL
					     : cat_table_by_id((catalog *)c->cat, v->deps[k]);
		const cat_view *ov = v->deps[k] == id ? NULL : cat_view_by_id(c->cat, v->deps[k]);
		if (o && cat_column_index(o, name) >= 0)
			return 1;
		for (int i = 0; ov && i < ov->ncols; i++)
			if (!strcmp(ov->cols[i].name, name))
				return 1;
	}
	return 0;
}

/* v's text planned again as its readers plan it (its schema's path),
 * recording what each of its names resolved to; its tree in *tree.  A
 * text that no longer plans: *why. */
static int plan_recording(sql_ctx *c, const cat_view *v, sql_view_refs *refs,
			  const PgQuery__Node **tree, const char **why)
{
	const char *sql = c->sql, *path = c->search_path;
	sql_tree *t = NULL;
	PgQuery__ParseResult *r;
	plan *q = sql_plan_new(c, PLAN_EMPTY, "");
	int rc;
	*why = NULL;
	if (!q)
		return MUR_ERR;
	if (c->nview_trees >= SQL_VIEW_TREES_MAX)
		return *why = "too many views", MUR_OK;
	if (sql_parse(v->sql, &t, c->err) != MUR_OK)
		return MUR_ERR;
	c->view_trees[c->nview_trees++] = t; /* freed with the statement's */
	r = sql_tree_result(t);
	if (r->n_stmts != 1 || r->stmts[0]->stmt->node_case != PG_QUERY__NODE__NODE_SELECT_STMT)
		return *why = "its text is not one SELECT", MUR_OK;
	*tree = r->stmts[0]->stmt;
	refs->text = c->sql = v->sql;
	c->refs = refs;
	c->nsubs = 0;
	if ((c->search_path = sql_view_search_path(c, v->schema)))
		rc = sql_plan_select(c, r->stmts[0]->stmt->select_stmt, q);
	else
		rc = MUR_ERR;
	c->refs = NULL;
	c->sql = sql;
	c->search_path = path;
	if (rc != MUR_OK) {
		mur_error_clear(c->err);
		*why = "its query no longer plans";
	}
	return MUR_OK;
}

static int rename_refused(sql_ctx *c, const sql_rename *rn, const char *kind, const cat_view *v,
			  const char *why)
{
	sql_err(c, SQLSTATE_FEATURE_NOT_SUPPORTED, -1,
		"murphy cannot rename %s \"%s\": view \"%s\" reads it in a way murphy does not "
		"rewrite yet",
		rn->col >= 0 ? "column" : kind, rn->col >= 0 ? rn->col_name : rn->name, v->name);
	mur_error_detail(c->err, "%s.", why);
	mur_error_hint(c->err, "Drop the view, rename, and create the view again.");
	return MUR_ERR;
}

int sql_rename_in_views(sql_ctx *c, const sql_rename *rn, const char *kind, sql_view_texts *out)
{
	int n = c->cat ? cat_view_count(c->cat) : 0;
	for (int i = 0; i < n; i++) {
		const cat_view *v = cat_view_at(c->cat, i);
		sql_view_refs *refs;
		const PgQuery__Node *tree = NULL;
		const char *why = NULL;
		char *text;
		int reads = 0;
		for (int k = 0; k < v->ndeps; k++)
			reads |= v->deps[k] == rn->id;
		if (!reads)
			continue;
		if (!out->ids && (!(out->ids = sql_alloc(c, sizeof *out->ids * (size_t)n)) ||
				  !(out->sql = sql_alloc(c, sizeof *out->sql * (size_t)n)) ||
				  !(out->was = sql_alloc(c, sizeof *out->was * (size_t)n))))
			return MUR_ERR;
		if (!(refs = sql_alloc(c, sizeof *refs)) ||
		    plan_recording(c, v, refs, &tree, &why) != MUR_OK)
			return MUR_ERR;
		if (!why && rn->col >= 0 && other_has_column(c, v, rn->id, rn->to))
			why = "another relation it reads has a column of the new name";
		if (!why && rn->col < 0 && strcmp(v->schema, rn->schema) &&
		    (cat_table_lookup(c->cat, v->schema, rn->to) ||
		     cat_view_lookup(c->cat, v->schema, rn->to)))
			why = "its own schema has a relation of the new name, which its text would "
			      "read";
		if (!why && !(text = sql_view_renamed_text(c, v->sql, tree, refs, rn, &why)) &&
		    !why)
			return MUR_ERR;
		if (why)
			return rename_refused(c, rn, kind, v, why);
		if (text == v->sql)
			continue;
		if (strlen(text) >= CAT_VIEW_SQL_MAX)
			return rename_refused(c, rn, kind, v, "its text would be too long");
		out->ids[out->n] = v->id;
		if (!(out->was[out->n] = sql_strdup(c, v->sql)))
			return MUR_ERR;
		out->sql[out->n++] = text;
	}
	return MUR_OK;
}

int sql_alter_rename_views(sql_ctx *c, plan_alter *pa, const char *col, const char *to)
{
	sql_rename rn = {pa->table->id,
			 pa->table->schema,
			 pa->table->name,
			 col ? cat_column_index(pa->table, col) : -1,
			 col,
			 to};
	return sql_rename_in_views(c, &rn, "table", &pa->renamed);
}
