/*
 * analyze_using.c — JOIN ... USING (cols) and NATURAL JOIN: the merged
 * columns, as PostgreSQL names and orders them.
 *
 * FROM stays a flat, left-deep list of rtes (sql_query.rtes); a USING join
 * adds, for each merged name,
 *   - the condition left = right to the right table's ON (so every planner
 *     strategy sees an ordinary equi-join),
 *   - a sql_using: the unqualified name now means the merged column (the
 *     left one; the right one for RIGHT JOIN; COALESCE(left, right) for
 *     FULL JOIN), while alias.name still reads each table's own column,
 *   - a new SELECT * order (sql_query.star): the merged columns first, in
 *     USING order, then the left side's others, then the right table's.
 * Each side is a star list: the left one of the rtes from the join's first
 * on (columns of earlier comma-separated FROM items keep their place in
 * front), the right one of the rtes the right item added (a table, or a
 * subquery / WITH query: its view's columns).
 */
#include "parser/analyze.h"

#include <stdio.h>
#include <string.h>

#define STAR_MAX (SQL_RTES_MAX * CAT_COLUMNS_MAX) /* every column of every table */

static int star_add(sql_ctx *c, sql_query *q, const char *name, sql_expr *e, int rte,
		    const char *qual)
{
	if (q->nstar >= STAR_MAX)
		return sql_err(c, SQLSTATE_PROGRAM_LIMIT_EXCEEDED, -1,
			       "target lists can have at most %d entries", STAR_MAX);
	sql_star_col *s = &q->star[q->nstar++];
	snprintf(s->name, sizeof s->name, "%s", name);
	s->e = e;
	s->rte = rte;
	s->qual = qual;
	return MUR_OK;
}

static sql_expr *table_column(sql_ctx *c, const sql_query *q, int rte, int col)
{
	const cat_column *cc = &q->rtes[rte].table->cols[col];
	sql_expr *e = sql_expr_new(c, SE_COLUMN, cc->type, q->rtes[rte].loc);
	if (!e)
		return NULL;
	e->rte = rte;
	e->col = col;
	e->typmod = cc->typmod;
	return e;
}

/* The columns of rte i (or of the view starting there) onto q->star. */
static int star_rte(sql_ctx *c, sql_query *q, int i)
{
	const cat_table *t = q->rtes[i].table;
	int v = sql_view_at(q, i);
	if (v >= 0)
		for (int k = 0; k < q->views[v].ncols; k++)
			if (star_add(c, q, q->views[v].cols[k].name, q->views[v].cols[k].e, i,
				     q->views[v].alias) != MUR_OK)
				return MUR_ERR;
	if (q->rtes[i].merged)
		return MUR_OK;
	for (int k = 0; k < t->ncols; k++) {
		sql_expr *e;
		if (t->cols[k].hidden)
			continue;
		if (!(e = table_column(c, q, i, k)) ||
		    star_add(c, q, t->cols[k].name, e, i, q->rtes[i].alias) != MUR_OK)
			return MUR_ERR;
	}
	return MUR_OK;
}

/* The star list through rte upto - 1 (the join's left side and any FROM
 * items before it). */
static int star_init(sql_ctx *c, sql_query *q, int upto)
{
	if (!q->star && (!(q->star = sql_alloc(c, sizeof *q->star * STAR_MAX)) ||
			 !(q->usings = sql_alloc(c, sizeof *q->usings * STAR_MAX))))
		return MUR_ERR;
	for (; q->star_rtes < upto; q->star_rtes++)
		if (star_rte(c, q, q->star_rtes) != MUR_OK)
			return MUR_ERR;
	return MUR_OK;
}

/* The two sides of a USING join, as star lists: v[0..nleft) the left side
 * (entries with rte >= first), v[nleft..n) the right side. */
typedef struct sides {
	const sql_star_col *v;
	int nleft, n, first;
} sides;

/* The entry named name on one side (index into v); -1 when none, -2 with
 * 42702 when two. */
