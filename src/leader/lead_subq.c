/*
 * lead_subq.c — a statement's subqueries (sql/plan.h plan_sub), run once
 * before it, in the plan's order, each as a child run of any SELECT plan:
 *
 *   lead_run_start ──lead_subq_wait──> child run of sub k ──sub_done──┐
 *        ▲                                                            │
 *        └──────────── result kept, k + 1 (failure: finish) ──────────┘
 *
 * Scalar, set and EXISTS results become the run's parameters numbered
 * after the statement's own (the plan's nparams_all); a child made later
 * copies them, so a subquery may use the ones before it.  Rows (FROM
 * (SELECT ...), WITH, set operation branches) stay in the run and become
 * leader tables only around the leader SQL reading them (lead_subq_load);
 * rows joined with distributed tables (plan_sub.ship) are also the
 * parameter, one blob that travels to every shard task.
 * Memory: the results belong to the run whose plan has the subqueries;
 * lead_subq_free (run_free) releases them.  A run whose parameters hold
 * the subqueries' values already (a cursor's later batch: lead_stream.c
 * bind_subs) runs none.
 */
#include "leader/lead_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct lead_subq {
	int next;      /* subqueries done */
	int nsubs;     /* the plan's: the plan may be freed before the run (a
			  simple-protocol statement ends as its result is sent) */
	mur_buf *held; /* per subquery: a value's bytes, a set, or rows */
	uint64_t *nrows;
	uint32_t *ncols;
} lead_subq;

void lead_subq_free(lead_run *r)
{
	lead_subq *q = r->subq;
	if (!q)
		return;
	for (int k = 0; k < q->nsubs; k++)
		mur_buf_free(&q->held[k]);
	free(q->held);
	free(q->nrows);
	free(q->ncols);
	free(q);
	r->subq = NULL;
}

/* The run's parameters grown to nparams_all (the new ones NULL). */
static int subq_init(lead_run *r)
{
	const plan *p = r->p;
	lead_subq *q = calloc(1, sizeof *q);
	mur_value *params = calloc((size_t)p->nparams_all, sizeof *params);
	if (!q || !params || !(q->held = calloc((size_t)p->nsubs, sizeof *q->held)) ||
	    !(q->nrows = calloc((size_t)p->nsubs, sizeof *q->nrows)) ||
	    !(q->ncols = calloc((size_t)p->nsubs, sizeof *q->ncols))) {
		if (q) {
			free(q->held);
			free(q->nrows);
		}
		free(q);
		free(params);
		return MUR_ERR;
	}
	q->nsubs = p->nsubs;
	for (int k = 0; k < p->nsubs; k++)
		mur_buf_init(&q->held[k]);
	if (r->nparams)
		memcpy(params, r->params, (size_t)r->nparams * sizeof *params);
	free(r->params);
	r->params = params;
	r->nparams = p->nparams_all;
	r->subq = q;
	return MUR_OK;
}

static int too_big(mur_error *err, const char *what, unsigned long long have,
		   unsigned long long max)
{
	mur_error_set(err, SQLSTATE_PROGRAM_LIMIT_EXCEEDED,
		      "subquery result too large for %s: %llu, at most %llu", what, have, max);
	mur_error_hint(err, "Write the subquery as a join (docs/decisions.md, \"Uncorrelated "
			    "subqueries run once\").");
	return MUR_ERR;
}

