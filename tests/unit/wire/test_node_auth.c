/*
 * test_node_auth.c — the cluster-secret challenge-response (src/wire/
 * node_auth.c): a full exchange both ways; the secret in no frame; a wrong
 * secret on either side refused; a recorded HELLO useless on another
 * connection; a client proof not usable as the server's; name and addr
 * bound into the proofs; the proof is the documented HMAC-SHA256 (checked
 * against OpenSSL's HMAC over the layout of node_auth.h); other versions
 * and truncations refused.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "wire/node_auth.h"

#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <stdio.h>
#include <string.h>

#define SECRET "6f1d2b3c4a5e69788796a5b4c3d2e1f00112233445566778899aabbccddeeff0"

static void make_hello(net_hello *h, const char *secret, const char *name)
{
	memset(h, 0, sizeof *h);
	snprintf(h->secret, sizeof h->secret, "%s", secret);
	snprintf(h->name, sizeof h->name, "%s", name);
	snprintf(h->addr, sizeof h->addr, "127.0.0.1:7001");
}

static int contains(const mur_buf *b, const char *s)
{
	return memmem(b->data, b->len, s, strlen(s)) != NULL;
}

/* One exchange: CHALLENGE by the server, HELLO by the client (client_secret),
 * check by the server (server_secret).  Returns net_hello_check's code;
 * hello_out gets the HELLO payload. */
static int exchange(const char *client_secret, const char *server_secret, net_handshake *srv,
		    net_handshake *cli, net_hello *ch, net_hello *sh, mur_buf *hello_out)
{
	mur_buf chal;
	mur_error err;
	int rc;
	make_hello(ch, client_secret, "f1");
	mur_buf_init(&chal);
	mur_buf_init(hello_out);
	assert_int_equal(net_challenge_make(srv, &chal, &err), MUR_OK);
	assert_false(contains(&chal, client_secret));
	assert_int_equal(net_hello_answer(cli, ch, chal.data, chal.len, hello_out, &err), MUR_OK);
	mur_buf_free(&chal);
	rc = net_hello_check(srv, server_secret, hello_out->data, hello_out->len, sh, &err);
	if (rc == MUR_ERR)
		assert_non_null(strstr(err.message, "wrong cluster secret"));
	return rc;
}

static void test_exchange_both_ways(void **state)
{
	net_handshake srv, cli;
	net_hello ch, sh;
	mur_buf hello, welcome;
	mur_error err;
	uint32_t id = 0;

	assert_int_equal(exchange(SECRET, SECRET, &srv, &cli, &ch, &sh, &hello), MUR_OK);
	assert_false(contains(&hello, SECRET));
	assert_string_equal(sh.name, "f1");
	assert_string_equal(sh.addr, "127.0.0.1:7001");
	assert_string_equal(sh.secret, "");
	mur_buf_init(&welcome);
	net_welcome_make(&srv, SECRET, &sh, 7, &welcome);
	assert_false(contains(&welcome, SECRET));
	assert_int_equal(net_welcome_check(&cli, &ch, welcome.data, welcome.len, &id, &err),
			 MUR_OK);
	assert_int_equal(id, 7);
	/* every truncation of each frame is malformed, not a wrong proof */
	for (size_t n = 0; n < welcome.len; n++)
		assert_int_equal(net_welcome_check(&cli, &ch, welcome.data, n, &id, &err),
				 MUR_EPROTO);
	for (size_t n = 4; n < hello.len; n++)
		assert_int_equal(net_hello_check(&srv, SECRET, hello.data, n, &sh, &err),
				 MUR_EPROTO);
	mur_buf_free(&hello);
	mur_buf_free(&welcome);
}

static void test_wrong_secret_refused_both_ways(void **state)
{
	net_handshake srv, cli;
	net_hello ch, sh;
	mur_buf hello, welcome;
	mur_error err;
	uint32_t id;

	/* a follower with another secret */
	assert_int_equal(exchange("not-the-secret", SECRET, &srv, &cli, &ch, &sh, &hello), MUR_ERR);
	mur_buf_free(&hello);
	/* the secret's prefix is not the secret */
	assert_int_equal(exchange("6f1d2b3c", SECRET, &srv, &cli, &ch, &sh, &hello), MUR_ERR);
	mur_buf_free(&hello);
	/* a "leader" without the secret: the follower does not believe its WELCOME */
	assert_int_equal(exchange(SECRET, SECRET, &srv, &cli, &ch, &sh, &hello), MUR_OK);
	mur_buf_init(&welcome);
	net_welcome_make(&srv, "impostor", &sh, 7, &welcome);
	assert_int_equal(net_welcome_check(&cli, &ch, welcome.data, welcome.len, &id, &err),
			 MUR_ERR);
	assert_string_equal(err.sqlstate, SQLSTATE_INVALID_AUTHORIZATION);
	mur_buf_free(&hello);
	mur_buf_free(&welcome);
}

static void test_recorded_hello_fails_on_another_connection(void **state)
{
	net_handshake srv, cli, srv2;
	net_hello ch, sh;
	mur_buf hello, chal2;
	mur_error err;

	assert_int_equal(exchange(SECRET, SECRET, &srv, &cli, &ch, &sh, &hello), MUR_OK);
	/* the same HELLO bytes replayed to a new connection (a fresh nonce) */
	mur_buf_init(&chal2);
	assert_int_equal(net_challenge_make(&srv2, &chal2, &err), MUR_OK);
	assert_memory_not_equal(srv.server_nonce, srv2.server_nonce, NET_NONCE_BYTES);
	assert_int_equal(net_hello_check(&srv2, SECRET, hello.data, hello.len, &sh, &err), MUR_ERR);
	mur_buf_free(&hello);
	mur_buf_free(&chal2);
}

