/*
 * datadir.h — files every node keeps in its data directory:
 *   murphy.pid      the running process's pid (removed on clean exit)
 *   cluster.secret  one line of hex; a follower must present the leader's
 *                   secret in HELLO or it is refused
 *   password        the initial superuser's password when murphy made one
 *                   (one line of hex, 0600): `murphy local` keeps it in
 *                   its directory, a bare `murphy leader` in its own
 * The leader and follower mains (node/) keep them; `murphy local` (cli/)
 * prepares a local cluster's directories and secrets with the same calls.
 */
#ifndef COMMON_DATADIR_H
#define COMMON_DATADIR_H

#include "common/error.h"

#include <stddef.h>

/* Files and directories a node creates are its user's alone: the catalog,
 * the copies, their -wal/-shm, the pid file (0600) and directories (0700). */
#define MUR_DATADIR_UMASK 077
#define MUR_DATADIR_SECRET_BYTES 32 /* random bytes, written as hex */
#define MUR_DATADIR_PATH_MAX 4096
#define MUR_DATADIR_PASSWORD_FILE "password"
#define MUR_DATADIR_PASSWORD_BYTES 16 /* random bytes of a made password, as hex */
/* The superuser a leader makes at its first start (--auth scram), and the
 * environment variable that gives its password (and the command line's). */
#define MUR_SUPERUSER_NAME "murphy"
#define MUR_PASSWORD_ENV "MURPHY_PASSWORD"

/* umask(MUR_DATADIR_UMASK) for this process; call before creating files. */
void mur_datadir_private(void);

/* mkdir -p dir (mode 0700 for new directories); dir itself is made 0700
 * when it was open to group or others (logged). */
int mur_datadir_mkdirs(const char *dir, mur_error *err);
/* Write getpid() to dir/murphy.pid; refuse (MUR_ERR) when another live
 * process holds it. */
int mur_datadir_write_pid(const char *dir, mur_error *err);
void mur_datadir_remove_pid(const char *dir);
/* Read dir/cluster.secret into out (trimmed).  MUR_ENOTFOUND when absent;
 * MUR_ERR (F0000) when the file has group or world access. */
int mur_datadir_read_secret(const char *dir, char *out, size_t outsz, mur_error *err);
/* Create path holding secret and a newline: open(O_CREAT|O_EXCL, 0600),
 * write, fsync.  MUR_EAGAIN when path exists (left alone). */
int mur_datadir_write_secret(const char *path, const char *secret, mur_error *err);
/* Read it, or create a new random one (MUR_DATADIR_SECRET_BYTES from
 * /dev/urandom, hex) with mur_datadir_write_secret and fsync dir. */
int mur_datadir_ensure_secret(const char *dir, char *out, size_t outsz, mur_error *err);
/* The same for dir/password (MUR_DATADIR_PASSWORD_BYTES random bytes). */
int mur_datadir_read_password(const char *dir, char *out, size_t outsz, mur_error *err);
int mur_datadir_ensure_password(const char *dir, char *out, size_t outsz, mur_error *err);
/* The initial superuser's password from a file the user names (murphy
 * leader / local start --password-file): its first line, without the line
 * end (blanks inside and around are the password's, as initdb --pwfile
 * reads it).  MUR_ERR (58P01 unreadable, F0000 empty, longer than
 * MUR_PASSWORD_FILE_MAX, or with group or world access: a password file
 * others can read is refused, as libpq ignores such a ~/.pgpass). */
#define MUR_PASSWORD_FILE_MAX 1024
int mur_password_file_read(const char *path, char *out, size_t outsz, mur_error *err);

#endif
