/*
 * replog.h — the shard log inside every placement file (docs/replication.md).
 *
 * Each placement file holds, next to the user's tables:
 *
 *   _murphy_log(lsn INTEGER PRIMARY KEY, entry_id INTEGER NOT NULL,
 *               txn_id INTEGER NOT NULL DEFAULT 0,
 *               kind INTEGER NOT NULL DEFAULT 0,
 *               changeset BLOB NOT NULL)
 *                              the row changesets (SQLite session extension)
 *                              of the newest entries, for catch-up and undo;
 *                              txn_id: the transaction of the entry (0 =
 *                              autocommit, its own decision); kind:
 *                              STOR_ENTRY_DATA, STOR_ENTRY_COMMIT (the
 *                              commit marker of txn_id, empty changeset)
 *                              or STOR_ENTRY_STAGED (txn_id's staging
 *                              marker; changeset = its participant list)
 *   _murphy_meta(key, value)   'lsn', 'entry_id': the position an undo
 *                              went back to
 *
 * Files made before transactions have no txn_id / kind columns: opening
 * one adds them (ALTER TABLE ADD COLUMN, in one transaction; old rows read
 * as autocommit data entries).  In new files the two columns come before
 * the changeset, so reading them never walks a large changeset's overflow
 * pages.
 *
 * The file's position (the highest entry applied, and its leader-assigned
 * id, 0 when unknown) is the newest _murphy_log row, or _murphy_meta's
 * when that is higher: appending an entry writes only its log row (two
 * pages per one-row insert, the row's and the log's; the meta page was a
 * third, a third more WAL to write and sync), and an undo deletes the log
 * rows past its target and writes the target into _murphy_meta.  Readers
 * of a file use STOR_POSITION_SQL.
 *
 * The LSN counts log entries only: plain writes without capture and DDL do
 * not move it (schema is not in the log).  An entry is appended, applied or
 * undone in the same SQLite transaction as its row changes, so an entry is
 * durable with its data or absent (synchronous=FULL).
 *
 * Transactions (docs/transactions.md, "Shard log"): an entry with txn_id
 * X ≠ 0 is provisional until X's commit marker follows it.  The entries
 * of an open transaction (data entries of X after X's last marker) are
 * always the newest entries of the log: while X is open, only X's data
 * entries and X's marker may follow (anything else is refused with
 * STOR_SQLSTATE_TXN_ORDER; the leader's shard lock guarantees it, the log
 * asserts it), so a log has at most one open transaction and its entries
 * are a contiguous suffix — undoing X is undoing to the LSN before its
 * first entry, and finding X reads that suffix only.  Undoing a marker
 * reopens its transaction; undoing a marker entry is just its deletion.
 * A STAGED entry of X follows X's data entries only (refused when X is
 * not the open transaction) and keeps X open while it is the newest
 * entry; it is undone by deletion too.  Any entry may follow it: one that
 * is not X's closes X, committed (parallel commits without commit
 * markers: the leader sends a shard nothing after X's STAGED entry before
 * X is decided committed — every participant's STAGED at its quorum — so
 * the next writer's entry tells the copy so; docs/transactions.md).  An
 * undo back to the STAGED entry reopens X, as undoing a marker does.
 *
 * Retention: the log keeps at most STOR_LOG_KEEP entries and
 * STOR_LOG_BYTES_MAX bytes of changesets (the newest entry is always kept,
 * and so is every entry of the open transaction: its undo needs them);
 * older entries are trimmed in the transaction that appends the one that
 * passes a bound, down to 1/STOR_LOG_TRIM_SLACK below it.
 * A STAGED entry is kept at least a second after it was put whatever the
 * retention (STOR_STAGED_HOLD_*, storage_int.h), and so are its
 * transaction's entries: a leader whose machine crashed before it synced
 * the transaction's outcome row (~50 ms after the decision) rebuilds the
 * row from it (stor_log_staged_list), and a transaction closed by the next
 * one's entry (or a chain of them) may still abort and be undone to its
 * base.
 *
 * Entry encoding on the wire (stor_log_read → stor_apply_entries), one
 * after the other, big-endian (mur_buf; stor_entry_put / stor_entry_get):
 *
 *     u64 lsn | u64 entry_id | u64 txn_id | u8 kind | u32 len
 *     | len bytes of changeset
 *
 * A malformed entry (unknown kind, a marker of txn 0 or with a changeset,
 * a STAGED entry of txn 0, without participants or with more than
 * STOR_STAGED_BYTES_MAX bytes of them) is refused with 08P01.
 *
 * Errors that the leader acts upon use SQLSTATE STOR_SQLSTATE_LOG ("55000",
 * object not in prerequisite state), with messages such as
 *     placement t1_s3.db is at lsn 5, cannot apply entry 7
 *     placement t1_s3.db holds a different entry 5
 *     changeset conflict applying entry 7
 *     cannot undo to lsn 2: entries trimmed
 *     entries after lsn 3 are no longer in the log
 * The leader then catches the placement up, undoes it, or rebuilds it.
 *
 * Locking: functions marked "locks" take the placement's lock themselves
 * (stor_lock) and may be called from any thread with a reference from
 * stor_dir_get; functions marked "under lock" must be called between
 * stor_lock and stor_unlock (the shard-task runner uses those).
 */
