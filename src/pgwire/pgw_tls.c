/*
 * pgw_tls.c — client TLS on memory BIOs (see pgw_tls.h).  Each connection
 * has an SSL object whose read BIO is filled from the socket
 * (pgw_tls_recv) and whose write BIO is drained to it
 * (pgw_tls_take_output); both BIOs are memory BIOs, so no OpenSSL call
 * ever blocks or touches a socket.  The write BIO grows as needed: what
 * it holds is bounded by the connection's own output limits
 * (PGW_OUTPUT_PENDING_MAX, PGW_WRITE_QUEUE_MAX), since the owner drains it
 * after every send.
 *
 * All cryptography is OpenSSL's (libssl for TLS, libcrypto for the
 * self-signed certificate); nothing here is hand-written.
 */
#include "pgwire/pgw_tls.h"

#include <fcntl.h>
#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

/* Plaintext taken from SSL_read per call (a TLS record is at most 16 KiB). */
#define PGW_TLS_READ_CHUNK 16384

struct pgw_tls_ctx {
	SSL_CTX *ssl;
};

struct pgw_tls {
	SSL *ssl;
	BIO *rbio, *wbio; /* owned by ssl */
};

/* OpenSSL's most recent error as text ("no reason" when its queue is
 * empty); clears the queue so the next call starts clean. */
static const char *tls_reason(char *buf, size_t size)
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

int pgw_tls_ctx_load(const char *cert_file, const char *key_file, pgw_tls_ctx **out, mur_error *err)
{
	char why[256];
	pgw_tls_ctx *ctx;
	if (key_file_private(key_file, err) != MUR_OK)
		return MUR_EIO;
	ctx = calloc(1, sizeof *ctx);
	if (!ctx)
		return mur_error_set(err, SQLSTATE_OUT_OF_MEMORY, "out of memory");
	ERR_clear_error();
	ctx->ssl = SSL_CTX_new(TLS_server_method());
	if (!ctx->ssl)
		goto fail_ctx;
	SSL_CTX_set_min_proto_version(ctx->ssl, TLS1_2_VERSION);
	SSL_CTX_set_options(ctx->ssl, SSL_OP_NO_RENEGOTIATION | SSL_OP_NO_COMPRESSION);
	if (SSL_CTX_use_certificate_chain_file(ctx->ssl, cert_file) != 1) {
		mur_error_set(err, SQLSTATE_IO_ERROR, "could not load TLS certificate %s: %s",
			      cert_file, tls_reason(why, sizeof why));
		goto fail;
	}
	if (SSL_CTX_use_PrivateKey_file(ctx->ssl, key_file, SSL_FILETYPE_PEM) != 1) {
		mur_error_set(err, SQLSTATE_IO_ERROR, "could not load TLS private key %s: %s",
			      key_file, tls_reason(why, sizeof why));
		goto fail;
	}
	if (SSL_CTX_check_private_key(ctx->ssl) != 1) {
		mur_error_set(err, SQLSTATE_IO_ERROR,
			      "TLS private key %s does not match certificate %s: %s", key_file,
			      cert_file, tls_reason(why, sizeof why));
		goto fail;
	}
	*out = ctx;
	return MUR_OK;
fail_ctx:
	mur_error_set(err, SQLSTATE_IO_ERROR, "could not create a TLS context: %s",
		      tls_reason(why, sizeof why));
fail:
	pgw_tls_ctx_free(ctx);
	return MUR_EIO;
}

void pgw_tls_ctx_free(pgw_tls_ctx *ctx)
{
	if (!ctx)
		return;
	SSL_CTX_free(ctx->ssl);
	free(ctx);
}

pgw_tls *pgw_tls_new(pgw_tls_ctx *ctx)
{
	pgw_tls *t = calloc(1, sizeof *t);
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
	SSL_set_accept_state(t->ssl);
	return t;
}

void pgw_tls_free(pgw_tls *t)
{
	if (!t)
		return;
	SSL_free(t->ssl);
	free(t);
}

int pgw_tls_established(const pgw_tls *t) { return SSL_is_init_finished(t->ssl); }

