/*
 * test_pgwire_conn.c — drive the sans-IO pgw_conn with byte sequences and
 * the toy engine (test_pgwire_toy.h); assert the exact backend messages.
 * Run under ASan/UBSan to check the disconnect-while-pending paths.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "pgwire/pgw_binary.h"
#include "pgwire/pgw_codec.h"
#include "pgwire/pgw_conn.h"
#include "test_pgwire_toy.h"

/* R, 11 × ParameterStatus, K, Z */
#define HANDSHAKE "RSSSSSSSSSSSKZ"

typedef struct fixture {
	toy_engine e;
	pgw_conn *c;
	mur_buf in;
	be_msgs out;
	int wakes;
	int admits;     /* calls of admit() */
	int admit_room; /* admit() says yes while > 0, taking one each time */
} fixture;

static void wake(void *arg) { ((fixture *)arg)->wakes++; }

static int admit(void *arg)
{
	fixture *f = arg;
	f->admits++;
	return f->admit_room-- > 0;
}

static int setup(void **state)
{
	fixture *f = calloc(1, sizeof *f);
	assert_int_equal(pgw_conn_create(&toy_ops, &f->e, wake, f, &f->c), MUR_OK);
	mur_buf_init(&f->in);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	fixture *f = *state;
	if (f->c)
		pgw_conn_destroy(f->c);
	toy_complete(&f->e); /* a test may leave an async result pending */
	assert_int_equal(f->e.sessions_closed, f->e.sessions_open);
	assert_int_equal(f->e.stmts_live, 0);
	be_free(&f->out);
	mur_buf_free(&f->in);
	free(f);
	return 0;
}

/* Feed f->in (in chunks of `chunk` bytes, 0 = all at once), then split the output. */
static const char *feed_chunked(fixture *f, size_t chunk)
{
	size_t len;
	char *data;
	if (chunk == 0)
		chunk = f->in.len ? f->in.len : 1;
	for (size_t off = 0; off < f->in.len; off += chunk)
		pgw_conn_feed(f->c, f->in.data + off,
			      f->in.len - off < chunk ? f->in.len - off : chunk);
	mur_buf_reset(&f->in);
	be_free(&f->out);
	data = pgw_conn_take_output(f->c, &len);
	assert_false(pgw_conn_stalled(f->c)); /* tests with big output use take_all */
	be_split(&f->out, data, len);
	assert_false(f->out.bad);
	return f->out.types;
}

static const char *feed(fixture *f) { return feed_chunked(f, 0); }

/* Output produced without feeding (after an async completion). */
static const char *drain(fixture *f)
{
	size_t len;
	char *data = pgw_conn_take_output(f->c, &len);
	be_free(&f->out);
	be_split(&f->out, data, len);
	return f->out.types;
}

static void startup(fixture *f)
{
	fe_startup(&f->in, "alice", "shop");
	assert_string_equal(feed(f), HANDSHAKE);
}

static const char *field(fixture *f, int i, char code)
{
	const char *v = be_error_field(&f->out, i, code);
	assert_non_null(v);
	return v;
}

static const char *cell(fixture *f, int i, int j)
{
	static char buf[64];
	const char *v = be_datarow_field(&f->out, i, j, buf, sizeof buf);
	assert_non_null(v);
	return v;
}

static const char *body_str(fixture *f, int i) { return f->out.body[i]; }

/* ---- Startup ---------------------------------------------------------------- */

static void test_startup(void **state)
{
	fixture *f = *state;
	fe_startup(&f->in, "alice", "shop");
	assert_string_equal(feed(f), HANDSHAKE);
	assert_int_equal(f->e.sessions_open, 1);
	assert_string_equal(f->e.user, "alice");
	assert_string_equal(f->e.database, "shop");
	assert_ptr_equal(f->e.ps, f->c);
	assert_memory_equal(f->out.body[0], "\0\0\0\0", 4);
	/* ParameterStatus values clients check */
	assert_string_equal(body_str(f, 1), "server_version");
	assert_string_equal(body_str(f, 1) + 15, "15.0");
	int seen = 0;
	for (int i = 1; i <= 11; i++) {
		const char *name = body_str(f, i), *value = name + strlen(name) + 1;
		if (!strcmp(name, "DateStyle"))
			seen++, assert_string_equal(value, "ISO, MDY");
		if (!strcmp(name, "integer_datetimes"))
			seen++, assert_string_equal(value, "on");
		if (!strcmp(name, "session_authorization"))
			seen++, assert_string_equal(value, "alice");
		if (!strcmp(name, "application_name"))
			seen++, assert_string_equal(value, "toytest");
		if (!strcmp(name, "client_encoding"))
			seen++, assert_string_equal(value, "UTF8");
	}
	assert_int_equal(seen, 5);
	assert_int_equal(f->out.len[12], 8); /* BackendKeyData */
	assert_memory_equal(f->out.body[13], "I", 1);
	assert_int_equal(pgw_conn_get_state(f->c), PGW_CONN_READY);
}

static void test_startup_byte_by_byte(void **state)
{
	fixture *f = *state;
	fe_startup(&f->in, "bob", NULL);
	fe_query(&f->in, "select 1");
	assert_string_equal(feed_chunked(f, 1), HANDSHAKE "TDCZ");
	assert_string_equal(f->e.database, "bob"); /* database defaults to the user */
}

static void test_ssl_and_gss_refused(void **state)
{
	fixture *f = *state;
	size_t len;
	char *data;
	fe_request(&f->in, PGW_SSL_REQUEST_CODE);
	pgw_conn_feed(f->c, f->in.data, f->in.len);
	mur_buf_reset(&f->in);
	data = pgw_conn_take_output(f->c, &len);
	assert_int_equal(len, 1);
	assert_int_equal(data[0], 'N');
	free(data);
	fe_request(&f->in, PGW_GSSENC_REQUEST_CODE);
	pgw_conn_feed(f->c, f->in.data, f->in.len);
	mur_buf_reset(&f->in);
	data = pgw_conn_take_output(f->c, &len);
	assert_int_equal(len, 1);
	assert_int_equal(data[0], 'N');
	free(data);
	startup(f);
}

