/*
 * shuffle_join.c — what the owner of a repartitioned (or broadcast) join
 * does once every part has arrived (follower/shuffle.h, docs/shuffle.md).
 *
 * The leader describes the owner's tables in the RECV task: shuffle_ddl
 * makes them (an ATTACHed in-memory schema per joined table after the
 * first, named as the shards name them: main."a", m1."b" ...), line s of
 * shuffle_load inserts a row of stream s, shuffle_post indexes the join
 * keys.  Then the owner runs the very SQL a shard of a co-located join
 * would run (recv->sql, with recv->agg as its partial aggregate), so the
 * leader merges owners' answers exactly as it merges shards'.
 *
 * Runs on the thread pool; the database lives only for the call, unless
 * a cursor reads the join (recv->shuffle_batch: shuffle_keep.c keeps it).  A
 * shuffle that fails or is cancelled meanwhile (SHUFFLE_CANCEL) sets the
 * entry's stop flag, which a progress handler on the database checks.
 */
#include "follower/shuffle_int.h"

#include "ops/hashagg.h"
#include "storage/sqlrow.h"
#include "follower/task_run.h"
#include "storage/storage.h"

#include <stdlib.h>
#include <string.h>

/* SQLite steps between two looks at the stop flag: microseconds of work,
 * so a cancelled join stops within a millisecond, at no measurable cost. */
#define SHUFFLE_JOIN_CHECK_OPS 10000

/* sqlite3_progress_handler: nonzero interrupts the statement. */
static int join_stopped(void *arg)
{
	return atomic_load_explicit((atomic_int *)arg, memory_order_relaxed) != 0;
}

static int fail_db(sqlite3 *db, int rc, mur_error *err)
{
	stor_map_sqlite_error(db, rc, err);
	return MUR_ERR;
}

/* Prepare line s of the '\n'-separated INSERT statements. */
static int prepare_loads(sqlite3 *db, const char *load, uint32_t nstreams, sqlite3_stmt **stmts,
			 mur_error *err)
{
	const char *p = load;
	for (uint32_t s = 0; s < nstreams; s++) {
		const char *nl = strchr(p, '\n');
		int len = nl ? (int)(nl - p) : (int)strlen(p);
		int rc = sqlite3_prepare_v2(db, p, len, &stmts[s], NULL);
		if (rc != SQLITE_OK)
			return fail_db(db, rc, err);
		if (!nl && s + 1 < nstreams)
			return mur_error_set(err, SQLSTATE_PROTOCOL_VIOLATION,
					     "join owner: %u streams, fewer INSERT statements",
					     nstreams);
		p = nl ? nl + 1 : p + len;
	}
	return MUR_OK;
}

/* Stream s of a join whose senders counted its rows by the key (the RECV's
 * shuffle_merge, sql/plan_join_preagg.c) holds (key, count...) once per
 * key and sender: added up by key here (murphy's hash aggregate, the
 * key compared as the senders grouped it: recv->shuffle_keys), the
 * owner's table gets one row per key, so loading it, indexing it and
 * joining it cost a row per key instead of one per key and sender (TPC-H
 * Q13 at sf 0.1: ~22,000 rows an owner → ~3,300).  Exact: every row of
 * the other side that meets one of a key's rows meets them all, and the
 * owner's aggregate adds the counts it meets (NULL keys, which meet
 * nothing, merge into one row that keeps their total). */
