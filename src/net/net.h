/*
 * net.h — framed node-to-node transport over libuv TCP.
 *
 * Every byte between murphy nodes travels in frames:
 *
 *     u32 length (big-endian; counts the type byte + payload) | u8 type | payload
 *
 * A net_conn wraps one uv_tcp_t.  It reassembles frames from however the
 * kernel splits them and hands each complete frame to on_frame; it sends
 * frames with net_conn_send (which copies) or net_conn_send_take (which
 * writes from the caller's buffer and frees it).  The frame types themselves are
 * defined in wire/proto.h; this layer only checks that a type is one the
 * connection accepts (net_conn_cbs.type_ok) and that the length is within
 * the connection's frame limit.  A frame that breaks either rule closes
 * that connection (and only that one) with a logged reason.
 *
 * Connection state machine (net.c):
 *
 *     net_connect ──► CONNECTING ──connect ok (on_connect)──► OPEN
 *                         │                                   ▲  │
 *                         │ connect failed                    │  │ net_conn_close, peer EOF,
 *     accept ──► ACCEPTED ┼──net_conn_start───────────────────┘  │ read/write error, bad frame,
 *                         │                                      │ read timeout
 *                         │                                      │ net_conn_shutdown
 *                         │                                      ▼
 *                         │                      SHUTTING (flush, FIN; timer bounds it)
 *                         │                                      │
 *                         └───────────────► CLOSING ◄────────────┘
 *                                              │ uv close callbacks (tcp + timer)
 *                                              ▼
 *                                   on_close(conn, reason); memory freed
 *
 * Lifetime (libuv style): net owns every net_conn.  Each connection that
 * reached the user (through net_connect, or net_conn_start after accept)
 * gets exactly one on_close call; it comes from the loop, never from inside
 * a net_* call, and after on_close returns the memory is freed — drop every
 * pointer to the conn there.  Between net_conn_close and on_close the conn
 * is still valid memory but sends fail and no more frames are delivered.
 * If a function that takes a callback returns an error, the callback is
 * never called and nothing was allocated.
 *
 * Threading: every net_* call and callback belongs to the loop thread that
 * created the listener or conn.
 *
 * Fault injection (this kernel has no netem, so latency and partitions are
 * made here; `murphy fault` drives it, docs/failures.md):
 *   - net_conn_set_fault: a per-conn policy consulted for every frame sent
 *     and received.  drop: frames vanish both ways while the TCP connection
 *     stays up — to both ends it looks like a partition (silence, no EOF).
 *     delay_ms: every frame, each way, is held that long (a uv timer queue
 *     in netfault.c), order preserved, bounded by NET_FAULT_DELAY_*.
 *   - net_fault_block_addr: on this thread, every connection made with
 *     net_connect to that address (already open or made later) drops its
 *     frames both ways: the follower's half of a follower↔follower
 *     partition.  net_fault_unblock_all lifts them and closes the
 *     connections that lost frames (their users would otherwise wait for
 *     answers that were thrown away; they reconnect).
 *   - net_conn_set_filter / net_listener_set_filter: a callback that sees
 *     every frame (with its payload) before the policy and may drop it or
 *     change the conn's policy — how the leader recognizes the HELLO of a
 *     follower it has partitioned away and mutes the new connection too.
 * Dropped frames do not re-arm the read timeout: silence is silence.
 *
 * TLS between nodes (net_tls.c, docs/decisions.md "TLS between nodes"):
 * after net_tls_use(ctx), every connection dialed or accepted runs TLS
 * 1.2+ under its frames, both sides presenting a certificate the cluster
 * CA signed (a peer without one, or with another CA's, fails the
 * handshake: the conn is closed with the reason logged).  Frames, limits,
 * timeouts and fault injection are unchanged: they live above TLS.
 */
#ifndef MUR_NET_H
#define MUR_NET_H

#include "common/error.h"

#include <stddef.h>
#include <stdint.h>
#include <uv.h>

/* Largest frame (type byte + payload) a connection accepts.  A RESULT
 * frame carries one shard's whole result set (there is no row streaming
 * yet) and a TASK frame a whole COPY batch, so the limit must be generous;
 * 1 GiB keeps one frame's buffer within what a 2-core test box can hold
 * while still rejecting a corrupted or hostile length (up to 4 GiB) before
 * we allocate for it.  Frames beyond it are a protocol error. */
#define NET_FRAME_MAX (1u << 30)
/* Frame limit before a peer has proved who it is (the HELLO exchange):
 * a stranger must not make us buffer more than this. */
#define NET_FRAME_MAX_UNAUTH (16u * 1024)
#define NET_HEADER_SIZE 5
/* Bytes queued for writing on one connection and not yet accepted by the
 * kernel.  Two maximal frames: a sender can always queue one big RESULT
 * behind another, and a peer that stops reading cannot grow our memory
 * without bound.  Exceeding it makes net_conn_send fail with MUR_EAGAIN. */
#define NET_SENDQ_BYTES_MAX ((size_t)2 * NET_FRAME_MAX)
/* Frames queued for writing on one connection (bounds the number of
 * uv_write_t requests as well as their bytes). */
