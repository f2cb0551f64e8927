/*
 * snapshot.c — whole-placement operations for rebuilds and the leader's
 * view: stor_snapshot (a consistent copy of a placement file) and
 * stor_status (lsn / entry id / first log lsn / open transaction of every
 * placement held).
 *
 * Snapshot: the placement's own connection leaves exclusive locking for
 * the duration (stor_db_share, db.c "Locking"), and a second, private
 * connection on the placement file runs `VACUUM INTO tmp_path`.  VACUUM
 * INTO reads inside one read transaction, so the copy is a committed
 * state of the file (rows, _murphy_meta and _murphy_log agree), and in WAL
 * mode it does not block the placement's writer.  The copy is then
 * fsynced and its LSN read back from the copy itself, which is exact by
 * construction.  (stor_dir_install, in dir.c, puts such a copy in place
 * on the receiving follower.)
 *
 * Status: lists the "*.db" files of the directory (names stor_file_name_ok
 * accepts), in name order, and opens each through the stor_dir so the
 * numbers come from the same handle tasks use.  Snapshot temporaries must therefore not end in
 * ".db".
 *
 * Split (stor_split_*, murphy.split_shard): two snapshots of one placement,
 * each trimmed to one side of the bound with a plain DELETE on the copy
 * (not logged: both copies keep the source's LSN and log) and installed
 * under its new name at once; then caught up from the source's log in
 * rounds while writes go on (the copy's connection drops the other side's
 * inserts with a temporary trigger: half_filter) and, with the writes
 * held, for the last few entries, after which the trigger goes.  The
 * source file is not touched: until the leader's catalog names the new
 * files, the shard is the old one (and the new files are a split's that
 * the leader drops if it aborts, or orphans STATUS reports).
 *
 * Memory: file name lists are malloc'd and freed here; rows go to the
 * caller's buffer.
 */
#include "storage/replog.h"

#include "common/value.h"
#include "storage/sqlrow.h"
#include "storage/storage_int.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* Placement files a STATUS lists (a follower holds far fewer). */
#define STOR_STATUS_FILES_MAX 1000000

static void unlink_tmp(const char *tmp_path)
{
	char p[STOR_PATH_MAX + 8];
	unlink(tmp_path);
	snprintf(p, sizeof p, "%s-wal", tmp_path);
	unlink(p);
	snprintf(p, sizeof p, "%s-shm", tmp_path);
	unlink(p);
}

static int fsync_file(const char *path, mur_error *err)
{
	int fd = open(path, O_RDWR | O_CLOEXEC);
	if (fd < 0 || fsync(fd) != 0) {
		int e = errno;
		if (fd >= 0)
			close(fd);
		return mur_error_set(err, SQLSTATE_IO_ERROR, "could not fsync \"%s\": %s", path,
				     strerror(e));
	}
	close(fd);
	return MUR_OK;
}

/* Open path with a private connection (SQLite mutex on: used by one thread
 * but not through stor_lock). */
static int open_private(const char *path, int flags, sqlite3 **out, mur_error *err)
{
	int rc = sqlite3_open_v2(path, out, flags | SQLITE_OPEN_FULLMUTEX, NULL);
	if (rc != SQLITE_OK) {
		stor_map_sqlite_error(*out, rc, err);
		mur_error_context(err, "opening %s", path);
		sqlite3_close_v2(*out);
		*out = NULL;
		return MUR_ERR;
	}
	sqlite3_extended_result_codes(*out, 1);
	sqlite3_busy_timeout(*out, STOR_BUSY_TIMEOUT_MS);
	return MUR_OK;
}

