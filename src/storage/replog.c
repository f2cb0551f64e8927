/*
 * replog.c — the shard log of one placement (replog.h, docs/replication.md).
 *
 * Tables (created at open by stor_log_schema):
 *   _murphy_meta  'lsn', 'entry_id': the position after an undo (replog.h);
 *                 'log_bytes': unused since the log's size is kept in
 *                 memory (stor_db.logc, read once per open)
 *   _murphy_log   (lsn, entry_id, txn_id, kind, changeset), lsns contiguous:
 *                 the log holds exactly first..lsn, or is empty; columns
 *                 txn_id and kind added on open to files made before them
 *
 * Flows (each one SQLite transaction, under the placement's lock):
 *   primary   stor_begin → stor_capture_begin → run SQL → stor_capture_take
 *             → stor_log_append (log row, position, trim) → stor_commit
 *   replica   stor_log_apply / stor_apply_entries: check position →
 *             apply_changeset (any conflict aborts) → log_put → commit
 *   undo      stor_log_undo: for lsn = cur … target+1: read entry, invert,
 *             apply, delete row → position (target, its entry id) → commit
 *
 * Invariants: position and log change only together with the rows they
 * describe; the newest entry is never trimmed, nor is an entry of the open
 * transaction; while a transaction is open only its own entries follow
 * (replog.h: at most one is open, its entries the log's suffix, found by
 * reading that suffix newest first); after any failure the transaction is
 * rolled back, so the file is as before the call.
 *
 * A changeset op that SQLite skips silently (a table missing on this
 * placement, a different column count) would make copies differ, so every
 * apply counts the ops of the changeset and compares with the rows SQLite
 * changed (sqlite3_total_changes64): a mismatch fails the entry.
 *
 * Capture (sqlite3session) lives in capture.c, reading the log for a peer
 * in replog_read.c.
 *
 * Durability: with the follower WAL on (fwal.h) the file runs
 * synchronous=NORMAL; an APPLY and an UNDO append their record after the
 * commit and wait for its group fsync; a catch-up batch commits with
 * synchronous=FULL.
 *
 * Memory: everything allocated here is freed before returning.
 */
#include "storage/replog.h"

#include "storage/fwal.h"
#include "storage/storage_int.h"
#include "common/clock.h"

#include <assert.h>
#include <inttypes.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

/* Whether _murphy_log has the txn_id column (files made before
 * transactions do not); a SQLite rc. */
static int log_has_txn_columns(sqlite3 *db, int *has)
{
	sqlite3_stmt *st;
	int rc = sqlite3_prepare_v2(db,
				    "SELECT 1 FROM pragma_table_info('_murphy_log') WHERE name = "
				    "'txn_id'",
				    -1, &st, NULL);
	if (rc != SQLITE_OK)
		return rc;
	rc = sqlite3_step(st);
	*has = rc == SQLITE_ROW;
	sqlite3_finalize(st);
	return rc == SQLITE_ROW || rc == SQLITE_DONE ? SQLITE_OK : rc;
}

int stor_log_schema(sqlite3 *db)
{
	int has = 1;
	int rc = sqlite3_exec(db,
			      "CREATE TABLE IF NOT EXISTS _murphy_meta(key TEXT PRIMARY KEY, value "
			      "INTEGER);"
			      " CREATE TABLE IF NOT EXISTS _murphy_log(lsn INTEGER PRIMARY KEY,"
			      " entry_id INTEGER NOT NULL, txn_id INTEGER NOT NULL DEFAULT 0,"
			      " kind INTEGER NOT NULL DEFAULT 0, changeset BLOB NOT NULL);"
			      " INSERT OR IGNORE INTO _murphy_meta VALUES ('lsn', 0), ('entry_id', "
			      "0),"
			      " ('log_bytes', 0);",
			      NULL, NULL, NULL);
	if (rc == SQLITE_OK)
		rc = log_has_txn_columns(db, &has);
	if (rc != SQLITE_OK || has)
		return rc;
	/* a file made before transactions: both columns or neither */
	rc = sqlite3_exec(db,
			  "BEGIN IMMEDIATE;"
			  " ALTER TABLE _murphy_log ADD COLUMN txn_id INTEGER NOT NULL DEFAULT 0;"
			  " ALTER TABLE _murphy_log ADD COLUMN kind INTEGER NOT NULL DEFAULT 0;"
			  " COMMIT;",
			  NULL, NULL, NULL);
	if (rc != SQLITE_OK && !sqlite3_get_autocommit(db))
		sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
	return rc;
}

int stor_ddl_split(const void *cs, size_t len, char **fwd, char **undo, mur_error *err)
{
	const char *p = cs, *sep = len ? memchr(p, STOR_DDL_SEP, len) : NULL;
	*fwd = *undo = NULL;
	if (!sep)
		return mur_error_set(err, SQLSTATE_PROTOCOL_VIOLATION,
				     "malformed DDL entry: no undo part");
	*fwd = strndup(p, (size_t)(sep - p));
	*undo = strndup(sep + 1, len - (size_t)(sep - p) - 1);
	if (*fwd && *undo)
		return MUR_OK;
	free(*fwd);
	free(*undo);
	*fwd = *undo = NULL;
	return mur_error_set(err, SQLSTATE_OUT_OF_MEMORY, "out of memory");
}

/* Run a DDL entry's forward (undo = 0) or undo SQL inside the open
 * transaction. */
static int run_ddl_entry(stor_db *db, const void *cs, size_t len, int undo, uint64_t lsn,
			 mur_error *err)
{
	char *fwd, *back, *msg = NULL;
	int rc;
	if (stor_ddl_split(cs, len, &fwd, &back, err) != MUR_OK)
		return MUR_ERR;
	rc = sqlite3_exec(db->db, undo ? back : fwd, NULL, NULL, &msg);
	if (rc != SQLITE_OK) {
		mur_error_set(err, STOR_SQLSTATE_LOG, "cannot %s DDL entry %" PRIu64 ": %s",
			      undo ? "undo" : "apply", lsn, msg ? msg : sqlite3_errstr(rc));
		sqlite3_free(msg);
	}
	free(fwd);
	free(back);
	return rc == SQLITE_OK ? MUR_OK : MUR_ERR;
}

