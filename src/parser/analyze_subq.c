/*
 * analyze_subq.c — subqueries in expressions, and what every kind of
 * nested query shares: each becomes one entry of the statement's flat
 * list of subs (sql_ctx.subs), inner ones first, which run once before
 * the statement (sql/plan_subq.c, leader/lead_subq.c).
 *
 *   (SELECT x ...)              SQL_SUB_SCALAR: an SE_SUBQ of x's type
 *   EXISTS (SELECT ...)         SQL_SUB_EXISTS: an SE_SUBQ of type boolean
 *                               (correlated by one equality: a semi-join,
 *                               analyze_semijoin.c; otherwise by the outer
 *                               table's key: analyze_outerkey.c)
 *   x [NOT] IN (SELECT y ...),  SQL_SUB_SET: mur_subq_in(x, set) or
 *   x op ANY / ALL (SELECT y)   mur_subq_cmp(x, set, op, all) over an SE_SUBQ
 *                               holding the distinct values (storage/sqlfn_subq.c)
 *   (a, b) [NOT] IN / op        rows compared: analyze_rowcmp.c
 *   (SELECT x, y ...)
 *   FROM (SELECT ...), WITH     merged into the query, or SQL_SUB_ROWS
 *                               (analyze_from_subq.c)
 *   UNION / INTERSECT / EXCEPT  each branch SQL_SUB_ROWS (analyze_setop.c)
 *
 * Any other column of an enclosing query is 0A000 (sql_check_outer_column).
 * Analysis of a nested query saves and restores the enclosing query's
 * state in the context (its scope, aggregate flags: sql_scope_enter).
 */
#include "parser/analyze_subq_int.h"

#include <stdio.h>
#include <string.h>

int sql_unsupported(sql_ctx *c, const char *what, int loc)
{
	return sql_err(c, SQLSTATE_FEATURE_NOT_SUPPORTED, loc, "murphy does not support %s yet",
		       what);
}

const char *sql_node_str(PgQuery__Node *n)
{
	return n && n->node_case == PG_QUERY__NODE__NODE_STRING ? n->string->sval : NULL;
}

/* ---- nested scopes ---- */

int sql_scope_enter(sql_ctx *c, sql_scope_save *sv, int loc)
{
	*sv = (sql_scope_save){c->q,
			       c->agg_ok,
			       c->in_agg,
			       c->seen_agg,
			       c->targets_typed_later,
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

void sql_scope_leave(sql_ctx *c, const sql_scope_save *sv)
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

static int correlated(sql_ctx *c, const char *col, const char *tbl, int loc)
{
	sql_err(c, SQLSTATE_FEATURE_NOT_SUPPORTED, loc,
		"murphy does not support correlated subqueries yet");
	mur_error_detail(c->err,
			 "The subquery refers to column \"%s\" of the query around it (table "
			 "\"%s\").",
			 col, tbl);
	if (c->corr_why)
		mur_error_hint(c->err,
			       "It is not decorrelated: %s. Write it as a join, or as an "
			       "uncorrelated subquery.",
			       c->corr_why);
	else
		mur_error_hint(c->err, "Write it as a join, or as an uncorrelated subquery (IN, "
				       "EXISTS over the whole table).");
	return MUR_ERR;
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
			return correlated(c, col, q->rtes[i].alias, loc);
		}
		for (int v = 0; v < q->nview; v++) /* a merged subquery's names */
			if ((!tbl || !strcmp(q->views[v].alias, tbl)) &&
			    sql_view_column(q, q->views[v].alias, col, NULL))
				return correlated(c, col, q->views[v].alias, loc);
	}
	return MUR_OK;
}

int sql_outer_from_item(const sql_ctx *c, const char *name)
{
	for (int k = c->nouter - 1; k >= 0; k--) {
		const sql_query *q = c->outer[k];
		for (int i = 0; i < q->nrte; i++)
			if (!q->rtes[i].merged && !strcmp(q->rtes[i].alias, name))
				return 1;
		if (sql_view_find(q, name) >= 0)
			return 1;
	}
	return 0;
}

