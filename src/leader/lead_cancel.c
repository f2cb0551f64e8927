/*
 * lead_cancel.c — ending a statement early: the PostgreSQL CancelRequest
 * (pgw_engine_ops.cancel; pg_cancel_backend from another session ends here
 * too, lead_signal.c), statement_timeout, and lead_run_cancel, the hook a
 * lock wait can use with its own error (55P03, 40P01).
 *
 * A statement in progress.  lead_stmt_begin wraps the statement's done()
 * (stmt_finished), so the session knows a statement is in progress
 * (s->stmt_done) until its answer goes out, and arms the session's
 * statement_timeout timer; s->runs lists the statement's live runs (a
 * parent and its child: INSERT ... SELECT, EXPLAIN ANALYZE), newest first.
 *
 * What a cancel stops (lead_run_cancel), and what it cannot:
 *
 *   parked            a read behind an undecided write (the shard's gate),
 *                     a statement waiting for copies to report after a
 *                     leader restart, a DROP TABLE waiting for writes in
 *                     flight: unparked (repl_unpark) and answered with the
 *                     error at once.  Nothing had been sent.
 *   reading           a SELECT (or ANALYZE, or the row counts behind
 *                     murphy.shards) waiting for follower results: they
 *                     are abandoned (lead_run_abandon; results dropped when
 *                     they arrive, the follower's query runs to its end) and
 *                     the error goes out at once.  Each follower running
 *                     one of its scans gets a QUERY_CANCEL (its SQLite
 *                     query stops); a repartition's owners get a
 *                     SHUFFLE_CANCEL (their join stops).  Neither is
 *                     waited for.
 *   write, queued     a shard part still queued behind other writes of the
 *                     shard (never sent, or sent back to the queue with no
 *                     copy keeping it) is taken back (repl_cancel_queued)
 *                     and fails with the error.
 *   write, sent       cannot be taken back: it completes, its outcome is
 *                     decided as usual (committed at its quorum, or undone),
 *                     and the client gets that outcome.  A statement with
 *                     parts of both kinds is one transaction (lead_txn.c):
 *                     it fails, and its sent parts are undone with it
 *                     (autocommit) or by the block's ROLLBACK.
 *   DDL, COPY         CREATE/DROP INDEX and CREATE TABLE tasks already sent
 *                     complete; a COPY FROM STDIN is not cancelled (the
 *                     client ends it with CopyFail).
 *   parsing           a long statement parsed on the thread pool: the
 *                     cancel is remembered (cancel_pending) and its run
 *                     fails as it starts.
 *   waiting elsewhere a wait that set r->on_cancel is ended by that
 *                     callback, with the error given (none sets one today:
 *                     a lock wait is a queued write or lock op, taken back
 *                     as "write, queued"; lock_timeout and deadlock_timeout
 *                     fail it in replication: repl_lock_due, below).
 *
 * Each run is cancelled at most once (r->cancelled).  Everything runs on
 * the loop thread; a cancel may complete the statement (call done())
 * before lead_session_cancel returns.
 *
 * Lock waits keep their own time: one engine timer (lead_lock_wake_at,
 * replication's repl_config.wake_at) is armed at the earliest time a
 * waiting op needs a look — its lock_timeout (55P03) or its next deadlock
 * search (deadlock_timeout, 40P01) — and calls repl_lock_due, which fails
 * those ops in replication (their statements hear it as any failed write).
 * The time settings (statement_timeout, lock_timeout, deadlock_timeout,
 * idle_in_transaction_session_timeout) are parsed here, in PostgreSQL's
 * units.
 */
#include "leader/lead_int.h"

#include "common/clock.h"
#include "common/log.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- cancel a run ---- */

/* Runs whose tasks only read: abandoning their tasks changes no data. */
static int run_reads_only(const lead_run *r)
{
	return r->p->kind == PLAN_SELECT || r->p->kind == PLAN_LEADER_SELECT ||
	       r->p->kind == PLAN_ANALYZE;
}

void lead_run_cancel(lead_run *r, const mur_error *err)
{
	if (r->cancelled)
		return;
	r->cancelled = 1;
	if (r->on_cancel) { /* a wait of its own (a lock wait) ends it */
		void (*fn)(lead_run *, const mur_error *) = r->on_cancel;
		r->on_cancel = NULL;
		fn(r, err);
		return;
	}
	if (repl_unpark(r->e->repl, r) > 0) {
		lead_run_fail(r, err);
		if (r->npending == 0)
			lead_run_finish(r);
		else
			lead_run_abandon(r, err);
		return;
	}
	if (run_reads_only(r)) {
		if (r->npending > 0)
			lead_run_abandon(r, err);
		return;
	}
	/* a write: only its parts still queued can be taken back; each is
	 * reported failed (run_part_done), which may finish the run */
	repl_cancel_queued(r->e->repl, r, err);
}

