/*
 * analyze_subq.c — subqueries, derived tables, WITH and set operations:
 * each nested query becomes one entry of the statement's flat list of
 * subs (sql_ctx.subs), inner ones first, which run once before the
 * statement (sql/plan_subq.c, leader/lead_subq.c).
 *
 *   (SELECT x ...)              SQL_SUB_SCALAR: an SE_SUBQ of x's type
 *   EXISTS (SELECT ...)         SQL_SUB_EXISTS: an SE_SUBQ of type boolean
 *   x [NOT] IN (SELECT y ...),  SQL_SUB_SET: mur_subq_in(x, set) or
 *   x op ANY / ALL (SELECT y)   mur_subq_cmp(x, set, op, all) over an SE_SUBQ
 *                               holding the distinct values (storage/sqlfn_subq.c)
 *   FROM (SELECT ...) d, WITH   SQL_SUB_ROWS: a virtual table "_sub<k>" whose
 *                               rows the leader gathers; the query reading it
 *                               runs on the leader
 *   A UNION / INTERSECT / EXCEPT [ALL] B
 *                               each branch SQL_SUB_ROWS; the set operation
 *                               itself runs on the leader (sql_setop)
 *
 * Only uncorrelated subqueries: a column of an enclosing query is 0A000
 * (sql_check_outer_column).  Analysis of a nested query saves and restores
 * the enclosing query's state in the context (its scope, aggregate flags).
 */
#include "parser/analyze.h"

#include <stdio.h>
#include <string.h>

static int unsupported(sql_ctx *c, const char *what, int loc)
{
	return sql_err(c, SQLSTATE_FEATURE_NOT_SUPPORTED, loc, "murphy does not support %s yet",
		       what);
}

/* ---- nested scopes ---- */

typedef struct scope_save {
	sql_query *q;
	int agg_ok, in_agg, seen_agg, targets_typed_later;
	const char *agg_where;
} scope_save;

static int scope_enter(sql_ctx *c, scope_save *sv, int loc)
{
	*sv = (scope_save){c->q,        c->agg_ok, c->in_agg, c->seen_agg, c->targets_typed_later,
			   c->agg_where};
	if (c->nouter >= SQL_NEST_MAX)
		return sql_err(c, SQLSTATE_PROGRAM_LIMIT_EXCEEDED, loc,
			       "murphy nests subqueries at most %d deep", SQL_NEST_MAX);
	if (c->q)
		c->outer[c->nouter++] = c->q;
	c->in_agg = 0;
	c->targets_typed_later = 0;
	return MUR_OK;
}

static void scope_leave(sql_ctx *c, const scope_save *sv)
{
	if (sv->q)
		c->nouter--;
	c->q = sv->q;
	c->agg_ok = sv->agg_ok;
	c->in_agg = sv->in_agg;
	c->seen_agg = sv->seen_agg;
	c->targets_typed_later = sv->targets_typed_later;
	c->agg_where = sv->agg_where;
}

int sql_check_outer_column(sql_ctx *c, const char *tbl, const char *col, int loc)
{
	for (int k = c->nouter - 1; k >= 0; k--) {
		const sql_query *q = c->outer[k];
		for (int i = 0; i < q->nrte; i++) {
			if (tbl && strcmp(q->rtes[i].alias, tbl))
				continue;
			if (cat_column_index(q->rtes[i].table, col) < 0)
				continue;
			sql_err(c, SQLSTATE_FEATURE_NOT_SUPPORTED, loc,
				"murphy does not support correlated subqueries yet");
			mur_error_detail(c->err,
					 "The subquery refers to column \"%s\" of the query "
					 "around it (table \"%s\").",
					 col, q->rtes[i].alias);
			mur_error_hint(c->err, "Write it as a join, or as an uncorrelated "
					       "subquery (IN, EXISTS over the whole table).");
			return MUR_ERR;
		}
	}
	return MUR_OK;
}

/* A nested SELECT (or set operation) analyzed in its own scope: *q, or
 * *so for a set operation. */
static int analyze_nested(sql_ctx *c, PgQuery__Node *n, sql_query **q, sql_setop **so, int loc)
{
	scope_save sv;
	PgQuery__SelectStmt *s;
	if (!n || n->node_case != PG_QUERY__NODE__NODE_SELECT_STMT)
		return unsupported(c, "this kind of subquery", loc);
	s = n->select_stmt;
	if (scope_enter(c, &sv, loc) != MUR_OK)
		return MUR_ERR;
	*q = NULL;
	*so = NULL;
	if (s->op != PG_QUERY__SET_OPERATION__SETOP_NONE)
		*so = sql_analyze_setop(c, s);
	else
		*q = sql_analyze_select(c, s);
	scope_leave(c, &sv);
	return (*q || *so) ? MUR_OK : MUR_ERR;
}

