/*
 * lead_select.c — distributed SELECT on the leader.
 *
 *   lead_select_start: prune shards, send one QUERY task per shard to a
 *                      readable placement (any current copy of a quiet
 *                      shard, by load: lead_strong_node; else the primary)
 *   select_merge:      concatenate shard rows → [final hash aggregate] →
 *                      [final SQL in the leader's SQLite] → DataRows
 *
 * The stages are described in sql/plan.h.  A join reads shard i of the
 * driver table (tables[0]) and of the tables co-located with it, and shard
 * 0 of each reference table, all on one follower (lead_shard_of).
 */
#include "ops/hashagg.h"
#include "leader/lead_int.h"

#include "common/clock.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

uint32_t lead_read_node(lead_engine *e, const cat_shard *s) { return repl_read_node(e->repl, s); }

/* The bound's value: its constant, or its parameter coerced to its type
 * (text in scratch; MUR_ERR after failing the run). */
static int bound_value(lead_run *r, const plan_bound *b, mur_buf *scratch, mur_value *out)
{
	mur_error err;
	if (b->param <= 0 || b->param > r->nparams) {
		*out = b->constant;
		return MUR_OK;
	}
	if (r->params[b->param - 1].kind == MV_NULL) {
		*out = mur_v_null();
		return MUR_OK;
	}
	if (mur_value_coerce(b->type, &r->params[b->param - 1], scratch, out, &err) != MUR_OK) {
		lead_run_fail(r, &err);
		return MUR_ERR;
	}
	return MUR_OK;
}

/* The tighter of two bounds on one side: a the current one (or NULL). */
static int tighter(const mur_value *a, int a_incl, const mur_value *b, int b_incl, int upper)
{
	int c;
	if (!a)
		return 1;
	c = mur_value_cmp(b, a);
	if (c == 0)
		return a_incl && !b_incl;
	return upper ? c < 0 : c > 0;
}

/* A range table's shards that every bound of pr leaves (at least one:
 * bounds that exclude every row are answered by any one shard). */
static int prune_range(lead_run *r, const cat_table *t, const plan_prune *pr, uint32_t *out)
{
	mur_value vals[PLAN_PRUNE_BOUNDS_MAX];
	mur_buf scratch[PLAN_PRUNE_BOUNDS_MAX]; /* one each: a value must not move */
	const mur_value *lo = NULL, *hi = NULL;
	int lo_incl = 1, hi_incl = 1, n = -1;

	for (int i = 0; i < pr->nbounds; i++)
		mur_buf_init(&scratch[i]);
	for (int i = 0; i < pr->nbounds; i++) {
		const plan_bound *b = &pr->bounds[i];
		if (bound_value(r, b, &scratch[i], &vals[i]) != MUR_OK)
			goto out;
		if (vals[i].kind == MV_NULL) { /* col < NULL: no row */
			out[0] = t->range_order[0];
			n = 1;
			goto out;
		}
		if (b->upper && tighter(hi, hi_incl, &vals[i], b->inclusive, 1)) {
			hi = &vals[i];
			hi_incl = b->inclusive;
		} else if (!b->upper && tighter(lo, lo_incl, &vals[i], b->inclusive, 0)) {
			lo = &vals[i];
			lo_incl = b->inclusive;
		}
	}
	n = cat_range_shards(t, lo, lo_incl, hi, hi_incl, out);
	if (n == 0) {
		out[0] = t->range_order[0];
		n = 1;
	}
out:
	for (int i = 0; i < pr->nbounds; i++)
		mur_buf_free(&scratch[i]);
	return n;
}

/* A distribution value the plan names: its parameter or constant,
 * coerced to the column's type (text in scratch).  0 when it is NULL (no
 * row matches), -1 when it does not coerce (r failed). */
static int key_value(lead_run *r, int param, const mur_value *constant, mur_type type,
		     mur_buf *scratch, mur_value *out)
{
	mur_value v;
	mur_error err;
	v = param > 0 && param <= r->nparams ? r->params[param - 1] : *constant;
	if (v.kind == MV_NULL)
		return 0;
	if (mur_value_coerce(type, &v, scratch, out, &err) != MUR_OK) {
		lead_run_fail(r, &err);
		return -1;
	}
	return 1;
}

