/*
 * lead_views.c — the murphy.* views: cluster state as SQL.
 *
 *   murphy.nodes       name, address, role, state, last_heartbeat
 *   murphy.shards      table_name, shard, hash_min, hash_max, node (primary), rows,
 *                      range_min, range_max (range tables: the bounds as text, NULL
 *                      when unbounded; hash_min/hash_max are then NULL),
 *                      replication_factor, copies_current, under_replicated,
 *                      under_replicated_reason (replication/repl_health.c)
 *   murphy.placements  table_name, shard, node, role, applied_lsn, lag, state,
 *                      lag_entries (= lag), lag_ms (since the first entry it
 *                      lacks was decided: repl_copy_staleness); a copy on a dead
 *                      follower is "lost", on a suspect or disconnected one
 *                      "unreachable", with lag NULL (unknown; lag_ms too)
 *   murphy.rebuilds    table_name, shard, source, target, replaces, state, phase,
 *                      bytes_done, bytes_total, started_at, elapsed_ms, error
 *   murphy.moves       table_name, shard, source, target, phase, bytes_done, bytes_total,
 *                      rate_mbps, eta_ms, pause_ms, state, error, started_at,
 *                      elapsed_ms, estimate_ms, kind, new_shard, reason (why the
 *                      leader started it by itself; replication/repl_move.c)
 *   murphy.rebalance_plan step, table_name, shard, source, target, tables,
 *                      source_copies, target_copies, bytes_estimate, eta_ms
 *                      (replication/repl_rebalance.c; eta at the session's
 *                      murphy.move_max_mbps)
 *   murphy.settings    name, setting, unit, description
 *   murphy.stats       table_name, column_name, shards, rows, distinct_per_shard_avg,
 *                      distinct_max_shard, analyzed_at: per analyzed column, what the
 *                      last ANALYZE measured (catalog_stats.c; rows summed over shards)
 *   murphy.query_stats started_at, query, strategy, shards, rows, leader_rows,
 *                      leader_bytes, shuffled_rows, shuffled_bytes, elapsed_ms,
 *                      error (lead_stats.c keeps the ring)
 *   murphy.ready       ready, followers, shards_waiting, reason: one row, whether a
 *                      write would be taken right now (replication/repl_ready.c)
 *   murphy.transactions txid, state (lead_txn_view_state), shards (whose lock it
 *                      holds), age_ms, waiting_for (the txid it waits for), pid,
 *                      usename, application_name (its session's; NULL: none),
 *                      participants (table:shard,…), nodes (the followers holding
 *                      their copies), isolation — replication/repl_lock.c
 *   murphy.locks       table_name, shard, node (the shard's primary), txid (NULL: an
 *                      autocommit write waiting), granted, mode (exclusive, shared)
 *   murphy.transaction_outcomes txid, outcome, participants, decided_at: every
 *                      decision recorded in the catalog (a virtual table read at
 *                      query time, lead_outcomes_vt.c; by txid through its key,
 *                      and by txid a one-shard transaction's: lead_outcome_ask.c)
 *   murphy.shard_load  table_name, shard, node, role, period ('10s', '5min',
 *                      'total'), reads, writes, rows_read, rows_written, bytes_read,
 *                      bytes_written, cpu_ms: what each copy did (lead_load.c);
 *                      disk_bytes: its files' size as its follower last reported
 *                      (cat_placement.file_bytes; NULL: not yet)
 *   murphy.node_load   node, period, the same counters summed per follower, cpu_pct
 *                      (of one core over the period), placements, primaries,
 *                      disk_bytes
 *
 *   murphy.sequences   name, data_type, start_value, min_value, max_value,
 *                      increment_by, cycle, cache_size, last_value (NULL before the
 *                      first nextval), owned_by (table.column of a SERIAL / IDENTITY)
 *
 * The columns are declared once, in the catalog (catalog.c); here each
 * view is rebuilt as table murphy_<name> in the leader's SQLite right
 * before a query that reads it.  Node state "returning" is shown for an
 * alive follower whose copies are still being checked or caught up.
 */
#include "leader/lead_int.h"
#include "common/clock.h"
#include "pgwire/pgw_server.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

static const char *const node_states[] = {"alive", "suspect", "dead", "returning"};

void lead_view_ts_text(int64_t ms, char *out, size_t n)
{
	time_t sec = (time_t)(ms / 1000);
	struct tm tm;
	gmtime_r(&sec, &tm);
	snprintf(out, n, "%04d-%02d-%02d %02d:%02d:%02d.%03d", tm.tm_year + 1900, tm.tm_mon + 1,
		 tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, (int)(ms % 1000));
}

static const char *node_name(const catalog *c, uint32_t id)
{
	const cat_node *n = cat_node_by_id(c, id);
	return n ? n->name : "";
}

/* A table's name as the murphy.* views show it and murphy's functions
 * take it: "t" in public, "s.t" in another schema (cat_table_qualified).
 * One static buffer: bind it (bind_text copies) before the next call. */
static const char *table_name(const cat_table *t)
{
	static char name[2 * CAT_NAME_MAX];
	if (!t)
		return "?";
	cat_table_qualified(t, name, sizeof name);
	return name;
}

static void bind_text(sqlite3_stmt *st, int i, const char *s)
{
	if (s && s[0])
		sqlite3_bind_text(st, i, s, -1, SQLITE_TRANSIENT);
	else
		sqlite3_bind_null(st, i);
}

static void bind_ts(sqlite3_stmt *st, int i, int64_t ms)
{
	char ts[64];
	if (!ms) {
		sqlite3_bind_null(st, i);
		return;
	}
	lead_view_ts_text(ms, ts, sizeof ts);
	sqlite3_bind_text(st, i, ts, -1, SQLITE_TRANSIENT);
}

static void step(sqlite3_stmt *st)
{
	sqlite3_step(st);
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
}

/* Alive, but some copy on it is not current yet. */
static int returning(lead_engine *e, const cat_node *n)
{
	if (n->role != CAT_NODE_FOLLOWER || n->state != CAT_NODE_ALIVE)
		return 0;
	if (!repl_node_reported(e->repl, n->id))
		return 1;
	for (int i = 0; i < cat_table_count(e->cat); i++) {
		const cat_table *t = cat_table_at(e->cat, i);
		if (t->kind != CAT_TABLE_DISTRIBUTED)
			continue;
		for (uint32_t s = 0; s < t->nshards; s++)
			for (int k = 0; k < t->shards[s].nplacements; k++)
				if (t->shards[s].placements[k].node_id == n->id &&
				    t->shards[s].placements[k].state != CAT_PL_CURRENT)
					return 1;
	}
	return 0;
}

static void fill_nodes(lead_engine *e)
{
	sqlite3_stmt *st;
	sqlite3_prepare_v2(e->mem, "INSERT INTO murphy_nodes VALUES (?,?,?,?,?)", -1, &st, NULL);
	for (int i = 0; i < cat_node_count(e->cat); i++) {
		const cat_node *n = cat_node_at(e->cat, i);
		int64_t hb = n->role == CAT_NODE_LEADER ? mur_wall_ms() : n->last_heartbeat_ms;
		bind_text(st, 1, n->name);
		bind_text(st, 2, n->addr);
		bind_text(st, 3, n->role == CAT_NODE_LEADER ? "leader" : "follower");
		const char *state = node_states[n->state];
		if (n->role == CAT_NODE_FOLLOWER && n->state == CAT_NODE_ALIVE &&
		    !e->tr.connected(e->tr.ctx, n->id))
			state = "suspect"; /* its connection just dropped */
		else if (returning(e, n))
			state = "returning";
		bind_text(st, 4, state);
		bind_ts(st, 5, hb);
		step(st);
	}
	sqlite3_finalize(st);
}

