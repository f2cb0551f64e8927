/*
 * plan_subq.c — plans for the subqueries of a statement and for set
 * operations (parser/analyze_subq.c analyzes them).
 *
 * Subqueries: every uncorrelated subquery is its own plan, run once before
 * the statement (leader/lead_subq.c), distributed like any SELECT (router,
 * scatter-gather, shuffles...).  Scalar, set and EXISTS results bind
 * parameters numbered after the statement's own ($1..$n, then ?n+1 for
 * sub 0, ...), so the statement's shard SQL and final SQL read them as
 * constants (and `dist_col = (SELECT ...)` prunes to one shard like a
 * parameter).  The rows of a subquery in FROM, a WITH query or a set
 * operation's branch go to a leader table; the query reading them is a
 * leader plan over those tables.
 *
 * Set operations: the leader combines its branches' rows in its SQLite:
 * UNION [ALL], INTERSECT and EXCEPT as SQLite's compound SELECT (a right
 * operand that is itself a set operation in parentheses: libpg_query's
 * tree already has PostgreSQL's precedence); INTERSECT ALL and EXCEPT ALL,
 * which SQLite lacks, pair the k-th copy of a row on each side: each side's
 * rows numbered per distinct row (row_number() OVER (PARTITION BY every
 * column)), then INTERSECT / EXCEPT on (row, number).  ORDER BY / LIMIT /
 * OFFSET apply to the combined rows.
 */
#include "sql/sqlInt.h"

#include <stdio.h>
#include <string.h>

static const char *sub_table_name(sql_ctx *c, int k)
{
	char name[CAT_NAME_MAX + 8];
	snprintf(name, sizeof name, "murphy__sub%d", k);
	return sql_strdup(c, name);
}

static int plan_setop(sql_ctx *c, const sql_setop *so, plan *p);

static int plan_one(sql_ctx *c, const sql_sub *sb, plan_sub *ps)
{
	if (!(ps->p = sql_plan_new(c, PLAN_EMPTY, "")))
		return MUR_ERR;
	return sb->q ? sql_plan_query(c, sb->q, ps->p) : plan_setop(c, sb->setop, ps->p);
}

int sql_plan_subs(sql_ctx *c, plan *p)
{
	int base = *c->nparams > c->nparam_given ? *c->nparams : c->nparam_given;
	if (c->nsubs == 0)
		return MUR_OK;
	if (base + c->nsubs > PLAN_PARAMS_MAX)
		return sql_err(c, SQLSTATE_PROGRAM_LIMIT_EXCEEDED, c->subs[0].loc,
			       "too many parameters and subqueries (at most %d together)",
			       PLAN_PARAMS_MAX);
	if (!(p->subs = sql_alloc(c, sizeof(plan_sub) * (size_t)c->nsubs)))
		return MUR_ERR;
	p->nsubs = c->nsubs;
	p->nparams_all = base + c->nsubs;
	for (int k = 0; k < c->nsubs; k++) { /* every number first: plans name them */
		sql_sub *sb = &c->subs[k];
		p->subs[k].kind = (plan_sub_kind)sb->kind;
		p->subs[k].param = base + k + 1;
		p->subs[k].semijoin = sb->semijoin;
		p->subs[k].ship = sb->ship;
		sb->param = base + k + 1; /* shipped rows: parser/analyze_ship.c */
		if (sb->ref) {
			sb->ref->param = base + k + 1;
			c->param_types[base + k] = sb->ref->type;
		}
		if (sb->kind == SQL_SUB_ROWS && !(p->subs[k].table = sub_table_name(c, k)))
			return MUR_ERR;
	}
	for (int k = 0; k < c->nsubs; k++)
		if (plan_one(c, &c->subs[k], &p->subs[k]) != MUR_OK)
			return MUR_ERR;
	return MUR_OK;
}

int sql_plan_subs_bound(const plan *p)
{
	/* a distributed SELECT's shard and final SQL read no leader table:
	 * a rows subquery there (a set operation's branch, FROM inside a
	 * subquery) feeds a subquery after it, whose value is bound */
	return p->kind == PLAN_SELECT;
}

/* ---- set operations ---- */

static const char *op_sql(const sql_setop *n)
{
	return n->kind == SQL_SETOP_UNION       ? "UNION"
	       : n->kind == SQL_SETOP_INTERSECT ? "INTERSECT"
						: "EXCEPT";
}

static void emit_cols(mur_buf *b, int ncols)
{
	for (int i = 0; i < ncols; i++)
		mur_buf_printf(b, "%sc%d", i ? ", " : "", i);
}

static void emit_node(mur_buf *b, const sql_setop *n, const sql_setop *top);

/* One side of INTERSECT ALL / EXCEPT ALL: its rows, each numbered among
 * its equals. */
