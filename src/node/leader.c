/*
 * leader.c — `murphy leader`: the coordinator process.
 *
 * Wiring, all on one libuv loop:
 *   catalog  (DIR/catalog.db, durable)
 *   clu_leader   follower connections: HELLO/secret, heartbeats, tasks
 *   lead_engine  SQL: plan → shard tasks → merge (leader/lead.h)
 *   pgw_server   PostgreSQL clients on --pg
 *   a 1 s timer  persisting applied LSNs (cat_flush_lsns)
 * SIGTERM/SIGINT close the listeners and connections, flush the catalog
 * and return once every handle has closed.
 *
 * Fault injection (murphy.fault, `murphy fault`) is wired into the engine
 * only with --allow-faults; without it every call is refused (42501).
 * Files: mur_datadir_private() first, so the catalog (and its -wal/-shm),
 * the pid file and the data directory are the user's alone (0600/0700).
 */
#include "node/leader.h"

#include "catalog/catalog.h"
#include "cluster/cluster.h"
#include "cluster/fault.h"
#include "common/datadir.h"
#include "common/log.h"
#include "leader/lead.h"
#include "net/net.h"
#include "pgwire/pgw_server.h"
#include "node/node_tls.h"
#include "pgwire/pgw_tls.h"
#include "replication/repl.h"
#include "storage/storage.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <uv.h>

#define LEADER_FLUSH_MS 1000

typedef struct leader {
	uv_loop_t *loop;
	const char *dir;
	catalog *cat;
	clu_leader *clu;
	lead_engine *engine;
	pgw_server *pg;
	uv_timer_t flush_timer;
	uv_signal_t sigterm, sigint;
	int stopping;
} leader;

