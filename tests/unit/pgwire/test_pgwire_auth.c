/*
 * test_pgwire_auth.c — SCRAM-SHA-256 (src/common/scram.c and the server half in
 * src/pgwire/pgw_auth.c) against RFC 7677's example exchange (section 3:
 * user "user", password "pencil", salt W22ZaJ0SNY7soEsUEjb6gQ==, 4096
 * iterations, fixed nonces): the client's proof, the server's signature,
 * both sides' checks, the verifier format PostgreSQL writes, and the
 * refusals (wrong password, unknown user, tampered messages).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "common/scram.h"
#include "pgwire/pgw_auth.h"

#include <stdio.h>
#include <string.h>

#define RFC_CLIENT_NONCE "rOprNGfwEbeRWgbNEkqO"
#define RFC_SERVER_NONCE "%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0"
#define RFC_SALT64 "W22ZaJ0SNY7soEsUEjb6gQ=="
#define RFC_SERVER_FIRST "r=" RFC_CLIENT_NONCE RFC_SERVER_NONCE ",s=" RFC_SALT64 ",i=4096"
#define RFC_CLIENT_FINAL                                                                           \
	"c=biws,r=" RFC_CLIENT_NONCE RFC_SERVER_NONCE                                              \
	",p=dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ="
#define RFC_SERVER_FINAL "v=6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4="

/* The RFC's verifier in PostgreSQL's form (its StoredKey and ServerKey
 * follow from the password and salt: checked by test_verifier_rfc). */
static void rfc_verifier(char *out, size_t cap)
{
	uint8_t salt[32];
	int n = mur_base64_decode(RFC_SALT64, strlen(RFC_SALT64), salt, sizeof salt);
	assert_int_equal(n, 16);
	assert_int_equal(mur_scram_verifier_make_salted("pencil", salt, (size_t)n, 4096, out, cap),
			 MUR_OK);
}

static void test_client_rfc(void **state)
{
	mur_scram_client sc;
	char out[MUR_SCRAM_MESSAGE_MAX];
	(void)state;
	/* RFC 7677 sends n=user; PostgreSQL's clients leave it empty: the
	 * proof covers client-first-bare, so use the RFC's exactly. */
	assert_int_equal(mur_scram_client_first(&sc, "pencil", RFC_CLIENT_NONCE, out, sizeof out),
			 MUR_OK);
	assert_string_equal(out, "n,,n=,r=" RFC_CLIENT_NONCE);
	snprintf(sc.first_bare, sizeof sc.first_bare, "n=user,r=" RFC_CLIENT_NONCE);
	assert_int_equal(mur_scram_client_final(&sc, RFC_SERVER_FIRST, strlen(RFC_SERVER_FIRST),
						out, sizeof out),
			 MUR_OK);
	assert_string_equal(out, RFC_CLIENT_FINAL);
	assert_int_equal(mur_scram_client_check(&sc, RFC_SERVER_FINAL, strlen(RFC_SERVER_FINAL)),
			 MUR_OK);
	/* a server that does not know the verifier cannot sign */
	assert_int_equal(mur_scram_client_check(&sc,
						"v=AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=",
						45),
			 MUR_EPROTO);
}

static void test_server_rfc(void **state)
{
	pgw_scram_server s;
	char v[MUR_SCRAM_VERIFIER_MAX], out[MUR_SCRAM_MESSAGE_MAX];
	const char *first = "n,,n=user,r=" RFC_CLIENT_NONCE;
	mur_error err;
	(void)state;
	rfc_verifier(v, sizeof v);
	assert_int_equal(pgw_scram_server_init(&s, "user", v), MUR_OK);
	assert_int_equal(pgw_scram_server_first(&s, first, strlen(first), RFC_SERVER_NONCE, out,
						sizeof out, &err),
			 MUR_OK);
	assert_string_equal(out, RFC_SERVER_FIRST);
	assert_int_equal(pgw_scram_server_final(&s, RFC_CLIENT_FINAL, strlen(RFC_CLIENT_FINAL), out,
						sizeof out, &err),
			 MUR_OK);
	assert_string_equal(out, RFC_SERVER_FINAL);
	assert_int_equal(s.state, PGW_SCRAM_DONE);
}

/* One full exchange between our client and server; returns the server's
 * final answer code. */
static int exchange(const char *verifier, const char *password, const char *user)
{
	pgw_scram_server s;
	mur_scram_client sc;
	char c1[MUR_SCRAM_MESSAGE_MAX], s1[MUR_SCRAM_MESSAGE_MAX], c2[MUR_SCRAM_MESSAGE_MAX],
		s2[MUR_SCRAM_MESSAGE_MAX];
	mur_error err;
	int rc;
	assert_int_equal(pgw_scram_server_init(&s, user, verifier), MUR_OK);
	assert_int_equal(mur_scram_client_first(&sc, password, NULL, c1, sizeof c1), MUR_OK);
	assert_int_equal(pgw_scram_server_first(&s, c1, strlen(c1), NULL, s1, sizeof s1, &err),
			 MUR_OK);
	assert_int_equal(mur_scram_client_final(&sc, s1, strlen(s1), c2, sizeof c2), MUR_OK);
	rc = pgw_scram_server_final(&s, c2, strlen(c2), s2, sizeof s2, &err);
	if (rc == MUR_OK)
		assert_int_equal(mur_scram_client_check(&sc, s2, strlen(s2)), MUR_OK);
	return rc;
}

