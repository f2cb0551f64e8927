/*
 * scram.h — SCRAM-SHA-256 (RFC 5802, RFC 7677) as PostgreSQL uses it:
 * the stored verifier, the keys and proofs, and the messages of both
 * sides.  The cryptography is OpenSSL's libcrypto (SHA-256, HMAC, PBKDF2,
 * the random source); nothing here hashes by hand.
 *
 * Verifier (what the catalog keeps instead of a password), PostgreSQL's
 * text form, so a verifier moves between the two unchanged:
 *
 *   SCRAM-SHA-256$<iterations>:<base64 salt>$<base64 StoredKey>:<base64 ServerKey>
 *
 *   SaltedPassword = PBKDF2-HMAC-SHA-256(password, salt, iterations)
 *   ClientKey = HMAC(SaltedPassword, "Client Key"), StoredKey = H(ClientKey)
 *   ServerKey = HMAC(SaltedPassword, "Server Key")
 *
 * The exchange (no channel binding: murphy has no TLS yet, so the client
 * sends gs2 header "n,,", c=biws):
 *
 *   client-first  n,,n=<user>,r=<client nonce>
 *   server-first  r=<client nonce><server nonce>,s=<salt>,i=<iterations>
 *   client-final  c=biws,r=<nonce>,p=<base64 ClientProof>
 *   server-final  v=<base64 ServerSignature>
 *
 *   AuthMessage = client-first-bare "," server-first "," client-final-without-proof
 *   ClientProof = ClientKey XOR HMAC(StoredKey, AuthMessage)
 *   ServerSignature = HMAC(ServerKey, AuthMessage)
 *
 * The server (pgwire/pgw_auth.c) proves the client knows ClientKey by
 * recomputing StoredKey from the proof; the client (cli/pgclient.c) checks
 * ServerSignature, so a server without the verifier cannot pretend.
 *
 * Passwords are used as given (PostgreSQL applies SASLprep first; for
 * ASCII passwords that changes nothing).  Every function is pure except
 * the random ones; no heap memory is kept.
 */
#ifndef MUR_SCRAM_H
#define MUR_SCRAM_H

#include <stddef.h>
#include <stdint.h>

#define MUR_SCRAM_MECHANISM "SCRAM-SHA-256"
#define MUR_SCRAM_KEY_LEN 32 /* SHA-256 output */
/* PostgreSQL's defaults (scram_iterations, SCRAM_DEFAULT_SALT_LEN). */
#define MUR_SCRAM_ITERATIONS 4096
#define MUR_SCRAM_SALT_LEN 16
/* A verifier's salt may be longer than ours (one made by PostgreSQL or a
 * client's \password); beyond this it is refused as malformed. */
#define MUR_SCRAM_SALT_MAX 64
/* Iterations accepted in a verifier: PBKDF2's cost runs on the loop
 * thread at each login, so a verifier asking for more is refused. */
#define MUR_SCRAM_ITERATIONS_MAX 100000
/* Random bytes of a nonce (PostgreSQL: SCRAM_RAW_NONCE_LEN, 18 → 24
 * base64 characters). */
#define MUR_SCRAM_NONCE_RAW_LEN 18
/* Longest text form of a verifier (a 64-byte salt, two keys). */
#define MUR_SCRAM_VERIFIER_MAX 256
/* Longest SCRAM message either side accepts or builds: user names and
 * nonces are short; a longer message is malformed. */
#define MUR_SCRAM_MESSAGE_MAX 1024

typedef struct mur_scram_verifier {
	int iterations;
	uint8_t salt[MUR_SCRAM_SALT_MAX];
	size_t salt_len;
	uint8_t stored_key[MUR_SCRAM_KEY_LEN];
	uint8_t server_key[MUR_SCRAM_KEY_LEN];
} mur_scram_verifier;

/* n random bytes from OpenSSL's generator.  MUR_OK or MUR_EIO. */
int mur_scram_random(uint8_t *out, size_t n);

