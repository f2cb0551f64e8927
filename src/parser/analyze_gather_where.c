/*
 * analyze_gather_where.c — the WHERE conditions a gathered table can take
 * to its shards.
 *
 * Where a query runs on the leader with its tables gathered as (SELECT *
 * FROM t) (WITH RECURSIVE's recursive term, json set-returning functions
 * over a column, aggregates with DISTINCT over several tables:
 * analyze_select.c, c->gather_tables), each table would move every row.
 * The query's WHERE conjuncts that read only t's columns, qualified by t's
 * name (t.x, not x), go with it: (SELECT * FROM t WHERE t.x = 1), which
 * the shards filter.  The query keeps its whole WHERE, so this only drops
 * rows the WHERE drops anyway; never with an outer join in FROM (a row of
 * the nullable side filtered early would come back null-extended), a
 * subquery, or a volatile function (it would run twice).
 */
#include "parser/analyze_subq_int.h"

#include <string.h>

static int foreign(const ProtobufCMessage *m, const void *alias)
{
	if (m->descriptor == &pg_query__column_ref__descriptor) {
		const PgQuery__ColumnRef *r = (const PgQuery__ColumnRef *)m;
		const char *t = r->n_fields == 2 ? sql_node_str(r->fields[0]) : NULL;
		return !t || strcmp(t, alias) || !sql_node_str(r->fields[1]);
	}
	if (m->descriptor == &pg_query__sub_link__descriptor)
		return 1;
	if (m->descriptor == &pg_query__func_call__descriptor) {
		const PgQuery__FuncCall *f = (const PgQuery__FuncCall *)m;
		if (sql_pt_volatile_call(m, NULL))
			return 1;
		return f->agg_star || f->over; /* count(*), windows: not row conditions */
	}
	return 0;
}

/* Whether n reads a column at all (a constant condition stays put). */
static int column(const ProtobufCMessage *m, const void *arg)
{
	(void)arg;
	return m->descriptor == &pg_query__column_ref__descriptor;
}

int sql_from_has_outer_join(const PgQuery__SelectStmt *s)
{
	for (size_t i = 0; i < s->n_from_clause; i++) {
		const PgQuery__Node *n = s->from_clause[i];
		while (n->node_case == PG_QUERY__NODE__NODE_JOIN_EXPR) {
			if (n->join_expr->jointype != PG_QUERY__JOIN_TYPE__JOIN_INNER)
				return 1;
			if (n->join_expr->rarg->node_case == PG_QUERY__NODE__NODE_JOIN_EXPR)
				return 1; /* nested on the right: not looked into */
			n = n->join_expr->larg;
		}
	}
	return 0;
}

PgQuery__Node *sql_gather_where(sql_ctx *c, const char *alias)
{
	PgQuery__Node *w = c->gather_where, **take, *one = w;
	PgQuery__Node *const *terms = &one;
	size_t n = 1, k = 0;
	if (!w || c->nouter != c->gather_where_depth) /* a nested query's table */
		return NULL;
	if (w->node_case == PG_QUERY__NODE__NODE_BOOL_EXPR &&
	    w->bool_expr->boolop == PG_QUERY__BOOL_EXPR_TYPE__AND_EXPR) {
		terms = w->bool_expr->args;
		n = w->bool_expr->n_args;
	}
	if (!(take = sql_alloc(c, sizeof *take * n)))
		return NULL;
	for (size_t i = 0; i < n; i++)
		if (sql_tree_any(&terms[i]->base, column, NULL) &&
		    !sql_tree_any(&terms[i]->base, foreign, alias))
			take[k++] = terms[i];
	return sql_pt_and_list(c, take, k);
}