/* tls-server-end-point (RFC 5929 section 4.1): the certificate hashed
 * with its signature's hash, SHA-256 when that is MD5 or SHA-1 (as
 * PostgreSQL's be_tls_get_certificate_hash).  0 when it cannot be had. */
static int cert_hash(SSL *ssl, unsigned char *out, size_t cap)
{
	X509 *cert = SSL_get_certificate(ssl);
	int md_nid, pkey_nid;
	const EVP_MD *md;
	unsigned int n = 0;
	if (!cert || !OBJ_find_sigid_algs(X509_get_signature_nid(cert), &md_nid, &pkey_nid))
		return 0;
	md = md_nid == NID_md5 || md_nid == NID_sha1 ? EVP_sha256() : EVP_get_digestbynid(md_nid);
	if (!md || (size_t)EVP_MD_size(md) > cap || !X509_digest(cert, md, out, &n))
		return 0;
	return (int)n;
}

void pgw_tls_get_info(const pgw_tls *t, pgw_tls_info *info)
{
	const SSL_CIPHER *c = SSL_get_current_cipher(t->ssl);
	info->version = SSL_get_version(t->ssl);
	info->cipher = c ? SSL_CIPHER_get_name(c) : NULL;
	info->bits = c ? SSL_CIPHER_get_bits(c, NULL) : 0;
	info->cert_hash_len = cert_hash(t->ssl, info->cert_hash, sizeof info->cert_hash);
}

/* An SSL_read/SSL_do_handshake result r <= 0: MUR_EAGAIN when TLS only
 * needs more bytes, else MUR_EPROTO with err. */
static int tls_check(pgw_tls *t, int r, mur_error *err)
{
	char why[256];
	switch (SSL_get_error(t->ssl, r)) {
	case SSL_ERROR_WANT_READ:
	case SSL_ERROR_WANT_WRITE: /* the write BIO is memory: never full */
		return MUR_EAGAIN;
	case SSL_ERROR_ZERO_RETURN:
		mur_error_set(err, SQLSTATE_CONNECTION_FAILURE, "the client ended TLS");
		return MUR_EPROTO;
	default:
		mur_error_set(err, SQLSTATE_PROTOCOL_VIOLATION, "%s: %s",
			      SSL_is_init_finished(t->ssl) ? "TLS error" : "TLS handshake failed",
			      tls_reason(why, sizeof why));
		return MUR_EPROTO;
	}
}

int pgw_tls_recv(pgw_tls *t, const char *data, size_t len, mur_buf *plain, mur_error *err)
{
	char chunk[PGW_TLS_READ_CHUNK];
	int r;
	if (len > 0 && BIO_write(t->rbio, data, (int)len) != (int)len)
		return mur_error_set(err, SQLSTATE_OUT_OF_MEMORY, "out of memory"), MUR_EPROTO;
	if (!SSL_is_init_finished(t->ssl)) {
		r = SSL_do_handshake(t->ssl);
		if (r <= 0)
			return tls_check(t, r, err) == MUR_EAGAIN ? MUR_OK : MUR_EPROTO;
	}
	for (;;) {
		r = SSL_read(t->ssl, chunk, sizeof chunk);
		if (r <= 0)
			return tls_check(t, r, err) == MUR_EAGAIN ? MUR_OK : MUR_EPROTO;
		mur_buf_put(plain, chunk, (size_t)r);
	}
}

int pgw_tls_send(pgw_tls *t, const char *data, size_t len, mur_error *err)
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

char *pgw_tls_take_output(pgw_tls *t, size_t *len)
{
	size_t n = BIO_ctrl_pending(t->wbio);
	char *p;
	*len = 0;
	if (n == 0 || !(p = malloc(n)))
		return NULL;
	if (BIO_read(t->wbio, p, (int)n) != (int)n) {
		free(p);
		return NULL;
	}
	*len = n;
	return p;
}

/* ---- Self-signed certificate -------------------------------------------- */

