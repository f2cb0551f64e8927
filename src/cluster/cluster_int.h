/*
 * cluster_int.h — clu_leader's private structs, shared by membership.c
 * (connections, HELLO, heartbeats), detector.c (suspect/dead timers),
 * route.c (tasks in flight) and progress.c (PROGRESS frames).
 *
 *   clu_leader ─┬─ nodes[]   one clu_node per follower the catalog knows
 *               │            (state, last heartbeat, current link)
 *               └─ links     every open follower connection (clu_link),
 *                            welcomed or still waiting for HELLO; each
 *                            holds the tasks pending on it
 *
 * Ownership: the leader owns nodes, links and pending entries.  A link is
 * freed in its connection's on_close; the leader itself once the detector
 * timer has closed and no link is left (clu_leader_stop).
 */
#ifndef MUR_CLUSTER_INT_H
#define MUR_CLUSTER_INT_H

#include "cluster/cluster.h"
#include "net/net.h"
#include "wire/node_auth.h"
#include "wire/proto.h"

typedef struct clu_pending {
	uint64_t task_id;
	clu_task_cb cb;
	void *arg;
	uint64_t deadline_ms; /* loop clock; 0 = no timeout */
	uint64_t sent_mark;   /* its TASK frame's net_conn_sent_mark */
	struct clu_pending *prev, *next;
	struct clu_pending *hnext; /* its link's by_id bucket, as a chain */
} clu_pending;

/* A link's pending tasks by id (route.c): buckets, a power of two; tasks
 * are numbered one after the other, so ~CLU_PENDING_TASKS_MAX / this many
 * at most share one. */
#define CLU_PENDING_BUCKETS 64

typedef struct clu_node clu_node;

typedef struct clu_link {
	clu_leader *l;
	net_conn *conn;
	clu_node *node;       /* NULL until welcomed (WELCOME queued, membership.c join) */
	net_handshake hs;     /* the CHALLENGE's nonce and the HELLO's (wire/node_auth.h) */
	clu_pending *pending; /* doubly linked, newest first */
	size_t npending;
	/* the same tasks by task_id % CLU_PENDING_BUCKETS: an answer finds its
	 * task without walking the list (~9 tasks pending per follower under
	 * TPC-B, a cache miss each: 0.8 % of the leader's CPU) */
	clu_pending *by_id[CLU_PENDING_BUCKETS];
	struct clu_link *prev, *next;
} clu_link;

struct clu_node {
	uint32_t id;
	char name[CAT_NAME_MAX];
	cat_node_state state;
	clu_link *link;        /* current welcomed connection, or NULL */
	uint64_t last_seen_ms; /* loop clock (uv_now) at the last HELLO/HEARTBEAT */
	uint64_t epoch;        /* stamped on every task; bumped when its tasks are abandoned
				       (suspect), so a resumed follower refuses the stale ones */
	int skew_warned;
};

struct clu_leader {
	uv_loop_t *loop;
	catalog *cat;
	char secret[NET_SECRET_MAX + 1];
	net_listener *lis;
	int port;
	uv_timer_t timer;      /* failure detector tick */
	uv_timer_t watch;      /* loop watch: every CLU_LOOP_WATCH_MS (detector.c) */
	int timer_closed;      /* detector timers closed, of CLU_DETECTOR_TIMERS */
	uint64_t loop_seen_ms; /* loop clock at the last detector callback */
	uint64_t stall_max_ms; /* longest the loop was seen blocked */
	uint64_t stalls;       /* blocks of CLU_LOOP_STALL_MIN_MS or more */
	uint64_t suspect_timeout_ms;
	uint64_t dead_timeout_ms;
	clu_node nodes[CAT_NODES_MAX];
	int nnodes;
	clu_link *links;
	int nlinks;
	uint64_t next_task_id;
	clu_node_change_cb change_cb;
	void *change_arg;
	clu_progress_cb progress_cb;
	void *progress_arg;
	uint64_t task_timeout_ms; /* 0 = none */
	int stopping;
};

/* The detector's two timers: tick and loop watch (detector.c). */
#define CLU_DETECTOR_TIMERS 2

/* membership.c */
clu_node *clu_node_find(clu_leader *l, uint32_t id);
clu_node *clu_node_add(clu_leader *l, uint32_t id, const char *name);
void clu_notify(clu_leader *l, uint32_t node_id);
void clu_maybe_free(clu_leader *l);

/* detector.c */
void clu_detector_start(clu_leader *l);
/* n was heard from (HELLO, HEARTBEAT): ALIVE.  1 when that changed its
 * state (the change was reported), 0 when it was ALIVE already. */
int clu_detector_seen(clu_leader *l, clu_node *n);
void clu_detector_stop(clu_leader *l);

/* route.c */
void clu_route_result(clu_link *k, const char *payload, size_t len);
/* Fail every task pending on k with 08006 `why`. */
void clu_route_fail_all(clu_link *k, const char *why);
/* Fail tasks whose deadline is <= now_ms (detector tick). */
void clu_route_expire(clu_leader *l, uint64_t now_ms);

/* progress.c: a PROGRESS frame on welcomed link k. */
void clu_progress_frame(clu_link *k, const char *payload, size_t len);

#endif