/* TLS on offer: 'S' is the last byte in clear and the owner is told once;
 * cleartext behind the request is refused; --tls-required refuses a
 * startup that did not come through TLS. */
static void test_ssl_offered(void **state)
{
	fixture *f = *state;
	size_t len;
	char *data;
	pgw_conn_set_tls(f->c, 1, 1);
	fe_request(&f->in, PGW_SSL_REQUEST_CODE);
	pgw_conn_feed(f->c, f->in.data, f->in.len);
	mur_buf_reset(&f->in);
	data = pgw_conn_take_output(f->c, &len);
	assert_int_equal(len, 1);
	assert_int_equal(data[0], 'S');
	free(data);
	pgw_tls_info info = {.version = "TLSv1.3", .cipher = "TLS_AES_128_GCM_SHA256", .bits = 128},
		     got;
	assert_int_equal(pgw_session_tls(f->c, &got), 0);
	assert_int_equal(pgw_conn_take_tls_start(f->c), 1);
	assert_int_equal(pgw_conn_take_tls_start(f->c), 0);
	pgw_conn_set_tls_info(f->c, &info);
	assert_int_equal(pgw_session_tls(f->c, &got), 1);
	assert_string_equal(got.version, "TLSv1.3");
	assert_int_equal(got.bits, 128);
	startup(f); /* what the owner decrypted */
}

static void test_ssl_cleartext_after_request_refused(void **state)
{
	fixture *f = *state;
	pgw_conn_set_tls(f->c, 1, 0);
	fe_request(&f->in, PGW_SSL_REQUEST_CODE);
	fe_startup(&f->in, "alice", "shop");
	assert_string_equal(feed(f), "E");
	assert_string_equal(field(f, 0, 'C'), "08P01");
	assert_non_null(strstr(field(f, 0, 'M'), "unencrypted data after SSL request"));
	assert_int_equal(pgw_conn_take_tls_start(f->c), 0);
	assert_true(pgw_conn_is_closed(f->c));
}

static void test_tls_required_refuses_cleartext(void **state)
{
	fixture *f = *state;
	pgw_conn_set_tls(f->c, 1, 1);
	fe_startup(&f->in, "alice", "shop");
	assert_string_equal(feed(f), "E");
	assert_string_equal(field(f, 0, 'C'), "28000");
	assert_non_null(strstr(field(f, 0, 'M'), "TLS required"));
	assert_int_equal(f->e.sessions_open, 0);
	assert_true(pgw_conn_is_closed(f->c));
}

static void test_cancel_request_closes(void **state)
{
	fixture *f = *state;
	mur_buf_put_u32(&f->in, 16);
	mur_buf_put_u32(&f->in, PGW_CANCEL_REQUEST_CODE);
	mur_buf_put_u32(&f->in, 1234);
	mur_buf_put_u32(&f->in, 5678);
	assert_string_equal(feed(f), "");
	assert_true(pgw_conn_is_closed(f->c));
	assert_int_equal(f->e.sessions_open, 0);
}

/* The key of BackendKeyData (message 12 of the handshake). */
static void backend_key(fixture *f, uint32_t *pid, uint32_t *key)
{
	const unsigned char *b = (const unsigned char *)body_str(f, 12);
	assert_int_equal(f->out.types[12], 'K');
	*pid = (uint32_t)b[0] << 24 | (uint32_t)b[1] << 16 | (uint32_t)b[2] << 8 | b[3];
	*key = (uint32_t)b[4] << 24 | (uint32_t)b[5] << 16 | (uint32_t)b[6] << 8 | b[7];
}

typedef struct cancel_seen {
	int calls;
	uint32_t pid, key;
} cancel_seen;

static void on_cancel(void *arg, uint32_t pid, uint32_t key)
{
	cancel_seen *cs = arg;
	cs->calls++;
	cs->pid = pid;
	cs->key = key;
}

/* A CancelRequest hands its (pid, key) to the owner's callback, then the
 * connection closes without an answer and without a session. */
static void test_cancel_request_goes_to_owner(void **state)
{
	fixture *f = *state;
	cancel_seen cs = {0};
	pgw_conn *c;
	assert_int_equal(pgw_conn_create(&toy_ops, &f->e, NULL, &cs, &c), MUR_OK);
	pgw_conn_set_cancel(c, on_cancel);
	mur_buf_put_u32(&f->in, 16);
	mur_buf_put_u32(&f->in, PGW_CANCEL_REQUEST_CODE);
	mur_buf_put_u32(&f->in, 1234);
	mur_buf_put_u32(&f->in, 0x89abcdefu);
	pgw_conn_feed(c, f->in.data, f->in.len);
	mur_buf_reset(&f->in);
	assert_int_equal(cs.calls, 1);
	assert_int_equal(cs.pid, 1234);
	assert_int_equal(cs.key, 0x89abcdefu);
	assert_int_equal(pgw_conn_output_len(c), 0);
	assert_true(pgw_conn_is_closed(c));
	pgw_conn_destroy(c);
	assert_int_equal(f->e.sessions_open, 0);
}

/* The right (pid, key) cancels the running statement: its error ends
 * the simple query (the statement after it does not run) and the session
 * goes on.  A wrong key, or a cancel while idle, does nothing. */
