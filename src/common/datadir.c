/*
 * datadir.c — pid and secret files of a node's data directory (see
 * datadir.h).  The secret is created in one step with its final mode
 * (O_CREAT|O_EXCL, 0600) and fsync-ed, so it is never readable by others,
 * not even for a moment, and two processes creating it at once agree on
 * one; a secret with group or world access is refused.
 */
#include "common/datadir.h"

#include "common/log.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

void mur_datadir_private(void) { umask(MUR_DATADIR_UMASK); }

/* The data directory itself: 0700 whatever it was (an older murphy made
 * 0755 ones), so nothing in it is reachable by other users. */
static int make_private(const char *dir, mur_error *err)
{
	struct stat st;
	if (stat(dir, &st) != 0)
		return mur_error_set(err, SQLSTATE_IO_ERROR, "cannot stat \"%s\": %s", dir,
				     strerror(errno));
	if (!(st.st_mode & (S_IRWXG | S_IRWXO)))
		return MUR_OK;
	if (chmod(dir, 0700) != 0)
		return mur_error_set(err, SQLSTATE_IO_ERROR, "cannot chmod 700 \"%s\": %s", dir,
				     strerror(errno));
	MLOG(WARN, "node", "data directory %s was mode %04o: now 0700", dir,
	     (unsigned)(st.st_mode & 07777));
	return MUR_OK;
}

int mur_datadir_mkdirs(const char *dir, mur_error *err)
{
	char path[MUR_DATADIR_PATH_MAX];
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
			return mur_error_set(err, SQLSTATE_IO_ERROR,
					     "cannot create directory \"%s\": %s", path,
					     strerror(errno));
		path[i] = saved;
	}
	return make_private(dir, err);
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

