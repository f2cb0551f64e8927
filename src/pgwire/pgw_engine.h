/*
 * pgw_engine.h — the contract between the PostgreSQL protocol layer and the
 * database engine behind it.
 *
 * pgwire knows bytes, messages and session state; the engine knows SQL.
 * pgwire calls the engine through pgw_engine_ops; the engine answers with
 * pgw_result values.  The engine never writes to the socket.
 *
 * Execution is asynchronous: execute() and copy_done() take a callback that
 * the engine calls exactly once (possibly before returning) with a result
 * whose ownership passes to pgwire (freed with pgw_result_free).  While a
 * statement is running, pgwire processes no further messages of that
 * session; it keeps them buffered.
 *
 * Rows are pre-encoded by the engine: pgw_result.rows holds complete
 * DataRow messages ('D', int32 length, int16 nfields, fields), so pgwire
 * sends them without copying field by field.  pgw_result_add_row() does
 * that encoding.
 */
#ifndef PGW_ENGINE_H
#define PGW_ENGINE_H

#include "common/buf.h"
#include "common/error.h"

#include <stddef.h>
#include <stdint.h>

typedef struct pgw_session pgw_session;

typedef struct pgw_column {
	char name[64];
	uint32_t type_oid;
	int16_t typlen;
	int32_t typmod;     /* -1 when none */
	uint32_t table_oid; /* the table column it is, else 0 */
	int16_t attnum;
} pgw_column;

typedef enum pgw_result_kind {
	PGW_RESULT_COMMAND = 0, /* CommandComplete only (INSERT, CREATE ...) */
	PGW_RESULT_ROWS = 1,    /* RowDescription, DataRows, CommandComplete */
	PGW_RESULT_ERROR = 2,   /* ErrorResponse */
	PGW_RESULT_COPY_IN = 3, /* CopyInResponse: pgwire enters COPY mode */
	PGW_RESULT_EMPTY = 4,   /* EmptyQueryResponse */
	/* COPY ... TO STDOUT: rows (DataRows, as for ROWS) go out as CopyData
	 * lines in the format `copy`; the first such result is preceded by
	 * CopyOutResponse (and the header line).  more = 1: further rows
	 * follow, asked for with copy_out_next() once the client has taken
	 * what was sent; more = 0: CopyDone and CommandComplete (tag). */
	PGW_RESULT_COPY_OUT = 5,
	/* A statement pgwire carries out on its own portals and prepared
	 * statements (SQL cursors, PREPARE / EXECUTE): `portal` says what;
	 * its answer is the statement's (pgw_cursor.c). */
	PGW_RESULT_PORTAL = 6,
} pgw_result_kind;

/* PGW_RESULT_PORTAL: the SQL statements on portals and statements. */
typedef enum pgw_portal_verb {
	PGW_PORTAL_DECLARE = 1, /* DECLARE name CURSOR FOR sql: a portal running sql */
	PGW_PORTAL_FETCH,       /* FETCH count FROM name */
	PGW_PORTAL_MOVE,        /* MOVE count IN name */
	PGW_PORTAL_CLOSE,       /* CLOSE name | ALL */
	PGW_PORTAL_PREPARE,     /* PREPARE name [(types)] AS sql */
	PGW_PORTAL_EXECUTE,     /* EXECUTE name [(args)] */
	PGW_PORTAL_DEALLOCATE,  /* DEALLOCATE name | ALL */
} pgw_portal_verb;

/* The name as PostgreSQL folds it; "" with all. */
#define PGW_PORTAL_NAME_BYTES 64

typedef struct pgw_portal_op {
	pgw_portal_verb verb;
	char name[PGW_PORTAL_NAME_BYTES];
	int all;       /* CLOSE ALL, DEALLOCATE ALL */
	int64_t count; /* FETCH, MOVE: rows forward (INT64_MAX: ALL) */
	char *sql;     /* DECLARE, PREPARE: the statement's text */
	int nparams;   /* PREPARE: its (types), as OIDs (0: inferred) */
	uint32_t *param_oids;
	int nargs; /* EXECUTE: its arguments, as text (NULL: SQL NULL) */
	char **args;
} pgw_portal_op;