int stor_entry_check(const stor_entry *e, mur_error *err)
{
	int ok = e->kind == STOR_ENTRY_DATA ||
		 (e->kind == STOR_ENTRY_COMMIT && e->txn_id != 0 && e->len == 0) ||
		 (e->kind == STOR_ENTRY_STAGED && e->txn_id != 0 && e->len > 0 &&
		  e->len <= STOR_STAGED_BYTES_MAX) ||
		 (e->kind == STOR_ENTRY_DDL && e->len > 0 && e->len <= STOR_DDL_BYTES_MAX &&
		  memchr(e->cs, STOR_DDL_SEP, e->len));
	if (ok)
		return MUR_OK;
	mur_error_set(err, SQLSTATE_PROTOCOL_VIOLATION, "malformed log entry %" PRIu64, e->lsn);
	mur_error_detail(err,
			 "kind %u, transaction %" PRIu64 ", %zu bytes of changes (a commit "
			 "marker names its transaction and carries no changes; a staging "
			 "marker names it and carries 1 to %d bytes of participants)",
			 e->kind, e->txn_id, e->len, STOR_STAGED_BYTES_MAX);
	return MUR_ERR;
}

/* Position including the open transaction's pending change. */
static void position(stor_db *db, uint64_t *lsn, uint64_t *entry_id)
{
	*lsn = db->has_pending ? db->pending_lsn : db->lsn;
	*entry_id = db->has_pending ? db->pending_entry_id : db->entry_id;
}

/* Run a prepared one-shot statement binding up to two integers. */
static int exec_ints(stor_db *db, const char *sql, int n, int64_t a, int64_t b, mur_error *err)
{
	sqlite3_stmt *st;
	if (stor_prepare(db, sql, &st, err) != MUR_OK)
		return MUR_ERR;
	if (n >= 1)
		sqlite3_bind_int64(st, 1, a);
	if (n >= 2)
		sqlite3_bind_int64(st, 2, b);
	int rc = sqlite3_step(st);
	stor_release(db, st);
	return rc == SQLITE_DONE ? MUR_OK : stor_map_sqlite_error(db->db, rc, err);
}

int stor_log_first(stor_db *db, uint64_t *first_lsn, mur_error *err)
{
	sqlite3_stmt *st;
	*first_lsn = 0;
	if (stor_prepare(db, "SELECT min(lsn) FROM _murphy_log", &st, err) != MUR_OK)
		return MUR_ERR;
	int rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		*first_lsn = (uint64_t)sqlite3_column_int64(st, 0); /* NULL → 0 */
	stor_release(db, st);
	return rc == SQLITE_ROW ? MUR_OK : stor_map_sqlite_error(db->db, rc, err);
}

/* ---- log rows ---------------------------------------------------- */

/* The open transaction as the log's rows say: the newest run of data
 * entries (and its STAGED entry, when that is the newest entry) of one
 * txn_id ≠ 0, read newest first (replog.h: the open transaction's entries
 * are the log's suffix, so only that suffix is read).  0, 0 when the
 * newest entry is autocommit or a commit marker.  A STAGED entry below the
 * newest run closed its transaction (replog.h), so the run stops there.
 * *staged (may be NULL): the newest entry is the open one's STAGED. */
static int scan_open_txn(stor_db *db, uint64_t *txn_id, uint64_t *lsn, int *staged, mur_error *err)
{
	sqlite3_stmt *st;
	int rc, newest = 1;
	*txn_id = *lsn = 0;
	if (staged)
		*staged = 0;
	if (stor_prepare(db, "SELECT lsn, txn_id, kind FROM _murphy_log ORDER BY lsn DESC", &st,
			 err) != MUR_OK)
		return MUR_ERR;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		uint64_t x = (uint64_t)sqlite3_column_int64(st, 1);
		int kind = sqlite3_column_int(st, 2);
		if (kind == STOR_ENTRY_COMMIT || x == 0 || (*txn_id && x != *txn_id) ||
		    (kind == STOR_ENTRY_STAGED && !newest))
			break;
		if (staged && newest)
			*staged = kind == STOR_ENTRY_STAGED;
		newest = 0;
		*txn_id = x;
		*lsn = (uint64_t)sqlite3_column_int64(st, 0);
	}
	stor_release(db, st);
	return rc == SQLITE_ROW || rc == SQLITE_DONE ? MUR_OK
						     : stor_map_sqlite_error(db->db, rc, err);
}

int stor_log_open_txn(stor_db *db, uint64_t *txn_id, uint64_t *lsn, mur_error *err)
{
	STOR_ASSERT_LOCKED(db);
	assert(!db->in_txn);
	if (db->logc.valid) {
		*txn_id = db->logc.open_txn;
		*lsn = db->logc.open_lsn;
		return MUR_OK;
	}
	return scan_open_txn(db, txn_id, lsn, NULL, err);
}

int stor_log_txn_state(stor_db *db, uint64_t txn_id, stor_txn_state *state, char *parts,
		       size_t parts_max, uint64_t *first_lsn, mur_error *err)
{
	sqlite3_stmt *st;
	int rc;
	STOR_ASSERT_LOCKED(db);
	assert(!db->in_txn && parts_max > 0);
	*state = STOR_TXN_ABSENT;
	parts[0] = '\0';
	if (stor_log_first(db, first_lsn, err) != MUR_OK ||
	    stor_prepare(db,
			 "SELECT kind, changeset FROM _murphy_log WHERE txn_id = ?1"
			 " ORDER BY lsn DESC LIMIT 1",
			 &st, err) != MUR_OK)
		return MUR_ERR;
	sqlite3_bind_int64(st, 1, (sqlite3_int64)txn_id);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		int kind = sqlite3_column_int(st, 0);
		size_t n = (size_t)sqlite3_column_bytes(st, 1);
		*state = kind == STOR_ENTRY_COMMIT   ? STOR_TXN_COMMITTED
			 : kind == STOR_ENTRY_STAGED ? STOR_TXN_STAGED
						     : STOR_TXN_OPEN;
		if (*state == STOR_TXN_STAGED) {
			if (n >= parts_max)
				n = parts_max - 1;
			if (n) /* an empty blob is NULL: no memcpy from it */
				memcpy(parts, sqlite3_column_blob(st, 1), n);
			parts[n] = '\0';
		}
	}
	stor_release(db, st);
	return rc == SQLITE_ROW || rc == SQLITE_DONE ? MUR_OK
						     : stor_map_sqlite_error(db->db, rc, err);
}

