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
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

/* Client sessions kept for resumption (contexts with a CA), one per peer
 * key, the oldest replaced first past MUR_TLS_SESSIONS_MAX: a node has one
 * peer per other node. */
#define MUR_TLS_SESSIONS_MAX 64

struct mur_tls_ctx {
	SSL_CTX *ssl;
	pthread_mutex_t mu; /* sessions: loops of several threads dial */
	struct {
		char key[MUR_TLS_PEER_KEY_MAX];
		SSL_SESSION *sess;
	} sessions[MUR_TLS_SESSIONS_MAX];
	unsigned next; /* the slot replaced next when all are taken */
};

struct mur_tls {
	SSL *ssl;
	BIO *rbio, *wbio;               /* owned by ssl */
	char key[MUR_TLS_PEER_KEY_MAX]; /* client: its peer's sessions ("" none) */
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

/* The slot of key in ctx's sessions, or -1 (ctx->mu held). */
static int session_slot(mur_tls_ctx *ctx, const char *key)
{
	for (int i = 0; i < MUR_TLS_SESSIONS_MAX; i++)
		if (ctx->sessions[i].sess && strcmp(ctx->sessions[i].key, key) == 0)
			return i;
	return -1;
}

/* OpenSSL made a client session (a TLS 1.3 ticket arrived): keep a copy
 * for the connection's peer.  A copy, because a connection freed without
 * close_notify (nodes just close) marks its own session not resumable.
 * 0: OpenSSL keeps its reference. */
static int session_new_cb(SSL *ssl, SSL_SESSION *orig)
{
	mur_tls *t = SSL_get_app_data(ssl);
	mur_tls_ctx *ctx = SSL_CTX_get_app_data(SSL_get_SSL_CTX(ssl));
	SSL_SESSION *sess;
	int i;
	if (!t || !ctx || !t->key[0] || !(sess = SSL_SESSION_dup(orig)))
		return 0;
	pthread_mutex_lock(&ctx->mu);
	if ((i = session_slot(ctx, t->key)) < 0) {
		for (i = 0; i < MUR_TLS_SESSIONS_MAX && ctx->sessions[i].sess; i++)
			;
		if (i == MUR_TLS_SESSIONS_MAX)
			i = (int)(ctx->next++ % MUR_TLS_SESSIONS_MAX);
	}
	SSL_SESSION_free(ctx->sessions[i].sess);
	ctx->sessions[i].sess = sess;
	snprintf(ctx->sessions[i].key, sizeof ctx->sessions[i].key, "%s", t->key);
	pthread_mutex_unlock(&ctx->mu);
	return 0;
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
	/* resumption (mur_tls_resume_key): one ticket per handshake; a server
	 * checking client certificates needs a session id context to resume */
	SSL_CTX_set_num_tickets(s, 1);
	SSL_CTX_set_session_id_context(s, (const unsigned char *)"murphy node", 11);
	SSL_CTX_set_session_cache_mode(s, SSL_SESS_CACHE_CLIENT | SSL_SESS_CACHE_NO_INTERNAL_STORE);
	SSL_CTX_sess_set_new_cb(s, session_new_cb);
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
	pthread_mutex_init(&ctx->mu, NULL);
	SSL_CTX_set_app_data(ctx->ssl, ctx);
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
	for (int i = 0; i < MUR_TLS_SESSIONS_MAX; i++)
		SSL_SESSION_free(ctx->sessions[i].sess);
	if (ctx->ssl)
		pthread_mutex_destroy(&ctx->mu);
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
	SSL_set_app_data(t->ssl, t);
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

void mur_tls_resume_key(mur_tls *t, mur_tls_ctx *ctx, const char *key)
{
	int i;
	snprintf(t->key, sizeof t->key, "%s", key);
	pthread_mutex_lock(&ctx->mu);
	if ((i = session_slot(ctx, t->key)) >= 0)
		SSL_set_session(t->ssl, ctx->sessions[i].sess); /* takes its own reference */
	pthread_mutex_unlock(&ctx->mu);
}

int mur_tls_resumed(const mur_tls *t) { return SSL_session_reused(t->ssl); }

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
