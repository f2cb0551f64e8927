/*
 * lead_explain.c — EXPLAIN and EXPLAIN ANALYZE of distributed plans.
 *
 * EXPLAIN prints the strategy, the shards and followers touched, the SQL
 * each shard runs, the follower-side aggregate, and what the leader does
 * with the results.  EXPLAIN ANALYZE runs the statement as a child run
 * and adds, per follower, the tasks, rows and bytes it sent to the leader
 * and its slowest task time, then the leader's merge and total time.
 *
 * EXPLAIN ANALYZE of a write (INSERT, UPDATE, DELETE) runs it, as
 * PostgreSQL does, and says how it committed (docs/transactions.md):
 *   autocommit, one shard   "Commit: autocommit: entry is its own decision"
 *   autocommit, several     the statement's implicit transaction commits
 *                           when the EXPLAIN run finishes (lead_run_finish
 *                           → lead_txn_end_implicit); lead_explain_committed
 *                           then prints its path from the commit report:
 *                           "two-phase: N participants, staged at quorum,
 *                           no commit markers" / "decision recorded, N
 *                           markers" with each phase's rounds and time,
 *                           or "one shard" when only one was written
 *   in a block              deferred to COMMIT: the path a COMMIT now takes
 */
#include "leader/lead_int.h"

#include "common/clock.h"
#include "ops/numx.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *agg_name(uint8_t fn)
{
	switch (fn) {
	case EXEC_AGG_COUNT_STAR:
		return "count(*)";
	case EXEC_AGG_COUNT:
		return "count";
	case EXEC_AGG_SUM:
		return "sum";
	case EXEC_AGG_MIN:
		return "min";
	case EXEC_AGG_MAX:
		return "max";
	case EXEC_AGG_COUNT_DISTINCT:
		return "count(distinct)";
	case EXEC_AGG_SUM_COUNT:
		return "sum of counts";
	case EXEC_AGG_BOOL_AND:
		return "bool_and";
	case EXEC_AGG_BOOL_OR:
		return "bool_or";
	case EXEC_AGG_BIT_AND:
		return "bit_and";
	case EXEC_AGG_BIT_OR:
		return "bit_or";
	case EXEC_AGG_BIT_XOR:
		return "bit_xor";
	case EXEC_AGG_HLL:
		return "hll sketch";
	case EXEC_AGG_HLL_MERGE:
		return "hll merge";
	case EXEC_AGG_HLL_COUNT:
		return "hll estimate";
	case EXEC_AGG_NUM_SUM:
		return "numeric sum";
	case EXEC_AGG_NUM_MIN:
		return "numeric min";
	case EXEC_AGG_NUM_MAX:
		return "numeric max";
	default:
		return "?";
	}
}