static void test_cancel_running_statement(void **state)
{
	fixture *f = *state;
	uint32_t pid, key;
	startup(f);
	backend_key(f, &pid, &key);
	assert_int_equal(pgw_conn_cancel(f->c, pid, key), 1); /* idle: matched, nothing runs */
	assert_int_equal(f->e.cancels, 0);
	fe_query(&f->in, "async select 2; select 1");
	assert_string_equal(feed(f), "");
	assert_int_equal(pgw_conn_cancel(f->c, pid, key ^ 1u), 0);
	assert_int_equal(pgw_conn_cancel(f->c, pid + 1, key), 0);
	assert_int_equal(f->e.cancels, 0);
	assert_int_equal(pgw_conn_get_state(f->c), PGW_CONN_BUSY);
	f->wakes = 0;
	assert_int_equal(pgw_conn_cancel(f->c, pid, key), 1);
	assert_int_equal(f->e.cancels, 1);
	assert_int_equal(f->wakes, 1);
	assert_string_equal(drain(f), "EZ");
	assert_string_equal(field(f, 0, 'C'), SQLSTATE_QUERY_CANCELED);
	fe_query(&f->in, "select 1");
	assert_string_equal(feed(f), "TDCZ");
}

/* Keys are random, not derived from the pid or the time: two sessions
 * opened one after the other get unrelated keys (equal with probability
 * 2^-32; the old clock-and-address key gave neighbours close values). */
static void test_cancel_keys_differ(void **state)
{
	fixture *f = *state;
	fixture g;
	uint32_t pid1, key1, pid2, key2;
	startup(f);
	backend_key(f, &pid1, &key1);
	memset(&g, 0, sizeof g);
	assert_int_equal(pgw_conn_create(&toy_ops, &f->e, wake, &g, &g.c), MUR_OK);
	fe_startup(&g.in, "bob", "shop");
	assert_string_equal(feed(&g), HANDSHAKE);
	backend_key(&g, &pid2, &key2);
	assert_int_not_equal(pid1, pid2);
	assert_int_not_equal(key1, key2);
	assert_int_equal(pgw_conn_cancel(f->c, pid2, key2), 0); /* another session's key */
	pgw_conn_destroy(g.c);
	be_free(&g.out);
	mur_buf_free(&g.in);
}

/* The owner's admit callback runs once per valid StartupMessage, after the
 * checks and before the engine session: refused, the client gets FATAL
 * 53300 and no session. */
static void test_admit(void **state)
{
	fixture *f = *state;
	pgw_conn_set_admit(f->c, admit);
	f->admit_room = 1;
	fe_startup(&f->in, "alice", "db");
	assert_string_equal(feed(f), HANDSHAKE);
	assert_int_equal(f->admits, 1);
	pgw_conn_destroy(f->c);

	pgw_conn_create(&toy_ops, &f->e, wake, f, &f->c);
	pgw_conn_set_admit(f->c, admit);
	fe_startup(&f->in, NULL, "db"); /* invalid: refused before admission */
	assert_string_equal(feed(f), "E");
	assert_string_equal(field(f, 0, 'C'), "28000");
	assert_int_equal(f->admits, 1);
	pgw_conn_destroy(f->c);

	pgw_conn_create(&toy_ops, &f->e, wake, f, &f->c);
	pgw_conn_set_admit(f->c, admit);
	fe_startup(&f->in, "bob", "db"); /* no room left */
	assert_string_equal(feed(f), "E");
	assert_string_equal(field(f, 0, 'S'), "FATAL");
	assert_string_equal(field(f, 0, 'C'), "53300");
	assert_string_equal(field(f, 0, 'M'), "sorry, too many clients already");
	assert_true(pgw_conn_is_closed(f->c));
	assert_int_equal(f->admits, 2);
	assert_int_equal(f->e.sessions_open, 1); /* alice's only */
}

static void test_bad_versions(void **state)
{
	fixture *f = *state;
	fe_startup_version(&f->in, 2u << 16, "alice", "db");
	assert_string_equal(feed(f), "E");
	assert_string_equal(field(f, 0, 'S'), "FATAL");
	assert_string_equal(field(f, 0, 'C'), "0A000");
	assert_true(pgw_conn_is_closed(f->c));
	assert_int_equal(f->e.sessions_open, 0);
}

static void test_minor_version_negotiated(void **state)
{
	fixture *f = *state;
	fe_startup_version(&f->in, (3u << 16) | 2, "alice", "db");
	assert_string_equal(feed(f), "v" HANDSHAKE);
	assert_memory_equal(f->out.body[0], "\0\0\0\0\0\0\0\0", 8);
}

static void test_startup_errors(void **state)
{
	fixture *f = *state;
	fe_startup(&f->in, NULL, "db"); /* no user */
	assert_string_equal(feed(f), "E");
	assert_string_equal(field(f, 0, 'C'), "28000");
	assert_true(pgw_conn_is_closed(f->c));
	pgw_conn_destroy(f->c);

	pgw_conn_create(&toy_ops, &f->e, wake, f, &f->c);
	mur_buf_put_u32(&f->in, 20000); /* startup packet too long */
	mur_buf_put_u32(&f->in, 3u << 16);
	assert_string_equal(feed(f), "E");
	assert_string_equal(field(f, 0, 'C'), "08P01");
	assert_true(pgw_conn_is_closed(f->c));
	pgw_conn_destroy(f->c);

	pgw_conn_create(&toy_ops, &f->e, wake, f, &f->c);
	f->e.refuse = 1;
	fe_startup(&f->in, "alice", "nope");
	assert_string_equal(feed(f), "E");
	assert_string_equal(field(f, 0, 'C'), "3D000");
	assert_string_equal(field(f, 0, 'S'), "FATAL");
	assert_true(pgw_conn_is_closed(f->c));
}

/* ---- Simple query ------------------------------------------------------------ */

static void test_simple_several(void **state)
{
	fixture *f = *state;
	startup(f);
	fe_query(&f->in, "select 2; begin; select 0;");
	assert_string_equal(feed(f), "TDDCCTCZ");
	assert_string_equal(cell(f, 1, 0), "1");
	assert_string_equal(cell(f, 2, 0), "2");
	assert_string_equal(body_str(f, 3), "SELECT 2");
	assert_string_equal(body_str(f, 4), "BEGIN");
	assert_string_equal(body_str(f, 6), "SELECT 0");
	assert_memory_equal(f->out.body[7], "T", 1);
}