/* A range bound in its column's PostgreSQL text form, or NULL (unbounded). */
static void bind_bound(sqlite3_stmt *st, int i, const cat_table *t, const mur_value *v)
{
	mur_buf b;
	if (v->kind == MV_NULL) {
		sqlite3_bind_null(st, i);
		return;
	}
	mur_buf_init(&b);
	mur_value_to_pgtext(t->cols[t->dist_col].type, v, &b);
	sqlite3_bind_text(st, i, b.len ? (const char *)b.data : "", (int)b.len, SQLITE_TRANSIENT);
	mur_buf_free(&b);
}

/* hash_min, hash_max, range_min, range_max of one shard (parameters 3, 4, 7, 8). */
static void bind_shard_bounds(sqlite3_stmt *st, const cat_table *t, const cat_shard *sh)
{
	mur_value max;
	if (!cat_table_is_range(t)) {
		sqlite3_bind_int64(st, 3, sh->hash_min);
		sqlite3_bind_int64(st, 4, sh->hash_max);
		return; /* range_min, range_max stay NULL */
	}
	bind_bound(st, 7, t, &sh->range_min);
	cat_shard_range_max(t, sh->index, &max);
	bind_bound(st, 8, t, &max);
}

/* One murphy.shards row: bounds, primary, rows, replication health. */
static void shard_row(lead_engine *e, sqlite3_stmt *ss, const cat_table *t, uint32_t s)
{
	const cat_shard *sh = &t->shards[s];
	repl_shard_health h;
	repl_shard_health_of(e->repl, t, s, &h);
	bind_text(ss, 1, table_name(t));
	sqlite3_bind_int64(ss, 2, s);
	bind_shard_bounds(ss, t, sh);
	for (int k = 0; k < sh->nplacements; k++)
		if (sh->placements[k].role == CAT_PRIMARY)
			bind_text(ss, 5, node_name(e->cat, sh->placements[k].node_id));
	sqlite3_bind_int64(ss, 6, (sqlite3_int64)sh->rows);
	sqlite3_bind_int(ss, 9, h.rf);
	sqlite3_bind_int(ss, 10, h.current);
	sqlite3_bind_int(ss, 11, h.current < h.rf);
	bind_text(ss, 12, h.why);
	step(ss);
}

/* One murphy.placements row.  A copy whose follower is dead ("lost") or
 * cannot be reached ("unreachable") has an unknown lag: NULL, never 0. */
static void placement_row(lead_engine *e, sqlite3_stmt *sp, const cat_table *t, uint32_t s,
			  const cat_placement *pl)
{
	const cat_shard *sh = &t->shards[s];
	const cat_node *n = cat_node_by_id(e->cat, pl->node_id);
	const char *state = sh->committed_known ? cat_placement_state_name(pl->state) : "unknown";
	int reachable = n && n->state == CAT_NODE_ALIVE && e->tr.connected(e->tr.ctx, n->id);
	repl_staleness st;
	if (!reachable)
		state = n && n->state == CAT_NODE_DEAD ? "lost" : "unreachable";
	repl_copy_staleness(e->repl, t->id, sh, pl, &st);
	bind_text(sp, 1, table_name(t));
	sqlite3_bind_int64(sp, 2, s);
	bind_text(sp, 3, node_name(e->cat, pl->node_id));
	bind_text(sp, 4, pl->role == CAT_PRIMARY ? "primary" : "replica");
	sqlite3_bind_int64(sp, 5, (sqlite3_int64)pl->applied_lsn);
	if (reachable && sh->committed_known) {
		sqlite3_bind_int64(sp, 6, (sqlite3_int64)st.entries);
		sqlite3_bind_int64(sp, 8, (sqlite3_int64)st.entries);
	}
	if (reachable && st.known)
		sqlite3_bind_int64(sp, 9, (sqlite3_int64)st.ms);
	bind_text(sp, 7, state);
	step(sp);
}

static void fill_shards_and_placements(lead_engine *e)
{
	sqlite3_stmt *ss, *sp;
	sqlite3_prepare_v2(e->mem, "INSERT INTO murphy_shards VALUES (?,?,?,?,?,?,?,?,?,?,?,?)", -1,
			   &ss, NULL);
	sqlite3_prepare_v2(e->mem, "INSERT INTO murphy_placements VALUES (?,?,?,?,?,?,?,?,?)", -1,
			   &sp, NULL);
	for (int i = 0; i < cat_table_count(e->cat); i++) {
		const cat_table *t = cat_table_at(e->cat, i);
		if (t->kind != CAT_TABLE_DISTRIBUTED)
			continue;
		for (uint32_t s = 0; s < t->nshards; s++) {
			shard_row(e, ss, t, s);
			for (int k = 0; k < t->shards[s].nplacements; k++)
				placement_row(e, sp, t, s, &t->shards[s].placements[k]);
		}
	}
	sqlite3_finalize(ss);
	sqlite3_finalize(sp);
}

static void fill_rebuilds(lead_engine *e)
{
	sqlite3_stmt *st;
	sqlite3_prepare_v2(e->mem, "INSERT INTO murphy_rebuilds VALUES (?,?,?,?,?,?,?,?,?,?,?,?)",
			   -1, &st, NULL);
	for (int i = 0; i < repl_rebuild_count(e->repl); i++) {
		const repl_rebuild *rb = repl_rebuild_at(e->repl, i);
		const cat_table *t = cat_table_by_id(e->cat, rb->table_id);
		int64_t end = rb->finished_ms ? rb->finished_ms : mur_wall_ms();
		bind_text(st, 1, table_name(t));
		sqlite3_bind_int64(st, 2, rb->shard);
		bind_text(st, 3, node_name(e->cat, rb->source));
		bind_text(st, 4, node_name(e->cat, rb->target));
		bind_text(st, 5, rb->replaces ? node_name(e->cat, rb->replaces) : NULL);
		bind_text(st, 6, rb->state);
		bind_text(st, 7, rb->phase);
		sqlite3_bind_int64(st, 8, (sqlite3_int64)rb->bytes_done);
		sqlite3_bind_int64(st, 9, (sqlite3_int64)rb->bytes_total);
		bind_ts(st, 10, rb->started_ms);
		sqlite3_bind_int64(st, 11, end - rb->started_ms);
		bind_text(st, 12, rb->error);
		step(st);
	}
	sqlite3_finalize(st);
}

