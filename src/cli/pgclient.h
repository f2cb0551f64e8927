/*
 * pgclient.h — a tiny blocking PostgreSQL v3 client for the command line.
 *
 * Enough protocol for `murphy local start` (is the cluster answering SQL?)
 * and `murphy demo` (create tables, COPY a data set): TLS when the server
 * offers it (libpq's sslmode=prefer: SSLRequest first, TLS 1.2 at least,
 * the certificate not verified — SCRAM's proof never gives the password
 * away, and a leader with --tls-required takes the command line's
 * connections too), startup with trust
 * or SCRAM-SHA-256 authentication (the password from $MURPHY_PASSWORD,
 * else $PGPASSWORD; the server's signature checked), simple query, COPY FROM STDIN.  Text format only; one
 * statement's result kept (the last one when a query string holds several).
 *
 * Lifetime: cli_pg_connect → cli_pg_query / cli_pg_copy_… → cli_pg_close.
 * Every call that waits for the server gives up after timeout_ms (0 = wait
 * forever), so a hung server cannot hang the command line.
 *
 * Return codes (mur_rc): MUR_OK; MUR_ERR when the server answered with an
 * ErrorResponse (err holds SQLSTATE, message, position; the connection is
 * still usable); MUR_EIO / MUR_EPROTO when the connection failed or the
 * server broke the protocol (err.message says what; the connection is
 * dead: close it).
 */
#ifndef CLI_PGCLIENT_H
#define CLI_PGCLIENT_H

#include "common/buf.h"
#include "common/error.h"

#include <stddef.h>

/* A message larger than this from the server is a protocol error. */
#define CLI_PG_MESSAGE_MAX (64u * 1024 * 1024)

struct ssl_st;
struct ssl_ctx_st;

typedef struct cli_pg {
	int fd;                     /* -1 when not connected */
	struct ssl_st *ssl;         /* TLS over fd (OpenSSL's SSL), NULL: plaintext */
	struct ssl_ctx_st *ssl_ctx; /* its context */
	int timeout_ms;             /* per wait on the socket; 0 = forever */
	mur_buf in;                 /* bytes received, not yet consumed */
	size_t in_off;              /* start of the unconsumed bytes in `in` */
	mur_buf out;                /* scratch for building messages */
} cli_pg;

/* One statement's outcome.  Values are NUL-terminated strings owned by the
 * result; a SQL NULL is a NULL pointer.  cli_pg_result_free releases all. */
typedef struct cli_pg_result {
	int ncols;
	char **colnames;    /* ncols entries */
	unsigned *coltypes; /* ncols type OIDs */
	long nrows;
	char **values; /* nrows * ncols, row-major */
	char tag[64];  /* CommandComplete tag */
} cli_pg_result;

/* Connect to host:port and complete startup (user, database).
 * On failure c is left closed and err says why. */
int cli_pg_connect(cli_pg *c, const char *host, int port, const char *user, const char *database,
		   int timeout_ms, mur_error *err);
/* Send Terminate and close the socket.  Safe on a closed client. */
void cli_pg_close(cli_pg *c);

/* Run one simple query.  res may be NULL (results discarded); otherwise it
 * is filled (call cli_pg_result_free even on error). */
int cli_pg_query(cli_pg *c, const char *sql, cli_pg_result *res, mur_error *err);
void cli_pg_result_free(cli_pg_result *res);
/* Value of row r, column k, or NULL (SQL NULL or out of range). */
const char *cli_pg_value(const cli_pg_result *res, long r, int k);

/* COPY … FROM STDIN: begin sends the statement and waits for
 * CopyInResponse; data sends one CopyData message (len ≤ 1 MiB);
 * end sends CopyDone (or CopyFail with fail_reason when not NULL) and reads
 * the outcome; tag gets the CommandComplete tag ("COPY 1000"). */
int cli_pg_copy_begin(cli_pg *c, const char *sql, mur_error *err);
int cli_pg_copy_data(cli_pg *c, const void *data, size_t len, mur_error *err);
int cli_pg_copy_end(cli_pg *c, const char *fail_reason, char *tag, size_t tag_size, mur_error *err);

#endif
