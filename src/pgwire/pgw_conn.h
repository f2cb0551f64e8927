/*
 * pgw_conn.h — one client connection's PostgreSQL v3 protocol state
 * machine, with no sockets ("sans-IO").
 *
 * The owner (the libuv shell in pgw_server.c, or a test) feeds received
 * bytes with pgw_conn_feed(), takes the bytes to send with
 * pgw_conn_take_output(), and closes the socket once pgw_conn_is_closed()
 * and the output is flushed.  The connection object is the pgw_session the
 * engine sees (pgw_engine.h): pgw_conn and pgw_session are the same type.
 *
 * State machine (c->state; the function behind each transition):
 *
 *                  StartupMessage v3.0, trusted, admitted (conn_startup → conn_startup_v3
 *                  → pgw_auth_begin → pgw_conn_startup_finish, which asks admit)
 *   STARTUP ───────────────────────────────────────────────────► READY ◄──────────────┐
 *     │ the engine asks SCRAM (pgw_auth_begin): AuthenticationSASL  ▲                  │
 *     ├──► AUTH ── SASLInitialResponse, SASLResponse with the right ┘                  │
 *     │            proof, admitted (pgw_auth_message → pgw_conn_startup_finish);       │
 *     │            a wrong proof: FATAL 28P01 → CLOSED                                │
 *     │ SSLRequest / GSSENCRequest: reply 'N', stay (conn_startup)   │                  │
 *     │ SSLRequest, TLS offered: reply 'S', stay; the owner wraps     │                  │
 *     │ the stream in TLS (conn_start_tls, pgw_conn_take_tls_start)   │                  │
 *     │ StartupMessage without TLS under tls_required: FATAL 28000    │                  │
 *     │                                                              │ Query, Execute   │ result
 *     │                                                              │ (pgw_conn_execute)│ (conn_done_cb →
 *     │                                                              ▼                  │  conn_on_result)
 *     │                                                            BUSY ────────────────┤
 *     │                               result COPY_IN               │  ▲                 │
 *     │                               (pgw_copy_start)             ▼  │ CopyDone/CopyFail
 *     │                                                          COPY_IN (pgw_copy_message →
 *     │                                                                  pgw_conn_copy_done)
 *     │
 *     │   READY ── ERROR in an extended-protocol message (pgw_conn_fail) ──► SKIP
 *     │   SKIP  ── Sync (pgw_extended_sync) ──► READY     (other messages discarded)
 *     │   READY ── ERROR in a simple query (pgw_conn_fail → pgw_simple_finish) ──► READY
 *     │   READY ── end of a multi-statement Query, or its error (pgw_simple_finish →
 *     │            pgw_conn_query_end: the engine ends its implicit block) ──► BUSY
 *     │            ── result (pgw_simple_on_query_end, ReadyForQuery) ──► READY
 *     │   READY/SKIP inside a block, idle too long (pgw_conn_idle_expired) ──► CLOSED
 *     │
 *     └─► CLOSED from any state (conn_set_closed): CancelRequest (after handing
 *         its key to the owner: pgw_conn_set_cancel), Terminate, a
 *         FATAL error (pgw_conn_fatal: bad startup, refused by the admit
 *         callback, malformed message), out of
 *         memory, or pgw_conn_destroy (client gone).  From COPY_IN it first
 *         ends the COPY with copy_done(failed = 1).
 *
 * While BUSY (an engine callback is pending) input is buffered, not
 * processed; when the callback arrives the buffered input is processed.
 * COPY_IN can also be paused: copy_data() returned 1 and input waits until
 * pgw_session_resume_read().
 *
 * Ownership and lifetime.  The connection is reference counted: one
 * reference for the owner (dropped by pgw_conn_destroy) and one for each
 * pending engine callback (at most one).  A client that disconnects while
 * a statement runs: the owner calls pgw_conn_destroy(), the connection
 * becomes CLOSED, and the memory stays until the engine's done callback
 * returns; that callback's result is just freed.  A connection closed in
 * COPY_IN mode first ends the COPY with copy_done(failed = 1).
 *
 * Engine session: session_open() is called at the end of startup;
 * session_close() exactly once, after the connection is CLOSED and no
 * engine callback is pending, and after every prepared statement has been
 * returned with stmt_free().  The engine must not call
 * pgw_session_resume_read() after session_close().
 *
 * Threading: everything runs on the thread that owns the connection (the
 * loop thread); the engine calls done() and pgw_session_resume_read() on
 * that thread too.
 */
#ifndef PGW_CONN_H
#define PGW_CONN_H

#include "pgwire/pgw_engine.h"

#include <stddef.h>
#include <stdint.h>

typedef struct pgw_session pgw_conn;

typedef enum pgw_conn_state {
	PGW_CONN_STARTUP = 0, /* waiting for the startup packet */
	PGW_CONN_AUTH,        /* SCRAM exchange in progress (pgw_auth.c) */
	PGW_CONN_READY,       /* processing messages */
	PGW_CONN_SKIP,        /* extended-protocol error: discarding until Sync */
	PGW_CONN_BUSY,        /* an engine callback is pending; input is buffered */
	PGW_CONN_COPY_IN,     /* COPY FROM STDIN: expecting CopyData/CopyDone/CopyFail */
	PGW_CONN_COPY_OUT,    /* COPY TO STDOUT between two results: input is buffered */
	PGW_CONN_CLOSED,      /* no more input is processed */
} pgw_conn_state;

/* Buffered unprocessed input while BUSY or paused beyond which the owner
 * should stop reading the socket (pgw_conn_wants_read): bounds memory of a
 * client that pipelines while a long statement runs. */
