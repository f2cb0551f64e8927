/*
 * lead_stream.c — a portal's rows a batch at a time (cursors, Execute
 * with max rows): thin glue between pgwire's portal (pgw_engine.h:
 * portal_stream / portal_next / portal_close) and sql/plan_batch.c.
 *
 *   execute (portal_stream asked, plan batched) ──> run: shard 0, first batch
 *   portal_next ──> run: the same shard after its last key, or the next shard
 *   a batch shorter than its LIMIT ends its shard; after
 *   the last shard the result carries no stream and the stream is freed
 *   portal_close (portal dropped early) ──> freed, or marked and freed
 *   when its running batch answers
 *
 * Each batch is one ordinary SELECT run (lead_run) of one shard
 * (lead_run.only_shard) whose task SQL is the batch's (lead_run.stream):
 * the shard's rows after the last key read, in key order, at most a
 * limit that follows the rows' width (about LEAD_STREAM_BATCH_BYTES a
 * batch: stream_limit).  So the leader holds one batch, not the
 * result, and each batch is a read of its own at the session's
 * consistency level — not one snapshot for the cursor (docs/decisions.md
 * states what a cursor sees).  The statement's parameters are copied at
 * the start; a catalog change between batches plans the text again, and
 * a table gone or changed shape ends the cursor with an error.
 */
#include "leader/lead_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct lead_stream {
	lead_session *s;
	plan *p;           /* owned: the statement planned for the stream */
	char *sql;         /* its text, to plan again */
	uint64_t version;  /* cat_version when p was planned */
	uint32_t table_id; /* the table scanned */
	uint32_t nshards;  /* its shards: one run per batch of one of them */
	uint32_t shard;    /* the shard read next */
	int has_last;      /* last holds the key of the shard's last row read */
	mur_value last[PLAN_BATCH_KEYS_MAX];
	mur_buf last_buf;               /* last's text and blob bytes */
	mur_buf batch_sql;              /* the running batch's task SQL */
	uint64_t batch_rows;            /* rows the running batch returned */
	uint32_t limit;                 /* its LIMIT */
	uint64_t seen_rows, seen_bytes; /* read so far: the rows' width */
	int nparams;
	mur_value *params; /* the statement's, copied; bytes in param_buf */
	mur_buf param_buf;
	int running; /* a batch is out */
	int closed;  /* portal_close came while it was */
	pgw_done_cb done;
	void *arg;
};

static void stream_free(lead_stream *st)
{
	plan_free(st->p);
	free(st->sql);
	free(st->params);
	mur_buf_free(&st->last_buf);
	mur_buf_free(&st->batch_sql);
	mur_buf_free(&st->param_buf);
	free(st);
}

/* Copy vals[0..n) into *out with their bytes in buf.  MUR_OK or MUR_ENOMEM. */
static int values_copy(const mur_value *vals, int n, mur_value *out, mur_buf *buf)
{
	size_t need = 0;
	mur_buf_reset(buf);
	for (int i = 0; i < n; i++)
		if (vals[i].kind == MV_TEXT || vals[i].kind == MV_BLOB)
			need += vals[i].len + 1;
	if (mur_buf_reserve(buf, need + 1) != MUR_OK)
		return MUR_ENOMEM;
	for (int i = 0; i < n; i++) {
		out[i] = vals[i];
		if (vals[i].kind == MV_TEXT || vals[i].kind == MV_BLOB) {
			out[i].s = buf->data + buf->len; /* reserved: never moves */
			mur_buf_put(buf, vals[i].s, vals[i].len);
			mur_buf_put_u8(buf, 0);
		}
	}
	return MUR_OK;
}

int lead_stream_wanted(const plan *p)
{
	const plan_select *ps = &p->u.select;
	return p->kind == PLAN_SELECT && !p->nsubs && ps->ntables == 1 && ps->batch_head &&
	       !ps->router && !ps->has_partial_agg && !ps->has_final_agg && !ps->final_sql &&
	       !ps->join_shuffle && !ps->locks_rows && ps->tables[0]->kind == CAT_TABLE_DISTRIBUTED;
}

static void stream_batch(lead_stream *st);

