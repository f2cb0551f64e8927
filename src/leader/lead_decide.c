/*
 * lead_decide.c — the leader's decision writer: the decisions of the
 * multi-shard commits that reach their decision in one turn of the event
 * loop are made durable together, once that turn's I/O callbacks ran
 * (replication/repl.h, repl_decide_fn; docs/decisions.md, "The decision:
 * a log, grouped per loop turn").
 *
 *   lead_decide (an I/O callback: a commit's last entry prepared)
 *       queue the decision; arm `check` (a uv_check: it runs right after
 *       the loop's poll phase, i.e. after every I/O callback of this turn)
 *       and `nowait` (an idle handle: the poll does not block, for a
 *       decision queued by a timer callback, before the poll)
 *   on_check (same turn)
 *       up to LEAD_DECIDE_GROUP_MAX queued decisions form a group:
 *       cat_decisions_put — one durable write (RWF_DSYNC) of the decision
 *       log for all of them (catalog_decision.c; outcome rows, written by
 *       lead_decide already, are not written again) — then each decision's
 *       done(arg, rc): the commit sends its markers (or, rc != MUR_OK,
 *       none of the group is durable and it is undone).  The rows reach
 *       txn_outcomes at the table's next read (cat_decisions_flush)
 *
 * Nothing of a group goes to any copy before its log write is durable, so
 * a leader killed at any moment has every decision whose marker went out
 * in the log (cat_open replays it), and every reader of txn_outcomes
 * (recovery, murphy.transaction_outcomes, the trim) sees it.
 *
 * Outcome rows (cat_decision.outcome_only: a parallel commit's, decided by
 * its staging markers; nothing waits for them) are not synced per group:
 * lead_decide writes each at once (cat_outcomes_put: a pwrite into the page
 * cache, before the caller answers the COMMIT — record_outcome comes
 * before decided_go in repl_lock.c) and the group only calls its done; it is
 * made durable by the next durable group (it covers them) or by `sync`, a
 * timer LEAD_OUTCOME_SYNC_MS after the first unsynced row: one fdatasync
 * for every row of that window instead of one per TPC-B transaction.  A
 * leader *process* killed meanwhile keeps them (cat_open replays the page
 * cache's slots); a *machine* crash loses them, and a restart then finds a
 * parallel commit from its staging markers: while a copy holds it open
 * (repl_staged.c), or else from the STAGED entries it lists in every
 * copy's log at start (repl_staged_rebuild.c) (docs/transactions.md, "A parallel commit's outcome row: written,
 * synced later", says what is decided in each case and why nothing
 * committed is undone).
 *
 * Why on the loop and not on a pool thread (tried first): on this 2-core
 * machine the thread's wake-up and the loop's after-work callback cost more
 * than the ~0.2 ms fdatasync they keep off the loop (a two-shard decision's
 * p50 1.56-1.78 ms on the pool against 0.81-0.98 here and 1.17-1.25 ms for
 * the SQLite commit it replaces; docs/decisions.md).
 *
 * Fault points (tests, --allow-faults): MURPHY_FAULT_POINT=
 * txn_decision_group_unwritten | txn_decision_group_written exit (137)
 * when a group of at least two decisions is about to be written / is
 * durable in the log, before any of their markers (and rows); a group's
 * outcome rows are written already at both.
 * txn_outcome_unsynced exits (137) when `sync` fires with outcome rows
 * written and not synced (their COMMITs answered: a leader killed -9
 * before the sync); txn_outcome_lost first zeroes those slots and deletes
 * their rows (what a machine crash there leaves).  While either is armed
 * the sync comes LEAD_OUTCOME_SYNC_FAULT_MS after the row, so a test can
 * act in the window.
 *
 * Memory: a queued decision (lead_decision) is malloc'd by lead_decide and
 * freed once its callback ran; the decider by lead_decider_destroy (its
 * check handle is closed there: the memory goes in the close callback, or
 * with the process when the loop does not run again).
 */
#include "leader/lead_int.h"

#include "common/clock.h"
#include "common/log.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* A summary line (INFO: decisions, groups, largest) at most this often,
 * as the follower WAL's group commit logs its own. */
#define LEAD_DECIDE_STATS_MS 10000

