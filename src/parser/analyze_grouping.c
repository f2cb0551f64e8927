/*
 * analyze_grouping.c — GROUP BY GROUPING SETS / ROLLUP / CUBE and
 * GROUPING(...).
 *
 * Every expression any set names goes once into sql_query.group (as for a
 * plain GROUP BY, so the grouping check and the planner see them); each
 * grouping set is a bit mask over those indexes (sql_query.gsets).  The
 * sets are PostgreSQL's expansion: each item of the GROUP BY gives a list
 * of sets (a plain expression one set of itself, ROLLUP (a, b) the
 * prefixes {a, b} {a} {}, CUBE every subset, GROUPING SETS the
 * concatenation of its items' lists, () the empty set), and the GROUP BY's
 * sets are the cross product of its items' lists, duplicates kept.
 *
 * GROUPING(a, b) is an SE_CALL "mur_grouping" over group expressions: the
 * planner (sql/plan_grouping.c) turns it into each set's constant.  A
 * query without grouping sets has it 0 (sql_resolve_grouping).
 */
#include "parser/analyze.h"

#include <string.h>

#define SQLSTATE_STATEMENT_TOO_COMPLEX "54001"
#define SQLSTATE_TOO_MANY_ARGUMENTS "54023"

/* One GROUP BY item's list of sets (arena). */
typedef struct gs_list {
	int n;
	uint64_t *sets;
} gs_list;

static int too_many(sql_ctx *c, int loc)
{
	sql_err(c, SQLSTATE_STATEMENT_TOO_COMPLEX, loc, "murphy supports at most %d grouping sets",
		SQL_GROUPING_SETS_MAX);
	return MUR_ERR;
}

static int list_new(sql_ctx *c, gs_list *l, int n, int loc)
{
	if (n > SQL_GROUPING_SETS_MAX)
		return too_many(c, loc);
	l->n = 0;
	l->sets = sql_alloc(c, sizeof(uint64_t) * (size_t)(n ? n : 1));
	return l->sets ? MUR_OK : MUR_ERR;
}

/* The bit of one grouping expression (added to q->group when new). */
static int expr_bit(sql_ctx *c, sql_query *q, PgQuery__Node *n, uint64_t *bits)
{
	sql_expr *e = sql_analyze_group_item(c, q, n);
	int i;
	if (!e)
		return MUR_ERR;
	for (i = 0; i < q->ngroup; i++)
		if (sql_expr_equal(q->group[i], e))
			break;
	if (i == q->ngroup) {
		if (q->ngroup >= SQL_GROUP_MAX)
			return sql_err(c, SQLSTATE_PROGRAM_LIMIT_EXCEEDED, -1,
				       "murphy supports at most %d GROUP BY expressions",
				       SQL_GROUP_MAX);
		q->group[q->ngroup++] = e;
	}
	*bits |= (uint64_t)1 << i;
	return MUR_OK;
}

/* A ROLLUP / CUBE element: an expression, or (a, b) as one. */
static int element_bits(sql_ctx *c, sql_query *q, PgQuery__Node *n, uint64_t *bits)
{
	*bits = 0;
	if (n->node_case == PG_QUERY__NODE__NODE_ROW_EXPR) {
		for (size_t i = 0; i < n->row_expr->n_args; i++)
			if (expr_bit(c, q, n->row_expr->args[i], bits) != MUR_OK)
				return MUR_ERR;
		return MUR_OK;
	}
	if (n->node_case == PG_QUERY__NODE__NODE_GROUPING_SET) {
		for (size_t i = 0; i < n->grouping_set->n_content; i++)
			if (expr_bit(c, q, n->grouping_set->content[i], bits) != MUR_OK)
				return MUR_ERR;
		return MUR_OK;
	}
	return expr_bit(c, q, n, bits);
}

static int expand(sql_ctx *c, sql_query *q, PgQuery__Node *n, gs_list *out);

static int expand_rollup_cube(sql_ctx *c, sql_query *q, PgQuery__GroupingSet *g, gs_list *out)
{
	int k = (int)g->n_content, cube = g->kind == PG_QUERY__GROUPING_SET_KIND__GROUPING_SET_CUBE;
	uint64_t el[SQL_GROUP_MAX];
	if (k > SQL_GROUP_MAX || (cube && k > 12))
		return too_many(c, g->location);
	for (int i = 0; i < k; i++)
		if (element_bits(c, q, g->content[i], &el[i]) != MUR_OK)
			return MUR_ERR;
	if (list_new(c, out, cube ? 1 << k : k + 1, g->location) != MUR_OK)
		return MUR_ERR;
	if (!cube) { /* (e1..ek), (e1..ek-1), ..., () */
		for (int len = k; len >= 0; len--) {
			uint64_t s = 0;
			for (int i = 0; i < len; i++)
				s |= el[i];
			out->sets[out->n++] = s;
		}
		return MUR_OK;
	}
	/* PostgreSQL lists a cube's sets from the largest down */
	for (int mask = (1 << k) - 1; mask >= 0; mask--) {
		uint64_t s = 0;
		for (int i = 0; i < k; i++)
			if (mask & (1 << (k - 1 - i)))
				s |= el[i];
		out->sets[out->n++] = s;
	}
	return MUR_OK;
}

static int expand_sets(sql_ctx *c, sql_query *q, PgQuery__GroupingSet *g, gs_list *out)
{
	gs_list parts[SQL_GROUPING_SETS_MAX];
	int total = 0;
	if (g->n_content > SQL_GROUPING_SETS_MAX)
		return too_many(c, g->location);
	for (size_t i = 0; i < g->n_content; i++) {
		if (expand(c, q, g->content[i], &parts[i]) != MUR_OK)
			return MUR_ERR;
		total += parts[i].n;
	}
	if (list_new(c, out, total, g->location) != MUR_OK)
		return MUR_ERR;
	for (size_t i = 0; i < g->n_content; i++)
		for (int j = 0; j < parts[i].n; j++)
			out->sets[out->n++] = parts[i].sets[j];
	return MUR_OK;
}

