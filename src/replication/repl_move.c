/*
 * repl_move.c — moving a copy of a shard from one follower to another,
 * online (SELECT murphy.move_placement('t', shard, 'f1', 'f4');
 * docs/load.md, "Moving a copy online").
 *
 * A move is a rebuild that replaces a live copy: it reuses the recovery's
 * machinery (repl_recover.c) and adds no copier of its own.  The target
 * gets a REBUILDING placement; the REBUILD task makes it fetch a snapshot
 * and the shard log from the shard's primary (follower to follower, at
 * most murphy.move_max_mbps); the final catch-up runs as an exclusive op
 * of the shard (writes wait: the pause measured and shown); switch_in then
 * makes the new copy a member, gives it the primary role if the old copy
 * had it, and removes the old copy from the catalog.  The old file is
 * dropped at the next tick (reads already sent there finish first).
 *
 *            repl_move_start
 *                  │  size QUERY to the primary (bytes to copy: the estimate)
 *                  ▼
 *   ┌──────── SIZING ─────────┐
 *   │              │ answer: placement added on the target, REBUILD sent
 *   │              ▼          (repl_rebuild_begin)
 *   │          COPYING ◄──────┐  the rebuild failed (source killed, …):
 *   │              │          │  the recovery tick copies it again
 *   │              │          └── (at most REPL_MOVE_FAILURES_MAX times)
 *   │              │ rebuild row "catching up"
 *   │              ▼
 *   │         SWITCHING        final catch-up, exclusive: writes paused
 *   │              │ switch_in (repl_move_switched): new copy current,
 *   │              ▼ old copy out of the catalog
 *   │          DROPPING        DROP of the old file sent at the next tick, done
 *   │              │           when it answers (repl_move_dropped; an
 *   │              │           unreachable source drops it at its return)
 *   │              ▼
 *   │            DONE
 *   │
 *   └──► ABORTED  from SIZING/COPYING/SWITCHING: the target unreachable,
 *                 the table dropped, the old copy gone, too many failures,
 *                 or no progress for REPL_MOVE_STALL_MS.  The old copy
 *                 stays; the target's placement leaves the catalog (its
 *                 file is dropped now, or at the target's return: STATUS
 *                 reports it as an orphan).
 *
 * One call moves shard i of the table and of every table co-located with
 * it (cat_tables_colocated) whose shard i has a copy on the source: a
 * group, one move each, sharing a group id.  The call waits for the group
 * (repl_move_wait) and reports each move's time, bytes and pause.
 *
 * A move's intent is durable (cat_move_intent_put, the catalog's moves
 * table) from before the target's placement is added until the switch or
 * the abort.  A leader restart in between settles it at catalog open
 * (catalog_store.c): a move that had switched completes (the source's
 * placement goes), any other aborts (the target's placement goes; its
 * file is an orphan the follower's STATUS reports and the recovery
 * drops), so no extra copy stays.  murphy.moves then shows it (done or
 * aborted, "the leader restarted").  The rest of a move's state — rate,
 * pause, waiters — lives in memory.
 */
#include "replication/repl_int.h"

#include "common/clock.h"
#include "common/log.h"
#include "wire/proto.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Moves remembered for murphy.moves (finished ones are forgotten oldest
 * first when a new one needs the room). */
#define REPL_MOVES_MAX 64
/* Sessions waiting for a group at once: one per call in flight. */
#define REPL_MOVE_WAITERS_MAX 64
/* A move's rebuild that failed this often (the source killed again and
 * again) gives up: the old copy stays. */
#define REPL_MOVE_FAILURES_MAX 5
/* A move whose bytes and phase have not changed this long aborts: every
 * call returns.  A throttled move gets the time of one snapshot chunk at
 * its rate on top (its bytes move a chunk at a time). */
#define REPL_MOVE_STALL_MS 60000
/* murphy.rebalance copies this many shards at once: the rest queue.  More
 * at once take more of the followers' CPU and disk together, and the
 * switches' write pauses grow with it (8 side by side on the 2-core test
 * machine: up to 148 ms; one: 1-14 ms).  A co-located group counts each
 * of its tables. */
#define REPL_MOVE_PARALLEL_MAX 2
/* Copy rate assumed for the estimate before the first move measured one:
 * a rebuild of 31 MB ran at 22 MB/s on the shared 2-core test machine
 * (bench/results/2026-12-06-replication-after-renovation.md). */
#define REPL_MOVE_RATE_GUESS_BPS (20.0 * 1024 * 1024)
/* The throttle's ceiling (murphy.move_max_mbps): 1 TB/s. */
#define REPL_MOVE_MBPS_MAX 1000000.0
/* Its floor: a snapshot chunk (1 MB) acknowledged at least every 10 s,
 * well inside the peers' 30 s read timeout (NODE_PEER_READ_TIMEOUT_MS). */
#define REPL_MOVE_MBPS_MIN 0.1

typedef struct move_waiter {
	uint64_t group;
	repl_resume_fn fn;
	void *arg;
} move_waiter;

struct repl_moves {
	repl_move rows[REPL_MOVES_MAX];
	int nrows;
	move_waiter waiters[REPL_MOVE_WAITERS_MAX];
	int nwaiters;
	uint64_t next_group;
	uint32_t next_step;
	double rate_bps; /* the last finished move's copy rate (0: none yet) */
};

