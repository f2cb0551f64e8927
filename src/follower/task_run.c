/*
 * task_run.c — execute one shard task on a follower (task_run.h).
 *
 * Flow: exec_task_run → run_query / run_write / run_ddl / run_drop, each
 * holding a reference (stor_dir_get/put) and the lock (stor_lock/unlock) of
 * its main placement for the whole task; the lock is released before the
 * reference (storage/dir.c's lock order).
 *
 * Rows leave SQLite in mur_row encoding.  With an aggregate, while it
 * holds at most RUN_AGG_DIRECT_GROUPS_MAX groups each row goes to it as
 * SQLite gives it (the values point into SQLite's memory; the aggregate
 * copies what it keeps); past that, rows are encoded into a small batch
 * buffer and handed to the hash aggregate RUN_AGG_BATCH_ROWS at a time:
 * that copies SQLite's transient text (valid only until the next step)
 * and lets the aggregate prefetch.  A QUERY whose groups are whole on the
 * shard may carry its HAVING (exec_task.having_sql): the groups failing it
 * are dropped before the answer (storage/rowfilter.c).  One
 * aggregate skips the row copies: approx_count_distinct(x) alone
 * (query_sketch) is sketched from the table's pages when the leader marked
 * the task a bare scan of one column (exec_task.scan_column;
 * storage/colscan.h), else by SQLite itself, the
 * task's SELECT wrapped in mur_hll_sketch(); either way the blob is the
 * hash aggregate's.  A filtered aggregate whose SELECT storage/
 * scanfilter.h recognizes (plain columns of one table, a conjunction of
 * column-vs-literal comparisons: TPC-H's Q1 and Q6) is read from the
 * table's pages too (query_pages): the filter runs on the decoded values
 * and the rows it keeps go to the hash aggregate (or, without one, to the
 * result); when the scan declines, nothing was added and SQLite runs the
 * SELECT.
 *
 * Writes are all-or-nothing: one BEGIN IMMEDIATE … COMMIT; with capture
 * the same transaction records the row changes (sqlite3session), appends
 * them to the shard log as the next entry and returns the changeset; on
 * any error the transaction is rolled back and the result carries the
 * error and no rows.  With the follower WAL on (storage/fwal.h) a
 * captured entry is durable once its record's group fsync returned, which
 * happens before the task answers; DDL commits with synchronous=FULL.
 * In a write batch (exec_task_run_in) a WRITE's or APPLY's transaction is
 * a savepoint of its placement's batch transaction, which keeps the
 * placement locked until exec_wtxns_end commits it (storage/batch_txn.c).
 * A WRITE of entry kind COMMIT runs no SQL: its transaction appends the
 * commit marker as the next entry (same LSN check).  APPLY / UNDO /
 * STATUS are thin wrappers over the shard log (storage/replog.h), which
 * owns their rules (and the open-transaction order).
 *
 * Memory: everything allocated here (attach statements, batch buffer, hash
 * aggregate) is freed before returning; result rows live in res->rows.
 */
#include "follower/task_run.h"
#include "follower/peer.h"

#include "common/clock.h"
#include "storage/sqlrow.h"

#include "ops/hashagg.h"
#include "ops/hll.h"
#include "storage/colscan.h"
#include "storage/fwal.h"
#include "storage/replog.h"
#include "storage/scanfilter.h"

#include <ctype.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* The wire's entry kinds are storage's (exec_task.entry_kind → stor_entry.kind). */
_Static_assert((int)EXEC_ENTRY_DATA == (int)STOR_ENTRY_DATA &&
		       (int)EXEC_ENTRY_COMMIT == (int)STOR_ENTRY_COMMIT &&
		       (int)EXEC_ENTRY_STAGED == (int)STOR_ENTRY_STAGED &&
		       (int)EXEC_ENTRY_DDL == (int)STOR_ENTRY_DDL && EXEC_DDL_SEP == STOR_DDL_SEP &&
		       (int)EXEC_ENTRY_KIND_MAX == (int)STOR_ENTRY_KIND_MAX,
	       "wire/task.h and storage/replog.h entry kinds differ");
_Static_assert((int)EXEC_TXN_ABSENT == (int)STOR_TXN_ABSENT &&
		       (int)EXEC_TXN_OPEN == (int)STOR_TXN_OPEN &&
		       (int)EXEC_TXN_STAGED == (int)STOR_TXN_STAGED &&
		       (int)EXEC_TXN_COMMITTED == (int)STOR_TXN_COMMITTED,
	       "wire/task.h and storage/replog.h transaction states differ");

/* Rows encoded per hash-aggregate batch (a few KiB of buffer). */
#define RUN_AGG_BATCH_ROWS 256
/* Groups up to which rows go to the hash aggregate one by one, unencoded:
 * so few groups stay in cache, where the batch's copy and prefetch cost
 * more than they save (TPC-H's Q1 has 4 groups: a tenth of a follower's
 * time went to encoding and decoding its rows). */
#define RUN_AGG_DIRECT_GROUPS_MAX 1024

typedef struct run_ctx {
	stor_dir *dir;
	const exec_task *t;
	exec_result *res;
	size_t rows_max;
	stor_db *db;
	sqlite3 *mem; /* exec_task_run_on: a caller's database instead of db */
	int nattached;
	stor_db *shared[EXEC_TASK_PLACEMENTS_MAX]; /* all placements, while others are attached */
	int held[EXEC_TASK_PLACEMENTS_MAX]; /* shared[i]'s lock taken by attached_bound_check */
	int try_lock;                       /* exec_task_run_try: MUR_EAGAIN instead of waiting */
	exec_wtxns *wtxns;        /* exec_task_run_in: a write batch's open transactions */
	int in_wtxns;             /* db is one of them: its lock stays held at close_main */
	atomic_int *locked;       /* exec_task_run_ordered: set once a QUERY holds main's lock */
	const atomic_int *cancel; /* exec_task_run_ordered: 1 stops a QUERY (QUERY_CANCEL) */
} run_ctx;

/* SQLite virtual machine steps between two looks at a QUERY's cancel
 * flag: a few microseconds of work, so a cancelled scan stops within a
 * millisecond, for a cost lost in the noise. */
#define RUN_CANCEL_CHECK_OPS 10000

static int fail(run_ctx *c, int rc)
{
	(void)rc;
	c->res->failed = 1;
	return MUR_ERR;
}

static int sqlite_fail(run_ctx *c, int rc)
{
	stor_map_sqlite_error(c->mem ? c->mem : stor_handle(c->db), rc, &c->res->err);
	return fail(c, MUR_ERR);
}

/* Bind vals to ?1..?n, skipping those the statement does not have. */
static int bind_all(run_ctx *c, sqlite3_stmt *st, const mur_value *vals, uint32_t n)
{
	int have = sqlite3_bind_parameter_count(st);
	for (uint32_t i = 0; i < n && (int)i < have; i++) {
		int rc = exec_sql_bind_value(st, (int)i + 1, &vals[i]);
		if (rc != SQLITE_OK)
			return sqlite_fail(c, rc);
	}
	return MUR_OK;
}

/* The task's SQL, prepared through the statement cache; once per shape
 * (storage/sqlshape.c: its literals bound as parameters) when `shaped`
 * and the task binds nothing itself (a write or a point read with its
 * literals inline, as the leader sends a simple Query's). */
static int prepare_task(run_ctx *c, int shaped, sqlite3_stmt **st)
{
	if (shaped && c->t->nparams == 0 && c->t->nrows == 0)
		return stor_prepare_shaped(c->db, c->t->sql, st, &c->res->err);
	return stor_prepare(c->db, c->t->sql, st, &c->res->err);
}

