/*
 * fwal.c — the follower write-ahead log (fwal.h has the record format,
 * the group-commit protocol and the rotation protocol, drawn).
 *
 *   stor_fwal   one per stor_dir while group commit is on: the current
 *               generation's fd, the pending buffer (records appended, not
 *               yet written), the buffer the group leader is writing, the
 *               counters appended / durable, and the checkpointer thread.
 *
 * Invariants (under mu):
 *   durable <= appended; records 1..durable are fdatasynced;
 *   syncing == 1 exactly while one appender (the group leader) or the
 *   rotation owns `writing` and fd outside the mutex;
 *   generations old_lo .. gen-1 are on disk, fully synced, waiting for
 *   their placements to be checkpointed; gen is being appended to.
 *   A placement's records reach the file in LSN order: they are appended
 *   under its placement lock, after its commit.
 *
 * Memory: stor_fwal, its buffers and the per-recovery tables are malloc'd
 * here and freed here (stor_fwal_stop, end of recovery / rotation).
 */
#include "storage/fwal.h"

#include "common/clock.h"
#include "common/crc32.h"
#include "common/log.h"
#include "storage/fwal_ring.h"
#include "storage/replog.h"
#include "storage/storage_int.h"

#include <assert.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

/* Bytes after the file name in an ENTRY_TXN record before its changeset
 * (lsn, entry_id, txn_id, kind): the largest fixed part of a record. */
#define FWAL_ENTRY_TXN_FIXED_BYTES 25
#define FWAL_FIXED_BYTES_MAX FWAL_ENTRY_TXN_FIXED_BYTES

struct stor_fwal {
	stor_dir *dir;
	uint64_t rotate_bytes;
	uint32_t rotate_ms;

	pthread_mutex_t mu;
	pthread_cond_t done_cv; /* a group ended (durable moved, broken, syncing 0) */
	pthread_cond_t ckpt_cv; /* wakes the checkpointer */
	int fd;
	uint64_t gen, old_lo;
	uint64_t file_bytes; /* appended to generation gen */
	char *pending;       /* records appended, not yet written */
	size_t pending_len, pending_cap;
	char *writing; /* the group being written (leader only) */
	size_t writing_cap;
	uint64_t appended, durable;
	int syncing, broken, stopping, rotate_asked;
	stor_fwal_stats stats;
	stor_fwal_stats window; /* since the last summary line */
	uint64_t window_start_ms;

	/* The asynchronous group (fwal_ring.h; stor_fwal_ticket_start): */
	fwal_ring *ring;       /* NULL: every group syncs synchronously */
	int async;             /* syncing is that group's, in the ring */
	int reaping;           /* a thread waits in the ring for its end */
	int async_waiter;      /* the poller waits for it: wake it when another thread ends it */
	int async_failed;      /* a link of the chain failed (or a fault failed it) */
	uint64_t async_seq;    /* the group's number in the ring's tags */
	uint64_t async_before; /* durable when it began */
	uint64_t async_upto;   /* appended when it began: durable when it ends well */
	size_t async_n;        /* its bytes */
	size_t async_len;      /* direct: the write's length (its completion's result) */

	/* Direct writes (below): the file is O_DIRECT|O_DSYNC */
	int dio;
	uint64_t tail_off; /* the block holding the end of what groups wrote */
	size_t tail_len;   /* bytes of it written, kept at dbuf's start */
	char *dbuf;        /* FWAL_BLOCK-aligned: a group's blocks */
	size_t dbuf_cap;

	pthread_mutex_t rot_mu; /* one rotation at a time (thread, tests) */
	pthread_t thread;
	int thread_started;
};

static void put_u32(unsigned char *p, uint32_t v)
{
	p[0] = (unsigned char)(v >> 24), p[1] = (unsigned char)(v >> 16);
	p[2] = (unsigned char)(v >> 8), p[3] = (unsigned char)v;
}

static void put_u64(unsigned char *p, uint64_t v)
{
	put_u32(p, (uint32_t)(v >> 32));
	put_u32(p + 4, (uint32_t)v);
}

static uint32_t get_u32(const unsigned char *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static uint64_t get_u64(const unsigned char *p)
{
	return (uint64_t)get_u32(p) << 32 | get_u32(p + 4);
}

/* 1 unless the variable is set to 0/off/false. */
static int env_on(const char *name)
{
	const char *v = getenv(name);
	return !v || !(strcmp(v, "0") == 0 || strcmp(v, "off") == 0 || strcmp(v, "false") == 0);
}

int stor_fwal_env_enabled(void) { return env_on("MURPHY_GROUP_COMMIT"); }

int stor_fwal_env_uring(void) { return env_on("MURPHY_FWAL_URING"); }

/* ---- files --------------------------------------------------------------- */

static int gen_path(stor_dir *d, uint64_t gen, char *buf, size_t n)
{
	int k = snprintf(buf, n, "%s/" STOR_FWAL_PREFIX "%016" PRIx64, stor_dir_path(d), gen);
	return k < 0 || (size_t)k >= n ? -1 : 0;
}

static int io_error(mur_error *err, const char *what, const char *path)
{
	return mur_error_set(err, SQLSTATE_IO_ERROR, "could not %s \"%s\": %s", what, path,
			     strerror(errno));
}

static int fsync_dir(stor_dir *d, mur_error *err)
{
	int fd = open(stor_dir_path(d), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0 || fsync(fd) != 0) {
		int e = errno;
		if (fd >= 0)
			close(fd);
		errno = e;
		return io_error(err, "fsync directory", stor_dir_path(d));
	}
	close(fd);
	return MUR_OK;
}

/* Create generation file path filled with STOR_FWAL_PREALLOC_BYTES of
 * zeros (fdatasynced), positioned at 0: appends inside it overwrite
 * allocated blocks, so each group's fdatasync flushes data without a
 * file-size (journal) update.  Zeros read as "no record".  -1 on error
 * (errno set). */
static int create_gen_file(const char *path)
{
	static const char zeros[65536];
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0)
		return -1;
	for (size_t done = 0; done < STOR_FWAL_PREALLOC_BYTES; done += sizeof zeros)
		if (write(fd, zeros, sizeof zeros) != (ssize_t)sizeof zeros)
			goto fail;
	if (fdatasync(fd) != 0 || lseek(fd, 0, SEEK_SET) != 0)
		goto fail;
	return fd;
fail:;
	int e = errno;
	close(fd);
	unlink(path);
	errno = e ? e : EIO;
	return -1;
}

static int gen_cmp(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
	return x < y ? -1 : x > y;
}

/* Generations on disk, sorted, into gens[STOR_FWAL_FILES_MAX]. */
static int list_gens(stor_dir *d, uint64_t *gens, size_t *n, mur_error *err)
{
	DIR *dh = opendir(stor_dir_path(d));
	struct dirent *e;
	size_t plen = strlen(STOR_FWAL_PREFIX);
	*n = 0;
	if (!dh)
		return io_error(err, "open directory", stor_dir_path(d));
	while ((e = readdir(dh)) != NULL) {
		char *end;
		if (strncmp(e->d_name, STOR_FWAL_PREFIX, plen) != 0 ||
		    strlen(e->d_name) != plen + 16)
			continue;
		uint64_t g = strtoull(e->d_name + plen, &end, 16);
		if (*end)
			continue;
		if (*n == STOR_FWAL_FILES_MAX) {
			closedir(dh);
			return mur_error_set(err, SQLSTATE_PROGRAM_LIMIT_EXCEEDED,
					     "more than %d follower WAL files in %s",
					     STOR_FWAL_FILES_MAX, stor_dir_path(d));
		}
		gens[(*n)++] = g;
	}
	closedir(dh);
	qsort(gens, *n, sizeof *gens, gen_cmp);
	return MUR_OK;
}