static void usage(FILE *f)
{
	fprintf(f,
		"usage: murphy leader --dir DIR --listen HOST:PORT --pg HOST:PORT\n"
		"                     [--suspect-timeout-ms MS] [--dead-timeout-ms MS]\n"
		"                     [--write-pipeline N] [--startup-timeout-ms MS]\n"
		"                     [--txn-outcomes-keep-ms MS]\n"
		"                     [--idle-in-transaction-timeout-ms MS]\n"
		"                     [--tcp-keepalives-idle S] [--tcp-keepalives-interval S]\n"
		"                     [--tcp-keepalives-count N] [--allow-faults]\n"
		"                     [--auth scram|trust] [--tls-cert FILE --tls-key FILE]\n"
		"                     [--tls-required] [--node-tls on|off]\n"
		"                     [--node-tls-cert FILE --node-tls-key FILE --node-tls-ca "
		"FILE]\n"
		"\n"
		"Runs the coordinator in the foreground, logging to stderr.\n"
		"  --dir DIR         data directory: catalog.db, cluster.secret, murphy.pid\n"
		"  --listen H:P      address followers join (murphy follower --join H:P)\n"
		"  --pg H:P          PostgreSQL protocol address for clients (psql -h H -p P)\n"
		"  --suspect-timeout-ms MS   no heartbeat for MS: follower is suspect (default "
		"1500)\n"
		"  --dead-timeout-ms MS      no heartbeat for MS: follower is dead (default "
		"10000)\n"
		"  --write-pipeline N        row inserts a shard may have in flight before the\n"
		"                            copies answered the previous ones (default 8, 1..64;\n"
		"                            1 turns pipelining off; docs/replication.md)\n"
		"  --startup-timeout-ms MS   close a client connection that has not completed the\n"
		"                            startup MS after it was accepted (default %d,\n"
		"                            %d..%d).  Connections in startup never take a\n"
		"                            session's place: at most %d sessions, and apart\n"
		"                            from them at most %d connections in startup, the\n"
		"                            oldest closed for a new one (docs/failures.md)\n"
		"  --txn-outcomes-keep-ms MS keep a multi-shard commit's recorded decision\n"
		"                            (murphy.transaction_outcomes) MS after the commit\n"
		"                            and as long as a copy may need it (default\n"
		"                            86400000: a day; past %d rows the oldest\n"
		"                            no copy needs go sooner; docs/transactions.md)\n"
		"  --idle-in-transaction-timeout-ms MS   every session's default of\n"
		"                            idle_in_transaction_session_timeout: a session idle\n"
		"                            inside a transaction block this long is ended (FATAL\n"
		"                            25P03) and its block undone (default %d; 0: never)\n"
		"  --tcp-keepalives-idle S, --tcp-keepalives-interval S, --tcp-keepalives-count N\n"
		"                            TCP keepalive of client connections (defaults %d, "
		"%d,\n"
		"                            %d): a client whose host or network is gone is\n"
		"                            declared lost after S + S * N seconds of silence and\n"
		"                            its block undone (docs/failures.md, \"A lost "
		"client\")\n"
		"  --allow-faults            accept fault injection (SELECT murphy.fault('kill "
		"f1'),\n"
		"                            murphy fault): any client of --pg can then kill, "
		"pause\n"
		"                            and partition followers.  Off by default (refused "
		"with\n"
		"                            42501); murphy local start and murphy demo turn it "
		"on\n"
		"                            (docs/failures.md)\n"
		"  --auth scram|trust        scram (default): clients prove their role's password\n"
		"                            (SCRAM-SHA-256); at the first start the superuser\n"
		"                            murphy is created with the password of\n"
		"                            --password-file, else $MURPHY_PASSWORD, else a new\n"
		"                            one written to DIR/password (0600).  trust: any user\n"
		"                            name is taken\n"
		"                            as given, without a password (tests; "
		"docs/decisions.md)\n"
		"  --password-file FILE      the first line of FILE (mode 0600) is the password "
		"of\n"
		"                            the superuser murphy made at the first start.  A\n"
		"                            file, not the password itself: a command line is\n"
		"                            readable by every user of the host (ps, /proc)\n"
		"  --tls-cert FILE --tls-key FILE   PEM certificate (chain) and private key:\n"
		"                            clients may connect with TLS (sslmode=require,\n"
		"                            verify-full).  Without them DIR/" PGW_TLS_CERT_FILE
		" and\n"
		"                            DIR/" PGW_TLS_KEY_FILE
		" are used when present (murphy local makes\n"
		"                            a self-signed pair); with neither, no TLS\n"
		"  --tls-required            refuse clients that do not use TLS (FATAL "
		"28000)\n" NODE_TLS_USAGE "SIGTERM or SIGINT shuts it down cleanly.\n",
		PGW_STARTUP_TIMEOUT_MS_DEFAULT, PGW_STARTUP_TIMEOUT_MS_MIN,
		PGW_STARTUP_TIMEOUT_MS_MAX, PGW_CONNECTIONS_MAX, PGW_STARTUP_CONNECTIONS_MAX,
		REPL_OUTCOMES_ROWS_MAX, LEAD_IDLE_IN_TXN_TIMEOUT_MS_DEFAULT,
		PGW_KEEPALIVE_IDLE_S_DEFAULT, PGW_KEEPALIVE_INTERVAL_S_DEFAULT,
		PGW_KEEPALIVE_COUNT_DEFAULT);
}

static int split_hostport(const char *s, char *host, size_t hostsz, int *port)
{
	const char *colon = strrchr(s, ':');
	char *end;
	long p;
	if (!colon || (size_t)(colon - s) >= hostsz)
		return MUR_ERR;
	memcpy(host, s, (size_t)(colon - s));
	host[colon - s] = '\0';
	p = strtol(colon + 1, &end, 10);
	if (*end || p < 0 || p > 65535)
		return MUR_ERR;
	*port = (int)p;
	return MUR_OK;
}

static int tr_send(void *ctx, uint32_t node_id, exec_task *task, lead_task_cb cb, void *arg,
		   mur_error *err)
{
	return clu_send_task(ctx, node_id, task, cb, arg, err);
}

static int tr_connected(void *ctx, uint32_t node_id) { return clu_node_connected(ctx, node_id); }

static uint64_t tr_loop_stall_max_ms(void *ctx) { return clu_leader_loop_stall_max_ms(ctx); }

static int tr_fault(void *ctx, const char *cmd, char *reply, size_t replysz, mur_error *err)
{
	return clu_fault_command(ctx, cmd, reply, replysz, err);
}

/* The catalog is about to write (and fsync) on the loop thread: frames the
 * loop turn gathered leave first (cat_set_write_hook). */
static void flush_frames(void *arg)
{
	(void)arg;
	net_flush_pending();
}

static void on_flush(uv_timer_t *t)
{
	leader *l = t->data;
	cat_flush_lsns(l->cat);
	if (l->engine)
		lead_engine_tick(l->engine);
}

static void on_node_change(void *arg, uint32_t node_id)
{
	leader *l = arg;
	if (l->engine)
		lead_engine_node_changed(l->engine, node_id);
}

