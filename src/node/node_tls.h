/*
 * node_tls.h — the node TLS options of `murphy leader` and `murphy
 * follower`, and the decision whether node traffic runs over TLS
 * (net_tls_use; docs/decisions.md "TLS between nodes"):
 *
 *   --node-tls on|off        on: the three files must load; off: plain TCP
 *   --node-tls-cert FILE     this node's certificate (PEM; default DIR/node.crt)
 *   --node-tls-key FILE      its private key (0600; default DIR/node.key)
 *   --node-tls-ca FILE       the cluster CA peers must chain to (DIR/node-ca.crt)
 *
 * Without --node-tls: on when any file is given or DIR/node.crt exists,
 * else off — and then a node listening on an address other than loopback
 * refuses to start (its frames would cross a network in clear) unless
 * --node-tls off says so explicitly, which is logged as a warning.
 */
#ifndef MUR_NODE_TLS_H
#define MUR_NODE_TLS_H

#include "common/tls.h"

#define NODE_TLS_CERT_FILE MUR_NODE_TLS_CERT_FILE
#define NODE_TLS_KEY_FILE MUR_NODE_TLS_KEY_FILE
#define NODE_TLS_CA_FILE MUR_NODE_TLS_CA_FILE

#define NODE_TLS_USAGE                                                                             \
	"  --node-tls on|off  TLS between nodes, certificates checked against the cluster CA\n"    \
	"                   (default: on when DIR/" NODE_TLS_CERT_FILE                             \
	" exists or a file is given;\n"                                                            \
	"                   off on a non-loopback --listen must be said explicitly)\n"             \
	"  --node-tls-cert FILE --node-tls-key FILE --node-tls-ca FILE\n"                          \
	"                   this node's certificate, its key (0600) and the cluster CA\n"          \
	"                   (defaults DIR/" NODE_TLS_CERT_FILE ", DIR/" NODE_TLS_KEY_FILE          \
	", DIR/" NODE_TLS_CA_FILE ")\n"

typedef struct node_tls_opts {
	int mode; /* -1 not given, 0 off, 1 on */
	const char *cert, *key, *ca;
} node_tls_opts;

void node_tls_opts_init(node_tls_opts *o);
/* 1 when opt is one of the options above (its value v is taken; *rc is
 * MUR_ERR, said on stderr by prog, when v is bad), 0 otherwise. */
int node_tls_parse(const char *prog, const char *opt, const char *v, node_tls_opts *o, int *rc);
/* Decide, load and net_tls_use; *ctx (free at exit) stays NULL when off.
 * MUR_OK, or MUR_ERR (logged under who): a file does not load, or a
 * non-loopback listen without node TLS. */
int node_tls_setup(const char *who, const char *dir, const char *listen, const node_tls_opts *o,
		   mur_tls_ctx **ctx);

#endif
