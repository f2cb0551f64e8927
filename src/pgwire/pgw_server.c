/*
 * pgw_server.c — libuv shell: listener, one pgw_client per TCP connection,
 * each wrapping a sans-IO pgw_conn.  See pgw_server.h.
 *
 * Lifetimes (libuv rules: a handle's memory is reusable only in its close
 * callback):
 *   pgw_server  freed when the listener is closed and the last client's
 *               close callback ran, after pgw_server_close.
 *   pgw_client  freed in its close callback (client_closed_cb), which
 *               libuv runs after the callbacks of cancelled writes; the
 *               pgw_conn is released there with pgw_conn_destroy (it may
 *               live on until a pending engine callback returns).
 *   pgw_write   one per uv_write; owns the output bytes; freed in
 *               write_cb.
 *
 * Cancel.  A CancelRequest arrives on a connection of its own; its
 * (pid, key) goes to client_cancel, which asks every session's connection
 * (pgw_conn_cancel) until one matches; the engine's done() for the
 * cancelled statement may run from inside that call and wakes the
 * session's client as any completion does.
 *
 * client_sync() is the one place that reconciles a client with its
 * connection: flush output, close when the protocol closed, start/stop
 * reading.  It runs after every read, every write completion, and every
 * wake from the connection (engine callback completed asynchronously).
 *
 * Admission (the limits in pgw_server.h).  An accepted client joins the
 * startup queue (oldest first; accept times only grow, so the head has the
 * earliest deadline).  It leaves the queue when its connection asks to be
 * admitted (client_admit: it becomes a session, or is refused 53300 when
 * sessions are full) or when it is closed.  One timer, armed for the head's
 * deadline, closes the clients whose startup timeout passed
 * (startup_timer_cb); a full queue closes its head for a newcomer
 * (startup_make_room).  Invariants (startup_check):
 *   nstartup == length of the queue <= lim.startup_max
 *   nsessions == clients with session set; no client is admitted while
 *   nsessions >= lim.sessions_max (sessions open when the limit was
 *   lowered stay)
 *   a client is never both in the queue and a session.
 * Accept times are the loop's clock (uv_now), not common/clock.h's: they
 * arm startup_timer, which libuv runs on that clock, and "every client
 * arrived in this loop turn" (startup_make_room) is equality with the
 * time the loop cached for the turn.
 *
 * TLS (pgw_server_set_tls).  Every connection is offered TLS
 * (pgw_conn_set_tls); once its pgw_conn answered an SSLRequest with 'S'
 * (pgw_conn_take_tls_start, checked in client_sync right after that
 * byte was queued in clear) the client gets a pgw_tls: reads go through
 * pgw_tls_recv before pgw_conn_feed (client_tls_feed), output through
 * pgw_tls_send (client_send), and client_sync writes what TLS queued
 * (handshake records included).  A failed handshake or garbage marks the
 * client tls_failed: its pending output (an alert) is flushed and it is
 * closed; other clients are untouched.  The handshake happens in startup,
 * so a client stalling in it is closed by the startup timeout.
 */
#include "pgwire/pgw_server.h"

#include "common/log.h"
#include "common/trace.h"
#include "pgwire/pgw_codec.h"
#include "pgwire/pgw_conn.h"
#include "pgwire/pgw_tls.h"

#include <assert.h>
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct pgw_client {
	uv_tcp_t tcp;
	pgw_server *srv;
	pgw_conn *conn;
	struct pgw_client *prev, *next;
	size_t queued; /* bytes in uv_write requests not yet completed */
	int nwrites;
	int reading;
	int closing;
	int close_after_flush;
	int in_startup;                   /* on the server's startup queue */
	int session;                      /* admitted: counted in nsessions */
	uint64_t accepted_ms;             /* uv_now at accept */
	pgw_tls *tls;                     /* NULL until the client's SSLRequest was answered 'S' */
	int tls_failed;                   /* handshake failed / not TLS: flush, then close */
	int tls_told;                     /* the connection has the handshake's outcome */
	uv_timer_t *idle_timer;           /* idle in a transaction block; NULL until first armed */
	pgw_keepalive keepalive;          /* last applied to the socket (client_keepalive) */
	struct pgw_client *sprev, *snext; /* startup queue, oldest first */
} pgw_client;

static void client_local_addr(pgw_client *cl);