static int cert_add_ext(X509 *x, int nid, const char *value)
{
	X509V3_CTX v3;
	X509_EXTENSION *ext;
	int ok;
	X509V3_set_ctx_nodb(&v3);
	X509V3_set_ctx(&v3, x, x, NULL, NULL, 0);
	ext = X509V3_EXT_conf_nid(NULL, &v3, nid, value);
	if (!ext)
		return 0;
	ok = X509_add_ext(x, ext, -1);
	X509_EXTENSION_free(ext);
	return ok;
}

/* A certificate for key: CN=localhost, SAN localhost and 127.0.0.1, a
 * random serial, PGW_TLS_SELF_SIGNED_DAYS, signed by key itself. */
static X509 *cert_build(EVP_PKEY *key)
{
	X509 *x = X509_new();
	X509_NAME *name;
	BIGNUM *bn = BN_new();
	int ok = x && bn && X509_set_version(x, 2) && BN_rand(bn, 64, 0, 0) &&
		 BN_to_ASN1_INTEGER(bn, X509_get_serialNumber(x)) &&
		 X509_gmtime_adj(X509_getm_notBefore(x), -60) &&
		 X509_gmtime_adj(X509_getm_notAfter(x), 86400L * PGW_TLS_SELF_SIGNED_DAYS) &&
		 X509_set_pubkey(x, key);
	BN_free(bn);
	if (ok) {
		name = X509_get_subject_name(x);
		ok = X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
						(const unsigned char *)"localhost", -1, -1, 0) &&
		     X509_NAME_add_entry_by_txt(name, "O", MBSTRING_ASC,
						(const unsigned char *)"murphy local", -1, -1, 0) &&
		     X509_set_issuer_name(x, name) &&
		     cert_add_ext(x, NID_subject_alt_name, "DNS:localhost,IP:127.0.0.1") &&
		     cert_add_ext(x, NID_basic_constraints, "critical,CA:TRUE") &&
		     cert_add_ext(x, NID_subject_key_identifier, "hash") &&
		     X509_sign(x, key, EVP_sha256()) > 0;
	}
	if (!ok) {
		X509_free(x);
		return NULL;
	}
	return x;
}

/* Write with fn to path, created with mode (O_EXCL: nothing is replaced). */
static int cert_write(const char *path, mode_t mode, int (*fn)(FILE *, void *), void *obj)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode);
	FILE *f;
	int ok;
	if (fd < 0)
		return 0;
	f = fdopen(fd, "w");
	if (!f) {
		close(fd);
		return 0;
	}
	ok = fn(f, obj) == 1;
	ok = fflush(f) == 0 && fsync(fileno(f)) == 0 && ok;
	return fclose(f) == 0 && ok;
}

static int cert_write_x509(FILE *f, void *x) { return PEM_write_X509(f, x); }

static int cert_write_key(FILE *f, void *k)
{
	return PEM_write_PrivateKey(f, k, NULL, NULL, 0, NULL, NULL);
}

int pgw_tls_make_self_signed(const char *cert_file, const char *key_file, mur_error *err)
{
	char why[256];
	EVP_PKEY *key;
	X509 *x = NULL;
	int rc = MUR_EIO;
	if (access(cert_file, F_OK) == 0)
		return MUR_EAGAIN;
	ERR_clear_error();
	key = EVP_EC_gen("P-256");
	if (key)
		x = cert_build(key);
	if (!key || !x) {
		mur_error_set(err, SQLSTATE_IO_ERROR, "could not make a TLS certificate: %s",
			      tls_reason(why, sizeof why));
		goto out;
	}
	unlink(key_file); /* a key without its certificate is of no use */
	if (!cert_write(key_file, 0600, cert_write_key, key) ||
	    !cert_write(cert_file, 0644, cert_write_x509, x)) {
		mur_error_set(err, SQLSTATE_IO_ERROR, "could not write %s and %s: %m", cert_file,
			      key_file);
		unlink(cert_file);
		goto out;
	}
	rc = MUR_OK;
out:
	X509_free(x);
	EVP_PKEY_free(key);
	return rc;
}