/* Decisions one group writes (the rest go in the next group, in the same
 * turn): bounds the write and the SQLite transaction of one group. */
#define LEAD_DECIDE_GROUP_MAX 256

/* Outcome rows written without a sync are synced this long after the
 * first of them (the window a machine crash can lose; a leader process
 * killed loses none).  At TPC-B's 200-500 commits/s, one fdatasync per
 * 10-25 transactions instead of one each. */
#define LEAD_OUTCOME_SYNC_MS 50
#define LEAD_OUTCOME_SYNC_FAULT_MS 500

typedef struct lead_decision {
	cat_decision d;
	repl_decided_cb done;
	void *arg;
	int written; /* an outcome row, written by lead_decide: rc, err */
	int rc;
	mur_error err;
	struct lead_decision *next;
} lead_decision;

struct lead_decider {
	cat_decision_writer *w;
	int fault_points;
	uv_check_t check; /* armed while decisions are queued */
	uv_idle_t nowait; /* armed with check: the poll does not block (a decision
			     queued by a timer callback is written in that turn) */
	uv_timer_t sync;  /* armed while outcome rows are written, not synced */
	uint64_t sync_ms; /* its delay: LEAD_OUTCOME_SYNC_MS (or _FAULT_MS) */
	lead_decision *pending, **pending_tail; /* FIFO, not yet in a group */
	lead_decision *group;                   /* being written (NULL: none) */
	cat_decision rows[LEAD_DECIDE_GROUP_MAX];
	int nrows;
	int rc; /* the group's result */
	mur_error err;
	uint64_t groups, decisions, group_max, syncs; /* since window_ms (the summary line) */
	uint64_t window_ms;
	uint64_t write_us; /* cat_decisions_put's time, summed over the window */
	int closing;       /* handles whose close callback is still to come */
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
	d->fault_points = fault_points;
	d->pending_tail = &d->pending;
	d->sync_ms = LEAD_OUTCOME_SYNC_MS;
	const char *want = fault_points ? getenv("MURPHY_FAULT_POINT") : NULL;
	if (want && strncmp(want, "txn_outcome_", 12) == 0)
		d->sync_ms = LEAD_OUTCOME_SYNC_FAULT_MS;
	uv_check_init(loop, &d->check);
	uv_idle_init(loop, &d->nowait);
	uv_timer_init(loop, &d->sync);
	d->check.data = d->nowait.data = d->sync.data = d;
	return d;
}

/* The handles' close callbacks: the last frees d. */
static void handle_closed(uv_handle_t *h)
{
	lead_decider *d = h->data;
	if (--d->closing == 0)
		free(d);
}
static void nowait_cb(uv_idle_t *h) { (void)h; }

void lead_decider_destroy(lead_decider *d)
{
	if (!d)
		return;
	for (lead_decision *x = d->pending, *next; x; x = next) {
		next = x->next;
		free(x); /* never written: nobody waits any more (exit) */
	}
	d->pending = NULL;
	cat_decision_writer_close(d->w);
	d->w = NULL;
	uv_check_stop(&d->check);
	uv_idle_stop(&d->nowait);
	uv_timer_stop(&d->sync);
	d->closing = 3;
	uv_close((uv_handle_t *)&d->sync, handle_closed);
	uv_close((uv_handle_t *)&d->nowait, handle_closed);
	uv_close((uv_handle_t *)&d->check, handle_closed);
}

/* Count the group just written; say how decisions grouped every
 * LEAD_DECIDE_STATS_MS. */
static void group_count(lead_decider *d, uint64_t write_us)
{
	uint64_t now = mur_now_ms();
	d->write_us += write_us;
	d->groups++;
	d->decisions += (uint64_t)d->nrows;
	if ((uint64_t)d->nrows > d->group_max)
		d->group_max = (uint64_t)d->nrows;
	if (!d->window_ms)
		d->window_ms = now;
	if (now - d->window_ms < LEAD_DECIDE_STATS_MS)
		return;
	MLOG(INFO, "decide",
	     "%llu decisions in %llu groups (largest %llu, %.2f ms a write), %llu outcome syncs, "
	     "over %.1f s",
	     (unsigned long long)d->decisions, (unsigned long long)d->groups,
	     (unsigned long long)d->group_max, (double)d->write_us / 1000.0 / (double)d->groups,
	     (unsigned long long)d->syncs, (double)(now - d->window_ms) / 1000.0);
	d->decisions = d->groups = d->group_max = d->write_us = d->syncs = 0;
	d->window_ms = now;
}

