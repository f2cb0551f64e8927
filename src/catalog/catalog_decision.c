/*
 * catalog_decision.c — multi-shard decisions made durable in a small
 * preallocated log, and the txn_outcomes rows filled from it through a
 * second connection to the catalog file.
 *
 * Why: a multi-shard COMMIT's decision must be durable before its first
 * marker (docs/transactions.md, "Recorded decisions").  As a
 * synchronous=FULL SQLite commit it cost ~0.5 ms (the table's and the
 * index's pages into the WAL, its fsync, the locks) on TPC-B's critical
 * path.  The leader's decision writer (leader/lead_decide.c) calls
 * cat_decisions_put with every decision of a loop turn: here a group costs
 * one write of its slots to a preallocated file, durable when it returns
 * (~0.2 ms on this disk; no size change, so no metadata journal): a
 * pwritev2 with RWF_DSYNC, the write and its sync in one system call
 * (pwrite + fdatasync where the flag is unsupported).  The rows reach
 * txn_outcomes later, many at once, in a synchronous=NORMAL SQLite
 * transaction (no fsync) of the catalog's own connection (the file is held
 * in locking_mode=EXCLUSIVE: no second connection could write it), which
 * goes back to synchronous=FULL right after: cat_decisions_flush, which every reader of the
 * table in catalog_store.c calls first (the trim reads it every tick), so
 * nobody reading through this catalog misses a durable decision.
 *
 * Outcome rows (cat_outcomes_put: a parallel commit's row, which nothing
 * waits for; docs/transactions.md, "A parallel commit's outcome row")
 * are written to the next slots with a plain pwrite and no sync: in the
 * page cache they survive a leader *process* that dies (cat_open replays
 * them), and they are made durable by the next sync that comes anyway —
 * the next durable group's write covers them (one RWF_DSYNC write from the
 * first unsynced slot through its own), the wrap's FULL commit, the
 * writer's periodic cat_decisions_sync (the leader's decision writer, a
 * few tens of ms later), or its close.  Only a *machine* crash in between
 * loses them: what the restart does then is in the doc.
 *
 * The log, <catalog>-decisions: CAT_DLOG_SLOTS slots of CAT_DLOG_SLOT_BYTES,
 * zero-filled and synced when the writer opens it.  Slot (little-endian):
 *     u32 magic "MDL1" | u32 crc32 of bytes 8..SLOT_BYTES | u64 txid
 *     | i64 decided_ms | u16 plen | participants (plen bytes) | zeros
 * A zero, torn or stale-from-an-older-round slot is either invalid (crc)
 * or a decision that is already durable in SQLite: replaying it again is
 * harmless (INSERT OR REPLACE of the same 'committed' row; one the trim
 * had deleted comes back and is trimmed again: every copy is past it).
 *
 * Invariants:
 *   1. A decision is durable once cat_decisions_put returned MUR_OK: in
 *      the log (slots 0..synced-1 of this round, written durably), or in SQLite
 *      by a synchronous=FULL commit (the round's wrap, a broken log).
 *      An outcome row (cat_outcomes_put) is in slots synced..next-1
 *      until then: written, not synced; never zeroed while only there (a
 *      broken log puts those rows in SQLite, FULL, first).
 *   2. Every decision of a round is durable in SQLite before the round's
 *      slots are overwritten: the wrap (the group that does not fit)
 *      writes the round's rows and its own in one synchronous=FULL
 *      transaction, then starts the next round at slot 0.
 *   3. cat_open replays the log (cat_decision_log_replay) into txn_outcomes
 *      (synchronous=FULL) before anything reads the table; the writer's
 *      open then zeroes it.
 *   4. Reads of txn_outcomes through the catalog see every decision
 *      cat_decisions_put made durable (cat_decisions_flush first).
 * The NORMAL commits are for visibility only: after a crash their rows
 * may be gone from SQLite, never from the log (1) or SQLite (2).  A
 * checkpoint syncs the WAL first (SQLite does so at every synchronous
 * level in WAL mode), so no NORMAL commit reaches the database file
 * unsynced.
 *
 * A failed durable write of the log breaks it (an fsync error cannot
 * be retried safely; the slots are zeroed, best effort): the group fails
 * (58030: the commits are undone) and later groups commit FULL in SQLite,
 * as before the log.
 *
 * Memory: cat_decision_writer_open allocates the writer with the log's
 * image (CAT_DLOG_SLOTS * CAT_DLOG_SLOT_BYTES), cat_decision_writer_close
 * frees it and its statement (the connection is the catalog's).
 */
