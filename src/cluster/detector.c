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
 */
#include "cluster/cluster_int.h"

#include <stdio.h>

#include "common/log.h"

#define CLU_TICK_MIN_MS 5
#define CLU_TICK_MAX_MS 250

static const char *state_name(cat_node_state s)
{
	switch (s) {
	case CAT_NODE_ALIVE: return "alive";
	case CAT_NODE_SUSPECT: return "suspect";
	case CAT_NODE_DEAD: return "dead";
	case CAT_NODE_RETURNING: return "returning";
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
	cat_node_set_state(l->cat, n->id, st, st == CAT_NODE_ALIVE ? clu_wall_ms() : 0);
	clu_notify(l, n->id);
	return 1;
}

static void tick(uv_timer_t *t)
{
	clu_leader *l = t->data;
	uint64_t now = uv_now(l->loop);

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
					 "follower \"%s\" is suspect (no heartbeat for %llu ms); its task was "
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
}

int clu_detector_seen(clu_leader *l, clu_node *n)
{
	n->last_seen_ms = uv_now(l->loop);
	if (set_state(l, n, CAT_NODE_ALIVE, 0))
		return 1;
	cat_node_set_state(l->cat, n->id, CAT_NODE_ALIVE, clu_wall_ms());
	return 0;
}

static void timer_closed(uv_handle_t *h)
{
	clu_leader *l = h->data;
	l->timer_closed = 1;
	clu_maybe_free(l);
}

void clu_detector_stop(clu_leader *l)
{
	uv_close((uv_handle_t *)&l->timer, timer_closed);
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
