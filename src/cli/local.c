/*
 * local.c — start and stop the embedded cluster (see local.h for the layout).
 *
 * start: resolve options (flags > DIR/local.conf > defaults) → write
 * local.conf → one shared cluster.secret → spawn the leader unless its pid
 * file names a live node, wait until its pg port answers → spawn missing
 * followers → poll `SELECT count(*) FROM murphy.nodes …` until N followers
 * are alive.  On timeout or a node exiting early: print the reason and the
 * tail of every log, stop the nodes this call spawned, return 1.
 *
 * stop: SIGTERM every node named by DIR/<name>/murphy.pid, wait, SIGKILL the
 * stragglers, remove the pid files.
 */
#include "cli/local.h"

#include "cli/pgclient.h"
#include "cli/proc.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define CLI_LOCAL_NODES_MAX (CLI_LOCAL_FOLLOWERS_MAX + 1)
#define CLI_LOCAL_SECRET_BYTES 32
#define CLI_LOCAL_LOG_TAIL_LINES 20
#define CLI_LOCAL_POLL_MS 200

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Node i: 0 is the leader, i ≥ 1 is follower fi. */
static void node_name(int i, char *buf, size_t size)
{
	if (i == 0)
		snprintf(buf, size, "leader");
	else
		snprintf(buf, size, "f%d", i);
}

static void node_path(const cli_local_opts *o, int i, const char *file, char *buf, size_t size)
{
	char name[16];
	node_name(i, name, sizeof name);
	if (file)
		snprintf(buf, size, "%s/%s/%s", o->dir, name, file);
	else
		snprintf(buf, size, "%s/%s", o->dir, name);
}

static int mkdir_p(const char *path)
{
	char tmp[PATH_MAX];
	snprintf(tmp, sizeof tmp, "%s", path);
	for (char *p = tmp + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = 0;
		if (mkdir(tmp, 0755) != 0 && errno != EEXIST)
			return -1;
		*p = '/';
	}
	return mkdir(tmp, 0755) != 0 && errno != EEXIST ? -1 : 0;
}

static void conf_read(cli_local_opts *o)
{
	char path[PATH_MAX + 16], line[128];
	snprintf(path, sizeof path, "%s/local.conf", o->dir);
	FILE *f = fopen(path, "re");
	if (!f)
		return;
	while (fgets(line, sizeof line, f)) {
		int v;
		if (o->followers < 0 && sscanf(line, "followers=%d", &v) == 1)
			o->followers = v;
		if (o->pg_port < 0 && sscanf(line, "pg_port=%d", &v) == 1)
			o->pg_port = v;
	}
	fclose(f);
}

static int conf_write(const cli_local_opts *o)
{
	char path[PATH_MAX + 16];
	snprintf(path, sizeof path, "%s/local.conf", o->dir);
	FILE *f = fopen(path, "we");
	if (!f)
		return -1;
	fprintf(f, "# murphy local cluster: reused by `murphy local start|stop`\n");
	fprintf(f, "followers=%d\npg_port=%d\n", o->followers, o->pg_port);
	return fclose(f);
}

int cli_local_resolve(cli_local_opts *o)
{
	if (!o->dir[0]) {
		fprintf(stderr, "murphy local: --dir DIR is required\n");
		return 1;
	}
	if (mkdir_p(o->dir) != 0) {
		fprintf(stderr, "murphy local: cannot create %s: %s\n", o->dir, strerror(errno));
		return 1;
	}
	char abs[PATH_MAX];
	if (!realpath(o->dir, abs)) {
		fprintf(stderr, "murphy local: %s: %s\n", o->dir, strerror(errno));
		return 1;
	}
	snprintf(o->dir, sizeof o->dir, "%s", abs);
	conf_read(o);
	if (o->followers < 0)
		o->followers = CLI_LOCAL_FOLLOWERS_DEFAULT;
	if (o->pg_port < 0)
		o->pg_port = CLI_LOCAL_PG_PORT_DEFAULT;
	if (o->timeout_s <= 0)
		o->timeout_s = CLI_LOCAL_READY_TIMEOUT_S;
	if (o->followers < 1 || o->followers > CLI_LOCAL_FOLLOWERS_MAX) {
		fprintf(stderr, "murphy local: --followers must be 1..%d\n", CLI_LOCAL_FOLLOWERS_MAX);
		return 1;
	}
	if (o->pg_port < 1 || o->pg_port + 1 + o->followers > 65535) {
		fprintf(stderr, "murphy local: --pg-port %d leaves no room for %d node ports\n",
			o->pg_port, o->followers + 1);
		return 1;
	}
	return 0;
}