typedef struct pgw_write {
	uv_write_t req;
	pgw_client *cl;
	char *data;
	size_t len;
} pgw_write;

struct pgw_server {
	uv_loop_t *loop;
	uv_tcp_t listener;
	const pgw_engine_ops *ops;
	void *engine;
	pgw_client *clients;
	size_t nclients;
	int port;
	int closing;
	int listener_closed;
	int timer_closed;
	pgw_server_limits lim;
	pgw_tls_ctx *tls; /* NULL: SSLRequest is answered 'N' */
	int tls_required;
	pgw_client *startup_head, *startup_tail;
	size_t nstartup, nsessions;
	uv_timer_t startup_timer; /* fires at the startup head's deadline */
	int queue_full_logged;    /* one WARN per episode of a full queue */
	char rbuf[PGW_READ_CHUNK];
};

static void client_sync(pgw_client *cl);

/* ---- The startup queue --------------------------------------------------------- */

static void startup_check(const pgw_server *s)
{
	assert(s->nstartup <= s->lim.startup_max);
	assert((s->startup_head == NULL) == (s->nstartup == 0));
	assert(!s->startup_head || (s->startup_head->in_startup && !s->startup_head->session));
	(void)s;
}

static void startup_timer_cb(uv_timer_t *t);

/* Arm the timer for the head's deadline unless it is already armed (a
 * timer that fires early for a head that left re-arms itself). */
static void startup_arm(pgw_server *s)
{
	uint64_t now = uv_now(s->loop), due;
	if (!s->startup_head || uv_is_active((uv_handle_t *)&s->startup_timer))
		return;
	due = s->startup_head->accepted_ms + s->lim.startup_timeout_ms;
	uv_timer_start(&s->startup_timer, startup_timer_cb, due > now ? due - now : 0, 0);
}

static void startup_push(pgw_server *s, pgw_client *cl)
{
	cl->in_startup = 1;
	cl->accepted_ms = uv_now(s->loop);
	cl->sprev = s->startup_tail;
	cl->snext = NULL;
	if (s->startup_tail)
		s->startup_tail->snext = cl;
	else
		s->startup_head = cl;
	s->startup_tail = cl;
	s->nstartup++;
	startup_arm(s);
	startup_check(s);
}

static void startup_remove(pgw_server *s, pgw_client *cl)
{
	if (!cl->in_startup)
		return;
	if (cl->sprev)
		cl->sprev->snext = cl->snext;
	else
		s->startup_head = cl->snext;
	if (cl->snext)
		cl->snext->sprev = cl->sprev;
	else
		s->startup_tail = cl->sprev;
	cl->in_startup = 0;
	cl->sprev = cl->snext = NULL;
	s->nstartup--;
	if (s->nstartup == 0)
		s->queue_full_logged = 0;
	startup_check(s);
}

/* The connection's StartupMessage is valid: it becomes a session if there
 * is room (pgw_conn_admit_cb). */
static int client_admit(void *arg)
{
	pgw_client *cl = arg;
	pgw_server *s = cl->srv;
	startup_remove(s, cl);
	if (s->nsessions >= s->lim.sessions_max) {
		MLOG(WARN, "pgwire", "refusing a client: %zu sessions already", s->nsessions);
		return 0;
	}
	cl->session = 1;
	s->nsessions++;
	startup_check(s);
	return 1;
}

/* A CancelRequest on cl: find the session its key names (a linear scan:
 * cancels are rare and sessions at most PGW_CONNECTIONS_MAX). */
static void client_cancel(void *arg, uint32_t pid, uint32_t key)
{
	pgw_client *cl = arg;
	for (pgw_client *x = cl->srv->clients; x; x = x->next)
		if (x != cl && x->session && x->conn && pgw_conn_cancel(x->conn, pid, key))
			return;
}

/* ---- Teardown ---------------------------------------------------------------- */

static void server_maybe_free(pgw_server *s)
{
	if (s->closing && s->listener_closed && s->timer_closed && s->nclients == 0) {
		pgw_tls_ctx_free(s->tls);
		free(s);
	}
}

static void client_closed_cb(uv_handle_t *h)
{
	pgw_client *cl = h->data;
	pgw_server *s = cl->srv;
	if (cl->prev)
		cl->prev->next = cl->next;
	else
		s->clients = cl->next;
	if (cl->next)
		cl->next->prev = cl->prev;
	s->nclients--;
	if (cl->session)
		s->nsessions--;
	if (cl->conn)
		pgw_conn_destroy(cl->conn);
	pgw_tls_free(cl->tls);
	free(cl);
	server_maybe_free(s);
}

