/*
 * dupkey.c — the key values of a duplicate, for 23505's DETAIL
 * (stor_dupkey_detail): "Key (a, b)=(1, x) already exists.", as
 * PostgreSQL writes it.
 *
 * SQLite's message names the table and the key's columns ("UNIQUE
 * constraint failed: t.a, t.b"), never the values, and the failing row
 * is gone once the statement failed.  So, on that failure only, the same
 * execution runs again inside a savepoint with two TEMP triggers on the
 * table — BEFORE INSERT and BEFORE UPDATE, which fire for each row before
 * its constraints are checked — each handing NEW's key columns to a
 * function that keeps the latest (rerun.c, stor_rerun_noting).  The
 * re-run fails at the same row (the statement and its bindings are the
 * same, and so is the data before it); the last row noted is the
 * duplicate.  Everything is undone; the write's transaction is left as
 * the failure left it.  An upsert's DO UPDATE is
 * an UPDATE of the row it met: its new values are noted the same way.
 *
 * Values print by the type the statement's row-types tag gives their
 * column (common/failing_row.h: a boolean stored 0/1 prints t/f, a
 * timestamptz marked, for the leader to print in the session's zone); a column the tag does not name (or no tag)
 * prints by how it is stored: integers and text as PostgreSQL prints int
 * and text, a float by its shortest round-trip form, a blob as bytea's
 * hex, NULL as "null".  When anything
 * fails (no trigger can be made, the re-run does not fail the same way)
 * the DETAIL stays as it was: "Key (a, b) already exists.".  The cost is
 * paid only by statements that failed with 23505.
 */
#include "storage/storage_int.h"

#include "common/buf.h"
#include "common/failing_row.h"
#include "common/value.h"

#include <stdio.h>
#include <string.h>

/* Key columns noted: PostgreSQL's index limit (INDEX_MAX_KEYS). */
#define STOR_DUPKEY_COLS_MAX 32

typedef struct dupkey_note {
	mur_buf vals; /* "v1, v2": the latest row's key, as the DETAIL prints it */
	int calls;
	mur_type types[STOR_DUPKEY_COLS_MAX]; /* from the statement's tag; MT_UNKNOWN: none */
} dupkey_note;

static void put_value(sqlite3_value *v, mur_type t, mur_buf *b)
{
	mur_value mv;
	if (t != MT_UNKNOWN && sqlite3_value_type(v) != SQLITE_NULL) {
		mv = stor_fn_value(v);
		mur_failing_row_text(t, &mv, NULL, b);
		return;
	}
	switch (sqlite3_value_type(v)) {
	case SQLITE_INTEGER:
		mur_buf_printf(b, "%lld", (long long)sqlite3_value_int64(v));
		break;
	case SQLITE_FLOAT:
		mv = mur_v_float(sqlite3_value_double(v));
		mur_value_to_pgtext(MT_FLOAT8, &mv, b);
		break;
	case SQLITE_TEXT:
		mur_buf_put(b, sqlite3_value_text(v), (size_t)sqlite3_value_bytes(v));
		break;
	case SQLITE_BLOB:
		mv = mur_v_blob(sqlite3_value_blob(v), (size_t)sqlite3_value_bytes(v));
		mur_value_to_pgtext(MT_BYTEA, &mv, b);
		break;
	default:
		mur_buf_printf(b, "null");
	}
}

static void fn_note(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
	dupkey_note *n = sqlite3_user_data(ctx);
	mur_buf_reset(&n->vals);
	for (int i = 0; i < argc; i++) {
		if (i)
			mur_buf_printf(&n->vals, ", ");
		put_value(argv[i], i < STOR_DUPKEY_COLS_MAX ? n->types[i] : MT_UNKNOWN, &n->vals);
	}
	n->calls++;
	sqlite3_result_null(ctx);
}

/* "UNIQUE constraint failed: t.a, t.b" → table "t" and the trigger's
 * arguments NEW."a", NEW."b" (and each one's type in sql's row-types tag,
 * common/failing_row.h); 0 when msg is not such a message. */
static int parse_key(const char *msg, const char *sql, char *table, size_t tsz, mur_buf *args,
		     mur_type *types, int *ncols)
{
	const char *p = strstr(msg, "failed: ");
	*ncols = 0;
	if (!p)
		return 0;
	p += 8;
	while (*p) {
		const char *dot = strchr(p, '.'), *end = strstr(p, ", ");
		if (!end)
			end = p + strlen(p);
		if (!dot || dot > end || *ncols >= STOR_DUPKEY_COLS_MAX)
			return 0;
		if (*ncols == 0)
			snprintf(table, tsz, "%.*s", (int)(dot - p), p);
		types[*ncols] = mur_failing_row_tag_type(sql, dot + 1, (size_t)(end - dot - 1));
		mur_buf_printf(args, "%sNEW.\"", *ncols ? ", " : "");
		for (const char *c = dot + 1; c < end; c++) /* quoted: double any '"' */
			mur_buf_printf(args, *c == '"' ? "\"\"" : "%c", *c);
		mur_buf_printf(args, "\"");
		(*ncols)++;
		p = *end ? end + 2 : end;
	}
	return *ncols > 0 && strchr(table, '"') == NULL;
}

void stor_dupkey_detail(sqlite3 *db, sqlite3_stmt *st, mur_error *err)
{
	char table[256], msg[512], cols[MUR_ERROR_DETAIL_MAX];
	const char *open, *close;
	dupkey_note note = {.calls = 0};
	mur_buf args;
	int ncols;
	if (strcmp(err->sqlstate, SQLSTATE_UNIQUE_VIOLATION) != 0)
		return;
	snprintf(msg, sizeof msg, "%s", sqlite3_errmsg(db));
	/* the columns as the DETAIL has them already: "Key (a, b) already exists." */
	open = strstr(err->detail, "Key (");
	close = open ? strstr(open, ") already exists.") : NULL;
	if (!open || !close)
		return;
	snprintf(cols, sizeof cols, "%.*s", (int)(close - open - 5), open + 5);
	mur_buf_init(&args);
	mur_buf_init(&note.vals);
	sqlite3_reset(st); /* bindings stay */
	if (parse_key(msg, sqlite3_sql(st), table, sizeof table, &args, note.types, &ncols) &&
	    mur_buf_ok(&args) &&
	    stor_rerun_noting(db, st, "mur_dupkey", table, mur_buf_cstr(&args), ncols, fn_note,
			      &note, msg) &&
	    note.calls > 0 && mur_buf_ok(&note.vals))
		mur_error_detail(err, "Key (%s)=(%s) already exists.", cols,
				 mur_buf_cstr(&note.vals));
	mur_buf_free(&args);
	mur_buf_free(&note.vals);
}
