/*
 * tls.h — OpenSSL's libssl on memory BIOs: TLS that never blocks and never
 * touches a socket, so it runs on a libuv loop.  The owner feeds the bytes
 * it read from the socket into mur_tls_feed, takes plaintext out with
 * mur_tls_read, puts plaintext in with mur_tls_write, and writes whatever
 * TLS wants on the wire (handshake records, encrypted data, alerts) after
 * taking it with mur_tls_take_output — after every feed, read and write.
 *
 * Used by the client listener (pgwire/pgw_tls.c: server side, no client
 * certificates) and by the node transport (net/net.c: both sides, mutual
 * certificate authentication against the cluster CA, mur_tls_ctx_load with
 * a ca_file).  All cryptography is OpenSSL's; nothing here is hand-written.
 *
 * Contexts: TLS 1.2 at least, no renegotiation, no compression, OpenSSL's
 * default ciphers.  A context serves both roles (mur_tls_new's server
 * flag).  With a ca_file every peer, client or server, must present a
 * certificate that chains to it (SSL_VERIFY_PEER |
 * SSL_VERIFY_FAIL_IF_NO_PEER_CERT); no host name is checked — the CA is the
 * cluster's own, and a certificate it signed is what makes a node.
 *
 * Errors: MUR_EIO with err naming the file and OpenSSL's reason (loading);
 * MUR_EPROTO with err for a failed handshake, bytes that are not TLS, or a
 * peer that ended TLS.
 */
#ifndef MUR_TLS_H
#define MUR_TLS_H

#include "common/error.h"

#include <stddef.h>

/* Plaintext taken from SSL_read per call (a TLS record is at most 16 KiB). */
#define MUR_TLS_READ_CHUNK 16384

typedef struct mur_tls_ctx mur_tls_ctx;
typedef struct mur_tls mur_tls;
struct ssl_st;

/* Load cert_file (PEM chain) and key_file (PEM key) and check they match;
 * with ca_file (PEM), peers must present a certificate signed by it.  A
 * key others may read is refused, as PostgreSQL refuses it: mode 0600 or
 * less (0640 when root owns it).  MUR_OK with *out, or MUR_EIO. */
int mur_tls_ctx_load(const char *cert_file, const char *key_file, const char *ca_file,
		     mur_tls_ctx **out, mur_error *err);
void mur_tls_ctx_free(mur_tls_ctx *ctx);

/* One connection's TLS, the server side when server, else the client
 * side; NULL when out of memory.  ctx must outlive it. */
mur_tls *mur_tls_new(mur_tls_ctx *ctx, int server);
void mur_tls_free(mur_tls *t);

/* Bytes read from the socket.  MUR_OK, or MUR_EPROTO (out of memory). */
int mur_tls_feed(mur_tls *t, const char *data, size_t len, mur_error *err);
/* Run the handshake as far as the bytes fed allow (a client's first call
 * makes its ClientHello).  MUR_OK once established, MUR_EAGAIN when it
 * needs more bytes, MUR_EPROTO when it failed (err says why: e.g. the
 * peer's certificate is not the CA's; send the output: it holds an alert). */
int mur_tls_handshake(mur_tls *t, mur_error *err);
/* Plaintext that arrived, up to cap bytes, into buf: *n > 0 bytes, or
 * *n == 0 when TLS needs more bytes.  Runs the handshake first when it is
 * not done.  MUR_OK, or MUR_EPROTO (error, or the peer ended TLS). */
int mur_tls_read(mur_tls *t, char *buf, size_t cap, size_t *n, mur_error *err);
/* Encrypt len bytes into the output (established connections only).
 * MUR_OK or MUR_EPROTO. */
int mur_tls_write(mur_tls *t, const char *data, size_t len, mur_error *err);
/* Bytes TLS has queued for the wire. */
size_t mur_tls_output_len(const mur_tls *t);
/* Move up to cap queued output bytes into buf; the count. */
size_t mur_tls_output_take(mur_tls *t, char *buf, size_t cap);
/* All queued output as a malloc'd block (the caller frees), NULL when
 * none or out of memory; *len its length. */
char *mur_tls_take_output(mur_tls *t, size_t *len);
/* 1 once the handshake completed. */
int mur_tls_established(const mur_tls *t);
/* Client side, before the handshake, with a context that has a CA: the
 * session last made with the peer called key (its address) is offered for
 * resumption — a TLS 1.3 resumption with a fresh ECDHE but no certificate
 * signatures, the certificates checked when the session was made — and
 * the session this connection makes is kept for key.  ctx is t's. */
#define MUR_TLS_PEER_KEY_MAX 128
void mur_tls_resume_key(mur_tls *t, mur_tls_ctx *ctx, const char *key);
/* 1 when the handshake resumed a session. */
int mur_tls_resumed(const mur_tls *t);
/* OpenSSL's most recent error as text into buf ("no reason given" when
 * its queue is empty); clears the queue. */
const char *mur_tls_reason(char *buf, size_t size);
/* The OpenSSL object, for what only a caller needs (channel binding). */
struct ssl_st *mur_tls_ssl(const mur_tls *t);

/* ---- certificates (tls_cert.c) ------------------------------------------ */

/* A node's TLS files in its data directory (node/node_tls.h's defaults;
 * `murphy local` makes them), and the cluster CA's key beside the node
 * directories of a local cluster. */
#define MUR_NODE_TLS_CERT_FILE "node.crt"
#define MUR_NODE_TLS_KEY_FILE "node.key"
#define MUR_NODE_TLS_CA_FILE "node-ca.crt"
#define MUR_NODE_TLS_CA_KEY_FILE "node-ca.key"

/* Validity of a certificate mur_tls_make_cert makes: ten years, a local
 * cluster's lifetime; a user's own certificates have their own. */
#define MUR_TLS_CERT_DAYS 3650

typedef struct mur_tls_cert_spec {
	const char *cn;  /* subject CN (required) */
	const char *org; /* subject O, or NULL */
	const char *san; /* subjectAltName ("DNS:localhost,IP:127.0.0.1"), or NULL */
	int ca;          /* 1: CA:TRUE (a root that may sign others) */
	const char *issuer_cert, *issuer_key; /* PEM files of the signer; NULL: self-signed */
} mur_tls_cert_spec;

/* A fresh EC P-256 key (key_file, 0600) and its certificate (cert_file,
 * 0644) as spec says, replacing nothing: MUR_EAGAIN when cert_file exists.
 * MUR_OK, or MUR_EIO with err. */
int mur_tls_make_cert(const char *cert_file, const char *key_file, const mur_tls_cert_spec *spec,
		      mur_error *err);

#endif