static void idle_timer_closed_cb(uv_handle_t *h) { free(h); }

static void client_close(pgw_client *cl)
{
	if (cl->closing)
		return;
	cl->closing = 1;
	if (cl->idle_timer) { /* its memory goes in its own close callback */
		uv_close((uv_handle_t *)cl->idle_timer, idle_timer_closed_cb);
		cl->idle_timer = NULL;
	}
	startup_remove(cl->srv, cl);
	if (cl->reading)
		uv_read_stop((uv_stream_t *)&cl->tcp);
	cl->reading = 0;
	uv_close((uv_handle_t *)&cl->tcp, client_closed_cb);
}

/* Output held back while a statement runs, so the usual response leaves in
 * one write; beyond this much it is sent at once. */
#define PGW_HOLD_OUTPUT_MAX (64u * 1024u)

/* ---- Writing ------------------------------------------------------------------- */

static void write_cb(uv_write_t *req, int status)
{
	pgw_write *w = (pgw_write *)req;
	pgw_client *cl = w->cl;
	cl->queued -= w->len;
	cl->nwrites--;
	free(w->data);
	free(w);
	if (status < 0) {
		if (status != UV_ECANCELED)
			MLOG(DEBUG, "pgwire", "write failed: %s", uv_strerror(status));
		client_close(cl);
	} else if (cl->close_after_flush && cl->nwrites == 0) {
		client_close(cl);
	} else {
		client_sync(cl); /* drained: maybe read again */
	}
}

/* Queue data (malloc'd; ownership passes here) as one uv_write. */
static int client_write(pgw_client *cl, char *data, size_t len)
{
	pgw_write *w = malloc(sizeof *w);
	uv_buf_t buf = uv_buf_init(data, (unsigned int)len);
	int rc;
	if (!w) {
		free(data);
		return UV_ENOMEM;
	}
	w->cl = cl;
	w->data = data;
	w->len = len;
	MUR_TRACE("cout", (uintptr_t)cl, len);
	if (cl->nwrites == 0) {
		/* Nothing queued: write now without a request (uv_write would
		 * re-arm the epoll watcher: one epoll_ctl per response). */
		int n = uv_try_write((uv_stream_t *)&cl->tcp, &buf, 1);
		if (n == (int)len) {
			free(data);
			free(w);
			return 0;
		}
		if (n > 0)
			buf = uv_buf_init(data + n, (unsigned int)(len - (size_t)n));
	}
	rc = uv_write(&w->req, (uv_stream_t *)&cl->tcp, &buf, 1, write_cb);
	if (rc < 0) { /* the callback will not run */
		free(data);
		free(w);
		return rc;
	}
	cl->queued += len;
	cl->nwrites++;
	return 0;
}

/* ---- TLS ---------------------------------------------------------------------------- */

/* Write what TLS has queued (handshake records, encrypted output). */
static int client_tls_flush(pgw_client *cl)
{
	size_t len;
	char *data = pgw_tls_take_output(cl->tls, &len);
	return data ? client_write(cl, data, len) : 0;
}

/* Send connection output (malloc'd; ownership passes here): in clear, or
 * encrypted once the client is on TLS. */
static int client_send(pgw_client *cl, char *data, size_t len)
{
	mur_error err;
	int rc;
	if (!cl->tls)
		return client_write(cl, data, len);
	rc = pgw_tls_send(cl->tls, data, len, &err);
	free(data);
	if (rc != MUR_OK) {
		MLOG(INFO, "pgwire", "closing a TLS connection: %s", err.message);
		return UV_EPROTO;
	}
	return client_tls_flush(cl);
}

/* The connection answered 'S': from now on the client speaks TLS. */
static int client_tls_start(pgw_client *cl)
{
	cl->tls = pgw_tls_new(cl->srv->tls);
	if (!cl->tls) {
		MLOG(WARN, "pgwire", "out of memory starting TLS");
		return UV_ENOMEM;
	}
	return 0;
}

