/*
 * colscan.h — every value of one column of a placement's table, read
 * straight from the table's b-tree pages instead of through SQLite's
 * virtual machine.
 *
 * For whole-shard scans that are bound by SQLite's per-row cost
 * (approx_count_distinct(x) alone: follower/task_run.c; a filtered
 * aggregate's columns: storage/scanfilter.h).  The scan is an
 * optimization that may decline: the caller then reads through SQLite.
 * It declines whenever it cannot be sure to see exactly what a SELECT of
 * that column would see (colscan.c lists the cases), never guessing.
 *
 * Values come as mur_values in SQLite's storage classes, as
 * exec_sql_column_value would give them (a REAL column's integral values,
 * stored as integers, come back as FLOAT); TEXT and BLOB point into the
 * page and are valid only during the callback.  Order: rowid order.
 */
#ifndef MUR_STORAGE_COLSCAN_H
#define MUR_STORAGE_COLSCAN_H

#include "common/value.h"
#include "storage/storage.h"

/* Columns one scan reads (stor_colscan_cols), and the last record
 * position (0-based column number) it reads them from. */
#define STOR_COLSCAN_COLS_MAX 64

/* Called once per row (NULLs included) with the asked columns' values, in
 * the order asked (v[0] for stor_colscan); anything but MUR_OK stops the
 * scan and is returned. */
typedef int (*stor_colscan_fn)(void *ctx, const mur_value *v);

/* Scan column `column` of rowid table `table` in the main database of db.
 * Under stor_lock, with no transaction open on db.  Returns MUR_OK with
 * *done = 1 when fn saw every row, MUR_OK with *done = 0 when the scan
 * declined (fn may have seen some rows: drop what it gathered), or fn's
 * error (fn reports it through its ctx). */
int stor_colscan(stor_db *db, const char *table, const char *column, stor_colscan_fn fn, void *ctx,
		 int *done);

/* The same for ncols distinct columns at once (an INTEGER PRIMARY KEY, the
 * rowid, read from the cell; all among the table's first STOR_COLSCAN_COLS_MAX): fn gets
 * their values in the order of `columns`.  Declines as stor_colscan, and
 * when a column is asked twice. */
int stor_colscan_cols(stor_db *db, const char *table, int ncols, const char *const *columns,
		      stor_colscan_fn fn, void *ctx, int *done);

/* Could stor_colscan_cols read these columns of table (the schema's
 * part of its declines: no such rowid table or column, hidden
 * columns, a column asked twice)?  1 yes, 0 no.  Cheap: the placement's
 * cached statements. */
int stor_colscan_can_read(stor_db *db, const char *table, int ncols, const char *const *columns);

/* Scans that saw every row (done = 1) in this process so far: tests tell
 * by it that a task was read from the pages. */
uint64_t stor_colscan_count(void);

#endif
