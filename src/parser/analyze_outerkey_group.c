/*
 * analyze_outerkey_group.c — a correlated subquery in a grouped query
 * (HAVING, a GROUP BY query's select list, or its WHERE), decorrelated by
 * the value of the one column of the query it reads (the outer-key rewrite
 * of analyze_outerkey.c, whose walk has found that column):
 *
 *   SELECT g, (SELECT count(*) FROM f WHERE f.v < o.g) FROM o GROUP BY g
 *     ==> (SELECT count(*) FROM f, o AS m WHERE f.v < m.g AND m.g = o.g
 *          AND m.pk IN (SELECT min(o.pk) FROM o GROUP BY o.g))
 *
 * then the key-set rewrite (analyze_semijoin.c) as for any equality.
 */
#include "parser/analyze_outerkey_int.h"

#include <stdio.h>
#include <string.h>

/* ---- a grouped query around it: decorrelated by the group's value ----
 *
 * The rows around a subquery in HAVING or in a grouped select list are
 * groups, which no table key stands for; the subquery can only read the
 * grouped columns (PostgreSQL's 42803 otherwise, which the probe in the
 * grouped query gives too).  With one such column g of table o, the
 * subquery gets a copy m of o with `m.pk IN (SELECT min(pk) FROM o GROUP
 * BY g)` (one row of each value, so a scalar subquery's aggregates count
 * each inner row once; an uncorrelated set, run once) and the key m.g =
 * o.g; a nullable g is keyed by concat(g IS NULL, ',', g) instead,
 * so the NULL group meets the subquery's rows for a NULL g (for the types
 * whose text is one per value). */

/* Types whose values and texts are one to one (1.0 and 1.00 are one
 * numeric of two texts; -0 and 0 one double). */
static int text_is_value(mur_type t)
{
	return mur_type_is_integer(t) || t == MT_BOOL || t == MT_TEXT || t == MT_VARCHAR ||
	       t == MT_DATE || t == MT_UUID;
}

static PgQuery__Node *is_null(sql_ctx *c, PgQuery__Node *arg)
{
	PgQuery__NullTest *nt = sql_alloc(c, sizeof *nt);
	PgQuery__Node *n = sql_pt_node(c, PG_QUERY__NODE__NODE_NULL_TEST);
	if (!nt || !n || !arg)
		return NULL;
	pg_query__null_test__init(nt);
	nt->arg = arg;
	nt->nulltesttype = PG_QUERY__NULL_TEST_TYPE__IS_NULL;
	nt->location = -1;
	n->null_test = nt;
	return n;
}

/* alias.col = tbl.col, or its NULL-safe form over the texts. */
static PgQuery__Node *group_key(sql_ctx *c, const char *alias, const char *tbl, const char *col,
				int nullable)
{
	PgQuery__Node *in = sql_pt_colref(c, alias, sql_pt_string(c, col));
	PgQuery__Node *out = sql_pt_colref(c, tbl, sql_pt_string(c, col));
	if (nullable) {
		in = sql_pt_concat3(c, is_null(c, in), in);
		out = sql_pt_concat3(c, is_null(c, out), out);
	}
	return sql_pt_op(c, "=", in, out, -1);
}

/* alias.pk IN (SELECT min(t.pk) FROM t GROUP BY t.col): one row of the
 * copy for each value of col (an uncorrelated IN set, run once,
 * distributed) */
static PgQuery__Node *one_per_value(sql_ctx *c, const cat_table *t, const char *pk, const char *col,
				    const char *alias)
{
	PgQuery__Node *n = sql_pt_node(c, PG_QUERY__NODE__NODE_SUB_LINK);
	PgQuery__Node *sel = sql_pt_node(c, PG_QUERY__NODE__NODE_SELECT_STMT);
	PgQuery__Node *tl = sql_pt_node(c, PG_QUERY__NODE__NODE_RES_TARGET);
	PgQuery__Node *min = sql_pt_node(c, PG_QUERY__NODE__NODE_FUNC_CALL);
	PgQuery__SubLink *sl = sql_alloc(c, sizeof *sl);
	PgQuery__SelectStmt *st = sql_alloc(c, sizeof *st);
	PgQuery__ResTarget *rt = sql_alloc(c, sizeof *rt);
	PgQuery__FuncCall *f = sql_alloc(c, sizeof *f);
	PgQuery__Node **from = sql_alloc(c, sizeof *from), **tls = sql_alloc(c, sizeof *tls),
		      **grp = sql_alloc(c, sizeof *grp);
	if (!n || !sel || !tl || !min || !sl || !st || !rt || !f || !from || !tls || !grp)
		return NULL;
	pg_query__sub_link__init(sl);
	pg_query__select_stmt__init(st);
	pg_query__res_target__init(rt);
	pg_query__func_call__init(f);
	if (!(f->funcname = sql_alloc(c, sizeof *f->funcname)) ||
	    !(f->funcname[0] = sql_pt_string(c, "min")) ||
	    !(f->args = sql_alloc(c, sizeof *f->args)) ||
	    !(f->args[0] = sql_pt_colref(c, t->name, sql_pt_string(c, pk))) ||
	    !(grp[0] = sql_pt_colref(c, t->name, sql_pt_string(c, col))) ||
	    !(from[0] = sql_okey_table_again(c, t, t->name)) ||
	    !(sl->testexpr = sql_pt_colref(c, alias, sql_pt_string(c, pk))))
		return NULL;
	f->n_funcname = 1;
	f->n_args = 1;
	f->location = -1;
	min->func_call = f;
	st->op = PG_QUERY__SET_OPERATION__SETOP_NONE;
	st->limit_option = PG_QUERY__LIMIT_OPTION__LIMIT_OPTION_DEFAULT;
	rt->val = min;
	rt->location = -1;
	tl->res_target = rt;
	tls[0] = tl;
	st->target_list = tls;
	st->n_target_list = 1;
	st->from_clause = from;
	st->n_from_clause = 1;
	st->group_clause = grp;
	st->n_group_clause = 1;
	sel->select_stmt = st;
	sl->sub_link_type = PG_QUERY__SUB_LINK_TYPE__ANY_SUBLINK; /* IN */
	sl->subselect = sel;
	sl->location = -1;
	n->sub_link = sl;
	return n;
}