/* ---- reading a generation -------------------------------------------- */

typedef struct fwal_rec {
	int type;
	char file[STOR_FILE_NAME_MAX];
	uint64_t lsn, entry_id; /* UNDO: lsn = target */
	uint64_t txn_id;        /* ENTRY_TXN (ENTRY: 0, data) */
	uint8_t kind;
	const void *cs;
	size_t cs_len;
	uint64_t offset; /* of the record in its file */
} fwal_rec;

/* Called per good record; nonzero stops the scan (returned). */
typedef int (*fwal_rec_fn)(void *arg, const fwal_rec *r);

static int decode(int type, const unsigned char *p, size_t len, fwal_rec *r)
{
	if (len < 1 || (size_t)p[0] + 1 > len || p[0] == 0 || p[0] >= STOR_FILE_NAME_MAX)
		return -1;
	size_t nlen = p[0];
	memcpy(r->file, p + 1, nlen);
	r->file[nlen] = '\0';
	p += 1 + nlen, len -= 1 + nlen;
	r->type = type;
	r->lsn = r->entry_id = r->txn_id = 0;
	r->kind = STOR_ENTRY_DATA;
	r->cs = NULL;
	r->cs_len = 0;
	switch (type) {
	case STOR_FWAL_ENTRY:
		if (len < 16)
			return -1;
		r->lsn = get_u64(p), r->entry_id = get_u64(p + 8);
		r->cs = p + 16, r->cs_len = len - 16;
		return 0;
	case STOR_FWAL_ENTRY_TXN:
		if (len < FWAL_ENTRY_TXN_FIXED_BYTES)
			return -1;
		r->lsn = get_u64(p), r->entry_id = get_u64(p + 8), r->txn_id = get_u64(p + 16);
		r->kind = p[24];
		r->cs = p + FWAL_ENTRY_TXN_FIXED_BYTES,
		r->cs_len = len - FWAL_ENTRY_TXN_FIXED_BYTES;
		return 0;
	case STOR_FWAL_UNDO:
		if (len != 8)
			return -1;
		r->lsn = get_u64(p);
		return 0;
	case STOR_FWAL_RESET:
		return len == 0 ? 0 : -1;
	default:
		return -1;
	}
}

/* Scan file `path` record by record.  *good_end = offset after the last
 * good record, *torn = 1 when bytes after it are not a good record. */
static int scan_file(const char *path, fwal_rec_fn fn, void *arg, uint64_t *good_end, int *torn,
		     mur_error *err)
{
	FILE *f = fopen(path, "rb");
	unsigned char hdr[STOR_FWAL_HEADER_BYTES], *buf = NULL;
	size_t cap = 0;
	int rc = MUR_OK;
	*good_end = 0;
	*torn = 0;
	if (!f)
		return io_error(err, "open", path);
	for (;;) {
		size_t got = fread(hdr, 1, sizeof hdr, f);
		if (got == 0 && feof(f))
			break;
		uint32_t len = got == sizeof hdr ? get_u32(hdr) : 0;
		if (got == sizeof hdr && len == 0 && get_u32(hdr + 4) == 0 && hdr[8] == 0)
			break; /* preallocated zeros: the clean end */
		if (len == 0 || len > STOR_FWAL_RECORD_MAX + 256) {
			*torn = 1;
			break;
		}
		if (len > cap) {
			unsigned char *nb = realloc(buf, len);
			if (!nb) {
				rc = mur_error_set(err, SQLSTATE_OUT_OF_MEMORY, "out of memory");
				break;
			}
			buf = nb, cap = len;
		}
		fwal_rec r;
		if (fread(buf, 1, len, f) != len ||
		    mur_crc32_update(mur_crc32_update(0, hdr + 8, 1), buf, len) !=
			    get_u32(hdr + 4) ||
		    decode(hdr[8], buf, len, &r) != 0) {
			*torn = 1;
			break;
		}
		r.offset = *good_end;
		if (fn(arg, &r) != 0)
			break;
		*good_end += STOR_FWAL_HEADER_BYTES + len;
	}
	if (ferror(f) && rc == MUR_OK)
		rc = io_error(err, "read", path);
	fclose(f);
	free(buf);
	return rc;
}

/* ---- names: small set of placement files -------------------------------- */

typedef struct name_set {
	char (*names)[STOR_FILE_NAME_MAX];
	uint64_t *gen, *off; /* recovery: position of the last RESET (gen 0: none) */
	size_t n, cap;
} name_set;

static ssize_t name_find(const name_set *s, const char *file)
{
	for (size_t i = 0; i < s->n; i++)
		if (strcmp(s->names[i], file) == 0)
			return (ssize_t)i;
	return -1;
}

/* Index of file in s, added when missing; -1 out of memory. */
static ssize_t name_add(name_set *s, const char *file)
{
	ssize_t i = name_find(s, file);
	if (i >= 0)
		return i;
	if (s->n == s->cap) {
		size_t cap = s->cap ? s->cap * 2 : 16;
		void *a = realloc(s->names, cap * sizeof *s->names);
		if (a)
			s->names = a;
		void *b = a ? realloc(s->gen, cap * sizeof *s->gen) : NULL;
		if (b)
			s->gen = b;
		void *c = b ? realloc(s->off, cap * sizeof *s->off) : NULL;
		if (!c)
			return -1;
		s->off = c;
		s->cap = cap;
	}
	snprintf(s->names[s->n], STOR_FILE_NAME_MAX, "%s", file);
	s->gen[s->n] = s->off[s->n] = 0;
	return (ssize_t)s->n++;
}

static void name_free(name_set *s)
{
	free(s->names);
	free(s->gen);
	free(s->off);
	memset(s, 0, sizeof *s);
}

static int collect_name(void *arg, const fwal_rec *r) { return name_add(arg, r->file) < 0; }

/* ---- checkpoint ---------------------------------------------------------- */

/* Make everything committed on placement `file` durable in its own files:
 * wal_checkpoint(FULL); when a reader keeps it from completing, fdatasync
 * the -wal file (its frames are then durable as they are).  A missing
 * placement is fine (dropped).  restore: set the synchronous mode the
 * placement runs with (recovery replays with NORMAL). */