static int sub_ntarget(const sql_sub *sb) { return sb->q ? sb->q->ntarget : sb->setop->ntarget; }

static sql_target *sub_targets(const sql_sub *sb)
{
	return sb->q ? sb->q->targets : sb->setop->targets;
}

/* One more sub; its index, -1 on error. */
static int add_sub(sql_ctx *c, sql_sub_kind kind, sql_query *q, sql_setop *so, int loc)
{
	if (!c->subs && !(c->subs = sql_alloc(c, sizeof(sql_sub) * SQL_SUBS_MAX)))
		return -1;
	if (c->nsubs >= SQL_SUBS_MAX)
		return sql_err(c, SQLSTATE_PROGRAM_LIMIT_EXCEEDED, loc,
			       "murphy runs at most %d subqueries per statement", SQL_SUBS_MAX),
		       -1;
	c->subs[c->nsubs] = (sql_sub){.kind = kind, .q = q, .setop = so, .loc = loc};
	return c->nsubs++;
}

/* The SE_SUBQ standing for sub k, of type t. */
static sql_expr *sub_ref(sql_ctx *c, int k, mur_type t, int32_t typmod, int loc)
{
	sql_expr *e = sql_expr_new(c, SE_SUBQ, t, loc);
	if (!e)
		return NULL;
	e->slot = k;
	e->typmod = typmod;
	c->subs[k].ref = e;
	return e;
}

/* ---- subqueries in expressions ---- */

static const char *sublink_op(PgQuery__SubLink *sl)
{
	PgQuery__Node *n;
	if (sl->n_oper_name == 0)
		return "="; /* IN */
	n = sl->oper_name[sl->n_oper_name - 1];
	return n->node_case == PG_QUERY__NODE__NODE_STRING ? n->string->sval : "?";
}

static int cmp_op_ok(const char *op)
{
	static const char *const ops[] = {"=", "<>", "<", "<=", ">", ">="};
	for (size_t i = 0; i < sizeof ops / sizeof ops[0]; i++)
		if (!strcmp(op, ops[i]))
			return 1;
	return 0;
}

/* A set's order does not matter and duplicates do not either: the
 * distinct values, in any order (unless LIMIT picks some). */
static void set_shape(sql_query *q)
{
	if (q && !q->limit && !q->offset) {
		q->nsort = 0;
		q->distinct = 1;
	}
}

/* x op ANY / ALL (sub k): x and the sub's column brought to comparable
 * types (the sub's column is cast when PostgreSQL would cast it). */
static sql_expr *set_test(sql_ctx *c, PgQuery__SubLink *sl, int k, int all)
{
	sql_sub *sb = &c->subs[k];
	sql_target *t = &sub_targets(sb)[0];
	const char *op = sublink_op(sl);
	sql_expr *x, *y = t->e, *set;
	if (!cmp_op_ok(op))
		return unsupported(c, "this operator with ANY/ALL (subquery)", sl->location), NULL;
	if (!(x = sql_analyze_expr(c, sl->testexpr)))
		return NULL;
	if (sql_unify_compare(c, op, &x, &y, sl->location) != MUR_OK)
		return NULL;
	if (y != t->e) {
		if (!sb->q)
			return unsupported(c, "this comparison with a set operation subquery",
					   sl->location),
			       NULL;
		t->e = y;
	}
	if (!(set = sub_ref(c, k, MT_BYTEA, -1, sl->location)))
		return NULL;
	if (!strcmp(op, "=") && !all)
		return sql_make_call(c, "mur_subq_in", MT_BOOL, sl->location, 2, x, set);
	if (!strcmp(op, "<>") && all) /* NOT IN */
		return sql_make_op(c, "NOT", MT_BOOL, sl->location,
				   sql_make_call(c, "mur_subq_in", MT_BOOL, sl->location, 2, x,
						 set),
				   NULL);
	return sql_make_call(c, "mur_subq_cmp", MT_BOOL, sl->location, 4, x, set,
			     sql_make_const_text(c, op), sql_make_const_int(c, all, MT_INT4));
}

