/*
 * detector.c — the leader's failure detector (state diagram in cluster.h).
 *
 * One repeating timer checks every follower's silence: the loop-clock time
 * since its last HELLO or HEARTBEAT.  The tick is a quarter of the suspect
 * timeout (clamped to CLU_TICK_MIN_MS..CLU_TICK_MAX_MS) so a state change
 * is noticed at most 25 % late.  On DEAD the follower's connection, if it
 * still has one (a paused process keeps its TCP connection), is closed so
 * the tasks waiting on it fail instead of hanging.  The same tick expires
 * tasks past the task timeout (route.c).
 *
 * The leader's own stalls are not the followers' silence.  Everything runs
 * on one loop thread: while a callback holds it (a huge statement, a slow
 * fsync), heartbeats wait unread in the sockets, and libuv runs timers
 * before reading sockets, so the first tick after a 2 s block saw every
 * follower silent for 2 s and made them all suspect.  A loop watch timer
 * fires every CLU_LOOP_WATCH_MS; every detector callback first measures
 * the gap since the previous one (loop_check).  A gap past
 * CLU_LOOP_STALL_MIN_MS is a stall: its length beyond the watch period is
 * added to every follower's last_seen_ms (the leader could not have read a
 * heartbeat then), recorded in stall_max_ms (murphy.settings
 * loop_stall_max_ms) and logged when it reaches CLU_LOOP_STALL_LOG_MS.  A
 * follower therefore becomes suspect after suspect_timeout_ms of silence
 * while the leader was listening; a dead follower is noticed later by the
 * length of the leader's stalls in between.
 *
 * Both are measured on the loop's clock (uv_now), not common/clock.h's: a
 * stall is the gap between two timer callbacks as the loop saw them, and
 * silence is credited with stalls on that same clock (last_seen_ms,
 * route.c's task deadlines).  Wall time (mur_wall_ms) is only what the
 * catalog records for users.
 */
#include "cluster/cluster_int.h"

#include "common/clock.h"

#include <stdio.h>

#include "common/log.h"

#define CLU_TICK_MIN_MS 5
#define CLU_TICK_MAX_MS 250
/* Loop watch period: a stall is measured to within this. */
#define CLU_LOOP_WATCH_MS 10
/* Gaps shorter than this are scheduling noise on a busy machine, not
 * stalls: not credited to the followers. */
#define CLU_LOOP_STALL_MIN_MS 50
/* Stalls this long get a WARN line (each one: they are the events a user
 * wants to find after "why was this write slow"). */
#define CLU_LOOP_STALL_LOG_MS 200

static const char *state_name(cat_node_state s)
{
	switch (s) {
	case CAT_NODE_ALIVE:
		return "alive";
	case CAT_NODE_SUSPECT:
		return "suspect";
	case CAT_NODE_DEAD:
		return "dead";
	case CAT_NODE_RETURNING:
		return "returning";
	}
	return "?";
}

static int set_state(clu_leader *l, clu_node *n, cat_node_state st, uint64_t silent_ms)
{
	if (n->state == st)
		return 0;
	if (st == CAT_NODE_ALIVE)
		MLOG(INFO, "cluster", "follower %s is alive again (was %s)", n->name,
		     state_name(n->state));
	else
		MLOG(WARN, "cluster", "follower %s is %s: no heartbeat for %llu ms", n->name,
		     state_name(st), (unsigned long long)silent_ms);
	n->state = st;
	cat_node_set_state(l->cat, n->id, st, st == CAT_NODE_ALIVE ? mur_wall_ms() : 0);
	clu_notify(l, n->id);
	return 1;
}

/* Measure the gap since the previous detector callback; credit a stall
 * to every follower (see the top of the file). */
static void loop_check(clu_leader *l, uint64_t now)
{
	uint64_t gap = now - l->loop_seen_ms, stall;
	l->loop_seen_ms = now;
	if (gap < CLU_LOOP_STALL_MIN_MS)
		return;
	stall = gap - CLU_LOOP_WATCH_MS;
	l->stalls++;
	if (stall > l->stall_max_ms)
		l->stall_max_ms = stall;
	for (int i = 0; i < l->nnodes; i++) {
		clu_node *n = &l->nodes[i];
		n->last_seen_ms = n->last_seen_ms + stall > now ? now : n->last_seen_ms + stall;
	}
	if (stall >= CLU_LOOP_STALL_LOG_MS)
		MLOG(WARN, "cluster",
		     "event loop blocked for %llu ms (longest so far %llu ms): not counted as "
		     "followers' silence",
		     (unsigned long long)stall, (unsigned long long)l->stall_max_ms);
}

