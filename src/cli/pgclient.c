/*
 * pgclient.c — blocking PostgreSQL v3 client (see pgclient.h).
 *
 * Flow: connect (non-blocking connect + poll for the timeout) → send
 * StartupMessage → read messages until ReadyForQuery ('Z').  A query sends
 * 'Q' and reads until 'Z', collecting RowDescription/DataRow/CommandComplete
 * into a cli_pg_result and ErrorResponse into a mur_error.  COPY sends 'Q',
 * stops at CopyInResponse ('G'), streams CopyData ('d'), then CopyDone ('c')
 * and reads until 'Z'.
 *
 * Received bytes accumulate in c->in; read_message() returns a pointer to
 * one complete message body inside it, valid until the next read.
 */
#include "cli/pgclient.h"

#include "common/datadir.h"
#include "common/scram.h"

#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <openssl/ssl.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define CLI_PG_PROTOCOL_V3 196608u
#define CLI_PG_SSL_REQUEST 80877103u
#define CLI_PG_COPY_CHUNK_MAX (1u << 20)

static void tls_free(cli_pg *c)
{
	SSL_free(c->ssl);
	SSL_CTX_free(c->ssl_ctx);
	c->ssl = NULL;
	c->ssl_ctx = NULL;
}

static int fail(cli_pg *c, int rc, mur_error *err, const char *fmt, const char *arg)
{
	mur_error_set(err, SQLSTATE_CONNECTION_FAILURE, fmt, arg ? arg : "");
	tls_free(c);
	if (c->fd >= 0) {
		close(c->fd);
		c->fd = -1;
	}
	return rc;
}

/* An SSL_* result r <= 0: the poll event to wait for, or 0 (an error:
 * errno EPROTO, or 0 bytes when the peer closed: *closed). */
static short tls_wait(cli_pg *c, int r, int *closed)
{
	switch (SSL_get_error(c->ssl, r)) {
	case SSL_ERROR_WANT_READ:
		return POLLIN;
	case SSL_ERROR_WANT_WRITE:
		return POLLOUT;
	case SSL_ERROR_ZERO_RETURN:
		*closed = 1;
		return 0;
	default:
		errno = EPROTO;
		return 0;
	}
}

/* Move bytes to or from the server (plaintext or TLS): n > 0 bytes moved;
 * 0 when the server closed; -1 with *wait the event to poll for, or 0 on
 * an error (errno). */
static ssize_t io_move(cli_pg *c, int out, void *p, size_t len, short *wait)
{
	int closed = 0;
	ssize_t n;
	*wait = 0;
	if (c->ssl) {
		int m = len > (size_t)INT32_MAX ? INT32_MAX : (int)len;
		int r = out ? SSL_write(c->ssl, p, m) : SSL_read(c->ssl, p, m);
		if (r > 0)
			return r;
		*wait = tls_wait(c, r, &closed);
		return closed ? 0 : -1;
	}
	n = out ? send(c->fd, p, len, MSG_NOSIGNAL) : recv(c->fd, p, len, 0);
	if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
		*wait = out ? POLLOUT : POLLIN;
	else if (n < 0 && errno == EINTR)
		*wait = out ? POLLOUT : POLLIN;
	return n;
}

static int wait_fd(cli_pg *c, short events)
{
	struct pollfd p = {.fd = c->fd, .events = events};
	int n;
	do {
		n = poll(&p, 1, c->timeout_ms > 0 ? c->timeout_ms : -1);
	} while (n < 0 && errno == EINTR);
	return n; /* 0 = timeout, <0 = error */
}

static int send_all(cli_pg *c, const void *data, size_t len, mur_error *err)
{
	const char *p = data;
	while (len > 0) {
		short wait;
		ssize_t n = io_move(c, 1, (void *)p, len, &wait);
		if (n < 0 && wait) {
			if (wait_fd(c, wait) <= 0)
				return fail(c, MUR_EIO, err, "timed out sending to server%s", "");
			continue;
		}
		if (n <= 0)
			return fail(c, MUR_EIO, err, "could not send to server: %s",
				    strerror(errno));
		p += n;
		len -= (size_t)n;
	}
	return MUR_OK;
}

