/*
 * peer.h — follower-to-follower data streaming (docs/replication.md):
 * the source side (node_peer_server) answers FETCH_SNAPSHOT and FETCH_LOG
 * on the follower's --listen port; the fetching side (node_peer_fetch)
 * runs one REBUILD or CATCHUP task against such a source.  Frames and
 * their flow control are in wire/proto.h.  The leader relays no data.
 *
 * Server session (peer_server.c), one per accepted connection:
 *
 *   accept ─► HELLO_WAIT ──HELLO ok / WELCOME──► IDLE ◄───────────────────┐
 *                │  └─bad version/secret─► REFUSED, shutdown              │
 *                │                                                        │
 *                │      IDLE ─FETCH_SNAPSHOT─► SNAP_MAKE (pool: VACUUM INTO)
 *                │                                  │ ok     │ error ─► PEER_ERROR ─┤
 *                │                                  ▼                              │
 *                │                             STREAM: read chunk (pool) → send;   │
 *                │                             next read only while fewer than     │
 *                │                             NET_PEER_WINDOW_CHUNKS are unacked  │
 *                │                             and the send queue holds less than  │
 *                │                             NODE_PEER_SENDQ_RESUME_BYTES        │
 *                │                                  │ last chunk sent ─► *_END ────┤
 *                │      IDLE ─FETCH_LOG─► STREAM (stor_log_read per chunk) ────────┘
 *                │
 *   any ─peer closed / bad frame / 2nd request while busy / server stop─► CLOSED:
 *   freed once work on the pool is back; its snapshot temp file is removed.
 *
 * Fetch job (peer_fetch.c), one per REBUILD / CATCHUP task:
 *
 *   start ─► PREPARE (pool: REBUILD opens DIR/data/tmp/<file>.rebuild;
 *              │        CATCHUP reads the placement's lsn; already at the
 *              │        target ─► DONE)
 *              ▼
 *            CONNECT ─HELLO/WELCOME─┬─REBUILD─► SNAPSHOT: chunks written (pool)
 *                                   │               │ SNAPSHOT_END, all written
 *                                   │               ▼
 *                                   │           INSTALL (pool: fsync, stor_dir_install)
 *                                   │               │
 *                                   └─CATCHUP───────┴─► LOG: FETCH_LOG(after my lsn,
 *                                                        upto target or latest);
 *                                                        chunks applied (pool:
 *                                                        stor_apply_entries)
 *                                                            │ LOG_END, all applied
 *                                                            ▼
 *                                                          DONE
 *   any ─error / peer lost / PEER_ERROR / cancel─► FAILED
 *   DONE, FAILED ─► FINISH (pool: close and remove the temp file; a REBUILD
 *   that failed after INSTALL drops the placement it installed) ─► on_done
 *
 * Every chunk received is acknowledged (PEER_ACK) once written or applied,
 * so a job buffers at most NET_PEER_WINDOW_CHUNKS chunks.  Progress
 * (on_progress) at most every NODE_PEER_PROGRESS_INTERVAL_MS.
 *
 * Threading: all calls and callbacks on the loop thread; file and SQLite
 * work on the libuv thread pool (the placement's lock serializes it with
 * the follower's other tasks).
 */
#ifndef FOLLOWER_PEER_H
#define FOLLOWER_PEER_H

#include "common/error.h"
#include "wire/task.h"
#include "wire/proto.h"
#include "storage/storage.h"

#include <stdint.h>
#include <uv.h>

/* Open connections on the peer port: fetchers connect once per task, and
 * a shuffle once per (sending shard, remote owner), so 16 clients each
 * repartitioning 8 shards over 3 followers hold about 16 × 8 × 2 / 3 ≈ 85
 * on every follower at once.  Beyond the limit a connection is refused
 * (the query fails with 08006; it does not wait). */
#define NODE_PEER_SESSIONS_MAX 1024
/* Snapshots being made or streamed at once by one source: each is a temp
 * copy of a placement on its disk; more wait (53000, the leader retries). */
#define NODE_PEER_SNAPSHOTS_MAX 4
/* A source reads the next chunk only when its send queue to the fetcher
 * holds less than this (plus the window above): memory per session stays
 * at a few chunks however slow the network is. */
#define NODE_PEER_SENDQ_RESUME_BYTES ((size_t)4 << 20)
/* Silence after which either side gives the other up.  Sources send
 * HEARTBEAT every NET_PEER_KEEPALIVE_MS during a request, and the longest
 * quiet stretch of a fetcher is applying one window of log chunks. */
#define NODE_PEER_READ_TIMEOUT_MS 30000
/* PROGRESS reports per task (docs: "at most every 200 ms"). */
#define NODE_PEER_PROGRESS_INTERVAL_MS 200
/* Temp files live in DIR/data/tmp: same file system as the placements, so
 * an install is a rename. */
#define NODE_PEER_TMP_SUBDIR "tmp"

/* ---- source side --------------------------------------------------- */

typedef struct node_peer_server node_peer_server;

/* Listen on listen_addr and serve the placements of dir to peers that
 * present `secret` (copied).  dir must outlive the server.  Leftover temp
 * files of an earlier run in DIR/data/tmp are removed. */
int node_peer_server_start(uv_loop_t *loop, const char *listen_addr, stor_dir *dir,
			   const char *secret, node_peer_server **out, mur_error *err);
/* Stop listening and close every session.  Memory is released from the
 * loop once work in flight is back (keep running the loop). */
void node_peer_server_stop(node_peer_server *s);
int node_peer_server_port(const node_peer_server *s);
/* Hand SHUFFLE_DATA frames to hub (follower/shuffle.h); NULL refuses them. */
struct node_shuffle_hub;
void node_peer_server_set_shuffle(node_peer_server *s, struct node_shuffle_hub *hub);

/* ---- fetching side ------------------------------------------------- */

typedef struct node_peer_fetch node_peer_fetch;

typedef struct node_peer_fetch_cbs {
	/* May be NULL.  pr is valid during the call. */
	void (*on_progress)(void *arg, const net_progress *pr);
	/* Exactly once, never from inside node_peer_fetch_start.  res holds
	 * task_id, elapsed_us and either lsn (the placement's lsn afterwards)
	 * or failed + err; it is freed after the call (move out what you
	 * keep).  The job is freed after the call. */
	void (*on_done)(void *arg, exec_result *res);
} node_peer_fetch_cbs;

/* Start task t (kind EXEC_TASK_REBUILD or EXEC_TASK_CATCHUP;
 * placements[0] = file, peer_addr = source follower, lsn = target, 0 for
 * "the source's latest") against the placements in dir.  hello is what we
 * present to the source (version, secret, our name and address).  t and
 * hello are copied.  On error nothing was started and no callback comes. */
int node_peer_fetch_start(uv_loop_t *loop, stor_dir *dir, const exec_task *t,
			  const net_hello *hello, const node_peer_fetch_cbs *cbs, void *arg,
			  node_peer_fetch **out, mur_error *err);
/* Abort (57014 "... cancelled: reason"); on_done follows from the loop. */
void node_peer_fetch_cancel(node_peer_fetch *j, const char *reason);

/* DIR/data/tmp for dir into buf; -1 when it does not fit. */
int node_peer_tmp_dir(const stor_dir *dir, char *buf, size_t bufsz);

#endif
