/*
 * test_net_tls.c — node TLS under the framed transport (net_tls.c, the
 * hooks in net.c) on real loopback sockets: frames sent before the
 * handshake completes are held and delivered, small and multi-MB frames
 * round-trip in order, a second connection to an address resumes the
 * first's session, a peer whose certificate another CA signed and a
 * peer speaking no TLS are refused (both ends closed, the reason names
 * the handshake), and mur_tls_make_cert's CA-signed certificates verify.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "common/tls.h"
#include "net/net.h"
#include "wire/proto.h"
#include "test_loop.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define BIG_BYTES (6u << 20)

static struct {
	uv_loop_t loop;
	char dir[TL_TMPDIR_MAX];
	mur_tls_ctx *good, *other; /* the cluster's node; another CA's node trusting ours */
	net_listener *lis;
	int port;
	int srv_frames, srv_closed, cli_frames, cli_closed, cli_connected;
	size_t big_seen;
	char srv_reason[256], cli_reason[256];
	net_conn *cli;
} T;

static void path(char *out, const char *name) { snprintf(out, 512, "%s/%s", T.dir, name); }

/* A CA (name.crt/.key) and a node certificate it signed (name-node.*). */
static void make_ca_and_node(const char *name)
{
	char ca_crt[512], ca_key[512], crt[512], key[512], f[64];
	mur_tls_cert_spec ca = {.cn = name, .ca = 1};
	mur_tls_cert_spec node = {.cn = "node", .san = "IP:127.0.0.1"};
	mur_error err;
	snprintf(f, sizeof f, "%s.crt", name), path(ca_crt, f);
	snprintf(f, sizeof f, "%s.key", name), path(ca_key, f);
	snprintf(f, sizeof f, "%s-node.crt", name), path(crt, f);
	snprintf(f, sizeof f, "%s-node.key", name), path(key, f);
	assert_int_equal(mur_tls_make_cert(ca_crt, ca_key, &ca, &err), MUR_OK);
	node.issuer_cert = ca_crt;
	node.issuer_key = ca_key;
	assert_int_equal(mur_tls_make_cert(crt, key, &node, &err), MUR_OK);
	assert_int_equal(mur_tls_make_cert(crt, key, &node, &err),
			 MUR_EAGAIN); /* replaces nothing */
}

static mur_tls_ctx *load(const char *node, const char *ca)
{
	char crt[512], key[512], cap[512], f[64];
	mur_tls_ctx *ctx = NULL;
	mur_error err;
	snprintf(f, sizeof f, "%s-node.crt", node), path(crt, f);
	snprintf(f, sizeof f, "%s-node.key", node), path(key, f);
	snprintf(f, sizeof f, "%s.crt", ca), path(cap, f);
	assert_int_equal(mur_tls_ctx_load(crt, key, cap, &ctx, &err), MUR_OK);
	return ctx;
}

static void srv_frame(net_conn *c, uint8_t type, const char *p, size_t len)
{
	T.srv_frames++;
	assert_int_equal(net_conn_send(c, type, p, len, NULL), MUR_OK); /* echo */
}

static void srv_close(net_conn *c, const char *reason)
{
	T.srv_closed++;
	snprintf(T.srv_reason, sizeof T.srv_reason, "%s", reason);
}

static const net_conn_cbs srv_cbs = {.on_frame = srv_frame, .on_close = srv_close};

static void on_accept(net_listener *l, net_conn *c, void *arg)
{
	net_conn_start(c, &srv_cbs, NULL);
}

static void cli_connect(net_conn *c)
{
	T.cli_connected++;
	/* the TLS handshake has not even begun its answer: held, then sent */
	assert_int_equal(net_conn_send(c, NET_MSG_HELLO, "early", 5, NULL), MUR_OK);
}

static void cli_frame(net_conn *c, uint8_t type, const char *p, size_t len)
{
	T.cli_frames++;
	if (len == BIG_BYTES) {
		for (size_t i = 0; i < len; i += 4096)
			assert_int_equal((unsigned char)p[i], (unsigned char)(i / 4096));
		T.big_seen = len;
	} else {
		assert_int_equal(len, 5);
		assert_memory_equal(p, "early", 5);
	}
}