/* Make at least `need` unconsumed bytes available in c->in. */
static int fill(cli_pg *c, size_t need, mur_error *err)
{
	while (c->in.len - c->in_off < need) {
		if (c->in_off > 0 && c->in_off == c->in.len) {
			c->in.len = 0;
			c->in_off = 0;
		} else if (c->in_off > (1u << 16)) {
			memmove(c->in.data, c->in.data + c->in_off, c->in.len - c->in_off);
			c->in.len -= c->in_off;
			c->in_off = 0;
		}
		if (mur_buf_reserve(&c->in, 1u << 16) != MUR_OK)
			return fail(c, MUR_ENOMEM, err, "out of memory%s", "");
		short wait;
		/* read first: TLS may hold bytes already (the socket then idle) */
		ssize_t n = io_move(c, 0, c->in.data + c->in.len, c->in.cap - c->in.len, &wait);
		if (n < 0 && wait) {
			int w = wait_fd(c, wait);
			if (w == 0)
				return fail(c, MUR_EIO, err, "timed out waiting for the server%s",
					    "");
			if (w < 0)
				return fail(c, MUR_EIO, err, "poll: %s", strerror(errno));
			continue;
		}
		if (n < 0)
			return fail(c, MUR_EIO, err, "could not receive from server: %s",
				    strerror(errno));
		if (n == 0)
			return fail(c, MUR_EIO, err, "server closed the connection unexpectedly%s",
				    "");
		c->in.len += (size_t)n;
	}
	return MUR_OK;
}

/* Read one message: *type, *body (inside c->in), *len (body bytes). */
static int read_message(cli_pg *c, char *type, const char **body, uint32_t *len, mur_error *err)
{
	int rc = fill(c, 5, err);
	if (rc != MUR_OK)
		return rc;
	mur_rd r;
	mur_rd_init(&r, c->in.data + c->in_off, 5);
	*type = (char)mur_rd_u8(&r);
	uint32_t total = mur_rd_u32(&r);
	if (total < 4 || total > CLI_PG_MESSAGE_MAX)
		return fail(c, MUR_EPROTO, err, "invalid message length from server%s", "");
	rc = fill(c, 1 + (size_t)total, err);
	if (rc != MUR_OK)
		return rc;
	*body = c->in.data + c->in_off + 5;
	*len = total - 4;
	c->in_off += 1 + (size_t)total;
	return MUR_OK;
}

/* Parse ErrorResponse fields into err. */
static void parse_error(const char *body, uint32_t len, mur_error *err)
{
	mur_error_set(err, SQLSTATE_INTERNAL_ERROR, "error without message");
	mur_rd r;
	mur_rd_init(&r, body, len);
	for (;;) {
		uint8_t field = mur_rd_u8(&r);
		if (!mur_rd_ok(&r) || field == 0)
			break;
		const char *s = mur_rd_cstr(&r);
		if (!s)
			break;
		if (!err)
			continue;
		switch (field) {
		case 'C':
			snprintf(err->sqlstate, sizeof err->sqlstate, "%s", s);
			break;
		case 'M':
			snprintf(err->message, sizeof err->message, "%s", s);
			break;
		case 'D':
			snprintf(err->detail, sizeof err->detail, "%s", s);
			break;
		case 'H':
			snprintf(err->hint, sizeof err->hint, "%s", s);
			break;
		case 'P':
			err->position = atoi(s);
			break;
		default:
			break;
		}
	}
}

static void result_reset(cli_pg_result *res)
{
	if (!res)
		return;
	cli_pg_result_free(res);
}

static int parse_row_description(cli_pg_result *res, const char *body, uint32_t len)
{
	result_reset(res);
	mur_rd r;
	mur_rd_init(&r, body, len);
	int n = mur_rd_u16(&r);
	res->colnames = calloc((size_t)n + 1, sizeof *res->colnames);
	res->coltypes = calloc((size_t)n + 1, sizeof *res->coltypes);
	if (!res->colnames || !res->coltypes)
		return MUR_ENOMEM;
	res->ncols = n;
	for (int i = 0; i < n; i++) {
		const char *name = mur_rd_cstr(&r);
		(void)mur_rd_u32(&r); /* table oid */
		(void)mur_rd_u16(&r); /* attnum */
		res->coltypes[i] = mur_rd_u32(&r);
		(void)mur_rd_bytes(&r, 2 + 4 + 2); /* typlen, typmod, format */
		res->colnames[i] = strdup(name ? name : "?");
		if (!res->colnames[i])
			return MUR_ENOMEM;
	}
	return mur_rd_ok(&r) ? MUR_OK : MUR_EPROTO;
}

