/*
 * analyze_ship.c — a gathered subquery joined with distributed tables:
 * its rows shipped to the shards (Citus's recursive planning).
 *
 * A subquery in FROM or a WITH query that is not a plain per-shard query
 * (grouped by a column other than the distribution column, DISTINCT,
 * LIMIT, a window, an aggregate over everything, VALUES, a set operation)
 * is a ROWS sub: the leader runs it first, distributed like any query,
 * and holds its rows (analyze_from_subq.c).  When the query reading it
 * also reads distributed tables, those rows are usually few (a grouping
 * made them) and the tables many: instead of gathering the tables to the
 * leader, the sub's rows travel to every shard task as one parameter (a
 * blob of mur_row values, sql_sub.ship), where the shard SQL reads them as
 * the table-valued function mur_subq_rows(?n, ncols) (storage/subq_rows.c)
 * joined like a reference table.  The rte keeps the sub (sql_rte.ship) and
 * takes no table slot (sql/plan_ship.c).
 *
 * Not shipped (the caller's 0A000 stands): a subquery of more than
 * SQL_SHIP_COLS_MAX columns; any when FROM is read with every subquery
 * gathered (c->no_merge: a RIGHT or FULL JOIN would null-extend a merged
 * one), which would ship a plain per-shard subquery's rows, maybe a
 * whole table.  Refused (0A000 naming it): an outer join
 * whose preserved side holds shipped rows and no distributed table while
 * the other side holds one (each shard would emit the rows that match
 * nothing in that shard).
 */
#include "parser/analyze_subq_int.h"

#include <string.h>

/* The ROWS sub whose leader table t is, or NULL. */
static sql_sub *sub_of(sql_ctx *c, const cat_table *t)
{
	for (int k = 0; k < c->nsubs; k++)
		if (c->subs[k].kind == SQL_SUB_ROWS && c->subs[k].table == t)
			return &c->subs[k];
	return NULL;
}

/* rtes [from, to) hold a table split into shards (not reference, not
 * virtual). */
static int has_split(const sql_query *q, int from, int to)
{
	for (int i = from; i < to; i++)
		if (q->rtes[i].table->kind != CAT_TABLE_VIRTUAL &&
		    !cat_table_is_reference(q->rtes[i].table))
			return 1;
	return 0;
}

static int has_ship(const sql_query *q, int from, int to)
{
	for (int i = from; i < to; i++)
		if (q->rtes[i].ship)
			return 1;
	return 0;
}

/* Whether shipped rows stand alone on the preserved side of an outer
 * join whose other side holds a distributed table. */
static int ship_preserved(const sql_query *q)
{
	for (int k = 1; k < q->nrte; k++) {
		if (q->rtes[k].join_left && has_ship(q, 0, k) && !has_split(q, 0, k) &&
		    has_split(q, k, k + 1))
			return 1;
		if (q->rtes[k].join_right && q->rtes[k].ship && has_split(q, 0, k))
			return 1;
	}
	return 0;
}

int sql_ship_subs(sql_ctx *c, sql_query *q)
{
	if (c->no_merge) /* every subquery gathered, also plain per-shard ones */
		return 0;
	for (int i = 0; i < q->nrte; i++) {
		sql_rte *r = &q->rtes[i];
		sql_sub *sb;
		if (r->table->kind != CAT_TABLE_VIRTUAL)
			continue;
		if (r->rec || r->series || r->values || !(sb = sub_of(c, r->table)) ||
		    r->table->ncols > SQL_SHIP_COLS_MAX)
			return 0;
	}
	for (int i = 0; i < q->nrte; i++)
		if (q->rtes[i].table->kind == CAT_TABLE_VIRTUAL)
			q->rtes[i].ship = sub_of(c, q->rtes[i].table);
	if (ship_preserved(q))
		return sql_unsupported(c,
				       "an outer join keeping the unmatched rows of a subquery in "
				       "FROM or a WITH query (computed first) against a "
				       "distributed "
				       "table",
				       -1);
	for (int i = 0; i < q->nrte; i++)
		if (q->rtes[i].ship)
			((sql_sub *)q->rtes[i].ship)->ship = 1;
	return 1;
}
