/*
 * rowfilter.c — keep the encoded rows a SQL filter passes (sqlrow.h:
 * stor_rows_filter).
 *
 * A shard whose aggregate groups are whole on it (GROUP BY holding the
 * distribution column) can apply the query's HAVING itself: only the
 * groups that pass travel to the leader, which applies it again in its
 * final SQL (TPC-H's Q18: `IN (SELECT l_orderkey ... GROUP BY l_orderkey
 * HAVING sum(l_quantity) > 300)` sent 150,000 groups to keep 10).  The
 * filter is SQL over table r, as the leader's final SQL reads the merged
 * rows, so every function and parameter of the final SQL works alike.
 *
 * It runs in a fresh in-memory SQLite (as a join owner's), never on the
 * shard's connection: a table r there would change that file's schema.
 * The rows are read where they are (rowtab.c, table r); the result
 * replaces them.  Parameters are the task's, bound by number.
 */
#include "storage/sqlrow.h"

#include "common/error.h"
#include "storage/storage.h"

#include <stdlib.h>
#include <string.h>

int stor_rows_filter(const char *sql, const mur_value *params, uint32_t nparams, uint32_t ncols,
		     mur_buf *rows, uint64_t *nrows, mur_error *err)
{
	sqlite3 *db = NULL;
	sqlite3_stmt *st = NULL;
	mur_buf out;
	uint64_t n = 0;
	int rc, ret = MUR_ERR;
	mur_buf_init(&out);
	rc = sqlite3_open_v2(":memory:", &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_MEMORY, NULL);
	if (rc != SQLITE_OK || stor_register_functions(db) != SQLITE_OK) {
		mur_error_set(err, SQLSTATE_OUT_OF_MEMORY, "cannot open a database for HAVING");
		goto done;
	}
	if (stor_rowtab_create(db, "r", rows->data, rows->len, *nrows, ncols, err) != MUR_OK)
		goto done;
	if ((rc = sqlite3_prepare_v2(db, sql, -1, &st, NULL)) != SQLITE_OK)
		goto sqlite_err;
	for (uint32_t i = 0; i < nparams && (int)i < sqlite3_bind_parameter_count(st); i++)
		if ((rc = exec_sql_bind_value(st, (int)i + 1, &params[i])) != SQLITE_OK)
			goto sqlite_err;
	if (sqlite3_column_count(st) != (int)ncols) {
		mur_error_set(err, SQLSTATE_INTERNAL_ERROR,
			      "HAVING filter: %d columns, rows have %u", sqlite3_column_count(st),
			      ncols);
		goto done;
	}
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		exec_sql_put_row(st, (int)ncols, &out);
		n++;
	}
	if (rc != SQLITE_DONE)
		goto sqlite_err;
	if (!mur_buf_ok(&out)) {
		mur_error_set(err, SQLSTATE_OUT_OF_MEMORY, "out of memory");
		goto done;
	}
	sqlite3_finalize(st);
	st = NULL;
	sqlite3_exec(db, "DROP TABLE r", NULL, NULL, NULL); /* before the rows go */
	mur_buf_free(rows);
	*rows = out;
	mur_buf_init(&out);
	*nrows = n;
	ret = MUR_OK;
	goto done;
sqlite_err:
	stor_map_sqlite_error(db, rc, err);
done:
	sqlite3_finalize(st);
	sqlite3_close(db);
	mur_buf_free(&out);
	return ret;
}