/* Keep child ch's answer to sub k in r (MUR_ERR with err set). */
static int keep(lead_run *r, int k, lead_run *ch, mur_error *err)
{
	const plan_sub *s = &r->p->subs[k];
	mur_buf *h = &r->subq->held[k];
	mur_value *v = &r->params[s->param - 1];
	mur_rd rd;
	*h = ch->rows; /* the child's rows are ours now */
	mur_buf_init(&ch->rows);
	r->subq->nrows[k] = ch->nrows;
	r->subq->ncols[k] = ch->ncols;
	switch (s->kind) {
	case PLAN_SUB_EXISTS:
		*v = mur_v_int(ch->nrows > 0);
		return MUR_OK;
	case PLAN_SUB_SET:
		if (h->len > PLAN_SUB_SET_BYTES_MAX)
			return too_big(err, "IN / ANY / ALL (bytes)", h->len,
				       PLAN_SUB_SET_BYTES_MAX);
		*v = mur_v_blob(h->data ? h->data : "", h->len);
		return MUR_OK;
	case PLAN_SUB_SCALAR:
		if (ch->nrows > 1)
			return mur_error_set(err, SQLSTATE_CARDINALITY_VIOLATION,
					     "more than one row returned by a subquery used as an "
					     "expression");
		*v = mur_v_null();
		mur_rd_init(&rd, h->data, h->len);
		if (ch->nrows == 1 && mur_row_get_value(&rd, v) != MUR_OK)
			return mur_error_set(err, SQLSTATE_INTERNAL_ERROR,
					     "malformed subquery result");
		return MUR_OK;
	case PLAN_SUB_ROWS:
		if (ch->nrows > PLAN_SUB_ROWS_MAX)
			return too_big(err, "the leader (rows)", ch->nrows, PLAN_SUB_ROWS_MAX);
		if (s->ship && h->len > PLAN_SUB_SET_BYTES_MAX) /* to every shard task */
			return too_big(err, "the shards (bytes of rows)", h->len,
				       PLAN_SUB_SET_BYTES_MAX);
		if (s->ship)
			*v = mur_v_blob(h->data ? h->data : "", h->len);
		return MUR_OK;
	}
	return MUR_OK;
}

static void sub_done(lead_run *r, lead_run *ch)
{
	mur_error err;
	if (ch->failed)
		lead_run_fail(r, &ch->err);
	else if (keep(r, r->subq->next, ch, &err) != MUR_OK)
		lead_run_fail(r, &err);
	if (r->failed) {
		lead_run_finish(r);
		return;
	}
	r->subq->next++;
	lead_run_start(r);
}

int lead_subq_wait(lead_run *r)
{
	const plan *p = r->p;
	mur_error err;
	lead_run *ch;
	if (!p->nsubs || (p->kind != PLAN_SELECT && p->kind != PLAN_LEADER_SELECT) ||
	    (r->subq && r->subq->next >= p->nsubs))
		return 0;
	if (!r->subq && r->nparams >= p->nparams_all && sql_plan_subs_bound(p))
		return 0; /* their values bound already: a cursor's later batch (lead_stream.c) */
	if ((!r->subq && subq_init(r) != MUR_OK) ||
	    !(ch = lead_run_child(r, p->subs[r->subq->next].p, sub_done))) {
		mur_error_set(&err, SQLSTATE_OUT_OF_MEMORY, "out of memory");
		lead_run_fail(r, &err);
		lead_run_finish(r);
		return 1;
	}
	lead_run_start(ch);
	return 1;
}

/* The run holding the subqueries' results that r's SQL reads: r, or the
 * run r is a subquery of. */
static lead_run *holder(lead_run *r)
{
	while (r && !r->subq)
		r = r->parent;
	return r;
}

int lead_subq_load(lead_run *r, mur_error *err)
{
	lead_run *h = holder(r);
	for (int k = 0; h && k < h->subq->next; k++) {
		const plan_sub *s = &h->p->subs[k];
		if (s->kind == PLAN_SUB_ROWS &&
		    lead_local_load(r->e, s->table, &h->subq->held[k], h->subq->nrows[k],
				    h->subq->ncols[k], err) != MUR_OK)
			return MUR_ERR;
	}
	return MUR_OK;
}

void lead_subq_unload(lead_run *r)
{
	lead_run *h = holder(r);
	char sql[CAT_NAME_MAX + 32];
	for (int k = 0; h && k < h->subq->next; k++) {
		if (h->p->subs[k].kind != PLAN_SUB_ROWS)
			continue;
		snprintf(sql, sizeof sql, "DROP TABLE IF EXISTS \"%s\"", h->p->subs[k].table);
		sqlite3_exec(r->e->mem, sql, NULL, NULL, NULL);
	}
}