static const char *const state_names[] = {
	[REPL_MOVE_QUEUED] = "queued",     [REPL_MOVE_SIZING] = "sizing",
	[REPL_MOVE_COPYING] = "copying",   [REPL_MOVE_SWITCHING] = "switching",
	[REPL_MOVE_DROPPING] = "dropping", [REPL_MOVE_DONE] = "done",
	[REPL_MOVE_ABORTED] = "aborted",
};

const char *repl_move_state_name(repl_move_state s) { return state_names[s]; }

static int move_finished(const repl_move *m)
{
	return m->state == REPL_MOVE_DONE || m->state == REPL_MOVE_ABORTED;
}

static struct repl_moves *moves_of(repl_ctx *c)
{
	if (!c->moves)
		c->moves = calloc(1, sizeof *c->moves);
	return c->moves;
}

void repl_moves_destroy(repl_ctx *c)
{
	repl_splits_destroy(c);
	free(c->moves);
	c->moves = NULL;
}

int repl_move_count(const repl_ctx *c) { return c->moves ? c->moves->nrows : 0; }

int repl_move_running(const repl_ctx *c)
{
	int n = 0;
	for (int i = 0; c->moves && i < c->moves->nrows; i++)
		n += !move_finished(&c->moves->rows[i]);
	return n;
}

const repl_move *repl_move_at(const repl_ctx *c, int i) { return &c->moves->rows[i]; }

static repl_move *move_running(repl_ctx *c, uint32_t table_id, uint32_t shard)
{
	struct repl_moves *ms = c->moves;
	for (int i = 0; ms && i < ms->nrows; i++)
		if (ms->rows[i].table_id == table_id && ms->rows[i].shard == shard &&
		    !move_finished(&ms->rows[i]))
			return &ms->rows[i];
	return NULL;
}

uint64_t repl_move_rate_for(repl_ctx *c, uint32_t table_id, uint32_t shard, uint32_t target)
{
	repl_move *m = move_running(c, table_id, shard);
	return m && m->target == target ? m->max_bps : 0;
}

/* A free row, forgetting the oldest finished move when full; NULL when
 * every row is a running move. */
static repl_move *move_alloc(struct repl_moves *ms)
{
	int victim = -1;
	if (ms->nrows < REPL_MOVES_MAX)
		return memset(&ms->rows[ms->nrows++], 0, sizeof ms->rows[0]);
	for (int i = 0; i < ms->nrows; i++)
		if (move_finished(&ms->rows[i]) &&
		    (victim < 0 || ms->rows[i].started_ms < ms->rows[victim].started_ms))
			victim = i;
	return victim < 0 ? NULL : memset(&ms->rows[victim], 0, sizeof ms->rows[0]);
}

/* ---- finishing ---- */

/* Moves of group between sizing and the switch. */
static int group_copying(const struct repl_moves *ms, uint64_t group)
{
	int n = 0;
	for (int i = 0; i < ms->nrows; i++)
		n += ms->rows[i].group == group && ms->rows[i].state >= REPL_MOVE_SIZING &&
		     ms->rows[i].state <= REPL_MOVE_SWITCHING;
	return n;
}

static int group_finished(const struct repl_moves *ms, uint64_t group)
{
	for (int i = 0; i < ms->nrows; i++)
		if (ms->rows[i].group == group && !move_finished(&ms->rows[i]))
			return 0;
	return 1;
}

/* Call the waiters of every group that has finished (each exactly once). */
static void wake_waiters(repl_ctx *c)
{
	struct repl_moves *ms = c->moves;
	for (int i = 0; ms && i < ms->nwaiters;) {
		move_waiter w = ms->waiters[i];
		if (!group_finished(ms, w.group)) {
			i++;
			continue;
		}
		ms->waiters[i] = ms->waiters[--ms->nwaiters];
		w.fn(w.arg); /* may start another move: ms stays valid (never freed here) */
	}
}

int repl_move_wait(repl_ctx *c, uint64_t group, repl_resume_fn fn, void *arg)
{
	struct repl_moves *ms = c->moves;
	if (!ms || group_finished(ms, group) || ms->nwaiters >= REPL_MOVE_WAITERS_MAX)
		return 0;
	ms->waiters[ms->nwaiters++] = (move_waiter){group, fn, arg};
	return 1;
}

void repl_move_unwait(repl_ctx *c, repl_resume_fn fn, void *arg)
{
	struct repl_moves *ms = c->moves;
	for (int i = 0; ms && i < ms->nwaiters; i++)
		if (ms->waiters[i].fn == fn && ms->waiters[i].arg == arg) {
			ms->waiters[i] = ms->waiters[--ms->nwaiters];
			return;
		}
}

/* The move's intent leaves the catalog: it switched or aborted.  Only a
 * move that reached copying put one. */
static void intent_clear(repl_ctx *c, const repl_move *m)
{
	mur_error err;
	if (m->copy_started_ms &&
	    cat_move_intent_clear(c->cat, m->table_id, m->shard, &err) != MUR_OK)
		MLOG(WARN, "move", "%s", err.message);
}

