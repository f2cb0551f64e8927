/*
 * node_auth.h — how two murphy nodes prove to each other that they hold
 * the cluster secret without ever sending it: a challenge-response with
 * HMAC-SHA256 keyed by the secret (OpenSSL's libcrypto), both ways.
 *
 * On every node connection (follower → leader, fetcher → source, shuffle
 * sender → owner):
 *
 *   connecting side (client)                accepting side (server)
 *                       ◄──────── CHALLENGE  u32 version | nonce_s (32 random bytes)
 *      HELLO ──────────────────────────────►  u32 version | nonce_c | proof_c |
 *                                             str name | str addr
 *                                             proof_c checked (constant time)
 *            ◄──────── WELCOME (or REFUSED)   u32 node id | proof_s
 *      proof_s checked before anything
 *      else is believed
 *
 *   proof_c = HMAC-SHA256(secret, NET_AUTH_LABEL | 'C' | nonce_s | nonce_c | name | 0 | addr)
 *   proof_s = HMAC-SHA256(secret, NET_AUTH_LABEL | 'S' | nonce_s | nonce_c | name | 0 | addr)
 *
 * Each side's fresh nonce makes every proof single-use (a recorded HELLO
 * or WELCOME is useless on another connection); the role byte keeps a
 * server from reflecting a client's proof back.  What crosses the network
 * reveals nothing usable about a 256-bit random secret.  Nodes do not
 * encrypt their traffic (docs/decisions.md): this authenticates the
 * peers, it does not hide the frames that follow.
 *
 * The connecting side keeps a net_handshake per connection (the two
 * nonces); the accepting side too.  Errors: MUR_EPROTO for a malformed
 * frame (close), MUR_ERR for a well-formed one that fails (refuse; err
 * says why: protocol version, wrong cluster secret), MUR_EIO when no
 * random bytes could be had.
 */
#ifndef WIRE_NODE_AUTH_H
#define WIRE_NODE_AUTH_H

#include "common/buf.h"
#include "common/error.h"
#include "wire/proto.h"

#include <stddef.h>
#include <stdint.h>

/* Domain separation of the proofs: a protocol version's own label. */
#define NET_AUTH_LABEL "murphy node auth v3"

typedef struct net_handshake {
	uint8_t server_nonce[NET_NONCE_BYTES];
	uint8_t client_nonce[NET_NONCE_BYTES];
} net_handshake;

/* Server, at accept: a fresh nonce_s into hs and the CHALLENGE payload
 * into b.  MUR_OK or MUR_EIO. */
int net_challenge_make(net_handshake *hs, mur_buf *b, mur_error *err);
/* Client, CHALLENGE arrived: check its version, pick nonce_c, prove h's
 * secret and put the HELLO payload into b (h->secret is never written). */
int net_hello_answer(net_handshake *hs, const net_hello *h, const char *p, size_t len, mur_buf *b,
		     mur_error *err);
/* Server, HELLO arrived: decode it into h and check version and proof
 * against secret (on success hs has nonce_c).  MUR_OK, MUR_ERR (refuse),
 * MUR_EPROTO (malformed). */
int net_hello_check(net_handshake *hs, const char *secret, const char *p, size_t len, net_hello *h,
		    mur_error *err);
/* Server, after net_hello_check: the WELCOME payload for node_id. */
void net_welcome_make(const net_handshake *hs, const char *secret, const net_hello *h,
		      uint32_t node_id, mur_buf *b);
/* Client, WELCOME arrived: check the server's proof; *node_id.  MUR_OK,
 * MUR_ERR (the server does not hold the secret), MUR_EPROTO. */
int net_welcome_check(const net_handshake *hs, const net_hello *h, const char *p, size_t len,
		      uint32_t *node_id, mur_error *err);

/* The proofs themselves (role 'C' or 'S'); exposed for the unit tests. */
void net_auth_proof(const char *secret, char role, const uint8_t *server_nonce,
		    const uint8_t *client_nonce, const char *name, const char *addr,
		    uint8_t out[NET_PROOF_BYTES]);

#endif