static int checkpoint_file(stor_dir *d, const char *file, int restore, mur_error *err)
{
	stor_db *db;
	int nlog = 0, nckpt = 0, rc = MUR_OK;
	if (!stor_dir_exists(d, file))
		return MUR_OK;
	if (stor_dir_get(d, file, 0, &db, err) != MUR_OK)
		return MUR_ERR;
	if (stor_lock(db, err) != MUR_OK) {
		stor_dir_put(d, db);
		return MUR_OK; /* dropped meanwhile */
	}
	int src = sqlite3_wal_checkpoint_v2(db->db, "main", SQLITE_CHECKPOINT_FULL, &nlog, &nckpt);
	if (src != SQLITE_OK || nlog != nckpt) {
		char wal[STOR_PATH_MAX + 8];
		snprintf(wal, sizeof wal, "%s-wal", db->path);
		int fd = open(wal, O_RDONLY | O_CLOEXEC);
		if (fd >= 0) {
			if (fdatasync(fd) != 0)
				rc = io_error(err, "fdatasync", wal);
			close(fd);
		} else if (errno != ENOENT)
			rc = io_error(err, "open", wal);
	}
	if (restore && stor_db_set_sync(db, db->fwal == NULL, err) != MUR_OK)
		rc = MUR_ERR;
	stor_unlock(db);
	stor_dir_put(d, db);
	return rc;
}

/* ---- recovery ------------------------------------------------------------ */

typedef struct recover_ctx {
	stor_dir *d;
	stor_fwal_recovery *rep;
	name_set resets;  /* last RESET per placement (pass 1) */
	name_set touched; /* placements to checkpoint (pass 2) */
	uint64_t gen;     /* file being scanned */
	int oom;
} recover_ctx;

static int note_reset(void *arg, const fwal_rec *r)
{
	recover_ctx *c = arg;
	if (r->type != STOR_FWAL_RESET)
		return 0;
	ssize_t i = name_add(&c->resets, r->file);
	if (i < 0)
		return c->oom = 1;
	c->resets.gen[i] = c->gen;
	c->resets.off[i] = r->offset;
	return 0;
}

/* Apply one record to its placement (the rules in fwal.h). */
static void replay_one(recover_ctx *c, stor_db *db, const fwal_rec *r)
{
	mur_error err;
	uint64_t cur = stor_lsn(db);
	if (r->type == STOR_FWAL_UNDO) {
		if (cur <= r->lsn) {
			c->rep->skipped++;
			return;
		}
		if (stor_log_undo(db, r->lsn, &err) == MUR_OK)
			c->rep->undone++;
		else {
			c->rep->gaps++;
			MLOG(ERROR, "fwal", "recovery: undo of %s to lsn %" PRIu64 " failed: %s",
			     r->file, r->lsn, err.message);
		}
		return;
	}
	if (r->lsn <= cur) {
		uint64_t held = cur == r->lsn ? stor_entry_id(db) : r->entry_id;
		if (held != r->entry_id)
			MLOG(WARN, "fwal",
			     "recovery: %s holds entry id %" PRIu64 " at lsn %" PRIu64
			     ", the WAL has %" PRIu64,
			     r->file, held, r->lsn, r->entry_id);
		c->rep->skipped++;
		return;
	}
	if (r->lsn > cur + 1) {
		c->rep->gaps++;
		MLOG(ERROR, "fwal",
		     "recovery: %s is at lsn %" PRIu64 ", the WAL's next entry is %" PRIu64
		     ": left for the leader to rebuild",
		     r->file, cur, r->lsn);
		return;
	}
	stor_entry e = {.lsn = r->lsn,
			.entry_id = r->entry_id,
			.txn_id = r->txn_id,
			.kind = r->kind,
			.cs = r->cs,
			.len = r->cs_len};
	if (stor_log_apply(db, &e, &err) == MUR_OK)
		c->rep->applied++;
	else {
		c->rep->gaps++;
		MLOG(ERROR, "fwal", "recovery: applying entry %" PRIu64 " to %s failed: %s", r->lsn,
		     r->file, err.message);
	}
}

static int replay_rec(void *arg, const fwal_rec *r)
{
	recover_ctx *c = arg;
	stor_db *db;
	mur_error err;
	ssize_t i = name_find(&c->resets, r->file);
	c->rep->records++;
	if (i >= 0 && (c->gen < c->resets.gen[i] ||
		       (c->gen == c->resets.gen[i] && r->offset <= c->resets.off[i]))) {
		c->rep->voided++;
		return 0;
	}
	if (r->type == STOR_FWAL_RESET)
		return 0;
	if (!stor_dir_exists(c->d, r->file)) {
		c->rep->missing++;
		return 0;
	}
	if (name_add(&c->touched, r->file) < 0)
		return c->oom = 1;
	if (stor_dir_get(c->d, r->file, 0, &db, &err) != MUR_OK || stor_lock(db, &err) != MUR_OK) {
		c->rep->gaps++;
		MLOG(ERROR, "fwal", "recovery: %s", err.message);
		return 0;
	}
	/* Replay commits without fsync; the checkpoint at the end syncs. */
	if (stor_db_set_sync(db, 0, &err) != MUR_OK)
		MLOG(WARN, "fwal", "recovery: %s", err.message);
	replay_one(c, db, r);
	stor_unlock(db);
	stor_dir_put(c->d, db);
	return 0;
}

/* Scan every generation with fn; truncate torn tails when truncate. */
static int scan_all(recover_ctx *c, const uint64_t *gens, size_t n, fwal_rec_fn fn, int trunc_torn,
		    mur_error *err)
{
	for (size_t k = 0; k < n; k++) {
		char path[STOR_PATH_MAX];
		uint64_t end;
		int torn;
		if (gen_path(c->d, gens[k], path, sizeof path) != 0)
			return mur_error_set(err, SQLSTATE_INVALID_PARAMETER_VALUE,
					     "path too long");
		c->gen = gens[k];
		if (scan_file(path, fn, c, &end, &torn, err) != MUR_OK)
			return MUR_ERR;
		if (c->oom)
			return mur_error_set(err, SQLSTATE_OUT_OF_MEMORY, "out of memory");
		if (trunc_torn && torn) {
			c->rep->torn++;
			MLOG(WARN, "fwal",
			     "recovery: %s ends in a torn record at offset %" PRIu64
			     ": truncated there",
			     path, end);
			if (truncate(path, (off_t)end) != 0)
				return io_error(err, "truncate", path);
		}
	}
	return MUR_OK;
}

/* Replay all generations; *next_gen = the generation to create, *old_lo =
 * the oldest still on disk (== *next_gen when all were removed). */
