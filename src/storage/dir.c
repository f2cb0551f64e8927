/*
 * dir.c — the follower's placement directory (stor_dir).
 *
 * Keeps the open placements in a list under one mutex, with a reference
 * count per placement so a file is never closed under a running task:
 *
 *   stor_dir_get   find or open (refs++)
 *   stor_dir_put   refs--; a dropped placement is freed at refs == 0
 *   stor_dir_drop  unlist, wait for the placement's lock (a running task),
 *                  close SQLite, delete file, -wal and -shm.  The dir mutex
 *                  is held throughout so a concurrent get cannot reopen the
 *                  file half-deleted; tasks must stor_unlock before
 *                  stor_dir_put (lock order: dir mutex, then placement).
 *   stor_dir_install  the same close, then remove -wal/-shm and rename a
 *                  snapshot over the file, still under the dir mutex: the
 *                  next get opens the new file.  A task that held a
 *                  reference sees "dropped or replaced" at stor_lock.
 *
 * Follower WAL (fwal.h): while one is attached (stor_dir_attach_fwal),
 * placements run synchronous=NORMAL; drop and install first append a
 * RESET record so a later recovery never replays the old file's entries
 * onto a new one.  stor_dir_close stops the WAL.
 *
 * At most STOR_DIR_OPEN_MAX (stor_dir_set_open_max) placements stay open: opening one more closes
 * the least recently used idle one; if none is idle the open fails (53000).
 *
 * Every task finds its placement by file name (stor_dir_get): the open
 * placements are also chained in DIR_BUCKETS buckets by a hash of the
 * name, since walking the list with strcmp was ~2.5% of a follower's CPU
 * under pgbench (32 placements, names alike up to their last digits).
 */
#include "common/log.h"
#include "storage/fwal.h"
#include "storage/replog.h"
#include "storage/storage_int.h"

#include <assert.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* Buckets of the open placements' name hash: a power of two, twice
 * STOR_DIR_OPEN_MAX, so chains stay a placement or two long. */
#define DIR_BUCKETS 1024
_Static_assert(DIR_BUCKETS >= 2 * STOR_DIR_OPEN_MAX && (DIR_BUCKETS & (DIR_BUCKETS - 1)) == 0,
	       "DIR_BUCKETS: a power of two, at least twice STOR_DIR_OPEN_MAX");

struct stor_dir {
	char path[STOR_PATH_MAX];
	pthread_mutex_t mu;
	stor_db *open;                /* list through stor_db.next */
	stor_db *bucket[DIR_BUCKETS]; /* the same, chained through stor_db.hnext */
	size_t nopen;
	size_t open_max;                  /* STOR_DIR_OPEN_MAX unless set */
	uint64_t clock;                   /* LRU */
	uint64_t log_keep, log_bytes_max; /* 0: defaults (stor_dir_set_log_retention) */
	stor_fwal *fwal;                  /* NULL: group commit off */
};

stor_fwal *stor_dir_fwal(stor_dir *d)
{
	pthread_mutex_lock(&d->mu);
	stor_fwal *w = d->fwal;
	pthread_mutex_unlock(&d->mu);
	return w;
}

void stor_dir_attach_fwal(stor_dir *d, stor_fwal *w)
{
	mur_error err;
	pthread_mutex_lock(&d->mu);
	d->fwal = w;
	for (stor_db *db = d->open; db; db = db->next) {
		pthread_mutex_lock(&db->mu);
		if (db->db && (db->fwal != NULL) != (w != NULL) &&
		    stor_db_set_sync(db, w == NULL, &err) != MUR_OK)
			MLOG(WARN, "storage", "%s: %s", db->file, err.message);
		db->fwal = w;
		pthread_mutex_unlock(&db->mu);
	}
	pthread_mutex_unlock(&d->mu);
}

static int mkdir_p(const char *path)
{
	char buf[STOR_PATH_MAX];
	if (snprintf(buf, sizeof buf, "%s", path) >= (int)sizeof buf)
		return -1;
	for (char *p = buf + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(buf, 0700) != 0 && errno != EEXIST)
			return -1;
		*p = '/';
	}
	if (mkdir(buf, 0700) != 0 && errno != EEXIST)
		return -1;
	return 0;
}

