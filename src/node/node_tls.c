/*
 * node_tls.c — node TLS options and the on/off decision (see node_tls.h).
 */
#include "node/node_tls.h"

#include "common/log.h"
#include "net/net.h"

#include <limits.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

void node_tls_opts_init(node_tls_opts *o)
{
	memset(o, 0, sizeof *o);
	o->mode = -1;
}

int node_tls_parse(const char *prog, const char *opt, const char *v, node_tls_opts *o, int *rc)
{
	*rc = MUR_OK;
	if (strcmp(opt, "--node-tls") == 0) {
		if (strcmp(v, "on") != 0 && strcmp(v, "off") != 0) {
			fprintf(stderr, "murphy %s: --node-tls takes on or off, got \"%s\"\n", prog,
				v);
			*rc = MUR_ERR;
		}
		o->mode = strcmp(v, "on") == 0;
	} else if (strcmp(opt, "--node-tls-cert") == 0)
		o->cert = v;
	else if (strcmp(opt, "--node-tls-key") == 0)
		o->key = v;
	else if (strcmp(opt, "--node-tls-ca") == 0)
		o->ca = v;
	else
		return 0;
	return 1;
}

/* 1 when addr is 127.0.0.0/8 or ::1 (only this host can reach it). */
static int addr_loopback(const char *addr)
{
	struct sockaddr_storage sa;
	mur_error err;
	if (net_parse_addr(addr, &sa, &err) != MUR_OK)
		return 0;
	if (sa.ss_family == AF_INET)
		return (ntohl(((struct sockaddr_in *)&sa)->sin_addr.s_addr) >> 24) == 127;
	if (sa.ss_family == AF_INET6)
		return memcmp(&((struct sockaddr_in6 *)&sa)->sin6_addr, &in6addr_loopback,
			      sizeof in6addr_loopback) == 0;
	return 0;
}

static void file_or_default(const char *given, const char *dir, const char *name, char *out,
			    size_t size)
{
	if (given)
		snprintf(out, size, "%s", given);
	else
		snprintf(out, size, "%s/%s", dir, name);
}

/* Node TLS off: fine on loopback, said loudly (or refused) elsewhere. */
static int setup_off(const char *who, const char *listen, const node_tls_opts *o)
{
	if (addr_loopback(listen)) {
		MLOG(INFO, who, "node TLS off: node traffic on %s (loopback) is not encrypted",
		     listen);
		return MUR_OK;
	}
	if (o->mode == 0) {
		MLOG(WARN, who,
		     "NODE TLS IS OFF on %s, which is not loopback: every frame between nodes "
		     "(rows, tasks) crosses the network in clear and any process that knows "
		     "the cluster secret's challenge can be relayed (--node-tls off)",
		     listen);
		return MUR_OK;
	}
	MLOG(ERROR, who,
	     "refusing to listen on %s (not loopback) without node TLS: give "
	     "--node-tls-cert/--node-tls-key/--node-tls-ca (or put " NODE_TLS_CERT_FILE
	     ", " NODE_TLS_KEY_FILE " and " NODE_TLS_CA_FILE
	     " in the data directory), or say --node-tls off",
	     listen);
	return MUR_ERR;
}

int node_tls_setup(const char *who, const char *dir, const char *listen, const node_tls_opts *o,
		   mur_tls_ctx **ctx)
{
	char cert[PATH_MAX], key[PATH_MAX], ca[PATH_MAX];
	mur_error err;
	int on = o->mode;

	*ctx = NULL;
	file_or_default(o->cert, dir, NODE_TLS_CERT_FILE, cert, sizeof cert);
	file_or_default(o->key, dir, NODE_TLS_KEY_FILE, key, sizeof key);
	file_or_default(o->ca, dir, NODE_TLS_CA_FILE, ca, sizeof ca);
	if (on < 0)
		on = o->cert || o->key || o->ca || access(cert, F_OK) == 0;
	if (!on) {
		net_tls_use(NULL);
		return setup_off(who, listen, o);
	}
	if (mur_tls_ctx_load(cert, key, ca, ctx, &err) != MUR_OK) {
		MLOG(ERROR, who, "node TLS: %s", err.message);
		return MUR_ERR;
	}
	net_tls_use(*ctx);
	MLOG(INFO, who, "node TLS on: certificate %s, peers checked against CA %s", cert, ca);
	return MUR_OK;
}