/* Bytes read from a TLS client: decrypt, feed the plaintext. */
static void client_tls_feed(pgw_client *cl, const char *data, size_t len)
{
	mur_error err;
	mur_buf plain;
	mur_buf_init(&plain);
	if (pgw_tls_recv(cl->tls, data, len, &plain, &err) != MUR_OK) {
		if (strcmp(err.sqlstate, SQLSTATE_CONNECTION_FAILURE) == 0) /* close_notify */
			MLOG(DEBUG, "pgwire", "closing a client connection: %s", err.message);
		else
			MLOG(INFO, "pgwire", "closing a client connection: %s", err.message);
		cl->tls_failed = 1;
	}
	if (!mur_buf_ok(&plain))
		cl->tls_failed = 1;
	if (!cl->tls_told && !cl->tls_failed && pgw_tls_established(cl->tls)) {
		pgw_tls_info info;
		pgw_tls_get_info(cl->tls, &info);
		pgw_conn_set_tls_info(cl->conn, &info);
		cl->tls_told = 1;
	}
	if (plain.len > 0 && !cl->tls_failed)
		pgw_conn_feed(cl->conn, plain.data, plain.len);
	mur_buf_free(&plain);
}

/* ---- Reading --------------------------------------------------------------------- */

static void alloc_cb(uv_handle_t *h, size_t suggested, uv_buf_t *buf)
{
	pgw_client *cl = h->data;
	(void)suggested;
	*buf = uv_buf_init(cl->srv->rbuf, sizeof cl->srv->rbuf);
}

static void read_cb(uv_stream_t *stream, ssize_t nread, const uv_buf_t *buf)
{
	pgw_client *cl = stream->data;
	if (nread > 0) {
		MUR_TRACE("cin", (uintptr_t)cl, (uint64_t)nread);
		if (cl->idle_timer) /* the client spoke: its idle time starts again */
			uv_timer_stop(cl->idle_timer);
		if (cl->tls)
			client_tls_feed(cl, buf->base, (size_t)nread);
		else
			pgw_conn_feed(cl->conn, buf->base, (size_t)nread);
		client_sync(cl);
	} else if (nread < 0) { /* EOF or error: the client is gone */
		client_close(cl);
	}
}

static void client_set_reading(pgw_client *cl, int want)
{
	if (want && !cl->reading) {
		if (uv_read_start((uv_stream_t *)&cl->tcp, alloc_cb, read_cb) == 0)
			cl->reading = 1;
		else
			client_close(cl);
	} else if (!want && cl->reading) {
		uv_read_stop((uv_stream_t *)&cl->tcp);
		cl->reading = 0;
	}
}

/* ---- Idle in a transaction block, keepalive ------------------------------------- */

static void idle_timer_cb(uv_timer_t *t)
{
	pgw_client *cl = t->data;
	pgw_conn_idle_expired(cl->conn);
	client_sync(cl);
}

/* Arm the idle timer when the connection waits for its client inside a
 * transaction block (from the moment it started waiting: an armed timer
 * is left alone), stop it otherwise. */
static void client_idle_arm(pgw_client *cl)
{
	uint64_t ms = pgw_conn_idle_timeout_ms(cl->conn);
	if (!ms) {
		if (cl->idle_timer)
			uv_timer_stop(cl->idle_timer);
		return;
	}
	if (!cl->idle_timer) {
		if (!(cl->idle_timer = malloc(sizeof *cl->idle_timer)))
			return; /* out of memory: this wait goes untimed */
		uv_timer_init(cl->srv->loop, cl->idle_timer);
		cl->idle_timer->data = cl;
	}
	if (!uv_is_active((uv_handle_t *)cl->idle_timer))
		uv_timer_start(cl->idle_timer, idle_timer_cb, ms, 0);
}

/* Apply ka to the socket (SO_KEEPALIVE on; a keepalive field of 0 keeps
 * the system's value; TCP_USER_TIMEOUT whenever it changed, 0 being the
 * system's rule) unless it is what the socket already has: the leader
 * hands its settings back at the end of every transaction block (a
 * ROLLBACK may undo a SET), and four setsockopt calls per block were a
 * tenth of the leader's syscalls under pgbench.  A failure is logged: the
 * connection still works, a lost client is only found later. */