int stor_dir_open(const char *path, stor_dir **out, mur_error *err)
{
	*out = NULL;
	if (strlen(path) + STOR_FILE_NAME_MAX + 8 >= STOR_PATH_MAX)
		return mur_error_set(err, SQLSTATE_INVALID_PARAMETER_VALUE,
				     "data directory path too long");
	if (mkdir_p(path) != 0)
		return mur_error_set(err, SQLSTATE_IO_ERROR,
				     "could not create directory \"%s\": %s", path,
				     strerror(errno));
	stor_dir *d = calloc(1, sizeof *d);
	if (!d)
		return mur_error_set(err, SQLSTATE_OUT_OF_MEMORY, "out of memory");
	snprintf(d->path, sizeof d->path, "%s", path);
	d->open_max = STOR_DIR_OPEN_MAX;
	pthread_mutex_init(&d->mu, NULL);
	*out = d;
	return MUR_OK;
}

void stor_dir_close(stor_dir *d)
{
	if (!d)
		return;
	stor_fwal_stop(d);
	while (d->open) {
		stor_db *db = d->open;
		d->open = db->next;
		stor_close(db);
	}
	pthread_mutex_destroy(&d->mu);
	free(d);
}

const char *stor_dir_path(const stor_dir *d) { return d->path; }

uint64_t stor_dir_bytes(const stor_dir *d) { return stor_dir_files(d, NULL, NULL); }

uint64_t stor_dir_files(const stor_dir *d, void (*fn)(void *arg, const char *file, uint64_t bytes),
			void *arg)
{
	DIR *dir = opendir(d->path);
	struct dirent *de;
	uint64_t sum = 0;
	if (!dir)
		return 0;
	while ((de = readdir(dir)) != NULL) {
		struct stat st;
		if (fstatat(dirfd(dir), de->d_name, &st, AT_SYMLINK_NOFOLLOW) == 0 &&
		    S_ISREG(st.st_mode)) {
			sum += (uint64_t)st.st_size;
			if (fn)
				fn(arg, de->d_name, (uint64_t)st.st_size);
		}
	}
	closedir(dir);
	return sum;
}

void stor_dir_set_open_max(stor_dir *d, size_t n)
{
	pthread_mutex_lock(&d->mu);
	d->open_max = n ? n : STOR_DIR_OPEN_MAX;
	pthread_mutex_unlock(&d->mu);
}

void stor_dir_set_log_retention(stor_dir *d, uint64_t keep, uint64_t bytes_max)
{
	pthread_mutex_lock(&d->mu);
	d->log_keep = keep;
	d->log_bytes_max = bytes_max;
	for (stor_db *db = d->open; db; db = db->next) {
		db->log_keep = keep ? keep : STOR_LOG_KEEP;
		db->log_bytes_max = bytes_max ? bytes_max : STOR_LOG_BYTES_MAX;
	}
	pthread_mutex_unlock(&d->mu);
}

int stor_dir_file_path(const stor_dir *d, const char *file, char *buf, size_t bufsz)
{
	if (!stor_file_name_ok(file))
		return -1;
	int n = snprintf(buf, bufsz, "%s/%s", d->path, file);
	return n < 0 || (size_t)n >= bufsz ? -1 : 0;
}

int stor_dir_exists(const stor_dir *d, const char *file)
{
	char path[STOR_PATH_MAX];
	struct stat sb;
	return stor_dir_file_path(d, file, path, sizeof path) == 0 && stat(path, &sb) == 0;
}

static stor_db **bucket_of(stor_dir *d, uint32_t hash)
{
	return &d->bucket[hash & (DIR_BUCKETS - 1)];
}

static stor_db *find(stor_dir *d, const char *file)
{
	uint32_t h = stor_str_hash(file);
	for (stor_db *db = *bucket_of(d, h); db; db = db->hnext)
		if (db->name_hash == h && strcmp(db->file, file) == 0)
			return db;
	return NULL;
}