#include "catalog/catalog_int.h"

#include "common/crc32.h"
#include "common/log.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/uio.h>
#include <unistd.h>

/* A slot holds one decision: the fixed part and the participants list
 * (CAT_DECISION_PARTS_BYTES at most), rounded up. */
#define CAT_DLOG_SLOT_BYTES 1024
#define CAT_DLOG_FIXED_BYTES 26 /* magic, crc, txid, decided_ms, plen */
/* Slots in the log: a round holds this many decisions before the wrap's
 * FULL SQLite commit (1 MiB; at 500 decisions/s, one wrap each ~2 s). */
#define CAT_DLOG_SLOTS 1024
#define CAT_DLOG_BYTES ((size_t)CAT_DLOG_SLOTS * CAT_DLOG_SLOT_BYTES)
#define CAT_DLOG_MAGIC 0x314c444du /* "MDL1" little-endian */
#define CAT_DLOG_SUFFIX "-decisions"

_Static_assert(CAT_DLOG_FIXED_BYTES + CAT_DECISION_PARTS_BYTES <= CAT_DLOG_SLOT_BYTES,
	       "a slot holds the longest participants list");

struct cat_decision_writer {
	sqlite3 *db; /* NULL: a memory-only catalog, nothing is kept */
	sqlite3_stmt *put;
	int fd;              /* the log; -1: none (memory-only) or broken */
	int next;            /* the next free slot of this round */
	int synced;          /* slots 0..synced-1 are durable; synced..next-1 only written */
	unsigned char *log;  /* the log's image: slots 0..next-1 are this round's */
	cat_decision *round; /* the round's decisions (the wrap writes them) */
	int shown;           /* round[0..shown) are in txn_outcomes; the rest only in the log */
	catalog *cat;        /* whose readers flush (cat_decisions_flush) */
	int full;            /* the connection's synchronous is FULL (else NORMAL) */
};

static void put_u16(unsigned char *p, uint16_t v)
{
	p[0] = (unsigned char)v, p[1] = (unsigned char)(v >> 8);
}
static void put_u32(unsigned char *p, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		p[i] = (unsigned char)(v >> (8 * i));
}
static void put_u64(unsigned char *p, uint64_t v)
{
	for (int i = 0; i < 8; i++)
		p[i] = (unsigned char)(v >> (8 * i));
}
static uint64_t get_u(const unsigned char *p, int n)
{
	uint64_t v = 0;
	for (int i = n - 1; i >= 0; i--)
		v = v << 8 | p[i];
	return v;
}

/* The log's path for the catalog file at path; MUR_ERR when too long. */
static int log_path(const char *path, char *out, size_t n)
{
	return snprintf(out, n, "%s%s", path, CAT_DLOG_SUFFIX) < (int)n ? MUR_OK : MUR_ERR;
}

static void slot_fill(unsigned char *s, const cat_decision *d)
{
	size_t plen = strnlen(d->participants, CAT_DECISION_PARTS_BYTES - 1);
	memset(s, 0, CAT_DLOG_SLOT_BYTES);
	put_u32(s, CAT_DLOG_MAGIC);
	put_u64(s + 8, d->txid);
	put_u64(s + 16, (uint64_t)d->decided_ms);
	put_u16(s + 24, (uint16_t)plen);
	memcpy(s + CAT_DLOG_FIXED_BYTES, d->participants, plen);
	put_u32(s + 4, mur_crc32_update(0, s + 8, CAT_DLOG_SLOT_BYTES - 8));
}

