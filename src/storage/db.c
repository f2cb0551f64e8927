/*
 * db.c — one placement file (stor_db): open with murphy's pragmas, the
 * `_murphy_meta` LSN, the prepared-statement cache and transactions.
 *
 * Open:   sqlite3_open_v2 (no SQLite mutex: stor_lock serializes) →
 *         PRAGMA journal_mode=WAL, synchronous=FULL, cache_size,
 *         busy_timeout → create `_murphy_meta` / `_murphy_log` if missing
 *         (replog.c) → read lsn and entry_id → register murphy's SQL
 *         functions.
 *
 * Statement cache: STOR_STMT_CACHE_MAX entries keyed by SQL text, LRU
 * replacement among entries not handed out.  When every entry is busy the
 * statement is prepared uncached and finalized on release.  Statements are
 * prepared with SQLITE_PREPARE_PERSISTENT and re-prepare themselves after
 * schema changes (DDL, ATTACH/DETACH), so caching never serves stale plans.
 *
 * Log position: the newest log entry's (lsn, entry_id), or _murphy_meta's
 * when that is newer (replog.h); read at open.  A transaction that moves
 * it remembers the new one as pending (stor_set_pending_position, or
 * stor_set_position, which also writes _murphy_meta); stor_commit
 * publishes it only when COMMIT succeeds, so stor_lsn never reports an LSN
 * that a rollback undid.  Only the shard log (replog.c) moves the position.
 *
 * Memory: stor_db and cache keys are malloc'd; stor_close frees all.
 */
#include "storage/replog.h"
#include "storage/storage_int.h"

#include "common/clock.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int stor_file_name_ok(const char *file)
{
	size_t n = file ? strnlen(file, STOR_FILE_NAME_MAX) : 0;
	if (n == 0 || n >= STOR_FILE_NAME_MAX || file[0] == '.')
		return 0;
	for (size_t i = 0; i < n; i++) {
		char c = file[i];
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		      c == '_' || c == '.' || c == '-'))
			return 0;
	}
	return 1;
}

static int exec_sql(stor_db *db, const char *sql, mur_error *err)
{
	int rc = sqlite3_exec(db->db, sql, NULL, NULL, NULL);
	if (rc != SQLITE_OK)
		return stor_map_sqlite_error(db->db, rc, err);
	return MUR_OK;
}

int stor_meta_get(stor_db *db, const char *key, uint64_t *out, mur_error *err)
{
	sqlite3_stmt *st;
	*out = 0;
	if (stor_prepare(db, "SELECT value FROM _murphy_meta WHERE key = ?1", &st, err) != MUR_OK)
		return MUR_ERR;
	sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
	int rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		*out = (uint64_t)sqlite3_column_int64(st, 0);
	else if (rc != SQLITE_DONE) {
		stor_map_sqlite_error(db->db, rc, err);
		stor_release(db, st);
		return MUR_ERR;
	}
	stor_release(db, st);
	return MUR_OK;
}

/* The position: the newest log entry, or _murphy_meta's when that is newer
 * (after an undo, replog.h). */
static int read_position(stor_db *db, mur_error *err)
{
	sqlite3_stmt *st;
	if (stor_meta_get(db, "lsn", &db->lsn, err) != MUR_OK ||
	    stor_meta_get(db, "entry_id", &db->entry_id, err) != MUR_OK ||
	    stor_prepare(db, "SELECT lsn, entry_id FROM _murphy_log ORDER BY lsn DESC LIMIT 1", &st,
			 err) != MUR_OK)
		return MUR_ERR;
	int rc = sqlite3_step(st);
	if (rc == SQLITE_ROW && (uint64_t)sqlite3_column_int64(st, 0) >= db->lsn) {
		db->lsn = (uint64_t)sqlite3_column_int64(st, 0);
		db->entry_id = (uint64_t)sqlite3_column_int64(st, 1);
	}
	stor_release(db, st);
	return rc == SQLITE_ROW || rc == SQLITE_DONE ? MUR_OK
						     : stor_map_sqlite_error(db->db, rc, err);
}

