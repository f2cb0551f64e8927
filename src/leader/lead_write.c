/*
 * lead_write.c — INSERT, UPDATE and DELETE on the leader.
 *
 * INSERT: source rows come from values_sql (evaluated in the leader's
 * SQLite: literals, parameters, defaults) or from a child SELECT run.  Each
 * row is coerced to the table's column types, checked (NOT NULL,
 * varchar(n)), given a hidden row id when the table has no key, routed by
 * its distribution column (hash, or the range holding it: a NULL there is
 * 23514 as in PostgreSQL without a default partition) and appended to its
 * shard's batch.  Each batch
 * goes to every placement of its shard as one WRITE task (one SQLite
 * transaction there).  A block's INSERT ... VALUES that cannot fail on a
 * copy (sql_insert_blind) is answered at once and reaches the copies with
 * the COMMIT (repl_write_facts.blind; docs/transactions.md, "Blind inserts").
 *
 * UPDATE/DELETE: the shard SQL runs on every placement of every shard the
 * WHERE clause does not prune away.  UPDATE ... FROM / DELETE ... USING:
 * the plan's source SELECT runs first; its rows, one per target key, are
 * routed like INSERT's and the shard SQL runs once per row.
 *
 * INSERT ... ON CONFLICT DO UPDATE: as INSERT, after a check that no two
 * rows of a shard's batch share a conflict key (21000).
 *
 * TRUNCATE: a DELETE of every row on every shard of each table, sent as
 * UPDATE/DELETE are (sql/plan_truncate.c says why).
 *
 * Each shard's part goes through repl_write (replication/repl.h): the
 * primary runs it and logs the changeset, the replicas apply it, and the
 * part counts as done once the session's write quorum holds it.
 *
 * Atomicity (lead_txn.c): inside a block a write belongs to the block's
 * transaction; an autocommit statement that writes several shards runs as
 * an implicit transaction, committed when every part is at its quorum and
 * undone on every shard when a part fails (lead_run_finish), so the
 * client's error means "nothing of it was stored".  An autocommit
 * statement on one shard is today's path: its entry is its own decision.
 */
#include "leader/lead_int.h"

#include "common/array.h"
#include "common/bpchar.h"
#include "common/failing_row.h"
#include "common/fmt.h"
#include "common/utf8.h"
#include "common/zalloc.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>

static uint64_t next_rowid(lead_engine *e) { return lead_time_id(&e->rowid_next) & INT64_MAX; }

int lead_rowid_for_shard(lead_engine *e, const cat_table *t, uint32_t shard, mur_value *v,
			 mur_error *err)
{
	for (int i = 0; i < LEAD_ROWID_TRIES_MAX; i++) {
		*v = mur_v_int((int64_t)next_rowid(e));
		if (cat_shard_for_value(t, v) == shard)
			return MUR_OK;
	}
	return mur_error_set(err, SQLSTATE_INTERNAL_ERROR,
			     "no row id of %d drawn hashes to shard %u of table \"%s\"",
			     LEAD_ROWID_TRIES_MAX, shard, t->name);
}

/* The row just appended to out from offset start: within the row limit,
 * and fully written? */
static int row_fits(const cat_table *t, const mur_buf *out, size_t start, mur_error *err)
{
	if (!mur_buf_ok(out))
		return mur_error_set(err, SQLSTATE_OUT_OF_MEMORY, "out of memory");
	if (out->len - start <= LEAD_ROW_BYTES_MAX)
		return MUR_OK;
	mur_error_set(err, SQLSTATE_PROGRAM_LIMIT_EXCEEDED,
		      "row of %zu bytes for table \"%s\" exceeds the limit of %zu bytes",
		      out->len - start, t->name, LEAD_ROW_BYTES_MAX);
	mur_error_hint(err, "a row travels whole to every copy of its shard; store larger "
			    "values outside the database or split them over rows");
	return MUR_ERR;
}

/* numeric(p,s)[]: *v's elements rounded into scratch, where *v points
 * afterwards (COPY's and the fast path's values; plan_dml.c's assign
 * rounds INSERT's expressions).  v may point into scratch. */