static int parse_data_row(cli_pg_result *res, const char *body, uint32_t len, size_t *cap_rows)
{
	mur_rd r;
	mur_rd_init(&r, body, len);
	int n = mur_rd_u16(&r);
	if (n != res->ncols)
		return MUR_EPROTO;
	if ((size_t)res->nrows + 1 > *cap_rows) {
		size_t cap = *cap_rows ? *cap_rows * 2 : 16;
		char **v = realloc(res->values, cap * (size_t)(n ? n : 1) * sizeof *v);
		if (!v)
			return MUR_ENOMEM;
		res->values = v;
		*cap_rows = cap;
	}
	char **row = res->values + (size_t)res->nrows * (size_t)n;
	for (int i = 0; i < n; i++)
		row[i] = NULL;
	res->nrows++;
	for (int i = 0; i < n; i++) {
		uint32_t flen = mur_rd_u32(&r);
		if (flen == 0xFFFFFFFFu)
			continue;
		const char *p = mur_rd_bytes(&r, flen);
		if (!p)
			return MUR_EPROTO;
		row[i] = strndup(p, flen);
		if (!row[i])
			return MUR_ENOMEM;
	}
	return mur_rd_ok(&r) ? MUR_OK : MUR_EPROTO;
}

/* Read messages until ReadyForQuery.  With stop_at_copy_in, return MUR_OK
 * as soon as CopyInResponse arrives (*in_copy = 1). */
static int read_until_ready(cli_pg *c, cli_pg_result *res, mur_error *err, int stop_at_copy_in,
			    int *in_copy, char *tag, size_t tag_size)
{
	cli_pg_result scratch = {0};
	size_t cap_rows = 0;
	int rc = MUR_OK;
	if (!res)
		res = &scratch;
	for (;;) {
		char type;
		const char *body;
		uint32_t len;
		int io = read_message(c, &type, &body, &len, err);
		if (io != MUR_OK) {
			cli_pg_result_free(&scratch);
			return io;
		}
		int prc = MUR_OK;
		switch (type) {
		case 'T':
			prc = parse_row_description(res, body, len);
			cap_rows = 0;
			break;
		case 'D':
			prc = parse_data_row(res, body, len, &cap_rows);
			break;
		case 'C':
			snprintf(res->tag, sizeof res->tag, "%.*s", (int)(len ? len - 1 : 0), body);
			if (tag)
				snprintf(tag, tag_size, "%s", res->tag);
			break;
		case 'E':
			parse_error(body, len, err);
			rc = MUR_ERR;
			break;
		case 'G':
			if (stop_at_copy_in) {
				*in_copy = 1;
				cli_pg_result_free(&scratch);
				return MUR_OK;
			}
			/* COPY FROM STDIN through cli_pg_query: refuse to send data. */
			mur_buf_reset(&c->out);
			mur_buf_put_u8(&c->out, 'f');
			mur_buf_put_u32(&c->out, 4 + 8);
			mur_buf_put_cstr(&c->out, "no data");
			io = send_all(c, c->out.data, c->out.len, err);
			if (io != MUR_OK)
				return io;
			break;
		case 'Z':
			cli_pg_result_free(&scratch);
			return rc;
		default:
			break; /* N, S, K, I, H, d, c, 1, 2, 3, n, t, s: nothing to keep */
		}
		if (prc != MUR_OK) {
			cli_pg_result_free(&scratch);
			return fail(c, prc, err, "malformed result message from server%s", "");
		}
	}
}

