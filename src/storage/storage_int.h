/*
 * storage_int.h — private to src/storage: the stor_db struct shared by
 * db.c (one placement) and dir.c (the directory that owns many).
 */
#ifndef MUR_STORAGE_INT_H
#define MUR_STORAGE_INT_H

#include "common/buf.h"
#include "common/value.h"
#include "storage/replog.h"
#include "storage/storage.h"

#include <assert.h>
#include <pthread.h>
#include <string.h>
#define XXH_INLINE_ALL
#include <xxhash.h>

/* A string's hash (XXH3-64, folded to 32 bits; never stored): the
 * placement directory's and the statement cache's lookups compare it
 * before the strings.  It was FNV-1a, a byte at a time with a multiply
 * between bytes: a follower hashes ~40 texts per TPC-B transaction (the
 * shard-log INSERT, BEGIN, SAVEPOINT, COMMIT, the kept apply texts, 60-200
 * bytes each), and that loop was 3 % of its instructions (callgrind,
 * bench/follower_callgrind.py); XXH3 reads 8-byte words. */
static inline uint32_t stor_str_hash(const char *s)
{
	uint64_t h = XXH3_64bits(s, strlen(s));
	return (uint32_t)(h ^ (h >> 32));
}

/* Hint slots of the statement cache (db.c, cache_find), by hash. */
#define STOR_STMT_HINTS 64
_Static_assert(STOR_STMT_CACHE_MAX <= 256, "stor_db.stmt_hint holds a uint8_t index");

typedef struct stor_stmt {
	char *sql;     /* malloc'd key; NULL = free entry */
	uint32_t hash; /* stor_str_hash(sql) */
	sqlite3_stmt *st;
	uint64_t used; /* LRU clock */
	int busy;      /* handed out by stor_prepare, not yet released */
} stor_stmt;

/* The shard log's size, oldest entry and open transaction (replog.c),
 * cached. */
typedef struct stor_log_cache {
	int valid;
	uint64_t bytes;     /* sum of the changesets' sizes */
	uint64_t first;     /* oldest lsn in _murphy_log, 0 when empty */
	uint64_t first_len; /* its changeset's size */
	uint64_t open_txn;  /* the open transaction (replog.h), 0 when none */
	uint64_t open_lsn;  /* its oldest entry, 0 when none */
	int open_staged;    /* the newest entry is open_txn's STAGED entry */
} stor_log_cache;

/* A STAGED entry is not trimmed for STOR_STAGED_HOLD_BUCKETS - 1 to
 * STOR_STAGED_HOLD_BUCKETS buckets of STOR_STAGED_HOLD_BUCKET_MS after it
 * was put (1-1.25 s), whatever the retention: a restarted leader may need
 * it to rebuild an outcome row a machine crash lost, which the leader
 * syncs within ~50 ms (replog.h, "Retention"). */
#define STOR_STAGED_HOLD_BUCKETS 5
#define STOR_STAGED_HOLD_BUCKET_MS 250

/* A write batch's shared SQLite transaction on one placement
 * (batch_txn.c). */
typedef struct stor_batch {
	int on;                 /* between stor_batch_begin and stor_batch_end */
	int open;               /* the shared SQLite transaction is open */
	int nested;             /* the transaction in progress is a savepoint of it */
	int lost;               /* it was rolled back (by SQLite, or its COMMIT failed):
		       the transactions it held are undone */
	int strict;             /* one of its transactions is not logged in the follower
		       WAL: fdatasync the -wal file after COMMIT */
	uint64_t lsn, entry_id; /* the committed position before it */
	stor_log_cache logc;    /* and the log cache */
	mur_buf recs;           /* follower WAL records of its transactions,
				   appended after its COMMIT (fwal.c) */
} stor_batch;

