/*
 * errmap.c — SQLite result codes to SQLSTATEs (stor_map_sqlite_error).
 *
 * The one place where a SQLite failure becomes a PostgreSQL error.
 * Constraint messages are rebuilt in PostgreSQL's words from SQLite's:
 *
 *   "UNIQUE constraint failed: t.a, t.b"  → 23505 duplicate key value
 *       violates unique constraint "t_pkey" (PRIMARY KEY) or "t_a_b_key"
 *       (PostgreSQL's default name for a UNIQUE constraint)
 *   "NOT NULL constraint failed: t.x"     → 23502 null value in column "x"
 *       of relation "t" violates not-null constraint
 *   "CHECK constraint failed: c"          → 23514 (SQLite does not name
 *       the table, so neither do we)
 *
 * murphy's SQL functions report PostgreSQL errors through SQLite as
 * "SQLSTATE:ccccc:message" or "SQLSTATE:ccccc:message\nHINT:hint"
 * (sqlite3_result_error); that prefix (and the hint) is decoded here.  The key values of a duplicate are not in SQLite's message, so the
 * DETAIL names only the columns; a write adds the values with
 * stor_dupkey_detail (dupkey.c).
 *
 * SQLite's own nesting limits ("parser stack overflow": its parser holds
 * YYSTACKDEPTH = 100 entries, about 30 levels of parentheses or nested
 * calls; "Expression tree is too large": SQLITE_MAX_EXPR_DEPTH = 1000, a
 * chain of ~1,000 terms; emit.c keeps both away from what PostgreSQL
 * users write) are 54001, as PostgreSQL reports a statement nested past
 * max_stack_depth.
 */
#include "storage/storage.h"

#include <stdio.h>
#include <string.h>

/* Column name col[0..n) as PostgreSQL's quote_identifier prints it in a
 * DETAIL: bare when lower-case letters, digits and '_' (not first a
 * digit), else in double quotes with '"' doubled (keywords are not
 * looked for).  Appended at out + *at (room sz). */
static void put_ident(char *out, size_t sz, size_t *at, const char *col, size_t n)
{
	int bare = n > 0 && !(col[0] >= '0' && col[0] <= '9');
	for (size_t i = 0; i < n && bare; i++)
		bare = (col[i] >= 'a' && col[i] <= 'z') || (col[i] >= '0' && col[i] <= '9') ||
		       col[i] == '_';
	if (bare) {
		*at += (size_t)snprintf(out + *at, *at < sz ? sz - *at : 0, "%.*s", (int)n, col);
	} else {
		*at += (size_t)snprintf(out + *at, *at < sz ? sz - *at : 0, "\"");
		for (size_t i = 0; i < n; i++)
			*at += (size_t)snprintf(out + *at, *at < sz ? sz - *at : 0,
						col[i] == '"' ? "\"\"" : "%c", col[i]);
		*at += (size_t)snprintf(out + *at, *at < sz ? sz - *at : 0, "\"");
	}
	if (*at >= sz)
		*at = sz - 1;
}

/* "t.a, t.b" → table "t", columns "a, b" (display: quoted as a DETAIL's
 * key when quote) and "a_b" (name). */
static void split_columns(const char *list, int quote, char *table, size_t tsz, char *cols,
			  size_t csz, char *joined, size_t jsz)
{
	size_t tn = 0, cn = 0, jn = 0;
	int first = 1;
	table[0] = cols[0] = joined[0] = '\0';
	while (*list) {
		while (*list == ' ' || *list == ',')
			list++;
		const char *dot = strchr(list, '.');
		const char *end = strchr(list, ',');
		if (!end)
			end = list + strlen(list);
		if (!dot || dot > end)
			dot = NULL;
		if (first && dot) {
			tn = (size_t)(dot - list) < tsz - 1 ? (size_t)(dot - list) : tsz - 1;
			memcpy(table, list, tn);
			table[tn] = '\0';
		}
		const char *col = dot ? dot + 1 : list;
		size_t n = (size_t)(end - col);
		cn += (size_t)snprintf(cols + cn, cn < csz ? csz - cn : 0, "%s", first ? "" : ", ");
		if (cn >= csz)
			cn = csz - 1;
		if (quote)
			put_ident(cols, csz, &cn, col, n);
		else
			cn += (size_t)snprintf(cols + cn, cn < csz ? csz - cn : 0, "%.*s", (int)n,
					       col);
		jn += (size_t)snprintf(joined + jn, jn < jsz ? jsz - jn : 0, "%s%.*s",
				       first ? "" : "_", (int)n, col);
		if (cn >= csz)
			cn = csz - 1;
		if (jn >= jsz)
			jn = jsz - 1;
		first = 0;
		list = end;
	}
}