/* A batch answered: its rows (lead_stream_rows took the last key). */
static void stream_rows(void *arg, pgw_result *res)
{
	lead_stream *st = arg;
	pgw_done_cb done = st->done;
	void *done_arg = st->arg;
	st->running = 0;
	if (st->closed) {
		pgw_result_free(res);
		stream_free(st);
		return; /* pgwire was told nothing: portal_close has no done() */
	}
	if (!res || res->kind != PGW_RESULT_ROWS) {
		stream_free(st); /* an error ends the portal: pgwire drops it */
		done(done_arg, res);
		return;
	}
	if (st->batch_rows < st->limit) { /* the shard is read to its end */
		st->shard++;
		st->has_last = 0;
	}
	if (st->shard >= st->nshards) {
		stream_free(st);
		res->stream = NULL;
	} else if (res->nrows == 0) {
		pgw_result_free(res); /* an empty shard: read the next at once */
		stream_batch(st);
		return;
	} else {
		res->stream = st;
	}
	snprintf(res->tag, sizeof res->tag, "SELECT"); /* pgwire counts what it sends */
	done(done_arg, res);
}

static void stream_fail(lead_stream *st, const mur_error *err)
{
	pgw_done_cb done = st->done;
	void *arg = st->arg;
	pgw_result *res = pgw_result_new();
	if (res)
		pgw_result_set_error(res, err);
	stream_free(st);
	done(arg, res);
}

/* The catalog changed since st->p was planned: plan the text again; the
 * same table, still batched, or an error. */
static int stream_replan(lead_stream *st, mur_error *err)
{
	lead_session *s = st->s;
	plan *p = NULL;
	sql_options opts;
	int rc;
	lead_session_sql_options(s, &opts);
	cat_set_viewer(s->e->cat, 1, s->txid);
	rc = sql_prepare_opts(s->e->cat, st->sql, &opts, st->p->nparams, st->p->param_types, &p,
			      err);
	cat_set_viewer(s->e->cat, 0, 0);
	if (rc != MUR_OK)
		return MUR_ERR;
	if (!lead_stream_wanted(p) || p->u.select.tables[0]->id != st->table_id ||
	    p->u.select.tables[0]->nshards != st->nshards ||
	    p->u.select.batch_nkeys != st->p->u.select.batch_nkeys) {
		plan_free(p);
		return mur_error_set(err, SQLSTATE_OBJECT_NOT_IN_PREREQUISITE_STATE,
				     "the table of this cursor changed while it was read");
	}
	plan_free(st->p);
	st->p = p;
	st->version = cat_version(s->e->cat);
	return MUR_OK;
}

/* The next batch's LIMIT: about LEAD_STREAM_BATCH_BYTES of rows as wide
 * as those read so far, within [_MIN, _MAX]. */
static uint32_t stream_limit(const lead_stream *st)
{
	uint64_t width, n;
	if (st->seen_rows == 0)
		return LEAD_STREAM_BATCH_FIRST;
	width = st->seen_bytes / st->seen_rows + 1;
	n = LEAD_STREAM_BATCH_BYTES / width;
	return n < LEAD_STREAM_BATCH_MIN   ? LEAD_STREAM_BATCH_MIN
	       : n > LEAD_STREAM_BATCH_MAX ? LEAD_STREAM_BATCH_MAX
					   : (uint32_t)n;
}

/* r reads st's next batch: its task SQL, its shard, its answer. */
static int stream_arm(lead_stream *st, lead_run *r)
{
	st->limit = stream_limit(st);
	if (sql_batch_sql(&st->p->u.select, st->has_last ? st->last : NULL, st->limit,
			  &st->batch_sql) != MUR_OK)
		return MUR_ENOMEM;
	snprintf(r->sql_text, sizeof r->sql_text, "%.200s (cursor, shard %u)", st->sql, st->shard);
	r->only_shard = st->shard + 1;
	r->stream = st;
	r->done = stream_rows;
	r->done_arg = st;
	st->batch_rows = 0;
	st->running = 1;
	return MUR_OK;
}

static void stream_batch(lead_stream *st)
{
	lead_session *s = st->s;
	lead_run *r;
	mur_error err;
	if (st->version != cat_version(s->e->cat) && stream_replan(st, &err) != MUR_OK) {
		stream_fail(st, &err);
		return;
	}
	if (!(r = lead_run_new(s, st->p, NULL, NULL))) {
		mur_error_set(&err, SQLSTATE_OUT_OF_MEMORY, "out of memory");
		stream_fail(st, &err);
		return;
	}
	mur_error_set(&err, SQLSTATE_OUT_OF_MEMORY, "out of memory");
	if (stream_arm(st, r) != MUR_OK) {
		r->done = NULL; /* not armed: st answers */
		lead_run_finish(r);
		stream_fail(st, &err);
		return;
	}
	if (st->nparams && !(r->params = calloc((size_t)st->nparams, sizeof *r->params)))
		lead_run_fail(r, &err); /* stream_rows answers the error */
	if (r->params) {
		memcpy(r->params, st->params, (size_t)st->nparams * sizeof *r->params);
		r->nparams = st->nparams;
	}
	if (!r->failed && s->cancel_pending)
		lead_run_fail(r, &s->cancel_err);
	if (r->failed)
		lead_run_finish(r);
	else
		lead_run_start(r);
}

