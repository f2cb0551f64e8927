/*
 * test_pgwire_tls.c — pgw_tls (src/pgwire/pgw_tls.c) against an OpenSSL
 * client on memory BIOs, no sockets: a certificate from
 * pgw_tls_make_self_signed verifies for localhost and 127.0.0.1 with
 * itself as the CA; the handshake and data cross both ways, in pieces as
 * small as one byte; garbage and a client that ends TLS are MUR_EPROTO; a
 * key that does not match its certificate, or that others may read, is
 * refused at load; the pair is made once (MUR_EAGAIN after).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "pgwire/pgw_tls.h"

#include <openssl/ssl.h>
#include <openssl/x509v3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static struct {
	char dir[64], cert[128], key[128];
	pgw_tls_ctx *ctx;
} T;

typedef struct client {
	SSL_CTX *ctx;
	SSL *ssl;
	BIO *rbio, *wbio;
} client;

static int setup(void **state)
{
	mur_error err;
	snprintf(T.dir, sizeof T.dir, "/tmp/murphy-tls-XXXXXX");
	assert_non_null(mkdtemp(T.dir));
	snprintf(T.cert, sizeof T.cert, "%s/server.crt", T.dir);
	snprintf(T.key, sizeof T.key, "%s/server.key", T.dir);
	assert_int_equal(pgw_tls_make_self_signed(T.cert, T.key, &err), MUR_OK);
	assert_int_equal(pgw_tls_ctx_load(T.cert, T.key, &T.ctx, &err), MUR_OK);
	return 0;
}

static int teardown(void **state)
{
	pgw_tls_ctx_free(T.ctx);
	unlink(T.cert);
	unlink(T.key);
	rmdir(T.dir);
	return 0;
}

/* A verifying client for host (a name or an IP address). */
static void client_open(client *c, const char *host)
{
	X509_VERIFY_PARAM *vp;
	c->ctx = SSL_CTX_new(TLS_client_method());
	assert_int_equal(SSL_CTX_load_verify_locations(c->ctx, T.cert, NULL), 1);
	SSL_CTX_set_verify(c->ctx, SSL_VERIFY_PEER, NULL);
	c->ssl = SSL_new(c->ctx);
	vp = SSL_get0_param(c->ssl);
	if (strchr(host, '.') && host[0] >= '0' && host[0] <= '9')
		assert_int_equal(X509_VERIFY_PARAM_set1_ip_asc(vp, host), 1);
	else
		assert_int_equal(X509_VERIFY_PARAM_set1_host(vp, host, 0), 1);
	c->rbio = BIO_new(BIO_s_mem());
	c->wbio = BIO_new(BIO_s_mem());
	SSL_set_bio(c->ssl, c->rbio, c->wbio);
	SSL_set_connect_state(c->ssl);
}

static void client_close(client *c)
{
	SSL_free(c->ssl);
	SSL_CTX_free(c->ctx);
}

/* Move the client's pending bytes to the server in pieces of `piece`. */
static int to_server(client *c, pgw_tls *t, mur_buf *plain, size_t piece)
{
	char buf[65536];
	mur_error err;
	int n = BIO_read(c->wbio, buf, sizeof buf), rc = MUR_OK;
	for (int off = 0; n > 0 && off < n && rc == MUR_OK; off += (int)piece)
		rc = pgw_tls_recv(t, buf + off,
				  (size_t)n - (size_t)off < piece ? (size_t)(n - off) : piece,
				  plain, &err);
	return rc;
}

static void to_client(client *c, pgw_tls *t)
{
	size_t len;
	char *p = pgw_tls_take_output(t, &len);
	if (p)
		assert_int_equal(BIO_write(c->rbio, p, (int)len), (int)len);
	free(p);
}

/* Run the handshake to completion; MUR_OK or the server's failure. */
static int handshake(client *c, pgw_tls *t, size_t piece)
{
	mur_buf plain;
	int rc = MUR_OK;
	mur_buf_init(&plain);
	for (int i = 0; i < 20 && rc == MUR_OK; i++) {
		int r = SSL_do_handshake(c->ssl);
		rc = to_server(c, t, &plain, piece);
		to_client(c, t);
		if (r == 1 && pgw_tls_established(t))
			break;
	}
	assert_int_equal(plain.len, 0);
	mur_buf_free(&plain);
	return rc;
}

