/*
 * sqlrow.c — murphy values in and out of SQLite statements (sqlrow.h).
 */
#include "storage/sqlrow.h"

#include "storage/storage.h"

int exec_sql_bind_value(sqlite3_stmt *st, int i, const mur_value *v)
{
	switch (v->kind) {
	case MV_INT:
		return sqlite3_bind_int64(st, i, v->i);
	case MV_FLOAT:
		return sqlite3_bind_double(st, i, v->f);
	case MV_TEXT:
		return sqlite3_bind_text64(st, i, v->s ? v->s : "", v->len, SQLITE_STATIC,
					   SQLITE_UTF8);
	case MV_BLOB:
		return sqlite3_bind_blob64(st, i, v->s ? v->s : "", v->len, SQLITE_STATIC);
	default:
		return sqlite3_bind_null(st, i);
	}
}

/* Read through the column's sqlite3_value: one statement call per column
 * instead of three (sqlite3_column_type, _text and _bytes each enter and
 * leave the statement), a fifth of a follower's time in TPC-H's Q1.  The
 * value is "unprotected" (no mutex held): safe because a statement is only
 * ever stepped by one thread at a time (a placement's tasks are
 * serialized; the leader's SQLite is its loop's). */
mur_value exec_sql_column_value(sqlite3_stmt *st, int i)
{
	sqlite3_value *v = sqlite3_column_value(st, i);
	switch (sqlite3_value_type(v)) {
	case SQLITE_INTEGER:
		return mur_v_int(sqlite3_value_int64(v));
	case SQLITE_FLOAT:
		return mur_v_float(sqlite3_value_double(v));
	case SQLITE_TEXT: {
		const char *s = (const char *)sqlite3_value_text(v);
		return mur_v_text(s ? s : "", (size_t)sqlite3_value_bytes(v));
	}
	case SQLITE_BLOB: {
		const char *s = sqlite3_value_blob(v);
		return mur_v_blob(s ? s : "", (size_t)sqlite3_value_bytes(v));
	}
	default:
		return mur_v_null();
	}
}

void exec_sql_put_row(sqlite3_stmt *st, int ncols, mur_buf *out)
{
	for (int i = 0; i < ncols; i++) {
		mur_value v = exec_sql_column_value(st, i);
		mur_row_put_value(out, &v);
	}
}

int exec_sql_load_rows(sqlite3 *db, sqlite3_stmt *insert, const char *rows, size_t len,
		       uint64_t nrows, uint32_t ncols, mur_error *err)
{
	mur_rd rd;
	mur_rd_init(&rd, rows, len);
	for (uint64_t r = 0; r < nrows; r++) {
		int rc;
		for (uint32_t c = 0; c < ncols; c++) {
			mur_value v;
			if (mur_row_get_value(&rd, &v) != MUR_OK) {
				mur_error_set(err, SQLSTATE_INTERNAL_ERROR, "malformed rows");
				return MUR_EPROTO;
			}
			exec_sql_bind_value(insert, (int)c + 1, &v);
		}
		rc = sqlite3_step(insert);
		sqlite3_reset(insert);
		if (rc != SQLITE_DONE) {
			stor_map_sqlite_error(db, rc, err);
			return MUR_ERR;
		}
	}
	if (mur_rd_left(&rd) != 0) {
		mur_error_set(err, SQLSTATE_INTERNAL_ERROR, "malformed rows");
		return MUR_EPROTO;
	}
	return MUR_OK;
}

void exec_sql_result_value(sqlite3_context *cx, const mur_value *v, sqlite3_destructor_type d)
{
	switch (v->kind) {
	case MV_INT:
		sqlite3_result_int64(cx, v->i);
		break;
	case MV_FLOAT:
		sqlite3_result_double(cx, v->f);
		break;
	case MV_TEXT:
		sqlite3_result_text64(cx, v->s ? v->s : "", v->len, d, SQLITE_UTF8);
		break;
	case MV_BLOB:
		sqlite3_result_blob64(cx, v->s ? v->s : "", v->len, d);
		break;
	default:
		sqlite3_result_null(cx);
	}
}