static int num_array_typmod(const cat_column *col, mur_buf *scratch, mur_value *v, mur_error *err)
{
	mur_buf in;
	int rc = MUR_OK;
	mur_buf_init(&in);
	mur_buf_put(&in, v->s, v->len);
	mur_buf_reset(scratch);
	if (!mur_buf_ok(&in))
		rc = mur_error_set(err, SQLSTATE_OUT_OF_MEMORY, "out of memory");
	else if (mur_arr_num_typmod(in.data, in.len, col->typmod, scratch, err) != MUR_OK)
		rc = MUR_ERR;
	else if (!mur_buf_ok(scratch))
		rc = mur_error_set(err, SQLSTATE_OUT_OF_MEMORY, "out of memory");
	mur_buf_free(&in);
	if (rc == MUR_OK)
		*v = mur_v_text(scratch->data, scratch->len);
	return rc;
}

/* *v stored into varchar(n) / char(n) (PostgreSQL's rule: spaces past the
 * limit are cut; char(n) is padded to n: common/bpchar.h).  A changed
 * value lives in padded (reset here). */
static int fit_text(const cat_column *col, mur_value *v, mur_buf *padded, mur_error *err)
{
	long fit = mur_utf8_fit(v->s, v->len, (size_t)col->typmod);
	size_t spaces;
	if (fit < 0)
		return mur_error_set(err, SQLSTATE_STRING_DATA_RIGHT_TRUNCATION,
				     "value too long for type character%s(%d)",
				     col->type == MT_BPCHAR ? "" : " varying", col->typmod);
	v->len = (size_t)fit;
	if (col->type != MT_BPCHAR || !(spaces = mur_bpchar_pad_count(v->s, v->len, col->typmod)))
		return MUR_OK; /* no copy */
	mur_buf_reset(padded);
	mur_buf_put(padded, v->s, v->len);
	while (spaces--)
		mur_buf_put_u8(padded, ' ');
	if (!mur_buf_ok(padded))
		return mur_error_set(err, SQLSTATE_OUT_OF_MEMORY, "out of memory");
	*v = mur_v_text(padded->data ? padded->data : "", padded->len);
	return MUR_OK;
}

/* 23502 for t's column i of the row vals, with PostgreSQL's "Failing row
 * contains (...)." DETAIL (the visible columns; timestamptz marked, written in the session's zone
 * by pgwire's localize_error: common/failing_row.h). */
static int not_null_error(const cat_table *t, int i, const mur_value *vals, mur_error *err)
{
	mur_type types[CAT_COLUMNS_MAX];
	mur_value row[CAT_COLUMNS_MAX];
	int n = 0;
	mur_error_set(err, SQLSTATE_NOT_NULL_VIOLATION,
		      "null value in column \"%s\" of relation \"%s\" violates not-null "
		      "constraint",
		      t->cols[i].name, t->name);
	for (int k = 0; k < t->ncols; k++)
		if (!t->cols[k].hidden) {
			types[n] = t->cols[k].type;
			row[n++] = vals[k];
		}
	mur_failing_row(err, n, types, row, NULL);
	return MUR_ERR;
}

/* A value parsed for its column's type (lead_encode_row's `parsed`) that
 * coercing would only read again: a date or timestamp, whose text is
 * mur_datetime_from_pgtext's own (a COPY's 1,000 rows read each timestamp
 * once, not twice). */
static int keeps_parsed(mur_type t)
{
	return t == MT_DATE || t == MT_TIMESTAMP || t == MT_TIMESTAMPTZ;
}

