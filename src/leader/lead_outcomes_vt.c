/*
 * lead_outcomes_vt.c — murphy.transaction_outcomes as a SQLite virtual table
 * on the leader's in-memory database, read from the catalog at query time.
 *
 * A client that lost its COMMIT asks `WHERE txid = X` and reads "no row" as
 * "did not commit" (docs/transactions.md, "A COMMIT whose answer was lost"),
 * so the view must hold every recorded outcome, not a window of the newest:
 * a lookup by txid (an = constraint on txid: xBestIndex's plan 1) reads that
 * one row through the catalog's key; anything else (plan 0) reads them all.
 * SQLite checks every constraint again itself (omit stays 0), so a plan
 * only has to return a superset.  Transactions a restart is still resolving
 * from their staging markers (repl_staged_unknown_each) are rows with
 * outcome `unknown`.  While that resolution has not listed every copy the
 * view is refused with 55000 before it is read (lead_views.c).  A lookup
 * by txid that finds none of those asks lead_outcome_ask.c, which answers
 * a one-shard transaction's fate (no recorded decision) from this
 * leader's memory or the shard logs; a scan lists recorded decisions only.
 *
 *   xBestIndex -> plan 1 (txid = ?) | plan 0 (scan)
 *   xFilter    -> rows gathered into the cursor (catalog rows, then unknowns)
 *   xNext/xColumn/xEof over that array; xClose frees it
 */
#include "leader/lead_int.h"

#include <sqlite3.h>
#include <stdlib.h>
#include <string.h>

#define OUTCOMES_SCHEMA "CREATE TABLE x(txid, outcome, participants, decided_at)"

typedef struct outcome_row {
	int64_t txid;
	char *outcome, *participants;
	int64_t decided_ms; /* 0: none (unknown) */
} outcome_row;

typedef struct outcomes_vtab {
	sqlite3_vtab base;
	lead_engine *e;
} outcomes_vtab;

typedef struct outcomes_cursor {
	sqlite3_vtab_cursor base;
	outcome_row *rows;
	int n, cap, at;
	uint64_t only; /* plan 1: the txid asked for (unknowns filtered by it) */
	int only_set;
} outcomes_cursor;

static int vt_connect(sqlite3 *db, void *aux, int argc, const char *const *argv, sqlite3_vtab **out,
		      char **errmsg)
{
	outcomes_vtab *v;
	(void)argc;
	(void)argv;
	(void)errmsg;
	if (sqlite3_declare_vtab(db, OUTCOMES_SCHEMA) != SQLITE_OK)
		return SQLITE_ERROR;
	if (!(v = sqlite3_malloc(sizeof *v)))
		return SQLITE_NOMEM;
	memset(v, 0, sizeof *v);
	v->e = aux;
	*out = &v->base;
	return SQLITE_OK;
}

static int vt_disconnect(sqlite3_vtab *vt)
{
	sqlite3_free(vt);
	return SQLITE_OK;
}

static int vt_best_index(sqlite3_vtab *vt, sqlite3_index_info *info)
{
	(void)vt;
	for (int i = 0; i < info->nConstraint; i++) {
		const struct sqlite3_index_constraint *c = &info->aConstraint[i];
		if (c->usable && c->iColumn == 0 && c->op == SQLITE_INDEX_CONSTRAINT_EQ) {
			info->aConstraintUsage[i].argvIndex = 1;
			info->idxNum = 1;
			info->estimatedCost = 1;
			info->estimatedRows = 1;
			return SQLITE_OK;
		}
	}
	info->idxNum = 0;
	info->estimatedCost = 1e6;
	info->estimatedRows = 100000;
	return SQLITE_OK;
}

static int vt_open(sqlite3_vtab *vt, sqlite3_vtab_cursor **out)
{
	outcomes_cursor *cur = sqlite3_malloc(sizeof *cur);
	(void)vt;
	if (!cur)
		return SQLITE_NOMEM;
	memset(cur, 0, sizeof *cur);
	*out = &cur->base;
	return SQLITE_OK;
}

static void rows_free(outcomes_cursor *cur)
{
	for (int i = 0; i < cur->n; i++) {
		free(cur->rows[i].outcome);
		free(cur->rows[i].participants);
	}
	free(cur->rows);
	cur->rows = NULL;
	cur->n = cur->cap = cur->at = 0;
}

static int vt_close(sqlite3_vtab_cursor *c)
{
	rows_free((outcomes_cursor *)c);
	sqlite3_free(c);
	return SQLITE_OK;
}

