/*
 * analyze_from_subq.c — subqueries in FROM and WITH queries.
 *
 * One that is a plain per-shard query (tables only; no aggregate,
 * DISTINCT, ORDER BY, LIMIT or locking) is merged into the query reading
 * it: its tables become that query's rtes (sql_rte.merged: no name of
 * their own), its WHERE joins the query's (for one table joined later:
 * that table's ON, so a LEFT JOIN to it stays right), its select list
 * becomes a name scope (sql_view).  The query then runs on the shards as
 * any join does.  Any other becomes a ROWS sub whose rows the leader
 * gathers into a table "_sub<k>" (virtual), and the query reading it runs
 * on the leader (analyze_select.c reads FROM again with every subquery
 * gathered when a merged one would meet a gathered one).  A WITH query
 * merges into each query that reads it, or runs once (its table kept in
 * sql_cte); one nobody reads is not run.  WITH RECURSIVE queries that
 * read themselves: analyze_recursive.c.
 */
#include "parser/analyze_subq_int.h"

#include <stdio.h>
#include <string.h>

/* ---- FROM (SELECT ...) and WITH: a leader table of the rows ---- */

/* The virtual table of ROWS sub k: its columns are the sub's outputs,
 * renamed by colnames (alias (a, b, ...)). */
cat_table *sql_rows_table(sql_ctx *c, int k, PgQuery__Node **colnames, size_t ncolnames, int loc)
{
	sql_sub *sb = &c->subs[k];
	cat_table *t = sql_alloc(c, sizeof *t);
	int n = sql_sub_ntarget(sb);
	if (!t)
		return NULL;
	if (n > CAT_COLUMNS_MAX || (int)ncolnames > n)
		return sql_err(c, SQLSTATE_INVALID_COLUMN_REFERENCE, loc,
			       "table has %d columns available but %d columns specified", n,
			       (int)ncolnames),
		       NULL;
	t->kind = CAT_TABLE_VIRTUAL;
	t->dist_col = -1;
	snprintf(t->name, sizeof t->name, "_sub%d", k);
	t->ncols = n;
	for (int i = 0; i < n; i++) {
		const sql_expr *e = sql_sub_targets(sb)[i].e;
		const char *name = i < (int)ncolnames ? sql_node_str(colnames[i]) : NULL;
		snprintf(t->cols[i].name, sizeof t->cols[i].name, "%s",
			 name ? name : sql_sub_targets(sb)[i].name);
		t->cols[i].type = e->type == MT_UNKNOWN ? MT_TEXT : e->type;
		t->cols[i].typmod = e->typmod;
	}
	sb->table = t;
	return t;
}

/* ---- merging a subquery in FROM that runs shard by shard ---- */

sql_expr *sql_and(sql_ctx *c, sql_expr *a, sql_expr *b)
{
	sql_expr *e;
	if (!a || !b)
		return a ? a : b;
	if (!(e = sql_expr_new(c, SE_BOOL, MT_BOOL, a->loc)) ||
	    !(e->args = sql_alloc(c, 2 * sizeof *e->args)))
		return NULL;
	e->op = "AND";
	e->nargs = 2;
	e->args[0] = a;
	e->args[1] = b;
	return e;
}

int sql_view_find(const sql_query *q, const char *alias)
{
	for (int v = 0; v < q->nview; v++)
		if (!strcmp(q->views[v].alias, alias))
			return v;
	return -1;
}

int sql_view_at(const sql_query *q, int rte)
{
	for (int v = 0; v < q->nview; v++)
		if (q->views[v].first_rte == rte)
			return v;
	return -1;
}

sql_expr *sql_view_column(const sql_query *q, const char *tbl, const char *col, int *n)
{
	sql_expr *found = NULL;
	for (int v = 0; v < q->nview; v++) {
		const sql_view *w = &q->views[v];
		if ((tbl && strcmp(w->alias, tbl)) || (!tbl && w->first_rte < 0))
			continue; /* JOIN ... USING (c) AS x: only x.c names it */
		for (int k = 0; k < w->ncols; k++) {
			if (strcmp(w->cols[k].name, col))
				continue;
			if (n) /* a name twice in one subquery is ambiguous too */
				(*n)++;
			if (!found)
				found = w->cols[k].e;
		}
	}
	return found;
}

