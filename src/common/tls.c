/*
 * tls.c — TLS on memory BIOs (see tls.h).  Each connection has an SSL
 * object whose read BIO is filled from the socket (mur_tls_feed) and whose
 * write BIO is drained to it (mur_tls_take_output / mur_tls_output_take);
 * both BIOs are memory BIOs, so no OpenSSL call ever blocks or touches a
 * socket.  The write BIO grows as needed: what it holds is bounded by the
 * owner's own output limits, since the owner drains it after every call.
 * Moved here from pgwire/pgw_tls.c when the node transport needed the same
 * glue (docs/decisions.md "TLS between nodes").
 */
#include "common/tls.h"

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>

struct mur_tls_ctx {
	SSL_CTX *ssl;
};

struct mur_tls {
	SSL *ssl;
	BIO *rbio, *wbio; /* owned by ssl */
};

const char *mur_tls_reason(char *buf, size_t size)
{
	unsigned long e = ERR_get_error();
	if (!e)
		snprintf(buf, size, "no reason given");
	else
		ERR_error_string_n(e, buf, size);
	ERR_clear_error();
	return buf;
}

/* PostgreSQL's rule for ssl_key_file: no access for others, and none for
 * the group unless root owns the key (a system-wide key in ssl-cert). */
static int key_file_private(const char *key_file, mur_error *err)
{
	struct stat st;
	if (stat(key_file, &st) != 0)
		return MUR_OK; /* loading says what is wrong */
	if ((st.st_mode & (st.st_uid == 0 ? 0037 : 0077)) == 0)
		return MUR_OK;
	mur_error_set(err, SQLSTATE_IO_ERROR, "TLS private key %s has group or world access",
		      key_file);
	mur_error_hint(err, "run chmod 600 %s (0640 if root owns it)", key_file);
	return MUR_EIO;
}

/* Certificate, key and (when given) the CA peers must chain to. */
static int ctx_files(SSL_CTX *s, const char *cert_file, const char *key_file, const char *ca_file,
		     mur_error *err)
{
	char why[256];
	if (SSL_CTX_use_certificate_chain_file(s, cert_file) != 1)
		return mur_error_set(err, SQLSTATE_IO_ERROR,
				     "could not load TLS certificate %s: %s", cert_file,
				     mur_tls_reason(why, sizeof why)),
		       MUR_EIO;
	if (SSL_CTX_use_PrivateKey_file(s, key_file, SSL_FILETYPE_PEM) != 1)
		return mur_error_set(err, SQLSTATE_IO_ERROR,
				     "could not load TLS private key %s: %s", key_file,
				     mur_tls_reason(why, sizeof why)),
		       MUR_EIO;
	if (SSL_CTX_check_private_key(s) != 1)
		return mur_error_set(err, SQLSTATE_IO_ERROR,
				     "TLS private key %s does not match certificate %s: %s",
				     key_file, cert_file, mur_tls_reason(why, sizeof why)),
		       MUR_EIO;
	if (!ca_file)
		return MUR_OK;
	if (SSL_CTX_load_verify_locations(s, ca_file, NULL) != 1)
		return mur_error_set(err, SQLSTATE_IO_ERROR,
				     "could not load TLS CA certificate %s: %s", ca_file,
				     mur_tls_reason(why, sizeof why)),
		       MUR_EIO;
	SSL_CTX_set_verify(s, SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT, NULL);
	SSL_CTX_set_num_tickets(s, 0); /* nodes do not resume sessions: no tickets to make */
	return MUR_OK;
}

int mur_tls_ctx_load(const char *cert_file, const char *key_file, const char *ca_file,
		     mur_tls_ctx **out, mur_error *err)
{
	char why[256];
	mur_tls_ctx *ctx;
	if (key_file_private(key_file, err) != MUR_OK)
		return MUR_EIO;
	ctx = calloc(1, sizeof *ctx);
	if (!ctx)
		return mur_error_set(err, SQLSTATE_OUT_OF_MEMORY, "out of memory"), MUR_EIO;
	ERR_clear_error();
	ctx->ssl = SSL_CTX_new(TLS_method());
	if (!ctx->ssl) {
		mur_error_set(err, SQLSTATE_IO_ERROR, "could not create a TLS context: %s",
			      mur_tls_reason(why, sizeof why));
		goto fail;
	}
	SSL_CTX_set_min_proto_version(ctx->ssl, TLS1_2_VERSION);
	SSL_CTX_set_options(ctx->ssl, SSL_OP_NO_RENEGOTIATION | SSL_OP_NO_COMPRESSION);
	if (ctx_files(ctx->ssl, cert_file, key_file, ca_file, err) != MUR_OK)
		goto fail;
	*out = ctx;
	return MUR_OK;
fail:
	mur_tls_ctx_free(ctx);
	return MUR_EIO;
}

void mur_tls_ctx_free(mur_tls_ctx *ctx)
{
	if (!ctx)
		return;
	SSL_CTX_free(ctx->ssl);
	free(ctx);
}

