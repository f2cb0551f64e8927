/*
 * analyze_semijoin.c — a correlated EXISTS / IN / scalar subquery tied
 * to the query around it by equalities inner_col = outer_col (the
 * subquery's other conjuncts its own), decorrelated into a semi-join by
 * keys:
 *
 *   EXISTS (SELECT ... FROM f WHERE p AND f.a = o.b)
 *     ==> coalesce(mur_subq_in(o.b, SET(SELECT DISTINCT f.a FROM f WHERE p)), false)
 *   EXISTS (... f.a = o.b AND f.c = o.d)
 *     ==> coalesce(mur_subq_in2(o.b, o.d, SET(SELECT DISTINCT f.a, f.c ...)), false)
 *   x [NOT] IN (SELECT f.v FROM f WHERE p AND f.a = o.b)
 *     ==> [NOT] mur_subq_in2(x, o.b, SET(SELECT DISTINCT f.v, f.a FROM f WHERE p))
 *   (SELECT t FROM f WHERE p AND f.a = o.b)
 *     ==> mur_subq_get(o.b, SET(SELECT t, f.a FROM f WHERE p [GROUP BY f.a]), dflt)
 *         (dflt: NULL, or t over no row when it aggregates)
 *
 * The keys run once, distributed, like an uncorrelated IN set
 * (analyze_subq.c); the shards probe them (storage/sqlfn_subq.c answers
 * with PostgreSQL's NULLs).  EXISTS is false, never NULL, hence the
 * coalesce.  Which side a column is on is decided from the parse tree
 * before analysis (the subquery's FROM tables first, as SQL scopes names);
 * anything undecided is left to the ordinary path, which refuses a
 * correlated subquery with 0A000.
 */
#include "parser/analyze_subq_int.h"

#include <stdio.h>
#include <string.h>

/* ---- which side a column is on ---- */

/* Does a FROM item list of the subquery (tables and joins of tables only)
 * give col?  1 yes, 0 no, -1 when it holds something else (a subquery, a
 * WITH query): then nothing is decided. */
