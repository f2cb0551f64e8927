/*
 * pgw_auth.c — SCRAM-SHA-256 authentication at startup: the server's half
 * of the exchange (pgw_auth.h, the formulas in common/scram.h) and its
 * messages on a connection.
 *
 * Flow on a connection (state PGW_CONN_AUTH, pgw_conn.h):
 *   pgw_auth_begin    the engine's auth_lookup says TRUST → startup goes
 *                     on (pgw_conn_startup_finish); SCRAM → send
 *                     AuthenticationSASL ("SCRAM-SHA-256", and first
 *                     "SCRAM-SHA-256-PLUS" on a TLS connection: channel
 *                     binding to the certificate, tls-server-end-point)
 *   pgw_auth_message  SASLInitialResponse → SASLContinue (server-first);
 *                     SASLResponse → SASLFinal (server-final), then
 *                     startup goes on; anything else, a malformed message
 *                     or a wrong proof: FATAL and CLOSED
 * A wrong password, an unknown user and a user who cannot log in by
 * password all end in the same FATAL 28P01 "password authentication
 * failed for user ...".
 */
#include "pgwire/pgw_auth.h"
#include "pgwire/pgw_conn_int.h"

#include "common/log.h"

#include <openssl/crypto.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* AuthenticationSASL / SASLContinue / SASLFinal codes of the 'R' message. */
#define PGW_AUTH_SASL 10
#define PGW_AUTH_SASL_CONTINUE 11
#define PGW_AUTH_SASL_FINAL 12

/* ---- The exchange ----------------------------------------------------- */

/* The mock salt of a user without a verifier: HMAC(process secret, user),
 * stable across tries so a prober sees what a real user shows. */
static int mock_verifier(pgw_scram_server *s, const char *user)
{
	static uint8_t secret[MUR_SCRAM_KEY_LEN];
	static int have_secret;
	uint8_t salt[MUR_SCRAM_KEY_LEN];
	if (!have_secret) {
		if (mur_scram_random(secret, sizeof secret) != MUR_OK)
			return MUR_EIO;
		have_secret = 1;
	}
	mur_scram_hmac(secret, sizeof secret, user, strlen(user), salt);
	memset(&s->v, 0, sizeof s->v);
	s->v.iterations = MUR_SCRAM_ITERATIONS;
	memcpy(s->v.salt, salt, MUR_SCRAM_SALT_LEN);
	s->v.salt_len = MUR_SCRAM_SALT_LEN;
	s->doomed = 1;
	return MUR_OK;
}

int pgw_scram_server_init(pgw_scram_server *s, const char *user, const char *verifier)
{
	memset(s, 0, sizeof *s);
	s->state = PGW_SCRAM_FIRST;
	if (verifier && mur_scram_verifier_parse(verifier, &s->v) == MUR_OK)
		return MUR_OK;
	return mock_verifier(s, user);
}

static int scram_fail(pgw_scram_server *s, mur_error *err, const char *sqlstate, const char *what)
{
	s->state = PGW_SCRAM_FAILED;
	mur_error_set(err, sqlstate, "malformed SCRAM message: %s", what);
	return MUR_EPROTO;
}

void pgw_scram_server_offer_plus(pgw_scram_server *s, const unsigned char *data, int len)
{
	if (len <= 0 || len > PGW_SCRAM_CBIND_MAX)
		return;
	memcpy(s->cbind, data, (size_t)len);
	s->cbind_len = len;
}

int pgw_scram_server_mechanism(pgw_scram_server *s, const char *mech, mur_error *err)
{
	s->plus = s->cbind_len > 0 && strcmp(mech, PGW_SCRAM_MECHANISM_PLUS) == 0;
	if (s->plus || strcmp(mech, MUR_SCRAM_MECHANISM) == 0)
		return MUR_OK;
	s->state = PGW_SCRAM_FAILED;
	mur_error_set(err, SQLSTATE_PROTOCOL_VIOLATION, /* 08P01, as PostgreSQL */
		      "client selected an invalid SASL authentication mechanism");
	return MUR_EPROTO;
}

