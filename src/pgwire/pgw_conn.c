/*
 * pgw_conn.c — connection lifecycle, the input loop, startup, and the
 * helpers the protocol parts share.  See pgw_conn.h for the state machine
 * and pgw_conn_int.h for the structure and its invariants.
 *
 * Flow: pgw_conn_feed appends bytes to c->in and runs conn_run, which
 * calls conn_step until nothing more can be done: handle an arrived engine
 * result, start the next statement of a simple query, or frame and
 * dispatch one message.  Engine callbacks never process input themselves
 * while conn_run is active (they only record the result), so a
 * synchronous engine cannot recurse; an asynchronous callback runs
 * conn_run itself and then wakes the owner.
 */
#include "pgwire/pgw_conn_int.h"

#include "common/clock.h"
#include "common/log.h"

#include <assert.h>
#include <errno.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

static void conn_run(pgw_conn *c);
static void conn_set_closed(pgw_conn *c);
static void conn_unref(pgw_conn *c);

/* The invariants of pgw_conn_int.h. */
static void conn_check(const pgw_conn *c)
{
	assert(!c->pending || c->state == PGW_CONN_BUSY || c->state == PGW_CONN_CLOSED);
	assert((c->wait != PGW_WAIT_NONE) == (c->pending || c->result != NULL));
	assert(c->refs >= c->pending);
	assert(c->in_off <= c->in.len);
	assert(!c->session_closed || (c->state == PGW_CONN_CLOSED && !c->pending));
	(void)c;
}

/* ---- Lifecycle ------------------------------------------------------------ */

/* BackendKeyData: a process id (sequential: PostgreSQL's pids are no
 * secret either) and a secret key.  A CancelRequest must give both, so
 * the key is what stops one client from cancelling another's statements:
 * it comes from the kernel's random source (getrandom), never from the
 * clock or an address.  When no random bytes can be had the connection
 * gets no key (key_ok = 0) and no CancelRequest ever matches it. */
static uint32_t conn_next_pid(void)
{
	static _Atomic uint32_t next = 1000;
	return atomic_fetch_add(&next, 1);
}

static int conn_random_key(uint32_t *key)
{
	ssize_t n;
	do
		n = getrandom(key, sizeof *key, 0);
	while (n < 0 && errno == EINTR);
	return n == (ssize_t)sizeof *key ? MUR_OK : MUR_EIO;
}

int pgw_conn_create(const pgw_engine_ops *ops, void *engine, pgw_conn_wake_cb wake, void *wake_arg,
		    pgw_conn **out)
{
	pgw_conn *c = calloc(1, sizeof *c);
	if (!c)
		return MUR_ENOMEM;
	c->state = PGW_CONN_STARTUP;
	c->refs = 1;
	c->ops = ops;
	c->engine = engine;
	c->wake = wake;
	c->wake_arg = wake_arg;
	mur_buf_init(&c->in);
	mur_buf_init(&c->out);
	c->pid = conn_next_pid();
	c->key_ok = conn_random_key(&c->key) == MUR_OK;
	if (!c->key_ok)
		MLOG(WARN, "pgwire",
		     "session %u: no random bytes for its cancel key: it cannot be "
		     "cancelled",
		     c->pid);
	*out = c;
	return MUR_OK;
}

void pgw_conn_set_admit(pgw_conn *c, pgw_conn_admit_cb admit) { c->admit = admit; }

void pgw_conn_set_cancel(pgw_conn *c, pgw_conn_cancel_cb cancel) { c->cancel = cancel; }

void pgw_conn_set_tls(pgw_conn *c, int offer, int required)
{
	c->tls_offer = offer;
	c->tls_required = required;
}

int pgw_conn_take_tls_start(pgw_conn *c)
{
	if (!c->tls_start || c->state == PGW_CONN_CLOSED)
		return 0;
	c->tls_start = 0;
	c->tls_active = 1;
	return 1;
}

void pgw_conn_set_tls_info(pgw_conn *c, const pgw_tls_info *info) { c->tls_info = *info; }

