/*
 * node_auth.c — the cluster-secret challenge-response of node_auth.h.
 * HMAC-SHA256 and the random nonces are OpenSSL's (through common/scram.h,
 * which already wraps them for SCRAM); proofs are compared with
 * CRYPTO_memcmp (constant time).
 */
#include "wire/node_auth.h"

#include "common/scram.h"

#include <openssl/crypto.h>
#include <string.h>

_Static_assert(NET_PROOF_BYTES == MUR_SCRAM_KEY_LEN, "a proof is one HMAC-SHA256");

/* The proved message: label | role | nonce_s | nonce_c | name | 0 | addr. */
#define NET_AUTH_MESSAGE_MAX (sizeof NET_AUTH_LABEL + 1 + 2 * NET_NONCE_BYTES + 2 * NET_NAME_MAX)

void net_auth_proof(const char *secret, char role, const uint8_t *server_nonce,
		    const uint8_t *client_nonce, const char *name, const char *addr,
		    uint8_t out[NET_PROOF_BYTES])
{
	char msg[NET_AUTH_MESSAGE_MAX];
	size_t n = 0, ln = strnlen(name, NET_NAME_MAX - 1), la = strnlen(addr, NET_NAME_MAX - 1);
	memcpy(msg, NET_AUTH_LABEL, sizeof NET_AUTH_LABEL); /* with its NUL */
	n += sizeof NET_AUTH_LABEL;
	msg[n++] = role;
	memcpy(msg + n, server_nonce, NET_NONCE_BYTES);
	n += NET_NONCE_BYTES;
	memcpy(msg + n, client_nonce, NET_NONCE_BYTES);
	n += NET_NONCE_BYTES;
	memcpy(msg + n, name, ln);
	n += ln;
	msg[n++] = '\0';
	memcpy(msg + n, addr, la);
	n += la;
	mur_scram_hmac((const uint8_t *)secret, strlen(secret), msg, n, out);
}

static int proof_ok(const char *secret, char role, const net_handshake *hs, const net_hello *h,
		    const uint8_t *proof)
{
	uint8_t want[NET_PROOF_BYTES];
	int ok;
	net_auth_proof(secret, role, hs->server_nonce, hs->client_nonce, h->name, h->addr, want);
	ok = CRYPTO_memcmp(want, proof, NET_PROOF_BYTES) == 0;
	OPENSSL_cleanse(want, sizeof want);
	return ok;
}

static int wrong_version(mur_error *err, uint32_t theirs)
{
	mur_error_set(err, SQLSTATE_PROTOCOL_VIOLATION,
		      "node protocol version %u is not supported (this node speaks %u)", theirs,
		      NET_PROTO_VERSION);
	return MUR_ERR;
}

int net_challenge_make(net_handshake *hs, mur_buf *b, mur_error *err)
{
	memset(hs, 0, sizeof *hs);
	if (mur_scram_random(hs->server_nonce, NET_NONCE_BYTES) != MUR_OK)
		return mur_error_set(err, SQLSTATE_IO_ERROR, "no random bytes for a nonce"),
		       MUR_EIO;
	net_challenge_encode(hs->server_nonce, b);
	return MUR_OK;
}

int net_hello_answer(net_handshake *hs, const net_hello *h, const char *p, size_t len, mur_buf *b,
		     mur_error *err)
{
	net_hello out = *h;
	uint32_t version;
	int rc = net_challenge_decode(p, len, &version, hs->server_nonce, err);
	if (rc != MUR_OK)
		return rc;
	if (version != NET_PROTO_VERSION)
		return wrong_version(err, version);
	if (mur_scram_random(hs->client_nonce, NET_NONCE_BYTES) != MUR_OK)
		return mur_error_set(err, SQLSTATE_IO_ERROR, "no random bytes for a nonce"),
		       MUR_EIO;
	out.version = NET_PROTO_VERSION;
	memcpy(out.nonce, hs->client_nonce, NET_NONCE_BYTES);
	net_auth_proof(h->secret, 'C', hs->server_nonce, hs->client_nonce, h->name, h->addr,
		       out.proof);
	net_hello_encode(&out, b);
	OPENSSL_cleanse(&out, sizeof out);
	return MUR_OK;
}

int net_hello_check(net_handshake *hs, const char *secret, const char *p, size_t len, net_hello *h,
		    mur_error *err)
{
	int rc = net_hello_decode(p, len, h, err);
	if (rc == MUR_ERR) /* a version we do not speak: say so */
		return wrong_version(err, h->version);
	if (rc != MUR_OK)
		return rc;
	memcpy(hs->client_nonce, h->nonce, NET_NONCE_BYTES);
	if (!proof_ok(secret, 'C', hs, h, h->proof)) {
		mur_error_set(err, SQLSTATE_INVALID_AUTHORIZATION,
			      "wrong cluster secret: copy the leader's DIR/cluster.secret into "
			      "the follower's data directory");
		return MUR_ERR;
	}
	return MUR_OK;
}

void net_welcome_make(const net_handshake *hs, const char *secret, const net_hello *h,
		      uint32_t node_id, mur_buf *b)
{
	uint8_t proof[NET_PROOF_BYTES];
	net_auth_proof(secret, 'S', hs->server_nonce, hs->client_nonce, h->name, h->addr, proof);
	net_welcome_encode(node_id, proof, b);
}

int net_welcome_check(const net_handshake *hs, const net_hello *h, const char *p, size_t len,
		      uint32_t *node_id, mur_error *err)
{
	uint8_t proof[NET_PROOF_BYTES];
	int rc = net_welcome_decode(p, len, node_id, proof, err);
	if (rc != MUR_OK)
		return rc;
	if (!proof_ok(h->secret, 'S', hs, h, proof)) {
		mur_error_set(err, SQLSTATE_INVALID_AUTHORIZATION,
			      "the node answering does not hold this cluster's secret");
		return MUR_ERR;
	}
	return MUR_OK;
}