int stor_log_staged_list(stor_db *db, uint64_t min_txid, uint64_t max_txid, int max,
			 stor_staged_fn each, void *arg, mur_error *err)
{
	sqlite3_stmt *st;
	int rc;
	STOR_ASSERT_LOCKED(db);
	assert(!db->in_txn);
	if (stor_prepare(db,
			 "SELECT txn_id, changeset FROM _murphy_log WHERE kind = ?1 AND"
			 " txn_id >= ?2 AND txn_id < ?3 ORDER BY lsn DESC LIMIT ?4",
			 &st, err) != MUR_OK)
		return MUR_ERR;
	sqlite3_bind_int(st, 1, STOR_ENTRY_STAGED);
	sqlite3_bind_int64(st, 2, (sqlite3_int64)min_txid);
	sqlite3_bind_int64(st, 3, (sqlite3_int64)max_txid);
	sqlite3_bind_int(st, 4, max);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW)
		each(arg, (uint64_t)sqlite3_column_int64(st, 0),
		     (const char *)sqlite3_column_blob(st, 1), (size_t)sqlite3_column_bytes(st, 1));
	stor_release(db, st);
	return rc == SQLITE_DONE ? MUR_OK : stor_map_sqlite_error(db->db, rc, err);
}

/* The log's size, oldest entry and open transaction, as of the open
 * transaction: from the cache (stor_db.logc / logp) or read once (a scan
 * of the log's rows, and of its open suffix).  stor_commit keeps the
 * pending state, a rollback drops it, and an undo forgets it (read again
 * next time). */
static int next_entry(stor_db *db, uint64_t lsn, stor_log_cache *c, mur_error *err);

static int log_state(stor_db *db, stor_log_cache *out, mur_error *err)
{
	sqlite3_stmt *st;
	int rc;
	if (db->logp.valid) {
		*out = db->logp;
		return MUR_OK;
	}
	if (db->logc.valid) {
		*out = db->logc;
		return MUR_OK;
	}
	memset(out, 0, sizeof *out);
	if (stor_prepare(db, "SELECT coalesce(sum(length(changeset)), 0) FROM _murphy_log", &st,
			 err) != MUR_OK)
		return MUR_ERR;
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		out->bytes = (uint64_t)sqlite3_column_int64(st, 0);
	stor_release(db, st);
	if (rc != SQLITE_ROW)
		return stor_map_sqlite_error(db->db, rc, err);
	if (next_entry(db, 0, out, err) != MUR_OK ||
	    scan_open_txn(db, &out->open_txn, &out->open_lsn, &out->open_staged, err) != MUR_OK)
		return MUR_ERR;
	out->valid = 1;
	return MUR_OK;
}

/* The entry after lsn (first = 0: none). */
static int next_entry(stor_db *db, uint64_t lsn, stor_log_cache *c, mur_error *err)
{
	sqlite3_stmt *st;
	int rc;
	if (stor_prepare(db,
			 "SELECT lsn, length(changeset) FROM _murphy_log WHERE lsn > ?1 ORDER BY "
			 "lsn LIMIT 1",
			 &st, err) != MUR_OK)
		return MUR_ERR;
	sqlite3_bind_int64(st, 1, (sqlite3_int64)lsn);
	rc = sqlite3_step(st);
	c->first = rc == SQLITE_ROW ? (uint64_t)sqlite3_column_int64(st, 0) : 0;
	c->first_len = rc == SQLITE_ROW ? (uint64_t)sqlite3_column_int64(st, 1) : 0;
	stor_release(db, st);
	return rc == SQLITE_ROW || rc == SQLITE_DONE ? MUR_OK
						     : stor_map_sqlite_error(db->db, rc, err);
}

/* A STAGED entry put now, its transaction's first entry at lsn:
 * remembered in its time bucket. */
static void staged_hold_note(stor_db *db, uint64_t lsn)
{
	uint64_t b = mur_now_ms() / STOR_STAGED_HOLD_BUCKET_MS + 1;
	int i = (int)(b % STOR_STAGED_HOLD_BUCKETS);
	if (db->staged_hold[i].bucket != b) {
		db->staged_hold[i].bucket = b;
		db->staged_hold[i].lsn = lsn;
	}
}

/* The first entry of the oldest transaction whose STAGED entry was put in
 * the last STOR_STAGED_HOLD_BUCKETS buckets; 0: none. */
static uint64_t staged_hold_floor(const stor_db *db)
{
	uint64_t b = mur_now_ms() / STOR_STAGED_HOLD_BUCKET_MS + 1, floor = 0;
	for (int i = 0; i < STOR_STAGED_HOLD_BUCKETS; i++)
		if (db->staged_hold[i].bucket + STOR_STAGED_HOLD_BUCKETS > b &&
		    (!floor || db->staged_hold[i].lsn < floor))
			floor = db->staged_hold[i].lsn;
	return floor;
}

/* May entry c->first go: the log holds more than keep entries up to
 * newest or more than bytes_max bytes, and c->first is not newest, nor of
 * the open transaction, nor held (lsn >= hold, 0: none). */
static int trimmable(const stor_log_cache *c, uint64_t newest, uint64_t hold, uint64_t keep,
		     uint64_t bytes_max)
{
	return c->first && c->first < newest && (!c->open_lsn || c->first < c->open_lsn) &&
	       (!hold || c->first < hold) && (newest - c->first + 1 > keep || c->bytes > bytes_max);
}

/* Drop the oldest entries once the log holds more than STOR_LOG_KEEP
 * entries or its bytes exceed STOR_LOG_BYTES_MAX: down to 1/STOR_LOG_TRIM_SLACK
 * below the bound, in one DELETE; never entry `newest`, nor an entry of
 * the open transaction (its undo needs them), nor a STAGED entry put in
 * the last second or an entry of its transaction (staged_hold_floor:
 * closed by the next one's entry, it may still be undecided on the
 * leader, a chain of them too, and undone to its base).
 *
 * In bulk because a full log trimmed one entry per entry cost every
 * append a DELETE, a SELECT for the next oldest and the log's oldest
 * leaf page in the commit's WAL frames (a third page beside the row's and
 * the log's newest, a fourth when the leaf emptied onto the freelist);
 * one DELETE every keep/64 entries frees whole leaves at once. */
