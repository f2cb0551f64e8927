/*
 * storage.h — the follower's SQLite placement store.
 *
 * One SQLite file per shard placement (catalog.h: cat_placement_file).
 *
 *   stor_db    one open placement file: pragmas (WAL, synchronous=FULL),
 *              the `_murphy_meta` table holding the placement's LSN, a small
 *              LRU cache of prepared statements keyed by SQL text, and a
 *              mutex so tasks on one placement run one at a time.
 *   stor_dir   the follower's data directory: opens placement files on
 *              demand, keeps them open (bounded), deletes them on DROP.
 *
 * Threading: stor_dir functions are thread-safe.  Everything done with a
 * stor_db's sqlite3 handle or statements must happen between
 * stor_lock() and stor_unlock() (the connection is opened without SQLite's
 * own mutex).
 *
 * Errors: SQLite failures become mur_errors through stor_map_sqlite_error,
 * the one place where SQLite result codes turn into SQLSTATEs.
 *
 * Transactions and the LSN: a change runs as
 *     stor_begin → … → stor_commit   (or stor_rollback)
 * The LSN counts entries of the placement's shard log and only the log
 * moves it (storage/replog.h: capture + stor_log_append on a primary,
 * stor_log_apply / stor_log_undo on replicas).  stor_lsn() reports the last
 * committed LSN; a rolled-back transaction leaves it unchanged.
 */
#ifndef MUR_STORAGE_H
#define MUR_STORAGE_H

#include "common/error.h"

#include <sqlite3.h>
#include <stddef.h>
#include <stdint.h>

/* Prepared statements kept per placement: the shard SQL of a workload is a
 * handful of distinct texts (one per prepared statement shape). */
#define STOR_STMT_CACHE_MAX 32
/* Page cache per placement, KiB (PRAGMA cache_size = -N).  A follower with
 * hundreds of placements must not hold GiBs of cache. */
#define STOR_CACHE_KIB 8192
/* Reads map the placement file (PRAGMA mmap_size) up to this size: a scan
 * then walks the OS page cache instead of copying every page through a
 * read() into SQLite's cache. */
#define STOR_MMAP_BYTES ((int64_t)1 << 30)
/* How long a statement waits for another connection's lock (an ATTACHed
 * placement being written by its own task) before SQLITE_BUSY. */
#define STOR_BUSY_TIMEOUT_MS 5000
/* Placement files a stor_dir keeps open; idle ones are closed beyond it
 * (file descriptors: each WAL database holds three). */
#define STOR_DIR_OPEN_MAX 512
/* Longest path of a placement file. */
#define STOR_PATH_MAX 4096
/* Placement file names: [A-Za-z0-9_.-], no leading '.', shorter than this. */
#define STOR_FILE_NAME_MAX 64

typedef struct stor_db stor_db;
typedef struct stor_dir stor_dir;

/* 1 when file is an acceptable placement file name (no path separators,
 * no "..", not empty, < STOR_FILE_NAME_MAX). */
int stor_file_name_ok(const char *file);

/* Open dir/file, creating it (and `_murphy_meta` with lsn 0, `_murphy_log`)
 * if missing.
 * Sets the pragmas and registers murphy's SQL functions.  *out is freed
 * with stor_close.  Errors: 58P01/58030 for files, XX000 otherwise. */
int stor_open(const char *dir, const char *file, stor_db **out, mur_error *err);
/* Finalize cached statements and close.  No task may be using db. */
void stor_close(stor_db *db);

/* Last committed LSN of the placement (stor_entry_id: replog.h). */
uint64_t stor_lsn(stor_db *db);
/* Full path of the file ("dir/file"); valid while db is open. */
const char *stor_path(const stor_db *db);
const char *stor_file(const stor_db *db); /* the placement's name */
/* The SQLite connection (use under stor_lock). */
sqlite3 *stor_handle(stor_db *db);

/* Serialize tasks on this placement.  stor_lock fails (58P01) when the
 * placement was dropped while the caller waited; then do not unlock. */
int stor_lock(stor_db *db, mur_error *err);
/* stor_lock without waiting: MUR_EAGAIN when another task holds it. */
int stor_trylock(stor_db *db, mur_error *err);
void stor_unlock(stor_db *db);

