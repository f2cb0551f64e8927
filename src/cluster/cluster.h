/*
 * cluster.h — the leader's side of membership, failure detection and task
 * routing.
 *
 * clu_leader listens for followers on the node port.  A follower's first
 * frame must be a HELLO (wire/proto.h) with the cluster secret, within
 * CLU_HELLO_TIMEOUT_MS; otherwise it gets REFUSED (wrong secret, version
 * or name) or is simply closed (garbage, silence).  An accepted follower is
 * registered in the catalog (cat_upsert_node: durable, so it keeps its node
 * id across restarts), told its id in WELCOME, and only then marked ALIVE
 * and reported (clu_on_node_change): a task can only follow WELCOME on the
 * wire, never precede it (membership.c, "atomic join").  A follower
 * that connects again under the same name replaces its old connection
 * (tasks pending on the old one fail with 08006).
 *
 * Failure detector, per follower (cluster/detector.c).  Times are the
 * leader's monotonic clock since the last HEARTBEAT (or WELCOME):
 *
 *            WELCOME sent / HEARTBEAT
 *     ┌───────────────────────────────────────────────┐
 *     ▼                                               │
 *   ALIVE ──silent > suspect_timeout_ms──► SUSPECT ───┤
 *                                             │       │
 *                                             └─silent > dead_timeout_ms──► DEAD
 *                                                                            │
 *                                WELCOME sent / HEARTBEAT ◄──────────────────┘
 *
 * The state is written to the catalog (cat_node_set_state) and reported to
 * the clu_on_node_change callback.  Only the state changes for now:
 * routing around SUSPECT and rebuilding DEAD followers' placements are
 * later issues.  A dropped connection does not change the state by itself
 * (a follower that reconnects within the timeout stays ALIVE); it makes
 * clu_node_connected false at once.
 *
 * Task routing (cluster/route.c): clu_send_task assigns the task id,
 * sends TASK on the follower's current connection and remembers the task
 * until its RESULT arrives, the connection is lost, or the task timeout
 * (clu_leader_set_task_timeout; none by default) passes.  REBUILD and
 * CATCHUP tasks never time out: they take as long as the copy does and
 * show they are alive through PROGRESS frames instead
 * (cluster/progress.c, clu_on_progress).
 *
 * Threading: everything runs on the loop thread that started the leader.
 */
#ifndef MUR_CLUSTER_H
#define MUR_CLUSTER_H

#include "catalog/catalog.h"
#include "common/error.h"
#include "wire/task.h"

#include <stdint.h>
#include <uv.h>

/* Defaults for the two failure-detector timers (design.md: suspect routes
 * around a node, dead rebuilds its data).  Followers heartbeat every
 * CLU_HEARTBEAT_INTERVAL_MS, so suspect = 3 missed heartbeats. */
#define CLU_SUSPECT_TIMEOUT_MS_DEFAULT 1500
#define CLU_DEAD_TIMEOUT_MS_DEFAULT 10000
#define CLU_HEARTBEAT_INTERVAL_MS 500
/* A new connection must send its HELLO within this time. */
#define CLU_HELLO_TIMEOUT_MS 3000
/* Default task timeout: none.  A follower that stops answering is caught
 * by the failure detector (its connection is closed when it is declared
 * dead, failing its tasks), so a per-task timer is only a second line. */
#define CLU_TASK_TIMEOUT_MS_DEFAULT 0
/* Tasks in flight on one follower connection; beyond it clu_send_task
 * fails with 53000 rather than queueing without bound. */
#define CLU_PENDING_TASKS_MAX 65536

typedef struct clu_leader clu_leader;

/* Called exactly once per accepted task with its final result, and before
 * that once more with res->early set when the task asked for an early
 * answer (exec_task.early) and the follower gave one; then the final call
 * still follows (its answer, or the link's loss or the deadline).  res is
 * owned by clu and freed
 * (exec_result_free) after cb returns; to keep its rows, move them out:
 * `*mine = *res; exec_result_init(res);`.  res->failed with SQLSTATE
 * 08006 and message `lost connection to follower "f2" while it ran a
 * task` when the connection drops (or `leader is shutting down` at
 * clu_leader_stop).  Never called from inside clu_send_task. */
typedef void (*clu_task_cb)(void *arg, exec_result *res);

/* A follower reported progress on task task_id (REBUILD / CATCHUP):
 * `done` of `total` in `phase` ("snapshot": bytes, "log": log entries).
 * The follower sends at most one per 200 ms per task; phase is valid
 * during the call only. */
typedef void (*clu_progress_cb)(void *arg, uint32_t node_id, uint64_t task_id, uint64_t done,
				uint64_t total, const char *phase);

/* Node state change (ALIVE/SUSPECT/DEAD) or connect/disconnect of a
 * follower; read the new state from the catalog / clu_node_connected. */
typedef void (*clu_node_change_cb)(void *arg, uint32_t node_id);

/* Listen for followers on listen_addr ("host:port"; port 0 picks one, see
 * clu_leader_port).  cat must outlive the leader.  secret is copied.  On
 * error *out is untouched and err says why (e.g. address in use). */
int clu_leader_start(uv_loop_t *loop, const char *listen_addr, catalog *cat, const char *secret,
		     clu_leader **out, mur_error *err);
/* Close the listener and every follower connection; pending tasks get
 * their callbacks (failed, 08006) before this returns.  The leader's
 * memory is released from the loop once its handles have closed: keep
 * running the loop (uv_run) until it has no more active handles. */
void clu_leader_stop(clu_leader *l);

/* The longest the leader's loop was seen blocked since start (ms; measured
 * to within 10 ms by the detector's loop watch, detector.c). */
uint64_t clu_leader_loop_stall_max_ms(const clu_leader *l);

/* Change the failure-detector timeouts (ms; suspect < dead). */
void clu_leader_set_timeouts(clu_leader *l, uint64_t suspect_timeout_ms, uint64_t dead_timeout_ms);
void clu_on_node_change(clu_leader *l, clu_node_change_cb cb, void *arg);
/* Progress reports of long tasks (NULL cb: ignore them). */
void clu_on_progress(clu_leader *l, clu_progress_cb cb, void *arg);
/* Fail tasks (57014 `task N on follower "f2" did not finish within T ms`)
 * whose RESULT has not arrived within task_timeout_ms of being sent;
 * 0 = never (the default).  REBUILD and CATCHUP tasks are exempt.  Applies
 * to tasks sent from now on; 0 stops enforcing every deadline.  A RESULT
 * arriving after its task timed out is ignored (logged). */
void clu_leader_set_task_timeout(clu_leader *l, uint64_t task_timeout_ms);
/* Bound port of the follower listener. */
int clu_leader_port(const clu_leader *l);

/* 1 when the follower has a live, welcomed connection. */
int clu_node_connected(clu_leader *l, uint32_t node_id);

/* Send task to node_id.  Sets task->id (unique per leader), encodes and
 * sends it; cb(arg, res) follows later, exactly once with the final
 * result (after an early one: above).  Returns an error instead (cb never called) when the node is unknown or not connected
 * (08006 `follower "f2" is not connected`), too many tasks are in flight,
 * or the frame cannot be queued.  task is not retained: the caller may
 * free it as soon as this returns. */
int clu_send_task(clu_leader *l, uint32_t node_id, exec_task *task, clu_task_cb cb, void *arg,
		  mur_error *err);

#endif