void pgw_conn_set_local_addr(pgw_conn *c, const char *addr, int port)
{
	snprintf(c->local_addr, sizeof c->local_addr, "%s", addr);
	c->local_port = port;
}

int pgw_session_local_addr(const pgw_session *ps, const char **addr, int *port)
{
	if (!ps->local_addr[0])
		return 0;
	*addr = ps->local_addr;
	*port = ps->local_port;
	return 1;
}

int pgw_session_tls(const pgw_session *ps, pgw_tls_info *info)
{
	if (!ps->tls_active)
		return 0;
	*info = ps->tls_info;
	return 1;
}

/* Compare keys in constant time: the answer (none, either way) and its
 * timing say nothing about how close a guess was. */
static int conn_key_equal(uint32_t a, uint32_t b)
{
	volatile uint32_t diff = a ^ b;
	return diff == 0;
}

int pgw_conn_cancel(pgw_conn *c, uint32_t pid, uint32_t key)
{
	if (c->pid != pid || !c->key_ok || !conn_key_equal(c->key, key))
		return 0;
	if (!c->pending || !c->esess || !c->ops->cancel)
		return 1; /* nothing runs: nothing to cancel (PostgreSQL: the same) */
	MLOG(DEBUG, "pgwire", "session %u: cancel request", c->pid);
	c->refs++; /* the engine may call done() from inside cancel() */
	c->ops->cancel(c->esess);
	conn_unref(c);
	return 1;
}

static void conn_free(pgw_conn *c)
{
	assert(c->session_closed && !c->pending && !c->result);
	pgw_auth_free(c);
	pgw_copy_clear(c);
	mur_buf_free(&c->in);
	mur_buf_free(&c->out);
	free(c);
}

static void conn_unref(pgw_conn *c)
{
	assert(c->refs > 0);
	if (--c->refs == 0)
		conn_free(c);
}

/* Invariant 5: give everything back to the engine, then close its session. */
static void conn_maybe_close_session(pgw_conn *c)
{
	if (c->state != PGW_CONN_CLOSED || c->pending || c->result || c->session_closed)
		return;
	pgw_simple_clear(c);
	pgw_extended_clear(c);
	c->session_closed = 1;
	if (c->esess)
		c->ops->session_close(c->esess);
	c->esess = NULL;
}

void pgw_conn_destroy(pgw_conn *c)
{
	c->destroyed = 1;
	c->wake = NULL;
	conn_set_closed(c);
	conn_run(c);
	conn_maybe_close_session(c);
	conn_unref(c);
}

/* Enter CLOSED.  A COPY in progress is ended with copy_done(failed) so the
 * engine never sees a session close in the middle of a COPY. */
static void conn_set_closed(pgw_conn *c)
{
	int was_copy = c->state == PGW_CONN_COPY_IN, was_copy_out = c->state == PGW_CONN_COPY_OUT;
	if (c->state == PGW_CONN_CLOSED)
		return;
	c->state = PGW_CONN_CLOSED;
	c->paused = 0;
	if (was_copy)
		pgw_conn_copy_done(c, 1, "connection closed during COPY");
	if (was_copy_out)
		pgw_copy_out_next(c, 1);
}

/* ---- Owner interface -------------------------------------------------- */

void pgw_conn_feed(pgw_conn *c, const char *bytes, size_t len)
{
	if (c->state == PGW_CONN_CLOSED || len == 0)
		return;
	mur_buf_put(&c->in, bytes, len);
	conn_run(c);
}

char *pgw_conn_take_output(pgw_conn *c, size_t *len)
{
	*len = 0;
	if (!mur_buf_ok(&c->out)) { /* a truncated stream is worse than none */
		mur_buf_free(&c->out);
		return NULL;
	}
	if (c->out.len == 0)
		return NULL;
	return mur_buf_steal(&c->out, len);
}

size_t pgw_conn_output_len(const pgw_conn *c) { return c->out.len; }

int pgw_conn_busy(const pgw_conn *c) { return c->state == PGW_CONN_BUSY; }

int pgw_conn_stalled(const pgw_conn *c) { return c->stalled && c->state != PGW_CONN_CLOSED; }

