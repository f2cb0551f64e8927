/*
 * lead_write.c — INSERT, UPDATE and DELETE on the leader.
 *
 * INSERT: source rows come from values_sql (evaluated in the leader's
 * SQLite: literals, parameters, defaults) or from a child SELECT run.  Each
 * row is coerced to the table's column types, checked (NOT NULL,
 * varchar(n)), given a hidden row id when the table has no key, hashed on
 * its distribution column and appended to its shard's batch.  Each batch
 * goes to every placement of its shard as one WRITE task (one SQLite
 * transaction there).
 *
 * UPDATE/DELETE: the shard SQL runs on every placement of every shard the
 * WHERE clause does not prune away.
 *
 * Until the replication issue lands (changesets, quorum), a write needs
 * every placement of the shards it touches to be connected; it is refused
 * up front otherwise, so no placement silently misses a write.  Writes
 * spanning several shards are not atomic across shards yet.
 */
#include "exec/lead_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>

static uint64_t next_rowid(lead_engine *e)
{
	struct timeval tv;
	uint64_t floor_id;
	gettimeofday(&tv, NULL);
	/* ms since epoch << 20: unique across restarts unless a leader
	 * generates more than 2^20 ids per ms */
	floor_id = ((uint64_t)tv.tv_sec * 1000u + (uint64_t)tv.tv_usec / 1000u) << 20;
	if (e->rowid_next < floor_id)
		e->rowid_next = floor_id;
	return (e->rowid_next++) & INT64_MAX;
}

static size_t utf8_chars(const char *s, size_t n)
{
	size_t c = 0;
	for (size_t i = 0; i < n; i++)
		if (((unsigned char)s[i] & 0xC0) != 0x80)
			c++;
	return c;
}

int lead_encode_row(lead_engine *e, const cat_table *t, const mur_value *vals, mur_buf *scratch,
		      mur_buf *out, uint32_t *shard, mur_error *err)
{
	for (int i = 0; i < t->ncols; i++) {
		const cat_column *col = &t->cols[i];
		mur_value v = vals[i], cv;
		if (col->hidden && v.kind == MV_NULL)
			v = mur_v_int((int64_t)next_rowid(e));
		if (v.kind == MV_NULL) {
			if (col->not_null)
				return mur_error_set(err, SQLSTATE_NOT_NULL_VIOLATION,
						     "null value in column \"%s\" of relation \"%s\" "
						     "violates not-null constraint",
						     col->name, t->name);
			cv = v;
		} else {
			mur_buf_reset(scratch);
			if (mur_value_coerce(col->type, &v, scratch, &cv, err) != MUR_OK)
				return MUR_ERR;
			if ((col->type == MT_VARCHAR || col->type == MT_BPCHAR) && col->typmod > 0 &&
			    cv.kind == MV_TEXT && utf8_chars(cv.s, cv.len) > (size_t)col->typmod)
				return mur_error_set(err, SQLSTATE_STRING_DATA_RIGHT_TRUNCATION,
						     "value too long for type character varying(%d)",
						     col->typmod);
		}
		if (i == t->dist_col)
			*shard = cv.kind == MV_NULL ? 0 : cat_shard_for_value(t, &cv);
		mur_row_put_value(out, &cv);
	}
	return MUR_OK;
}

int lead_send_shard_rows(lead_run *r, const cat_table *t, uint32_t shard, const char *sql,
			 const mur_buf *rows, uint64_t nrows, uint32_t ncols)
{
	const cat_shard *s = &t->shards[shard];
	for (int k = 0; k < s->nplacements; k++) {
		exec_task task;
		memset(&task, 0, sizeof task);
		task.kind = EXEC_TASK_WRITE;
		task.nplacements = 1;
		cat_placement_file(t, shard, task.placements[0], sizeof task.placements[0]);
		task.sql = sql;
		task.ncols = ncols;
		task.nrows = nrows;
		task.rows = rows->data;
		task.rows_len = rows->len;
		if (lead_run_send(r, s->placements[k].node_id, shard,
				  s->placements[k].role == CAT_PRIMARY, &task) != MUR_OK)
			return MUR_ERR;
	}
	return MUR_OK;
}