static void on_progress(void *arg, uint32_t node_id, uint64_t task_id, uint64_t done,
			uint64_t total, const char *phase)
{
	leader *l = arg;
	if (l->engine)
		lead_engine_progress(l->engine, node_id, task_id, done, total, phase);
}

static void on_signal(uv_signal_t *s, int signum)
{
	leader *l = s->data;
	if (l->stopping)
		return;
	l->stopping = 1;
	MLOG(INFO, "leader", "signal %d: shutting down", signum);
	if (l->pg)
		pgw_server_close(l->pg);
	if (l->clu)
		clu_leader_stop(l->clu);
	uv_timer_stop(&l->flush_timer);
	uv_close((uv_handle_t *)&l->flush_timer, NULL);
	uv_close((uv_handle_t *)&l->sigterm, NULL);
	uv_close((uv_handle_t *)&l->sigint, NULL);
}

/* What the leader gives every client session (lead_idle.c). */
typedef struct client_opts {
	long idle_in_txn_ms;
	pgw_keepalive ka;
	int auth_scram;                 /* --auth scram (the default) or trust */
	const char *tls_cert, *tls_key; /* --tls-cert/--tls-key; NULL: DIR's files if any */
	int tls_required;               /* --tls-required */
	const char *password_file;      /* --password-file: the first start's superuser password */
	node_tls_opts node_tls;         /* --node-tls* (node_tls.h): not for clients, parsed here */
} client_opts;

/* v as a whole number in lo..hi into *out; MUR_ERR (said on stderr)
 * otherwise. */
static int parse_range(const char *a, const char *v, long lo, long hi, long *out)
{
	char *end;
	*out = strtol(v, &end, 10);
	if (*end || end == v || *out < lo || *out > hi) {
		fprintf(stderr, "murphy leader: %s takes %ld..%ld, got \"%s\"\n", a, lo, hi, v);
		return MUR_ERR;
	}
	return MUR_OK;
}

/* A client option (a, v): 1 when a is one (*rc set), 0 otherwise. */
static int parse_client_opt(const char *a, const char *v, client_opts *co, int *rc)
{
	long n = 0;
	if (strcmp(a, "--idle-in-transaction-timeout-ms") == 0) {
		*rc = parse_range(a, v, 0, INT_MAX, &co->idle_in_txn_ms);
		return 1;
	}
	if (strcmp(a, "--tcp-keepalives-idle") == 0)
		*rc = parse_range(a, v, 1, 32767, &n); /* Linux's MAX_TCP_KEEPIDLE */
	else if (strcmp(a, "--tcp-keepalives-interval") == 0)
		*rc = parse_range(a, v, 1, 32767, &n); /* MAX_TCP_KEEPINTVL */
	else if (strcmp(a, "--tcp-keepalives-count") == 0)
		*rc = parse_range(a, v, 1, 127, &n); /* MAX_TCP_KEEPCNT */
	else
		return 0;
	if (strcmp(a, "--tcp-keepalives-idle") == 0)
		co->ka.idle_s = (int)n;
	else if (strcmp(a, "--tcp-keepalives-interval") == 0)
		co->ka.interval_s = (int)n;
	else
		co->ka.count = (int)n;
	return 1;
}