/* Read a whole small file into buf; bytes read or -1. */
static ssize_t slurp(const char *path, char *buf, size_t size)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	ssize_t n = read(fd, buf, size - 1);
	close(fd);
	if (n >= 0)
		buf[n] = 0;
	return n;
}

static int write_new(const char *path, const char *text)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (fd < 0)
		return errno == EEXIST ? 0 : -1;
	size_t n = strlen(text);
	int ok = write(fd, text, n) == (ssize_t)n;
	return close(fd) == 0 && ok ? 0 : -1;
}

/* One random secret in DIR/leader/cluster.secret, copied to every follower. */
static int ensure_secret(const cli_local_opts *o)
{
	char path[PATH_MAX + 32], secret[2 * CLI_LOCAL_SECRET_BYTES + 2];
	node_path(o, 0, "cluster.secret", path, sizeof path);
	if (access(path, F_OK) != 0) {
		unsigned char raw[CLI_LOCAL_SECRET_BYTES];
		int fd = open("/dev/urandom", O_RDONLY | O_CLOEXEC);
		if (fd < 0 || read(fd, raw, sizeof raw) != (ssize_t)sizeof raw) {
			fprintf(stderr, "murphy local: cannot read /dev/urandom\n");
			if (fd >= 0)
				close(fd);
			return 1;
		}
		close(fd);
		for (size_t i = 0; i < sizeof raw; i++)
			snprintf(secret + 2 * i, 3, "%02x", raw[i]);
		strcat(secret, "\n");
		if (write_new(path, secret) != 0)
			goto fail_write;
	}
	if (slurp(path, secret, sizeof secret) <= 0) {
		fprintf(stderr, "murphy local: cannot read %s\n", path);
		return 1;
	}
	for (int i = 1; i <= o->followers; i++) {
		node_path(o, i, "cluster.secret", path, sizeof path);
		if (write_new(path, secret) != 0)
			goto fail_write;
	}
	return 0;
fail_write:
	fprintf(stderr, "murphy local: cannot write %s: %s\n", path, strerror(errno));
	return 1;
}

typedef struct spawned {
	pid_t pid[CLI_LOCAL_NODES_MAX];
	int node[CLI_LOCAL_NODES_MAX];
	int n;
} spawned;

