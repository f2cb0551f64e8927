/*
 * target.c — resolve `--pg HOST:PORT` / `--dir DIR` and connect with the
 * command line's pgclient (contract in target.h).
 */
#include "cli/target.h"

#include "cli/local.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int cli_target_arg(cli_target *t, int argc, char **argv, int *i, const char *prog)
{
	const char *a = argv[*i];
	if (strcmp(a, "--pg") != 0 && strcmp(a, "--dir") != 0)
		return 0;
	if (*i + 1 >= argc) {
		fprintf(stderr, "%s: %s needs a value\n", prog, a);
		return -1;
	}
	if (a[2] == 'p')
		t->pg = argv[*i + 1];
	else
		t->dir = argv[*i + 1];
	(*i)++;
	return 1;
}

/* pg_port= from DIR/local.conf, or -1. */
static int conf_port(const char *dir)
{
	char path[4200], line[128];
	int port = -1, v;
	FILE *f;
	snprintf(path, sizeof path, "%s/local.conf", dir);
	if (!(f = fopen(path, "re")))
		return -1;
	while (fgets(line, sizeof line, f))
		if (sscanf(line, "pg_port=%d", &v) == 1)
			port = v;
	fclose(f);
	return port;
}

static int resolve(cli_target *t, const char *prog)
{
	snprintf(t->host, sizeof t->host, "127.0.0.1");
	t->port = CLI_LOCAL_PG_PORT_DEFAULT;
	if (t->pg) {
		const char *colon = strrchr(t->pg, ':');
		char *end;
		long p = colon ? strtol(colon + 1, &end, 10) : -1;
		if (!colon || colon == t->pg || *end || p < 1 || p > 65535 ||
		    (size_t)(colon - t->pg) >= sizeof t->host) {
			fprintf(stderr, "%s: --pg wants HOST:PORT, got \"%s\"\n", prog, t->pg);
			return 1;
		}
		memcpy(t->host, t->pg, (size_t)(colon - t->pg));
		t->host[colon - t->pg] = '\0';
		t->port = (int)p;
	} else if (t->dir) {
		if (cli_local_password(t->dir, 0) != 0)
			return 1;
		if ((t->port = conf_port(t->dir)) < 0) {
			fprintf(stderr,
				"%s: no pg_port in %s/local.conf (is it a `murphy local` "
				"directory?)\n",
				prog, t->dir);
			return 1;
		}
	}
	return 0;
}

int cli_target_connect(cli_target *t, cli_pg *c, const char *prog)
{
	mur_error err;
	if (resolve(t, prog) != 0)
		return 1;
	if (cli_pg_connect(c, t->host, t->port, "murphy", "murphy", CLI_TARGET_TIMEOUT_MS, &err) !=
	    MUR_OK) {
		fprintf(stderr, "%s: cannot reach the leader at %s:%d: %s\n", prog, t->host,
			t->port, err.message);
		return 1;
	}
	return 0;
}