/* The distribution value a router plan pins (pr->active). */
static int pinned_value(lead_run *r, const plan_prune *pr, mur_buf *scratch, mur_value *out)
{
	return key_value(r, pr->param, &pr->constant, pr->type, scratch, out);
}

/* The shards of pr's keys (col IN (...)), ascending, each once; at least
 * one: keys that are all NULL match no row, and any one shard answers. */
static int prune_keys(lead_run *r, const cat_table *t, const plan_prune *pr, uint32_t *out)
{
	uint8_t hit[CAT_SHARDS_MAX] = {0};
	int n = 0;
	for (int i = 0; i < pr->nkeys; i++) {
		mur_buf scratch; /* not r->param_scratch: r->params point into it */
		mur_value v;
		int pinned;
		mur_buf_init(&scratch);
		pinned = key_value(r, pr->keys[i].param, &pr->keys[i].constant, pr->type, &scratch,
				   &v);
		if (pinned > 0)
			hit[cat_shard_for_value(t, &v)] = 1;
		mur_buf_free(&scratch);
		if (pinned < 0)
			return -1;
	}
	for (uint32_t s = 0; s < t->nshards; s++)
		if (hit[s])
			out[n++] = s;
	if (n == 0)
		out[n++] = 0;
	return n;
}

int lead_prune(lead_run *r, const cat_table *t, const plan_prune *pr, uint32_t *out)
{
	mur_value cv;
	mur_buf scratch;
	int pinned;

	if (!pr->active && pr->nkeys > 0)
		return prune_keys(r, t, pr, out);
	if (!pr->active && pr->nbounds && cat_table_is_range(t))
		return prune_range(r, t, pr, out);
	if (!pr->active) {
		for (uint32_t i = 0; i < t->nshards; i++)
			out[i] = i;
		return (int)t->nshards;
	}
	/* not r->param_scratch: r->params point into it, and it may move */
	mur_buf_init(&scratch);
	pinned = pinned_value(r, pr, &scratch, &cv);
	/* col = NULL matches nothing; any one shard answers that */
	out[0] = pinned > 0 ? cat_shard_for_value(t, &cv) : 0;
	mur_buf_free(&scratch);
	return pinned < 0 ? -1 : 1;
}

uint32_t lead_shard_of(const plan_select *ps, int i, uint32_t shard)
{
	return cat_table_is_reference(ps->tables[i]) ? 0 : shard;
}

/* A join reads shard i of every table inside one follower: pick a node
 * holding a current copy of each (lead_strong_node's copy of tables[0] first). */
/* Does node hold a current copy of shard sh of t, with every entry a read
 * must see (the lock holder's pipelined writes included)? */
int lead_current_on(lead_engine *e, const cat_table *t, uint32_t sh, uint32_t node)
{
	const cat_shard *s = &t->shards[sh];
	uint64_t need = repl_read_lsn(e->repl, t, sh);
	for (int k = 0; k < s->nplacements; k++)
		if (s->placements[k].node_id == node && s->placements[k].state == CAT_PL_CURRENT &&
		    s->placements[k].applied_lsn >= need)
			return e->tr.connected(e->tr.ctx, node);
	return 0;
}

static uint32_t colocated_node(lead_engine *e, const plan_select *ps, uint32_t shard)
{
	const cat_shard *s0 = &ps->tables[0]->shards[shard];
	uint32_t first = lead_strong_node(e, ps->tables[0], shard);
	for (int pass = 0; pass < 2; pass++)
		for (int k = 0; k < s0->nplacements; k++) {
			uint32_t node = pass == 0 ? first : s0->placements[k].node_id;
			int ok = node != 0;
			for (int i = 0; i < ps->ntables && ok; i++)
				ok = lead_current_on(e, ps->tables[i], lead_shard_of(ps, i, shard),
						     node);
			if (ok)
				return node;
			if (pass == 0)
				break;
		}
	return 0;
}

/* A co-located join's follower for shard `shard` after the gate: one
 * holding current copies of every table's (colocated_node), else at
 * bounded or available the one lead_stale_coloc_node picks (*stale set,
 * bounds[i] tables[i]'s bound); 0 when none. */
