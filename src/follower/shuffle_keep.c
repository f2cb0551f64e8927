/*
 * shuffle_keep.c — a join owner's database kept open for a cursor
 * (sql/plan_batch_owner.c, docs/shuffle.md "Cursors").
 *
 * A RECV with shuffle_batch > 0 loads its parts as any join owner does
 * (shuffle_join.c), then, instead of running `sql` to its end, prepares it,
 * steps its first shuffle_batch rows into the answer and keeps the
 * database and the statement (a shuffle_kept) under the shuffle's entry;
 * each SHUFFLE_FETCH steps the next rows (thread pool, one work item of
 * the entry at a time, so the statement is never stepped by two threads).
 * The statement reaching its end frees them at once.  Once a batch is
 * answered the owner steps the next one ahead (shuffle.c's EW_AHEAD) so
 * that every owner works while the client reads; a FETCH takes those rows
 * and steps only what it wants beyond them (a shuffled join read to its
 * end: 2.9-4.0 s against 4.3-4.9 s without, interleaved).
 *
 * Lifetime: the entry (shuffle.c) owns its kept statement; it is freed by
 * the statement's end, a SHUFFLE_CANCEL (the cursor ended: CLOSE, end of
 * transaction, session end), NODE_SHUFFLE_KEPT_IDLE_MS without a fetch,
 * a new leader connection (node_shuffle_hub_drop_kept) or the hub's stop.
 * A repartitioned GROUP BY or DISTINCT (no join) keeps its owner's final
 * groups the same way: they become table r of a fresh in-memory database
 * (storage's rowtab, reading the groups where they are) and `sql` is the
 * leader's final SQL over them (node_shuffle_kept_groups).
 * The parameters are bound as copies (SQLITE_TRANSIENT): the RECV task's
 * bytes are gone once it is answered.
 */
#include "follower/shuffle_int.h"

#include "common/clock.h"
#include "storage/sqlrow.h"
#include "storage/storage.h"

#include <stdlib.h>

/* SQLite steps between two looks at a groups owner's stop flag (as
 * shuffle_join.c's SHUFFLE_JOIN_CHECK_OPS). */
#define SHUFFLE_KEEP_CHECK_OPS 10000

struct shuffle_kept {
	sqlite3 *db; /* owns: the owner's in-memory database */
	sqlite3_stmt *st;
	int ncols;
	mur_buf rows; /* owns: a groups owner's groups, table r of db (borrowed there) */
};

static int bind_copy(sqlite3_stmt *st, int i, const mur_value *v)
{
	if (v->kind == MV_TEXT)
		return sqlite3_bind_text64(st, i, v->s ? v->s : "", v->len, SQLITE_TRANSIENT,
					   SQLITE_UTF8);
	if (v->kind == MV_BLOB)
		return sqlite3_bind_blob64(st, i, v->s ? v->s : "", v->len, SQLITE_TRANSIENT);
	return exec_sql_bind_value(st, i, v);
}

void node_shuffle_kept_free(shuffle_kept *k)
{
	if (!k)
		return;
	sqlite3_finalize(k->st);
	sqlite3_close(k->db);
	mur_buf_free(&k->rows);
	free(k);
}

int node_shuffle_kept_fetch(shuffle_kept *k, uint32_t n, exec_result *res, int *done)
{
	int rc = SQLITE_ROW;
	uint64_t start = mur_now_us();
	*done = 0;
	res->ncols = (uint32_t)k->ncols;
	while (res->nrows < n && (rc = sqlite3_step(k->st)) == SQLITE_ROW) {
		exec_sql_put_row(k->st, k->ncols, &res->rows);
		res->nrows++;
		if (res->rows.len > EXEC_RESULT_ROWS_BYTES_MAX) {
			mur_error_set(&res->err, SQLSTATE_PROGRAM_LIMIT_EXCEEDED,
				      "a cursor batch of the join's rows exceeds %zu bytes",
				      (size_t)EXEC_RESULT_ROWS_BYTES_MAX);
			res->failed = 1;
			return MUR_ERR;
		}
	}
	res->elapsed_us = mur_now_us() - start;
	if (rc == SQLITE_ROW)
		return MUR_OK;
	*done = 1;
	if (rc == SQLITE_DONE)
		return MUR_OK;
	stor_map_sqlite_error(k->db, rc, &res->err);
	res->failed = 1;
	return MUR_ERR;
}

int node_shuffle_kept_start(sqlite3 *db, const exec_task *recv, shuffle_kept **out,
			    exec_result *res, mur_error *err)
{
	shuffle_kept *k = calloc(1, sizeof *k);
	int rc, have, done;
	*out = NULL;
	if (!k)
		return mur_error_set(err, SQLSTATE_OUT_OF_MEMORY, "out of memory");
	k->db = db;
	mur_buf_init(&k->rows);
	rc = sqlite3_prepare_v2(db, recv->sql, -1, &k->st, NULL);
	have = rc == SQLITE_OK ? sqlite3_bind_parameter_count(k->st) : 0;
	for (uint32_t i = 0; rc == SQLITE_OK && i < recv->nparams && (int)i < have; i++)
		rc = bind_copy(k->st, (int)i + 1, &recv->params[i]);
	if (rc != SQLITE_OK) {
		stor_map_sqlite_error(db, rc, err);
		goto err_after_alloc;
	}
	k->ncols = sqlite3_column_count(k->st);
	res->task_id = recv->id;
	if (node_shuffle_kept_fetch(k, recv->shuffle_batch, res, &done) != MUR_OK) {
		*err = res->err;
		goto err_after_alloc;
	}
	if (done) {
		sqlite3_finalize(k->st);
		free(k);
		return MUR_OK; /* the caller closes db */
	}
	*out = k;
	return MUR_OK;
err_after_alloc:
	sqlite3_finalize(k->st);
	free(k);
	return MUR_ERR; /* the caller closes db */
}

/* sqlite3_progress_handler: nonzero interrupts the statement. */
static int groups_stopped(void *arg)
{
	return atomic_load_explicit((atomic_int *)arg, memory_order_relaxed) != 0;
}

int node_shuffle_kept_groups(const exec_task *recv, mur_buf *rows, uint64_t nrows, uint32_t ncols,
			     atomic_int *stop, exec_result *res, shuffle_kept **out, mur_error *err)
{
	sqlite3 *db = NULL;
	int rc = sqlite3_open_v2(":memory:", &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_MEMORY, NULL);
	*out = NULL;
	if (rc != SQLITE_OK) {
		sqlite3_close(db);
		return mur_error_set(err, SQLSTATE_OUT_OF_MEMORY,
				     "a groups owner cannot open a database");
	}
	stor_register_functions(db);
	sqlite3_progress_handler(db, SHUFFLE_KEEP_CHECK_OPS, groups_stopped, stop);
	if (stor_rowtab_create(db, "r", rows->data, rows->len, nrows, ncols, err) != MUR_OK ||
	    node_shuffle_kept_start(db, recv, out, res, err) != MUR_OK) {
		sqlite3_close(db);
		return MUR_ERR;
	}
	if (!*out) {
		sqlite3_close(db); /* every group answered at once */
		return MUR_OK;
	}
	(*out)->rows = *rows; /* table r reads them until the statement is freed */
	mur_buf_init(rows);
	return MUR_OK;
}
