/*
 * lead_shuffle.c — repartition on the leader (docs/shuffle.md; the
 * follower side is follower/shuffle.h).
 *
 *   choose  murphy.shuffle_strategy: 'gather' never, 'repartition' always
 *           (when the plan can), 'auto' (default) when the rows a gather
 *           would pull into the leader are estimated at LEAD_SHUFFLE_AUTO_ROWS
 *           or more and at least two followers can own parts.  Estimate per
 *           shard: its row count (murphy.shards, kept moving by inserts and
 *           deletes, exact after ANALYZE), capped by the product of the
 *           hash columns' distinct counts when ANALYZE measured them.
 *   start   owners = the connected followers, in node id order; a RECV task
 *           to every owner, then one SEND task per shard to the follower
 *           that reads it (the same choice as a gather)
 *   cancel  the first failed task makes the leader send CANCEL to every
 *           owner, so their RECVs fail at once instead of waiting for
 *           parts that will not come
 *   again   a task lost (08006) or a SEND refused past its bound cancels
 *           the others too (shuffle_restart); once all answered, the
 *           SELECT starts over outside a block (lead_reread.c)
 *   levels  bounded / available: SENDs read copies within the level with
 *           its bound; only followers as fast as the fastest own parts
 *   merge   the owners' rows, concatenated or merged with leader_agg, then
 *           lead_select_finish (final SQL, DataRows)
 *
 * Task slots of a repartitioned run: [0, nowners) the RECVs, then the
 * SENDs (one per shard), then any CANCELs.
 */
#include "ops/hashagg.h"
#include "common/clock.h"
#include "leader/lead_int.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void lead_shuffle_free(lead_run *r)
{
	free(r->shuffle);
	r->shuffle = NULL;
}

/* ---- choice -------------------------------------------------------------- */

int lead_shuffle_owners(lead_engine *e, uint32_t *owners)
{
	int n = 0;
	for (int i = 0; i < cat_node_count(e->cat) && n < EXEC_SHUFFLE_PARTS_MAX; i++) {
		const cat_node *nd = cat_node_at(e->cat, i);
		if (nd->role == CAT_NODE_FOLLOWER && nd->state == CAT_NODE_ALIVE &&
		    e->tr.connected(e->tr.ctx, nd->id))
			owners[n++] = nd->id;
	}
	return n;
}

/* Rows a gather would bring into the leader (at most: a shard's partial
 * aggregate has no more rows than the shard, nor than the distinct tuples
 * of the hash columns: the product of their ANALYZE estimates, + 1 each
 * for NULL, when every hash column is a column of tables[0] measured). */
static uint64_t gather_rows_estimate(const plan_select *ps)
{
	const cat_table *t0 = ps->tables[0];
	uint64_t total = 0;
	for (uint32_t i = 0; i < t0->nshards; i++) {
		uint64_t rows = t0->shards[i].rows, tuples = ps->shuffle_hash_cols ? 1 : UINT64_MAX;
		for (uint32_t k = 0; k < ps->shuffle_hash_cols && tuples <= rows; k++) {
			uint64_t d = ps->shuffle_cols[k] < 0
					     ? 0
					     : cat_shard_distinct(t0, i, ps->shuffle_cols[k]);
			tuples = d && tuples <= rows / (d + 1) ? tuples * (d + 1) : UINT64_MAX;
		}
		total += tuples < rows ? tuples : rows;
	}
	return total;
}

int lead_shuffle_chosen(lead_run *r, const plan_select *ps, int nshards)
{
	const char *v = lead_session_get(r->s, "murphy.shuffle_strategy");
	uint32_t owners[EXEC_SHUFFLE_PARTS_MAX];
	int nowners;

	if (!ps->shuffle_hash_cols || ps->router || nshards < 1 || (v && !strcmp(v, "gather")))
		return 0;
	nowners = lead_shuffle_owners(r->e, owners);
	if (nowners < 1)
		return 0;
	if (v && !strcmp(v, "repartition"))
		return 1;
	if (nowners < 2 || nshards < 2)
		return 0;
	return gather_rows_estimate(ps) >= LEAD_SHUFFLE_AUTO_ROWS;
}

