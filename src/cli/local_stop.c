/*
 * local_stop.c — `murphy local stop`: SIGTERM every node whose
 * DIR/<name>/murphy.pid names a live node process, wait up to
 * CLI_LOCAL_STOP_TIMEOUT_S, SIGKILL the stragglers, remove the pid files.
 * Any subdirectory counts, so nodes started by hand in DIR are stopped too.
 */
#include "cli/local.h"
#include "cli/proc.h"
#include "common/clock.h"

#include <dirent.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* Signal every node with a live pid file; returns how many were signalled. */
/* Send sig to every node of dir that is running; remember their pids in
 * pids (up to max).  Returns how many were signalled. */
static int signal_nodes(const char *dir, int sig, pid_t *pids, int max, int *npids)
{
	DIR *d = opendir(dir);
	int signalled = 0;
	*npids = 0;
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
		if (*npids < max)
			pids[(*npids)++] = pid;
		if (kill(pid, sig) == 0)
			signalled++;
	}
	closedir(d);
	return signalled;
}

/* How many of pids still run.  A node removes its pid file just before it
 * exits, so the pids, not the files, say when it is gone. */
static int count_alive(const pid_t *pids, int n)
{
	int alive = 0;
	for (int i = 0; i < n; i++)
		alive += cli_proc_alive(pids[i]);
	return alive;
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
	pid_t pids[CLI_LOCAL_NODES_MAX];
	int npids, n = signal_nodes(dir, SIGTERM, pids, CLI_LOCAL_NODES_MAX, &npids);
	int alive = count_alive(pids, npids);
	uint64_t deadline_ms = mur_now_ms() + CLI_LOCAL_STOP_TIMEOUT_S * 1000u;
	while (alive > 0 && mur_now_ms() < deadline_ms) {
		cli_proc_sleep_ms(50);
		alive = count_alive(pids, npids);
	}
	if (alive > 0) {
		fprintf(stderr, "murphy local: %d node(s) ignored SIGTERM for %d s; killing them\n",
			alive, CLI_LOCAL_STOP_TIMEOUT_S);
		for (int i = 0; i < npids; i++)
			if (cli_proc_alive(pids[i]))
				kill(pids[i], SIGKILL);
		for (int i = 0; i < 40 && alive > 0; i++) {
			cli_proc_sleep_ms(50);
			alive = count_alive(pids, npids);
		}
	}
	remove_pid_files(dir);
	if (n == 0)
		printf("murphy: no running nodes in %s\n", dir);
	else
		printf("murphy: stopped %d node(s) in %s\n", n, dir);
	return alive > 0 ? 1 : 0;
}