static int recover(stor_dir *d, stor_fwal_recovery *rep, uint64_t *next_gen, uint64_t *old_lo,
		   mur_error *err)
{
	stor_fwal_recovery dummy;
	recover_ctx c = {.d = d, .rep = rep ? rep : &dummy};
	uint64_t *gens = malloc(STOR_FWAL_FILES_MAX * sizeof *gens);
	size_t n = 0;
	int rc = MUR_ERR, all_synced = 1;
	memset(c.rep, 0, sizeof *c.rep);
	*next_gen = *old_lo = 1;
	if (!gens)
		return mur_error_set(err, SQLSTATE_OUT_OF_MEMORY, "out of memory");
	if (list_gens(d, gens, &n, err) != MUR_OK)
		goto done;
	if (n == 0) {
		rc = MUR_OK;
		goto done;
	}
	c.rep->files = n;
	if (scan_all(&c, gens, n, note_reset, 1, err) != MUR_OK ||
	    scan_all(&c, gens, n, replay_rec, 0, err) != MUR_OK)
		goto done;
	for (size_t i = 0; i < c.touched.n; i++) {
		mur_error e;
		if (checkpoint_file(d, c.touched.names[i], 1, &e) != MUR_OK) {
			MLOG(ERROR, "fwal", "recovery: checkpoint of %s: %s", c.touched.names[i],
			     e.message);
			all_synced = 0;
		}
	}
	*next_gen = gens[n - 1] + 1;
	*old_lo = all_synced ? *next_gen : gens[0];
	for (size_t k = 0; all_synced && k < n; k++) {
		char path[STOR_PATH_MAX];
		if (gen_path(d, gens[k], path, sizeof path) == 0 && unlink(path) != 0 &&
		    errno != ENOENT) {
			io_error(err, "remove", path);
			goto done;
		}
	}
	if (all_synced && fsync_dir(d, err) != MUR_OK)
		goto done;
	MLOG(INFO, "fwal",
	     "recovered %" PRIu64 " file(s), %" PRIu64 " record(s): %" PRIu64 " applied, %" PRIu64
	     " undone, %" PRIu64 " already there, %" PRIu64 " voided, %" PRIu64
	     " of missing placements, %" PRIu64 " left for the leader, %" PRIu64 " torn tail(s)",
	     c.rep->files, c.rep->records, c.rep->applied, c.rep->undone, c.rep->skipped,
	     c.rep->voided, c.rep->missing, c.rep->gaps, c.rep->torn);
	rc = MUR_OK;
done:
	name_free(&c.resets);
	name_free(&c.touched);
	free(gens);
	return rc;
}

int stor_fwal_recover(stor_dir *d, stor_fwal_recovery *rep, mur_error *err)
{
	uint64_t next, lo;
	if (stor_dir_fwal(d))
		return mur_error_set(err, SQLSTATE_INTERNAL_ERROR,
				     "follower WAL recovery while group commit is on");
	return recover(d, rep, &next, &lo, err);
}

/* ---- group commit -------------------------------------------------------- */

static int write_all(int fd, const char *p, size_t n)
{
	while (n > 0) {
		ssize_t k = write(fd, p, n);
		if (k < 0 && errno == EINTR)
			continue;
		if (k <= 0)
			return -1;
		p += k, n -= (size_t)k;
	}
	return 0;
}

/* Fault injection (stor_fwal_fault): process-wide, read by whichever
 * thread leads a group. */
static _Atomic uint32_t fault_sync_delay_ms;
static atomic_int fault_sync_fail;

void stor_fwal_fault(uint32_t delay_ms, int fail_next)
{
	atomic_store(&fault_sync_delay_ms, delay_ms);
	atomic_store(&fault_sync_fail, fail_next ? 1 : 0);
}

/* ---- direct writes ----------------------------------------------------------
 *
 * When the generation file opens O_DIRECT|O_DSYNC (w->dio; not on a file
 * system that refuses it, nor with MURPHY_FWAL_DIRECT=0), a group is
 * written as whole FWAL_BLOCK blocks from the block holding the end of the
 * previous group: that block's bytes already written (kept at dbuf's
 * start), the group's records, zeros to the block's end.  The write is
 * durable when it returns (O_DSYNC; the blocks were written when the file
 * was preallocated, so nothing of the inode changes: a FUA write, or one
 * cache flush), so no fdatasync follows it — and through the io_uring no
 * kernel worker thread runs it (an FSYNC always does: measured, 5.6-5.9
 * context switches per group against 1.1, bench/results/2026-12-08-uring.md).
 * Records stay contiguous in the file (the next group rewrites the partial
 * block with the same bytes at its start: a torn write of it leaves each
 * sector old or new, the same durable records either way) and the zeros
 * after them read as the clean end, as the preallocated ones do.
 */
#define FWAL_BLOCK 4096

/* The owner of the group (syncing): dbuf = the partial block's bytes, the
 * n bytes of buf, zeros to a block boundary; *off, *len: the write.  -1 on
 * ENOMEM. */
static int dio_prepare(stor_fwal *w, const char *buf, size_t n, uint64_t *off, size_t *len)
{
	size_t need = w->tail_len + n;
	size_t total = (need + FWAL_BLOCK - 1) & ~(size_t)(FWAL_BLOCK - 1);
	if (total > w->dbuf_cap) {
		size_t cap = w->dbuf_cap ? w->dbuf_cap : 65536;
		void *nb;
		while (cap < total)
			cap *= 2;
		if (posix_memalign(&nb, FWAL_BLOCK, cap) != 0) {
			errno = ENOMEM;
			return -1;
		}
		if (w->tail_len)
			memcpy(nb, w->dbuf, w->tail_len);
		free(w->dbuf);
		w->dbuf = nb, w->dbuf_cap = cap;
	}
	memcpy(w->dbuf + w->tail_len, buf, n);
	memset(w->dbuf + need, 0, total - need);
	*off = w->tail_off, *len = total;
	return 0;
}

/* The owner, after its group of n bytes was written: the new partial
 * block's bytes move to dbuf's start. */
static void dio_advance(stor_fwal *w, size_t n)
{
	uint64_t end = w->tail_off + w->tail_len + n;
	uint64_t off = end & ~(uint64_t)(FWAL_BLOCK - 1);
	size_t keep = (size_t)(end - off);
	memmove(w->dbuf, w->dbuf + (off - w->tail_off), keep);
	w->tail_off = off, w->tail_len = keep;
}

static int pwrite_all(int fd, const char *p, size_t n, uint64_t off)
{
	while (n > 0) {
		ssize_t k = pwrite(fd, p, n, (off_t)off);
		if (k < 0 && errno == EINTR)
			continue;
		if (k <= 0)
			return -1;
		p += k, n -= (size_t)k, off += (uint64_t)k;
	}
	return 0;
}

/* A new generation's fd, made O_DIRECT|O_DSYNC when the file system
 * allows it (*dio 1; fd is then closed), else fd itself (*dio 0).  Some
 * file systems accept the open and refuse the writes (EINVAL): the first
 * block, zeros, is written once to find out. */
static int gen_fd_direct(int fd, const char *path, int *dio)
{
	void *zeros;
	*dio = 0;
	if (!env_on("MURPHY_FWAL_DIRECT"))
		return fd;
	int d = open(path, O_WRONLY | O_DIRECT | O_DSYNC | O_CLOEXEC);
	if (d < 0)
		return fd;
	if (posix_memalign(&zeros, FWAL_BLOCK, FWAL_BLOCK) != 0) {
		close(d);
		return fd;
	}
	memset(zeros, 0, FWAL_BLOCK);
	int ok = pwrite_all(d, zeros, FWAL_BLOCK, 0) == 0;
	free(zeros);
	if (!ok) {
		MLOG(INFO, "fwal", "%s: O_DIRECT writes refused (%s): write + fdatasync", path,
		     strerror(errno));
		close(d);
		return fd;
	}
	close(fd);
	*dio = 1;
	return d;
}

/* The owner's write + fdatasync of one group (direct: the write alone),
 * slowed or failed as a fault asks. */