static int load_merged(sqlite3 *db, sqlite3_stmt *insert, const exec_task *recv, uint32_t s,
		       uint32_t ncols, const shuffle_part *parts, mur_error *err)
{
	exec_agg_spec spec;
	exec_hashagg *h = NULL;
	mur_buf out;
	uint64_t nrows = 0;
	int rc = MUR_ERR;

	memset(&spec, 0, sizeof spec);
	spec.ngroup = 1;
	spec.keys = recv->shuffle_keys;
	spec.naggs = ncols - 1;
	for (uint32_t i = 1; i < ncols && i <= EXEC_AGGS_MAX; i++)
		spec.aggs[i - 1] = (exec_agg){.fn = EXEC_AGG_SUM_COUNT, .col = i};
	if (ncols < 2 || ncols - 1 > EXEC_AGGS_MAX || !(h = exec_hashagg_create(&spec, ncols)))
		return mur_error_set(err, SQLSTATE_PROTOCOL_VIOLATION,
				     "join owner: stream %u of %u columns cannot be added up by "
				     "key",
				     s, ncols);
	mur_buf_init(&out);
	for (const shuffle_part *p = parts; p; p = p->next)
		if (p->stream == s &&
		    exec_hashagg_add_rows(h, p->rows, p->rows_len, p->nrows) != MUR_OK) {
			*err = *exec_hashagg_error(h);
			goto done;
		}
	if (exec_hashagg_finish(h, &out, &nrows) != MUR_OK) {
		*err = *exec_hashagg_error(h);
		goto done;
	}
	rc = exec_sql_load_rows(db, insert, out.data, out.len, nrows, ncols, err);
done:
	mur_buf_free(&out);
	exec_hashagg_destroy(h);
	return rc;
}

int node_shuffle_join(const exec_task *recv, uint32_t nstreams, const uint32_t *ncols_of,
		      const shuffle_part *parts, atomic_int *stop, exec_result *res,
		      shuffle_kept **kept, mur_error *err)
{
	sqlite3 *db = NULL;
	sqlite3_stmt *loads[EXEC_JOIN_STREAMS_MAX] = {0};
	int rc, out = MUR_ERR;

	rc = sqlite3_open_v2(":memory:", &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_MEMORY, NULL);
	if (rc != SQLITE_OK) {
		mur_error_set(err, SQLSTATE_OUT_OF_MEMORY, "join owner cannot open a database");
		goto done;
	}
	stor_register_functions(db);
	if (stop) /* the database is ours alone: no other thread uses it */
		sqlite3_progress_handler(db, SHUFFLE_JOIN_CHECK_OPS, join_stopped, stop);
	if ((rc = sqlite3_exec(db, recv->shuffle_ddl, NULL, NULL, NULL)) != SQLITE_OK) {
		fail_db(db, rc, err);
		goto done;
	}
	if (prepare_loads(db, recv->shuffle_load, nstreams, loads, err) != MUR_OK)
		goto done;
	sqlite3_exec(db, "BEGIN", NULL, NULL, NULL);
	for (const shuffle_part *p = parts; p; p = p->next) {
		if (p->stream >= nstreams) {
			mur_error_set(err, SQLSTATE_PROTOCOL_VIOLATION,
				      "join owner: part of stream %u", p->stream);
			goto done;
		}
		if (p->stream + 1 == recv->shuffle_merge)
			continue; /* load_merged below */
		if (exec_sql_load_rows(db, loads[p->stream], p->rows, p->rows_len, p->nrows,
				       ncols_of[p->stream], err) != MUR_OK)
			goto done;
	}
	if (recv->shuffle_merge &&
	    load_merged(db, loads[recv->shuffle_merge - 1], recv, recv->shuffle_merge - 1,
			ncols_of[recv->shuffle_merge - 1], parts, err) != MUR_OK)
		goto done;
	sqlite3_exec(db, "COMMIT", NULL, NULL, NULL);
	if ((rc = sqlite3_exec(db, recv->shuffle_post, NULL, NULL, NULL)) != SQLITE_OK) {
		fail_db(db, rc, err);
		goto done;
	}
	if (recv->shuffle_batch) { /* a cursor's: kept open (shuffle_keep.c) */
		if (node_shuffle_kept_start(db, recv, kept, res, err) != MUR_OK)
			goto done;
		if (*kept)
			db = NULL; /* the kept statement owns it */
		out = MUR_OK;
		goto done;
	}
	if (exec_task_run_on(db, recv, res) != MUR_OK) {
		*err = res->err;
		goto done;
	}
	out = MUR_OK;
done:
	for (uint32_t s = 0; s < nstreams && s < EXEC_JOIN_STREAMS_MAX; s++)
		sqlite3_finalize(loads[s]);
	sqlite3_close(db);
	return out;
}
