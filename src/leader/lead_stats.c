/*
 * lead_stats.c — murphy.query_stats: what the recent SELECTs cost.
 *
 * Every distributed SELECT that finishes (lead_run_finish) leaves one
 * entry in a ring of LEAD_QUERY_STATS_MAX on the engine: when it started,
 * its text (cut at LEAD_QUERY_TEXT_MAX - 1 bytes), the strategy that ran
 * (the plan's, or "repartition ..." when the executor shuffled), how many
 * shards it touched, the result rows, the rows and bytes that came into the
 * leader, the rows and bytes moved follower to follower over the network,
 * the time, and the error if it failed.  The view shows the ring, newest
 * last (lead_views.c); it is memory only (a leader restart empties it).
 */
#include "leader/lead_int.h"

#include "common/clock.h"

#include <stdio.h>
#include <string.h>

void lead_stats_record(lead_run *r)
{
	lead_engine *e = r->e;
	const plan_select *ps;
	lead_query_stat *q;
	uint64_t elapsed;

	if (!r->p || r->p->kind != PLAN_SELECT)
		return;
	ps = &r->p->u.select;
	q = &e->qstats[e->nqstats % LEAD_QUERY_STATS_MAX];
	memset(q, 0, sizeof *q);
	elapsed = mur_now_us() - r->start_us;
	q->elapsed_us = elapsed;
	q->started_ms = mur_wall_ms() - (int64_t)(elapsed / 1000);
	snprintf(q->query, sizeof q->query, "%s", r->sql_text);
	q->rows = r->nrows;
	if (r->shuffle) {
		lead_shuffle_totals t;
		lead_shuffle_totals_of(r, &t);
		const char *what = r->shuffle->what ? r->shuffle->what : "";
		if (ps->join_shuffle && !strncmp(what, "broadcast", 9))
			snprintf(q->strategy, sizeof q->strategy, "broadcast join");
		else
			snprintf(q->strategy, sizeof q->strategy, "repartition %s%s",
				 ps->join_shuffle ? "join on " : "", what);
		q->leader_rows = t.leader_rows;
		q->leader_bytes = t.leader_bytes;
		q->shuffled_rows = t.moved_rows;
		q->shuffled_bytes = t.moved_bytes;
		q->shards = 0;
		for (int i = 0; i < r->ntasks; i++)
			q->shards += r->tasks[i].primary; /* the SENDs */
	} else {
		snprintf(q->strategy, sizeof q->strategy, "%s",
			 ps->strategy ? ps->strategy : (ps->router ? "router" : "scatter-gather"));
		for (int i = 0; i < r->ntasks; i++) {
			q->leader_rows += r->tasks[i].res.nrows;
			q->leader_bytes += r->tasks[i].bytes;
		}
		q->shards = (uint32_t)r->ntasks;
	}
	if (r->failed)
		snprintf(q->error, sizeof q->error, "%s: %.150s", r->err.sqlstate, r->err.message);
	e->nqstats++;
}
