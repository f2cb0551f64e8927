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
 * Per connection: TCP_NODELAY; reads are fed into the connection's state
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
#include <uv.h>

/* Output queued in the kernel-bound write queue of one client beyond which
 * we stop reading its requests: a client that does not read its results
 * cannot make the server buffer without bound. */
#define PGW_WRITE_QUEUE_MAX (8u * 1024u * 1024u)
/* Client connections at once; more are told "too many clients" (53300)
 * and closed, as PostgreSQL does past max_connections. */
#define PGW_CONNECTIONS_MAX 1000
/* One read buffer per server: reads are processed one at a time on the
 * loop thread, and pgw_conn copies what it keeps. */
#define PGW_READ_CHUNK (64u * 1024u)
#define PGW_LISTEN_BACKLOG 128

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

/* Stop listening and close every connection (each engine session is
 * closed once its pending statement, if any, completes).  The memory is
 * released by the loop's close callbacks: keep running the loop until it
 * has no more active handles.  s must not be used afterwards. */
void pgw_server_close(pgw_server *s);

#endif