static void client_keepalive(pgw_client *cl, const pgw_keepalive *ka)
{
	uv_os_fd_t fd;
	int on = 1;
	unsigned user_ms = (unsigned)ka->user_timeout_ms;
	if (cl->keepalive.idle_s == ka->idle_s && cl->keepalive.interval_s == ka->interval_s &&
	    cl->keepalive.count == ka->count &&
	    cl->keepalive.user_timeout_ms == ka->user_timeout_ms)
		return;
	if (uv_fileno((uv_handle_t *)&cl->tcp, &fd) != 0)
		return;
	if (cl->keepalive.user_timeout_ms != ka->user_timeout_ms &&
	    setsockopt(fd, IPPROTO_TCP, TCP_USER_TIMEOUT, &user_ms, sizeof user_ms) != 0)
		MLOG(WARN, "pgwire", "could not set TCP_USER_TIMEOUT: %s", strerror(errno));
	cl->keepalive = *ka;
	if (setsockopt(fd, SOL_SOCKET, SO_KEEPALIVE, &on, sizeof on) != 0 ||
	    (ka->idle_s > 0 &&
	     setsockopt(fd, IPPROTO_TCP, TCP_KEEPIDLE, &ka->idle_s, sizeof ka->idle_s) != 0) ||
	    (ka->interval_s > 0 && setsockopt(fd, IPPROTO_TCP, TCP_KEEPINTVL, &ka->interval_s,
					      sizeof ka->interval_s) != 0) ||
	    (ka->count > 0 &&
	     setsockopt(fd, IPPROTO_TCP, TCP_KEEPCNT, &ka->count, sizeof ka->count) != 0))
		MLOG(WARN, "pgwire", "could not set TCP keepalive: %s", strerror(errno));
}

/* Send what the connection produced; while the write queue has room, let a
 * stalled connection continue with its buffered input. */
static void client_sync(pgw_client *cl)
{
	size_t len;
	char *data;
	pgw_keepalive ka;
	if (cl->closing)
		return;
	if (pgw_conn_take_keepalive(cl->conn, &ka))
		client_keepalive(cl, &ka);
	for (;;) {
		/* While the engine runs a statement, hold small output (BindComplete,
		 * RowDescription) back: it leaves with the result in one write. */
		if (pgw_conn_busy(cl->conn) && pgw_conn_output_len(cl->conn) < PGW_HOLD_OUTPUT_MAX)
			break;
		data = pgw_conn_take_output(cl->conn, &len);
		if (data && client_send(cl, data, len) != 0) {
			client_close(cl);
			return;
		}
		if (!cl->tls && pgw_conn_take_tls_start(cl->conn) && client_tls_start(cl) != 0) {
			client_close(cl);
			return;
		}
		if (!pgw_conn_stalled(cl->conn) || cl->queued >= PGW_WRITE_QUEUE_MAX)
			break;
		pgw_conn_process(cl->conn);
	}
	if (cl->tls && client_tls_flush(cl) != 0) {
		client_close(cl);
		return;
	}
	if (pgw_conn_is_closed(cl->conn) || cl->tls_failed) {
		client_set_reading(cl, 0);
		if (cl->nwrites == 0)
			client_close(cl);
		else
			cl->close_after_flush = 1;
		return;
	}
	client_set_reading(cl, pgw_conn_wants_read(cl->conn) && cl->queued < PGW_WRITE_QUEUE_MAX);
	client_idle_arm(cl);
}

static void client_wake(void *arg) { client_sync(arg); }

/* ---- Accepting ---------------------------------------------------------------------- */

/* A FATAL 53300 ErrorResponse, then close: the client was not taken. */
static void client_refuse(pgw_client *cl)
{
	mur_buf b;
	mur_error e;
	size_t len;
	char *data;
	mur_buf_init(&b);
	mur_error_set(&e, SQLSTATE_TOO_MANY_CONNECTIONS, "sorry, too many clients already");
	pgw_put_error(&b, "FATAL", &e);
	data = mur_buf_steal(&b, &len);
	if (!data || client_write(cl, data, len) != 0 || cl->nwrites == 0)
		client_close(cl);
	else
		cl->close_after_flush = 1;
}

/* Close the clients whose startup timeout passed; re-arm for the next. */
static void startup_timer_cb(uv_timer_t *t)
{
	pgw_server *s = t->data;
	uint64_t now = uv_now(s->loop);
	pgw_client *head;
	while ((head = s->startup_head) && head->accepted_ms + s->lim.startup_timeout_ms <= now) {
		MLOG(DEBUG, "pgwire", "closing a connection: no startup within %llu ms",
		     (unsigned long long)s->lim.startup_timeout_ms);
		client_close(head); /* leaves the queue */
	}
	startup_arm(s);
}