static void fill_moves(lead_engine *e)
{
	sqlite3_stmt *st;
	sqlite3_prepare_v2(e->mem,
			   "INSERT INTO murphy_moves VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
			   -1, &st, NULL);
	for (int i = 0; i < repl_move_count(e->repl); i++) {
		const repl_move *m = repl_move_at(e->repl, i);
		int64_t end = m->finished_ms ? m->finished_ms : mur_wall_ms();
		double rate, eta;
		repl_move_progress(e->repl, m, &rate, &eta);
		bind_text(st, 1, m->table_name);
		sqlite3_bind_int64(st, 2, m->shard);
		bind_text(st, 3, node_name(e->cat, m->source));
		if (!m->split)
			bind_text(st, 4, node_name(e->cat, m->target));
		bind_text(st, 5,
			  repl_move_state_name(m->state == REPL_MOVE_ABORTED ? m->aborted_in
									     : m->state));
		sqlite3_bind_int64(st, 6, (sqlite3_int64)m->bytes_done);
		sqlite3_bind_int64(st, 7, (sqlite3_int64)m->bytes_total);
		sqlite3_bind_double(st, 8, rate / (1024 * 1024));
		sqlite3_bind_int64(st, 9, (sqlite3_int64)eta);
		if (m->switched_ms)
			sqlite3_bind_double(st, 10, (double)m->pause_us / 1000.0);
		bind_text(st, 11,
			  m->state == REPL_MOVE_DONE      ? "done"
			  : m->state == REPL_MOVE_ABORTED ? "aborted"
							  : "running");
		bind_text(st, 12, m->error);
		bind_ts(st, 13, m->started_ms);
		sqlite3_bind_int64(st, 14, end - m->started_ms);
		sqlite3_bind_int64(st, 15, (sqlite3_int64)m->estimate_ms);
		bind_text(st, 16, m->split ? "split" : "move");
		if (m->split)
			sqlite3_bind_int64(st, 17, m->new_shard);
		if (m->reason[0])
			bind_text(st, 18, m->reason);
		step(st);
	}
	sqlite3_finalize(st);
}

static void fill_rebalance_plan(lead_engine *e)
{
	repl_rebalance_step steps[REPL_REBALANCE_MOVES_MAX];
	uint64_t max_bps = 0;
	sqlite3_stmt *st;
	int n;
	if (e->local_session)
		repl_move_rate_parse(lead_session_get(e->local_session, "murphy.move_max_mbps"),
				     &max_bps);
	n = repl_rebalance_plan(e->repl, max_bps, steps, REPL_REBALANCE_MOVES_MAX);
	sqlite3_prepare_v2(e->mem,
			   "INSERT INTO murphy_rebalance_plan VALUES (?,?,?,?,?,?,?,?,?,?,?,?)", -1,
			   &st, NULL);
	for (int i = 0; i < n; i++) {
		const cat_table *t = cat_table_by_id(e->cat, steps[i].table_id);
		sqlite3_bind_int(st, 1, i + 1);
		bind_text(st, 2, table_name(t));
		sqlite3_bind_int64(st, 3, steps[i].shard);
		bind_text(st, 4, node_name(e->cat, steps[i].source));
		bind_text(st, 5, node_name(e->cat, steps[i].target));
		sqlite3_bind_int(st, 6, steps[i].tables);
		sqlite3_bind_int(st, 7, steps[i].source_copies);
		sqlite3_bind_int(st, 8, steps[i].target_copies);
		sqlite3_bind_int64(st, 9, (sqlite3_int64)steps[i].bytes_estimate);
		sqlite3_bind_int64(st, 10, (sqlite3_int64)steps[i].eta_ms);
		bind_text(st, 11,
			  steps[i].by == REPL_REBALANCE_BY_LOAD   ? "load"
			  : steps[i].by == REPL_REBALANCE_BY_SIZE ? "size"
								  : "copies");
		sqlite3_bind_double(st, 12, steps[i].load_ms);
		step(st);
	}
	sqlite3_finalize(st);
}

void lead_engine_set_startup_timeout(lead_engine *e, uint64_t ms) { e->startup_timeout_ms = ms; }

