/*
 * lead_signal.c — pg_cancel_backend(pid) and pg_terminate_backend(pid
 * [, timeout]): one session ends another's statement, or the session
 * itself, by the pid pg_stat_activity shows (BackendKeyData's).
 *
 * PostgreSQL 15's rules (src/backend/storage/ipc/signalfuncs.c):
 *   - a pid no open session has: WARNING "PID %d is not a PostgreSQL
 *     backend process", the answer false;
 *   - a superuser's session only a superuser may signal, another role's
 *     only its own role or a superuser (42501, PostgreSQL 15's words;
 *     murphy keeps no role memberships, so none is a member of
 *     pg_signal_backend);
 *   - otherwise true: the signal is sent.
 * pg_terminate_backend's timeout: negative is 22003 as PostgreSQL 15; 0 (the
 * default) does not wait, as PostgreSQL; a positive one (wait until the
 * session is gone) is refused with 0A000.
 *
 * The call runs inside the leader's SQLite (a catalog query: pgcatalog
 * maps the names to murphy_cancel_backend / murphy_terminate_backend), where
 * ending another session — whose end can finish statements, release
 * locks, start other sessions' work — must not happen.  So the function
 * checks and answers, and queues the signal; a zero timer carries the queue
 * out on the next loop turn (signal_fired), as PostgreSQL's kill()
 * returns before the target acts:
 *   cancel     lead_session_cancel with 57014 "canceling statement due to
 *              user request", exactly as a CancelRequest (lead_cancel.c: a
 *              running or waiting statement fails, a sent write does not);
 *              nothing when the session runs no statement.
 *   terminate  pgw_session_terminate: FATAL 57P01 "terminating connection
 *              due to administrator command", the connection closes and
 *              its open block is undone as when a client disconnects
 *              (lead_txn_session_closed: locks released, writes undone); a
 *              running statement is cancelled first (its answer dropped).
 * A session that signals itself: a cancel fails the calling statement with
 * 57014 at once (PostgreSQL's does so at its next interrupt check); a
 * terminate answers the statement with 57P01 and ends the session on the
 * next turn.  The queue is bounded (LEAD_SIGNALS_MAX): past it the call
 * fails with 53000 rather than forgetting a signal it said it sent.
 */
#include "leader/lead_int.h"

#include "common/log.h"
#include "pgwire/pgw_server.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Signals one loop turn may carry: one per session is all an operator's
 * query over pg_stat_activity sends (PGW_CONNECTIONS_MAX sessions). */
#define LEAD_SIGNALS_MAX (2 * PGW_CONNECTIONS_MAX)

typedef struct lead_signal {
	uint32_t pid;
	int terminate;
} lead_signal;

/* The engine's queue (e->signals), made at the first signal. */
struct lead_signals {
	uv_timer_t timer; /* zero timeout: the next loop turn */
	lead_signal q[LEAD_SIGNALS_MAX];
	int n;
};

static lead_session *session_by_pid(lead_engine *e, uint32_t pid)
{
	for (lead_session *s = e->sessions; s; s = s->next_open)
		if (s->pid == pid && !s->closed)
			return s;
	return NULL;
}

static void send_one(lead_engine *e, const lead_signal *g)
{
	lead_session *s = session_by_pid(e, g->pid);
	mur_error err;
	if (!s)
		return; /* gone meanwhile: PostgreSQL's kill() would find none too */
	MLOG(INFO, "leader", "%s session %u",
	     g->terminate ? "terminating" : "cancelling the statement of", g->pid);
	if (!g->terminate) {
		lead_session_cancel_request(s);
		return;
	}
	mur_error_set(&err, SQLSTATE_ADMIN_SHUTDOWN,
		      "terminating connection due to administrator command");
	s->refs++; /* closing may free it */
	if (s->ps)
		pgw_session_terminate(s->ps, &err); /* idle: closes now, the block undone */
	if (!s->closed)
		lead_session_cancel(s, &err); /* a statement running: end it, then it closes */
	lead_session_unref(s);
}

