/*
 * scram.c — SCRAM-SHA-256 computations and message pieces (see scram.h
 * for the formulas and the exchange).  Hashes, HMAC, PBKDF2, base64 and
 * random bytes come from OpenSSL's libcrypto; this file only arranges
 * them as RFC 5802 and PostgreSQL's verifier format say.
 */
#include "common/scram.h"

#include "common/error.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>
#include <openssl/sha.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int mur_scram_random(uint8_t *out, size_t n)
{
	return RAND_bytes(out, (int)n) == 1 ? MUR_OK : MUR_EIO;
}

size_t mur_base64_encode(const uint8_t *in, size_t n, char *out)
{
	return (size_t)EVP_EncodeBlock((unsigned char *)out, in, (int)n);
}

int mur_base64_decode(const char *text, size_t len, uint8_t *out, size_t cap)
{
	unsigned char tmp[3 * (MUR_SCRAM_MESSAGE_MAX / 4)];
	int n, pad = 0;
	if (len == 0)
		return 0;
	if (len % 4 != 0 || len > MUR_SCRAM_MESSAGE_MAX)
		return -1;
	n = EVP_DecodeBlock(tmp, (const unsigned char *)text, (int)len);
	if (n < 0)
		return -1;
	if (text[len - 1] == '=')
		pad++;
	if (text[len - 2] == '=')
		pad++;
	n -= pad;
	if ((size_t)n > cap)
		return -1;
	memcpy(out, tmp, (size_t)n);
	return n;
}

void mur_scram_hmac(const uint8_t *key, size_t key_len, const char *a, size_t a_len,
		    uint8_t out[MUR_SCRAM_KEY_LEN])
{
	unsigned int n = MUR_SCRAM_KEY_LEN;
	HMAC(EVP_sha256(), key, (int)key_len, (const unsigned char *)a, a_len, out, &n);
}

int mur_scram_keys(const char *password, const uint8_t *salt, size_t salt_len, int iterations,
		   uint8_t client_key[MUR_SCRAM_KEY_LEN], uint8_t stored_key[MUR_SCRAM_KEY_LEN],
		   uint8_t server_key[MUR_SCRAM_KEY_LEN])
{
	uint8_t salted[MUR_SCRAM_KEY_LEN], ck[MUR_SCRAM_KEY_LEN];
	if (PKCS5_PBKDF2_HMAC(password, (int)strlen(password), salt, (int)salt_len, iterations,
			      EVP_sha256(), sizeof salted, salted) != 1)
		return MUR_ERR;
	mur_scram_hmac(salted, sizeof salted, "Client Key", 10, ck);
	if (client_key)
		memcpy(client_key, ck, sizeof ck);
	if (stored_key)
		SHA256(ck, sizeof ck, stored_key);
	if (server_key)
		mur_scram_hmac(salted, sizeof salted, "Server Key", 10, server_key);
	OPENSSL_cleanse(salted, sizeof salted);
	OPENSSL_cleanse(ck, sizeof ck);
	return MUR_OK;
}

int mur_scram_verifier_make_salted(const char *password, const uint8_t *salt, size_t salt_len,
				   int iterations, char *out, size_t cap)
{
	uint8_t stored[MUR_SCRAM_KEY_LEN], server[MUR_SCRAM_KEY_LEN];
	char salt64[4 * MUR_SCRAM_SALT_MAX / 3 + 8], st64[48], sv64[48];
	int n;
	if (salt_len > MUR_SCRAM_SALT_MAX ||
	    mur_scram_keys(password, salt, salt_len, iterations, NULL, stored, server) != MUR_OK)
		return MUR_ERR;
	mur_base64_encode(salt, salt_len, salt64);
	mur_base64_encode(stored, sizeof stored, st64);
	mur_base64_encode(server, sizeof server, sv64);
	n = snprintf(out, cap, "%s$%d:%s$%s:%s", MUR_SCRAM_MECHANISM, iterations, salt64, st64,
		     sv64);
	return n > 0 && (size_t)n < cap ? MUR_OK : MUR_ERR;
}

int mur_scram_verifier_make(const char *password, char *out, size_t cap)
{
	uint8_t salt[MUR_SCRAM_SALT_LEN];
	if (mur_scram_random(salt, sizeof salt) != MUR_OK)
		return MUR_EIO;
	return mur_scram_verifier_make_salted(password, salt, sizeof salt, MUR_SCRAM_ITERATIONS,
					      out, cap);
}