static void test_simple_error_stops(void **state)
{
	fixture *f = *state;
	startup(f);
	fe_query(&f->in, "select 1; bad; select 2");
	assert_string_equal(feed(f), "TDCEZ");
	assert_string_equal(field(f, 3, 'S'), "ERROR");
	assert_string_equal(field(f, 3, 'C'), "42P01");
	assert_int_equal(f->e.failed_calls, 1);
	/* prepare errors carry a position */
	fe_query(&f->in, "syntax oops");
	assert_string_equal(feed(f), "EZ");
	assert_string_equal(field(f, 0, 'C'), "42601");
	assert_string_equal(field(f, 0, 'P'), "1");
	fe_query(&f->in, "splitfail");
	assert_string_equal(feed(f), "EZ");
	/* failed transaction block shows in ReadyForQuery */
	fe_query(&f->in, "begin; bad");
	assert_string_equal(feed(f), "CEZ");
	assert_memory_equal(f->out.body[2], "E", 1);
	assert_int_equal(pgw_conn_get_state(f->c), PGW_CONN_READY);
}

/* A Query of several statements is bracketed by query_begin / query_end
 * (the engine's implicit block); one statement is not. */
static void test_simple_implicit_block_hooks(void **state)
{
	fixture *f = *state;
	startup(f);
	fe_query(&f->in, "select 1");
	assert_string_equal(feed(f), "TDCZ");
	assert_int_equal(f->e.query_begins, 0);
	assert_int_equal(f->e.query_ends, 0);
	fe_query(&f->in, "select 1; select 2");
	assert_string_equal(feed(f), "TDCTDDCZ");
	assert_int_equal(f->e.query_begins, 1);
	assert_int_equal(f->e.query_ends, 1);
	assert_int_equal(f->e.query_end_failed, 0);
	/* an error ends the Query: query_end(failed), then ReadyForQuery */
	fe_query(&f->in, "select 1; bad; select 2");
	assert_string_equal(feed(f), "TDCEZ");
	assert_int_equal(f->e.query_ends, 2);
	assert_int_equal(f->e.query_end_failed, 1);
	/* the implicit block's end can fail: its error before ReadyForQuery */
	f->e.query_end_refuses = 1;
	fe_query(&f->in, "select 1; select 2");
	assert_string_equal(feed(f), "TDCTDDCEZ");
	assert_string_equal(field(f, 7, 'C'), "40003");
	assert_int_equal(pgw_conn_get_state(f->c), PGW_CONN_READY);
}

/* idle_in_transaction_session_timeout: asked only while the connection
 * waits for its client inside a block; expiry is FATAL 25P03 and the
 * session closes. */
static void test_idle_in_transaction_timeout(void **state)
{
	fixture *f = *state;
	startup(f);
	f->e.idle_ms = 500;
	assert_int_equal(pgw_conn_idle_timeout_ms(f->c), 0); /* not in a block */
	pgw_conn_idle_expired(f->c);
	assert_false(pgw_conn_is_closed(f->c));
	fe_query(&f->in, "begin");
	assert_string_equal(feed(f), "CZ");
	assert_int_equal(pgw_conn_idle_timeout_ms(f->c), 500);
	fe_query(&f->in, "bad");
	assert_string_equal(feed(f), "EZ");
	assert_int_equal(pgw_conn_idle_timeout_ms(f->c), 500); /* a failed block too */
	pgw_conn_idle_expired(f->c);
	assert_string_equal(drain(f), "E");
	assert_string_equal(field(f, 0, 'S'), "FATAL");
	assert_string_equal(field(f, 0, 'C'), "25P03");
	assert_string_equal(field(f, 0, 'M'),
			    "terminating connection due to idle-in-transaction timeout");
	assert_true(pgw_conn_is_closed(f->c));
	assert_int_equal(f->e.sessions_closed, 1);
	assert_int_equal(pgw_conn_idle_timeout_ms(f->c), 0);
}

/* pg_terminate_backend's end of a session (pgw_session_terminate): idle,
 * FATAL 57P01 and session_close at once; with a statement running, FATAL
 * at once, the statement's answer dropped, session_close after it. */
static void test_terminate(void **state)
{
	fixture *f = *state;
	mur_error err;
	mur_error_set(&err, SQLSTATE_ADMIN_SHUTDOWN,
		      "terminating connection due to administrator command");
	startup(f);
	f->wakes = 0;
	pgw_session_terminate(f->c, &err);
	assert_int_equal(f->wakes, 1);
	assert_string_equal(drain(f), "E");
	assert_string_equal(field(f, 0, 'S'), "FATAL");
	assert_string_equal(field(f, 0, 'C'), "57P01");
	assert_true(pgw_conn_is_closed(f->c));
	assert_int_equal(f->e.sessions_closed, 1);
	pgw_session_terminate(f->c, &err); /* closed: nothing more */
	assert_string_equal(drain(f), "");
}

static void test_terminate_while_pending(void **state)
{
	fixture *f = *state;
	mur_error err;
	mur_error_set(&err, SQLSTATE_ADMIN_SHUTDOWN,
		      "terminating connection due to administrator command");
	startup(f);
	fe_query(&f->in, "async select 3; select 1");
	assert_string_equal(feed(f), "");
	pgw_session_terminate(f->c, &err);
	assert_string_equal(drain(f), "E");
	assert_string_equal(field(f, 0, 'C'), "57P01");
	assert_int_equal(f->e.sessions_closed, 0); /* not while the engine still works */
	assert_true(toy_complete(&f->e));
	assert_string_equal(drain(f), ""); /* its answer is dropped */
	assert_int_equal(f->e.sessions_closed, 1);
}

static void test_keepalive_handed_to_owner_once(void **state)
{
	fixture *f = *state;
	pgw_keepalive ka = {7, 3, 2, 0}, got;
	startup(f);
	assert_int_equal(pgw_conn_take_keepalive(f->c, &got), 0);
	pgw_session_set_keepalive(f->e.ps, &ka);
	assert_int_equal(pgw_conn_take_keepalive(f->c, &got), 1);
	assert_int_equal(got.idle_s, 7);
	assert_int_equal(got.interval_s, 3);
	assert_int_equal(got.count, 2);
	assert_int_equal(pgw_conn_take_keepalive(f->c, &got), 0);
}

