/*
 * local_setup.c — the data directory of `murphy local` (layout in local.h):
 * node names and paths, DIR/local.conf (flags > local.conf > defaults), the
 * node directories and the shared cluster secret (32 random bytes from
 * /dev/urandom, hex, created once in DIR/leader and copied to followers
 * that have none).
 */
#include "cli/local.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define CLI_LOCAL_SECRET_BYTES 32

double cli_local_now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Node i: 0 is the leader, i ≥ 1 is follower fi. */
void cli_local_node_name(int i, char *buf, size_t size)
{
	if (i == 0)
		snprintf(buf, size, "leader");
	else
		snprintf(buf, size, "f%d", i);
}

void cli_local_node_path(const cli_local_opts *o, int i, const char *file, char *buf, size_t size)
{
	char name[16];
	cli_local_node_name(i, name, sizeof name);
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
		if (o->suspect_timeout_ms < 0 && sscanf(line, "suspect_timeout_ms=%d", &v) == 1)
			o->suspect_timeout_ms = v;
		if (o->dead_timeout_ms < 0 && sscanf(line, "dead_timeout_ms=%d", &v) == 1)
			o->dead_timeout_ms = v;
		if (o->write_pipeline < 0 && sscanf(line, "write_pipeline=%d", &v) == 1)
			o->write_pipeline = v;
		if (o->startup_timeout_ms < 0 && sscanf(line, "startup_timeout_ms=%d", &v) == 1)
			o->startup_timeout_ms = v;
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
	if (o->suspect_timeout_ms > 0)
		fprintf(f, "suspect_timeout_ms=%ld\n", o->suspect_timeout_ms);
	if (o->dead_timeout_ms > 0)
		fprintf(f, "dead_timeout_ms=%ld\n", o->dead_timeout_ms);
	if (o->write_pipeline > 0)
		fprintf(f, "write_pipeline=%ld\n", o->write_pipeline);
	if (o->startup_timeout_ms > 0)
		fprintf(f, "startup_timeout_ms=%ld\n", o->startup_timeout_ms);
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
	if (o->suspect_timeout_ms < 0)
		o->suspect_timeout_ms = 0;
	if (o->dead_timeout_ms < 0)
		o->dead_timeout_ms = 0;
	if (o->write_pipeline < 0)
		o->write_pipeline = 0;
	if (o->startup_timeout_ms < 0)
		o->startup_timeout_ms = 0;
	if (o->write_pipeline > 64) {
		fprintf(stderr, "murphy local: write_pipeline in %s/local.conf must be 1..64\n", o->dir);
		return 1;
	}
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
	cli_local_node_path(o, 0, "cluster.secret", path, sizeof path);
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
		cli_local_node_path(o, i, "cluster.secret", path, sizeof path);
		if (write_new(path, secret) != 0)
			goto fail_write;
	}
	return 0;
fail_write:
	fprintf(stderr, "murphy local: cannot write %s: %s\n", path, strerror(errno));
	return 1;
}

int cli_local_prepare(const cli_local_opts *o)
{
	for (int i = 0; i <= o->followers; i++) {
		char dir[PATH_MAX + 16];
		cli_local_node_path(o, i, NULL, dir, sizeof dir);
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