static void watch(uv_timer_t *t)
{
	clu_leader *l = t->data;
	loop_check(l, uv_now(l->loop));
}

uint64_t clu_leader_loop_stall_max_ms(const clu_leader *l) { return l->stall_max_ms; }

static void tick(uv_timer_t *t)
{
	clu_leader *l = t->data;
	uint64_t now = uv_now(l->loop);

	loop_check(l, now);

	for (int i = 0; i < l->nnodes; i++) {
		clu_node *n = &l->nodes[i];
		uint64_t silent = now - n->last_seen_ms;
		if (silent > l->dead_timeout_ms && n->state != CAT_NODE_DEAD) {
			set_state(l, n, CAT_NODE_DEAD, silent);
			if (n->link)
				net_conn_close(n->link->conn, "declared dead: no heartbeat");
		} else if (silent > l->suspect_timeout_ms && n->state == CAT_NODE_ALIVE) {
			set_state(l, n, CAT_NODE_SUSPECT, silent);
			/* Fail the tasks waiting on it now (08006) instead of at the
			 * dead timeout, so the shards it was primary for move on; the
			 * connection stays (a paused follower that resumes just
			 * heartbeats again and is checked then: "returning"). */
			if (n->link) {
				char why[160];
				snprintf(why, sizeof why,
					 "follower \"%s\" is suspect (no heartbeat for %llu ms); "
					 "its task was "
					 "abandoned",
					 n->name, (unsigned long long)silent);
				clu_route_fail_all(n->link, why);
				n->epoch++; /* fence: those tasks must not run if it resumes */
			}
		}
	}
	clu_route_expire(l, now);
}

static uint64_t tick_ms(const clu_leader *l)
{
	uint64_t t = l->suspect_timeout_ms / 4;
	return t < CLU_TICK_MIN_MS ? CLU_TICK_MIN_MS : t > CLU_TICK_MAX_MS ? CLU_TICK_MAX_MS : t;
}

void clu_detector_start(clu_leader *l)
{
	uv_timer_init(l->loop, &l->timer);
	l->timer.data = l;
	uv_timer_start(&l->timer, tick, tick_ms(l), tick_ms(l));
	uv_timer_init(l->loop, &l->watch);
	l->watch.data = l;
	l->loop_seen_ms = uv_now(l->loop);
	uv_timer_start(&l->watch, watch, CLU_LOOP_WATCH_MS, CLU_LOOP_WATCH_MS);
}

int clu_detector_seen(clu_leader *l, clu_node *n)
{
	n->last_seen_ms = uv_now(l->loop);
	if (set_state(l, n, CAT_NODE_ALIVE, 0))
		return 1;
	cat_node_set_state(l->cat, n->id, CAT_NODE_ALIVE, mur_wall_ms());
	return 0;
}

static void timer_closed(uv_handle_t *h)
{
	clu_leader *l = h->data;
	l->timer_closed++;
	clu_maybe_free(l);
}

void clu_detector_stop(clu_leader *l)
{
	uv_close((uv_handle_t *)&l->timer, timer_closed);
	uv_close((uv_handle_t *)&l->watch, timer_closed);
}

void clu_leader_set_timeouts(clu_leader *l, uint64_t suspect_timeout_ms, uint64_t dead_timeout_ms)
{
	if (suspect_timeout_ms == 0)
		suspect_timeout_ms = CLU_SUSPECT_TIMEOUT_MS_DEFAULT;
	if (dead_timeout_ms <= suspect_timeout_ms)
		dead_timeout_ms = suspect_timeout_ms + 1;
	l->suspect_timeout_ms = suspect_timeout_ms;
	l->dead_timeout_ms = dead_timeout_ms;
	if (!l->stopping)
		uv_timer_start(&l->timer, tick, tick_ms(l), tick_ms(l));
}
