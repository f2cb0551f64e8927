/*
 * analyze_view.c — a view named in FROM.
 *
 * A view is its SELECT's text (catalog/catalog_view.c).  FROM v [AS a]
 * parses that text and analyzes it exactly as FROM (SELECT ...) AS v
 * (cols) would be (analyze_from_subq.c): a view over distributed tables
 * that runs shard by shard merges into the query reading it and is pushed
 * down with it; any other is gathered to the leader.  cols are the view's
 * column names as CREATE VIEW settled them (its column list, else the
 * query's output names), so a renamed column keeps its name.
 *
 * The view's text is analyzed with c->sql pointing at it (error positions
 * are then inside the view's text), with the WITH queries of the query
 * around it out of sight (c->cte_base), and one level deeper
 * (SQL_VIEW_DEPTH_MAX).  Each expansion parses the text anew; the tree is
 * kept in c->view_trees until the statement is planned, since analysis
 * may read FROM twice (analyze_select.c) and keeps pointers into the tree
 * while it plans.
 *
 * CREATE VIEW records what its query reads (sql_view_dep): every table
 * looked up (sql_lookup_table_for) and every view expanded, by its own
 * text (not what the views it reads read: those are theirs, as
 * PostgreSQL's dependencies, so a drop lists "view w depends on view v").
 *
 * A view created before CREATE VIEW named the columns of its `*`
 * (analyze_view_star.c) still expands `*` when it is read: when a table
 * has gained columns since, its query answers more columns than the view
 * was created with, and reading it is an error (sql_view_drifted,
 * checked by analyze_from_subq.c's from_nested) instead of answering
 * columns the view does not have.  (Its tables cannot lose or retype a
 * column: a `*` uses every one, plan_alter_views.c.)
 *
 * Names without a schema in a view's text resolve with the search path
 * "<the view's schema>, public" (sql_view_search_path), when it is created
 * and whenever it is read, whatever the reader's search_path: the text
 * means the same relations to every session.
 *
 * Privileges, as PostgreSQL's: reading a view needs SELECT on the view
 * (GRANT ... ON view, catalog_role.c); its tables are read with its
 * owner's privileges, and only a superuser creates views in murphy, so
 * they are not checked for the reader (a view can give a role some
 * columns or rows of a table it may not read).
 */
#include "parser/analyze.h"
#include "parser/parser.h"

#include <string.h>

int sql_view_dep(sql_ctx *c, uint32_t id)
{
	if (!c->deps || c->view_depth > 0) /* what a view it reads reads: that view's */
		return MUR_OK;
	for (int i = 0; i < c->ndeps; i++)
		if (c->deps[i] == id)
			return MUR_OK;
	if (c->ndeps >= CAT_VIEW_DEPS_MAX)
		return sql_err(c, SQLSTATE_PROGRAM_LIMIT_EXCEEDED, -1,
			       "a view may read at most %d tables and views", CAT_VIEW_DEPS_MAX);
	c->deps[c->ndeps++] = id;
	return MUR_OK;
}

void sql_view_trees_free(sql_ctx *c)
{
	for (int i = 0; i < c->nview_trees; i++)
		sql_tree_free(c->view_trees[i]);
	c->nview_trees = 0;
}

/* The view's SELECT, parsed; NULL + error. */
static PgQuery__Node *view_query(sql_ctx *c, const cat_view *v)
{
	sql_tree *tree = NULL;
	PgQuery__ParseResult *r;
	if (c->nview_trees >= SQL_VIEW_TREES_MAX)
		return sql_err(c, SQLSTATE_PROGRAM_LIMIT_EXCEEDED, -1,
			       "murphy expands at most %d views in one statement",
			       SQL_VIEW_TREES_MAX),
		       NULL;
	if (sql_parse(v->sql, &tree, c->err) != MUR_OK) {
		mur_error_context(c->err, "view \"%s\"", v->name);
		return NULL;
	}
	c->view_trees[c->nview_trees++] = tree;
	r = sql_tree_result(tree);
	if (r->n_stmts != 1 || r->stmts[0]->stmt->node_case != PG_QUERY__NODE__NODE_SELECT_STMT)
		return sql_err(c, SQLSTATE_INTERNAL_ERROR, -1, "view \"%s\" is not a SELECT",
			       v->name),
		       NULL;
	return r->stmts[0]->stmt;
}