/* Columns FORCE_QUOTE may name (bit i of force_quote: column i):
 * PostgreSQL's MaxTupleAttributeNumber. */
#define PGW_COPY_COLUMNS_MAX 1664

/* How COPY TO writes a row (PostgreSQL's COPY options). */
typedef struct pgw_copy_format {
	int csv;                                       /* FORMAT csv, else text */
	int binary;                                    /* FORMAT binary (PGCOPY tuples) */
	char delimiter;                                /* '\t' text, ',' csv */
	char quote;                                    /* csv */
	char escape;                                   /* csv; the quote by default */
	int header;                                    /* a first line of column names */
	char null_string[16];                          /* "\\N" text, "" csv */
	uint8_t force_quote[PGW_COPY_COLUMNS_MAX / 8]; /* csv: always quote these columns */
} pgw_copy_format;

#define PGW_NOTICES_MAX 8

typedef struct pgw_result {
	pgw_result_kind kind;
	mur_error err;    /* PGW_RESULT_ERROR */
	uint32_t ncols;   /* PGW_RESULT_ROWS */
	pgw_column *cols; /* malloc'd, ncols entries */
	uint64_t nrows;
	mur_buf rows;        /* complete DataRow messages, back to back */
	char tag[64];        /* CommandComplete tag, e.g. "SELECT 3", "INSERT 0 1" */
	uint32_t copy_ncols; /* PGW_RESULT_COPY_IN: number of columns */
	/* PGW_RESULT_COPY_IN of FORMAT binary: copy_oids (malloc'd, copy_ncols
	 * entries) are the columns' type OIDs; pgwire decodes the client's
	 * binary tuples (pgw_binary.h) and passes copy_data() the same rows as
	 * text-format COPY lines (tab, \N, backslash escapes), so the engine
	 * parses one format only. */
	int copy_binary;
	uint32_t *copy_oids;
	/* sent as NoticeResponse (severity NOTICE) before the result: room for
	 * PGW_NOTICES_MAX, malloc'd by the first pgw_result_add_notice (NULL
	 * until then: most answers have none, and ~16 KB zeroed per result
	 * was a third of a TPC-B statement's allocations) */
	int nnotices;
	mur_error *notices;
	pgw_copy_format copy;  /* PGW_RESULT_COPY_OUT */
	int more;              /* PGW_RESULT_COPY_OUT: copy_out_next() brings more rows */
	pgw_portal_op *portal; /* PGW_RESULT_PORTAL: malloc'd, freed with the result */
	/* PGW_RESULT_ROWS of a portal that streams (portal_stream): non-NULL
	 * while more rows may follow, from portal_next(stream); pgwire owns
	 * it until it calls portal_next or portal_close.  Its tag is then
	 * "SELECT": pgwire counts the rows it sends. */
	void *stream;
} pgw_result;

/* malloc + zero; kind COMMAND.  NULL on allocation failure. */
pgw_result *pgw_result_new(void);
void pgw_result_free(pgw_result *r);
/* A pgw_portal_op with its strings (NULL: nothing). */
void pgw_portal_op_free(pgw_portal_op *op);
/* Set the column list (copied) and make the kind PGW_RESULT_ROWS.
 * Returns MUR_OK or MUR_ENOMEM. */
int pgw_result_set_columns(pgw_result *r, uint32_t ncols, const pgw_column *cols);
/* Append one DataRow: vals[i] points at lens[i] bytes of text; lens[i] < 0 means NULL. */
void pgw_result_add_row(pgw_result *r, uint32_t nvals, const char *const *vals,
			const int32_t *lens);