static int connect_socket(cli_pg *c, const char *host, int port, mur_error *err)
{
	char portstr[16];
	struct addrinfo hints = {.ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM}, *ai = NULL;
	snprintf(portstr, sizeof portstr, "%d", port);
	if (getaddrinfo(host, portstr, &hints, &ai) != 0 || !ai)
		return fail(c, MUR_EIO, err, "could not resolve host %s", host);
	c->fd = socket(ai->ai_family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (c->fd < 0) {
		freeaddrinfo(ai);
		return fail(c, MUR_EIO, err, "socket: %s", strerror(errno));
	}
	int r = connect(c->fd, ai->ai_addr, ai->ai_addrlen);
	freeaddrinfo(ai);
	if (r < 0 && errno != EINPROGRESS)
		return fail(c, MUR_EIO, err, "could not connect: %s", strerror(errno));
	if (r < 0) {
		if (wait_fd(c, POLLOUT) <= 0)
			return fail(c, MUR_EIO, err, "timed out connecting%s", "");
		int soerr = 0;
		socklen_t sl = sizeof soerr;
		getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &soerr, &sl);
		if (soerr != 0)
			return fail(c, MUR_EIO, err, "could not connect: %s", strerror(soerr));
	}
	return MUR_OK;
}

/* SSLRequest; on 'S' the TLS handshake (no certificate check: see
 * pgclient.h), on 'N' plaintext goes on. */
static int start_tls(cli_pg *c, mur_error *err)
{
	uint8_t req[8] = {0, 0, 0, 8}, answer;
	ssize_t n;
	req[4] = (uint8_t)(CLI_PG_SSL_REQUEST >> 24);
	req[5] = (uint8_t)(CLI_PG_SSL_REQUEST >> 16);
	req[6] = (uint8_t)(CLI_PG_SSL_REQUEST >> 8);
	req[7] = (uint8_t)CLI_PG_SSL_REQUEST;
	if (send_all(c, req, sizeof req, err) != MUR_OK)
		return MUR_EIO;
	for (;;) { /* one byte, before any TLS: read it alone */
		if (wait_fd(c, POLLIN) <= 0)
			return fail(c, MUR_EIO, err, "timed out waiting for the server%s", "");
		n = recv(c->fd, &answer, 1, 0);
		if (n == 1)
			break;
		if (n < 0 && (errno == EINTR || errno == EAGAIN))
			continue;
		return fail(c, MUR_EIO, err, "server closed the connection unexpectedly%s", "");
	}
	if (answer == 'N')
		return MUR_OK;
	if (answer != 'S')
		return fail(c, MUR_EPROTO, err, "unexpected answer to SSLRequest%s", "");
	if (!(c->ssl_ctx = SSL_CTX_new(TLS_client_method())) ||
	    !SSL_CTX_set_min_proto_version(c->ssl_ctx, TLS1_2_VERSION) ||
	    !(c->ssl = SSL_new(c->ssl_ctx)) || !SSL_set_fd(c->ssl, c->fd))
		return fail(c, MUR_ENOMEM, err, "could not start TLS%s", "");
	SSL_set_verify(c->ssl, SSL_VERIFY_NONE, NULL);
	for (;;) {
		int closed = 0, r = SSL_connect(c->ssl);
		short wait;
		if (r == 1)
			return MUR_OK;
		if (!(wait = tls_wait(c, r, &closed)))
			return fail(c, MUR_EIO, err, "TLS handshake with the server failed%s", "");
		if (wait_fd(c, wait) <= 0)
			return fail(c, MUR_EIO, err, "timed out in the TLS handshake%s", "");
	}
}

/* Send a PasswordMessage-family message ('p'): SASLInitialResponse when
 * mech is given (mechanism, Int32 length, data), SASLResponse otherwise. */
static int send_sasl(cli_pg *c, const char *mech, const char *data, mur_error *err)
{
	size_t n = strlen(data);
	mur_buf *o = &c->out;
	mur_buf_reset(o);
	mur_buf_put_u8(o, 'p');
	mur_buf_put_u32(o, 0);
	if (mech) {
		mur_buf_put_cstr(o, mech);
		mur_buf_put_u32(o, (uint32_t)n);
	}
	mur_buf_put(o, data, n);
	mur_buf_patch_u32(o, 1, (uint32_t)(o->len - 1));
	if (!mur_buf_ok(o))
		return fail(c, MUR_ENOMEM, err, "out of memory%s", "");
	return send_all(c, o->data, o->len, err);
}

/* The password for SCRAM: $MURPHY_PASSWORD, else $PGPASSWORD. */
static const char *client_password(void)
{
	const char *pw = getenv(MUR_PASSWORD_ENV);
	if (!pw || !pw[0])
		pw = getenv("PGPASSWORD");
	return pw && pw[0] ? pw : NULL;
}

