/*
 * analyze_regr.c — PostgreSQL's two-argument statistical aggregates:
 * corr, covar_pop, covar_samp and regr_count, regr_sxx, regr_syy,
 * regr_sxy, regr_avgx, regr_avgy, regr_slope, regr_intercept, regr_r2
 * (Y first, X second, both as double precision; rows where either is NULL
 * ignored).
 *
 * Each becomes plain aggregates the planner already distributes (partial
 * per shard, merged on the leader) over the pairs where both are present:
 *
 *   x' = CASE WHEN y IS NOT NULL THEN x END     y' likewise
 *   N = count(x'), Sx = sum(x'), Sy = sum(y'), Sxx = sum(x'*x'),
 *   Syy = sum(y'*y'), Sxy = sum(x'*y')
 *
 * and mur_regr(kind, N, Sx, Sy, Sxx, Syy, Sxy) (storage/sqlfn_math.c)
 * computes the answer with PostgreSQL's NULL rules (no pair: NULL; a
 * sample statistic needs two; a zero variance makes a slope or
 * correlation NULL, regr_r2 1 when only Y's is zero).  The sums are
 * naive (PostgreSQL uses Youngs-Cramer's centered sums): with values far
 * from their mean the last digits may differ.  Not as window functions
 * or with DISTINCT / ORDER BY inside (0A000).
 */
#include "parser/analyze_subq_int.h"

#include <string.h>

static const char *const kinds[] = {
	"regr_count", "regr_sxx",   "regr_syy", "regr_sxy",   "regr_avgx",      "regr_avgy",
	"covar_pop",  "covar_samp", "corr",     "regr_slope", "regr_intercept", "regr_r2",
};

int sql_regr_kind(const char *name)
{
	for (size_t i = 0; i < sizeof kinds / sizeof kinds[0]; i++)
		if (!strcmp(kinds[i], name))
			return (int)i + 1;
	return 0;
}

static sql_expr *agg(sql_ctx *c, int fn, sql_expr *arg, int loc)
{
	sql_expr *e = arg ? sql_expr_new(c, SE_AGG, sql_agg_type(fn, arg->type), loc) : NULL;
	if (!e || !(e->args = sql_alloc(c, sizeof *e->args)))
		return NULL;
	e->agg = fn;
	e->nargs = 1;
	e->args[0] = arg;
	c->seen_agg = 1;
	return e;
}

/* a when other is not NULL, else NULL (a float8). */
static sql_expr *paired(sql_ctx *c, sql_expr *a, sql_expr *other, int loc)
{
	sql_expr *present = sql_make_op(c, "IS NOT NULL", MT_BOOL, loc, other, NULL);
	if (!present)
		return NULL;
	present->postfix = 1;
	return sql_make_case_when(c, present, a, loc);
}

static sql_expr *arg_float8(sql_ctx *c, PgQuery__Node *n)
{
	sql_expr *e;
	c->in_agg = 1;
	e = sql_analyze_expr(c, n);
	c->in_agg = 0;
	if (!e || !(e = sql_resolve_unknown(c, e)))
		return NULL;
	if (sql_type_category(e->type) != 'N')
		return sql_err(c, SQLSTATE_UNDEFINED_FUNCTION, e->loc,
			       "function does not exist: the arguments must be numbers, not %s",
			       sql_type_name(e->type)),
		       NULL;
	return e->type == MT_FLOAT8 ? e : sql_make_cast(c, e, MT_FLOAT8, e->loc);
}

sql_expr *sql_analyze_regr(sql_ctx *c, PgQuery__FuncCall *f, int kind, const char *name)
{
	sql_expr *y, *x, *xs, *ys, *a[6], *k;
	int loc = f->location;
	if (f->over || f->agg_distinct || f->n_agg_order || f->agg_filter || f->agg_star)
		return sql_err(c, SQLSTATE_FEATURE_NOT_SUPPORTED, loc,
			       "murphy does not support %s with OVER, DISTINCT, ORDER BY, FILTER "
			       "or * yet",
			       name),
		       NULL;
	if (f->n_args != 2)
		return sql_err(c, SQLSTATE_UNDEFINED_FUNCTION, loc,
			       "function %s takes two arguments (Y, X)", name),
		       NULL;
	if (sql_agg_context(c, f, 0) != MUR_OK || !(y = arg_float8(c, f->args[0])) ||
	    !(x = arg_float8(c, f->args[1])) || !(xs = paired(c, x, y, loc)) ||
	    !(ys = paired(c, y, x, loc)) || !(a[0] = agg(c, SQL_AGG_COUNT, xs, loc)))
		return NULL;
	if (kind == 1) /* regr_count: bigint, 0 over no pair */
		return a[0];
	if (!(a[1] = agg(c, SQL_AGG_SUM, xs, loc)) || !(a[2] = agg(c, SQL_AGG_SUM, ys, loc)) ||
	    !(a[3] = agg(c, SQL_AGG_SUM, sql_make_op(c, "*", MT_FLOAT8, loc, xs, xs), loc)) ||
	    !(a[4] = agg(c, SQL_AGG_SUM, sql_make_op(c, "*", MT_FLOAT8, loc, ys, ys), loc)) ||
	    !(a[5] = agg(c, SQL_AGG_SUM, sql_make_op(c, "*", MT_FLOAT8, loc, xs, ys), loc)))
		return NULL;
	if (!(k = sql_make_const_int(c, kind, MT_INT4)))
		return NULL;
	return sql_make_call(c, "mur_regr", MT_FLOAT8, loc, 7, k, a[0], a[1], a[2], a[3], a[4],
			     a[5]);
}