/* Decode the base64 text [s, end) into exactly want bytes (want 0: any
 * length up to cap, stored in *got). */
static int decode_part(const char *s, const char *end, uint8_t *out, size_t cap, size_t want,
		       size_t *got)
{
	int n = mur_base64_decode(s, (size_t)(end - s), out, cap);
	if (n <= 0 || (want && (size_t)n != want))
		return MUR_ERR;
	if (got)
		*got = (size_t)n;
	return MUR_OK;
}

int mur_scram_verifier_parse(const char *text, mur_scram_verifier *v)
{
	static const char prefix[] = MUR_SCRAM_MECHANISM "$";
	const char *p, *colon1, *dollar, *colon2, *end;
	char *iend;
	long it;
	if (!text || strncmp(text, prefix, sizeof prefix - 1) != 0)
		return MUR_ERR;
	p = text + sizeof prefix - 1;
	end = p + strlen(p);
	colon1 = strchr(p, ':');
	dollar = colon1 ? strchr(colon1, '$') : NULL;
	colon2 = dollar ? strchr(dollar, ':') : NULL;
	if (!colon2)
		return MUR_ERR;
	it = strtol(p, &iend, 10);
	if (iend != colon1 || it < 1 || it > MUR_SCRAM_ITERATIONS_MAX)
		return MUR_ERR;
	v->iterations = (int)it;
	if (decode_part(colon1 + 1, dollar, v->salt, sizeof v->salt, 0, &v->salt_len) != MUR_OK ||
	    decode_part(dollar + 1, colon2, v->stored_key, MUR_SCRAM_KEY_LEN, MUR_SCRAM_KEY_LEN,
			NULL) != MUR_OK ||
	    decode_part(colon2 + 1, end, v->server_key, MUR_SCRAM_KEY_LEN, MUR_SCRAM_KEY_LEN,
			NULL) != MUR_OK)
		return MUR_ERR;
	return MUR_OK;
}

int mur_scram_proof_ok(const mur_scram_verifier *v, const char *auth_message, size_t len,
		       const uint8_t proof[MUR_SCRAM_KEY_LEN])
{
	uint8_t sig[MUR_SCRAM_KEY_LEN], client_key[MUR_SCRAM_KEY_LEN], stored[MUR_SCRAM_KEY_LEN];
	mur_scram_hmac(v->stored_key, MUR_SCRAM_KEY_LEN, auth_message, len, sig);
	for (int i = 0; i < MUR_SCRAM_KEY_LEN; i++)
		client_key[i] = proof[i] ^ sig[i];
	SHA256(client_key, sizeof client_key, stored);
	return CRYPTO_memcmp(stored, v->stored_key, MUR_SCRAM_KEY_LEN) == 0;
}

int mur_scram_nonce(char *out, size_t cap)
{
	uint8_t raw[MUR_SCRAM_NONCE_RAW_LEN];
	if (cap < 4 * sizeof raw / 3 + 1 || mur_scram_random(raw, sizeof raw) != MUR_OK)
		return MUR_EIO;
	mur_base64_encode(raw, sizeof raw, out); /* 18 bytes: no padding, never ',' */
	return MUR_OK;
}

int mur_scram_attr(const char *msg, size_t len, char name, const char **value, size_t *vlen)
{
	const char *p = msg, *end = msg + len;
	while (p < end) {
		const char *comma = memchr(p, ',', (size_t)(end - p));
		const char *stop = comma ? comma : end;
		if (stop - p >= 2 && p[0] == name && p[1] == '=') {
			*value = p + 2;
			*vlen = (size_t)(stop - p - 2);
			return 1;
		}
		p = stop + 1;
	}
	return 0;
}

/* ---- Client ---------------------------------------------------------------- */

int mur_scram_client_first(mur_scram_client *sc, const char *password, const char *nonce, char *out,
			   size_t cap)
{
	int n;
	memset(sc, 0, sizeof *sc);
	if (snprintf(sc->password, sizeof sc->password, "%s", password) >= (int)sizeof sc->password)
		return MUR_ERR;
	if (nonce)
		snprintf(sc->nonce, sizeof sc->nonce, "%s", nonce);
	else if (mur_scram_nonce(sc->nonce, sizeof sc->nonce) != MUR_OK)
		return MUR_EIO;
	/* PostgreSQL takes the user from the startup packet: n= stays empty */
	snprintf(sc->first_bare, sizeof sc->first_bare, "n=,r=%s", sc->nonce);
	n = snprintf(out, cap, "n,,%s", sc->first_bare);
	return n > 0 && (size_t)n < cap ? MUR_OK : MUR_ERR;
}

