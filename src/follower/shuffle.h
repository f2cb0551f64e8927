/*
 * shuffle.h — a follower's part in a repartition shuffle (docs/shuffle.md).
 *
 * A repartition moves rows follower to follower so that equal keys from
 * every shard meet on one follower (their owner), which finishes them; the
 * leader then only adds or concatenates the owners' answers.  One shuffle,
 * id chosen by the leader:
 *
 *   leader ──SHUFFLE_RECV (agg spec, inputs = #senders)──► every owner
 *   leader ──SHUFFLE_SEND (query, owners, hash columns)──► one follower per shard
 *   sender: run the query (+ partial aggregate), split its rows by owner
 *           (ops/shuffle_part.h), SHUFFLE_DATA to each owner (in memory
 *           when the owner is itself), wait for each SHUFFLE_ACK, answer
 *           the leader with (owner, rows, bytes) per owner
 *   owner:  aggregate the parts as they arrive (thread pool); when every
 *           input is in, finish and answer the RECV with the rows
 *   leader: on any failure, SHUFFLE_CANCEL to every owner
 *
 * Owner side, one entry per shuffle id (node_shuffle_hub):
 *
 *     first DATA or RECV
 *            │
 *            ▼
 *       COLLECTING ── parts pending and RECV known ──► ADD (pool) ──┐
 *            │   ◄──────────────────────────────────────────────────┘
 *            │ RECV known, every input's last part in, nothing pending
 *            ▼
 *       FINISHING (pool: exec_hashagg_finish) ──► DONE: RECV answered
 *
 *     COLLECTING ── CANCEL / bad part / NODE_SHUFFLE_IDLE_MS silence ──► FAILED
 *     (the RECV, now or when it comes, is answered with the error)
 *
 *   A cursor's join (RECV shuffle_batch > 0) stays DONE with its statement
 *   kept (shuffle_keep.c): FETCH answers its next rows (stepped ahead on
 *   the pool once the previous batch is answered); its end,
 *   CANCEL, NODE_SHUFFLE_KEPT_IDLE_MS without a FETCH or a new leader
 *   connection drop it; then it is a tombstone like the others.
 *
 *   DONE and FAILED entries stay NODE_SHUFFLE_TOMBSTONE_MS as tombstones so
 *   a late part of a finished or cancelled shuffle is refused, not taken
 *   for a new one.
 *
 * Sender side, one job per SEND task; per remote owner a connection:
 *
 *   CONNECT ─► HELLO sent ─WELCOME─► DATA sent ─SHUFFLE_ACK─► done
 *   any ─REFUSED / PEER_ERROR / closed / NODE_PEER_READ_TIMEOUT_MS─► job failed
 *
 * Threading: everything on the follower's loop thread; aggregation on the
 * libuv thread pool (one work item per entry at a time).
 */
#ifndef FOLLOWER_SHUFFLE_H
#define FOLLOWER_SHUFFLE_H

#include "common/buf.h"
#include "common/error.h"
#include "wire/task.h"
#include "wire/proto.h"

#include <stdint.h>
#include <uv.h>

/* An owner gives up on a shuffle when no part arrives for this long and
 * not every input is in (a sender or the leader died). */
#define NODE_SHUFFLE_IDLE_MS 60000
/* Finished and failed shuffles are remembered this long. */
#define NODE_SHUFFLE_TOMBSTONE_MS 120000
/* A cursor's kept join (shuffle_keep.c) is dropped after this long
 * without a FETCH: a leader that lost the cursor without a CANCEL (its
 * connection stayed up) would otherwise leave it forever.  A shorter one
 * (at least 1000 ms) may be set by MURPHY_SHUFFLE_KEPT_IDLE_MS (tests). */
#define NODE_SHUFFLE_KEPT_IDLE_MS (30 * 60 * 1000)
/* Cursors' kept joins one follower holds at once (each an in-memory
 * database of its part of a join); past it a cursor's RECV fails 53000. */
#define NODE_SHUFFLE_KEPT_MAX 64
/* Bytes of parts one owner holds for shuffles not yet aggregated. */
#define NODE_SHUFFLE_PENDING_BYTES_MAX ((size_t)2 << 30)

typedef struct node_shuffle_hub node_shuffle_hub;

/* Called once per RECV or SEND task with its result (owned by the hub,
 * valid during the call). */
typedef void (*node_shuffle_done_cb)(void *arg, exec_result *res);

/* A hub for this follower: hello is what it presents to owners, my_addr
 * its own peer address (parts for it are delivered in memory).  Both are
 * copied. */
int node_shuffle_hub_create(uv_loop_t *loop, const net_hello *hello, const char *my_addr,
			    node_shuffle_hub **out, mur_error *err);
/* Fail everything in flight (callbacks come from the loop) and free the
 * hub once the thread pool has given its work back. */
void node_shuffle_hub_stop(node_shuffle_hub *h);

/* Owner: one SHUFFLE_DATA payload (malloc'd; the hub takes it, even on
 * error).  MUR_OK: held (acknowledge it when last).  Error: err says why
 * (send PEER_ERROR). */
int node_shuffle_hub_data(node_shuffle_hub *h, char *payload, size_t len, mur_error *err);
/* Owner: a SHUFFLE_RECV task (t->shuffle_id, t->shuffle_inputs, t->agg).
 * cb may run before this returns (a shuffle already failed). */
void node_shuffle_hub_recv(node_shuffle_hub *h, const exec_task *t, node_shuffle_done_cb cb,
			   void *arg);
/* Owner: SHUFFLE_CANCEL (of a cursor's kept join: drop it). */
void node_shuffle_hub_cancel(node_shuffle_hub *h, uint64_t shuffle_id, const char *reason);
/* Owner: SHUFFLE_FETCH: the next t->shuffle_batch rows of a cursor's kept
 * join (follower/shuffle_keep.c) to cb, later (thread pool) or, on error
 * (none kept: 55000), before this returns. */
void node_shuffle_hub_fetch(node_shuffle_hub *h, const exec_task *t, node_shuffle_done_cb cb,
			    void *arg);
/* Owner: drop every cursor's kept join (the leader's connection was
 * replaced: no cursor of the old one will read them). */
void node_shuffle_hub_drop_kept(node_shuffle_hub *h);

/* Sender: stream parts[i] (part_rows[i] rows of ncols values) to owner i
 * of t->shuffle_to.  The hub takes the parts' memory (they are reset).
 * query is the query's result (its elapsed time; with a bound, exec_task.lsn,
 * where the placement was read: lsn, entry_id, which the answer repeats);
 * the answer adds one (owner, rows, bytes) row per owner.  On error
 * nothing started. */
int node_shuffle_send_start(node_shuffle_hub *h, const exec_task *t, mur_buf *parts,
			    const uint64_t *part_rows, uint32_t nparts, uint32_t ncols,
			    const exec_result *query, node_shuffle_done_cb cb, void *arg,
			    mur_error *err);

/* Split "a,b,c" into at most max addresses (each < NET_NAME_MAX); returns
 * the count, -1 when malformed. */
int node_shuffle_owners(const char *list, char (*out)[NET_NAME_MAX], int max);

#endif
