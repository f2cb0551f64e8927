/*
 * pgw_conn_int.h — internals of the connection state machine, shared by
 * pgw_conn.c (lifecycle, input loop, startup, results), pgw_simple.c
 * (Query), pgw_extended.c (Parse/Bind/Describe/Execute/Close/Sync) and
 * pgw_copy.c (COPY FROM STDIN).  Not for use outside src/pgwire.
 *
 * Invariants (asserted by conn_check in pgw_conn.c after every run and
 * before every engine call; assertions stay on in release builds):
 *   1. pending != 0  ⇒  the state is BUSY, or CLOSED (client gone while
 *      the engine works).
 *   2. wait != PGW_WAIT_NONE  ⇔  pending or result != NULL.
 *   3. refs >= pending: the owner holds one reference until
 *      pgw_conn_destroy, each pending engine callback one, an active
 *      conn_run one.
 *   4. in_off <= in.len; bytes before in_off are processed.
 *   5. session_closed  ⇒  CLOSED and nothing pending: session_close is
 *      called at most once, when no engine callback can follow.
 */
#ifndef PGW_CONN_INT_H
#define PGW_CONN_INT_H

#include "pgwire/pgw_binary.h"
#include "pgwire/pgw_codec.h"
#include "pgwire/pgw_conn.h"

/* Prepared statements and portals a session may hold at once: bounds
 * memory for a client that never closes them (JDBC names statements
 * S_1, S_2, ... and closes them; pgbench -M prepared uses a handful). */
#define PGW_STATEMENTS_MAX 10000
#define PGW_PORTALS_MAX 1000
/* application_name kept from the StartupMessage (murphy.transactions):
 * PostgreSQL's NAMEDATALEN, 63 bytes and the NUL; longer names are cut. */
#define PGW_APPLICATION_NAME_BYTES 64
#define PGW_TIMEZONE_BYTES 256 /* a zone name's limit (common/tz.h) + 1 */
/* User and database names of the StartupMessage: NAMEDATALEN too; a
 * longer name is refused (PostgreSQL truncates; a cut user name must not
 * match another role). */
#define PGW_NAME_BYTES 64

/* What the pending engine callback completes. */
typedef enum pgw_wait {
	PGW_WAIT_NONE = 0,
	PGW_WAIT_SIMPLE,      /* execute() of a simple-query statement */
	PGW_WAIT_EXECUTE,     /* execute() of an extended-protocol portal */
	PGW_WAIT_COPY_DONE,   /* copy_done() */
	PGW_WAIT_PARSE,       /* prepare_finish() of an extended-protocol Parse */
	PGW_WAIT_QUERY_END,   /* query_end() of a multi-statement simple query */
	PGW_WAIT_CURSOR,      /* execute() of DECLARE's query or EXECUTE's statement */
	PGW_WAIT_PORTAL_NEXT, /* portal_next() of a streaming portal (pgw_portal_next) */
} pgw_wait;

/* EXECUTE name (args): arguments at most (PostgreSQL's limit on a
 * statement's parameters is 65535; murphy's planner takes 1024). */
#define PGW_EXECUTE_ARGS_MAX 1024

/* A prepared statement.  refs: one for the session's table entry and one
 * per portal built from it; the engine statement is freed at zero. */
typedef struct pgw_stmt {
	struct pgw_stmt *next;
	char *name; /* "" for the unnamed statement */
	void *estmt;
	int refs;
	int in_table;
} pgw_stmt;

/* A portal: a bound statement and, once executed, its result. */
typedef struct pgw_portal {
	struct pgw_portal *next;
	char *name;      /* "" for the unnamed portal */
	pgw_stmt *stmt;  /* holds a reference */
	char *body;      /* copy of the Bind message; bind points into it */
	pgw_bind bind;   /* parameters all in text: binary ones point into params */
	mur_buf params;  /* text form of the parameters sent in binary */
	pgw_result *res; /* NULL until the first Execute completes */
	size_t row_off;  /* next DataRow to send in res->rows */
	uint64_t rows_sent;
	int done; /* CommandComplete has been sent */
	/* A portal that streams (pgw_engine.h portal_stream): res holds the
	 * part being sent; stream (non-NULL) brings the next one. */
	void *stream;
	int streamed;       /* it came from a stream: tags count what was sent */
	uint64_t exec_rows; /* rows sent by the Execute in progress */
} pgw_portal;