static void fill_settings(lead_engine *e)
{
	sqlite3_stmt *st;
	char v1[32], v2[32];
	snprintf(v1, sizeof v1, "%llu", (unsigned long long)e->suspect_timeout_ms);
	snprintf(v2, sizeof v2, "%llu", (unsigned long long)e->dead_timeout_ms);
	char auto_rows[32], pipeline[32], startup[32], startup_about[256], stall[32];
	snprintf(startup, sizeof startup, "%llu", (unsigned long long)e->startup_timeout_ms);
	snprintf(startup_about, sizeof startup_about,
		 "a client connection that has not completed the startup this long after it was "
		 "accepted is closed; at most %d such connections, the oldest closed for a new "
		 "one, "
		 "apart from the %d sessions (leader flag --startup-timeout-ms)",
		 PGW_STARTUP_CONNECTIONS_MAX, PGW_CONNECTIONS_MAX);
	snprintf(auto_rows, sizeof auto_rows, "%d", LEAD_SHUFFLE_AUTO_ROWS);
	snprintf(stall, sizeof stall, "%llu",
		 (unsigned long long)(e->tr.loop_stall_max_ms ? e->tr.loop_stall_max_ms(e->tr.ctx)
							      : 0));
	snprintf(pipeline, sizeof pipeline, "%d", repl_write_pipeline(e->repl));
	char keep[32], keep_about[256];
	snprintf(keep, sizeof keep, "%lld", (long long)repl_outcomes_keep_ms(e->repl));
	snprintf(keep_about, sizeof keep_about,
		 "a multi-shard commit's recorded decision stays in murphy.transaction_outcomes "
		 "this long, and as long as a copy may need it; past %d rows the oldest no copy "
		 "needs go sooner (leader flag --txn-outcomes-keep-ms)",
		 REPL_OUTCOMES_ROWS_MAX);
	char rb_auto[8], rb_thr[32], rb_int[32], rb_mbps[32], rb_base[32], sp_auto[8], sp_bytes[32],
		sp_share[32], sp_cool[32];
	repl_rebalance_get(e->repl, "murphy.auto_rebalance", rb_auto, sizeof rb_auto);
	repl_rebalance_get(e->repl, "murphy.rebalance_threshold", rb_thr, sizeof rb_thr);
	repl_rebalance_get(e->repl, "murphy.rebalance_interval_ms", rb_int, sizeof rb_int);
	repl_rebalance_get(e->repl, "murphy.move_max_mbps", rb_mbps, sizeof rb_mbps);
	repl_rebalance_get(e->repl, "murphy.rebalance_base_bytes", rb_base, sizeof rb_base);
	repl_rebalance_get(e->repl, "murphy.auto_split", sp_auto, sizeof sp_auto);
	repl_rebalance_get(e->repl, "murphy.split_max_bytes", sp_bytes, sizeof sp_bytes);
	repl_rebalance_get(e->repl, "murphy.split_load_share", sp_share, sizeof sp_share);
	repl_rebalance_get(e->repl, "murphy.split_cooldown_ms", sp_cool, sizeof sp_cool);
	const char *rows[][4] = {
		{"murphy.auto_rebalance", rb_auto, NULL,
		 "on: the leader moves copies in the background, one at a time, when followers "
		 "hold or work unevenly (ALTER SYSTEM SET; docs/hot-segments.md)"},
		{"murphy.rebalance_threshold", rb_thr, NULL,
		 "the automatic rebalancer moves once a follower holds (or works) this share more "
		 "than the mean (ALTER SYSTEM SET)"},
		{"murphy.rebalance_base_bytes", rb_base, "bytes",
		 "a copy's size for the rebalancer's plan by size is its file's bytes plus this "
		 "(ALTER SYSTEM SET; '100MB' or bytes)"},
		{"murphy.rebalance_interval_ms", rb_int, "ms",
		 "how often the automatic rebalancer plans (ALTER SYSTEM SET)"},
		{"murphy.move_max_mbps (system)", rb_mbps, "MB/s",
		 "the automatic rebalancer's moves copy at most this fast; 0: no limit (ALTER "
		 "SYSTEM SET murphy.move_max_mbps)"},
		{"murphy.auto_split", sp_auto, NULL,
		 "on: a shard above murphy.split_max_bytes, or doing more than "
		 "murphy.split_load_share of its range table's work, splits by itself, one at a "
		 "time (ALTER SYSTEM SET; docs/load.md)"},
		{"murphy.split_max_bytes", sp_bytes, "bytes",
		 "a shard whose pages hold more splits by itself; 0: no splits by size (ALTER "
		 "SYSTEM SET; '64MB' or bytes)"},
		{"murphy.split_load_share", sp_share, NULL,
		 "a range table's shard whose followers spent more than this share of the table's "
		 "CPU (5 min, or since its last split; at least 5 % of a core) splits by itself; "
		 "1: "
		 "no splits by load (ALTER SYSTEM SET)"},
		{"murphy.split_cooldown_ms", sp_cool, "ms",
		 "a table split less than this long ago does not split by itself (ALTER SYSTEM "
		 "SET)"},
		{"suspect_timeout", v1, "ms",
		 "no heartbeat for this long: the follower is suspect, its copies stop serving and "
		 "primaries on it move (leader flag --suspect-timeout-ms)"},
		{"dead_timeout", v2, "ms",
		 "no heartbeat for this long: the follower is dead and its copies are rebuilt "
		 "elsewhere "
		 "(leader flag --dead-timeout-ms)"},
		{"heartbeat_interval", "500", "ms", "how often followers report to the leader"},
		{"startup_timeout", startup, "ms", startup_about},
		{"allow_faults", e->tr.fault ? "on" : "off", NULL,
		 "fault injection (SELECT murphy.fault, murphy fault): on only when the leader was "
		 "started with --allow-faults, as murphy local start and murphy demo do unless "
		 "given "
		 "--no-faults; off: refused with 42501"},
		{"write_pipeline", pipeline, "writes",
		 "row inserts one shard may have in flight before the copies answered the previous "
		 "ones; more: faster inserts, reads of a shard under insert load wait longer for "
		 "its "
		 "undecided entries; 1: none pipelined (leader flag --write-pipeline)"},
		{"txn_outcomes_keep", keep, "ms", keep_about},
		{"murphy.write_quorum", "majority", NULL,
		 "copies that must hold a write before it is acknowledged: one, majority, all (SET "
		 "per "
		 "session)"},
		{"murphy.parallel_commits", "on", NULL,
		 "on: a multi-shard COMMIT goes by staging markers on every participant at once, "
		 "no decision fsync first, answered at their quorum; off: every entry at its "
		 "quorum, then a recorded decision (one decision-log fsync), then commit markers "
		 "(SET per session; docs/transactions.md)"},
		{"murphy.replica_batch", "on", NULL,
		 "on: a block's UPDATEs and DELETEs reach their replicas at COMMIT, in one frame "
		 "with the marker, made durable with one fsync; off: each as its primary answers "
		 "(SET per session, read at BEGIN; docs/transactions.md)"},
		{"murphy.plan_cache", "on", NULL,
		 "on: a simple query whose text differs from an earlier one of the session only in "
		 "integer literals runs that one's plan, the literals as parameters "
		 "(murphy.plan_cache_hits counts them; SET per session; docs/plan_cache.md)"},
		{"murphy.read_consistency", "strong", NULL,
		 "reads: strong (every acknowledged write, else 08006), bounded (a copy at most "
		 "murphy.max_staleness behind when no current copy is reachable), available (the "
		 "freshest reachable copy); a stale answer comes with a WARNING (SET per session; "
		 "docs/consistency.md)"},
		{"murphy.max_staleness", "5000", "ms",
		 "how far behind a copy a bounded read may use (SET per session, PostgreSQL's "
		 "units)"},
		{"murphy.move_max_mbps", "0", "MB/s",
		 "murphy.move_placement copies at most this fast, so that a move does not starve "
		 "queries; 0: no limit (SET per session; docs/hot-segments.md)"},
		{"murphy.allow_partial_results", "off", NULL,
		 "on: an available read leaves out the shards with no reachable copy, with a "
		 "WARNING naming them (SET per session)"},
		{"statement_timeout", "0", "ms",
		 "a statement still running this long is cancelled (57014 \"canceling statement "
		 "due "
		 "to statement timeout\"; what a cancel stops: docs/failures.md); 0: off (SET per "
		 "session, PostgreSQL's units: '2s', 500)"},
		{"idle_in_transaction_session_timeout",
		 lead_client_default(e, "idle_in_transaction_session_timeout"), NULL,
		 "a session idle this long inside a transaction block is ended (FATAL 25P03) and "
		 "its block undone; 0: never (leader flag --idle-in-transaction-timeout-ms, SET "
		 "per session; docs/failures.md, \"A lost client\")"},
		{"tcp_keepalives_idle", lead_client_default(e, "tcp_keepalives_idle"), NULL,
		 "TCP keepalive of client connections: probes start after this much silence "
		 "(leader flag --tcp-keepalives-idle, SET per session)"},
		{"tcp_keepalives_interval", lead_client_default(e, "tcp_keepalives_interval"), NULL,
		 "one keepalive probe this often (leader flag --tcp-keepalives-interval, SET per "
		 "session)"},
		{"tcp_keepalives_count", lead_client_default(e, "tcp_keepalives_count"), "probes",
		 "unanswered probes after which a client is lost: its connection closes and its "
		 "block is undone (leader flag --tcp-keepalives-count, SET per session)"},
		{"lock_timeout", "0", "ms",
		 "a write, row lock or SERIALIZABLE read waiting this long for another "
		 "transaction's "
		 "shard lock fails (55P03), at the timeout; 0: off (SET per session, PostgreSQL's "
		 "units)"},
		{"deadlock_timeout", "1s", "ms",
		 "a lock wait this old (and every this long after) searches for a cycle of waits: "
		 "the first waiter to find one gets 40P01 (a wait that closes one is refused at "
		 "once); SET per session, PostgreSQL's units, at least 1ms"},
		{"murphy.count_distinct", "exact", NULL,
		 "count(DISTINCT x) over distributed tables: exact, or approximate (answered as "
		 "approx_count_distinct(x): HyperLogLog sketches, about 0.8 % standard error; "
		 "docs/approx.md; SET per session)"},
		{"murphy.shuffle_strategy", "auto", NULL,
		 "COUNT(DISTINCT), SELECT DISTINCT and GROUP BY on a non-distribution column: "
		 "gather "
		 "(every shard to the leader), repartition (follower to follower by hash, the "
		 "leader "
		 "adds up), auto (repartition when a gather would pull at least shuffle_auto_rows "
		 "rows "
		 "into the leader; SET per session)"},
		{"murphy.join_strategy", "auto", NULL,
		 "joins of tables that are not co-located: repartition (every table by its join "
		 "key, "
		 "follower to follower), broadcast (the first table stays, the others are copied "
		 "to "
		 "every follower), auto (broadcast when it moves fewer rows; SET per session)"},
		{"shuffle_auto_rows", auto_rows, "rows",
		 "estimated rows into the leader from which auto repartitions (from murphy.shards "
		 "row "
		 "counts)"},
		{"loop_stall_max_ms", stall, "ms",
		 "measured, not set: the longest the leader's event loop was blocked since it "
		 "started (heartbeats and every session wait meanwhile; not counted against "
		 "followers; docs/failures.md gives the bound)"},
		{"replicas", "3", NULL,
		 "copies per shard when CREATE TABLE has no WITH (replicas = R)"},
		{"shards", "8", NULL,
		 "shards per table when CREATE TABLE has no WITH (shards = N)"},
	};
	sqlite3_prepare_v2(e->mem, "INSERT INTO murphy_settings VALUES (?,?,?,?)", -1, &st, NULL);
	for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
		for (int c = 0; c < 4; c++)
			bind_text(st, c + 1, rows[i][c]);
		step(st);
	}
	sqlite3_finalize(st);
}