static sql_expr *sublink_kind(sql_ctx *c, PgQuery__SubLink *sl, sql_sub_kind *kind, int *all)
{
	*all = 0;
	switch (sl->sub_link_type) {
	case PG_QUERY__SUB_LINK_TYPE__EXISTS_SUBLINK:
		*kind = SQL_SUB_EXISTS;
		return NULL;
	case PG_QUERY__SUB_LINK_TYPE__EXPR_SUBLINK:
		*kind = SQL_SUB_SCALAR;
		return NULL;
	case PG_QUERY__SUB_LINK_TYPE__ALL_SUBLINK:
		*all = 1;
		/* fall through */
	case PG_QUERY__SUB_LINK_TYPE__ANY_SUBLINK:
		*kind = SQL_SUB_SET;
		return NULL;
	case PG_QUERY__SUB_LINK_TYPE__ARRAY_SUBLINK:
		return unsupported(c, "ARRAY (subquery)", sl->location), NULL;
	default:
		return unsupported(c, "row comparisons with subqueries", sl->location), NULL;
	}
}

/* ---- correlated EXISTS: a semi-join by the correlation's keys ---- */

static const char *name_of(PgQuery__Node *n);

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
	if (r->n_fields > 2 || !(col = name_of(r->fields[r->n_fields - 1])))
		return 0;
	if (r->n_fields == 2 && !(tbl = name_of(r->fields[0])))
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
		    strcmp(name_of(a->name[0]) ? name_of(a->name[0]) : "", "=") || !a->lexpr ||
		    !a->rexpr)
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
static sql_expr *exists_semijoin(sql_ctx *c, PgQuery__SubLink *sl)
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
	    analyze_nested(c, sub, &q, &so, sl->location) != MUR_OK)
		return NULL;
	set_shape(q);
	y = q->targets[0].e;
	if (sql_unify_compare(c, "=", &x, &y, sl->location) != MUR_OK)
		return NULL;
	q->targets[0].e = y;
	if ((k = add_sub(c, SQL_SUB_SET, q, NULL, sl->location)) < 0 ||
	    !(set = sub_ref(c, k, MT_BYTEA, -1, sl->location)))
		return NULL;
	c->subs[k].semijoin = 1;
	in = sql_make_call(c, "mur_subq_in", MT_BOOL, sl->location, 2, x, set);
	return in ? sql_make_call(c, "coalesce", MT_BOOL, sl->location, 2, in,
				  sql_make_const_int(c, 0, MT_BOOL))
		  : NULL;
}

sql_expr *sql_analyze_sublink(sql_ctx *c, PgQuery__SubLink *sl)
{
	sql_sub_kind kind = SQL_SUB_SCALAR;
	sql_query *q;
	sql_setop *so;
	int all, k;
	if (!c->subq_ok)
		return unsupported(c, "subqueries in this statement", sl->location), NULL;
	if (sublink_kind(c, sl, &kind, &all) || mur_error_is_set(c->err))
		return NULL;
	if (kind == SQL_SUB_EXISTS) { /* correlated by one equality: a semi-join */
		sql_expr *semi = exists_semijoin(c, sl);
		if (semi || mur_error_is_set(c->err))
			return semi;
	}
	if (analyze_nested(c, sl->subselect, &q, &so, sl->location) != MUR_OK)
		return NULL;
	if (kind != SQL_SUB_EXISTS && (q ? q->ntarget : so->ntarget) != 1)
		return sql_err(c, SQLSTATE_SYNTAX_ERROR, sl->location,
			       kind == SQL_SUB_SCALAR ? "subquery must return only one column"
						      : "subquery has too many columns"),
		       NULL;
	if (kind == SQL_SUB_SET)
		set_shape(q);
	if (q && !q->limit && kind != SQL_SUB_SET) /* a second row is all that matters */
		q->limit = sql_make_const_int(c, kind == SQL_SUB_EXISTS ? 1 : 2, MT_INT8);
	if ((k = add_sub(c, kind, q, so, sl->location)) < 0)
		return NULL;
	if (kind == SQL_SUB_SET)
		return set_test(c, sl, k, all);
	if (kind == SQL_SUB_EXISTS)
		return sub_ref(c, k, MT_BOOL, -1, sl->location);
	return sub_ref(c, k, sub_targets(&c->subs[k])[0].e->type,
		       sub_targets(&c->subs[k])[0].e->typmod, sl->location);
}

/* ---- FROM (SELECT ...) and WITH: a leader table of the rows ---- */