static int parse_args(int argc, char **argv, const char **dir, const char **listen, const char **pg,
		      long *suspect_ms, long *dead_ms, long *pipeline, long *startup_ms,
		      long long *keep_ms, int *allow_faults, client_opts *co)
{
	int rc;
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		const char *v = i + 1 < argc ? argv[i + 1] : NULL;
		if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
			usage(stdout);
			exit(0);
		}
		if (strcmp(a, "--allow-faults") == 0) {
			*allow_faults = 1;
			continue;
		}
		if (strcmp(a, "--tls-required") == 0) {
			co->tls_required = 1;
			continue;
		}
		if (!v) {
			fprintf(stderr, "murphy leader: %s needs a value\n", a);
			return MUR_ERR;
		}
		if (strcmp(a, "--auth") == 0) {
			if (strcmp(v, "scram") != 0 && strcmp(v, "trust") != 0) {
				fprintf(stderr, "murphy leader: --auth takes scram or trust\n");
				return MUR_ERR;
			}
			co->auth_scram = strcmp(v, "scram") == 0;
		} else if (parse_client_opt(a, v, co, &rc) ||
			   node_tls_parse("leader", a, v, &co->node_tls, &rc)) {
			if (rc != MUR_OK)
				return MUR_ERR;
		} else if (strcmp(a, "--tls-cert") == 0)
			co->tls_cert = v;
		else if (strcmp(a, "--tls-key") == 0)
			co->tls_key = v;
		else if (strcmp(a, "--password-file") == 0)
			co->password_file = v;
		else if (strcmp(a, "--dir") == 0)
			*dir = v;
		else if (strcmp(a, "--listen") == 0)
			*listen = v;
		else if (strcmp(a, "--pg") == 0)
			*pg = v;
		else if (strcmp(a, "--suspect-timeout-ms") == 0)
			*suspect_ms = strtol(v, NULL, 10);
		else if (strcmp(a, "--dead-timeout-ms") == 0)
			*dead_ms = strtol(v, NULL, 10);
		else if (strcmp(a, "--write-pipeline") == 0) {
			char *end;
			*pipeline = strtol(v, &end, 10);
			if (*end || *pipeline < 1 || *pipeline > LEAD_WRITE_PIPELINE_MAX) {
				fprintf(stderr,
					"murphy leader: --write-pipeline takes 1..%d, got \"%s\"\n",
					LEAD_WRITE_PIPELINE_MAX, v);
				return MUR_ERR;
			}
		} else if (strcmp(a, "--startup-timeout-ms") == 0) {
			char *end;
			*startup_ms = strtol(v, &end, 10);
			if (*end || *startup_ms < PGW_STARTUP_TIMEOUT_MS_MIN ||
			    *startup_ms > PGW_STARTUP_TIMEOUT_MS_MAX) {
				fprintf(stderr,
					"murphy leader: --startup-timeout-ms takes %d..%d, got "
					"\"%s\"\n",
					PGW_STARTUP_TIMEOUT_MS_MIN, PGW_STARTUP_TIMEOUT_MS_MAX, v);
				return MUR_ERR;
			}
		} else if (strcmp(a, "--txn-outcomes-keep-ms") == 0) {
			char *end;
			*keep_ms = strtoll(v, &end, 10);
			if (*end || *keep_ms < 0) {
				fprintf(stderr,
					"murphy leader: --txn-outcomes-keep-ms takes a number of "
					"ms >= 0, got \"%s\"\n",
					v);
				return MUR_ERR;
			}
		} else {
			fprintf(stderr, "murphy leader: unknown option %s\n", a);
			return MUR_ERR;
		}
		i++;
	}
	if (!co->tls_cert != !co->tls_key) {
		fprintf(stderr, "murphy leader: --tls-cert and --tls-key go together\n");
		return MUR_ERR;
	}
	if (co->password_file && !co->auth_scram) {
		fprintf(stderr, "murphy leader: --password-file needs --auth scram (trust takes no "
				"password)\n");
		return MUR_ERR;
	}
	if (!*dir || !*listen || !*pg) {
		fprintf(stderr, "murphy leader: --dir, --listen and --pg are required\n");
		usage(stderr);
		return MUR_ERR;
	}
	return MUR_OK;
}

/* The TLS certificate of --tls-cert/--tls-key, else DIR's pair when its
 * certificate exists; *ctx stays NULL when there is none.  MUR_ERR (logged)
 * when a pair is given or present but cannot be used, or --tls-required
 * has no certificate. */
static int load_tls(const char *dir, const client_opts *co, pgw_tls_ctx **ctx)
{
	char cert[4096], key[4096];
	mur_error err;
	*ctx = NULL;
	if (co->tls_cert) {
		snprintf(cert, sizeof cert, "%s", co->tls_cert);
		snprintf(key, sizeof key, "%s", co->tls_key);
	} else {
		snprintf(cert, sizeof cert, "%s/%s", dir, PGW_TLS_CERT_FILE);
		snprintf(key, sizeof key, "%s/%s", dir, PGW_TLS_KEY_FILE);
		if (access(cert, F_OK) != 0) {
			if (!co->tls_required)
				return MUR_OK;
			MLOG(ERROR, "leader",
			     "--tls-required needs a certificate: --tls-cert/--tls-key or %s",
			     cert);
			return MUR_ERR;
		}
	}
	if (pgw_tls_ctx_load(cert, key, ctx, &err) != MUR_OK) {
		MLOG(ERROR, "leader", "%s", err.message);
		return MUR_ERR;
	}
	MLOG(INFO, "leader", "clients may use TLS (certificate %s)%s", cert,
	     co->tls_required ? "; clients without TLS are refused" : "");
	return MUR_OK;
}

