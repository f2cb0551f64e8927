/*
 * lead_decide.c — the leader's decision writer: multi-shard commits'
 * decisions recorded on a pool thread, grouped (replication/repl.h,
 * repl_decide_fn; docs/decisions.md, "The decision off the loop").
 *
 * A multi-shard COMMIT's decision must be durable (txn_outcomes, the
 * catalog file, synchronous=FULL) before its first marker.  On the loop
 * that commit stopped every session for its fsync (~0.5 ms).  Here:
 *
 *   lead_decide (loop)          queue d at the tail of `pending`;
 *                                no group in flight → start_group
 *   start_group (loop)          up to LEAD_DECIDE_GROUP_MAX queued
 *                                decisions become `group`; uv_queue_work
 *   group_work (pool thread)    cat_decisions_put: one SQLite transaction,
 *                                one fsync for the whole group
 *   group_done (loop)           each decision's done(arg, rc): the commit
 *                                sends its markers (or is undone: rc says
 *                                none of the group is durable); then the
 *                                decisions queued meanwhile form the next
 *                                group
 *
 * One group at a time: a decision that arrives while one is written waits
 * for it and goes with the others that arrived, so N concurrent committers
 * share one fsync.  Nothing of a group is sent to any copy before its
 * transaction committed in SQLite, so a leader killed at any moment either
 * finds a decision in txn_outcomes or sent no marker of it.
 *
 * Fault points (tests, --allow-faults): MURPHY_FAULT_POINT=
 * txn_decision_group_unwritten | txn_decision_group_written exit (137) on
 * the pool thread when a group of at least two decisions is about to be
 * written / has committed, before any of their markers.
 *
 * Memory: a queued decision (lead_decision) is malloc'd by lead_decide and
 * freed by group_done after its callback; the writer by
 * lead_decider_destroy, which must run with no group in flight (the
 * leader destroys the engine after uv_run returned: a group in flight
 * keeps the loop alive).
 */
#include "leader/lead_int.h"

#include "common/clock.h"
#include "common/log.h"

#include <assert.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* A summary line (INFO: decisions, groups, largest) at most this often,
 * as the follower WAL's group commit logs its own. */
#define LEAD_DECIDE_STATS_MS 10000

/* Decisions one group writes: bounds the transaction a pool thread holds
 * SQLite's write lock for (the rest go in the next group). */
#define LEAD_DECIDE_GROUP_MAX 256

typedef struct lead_decision {
	cat_decision d;
	repl_decided_cb done;
	void *arg;
	struct lead_decision *next;
} lead_decision;

struct lead_decider {
	uv_loop_t *loop;
	cat_decision_writer *w;
	int fault_points;
	lead_decision *pending, **pending_tail; /* FIFO, not yet in a group */
	lead_decision *group;                   /* being written (NULL: none) */
	cat_decision rows[LEAD_DECIDE_GROUP_MAX];
	int nrows;
	int rc; /* the group's result */
	mur_error err;
	uv_work_t work;
	uint64_t groups, decisions, group_max; /* since window_ms (the summary line) */
	uint64_t window_ms;
	uint64_t write_us, started_us; /* queued-to-done time summed over the window; this group's
					  start */
	uint64_t put_us, put_one_us;   /* the SQLite transactions' time (summed; this group's) */
};

lead_decider *lead_decider_create(uv_loop_t *loop, catalog *cat, int fault_points, mur_error *err)
{
	lead_decider *d = calloc(1, sizeof *d);
	if (!d) {
		mur_error_set(err, SQLSTATE_OUT_OF_MEMORY, "out of memory");
		return NULL;
	}
	if (!(d->w = cat_decision_writer_open(cat, err))) {
		free(d);
		return NULL;
	}
	d->loop = loop;
	d->fault_points = fault_points;
	d->pending_tail = &d->pending;
	d->work.data = d;
	return d;
}

void lead_decider_destroy(lead_decider *d)
{
	if (!d)
		return;
	assert(!d->group);
	for (lead_decision *x = d->pending, *next; x; x = next) {
		next = x->next;
		free(x); /* never started: nobody waits any more (exit) */
	}
	cat_decision_writer_close(d->w);
	free(d);
}

/* Count the group just written; say how decisions grouped every
 * LEAD_DECIDE_STATS_MS. */