#ifndef MUR_STORAGE_REPLOG_H
#define MUR_STORAGE_REPLOG_H

#include "common/buf.h"
#include "common/value.h"
#include "storage/storage.h"

/* sqlite3.h declares the session extension (libsqlite3 here is built with
 * it) only under this macro; that part of the header sits outside its
 * include guard, so including it again here is enough. */
#ifndef SQLITE_ENABLE_SESSION
#define SQLITE_ENABLE_SESSION 1
#endif
#include <sqlite3.h>

#include <stddef.h>
#include <stdint.h>

/* Entries kept per placement.  A replica further behind than this is
 * rebuilt from a snapshot instead of caught up; 100k entries cover minutes
 * of a busy shard's writes, long enough for a paused or briefly cut-off
 * follower to catch up from the log.  (A build may set it smaller to
 * measure a full log's appends in a short benchmark:
 * make CFLAGS="-O2 -g -DSTOR_LOG_KEEP=1024".) */
#ifndef STOR_LOG_KEEP
#define STOR_LOG_KEEP 100000
#endif
/* A full log is trimmed 1/STOR_LOG_TRIM_SLACK below its bounds at once
 * (replog.c, trim): 1,562 entries at the default, one DELETE where each
 * append deleted one; bounds under 64 entries are kept exactly. */
#define STOR_LOG_TRIM_SLACK 64
/* Changeset bytes kept per placement (bulk loads make large entries; the
 * log must not double the file). */
#define STOR_LOG_BYTES_MAX ((uint64_t)64 << 20)
/* Bytes of one entry's header in the wire encoding (lsn, entry_id,
 * txn_id, kind, len). */
#define STOR_ENTRY_HEADER_BYTES 29
/* Largest changeset accepted in an entry (matches SQLite's default blob
 * limit, SQLITE_MAX_LENGTH). */
#define STOR_CHANGESET_BYTES_MAX ((size_t)1000000000)

/* SQLSTATE of log-position errors: the leader decides catch-up / undo /
 * rebuild on it. */
#define STOR_SQLSTATE_LOG "55000"
/* SQLSTATE of an entry that would break the open-transaction suffix (an
 * entry of another transaction, or an autocommit one, while one is open):
 * invalid_transaction_state, a leader bug, not a position to repair. */
#define STOR_SQLSTATE_TXN_ORDER "25000"

/* Entry kinds (_murphy_log.kind; the wire's EXEC_ENTRY_* have the same
 * values, checked where the follower passes one to the other). */
enum {
	STOR_ENTRY_DATA = 0,
	STOR_ENTRY_COMMIT = 1,
	/* STAGED(X, participants): parallel commits' staging marker (docs/
	 * transactions.md, "Parallel commits"): the last entry of X's open
	 * suffix, its changeset column the participant list (opaque here, at
	 * most STOR_STAGED_BYTES_MAX bytes).  It keeps X open: only X's
	 * COMMIT marker (or an undo) may follow it.  Nothing to apply or
	 * invert. */
	STOR_ENTRY_STAGED = 2,
	/* DDL: a schema change of the shard's table (ALTER TABLE, sql/
	 * plan_alter.c), applied in log order with the rows so that no
	 * changeset of one shape meets a copy of the other.  Its changeset
	 * column is text: the forward SQL, STOR_DDL_SEP, the SQL that undoes
	 * it (stor_ddl_split).  Applying runs the forward SQL, undoing the
	 * other, in the transaction that appends / deletes the entry. */
	STOR_ENTRY_DDL = 3,
	STOR_ENTRY_KIND_MAX = 3
};
/* Separates a DDL entry's forward SQL from its undo SQL (a control
 * character no SQL murphy emits contains: the planner refuses names
 * holding it). */
