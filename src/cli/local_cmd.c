/*
 * local_cmd.c — `murphy local start|stop|status`: argument parsing, help
 * text and the status report.  The work is in local.c.
 */
#include "cli/cli.h"
#include "cli/local.h"
#include "cli/pgclient.h"
#include "cli/proc.h"
#include "cli/table.h"
#include "common/datadir.h"
#include "pgwire/pgw_server.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char local_usage[] =
	"usage: murphy local start  --dir DIR [--followers N] [--pg-port P]\n"
	"                           [--suspect-timeout-ms MS] [--dead-timeout-ms MS]\n"
	"                           [--write-pipeline N] [--startup-timeout-ms MS]\n"
	"                           [--txn-outcomes-keep-ms MS]\n"
	"                           [--idle-in-transaction-timeout-ms MS]\n"
	"                           [--no-faults | --allow-faults] [--password-file FILE]\n"
	"                           [--node-tls on|off]\n"
	"       murphy local stop   --dir DIR\n"
	"       murphy local cert   --dir DIR --name NAME\n"
	"       murphy local status --dir DIR\n"
	"\n"
	"A leader and N followers on 127.0.0.1, each a background process under DIR:\n"
	"DIR/leader, DIR/f1 .. DIR/fN, each with murphy.pid and murphy.log.\n"
	"\n"
	"  start   start the nodes that are not running and wait (up to 30 s) until\n"
	"          the cluster is ready to write: N followers back and every shard\n"
	"          taking writes (murphy.ready); prints the connection URL and the\n"
	"          password of the superuser murphy: $MURPHY_PASSWORD when set, else\n"
	"          DIR/password (made at the first start, 0600)\n"
	"          Starting again on the same DIR keeps the data.\n"
	"  stop    SIGTERM every node, SIGKILL after 10 s\n"
	"  status  which nodes run, and murphy.nodes as the leader sees it\n"
	"  cert    a certificate of the cluster CA for a node started by hand as\n"
	"          `murphy follower --dir DIR/NAME`: DIR/NAME/node.crt, node.key, node-ca.crt\n"
	"\n"
	"options:\n"
	"  --dir DIR        data directory (required)\n"
	"  --followers N    number of followers (default 3; remembered in DIR/local.conf)\n"
	"  --pg-port P      PostgreSQL port of the leader (default 5433; nodes use P+1..P+1+N)\n"
	"  --timeout S      seconds to wait for the cluster (default 30)\n"
	"  --password-file FILE\n"
	"                   the superuser's password is the first line of FILE (mode 0600;\n"
	"                   used at the first start, over $MURPHY_PASSWORD).  A file, not\n"
	"                   the password itself: a command line is readable by every\n"
	"                   user of the host (ps, /proc)\n"
	"  --suspect-timeout-ms MS, --dead-timeout-ms MS\n"
	"                   the leader's failure-detector timers (murphy leader --help;\n"
	"                   docs/failures.md); remembered in DIR/local.conf\n"
	"  --write-pipeline N\n"
	"                   row inserts a shard may have in flight (murphy leader --help;\n"
	"                   default 8, 1 turns pipelining off); remembered in DIR/local.conf\n"
	"  --startup-timeout-ms MS\n"
	"                   close client connections that have not completed the startup\n"
	"                   after MS (murphy leader --help; default 10000); remembered in\n"
	"                   DIR/local.conf\n"
	"  --txn-outcomes-keep-ms MS\n"
	"                   how long a multi-shard commit's decision stays in\n"
	"                   murphy.transaction_outcomes (murphy leader --help; default a\n"
	"                   day); remembered in DIR/local.conf\n"
	"  --idle-in-transaction-timeout-ms MS\n"
	"                   end a session idle inside a transaction block after MS (murphy\n"
	"                   leader --help; default 60000, 0 never); remembered in\n"
	"                   DIR/local.conf\n"
	"  --no-faults      start the leader without --allow-faults: murphy.fault and\n"
	"                   `murphy fault` are refused (42501).  By default a local cluster\n"
	"                   accepts them (it is for development; any client of the pg port\n"
	"                   can then kill, pause and partition followers).  Remembered in\n"
	"                   DIR/local.conf; --allow-faults turns them back on\n"
	"  --node-tls on|off  TLS between the nodes, each with a certificate of the\n"
	"                   cluster CA made in DIR (DIR/node-ca.crt, DIR/<node>/node.crt);\n"
	"                   default off: on loopback it hides nothing from anyone who\n"
	"                   could not read the keys, and costs CPU (docs/decisions.md\n"
	"                   \"TLS between nodes\"); remembered in DIR/local.conf\n";

