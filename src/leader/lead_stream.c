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
 *
 * ORDER BY (plan_select.batch_nsort) streams as a merge: the first run
 * reads every shard's first batch at once, in sort order; the batches go
 * to a k-way merge (common/rowmerge.h) that hands rows out until a
 * shard's batch is used up while it may hold more (dry); that shard's
 * next batch (after its last sort values and key) is read alone, and the
 * merge goes on.  OFFSET is skipped and LIMIT counted here.  The leader
 * holds at most a batch per shard.
 *
 * A join, GROUP BY, DISTINCT or window complete per shard
 * (plan_select.batch_whole: sql/plan_batch_whole.c) streams the same
 * way: its batch runs the whole query on the shard, its key is a unique
 * order of that shard's result; the plan's partial aggregate, leader
 * merge and final SQL do not apply to its batches (lead_select.c), and a
 * shard the plan prunes (a router query's others) reads nothing.
 *
 * A shuffled join (plan_select.batch_owner: sql/plan_batch_owner.c)
 * streams from its owners: the first run is the join itself, its RECVs
 * asking each owner to keep its database and statement open and answer
 * a first batch (follower/shuffle_keep.c); the owners are then the merge's
 * sources (ORDER BY merged by batch_sort, else one after another), and a
 * dry owner's next batch is a SHUFFLE_FETCH (lead_stream_fetch).  The
 * owners hold the join's rows as read at DECLARE: a later batch reads no
 * table, so a catalog change does not plan it again.  stream_free sends a
 * SHUFFLE_CANCEL to every owner that may still hold rows (CLOSE, end of
 * transaction, session end); an owner lost meanwhile fails the next FETCH
 * (08006), and an owner whose rows are gone answers 55000.
 *
 * Subqueries run first (scalar, IN / ANY / ALL, EXISTS: plan_sub) run
 * once, in the first batch's run (lead_subq.c), which binds their values
 * as parameters after the statement's own; those are kept with the
 * statement's (bind_subs) and every later batch runs with them bound
 * (lead_subq_wait runs nothing then): the subqueries are computed once,
 * at DECLARE, as PostgreSQL computes an InitPlan once.
 */
#include "common/log.h"
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
	/* a sorted stream (p->u.select.batch_nsort > 0): */
	mur_rowmerge *merge;       /* NULL until the first batches answer */
	int dry;                   /* a shard whose batch is used up, -1: none */
	struct stream_last *lasts; /* per shard: its last row's sort values and key */
	int64_t skip, left;        /* OFFSET still to skip; LIMIT still to send (-1: none) */
	mur_buf out;               /* merged rows being handed out */
	uint32_t merge_ncols;      /* a batch row's columns */
	mur_value *row;            /* merge_ncols values: a batch's last row */
	/* a shuffled join read from its owners (p->u.select.batch_owner) */
	int owned;           /* the first run answered: the owners keep the join */
	uint64_t shuffle_id; /* the join's shuffle: the owners' kept statements */
	uint32_t owners[EXEC_SHUFFLE_PARTS_MAX]; /* node ids; st->nshards of them once owned */
	int running;                             /* a batch is out */
	int closed;                              /* portal_close came while it was */
	pgw_done_cb done;
	void *arg;
};

struct stream_last {
	int has;
	mur_value v[PLAN_BATCH_SORT_MAX + PLAN_BATCH_KEYS_MAX];
	mur_buf buf;
	int want;    /* the running batch reads this shard */
	mur_buf sql; /* its task SQL */
};

static void drop_done(void *arg, exec_result *res)
{
	(void)arg;
	(void)res;
}

/* The owners that may still hold the join's rows drop them. */
static void owners_drop(lead_stream *st)
{
	lead_engine *e = st->s->e;
	for (uint32_t o = 0; st->owned && o < st->nshards; o++) {
		exec_task t;
		mur_error err;
		if (st->merge && !mur_rowmerge_more(st->merge, o))
			continue; /* its statement ended: dropped there */
		memset(&t, 0, sizeof t);
		t.kind = EXEC_TASK_SHUFFLE_CANCEL;
		t.shuffle_id = st->shuffle_id;
		t.sql = "the cursor was closed";
		if (e->tr.connected(e->tr.ctx, st->owners[o]) &&
		    e->tr.send(e->tr.ctx, st->owners[o], &t, drop_done, NULL, &err) != MUR_OK)
			MLOG(DEBUG, "leader", "cannot drop a cursor's join rows: %s", err.message);
	}
}