struct pgw_session {
	pgw_conn_state state;
	int refs;
	int running;   /* inside conn_run: callbacks only record results */
	int stalled;   /* conn_run stopped at PGW_OUTPUT_PENDING_MAX */
	int destroyed; /* the owner let go: no more wake calls */

	const pgw_engine_ops *ops;
	void *engine;
	void *esess; /* NULL until session_open succeeded */
	int session_closed;
	pgw_conn_wake_cb wake;
	void *wake_arg;
	pgw_conn_admit_cb admit;   /* NULL: admit every valid startup */
	pgw_conn_cancel_cb cancel; /* NULL: a CancelRequest only hangs up */

	mur_buf in; /* received bytes; processed up to in_off */
	size_t in_off;
	mur_buf out; /* bytes to send */

	int pending; /* an engine callback is outstanding */
	pgw_wait wait;
	pgw_result *result; /* arrived, not yet handled */
	int extended;       /* current command is extended protocol: errors → SKIP */

	/* Simple query in progress. */
	char **sq_stmts;
	int sq_n, sq_i;
	int sq_implicit; /* query_begin() was called: query_end() ends the query */
	int sq_failed;   /* a statement of the query failed (for query_end) */
	void *sq_estmt;

	/* Extended protocol. */
	pgw_stmt *stmts;
	int nstmts;
	pgw_portal *portals;
	int nportals;
	pgw_portal *exec_portal; /* portal whose Execute is pending / in COPY */
	pgw_stmt *parse_stmt;    /* statement whose prepare_finish is pending */
	int32_t exec_max_rows;

	/* COPY FROM STDIN. */
	int paused;      /* copy_data() returned 1 */
	int resume_seen; /* pgw_session_resume_read() ran during copy_data() */
	int copy_violated;
	mur_error copy_violation;
	int copy_binary;              /* FORMAT binary: bcopy decodes CopyData */
	uint32_t *copy_oids;          /* its column types (owned) */
	struct pgw_binary_copy bcopy; /* pgw_binary.h */
	mur_buf copy_text;            /* CopyData turned into text lines */

	/* DECLARE / EXECUTE running (pgw_cursor.c). */
	pgw_wait cursor_wait;      /* what the statement waits as (SIMPLE / EXECUTE) */
	pgw_portal *cursor_portal; /* DECLARE: the cursor being filled; NULL: EXECUTE */
	pgw_result *cursor_answer; /* the statement's result, kept for its answer */
	/* FETCH / MOVE in progress over parts of a streaming portal */
	pgw_wait fetch_wait;      /* what the statement waits as (SIMPLE / EXECUTE) */
	pgw_result *fetch_answer; /* its result, growing; NULL: none */
	int fetch_move;
	int64_t fetch_count; /* rows asked for */
	uint64_t fetch_rows; /* rows taken so far */
	char fetch_tag[8];   /* "FETCH" or "MOVE" */

	/* portal_next() in progress (pgw_portal_next) */
	pgw_portal *next_portal;
	int next_fetch; /* 1: for a FETCH / MOVE; 0: for an Execute of the portal */

	/* COPY TO STDOUT (pgw_copy_out.c). */
	int copy_out;           /* CopyOutResponse sent, CopyDone not yet */
	pgw_wait copy_out_wait; /* what the COPY's statement waits as (SIMPLE / EXECUTE) */
	uint64_t copy_out_rows;

