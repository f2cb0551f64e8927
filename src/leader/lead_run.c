/*
 * lead_run.c — one execution of a statement on the leader (see the state
 * machine in lead_int.h): parameter binding, sending shard tasks,
 * collecting their results, finishing with exactly one done() call.
 *
 * Each task in flight has a lead_task_ref (the callback's argument) that
 * its slot points back to; abandoning the task (lead_run_abandon, on a
 * cancel) clears ref->r, so the result that comes later is dropped and
 * the run may be gone by then.
 */
#include "leader/lead_int.h"

#include "common/clock.h"
#include "common/log.h"
#include "common/recycle.h"
#include "common/zalloc.h"

#include <assert.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

uint64_t lead_time_id(uint64_t *next)
{
	/* wall ms since epoch << 20, not monotonic: unique across restarts
	 * unless a leader generates more than 2^20 ids per ms */
	uint64_t floor_id = (uint64_t)mur_wall_ms() << 20;
	if (*next < floor_id)
		*next = floor_id;
	return (*next)++;
}

static void resume_run(void *arg) { lead_run_start(arg); }

int lead_run_park(lead_run *r) { return repl_park(r->e->repl, r->start_us, resume_run, r); }

/* Freed runs (5 KiB) kept for the next statements (common/recycle.h). */
static _Thread_local mur_recycler run_bin = {.size = sizeof(lead_run)};

lead_run *lead_run_new(lead_session *s, const plan *p, pgw_done_cb done, void *arg)
{
	lead_run *r = mur_recycle_zalloc(&run_bin);
	if (!r)
		return NULL;
	r->s = s;
	r->e = s->e;
	r->p = p;
	r->done = done;
	r->done_arg = arg;
	r->res = pgw_result_new();
	r->start_us = mur_now_us();
	mur_buf_init(&r->param_scratch);
	mur_buf_init(&r->rows);
	mur_error_clear(&r->err);
	if (!r->res) {
		free(r);
		return NULL;
	}
	s->refs++;
	r->snext = s->runs;
	if (s->runs)
		s->runs->sprev = r;
	s->runs = r;
	lead_txn_run_started(r);
	return r;
}

void lead_run_fail(lead_run *r, const mur_error *err)
{
	if (r->failed)
		return;
	r->failed = 1;
	r->err = *err;
}

static void run_free(lead_run *r)
{
	lead_session *s = r->s;
	if (r->sprev)
		r->sprev->snext = r->snext;
	else
		s->runs = r->snext;
	if (r->snext)
		r->snext->sprev = r->sprev;
	lead_shuffle_free(r);
	lead_subq_free(r);
	lead_fkey_free(r);
	lead_outcome_ask_free(r);
	for (int i = 0; i < r->ntasks; i++)
		exec_result_free(&r->tasks[i].res);
	free(r->tasks);
	free(r->params);
	mur_buf_free(&r->param_scratch);
	for (int i = 0; i < r->nseek_sql; i++)
		free(r->seek_sql[i]);
	free(r->seek_sql);
	mur_buf_free(&r->rows);
	if (r->own_plan)
		plan_free(r->own_plan);
	lead_session_unref(r->s);
	mur_recycle_free(&run_bin, r);
}

lead_run *lead_run_child(lead_run *parent, const plan *p,
			 void (*child_cb)(lead_run *parent, lead_run *child))
{
	lead_run *c = lead_run_new(parent->s, p, NULL, NULL);
	if (c)
		snprintf(c->sql_text, sizeof c->sql_text, "%s", parent->sql_text);
	if (!c)
		return NULL;
	c->parent = parent;
	c->child_cb = child_cb;
	c->block_txid = parent->block_txid;
	c->analyze = parent->analyze;
	if (parent->nparams) {
		c->params = mur_calloc((size_t)parent->nparams, sizeof *c->params);
		if (!c->params) {
			run_free(c);
			return NULL;
		}
		memcpy(c->params, parent->params, (size_t)parent->nparams * sizeof *c->params);
		c->nparams = parent->nparams; /* values point into the parent's scratch */
	}
	return c;
}

static void run_refinish(void *arg) { lead_run_finish(arg); }