static void test_simple_empty_and_notice(void **state)
{
	fixture *f = *state;
	startup(f);
	fe_query(&f->in, "");
	assert_string_equal(feed(f), "IZ");
	fe_query(&f->in, " ; ;");
	assert_string_equal(feed(f), "IZ");
	fe_query(&f->in, "empty");
	assert_string_equal(feed(f), "IZ");
	fe_query(&f->in, "notice; select 1");
	assert_string_equal(feed(f), "NCTDCZ");
	assert_string_equal(field(f, 0, 'S'), "NOTICE");
	assert_string_equal(field(f, 0, 'M'), "hello notice");
	assert_string_equal(body_str(f, 1), "DO");
}

static void test_pipelined_queries(void **state)
{
	fixture *f = *state;
	fe_startup(&f->in, "alice", "db");
	for (int i = 0; i < 50; i++)
		fe_query(&f->in, "select 1");
	fe_empty(&f->in, 'X');
	const char *t = feed_chunked(f, 7);
	assert_int_equal(strlen(t), strlen(HANDSHAKE) + 50 * 4);
	assert_true(pgw_conn_is_closed(f->c));
	assert_int_equal(f->e.sessions_closed, 1); /* Terminate closes the session at once */
}

/* A client pipelining big results without reading: the connection stops
 * at PGW_OUTPUT_PENDING_MAX and continues on pgw_conn_process. */
static void test_output_stall(void **state)
{
	fixture *f = *state;
	size_t len, max_chunk = 0, total_rows = 0;
	int rounds = 0;
	startup(f);
	for (int i = 0; i < 10; i++)
		fe_query(&f->in, "select 100000");
	pgw_conn_feed(f->c, f->in.data, f->in.len);
	mur_buf_reset(&f->in);
	for (;;) {
		char *data = pgw_conn_take_output(f->c, &len);
		be_msgs m;
		if (len > max_chunk)
			max_chunk = len;
		be_split(&m, data, len);
		assert_false(m.bad);
		for (int i = 0; i < m.n; i++)
			total_rows += m.types[i] == 'D';
		/* be_split stops at BE_MSGS_MAX messages: count the rest by hand */
		if (m.n == BE_MSGS_MAX) {
			size_t off = (size_t)(m.body[m.n - 1] - data) + m.len[m.n - 1];
			while (off < len) {
				uint32_t n = ((uint32_t)(uint8_t)data[off + 1] << 24) |
					     ((uint32_t)(uint8_t)data[off + 2] << 16) |
					     ((uint32_t)(uint8_t)data[off + 3] << 8) |
					     (uint8_t)data[off + 4];
				total_rows += data[off] == 'D';
				off += 1 + n;
			}
		}
		be_free(&m);
		rounds++;
		if (!pgw_conn_stalled(f->c))
			break;
		pgw_conn_process(f->c);
	}
	assert_int_equal(total_rows, 10 * 100000);
	assert_true(rounds >= 5);
	assert_true(max_chunk < PGW_OUTPUT_PENDING_MAX + 3 * 1024 * 1024);
}

static void test_function_call_unsupported(void **state)
{
	fixture *f = *state;
	startup(f);
	fe_empty(&f->in, 'F');
	assert_string_equal(feed(f), "EZ");
	assert_string_equal(field(f, 0, 'C'), "0A000");
	assert_false(pgw_conn_is_closed(f->c));
}

/* ---- Extended protocol ------------------------------------------------------ */

static void test_extended_basic(void **state)
{
	fixture *f = *state;
	const char *vals[1] = {"hi"};
	startup(f);
	fe_parse(&f->in, "s1", "select $1", 0, NULL);
	fe_bind(&f->in, "", "s1", 1, vals, 0, NULL);
	fe_describe(&f->in, 'P', "");
	fe_execute(&f->in, "", 0);
	fe_empty(&f->in, 'S');
	assert_string_equal(feed(f), "12TDCZ");
	assert_string_equal(cell(f, 3, 0), "hi");
	assert_string_equal(body_str(f, 4), "SELECT 1");

	/* the named statement survives; NULL parameter; result format 0 explicitly */
	const char *nul[1] = {NULL};
	int16_t text[1] = {0};
	fe_bind(&f->in, "", "s1", 1, nul, 1, text);
	fe_execute(&f->in, "", 0);
	fe_empty(&f->in, 'S');
	assert_string_equal(feed(f), "2DCZ");
	assert_string_equal(cell(f, 1, 0), "<NULL>");

	/* Describe statement: ParameterDescription + RowDescription / NoData */
	uint32_t oid[1] = {23};
	fe_parse(&f->in, "s2", "select $1", 1, oid);
	fe_describe(&f->in, 'S', "s2");
	fe_parse(&f->in, "s3", "begin", 0, NULL);
	fe_describe(&f->in, 'S', "s3");
	fe_empty(&f->in, 'S');
	assert_string_equal(feed(f), "1tT1tnZ");
	assert_memory_equal(f->out.body[1], "\0\1\0\0\0\x17", 6);
	assert_memory_equal(f->out.body[4], "\0\0", 2);
	/* Flush alone produces nothing extra */
	fe_empty(&f->in, 'H');
	assert_string_equal(feed(f), "");
}

static void test_extended_max_rows(void **state)
{
	fixture *f = *state;
	startup(f);
	fe_parse(&f->in, "", "select 5", 0, NULL);
	fe_bind(&f->in, "", "", 0, NULL, 0, NULL);
	fe_execute(&f->in, "", 2);
	fe_execute(&f->in, "", 2);
	fe_execute(&f->in, "", 2);
	fe_empty(&f->in, 'S');
	assert_string_equal(feed(f), "12DDsDDsDCZ");
	assert_string_equal(cell(f, 2, 0), "1");
	assert_string_equal(cell(f, 5, 0), "3");
	assert_string_equal(cell(f, 8, 0), "5");
	assert_string_equal(body_str(f, 9), "SELECT 1");
	/* the implicit transaction ended at Sync: the portal is gone */
	fe_execute(&f->in, "", 0);
	fe_empty(&f->in, 'S');
	assert_string_equal(feed(f), "EZ");
	assert_string_equal(field(f, 0, 'C'), "34000");
}