/* where AND cond, one flat AND (the key-set rewrite reads its top-level
 * conjuncts). */
static PgQuery__Node *where_with(sql_ctx *c, PgQuery__Node *where, PgQuery__Node *cond)
{
	PgQuery__Node *n;
	PgQuery__BoolExpr *b;
	if (!where || where->node_case != PG_QUERY__NODE__NODE_BOOL_EXPR ||
	    where->bool_expr->boolop != PG_QUERY__BOOL_EXPR_TYPE__AND_EXPR)
		return where ? sql_pt_bool(c, 1, where, cond) : cond;
	if (!(n = sql_pt_node(c, PG_QUERY__NODE__NODE_BOOL_EXPR)) || !(b = sql_alloc(c, sizeof *b)))
		return NULL;
	*b = *where->bool_expr;
	if (!(b->args = sql_alloc(c, (b->n_args + 1) * sizeof *b->args)))
		return NULL;
	memcpy(b->args, where->bool_expr->args, b->n_args * sizeof *b->args);
	b->args[b->n_args++] = cond;
	n->bool_expr = b;
	return n;
}

PgQuery__SubLink *sql_okey_grouped(okey *k, PgQuery__SubLink *sl, PgQuery__SelectStmt *s)
{
	sql_ctx *c = k->c;
	const sql_rte *rt = &c->q->rtes[k->t[0]];
	const char *col = NULL;
	char name[CAT_NAME_MAX];
	int ci, nullable, pk[2];
	okey_copy kc = {k, {NULL, NULL}};
	PgQuery__Node *sub, **from, wrap, *cp, *key, *one;
	PgQuery__SelectStmt *s2;
	PgQuery__SubLink *sl2;
	k->why = "it reads columns of two tables, or two columns, of the grouped query around it";
	if (k->t[1] >= 0)
		return NULL;
	for (int i = 0; i < k->nrefs; i++) {
		const char *n = sql_node_str(k->refs[i]->fields[k->refs[i]->n_fields - 1]);
		if (!n || (col && strcmp(col, n)))
			return NULL;
		col = n;
	}
	if (!col || (ci = cat_column_index(rt->table, col)) < 0 || rt->merged || rt->series ||
	    rt->rec || rt->rec_work || rt->values) {
		k->why = "the grouped query around it reads it from a subquery or function";
		return NULL;
	}
	nullable = !rt->table->cols[ci].not_null || !sql_okey_table_rows_ok(c->q, k->t[0]);
	if (nullable && !text_is_value(rt->table->cols[ci].type)) {
		k->why = "the grouped query around it groups by a nullable column of a type whose "
			 "values have several texts (numeric, float, timestamp ...)";
		return NULL;
	}
	if (sql_okey_from_names(c, s, rt->alias)) {
		k->why = "a FROM item of the subquery has the name of the table around it";
		return NULL;
	}
	if (sql_okey_primary_key(rt->table, pk) != 1) {
		k->why = "the table of the grouped query around it has a primary key of more than "
			 "one column";
		return NULL;
	}
	snprintf(name, sizeof name, "murphy_group%d_%d", c->nouter, c->nsubs);
	pg_query__node__init(&wrap);
	wrap.node_case = PG_QUERY__NODE__NODE_SELECT_STMT;
	wrap.select_stmt = s;
	if (!(kc.alias[0] = sql_strdup(c, name)) ||
	    !(sub = sql_pt_node(c, PG_QUERY__NODE__NODE_SELECT_STMT)) ||
	    !(cp = sql_pt_map(c, &wrap, sql_okey_renamed, &kc)) || !(s2 = cp->select_stmt) ||
	    !(from = sql_alloc(c, (s->n_from_clause + 1) * sizeof *from)) ||
	    !(sl2 = sql_alloc(c, sizeof *sl2)) ||
	    !(key = group_key(c, kc.alias[0], rt->alias, col, nullable)) ||
	    !(one = one_per_value(c, rt->table, rt->table->cols[pk[0]].name, col, kc.alias[0])) ||
	    !(from[s->n_from_clause] = sql_okey_table_again(c, rt->table, kc.alias[0])))
		return NULL;
	memcpy(from, s2->from_clause, s->n_from_clause * sizeof *from);
	s2->from_clause = from;
	s2->n_from_clause = s->n_from_clause + 1;
	if (!(s2->where_clause = where_with(c, s2->where_clause, key)) ||
	    !(s2->where_clause = where_with(c, s2->where_clause, one)))
		return NULL;
	sub->select_stmt = s2;
	*sl2 = *sl;
	sl2->subselect = sub;
	return sl2;
}