static int vacuum_into(sqlite3 *src, const char *tmp_path, mur_error *err)
{
	sqlite3_stmt *st;
	int rc = sqlite3_prepare_v2(src, "VACUUM main INTO ?1", -1, &st, NULL);
	if (rc == SQLITE_OK) {
		sqlite3_bind_text(st, 1, tmp_path, -1, SQLITE_STATIC);
		rc = sqlite3_step(st);
		if (rc == SQLITE_DONE)
			rc = SQLITE_OK;
	}
	if (rc != SQLITE_OK)
		stor_map_sqlite_error(src, rc, err);
	sqlite3_finalize(st);
	return rc == SQLITE_OK ? MUR_OK : MUR_ERR;
}

/* The position of the file at path (replog.h). */
static int read_copy_lsn(const char *path, uint64_t *lsn, mur_error *err)
{
	sqlite3 *db;
	sqlite3_stmt *st = NULL;
	if (open_private(path, SQLITE_OPEN_READONLY, &db, err) != MUR_OK)
		return MUR_ERR;
	int rc = sqlite3_prepare_v2(db, STOR_POSITION_SQL, -1, &st, NULL);
	if (rc == SQLITE_OK)
		rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		*lsn = (uint64_t)sqlite3_column_int64(st, 0);
	else
		stor_map_sqlite_error(db, rc == SQLITE_DONE ? SQLITE_CORRUPT : rc, err);
	sqlite3_finalize(st);
	sqlite3_close_v2(db);
	return rc == SQLITE_ROW ? MUR_OK : MUR_ERR;
}

int stor_snapshot(stor_dir *d, const char *file, const char *tmp_path, uint64_t *lsn,
		  mur_error *err)
{
	char path[STOR_PATH_MAX];
	sqlite3 *src = NULL;
	*lsn = 0;
	if (stor_dir_file_path(d, file, path, sizeof path) != 0)
		return mur_error_set(err, SQLSTATE_INVALID_PARAMETER_VALUE,
				     "invalid placement file name \"%.64s\"", file ? file : "");
	if (!stor_dir_exists(d, file))
		return mur_error_set(err, SQLSTATE_UNDEFINED_FILE,
				     "placement \"%s\" does not exist on this node", file);
	if (access(tmp_path, F_OK) == 0)
		return mur_error_set(err, SQLSTATE_IO_ERROR,
				     "snapshot target \"%s\" already exists", tmp_path);
	/* The placement's own connection may hold the file exclusively (db.c,
	 * "Locking"): have it share the file while the copy is read. */
	stor_db *own;
	int rc = stor_dir_share(d, file, &own, err);
	/* Read-write without CREATE: a WAL reader needs the -shm; nothing is
	 * written to the placement. */
	if (rc == MUR_OK)
		rc = open_private(path, SQLITE_OPEN_READWRITE, &src, err);
	if (rc == MUR_OK) {
		rc = stor_register_functions(src) == SQLITE_OK
			     ? vacuum_into(src, tmp_path, err)
			     : stor_map_sqlite_error(src, SQLITE_ERROR, err);
		sqlite3_close_v2(src);
	}
	stor_dir_unshare(d, own);
	if (rc == MUR_OK)
		rc = fsync_file(tmp_path, err);
	if (rc == MUR_OK)
		rc = read_copy_lsn(tmp_path, lsn, err);
	if (rc != MUR_OK) {
		mur_error_context(err, "snapshot of placement %s", file);
		unlink_tmp(tmp_path);
		return MUR_ERR;
	}
	return MUR_OK;
}

/* ---- status ------------------------------------------------------ */

static int name_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static int is_placement_name(const char *name)
{
	size_t n = strlen(name);
	return n > 3 && strcmp(name + n - 3, ".db") == 0 && stor_file_name_ok(name);
}

/* Sorted malloc'd list of placement file names in d (free each and the
 * array). */