static const char *name_of(PgQuery__Node *n)
{
	return n && n->node_case == PG_QUERY__NODE__NODE_STRING ? n->string->sval : NULL;
}

/* The virtual table of ROWS sub k: its columns are the sub's outputs,
 * renamed by colnames (alias (a, b, ...)). */
static cat_table *rows_table(sql_ctx *c, int k, PgQuery__Node **colnames, size_t ncolnames, int loc)
{
	sql_sub *sb = &c->subs[k];
	cat_table *t = sql_alloc(c, sizeof *t);
	int n = sub_ntarget(sb);
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
		const sql_expr *e = sub_targets(sb)[i].e;
		const char *name = i < (int)ncolnames ? name_of(colnames[i]) : NULL;
		snprintf(t->cols[i].name, sizeof t->cols[i].name, "%s",
			 name ? name : sub_targets(sb)[i].name);
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
		if (tbl && strcmp(w->alias, tbl))
			continue;
		for (int k = 0; k < w->ncols; k++) {
			if (strcmp(w->cols[k].name, col))
				continue;
			if (n)
				(*n)++;
			if (!found)
				found = w->cols[k].e;
			break;
		}
	}
	return found;
}

/* A plain per-shard query: tables (no gathered rows), no aggregate,
 * DISTINCT, ORDER BY, LIMIT or row locks, and room for its tables. */
static int mergeable(const sql_ctx *c, const sql_query *q, const sql_query *sq)
{
	return sq && !c->no_merge && !sq->is_virtual && sq->nrte > 0 && !sq->has_agg &&
	       !sq->distinct && !sq->nsort && !sq->limit && !sq->offset && !sq->locks_rows &&
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
	sql_expr *w;
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
		const char *name = i < (int)ncolnames ? name_of(colnames[i]) : NULL;
		v->cols[i] = sq->targets[i];
		if (name)
			snprintf(v->cols[i].name, sizeof v->cols[i].name, "%s", name);
		if (!(v->cols[i].e = shifted(c, sq->targets[i].e, base)))
			return MUR_ERR;
	}
	q->nview++;
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
	int k;
	if (rows && *rows)
		return sql_add_rte(c, q, *rows, alias, loc);
	if (analyze_nested(c, n, &sq, &so, loc) != MUR_OK)
		return MUR_ERR;
	if (mergeable(c, q, sq))
		return merge_view(c, q, sq, alias, colnames, ncolnames, loc);
	if ((k = add_sub(c, SQL_SUB_ROWS, sq, so, loc)) < 0 ||
	    !(t = rows_table(c, k, colnames, ncolnames, loc)))
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
		return unsupported(c, "subqueries in FROM in this statement", -1);
	if (rs->lateral)
		return unsupported(c, "LATERAL", -1);
	return from_nested(c, q, rs->subquery, rs->alias ? rs->alias->colnames : NULL,
			   rs->alias ? rs->alias->n_colnames : 0, alias, -1, NULL);
}

int sql_with_push(sql_ctx *c, PgQuery__WithClause *w, int *saved)
{
	*saved = c->nctes;
	if (!c->subq_ok)
		return unsupported(c, "WITH (common table expressions) in this statement",
				   w->location);
	if (w->recursive)
		return unsupported(c, "WITH RECURSIVE", w->location);
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
			return unsupported(c, "data-modifying statements in WITH", cte->location);
		c->ctes[c->nctes++] = (sql_cte){cte->ctename, cte, NULL, 0};
	}
	return MUR_OK;
}

void sql_with_pop(sql_ctx *c, int saved) { c->nctes = saved; }

int sql_analyze_from_cte(sql_ctx *c, sql_query *q, PgQuery__RangeVar *rv)
{
	int k, saved = c->nctes, rc;
	PgQuery__CommonTableExpr *d;
	for (k = c->nctes - 1; k >= 0; k--)
		if (!strcmp(c->ctes[k].name, rv->relname))
			break;
	if (k < 0 || (rv->schemaname && *rv->schemaname))
		return 0;
	d = c->ctes[k].def;
	/* a WITH query sees the ones before it, not itself or later ones; one
	 * that runs shard by shard merges into each query reading it, the
	 * others run once (the first reference makes their table) */
	c->nctes = k;
	if (!c->ctes[k].table)
		c->ctes[k].sub = c->nsubs;
	rc = from_nested(c, q, d->ctequery, d->aliascolnames, d->n_aliascolnames,
			 rv->alias && rv->alias->aliasname ? rv->alias->aliasname : rv->relname,
			 rv->location, &c->ctes[k].table);
	c->nctes = saved;
	return rc == MUR_OK ? 1 : -1;
}

