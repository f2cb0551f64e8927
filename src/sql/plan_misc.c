/*
 * plan_misc.c — statements that do not touch table data: EXPLAIN [ANALYZE]
 * (wraps the inner plan; the executor prints it), SET / RESET / SHOW, and
 * transaction control (BEGIN / START TRANSACTION / COMMIT / END /
 * ROLLBACK / ABORT).  Savepoints and two-phase commands are 0A000.
 */
#include "sql/sqlInt.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

static int defelem_true(PgQuery__DefElem *d)
{
	PgQuery__Node *a = d->arg;
	if (!a)
		return 1;
	if (a->node_case == PG_QUERY__NODE__NODE_BOOLEAN)
		return a->boolean->boolval;
	if (a->node_case == PG_QUERY__NODE__NODE_STRING)
		return !strcasecmp(a->string->sval, "true") || !strcasecmp(a->string->sval, "on");
	if (a->node_case == PG_QUERY__NODE__NODE_INTEGER)
		return a->integer->ival != 0;
	return 0;
}

int sql_plan_explain(sql_ctx *c, PgQuery__ExplainStmt *s, plan *p)
{
	plan *inner;
	p->kind = PLAN_EXPLAIN;
	p->tag = "EXPLAIN";
	for (size_t i = 0; i < s->n_options; i++) {
		PgQuery__DefElem *d = s->options[i]->def_elem;
		if (!strcmp(d->defname, "analyze"))
			p->u.explain.analyze = defelem_true(d);
		else if (!strcmp(d->defname, "format") && d->arg &&
			 d->arg->node_case == PG_QUERY__NODE__NODE_STRING &&
			 strcasecmp(d->arg->string->sval, "text"))
			return sql_err(c, SQLSTATE_FEATURE_NOT_SUPPORTED, d->location,
				       "murphy supports only EXPLAIN (FORMAT TEXT)");
	}
	if (!(inner = sql_plan_new(c, PLAN_EMPTY, "")))
		return MUR_ERR;
	if (sql_plan_statement(c, s->query, inner) != MUR_OK)
		return MUR_ERR;
	p->u.explain.inner = inner;
	p->nout = 1;
	if (!(p->out = sql_alloc(c, sizeof(plan_column))))
		return MUR_ERR;
	snprintf(p->out[0].name, sizeof p->out[0].name, "QUERY PLAN");
	p->out[0].type = MT_TEXT;
	p->out[0].typmod = -1;
	return MUR_OK;
}

static void lower_copy(char *dst, size_t n, const char *src)
{
	size_t i = 0;
	for (; src && src[i] && i + 1 < n; i++)
		dst[i] = (char)tolower((unsigned char)src[i]);
	dst[i] = '\0';
}

static int set_value(sql_ctx *c, PgQuery__VariableSetStmt *s, plan_set *ps)
{
	size_t len = 0;
	for (size_t i = 0; i < s->n_args; i++) {
		PgQuery__Node *a = s->args[i];
		char one[256];
		if (a->node_case != PG_QUERY__NODE__NODE_A_CONST)
			return sql_err(c, SQLSTATE_FEATURE_NOT_SUPPORTED, -1,
				       "murphy supports only constant values in SET");
		switch (a->a_const->val_case) {
		case PG_QUERY__A__CONST__VAL_SVAL: snprintf(one, sizeof one, "%s", a->a_const->sval->sval); break;
		case PG_QUERY__A__CONST__VAL_IVAL: snprintf(one, sizeof one, "%d", a->a_const->ival->ival); break;
		case PG_QUERY__A__CONST__VAL_FVAL: snprintf(one, sizeof one, "%s", a->a_const->fval->fval); break;
		case PG_QUERY__A__CONST__VAL_BOOLVAL:
			snprintf(one, sizeof one, "%s", a->a_const->boolval->boolval ? "on" : "off");
			break;
		default: one[0] = '\0';
		}
		len += (size_t)snprintf(ps->value + len, sizeof ps->value - len, "%s%s", i ? ", " : "",
					one);
		if (len >= sizeof ps->value)
			return sql_err(c, SQLSTATE_PROGRAM_LIMIT_EXCEEDED, -1, "SET value is too long");
	}
	return MUR_OK;
}

