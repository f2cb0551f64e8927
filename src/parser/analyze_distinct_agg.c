/*
 * analyze_distinct_agg.c — sum(DISTINCT x), avg(DISTINCT x) and the other
 * aggregates with DISTINCT besides count, min and max, over distributed
 * tables.
 *
 * The shards' hash aggregates merge partials (sums, counts), which cannot
 * drop a value another shard also saw; count(DISTINCT) has its own
 * strategies (sql/plan_select.c).  A query with one of these runs on the
 * leader instead, where SQLite's aggregate drops the repeats, over the
 * rows the shards select:
 *
 *   SELECT g, sum(DISTINCT x) FROM t WHERE p GROUP BY g
 *   →  SELECT g, sum(DISTINCT x) FROM (SELECT * FROM t WHERE p) AS t GROUP BY g
 *
 * (a single table: its WHERE still runs on the shards, one shard when it
 * pins the distribution column); with several tables in FROM each is
 * gathered with the WHERE conditions on it alone (analyze_select.c,
 * c->gather_tables, analyze_gather_where.c).
 */
#include "parser/analyze_subq_int.h"

#include <string.h>

static int leader_agg(const ProtobufCMessage *m, const void *arg)
{
	const PgQuery__FuncCall *f = (const PgQuery__FuncCall *)m;
	const char *name;
	(void)arg;
	if (m->descriptor != &pg_query__func_call__descriptor || !f->agg_distinct || f->over ||
	    f->n_funcname == 0)
		return 0;
	static const char *const names[] = {"sum",    "avg",         "bool_and",  "bool_or",
					    "every",  "variance",    "var_samp",  "var_pop",
					    "stddev", "stddev_samp", "stddev_pop"};
	name = sql_node_str(f->funcname[f->n_funcname - 1]);
	for (size_t i = 0; name && i < sizeof names / sizeof names[0]; i++)
		if (!strcmp(name, names[i]))
			return 1;
	return 0;
}

int sql_leader_distinct_aggs(const PgQuery__SelectStmt *s)
{
	for (size_t i = 0; i < s->n_target_list; i++)
		if (sql_tree_any(&s->target_list[i]->base, leader_agg, NULL))
			return 1;
	for (size_t i = 0; i < s->n_sort_clause; i++)
		if (sql_tree_any(&s->sort_clause[i]->base, leader_agg, NULL))
			return 1;
	/* no &NULL->base: member access through a null pointer is UB */
	return s->having_clause && sql_tree_any(&s->having_clause->base, leader_agg, NULL);
}

PgQuery__SelectStmt *sql_distinct_agg_rewrite(sql_ctx *c, PgQuery__SelectStmt *s)
{
	PgQuery__SelectStmt *out;
	PgQuery__RangeSubselect *rs;
	PgQuery__Alias *alias;
	PgQuery__RangeVar *rv;
	PgQuery__Node **from;
	if (s->n_from_clause != 1 ||
	    s->from_clause[0]->node_case != PG_QUERY__NODE__NODE_RANGE_VAR || s->n_locking_clause ||
	    !sql_leader_distinct_aggs(s))
		return s;
	rv = s->from_clause[0]->range_var;
	if (!(out = sql_alloc(c, sizeof *out)) || !(rs = sql_alloc(c, sizeof *rs)) ||
	    !(alias = sql_alloc(c, sizeof *alias)) || !(from = sql_alloc(c, sizeof *from)))
		return s; /* c->err says so; analysis stops at the next allocation */
	*out = *s;
	pg_query__range_subselect__init(rs);
	pg_query__alias__init(alias);
	alias->aliasname = rv->alias && rv->alias->aliasname ? rv->alias->aliasname : rv->relname;
	rs->alias = alias;
	if (!(rs->subquery = sql_pt_select_star(c, s->from_clause[0], s->where_clause)) ||
	    !(from[0] = sql_pt_msg(c, PG_QUERY__NODE__NODE_RANGE_SUBSELECT, rs)))
		return s;
	out->from_clause = from;
	out->where_clause = NULL;
	return out;
}