struct stor_db {
	sqlite3 *db; /* NULL once closed (dropped) */
	char path[STOR_PATH_MAX];
	char file[STOR_FILE_NAME_MAX];
	pthread_mutex_t mu; /* stor_lock: one task at a time */
#ifdef MUR_DEBUG_CHECKS
	pthread_t owner; /* the thread holding mu through stor_lock */
	int owned;
#endif
	uint64_t lsn;         /* committed position (replog.h) */
	uint64_t entry_id;    /* the entry id at lsn */
	uint64_t pending_lsn; /* set in the open transaction, when has_pending */
	uint64_t pending_entry_id;
	int has_pending;        /* the open transaction moves the log position */
	uint64_t log_keep;      /* retention: STOR_LOG_KEEP unless set (tests) */
	uint64_t log_bytes_max; /* retention: STOR_LOG_BYTES_MAX unless set */
	struct {
		uint64_t bucket; /* mur_now_ms / STOR_STAGED_HOLD_BUCKET_MS; 0: none */
		uint64_t lsn;    /* the first entry of the oldest transaction whose
				    STAGED entry was put in that bucket */
	} staged_hold[STOR_STAGED_HOLD_BUCKETS]; /* replog.c, trim: kept a while */
	int in_txn;
	int split_half;      /* a split's half copy (stor_split_finish): an entry's change
			   of a row it does not hold is skipped, not a conflict */
	stor_log_cache logc; /* as committed (valid: known) */
	stor_log_cache logp; /* as the open transaction left it (valid: set) */
	/* Follower WAL (fwal.c): set while the WAL is attached; the connection
	 * then runs synchronous=NORMAL.  fwal_log: the open transaction will be
	 * logged (stor_fwal_prepare_commit → stor_fwal_log_*); strict: it is
	 * not, so stor_commit fdatasyncs the -wal file after COMMIT. */
	struct stor_fwal *fwal;
	int fwal_log;
	int strict;
	stor_batch batch; /* batch_txn.c */
	/* Exclusive locking (db.c, "Locking"): the connection runs
	 * locking_mode=EXCLUSIVE (excl), is kept out of it while shared > 0
	 * (a snapshot reads the file) or until excl_retry_ms (another
	 * connection had the file open); excl_used_ms: its last transaction. */
	int excl;
	int shared;
	uint64_t excl_retry_ms;
	uint64_t excl_used_ms;
	stor_stmt stmts[STOR_STMT_CACHE_MAX];
	uint8_t stmt_hint[STOR_STMT_HINTS]; /* db.c: stmts' index last found per hash */
	uint64_t clock;
	/* colscan.c: the position a scan last found every WAL frame
	 * checkpointed at (valid: scan_clean), and when (mur_now_us) a scan
	 * last had to checkpoint after writes */
	uint64_t scan_lsn;
	int scan_clean;
	uint64_t scan_ckpt_us;
	/* replog.c's apply: the columns of the table it last applied to (NULL:
	 * none), valid while the schema is at the version they were read at */
	struct stor_apply_tab *apply_tab;
	/* capture_rows.c: the header of the table it last captured rows of
	 * (NULL: none), valid while the schema is at the version it was read
	 * at */
	struct stor_rowcap_tab *rowcap_tab;

	/* Owned by stor_dir (under its mutex). */
	stor_db *next;
	stor_db *hnext;     /* the chain of stor_dir's bucket for name_hash */
	uint32_t name_hash; /* of file (dir.c) */
	int refs;
	int dropped;
	uint64_t last_used;
};

/* The caller holds db's placement lock (stor_lock / stor_trylock).
 * Checked in MUR_DEBUG_CHECKS builds (make asan), which record the owner
 * thread; a no-op otherwise. */
#ifdef MUR_DEBUG_CHECKS
#define STOR_ASSERT_LOCKED(db) assert((db)->owned &&pthread_equal((db)->owner, pthread_self()))
#else
#define STOR_ASSERT_LOCKED(db) ((void)(db))
#endif

/* replog.c: free db->apply_tab (stor_db_shutdown). */
void stor_apply_tab_free(stor_db *db);
/* replog.c: the schema's version (PRAGMA schema_version: DDL moves it),
 * through the statement cache; -1 on error. */
int64_t stor_schema_version(stor_db *db);
/* capture_rows.c: free db->rowcap_tab (stor_db_shutdown). */
void stor_rowcap_tab_free(stor_db *db);

