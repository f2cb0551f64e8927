/*
 * plan_lock.c — LOCK [TABLE] t [IN ACCESS SHARE MODE] → PLAN_LOCK.
 *
 * What the mode promises in PostgreSQL — the table is neither dropped nor
 * altered until the transaction ends — murphy gives through its shard
 * locks: in a REPEATABLE READ or SERIALIZABLE block every shard a read
 * touches stays locked, shared, to the block's end, and ALTER, DROP,
 * TRUNCATE and writers of the shard wait for it (docs/transactions.md).
 * So the lock is a read of every shard of t that returns nothing
 * (plan_lock.query: SELECT t.* FROM t LIMIT 0), and the leader answers
 * "LOCK TABLE".  Stronger than PostgreSQL's ACCESS SHARE (writers wait
 * too), never weaker; the leader refuses it outside such a block (25P01
 * outside any, 0A000 at READ COMMITTED, whose reads lock nothing).  The
 * other modes, NOWAIT and several tables in one statement are 0A000.
 * pg_dump locks each table it dumps this way (docs/decisions.md, "pg_dump").
 */
#include "sql/sqlInt.h"

#define PLAN_LOCK_ACCESS_SHARE 1 /* PostgreSQL's AccessShareLock */

/* SELECT rel.* FROM rv LIMIT 0, as a parse tree in c's arena. */
static PgQuery__Node *empty_read(sql_ctx *c, PgQuery__RangeVar *rv)
{
	PgQuery__Node *q = sql_alloc(c, sizeof *q), *from = sql_alloc(c, sizeof *from);
	PgQuery__Node *lim = sql_alloc(c, sizeof *lim);
	PgQuery__SelectStmt *sel = sql_alloc(c, sizeof *sel);
	PgQuery__AConst *zero = sql_alloc(c, sizeof *zero);
	PgQuery__Integer *ival = sql_alloc(c, sizeof *ival);
	PgQuery__Node **targets = sql_alloc(c, sizeof *targets),
		      **froms = sql_alloc(c, sizeof *froms);
	if (!q || !from || !lim || !sel || !zero || !ival || !targets || !froms ||
	    !(targets[0] = sql_col_target(c, rv->alias ? rv->alias->aliasname : rv->relname, NULL)))
		return NULL;
	pg_query__node__init(q);
	pg_query__node__init(from);
	pg_query__node__init(lim);
	pg_query__select_stmt__init(sel);
	pg_query__a__const__init(zero);
	pg_query__integer__init(ival);
	zero->val_case = PG_QUERY__A__CONST__VAL_IVAL;
	zero->ival = ival;
	zero->location = -1;
	lim->node_case = PG_QUERY__NODE__NODE_A_CONST;
	lim->a_const = zero;
	from->node_case = PG_QUERY__NODE__NODE_RANGE_VAR;
	from->range_var = rv;
	froms[0] = from;
	sel->target_list = targets;
	sel->n_target_list = 1;
	sel->from_clause = froms;
	sel->n_from_clause = 1;
	sel->limit_count = lim;
	sel->limit_option = PG_QUERY__LIMIT_OPTION__LIMIT_OPTION_COUNT;
	sel->op = PG_QUERY__SET_OPERATION__SETOP_NONE;
	q->node_case = PG_QUERY__NODE__NODE_SELECT_STMT;
	q->select_stmt = sel;
	return q;
}

int sql_plan_lock(sql_ctx *c, PgQuery__LockStmt *s, plan *p)
{
	PgQuery__Node *read;
	p->kind = PLAN_LOCK;
	p->tag = "LOCK TABLE";
	if (s->mode != PLAN_LOCK_ACCESS_SHARE || s->nowait)
		return sql_err(c, SQLSTATE_FEATURE_NOT_SUPPORTED, -1,
			       "murphy supports only LOCK TABLE ... IN ACCESS SHARE MODE");
	if (s->n_relations != 1 || s->relations[0]->node_case != PG_QUERY__NODE__NODE_RANGE_VAR)
		return sql_err(c, SQLSTATE_FEATURE_NOT_SUPPORTED, -1,
			       "murphy's LOCK TABLE locks one table per statement");
	if (!(read = empty_read(c, s->relations[0]->range_var)) ||
	    !(p->u.lock.query = sql_plan_new(c, PLAN_EMPTY, "")))
		return MUR_ERR;
	if (sql_plan_statement(c, read, p->u.lock.query) != MUR_OK)
		return MUR_ERR;
	if (p->u.lock.query->kind != PLAN_SELECT)
		return sql_err(c, SQLSTATE_WRONG_OBJECT_TYPE, -1, "\"%s\" is not a table",
			       s->relations[0]->range_var->relname);
	return MUR_OK;
}