/* One Authentication message: SASL (10) starts SCRAM-SHA-256, SASLContinue
 * (11) answers the server's first message, SASLFinal (12) checks the
 * server's signature; 0 (ok) needs nothing.  Any other method: refused. */
static int on_auth(cli_pg *c, mur_scram_client *sc, const char *body, uint32_t len, mur_error *err)
{
	char msg[MUR_SCRAM_MESSAGE_MAX];
	const char *pw = client_password();
	mur_rd r;
	uint32_t method;
	mur_rd_init(&r, body, len);
	method = mur_rd_u32(&r);
	if (method == 0)
		return MUR_OK;
	if (method == 10) {
		if (!pw)
			return fail(c, MUR_EPROTO, err,
				    "the server asks for a password: set %s (or PGPASSWORD)",
				    MUR_PASSWORD_ENV);
		if (mur_scram_client_first(sc, pw, NULL, msg, sizeof msg) != MUR_OK)
			return fail(c, MUR_EPROTO, err, "cannot start SCRAM%s", "");
		return send_sasl(c, MUR_SCRAM_MECHANISM, msg, err);
	}
	if (method == 11) {
		if (mur_scram_client_final(sc, body + 4, len - 4, msg, sizeof msg) != MUR_OK)
			return fail(c, MUR_EPROTO, err, "malformed SCRAM message from the server%s",
				    "");
		return send_sasl(c, NULL, msg, err);
	}
	if (method == 12)
		return mur_scram_client_check(sc, body + 4, len - 4) == MUR_OK
			       ? MUR_OK
			       : fail(c, MUR_EPROTO, err,
				      "the server could not prove it knows the password%s", "");
	return fail(c, MUR_EPROTO, err,
		    "server asks for authentication method %s; only SCRAM-SHA-256 and trust are "
		    "supported",
		    method == 3   ? "cleartext"
		    : method == 5 ? "md5"
				  : "other");
}

int cli_pg_connect(cli_pg *c, const char *host, int port, const char *user, const char *database,
		   int timeout_ms, mur_error *err)
{
	mur_scram_client sc;
	memset(c, 0, sizeof *c);
	c->fd = -1;
	c->timeout_ms = timeout_ms;
	mur_buf_init(&c->in);
	mur_buf_init(&c->out);
	int rc = connect_socket(c, host, port, err);
	if (rc == MUR_OK)
		rc = start_tls(c, err);
	if (rc != MUR_OK)
		return rc;
	mur_buf *o = &c->out;
	mur_buf_put_u32(o, 0);
	mur_buf_put_u32(o, CLI_PG_PROTOCOL_V3);
	mur_buf_put_cstr(o, "user");
	mur_buf_put_cstr(o, user);
	mur_buf_put_cstr(o, "database");
	mur_buf_put_cstr(o, database);
	mur_buf_put_cstr(o, "application_name");
	mur_buf_put_cstr(o, "murphy-cli");
	mur_buf_put_u8(o, 0);
	mur_buf_patch_u32(o, 0, (uint32_t)o->len);
	if (!mur_buf_ok(o))
		return fail(c, MUR_ENOMEM, err, "out of memory%s", "");
	rc = send_all(c, o->data, o->len, err);
	if (rc != MUR_OK)
		return rc;
	for (;;) {
		char type;
		const char *body;
		uint32_t len;
		rc = read_message(c, &type, &body, &len, err);
		if (rc != MUR_OK)
			return rc;
		if (type == 'R') {
			rc = on_auth(c, &sc, body, len, err);
			if (rc != MUR_OK)
				return rc;
		} else if (type == 'E') {
			parse_error(body, len, err);
			tls_free(c);
			close(c->fd);
			c->fd = -1;
			return MUR_ERR;
		} else if (type == 'Z') {
			return MUR_OK;
		}
	}
}

void cli_pg_close(cli_pg *c)
{
	if (c->fd >= 0) {
		static const char terminate[5] = {'X', 0, 0, 0, 4};
		short wait;
		(void)io_move(c, 1, (void *)terminate, sizeof terminate, &wait);
		tls_free(c);
		close(c->fd);
		c->fd = -1;
	}
	mur_buf_free(&c->in);
	mur_buf_free(&c->out);
	c->in_off = 0;
}