/* A RIGHT or FULL JOIN in sq: its join_right null-extends every table
 * before it, which merged into another query would be that query's too
 * (and merge_view does not carry it: the join read as a LEFT JOIN lost the
 * right side's unmatched rows). */
static int right_join(const sql_query *sq)
{
	for (int i = 0; i < sq->nrte; i++)
		if (sq->rtes[i].join_right)
			return 1;
	return 0;
}

/* A plain per-shard query: tables (no gathered rows), no aggregate,
 * DISTINCT, ORDER BY, LIMIT, row locks or RIGHT / FULL JOIN, and room
 * for its tables. */
static int mergeable(const sql_ctx *c, const sql_query *q, const sql_query *sq)
{
	return sq && !c->no_merge && !sq->is_virtual && sq->nrte > 0 && !sq->has_agg &&
	       !right_join(sq) && !sq->unnest && /* its json_each join stays with its own FROM */
	       !sq->distinct && !sq->nsort && !sq->limit && !sq->offset && !sq->locks_rows &&
	       !sq->nwindow && /* a WHERE over its results must see them computed first */
	       q->nrte + sq->nrte <= SQL_RTES_MAX && q->nview < SQL_RTES_MAX;
}

/* A copy of e whose columns name rtes base higher (subquery results,
 * numbered later through their SE_SUBQ, stay shared). */
static sql_expr *shifted(sql_ctx *c, const sql_expr *e, int base)
{
	sql_expr *n;
	if (!e || e->kind == SE_SUBQ)
		return (sql_expr *)e;
	if (!(n = sql_alloc(c, sizeof *n)))
		return NULL;
	*n = *e;
	if (e->kind == SE_COLUMN)
		n->rte += base;
	if (e->nargs && !(n->args = sql_alloc(c, sizeof(sql_expr *) * (size_t)e->nargs)))
		return NULL;
	for (int i = 0; i < e->nargs; i++)
		if (!(n->args[i] = shifted(c, e->args[i], base)))
			return NULL;
	return n;
}

/* sq's tables become q's (merged), its WHERE q's (or, for one table
 * joined later, that table's ON), its select list the view alias. */
static int merge_view(sql_ctx *c, sql_query *q, const sql_query *sq, const char *alias,
		      PgQuery__Node **colnames, size_t ncolnames, int loc)
{
	int base = q->nrte;
	sql_view *v = &q->views[q->nview];
	sql_expr *w = NULL;
	if ((int)ncolnames > sq->ntarget)
		return sql_err(c, SQLSTATE_INVALID_COLUMN_REFERENCE, loc,
			       "table \"%s\" has %d columns available but %d columns specified",
			       alias, sq->ntarget, (int)ncolnames);
	for (int i = 0; i <= q->nrte; i++)
		if (i == q->nrte ? sql_view_find(q, alias) >= 0
				 : !q->rtes[i].merged && !strcmp(q->rtes[i].alias, alias))
			return sql_err(c, "42712", loc,
				       "table name \"%s\" specified more than once", alias);
	for (int i = 0; i < sq->nrte; i++) {
		char a[CAT_NAME_MAX];
		snprintf(a, sizeof a, "%s.%d.%s", alias, base + i, sq->rtes[i].alias);
		if (sql_add_rte(c, q, sq->rtes[i].table, a, loc) != MUR_OK)
			return MUR_ERR;
		q->rtes[base + i].merged = 1;
		q->rtes[base + i].join_left = sq->rtes[i].join_left;
		if (sq->rtes[i].on && !(q->rtes[base + i].on = shifted(c, sq->rtes[i].on, base)))
			return MUR_ERR;
		if (sq->rtes[i].series && /* a set-returning function's call (analyze_srf.c) */
		    !(q->rtes[base + i].series = shifted(c, sq->rtes[i].series, base)))
			return MUR_ERR;
	}
	if (sq->where && !(w = shifted(c, sq->where, base)))
		return MUR_ERR;
	if (sq->where && sq->nrte == 1 && base > 0)
		q->rtes[base].on = w; /* a LEFT JOIN to it keeps its rows out of the join */
	else if (sq->where && !(q->where = sql_and(c, q->where, w)))
		return MUR_ERR;
	snprintf(v->alias, sizeof v->alias, "%s", alias);
	v->first_rte = base;
	v->ncols = sq->ntarget;
	if (!(v->cols = sql_alloc(c, sizeof(sql_target) * (size_t)(sq->ntarget + 1))))
		return MUR_ERR;
	for (int i = 0; i < sq->ntarget; i++) {
		const char *name = i < (int)ncolnames ? sql_node_str(colnames[i]) : NULL;
		v->cols[i] = sq->targets[i];
		if (name)
			snprintf(v->cols[i].name, sizeof v->cols[i].name, "%s", name);
		if (!(v->cols[i].e = shifted(c, sq->targets[i].e, base)))
			return MUR_ERR;
	}
	q->nview++;
	return MUR_OK;
}