static int gs2_refused(pgw_scram_server *s, mur_error *err, const char *sqlstate, const char *msg,
		       const char *detail)
{
	s->state = PGW_SCRAM_FAILED;
	mur_error_set(err, sqlstate, "%s", msg);
	if (detail)
		mur_error_detail(err, "%s", detail);
	return MUR_EPROTO;
}

#define GS2_MALFORMED(s, err, detail)                                                              \
	(gs2_refused(s, err, SQLSTATE_PROTOCOL_VIOLATION, "malformed SCRAM message", detail), NULL)

/* The gs2 header of client-first: its channel binding flag — "n" (the
 * client cannot bind), "y" (it could, but thinks we cannot), or
 * "p=tls-server-end-point" (SCRAM-SHA-256-PLUS) — then no authzid and no
 * mandatory extension (0A000: we support neither, and do not ignore
 * them).  Checks the flag against the mechanism and the offer (RFC 5802's
 * downgrade check), in PostgreSQL's order with its SQLSTATEs and messages
 * (test_auth_control.py compares them), keeps the header in s->gs2 for
 * client-final's c=.  Returns the bare part; NULL with err. */
static const char *gs2_read(pgw_scram_server *s, const char *msg, size_t len, mur_error *err)
{
	static const char cbtype[] = "tls-server-end-point";
	const char *p = msg, *end = msg + len, *comma;
	char c = len > 0 ? msg[0] : '\0', detail[64];
	if (c == 'n' || c == 'y') {
		if (s->plus)
			return GS2_MALFORMED(s, err,
					     "The client selected SCRAM-SHA-256-PLUS, but the "
					     "SCRAM "
					     "message does not include channel binding data.");
		if (c == 'y' && s->cbind_len)
			return gs2_refused(s, err, SQLSTATE_INVALID_AUTHORIZATION,
					   "SCRAM channel binding negotiation error",
					   "The client supports SCRAM channel binding but thinks "
					   "the "
					   "server does not.  However, this server does support "
					   "channel binding."),
			       NULL;
		p++;
	} else if (c == 'p') {
		if (!s->plus)
			return GS2_MALFORMED(s, err,
					     "The client selected SCRAM-SHA-256 without channel "
					     "binding, but the SCRAM message includes channel "
					     "binding "
					     "data.");
		if (len < 2 || msg[1] != '=' || !(comma = memchr(msg, ',', len)))
			return GS2_MALFORMED(s, err, "Expected attribute \"p\".");
		if ((size_t)(comma - msg - 2) != sizeof cbtype - 1 ||
		    memcmp(msg + 2, cbtype, sizeof cbtype - 1) != 0) {
			s->state = PGW_SCRAM_FAILED;
			mur_error_set(err, SQLSTATE_PROTOCOL_VIOLATION,
				      "unsupported SCRAM channel-binding type \"%.*s\"",
				      (int)(comma - msg - 2), msg + 2);
			return NULL;
		}
		p = comma;
	} else {
		if (c >= 0x21 && c <= 0x7e)
			snprintf(detail, sizeof detail, "Unexpected channel-binding flag \"'%c'\".",
				 c);
		else
			snprintf(detail, sizeof detail,
				 "Unexpected channel-binding flag \"0x%02x\".", (unsigned char)c);
		return GS2_MALFORMED(s, err, detail);
	}
	if (p >= end || *p++ != ',')
		return GS2_MALFORMED(s, err, "Comma expected after the channel-binding flag.");
	if (p < end && *p == 'a')
		return gs2_refused(s, err, SQLSTATE_FEATURE_NOT_SUPPORTED,
				   "client uses authorization identity, but it is not supported",
				   NULL),
		       NULL;
	if (p >= end || *p++ != ',')
		return GS2_MALFORMED(s, err, "Unexpected attribute in client-first-message.");
	if (p < end && *p == 'm')
		return gs2_refused(s, err, SQLSTATE_FEATURE_NOT_SUPPORTED,
				   "client requires an unsupported SCRAM extension", NULL),
		       NULL;
	snprintf(s->gs2, sizeof s->gs2, "%.*s", (int)(p - msg), msg);
	return p;
}