int lead_stream_start(lead_run *first, const char *sql)
{
	lead_stream *st = calloc(1, sizeof *st);
	lead_session *s = first->s;
	const plan *p = first->p;
	sql_options opts;
	mur_error err;
	int rc;
	if (!st)
		return MUR_ENOMEM;
	mur_buf_init(&st->last_buf);
	mur_buf_init(&st->batch_sql);
	mur_buf_init(&st->param_buf);
	st->s = s;
	st->nparams = first->nparams;
	if (!(st->sql = strdup(sql ? sql : "")) ||
	    (st->nparams && !(st->params = calloc((size_t)st->nparams, sizeof *st->params))) ||
	    values_copy(first->params, first->nparams, st->params, &st->param_buf) != MUR_OK) {
		stream_free(st);
		return MUR_ENOMEM;
	}
	/* a plan of its own: the statement's may be planned again while the
	 * portal lives; the same text and types plan the same */
	lead_session_sql_options(s, &opts);
	cat_set_viewer(s->e->cat, 1, s->txid);
	rc = sql_prepare_opts(s->e->cat, st->sql, &opts, p->nparams, p->param_types, &st->p, &err);
	cat_set_viewer(s->e->cat, 0, 0);
	if (rc != MUR_OK || !lead_stream_wanted(st->p)) {
		stream_free(st);
		return MUR_ERR; /* the caller runs the statement whole */
	}
	st->version = cat_version(s->e->cat);
	st->table_id = st->p->u.select.tables[0]->id;
	st->nshards = st->p->u.select.tables[0]->nshards;
	st->done = first->done;
	st->arg = first->done_arg;
	if (stream_arm(st, first) != MUR_OK) {
		first->done = st->done;
		first->done_arg = st->arg;
		first->stream = NULL;
		stream_free(st);
		return MUR_ENOMEM;
	}
	return MUR_OK;
}

void lead_stream_next(void *esess, void *stream, pgw_done_cb done, void *arg)
{
	lead_session *s = esess;
	lead_stream *st = stream;
	mur_error err;
	lead_stmt_begin(s, &done, &arg); /* cancel and statement_timeout, per batch */
	st->done = done;
	st->arg = arg;
	if (s->txn == LEAD_TXN_FAILED) {
		mur_error_set(&err, SQLSTATE_IN_FAILED_SQL_TRANSACTION,
			      "current transaction is aborted, commands ignored until end of "
			      "transaction block");
		stream_fail(st, &err);
		return;
	}
	stream_batch(st);
}

void lead_stream_close(void *esess, void *stream)
{
	lead_stream *st = stream;
	(void)esess;
	if (st->running)
		st->closed = 1; /* freed when its batch answers */
	else
		stream_free(st);
}

const char *lead_stream_task_sql(const lead_run *r) { return r->stream->batch_sql.data; }

int lead_stream_rows(lead_run *r, mur_error *err)
{
	lead_stream *st = r->stream;
	int nk = st->p->u.select.batch_nkeys;
	mur_value keys[PLAN_BATCH_KEYS_MAX];
	mur_rd rd;
	st->batch_rows = r->nrows;
	st->seen_rows += r->nrows;
	st->seen_bytes += r->rows.len;
	if (r->nrows == 0)
		return MUR_OK;
	if (r->ncols < (uint32_t)nk)
		return mur_error_set(err, SQLSTATE_INTERNAL_ERROR, "batch rows lack their key");
	mur_rd_init(&rd, r->rows.data, r->rows.len);
	for (uint64_t i = 0; i < r->nrows; i++)
		for (uint32_t c = 0; c < r->ncols; c++) {
			mur_value v;
			if (mur_row_get_value(&rd, &v) != MUR_OK)
				return mur_error_set(err, SQLSTATE_INTERNAL_ERROR,
						     "malformed rows from a follower");
			if (i == r->nrows - 1 && c >= r->ncols - (uint32_t)nk)
				keys[c - (r->ncols - (uint32_t)nk)] = v;
		}
	if (values_copy(keys, nk, st->last, &st->last_buf) != MUR_OK)
		return mur_error_set(err, SQLSTATE_OUT_OF_MEMORY, "out of memory");
	st->has_last = 1;
	return MUR_OK;
}