/* A nested SELECT (or set operation) analyzed in its own scope: *q, or
 * *so for a set operation. */
int sql_analyze_nested(sql_ctx *c, PgQuery__Node *n, sql_query **q, sql_setop **so, int loc)
{
	sql_scope_save sv;
	PgQuery__SelectStmt *s;
	if (!n || n->node_case != PG_QUERY__NODE__NODE_SELECT_STMT)
		return sql_unsupported(c, "this kind of subquery", loc);
	s = n->select_stmt;
	if (sql_scope_enter(c, &sv, loc) != MUR_OK)
		return MUR_ERR;
	*q = NULL;
	*so = NULL;
	if (s->op != PG_QUERY__SET_OPERATION__SETOP_NONE)
		*so = sql_analyze_setop(c, s);
	else
		*q = sql_analyze_select(c, s);
	sql_scope_leave(c, &sv);
	return (*q || *so) ? MUR_OK : MUR_ERR;
}

int sql_sub_ntarget(const sql_sub *sb) { return sb->q ? sb->q->ntarget : sb->setop->ntarget; }

sql_target *sql_sub_targets(const sql_sub *sb)
{
	return sb->q ? sb->q->targets : sb->setop->targets;
}

/* One more sub; its index, -1 on error. */
int sql_sub_add(sql_ctx *c, sql_sub_kind kind, sql_query *q, sql_setop *so, int loc)
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
sql_expr *sql_sub_ref(sql_ctx *c, int k, mur_type t, int32_t typmod, int loc)
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
void sql_sub_set_shape(sql_query *q)
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
	sql_target *t = &sql_sub_targets(sb)[0];
	const char *op = sublink_op(sl);
	sql_expr *x, *y = t->e, *set;
	if (!cmp_op_ok(op))
		return sql_unsupported(c, "this operator with ANY/ALL (subquery)", sl->location),
		       NULL;
	if (!(x = sql_analyze_expr(c, sl->testexpr)))
		return NULL;
	if (sql_unify_compare(c, op, &x, &y, sl->location) != MUR_OK ||
	    sql_set_keys_numeric(c, op, &x, &y, sl->location) != MUR_OK ||
	    sql_set_keys_bpchar(c, &x, &y, sl->location) != MUR_OK)
		return NULL;
	if (y != t->e) {
		if (!sb->q)
			return sql_unsupported(c, "this comparison with a set operation subquery",
					       sl->location),
			       NULL;
		t->e = y;
	}
	if (!(set = sql_sub_ref(c, k, MT_BYTEA, -1, sl->location)))
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
	case PG_QUERY__SUB_LINK_TYPE__ROWCOMPARE_SUBLINK: /* (a, b) op (SELECT x, y) */
		*kind = SQL_SUB_SCALAR;
		return NULL;
	case PG_QUERY__SUB_LINK_TYPE__ARRAY_SUBLINK:
		return sql_unsupported(c, "ARRAY (subquery)", sl->location), NULL;
	default:
		return sql_unsupported(c, "row comparisons with subqueries", sl->location), NULL;
	}
}

/* ---- (SELECT e) without FROM, reading the query's columns ----
 *
 * A subquery without FROM (nor WHERE, GROUP BY, aggregate, window,
 * DISTINCT, ORDER BY, LIMIT, set operation) is one row of its select list;
 * a column it names can only be the query's own.  Correlated so, it is
 * that row read in place: (SELECT e) is e, x op ANY / ALL (SELECT e) is
 * x op e, ROW(a, b) op (SELECT e, f) is ROW(a, b) op ROW(e, f) (and
 * EXISTS is left: true, uncorrelated or not).  NULL when it is not such a
 * subquery (c->err untouched). */
static int names_column(const ProtobufCMessage *m, const void *arg)
{
	(void)arg;
	return m->descriptor == &pg_query__column_ref__descriptor;
}