static void move_end(repl_move *m, repl_move_state state, const char *error)
{
	m->aborted_in = m->state;
	m->state = state;
	m->finished_ms = mur_wall_ms();
	if (error)
		snprintf(m->error, sizeof m->error, "%.159s", error);
}

repl_move *repl_move_row_new(repl_ctx *c, uint64_t *group)
{
	struct repl_moves *ms = moves_of(c);
	repl_move *m = ms ? move_alloc(ms) : NULL;
	if (!m)
		return NULL;
	if (!*group)
		*group = ++ms->next_group;
	m->group = *group;
	m->step = ++ms->next_step;
	m->started_ms = m->progress_ms = mur_wall_ms();
	return m;
}

void repl_move_group_reason(repl_ctx *c, uint64_t group, const char *reason)
{
	for (int i = 0; c->moves && i < c->moves->nrows; i++)
		if (c->moves->rows[i].group == group)
			snprintf(c->moves->rows[i].reason, sizeof c->moves->rows[i].reason, "%s",
				 reason);
}

void repl_move_row_end(repl_ctx *c, repl_move *m, repl_move_state state, const char *error)
{
	move_end(m, state, error);
	wake_waiters(c);
}

/* Abort m: the old copy stays; the target's placement (not yet a member)
 * leaves the catalog and its file is dropped if the target is reachable. */
static void move_abort(repl_ctx *c, repl_move *m, const char *why)
{
	cat_table *t = cat_table_by_id(c->cat, m->table_id);
	cat_placement *p = t && m->shard < t->nshards
				   ? cat_placement_on(&t->shards[m->shard], m->target)
				   : NULL;
	mur_error err;
	if (p && p->state == CAT_PL_REBUILDING) {
		repl_rebuild_abort(c, m->table_id, m->shard, m->target, why);
		if (cat_placement_remove(c->cat, m->table_id, m->shard, m->target, &err) != MUR_OK)
			MLOG(WARN, "move", "%s", err.message);
		else if (repl_connected(c, m->target))
			repl_drop_copy(c, m->target, t, m->shard);
	}
	intent_clear(c, m);
	MLOG(WARN, "move", "move of shard %u of %s from %s to %s aborted: %s", m->shard,
	     m->table_name, cat_node_name(c->cat, m->source), cat_node_name(c->cat, m->target),
	     why);
	move_end(m, REPL_MOVE_ABORTED, why);
}

/* ---- starting ---- */

typedef struct size_req {
	repl_ctx *c;
	uint64_t group;
	uint32_t table_id, shard;
} size_req;

static void begin_copy(repl_ctx *c, repl_move *m)
{
	cat_table *t = cat_table_by_id(c->cat, m->table_id);
	cat_move_intent in = {m->table_id, m->shard, m->source, m->target, mur_wall_ms(), 0};
	mur_error err;
	if (!t || m->shard >= t->nshards)
		return move_abort(c, m, "the table was dropped");
	if (!cat_placement_on(&t->shards[m->shard], m->source))
		return move_abort(c, m, "the source's copy left the catalog");
	if (cat_placement_on(&t->shards[m->shard], m->target))
		return move_abort(c, m, "the target took a copy meanwhile");
	/* durable before the placement: a restart then finds and settles it */
	if (cat_move_intent_put(c->cat, &in, &err) != MUR_OK)
		return move_abort(c, m, err.message);
	m->copy_started_ms = in.started_ms;
	if (repl_rebuild_begin(c, t, m->shard, m->target, m->source, &err) != MUR_OK)
		return move_abort(c, m, err.message);
	m->state = REPL_MOVE_COPYING;
	m->progress_ms = m->copy_started_ms;
}

static uint64_t answer_bytes(const exec_result *res)
{
	mur_rd rd;
	mur_value v;
	if (res->failed || res->nrows != 1)
		return 0;
	mur_rd_init(&rd, res->rows.data, res->rows.len);
	return mur_row_get_value(&rd, &v) == MUR_OK && v.kind == MV_INT && v.i > 0 ? (uint64_t)v.i
										   : 0;
}

/* The primary said how large the placement is: state the estimate, start
 * the copy. */
static void sized(void *arg, exec_result *res)
{
	size_req *q = arg;
	repl_ctx *c = q->c;
	struct repl_moves *ms = c->moves;
	for (int i = 0; ms && i < ms->nrows; i++) {
		repl_move *m = &ms->rows[i];
		if (m->group != q->group || m->table_id != q->table_id || m->shard != q->shard ||
		    m->state != REPL_MOVE_SIZING)
			continue;
		m->bytes_total = m->estimate_bytes = answer_bytes(res);
		m->estimate_ms = (uint64_t)((double)m->bytes_total * 1000.0 /
					    repl_move_rate_estimate(c, m->max_bps));
		MLOG(INFO, "move", "shard %u of %s: %llu bytes to copy, about %llu ms", m->shard,
		     m->table_name, (unsigned long long)m->bytes_total,
		     (unsigned long long)m->estimate_ms);
		begin_copy(c, m);
	}
	free(q);
	wake_waiters(c);
}

/* Ask the shard's primary the size of each placement of the group (one
 * QUERY per move; the copies start when the last answer comes). */