static void stream_free(lead_stream *st)
{
	owners_drop(st);
	if (st->lasts) /* an owner stream's beyond its nshards were never used */
		for (uint32_t i = 0; i < st->nshards; i++) {
			mur_buf_free(&st->lasts[i].buf);
			mur_buf_free(&st->lasts[i].sql);
		}
	free(st->lasts);
	mur_rowmerge_free(st->merge);
	mur_buf_free(&st->out);
	free(st->row);
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
	return p->kind == PLAN_SELECT && sql_plan_subs_bound(p) && ps->batch_head &&
	       (!ps->join_shuffle || ps->batch_owner) && !ps->locks_rows &&
	       ps->tables[0]->kind == CAT_TABLE_DISTRIBUTED &&
	       (ps->batch_whole || ps->batch_owner || /* plan_batch_whole.c, _owner.c */
		(ps->ntables == 1 && !ps->router && !ps->has_partial_agg && !ps->has_final_agg &&
		 (!ps->final_sql || ps->batch_nsort)));
}

static void stream_batch(lead_stream *st);
static uint32_t stream_limit(const lead_stream *st);

/* The shards the next batch reads: the dry one, and those with less than
 * half a batch left (they would run dry soon after: one round trip reads
 * them all). */
static void refill_set(lead_stream *st)
{
	uint32_t half = stream_limit(st) / 2;
	for (uint32_t sh = 0; sh < st->nshards; sh++)
		st->lasts[sh].want = mur_rowmerge_more(st->merge, sh) &&
				     ((int)sh == st->dry ||
				      mur_rowmerge_held(st->merge, sh) < half);
}

/* A sorted stream's batches answered (in the merge): res (no rows, its
 * columns set) gets the rows the merge hands out, past OFFSET and within
 * LIMIT; or a dry shard's next batch is read first (res dropped). */