static int map_constraint(int ext, const char *msg, mur_error *err)
{
	char table[128], cols[256], joined[256];
	const char *colon = strstr(msg, "failed: ");
	const char *what = colon ? colon + 8 : "";

	switch (ext) {
	case SQLITE_CONSTRAINT_PRIMARYKEY:
	case SQLITE_CONSTRAINT_UNIQUE:
		split_columns(what, 1, table, sizeof table, cols, sizeof cols, joined,
			      sizeof joined);
		if (ext == SQLITE_CONSTRAINT_PRIMARYKEY)
			mur_error_set(err, SQLSTATE_UNIQUE_VIOLATION,
				      "duplicate key value violates unique constraint \"%s_pkey\"",
				      table);
		else
			mur_error_set(err, SQLSTATE_UNIQUE_VIOLATION,
				      "duplicate key value violates unique constraint "
				      "\"%s_%s_key\"",
				      table, joined);
		mur_error_detail(err, "Key (%s) already exists.", cols);
		return MUR_ERR;
	case SQLITE_CONSTRAINT_NOTNULL:
		split_columns(what, 0, table, sizeof table, cols, sizeof cols, joined,
			      sizeof joined);
		return mur_error_set(err, SQLSTATE_NOT_NULL_VIOLATION,
				     "null value in column \"%s\" of relation \"%s\" violates "
				     "not-null constraint",
				     cols, table);
	case SQLITE_CONSTRAINT_CHECK:
		return mur_error_set(err, SQLSTATE_CHECK_VIOLATION,
				     "new row violates check constraint \"%s\"", what);
	default:
		return mur_error_set(err, "23000", "%s", msg);
	}
}

/* "SQLSTATE:ccccc:message[\nDETAIL:detail][\nHINT:hint]" → 1 and err set. */
static int map_prefixed(const char *msg, mur_error *err)
{
	if (strncmp(msg, "SQLSTATE:", 9) != 0 || strlen(msg) < 15 || msg[14] != ':')
		return 0;
	char st[6];
	for (int i = 0; i < 5; i++) {
		char c = msg[9 + i];
		if (!((c >= '0' && c <= '9') || (c >= 'A' && c <= 'Z')))
			return 0;
		st[i] = c;
	}
	st[5] = '\0';
	const char *hint = strstr(msg + 15, STOR_ERROR_HINT_SEP);
	const char *detail = strstr(msg + 15, STOR_ERROR_DETAIL_SEP);
	const char *end = hint ? hint : msg + strlen(msg);
	if (detail && detail > end)
		detail = NULL;
	mur_error_set(err, st, "%.*s", (int)((detail ? detail : end) - (msg + 15)), msg + 15);
	if (detail)
		mur_error_detail(err, "%.*s", (int)(end - detail - strlen(STOR_ERROR_DETAIL_SEP)),
				 detail + strlen(STOR_ERROR_DETAIL_SEP));
	if (hint)
		mur_error_hint(err, "%s", hint + strlen(STOR_ERROR_HINT_SEP));
	return 1;
}

/* SQLite refused the emitted SQL as nested too deeply. */
static int map_depth(const char *msg, mur_error *err)
{
	if (strcmp(msg, "parser stack overflow") != 0 &&
	    strncmp(msg, "Expression tree is too large", 28) != 0)
		return 0;
	mur_error_set(err, SQLSTATE_STACK_DEPTH_EXCEEDED, "stack depth limit exceeded");
	mur_error_hint(err,
		       "SQLite, which runs the statement, refused it: %s. Nest less: write "
		       "long chains of operators as lists (IN (...), VALUES).",
		       msg);
	return 1;
}

int stor_map_sqlite_error(sqlite3 *db, int rc, mur_error *err)
{
	int ext = rc;
	const char *msg = sqlite3_errstr(rc);
	if (db) {
		int dext = sqlite3_extended_errcode(db);
		if ((dext & 0xff) == (rc & 0xff)) {
			ext = dext;
			msg = sqlite3_errmsg(db);
		}
	}
	if (map_prefixed(msg, err) || map_depth(msg, err))
		return MUR_ERR;
	switch (ext & 0xff) {
	case SQLITE_CONSTRAINT:
		return map_constraint(ext, msg, err);
	case SQLITE_NOMEM:
		return mur_error_set(err, SQLSTATE_OUT_OF_MEMORY, "out of memory");
	case SQLITE_FULL:
		return mur_error_set(err, "53100", "could not write to placement: disk full");
	case SQLITE_IOERR:
	case SQLITE_CANTOPEN:
		return mur_error_set(err, SQLSTATE_IO_ERROR, "%s", msg);
	case SQLITE_INTERRUPT:
		return mur_error_set(err, SQLSTATE_QUERY_CANCELED,
				     "canceling statement due to user request");
	case SQLITE_TOOBIG:
		return mur_error_set(err, SQLSTATE_PROGRAM_LIMIT_EXCEEDED, "%s", msg);
	case SQLITE_CORRUPT:
	case SQLITE_NOTADB:
		return mur_error_set(err, "XX001", "%s", msg);
	case SQLITE_BUSY:
	case SQLITE_LOCKED:
		return mur_error_set(err, "55P03", "could not obtain lock on placement: %s", msg);
	default:
		return mur_error_set(err, SQLSTATE_INTERNAL_ERROR, "%s", msg);
	}
}