static int fromless_shape(const PgQuery__SelectStmt *s)
{
	return s->op == PG_QUERY__SET_OPERATION__SETOP_NONE && !s->n_from_clause &&
	       !s->where_clause && !s->n_group_clause && !s->having_clause &&
	       !s->n_distinct_clause && !s->n_window_clause && !s->n_sort_clause &&
	       !s->limit_count && !s->limit_offset && !s->with_clause && !s->n_values_lists &&
	       !s->into_clause && !s->n_locking_clause && s->n_target_list > 0;
}

/* A nested subquery, but for (SELECT e) of the same shape (read in place
 * in its turn: (SELECT (SELECT t)) is t). */
static int is_sublink(const ProtobufCMessage *m, const void *arg)
{
	const PgQuery__SubLink *sl = (const PgQuery__SubLink *)m;
	(void)arg;
	if (m->descriptor != &pg_query__sub_link__descriptor)
		return 0;
	return sl->sub_link_type != PG_QUERY__SUB_LINK_TYPE__EXPR_SUBLINK || !sl->subselect ||
	       sl->subselect->node_case != PG_QUERY__NODE__NODE_SELECT_STMT ||
	       !fromless_shape(sl->subselect->select_stmt);
}

/* SELECT * / SELECT t.*: a star item (t.* inside a cast is t's row). */
static int is_star_item(const PgQuery__Node *v)
{
	return v->node_case == PG_QUERY__NODE__NODE_COLUMN_REF &&
	       v->column_ref->fields[v->column_ref->n_fields - 1]->node_case ==
		       PG_QUERY__NODE__NODE_A_STAR;
}

static sql_expr *fromless_inline(sql_ctx *c, PgQuery__SubLink *sl)
{
	PgQuery__SelectStmt *s = sl->subselect && sl->subselect->node_case ==
							  PG_QUERY__NODE__NODE_SELECT_STMT
					 ? sl->subselect->select_stmt
					 : NULL;
	PgQuery__Node *row, **args, *e;
	PgQuery__RowExpr *r;
	int reads = 0;
	if (!s || !fromless_shape(s) ||
	    sl->sub_link_type == PG_QUERY__SUB_LINK_TYPE__EXISTS_SUBLINK)
		return NULL;
	for (size_t i = 0; i < s->n_target_list; i++) {
		PgQuery__Node *v = s->target_list[i]->res_target->val;
		if (!v || is_star_item(v) || sql_tree_has_aggregate(v) ||
		    sql_tree_any(&v->base, is_sublink, NULL))
			return NULL; /* an outer aggregate, a nested subquery, a star */
		reads |= sql_tree_any(&v->base, names_column, NULL);
	}
	if (!reads)
		return NULL; /* uncorrelated: run once as any other */
	if (sl->sub_link_type == PG_QUERY__SUB_LINK_TYPE__EXPR_SUBLINK)
		return s->n_target_list == 1
			       ? sql_analyze_expr(c, s->target_list[0]->res_target->val)
			       : (sql_err(c, SQLSTATE_SYNTAX_ERROR, sl->location,
					  "subquery must return only one column"),
				  NULL);
	if (sl->sub_link_type != PG_QUERY__SUB_LINK_TYPE__ANY_SUBLINK &&
	    sl->sub_link_type != PG_QUERY__SUB_LINK_TYPE__ALL_SUBLINK &&
	    sl->sub_link_type != PG_QUERY__SUB_LINK_TYPE__ROWCOMPARE_SUBLINK)
		return NULL;
	if (!sl->testexpr)
		return NULL;
	if (s->n_target_list == 1 && sl->testexpr->node_case != PG_QUERY__NODE__NODE_ROW_EXPR) {
		row = s->target_list[0]->res_target->val;
	} else {
		if (!(row = sql_pt_node(c, PG_QUERY__NODE__NODE_ROW_EXPR)) ||
		    !(r = sql_alloc(c, sizeof *r)) ||
		    !(args = sql_alloc(c, s->n_target_list * sizeof *args)))
			return NULL;
		pg_query__row_expr__init(r);
		for (size_t i = 0; i < s->n_target_list; i++)
			args[i] = s->target_list[i]->res_target->val;
		r->args = args;
		r->n_args = s->n_target_list;
		r->row_format = PG_QUERY__COERCION_FORM__COERCE_EXPLICIT_CALL;
		r->location = sl->location;
		row->row_expr = r;
	}
	if (!(e = sql_pt_op(c, sublink_op(sl), sl->testexpr, row, sl->location)))
		return NULL;
	return sql_analyze_expr(c, e);
}