static void test_roundtrip_and_refusals(void **state)
{
	char v[MUR_SCRAM_VERIFIER_MAX];
	(void)state;
	assert_int_equal(mur_scram_verifier_make("s3cret pass", v, sizeof v), MUR_OK);
	assert_int_equal(exchange(v, "s3cret pass", "alice"), MUR_OK);
	assert_int_equal(exchange(v, "s3cret pasS", "alice"), MUR_ERR);
	assert_int_equal(exchange(v, "", "alice"), MUR_ERR);
	/* unknown user: a mock exchange that fails like a wrong password */
	assert_int_equal(exchange("", "s3cret pass", "nobody"), MUR_ERR);
	assert_int_equal(exchange("not a verifier", "", "nobody"), MUR_ERR);
}

static void test_mock_salt_stable(void **state)
{
	pgw_scram_server a, b;
	(void)state;
	assert_int_equal(pgw_scram_server_init(&a, "nobody", ""), MUR_OK);
	assert_int_equal(pgw_scram_server_init(&b, "nobody", ""), MUR_OK);
	assert_memory_equal(a.v.salt, b.v.salt, MUR_SCRAM_SALT_LEN);
	assert_int_equal(pgw_scram_server_init(&b, "somebody", ""), MUR_OK);
	assert_memory_not_equal(a.v.salt, b.v.salt, MUR_SCRAM_SALT_LEN);
}

static void test_tampered(void **state)
{
	pgw_scram_server s;
	char v[MUR_SCRAM_VERIFIER_MAX], out[MUR_SCRAM_MESSAGE_MAX], bad[256];
	const char *first = "n,,n=user,r=" RFC_CLIENT_NONCE;
	mur_error err;
	(void)state;
	rfc_verifier(v, sizeof v);
	/* channel binding data under SCRAM-SHA-256 (no TLS, no -PLUS): refused,
	 * 08P01 as PostgreSQL */
	assert_int_equal(pgw_scram_server_init(&s, "user", v), MUR_OK);
	assert_int_equal(pgw_scram_server_first(&s, "p=tls-server-end-point,,n=,r=x", 30, NULL, out,
						sizeof out, &err),
			 MUR_EPROTO);
	assert_string_equal(err.sqlstate, "08P01");
	/* another nonce in client-final */
	assert_int_equal(pgw_scram_server_init(&s, "user", v), MUR_OK);
	assert_int_equal(pgw_scram_server_first(&s, first, strlen(first), RFC_SERVER_NONCE, out,
						sizeof out, &err),
			 MUR_OK);
	snprintf(bad, sizeof bad, "%s", RFC_CLIENT_FINAL);
	bad[12] ^= 1;
	assert_int_equal(pgw_scram_server_final(&s, bad, strlen(bad), out, sizeof out, &err),
			 MUR_EPROTO);
	/* a flipped proof bit */
	assert_int_equal(pgw_scram_server_init(&s, "user", v), MUR_OK);
	assert_int_equal(pgw_scram_server_first(&s, first, strlen(first), RFC_SERVER_NONCE, out,
						sizeof out, &err),
			 MUR_OK);
	snprintf(bad, sizeof bad, "%s", RFC_CLIENT_FINAL);
	bad[strlen(bad) - 3] = bad[strlen(bad) - 3] == 'A' ? 'B' : 'A';
	assert_int_equal(pgw_scram_server_final(&s, bad, strlen(bad), out, sizeof out, &err),
			 MUR_ERR);
}

static void test_verifier_format(void **state)
{
	char v[MUR_SCRAM_VERIFIER_MAX];
	mur_scram_verifier pv;
	uint8_t stored[MUR_SCRAM_KEY_LEN], server[MUR_SCRAM_KEY_LEN], salt[16];
	(void)state;
	rfc_verifier(v, sizeof v);
	assert_int_equal(strncmp(v, "SCRAM-SHA-256$4096:" RFC_SALT64 "$", 19 + 24 + 1), 0);
	assert_int_equal(mur_scram_verifier_parse(v, &pv), MUR_OK);
	assert_int_equal(pv.iterations, 4096);
	assert_int_equal(pv.salt_len, 16);
	assert_int_equal(mur_base64_decode(RFC_SALT64, 24, salt, sizeof salt), 16);
	assert_int_equal(mur_scram_keys("pencil", salt, 16, 4096, NULL, stored, server), MUR_OK);
	assert_memory_equal(pv.stored_key, stored, MUR_SCRAM_KEY_LEN);
	assert_memory_equal(pv.server_key, server, MUR_SCRAM_KEY_LEN);
	/* malformed verifiers */
	assert_int_equal(mur_scram_verifier_parse("md5abc", &pv), MUR_ERR);
	assert_int_equal(mur_scram_verifier_parse("SCRAM-SHA-256$0:" RFC_SALT64 "$a:b", &pv),
			 MUR_ERR);
	assert_int_equal(mur_scram_verifier_parse("SCRAM-SHA-256$4096:" RFC_SALT64 "$YQ==:YQ==",
						  &pv),
			 MUR_ERR);
	/* two verifiers of one password differ (fresh salts) */
	{
		char v1[MUR_SCRAM_VERIFIER_MAX], v2[MUR_SCRAM_VERIFIER_MAX];
		assert_int_equal(mur_scram_verifier_make("x", v1, sizeof v1), MUR_OK);
		assert_int_equal(mur_scram_verifier_make("x", v2, sizeof v2), MUR_OK);
		assert_string_not_equal(v1, v2);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_client_rfc),
		cmocka_unit_test(test_server_rfc),
		cmocka_unit_test(test_roundtrip_and_refusals),
		cmocka_unit_test(test_mock_salt_stable),
		cmocka_unit_test(test_tampered),
		cmocka_unit_test(test_verifier_format),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
