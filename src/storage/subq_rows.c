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
 * the leader table the same rows fill.  Rows that do not decode end the
 * scan with SQLITE_CORRUPT ("malformed subquery rows").
 *
 * A join probes it: `t.g = s.c0` (one equality on a column, BINARY
 * collation) is taken as an index (xBestIndex), so SQLite scans the shard
 * table once and looks each row's value up here (a hash join, the shipped
 * rows the build side) instead of scanning the table once per shipped
 * row.  The cursor keeps the blob (copied once: xFilter runs per probe
 * with the same parameter) and a hash of one column's values built at the
 * first probe: chains of row numbers by a hash of the value (integers and
 * reals by their double, so 5 finds 5.0; text and blobs by their bytes;
 * NULL finds nothing).  SQLite checks the equality again on what a probe
 * returns (omit 0): a hash collision returns a row SQLite drops.
 */
#include "storage/sqlrow.h"

#include "common/value.h"
#include "storage/storage.h"
#include "storage/storage_int.h"

#include <stdlib.h>
#include <string.h>
#include <xxhash.h>

#define SUBQ_ROWS_COLS 64 /* parser/analyze.h SQL_SHIP_COLS_MAX */
#define SUBQ_ROWS_ESTIMATE 1000
#define SUBQ_ROWS_PROBE_COST 4.0 /* a hash lookup, against a scan's ESTIMATE */