/* ---- run ----------------------------------------------------------------- */

static uint64_t next_shuffle_id(lead_engine *e) { return lead_time_id(&e->shuffle_next); }

/* Tell every owner to fail its RECV, saying why. */
static void cancel_owners(lead_run *r, const char *why)
{
	lead_shuffle *sh = r->shuffle;
	if (!sh || sh->cancelled)
		return;
	sh->cancelled = 1;
	for (int i = 0; i < sh->nowners; i++) {
		exec_task t;
		memset(&t, 0, sizeof t);
		t.kind = EXEC_TASK_SHUFFLE_CANCEL;
		t.shuffle_id = sh->id;
		t.sql = why;
		if (!r->e->tr.connected(r->e->tr.ctx, sh->owners[i]))
			continue; /* its RECV fails with the connection */
		if (lead_run_send(r, sh->owners[i], 0, 0, &t) == MUR_OK) {
			r->tasks[r->ntasks - 1].stats_only = 1;
			lead_reread_mark(r);
		}
	}
}

static void send_cancels(lead_run *r) { cancel_owners(r, r->err.message); }

/* A task lost or refused: cancel the others (their failures dropped);
 * lead_shuffle_merge starts over once all answered. */
static void shuffle_restart(lead_run *r)
{
	r->restarting = 1;
	cancel_owners(r, "a copy read was lost or refused; the leader starts the shuffle over");
}

lead_shuffle *lead_shuffle_new(lead_run *r, const uint32_t *owners, int nowners, const char *what)
{
	lead_shuffle *sh = calloc(1, sizeof *sh);
	mur_error err;
	size_t len = 0;

	if (!sh) {
		mur_error_set(&err, SQLSTATE_OUT_OF_MEMORY, "out of memory");
		lead_run_fail(r, &err);
		return NULL;
	}
	r->shuffle = sh;
	sh->id = next_shuffle_id(r->e);
	sh->what = what;
	sh->nowners = nowners;
	for (int i = 0; i < nowners; i++) {
		const cat_node *nd = cat_node_by_id(r->e->cat, owners[i]);
		sh->owners[i] = owners[i];
		len += (size_t)snprintf(sh->to + len, sizeof sh->to - len, "%s%s", i ? "," : "",
					nd ? nd->addr : "?");
	}
	r->on_task_failed = send_cancels;
	r->on_task_lost = shuffle_restart;
	return sh;
}

int lead_shuffle_send(lead_run *r, uint32_t node, const cat_table *tb, uint32_t shard,
		      uint64_t bound, exec_task *t)
{
	lead_task_slot *sl;
	t->lsn = bound;
	if (lead_run_send(r, node, shard, 1, t) != MUR_OK)
		return MUR_ERR;
	sl = &r->tasks[r->ntasks - 1];
	sl->stats_only = 1;
	sl->table = tb;
	sl->read_bound = bound;
	lead_reread_mark(r);
	r->shuffle->nsends++;
	return MUR_OK;
}

void lead_shuffle_abort_if_failed(lead_run *r)
{
	if (r->failed)
		send_cancels(r);
}

/* No copy of shard `shard` to read: 08006 (lead_reread_detail's DETAIL). */
static void no_copy(lead_run *r, uint32_t shard)
{
	const cat_table *t = r->p->u.select.tables[0];
	mur_error err;
	mur_error_set(&err, SQLSTATE_CONNECTION_FAILURE,
		      "no current copy of shard %u of table \"%s\" is reachable", shard, t->name);
	mur_error_hint(&err, "check murphy.nodes and murphy.placements");
	lead_reread_detail(r, t, shard, &err);
	lead_run_fail(r, &err);
}