/* 1 and *d filled when slot s holds a decision. */
static int slot_read(const unsigned char *s, cat_decision *d)
{
	size_t plen = (size_t)get_u(s + 24, 2);
	if (get_u(s, 4) != CAT_DLOG_MAGIC ||
	    get_u(s + 4, 4) != mur_crc32_update(0, s + 8, CAT_DLOG_SLOT_BYTES - 8) ||
	    plen >= CAT_DECISION_PARTS_BYTES)
		return 0;
	d->txid = get_u(s + 8, 8);
	d->decided_ms = (int64_t)get_u(s + 16, 8);
	memcpy(d->participants, s + CAT_DLOG_FIXED_BYTES, plen);
	d->participants[plen] = '\0';
	return 1;
}

/* ---- SQLite side ---- */

static int db_error(sqlite3 *db, mur_error *err, const char *what)
{
	return mur_error_set(err, SQLSTATE_IO_ERROR, "catalog decisions: %s: %s", what,
			     db ? sqlite3_errmsg(db) : "no connection");
}

static int put_row(sqlite3 *db, sqlite3_stmt *put, const cat_decision *d, mur_error *err)
{
	int rc;
	sqlite3_bind_int64(put, 1, (int64_t)d->txid);
	sqlite3_bind_text(put, 2, "committed", -1, SQLITE_STATIC);
	sqlite3_bind_text(put, 3, d->participants, -1, SQLITE_STATIC);
	sqlite3_bind_int64(put, 4, d->decided_ms);
	rc = sqlite3_step(put);
	sqlite3_reset(put);
	sqlite3_clear_bindings(put);
	return rc == SQLITE_DONE ? MUR_OK : db_error(db, err, "write");
}

/* a[0..na) and b[0..nb) as rows, in one transaction, with the
 * connection's synchronous setting. */
static int put_rows(sqlite3 *db, sqlite3_stmt *put, const cat_decision *a, int na,
		    const cat_decision *b, int nb, mur_error *err)
{
	if (sqlite3_exec(db, "BEGIN IMMEDIATE", NULL, NULL, NULL) != SQLITE_OK)
		return db_error(db, err, "begin");
	for (int i = 0; i < na + nb; i++)
		if (put_row(db, put, i < na ? &a[i] : &b[i - na], err) != MUR_OK)
			goto err_after_begin;
	if (sqlite3_exec(db, "COMMIT", NULL, NULL, NULL) != SQLITE_OK) {
		db_error(db, err, "commit");
		goto err_after_begin;
	}
	return MUR_OK;
err_after_begin:
	sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
	return MUR_ERR;
}

static int prepare_put(sqlite3 *db, sqlite3_stmt **put, mur_error *err)
{
	if (sqlite3_prepare_v2(db, "INSERT OR REPLACE INTO txn_outcomes VALUES (?,?,?,?)", -1, put,
			       NULL) != SQLITE_OK)
		return db_error(db, err, "prepare");
	return MUR_OK;
}

/* The catalog's connection synchronous=FULL (full: its resting state,
 * every other catalog write relies on it) or NORMAL (a flush's rows). */
static int set_full(cat_decision_writer *w, int full, mur_error *err)
{
	if (w->full == full)
		return MUR_OK;
	if (sqlite3_exec(w->db, full ? "PRAGMA synchronous=FULL" : "PRAGMA synchronous=NORMAL",
			 NULL, NULL, NULL) != SQLITE_OK)
		return db_error(w->db, err, "synchronous");
	w->full = full;
	return MUR_OK;
}

/* ---- replay (cat_open) ---- */

int cat_decision_log_replay(catalog *c, mur_error *err)
{
	char path[4096];
	const char *db_path = c->store ? sqlite3_db_filename(c->store, "main") : NULL;
	unsigned char *img;
	cat_decision *found;
	sqlite3_stmt *put = NULL;
	int fd, n = 0, rc = MUR_OK;
	if (!db_path || !*db_path || log_path(db_path, path, sizeof path) != MUR_OK)
		return MUR_OK;
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0)
		return errno == ENOENT
			       ? MUR_OK
			       : mur_error_set(err, SQLSTATE_IO_ERROR, "cannot open \"%s\": %s",
					       path, strerror(errno));
	img = calloc(1, CAT_DLOG_BYTES);
	found = calloc(CAT_DLOG_SLOTS, sizeof *found);
	if (!img || !found) {
		rc = mur_error_set(err, SQLSTATE_OUT_OF_MEMORY, "out of memory");
		goto out;
	}
	if (pread(fd, img, CAT_DLOG_BYTES, 0) < 0) {
		rc = mur_error_set(err, SQLSTATE_IO_ERROR, "cannot read \"%s\": %s", path,
				   strerror(errno));
		goto out;
	}
	for (int i = 0; i < CAT_DLOG_SLOTS; i++)
		n += slot_read(img + (size_t)i * CAT_DLOG_SLOT_BYTES, &found[n]);
	if (n && (rc = prepare_put(c->store, &put, err)) == MUR_OK)
		rc = put_rows(c->store, put, found, n, NULL, 0, err); /* FULL: the store's */
	if (rc == MUR_OK && n)
		MLOG(INFO, "catalog", "%d decisions replayed from %s", n, path);