static void signal_fired(uv_timer_t *t)
{
	lead_engine *e = t->data;
	lead_signals *g = e->signals;
	/* a signal's effects may queue more (a statement ending runs the next
	 * one): take the queue as it is now */
	lead_signal now[LEAD_SIGNALS_MAX];
	int n = g->n;
	memcpy(now, g->q, (size_t)n * sizeof now[0]);
	g->n = 0;
	for (int i = 0; i < n; i++)
		send_one(e, &now[i]);
}

static int signal_queue(lead_engine *e, uint32_t pid, int terminate)
{
	lead_signals *g = e->signals;
	if (!e->loop)
		return MUR_ERR; /* no loop (unit tests): nothing would carry it out */
	if (!g) {
		if (!(g = calloc(1, sizeof *g)))
			return MUR_ERR;
		uv_timer_init(e->loop, &g->timer);
		g->timer.data = e;
		e->signals = g;
	}
	if (g->n >= LEAD_SIGNALS_MAX)
		return MUR_ERR;
	g->q[g->n++] = (lead_signal){.pid = pid, .terminate = terminate};
	uv_timer_start(&g->timer, signal_fired, 0, 0);
	return MUR_OK;
}

static void signals_closed(uv_handle_t *h) { free(h->data); }

void lead_signal_close(lead_engine *e)
{
	lead_signals *g = e->signals;
	if (!g)
		return;
	e->signals = NULL;
	uv_timer_stop(&g->timer);
	g->timer.data = g; /* the callback frees g (its first member is the timer) */
	uv_close((uv_handle_t *)&g->timer, signals_closed);
}

/* ---- the SQL functions ---- */

static void fn_fail(sqlite3_context *ctx, const char *sqlstate, const char *message)
{
	char msg[MUR_ERROR_MESSAGE_MAX + 32];
	snprintf(msg, sizeof msg, "SQLSTATE:%s:%s", sqlstate, message);
	sqlite3_result_error(ctx, msg, -1);
}

/* An integer argument (a parameter comes as text): 1 with *out, or 0
 * after failing the call with 22P02 / 22003 as PostgreSQL's input does. */
static int int_arg(sqlite3_context *ctx, sqlite3_value *v, const char *type, int64_t min,
		   int64_t max, int64_t *out)
{
	char msg[MUR_ERROR_MESSAGE_MAX];
	const char *text;
	char *end;
	long long x;
	if (sqlite3_value_type(v) == SQLITE_INTEGER) {
		x = sqlite3_value_int64(v);
	} else {
		text = (const char *)sqlite3_value_text(v);
		errno = 0;
		x = text ? strtoll(text, &end, 10) : 0;
		if (!text || end == text || *end || errno == ERANGE) {
			snprintf(msg, sizeof msg, "invalid input syntax for type %s: \"%s\"", type,
				 text ? text : "");
			fn_fail(ctx, SQLSTATE_INVALID_TEXT_REPRESENTATION, msg);
			return 0;
		}
	}
	if (x < min || x > max) {
		snprintf(msg, sizeof msg, "value \"%lld\" is out of range for type %s", x, type);
		fn_fail(ctx, SQLSTATE_NUMERIC_VALUE_OUT_OF_RANGE, msg);
		return 0;
	}
	*out = x;
	return 1;
}

/* The WARNING of a pid no session has, on the running statement's answer. */
static void warn_no_backend(lead_engine *e, int64_t pid)
{
	pgw_result *res = e->local_run ? e->local_run->res : NULL;
	if (!res || res->nnotices >= PGW_NOTICES_MAX)
		return;
	pgw_result_add_notice(res, "PID %lld is not a PostgreSQL backend process", (long long)pid);
	if (res->nnotices > 0) /* 0: dropped (out of memory) */
		memcpy(res->notices[res->nnotices - 1].sqlstate, SQLSTATE_WARNING, 6);
}

/* PostgreSQL's pg_signal_backend: the answer for pid, or -1 after failing
 * the call. */
