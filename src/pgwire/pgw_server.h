/*
 * pgw_server.h — the libuv shell around pgw_conn: a TCP listener that
 * speaks the PostgreSQL v3 protocol to every client and hands statements
 * to the engine (pgw_engine.h).
 *
 * Usage (on the loop thread):
 *     pgw_server *srv;
 *     mur_error err;
 *     if (pgw_server_start(loop, "127.0.0.1", 5432, &ops, engine, &srv, &err))
 *             ... err.message says why (address in use, bad host) ...
 *     ... uv_run(loop) ...
 *     pgw_server_close(srv);  // then keep running the loop until it drains
 *
 * Per connection: TCP_NODELAY, TCP keepalive (PGW_KEEPALIVE_*; the
 * session may change it: pgw_session_set_keepalive), a timer while it
 * waits for its client inside a transaction block
 * (idle_in_transaction_session_timeout: pgw_conn_idle_timeout_ms); reads are fed into the connection's state
 * machine; the output of each feed (or engine completion) goes out as one
 * uv_write.  Reading stops while queued output exceeds PGW_WRITE_QUEUE_MAX
 * or the state machine asks for it (pgw_conn_wants_read) and resumes when
 * writes drain.  A protocol error closes that connection only.
 */
#ifndef PGW_SERVER_H
#define PGW_SERVER_H

#include "common/error.h"
#include "pgwire/pgw_engine.h"

#include <stddef.h>
#include <stdint.h>
#include <uv.h>

/* ---- Limits: every bound on what clients can make the server hold ----
 *
 * A connection is either in startup (accepted, no valid StartupMessage yet)
 * or a session (startup done, engine session open).  The two have separate
 * budgets, so connections that never finish the startup can never take a
 * session's place:
 *
 *   sessions     at most PGW_CONNECTIONS_MAX; one more is told "sorry, too
 *                many clients already" (53300) when its StartupMessage
 *                arrives, as PostgreSQL does past max_connections.
 *   in startup   at most PGW_STARTUP_CONNECTIONS_MAX, oldest first; a new
 *                connection past it closes the oldest one (it had a whole
 *                loop turn or more to send 8..10000 bytes), so idle sockets,
 *                however many, cannot keep a real client out.  Only when
 *                every one of them arrived in the current loop turn (a flood
 *                faster than the loop) is the newcomer refused with 53300.
 *                Each is closed after the startup timeout in any case
 *                (counted from accept, not from the last byte: a client
 *                sending one byte a second gains nothing).
 *
 * So at most PGW_CONNECTIONS_MAX + PGW_STARTUP_CONNECTIONS_MAX client
 * sockets are open (plus refused ones flushing a 53300), each holding at
 * most PGW_STARTUP_MAX (pgw_codec.h) bytes before its startup completes.
 * The node raises its open-file limit to the hard limit at start (main.c).
 * A CancelRequest cancels the statement of the session whose BackendKeyData
 * it gives (pgw_conn_cancel), if any, and its connection is closed at once,
 * without an answer either way. */

/* Sessions at once; more are told "too many clients" (53300) and closed,
 * as PostgreSQL does past max_connections (default 100; murphy's sessions
 * are a few hundred bytes on the loop thread, not processes). */
#define PGW_CONNECTIONS_MAX 1000
/* Connections still in startup at once.  Twice the listen backlog, so a
 * full backlog accepted in one loop turn never closes its own members;
 * small enough that their buffers (at most 10000 bytes each) stay a few MB. */
#define PGW_STARTUP_CONNECTIONS_MAX 256
/* A connection that has not completed the startup this long after it was
 * accepted is closed without a message, as PostgreSQL does at its
 * authentication_timeout (60 s there; murphy has no password exchange, so
 * a real client needs one or two round trips).  10 s leaves a slow link or
 * a leader loop stalled by a big statement plenty of room; the startup
 * queue, not the timeout, is what keeps idle sockets from locking clients
 * out, so a shorter default would buy little.  Leader flag
 * --startup-timeout-ms, within MIN..MAX (MAX = PostgreSQL's maximum of
 * authentication_timeout). */
