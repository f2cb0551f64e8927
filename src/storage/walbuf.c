/*
 * walbuf.c — the "murphy-walbuf" SQLite VFS: the default VFS, except that
 * a WAL file's appended frames reach the kernel in one write per
 * transaction instead of two per page.
 *
 * SQLite writes each WAL frame as two pwrite calls (its 24-byte header,
 * then the page), so a one-row insert into a placement (the table's page,
 * the log's, the meta page) costs six pwrites; on a virtual machine where a
 * syscall costs microseconds, that was a fifth of a follower's CPU.  Here
 * appended frames are gathered in a buffer and written at once when the
 * commit frame is complete, before SQLite publishes the commit in the
 * wal-index, so no other connection (the snapshot reader, a test opening
 * the file) can see a commit whose frames are not in the file.
 *
 * Per WAL file, on xWrite(p, n, off):
 *
 *   off == 0 (WAL header, after a restart)  flush; write through; end = n
 *   n == 24 && off == end (a new frame's header)
 *                                           buffer it; end += 24; await its page
 *   awaiting a page && off == end           buffer it; end += n;
 *                                           a commit frame (header field 4..7
 *                                           not 0) → flush now
 *   anything else (an in-place overwrite, a rewritten checksum header, a
 *   pattern this file does not know)        flush; write through
 *
 * and every other operation on the file that could observe it (xRead,
 * xSync, xFileSize, xTruncate, xFileControl, xClose) flushes first.  A
 * failed flush fails the xWrite (or the operation) that triggered it, so
 * SQLite never publishes a commit whose frames were not written.  Files
 * other than WALs are the default VFS's own, untouched.
 *
 * Write-back as it goes: placements run synchronous=NORMAL, so a WAL's
 * frames reach the disk only when a checkpoint fsyncs the WAL, about 4 MB
 * at a time (wal_autocheckpoint's 1000 pages).  On a disk that serves one
 * request at a time, that fsync held every other fdatasync on the machine
 * (the follower WALs' group commits) for 15-25 ms: the insert p99.  So
 * after each flush, once WALBUF_WRITEBACK_BYTES more of the file have been
 * written, write-back of that range is started (sync_file_range
 * SYNC_FILE_RANGE_WRITE: asynchronous, no flush, no wait), and the
 * checkpoint's fsync finds little left to write.  Durability is unchanged
 * (nothing here waits or promises anything); measured: insert p99 19.5 ms
 * → 5 ms at RF 3, throughput unchanged (docs/replication.md).
 *
 * Memory: a WAL file's buffer is malloc'd on first use (at most
 * WALBUF_MAX bytes) and freed at xClose; so is its second descriptor.
 */
#include "storage/storage_int.h"

#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define WALBUF_MAX (64 * 1024)
#define WALBUF_WRITEBACK_BYTES (256 * 1024) /* start write-back every this many bytes */
#define WAL_FRAME_HEADER 24

typedef struct walbuf_file {
	sqlite3_file base;
	sqlite3_file *real; /* the default VFS's file, right after this struct */
	char *buf;
	size_t len; /* bytes buffered, starting at file offset off */
	sqlite3_int64 off;
	sqlite3_int64 end;     /* where the next appended frame starts */
	int await_page;        /* a frame header is buffered, its page comes next */
	int commit;            /* ... and it is the transaction's commit frame */
	int wb_fd;             /* the file opened again, for sync_file_range (-1: none) */
	sqlite3_int64 wb_from; /* write-back not yet started from here on */
} walbuf_file;

static sqlite3_vfs walbuf_vfs;
static sqlite3_vfs *real_vfs;
static pthread_once_t walbuf_once = PTHREAD_ONCE_INIT;
static int walbuf_ok;
static _Atomic uint64_t stat_appends, stat_writes, stat_writeback;

/* Start write-back of [wb_from, to) once it is WALBUF_WRITEBACK_BYTES long. */
static void start_writeback(walbuf_file *f, sqlite3_int64 to)
{
	if (f->wb_fd < 0 || to - f->wb_from < WALBUF_WRITEBACK_BYTES)
		return;
	if (sync_file_range(f->wb_fd, f->wb_from, to - f->wb_from, SYNC_FILE_RANGE_WRITE) == 0)
		atomic_fetch_add_explicit(&stat_writeback, (uint64_t)(to - f->wb_from),
					  memory_order_relaxed);
	f->wb_from = to;
}