static int sync_group(stor_fwal *w, int fd, const char *buf, size_t n)
{
	uint32_t ms = atomic_load(&fault_sync_delay_ms);
	if (ms) {
		struct timespec ts = {.tv_sec = ms / 1000, .tv_nsec = (long)(ms % 1000) * 1000000L};
		while (nanosleep(&ts, &ts) == -1 && errno == EINTR)
			;
	}
	if (atomic_exchange(&fault_sync_fail, 0)) {
		errno = EIO;
		return -1;
	}
	if (w->dio) {
		uint64_t off;
		size_t len;
		return dio_prepare(w, buf, n, &off, &len) == 0 &&
				       pwrite_all(fd, w->dbuf, len, off) == 0
			       ? 0
			       : -1;
	}
	return write_all(fd, buf, n) == 0 && fdatasync(fd) == 0 ? 0 : -1;
}

static void group_end(stor_fwal *w, int ok, int e, uint64_t before, uint64_t upto, size_t n);

/* Under mu with !syncing: write and fdatasync everything pending as one
 * group; returns with mu held. */
static void lead_group(stor_fwal *w)
{
	char *buf = w->pending;
	size_t n = w->pending_len, cap = w->pending_cap;
	uint64_t upto = w->appended, before = w->durable;
	int fd = w->fd;

	assert(!w->syncing && before <= upto);
	w->syncing = 1;
	w->pending = w->writing, w->pending_cap = w->writing_cap, w->pending_len = 0;
	w->writing = buf, w->writing_cap = cap;
	pthread_mutex_unlock(&w->mu);
	int ok = sync_group(w, fd, buf, n) == 0;
	int e = errno;
	pthread_mutex_lock(&w->mu);
	group_end(w, ok, e, before, upto, n);
}

/* Under mu: the group (before, upto] of n bytes ended (ok, or errno e):
 * move durable or break the WAL, wake the waiters. */
static void group_end(stor_fwal *w, int ok, int e, uint64_t before, uint64_t upto, size_t n)
{
	assert(w->syncing == 1 && w->durable == before && upto <= w->appended);
	if (ok) {
		uint64_t k = upto - before;
		if (w->dio)
			dio_advance(w, n);
		w->durable = upto;
		w->stats.records += k, w->window.records += k;
		w->stats.groups++, w->window.groups++;
		w->stats.bytes += n, w->window.bytes += n;
		if (k > w->stats.group_max)
			w->stats.group_max = k;
		if (k > w->window.group_max)
			w->window.group_max = k;
		MLOG(DEBUG, "fwal", "group commit: %" PRIu64 " record(s), %zu bytes, one fdatasync",
		     k, n);
	} else if (!w->broken) {
		w->broken = 1;
		MLOG(ERROR, "fwal",
		     "follower WAL write/fdatasync failed: %s; falling back to "
		     "synchronous=FULL per placement",
		     strerror(e));
	}
	w->syncing = 0;
	pthread_cond_broadcast(&w->done_cv);
}

/* ---- the asynchronous group (io_uring: fwal_ring.h) ----------------------- */

/* Under mu with !syncing, a ring and records pending: submit their write
 * and fdatasync as one group and return without waiting (the group ends
 * in async_cqe).  -1, nothing changed, when the ring refuses it. */
static int start_async(stor_fwal *w)
{
	char *buf = w->pending;
	size_t n = w->pending_len, cap = w->pending_cap;
	uint64_t seq = w->async_seq + 1, off = 0;
	size_t len = n;
	int fail = atomic_load(&fault_sync_fail), rc;
	uint32_t ms = atomic_load(&fault_sync_delay_ms);
	if (fail)
		rc = fwal_ring_submit_nop(w->ring, ms, seq); /* ends the group as failed */
	else if (!w->dio)
		rc = fwal_ring_submit_group(w->ring, w->fd, buf, n, -1, ms, seq);
	else if (dio_prepare(w, buf, n, &off, &len) != 0)
		rc = -ENOMEM;
	else
		rc = fwal_ring_submit_group(w->ring, w->fd, w->dbuf, len, (int64_t)off, ms, seq);
	if (rc < 0) {
		MLOG(WARN, "fwal", "io_uring submit: %s (this group syncs on the thread)",
		     strerror(-rc));
		return -1;
	}
	if (fail)
		atomic_store(&fault_sync_fail, 0);
	assert(!w->syncing && w->durable < w->appended);
	w->syncing = 1, w->async = 1, w->async_failed = fail ? EIO : 0;
	w->async_seq = seq;
	w->async_before = w->durable, w->async_upto = w->appended, w->async_n = n;
	w->async_len = len;
	w->pending = w->writing, w->pending_cap = w->writing_cap, w->pending_len = 0;
	w->writing = buf, w->writing_cap = cap;
	w->stats.async_groups++;
	return 0;
}

/* Under mu, by the one thread reading the ring: a completion.  Only a
 * failed link, the chain's END and the fault's NOP concern the group. */
static void async_cqe(stor_fwal *w, uint64_t tag, int32_t res)
{
	int kind = FWAL_RING_KIND(tag);
	if (!w->async || FWAL_RING_SEQ(tag) != w->async_seq || kind == FWAL_RING_TIMEOUT)
		return;                /* a wake-up NOP, or the fault's delay */
	if (kind == FWAL_RING_WRITE) { /* posted only when it failed or was short */
		if (!w->async_failed)
			w->async_failed = res < 0 ? -res : EIO;
		return;
	}
	int e = w->async_failed ? w->async_failed : res < 0 ? -res : 0;
	int ok = e == 0 && kind == FWAL_RING_END &&
		 (w->dio ? (size_t)res == w->async_len : res == 0);
	w->async = 0;
	group_end(w, ok, e ? e : EIO, w->async_before, w->async_upto, w->async_n);
}

/* Under mu with async and !reaping: wait in the ring until the group ends
 * (another thread than the poller needs it: a pool thread's append, the
 * rotation, the close); returns with mu held.  Wakes the poller, which
 * may wait for that group too, with a NOP. */
static void reap_blocking(stor_fwal *w)
{
	w->reaping = 1;
	while (w->async) {
		uint64_t tag;
		int32_t res;
		pthread_mutex_unlock(&w->mu);
		int k = fwal_ring_next(w->ring, 1, &tag, &res);
		pthread_mutex_lock(&w->mu);
		if (k < 0) { /* the ring itself failed: the group's outcome is unknown */
			w->async = 0;
			group_end(w, 0, -k, w->async_before, w->async_upto, w->async_n);
		} else if (k == 1) {
			async_cqe(w, tag, res);
		}
	}
	w->reaping = 0;
	if (w->async_waiter) {
		w->async_waiter = 0;
		(void)fwal_ring_submit_nop(w->ring, 0, 0);
	}
	pthread_cond_broadcast(&w->done_cv);
}

/* Under mu: wait until no group is syncing. */
static void wait_idle(stor_fwal *w)
{
	while (w->syncing) {
		if (w->async && !w->reaping)
			reap_blocking(w);
		else
			pthread_cond_wait(&w->done_cv, &w->mu);
	}
}

/* This thread's deferred batch (stor_fwal_defer_begin): the WAL and the
 * last record it appended there, to wait for at defer_end. */
