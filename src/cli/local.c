/*
 * local.c — `murphy local start`: bring the embedded cluster up (layout in local.h).
 *
 * start: resolve options (flags > DIR/local.conf > defaults) → write
 * local.conf → one shared cluster.secret → spawn the leader unless its pid
 * file names a live node, wait until its pg port answers → spawn missing
 * followers → poll murphy.ready until N followers are back and every shard
 * takes a write (ready to write, not only to connect).  On timeout or a node exiting early: print the reason and the
 * tail of every log, stop the nodes this call spawned, return 1.
 *
 * Setup of DIR is in local_setup.c, stop in local_stop.c.
 */
#include "cli/local.h"
#include "cli/pgclient.h"
#include "cli/proc.h"
#include "common/clock.h"
#include "common/datadir.h"
#include "pgwire/pgw_tls.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#define CLI_LOCAL_NODES_MAX (CLI_LOCAL_FOLLOWERS_MAX + 1)
#define CLI_LOCAL_LOG_TAIL_LINES 20
#define CLI_LOCAL_POLL_MS 200

/* The nodes this command started (they are our children until we exit). */
typedef struct spawned {
	pid_t pid[CLI_LOCAL_NODES_MAX];
	int node[CLI_LOCAL_NODES_MAX];
	int n;
} spawned;

static void print_log_tails(const cli_local_opts *o)
{
	for (int i = 0; i <= o->followers; i++) {
		char path[PATH_MAX + 32], name[16];
		cli_local_node_path(o, i, "murphy.log", path, sizeof path);
		cli_local_node_name(i, name, sizeof name);
		fprintf(stderr, "--- %s (last %d lines of %s)\n", name, CLI_LOCAL_LOG_TAIL_LINES,
			path);
		cli_proc_log_tail(path, CLI_LOCAL_LOG_TAIL_LINES, "  ", stderr);
	}
}

/* A spawned node that already exited: print which and return 1. */
static int check_children(const cli_local_opts *o, spawned *sp)
{
	for (int k = 0; k < sp->n; k++) {
		int st;
		if (sp->pid[k] <= 0 || waitpid(sp->pid[k], &st, WNOHANG) != sp->pid[k])
			continue;
		char name[16];
		cli_local_node_name(sp->node[k], name, sizeof name);
		if (WIFEXITED(st))
			fprintf(stderr, "murphy local: node %s exited with status %d\n", name,
				WEXITSTATUS(st));
		else
			fprintf(stderr, "murphy local: node %s killed by signal %d\n", name,
				WTERMSIG(st));
		sp->pid[k] = 0;
		return 1;
	}
	return 0;
}

static void stop_spawned(spawned *sp)
{
	for (int k = 0; k < sp->n; k++)
		if (sp->pid[k] > 0)
			kill(sp->pid[k], SIGTERM);
	uint64_t deadline_ms = mur_now_ms() + CLI_LOCAL_STOP_TIMEOUT_S * 1000u;
	for (int k = 0; k < sp->n; k++) {
		while (sp->pid[k] > 0 && waitpid(sp->pid[k], NULL, WNOHANG) == 0 &&
		       mur_now_ms() < deadline_ms)
			cli_proc_sleep_ms(50);
		if (sp->pid[k] > 0 && kill(sp->pid[k], SIGKILL) == 0)
			waitpid(sp->pid[k], NULL, 0);
	}
}