static int trim(stor_db *db, uint64_t newest, stor_log_cache *c, mur_error *err)
{
	uint64_t hold = staged_hold_floor(db), upto = 0;
	uint64_t keep = db->log_keep, bytes_max = db->log_bytes_max;
	sqlite3_stmt *st;
	int rc = SQLITE_DONE;
	if (!trimmable(c, newest, hold, keep, bytes_max))
		return MUR_OK;
	keep -= keep / STOR_LOG_TRIM_SLACK;
	bytes_max -= bytes_max / STOR_LOG_TRIM_SLACK;
	if (stor_prepare(db,
			 "SELECT lsn, length(changeset) FROM _murphy_log WHERE lsn > ?1"
			 " ORDER BY lsn",
			 &st, err) != MUR_OK)
		return MUR_ERR;
	sqlite3_bind_int64(st, 1, (sqlite3_int64)c->first);
	/* c->first (the oldest row) goes; each step reads the next oldest
	 * (newest stays, so a row follows every one that goes); the DELETE
	 * below takes exactly the rows walked: none is older than c->first */
	while (trimmable(c, newest, hold, keep, bytes_max)) {
		c->bytes = c->bytes > c->first_len ? c->bytes - c->first_len : 0;
		upto = c->first + 1;
		if ((rc = sqlite3_step(st)) != SQLITE_ROW) {
			c->first = c->first_len = 0;
			break;
		}
		c->first = (uint64_t)sqlite3_column_int64(st, 0);
		c->first_len = (uint64_t)sqlite3_column_int64(st, 1);
	}
	stor_release(db, st);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return stor_map_sqlite_error(db->db, rc, err);
	if (upto && exec_ints(db, "DELETE FROM _murphy_log WHERE lsn < ?1", 1, (int64_t)upto, 0,
			      err) != MUR_OK)
		return MUR_ERR;
	return MUR_OK;
}

#ifdef MUR_DEBUG_CHECKS
/* Whole-log check after log_put (debug builds): the log holds exactly
 * c->first .. newest, contiguous, and its bytes are c->bytes -- the
 * newest entry was not trimmed and the cache matches the table. */
static void check_log(stor_db *db, uint64_t newest, const stor_log_cache *c)
{
	sqlite3_stmt *st;
	mur_error err;
	if (stor_prepare(db,
			 "SELECT min(lsn), max(lsn), count(*), coalesce(sum(length(changeset)), 0)"
			 " FROM _murphy_log",
			 &st, &err) != MUR_OK)
		return;
	if (sqlite3_step(st) == SQLITE_ROW) {
		uint64_t lo = (uint64_t)sqlite3_column_int64(st, 0);
		uint64_t hi = (uint64_t)sqlite3_column_int64(st, 1);
		uint64_t n = (uint64_t)sqlite3_column_int64(st, 2);
		uint64_t bytes = (uint64_t)sqlite3_column_int64(st, 3);
		assert(hi == newest && lo == c->first && n == hi - lo + 1 && bytes == c->bytes);
	}
	stor_release(db, st);
	uint64_t txn, lsn;
	int staged;
	if (scan_open_txn(db, &txn, &lsn, &staged, &err) == MUR_OK)
		assert(txn == c->open_txn && lsn == c->open_lsn && staged == c->open_staged &&
		       (!lsn || lsn >= c->first));
}
#endif

/* Whether e may follow a log whose open transaction c holds (replog.h:
 * while one is open, only its own entries follow, but anything may follow
 * its STAGED entry, which it then closes), and the open transaction once
 * it does. */
static int follow_open_txn(stor_db *db, stor_log_cache *c, const stor_entry *e, uint64_t lsn,
			   mur_error *err)
{
	if (c->open_txn && c->open_staged && e->txn_id != c->open_txn)
		c->open_txn = c->open_lsn = 0; /* closed: committed (replog.h) */
	c->open_staged = 0;
	if (c->open_txn && e->txn_id != c->open_txn) {
		mur_error_set(err, STOR_SQLSTATE_TXN_ORDER,
			      "placement %s has transaction %" PRIu64 " open since lsn %" PRIu64
			      ": entry %" PRIu64 " cannot follow",
			      db->file, c->open_txn, c->open_lsn, lsn);
		if (e->txn_id)
			mur_error_detail(err, "The entry is %s of transaction %" PRIu64 ".",
					 e->kind == STOR_ENTRY_COMMIT ? "the commit marker"
								      : "data",
					 e->txn_id);
		else
			mur_error_detail(err, "The entry is autocommit (entry id %" PRIu64 ").",
					 e->entry_id);
		mur_error_hint(err,
			       "Append the open transaction's commit marker, or undo it, first.");
		return MUR_ERR;
	}
	if (e->kind == STOR_ENTRY_STAGED && c->open_txn != e->txn_id) {
		mur_error_set(err, STOR_SQLSTATE_TXN_ORDER,
			      "placement %s has no open transaction %" PRIu64
			      ": its staging marker (entry %" PRIu64 ") cannot follow",
			      db->file, e->txn_id, lsn);
		mur_error_hint(err, "A staging marker follows its transaction's data entries.");
		return MUR_ERR;
	}
	if (e->kind == STOR_ENTRY_COMMIT)
		c->open_txn = c->open_lsn = 0; /* its own marker, or of none open */
	else if (e->txn_id && !c->open_txn) {
		c->open_txn = e->txn_id;
		c->open_lsn = lsn;
	}
	c->open_staged = e->kind == STOR_ENTRY_STAGED;
	return MUR_OK;
}

/* Insert entry e as the newest, lsn, and trim: the new row is the
 * position (nothing else is written: two pages per entry, the row's and
 * the log's, not three). */