/* db.c: run sql (no parameters) through the statement cache, to its end:
 * BEGIN, COMMIT, SAVEPOINT… parsed once per placement. */
int stor_run_cached(stor_db *db, const char *sql, mur_error *err);

/* db.c: make the open transaction's position and log cache the
 * committed ones (after COMMIT, or a batch's savepoint RELEASE). */
void stor_publish_pending(stor_db *db);
/* db.c: the fdatasync of the -wal file a strict transaction needs after
 * COMMIT (db->strict, cleared); MUR_OK when not strict. */
int stor_end_strict(stor_db *db, mur_error *err);

/* batch_txn.c: stor_begin / stor_commit / stor_rollback while db's batch
 * transaction is open (db->batch.open): a savepoint of it, its RELEASE,
 * its ROLLBACK TO (the whole transaction when the one rolled back was
 * its first). */
int stor_batch_savepoint(stor_db *db, mur_error *err);
int stor_batch_release(stor_db *db, mur_error *err);
void stor_batch_rollback(stor_db *db);
/* batch_txn.c: stor_begin just opened db's batch transaction. */
void stor_batch_opened(stor_db *db);
/* fwal.c: append the records queued while db's batch transaction was
 * open (stor_fwal_log_entry), after its COMMIT; under lock. */
int stor_fwal_log_queued(stor_db *db, mur_error *err);

/* walbuf.c: the VFS's name (stor_walbuf_vfs, storage.h).  Counters for
 * tests: xWrite calls on WAL files, and the writes that reached the
 * kernel. */
#define STOR_WALBUF_VFS "murphy-walbuf"
void stor_walbuf_stats(uint64_t *writes_asked, uint64_t *writes_made);
/* Bytes of WAL whose write-back walbuf started (sync_file_range). */
uint64_t stor_walbuf_writeback_bytes(void);

/* The open transaction moves the position to (lsn, entry_id), which its
 * newest log row holds (no _murphy_meta write).  Under lock. */
void stor_set_pending_position(stor_db *db, uint64_t lsn, uint64_t entry_id);

/* Locking (db.c): leave exclusive mode so other connections can open the
 * file, and stay out of it until stor_db_unshare; under lock. */
int stor_db_share(stor_db *db, mur_error *err);
void stor_db_unshare(stor_db *db);
/* Leave exclusive mode when the last transaction is idle_ms old; under
 * lock.  1 when it left. */
int stor_db_release_if_idle(stor_db *db, uint64_t idle_ms);

/* PRAGMA synchronous=FULL (full = 1) or NORMAL.  Under lock. */
int stor_db_set_sync(stor_db *db, int full, mur_error *err);

/* The follower WAL attached to d (NULL: off).  stor_dir_attach_fwal sets
 * it (NULL detaches) and switches every open placement's synchronous mode
 * (NORMAL with a WAL, FULL without); placements opened later follow. */
struct stor_fwal *stor_dir_fwal(stor_dir *d);
void stor_dir_attach_fwal(stor_dir *d, struct stor_fwal *w);

/* Close the SQLite side (statements + connection); the struct stays. */
void stor_db_shutdown(stor_db *db);

/* Write lsn and entry_id to `_murphy_meta` inside the open transaction and
 * remember them as pending: stor_commit publishes them to db->lsn /
 * db->entry_id, a rollback forgets them (replog.c, db.c). */
int stor_set_position(stor_db *db, uint64_t lsn, uint64_t entry_id, mur_error *err);

/* Read an integer from `_murphy_meta` (0 when the key is missing). */
int stor_meta_get(stor_db *db, const char *key, uint64_t *out, mur_error *err);

/* Entry lsn from `_murphy_log`: *found = 0 when it is not there.  With cs,
 * *cs is a malloc'd copy of the changeset (free it) when found; with kind,
 * *kind = its STOR_ENTRY_* (replog.c). */
int stor_log_get(stor_db *db, uint64_t lsn, int *found, uint64_t *entry_id, void **cs, size_t *len,
		 int *kind, mur_error *err);

