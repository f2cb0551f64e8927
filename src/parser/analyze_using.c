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
 * The left side is the star list of the tables from the join's first rte
 * on; columns of earlier comma-separated FROM items keep their place in
 * front.  The right side must be one table (a plain table or WITH query
 * read as one rte).
 */
#include "parser/analyze.h"

#include <stdio.h>
#include <string.h>

#define STAR_MAX (SQL_RTES_MAX * CAT_COLUMNS_MAX) /* every column of every table */

static int star_add(sql_ctx *c, sql_query *q, const char *name, sql_expr *e, int rte)
{
	if (q->nstar >= STAR_MAX)
		return sql_err(c, SQLSTATE_PROGRAM_LIMIT_EXCEEDED, -1,
			       "target lists can have at most %d entries", STAR_MAX);
	sql_star_col *s = &q->star[q->nstar++];
	snprintf(s->name, sizeof s->name, "%s", name);
	s->e = e;
	s->rte = rte;
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
			if (star_add(c, q, q->views[v].cols[k].name, q->views[v].cols[k].e, i) !=
			    MUR_OK)
				return MUR_ERR;
	if (q->rtes[i].merged)
		return MUR_OK;
	for (int k = 0; k < t->ncols; k++) {
		sql_expr *e;
		if (t->cols[k].hidden)
			continue;
		if (!(e = table_column(c, q, i, k)) ||
		    star_add(c, q, t->cols[k].name, e, i) != MUR_OK)
			return MUR_ERR;
	}
	return MUR_OK;
}

/* The star list of every rte but the last (the right table), when no
 * USING join has set one yet. */
static int star_init(sql_ctx *c, sql_query *q)
{
	if (q->star)
		return MUR_OK;
	if (!(q->star = sql_alloc(c, sizeof *q->star * STAR_MAX)) ||
	    !(q->usings = sql_alloc(c, sizeof *q->usings * STAR_MAX)))
		return MUR_ERR;
	for (int i = 0; i < q->nrte - 1; i++)
		if (star_rte(c, q, i) != MUR_OK)
			return MUR_ERR;
	q->star_rtes = q->nrte - 1;
	return MUR_OK;
}

/* The left side's entry named name (index into q->star), -1 when none. */
static int left_column(sql_ctx *c, const sql_query *q, int first, const char *name, int loc)
{
	int found = -1;
	for (int i = 0; i < q->nstar; i++) {
		if (q->star[i].rte < first || strcmp(q->star[i].name, name))
			continue;
		if (found >= 0)
			return sql_err(c, SQLSTATE_AMBIGUOUS_COLUMN, loc,
				       "common column name \"%s\" appears more than once in left "
				       "table",
				       name),
			       -2;
		found = i;
	}
	return found;
}

/* NATURAL: the names the left side and the right table share, in the left
 * side's order. */
static void natural_names(const sql_query *q, const sql_star_col *left, int nleft, int first,
			  const char **names, int *n)
{
	const cat_table *rt = q->rtes[q->nrte - 1].table;
	*n = 0;
	for (int i = 0; i < nleft && *n < CAT_COLUMNS_MAX; i++) {
		int dup = 0, col = cat_column_index(rt, left[i].name);
		if (left[i].rte < first || col < 0 || rt->cols[col].hidden)
			continue;
		for (int k = 0; k < *n; k++)
			dup |= !strcmp(names[k], left[i].name);
		if (!dup)
			names[(*n)++] = left[i].name;
	}
}

static unsigned rtes_from(const sql_query *q, int first)
{
	unsigned m = 0;
	for (int i = first; i < q->nrte; i++)
		m |= 1u << i;
	return m;
}