static void cli_close(net_conn *c, const char *reason)
{
	T.cli_closed++;
	T.cli = NULL;
	snprintf(T.cli_reason, sizeof T.cli_reason, "%s", reason);
}

static const net_conn_cbs cli_cbs = {.on_connect = cli_connect,
				     .on_frame = cli_frame,
				     .on_close = cli_close};

static int setup(void **state)
{
	memset(&T, 0, sizeof T);
	assert_int_equal(tl_tmpdir_make(T.dir, sizeof T.dir, "net_tls"), 0);
	make_ca_and_node("cluster");
	make_ca_and_node("stranger");
	T.good = load("cluster", "cluster");
	T.other = load("stranger", "cluster");
	uv_loop_init(&T.loop);
	net_tls_use(T.good);
	assert_int_equal(net_listen(&T.loop, "127.0.0.1:0", on_accept, NULL, &T.lis, NULL), MUR_OK);
	T.port = net_listener_port(T.lis);
	return 0;
}

static int teardown(void **state)
{
	if (T.cli)
		net_conn_close(T.cli, "done");
	net_listener_close(T.lis);
	tl_run_for_ms(&T.loop, 50);
	assert_int_equal(uv_loop_close(&T.loop), 0);
	net_tls_use(NULL);
	mur_tls_ctx_free(T.good);
	mur_tls_ctx_free(T.other);
	return tl_tmpdir_remove(T.dir);
}

static void dial(mur_tls_ctx *ctx)
{
	char addr[64];
	snprintf(addr, sizeof addr, "127.0.0.1:%d", T.port);
	net_tls_use(ctx);
	assert_int_equal(net_connect(&T.loop, addr, &cli_cbs, NULL, &T.cli, NULL), MUR_OK);
}

static void test_frames_round_trip_over_tls(void **state)
{
	char *big = malloc(BIG_BYTES);
	dial(T.good);
	assert_true(tl_run_until_count(&T.loop, &T.cli_frames, 1, 5000)); /* the early frame */
	for (size_t i = 0; i < BIG_BYTES; i++)
		big[i] = (char)(i / 4096);
	assert_int_equal(net_conn_send_take(T.cli, NET_MSG_HELLO, big, BIG_BYTES, NULL), MUR_OK);
	assert_true(tl_run_until_count(&T.loop, &T.cli_frames, 2, 20000));
	assert_int_equal(T.big_seen, BIG_BYTES);
	assert_int_equal(T.srv_frames, 2);
	assert_int_equal(T.srv_closed + T.cli_closed, 0);
}

/* A second connection to the same address resumes the first's session
 * (no certificate signatures); both carry frames the same. */
static void test_second_connection_resumes(void **state)
{
	dial(T.good);
	assert_true(tl_run_until_count(&T.loop, &T.cli_frames, 1, 5000));
	assert_int_equal(net_conn_tls(T.cli), 2); /* a full handshake */
	net_conn_close(T.cli, "next");
	assert_true(tl_run_until_count(&T.loop, &T.cli_closed, 1, 5000));
	dial(T.good);
	assert_true(tl_run_until_count(&T.loop, &T.cli_frames, 2, 5000));
	assert_int_equal(net_conn_tls(T.cli), 3); /* resumed */
	assert_int_equal(T.srv_frames, 2);
}

static void test_another_cas_certificate_is_refused(void **state)
{
	dial(T.other);
	assert_true(tl_run_until_count(&T.loop, &T.srv_closed, 1, 5000));
	assert_true(tl_run_until_count(&T.loop, &T.cli_closed, 1, 5000));
	assert_int_equal(T.srv_frames + T.cli_frames, 0); /* not even the early frame */
	assert_non_null(strstr(T.srv_reason, "TLS handshake failed"));
}

static void test_plain_peer_is_refused(void **state)
{
	dial(NULL); /* no TLS: its early frame reaches a TLS server */
	assert_true(tl_run_until_count(&T.loop, &T.srv_closed, 1, 5000));
	assert_int_equal(T.srv_frames, 0);
	assert_non_null(strstr(T.srv_reason, "TLS handshake failed"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_frames_round_trip_over_tls, setup, teardown),
		cmocka_unit_test_setup_teardown(test_second_connection_resumes, setup, teardown),
		cmocka_unit_test_setup_teardown(test_another_cas_certificate_is_refused, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_plain_peer_is_refused, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
