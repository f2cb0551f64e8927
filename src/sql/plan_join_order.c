/*
 * plan_join_order.c — which table a co-located two-table join's shard SQL
 * loops over first.
 *
 * A shard file has no statistics (no sqlite_stat1), so SQLite takes every
 * table for the same size and, for `orders JOIN lineitem ON l_orderkey =
 * o_orderkey`, scans lineitem and looks each line's order up by its rowid.
 * TPC-H's Q3 filters orders by date and by a set of customers (a twelfth
 * of them pass) and lineitem by date (half pass): scanning orders and
 * seeking its lines in lineitem's key index does half the work (measured
 * on one shard: 4.2 vs 8.6 ms).  The leader knows each table's rows
 * (murphy.shards) and the filters, so it estimates both loop orders:
 *
 *   cost(A first) = rows(A) × (1 + sel(A) × fanout(B) × seek(B))
 *
 * rows per shard; sel the product of A's own conjuncts' guessed
 * selectivities (= a fixed value 1/20, a range 1/3, BETWEEN 1/4, an IN
 * set 1/4, anything else 1/2); fanout(B) = B's rows per A row (at least
 * 1); seek(B) 1 for an INTEGER PRIMARY KEY (SQLite's rowid), 2 through
 * an index (index, then table).  Only when one order costs under half the
 * other is it written (`FROM a CROSS JOIN b`, which SQLite keeps as
 * written); otherwise SQLite picks.  Only inner joins of two hash tables
 * joined on columns leading their primary keys (an index seek either
 * way), without statistics to go on for a table of no rows.
 */
#include "sql/sqlInt.h"

#include <string.h>

#define ORDER_CONJUNCTS_MAX 64
#define ORDER_MARGIN 0.5 /* force an order only when it costs under this share */

static int fixed(const sql_expr *e)
{
	return e->kind == SE_CONST || e->kind == SE_PARAM || e->kind == SE_SUBQ;
}

/* Guessed share of t's rows passing conjunct e, 1 when e is not t's alone. */
static double selectivity(const sql_expr *e, int t)
{
	const sql_expr *col = e->nargs >= 1 ? e->args[0] : NULL;
	if (!col || col->kind != SE_COLUMN || col->rte != t)
		return 1;
	for (int i = 1; i < e->nargs; i++)
		if (!fixed(e->args[i]))
			return 1;
	if (e->kind == SE_OP && e->nargs == 2)
		return !strcmp(e->op, "=")                             ? 0.05
		       : strchr("<>", e->op[0]) && strcmp(e->op, "<>") ? 0.33
								       : 0.5;
	if (e->kind == SE_BETWEEN)
		return e->negate ? 0.75 : 0.25;
	if (e->kind == SE_IN || (e->kind == SE_CALL && !strcmp(e->op, "mur_subq_in")))
		return e->negate ? 0.75 : 0.25;
	return 0.5;
}

static int rowid_key(const cat_table *t, int col)
{
	int npk = 0;
	for (int i = 0; i < t->ncols; i++)
		npk += t->cols[i].primary_key;
	return npk == 1 && mur_type_storage(t->cols[col].type) == MV_INT;
}

static double shard_rows(const cat_table *t)
{
	uint64_t n = 0;
	for (uint32_t s = 0; s < t->nshards; s++)
		n += t->shards[s].rows;
	return t->nshards ? (double)n / t->nshards : 0;
}

void sql_colocated_join_order(sql_query *q)
{
	sql_expr *conj[ORDER_CONJUNCTS_MAX + 1];
	double rows[2], sel[2] = {1, 1}, cost[2];
	int n, key[2];
	q->join_outer = 0;
	if (q->nrte != 2 || q->unnest)
		return;
	for (int t = 0; t < 2; t++) {
		const sql_rte *r = &q->rtes[t];
		if (r->join_left || r->join_right || !r->table || r->series || r->nvalues ||
		    r->table->kind == CAT_TABLE_VIRTUAL || cat_table_is_reference(r->table) ||
		    sql_is_sub_table(r->table))
			return;
		key[t] = sql_join_key_of(q, t);
		if (!sql_leads_primary_key(r->table, key[t]) ||
		    (rows[t] = shard_rows(r->table)) < 1)
			return;
	}
	n = sql_conjuncts(q->where, conj, 0, ORDER_CONJUNCTS_MAX + 1);
	if (q->rtes[1].on && n <= ORDER_CONJUNCTS_MAX)
		n = sql_conjuncts(q->rtes[1].on, conj, n, ORDER_CONJUNCTS_MAX + 1);
	if (n > ORDER_CONJUNCTS_MAX)
		return;
	for (int i = 0; i < n; i++)
		for (int t = 0; t < 2; t++)
			sel[t] *= selectivity(conj[i], t);
	for (int a = 0; a < 2; a++) {
		int b = 1 - a;
		double fan = rows[b] / rows[a] > 1 ? rows[b] / rows[a] : 1;
		cost[a] = rows[a] *
			  (1 + sel[a] * fan * (rowid_key(q->rtes[b].table, key[b]) ? 1 : 2));
	}
	if (cost[0] < cost[1] * ORDER_MARGIN)
		q->join_outer = 1;
	else if (cost[1] < cost[0] * ORDER_MARGIN)
		q->join_outer = 2;
}