static int side_column(sql_ctx *c, const sides *s, int right, const char *name)
{
	int found = -1, from = right ? s->nleft : 0, to = right ? s->n : s->nleft;
	for (int i = from; i < to; i++) {
		if (s->v[i].rte < s->first || strcmp(s->v[i].name, name))
			continue;
		if (found >= 0)
			return sql_err(c, SQLSTATE_AMBIGUOUS_COLUMN, -1,
				       "common column name \"%s\" appears more than once in %s "
				       "table",
				       name, right ? "right" : "left"),
			       -2;
		found = i;
	}
	if (found == -1)
		sql_err(c, SQLSTATE_UNDEFINED_COLUMN, -1,
			"column \"%s\" specified in USING clause does not exist in %s table", name,
			right ? "right" : "left");
	return found;
}

/* NATURAL: the names both sides have, in the left side's order. */
static void natural_names(const sides *s, const char **names, int *n)
{
	*n = 0;
	for (int i = 0; i < s->nleft && *n < CAT_COLUMNS_MAX; i++) {
		int dup = 0, shared = 0;
		if (s->v[i].rte < s->first)
			continue;
		for (int k = s->nleft; k < s->n; k++)
			shared |= !strcmp(s->v[k].name, s->v[i].name);
		for (int k = 0; k < *n; k++)
			dup |= !strcmp(names[k], s->v[i].name);
		if (shared && !dup)
			names[(*n)++] = s->v[i].name;
	}
}

static unsigned rtes_from(const sql_query *q, int first)
{
	unsigned m = 0;
	for (int i = first; i < q->nrte; i++)
		m |= 1u << i;
	return m;
}

/* One merged column: its ON condition, its sql_using, its expression;
 * taken[] marks the two entries it replaces; *qual: the FROM item's name
 * that reads it as a column of its own (the left one, the right one for a
 * RIGHT JOIN; NULL for a FULL JOIN's COALESCE, read by its bare name), as
 * pg_get_viewdef prints it. */
static sql_expr *merge_one(sql_ctx *c, sql_query *q, const sides *s, const char *name,
			   uint8_t *taken, const char **qual)
{
	sql_rte *rr = &q->rtes[q->nrte - 1];
	int li = side_column(c, s, 0, name), ri = li < 0 ? -1 : side_column(c, s, 1, name);
	sql_expr *l, *re, *eq, *m;
	if (li < 0 || ri < 0)
		return NULL;
	l = s->v[li].e;
	re = s->v[ri].e;
	if (!(eq = sql_make_compare(c, "=", l, re, -1)) || !(rr->on = sql_and(c, rr->on, eq)))
		return NULL;
	if (rr->join_left && rr->join_right)
		m = sql_make_coalesce2(c, l, re, -1), *qual = NULL;
	else
		m = rr->join_right ? re : l, *qual = s->v[rr->join_right ? ri : li].qual;
	if (!m)
		return NULL;
	taken[li] = taken[ri] = 1;
	sql_using *u = &q->usings[q->nusing++];
	snprintf(u->name, sizeof u->name, "%s", name);
	u->e = m;
	u->rtes = rtes_from(q, s->first);
	return m;
}

static int using_names(sql_ctx *c, PgQuery__JoinExpr *j, const char **names, int *n)
{
	for (size_t i = 0; i < j->n_using_clause; i++) {
		if (j->using_clause[i]->node_case != PG_QUERY__NODE__NODE_STRING ||
		    *n >= CAT_COLUMNS_MAX)
			return sql_err(c, SQLSTATE_SYNTAX_ERROR, -1, "bad USING clause");
		names[*n] = j->using_clause[i]->string->sval;
		for (int k = 0; k < *n; k++)
			if (!strcmp(names[k], names[*n]))
				return sql_err(c, "42701", -1,
					       "column name \"%s\" appears more than once in USING "
					       "clause",
					       names[*n]);
		(*n)++;
	}
	return MUR_OK;
}

/* JOIN ... USING (cols) AS alias: a name scope (sql_view without tables of
 * its own, first_rte -1) holding only the merged columns, reached only as
 * alias.col or alias.*; the joined tables stay visible (PostgreSQL 14). */