out:
	sqlite3_finalize(put);
	free(found);
	free(img);
	close(fd);
	return rc;
}

/* ---- the writer ---- */

/* Create (or empty) the log: CAT_DLOG_BYTES of zeros, synced, and its
 * directory entry synced.  The fd, or -1 + err. */
static int log_create(const char *path, mur_error *err)
{
	char dir[4096];
	char *slash;
	unsigned char *zeros = calloc(1, CAT_DLOG_BYTES);
	int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600), dfd;
	if (!zeros || fd < 0 || pwrite(fd, zeros, CAT_DLOG_BYTES, 0) != (ssize_t)CAT_DLOG_BYTES ||
	    fdatasync(fd) != 0) {
		mur_error_set(err, SQLSTATE_IO_ERROR, "cannot create \"%s\": %s", path,
			      zeros ? strerror(errno) : "out of memory");
		free(zeros);
		if (fd >= 0)
			close(fd);
		return -1;
	}
	free(zeros);
	snprintf(dir, sizeof dir, "%s", path);
	if ((slash = strrchr(dir, '/')))
		*slash = '\0';
	if ((dfd = open(slash ? dir : ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC)) >= 0) {
		(void)fsync(dfd); /* best effort: a lost entry loses only empty slots */
		close(dfd);
	}
	return fd;
}

cat_decision_writer *cat_decision_writer_open(catalog *c, mur_error *err)
{
	cat_decision_writer *w = calloc(1, sizeof *w);
	const char *db_path = c->store ? sqlite3_db_filename(c->store, "main") : NULL;
	char path[4096];
	if (!w) {
		mur_error_set(err, SQLSTATE_OUT_OF_MEMORY, "out of memory");
		return NULL;
	}
	w->fd = -1;
	if (!db_path || !*db_path)
		return w; /* memory-only catalog: decisions are not kept */
	if (log_path(db_path, path, sizeof path) != MUR_OK) {
		mur_error_set(err, SQLSTATE_PROGRAM_LIMIT_EXCEEDED, "catalog path too long");
		goto err_after_alloc;
	}
	w->db = c->store;
	if (prepare_put(w->db, &w->put, err) != MUR_OK)
		goto err_after_alloc;
	if (!(w->log = calloc(1, CAT_DLOG_BYTES)) ||
	    !(w->round = calloc(CAT_DLOG_SLOTS, sizeof *w->round))) {
		mur_error_set(err, SQLSTATE_OUT_OF_MEMORY, "out of memory");
		goto err_after_alloc;
	}
	w->full = 1; /* catalog_store.c opens the file synchronous=FULL */
	if ((w->fd = log_create(path, err)) < 0)
		goto err_after_alloc;
	w->cat = c;
	c->dwriter = w;
	return w;
err_after_alloc:
	cat_decision_writer_close(w);
	return NULL;
}

void cat_decision_writer_close(cat_decision_writer *w)
{
	if (!w)
		return;
	if (w->cat && w->cat->dwriter == w)
		w->cat->dwriter = NULL; /* rows not flushed are in the log: replayed at open */
	if (w->fd >= 0) {
		if (w->synced < w->next)
			(void)fdatasync(w->fd); /* outcome rows written, not synced: now */
		close(w->fd);
	}
	sqlite3_finalize(w->put);
	free(w->round);
	free(w->log);
	free(w);
}