static void test_extended_error_skips_until_sync(void **state)
{
	fixture *f = *state;
	startup(f);
	fe_parse(&f->in, "", "bad", 0, NULL);
	fe_bind(&f->in, "", "", 0, NULL, 0, NULL);
	fe_execute(&f->in, "", 0);
	fe_parse(&f->in, "", "select 1", 0, NULL); /* discarded */
	fe_bind(&f->in, "", "", 0, NULL, 0, NULL); /* discarded */
	fe_execute(&f->in, "", 0);                 /* discarded */
	fe_query(&f->in, "select 1");              /* discarded too, like PostgreSQL */
	fe_empty(&f->in, 'S');
	fe_query(&f->in, "select 1");
	assert_string_equal(feed(f), "12EZTDCZ");
	assert_string_equal(field(f, 2, 'C'), "42P01");
	assert_int_equal(f->e.failed_calls, 1);

	/* unknown statement, duplicate name, parse error */
	fe_bind(&f->in, "", "nope", 0, NULL, 0, NULL);
	fe_empty(&f->in, 'S');
	fe_parse(&f->in, "dup", "select 1", 0, NULL);
	fe_parse(&f->in, "dup", "select 2", 0, NULL);
	fe_empty(&f->in, 'S');
	fe_parse(&f->in, "", "syntax", 0, NULL);
	fe_empty(&f->in, 'S');
	assert_string_equal(feed(f), "EZ1EZEZ");
	assert_string_equal(field(f, 0, 'C'), "26000");
	assert_string_equal(field(f, 3, 'C'), "42P05");
	assert_string_equal(field(f, 5, 'C'), "42601");
	/* the unnamed statement may be redefined */
	fe_parse(&f->in, "", "select 1", 0, NULL);
	fe_parse(&f->in, "", "select 2", 0, NULL);
	fe_bind(&f->in, "", "", 0, NULL, 0, NULL);
	fe_execute(&f->in, "", 0);
	fe_empty(&f->in, 'S');
	assert_string_equal(feed(f), "112DDCZ");
}

static void test_extended_bind_checks(void **state)
{
	fixture *f = *state;
	int16_t binary[1] = {1}, weird[1] = {7};
	const char *vals[2] = {"a", "b"};
	startup(f);
	fe_parse(&f->in, "s", "select 3", 0, NULL);
	fe_bind(&f->in, "", "s", 0, NULL, 1, binary);
	fe_empty(&f->in, 'S');
	fe_bind(&f->in, "", "s", 0, NULL, 1, weird);
	fe_empty(&f->in, 'S');
	fe_bind(&f->in, "", "s", 2, vals, 0, NULL); /* statement takes no parameters */
	fe_empty(&f->in, 'S');
	/* a binary result column is fine (pgw_binary.c); format 7 is not */
	assert_string_equal(feed(f), "12ZEZEZ");
	assert_string_equal(field(f, 3, 'C'), "22023");
	assert_string_equal(field(f, 5, 'C'), "08P01");
	assert_string_equal(field(f, 5, 'S'), "ERROR"); /* not fatal: the session goes on */
	assert_false(pgw_conn_is_closed(f->c));
}

static void test_extended_close(void **state)
{
	fixture *f = *state;
	startup(f);
	fe_parse(&f->in, "s", "select 2", 0, NULL);
	fe_query(&f->in, "begin"); /* inside a block portals survive Sync */
	fe_bind(&f->in, "p1", "s", 0, NULL, 0, NULL);
	fe_bind(&f->in, "p1", "s", 0, NULL, 0, NULL); /* duplicate portal */
	fe_empty(&f->in, 'S');
	fe_execute(&f->in, "p1", 1);
	fe_empty(&f->in, 'S');
	fe_close(&f->in, 'S', "s"); /* closes p1 too */
	fe_close(&f->in, 'S', "never-existed");
	fe_execute(&f->in, "p1", 0);
	fe_empty(&f->in, 'S');
	assert_string_equal(feed(f), "1CZ"
				     "2EZ"
				     "DsZ"
				     "33EZ");
	assert_string_equal(field(f, 4, 'C'), "42P03");
	assert_string_equal(field(f, 11, 'C'), "34000");
}

/* ---- COPY -------------------------------------------------------------------- */

static void test_copy_simple(void **state)
{
	fixture *f = *state;
	startup(f);
	fe_query(&f->in, "copy t from stdin; select 1");
	assert_string_equal(feed(f), "G");
	assert_memory_equal(f->out.body[0], "\0\0\2\0\0\0\0", 7);
	assert_int_equal(pgw_conn_get_state(f->c), PGW_CONN_COPY_IN);
	fe_copy_data(&f->in, "1\ta\n2\t");
	fe_empty(&f->in, 'H'); /* ignored in COPY */
	fe_empty(&f->in, 'S'); /* ignored in COPY */
	fe_copy_data(&f->in, "b\n");
	fe_empty(&f->in, 'c');
	assert_string_equal(feed_chunked(f, 3), "CTDCZ");
	assert_string_equal(body_str(f, 0), "COPY 2");
	assert_int_equal(f->e.copy_done_calls, 1);
}

/* FORMAT binary: CopyInResponse says format 1, the engine gets text lines
 * however the stream is cut; a malformed stream fails at CopyDone. */
