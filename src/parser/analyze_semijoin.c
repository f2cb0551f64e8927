/*
 * analyze_semijoin.c — a correlated EXISTS / NOT EXISTS tied to the query
 * around it by one equality, inner_col = outer_col (the subquery's other
 * conjuncts its own), decorrelated into a semi-join by keys:
 *
 *   EXISTS (SELECT ... FROM f WHERE p AND f.a = o.b)
 *     ==> coalesce(mur_subq_in(o.b, SET(SELECT DISTINCT f.a FROM f WHERE p)), false)
 *
 * The keys run once, distributed, like an uncorrelated IN set
 * (analyze_subq.c); the shards probe them.  EXISTS is false, never NULL,
 * hence the coalesce (a NULL o.b or a NULL key matches nothing); NOT EXISTS
 * is NOT of it.  Which side a column is on is decided from the parse tree
 * before analysis (the subquery's FROM tables first, as SQL scopes names);
 * anything undecided is left to the ordinary path, which refuses a
 * correlated subquery with 0A000.
 */
#include "parser/analyze_subq_int.h"

#include <stdio.h>
#include <string.h>

/* ---- correlated EXISTS: a semi-join by the correlation's keys ---- */

/* Does a FROM item list of the subquery (tables and joins of tables only)
 * give col?  1 yes, 0 no, -1 when it holds something else (a subquery, a
 * WITH query): then nothing is decided. */
static int from_has(sql_ctx *c, PgQuery__Node *n, const char *tbl, const char *col)
{
	if (n->node_case == PG_QUERY__NODE__NODE_JOIN_EXPR) {
		int l = from_has(c, n->join_expr->larg, tbl, col);
		int r = l < 0 ? -1 : from_has(c, n->join_expr->rarg, tbl, col);
		return l < 0 || r < 0 ? -1 : l || r;
	}
	if (n->node_case != PG_QUERY__NODE__NODE_RANGE_VAR)
		return -1;
	PgQuery__RangeVar *rv = n->range_var;
	const char *alias = rv->alias && rv->alias->aliasname ? rv->alias->aliasname : rv->relname;
	const cat_table *t;
	for (int k = 0; k < c->nctes; k++)
		if (!strcmp(c->ctes[k].name, rv->relname))
			return -1;
	t = c->cat ? cat_table_lookup(c->cat,
				      rv->schemaname && *rv->schemaname ? rv->schemaname : NULL,
				      rv->relname)
		   : NULL;
	if (!t)
		return -1;
	if (tbl)
		return !strcmp(alias, tbl);
	return cat_column_index(t, col) >= 0;
}

/* 1: the column is the subquery's own; 2: only the query around it has
 * it; 0: undecided. */
static int colref_side(sql_ctx *c, PgQuery__SelectStmt *s, PgQuery__Node *n)
{
	PgQuery__ColumnRef *r;
	const char *tbl = NULL, *col;
	int nview = 0;
	if (n->node_case != PG_QUERY__NODE__NODE_COLUMN_REF)
		return 0;
	r = n->column_ref;
	if (r->n_fields > 2 || !(col = sql_node_str(r->fields[r->n_fields - 1])))
		return 0;
	if (r->n_fields == 2 && !(tbl = sql_node_str(r->fields[0])))
		return 0;
	for (size_t i = 0; i < s->n_from_clause; i++) {
		int has = from_has(c, s->from_clause[i], tbl, col);
		if (has)
			return has < 0 ? 0 : 1;
	}
	for (int i = 0; c->q && i < c->q->nrte; i++) {
		const sql_rte *rt = &c->q->rtes[i];
		if (!rt->merged && (!tbl || !strcmp(rt->alias, tbl)) &&
		    cat_column_index(rt->table, col) >= 0)
			return 2;
	}
	return c->q && sql_view_column(c->q, tbl, col, &nview) ? 2 : 0;
}

/* The one conjunct of s's WHERE `inner = outer` (either way round):
 * its index in cj (*inner, *outer set), or -1. */
static int correlation(sql_ctx *c, PgQuery__SelectStmt *s, PgQuery__Node **cj, int n,
		       PgQuery__Node **inner, PgQuery__Node **outer)
{
	int found = -1;
	for (int i = 0; i < n; i++) {
		PgQuery__AExpr *a = cj[i]->node_case == PG_QUERY__NODE__NODE_A_EXPR ? cj[i]->a_expr
										    : NULL;
		int l, r;
		if (!a || a->kind != PG_QUERY__A__EXPR__KIND__AEXPR_OP || a->n_name != 1 ||
		    strcmp(sql_node_str(a->name[0]) ? sql_node_str(a->name[0]) : "", "=") ||
		    !a->lexpr || !a->rexpr)
			continue;
		l = colref_side(c, s, a->lexpr);
		r = colref_side(c, s, a->rexpr);
		if (!((l == 1 && r == 2) || (l == 2 && r == 1)))
			continue;
		if (found >= 0)
			return -1; /* two correlations: a key of two columns */
		found = i;
		*inner = l == 1 ? a->lexpr : a->rexpr;
		*outer = l == 1 ? a->rexpr : a->lexpr;
	}
	return found;
}