static void fill_query_stats(lead_engine *e)
{
	sqlite3_stmt *st;
	uint64_t n = e->nqstats < LEAD_QUERY_STATS_MAX ? e->nqstats : LEAD_QUERY_STATS_MAX;
	sqlite3_prepare_v2(e->mem, "INSERT INTO murphy_query_stats VALUES (?,?,?,?,?,?,?,?,?,?,?)",
			   -1, &st, NULL);
	for (uint64_t k = e->nqstats - n; k < e->nqstats; k++) {
		const lead_query_stat *q = &e->qstats[k % LEAD_QUERY_STATS_MAX];
		bind_ts(st, 1, q->started_ms);
		bind_text(st, 2, q->query);
		bind_text(st, 3, q->strategy);
		sqlite3_bind_int64(st, 4, q->shards);
		sqlite3_bind_int64(st, 5, (sqlite3_int64)q->rows);
		sqlite3_bind_int64(st, 6, (sqlite3_int64)q->leader_rows);
		sqlite3_bind_int64(st, 7, (sqlite3_int64)q->leader_bytes);
		sqlite3_bind_int64(st, 8, (sqlite3_int64)q->shuffled_rows);
		sqlite3_bind_int64(st, 9, (sqlite3_int64)q->shuffled_bytes);
		sqlite3_bind_double(st, 10, (double)q->elapsed_us / 1000.0);
		bind_text(st, 11, q->error[0] ? q->error : NULL);
		step(st);
	}
	sqlite3_finalize(st);
}

/* One row per analyzed column (cat_column_analyzed_ms), hidden ones too
 * when named in ANALYZE; rows as ANALYZE counted them. */
static void fill_stats(lead_engine *e)
{
	sqlite3_stmt *st;
	sqlite3_prepare_v2(e->mem, "INSERT INTO murphy_stats VALUES (?,?,?,?,?,?,?)", -1, &st,
			   NULL);
	for (int i = 0; i < cat_table_count(e->cat); i++) {
		const cat_table *t = cat_table_at(e->cat, i);
		uint64_t rows = 0;
		if (t->kind != CAT_TABLE_DISTRIBUTED || !cat_table_analyzed_ms(t))
			continue;
		for (uint32_t s = 0; s < t->nshards; s++)
			rows += t->shards[s].analyzed_rows;
		for (int c = 0; c < t->ncols; c++) {
			uint64_t sum = 0, max = 0;
			if (!cat_column_analyzed_ms(t, c))
				continue;
			for (uint32_t s = 0; s < t->nshards; s++) {
				uint64_t d = cat_shard_distinct(t, s, c);
				sum += d;
				max = d > max ? d : max;
			}
			bind_text(st, 1, table_name(t));
			bind_text(st, 2, t->cols[c].name);
			sqlite3_bind_int64(st, 3, t->nshards);
			sqlite3_bind_int64(st, 4, (sqlite3_int64)rows);
			sqlite3_bind_double(st, 5, (double)sum / (double)t->nshards);
			sqlite3_bind_int64(st, 6, (sqlite3_int64)max);
			bind_ts(st, 7, cat_column_analyzed_ms(t, c));
			step(st);
		}
	}
	sqlite3_finalize(st);
}

static void fill_sequences(lead_engine *e)
{
	sqlite3_stmt *st;
	char owner[2 * CAT_NAME_MAX + 2];
	sqlite3_prepare_v2(e->mem, "INSERT INTO murphy_sequences VALUES (?,?,?,?,?,?,?,?,?,?)", -1,
			   &st, NULL);
	for (int i = 0; i < cat_seq_count(e->cat); i++) {
		const cat_sequence *q = cat_seq_at(e->cat, i);
		const cat_table *t = cat_table_by_id(e->cat, q->owner_table);
		int64_t v[] = {q->start, q->min_value, q->max_value, q->increment};
		bind_text(st, 1, q->name);
		bind_text(st, 2, mur_type_name(q->type));
		for (int k = 0; k < 4; k++)
			sqlite3_bind_int64(st, 3 + k, v[k]);
		sqlite3_bind_int(st, 7, q->cycle);
		sqlite3_bind_int64(st, 8, q->cache);
		if (q->is_called)
			sqlite3_bind_int64(st, 9, q->last_value);
		snprintf(owner, sizeof owner, "%s.%s", t ? t->name : "",
			 t ? t->cols[q->owner_col].name : "");
		bind_text(st, 10, t ? owner : NULL);
		step(st);
	}
	sqlite3_finalize(st);
}

static void fill_ready(lead_engine *e)
{
	sqlite3_stmt *st;
	repl_readiness r;
	repl_ready_check(e->repl, &r);
	sqlite3_prepare_v2(e->mem, "INSERT INTO murphy_ready VALUES (?,?,?,?)", -1, &st, NULL);
	sqlite3_bind_int(st, 1, r.shards_waiting == 0);
	sqlite3_bind_int(st, 2, r.followers);
	sqlite3_bind_int(st, 3, r.shards_waiting);
	bind_text(st, 4, r.reason);
	step(st);
	sqlite3_finalize(st);
}

/* murphy.transactions / murphy.locks: at most this many rows each (the
 * lock table itself has no bound but the sessions'). */
#define LEAD_TXN_ROWS_MAX 4096

const char *lead_txn_view_state(const repl_txn_info *ti)
{
	switch (ti->end) {
	case REPL_TXN_OPEN:
		return ti->waiting_for ? "waiting" : "active";
	case REPL_TXN_ABORT:
		return "aborting";
	case REPL_TXN_COMMIT:
		break;
	}
	if (ti->staging)
		return "preparing"; /* staging markers out: not committed yet */
	if (ti->retrying || (ti->marks_ok > 0 && ti->marks_pending > 0))
		return "committing"; /* committed on some shards, markers still going out */
	if (ti->marks_pending > 0)
		return "prepared"; /* decision recorded, or a one-shard marker being written */
	if (ti->marks_ok > 0 || ti->nwrote == 0)
		return "committed"; /* every marker holds: its locks go now */
	return "preparing";         /* entries at quorum, the decision being recorded */
}

/* The session whose block, or autocommit statement, txid is; NULL: none
 * (a restarted leader's re-commit, a session gone with its last run). */