static int check_size(run_ctx *c, const mur_buf *b)
{
	if (!mur_buf_ok(b)) {
		mur_error_set(&c->res->err, SQLSTATE_OUT_OF_MEMORY, "out of memory");
		return fail(c, MUR_ENOMEM);
	}
	if (b->len > c->rows_max) {
		mur_error_set(&c->res->err, SQLSTATE_PROGRAM_LIMIT_EXCEEDED,
			      "shard task result exceeded %zu bytes", c->rows_max);
		mur_error_hint(&c->res->err,
			       "Add a LIMIT or an aggregate, or select fewer columns.");
		return fail(c, MUR_ERR);
	}
	return MUR_OK;
}

/* ---- fencing ------------------------------------------------------------ */

/* The newest leader epoch this follower has seen on a task.  When the
 * leader gives up on a follower's tasks (it went silent: suspect), it bumps
 * the epoch it stamps on that follower's tasks.  A follower that was only
 * paused may still hold the abandoned tasks; once it has seen a newer
 * epoch it refuses to run them.  Checked under the placement lock, so a
 * STATUS that reads the placement after the newer epoch arrived sees
 * either the write's effect or no write at all. */
static _Atomic uint64_t fence_epoch;

void exec_fence_observe(uint64_t epoch)
{
	uint64_t cur = fence_epoch;
	while (epoch > cur && !__atomic_compare_exchange_n(&fence_epoch, &cur, epoch, 0,
							   __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST))
		;
}

static int fenced(const exec_task *t)
{
	switch (t->kind) {
	case EXEC_TASK_WRITE:
	case EXEC_TASK_APPLY:
	case EXEC_TASK_UNDO:
	case EXEC_TASK_DDL:
		return t->epoch != 0 && t->epoch < fence_epoch;
	default:
		return 0;
	}
}

/* ---- placements ------------------------------------------------------- */

/* Main's open transaction in c->wtxns, if any (its lock is held). */
static stor_db *wtxns_find(const run_ctx *c)
{
	for (int i = 0; c->wtxns && i < c->wtxns->n; i++)
		if (strcmp(stor_file(c->wtxns->db[i]), c->t->placements[0]) == 0)
			return c->wtxns->db[i];
	return NULL;
}

/* Main, just locked, keeps its transaction open in c->wtxns (when there
 * is room). */
static void wtxns_add(run_ctx *c)
{
	exec_wtxns *x = c->wtxns;
	if (!x || x->n == EXEC_WTXNS_MAX)
		return;
	stor_batch_begin(c->db);
	x->db[x->n++] = c->db;
	c->in_wtxns = 1;
}

static int refuse_fenced(run_ctx *c)
{
	mur_error_set(&c->res->err, "55000",
		      "task %llu is from before the leader gave up on this follower; not run",
		      (unsigned long long)c->t->id);
	return fail(c, MUR_ERR);
}

static int open_main(run_ctx *c, int create)
{
	if ((c->db = wtxns_find(c)) != NULL) {
		if (!fenced(c->t)) {
			c->in_wtxns = 1;
			return MUR_OK;
		}
		c->db = NULL;
		return refuse_fenced(c);
	}
	if (stor_dir_get(c->dir, c->t->placements[0], create, &c->db, &c->res->err) != MUR_OK)
		return fail(c, MUR_ERR);
	if (c->try_lock) {
		int rc = stor_trylock(c->db, &c->res->err);
		if (rc != MUR_OK) {
			stor_dir_put(c->dir, c->db);
			c->db = NULL;
			return rc == MUR_EAGAIN ? MUR_EAGAIN : fail(c, MUR_ERR);
		}
	} else if (stor_lock(c->db, &c->res->err) != MUR_OK) {
		stor_dir_put(c->dir, c->db);
		c->db = NULL;
		return fail(c, MUR_ERR);
	}
	if (fenced(c->t)) {
		stor_unlock(c->db);
		stor_dir_put(c->dir, c->db);
		c->db = NULL;
		return refuse_fenced(c);
	}
	wtxns_add(c);
	return MUR_OK;
}

static void detach_all(run_ctx *c)
{
	for (int i = c->nattached; i >= 1; i--) {
		char sql[32];
		snprintf(sql, sizeof sql, "DETACH DATABASE m%d", i);
		sqlite3_exec(stor_handle(c->db), sql, NULL, NULL, NULL);
	}
	c->nattached = 0;
}

static void close_main(run_ctx *c)
{
	if (!c->db)
		return;
	detach_all(c);
	if (c->in_wtxns) { /* exec_wtxns_end commits and releases it */
		c->db = NULL;
		return;
	}
	stor_unlock(c->db);
	stor_dir_put(c->dir, c->db);
	c->db = NULL;
}

/* With placements[1..] attached to main's connection (ATTACH), their own
 * connections must not hold them exclusively meanwhile, and main's must
 * not be in exclusive mode either (an attached file inherits it).  Before
 * open_main (one placement lock at a time). */
static int share_placements(run_ctx *c)
{
	if (c->t->nplacements < 2)
		return MUR_OK; /* nothing attached */
	for (uint32_t i = 0; i < c->t->nplacements; i++)
		if (stor_dir_share(c->dir, c->t->placements[i], &c->shared[i], &c->res->err) !=
		    MUR_OK)
			return fail(c, MUR_ERR);
	return MUR_OK;
}

/* After close_main. */
static void unshare_placements(run_ctx *c)
{
	for (uint32_t i = 0; i < c->t->nplacements; i++) {
		stor_dir_unshare(c->dir, c->shared[i]);
		c->shared[i] = NULL;
	}
}

/* ATTACH placements[1..] as m1.. (each must exist: ATTACH would create). */
static int attach_others(run_ctx *c)
{
	for (uint32_t i = 1; i < c->t->nplacements; i++) {
		char path[STOR_PATH_MAX], sql[48];
		const char *file = c->t->placements[i];
		if (stor_dir_file_path(c->dir, file, path, sizeof path) != 0 ||
		    !stor_dir_exists(c->dir, file)) {
			mur_error_set(&c->res->err, SQLSTATE_UNDEFINED_FILE,
				      "placement \"%s\" does not exist on this node", file);
			return fail(c, MUR_ERR);
		}
		sqlite3_stmt *st;
		snprintf(sql, sizeof sql, "ATTACH DATABASE ?1 AS m%u", i);
		int rc = sqlite3_prepare_v2(stor_handle(c->db), sql, -1, &st, NULL);
		if (rc != SQLITE_OK)
			return sqlite_fail(c, rc);
		sqlite3_bind_text(st, 1, path, -1, SQLITE_TRANSIENT);
		rc = sqlite3_step(st);
		sqlite3_finalize(st);
		if (rc != SQLITE_DONE)
			return sqlite_fail(c, rc);
		c->nattached = (int)i;
	}
	return MUR_OK;
}

/* ---- QUERY ------------------------------------------------------------ */

static int query_pages(run_ctx *c, int ncols, int agg, int *done);

static int query_plain(run_ctx *c, sqlite3_stmt *st)
{
	int ncols = sqlite3_column_count(st), rc, paged;
	/* the pages path reads the text against the current schema */
	if ((rc = query_pages(c, ncols, 0, &paged)) != MUR_OK || paged)
		return rc;
	rc = sqlite3_step(st);
	/* the shape after the first step: a kept statement SQLite re-prepared
	 * there may have other columns than before it (stmt_cache.h) */
	ncols = sqlite3_column_count(st);
	c->res->ncols = (uint32_t)ncols;
	for (; rc == SQLITE_ROW; rc = sqlite3_step(st)) {
		exec_sql_put_row(st, ncols, &c->res->rows);
		c->res->nrows++;
		if (check_size(c, &c->res->rows) != MUR_OK)
			return MUR_ERR;
	}
	return rc == SQLITE_DONE ? MUR_OK : sqlite_fail(c, rc);
}

static int agg_fail(run_ctx *c, exec_hashagg *h)
{
	c->res->err = *exec_hashagg_error(h);
	if (!mur_error_is_set(&c->res->err))
		mur_error_set(&c->res->err, SQLSTATE_INTERNAL_ERROR, "hash aggregate failed");
	return fail(c, MUR_ERR);
}