static __thread struct {
	int on;
	stor_fwal *w;
	uint64_t upto;
} defer;

/* Under mu: wait until record `my` is durable, leading groups as needed. */
static void wait_durable(stor_fwal *w, uint64_t my)
{
	assert(my <= w->appended);
	while (w->durable < my && !w->broken) {
		if (w->async && !w->reaping)
			reap_blocking(w);
		else if (w->syncing)
			pthread_cond_wait(&w->done_cv, &w->mu);
		else
			lead_group(w);
	}
}

/* Append one record and wait until it is durable (in a deferred batch:
 * note it for defer_end instead).  fixed: the bytes after the file name
 * (lsn, entry_id [, txn_id, kind] / target), then cs. */
static int fwal_append(stor_fwal *w, int type, const char *file, const unsigned char *fixed,
		       size_t fixed_len, const void *cs, size_t cs_len, mur_error *err)
{
	unsigned char head[STOR_FWAL_HEADER_BYTES + 1 + STOR_FILE_NAME_MAX + FWAL_FIXED_BYTES_MAX];
	size_t nlen = strlen(file), hlen = STOR_FWAL_HEADER_BYTES + 1 + nlen + fixed_len;
	size_t plen = 1 + nlen + fixed_len + cs_len, total = STOR_FWAL_HEADER_BYTES + plen;
	int rc = MUR_OK;

	assert(nlen > 0 && nlen < STOR_FILE_NAME_MAX && fixed_len <= FWAL_FIXED_BYTES_MAX);
	put_u32(head, (uint32_t)plen);
	head[8] = (unsigned char)type;
	head[9] = (unsigned char)nlen;
	memcpy(head + 10, file, nlen);
	if (fixed_len)
		memcpy(head + 10 + nlen, fixed, fixed_len);
	uint32_t crc = mur_crc32_update(0, head + 8, hlen - 8);
	put_u32(head + 4, cs_len ? mur_crc32_update(crc, cs, cs_len) : crc);

	pthread_mutex_lock(&w->mu);
	if (w->broken) {
		rc = mur_error_set(err, SQLSTATE_IO_ERROR, "the follower WAL failed earlier");
		goto out;
	}
	if (w->pending_len + total > w->pending_cap) {
		size_t cap = w->pending_cap ? w->pending_cap : 65536;
		while (cap < w->pending_len + total)
			cap *= 2;
		char *nb = realloc(w->pending, cap);
		if (!nb) {
			rc = mur_error_set(err, SQLSTATE_OUT_OF_MEMORY, "out of memory");
			goto out;
		}
		w->pending = nb, w->pending_cap = cap;
	}
	memcpy(w->pending + w->pending_len, head, hlen);
	if (cs_len)
		memcpy(w->pending + w->pending_len + hlen, cs, cs_len);
	w->pending_len += total;
	w->file_bytes += total;
	uint64_t my = ++w->appended;
	int deferred = defer.on && type != STOR_FWAL_RESET; /* RESET is always waited for */
	if (deferred) {
		defer.w = w;
		defer.upto = my;
	} else {
		wait_durable(w, my);
	}
	if (!deferred && w->durable < my)
		rc = mur_error_set(err, SQLSTATE_IO_ERROR,
				   "could not make entry durable: the follower WAL failed");
	if (w->file_bytes >= w->rotate_bytes && !w->rotate_asked) {
		/* past it, appends extend the file: each fsync updates its size */
		w->rotate_asked = 1;
		pthread_cond_signal(&w->ckpt_cv);
	}
out:
	pthread_mutex_unlock(&w->mu);
	return rc;
}

void stor_fwal_defer_begin(void)
{
	defer.on = 1;
	defer.w = NULL;
	defer.upto = 0;
}

void stor_fwal_defer_take(stor_fwal_ticket *t)
{
	t->w = defer.w;
	t->upto = defer.upto;
	defer.on = 0;
	defer.w = NULL;
}

int stor_fwal_ticket_wait(const stor_fwal_ticket *t, mur_error *err)
{
	stor_fwal *w = t->w;
	int rc = MUR_OK;
	if (!w)
		return MUR_OK;
	pthread_mutex_lock(&w->mu);
	wait_durable(w, t->upto);
	if (w->durable < t->upto)
		rc = mur_error_set(err, SQLSTATE_IO_ERROR,
				   "could not make entries durable: the follower WAL failed");
	pthread_mutex_unlock(&w->mu);
	return rc;
}

int stor_fwal_ticket_start(const stor_fwal_ticket *t, uint64_t *durable, mur_error *err)
{
	stor_fwal *w = t->w;
	int rc;
	if (!w) {
		*durable = t->upto;
		return MUR_OK;
	}
	pthread_mutex_lock(&w->mu);
	for (;;) {
		if (w->durable >= t->upto) {
			rc = MUR_OK;
			break;
		}
		if (w->broken) {
			rc = mur_error_set(err, SQLSTATE_IO_ERROR,
					   "could not make entries durable: the follower WAL "
					   "failed");
			break;
		}
		if (w->async) { /* its completion, or the reaper's NOP, wakes the poller */
			w->async_waiter = 1;
			rc = MUR_EAGAIN;
			break;
		}
		if (w->syncing) /* another thread's synchronous group */
			pthread_cond_wait(&w->done_cv, &w->mu);
		else if (!w->ring || start_async(w) != 0)
			lead_group(w);
	}
	*durable = w->durable;
	pthread_mutex_unlock(&w->mu);
	return rc;
}

int stor_fwal_async_fd(stor_dir *d)
{
	stor_fwal *w = stor_dir_fwal(d);
	return w && w->ring ? fwal_ring_fd(w->ring) : -1;
}

void stor_fwal_async_reap(stor_dir *d)
{
	stor_fwal *w = stor_dir_fwal(d);
	uint64_t tag;
	int32_t res;
	if (!w || !w->ring)
		return;
	pthread_mutex_lock(&w->mu);
	if (!w->reaping) /* else that thread reads the ring, and wakes us after */
		while (fwal_ring_next(w->ring, 0, &tag, &res) == 1)
			async_cqe(w, tag, res);
	pthread_mutex_unlock(&w->mu);
}

int stor_fwal_defer_end(mur_error *err)
{
	stor_fwal_ticket t;
	stor_fwal_defer_take(&t);
	return stor_fwal_ticket_wait(&t, err);
}

static int fwal_broken(stor_fwal *w)
{
	pthread_mutex_lock(&w->mu);
	int b = w->broken;
	pthread_mutex_unlock(&w->mu);
	return b;
}

int stor_fwal_on(stor_dir *d)
{
	stor_fwal *w = stor_dir_fwal(d);
	return w && !fwal_broken(w);
}

int stor_fwal_prepare_commit(stor_db *db, int logged, size_t cs_len, mur_error *err)
{
	db->fwal_log = 0;
	if (!db->fwal)
		return MUR_OK;
	if (logged && cs_len <= STOR_FWAL_LOGGED_BYTES_MAX && !fwal_broken(db->fwal)) {
		db->fwal_log = 1;
		return MUR_OK;
	}
	db->strict = 1; /* stor_commit fdatasyncs the -wal file */
	return MUR_OK;
}