void lead_run_finish(lead_run *r)
{
	if (lead_txn_end_implicit(r))
		return; /* called again once the implicit transaction ended */
	if (r->failed && r->split_moved && !r->parent && lead_session_reroute(r)) {
		pgw_result_free(r->res); /* the new run answers */
		run_free(r);
		return;
	}
	if (r->failed && !r->parent && !r->failed_undone) {
		r->failed_undone = 1;
		if (lead_txn_undo_failed(r->s, r->block_txid, &r->err, run_refinish, r))
			return; /* called again once undone */
	}
	lead_stats_record(r);
	pgw_result *res = r->res;
	if (r->parent) {
		r->child_cb(r->parent, r);
		r->res = NULL;
		pgw_result_free(res); /* a child's rows went to its parent, not to a client */
		run_free(r);
		return;
	}
	lead_session_ran(r->s, r->p, r->failed, r->changes);
	if (r->failed)
		pgw_result_set_error(res, &r->err);
	r->res = NULL;
	if (r->done)
		r->done(r->done_arg, res);
	else
		pgw_result_free(res);
	run_free(r);
}

static void task_done(void *arg, exec_result *res);

typedef struct lead_task_ref {
	lead_run *r; /* NULL: abandoned, the result is dropped */
	int slot;
} task_ref;

/* Seek a subquery's set in an index only while it is small (sql.h,
 * SQL_SEEK_MARK): past this many bytes (~1,800 integers) a scan with the
 * hash probe costs less than the seeks. */
#define LEAD_SEEK_SET_BYTES_MAX 16384

/* t->sql with the seek forms of large sets cut, kept until the run ends
 * (the tasks of one statement share their SQL: made once per text). */
static void choose_seeks(lead_run *r, exec_task *t)
{
	char *s, **grown;
	if (!t->sql || !strstr(t->sql, SQL_SEEK_MARK))
		return;
	if (r->nseek_sql && t->sql == r->seek_src) { /* the previous task's text */
		t->sql = r->seek_sql[r->nseek_sql - 1];
		return;
	}
	if (!(s = sql_seek_choose(t->sql, r->params, r->nparams, LEAD_SEEK_SET_BYTES_MAX)))
		return;
	if (!(grown = realloc(r->seek_sql, (size_t)(r->nseek_sql + 1) * sizeof *grown))) {
		free(s);
		return; /* the seek form stays: right, only slower */
	}
	r->seek_sql = grown;
	r->seek_sql[r->nseek_sql++] = s;
	r->seek_src = t->sql;
	t->sql = s;
}

int lead_run_send(lead_run *r, uint32_t node_id, uint32_t shard, int primary, exec_task *t)
{
	mur_error err;
	lead_task_slot *slot;
	task_ref *ref;

	choose_seeks(r, t);

	if (r->ntasks >= LEAD_TASKS_MAX) {
		mur_error_set(&err, SQLSTATE_PROGRAM_LIMIT_EXCEEDED,
			      "statement needs more than %d shard tasks", LEAD_TASKS_MAX);
		lead_run_fail(r, &err);
		return MUR_ERR;
	}
	if (r->ntasks == r->tasks_cap) {
		/* grow by doubling; slots are addressed by index, so moving is safe
		 * (task callbacks never run inside send) */
		int cap = r->tasks_cap ? r->tasks_cap * 2 : 8;
		lead_task_slot *grown = realloc(r->tasks, (size_t)cap * sizeof *grown);
		if (!grown) {
			mur_error_set(&err, SQLSTATE_OUT_OF_MEMORY, "out of memory");
			lead_run_fail(r, &err);
			return MUR_ERR;
		}
		r->tasks = grown;
		r->tasks_cap = cap;
	}
	slot = &r->tasks[r->ntasks];
	memset(slot, 0, sizeof *slot);
	exec_result_init(&slot->res);
	slot->node_id = node_id;
	slot->shard = shard;
	slot->primary = primary;
	ref = malloc(sizeof *ref);
	if (!ref) {
		mur_error_set(&err, SQLSTATE_OUT_OF_MEMORY, "out of memory");
		lead_run_fail(r, &err);
		return MUR_ERR;
	}
	ref->r = r;
	ref->slot = r->ntasks;
	slot->ref = ref;
	r->ntasks++;
	r->npending++;
	if (r->e->tr.send(r->e->tr.ctx, node_id, t, task_done, ref, &err) != MUR_OK) {
		r->npending--;
		slot->done = 1;
		slot->ref = NULL;
		free(ref);
		lead_run_fail(r, &err);
		return MUR_ERR;
	}
	slot->task_id = t->id; /* send() numbered it */
	slot->scan = t->kind == EXEC_TASK_QUERY || t->kind == EXEC_TASK_SHUFFLE_SEND;
	if (slot->scan) {
		slot->sent_us = mur_now_us();
		lead_load_sent(r->e, node_id);
	}
	return MUR_OK;
}

