/*
 * analyze_lateral_keyed.c — a LATERAL subquery that analyze_lateral_topn.c
 * cannot tie to the query by `inner = outer` equalities (a correlation by
 * another operator, an ORDER BY of an outer column), given a copy of the
 * one outer table it reads, tied by that table's key (as
 * analyze_outerkey.c does for subqueries in expressions):
 *
 *   FROM o, LATERAL (SELECT f.v FROM f WHERE f.ts <= o.ts
 *                    ORDER BY f.ts DESC LIMIT 1) s
 *     ==> FROM o, LATERAL (SELECT f.v FROM f, o AS _lat_m WHERE f.ts <= _lat_m.ts
 *                          AND _lat_m.pk = o.pk ORDER BY f.ts DESC LIMIT 1) s
 *
 * For each o row the copy _lat_m is that row (the key is unique), so the
 * subquery's rows are the original's; its only correlation is now the
 * key equality, which analyze_lateral_topn.c turns into a subquery joined
 * by the key (a top-N per key, aggregates grouped by it, a LEFT JOIN).
 * The join of f and the copy runs as any join (co-located, shuffled, with
 * a reference table): correct, but a correlation without an equality is a
 * join by a condition, not by a key.
 *
 * Taken only when every outer name is sure: the subquery's FROM plain
 * tables (analyze_lateral_topn.c checked), every column reference not of
 * them naming one table of the LATERAL's scope (the FROM items before it,
 * the join's left table), that table with a one-column primary key (not
 * the hidden row id of a table without one: the query may read the outer
 * table as `(SELECT * FROM o) o`, which does not hold it).  The select
 * list keeps its outer columns (analyze_lateral_topn.c computes such an
 * item in the query).  NULL otherwise.
 */
#include "parser/analyze_outerkey_int.h"

#include <string.h>

#define KEYED_SCOPE_MAX 64 /* FROM items before the LATERAL */
#define KEYED_ALIAS "_lat_m"

typedef struct keyed {
	sql_ctx *c;
	PgQuery__SelectStmt *sub;
	int nscope;
	PgQuery__Node *scope[KEYED_SCOPE_MAX]; /* the tables the LATERAL sees */
	int table;                             /* the one it reads, -1 none yet */
	int unsure;
} keyed;

static const char *rv_name(const PgQuery__Node *n)
{
	const PgQuery__RangeVar *rv = n->range_var;
	return rv->alias && rv->alias->aliasname ? rv->alias->aliasname : rv->relname;
}

/* The scope table column reference r names; -1 the subquery's own; -2
 * unsure. */
static int outer_of(keyed *k, const PgQuery__ColumnRef *r)
{
	const char *tbl = r->n_fields == 2 ? sql_node_str(r->fields[0]) : NULL;
	const char *col = sql_node_str(r->fields[r->n_fields - 1]);
	int found = -2, n = 0;
	if (!col || r->n_fields > 2 || (r->n_fields == 2 && !tbl))
		return -2;
	for (size_t i = 0; i < k->sub->n_from_clause; i++) {
		int has = sql_subq_from_has(k->c, k->sub->from_clause[i], tbl, col);
		if (has)
			return has < 0 ? -2 : -1;
	}
	for (int i = 0; i < k->nscope; i++)
		if (tbl ? !strcmp(tbl, rv_name(k->scope[i]))
			: sql_subq_from_has(k->c, k->scope[i], NULL, col) > 0) {
			found = i;
			n++;
		}
	return n == 1 ? found : -2;
}

static PgQuery__Node *to_copy(void *arg, PgQuery__Node *n)
{
	keyed *k = arg;
	const PgQuery__ColumnRef *r = n->column_ref;
	int t;
	if (r->fields[r->n_fields - 1]->node_case == PG_QUERY__NODE__NODE_A_STAR)
		return n; /* the subquery's own `*` (refused by the caller) */
	t = outer_of(k, r);
	if (t == -1)
		return n;
	if (t < 0 || (k->table >= 0 && k->table != t)) {
		k->unsure = 1;
		return NULL;
	}
	k->table = t;
	return sql_pt_colref(k->c, KEYED_ALIAS, r->fields[r->n_fields - 1]);
}