static const lead_session *session_of(const lead_engine *e, uint64_t txid)
{
	for (const lead_session *s = e->sessions; s; s = s->next_open) {
		if (s->txid == txid)
			return s;
		for (const lead_run *r = s->runs; r; r = r->snext)
			if (r->itx && repl_txn_id(r->itx) == txid)
				return s;
	}
	return NULL;
}

/* participants ("table:shard,…") and nodes (every follower holding a copy
 * of one, once) of a murphy.transactions row. */
static void txn_where(lead_engine *e, const repl_txn_info *ti, char *parts, size_t np, char *nodes,
		      size_t nn)
{
	uint32_t seen[CAT_NODES_MAX];
	int nseen = 0;
	size_t lp = 0, ln = 0;
	parts[0] = nodes[0] = '\0';
	for (int i = 0; i < ti->nparts; i++) {
		const cat_table *t = cat_table_by_id(e->cat, ti->parts[i].table_id);
		const cat_shard *sh = t && ti->parts[i].shard < t->nshards
					      ? &t->shards[ti->parts[i].shard]
					      : NULL;
		if (lp < np)
			lp += (size_t)snprintf(parts + lp, np - lp, "%s%s:%u", i ? "," : "",
					       t ? t->name : "?", ti->parts[i].shard);
		for (int k = 0; sh && k < sh->nplacements; k++) {
			uint32_t id = sh->placements[k].node_id;
			int dup = 0;
			for (int j = 0; j < nseen; j++)
				dup |= seen[j] == id;
			if (dup || nseen >= CAT_NODES_MAX)
				continue;
			seen[nseen++] = id;
			if (ln < nn)
				ln += (size_t)snprintf(nodes + ln, nn - ln, "%s%s",
						       nseen > 1 ? "," : "", node_name(e->cat, id));
		}
	}
}

static void transaction_row(lead_engine *e, sqlite3_stmt *st, const repl_txn_info *ti, int64_t now)
{
	const lead_session *s = session_of(e, ti->txid);
	/* or for the end of a block that altered a table it names */
	uint64_t waits = ti->waiting_for                 ? ti->waiting_for
			 : s && ti->end == REPL_TXN_OPEN ? s->shape_waiting
							 : 0;
	char parts[2048], nodes[1024];
	sqlite3_bind_int64(st, 1, (sqlite3_int64)ti->txid);
	bind_text(st, 2, waits && !ti->waiting_for ? "waiting" : lead_txn_view_state(ti));
	sqlite3_bind_int(st, 3, ti->nshards);
	sqlite3_bind_int64(st, 4, now - ti->started_ms);
	if (waits)
		sqlite3_bind_int64(st, 5, (sqlite3_int64)waits);
	if (s && s->pid)
		sqlite3_bind_int64(st, 6, s->pid);
	if (s) {
		bind_text(st, 7, s->user);
		bind_text(st, 8,
			  s->app[0] ? s->app
				    : lead_session_get((lead_session *)s, "application_name"));
		bind_text(st, 11, lead_session_get((lead_session *)s, "transaction_isolation"));
	}
	txn_where(e, ti, parts, sizeof parts, nodes, sizeof nodes);
	bind_text(st, 9, parts);
	bind_text(st, 10, nodes);
	step(st);
}

/* repl_txn_list's rows (murphy.transactions, pg_stat_activity's waits) */
static repl_txn_info txn_rows[LEAD_TXN_ROWS_MAX];

static void fill_transactions(lead_engine *e)
{
	repl_txn_info *tx = txn_rows;
	static repl_lock_info lk[LEAD_TXN_ROWS_MAX];
	sqlite3_stmt *st;
	int n = repl_txn_list(e->repl, tx, LEAD_TXN_ROWS_MAX);
	int64_t now = mur_wall_ms();
	sqlite3_prepare_v2(e->mem, "INSERT INTO murphy_transactions VALUES (?,?,?,?,?,?,?,?,?,?,?)",
			   -1, &st, NULL);
	for (int i = 0; i < n && i < LEAD_TXN_ROWS_MAX; i++)
		transaction_row(e, st, &tx[i], now);
	sqlite3_finalize(st);
	n = repl_lock_list(e->repl, lk, LEAD_TXN_ROWS_MAX);
	sqlite3_prepare_v2(e->mem, "INSERT INTO murphy_locks VALUES (?,?,?,?,?,?)", -1, &st, NULL);
	for (int i = 0; i < n && i < LEAD_TXN_ROWS_MAX; i++) {
		const cat_table *t = cat_table_by_id(e->cat, lk[i].table_id);
		const cat_shard *sh = t && lk[i].shard < t->nshards ? &t->shards[lk[i].shard]
								    : NULL;
		const char *node = "";
		for (int k = 0; sh && k < sh->nplacements; k++)
			if (sh->placements[k].role == CAT_PRIMARY)
				node = node_name(e->cat, sh->placements[k].node_id);
		bind_text(st, 1, t ? t->name : "");
		sqlite3_bind_int(st, 2, (int)lk[i].shard);
		bind_text(st, 3, node);
		if (lk[i].txid)
			sqlite3_bind_int64(st, 4, (sqlite3_int64)lk[i].txid);
		else
			sqlite3_bind_null(st, 4);
		sqlite3_bind_int(st, 5, lk[i].granted);
		bind_text(st, 6, lk[i].mode);
		step(st);
	}
	sqlite3_finalize(st);
}

/* murphy.transaction_outcomes is a virtual table over the catalog
 * (lead_outcomes_vt.c): nothing to copy; the entry stays for the 55000
 * refusal while a restart rebuilds the rows. */
static void fill_outcomes(lead_engine *e) { (void)e; }

/* ---- murphy.shard_load, murphy.node_load (load/load.h, lead_load.c) ---- */

static const char *const load_periods[] = {"10s", "5min", "total"};

/* Parameters first.. of the counters of c over period w. */
static void bind_load(sqlite3_stmt *st, int first, load_window w, const load_counts *c)
{
	bind_text(st, first, load_periods[w]);
	sqlite3_bind_int64(st, first + 1, (sqlite3_int64)c->reads);
	sqlite3_bind_int64(st, first + 2, (sqlite3_int64)c->writes);
	sqlite3_bind_int64(st, first + 3, (sqlite3_int64)c->rows_read);
	sqlite3_bind_int64(st, first + 4, (sqlite3_int64)c->rows_written);
	sqlite3_bind_int64(st, first + 5, (sqlite3_int64)c->bytes_read);
	sqlite3_bind_int64(st, first + 6, (sqlite3_int64)c->bytes_written);
	sqlite3_bind_double(st, first + 7, (double)c->cpu_us / 1000.0);
}

static void fill_shard_load(lead_engine *e)
{
	uint64_t now_s = mur_now_ms() / 1000;
	sqlite3_stmt *st;
	sqlite3_prepare_v2(e->mem,
			   "INSERT INTO murphy_shard_load VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?)", -1,
			   &st, NULL);
	for (int i = 0; i < cat_table_count(e->cat) && e->copy_load; i++) {
		const cat_table *t = cat_table_at(e->cat, i);
		if (t->kind != CAT_TABLE_DISTRIBUTED)
			continue;
		for (uint32_t s = 0; s < t->nshards; s++)
			for (int k = 0; k < t->shards[s].nplacements; k++) {
				const cat_placement *p = &t->shards[s].placements[k];
				for (int w = LOAD_WINDOW_10S; w <= LOAD_WINDOW_TOTAL; w++) {
					load_counts c;
					load_sum(e->copy_load, t->id, s, p->node_id, w, now_s, &c);
					bind_text(st, 1, table_name(t));
					sqlite3_bind_int64(st, 2, s);
					bind_text(st, 3, node_name(e->cat, p->node_id));
					bind_text(st, 4,
						  p->role == CAT_PRIMARY ? "primary" : "replica");
					bind_load(st, 5, (load_window)w, &c);
					if (p->file_bytes)
						sqlite3_bind_int64(st, 13,
								   (sqlite3_int64)p->file_bytes);
					else
						sqlite3_bind_null(st, 13);
					step(st);
				}
			}
	}
	sqlite3_finalize(st);
}