static int spawn_node(const cli_local_opts *o, int i, const char *exe, spawned *sp)
{
	char dir[PATH_MAX + 16], log[PATH_MAX + 32], listen[32], pg[32], join[32], name[16];
	cli_local_node_path(o, i, NULL, dir, sizeof dir);
	cli_local_node_path(o, i, "murphy.log", log, sizeof log);
	cli_local_node_name(i, name, sizeof name);
	int port = o->pg_port + 1 + i;
	snprintf(listen, sizeof listen, "127.0.0.1:%d", port);
	snprintf(pg, sizeof pg, "127.0.0.1:%d", o->pg_port);
	snprintf(join, sizeof join, "127.0.0.1:%d", o->pg_port + 1);
	if (!cli_proc_port_free(port) || (i == 0 && !cli_proc_port_free(o->pg_port))) {
		fprintf(stderr, "murphy local: port %d is in use; choose another --pg-port\n",
			cli_proc_port_free(port) ? o->pg_port : port);
		return 1;
	}
	/* A pid file naming a dead process (kill -9, a crash) would make the node
	 * refuse to start; zombies count as dead (PID 1 may never reap them). */
	char pidfile[PATH_MAX + 32];
	cli_local_node_path(o, i, "murphy.pid", pidfile, sizeof pidfile);
	unlink(pidfile);
	char suspect[32], dead[32], pipeline[32], startup[32], keep[32], idle[32];
	char *leader_argv[] = {(char *)exe, "leader", "--dir", dir,  "--listen", listen,
			       "--pg",      pg,       NULL,    NULL, NULL,       NULL,
			       NULL,        NULL,     NULL,    NULL, NULL,       NULL,
			       NULL,        NULL,     NULL,    NULL, NULL,       NULL};
	int na = 8;
	if (o->suspect_timeout_ms > 0) {
		snprintf(suspect, sizeof suspect, "%ld", o->suspect_timeout_ms);
		leader_argv[na++] = "--suspect-timeout-ms";
		leader_argv[na++] = suspect;
	}
	if (o->dead_timeout_ms > 0) {
		snprintf(dead, sizeof dead, "%ld", o->dead_timeout_ms);
		leader_argv[na++] = "--dead-timeout-ms";
		leader_argv[na++] = dead;
	}
	if (o->write_pipeline > 0) {
		snprintf(pipeline, sizeof pipeline, "%ld", o->write_pipeline);
		leader_argv[na++] = "--write-pipeline";
		leader_argv[na++] = pipeline;
	}
	if (o->startup_timeout_ms > 0) {
		snprintf(startup, sizeof startup, "%ld", o->startup_timeout_ms);
		leader_argv[na++] = "--startup-timeout-ms";
		leader_argv[na++] = startup;
	}
	if (o->txn_outcomes_keep_ms >= 0) {
		snprintf(keep, sizeof keep, "%ld", o->txn_outcomes_keep_ms);
		leader_argv[na++] = "--txn-outcomes-keep-ms";
		leader_argv[na++] = keep;
	}
	if (o->idle_in_txn_ms >= 0) {
		snprintf(idle, sizeof idle, "%ld", o->idle_in_txn_ms);
		leader_argv[na++] = "--idle-in-transaction-timeout-ms";
		leader_argv[na++] = idle;
	}
	if (o->allow_faults)
		leader_argv[na++] = "--allow-faults";
	leader_argv[na++] = "--node-tls"; /* explicit: certificates are there either way */
	leader_argv[na++] = o->node_tls ? "on" : "off";
	char *follower_argv[] = {(char *)exe, "follower", "--dir",      dir,
				 "--listen",  listen,     "--join",     join,
				 "--name",    name,       "--node-tls", o->node_tls ? "on" : "off",
				 NULL};
	mur_error err;
	pid_t pid = cli_proc_spawn(i == 0 ? leader_argv : follower_argv, log, &err);
	if (pid < 0) {
		fprintf(stderr, "murphy local: cannot start %s: %s\n", name, err.message);
		return 1;
	}
	sp->pid[sp->n] = pid;
	sp->node[sp->n] = i;
	sp->n++;
	return 0;
}

/* What the leader says in murphy.ready (replication/repl_ready.c). */
typedef struct readiness {
	long followers; /* alive, welcomed, copies reported; -1: no connection, -2: query failed */
	int ready;      /* every shard takes a write now */
} readiness;

/* Ask the leader whether it is ready to write; why says why not. */
static readiness ask_ready(int pg_port, char *why, size_t why_size)
{
	readiness r = {.followers = -1, .ready = 0};
	cli_pg c;
	mur_error err;
	cli_pg_result res;
	if (cli_pg_connect(&c, "127.0.0.1", pg_port, "murphy", "murphy", 2000, &err) != MUR_OK) {
		snprintf(why, why_size, "%s", err.message);
		return r;
	}
	int rc = cli_pg_query(&c, "SELECT ready, followers, reason FROM murphy.ready", &res, &err);
	if (rc == MUR_OK && cli_pg_value(&res, 0, 1)) {
		r.ready = strcmp(cli_pg_value(&res, 0, 0), "t") == 0;
		r.followers = atol(cli_pg_value(&res, 0, 1));
		if (cli_pg_value(&res, 0, 2))
			snprintf(why, why_size, "%s", cli_pg_value(&res, 0, 2));
	} else {
		r.followers = -2;
		snprintf(why, why_size, "%s",
			 rc == MUR_OK ? "no row from murphy.ready" : err.message);
	}
	cli_pg_result_free(&res);
	cli_pg_close(&c);
	return r;
}

/* The first spawned node that has not written its pid file yet, or -1.
 * murphy.nodes may still show a node killed a moment ago as alive, so the
 * pid file is the proof that the new process got through its startup. */
static int pid_file_missing(const cli_local_opts *o, const spawned *sp)
{
	for (int k = 0; k < sp->n; k++) {
		char dir[PATH_MAX + 16];
		cli_local_node_path(o, sp->node[k], NULL, dir, sizeof dir);
		if (sp->pid[k] > 0 && cli_proc_read_pid(dir) != sp->pid[k])
			return sp->node[k];
	}
	return -1;
}