/* Tests (--allow-faults): MURPHY_FAULT_POINT=name armed and the group
 * holds at least two decisions: the leader exits (137) here, as kill -9
 * would. */
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

static void on_sync(uv_timer_t *h);

/* `sync` armed while outcome rows are written and not synced (a durable
 * group covers them: then it stops). */
static void sync_arm(lead_decider *d)
{
	if (!cat_decisions_unsynced(d->w))
		uv_timer_stop(&d->sync);
	else if (!uv_is_active((uv_handle_t *)&d->sync))
		uv_timer_start(&d->sync, on_sync, d->sync_ms, 0);
}

/* The outcome rows written since the last sync made durable (their
 * COMMITs were answered long ago: nothing waits). */
static void on_sync(uv_timer_t *h)
{
	lead_decider *d = h->data;
	mur_error err;
	const char *want = d->fault_points ? getenv("MURPHY_FAULT_POINT") : NULL;
	if (want &&
	    (strcmp(want, "txn_outcome_unsynced") == 0 || strcmp(want, "txn_outcome_lost") == 0)) {
		MLOG(WARN, "txn", "fault point %s reached: exiting (%d outcome rows not synced)",
		     want, cat_decisions_unsynced(d->w));
		if (strcmp(want, "txn_outcome_lost") == 0)
			cat_decisions_drop_unsynced(d->w);
		_exit(137);
	}
	d->syncs++;
	if (cat_decisions_sync(d->w, &err) != MUR_OK)
		MLOG(ERROR, "txn", "outcome rows: %s", err.message);
}

/* Move up to LEAD_DECIDE_GROUP_MAX queued decisions into the group. */
static void take_group(lead_decider *d)
{
	lead_decision **tail = &d->group;
	d->nrows = 0;
	while (d->pending && d->nrows < LEAD_DECIDE_GROUP_MAX) {
		lead_decision *x = d->pending;
		d->pending = x->next;
		x->next = NULL;
		d->nrows++;
		*tail = x;
		tail = &x->next;
	}
	if (!d->pending)
		d->pending_tail = &d->pending;
}

/* The group durable (d->rc MUR_OK) or certainly not, then each commit
 * told: it goes on (its markers) or is undone. */
static void write_group(lead_decider *d)
{
	lead_decision *g = d->group;
	uint64_t t0 = mur_now_us();
	int n = 0; /* the group's rows not written yet: recorded decisions */
	for (lead_decision *x = g; x; x = x->next)
		if (!x->written)
			d->rows[n++] = x->d;
	group_fault(d, "txn_decision_group_unwritten"); /* none durable, no marker */
	d->rc = n ? cat_decisions_put(d->w, d->rows, n, &d->err) : MUR_OK;
	if (d->rc == MUR_OK) /* all durable (outcome rows: written), no marker */
		group_fault(d, "txn_decision_group_written");
	sync_arm(d);
	group_count(d, mur_now_us() - t0);
	d->group = NULL;
	while (g) { /* a callback may queue a new decision: it goes in the next group */
		lead_decision *next = g->next;
		if (g->written)
			g->done(g->arg, g->rc, &g->err);
		else
			g->done(g->arg, d->rc, &d->err);
		free(g);
		g = next;
	}
}

/* After this turn's I/O callbacks: the decisions they queued, as groups. */
static void on_check(uv_check_t *h)
{
	lead_decider *d = h->data;
	uv_check_stop(h);
	uv_idle_stop(&d->nowait);
	while (d->pending) {
		take_group(d);
		write_group(d); /* the markers go out */
	}
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
	x->written = dec->outcome_only;
	if (x->written) { /* now: in the page cache before its COMMIT is answered */
		x->rc = cat_outcomes_put(d->w, dec, 1, &x->err);
		sync_arm(d);
	}
	*d->pending_tail = x;
	d->pending_tail = &x->next;
	uv_check_start(&d->check, on_check);
	uv_idle_start(&d->nowait, nowait_cb);
	return MUR_OK;
}