static uint32_t join_node(lead_run *r, const plan_select *ps, uint32_t shard, lead_read_level level,
			  uint64_t *bounds, int *stale)
{
	uint32_t node = colocated_node(r->e, ps, shard);
	if (node)
		return node;
	node = lead_stale_coloc_node(r, ps, shard, level, bounds);
	*stale = node != 0;
	return node;
}

/* The distribution column is the whole primary key: a router plan on it
 * is an index lookup of at most one row (safe to run on the follower's
 * event loop). */
static int point_key(const cat_table *t)
{
	int npk = 0;
	for (int i = 0; i < t->ncols; i++)
		npk += t->cols[i].primary_key;
	return npk == 1 && t->dist_col >= 0 && t->cols[t->dist_col].primary_key;
}

/* Fill a QUERY task for shard `shard` of the plan's (co-located) tables. */
static void fill_query_task(lead_run *r, const plan_select *ps, uint32_t shard, exec_task *t)
{
	memset(t, 0, sizeof *t);
	t->kind = EXEC_TASK_QUERY;
	t->nplacements = (uint32_t)ps->ntables;
	for (int i = 0; i < ps->ntables; i++)
		cat_placement_file(ps->tables[i], lead_shard_of(ps, i, shard), t->placements[i],
				   sizeof t->placements[i]);
	/* a cursor's batch SQL; its owners' senders send what a shuffle does */
	t->sql = r->stream && !ps->batch_owner ? lead_stream_task_sql(r, shard) : ps->shard_sql;
	t->nparams = (uint32_t)r->nparams;
	t->params = r->params;
	if (ps->has_partial_agg && !(r->stream && ps->batch_whole)) {
		t->has_agg = 1;
		t->agg = ps->partial_agg;
		if (!r->stream || ps->batch_owner)
			t->having_sql = ps->shard_having;
	}
	t->quick = ps->router && ps->prune.active && ps->ntables == 1 && point_key(ps->tables[0]);
	if (ps->scan_column && (!r->stream || ps->batch_owner)) {
		t->scan_table = ps->tables[0]->name;
		t->scan_column = ps->scan_column;
	}
}

static void resume_select(void *arg) { lead_select_start(arg); }

/* r reads (or waits elsewhere) now: its reservations go, the writes they
 * held back start at the next turn of the loop (repl_unpark). */
static void read_unreserve(lead_run *r)
{
	if (!r->read_since_us)
		return;
	r->read_since_us = 0;
	repl_unpark(r->e->repl, r);
}

int lead_read_wait(lead_run *r, const cat_table *t, uint32_t sh, const mur_value *key)
{
	mur_error err;
	int gated = repl_read_gated_txn(r->e->repl, t, sh, key, lead_txn_of_run(r), resume_select,
					r, &err);
	if (gated < 0) /* cannot park, and must not read an undecided entry */
		lead_run_fail(r, &err);
	if (gated > 0)
		return 2;
	if (!repl_shard_reconciling(r->e->repl, &t->shards[sh]))
		return 0;
	read_unreserve(r); /* parked once only: restarted by lead_run_start */
	return lead_run_park(r);
}

/* r's read waits on a gate: every shard it reads is reserved from now on
 * (a transaction's first lock there after r->read_since_us waits for r:
 * repl_read_reserve), so the read is not starved by writers that come
 * after it.  Out of memory: the shard is not reserved (r may wait longer). */
static void read_reserve(lead_run *r, const plan_select *ps, const uint32_t *shards, int n)
{
	mur_error err;
	if (!r->read_since_us)
		r->read_since_us = mur_now_us();
	for (int i = 0; i < n; i++)
		for (int j = 0; j < ps->ntables; j++)
			repl_read_reserve(r->e->repl, ps->tables[j],
					  lead_shard_of(ps, j, shards[i]), r->read_since_us,
					  resume_select, r, &err);
}

/* ---- SELECT … FOR UPDATE / SHARE in a block ---- */

static void rows_locked(lead_run *r)
{
	if (r->failed)
		lead_run_finish(r);
	else
		lead_select_start(r);
}

static void shard_locked(void *arg, repl_wop *op, int failed, const mur_error *err,
			 const exec_result *primary)
{
	lead_run *r = arg;
	(void)op;
	(void)primary;
	if (failed)
		lead_run_fail(r, err);
	if (--r->npending == 0 && r->on_tasks_done) {
		lead_run_next next = r->on_tasks_done;
		r->on_tasks_done = NULL;
		next(r);
	}
}