static void add_row(void *arg, uint64_t txid, const char *outcome, const char *participants,
		    int64_t decided_ms)
{
	outcomes_cursor *cur = arg;
	if (cur->n == cur->cap) {
		int cap = cur->cap ? cur->cap * 2 : 64;
		outcome_row *r = realloc(cur->rows, (size_t)cap * sizeof *r);
		if (!r)
			return; /* out of memory: the row is left out, xFilter says so */
		cur->rows = r;
		cur->cap = cap;
	}
	cur->rows[cur->n] = (outcome_row){.txid = (int64_t)txid,
					  .outcome = outcome ? strdup(outcome) : NULL,
					  .participants = participants ? strdup(participants)
								       : NULL,
					  .decided_ms = decided_ms};
	cur->n++;
}

static void add_unknown(void *arg, uint64_t txid)
{
	outcomes_cursor *cur = arg;
	if (cur->only_set && txid != cur->only)
		return;
	for (int i = 0; i < cur->n; i++)
		if ((uint64_t)cur->rows[i].txid == txid)
			return; /* recorded meanwhile */
	add_row(cur, txid, "unknown", NULL, 0);
}

static int vt_filter(sqlite3_vtab_cursor *c, int plan, const char *idx, int argc,
		     sqlite3_value **argv)
{
	outcomes_cursor *cur = (outcomes_cursor *)c;
	lead_engine *e = ((outcomes_vtab *)c->pVtab)->e;
	int want;
	(void)idx;
	rows_free(cur);
	cur->only_set = plan == 1 && argc == 1 && sqlite3_value_type(argv[0]) == SQLITE_INTEGER;
	if (cur->only_set) {
		cur->only = (uint64_t)sqlite3_value_int64(argv[0]);
		want = cat_txn_outcome_row(e->cat, cur->only, add_row, cur);
	} else {
		want = cat_txn_outcomes_each(e->cat, -1, add_row, cur);
	}
	repl_staged_unknown_each(e->repl, add_unknown, cur);
	if (cur->only_set && cur->n == 0 && want == 0) /* none recorded: lead_outcome_ask.c */
		lead_outcome_oneshard(e, cur->only, add_row, cur);
	if (cur->n < want) {
		sqlite3_free(c->pVtab->zErrMsg);
		c->pVtab->zErrMsg = sqlite3_mprintf("out of memory reading the recorded outcomes");
		return SQLITE_NOMEM;
	}
	return SQLITE_OK;
}

static int vt_next(sqlite3_vtab_cursor *c)
{
	((outcomes_cursor *)c)->at++;
	return SQLITE_OK;
}

static int vt_eof(sqlite3_vtab_cursor *c)
{
	const outcomes_cursor *cur = (const outcomes_cursor *)c;
	return cur->at >= cur->n;
}

static void result_text(sqlite3_context *cx, const char *s)
{
	if (s)
		sqlite3_result_text(cx, s, -1, SQLITE_TRANSIENT);
	else
		sqlite3_result_null(cx);
}

static int vt_column(sqlite3_vtab_cursor *c, sqlite3_context *cx, int col)
{
	const outcomes_cursor *cur = (const outcomes_cursor *)c;
	const outcome_row *r = &cur->rows[cur->at];
	char ts[64];
	switch (col) {
	case 0:
		sqlite3_result_int64(cx, r->txid);
		break;
	case 1:
		result_text(cx, r->outcome);
		break;
	case 2:
		result_text(cx, r->participants);
		break;
	default:
		if (!r->decided_ms) {
			sqlite3_result_null(cx);
			break;
		}
		lead_view_ts_text(r->decided_ms, ts, sizeof ts);
		sqlite3_result_text(cx, ts, -1, SQLITE_TRANSIENT);
		break;
	}
	return SQLITE_OK;
}

static int vt_rowid(sqlite3_vtab_cursor *c, sqlite3_int64 *rowid)
{
	*rowid = ((const outcomes_cursor *)c)->at;
	return SQLITE_OK;
}

static const sqlite3_module outcomes_module = {
	.iVersion = 0,
	.xCreate = vt_connect,
	.xConnect = vt_connect,
	.xBestIndex = vt_best_index,
	.xDisconnect = vt_disconnect,
	.xDestroy = vt_disconnect,
	.xOpen = vt_open,
	.xClose = vt_close,
	.xFilter = vt_filter,
	.xNext = vt_next,
	.xEof = vt_eof,
	.xColumn = vt_column,
	.xRowid = vt_rowid,
};

int lead_outcomes_vt_register(lead_engine *e)
{
	if (sqlite3_create_module(e->mem, "murphy_outcomes", &outcomes_module, e) != SQLITE_OK)
		return MUR_ERR;
	return sqlite3_exec(e->mem,
			    "CREATE VIRTUAL TABLE murphy_transaction_outcomes USING "
			    "murphy_outcomes",
			    NULL, NULL, NULL) == SQLITE_OK
		       ? MUR_OK
		       : MUR_ERR;
}