/* len bytes of buf at off, durable when it returns 0 (-1 + errno: not
 * certainly written): one pwritev2(RWF_DSYNC) — the write and its sync in
 * one system call, the data written with FUA where the device has it —
 * or, on a kernel or file system without the flag, pwrite + fdatasync. */
static int pwrite_durable(int fd, const unsigned char *buf, size_t len, off_t off)
{
#ifdef RWF_DSYNC
	struct iovec v = {(void *)buf, len};
	ssize_t n = pwritev2(fd, &v, 1, off, RWF_DSYNC);
	if (n >= 0 || (errno != EOPNOTSUPP && errno != ENOSYS && errno != EINVAL))
		return n == (ssize_t)len ? 0 : (errno = n < 0 ? errno : EIO, -1);
#endif
	return pwrite(fd, buf, len, off) == (ssize_t)len && fdatasync(fd) == 0 ? 0 : -1;
}

/* The log broken (a write or a sync failed: an fsync error cannot be
 * retried safely): the outcome rows of slots synced..next-1, written but
 * maybe not durable, go into SQLite by a synchronous=FULL commit (they are
 * committed transactions), the fd is closed, and later groups commit FULL
 * in SQLite.  MUR_ERR with err naming e. */
static int log_break(cat_decision_writer *w, int e, mur_error *err)
{
	mur_error why;
	close(w->fd);
	w->fd = -1;
	if (w->synced < w->next && (set_full(w, 1, &why) != MUR_OK ||
				    put_rows(w->db, w->put, w->round + w->synced,
					     w->next - w->synced, NULL, 0, &why) != MUR_OK))
		MLOG(ERROR, "catalog", "%d committed outcome rows may not be durable: %s",
		     w->next - w->synced, why.message);
	w->synced = w->next;
	return mur_error_set(err, SQLSTATE_IO_ERROR,
			     "the decision log failed (%s): decisions are recorded in the catalog "
			     "from now on",
			     strerror(e));
}

/* Slots fresh..to of the image written after synced..fresh-1 (outcome
 * rows written before, rewritten as they are), durable when MUR_OK
 * (pwrite_durable), or, when !durable, written only.  A failure breaks
 * the log: the fresh slots are zeroed (best effort: none of them may be
 * read back as decided), the earlier ones go into SQLite (log_break). */
static int log_write(cat_decision_writer *w, int fresh, int to, int durable, mur_error *err)
{
	int from = durable ? w->synced : fresh;
	size_t off = (size_t)from * CAT_DLOG_SLOT_BYTES,
	       len = (size_t)(to - from) * CAT_DLOG_SLOT_BYTES;
	size_t foff = (size_t)fresh * CAT_DLOG_SLOT_BYTES,
	       flen = (size_t)(to - fresh) * CAT_DLOG_SLOT_BYTES;
	int e;
	if (durable ? pwrite_durable(w->fd, w->log + off, len, (off_t)off) == 0
		    : pwrite(w->fd, w->log + off, len, (off_t)off) == (ssize_t)len)
		return MUR_OK;
	e = errno ? errno : EIO;
	memset(w->log + foff, 0, flen);
	if (pwrite(w->fd, w->log + foff, flen, (off_t)foff) == (ssize_t)flen)
		(void)fdatasync(w->fd);
	return log_break(w, e, err);
}

/* The wrap (invariant 2): this round's decisions and d[0..n) durable in
 * SQLite.  A FULL commit syncs the WAL, and with it every NORMAL commit
 * of the round before it (the loop's connection, FULL too, syncs the WAL
 * before it checkpoints frames into the file); the round's rows not
 * flushed yet (or whose NORMAL commit failed) go in with it; SQLite's
 * autocheckpoint moves them into the file as it does every commit. */
static int log_wrap(cat_decision_writer *w, const cat_decision *d, int n, mur_error *err)
{
	if (set_full(w, 1, err) != MUR_OK ||
	    put_rows(w->db, w->put, w->round + w->shown, w->next - w->shown, d, n, err) != MUR_OK)
		return MUR_ERR;
	w->next = 0;
	w->synced = 0;
	w->shown = 0;
	return MUR_OK;
}

/* Put d[0..n): durable (a recorded decision: the slots written before it
 * made durable with it) or only written (outcome rows). */