/* A prepared statement for sql, from the cache when possible.  sql must be
 * one statement (trailing whitespace and ';' allowed).  Give it back with
 * stor_release (which resets it and clears its bindings).  Under the lock.
 * A kept statement is re-prepared by SQLite inside its first step when the
 * schema changed: read its shape (column count, names) after that step
 * (stmt_cache.h). */
int stor_prepare(stor_db *db, const char *sql, sqlite3_stmt **out, mur_error *err);
/* stor_prepare for a text with its literals inline and no parameters (the
 * leader's write or point read): prepared once per shape — the text with
 * its integer and string literals as ?1, ?2 … — with the literals bound
 * (sqlshape.c says when the text is prepared as it is instead).  Bind
 * nothing more; give it back with stor_release. */
int stor_prepare_shaped(stor_db *db, const char *sql, sqlite3_stmt **out, mur_error *err);
void stor_release(stor_db *db, sqlite3_stmt *st);

/* BEGIN IMMEDIATE / COMMIT.  stor_commit rolls back when COMMIT fails.
 * stor_rollback is safe to call outside a transaction. */
int stor_begin(stor_db *db, mur_error *err);
int stor_commit(stor_db *db, mur_error *err);
void stor_rollback(stor_db *db);

/* A write batch's transactions on db in one SQLite transaction
 * (batch_txn.c): after stor_batch_begin, each stor_begin … stor_commit /
 * stor_rollback is a savepoint of one transaction (the first opens it)
 * that stor_batch_end commits.  Each still moves the position (stor_lsn)
 * at its stor_commit and is undone alone by its stor_rollback; its
 * follower WAL record is appended at stor_batch_end, after the COMMIT.
 * MUR_ERR (58030 and the like) when that COMMIT failed or SQLite rolled
 * the transaction back meanwhile: every transaction committed since
 * stor_batch_begin is undone (stor_lsn back to before them), and the
 * stor_begins that came after the loss failed.  Under lock, held from
 * begin to end (the entries are not committed meanwhile), outside any
 * transaction. */
void stor_batch_begin(stor_db *db);
int stor_batch_end(stor_db *db, mur_error *err);

/* Turn SQLite result code rc, just returned by a call on db (NULL: no
 * connection), into err.  Always returns MUR_ERR.
 *   UNIQUE / PRIMARY KEY       23505 duplicate key value violates unique
 *                              constraint "<t>_pkey" / "<t>_<cols>_key"
 *   NOT NULL                   23502 null value in column "x" of relation
 *                              "t" violates not-null constraint
 *   CHECK                      23514 new row violates check constraint "c"
 *   "SQLSTATE:ccccc:message"   ccccc, message (raised by murphy's SQL
 *                              functions, see stor_register_functions);
 *                              "…message\nDETAIL:detail" sets the detail,
 *                              "…\nHINT:hint" the hint (after any detail)
 *   NOMEM 53200, FULL 53100, IOERR 58030, INTERRUPT 57014, TOOBIG 54000,
 *   CORRUPT/NOTADB XX001, BUSY/LOCKED 55P03, anything else XX000 with
 *   SQLite's message. */
int stor_map_sqlite_error(sqlite3 *db, int rc, mur_error *err);
#define STOR_ERROR_HINT_SEP "\nHINT:"
#define STOR_ERROR_DETAIL_SEP "\nDETAIL:"

/* A write's step on st failed and stor_map_sqlite_error made err 23505
 * from db's message: find the duplicate row's key values (dupkey.c: st
 * runs again, reset with the same bindings, in a savepoint it undoes) and
 * make err's DETAIL PostgreSQL's "Key (a, b)=(1, x) already exists.".
 * Call it before anything else touches db; st is left reset.  err stays as
 * it was when the values cannot be found; other SQLSTATEs are left alone. */
void stor_dupkey_detail(sqlite3 *db, sqlite3_stmt *st, mur_error *err);