static int flush(walbuf_file *f)
{
	int rc;
	if (f->len == 0)
		return SQLITE_OK;
	rc = f->real->pMethods->xWrite(f->real, f->buf, (int)f->len, f->off);
	atomic_fetch_add_explicit(&stat_writes, 1, memory_order_relaxed);
	if (rc == SQLITE_OK)
		start_writeback(f, f->off + (sqlite3_int64)f->len);
	f->len = 0;
	return rc;
}

static int buffer(walbuf_file *f, const void *p, int n, sqlite3_int64 off)
{
	int rc;
	if (f->len && (off != f->off + (sqlite3_int64)f->len || f->len + (size_t)n > WALBUF_MAX) &&
	    (rc = flush(f)) != SQLITE_OK)
		return rc;
	if (!f->buf && !(f->buf = malloc(WALBUF_MAX)))
		return SQLITE_IOERR_NOMEM;
	if ((size_t)n > WALBUF_MAX) { /* a page larger than the buffer: as is */
		atomic_fetch_add_explicit(&stat_writes, 1, memory_order_relaxed);
		return f->real->pMethods->xWrite(f->real, p, n, off);
	}
	if (f->len == 0)
		f->off = off;
	memcpy(f->buf + f->len, p, (size_t)n);
	f->len += (size_t)n;
	return SQLITE_OK;
}

static int through(walbuf_file *f, const void *p, int n, sqlite3_int64 off)
{
	int rc = flush(f);
	f->await_page = 0;
	if (rc != SQLITE_OK)
		return rc;
	atomic_fetch_add_explicit(&stat_writes, 1, memory_order_relaxed);
	return f->real->pMethods->xWrite(f->real, p, n, off);
}

static int wb_write(sqlite3_file *file, const void *p, int n, sqlite3_int64 off)
{
	walbuf_file *f = (walbuf_file *)file;
	const unsigned char *b = p;
	int rc;

	atomic_fetch_add_explicit(&stat_appends, 1, memory_order_relaxed);
	if (off == 0) { /* the WAL restarts: frames are rewritten from the start */
		rc = through(f, p, n, off);
		f->end = n;
		f->wb_from = 0;
		return rc;
	}
	if (n == WAL_FRAME_HEADER && off == f->end && !f->await_page) {
		if ((rc = buffer(f, p, n, off)) != SQLITE_OK)
			return rc;
		f->end += n;
		f->await_page = 1;
		f->commit = (b[4] | b[5] | b[6] | b[7]) != 0;
		return SQLITE_OK;
	}
	if (f->await_page && off == f->end) {
		f->await_page = 0;
		if ((rc = buffer(f, p, n, off)) != SQLITE_OK)
			return rc;
		f->end += n;
		return f->commit ? flush(f) : SQLITE_OK;
	}
	rc = through(f, p, n, off);
	if (off + n > f->end)
		f->end = off + n;
	return rc;
}

static int wb_close(sqlite3_file *file)
{
	walbuf_file *f = (walbuf_file *)file;
	int rc = flush(f);
	int rc2 = f->real->pMethods->xClose(f->real);
	if (f->wb_fd >= 0)
		close(f->wb_fd);
	f->wb_fd = -1;
	free(f->buf);
	f->buf = NULL;
	return rc != SQLITE_OK ? rc : rc2;
}

static int wb_read(sqlite3_file *file, void *p, int n, sqlite3_int64 off)
{
	walbuf_file *f = (walbuf_file *)file;
	int rc = flush(f);
	return rc != SQLITE_OK ? rc : f->real->pMethods->xRead(f->real, p, n, off);
}

static int wb_truncate(sqlite3_file *file, sqlite3_int64 size)
{
	walbuf_file *f = (walbuf_file *)file;
	int rc = flush(f);
	f->await_page = 0;
	if (rc != SQLITE_OK)
		return rc;
	f->end = size;
	if (f->wb_from > size)
		f->wb_from = size;
	return f->real->pMethods->xTruncate(f->real, size);
}

static int wb_sync(sqlite3_file *file, int flags)
{
	walbuf_file *f = (walbuf_file *)file;
	int rc = flush(f);
	return rc != SQLITE_OK ? rc : f->real->pMethods->xSync(f->real, flags);
}

static int wb_file_size(sqlite3_file *file, sqlite3_int64 *size)
{
	walbuf_file *f = (walbuf_file *)file;
	int rc = flush(f);
	return rc != SQLITE_OK ? rc : f->real->pMethods->xFileSize(f->real, size);
}

