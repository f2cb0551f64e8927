/*
 * demo.c — `murphy demo`: a local cluster with a sample data set, then psql.
 *
 * Flow: local start (local.c) → unless DIR/demo.loaded says the data is in
 * place: drop + create users and events, COPY them in 64 KiB CopyData
 * chunks with progress on stderr, write DIR/demo.loaded → show a first
 * query and a list of queries to try → exec psql (or print how to connect
 * when psql is missing, stdin is not a terminal, or --no-psql).
 */
#include "cli/cli.h"
#include "cli/demo_data.h"
#include "cli/local.h"
#include "cli/pgclient.h"
#include "cli/table.h"
#include "common/clock.h"
#include "common/datadir.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define CLI_DEMO_CHUNK_BYTES (64 * 1024)
#define CLI_DEMO_EVENTS_DEFAULT 1000000L
#define CLI_DEMO_USERS_DEFAULT 100000L
#define CLI_DEMO_TIMEOUT_MS (10 * 60 * 1000)
#define CLI_DEMO_SEED 20240917u

typedef struct demo_opts {
	cli_local_opts local;
	long events;
	long users;
	int no_psql;
} demo_opts;

static const char demo_usage[] =
	"usage: murphy demo [--dir DIR] [--pg-port P] [--followers N] [--events N] [--users N]\n"
	"                   [--no-psql]\n"
	"\n"
	"Starts a local cluster (as `murphy local start`), loads a sample data set once\n"
	"(users with a state, events with user_id, kind and created_at) and opens psql.\n"
	"Fault injection is on, as with `murphy local start` (murphy fault, docs/failures.md),\n"
	"unless DIR was started with `murphy local start --no-faults`.\n"
	"\n"
	"  --dir DIR      data directory (default ./murphy-demo)\n"
	"  --pg-port P    PostgreSQL port (default 5433)\n"
	"  --followers N  followers (default 3)\n"
	"  --events N     events to load (default 1000000)\n"
	"  --users N      users to load (default 100000)\n"
	"  --no-psql      do not open psql at the end\n"
	"\n"
	"Stop it with: murphy local stop --dir DIR\n";

static const char create_users[] = "CREATE TABLE users (id int PRIMARY KEY, name text, state text)";
static const char create_events[] =
	"CREATE TABLE events (id bigint PRIMARY KEY, user_id int, kind text, created_at timestamp) "
	"PARTITION BY HASH (id)";

static int parse_opts(int argc, char **argv, demo_opts *o)
{
	memset(o, 0, sizeof *o);
	snprintf(o->local.dir, sizeof o->local.dir, "./murphy-demo");
	o->local.followers = -1;
	o->local.pg_port = -1;
	o->local.suspect_timeout_ms = -1;
	o->local.dead_timeout_ms = -1;
	o->local.write_pipeline = -1;
	o->local.startup_timeout_ms = -1;
	o->local.txn_outcomes_keep_ms = -1;
	o->local.allow_faults = -1; /* local.conf's choice, else on */
	o->local.node_tls = -1;     /* local.conf's choice, else CLI_LOCAL_NODE_TLS_DEFAULT */
	o->events = CLI_DEMO_EVENTS_DEFAULT;
	o->users = CLI_DEMO_USERS_DEFAULT;
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
		if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
			fputs(demo_usage, stdout);
			return -1;
		}
		if (strcmp(a, "--no-psql") == 0) {
			o->no_psql = 1;
			continue;
		}
		if (!v)
			goto usage;
		if (strcmp(a, "--dir") == 0)
			snprintf(o->local.dir, sizeof o->local.dir, "%s", v);
		else if (strcmp(a, "--pg-port") == 0)
			o->local.pg_port = atoi(v);
		else if (strcmp(a, "--followers") == 0)
			o->local.followers = atoi(v);
		else if (strcmp(a, "--events") == 0)
			o->events = atol(v);
		else if (strcmp(a, "--users") == 0)
			o->users = atol(v);
		else
			goto usage;
		i++;
	}
	if (o->events < 0 || o->users < 1)
		goto usage;
	return 0;