static void test_copy_binary(void **state)
{
	fixture *f = *state;
	static const uint32_t oids[2] = {23, 25};
	const char *vals[2] = {"7", "a\tb"};
	const int32_t lens[2] = {1, 3};
	mur_buf bin;
	mur_error err;
	startup(f);
	mur_buf_init(&bin);
	pgw_binary_copy_put_header(&bin);
	assert_int_equal(pgw_binary_row_put(&bin, 2, oids, NULL, vals, lens, &err), MUR_OK);
	pgw_binary_copy_put_trailer(&bin);
	fe_query(&f->in, "copybin t from stdin");
	assert_string_equal(feed(f), "G");
	assert_memory_equal(f->out.body[0], "\1\0\2\0\1\0\1", 7);
	fe_copy_bytes(&f->in, bin.data, 5);
	fe_copy_bytes(&f->in, bin.data + 5, bin.len - 5);
	fe_empty(&f->in, 'c');
	assert_string_equal(feed(f), "CZ");
	assert_string_equal(body_str(f, 0), "COPY 1");
	assert_string_equal(f->e.copy_text, "7\ta\\tb\n");
	fe_query(&f->in, "copybin t from stdin");
	fe_copy_bytes(&f->in, "PGCOPY\n\377\r\n\1", 11); /* a wrong signature */
	fe_copy_bytes(&f->in, bin.data, bin.len);        /* dropped */
	fe_empty(&f->in, 'c');
	assert_string_equal(feed(f), "GEZ");
	assert_string_equal(field(f, 1, 'C'), "22P04");
	assert_int_equal(f->e.copy_failed, 1);
	assert_int_equal(f->e.copy_lines, 0);
	mur_buf_free(&bin);
}

/* A binary parameter reaches the engine as text; a bad one is 22P03. */
static void test_bind_binary_parameter(void **state)
{
	fixture *f = *state;
	const uint32_t int4 = 23;
	char buf[32];
	startup(f);
	fe_parse(&f->in, "s", "select $1", 1, &int4);
	fe_bind_binary(&f->in, "s", "\0\0\0\x2a", 4);
	fe_execute(&f->in, "", 0);
	fe_bind_binary(&f->in, "s", "\0\0\0\x2a\0", 5);
	fe_empty(&f->in, 'S');
	fe_query(&f->in, "select 1");
	assert_string_equal(feed(f), "12DCEZTDCZ");
	assert_string_equal(be_datarow_field(&f->out, 2, 0, buf, sizeof buf), "42");
	assert_string_equal(field(f, 4, 'C'), "22P03");
	assert_string_equal(field(f, 4, 'M'), "incorrect binary data format in bind parameter 1");
}

static void test_copy_fail_and_violation(void **state)
{
	fixture *f = *state;
	startup(f);
	fe_query(&f->in, "copy t from stdin");
	fe_copy_data(&f->in, "1\n");
	fe_copy_fail(&f->in, "user cancelled");
	assert_string_equal(feed(f), "GEZ");
	assert_string_equal(field(f, 1, 'C'), "57014");
	assert_string_equal(f->e.copy_fail_msg, "user cancelled");
	/* a non-COPY message during COPY fails it with 08P01 */
	fe_query(&f->in, "copy t from stdin");
	fe_query(&f->in, "select 1");
	fe_query(&f->in, "select 1");
	assert_string_equal(feed(f), "GEZTDCZ");
	assert_string_equal(field(f, 1, 'C'), "08P01");
	assert_string_equal(field(f, 1, 'S'), "ERROR");
	/* CopyData outside COPY is ignored */
	fe_copy_data(&f->in, "stray");
	fe_empty(&f->in, 'c');
	fe_query(&f->in, "select 1");
	assert_string_equal(feed(f), "TDCZ");
}

static void test_copy_extended(void **state)
{
	fixture *f = *state;
	startup(f);
	fe_parse(&f->in, "", "copy t from stdin", 0, NULL);
	fe_bind(&f->in, "", "", 0, NULL, 0, NULL);
	fe_execute(&f->in, "", 0);
	fe_empty(&f->in, 'S'); /* ignored while in COPY */
	fe_copy_data(&f->in, "x\ny\nz\n");
	fe_empty(&f->in, 'c');
	fe_empty(&f->in, 'S');
	assert_string_equal(feed(f), "12GCZ");
	assert_string_equal(body_str(f, 3), "COPY 3");
}

static void test_copy_pause_resume(void **state)
{
	fixture *f = *state;
	startup(f);
	f->e.copy_pause = 1;
	fe_query(&f->in, "copy t from stdin");
	fe_copy_data(&f->in, "1\n");
	fe_copy_data(&f->in, "2\n");
	fe_empty(&f->in, 'c');
	assert_string_equal(feed(f), "G");
	assert_int_equal(f->e.copy_lines, 1);
	assert_false(pgw_conn_wants_read(f->c));
	f->e.copy_pause = 0;
	f->wakes = 0;
	pgw_session_resume_read(f->e.ps);
	assert_int_equal(f->wakes, 1);
	assert_true(pgw_conn_wants_read(f->c));
	assert_string_equal(drain(f), "CZ");
	assert_string_equal(body_str(f, 0), "COPY 2");
}

/* ---- Bad input ----------------------------------------------------------------- */

static void expect_fatal_08P01(fixture *f)
{
	assert_string_equal(f->out.types, "E");
	assert_string_equal(field(f, 0, 'S'), "FATAL");
	assert_string_equal(field(f, 0, 'C'), "08P01");
	assert_true(pgw_conn_is_closed(f->c));
}

static void test_malformed_messages(void **state)
{
	fixture *f = *state;
	static const char *const cases[] = {
		"Q\0\0\0\5x",                        /* Query without its NUL */
		"Q\0\0\0\2",                         /* length below 4 */
		"\x01\0\0\0\4",                      /* unknown type */
		"E\0\0\0\6\0\0",                     /* Execute cut short */
		"S\0\0\0\5x",                        /* Sync with a body */
		"D\0\0\0\6Zx",                       /* Describe, no NUL */
		"B\0\0\0\x0e\0\0\0\0\0\1\0\0\0\x10", /* Bind: value longer than the message */
		"p\0\0\0\4",                         /* PasswordMessage when none was asked for */
	};
	static const size_t lens[] = {6, 5, 5, 7, 6, 7, 15, 5};
	for (size_t i = 0; i < sizeof lens / sizeof lens[0]; i++) {
		startup(f);
		mur_buf_put(&f->in, cases[i], lens[i]);
		fe_query(&f->in, "select 1"); /* never processed */
		feed(f);
		expect_fatal_08P01(f);
		pgw_conn_destroy(f->c);
		pgw_conn_create(&toy_ops, &f->e, wake, f, &f->c);
	}
}