int stor_open(const char *dir, const char *file, stor_db **out, mur_error *err)
{
	char pragmas[256];
	*out = NULL;
	if (!stor_file_name_ok(file))
		return mur_error_set(err, SQLSTATE_INVALID_PARAMETER_VALUE,
				     "invalid placement file name \"%.64s\"", file ? file : "");
	stor_db *db = calloc(1, sizeof *db);
	if (!db)
		return mur_error_set(err, SQLSTATE_OUT_OF_MEMORY, "out of memory");
	if ((size_t)snprintf(db->path, sizeof db->path, "%s/%s", dir, file) >= sizeof db->path) {
		free(db);
		return mur_error_set(err, SQLSTATE_INVALID_PARAMETER_VALUE,
				     "placement path too long");
	}
	snprintf(db->file, sizeof db->file, "%s", file);
	db->log_keep = STOR_LOG_KEEP;
	db->log_bytes_max = STOR_LOG_BYTES_MAX;
	pthread_mutex_init(&db->mu, NULL);

	int rc = sqlite3_open_v2(db->path, &db->db,
				 SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX,
				 stor_walbuf_vfs());
	if (rc != SQLITE_OK) {
		stor_map_sqlite_error(db->db, rc, err);
		mur_error_context(err, "opening placement %s", db->path);
		goto fail;
	}
	sqlite3_extended_result_codes(db->db, 1);
	sqlite3_busy_timeout(db->db, STOR_BUSY_TIMEOUT_MS);
	snprintf(pragmas, sizeof pragmas,
		 "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL; PRAGMA cache_size=-%d;"
		 " PRAGMA foreign_keys=OFF; PRAGMA mmap_size=%lld;",
		 STOR_CACHE_KIB, (long long)STOR_MMAP_BYTES);
	if (exec_sql(db, pragmas, err) != MUR_OK || (rc = stor_log_schema(db->db)) != SQLITE_OK ||
	    read_position(db, err) != MUR_OK) {
		if (rc != SQLITE_OK)
			stor_map_sqlite_error(db->db, rc, err);
		mur_error_context(err, "opening placement %s", db->path);
		goto fail;
	}
	rc = stor_register_functions(db->db);
	if (rc != SQLITE_OK) {
		stor_map_sqlite_error(db->db, rc, err);
		mur_error_context(err, "registering SQL functions");
		goto fail;
	}
	*out = db;
	return MUR_OK;
fail:
	stor_close(db);
	return MUR_ERR;
}

void stor_db_shutdown(stor_db *db)
{
	stor_apply_tab_free(db);
	stor_rowcap_tab_free(db);
	for (int i = 0; i < STOR_STMT_CACHE_MAX; i++) {
		if (db->stmts[i].st)
			sqlite3_finalize(db->stmts[i].st);
		free(db->stmts[i].sql);
		memset(&db->stmts[i], 0, sizeof db->stmts[i]);
	}
	mur_buf_free(&db->batch.recs);
	if (db->db) {
		if (db->in_txn || db->batch.open)
			sqlite3_exec(db->db, "ROLLBACK", NULL, NULL, NULL);
		sqlite3_close_v2(db->db);
		db->db = NULL;
	}
}

void stor_close(stor_db *db)
{
	if (!db)
		return;
	stor_db_shutdown(db);
	pthread_mutex_destroy(&db->mu);
	free(db);
}

uint64_t stor_lsn(stor_db *db) { return db->lsn; }
uint64_t stor_entry_id(stor_db *db) { return db->entry_id; }
const char *stor_path(const stor_db *db) { return db->path; }
const char *stor_file(const stor_db *db) { return db->file; }
sqlite3 *stor_handle(stor_db *db) { return db->db; }

/* Under mu, just taken: remember the holder (STOR_ASSERT_LOCKED). */
static void note_owner(stor_db *db)
{
#ifdef MUR_DEBUG_CHECKS
	db->owner = pthread_self();
	db->owned = 1;
#else
	(void)db;
#endif
}

int stor_lock(stor_db *db, mur_error *err)
{
	pthread_mutex_lock(&db->mu);
	if (!db->db) {
		pthread_mutex_unlock(&db->mu);
		return mur_error_set(err, SQLSTATE_UNDEFINED_FILE,
				     "placement \"%s\" was dropped or replaced", db->file);
	}
	note_owner(db);
	return MUR_OK;
}

int stor_trylock(stor_db *db, mur_error *err)
{
	if (pthread_mutex_trylock(&db->mu) != 0)
		return MUR_EAGAIN;
	if (!db->db) {
		pthread_mutex_unlock(&db->mu);
		return mur_error_set(err, SQLSTATE_UNDEFINED_FILE,
				     "placement \"%s\" was dropped or replaced", db->file);
	}
	note_owner(db);
	return MUR_OK;
}