static void lock_one(lead_run *r, const cat_table *t, uint32_t sh, const repl_write_facts *f)
{
	mur_error err;
	r->npending++;
	if (repl_lock_shard(r->e->repl, t, sh, f, shard_locked, r, &err) != MUR_OK) {
		r->npending--;
		lead_run_fail(r, &err);
	}
}

/* The statement locks the rows it reads (FOR UPDATE / SHARE) or runs in a
 * SERIALIZABLE block, in a block: take the lock of every shard it reads
 * (shard-granular; shared, or exclusive as a write's for FOR UPDATE / NO
 * KEY UPDATE; held to the block's end: strict two-phase locking), then
 * start again.  1 when r waits for them. */
static int lock_reads(lead_run *r)
{
	const plan_select *ps = &r->p->u.select;
	uint32_t shards[CAT_SHARDS_MAX];
	repl_write_facts f = {0};
	int n;
	if ((!ps->locks_rows && !lead_txn_serializable(r->s)) || r->rows_locked || !r->block_txid ||
	    !(f.txn = lead_txn_of_run(r)))
		return 0;
	r->rows_locked = 1;
	lead_txn_wait_facts(r->s, &f);
	/* reads share a shard (SERIALIZABLE, FOR SHARE); FOR UPDATE is a write's */
	f.lock_shared = ps->locks_rows != PLAN_LOCK_ROWS_UPDATE;
	n = lead_prune(r, ps->tables[0], &ps->prune, shards);
	for (int j = 0; j < ps->ntables && !r->failed; j++) {
		const cat_table *t = ps->tables[j];
		if (ps->join_shuffle && j > 0 && !cat_table_is_reference(t)) {
			for (uint32_t sh = 0; sh < t->nshards && !r->failed; sh++)
				lock_one(r, t, sh, &f);
			continue;
		}
		for (int i = 0; i < n && !r->failed; i++)
			if (!cat_table_is_reference(t) || i == 0)
				lock_one(r, t, lead_shard_of(ps, j, shards[i]), &f);
	}
	lead_run_wait(r, rows_locked);
	return 1;
}

