/*
 * capture.c — recording a primary's row changes as a changeset
 * (replog.h): one sqlite3session per captured WRITE, attached to every
 * table of "main" except murphy's own (_murphy_meta, _murphy_log, which
 * describe the entry and must not be part of it).
 *
 * Flow (task_run.c): stor_begin → stor_capture_begin → run the SQL →
 * stor_capture_take → stor_log_append → stor_capture_end → stor_commit.
 * Tables are tracked from their first change; sessions only record tables
 * with a PRIMARY KEY, which every murphy table has (plan_ddl.c adds a
 * hidden key column otherwise).
 *
 * Memory: the changeset is sqlite3_malloc'd; the caller sqlite3_frees it.
 */
#include "storage/replog.h"

#include "storage/storage_int.h"

#include <string.h>

static int capture_filter(void *ctx, const char *table)
{
	(void)ctx;
	return strncmp(table, "_murphy_", 8) != 0;
}

int stor_capture_begin(stor_db *db, sqlite3_session **out, mur_error *err)
{
	sqlite3_session *s = NULL;
	*out = NULL;
	int rc = sqlite3session_create(db->db, "main", &s);
	if (rc == SQLITE_OK) {
		sqlite3session_table_filter(s, capture_filter, NULL);
		rc = sqlite3session_attach(s, NULL);
	}
	if (rc != SQLITE_OK) {
		if (s)
			sqlite3session_delete(s);
		stor_map_sqlite_error(db->db, rc, err);
		mur_error_context(err, "starting change capture");
		return MUR_ERR;
	}
	*out = s;
	return MUR_OK;
}

int stor_capture_take(stor_db *db, sqlite3_session *s, void **cs, size_t *len, mur_error *err)
{
	int n = 0;
	void *p = NULL;
	*cs = NULL;
	*len = 0;
	int rc = sqlite3session_changeset(s, &n, &p);
	if (rc != SQLITE_OK) {
		sqlite3_free(p);
		stor_map_sqlite_error(db->db, rc, err);
		mur_error_context(err, "taking the changeset");
		return MUR_ERR;
	}
	if (n <= 0) {
		sqlite3_free(p);
		return MUR_OK;
	}
	*cs = p;
	*len = (size_t)n;
	return MUR_OK;
}

void stor_capture_end(sqlite3_session *s)
{
	if (s)
		sqlite3session_delete(s);
}
