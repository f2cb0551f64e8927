/*
 * node_files.c — pid and secret files of a node's data directory (see
 * node_files.h).
 */
#include "node/node_files.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

int node_mkdirs(const char *dir, mur_error *err)
{
	char path[4096];
	size_t n = strlen(dir);
	if (n == 0 || n >= sizeof path)
		return mur_error_set(err, SQLSTATE_IO_ERROR, "invalid directory \"%s\"", dir);
	memcpy(path, dir, n + 1);
	for (size_t i = 1; i <= n; i++) {
		if (path[i] != '/' && path[i] != '\0')
			continue;
		char saved = path[i];
		path[i] = '\0';
		if (mkdir(path, 0700) != 0 && errno != EEXIST)
			return mur_error_set(err, SQLSTATE_IO_ERROR, "cannot create directory \"%s\": %s",
					     path, strerror(errno));
		path[i] = saved;
	}
	return MUR_OK;
}

/* A live process, not a zombie (on machines where pid 1 does not reap, a
 * killed node stays a zombie and kill(pid, 0) still succeeds). */
static int process_alive(long pid)
{
	char path[64], buf[512];
	FILE *f;
	char *p;
	if (kill((pid_t)pid, 0) != 0)
		return 0;
	snprintf(path, sizeof path, "/proc/%ld/stat", pid);
	f = fopen(path, "r");
	if (!f)
		return 1;
	p = fgets(buf, sizeof buf, f);
	fclose(f);
	if (!p || !(p = strrchr(buf, ')')))
		return 1;
	return !(p[1] == ' ' && (p[2] == 'Z' || p[2] == 'X'));
}

int node_write_pid(const char *dir, mur_error *err)
{
	char path[4096];
	FILE *f;
	long old = 0;
	snprintf(path, sizeof path, "%s/murphy.pid", dir);
	f = fopen(path, "r");
	if (f) {
		if (fscanf(f, "%ld", &old) == 1 && old > 0 && old != (long)getpid() &&
		    process_alive(old)) {
			fclose(f);
			return mur_error_set(err, SQLSTATE_IO_ERROR,
					     "another murphy process (pid %ld) is running in \"%s\"", old,
					     dir);
		}
		fclose(f);
	}
	f = fopen(path, "w");
	if (!f)
		return mur_error_set(err, SQLSTATE_IO_ERROR, "cannot write \"%s\": %s", path,
				     strerror(errno));
	fprintf(f, "%ld\n", (long)getpid());
	fclose(f);
	return MUR_OK;
}

void node_remove_pid(const char *dir)
{
	char path[4096];
	snprintf(path, sizeof path, "%s/murphy.pid", dir);
	unlink(path);
}

int node_read_secret(const char *dir, char *out, size_t outsz, mur_error *err)
{
	char path[4096];
	FILE *f;
	snprintf(path, sizeof path, "%s/cluster.secret", dir);
	f = fopen(path, "r");
	if (!f) {
		mur_error_set(err, SQLSTATE_UNDEFINED_FILE, "cannot read \"%s\": %s", path,
			      strerror(errno));
		return MUR_ENOTFOUND;
	}
	if (!fgets(out, (int)outsz, f))
		out[0] = '\0';
	fclose(f);
	out[strcspn(out, "\r\n \t")] = '\0';
	if (!out[0])
		return mur_error_set(err, SQLSTATE_UNDEFINED_FILE, "\"%s\" is empty", path);
	return MUR_OK;
}

int node_ensure_secret(const char *dir, char *out, size_t outsz, mur_error *err)
{
	char path[4096];
	unsigned char raw[32];
	FILE *f;
	int rc = node_read_secret(dir, out, outsz, err);
	if (rc != MUR_ENOTFOUND)
		return rc;
	f = fopen("/dev/urandom", "r");
	if (!f || fread(raw, 1, sizeof raw, f) != sizeof raw) {
		if (f)
			fclose(f);
		return mur_error_set(err, SQLSTATE_IO_ERROR, "cannot read /dev/urandom");
	}
	fclose(f);
	if (outsz < 2 * sizeof raw + 1)
		return mur_error_set(err, SQLSTATE_INTERNAL_ERROR, "secret buffer too small");
	for (size_t i = 0; i < sizeof raw; i++)
		snprintf(out + 2 * i, 3, "%02x", raw[i]);
	snprintf(path, sizeof path, "%s/cluster.secret", dir);
	f = fopen(path, "w");
	if (!f)
		return mur_error_set(err, SQLSTATE_IO_ERROR, "cannot write \"%s\": %s", path,
				     strerror(errno));
	fchmod(fileno(f), 0600);
	fprintf(f, "%s\n", out);
	fclose(f);
	return MUR_OK;
}