/* s without conjunct `skip` of its WHERE, selecting `target` alone. */
static PgQuery__Node *semi_side(sql_ctx *c, PgQuery__SelectStmt *s, PgQuery__Node **cj, int n,
				int skip, PgQuery__Node *target)
{
	PgQuery__Node *node = sql_alloc(c, sizeof *node), *tnode = sql_alloc(c, sizeof *tnode);
	PgQuery__SelectStmt *copy = sql_alloc(c, sizeof *copy);
	PgQuery__ResTarget *rt = sql_alloc(c, sizeof *rt);
	PgQuery__Node **tl = sql_alloc(c, sizeof *tl), *w = NULL;
	if (!node || !tnode || !copy || !rt || !tl)
		return NULL;
	if (n == 2) {
		w = cj[1 - skip];
	} else if (n > 2) {
		PgQuery__Node *b = sql_alloc(c, sizeof *b);
		PgQuery__BoolExpr *be = sql_alloc(c, sizeof *be);
		if (!b || !be || !(be->args = sql_alloc(c, sizeof(PgQuery__Node *) * (size_t)n)))
			return NULL;
		for (int i = 0; i < n; i++)
			if (i != skip)
				be->args[be->n_args++] = cj[i];
		be->boolop = PG_QUERY__BOOL_EXPR_TYPE__AND_EXPR;
		be->location = -1;
		b->node_case = PG_QUERY__NODE__NODE_BOOL_EXPR;
		b->bool_expr = be;
		w = b;
	}
	*copy = *s;
	copy->where_clause = w;
	rt->val = target;
	rt->location = -1;
	tnode->node_case = PG_QUERY__NODE__NODE_RES_TARGET;
	tnode->res_target = rt;
	tl[0] = tnode;
	copy->target_list = tl;
	copy->n_target_list = 1;
	node->node_case = PG_QUERY__NODE__NODE_SELECT_STMT;
	node->select_stmt = copy;
	return node;
}

/* A select list without function calls (an aggregate would make EXISTS
 * true whatever the WHERE keeps). */
static int plain_targets(const PgQuery__SelectStmt *s)
{
	for (size_t i = 0; i < s->n_target_list; i++) {
		PgQuery__Node *v = s->target_list[i]->res_target->val;
		if (v && v->node_case != PG_QUERY__NODE__NODE_A_CONST &&
		    v->node_case != PG_QUERY__NODE__NODE_COLUMN_REF)
			return 0;
	}
	return 1;
}

/* EXISTS (SELECT ... FROM f WHERE p AND f.a = o.b): a semi-join by the
 * keys, coalesce(o.b IN (SELECT DISTINCT f.a FROM f WHERE p), false): the
 * inner side runs once, distributed, and the outer rows are probed
 * against its keys on the shards (NOT EXISTS: NOT of it).  NULL when the
 * subquery does not have that shape (c->err untouched). */
sql_expr *sql_exists_semijoin(sql_ctx *c, PgQuery__SubLink *sl)
{
	PgQuery__SelectStmt *s = sl->subselect && sl->subselect->node_case ==
							  PG_QUERY__NODE__NODE_SELECT_STMT
					 ? sl->subselect->select_stmt
					 : NULL;
	PgQuery__Node *one[1], **cj = one, *inner = NULL, *outer = NULL, *sub;
	sql_query *q;
	sql_setop *so;
	sql_expr *x, *y, *set, *in;
	int n = 1, k, at;
	if (!s || !c->q || s->op != PG_QUERY__SET_OPERATION__SETOP_NONE || !s->where_clause ||
	    s->n_group_clause || s->having_clause || s->limit_count || s->limit_offset ||
	    s->n_window_clause || s->with_clause || !plain_targets(s))
		return NULL;
	if (s->where_clause->node_case == PG_QUERY__NODE__NODE_BOOL_EXPR &&
	    s->where_clause->bool_expr->boolop == PG_QUERY__BOOL_EXPR_TYPE__AND_EXPR) {
		cj = s->where_clause->bool_expr->args;
		n = (int)s->where_clause->bool_expr->n_args;
	} else {
		one[0] = s->where_clause;
	}
	if ((at = correlation(c, s, cj, n, &inner, &outer)) < 0)
		return NULL;
	if (!(sub = semi_side(c, s, cj, n, at, inner)) || !(x = sql_analyze_expr(c, outer)) ||
	    sql_analyze_nested(c, sub, &q, &so, sl->location) != MUR_OK)
		return NULL;
	sql_sub_set_shape(q);
	y = q->targets[0].e;
	if (sql_unify_compare(c, "=", &x, &y, sl->location) != MUR_OK)
		return NULL;
	q->targets[0].e = y;
	if ((k = sql_sub_add(c, SQL_SUB_SET, q, NULL, sl->location)) < 0 ||
	    !(set = sql_sub_ref(c, k, MT_BYTEA, -1, sl->location)))
		return NULL;
	c->subs[k].semijoin = 1;
	in = sql_make_call(c, "mur_subq_in", MT_BOOL, sl->location, 2, x, set);
	return in ? sql_make_call(c, "coalesce", MT_BOOL, sl->location, 2, in,
				  sql_make_const_int(c, 0, MT_BOOL))
		  : NULL;
}