	int ssl_done, gss_done;
	int tls_offer;         /* the owner can do TLS: SSLRequest is answered 'S' */
	int tls_required;      /* a StartupMessage without TLS is refused (28000) */
	int tls_start;         /* 'S' sent: the owner must start TLS (pgw_conn_take_tls_start) */
	int tls_active;        /* everything after the 'S' arrives and leaves through TLS */
	pgw_tls_info tls_info; /* the owner's pgw_conn_set_tls_info once the handshake is done */
	char local_addr[64];   /* the server's end of the connection (pgw_conn_set_local_addr); */
	int local_port;        /* "" and 0 when not known */
	char user[PGW_NAME_BYTES]; /* the StartupMessage's user and database */
	char db[PGW_NAME_BYTES];
	struct pgw_scram_server *auth;        /* AUTH: the exchange (pgw_auth.c); else NULL */
	uint32_t pid, key;                    /* BackendKeyData; key random (pgw_conn.c) */
	char app[PGW_APPLICATION_NAME_BYTES]; /* the StartupMessage's application_name */
	char tz[PGW_TIMEZONE_BYTES];          /* and its TimeZone ("": none) */
	char datestyle[64];                   /* and its DateStyle ("": none) */
	int key_ok;                           /* 0: no random key could be made: never cancelled */

	pgw_keepalive keepalive; /* the engine's last pgw_session_set_keepalive */
	int keepalive_changed;   /* not yet taken by the owner */
};