void pgw_conn_process(pgw_conn *c)
{
	if (c->state != PGW_CONN_CLOSED)
		conn_run(c);
}

int pgw_conn_is_closed(const pgw_conn *c) { return c->state == PGW_CONN_CLOSED; }

pgw_conn_state pgw_conn_get_state(const pgw_conn *c) { return c->state; }

int pgw_conn_wants_read(const pgw_conn *c)
{
	size_t unprocessed = c->in.len - c->in_off;
	if (c->state == PGW_CONN_CLOSED || c->paused)
		return 0;
	if ((c->state == PGW_CONN_BUSY || c->state == PGW_CONN_COPY_OUT || c->stalled) &&
	    unprocessed >= PGW_INPUT_PENDING_MAX)
		return 0;
	return 1;
}

uint32_t pgw_session_pid(const pgw_session *ps) { return ps->pid; }

const char *pgw_session_application_name(const pgw_session *ps) { return ps->app; }

const char *pgw_session_timezone(const pgw_session *ps) { return ps->tz; }

const char *pgw_session_datestyle(const pgw_session *ps) { return ps->datestyle; }

void pgw_session_resume_read(pgw_session *ps)
{
	pgw_conn *c = ps;
	c->resume_seen = 1;
	if (!c->paused || c->state == PGW_CONN_CLOSED)
		return;
	c->paused = 0;
	if (c->running)
		return; /* the active conn_run sees paused == 0 */
	c->refs++;
	conn_run(c);
	if (c->wake && !c->destroyed)
		c->wake(c->wake_arg);
	conn_unref(c);
}

void pgw_session_set_keepalive(pgw_session *ps, const pgw_keepalive *ka)
{
	ps->keepalive = *ka;
	ps->keepalive_changed = 1;
}

int pgw_conn_take_keepalive(pgw_conn *c, pgw_keepalive *ka)
{
	if (!c->keepalive_changed)
		return 0;
	c->keepalive_changed = 0;
	*ka = c->keepalive;
	return 1;
}

/* ---- Idle in a transaction block ---------------------------------------- */

uint64_t pgw_conn_idle_timeout_ms(const pgw_conn *c)
{
	char st;
	if ((c->state != PGW_CONN_READY && c->state != PGW_CONN_SKIP) || c->pending || c->result ||
	    c->stalled || c->sq_stmts || !c->esess || !c->ops->txn_status)
		return 0;
	st = c->ops->txn_status(c->esess);
	if (st == 'T' || st == 'E')
		return c->ops->idle_in_txn_timeout_ms ? c->ops->idle_in_txn_timeout_ms(c->esess)
						      : 0;
	return c->ops->idle_session_timeout_ms ? c->ops->idle_session_timeout_ms(c->esess) : 0;
}

void pgw_conn_idle_expired(pgw_conn *c)
{
	int in_block;
	if (pgw_conn_idle_timeout_ms(c) == 0)
		return; /* it had work meanwhile */
	in_block = c->ops->txn_status(c->esess) != 'I';
	MLOG(INFO, "pgwire", "session %u: idle %stoo long: terminating", c->pid,
	     in_block ? "in a transaction block " : "");
	if (in_block)
		pgw_conn_fatalf(c, SQLSTATE_IDLE_IN_TRANSACTION_TIMEOUT,
				"terminating connection due to idle-in-transaction timeout");
	else
		pgw_conn_fatalf(c, SQLSTATE_IDLE_SESSION_TIMEOUT,
				"terminating connection due to idle-session timeout");
	conn_run(c); /* closes the engine session: a block is undone now */
}

/* ---- Terminated by the engine (pg_terminate_backend) ------------------- */

void pgw_session_terminate(pgw_session *ps, const mur_error *err)
{
	pgw_conn *c = ps;
	if (c->state == PGW_CONN_CLOSED || c->running)
		return; /* closing already, or called from inside its own run: never */
	MLOG(INFO, "pgwire", "session %u: terminated: %s", c->pid, err->message);
	c->refs++;
	pgw_conn_fatal(c, err);
	conn_run(c); /* nothing pending: closes the engine session, a block is undone now */
	if (c->wake && !c->destroyed)
		c->wake(c->wake_arg); /* the owner flushes the FATAL and closes */
	conn_unref(c);
}