void stor_unlock(stor_db *db)
{
	STOR_ASSERT_LOCKED(db);
#ifdef MUR_DEBUG_CHECKS
	db->owned = 0;
#endif
	pthread_mutex_unlock(&db->mu);
}

/* True when nothing but whitespace and ';' is left. */
static int only_blank(const char *s)
{
	for (; s && *s; s++)
		if (!isspace((unsigned char)*s) && *s != ';')
			return 0;
	return 1;
}

/* A free cached statement for sql (hash: its stor_str_hash), handed out;
 * NULL when none.  The entry last found for hash's hint slot is tried
 * first: a follower's write prepares about 4 statements (BEGIN, the
 * write, the log row, COMMIT), 32 lookups per TPC-B transaction, and
 * scanning the cache for each was a percent of its CPU. */
static sqlite3_stmt *cache_find(stor_db *db, const char *sql, uint32_t hash)
{
	uint8_t *hint = &db->stmt_hint[hash % STOR_STMT_HINTS];
	stor_stmt *c = &db->stmts[*hint];
	if (!(c->sql && !c->busy && c->hash == hash && strcmp(c->sql, sql) == 0)) {
		int i = 0;
		for (; i < STOR_STMT_CACHE_MAX; i++) {
			c = &db->stmts[i];
			if (c->sql && !c->busy && c->hash == hash && strcmp(c->sql, sql) == 0)
				break;
		}
		if (i == STOR_STMT_CACHE_MAX)
			return NULL;
		*hint = (uint8_t)i;
	}
	c->busy = 1;
	c->used = ++db->clock;
	return c->st;
}

int stor_prepare(stor_db *db, const char *sql, sqlite3_stmt **out, mur_error *err)
{
	stor_stmt *victim = NULL;
	const char *tail = NULL;
	uint32_t hash = stor_str_hash(sql);
	if ((*out = cache_find(db, sql, hash)) != NULL)
		return MUR_OK;
	for (int i = 0; i < STOR_STMT_CACHE_MAX; i++) {
		stor_stmt *c = &db->stmts[i];
		if (!c->busy && (!victim || !c->sql || (victim->sql && c->used < victim->used)))
			victim = c;
	}
	sqlite3_stmt *st;
	int rc = sqlite3_prepare_v3(db->db, sql, -1, SQLITE_PREPARE_PERSISTENT, &st, &tail);
	if (rc != SQLITE_OK)
		return stor_map_sqlite_error(db->db, rc, err);
	if (!st || !only_blank(tail)) {
		sqlite3_finalize(st);
		return mur_error_set(err, SQLSTATE_INTERNAL_ERROR,
				     st ? "task SQL holds more than one statement"
					: "task SQL holds no statement");
	}
	char *key = victim ? strdup(sql) : NULL;
	if (victim && key) {
		if (victim->st)
			sqlite3_finalize(victim->st);
		free(victim->sql);
		victim->sql = key;
		victim->hash = hash;
		victim->st = st;
		victim->busy = 1;
		victim->used = ++db->clock;
	}
	*out = st;
	return MUR_OK;
}

void stor_release(stor_db *db, sqlite3_stmt *st)
{
	if (!st)
		return;
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	for (int i = 0; i < STOR_STMT_CACHE_MAX; i++)
		if (db->stmts[i].st == st) {
			db->stmts[i].busy = 0;
			return;
		}
	sqlite3_finalize(st); /* was not cached */
}

/* A statement without parameters, prepared once (BEGIN, COMMIT run for
 * every write: parsing them each time cost more than the step). */
int stor_run_cached(stor_db *db, const char *sql, mur_error *err)
{
	sqlite3_stmt *st;
	if (stor_prepare(db, sql, &st, err) != MUR_OK)
		return MUR_ERR;
	int rc = sqlite3_step(st);
	stor_release(db, st);
	return rc == SQLITE_DONE ? MUR_OK : stor_map_sqlite_error(db->db, rc, err);
}

