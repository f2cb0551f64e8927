/*
 * rowtab.c — encoded rows read as a SQLite table, without copying them
 * (sqlrow.h: stor_rowtab_create).
 *
 * The leader's final SQL runs over table r: the merged shard rows.
 * Inserting them into an in-memory table cost a statement step and a
 * b-tree insert per row (TPC-H's Q18: 150,000 groups, about a third of the
 * leader's time); the virtual table module mur_rows reads them where they
 * are, decoding a row per xNext.
 *
 *   stor_rowtab_create  CREATE VIRTUAL TABLE <name> USING mur_rows, its
 *                       rows given through a thread-local (SQL text never
 *                       carries a pointer: a statement naming mur_rows
 *                       otherwise fails in xCreate)
 *   rowtab              { rows, len, nrows, ncols }: borrowed, the caller
 *                       keeps them alive until it drops the table
 *   rowcur              a scan: a reader over rows and the current row's
 *                       decoded values (text and blobs point into rows:
 *                       results are SQLITE_STATIC)
 *
 * Columns c0, c1, ... without a declared type (no affinity), as the table
 * it replaces: each value keeps its storage class.  Only full scans
 * (xBestIndex takes no constraint); rows that do not decode end the scan
 * with an error ("malformed rows").
 */
#include "storage/sqlrow.h"

#include "common/value.h"
#include "storage/storage.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct rowtab_src {
	const char *rows;
	size_t len;
	uint64_t nrows;
	uint32_t ncols;
} rowtab_src;

typedef struct rowtab {
	sqlite3_vtab base;
	rowtab_src src;
} rowtab;

typedef struct rowcur {
	sqlite3_vtab_cursor base;
	mur_rd rd;
	uint64_t row;
	mur_value *vals; /* src.ncols */
} rowcur;

static _Thread_local const rowtab_src *pending; /* during stor_rowtab_create only */

static int rt_create(sqlite3 *db, void *aux, int argc, const char *const *argv, sqlite3_vtab **out,
		     char **errmsg)
{
	rowtab *t;
	mur_buf ddl;
	int rc;
	(void)aux, (void)argc, (void)argv;
	if (!pending) {
		*errmsg = sqlite3_mprintf("mur_rows: a table of murphy's own rows only");
		return SQLITE_ERROR;
	}
	mur_buf_init(&ddl);
	mur_buf_printf(&ddl, "CREATE TABLE x(");
	for (uint32_t i = 0; i < pending->ncols; i++)
		mur_buf_printf(&ddl, "%sc%u", i ? ", " : "", i);
	mur_buf_printf(&ddl, pending->ncols ? ")" : "c0)");
	rc = mur_buf_ok(&ddl) ? sqlite3_declare_vtab(db, mur_buf_cstr(&ddl)) : SQLITE_NOMEM;
	mur_buf_free(&ddl);
	if (rc != SQLITE_OK)
		return rc;
	if (!(t = sqlite3_malloc(sizeof *t)))
		return SQLITE_NOMEM;
	memset(t, 0, sizeof *t);
	t->src = *pending;
	*out = &t->base;
	return SQLITE_OK;
}

static int rt_connect(sqlite3 *db, void *aux, int argc, const char *const *argv, sqlite3_vtab **out,
		      char **errmsg)
{
	return rt_create(db, aux, argc, argv, out, errmsg);
}

static int rt_best_index(sqlite3_vtab *vt, sqlite3_index_info *info)
{
	rowtab *t = (rowtab *)vt;
	info->estimatedCost = (double)t->src.nrows + 1;
	info->estimatedRows = (sqlite3_int64)t->src.nrows;
	return SQLITE_OK;
}

static int rt_disconnect(sqlite3_vtab *vt)
{
	sqlite3_free(vt);
	return SQLITE_OK;
}

static int rt_open(sqlite3_vtab *vt, sqlite3_vtab_cursor **out)
{
	rowtab *t = (rowtab *)vt;
	rowcur *c = sqlite3_malloc(sizeof *c);
	if (!c)
		return SQLITE_NOMEM;
	memset(c, 0, sizeof *c);
	c->vals = sqlite3_malloc64(sizeof(mur_value) * (t->src.ncols ? t->src.ncols : 1));
	if (!c->vals) {
		sqlite3_free(c);
		return SQLITE_NOMEM;
	}
	*out = &c->base;
	return SQLITE_OK;
}

