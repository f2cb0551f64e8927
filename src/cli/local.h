/*
 * local.h — `murphy local`: the embedded cluster under one data directory,
 * shared by `murphy local …` and `murphy demo`.
 *
 * Layout of DIR:
 *   DIR/local.conf          followers=N, pg_port=P, allow_faults=0|1, and the
 *                           leader's failure-detector timers and write pipeline
 *                           when given (remembered across starts)
 *   DIR/leader/             leader node: --listen 127.0.0.1:P+1, --pg 127.0.0.1:P
 *   DIR/f1 … DIR/fN/        follower i:  --listen 127.0.0.1:P+1+i, --join 127.0.0.1:P+1
 *   DIR/<name>/murphy.pid   written by the node; murphy.log: its stderr
 *   DIR/<name>/cluster.secret  the same random secret in every node dir
 *   DIR/node-ca.crt, node-ca.key  the cluster CA for TLS between nodes (key 0600)
 *   DIR/<name>/node.crt, node.key, node-ca.crt  each node's certificate (CA-signed),
 *                           its key (0600) and the CA's certificate
 *   DIR/password            the superuser murphy's password, made at the first
 *                           start unless $MURPHY_PASSWORD gives one (0600)
 * Everything under DIR is created 0600/0700 (umask 077).
 */
#ifndef CLI_LOCAL_H
#define CLI_LOCAL_H

#include <limits.h>
#include <stddef.h>

#define CLI_LOCAL_FOLLOWERS_DEFAULT 3
#define CLI_LOCAL_FOLLOWERS_MAX 64 /* ports P+1 … P+1+N must stay below 65536 */
#define CLI_LOCAL_NODES_MAX (CLI_LOCAL_FOLLOWERS_MAX + 1) /* and the leader */
#define CLI_LOCAL_PG_PORT_DEFAULT 5433
#define CLI_LOCAL_READY_TIMEOUT_S 30
#define CLI_LOCAL_STOP_TIMEOUT_S 10
/* TLS between the nodes of a local cluster only with --node-tls on: on
 * loopback it hides nothing from anyone who could not read the keys, and
 * costs 9-40% more CPU per operation (docs/decisions.md "TLS between
 * nodes", bench/bench_node_tls.py). */
#define CLI_LOCAL_NODE_TLS_DEFAULT 0

typedef struct cli_local_opts {
	char dir[PATH_MAX];      /* absolute once cli_local_resolve() ran */
	int followers;           /* -1: from local.conf, else the default */
	int pg_port;             /* -1: from local.conf, else the default */
	int timeout_s;           /* wait for SQL this long */
	long suspect_timeout_ms; /* leader --suspect-timeout-ms; -1 unset, 0 the leader's default */
	long dead_timeout_ms;    /* leader --dead-timeout-ms; same */
	long write_pipeline;     /* leader --write-pipeline; same */
	long startup_timeout_ms; /* leader --startup-timeout-ms; same */
	long txn_outcomes_keep_ms; /* leader --txn-outcomes-keep-ms; -1: the leader's default */
	long idle_in_txn_ms;       /* leader --idle-in-transaction-timeout-ms; -1 unset (the
				    leader's default); 0 is a value here (never) */
	int allow_faults;          /* leader --allow-faults: -1 from local.conf, else 1 (on) */
	int node_tls; /* every node's --node-tls: -1 from local.conf, else CLI_LOCAL_NODE_TLS_DEFAULT */
} cli_local_opts;

/* Fill unset followers/pg_port from DIR/local.conf or the defaults and make
 * dir absolute (creating it).  0 or 1 with a message on stderr. */
int cli_local_resolve(cli_local_opts *o);

/* Node i's name: "leader" for 0, "f<i>" otherwise. */
void cli_local_node_name(int i, char *buf, size_t size);
/* DIR/<name of node i>[/file] into buf. */
void cli_local_node_path(const cli_local_opts *o, int i, const char *file, char *buf, size_t size);
/* $MURPHY_PASSWORD for this process and the nodes it starts (the leader
 * makes the superuser murphy with it at its first start; the command
 * line's own connections log in with it): kept when set, else read from
 * DIR/password, made there first when create.  0, or 1 (message on
 * stderr). */
int cli_local_password(const char *dir, int create);
/* 1 when $MURPHY_PASSWORD came from the user's environment or
 * --password-file. */
int cli_local_password_given(void);
/* --password-file path: its first line (mur_password_file_read) becomes
 * $MURPHY_PASSWORD for this process and the nodes it starts.  0, or 1
 * (message on stderr). */
int cli_local_password_file(const char *path);
/* The --password-file given, NULL when none. */
const char *cli_local_password_file_given(void);
/* DIR/name/node.crt and node.key signed by the cluster CA (DIR/node-ca.crt
 * and node-ca.key, made first when missing) and a copy of the CA's
 * certificate, unless the node has its certificate: `murphy local start`
 * for its nodes, `murphy local cert` for a node started by hand.  0 or 1
 * (message on stderr). */
int cli_local_node_cert(const char *dir, const char *name);
/* Create the node directories, write local.conf, share the secret, and
 * the password (cli_local_password).  0 or 1. */
int cli_local_prepare(const cli_local_opts *o);

/* Start whatever nodes are not running, wait until murphy.ready shows N
 * followers back and every shard taking writes, print the URL.  0 or 1 (message on stderr). */
int cli_local_start(cli_local_opts *o);

/* One line: whether the leader accepts fault injection (as it reports in
 * murphy.settings; o->allow_faults when it does not answer), and a note
 * when local.conf now says otherwise. */
void cli_local_print_faults(const cli_local_opts *o);

/* One line: the superuser's password (DIR/password), or that
 * $MURPHY_PASSWORD gives it. */
void cli_local_print_password(const char *dir);

/* SIGTERM every node with a pid file, SIGKILL after the timeout. 0 or 1. */
int cli_local_stop(const char *dir);

#endif