/* Parse the options shared by start/stop/status.  2 on a usage error. */
static int parse_opts(int argc, char **argv, cli_local_opts *o)
{
	memset(o, 0, sizeof *o);
	o->followers = -1;
	o->pg_port = -1;
	o->suspect_timeout_ms = -1;
	o->dead_timeout_ms = -1;
	o->write_pipeline = -1;
	o->txn_outcomes_keep_ms = -1;
	o->startup_timeout_ms = -1;
	o->idle_in_txn_ms = -1;
	o->allow_faults = -1;
	o->node_tls = -1;
	for (int i = 0; i < argc; i++) {
		const char *a = argv[i];
		const char *v = i + 1 < argc ? argv[i + 1] : NULL;
		if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
			fputs(local_usage, stdout);
			return -1;
		}
		if (strcmp(a, "--no-faults") == 0 || strcmp(a, "--allow-faults") == 0) {
			o->allow_faults = strcmp(a, "--allow-faults") == 0;
			continue;
		}
		if (!v) {
			fprintf(stderr, "murphy local: unknown option or missing value: %s\n%s", a,
				local_usage);
			return 2;
		}
		if (strcmp(a, "--dir") == 0)
			snprintf(o->dir, sizeof o->dir, "%s", v);
		else if (strcmp(a, "--node-tls") == 0) {
			if (strcmp(v, "on") != 0 && strcmp(v, "off") != 0) {
				fprintf(stderr, "murphy local: --node-tls takes on or off\n");
				return 2;
			}
			o->node_tls = strcmp(v, "on") == 0;
		} else if (strcmp(a, "--followers") == 0)
			o->followers = atoi(v);
		else if (strcmp(a, "--pg-port") == 0)
			o->pg_port = atoi(v);
		else if (strcmp(a, "--password-file") == 0) {
			if (cli_local_password_file(v) != 0)
				return 2;
		} else if (strcmp(a, "--timeout") == 0)
			o->timeout_s = atoi(v);
		else if (strcmp(a, "--suspect-timeout-ms") == 0)
			o->suspect_timeout_ms = atol(v);
		else if (strcmp(a, "--dead-timeout-ms") == 0)
			o->dead_timeout_ms = atol(v);
		else if (strcmp(a, "--write-pipeline") == 0) {
			char *end;
			o->write_pipeline = strtol(v, &end, 10);
			if (*end || o->write_pipeline < 1 || o->write_pipeline > 64) {
				fprintf(stderr,
					"murphy local: --write-pipeline takes 1..64, got \"%s\"\n",
					v);
				return 2;
			}
		} else if (strcmp(a, "--startup-timeout-ms") == 0) {
			char *end;
			o->startup_timeout_ms = strtol(v, &end, 10);
			if (*end || o->startup_timeout_ms < PGW_STARTUP_TIMEOUT_MS_MIN ||
			    o->startup_timeout_ms > PGW_STARTUP_TIMEOUT_MS_MAX) {
				fprintf(stderr,
					"murphy local: --startup-timeout-ms takes %d..%d, got "
					"\"%s\"\n",
					PGW_STARTUP_TIMEOUT_MS_MIN, PGW_STARTUP_TIMEOUT_MS_MAX, v);
				return 2;
			}
		} else if (strcmp(a, "--txn-outcomes-keep-ms") == 0) {
			char *end;
			o->txn_outcomes_keep_ms = strtol(v, &end, 10);
			if (*end || o->txn_outcomes_keep_ms < 0) {
				fprintf(stderr,
					"murphy local: --txn-outcomes-keep-ms takes ms >= 0, got "
					"\"%s\"\n",
					v);
				return 2;
			}
		} else if (strcmp(a, "--idle-in-transaction-timeout-ms") == 0) {
			char *end;
			o->idle_in_txn_ms = strtol(v, &end, 10);
			if (*end || end == v || o->idle_in_txn_ms < 0 ||
			    o->idle_in_txn_ms > INT_MAX) {
				fprintf(stderr,
					"murphy local: --idle-in-transaction-timeout-ms takes "
					"0..%d, "
					"got \"%s\"\n",
					INT_MAX, v);
				return 2;
			}
		} else {
			fprintf(stderr, "murphy local: unknown option %s\n%s", a, local_usage);
			return 2;
		}
		i++;
	}
	if (!o->dir[0]) {
		fprintf(stderr, "murphy local: --dir DIR is required\n%s", local_usage);
		return 2;
	}
	return 0;
}