/* A shuffle sender's pure DISTINCT (no aggregates, every column a key)
 * stops aggregating once it sees that nearly every row is a new key: the
 * owners deduplicate anyway, and a hash table that removes little costs
 * more than sending the rows (adaptive partial aggregation). */
#define RUN_ADAPT_MIN_ROWS 16384
#define RUN_ADAPT_KEEP_RATIO 0.5 /* keep aggregating while groups <= rows × this */

static int adaptive_distinct(const run_ctx *c, int ncols)
{
	return c->t->kind == EXEC_TASK_SHUFFLE_SEND && c->t->agg.naggs == 0 &&
	       c->t->agg.ngroup == (uint32_t)ncols;
}

/* Bypass: the groups so far, then every remaining row as it is. */
static int query_bypass(run_ctx *c, sqlite3_stmt *st, exec_hashagg *h, int ncols)
{
	uint64_t groups;
	int rc;
	if (exec_hashagg_finish(h, &c->res->rows, &groups) != MUR_OK)
		return agg_fail(c, h);
	c->res->ncols = (uint32_t)ncols;
	c->res->nrows = groups;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		exec_sql_put_row(st, ncols, &c->res->rows);
		c->res->nrows++;
		if (check_size(c, &c->res->rows) != MUR_OK)
			return MUR_ERR;
	}
	return rc == SQLITE_DONE ? check_size(c, &c->res->rows) : sqlite_fail(c, rc);
}

/* approx_count_distinct(x) alone, no GROUP BY.  The output is what the
 * hash aggregate would give: one row, the sketch. */
static int only_sketch(const exec_agg_spec *a)
{
	return a->ngroup == 0 && a->naggs == 1 && a->aggs[0].fn == EXEC_AGG_HLL;
}

/* The task's SELECT (ncols columns) wrapped so that SQLite sketches column
 * col itself:
 *   WITH s(c0, .., c<ncols-1>) AS (\n<sql>\n) SELECT mur_hll_sketch(c<col>) FROM s
 * SQLite flattens the CTE into its scan, so a row costs one OP_Column and
 * one OP_AggStep instead of a trip out through sqlite3_step and the
 * column API.  Trailing ';' and blanks of sql are dropped.  malloc'd (the
 * caller frees); NULL when out of memory. */
static char *sketch_sql(const char *sql, int ncols, int col)
{
	size_t n = strlen(sql);
	mur_buf b;
	while (n && (sql[n - 1] == ';' || isspace((unsigned char)sql[n - 1])))
		n--;
	mur_buf_init(&b);
	mur_buf_put(&b, "WITH s(", 7);
	for (int i = 0; i < ncols; i++)
		mur_buf_printf(&b, "%sc%d", i ? ", " : "", i);
	mur_buf_put(&b, ") AS (\n", 7);
	mur_buf_put(&b, sql, n);
	mur_buf_printf(&b, "\n) SELECT mur_hll_sketch(c%d) FROM s", col);
	mur_buf_put_u8(&b, 0);
	if (!mur_buf_ok(&b)) {
		mur_buf_free(&b);
		return NULL;
	}
	return b.data; /* the buffer's block is the caller's now */
}

/* The result: one row, the sketch blob v. */
static int put_sketch(run_ctx *c, const mur_value *v)
{
	mur_row_put_value(&c->res->rows, v);
	c->res->ncols = 1;
	c->res->nrows = 1;
	return check_size(c, &c->res->rows);
}

static int sketch_add(void *h, const mur_value *v) { return hll_add(h, v); }

/* The sketch from the table's pages (storage/colscan.h) when the leader
 * marked the task a bare scan of one column (scan_table, scan_column) on
 * one placement; *done = 0 when that does not apply or the scan declined
 * (then nothing was added to the result). */
static int query_sketch_pages(run_ctx *c, int *done)
{
	hll h;
	mur_buf blob;
	int rc;
	*done = 0;
	if (c->t->nplacements != 1 || c->t->agg.aggs[0].col != 0 || !c->t->scan_table ||
	    !c->t->scan_table[0] || !c->t->scan_column || !c->t->scan_column[0])
		return MUR_OK;
	hll_init(&h, HLL_P_DEFAULT, NULL);
	if (stor_colscan(c->db, c->t->scan_table, c->t->scan_column, sketch_add, &h, done) !=
	    MUR_OK) {
		hll_free(&h);
		mur_error_set(&c->res->err, SQLSTATE_OUT_OF_MEMORY, "out of memory");
		return fail(c, MUR_ENOMEM);
	}
	if (!*done) {
		hll_free(&h);
		return MUR_OK;
	}
	mur_buf_init(&blob);
	hll_serialize(&h, &blob);
	hll_free(&h);
	mur_value v = mur_v_blob(blob.data ? blob.data : "", blob.len);
	rc = mur_buf_ok(&blob) ? put_sketch(c, &v) : MUR_ENOMEM;
	mur_buf_free(&blob);
	if (rc == MUR_ENOMEM) {
		mur_error_set(&c->res->err, SQLSTATE_OUT_OF_MEMORY, "out of memory");
		return fail(c, MUR_ENOMEM);
	}
	return rc;
}

/* Run the sketching query of st's SELECT (bound again with the task's
 * params) and put its one row, the blob, into the result. */
static int query_sketch_sql(run_ctx *c, sqlite3_stmt *st)
{
	char *sql = sketch_sql(c->t->sql, sqlite3_column_count(st), (int)c->t->agg.aggs[0].col);
	sqlite3_stmt *sk = NULL;
	int rc, out = MUR_ERR;
	if (!sql) {
		mur_error_set(&c->res->err, SQLSTATE_OUT_OF_MEMORY, "out of memory");
		return fail(c, MUR_ENOMEM);
	}
	if (stor_prepare(c->db, sql, &sk, &c->res->err) != MUR_OK) {
		fail(c, MUR_ERR);
		goto done;
	}
	if (bind_all(c, sk, c->t->params, c->t->nparams) != MUR_OK)
		goto done;
	if ((rc = sqlite3_step(sk)) != SQLITE_ROW) {
		if (rc != SQLITE_DONE) {
			sqlite_fail(c, rc);
			goto done;
		}
		mur_error_set(&c->res->err, SQLSTATE_INTERNAL_ERROR, "sketch query gave no row");
		fail(c, MUR_ERR);
		goto done;
	}
	mur_value v = exec_sql_column_value(sk, 0);
	out = put_sketch(c, &v);
done:
	stor_release(c->db, sk);
	free(sql);
	return out;
}

/* The sketch of column col of st's SELECT: from the table's pages when
 * possible, else by SQLite running the wrapped query (bound again with
 * the task's params); one row, the blob. */
static int query_sketch(run_ctx *c, sqlite3_stmt *st)
{
	int done, rc = query_sketch_pages(c, &done);
	if (rc != MUR_OK || done)
		return rc;
	return query_sketch_sql(c, st);
}

/* The aggregate's groups into the result, HAVING applied. */
static int agg_result(run_ctx *c, exec_hashagg *h)
{
	uint64_t groups;
	if (exec_hashagg_finish(h, &c->res->rows, &groups) != MUR_OK)
		return agg_fail(c, h);
	c->res->ncols = c->t->agg.ngroup + c->t->agg.naggs;
	c->res->nrows = groups;
	if (c->t->kind == EXEC_TASK_QUERY && c->t->having_sql && c->t->having_sql[0] &&
	    stor_rows_filter(c->t->having_sql, c->t->params, c->t->nparams, c->res->ncols,
			     &c->res->rows, &c->res->nrows, &c->res->err) != MUR_OK)
		return fail(c, MUR_ERR);
	return check_size(c, &c->res->rows);
}

/* A page scan's rows (storage/scanfilter.h) on their way into the hash
 * aggregate, or into the result. */