void lead_shuffle_start(lead_run *r, const uint32_t *shards, int n)
{
	const plan_select *ps = &r->p->u.select;
	lead_read_level level = lead_stale_level(r);
	uint32_t nodes[CAT_SHARDS_MAX];
	uint64_t bounds[CAT_SHARDS_MAX] = {0};

	memset(&r->stale, 0, sizeof r->stale);
	for (int i = 0; i < n && i < CAT_SHARDS_MAX; i++) {
		/* one table: a stale copy within the level when no current one */
		nodes[i] = ps->ntables == 1
				   ? lead_stale_node(r, ps->tables[0], shards[i], level, &bounds[i])
				   : lead_select_node(r, shards[i]);
		if (!nodes[i]) {
			no_copy(r, shards[i]);
			lead_run_wait(r, lead_select_finish);
			return;
		}
	}
	lead_shuffle_start_on(r, shards, n, nodes, bounds, lead_shuffle_merge);
}

void lead_shuffle_start_on(lead_run *r, const uint32_t *shards, int n, const uint32_t *nodes,
			   const uint64_t *bounds, lead_run_next next)
{
	const plan_select *ps = &r->p->u.select;
	uint32_t owners[EXEC_SHUFFLE_PARTS_MAX];
	int nowners = lead_stale_owners(r, owners, lead_shuffle_owners(r->e, owners));
	lead_shuffle *sh = lead_shuffle_new(r, owners, nowners, ps->shuffle_what);

	if (!sh) {
		lead_run_wait(r, lead_select_finish);
		return;
	}
	/* owners first: a part may reach an owner before its RECV, but never
	 * for a shuffle the owner could mistake for another */
	for (int i = 0; i < sh->nowners && !r->failed; i++) {
		exec_task t;
		memset(&t, 0, sizeof t);
		t.kind = EXEC_TASK_SHUFFLE_RECV;
		t.shuffle_id = sh->id;
		t.shuffle_inputs = (uint32_t)n;
		t.has_agg = 1;
		t.agg = ps->owner_agg;
		if (r->stream) { /* a cursor's: each owner keeps its groups (lead_stream.c) */
			t.sql = ps->batch_head;
			t.nparams = (uint32_t)r->nparams;
			t.params = r->params;
			t.shuffle_batch = lead_stream_batch_rows(r);
		}
		if (lead_run_send(r, sh->owners[i], r->stream ? (uint32_t)i : 0, 0, &t) == MUR_OK)
			lead_reread_mark(r);
	}
	for (int i = 0; i < n && !r->failed; i++) {
		exec_task t;
		lead_select_fill_task(r, shards[i], &t);
		t.kind = EXEC_TASK_SHUFFLE_SEND;
		t.quick = 0;
		t.shuffle_id = sh->id;
		t.shuffle_source = (uint32_t)i;
		t.shuffle_inputs = (uint32_t)n;
		t.shuffle_hash_cols = ps->shuffle_hash_cols;
		t.shuffle_keys = ps->shuffle_keys;
		t.shuffle_to = sh->to;
		lead_shuffle_send(r, nodes[i], ps->tables[0], shards[i], bounds[i], &t);
	}
	lead_shuffle_abort_if_failed(r);
	lead_run_wait(r, next);
}