int sql_null_extend_view(sql_ctx *c, sql_query *q, sql_view *v, int rte)
{
	const cat_table *t = q->rtes[rte].table;
	int key = -1;
	for (int i = 0; i < t->ncols && key < 0; i++)
		if (t->cols[i].not_null || t->cols[i].primary_key || t->cols[i].hidden)
			key = i; /* a hidden row id is always set (leader/lead_write.c) */
	for (int i = 0; i < v->ncols; i++) {
		sql_expr *e = v->cols[i].e, *col, *found;
		if (e->kind == SE_COLUMN && e->rte == rte)
			continue; /* the join null-extends it already */
		if (key < 0)
			return sql_unsupported(c,
					       "an outer join to a subquery that computes a column "
					       "over a table without a NOT NULL column",
					       -1);
		if (!(col = sql_expr_new(c, SE_COLUMN, t->cols[key].type, e->loc)))
			return MUR_ERR;
		col->rte = rte;
		col->col = key;
		if (!(found = sql_make_op(c, "IS NOT NULL", MT_BOOL, e->loc, col, NULL)))
			return MUR_ERR;
		found->postfix = 1;
		if (!(v->cols[i].e = sql_make_case_when(c, found, e, e->loc)))
			return MUR_ERR;
	}
	return MUR_OK;
}

/* FROM (SELECT ...) or a WITH query n named alias: merged into q when it
 * runs shard by shard, else a ROWS sub whose table (*rows, when rows is
 * not NULL and the table is new) q reads on the leader. */
static int from_nested(sql_ctx *c, sql_query *q, PgQuery__Node *n, PgQuery__Node **colnames,
		       size_t ncolnames, const char *alias, int loc, cat_table **rows)
{
	sql_query *sq;
	sql_setop *so;
	cat_table *t;
	const cat_view *view = c->view_checked;
	int k;
	if (rows && *rows)
		return sql_add_rte(c, q, *rows, alias, loc);
	c->view_checked = NULL; /* the view's own query, not one inside it */
	if (sql_analyze_nested(c, n, &sq, &so, loc) != MUR_OK)
		return MUR_ERR;
	if (view && (sq ? sq->ntarget : so->ntarget) != view->ncols)
		return sql_view_drifted(c, view, sq ? sq->ntarget : so->ntarget);
	if (mergeable(c, q, sq))
		return merge_view(c, q, sq, alias, colnames, ncolnames, loc);
	if ((k = sql_sub_add(c, SQL_SUB_ROWS, sq, so, loc)) < 0 ||
	    !(t = sql_rows_table(c, k, colnames, ncolnames, loc)))
		return MUR_ERR;
	if (rows)
		*rows = t;
	return sql_add_rte(c, q, t, alias, loc);
}