/* Create `_murphy_meta` and `_murphy_log` if missing, add the txn_id and
 * kind columns to a log made before them (replog.c).  A SQLite rc. */
int stor_log_schema(sqlite3 *db);

/* MUR_OK when e is well formed: a known kind; a COMMIT marker names its
 * transaction and carries no changeset; a STAGED one names it and carries
 * 1 to STOR_STAGED_BYTES_MAX bytes of participants (else 08P01, replog.c). */
int stor_entry_check(const stor_entry *e, mur_error *err);

/* SQL functions (sqlfn.c, sqlfn_text.c) */
/* s LIKE p as mur_like(s, p) answers it (PostgreSQL's LIKE, escape '\\',
 * bytes): 1 or 0.  For the page scan's filter (scanfilter.c). */
int stor_like_match(const char *s, size_t slen, const char *p, size_t plen);

/* format(formatstr, args...) as PostgreSQL's (sqlfn_format.c). */
void stor_fn_format(sqlite3_context *cx, int argc, sqlite3_value **v);
/* make_date(year, month, day) as PostgreSQL's (sqlfn_make.c). */
void stor_fn_make_date(sqlite3_context *cx, int argc, sqlite3_value **v);
/* make_timestamp(y, mo, d, h, mi, sec) as PostgreSQL's (sqlfn_make.c). */
void stor_fn_make_timestamp(sqlite3_context *cx, int argc, sqlite3_value **v);