/* ---- Engine callbacks ------------------------------------------------- */

static void conn_done_cb(void *arg, pgw_result *res)
{
	pgw_conn *c = arg;
	int nested = c->running;
	assert(c->pending && !c->result);
	c->pending = 0;
	if (!res) { /* engine bug: report it instead of hanging the client */
		res = pgw_result_new();
		if (res) {
			mur_error e;
			mur_error_set(&e, SQLSTATE_INTERNAL_ERROR, "engine returned no result");
			pgw_result_set_error(res, &e);
		} else {
			c->wait = PGW_WAIT_NONE;
			pgw_conn_fatalf(c, SQLSTATE_OUT_OF_MEMORY, "out of memory");
		}
	}
	c->result = res;
	if (!nested) {
		conn_run(c);
		if (c->wake && !c->destroyed)
			c->wake(c->wake_arg);
	}
	conn_unref(c); /* the reference taken when the call started */
}

/* Enter BUSY (unless CLOSED) and take the callback's reference. */
static void conn_begin_wait(pgw_conn *c, pgw_wait wait)
{
	assert(!c->pending && !c->result);
	conn_check(c);
	if (c->state != PGW_CONN_CLOSED)
		c->state = PGW_CONN_BUSY;
	c->wait = wait;
	c->pending = 1;
	c->refs++;
}

void pgw_conn_execute(pgw_conn *c, pgw_wait wait, void *estmt, const pgw_bind *b)
{
	conn_begin_wait(c, wait);
	if (b)
		c->ops->execute(c->esess, estmt, b->nparams, b->values, b->lengths, b->nformats,
				b->formats, conn_done_cb, c);
	else
		c->ops->execute(c->esess, estmt, 0, NULL, NULL, 0, NULL, conn_done_cb, c);
}

void pgw_portal_next(pgw_conn *c, pgw_portal *p, int fetch)
{
	void *stream = p->stream;
	p->stream = NULL; /* the engine holds it until it answers */
	c->next_portal = p;
	c->next_fetch = fetch;
	conn_begin_wait(c, PGW_WAIT_PORTAL_NEXT);
	c->ops->portal_next(c->esess, stream, conn_done_cb, c);
}

void pgw_conn_prepare_finish(pgw_conn *c, void *estmt)
{
	conn_begin_wait(c, PGW_WAIT_PARSE);
	c->ops->prepare_finish(c->esess, estmt, conn_done_cb, c);
}

void pgw_conn_query_end(pgw_conn *c, int failed)
{
	conn_begin_wait(c, PGW_WAIT_QUERY_END);
	c->ops->query_end(c->esess, failed, conn_done_cb, c);
}

void pgw_copy_out_next(pgw_conn *c, int stop)
{
	conn_begin_wait(c, c->copy_out_wait);
	c->ops->copy_out_next(c->esess, stop, conn_done_cb, c);
}

void pgw_conn_copy_done(pgw_conn *c, int failed, const char *msg)
{
	conn_begin_wait(c, PGW_WAIT_COPY_DONE);
	c->ops->copy_done(c->esess, failed, msg, conn_done_cb, c);
}