/* How fast slot's follower answered, for lead_load_done: a QUERY's whole
 * answer time; a shuffle's SEND's without the time the follower says it
 * spent (res->elapsed_us: its query, then shipping its parts until every
 * owner acknowledged, which is the owners' and the shuffle's size, not its
 * link's), so that a join does not make its copies look slow (at least
 * 1 µs: 0 means no answer).  A lost connection's answer is made here, not
 * by the follower: it measures nothing (0), or a dead copy would look the
 * fastest. */
static uint64_t answer_us(const lead_task_slot *slot, const exec_result *res)
{
	uint64_t us = mur_now_us() - slot->sent_us;
	if (res->failed && strcmp(res->err.sqlstate, SQLSTATE_CONNECTION_FAILURE) == 0)
		return 0;
	if (!slot->stats_only)
		return us;
	return us > res->elapsed_us ? us - res->elapsed_us : 1;
}

/* A follower answered (or its connection died): keep the result, and run
 * the continuation when it was the last one. */
static void task_done(void *arg, exec_result *res)
{
	task_ref *ref = arg;
	lead_run *r = ref->r;
	lead_task_slot *slot;
	int spared;
	if (!r) { /* abandoned (lead_run_abandon): nobody waits for it */
		free(ref);
		return;
	}
	slot = &r->tasks[ref->slot];
	free(ref);

	slot->ref = NULL;
	slot->done = 1;
	slot->res.task_id = res->task_id;
	slot->res.failed = res->failed;
	slot->res.err = res->err;
	slot->res.ncols = res->ncols;
	slot->res.nrows = res->nrows;
	slot->res.changes = res->changes;
	slot->res.lsn = res->lsn;
	slot->res.entry_id = res->entry_id;
	slot->res.nattached = res->nattached;
	memcpy(slot->res.attached_lsn, res->attached_lsn, sizeof res->attached_lsn);
	memcpy(slot->res.attached_entry_id, res->attached_entry_id, sizeof res->attached_entry_id);
	slot->res.elapsed_us = res->elapsed_us;
	/* take the rows buffer instead of copying it */
	slot->res.rows = res->rows;
	mur_buf_init(&res->rows);
	slot->bytes = slot->res.rows.len;
	if (slot->scan)
		lead_load_done(r->e, slot->node_id, answer_us(slot, res));
	/* a read that did not wait, refused by a copy past its bound: read
	 * again (lead_stale.c), not a failure */
	slot->refused = res->failed && (slot->read_bound || slot->coloc) &&
			strcmp(res->err.sqlstate, EXEC_SQLSTATE_READ_PAST) == 0;
	/* a read whose copy went silent or away: read again from another
	 * copy (lead_reread.c), not a failure */
	slot->lost = res->failed && slot->reread &&
		     strcmp(res->err.sqlstate, SQLSTATE_CONNECTION_FAILURE) == 0;
	/* a shuffle starting over cancelled its other tasks: whatever they
	 * answer now is not the SELECT's failure either */
	slot->dropped = res->failed && slot->reread && r->restarting && !slot->refused &&
			!slot->lost;
	spared = slot->refused || slot->lost || slot->dropped;
	if (res->failed && !spared)
		lead_run_fail(r, &res->err);
	r->npending--;
	if (res->failed && !spared && r->on_task_failed)
		r->on_task_failed(r);
	else if ((slot->refused || slot->lost) && r->on_task_lost)
		r->on_task_lost(r);
	if (r->npending == 0 && r->on_tasks_done) {
		lead_run_next next = r->on_tasks_done;
		r->on_tasks_done = NULL;
		next(r);
	}
}

static void query_cancel_done(void *arg, exec_result *res)
{
	(void)arg;
	(void)res; /* best effort: the abandoned QUERY's answer is dropped anyway */
}

/* Tell the follower running an abandoned QUERY to stop it (a progress
 * check there: task_run.h); if it cannot be told, the query runs out. */
static void query_cancel_send(lead_run *r, const lead_task_slot *slot)
{
	exec_task t;
	mur_error err;
	memset(&t, 0, sizeof t);
	t.kind = EXEC_TASK_QUERY_CANCEL;
	t.target_id = slot->task_id;
	if (r->e->tr.send(r->e->tr.ctx, slot->node_id, &t, query_cancel_done, NULL, &err) != MUR_OK)
		MLOG(DEBUG, "leader", "cannot stop task %llu: %s",
		     (unsigned long long)slot->task_id, err.message);
}

/* Mark every pending task of r abandoned (failed with err); returns how
 * many. */