static int size_query(repl_ctx *c, repl_move *m, uint64_t group, mur_error *err)
{
	cat_table *t = cat_table_by_id(c->cat, m->table_id);
	uint32_t primary = repl_ensure_primary(c, t, m->shard);
	size_req *q;
	exec_task task;
	repl_shard_task(&task, EXEC_TASK_QUERY, t, m->shard);
	/* the pages in use: what the snapshot copies (free pages are not sent) */
	task.sql = REPL_PAGES_BYTES_SQL;
	if (!primary)
		return mur_error_set(err, SQLSTATE_OBJECT_NOT_IN_PREREQUISITE_STATE,
				     "shard %u of %s has no current copy to copy from", m->shard,
				     t->name);
	if (!(q = calloc(1, sizeof *q)))
		return mur_error_set(err, SQLSTATE_OUT_OF_MEMORY, "out of memory");
	q->c = c;
	q->group = group;
	q->table_id = m->table_id;
	q->shard = m->shard;
	if (c->tr.send(c->tr.ctx, primary, &task, sized, q, err) != MUR_OK) {
		free(q);
		return MUR_ERR;
	}
	return MUR_OK;
}

static void hint_placements(mur_error *err, const cat_table *t, uint32_t shard)
{
	mur_error_hint(err,
		       "SELECT node, role, state FROM murphy.placements WHERE table_name = '%s' "
		       "AND shard = %u shows where its copies are.",
		       t->name, shard);
}

static const cat_node *follower_named(repl_ctx *c, const char *name, mur_error *err)
{
	for (int i = 0; i < cat_node_count(c->cat); i++) {
		const cat_node *n = cat_node_at(c->cat, i);
		if (n->role == CAT_NODE_FOLLOWER && strcmp(n->name, name) == 0)
			return n;
	}
	mur_error_set(err, SQLSTATE_UNDEFINED_OBJECT, "follower \"%s\" does not exist", name);
	mur_error_hint(err, "SELECT name, state FROM murphy.nodes lists the followers.");
	return NULL;
}

/* The request's table, shard and nodes, checked (err says why not). */
static cat_table *check_request(repl_ctx *c, const repl_move_req *rq, const cat_node **from,
				const cat_node **to, mur_error *err)
{
	const cat_table *ct = cat_table_lookup_text(c->cat, rq->table);
	cat_table *t = ct ? cat_table_by_id(c->cat, ct->id) : NULL;
	const cat_shard *s;
	if (!t || t->kind != CAT_TABLE_DISTRIBUTED)
		return mur_error_set(err, SQLSTATE_UNDEFINED_TABLE,
				     "distributed table \"%s\" does not exist", rq->table),
		       mur_error_hint(err, "SELECT DISTINCT table_name FROM murphy.shards lists "
					   "them."),
		       NULL;
	if (cat_table_is_reference(t))
		return mur_error_set(err, SQLSTATE_FEATURE_NOT_SUPPORTED,
				     "%s is a reference table: every follower holds a copy, "
				     "there is nothing to move",
				     t->name),
		       NULL;
	if (rq->shard < 0 || rq->shard >= (int64_t)t->nshards) {
		mur_error_set(err, SQLSTATE_INVALID_PARAMETER_VALUE,
			      "table %s has no shard %lld: its shards are 0 to %u", t->name,
			      (long long)rq->shard, t->nshards - 1);
		mur_error_hint(err,
			       "SELECT shard, node FROM murphy.shards WHERE table_name = '%s'.",
			       t->name);
		return NULL;
	}
	if (!(*from = follower_named(c, rq->from, err)) || !(*to = follower_named(c, rq->to, err)))
		return NULL;
	s = &t->shards[rq->shard];
	if (!cat_placement_on((cat_shard *)s, (*from)->id))
		return mur_error_set(err, SQLSTATE_OBJECT_NOT_IN_PREREQUISITE_STATE,
				     "%s holds no copy of shard %u of %s", (*from)->name, s->index,
				     t->name),
		       hint_placements(err, t, s->index), NULL;
	if (cat_placement_on((cat_shard *)s, (*to)->id))
		return mur_error_set(err, SQLSTATE_DUPLICATE_OBJECT,
				     "%s already holds a copy of shard %u of %s", (*to)->name,
				     s->index, t->name),
		       hint_placements(err, t, s->index), NULL;
	if ((*to)->state != CAT_NODE_ALIVE || !repl_connected(c, (*to)->id) ||
	    !repl_node_reported(c, (*to)->id))
		return mur_error_set(err, SQLSTATE_OBJECT_NOT_IN_PREREQUISITE_STATE,
				     "%s cannot take a copy now: it is not connected and alive",
				     (*to)->name),
		       mur_error_hint(err, "SELECT name, state FROM murphy.nodes."), NULL;
	return t;
}