static int list_files(stor_dir *d, char ***names, size_t *n, mur_error *err)
{
	size_t cap = 0;
	struct dirent *e;
	*names = NULL;
	*n = 0;
	DIR *dir = opendir(stor_dir_path(d));
	if (!dir)
		return mur_error_set(err, SQLSTATE_IO_ERROR, "could not open directory \"%s\": %s",
				     stor_dir_path(d), strerror(errno));
	while ((e = readdir(dir)) != NULL && *n < STOR_STATUS_FILES_MAX) {
		if (!is_placement_name(e->d_name))
			continue;
		if (*n == cap) {
			cap = cap ? cap * 2 : 16;
			char **grown = realloc(*names, cap * sizeof *grown);
			if (!grown)
				goto oom;
			*names = grown;
		}
		if (((*names)[*n] = strdup(e->d_name)) == NULL)
			goto oom;
		(*n)++;
	}
	closedir(dir);
	if (*n)
		qsort(*names, *n, sizeof **names, name_cmp);
	return MUR_OK;
oom:
	closedir(dir);
	return mur_error_set(err, SQLSTATE_OUT_OF_MEMORY, "out of memory");
}

static int status_row(stor_dir *d, const char *file, mur_buf *rows, mur_error *err)
{
	stor_db *db;
	uint64_t first = 0, txn = 0, txn_lsn = 0;
	if (stor_dir_get(d, file, 0, &db, err) != MUR_OK)
		return MUR_ERR;
	if (stor_lock(db, err) != MUR_OK) {
		stor_dir_put(d, db);
		return MUR_ERR;
	}
	int rc = stor_log_first(db, &first, err);
	if (rc == MUR_OK)
		rc = stor_log_open_txn(db, &txn, &txn_lsn, err);
	mur_value v[STOR_STATUS_COLS] = {mur_v_text(file, strlen(file)),
					 mur_v_int((int64_t)stor_lsn(db)),
					 mur_v_int((int64_t)stor_entry_id(db)),
					 mur_v_int((int64_t)first),
					 mur_v_int((int64_t)txn),
					 mur_v_int((int64_t)txn_lsn)};
	stor_unlock(db);
	stor_dir_put(d, db);
	if (rc != MUR_OK)
		return MUR_ERR;
	for (int i = 0; i < STOR_STATUS_COLS; i++)
		mur_row_put_value(rows, &v[i]);
	return MUR_OK;
}

int stor_status(stor_dir *d, mur_buf *rows, uint64_t *nrows, mur_error *err)
{
	char **names;
	size_t n;
	int rc = MUR_OK;
	*nrows = 0;
	if (list_files(d, &names, &n, err) != MUR_OK) {
		for (size_t i = 0; i < n; i++)
			free(names[i]);
		free(names);
		return MUR_ERR;
	}
	for (size_t i = 0; i < n; i++) {
		if (rc == MUR_OK) {
			rc = status_row(d, names[i], rows, err);
			if (rc != MUR_OK && strcmp(err->sqlstate, SQLSTATE_UNDEFINED_FILE) == 0)
				rc = MUR_OK; /* dropped meanwhile */
			else if (rc == MUR_OK)
				(*nrows)++;
		}
		free(names[i]);
	}
	free(names);
	if (rc == MUR_OK && !mur_buf_ok(rows))
		rc = mur_error_set(err, SQLSTATE_OUT_OF_MEMORY, "out of memory");
	return rc;
}

/* ---- split (murphy.split_shard) ---------------------------------- */

/* murphy_split_hash(x [, oid]): the 32 bits of mur_value_hash_typed that
 * place x in a hash table's shard (catalog.h), as the leader computes
 * them for a column of type oid (a numeric by its normalized value, a
 * char(n) without trailing spaces; no oid, or one not murphy's: as
 * stored). */