/* A record of db's open batch transaction, kept in db->batch.recs until
 * its COMMIT: u8 type | u8 fixed_len | fixed | u32 len | changeset. */
static int queue_record(stor_db *db, int type, const unsigned char *fixed, size_t fixed_len,
			const void *cs, size_t len, mur_error *err)
{
	mur_buf *b = &db->batch.recs;
	mur_buf_put_u8(b, (uint8_t)type);
	mur_buf_put_u8(b, (uint8_t)fixed_len);
	mur_buf_put(b, fixed, fixed_len);
	mur_buf_put_u32(b, (uint32_t)len);
	if (len)
		mur_buf_put(b, cs, len);
	if (!mur_buf_ok(b))
		return mur_error_set(err, SQLSTATE_OUT_OF_MEMORY, "out of memory");
	return MUR_OK;
}

int stor_fwal_log_entry(stor_db *db, const stor_entry *e, mur_error *err)
{
	unsigned char fixed[FWAL_ENTRY_TXN_FIXED_BYTES];
	if (!db->fwal_log || !db->fwal)
		return MUR_OK;
	db->fwal_log = 0;
	STOR_ASSERT_LOCKED(db);    /* a placement's records go in its LSN order: */
	assert(e->lsn == db->lsn); /* appended under its lock, after its commit */
	put_u64(fixed, e->lsn);
	put_u64(fixed + 8, e->entry_id);
	int type = STOR_FWAL_ENTRY; /* autocommit: the short record */
	size_t fixed_len = 16;
	if (e->txn_id != 0 || e->kind != STOR_ENTRY_DATA) {
		put_u64(fixed + 16, e->txn_id);
		fixed[24] = e->kind;
		type = STOR_FWAL_ENTRY_TXN;
		fixed_len = sizeof fixed;
	}
	if (db->batch.open) /* appended after the batch's COMMIT (batch_txn.c) */
		return queue_record(db, type, fixed, fixed_len, e->cs, e->len, err);
	return fwal_append(db->fwal, type, db->file, fixed, fixed_len, e->cs, e->len, err);
}

int stor_fwal_log_queued(stor_db *db, mur_error *err)
{
	mur_rd rd;
	int rc = MUR_OK;
	mur_rd_init(&rd, db->batch.recs.data, db->batch.recs.len);
	while (rc == MUR_OK && mur_rd_left(&rd) > 0) {
		uint8_t type = mur_rd_u8(&rd), fixed_len = mur_rd_u8(&rd);
		const unsigned char *fixed = (const unsigned char *)mur_rd_bytes(&rd, fixed_len);
		uint32_t len = mur_rd_u32(&rd);
		const void *cs = mur_rd_bytes(&rd, len);
		assert(mur_rd_ok(&rd) && db->fwal);
		rc = fwal_append(db->fwal, type, db->file, fixed, fixed_len, cs, len, err);
	}
	mur_buf_reset(&db->batch.recs);
	return rc;
}

int stor_fwal_log_undo(stor_db *db, uint64_t target, mur_error *err)
{
	unsigned char fixed[8];
	if (!db->fwal_log || !db->fwal)
		return MUR_OK;
	db->fwal_log = 0;
	STOR_ASSERT_LOCKED(db);
	assert(target == db->lsn);
	put_u64(fixed, target);
	return fwal_append(db->fwal, STOR_FWAL_UNDO, db->file, fixed, 8, NULL, 0, err);
}

int stor_fwal_log_reset(stor_dir *d, const char *file, mur_error *err)
{
	stor_fwal *w = stor_dir_fwal(d);
	if (!w || fwal_broken(w))
		return MUR_OK;
	return fwal_append(w, STOR_FWAL_RESET, file, NULL, 0, NULL, 0, err);
}

/* ---- rotation and the checkpointer ---------------------------------------- */

/* Checkpoint the placements of generation g (on disk, complete), then
 * remove it.  MUR_ERR keeps the file. */
static int retire_gen(stor_fwal *w, uint64_t g, mur_error *err)
{
	char path[STOR_PATH_MAX];
	name_set names = {0};
	uint64_t end;
	int torn, rc = MUR_ERR;
	if (gen_path(w->dir, g, path, sizeof path) != 0)
		return mur_error_set(err, SQLSTATE_INVALID_PARAMETER_VALUE, "path too long");
	if (scan_file(path, collect_name, &names, &end, &torn, err) != MUR_OK)
		goto done;
	for (size_t i = 0; i < names.n; i++)
		if (checkpoint_file(w->dir, names.names[i], 0, err) != MUR_OK)
			goto done;
	if (unlink(path) != 0 && errno != ENOENT) {
		io_error(err, "remove", path);
		goto done;
	}
	rc = fsync_dir(w->dir, err);
	MLOG(DEBUG, "fwal", "retired %s: %zu placement(s) checkpointed", path, names.n);
done:
	name_free(&names);
	return rc;
}

/* The rotation protocol of fwal.h.  Runs on the checkpointer thread (or a
 * test), never on a thread holding a placement lock. */
static int rotate_locked(stor_fwal *w, mur_error *err)
{
	char path[STOR_PATH_MAX];
	pthread_mutex_lock(&w->mu);
	uint64_t next = w->gen + 1;
	int swap = w->file_bytes > 0 && !w->broken;
	pthread_mutex_unlock(&w->mu);
	if (swap) {
		if (gen_path(w->dir, next, path, sizeof path) != 0)
			return mur_error_set(err, SQLSTATE_INVALID_PARAMETER_VALUE,
					     "path too long");
		int dio, fd = create_gen_file(path);
		if (fd < 0)
			return io_error(err, "create", path);
		fd = gen_fd_direct(fd, path, &dio);
		if (fsync_dir(w->dir, err) != MUR_OK) {
			close(fd);
			unlink(path);
			return MUR_ERR;
		}
		pthread_mutex_lock(&w->mu);
		wait_idle(w);
		int old = w->fd;
		assert(!w->syncing && w->gen + 1 == next && w->old_lo <= next);
		w->fd = fd;
		w->dio = dio, w->tail_off = 0, w->tail_len = 0;
		w->gen = next;
		w->file_bytes = 0;
		w->rotate_asked = 0;
		pthread_mutex_unlock(&w->mu);
		close(old); /* everything written to it was fdatasynced by its group */
	}
	for (;;) {
		pthread_mutex_lock(&w->mu);
		uint64_t g = w->old_lo, cur = w->gen;
		pthread_mutex_unlock(&w->mu);
		if (g >= cur)
			return MUR_OK;
		if (retire_gen(w, g, err) != MUR_OK)
			return MUR_ERR;
		pthread_mutex_lock(&w->mu);
		assert(w->old_lo == g && g < w->gen); /* rot_mu: no other rotation */
		w->old_lo = g + 1;
		w->stats.rotations++;
		pthread_mutex_unlock(&w->mu);
	}
}

static int rotate(stor_fwal *w, mur_error *err)
{
	pthread_mutex_lock(&w->rot_mu);
	int rc = rotate_locked(w, err);
	pthread_mutex_unlock(&w->rot_mu);
	return rc;
}