PgQuery__SelectStmt *sql_lateral_keyed(sql_ctx *c, PgQuery__SelectStmt *s, int at,
				       PgQuery__JoinExpr *join, PgQuery__RangeSubselect *rs)
{
	keyed k = {.c = c, .table = -1};
	PgQuery__Node wrap, *cp, **from, *eq, *item;
	PgQuery__SelectStmt *sub, *out;
	PgQuery__RangeSubselect *rs2;
	PgQuery__JoinExpr *j2;
	const cat_table *t;
	int pk[2];
	if (!rs->subquery || rs->subquery->node_case != PG_QUERY__NODE__NODE_SELECT_STMT)
		return NULL;
	k.sub = rs->subquery->select_stmt;
	if (join) {
		k.scope[k.nscope++] = join->larg;
	} else {
		for (int i = 0; i < at && i < KEYED_SCOPE_MAX; i++)
			k.scope[k.nscope++] = s->from_clause[i];
	}
	for (int i = 0; i < k.nscope; i++)
		if (k.scope[i]->node_case != PG_QUERY__NODE__NODE_RANGE_VAR ||
		    !strcmp(rv_name(k.scope[i]), KEYED_ALIAS))
			return NULL;
	if (sql_okey_from_names(c, k.sub, KEYED_ALIAS))
		return NULL;
	pg_query__node__init(&wrap);
	wrap.node_case = PG_QUERY__NODE__NODE_SELECT_STMT;
	wrap.select_stmt = k.sub;
	if (!(cp = sql_pt_map(c, &wrap, to_copy, &k)) || k.unsure || k.table < 0)
		return NULL;
	if (!(t = sql_rv_table(c, k.scope[k.table]->range_var)) ||
	    sql_okey_primary_key(t, pk) != 1 || t->cols[pk[0]].hidden)
		return NULL; /* the query may read its rows as (SELECT * ...): no hidden id */
	sub = cp->select_stmt;
	sub->target_list = k.sub->target_list; /* its outer columns: lifted by the caller */
	if (!(from = sql_alloc(c, (sub->n_from_clause + 1) * sizeof *from)) ||
	    !(from[sub->n_from_clause] = sql_okey_table_again(c, t, KEYED_ALIAS)) ||
	    !(eq = sql_pt_op(c, "=",
			     sql_pt_colref(c, KEYED_ALIAS, sql_pt_string(c, t->cols[pk[0]].name)),
			     sql_pt_colref(c, rv_name(k.scope[k.table]),
					   sql_pt_string(c, t->cols[pk[0]].name)),
			     -1)) ||
	    !(rs2 = sql_alloc(c, sizeof *rs2)) || !(out = sql_alloc(c, sizeof *out)) ||
	    !(item = sql_pt_node(c, PG_QUERY__NODE__NODE_RANGE_SUBSELECT)))
		return NULL;
	memcpy(from, sub->from_clause, sub->n_from_clause * sizeof *from);
	sub->from_clause = from;
	sub->n_from_clause++;
	if (!(sub->where_clause = sub->where_clause ? sql_pt_bool(c, 1, sub->where_clause, eq)
						    : eq))
		return NULL;
	*rs2 = *rs;
	rs2->subquery = cp;
	item->range_subselect = rs2;
	*out = *s;
	if (!(out->from_clause = sql_alloc(c, s->n_from_clause * sizeof *out->from_clause)))
		return NULL;
	memcpy(out->from_clause, s->from_clause, s->n_from_clause * sizeof *out->from_clause);
	if (join) {
		if (!(j2 = sql_alloc(c, sizeof *j2)) ||
		    !(out->from_clause[at] = sql_pt_node(c, PG_QUERY__NODE__NODE_JOIN_EXPR)))
			return NULL;
		*j2 = *join;
		j2->rarg = item;
		out->from_clause[at]->join_expr = j2;
	} else {
		out->from_clause[at] = item;
	}
	return out;
}