#define STOR_DDL_SEP '\x01'
/* Largest DDL entry (both SQL texts): a few statements of one table. */
#define STOR_DDL_BYTES_MAX 65536
/* Largest participant list a STAGED entry carries: 4 KiB holds ~400
 * "table:shard" pairs, more shards than one transaction writes in
 * practice; a longer list is refused (08P01) rather than cut, since
 * recovery must see every participant. */
#define STOR_STAGED_BYTES_MAX 4096

/* One log entry.  Borrowed: cs points into the caller's memory. */
typedef struct stor_entry {
	uint64_t lsn;      /* apply: the entry's LSN (append: ignored) */
	uint64_t entry_id; /* leader-assigned */
	uint64_t txn_id;   /* 0: autocommit */
	uint8_t kind;      /* STOR_ENTRY_* */
	const void *cs;    /* the changeset (DATA); a COMMIT marker has none */
	size_t len;
} stor_entry;

/* Split a DDL entry's text (cs, len) into malloc'd NUL-terminated
 * forward and undo SQL; 08P01 when it is not "forward SEP undo". */
int stor_ddl_split(const void *cs, size_t len, char **fwd, char **undo, mur_error *err);

/* The position of a placement file, as one row (lsn). */
#define STOR_POSITION_SQL                                                                          \
	"SELECT max((SELECT value FROM _murphy_meta WHERE key = 'lsn'),"                           \
	" coalesce((SELECT max(lsn) FROM _murphy_log), 0))"

/* ---- positions --------------------------------------------------- */

/* Last committed LSN and the entry id at it.  Exact under the placement's
 * lock; without it, a value that was current a moment ago. */
uint64_t stor_entry_id(stor_db *db);
/* (stor_lsn is declared in storage.h.) */

/* Oldest LSN still in the log; 0 when the log is empty.  Under lock. */
int stor_log_first(stor_db *db, uint64_t *first_lsn, mur_error *err);

/* The open transaction: *txn_id and *lsn of its oldest entry (the lowest
 * LSN of a data entry with txn_id ≠ 0 that no later commit marker of the
 * same txn_id follows); 0, 0 when none.  From the cache, else a scan of
 * the log's open suffix only.  Under lock, outside a transaction. */
int stor_log_open_txn(stor_db *db, uint64_t *txn_id, uint64_t *lsn, mur_error *err);

/* What this copy's log says of transaction txn_id (recovery's query for
 * parallel commits, docs/transactions.md): the newest entry of txn_id
 * decides — its COMMIT marker (STOR_TXN_COMMITTED), its STAGED entry
 * (STOR_TXN_STAGED: participants copied to *parts, at most parts_max - 1
 * bytes and a NUL), a data entry (STOR_TXN_OPEN: written, not staged) —
 * and none at all STOR_TXN_ABSENT.  *first_lsn = the oldest LSN still in
 * the log (an entry of txn_id older than it is trimmed: ABSENT then
 * means "not since first_lsn").  Reads the log newest first until the
 * first entry of txn_id.  Under lock, outside a transaction. */
typedef enum stor_txn_state {
	STOR_TXN_ABSENT = 0,
	STOR_TXN_OPEN = 1,
	STOR_TXN_STAGED = 2,
	STOR_TXN_COMMITTED = 3,
} stor_txn_state;
int stor_log_txn_state(stor_db *db, uint64_t txn_id, stor_txn_state *state, char *parts,
		       size_t parts_max, uint64_t *first_lsn, mur_error *err);

/* The STAGED entries of this copy's log whose txn_id is in [min_txid,
 * max_txid), newest first, at most max of them: each(arg, txn_id,
 * participants, len) — a restarted leader's rebuild of the outcome rows a
 * machine crash lost (docs/transactions.md, "A parallel commit's outcome
 * row").  Reads every log row's kind and txn_id (not the changesets of
 * the others).  Under lock, outside a transaction. */
typedef void (*stor_staged_fn)(void *arg, uint64_t txn_id, const char *parts, size_t len);
int stor_log_staged_list(stor_db *db, uint64_t min_txid, uint64_t max_txid, int max,
			 stor_staged_fn each, void *arg, mur_error *err);

/* ---- primary: capture ------------------------------------------- */

/* Start recording row changes of every table in "main" except _murphy_*
 * (sqlite3session).  Under lock, inside stor_begin.  *out is freed with
 * stor_capture_end (always call it, also on error paths). */
int stor_capture_begin(stor_db *db, sqlite3_session **out, mur_error *err);
/* Take the changeset recorded by s (sqlite3_malloc'd into *cs, size *len; NULL, 0 when
 * nothing changed; free with sqlite3_free). */