int mur_datadir_write_pid(const char *dir, mur_error *err)
{
	char path[MUR_DATADIR_PATH_MAX];
	FILE *f;
	long old = 0;
	snprintf(path, sizeof path, "%s/murphy.pid", dir);
	f = fopen(path, "r");
	if (f) {
		if (fscanf(f, "%ld", &old) == 1 && old > 0 && old != (long)getpid() &&
		    process_alive(old)) {
			fclose(f);
			return mur_error_set(err, SQLSTATE_IO_ERROR,
					     "another murphy process (pid %ld) is running in "
					     "\"%s\"",
					     old, dir);
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

void mur_datadir_remove_pid(const char *dir)
{
	char path[MUR_DATADIR_PATH_MAX];
	snprintf(path, sizeof path, "%s/murphy.pid", dir);
	unlink(path);
}

/* A secret file others may read or write is refused, as PostgreSQL refuses
 * a key file with group or world access: whoever reads it can join the
 * cluster and be sent every write. */
static int check_private(int fd, const char *path, mur_error *err)
{
	struct stat st;
	if (fstat(fd, &st) != 0)
		return mur_error_set(err, SQLSTATE_IO_ERROR, "cannot stat \"%s\": %s", path,
				     strerror(errno));
	if (st.st_mode & (S_IRWXG | S_IRWXO))
		return mur_error_set(err, SQLSTATE_CONFIG_FILE_ERROR,
				     "\"%s\" has group or world access (mode %04o): run chmod 600 "
				     "on it; "
				     "it lets a process join the cluster",
				     path, (unsigned)(st.st_mode & 07777));
	return MUR_OK;
}

/* Read the private file dir/name into out, trimmed at the first blank. */
static int read_private(const char *dir, const char *name, char *out, size_t outsz, mur_error *err)
{
	char path[MUR_DATADIR_PATH_MAX];
	ssize_t n;
	int fd;
	snprintf(path, sizeof path, "%s/%s", dir, name);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		int e = errno;
		mur_error_set(err, SQLSTATE_UNDEFINED_FILE, "cannot read \"%s\": %s", path,
			      strerror(e));
		return e == ENOENT ? MUR_ENOTFOUND : MUR_ERR;
	}
	if (check_private(fd, path, err) != MUR_OK) {
		close(fd);
		return MUR_ERR;
	}
	n = read(fd, out, outsz - 1);
	close(fd);
	out[n > 0 ? n : 0] = '\0';
	out[strcspn(out, "\r\n \t")] = '\0';
	if (!out[0])
		return mur_error_set(err, SQLSTATE_UNDEFINED_FILE, "\"%s\" is empty", path);
	return MUR_OK;
}

int mur_password_file_read(const char *path, char *out, size_t outsz, mur_error *err)
{
	char buf[MUR_PASSWORD_FILE_MAX + 2];
	struct stat st;
	ssize_t n;
	size_t len;
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return mur_error_set(err, SQLSTATE_UNDEFINED_FILE, "cannot read \"%s\": %s", path,
				     strerror(errno));
	if (fstat(fd, &st) != 0 || (st.st_mode & (S_IRWXG | S_IRWXO))) {
		close(fd);
		return mur_error_set(err, SQLSTATE_CONFIG_FILE_ERROR,
				     "password file \"%s\" has group or world access: run chmod "
				     "600 on it",
				     path);
	}
	n = read(fd, buf, sizeof buf - 1);
	close(fd);
	buf[n > 0 ? n : 0] = '\0';
	len = strcspn(buf, "\r\n");
	buf[len] = '\0';
	if (!len)
		return mur_error_set(err, SQLSTATE_CONFIG_FILE_ERROR,
				     "password file \"%s\" is empty", path);
	if (len > MUR_PASSWORD_FILE_MAX || len >= outsz)
		return mur_error_set(err, SQLSTATE_CONFIG_FILE_ERROR,
				     "password file \"%s\": the password is longer than %d bytes",
				     path, MUR_PASSWORD_FILE_MAX);
	memcpy(out, buf, len + 1);
	return MUR_OK;
}

int mur_datadir_read_secret(const char *dir, char *out, size_t outsz, mur_error *err)
{
	return read_private(dir, "cluster.secret", out, outsz, err);
}

int mur_datadir_read_password(const char *dir, char *out, size_t outsz, mur_error *err)
{
	return read_private(dir, MUR_DATADIR_PASSWORD_FILE, out, outsz, err);
}

static int fsync_dir(const char *dir, mur_error *err)
{
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	int rc = fd >= 0 ? fsync(fd) : -1;
	int e = errno;
	if (fd >= 0)
		close(fd);
	if (rc != 0)
		return mur_error_set(err, SQLSTATE_IO_ERROR, "cannot fsync \"%s\": %s", dir,
				     strerror(e));
	return MUR_OK;
}

int mur_datadir_write_secret(const char *path, const char *secret, mur_error *err)
{
	size_t n = strlen(secret);
	int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	int ok, e;
	if (fd < 0) {
		int e = errno;
		mur_error_set(err, SQLSTATE_IO_ERROR, "cannot create \"%s\": %s", path,
			      strerror(e));
		return e == EEXIST ? MUR_EAGAIN : MUR_ERR;
	}
	ok = write(fd, secret, n) == (ssize_t)n && write(fd, "\n", 1) == 1 && fsync(fd) == 0;
	e = errno;
	if (close(fd) != 0 && ok) {
		ok = 0;
		e = errno;
	}
	if (!ok) {
		unlink(path);
		return mur_error_set(err, SQLSTATE_IO_ERROR, "cannot write \"%s\": %s", path,
				     strerror(e));
	}
	return MUR_OK;
}

/* Read dir/name, or create it with nbytes random bytes in hex. */
static int ensure_private(const char *dir, const char *name, size_t nbytes, char *out, size_t outsz,
			  mur_error *err)
{
	char path[MUR_DATADIR_PATH_MAX];
	unsigned char raw[MUR_DATADIR_SECRET_BYTES];
	int fd, rc = read_private(dir, name, out, outsz, err);
	if (rc != MUR_ENOTFOUND)
		return rc;
	if (nbytes > sizeof raw || outsz < 2 * nbytes + 1)
		return mur_error_set(err, SQLSTATE_INTERNAL_ERROR, "secret buffer too small");
	fd = open("/dev/urandom", O_RDONLY | O_CLOEXEC);
	rc = fd >= 0 && read(fd, raw, nbytes) == (ssize_t)nbytes;
	if (fd >= 0)
		close(fd);
	if (!rc)
		return mur_error_set(err, SQLSTATE_IO_ERROR, "cannot read /dev/urandom");
	for (size_t i = 0; i < nbytes; i++)
		snprintf(out + 2 * i, 3, "%02x", raw[i]);
	snprintf(path, sizeof path, "%s/%s", dir, name);
	rc = mur_datadir_write_secret(path, out, err);
	if (rc == MUR_EAGAIN) /* another process made one first: use it */
		return read_private(dir, name, out, outsz, err);
	return rc == MUR_OK ? fsync_dir(dir, err) : rc;
}

int mur_datadir_ensure_secret(const char *dir, char *out, size_t outsz, mur_error *err)
{
	return ensure_private(dir, "cluster.secret", MUR_DATADIR_SECRET_BYTES, out, outsz, err);
}

int mur_datadir_ensure_password(const char *dir, char *out, size_t outsz, mur_error *err)
{
	return ensure_private(dir, MUR_DATADIR_PASSWORD_FILE, MUR_DATADIR_PASSWORD_BYTES, out,
			      outsz, err);
}