/* Room in the startup queue for one more: close its oldest client, unless
 * every one arrived in this loop turn (none has had a chance to be read:
 * a flood, not idle sockets).  Returns 0 when there is no room. */
static int startup_make_room(pgw_server *s)
{
	pgw_client *head = s->startup_head;
	if (s->nstartup < s->lim.startup_max)
		return 1;
	if (head->accepted_ms >= uv_now(s->loop))
		return 0;
	if (!s->queue_full_logged) {
		MLOG(WARN, "pgwire",
		     "%zu connections have not sent a startup packet: closing the "
		     "oldest for each new one",
		     s->nstartup);
		s->queue_full_logged = 1;
	}
	client_close(head);
	return 1;
}

static void connection_cb(uv_stream_t *listener, int status)
{
	pgw_server *s = listener->data;
	pgw_client *cl;
	if (status < 0) {
		MLOG(WARN, "pgwire", "accept failed: %s", uv_strerror(status));
		return;
	}
	cl = calloc(1, sizeof *cl);
	if (!cl || uv_tcp_init(s->loop, &cl->tcp) != 0) {
		free(cl);
		MLOG(WARN, "pgwire", "out of memory accepting a connection");
		return;
	}
	cl->tcp.data = cl;
	cl->srv = s;
	cl->next = s->clients;
	if (s->clients)
		s->clients->prev = cl;
	s->clients = cl;
	s->nclients++;
	if (uv_accept(listener, (uv_stream_t *)&cl->tcp) != 0) {
		client_close(cl);
		return;
	}
	uv_tcp_nodelay(&cl->tcp, 1);
	cl->keepalive.idle_s = -1; /* nothing applied yet: the first call does */
	client_keepalive(cl, &s->lim.keepalive);
	if (!startup_make_room(s)) {
		client_refuse(cl);
		return;
	}
	if (pgw_conn_create(s->ops, s->engine, client_wake, cl, &cl->conn) != MUR_OK) {
		client_close(cl);
		return;
	}
	pgw_conn_set_admit(cl->conn, client_admit);
	pgw_conn_set_cancel(cl->conn, client_cancel);
	pgw_conn_set_tls(cl->conn, s->tls != NULL, s->tls_required);
	client_local_addr(cl);
	startup_push(s, cl);
	client_sync(cl);
}

/* ---- Listener ------------------------------------------------------------------------ */

static void listener_closed_cb(uv_handle_t *h)
{
	pgw_server *s = h->data;
	s->listener_closed = 1;
	server_maybe_free(s);
}

/* Resolve host (numeric or name) to a socket address for port. */
static int resolve(const char *host, int port, struct sockaddr_storage *ss)
{
	struct addrinfo hints, *res = NULL;
	char service[16];
	int rc;
	memset(&hints, 0, sizeof hints);
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
	snprintf(service, sizeof service, "%d", port);
	rc = getaddrinfo(host, service, &hints, &res);
	if (rc != 0 || !res)
		return UV_EINVAL;
	memcpy(ss, res->ai_addr, res->ai_addrlen);
	freeaddrinfo(res);
	return 0;
}

/* The server's end of cl's connection, for inet_server_addr/port. */
static void client_local_addr(pgw_client *cl)
{
	struct sockaddr_storage ss;
	char text[INET6_ADDRSTRLEN] = "";
	int len = sizeof ss, port;
	if (uv_tcp_getsockname(&cl->tcp, (struct sockaddr *)&ss, &len) != 0)
		return;
	if (ss.ss_family == AF_INET6) {
		uv_ip6_name((struct sockaddr_in6 *)&ss, text, sizeof text);
		port = ntohs(((struct sockaddr_in6 *)&ss)->sin6_port);
	} else {
		uv_ip4_name((struct sockaddr_in *)&ss, text, sizeof text);
		port = ntohs(((struct sockaddr_in *)&ss)->sin_port);
	}
	pgw_conn_set_local_addr(cl->conn, text, port);
}

static int listener_port(uv_tcp_t *t)
{
	struct sockaddr_storage ss;
	int len = sizeof ss;
	if (uv_tcp_getsockname(t, (struct sockaddr *)&ss, &len) != 0)
		return -1;
	if (ss.ss_family == AF_INET6)
		return ntohs(((struct sockaddr_in6 *)&ss)->sin6_port);
	return ntohs(((struct sockaddr_in *)&ss)->sin_port);
}