#define PGW_INPUT_PENDING_MAX (1024u * 1024u)

/* Output produced and not yet taken beyond which the connection stops
 * processing input (pgw_conn_stalled): without it, a client pipelining
 * many large queries without reading would make the server buffer every
 * result at once.  Results already computed are still delivered whole. */
#define PGW_OUTPUT_PENDING_MAX (1024u * 1024u)

/* Called when the connection made progress outside pgw_conn_feed() (an
 * engine callback completed, or the engine resumed reading): the owner
 * should take the output and re-check closed / wants_read. */
typedef void (*pgw_conn_wake_cb)(void *arg);

/* Create a connection in STARTUP state.  ops and engine must outlive it.
 * wake may be NULL.  Returns MUR_OK or MUR_ENOMEM (*out untouched). */
int pgw_conn_create(const pgw_engine_ops *ops, void *engine, pgw_conn_wake_cb wake, void *wake_arg,
		    pgw_conn **out);

/* Asked once a StartupMessage is valid and the client authenticated,
 * before the engine session opens,
 * with the wake argument: return 1 to let the client in, 0 to refuse it
 * (FATAL 53300 "sorry, too many clients already", then CLOSED).  Lets the
 * owner count sessions apart from connections still in startup.  Without
 * one every valid startup is let in. */
typedef int (*pgw_conn_admit_cb)(void *arg);
void pgw_conn_set_admit(pgw_conn *c, pgw_conn_admit_cb admit);

/* A CancelRequest arrived on this connection (it then closes, without an
 * answer, as in PostgreSQL): the owner, which knows every connection,
 * passes (pid, key) to pgw_conn_cancel of each until one says it matched.
 * Called with the wake argument.  Without one a CancelRequest only hangs
 * up. */
typedef void (*pgw_conn_cancel_cb)(void *arg, uint32_t pid, uint32_t key);
void pgw_conn_set_cancel(pgw_conn *c, pgw_conn_cancel_cb cancel);
/* TLS (pgw_tls.h), set before the first feed: offer = the owner can
 * wrap this connection in TLS (an SSLRequest is answered 'S', else 'N');
 * required = a StartupMessage that did not come through TLS is refused
 * with FATAL 28000, as PostgreSQL's hostssl-only pg_hba does. */
void pgw_conn_set_tls(pgw_conn *c, int offer, int required);
/* 1 once after the connection answered 'S' (the 'S' is the last output
 * in clear: take the output first, then start TLS; every byte fed from
 * then on must be TLS plaintext). */
int pgw_conn_take_tls_start(pgw_conn *c);
/* The TLS version and cipher the handshake chose (pgw_session_tls). */
void pgw_conn_set_tls_info(pgw_conn *c, const pgw_tls_info *info);
/* The server's address and port of the connection (inet_server_addr(),
 * inet_server_port(): pgw_session_local_addr). */
void pgw_conn_set_local_addr(pgw_conn *c, const char *addr, int port);

/* Returns 1 when pid and key are c's BackendKeyData (key compared in
 * constant time), 0 otherwise.  On a match, if a statement is running
 * (an engine callback is pending), asks the engine to cancel it
 * (pgw_engine_ops.cancel); the statement's result then arrives as usual,
 * perhaps before this returns.  A key that does not match does nothing. */
int pgw_conn_cancel(pgw_conn *c, uint32_t pid, uint32_t key);

/* Consume len received bytes (copied) and process as much as possible.
 * Ignored once CLOSED. */
void pgw_conn_feed(pgw_conn *c, const char *bytes, size_t len);

/* The bytes to send, coalesced since the last call: malloc'd, caller
 * frees; NULL with *len = 0 when there is nothing to send. */
char *pgw_conn_take_output(pgw_conn *c, size_t *len);
size_t pgw_conn_output_len(const pgw_conn *c);

/* Processing stopped with input left because PGW_OUTPUT_PENDING_MAX
 * bytes of output were waiting: take the output, and when the socket can
 * take more, call pgw_conn_process. */
int pgw_conn_stalled(const pgw_conn *c);
/* 1 while an engine callback is pending (state BUSY). */
int pgw_conn_busy(const pgw_conn *c);
/* Process buffered input (after a stall); a no-op when there is nothing
 * to do. */
void pgw_conn_process(pgw_conn *c);

int pgw_conn_is_closed(const pgw_conn *c);
pgw_conn_state pgw_conn_get_state(const pgw_conn *c);
/* Whether the owner should keep reading the socket now. */
int pgw_conn_wants_read(const pgw_conn *c);

/* idle_in_transaction_session_timeout / idle_session_timeout
 * (pgw_engine_ops): the time the connection may wait for its client from
 * now on, when it waits for a message (READY or SKIP, nothing pending)
 * inside a transaction block / outside one and the engine has that
 * timeout; 0 otherwise. */
uint64_t pgw_conn_idle_timeout_ms(const pgw_conn *c);
/* The owner's idle timer fired: if the connection still waits, FATAL
 * 25P03 inside a block (the engine session closes, ending the block) or
 * 57P05 outside one, and CLOSED; otherwise nothing. */
void pgw_conn_idle_expired(pgw_conn *c);
/* 1 (and *ka set) when the engine changed the keepalive since the last
 * call (pgw_session_set_keepalive); 0 otherwise. */
int pgw_conn_take_keepalive(pgw_conn *c, pgw_keepalive *ka);

/* The owner is done with the connection (the client disconnected or the
 * socket was closed).  c must not be used afterwards; its memory is freed
 * now or when a pending engine callback returns. */
void pgw_conn_destroy(pgw_conn *c);

#endif