void sql_subq_rollback(sql_ctx *c, int nsubs)
{
	c->nsubs = nsubs;
	for (int k = 0; k < c->nctes; k++)
		if (c->ctes[k].table && c->ctes[k].sub >= nsubs)
			c->ctes[k].table = NULL;
}

/* ---- set operations ---- */

static sql_setop *setop_tree(sql_ctx *c, PgQuery__SelectStmt *s)
{
	sql_setop *n = sql_alloc(c, sizeof *n);
	if (!n)
		return NULL;
	switch (s->op) {
	case PG_QUERY__SET_OPERATION__SETOP_NONE: {
		scope_save sv;
		sql_query *q;
		if (scope_enter(c, &sv, -1) != MUR_OK)
			return NULL;
		q = sql_analyze_select(c, s);
		scope_leave(c, &sv);
		n->kind = SQL_SETOP_LEAF;
		n->sub = q ? add_sub(c, SQL_SUB_ROWS, q, NULL, -1) : -1;
		return n->sub >= 0 ? n : NULL;
	}
	case PG_QUERY__SET_OPERATION__SETOP_UNION:
		n->kind = SQL_SETOP_UNION;
		break;
	case PG_QUERY__SET_OPERATION__SETOP_INTERSECT:
		n->kind = SQL_SETOP_INTERSECT;
		break;
	default:
		n->kind = SQL_SETOP_EXCEPT;
		break;
	}
	n->all = s->all;
	if (!(n->l = setop_tree(c, s->larg)) || !(n->r = setop_tree(c, s->rarg)))
		return NULL;
	return n;
}

static const char *setop_name(const sql_setop *n)
{
	return n->kind == SQL_SETOP_UNION       ? "UNION"
	       : n->kind == SQL_SETOP_INTERSECT ? "INTERSECT"
						: "EXCEPT";
}

/* Column i's type across the leaves of n (PostgreSQL's rule for UNION,
 * as for CASE). */
static int setop_type(sql_ctx *c, const sql_setop *n, int i, int ncols, mur_type *t)
{
	sql_query *q;
	if (n->kind != SQL_SETOP_LEAF)
		return setop_type(c, n->l, i, ncols, t) == MUR_OK ? setop_type(c, n->r, i, ncols, t)
								  : MUR_ERR;
	q = c->subs[n->sub].q;
	if (q->ntarget != ncols)
		return sql_err(c, SQLSTATE_SYNTAX_ERROR, q->targets[0].loc,
			       "each set operation query must have the same number of columns");
	mur_type was = *t, next = sql_type_common(was, q->targets[i].e->type);
	if (next == MT_UNKNOWN && was != MT_UNKNOWN && q->targets[i].e->type != MT_UNKNOWN)
		return sql_err(c, SQLSTATE_DATATYPE_MISMATCH, q->targets[i].loc,
			       "types %s and %s cannot be matched", sql_type_name(was),
			       sql_type_name(q->targets[i].e->type));
	*t = next;
	return MUR_OK;
}

/* Give every leaf's column i type t. */
static int setop_cast(sql_ctx *c, sql_setop *n, int i, mur_type t)
{
	sql_target *x;
	if (n->kind != SQL_SETOP_LEAF)
		return setop_cast(c, n->l, i, t) == MUR_OK ? setop_cast(c, n->r, i, t) : MUR_ERR;
	x = &c->subs[n->sub].q->targets[i];
	if (x->e->type == t)
		return MUR_OK;
	x->e = x->e->type == MT_UNKNOWN ? sql_coerce(c, x->e, t, NULL)
					: sql_make_cast(c, x->e, t, x->loc);
	return x->e ? MUR_OK : MUR_ERR;
}

static const sql_query *first_leaf(sql_ctx *c, const sql_setop *n)
{
	while (n->kind != SQL_SETOP_LEAF)
		n = n->l;
	return c->subs[n->sub].q;
}