static void line(pgw_result *res, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void line(pgw_result *res, const char *fmt, ...)
{
	char buf[8192];
	const char *vals[1] = {buf};
	int32_t lens[1];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(buf, sizeof buf, fmt, ap);
	va_end(ap);
	lens[0] = (int32_t)strlen(buf);
	pgw_result_add_row(res, 1, vals, lens);
}

static void describe_agg(pgw_result *res, const char *who, const exec_agg_spec *a)
{
	char buf[1024];
	size_t n = 0;
	buf[0] = '\0';
	char x[NUMX_DESCRIBE_BYTES];
	for (uint32_t i = 0; i < a->naggs && n < sizeof buf - 64; i++) {
		uint32_t col = a->aggs[i].col, e = col & ~EXEC_AGG_COL_EXPR;
		x[0] = '\0';
		if (a->aggs[i].fn != EXEC_AGG_COUNT_STAR && (col & EXEC_AGG_COL_EXPR) &&
		    e < a->nexprs) /* evaluated in the aggregate, ops/numx.h */
			exec_numx_describe(&a->exprs[e], x, sizeof x);
		n += (size_t)snprintf(buf + n, sizeof buf - n, "%s%s%s%s", i ? ", " : "",
				      agg_name(a->aggs[i].fn), x[0] ? " of " : "", x);
		if (n >= sizeof buf)
			n = sizeof buf - 1;
	}
	line(res, "  %s: hash aggregate, group by %u column%s%s%s", who, a->ngroup,
	     a->ngroup == 1 ? "" : "s", a->naggs ? "; " : "", buf);
}

static void node_list(lead_engine *e, const cat_table *t, const uint32_t *shards, int n, char *out,
		      size_t outsz)
{
	uint32_t seen[CAT_NODES_MAX];
	int nseen = 0;
	size_t len = 0;
	out[0] = '\0';
	for (int i = 0; i < n; i++) {
		uint32_t node = lead_read_node(e, &t->shards[shards[i]]);
		int dup = 0;
		for (int k = 0; k < nseen; k++)
			dup |= seen[k] == node;
		if (dup || !node || nseen >= CAT_NODES_MAX)
			continue;
		seen[nseen++] = node;
		const cat_node *nd = cat_node_by_id(e->cat, node);
		len += (size_t)snprintf(out + len, outsz > len ? outsz - len : 0, "%s%s",
					nseen > 1 ? ", " : "", nd ? nd->name : "?");
	}
}

/* Shard ids EXPLAIN lists at most: a key list prunes to at most
 * PLAN_PRUNE_KEYS_MAX shards; a longer list (range bounds over many
 * shards) is only counted, to keep the line readable. */
#define EXPLAIN_SHARD_IDS_MAX PLAN_PRUNE_KEYS_MAX

/* " (shard 9)", " (shards 3, 11)": the shards of a pruned statement; ""
 * when it reaches every shard of a table of several, or too many. */
static void shard_ids(const cat_table *t, const uint32_t *shards, int n, char *out, size_t outsz)
{
	size_t len;
	out[0] = '\0';
	if (n <= 0 || n > EXPLAIN_SHARD_IDS_MAX || (n > 1 && (uint32_t)n >= t->nshards))
		return;
	len = (size_t)snprintf(out, outsz, " (shard%s", n == 1 ? "" : "s");
	for (int i = 0; i < n && len < outsz; i++)
		len += (size_t)snprintf(out + len, outsz - len, "%s%u", i ? ", " : " ", shards[i]);
	if (len < outsz)
		snprintf(out + len, outsz - len, ")");
}

/* A join of tables that are not co-located: how the rows meet. */
static void explain_join(lead_run *r, const plan_select *ps)
{
	int broadcast = lead_join_broadcast_chosen(r, ps);
	if (broadcast)
		line(r->res, "Distributed Query (strategy: broadcast join)");
	else
		line(r->res, "Distributed Query (strategy: repartition %s on %s)",
		     ps->ntables == 1 ? "by the window's partition key" : "join",
		     ps->join_key_desc);
	for (int i = 0; i < ps->ntables; i++) {
		const cat_table *t = ps->tables[i];
		if (broadcast && i > 0 && ps->join_stays[i])
			line(r->res,
			     "  Table: %s (%u shard%s): each shard to the owner of %s's "
			     "shard (co-located)",
			     t->name, t->nshards, t->nshards == 1 ? "" : "s", ps->tables[0]->name);
		else
			line(r->res, "  Table: %s (%u shard%s): %s", t->name, t->nshards,
			     t->nshards == 1 ? "" : "s",
			     broadcast
				     ? (i == 0 ? "stays on its followers" : "copied to every owner")
				     : "each row to owner hash(join key)");
		line(r->res, "    Sent: %s", ps->join_side_sql[i]);
		if (ps->join_side_agg[i])
			describe_agg(r->res,
				     "  Sender aggregate (by the join key, before the join)",
				     ps->join_side_agg[i]);
		if (ps->join_merge == i + 1)
			line(r->res,
			     "    Owner load: one row per key, the senders' counts added up "
			     "first");
	}
	line(r->res, "  Owner query (over the rows received, as a shard would): %s", ps->shard_sql);
	if (ps->has_partial_agg)
		describe_agg(r->res, "Owner aggregate", &ps->partial_agg);
	if (ps->has_final_agg)
		describe_agg(r->res, "Leader merge", &ps->final_agg);
	else
		line(r->res, "  Leader merge: concatenate the owners' results");
	if (ps->window_desc)
		line(r->res, "  Window functions: %s", ps->window_desc);
	if (ps->final_sql)
		line(r->res, "  Leader final: %s", ps->final_sql);
}

/* What a cursor over the plan does (DECLARE, Execute with max rows:
 * lead_stream.c), and why when it computes the result whole. */
static void explain_cursor(lead_run *r, const plan *p)
{
	const plan_select *ps = &p->u.select;
	const char *subs = p->nsubs ? "; the subqueries run once, before the first batch" : "";
	if (!lead_stream_wanted(p)) /* DECLARE, Execute with max rows (lead_stream.c) */
		line(r->res, "  Cursor: the result is computed whole first%s%s",
		     ps->batch_why ? ": " : "", ps->batch_why ? ps->batch_why : "");
	else if (ps->batch_owner)
		line(r->res,
		     "  Cursor: streams: %s, each owner keeping its part and answering "
		     "batches%s%s",
		     ps->join_shuffle ? "the join is shuffled"
				      : "the groups are finished on their owners",
		     ps->batch_nsort ? ", merged on the leader" : "", subs);
	else if (ps->batch_whole)
		line(r->res, "  Cursor: streams: the query per shard in batches by %s%s%s",
		     ps->batch_unique, ps->batch_nsort ? ", merged on the leader" : "", subs);
	else
		line(r->res, "  Cursor: %s%s",
		     ps->batch_nsort ? "streams: sorted batches per shard, merged on the leader"
				     : "streams: batches per shard in key order",
		     subs);
}

static void explain_select(lead_run *r, const plan *p)
{
	const plan_select *ps = &p->u.select;
	const cat_table *t0 = ps->tables[0];
	uint32_t shards[CAT_SHARDS_MAX];
	char nodes[512], ids[512];
	int n = lead_prune(r, t0, &ps->prune, shards);

	if (n < 0)
		return;
	if (ps->join_shuffle) {
		explain_join(r, ps);
		explain_cursor(r, p);
		return;
	}
	node_list(r->e, t0, shards, n, nodes, sizeof nodes);
	int repartition = lead_shuffle_chosen(r, ps, n);
	if (repartition)
		line(r->res, "Distributed Query (strategy: repartition %s)", ps->shuffle_what);
	else
		line(r->res, "Distributed Query (strategy: %s)",
		     ps->strategy ? ps->strategy : (ps->router ? "router" : "scatter-gather"));
	for (int i = 0; i < ps->ntables; i++) {
		if (cat_table_is_reference(ps->tables[i]))
			line(r->res, "  Table: %s (reference table: a copy on every follower)",
			     ps->tables[i]->name);
		else if (cat_table_is_range(ps->tables[i]))
			line(r->res, "  Table: %s (%u range shards on %s%s)", ps->tables[i]->name,
			     ps->tables[i]->nshards,
			     ps->tables[i]->cols[ps->tables[i]->dist_col].name,
			     i ? ", co-located" : "");
		else
			line(r->res, "  Table: %s (%u shards%s)", ps->tables[i]->name,
			     ps->tables[i]->nshards, i ? ", co-located" : "");
	}
	for (int i = 1; i < ps->ntables && !cat_table_is_reference(t0); i++)
		if (cat_table_is_reference(ps->tables[i]))
			line(r->res,
			     "  Reference join: %s, read from the copy on each shard's follower",
			     ps->tables[i]->name);
	shard_ids(t0, shards, n, ids, sizeof ids);
	line(r->res, "  Shards: %d of %u%s on %s", n, t0->nshards, ids, nodes);
	line(r->res, "  Shard query: %s", ps->shard_sql);
	if (ps->has_partial_agg)
		describe_agg(r->res, "Follower aggregate", &ps->partial_agg);
	if (ps->shard_having && !repartition)
		line(r->res, "  Follower HAVING (groups whole on a shard): %s", ps->shard_having);
	if (repartition) {
		line(r->res,
		     "  Shuffle: each shard's rows go to owner hash(first %u column%s) "
		     "among the followers, follower to follower",
		     ps->shuffle_hash_cols, ps->shuffle_hash_cols == 1 ? "" : "s");
		describe_agg(r->res, "Owner aggregate", &ps->owner_agg);
		if (ps->has_leader_agg)
			describe_agg(r->res, "Leader merge", &ps->leader_agg);
		else
			line(r->res, "  Leader merge: concatenate the owners' disjoint results");
		if (ps->window_desc)
			line(r->res, "  Window functions: %s", ps->window_desc);
		if (ps->final_sql)
			line(r->res, "  Leader final: %s", ps->final_sql);
		explain_cursor(r, p);
		return;
	}
	if (ps->has_final_agg)
		describe_agg(r->res, "Leader merge", &ps->final_agg);
	else if (!ps->router)
		line(r->res, "  Leader merge: concatenate shard results");
	if (ps->merge_desc)
		line(r->res, "  Merge: %s", ps->merge_desc);
	if (ps->window_desc)
		line(r->res, "  Window functions: %s", ps->window_desc);
	if (ps->final_sql)
		line(r->res, "  Leader final: %s", ps->final_sql);
	explain_cursor(r, p);
}

static void explain_plan(lead_run *r, const plan *p);

/* A statement's subqueries, run once before it (lead_subq.c). */
static void explain_subs(lead_run *r, const plan *p)
{
	static const char *const kinds[] = {"scalar", "IN / ANY / ALL set", "EXISTS", "rows"};
	for (int k = 0; k < p->nsubs; k++) {
		const plan_sub *s = &p->subs[k];
		if (s->kind == PLAN_SUB_ROWS && s->ship)
			line(r->res,
			     "Subquery %d (rows, run once first, shipped to every shard task as "
			     "?%d "
			     "and joined there; not gathering the distributed tables):",
			     k + 1, s->param);
		else if (s->kind == PLAN_SUB_ROWS)
			line(r->res,
			     "Subquery %d (%s, run once first, gathered into leader table %s):",
			     k + 1, kinds[s->kind], s->table);
		else if (s->semijoin == 3) /* SQL_SEMIJOIN_GROUP_KEY */
			line(r->res,
			     "Subquery %d (correlated subquery decorrelated by the group value of "
			     "the grouped query around it: the values it holds for, a join run "
			     "once first, bound as ?%d):",
			     k + 1, s->param);
		else if (s->semijoin == 2) /* SQL_SEMIJOIN_OUTER_KEY */
			line(r->res,
			     "Subquery %d (correlated subquery decorrelated by the outer table's "
			     "primary key: the keys of the outer rows it holds for, a join run "
			     "once first, bound as ?%d):",
			     k + 1, s->param);
		else if (s->semijoin)
			line(r->res,
			     "Subquery %d (correlated subquery as a semi-join: its distinct keys, "
			     "run once first, bound as ?%d):",
			     k + 1, s->param);
		else
			line(r->res,
			     "Subquery %d (%s, run once first, its result bound as ?%d):", k + 1,
			     kinds[s->kind], s->param);
		explain_plan(r, s->p);
	}
}

static void explain_plan(lead_run *r, const plan *p)
{
	if (p->kind == PLAN_SELECT || p->kind == PLAN_LEADER_SELECT)
		explain_subs(r, p);
	switch (p->kind) {
	case PLAN_SELECT:
		explain_select(r, p);
		break;
	case PLAN_LEADER_SELECT:
		if (p->setop_desc)
			line(r->res, "Leader Query (set operation: %s)", p->setop_desc);
		else
			line(r->res, "Leader Query (%s)",
			     p->nsubs ? "over the subqueries' rows" : "no distributed table");
		line(r->res, "  Leader SQL: %s", p->leader_sql);
		break;
	case PLAN_INSERT:
		line(r->res, "Distributed Insert into %s (rows routed by %s of \"%s\")",
		     p->u.insert.table->name,
		     cat_table_is_range(p->u.insert.table) ? "range" : "hash",
		     p->u.insert.table->cols[p->u.insert.table->dist_col].name);
		if (p->u.insert.values_sql)
			line(r->res, "  Values on leader: %s", p->u.insert.values_sql);
		if (p->u.insert.values_rows)
			line(r->res, "  Values: %llu row%s of constants",
			     (unsigned long long)p->u.insert.values_nrows,
			     p->u.insert.values_nrows == 1 ? "" : "s");
		line(r->res, "  Shard statement (every placement): %s", p->u.insert.shard_sql);
		if (p->u.insert.source) {
			line(r->res, "  Source:");
			explain_plan(r, p->u.insert.source);
		}
		break;
	case PLAN_MODIFY: {
		uint32_t shards[CAT_SHARDS_MAX];
		const cat_table *t = p->u.modify.table;
		char ids[512];
		int n;
		if (p->u.modify.source) { /* UPDATE ... FROM / DELETE ... USING */
			line(r->res,
			     "Distributed %s on %s (rows found by the source, routed by key)",
			     p->u.modify.is_delete ? "Delete" : "Update", t->name);
			line(r->res, "  Shard statement (per row): %s", p->u.modify.shard_sql);
			line(r->res, "  Source:");
			explain_plan(r, p->u.modify.source);
			break;
		}
		n = lead_prune(r, t, &p->u.modify.prune, shards);
		if (n < 0)
			break;
		shard_ids(t, shards, n, ids, sizeof ids);
		line(r->res, "Distributed %s on %s (strategy: %s)",
		     p->u.modify.is_delete ? "Delete" : "Update", t->name,
		     n == 1                     ? "router"
		     : (uint32_t)n < t->nshards ? "pruned"
						: "broadcast");
		line(r->res, "  Shards: %d of %u%s, every placement", n, t->nshards, ids);
		line(r->res, "  Shard statement: %s", p->u.modify.shard_sql);
		break;
	}
	default:
		line(r->res, "Utility statement (%s): runs on the leader and every placement",
		     p->tag ? p->tag : "?");
	}
}

static void explain_columns(lead_run *r)
{
	pgw_column col;
	memset(&col, 0, sizeof col);
	snprintf(col.name, sizeof col.name, "QUERY PLAN");
	col.type_oid = mur_type_oid(MT_TEXT);
	col.typlen = -1;
	col.typmod = -1;
	r->res->kind = PGW_RESULT_ROWS;
	pgw_result_set_columns(r->res, 1, &col);
}

/* The shards read from stale copies (murphy.read_consistency, lead_stale.c). */
static void stale_lines(lead_run *parent, lead_run *child)
{
	char buf[256];
	if (lead_stale_how(child, buf, sizeof buf))
		line(parent->res, "  %s", buf);
	if (lead_reread_line(child, buf, sizeof buf))
		line(parent->res, "  %s", buf);
	for (int i = 0; lead_stale_line(child, i, buf, sizeof buf); i++)
		line(parent->res, "  Stale read: %s", buf);
	if (child->stale.n > LEAD_STALE_SHOWN)
		line(parent->res, "  Stale read: %d more shards",
		     child->stale.n - LEAD_STALE_SHOWN);
	if (child->stale.nmissing > 0)
		line(parent->res, "  Skipped: %d shard%s of %s with no copy reachable",
		     child->stale.nmissing, child->stale.nmissing == 1 ? "" : "s",
		     child->stale.missing_table);
}

static void analyze_done(lead_run *parent, lead_run *child)
{
	lead_engine *e = parent->e;
	uint64_t total_rows = 0, total_bytes = 0;

	if (child->failed) {
		lead_run_fail(parent, &child->err);
		lead_run_finish(parent);
		return;
	}
	if (child->shuffle) {
		lead_shuffle_explain(child, parent->res);
		stale_lines(parent, child);
		line(parent->res, "  Result: %llu rows", (unsigned long long)child->nrows);
		line(parent->res, "  Execution time: %.3f ms",
		     (double)(mur_now_us() - parent->start_us) / 1000.0);
		snprintf(parent->res->tag, sizeof parent->res->tag, "EXPLAIN");
		lead_run_finish(parent);
		return;
	}
	for (int i = 0; i < cat_node_count(e->cat); i++) {
		const cat_node *nd = cat_node_at(e->cat, i);
		uint64_t rows = 0, bytes = 0, max_us = 0;
		int ntasks = 0;
		for (int k = 0; k < child->ntasks; k++) {
			lead_task_slot *sl = &child->tasks[k];
			if (sl->node_id != nd->id)
				continue;
			ntasks++;
			rows += sl->res.nrows;
			bytes += sl->bytes;
			if (sl->res.elapsed_us > max_us)
				max_us = sl->res.elapsed_us;
		}
		if (!ntasks)
			continue;
		total_rows += rows;
		total_bytes += bytes;
		line(parent->res,
		     "  Node %s -> leader: %d task%s, %llu rows, %llu bytes, slowest task %.3f ms",
		     nd->name, ntasks, ntasks == 1 ? "" : "s", (unsigned long long)rows,
		     (unsigned long long)bytes, (double)max_us / 1000.0);
	}
	line(parent->res, "  Into leader: %llu rows, %llu bytes; result: %llu rows",
	     (unsigned long long)total_rows, (unsigned long long)total_bytes,
	     (unsigned long long)child->nrows);
	stale_lines(parent, child);
	line(parent->res, "  Execution time: %.3f ms",
	     (double)(mur_now_us() - parent->start_us) / 1000.0);
	snprintf(parent->res->tag, sizeof parent->res->tag, "EXPLAIN");
	lead_run_finish(parent);
}

static void execution_time(lead_run *r)
{
	line(r->res, "  Execution time: %.3f ms", (double)(mur_now_us() - r->start_us) / 1000.0);
	snprintf(r->res->tag, sizeof r->res->tag, "EXPLAIN");
}

/* The path one that wrote nwrote shards takes at its commit. */
static const char *commit_path(int nwrote, int parallel)
{
	if (nwrote > 1 && parallel)
		return "two-phase: a staging marker on every participant at once (1 round, "
		       "no decision fsync), then a marker on each after the answer";
	if (nwrote > 1)
		return "two-phase: decision recorded (one fsync of the decision log), then a "
		       "marker "
		       "on every participant at once (1 round)";
	if (nwrote == 1)
		return "one shard (marker at quorum, 1 round)";
	return "nothing written: no marker";
}

void lead_explain_committed(lead_run *r)
{
	repl_commit_report cr;
	if (r->failed || !repl_txn_commit_report(r->e->repl, r->analyze_txid, &cr))
		return;
	if (cr.two_phase && cr.staged)
		line(r->res,
		     "  Commit: two-phase: %d participants, staged at quorum (%.3f ms, 1 round, "
		     "no decision fsync): committed; no commit markers (each shard's next "
		     "write closes it)",
		     cr.nwrote, (double)cr.decide_us / 1000.0);
	else if (cr.two_phase)
		line(r->res,
		     "  Commit: two-phase: %d participants, decision recorded (%.3f ms, one "
		     "decision-log fsync), %d markers (1 round at quorum, %.3f ms)",
		     cr.nwrote, (double)cr.decide_us / 1000.0, cr.marks_ok,
		     (double)cr.markers_us / 1000.0);
	else if (cr.nwrote == 1)
		line(r->res,
		     "  Commit: one shard (marker at quorum, 1 round, %.3f ms): the statement "
		     "spanned several shards, one changed",
		     (double)cr.markers_us / 1000.0);
	else
		line(r->res, "  Commit: nothing written, no marker");
	execution_time(r);
}

/* The write line: what a write changed and where its entries stand.  No
 * row changed: no entry was logged, so nothing is prepared or decided.
 * In a block a write is pipelined (answered once the primary logged it;
 * COMMIT waits for its quorum); a write outside one (autocommit, or an
 * implicit transaction's) is at its quorum. */
static void write_line(lead_run *parent, const lead_run *child)
{
	int insert = child->p->kind == PLAN_INSERT;
	int block = !parent->itx && parent->block_txid && parent->s->tx;
	double ms = (double)(mur_now_us() - parent->start_us) / 1000.0;
	if (child->changes == 0)
		line(parent->res,
		     "  Writes: 0 rows changed, no entry logged (nothing to %s): %.3f ms",
		     parent->itx || block ? "prepare" : "decide", ms);
	else if (block)
		line(parent->res,
		     "  Writes: %llu row%s changed, each shard's entry logged on its primary "
		     "(pipelined: COMMIT waits for its write quorum) in 1 round%s: %.3f ms",
		     (unsigned long long)child->changes, child->changes == 1 ? "" : "s",
		     insert ? " (the rows go to every copy at once)" : "", ms);
	else
		line(parent->res,
		     "  Writes: %llu row%s changed, each shard's entry at its write quorum "
		     "(%s) in %s: %.3f ms",
		     (unsigned long long)child->changes, child->changes == 1 ? "" : "s",
		     parent->itx ? "prepared" : "decided",
		     insert ? "1 round (the rows go to every copy at once)"
			    : "2 rounds (the primary runs it; the replicas apply its "
			      "changes while the primary's fsync runs)",
		     ms);
}

/* A write ran: what it changed and how it commits. */
static void analyze_write_done(lead_run *parent, lead_run *child)
{
	lead_session *s = parent->s;
	if (child->failed) {
		lead_run_fail(parent, &child->err);
		lead_run_finish(parent);
		return;
	}
	write_line(parent, child);
	if (parent->itx) { /* commits as the run finishes: lead_explain_committed */
		parent->analyze_txid = repl_txn_id(parent->itx);
		snprintf(parent->res->tag, sizeof parent->res->tag, "EXPLAIN");
	} else if (parent->block_txid && s->tx) {
		line(parent->res,
		     "  Commit: deferred to COMMIT (transaction block, txid %llu, %d shard%s "
		     "written so far): a COMMIT now takes %s",
		     (unsigned long long)parent->block_txid, repl_txn_nwrote(s->e->repl, s->tx),
		     repl_txn_nwrote(s->e->repl, s->tx) == 1 ? "" : "s",
		     commit_path(repl_txn_nwrote(s->e->repl, s->tx),
				 lead_session_parallel_commits(s)));
		execution_time(parent);
	} else {
		line(parent->res, "  Commit: autocommit: entry is its own decision (decided at its "
				  "write quorum, no extra round)");
		execution_time(parent);
	}
	lead_run_finish(parent);
}

static int is_write(const plan *p) { return p->kind == PLAN_INSERT || p->kind == PLAN_MODIFY; }

void lead_explain_start(lead_run *r)
{
	const plan *inner = r->p->u.explain.inner;
	explain_columns(r);
	explain_plan(r, inner);
	if (r->p->u.explain.analyze && (inner->kind == PLAN_SELECT || is_write(inner))) {
		lead_run *child;
		r->analyze = 1;
		child = lead_run_child(r, inner,
				       inner->kind == PLAN_SELECT ? analyze_done
								  : analyze_write_done);
		if (child) {
			lead_run_start(child);
			return;
		}
	} else if (r->p->u.explain.analyze) {
		line(r->res,
		     "  (ANALYZE runs SELECT, INSERT, UPDATE and DELETE statements only; this "
		     "statement was not executed)");
	}
	snprintf(r->res->tag, sizeof r->res->tag, "EXPLAIN");
	lead_run_finish(r);
}
