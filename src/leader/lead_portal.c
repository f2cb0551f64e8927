/*
 * lead_portal.c — SQL cursors and prepared statements on the leader: thin
 * glue.  The plan (sql/plan_portal.c) says what to do; the answer is a
 * PGW_RESULT_PORTAL result carrying it to pgwire, which keeps the portals
 * and prepared statements (pgwire/pgw_cursor.c) and plans the inner
 * statement through prepare() like a Parse message's.  The leader only
 * refuses DECLARE outside a transaction block (25P01, as PostgreSQL: a
 * cursor without WITH HOLD ends with its block, and pgwire drops the
 * portals when the session is idle again).
 */
#include "leader/lead_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

_Static_assert((int)PLAN_PORTAL_DECLARE == (int)PGW_PORTAL_DECLARE &&
		       (int)PLAN_PORTAL_DEALLOCATE == (int)PGW_PORTAL_DEALLOCATE,
	       "plan and pgwire name the same verbs");

static pgw_portal_op *portal_op(const plan_portal *pp)
{
	pgw_portal_op *op = calloc(1, sizeof *op);
	if (!op)
		return NULL;
	op->verb = (pgw_portal_verb)pp->verb;
	snprintf(op->name, sizeof op->name, "%s", pp->name);
	op->all = pp->all;
	op->count = pp->count;
	if ((pp->sql && !(op->sql = strdup(pp->sql))) ||
	    (pp->nparams && !(op->param_oids = calloc((size_t)pp->nparams, sizeof(uint32_t)))) ||
	    (pp->nargs && !(op->args = calloc((size_t)pp->nargs, sizeof(char *))))) {
		pgw_portal_op_free(op);
		return NULL;
	}
	op->nparams = pp->nparams;
	for (int i = 0; i < pp->nparams; i++)
		op->param_oids[i] = mur_type_oid(pp->param_types[i]);
	op->nargs = pp->nargs;
	for (int i = 0; i < pp->nargs; i++)
		if (pp->args[i] && !(op->args[i] = strdup(pp->args[i]))) {
			pgw_portal_op_free(op);
			return NULL;
		}
	return op;
}

void lead_portal_start(lead_run *r)
{
	const plan_portal *pp = &r->p->u.portal;
	mur_error err;
	if (pp->verb == PLAN_PORTAL_DECLARE && lead_txn_status(r->s) == 'I') {
		mur_error_set(&err, SQLSTATE_NO_ACTIVE_SQL_TRANSACTION,
			      "DECLARE CURSOR can only be used in transaction blocks");
		lead_run_fail(r, &err);
	} else if (!(r->res->portal = portal_op(pp))) {
		mur_error_set(&err, SQLSTATE_OUT_OF_MEMORY, "out of memory");
		lead_run_fail(r, &err);
	} else {
		r->res->kind = PGW_RESULT_PORTAL;
	}
	lead_run_finish(r);
}