/* AS alias (the view's column names): in the arena. */
static PgQuery__Alias *view_alias(sql_ctx *c, PgQuery__RangeVar *rv, const cat_view *v)
{
	PgQuery__Alias *a = sql_alloc(c, sizeof *a);
	PgQuery__Node **names = sql_alloc(c, sizeof *names * (size_t)(v->ncols ? v->ncols : 1));
	if (!a || !names)
		return NULL;
	a->aliasname = rv->alias && rv->alias->aliasname ? rv->alias->aliasname : (char *)v->name;
	for (int i = 0; i < v->ncols; i++) {
		PgQuery__Node *n = sql_alloc(c, sizeof *n);
		PgQuery__String *s = sql_alloc(c, sizeof *s);
		if (!n || !s)
			return NULL;
		s->sval = (char *)v->cols[i].name;
		n->node_case = PG_QUERY__NODE__NODE_STRING;
		n->string = s;
		names[i] = n;
	}
	a->colnames = names;
	a->n_colnames = (size_t)v->ncols;
	return a;
}

int sql_analyze_from_view(sql_ctx *c, sql_query *q, PgQuery__RangeVar *rv, const cat_view *v)
{
	PgQuery__RangeSubselect rs = {0};
	const char *sql = c->sql, *path = c->search_path;
	int cte_base = c->cte_base, superuser = c->superuser, rc, nview, nrte;
	if (sql_view_dep(c, v->id) != MUR_OK || sql_schema_denied(c, v->schema, rv->location))
		return MUR_ERR;
	sql_view_ref_note_id(c, rv->location, v->id, -1, NULL); /* an ALTER ... RENAME's */
	if (c->user && !cat_allowed_id(c->cat, c->user, c->superuser, v->id, CAT_PRIV_SELECT))
		return sql_err(c, SQLSTATE_INSUFFICIENT_PRIVILEGE, rv->location,
			       "permission denied for view %s", v->name);
	if (c->view_depth >= SQL_VIEW_DEPTH_MAX)
		return sql_err(c, SQLSTATE_STACK_DEPTH_EXCEEDED, rv->location,
			       "views nested more than %d deep (view \"%s\")", SQL_VIEW_DEPTH_MAX,
			       v->name);
	if (!(rs.subquery = view_query(c, v)) || !(rs.alias = view_alias(c, rv, v)))
		return MUR_ERR;
	c->sql = v->sql;
	c->cte_base = c->nctes;
	c->view_depth++;
	c->view_checked = v; /* from_nested checks its columns (sql_view_drifted) */
	c->superuser = 1;    /* the view's tables are read as its owner: a superuser, who alone
			     creates views */
	if (!(c->search_path = sql_view_search_path(c, v->schema)))
		return MUR_ERR;
	nview = q->nview;
	nrte = q->nrte;
	rc = sql_analyze_from_subselect(c, q, &rs);
	for (int i = nview; rc == MUR_OK && i < q->nview; i++) /* merged: its names */
		if (!strcmp(q->views[i].alias, rs.alias->aliasname))
			q->views[i].view_id = v->id;
	for (int i = nrte; rc == MUR_OK && i < q->nrte; i++) /* gathered: its rows */
		if (!q->rtes[i].merged && !strcmp(q->rtes[i].alias, rs.alias->aliasname))
			q->rtes[i].view_id = v->id;
	c->view_checked = NULL;
	c->search_path = path;
	c->superuser = superuser;
	c->view_depth--;
	c->cte_base = cte_base;
	c->sql = sql;
	if (rc != MUR_OK)
		c->err->position = 0; /* it was inside the view's text */
	return rc;
}

int sql_view_drifted(sql_ctx *c, const cat_view *v, int now)
{
	sql_err(c, SQLSTATE_FEATURE_NOT_SUPPORTED, -1,
		"view \"%s\" now answers %d columns, but %d when it was created", v->name, now,
		v->ncols);
	mur_error_detail(c->err, "Its text reads `*`, which murphy expands when the view is read: "
				 "the view was created before murphy named the columns of a "
				 "view's `*` at CREATE VIEW, and its tables have changed since.");
	mur_error_hint(c->err, "Create the view again (DROP VIEW, CREATE VIEW): its columns are "
			       "then fixed as PostgreSQL's.");
	return MUR_ERR;
}

const char *sql_view_search_path(sql_ctx *c, const char *schema)
{
	size_t n = strlen(schema) * 2 + sizeof "\"\", public";
	char *out = sql_alloc(c, n), *o = out;
	if (!out)
		return NULL;
	*o++ = '"';
	for (const char *p = schema; *p; p++) {
		if (*p == '"')
			*o++ = '"';
		*o++ = *p;
	}
	memcpy(o, "\", public", sizeof "\", public");
	return out;
}