/* A table of the group cannot move now: a move or rebuild of its shard runs. */
static int check_shard_free(repl_ctx *c, const cat_table *t, uint32_t sh, uint32_t target,
			    mur_error *err)
{
	const cat_shard *s = &t->shards[sh];
	repl_move *m = move_running(c, t->id, sh);
	if (m)
		return mur_error_set(err, SQLSTATE_OBJECT_IN_USE,
				     "shard %u of %s is already being moved from %s to %s", sh,
				     t->name, cat_node_name(c->cat, m->source),
				     cat_node_name(c->cat, m->target)),
		       mur_error_hint(err, "SELECT * FROM murphy.moves shows its progress; call "
					   "again once it is done."),
		       MUR_ERR;
	for (int k = 0; k < s->nplacements; k++)
		if (s->placements[k].state == CAT_PL_REBUILDING)
			return mur_error_set(err, SQLSTATE_OBJECT_IN_USE,
					     "a copy of shard %u of %s is being rebuilt on %s", sh,
					     t->name,
					     cat_node_name(c->cat, s->placements[k].node_id)),
			       mur_error_hint(err, "SELECT * FROM murphy.rebuilds shows it; call "
						   "again once it is done."),
			       MUR_ERR;
	if (!s->committed_known)
		return mur_error_set(err, SQLSTATE_OBJECT_NOT_IN_PREREQUISITE_STATE,
				     "shard %u of %s is still being recovered", sh, t->name),
		       MUR_ERR;
	if (repl_recovery_busy(c, t->id, sh, target))
		return mur_error_set(err, SQLSTATE_OBJECT_IN_USE,
				     "%s is still busy with shard %u of %s (dropping an old copy)",
				     cat_node_name(c->cat, target), sh, t->name),
		       mur_error_hint(err, "Call again in a moment."), MUR_ERR;
	return MUR_OK;
}

/* The tables that move with t: t first, then every table co-located with
 * it whose shard sh has a copy on `from`.  Refused (err) when one of them
 * cannot move the same way.  Returns how many (at most max). */
static int group_tables(repl_ctx *c, cat_table *t, uint32_t sh, const cat_node *from,
			const cat_node *to, cat_table **out, int max, mur_error *err)
{
	int n = 0;
	out[n++] = t;
	for (int i = 0; i < cat_table_count(c->cat) && n < max; i++) {
		cat_table *u = cat_table_by_id(c->cat, cat_table_at(c->cat, i)->id);
		if (!u || u == t || u->kind != CAT_TABLE_DISTRIBUTED ||
		    !cat_tables_colocated(t, u) || !cat_placement_on(&u->shards[sh], from->id))
			continue;
		if (cat_placement_on(&u->shards[sh], to->id)) {
			mur_error_set(err, SQLSTATE_OBJECT_NOT_IN_PREREQUISITE_STATE,
				      "shard %u of %s cannot move from %s to %s: %s is co-located "
				      "with it and already has a copy of shard %u on %s, and "
				      "co-located shards move together",
				      sh, t->name, from->name, to->name, u->name, sh, to->name);
			mur_error_hint(err, "Pick a target that holds shard %u of neither table.",
				       sh);
			return -1;
		}
		out[n++] = u;
	}
	for (int i = 0; i < n; i++)
		if (check_shard_free(c, out[i], sh, to->id, err) != MUR_OK)
			return -1;
	return n;
}

int repl_move_group_check(repl_ctx *c, cat_table *t, uint32_t sh, const cat_node *from,
			  const cat_node *to, cat_table **out, int max, mur_error *err)
{
	return group_tables(c, t, sh, from, to, out, max, err);
}

double repl_move_rate_estimate(const repl_ctx *c, uint64_t max_bps)
{
	double r = c->moves && c->moves->rate_bps > 0 ? c->moves->rate_bps
						      : REPL_MOVE_RATE_GUESS_BPS;
	return max_bps && (double)max_bps < r ? (double)max_bps : r;
}

int repl_move_start(repl_ctx *c, const repl_move_req *rq, uint64_t *group, mur_error *err)
{
	struct repl_moves *ms = moves_of(c);
	cat_table *tables[REPL_MOVE_GROUP_MAX];
	repl_move *made[REPL_MOVE_GROUP_MAX];
	const cat_node *from, *to;
	cat_table *t;
	int n, nmade = 0, queued;
	uint32_t step;

	if (!ms)
		return mur_error_set(err, SQLSTATE_OUT_OF_MEMORY, "out of memory");
	if (!(t = check_request(c, rq, &from, &to, err)) ||
	    (n = group_tables(c, t, (uint32_t)rq->shard, from, to, tables, REPL_MOVE_GROUP_MAX,
			      err)) < 0)
		return MUR_ERR;
	if (!*group)
		*group = ++ms->next_group;
	queued = rq->queue && group_copying(ms, *group) >= REPL_MOVE_PARALLEL_MAX;
	step = ++ms->next_step;
	for (int i = 0; i < n; i++) {
		repl_move *m = move_alloc(ms);
		if (!m) {
			mur_error_set(err, SQLSTATE_PROGRAM_LIMIT_EXCEEDED,
				      "%d moves are running: no room for another", REPL_MOVES_MAX);
			goto err_after_rows;
		}
		made[nmade++] = m;
		m->group = *group;
		m->table_id = tables[i]->id;
		m->shard = (uint32_t)rq->shard;
		m->source = from->id;
		m->target = to->id;
		m->max_bps = rq->max_bps;
		m->step = step;
		m->state = queued ? REPL_MOVE_QUEUED : REPL_MOVE_SIZING;
		m->started_ms = mur_wall_ms();
		m->progress_ms = m->started_ms;
		snprintf(m->table_name, sizeof m->table_name, "%s", tables[i]->name);
		if (!queued && size_query(c, m, *group, err) != MUR_OK)
			goto err_after_rows;
	}
	MLOG(INFO, "move", "moving shard %lld of %s%s from %s to %s (%d table%s)",
	     (long long)rq->shard, t->name, n > 1 ? " and its co-located tables" : "", from->name,
	     to->name, n, n > 1 ? "s" : "");
	return MUR_OK;

err_after_rows:
	/* the rows this call made: nothing copies yet (copies start when the
	 * size answers come, which then find them ended) */
	for (int i = 0; i < nmade; i++)
		move_end(made[i], REPL_MOVE_ABORTED, err->message);
	return MUR_ERR;
}