typedef struct page_scan {
	run_ctx *c;
	const stor_scanfilter *f;
	exec_hashagg *h; /* NULL: rows go to the result */
	mur_value out[STOR_COLSCAN_COLS_MAX];
	uint64_t n;
	int agg_failed, failed, cancelled; /* failed: the result's error is set */
} page_scan;

/* Rows between two looks at a page scan's cancel flag (~0.1 ms). */
#define RUN_PAGE_CANCEL_ROWS 4096

static int page_row(void *ctx, const mur_value *v)
{
	page_scan *p = ctx;
	exec_result *res = p->c->res;
	int keep;
	if (++p->n % RUN_PAGE_CANCEL_ROWS == 0 && p->c->cancel &&
	    atomic_load_explicit(p->c->cancel, memory_order_relaxed)) {
		p->cancelled = 1;
		return MUR_ERR;
	}
	if ((keep = stor_scanfilter_keep(p->f, v)) <= 0)
		return keep < 0 ? MUR_EAGAIN : MUR_OK; /* -1: let SQLite judge it */
	for (int i = 0; i < p->f->nout; i++)
		p->out[i] = v[p->f->out[i]];
	if (p->h && exec_hashagg_add_row(p->h, p->out) != MUR_OK) {
		p->agg_failed = 1;
		return MUR_ERR;
	}
	if (p->h)
		return MUR_OK;
	for (int i = 0; i < p->f->nout; i++)
		mur_row_put_value(&res->rows, &p->out[i]);
	res->nrows++;
	if (check_size(p->c, &res->rows) != MUR_OK) {
		p->failed = 1;
		return MUR_ERR;
	}
	return MUR_OK;
}

/* The rows (agg 0) or the aggregate (agg 1) of a task whose SELECT the
 * page scan can run (stor_scanfilter_parse) on one placement, from the
 * table's pages; *done = 0 when it does not apply or the scan declined
 * (then nothing is in the result, and SQLite runs it). */
static int query_pages(run_ctx *c, int ncols, int agg, int *done)
{
	stor_scanfilter f;
	page_scan p = {.c = c, .f = &f};
	int rc, out = MUR_OK;
	*done = 0;
	/* parameters the task carries but its SQL does not read (a statement's
	 * subquery results: TPC-H Q13's side scans) do not matter: a text
	 * that reads one (?n) is never recognized.  A point lookup (quick: the
	 * leader routed it by its primary key) is SQLite's seek, never a scan:
	 * not asked (the question prepared the statement twice more, an
	 * EXPLAIN QUERY PLAN among them: 3% of a follower's CPU under TPC-B) */
	if (c->t->quick || c->mem || c->nattached || c->t->nplacements != 1 || c->res->rows.len ||
	    !stor_scanfilter_parse(c->db, c->t->sql, &f))
		return MUR_OK;
	if (f.nout != ncols)
		goto end;
	if (agg && !(p.h = exec_hashagg_create(&c->t->agg, (uint32_t)ncols))) {
		mur_error_set(&c->res->err, SQLSTATE_OUT_OF_MEMORY, "out of memory");
		*done = 1;
		out = fail(c, MUR_ENOMEM);
		goto end;
	}
	c->res->ncols = (uint32_t)ncols;
	rc = stor_colscan_cols(c->db, f.table, f.ncols, f.cols, page_row, &p, done);
	if (p.agg_failed || p.failed || p.cancelled) {
		*done = 1;
		out = p.agg_failed ? agg_fail(c, p.h) : fail(c, MUR_ERR);
	} else if (*done && rc == MUR_OK) {
		out = agg ? agg_result(c, p.h) : MUR_OK;
	} else {
		*done = 0; /* declined, or a value the filter could not judge */
		mur_buf_reset(&c->res->rows);
		c->res->nrows = 0;
	}
end:
	exec_hashagg_destroy(p.h);
	stor_scanfilter_free(&f);
	return out;
}

static int query_agg(run_ctx *c, sqlite3_stmt *st)
{
	int ncols = sqlite3_column_count(st), rc, out = MUR_OK, paged;
	uint64_t n = 0, seen = 0;
	int adaptive = adaptive_distinct(c, ncols);
	mur_buf batch;
	mur_error stale = {0};
	/* a kept statement's count before its first step may be the old
	 * width (query_plain): judged again after that step */
	int valid = exec_hashagg_validate(&c->t->agg, (uint32_t)ncols, &stale) == MUR_OK;
	if (valid && only_sketch(&c->t->agg))
		return query_sketch(c, st);
	if (valid && !adaptive && ((rc = query_pages(c, ncols, 1, &paged)) != MUR_OK || paged))
		return rc;
	rc = sqlite3_step(st);
	/* the shape after the first step (query_plain) */
	if (!valid || sqlite3_column_count(st) != ncols) {
		ncols = sqlite3_column_count(st);
		adaptive = adaptive_distinct(c, ncols);
		if (exec_hashagg_validate(&c->t->agg, (uint32_t)ncols, &c->res->err) != MUR_OK)
			return fail(c, MUR_ERR);
	}
	exec_hashagg *h = exec_hashagg_create(&c->t->agg, (uint32_t)ncols);
	if (!h) {
		mur_error_set(&c->res->err, SQLSTATE_OUT_OF_MEMORY, "out of memory");
		return fail(c, MUR_ENOMEM);
	}
	mur_value *vals = adaptive ? NULL : malloc(sizeof *vals * (size_t)(ncols ? ncols : 1));
	mur_buf_init(&batch);
	for (; rc == SQLITE_ROW; rc = sqlite3_step(st)) {
		if (vals && exec_hashagg_groups(h) <= RUN_AGG_DIRECT_GROUPS_MAX) {
			for (int i = 0; i < ncols; i++)
				vals[i] = exec_sql_column_value(st, i);
			if (exec_hashagg_add_row(h, vals) != MUR_OK) {
				out = agg_fail(c, h);
				goto done;
			}
			continue;
		}
		exec_sql_put_row(st, ncols, &batch);
		if (++n < RUN_AGG_BATCH_ROWS)
			continue;
		if (!mur_buf_ok(&batch) || exec_hashagg_add_rows(h, batch.data, batch.len, n)) {
			out = agg_fail(c, h);
			goto done;
		}
		seen += n;
		mur_buf_reset(&batch);
		n = 0;
		if (adaptive && seen >= RUN_ADAPT_MIN_ROWS &&
		    (double)exec_hashagg_groups(h) > (double)seen * RUN_ADAPT_KEEP_RATIO) {
			out = query_bypass(c, st, h, ncols);
			goto done;
		}
	}
	if (rc != SQLITE_DONE) {
		out = sqlite_fail(c, rc);
		goto done;
	}
	if (!mur_buf_ok(&batch) || exec_hashagg_add_rows(h, batch.data, batch.len, n)) {
		out = agg_fail(c, h);
		goto done;
	}
	out = agg_result(c, h);
done:
	free(vals);
	mur_buf_free(&batch);
	exec_hashagg_destroy(h);
	return out;
}

/* sqlite3_progress_handler: nonzero interrupts the statement. */
static int query_cancelled(void *arg)
{
	const run_ctx *c = arg;
	return atomic_load_explicit(c->cancel, memory_order_relaxed) != 0;
}

/* While the query holds main's lock, nobody else uses its handle. */
static void watch_cancel(run_ctx *c, int on)
{
	if (c->cancel && c->db)
		sqlite3_progress_handler(stor_handle(c->db), on ? RUN_CANCEL_CHECK_OPS : 0,
					 on ? query_cancelled : NULL, on ? c : NULL);
}

/* Is this task a read held to a bound (a QUERY or a shuffle's SEND)? */
static int bounded_kind(const exec_task *t)
{
	return t->kind == EXEC_TASK_QUERY || t->kind == EXEC_TASK_SHUFFLE_SEND;
}

/* Is placement db, held by this task under lock, within bound (the newest
 * entry the read may see)?  *lsn, *entry_id: where it is.  Refused (55000,
 * the position kept) when past the bound (it may hold an entry not decided
 * yet) or holding an open transaction's entries without its marker: either
 * may show what was never committed (docs/consistency.md). */
