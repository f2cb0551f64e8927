/*
 * member.h — the follower's side of membership: its link to the leader.
 *
 * clu_member keeps one connection to the leader alive for the life of the
 * follower: connect, answer the leader's CHALLENGE with HELLO (a proof of
 * the cluster secret, wire/node_auth.h), wait for WELCOME (the leader's
 * proof checked before anything else is believed), then HEARTBEAT every
 * CLU_HEARTBEAT_INTERVAL_MS.  Whenever the connection is lost (or cannot
 * be made) it reconnects after a backoff that doubles from
 * CLU_RECONNECT_MIN_MS to CLU_RECONNECT_MAX_MS and resets once welcomed.
 *
 *   start ──► CONNECTING ──connected, CHALLENGE answered──► HELLO_SENT ──WELCOME──► WELCOMED
 *                ▲   │                                  │                      │
 *                │   └──────────── connection lost / failed ───────────────────┤
 *                │                                      │ REFUSED              │
 *                └──── BACKOFF (timer) ◄────────────────┴──(reported; retried) ┘
 *
 *   any state ──clu_member_stop──► STOPPED (handles closing; freed from the loop)
 *
 * TASK frames are handed to on_task together with the connection's
 * generation number; the follower runs them and answers with
 * clu_member_send_result(gen).  A result whose connection has since been
 * replaced is dropped: the leader already failed that task when the old
 * connection closed.  PROGRESS frames of long tasks (REBUILD, CATCHUP) go
 * the same way with clu_member_send_progress; they are advisory, so one
 * that cannot be queued is dropped without closing anything.
 */
#ifndef MUR_CLUSTER_MEMBER_H
#define MUR_CLUSTER_MEMBER_H

#include "common/error.h"
#include "wire/task.h"
#include "net/net.h"
#include "wire/proto.h"

#include <stdint.h>
#include <uv.h>

/* Reconnect backoff: quick first retry (a leader restart takes ~100 ms),
 * capped so a follower notices a returning leader within 2 s. */
#define CLU_RECONNECT_MIN_MS 100
#define CLU_RECONNECT_MAX_MS 2000

typedef struct clu_member clu_member;

typedef struct clu_member_cbs {
	/* WELCOME received; node_id is this follower's id in the catalog. */
	void (*on_welcome)(void *arg, uint32_t node_id);
	/* REFUSED received (reason is the leader's text).  The member keeps
	 * retrying unless the callback calls clu_member_stop. */
	void (*on_refused)(void *arg, const char *reason);
	/* A TASK frame: payload is malloc'd and now owned by the callee
	 * (free it, whatever it returns); gen identifies the connection it
	 * came on.  Return 0, or -1 when the task is malformed: the member
	 * then closes the connection (the leader fails that connection's
	 * tasks with 08006) and reconnects. */
	int (*on_task)(void *arg, uint64_t gen, char *payload, size_t len);
	/* The bytes the follower holds on disk, sent with each HEARTBEAT; NULL:
	 * 0 (not measured).  When it measured them anew it sets *fresh and
	 * puts each file's size into files (net_heartbeat_file_put): the
	 * heartbeat carries them. */
	uint64_t (*disk_bytes)(void *arg, mur_buf *files, int *fresh);
} clu_member_cbs;

/* Start connecting to leader_addr.  hello and cbs are copied. */
int clu_member_start(uv_loop_t *loop, const char *leader_addr, const net_hello *hello,
		     const clu_member_cbs *cbs, void *arg, clu_member **out, mur_error *err);
/* Send a RESULT on connection gen.  MUR_OK also when gen is no longer
 * current (the result is dropped, see above); an error when it cannot be
 * queued — the connection is then closed, so the leader fails the task
 * rather than wait for it.  A result too large for one frame is replaced by a failed
 * result (54000) so the leader still hears about the task. */
int clu_member_send_result(clu_member *m, uint64_t gen, const exec_result *res, mur_error *err);
/* Send a PROGRESS frame for a task that came on connection gen.  Dropped
 * (MUR_OK) when gen is no longer current; MUR_EAGAIN (err set, connection
 * untouched) when the send queue is full. */
int clu_member_send_progress(clu_member *m, uint64_t gen, const net_progress *pr, mur_error *err);
/* 1 once WELCOME was received on the current connection. */
int clu_member_welcomed(const clu_member *m);
/* The connection to the leader (NULL while there is none): for
 * net_conn_cork around a burst of results. */
net_conn *clu_member_conn(const clu_member *m);
/* Close the connection and timers; memory is released from the loop. */
void clu_member_stop(clu_member *m);

#endif
