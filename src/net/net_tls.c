/*
 * net_tls.c — TLS under the node transport (see net_tls.h).  The cluster
 * CA, certificate and key are loaded once by the node's main
 * (node/node_tls.c) and handed to net_tls_use; every connection net.c
 * dials or accepts from then on runs TLS with mutual certificate checks.
 */
#include "net/net_tls.h"

#include "common/buf.h"
#include "net/net.h"

#include <stdlib.h>

struct net_tls {
	mur_tls *tls;
	mur_buf held; /* plaintext sent before the handshake completed */
};

static mur_tls_ctx *net_tls_ctx_cur;

void net_tls_use(mur_tls_ctx *ctx) { net_tls_ctx_cur = ctx; }

int net_tls_on(void) { return net_tls_ctx_cur != NULL; }

mur_tls_ctx *net_tls_ctx(void) { return net_tls_ctx_cur; }

net_tls *net_tls_new(mur_tls_ctx *ctx, const char *peer)
{
	int server = peer == NULL;
	net_tls *t = calloc(1, sizeof *t);
	if (!t)
		return NULL;
	if (!(t->tls = mur_tls_new(ctx, server))) {
		free(t);
		return NULL;
	}
	mur_buf_init(&t->held);
	if (!server) {
		mur_tls_resume_key(t->tls, ctx, peer);
		mur_tls_handshake(t->tls, NULL); /* the ClientHello: MUR_EAGAIN */
	}
	return t;
}

void net_tls_free(net_tls *t)
{
	if (!t)
		return;
	mur_tls_free(t->tls);
	mur_buf_free(&t->held);
	free(t);
}

/* The handshake just completed: what was held goes out now. */
static int release_held(net_tls *t, mur_error *err)
{
	int rc = MUR_OK;
	if (t->held.len)
		rc = mur_tls_write(t->tls, t->held.data, t->held.len, err);
	mur_buf_free(&t->held);
	mur_buf_init(&t->held);
	return rc;
}

int net_tls_recv(net_tls *t, const char *data, size_t len,
		 int (*on_plain)(void *arg, const char *p, size_t n), void *arg, mur_error *err)
{
	char chunk[MUR_TLS_READ_CHUNK];
	int was = mur_tls_established(t->tls);
	size_t n;

	if (mur_tls_feed(t->tls, data, len, err) != MUR_OK)
		return MUR_EPROTO;
	for (;;) {
		if (mur_tls_read(t->tls, chunk, sizeof chunk, &n, err) != MUR_OK)
			return MUR_EPROTO;
		if (!was && mur_tls_established(t->tls)) {
			was = 1;
			if (release_held(t, err) != MUR_OK)
				return MUR_EPROTO;
		}
		if (n == 0 || on_plain(arg, chunk, n) != 0)
			return MUR_OK;
	}
}

int net_tls_send(net_tls *t, const char *data, size_t len, mur_error *err)
{
	if (mur_tls_established(t->tls))
		return mur_tls_write(t->tls, data, len, err);
	if (t->held.len + len > NET_TLS_HELD_MAX)
		return mur_error_set(err, SQLSTATE_PROGRAM_LIMIT_EXCEEDED,
				     "more than %zu bytes sent before the TLS handshake completed",
				     NET_TLS_HELD_MAX),
		       MUR_EPROTO;
	mur_buf_put(&t->held, data, len);
	return MUR_OK;
}

int net_tls_state(const net_tls *t)
{
	if (!mur_tls_established(t->tls))
		return 0;
	return mur_tls_resumed(t->tls) ? 2 : 1;
}

size_t net_tls_pending(const net_tls *t) { return mur_tls_output_len(t->tls); }

size_t net_tls_take(net_tls *t, char *buf, size_t cap)
{
	return mur_tls_output_take(t->tls, buf, cap);
}