static int placement_within(run_ctx *c, stor_db *db, const char *file, uint64_t bound,
			    uint64_t *lsn, uint64_t *entry_id)
{
	uint64_t txn_id = 0, txn_lsn = 0;
	*lsn = stor_lsn(db);
	*entry_id = stor_entry_id(db);
	if (stor_log_open_txn(db, &txn_id, &txn_lsn, &c->res->err) != MUR_OK)
		return fail(c, MUR_ERR);
	if (*lsn <= bound && !txn_id)
		return MUR_OK;
	mur_error_set(&c->res->err, EXEC_SQLSTATE_READ_PAST,
		      "placement %s is at lsn %llu (open transaction %llu), past entry %llu "
		      "this read may see",
		      file, (unsigned long long)*lsn, (unsigned long long)txn_id,
		      (unsigned long long)bound);
	return fail(c, MUR_ERR);
}

/* A bounded read (t->lsn: the newest entry placements[0] may show, 0:
 * any) says where the placement is (res->lsn, res->entry_id) and is
 * refused past it (placement_within; the position kept by finish).  Under
 * main's lock, so no write moves the placement between this look and the
 * read. */
static int read_bound_check(run_ctx *c)
{
	if (!c->t->lsn || !bounded_kind(c->t))
		return MUR_OK;
	return placement_within(c, c->db, c->t->placements[0], c->t->lsn, &c->res->lsn,
				&c->res->entry_id);
}

/* Is shared[i] the same placement as main or an earlier one (a self-join
 * attaches one file twice): its lock is held already, its look made? */
static int seen_before(const run_ctx *c, uint32_t i)
{
	for (uint32_t j = 0; j < i; j++)
		if (c->shared[j] == c->shared[i])
			return 1;
	return 0;
}

/* A co-located join's placements[i ≥ 1] with a bound (t->attached_bound[i])
 * are checked as main is (res->attached_lsn[i], attached_entry_id[i]),
 * each under its own lock, held until the read ends (release_attached) so
 * no write moves it meanwhile.  The lock is only tried: a write running on
 * one (its lock held) refuses the read (55000) as a placement past the
 * bound does, and no two tasks ever wait for each other's placements.
 * After open_main. */
static int attached_bound_check(run_ctx *c)
{
	const exec_task *t = c->t;
	if (!bounded_kind(t))
		return MUR_OK;
	c->res->nattached = t->nplacements > 1 ? (uint8_t)(t->nplacements - 1) : 0;
	for (uint32_t i = 1; i < t->nplacements; i++) {
		if (!t->attached_bound[i] || seen_before(c, i))
			continue;
		int rc = stor_trylock(c->shared[i], &c->res->err);
		if (rc == MUR_EAGAIN)
			mur_error_set(&c->res->err, EXEC_SQLSTATE_READ_PAST,
				      "placement %s is being written; not read", t->placements[i]);
		if (rc != MUR_OK)
			return fail(c, MUR_ERR);
		c->held[i] = 1;
		if (placement_within(c, c->shared[i], t->placements[i], t->attached_bound[i],
				     &c->res->attached_lsn[i],
				     &c->res->attached_entry_id[i]) != MUR_OK)
			return MUR_ERR;
	}
	return MUR_OK;
}

/* Before close_main: the locks attached_bound_check took. */
static void release_attached(run_ctx *c)
{
	for (uint32_t i = 1; i < EXEC_TASK_PLACEMENTS_MAX; i++)
		if (c->held[i]) {
			stor_unlock(c->shared[i]);
			c->held[i] = 0;
		}
}

static int run_query(run_ctx *c)
{
	sqlite3_stmt *st = NULL;
	int rc = share_placements(c);
	if (rc == MUR_OK)
		rc = open_main(c, 0);
	if (rc != MUR_OK) {
		unshare_placements(c);
		return rc; /* MUR_EAGAIN: placement busy (try mode) */
	}
	if (c->locked) /* main's writes wait for the lock from here on */
		atomic_store_explicit(c->locked, 1, memory_order_release);
	watch_cancel(c, 1);
	rc = MUR_ERR;
	if (read_bound_check(c) != MUR_OK || attached_bound_check(c) != MUR_OK ||
	    attach_others(c) != MUR_OK)
		goto done;
	if (prepare_task(c, c->t->quick && !c->nattached, &st) != MUR_OK) {
		fail(c, MUR_ERR);
		goto done;
	}
	if (bind_all(c, st, c->t->params, c->t->nparams) != MUR_OK)
		goto done;
	rc = c->t->has_agg ? query_agg(c, st) : query_plain(c, st);
	if (rc != MUR_OK && c->cancel && atomic_load(c->cancel))
		mur_error_set(&c->res->err, SQLSTATE_QUERY_CANCELED,
			      "canceling statement due to a cancel from the leader");
done:
	watch_cancel(c, 0);
	stor_release(c->db, st);
	release_attached(c);
	close_main(c);
	unshare_placements(c);
	return rc;
}

/* ---- WRITE ------------------------------------------------------------ */

/* Step one execution of st; RETURNING rows go to the result. */
static int write_once(run_ctx *c, sqlite3_stmt *st)
{
	int rc = sqlite3_step(st);
	/* RETURNING's shape after the first step (query_plain) */
	int ncols = sqlite3_column_count(st);
	c->res->ncols = (uint32_t)ncols;
	for (; rc == SQLITE_ROW; rc = sqlite3_step(st)) {
		exec_sql_put_row(st, ncols, &c->res->rows);
		c->res->nrows++;
		if (check_size(c, &c->res->rows) != MUR_OK)
			return MUR_ERR;
	}
	if (rc != SQLITE_DONE) {
		sqlite_fail(c, rc);
		stor_dupkey_detail(c->mem ? c->mem : stor_handle(c->db), st, &c->res->err);
		stor_failrow_detail(c->mem ? c->mem : stor_handle(c->db), st, &c->res->err);
		return MUR_ERR;
	}
	c->res->changes += (uint64_t)sqlite3_changes64(stor_handle(c->db));
	sqlite3_reset(st);
	return MUR_OK;
}

static int write_rows(run_ctx *c, sqlite3_stmt *st)
{
	const exec_task *t = c->t;
	mur_value vals[64], *v = vals;
	mur_rd rd;
	int rc = MUR_OK;
	if (t->ncols > sizeof vals / sizeof vals[0] && !(v = calloc(t->ncols, sizeof *v))) {
		mur_error_set(&c->res->err, SQLSTATE_OUT_OF_MEMORY, "out of memory");
		return fail(c, MUR_ENOMEM);
	}
	mur_rd_init(&rd, t->rows, t->rows_len);
	for (uint64_t r = 0; r < t->nrows && rc == MUR_OK; r++) {
		for (uint32_t k = 0; k < t->ncols; k++)
			if (mur_row_get_value(&rd, &v[k]) != MUR_OK) {
				mur_error_set(&c->res->err, SQLSTATE_PROTOCOL_VIOLATION,
					      "malformed rows in write task");
				rc = fail(c, MUR_EPROTO);
				break;
			}
		if (rc == MUR_OK)
			rc = bind_all(c, st, v, t->ncols);
		if (rc == MUR_OK && (rc = write_once(c, st)) != MUR_OK)
			c->res->err.row = (uint32_t)(r + 1); /* COPY's line (lead_copy.c) */
		sqlite3_clear_bindings(st);
	}
	if (v != vals)
		free(v);
	return rc;
}

/* The task's entry: its id, transaction and kind, changeset cs. */
static stor_entry task_entry(const exec_task *t, const void *cs, size_t len)
{
	return (stor_entry){.lsn = t->lsn,
			    .entry_id = t->entry_id,
			    .txn_id = t->txn_id,
			    .kind = t->entry_kind,
			    .cs = cs,
			    .len = len};
}