#define NET_SENDQ_FRAMES_MAX 65536
/* How long net_conn_shutdown waits for queued frames to drain. */
#define NET_SHUTDOWN_TIMEOUT_MS 1000
/* Longest accepted "host:port" string. */
#define NET_ADDR_MAX 128

typedef struct net_conn net_conn;
struct mur_tls_ctx;
typedef struct net_listener net_listener;

/* Fault injection limits.  A delay beyond a minute is a partition, not
 * latency.  Frames held back per connection are bounded in count and, per
 * direction, in bytes: a sender past the byte bound gets MUR_EAGAIN from
 * net_conn_send (as for a full send queue); a receiver past it stops
 * reading the socket until half has been released (TCP pushes back). */
#define NET_FAULT_DELAY_MS_MAX 60000
#define NET_FAULT_DELAY_BYTES_MAX ((size_t)64 << 20)
#define NET_FAULT_DELAY_FRAMES_MAX 65536
/* Addresses blocked at once per thread: one per other node is plenty. */
#define NET_FAULT_ADDRS_MAX 64

/* Per-connection fault policy; all zero passes everything.  drop wins over
 * delay.  Frames already held when the policy changes keep their time (and
 * are dropped on release while drop is set). */
typedef struct net_fault {
	int drop;          /* 1: every frame, sent or received, vanishes */
	uint32_t delay_ms; /* hold every frame this long (<= NET_FAULT_DELAY_MS_MAX) */
} net_fault;

/* Frame filter: dir 'S' (being sent) or 'R' (received); return 1 to drop
 * the frame.  May call net_conn_set_fault on c (the new policy applies to
 * this frame); must not close c. */
typedef int (*net_filter_fn)(void *arg, net_conn *c, char dir, uint8_t type, const char *payload,
			     size_t len);

typedef struct net_conn_cbs {
	/* Outgoing connections only: the TCP connection is established and
	 * reading has started.  May be NULL. */
	void (*on_connect)(net_conn *c);
	/* One complete frame.  payload (len bytes, type byte excluded) is valid
	 * only during the call; keep it with net_conn_take_payload.  The
	 * callback may call net_conn_send and net_conn_close. */
	void (*on_frame)(net_conn *c, uint8_t type, const char *payload, size_t len);
	/* Exactly once per conn; reason says why ("peer closed the
	 * connection", "frame of 2000000000 bytes exceeds the limit ...",
	 * "connect to 127.0.0.1:7000 failed: connection refused", or the
	 * reason given to net_conn_close).  The conn is freed after return. */
	void (*on_close)(net_conn *c, const char *reason);
	/* Which frame types this conn accepts; NULL accepts every type. */
	int (*type_ok)(uint8_t type);
} net_conn_cbs;

/* Accepted connection, not yet reading.  The callback must call either
 * net_conn_start (the conn then follows the rules above) or net_conn_close
 * (freed without any on_close call) before returning. */
typedef void (*net_accept_cb)(net_listener *l, net_conn *c, void *arg);

/* Parse "host:port" (IPv4 dotted quad, "localhost", or "[v6]:port"; port
 * 0..65535, 0 = ephemeral).  MUR_ERR with a message naming the problem
 * ("invalid address \"x\": expected HOST:PORT"). */
int net_parse_addr(const char *addr, struct sockaddr_storage *out, mur_error *err);

/* Bind and listen on addr; on_accept(l, conn, arg) gets each new
 * connection.  Close with net_listener_close. */
int net_listen(uv_loop_t *loop, const char *addr, net_accept_cb on_accept, void *arg,
	       net_listener **out, mur_error *err);
/* The bound port (useful after listening on port 0). */
int net_listener_port(const net_listener *l);
/* Connections accepted from now on get this frame filter (NULL: none). */
void net_listener_set_filter(net_listener *l, net_filter_fn fn, void *arg);
/* Stop accepting; the listener is freed from the loop.  Connections it
 * accepted are unaffected. */
void net_listener_close(net_listener *l);

/* Connect to addr.  On success *out is the conn (CONNECTING): later either
 * cbs->on_connect, or on_close with the failure reason.  cbs is copied. */
int net_connect(uv_loop_t *loop, const char *addr, const net_conn_cbs *cbs, void *arg,
		net_conn **out, mur_error *err);
/* Start reading an accepted conn with these callbacks (cbs is copied). */
void net_conn_start(net_conn *c, const net_conn_cbs *cbs, void *arg);

/* Queue one frame; payload is copied.  MUR_OK, or (nothing queued, conn
 * unchanged): MUR_EIO if the conn is closing, MUR_EPROTO if the frame
 * exceeds NET_FRAME_MAX, MUR_EAGAIN if the send queue limit would be
 * exceeded (err says which limit), MUR_ENOMEM. */
int net_conn_send(net_conn *c, uint8_t type, const void *payload, size_t len, mur_error *err);
/* net_conn_send of a malloc'd payload that the conn takes, whatever the
 * result (freed once written or dropped): the frame is written from it, not
 * copied, so a task of many MB costs no second copy on the loop thread. */
