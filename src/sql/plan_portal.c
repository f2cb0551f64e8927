/*
 * plan_portal.c — the SQL statements on cursors and prepared statements:
 * DECLARE / FETCH / MOVE / CLOSE and PREPARE / EXECUTE / DEALLOCATE →
 * plan_portal.
 *
 * They are not planned further here: the protocol layer keeps portals and
 * prepared statements (pgwire/pgw_cursor.c), so the plan only says what
 * to do, with the inner statement as text (DECLARE's query, PREPARE's
 * statement: the statement's own text after FOR / AS, found with the
 * scanner) and EXECUTE's arguments as text.  The inner statement is
 * planned when pgwire prepares it, like a Parse message's.
 *
 * Refused (0A000): WITH HOLD and BINARY cursors, fetching backward or by
 * position (cursors only go forward), EXECUTE arguments that are not
 * constants.
 */
#include "sql/sqlInt.h"

#include <stdint.h>
#include <stdio.h>
#include <string.h>

/* PostgreSQL's CURSOR_OPT_* bits of DeclareCursorStmt.options. */
#define CURSOR_OPT_BINARY 0x0001
#define CURSOR_OPT_HOLD 0x0020
/* FetchStmt.how_many of FETCH ALL (PostgreSQL's FETCH_ALL, LONG_MAX). */
#define FETCH_ALL_ROWS INT64_MAX

const char *sql_text_after(sql_ctx *c, int past, int after)
{
	PgQueryScanResult sr = pg_query_scan(c->sql);
	PgQuery__ScanResult *scan = NULL;
	const char *out = NULL;
	int depth = 0, seen = past == 0;
	if (!sr.error)
		scan = pg_query__scan_result__unpack(NULL, sr.pbuf.len,
						     (const uint8_t *)sr.pbuf.data);
	for (size_t i = 0; scan && i + 1 < scan->n_tokens && !out; i++) {
		int t = scan->tokens[i]->token;
		depth += (t == PG_QUERY__TOKEN__ASCII_40) - (t == PG_QUERY__TOKEN__ASCII_41);
		if (depth == 0 && t == past)
			seen = 1;
		else if (depth == 0 && seen && t == after)
			out = sql_strdup(c, c->sql + scan->tokens[i + 1]->start);
	}
	if (scan)
		pg_query__scan_result__free_unpacked(scan, NULL);
	pg_query_free_scan_result(sr);
	return out;
}

static plan_portal *portal_plan(sql_ctx *c, plan *p, plan_portal_verb verb, const char *name,
				const char *tag)
{
	plan_portal *pp = &p->u.portal;
	p->kind = PLAN_PORTAL;
	p->tag = tag;
	pp->verb = verb;
	pp->all = !name || !*name;
	snprintf(pp->name, sizeof pp->name, "%s", name ? name : "");
	(void)c;
	return pp;
}

static int plan_declare(sql_ctx *c, PgQuery__DeclareCursorStmt *s, plan *p)
{
	plan_portal *pp = portal_plan(c, p, PLAN_PORTAL_DECLARE, s->portalname, "DECLARE CURSOR");
	if (s->options & CURSOR_OPT_HOLD)
		return sql_err(c, SQLSTATE_FEATURE_NOT_SUPPORTED, -1,
			       "murphy does not support WITH HOLD cursors yet");
	if (s->options & CURSOR_OPT_BINARY)
		return sql_err(c, SQLSTATE_FEATURE_NOT_SUPPORTED, -1,
			       "murphy does not support BINARY cursors yet");
	if (!(pp->sql = sql_text_after(c, PG_QUERY__TOKEN__CURSOR, PG_QUERY__TOKEN__FOR)))
		return sql_err(c, SQLSTATE_SYNTAX_ERROR, -1, "DECLARE without FOR query");
	return MUR_OK;
}

static int plan_fetch(sql_ctx *c, PgQuery__FetchStmt *s, plan *p)
{
	plan_portal *pp = portal_plan(c, p, s->ismove ? PLAN_PORTAL_MOVE : PLAN_PORTAL_FETCH,
				      s->portalname, s->ismove ? "MOVE" : "FETCH");
	int forward = s->direction == PG_QUERY__FETCH_DIRECTION__FETCH_FORWARD ||
		      (s->direction == PG_QUERY__FETCH_DIRECTION__FETCH_RELATIVE &&
		       s->how_many > 0);
	if (!forward || s->how_many <= 0)
		return sql_err(c, SQLSTATE_FEATURE_NOT_SUPPORTED, -1,
			       "murphy cursors only move forward: FETCH [FORWARD] n, NEXT or ALL");
	pp->count = s->how_many >= FETCH_ALL_ROWS ? FETCH_ALL_ROWS : s->how_many;
	return MUR_OK;
}