/* lead_encode_row's columns, without the row limit. */
static int encode_row(lead_engine *e, const cat_table *t, const mur_value *vals,
		      const uint8_t *parsed, mur_buf *scratch, mur_buf *padded, mur_buf *out,
		      uint32_t *shard, mur_error *err)
{
	for (int i = 0; i < t->ncols; i++) {
		const cat_column *col = &t->cols[i];
		mur_value v = vals[i], cv;
		if (col->hidden && v.kind == MV_NULL)
			v = mur_v_int((int64_t)next_rowid(e));
		if (v.kind == MV_NULL) {
			if (col->not_null)
				return not_null_error(t, i, vals, err);
			cv = v;
		} else if (parsed && parsed[i] && v.kind == MV_TEXT && keeps_parsed(col->type)) {
			cv = v;
		} else {
			mur_buf_reset(scratch);
			if ((col->type == MT_NUMERIC /* numeric(p,s): round, 22003 */
				     ? mur_value_coerce_numeric(&v, col->typmod, scratch, &cv, err)
				     : mur_value_coerce(col->type, &v, scratch, &cv, err)) !=
			    MUR_OK)
				return MUR_ERR;
			if (col->type == MT_NUMERIC_ARRAY && col->typmod >= 0 &&
			    cv.kind == MV_TEXT &&
			    num_array_typmod(col, scratch, &cv, err) != MUR_OK)
				return MUR_ERR;
			if ((col->type == MT_VARCHAR || col->type == MT_BPCHAR) &&
			    col->typmod > 0 && cv.kind == MV_TEXT &&
			    fit_text(col, &cv, padded, err) != MUR_OK)
				return MUR_ERR;
		}
		if (i == t->dist_col && cv.kind == MV_NULL && cat_table_is_range(t)) {
			/* PostgreSQL: no range partition takes NULL but a default
			 * one, and murphy has none */
			mur_error_set(err, SQLSTATE_CHECK_VIOLATION,
				      "no partition of relation \"%s\" found for row", t->name);
			mur_error_detail(err,
					 "Partition key of the failing row contains (%s) = (null).",
					 col->name);
			return MUR_ERR;
		}
		if (i == t->dist_col)
			*shard = cv.kind == MV_NULL ? 0 : cat_shard_for_value(t, &cv);
		mur_row_put_value(out, &cv);
	}
	return MUR_OK;
}

int lead_encode_row(lead_engine *e, const cat_table *t, const mur_value *vals,
		    const uint8_t *parsed, mur_buf *scratch, mur_buf *out, uint32_t *shard,
		    mur_error *err)
{
	size_t start = out->len;
	mur_buf padded_buf, *padded = &padded_buf;
	int rc;
	mur_buf_init(padded);
	rc = encode_row(e, t, vals, parsed, scratch, padded, out, shard, err);
	mur_buf_free(padded);
	if (rc != MUR_OK)
		return rc;
	return row_fits(t, out, start, err);
}

int lead_session_parallel_commits(lead_session *s)
{
	const char *v = lead_session_get(s, "murphy.parallel_commits");
	return v && strcmp(v, "on") == 0;
}

int lead_session_replica_batch(lead_session *s)
{
	const char *v = lead_session_get(s, "murphy.replica_batch");
	return v && strcmp(v, "on") == 0;
}

repl_quorum lead_session_quorum(lead_session *s)
{
	const char *v = lead_session_get(s, "murphy.write_quorum");
	repl_quorum q = v ? repl_quorum_parse(v) : 0;
	return q ? q : REPL_QUORUM_MAJORITY;
}

/* A shard part of the run's write is decided. */
void lead_run_part_done(void *arg, repl_wop *op, int failed, const mur_error *err,
			const exec_result *primary)
{
	lead_run *r = arg;
	if (failed) {
		r->split_moved |= repl_wop_split_moved(op);
		lead_run_fail(r, err);
	} else {
		r->changes += primary->changes;
		if (primary->nrows) {
			mur_buf_put(&r->rows, primary->rows.data, primary->rows.len);
			r->nrows += primary->nrows;
			r->ncols = primary->ncols;
		}
	}
	r->npending--;
	if (r->npending == 0 && r->on_tasks_done) {
		lead_run_next next = r->on_tasks_done;
		r->on_tasks_done = NULL;
		next(r);
	}
}

