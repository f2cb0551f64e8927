/*
 * rerun.c — a failed write run again to see its rows (stor_rerun_noting),
 * for the DETAILs SQLite's messages lack: the duplicate key (dupkey.c),
 * the failing row (failrow.c).
 *
 * The same execution (the statement reset, its bindings kept) runs again
 * inside a savepoint with two TEMP triggers on the table, BEFORE INSERT
 * and BEFORE UPDATE, each handing the caller's NEW columns to the
 * caller's function <name>_note.  TEMP triggers fire before the table's
 * own (CHECK triggers), and constraints are checked after every BEFORE
 * trigger: the last row noted is the one that failed, when the re-run
 * fails as the first run did (the statement, its bindings and the data
 * before it are the same).  Everything is undone (ROLLBACK TO the
 * savepoint, then RELEASE); the triggers are dropped and the function
 * unregistered; the write's transaction is left as the failure left it.
 */
#include "storage/storage_int.h"

#include "common/buf.h"

#include <stdio.h>
#include <string.h>

static void exec(sqlite3 *db, const char *sql) { sqlite3_exec(db, sql, NULL, NULL, NULL); }

/* The TEMP triggers calling <name>_note(args) on main."table". */
static int make_triggers(sqlite3 *db, const char *name, const char *table, const char *args)
{
	mur_buf sql;
	int rc = SQLITE_OK;
	mur_buf_init(&sql);
	for (int i = 0; i < 2 && rc == SQLITE_OK; i++) {
		mur_buf_reset(&sql);
		mur_buf_printf(&sql,
			       "CREATE TEMP TRIGGER %s_%s BEFORE %s ON main.\"%s\" "
			       "BEGIN SELECT %s_note(%s); END",
			       name, i ? "u" : "i", i ? "UPDATE" : "INSERT", table, name, args);
		rc = mur_buf_ok(&sql) ? sqlite3_exec(db, mur_buf_cstr(&sql), NULL, NULL, NULL)
				      : SQLITE_NOMEM;
	}
	mur_buf_free(&sql);
	return rc;
}

int stor_rerun_noting(sqlite3 *db, sqlite3_stmt *st, const char *name, const char *table,
		      const char *args, int nargs, stor_note_fn note, void *arg, const char *msg)
{
	char fn[64], sql[128];
	int rc, same = 0;
	snprintf(fn, sizeof fn, "%s_note", name);
	sqlite3_reset(st); /* bindings stay */
	if (sqlite3_create_function(db, fn, nargs, SQLITE_UTF8, arg, note, NULL, NULL) != SQLITE_OK)
		return 0;
	snprintf(sql, sizeof sql, "SAVEPOINT %s", name);
	exec(db, sql);
	if (make_triggers(db, name, table, args) == SQLITE_OK) {
		while ((rc = sqlite3_step(st)) == SQLITE_ROW)
			;
		same = rc != SQLITE_DONE && strcmp(sqlite3_errmsg(db), msg) == 0;
	}
	sqlite3_reset(st);
	snprintf(sql, sizeof sql, "ROLLBACK TO %s", name);
	exec(db, sql);
	snprintf(sql, sizeof sql, "RELEASE %s", name);
	exec(db, sql);
	for (int i = 0; i < 2; i++) {
		snprintf(sql, sizeof sql, "DROP TRIGGER IF EXISTS temp.%s_%s", name, i ? "u" : "i");
		exec(db, sql);
	}
	sqlite3_create_function(db, fn, nargs, SQLITE_UTF8, NULL, NULL, NULL, NULL);
	return same;
}