/* Base64 (RFC 4648, padded).  encode: out holds at least 4*ceil(n/3)+1
 * bytes; returns the length written (NUL-terminated).  decode: returns
 * the number of bytes written to out (at most cap), or -1 when text is
 * not base64 or does not fit. */
size_t mur_base64_encode(const uint8_t *in, size_t n, char *out);
int mur_base64_decode(const char *text, size_t len, uint8_t *out, size_t cap);

/* The keys of a password (see the header): any of the outputs may be
 * NULL.  MUR_OK, or MUR_ERR when libcrypto fails. */
int mur_scram_keys(const char *password, const uint8_t *salt, size_t salt_len, int iterations,
		   uint8_t client_key[MUR_SCRAM_KEY_LEN], uint8_t stored_key[MUR_SCRAM_KEY_LEN],
		   uint8_t server_key[MUR_SCRAM_KEY_LEN]);

/* The text verifier of password into out (cap >= MUR_SCRAM_VERIFIER_MAX)
 * with a fresh random salt of MUR_SCRAM_SALT_LEN bytes and
 * MUR_SCRAM_ITERATIONS.  MUR_OK, MUR_EIO (no random bytes) or MUR_ERR. */
int mur_scram_verifier_make(const char *password, char *out, size_t cap);
/* The same with a given salt and iteration count (tests, mock users). */
int mur_scram_verifier_make_salted(const char *password, const uint8_t *salt, size_t salt_len,
				   int iterations, char *out, size_t cap);
/* Parse a text verifier.  MUR_OK, or MUR_ERR when text is not one (or
 * its salt or iterations are out of bounds). */
int mur_scram_verifier_parse(const char *text, mur_scram_verifier *v);

/* out = HMAC-SHA-256(key, a[0..a_len)). */
void mur_scram_hmac(const uint8_t *key, size_t key_len, const char *a, size_t a_len,
		    uint8_t out[MUR_SCRAM_KEY_LEN]);

/* The server's check of a client proof over auth_message: 1 when the
 * proof comes from the password behind v (compared in constant time),
 * 0 otherwise. */
int mur_scram_proof_ok(const mur_scram_verifier *v, const char *auth_message, size_t len,
		       const uint8_t proof[MUR_SCRAM_KEY_LEN]);

/* A fresh nonce: MUR_SCRAM_NONCE_RAW_LEN random bytes in base64 (never
 * a ','), NUL-terminated; out holds at least 32 bytes.  MUR_OK/MUR_EIO. */
int mur_scram_nonce(char *out, size_t cap);

/* Find attribute `name` (one letter) in a SCRAM message of
 * comma-separated "x=value" pieces; *value and *vlen point into msg.
 * Returns 1 when found. */
int mur_scram_attr(const char *msg, size_t len, char name, const char **value, size_t *vlen);

/* ---- The client side (the murphy CLI's own connections) ---------------- */

typedef struct mur_scram_client {
	char password[256];
	char nonce[40];
	char first_bare[MUR_SCRAM_MESSAGE_MAX]; /* n=,r=<nonce> */
	char auth_message[3 * MUR_SCRAM_MESSAGE_MAX];
	uint8_t server_key[MUR_SCRAM_KEY_LEN];
} mur_scram_client;

/* Start: out = client-first message (NUL-terminated).  nonce NULL: a
 * random one.  MUR_OK, MUR_EIO or MUR_ERR (too long). */
int mur_scram_client_first(mur_scram_client *sc, const char *password, const char *nonce, char *out,
			   size_t cap);
/* server-first in → client-final out.  MUR_OK, or MUR_EPROTO when the
 * server's message is malformed or does not extend our nonce. */
int mur_scram_client_final(mur_scram_client *sc, const char *server_first, size_t len, char *out,
			   size_t cap);
/* server-final: MUR_OK when its signature proves the server knows the
 * verifier, MUR_EPROTO otherwise. */
int mur_scram_client_check(const mur_scram_client *sc, const char *server_final, size_t len);

#endif
