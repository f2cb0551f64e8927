/*
 * net_tls.h — TLS under the node transport's frames (net.c's private
 * helper; the switch is net_tls_use in net.h).  One net_tls per TCP
 * connection wraps common/tls.c (OpenSSL on memory BIOs: nothing blocks
 * the loop) and adds what a framed transport needs:
 *
 *   socket bytes ─► net_tls_recv ─► plaintext chunks ─► net.c's parse()
 *   net.c's write blocks ─► net_tls_send ─► ciphertext ─► net_tls_take ─► socket
 *
 * Frames sent before the handshake completes (the accepting node's
 * CHALLENGE goes out at accept) are held as plaintext, at most
 * NET_TLS_HELD_MAX bytes, and encrypted the moment it completes.  Fault
 * injection, framing, limits and timeouts stay in net.c above this layer:
 * they see frames, never records.
 */
#ifndef NET_TLS_H
#define NET_TLS_H

#include "common/error.h"
#include "common/tls.h"

#include <stddef.h>

/* Plaintext held before the handshake completes: the node handshake
 * (CHALLENGE, HELLO) is a few hundred bytes; more is a misuse. */
#define NET_TLS_HELD_MAX ((size_t)1 << 20)

typedef struct net_tls net_tls;

/* Process-wide context (net_tls_use), NULL when node TLS is off. */
mur_tls_ctx *net_tls_ctx(void);
/* A connection's TLS: the server side when peer is NULL (accepted), else
 * the client side, offering the session last made with peer (its address:
 * mur_tls_resume_key); NULL on OOM.  A client starts its handshake at once
 * (its ClientHello waits in the output). */
net_tls *net_tls_new(mur_tls_ctx *ctx, const char *peer);
/* 0 handshake not done, 1 done, 2 done by resuming a session. */
int net_tls_state(const net_tls *t);
void net_tls_free(net_tls *t);

/* Bytes read from the socket: each run of plaintext that arrived goes to
 * on_plain(arg, p, n) (p valid during the call); stops early when
 * on_plain returns nonzero (the conn closed).  MUR_OK, or MUR_EPROTO with
 * err (handshake failed, peer certificate refused, not TLS). */
int net_tls_recv(net_tls *t, const char *data, size_t len,
		 int (*on_plain)(void *arg, const char *p, size_t n), void *arg, mur_error *err);
/* Plaintext to send (held until the handshake completes).  MUR_OK or
 * MUR_EPROTO. */
int net_tls_send(net_tls *t, const char *data, size_t len, mur_error *err);
/* Ciphertext waiting for the socket. */
size_t net_tls_pending(const net_tls *t);
/* Move up to cap bytes of it into buf; the count. */
size_t net_tls_take(net_tls *t, char *buf, size_t cap);

#endif