/* A write's step on st failed with 23502 or 23514 (err): when st's SQL
 * carries the row-types tag (common/failing_row.h), find the failing row
 * (failrow.c: st runs again, reset with the same bindings, in a savepoint
 * it undoes) and set err's DETAIL to PostgreSQL's "Failing row contains
 * (...).".  Call it before anything else touches db; st is left reset;
 * err stays as it was when the row cannot be found. */
void stor_failrow_detail(sqlite3 *db, sqlite3_stmt *st, mur_error *err);

/* Register on db every SQLite user function murphy's emitted SQL uses
 * (sqlfn.c: mur_div, mur_like, mur_cast, mur_date_trunc, ...).  Storage
 * calls it on each placement connection it opens; the leader on its
 * in-memory SQLite, a join owner on its database.  SQLITE_OK, or the rc of
 * the registration SQLite refused. */
int stor_register_functions(sqlite3 *db);

/* The SQLite VFS placements are opened with (walbuf.c: a WAL's frames
 * reach the kernel in one write per transaction, not two per page); the
 * leader opens its catalog with it too.  NULL when it could not be
 * registered (then SQLite's default). */
const char *stor_walbuf_vfs(void);

/* ---- data directory ---------------------------------------------- */

/* Use path (created if missing) as the placement directory. */
int stor_dir_open(const char *path, stor_dir **out, mur_error *err);
/* Close every placement.  No task may be running. */
void stor_dir_close(stor_dir *d);
const char *stor_dir_path(const stor_dir *d);
/* Bytes of the regular files in d's directory (placements, their SQLite
 * WALs, the follower WAL): what the follower holds on disk.  0 when the
 * directory cannot be read.  Costs a stat per file: call it seldom. */
uint64_t stor_dir_bytes(const stor_dir *d);
/* The same sum; each file's name and size go to fn (NULL: none). */
uint64_t stor_dir_files(const stor_dir *d, void (*fn)(void *arg, const char *file, uint64_t bytes),
			void *arg);
/* Lower the open-placement bound (tests).  0 = STOR_DIR_OPEN_MAX. */
void stor_dir_set_open_max(stor_dir *d, size_t n);
/* Placements held in exclusive locking mode (db.c, "Locking") whose last
 * transaction is idle_ms old give up their locks, so another process can
 * open the file; placements in use are skipped.  Call periodically.
 * IDLE_MS: at 100 ms, pgbench at ~100 tps (a shard written every ~40 ms,
 * sometimes not for 100) left and re-entered exclusive mode ~0.5 times
 * per transaction on each follower, eight fcntl calls and two sqlite3_exec
 * parses each (~4.5% of a follower's CPU); a gap of 250 ms is that rare,
 * and an outside reader (sqlite3, the test checker, whose busy timeouts
 * are seconds) still gets in within half a second of a shard going
 * quiet. */
#define STOR_EXCL_IDLE_MS 250
void stor_dir_release_idle_locks(stor_dir *d, uint64_t idle_ms);
/* Full path of a placement file in d into buf; -1 when it does not fit or
 * the name is not acceptable. */
int stor_dir_file_path(const stor_dir *d, const char *file, char *buf, size_t bufsz);
/* 1 when the placement file exists. */
int stor_dir_exists(const stor_dir *d, const char *file);

/* A reference to the open placement `file`, opening it if needed.  With
 * create == 0 a missing file is an error (58P01 placement "f" does not
 * exist on this node).  Every successful get pairs with a stor_dir_put. */
int stor_dir_get(stor_dir *d, const char *file, int create, stor_db **out, mur_error *err);
void stor_dir_put(stor_dir *d, stor_db *db);
/* Before another connection opens placement `file` (a snapshot, a
 * colocated join's ATTACH): its own connection leaves exclusive locking
 * (db.c, "Locking") until stor_dir_unshare, which also puts *out.  Errors
 * as stor_dir_get.  Takes and releases the placement's lock: call it
 * holding no other placement's. */
int stor_dir_share(stor_dir *d, const char *file, stor_db **out, mur_error *err);
void stor_dir_unshare(stor_dir *d, stor_db *db);
/* Close the placement (waiting for a task running on it) and delete the
 * file with its -wal and -shm.  A missing file is not an error. */
int stor_dir_drop(stor_dir *d, const char *file, mur_error *err);

#endif