static void log_summary(stor_fwal *w, uint64_t now)
{
	pthread_mutex_lock(&w->mu);
	stor_fwal_stats s = w->window;
	uint64_t ms = now - w->window_start_ms;
	memset(&w->window, 0, sizeof w->window);
	w->window_start_ms = now;
	pthread_mutex_unlock(&w->mu);
	if (s.groups)
		MLOG(INFO, "fwal",
		     "group commit: %" PRIu64 " records in %" PRIu64
		     " fdatasyncs (%.2f per fsync, largest group %" PRIu64 ") over %.1f s",
		     s.records, s.groups, (double)s.records / (double)s.groups, s.group_max,
		     (double)ms / 1000.0);
}

static void *ckpt_main(void *arg)
{
	stor_fwal *w = arg;
	pthread_mutex_lock(&w->mu);
	while (!w->stopping) {
		/* Read directly, not through common/clock.h: the wait's deadline
		 * is an absolute time on the condition variable's own clock
		 * (CLOCK_MONOTONIC, set in stor_fwal_start), which a test's clock
		 * source must not replace. */
		struct timespec ts;
		clock_gettime(CLOCK_MONOTONIC, &ts);
		ts.tv_sec += w->rotate_ms / 1000;
		ts.tv_nsec += (long)(w->rotate_ms % 1000) * 1000000L;
		if (ts.tv_nsec >= 1000000000L)
			ts.tv_sec++, ts.tv_nsec -= 1000000000L;
		while (!w->stopping && !w->rotate_asked)
			if (pthread_cond_timedwait(&w->ckpt_cv, &w->mu, &ts) == ETIMEDOUT)
				break;
		if (w->stopping)
			break;
		pthread_mutex_unlock(&w->mu);
		mur_error err;
		if (rotate(w, &err) != MUR_OK)
			MLOG(WARN, "fwal", "rotation: %s (retrying later)", err.message);
		uint64_t now = mur_now_ms();
		if (now - w->window_start_ms >= STOR_FWAL_STATS_MS)
			log_summary(w, now);
		pthread_mutex_lock(&w->mu);
	}
	pthread_mutex_unlock(&w->mu);
	return NULL;
}

/* ---- start / stop ------------------------------------------------------------ */

static void fwal_free(stor_fwal *w)
{
	fwal_ring_close(w->ring);
	if (w->fd >= 0)
		close(w->fd);
	pthread_cond_destroy(&w->done_cv);
	pthread_cond_destroy(&w->ckpt_cv);
	pthread_mutex_destroy(&w->mu);
	pthread_mutex_destroy(&w->rot_mu);
	free(w->pending);
	free(w->writing);
	free(w->dbuf);
	free(w);
}

int stor_fwal_start(stor_dir *d, const stor_fwal_opts *opts, stor_fwal_recovery *rep,
		    mur_error *err)
{
	char path[STOR_PATH_MAX];
	pthread_condattr_t ca;
	uint64_t next, lo;
	if (stor_fwal_recover(d, rep, err) != MUR_OK)
		return MUR_ERR;
	/* recover() again only to learn next/lo is wasteful: list instead */
	uint64_t *gens = malloc(STOR_FWAL_FILES_MAX * sizeof *gens);
	size_t n = 0;
	if (!gens)
		return mur_error_set(err, SQLSTATE_OUT_OF_MEMORY, "out of memory");
	if (list_gens(d, gens, &n, err) != MUR_OK) {
		free(gens);
		return MUR_ERR;
	}
	next = n ? gens[n - 1] + 1 : 1;
	lo = n ? gens[0] : next;
	free(gens);

	stor_fwal *w = calloc(1, sizeof *w);
	if (!w)
		return mur_error_set(err, SQLSTATE_OUT_OF_MEMORY, "out of memory");
	w->dir = d;
	w->rotate_bytes = opts && opts->rotate_bytes ? opts->rotate_bytes : STOR_FWAL_ROTATE_BYTES;
	if (w->rotate_bytes > STOR_FWAL_PREALLOC_BYTES)
		w->rotate_bytes = STOR_FWAL_PREALLOC_BYTES;
	w->rotate_ms = opts && opts->rotate_ms ? opts->rotate_ms : STOR_FWAL_ROTATE_MS;
	w->gen = next;
	w->old_lo = lo;
	w->window_start_ms = mur_now_ms();
	pthread_mutex_init(&w->mu, NULL);
	pthread_mutex_init(&w->rot_mu, NULL);
	pthread_cond_init(&w->done_cv, NULL);
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&w->ckpt_cv, &ca);
	pthread_condattr_destroy(&ca);
	w->fd = -1;
	if (gen_path(d, next, path, sizeof path) != 0) {
		fwal_free(w);
		return mur_error_set(err, SQLSTATE_INVALID_PARAMETER_VALUE, "path too long");
	}
	w->fd = create_gen_file(path);
	if (w->fd < 0) {
		io_error(err, "create", path);
		fwal_free(w);
		return MUR_ERR;
	}
	w->fd = gen_fd_direct(w->fd, path, &w->dio);
	if (fsync_dir(d, err) != MUR_OK) {
		fwal_free(w);
		return MUR_ERR;
	}
	if (stor_fwal_env_uring()) {
		w->ring = fwal_ring_open();
		if (!w->ring)
			MLOG(INFO, "fwal", "io_uring unavailable (%s): groups sync on the thread",
			     strerror(errno));
	}
	if (pthread_create(&w->thread, NULL, ckpt_main, w) != 0) {
		fwal_free(w);
		return mur_error_set(err, SQLSTATE_INSUFFICIENT_RESOURCES,
				     "cannot start the follower WAL checkpointer");
	}
	w->thread_started = 1;
	stor_dir_attach_fwal(d, w);
	MLOG(INFO, "fwal", "group commit on: %s (rotate at %" PRIu64 " KiB or every %u ms, %s %s)",
	     path, w->rotate_bytes >> 10, w->rotate_ms, w->ring ? "io_uring" : "synchronous",
	     w->dio ? "O_DIRECT|O_DSYNC writes" : "write + fdatasync");
	return MUR_OK;
}

void stor_fwal_stop(stor_dir *d)
{
	stor_fwal *w = stor_dir_fwal(d);
	if (!w)
		return;
	stor_dir_attach_fwal(d, NULL);
	pthread_mutex_lock(&w->mu);
	wait_idle(w); /* an asynchronous group still owns fd and `writing` */
	w->stopping = 1;
	pthread_cond_signal(&w->ckpt_cv);
	pthread_mutex_unlock(&w->mu);
	if (w->thread_started)
		pthread_join(w->thread, NULL);
	log_summary(w, mur_now_ms());
	fwal_free(w);
}

int stor_fwal_rotate(stor_dir *d, mur_error *err)
{
	stor_fwal *w = stor_dir_fwal(d);
	return w ? rotate(w, err) : MUR_OK;
}

void stor_fwal_get_stats(stor_dir *d, stor_fwal_stats *out)
{
	stor_fwal *w = stor_dir_fwal(d);
	memset(out, 0, sizeof *out);
	if (!w)
		return;
	pthread_mutex_lock(&w->mu);
	*out = w->stats;
	pthread_mutex_unlock(&w->mu);
}
