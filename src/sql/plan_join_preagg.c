/*
 * plan_join_preagg.c — a shuffled join's side counted by its key before
 * it moves (eager aggregation below the join; docs/shuffle.md).
 *
 * TPC-H's Q13 joins customer LEFT JOIN orders (not co-located) and counts
 * each customer's orders: every order row crossed the network to the
 * customer's owner, was loaded, indexed and joined there, to be counted.
 * When a table B of a two-table join appears only
 *
 *   - in the join's key equality (a.k = b.k, in ON or WHERE),
 *   - in its own filters that its side SQL applies (ON conjuncts moved
 *     there by plan_join.c; a WHERE conjunct on B is refused here, the
 *     owners' SQL would read it again),
 *   - as the argument of count(b.x) (not DISTINCT, x not the key),
 *
 * and every aggregate of the query is such a count, then each sender
 * groups its B rows by the key and counts x (a hash aggregate on the SEND
 * task): (k, count(x1), ...) in place of (k, x1, ...), the columns keeping
 * their names in the owner's table.  The owner's query runs unchanged: a
 * row of A meets one row per sender holding its key instead of one per B
 * row, and the owner's aggregate adds the counts (EXEC_AGG_SUM_COUNT: 0 when
 * A met nothing, as count gives).  Why it is exact: count(b.x) over the
 * rows of a group is the sum, over the group's A rows, of the B rows
 * matching each with x not NULL — which is what the partial counts add up
 * to, whichever sender holds them.  Not with count(*) or any aggregate of
 * A's columns (they would count partial rows instead of B rows), nor with
 * a RIGHT or FULL JOIN.
 *
 * Q13 at sf 0.1: ~142,000 order rows → ~68,000 (custkey, count) rows sent,
 * loaded and joined.
 */
#include "sql/sqlInt.h"

#include <string.h>

#define PREAGG_CONJUNCTS_MAX 64

/* count(b.x), x a column of b other than its key. */
static int is_side_count(const sql_expr *e, int b, int key)
{
	return e->kind == SE_AGG && e->agg == SQL_AGG_COUNT && !e->distinct && !e->agg_flags &&
	       e->nargs == 1 && e->args[0]->kind == SE_COLUMN && e->args[0]->rte == b &&
	       e->args[0]->col != key;
}

/* e reads no column of b outside such counts. */
static int b_free(const sql_expr *e, int b, int key)
{
	if (!e)
		return 1;
	if (e->kind == SE_COLUMN)
		return e->rte != b;
	if (e->kind == SE_WINDOW)
		return 0;
	if (is_side_count(e, b, key))
		return 1;
	for (int i = 0; i < e->nargs; i++)
		if (!b_free(e->args[i], b, key))
			return 0;
	return 1;
}

/* a.k = b.k: the join's key equality. */
static int is_key_equality(const sql_expr *e, int b, int key)
{
	const sql_expr *l, *r;
	if (e->kind != SE_OP || e->nargs != 2 || strcmp(e->op, "=") ||
	    !(l = sql_equated_column(e->args[0])) || !(r = sql_equated_column(e->args[1])))
		return 0;
	if (r->rte == b)
		l = r, r = sql_equated_column(e->args[0]);
	return l->rte == b && l->col == key && r->rte != b;
}

/* Every conjunct of e is the key equality or reads no column of b. */
static int conjuncts_ok(sql_expr *e, int b, int key)
{
	sql_expr *conj[PREAGG_CONJUNCTS_MAX + 1];
	int n = sql_conjuncts(e, conj, 0, PREAGG_CONJUNCTS_MAX + 1);
	if (n > PREAGG_CONJUNCTS_MAX)
		return 0;
	for (int i = 0; i < n; i++)
		if (!is_key_equality(conj[i], b, key) && !b_free(conj[i], b, key))
			return 0;
	return 1;
}

static int side_ok(const sql_query *q, int b, int key, sql_expr *const *aggs, int nagg)
{
	if (key < 0 || nagg < 1)
		return 0;
	for (int i = 0; i < nagg; i++)
		if (!is_side_count(aggs[i], b, key))
			return 0;
	for (int i = 0; i < q->ntarget; i++)
		if (!b_free(q->targets[i].e, b, key))
			return 0;
	for (int i = 0; i < q->ngroup; i++)
		if (!b_free(q->group[i], b, key))
			return 0;
	for (int i = 0; i < q->nsort; i++)
		if (!b_free(q->sorts[i].e, b, key))
			return 0;
	if (!b_free(q->having, b, key) || !conjuncts_ok(q->where, b, key))
		return 0;
	for (int t = 0; t < q->nrte; t++)
		if (!conjuncts_ok(q->rtes[t].on, b, key))
			return 0;
	return 1;
}

int sql_join_preaggregate(sql_ctx *c, const sql_query *q, plan_select *ps, sql_expr *const *aggs,
			  int nagg)
{
	exec_agg_spec *spec;
	int b = -1, ncount = 0;
	if (!ps->join_shuffle || q->nrte != 2 || !ps->has_partial_agg ||
	    ps->partial_agg.nexprs != 0)
		return -1;
	for (int t = 0; t < q->nrte; t++)
		if (q->rtes[t].join_right || !q->rtes[t].table)
			return -1;
	for (int t = 0; t < q->nrte && b < 0; t++)
		if (side_ok(q, t, sql_join_key_of(q, t), aggs, nagg))
			b = t;
	if (b < 0)
		return -1;
	for (uint32_t j = 0; j < ps->partial_agg.naggs; j++)
		if (ps->partial_agg.aggs[j].fn != EXEC_AGG_COUNT)
			return -1; /* count(x) read as count(*): rows, not B rows */
	if (!(spec = sql_alloc(c, sizeof *spec)))
		return -1;
	memset(spec, 0, sizeof *spec);
	spec->ngroup = 1;
	spec->keys = ps->join_keys;
	/* the side SQL's columns: the key, then the columns used in order
	 * (plan_join.c describe_table): here exactly the counted ones */
	for (int col = 0; col < q->rtes[b].table->ncols; col++) {
		int counted = 0;
		for (int i = 0; i < nagg; i++)
			counted |= aggs[i]->args[0]->col == col;
		if (!counted)
			continue;
		spec->aggs[spec->naggs++] = (exec_agg){.fn = EXEC_AGG_COUNT,
						       .col = 1u + (uint32_t)ncount};
		ncount++;
	}
	ps->join_side_agg[sql_rte_slot(q, b)] = spec;
	ps->join_merge = 1 + sql_rte_slot(q, b);
	for (uint32_t j = 0; j < ps->partial_agg.naggs; j++)
		ps->partial_agg.aggs[j].fn = EXEC_AGG_SUM_COUNT;
	return sql_rte_slot(q, b);
}