/* The copies on node and how many of them are primaries. */
static void node_copies(lead_engine *e, uint32_t node, int *copies, int *primaries)
{
	*copies = *primaries = 0;
	for (int i = 0; i < cat_table_count(e->cat); i++) {
		const cat_table *t = cat_table_at(e->cat, i);
		if (t->kind != CAT_TABLE_DISTRIBUTED)
			continue;
		for (uint32_t s = 0; s < t->nshards; s++) {
			const cat_placement *p = cat_placement_on(&t->shards[s], node);
			*copies += p != NULL;
			*primaries += p && p->role == CAT_PRIMARY;
		}
	}
}

static void fill_node_load(lead_engine *e)
{
	static const double period_ms[] = {LOAD_SHORT_SLOTS * 1000.0,
					   LOAD_LONG_SLOTS * LOAD_LONG_SLOT_S * 1000.0, 0};
	uint64_t now_s = mur_now_ms() / 1000;
	sqlite3_stmt *st;
	sqlite3_prepare_v2(e->mem,
			   "INSERT INTO murphy_node_load VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?)", -1,
			   &st, NULL);
	for (int i = 0; i < cat_node_count(e->cat); i++) {
		const cat_node *n = cat_node_at(e->cat, i);
		int copies, primaries;
		if (n->role != CAT_NODE_FOLLOWER)
			continue;
		node_copies(e, n->id, &copies, &primaries);
		for (int w = LOAD_WINDOW_10S; w <= LOAD_WINDOW_TOTAL; w++) {
			load_counts c = {0};
			if (e->copy_load)
				load_sum_node(e->copy_load, n->id, w, now_s, &c);
			bind_text(st, 1, n->name);
			bind_load(st, 2, (load_window)w, &c);
			if (period_ms[w] > 0)
				sqlite3_bind_double(st, 10, (double)c.cpu_us / 10.0 / period_ms[w]);
			sqlite3_bind_int(st, 11, copies);
			sqlite3_bind_int(st, 12, primaries);
			if (n->disk_bytes)
				sqlite3_bind_int64(st, 13, (sqlite3_int64)n->disk_bytes);
			step(st);
		}
	}
	sqlite3_finalize(st);
}

/* One view: its table(s) in the leader's memory database, how to fill
 * them.  A query names the tables it reads (emit.c writes murphy.X as
 * murphy_X), so only those are rebuilt: SELECT 1, now(), txid_current()
 * and the rest of the leader-only SELECTs (drivers' health checks among
 * them) rebuild nothing. */
typedef struct lead_view {
	const char *name;  /* the murphy_<name> table the query must mention */
	const char *name2; /* a second table the same fill writes, or NULL */
	const char *ddl;   /* DROP and CREATE of its table(s) */
	void (*fill)(lead_engine *e);
} lead_view;

static const lead_view lead_views[] = {
	{"murphy_transactions", NULL,
	 "DROP TABLE IF EXISTS murphy_transactions;"
	 "CREATE TABLE murphy_transactions(txid, state, shards, age_ms, waiting_for, pid,"
	 " usename, application_name, participants, nodes, isolation);"
	 "DROP TABLE IF EXISTS murphy_locks;"
	 "CREATE TABLE murphy_locks(table_name, shard, node, txid, granted, mode);",
	 fill_transactions},
	{"murphy_locks", NULL, NULL, NULL}, /* filled with murphy_transactions */
	{"murphy_transaction_outcomes", NULL, "", fill_outcomes}, /* lead_outcomes_vt.c */
	{"murphy_sequences", NULL,
	 "DROP TABLE IF EXISTS murphy_sequences;"
	 "CREATE TABLE murphy_sequences(name, data_type, start_value, min_value, max_value,"
	 " increment_by, cycle, cache_size, last_value, owned_by);",
	 fill_sequences},
	{"murphy_ready", NULL,
	 "DROP TABLE IF EXISTS murphy_ready;"
	 "CREATE TABLE murphy_ready(ready, followers, shards_waiting, reason);",
	 fill_ready},
	{"murphy_stats", NULL,
	 "DROP TABLE IF EXISTS murphy_stats;"
	 "CREATE TABLE murphy_stats(table_name, column_name, shards, rows, "
	 "distinct_per_shard_avg, distinct_max_shard, analyzed_at);",
	 fill_stats},
	{"murphy_nodes", NULL,
	 "DROP TABLE IF EXISTS murphy_nodes;"
	 "CREATE TABLE murphy_nodes(name, address, role, state, last_heartbeat);",
	 fill_nodes},
	{"murphy_shards", "murphy_placements",
	 "DROP TABLE IF EXISTS murphy_shards;"
	 "CREATE TABLE murphy_shards(table_name, shard, hash_min, hash_max, node, rows,"
	 " range_min, range_max, replication_factor, copies_current, under_replicated,"
	 " under_replicated_reason);"
	 "DROP TABLE IF EXISTS murphy_placements;"
	 "CREATE TABLE murphy_placements(table_name, shard, node, role, applied_lsn, lag, "
	 "state, lag_entries, lag_ms);",
	 fill_shards_and_placements},
	{"murphy_rebuilds", NULL,
	 "DROP TABLE IF EXISTS murphy_rebuilds;"
	 "CREATE TABLE murphy_rebuilds(table_name, shard, source, target, replaces, state, "
	 "phase, bytes_done, bytes_total, started_at, elapsed_ms, error);",
	 fill_rebuilds},
	{"murphy_moves", NULL,
	 "DROP TABLE IF EXISTS murphy_moves;"
	 "CREATE TABLE murphy_moves(table_name, shard, source, target, phase, bytes_done, "
	 "bytes_total, rate_mbps, eta_ms, pause_ms, state, error, started_at, elapsed_ms, "
	 "estimate_ms, kind, new_shard, reason);",
	 fill_moves},
	{"murphy_rebalance_plan", NULL,
	 "DROP TABLE IF EXISTS murphy_rebalance_plan;"
	 "CREATE TABLE murphy_rebalance_plan(step, table_name, shard, source, target, tables, "
	 "source_copies, target_copies, bytes_estimate, eta_ms, reason, load_ms);",
	 fill_rebalance_plan},
	{"murphy_settings", NULL,
	 "DROP TABLE IF EXISTS murphy_settings;"
	 "CREATE TABLE murphy_settings(name, setting, unit, description);",
	 fill_settings},
	{"murphy_shard_load", NULL,
	 "DROP TABLE IF EXISTS murphy_shard_load;"
	 "CREATE TABLE murphy_shard_load(table_name, shard, node, role, period, reads, writes,"
	 " rows_read, rows_written, bytes_read, bytes_written, cpu_ms, disk_bytes);",
	 fill_shard_load},
	{"murphy_node_load", NULL,
	 "DROP TABLE IF EXISTS murphy_node_load;"
	 "CREATE TABLE murphy_node_load(node, period, reads, writes, rows_read, rows_written,"
	 " bytes_read, bytes_written, cpu_ms, cpu_pct, placements, primaries, disk_bytes);",
	 fill_node_load},
	{"murphy_query_stats", NULL,
	 "DROP TABLE IF EXISTS murphy_query_stats;"
	 "CREATE TABLE murphy_query_stats(started_at, query, strategy, shards, rows, "
	 "leader_rows, leader_bytes, shuffled_rows, shuffled_bytes, elapsed_ms, error);",
	 fill_query_stats},
};