/* A commit or staging marker: no SQL, the entry itself (a commit
 * marker's changeset is empty; a staging marker's is its participants,
 * the task's blob, kept in the result's blob too so that the follower WAL
 * logs the same entry: write_txn). */
static int write_marker(run_ctx *c)
{
	uint64_t lsn;
	int staged = c->t->entry_kind == EXEC_ENTRY_STAGED;
	stor_entry e = task_entry(c->t, staged ? c->t->blob : NULL, staged ? c->t->blob_len : 0);
	if (!c->t->capture) {
		mur_error_set(&c->res->err, SQLSTATE_PROTOCOL_VIOLATION,
			      "a commit marker write must be logged (capture)");
		return fail(c, MUR_EPROTO);
	}
	if (stor_log_append(c->db, &e, &lsn, &c->res->err) != MUR_OK)
		return fail(c, MUR_ERR);
	if (staged)
		mur_buf_put(&c->res->blob, c->t->blob, c->t->blob_len);
	if (!mur_buf_ok(&c->res->blob)) {
		mur_error_set(&c->res->err, SQLSTATE_OUT_OF_MEMORY, "out of memory");
		return fail(c, MUR_ENOMEM);
	}
	return MUR_OK;
}

/* A DDL entry: the task's SQL is "forward SEP undo" (storage/replog.h);
 * the forward part runs, the whole text is the entry, logged always. */
static int write_ddl(run_ctx *c)
{
	size_t len = strlen(c->t->sql);
	stor_entry e = task_entry(c->t, c->t->sql, len);
	uint64_t lsn;
	char *fwd, *undo;
	int src;
	if (!c->t->capture) {
		mur_error_set(&c->res->err, SQLSTATE_PROTOCOL_VIOLATION,
			      "a DDL entry's write must be logged (capture)");
		return fail(c, MUR_EPROTO);
	}
	if (len > STOR_DDL_BYTES_MAX) {
		mur_error_set(&c->res->err, SQLSTATE_PROTOCOL_VIOLATION,
			      "DDL entry of %zu bytes (at most %d)", len, STOR_DDL_BYTES_MAX);
		return fail(c, MUR_EPROTO);
	}
	if (stor_ddl_split(c->t->sql, len, &fwd, &undo, &c->res->err) != MUR_OK)
		return fail(c, MUR_EPROTO);
	src = sqlite3_exec(stor_handle(c->db), fwd, NULL, NULL, NULL);
	free(fwd);
	free(undo);
	if (src != SQLITE_OK)
		return sqlite_fail(c, src);
	if (stor_log_append(c->db, &e, &lsn, &c->res->err) != MUR_OK)
		return fail(c, MUR_ERR);
	mur_buf_put(&c->res->blob, c->t->sql, len);
	if (!mur_buf_ok(&c->res->blob)) {
		mur_error_set(&c->res->err, SQLSTATE_OUT_OF_MEMORY, "out of memory");
		return fail(c, MUR_ENOMEM);
	}
	return MUR_OK;
}

/* Run the task's SQL once with params or once per row of `rows`. */
static int write_body(run_ctx *c)
{
	sqlite3_stmt *st = NULL;
	int rc;
	if (c->t->entry_kind == EXEC_ENTRY_DDL)
		return write_ddl(c);
	if (c->t->entry_kind != EXEC_ENTRY_DATA)
		return write_marker(c);
	if (prepare_task(c, 1, &st) != MUR_OK)
		return fail(c, MUR_ERR);
	c->res->ncols = (uint32_t)sqlite3_column_count(st);
	if (c->t->nrows > 0)
		rc = write_rows(c, st);
	else if ((rc = bind_all(c, st, c->t->params, c->t->nparams)) == MUR_OK)
		rc = write_once(c, st);
	stor_release(c->db, st);
	return rc;
}

/* Log changeset cs (len bytes; none: nothing changed, no entry) as the
 * next entry and return it in the result. */
static int log_entry(run_ctx *c, const void *cs, size_t len)
{
	uint64_t lsn;
	if (!cs || len == 0)
		return MUR_OK;
	stor_entry e = task_entry(c->t, cs, len);
	if (stor_log_append(c->db, &e, &lsn, &c->res->err) != MUR_OK)
		return fail(c, MUR_ERR);
	if (c->res->blob.data != cs)
		mur_buf_put(&c->res->blob, cs, len);
	if (!mur_buf_ok(&c->res->blob)) {
		mur_error_set(&c->res->err, SQLSTATE_OUT_OF_MEMORY, "out of memory");
		return fail(c, MUR_ENOMEM);
	}
	return MUR_OK;
}

/* Capture under sqlite3session: take the changeset and log it. */
static int log_session(run_ctx *c, sqlite3_session *s)
{
	void *cs = NULL;
	size_t len = 0;
	if (stor_capture_take(c->db, s, &cs, &len, &c->res->err) != MUR_OK)
		return fail(c, MUR_ERR);
	int rc = log_entry(c, cs, len);
	sqlite3_free(cs);
	return rc;
}

/* Row capture: the changeset is built; MUR_EAGAIN when the statement did
 * more than insert rows (run it again under a session). */
static int log_rows(run_ctx *c, stor_rowcap *rcap)
{
	int rc = stor_rowcap_take(rcap, &c->res->blob, &c->res->err);
	if (rc == MUR_EAGAIN)
		return MUR_EAGAIN;
	if (rc != MUR_OK)
		return fail(c, MUR_ERR);
	return log_entry(c, c->res->blob.data, c->res->blob.len);
}

/* Forget what a rolled-back attempt put in the result. */
static void reset_result(exec_result *res)
{
	mur_buf_reset(&res->rows);
	mur_buf_reset(&res->blob);
	res->nrows = 0;
	res->changes = 0;
}

/* One write transaction.  Capture with row capture when `rows_capture`
 * (plain row inserts, updates or deletes: see storage/capture_rows.c),
 * else with a session; returns MUR_EAGAIN (rolled back) when row capture
 * could not describe the write. */
static int write_txn(run_ctx *c, int rows_capture)
{
	sqlite3_session *s = NULL;
	stor_rowcap *rcap = NULL;
	int rc = MUR_ERR;
	if (stor_begin(c->db, &c->res->err) != MUR_OK)
		return fail(c, MUR_ERR);
	if (c->t->capture && c->t->lsn && stor_lsn(c->db) + 1 != c->t->lsn) {
		/* the leader pipelines a shard's writes: this one follows an
		 * entry this copy does not hold (or it holds more) */
		mur_error_set(&c->res->err, SQLSTATE_OBJECT_NOT_IN_PREREQUISITE_STATE,
			      "placement %s is at lsn %llu; this write is entry %llu",
			      c->t->placements[0], (unsigned long long)stor_lsn(c->db),
			      (unsigned long long)c->t->lsn);
		c->res->lsn = stor_lsn(c->db);
		stor_rollback(c->db);
		return fail(c, MUR_ERR);
	}
	if (c->t->capture && c->t->entry_kind == EXEC_ENTRY_DATA && /* a marker changes no row */
	    (rows_capture ? stor_rowcap_begin(c->db, c->t->nrows == 0, &rcap, &c->res->err)
			  : stor_capture_begin(c->db, &s, &c->res->err)) != MUR_OK) {
		fail(c, MUR_ERR);
		goto rollback;
	}
	if (write_body(c) != MUR_OK)
		goto rollback;
	if (s && log_session(c, s) != MUR_OK)
		goto rollback;
	if (rcap && (rc = log_rows(c, rcap)) != MUR_OK)
		goto rollback;
	stor_capture_end(s);
	stor_rowcap_end(rcap);
	s = NULL;
	rcap = NULL;
	/* A logged entry is made durable by the follower WAL's group fsync
	 * (when on); anything else commits with synchronous=FULL. */
	int logged = c->t->capture && c->t->entry_kind != EXEC_ENTRY_DDL && /* FULL: replog.h */
		     (c->res->blob.len > 0 || c->t->entry_kind != EXEC_ENTRY_DATA);
	if (stor_fwal_prepare_commit(c->db, logged, c->res->blob.len, &c->res->err) != MUR_OK) {
		fail(c, MUR_ERR);
		goto rollback;
	}
	if (stor_commit(c->db, &c->res->err) != MUR_OK) {
		fail(c, MUR_ERR);
		goto rollback;
	}
	c->res->lsn = stor_lsn(c->db);
	c->res->entry_id = stor_entry_id(c->db);
	stor_entry e = task_entry(c->t, c->res->blob.data, c->res->blob.len);
	e.lsn = c->res->lsn;
	if (stor_fwal_log_entry(c->db, &e, &c->res->err) != MUR_OK)
		return fail(c, MUR_ERR);
	return MUR_OK;
rollback:
	stor_capture_end(s);
	stor_rowcap_end(rcap);
	stor_rollback(c->db);
	if (rc == MUR_EAGAIN)
		reset_result(c->res);
	return rc == MUR_EAGAIN ? MUR_EAGAIN : MUR_ERR;
}