static void stream_merged(lead_stream *st, pgw_result *res)
{
	pgw_done_cb done = st->done;
	void *done_arg = st->arg;
	uint64_t n = 0;
	mur_error err;
	while (st->left != 0 && !mur_rowmerge_done(st->merge)) {
		int rc = MUR_OK;
		if ((st->dry = mur_rowmerge_dry(st->merge)) >= 0) {
			pgw_result_free(res);
			refill_set(st);
			stream_batch(st);
			return;
		}
		if (st->skip > 0 &&
		    (rc = mur_rowmerge_take(st->merge, (uint64_t)st->skip, NULL, &n)) == MUR_OK)
			st->skip -= (int64_t)n;
		mur_buf_reset(&st->out);
		if (rc == MUR_OK && st->skip == 0)
			rc = mur_rowmerge_take(st->merge,
					       st->left < 0 ? UINT64_MAX : (uint64_t)st->left,
					       &st->out, &n);
		else
			n = 0;
		if (rc != MUR_OK) {
			mur_error_set(&err, SQLSTATE_INTERNAL_ERROR,
				      "malformed rows from a follower");
			pgw_result_set_error(res, &err);
			stream_free(st);
			done(done_arg, res);
			return;
		}
		if (n == 0)
			continue; /* a shard ran dry */
		if (st->left > 0)
			st->left -= (int64_t)n;
		if (lead_format_rows(st->s, res, st->p, &st->out, n, st->merge_ncols, &err) !=
		    MUR_OK) {
			pgw_result_set_error(res, &err);
			stream_free(st);
			done(done_arg, res);
			return;
		}
		break;
	}
	if (st->left == 0 || mur_rowmerge_done(st->merge)) {
		stream_free(st);
		res->stream = NULL;
	} else {
		res->stream = st;
	}
	snprintf(res->tag, sizeof res->tag, "SELECT");
	done(done_arg, res);
}

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
	if (st->merge) {
		stream_merged(st, res);
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
	    p->u.select.batch_nkeys != st->p->u.select.batch_nkeys ||
	    p->u.select.batch_nsort != st->p->u.select.batch_nsort) {
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
 * as those read so far, within [_MIN, _MAX].  Before any row is seen the
 * width is unknown: LEAD_STREAM_BATCH_FIRST rows in all.  A sorted stream
 * holds a batch of every shard at once (256 rows of 20 kB from each of 8
 * shards held 40 MB; 1 MiB batches of 8 shards ~20 MB decoded), so its
 * shards share the rows and the bytes. */
static uint32_t stream_limit(const lead_stream *st)
{
	uint64_t width, n;
	if (st->seen_rows == 0) {
		n = (st->p->u.select.batch_nsort || st->p->u.select.batch_owner) && st->nshards
			    ? LEAD_STREAM_BATCH_FIRST / st->nshards
			    : LEAD_STREAM_BATCH_FIRST;
		return n < LEAD_STREAM_BATCH_MIN ? LEAD_STREAM_BATCH_MIN : (uint32_t)n;
	}
	width = st->seen_bytes / st->seen_rows + 1;
	n = LEAD_STREAM_BATCH_BYTES / width;
	if ((st->p->u.select.batch_nsort || st->p->u.select.batch_owner) && st->nshards)
		n /= st->nshards; /* a merge holds a batch of every shard at once */
	return n < LEAD_STREAM_BATCH_MIN   ? LEAD_STREAM_BATCH_MIN
	       : n > LEAD_STREAM_BATCH_MAX ? LEAD_STREAM_BATCH_MAX
					   : (uint32_t)n;
}

/* A sorted stream's next batch size and each wanted shard's task SQL
 * (after its last row read). */
static int sorted_arm(lead_stream *st)
{
	uint64_t want = (uint64_t)st->skip + (uint64_t)st->left;
	if (st->left >= 0 && want < st->limit)
		st->limit = want ? (uint32_t)want : 1; /* no shard owes more */
	for (uint32_t sh = 0; sh < st->nshards; sh++) {
		struct stream_last *l = &st->lasts[sh];
		if (l->want && sql_batch_sql(&st->p->u.select, l->has ? l->v : NULL, st->limit,
					     &l->sql) != MUR_OK)
			return MUR_ENOMEM;
	}
	return MUR_OK;
}

/* r reads st's next batch: its task SQL, its shard, its answer. */
static int stream_arm(lead_stream *st, lead_run *r)
{
	st->limit = stream_limit(st);
	if (st->p->u.select.batch_owner) {
		uint64_t want = (uint64_t)st->skip + (uint64_t)st->left;
		if (st->left >= 0 && want < st->limit)
			st->limit = want ? (uint32_t)want : 1; /* no owner owes more */
		snprintf(r->sql_text, sizeof r->sql_text, "%.200s (cursor, %s)", st->sql,
			 st->owned ? "owners' next batches" : "join kept by its owners");
		r->only_shard = 0;
	} else if (st->p->u.select.batch_nsort) {
		if (sorted_arm(st) != MUR_OK)
			return MUR_ENOMEM;
		snprintf(r->sql_text, sizeof r->sql_text, "%.200s (cursor, sorted batches)",
			 st->sql);
		r->only_shard = 0; /* the wanted shards: lead_stream_reads */
	} else {
		uint64_t want = (uint64_t)st->skip + (uint64_t)st->left;
		if (st->left >= 0 && want < st->limit)
			st->limit = want ? (uint32_t)want : 1; /* no shard owes more */
		if (sql_batch_sql(&st->p->u.select, st->has_last ? st->last : NULL, st->limit,
				  &st->batch_sql) != MUR_OK)
			return MUR_ENOMEM;
		snprintf(r->sql_text, sizeof r->sql_text, "%.200s (cursor, shard %u)", st->sql,
			 st->shard);
		r->only_shard = st->shard + 1;
	}
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
	if (!st->owned && st->version != cat_version(s->e->cat) &&
	    stream_replan(st, &err) != MUR_OK) {
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

/* A LIMIT / OFFSET of a sorted stream: the plan's constant, or its
 * parameter's value (NULL: none).  MUR_ERR: not a count (negative, not
 * an integer): the statement runs whole and says so. */
static int count_value(const lead_stream *st, int64_t constant, int param, int64_t *out)
{
	const mur_value *v;
	*out = constant;
	if (param <= 0)
		return MUR_OK;
	if (param > st->nparams)
		return MUR_ERR;
	v = &st->params[param - 1];
	if (v->kind == MV_NULL) {
		*out = -1;
		return MUR_OK;
	}
	if (v->kind != MV_INT || v->i < 0)
		return MUR_ERR;
	*out = v->i;
	return MUR_OK;
}

/* LIMIT / OFFSET of a stream (the sorted merge's, or an unsorted whole
 * query's: plan_select.batch_whole) */
static int counts_start(lead_stream *st)
{
	const plan_select *ps = &st->p->u.select;
	if (count_value(st, ps->batch_limit, ps->batch_limit_param, &st->left) != MUR_OK ||
	    count_value(st, ps->batch_offset, ps->batch_offset_param, &st->skip) != MUR_OK)
		return MUR_ERR;
	if (st->skip < 0)
		st->skip = 0;
	return MUR_OK;
}

static int sorted_start(lead_stream *st)
{
	if (counts_start(st) != MUR_OK)
		return MUR_ERR;
	/* owners: as many as the join picks, EXEC_SHUFFLE_PARTS_MAX at most */
	uint32_t n = st->p->u.select.batch_owner ? EXEC_SHUFFLE_PARTS_MAX : st->nshards;
	if (!(st->lasts = calloc(n ? n : 1, sizeof *st->lasts)))
		return MUR_ERR;
	for (uint32_t i = 0; i < n; i++) {
		mur_buf_init(&st->lasts[i].buf);
		mur_buf_init(&st->lasts[i].sql);
		st->lasts[i].want = 1; /* the first batches: every shard's */
	}
	return MUR_OK;
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
	mur_buf_init(&st->out);
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
	st->dry = -1;
	st->skip = 0;
	st->left = -1;
	if (st->p->u.select.batch_owner) /* owners, at most this many, until the join answers */
		st->nshards = (uint32_t)lead_shuffle_owners(s->e, st->owners);
	if (st->p->u.select.batch_nsort || st->p->u.select.batch_owner
		    ? sorted_start(st) != MUR_OK
		    : st->p->u.select.batch_whole && counts_start(st) != MUR_OK) {
		stream_free(st);
		return MUR_ERR; /* a LIMIT / OFFSET it cannot count: whole */
	}
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
	if (st->merge && (st->dry = mur_rowmerge_dry(st->merge)) < 0) {
		pgw_result *res = pgw_result_new(); /* rows buffered: no batch to read */
		if (!res || lead_result_columns(res, st->p) != MUR_OK) {
			pgw_result_free(res);
			mur_error_set(&err, SQLSTATE_OUT_OF_MEMORY, "out of memory");
			stream_fail(st, &err);
			return;
		}
		stream_merged(st, res);
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

const char *lead_stream_task_sql(const lead_run *r, uint32_t shard)
{
	const lead_stream *st = r->stream;
	return st->lasts && shard < st->nshards ? st->lasts[shard].sql.data : st->batch_sql.data;
}

int lead_stream_shards(const lead_run *r, uint32_t *shards, int n)
{
	const lead_stream *st = r->stream;
	int k = 0;
	if (!st->lasts)
		return n;
	for (int i = 0; i < n; i++)
		if (shards[i] < st->nshards && st->lasts[shards[i]].want)
			shards[k++] = shards[i];
	return k;
}

/* Shard sh's batch (nrows rows of st->merge_ncols in *rows) into the
 * merge (which may take its bytes: mur_rowmerge_put); its last row's
 * sort values and key kept for the next. */
static int merge_batch(lead_stream *st, uint32_t sh, mur_buf *rows, uint64_t nrows, mur_error *err)
{
	const plan_select *ps = &st->p->u.select;
	struct stream_last *l = &st->lasts[sh];
	mur_value *row = st->row, keys[PLAN_BATCH_SORT_MAX + PLAN_BATCH_KEYS_MAX];
	uint32_t nc = st->merge_ncols;
	mur_rd rd;
	int rc;
	if (nrows && nc < (uint32_t)ps->batch_nkeys)
		return mur_error_set(err, SQLSTATE_INTERNAL_ERROR, "batch rows lack their key");
	mur_rd_init(&rd, rows->data, rows->len);
	for (uint64_t i = 0; i < nrows; i++)
		for (uint32_t c = 0; c < nc; c++)
			if (mur_row_get_value(&rd, &row[c]) != MUR_OK)
				return mur_error_set(err, SQLSTATE_INTERNAL_ERROR,
						     "malformed rows from a follower");
	if (nrows) {
		for (int i = 0; i < ps->batch_nsort; i++)
			keys[i] = row[ps->batch_sort[i].col];
		for (int i = 0; i < ps->batch_nkeys; i++)
			keys[ps->batch_nsort + i] =
				row[nc - (uint32_t)ps->batch_nkeys + (uint32_t)i];
		if (values_copy(keys, ps->batch_nsort + ps->batch_nkeys, l->v, &l->buf) != MUR_OK)
			return mur_error_set(err, SQLSTATE_OUT_OF_MEMORY, "out of memory");
		l->has = 1;
	}
	rc = mur_rowmerge_put(st->merge, sh, rows, nrows, nrows < st->limit);
	if (rc == MUR_ENOMEM)
		return mur_error_set(err, SQLSTATE_OUT_OF_MEMORY, "out of memory");
	return rc == MUR_OK ? MUR_OK
			    : mur_error_set(err, SQLSTATE_INTERNAL_ERROR,
					    "malformed rows from a follower");
}

/* A sorted stream's batch: the wanted shards' rows into the merge (a
 * wanted shard with no task was pruned: nothing to read); r keeps no rows
 * (stream_merged hands them out). */
static int sorted_rows(lead_stream *st, lead_run *r, mur_error *err)
{
	mur_buf none;
	if (!st->merge) {
		st->merge_ncols = r->ncols;
		if (!(st->row = calloc(r->ncols + 1u, sizeof *st->row)) ||
		    !(st->merge = mur_rowmerge_new(st->nshards, r->ncols,
						   st->p->u.select.batch_sort,
						   st->p->u.select.batch_nsort)))
			return mur_error_set(err, SQLSTATE_OUT_OF_MEMORY, "out of memory");
	}
	for (int i = 0; i < r->ntasks; i++) {
		lead_task_slot *sl = &r->tasks[i];
		if (sl->stats_only || sl->shard >= st->nshards || !st->lasts[sl->shard].want)
			continue;
		st->lasts[sl->shard].want = 0;
		st->seen_rows += sl->res.nrows; /* the rows' width sizes the next batches */
		st->seen_bytes += sl->res.rows.len;
		if (sl->res.nrows && sl->res.ncols != st->merge_ncols)
			return mur_error_set(err, SQLSTATE_INTERNAL_ERROR,
					     "batch rows of unequal width");
		if (merge_batch(st, sl->shard, &sl->res.rows, sl->res.nrows, err) != MUR_OK)
			return MUR_ERR;
	}
	mur_buf_init(&none);
	for (uint32_t sh = 0; sh < st->nshards; sh++)
		if (st->lasts[sh].want) {
			int rc;
			st->lasts[sh].want = 0;
			rc = merge_batch(st, sh, &none, 0, err);
			mur_buf_free(&none); /* the batch the shard held before */
			if (rc != MUR_OK)
				return MUR_ERR;
		}
	mur_buf_reset(&r->rows);
	r->nrows = 0;
	return MUR_OK;
}

/* An unsorted stream's OFFSET and LIMIT over batch r's rows: the first
 * st->skip dropped, at most st->left kept; none left ends the stream. */
static int count_rows(lead_stream *st, lead_run *r, mur_error *err)
{
	uint64_t drop = (uint64_t)st->skip < r->nrows ? (uint64_t)st->skip : r->nrows;
	uint64_t keep = r->nrows - drop;
	size_t from = 0, to;
	mur_rd rd;
	mur_value v;
	if (st->left >= 0 && (uint64_t)st->left < keep)
		keep = (uint64_t)st->left;
	mur_rd_init(&rd, r->rows.data, r->rows.len);
	for (uint64_t i = 0; i < drop + keep; i++) {
		if (i == drop)
			from = rd.off;
		for (uint32_t c = 0; c < r->ncols; c++)
			if (mur_row_get_value(&rd, &v) != MUR_OK)
				return mur_error_set(err, SQLSTATE_INTERNAL_ERROR,
						     "malformed rows from a follower");
	}
	to = rd.off;
	if (keep == 0)
		from = to = 0;
	memmove(r->rows.data, r->rows.data + from, to - from);
	r->rows.len = to - from;
	r->nrows = keep;
	st->skip -= (int64_t)drop;
	if (st->left >= 0 && (st->left -= (int64_t)keep) == 0) {
		st->shard = st->nshards - 1; /* as if the last shard ended: done */
		st->batch_rows = 0;
	}
	return MUR_OK;
}

/* The first batch's run ran the subqueries: their values (r's parameters
 * after the statement's own) kept for the later batches. */
static int bind_subs(lead_stream *st, const lead_run *r, mur_error *err)
{
	mur_value *params;
	mur_buf buf;
	if (r->nparams <= st->nparams)
		return MUR_OK;
	mur_buf_init(&buf);
	if (!(params = calloc((size_t)r->nparams, sizeof *params)) ||
	    values_copy(r->params, r->nparams, params, &buf) != MUR_OK) {
		free(params);
		mur_buf_free(&buf);
		return mur_error_set(err, SQLSTATE_OUT_OF_MEMORY, "out of memory");
	}
	free(st->params);
	mur_buf_free(&st->param_buf);
	st->params = params;
	st->param_buf = buf;
	st->nparams = r->nparams;
	return MUR_OK;
}

/* The join's first run answered: its owners become the merge's sources
 * (each RECV's slot's shard is its owner's index: lead_join.c). */
static int owners_kept(lead_stream *st, const lead_run *r, mur_error *err)
{
	const lead_shuffle *sh = r->shuffle;
	if (!sh || sh->nowners < 1 || sh->nowners > EXEC_SHUFFLE_PARTS_MAX)
		return mur_error_set(err, SQLSTATE_INTERNAL_ERROR,
				     "a cursor's join answered without its owners");
	st->shuffle_id = sh->id;
	st->nshards = (uint32_t)sh->nowners;
	memcpy(st->owners, sh->owners, sizeof st->owners[0] * (size_t)sh->nowners);
	st->owned = 1;
	return MUR_OK;
}

int lead_stream_fetching(const lead_run *r) { return r->stream && r->stream->owned; }

void lead_stream_fetch(lead_run *r)
{
	lead_stream *st = r->stream;
	lead_engine *e = r->e;
	for (uint32_t o = 0; o < st->nshards && !r->failed; o++) {
		exec_task t;
		mur_error err;
		if (!st->lasts[o].want)
			continue;
		if (!e->tr.connected(e->tr.ctx, st->owners[o])) {
			const cat_node *nd = cat_node_by_id(e->cat, st->owners[o]);
			mur_error_set(&err, SQLSTATE_CONNECTION_FAILURE,
				      "follower \"%s\", which keeps part of this cursor's rows, is "
				      "lost",
				      nd ? nd->name : "?");
			mur_error_hint(&err, "the cursor cannot go on; run its query again");
			lead_run_fail(r, &err);
			break;
		}
		memset(&t, 0, sizeof t);
		t.kind = EXEC_TASK_SHUFFLE_FETCH;
		t.shuffle_id = st->shuffle_id;
		t.shuffle_batch = st->limit;
		lead_run_send(r, st->owners[o], o, 0, &t);
	}
	lead_run_wait(r, lead_select_merge);
}

uint32_t lead_stream_batch_rows(const lead_run *r) { return r->stream ? r->stream->limit : 0; }

int lead_stream_rows(lead_run *r, mur_error *err)
{
	lead_stream *st = r->stream;
	if (bind_subs(st, r, err) != MUR_OK)
		return MUR_ERR;
	if (st->p->u.select.batch_owner && !st->owned && owners_kept(st, r, err) != MUR_OK)
		return MUR_ERR;
	if (st->p->u.select.batch_nsort || st->p->u.select.batch_owner)
		return sorted_rows(st, r, err); /* its tasks' rows: r->rows is empty */
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
	return st->skip > 0 || st->left >= 0 ? count_rows(st, r, err) : MUR_OK;
}
