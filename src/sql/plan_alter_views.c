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
 *   RENAME c / table  used by a view: 0A000 (PostgreSQL renames inside the
 *                     view; murphy's text would name what is gone).
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