static int run_write(run_ctx *c)
{
	int rc = open_main(c, 0);
	if (rc != MUR_OK)
		return rc; /* MUR_EAGAIN: placement busy (try mode) */
	rc = write_txn(c, c->t->entry_kind == EXEC_ENTRY_DATA);
	if (rc == MUR_EAGAIN)
		rc = write_txn(c, 0);
	if (rc == MUR_OK && c->t->capture == EXEC_CAPTURE_LOG)
		mur_buf_free(&c->res->blob); /* logged; the leader has the rows */
	close_main(c);
	return rc;
}

/* ---- DDL, DROP, APPLY, UNDO, STATUS ---------------------------------- */

/* Schema is not in the shard log: DDL leaves the LSN where it is. */
static int run_ddl(run_ctx *c)
{
	int rc = MUR_ERR;
	if (open_main(c, 1) != MUR_OK)
		return MUR_ERR;
	if (stor_begin(c->db, &c->res->err) != MUR_OK) {
		fail(c, MUR_ERR);
		goto done;
	}
	int src = sqlite3_exec(stor_handle(c->db), c->t->sql, NULL, NULL, NULL);
	if (src != SQLITE_OK) {
		sqlite_fail(c, src);
		stor_rollback(c->db);
		goto done;
	}
	/* schema is not in the follower WAL: synchronous=FULL for this one */
	if (stor_fwal_prepare_commit(c->db, 0, 0, &c->res->err) != MUR_OK) {
		fail(c, MUR_ERR);
		stor_rollback(c->db);
		goto done;
	}
	if (stor_commit(c->db, &c->res->err) != MUR_OK) {
		fail(c, MUR_ERR);
		goto done;
	}
	c->res->lsn = stor_lsn(c->db);
	c->res->entry_id = stor_entry_id(c->db);
	rc = MUR_OK;
done:
	close_main(c);
	return rc;
}

static int run_apply(run_ctx *c)
{
	int rc = open_main(c, 0);
	if (rc != MUR_OK)
		return rc; /* MUR_EAGAIN: placement busy (try mode) */
	stor_entry e = task_entry(c->t, c->t->blob, c->t->blob_len);
	rc = stor_log_apply(c->db, &e, &c->res->err);
	if (rc == MUR_OK) {
		c->res->lsn = stor_lsn(c->db);
		c->res->entry_id = stor_entry_id(c->db);
	} else
		fail(c, MUR_ERR);
	close_main(c);
	return rc;
}

static int run_undo(run_ctx *c)
{
	int rc;
	if (open_main(c, 0) != MUR_OK)
		return MUR_ERR;
	rc = stor_log_undo(c->db, c->t->lsn, &c->res->err);
	if (rc == MUR_OK) {
		c->res->lsn = stor_lsn(c->db);
		c->res->entry_id = stor_entry_id(c->db);
	} else
		fail(c, MUR_ERR);
	close_main(c);
	return rc;
}

static int run_status(run_ctx *c)
{
	if (stor_status(c->dir, &c->res->rows, &c->res->nrows, &c->res->err) != MUR_OK)
		return fail(c, MUR_ERR);
	c->res->ncols = STOR_STATUS_COLS;
	return check_size(c, &c->res->rows);
}

/* One STAGED entry of the list: a row (txn_id INT, participants TEXT). */
static void staged_row(void *arg, uint64_t txn_id, const char *parts, size_t len)
{
	run_ctx *c = arg;
	mur_value v[2] = {mur_v_int((int64_t)txn_id), mur_v_text(parts ? parts : "", len)};
	for (int i = 0; i < 2; i++)
		mur_row_put_value(&c->res->rows, &v[i]);
	c->res->nrows++;
}

/* Recovery's query: what placements[0]'s log says of txn_id (wire/task.h,
 * EXEC_TASK_TXN_STATE); txn_id 0: the log's STAGED entries. */
static int run_txn_state(run_ctx *c)
{
	char parts[STOR_STAGED_BYTES_MAX + 1];
	stor_txn_state st;
	uint64_t first = 0;
	int rc;
	if (open_main(c, 0) != MUR_OK)
		return MUR_ERR;
	if (c->t->txn_id == 0) {
		rc = stor_log_staged_list(c->db, c->t->lsn, c->t->entry_id,
					  EXEC_TXN_STAGED_LIST_MAX, staged_row, c, &c->res->err);
		c->res->ncols = 2;
		if (rc != MUR_OK)
			fail(c, MUR_ERR);
		close_main(c);
		return rc == MUR_OK ? check_size(c, &c->res->rows) : MUR_ERR;
	}
	rc = stor_log_txn_state(c->db, c->t->txn_id, &st, parts, sizeof parts, &first,
				&c->res->err);
	if (rc == MUR_OK) {
		mur_value v[3] = {mur_v_int((int64_t)st), mur_v_text(parts, strlen(parts)),
				  mur_v_int((int64_t)first)};
		for (int i = 0; i < 3; i++)
			mur_row_put_value(&c->res->rows, &v[i]);
		c->res->nrows = 1;
		c->res->ncols = 3;
		c->res->lsn = stor_lsn(c->db);
		c->res->entry_id = stor_entry_id(c->db);
	} else
		fail(c, MUR_ERR);
	close_main(c);
	return rc == MUR_OK ? check_size(c, &c->res->rows) : MUR_ERR;
}

static int run_drop(run_ctx *c)
{
	for (uint32_t i = 0; i < c->t->nplacements; i++)
		if (stor_dir_drop(c->dir, c->t->placements[i], &c->res->err) != MUR_OK)
			return fail(c, MUR_ERR);
	return MUR_OK;
}

/* murphy.split_shard's local copy (wire/task.h, EXEC_TASK_SPLIT). */
/* A SPLIT task's kind (its sql): "" a range split; "hash <oid>" a hash
 * split whose trim hashes by the column's type OID (numeric normalized,
 * char(n) without trailing spaces, as the leader places rows); "hash"
 * alone (an older leader): by the stored value, 1. */
static int split_hash_kind(const char *kind)
{
	long oid;
	if (!kind || strncmp(kind, "hash", 4) != 0)
		return 0;
	oid = kind[4] == ' ' ? strtol(kind + 5, NULL, 10) : 0;
	return oid > 1 && oid < INT32_MAX ? (int)oid : 1;
}