/* --auth scram, first start (no role yet): the superuser MUR_SUPERUSER_NAME
 * with the password of --password-file, else $MURPHY_PASSWORD, else
 * DIR/password (made now, 0600, and said in the log).  A later start
 * still reads the file (a bad one is an error) and says it is not used. */
static int bootstrap_superuser(const char *dir, const char *password_file, catalog *cat)
{
	char made[2 * MUR_DATADIR_PASSWORD_BYTES + 8], given[MUR_PASSWORD_FILE_MAX + 1];
	const char *pw = getenv(MUR_PASSWORD_ENV), *from = "$" MUR_PASSWORD_ENV;
	mur_error err;
	int created;
	if (password_file) {
		if (mur_password_file_read(password_file, given, sizeof given, &err) != MUR_OK) {
			MLOG(ERROR, "leader", "--password-file: %s", err.message);
			return MUR_ERR;
		}
		pw = given;
		from = "from --password-file";
	}
	if (cat_role_count(cat) > 0) {
		if (password_file)
			MLOG(INFO, "leader",
			     "--password-file not used: the superuser was made at the first start "
			     "(ALTER ROLE %s PASSWORD changes it)",
			     MUR_SUPERUSER_NAME);
		return MUR_OK;
	}
	if ((!pw || !pw[0]) &&
	    mur_datadir_ensure_password(dir, made, sizeof made, &err) != MUR_OK) {
		MLOG(ERROR, "leader", "%s", err.message);
		return MUR_ERR;
	}
	if (cat_role_bootstrap(cat, MUR_SUPERUSER_NAME, pw && pw[0] ? pw : made, &created, &err) !=
	    MUR_OK) {
		MLOG(ERROR, "leader", "creating the superuser: %s", err.message);
		return MUR_ERR;
	}
	MLOG(INFO, "leader", "created the superuser %s; its password is %s", MUR_SUPERUSER_NAME,
	     pw && pw[0] ? from : "in " MUR_DATADIR_PASSWORD_FILE);
	return MUR_OK;
}