/* Is c= (cb) client-first's gs2 header, with the channel binding data
 * after it under -PLUS, in base64? */
static int binding_ok(const pgw_scram_server *s, const char *cb, size_t cb_len)
{
	uint8_t raw[MUR_SCRAM_MESSAGE_MAX + PGW_SCRAM_CBIND_MAX];
	char want[2 * sizeof raw];
	size_t n = strlen(s->gs2);
	memcpy(raw, s->gs2, n);
	if (s->plus) {
		memcpy(raw + n, s->cbind, (size_t)s->cbind_len);
		n += (size_t)s->cbind_len;
	}
	return mur_base64_encode(raw, n, want) == cb_len && memcmp(want, cb, cb_len) == 0;
}

int pgw_scram_server_first(pgw_scram_server *s, const char *msg, size_t len,
			   const char *server_nonce, char *out, size_t cap, mur_error *err)
{
	const char *bare, *cnonce;
	size_t bare_len, cn_len;
	char snonce[40], salt64[4 * MUR_SCRAM_SALT_MAX / 3 + 8];
	int n;

	if (s->state != PGW_SCRAM_FIRST)
		return scram_fail(s, err, SQLSTATE_PROTOCOL_VIOLATION, "unexpected client-first");
	if (len >= MUR_SCRAM_MESSAGE_MAX || memchr(msg, 0, len))
		return scram_fail(s, err, SQLSTATE_PROTOCOL_VIOLATION, "client-first too long");
	if (!(bare = gs2_read(s, msg, len, err)))
		return MUR_EPROTO;
	bare_len = len - (size_t)(bare - msg);
	if (!mur_scram_attr(bare, bare_len, 'r', &cnonce, &cn_len) || cn_len == 0 ||
	    cn_len >= sizeof snonce)
		return scram_fail(s, err, SQLSTATE_PROTOCOL_VIOLATION, "client nonce");
	if (server_nonce)
		snprintf(snonce, sizeof snonce, "%s", server_nonce);
	else if (mur_scram_nonce(snonce, sizeof snonce) != MUR_OK)
		return scram_fail(s, err, SQLSTATE_INTERNAL_ERROR, "no random bytes");
	snprintf(s->nonce, sizeof s->nonce, "%.*s%s", (int)cn_len, cnonce, snonce);
	snprintf(s->first_bare, sizeof s->first_bare, "%.*s", (int)bare_len, bare);
	mur_base64_encode(s->v.salt, s->v.salt_len, salt64);
	n = snprintf(s->server_first, sizeof s->server_first, "r=%s,s=%s,i=%d", s->nonce, salt64,
		     s->v.iterations);
	if (n <= 0 || (size_t)n >= cap)
		return scram_fail(s, err, SQLSTATE_PROTOCOL_VIOLATION, "server-first too long");
	memcpy(out, s->server_first, (size_t)n + 1);
	s->state = PGW_SCRAM_FINAL;
	return MUR_OK;
}