void lead_select_start(lead_run *r)
{
	const plan_select *ps = &r->p->u.select;
	const cat_table *t0 = ps->tables[0];
	uint32_t shards[CAT_SHARDS_MAX];
	mur_value key_value, *key = NULL;
	mur_buf key_scratch;
	mur_error err;
	lead_read_level level;
	int n;

	if (lock_reads(r))
		return;
	if (lead_stream_fetching(r)) {
		lead_stream_fetch(r); /* a cursor's owners keep the join or groups */
		return;
	}
	if (ps->join_shuffle) {
		lead_join_start(r);
		return;
	}
	n = lead_prune(r, t0, &ps->prune, shards);
	if (r->only_shard && n > 0) {           /* COPY TO, a cursor: a shard at a time */
		int pruned = r->stream != NULL; /* a cursor reads none the plan prunes */
		for (int i = 0; i < n; i++)
			pruned &= shards[i] != r->only_shard - 1;
		shards[0] = r->only_shard - 1;
		n = !pruned;
	} else if (r->stream && !ps->batch_owner) { /* a sorted cursor's next batches */
		n = lead_stream_shards(r, shards, n);
	}
	/* bounded and available: committed data from a copy now, no gate */
	if (!r->failed && lead_stale_now(r, ps, shards, n))
		return;
	/* a read of one table pinned to one distribution value sees only rows
	 * with that value: it waits only for undecided entries that may hold one */
	if (n == 1 && ps->ntables == 1 && ps->prune.active && !r->failed)
		key = &key_value;
	mur_buf_init(&key_scratch);
	if (key && pinned_value(r, &ps->prune, &key_scratch, key) != 1)
		key = NULL;

	/* An undecided write on one of the shards read (of any table joined):
	 * wait for its outcome, then start over (replication resumes the run
	 * with lead_select_start: lead_read_wait). */
	for (int i = 0; i < n && !r->failed; i++)
		for (int j = 0; j < ps->ntables; j++) {
			const cat_table *tj = ps->tables[j];
			uint32_t sh = lead_shard_of(ps, j, shards[i]);
			int w = lead_read_wait(r, tj, sh, key);
			if (w == 2)
				read_reserve(r, ps, shards, n);
			if (w) {
				mur_buf_free(&key_scratch);
				return;
			}
		}
	mur_buf_free(&key_scratch);
	read_unreserve(r);
	/* a cursor over repartitioned groups: its owners keep them (lead_stream.c) */
	if (!r->failed && (r->stream ? ps->batch_owner : lead_shuffle_chosen(r, ps, n))) {
		lead_shuffle_start(r, shards, n);
		return;
	}
	memset(&r->stale, 0, sizeof r->stale);
	level = lead_stale_level(r);
	for (int i = 0; i < n && !r->failed; i++) {
		const cat_shard *s = &t0->shards[shards[i]];
		uint64_t bounds[PLAN_TABLES_MAX] = {0};
		int stale = 0;
		uint32_t node = ps->ntables > 1
					? join_node(r, ps, shards[i], level, bounds, &stale)
					: lead_stale_node(r, t0, shards[i], level, &bounds[0]);
		exec_task t;
		if (!node && ps->ntables == 1 && lead_stale_skip(r, t0, shards[i], level))
			continue; /* allow_partial_results: the WARNING names it */
		if (!node) {
			mur_error_set(&err, SQLSTATE_CONNECTION_FAILURE,
				      ps->ntables > 1
					      ? "no reachable follower holds current copies of "
						"shard "
						"%u of table \"%s\" and of the tables joined with "
						"it"
					      : "no current copy of shard %u of table \"%s\" is "
						"reachable",
				      s->index, t0->name);
			if (ps->ntables == 1 && level == LEAD_READ_BOUNDED)
				mur_error_hint(&err,
					       "no reachable copy is within murphy.max_staleness "
					       "and "
					       "as new as what this session read; "
					       "murphy.read_consistency = 'available' reads the "
					       "freshest reachable copy");
			else
				mur_error_hint(&err,
					       "check murphy.nodes and murphy.placements: the "
					       "followers holding it are down or still catching "
					       "up");
			lead_reread_detail(r, t0, s->index, &err);
			lead_run_fail(r, &err);
			break;
		}
		fill_query_task(r, ps, s->index, &t);
		t.lsn = bounds[0];
		for (int j = 1; j < ps->ntables; j++)
			t.attached_bound[j] = bounds[j];
		if (lead_run_send(r, node, s->index, 1, &t) != MUR_OK)
			break;
		r->tasks[r->ntasks - 1].read_bound = bounds[0];
		if (ps->ntables == 1)
			r->tasks[r->ntasks - 1].table = t0;
		if (stale) /* its refusal is read again (lead_reread.c) */
			r->tasks[r->ntasks - 1].coloc = ps;
		lead_reread_mark(r);
	}
	lead_run_wait(r, lead_select_merge);
}

/* Merge the shard results into r->rows / r->nrows / r->ncols. */
static int merge_rows(lead_run *r, mur_error *err)
{
	const plan_select *ps = &r->p->u.select;
	uint32_t ncols = 0;

	for (int i = 0; i < r->ntasks; i++)
		if (r->tasks[i].res.ncols && !r->tasks[i].stats_only)
			ncols = r->tasks[i].res.ncols;
	if (ps->has_final_agg && !r->stream) { /* a stream's batches are whole */
		exec_hashagg *h;
		if (ncols == 0)
			ncols = ps->final_agg.ngroup + ps->partial_agg.naggs;
		h = exec_hashagg_create(&ps->final_agg, ncols);
		if (!h)
			return mur_error_set(err, SQLSTATE_OUT_OF_MEMORY, "out of memory");
		for (int i = 0; i < r->ntasks; i++) {
			lead_task_slot *sl = &r->tasks[i];
			if (sl->stats_only)
				continue;
			if (exec_hashagg_add_rows(h, sl->res.rows.data, sl->res.rows.len,
						  sl->res.nrows) != MUR_OK) {
				*err = *exec_hashagg_error(h);
				exec_hashagg_destroy(h);
				return MUR_ERR;
			}
		}
		mur_buf_reset(&r->rows);
		if (exec_hashagg_finish(h, &r->rows, &r->nrows) != MUR_OK) {
			*err = *exec_hashagg_error(h);
			exec_hashagg_destroy(h);
			return MUR_ERR;
		}
		exec_hashagg_destroy(h);
		r->ncols = ps->final_agg.ngroup + ps->final_agg.naggs;
		return MUR_OK;
	}
	mur_buf_reset(&r->rows);
	r->nrows = 0;
	for (int i = 0; i < r->ntasks; i++) {
		lead_task_slot *sl = &r->tasks[i];
		if (sl->stats_only || (r->stream && (ps->batch_nsort || ps->batch_owner)))
			continue; /* a sorted cursor merges the tasks' rows (lead_stream.c) */
		mur_buf_put(&r->rows, sl->res.rows.data, sl->res.rows.len);
		r->nrows += sl->res.nrows;
	}
	if (!ncols) /* no shard said: its partials (groups colocated) or the outputs */
		ncols = ps->has_partial_agg && !r->stream /* a stream's batch: the outputs */
				? ps->partial_agg.ngroup + ps->partial_agg.naggs
				: (uint32_t)r->p->nout;
	r->ncols = ncols;
	if (!mur_buf_ok(&r->rows))
		return mur_error_set(err, SQLSTATE_OUT_OF_MEMORY, "out of memory merging rows");
	return MUR_OK;
}

