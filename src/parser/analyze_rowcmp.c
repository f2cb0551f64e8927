/*
 * analyze_rowcmp.c — row constructors compared, PostgreSQL's row
 * comparison semantics (its "Row Constructor Comparison" and "Row-wise
 * Comparison" rules):
 *
 *   (a, b) = (c, d)        ==> a = c AND b = d      (false on an unequal pair,
 *   (a, b) <> (c, d)       ==> a <> c OR b <> d      else NULL on a NULL one)
 *   (a, b) < (c, d)        ==> a < c OR (a = c AND b < d)   (<= > >= alike: the
 *                              first pair unequal or NULL decides, NULL if NULL)
 *   (a, b) [NOT] IN ((1, 2), (3, 4))  ==> (a, b) = (1, 2) OR ...  (NOT: <> AND)
 *
 * rewritten as a parse tree of the element comparisons, then analyzed as
 * ordinary SQL (so `(id, k) = (1, 2)` on the distribution column still
 * routes to one shard).  With an uncorrelated subquery, its rows run once
 * first as a set (analyze_subq.c) that storage/sqlfn_subq_row.c probes:
 *
 *   (a, b) [NOT] IN (SELECT x, y ...)   ==> [NOT] mur_subq_rowin(SET, a, b)
 *   (a, b) op (SELECT x, y ...)         ==> mur_subq_rowcmp(SET (2 rows at most), op, a, b)
 *
 * Not done (0A000): IS [NOT] DISTINCT FROM between rows, ANY / ALL with
 * another operator than IN's, rows anywhere else (ROW(...) as a value).
 * An ordering comparison repeats its elements (a is compared twice above):
 * an element with a volatile function would run twice (as it does in
 * PostgreSQL's own row-wise expansion only once), so such a row is 0A000.
 */
#include "parser/analyze_subq_int.h"

#include <string.h>

#define ROWCMP_COLS_MAX 64 /* storage/sqlfn_subq_row.c's ROW_COLS_MAX */

static int is_row(const PgQuery__Node *n)
{
	return n && n->node_case == PG_QUERY__NODE__NODE_ROW_EXPR;
}

static int volatile_fn(const ProtobufCMessage *m, const void *arg)
{
	(void)arg;
	return m->descriptor == &pg_query__func_call__descriptor ||
	       m->descriptor == &pg_query__sub_link__descriptor;
}

/* (l...) op (r...) as element comparisons; NULL on error (c->err set). */
static PgQuery__Node *row_op(sql_ctx *c, const char *op, PgQuery__RowExpr *l, PgQuery__RowExpr *r,
			     int loc)
{
	int n = (int)l->n_args, eq = !strcmp(op, "="), ne = !strcmp(op, "<>");
	const char *strict = !strcmp(op, "<") || !strcmp(op, "<=") ? "<" : ">";
	PgQuery__Node *acc;
	if (l->n_args != r->n_args)
		return sql_err(c, SQLSTATE_SYNTAX_ERROR, loc,
			       "unequal number of entries in row expressions"),
		       NULL;
	if (n == 0)
		return sql_unsupported(c, "comparisons of empty rows", loc), NULL;
	if (!eq && !ne && strcmp(op, "<") && strcmp(op, "<=") && strcmp(op, ">") &&
	    strcmp(op, ">="))
		return sql_unsupported(c, "this operator between rows", loc), NULL;
	for (int i = 0; !eq && !ne && i < n - 1; i++) /* repeated below: pure ones only */
		if (sql_tree_any(&l->args[i]->base, volatile_fn, NULL) ||
		    sql_tree_any(&r->args[i]->base, volatile_fn, NULL))
			return sql_unsupported(c,
					       "a function call or subquery in a row ordering "
					       "comparison",
					       loc),
			       NULL;
	acc = sql_pt_op(c, op, l->args[n - 1], r->args[n - 1], loc);
	for (int i = n - 2; acc && i >= 0; i--) {
		PgQuery__Node *x = l->args[i], *y = r->args[i];
		if (eq || ne)
			acc = sql_pt_bool(c, eq, sql_pt_op(c, op, x, y, loc), acc);
		else
			acc = sql_pt_bool(c, 0, sql_pt_op(c, strict, x, y, loc),
					  sql_pt_bool(c, 1, sql_pt_op(c, "=", x, y, loc), acc));
	}
	return acc;
}

/* (a, b) [NOT] IN ((..), (..)): row equalities ORed (NOT IN: row
 * inequalities ANDed). */
static PgQuery__Node *row_in_list(sql_ctx *c, PgQuery__AExpr *a, int negate)
{
	PgQuery__List *list = a->rexpr->node_case == PG_QUERY__NODE__NODE_LIST ? a->rexpr->list
									       : NULL;
	PgQuery__Node *acc = NULL;
	if (!list || list->n_items == 0)
		return sql_unsupported(c, "this IN with a row", a->location), NULL;
	for (size_t i = 0; i < list->n_items; i++) {
		PgQuery__Node *one;
		if (!is_row(list->items[i]))
			return sql_err(c, SQLSTATE_SYNTAX_ERROR, a->location,
				       "unequal number of entries in row expressions"),
			       NULL;
		one = row_op(c, negate ? "<>" : "=", a->lexpr->row_expr, list->items[i]->row_expr,
			     a->location);
		if (!one)
			return NULL;
		acc = acc ? sql_pt_bool(c, negate, acc, one) : one;
		if (!acc)
			return NULL;
	}
	return acc;
}