/* ---- the switch (repl_recover.c's switch_in) ---- */

void repl_move_switched(repl_ctx *c, uint32_t table_id, uint32_t shard, uint32_t target,
			uint64_t pause_us, int kept_old)
{
	repl_move *m = move_running(c, table_id, shard);
	if (!m || m->target != target)
		return;
	{
		const repl_rebuild *rb = repl_rebuild_row(c, table_id, shard, target);
		m->pause_us = pause_us;
		m->switched_ms = mur_wall_ms();
		if (rb && rb->bytes_total)
			m->bytes_total = rb->bytes_total;
		m->bytes_done = m->bytes_total;
		snprintf(m->rb_state, sizeof m->rb_state, "done");
		if (m->bytes_total && m->switched_ms > m->copy_started_ms)
			c->moves->rate_bps = (double)m->bytes_total * 1000.0 /
					     (double)(m->switched_ms - m->copy_started_ms);
		intent_clear(c, m);
		if (kept_old) {
			snprintf(m->error, sizeof m->error,
				 "the old copy on %s stays: without it the shard would have too "
				 "few copies",
				 cat_node_name(c->cat, m->source));
			move_end(m, REPL_MOVE_DONE, NULL);
		} else {
			m->state = REPL_MOVE_DROPPING;
		}
	}
	MLOG(INFO, "move", "shard %u of %s switched from %s to %s (writes paused %.1f ms)", shard,
	     m->table_name, cat_node_name(c->cat, m->source), cat_node_name(c->cat, target),
	     (double)pause_us / 1000.0);
	wake_waiters(c);
}

void repl_move_dropped(repl_ctx *c, uint32_t table_id, uint32_t shard, uint32_t node_id,
		       const exec_result *res)
{
	repl_move *m = move_running(c, table_id, shard);
	if (!m || m->state != REPL_MOVE_DROPPING || !m->drop_sent || m->source != node_id)
		return;
	if (res->failed)
		snprintf(m->error, sizeof m->error, "the old file stays on %s: %.100s",
			 cat_node_name(c->cat, node_id), res->err.message);
	move_end(m, REPL_MOVE_DONE, NULL);
	wake_waiters(c);
}

/* ---- the tick ---- */

/* Start the oldest queued request of each group whose copying moves
 * went below REPL_MOVE_PARALLEL_MAX (all rows of a request together). */
static void start_queued(repl_ctx *c, struct repl_moves *ms)
{
	for (int i = 0; i < ms->nrows; i++) {
		repl_move *q = &ms->rows[i];
		uint32_t step = q->step;
		mur_error err;
		if (q->state != REPL_MOVE_QUEUED ||
		    group_copying(ms, q->group) >= REPL_MOVE_PARALLEL_MAX)
			continue;
		for (int k = 0; k < ms->nrows; k++) /* the group's oldest queued request */
			if (ms->rows[k].group == q->group &&
			    ms->rows[k].state == REPL_MOVE_QUEUED && ms->rows[k].step < step)
				step = ms->rows[k].step;
		for (int k = 0; k < ms->nrows; k++) {
			repl_move *m = &ms->rows[k];
			if (m->group != q->group || m->step != step || m->state != REPL_MOVE_QUEUED)
				continue;
			m->state = REPL_MOVE_SIZING;
			m->started_ms = m->progress_ms = mur_wall_ms();
			if (size_query(c, m, m->group, &err) != MUR_OK)
				move_end(m, REPL_MOVE_ABORTED, err.message);
		}
	}
}

static int64_t stall_ms(const repl_move *m)
{
	return REPL_MOVE_STALL_MS + (m->max_bps ? (int64_t)((double)NET_PEER_SNAPSHOT_CHUNK_BYTES *
							    1000.0 / (double)m->max_bps)
						: 0);
}