typedef struct srcur {
	sqlite3_vtab_cursor base;
	char *bytes; /* the blob, copied */
	size_t len;
	const void *src; /* the argument it was copied from (same: not again) */
	mur_rd rd;
	int ncols;
	int64_t row;
	mur_value v[SUBQ_ROWS_COLS]; /* the current row */
	int eof;
	/* probes of column key_col (-1: none built): row starts and the
	 * chains of rows by hash (heads[h % nheads], next[row]; -1 ends) */
	int key_col;
	uint64_t nrows;
	size_t *starts;
	int64_t *heads, *next;
	uint64_t nheads, *hashes;
	int64_t at;    /* probing: the next candidate row, -1: done */
	uint64_t want; /* its hash */
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

/* Both arguments are required: without them, no plan.  One usable
 * equality on a column (BINARY) is a probe: idxNum = column + 1, its
 * value argument 3. */
static int sr_best_index(sqlite3_vtab *vt, sqlite3_index_info *info)
{
	int have = 0, probe = -1;
	(void)vt;
	for (int i = 0; i < info->nConstraint; i++) {
		const struct sqlite3_index_constraint *c = &info->aConstraint[i];
		int arg = c->iColumn - SUBQ_ROWS_COLS;
		if (c->op != SQLITE_INDEX_CONSTRAINT_EQ)
			continue;
		if (c->iColumn >= 0 && c->iColumn < SUBQ_ROWS_COLS) {
			const char *coll = sqlite3_vtab_collation(info, i);
			if (c->usable && probe < 0 && (!coll || !sqlite3_stricmp(coll, "BINARY")))
				probe = i;
			continue;
		}
		if (arg != 0 && arg != 1)
			continue;
		if (!c->usable)
			return SQLITE_CONSTRAINT;
		info->aConstraintUsage[i].argvIndex = arg + 1;
		info->aConstraintUsage[i].omit = 1;
		have |= 1 << arg;
	}
	if (have != 3)
		return SQLITE_CONSTRAINT;
	info->idxNum = 0;
	info->estimatedCost = SUBQ_ROWS_ESTIMATE;
	info->estimatedRows = SUBQ_ROWS_ESTIMATE;
	if (probe >= 0) {
		info->aConstraintUsage[probe].argvIndex = 3;
		info->aConstraintUsage[probe].omit = 0; /* SQLite checks it again */
		info->idxNum = info->aConstraint[probe].iColumn + 1;
		info->estimatedCost = SUBQ_ROWS_PROBE_COST;
		info->estimatedRows = 2;
	}
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
	c->key_col = -1;
	*out = &c->base;
	return SQLITE_OK;
}

static void drop_index(srcur *c)
{
	free(c->starts);
	free(c->heads);
	free(c->next);
	free(c->hashes);
	c->starts = NULL;
	c->heads = c->next = NULL;
	c->hashes = NULL;
	c->key_col = -1;
}

static int sr_close(sqlite3_vtab_cursor *cur)
{
	srcur *c = (srcur *)cur;
	drop_index(c);
	free(c->bytes);
	sqlite3_free(c);
	return SQLITE_OK;
}

/* A hash under which equal values meet: integers and reals by their
 * double, text and blobs by their bytes (kind apart). */
static uint64_t value_hash(const mur_value *v)
{
	double d;
	switch (v->kind) {
	case MV_INT:
	case MV_FLOAT:
		d = v->kind == MV_INT ? (double)v->i : v->f;
		if (d == 0)
			d = 0; /* -0.0 = 0 */
		return XXH3_64bits(&d, sizeof d);
	case MV_TEXT:
		return XXH3_64bits_withSeed(v->s, v->len, 1);
	default:
		return XXH3_64bits_withSeed(v->s, v->len, 2);
	}
}

static int corrupt(sqlite3_vtab_cursor *cur)
{
	sqlite3_vtab *t = cur->pVtab;
	sqlite3_free(t->zErrMsg);
	t->zErrMsg = sqlite3_mprintf("malformed subquery rows");
	return SQLITE_CORRUPT;
}

/* The chains of column col's values (every row decoded once). */
static int build_index(srcur *c, sqlite3_vtab_cursor *cur, int col)
{
	mur_rd rd;
	uint64_t cap = 64, n = 0;
	drop_index(c);
	mur_rd_init(&rd, c->bytes ? c->bytes : "", c->len);
	if (!(c->starts = malloc(cap * sizeof *c->starts)) ||
	    !(c->hashes = malloc(cap * sizeof *c->hashes)))
		return SQLITE_NOMEM;
	while (mur_rd_left(&rd) > 0) {
		mur_value v;
		if (n == cap) {
			size_t *s = realloc(c->starts, 2 * cap * sizeof *s);
			uint64_t *h = s ? realloc(c->hashes, 2 * cap * sizeof *h) : NULL;
			if (s)
				c->starts = s;
			if (!s || !h)
				return SQLITE_NOMEM;
			c->hashes = h;
			cap *= 2;
		}
		c->starts[n] = rd.off;
		for (int i = 0; i < c->ncols; i++) {
			if (mur_row_get_value(&rd, &v) != MUR_OK)
				return corrupt(cur);
			if (i == col)
				c->hashes[n] = v.kind == MV_NULL ? 0 : value_hash(&v) | 1;
		}
		n++;
	}
	c->nrows = n;
	c->nheads = n ? 2 * n : 1;
	if (!(c->heads = malloc(c->nheads * sizeof *c->heads)) ||
	    !(c->next = malloc((n ? n : 1) * sizeof *c->next)))
		return SQLITE_NOMEM;
	for (uint64_t h = 0; h < c->nheads; h++)
		c->heads[h] = -1;
	for (uint64_t r = n; r-- > 0;) { /* chains in row order */
		uint64_t h = c->hashes[r] % c->nheads;
		if (!c->hashes[r])
			continue; /* NULL: = finds it never */
		c->next[r] = c->heads[h];
		c->heads[h] = (int64_t)r;
	}
	c->key_col = col;
	return SQLITE_OK;
}

/* Probing: decode the next row of the chain whose hash is c->want. */
static int probe_next(srcur *c, sqlite3_vtab_cursor *cur)
{
	while (c->at >= 0 && c->hashes[c->at] != c->want)
		c->at = c->next[c->at];
	if (c->at < 0) {
		c->eof = 1;
		return SQLITE_OK;
	}
	mur_rd_init(&c->rd, c->bytes, c->len);
	c->rd.off = c->starts[c->at];
	c->row = c->at + 1;
	c->at = c->next[c->at];
	for (int i = 0; i < c->ncols; i++)
		if (mur_row_get_value(&c->rd, &c->v[i]) != MUR_OK) {
			c->eof = 1;
			return corrupt(cur);
		}
	return SQLITE_OK;
}

static int sr_next(sqlite3_vtab_cursor *cur)
{
	srcur *c = (srcur *)cur;
	if (c->want)
		return probe_next(c, cur);
	if (mur_rd_left(&c->rd) == 0 || c->ncols <= 0) {
		c->eof = 1;
		return SQLITE_OK;
	}
	c->row++;
	for (int i = 0; i < c->ncols; i++)
		if (mur_row_get_value(&c->rd, &c->v[i]) != MUR_OK) {
			c->eof = 1;
			return corrupt(cur);
		}
	return SQLITE_OK;
}

/* The blob of argument a kept in c (copied when it is another one). */
static int keep_blob(srcur *c, sqlite3_value *a)
{
	size_t len = a && sqlite3_value_type(a) != SQLITE_NULL ? (size_t)sqlite3_value_bytes(a) : 0;
	const void *src = len ? sqlite3_value_blob(a) : NULL;
	if (src && src == c->src && len == c->len)
		return SQLITE_OK; /* the same parameter, probed again */
	drop_index(c);
	free(c->bytes);
	c->bytes = NULL;
	c->src = src;
	c->len = len;
	if (len && !(c->bytes = malloc(len)))
		return SQLITE_NOMEM;
	if (len)
		memcpy(c->bytes, src, len);
	return SQLITE_OK;
}

static int sr_filter(sqlite3_vtab_cursor *cur, int idx, const char *idxstr, int argc,
		     sqlite3_value **argv)
{
	srcur *c = (srcur *)cur;
	int ncols = argc >= 2 ? sqlite3_value_int(argv[1]) : 0, rc;
	(void)idxstr;
	if (ncols < 0 || ncols > SUBQ_ROWS_COLS)
		ncols = 0;
	if (ncols != c->ncols)
		drop_index(c);
	c->ncols = ncols;
	if ((rc = keep_blob(c, argc >= 1 ? argv[0] : NULL)) != SQLITE_OK)
		return rc;
	c->eof = 0;
	c->row = 0;
	c->want = 0;
	if (idx > 0 && argc >= 3 && idx <= c->ncols) { /* a probe of column idx - 1 */
		mur_value v = stor_fn_value(argv[2]);
		if (c->key_col != idx - 1 && (rc = build_index(c, cur, idx - 1)) != SQLITE_OK)
			return rc;
		c->want = v.kind == MV_NULL ? 0 : value_hash(&v) | 1;
		c->at = c->want && c->nheads ? c->heads[c->want % c->nheads] : -1;
		if (!c->want)
			c->at = -1, c->want = 1; /* NULL = x: no row */
		return probe_next(c, cur);
	}
	mur_rd_init(&c->rd, c->bytes ? c->bytes : "", c->len);
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