static int abandon_pending(lead_run *r, const mur_error *err)
{
	int abandoned = 0;
	for (int i = 0; i < r->ntasks; i++) {
		lead_task_slot *slot = &r->tasks[i];
		if (slot->done || !slot->ref)
			continue;
		slot->ref->r = NULL; /* task_done frees it */
		slot->ref = NULL;
		slot->done = 1;
		slot->res.failed = 1;
		slot->res.err = *err;
		abandoned++;
		if (slot->scan) {
			lead_load_done(r->e, slot->node_id, 0);
			query_cancel_send(r, slot);
		}
	}
	assert(abandoned <= r->npending);
	r->npending -= abandoned;
	return abandoned;
}

void lead_run_abandon(lead_run *r, const mur_error *err)
{
	lead_run_fail(r, err);
	if (abandon_pending(r, err) && r->on_task_failed) {
		/* a shuffle tells its owners to stop: sent, not waited for (an
		 * owner that does not answer must not hold the cancel up) */
		r->on_task_failed(r);
		abandon_pending(r, err);
	}
	if (r->npending == 0 && r->on_tasks_done) {
		lead_run_next next = r->on_tasks_done;
		r->on_tasks_done = NULL;
		next(r);
	}
}

void lead_run_reset_tasks(lead_run *r)
{
	assert(r->npending == 0);
	for (int i = 0; i < r->ntasks; i++)
		exec_result_free(&r->tasks[i].res);
	r->ntasks = 0;
	lead_shuffle_free(r); /* a shuffle starts over with a new id */
	r->restarting = 0;
}

void lead_run_wait(lead_run *r, lead_run_next next)
{
	if (r->npending == 0) {
		next(r);
		return;
	}
	r->on_tasks_done = next;
}

int lead_bind_params(lead_run *r, int nvals, const char *const *values, const int32_t *lengths,
		     int nformats, const int16_t *formats)
{
	const plan *p = r->p;
	mur_error err;
	size_t *offsets;

	if (nvals != p->nparams) {
		mur_error_set(&err, SQLSTATE_PROTOCOL_VIOLATION,
			      "bind message supplies %d parameters, but prepared statement "
			      "requires %d",
			      nvals, p->nparams);
		lead_run_fail(r, &err);
		return MUR_ERR;
	}
	if (nvals == 0)
		return MUR_OK;
	r->params = mur_calloc((size_t)nvals, sizeof *r->params);
	offsets = mur_calloc((size_t)nvals, sizeof *offsets);
	if (!r->params || !offsets) {
		free(offsets);
		mur_error_set(&err, SQLSTATE_OUT_OF_MEMORY, "out of memory");
		lead_run_fail(r, &err);
		return MUR_ERR;
	}
	r->nparams = nvals;
	/* Text values land in param_scratch, which may move while we append:
	 * remember offsets and fix pointers at the end. */
	for (int i = 0; i < nvals; i++) {
		int fmt = nformats == 0 ? 0 : nformats == 1 ? formats[0] : formats[i];
		mur_type t = p->param_types[i] == MT_UNKNOWN ? MT_TEXT : p->param_types[i];
		size_t before = r->param_scratch.len;
		int rc;
		if (lengths[i] < 0) {
			r->params[i] = mur_v_null();
			continue;
		}
		if (fmt != 0) /* pgwire turns binary parameters into text at Bind */
			rc = mur_error_set(&err, SQLSTATE_INTERNAL_ERROR,
					   "parameter %d reached the engine in format %d", i + 1,
					   fmt);
		else
			rc = mur_value_from_pgtext_tz(t, values[i], (size_t)lengths[i],
						      t == MT_TIMESTAMPTZ ? lead_session_tz(r->s)
									  : NULL,
						      &r->param_scratch, &r->params[i], &err);
		if (rc != MUR_OK) {
			free(offsets);
			lead_run_fail(r, &err);
			return MUR_ERR;
		}
		if (r->params[i].kind == MV_TEXT || r->params[i].kind == MV_BLOB) {
			/* keep our own copy: the client's bytes die when execute returns */
			const char *sp = r->params[i].s;
			int inside = r->param_scratch.len > before &&
				     sp >= r->param_scratch.data + before &&
				     sp <= r->param_scratch.data + r->param_scratch.len;
			if (!inside) {
				size_t off = r->param_scratch.len;
				mur_buf_put(&r->param_scratch, sp, r->params[i].len);
				offsets[i] = off + 1;
			} else {
				offsets[i] = (size_t)(sp - r->param_scratch.data) + 1;
			}
		}
		(void)before;
	}
	for (int i = 0; i < nvals; i++)
		if (offsets[i])
			r->params[i].s = r->param_scratch.data
						 ? r->param_scratch.data + offsets[i] - 1
						 : "";
	free(offsets);
	return MUR_OK;
}