/* The salt and iteration count of a server-first message, after checking
 * that its nonce extends ours. */
static int client_read_first(const mur_scram_client *sc, const char *msg, size_t len,
			     const char **nonce, size_t *nonce_len, uint8_t *salt, size_t *salt_len,
			     int *iterations)
{
	const char *s, *i;
	size_t slen, ilen, cn = strlen(sc->nonce);
	char ibuf[16];
	int n;
	if (!mur_scram_attr(msg, len, 'r', nonce, nonce_len) ||
	    !mur_scram_attr(msg, len, 's', &s, &slen) || !mur_scram_attr(msg, len, 'i', &i, &ilen))
		return MUR_EPROTO;
	if (*nonce_len <= cn || memcmp(*nonce, sc->nonce, cn) != 0 || ilen == 0 ||
	    ilen >= sizeof ibuf)
		return MUR_EPROTO;
	memcpy(ibuf, i, ilen);
	ibuf[ilen] = 0;
	*iterations = atoi(ibuf);
	n = mur_base64_decode(s, slen, salt, MUR_SCRAM_SALT_MAX);
	if (n <= 0 || *iterations < 1 || *iterations > MUR_SCRAM_ITERATIONS_MAX)
		return MUR_EPROTO;
	*salt_len = (size_t)n;
	return MUR_OK;
}

int mur_scram_client_final(mur_scram_client *sc, const char *server_first, size_t len, char *out,
			   size_t cap)
{
	const char *nonce;
	size_t nonce_len, salt_len;
	uint8_t salt[MUR_SCRAM_SALT_MAX], client_key[MUR_SCRAM_KEY_LEN], stored[MUR_SCRAM_KEY_LEN],
		sig[MUR_SCRAM_KEY_LEN], proof[MUR_SCRAM_KEY_LEN];
	char without_proof[MUR_SCRAM_MESSAGE_MAX], proof64[48];
	int iterations, n;

	if (len >= MUR_SCRAM_MESSAGE_MAX ||
	    client_read_first(sc, server_first, len, &nonce, &nonce_len, salt, &salt_len,
			      &iterations) != MUR_OK)
		return MUR_EPROTO;
	if (mur_scram_keys(sc->password, salt, salt_len, iterations, client_key, stored,
			   sc->server_key) != MUR_OK)
		return MUR_ERR;
	n = snprintf(without_proof, sizeof without_proof, "c=biws,r=%.*s", (int)nonce_len, nonce);
	if (n <= 0 || (size_t)n >= sizeof without_proof)
		return MUR_EPROTO;
	n = snprintf(sc->auth_message, sizeof sc->auth_message, "%s,%.*s,%s", sc->first_bare,
		     (int)len, server_first, without_proof);
	if (n <= 0 || (size_t)n >= sizeof sc->auth_message)
		return MUR_EPROTO;
	mur_scram_hmac(stored, sizeof stored, sc->auth_message, (size_t)n, sig);
	for (int k = 0; k < MUR_SCRAM_KEY_LEN; k++)
		proof[k] = client_key[k] ^ sig[k];
	mur_base64_encode(proof, sizeof proof, proof64);
	OPENSSL_cleanse(client_key, sizeof client_key);
	n = snprintf(out, cap, "%s,p=%s", without_proof, proof64);
	return n > 0 && (size_t)n < cap ? MUR_OK : MUR_ERR;
}

int mur_scram_client_check(const mur_scram_client *sc, const char *server_final, size_t len)
{
	const char *v;
	size_t vlen;
	uint8_t want[MUR_SCRAM_KEY_LEN], got[MUR_SCRAM_KEY_LEN];
	if (!mur_scram_attr(server_final, len, 'v', &v, &vlen) ||
	    mur_base64_decode(v, vlen, got, sizeof got) != MUR_SCRAM_KEY_LEN)
		return MUR_EPROTO;
	mur_scram_hmac(sc->server_key, sizeof sc->server_key, sc->auth_message,
		       strlen(sc->auth_message), want);
	return CRYPTO_memcmp(want, got, sizeof want) == 0 ? MUR_OK : MUR_EPROTO;
}