int net_conn_send_take(net_conn *c, uint8_t type, char *payload, size_t len, mur_error *err);
/* Sent marks: whether a frame ever left.  net_conn_sent_mark, read right
 * after a send returned MUR_OK, is that frame's mark (the stream offset of
 * its end; a frame a fault dropped gets the one before it).  Once c is
 * closing (on_close included), net_conn_never_sent(c, mark) is 1 when the
 * frame was never handed whole to the socket (or to TLS): it waited in a
 * cork, the loop turn's block, a delay fault's queue or libuv's write
 * queue, so the peer cannot have it; 0 while c is open (it may still go)
 * and whenever it may have left.  Two counters per conn, no callback per
 * frame. */
uint64_t net_conn_sent_mark(const net_conn *c);
int net_conn_never_sent(const net_conn *c, uint64_t mark);
/* Gather the frames sent from now on into one block, written by the
 * matching net_conn_uncork (pairs nest): a burst of replies costs one
 * write and one wakeup of the peer instead of one per frame.  Cork only
 * around code that runs to completion on the loop thread.
 *
 * Without a cork, frames sent from an I/O callback (a frame received, a
 * client's query read, a write completed) are gathered the same way per
 * conn and written when the loop's poll phase ends (a uv_check handle of
 * net's), before the loop can sleep: the frames a turn sends to one peer
 * leave in one write, in that same turn.  Frames sent from timers, idle
 * and close callbacks, or outside uv_run, are written at once.  A frame or
 * a gathered block of 64 KiB or more is written at once.  net_conn_close
 * and net_conn_shutdown write a conn's gathered frames first. */
void net_conn_cork(net_conn *c);
void net_conn_uncork(net_conn *c);
/* Write every frame this thread has gathered, now.  Call before blocking
 * the loop thread (fsync, a synchronous SQLite commit) inside an I/O
 * callback, so frames already sent do not wait for it. */
void net_flush_pending(void);
/* Begin closing (idempotent).  reason is copied and passed to on_close.
 * Frames still queued may be lost: use net_conn_shutdown for a last word. */
void net_conn_close(net_conn *c, const char *reason);
/* Stop reading, flush queued frames, send FIN, then close (within
 * NET_SHUTDOWN_TIMEOUT_MS even if the peer does not read).  Used after
 * REFUSED so the reason reaches the peer.  Sends fail from now on. */
void net_conn_shutdown(net_conn *c, const char *reason);
int net_conn_is_open(const net_conn *c);

/* During on_frame only: take the payload as a malloc'd buffer the caller
 * frees (a copy when the frame was not in its own buffer).  NULL on OOM. */
char *net_conn_take_payload(net_conn *c, size_t *len);
/* Per-conn frame limit (default NET_FRAME_MAX; must be <= it). */
void net_conn_set_frame_max(net_conn *c, size_t frame_max);
/* Close the conn (with reason "no frame received within N ms") if no
 * complete frame arrives within timeout_ms of now or of the previous
 * frame; 0 disables. */
void net_conn_set_read_timeout(net_conn *c, uint64_t timeout_ms);
/* Install a fault policy (copied); NULL clears it.  delay_ms is clamped to
 * NET_FAULT_DELAY_MS_MAX. */
void net_conn_set_fault(net_conn *c, const net_fault *f);
/* Install a frame filter on c (NULL fn: none); see net_filter_fn. */
void net_conn_set_filter(net_conn *c, net_filter_fn fn, void *arg);
/* The conn's policy (all zero when none). */
net_fault net_conn_fault(const net_conn *c);
/* Partition this thread from addr ("host:port"): see the header.  MUR_ERR
 * (22023 message) on a bad address, 54000 past NET_FAULT_ADDRS_MAX. */
int net_fault_block_addr(const char *addr, mur_error *err);
/* Lift every block made on this thread; close (reason "partition healed:
 * frames were lost") each dialed connection that dropped a frame. */
void net_fault_unblock_all(void);
int net_fault_blocked_count(void);
void *net_conn_arg(const net_conn *c);
void net_conn_set_arg(net_conn *c, void *arg);
/* Node TLS for every connection net_connect makes and every listener
 * net_listen opens from now on (a listener keeps the context it saw),
 * process-wide: call before loops start; ctx outlives every conn, from
 * mur_tls_ctx_load with the cluster CA; NULL turns it off. */
void net_tls_use(struct mur_tls_ctx *ctx);
/* 1 when net_tls_use gave a context. */
int net_tls_on(void);
/* "127.0.0.1:51234" — the remote address, for logs. */
const char *net_conn_peer(const net_conn *c);
/* Node TLS of c: 0 none, 1 handshake not done, 2 done, 3 done by resuming
 * a session made with the same address before (tests, logs). */
int net_conn_tls(const net_conn *c);
/* Bytes queued and not yet written (tests, flow control). */
size_t net_conn_sendq_bytes(const net_conn *c);

#endif