static int log_put(stor_db *db, uint64_t lsn, const stor_entry *e, mur_error *err)
{
	sqlite3_stmt *st;
	stor_log_cache c;
	uint64_t cur, cur_id;
	size_t len = e->len;
	STOR_ASSERT_LOCKED(db);
	position(db, &cur, &cur_id);
	assert(db->in_txn && lsn == cur + 1); /* the LSN grows by exactly one per entry */
	if (stor_entry_check(e, err) != MUR_OK)
		return MUR_ERR;
	if (log_state(db, &c, err) != MUR_OK) /* before the row: it is added below */
		return MUR_ERR;
	if (follow_open_txn(db, &c, e, lsn, err) != MUR_OK)
		return MUR_ERR;
	if (stor_prepare(db,
			 "INSERT INTO _murphy_log(lsn, entry_id, txn_id, kind, changeset)"
			 " VALUES (?1, ?2, ?3, ?4, ?5)",
			 &st, err) != MUR_OK)
		return MUR_ERR;
	sqlite3_bind_int64(st, 1, (sqlite3_int64)lsn);
	sqlite3_bind_int64(st, 2, (sqlite3_int64)e->entry_id);
	sqlite3_bind_int64(st, 3, (sqlite3_int64)e->txn_id);
	sqlite3_bind_int(st, 4, e->kind);
	/* a marker's changeset is empty, not NULL (a NULL pointer binds NULL) */
	sqlite3_bind_blob64(st, 5, len ? e->cs : "", len, SQLITE_STATIC);
	int rc = sqlite3_step(st);
	stor_release(db, st);
	if (rc != SQLITE_DONE)
		return stor_map_sqlite_error(db->db, rc, err);
	c.bytes += len;
	if (e->kind == STOR_ENTRY_STAGED) /* with its transaction's entries (its undo) */
		staged_hold_note(db, c.open_txn == e->txn_id && c.open_lsn ? c.open_lsn : lsn);
	if (!c.first) {
		c.first = lsn;
		c.first_len = len;
	}
	if (trim(db, lsn, &c, err) != MUR_OK)
		return MUR_ERR;
#ifdef MUR_DEBUG_CHECKS
	check_log(db, lsn, &c);
#endif
	stor_set_pending_position(db, lsn, e->entry_id);
	db->logp = c;
	return MUR_OK;
}

int stor_log_append(stor_db *db, const stor_entry *e, uint64_t *lsn, mur_error *err)
{
	uint64_t cur, cur_id;
	position(db, &cur, &cur_id);
	if (log_put(db, cur + 1, e, err) != MUR_OK)
		return MUR_ERR;
	*lsn = cur + 1;
	return MUR_OK;
}

int stor_log_get(stor_db *db, uint64_t lsn, int *found, uint64_t *entry_id, void **cs, size_t *len,
		 int *kind, mur_error *err)
{
	sqlite3_stmt *st;
	*found = 0;
	if (cs)
		*cs = NULL;
	*len = 0;
	if (kind)
		*kind = STOR_ENTRY_DATA;
	if (stor_prepare(db, "SELECT entry_id, changeset, kind FROM _murphy_log WHERE lsn = ?1",
			 &st, err) != MUR_OK)
		return MUR_ERR;
	sqlite3_bind_int64(st, 1, (sqlite3_int64)lsn);
	int rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		*found = 1;
		*entry_id = (uint64_t)sqlite3_column_int64(st, 0);
		*len = (size_t)sqlite3_column_bytes(st, 1);
		if (kind)
			*kind = sqlite3_column_int(st, 2);
		if (cs && (*cs = malloc(*len ? *len : 1)) == NULL) {
			stor_release(db, st);
			return mur_error_set(err, SQLSTATE_OUT_OF_MEMORY, "out of memory");
		}
		if (cs && *len)
			memcpy(*cs, sqlite3_column_blob(st, 1), *len);
	}
	stor_release(db, st);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return stor_map_sqlite_error(db->db, rc, err);
	return MUR_OK;
}

/* ---- applying changesets ----------------------------------------- */

typedef struct apply_ctx {
	int conflict; /* SQLITE_CHANGESET_* of the first conflict, 0 = none */
	int half;     /* stor_db.split_half: a row the copy does not hold is skipped */
} apply_ctx;

static int apply_conflict(void *p, int kind, sqlite3_changeset_iter *it)
{
	(void)it;
	apply_ctx *a = p;
	if (a->half && kind == SQLITE_CHANGESET_NOTFOUND)
		return SQLITE_CHANGESET_OMIT; /* a row of the other half */
	if (!a->conflict)
		a->conflict = kind;
	return SQLITE_CHANGESET_ABORT;
}

static const char *conflict_name(int kind)
{
	switch (kind) {
	case SQLITE_CHANGESET_DATA:
		return "row differs";
	case SQLITE_CHANGESET_NOTFOUND:
		return "row not found";
	case SQLITE_CHANGESET_CONFLICT:
		return "row already exists";
	case SQLITE_CHANGESET_CONSTRAINT:
		return "constraint violation";
	case SQLITE_CHANGESET_FOREIGN_KEY:
		return "foreign key violation";
	default:
		return "conflict";
	}
}

/* Number of ops in a changeset; SQLite rc (SQLITE_CORRUPT when malformed). */
static int count_ops(const void *cs, size_t len, int64_t *nops)
{
	sqlite3_changeset_iter *it;
	*nops = 0;
	int rc = sqlite3changeset_start(&it, (int)len, (void *)cs);
	if (rc != SQLITE_OK)
		return rc;
	while ((rc = sqlite3changeset_next(it)) == SQLITE_ROW)
		(*nops)++;
	int frc = sqlite3changeset_finalize(it);
	return rc == SQLITE_DONE ? frc : rc;
}

/* ---- applying changesets: kept statements ---------------------------------
 *
 * sqlite3changeset_apply prepares its statements, and reads the table's
 * columns through pragma_table_info, on every call: for the one-row
 * entries of OLTP writes that parsing was about a tenth of a follower's CPU
 * (perf, pgbench).  apply_kept applies each op with the statement
 * sqlite3changeset_apply builds for it (INSERT of every column; DELETE and
 * UPDATE of the row whose key and old values match, the same = and IS
 * comparisons), prepared once in the placement's statement cache
 * (stor_prepare), inside a savepoint.  Any op that does not change exactly
 * one row, and any error or surprise (columns or key not as the changeset
 * says), rolls the savepoint back and the entry goes through
 * sqlite3changeset_apply, which then applies it or reports the conflict as
 * it always did.  So apply_kept only ever completes what
 * sqlite3changeset_apply would have done without a conflict. */

/* The columns of the table an op names, as pragma_table_info lists them
 * (db->apply_tab: read once, while the schema stays at schema_version). */
/* SQL texts built for the table's ops, by op and the columns whose new
 * and old values the op carries (tables of at most 64 columns): a
 * replica's UPDATEs of one table repeat a shape, and formatting its text
 * again for each op was a percent of a follower's CPU under TPC-B. */
#define APPLY_SQL_KEPT 8
typedef struct apply_sql_kept {
	int op;
	uint64_t new_cols, old_cols;
	char *sql; /* sqlite3_malloc'd; NULL: a free slot */
} apply_sql_kept;

