/*
 * target.h — which leader an admin command talks to: `--pg HOST:PORT` or
 * `--dir DIR` (a `murphy local` data directory: the port comes from
 * DIR/local.conf).  Neither: 127.0.0.1 and CLI_LOCAL_PG_PORT_DEFAULT.
 * Shared by `murphy fault` and `murphy status`.
 */
#ifndef CLI_TARGET_H
#define CLI_TARGET_H

#include "cli/pgclient.h"

#define CLI_TARGET_TIMEOUT_MS 10000

typedef struct cli_target {
	char host[256];
	int port;
	const char *pg;  /* the --pg value, or NULL */
	const char *dir; /* the --dir value, or NULL */
} cli_target;

/* If argv[*i] is --pg or --dir, take it and its value (advancing *i) and
 * return 1; 0 when it is something else; -1 (message on stderr, prog
 * names the command) when the value is missing. */
int cli_target_arg(cli_target *t, int argc, char **argv, int *i, const char *prog);
/* Resolve host and port, connect.  0, or 1 with a message on stderr. */
int cli_target_connect(cli_target *t, cli_pg *c, const char *prog);

#endif