static lead_run *first_uncancelled(lead_session *s)
{
	for (lead_run *r = s->runs; r; r = r->snext)
		if (!r->cancelled)
			return r;
	return NULL;
}

void lead_session_cancel(lead_session *s, const mur_error *err)
{
	lead_run *r;
	uint64_t seq = s->stmt_seq;
	if (!s->stmt_done)
		return; /* no statement in progress: nothing to cancel */
	if (!s->cancel_pending) {
		s->cancel_pending = 1; /* for a run that has not started yet */
		s->cancel_err = *err;
	}
	s->refs++; /* the statement may end, and the session close, meanwhile */
	/* a cancel may finish runs and start others (a parent goes on when
	 * its child ends): look again from the head after each, as long as
	 * the statement is the one cancelled (its end may start the next) */
	while (s->stmt_done && s->stmt_seq == seq && (r = first_uncancelled(s)))
		lead_run_cancel(r, err);
	lead_session_unref(s);
}

void lead_session_cancel_request(void *esess)
{
	mur_error err;
	mur_error_set(&err, SQLSTATE_QUERY_CANCELED, "canceling statement due to user request");
	lead_session_cancel(esess, &err);
}

/* ---- the statement in progress, statement_timeout ---- */

static void stmt_finished(void *arg, pgw_result *res)
{
	lead_session *s = arg;
	pgw_done_cb done = s->stmt_done;
	void *done_arg = s->stmt_arg;
	if (s->timer)
		uv_timer_stop(s->timer);
	s->stmt_done = NULL;
	s->stmt_arg = NULL;
	s->cancel_pending = 0;
	s->stmt_deadline_ms = 0;
	lead_activity_end(s); /* pg_stat_activity's state_change */
	done(done_arg, res);
}

static void timeout_fired(uv_timer_t *t)
{
	lead_session *s = t->data;
	mur_error err;
	mur_error_set(&err, SQLSTATE_QUERY_CANCELED,
		      "canceling statement due to statement timeout");
	MLOG(DEBUG, "leader", "statement_timeout: cancelling a statement");
	lead_session_cancel(s, &err);
}

static void timer_closed(uv_handle_t *h) { free(h); }

void lead_stmt_begin(lead_session *s, pgw_done_cb *done, void **arg)
{
	uint64_t ms = lead_session_ms(s, "statement_timeout");
	s->stmt_done = *done;
	s->stmt_arg = *arg;
	s->stmt_seq++;
	s->cancel_pending = 0;
	*done = stmt_finished;
	*arg = s;
	s->stmt_deadline_ms = ms ? mur_now_ms() + ms : 0;
	if (!ms || !s->e->loop)
		return; /* off, or no loop (unit tests without one): no timer */
	if (!s->timer) {
		if (!(s->timer = malloc(sizeof *s->timer)))
			return; /* out of memory: the statement runs without its timeout */
		uv_timer_init(s->e->loop, s->timer);
		s->timer->data = s;
	}
	uv_timer_start(s->timer, timeout_fired, ms, 0);
}

void lead_stmt_close(lead_session *s)
{
	if (!s->timer)
		return;
	uv_timer_stop(s->timer);
	uv_close((uv_handle_t *)s->timer, timer_closed);
	s->timer = NULL;
}

/* ---- lock waits: one timer, at the earliest wait's time ---- */

static void lock_timer_fired(uv_timer_t *t)
{
	lead_engine *e = t->data;
	e->lock_due_us = 0;
	repl_lock_due(e->repl); /* arms the timer again for the next wait */
}

void lead_lock_wake_at(void *ctx, uint64_t due_us)
{
	lead_engine *e = ctx;
	uint64_t now = mur_now_us();
	if (!e->loop || (e->lock_due_us && e->lock_due_us <= due_us))
		return; /* no loop (the tick looks), or armed for sooner */
	if (!e->lock_timer) {
		if (!(e->lock_timer = malloc(sizeof *e->lock_timer)))
			return; /* out of memory: the 1 s tick looks */
		uv_timer_init(e->loop, e->lock_timer);
		e->lock_timer->data = e;
	}
	e->lock_due_us = due_us;
	/* libuv counts whole ms: round up, so the look is never early */
	uv_timer_start(e->lock_timer, lock_timer_fired,
		       due_us > now ? (due_us - now + 999) / 1000 : 0, 0);
}

void lead_lock_timer_close(lead_engine *e)
{
	if (!e->lock_timer)
		return;
	uv_timer_stop(e->lock_timer);
	uv_close((uv_handle_t *)e->lock_timer, timer_closed);
	e->lock_timer = NULL;
}

