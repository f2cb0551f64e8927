/*
 * batch_txn.c — one SQLite transaction for a write batch's entries on one
 * placement (storage.h, stor_batch_begin).
 *
 * A follower's write batch (follower/write_batch.c) often holds several
 * entries of one placement: under TPC-B a transaction's APPLY and its
 * staging marker, or a primary's row insert and its marker.  Each was its
 * own SQLite transaction, and a commit is most of an entry's cost (the
 * WAL frames of every page it dirtied, written with pwrite, the log page
 * again by the next entry).  Between stor_batch_begin and stor_batch_end
 * the transactions stor_begin opens on db share one:
 *
 *   stor_begin  (first)   BEGIN (IMMEDIATE / exclusive as ever); remember
 *                         the committed position and log cache
 *   stor_begin  (later)   SAVEPOINT b
 *   stor_commit           RELEASE b (nothing for the first); the entry's
 *                         position is published as after a COMMIT, so the
 *                         next entry's LSN check and log rules see it;
 *                         its follower WAL record is queued (fwal.c)
 *   stor_rollback         ROLLBACK TO b; RELEASE b: that entry alone is
 *                         undone.  For the first: ROLLBACK (it held
 *                         nothing else)
 *   stor_batch_end        COMMIT; the -wal fdatasync when one entry was
 *                         strict; append the queued records to the
 *                         follower WAL (in LSN order, under the lock)
 *
 * So each entry stays individually undoable and its changeset exact (a
 * session or row capture sees only its own statement's changes, the
 * savepoint's); what changes is when it is committed: at the batch's
 * end, before any answer (early or final) leaves, and its WAL record is
 * appended only after that COMMIT succeeded — a record of an entry that
 * was never committed would be replayed at restart.
 *
 * Lost: when SQLite rolls the whole transaction back by itself (an I/O
 * error, a full disk, out of memory inside a statement) or its COMMIT
 * fails, every entry it held is undone: the position and log cache go
 * back to what they were before it, later stor_begins on db fail until
 * stor_batch_end, which reports the loss (58030) so that the caller fails
 * every entry of db that ran in the batch.
 *
 * The caller holds db's lock from stor_batch_begin to stor_batch_end (no
 * other task may see the uncommitted entries: they share the connection).
 */
#include "storage/storage_int.h"

#define BATCH_SAVEPOINT "SAVEPOINT stor_batch"
#define BATCH_RELEASE "RELEASE stor_batch"
#define BATCH_ROLLBACK_TO "ROLLBACK TO stor_batch"

void stor_batch_begin(stor_db *db)
{
	STOR_ASSERT_LOCKED(db);
	assert(!db->in_txn && !db->batch.on);
	db->batch.on = 1;
}

void stor_batch_opened(stor_db *db)
{
	db->batch.open = 1;
	db->batch.nested = 0;
	db->batch.lsn = db->lsn;
	db->batch.entry_id = db->entry_id;
	db->batch.logc = db->logc;
	mur_buf_reset(&db->batch.recs);
}

/* The item in progress ends (committed or not): what stor_rollback
 * forgets. */
static void item_forget(stor_db *db)
{
	db->strict = 0;
	db->fwal_log = 0;
	db->in_txn = 0;
	db->has_pending = 0;
	db->logp.valid = 0;
	db->batch.nested = 0;
}

/* Everything the batch transaction held is undone: back to the position
 * before it.  The caches of table columns were maybe read under a schema
 * the rollback took back: read them again. */
static void lose(stor_db *db)
{
	if (!sqlite3_get_autocommit(db->db))
		sqlite3_exec(db->db, "ROLLBACK", NULL, NULL, NULL);
	item_forget(db);
	db->lsn = db->batch.lsn;
	db->entry_id = db->batch.entry_id;
	db->logc = db->batch.logc;
	db->batch.open = 0;
	db->batch.lost = 1;
	db->batch.strict = 0;
	mur_buf_reset(&db->batch.recs);
	stor_apply_tab_free(db);
	stor_rowcap_tab_free(db);
}

int stor_batch_savepoint(stor_db *db, mur_error *err)
{
	if (db->batch.open && sqlite3_get_autocommit(db->db))
		lose(db);
	if (db->batch.lost)
		return mur_error_set(err, SQLSTATE_IO_ERROR,
				     "placement %s: the write batch's transaction was rolled back",
				     db->file);
	if (stor_run_cached(db, BATCH_SAVEPOINT, err) != MUR_OK)
		return MUR_ERR;
	db->in_txn = 1;
	db->has_pending = 0;
	db->logp.valid = 0;
	db->fwal_log = 0;
	db->batch.nested = 1;
	return MUR_OK;
}

int stor_batch_release(stor_db *db, mur_error *err)
{
	if (db->batch.nested && stor_run_cached(db, BATCH_RELEASE, err) != MUR_OK) {
		stor_batch_rollback(db);
		return MUR_ERR;
	}
	db->batch.nested = 0;
	db->batch.strict |= db->strict;
	db->strict = 0;
	stor_publish_pending(db);
	return MUR_OK;
}

void stor_batch_rollback(stor_db *db)
{
	if (sqlite3_get_autocommit(db->db)) {
		lose(db); /* SQLite rolled it all back */
		return;
	}
	if (!db->in_txn) /* no transaction in progress (a caller's second
			    stor_rollback after a failed stor_commit): nothing */
		return;
	if (!db->batch.nested) { /* the first: the transaction held nothing else */
		sqlite3_exec(db->db, "ROLLBACK", NULL, NULL, NULL);
		item_forget(db);
		db->batch.open = 0;
		return;
	}
	if (sqlite3_exec(db->db, BATCH_ROLLBACK_TO "; " BATCH_RELEASE, NULL, NULL, NULL) !=
	    SQLITE_OK) {
		lose(db);
		return;
	}
	item_forget(db);
}

int stor_batch_end(stor_db *db, mur_error *err)
{
	int rc = MUR_OK;
	STOR_ASSERT_LOCKED(db);
	assert(db->batch.on && !db->in_txn);
	if (db->batch.open && sqlite3_get_autocommit(db->db))
		lose(db);
	if (db->batch.open && stor_run_cached(db, "COMMIT", err) != MUR_OK) {
		lose(db);
		rc = MUR_ERR;
	} else if (db->batch.open) {
		mur_error log_err;
		db->batch.open = 0;
		db->strict = db->batch.strict;
		rc = stor_end_strict(db, err);
		/* committed: the records go in even when the fdatasync failed */
		if (stor_fwal_log_queued(db, &log_err) != MUR_OK && rc == MUR_OK) {
			*err = log_err;
			rc = MUR_ERR;
		}
	} else if (db->batch.lost) {
		rc = mur_error_set(err, SQLSTATE_IO_ERROR,
				   "placement %s: the write batch's transaction was rolled back",
				   db->file);
	}
	db->batch.on = db->batch.open = db->batch.lost = db->batch.strict = 0;
	mur_buf_reset(&db->batch.recs);
	return rc;
}
