/*
 * proc.c — daemons, pid files and logs for `murphy local` (see proc.h).
 *
 * Spawning is a single fork: the child calls setsid() so it leaves our
 * terminal's process group (Ctrl-C on `murphy local start` does not reach
 * the nodes), points fds 0/1/2 at /dev/null and the node's log, closes
 * everything else (so a caller capturing our stdout through a pipe sees EOF
 * when we exit, not when the cluster stops), then execs.  The node writes
 * its own pid file; we never write it, so a node that checks its pid file
 * on startup does not find itself there.
 */
#include "cli/proc.h"

#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define CLI_PROC_CMDLINE_MAX 8192
#define CLI_PROC_TAIL_BYTES 16384
#define CLI_PROC_FD_CLOSE_MAX 4096

pid_t cli_proc_read_pid(const char *node_dir)
{
	char path[4096], buf[32];
	snprintf(path, sizeof path, "%s/murphy.pid", node_dir);
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return 0;
	ssize_t n = read(fd, buf, sizeof buf - 1);
	close(fd);
	if (n <= 0)
		return 0;
	buf[n] = 0;
	long pid = strtol(buf, NULL, 10);
	return pid > 0 ? (pid_t)pid : 0;
}

int cli_proc_alive(pid_t pid)
{
	if (pid <= 0)
		return 0;
	if (kill(pid, 0) != 0 && errno != EPERM)
		return 0;
	char path[64], buf[512];
	snprintf(path, sizeof path, "/proc/%d/stat", (int)pid);
	FILE *f = fopen(path, "re");
	if (!f)
		return 1; /* no /proc: trust kill() */
	size_t n = fread(buf, 1, sizeof buf - 1, f);
	fclose(f);
	buf[n] = 0;
	const char *rp = strrchr(buf, ')'); /* "pid (comm) S ..." */
	return !(rp && rp[1] == ' ' && (rp[2] == 'Z' || rp[2] == 'X'));
}

int cli_proc_is_node(pid_t pid, const char *node_dir)
{
	if (!cli_proc_alive(pid))
		return 0;
	char path[64];
	static char buf[CLI_PROC_CMDLINE_MAX];
	snprintf(path, sizeof path, "/proc/%d/cmdline", (int)pid);
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return 1; /* no /proc: trust the pid file */
	ssize_t n = read(fd, buf, sizeof buf - 1);
	close(fd);
	if (n <= 0)
		return 0;
	buf[n] = 0;
	/* Arguments are NUL-separated: look for "--dir" followed by node_dir. */
	for (ssize_t off = 0; off < n;) {
		const char *arg = buf + off;
		size_t len = strlen(arg);
		if (strcmp(arg, "--dir") == 0 && off + (ssize_t)len + 1 < n)
			return strcmp(arg + len + 1, node_dir) == 0;
		off += (ssize_t)len + 1;
	}
	return 0;
}

static void child_exec(char *const argv[], const char *log_path)
{
	setsid();
	int devnull = open("/dev/null", O_RDONLY);
	int log = open(log_path, O_WRONLY | O_APPEND | O_CREAT, 0600);
	if (devnull < 0 || log < 0)
		_exit(126);
	dup2(devnull, 0);
	dup2(log, 1);
	dup2(log, 2);
	for (int fd = 3; fd < CLI_PROC_FD_CLOSE_MAX; fd++)
		close(fd);
	signal(SIGPIPE, SIG_DFL);
	signal(SIGINT, SIG_DFL);
	signal(SIGTERM, SIG_DFL);
	execv(argv[0], argv);
	dprintf(2, "murphy local: exec %s failed: %s\n", argv[0], strerror(errno));
	_exit(127);
}

pid_t cli_proc_spawn(char *const argv[], const char *log_path, mur_error *err)
{
	fflush(stdout);
	fflush(stderr);
	pid_t pid = fork();
	if (pid < 0) {
		mur_error_set(err, SQLSTATE_INTERNAL_ERROR, "fork: %s", strerror(errno));
		return -1;
	}
	if (pid == 0)
		child_exec(argv, log_path);
	return pid;
}

int cli_proc_port_free(int port)
{
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return 1;
	int one = 1;
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	int ok = bind(fd, (struct sockaddr *)&a, sizeof a) == 0;
	close(fd);
	return ok;
}

void cli_proc_log_tail(const char *path, int lines, const char *prefix, FILE *out)
{
	static char buf[CLI_PROC_TAIL_BYTES + 1];
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		fprintf(out, "%s(no log at %s)\n", prefix, path);
		return;
	}
	off_t size = lseek(fd, 0, SEEK_END);
	off_t start = size > CLI_PROC_TAIL_BYTES ? size - CLI_PROC_TAIL_BYTES : 0;
	ssize_t n = pread(fd, buf, CLI_PROC_TAIL_BYTES, start);
	close(fd);
	if (n <= 0) {
		fprintf(out, "%s(empty log)\n", prefix);
		return;
	}
	buf[n] = 0;
	if (n > 0 && buf[n - 1] == '\n')
		buf[--n] = 0;
	/* Walk back `lines` newlines. */
	ssize_t i = n;
	int seen = 0;
	while (i > 0 && seen < lines) {
		i--;
		if (buf[i] == '\n')
			seen++;
	}
	char *p = buf + (buf[i] == '\n' ? i + 1 : i);
	for (char *line = strtok(p, "\n"); line; line = strtok(NULL, "\n"))
		fprintf(out, "%s%s\n", prefix, line);
}

void cli_proc_sleep_ms(int ms)
{
	struct timespec ts = {.tv_sec = ms / 1000, .tv_nsec = (long)(ms % 1000) * 1000000L};
	while (nanosleep(&ts, &ts) != 0 && errno == EINTR) {
	}
}
