/*
 * failrow.c — the failing row of a NOT NULL or CHECK violation found in
 * the shard, for PostgreSQL's DETAIL "Failing row contains (...)."
 * (stor_failrow_detail).
 *
 * SQLite's NOT NULL error names the column, a CHECK trigger's RAISE a
 * constant message: neither has the row, which is gone once the statement
 * failed.  So, on that failure only, the same execution runs again inside
 * a savepoint with two TEMP triggers on the table — BEFORE INSERT and
 * BEFORE UPDATE, each handing every column of NEW to a function that keeps
 * the latest row (rerun.c, stor_rerun_noting, as dupkey.c does for 23505).
 * TEMP triggers fire before the table's own (the CHECK triggers), and NOT
 * NULL is checked after every BEFORE trigger, so the last row noted is the
 * one that failed; the re-run must fail the same way.  Everything is
 * undone.
 *
 * The columns noted, and the types they print by, are the ones the
 * statement's tag names (common/failing_row.h: the shard knows storage
 * classes, not types, and its table's column order may not be the
 * catalog's), a timestamptz marked for the leader to print in the session's
 * zone (failing_row.h).  No tag, a tag naming a column the
 * table lacks, or a re-run that does not fail alike: no DETAIL, as before.
 * The cost is paid only by statements that failed with 23502 or 23514.
 */
#include "storage/storage_int.h"

#include "common/buf.h"
#include "common/failing_row.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Columns a tag may name: PostgreSQL's MaxHeapAttributeNumber (murphy's
 * catalog holds fewer). */
#define STOR_FAILROW_COLS_MAX 1600

typedef struct failrow_note {
	mur_buf row; /* the latest NEW, mur_row encoded */
	int calls;
} failrow_note;

static void fn_note(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
	failrow_note *n = sqlite3_user_data(ctx);
	mur_buf_reset(&n->row);
	for (int i = 0; i < argc; i++) {
		mur_value v = stor_fn_value(argv[i]);
		mur_row_put_value(&n->row, &v);
	}
	n->calls++;
	sqlite3_result_null(ctx);
}

/* The table in a 23502 / 23514 message: `... relation "t" violates ...`. */
static int table_of(const char *msg, char *table, size_t sz)
{
	const char *p = strstr(msg, "relation \""), *end;
	if (!p)
		return 0;
	p += 10;
	end = strstr(p, "\" violates");
	if (!end || (size_t)(end - p) >= sz || memchr(p, '"', (size_t)(end - p)))
		return 0;
	snprintf(table, sz, "%.*s", (int)(end - p), p);
	return 1;
}

/* The noted row as the DETAIL, when it has the tag's n columns. */
static void put_detail(const failrow_note *note, int n, const mur_type *types, mur_error *err)
{
	mur_value *vals = calloc((size_t)n, sizeof *vals);
	mur_rd rd;
	int ok = vals != NULL;
	mur_rd_init(&rd, note->row.data, note->row.len);
	for (int i = 0; i < n && ok; i++)
		ok = mur_row_get_value(&rd, &vals[i]) == MUR_OK;
	if (ok)
		mur_failing_row(err, n, types, vals, NULL);
	free(vals);
}

void stor_failrow_detail(sqlite3 *db, sqlite3_stmt *st, mur_error *err)
{
	mur_type types[STOR_FAILROW_COLS_MAX];
	char table[256], msg[512];
	failrow_note note = {.calls = 0};
	mur_buf args;
	int n;
	if (strcmp(err->sqlstate, SQLSTATE_NOT_NULL_VIOLATION) != 0 &&
	    strcmp(err->sqlstate, SQLSTATE_CHECK_VIOLATION) != 0)
		return;
	mur_buf_init(&args);
	mur_buf_init(&note.row);
	n = mur_failing_row_tag_parse(sqlite3_sql(st), types, STOR_FAILROW_COLS_MAX, &args);
	snprintf(msg, sizeof msg, "%s", sqlite3_errmsg(db));
	sqlite3_reset(st); /* bindings stay */
	if (n > 0 && table_of(err->message, table, sizeof table) &&
	    stor_rerun_noting(db, st, "mur_failrow", table, mur_buf_cstr(&args), n, fn_note, &note,
			      msg) &&
	    note.calls > 0 && mur_buf_ok(&note.row))
		put_detail(&note, n, types, err);
	mur_buf_free(&args);
	mur_buf_free(&note.row);
}