static int wb_lock(sqlite3_file *file, int lock)
{
	walbuf_file *f = (walbuf_file *)file;
	return f->real->pMethods->xLock(f->real, lock);
}

static int wb_unlock(sqlite3_file *file, int lock)
{
	walbuf_file *f = (walbuf_file *)file;
	return f->real->pMethods->xUnlock(f->real, lock);
}

static int wb_check_reserved(sqlite3_file *file, int *out)
{
	walbuf_file *f = (walbuf_file *)file;
	return f->real->pMethods->xCheckReservedLock(f->real, out);
}

static int wb_file_control(sqlite3_file *file, int op, void *arg)
{
	walbuf_file *f = (walbuf_file *)file;
	int rc = flush(f);
	return rc != SQLITE_OK ? rc : f->real->pMethods->xFileControl(f->real, op, arg);
}

static int wb_sector_size(sqlite3_file *file)
{
	walbuf_file *f = (walbuf_file *)file;
	return f->real->pMethods->xSectorSize(f->real);
}

static int wb_device_characteristics(sqlite3_file *file)
{
	walbuf_file *f = (walbuf_file *)file;
	return f->real->pMethods->xDeviceCharacteristics(f->real);
}

static const sqlite3_io_methods walbuf_methods = {
	.iVersion = 1,
	.xClose = wb_close,
	.xRead = wb_read,
	.xWrite = wb_write,
	.xTruncate = wb_truncate,
	.xSync = wb_sync,
	.xFileSize = wb_file_size,
	.xLock = wb_lock,
	.xUnlock = wb_unlock,
	.xCheckReservedLock = wb_check_reserved,
	.xFileControl = wb_file_control,
	.xSectorSize = wb_sector_size,
	.xDeviceCharacteristics = wb_device_characteristics,
};

static int wb_open(sqlite3_vfs *vfs, const char *name, sqlite3_file *file, int flags, int *out)
{
	walbuf_file *f = (walbuf_file *)file;
	int rc;
	(void)vfs;
	if (!(flags & SQLITE_OPEN_WAL))
		return real_vfs->xOpen(real_vfs, name, file, flags, out);
	memset(f, 0, sizeof *f);
	f->real = (sqlite3_file *)(f + 1);
	f->wb_fd = -1;
	rc = real_vfs->xOpen(real_vfs, name, f->real, flags, out);
	if (rc != SQLITE_OK) {
		if (f->real->pMethods)
			f->real->pMethods->xClose(f->real);
		f->base.pMethods = NULL; /* SQLite calls no xClose then */
		return rc;
	}
	if (f->real->pMethods->xFileSize(f->real, &f->end) != SQLITE_OK)
		f->end = -1; /* appends are recognized after the next header write */
	f->base.pMethods = &walbuf_methods;
	/* a second descriptor: SQLite does not expose its own (without one,
	 * write-back is left to the checkpoint, as with the default VFS) */
	f->wb_fd = open(name, O_RDWR | O_CLOEXEC);
	return SQLITE_OK;
}

/* Everything but xOpen and szOsFile is the default VFS's. */
static void walbuf_init(void)
{
	real_vfs = sqlite3_vfs_find(NULL);
	if (!real_vfs)
		return;
	walbuf_vfs = *real_vfs;
	walbuf_vfs.zName = STOR_WALBUF_VFS;
	walbuf_vfs.pNext = NULL;
	walbuf_vfs.szOsFile = (int)sizeof(walbuf_file) + real_vfs->szOsFile;
	walbuf_vfs.xOpen = wb_open;
	walbuf_ok = sqlite3_vfs_register(&walbuf_vfs, 0) == SQLITE_OK;
}

const char *stor_walbuf_vfs(void)
{
	pthread_once(&walbuf_once, walbuf_init);
	return walbuf_ok ? STOR_WALBUF_VFS : NULL;
}

void stor_walbuf_stats(uint64_t *writes_asked, uint64_t *writes_made)
{
	*writes_asked = atomic_load_explicit(&stat_appends, memory_order_relaxed);
	*writes_made = atomic_load_explicit(&stat_writes, memory_order_relaxed);
}

uint64_t stor_walbuf_writeback_bytes(void)
{
	return atomic_load_explicit(&stat_writeback, memory_order_relaxed);
}