/* Route an arrived result to the part of the protocol that waited for it. */
static void conn_on_result(pgw_conn *c, pgw_result *r)
{
	pgw_wait wait = c->wait;
	c->wait = PGW_WAIT_NONE;
	if (c->state == PGW_CONN_CLOSED) { /* client gone: only free */
		int more = r->kind == PGW_RESULT_COPY_OUT && r->more;
		if (r->kind == PGW_RESULT_ROWS && r->stream) /* a portal's: let it go */
			c->ops->portal_close(c->esess, r->stream);
		c->next_portal = NULL;
		pgw_result_free(r);
		if (more) { /* the engine still holds a COPY TO: end it */
			c->copy_out_wait = wait;
			pgw_copy_out_next(c, 1);
			return;
		}
		if (wait == PGW_WAIT_SIMPLE && c->sq_estmt) {
			c->ops->stmt_free(c->sq_estmt);
			c->sq_estmt = NULL;
		}
		return;
	}
	assert(c->state == PGW_CONN_BUSY);
	c->state = PGW_CONN_READY;
	if (r->kind == PGW_RESULT_COPY_OUT || c->copy_out) {
		pgw_copy_out_result(c, wait, r); /* rows, or the COPY TO's end */
		return;
	}
	if (wait == PGW_WAIT_PORTAL_NEXT) {
		pgw_portal_refilled(c, r);
		return;
	}
	if (wait == PGW_WAIT_CURSOR) {
		pgw_cursor_on_result(c, r);
		return;
	}
	if (r->kind == PGW_RESULT_PORTAL) {
		pgw_cursor_result(c, wait, r);
		return;
	}
	switch (wait) {
	case PGW_WAIT_SIMPLE:
		pgw_simple_on_result(c, r);
		break;
	case PGW_WAIT_EXECUTE:
		pgw_extended_on_result(c, r);
		break;
	case PGW_WAIT_COPY_DONE:
		pgw_copy_on_result(c, r);
		break;
	case PGW_WAIT_PARSE:
		pgw_extended_on_parsed(c, r);
		break;
	case PGW_WAIT_QUERY_END:
		pgw_simple_on_query_end(c, r);
		break;
	default:
		assert(0);
		pgw_result_free(r);
		break;
	}
}

/* ---- Errors and common messages ---------------------------------------- */

void pgw_conn_fatal(pgw_conn *c, const mur_error *err)
{
	if (c->state == PGW_CONN_CLOSED)
		return;
	pgw_put_error(&c->out, "FATAL", err);
	conn_set_closed(c);
}

void pgw_conn_fatalf(pgw_conn *c, const char *sqlstate, const char *fmt, ...)
{
	mur_error e;
	va_list ap;
	va_start(ap, fmt);
	mur_error_setv(&e, sqlstate, fmt, ap);
	va_end(ap);
	pgw_conn_fatal(c, &e);
}

void pgw_conn_put_error(pgw_conn *c, const mur_error *err)
{
	mur_error local;
	if (c->esess && c->ops->localize_error) {
		local = *err;
		c->ops->localize_error(c->esess, &local);
		err = &local;
	}
	pgw_put_error(&c->out, "ERROR", err);
}

void pgw_conn_fail(pgw_conn *c, const mur_error *err)
{
	pgw_conn_put_error(c, err);
	if (c->esess && c->ops->statement_failed)
		c->ops->statement_failed(c->esess);
	if (c->extended) {
		c->state = PGW_CONN_SKIP;
	} else {
		c->sq_failed = 1;
		pgw_simple_finish(c);
	}
}

void pgw_conn_failf(pgw_conn *c, const char *sqlstate, const char *fmt, ...)
{
	mur_error e;
	va_list ap;
	va_start(ap, fmt);
	mur_error_setv(&e, sqlstate, fmt, ap);
	va_end(ap);
	pgw_conn_fail(c, &e);
}

void pgw_conn_oom(pgw_conn *c) { pgw_conn_failf(c, SQLSTATE_OUT_OF_MEMORY, "out of memory"); }

static void put_param(void *arg, const char *name, const char *value)
{
	pgw_conn *c = arg;
	pgw_put_parameter_status(&c->out, name, value);
}

void pgw_conn_ready_for_query(pgw_conn *c)
{
	char st = 'I';
	if (c->esess && c->ops->report_params)
		c->ops->report_params(c->esess, put_param, c);
	if (c->esess && c->ops->txn_status)
		st = c->ops->txn_status(c->esess);
	if (st != 'I' && st != 'T' && st != 'E')
		st = 'I';
	if (st == 'I') /* cursors end with their block (pgw_cursor.c) */
		pgw_extended_drop_portals(c);
	pgw_put_ready_for_query(&c->out, st);
}

void pgw_conn_send_notices(pgw_conn *c, const pgw_result *r)
{
	int n = r->nnotices < PGW_NOTICES_MAX ? r->nnotices : PGW_NOTICES_MAX;
	for (int i = 0; i < n; i++)
		pgw_put_notice(&c->out, &r->notices[i]);
}