/* Wait until the leader answers (want < 0), or until it is ready to write
 * with `want` followers back (murphy.ready): a write right after this
 * returns is taken at once. */
static int wait_ready(const cli_local_opts *o, spawned *sp, long want, uint64_t deadline_ms)
{
	char why[MUR_ERROR_MESSAGE_MAX] = "no answer yet";
	for (;;) {
		if (check_children(o, sp))
			return 1;
		readiness r = ask_ready(o->pg_port, why, sizeof why);
		int missing = want >= 0 ? pid_file_missing(o, sp) : -1;
		if (missing >= 0) {
			char name[16];
			cli_local_node_name(missing, name, sizeof name);
			snprintf(why, sizeof why, "node %s has not written its pid file", name);
		} else if ((want < 0 && r.followers != -1) ||
			   (want >= 0 && r.followers >= want && r.ready)) {
			return 0;
		} else if (want >= 0 && r.followers >= 0 && r.followers < want) {
			snprintf(why, sizeof why,
				 "%ld of %ld followers joined and reported their copies",
				 r.followers, want);
		}
		if (mur_now_ms() > deadline_ms) {
			fprintf(stderr, "murphy local: cluster in %s not ready after %d s: %s\n",
				o->dir, o->timeout_s, why);
			return 1;
		}
		cli_proc_sleep_ms(CLI_LOCAL_POLL_MS);
	}
}

static int node_running(const cli_local_opts *o, int i)
{
	char dir[PATH_MAX + 16];
	cli_local_node_path(o, i, NULL, dir, sizeof dir);
	return cli_proc_is_node(cli_proc_read_pid(dir), dir);
}

void cli_local_print_password(const char *dir)
{
	char pw[2 * MUR_DATADIR_PASSWORD_BYTES + 8];
	mur_error err;
	if (cli_local_password_file_given())
		printf("  password: the first line of %s (user murphy)\n",
		       cli_local_password_file_given());
	else if (cli_local_password_given())
		printf("  password: the one $%s gives (user murphy)\n", MUR_PASSWORD_ENV);
	else if (mur_datadir_read_password(dir, pw, sizeof pw, &err) == MUR_OK)
		printf("  password: %s (user murphy; kept in %s/%s)\n", pw, dir,
		       MUR_DATADIR_PASSWORD_FILE);
	else
		printf("  password: the one $%s gives (user murphy)\n", MUR_PASSWORD_ENV);
}

/* How to connect with TLS, when the leader has its certificate. */
static void print_tls(const cli_local_opts *o)
{
	char cert[PATH_MAX + 32];
	cli_local_node_path(o, 0, PGW_TLS_CERT_FILE, cert, sizeof cert);
	if (access(cert, R_OK) != 0)
		return;
	printf("  tls:     psql \"host=127.0.0.1 port=%d user=murphy dbname=murphy "
	       "sslmode=require\"\n",
	       o->pg_port);
	printf("           verified: psql \"host=localhost port=%d user=murphy dbname=murphy "
	       "sslmode=verify-full sslrootcert=%s\"\n",
	       o->pg_port, cert);
}

int cli_local_start(cli_local_opts *o)
{
	char exe[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
	if (n <= 0) {
		fprintf(stderr, "murphy local: cannot find my own executable\n");
		return 1;
	}
	exe[n] = 0;
	if (cli_local_prepare(o) != 0)
		return 1;
	spawned sp = {.n = 0};
	uint64_t deadline_ms = mur_now_ms() + (uint64_t)o->timeout_s * 1000u;
	int failed = 0;
	if (!node_running(o, 0))
		failed = spawn_node(o, 0, exe, &sp) || wait_ready(o, &sp, -1, deadline_ms);
	for (int i = 1; i <= o->followers && !failed; i++)
		if (!node_running(o, i))
			failed = spawn_node(o, i, exe, &sp);
	if (!failed && sp.n == 0)
		printf("murphy: the cluster in %s is already running\n", o->dir);
	if (!failed)
		failed = wait_ready(o, &sp, o->followers, deadline_ms);
	if (failed) {
		print_log_tails(o);
		if (sp.n > 0)
			fprintf(stderr,
				"murphy local: stopping the %d node(s) this command started\n",
				sp.n);
		stop_spawned(&sp);
		return 1;
	}
	if (sp.n > 0)
		printf("murphy: started %d node(s) in %s\n", sp.n, o->dir);
	printf("murphy: leader and %d followers ready\n", o->followers);
	printf("  connect: postgresql://murphy@127.0.0.1:%d/murphy\n", o->pg_port);
	printf("  psql:    psql -h 127.0.0.1 -p %d -U murphy murphy\n", o->pg_port);
	cli_local_print_password(o->dir);
	print_tls(o);
	printf("  stop:    murphy local stop --dir %s\n", o->dir);
	cli_local_print_faults(o);
	fflush(stdout);
	return 0;
}