int sql_analyze_from_subselect(sql_ctx *c, sql_query *q, PgQuery__RangeSubselect *rs)
{
	const char *alias = rs->alias && rs->alias->aliasname && *rs->alias->aliasname
				    ? rs->alias->aliasname
				    : "unnamed_subquery";
	if (!c->subq_ok)
		return sql_unsupported(c, "subqueries in FROM in this statement", -1);
	if (rs->lateral)
		return sql_unsupported(c,
				       "this LATERAL subquery (done: correlated only by inner = "
				       "outer equalities in its WHERE over plain tables, with "
				       "constant LIMIT / OFFSET or only bare aggregates)",
				       -1);
	return from_nested(c, q, rs->subquery, rs->alias ? rs->alias->colnames : NULL,
			   rs->alias ? rs->alias->n_colnames : 0, alias, -1, NULL);
}

/* FROM item `from` (its own alias taken off) read as FROM (SELECT * FROM
 * from) AS alias: the names are a subquery's (alias's column list renames
 * the first columns, the others keep theirs; more names than columns
 * 42P10), the tables inside are hidden behind alias, and a plain per-shard
 * one still merges into q.  All in the arena. */
static int from_as_subquery(sql_ctx *c, sql_query *q, PgQuery__Node *from, PgQuery__Alias *alias,
			    int loc)
{
	PgQuery__RangeSubselect *rs = sql_alloc(c, sizeof *rs);
	PgQuery__SelectStmt *s = sql_alloc(c, sizeof *s);
	PgQuery__ResTarget *rt = sql_alloc(c, sizeof *rt);
	PgQuery__ColumnRef *star = sql_alloc(c, sizeof *star);
	PgQuery__AStar *a = sql_alloc(c, sizeof *a);
	PgQuery__Node *n = sql_alloc(c, sizeof *n * 4), **ptr = sql_alloc(c, sizeof *ptr * 3);
	if (!rs || !s || !rt || !star || !a || !n || !ptr)
		return MUR_ERR;
	n[0] = (PgQuery__Node){.node_case = PG_QUERY__NODE__NODE_A_STAR, .a_star = a};
	ptr[0] = &n[0];
	star->fields = &ptr[0];
	star->n_fields = 1;
	star->location = loc;
	n[1] = (PgQuery__Node){.node_case = PG_QUERY__NODE__NODE_COLUMN_REF, .column_ref = star};
	rt->val = &n[1];
	rt->location = loc;
	n[2] = (PgQuery__Node){.node_case = PG_QUERY__NODE__NODE_RES_TARGET, .res_target = rt};
	ptr[1] = &n[2];
	s->target_list = &ptr[1];
	s->n_target_list = 1;
	ptr[2] = from;
	s->from_clause = &ptr[2];
	s->n_from_clause = 1;
	s->op = PG_QUERY__SET_OPERATION__SETOP_NONE;
	s->limit_option = PG_QUERY__LIMIT_OPTION__LIMIT_OPTION_DEFAULT;
	rs->alias = alias;
	n[3] = (PgQuery__Node){.node_case = PG_QUERY__NODE__NODE_SELECT_STMT, .select_stmt = s};
	rs->subquery = &n[3];
	return sql_analyze_from_subselect(c, q, rs);
}

int sql_analyze_from_renamed(sql_ctx *c, sql_query *q, PgQuery__RangeVar *rv)
{
	PgQuery__RangeVar *inner = sql_alloc(c, sizeof *inner);
	PgQuery__Node *n = sql_alloc(c, sizeof *n);
	if (!c->subq_ok)
		return sql_unsupported(c, "column aliases on a table in FROM in this statement",
				       rv->location);
	if (!inner || !n)
		return MUR_ERR;
	*inner = *rv;
	inner->alias = NULL;
	*n = (PgQuery__Node){.node_case = PG_QUERY__NODE__NODE_RANGE_VAR, .range_var = inner};
	return from_as_subquery(c, q, n, rv->alias, rv->location);
}

int sql_analyze_from_join_alias(sql_ctx *c, sql_query *q, PgQuery__JoinExpr *j)
{
	PgQuery__JoinExpr *inner = sql_alloc(c, sizeof *inner);
	PgQuery__Node *n = sql_alloc(c, sizeof *n);
	if (!c->subq_ok)
		return sql_unsupported(c, "an alias on a join in FROM in this statement", -1);
	if (!inner || !n)
		return MUR_ERR;
	*inner = *j;
	inner->alias = NULL;
	*n = (PgQuery__Node){.node_case = PG_QUERY__NODE__NODE_JOIN_EXPR, .join_expr = inner};
	int nview = q->nview;
	if (from_as_subquery(c, q, n, j->alias, -1) != MUR_OK)
		return MUR_ERR;
	if (q->nview > nview)
		q->views[q->nview - 1].join = 1;
	return MUR_OK;
}