static void emit_numbered(mur_buf *b, const sql_setop *n, const sql_setop *top)
{
	mur_buf_printf(b, "SELECT *, row_number() OVER (PARTITION BY ");
	emit_cols(b, top->ntarget);
	mur_buf_printf(b, ") FROM (");
	emit_node(b, n, top);
	mur_buf_printf(b, ")");
}

/* A branch's rows; a column whose equal values have other spellings
 * compared by value (sql_key_collate): character(n) without its trailing
 * spaces, 'a   ' = 'a     ', numeric 1.0 = 1, numeric[] {1.0} = {1},
 * interval, jsonb (SQLite keeps a column's collation through the compound
 * and the subqueries around it). */
static void emit_leaf(mur_buf *b, const sql_setop *n, const sql_setop *top)
{
	int any = 0;
	for (int i = 0; i < top->ntarget; i++)
		any |= *sql_key_collate(top->targets[i].e->type) != '\0';
	if (!any) {
		mur_buf_printf(b, "SELECT * FROM main.\"murphy__sub%d\"", n->sub);
		return;
	}
	mur_buf_printf(b, "SELECT ");
	for (int i = 0; i < top->ntarget; i++)
		mur_buf_printf(b, "%sc%d%s AS c%d", i ? ", " : "", i,
			       sql_key_collate(top->targets[i].e->type), i);
	mur_buf_printf(b, " FROM main.\"murphy__sub%d\"", n->sub);
}

static void emit_node(mur_buf *b, const sql_setop *n, const sql_setop *top)
{
	int ncols = top->ntarget;
	if (n->kind == SQL_SETOP_LEAF) {
		emit_leaf(b, n, top);
		return;
	}
	if (n->all && n->kind != SQL_SETOP_UNION) {
		mur_buf_printf(b, "SELECT ");
		emit_cols(b, ncols);
		mur_buf_printf(b, " FROM (");
		emit_numbered(b, n->l, top);
		mur_buf_printf(b, " %s ", op_sql(n));
		emit_numbered(b, n->r, top);
		mur_buf_printf(b, ")");
		return;
	}
	emit_node(b, n->l, top);
	mur_buf_printf(b, " %s%s ", op_sql(n), n->all ? " ALL" : "");
	if (n->r->kind == SQL_SETOP_LEAF) {
		emit_node(b, n->r, top);
		return;
	}
	mur_buf_printf(b, "SELECT * FROM (");
	emit_node(b, n->r, top);
	mur_buf_printf(b, ")");
}

static int count_leaves(const sql_setop *n)
{
	return n->kind == SQL_SETOP_LEAF ? 1 : count_leaves(n->l) + count_leaves(n->r);
}

static int plan_setop(sql_ctx *c, const sql_setop *so, plan *p)
{
	mur_buf b;
	sql_emit e = {&b, NULL, 0};
	sql_query q = {.ntarget = so->ntarget, .targets = so->targets};
	char desc[128];
	p->kind = PLAN_LEADER_SELECT;
	p->tag = "SELECT";
	if (sql_plan_outputs(c, &q, p) != MUR_OK)
		return MUR_ERR;
	mur_buf_init(&b);
	mur_buf_printf(&b, "SELECT * FROM (");
	emit_node(&b, so, so);
	mur_buf_printf(&b, ")");
	for (int i = 0; i < so->nsort; i++) {
		sql_expr slot = {.kind = SE_SLOT, .slot = so->sorts[i].target};
		mur_buf_printf(&b, i ? ", " : " ORDER BY ");
		sql_emit_sort(&e, &slot, so->sorts[i].desc, so->sorts[i].nulls_first);
	}
	if (so->limit || so->offset) {
		mur_buf_printf(&b, " LIMIT ");
		if (so->limit)
			sql_emit_expr(&e, so->limit);
		else
			mur_buf_printf(&b, "-1");
	}
	if (so->offset) {
		mur_buf_printf(&b, " OFFSET ");
		sql_emit_expr(&e, so->offset);
	}
	snprintf(desc, sizeof desc,
		 "%s%s of %d branches, each run distributed, combined on the leader", op_sql(so),
		 so->all ? " ALL" : "", count_leaves(so));
	p->setop_desc = sql_strdup(c, desc);
	return (p->leader_sql = sql_buf_finish(c, &b)) && p->setop_desc ? MUR_OK : MUR_ERR;
}

int sql_plan_setop_stmt(sql_ctx *c, PgQuery__SelectStmt *s, plan *p)
{
	sql_setop *so = sql_analyze_setop(c, s);
	if (!so || sql_plan_subs(c, p) != MUR_OK)
		return MUR_ERR;
	return plan_setop(c, so, p);
}