/* The owners' rows into r->rows: concatenated, or merged by leader_agg. */
static int merge_owner_rows(lead_run *r, mur_error *err)
{
	const plan_select *ps = &r->p->u.select;
	lead_shuffle *sh = r->shuffle;
	uint32_t ncols = ps->owner_agg.ngroup + ps->owner_agg.naggs;
	exec_hashagg *h = NULL;

	mur_buf_reset(&r->rows);
	r->nrows = 0;
	if (ps->has_leader_agg && !(h = exec_hashagg_create(&ps->leader_agg, ncols)))
		return mur_error_set(err, SQLSTATE_OUT_OF_MEMORY, "out of memory");
	for (int i = 0; i < sh->nowners && i < r->ntasks; i++) {
		lead_task_slot *sl = &r->tasks[i];
		if (h) {
			if (exec_hashagg_add_rows(h, sl->res.rows.data, sl->res.rows.len,
						  sl->res.nrows) != MUR_OK)
				goto agg_fail;
		} else {
			mur_buf_put(&r->rows, sl->res.rows.data, sl->res.rows.len);
			r->nrows += sl->res.nrows;
		}
	}
	r->ncols = ncols;
	if (h) {
		if (exec_hashagg_finish(h, &r->rows, &r->nrows) != MUR_OK)
			goto agg_fail;
		r->ncols = ps->leader_agg.ngroup + ps->leader_agg.naggs;
		exec_hashagg_destroy(h);
	}
	if (!mur_buf_ok(&r->rows))
		return mur_error_set(err, SQLSTATE_OUT_OF_MEMORY, "out of memory merging rows");
	return MUR_OK;
agg_fail:
	*err = *exec_hashagg_error(h);
	exec_hashagg_destroy(h);
	return MUR_ERR;
}

void lead_shuffle_merge(lead_run *r)
{
	mur_error err;
	uint64_t t0 = mur_now_us();
	if (r->stream) { /* a cursor merges the owners' batches (lead_stream.c) */
		lead_select_merge(r);
		return;
	}
	if (lead_reread(r, 1))
		return; /* a copy was lost or refused: started over */
	if (!r->failed && merge_owner_rows(r, &err) != MUR_OK)
		lead_run_fail(r, &err);
	r->shuffle->merge_us = mur_now_us() - t0;
	lead_select_finish(r);
}

/* ---- EXPLAIN ANALYZE ----------------------------------------------------- */

/* Walk the SEND results' (owner, rows, bytes, local) rows. */
typedef void (*link_fn)(void *arg, int from, int owner, uint64_t rows, uint64_t bytes, int local);

static void each_link(const lead_run *run, link_fn fn, void *arg)
{
	const lead_shuffle *sh = run->shuffle;
	lead_engine *e = run->e;
	for (int i = sh->nowners; i < sh->nowners + sh->nsends && i < run->ntasks; i++) {
		const lead_task_slot *sl = &run->tasks[i];
		mur_rd rd;
		mur_value v[4];
		int from = -1;
		for (int k = 0; k < cat_node_count(e->cat); k++)
			if (cat_node_at(e->cat, k)->id == sl->node_id)
				from = k;
		mur_rd_init(&rd, sl->res.rows.data, sl->res.rows.len);
		for (uint64_t row = 0; row < sl->res.nrows && sl->res.ncols == 4; row++) {
			int ok = 1, owner = -1;
			for (int c = 0; c < 4; c++)
				ok &= mur_row_get_value(&rd, &v[c]) == MUR_OK;
			if (!ok || from < 0 || v[0].kind != MV_TEXT)
				break;
			for (int o = 0; o < sh->nowners; o++) {
				const cat_node *nd = cat_node_by_id(e->cat, sh->owners[o]);
				if (nd && strlen(nd->addr) == v[0].len &&
				    !memcmp(nd->addr, v[0].s, v[0].len))
					owner = o;
			}
			fn(arg, from, owner, (uint64_t)v[1].i, (uint64_t)v[2].i, v[3].i != 0);
		}
	}
}

static void add_total(void *arg, int from, int owner, uint64_t rows, uint64_t bytes, int local)
{
	lead_shuffle_totals *t = arg;
	(void)from;
	(void)owner;
	t->moved_rows += local ? 0 : rows;
	if (local)
		t->local_bytes += bytes;
	else
		t->moved_bytes += bytes;
}

void lead_shuffle_totals_of(const lead_run *r, lead_shuffle_totals *t)
{
	const lead_shuffle *sh = r->shuffle;
	memset(t, 0, sizeof *t);
	if (!sh)
		return;
	each_link(r, add_total, t);
	for (int o = 0; o < sh->nowners && o < r->ntasks; o++) {
		t->leader_rows += r->tasks[o].res.nrows;
		t->leader_bytes += r->tasks[o].bytes;
	}
}

