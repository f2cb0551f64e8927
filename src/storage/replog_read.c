/*
 * replog_read.c — reading a placement's shard log for a peer (replog.h):
 * stor_log_read streams entries after a position in the wire encoding
 * (u64 lsn | u64 entry_id | u64 txn_id | u8 kind | u32 len | changeset:
 * stor_entry_put / stor_entry_get), bounded by bytes_max but always at
 * least one entry so a single huge entry still moves; stor_log_entry_at
 * answers "do we share history up to lsn?".
 *
 * Both take the placement's lock, so a concurrent append cannot slip in
 * between the position check and the read.  The log holds a contiguous
 * range of lsns; a gap is reported as corruption (XX001), never skipped.
 *
 * Memory: entries are appended to the caller's buffer.
 */
#include "storage/replog.h"

#include "storage/storage_int.h"

#include <inttypes.h>
#include <string.h>

void stor_entry_put(mur_buf *out, const stor_entry *e)
{
	mur_buf_put_u64(out, e->lsn);
	mur_buf_put_u64(out, e->entry_id);
	mur_buf_put_u64(out, e->txn_id);
	mur_buf_put_u8(out, e->kind);
	mur_buf_put_lstr(out, e->cs, e->len);
}

int stor_entry_get(mur_rd *r, stor_entry *e)
{
	mur_error err;
	uint32_t n;
	e->lsn = mur_rd_u64(r);
	e->entry_id = mur_rd_u64(r);
	e->txn_id = mur_rd_u64(r);
	e->kind = mur_rd_u8(r);
	n = mur_rd_u32(r);
	e->cs = mur_rd_bytes(r, n);
	e->len = n;
	if (!mur_rd_ok(r) || stor_entry_check(e, &err) != MUR_OK)
		return MUR_EPROTO;
	return MUR_OK;
}

static int read_entries(stor_db *db, uint64_t after_lsn, size_t bytes_max, mur_buf *out,
			uint64_t *nentries, uint64_t *last_lsn, mur_error *err)
{
	sqlite3_stmt *st;
	size_t added = 0;
	int rc;
	if (stor_prepare(db,
			 "SELECT lsn, entry_id, txn_id, kind, changeset FROM _murphy_log WHERE lsn "
			 "> ?1"
			 " ORDER BY lsn",
			 &st, err) != MUR_OK)
		return MUR_ERR;
	sqlite3_bind_int64(st, 1, (sqlite3_int64)after_lsn);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		stor_entry e = {
			.lsn = (uint64_t)sqlite3_column_int64(st, 0),
			.entry_id = (uint64_t)sqlite3_column_int64(st, 1),
			.txn_id = (uint64_t)sqlite3_column_int64(st, 2),
			.kind = (uint8_t)sqlite3_column_int(st, 3),
			.len = (size_t)sqlite3_column_bytes(st, 4),
		};
		if (e.lsn != *last_lsn + 1) {
			stor_release(db, st);
			return mur_error_set(err, "XX001",
					     "log of placement %s skips from %" PRIu64
					     " to %" PRIu64,
					     db->file, *last_lsn, e.lsn);
		}
		if (*nentries > 0 && added + STOR_ENTRY_HEADER_BYTES + e.len > bytes_max)
			break;
		e.cs = sqlite3_column_blob(st, 4);
		stor_entry_put(out, &e);
		added += STOR_ENTRY_HEADER_BYTES + e.len;
		(*nentries)++;
		*last_lsn = e.lsn;
	}
	stor_release(db, st);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return stor_map_sqlite_error(db->db, rc, err);
	if (!mur_buf_ok(out))
		return mur_error_set(err, SQLSTATE_OUT_OF_MEMORY, "out of memory");
	return MUR_OK;
}

int stor_log_read(stor_db *db, uint64_t after_lsn, size_t bytes_max, mur_buf *out,
		  uint64_t *nentries, uint64_t *last_lsn, mur_error *err)
{
	uint64_t first;
	int rc = MUR_ERR;
	*nentries = 0;
	*last_lsn = after_lsn;
	if (stor_lock(db, err) != MUR_OK)
		return MUR_ERR;
	if (after_lsn > db->lsn) {
		mur_error_set(err, STOR_SQLSTATE_LOG,
			      "cannot read entries after lsn %" PRIu64
			      ": placement is at lsn %" PRIu64,
			      after_lsn, db->lsn);
		goto done;
	}
	if (after_lsn == db->lsn) {
		rc = MUR_OK;
		goto done;
	}
	if (stor_log_first(db, &first, err) != MUR_OK)
		goto done;
	if (first == 0 || after_lsn + 1 < first) {
		mur_error_set(err, STOR_SQLSTATE_LOG,
			      "entries after lsn %" PRIu64 " are no longer in the log", after_lsn);
		mur_error_detail(err,
				 "placement %s is at lsn %" PRIu64 "; its log starts at %" PRIu64,
				 db->file, db->lsn, first);
		goto done;
	}
	rc = read_entries(db, after_lsn, bytes_max, out, nentries, last_lsn, err);
done:
	stor_unlock(db);
	return rc;
}

int stor_log_entry_at(stor_db *db, uint64_t lsn, int *found, uint64_t *entry_id, mur_error *err)
{
	size_t len;
	*found = 0;
	*entry_id = 0;
	if (stor_lock(db, err) != MUR_OK)
		return MUR_ERR;
	int rc = MUR_OK;
	if (lsn == 0)
		*found = 1; /* the empty beginning every copy shares */
	else if (lsn == db->lsn) {
		*found = 1;
		*entry_id = db->entry_id;
	} else if (lsn < db->lsn)
		rc = stor_log_get(db, lsn, found, entry_id, NULL, &len, NULL, err);
	stor_unlock(db);
	return rc;
}