static int send_query(cli_pg *c, const char *sql, mur_error *err)
{
	if (c->fd < 0)
		return mur_error_set(err, SQLSTATE_CONNECTION_FAILURE, "not connected"), MUR_EIO;
	size_t n = strlen(sql);
	mur_buf_reset(&c->out);
	mur_buf_put_u8(&c->out, 'Q');
	mur_buf_put_u32(&c->out, (uint32_t)(4 + n + 1));
	mur_buf_put(&c->out, sql, n + 1);
	if (!mur_buf_ok(&c->out))
		return fail(c, MUR_ENOMEM, err, "out of memory%s", "");
	return send_all(c, c->out.data, c->out.len, err);
}

int cli_pg_query(cli_pg *c, const char *sql, cli_pg_result *res, mur_error *err)
{
	if (res)
		memset(res, 0, sizeof *res);
	mur_error_clear(err);
	int rc = send_query(c, sql, err);
	if (rc != MUR_OK)
		return rc;
	return read_until_ready(c, res, err, 0, NULL, NULL, 0);
}

void cli_pg_result_free(cli_pg_result *res)
{
	if (!res)
		return;
	if (res->values) {
		for (size_t i = 0; i < (size_t)res->nrows * (size_t)res->ncols; i++)
			free(res->values[i]);
		free(res->values);
	}
	if (res->colnames) {
		for (int i = 0; i < res->ncols; i++)
			free(res->colnames[i]);
		free(res->colnames);
	}
	free(res->coltypes);
	char tag[sizeof res->tag];
	memcpy(tag, res->tag, sizeof tag);
	memset(res, 0, sizeof *res);
	memcpy(res->tag, tag, sizeof tag);
}

const char *cli_pg_value(const cli_pg_result *res, long r, int k)
{
	if (!res || r < 0 || r >= res->nrows || k < 0 || k >= res->ncols)
		return NULL;
	return res->values[(size_t)r * (size_t)res->ncols + (size_t)k];
}

int cli_pg_copy_begin(cli_pg *c, const char *sql, mur_error *err)
{
	mur_error_clear(err);
	int rc = send_query(c, sql, err);
	if (rc != MUR_OK)
		return rc;
	int in_copy = 0;
	rc = read_until_ready(c, NULL, err, 1, &in_copy, NULL, 0);
	if (rc == MUR_OK && !in_copy)
		return mur_error_set(err, SQLSTATE_PROTOCOL_VIOLATION,
				     "server did not enter COPY mode for: %s", sql);
	return rc;
}

int cli_pg_copy_data(cli_pg *c, const void *data, size_t len, mur_error *err)
{
	if (c->fd < 0)
		return mur_error_set(err, SQLSTATE_CONNECTION_FAILURE, "not connected"), MUR_EIO;
	if (len > CLI_PG_COPY_CHUNK_MAX)
		return mur_error_set(err, SQLSTATE_PROGRAM_LIMIT_EXCEEDED,
				     "CopyData chunk too large");
	char hdr[5];
	hdr[0] = 'd';
	uint32_t n = (uint32_t)(len + 4);
	hdr[1] = (char)(n >> 24);
	hdr[2] = (char)(n >> 16);
	hdr[3] = (char)(n >> 8);
	hdr[4] = (char)n;
	int rc = send_all(c, hdr, sizeof hdr, err);
	if (rc == MUR_OK)
		rc = send_all(c, data, len, err);
	return rc;
}

int cli_pg_copy_end(cli_pg *c, const char *fail_reason, char *tag, size_t tag_size, mur_error *err)
{
	if (c->fd < 0)
		return mur_error_set(err, SQLSTATE_CONNECTION_FAILURE, "not connected"), MUR_EIO;
	mur_buf_reset(&c->out);
	if (fail_reason) {
		mur_buf_put_u8(&c->out, 'f');
		mur_buf_put_u32(&c->out, (uint32_t)(4 + strlen(fail_reason) + 1));
		mur_buf_put_cstr(&c->out, fail_reason);
	} else {
		mur_buf_put_u8(&c->out, 'c');
		mur_buf_put_u32(&c->out, 4);
	}
	int rc = send_all(c, c->out.data, c->out.len, err);
	if (rc != MUR_OK)
		return rc;
	if (tag && tag_size)
		tag[0] = 0;
	return read_until_ready(c, NULL, err, 0, NULL, tag, tag_size);
}