/* ---- Locking --------------------------------------------------------------
 *
 * SQLite's default locking costs a transaction six fcntl calls on the -shm
 * file (read mark, write lock and their releases), several microseconds of
 * syscall each on a VM, all on a follower's write path; with
 * locking_mode=EXCLUSIVE the connection keeps its locks and makes none
 * (+15% rows/s at RF 3 majority, docs/replication.md).  But then no other
 * connection can even open the file, and an exclusive writer fails while
 * one is open.  So, for placements behind the follower WAL only:
 *
 *            NORMAL ──stor_begin: shared == 0 and now >= excl_retry_ms──►
 *              ▲      try BEGIN IMMEDIATE in EXCLUSIVE mode, no busy wait
 *              │                     │ ok                 │ busy (another
 *              │                     ▼                    │ connection has
 *              │                 EXCLUSIVE                │ the file open)
 *              │                     │                    ▼
 *              └──── stor_db_share (a snapshot is about   NORMAL, PENDING
 *                    to open the file), or                lock dropped,
 *                    stor_db_release_if_idle (no          retry after
 *                    transaction for idle_ms: let an      STOR_EXCL_RETRY_MS
 *                    outside reader such as sqlite3 in)
 *
 * Leaving is PRAGMA locking_mode=NORMAL and one read, which drops the
 * locks.  Nothing else changes: durability, the WAL, the -shm file. */

#define STOR_EXCL_RETRY_MS 1000

/* A BEGIN that failed in exclusive mode leaves the database file's PENDING
 * byte locked: the pager asked for EXCLUSIVE, the VFS got as far as
 * PENDING, and in WAL mode the pager never unlocks below SHARED again
 * until it leaves a successful exclusive transaction (SQLite 3.40).  A
 * PENDING lock keeps every new reader out, so on a quiet placement an
 * outside reader (sqlite3, the failure tests' checker) waited forever.
 * Step the file back to SHARED, which is what the pager believes it
 * holds (test_exclusive_locking checks a reader gets in). */
static void drop_pending_lock(stor_db *db)
{
	sqlite3_file *f = NULL;
	if (sqlite3_file_control(db->db, "main", SQLITE_FCNTL_FILE_POINTER, &f) == SQLITE_OK && f &&
	    f->pMethods)
		f->pMethods->xUnlock(f, SQLITE_LOCK_SHARED);
}

/* BEGIN IMMEDIATE in exclusive mode.  MUR_OK: begun; MUR_EAGAIN: another
 * connection holds the file (back in NORMAL mode, nothing begun). */
static int begin_exclusive(stor_db *db, uint64_t now)
{
	sqlite3_busy_timeout(db->db, 0);
	int rc = sqlite3_exec(db->db, "PRAGMA locking_mode=EXCLUSIVE; BEGIN IMMEDIATE", NULL, NULL,
			      NULL);
	sqlite3_busy_timeout(db->db, STOR_BUSY_TIMEOUT_MS);
	if (rc == SQLITE_OK) {
		db->excl = 1;
		return MUR_OK;
	}
	if (sqlite3_get_autocommit(db->db) == 0)
		sqlite3_exec(db->db, "ROLLBACK", NULL, NULL, NULL);
	sqlite3_exec(db->db, "PRAGMA locking_mode=NORMAL", NULL, NULL, NULL);
	drop_pending_lock(db);
	db->excl_retry_ms = now + STOR_EXCL_RETRY_MS;
	return MUR_EAGAIN;
}

/* Back to NORMAL mode; the read drops the locks exclusive mode kept. */
static int leave_exclusive(stor_db *db, mur_error *err)
{
	if (!db->excl)
		return MUR_OK;
	int rc = sqlite3_exec(db->db,
			      "PRAGMA locking_mode=NORMAL; SELECT 1 FROM sqlite_master LIMIT 1",
			      NULL, NULL, NULL);
	if (rc != SQLITE_OK)
		return stor_map_sqlite_error(db->db, rc, err);
	db->excl = 0;
	return MUR_OK;
}

int stor_db_share(stor_db *db, mur_error *err)
{
	db->shared++;
	return leave_exclusive(db, err);
}

void stor_db_unshare(stor_db *db)
{
	if (db->shared > 0)
		db->shared--;
}

int stor_db_release_if_idle(stor_db *db, uint64_t idle_ms)
{
	mur_error err;
	if (!db->excl || db->in_txn || db->batch.open || mur_now_ms() - db->excl_used_ms < idle_ms)
		return 0;
	return leave_exclusive(db, &err) == MUR_OK;
}