/* ---- Startup ------------------------------------------------------------ */

static void conn_send_parameters(pgw_conn *c, const char *user, const char *app)
{
	static const char *const fixed[][2] = {
		{"server_version", "15.0"},    {"server_encoding", "UTF8"},
		{"client_encoding", "UTF8"},   {"DateStyle", "ISO, MDY"},
		{"IntervalStyle", "postgres"}, {"TimeZone", "UTC"},
		{"integer_datetimes", "on"},   {"standard_conforming_strings", "on"},
		{"is_superuser", "on"},
	};
	for (size_t i = 0; i < sizeof fixed / sizeof fixed[0]; i++)
		pgw_put_parameter_status(&c->out, fixed[i][0], fixed[i][1]);
	pgw_put_parameter_status(&c->out, "session_authorization", user);
	pgw_put_parameter_status(&c->out, "application_name", app ? app : "");
}

/* StartupMessage: version check and names.  Returns MUR_OK or an error
 * for a FATAL reply (err filled). */
static int conn_startup_check(const pgw_frame *f, pgw_startup *st, mur_error *err)
{
	uint32_t major = f->code >> 16, minor = f->code & 0xffff;
	if (major != 3)
		return mur_error_set(err, SQLSTATE_FEATURE_NOT_SUPPORTED,
				     "unsupported frontend protocol %u.%u: server supports 3.0 to "
				     "3.0",
				     major, minor);
	if (pgw_startup_decode(f->body, f->body_len, st, err) != MUR_OK)
		return MUR_EPROTO;
	if (!st->user || !st->user[0])
		return mur_error_set(err, SQLSTATE_INVALID_AUTHORIZATION,
				     "no PostgreSQL user name specified in startup packet");
	if (strlen(st->user) >= PGW_NAME_BYTES ||
	    (st->database && strlen(st->database) >= PGW_NAME_BYTES))
		return mur_error_set(err, SQLSTATE_INVALID_AUTHORIZATION,
				     "user or database name longer than %d bytes",
				     PGW_NAME_BYTES - 1);
	return MUR_OK;
}

static void conn_startup_v3(pgw_conn *c, const pgw_frame *f)
{
	pgw_startup st;
	mur_error err;

	mur_error_clear(&err);
	if (conn_startup_check(f, &st, &err) != MUR_OK) {
		pgw_conn_fatal(c, &err);
		return;
	}
	if (c->tls_required && !c->tls_active) { /* PostgreSQL's hostssl lines */
		mur_error_set(&err, SQLSTATE_INVALID_AUTHORIZATION,
			      "TLS required: this server refuses connections without TLS");
		mur_error_hint(&err, "connect with sslmode=require");
		pgw_conn_fatal(c, &err);
		return;
	}
	snprintf(c->user, sizeof c->user, "%s", st.user);
	snprintf(c->db, sizeof c->db, "%s", st.database && st.database[0] ? st.database : st.user);
	snprintf(c->app, sizeof c->app, "%s", st.application_name ? st.application_name : "");
	snprintf(c->tz, sizeof c->tz, "%s", st.timezone ? st.timezone : "");
	snprintf(c->datestyle, sizeof c->datestyle, "%s", st.datestyle ? st.datestyle : "");
	/* 3.x with x > 0, or "_pq_." options: say what we speak (3.0), first. */
	if ((f->code & 0xffff) > 0 || st.noptions > 0)
		pgw_put_negotiate_version(&c->out, 0, st.noptions, st.options);
	pgw_auth_begin(c);
}

void pgw_conn_startup_finish(pgw_conn *c)
{
	mur_error err;
	mur_error_clear(&err);
	/* only now: a client still proving its password stays in the owner's
	 * startup queue, under its startup timeout, and takes no session */
	if (c->admit && !c->admit(c->wake_arg)) {
		pgw_conn_fatalf(c, SQLSTATE_TOO_MANY_CONNECTIONS,
				"sorry, too many clients already");
		return;
	}
	c->esess = c->ops->session_open(c->engine, c, c->user, c->db, &err);
	if (!c->esess) {
		if (!mur_error_is_set(&err))
			mur_error_set(&err, SQLSTATE_INVALID_AUTHORIZATION, "connection refused");
		pgw_conn_fatal(c, &err);
		return;
	}
	pgw_put_auth_ok(&c->out);
	conn_send_parameters(c, c->user, c->app);
	pgw_put_backend_key_data(&c->out, c->pid, c->key);
	c->state = PGW_CONN_READY;
	pgw_conn_ready_for_query(c);
	MLOG(DEBUG, "pgwire", "session %u: user %s database %s", c->pid, c->user, c->db);
}

