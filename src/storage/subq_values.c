/*
 * subq_values.c — an uncorrelated subquery's result set read as a table,
 * so SQLite can look its values up in an index (sqlrow.h:
 * stor_subq_values_register).
 *
 * `x IN (SELECT y ...)` binds the subquery's distinct values as one blob
 * (mur_row encoding, sqlfn_subq.c) and the statement tests each row with
 * mur_subq_in(x, ?n): a function, so SQLite scans the whole table even when
 * x is the leading column of an index (TPC-H's Q18: 600,000 lineitems
 * scanned on the shards to keep 70).  The emitter (sql/emit.c, emit_call)
 * also writes, for an integer column x,
 *
 *   x IN (SELECT v FROM mur_subq_values(?n))
 *
 * which SQLite plans as an IN over a subquery: seeks into x's index, or
 * one probe of an ephemeral index per row when x has none.
 *
 *   mur_subq_values(set)   an eponymous table-valued function: one row per
 *                          value of the blob, in its order (NULLs too, so
 *                          SQLite's IN answers NULL as PostgreSQL does);
 *                          NULL (an empty set may travel so) is no row
 *
 * The estimate told to SQLite is a small set (SUBQ_VALUES_ESTIMATE rows):
 * the blob is not known when the statement is prepared, and seeking a few
 * thousand keys loses little to a scan while scanning for a few keys loses
 * a lot.
 */
#include "storage/sqlrow.h"

#include "common/value.h"
#include "storage/storage.h"

#include <stdlib.h>
#include <string.h>

#define SUBQ_VALUES_ESTIMATE 100

typedef struct svcur {
	sqlite3_vtab_cursor base;
	char *bytes; /* the blob, copied (argv lives through xFilter only) */
	mur_rd rd;
	mur_value v; /* the current value */
	int eof;
} svcur;

static int sv_connect(sqlite3 *db, void *aux, int argc, const char *const *argv, sqlite3_vtab **out,
		      char **errmsg)
{
	sqlite3_vtab *t;
	int rc;
	(void)aux, (void)argc, (void)argv, (void)errmsg;
	rc = sqlite3_declare_vtab(db, "CREATE TABLE x(v, s HIDDEN)");
	if (rc != SQLITE_OK)
		return rc;
	if (!(t = sqlite3_malloc(sizeof *t)))
		return SQLITE_NOMEM;
	memset(t, 0, sizeof *t);
	*out = t;
	return SQLITE_OK;
}

/* The set argument (column 1 = ...) is required: without it, no plan. */
static int sv_best_index(sqlite3_vtab *vt, sqlite3_index_info *info)
{
	(void)vt;
	for (int i = 0; i < info->nConstraint; i++) {
		const struct sqlite3_index_constraint *c = &info->aConstraint[i];
		if (c->iColumn != 1 || c->op != SQLITE_INDEX_CONSTRAINT_EQ)
			continue;
		if (!c->usable)
			return SQLITE_CONSTRAINT;
		info->aConstraintUsage[i].argvIndex = 1;
		info->aConstraintUsage[i].omit = 1;
		info->estimatedCost = SUBQ_VALUES_ESTIMATE;
		info->estimatedRows = SUBQ_VALUES_ESTIMATE;
		info->idxNum = 1;
		return SQLITE_OK;
	}
	return SQLITE_CONSTRAINT;
}

static int sv_disconnect(sqlite3_vtab *vt)
{
	sqlite3_free(vt);
	return SQLITE_OK;
}

static int sv_open(sqlite3_vtab *vt, sqlite3_vtab_cursor **out)
{
	svcur *c = sqlite3_malloc(sizeof *c);
	(void)vt;
	if (!c)
		return SQLITE_NOMEM;
	memset(c, 0, sizeof *c);
	c->eof = 1;
	*out = &c->base;
	return SQLITE_OK;
}

static int sv_close(sqlite3_vtab_cursor *cur)
{
	svcur *c = (svcur *)cur;
	free(c->bytes);
	sqlite3_free(c);
	return SQLITE_OK;
}

static int sv_next(sqlite3_vtab_cursor *cur)
{
	svcur *c = (svcur *)cur;
	if (mur_rd_left(&c->rd) == 0) {
		c->eof = 1;
		return SQLITE_OK;
	}
	if (mur_row_get_value(&c->rd, &c->v) != MUR_OK) {
		sqlite3_vtab *t = cur->pVtab;
		sqlite3_free(t->zErrMsg);
		t->zErrMsg = sqlite3_mprintf("malformed subquery result set");
		c->eof = 1;
		return SQLITE_CORRUPT;
	}
	return SQLITE_OK;
}

static int sv_filter(sqlite3_vtab_cursor *cur, int idx, const char *idxstr, int argc,
		     sqlite3_value **argv)
{
	svcur *c = (svcur *)cur;
	size_t len = 0;
	(void)idx, (void)idxstr;
	free(c->bytes);
	c->bytes = NULL;
	c->eof = 0;
	if (argc >= 1 && sqlite3_value_type(argv[0]) != SQLITE_NULL)
		len = (size_t)sqlite3_value_bytes(argv[0]);
	if (len && !(c->bytes = malloc(len)))
		return SQLITE_NOMEM;
	if (len)
		memcpy(c->bytes, sqlite3_value_blob(argv[0]), len);
	mur_rd_init(&c->rd, c->bytes ? c->bytes : "", len);
	return sv_next(cur);
}

static int sv_eof(sqlite3_vtab_cursor *cur) { return ((svcur *)cur)->eof; }

static int sv_column(sqlite3_vtab_cursor *cur, sqlite3_context *cx, int i)
{
	const mur_value *v = &((svcur *)cur)->v;
	if (i != 0) {
		sqlite3_result_null(cx);
		return SQLITE_OK;
	}
	exec_sql_result_value(cx, v, SQLITE_TRANSIENT);
	return SQLITE_OK;
}

static int sv_rowid(sqlite3_vtab_cursor *cur, sqlite3_int64 *out)
{
	*out = (sqlite3_int64)((svcur *)cur)->rd.off;
	return SQLITE_OK;
}

static const sqlite3_module subq_values_module = {
	.iVersion = 0,
	.xCreate = NULL, /* eponymous only: no CREATE VIRTUAL TABLE */
	.xConnect = sv_connect,
	.xBestIndex = sv_best_index,
	.xDisconnect = sv_disconnect,
	.xDestroy = sv_disconnect,
	.xOpen = sv_open,
	.xClose = sv_close,
	.xFilter = sv_filter,
	.xNext = sv_next,
	.xEof = sv_eof,
	.xColumn = sv_column,
	.xRowid = sv_rowid,
};

int stor_subq_values_register(sqlite3 *db)
{
	return sqlite3_create_module_v2(db, "mur_subq_values", &subq_values_module, NULL, NULL);
}