static void fn_split_hash(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
	sqlite3_value *x = argv[0];
	mur_type t = argc > 1 ? mur_type_from_oid((uint32_t)sqlite3_value_int64(argv[1]))
			      : MT_UNKNOWN;
	mur_value v;
	switch (sqlite3_value_type(x)) {
	case SQLITE_INTEGER:
		v = mur_v_int(sqlite3_value_int64(x));
		break;
	case SQLITE_FLOAT:
		v = mur_v_float(sqlite3_value_double(x));
		break;
	case SQLITE_TEXT:
		v = mur_v_text((const char *)sqlite3_value_text(x), (size_t)sqlite3_value_bytes(x));
		break;
	case SQLITE_BLOB:
		v = mur_v_blob((const char *)sqlite3_value_blob(x), (size_t)sqlite3_value_bytes(x));
		break;
	default:
		v = mur_v_null();
		break;
	}
	sqlite3_result_int64(ctx, (sqlite3_int64)(uint32_t)(mur_value_hash_typed(t, &v) >> 32));
}

/* The test that puts a row on the other side of the bound than half hi
 * (0: the lower half, which drops col >= at; 1: the upper, col < at), on
 * the column named by row ("NEW." in a trigger, "" in a DELETE): by_hash
 * compares the column's hash (murphy_split_hash, typed by the OID when
 * by_hash > 1). */
static void other_side(char *out, size_t outsz, const char *row, const char *col, int hi,
		       int by_hash, const char *at)
{
	char oid[16] = "";
	if (by_hash > 1)
		snprintf(oid, sizeof oid, ", %d", by_hash);
	snprintf(out, outsz, "%s%s\"%s\"%s%s %s %s", by_hash ? "murphy_split_hash(" : "", row, col,
		 oid, by_hash ? ")" : "", hi ? "<" : ">=", at);
}

static int register_split_hash(sqlite3 *db)
{
	return sqlite3_create_function(db, "murphy_split_hash", -1,
				       SQLITE_UTF8 | SQLITE_DETERMINISTIC, NULL, fn_split_hash,
				       NULL, NULL);
}

/* Delete from the copy at path the rows of table whose column col is
 * >= at (hi = 0: the rows that stay below the bound) or < at (hi = 1);
 * by_hash: the column's hash (murphy_split_hash) against at. */
static int trim_copy(const char *path, const char *table, const char *col, const mur_value *at,
		     int hi, int by_hash, mur_error *err)
{
	char sql[3 * STOR_SPLIT_IDENT_MAX + 96], test[2 * STOR_SPLIT_IDENT_MAX + 48];
	sqlite3 *db;
	sqlite3_stmt *st = NULL;
	int rc;
	if (open_private(path, SQLITE_OPEN_READWRITE, &db, err) != MUR_OK)
		return MUR_ERR;
	other_side(test, sizeof test, "", col, hi, by_hash, "?1");
	snprintf(sql, sizeof sql, "DELETE FROM \"%s\" WHERE %s", table, test);
	rc = stor_register_functions(db);
	if (rc == SQLITE_OK)
		rc = register_split_hash(db);
	if (rc == SQLITE_OK)
		rc = sqlite3_prepare_v2(db, sql, -1, &st, NULL);
	if (rc == SQLITE_OK)
		rc = exec_sql_bind_value(st, 1, at);
	if (rc == SQLITE_OK && (rc = sqlite3_step(st)) == SQLITE_DONE)
		rc = SQLITE_OK;
	if (rc != SQLITE_OK)
		stor_map_sqlite_error(db, rc, err);
	sqlite3_finalize(st);
	sqlite3_close_v2(db);
	return rc == SQLITE_OK ? fsync_file(path, err) : MUR_ERR;
}

static int ident_ok(const char *s)
{
	return s && *s && strlen(s) < STOR_SPLIT_IDENT_MAX && !strchr(s, '"');
}

/* tmp_dir/<lo or hi file>.split: the half copy while prepare writes it. */
static int half_names(const stor_split_req *rq, char *lo, char *hi, mur_error *err)
{
	if (!ident_ok(rq->table) || !ident_ok(rq->col) || !stor_file_name_ok(rq->lo_file) ||
	    !stor_file_name_ok(rq->hi_file))
		return mur_error_set(err, SQLSTATE_INVALID_PARAMETER_VALUE,
				     "split: invalid table, column or file name");
	if (snprintf(lo, STOR_PATH_MAX, "%s/%s.split", rq->tmp_dir, rq->lo_file) >= STOR_PATH_MAX ||
	    snprintf(hi, STOR_PATH_MAX, "%s/%s.split", rq->tmp_dir, rq->hi_file) >= STOR_PATH_MAX)
		return mur_error_set(err, SQLSTATE_PROGRAM_LIMIT_EXCEEDED, "data path too long");
	return MUR_OK;
}