int stor_capture_take(stor_db *db, sqlite3_session *s, void **cs, size_t *len, mur_error *err);
void stor_capture_end(sqlite3_session *s);

/* Row capture (capture_rows.c): the changeset of a write whose changes
 * are all row INSERTs, or (one_statement: the write ran its statement
 * once) all UPDATEs or all DELETEs, of one table, built as the rows
 * change, at a third of the session's cost.  begin → run the write →
 * take → end (always).  take moves the changeset into *cs (empty: no row
 * changed) or answers MUR_EAGAIN when the write did anything else (an
 * upsert, a changed key…): roll back and run it again under
 * stor_capture_begin. */
typedef struct stor_rowcap stor_rowcap;
int stor_rowcap_begin(stor_db *db, int one_statement, stor_rowcap **out, mur_error *err);
int stor_rowcap_take(stor_rowcap *rc, mur_buf *cs, mur_error *err);
void stor_rowcap_end(stor_rowcap *rc);

/* Append entry e (entry_id, txn_id, kind, changeset; e->lsn is ignored)
 * as entry lsn+1 and trim the log.  Under lock, inside stor_begin (the
 * entry becomes visible in stor_lsn/stor_entry_id at stor_commit).  *lsn =
 * the new LSN.  08P01 when e is malformed, STOR_SQLSTATE_TXN_ORDER when it
 * may not follow the open transaction (top). */
int stor_log_append(stor_db *db, const stor_entry *e, uint64_t *lsn, mur_error *err);

/* ---- replicas: apply, undo --------------------------------------- */

/* APPLY entry e in its own transaction (under lock): the placement must
 * be at e->lsn-1 (else 55000 "... is at lsn c, cannot apply entry lsn");
 * if it holds e->lsn with the same entry_id the entry is already applied:
 * success, nothing changes.  Any conflict aborts (copies must be
 * identical); 08P01 / STOR_SQLSTATE_TXN_ORDER as stor_log_append.  On
 * error nothing changes. */
int stor_log_apply(stor_db *db, const stor_entry *e, mur_error *err);

/* UNDO to target in one transaction (under lock): invert and apply the
 * logged entries from the current LSN down to target+1 (a marker has
 * nothing to invert), delete them, set
 * lsn = target and entry_id = the target entry's id (0 when target is 0 or
 * trimmed).  target > current LSN is an error; target == current is a
 * no-op.  55000 "cannot undo to lsn n: entries trimmed" when an entry
 * needed is gone.  On error nothing changes. */
int stor_log_undo(stor_db *db, uint64_t target, mur_error *err);

/* ---- peer streaming (catch-up and rebuild) ----------------------- */

/* Append e in the wire encoding (top) to out. */
void stor_entry_put(mur_buf *out, const stor_entry *e);
/* Read one entry in the wire encoding from r into *e (e->cs points into
 * r's bytes).  MUR_EPROTO when r holds less than a whole entry (r is then
 * in its error state) or the entry is malformed (unknown kind, a marker of
 * txn 0 or with a changeset). */
int stor_entry_get(mur_rd *r, stor_entry *e);

/* Locks.  Append to out the entries with lsn > after_lsn, in order, in the
 * wire encoding above, until adding the next one would pass bytes_max (at
 * least one entry is appended when there is one).  *nentries = entries
 * appended, *last_lsn = lsn of the last one (after_lsn when none: the
 * caller is up to date).  55000 "entries after lsn N are no longer in the
 * log" when after_lsn < first retained lsn - 1 (rebuild instead); 55000
 * "cannot read entries after lsn N: placement is at lsn M" when this
 * placement is behind the asker (pick another peer). */
int stor_log_read(stor_db *db, uint64_t after_lsn, size_t bytes_max, mur_buf *out,
		  uint64_t *nentries, uint64_t *last_lsn, mur_error *err);

/* Locks.  The entry id this placement holds at lsn (*found = 0 when lsn is
 * beyond its position or trimmed; lsn 0 is always found, id 0).  Lets a
 * catching-up follower check that its last entry is the peer's entry
 * (same history) before asking for what follows. */
int stor_log_entry_at(stor_db *db, uint64_t lsn, int *found, uint64_t *entry_id, mur_error *err);

/* Locks.  Apply a batch in the wire encoding (p/len), each entry under the
 * APPLY rules of stor_log_apply (entries this placement already holds with
 * the same entry_id are skipped), all in one transaction.  *lsn_out = the
 * placement's LSN afterwards.  On any error (including a malformed batch,
 * 08P01) nothing changes. */
