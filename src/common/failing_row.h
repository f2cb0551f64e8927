/*
 * failing_row.h — PostgreSQL's "Failing row contains (...)." DETAIL of a
 * NOT NULL or CHECK violation (executor/execMain.c,
 * ExecBuildSlotValueDescription): each column's text output, "null" for
 * NULL, a value longer than 64 bytes cut (on a UTF-8 boundary) with
 * "...", joined by ", ".
 */
#ifndef COMMON_FAILING_ROW_H
#define COMMON_FAILING_ROW_H

#include "common/buf.h"
#include "common/error.h"
#include "common/value.h"

/* Set err's detail to the row vals[0..n) of types types[0..n) (each value
 * coerced to its type first; one that does not coerce prints as given);
 * timestamptz in f's zone (NULL: marked, below). */
void mur_failing_row(mur_error *err, int n, const mur_type *types, const mur_value *vals,
		     const mur_outfmt *f);

/*
 * The row of a write's shard statement.  A NOT NULL violation of an
 * UPDATE and a CHECK violation are found in the shard by SQLite, which
 * knows each column's storage class but not its type (a boolean is stored
 * 0/1, a timestamptz as UTC text), nor the table's column order (an ALTER
 * COLUMN TYPE moves the column to the end of the shard's table): the
 * leader ends the statement with a comment naming, in the table's order,
 * each column PostgreSQL shows (not the hidden row id) with its type OID:
 * " /\*murphy:row_types 23 "id",25 "t",16 "b"*\/"; the shard that fails
 * reads it back (storage/failrow.c).
 */
#define MUR_FAILING_ROW_TAG "/*murphy:row_types "

/* Append the tag for the n columns names[i] of types types[i]; nothing
 * when a name holds "*" followed by "/" (it would end the comment). */
void mur_failing_row_tag(mur_buf *b, int n, const char *const *names, const mur_type *types);

/* The type the tag in sql gives the column name[0..len) (MT_UNKNOWN: no
 * tag, or not in it; a tag of more than MUR_FAILING_ROW_LOOKUP_MAX
 * columns is not looked in). */
#define MUR_FAILING_ROW_LOOKUP_MAX 1600
mur_type mur_failing_row_tag_type(const char *sql, const char *name, size_t len);

/* v's text as type t prints it (coerced first; as given when it does not
 * coerce; "null" for NULL), appended to out.  f NULL (a shard, or the
 * leader where it has no session at hand): a timestamptz is its stored
 * UTC text between MUR_FAILING_ROW_TZ_OPEN and _CLOSE, bytes no UTF-8
 * text holds, which mur_failing_row_localize rewrites. */
void mur_failing_row_text(mur_type t, const mur_value *v, const mur_outfmt *f, mur_buf *out);

/*
 * A timestamptz in a DETAIL prints in the session's TimeZone, as
 * PostgreSQL's does; the shard that writes "Failing row contains (...)"
 * or "Key (...)=(...) already exists" does not know the session, so it
 * marks the value and the leader's pgwire edge, the one place every
 * ERROR passes (pgw_engine_ops.localize_error), writes it in the zone:
 * nothing is sent or computed for it on a statement that does not fail.
 */
#define MUR_FAILING_ROW_TZ_OPEN '\xff'
#define MUR_FAILING_ROW_TZ_CLOSE '\xfe'

/* err's detail with each marked timestamptz in f's zone (a mark without
 * its close, as a DETAIL cut at MUR_ERROR_DETAIL_MAX, is dropped);
 * nothing when the detail holds no mark. */
void mur_failing_row_localize(mur_error *err, const mur_outfmt *f);

/* The tag in sql (its last: the leader appends it after everything but a
 * RETURNING of column names): types[0..n), and news gets `NEW."id",
 * NEW."t", ...`; returns n, or -1 when sql has no well-formed tag of at
 * most max columns. */
int mur_failing_row_tag_parse(const char *sql, mur_type *types, int max, mur_buf *news);

#endif