sql_expr *sql_row_aexpr(sql_ctx *c, PgQuery__AExpr *a)
{
	const char *op = a->n_name == 1 ? sql_node_str(a->name[0]) : NULL;
	PgQuery__Node *n;
	if (a->kind == PG_QUERY__A__EXPR__KIND__AEXPR_OP && op && is_row(a->lexpr) && a->rexpr &&
	    a->rexpr->node_case == PG_QUERY__NODE__NODE_SUB_LINK &&
	    a->rexpr->sub_link->sub_link_type == PG_QUERY__SUB_LINK_TYPE__EXPR_SUBLINK) {
		/* (a, b) op (SELECT x, y): PostgreSQL's ROWCOMPARE sublink */
		PgQuery__SubLink *sl = sql_alloc(c, sizeof *sl);
		if (!sl)
			return NULL;
		*sl = *a->rexpr->sub_link;
		sl->sub_link_type = PG_QUERY__SUB_LINK_TYPE__ROWCOMPARE_SUBLINK;
		sl->testexpr = a->lexpr;
		sl->oper_name = a->name;
		sl->n_oper_name = a->n_name;
		sl->location = a->location;
		return sql_analyze_sublink(c, sl);
	}
	if (a->kind == PG_QUERY__A__EXPR__KIND__AEXPR_IN)
		n = row_in_list(c, a, op && !strcmp(op, "<>"));
	else if (a->kind == PG_QUERY__A__EXPR__KIND__AEXPR_OP && op && is_row(a->lexpr) &&
		 is_row(a->rexpr))
		n = row_op(c, op, a->lexpr->row_expr, a->rexpr->row_expr, a->location);
	else
		return sql_unsupported(c, "this operation on a row constructor", a->location), NULL;
	return n ? sql_analyze_expr(c, n) : NULL;
}

/* ---- with a subquery ---- */

static const char *sublink_op(PgQuery__SubLink *sl)
{
	PgQuery__Node *n;
	if (sl->n_oper_name == 0)
		return "="; /* IN */
	n = sl->oper_name[sl->n_oper_name - 1];
	return n->node_case == PG_QUERY__NODE__NODE_STRING ? n->string->sval : "?";
}

/* The row's elements and the subquery's columns brought to comparable
 * types, as for one column (analyze_subq.c's set_test). */
static int unify_row(sql_ctx *c, const char *op, sql_expr **x, sql_query *q, int n, int loc)
{
	for (int i = 0; i < n; i++)
		if (sql_unify_compare(c, op, &x[i], &q->targets[i].e, loc) != MUR_OK ||
		    sql_set_keys_numeric(c, op, &x[i], &q->targets[i].e, loc) != MUR_OK ||
		    sql_set_keys_bpchar(c, &x[i], &q->targets[i].e, loc) != MUR_OK)
			return MUR_ERR;
	return MUR_OK;
}

sql_expr *sql_row_sublink(sql_ctx *c, PgQuery__SubLink *sl, int in, int all)
{
	PgQuery__RowExpr *row = sl->testexpr->row_expr;
	const char *op = sublink_op(sl);
	int n = (int)row->n_args, k;
	sql_expr *x[ROWCMP_COLS_MAX], *call, *set;
	sql_query *q;
	sql_setop *so;
	if (in && strcmp(op, all ? "<>" : "="))
		return sql_unsupported(c, "ANY / ALL with a row and this operator", sl->location),
		       NULL;
	if (!in && strcmp(op, "=") && strcmp(op, "<>") && strcmp(op, "<") && strcmp(op, "<=") &&
	    strcmp(op, ">") && strcmp(op, ">="))
		return sql_unsupported(c, "this operator between rows", sl->location), NULL;
	if (n < 1 || n > ROWCMP_COLS_MAX)
		return sql_unsupported(c, "a row comparison of this many columns", sl->location),
		       NULL;
	for (int i = 0; i < n; i++)
		if (!(x[i] = sql_analyze_expr(c, row->args[i])))
			return NULL;
	c->corr_why = "a row comparison with a subquery is taken only uncorrelated";
	if (sql_analyze_nested(c, sl->subselect, &q, &so, sl->location) != MUR_OK)
		return NULL;
	if (!q)
		return sql_unsupported(c, "a row comparison with a set operation", sl->location),
		       NULL;
	if (q->ntarget != n)
		return sql_err(c, SQLSTATE_SYNTAX_ERROR, sl->location,
			       q->ntarget > n ? "subquery has too many columns"
					      : "subquery has too few columns"),
		       NULL;
	if (unify_row(c, in ? "=" : op, x, q, n, sl->location) != MUR_OK)
		return NULL;
	if (in)
		sql_sub_set_shape(q);
	else if (!q->limit) /* a second row is all that matters */
		q->limit = sql_make_const_int(c, 2, MT_INT8);
	if ((k = sql_sub_add(c, SQL_SUB_SET, q, NULL, sl->location)) < 0 ||
	    !(set = sql_sub_ref(c, k, MT_BYTEA, -1, sl->location)) ||
	    !(call = sql_make_call(c, in ? "mur_subq_rowin" : "mur_subq_rowcmp", MT_BOOL,
				   sl->location, 0)))
		return NULL;
	call->nargs = n + (in ? 1 : 2);
	if (!(call->args = sql_alloc(c, sizeof(sql_expr *) * (size_t)call->nargs)))
		return NULL;
	call->args[0] = set;
	if (!in && !(call->args[1] = sql_make_const_text(c, op)))
		return NULL;
	memcpy(call->args + (in ? 1 : 2), x, sizeof(sql_expr *) * (size_t)n);
	return in && all ? sql_make_op(c, "NOT", MT_BOOL, sl->location, call, NULL) : call;
}
