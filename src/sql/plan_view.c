/*
 * plan_view.c — CREATE [OR REPLACE] VIEW and DROP VIEW (PLAN_VIEW).
 *
 * CREATE [OR REPLACE] VIEW v [(cols)] AS SELECT ...: the SELECT is
 * planned here once, as a query would plan it, to check it and to learn
 * its output columns (names, renamed by cols, and types; a literal of
 * unknown type becomes text, as PostgreSQL 15) and the tables and views
 * it reads (sql_ctx.deps).  The plan keeps the SELECT's text as written
 * (everything after the statement's first AS); the catalog stores it and
 * the planner analyzes it wherever a query names the view
 * (parser/analyze_view.c).  The leader makes the catalog change
 * (cat_view_create: 42P07, OR REPLACE's 42P16).  WITH CHECK OPTION,
 * TEMPORARY and RECURSIVE views, view options and other schemas are 0A000
 * naming them.
 *
 * DROP VIEW [IF EXISTS] v [, ...] [CASCADE | RESTRICT]: 42809 when a name
 * is a table's; the catalog refuses a view another view reads unless
 * CASCADE (2BP01).
 */
#include "sql/sqlInt.h"

#include <stdio.h>
#include <string.h>

#define SQL_VIEW_DROP_MAX 16               /* names per DROP VIEW, as DROP TABLE's */
#define SQLSTATE_WRONG_OBJECT_TYPE "42809" /* wrong_object_type */
#define SQL_VIEW_STAR_ROUNDS 3             /* plans of a view's text naming its `*` (LATERAL: 2) */

static int unsupported(sql_ctx *c, const char *what)
{
	return sql_err(c, SQLSTATE_FEATURE_NOT_SUPPORTED, -1, "murphy does not support %s yet",
		       what);
}

static int view_name_check(sql_ctx *c, const PgQuery__RangeVar *rv)
{
	if (rv->relpersistence && !strcmp(rv->relpersistence, "t"))
		return unsupported(c, "temporary views");
	if (strlen(rv->relname) >= CAT_NAME_MAX)
		return sql_err(c, SQLSTATE_PROGRAM_LIMIT_EXCEEDED, rv->location,
			       "view name \"%s\" is too long", rv->relname);
	return MUR_OK;
}

/* The SELECT's text: after the first AS of the statement, without the
 * trailing semicolons and spaces; *off: where it starts in c->sql. */
static char *view_text(sql_ctx *c, int *off)
{
	const char *t = sql_text_after(c, 0, PG_QUERY__TOKEN__AS);
	size_t n;
	char *s;
	if (!t)
		return sql_err(c, SQLSTATE_SYNTAX_ERROR, -1, "CREATE VIEW needs AS SELECT"), NULL;
	n = strlen(t);
	*off = (int)(strlen(c->sql) - n);
	while (n && (t[n - 1] == ';' || t[n - 1] == ' ' || t[n - 1] == '\n' || t[n - 1] == '\t' ||
		     t[n - 1] == '\r'))
		n--;
	if (n >= CAT_VIEW_SQL_MAX)
		return sql_err(c, SQLSTATE_PROGRAM_LIMIT_EXCEEDED, -1,
			       "a view's query may be at most %d bytes", CAT_VIEW_SQL_MAX - 1),
		       NULL;
	if ((s = sql_alloc(c, n + 1)))
		memcpy(s, t, n);
	return s;
}

/* The view's columns from the planned SELECT q, renamed by aliases. */
static int view_columns(sql_ctx *c, PgQuery__ViewStmt *s, const plan *q, cat_view *v)
{
	if (s->n_aliases > (size_t)q->nout)
		return sql_err(c, SQLSTATE_SYNTAX_ERROR, -1,
			       "CREATE VIEW specifies more column names than columns");
	if (!(v->cols = sql_alloc(c, sizeof *v->cols * (size_t)(q->nout ? q->nout : 1))))
		return MUR_ERR;
	v->ncols = q->nout;
	for (int i = 0; i < q->nout; i++) {
		const char *alias = i < (int)s->n_aliases ? sql_object_name(s->aliases[i]) : NULL;
		snprintf(v->cols[i].name, sizeof v->cols[i].name, "%s",
			 alias ? alias : q->out[i].name);
		v->cols[i].type = q->out[i].type == MT_UNKNOWN ? MT_TEXT : q->out[i].type;
		/* out carries RowDescription's atttypmod (n + 4), the catalog n */
		v->cols[i].typmod = q->out[i].typmod >= 4 ? q->out[i].typmod - 4 : -1;
		for (int k = 0; k < i; k++)
			if (!strcmp(v->cols[k].name, v->cols[i].name))
				return sql_err(c, "42701", -1,
					       "column \"%s\" specified more than once",
					       v->cols[i].name);
	}
	return MUR_OK;
}

