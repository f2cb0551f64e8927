/*
 * pgw_tls.h — TLS for PostgreSQL clients, with OpenSSL's libssl on memory
 * BIOs, so that it runs on the libuv loop without blocking: the owner
 * (pgw_server.c) feeds the bytes it read from the socket into
 * pgw_tls_recv, which runs the handshake and hands back the plaintext
 * the client sent; plaintext for the client goes into pgw_tls_send, and
 * whatever TLS wants on the wire (handshake records, encrypted data,
 * alerts) is taken with pgw_tls_take_output and written as any output.
 *
 *   client ──SSLRequest──► pgw_conn answers 'S' (plaintext, the last byte
 *                          in clear) ──► owner: pgw_tls_new; from then on
 *   socket bytes ─► pgw_tls_recv ─► plaintext ─► pgw_conn_feed
 *   pgw_conn_take_output ─► pgw_tls_send ─► pgw_tls_take_output ─► socket
 *
 * A handshake failure or bytes that are not TLS make pgw_tls_recv return
 * MUR_EPROTO: the owner sends what is pending (an alert) and closes that
 * connection only.  A client that stalls in the handshake is still in
 * startup and is closed by the startup timeout (pgw_server.h).
 *
 * Certificates (pgw_tls_ctx_load): a PEM certificate chain and its PEM
 * private key, as PostgreSQL's ssl_cert_file / ssl_key_file; TLS 1.2 at
 * least, no renegotiation.  pgw_tls_make_self_signed writes a fresh
 * self-signed pair (EC P-256, CN=localhost, SAN DNS:localhost and
 * IP:127.0.0.1) for `murphy local`: a client verifies it with
 * sslmode=verify-full sslrootcert=<the certificate>.
 */
#ifndef PGW_TLS_H
#define PGW_TLS_H

#include "common/buf.h"
#include "common/error.h"
#include "common/tls.h"
#include "pgwire/pgw_engine.h"

#include <stddef.h>

/* Names of the pair in a leader's data directory: used when the leader
 * has no --tls-cert/--tls-key (PostgreSQL's defaults are the same). */
#define PGW_TLS_CERT_FILE "server.crt"
#define PGW_TLS_KEY_FILE "server.key"
/* Validity of a certificate pgw_tls_make_self_signed makes: ten years, a
 * local cluster's lifetime; a user's own certificate has its own. */
#define PGW_TLS_SELF_SIGNED_DAYS MUR_TLS_CERT_DAYS

/* The OpenSSL glue is common/tls.c's (shared with the node transport):
 * these are its objects, used server side without client certificates. */
typedef struct mur_tls_ctx pgw_tls_ctx;
typedef struct mur_tls pgw_tls;

/* Load cert_file (PEM chain) and key_file (PEM key) and check that they
 * match.  MUR_OK with *out, or MUR_EIO with err saying which file and
 * OpenSSL's reason.  A key others may read is refused, as PostgreSQL
 * refuses it: mode 0600 or less (0640 when root owns it). */
int pgw_tls_ctx_load(const char *cert_file, const char *key_file, pgw_tls_ctx **out,
		     mur_error *err);
void pgw_tls_ctx_free(pgw_tls_ctx *ctx);

/* One connection's TLS server side; NULL when out of memory.  ctx must
 * outlive it. */
pgw_tls *pgw_tls_new(pgw_tls_ctx *ctx);
void pgw_tls_free(pgw_tls *t);

/* Bytes read from the socket: continue the handshake and append the
 * plaintext that arrived to plain.  MUR_OK, or MUR_EPROTO when the
 * handshake failed, the bytes are not TLS or the client ended TLS
 * (close_notify): err says why; log it, send pgw_tls_take_output, close. */
int pgw_tls_recv(pgw_tls *t, const char *data, size_t len, mur_buf *plain, mur_error *err);
/* Encrypt plaintext for the client (after the handshake: the connection
 * only answers what arrived through pgw_tls_recv).  MUR_OK or MUR_EPROTO. */
int pgw_tls_send(pgw_tls *t, const char *data, size_t len, mur_error *err);
/* The bytes TLS wants written (malloc'd, the caller frees), NULL when
 * none; *len their length. */
char *pgw_tls_take_output(pgw_tls *t, size_t *len);
/* 1 once the handshake completed. */
int pgw_tls_established(const pgw_tls *t);
/* After the handshake: the version and cipher it chose (static strings). */
void pgw_tls_get_info(const pgw_tls *t, pgw_tls_info *info);

/* Write a new self-signed certificate and its key (0600) to cert_file and
 * key_file, replacing nothing: MUR_EAGAIN when cert_file exists.  MUR_OK
 * or MUR_EIO with err. */
int pgw_tls_make_self_signed(const char *cert_file, const char *key_file, mur_error *err);

#endif