/* Add db (just opened) to the list and its bucket. */
static void list_open(stor_dir *d, stor_db *db)
{
	stor_db **b = bucket_of(d, db->name_hash = stor_str_hash(db->file));
	db->next = d->open;
	d->open = db;
	db->hnext = *b;
	*b = db;
	d->nopen++;
}

/* Take db out of the list and its bucket. */
static void unlist(stor_dir *d, stor_db *db)
{
	stor_db **pp;
	for (pp = &d->open; *pp != db; pp = &(*pp)->next)
		assert(*pp);
	*pp = db->next;
	for (pp = bucket_of(d, db->name_hash); *pp != db; pp = &(*pp)->hnext)
		assert(*pp);
	*pp = db->hnext;
	d->nopen--;
}

/* Close the least recently used idle placement.  0 when one was closed. */
static int evict_idle(stor_dir *d)
{
	stor_db *victim = NULL;
	for (stor_db *db = d->open; db; db = db->next)
		if (db->refs == 0 && (!victim || db->last_used < victim->last_used))
			victim = db;
	if (!victim)
		return -1;
	unlist(d, victim);
	stor_close(victim);
	return 0;
}

int stor_dir_get(stor_dir *d, const char *file, int create, stor_db **out, mur_error *err)
{
	int rc = MUR_OK;
	*out = NULL;
	if (!stor_file_name_ok(file))
		return mur_error_set(err, SQLSTATE_INVALID_PARAMETER_VALUE,
				     "invalid placement file name \"%.64s\"", file ? file : "");
	pthread_mutex_lock(&d->mu);
	stor_db *db = find(d, file);
	if (db) {
		db->refs++;
		*out = db;
		goto done;
	}
	if (!create && !stor_dir_exists(d, file)) {
		rc = mur_error_set(err, SQLSTATE_UNDEFINED_FILE,
				   "placement \"%s\" does not exist on this node", file);
		goto done;
	}
	if (d->nopen >= d->open_max && evict_idle(d) != 0) {
		rc = mur_error_set(err, SQLSTATE_INSUFFICIENT_RESOURCES,
				   "too many placements in use (%zu)", d->open_max);
		goto done;
	}
	rc = stor_open(d->path, file, &db, err);
	if (rc != MUR_OK)
		goto done;
	if (d->log_keep)
		db->log_keep = d->log_keep;
	if (d->log_bytes_max)
		db->log_bytes_max = d->log_bytes_max;
	if (d->fwal && stor_db_set_sync(db, 0, err) != MUR_OK) {
		stor_close(db);
		rc = MUR_ERR;
		goto done;
	}
	db->fwal = d->fwal;
	db->refs = 1;
	list_open(d, db);
	*out = db;
done:
	pthread_mutex_unlock(&d->mu);
	return rc;
}

int stor_dir_share(stor_dir *d, const char *file, stor_db **out, mur_error *err)
{
	if (stor_dir_get(d, file, 0, out, err) != MUR_OK)
		return MUR_ERR;
	if (stor_lock(*out, err) != MUR_OK) {
		stor_dir_put(d, *out);
		*out = NULL;
		return MUR_ERR;
	}
	int rc = stor_db_share(*out, err);
	stor_unlock(*out);
	if (rc != MUR_OK) {
		stor_dir_unshare(d, *out);
		*out = NULL;
	}
	return rc;
}

void stor_dir_unshare(stor_dir *d, stor_db *db)
{
	if (!db)
		return;
	pthread_mutex_lock(&db->mu); /* also when dropped meanwhile (stor_lock refuses) */
	stor_db_unshare(db);
	pthread_mutex_unlock(&db->mu);
	stor_dir_put(d, db);
}

void stor_dir_release_idle_locks(stor_dir *d, uint64_t idle_ms)
{
	mur_error err;
	pthread_mutex_lock(&d->mu);
	for (stor_db *db = d->open; db; db = db->next) {
		if (!db->excl || stor_trylock(db, &err) != MUR_OK)
			continue; /* in use: not idle */
		stor_db_release_if_idle(db, idle_ms);
		stor_unlock(db);
	}
	pthread_mutex_unlock(&d->mu);
}