typedef struct stor_apply_tab {
	char *name; /* malloc'd */
	int ncol;
	char **cols;       /* ncol malloc'd names */
	unsigned char *pk; /* ncol flags: part of the primary key */
	int64_t schema_version;
	apply_sql_kept kept[APPLY_SQL_KEPT]; /* replaced round robin */
	int kept_next;
} apply_tab;

void stor_apply_tab_free(stor_db *db)
{
	apply_tab *t = db->apply_tab;
	if (!t)
		return;
	for (int i = 0; i < t->ncol; i++)
		free(t->cols[i]);
	for (int i = 0; i < APPLY_SQL_KEPT; i++)
		sqlite3_free(t->kept[i].sql);
	free(t->cols);
	free(t->pk);
	free(t->name);
	free(t);
	db->apply_tab = NULL;
}

int64_t stor_schema_version(stor_db *db)
{
	sqlite3_stmt *st;
	mur_error err;
	int64_t v = -1;
	if (stor_prepare(db, "PRAGMA schema_version", &st, &err) != MUR_OK)
		return -1;
	if (sqlite3_step(st) == SQLITE_ROW)
		v = sqlite3_column_int64(st, 0);
	stor_release(db, st);
	return v;
}

/* Read table's columns into a new db->apply_tab; 0, or -1 on any error. */
static int apply_tab_load(stor_db *db, const char *table, int ncol, int64_t version)
{
	sqlite3_stmt *st;
	mur_error err;
	apply_tab *t;
	int n = 0, rc = SQLITE_ERROR;
	stor_apply_tab_free(db);
	if (!(t = calloc(1, sizeof *t)))
		return -1;
	db->apply_tab = t;
	t->schema_version = version;
	if (!(t->name = strdup(table)) || !(t->cols = calloc((size_t)ncol, sizeof *t->cols)) ||
	    !(t->pk = calloc((size_t)ncol, 1)) ||
	    stor_prepare(db, "SELECT name, pk FROM pragma_table_info(?1, 'main')", &st, &err) !=
		    MUR_OK) {
		stor_apply_tab_free(db);
		return -1;
	}
	sqlite3_bind_text(st, 1, table, -1, SQLITE_STATIC);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW && n < ncol) {
		const char *name = (const char *)sqlite3_column_text(st, 0);
		if (!name || !(t->cols[n] = strdup(name)))
			break;
		t->pk[n++] = sqlite3_column_int(st, 1) != 0;
		t->ncol = n;
	}
	stor_release(db, st);
	if (rc != SQLITE_DONE || n != ncol) {
		stor_apply_tab_free(db);
		return -1;
	}
	return 0;
}

/* The columns of table for an op of ncol columns with key flags pk: NULL
 * when the table's columns or key do not match the op's (or on error). */
static apply_tab *apply_tab_get(stor_db *db, const char *table, int ncol, const unsigned char *pk,
				int64_t version)
{
	apply_tab *t = db->apply_tab;
	if (!t || t->schema_version != version || strcmp(t->name, table) != 0 || t->ncol != ncol) {
		if (apply_tab_load(db, table, ncol, version) != 0)
			return NULL;
		t = db->apply_tab;
	}
	return memcmp(t->pk, pk, (size_t)ncol) == 0 ? t : NULL;
}

/* The SQL sqlite3changeset_apply runs for the op (sqlite3_malloc'd), its
 * parameters numbered in *binds order: column i's new value is bind 2i+1,
 * its old value bind 2i+2 (the ones a statement does not use stay unbound). */
static char *apply_sql(const apply_tab *t, int op, sqlite3_changeset_iter *it)
{
	sqlite3_str *q = sqlite3_str_new(NULL);
	const char *sep = "";
	sqlite3_value *v;
	if (op == SQLITE_INSERT) {
		sqlite3_str_appendf(q, "INSERT INTO main.\"%w\" VALUES(", t->name);
		for (int i = 0; i < t->ncol; i++)
			sqlite3_str_appendf(q, "%s?%d", i ? "," : "", 2 * i + 1);
		sqlite3_str_appendall(q, ")");
		return sqlite3_str_finish(q);
	}
	if (op == SQLITE_UPDATE) {
		sqlite3_str_appendf(q, "UPDATE main.\"%w\" SET ", t->name);
		for (int i = 0; i < t->ncol; i++)
			if (sqlite3changeset_new(it, i, &v) == SQLITE_OK && v) {
				sqlite3_str_appendf(q, "%s\"%w\" = ?%d", sep, t->cols[i],
						    2 * i + 1);
				sep = ", ";
			}
	} else {
		sqlite3_str_appendf(q, "DELETE FROM main.\"%w\"", t->name);
	}
	sep = " WHERE ";
	for (int i = 0; i < t->ncol; i++)
		if (t->pk[i] || (sqlite3changeset_old(it, i, &v) == SQLITE_OK && v)) {
			sqlite3_str_appendf(q, "%s\"%w\" %s ?%d", sep, t->cols[i],
					    t->pk[i] ? "=" : "IS", 2 * i + 2);
			sep = " AND ";
		}
	return sqlite3_str_finish(q);
}

/* apply_sql's text for the op, kept in t (not to be freed); NULL on
 * error.  The text depends only on the op and on which columns have a new
 * and an old value. */
static const char *apply_sql_kept_get(apply_tab *t, int op, sqlite3_changeset_iter *it)
{
	uint64_t new_cols = 0, old_cols = 0;
	sqlite3_value *v;
	if (t->ncol > 64) /* no key for it: built each time, kept in the last slot */
		goto build;
	for (int i = 0; i < t->ncol; i++) {
		if (op == SQLITE_UPDATE && sqlite3changeset_new(it, i, &v) == SQLITE_OK && v)
			new_cols |= (uint64_t)1 << i;
		if (op != SQLITE_INSERT && sqlite3changeset_old(it, i, &v) == SQLITE_OK && v)
			old_cols |= (uint64_t)1 << i;
	}
	for (int i = 0; i < APPLY_SQL_KEPT; i++) {
		const apply_sql_kept *k = &t->kept[i];
		if (k->sql && k->op == op && k->new_cols == new_cols && k->old_cols == old_cols)
			return k->sql;
	}
build:;
	apply_sql_kept *k = &t->kept[t->ncol > 64 ? APPLY_SQL_KEPT - 1 : t->kept_next];
	if (t->ncol <= 64)
		t->kept_next = (t->kept_next + 1) % APPLY_SQL_KEPT;
	sqlite3_free(k->sql);
	*k = (apply_sql_kept){.op = op, .new_cols = new_cols, .old_cols = old_cols};
	if (!(k->sql = apply_sql(t, op, it)))
		return NULL;
	if (t->ncol > 64)
		k->op = -1; /* never matched */
	return k->sql;
}