/* pgw_conn.c */
void pgw_conn_fatal(pgw_conn *c, const mur_error *err);
void pgw_conn_fatalf(pgw_conn *c, const char *sqlstate, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* An ErrorResponse (ERROR), through the engine's localize_error. */
void pgw_conn_put_error(pgw_conn *c, const mur_error *err);
/* An ERROR: ErrorResponse, statement_failed(); in the extended protocol
 * go to SKIP, in a simple query end it with ReadyForQuery. */
void pgw_conn_fail(pgw_conn *c, const mur_error *err);
void pgw_conn_failf(pgw_conn *c, const char *sqlstate, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
void pgw_conn_ready_for_query(pgw_conn *c);
void pgw_conn_send_notices(pgw_conn *c, const pgw_result *r);
/* Enter BUSY and call execute()/copy_done(); the result comes back through
 * conn_on_result with c->wait = wait. */
void pgw_conn_execute(pgw_conn *c, pgw_wait wait, void *estmt, const pgw_bind *b);
void pgw_conn_copy_done(pgw_conn *c, int failed, const char *msg);
/* Enter BUSY and call query_end(); the result comes back through
 * pgw_simple_on_query_end. */
void pgw_conn_query_end(pgw_conn *c, int failed);
/* An out-of-memory error for a result whose row buffer failed. */
void pgw_conn_oom(pgw_conn *c);

/* After authentication (or none): open the engine session, AuthenticationOk,
 * ParameterStatus, BackendKeyData, ReadyForQuery; READY. */
void pgw_conn_startup_finish(pgw_conn *c);

/* pgw_auth.c: ask the engine how c->user authenticates and start SCRAM
 * (state AUTH) or finish startup; one message in state AUTH; free the
 * exchange (conn_free). */
void pgw_auth_begin(pgw_conn *c);
void pgw_auth_message(pgw_conn *c, char type, const char *body, size_t len);
void pgw_auth_free(pgw_conn *c);

/* pgw_simple.c */
void pgw_simple_query(pgw_conn *c, const char *body, size_t len);
void pgw_simple_next(pgw_conn *c);
void pgw_simple_on_result(pgw_conn *c, pgw_result *r);
void pgw_simple_finish(pgw_conn *c);
void pgw_simple_clear(pgw_conn *c);
void pgw_simple_on_query_end(pgw_conn *c, pgw_result *r);

/* pgw_extended.c */
void pgw_extended_message(pgw_conn *c, char type, const char *body, size_t len);
void pgw_extended_on_result(pgw_conn *c, pgw_result *r);
void pgw_extended_on_parsed(pgw_conn *c, pgw_result *r);
void pgw_conn_prepare_finish(pgw_conn *c, void *estmt);
void pgw_extended_sync(pgw_conn *c);
void pgw_extended_drop_unnamed(pgw_conn *c);
void pgw_extended_clear(pgw_conn *c);
void pgw_portal_drop(pgw_conn *c, pgw_portal *p);
/* Statements and portals for pgw_cursor.c: find by name; a statement not
 * (yet) in the table (refs 0); add one (the table's reference; on failure
 * the engine statement is freed); take one out of the table; drop a
 * reference; a named portal with no parameters; every portal. */
pgw_stmt *pgw_stmt_find(pgw_conn *c, const char *name);
pgw_stmt *pgw_stmt_new(const char *name, void *estmt);
pgw_stmt *pgw_stmt_add(pgw_conn *c, const char *name, void *estmt);
void pgw_stmt_remove(pgw_conn *c, pgw_stmt *s);
void pgw_stmt_unref(pgw_conn *c, pgw_stmt *s);
pgw_portal *pgw_portal_find(pgw_conn *c, const char *name);
pgw_portal *pgw_portal_open(pgw_conn *c, const char *name, pgw_stmt *s);
void pgw_extended_drop_portals(pgw_conn *c);
/* Size of the DataRow message at p (0 if malformed). */
size_t pgw_datarow_size(const char *p, size_t left);

/* pgw_cursor.c: a PGW_RESULT_PORTAL arrived for wait; the execute() it
 * started (PGW_WAIT_CURSOR) answered. */
void pgw_cursor_result(pgw_conn *c, pgw_wait wait, pgw_result *r);
void pgw_cursor_on_result(pgw_conn *c, pgw_result *r);
/* Send the portal's rows (up to max_rows when > 0, counted in
 * p->exec_rows) and PortalSuspended or CommandComplete; a streaming
 * portal whose part ran out first asks for the next one and goes on
 * when it arrives. */
void pgw_portal_send(pgw_conn *c, pgw_portal *p, int32_t max_rows);
/* Take r's stream into p (a result just stored in p->res). */
void pgw_portal_take_stream(pgw_portal *p, pgw_result *r);
/* Ask the engine for p's next part (p->stream set); fetch: for a FETCH /
 * MOVE (pgw_cursor_fetch_more continues), else for an Execute. */
void pgw_portal_next(pgw_conn *c, pgw_portal *p, int fetch);
/* The part portal_next() asked for arrived (or its error). */
void pgw_portal_refilled(pgw_conn *c, pgw_result *r);
/* pgw_cursor.c: a FETCH / MOVE goes on over p's new part, or ends with err. */
void pgw_cursor_fetch_more(pgw_conn *c, pgw_portal *p);
void pgw_cursor_fetch_failed(pgw_conn *c, const mur_error *err);

/* pgw_copy_out.c: a PGW_RESULT_COPY_OUT arrived for wait; in COPY_OUT ask
 * the engine for the next one (or, stop, end it: the client is gone). */
void pgw_copy_out_result(pgw_conn *c, pgw_wait wait, pgw_result *r);
void pgw_copy_out_next(pgw_conn *c, int stop);
/* Encoders: the header line; and each DataRow of rows[0..len) as one
 * CopyData line, counted in *nrows.  MUR_ERR on a malformed DataRow,
 * MUR_ENOMEM when out could not grow. */
int pgw_copy_out_header(mur_buf *out, const pgw_copy_format *f, uint32_t ncols,
			const pgw_column *cols);
int pgw_copy_out_rows(mur_buf *out, const pgw_copy_format *f, const char *rows, size_t len,
		      uint64_t *nrows);

/* pgw_copy.c */
void pgw_copy_start(pgw_conn *c, const pgw_result *r);
void pgw_copy_message(pgw_conn *c, char type, const char *body, size_t len);
void pgw_copy_on_result(pgw_conn *c, pgw_result *r);
/* Release what a binary COPY holds (at its end and at connection free). */
void pgw_copy_clear(pgw_conn *c);

#endif
