/*
 * pgw_auth.h — the server's side of SCRAM-SHA-256 authentication
 * (RFC 5802/7677, PostgreSQL's "SASL Authentication" protocol flow),
 * socket-free: a pgw_scram_server takes the client's two messages and
 * gives the server's two answers; pgw_conn.c wraps them in
 * AuthenticationSASL / SASLContinue / SASLFinal (pgw_auth_begin,
 * pgw_auth_message below).
 *
 * States (s->state; the function behind each transition):
 *
 *   FIRST ── client-first (pgw_scram_server_first) ──► FINAL
 *   FINAL ── client-final, proof ok (pgw_scram_server_final) ──► DONE
 *   any   ── malformed message or wrong proof ──► FAILED
 *
 * A user who does not exist, may not log in by password or has none
 * runs the same exchange against a mock verifier (a salt derived from
 * the user name and a per-process secret, so it does not change between
 * tries) and fails at the proof, exactly as a wrong password does: the
 * answer never tells which users exist (PostgreSQL: the same).
 */
#ifndef PGW_AUTH_H
#define PGW_AUTH_H

#include "common/error.h"
#include "common/scram.h"

#include <stddef.h>

typedef enum pgw_scram_state {
	PGW_SCRAM_FIRST = 0, /* waiting for client-first */
	PGW_SCRAM_FINAL,     /* server-first sent; waiting for client-final */
	PGW_SCRAM_DONE,      /* the client proved it knows the password */
	PGW_SCRAM_FAILED,
} pgw_scram_state;

/* SCRAM-SHA-256-PLUS: the same exchange bound to the TLS connection
 * (channel binding tls-server-end-point, RFC 5929: the server
 * certificate's hash), offered on TLS connections only. */
#define PGW_SCRAM_MECHANISM_PLUS "SCRAM-SHA-256-PLUS"
#define PGW_SCRAM_CBIND_MAX 64 /* the largest hash (SHA-512) */

typedef struct pgw_scram_server {
	pgw_scram_state state;
	mur_scram_verifier v;
	int doomed; /* mock verifier: the proof can never match */
	/* channel binding: the data (0 bytes: not offered), whether the client
	 * chose -PLUS, and client-first's gs2 header that c= must repeat */
	unsigned char cbind[PGW_SCRAM_CBIND_MAX];
	int cbind_len;
	int plus;
	char gs2[MUR_SCRAM_MESSAGE_MAX];
	char nonce[2 * 40];
	char first_bare[MUR_SCRAM_MESSAGE_MAX];
	char server_first[MUR_SCRAM_MESSAGE_MAX];
} pgw_scram_server;

/* Start an exchange for user with its text verifier ("" or an invalid
 * one: the mock exchange described above).  MUR_OK, or MUR_EIO when no
 * random bytes can be had. */
int pgw_scram_server_init(pgw_scram_server *s, const char *user, const char *verifier);
/* Offer SCRAM-SHA-256-PLUS with data (the TLS certificate's hash, len <=
 * PGW_SCRAM_CBIND_MAX), before the exchange. */
void pgw_scram_server_offer_plus(pgw_scram_server *s, const unsigned char *data, int len);
/* The mechanism SASLInitialResponse names: MUR_OK (-PLUS only when
 * offered), else MUR_EPROTO with err (28000) and state FAILED. */
int pgw_scram_server_mechanism(pgw_scram_server *s, const char *mech, mur_error *err);
/* client-first → server-first (NUL-terminated in out, cap >=
 * MUR_SCRAM_MESSAGE_MAX).  server_nonce NULL: a random one (tests give
 * RFC 7677's).  MUR_OK, or MUR_EPROTO with err (08P01, or 28000 when the
 * client's channel binding flag does not match the mechanism and what was
 * offered: RFC 5802's downgrade check) and state FAILED. */
int pgw_scram_server_first(pgw_scram_server *s, const char *msg, size_t len,
			   const char *server_nonce, char *out, size_t cap, mur_error *err);
/* client-final → server-final.  MUR_OK with state DONE; MUR_EPROTO (08P01,
 * malformed) or MUR_ERR (the proof is wrong: the caller reports 28P01)
 * with state FAILED. */
int pgw_scram_server_final(pgw_scram_server *s, const char *msg, size_t len, char *out, size_t cap,
			   mur_error *err);

#endif