int node_leader_main(int argc, char **argv)
{
	const char *dir = NULL, *listen = NULL, *pgaddr = NULL;
	long suspect_ms = 1500, dead_ms = 10000, pipeline = LEAD_WRITE_PIPELINE_DEFAULT;
	long startup_ms = PGW_STARTUP_TIMEOUT_MS_DEFAULT;
	long long keep_ms = REPL_OUTCOMES_KEEP_MS_DEFAULT;
	pgw_server_limits pg_limits = pgw_server_limits_default();
	client_opts co = {LEAD_IDLE_IN_TXN_TIMEOUT_MS_DEFAULT,
			  pg_limits.keepalive,
			  1,
			  NULL,
			  NULL,
			  0,
			  NULL,
			  {0}};
	pgw_tls_ctx *tls = NULL;
	mur_tls_ctx *node_tls = NULL;
	char secret[256], path[4096], host[256];
	int port, rc = 1, allow_faults = 0;
	leader l;
	mur_error err;
	lead_transport tr = {0};

	memset(&l, 0, sizeof l);
	node_tls_opts_init(&co.node_tls);
	mur_log_init("leader", MUR_LOG_INFO);
	if (parse_args(argc, argv, &dir, &listen, &pgaddr, &suspect_ms, &dead_ms, &pipeline,
		       &startup_ms, &keep_ms, &allow_faults, &co) != MUR_OK)
		return 2;
	if (split_hostport(pgaddr, host, sizeof host, &port) != MUR_OK) {
		fprintf(stderr, "murphy leader: --pg wants HOST:PORT, got \"%s\"\n", pgaddr);
		return 2;
	}
	l.dir = dir;
	mur_datadir_private();
	if (mur_datadir_mkdirs(dir, &err) != MUR_OK || mur_datadir_write_pid(dir, &err) != MUR_OK ||
	    mur_datadir_ensure_secret(dir, secret, sizeof secret, &err) != MUR_OK) {
		MLOG(ERROR, "leader", "%s", err.message);
		return 1;
	}
	snprintf(path, sizeof path, "%s/catalog.db", dir);
	l.cat = cat_open_vfs(path, stor_walbuf_vfs(), &err);
	if (!l.cat) {
		MLOG(ERROR, "leader", "%s", err.message);
		goto out;
	}
	cat_set_write_hook(l.cat, flush_frames, NULL);
	if (co.auth_scram && bootstrap_superuser(dir, co.password_file, l.cat) != MUR_OK)
		goto out;
	if (load_tls(dir, &co, &tls) != MUR_OK ||
	    node_tls_setup("leader", dir, listen, &co.node_tls, &node_tls) != MUR_OK)
		goto out;
	if (cat_upsert_node(l.cat, "leader", listen, CAT_NODE_LEADER, NULL, &err) != MUR_OK) {
		MLOG(ERROR, "leader", "%s", err.message);
		goto out;
	}
	l.loop = uv_default_loop();
	if (clu_leader_start(l.loop, listen, l.cat, secret, &l.clu, &err) != MUR_OK) {
		MLOG(ERROR, "leader", "followers listener on %s: %s", listen, err.message);
		goto out;
	}
	clu_leader_set_timeouts(l.clu, (uint64_t)suspect_ms, (uint64_t)dead_ms);
	tr.send = tr_send;
	tr.connected = tr_connected;
	tr.fault = allow_faults ? tr_fault : NULL;
	tr.loop_stall_max_ms = tr_loop_stall_max_ms;
	tr.ctx = l.clu;
	l.engine = lead_engine_create(l.cat, &tr, &err);
	if (!l.engine) {
		MLOG(ERROR, "leader", "%s", err.message);
		goto out;
	}
	lead_engine_set_timeouts(l.engine, (uint64_t)suspect_ms, (uint64_t)dead_ms);
	lead_engine_set_write_pipeline(l.engine, (int)pipeline);
	lead_engine_set_outcomes_keep_ms(l.engine, keep_ms);
	lead_engine_set_startup_timeout(l.engine, (uint64_t)startup_ms);
	lead_engine_set_client_defaults(l.engine, (uint64_t)co.idle_in_txn_ms, &co.ka);
	lead_engine_set_loop(l.engine, l.loop);
	lead_engine_set_auth(l.engine, co.auth_scram);
	lead_engine_set_tls(l.engine, tls != NULL);
	clu_on_node_change(l.clu, on_node_change, &l);
	clu_on_progress(l.clu, on_progress, &l);
	if (pgw_server_start(l.loop, host, port, &lead_engine_ops, l.engine, &l.pg, &err) !=
	    MUR_OK) {
		MLOG(ERROR, "leader", "PostgreSQL listener on %s: %s", pgaddr, err.message);
		clu_leader_stop(l.clu);
		l.clu = NULL;
		uv_run(l.loop, UV_RUN_DEFAULT);
		goto out;
	}
	pg_limits.startup_timeout_ms = (uint64_t)startup_ms;
	pg_limits.keepalive = co.ka;
	pgw_server_set_limits(l.pg, &pg_limits);
	pgw_server_set_tls(l.pg, tls, co.tls_required);
	tls = NULL; /* the server's now */
	uv_timer_init(l.loop, &l.flush_timer);
	l.flush_timer.data = &l;
	uv_timer_start(&l.flush_timer, on_flush, LEADER_FLUSH_MS, LEADER_FLUSH_MS);
	uv_signal_init(l.loop, &l.sigterm);
	uv_signal_init(l.loop, &l.sigint);
	l.sigterm.data = l.sigint.data = &l;
	uv_signal_start(&l.sigterm, on_signal, SIGTERM);
	uv_signal_start(&l.sigint, on_signal, SIGINT);
	MLOG(INFO, "leader", "ready: followers join %s, clients connect to %s (data in %s)", listen,
	     pgaddr, dir);
	if (allow_faults)
		MLOG(WARN, "leader",
		     "fault injection is on (--allow-faults): any client of %s can "
		     "kill, pause and partition followers with murphy.fault",
		     pgaddr);
	uv_run(l.loop, UV_RUN_DEFAULT);
	rc = 0;
out:
	pgw_tls_ctx_free(tls);
	net_tls_use(NULL);
	mur_tls_ctx_free(node_tls);
	if (l.cat)
		cat_flush_lsns(l.cat);
	lead_engine_destroy(l.engine);
	cat_close(l.cat);
	mur_datadir_remove_pid(dir);
	MLOG(INFO, "leader", "stopped");
	return rc;
}