static int star_refused(sql_ctx *c, const char *why)
{
	sql_err(c, SQLSTATE_FEATURE_NOT_SUPPORTED, -1,
		"murphy cannot name the columns of this view's `*` yet");
	mur_error_detail(c->err, "%s", why);
	mur_error_hint(c->err, "Name the columns in the view's select list.");
	return MUR_ERR;
}

/* text, the view's query with its `*` expanded, planned again (its own
 * `*` recorded in *stars, its tree in *tree): it must answer q's columns
 * (names, types), else the expansion was wrong. */
static int replan(sql_ctx *c, const plan *q, const char *text, const PgQuery__Node **tree,
		  sql_view_stars **stars)
{
	const char *sql = c->sql;
	sql_tree *t = NULL;
	PgQuery__ParseResult *r;
	plan *q2 = sql_plan_new(c, PLAN_EMPTY, "");
	int rc;
	if (!q2 || !(*stars = sql_alloc(c, sizeof **stars)))
		return MUR_ERR;
	if (c->nview_trees >= SQL_VIEW_TREES_MAX)
		return star_refused(c, "too many views");
	if (sql_parse(text, &t, c->err) != MUR_OK)
		return star_refused(c, c->err->message);
	c->view_trees[c->nview_trees++] = t; /* freed with the statement's */
	r = sql_tree_result(t);
	if (r->n_stmts != 1 || r->stmts[0]->stmt->node_case != PG_QUERY__NODE__NODE_SELECT_STMT)
		return star_refused(c, "its text is no longer one SELECT");
	*tree = r->stmts[0]->stmt;
	(*stars)->text = c->sql = text;
	c->stars = *stars;
	c->nsubs = 0; /* the first plan's subqueries are not this one's */
	rc = sql_plan_select(c, r->stmts[0]->stmt->select_stmt, q2);
	c->stars = NULL;
	c->sql = sql;
	if (rc != MUR_OK) {
		char why[sizeof c->err->message];
		snprintf(why, sizeof why, "%s", c->err->message);
		mur_error_clear(c->err);
		return star_refused(c, why);
	}
	if (q2->nout != q->nout)
		return star_refused(c, "the expanded query answers other columns");
	for (int i = 0; i < q->nout; i++)
		if (strcmp(q->out[i].name, q2->out[i].name) || q->out[i].type != q2->out[i].type ||
		    q->out[i].typmod != q2->out[i].typmod)
			return star_refused(c, "the expanded query answers other columns");
	return MUR_OK;
}

/* pv->def.sql (at off in c->sql, s->query its tree, stars what its `*`
 * stood for) with the columns of its `*` named (parser/analyze_view_star.c),
 * as PostgreSQL fixes them at CREATE.  Each new text is planned again:
 * it must answer the same columns, and a `*` a rewrite left as `t.*`
 * (LATERAL) is named by that plan, up to SQL_VIEW_STAR_ROUNDS times. */
static int fix_stars(sql_ctx *c, sql_view_stars *stars, PgQuery__ViewStmt *s, const plan *q,
		     plan_view *pv, int off)
{
	const PgQuery__Node *tree = s->query;
	const char *text = pv->def.sql;
	for (int round = 0;; round++) {
		char *next = sql_view_star_text(c, stars, tree, text, off);
		if (!next)
			return MUR_ERR;
		if (next == text)
			break;
		if (strlen(next) >= CAT_VIEW_SQL_MAX)
			return sql_err(c, SQLSTATE_PROGRAM_LIMIT_EXCEEDED, -1,
				       "a view's query with its `*` expanded may be at most %d "
				       "bytes",
				       CAT_VIEW_SQL_MAX - 1);
		if (round == SQL_VIEW_STAR_ROUNDS)
			return star_refused(c, "its `*` are still not named");
		if (replan(c, q, next, &tree, &stars) != MUR_OK)
			return MUR_ERR;
		text = next;
		off = 0;
	}
	pv->def.sql = (char *)text;
	return MUR_OK;
}