usage:
	fprintf(stderr, "murphy demo: bad arguments\n%s", demo_usage);
	return 2;
}

static int sql(cli_pg *c, const char *text)
{
	mur_error err;
	int rc = cli_pg_query(c, text, NULL, &err);
	if (rc != MUR_OK)
		fprintf(stderr, "murphy demo: %s\n  failed: %s (SQLSTATE %s)\n", text, err.message,
			err.sqlstate);
	return rc;
}

/* COPY `rows` generated rows into table; progress on stderr. */
static int load(cli_pg *c, const char *table, const char *copy_sql, long rows, long users)
{
	mur_error err;
	mur_buf chunk;
	cli_demo_rng rng;
	char tag[64];
	time_t now = (time_t)(mur_wall_ms() / 1000);
	uint64_t t0_ms = mur_now_ms();
	int tty = isatty(2), rc;
	long step = rows / 20 > 0 ? rows / 20 : 1;
	cli_demo_rng_init(&rng, CLI_DEMO_SEED + (uint64_t)strlen(table));
	if ((rc = cli_pg_copy_begin(c, copy_sql, &err)) != MUR_OK)
		goto fail;
	mur_buf_init(&chunk);
	for (long id = 1; id <= rows; id++) {
		if (users)
			cli_demo_event_row(&chunk, &rng, id, users, now);
		else
			cli_demo_user_row(&chunk, &rng, id);
		if (chunk.len >= CLI_DEMO_CHUNK_BYTES || id == rows) {
			rc = cli_pg_copy_data(c, chunk.data, chunk.len, &err);
			mur_buf_reset(&chunk);
			if (rc != MUR_OK)
				break;
		}
		if (id % step == 0 || id == rows)
			fprintf(stderr, "%sloading %s: %ld / %ld rows (%.0f%%)%s", tty ? "\r" : "",
				table, id, rows, 100.0 * (double)id / (double)rows,
				tty ? "" : "\n");
	}
	mur_buf_free(&chunk);
	if (tty)
		fputc('\n', stderr);
	if (rc == MUR_OK)
		rc = cli_pg_copy_end(c, NULL, tag, sizeof tag, &err);
	if (rc != MUR_OK)
		goto fail;
	double dt = (double)(mur_now_ms() - t0_ms) / 1000.0;
	fprintf(stderr, "loaded %s: %s in %.1f s (%.0f rows/s)\n", table, tag, dt,
		dt > 0 ? (double)rows / dt : 0.0);
	return MUR_OK;
fail:
	fprintf(stderr, "murphy demo: loading %s failed: %s (SQLSTATE %s)\n", table, err.message,
		err.sqlstate);
	return rc;
}

static int load_all(cli_pg *c, const demo_opts *o, const char *marker)
{
	unlink(marker);
	if (sql(c, "DROP TABLE IF EXISTS events") || sql(c, "DROP TABLE IF EXISTS users") ||
	    sql(c, create_users) || sql(c, create_events))
		return 1;
	if (load(c, "users", "COPY users (id, name, state) FROM STDIN", o->users, 0) ||
	    load(c, "events", "COPY events (id, user_id, kind, created_at) FROM STDIN", o->events,
		 o->users))
		return 1;
	FILE *f = fopen(marker, "we");
	if (f) {
		fprintf(f, "users=%ld\nevents=%ld\n", o->users, o->events);
		fclose(f);
	}
	return 0;
}

static void show(cli_pg *c, const char *query)
{
	cli_pg_result res;
	mur_error err;
	printf("murphy=> %s;\n", query);
	if (cli_pg_query(c, query, &res, &err) == MUR_OK)
		cli_table_print(&res, stdout);
	else
		printf("ERROR:  %s\n\n", err.message);
	cli_pg_result_free(&res);
}