static void group_count(lead_decider *d)
{
	uint64_t now = mur_now_ms();
	d->write_us += mur_now_us() - d->started_us;
	d->put_us += d->put_one_us;
	d->groups++;
	d->decisions += (uint64_t)d->nrows;
	if ((uint64_t)d->nrows > d->group_max)
		d->group_max = (uint64_t)d->nrows;
	if (!d->window_ms)
		d->window_ms = now;
	if (now - d->window_ms < LEAD_DECIDE_STATS_MS)
		return;
	MLOG(INFO, "decide",
	     "%llu decisions in %llu groups (largest %llu; a group: %.2f ms queued to done, "
	     "%.2f ms writing) over %.1f s",
	     (unsigned long long)d->decisions, (unsigned long long)d->groups,
	     (unsigned long long)d->group_max, (double)d->write_us / 1000.0 / (double)d->groups,
	     (double)d->put_us / 1000.0 / (double)d->groups, (double)(now - d->window_ms) / 1000.0);
	d->decisions = d->groups = d->group_max = d->write_us = d->put_us = 0;
	d->window_ms = now;
}

/* Tests (--allow-faults): MURPHY_FAULT_POINT=name armed and the group
 * holds at least two decisions: the leader exits (137) here, on the pool
 * thread, as kill -9 would. */
static void group_fault(const lead_decider *d, const char *name)
{
	const char *want;
	if (d->fault_points && d->nrows >= 2 && (want = getenv("MURPHY_FAULT_POINT")) &&
	    strcmp(want, name) == 0) {
		MLOG(WARN, "txn", "fault point %s reached: exiting (a group of %d decisions)", name,
		     d->nrows);
		_exit(137);
	}
}

/* Pool thread: the group in one SQLite transaction. */
static void group_work(uv_work_t *w)
{
	lead_decider *d = w->data;
	group_fault(d, "txn_decision_group_unwritten"); /* none durable, no marker */
	uint64_t t0 = mur_now_us();
	d->rc = cat_decisions_put(d->w, d->rows, d->nrows, &d->err);
	d->put_one_us = mur_now_us() - t0;
	if (d->rc == MUR_OK)
		group_fault(d, "txn_decision_group_written"); /* all durable, no marker */
}

static void start_group(lead_decider *d);

/* Loop: every decision of the group is durable (rc MUR_OK) or none is. */
static void group_done(uv_work_t *w, int status)
{
	lead_decider *d = w->data;
	lead_decision *g = d->group;
	if (status != 0 && d->rc == MUR_OK) /* not run: nothing was written */
		d->rc = mur_error_set(&d->err, SQLSTATE_IO_ERROR, "decision group not written");
	d->group = NULL;
	group_count(d);
	while (g) { /* a callback may queue a new decision: it goes in the next group */
		lead_decision *next = g->next;
		g->done(g->arg, d->rc, &d->err);
		free(g);
		g = next;
	}
	if (d->pending && !d->group)
		start_group(d);
}

/* Move up to LEAD_DECIDE_GROUP_MAX queued decisions into a group and
 * write it on the pool. */
static void start_group(lead_decider *d)
{
	lead_decision **tail = &d->group;
	int rc;
	d->nrows = 0;
	while (d->pending && d->nrows < LEAD_DECIDE_GROUP_MAX) {
		lead_decision *x = d->pending;
		d->pending = x->next;
		x->next = NULL;
		d->rows[d->nrows++] = x->d;
		*tail = x;
		tail = &x->next;
	}
	if (!d->pending)
		d->pending_tail = &d->pending;
	d->started_us = mur_now_us();
	rc = uv_queue_work(d->loop, &d->work, group_work, group_done);
	assert(rc == 0); /* uv_queue_work fails only for a NULL work_cb (UV_EINVAL) */
	(void)rc;
}

int lead_decide(void *ctx, const cat_decision *dec, repl_decided_cb done, void *arg, mur_error *err)
{
	lead_decider *d = ctx;
	lead_decision *x = malloc(sizeof *x);
	if (!x)
		return mur_error_set(err, SQLSTATE_OUT_OF_MEMORY, "out of memory");
	x->d = *dec;
	x->done = done;
	x->arg = arg;
	x->next = NULL;
	*d->pending_tail = x;
	d->pending_tail = &x->next;
	if (!d->group)
		start_group(d);
	return MUR_OK;
}