/* Fail the call with "SQLSTATE:<state>:<message>" (errmap.c reads it). */
void stor_fn_fail(sqlite3_context *cx, const char *state, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* May a result of len bytes be returned?  Else the call fails with 54000
 * "requested length too large" (PostgreSQL's words past its 1 GB) and 0. */
int stor_fn_fits(sqlite3_context *cx, int64_t len);
/* Answer b's bytes as text (or out of memory, or 54000), and free b. */
void stor_fn_result_buf(sqlite3_context *cx, mur_buf *b);
/* Read argument v as an exact numeric into out; else fail the call (its
 * SQLSTATE) and -1 (sqlfn_numeric.c). */
struct mur_num;
int stor_fn_num_arg(sqlite3_context *cx, sqlite3_value *v, struct mur_num *out);
/* Answer r as numeric text, or 22003 when it is out of range. */
void stor_fn_num_result(sqlite3_context *cx, const struct mur_num *r);
/* 1 when one of the argc arguments is NULL (a strict function answers NULL). */
int stor_fn_any_null(int argc, sqlite3_value **v);
/* 1 when v holds an integer (or text that reads as one). */
static inline int stor_fn_is_int(sqlite3_value *v)
{
	return sqlite3_value_numeric_type(v) == SQLITE_INTEGER;
}
/* One SQL function: its SQLite name, argument count (-1 variadic), whether
 * it answers the same for the same arguments, and its implementation. */
typedef struct stor_fn_def {
	const char *name;
	int nargs;
	int deterministic;
	void (*fn)(sqlite3_context *, int, sqlite3_value **);
} stor_fn_def;
/* Register n scalar functions on db; an SQLite code. */
int stor_fn_register(sqlite3 *db, const stor_fn_def *defs, size_t n);
/* Register the text functions of sqlfn_text.c on db; an SQLite code. */
int stor_register_text_functions(sqlite3 *db);
/* Register the math functions of sqlfn_math.c on db; an SQLite code. */
int stor_register_math_functions(sqlite3 *db);
/* Register the regular expression functions of sqlfn_regex.c on db. */
int stor_register_regex_functions(sqlite3 *db);
/* Register the date/time functions of sqlfn_time.c on db. */
int stor_register_time_functions(sqlite3 *db);
/* sqlfn_tz.c: casts and AT TIME ZONE in a named zone (time functions call it). */
int stor_register_tz_functions(sqlite3 *db);
/* Register the subquery set functions of sqlfn_subq.c on db. */
int stor_register_subq_functions(sqlite3 *db);
/* sqlfn_subq_row.c: row comparisons with a subquery's rows (it calls this). */
int stor_register_subq_row_functions(sqlite3 *db);
/* Register mur_record_out of sqlfn_record.c on db; an SQLite code. */
int stor_register_record_functions(sqlite3 *db);
/* Register the collecting aggregates of sqlfn_agg.c (string_agg, percentiles, mode). */
int stor_register_agg_functions(sqlite3 *db);
/* sqlfn_numeric.c: numeric arithmetic, aggregates, the collation. */
int stor_register_numeric_functions(sqlite3 *db);
/* Register gcd, lcm, factorial of sqlfn_gcd.c on db; an SQLite code. */
int stor_register_gcd_functions(sqlite3 *db);
/* Register get_byte, set_byte of sqlfn_bytes.c on db; an SQLite code. */
int stor_register_byte_functions(sqlite3 *db);
/* Register to_date of sqlfn_todate.c on db; an SQLite code. */
int stor_register_todate_functions(sqlite3 *db);
/* Register bit_and/or/xor of sqlfn_bitagg.c on db; an SQLite code. */
int stor_register_bitagg_functions(sqlite3 *db);
/* sqlfn_numfmt.c: to_char of numbers, to_number. */
int stor_register_numfmt_functions(sqlite3 *db);
/* sqlfn_types.c: uuid (and interval, bytea) functions. */
int stor_register_type_functions(sqlite3 *db);
/* sqlfn_json.c: json and jsonb operators, functions, the mur_jsonb collation. */
int stor_register_json_functions(sqlite3 *db);
/* sqlfn_array.c: array operators, functions, the array collations. */
int stor_register_array_functions(sqlite3 *db);
/* Two mur_array_sortkey blobs (a collecting aggregate's array sort key,
 * sqlfn_agg.c): <0, 0, >0 in the arrays' order (btarraycmp). */
int stor_array_sortkey_cmp(const void *a, size_t la, const void *b, size_t lb);
/* A math function of a numeric (TEXT) argument, exactly (sqlfn_math.c
 * calls it when its argument is TEXT). */
typedef enum stor_num_fn {
	STOR_NUM_ROUND,
	STOR_NUM_TRUNC,
	STOR_NUM_CEIL,
	STOR_NUM_FLOOR,
	STOR_NUM_ABS,
	STOR_NUM_SIGN,
	STOR_NUM_SQRT, /* the rest: stor_num_trans (common/numeric_trans.c) */
	STOR_NUM_EXP,
	STOR_NUM_LN,
	STOR_NUM_LOG10,
	STOR_NUM_LOG, /* log(b, x) */
	STOR_NUM_POWER,
} stor_num_fn;
void stor_num_math(sqlite3_context *cx, int argc, sqlite3_value **v, stor_num_fn fn);
/* sqrt, exp, ln, log, power of numeric arguments (one TEXT argument at
 * least: murphy's numeric) with PostgreSQL's numeric results. */
void stor_num_trans(sqlite3_context *cx, int argc, sqlite3_value **v, stor_num_fn fn);
/* An SQLite value as a murphy value (text and blobs point into SQLite's
 * memory: valid for the call). */
mur_value stor_fn_value(sqlite3_value *v);

/* rerun.c: run the failed write st again (reset, bindings kept) in a
 * savepoint, with TEMP BEFORE INSERT / UPDATE triggers on main."table"
 * calling note(args) (nargs of them, e.g. `NEW."a", NEW."b"`; arg is its
 * user data) as the SQL function <name>_note; undo all of it.  1 when
 * the re-run failed with SQLite's message msg, as the first run did (the
 * last row noted is then the failing one); st is left reset. */
typedef void (*stor_note_fn)(sqlite3_context *cx, int argc, sqlite3_value **argv);
int stor_rerun_noting(sqlite3 *db, sqlite3_stmt *st, const char *name, const char *table,
		      const char *args, int nargs, stor_note_fn note, void *arg, const char *msg);
/* v as the function's result (text and blobs copied). */
void stor_fn_result_value(sqlite3_context *cx, const mur_value *v);

#endif