/* Turn r into an error result (keeps notices). */
void pgw_result_set_error(pgw_result *r, const mur_error *err);
void pgw_result_add_notice(pgw_result *r, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

typedef void (*pgw_done_cb)(void *arg, pgw_result *res);
/* One ParameterStatus to send: a reportable setting's name and value. */
typedef void (*pgw_param_cb)(void *arg, const char *name, const char *value);

/* How a user must prove who it is (pgw_engine_ops.auth_lookup). */
typedef enum pgw_auth_method {
	PGW_AUTH_TRUST = 0, /* no proof: the user name is taken as given */
	PGW_AUTH_SCRAM = 1, /* SCRAM-SHA-256 against the user's verifier */
} pgw_auth_method;

/* pgw_engine_ops.describes_as */
enum { PGW_DESCRIBES_SELF = 0, PGW_DESCRIBES_CURSOR = 1, PGW_DESCRIBES_STATEMENT = 2 };

typedef struct pgw_engine_ops {
	/* Optional (without it every user is trusted).  Asked once a
	 * StartupMessage is admitted, before session_open: how user must
	 * authenticate, and for PGW_AUTH_SCRAM its SCRAM-SHA-256 verifier
	 * (common/scram.h) copied into verifier (cap bytes); leave it ""
	 * when the user does not exist, may not log in or has no password:
	 * the exchange then fails as a wrong password does (28P01). */
	pgw_auth_method (*auth_lookup)(void *engine, const char *user, char *verifier, size_t cap);
	/* A client finished startup.  Returns the engine's session object
	 * (NULL refuses the connection with err).  ps is the protocol session,
	 * for pgw_session_resume_read(). */
	void *(*session_open)(void *engine, pgw_session *ps, const char *user, const char *database,
			      mur_error *err);
	/* The client is gone.  Called once, never while a callback is pending
	 * from the engine's point of view: if a statement is still running,
	 * the engine must still call its done callback (pgwire then only frees
	 * the result), and session_close follows once that callback returns.
	 * Before it, pgwire has returned every prepared statement with
	 * stmt_free and ended an open COPY with copy_done(failed = 1). */
	void (*session_close)(void *esess);

	/* Split a simple-query string into statements.  On success *n
	 * statements are returned in *stmts (malloc'd array of malloc'd
	 * strings; free each and the array).  A syntax error returns MUR_ERR
	 * with err (42601, position). */
	int (*split)(void *esess, const char *sql, int *n, char ***stmts, mur_error *err);

	/* Parse, analyze and plan one statement.  param_oids may give types for
	 * the first nparams parameters (0 = let the engine infer).  Returns an
	 * opaque statement, or NULL with err set. */
	void *(*prepare)(void *esess, const char *sql, int nparams, const uint32_t *param_oids,
			 mur_error *err);
	/* Parameter types and result columns of a prepared statement, valid until
	 * stmt_free.  *ncols == 0 means the statement returns no rows (NoData). */
	void (*describe)(void *stmt, int *nparams, const uint32_t **param_oids, int *ncols,
			 const pgw_column **cols);
	void (*stmt_free)(void *stmt);
	/* Optional.  A statement whose rows are another's: FETCH / MOVE of a
	 * cursor (PGW_DESCRIBES_CURSOR) or EXECUTE of a prepared statement
	 * (PGW_DESCRIBES_STATEMENT), whose name it copies to name[cap];
	 * PGW_DESCRIBES_SELF otherwise.  Describe then shows the rows that
	 * statement or cursor gives (its own describe has none). */
	int (*describes_as)(void *stmt, char *name, size_t cap);
	/* Optional.  Finish what prepare() left for later (a long text that
	 * is parsed and planned off the event loop) before the extended
	 * protocol's ParseComplete, so Bind and Describe find the statement
	 * described.  done() is called exactly once, perhaps before this
	 * returns: an ERROR result fails the Parse (the statement is
	 * dropped), any other kind completes it. */
	void (*prepare_finish)(void *esess, void *stmt, pgw_done_cb done, void *arg);

	/* Run a prepared statement.  values[i]/lengths[i] (length -1 = NULL) in
	 * format formats[i] (nformats 0 = all text, 1 = one for all, as in
	 * Bind).  pgwire sends text only (nformats 0): it decodes binary
	 * parameters at Bind (pgw_binary.h).  done() is called exactly once. */
	void (*execute)(void *esess, void *stmt, int nparams, const char *const *values,
			const int32_t *lengths, int nformats, const int16_t *formats,
			pgw_done_cb done, void *arg);

	/* COPY FROM STDIN data after a COPY_IN result.  Returns 0 to keep
	 * reading, or 1 to ask pgwire to stop reading the socket until the
	 * engine calls pgw_session_resume_read(ps). */
	int (*copy_data)(void *esess, const char *data, size_t len);
	/* CopyDone (failed = 0) or CopyFail (failed = 1, msg = client's reason).
	 * done() gets the COPY's final result ("COPY n" or an error). */
	void (*copy_done)(void *esess, int failed, const char *msg, pgw_done_cb done, void *arg);

	/* Required once execute() can answer PGW_RESULT_COPY_OUT with more = 1.
	 * The client took the rows sent so far: produce the next result of
	 * the COPY TO (COPY_OUT again, or an ERROR, which ends it).  stop = 1:
	 * the client is gone; end the COPY and answer anything (freed).
	 * done() is called exactly once.  Rows go out only as fast as the
	 * client reads them: the engine holds one result's rows at a time. */
	void (*copy_out_next)(void *esess, int stop, pgw_done_cb done, void *arg);

	/* Optional, all three or none: portals that stream (a cursor over a
	 * table larger than the leader's memory).  portal_stream(): the next
	 * execute() feeds a portal that hands its rows out a part at a time
	 * (DECLARE's query, an Execute with max rows); the engine may then
	 * answer with the first part's rows and pgw_result.stream set.
	 * portal_next(stream): the next part (ROWS, stream set again while
	 * more may follow, NULL after the last part) or an ERROR (the stream
	 * is over); done() is called exactly once.  portal_close(stream): the
	 * portal is dropped before its end (no done()). */
	void (*portal_stream)(void *esess);
	void (*portal_next)(void *esess, void *stream, pgw_done_cb done, void *arg);
	void (*portal_close)(void *esess, void *stream);
	/* Transaction status for ReadyForQuery: 'I' idle, 'T' in a block, 'E' failed block. */
	char (*txn_status)(void *esess);
	/* Called when a statement failed inside an extended-protocol batch or a
	 * simple query, so the engine can mark an open transaction failed. */
	void (*statement_failed)(void *esess);
	/* Optional.  An ERROR about to be sent: the engine may rewrite what
	 * depends on the session's settings (a timestamptz in its DETAIL in
	 * the session's TimeZone: common/failing_row.h). */
	void (*localize_error)(void *esess, mur_error *err);

	/* Optional.  A CancelRequest with this session's key arrived while a
	 * callback is pending (execute, copy_done or prepare_finish): end the
	 * running statement as soon as possible.  The pending done() is still
	 * called exactly once, now (perhaps before this returns) or later,
	 * with an error (57014) or, when the statement could not be stopped
	 * (a write already sent), with its usual result.  Never called when
	 * nothing is pending or after session_close. */
	void (*cancel)(void *esess);

	/* Optional.  idle_in_transaction_session_timeout: how long the
	 * session may wait for its client's next message inside a transaction
	 * block (txn_status 'T' or 'E') before pgwire ends it, as PostgreSQL
	 * does: FATAL 25P03, the connection closes, session_close follows
	 * (which ends the block).  0: never.  Asked each time the connection
	 * starts waiting for its client inside a block. */
	uint64_t (*idle_in_txn_timeout_ms)(void *esess);
	/* Optional.  idle_session_timeout: the same outside a block
	 * (txn_status 'I'): FATAL 57P05, as PostgreSQL 14+.  0: never. */
	uint64_t (*idle_session_timeout_ms)(void *esess);

	/* Optional, both or neither.  A simple Query with more than one
	 * statement runs them in an implicit transaction block, as
	 * PostgreSQL does ("Multiple Statements in a Simple Query"):
	 * query_begin() before its first statement, query_end() after its
	 * last one or its first error (failed = 1).  The engine commits or
	 * undoes the implicit block it opened (a BEGIN inside makes it a
	 * regular block, which query_end leaves open); done() is called
	 * exactly once, perhaps before query_end returns, with an ERROR
	 * result (sent before ReadyForQuery) or any other kind (nothing
	 * sent but its notices). */
	void (*query_begin)(void *esess);
	void (*query_end)(void *esess, int failed, pgw_done_cb done, void *arg);

	/* Optional.  Before each ReadyForQuery, as PostgreSQL 14 and later
	 * do: put() once for each reportable setting (application_name,
	 * TimeZone, DateStyle …) whose value changed since the client was
	 * last told (a SET, or a ROLLBACK that undid one), sent as
	 * ParameterStatus. */
	void (*report_params)(void *esess, pgw_param_cb put, void *arg);
} pgw_engine_ops;

/* TCP keepalive of a client connection, as PostgreSQL's settings
 * tcp_keepalives_idle / _interval / _count: probes start after idle_s
 * seconds without traffic, one every interval_s, and count unanswered
 * ones declare the peer lost (the connection closes, session_close
 * ends its block).  0 in a field: the operating system's value.
 * user_timeout_ms is tcp_user_timeout (TCP_USER_TIMEOUT): data sent and
 * not acknowledged this long, zero-window probes included, closes the
 * connection; 0: the system's retransmission rules (~15 min). */
typedef struct pgw_keepalive {
	int idle_s;
	int interval_s;
	int count;
	int user_timeout_ms;
} pgw_keepalive;

/* Start reading the socket again after copy_data() returned 1 (may be
 * called from inside copy_data too).  Not after session_close.
 * pgw_session is defined by pgwire (pgw_conn.h: the connection object). */
void pgw_session_resume_read(pgw_session *ps);
/* The process id the client got in BackendKeyData (pg_backend_pid()). */
uint32_t pgw_session_pid(const pgw_session *ps);
/* The application_name of the StartupMessage ("" when none was given). */
const char *pgw_session_application_name(const pgw_session *ps);
/* The TimeZone of the StartupMessage ("" when none was given). */
const char *pgw_session_timezone(const pgw_session *ps);
/* The DateStyle of the StartupMessage, as sent ("" when none was given). */
const char *pgw_session_datestyle(const pgw_session *ps);
/* What pg_stat_ssl shows of a TLS connection (OpenSSL's static strings). */
typedef struct pgw_tls_info {
	const char *version; /* "TLSv1.3" */
	const char *cipher;  /* "TLS_AES_256_GCM_SHA384" */
	int bits;
	/* SCRAM-SHA-256-PLUS's channel binding data (tls-server-end-point,
	 * RFC 5929): the hash of the server's certificate; 0 bytes: none */
	unsigned char cert_hash[64];
	int cert_hash_len;
} pgw_tls_info;
/* 1 with *info when the session's connection is TLS, else 0. */
int pgw_session_tls(const pgw_session *ps, pgw_tls_info *info);
/* The server's address (text, as inet_server_addr() prints it) and port
 * of the session's connection: 1, or 0 when not known. */
int pgw_session_local_addr(const pgw_session *ps, const char **addr, int *port);

/* End the session as PostgreSQL's pg_terminate_backend does: err goes out
 * as FATAL and the connection closes.  With nothing pending,
 * session_close is called before this returns; with a statement running,
 * once its done() was called (the engine should end it: cancel) — its
 * result is dropped.  Call it from the loop, never from inside one of this
 * session's own engine callbacks; nothing happens on a closed session. */
void pgw_session_terminate(pgw_session *ps, const mur_error *err);

/* Change the connection's TCP keepalive (SET tcp_keepalives_idle …); the
 * owner applies it to the socket on its next sync.  Not after
 * session_close. */
void pgw_session_set_keepalive(pgw_session *ps, const pgw_keepalive *ka);

#endif