/* Bind the op's values as apply_sql numbered them and step: 0 when it
 * changed exactly one row. */
static int apply_op(stor_db *db, apply_tab *t, int op, sqlite3_changeset_iter *it)
{
	sqlite3_stmt *st;
	sqlite3_value *v;
	mur_error err;
	const char *sql = apply_sql_kept_get(t, op, it);
	if (!sql || stor_prepare(db, sql, &st, &err) != MUR_OK)
		return -1;
	int rc;
	for (int i = 0; i < t->ncol; i++) {
		if (op != SQLITE_DELETE && sqlite3changeset_new(it, i, &v) == SQLITE_OK && v)
			sqlite3_bind_value(st, 2 * i + 1, v);
		if (op != SQLITE_INSERT && sqlite3changeset_old(it, i, &v) == SQLITE_OK && v)
			sqlite3_bind_value(st, 2 * i + 2, v);
	}
	rc = sqlite3_step(st);
	rc = rc == SQLITE_DONE && sqlite3_changes(db->db) == 1 ? 0 : -1;
	stor_release(db, st);
	return rc;
}

/* Apply cs with kept statements: MUR_OK when every op changed its row;
 * otherwise nothing of cs is applied (the savepoint rolled back) and the
 * caller runs sqlite3changeset_apply. */
static int apply_kept(stor_db *db, const void *cs, size_t len)
{
	sqlite3_changeset_iter *it = NULL;
	int64_t version = stor_schema_version(db);
	mur_error err;
	int ok = version >= 0, rc = SQLITE_DONE;
	if (!ok || stor_run_cached(db, "SAVEPOINT murphy_apply", &err) != MUR_OK)
		return MUR_ERR;
	if (sqlite3changeset_start(&it, (int)len, (void *)cs) != SQLITE_OK) {
		ok = 0;
		it = NULL;
	}
	while (ok && (rc = sqlite3changeset_next(it)) == SQLITE_ROW) {
		apply_tab *t;
		const char *table;
		unsigned char *pk;
		int ncol, npk, op, indirect;
		ok = sqlite3changeset_op(it, &table, &ncol, &op, &indirect) == SQLITE_OK &&
		     sqlite3changeset_pk(it, &pk, &npk) == SQLITE_OK &&
		     (t = apply_tab_get(db, table, ncol, pk, version)) != NULL &&
		     apply_op(db, t, op, it) == 0;
	}
	if (ok && rc != SQLITE_DONE)
		ok = 0;
	if (it && sqlite3changeset_finalize(it) != SQLITE_OK)
		ok = 0;
	if (!ok) {
		stor_run_cached(db, "ROLLBACK TO murphy_apply", &err);
		stor_run_cached(db, "RELEASE murphy_apply", &err);
		return MUR_ERR;
	}
	return stor_run_cached(db, "RELEASE murphy_apply", &err);
}

/* Apply cs (inverted when invert) to the open transaction; any conflict
 * or skipped op fails.  `what` and lsn name the entry in messages. */
static int apply_changeset(stor_db *db, const void *cs, size_t len, int invert, uint64_t lsn,
			   mur_error *err)
{
	const char *what = invert ? "undoing" : "applying";
	void *inv = NULL;
	apply_ctx a = {0};
	int64_t nops;
	if (len > (size_t)INT_MAX || len > STOR_CHANGESET_BYTES_MAX)
		return mur_error_set(err, SQLSTATE_PROGRAM_LIMIT_EXCEEDED,
				     "changeset of entry %" PRIu64 " is too large (%zu bytes)", lsn,
				     len);
	if (len == 0)
		return MUR_OK;
	if (invert) {
		int ninv = 0;
		int rc = sqlite3changeset_invert((int)len, cs, &ninv, &inv);
		if (rc != SQLITE_OK) {
			sqlite3_free(inv);
			return mur_error_set(err, SQLSTATE_INTERNAL_ERROR,
					     "cannot invert changeset of entry %" PRIu64 ": %s",
					     lsn, sqlite3_errstr(rc));
		}
		cs = inv;
		len = (size_t)ninv;
	}
	int rc = count_ops(cs, len, &nops);
	if (rc != SQLITE_OK) {
		sqlite3_free(inv);
		return mur_error_set(err, SQLSTATE_PROTOCOL_VIOLATION,
				     "malformed changeset in entry %" PRIu64 ": %s", lsn,
				     sqlite3_errstr(rc));
	}
	a.half = db->split_half;
	if (!db->split_half && apply_kept(db, cs, len) == MUR_OK) {
		sqlite3_free(inv);
		return MUR_OK; /* every op changed its one row: nops rows */
	}
	sqlite3_int64 before = sqlite3_total_changes64(db->db);
	rc = sqlite3changeset_apply(db->db, (int)len, (void *)cs, NULL, apply_conflict, &a);
	int64_t changed = (int64_t)(sqlite3_total_changes64(db->db) - before);
	sqlite3_free(inv);
	if (a.conflict) {
		mur_error_set(err, STOR_SQLSTATE_LOG, "changeset conflict %s entry %" PRIu64, what,
			      lsn);
		mur_error_detail(err, "%s on placement %s", conflict_name(a.conflict), db->file);
		return MUR_ERR;
	}
	if (rc != SQLITE_OK) {
		stor_map_sqlite_error(db->db, rc, err);
		mur_error_context(err, "%s entry %" PRIu64, what, lsn);
		return MUR_ERR;
	}
	if (changed != nops && !db->split_half) {
		mur_error_set(err, STOR_SQLSTATE_LOG,
			      "changeset of entry %" PRIu64
			      " does not match the schema of placement %s",
			      lsn, db->file);
		mur_error_detail(err, "%" PRId64 " of %" PRId64 " row changes applied", changed,
				 nops);
		return MUR_ERR;
	}
	return MUR_OK;
}

/* One entry under the APPLY rules, inside the open transaction.  *skipped
 * = 1 when this placement already holds it (nothing done). */