int stor_apply_entries(stor_db *db, const char *p, size_t len, uint64_t *lsn_out, mur_error *err);

/* A consistent copy of placement `file` of d written to tmp_path (which
 * must not exist; it is created, fsynced; it holds the rows, _murphy_meta
 * and _murphy_log, no -wal beside it).  Uses its own connection (nothing
 * written to the placement) and VACUUM INTO, so writers on the placement
 * are not blocked.  *lsn = the LSN the copy contains.  On error tmp_path is
 * removed.  Do not name tmp_path "*.db" inside the data directory: STATUS
 * would list it. */
int stor_snapshot(stor_dir *d, const char *file, const char *tmp_path, uint64_t *lsn,
		  mur_error *err);

/* Split a placement (murphy.split_shard), in three steps:
 *   prepare  while writes go on: two consistent copies of `file`
 *            (stor_snapshot), written in tmp_dir (same file system), one
 *            keeping the rows of `table` whose column `col` is below `at`,
 *            the other those at or above it, installed as lo_file and
 *            hi_file (stor_dir_install; no catalog names them yet) (*lsn:
 *            the lower of their LSNs);
 *   catch_up while writes go on, as often as the leader asks: both copies
 *            catch up from the source's own log to LSN target at most (a
 *            decided entry: the entries after it may still be undone), or
 *            as far as the source holds if it is behind (*reached: the
 *            lower of their LSNs after it; *entries: entries applied);
 *   finish   with the source's writes held (the leader's exclusive op):
 *            both copies catch up to LSN target exactly (*entries) and are
 *            from then on placements like any other.
 * A catch-up applies an entry by key: a change of a row of the other half
 * is skipped, and an insert of one is dropped before it is written (a
 * temporary trigger on the copy's own connection, gone after finish), so
 * no trim runs after it.  A copy whose newest entry the source's log no
 * longer holds (an undecided entry undone after the snapshot) fails the
 * split: 55000.  The source file is never changed.  Both copies keep its
 * log and LSN.  On error of prepare the temporaries are removed (a file
 * already installed stays: the leader drops lo_file and hi_file when the
 * split aborts, STATUS reports them as orphans otherwise); discard
 * removes the temporaries outright. */
#define STOR_SPLIT_IDENT_MAX 64 /* table and column names (CAT_NAME_MAX) */
/* Log bytes read per catch-up batch of a half copy. */
#define STOR_SPLIT_BATCH_BYTES ((size_t)4 << 20)
typedef struct stor_split_req {
	const char *file, *lo_file, *hi_file, *tmp_dir;
	const char *table, *col;
	mur_value at;
	int by_hash; /* a hash shard: at is a hash bound (catalog.h's hash32 of col,
		      * hashed by the column's type OID when > 1); 0: a range */
} stor_split_req;
int stor_split_prepare(stor_dir *d, const stor_split_req *rq, uint64_t *lsn, mur_error *err);
int stor_split_catch_up(stor_dir *d, const stor_split_req *rq, uint64_t target, uint64_t *reached,
			uint64_t *entries, mur_error *err);
int stor_split_finish(stor_dir *d, const stor_split_req *rq, uint64_t target, uint64_t *entries,
		      mur_error *err);
void stor_split_discard(const stor_split_req *rq);

/* Replace placement `file` of d with the SQLite file at src_path: fsync
 * src, close the cached handle of file (waiting for a task running on it;
 * later stor_dir_get calls open the new file), rename src over the
 * placement, remove stale -wal/-shm, fsync the directory.  src_path must be
 * on the same file system as the data directory (rename). */
int stor_dir_install(stor_dir *d, const char *file, const char *src_path, mur_error *err);

/* Lower the retention of the placements of d (tests; 0 = the defaults).
 * Applies to open placements and those opened later. */
void stor_dir_set_log_retention(stor_dir *d, uint64_t keep, uint64_t bytes_max);

/* ---- status ------------------------------------------------------ */

/* Rows for every placement file (*.db) in d, in name order, each of
 * STOR_STATUS_COLS values in mur_row encoding:
 *     file TEXT, lsn INT, entry_id INT, first_log_lsn INT (0: empty log),
 *     open_txn_id INT, open_txn_lsn INT (stor_log_open_txn; 0, 0: none)
 * appended to rows; *nrows = how many.  Files that cannot be opened fail
 * the call. */
int stor_status(stor_dir *d, mur_buf *rows, uint64_t *nrows, mur_error *err);
#define STOR_STATUS_COLS 6

#endif