/* sql is "SELECT c0, c1, ... FROM r" over all ncols merged columns: the
 * rows as they are (a shuffled join's groups, whole on their owners). */
static int final_is_identity(const char *sql, uint32_t ncols)
{
	char want[32];
	size_t n = strlen("SELECT ");
	if (ncols == 0 || strncmp(sql, "SELECT ", n))
		return 0;
	for (uint32_t i = 0; i < ncols; i++) {
		int w = snprintf(want, sizeof want, "%sc%u", i ? ", " : "", i);
		if (strncmp(sql + n, want, (size_t)w))
			return 0;
		n += (size_t)w;
	}
	return strcmp(sql + n, " FROM r") == 0;
}

/* Final SQL over the merged rows, in the leader's SQLite. */
static int final_stage(lead_run *r, mur_error *err)
{
	const plan_select *ps = &r->p->u.select;
	mur_buf out;
	uint64_t nrows = 0;
	uint32_t ncols = 0;

	if (!ps->final_sql || final_is_identity(ps->final_sql, r->ncols))
		return MUR_OK;
	mur_buf_init(&out);
	if (lead_local_query(r->e, ps->final_sql, r->params, r->nparams, &r->rows, r->nrows,
			     r->ncols, &out, &nrows, &ncols, err) != MUR_OK) {
		mur_buf_free(&out);
		return MUR_ERR;
	}
	mur_buf_free(&r->rows);
	r->rows = out;
	r->nrows = nrows;
	r->ncols = ncols;
	return MUR_OK;
}

/* Continuation when every shard has answered. */
void lead_select_merge(lead_run *r)
{
	mur_error err;

	if (lead_reread(r, 1))
		return; /* a copy was lost or refused: started over */
	if (!r->failed && merge_rows(r, &err) != MUR_OK)
		lead_run_fail(r, &err);
	lead_select_finish(r);
}

void lead_select_finish(lead_run *r)
{
	mur_error err;

	if (!r->failed && !r->stream && final_stage(r, &err) != MUR_OK) /* a stream merges */
		lead_run_fail(r, &err);
	if (!r->failed && r->stream && lead_stream_rows(r, &err) != MUR_OK)
		lead_run_fail(r, &err);
	lead_stale_report(r);
	if (r->parent) {
		/* INSERT ... SELECT / EXPLAIN ANALYZE take the rows from here */
		lead_run_finish(r);
		return;
	}
	if (!r->failed &&
	    (lead_result_columns(r->res, r->p) != MUR_OK ||
	     lead_format_rows(r->s, r->res, r->p, &r->rows, r->nrows, r->ncols, &err) != MUR_OK))
		lead_run_fail(r, &err);
	lead_run_finish(r);
}

uint32_t lead_select_node(lead_run *r, uint32_t shard)
{
	const plan_select *ps = &r->p->u.select;
	return ps->ntables > 1 ? colocated_node(r->e, ps, shard)
			       : lead_read_node(r->e, &ps->tables[0]->shards[shard]);
}

void lead_select_fill_task(lead_run *r, uint32_t shard, exec_task *t)
{
	fill_query_task(r, &r->p->u.select, shard, t);
}