/* Follow m's rebuild row: progress, failures, the final catch-up. */
static void follow_rebuild(repl_ctx *c, repl_move *m, const repl_rebuild *rb, int64_t now)
{
	if (!rb)
		return move_abort(c, m, "its rebuild was forgotten");
	if (rb->bytes_total)
		m->bytes_total = rb->bytes_total;
	if (rb->bytes_done != m->bytes_done || strcmp(rb->state, m->rb_state) != 0)
		m->progress_ms = now;
	m->bytes_done = rb->bytes_done;
	if (strcmp(rb->state, "failed") == 0 && rb->finished_ms != m->failed_seen_ms) {
		m->failed_seen_ms = rb->finished_ms;
		snprintf(m->error, sizeof m->error, "%.159s", rb->error);
		if (++m->failures >= REPL_MOVE_FAILURES_MAX)
			return move_abort(c, m, rb->error);
		MLOG(INFO, "move", "move of shard %u of %s: copy failed (%s), trying again",
		     m->shard, m->table_name, rb->error);
	}
	snprintf(m->rb_state, sizeof m->rb_state, "%s", rb->state);
	if (strcmp(rb->state, "catching up") == 0)
		m->state = REPL_MOVE_SWITCHING;
	else if (strcmp(rb->state, "copying") == 0)
		m->state = REPL_MOVE_COPYING;
	if (now - m->progress_ms > stall_ms(m))
		move_abort(c, m, "no progress for too long");
}

static void move_step(repl_ctx *c, repl_move *m, int64_t now)
{
	if (m->split)
		return; /* repl_split_tick */
	{
		cat_table *t = cat_table_by_id(c->cat, m->table_id);
		const cat_node *target = cat_node_by_id(c->cat, m->target);
		if (m->state == REPL_MOVE_DROPPING) {
			if (!m->drop_sent && t && repl_connected(c, m->source) &&
			    repl_drop_copy(c, m->source, t, m->shard)) {
				m->drop_sent = 1; /* done when it answers (repl_move_dropped) */
				m->progress_ms = now;
			} else if (!m->drop_sent || now - m->progress_ms > REPL_MOVE_STALL_MS) {
				move_end(m, REPL_MOVE_DONE,
					 NULL); /* an unreachable source drops it at return */
			}
			return;
		}
		if (m->state == REPL_MOVE_QUEUED)
			return; /* start_queued */
		if (m->state == REPL_MOVE_SIZING) {
			if (now - m->progress_ms > REPL_MOVE_STALL_MS)
				move_abort(c, m, "the source did not say how large the shard is");
			return;
		}
		if (!t || m->shard >= t->nshards)
			return move_abort(c, m, "the table was dropped");
		if (!target || target->state != CAT_NODE_ALIVE || !repl_connected(c, m->target))
			return move_abort(c, m, "the target became unreachable");
		if (!cat_placement_on(&t->shards[m->shard], m->target))
			return move_abort(c, m, "the target's copy left the catalog");
		if (!cat_placement_on(&t->shards[m->shard], m->source))
			return move_abort(c, m, "the source's copy left the catalog");
		follow_rebuild(c, m, repl_rebuild_row(c, m->table_id, m->shard, m->target), now);
	}
}

/* The moves a leader restart interrupted (settled at catalog open) show in
 * murphy.moves (repl_create calls it). */
void repl_moves_restarted(repl_ctx *c)
{
	const cat_move_intent *in;
	int n = cat_moves_resolved(c->cat, &in);
	struct repl_moves *ms = n > 0 ? moves_of(c) : c->moves;
	if (!ms)
		return;
	for (int i = 0; i < n; i++) {
		const cat_table *t = cat_table_by_id(c->cat, in[i].table_id);
		repl_move *m = move_alloc(ms);
		if (!m)
			return;
		m->group = ++ms->next_group;
		m->table_id = in[i].table_id;
		m->shard = in[i].shard;
		m->source = in[i].source;
		m->target = in[i].target;
		m->started_ms = in[i].started_ms;
		m->state = in[i].switched ? REPL_MOVE_DROPPING : REPL_MOVE_COPYING;
		snprintf(m->table_name, sizeof m->table_name, "%s", t ? t->name : "?");
		move_end(m, in[i].switched ? REPL_MOVE_DONE : REPL_MOVE_ABORTED,
			 in[i].switched ? NULL : "the leader restarted: the move was aborted");
		if (in[i].switched)
			snprintf(m->error, sizeof m->error,
				 "the leader restarted after the switch: the old copy is dropped "
				 "when its follower reports it");
	}
}

void repl_move_tick(repl_ctx *c)
{
	struct repl_moves *ms = c->moves;
	int64_t now = mur_wall_ms();
	repl_split_tick(c);
	for (int i = 0; ms && i < ms->nrows; i++)
		if (!move_finished(&ms->rows[i]))
			move_step(c, &ms->rows[i], now);
	if (ms)
		start_queued(c, ms);
	wake_waiters(c);
}

/* A follower went away: a move to it aborts at once (not at the next
 * tick), so that the recovery never replaces its partial copy. */
void repl_move_node_lost(repl_ctx *c, uint32_t node_id)
{
	struct repl_moves *ms = c->moves;
	for (int i = 0; ms && i < ms->nrows; i++) {
		repl_move *m = &ms->rows[i];
		if (!move_finished(m) && !m->split && m->target == node_id &&
		    m->state != REPL_MOVE_DROPPING)
			move_abort(c, m, "the target became unreachable");
	}
	wake_waiters(c);
}

/* ---- what the view and the call show ---- */