static int rt_close(sqlite3_vtab_cursor *cur)
{
	rowcur *c = (rowcur *)cur;
	sqlite3_free(c->vals);
	sqlite3_free(c);
	return SQLITE_OK;
}

/* Decode row c->row into c->vals (when there is one). */
static int rt_decode(rowcur *c)
{
	rowtab *t = (rowtab *)c->base.pVtab;
	if (c->row >= t->src.nrows)
		return SQLITE_OK;
	for (uint32_t i = 0; i < t->src.ncols; i++)
		if (mur_row_get_value(&c->rd, &c->vals[i]) != MUR_OK) {
			sqlite3_free(t->base.zErrMsg);
			t->base.zErrMsg = sqlite3_mprintf("malformed rows");
			return SQLITE_CORRUPT;
		}
	return SQLITE_OK;
}

static int rt_filter(sqlite3_vtab_cursor *cur, int idx, const char *idxstr, int argc,
		     sqlite3_value **argv)
{
	rowcur *c = (rowcur *)cur;
	rowtab *t = (rowtab *)cur->pVtab;
	(void)idx, (void)idxstr, (void)argc, (void)argv;
	mur_rd_init(&c->rd, t->src.rows, t->src.len);
	c->row = 0;
	return rt_decode(c);
}

static int rt_next(sqlite3_vtab_cursor *cur)
{
	rowcur *c = (rowcur *)cur;
	c->row++;
	return rt_decode(c);
}

static int rt_eof(sqlite3_vtab_cursor *cur)
{
	rowcur *c = (rowcur *)cur;
	return c->row >= ((rowtab *)cur->pVtab)->src.nrows;
}

/* exec_sql_result_value with text and blobs SQLITE_STATIC: they stay in
 * the borrowed rows, no copy per read. */
static int rt_column(sqlite3_vtab_cursor *cur, sqlite3_context *cx, int i)
{
	rowcur *c = (rowcur *)cur;
	const mur_value *v;
	if (i < 0 || (uint32_t)i >= ((rowtab *)cur->pVtab)->src.ncols) {
		sqlite3_result_null(cx); /* c0 of a table without columns */
		return SQLITE_OK;
	}
	v = &c->vals[i];
	exec_sql_result_value(cx, v, SQLITE_STATIC);
	return SQLITE_OK;
}

static int rt_rowid(sqlite3_vtab_cursor *cur, sqlite3_int64 *out)
{
	*out = (sqlite3_int64)((rowcur *)cur)->row + 1;
	return SQLITE_OK;
}

static const sqlite3_module rowtab_module = {
	.iVersion = 0,
	.xCreate = rt_create,
	.xConnect = rt_connect,
	.xBestIndex = rt_best_index,
	.xDisconnect = rt_disconnect,
	.xDestroy = rt_disconnect,
	.xOpen = rt_open,
	.xClose = rt_close,
	.xFilter = rt_filter,
	.xNext = rt_next,
	.xEof = rt_eof,
	.xColumn = rt_column,
	.xRowid = rt_rowid,
};

int stor_rowtab_register(sqlite3 *db)
{
	return sqlite3_create_module_v2(db, "mur_rows", &rowtab_module, NULL, NULL);
}

int stor_rowtab_create(sqlite3 *db, const char *name, const char *rows, size_t len, uint64_t nrows,
		       uint32_t ncols, mur_error *err)
{
	rowtab_src src = {rows, len, nrows, ncols};
	char sql[160];
	int rc;
	snprintf(sql, sizeof sql, "DROP TABLE IF EXISTS \"%s\"", name);
	sqlite3_exec(db, sql, NULL, NULL, NULL);
	snprintf(sql, sizeof sql, "CREATE VIRTUAL TABLE \"%s\" USING mur_rows", name);
	pending = &src;
	rc = sqlite3_exec(db, sql, NULL, NULL, NULL);
	pending = NULL;
	if (rc != SQLITE_OK)
		return stor_map_sqlite_error(db, rc, err);
	return MUR_OK;
}