static int local_status(cli_local_opts *o)
{
	int down = 0;
	printf("%-8s %-9s %-22s %-8s %s\n", "node", "role", "listen", "pid", "process");
	for (int i = 0; i <= o->followers; i++) {
		char name[16], dir[PATH_MAX + 16], listen[32];
		if (i == 0)
			snprintf(name, sizeof name, "leader");
		else
			snprintf(name, sizeof name, "f%d", i);
		snprintf(dir, sizeof dir, "%s/%s", o->dir, name);
		snprintf(listen, sizeof listen, "127.0.0.1:%d", o->pg_port + 1 + i);
		pid_t pid = cli_proc_read_pid(dir);
		int up = cli_proc_is_node(pid, dir);
		down += !up;
		printf("%-8s %-9s %-22s %-8d %s\n", name, i ? "follower" : "leader", listen,
		       (int)pid, up ? "running" : "stopped");
	}
	cli_pg c;
	mur_error err;
	if (cli_pg_connect(&c, "127.0.0.1", o->pg_port, "murphy", "murphy", 2000, &err) != MUR_OK) {
		printf("\nleader not answering on 127.0.0.1:%d: %s\n", o->pg_port, err.message);
		return 1;
	}
	cli_pg_result res;
	printf("\nmurphy.nodes (postgresql://murphy@127.0.0.1:%d/murphy):\n", o->pg_port);
	if (cli_pg_query(&c, "SELECT * FROM murphy.nodes", &res, &err) == MUR_OK)
		cli_table_print(&res, stdout);
	else
		printf("  %s\n", err.message);
	cli_pg_result_free(&res);
	cli_pg_close(&c);
	return down ? 1 : 0;
}

/* "on"/"off" as the running leader reports allow_faults, or NULL. */
static const char *leader_faults(int pg_port, char *buf, size_t size)
{
	cli_pg c;
	cli_pg_result res;
	mur_error err;
	const char *v = NULL;
	if (cli_pg_connect(&c, "127.0.0.1", pg_port, "murphy", "murphy", 2000, &err) != MUR_OK)
		return NULL;
	if (cli_pg_query(&c, "SELECT setting FROM murphy.settings WHERE name = 'allow_faults'",
			 &res, &err) == MUR_OK &&
	    cli_pg_value(&res, 0, 0))
		v = strncpy(buf, cli_pg_value(&res, 0, 0), size - 1);
	buf[size - 1] = '\0';
	cli_pg_result_free(&res);
	cli_pg_close(&c);
	return v;
}

void cli_local_print_faults(const cli_local_opts *o)
{
	char buf[8];
	const char *on = leader_faults(o->pg_port, buf, sizeof buf);
	if (!on)
		on = o->allow_faults ? "on" : "off";
	if (strcmp(on, "on") == 0)
		printf("  faults:  on: any client can kill, pause and partition nodes with murphy "
		       "fault\n"
		       "           or SELECT murphy.fault(...) (start with --no-faults to refuse "
		       "them)\n");
	else
		printf("  faults:  off: murphy.fault is refused (start with --allow-faults to "
		       "allow it)\n");
	if ((strcmp(on, "on") == 0) != (o->allow_faults != 0))
		printf("           the running leader was started with faults %s; DIR/local.conf "
		       "now "
		       "says %s:\n           it applies once the leader restarts (murphy local "
		       "stop, "
		       "then start)\n",
		       on, o->allow_faults ? "on" : "off");
}

/* murphy local cert --dir DIR --name NAME */
static int local_cert(int argc, char **argv)
{
	const char *dir = NULL, *name = NULL;
	for (int i = 0; i + 1 < argc; i += 2) {
		if (strcmp(argv[i], "--dir") == 0)
			dir = argv[i + 1];
		else if (strcmp(argv[i], "--name") == 0)
			name = argv[i + 1];
	}
	if (!dir || !name || argc != 4 || strchr(name, '/') || name[0] == '.') {
		fprintf(stderr, "murphy local cert: takes --dir DIR --name NAME (a node name)\n");
		return 2;
	}
	mur_datadir_private();
	return cli_local_node_cert(dir, name);
}

int cli_local_main(int argc, char **argv)
{
	if (argc < 2 || strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
		fputs(local_usage, argc < 2 ? stderr : stdout);
		return argc < 2 ? 2 : 0;
	}
	const char *cmd = argv[1];
	if (strcmp(cmd, "cert") == 0)
		return local_cert(argc - 2, argv + 2);
	if (strcmp(cmd, "start") != 0 && strcmp(cmd, "stop") != 0 && strcmp(cmd, "status") != 0) {
		fprintf(stderr, "murphy local: unknown command '%s'\n%s", cmd, local_usage);
		return 2;
	}
	cli_local_opts o;
	int rc = parse_opts(argc - 2, argv + 2, &o);
	if (rc != 0)
		return rc < 0 ? 0 : rc;
	if (strcmp(cmd, "stop") == 0)
		return cli_local_stop(o.dir);
	if (cli_local_resolve(&o) != 0)
		return 1;
	if (strcmp(cmd, "status") == 0)
		return local_status(&o);
	return cli_local_start(&o);
}
