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
 *                     those) and HINT; with CASCADE (PostgreSQL drops the
 *                     views): 0A000, not built.
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

/* PostgreSQL's DETAIL: each view using col, the views reading it after
 * it, depth first, each once. */
static void drop_detail(sql_ctx *c, const cat_table *t, const char *col, char *out, size_t n)
{
	uint8_t seen[CAT_VIEWS_MAX] = {0};
	out[0] = '\0';
	for (int i = 0; i < cat_view_count(c->cat) && i < CAT_VIEWS_MAX; i++) {
		const cat_view *v = cat_view_at(c->cat, i);
		size_t len = strlen(out);
		if (seen[i] || !view_reads(v, t, col))
			continue;
		seen[i] = 1;
		snprintf(out + len, n - len, "%sview %s depends on column %s of table %s",
			 len ? "\n" : "", v->name, col, t->name);
		cat_view_readers_detail(c->cat, i, seen, out, n);
	}
}

int sql_alter_drop_column_views(sql_ctx *c, const cat_table *t, const char *col, int cascade)
{
	char detail[MUR_ERROR_MESSAGE_MAX];
	if (!sql_alter_view_reading(c, t, col))
		return MUR_OK;
	drop_detail(c, t, col, detail, sizeof detail);
	if (cascade) {
		sql_err(c, SQLSTATE_FEATURE_NOT_SUPPORTED, -1,
			"murphy does not support DROP COLUMN ... CASCADE of a column a view uses "
			"yet");
		mur_error_detail(c->err, "%s", detail);
		mur_error_hint(c->err, "Drop those views first (PostgreSQL's CASCADE would drop "
				       "them), then the column.");
		return MUR_ERR;
	}
	sql_err(c, SQLSTATE_DEPENDENT_OBJECTS, -1,
		"cannot drop column %s of table %s because other objects depend on it", col,
		t->name);
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