int stor_split_prepare(stor_dir *d, const stor_split_req *rq, uint64_t *lsn, mur_error *err)
{
	char tmp_lo[STOR_PATH_MAX], tmp_hi[STOR_PATH_MAX];
	char *tmp[2] = {tmp_lo, tmp_hi};
	uint64_t lsns[2] = {0, 0};
	int rc;
	if (half_names(rq, tmp_lo, tmp_hi, err) != MUR_OK)
		return MUR_ERR;
	if (mkdir(rq->tmp_dir, 0700) != 0 && errno != EEXIST)
		return mur_error_set(err, SQLSTATE_IO_ERROR, "could not create \"%s\": %s",
				     rq->tmp_dir, strerror(errno));
	rc = MUR_OK;
	for (int i = 0; i < 2 && rc == MUR_OK; i++) {
		unlink_tmp(tmp[i]); /* a leftover of a failed attempt */
		rc = stor_snapshot(d, rq->file, tmp[i], &lsns[i], err);
		if (rc == MUR_OK)
			rc = trim_copy(tmp[i], rq->table, rq->col, &rq->at, i, rq->by_hash, err);
		if (rc == MUR_OK)
			rc = stor_dir_install(d, i ? rq->hi_file : rq->lo_file, tmp[i], err);
	}
	if (rc != MUR_OK) {
		stor_split_discard(rq);
		mur_error_context(err, "split of placement %s", rq->file);
		return MUR_ERR;
	}
	*lsn = lsns[0] < lsns[1] ? lsns[0] : lsns[1];
	return MUR_OK;
}

void stor_split_discard(const stor_split_req *rq)
{
	char tmp_lo[STOR_PATH_MAX], tmp_hi[STOR_PATH_MAX];
	mur_error err;
	if (half_names(rq, tmp_lo, tmp_hi, &err) != MUR_OK)
		return;
	unlink_tmp(tmp_lo);
	unlink_tmp(tmp_hi);
}

#define FILTER_DROP                                                                                \
	"DROP TRIGGER IF EXISTS temp.murphy_split_other; DROP TABLE IF EXISTS "                    \
	"temp.murphy_split_at"

/* The trim as the log is applied: on half's own connection, a temporary
 * trigger that drops an insert of a row of the other side (hi: see
 * other_side) before it is written, compared with the bound kept in a
 * temporary table (the same comparison as trim_copy's bound parameter:
 * the column's affinity applies).  Only inserts need it: a change of a row
 * the half does not hold is skipped (split_half), and UPDATE never changes
 * the distribution column (sql/plan_dml.c: 0A000).  Called with half
 * locked; filter_remove undoes it before the catalog names the file. */