static int signal_backend(sqlite3_context *ctx, int64_t pid, int terminate)
{
	lead_engine *e = sqlite3_user_data(ctx);
	lead_session *me = e->local_session, *s = session_by_pid(e, (uint32_t)pid);
	if (!me) { /* no session's statement runs it: nobody to check the rights of */
		fn_fail(ctx, SQLSTATE_FEATURE_NOT_SUPPORTED,
			terminate ? "pg_terminate_backend() runs only in a catalog query"
				  : "pg_cancel_backend() runs only in a catalog query");
		return -1;
	}
	if (pid <= 0 || pid > UINT32_MAX || !s) {
		warn_no_backend(e, pid);
		return 0;
	}
	if (s->superuser && !me->superuser) {
		fn_fail(ctx, SQLSTATE_INSUFFICIENT_PRIVILEGE,
			terminate ? "must be a superuser to terminate superuser process"
				  : "must be a superuser to cancel superuser query");
		return -1;
	}
	if (!me->superuser && strcmp(me->user, s->user) != 0) {
		fn_fail(ctx, SQLSTATE_INSUFFICIENT_PRIVILEGE,
			terminate ? "must be a member of the role whose process is being "
				    "terminated or member of pg_signal_backend"
				  : "must be a member of the role whose query is being canceled or "
				    "member of pg_signal_backend");
		return -1;
	}
	if (s == me && !terminate) { /* its own statement: this one */
		fn_fail(ctx, SQLSTATE_QUERY_CANCELED, "canceling statement due to user request");
		return -1;
	}
	if (signal_queue(e, s->pid, terminate) != MUR_OK) {
		fn_fail(ctx, SQLSTATE_INSUFFICIENT_RESOURCES,
			"too many signals queued: try again on the next statement");
		return -1;
	}
	if (s == me) {
		fn_fail(ctx, SQLSTATE_ADMIN_SHUTDOWN,
			"terminating connection due to administrator command");
		return -1;
	}
	return 1;
}

static void fn_cancel_backend(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
	int64_t pid;
	int r;
	(void)argc;
	if (sqlite3_value_type(argv[0]) == SQLITE_NULL)
		return sqlite3_result_null(ctx); /* strict, as PostgreSQL's */
	if (!int_arg(ctx, argv[0], "integer", INT32_MIN, INT32_MAX, &pid))
		return;
	if ((r = signal_backend(ctx, pid, 0)) >= 0)
		sqlite3_result_int(ctx, r);
}

static void fn_terminate_backend(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
	int64_t pid, timeout_ms = 0;
	int r;
	if (argc < 1 || argc > 2) {
		fn_fail(ctx, SQLSTATE_UNDEFINED_FUNCTION,
			"function pg_terminate_backend does not exist");
		return;
	}
	for (int i = 0; i < argc; i++)
		if (sqlite3_value_type(argv[i]) == SQLITE_NULL)
			return sqlite3_result_null(ctx);
	if (!int_arg(ctx, argv[0], "integer", INT32_MIN, INT32_MAX, &pid))
		return;
	if (argc == 2 && !int_arg(ctx, argv[1], "bigint", INT64_MIN, INT64_MAX, &timeout_ms))
		return;
	if (timeout_ms < 0) {
		fn_fail(ctx, SQLSTATE_NUMERIC_VALUE_OUT_OF_RANGE,
			"\"timeout\" must not be negative");
		return;
	}
	if (timeout_ms > 0) {
		fn_fail(ctx, SQLSTATE_FEATURE_NOT_SUPPORTED,
			"pg_terminate_backend with a timeout is not supported: call it without "
			"one, then look for the pid in pg_stat_activity");
		return;
	}
	if ((r = signal_backend(ctx, pid, 1)) >= 0)
		sqlite3_result_int(ctx, r);
}

void lead_signal_register(lead_engine *e)
{
	sqlite3_create_function(e->mem, "murphy_cancel_backend", 1, SQLITE_UTF8, e,
				fn_cancel_backend, NULL, NULL);
	sqlite3_create_function(e->mem, "murphy_terminate_backend", -1, SQLITE_UTF8, e,
				fn_terminate_backend, NULL, NULL);
}