int lead_check_writable(lead_run *r, const cat_table *t, const uint32_t *shards, int n)
{
	mur_error err;
	for (int i = 0; i < n; i++) {
		const cat_shard *s = &t->shards[shards[i]];
		if (s->nplacements == 0) {
			mur_error_set(&err, SQLSTATE_CONNECTION_FAILURE,
				      "shard %u of table \"%s\" has no placements", s->index, t->name);
			lead_run_fail(r, &err);
			return MUR_ERR;
		}
		for (int k = 0; k < s->nplacements; k++) {
			uint32_t node = s->placements[k].node_id;
			if (!r->e->tr.connected(r->e->tr.ctx, node)) {
				const cat_node *nd = cat_node_by_id(r->e->cat, node);
				mur_error_set(&err, SQLSTATE_CONNECTION_FAILURE,
					      "cannot write shard %u of table \"%s\": follower \"%s\" "
					      "holding a copy is not connected",
					      s->index, t->name, nd ? nd->name : "?");
				mur_error_hint(&err, "nothing was written; retry when murphy.nodes "
						     "shows the follower alive");
				lead_run_fail(r, &err);
				return MUR_ERR;
			}
		}
	}
	return MUR_OK;
}

/* After the write tasks: count changes and gather RETURNING rows from the
 * primaries, then answer. */
static void write_done(lead_run *r)
{
	mur_error err;
	const char *verb = r->p->kind == PLAN_INSERT ? "INSERT 0"
			   : r->p->u.modify.is_delete ? "DELETE"
						      : "UPDATE";
	int nret = r->p->kind == PLAN_INSERT ? r->p->u.insert.nreturning
					     : r->p->u.modify.nreturning;
	uint64_t changes = 0;

	mur_buf_reset(&r->rows);
	r->nrows = 0;
	for (int i = 0; i < r->ntasks; i++) {
		lead_task_slot *sl = &r->tasks[i];
		if (!sl->primary)
			continue;
		changes += sl->res.changes;
		if (nret) {
			mur_buf_put(&r->rows, sl->res.rows.data, sl->res.rows.len);
			r->nrows += sl->res.nrows;
			r->ncols = sl->res.ncols;
		}
	}
	if (!r->failed && nret) {
		if (lead_result_columns(r->res, r->p) != MUR_OK ||
		    lead_format_rows(r->res, r->p, &r->rows, r->nrows, r->ncols ? r->ncols : (uint32_t)nret,
				     &err) != MUR_OK)
			lead_run_fail(r, &err);
	}
	snprintf(r->res->tag, sizeof r->res->tag, "%s %llu", verb, (unsigned long long)changes);
	if (r->s->txn == 'T')
		r->s->txn_writes++;
	lead_run_finish(r);
}

/* Record applied LSNs reported by followers. */
static void record_lsns(lead_run *r, const cat_table *t)
{
	for (int i = 0; i < r->ntasks; i++)
		if (!r->tasks[i].res.failed && r->tasks[i].res.lsn)
			cat_placement_set_lsn(r->e->cat, t->id, r->tasks[i].shard, r->tasks[i].node_id,
					      r->tasks[i].res.lsn);
}

static void insert_done(lead_run *r)
{
	record_lsns(r, r->p->u.insert.table);
	write_done(r);
}

/* Route source rows (r->rows, table column order) into shard batches and
 * send them. */