sql_expr *sql_analyze_sublink(sql_ctx *c, PgQuery__SubLink *sl)
{
	sql_sub_kind kind = SQL_SUB_SCALAR;
	sql_query *q;
	sql_setop *so;
	sql_expr *in;
	int all, k;
	if (!c->subq_ok)
		return sql_unsupported(c, "subqueries in this statement", sl->location), NULL;
	if ((in = fromless_inline(c, sl)) || mur_error_is_set(c->err))
		return in;
	if (sublink_kind(c, sl, &kind, &all) || mur_error_is_set(c->err))
		return NULL;
	if (sl->testexpr && sl->testexpr->node_case == PG_QUERY__NODE__NODE_ROW_EXPR &&
	    (kind == SQL_SUB_SET ||
	     sl->sub_link_type == PG_QUERY__SUB_LINK_TYPE__ROWCOMPARE_SUBLINK))
		return sql_row_sublink(c, sl, kind == SQL_SUB_SET, all); /* analyze_rowcmp.c */
	c->corr_why = "it is compared by ANY / ALL with another operator than IN's";
	if (kind != SQL_SUB_SET || !strcmp(sublink_op(sl), all ? "<>" : "=")) {
		/* correlated by equalities: a semi-join (analyze_semijoin.c); by
		 * anything else: by the outer table's key (analyze_outerkey.c) */
		sql_expr *semi = sql_outerkey_semijoin(c, sl, kind, all, 0);
		if (!semi && !mur_error_is_set(c->err))
			semi = kind == SQL_SUB_EXISTS   ? sql_exists_semijoin(c, sl)
			       : kind == SQL_SUB_SCALAR ? sql_scalar_semijoin(c, sl)
							: sql_in_semijoin(c, sl, all);
		if (!semi && !mur_error_is_set(c->err))
			semi = sql_outerkey_semijoin(c, sl, kind, all, 1);
		if (semi || mur_error_is_set(c->err))
			return semi;
	}
	if (sql_analyze_nested(c, sl->subselect, &q, &so, sl->location) != MUR_OK)
		return NULL;
	if (kind != SQL_SUB_EXISTS && (q ? q->ntarget : so->ntarget) != 1)
		return sql_err(c, SQLSTATE_SYNTAX_ERROR, sl->location,
			       kind == SQL_SUB_SCALAR ? "subquery must return only one column"
						      : "subquery has too many columns"),
		       NULL;
	if (kind == SQL_SUB_SET)
		sql_sub_set_shape(q);
	if (q && !q->limit && kind != SQL_SUB_SET) /* a second row is all that matters */
		q->limit = sql_make_const_int(c, kind == SQL_SUB_EXISTS ? 1 : 2, MT_INT8);
	if ((k = sql_sub_add(c, kind, q, so, sl->location)) < 0)
		return NULL;
	if (kind == SQL_SUB_SET)
		return set_test(c, sl, k, all);
	if (kind == SQL_SUB_EXISTS)
		return sql_sub_ref(c, k, MT_BOOL, -1, sl->location);
	return sql_sub_ref(c, k, sql_sub_targets(&c->subs[k])[0].e->type,
			   sql_sub_targets(&c->subs[k])[0].e->typmod, sl->location);
}
