/*
 * lead_copyto.c — COPY ... TO STDOUT on the leader: thin glue between the
 * COPY's SELECT (sql/plan_copy.c: plan_copy.query) and pgwire's COPY OUT
 * (pgwire/pgw_copy_out.c, which writes the text or CSV lines).
 *
 *   start ──run (shard 0 | whole query)──> COPY_OUT(more) ──copy_out_next──>
 *         run (shard 1) ──> ... ──> COPY_OUT(more = 0): pgwire ends the COPY
 *   any run failing: its ERROR ends the COPY
 *
 * A scan that the leader only concatenates (one table, no aggregate, no
 * final stage, no locking clause) reads one shard per run, so the leader
 * holds one shard's rows at a time and reads the next only once pgwire
 * has handed the last ones to the client: a table larger than the
 * leader's memory copies out.  Any other query runs whole, as a SELECT,
 * and its rows go out as one result.  Each run reads its shard as a
 * SELECT does (its own read, not one snapshot of the whole table: a
 * write committed between two shards' runs shows in the later shard
 * only; docs/decisions.md).  A table created or dropped meanwhile (the
 * catalog's version moved) has the COPY planned again from its text before
 * the next shard: no run may read a dropped table's shards, and a COPY
 * whose table is gone or has another shard count ends with an error.
 */
#include "leader/lead_int.h"

#include "sql/sql.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct lead_copyto {
	lead_session *s;
	plan *p;          /* owned: the COPY's plan; p->u.copy.query runs */
	char *sql;        /* its text, to plan again */
	uint64_t version; /* cat_version when p was planned */
	uint32_t nshards; /* 0: the query runs whole; else one run per shard */
	uint32_t shard;   /* the shard of the next run */
	pgw_copy_format fmt;
	pgw_done_cb done;
	void *arg;
};

static void copyto_free(lead_copyto *ct)
{
	if (ct->s->copyto == ct)
		ct->s->copyto = NULL;
	plan_free(ct->p);
	free(ct->sql);
	free(ct);
}

void lead_copyto_abort(lead_session *s)
{
	if (s->copyto)
		copyto_free(s->copyto);
}

/* One shard per run: a plain scan the leader only concatenates. */
static uint32_t copyto_shards(const plan *q)
{
	const plan_select *ps = &q->u.select;
	if (q->kind != PLAN_SELECT || q->nsubs || ps->ntables != 1 || ps->router ||
	    ps->has_partial_agg || ps->has_final_agg || ps->final_sql || ps->join_shuffle ||
	    ps->locks_rows || ps->tables[0]->kind != CAT_TABLE_DISTRIBUTED)
		return 0;
	return ps->tables[0]->nshards > 1 ? ps->tables[0]->nshards : 0;
}

static void copyto_format(const plan_copy *pc, pgw_copy_format *f)
{
	memset(f, 0, sizeof *f);
	f->csv = pc->csv;
	f->binary = pc->binary;
	f->delimiter = pc->delimiter;
	f->quote = pc->quote;
	f->escape = pc->escape;
	f->header = pc->header;
	snprintf(f->null_string, sizeof f->null_string, "%s", pc->null_string);
	for (int i = 0; pc->force_quote && i < pc->query->nout && i < PGW_COPY_COLUMNS_MAX; i++)
		if (pc->force_quote[i])
			f->force_quote[i / 8] |= (uint8_t)(1u << (i % 8));
}

/* The catalog changed since ct->p was planned: plan the COPY again.
 * MUR_OK, or an error in err. */
static int copyto_replan(lead_copyto *ct, mur_error *err)
{
	lead_session *s = ct->s;
	plan *p = NULL;
	sql_options opts;
	int rc;
	lead_session_sql_options(s, &opts);
	cat_set_viewer(s->e->cat, 1, s->txid);
	rc = sql_prepare_opts(s->e->cat, ct->sql, &opts, 0, NULL, &p, err);
	cat_set_viewer(s->e->cat, 0, 0);
	if (rc != MUR_OK)
		return MUR_ERR;
	if (p->kind != PLAN_COPY_TO || copyto_shards(p->u.copy.query) != ct->nshards) {
		plan_free(p);
		return mur_error_set(err, SQLSTATE_OBJECT_NOT_IN_PREREQUISITE_STATE,
				     "the table of this COPY changed while it was copied out");
	}
	plan_free(ct->p);
	ct->p = p;
	ct->version = cat_version(s->e->cat);
	return MUR_OK;
}

/* A run answered: its rows are the next COPY_OUT result. */
static void copyto_rows(void *arg, pgw_result *res)
{
	lead_copyto *ct = arg;
	pgw_done_cb done = ct->done;
	void *done_arg = ct->arg;
	if (res && res->kind == PGW_RESULT_ROWS) {
		res->kind = PGW_RESULT_COPY_OUT;
		res->copy = ct->fmt;
		res->tag[0] = '\0'; /* pgwire counts the rows: "COPY n" */
		res->more = ++ct->shard < ct->nshards;
	}
	if (!res || !res->more)
		copyto_free(ct);
	done(done_arg, res);
}

static void copyto_run(lead_copyto *ct)
{
	lead_session *s = ct->s;
	lead_run *r = lead_run_new(s, ct->p->u.copy.query, copyto_rows, ct);
	mur_error err;
	if (!r) {
		pgw_done_cb done = ct->done;
		void *arg = ct->arg;
		pgw_result *res = pgw_result_new();
		mur_error_set(&err, SQLSTATE_OUT_OF_MEMORY, "out of memory");
		if (res)
			pgw_result_set_error(res, &err);
		copyto_free(ct);
		done(arg, res);
		return;
	}
	snprintf(r->sql_text, sizeof r->sql_text, "COPY TO (shard %u)", ct->shard);
	r->only_shard = ct->nshards ? ct->shard + 1 : 0;
	if (s->cancel_pending) {
		lead_run_fail(r, &s->cancel_err);
		lead_run_finish(r);
		return;
	}
	lead_run_start(r);
}

void lead_copyto_start(lead_session *s, plan *p, const char *sql, pgw_done_cb done, void *arg)
{
	lead_copyto *ct = calloc(1, sizeof *ct);
	if (ct && !(ct->sql = strdup(sql))) {
		free(ct);
		ct = NULL;
	}
	if (!ct) {
		pgw_result *res = pgw_result_new();
		mur_error err;
		mur_error_set(&err, SQLSTATE_OUT_OF_MEMORY, "out of memory");
		plan_free(p);
		if (res)
			pgw_result_set_error(res, &err);
		done(arg, res);
		return;
	}
	ct->s = s;
	ct->p = p;
	ct->version = cat_version(s->e->cat);
	ct->nshards = copyto_shards(p->u.copy.query);
	ct->done = done;
	ct->arg = arg;
	copyto_format(&p->u.copy, &ct->fmt);
	s->copyto = ct;
	copyto_run(ct);
}

void lead_copyto_next(void *esess, int stop, pgw_done_cb done, void *arg)
{
	lead_session *s = esess;
	lead_copyto *ct = s->copyto;
	mur_error err;
	if (!ct || stop) {
		lead_copyto_abort(s);
		done(arg, pgw_result_new());
		return;
	}
	lead_stmt_begin(s, &done, &arg); /* cancel and statement_timeout, per part */
	ct->done = done;
	ct->arg = arg;
	if (ct->version != cat_version(s->e->cat) && copyto_replan(ct, &err) != MUR_OK) {
		pgw_result *res = pgw_result_new();
		if (res)
			pgw_result_set_error(res, &err);
		copyto_free(ct);
		done(arg, res);
		return;
	}
	copyto_run(ct);
}