static int setop_sort(sql_ctx *c, sql_setop *top, PgQuery__SortBy *sb, sql_sort *out)
{
	PgQuery__Node *n = sb->node;
	out->desc = sb->sortby_dir == PG_QUERY__SORT_BY_DIR__SORTBY_DESC;
	out->nulls_first = sb->sortby_nulls == PG_QUERY__SORT_BY_NULLS__SORTBY_NULLS_FIRST ||
			   (out->desc &&
			    sb->sortby_nulls != PG_QUERY__SORT_BY_NULLS__SORTBY_NULLS_LAST);
	out->target = -1;
	if (n->node_case == PG_QUERY__NODE__NODE_A_CONST &&
	    n->a_const->val_case == PG_QUERY__A__CONST__VAL_IVAL) {
		int pos = n->a_const->ival->ival;
		if (pos < 1 || pos > top->ntarget)
			return sql_err(c, SQLSTATE_INVALID_COLUMN_REFERENCE, n->a_const->location,
				       "ORDER BY position %d is not in select list", pos);
		out->target = pos - 1;
	} else if (n->node_case == PG_QUERY__NODE__NODE_COLUMN_REF &&
		   n->column_ref->n_fields == 1 && name_of(n->column_ref->fields[0])) {
		for (int i = 0; i < top->ntarget && out->target < 0; i++)
			if (!strcmp(top->targets[i].name, name_of(n->column_ref->fields[0])))
				out->target = i;
	}
	if (out->target >= 0)
		return MUR_OK;
	sql_err(c, SQLSTATE_FEATURE_NOT_SUPPORTED, sb->location,
		"invalid UNION/INTERSECT/EXCEPT ORDER BY clause");
	mur_error_detail(c->err, "Only result column names can be used, not expressions or "
				 "functions.");
	return MUR_ERR;
}

static int setop_finish(sql_ctx *c, sql_setop *top, PgQuery__SelectStmt *s)
{
	const sql_query *first = first_leaf(c, top);
	top->ntarget = first->ntarget;
	if (!(top->targets = sql_alloc(c, sizeof(sql_target) * (size_t)(top->ntarget + 1))) ||
	    !(top->sorts = sql_alloc(c, sizeof(sql_sort) * (s->n_sort_clause + 1))))
		return MUR_ERR;
	for (int i = 0; i < top->ntarget; i++) {
		mur_type t = MT_UNKNOWN;
		if (setop_type(c, top, i, top->ntarget, &t) != MUR_OK)
			return MUR_ERR;
		if (t == MT_UNKNOWN)
			t = MT_TEXT;
		if (setop_cast(c, top, i, t) != MUR_OK)
			return MUR_ERR;
		top->targets[i] = first->targets[i];
	}
	if (s->n_sort_clause > SQL_SORT_MAX)
		return sql_err(c, SQLSTATE_PROGRAM_LIMIT_EXCEEDED, -1,
			       "murphy supports at most %d ORDER BY expressions", SQL_SORT_MAX);
	for (size_t i = 0; i < s->n_sort_clause; i++)
		if (setop_sort(c, top, s->sort_clause[i]->sort_by, &top->sorts[top->nsort++]) !=
		    MUR_OK)
			return MUR_ERR;
	top->limit = sql_analyze_limit(c, s->limit_count, "LIMIT");
	top->offset = mur_error_is_set(c->err) ? NULL
					       : sql_analyze_limit(c, s->limit_offset, "OFFSET");
	return mur_error_is_set(c->err) ? MUR_ERR : MUR_OK;
}

sql_setop *sql_analyze_setop(sql_ctx *c, PgQuery__SelectStmt *s)
{
	sql_setop *top;
	int saved = c->nctes, rc;
	if (!c->subq_ok) {
		sql_setop n = {.kind = s->op == PG_QUERY__SET_OPERATION__SETOP_UNION
					       ? SQL_SETOP_UNION
				       : s->op == PG_QUERY__SET_OPERATION__SETOP_INTERSECT
					       ? SQL_SETOP_INTERSECT
					       : SQL_SETOP_EXCEPT};
		char what[64];
		snprintf(what, sizeof what, "%s in this statement", setop_name(&n));
		return unsupported(c, what, -1), NULL;
	}
	if (s->with_clause && sql_with_push(c, s->with_clause, &saved) != MUR_OK)
		return NULL;
	top = setop_tree(c, s);
	rc = top ? setop_finish(c, top, s) : MUR_ERR;
	sql_with_pop(c, saved);
	if (rc == MUR_OK && s->n_locking_clause)
		rc = sql_err(c, SQLSTATE_FEATURE_NOT_SUPPORTED, -1,
			     "FOR UPDATE is not allowed with UNION/INTERSECT/EXCEPT");
	return rc == MUR_OK ? top : NULL;
}