static void print_examples(const char *dir, int port)
{
	char since[16];
	time_t t = (time_t)(mur_wall_ms() / 1000) - 30L * 24 * 3600;
	struct tm tm;
	gmtime_r(&t, &tm);
	strftime(since, sizeof since, "%Y-%m-%d", &tm);
	printf("Queries to try:\n"
	       "  SELECT state, count(*) FROM users GROUP BY state ORDER BY 2 DESC LIMIT 5;\n"
	       "  SELECT kind, count(*) FROM events\n"
	       "    WHERE created_at >= '%s' GROUP BY kind ORDER BY 2 DESC;\n"
	       "  SELECT count(DISTINCT user_id) FROM events;      -- distinct values from every "
	       "shard\n"
	       "  SELECT count(DISTINCT id) FROM events;           -- summed per shard\n"
	       "  SELECT * FROM events WHERE id = 42;              -- router: one shard\n"
	       "  EXPLAIN SELECT kind, count(*) FROM events GROUP BY kind;\n"
	       "  EXPLAIN ANALYZE SELECT count(DISTINCT user_id) FROM events;\n"
	       "  SELECT * FROM murphy.shards;\n"
	       "  SELECT * FROM murphy.nodes;\n\n",
	       since);
	if (cli_local_password_given())
		printf("Connect: PGPASSWORD=\"$%s\" psql -h 127.0.0.1 -p %d -U murphy murphy\n",
		       MUR_PASSWORD_ENV, port);
	else
		printf("Connect: PGPASSWORD=$(cat %s/%s) psql -h 127.0.0.1 -p %d -U murphy "
		       "murphy\n",
		       dir, MUR_DATADIR_PASSWORD_FILE, port);
	printf("         postgresql://murphy@127.0.0.1:%d/murphy (user murphy, the password "
	       "above)\n\n",
	       port);
}

static int open_psql(const demo_opts *o)
{
	char port[16];
	snprintf(port, sizeof port, "%d", o->local.pg_port);
	if (o->no_psql || !isatty(0)) {
		printf("Stop the cluster with: murphy local stop --dir %s\n", o->local.dir);
		return 0;
	}
	printf("Opening psql (\\q to quit; the cluster keeps running; stop it with:\n"
	       "  murphy local stop --dir %s)\n\n",
	       o->local.dir);
	fflush(stdout);
	/* psql logs in with the superuser's password (cli_local_password set it) */
	if (getenv(MUR_PASSWORD_ENV) && !getenv("PGPASSWORD"))
		setenv("PGPASSWORD", getenv(MUR_PASSWORD_ENV), 1);
	execlp("psql", "psql", "-h", "127.0.0.1", "-p", port, "-U", "murphy", "murphy",
	       (char *)NULL);
	printf("psql is not available (%s); connect with any PostgreSQL client to\n"
	       "  postgresql://murphy@127.0.0.1:%s/murphy\n",
	       strerror(errno), port);
	return 0;
}

int cli_demo_main(int argc, char **argv)
{
	demo_opts o;
	int rc = parse_opts(argc, argv, &o);
	if (rc != 0)
		return rc < 0 ? 0 : rc;
	if (cli_local_resolve(&o.local) != 0 || cli_local_start(&o.local) != 0)
		return 1;
	cli_pg c;
	mur_error err;
	if (cli_pg_connect(&c, "127.0.0.1", o.local.pg_port, "murphy", "murphy",
			   CLI_DEMO_TIMEOUT_MS, &err) != MUR_OK) {
		fprintf(stderr, "murphy demo: cannot connect: %s\n", err.message);
		return 1;
	}
	char marker[PATH_MAX + 16];
	snprintf(marker, sizeof marker, "%s/demo.loaded", o.local.dir);
	if (access(marker, F_OK) == 0 &&
	    cli_pg_query(&c, "SELECT 1 FROM events LIMIT 1", NULL, &err) == MUR_OK) {
		printf("murphy: sample data already loaded (remove %s to reload)\n\n", marker);
	} else if (load_all(&c, &o, marker) != 0) {
		cli_pg_close(&c);
		return 1;
	}
	printf("\n");
	show(&c, "SELECT state, count(*) FROM users GROUP BY state ORDER BY count(*) DESC LIMIT 5");
	show(&c, "SELECT count(DISTINCT user_id) AS users_with_events FROM events");
	cli_pg_close(&c);
	print_examples(o.local.dir, o.local.pg_port);
	return open_psql(&o);
}