static void roundtrip(const char *host, size_t piece)
{
	client c;
	pgw_tls *t = pgw_tls_new(T.ctx);
	mur_buf plain;
	mur_error err;
	char big[40000], back[40000];
	size_t got = 0;
	assert_non_null(t);
	client_open(&c, host);
	assert_int_equal(handshake(&c, t, piece), MUR_OK);
	assert_true(pgw_tls_established(t));
	assert_int_equal(SSL_get_verify_result(c.ssl), X509_V_OK);
	/* client → server: more than two TLS records */
	memset(big, 'q', sizeof big);
	assert_int_equal(SSL_write(c.ssl, big, sizeof big), (int)sizeof big);
	mur_buf_init(&plain);
	assert_int_equal(to_server(&c, t, &plain, piece), MUR_OK);
	assert_int_equal(plain.len, sizeof big);
	assert_memory_equal(plain.data, big, sizeof big);
	/* server → client */
	assert_int_equal(pgw_tls_send(t, big, sizeof big, &err), MUR_OK);
	to_client(&c, t);
	while (got < sizeof back) {
		int r = SSL_read(c.ssl, back + got, (int)(sizeof back - got));
		assert_true(r > 0);
		got += (size_t)r;
	}
	assert_memory_equal(back, big, sizeof big);
	/* the client ends TLS */
	SSL_shutdown(c.ssl);
	mur_buf_reset(&plain);
	assert_int_equal(to_server(&c, t, &plain, piece), MUR_EPROTO);
	mur_buf_free(&plain);
	client_close(&c);
	pgw_tls_free(t);
}

static void test_roundtrip_localhost(void **state) { roundtrip("localhost", 65536); }
static void test_roundtrip_ip_byte_by_byte(void **state) { roundtrip("127.0.0.1", 1); }

static void test_wrong_name_fails_verification(void **state)
{
	client c;
	pgw_tls *t = pgw_tls_new(T.ctx);
	client_open(&c, "murphy.invalid");
	handshake(&c, t, 65536); /* the client gives up; the server sees an alert */
	assert_int_not_equal(SSL_get_verify_result(c.ssl), X509_V_OK);
	assert_false(SSL_is_init_finished(c.ssl));
	client_close(&c);
	pgw_tls_free(t);
}

static void test_garbage_is_eproto(void **state)
{
	pgw_tls *t = pgw_tls_new(T.ctx);
	mur_buf plain;
	mur_error err;
	char junk[512];
	for (size_t i = 0; i < sizeof junk; i++)
		junk[i] = (char)(i * 37 + 11);
	mur_buf_init(&plain);
	assert_int_equal(pgw_tls_recv(t, junk, sizeof junk, &plain, &err), MUR_EPROTO);
	assert_non_null(strstr(err.message, "TLS handshake failed"));
	assert_int_equal(plain.len, 0);
	mur_buf_free(&plain);
	pgw_tls_free(t);
}

static void test_made_once_and_key_private(void **state)
{
	struct stat st;
	mur_error err;
	assert_int_equal(pgw_tls_make_self_signed(T.cert, T.key, &err), MUR_EAGAIN);
	assert_int_equal(stat(T.key, &st), 0);
	assert_int_equal(st.st_mode & 077, 0);
}

static void test_mismatched_key_refused(void **state)
{
	char dir[64], cert[128], key[128];
	pgw_tls_ctx *ctx = NULL;
	mur_error err;
	snprintf(dir, sizeof dir, "/tmp/murphy-tls-XXXXXX");
	assert_non_null(mkdtemp(dir));
	snprintf(cert, sizeof cert, "%s/other.crt", dir);
	snprintf(key, sizeof key, "%s/other.key", dir);
	assert_int_equal(pgw_tls_make_self_signed(cert, key, &err), MUR_OK);
	assert_int_equal(pgw_tls_ctx_load(T.cert, key, &ctx, &err), MUR_EIO);
	assert_null(ctx);
	/* OpenSSL says it while loading the key ("key values mismatch") */
	assert_true(strstr(err.message, "mismatch") || strstr(err.message, "does not match"));
	assert_non_null(strstr(err.message, key));
	assert_int_equal(pgw_tls_ctx_load("/nonexistent.crt", key, &ctx, &err), MUR_EIO);
	assert_non_null(strstr(err.message, "/nonexistent.crt"));
	/* a key others may read is refused before it is read */
	assert_int_equal(chmod(key, 0644), 0);
	assert_int_equal(pgw_tls_ctx_load(cert, key, &ctx, &err), MUR_EIO);
	assert_non_null(strstr(err.message, "group or world access"));
	assert_int_equal(chmod(key, 0600), 0);
	assert_int_equal(pgw_tls_ctx_load(cert, key, &ctx, &err), MUR_OK);
	pgw_tls_ctx_free(ctx);
	unlink(cert);
	unlink(key);
	rmdir(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_roundtrip_localhost),
		cmocka_unit_test(test_roundtrip_ip_byte_by_byte),
		cmocka_unit_test(test_wrong_name_fails_verification),
		cmocka_unit_test(test_garbage_is_eproto),
		cmocka_unit_test(test_made_once_and_key_private),
		cmocka_unit_test(test_mismatched_key_refused),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