mur_tls *mur_tls_new(mur_tls_ctx *ctx, int server)
{
	mur_tls *t = calloc(1, sizeof *t);
	if (!t)
		return NULL;
	t->ssl = SSL_new(ctx->ssl);
	t->rbio = BIO_new(BIO_s_mem());
	t->wbio = BIO_new(BIO_s_mem());
	if (!t->ssl || !t->rbio || !t->wbio) {
		BIO_free(t->rbio);
		BIO_free(t->wbio);
		SSL_free(t->ssl);
		free(t);
		return NULL;
	}
	SSL_set_bio(t->ssl, t->rbio, t->wbio); /* ssl owns both now */
	if (server)
		SSL_set_accept_state(t->ssl);
	else
		SSL_set_connect_state(t->ssl);
	return t;
}

void mur_tls_free(mur_tls *t)
{
	if (!t)
		return;
	SSL_free(t->ssl);
	free(t);
}

int mur_tls_established(const mur_tls *t) { return SSL_is_init_finished(t->ssl); }

struct ssl_st *mur_tls_ssl(const mur_tls *t) { return t->ssl; }

/* An SSL call's result r <= 0: MUR_EAGAIN when TLS only needs more bytes,
 * else MUR_EPROTO with err. */
static int tls_check(mur_tls *t, int r, mur_error *err)
{
	char why[256];
	long vr;
	switch (SSL_get_error(t->ssl, r)) {
	case SSL_ERROR_WANT_READ:
	case SSL_ERROR_WANT_WRITE: /* the write BIO is memory: never full */
		return MUR_EAGAIN;
	case SSL_ERROR_ZERO_RETURN:
		mur_error_set(err, SQLSTATE_CONNECTION_FAILURE, "the peer ended TLS");
		return MUR_EPROTO;
	default:
		vr = SSL_get_verify_result(t->ssl);
		if (!SSL_is_init_finished(t->ssl) && vr != X509_V_OK) {
			mur_error_set(err, SQLSTATE_PROTOCOL_VIOLATION,
				      "TLS handshake failed: peer certificate refused: %s",
				      X509_verify_cert_error_string(vr));
			ERR_clear_error();
			return MUR_EPROTO;
		}
		mur_error_set(err, SQLSTATE_PROTOCOL_VIOLATION, "%s: %s",
			      SSL_is_init_finished(t->ssl) ? "TLS error" : "TLS handshake failed",
			      mur_tls_reason(why, sizeof why));
		return MUR_EPROTO;
	}
}

int mur_tls_feed(mur_tls *t, const char *data, size_t len, mur_error *err)
{
	if (len > 0 && BIO_write(t->rbio, data, (int)len) != (int)len)
		return mur_error_set(err, SQLSTATE_OUT_OF_MEMORY, "out of memory"), MUR_EPROTO;
	return MUR_OK;
}

int mur_tls_handshake(mur_tls *t, mur_error *err)
{
	int r;
	if (SSL_is_init_finished(t->ssl))
		return MUR_OK;
	r = SSL_do_handshake(t->ssl);
	return r == 1 ? MUR_OK : tls_check(t, r, err);
}

int mur_tls_read(mur_tls *t, char *buf, size_t cap, size_t *n, mur_error *err)
{
	int r, rc;
	*n = 0;
	rc = mur_tls_handshake(t, err);
	if (rc != MUR_OK)
		return rc == MUR_EAGAIN ? MUR_OK : rc;
	r = SSL_read(t->ssl, buf, cap > INT32_MAX ? INT32_MAX : (int)cap);
	if (r > 0) {
		*n = (size_t)r;
		return MUR_OK;
	}
	rc = tls_check(t, r, err);
	return rc == MUR_EAGAIN ? MUR_OK : rc;
}

int mur_tls_write(mur_tls *t, const char *data, size_t len, mur_error *err)
{
	while (len > 0) {
		int n = len > INT32_MAX ? INT32_MAX : (int)len;
		int r = SSL_write(t->ssl, data, n);
		if (r <= 0) {
			if (tls_check(t, r, err) == MUR_EAGAIN)
				mur_error_set(err, SQLSTATE_PROTOCOL_VIOLATION,
					      "TLS write before the handshake completed");
			return MUR_EPROTO;
		}
		data += r;
		len -= (size_t)r;
	}
	return MUR_OK;
}

size_t mur_tls_output_len(const mur_tls *t) { return BIO_ctrl_pending(t->wbio); }

size_t mur_tls_output_take(mur_tls *t, char *buf, size_t cap)
{
	size_t n = BIO_ctrl_pending(t->wbio);
	int r;
	if (n > cap)
		n = cap;
	if (n == 0)
		return 0;
	r = BIO_read(t->wbio, buf, (int)n);
	return r > 0 ? (size_t)r : 0;
}

char *mur_tls_take_output(mur_tls *t, size_t *len)
{
	size_t n = BIO_ctrl_pending(t->wbio);
	char *p;
	*len = 0;
	if (n == 0 || !(p = malloc(n)))
		return NULL;
	if (mur_tls_output_take(t, p, n) != n) {
		free(p);
		return NULL;
	}
	*len = n;
	return p;
}