static void test_client_proof_is_not_the_servers(void **state)
{
	net_handshake srv, cli;
	net_hello ch, sh;
	mur_buf hello, welcome;
	mur_error err;
	uint32_t id;

	assert_int_equal(exchange(SECRET, SECRET, &srv, &cli, &ch, &sh, &hello), MUR_OK);
	/* reflect the client's proof back as a WELCOME */
	mur_buf_init(&welcome);
	net_welcome_encode(7, sh.proof, &welcome);
	assert_int_equal(net_welcome_check(&cli, &ch, welcome.data, welcome.len, &id, &err),
			 MUR_ERR);
	mur_buf_free(&hello);
	mur_buf_free(&welcome);
}

static void test_name_and_addr_are_bound(void **state)
{
	net_handshake srv, cli;
	net_hello ch, sh, forged;
	mur_buf hello, again;
	mur_error err;

	assert_int_equal(exchange(SECRET, SECRET, &srv, &cli, &ch, &sh, &hello), MUR_OK);
	/* the same nonce and proof under another name, then another address */
	forged = sh;
	snprintf(forged.name, sizeof forged.name, "f2");
	mur_buf_init(&again);
	net_hello_encode(&forged, &again);
	assert_int_equal(net_hello_check(&srv, SECRET, again.data, again.len, &sh, &err), MUR_ERR);
	forged = sh;
	snprintf(forged.name, sizeof forged.name, "f1");
	snprintf(forged.addr, sizeof forged.addr, "10.0.0.9:7001");
	mur_buf_reset(&again);
	net_hello_encode(&forged, &again);
	assert_int_equal(net_hello_check(&srv, SECRET, again.data, again.len, &sh, &err), MUR_ERR);
	mur_buf_free(&hello);
	mur_buf_free(&again);
}

/* The proof is HMAC-SHA256(secret, label NUL | role | nonce_s | nonce_c |
 * name NUL addr), computed here with OpenSSL directly. */
static void test_proof_is_the_documented_hmac(void **state)
{
	uint8_t ns[NET_NONCE_BYTES], nc[NET_NONCE_BYTES], got[NET_PROOF_BYTES],
		want[NET_PROOF_BYTES];
	unsigned char msg[256];
	unsigned int wlen = sizeof want;
	size_t n = 0;
	for (int i = 0; i < NET_NONCE_BYTES; i++)
		ns[i] = (uint8_t)i, nc[i] = (uint8_t)(0xff - i);
	memcpy(msg, NET_AUTH_LABEL, sizeof NET_AUTH_LABEL);
	n += sizeof NET_AUTH_LABEL;
	msg[n++] = 'C';
	memcpy(msg + n, ns, sizeof ns);
	n += sizeof ns;
	memcpy(msg + n, nc, sizeof nc);
	n += sizeof nc;
	memcpy(msg + n,
	       "f1\0"
	       "127.0.0.1:7001",
	       17);
	n += 17;
	HMAC(EVP_sha256(), SECRET, (int)strlen(SECRET), msg, n, want, &wlen);
	net_auth_proof(SECRET, 'C', ns, nc, "f1", "127.0.0.1:7001", got);
	assert_memory_equal(got, want, sizeof want);
	net_auth_proof(SECRET, 'S', ns, nc, "f1", "127.0.0.1:7001", got);
	assert_memory_not_equal(got, want, sizeof want);
}

static void test_other_versions_refused(void **state)
{
	net_handshake srv, cli;
	net_hello ch, sh;
	mur_buf b, out;
	mur_error err;

	make_hello(&ch, SECRET, "f1");
	mur_buf_init(&out);
	/* a CHALLENGE of another version: no HELLO, the versions named */
	mur_buf_init(&b);
	mur_buf_put_u32(&b, NET_PROTO_VERSION + 1);
	mur_buf_put(&b, "0123456789abcdef0123456789abcdef", NET_NONCE_BYTES);
	assert_int_equal(net_hello_answer(&cli, &ch, b.data, b.len, &out, &err), MUR_ERR);
	assert_non_null(strstr(err.message, "version"));
	/* a version-2 HELLO (it carried the secret): refused, not parsed */
	mur_buf_reset(&b);
	assert_int_equal(net_challenge_make(&srv, &b, &err), MUR_OK);
	mur_buf_reset(&b);
	mur_buf_put_u32(&b, 2);
	mur_buf_put_lstr(&b, SECRET, strlen(SECRET));
	mur_buf_put_lstr(&b, "f1", 2);
	mur_buf_put_lstr(&b, "127.0.0.1:7001", 14);
	assert_int_equal(net_hello_check(&srv, SECRET, b.data, b.len, &sh, &err), MUR_ERR);
	assert_non_null(strstr(err.message, "version 2"));
	/* a truncated CHALLENGE */
	mur_buf_reset(&b);
	assert_int_equal(net_challenge_make(&srv, &b, &err), MUR_OK);
	for (size_t n = 0; n < b.len; n++)
		assert_int_equal(net_hello_answer(&cli, &ch, b.data, n, &out, &err), MUR_EPROTO);
	assert_int_equal(out.len, 0);
	mur_buf_free(&b);
	mur_buf_free(&out);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_exchange_both_ways),
		cmocka_unit_test(test_wrong_secret_refused_both_ways),
		cmocka_unit_test(test_recorded_hello_fails_on_another_connection),
		cmocka_unit_test(test_client_proof_is_not_the_servers),
		cmocka_unit_test(test_name_and_addr_are_bound),
		cmocka_unit_test(test_proof_is_the_documented_hmac),
		cmocka_unit_test(test_other_versions_refused),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
