/*
 * subq_rows.c — a subquery's rows shipped to a shard task, read as a
 * table (sqlrow.h: stor_subq_rows_register).
 *
 * A subquery in FROM or a WITH query that the leader computes first and
 * that the statement joins with distributed tables (parser/analyze_ship.c)
 * reaches each shard task as one parameter: its rows, ncols values each,
 * in mur_row encoding, concatenated.  The shard SQL reads them as
 *
 *   (SELECT c0, c1 FROM mur_subq_rows(?n, 2) LIMIT -1) AS "alias"
 *
 *   mur_subq_rows(rows, ncols)  an eponymous table-valued function:
 *                               columns c0 .. c<SUBQ_ROWS_COLS-1> (those
 *                               past ncols NULL), one row per ncols values
 *                               of the blob; NULL or an empty blob: none
 *
 * Each value keeps its storage class (no declared type, no affinity), as
 * the leader table the same rows fill.  The blob is copied at xFilter
 * (argv lives through it only).  Rows that do not decode end the scan
 * with SQLITE_CORRUPT ("malformed subquery rows").
 */
#include "storage/sqlrow.h"

#include "common/value.h"
#include "storage/storage.h"

#include <stdlib.h>
#include <string.h>

#define SUBQ_ROWS_COLS 64 /* parser/analyze.h SQL_SHIP_COLS_MAX */
#define SUBQ_ROWS_ESTIMATE 1000

typedef struct srcur {
	sqlite3_vtab_cursor base;
	char *bytes; /* the blob, copied */
	mur_rd rd;
	int ncols;
	int64_t row;
	mur_value v[SUBQ_ROWS_COLS]; /* the current row */
	int eof;
} srcur;

static int sr_connect(sqlite3 *db, void *aux, int argc, const char *const *argv, sqlite3_vtab **out,
		      char **errmsg)
{
	sqlite3_vtab *t;
	mur_buf ddl;
	int rc;
	(void)aux, (void)argc, (void)argv, (void)errmsg;
	mur_buf_init(&ddl);
	mur_buf_printf(&ddl, "CREATE TABLE x(");
	for (int i = 0; i < SUBQ_ROWS_COLS; i++)
		mur_buf_printf(&ddl, "c%d, ", i);
	mur_buf_printf(&ddl, "rows HIDDEN, ncols HIDDEN)");
	rc = mur_buf_ok(&ddl) ? sqlite3_declare_vtab(db, mur_buf_cstr(&ddl)) : SQLITE_NOMEM;
	mur_buf_free(&ddl);
	if (rc != SQLITE_OK)
		return rc;
	if (!(t = sqlite3_malloc(sizeof *t)))
		return SQLITE_NOMEM;
	memset(t, 0, sizeof *t);
	*out = t;
	return SQLITE_OK;
}

/* Both arguments are required: without them, no plan. */
static int sr_best_index(sqlite3_vtab *vt, sqlite3_index_info *info)
{
	int have = 0;
	(void)vt;
	for (int i = 0; i < info->nConstraint; i++) {
		const struct sqlite3_index_constraint *c = &info->aConstraint[i];
		int arg = c->iColumn - SUBQ_ROWS_COLS;
		if ((arg != 0 && arg != 1) || c->op != SQLITE_INDEX_CONSTRAINT_EQ)
			continue;
		if (!c->usable)
			return SQLITE_CONSTRAINT;
		info->aConstraintUsage[i].argvIndex = arg + 1;
		info->aConstraintUsage[i].omit = 1;
		have |= 1 << arg;
	}
	if (have != 3)
		return SQLITE_CONSTRAINT;
	info->estimatedCost = SUBQ_ROWS_ESTIMATE;
	info->estimatedRows = SUBQ_ROWS_ESTIMATE;
	return SQLITE_OK;
}

static int sr_disconnect(sqlite3_vtab *vt)
{
	sqlite3_free(vt);
	return SQLITE_OK;
}

static int sr_open(sqlite3_vtab *vt, sqlite3_vtab_cursor **out)
{
	srcur *c = sqlite3_malloc(sizeof *c);
	(void)vt;
	if (!c)
		return SQLITE_NOMEM;
	memset(c, 0, sizeof *c);
	c->eof = 1;
	*out = &c->base;
	return SQLITE_OK;
}

static int sr_close(sqlite3_vtab_cursor *cur)
{
	srcur *c = (srcur *)cur;
	free(c->bytes);
	sqlite3_free(c);
	return SQLITE_OK;
}

static int sr_next(sqlite3_vtab_cursor *cur)
{
	srcur *c = (srcur *)cur;
	if (mur_rd_left(&c->rd) == 0 || c->ncols <= 0) {
		c->eof = 1;
		return SQLITE_OK;
	}
	c->row++;
	for (int i = 0; i < c->ncols; i++)
		if (mur_row_get_value(&c->rd, &c->v[i]) != MUR_OK) {
			sqlite3_vtab *t = cur->pVtab;
			sqlite3_free(t->zErrMsg);
			t->zErrMsg = sqlite3_mprintf("malformed subquery rows");
			c->eof = 1;
			return SQLITE_CORRUPT;
		}
	return SQLITE_OK;
}

static int sr_filter(sqlite3_vtab_cursor *cur, int idx, const char *idxstr, int argc,
		     sqlite3_value **argv)
{
	srcur *c = (srcur *)cur;
	size_t len = 0;
	(void)idx, (void)idxstr;
	free(c->bytes);
	c->bytes = NULL;
	c->eof = 0;
	c->row = 0;
	c->ncols = argc >= 2 ? sqlite3_value_int(argv[1]) : 0;
	if (c->ncols > SUBQ_ROWS_COLS)
		c->ncols = 0;
	if (argc >= 1 && sqlite3_value_type(argv[0]) != SQLITE_NULL)
		len = (size_t)sqlite3_value_bytes(argv[0]);
	if (len && !(c->bytes = malloc(len)))
		return SQLITE_NOMEM;
	if (len)
		memcpy(c->bytes, sqlite3_value_blob(argv[0]), len);
	mur_rd_init(&c->rd, c->bytes ? c->bytes : "", len);
	return sr_next(cur);
}

static int sr_eof(sqlite3_vtab_cursor *cur) { return ((srcur *)cur)->eof; }

static int sr_column(sqlite3_vtab_cursor *cur, sqlite3_context *cx, int i)
{
	srcur *c = (srcur *)cur;
	if (i < 0 || i >= c->ncols) {
		sqlite3_result_null(cx);
		return SQLITE_OK;
	}
	exec_sql_result_value(cx, &c->v[i], SQLITE_TRANSIENT);
	return SQLITE_OK;
}

static int sr_rowid(sqlite3_vtab_cursor *cur, sqlite3_int64 *out)
{
	*out = ((srcur *)cur)->row;
	return SQLITE_OK;
}

static const sqlite3_module subq_rows_module = {
	.iVersion = 0,
	.xCreate = NULL, /* eponymous only: no CREATE VIRTUAL TABLE */
	.xConnect = sr_connect,
	.xBestIndex = sr_best_index,
	.xDisconnect = sr_disconnect,
	.xDestroy = sr_disconnect,
	.xOpen = sr_open,
	.xClose = sr_close,
	.xFilter = sr_filter,
	.xNext = sr_next,
	.xEof = sr_eof,
	.xColumn = sr_column,
	.xRowid = sr_rowid,
};

int stor_subq_rows_register(sqlite3 *db)
{
	return sqlite3_create_module_v2(db, "mur_subq_rows", &subq_rows_module, NULL, NULL);
}