int sql_subq_from_has(sql_ctx *c, PgQuery__Node *n, const char *tbl, const char *col)
{
	if (n->node_case == PG_QUERY__NODE__NODE_JOIN_EXPR) {
		int l = sql_subq_from_has(c, n->join_expr->larg, tbl, col);
		int r = l < 0 ? -1 : sql_subq_from_has(c, n->join_expr->rarg, tbl, col);
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
	const char *schema = sql_rv_schema(c, rv);
	t = c->cat && schema ? cat_table_lookup(c->cat, schema, rv->relname) : NULL;
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
		PgQuery__Node *f = s->from_clause[i];
		int has;
		if (tbl && f->node_case == PG_QUERY__NODE__NODE_RANGE_SUBSELECT &&
		    f->range_subselect->alias && f->range_subselect->alias->aliasname) {
			if (!strcmp(f->range_subselect->alias->aliasname, tbl))
				return 1; /* a subquery in its FROM, by its name */
			continue;
		}
		if ((has = sql_subq_from_has(c, f, tbl, col)))
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

/* The side of an expression that is not a bare column: every column it
 * names on one side (the other side's keys are then an expression of
 * the outer row: a key set of the inner expression's values), no
 * subquery or window in it, no aggregate on the inner side; 0 otherwise. */
typedef struct expr_sides {
	sql_ctx *c;
	PgQuery__SelectStmt *s;
	int mask; /* 1 inner, 2 outer, 4 undecided */
} expr_sides;

static PgQuery__Node *side_of_ref(void *arg, PgQuery__Node *n)
{
	expr_sides *es = arg;
	int side = colref_side(es->c, es->s, n);
	es->mask |= side ? side : 4;
	return n;
}

static int has_sublink(const ProtobufCMessage *m, const void *arg)
{
	(void)arg;
	return m->descriptor == &pg_query__sub_link__descriptor ||
	       (m->descriptor == &pg_query__func_call__descriptor &&
		((const PgQuery__FuncCall *)m)->over);
}

static int expr_side(sql_ctx *c, PgQuery__SelectStmt *s, PgQuery__Node *n)
{
	expr_sides es = {c, s, 0};
	if (n->node_case == PG_QUERY__NODE__NODE_COLUMN_REF)
		return colref_side(c, s, n);
	if (sql_tree_any(&n->base, has_sublink, NULL) || !sql_pt_map(c, n, side_of_ref, &es))
		return 0;
	/* an aggregate of outer columns only is the outer query's (PostgreSQL's
	 * outer aggregate): its value per group is probed, in HAVING or a
	 * grouped select list (42803 elsewhere, as PostgreSQL) */
	if (es.mask == 1 && sql_tree_has_aggregate(n))
		return 0;
	return es.mask == 1 || es.mask == 2 ? es.mask : 0;
}

/* The conjuncts of s's WHERE `inner = outer` (either way round), at most
 * SEMI_KEYS_MAX: how many (their indexes in at[], sides in inner[] and
 * outer[]); -1 when there are more. */
#define SEMI_KEYS_MAX 2 /* mur_subq_in2 probes pairs */
static int correlations(sql_ctx *c, PgQuery__SelectStmt *s, PgQuery__Node **cj, int n, int *at,
			PgQuery__Node **inner, PgQuery__Node **outer)
{
	int found = 0;
	for (int i = 0; i < n; i++) {
		PgQuery__AExpr *a = cj[i]->node_case == PG_QUERY__NODE__NODE_A_EXPR ? cj[i]->a_expr
										    : NULL;
		int l, r;
		if (!a || a->kind != PG_QUERY__A__EXPR__KIND__AEXPR_OP || a->n_name != 1 ||
		    strcmp(sql_node_str(a->name[0]) ? sql_node_str(a->name[0]) : "", "=") ||
		    !a->lexpr || !a->rexpr)
			continue;
		l = expr_side(c, s, a->lexpr);
		r = expr_side(c, s, a->rexpr);
		if (!((l == 1 && r == 2) || (l == 2 && r == 1)))
			continue;
		if (found == SEMI_KEYS_MAX)
			return -1;
		at[found] = i;
		inner[found] = l == 1 ? a->lexpr : a->rexpr;
		outer[found++] = l == 1 ? a->rexpr : a->lexpr;
	}
	return found;
}

static PgQuery__Node *res_target(sql_ctx *c, PgQuery__Node *val)
{
	PgQuery__Node *n = sql_alloc(c, sizeof *n);
	PgQuery__ResTarget *rt = sql_alloc(c, sizeof *rt);
	if (!n || !rt)
		return NULL;
	pg_query__node__init(n); /* walkers read descriptors (analyze_semifrom.c) */
	pg_query__res_target__init(rt);
	rt->val = val;
	rt->location = -1;
	n->node_case = PG_QUERY__NODE__NODE_RES_TARGET;
	n->res_target = rt;
	return n;
}

/* s without the conjuncts at[0..nskip) of its WHERE, selecting targets
 * [0..ntarget). */
static PgQuery__Node *semi_side(sql_ctx *c, PgQuery__SelectStmt *s, PgQuery__Node **cj, int n,
				const int *at, int nskip, PgQuery__Node **targets, int ntarget)
{
	PgQuery__Node *node = sql_alloc(c, sizeof *node), *b = sql_alloc(c, sizeof *b);
	PgQuery__SelectStmt *copy = sql_alloc(c, sizeof *copy);
	PgQuery__BoolExpr *be = sql_alloc(c, sizeof *be);
	PgQuery__Node **tl = sql_alloc(c, sizeof *tl * (size_t)ntarget);
	if (!node || !b || !copy || !be || !tl)
		return NULL;
	pg_query__node__init(node);
	pg_query__node__init(b);
	pg_query__bool_expr__init(be);
	if (!(be->args = sql_alloc(c, sizeof(PgQuery__Node *) * (size_t)n)))
		return NULL;
	for (int i = 0; i < n; i++) {
		int skip = 0;
		for (int k = 0; k < nskip; k++)
			skip |= at[k] == i;
		if (!skip)
			be->args[be->n_args++] = cj[i];
	}
	be->boolop = PG_QUERY__BOOL_EXPR_TYPE__AND_EXPR;
	be->location = -1;
	b->node_case = PG_QUERY__NODE__NODE_BOOL_EXPR;
	b->bool_expr = be;
	*copy = *s;
	copy->where_clause = be->n_args == 0 ? NULL : be->n_args == 1 ? be->args[0] : b;
	for (int i = 0; i < ntarget; i++)
		if (!(tl[i] = res_target(c, targets[i])))
			return NULL;
	copy->target_list = tl;
	copy->n_target_list = (size_t)ntarget;
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

/* The subquery of sl when it may be decorrelated, its WHERE's conjuncts
 * in *cj / *n (one[] holds a lone one). */
static PgQuery__SelectStmt *semi_candidate(sql_ctx *c, PgQuery__SubLink *sl, PgQuery__Node **one,
					   PgQuery__Node ***cj, int *n, int plain)
{
	PgQuery__SelectStmt *s = sl->subselect && sl->subselect->node_case ==
							  PG_QUERY__NODE__NODE_SELECT_STMT
					 ? sl->subselect->select_stmt
					 : NULL;
	if (!s || !c->q || s->op != PG_QUERY__SET_OPERATION__SETOP_NONE || !s->where_clause ||
	    s->n_group_clause || s->having_clause || s->limit_count || s->limit_offset ||
	    s->n_window_clause || s->with_clause || s->n_distinct_clause ||
	    (plain && !plain_targets(s)))
		return NULL;
	if (s->where_clause->node_case == PG_QUERY__NODE__NODE_BOOL_EXPR &&
	    s->where_clause->bool_expr->boolop == PG_QUERY__BOOL_EXPR_TYPE__AND_EXPR) {
		*cj = s->where_clause->bool_expr->args;
		*n = (int)s->where_clause->bool_expr->n_args;
	} else {
		one[0] = s->where_clause;
		*cj = one;
		*n = 1;
	}
	return s;
}

/* The keys' sub: inner[0..nkeys) selected (distinct) where the other
 * conjuncts hold, each unified with outer expression x[i]; its SE_SUBQ. */
static sql_expr *semi_keys(sql_ctx *c, PgQuery__SubLink *sl, PgQuery__SelectStmt *s,
			   PgQuery__Node **cj, int n, const int *at, int ncorr,
			   PgQuery__Node **inner, sql_expr **x, int nkeys)
{
	PgQuery__Node *sub = semi_side(c, s, cj, n, at, ncorr, inner, nkeys);
	sql_query *q;
	sql_setop *so;
	int k, nsubs = c->nsubs;
	if (!sub || sql_analyze_nested(c, sub, &q, &so, sl->location) != MUR_OK)
		return NULL;
	if (q->has_agg || q->nwindow) { /* an IN's value computed over rows: not this shape */
		sql_subq_rollback(c, nsubs);
		return NULL;
	}
	sql_sub_set_shape(q);
	for (int i = 0; i < nkeys; i++)
		if (sql_unify_compare(c, "=", &x[i], &q->targets[i].e, sl->location) != MUR_OK ||
		    sql_set_keys_numeric(c, "=", &x[i], &q->targets[i].e, sl->location) != MUR_OK ||
		    sql_set_keys_bpchar(c, &x[i], &q->targets[i].e, sl->location) != MUR_OK)
			return NULL;
	if ((k = sql_sub_add(c, SQL_SUB_SET, q, NULL, sl->location)) < 0)
		return NULL;
	c->subs[k].semijoin = 1;
	return sql_sub_ref(c, k, MT_BYTEA, -1, sl->location);
}

/* x IN keys: mur_subq_in(x0, keys) for one key, mur_subq_in2(x0, x1,
 * keys) for two (PostgreSQL's answer for x0 IN (values of the rows whose
 * second key is x1), sqlfn_subq.c). */
static sql_expr *probe(sql_ctx *c, sql_expr **x, int nkeys, sql_expr *set, int loc)
{
	if (nkeys == 1)
		return sql_make_call(c, "mur_subq_in", MT_BOOL, loc, 2, x[0], set);
	return sql_make_call(c, "mur_subq_in2", MT_BOOL, loc, 3, x[0], x[1], set);
}

sql_expr *sql_exists_semijoin(sql_ctx *c, PgQuery__SubLink *sl)
{
	PgQuery__Node *one[1], **cj, *inner[SEMI_KEYS_MAX], *outer[SEMI_KEYS_MAX];
	PgQuery__SelectStmt *s;
	sql_expr *x[SEMI_KEYS_MAX], *set, *in;
	int n = 0, at[SEMI_KEYS_MAX], nkeys;
	if (!(s = semi_candidate(c, sl, one, &cj, &n, 1)) ||
	    (nkeys = correlations(c, s, cj, n, at, inner, outer)) <= 0)
		return NULL;
	for (int i = 0; i < nkeys; i++)
		if (!(x[i] = sql_analyze_expr(c, outer[i])))
			return NULL;
	if (!(set = semi_keys(c, sl, s, cj, n, at, nkeys, inner, x, nkeys)) ||
	    !(in = probe(c, x, nkeys, set, sl->location)))
		return NULL;
	return sql_make_call(c, "coalesce", MT_BOOL, sl->location, 2, in,
			     sql_make_const_int(c, 0, MT_BOOL));
}

sql_expr *sql_in_semijoin(sql_ctx *c, PgQuery__SubLink *sl, int negate)
{
	PgQuery__Node *one[1], **cj, *inner[SEMI_KEYS_MAX], *outer[SEMI_KEYS_MAX];
	PgQuery__SelectStmt *s;
	sql_expr *x[SEMI_KEYS_MAX], *set, *in;
	int n = 0, at[SEMI_KEYS_MAX];
	if (!(s = semi_candidate(c, sl, one, &cj, &n, 0)) || s->n_target_list != 1 ||
	    sql_tree_has_aggregate(s->target_list[0]) ||
	    correlations(c, s, cj, n, at, inner, outer) != 1)
		return NULL; /* any value but an aggregate's */
	inner[1] = inner[0];
	inner[0] = s->target_list[0]->res_target->val;
	if (!(x[0] = sql_analyze_expr(c, sl->testexpr)) ||
	    !(x[1] = sql_analyze_expr(c, outer[0])) ||
	    !(set = semi_keys(c, sl, s, cj, n, at, 1, inner, x, 2)) ||
	    !(in = probe(c, x, 2, set, sl->location)))
		return NULL;
	return negate ? sql_make_op(c, "NOT", MT_BOOL, sl->location, in, NULL) : in;
}

/* FALSE, as a parse tree node. */
static PgQuery__Node *false_node(sql_ctx *c)
{
	PgQuery__Node *n = sql_alloc(c, sizeof *n);
	PgQuery__AConst *k = sql_alloc(c, sizeof *k);
	PgQuery__Boolean *b = sql_alloc(c, sizeof *b);
	if (!n || !k || !b)
		return NULL;
	pg_query__node__init(n);
	pg_query__a__const__init(k);
	pg_query__boolean__init(b);
	k->val_case = PG_QUERY__A__CONST__VAL_BOOLVAL;
	k->boolval = b;
	k->location = -1;
	n->node_case = PG_QUERY__NODE__NODE_A_CONST;
	n->a_const = k;
	return n;
}

/* What (SELECT t FROM f WHERE ...) answers when no row has the key: t
 * over no row (count: 0), a scalar sub of its own when t aggregates
 * (*agg set), else NULL. */
static sql_expr *scalar_default(sql_ctx *c, PgQuery__SubLink *sl, PgQuery__SelectStmt *s,
				PgQuery__Node **cj, int n, const int *at, int *agg)
{
	PgQuery__Node *t = s->target_list[0]->res_target->val, *sub, *no = false_node(c);
	int nsubs = c->nsubs, k;
	sql_query *q;
	sql_setop *so;
	sql_expr *e;
	if (!no || !(sub = semi_side(c, s, cj, n, at, 1, &t, 1)))
		return NULL;
	sub->select_stmt->where_clause = no;
	if (sql_analyze_nested(c, sub, &q, &so, sl->location) != MUR_OK)
		return NULL;
	if ((*agg = q->has_agg)) {
		k = sql_sub_add(c, SQL_SUB_SCALAR, q, NULL, sl->location);
		return k < 0 ? NULL
			     : sql_sub_ref(c, k, q->targets[0].e->type, q->targets[0].e->typmod,
					   sl->location);
	}
	sql_subq_rollback(c, nsubs); /* only its type was wanted */
	if (!(e = sql_expr_new(c, SE_CONST, q->targets[0].e->type, sl->location)))
		return NULL;
	e->val = mur_v_null();
	return e;
}

sql_expr *sql_scalar_semijoin(sql_ctx *c, PgQuery__SubLink *sl)
{
	PgQuery__Node *one[1], **cj, *inner[SEMI_KEYS_MAX], *outer[SEMI_KEYS_MAX], *t[2];
	PgQuery__SelectStmt *s;
	sql_expr *x, *dflt, *pairs;
	sql_query *q;
	sql_setop *so;
	int n = 0, at[SEMI_KEYS_MAX], agg = 0, k;
	if (!(s = semi_candidate(c, sl, one, &cj, &n, 0)) || s->n_target_list != 1 ||
	    correlations(c, s, cj, n, at, inner, outer) != 1 ||
	    !(dflt = scalar_default(c, sl, s, cj, n, at, &agg)))
		return NULL;
	t[0] = s->target_list[0]->res_target->val;
	t[1] = inner[0];
	PgQuery__Node *sub = semi_side(c, s, cj, n, at, 1, t, 2);
	if (!sub)
		return NULL;
	if (agg) { /* one row per key */
		sub->select_stmt->group_clause = &inner[0];
		sub->select_stmt->n_group_clause = 1;
	}
	if (!(x = sql_analyze_expr(c, outer[0])) ||
	    sql_analyze_nested(c, sub, &q, &so, sl->location) != MUR_OK ||
	    sql_unify_compare(c, "=", &x, &q->targets[1].e, sl->location) != MUR_OK ||
	    sql_set_keys_bpchar(c, &x, &q->targets[1].e, sl->location) != MUR_OK)
		return NULL;
	q->nsort = 0;
	if ((k = sql_sub_add(c, SQL_SUB_SET, q, NULL, sl->location)) < 0 ||
	    !(pairs = sql_sub_ref(c, k, MT_BYTEA, -1, sl->location)))
		return NULL;
	c->subs[k].semijoin = 1;
	return sql_make_call(c, "mur_subq_get", q->targets[0].e->type, sl->location, 3, x, pairs,
			     dflt);
}