/* CancelRequest: hand the (pid, key) pair to the owner, who finds the
 * session it names (pgw_conn_cancel), then hang up without a word, as
 * PostgreSQL does whether or not the key matched. */
static void conn_cancel_request(pgw_conn *c, const pgw_frame *f)
{
	mur_rd rd;
	uint32_t pid, key;
	mur_rd_init(&rd, f->body, f->body_len);
	pid = mur_rd_u32(&rd);
	key = mur_rd_u32(&rd);
	if (mur_rd_ok(&rd) && mur_rd_left(&rd) == 0 && c->cancel)
		c->cancel(c->wake_arg, pid, key);
	conn_set_closed(c);
}

/* SSLRequest with TLS on offer: 'S', the last byte in clear; the owner
 * starts TLS (pgw_conn_take_tls_start) before it feeds anything else.
 * Bytes that came after the request in the same read were sent in clear
 * before the client knew the answer: refused, as PostgreSQL does since
 * CVE-2021-23214 (a man in the middle could have injected them). */
static void conn_start_tls(pgw_conn *c)
{
	if (c->in.len > c->in_off) {
		pgw_conn_fatalf(c, SQLSTATE_PROTOCOL_VIOLATION,
				"received unencrypted data after SSL request");
		return;
	}
	mur_buf_put_u8(&c->out, 'S');
	c->tls_start = 1;
}

/* One startup-phase packet; returns 0 when more bytes are needed. */
static int conn_startup(pgw_conn *c)
{
	pgw_frame f;
	mur_error err;
	int rc = pgw_frame_startup(c->in.data + c->in_off, c->in.len - c->in_off, &f, &err);
	if (rc == MUR_EAGAIN)
		return 0;
	if (rc != MUR_OK) {
		pgw_conn_fatal(c, &err);
		return 1;
	}
	c->in_off += f.total;
	if (f.code == PGW_SSL_REQUEST_CODE || f.code == PGW_GSSENC_REQUEST_CODE) {
		int *done = f.code == PGW_SSL_REQUEST_CODE ? &c->ssl_done : &c->gss_done;
		if (*done || f.body_len != 0)
			pgw_conn_fatalf(c, SQLSTATE_PROTOCOL_VIOLATION,
					"invalid encryption request packet");
		else if (f.code == PGW_SSL_REQUEST_CODE && c->tls_offer)
			conn_start_tls(c);
		else
			mur_buf_put_u8(&c->out, 'N'); /* no SSL/GSS: continue in plain text */
		*done = 1;
		return 1;
	}
	if (f.code == PGW_CANCEL_REQUEST_CODE) {
		conn_cancel_request(c, &f);
		return 1;
	}
	conn_startup_v3(c, &f);
	return 1;
}

/* ---- The input loop ----------------------------------------------------- */