int sql_plan_set(sql_ctx *c, PgQuery__VariableSetStmt *s, plan *p)
{
	plan_set *ps = &p->u.set;
	p->kind = PLAN_SET;
	p->tag = "SET";
	lower_copy(ps->name, sizeof ps->name, s->name);
	ps->is_local = s->is_local;
	switch (s->kind) {
	case PG_QUERY__VARIABLE_SET_KIND__VAR_SET_VALUE: return set_value(c, s, ps);
	case PG_QUERY__VARIABLE_SET_KIND__VAR_SET_DEFAULT: ps->is_default = 1; return MUR_OK;
	case PG_QUERY__VARIABLE_SET_KIND__VAR_RESET:
		p->tag = "RESET";
		ps->is_default = 1;
		return MUR_OK;
	case PG_QUERY__VARIABLE_SET_KIND__VAR_RESET_ALL:
		p->tag = "RESET";
		snprintf(ps->name, sizeof ps->name, "all");
		ps->is_default = 1;
		return MUR_OK;
	case PG_QUERY__VARIABLE_SET_KIND__VAR_SET_MULTI: /* SET TRANSACTION ...: accepted */
		p->kind = PLAN_NOOP;
		return MUR_OK;
	default:
		return sql_err(c, SQLSTATE_FEATURE_NOT_SUPPORTED, -1,
			       "murphy does not support SET ... FROM CURRENT yet");
	}
}

int sql_plan_show(sql_ctx *c, PgQuery__VariableShowStmt *s, plan *p)
{
	p->kind = PLAN_SHOW;
	p->tag = "SHOW";
	lower_copy(p->u.set.name, sizeof p->u.set.name, s->name);
	if (!strcmp(p->u.set.name, "all"))
		return sql_err(c, SQLSTATE_FEATURE_NOT_SUPPORTED, -1,
			       "murphy does not support SHOW ALL yet");
	p->nout = 1;
	if (!(p->out = sql_alloc(c, sizeof(plan_column))))
		return MUR_ERR;
	snprintf(p->out[0].name, sizeof p->out[0].name, "%s", p->u.set.name);
	p->out[0].type = MT_TEXT;
	p->out[0].typmod = -1;
	return MUR_OK;
}

int sql_plan_transaction(sql_ctx *c, PgQuery__TransactionStmt *s, plan *p)
{
	if (s->chain)
		return sql_err(c, SQLSTATE_FEATURE_NOT_SUPPORTED, -1,
			       "murphy does not support AND CHAIN yet");
	switch (s->kind) {
	case PG_QUERY__TRANSACTION_STMT_KIND__TRANS_STMT_BEGIN:
		p->kind = PLAN_BEGIN;
		p->tag = "BEGIN";
		return MUR_OK;
	case PG_QUERY__TRANSACTION_STMT_KIND__TRANS_STMT_START:
		p->kind = PLAN_BEGIN;
		p->tag = "START TRANSACTION";
		return MUR_OK;
	case PG_QUERY__TRANSACTION_STMT_KIND__TRANS_STMT_COMMIT:
		p->kind = PLAN_COMMIT;
		p->tag = "COMMIT";
		return MUR_OK;
	case PG_QUERY__TRANSACTION_STMT_KIND__TRANS_STMT_ROLLBACK:
		p->kind = PLAN_ROLLBACK;
		p->tag = "ROLLBACK";
		return MUR_OK;
	case PG_QUERY__TRANSACTION_STMT_KIND__TRANS_STMT_SAVEPOINT:
	case PG_QUERY__TRANSACTION_STMT_KIND__TRANS_STMT_RELEASE:
	case PG_QUERY__TRANSACTION_STMT_KIND__TRANS_STMT_ROLLBACK_TO:
		return sql_err(c, SQLSTATE_FEATURE_NOT_SUPPORTED, -1,
			       "murphy does not support savepoints yet");
	default:
		return sql_err(c, SQLSTATE_FEATURE_NOT_SUPPORTED, -1,
			       "murphy does not support two-phase commit commands");
	}
}