int lead_send_shard_rows(lead_run *r, const cat_table *t, uint32_t shard, const char *sql,
			 const repl_write_facts *facts, const mur_buf *rows, uint64_t nrows,
			 uint32_t ncols)
{
	mur_error err;
	r->npending++;
	if (repl_write(r->e->repl, t, shard, lead_session_quorum(r->s), sql, facts, NULL, 0, rows,
		       nrows, ncols, lead_run_part_done, r, &err) != MUR_OK) {
		r->npending--;
		lead_run_fail(r, &err);
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
				      "shard %u of table \"%s\" has no placements", s->index,
				      t->name);
			lead_run_fail(r, &err);
			return MUR_ERR;
		}
		for (int k = 0; k < s->nplacements; k++) {
			uint32_t node = s->placements[k].node_id;
			if (!r->e->tr.connected(r->e->tr.ctx, node)) {
				const cat_node *nd = cat_node_by_id(r->e->cat, node);
				mur_error_set(&err, SQLSTATE_CONNECTION_FAILURE,
					      "cannot write shard %u of table \"%s\": follower "
					      "\"%s\" "
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
 * primaries, then answer (a failed statement's parts that committed are
 * undone by its transaction's abort: lead_run_finish). */
static void write_done(lead_run *r)
{
	mur_error err;
	const char *verb = r->p->kind == PLAN_INSERT  ? "INSERT 0"
			   : r->p->u.modify.is_delete ? "DELETE"
						      : "UPDATE";
	int nret = r->p->kind == PLAN_INSERT ? r->p->u.insert.nreturning
					     : r->p->u.modify.nreturning;

	if (r->p->kind == PLAN_MODIFY && !r->failed && lead_fkey_deleted(r, write_done))
		return; /* called again after the foreign key checks */

	if (!r->failed && nret) {
		if (lead_result_columns(r->res, r->p) != MUR_OK ||
		    lead_format_rows(r->s, r->res, r->p, &r->rows, r->nrows,
				     r->ncols ? r->ncols : (uint32_t)nret, &err) != MUR_OK)
			lead_run_fail(r, &err);
	}
	mur_cat tag; /* "%s %llu" without stdio (common/fmt.h) */
	mur_cat_init(&tag, r->res->tag, sizeof r->res->tag);
	mur_cat_str(&tag, verb);
	mur_cat_mem(&tag, " ", 1);
	mur_cat_u64(&tag, r->changes);
	lead_run_finish(r);
}

/* Route source rows (r->nrows rows of r->ncols values at rows, table
 * column order: r->rows or the plan's values_rows) into shard batches and
 * send them. */
static void insert_route_from(lead_run *r, const char *rows, size_t rows_len)
{
	const plan_insert *pi = &r->p->u.insert;
	const cat_table *t = pi->table;
	mur_buf *batches = NULL;
	uint64_t *counts = NULL;
	uint32_t shards[CAT_SHARDS_MAX] = {0};
	int nshards = 0;
	mur_value vals[CAT_COLUMNS_MAX];
	mur_buf scratch, one; /* one: the row being encoded, reused */
	repl_write_facts facts = {.returns_rows = pi->nreturning > 0,
				  .may_skip_rows = pi->on_conflict_nothing || pi->nconflict,
				  .blind = sql_insert_blind(r->e->cat, pi)};
	mur_error err;
	mur_rd rd;

	mur_buf_init(&scratch);
	mur_buf_init(&one);
	if (r->failed)
		goto out;
	if (r->ncols != (uint32_t)t->ncols && r->nrows > 0) {
		mur_error_set(&err, SQLSTATE_INTERNAL_ERROR,
			      "internal error: INSERT source has %u columns, table \"%s\" has %d",
			      r->ncols, t->name, t->ncols);
		lead_run_fail(r, &err);
		goto out;
	}
	batches = mur_calloc(t->nshards, sizeof *batches);
	counts = mur_calloc(t->nshards, sizeof *counts);
	if (!batches || !counts) {
		mur_error_set(&err, SQLSTATE_OUT_OF_MEMORY, "out of memory");
		lead_run_fail(r, &err);
		goto out;
	}
	mur_rd_init(&rd, rows, rows_len);
	for (uint64_t row = 0; row < r->nrows; row++) {
		uint32_t shard = 0;
		for (int c = 0; c < t->ncols; c++)
			if (mur_row_get_value(&rd, &vals[c]) != MUR_OK) {
				mur_error_set(&err, SQLSTATE_INTERNAL_ERROR,
					      "malformed INSERT rows");
				lead_run_fail(r, &err);
				goto out;
			}
		{
			mur_buf_reset(&one);
			if ((pi->fill_seq && cat_seq_fill(r->e->cat, &r->s->seqs, t->ncols,
							  pi->fill_seq, vals, &err) != MUR_OK) ||
			    lead_encode_row(r->e, t, vals, NULL, &scratch, &one, &shard, &err) !=
				    MUR_OK) {
				lead_run_fail(r, &err);
				goto out;
			}
			if (counts[shard] == 0) {
				/* a shard's first row moves into its batch: a large
				 * row is not copied again */
				shards[nshards++] = shard;
				mur_buf_free(&batches[shard]);
				batches[shard] = one;
				mur_buf_init(&one);
			} else {
				mur_buf_put(&batches[shard], one.data, one.len);
			}
			counts[shard]++;
			if (!mur_buf_ok(&batches[shard])) {
				mur_error_set(&err, SQLSTATE_OUT_OF_MEMORY, "out of memory");
				lead_run_fail(r, &err);
				goto out;
			}
		}
	}
	for (int i = 0; i < nshards; i++)
		if (sql_upsert_check_keys(pi, &batches[shards[i]], counts[shards[i]], &err) !=
		    MUR_OK) {
			lead_run_fail(r, &err);
			goto out;
		}
	mur_buf_reset(&r->rows);
	r->nrows = 0;
	if (lead_txn_for_write(r, nshards, &facts) != MUR_OK)
		goto out;
	for (int i = 0; i < nshards && !r->failed; i++)
		lead_send_shard_rows(r, t, shards[i], pi->shard_sql, &facts, &batches[shards[i]],
				     counts[shards[i]], (uint32_t)t->ncols);
out:
	if (batches)
		for (uint32_t i = 0; i < t->nshards; i++)
			mur_buf_free(&batches[i]);
	free(batches);
	free(counts);
	mur_buf_free(&scratch);
	mur_buf_free(&one);
	/* the source rows are routed: collect the parts' RETURNING rows afresh */
	lead_run_wait(r, write_done);
}

static void insert_route(lead_run *r);

static void insert_checked(lead_run *r)
{
	if (r->p->u.insert.values_rows && !r->p->u.insert.source && r->rows.len == 0)
		insert_route_from(r, r->p->u.insert.values_rows, r->p->u.insert.values_rows_len);
	else
		insert_route(r);
}

static void insert_route(lead_run *r)
{
	if (lead_fkey_insert(r, r->rows.data, r->rows.len, r->nrows, r->ncols, insert_checked))
		return;
	insert_route_from(r, r->rows.data, r->rows.len);
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
	if (pi->values_rows) { /* routed from the plan's buffer: no copy */
		r->nrows = pi->values_nrows;
		r->ncols = (uint32_t)pi->table->ncols;
		if (!lead_fkey_insert(r, pi->values_rows, pi->values_rows_len, r->nrows, r->ncols,
				      insert_checked))
			insert_route_from(r, pi->values_rows, pi->values_rows_len);
		return;
	}
	r->e->local_session = r->s; /* its nextval defaults: catalog_seq.c */
	if (pi->values_sql &&       /* parameters and NULLs only: no SQLite (lead_values.c) */
	    !lead_values_direct(pi->values_sql, r->params, r->nparams, &r->rows, &r->nrows,
				&r->ncols) &&
	    lead_local_query(r->e, pi->values_sql, r->params, r->nparams, NULL, 0, 0, &r->rows,
			     &r->nrows, &r->ncols, &err) != MUR_OK)
		lead_run_fail(r, &err);
	r->e->local_session = NULL;
	insert_route(r);
}

/* UPDATE ... FROM / DELETE ... USING: the source's rows, one per target
 * key, go to their shards (sql_modify_route), where shard_sql runs once per
 * row; one implicit transaction over several shards, as any write. */
static void modify_source_done(lead_run *r, lead_run *child)
{
	const plan_modify *pm = &r->p->u.modify;
	uint32_t nsh = pm->table->nshards, shards[CAT_SHARDS_MAX];
	mur_buf *batches = mur_calloc(nsh, sizeof *batches);
	uint64_t *counts = mur_calloc(nsh, sizeof *counts);
	repl_write_facts facts = {.returns_rows = pm->nreturning > 0,
				  .may_skip_rows = 1,
				  .is_delete = pm->is_delete};
	mur_error err;
	int n = 0;
	if (!batches || !counts)
		mur_error_set(&err, SQLSTATE_OUT_OF_MEMORY, "out of memory");
	if (child->failed)
		lead_run_fail(r, &child->err);
	else if (!batches || !counts)
		lead_run_fail(r, &err);
	else if (sql_modify_route(pm, child->rows.data, child->rows.len, child->nrows, batches,
				  counts, &err) != MUR_OK)
		lead_run_fail(r, &err);
	for (uint32_t s = 0; s < nsh && !r->failed; s++)
		if (counts[s])
			shards[n++] = s;
	mur_buf_reset(&r->rows);
	r->nrows = 0;
	if (!r->failed && lead_txn_for_write(r, n, &facts) == MUR_OK)
		for (int i = 0; i < n && !r->failed; i++)
			lead_send_shard_rows(r, pm->table, shards[i], pm->shard_sql, &facts,
					     &batches[shards[i]], counts[shards[i]], pm->ncols);
	for (uint32_t s = 0; batches && s < nsh; s++)
		mur_buf_free(&batches[s]);
	free(batches);
	free(counts);
	lead_run_wait(r, write_done);
}

void lead_modify_start(lead_run *r)
{
	const plan_modify *pm = &r->p->u.modify;
	const cat_table *t = pm->table;
	uint32_t shards[CAT_SHARDS_MAX];
	int n;
	repl_write_facts facts = {.returns_rows = pm->nreturning > 0 || pm->fk_returning,
				  .is_delete = pm->is_delete};
	mur_error err;

	if (pm->source) {
		lead_run *child = lead_run_child(r, pm->source, modify_source_done);
		if (!child) {
			mur_error_set(&err, SQLSTATE_OUT_OF_MEMORY, "out of memory");
			lead_run_fail(r, &err);
			lead_run_wait(r, write_done);
			return;
		}
		lead_run_start(child);
		return;
	}
	n = lead_prune(r, t, &pm->prune, shards);
	lead_fkey_begin_txn(r); /* its checks can undo it */

	mur_buf_reset(&r->rows);
	r->nrows = 0;
	if (lead_txn_for_write(r, n, &facts) != MUR_OK)
		n = 0;
	for (int i = 0; i < n && !r->failed; i++) {
		r->npending++;
		if (repl_write(r->e->repl, t, shards[i], lead_session_quorum(r->s), pm->shard_sql,
			       &facts, r->params, (uint32_t)r->nparams, NULL, 0, 0,
			       lead_run_part_done, r, &err) != MUR_OK) {
			r->npending--;
			lead_run_fail(r, &err);
		}
	}
	lead_run_wait(r, write_done);
}

static void truncate_done(lead_run *r)
{
	const plan_truncate *pt = &r->p->u.truncate;
	mur_error err;
	for (int i = 0; i < pt->ntables && pt->restart_identity && !r->failed; i++)
		if (cat_seq_restart_owned(r->e->cat, pt->tables[i]->id, &err) != MUR_OK)
			lead_run_fail(r, &err);
	snprintf(r->res->tag, sizeof r->res->tag, "TRUNCATE TABLE");
	lead_run_finish(r);
}

/* TRUNCATE: each table's DELETE of every row (sql/plan_truncate.c) as a
 * write on each of its shards, all sent at once, in one transaction (the
 * block's, or its own over several shards: all or nothing); answered when
 * every part is at its quorum (or failed, and then undone). */
void lead_truncate_start(lead_run *r)
{
	const plan_truncate *pt = &r->p->u.truncate;
	repl_write_facts facts = {.is_delete = 1};
	mur_error err;
	int nshards = 0;

	for (int i = 0; i < pt->ntables; i++)
		nshards += (int)pt->tables[i]->nshards;
	if (lead_txn_for_write(r, nshards, &facts) != MUR_OK) {
		lead_run_wait(r, truncate_done);
		return;
	}
	for (int i = 0; i < pt->ntables && !r->failed; i++)
		for (uint32_t s = 0; s < pt->tables[i]->nshards && !r->failed; s++) {
			r->npending++;
			if (repl_write(r->e->repl, pt->tables[i], s, lead_session_quorum(r->s),
				       pt->shard_sql[i], &facts, NULL, 0, NULL, 0, 0,
				       lead_run_part_done, r, &err) != MUR_OK) {
				r->npending--;
				lead_run_fail(r, &err);
			}
		}
	lead_run_wait(r, truncate_done);
}