int sql_with_push(sql_ctx *c, PgQuery__WithClause *w, int *saved)
{
	*saved = c->nctes;
	if (!c->subq_ok)
		return sql_unsupported(c, "WITH (common table expressions) in this statement",
				       w->location);
	for (size_t i = 0; i < w->n_ctes; i++) {
		PgQuery__CommonTableExpr *cte = w->ctes[i]->common_table_expr;
		if (c->nctes >= SQL_CTES_MAX)
			return sql_err(c, SQLSTATE_PROGRAM_LIMIT_EXCEEDED, cte->location,
				       "murphy supports at most %d WITH queries", SQL_CTES_MAX);
		for (int j = *saved; j < c->nctes; j++)
			if (!strcmp(c->ctes[j].name, cte->ctename))
				return sql_err(c, "42712", cte->location,
					       "WITH query name \"%s\" specified more than once",
					       cte->ctename);
		if (!cte->ctequery || cte->ctequery->node_case != PG_QUERY__NODE__NODE_SELECT_STMT)
			return sql_unsupported(c, "data-modifying statements in WITH",
					       cte->location);
		c->ctes[c->nctes] = (sql_cte){cte->ctename,
					      cte,
					      NULL,
					      0,
					      w->recursive && sql_tree_names(&cte->ctequery->base,
									     cte->ctename),
					      NULL,
					      w->recursive ? *saved + (int)w->n_ctes : c->nctes,
					      0};
		c->nctes++;
		if (!c->ctes[c->nctes - 1].recursive && (cte->search_clause || cte->cycle_clause))
			return sql_err(c, SQLSTATE_SYNTAX_ERROR, cte->location,
				       "WITH query is not recursive");
	}
	return MUR_OK;
}

void sql_with_pop(sql_ctx *c, int saved) { c->nctes = saved; }

int sql_analyze_from_cte(sql_ctx *c, sql_query *q, PgQuery__RangeVar *rv)
{
	int k, saved = c->nctes, rc;
	PgQuery__CommonTableExpr *d;
	for (k = c->nctes - 1; k >= c->cte_base; k--) /* a view's text sees its own only */
		if (!strcmp(c->ctes[k].name, rv->relname))
			break;
	if (k < c->cte_base || (rv->schemaname && *rv->schemaname))
		return 0;
	if (c->ctes[k].recursive) /* analyze_recursive.c */
		return sql_recursive_from(c, q, k, rv);
	d = c->ctes[k].def;
	/* a WITH query sees the ones before it, not itself or later ones; one
	 * that runs shard by shard merges into each query reading it, the
	 * others run once (the first reference makes their table) */
	if (c->ctes[k].busy)
		return sql_err(c, SQLSTATE_FEATURE_NOT_SUPPORTED, rv->location,
			       "mutual recursion between WITH items is not implemented"),
		       -1;
	c->nctes = c->ctes[k].sees;
	c->ctes[k].busy = 1;
	if (!c->ctes[k].table)
		c->ctes[k].sub = c->nsubs;
	rc = from_nested(c, q, d->ctequery, d->aliascolnames, d->n_aliascolnames,
			 rv->alias && rv->alias->aliasname ? rv->alias->aliasname : rv->relname,
			 rv->location, &c->ctes[k].table);
	c->ctes[k].busy = 0;
	c->nctes = saved;
	return rc == MUR_OK ? 1 : -1;
}

void sql_subq_rollback(sql_ctx *c, int nsubs)
{
	c->nsubs = nsubs;
	for (int k = 0; k < c->nctes; k++) {
		if (c->ctes[k].table && c->ctes[k].sub >= nsubs)
			c->ctes[k].table = NULL;
		if (c->ctes[k].rec && c->ctes[k].rec->id >= nsubs)
			c->ctes[k].rec = NULL;
	}
}