/* One merged column: its ON condition, its sql_using, its expression. */
static sql_expr *merge_one(sql_ctx *c, sql_query *q, int first, const char *name, int loc,
			   int *left_at)
{
	int r = q->nrte - 1, rc = cat_column_index(q->rtes[r].table, name);
	sql_rte *rr = &q->rtes[r];
	sql_expr *l, *re, *eq, *m;
	*left_at = left_column(c, q, first, name, loc);
	if (*left_at == -2)
		return NULL;
	if (*left_at < 0) {
		sql_err(c, SQLSTATE_UNDEFINED_COLUMN, loc,
			"column \"%s\" specified in USING clause does not exist in left table",
			name);
		return NULL;
	}
	if (rc < 0 || rr->table->cols[rc].hidden) {
		sql_err(c, SQLSTATE_UNDEFINED_COLUMN, loc,
			"column \"%s\" specified in USING clause does not exist in right table",
			name);
		return NULL;
	}
	l = q->star[*left_at].e;
	if (!(re = table_column(c, q, r, rc)) || !(eq = sql_make_compare(c, "=", l, re, loc)) ||
	    !(rr->on = sql_and(c, rr->on, eq)))
		return NULL;
	if (rr->join_left && rr->join_right)
		m = sql_make_coalesce2(c, l, re, loc);
	else
		m = rr->join_right ? re : l;
	if (!m)
		return NULL;
	sql_using *u = &q->usings[q->nusing++];
	snprintf(u->name, sizeof u->name, "%s", name);
	u->e = m;
	u->rtes = rtes_from(q, first);
	return m;
}

int sql_analyze_using(sql_ctx *c, sql_query *q, int first, PgQuery__JoinExpr *j)
{
	const char *names[CAT_COLUMNS_MAX];
	int n = 0, r = q->nrte - 1, old_n, at;
	sql_star_col *old;
	if (star_init(c, q) != MUR_OK)
		return MUR_ERR;
	for (size_t i = 0; !j->is_natural && i < j->n_using_clause; i++) {
		if (j->using_clause[i]->node_case != PG_QUERY__NODE__NODE_STRING ||
		    n >= CAT_COLUMNS_MAX)
			return sql_err(c, SQLSTATE_SYNTAX_ERROR, -1, "bad USING clause");
		names[n] = j->using_clause[i]->string->sval;
		for (int k = 0; k < n; k++)
			if (!strcmp(names[k], names[n]))
				return sql_err(c, "42701", -1,
					       "column name \"%s\" appears more than once in USING "
					       "clause",
					       names[n]);
		n++;
	}
	/* the new order: earlier FROM items, merged, left's others, right's others */
	old_n = q->nstar;
	if (!(old = sql_alloc(c, sizeof *old * (size_t)(old_n ? old_n : 1))))
		return MUR_ERR;
	memcpy(old, q->star, sizeof *old * (size_t)old_n);
	if (j->is_natural) /* names in old: q->star is rewritten below */
		natural_names(q, old, old_n, first, names, &n);
	uint8_t *taken = sql_alloc(c, (size_t)(old_n ? old_n : 1));
	if (!taken)
		return MUR_ERR;
	memset(taken, 0, (size_t)(old_n ? old_n : 1));
	q->nstar = 0;
	for (int i = 0; i < old_n; i++)
		if (old[i].rte < first &&
		    star_add(c, q, old[i].name, old[i].e, old[i].rte) != MUR_OK)
			return MUR_ERR;
	for (int k = 0; k < n; k++) {
		sql_star_col *saved = q->star;
		int saved_n = q->nstar;
		sql_expr *m;
		q->star = old; /* left_column reads the left side's list */
		q->nstar = old_n;
		m = merge_one(c, q, first, names[k], -1, &at);
		q->star = saved;
		q->nstar = saved_n;
		if (!m || star_add(c, q, names[k], m, first) != MUR_OK)
			return MUR_ERR;
		taken[at] = 1;
	}
	for (int i = 0; i < old_n; i++)
		if (old[i].rte >= first && !taken[i] &&
		    star_add(c, q, old[i].name, old[i].e, old[i].rte) != MUR_OK)
			return MUR_ERR;
	for (int k = 0; k < q->rtes[r].table->ncols; k++) {
		const cat_column *cc = &q->rtes[r].table->cols[k];
		int merged = 0;
		sql_expr *e;
		for (int i = 0; i < n; i++)
			merged |= !strcmp(names[i], cc->name);
		if (cc->hidden || merged)
			continue;
		if (!(e = table_column(c, q, r, k)) || star_add(c, q, cc->name, e, r) != MUR_OK)
			return MUR_ERR;
	}
	q->star_rtes = q->nrte;
	if (!q->rtes[r].on)
		q->rtes[r].on = sql_make_const_int(c, 1, MT_BOOL); /* NATURAL with nothing shared */
	return q->rtes[r].on ? MUR_OK : MUR_ERR;
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
