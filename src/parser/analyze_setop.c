/*
 * analyze_setop.c — UNION / INTERSECT / EXCEPT [ALL]: a tree (sql_setop)
 * whose leaves are ROWS subs, one per branch, each planned as its own
 * distributed query; sql/plan_subq.c combines them on the leader.  Column
 * types follow PostgreSQL's transformSetOperationTree: a branch's untyped
 * literals (NULL, 'x', $1) stay unknown (targets_typed_later), each set
 * operation node takes the common type of its two inputs (as for CASE:
 * sql_type_common) and resolves two unknowns as text, so `SELECT id FROM t
 * UNION SELECT NULL` is integer while `SELECT 1 UNION (SELECT NULL UNION
 * SELECT NULL)` is 42804; every branch is then cast to the top's type.
 * ORDER BY takes output names and positions only, as in PostgreSQL.
 */
#include "parser/analyze_subq_int.h"

#include <stdio.h>
#include <string.h>

/* ---- set operations ---- */

static sql_setop *setop_tree(sql_ctx *c, PgQuery__SelectStmt *s)
{
	sql_setop *n = sql_alloc(c, sizeof *n);
	if (!n)
		return NULL;
	switch (s->op) {
	case PG_QUERY__SET_OPERATION__SETOP_NONE: {
		sql_scope_save sv;
		sql_query *q;
		if (sql_scope_enter(c, &sv, -1) != MUR_OK)
			return NULL;
		c->targets_typed_later = 1; /* setop_type types the unknowns */
		q = sql_analyze_select(c, s);
		sql_scope_leave(c, &sv);
		n->kind = SQL_SETOP_LEAF;
		n->sub = q ? sql_sub_add(c, SQL_SUB_ROWS, q, NULL, -1) : -1;
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

/* Column i's type as node n outputs it, *loc where its leftmost branch
 * writes it: a branch's own (unknown for an untyped literal), a set
 * operation's the common type of its inputs, text when both are unknown
 * (PostgreSQL's select_common_type). */
static int setop_type(sql_ctx *c, const sql_setop *n, int i, int ncols, mur_type *t, int *loc)
{
	mur_type lt, rt;
	int rloc;
	if (n->kind == SQL_SETOP_LEAF) {
		sql_query *q = c->subs[n->sub].q;
		const sql_expr *e;
		if (q->ntarget != ncols)
			return sql_err(c, SQLSTATE_SYNTAX_ERROR, q->targets[0].loc,
				       "each set operation query must have the same number of "
				       "columns");
		e = q->targets[i].e;
		*t = e->kind == SE_PARAM && e->type == MT_UNKNOWN ? c->param_types[e->param - 1]
								  : e->type;
		*loc = q->targets[i].loc;
		return MUR_OK;
	}
	if (setop_type(c, n->l, i, ncols, &lt, loc) != MUR_OK ||
	    setop_type(c, n->r, i, ncols, &rt, &rloc) != MUR_OK)
		return MUR_ERR;
	*t = sql_type_common(lt, rt);
	if (*t == MT_UNKNOWN && lt != MT_UNKNOWN && rt != MT_UNKNOWN)
		return sql_err(c, SQLSTATE_DATATYPE_MISMATCH, rloc,
			       "%s types %s and %s cannot be matched", setop_name(n),
			       sql_type_name(lt), sql_type_name(rt));
	if (*t == MT_UNKNOWN)
		*t = MT_TEXT;
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
	if (sql_sort_order(c, sb, &out->desc, &out->nulls_first) != MUR_OK)
		return MUR_ERR;
	out->target = -1;
	if (n->node_case == PG_QUERY__NODE__NODE_A_CONST &&
	    n->a_const->val_case == PG_QUERY__A__CONST__VAL_IVAL) {
		int pos = n->a_const->ival->ival;
		if (pos < 1 || pos > top->ntarget)
			return sql_err(c, SQLSTATE_INVALID_COLUMN_REFERENCE, n->a_const->location,
				       "ORDER BY position %d is not in select list", pos);
		out->target = pos - 1;
	} else if (n->node_case == PG_QUERY__NODE__NODE_COLUMN_REF &&
		   n->column_ref->n_fields == 1 && sql_node_str(n->column_ref->fields[0])) {
		for (int i = 0; i < top->ntarget && out->target < 0; i++)
			if (!strcmp(top->targets[i].name, sql_node_str(n->column_ref->fields[0])))
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
		mur_type t;
		int loc;
		if (setop_type(c, top, i, top->ntarget, &t, &loc) != MUR_OK)
			return MUR_ERR;
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
		return sql_unsupported(c, what, -1), NULL;
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