static void print_log_tails(const cli_local_opts *o)
{
	for (int i = 0; i <= o->followers; i++) {
		char path[PATH_MAX + 32], name[16];
		node_path(o, i, "murphy.log", path, sizeof path);
		node_name(i, name, sizeof name);
		fprintf(stderr, "--- %s (last %d lines of %s)\n", name, CLI_LOCAL_LOG_TAIL_LINES, path);
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
		node_name(sp->node[k], name, sizeof name);
		if (WIFEXITED(st))
			fprintf(stderr, "murphy local: node %s exited with status %d\n", name, WEXITSTATUS(st));
		else
			fprintf(stderr, "murphy local: node %s killed by signal %d\n", name, WTERMSIG(st));
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
	double deadline = now_s() + CLI_LOCAL_STOP_TIMEOUT_S;
	for (int k = 0; k < sp->n; k++) {
		while (sp->pid[k] > 0 && waitpid(sp->pid[k], NULL, WNOHANG) == 0 && now_s() < deadline)
			cli_proc_sleep_ms(50);
		if (sp->pid[k] > 0 && kill(sp->pid[k], SIGKILL) == 0)
			waitpid(sp->pid[k], NULL, 0);
	}
}

static int spawn_node(const cli_local_opts *o, int i, const char *exe, spawned *sp)
{
	char dir[PATH_MAX + 16], log[PATH_MAX + 32], listen[32], pg[32], join[32], name[16];
	node_path(o, i, NULL, dir, sizeof dir);
	node_path(o, i, "murphy.log", log, sizeof log);
	node_name(i, name, sizeof name);
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
	node_path(o, i, "murphy.pid", pidfile, sizeof pidfile);
	unlink(pidfile);
	char *leader_argv[] = {(char *)exe, "leader", "--dir", dir, "--listen", listen, "--pg", pg, NULL};
	char *follower_argv[] = {(char *)exe, "follower", "--dir", dir, "--listen", listen,
				 "--join", join, "--name", name, NULL};
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

/* Ask the leader how many followers are alive: -1 when it does not accept
 * a connection, -2 when it does but the query fails (why says why). */
static long alive_followers(int pg_port, char *why, size_t why_size)
{
	cli_pg c;
	mur_error err;
	cli_pg_result res;
	long n = -1;
	if (cli_pg_connect(&c, "127.0.0.1", pg_port, "murphy", "murphy", 2000, &err) != MUR_OK) {
		snprintf(why, why_size, "%s", err.message);
		return -1;
	}
	int rc = cli_pg_query(&c,
			      "SELECT count(*) FROM murphy.nodes WHERE role = 'follower' AND state = 'alive'",
			      &res, &err);
	if (rc == MUR_OK && cli_pg_value(&res, 0, 0))
		n = atol(cli_pg_value(&res, 0, 0));
	else if ((n = -2))
		snprintf(why, why_size, "%s", rc == MUR_OK ? "no row from murphy.nodes" : err.message);
	cli_pg_result_free(&res);
	cli_pg_close(&c);
	return n;
}

/* The first spawned node that has not written its pid file yet, or -1.
 * murphy.nodes may still show a node killed a moment ago as alive, so the
 * pid file is the proof that the new process got through its startup. */
static int pid_file_missing(const cli_local_opts *o, const spawned *sp)
{
	for (int k = 0; k < sp->n; k++) {
		char dir[PATH_MAX + 16];
		node_path(o, sp->node[k], NULL, dir, sizeof dir);
		if (sp->pid[k] > 0 && cli_proc_read_pid(dir) != sp->pid[k])
			return sp->node[k];
	}
	return -1;
}

/* Wait until the leader answers (want < 0) or `want` followers are alive. */
static int wait_ready(const cli_local_opts *o, spawned *sp, long want, double deadline)
{
	char why[MUR_ERROR_MESSAGE_MAX] = "no answer yet";
	for (;;) {
		if (check_children(o, sp))
			return 1;
		long n = alive_followers(o->pg_port, why, sizeof why);
		int missing = want >= 0 ? pid_file_missing(o, sp) : -1;
		if (missing >= 0) {
			char name[16];
			node_name(missing, name, sizeof name);
			snprintf(why, sizeof why, "node %s has not written its pid file", name);
		} else if ((want < 0 && n != -1) || (want >= 0 && n >= want)) {
			return 0;
		}
		if (missing < 0 && n >= 0)
			snprintf(why, sizeof why, "%ld of %ld followers alive", n, want);
		if (now_s() > deadline) {
			fprintf(stderr, "murphy local: cluster in %s not ready after %d s: %s\n", o->dir,
				o->timeout_s, why);
			return 1;
		}
		cli_proc_sleep_ms(CLI_LOCAL_POLL_MS);
	}
}

static int node_running(const cli_local_opts *o, int i)
{
	char dir[PATH_MAX + 16];
	node_path(o, i, NULL, dir, sizeof dir);
	return cli_proc_is_node(cli_proc_read_pid(dir), dir);
}

static int prepare_dirs(const cli_local_opts *o)
{
	for (int i = 0; i <= o->followers; i++) {
		char dir[PATH_MAX + 16];
		node_path(o, i, NULL, dir, sizeof dir);
		if (mkdir_p(dir) != 0) {
			fprintf(stderr, "murphy local: cannot create %s: %s\n", dir, strerror(errno));
			return 1;
		}
	}
	if (conf_write(o) != 0) {
		fprintf(stderr, "murphy local: cannot write %s/local.conf\n", o->dir);
		return 1;
	}
	return ensure_secret(o);
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
	if (prepare_dirs(o) != 0)
		return 1;
	spawned sp = {.n = 0};
	double deadline = now_s() + o->timeout_s;
	int failed = 0;
	if (!node_running(o, 0))
		failed = spawn_node(o, 0, exe, &sp) || wait_ready(o, &sp, -1, deadline);
	for (int i = 1; i <= o->followers && !failed; i++)
		if (!node_running(o, i))
			failed = spawn_node(o, i, exe, &sp);
	if (!failed && sp.n == 0)
		printf("murphy: the cluster in %s is already running\n", o->dir);
	if (!failed)
		failed = wait_ready(o, &sp, o->followers, deadline);
	if (failed) {
		print_log_tails(o);
		if (sp.n > 0)
			fprintf(stderr, "murphy local: stopping the %d node(s) this command started\n", sp.n);
		stop_spawned(&sp);
		return 1;
	}
	if (sp.n > 0)
		printf("murphy: started %d node(s) in %s\n", sp.n, o->dir);
	printf("murphy: leader and %d followers ready\n", o->followers);
	printf("  connect: postgresql://murphy@127.0.0.1:%d/murphy\n", o->pg_port);
	printf("  psql:    psql -h 127.0.0.1 -p %d -U murphy murphy\n", o->pg_port);
	printf("  stop:    murphy local stop --dir %s\n", o->dir);
	fflush(stdout);
	return 0;
}

/* Signal every node with a live pid file; returns how many were signalled. */
static int signal_nodes(const char *dir, int sig, int *alive_out)
{
	DIR *d = opendir(dir);
	int signalled = 0, alive = 0;
	if (!d)
		return 0;
	for (struct dirent *e; (e = readdir(d));) {
		if (e->d_name[0] == '.')
			continue;
		char node_dir[PATH_MAX + 256];
		snprintf(node_dir, sizeof node_dir, "%s/%s", dir, e->d_name);
		pid_t pid = cli_proc_read_pid(node_dir);
		if (!pid || !cli_proc_is_node(pid, node_dir))
			continue;
		alive++;
		if (sig && kill(pid, sig) == 0)
			signalled++;
	}
	closedir(d);
	if (alive_out)
		*alive_out = alive;
	return signalled;
}

static void remove_pid_files(const char *dir)
{
	DIR *d = opendir(dir);
	if (!d)
		return;
	for (struct dirent *e; (e = readdir(d));) {
		if (e->d_name[0] == '.')
			continue;
		char path[PATH_MAX + 300];
		snprintf(path, sizeof path, "%s/%s/murphy.pid", dir, e->d_name);
		unlink(path);
	}
	closedir(d);
}

int cli_local_stop(const char *dir_arg)
{
	char dir[PATH_MAX];
	if (!realpath(dir_arg, dir)) {
		printf("murphy: nothing to stop in %s (%s)\n", dir_arg, strerror(errno));
		return 0;
	}
	int n = signal_nodes(dir, SIGTERM, NULL), alive = n;
	double deadline = now_s() + CLI_LOCAL_STOP_TIMEOUT_S;
	while (alive > 0 && now_s() < deadline) {
		cli_proc_sleep_ms(50);
		signal_nodes(dir, 0, &alive);
	}
	if (alive > 0) {
		fprintf(stderr, "murphy local: %d node(s) ignored SIGTERM for %d s; killing them\n", alive,
			CLI_LOCAL_STOP_TIMEOUT_S);
		signal_nodes(dir, SIGKILL, NULL);
		for (int i = 0; i < 40 && alive > 0; i++) {
			cli_proc_sleep_ms(50);
			signal_nodes(dir, 0, &alive);
		}
	}
	remove_pid_files(dir);
	if (n == 0)
		printf("murphy: no running nodes in %s\n", dir);
	else
		printf("murphy: stopped %d node(s) in %s\n", n, dir);
	return alive > 0 ? 1 : 0;
}