#define PGW_STARTUP_TIMEOUT_MS_DEFAULT 10000
#define PGW_STARTUP_TIMEOUT_MS_MIN 100
#define PGW_STARTUP_TIMEOUT_MS_MAX 600000
/* Output queued in the kernel-bound write queue of one client beyond which
 * we stop reading its requests: a client that does not read its results
 * cannot make the server buffer without bound. */
#define PGW_WRITE_QUEUE_MAX (8u * 1024u * 1024u)
/* One read buffer per server: reads are processed one at a time on the
 * loop thread, and pgw_conn copies what it keeps. */
#define PGW_READ_CHUNK (64u * 1024u)
/* Connections the kernel queues before the loop accepts them. */
#define PGW_LISTEN_BACKLOG 128

/* TCP keepalive of every client connection until its session SETs
 * tcp_keepalives_*: a client whose host or network is gone (its TCP
 * connection still open on our side) is declared lost after idle +
 * interval * count = 60 + 10 * 6 = 120 s of silence, its connection
 * closed and its block undone — instead of holding its shard locks for
 * the system's 2 h 11 min (7200 + 75 * 9 s).  PostgreSQL leaves them at
 * the system's values (0), but its locks are rows, murphy's whole
 * shards; a probe a minute per idle connection costs nothing.  A client
 * process that is alive but stopped (SIGSTOP, a debugger) still answers
 * probes (its kernel does): idle_in_transaction_session_timeout covers
 * that.  Leader flags --tcp-keepalives-idle / -interval / -count. */
#define PGW_KEEPALIVE_IDLE_S_DEFAULT 60
#define PGW_KEEPALIVE_INTERVAL_S_DEFAULT 10
#define PGW_KEEPALIVE_COUNT_DEFAULT 6

/* The limits above that a server can be given (tests use small ones). */
typedef struct pgw_server_limits {
	size_t sessions_max;         /* PGW_CONNECTIONS_MAX */
	size_t startup_max;          /* PGW_STARTUP_CONNECTIONS_MAX, >= 1 */
	uint64_t startup_timeout_ms; /* PGW_STARTUP_TIMEOUT_MS_DEFAULT, >= 1 */
	pgw_keepalive keepalive;     /* PGW_KEEPALIVE_*_DEFAULT; applied at accept */
} pgw_server_limits;

/* The defaults above. */
pgw_server_limits pgw_server_limits_default(void);

typedef struct pgw_server pgw_server;

/* Listen on host:port (numeric IPv4/IPv6 address or a name resolved with
 * getaddrinfo; NULL = all IPv4 interfaces; port 0 = ephemeral, see
 * pgw_server_port).  ops and engine must outlive the server.  Returns
 * MUR_OK with *out set, or MUR_EIO / MUR_ENOMEM with err filled: nothing
 * for the caller to close (a socket already created is closed by the
 * loop's next run). */
int pgw_server_start(uv_loop_t *loop, const char *host, int port, const pgw_engine_ops *ops,
		     void *engine, pgw_server **out, mur_error *err);

/* The port actually bound. */
int pgw_server_port(const pgw_server *s);
/* Open client connections. */
size_t pgw_server_connections(const pgw_server *s);

/* Replace the limits (pgw_server_start uses the defaults); fields below 1
 * are taken as 1.  Connections in startup beyond the new startup_max are
 * closed, oldest first; sessions already open stay. */
void pgw_server_set_limits(pgw_server *s, const pgw_server_limits *lim);

/* TLS for clients from now on (pgw_tls.h): ctx (owned by the server from
 * now on; NULL: none, SSLRequest is answered 'N') answers SSLRequest with
 * 'S'; required: a client that starts without TLS is refused with FATAL
 * 28000 "TLS required" (needs ctx).  Connections already open keep what
 * they had. */
typedef struct mur_tls_ctx pgw_tls_ctx; /* pgw_tls.h */
void pgw_server_set_tls(pgw_server *s, pgw_tls_ctx *ctx, int required);

/* Stop listening and close every connection (each engine session is
 * closed once its pending statement, if any, completes).  The memory is
 * released by the loop's close callbacks: keep running the loop until it
 * has no more active handles.  s must not be used afterwards. */
void pgw_server_close(pgw_server *s);

#endif