static int half_filter(stor_db *half, const stor_split_req *rq, int hi, mur_error *err)
{
	char sql[3 * STOR_SPLIT_IDENT_MAX + 256], test[2 * STOR_SPLIT_IDENT_MAX + 96];
	sqlite3_stmt *st = NULL;
	int rc = register_split_hash(half->db);
	if (rc == SQLITE_OK)
		rc = sqlite3_exec(half->db,
				  "CREATE TEMP TABLE IF NOT EXISTS murphy_split_at(v);"
				  " DELETE FROM temp.murphy_split_at",
				  NULL, NULL, NULL);
	if (rc == SQLITE_OK)
		rc = sqlite3_prepare_v2(half->db, "INSERT INTO temp.murphy_split_at VALUES (?1)",
					-1, &st, NULL);
	if (rc == SQLITE_OK)
		rc = exec_sql_bind_value(st, 1, &rq->at);
	if (rc == SQLITE_OK && (rc = sqlite3_step(st)) == SQLITE_DONE)
		rc = SQLITE_OK;
	sqlite3_finalize(st);
	other_side(test, sizeof test, "NEW.", rq->col, hi, rq->by_hash,
		   "(SELECT v FROM temp.murphy_split_at)");
	snprintf(sql, sizeof sql,
		 "CREATE TEMP TRIGGER IF NOT EXISTS murphy_split_other BEFORE INSERT ON "
		 "main.\"%s\" WHEN %s BEGIN SELECT RAISE(IGNORE); END",
		 rq->table, test);
	if (rc == SQLITE_OK)
		rc = sqlite3_exec(half->db, sql, NULL, NULL, NULL);
	if (rc != SQLITE_OK)
		return stor_map_sqlite_error(half->db, rc, err);
	half->split_half = 1;
	return MUR_OK;
}

/* The copy is a placement like any other from now on. */
static int filter_remove(stor_db *half, mur_error *err)
{
	int rc = sqlite3_exec(half->db, FILTER_DROP, NULL, NULL, NULL);
	if (rc != SQLITE_OK)
		return stor_map_sqlite_error(half->db, rc, err);
	half->split_half = 0;
	return MUR_OK;
}

/* Half copy hi (0: lower, 1: upper) of rq, installed by prepare, with its
 * filter (half_filter); give it back with put_half. */
static int get_half(stor_dir *d, const stor_split_req *rq, int hi, stor_db **half, mur_error *err)
{
	const char *file = hi ? rq->hi_file : rq->lo_file;
	int rc;
	if (stor_dir_get(d, file, 0, half, err) != MUR_OK) {
		mur_error_context(err, "the split's copy %s is gone", file);
		return MUR_ERR;
	}
	if (stor_lock(*half, err) != MUR_OK) {
		stor_dir_put(d, *half);
		return MUR_ERR;
	}
	rc = half_filter(*half, rq, hi, err);
	stor_unlock(*half);
	if (rc != MUR_OK)
		stor_dir_put(d, *half);
	return rc;
}

/* Give half back, its filter removed when done (finish: it is the new
 * shard's file). */
static int put_half(stor_dir *d, stor_db *half, int done, mur_error *err)
{
	int rc = MUR_OK;
	if (done && (rc = stor_lock(half, err)) == MUR_OK) {
		rc = filter_remove(half, err);
		stor_unlock(half);
	}
	stor_dir_put(d, half);
	return rc;
}

/* Drop from buf (stor_log_read's encoding) the entries past lsn target. */
static void cut_after(mur_buf *buf, uint64_t target)
{
	mur_rd rd;
	size_t keep = 0;
	mur_rd_init(&rd, buf->data, buf->len);
	while (mur_rd_left(&rd) > 0) {
		stor_entry e;
		if (stor_entry_get(&rd, &e) != MUR_OK || e.lsn > target)
			break;
		keep = rd.off;
	}
	buf->len = keep;
}

/* The source's log still holds the half's newest entry (an undo of an
 * undecided entry the half took in its snapshot rewrites the log there:
 * the half would then hold rows the shard never kept). */
static int same_history(stor_db *src, stor_db *half, mur_error *err)
{
	uint64_t at = stor_lsn(half), id;
	int found;
	if (stor_log_entry_at(src, at, &found, &id, err) != MUR_OK)
		return MUR_ERR;
	if (!found || id != stor_entry_id(half))
		return mur_error_set(err, STOR_SQLSTATE_LOG,
				     "the log of placement %s changed under the split at lsn %llu "
				     "(an entry was undone)",
				     src->file, (unsigned long long)at);
	return MUR_OK;
}