static int expand(sql_ctx *c, sql_query *q, PgQuery__Node *n, gs_list *out)
{
	uint64_t bits = 0;
	if (n->node_case == PG_QUERY__NODE__NODE_GROUPING_SET) {
		PgQuery__GroupingSet *g = n->grouping_set;
		switch (g->kind) {
		case PG_QUERY__GROUPING_SET_KIND__GROUPING_SET_ROLLUP:
		case PG_QUERY__GROUPING_SET_KIND__GROUPING_SET_CUBE:
			return expand_rollup_cube(c, q, g, out);
		case PG_QUERY__GROUPING_SET_KIND__GROUPING_SET_SETS:
			return expand_sets(c, q, g, out);
		default: /* EMPTY (), SIMPLE (a, b) */
			break;
		}
	}
	if (n->node_case != PG_QUERY__NODE__NODE_GROUPING_SET ||
	    n->grouping_set->kind != PG_QUERY__GROUPING_SET_KIND__GROUPING_SET_EMPTY)
		if (element_bits(c, q, n, &bits) != MUR_OK)
			return MUR_ERR;
	if (list_new(c, out, 1, -1) != MUR_OK)
		return MUR_ERR;
	out->sets[out->n++] = bits;
	return MUR_OK;
}

int sql_analyze_grouping_sets(sql_ctx *c, sql_query *q, PgQuery__SelectStmt *s)
{
	gs_list acc, item, next;
	if (list_new(c, &acc, 1, -1) != MUR_OK)
		return MUR_ERR;
	acc.sets[acc.n++] = 0;
	for (size_t i = 0; i < s->n_group_clause; i++) {
		if (expand(c, q, s->group_clause[i], &item) != MUR_OK ||
		    list_new(c, &next, acc.n * item.n, -1) != MUR_OK)
			return MUR_ERR;
		for (int a = 0; a < acc.n; a++)
			for (int b = 0; b < item.n; b++)
				next.sets[next.n++] = acc.sets[a] | item.sets[b];
		acc = next;
	}
	q->ngsets = acc.n;
	q->gsets = acc.sets;
	return MUR_OK;
}

/* ---- GROUPING(...) ---- */

sql_expr *sql_analyze_grouping_func(sql_ctx *c, PgQuery__GroupingFunc *g)
{
	sql_expr *e;
	if (!c->agg_ok || c->in_agg) {
		sql_err(c, SQLSTATE_GROUPING_ERROR, g->location,
			"grouping operations are not allowed in %s",
			c->in_agg                       ? "aggregate arguments"
			: c->agg_where && *c->agg_where ? c->agg_where
							: "this context");
		return NULL;
	}
	if (g->n_args > SQL_GROUPING_ARGS_MAX) {
		sql_err(c, SQLSTATE_TOO_MANY_ARGUMENTS, g->location,
			"GROUPING must have fewer than %d arguments", SQL_GROUPING_ARGS_MAX + 1);
		return NULL;
	}
	e = sql_expr_new(c, SE_CALL, MT_INT4, g->location);
	if (!e || !(e->args = sql_alloc(c, sizeof(sql_expr *) * (g->n_args ? g->n_args : 1))))
		return NULL;
	e->op = SQL_GROUPING_FN;
	for (size_t i = 0; i < g->n_args; i++)
		if (!(e->args[e->nargs++] = sql_resolve_unknown(c,
								sql_analyze_expr(c, g->args[i]))))
			return NULL;
	return e;
}

int sql_group_index(const sql_query *q, const sql_expr *e)
{
	for (int i = 0; i < q->ngroup; i++)
		if (sql_expr_equal(q->group[i], e))
			return i;
	return -1;
}

static int resolve(sql_ctx *c, const sql_query *q, sql_expr *e)
{
	if (!e)
		return MUR_OK;
	if (e->kind == SE_CALL && !strcmp(e->op, SQL_GROUPING_FN)) {
		for (int i = 0; i < e->nargs; i++)
			if (sql_group_index(q, e->args[i]) < 0)
				return sql_err(c, SQLSTATE_GROUPING_ERROR, e->args[i]->loc,
					       "arguments to GROUPING must be grouping expressions "
					       "of the associated query level");
		if (!q->ngsets) { /* every argument grouped in the one set */
			e->kind = SE_CONST;
			e->val = mur_v_int(0);
			e->nargs = 0;
		}
		return MUR_OK;
	}
	for (int i = 0; i < e->nargs; i++)
		if (resolve(c, q, e->args[i]) != MUR_OK)
			return MUR_ERR;
	return MUR_OK;
}

int sql_resolve_grouping(sql_ctx *c, sql_query *q)
{
	for (int i = 0; i < q->ntarget; i++)
		if (resolve(c, q, q->targets[i].e) != MUR_OK)
			return MUR_ERR;
	for (int i = 0; i < q->nsort; i++)
		if (resolve(c, q, q->sorts[i].e) != MUR_OK)
			return MUR_ERR;
	return resolve(c, q, q->having);
}

int sql_grouping_value(const sql_query *q, const sql_expr *e, uint64_t set)
{
	int v = 0;
	for (int i = 0; i < e->nargs; i++)
		v = (v << 1) | !(set & ((uint64_t)1 << sql_group_index(q, e->args[i])));
	return v;
}