typedef struct link_matrix {
	uint64_t rows[CAT_NODES_MAX][EXEC_SHUFFLE_PARTS_MAX];
	uint64_t bytes[CAT_NODES_MAX][EXEC_SHUFFLE_PARTS_MAX];
} link_matrix;

static void add_link(void *arg, int from, int owner, uint64_t rows, uint64_t bytes, int local)
{
	link_matrix *m = arg;
	(void)local;
	if (from < 0 || from >= CAT_NODES_MAX || owner < 0)
		return;
	m->rows[from][owner] += rows;
	m->bytes[from][owner] += bytes;
}

static void out_line(pgw_result *res, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void out_line(pgw_result *res, const char *fmt, ...)
{
	char buf[512];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(buf, sizeof buf, fmt, ap);
	va_end(ap);
	pgw_result_add_row(res, 1, (const char *[]){buf}, (int32_t[]){(int32_t)strlen(buf)});
}

void lead_shuffle_explain(lead_run *run, pgw_result *res)
{
	lead_shuffle *sh = run->shuffle;
	lead_engine *e = run->e;
	link_matrix *m = calloc(1, sizeof *m);
	lead_shuffle_totals t;
	uint64_t max_send_us = 0, max_recv_us = 0;

	if (!m)
		return;
	each_link(run, add_link, m);
	lead_shuffle_totals_of(run, &t);
	for (int i = sh->nowners; i < sh->nowners + sh->nsends && i < run->ntasks; i++)
		if (run->tasks[i].res.elapsed_us > max_send_us)
			max_send_us = run->tasks[i].res.elapsed_us;
	out_line(res, "  Shuffle: %d task%s -> %d owner%s: %s", sh->nsends,
		 sh->nsends == 1 ? "" : "s", sh->nowners, sh->nowners == 1 ? "" : "s",
		 sh->what ? sh->what : "?");
	for (int k = 0; k < cat_node_count(e->cat) && k < CAT_NODES_MAX; k++)
		for (int o = 0; o < sh->nowners; o++) {
			if (!m->rows[k][o] && !m->bytes[k][o])
				continue;
			out_line(res, "  Link %s -> %s%s: %llu rows, %llu bytes",
				 cat_node_at(e->cat, k)->name, cat_node_name(e->cat, sh->owners[o]),
				 cat_node_at(e->cat, k)->id == sh->owners[o] ? " (local)" : "",
				 (unsigned long long)m->rows[k][o],
				 (unsigned long long)m->bytes[k][o]);
		}
	for (int o = 0; o < sh->nowners && o < run->ntasks; o++) {
		lead_task_slot *sl = &run->tasks[o];
		if (sl->res.elapsed_us > max_recv_us)
			max_recv_us = sl->res.elapsed_us;
		out_line(res,
			 "  Link %s -> leader: %llu rows, %llu bytes (owner merged %llu rows, %llu "
			 "bytes)",
			 cat_node_name(e->cat, sh->owners[o]), (unsigned long long)sl->res.nrows,
			 (unsigned long long)sl->bytes, (unsigned long long)sl->res.changes,
			 (unsigned long long)sl->res.lsn);
	}
	out_line(res,
		 "  Moved follower -> follower: %llu rows, %llu bytes over the network, %llu bytes "
		 "kept local; into leader: %llu rows, %llu bytes",
		 (unsigned long long)t.moved_rows, (unsigned long long)t.moved_bytes,
		 (unsigned long long)t.local_bytes, (unsigned long long)t.leader_rows,
		 (unsigned long long)t.leader_bytes);
	out_line(res,
		 "  Stages: scan + partial aggregate + send %.3f ms (slowest shard); owners done "
		 "after %.3f ms (slowest); leader merge %.3f ms",
		 (double)max_send_us / 1000.0, (double)max_recv_us / 1000.0,
		 (double)sh->merge_us / 1000.0);
	free(m);
}