static void conn_dispatch(pgw_conn *c, char type, const char *body, size_t len)
{
	if (c->state == PGW_CONN_AUTH) {
		pgw_auth_message(c, type, body, len);
		return;
	}
	if (type == PGW_FE_TERMINATE) { /* also ends a COPY (conn_set_closed) */
		conn_set_closed(c);
		return;
	}
	if (c->state == PGW_CONN_COPY_IN) {
		pgw_copy_message(c, type, body, len);
		return;
	}
	if (c->state == PGW_CONN_SKIP) {
		if (type == PGW_FE_SYNC)
			pgw_extended_sync(c);
		return; /* everything else is discarded until Sync */
	}
	switch (type) {
	case PGW_FE_QUERY:
		pgw_simple_query(c, body, len);
		break;
	case PGW_FE_PARSE:
	case PGW_FE_BIND:
	case PGW_FE_DESCRIBE:
	case PGW_FE_EXECUTE:
	case PGW_FE_CLOSE:
	case PGW_FE_SYNC:
	case PGW_FE_FLUSH:
		pgw_extended_message(c, type, body, len);
		break;
	case PGW_FE_COPY_DATA:
	case PGW_FE_COPY_DONE:
	case PGW_FE_COPY_FAIL:
		break; /* outside COPY: ignored, per the protocol (a COPY failed earlier) */
	case PGW_FE_FUNCTION_CALL:
		c->extended = 0;
		pgw_conn_failf(c, SQLSTATE_FEATURE_NOT_SUPPORTED,
			       "the function call protocol is not supported");
		break;
	default:
		pgw_conn_fatalf(c, SQLSTATE_PROTOCOL_VIOLATION, "unexpected message type '%c'",
				type);
		break;
	}
}

static int conn_next_message(pgw_conn *c)
{
	pgw_frame f;
	mur_error err;
	int rc = pgw_frame_message(c->in.data + c->in_off, c->in.len - c->in_off, &f, &err);
	if (rc == MUR_EAGAIN)
		return 0;
	if (rc != MUR_OK) {
		pgw_conn_fatal(c, &err);
		return 1;
	}
	c->in_off += f.total;
	conn_dispatch(c, f.type, f.body, f.body_len);
	return 1;
}

/* One unit of work; 0 when nothing more can be done until new input, an
 * engine callback or a resume. */
static int conn_step(pgw_conn *c)
{
	if (c->result) {
		pgw_result *r = c->result;
		c->result = NULL;
		conn_on_result(c, r);
		return 1;
	}
	if (c->state == PGW_CONN_CLOSED || c->state == PGW_CONN_BUSY)
		return 0;
	if (c->out.len >= PGW_OUTPUT_PENDING_MAX) { /* the owner must send first */
		c->stalled = 1;
		return 0;
	}
	switch (c->state) {
	case PGW_CONN_CLOSED:
	case PGW_CONN_BUSY:
		return 0;
	case PGW_CONN_STARTUP:
		return conn_startup(c);
	case PGW_CONN_COPY_IN:
		if (c->paused)
			return 0;
		break;
	case PGW_CONN_COPY_OUT:
		pgw_copy_out_next(c, 0);
		return 1;
	case PGW_CONN_READY:
		if (c->sq_stmts) {
			pgw_simple_next(c);
			return 1;
		}
		break;
	case PGW_CONN_SKIP:
	case PGW_CONN_AUTH:
		break;
	}
	return conn_next_message(c);
}

/* Drop processed input; give back the memory of a large message. */
static void conn_compact_input(pgw_conn *c)
{
	size_t left = c->in.len - c->in_off;
	if (c->in_off == 0)
		return;
	if (left == 0 && c->in.cap > PGW_INPUT_PENDING_MAX) {
		mur_buf_free(&c->in);
	} else {
		memmove(c->in.data, c->in.data + c->in_off, left);
		c->in.len = left;
	}
	c->in_off = 0;
}

/* A buffer that failed to grow leaves a stream we cannot continue: close.
 * Returns 1 when it closed the connection (there may be work: a COPY
 * ended by the close). */
static int conn_check_memory(pgw_conn *c)
{
	if (c->state == PGW_CONN_CLOSED || (mur_buf_ok(&c->out) && mur_buf_ok(&c->in)))
		return 0;
	MLOG(WARN, "pgwire", "session %u: out of memory, closing", c->pid);
	conn_set_closed(c);
	return 1;
}

static void conn_run(pgw_conn *c)
{
	if (c->running)
		return;
	c->running = 1;
	c->stalled = 0;
	c->refs++;
	do {
		while (conn_step(c))
			;
	} while (conn_check_memory(c));
	if (c->state == PGW_CONN_CLOSED) {
		c->in_off = c->in.len; /* input after the end is never read */
	}
	conn_compact_input(c);
	conn_maybe_close_session(c);
	conn_check(c);
	c->running = 0;
	conn_unref(c);
}