int pgw_server_start(uv_loop_t *loop, const char *host, int port, const pgw_engine_ops *ops,
		     void *engine, pgw_server **out, mur_error *err)
{
	struct sockaddr_storage ss;
	pgw_server *s;
	int rc;

	if (!host)
		host = "0.0.0.0";
	if (port < 0 || port > 65535 || resolve(host, port, &ss) != 0) {
		mur_error_set(err, SQLSTATE_IO_ERROR, "invalid listen address %s:%d", host, port);
		return MUR_EIO;
	}
	if (!(s = calloc(1, sizeof *s))) {
		mur_error_set(err, SQLSTATE_OUT_OF_MEMORY, "out of memory");
		return MUR_ENOMEM;
	}
	s->loop = loop;
	s->ops = ops;
	s->engine = engine;
	s->lim = pgw_server_limits_default();
	s->timer_closed = 1; /* until the timer exists */
	if ((rc = uv_tcp_init(loop, &s->listener)) != 0) {
		free(s);
		mur_error_set(err, SQLSTATE_IO_ERROR, "could not create socket: %s",
			      uv_strerror(rc));
		return MUR_EIO;
	}
	s->listener.data = s;
	rc = uv_tcp_bind(&s->listener, (const struct sockaddr *)&ss, 0);
	if (rc == 0)
		rc = uv_listen((uv_stream_t *)&s->listener, PGW_LISTEN_BACKLOG, connection_cb);
	if (rc != 0) {
		mur_error_set(err, SQLSTATE_IO_ERROR, "could not listen on %s:%d: %s", host, port,
			      uv_strerror(rc));
		s->closing = 1;
		uv_close((uv_handle_t *)&s->listener, listener_closed_cb);
		return MUR_EIO;
	}
	uv_timer_init(loop, &s->startup_timer);
	s->startup_timer.data = s;
	s->timer_closed = 0;
	s->port = listener_port(&s->listener);
	MLOG(INFO, "pgwire", "listening on %s:%d", host, s->port);
	*out = s;
	return MUR_OK;
}

int pgw_server_port(const pgw_server *s) { return s->port; }

size_t pgw_server_connections(const pgw_server *s) { return s->nclients; }

pgw_server_limits pgw_server_limits_default(void)
{
	pgw_server_limits lim = {
		.sessions_max = PGW_CONNECTIONS_MAX,
		.startup_max = PGW_STARTUP_CONNECTIONS_MAX,
		.startup_timeout_ms = PGW_STARTUP_TIMEOUT_MS_DEFAULT,
		.keepalive = {PGW_KEEPALIVE_IDLE_S_DEFAULT, PGW_KEEPALIVE_INTERVAL_S_DEFAULT,
			      PGW_KEEPALIVE_COUNT_DEFAULT, 0},
	};
	return lim;
}

void pgw_server_set_limits(pgw_server *s, const pgw_server_limits *lim)
{
	pgw_server_limits l = *lim;
	if (l.sessions_max < 1)
		l.sessions_max = 1;
	if (l.startup_max < 1)
		l.startup_max = 1;
	if (l.startup_timeout_ms < 1)
		l.startup_timeout_ms = 1;
	while (s->nstartup > l.startup_max) /* the oldest go first */
		client_close(s->startup_head);
	s->lim = l;
	uv_timer_stop(&s->startup_timer);
	startup_arm(s);
}

void pgw_server_set_tls(pgw_server *s, pgw_tls_ctx *ctx, int required)
{
	pgw_tls_ctx_free(s->tls);
	s->tls = ctx;
	s->tls_required = required;
}

static void timer_closed_cb(uv_handle_t *h)
{
	pgw_server *s = h->data;
	s->timer_closed = 1;
	server_maybe_free(s);
}

void pgw_server_close(pgw_server *s)
{
	pgw_client *cl, *next;
	if (s->closing)
		return;
	s->closing = 1;
	uv_close((uv_handle_t *)&s->listener, listener_closed_cb);
	uv_close((uv_handle_t *)&s->startup_timer, timer_closed_cb);
	for (cl = s->clients; cl; cl = next) {
		next = cl->next;
		client_close(cl);
	}
}