/* 1 when sql reads view v (or the view filled with it). */
static int view_wanted(const char *sql, size_t k)
{
	const lead_view *v = &lead_views[k];
	if (strstr(sql, v->name) || (v->name2 && strstr(sql, v->name2)))
		return 1;
	/* murphy_locks is filled by murphy_transactions' entry */
	return v->fill == fill_transactions && strstr(sql, "murphy_locks");
}

/* pg_stat_activity.state as PostgreSQL's: a session running a statement
 * (this one, or one waiting for followers or a lock) is active. */
static const char *activity_state(const lead_engine *e, const lead_session *s)
{
	if (s == e->local_session || s->stmt_done)
		return "active";
	if (s->txn == LEAD_TXN_FAILED)
		return "idle in transaction (aborted)";
	return s->txid ? "idle in transaction" : "idle";
}

void lead_activity_connected(lead_session *s)
{
	s->backend_start_us = s->state_change_us = mur_wall_us();
}

void lead_activity_begin(lead_session *s)
{
	s->query_start_us = s->state_change_us = mur_wall_us();
}

void lead_activity_end(lead_session *s) { s->state_change_us = mur_wall_us(); }

/* A block's start is now() of its statements (lead_session_sql_options
 * keeps it while the block is open); outside one, the statement's. */
int64_t lead_activity_now_us(const lead_session *s, int which)
{
	if (which == 0 && s->txn != LEAD_TXN_IDLE && s->xact_now_us)
		return s->xact_now_us;
	return s->query_start_us;
}

/* Is one of s's transactions (its block's, an autocommit statement's)
 * queued behind a lock?  rows: repl_txn_list's n. */
static int waits_for_lock(const lead_session *s, const repl_txn_info *rows, int n)
{
	for (int i = 0; i < n; i++) {
		if (!rows[i].waiting_for)
			continue;
		if (s->txid && rows[i].txid == s->txid)
			return 1;
		for (const lead_run *r = s->runs; r; r = r->snext)
			if (r->itx && repl_txn_id(r->itx) == rows[i].txid)
				return 1;
	}
	return 0;
}

/* pg_stat_activity's wait_event_type and wait_event, PostgreSQL's names:
 * a lock on the rows another transaction wrote (murphy's shard lock) is
 * its wait for that transaction's end; an ALTER's block, for the table's
 * lock; an idle session waits for its client. */
static void activity_wait(const lead_session *s, const char *state, int waits, pgc_activity *a)
{
	if (strncmp(state, "idle", 4) == 0)
		a->wait_event_type = "Client", a->wait_event = "ClientRead";
	else if (waits)
		a->wait_event_type = "Lock", a->wait_event = "transactionid";
	else if (s->shape_waiting)
		a->wait_event_type = "Lock", a->wait_event = "relation";
}

/* pg_stat_activity, pg_stat_ssl, pg_stat_gssapi: the open sessions (at most
 * PGW_CONNECTIONS_MAX). */
static int activity(lead_engine *e, pgc_activity *acts, int max)
{
	int n = 0, ntx = repl_txn_list(e->repl, txn_rows, LEAD_TXN_ROWS_MAX);
	pgw_tls_info tls;
	if (ntx > LEAD_TXN_ROWS_MAX)
		ntx = LEAD_TXN_ROWS_MAX;
	for (const lead_session *s = e->sessions; s && n < max; s = s->next_open) {
		int ssl = s->ps && pgw_session_tls(s->ps, &tls);
		const char *state = activity_state(e, s);
		/* xact_start: NULL when idle outside a block or in a failed one,
		 * as PostgreSQL's (an aborted transaction is over) */
		int in_xact = !strcmp(state, "active") || !strcmp(state, "idle in transaction");
		/* query: the running or latest statement (cut at
		 * LEAD_QUERY_TEXT_MAX), as PostgreSQL's */
		acts[n] = (pgc_activity){.pid = (int)s->pid,
					 .user = s->user,
					 .database = "murphy",
					 .application_name = s->app,
					 .state = state,
					 .query = s->last_query,
					 .backend_start_us = s->backend_start_us,
					 .xact_start_us = in_xact ? lead_activity_now_us(s, 0) : 0,
					 .query_start_us = s->query_start_us,
					 .state_change_us = s->state_change_us,
					 .ssl = ssl,
					 .ssl_version = ssl ? tls.version : NULL,
					 .ssl_cipher = ssl ? tls.cipher : NULL,
					 .ssl_bits = ssl ? tls.bits : 0};
		activity_wait(s, state, waits_for_lock(s, txn_rows, ntx), &acts[n++]);
	}
	return n;
}

int lead_local_materialize_views(lead_engine *e, const char *sql, mur_error *err)
{
	static pgc_activity acts[PGW_CONNECTIONS_MAX];
	int began = 0;
	if (strstr(sql, "pg_catalog.\"") || strstr(sql, "information_schema.\"")) {
		int n = strstr(sql, "pg_stat_activity") || strstr(sql, "pg_stat_ssl") ||
					strstr(sql, "pg_stat_gssapi")
				? activity(e, acts, PGW_CONNECTIONS_MAX)
				: 0;
		if (pgc_materialize(e->mem, e->cat, &e->pgc, acts, n, sql, err) != MUR_OK)
			return MUR_ERR;
	}
	for (size_t k = 0; k < sizeof lead_views / sizeof lead_views[0]; k++) {
		int rc;
		if (!lead_views[k].fill || !view_wanted(sql, k))
			continue;
		if (lead_views[k].fill == fill_outcomes && repl_outcomes_rebuilding(e->repl)) {
			/* a txid without a row may still get one: no "no row" yet */
			if (began)
				sqlite3_exec(e->mem, "ROLLBACK", NULL, NULL, NULL);
			mur_error_set(err, "55000",
				      "murphy.transaction_outcomes is being rebuilt from the "
				      "shards' "
				      "staging markers after the leader's restart; ask again "
				      "shortly");
			return MUR_ERR;
		}
		if (!began) {
			sqlite3_exec(e->mem, "BEGIN", NULL, NULL, NULL);
			began = 1;
		}
		rc = sqlite3_exec(e->mem, lead_views[k].ddl, NULL, NULL, NULL);
		if (rc != SQLITE_OK) {
			sqlite3_exec(e->mem, "ROLLBACK", NULL, NULL, NULL);
			return lead_local_fail(e, rc, err);
		}
		lead_views[k].fill(e);
	}
	if (began)
		sqlite3_exec(e->mem, "COMMIT", NULL, NULL, NULL);
	return MUR_OK;
}