static int decisions_put(cat_decision_writer *w, const cat_decision *d, int n, int durable,
			 mur_error *err)
{
	if (!w->db)
		return MUR_OK;
	/* The loop thread is about to block in a write and an fsync (1-3 ms
	 * on a loaded disk): the frames its turn gathered (other sessions'
	 * answers, APPLYs) leave first, as before any catalog write.  A plain
	 * write does not block: they leave after it, at the turn's end. */
	if ((durable || w->fd < 0 || w->next + n > CAT_DLOG_SLOTS) && w->cat && w->cat->write_hook)
		w->cat->write_hook(w->cat->write_hook_arg);
	if (w->fd < 0) /* broken log: each group durable in SQLite itself */
		return set_full(w, 1, err) == MUR_OK ? put_rows(w->db, w->put, d, n, NULL, 0, err)
						     : MUR_ERR;
	if (w->next + n > CAT_DLOG_SLOTS)
		return log_wrap(w, d, n, err);
	for (int i = 0; i < n; i++) {
		slot_fill(w->log + (size_t)(w->next + i) * CAT_DLOG_SLOT_BYTES, &d[i]);
		w->round[w->next + i] = d[i];
	}
	if (log_write(w, w->next, w->next + n, durable, err) != MUR_OK)
		return MUR_ERR;
	w->next += n; /* written (durable: 1); in txn_outcomes at the next cat_decisions_flush */
	if (durable)
		w->synced = w->next;
	return MUR_OK;
}

int cat_decisions_put(cat_decision_writer *w, const cat_decision *d, int n, mur_error *err)
{
	return decisions_put(w, d, n, 1, err);
}

int cat_outcomes_put(cat_decision_writer *w, const cat_decision *d, int n, mur_error *err)
{
	return decisions_put(w, d, n, 0, err);
}

int cat_decisions_unsynced(const cat_decision_writer *w)
{
	return w->db && w->fd >= 0 ? w->next - w->synced : 0;
}

int cat_decisions_sync(cat_decision_writer *w, mur_error *err)
{
	if (!cat_decisions_unsynced(w))
		return MUR_OK;
	if (w->cat && w->cat->write_hook) /* the loop blocks in the sync: frames first */
		w->cat->write_hook(w->cat->write_hook_arg);
	if (fdatasync(w->fd) != 0)
		return log_break(w, errno, err);
	w->synced = w->next;
	return MUR_OK;
}

void cat_decisions_drop_unsynced(cat_decision_writer *w)
{
	size_t off, len;
	if (!cat_decisions_unsynced(w))
		return;
	off = (size_t)w->synced * CAT_DLOG_SLOT_BYTES;
	len = (size_t)(w->next - w->synced) * CAT_DLOG_SLOT_BYTES;
	memset(w->log + off, 0, len);
	if (pwrite(w->fd, w->log + off, len, (off_t)off) == (ssize_t)len)
		(void)fdatasync(w->fd);
	uint64_t ids[CAT_DLOG_SLOTS];
	int n = 0;
	mur_error ignored;
	for (int i = w->synced; i < w->next; i++)
		ids[n++] = w->round[i].txid;
	w->next = w->synced;
	if (w->shown > w->next)
		w->shown = w->next;
	/* a synchronous=NORMAL commit that put them in txn_outcomes is lost too */
	if (w->cat)
		(void)cat_txn_outcomes_delete(w->cat, ids, n, &ignored);
}

void cat_decisions_flush(catalog *c)
{
	cat_decision_writer *w = c->dwriter;
	mur_error why;
	if (!w || w->shown == w->next)
		return;
	int rc = set_full(w, 0, &why) == MUR_OK ? put_rows(w->db, w->put, w->round + w->shown,
							   w->next - w->shown, NULL, 0, &why)
						: MUR_ERR;
	mur_error ignored;
	if (set_full(w, 1, &ignored) != MUR_OK)
		MLOG(ERROR, "catalog", "%s", ignored.message);
	if (rc != MUR_OK) {
		MLOG(ERROR, "catalog",
		     "%s (the decisions are in the log: in the catalog at the next wrap or "
		     "restart)",
		     why.message);
		return;
	}
	w->shown = w->next;
}
