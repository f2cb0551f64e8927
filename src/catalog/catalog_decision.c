/*
 * catalog_decision.c — a second connection to the catalog file that only
 * records decisions (txn_outcomes rows), for a thread other than the one
 * that owns the catalog.
 *
 * Why: a multi-shard COMMIT's decision must be durable before its first
 * marker (docs/transactions.md, "Recorded decisions").  Written on the
 * leader's event loop (cat_txn_outcome_put) the synchronous=FULL commit
 * stopped every session for its fsync; the leader's decision writer
 * (leader/lead_decide.c) runs cat_decisions_put on a pool thread instead,
 * with every decision that queued meanwhile in one SQLite transaction (one
 * fsync for the group).
 *
 * The connection is the writer's own (SQLITE_OPEN_NOMUTEX: one thread at a
 * time uses it, the caller's job).  The catalog file is in WAL mode, so the
 * loop's connection keeps reading while a group commits and sees the rows
 * once COMMIT returned; the two connections' writes serialize on SQLite's
 * write lock (busy_timeout both sides: the loop's writes are the 1 s LSN
 * flush, DDL and the trim).
 *
 * Memory: cat_decision_writer_open allocates, cat_decision_writer_close
 * frees (the prepared statement and the connection too).
 */
#include "catalog/catalog_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* How long a group waits for the loop's connection to finish a write of
 * its own (an LSN flush, a DDL commit) before it fails. */
#define CAT_DECISION_BUSY_MS 5000

struct cat_decision_writer {
	sqlite3 *db; /* NULL: a memory-only catalog, nothing is kept */
	sqlite3_stmt *put;
};

static int writer_error(cat_decision_writer *w, mur_error *err, const char *what)
{
	mur_error_set(err, SQLSTATE_IO_ERROR, "catalog decision %s: %s", what,
		      w->db ? sqlite3_errmsg(w->db) : "no connection");
	return MUR_ERR;
}

cat_decision_writer *cat_decision_writer_open(catalog *c, mur_error *err)
{
	cat_decision_writer *w = calloc(1, sizeof *w);
	const char *path = c->store ? sqlite3_db_filename(c->store, "main") : NULL;
	if (!w) {
		mur_error_set(err, SQLSTATE_OUT_OF_MEMORY, "out of memory");
		return NULL;
	}
	if (!path || !*path)
		return w; /* memory-only catalog: decisions are not kept */
	if (sqlite3_open_v2(path, &w->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX, NULL) !=
	    SQLITE_OK)
		goto err_after_open;
	sqlite3_busy_timeout(w->db, CAT_DECISION_BUSY_MS);
	if (sqlite3_exec(w->db, "PRAGMA synchronous=FULL", NULL, NULL, NULL) != SQLITE_OK ||
	    sqlite3_prepare_v2(w->db, "INSERT OR REPLACE INTO txn_outcomes VALUES (?,?,?,?)", -1,
			       &w->put, NULL) != SQLITE_OK)
		goto err_after_open;
	return w;
err_after_open:
	writer_error(w, err, "open");
	cat_decision_writer_close(w);
	return NULL;
}

void cat_decision_writer_close(cat_decision_writer *w)
{
	if (!w)
		return;
	sqlite3_finalize(w->put);
	sqlite3_close(w->db);
	free(w);
}

static int put_one(cat_decision_writer *w, const cat_decision *d, mur_error *err)
{
	int rc;
	sqlite3_bind_int64(w->put, 1, (int64_t)d->txid);
	sqlite3_bind_text(w->put, 2, "committed", -1, SQLITE_STATIC);
	sqlite3_bind_text(w->put, 3, d->participants, -1, SQLITE_STATIC);
	sqlite3_bind_int64(w->put, 4, d->decided_ms);
	rc = sqlite3_step(w->put);
	sqlite3_reset(w->put);
	sqlite3_clear_bindings(w->put);
	return rc == SQLITE_DONE ? MUR_OK : writer_error(w, err, "write");
}

int cat_decisions_put(cat_decision_writer *w, const cat_decision *d, int n, mur_error *err)
{
	if (!w->db)
		return MUR_OK;
	if (sqlite3_exec(w->db, "BEGIN IMMEDIATE", NULL, NULL, NULL) != SQLITE_OK)
		return writer_error(w, err, "begin");
	for (int i = 0; i < n; i++)
		if (put_one(w, &d[i], err) != MUR_OK)
			goto err_after_begin;
	if (sqlite3_exec(w->db, "COMMIT", NULL, NULL, NULL) != SQLITE_OK) {
		writer_error(w, err, "commit");
		goto err_after_begin;
	}
	return MUR_OK;
err_after_begin:
	sqlite3_exec(w->db, "ROLLBACK", NULL, NULL, NULL);
	return MUR_ERR;
}