int pgw_scram_server_final(pgw_scram_server *s, const char *msg, size_t len, char *out, size_t cap,
			   mur_error *err)
{
	const char *cb, *nonce, *proof64, *p_attr;
	size_t cb_len, nonce_len, proof_len;
	uint8_t proof[MUR_SCRAM_KEY_LEN], sig[MUR_SCRAM_KEY_LEN];
	char auth[3 * MUR_SCRAM_MESSAGE_MAX], sig64[48];
	int n;

	if (s->state != PGW_SCRAM_FINAL)
		return scram_fail(s, err, SQLSTATE_PROTOCOL_VIOLATION, "unexpected client-final");
	if (len >= MUR_SCRAM_MESSAGE_MAX || memchr(msg, 0, len) ||
	    !mur_scram_attr(msg, len, 'c', &cb, &cb_len) ||
	    !mur_scram_attr(msg, len, 'r', &nonce, &nonce_len) ||
	    !mur_scram_attr(msg, len, 'p', &proof64, &proof_len))
		return scram_fail(s, err, SQLSTATE_PROTOCOL_VIOLATION, "client-final");
	/* c= repeats the gs2 header ("n,," is "biws"), with -PLUS the
	 * certificate's hash after it: a client talking to another server's
	 * certificate (a man in the middle) fails here */
	if (!binding_ok(s, cb, cb_len)) {
		s->state = PGW_SCRAM_FAILED; /* PostgreSQL's words */
		mur_error_set(err, SQLSTATE_PROTOCOL_VIOLATION,
			      "SCRAM channel binding check failed");
		return MUR_EPROTO;
	}
	if (nonce_len != strlen(s->nonce) || memcmp(nonce, s->nonce, nonce_len) != 0)
		return scram_fail(s, err, SQLSTATE_PROTOCOL_VIOLATION, "nonce");
	if (mur_base64_decode(proof64, proof_len, proof, sizeof proof) != MUR_SCRAM_KEY_LEN)
		return scram_fail(s, err, SQLSTATE_PROTOCOL_VIOLATION, "proof");
	p_attr = proof64 - 2; /* the proof is the last attribute: ",p=" ends the rest */
	if (p_attr <= msg || p_attr[-1] != ',')
		return scram_fail(s, err, SQLSTATE_PROTOCOL_VIOLATION, "proof not last");
	n = snprintf(auth, sizeof auth, "%s,%s,%.*s", s->first_bare, s->server_first,
		     (int)(p_attr - 1 - msg), msg);
	if (n <= 0 || (size_t)n >= sizeof auth)
		return scram_fail(s, err, SQLSTATE_PROTOCOL_VIOLATION, "too long");
	if (!mur_scram_proof_ok(&s->v, auth, (size_t)n, proof) || s->doomed) {
		s->state = PGW_SCRAM_FAILED;
		return MUR_ERR;
	}
	mur_scram_hmac(s->v.server_key, MUR_SCRAM_KEY_LEN, auth, (size_t)n, sig);
	mur_base64_encode(sig, sizeof sig, sig64);
	if (snprintf(out, cap, "v=%s", sig64) >= (int)cap)
		return scram_fail(s, err, SQLSTATE_PROTOCOL_VIOLATION, "too long");
	s->state = PGW_SCRAM_DONE;
	return MUR_OK;
}

/* ---- On a connection ------------------------------------------------------ */

static void put_auth(pgw_conn *c, uint32_t code, const char *data, size_t len)
{
	size_t off = pgw_msg_begin(&c->out, PGW_BE_AUTHENTICATION);
	mur_buf_put_u32(&c->out, code);
	mur_buf_put(&c->out, data, len);
	pgw_msg_end(&c->out, off);
}

static void auth_failed(pgw_conn *c)
{
	MLOG(INFO, "pgwire", "session %u: password authentication failed for user \"%s\"", c->pid,
	     c->user);
	pgw_conn_fatalf(c, SQLSTATE_INVALID_PASSWORD,
			"password authentication failed for user \"%s\"", c->user);
}