/* Plan the SELECT as a query would be, recording what it reads and what
 * its `*` stand for. */
static int plan_query(sql_ctx *c, PgQuery__ViewStmt *s, plan_view *pv, int off)
{
	plan *q = sql_plan_new(c, PLAN_EMPTY, "");
	uint32_t *deps = sql_alloc(c, sizeof *deps * CAT_VIEW_DEPS_MAX);
	sql_view_stars *stars = sql_alloc(c, sizeof *stars);
	int rc;
	if (!q || !deps || !stars)
		return MUR_ERR;
	c->deps = deps;
	c->ndeps = 0;
	stars->text = c->sql;
	c->stars = stars;
	if (!(c->search_path = sql_view_search_path(c, pv->def.schema)))
		return MUR_ERR;
	rc = sql_plan_select(c, s->query->select_stmt, q);
	c->deps = NULL;
	c->stars = NULL;
	if (rc != MUR_OK)
		return MUR_ERR;
	if (*c->nparams > 0)
		return sql_err(c, "42P02", -1, "there is no parameter $1");
	memcpy(pv->def.deps, deps, sizeof *deps * (size_t)c->ndeps);
	pv->def.ndeps = c->ndeps;
	if (view_columns(c, s, q, &pv->def) != MUR_OK)
		return MUR_ERR;
	return fix_stars(c, stars, s, q, pv, off);
}

int sql_plan_create_view(sql_ctx *c, PgQuery__ViewStmt *s, plan *p)
{
	plan_view *pv = &p->u.view;
	const char *schema;
	int off;
	p->kind = PLAN_VIEW;
	p->tag = "CREATE VIEW";
	if (view_name_check(c, s->view) != MUR_OK)
		return MUR_ERR;
	if (s->with_check_option != PG_QUERY__VIEW_CHECK_OPTION__NO_CHECK_OPTION &&
	    s->with_check_option != PG_QUERY__VIEW_CHECK_OPTION__VIEW_CHECK_OPTION_UNDEFINED)
		return unsupported(c, "WITH CHECK OPTION (murphy's views are read-only)");
	if (s->n_options)
		return unsupported(c, "view options");
	if (!s->query || s->query->node_case != PG_QUERY__NODE__NODE_SELECT_STMT)
		return unsupported(c, "this view query");
	pv->replace = s->replace;
	if (!(schema = sql_rv_create_schema(c, s->view)))
		return MUR_ERR;
	snprintf(pv->def.name, sizeof pv->def.name, "%s", s->view->relname);
	snprintf(pv->def.schema, sizeof pv->def.schema, "%s", schema);
	if (!(pv->def.sql = view_text(c, &off)))
		return MUR_ERR;
	return plan_query(c, s, pv, off);
}

int sql_plan_drop_view(sql_ctx *c, PgQuery__DropStmt *s, plan *p)
{
	plan_view *pv = &p->u.view;
	p->kind = PLAN_VIEW;
	p->tag = "DROP VIEW";
	pv->drop = 1;
	pv->missing_ok = s->missing_ok;
	pv->cascade = s->behavior == PG_QUERY__DROP_BEHAVIOR__DROP_CASCADE;
	if (s->n_objects > SQL_VIEW_DROP_MAX)
		return sql_err(c, SQLSTATE_PROGRAM_LIMIT_EXCEEDED, -1,
			       "murphy drops at most %d views per statement", SQL_VIEW_DROP_MAX);
	if (!(pv->names = sql_alloc(c, sizeof *pv->names * s->n_objects)) ||
	    !(pv->schemas = sql_alloc(c, sizeof *pv->schemas * s->n_objects)))
		return MUR_ERR;
	for (size_t i = 0; i < s->n_objects; i++) {
		const char *name = sql_object_name(s->objects[i]);
		const char *schema = sql_object_schema(c, s->objects[i]);
		if (c->cat && schema && !cat_view_lookup(c->cat, schema, name) &&
		    cat_table_lookup(c->cat, schema, name)) {
			sql_err(c, SQLSTATE_WRONG_OBJECT_TYPE, -1, "\"%s\" is not a view", name);
			mur_error_hint(c->err, "Use DROP TABLE to remove a table.");
			return MUR_ERR;
		}
		snprintf(pv->schemas[pv->nnames], sizeof pv->schemas[0], "%s",
			 schema ? schema : "public");
		snprintf(pv->names[pv->nnames++], sizeof pv->names[0], "%s", name);
	}
	return MUR_OK;
}