static void test_oversized_message(void **state)
{
	fixture *f = *state;
	startup(f);
	mur_buf_put_u8(&f->in, 'Q');
	mur_buf_put_u32(&f->in, PGW_MESSAGE_MAX + 100);
	feed(f);
	expect_fatal_08P01(f);
}

static void test_truncated_then_disconnect(void **state)
{
	fixture *f = *state;
	startup(f);
	fe_query(&f->in, "select 1");
	f->in.len -= 3;
	assert_string_equal(feed(f), ""); /* waits for the rest */
	assert_true(pgw_conn_wants_read(f->c));
	pgw_conn_destroy(f->c); /* the client goes away */
	f->c = NULL;
	assert_int_equal(f->e.sessions_closed, 1);
}

/* ---- Asynchronous engine and disconnects ------------------------------------ */

static void test_async_buffers_input(void **state)
{
	fixture *f = *state;
	startup(f);
	fe_query(&f->in, "async select 2; select 1");
	fe_query(&f->in, "select 3");
	assert_string_equal(feed(f), "");
	assert_int_equal(pgw_conn_get_state(f->c), PGW_CONN_BUSY);
	fe_query(&f->in, "select 1");
	assert_string_equal(feed(f), ""); /* buffered, not processed */
	f->wakes = 0;
	assert_true(toy_complete(&f->e));
	assert_int_equal(f->wakes, 1);
	assert_string_equal(drain(f), "TDDCTDCZ"
				      "TDDDCZ"
				      "TDCZ");
}

static void test_disconnect_while_pending(void **state)
{
	fixture *f = *state;
	startup(f);
	fe_query(&f->in, "async select 3; select 1");
	assert_string_equal(feed(f), "");
	f->wakes = 0;
	pgw_conn_destroy(f->c);
	f->c = NULL;
	assert_int_equal(f->e.sessions_closed, 0); /* not while the engine still works */
	assert_true(toy_complete(&f->e));          /* must not touch freed memory */
	assert_int_equal(f->wakes, 0);
	assert_int_equal(f->e.sessions_closed, 1);
	assert_int_equal(f->e.stmts_live, 0);
}

static void test_disconnect_extended_pending(void **state)
{
	fixture *f = *state;
	startup(f);
	fe_parse(&f->in, "s", "async select 3", 0, NULL);
	fe_bind(&f->in, "p", "s", 0, NULL, 0, NULL);
	fe_execute(&f->in, "p", 1);
	fe_empty(&f->in, 'S');
	assert_string_equal(feed(f), "12");
	pgw_conn_destroy(f->c);
	f->c = NULL;
	assert_int_equal(f->e.stmts_live, 1);
	assert_true(toy_complete(&f->e));
	assert_int_equal(f->e.sessions_closed, 1);
}

static void test_disconnect_mid_copy(void **state)
{
	fixture *f = *state;
	startup(f);
	fe_query(&f->in, "copy t from stdin");
	fe_copy_data(&f->in, "1\n");
	assert_string_equal(feed(f), "G");
	pgw_conn_destroy(f->c);
	f->c = NULL;
	assert_int_equal(f->e.copy_done_calls, 1);
	assert_int_equal(f->e.copy_failed, 1);
	assert_int_equal(f->e.sessions_closed, 1);
}

static void test_terminate_mid_copy(void **state)
{
	fixture *f = *state;
	startup(f);
	fe_query(&f->in, "copy t from stdin");
	fe_empty(&f->in, 'X');
	assert_string_equal(feed(f), "G");
	assert_true(pgw_conn_is_closed(f->c));
	assert_int_equal(f->e.copy_failed, 1);
	assert_int_equal(f->e.sessions_closed, 1);
}

int main(void)
{
#define T(name) cmocka_unit_test_setup_teardown(name, setup, teardown)
	const struct CMUnitTest tests[] = {
		T(test_startup),
		T(test_startup_byte_by_byte),
		T(test_ssl_and_gss_refused),
		T(test_ssl_offered),
		T(test_ssl_cleartext_after_request_refused),
		T(test_tls_required_refuses_cleartext),
		T(test_cancel_request_closes),
		T(test_cancel_request_goes_to_owner),
		T(test_cancel_running_statement),
		T(test_cancel_keys_differ),
		T(test_admit),
		T(test_bad_versions),
		T(test_minor_version_negotiated),
		T(test_startup_errors),
		T(test_simple_several),
		T(test_simple_error_stops),
		T(test_simple_implicit_block_hooks),
		T(test_idle_in_transaction_timeout),
		T(test_keepalive_handed_to_owner_once),
		T(test_terminate),
		T(test_terminate_while_pending),
		T(test_simple_empty_and_notice),
		T(test_pipelined_queries),
		T(test_output_stall),
		T(test_function_call_unsupported),
		T(test_extended_basic),
		T(test_extended_max_rows),
		T(test_extended_error_skips_until_sync),
		T(test_extended_bind_checks),
		T(test_extended_close),
		T(test_copy_simple),
		T(test_copy_fail_and_violation),
		T(test_copy_binary),
		T(test_bind_binary_parameter),
		T(test_copy_extended),
		T(test_copy_pause_resume),
		T(test_malformed_messages),
		T(test_oversized_message),
		T(test_truncated_then_disconnect),
		T(test_async_buffers_input),
		T(test_disconnect_while_pending),
		T(test_disconnect_extended_pending),
		T(test_disconnect_mid_copy),
		T(test_terminate_mid_copy),
	};
#undef T
	return cmocka_run_group_tests(tests, NULL, NULL);
}