static int plan_prepare(sql_ctx *c, PgQuery__PrepareStmt *s, plan *p)
{
	plan_portal *pp = portal_plan(c, p, PLAN_PORTAL_PREPARE, s->name, "PREPARE");
	if (s->n_argtypes > PLAN_PARAMS_MAX)
		return sql_err(c, SQLSTATE_PROGRAM_LIMIT_EXCEEDED, -1, "too many parameter types");
	if (s->n_argtypes && !(pp->param_types = sql_alloc(c, sizeof(mur_type) * s->n_argtypes)))
		return MUR_ERR;
	for (size_t i = 0; i < s->n_argtypes; i++) {
		int32_t typmod;
		if (s->argtypes[i]->node_case != PG_QUERY__NODE__NODE_TYPE_NAME)
			return sql_err(c, SQLSTATE_SYNTAX_ERROR, -1, "PREPARE needs type names");
		pp->param_types[i] = sql_type_from_typename(c, s->argtypes[i]->type_name, &typmod);
		if (mur_error_is_set(c->err))
			return MUR_ERR;
	}
	pp->nparams = (int)s->n_argtypes;
	if (!(pp->sql = sql_text_after(c, 0, PG_QUERY__TOKEN__AS)))
		return sql_err(c, SQLSTATE_SYNTAX_ERROR, -1, "PREPARE without AS statement");
	return MUR_OK;
}

/* A constant argument as text (NULL: SQL NULL): 'x', 42, -1.5, true,
 * NULL, and any of them cast ('2024-01-01'::date: its text). */
static int arg_text(sql_ctx *c, PgQuery__Node *n, const char **out, int negate)
{
	char num[64];
	if (n->node_case == PG_QUERY__NODE__NODE_TYPE_CAST && n->type_cast->arg)
		return arg_text(c, n->type_cast->arg, out, negate);
	if (n->node_case == PG_QUERY__NODE__NODE_A_EXPR && n->a_expr->n_name == 1 &&
	    !n->a_expr->lexpr && n->a_expr->rexpr &&
	    n->a_expr->name[0]->node_case == PG_QUERY__NODE__NODE_STRING &&
	    !strcmp(n->a_expr->name[0]->string->sval, "-"))
		return arg_text(c, n->a_expr->rexpr, out, !negate);
	if (n->node_case != PG_QUERY__NODE__NODE_A_CONST)
		return sql_err(c, SQLSTATE_FEATURE_NOT_SUPPORTED, -1,
			       "murphy supports only constants as EXECUTE arguments");
	PgQuery__AConst *k = n->a_const;
	*out = NULL;
	switch (k->val_case) {
	case PG_QUERY__A__CONST__VAL_IVAL:
		snprintf(num, sizeof num, "%s%d", negate ? "-" : "", k->ival->ival);
		break;
	case PG_QUERY__A__CONST__VAL_FVAL:
		snprintf(num, sizeof num, "%s%s", negate ? "-" : "", k->fval->fval);
		break;
	case PG_QUERY__A__CONST__VAL_BOOLVAL:
		snprintf(num, sizeof num, "%s", k->boolval->boolval ? "true" : "false");
		break;
	case PG_QUERY__A__CONST__VAL_SVAL: /* the tree is freed after planning: copy */
		return (*out = sql_strdup(c, k->sval->sval)) ? MUR_OK : MUR_ERR;
	case PG_QUERY__A__CONST__VAL_BSVAL:
		return (*out = sql_strdup(c, k->bsval->bsval)) ? MUR_OK : MUR_ERR;
	default: /* isnull */
		return MUR_OK;
	}
	return (*out = sql_strdup(c, num)) ? MUR_OK : MUR_ERR;
}

static int plan_execute(sql_ctx *c, PgQuery__ExecuteStmt *s, plan *p)
{
	plan_portal *pp = portal_plan(c, p, PLAN_PORTAL_EXECUTE, s->name, "EXECUTE");
	if (s->n_params > PLAN_PARAMS_MAX)
		return sql_err(c, SQLSTATE_PROGRAM_LIMIT_EXCEEDED, -1, "too many parameters");
	if (s->n_params && !(pp->args = sql_alloc(c, sizeof(const char *) * s->n_params)))
		return MUR_ERR;
	for (size_t i = 0; i < s->n_params; i++)
		if (arg_text(c, s->params[i], &pp->args[i], 0) != MUR_OK)
			return MUR_ERR;
	pp->nargs = (int)s->n_params;
	return MUR_OK;
}

int sql_plan_portal(sql_ctx *c, PgQuery__Node *n, plan *p)
{
	switch (n->node_case) {
	case PG_QUERY__NODE__NODE_DECLARE_CURSOR_STMT:
		return plan_declare(c, n->declare_cursor_stmt, p);
	case PG_QUERY__NODE__NODE_FETCH_STMT:
		return plan_fetch(c, n->fetch_stmt, p);
	case PG_QUERY__NODE__NODE_CLOSE_PORTAL_STMT:
		portal_plan(c, p, PLAN_PORTAL_CLOSE, n->close_portal_stmt->portalname,
			    "CLOSE CURSOR");
		return MUR_OK;
	case PG_QUERY__NODE__NODE_PREPARE_STMT:
		return plan_prepare(c, n->prepare_stmt, p);
	case PG_QUERY__NODE__NODE_EXECUTE_STMT:
		return plan_execute(c, n->execute_stmt, p);
	default: /* DEALLOCATE */
		portal_plan(c, p, PLAN_PORTAL_DEALLOCATE, n->deallocate_stmt->name,
			    n->deallocate_stmt->name && *n->deallocate_stmt->name
				    ? "DEALLOCATE"
				    : "DEALLOCATE ALL");
		return MUR_OK;
	}
}