/* ---- time settings ---- */

/* The largest value PostgreSQL takes for a time setting in ms (INT_MAX). */
#define LEAD_SETTING_MS_MAX 2147483647.0

// clang-format off
/* The time settings, with the least value PostgreSQL takes for each
 * (deadlock_timeout: 1 ms; the others: 0 = off). */
static const struct {
	const char *name;
	double min_ms;
} ms_settings[] = {
	{"statement_timeout", 0},
	{"idle_in_transaction_session_timeout", 0},
	{"idle_session_timeout", 0},
	{"tcp_user_timeout", 0}, /* applied to the socket: lead_idle.c */
	{"lock_timeout", 0},
	{"deadlock_timeout", 1},
	{"murphy.max_staleness", 0}, /* bounded reads' bound: lead_stale.c */
};
// clang-format on

static const double *ms_setting_min(const char *name)
{
	for (size_t i = 0; i < sizeof ms_settings / sizeof ms_settings[0]; i++)
		if (strcmp(ms_settings[i].name, name) == 0)
			return &ms_settings[i].min_ms;
	return NULL;
}

int lead_setting_is_ms(const char *name) { return ms_setting_min(name) != NULL; }

/* PostgreSQL's units for time settings, in ms. */
static const struct {
	const char *unit;
	double ms;
} ms_units[] = {
	{"us", 0.001}, {"ms", 1}, {"s", 1000}, {"min", 60000}, {"h", 3600000}, {"d", 86400000},
};

/* Print ms as SHOW does: in the largest unit that divides it. */
static void ms_format(uint64_t ms, char *out, size_t outsz)
{
	for (int i = (int)(sizeof ms_units / sizeof ms_units[0]) - 1; i >= 1; i--) {
		uint64_t u = (uint64_t)ms_units[i].ms;
		if (ms && ms % u == 0) {
			snprintf(out, outsz, "%llu%s", (unsigned long long)(ms / u),
				 ms_units[i].unit);
			return;
		}
	}
	snprintf(out, outsz, "%llu", (unsigned long long)ms);
}

/* value as ms (a number, optionally followed by a unit; none = ms).
 * MUR_OK, or 22023 as PostgreSQL words it. */
static int ms_parse(const char *name, const char *value, double *ms, mur_error *err)
{
	char *end;
	const double *min;
	double v;
	errno = 0;
	v = strtod(value, &end);
	if (end == value || errno == ERANGE || !isfinite(v))
		return mur_error_set(err, SQLSTATE_INVALID_PARAMETER_VALUE,
				     "invalid value for parameter \"%s\": \"%s\"", name, value);
	while (*end == ' ')
		end++;
	if (*end) {
		size_t i;
		for (i = 0; i < sizeof ms_units / sizeof ms_units[0]; i++)
			if (strcmp(end, ms_units[i].unit) == 0)
				break;
		if (i == sizeof ms_units / sizeof ms_units[0]) {
			mur_error_set(err, SQLSTATE_INVALID_PARAMETER_VALUE,
				      "invalid value for parameter \"%s\": \"%s\"", name, value);
			mur_error_hint(err,
				       "Valid units for this parameter are \"us\", \"ms\", \"s\", "
				       "\"min\", \"h\", and \"d\".");
			return MUR_ERR;
		}
		v *= ms_units[i].ms;
	}
	v = round(v);
	min = ms_setting_min(name);
	if (v < (min ? *min : 0) || v > LEAD_SETTING_MS_MAX)
		return mur_error_set(err, SQLSTATE_INVALID_PARAMETER_VALUE,
				     "%.0f ms is outside the valid range for parameter \"%s\" "
				     "(%.0f "
				     ".. %.0f)",
				     v, name, min ? *min : 0, LEAD_SETTING_MS_MAX);
	*ms = v;
	return MUR_OK;
}

int lead_setting_ms_check(const char *name, const char *value, char *out, size_t outsz,
			  mur_error *err)
{
	double ms;
	if (ms_parse(name, value, &ms, err) != MUR_OK)
		return MUR_ERR;
	if (strcmp(name, "tcp_user_timeout") == 0) /* SHOWn as a bare number, as PostgreSQL's */
		snprintf(out, outsz, "%llu", (unsigned long long)ms);
	else
		ms_format((uint64_t)ms, out, outsz);
	return MUR_OK;
}

uint64_t lead_setting_text_ms(const char *name, const char *v)
{
	double ms;
	mur_error err;
	if (v && v[0] == '0' && !v[1])
		return 0; /* the default of most, asked at every statement: no strtod */
	if (!v || ms_parse(name, v, &ms, &err) != MUR_OK)
		return 0; /* stored values were checked by SET */
	return (uint64_t)ms;
}
