/*
 * sqlfn_record.c — a row as one value: PostgreSQL's record output
 * (parser/analyze_record.c writes the call for a whole-row reference,
 * `SELECT t FROM t`, `(SELECT t)`).
 *
 *   mur_record_out(kinds, v1, ..., vn)  "(v1,...,vn)" as PostgreSQL's
 *                                       record_out writes it: a NULL field
 *                                       is empty; a field that is empty or
 *                                       holds " \ ( ) , or white space is
 *                                       quoted, " and \ doubled inside.
 *                                       kinds holds one letter per field:
 *                                       'b' a boolean (SQLite's 0 / 1,
 *                                       written t / f as boolout does),
 *                                       't' a value already in its text
 *                                       output form (the analyzer casts
 *                                       every other type to text).
 *
 * A kinds string of another length than n answers XX000 (the analyzer's
 * bug, not the user's).
 */
#include "storage/storage_int.h"

#include <ctype.h>
#include <sqlite3.h>
#include <string.h>

#include "common/buf.h"

static int needs_quotes(const unsigned char *s, int n)
{
	if (n == 0)
		return 1;
	for (int i = 0; i < n; i++)
		if (s[i] == '"' || s[i] == '\\' || s[i] == '(' || s[i] == ')' || s[i] == ',' ||
		    isspace(s[i]))
			return 1;
	return 0;
}

static void put_field(mur_buf *b, const unsigned char *s, int n)
{
	int q = needs_quotes(s, n);
	if (q)
		mur_buf_put_u8(b, '"');
	for (int i = 0; i < n; i++) {
		if (s[i] == '"' || s[i] == '\\')
			mur_buf_put_u8(b, s[i]);
		mur_buf_put_u8(b, s[i]);
	}
	if (q)
		mur_buf_put_u8(b, '"');
}

static void fn_record_out(sqlite3_context *cx, int argc, sqlite3_value **v)
{
	const char *kinds = argc > 0 ? (const char *)sqlite3_value_text(v[0]) : NULL;
	mur_buf b;
	if (!kinds || (int)strlen(kinds) != argc - 1)
		return stor_fn_fail(cx, "XX000", "mur_record_out: kinds do not match the fields");
	mur_buf_init(&b);
	mur_buf_put_u8(&b, '(');
	for (int i = 1; i < argc; i++) {
		if (i > 1)
			mur_buf_put_u8(&b, ',');
		if (sqlite3_value_type(v[i]) == SQLITE_NULL)
			continue;
		if (kinds[i - 1] == 'b') {
			mur_buf_put_u8(&b, sqlite3_value_int64(v[i]) ? 't' : 'f');
			continue;
		}
		put_field(&b, sqlite3_value_text(v[i]), sqlite3_value_bytes(v[i]));
	}
	mur_buf_put_u8(&b, ')');
	if (!mur_buf_ok(&b)) {
		mur_buf_free(&b);
		return sqlite3_result_error_nomem(cx);
	}
	sqlite3_result_text(cx, (const char *)b.data, (int)b.len, SQLITE_TRANSIENT);
	mur_buf_free(&b);
}

static const stor_fn_def record_fns[] = {
	{"mur_record_out", -1, 1, fn_record_out},
};

int stor_register_record_functions(sqlite3 *db)
{
	return stor_fn_register(db, record_fns, sizeof record_fns / sizeof record_fns[0]);
}