static int apply_one(stor_db *db, const stor_entry *e, int *skipped, mur_error *err)
{
	uint64_t cur, cur_id, held_id = 0, lsn = e->lsn, entry_id = e->entry_id;
	int found = 0;
	size_t nlen;
	*skipped = 0;
	position(db, &cur, &cur_id);
	if (lsn == 0)
		return mur_error_set(err, SQLSTATE_PROTOCOL_VIOLATION, "log entry with lsn 0");
	if (lsn <= cur) {
		if (lsn == cur)
			found = 1, held_id = cur_id;
		else if (stor_log_get(db, lsn, &found, &held_id, NULL, &nlen, NULL, err) != MUR_OK)
			return MUR_ERR;
		if (found && held_id == entry_id) {
			*skipped = 1;
			return MUR_OK;
		}
		if (found) {
			mur_error_set(err, STOR_SQLSTATE_LOG,
				      "placement %s holds a different entry %" PRIu64, db->file,
				      lsn);
			mur_error_detail(err, "entry id %" PRIu64 " here, %" PRIu64 " applied",
					 held_id, entry_id);
			return MUR_ERR;
		}
	}
	if (lsn != cur + 1)
		return mur_error_set(err, STOR_SQLSTATE_LOG,
				     "placement %s is at lsn %" PRIu64
				     ", cannot apply entry %" PRIu64,
				     db->file, cur, lsn);
	/* a marker's changeset column holds no row changes (STAGED: its
	 * participants) */
	if (e->kind == STOR_ENTRY_DATA && apply_changeset(db, e->cs, e->len, 0, lsn, err) != MUR_OK)
		return MUR_ERR;
	if (e->kind == STOR_ENTRY_DDL && run_ddl_entry(db, e->cs, e->len, 0, lsn, err) != MUR_OK)
		return MUR_ERR;
	return log_put(db, lsn, e, err);
}

int stor_log_apply(stor_db *db, const stor_entry *e, mur_error *err)
{
	int skipped;
	STOR_ASSERT_LOCKED(db);
	if (stor_begin(db, err) != MUR_OK)
		return MUR_ERR;
	if (apply_one(db, e, &skipped, err) != MUR_OK) {
		stor_rollback(db);
		return MUR_ERR;
	}
	if (skipped) {
		stor_rollback(db); /* nothing was written */
		return MUR_OK;
	}
	/* durable: through the follower WAL when it is on (fwal.h); a
	 * schema change commits with synchronous=FULL instead (the WAL's
	 * replay re-applies row changes only) */
	if (stor_fwal_prepare_commit(db, e->kind != STOR_ENTRY_DDL, e->len, err) != MUR_OK) {
		stor_rollback(db);
		return MUR_ERR;
	}
	if (stor_commit(db, err) != MUR_OK)
		return MUR_ERR;
	return stor_fwal_log_entry(db, e, err);
}

int stor_apply_entries(stor_db *db, const char *p, size_t len, uint64_t *lsn_out, mur_error *err)
{
	mur_rd rd;
	int skipped, applied = 0;
	*lsn_out = 0;
	if (stor_lock(db, err) != MUR_OK)
		return MUR_ERR;
	if (stor_begin(db, err) != MUR_OK)
		goto fail;
	mur_rd_init(&rd, p, len);
	while (mur_rd_left(&rd) > 0) {
		stor_entry e;
		if (stor_entry_get(&rd, &e) != MUR_OK) {
			mur_error_set(err, SQLSTATE_PROTOCOL_VIOLATION, "malformed log entries");
			goto rollback;
		}
		if (apply_one(db, &e, &skipped, err) != MUR_OK)
			goto rollback;
		applied += !skipped;
	}
	if (!applied)
		stor_rollback(db);
	else if (stor_fwal_prepare_commit(db, 0, 0, err) != MUR_OK) /* catch-up: FULL */
		goto rollback;
	else if (stor_commit(db, err) != MUR_OK)
		goto fail;
	*lsn_out = db->lsn;
	stor_unlock(db);
	return MUR_OK;
rollback:
	stor_rollback(db);
fail:
	*lsn_out = db->lsn;
	stor_unlock(db);
	return MUR_ERR;
}

/* ---- undo -------------------------------------------------------- */

/* Invert entries cur … target+1 inside the open transaction. */
static int undo_entries(stor_db *db, uint64_t cur, uint64_t target, mur_error *err)
{
	for (uint64_t lsn = cur; lsn > target; lsn--) {
		uint64_t entry_id;
		void *cs;
		size_t len;
		int found, kind;
		if (stor_log_get(db, lsn, &found, &entry_id, &cs, &len, &kind, err) != MUR_OK)
			return MUR_ERR;
		if (!found)
			return mur_error_set(err, STOR_SQLSTATE_LOG,
					     "cannot undo to lsn %" PRIu64 ": entries trimmed",
					     target);
		/* a marker has nothing to invert (STAGED: its participants) */
		int rc = kind == STOR_ENTRY_DATA  ? apply_changeset(db, cs, len, 1, lsn, err)
			 : kind == STOR_ENTRY_DDL ? run_ddl_entry(db, cs, len, 1, lsn, err)
						  : MUR_OK;
		free(cs);
		if (rc != MUR_OK || exec_ints(db, "DELETE FROM _murphy_log WHERE lsn = ?1", 1,
					      (int64_t)lsn, 0, err) != MUR_OK)
			return MUR_ERR;
	}
	return MUR_OK;
}

int stor_log_undo(stor_db *db, uint64_t target, mur_error *err)
{
	uint64_t cur = db->lsn, target_id = 0;
	int found;
	size_t nlen;
	STOR_ASSERT_LOCKED(db);
	if (target > cur)
		return mur_error_set(err, STOR_SQLSTATE_LOG,
				     "cannot undo to lsn %" PRIu64 ": placement is at lsn %" PRIu64,
				     target, cur);
	if (target == cur)
		return MUR_OK;
	if (stor_begin(db, err) != MUR_OK)
		return MUR_ERR;
	db->logc.valid = 0; /* entries go: read the log's state again next time */
	if (undo_entries(db, cur, target, err) != MUR_OK)
		goto rollback;
	if (target > 0 &&
	    stor_log_get(db, target, &found, &target_id, NULL, &nlen, NULL, err) != MUR_OK)
		goto rollback;
	if (stor_set_position(db, target, target_id, err) != MUR_OK ||
	    stor_fwal_prepare_commit(db, 1, 0, err) != MUR_OK)
		goto rollback;
	if (stor_commit(db, err) != MUR_OK)
		return MUR_ERR;
	return stor_fwal_log_undo(db, target, err);
rollback:
	stor_rollback(db);
	return MUR_ERR;
}