void stor_dir_put(stor_dir *d, stor_db *db)
{
	if (!db)
		return;
	pthread_mutex_lock(&d->mu);
	db->last_used = ++d->clock;
	int free_it = --db->refs == 0 && db->dropped;
	pthread_mutex_unlock(&d->mu);
	if (free_it)
		stor_close(db);
}

static int unlink_quiet(const char *path, const char *suffix, mur_error *err)
{
	char p[STOR_PATH_MAX + 8];
	snprintf(p, sizeof p, "%s%s", path, suffix);
	if (unlink(p) != 0 && errno != ENOENT)
		return mur_error_set(err, SQLSTATE_IO_ERROR, "could not remove \"%s\": %s", p,
				     strerror(errno));
	return MUR_OK;
}

/* Unlist the cached placement `file` (if open), wait for a task running on
 * it and close its SQLite side.  Under d->mu.  Returns the stor_db to free
 * after unlocking d->mu (NULL when none or still referenced: the last
 * stor_dir_put frees it). */
static stor_db *close_cached(stor_dir *d, const char *file)
{
	stor_db *db = find(d, file);
	if (!db)
		return NULL;
	unlist(d, db);
	db->dropped = 1;
	pthread_mutex_lock(&db->mu); /* wait for a running task */
	stor_db_shutdown(db);
	pthread_mutex_unlock(&db->mu);
	return db->refs == 0 ? db : NULL;
}

int stor_dir_drop(stor_dir *d, const char *file, mur_error *err)
{
	char path[STOR_PATH_MAX];
	int rc = MUR_OK;

	if (stor_dir_file_path(d, file, path, sizeof path) != 0)
		return mur_error_set(err, SQLSTATE_INVALID_PARAMETER_VALUE,
				     "invalid placement file name \"%.64s\"", file ? file : "");
	if (stor_fwal_log_reset(d, file, err) != MUR_OK)
		return MUR_ERR;
	pthread_mutex_lock(&d->mu);
	stor_db *gone = close_cached(d, file);
	if (unlink_quiet(path, "", err) != MUR_OK || unlink_quiet(path, "-wal", err) != MUR_OK ||
	    unlink_quiet(path, "-shm", err) != MUR_OK)
		rc = MUR_ERR;
	pthread_mutex_unlock(&d->mu);
	stor_close(gone);
	return rc;
}

static int fsync_path(const char *path, int dir, mur_error *err)
{
	int fd = open(path, (dir ? O_RDONLY | O_DIRECTORY : O_RDWR) | O_CLOEXEC);
	if (fd < 0)
		return mur_error_set(err, SQLSTATE_IO_ERROR, "could not open \"%s\": %s", path,
				     strerror(errno));
	int rc = fsync(fd);
	int e = errno;
	close(fd);
	if (rc != 0)
		return mur_error_set(err, SQLSTATE_IO_ERROR, "could not fsync \"%s\": %s", path,
				     strerror(e));
	return MUR_OK;
}

int stor_dir_install(stor_dir *d, const char *file, const char *src_path, mur_error *err)
{
	char path[STOR_PATH_MAX];
	int rc = MUR_ERR;

	if (stor_dir_file_path(d, file, path, sizeof path) != 0)
		return mur_error_set(err, SQLSTATE_INVALID_PARAMETER_VALUE,
				     "invalid placement file name \"%.64s\"", file ? file : "");
	if (fsync_path(src_path, 0, err) != MUR_OK || stor_fwal_log_reset(d, file, err) != MUR_OK)
		return MUR_ERR;
	pthread_mutex_lock(&d->mu);
	stor_db *gone = close_cached(d, file);
	/* The old file's WAL must never be replayed onto the new file:
	 * remove it before the rename (closing checkpointed it already). */
	if (unlink_quiet(path, "-wal", err) != MUR_OK || unlink_quiet(path, "-shm", err) != MUR_OK)
		goto done;
	if (rename(src_path, path) != 0) {
		mur_error_set(err, SQLSTATE_IO_ERROR, "could not rename \"%s\" to \"%s\": %s",
			      src_path, path, strerror(errno));
		goto done;
	}
	rc = fsync_path(d->path, 1, err);
done:
	pthread_mutex_unlock(&d->mu);
	stor_close(gone);
	return rc;
}
