/*
 * sqlrow.h — murphy values in and out of SQLite statements.
 *
 * One mapping, used wherever murphy runs SQL in SQLite (shard tasks on a
 * follower, the owner of a repartitioned join, the leader's final SQL):
 * INT ↔ INTEGER, FLOAT ↔ REAL, TEXT ↔ TEXT, BLOB ↔ BLOB, NULL ↔ NULL.
 * Bound text and blobs are SQLITE_STATIC: the caller keeps the bytes alive
 * until the statement is stepped and reset.  Column values point into
 * SQLite's memory, valid until the next step/reset/finalize.
 */
#ifndef STORAGE_SQLROW_H
#define STORAGE_SQLROW_H

#include "common/buf.h"
#include "common/error.h"
#include "common/value.h"

#include <sqlite3.h>
#include <stdint.h>

int exec_sql_bind_value(sqlite3_stmt *st, int i, const mur_value *v); /* SQLITE_OK or an error */
mur_value exec_sql_column_value(sqlite3_stmt *st, int i);
/* Set a function's or virtual table column's result to v (text and blobs
 * with destructor d: SQLITE_STATIC when v's bytes outlive the statement's
 * use of them, else SQLITE_TRANSIENT; a text without bytes is ''). */
void exec_sql_result_value(sqlite3_context *cx, const mur_value *v, sqlite3_destructor_type d);
/* Append the current row's ncols columns to out (mur_row encoding). */
void exec_sql_put_row(sqlite3_stmt *st, int ncols, mur_buf *out);
/* Step `insert` (ncols parameters) once per row of rows (nrows × ncols,
 * mur_row encoding, exactly len bytes).  The caller wraps it in a
 * transaction.  MUR_OK; MUR_EPROTO on malformed rows; MUR_ERR with err set
 * from SQLite (stor_map_sqlite_error) otherwise. */
int exec_sql_load_rows(sqlite3 *db, sqlite3_stmt *insert, const char *rows, size_t len,
		       uint64_t nrows, uint32_t ncols, mur_error *err);

/* rowtab.c: table `name` of db (dropped first if it exists) reads rows
 * (nrows × ncols, mur_row encoding, len bytes) where they are, as columns
 * c0, c1, ... without affinity: a SQLite virtual table (module mur_rows,
 * registered by stor_register_functions).  The rows are borrowed: the
 * caller keeps them unchanged until it drops the table.  A scan over rows
 * that do not decode fails (SQLITE_CORRUPT, "malformed rows").  MUR_OK, or
 * MUR_ERR with err set. */
int stor_rowtab_create(sqlite3 *db, const char *name, const char *rows, size_t len, uint64_t nrows,
		       uint32_t ncols, mur_error *err);
int stor_rowtab_register(sqlite3 *db); /* SQLITE_OK or SQLite's rc */

/* subq_values.c: the table-valued function mur_subq_values(set), one row
 * (column v) per value of a subquery's result blob (sqlfn_subq.c), for
 * `x IN (SELECT v FROM mur_subq_values(?n))` that SQLite can answer from
 * x's index.  Registered by stor_register_functions. */
int stor_subq_values_register(sqlite3 *db); /* SQLITE_OK or SQLite's rc */

/* subq_rows.c: the table-valued function mur_subq_rows(rows, ncols),
 * columns c0, c1, ...: a subquery's rows shipped to a shard task as one
 * parameter (parser/analyze_ship.c).  Registered by stor_register_functions. */
int stor_subq_rows_register(sqlite3 *db); /* SQLITE_OK or SQLite's rc */

/* rowfilter.c: run sql (a SELECT over table r, ncols columns out) over
 * rows (nrows × ncols, mur_row encoding) as table r, in a fresh in-memory
 * database, params bound to ?1..; rows and *nrows become its result.
 * MUR_OK, or MUR_ERR with err set (rows unchanged). */
int stor_rows_filter(const char *sql, const mur_value *params, uint32_t nparams, uint32_t ncols,
		     mur_buf *rows, uint64_t *nrows, mur_error *err);

#endif