void pgw_auth_begin(pgw_conn *c)
{
	char verifier[MUR_SCRAM_VERIFIER_MAX] = "";
	/* lists end with an empty name; -PLUS first, as PostgreSQL offers it */
	static const char mechs[] = MUR_SCRAM_MECHANISM "\0";
	static const char mechs_plus[] = PGW_SCRAM_MECHANISM_PLUS "\0" MUR_SCRAM_MECHANISM "\0";
	if (!c->ops->auth_lookup ||
	    c->ops->auth_lookup(c->engine, c->user, verifier, sizeof verifier) == PGW_AUTH_TRUST) {
		pgw_conn_startup_finish(c);
		return;
	}
	c->auth = malloc(sizeof *c->auth);
	if (!c->auth || pgw_scram_server_init(c->auth, c->user, verifier) != MUR_OK) {
		OPENSSL_cleanse(verifier, sizeof verifier);
		pgw_conn_fatalf(c, SQLSTATE_OUT_OF_MEMORY, "could not start authentication");
		return;
	}
	OPENSSL_cleanse(verifier, sizeof verifier);
	if (c->tls_active)
		pgw_scram_server_offer_plus(c->auth, c->tls_info.cert_hash,
					    c->tls_info.cert_hash_len);
	if (c->auth->cbind_len)
		put_auth(c, PGW_AUTH_SASL, mechs_plus, sizeof mechs_plus);
	else
		put_auth(c, PGW_AUTH_SASL, mechs, sizeof mechs);
	c->state = PGW_CONN_AUTH;
}

/* SASLInitialResponse: mechanism name, Int32 length, client-first.  The
 * mechanism is checked before the rest is read, as PostgreSQL does: a
 * client answering with its password in clear gets "invalid SASL
 * authentication mechanism" from both. */
static void auth_initial(pgw_conn *c, const char *body, size_t len)
{
	mur_rd rd;
	const char *mech, *data;
	uint32_t n;
	char out[MUR_SCRAM_MESSAGE_MAX];
	mur_error err;
	mur_rd_init(&rd, body, len);
	mech = mur_rd_cstr(&rd);
	if (mech && pgw_scram_server_mechanism(c->auth, mech, &err) != MUR_OK) {
		pgw_conn_fatal(c, &err);
		return;
	}
	data = mur_rd_lstr(&rd, &n);
	if (!mur_rd_ok(&rd) || mur_rd_left(&rd) != 0) {
		pgw_conn_fatalf(c, SQLSTATE_PROTOCOL_VIOLATION, "malformed SASLInitialResponse");
		return;
	}
	if (pgw_scram_server_first(c->auth, data, n, NULL, out, sizeof out, &err) != MUR_OK) {
		pgw_conn_fatal(c, &err);
		return;
	}
	put_auth(c, PGW_AUTH_SASL_CONTINUE, out, strlen(out));
}

static void auth_final(pgw_conn *c, const char *body, size_t len)
{
	char out[MUR_SCRAM_MESSAGE_MAX];
	mur_error err;
	int rc = pgw_scram_server_final(c->auth, body, len, out, sizeof out, &err);
	if (rc == MUR_ERR) {
		auth_failed(c);
		return;
	}
	if (rc != MUR_OK) {
		pgw_conn_fatal(c, &err);
		return;
	}
	put_auth(c, PGW_AUTH_SASL_FINAL, out, strlen(out));
	free(c->auth);
	c->auth = NULL;
	pgw_conn_startup_finish(c);
}

void pgw_auth_message(pgw_conn *c, char type, const char *body, size_t len)
{
	if (type != PGW_FE_PASSWORD) {
		if (type != PGW_FE_TERMINATE) /* a client giving up (psql asking for a password) */
			pgw_conn_fatalf(c, SQLSTATE_PROTOCOL_VIOLATION,
					"expected SASL response, got message type '%c'", type);
		else
			pgw_conn_fatalf(c, SQLSTATE_INVALID_PASSWORD,
					"password authentication failed for user \"%s\"", c->user);
		return;
	}
	if (c->auth->state == PGW_SCRAM_FIRST)
		auth_initial(c, body, len);
	else
		auth_final(c, body, len);
}

void pgw_auth_free(pgw_conn *c)
{
	free(c->auth);
	c->auth = NULL;
}