static int using_alias(sql_ctx *c, sql_query *q, int from, const char *alias)
{
	sql_view *v;
	for (int i = 0; i < q->nrte; i++)
		if ((!q->rtes[i].merged && !strcmp(q->rtes[i].alias, alias)) ||
		    sql_view_find(q, alias) >= 0)
			return sql_err(c, "42712", -1, "table name \"%s\" specified more than once",
				       alias);
	if (q->nview >= SQL_RTES_MAX)
		return sql_err(c, SQLSTATE_PROGRAM_LIMIT_EXCEEDED, -1,
			       "murphy joins at most %d tables", SQL_RTES_MAX);
	v = &q->views[q->nview];
	if (!(v->cols = sql_alloc(c, sizeof(sql_target) * (size_t)(q->nusing - from + 1))))
		return MUR_ERR;
	snprintf(v->alias, sizeof v->alias, "%s", alias);
	v->first_rte = -1;
	v->ncols = q->nusing - from;
	for (int k = 0; k < v->ncols; k++) {
		snprintf(v->cols[k].name, sizeof v->cols[k].name, "%s", q->usings[from + k].name);
		v->cols[k].e = q->usings[from + k].e;
	}
	q->nview++;
	return MUR_OK;
}

int sql_analyze_using(sql_ctx *c, sql_query *q, int first, int right, PgQuery__JoinExpr *j)
{
	const char *names[CAT_COLUMNS_MAX];
	int n = 0, r = q->nrte - 1, from = q->nusing;
	sql_star_col *old;
	uint8_t *taken;
	sides s = {.first = first};
	if (star_init(c, q, right) != MUR_OK)
		return MUR_ERR;
	s.nleft = q->nstar;
	if (sql_using_star(c, q) != MUR_OK) /* the right side's columns */
		return MUR_ERR;
	s.n = q->nstar;
	if (!(old = sql_alloc(c, sizeof *old * (size_t)(s.n ? s.n : 1))) ||
	    !(taken = sql_alloc(c, (size_t)(s.n ? s.n : 1))))
		return MUR_ERR;
	memcpy(old, q->star, sizeof *old * (size_t)s.n);
	memset(taken, 0, (size_t)(s.n ? s.n : 1));
	s.v = old; /* names point into old: q->star is rewritten below */
	if (j->is_natural)
		natural_names(&s, names, &n);
	else if (using_names(c, j, names, &n) != MUR_OK)
		return MUR_ERR;
	/* the new order: earlier FROM items, merged, left's others, right's others */
	q->nstar = 0;
	for (int i = 0; i < s.nleft; i++)
		if (old[i].rte < first &&
		    star_add(c, q, old[i].name, old[i].e, old[i].rte, old[i].qual) != MUR_OK)
			return MUR_ERR;
	for (int k = 0; k < n; k++) {
		const char *qual;
		sql_expr *m = merge_one(c, q, &s, names[k], taken, &qual);
		if (!m || star_add(c, q, names[k], m, first, qual) != MUR_OK)
			return MUR_ERR;
	}
	for (int i = 0; i < s.n; i++)
		if ((i >= s.nleft || old[i].rte >= first) && !taken[i] &&
		    star_add(c, q, old[i].name, old[i].e, old[i].rte, old[i].qual) != MUR_OK)
			return MUR_ERR;
	if (!q->rtes[r].on)
		q->rtes[r].on = sql_make_const_int(c, 1, MT_BOOL); /* NATURAL with nothing shared */
	if (!q->rtes[r].on)
		return MUR_ERR;
	if (j->join_using_alias && j->join_using_alias->aliasname)
		return using_alias(c, q, from, j->join_using_alias->aliasname);
	return MUR_OK;
}

int sql_using_star(sql_ctx *c, sql_query *q)
{
	for (; q->star_rtes < q->nrte; q->star_rtes++)
		if (star_rte(c, q, q->star_rtes) != MUR_OK)
			return MUR_ERR;
	return MUR_OK;
}

sql_expr *sql_using_column(sql_ctx *c, const sql_query *q, const char *name, int loc, int *found)
{
	*found = 0;
	for (int u = q->nusing - 1; u >= 0; u--) {
		if (strcmp(q->usings[u].name, name))
			continue;
		*found = 1;
		for (int i = 0; i < q->nrte; i++)
			if (!(q->usings[u].rtes & (1u << i)) && !q->rtes[i].merged &&
			    cat_column_index(q->rtes[i].table, name) >= 0) {
				sql_err(c, SQLSTATE_AMBIGUOUS_COLUMN, loc,
					"column reference \"%s\" is ambiguous", name);
				return NULL;
			}
		return q->usings[u].e;
	}
	return NULL;
}