/* Bring half up to the source's LSN target with the source's own log
 * (entries by key: half_filter), in batches of STOR_SPLIT_BATCH_BYTES.
 * exact: the source must hold target (its writes are held); otherwise
 * stop where the source is, if it is behind.  *entries += entries applied. */
static int catch_up_half(stor_db *src, stor_db *half, uint64_t target, int exact, uint64_t *entries,
			 mur_error *err)
{
	mur_buf buf;
	uint64_t at, n, last;
	int rc = MUR_OK;
	mur_buf_init(&buf);
	while (rc == MUR_OK && (at = stor_lsn(half)) < target) {
		mur_buf_reset(&buf);
		rc = same_history(src, half, err);
		if (rc == MUR_OK)
			rc = stor_log_read(src, at, STOR_SPLIT_BATCH_BYTES, &buf, &n, &last, err);
		if (rc != MUR_OK)
			break;
		if (n == 0 && !exact)
			break; /* the source is behind the target: the next round */
		if (n == 0)
			rc = mur_error_set(err, STOR_SQLSTATE_LOG,
					   "placement %s is at lsn %llu, the split waits for %llu",
					   src->file, (unsigned long long)at,
					   (unsigned long long)target);
		if (rc == MUR_OK && last > target) /* entries not decided yet */
			cut_after(&buf, target);
		if (rc == MUR_OK)
			rc = stor_apply_entries(half, (const char *)buf.data, buf.len, &last, err);
		if (rc == MUR_OK)
			*entries += stor_lsn(half) - at;
	}
	if (rc == MUR_OK && exact && stor_lsn(half) != target)
		rc = mur_error_set(err, STOR_SQLSTATE_LOG, "the split's copy went past lsn %llu",
				   (unsigned long long)target);
	mur_buf_free(&buf);
	return rc;
}

/* Both halves caught up to target (exact: see catch_up_half); *reached =
 * the lower of their LSNs after it. */
static int catch_up_halves(stor_dir *d, const stor_split_req *rq, uint64_t target, int exact,
			   uint64_t *reached, uint64_t *entries, mur_error *err)
{
	stor_db *src, *half;
	int rc;
	*reached = UINT64_MAX;
	*entries = 0;
	if (stor_dir_get(d, rq->file, 0, &src, err) != MUR_OK)
		return MUR_ERR;
	rc = MUR_OK;
	for (int i = 0; i < 2 && rc == MUR_OK; i++) {
		rc = get_half(d, rq, i, &half, err);
		if (rc == MUR_OK) {
			rc = catch_up_half(src, half, target, exact, entries, err);
			if (stor_lsn(half) < *reached)
				*reached = stor_lsn(half);
			int prc = put_half(d, half, exact && rc == MUR_OK, err);
			rc = rc == MUR_OK ? prc : rc;
		}
	}
	stor_dir_put(d, src);
	return rc;
}

int stor_split_catch_up(stor_dir *d, const stor_split_req *rq, uint64_t target, uint64_t *reached,
			uint64_t *entries, mur_error *err)
{
	char tmp_lo[STOR_PATH_MAX], tmp_hi[STOR_PATH_MAX];
	if (half_names(rq, tmp_lo, tmp_hi, err) != MUR_OK ||
	    catch_up_halves(d, rq, target, 0, reached, entries, err) != MUR_OK) {
		mur_error_context(err, "split of placement %s", rq->file);
		return MUR_ERR;
	}
	return MUR_OK;
}

int stor_split_finish(stor_dir *d, const stor_split_req *rq, uint64_t target, uint64_t *entries,
		      mur_error *err)
{
	char tmp_lo[STOR_PATH_MAX], tmp_hi[STOR_PATH_MAX];
	uint64_t reached;
	if (half_names(rq, tmp_lo, tmp_hi, err) != MUR_OK ||
	    catch_up_halves(d, rq, target, 1, &reached, entries, err) != MUR_OK) {
		mur_error_context(err, "split of placement %s", rq->file);
		return MUR_ERR;
	}
	return MUR_OK;
}
