/*
 * pgw_tls.c — client TLS (see pgw_tls.h): the server side of common/tls.c
 * (OpenSSL on memory BIOs, shared with the node transport) without client
 * certificates, plus what only PostgreSQL clients need: the plaintext
 * collected into a mur_buf, the handshake's outcome for pg_stat_ssl and
 * the certificate hash for SCRAM channel binding, and the self-signed
 * certificate `murphy local` makes.
 *
 * All cryptography is OpenSSL's; nothing here is hand-written.
 */
#include "pgwire/pgw_tls.h"

#include <openssl/evp.h>
#include <openssl/objects.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

int pgw_tls_ctx_load(const char *cert_file, const char *key_file, pgw_tls_ctx **out, mur_error *err)
{
	return mur_tls_ctx_load(cert_file, key_file, NULL, out, err);
}

void pgw_tls_ctx_free(pgw_tls_ctx *ctx) { mur_tls_ctx_free(ctx); }

pgw_tls *pgw_tls_new(pgw_tls_ctx *ctx) { return mur_tls_new(ctx, 1); }

void pgw_tls_free(pgw_tls *t) { mur_tls_free(t); }

int pgw_tls_established(const pgw_tls *t) { return mur_tls_established(t); }

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
	SSL *ssl = mur_tls_ssl(t);
	const SSL_CIPHER *c = SSL_get_current_cipher(ssl);
	info->version = SSL_get_version(ssl);
	info->cipher = c ? SSL_CIPHER_get_name(c) : NULL;
	info->bits = c ? SSL_CIPHER_get_bits(c, NULL) : 0;
	info->cert_hash_len = cert_hash(ssl, info->cert_hash, sizeof info->cert_hash);
}

int pgw_tls_recv(pgw_tls *t, const char *data, size_t len, mur_buf *plain, mur_error *err)
{
	char chunk[MUR_TLS_READ_CHUNK];
	size_t n;
	if (mur_tls_feed(t, data, len, err) != MUR_OK)
		return MUR_EPROTO;
	for (;;) {
		if (mur_tls_read(t, chunk, sizeof chunk, &n, err) != MUR_OK)
			return MUR_EPROTO;
		if (n == 0)
			return MUR_OK;
		mur_buf_put(plain, chunk, n);
	}
}

int pgw_tls_send(pgw_tls *t, const char *data, size_t len, mur_error *err)
{
	return mur_tls_write(t, data, len, err);
}

char *pgw_tls_take_output(pgw_tls *t, size_t *len) { return mur_tls_take_output(t, len); }

int pgw_tls_make_self_signed(const char *cert_file, const char *key_file, mur_error *err)
{
	static const mur_tls_cert_spec spec = {.cn = "localhost",
					       .org = "murphy local",
					       .san = "DNS:localhost,IP:127.0.0.1",
					       .ca = 1};
	return mur_tls_make_cert(cert_file, key_file, &spec, err);
}