int stor_begin(stor_db *db, mur_error *err)
{
	int begun = 0;
	STOR_ASSERT_LOCKED(db);
	if (db->batch.open || db->batch.lost)
		return stor_batch_savepoint(db, err);
	uint64_t now = db->fwal ? mur_now_ms() : 0;
	if (db->fwal && !db->excl && db->shared == 0 && now >= db->excl_retry_ms)
		begun = begin_exclusive(db, now) == MUR_OK;
	if (db->excl)
		db->excl_used_ms = now;
	if (!begun && stor_run_cached(db, "BEGIN IMMEDIATE", err) != MUR_OK)
		return MUR_ERR;
	db->in_txn = 1;
	db->has_pending = 0;
	db->logp.valid = 0;
	db->fwal_log = 0;
	if (db->batch.on)
		stor_batch_opened(db);
	return MUR_OK;
}

int stor_set_position(stor_db *db, uint64_t lsn, uint64_t entry_id, mur_error *err)
{
	sqlite3_stmt *st;
	if (stor_prepare(db,
			 "UPDATE _murphy_meta SET value = CASE key WHEN 'lsn' THEN ?1 ELSE ?2 END"
			 " WHERE key IN ('lsn', 'entry_id')",
			 &st, err) != MUR_OK)
		return MUR_ERR;
	sqlite3_bind_int64(st, 1, (sqlite3_int64)lsn);
	sqlite3_bind_int64(st, 2, (sqlite3_int64)entry_id);
	int rc = sqlite3_step(st);
	int n = sqlite3_changes(db->db);
	stor_release(db, st);
	if (rc != SQLITE_DONE)
		return stor_map_sqlite_error(db->db, rc, err);
	if (n != 2)
		return stor_map_sqlite_error(db->db, SQLITE_CORRUPT, err);
	stor_set_pending_position(db, lsn, entry_id);
	return MUR_OK;
}

void stor_set_pending_position(stor_db *db, uint64_t lsn, uint64_t entry_id)
{
	db->pending_lsn = lsn;
	db->pending_entry_id = entry_id;
	db->has_pending = 1;
}

int stor_db_set_sync(stor_db *db, int full, mur_error *err)
{
	return exec_sql(db, full ? "PRAGMA synchronous=FULL" : "PRAGMA synchronous=NORMAL", err);
}

/* A transaction that stor_fwal_prepare_commit marked strict (not logged
 * in the follower WAL, on a placement running synchronous=NORMAL) is made
 * durable after COMMIT by fdatasync of the -wal file: what
 * synchronous=FULL does at COMMIT in WAL mode.  (SQLite refuses to change
 * synchronous inside a transaction.) */
int stor_end_strict(stor_db *db, mur_error *err)
{
	char wal[STOR_PATH_MAX + 8];
	int rc = MUR_OK;
	if (!db->strict)
		return MUR_OK;
	db->strict = 0;
	snprintf(wal, sizeof wal, "%s-wal", db->path);
	int fd = open(wal, O_RDONLY | O_CLOEXEC);
	if (fd < 0 && errno == ENOENT)
		return MUR_OK; /* checkpointed and removed: in the synced db file */
	if (fd < 0 || fdatasync(fd) != 0)
		rc = mur_error_set(err, SQLSTATE_IO_ERROR, "could not fdatasync \"%s\": %s", wal,
				   strerror(errno));
	if (fd >= 0)
		close(fd);
	return rc;
}

void stor_publish_pending(stor_db *db)
{
	db->in_txn = 0;
	if (db->has_pending) {
		db->lsn = db->pending_lsn;
		db->entry_id = db->pending_entry_id;
	}
	db->has_pending = 0;
	if (db->logp.valid)
		db->logc = db->logp;
	db->logp.valid = 0;
}

int stor_commit(stor_db *db, mur_error *err)
{
	STOR_ASSERT_LOCKED(db);
	if (db->batch.open)
		return stor_batch_release(db, err);
	if (stor_run_cached(db, "COMMIT", err) != MUR_OK) {
		stor_rollback(db);
		return MUR_ERR;
	}
	stor_publish_pending(db);
	return stor_end_strict(db, err);
}

void stor_rollback(stor_db *db)
{
	if (db->batch.open) {
		stor_batch_rollback(db);
		return;
	}
	if (!sqlite3_get_autocommit(db->db))
		sqlite3_exec(db->db, "ROLLBACK", NULL, NULL, NULL);
	db->strict = 0;
	db->fwal_log = 0;
	db->in_txn = 0;
	db->has_pending = 0;
	db->logp.valid = 0;
}
