/*
 * plan_view_rename.c — ALTER VIEW v RENAME TO w, ALTER VIEW v RENAME
 * [COLUMN] a TO b (and ALTER TABLE v RENAME ..., which PostgreSQL takes
 * for a view too): PLAN_VIEW with rename set.
 *
 * The view itself: its name, or its column's name (the catalog's column
 * list names a view's columns wherever it is read: parser/analyze_view.c
 * reads its text as FROM (SELECT ...) AS v (cols), so its text is left
 * as written, as `CREATE VIEW v (b) AS ...` keeps it).  The views
 * reading it name it in their texts: they are rewritten as an ALTER
 * TABLE ... RENAME rewrites them (sql_rename_in_views,
 * parser/view_rename.c: `FROM w`, `w.x`, `v.b AS a`), 0A000 naming the
 * reader when its text reads v in a way not rewritten.  The leader makes
 * both changes (cat_view_rename, then the readers' texts:
 * leader/lead_ddl.c).  Errors as PostgreSQL's: 42809 for ALTER VIEW of
 * a table, 42P01 (IF EXISTS: a NOTICE), 42703, 42701, 42P07.  In a
 * transaction block: 0A000, as every view change (lead_ddltxn.c).
 */
#include "sql/sqlInt.h"

#include <stdio.h>
#include <string.h>

#define SQLSTATE_WRONG_OBJECT_TYPE "42809" /* wrong_object_type */

const cat_view *sql_rename_view_target(sql_ctx *c, const PgQuery__RenameStmt *s)
{
	const char *schema;
	if (!c->cat || !s->relation || !s->relation->relname)
		return NULL;
	schema = sql_rv_schema(c, s->relation);
	return schema ? cat_view_lookup(c->cat, schema, s->relation->relname) : NULL;
}

static int rename_column(sql_ctx *c, PgQuery__RenameStmt *s, const cat_view *v, plan_view *pv)
{
	int col = -1;
	for (int i = 0; i < v->ncols; i++) {
		if (!strcmp(v->cols[i].name, s->newname))
			return sql_err(c, "42701", -1,
				       "column \"%s\" of relation \"%s\" already exists",
				       s->newname, v->name);
		if (!strcmp(v->cols[i].name, s->subname))
			col = i;
	}
	if (col < 0)
		return sql_err(c, SQLSTATE_UNDEFINED_COLUMN, -1, "column \"%s\" does not exist",
			       s->subname);
	if (strlen(s->newname) >= CAT_NAME_MAX)
		return sql_err(c, SQLSTATE_PROGRAM_LIMIT_EXCEEDED, -1,
			       "column name \"%s\" is too long", s->newname);
	pv->rename_col = col;
	snprintf(pv->def.cols[col].name, sizeof pv->def.cols[col].name, "%s", s->newname);
	return sql_rename_in_views(c,
				   &(sql_rename){v->id, v->schema, v->name, col, s->subname,
						 s->newname},
				   "view", &pv->renamed);
}

static int rename_view(sql_ctx *c, PgQuery__RenameStmt *s, const cat_view *v, plan_view *pv)
{
	sql_rename rn = {v->id, v->schema, v->name, -1, NULL, s->newname};
	if (cat_table_lookup(c->cat, v->schema, s->newname) ||
	    cat_view_lookup(c->cat, v->schema, s->newname) ||
	    (!strcmp(v->schema, "public") && cat_seq_lookup(c->cat, s->newname)))
		return sql_err(c, "42P07", -1, "relation \"%s\" already exists", s->newname);
	if (strlen(s->newname) >= CAT_NAME_MAX)
		return sql_err(c, SQLSTATE_PROGRAM_LIMIT_EXCEEDED, -1,
			       "view name \"%s\" is too long", s->newname);
	snprintf(pv->def.name, sizeof pv->def.name, "%s", s->newname);
	return sql_rename_in_views(c, &rn, "view", &pv->renamed);
}

int sql_plan_rename_view(sql_ctx *c, PgQuery__RenameStmt *s, plan *p)
{
	plan_view *pv = &p->u.view;
	const cat_view *v = sql_rename_view_target(c, s);
	memset(pv, 0, sizeof *pv);
	p->kind = PLAN_VIEW;
	p->tag = s->rename_type == PG_QUERY__OBJECT_TYPE__OBJECT_VIEW ||
				 s->relation_type == PG_QUERY__OBJECT_TYPE__OBJECT_VIEW
			 ? "ALTER VIEW"
			 : "ALTER TABLE";
	if (!v && s->relation && sql_rv_table(c, s->relation))
		return sql_err(c, SQLSTATE_WRONG_OBJECT_TYPE, -1, "\"%s\" is not a view",
			       s->relation->relname);
	if (!v && s->missing_ok && s->relation) {
		char notice[CAT_NAME_MAX + 64];
		snprintf(notice, sizeof notice, "relation \"%s\" does not exist, skipping",
			 s->relation->relname);
		pv->rename = 1;
		pv->noop_notice = sql_strdup(c, notice);
		return pv->noop_notice ? MUR_OK : MUR_ERR;
	}
	if (!v)
		return sql_err(c, SQLSTATE_UNDEFINED_TABLE, -1, "relation \"%s\" does not exist",
			       s->relation ? s->relation->relname : "");
	pv->rename = 1;
	pv->rename_col = -1;
	pv->def = *v;
	if (!(pv->def.cols = sql_alloc(c,
				       sizeof *pv->def.cols * (size_t)(v->ncols ? v->ncols : 1))))
		return MUR_ERR;
	memcpy(pv->def.cols, v->cols, sizeof *v->cols * (size_t)v->ncols);
	return s->rename_type == PG_QUERY__OBJECT_TYPE__OBJECT_COLUMN ? rename_column(c, s, v, pv)
								      : rename_view(c, s, v, pv);
}