static int run_split(run_ctx *c)
{
	char tmp_dir[STOR_PATH_MAX];
	stor_split_req rq;
	const exec_task *t = c->t;
	int rc;
	if (t->nplacements != 3 || t->nparams != 1 || !t->scan_table || !t->scan_column ||
	    node_peer_tmp_dir(c->dir, tmp_dir, sizeof tmp_dir) != 0) {
		mur_error_set(&c->res->err, SQLSTATE_PROTOCOL_VIOLATION, "malformed SPLIT task");
		return fail(c, MUR_EPROTO);
	}
	rq = (stor_split_req){.file = t->placements[0],
			      .lo_file = t->placements[1],
			      .hi_file = t->placements[2],
			      .tmp_dir = tmp_dir,
			      .table = t->scan_table,
			      .col = t->scan_column,
			      .at = t->params[0],
			      .by_hash = split_hash_kind(t->sql)};
	if (t->lsn == EXEC_SPLIT_DISCARD) {
		stor_split_discard(&rq);
		return MUR_OK;
	}
	if (t->lsn && t->target_id == EXEC_SPLIT_ROUND)
		rc = stor_split_catch_up(c->dir, &rq, t->lsn, &c->res->lsn, &c->res->changes,
					 &c->res->err);
	else if (t->lsn)
		rc = stor_split_finish(c->dir, &rq, t->lsn, &c->res->changes, &c->res->err);
	else
		rc = stor_split_prepare(c->dir, &rq, &c->res->lsn, &c->res->err);
	if (rc != MUR_OK)
		return fail(c, MUR_ERR);
	if (t->lsn && t->target_id != EXEC_SPLIT_ROUND)
		c->res->lsn = t->lsn;
	return MUR_OK;
}

#define CPU_UNMEASURED UINT64_MAX /* finish's cpu_start: the caller measures */

/* A failed task's result: no rows, no changes, no position. */
static void result_failed(exec_result *res)
{
	res->failed = 1;
	mur_buf_reset(&res->rows);
	res->nrows = res->ncols = 0;
	/* a refused pipelined write says where the placement is */
	if (strcmp(res->err.sqlstate, SQLSTATE_OBJECT_NOT_IN_PREREQUISITE_STATE) != 0)
		res->lsn = 0;
	res->changes = res->entry_id = 0;
	mur_buf_reset(&res->blob);
	if (!mur_error_is_set(&res->err))
		mur_error_set(&res->err, SQLSTATE_INTERNAL_ERROR, "shard task failed");
}

/* A failed task leaves nothing partial: no rows, no changes.  start: when
 * it began (mur_now_us); its CPU time is the thread's since cpu_start
 * (mur_thread_cpu_us), or left 0 when cpu_start is CPU_UNMEASURED. */
static int finish(exec_result *res, int rc, uint64_t start, uint64_t cpu_start)
{
	if (rc != MUR_OK)
		result_failed(res);
	res->elapsed_us = mur_now_us() - start;
	if (cpu_start != CPU_UNMEASURED)
		res->cpu_us = mur_thread_cpu_us() - cpu_start;
	return rc == MUR_OK ? MUR_OK : MUR_ERR;
}

/* Run c->t by kind; MUR_EAGAIN only in try mode (placement busy). */
static int run_kind(run_ctx *c)
{
	const exec_task *t = c->t;
	if ((t->nplacements < 1 && t->kind != EXEC_TASK_STATUS) ||
	    t->nplacements > EXEC_TASK_PLACEMENTS_MAX) {
		mur_error_set(&c->res->err, SQLSTATE_PROTOCOL_VIOLATION, "task names %u placements",
			      t->nplacements);
		return fail(c, MUR_EPROTO);
	}
	switch (t->kind) {
	case EXEC_TASK_QUERY:
	case EXEC_TASK_SHUFFLE_SEND: /* the follower splits the rows afterwards */
		return run_query(c);
	case EXEC_TASK_WRITE:
		return run_write(c);
	case EXEC_TASK_DDL:
		return run_ddl(c);
	case EXEC_TASK_DROP:
		return run_drop(c);
	case EXEC_TASK_APPLY:
		return run_apply(c);
	case EXEC_TASK_UNDO:
		return run_undo(c);
	case EXEC_TASK_STATUS:
		return run_status(c);
	case EXEC_TASK_TXN_STATE:
		return run_txn_state(c);
	case EXEC_TASK_SPLIT:
		return run_split(c);
	default:
		mur_error_set(&c->res->err, SQLSTATE_PROTOCOL_VIOLATION, "unknown task kind %u",
			      t->kind);
		return fail(c, MUR_EPROTO);
	}
}

int exec_task_run_bounded(stor_dir *dir, const exec_task *t, exec_result *res,
			  size_t rows_bytes_max)
{
	run_ctx c = {.dir = dir, .t = t, .res = res, .rows_max = rows_bytes_max};
	uint64_t start = mur_now_us(), cpu = mur_thread_cpu_us();
	res->task_id = t->id;
	return finish(res, run_kind(&c), start, cpu);
}

int exec_task_run(stor_dir *dir, const exec_task *t, exec_result *res)
{
	return exec_task_run_bounded(dir, t, res, EXEC_RESULT_ROWS_BYTES_MAX);
}

int exec_task_run_ordered(stor_dir *dir, const exec_task *t, exec_result *res, atomic_int *locked,
			  const atomic_int *cancel)
{
	run_ctx c = {.dir = dir,
		     .t = t,
		     .res = res,
		     .rows_max = EXEC_RESULT_ROWS_BYTES_MAX,
		     .locked = locked,
		     .cancel = cancel};
	uint64_t start = mur_now_us(), cpu = mur_thread_cpu_us();
	res->task_id = t->id;
	return finish(res, run_kind(&c), start, cpu);
}

static int run_try(stor_dir *dir, exec_wtxns *x, const exec_task *t, exec_result *res,
		   int measure_cpu)
{
	int write = t->kind == EXEC_TASK_WRITE || t->kind == EXEC_TASK_APPLY;
	run_ctx c = {.dir = dir,
		     .t = t,
		     .res = res,
		     .rows_max = EXEC_RESULT_ROWS_BYTES_MAX,
		     .wtxns = write ? x : NULL,
		     .try_lock = 1};
	int quick_query = t->kind == EXEC_TASK_QUERY && t->quick && t->nplacements == 1;
	if (!quick_query && !write)
		return MUR_EAGAIN;
	uint64_t start = mur_now_us(), cpu = measure_cpu ? mur_thread_cpu_us() : CPU_UNMEASURED;
	res->task_id = t->id;
	int rc = run_kind(&c);
	return rc == MUR_EAGAIN ? MUR_EAGAIN : finish(res, rc, start, cpu);
}

int exec_task_run_try(stor_dir *dir, const exec_task *t, exec_result *res)
{
	return run_try(dir, NULL, t, res, 1);
}

int exec_task_run_in(stor_dir *dir, exec_wtxns *x, const exec_task *t, exec_result *res)
{
	return run_try(dir, x, t, res, 0);
}

void exec_wtxns_end(stor_dir *dir, exec_wtxns *x,
		    void (*failed)(void *arg, const char *file, const mur_error *err), void *arg)
{
	for (int i = 0; i < x->n; i++) {
		mur_error err;
		if (stor_batch_end(x->db[i], &err) != MUR_OK)
			failed(arg, stor_file(x->db[i]), &err);
		stor_unlock(x->db[i]);
		stor_dir_put(dir, x->db[i]);
	}
	x->n = 0;
}

void exec_result_undone(exec_result *res, const mur_error *err)
{
	res->err = *err;
	result_failed(res);
}

int exec_task_run_on(sqlite3 *db, const exec_task *t, exec_result *res)
{
	run_ctx c = {.t = t, .res = res, .rows_max = EXEC_RESULT_ROWS_BYTES_MAX, .mem = db};
	sqlite3_stmt *st = NULL;
	uint64_t start = mur_now_us(), cpu = mur_thread_cpu_us();
	int rc;

	res->task_id = t->id;
	rc = sqlite3_prepare_v2(db, t->sql, -1, &st, NULL);
	if (rc != SQLITE_OK) {
		rc = sqlite_fail(&c, rc);
	} else {
		rc = bind_all(&c, st, t->params, t->nparams);
		if (rc == MUR_OK)
			rc = t->has_agg ? query_agg(&c, st) : query_plain(&c, st);
	}
	sqlite3_finalize(st);
	return finish(res, rc, start, cpu);
}