static void insert_route(lead_run *r)
{
	const plan_insert *pi = &r->p->u.insert;
	const cat_table *t = pi->table;
	mur_buf *batches = NULL;
	uint64_t *counts = NULL;
	uint32_t shards[CAT_SHARDS_MAX] = {0};
	int nshards = 0;
	mur_value vals[CAT_COLUMNS_MAX];
	mur_buf scratch;
	mur_error err;
	mur_rd rd;

	mur_buf_init(&scratch);
	if (r->failed)
		goto out;
	if (r->ncols != (uint32_t)t->ncols && r->nrows > 0) {
		mur_error_set(&err, SQLSTATE_INTERNAL_ERROR,
			      "internal error: INSERT source has %u columns, table \"%s\" has %d",
			      r->ncols, t->name, t->ncols);
		lead_run_fail(r, &err);
		goto out;
	}
	batches = calloc(t->nshards, sizeof *batches);
	counts = calloc(t->nshards, sizeof *counts);
	if (!batches || !counts) {
		mur_error_set(&err, SQLSTATE_OUT_OF_MEMORY, "out of memory");
		lead_run_fail(r, &err);
		goto out;
	}
	mur_rd_init(&rd, r->rows.data, r->rows.len);
	for (uint64_t row = 0; row < r->nrows; row++) {
		uint32_t shard = 0;
		for (int c = 0; c < t->ncols; c++)
			if (mur_row_get_value(&rd, &vals[c]) != MUR_OK) {
				mur_error_set(&err, SQLSTATE_INTERNAL_ERROR, "malformed INSERT rows");
				lead_run_fail(r, &err);
				goto out;
			}
		{
			mur_buf one;
			mur_buf_init(&one);
			if (lead_encode_row(r->e, t, vals, &scratch, &one, &shard, &err) != MUR_OK) {
				mur_buf_free(&one);
				lead_run_fail(r, &err);
				goto out;
			}
			if (counts[shard] == 0)
				shards[nshards++] = shard;
			mur_buf_put(&batches[shard], one.data, one.len);
			counts[shard]++;
			mur_buf_free(&one);
		}
	}
	if (lead_check_writable(r, t, shards, nshards) != MUR_OK)
		goto out;
	for (int i = 0; i < nshards && !r->failed; i++)
		lead_send_shard_rows(r, t, shards[i], pi->shard_sql, &batches[shards[i]],
				     counts[shards[i]], (uint32_t)t->ncols);
out:
	if (batches)
		for (uint32_t i = 0; i < t->nshards; i++)
			mur_buf_free(&batches[i]);
	free(batches);
	free(counts);
	mur_buf_free(&scratch);
	lead_run_wait(r, insert_done);
}

static void insert_source_done(lead_run *parent, lead_run *child)
{
	if (child->failed) {
		lead_run_fail(parent, &child->err);
	} else {
		mur_buf tmp = parent->rows;
		parent->rows = child->rows;
		child->rows = tmp;
		parent->nrows = child->nrows;
		parent->ncols = child->ncols;
	}
	insert_route(parent);
}

void lead_insert_start(lead_run *r)
{
	const plan_insert *pi = &r->p->u.insert;
	mur_error err;

	if (pi->source) {
		lead_run *child = lead_run_child(r, pi->source, insert_source_done);
		if (!child) {
			mur_error_set(&err, SQLSTATE_OUT_OF_MEMORY, "out of memory");
			lead_run_fail(r, &err);
			insert_route(r);
			return;
		}
		lead_run_start(child);
		return;
	}
	if (pi->values_sql &&
	    lead_local_query(r->e, pi->values_sql, r->params, r->nparams, NULL, 0, 0, &r->rows,
			     &r->nrows, &r->ncols, &err) != MUR_OK)
		lead_run_fail(r, &err);
	insert_route(r);
}

static void modify_done(lead_run *r)
{
	record_lsns(r, r->p->u.modify.table);
	write_done(r);
}

void lead_modify_start(lead_run *r)
{
	const plan_modify *pm = &r->p->u.modify;
	const cat_table *t = pm->table;
	uint32_t shards[CAT_SHARDS_MAX];
	int n = lead_prune(r, t, &pm->prune, shards);

	if (n < 0 || lead_check_writable(r, t, shards, n) != MUR_OK) {
		lead_run_wait(r, modify_done);
		return;
	}
	for (int i = 0; i < n && !r->failed; i++) {
		const cat_shard *s = &t->shards[shards[i]];
		for (int k = 0; k < s->nplacements; k++) {
			exec_task task;
			memset(&task, 0, sizeof task);
			task.kind = EXEC_TASK_WRITE;
			task.nplacements = 1;
			cat_placement_file(t, s->index, task.placements[0], sizeof task.placements[0]);
			task.sql = pm->shard_sql;
			task.nparams = (uint32_t)r->nparams;
			task.params = r->params;
			if (lead_run_send(r, s->placements[k].node_id, s->index,
					  s->placements[k].role == CAT_PRIMARY, &task) != MUR_OK)
				break;
		}
	}
	lead_run_wait(r, modify_done);
}