void repl_move_progress(const repl_ctx *c, const repl_move *m, double *rate_bps, double *eta_ms)
{
	int64_t end = m->finished_ms ? m->finished_ms : mur_wall_ms();
	int64_t copying = m->copy_started_ms
				  ? (m->switched_ms ? m->switched_ms : end) - m->copy_started_ms
				  : 0;
	*rate_bps = copying > 0 ? (double)m->bytes_done * 1000.0 / (double)copying : 0;
	if (move_finished(m) || m->state == REPL_MOVE_DROPPING) {
		*eta_ms = 0;
		return;
	}
	double r = *rate_bps > 0 ? *rate_bps : repl_move_rate_estimate(c, m->max_bps);
	uint64_t left = m->bytes_total > m->bytes_done ? m->bytes_total - m->bytes_done : 0;
	*eta_ms = (double)left * 1000.0 / r;
}

int repl_move_rate_parse(const char *v, uint64_t *max_bps)
{
	char *end;
	double mbps = v ? strtod(v, &end) : 0;
	if (!v || end == v || *end != '\0' || mbps < 0 || mbps > REPL_MOVE_MBPS_MAX ||
	    (mbps > 0 && mbps < REPL_MOVE_MBPS_MIN))
		return MUR_ERR;
	*max_bps = (uint64_t)(mbps * 1024 * 1024);
	return MUR_OK;
}

/* Appends one line per move of the group to out: what it moved, its
 * time, bytes and pause, or why it aborted. */
void repl_move_result(const repl_ctx *c, uint64_t group, char *out, size_t outsz)
{
	const struct repl_moves *ms = c->moves;
	size_t len = 0;
	out[0] = '\0';
	for (int i = 0; ms && i < ms->nrows && len < outsz; i++) {
		const repl_move *m = &ms->rows[i];
		int64_t end = m->finished_ms ? m->finished_ms : mur_wall_ms();
		int w;
		if (m->group != group)
			continue;
		if (m->split && m->state == REPL_MOVE_ABORTED)
			w = snprintf(out + len, outsz - len, "%sshard %u of %s not split: %s",
				     len ? "\n" : "", m->shard, m->table_name, m->error);
		else if (m->split)
			w = snprintf(out + len, outsz - len,
				     "%sshard %u of %s split at %s into shards %u and %u: %llu "
				     "bytes "
				     "in %lld ms, writes paused %.1f ms",
				     len ? "\n" : "", m->shard, m->table_name, m->split_at,
				     m->shard, m->new_shard, (unsigned long long)m->bytes_total,
				     (long long)(end - m->started_ms),
				     (double)m->pause_us / 1000.0);
		else if (m->state == REPL_MOVE_ABORTED)
			w = snprintf(out + len, outsz - len,
				     "%sshard %u of %s not moved from %s to %s: %s",
				     len ? "\n" : "", m->shard, m->table_name,
				     cat_node_name(c->cat, m->source),
				     cat_node_name(c->cat, m->target), m->error);
		else
			w = snprintf(out + len, outsz - len,
				     "%sshard %u of %s moved from %s to %s: %llu bytes in %lld ms, "
				     "writes paused %.1f ms%s%s",
				     len ? "\n" : "", m->shard, m->table_name,
				     cat_node_name(c->cat, m->source),
				     cat_node_name(c->cat, m->target),
				     (unsigned long long)m->bytes_total,
				     (long long)(end - m->started_ms), (double)m->pause_us / 1000.0,
				     m->error[0] ? "; " : "", m->error);
		if (w > 0)
			len += (size_t)w;
	}
}

/* The estimate made before the copies started, for the call's NOTICE. */
void repl_move_estimate(const repl_ctx *c, uint64_t group, char *out, size_t outsz)
{
	const struct repl_moves *ms = c->moves;
	uint64_t bytes = 0, ms_total = 0, max_bps = 0;
	int n = 0;
	out[0] = '\0';
	for (int i = 0; ms && i < ms->nrows; i++)
		if (ms->rows[i].group == group && !ms->rows[i].split) {
			bytes += ms->rows[i].estimate_bytes;
			ms_total += ms->rows[i].estimate_ms;
			max_bps = ms->rows[i].max_bps;
			n++;
		}
	if (!n) { /* a split: its first table's row has the estimate (repl_split.c) */
		for (int i = 0; ms && i < ms->nrows; i++)
			if (ms->rows[i].group == group && ms->rows[i].split &&
			    ms->rows[i].estimate_ms) {
				snprintf(out, outsz,
					 "splitting shard %u of %s, %.2f MB: estimated %.1f s "
					 "(every "
					 "copy is split where it lives, not throttled)",
					 ms->rows[i].shard, ms->rows[i].table_name,
					 (double)ms->rows[i].estimate_bytes / (1024 * 1024),
					 (double)ms->rows[i].estimate_ms / 1000.0);
				break;
			}
		return;
	}
	if (max_bps)
		snprintf(out, outsz,
			 "moving %d shard%s, %.2f MB: estimated %.1f s at murphy.move_max_mbps = "
			 "%.2f",
			 n, n == 1 ? "" : "s", (double)bytes / (1024 * 1024),
			 (double)ms_total / 1000.0, (double)max_bps / (1024 * 1024));
	else
		snprintf(out, outsz, "moving %d shard%s, %.2f MB: estimated %.1f s", n,
			 n == 1 ? "" : "s", (double)bytes / (1024 * 1024),
			 (double)ms_total / 1000.0);
}
