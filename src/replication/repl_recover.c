/*
 * repl_recover.c — bringing placements back to CURRENT and shards back to
 * their replication factor (docs/replication.md, docs/failures.md).
 *
 * Inputs: follower state changes (clu: connect, suspect, dead) and a 1 s
 * tick.  Per placement (state diagram in catalog.h):
 *
 *   node lost/suspect      → its placements LAGGING; a primary there fails over
 *                            to the most up-to-date current copy
 *   node (re)connects      → STATUS: each placement reports (lsn, entry id);
 *                            equal to the shard's committed entry → CURRENT;
 *                            behind on the same history → LAGGING (catch up);
 *                            ahead, or history unknown → DIVERGENT
 *   tick: LAGGING          → CATCHUP from the primary (exclusive on the shard,
 *                            so no write slips in before the switch)
 *   tick: DIVERGENT        → UNDO to the committed LSN, then verify; else rebuild
 *   tick: node DEAD        → REBUILD each of its placements on another follower
 *                            from a current peer, catch up, switch in, then
 *                            drop the dead node's placement (RF restored;
 *                            kept if dropping it would leave fewer copies
 *                            than the table's replicas: switch_in)
 *   tick: fewer copies     → a shard whose copies (members and rebuilds
 *         than replicas      that add one) are fewer than its table's
 *                            replicas, whatever the history, gets a REBUILD
 *                            on a free follower, replacing nothing (top_up)
 *   a move (repl_move.c)   → REBUILD on the target replacing a live copy; its
 *                            final catch-up waits while a transaction holds
 *                            the shard's lock if the copy leaves the primary
 *                            (switch_must_wait); switch_in hands the primary
 *                            role to the new copy and tells repl_move.c
 *   orphan file on a node  → DROP (the catalog gave its shard to another node)
 *   tick: reference table  → an alive follower without a copy (joined after
 *                            the CREATE, or its copy was replaced while it
 *                            was dead) gets one: REBUILD from a current peer,
 *                            catch up, switch in, replacing nothing.  A dead
 *                            follower's copy is replaced only when some alive
 *                            follower has none (repl_pick_target);
 *                            otherwise it stays and is caught up when the
 *                            node returns:
 *                            "at RF" for a reference table is every alive
 *                            follower holding a current copy
 *
 * The leader relays no data: CATCHUP and REBUILD make the target follower
 * fetch from a peer follower.  At most one recovery action per placement
 * is in flight (the `busy` list below).
 */
#include "replication/repl_int.h"

#include "common/clock.h"
#include "common/log.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef enum action_kind {
	ACT_STATUS,
	ACT_CATCHUP,
	ACT_UNDO,
	ACT_REBUILD,
	ACT_DROP,
	ACT_TXN_UNDO, /* a copy's open transaction no longer open here: presumed abort */
} action_kind;

typedef struct recover_action {
	repl_ctx *c;
	action_kind kind;
	uint32_t table_id;
	uint32_t shard;
	uint32_t node_id;   /* the placement's (target's) node */
	uint32_t source_id; /* REBUILD/CATCHUP: peer */
	uint32_t replaces;  /* REBUILD: dead node whose placement this replaces (0: in place) */
	int exclusive;      /* holds the shard's write queue */
	uint64_t asked_us;  /* CATCHUP: when the shard's write queue was asked for */
	uint64_t heard_at;  /* STATUS: repl_heard's counter when it was sent */
	int reask;          /* STATUS: its follower had answered one since it connected
			       (asked again for some placements: tracked_copy) */
} recover_action;

/* ---- in-flight bookkeeping ---- */

static int action_busy(repl_ctx *c, uint32_t table_id, uint32_t shard, uint32_t node_id)
{
	for (int i = 0; i < c->nactions; i++)
		if (c->actions[i].table_id == table_id && c->actions[i].shard == shard &&
		    c->actions[i].node_id == node_id)
			return 1;
	return 0;
}

static void action_mark(repl_ctx *c, uint32_t table_id, uint32_t shard, uint32_t node_id)
{
	if (c->nactions < REPL_ACTIONS_MAX) {
		c->actions[c->nactions].table_id = table_id;
		c->actions[c->nactions].shard = shard;
		c->actions[c->nactions].node_id = node_id;
		c->nactions++;
	}
}

static void action_unmark(repl_ctx *c, uint32_t table_id, uint32_t shard, uint32_t node_id)
{
	for (int i = 0; i < c->nactions; i++)
		if (c->actions[i].table_id == table_id && c->actions[i].shard == shard &&
		    c->actions[i].node_id == node_id) {
			c->actions[i] = c->actions[--c->nactions];
			return;
		}
}

/* ---- rebuild progress (murphy.rebuilds) ---- */

static repl_rebuild *rebuild_find(repl_ctx *c, uint32_t table_id, uint32_t shard, uint32_t target)
{
	for (int i = 0; i < c->nrebuilds; i++)
		if (c->rebuilds[i].table_id == table_id && c->rebuilds[i].shard == shard &&
		    c->rebuilds[i].target == target)
			return &c->rebuilds[i];
	return NULL;
}

static repl_rebuild *rebuild_start(repl_ctx *c, uint32_t table_id, uint32_t shard, uint32_t source,
				   uint32_t target)
{
	repl_rebuild *rb = rebuild_find(c, table_id, shard, target);
	if (!rb) {
		if (c->nrebuilds >= REPL_REBUILDS_MAX) {
			/* forget the oldest finished one */
			int victim = -1;
			for (int i = 0; i < c->nrebuilds && victim < 0; i++)
				if (strcmp(c->rebuilds[i].state, "copying") != 0 &&
				    strcmp(c->rebuilds[i].state, "catching up") != 0)
					victim = i;
			if (victim < 0)
				return NULL;
			c->rebuilds[victim] = c->rebuilds[--c->nrebuilds];
		}
		rb = &c->rebuilds[c->nrebuilds++];
	}
	memset(rb, 0, sizeof *rb);
	rb->table_id = table_id;
	rb->shard = shard;
	rb->source = source;
	rb->target = target;
	rb->started_ms = mur_wall_ms();
	snprintf(rb->state, sizeof rb->state, "copying");
	return rb;
}

void repl_progress(repl_ctx *c, uint32_t node_id, uint64_t task_id, uint64_t done, uint64_t total,
		   const char *phase)
{
	for (int i = 0; i < c->nrebuilds; i++) {
		repl_rebuild *rb = &c->rebuilds[i];
		if (rb->target != node_id || rb->task_id != task_id || rb->finished_ms)
			continue;
		snprintf(rb->phase, sizeof rb->phase, "%s", phase ? phase : "");
		if (strcmp(rb->phase, "snapshot") ==
		    0) { /* the log phase counts entries, not bytes */
			rb->bytes_done = done;
			rb->bytes_total = total;
		}
	}
}

/* A rebuild ends: its row keeps final values, never a progress report's
 * last sample (200 ms stale).  done: every byte copied, phase "done";
 * failed: the phase named in the target's error ("... failed in phase X:"),
 * else the last one reported. */
static void rebuild_finish(repl_rebuild *rb, const char *state, const char *error)
{
	const char *in = error ? strstr(error, "failed in phase ") : NULL;
	snprintf(rb->state, sizeof rb->state, "%s", state);
	rb->finished_ms = mur_wall_ms();
	if (strcmp(state, "done") == 0) {
		rb->bytes_done = rb->bytes_total;
		snprintf(rb->phase, sizeof rb->phase, "done");
		return;
	}
	snprintf(rb->error, sizeof rb->error, "%.150s", error ? error : "");
	if (in) {
		in += strlen("failed in phase ");
		snprintf(rb->phase, sizeof rb->phase, "%.*s", (int)strcspn(in, ": "), in);
	}
}

/* ---- sending recovery tasks ---- */

static void action_done(void *arg, exec_result *res);
static void recover_placement(repl_ctx *c, cat_table *t, uint32_t sh, cat_placement *p);

static int send_action(repl_ctx *c, recover_action *a, exec_task *task)
{
	mur_error err;
	a->c = c;
	if (c->tr.send(c->tr.ctx, a->node_id, task, action_done, a, &err) != MUR_OK) {
		MLOG(INFO, "recover", "cannot send recovery task to %s: %s",
		     cat_node_name(c->cat, a->node_id), err.message);
		return MUR_ERR;
	}
	return MUR_OK;
}

static recover_action *new_action(action_kind kind, const cat_table *t, uint32_t shard,
				  uint32_t node_id)
{
	recover_action *a = calloc(1, sizeof *a);
	if (!a)
		return NULL;
	a->kind = kind;
	a->table_id = t ? t->id : 0;
	a->shard = shard;
	a->node_id = node_id;
	return a;
}

static void set_peer(repl_ctx *c, exec_task *task, uint32_t source)
{
	const cat_node *n = cat_node_by_id(c->cat, source);
	snprintf(task->peer_addr, sizeof task->peer_addr, "%s", n ? n->addr : "");
}

/* A copy moved off the primary (repl_move.c) switches in, and hands the
 * primary role over, only while no transaction holds the shard's lock or
 * is being undone there: an open transaction's entries are the primary's
 * alone (repl_spread.c waits the same way).  The tick asks again. */
static int switch_must_wait(repl_ctx *c, const cat_table *t, uint32_t shard, const cat_placement *p)
{
	repl_rebuild *rb = rebuild_find(c, t->id, shard, p->node_id);
	const cat_placement *old;
	const repl_shard *rt = repl_shard_find(c, t->id, shard);
	if (p->state != CAT_PL_REBUILDING || !rb || !rb->replaces || !rt ||
	    !(old = cat_placement_on((cat_shard *)&t->shards[shard], rb->replaces)) ||
	    old->role != CAT_PRIMARY)
		return 0;
	return rt->lock || rt->nsharers || rt->txn_undos;
}

/* Exclusive catch-up: runs when the shard's write queue reaches it. */
static void catchup_excl(repl_ctx *c, cat_table *t, uint32_t shard, void *arg)
{
	recover_action *a = arg;
	cat_shard *s = &t->shards[shard];
	uint32_t primary = repl_ensure_primary(c, t, shard);
	cat_placement *p = cat_placement_on(s, a->node_id);
	const cat_node *n = cat_node_by_id(c->cat, a->node_id);
	exec_task task;

	/* The target may have gone silent while the catch-up waited for the
	 * shard's queue: a CATCHUP has no deadline, and tasks sent to a
	 * suspect follower are failed only when it is declared dead, so the
	 * shard's writes would wait behind it until then.  The next tick
	 * queues it again once the follower is back. */
	if (!primary || !p || primary == a->node_id || !n || n->state != CAT_NODE_ALIVE ||
	    !repl_connected(c, a->node_id) || switch_must_wait(c, t, shard, p)) {
		action_unmark(c, a->table_id, a->shard, a->node_id);
		free(a);
		repl_exclusive_done(c, t, shard);
		return;
	}
	a->source_id = primary;
	a->exclusive = 1;
	repl_shard_task(&task, EXEC_TASK_CATCHUP, t, shard);
	task.lsn = s->committed_lsn;
	set_peer(c, &task, primary);
	if (send_action(c, a, &task) != MUR_OK) {
		action_unmark(c, a->table_id, a->shard, a->node_id);
		free(a);
		repl_exclusive_done(c, t, shard);
	}
}

/* Copy shard `shard` anew on target (its placement is REBUILDING), from the
 * primary.  The row in murphy.rebuilds is written first, with what the copy
 * replaces: a rebuild that cannot start now (no current copy to copy from,
 * the task not sent) is a "failed" row, which the next tick starts again
 * with the same `replaces` (recover_placement).  Every placement added
 * (add_copy) goes through here, so the row of a target always belongs to
 * its placement's present life, never to an earlier copy on that node. */
static void start_rebuild(repl_ctx *c, cat_table *t, uint32_t shard, uint32_t target,
			  uint32_t replaces)
{
	uint32_t source;
	recover_action *a;
	exec_task task;
	repl_rebuild *rb;

	if (action_busy(c, t->id, shard, target))
		return;
	source = repl_ensure_primary(c, t, shard);
	rb = rebuild_start(c, t->id, shard, source, target);
	if (rb)
		rb->replaces = replaces;
	if (!source || source == target) {
		if (rb)
			rebuild_finish(rb, "failed", "no current copy to copy from");
		return;
	}
	if (!(a = new_action(ACT_REBUILD, t, shard, target))) {
		if (rb)
			rebuild_finish(rb, "failed", "out of memory");
		return;
	}
	a->source_id = source;
	a->replaces = replaces;
	repl_shard_task(&task, EXEC_TASK_REBUILD, t, shard);
	set_peer(c, &task, source);
	task.fetch_max_bps = repl_move_rate_for(c, t->id, shard, target); /* a move's throttle */
	if (send_action(c, a, &task) != MUR_OK) {
		if (rb)
			rebuild_finish(rb, "failed",
				       "the REBUILD task could not be sent to the target");
		free(a);
		return;
	}
	if (rb)
		rb->task_id = task.id;
	action_mark(c, t->id, shard, target);
	MLOG(INFO, "recover", "rebuilding shard %u of %s on %s from %s%s%s", shard, t->name,
	     cat_node_name(c->cat, target), cat_node_name(c->cat, source),
	     replaces ? ", replacing " : "", replaces ? cat_node_name(c->cat, replaces) : "");
}

/* A rebuilt copy caught up and is CURRENT: a member now.  Its rebuild row
 * is done, and the copy it replaces leaves the catalog, unless that would
 * leave a distributed shard with fewer copies (members and rebuilds that
 * add one, repl_copies_planned) than its table's replicas, whatever
 * happened meanwhile (e.g. another copy was removed): then both stay.
 * Placement pointers into s are stale after this call. */
static void switch_in(repl_ctx *c, cat_table *t, uint32_t sh, repl_rebuild *rb)
{
	cat_shard *s = &t->shards[sh];
	cat_placement *q;
	uint32_t old;
	int after;
	mur_error err;

	if (!rb || rb->finished_ms)
		return;
	rebuild_finish(rb, "done", NULL);
	old = rb->replaces;
	if (!old || !(q = cat_placement_on(s, old)))
		return repl_move_switched(c, t->id, sh, rb->target, rb->pause_us, 0);
	after = repl_copies_planned(c, t, sh) - (q->state != CAT_PL_REBUILDING);
	if (!cat_table_is_reference(t) && after < t->replicas) {
		MLOG(INFO, "recover",
		     "shard %u of %s keeps its copy on %s: without it the shard "
		     "would have %d of %d copies",
		     sh, t->name, cat_node_name(c->cat, old), after, t->replicas);
		return repl_move_switched(c, t->id, sh, rb->target, rb->pause_us, 1);
	}
	/* a live copy moved away (repl_move.c) may lead the shard: the new
	 * copy, current at the committed entry, takes the role while the
	 * shard's writes still wait (the final catch-up is exclusive) */
	if (q->role == CAT_PRIMARY &&
	    cat_shard_set_primary(c->cat, t->id, sh, rb->target, &err) != MUR_OK)
		MLOG(WARN, "recover", "%s", err.message);
	if (cat_placement_remove(c->cat, t->id, sh, old, &err) != MUR_OK)
		MLOG(WARN, "recover", "%s", err.message);
	repl_move_switched(c, t->id, sh, rb->target, rb->pause_us, 0);
}

static void status_row(repl_ctx *c, uint32_t node_id, const char *file, uint64_t lsn,
		       uint64_t entry_id, uint64_t heard_at);
/* Copy node_id holds txn_id open, recorded committed.  Each copy keeps its
 * own: a lagging copy that missed an older transaction's marker reports
 * that one, the newest copies the one after it (a single slot per shard
 * let the older replace the newer: no marker for the newest copy's, and
 * the shard's next write refused, 25000 to clients). */
static void recommit_note(repl_shard *rt, uint32_t node_id, uint64_t txn_id)
{
	int i = 0;
	while (i < rt->nrecommit && rt->recommit_nodes[i] != node_id)
		i++;
	if (i == CAT_REPLICAS_MAX)
		return;
	rt->recommit_nodes[i] = node_id;
	rt->recommit_txids[i] = txn_id;
	if (i == rt->nrecommit)
		rt->nrecommit++;
}

int repl_recommit_pending(const repl_shard *rt, uint64_t txid)
{
	for (int i = 0; rt && i < rt->nrecommit; i++)
		if (rt->recommit_txids[i] == txid)
			return 1;
	return 0;
}

static int txn_undo_start(repl_ctx *c, uint32_t node_id, const char *file, uint64_t lsn,
			  uint64_t entry_id, uint64_t txn_id, uint64_t txn_lsn);
static void txn_undo_done(repl_ctx *c, cat_table *t, cat_shard *s, cat_placement *p,
			  const exec_result *res);
static void classify(repl_ctx *c, uint32_t table_id, cat_shard *s, cat_placement *p);
static void decide_all(repl_ctx *c);
static void send_status(repl_ctx *c, uint32_t node_id);
static void forget_reports(repl_ctx *c, uint32_t node_id, int reask);
static void report_absent(repl_ctx *c, uint32_t node_id, int reask);
static int tracked_file(repl_ctx *c, uint32_t node_id, const char *file);
static void decide_all(repl_ctx *c);
static void classify(repl_ctx *c, uint32_t table_id, cat_shard *s, cat_placement *p);

static void action_done(void *arg, exec_result *res)
{
	recover_action *a = arg;
	repl_ctx *c = a->c;
	cat_table *t = a->table_id ? cat_table_by_id(c->cat, a->table_id) : NULL;
	cat_shard *s = t && a->shard < t->nshards ? &t->shards[a->shard] : NULL;
	cat_placement *p = s ? cat_placement_on(s, a->node_id) : NULL;
	repl_rebuild *rb = t ? rebuild_find(c, a->table_id, a->shard, a->node_id) : NULL;

	switch (a->kind) {
	case ACT_STATUS:
		if (!res->failed) {
			mur_rd rd;
			forget_reports(c, a->node_id, a->reask);
			mur_rd_init(&rd, res->rows.data, res->rows.len);
			for (uint64_t i = 0; i < res->nrows; i++) {
				mur_value v[8];
				char file[64];
				int ok = 1;
				for (uint32_t c = 0; c < res->ncols && c < 8; c++)
					ok &= mur_row_get_value(&rd, &v[c]) == MUR_OK;
				if (!ok || res->ncols < 3 || v[0].kind != MV_TEXT)
					break;
				snprintf(file, sizeof file, "%.*s", (int)v[0].len, v[0].s);
				if (a->reask && tracked_file(c, a->node_id, file))
					continue;
				if (res->ncols >= 6 && v[5].kind == MV_INT && v[5].i > 0 &&
				    txn_undo_start(c, a->node_id, file, (uint64_t)v[1].i,
						   (uint64_t)v[2].i, (uint64_t)v[4].i,
						   (uint64_t)v[5].i))
					continue;
				status_row(c, a->node_id, file, (uint64_t)v[1].i, (uint64_t)v[2].i,
					   a->heard_at);
			}
			c->status_known[a->node_id % CAT_NODES_MAX] = 1;
			report_absent(c, a->node_id, a->reask);
			repl_staged_rebuild_tick(c); /* list its copies' STAGED entries */
			decide_all(c);
			repl_resume_waiters(c);
		} else {
			c->status_wanted[a->node_id % CAT_NODES_MAX] = 1; /* ask again next tick */
		}
		break;
	case ACT_CATCHUP:
		if (p) {
			/* the final catch-up of a rebuild switches the copy in; a
			 * catch-up of a member never touches a rebuild row */
			int rebuilding = p->state == CAT_PL_REBUILDING;
			if (!res->failed) {
				p->applied_lsn = res->lsn;
				p->entry_id = repl_entry_at(c, a->table_id, s, res->lsn);
				repl_heard(c, p);
				if (res->lsn == s->committed_lsn) {
					cat_placement_set_state(p, CAT_PL_CURRENT);
					MLOG(INFO, "recover",
					     "%s caught up shard %u of %s to lsn %llu",
					     cat_node_name(c->cat, a->node_id), a->shard, t->name,
					     (unsigned long long)res->lsn);
				}
			} else if (rebuilding) {
				/* the tick copies it again, still replacing the same copy */
				if (rb && !rb->finished_ms)
					rebuild_finish(rb, "failed", res->err.message);
			} else if (strcmp(res->err.sqlstate, "55000") == 0) {
				cat_placement_set_state(
					p,
					CAT_PL_DIVERGENT); /* log trimmed or history differs: rebuild */
				p->needs_rebuild = 1;
			}
			cat_placement_set_lsn(c->cat, a->table_id, a->shard, a->node_id,
					      p->applied_lsn);
			if (rebuilding && p->state == CAT_PL_CURRENT) {
				if (rb)
					rb->pause_us = mur_now_us() - a->asked_us;
				switch_in(c, t, a->shard, rb);
			}
		}
		break;
	case ACT_UNDO:
		if (p) {
			if (!res->failed && res->lsn == s->committed_lsn &&
			    (res->entry_id == s->committed_entry || s->committed_entry == 0 ||
			     res->entry_id == 0)) {
				p->applied_lsn = res->lsn;
				repl_heard(c, p);
				cat_placement_set_state(p, res->entry_id == s->committed_entry
								   ? CAT_PL_CURRENT
								   : CAT_PL_LAGGING);
			} else {
				p->needs_rebuild = 1;
			}
		}
		break;
	case ACT_REBUILD:
		if (rb &&
		    !rb->finished_ms) { /* a finished row: the copy was given up (a move aborted) */
			if (res->failed) {
				rebuild_finish(rb, "failed", res->err.message);
			} else {
				snprintf(rb->state, sizeof rb->state, "catching up");
				rb->replaces = a->replaces;
			}
		}
		if (p && !res->failed) {
			/* still not a member: the final catch-up (exclusive on the
			 * shard) switches it in */
			p->applied_lsn = res->lsn;
			p->needs_rebuild = 0;
		}
		break;
	case ACT_DROP:
		repl_move_dropped(c, a->table_id, a->shard, a->node_id, res);
		break;
	case ACT_TXN_UNDO:
		txn_undo_done(c, t, s, p, res);
		break;
	}
	action_unmark(c, a->table_id, a->shard, a->node_id);
	if (a->exclusive && t)
		repl_exclusive_done(c, t, a->shard);
	/* a copied placement asks for its final catch-up now, not at the next
	 * tick: the log it must catch up on (writes wait meanwhile) stays short */
	if (a->kind == ACT_REBUILD && !res->failed && t && (p = cat_placement_on(s, a->node_id)) &&
	    p->state == CAT_PL_REBUILDING)
		recover_placement(c, t, a->shard, p);
	free(a);
}

/* ---- reconciling a reported placement ---- */

/* DROP file (of table_id's shard) on node_id; busy until dropped, so that
 * no new copy lands on it before.  1 when a DROP of it is out now. */
static int drop_file(repl_ctx *c, uint32_t node_id, uint32_t table_id, uint32_t shard,
		     const char *file)
{
	recover_action *a;
	exec_task task;
	if (action_busy(c, table_id, shard, node_id))
		return 1;
	if (!(a = new_action(ACT_DROP, NULL, shard, node_id)))
		return 0;
	a->table_id = table_id;
	repl_shard_task(&task, EXEC_TASK_DROP, NULL, 0);
	snprintf(task.placements[0], sizeof task.placements[0], "%s", file);
	MLOG(INFO, "recover", "dropping %s on %s: not a placement in the catalog", file,
	     cat_node_name(c->cat, node_id));
	if (send_action(c, a, &task) != MUR_OK) {
		free(a);
		return 0;
	}
	action_mark(c, table_id, shard, node_id);
	return 1;
}

int repl_drop_file(repl_ctx *c, uint32_t node_id, uint32_t table_id, uint32_t sh, const char *file)
{
	return drop_file(c, node_id, table_id, sh, file);
}

int repl_drop_copy(repl_ctx *c, uint32_t node_id, const cat_table *t, uint32_t sh)
{
	char file[64];
	cat_placement_file(t, sh, file, sizeof file);
	return drop_file(c, node_id, t->id, sh, file);
}

/* One file of a STATUS answer.  heard_at: repl_heard's counter when the
 * STATUS was sent; the follower runs tasks on several threads, so a copy
 * that answered a write (or an undo) since may have been listed before
 * it: its newer answer stands. */
static void status_row(repl_ctx *c, uint32_t node_id, const char *file, uint64_t lsn,
		       uint64_t entry_id, uint64_t heard_at)
{
	uint32_t table_id, shard, gen;
	cat_table *t;
	cat_shard *s;
	cat_placement *p;

	if (cat_placement_parse(file, &table_id, &shard, &gen) != MUR_OK)
		return;
	t = cat_table_by_id(c->cat, table_id);
	s = t && shard < t->nshards ? &t->shards[shard] : NULL;
	p = s ? cat_placement_on(s, node_id) : NULL;
	if (repl_split_owns(c, table_id, shard, gen))
		return; /* a split is writing it: the catalog names it once it is done */
	if (!p || s->gen != gen) {
		/* the catalog does not place this shard here (dropped, or replaced
		 * while the node was away), or this is the shard's file from before
		 * a split or of a split that did not happen: delete the file */
		drop_file(c, node_id, table_id, shard, file);
		return;
	}
	if (p->state == CAT_PL_REBUILDING)
		return;
	if (p->heard <= heard_at) {
		p->applied_lsn = lsn;
		p->entry_id = entry_id;
	}
	p->reported = 1;
	if (!s->committed_known) {
		/* leader restart: decided once enough copies reported (decide_committed) */
		cat_placement_set_state(p, CAT_PL_LAGGING);
		return;
	}
	classify(c, table_id, s, p);
}

/* ---- presumed abort (docs/transactions.md, "Leader restart") ----
 *
 * A copy reports an open transaction (entries of txn X from txn_lsn with
 * no commit marker after them) that this leader does not have open: X
 * died with an earlier leader, or ended while the copy was away.  No
 * decision record says it committed, so it is aborted: the copy is undone
 * to txn_lsn - 1 before it counts as reported (a shard is not decided
 * while such an undo is in flight, rt->txn_undos).  If X committed while
 * the copy was away, the catch-up brings its entries and marker back. */

static int txn_undo_start(repl_ctx *c, uint32_t node_id, const char *file, uint64_t lsn,
			  uint64_t entry_id, uint64_t txn_id, uint64_t txn_lsn)
{
	uint32_t table_id, shard, gen;
	cat_table *t;
	cat_placement *p;
	repl_shard *rt;
	recover_action *a;
	exec_task task;
	char outcome[16];
	if (repl_lock_txn_open(c, txn_id) ||
	    cat_placement_parse(file, &table_id, &shard, &gen) != MUR_OK ||
	    !(t = cat_table_by_id(c->cat, table_id)) || shard >= t->nshards ||
	    t->shards[shard].gen != gen)
		return 0;
	if (cat_txn_outcome_get(c->cat, txn_id, outcome, sizeof outcome) &&
	    strcmp(outcome, "committed") == 0) {
		/* decided before the crash: keep its entries, append its marker
		 * once the shard is decided (if the copy chosen holds them open) */
		if ((rt = repl_shard_get(c, table_id, shard)) &&
		    !t->shards[shard].committed_known) {
			recommit_note(rt, node_id, txn_id);
		} else if (rt && lsn == t->shards[shard].committed_lsn) {
			/* decided, and the copy holds txn_id open at the committed
			 * entry (a parallel commit's STAGED entry no marker
			 * followed: repl_lock.c, "lazy markers"): its marker is
			 * appended once the shard is idle.  A copy behind catches
			 * up instead. */
			repl_lock_lazy_marker(c, table_id, shard, txn_id, lsn);
		}
		return 0;
	}
	p = cat_placement_on(&t->shards[shard], node_id);
	if (p && p->state != CAT_PL_REBUILDING && !t->shards[shard].committed_known &&
	    repl_staged_hold(c, t, shard, p, txn_id)) {
		/* a restart: txn_id may be committed by its staging markers */
		p->applied_lsn = lsn; /* listed: not an absent copy (report_absent) */
		p->entry_id = entry_id;
		if (p->state == CAT_PL_CURRENT)
			cat_placement_set_state(p, CAT_PL_LAGGING);
		return 1;
	}
	if (!p || p->state == CAT_PL_REBUILDING || action_busy(c, table_id, shard, node_id) ||
	    !(rt = repl_shard_get(c, table_id, shard)) ||
	    !(a = new_action(ACT_TXN_UNDO, t, shard, node_id)))
		return 0;
	repl_shard_task(&task, EXEC_TASK_UNDO, t, shard);
	task.lsn = txn_lsn - 1;
	if (send_action(c, a, &task) != MUR_OK) {
		free(a);
		return 0;
	}
	action_mark(c, table_id, shard, node_id);
	MLOG(INFO, "recover",
	     "%s: shard %u of %s holds transaction %llu from lsn %llu, not open "
	     "here: presumed aborted, undone",
	     cat_node_name(c->cat, node_id), shard, t->name, (unsigned long long)txn_id,
	     (unsigned long long)txn_lsn);
	rt->txn_undos++;
	p->applied_lsn = lsn; /* listed: not an absent copy (report_absent) */
	p->entry_id = entry_id;
	p->reported = 1;
	if (p->state == CAT_PL_CURRENT)
		cat_placement_set_state(p, CAT_PL_LAGGING);
	return 1;
}

static void txn_undo_done(repl_ctx *c, cat_table *t, cat_shard *s, cat_placement *p,
			  const exec_result *res)
{
	repl_shard *rt = t && s ? repl_shard_find(c, t->id, s->index) : NULL;
	if (rt && rt->txn_undos > 0)
		rt->txn_undos--;
	if (!p)
		return;
	if (res->failed) {
		/* ask again: the next STATUS retries the undo */
		p->reported = 0;
		c->status_wanted[p->node_id % CAT_NODES_MAX] = 1;
		return;
	}
	p->applied_lsn = res->lsn;
	p->entry_id = res->entry_id;
	repl_heard(c, p);
	if (s->committed_known) {
		classify(c, t->id, s, p);
		return;
	}
	/* a restart: the undo may have left a committed transaction's STAGED
	 * entry newest, open again on the copy (parallel commits send no
	 * marker: the transaction undone had followed it; storage/replog.h).
	 * The copy reports again before the shard is decided, so that
	 * transaction is resolved as any copy's open one is (its row, or its
	 * staging markers: repl_staged.c) and gets its marker. */
	p->reported = 0;
	c->status_wanted[p->node_id % CAT_NODES_MAX] = 1;
}

/* Where a reported copy stands against the shard's committed entry. */
static void classify(repl_ctx *c, uint32_t table_id, cat_shard *s, cat_placement *p)
{
	uint64_t lsn = p->applied_lsn, entry_id = p->entry_id;
	if (lsn == s->committed_lsn &&
	    (entry_id == s->committed_entry || s->committed_entry == 0)) {
		cat_placement_set_state(p, CAT_PL_CURRENT);
	} else if (lsn < s->committed_lsn) {
		uint64_t known = repl_entry_at(c, table_id, s, lsn);
		cat_placement_set_state(p, CAT_PL_LAGGING);
		if (lsn > 0 && known != 0 && known != entry_id) {
			/* its entry lsn is not ours: it applied a write that was undone */
			cat_placement_set_state(p, CAT_PL_DIVERGENT);
			p->needs_rebuild = 1;
		}
		/* known == 0 (e.g. after a leader restart): the catch-up verifies the
		 * base entry with the peer (CATCHUP fails with 55000 otherwise) */
	} else {
		cat_placement_set_state(
			p, CAT_PL_DIVERGENT); /* holds entries the shard never committed */
	}
}

/* ---- a STATUS asked again (docs/replication.md, "Leader restart") ----
 *
 * A follower is asked for STATUS when it (re)connects, and asked again,
 * still connected, when one of its placements must report anew: after a
 * presumed abort's undo (txn_undo_done), or once a held transaction is
 * resolved (repl_staged.c).  STATUS answers for every placement of the
 * follower, and meanwhile its other placements take writes: a CURRENT
 * copy of a decided shard may have logged an entry the leader has not
 * decided yet (its quorum's other copies still to answer).  Read as the
 * first report is, that copy would be ahead of the committed entry:
 * DIVERGENT, undone under the write (an entry its answer may have counted
 * toward the quorum), then refused the shard's next write as its primary
 * ("placement … is at lsn N; this write is entry N+2", 55000 to a client:
 * the bank nemesis after leader restarts).  Such a copy is *tracked*: the
 * write path has moved it since it became CURRENT (each answer, catch-up
 * and undo), in the order the follower applied them, so a re-ask leaves
 * it alone — its row is skipped, its report kept, and it is not "absent".
 * A first STATUS after a (re)connect reads every placement as before. */
static int tracked_copy(const cat_shard *s, const cat_placement *p)
{
	return s->committed_known && p->state == CAT_PL_CURRENT;
}

/* Is file, as node_id lists it, a tracked copy (above)? */
static int tracked_file(repl_ctx *c, uint32_t node_id, const char *file)
{
	uint32_t table_id, shard, gen;
	const cat_table *t;
	const cat_placement *p;
	if (cat_placement_parse(file, &table_id, &shard, &gen) != MUR_OK ||
	    !(t = cat_table_by_id(c->cat, table_id)) || shard >= t->nshards ||
	    t->shards[shard].gen != gen || !(p = cat_placement_on(&t->shards[shard], node_id)))
		return 0;
	return tracked_copy(&t->shards[shard], p);
}

/* Call fn for every placement the catalog puts on node_id (but the
 * tracked copies when skip_tracked). */
typedef void (*node_placement_fn)(repl_ctx *c, cat_table *t, uint32_t sh, cat_placement *p);

static void each_placement_on(repl_ctx *c, uint32_t node_id, node_placement_fn fn, int skip_tracked)
{
	for (int i = 0; i < cat_table_count(c->cat); i++) {
		cat_table *t = cat_table_by_id(c->cat, cat_table_at(c->cat, i)->id);
		if (!t || t->kind != CAT_TABLE_DISTRIBUTED)
			continue;
		for (uint32_t sh = 0; sh < t->nshards; sh++) {
			cat_placement *p = cat_placement_on(&t->shards[sh], node_id);
			if (p && !(skip_tracked && tracked_copy(&t->shards[sh], p)))
				fn(c, t, sh, p);
		}
	}
}

/* A node's STATUS is about to be read: what it said before is stale. */
static void forget_report(repl_ctx *c, cat_table *t, uint32_t sh, cat_placement *p)
{
	(void)c, (void)t, (void)sh;
	p->reported = 0;
}

static void forget_reports(repl_ctx *c, uint32_t node_id, int reask)
{
	each_placement_on(c, node_id, forget_report, reask);
}

/* A placement the catalog puts on node_id that its STATUS did not list has
 * no file there (never created, or lost with the disk): it holds nothing. */
static void absent_copy(repl_ctx *c, cat_table *t, uint32_t sh, cat_placement *p)
{
	if (p->reported || p->state == CAT_PL_REBUILDING)
		return;
	MLOG(WARN, "recover", "%s has no file for shard %u of %s: its copy is empty",
	     cat_node_name(c->cat, p->node_id), sh, t->name);
	p->applied_lsn = 0;
	p->entry_id = 0;
	p->reported = 1;
	if (t->shards[sh].committed_known)
		classify(c, t->id, &t->shards[sh], p);
	else
		cat_placement_set_state(p, CAT_PL_LAGGING);
}

static void report_absent(repl_ctx *c, uint32_t node_id, int reask)
{
	each_placement_on(c, node_id, absent_copy, reask);
}

/* Its follower went away (suspect or disconnected): the copy stops serving
 * and may miss entries from now on; a primary there moves. */
static void copy_unreachable(repl_ctx *c, cat_table *t, uint32_t sh, cat_placement *p)
{
	p->reported = 0; /* it may report something else when it returns */
	if (p->state == CAT_PL_CURRENT)
		cat_placement_set_state(p, CAT_PL_LAGGING);
	if (p->role == CAT_PRIMARY && t->shards[sh].committed_known)
		repl_ensure_primary(c, t, sh);
}

/* ---- node changes ---- */

void repl_node_changed(repl_ctx *c, uint32_t node_id)
{
	const cat_node *n = cat_node_by_id(c->cat, node_id);
	int connected = repl_connected(c, node_id);

	if (!n || n->role != CAT_NODE_FOLLOWER)
		return;
	if (!connected || n->state != CAT_NODE_ALIVE) {
		c->status_known[node_id % CAT_NODES_MAX] = 0;
		each_placement_on(c, node_id, copy_unreachable, 0);
		repl_move_node_lost(c, node_id); /* a move to it aborts */
		MLOG(INFO, "recover", "follower %s is %s: its placements stop serving", n->name,
		     connected ? "suspect" : "disconnected");
		return;
	}
	/* (re)connected and alive: ask what it holds (the tick retries); a
	 * new connection whose old one's loss was not seen yet (a follower
	 * restarted at once) reports every placement afresh too */
	c->status_known[node_id % CAT_NODES_MAX] = 0;
	c->status_wanted[node_id % CAT_NODES_MAX] = 1;
	send_status(c, node_id);
}

static void send_status(repl_ctx *c, uint32_t node_id)
{
	recover_action *a;
	exec_task task;
	if (action_busy(c, 0, 0, node_id))
		return;
	a = new_action(ACT_STATUS, NULL, 0, node_id);
	if (!a)
		return;
	a->heard_at = c->heard_seq;
	a->reask = c->status_known[node_id % CAT_NODES_MAX];
	repl_shard_task(&task, EXEC_TASK_STATUS, NULL, 0);
	if (send_action(c, a, &task) != MUR_OK) {
		free(a);
		return;
	}
	action_mark(c, 0, 0, node_id);
	c->status_wanted[node_id % CAT_NODES_MAX] = 0;
}

/* A follower to host a new copy of shard: alive, connected, not holding
 * the shard, fewest placements. */
uint32_t repl_pick_target(repl_ctx *c, const cat_shard *s, uint32_t nshards)
{
	uint32_t index = s->index;
	uint32_t best = 0;
	int best_load = 1 << 30;
	for (int i = 0; i < cat_node_count(c->cat); i++) {
		const cat_node *n = cat_node_at(c->cat, i);
		int load = 0, holds = 0;
		if (n->role != CAT_NODE_FOLLOWER || n->state != CAT_NODE_ALIVE ||
		    !repl_connected(c, n->id))
			continue;
		for (int k = 0; k < s->nplacements; k++)
			holds |= s->placements[k].node_id == n->id;
		if (holds)
			continue;
		for (int j = 0; j < cat_table_count(c->cat); j++) {
			const cat_table *t = cat_table_at(c->cat, j);
			if (t->kind != CAT_TABLE_DISTRIBUTED)
				continue;
			for (uint32_t sh = 0; sh < t->nshards; sh++)
				for (int k = 0; k < t->shards[sh].nplacements; k++)
					if (t->shards[sh].placements[k].node_id == n->id) {
						load++;
						/* co-location: prefer the node that holds this shard
						 * of tables with the same shard count (joins) */
						if (t->nshards == nshards && sh == index)
							load -= 1000;
					}
		}
		if (load < best_load) {
			best = n->id;
			best_load = load;
		}
	}
	return best;
}

static void queue_catchup(repl_ctx *c, cat_table *t, uint32_t sh, cat_placement *p)
{
	recover_action *a = new_action(ACT_CATCHUP, t, sh, p->node_id);
	if (!a)
		return;
	a->asked_us = mur_now_us();
	action_mark(c, t->id, sh, p->node_id);
	if (repl_exclusive(c, t, sh, catchup_excl, a) != MUR_OK) {
		action_unmark(c, t->id, sh, p->node_id);
		free(a);
	}
}

int repl_rebuild_begin(repl_ctx *c, cat_table *t, uint32_t sh, uint32_t target, uint32_t replaces,
		       mur_error *err)
{
	if (action_busy(c, t->id, sh, target))
		return mur_error_set(err, SQLSTATE_OBJECT_IN_USE,
				     "%s is still busy with shard %u of %s (a drop)",
				     cat_node_name(c->cat, target), sh, t->name);
	if (cat_placement_add(c->cat, t->id, sh, target, CAT_REPLICA, err) != MUR_OK)
		return MUR_ERR;
	start_rebuild(c, t, sh, target, replaces);
	return MUR_OK;
}

int repl_recovery_busy(repl_ctx *c, uint32_t table_id, uint32_t sh, uint32_t node_id)
{
	return action_busy(c, table_id, sh, node_id);
}

const repl_rebuild *repl_rebuild_row(repl_ctx *c, uint32_t table_id, uint32_t sh, uint32_t target)
{
	return rebuild_find(c, table_id, sh, target);
}

void repl_rebuild_abort(repl_ctx *c, uint32_t table_id, uint32_t sh, uint32_t target,
			const char *why)
{
	repl_rebuild *rb = rebuild_find(c, table_id, sh, target);
	if (rb && !rb->finished_ms)
		rebuild_finish(rb, "failed", why);
}

/* A new copy of shard sh, on the follower repl_pick_target chooses,
 * replacing dead node `replaces` (0: one more copy).  A follower still
 * dropping an old file of the shard takes it at a later tick.  Placement
 * pointers into the shard are stale after this call.  1 when a copy was
 * placed (its rebuild may still be starting: see start_rebuild). */
static int add_copy(repl_ctx *c, cat_table *t, uint32_t sh, uint32_t replaces)
{
	uint32_t target = repl_pick_target(c, &t->shards[sh], t->nshards);
	mur_error err;

	if (!target || action_busy(c, t->id, sh, target))
		return 0;
	if (cat_placement_add(c->cat, t->id, sh, target, CAT_REPLICA, &err) != MUR_OK) {
		MLOG(WARN, "recover", "no new copy of shard %u of %s on %s: %s", sh, t->name,
		     cat_node_name(c->cat, target), err.message);
		return 0;
	}
	start_rebuild(c, t, sh, target, replaces);
	return 1;
}

static void recover_placement(repl_ctx *c, cat_table *t, uint32_t sh, cat_placement *p)
{
	cat_shard *s = &t->shards[sh];
	const cat_node *n = cat_node_by_id(c->cat, p->node_id);
	int connected = repl_connected(c, p->node_id);
	recover_action *a;
	exec_task task;

	if (!n || action_busy(c, t->id, sh, p->node_id))
		return;
	if (n->state == CAT_NODE_DEAD) {
		/* replace it: a new copy elsewhere, then drop this one */
		int replacing = 0;
		for (int k = 0; k < s->nplacements; k++) {
			repl_rebuild *rb = rebuild_find(c, t->id, sh, s->placements[k].node_id);
			replacing |= s->placements[k].state == CAT_PL_REBUILDING && rb &&
				     rb->replaces == p->node_id;
		}
		if (!replacing)
			add_copy(c, t, sh, p->node_id);
		return;
	}
	if (!connected || n->state != CAT_NODE_ALIVE ||
	    !c->status_known[p->node_id % CAT_NODES_MAX] || !s->committed_known)
		return;
	if (p->state == CAT_PL_REBUILDING) {
		repl_rebuild *rb = rebuild_find(c, t->id, sh, p->node_id);
		if (rb && !rb->finished_ms && strcmp(rb->state, "catching up") == 0)
			queue_catchup(c, t, sh, p);
		else /* failed, or not started: copy it again (nothing is in flight) */
			start_rebuild(c, t, sh, p->node_id, rb ? rb->replaces : 0);
		return;
	}
	if (p->needs_rebuild) {
		cat_placement_set_state(p, CAT_PL_REBUILDING); /* copied anew in place */
		start_rebuild(c, t, sh, p->node_id, 0);
		return;
	}
	switch (p->state) {
	case CAT_PL_LAGGING:
		queue_catchup(c, t, sh, p);
		break;
	case CAT_PL_DIVERGENT:
		a = new_action(ACT_UNDO, t, sh, p->node_id);
		if (!a)
			return;
		repl_shard_task(&task, EXEC_TASK_UNDO, t, sh);
		task.lsn = s->committed_lsn;
		if (send_action(c, a, &task) == MUR_OK)
			action_mark(c, t->id, sh, p->node_id);
		else
			free(a);
		break;
	default:
		break;
	}
}

/* ---- the committed entry after a leader (re)start ----
 *
 * The leader keeps no durable record of each shard's committed entry; it
 * re-derives it from the copies (docs/replication.md, "Leader restart"):
 *
 *   Rule.  Once the copies that reported are enough that every write
 *   acknowledged at a majority is held by one of them (reported >= n - q + 1,
 *   q the majority of the replica set), the committed entry is the reported
 *   position whose LAST ENTRY IS THE NEWEST (entry ids grow with time, across
 *   restarts: repl_config.time_id), ties broken by the higher LSN.
 *
 *   Why.  A copy logs entry k only on top of entry k-1 as the leader sent
 *   them, and the leader sends a copy new entries only while it is current,
 *   so every copy's log is a prefix of the shard's history followed by
 *   entries that were never decided.  An entry issued after an acknowledged
 *   entry E either builds on E or was issued after E was undone, and an
 *   acknowledged entry is never undone; so any copy whose newest entry is
 *   newer than E holds E.  Among the reports, one copy holds E (quorum
 *   intersection), its newest entry is at least as new as E, hence so is the
 *   winner's, hence the winner holds E.  Entries of the winner beyond the
 *   last acknowledged one were undecided when the old leader died: their
 *   outcome was never reported, so committing them is allowed; writes that
 *   were answered as failed were undone on every copy that could hold them
 *   first (repl_write.c, start_undo), or their client was told the outcome is
 *   unknown.
 *
 * The leader waits REPL_RECOVER_HEAR_ALL_MS for every copy (so that a write
 * acknowledged at write_quorum 'one' is seen too), then decides from the
 * copies that reported if they are enough.  If fewer than that can ever
 * report (the others are dead), it decides from those it has and says that
 * acknowledged writes may be lost: the shard lost its quorum. */

/* How many reports guarantee one holder of every majority write: n - q + 1,
 * with q the majority of the replica set.  A catalog with more placements
 * than the table's replicas holds copies being rebuilt, which are not
 * members: count q on the smaller set (more reports needed, never fewer). */
static int reports_needed(const cat_table *t, const cat_shard *s)
{
	int members = s->nplacements;
	if (t->replicas > 0 && t->replicas < members)
		members = t->replicas;
	return s->nplacements - (members / 2 + 1) + 1;
}

/* The reported copy whose newest entry is the newest (then highest LSN). */
static cat_placement *newest_copy(repl_ctx *c, cat_shard *s)
{
	cat_placement *best = NULL;
	for (int k = 0; k < s->nplacements; k++) {
		cat_placement *p = &s->placements[k];
		if (!p->reported || !c->status_known[p->node_id % CAT_NODES_MAX])
			continue;
		if (!best || p->entry_id > best->entry_id ||
		    (p->entry_id == best->entry_id && p->applied_lsn > best->applied_lsn))
			best = p;
	}
	return best;
}

/* The copy the shard's committed entry was taken from holds a transaction
 * open that the catalog records committed: append its marker (that copy's
 * transaction, whatever the others hold: a copy behind gets the markers
 * it lacks by catching up). */
static void recommit_if_open(repl_ctx *c, cat_table *t, uint32_t sh, const cat_placement *w)
{
	repl_shard *rt = repl_shard_find(c, t->id, sh);
	uint64_t txid = 0;
	if (!rt)
		return;
	for (int i = 0; i < rt->nrecommit; i++)
		if (rt->recommit_nodes[i] == w->node_id)
			txid = rt->recommit_txids[i];
	rt->nrecommit = 0;
	if (txid)
		repl_txn_recommit(c, t, sh, txid);
}

static void decide_committed(repl_ctx *c, cat_table *t, uint32_t sh)
{
	cat_shard *s = &t->shards[sh];
	int reported = 0, silent_alive = 0, needed = reports_needed(t, s);
	int waited = mur_now_us() - c->started_us >= (uint64_t)REPL_RECOVER_HEAR_ALL_MS * 1000u;
	cat_placement *w;

	for (int k = 0; k < s->nplacements; k++) {
		const cat_placement *p = &s->placements[k];
		const cat_node *n = cat_node_by_id(c->cat, p->node_id);
		if (p->reported && c->status_known[p->node_id % CAT_NODES_MAX])
			reported++;
		else if (n && n->state != CAT_NODE_DEAD)
			silent_alive++;
	}
	if (reported == 0 || (silent_alive > 0 && (reported < needed || !waited)))
		return;
	{
		const repl_shard *rt = repl_shard_find(c, t->id, sh);
		if (rt && rt->txn_undos > 0)
			return; /* a copy's presumed-aborted suffix is being undone */
	}
	w = newest_copy(c, s);
	repl_committed(c, t->id, s, w->applied_lsn, w->entry_id);
	s->committed_known = 1;
	if (c->entry_next <= w->entry_id)
		c->entry_next = w->entry_id + 1; /* new entries are newer, whatever the clock */
	for (int k = 0; k < s->nplacements; k++)
		if (s->placements[k].reported && s->placements[k].state != CAT_PL_REBUILDING)
			classify(c, t->id, s, &s->placements[k]);
	if (reported < needed)
		MLOG(WARN, "recover",
		     "shard %u of %s: only %d of %d copies can report (the others are "
		     "dead); committed entry taken from %s at lsn %llu: writes acknowledged "
		     "after it may be lost",
		     sh, t->name, reported, s->nplacements, cat_node_name(c->cat, w->node_id),
		     (unsigned long long)w->applied_lsn);
	else
		MLOG(INFO, "recover",
		     "shard %u of %s: committed lsn %llu (newest copy %s, %d of %d "
		     "copies reported)",
		     sh, t->name, (unsigned long long)w->applied_lsn,
		     cat_node_name(c->cat, w->node_id), reported, s->nplacements);
	repl_ensure_primary(c, t, sh); /* the newest copy, unless the primary is as new */
	recommit_if_open(c, t, sh, w);
	repl_kick(c, t, sh); /* writes queued while it was undecided start now */
}

static void decide_all(repl_ctx *c)
{
	for (int i = 0; i < cat_table_count(c->cat); i++) {
		cat_table *t = cat_table_by_id(c->cat, cat_table_at(c->cat, i)->id);
		if (!t || t->kind != CAT_TABLE_DISTRIBUTED)
			continue;
		for (uint32_t sh = 0; sh < t->nshards; sh++)
			if (!t->shards[sh].committed_known)
				decide_committed(c, t, sh);
	}
}

/* Reads and writes that arrived before a shard's committed entry is known
 * after a (re)start wait (at most REPL_RECONCILE_WAIT_MS) while a copy that
 * is not dead has not reported. */
int repl_shard_reconciling(repl_ctx *c, const cat_shard *s)
{
	const repl_shard *rt;
	if (s->committed_known)
		return 0;
	for (int i = 0; i < cat_table_count(c->cat); i++) {
		const cat_table *t = cat_table_at(c->cat, i);
		if (s >= t->shards && s < t->shards + t->nshards &&
		    (rt = repl_shard_find(c, t->id, s->index)) && rt->txn_undos > 0)
			return 1; /* a presumed-aborted suffix is being undone first */
	}
	for (int k = 0; k < s->nplacements; k++) {
		const cat_placement *p = &s->placements[k];
		const cat_node *n = cat_node_by_id(c->cat, p->node_id);
		if (n && n->state != CAT_NODE_DEAD &&
		    !(p->reported && c->status_known[p->node_id % CAT_NODES_MAX]))
			return 1;
	}
	return 0;
}

void repl_resume_waiters(repl_ctx *c)
{
	repl_waiter *w = c->waiters;
	int n = c->nwaiters;
	c->waiters = NULL;
	c->nwaiters = c->capwaiters = 0;
	for (int i = 0; i < n; i++)
		w[i].resume(w[i].arg); /* parked SELECTs and DROP TABLEs try again */
	free(w);
	for (int i = 0; i < cat_table_count(c->cat); i++) {
		const cat_table *t = cat_table_at(c->cat, i);
		if (t->kind != CAT_TABLE_DISTRIBUTED)
			continue;
		for (uint32_t sh = 0; sh < t->nshards; sh++)
			repl_kick(c, t, sh);
	}
}

int repl_park(repl_ctx *c, uint64_t start_us, repl_resume_fn resume, void *arg)
{
	if (mur_now_us() - start_us > (uint64_t)REPL_RECONCILE_WAIT_MS * 1000u)
		return 0;
	if (c->nwaiters == c->capwaiters) {
		int cap = c->capwaiters ? c->capwaiters * 2 : 16;
		repl_waiter *g = realloc(c->waiters, (size_t)cap * sizeof *g);
		if (!g)
			return 0;
		c->waiters = g;
		c->capwaiters = cap;
	}
	c->waiters[c->nwaiters].resume = resume;
	c->waiters[c->nwaiters++].arg = arg;
	return 1;
}

/* The copies shard sh has or is getting: its members, and the copies being
 * rebuilt that add one (not those replacing a copy still placed, which is
 * counted already). */
int repl_copies_planned(repl_ctx *c, const cat_table *t, uint32_t sh)
{
	const cat_shard *s = &t->shards[sh];
	int planned = 0;
	for (int k = 0; k < s->nplacements; k++) {
		const cat_placement *p = &s->placements[k];
		repl_rebuild *rb;
		if (p->state != CAT_PL_REBUILDING) {
			planned++;
			continue;
		}
		rb = rebuild_find(c, t->id, sh, p->node_id);
		planned += !(rb && rb->replaces && cat_placement_on((cat_shard *)s, rb->replaces));
	}
	return planned;
}

/* A shard of a distributed table with fewer copies than its table's
 * replicas gets one more on a free follower, one per tick, whatever led
 * there (a replaced copy whose node came back and was dropped, a removal
 * that raced another, a catalog edited by hand): invariant 5, every shard
 * returns to its replication factor when capacity allows. */
static void top_up(repl_ctx *c, cat_table *t, uint32_t sh)
{
	int planned;
	if (cat_table_is_reference(t) || !t->shards[sh].committed_known ||
	    (planned = repl_copies_planned(c, t, sh)) >= t->replicas)
		return;
	if (add_copy(c, t, sh, 0))
		MLOG(WARN, "recover",
		     "shard %u of %s had %d of %d copies: one more is being rebuilt", sh, t->name,
		     planned, t->replicas);
}

/* A reference table's copy for every alive follower that reported its
 * placements and holds none (up to CAT_REPLICAS_MAX copies). */
static void reference_fill(repl_ctx *c, cat_table *t)
{
	cat_shard *s = &t->shards[0];
	mur_error err;
	if (!s->committed_known)
		return;
	for (int i = 0; i < cat_node_count(c->cat) && s->nplacements < CAT_REPLICAS_MAX; i++) {
		const cat_node *n = cat_node_at(c->cat, i);
		if (n->role != CAT_NODE_FOLLOWER || n->state != CAT_NODE_ALIVE ||
		    !repl_connected(c, n->id) || !c->status_known[n->id % CAT_NODES_MAX] ||
		    cat_placement_on(s, n->id) || action_busy(c, t->id, 0, n->id))
			continue;
		if (cat_placement_add(c->cat, t->id, 0, n->id, CAT_REPLICA, &err) != MUR_OK) {
			MLOG(WARN, "recover", "no copy of reference table %s on %s: %s", t->name,
			     n->name, err.message);
			continue;
		}
		start_rebuild(c, t, 0, n->id, 0);
	}
}

/* A CURRENT copy holds the shard's committed entry: once no write is in
 * flight or queued on the shard, every answer has set applied_lsn (hold).
 * A CURRENT copy the catalog still puts behind it was missed by that
 * bookkeeping (seen twice in the test suite, cause not found: the copy's
 * file held the entry); it goes LAGGING, so that the tick's catch-up asks
 * the copy where it is and records it, instead of the catalog being wrong
 * until the next write. */
static void current_behind(repl_ctx *c, cat_table *t, uint32_t sh)
{
	cat_shard *s = &t->shards[sh];
	const repl_shard *rt = repl_shard_find(c, t->id, sh);
	if (!s->committed_known || (rt && (rt->fhead || rt->qhead || rt->busy || rt->lock ||
					   rt->nsharers || rt->txn_undos)))
		return;
	for (int k = 0; k < s->nplacements; k++) {
		cat_placement *p = &s->placements[k];
		if (p->state != CAT_PL_CURRENT || p->applied_lsn >= s->committed_lsn ||
		    action_busy(c, t->id, sh, p->node_id))
			continue;
		MLOG(WARN, "recover",
		     "%s is current for shard %u of %s at lsn %llu, behind the committed %llu with "
		     "no write in flight: asking it (catch-up)",
		     cat_node_name(c->cat, p->node_id), sh, t->name,
		     (unsigned long long)p->applied_lsn, (unsigned long long)s->committed_lsn);
		cat_placement_set_state(p, CAT_PL_LAGGING);
	}
}

void repl_tick(repl_ctx *c)
{
	if (c->nwaiters)
		repl_resume_waiters(c);
	for (int i = 0; i < cat_node_count(c->cat); i++) {
		const cat_node *n = cat_node_at(c->cat, i);
		if (c->status_wanted[n->id % CAT_NODES_MAX] && n->state == CAT_NODE_ALIVE &&
		    repl_connected(c, n->id))
			send_status(c, n->id);
	}
	for (int i = 0; i < cat_table_count(c->cat); i++) {
		cat_table *t = cat_table_by_id(c->cat, cat_table_at(c->cat, i)->id);
		if (!t || t->kind != CAT_TABLE_DISTRIBUTED)
			continue;
		for (uint32_t sh = 0; sh < t->nshards; sh++) {
			cat_shard *s = &t->shards[sh];
			if (!s->committed_known) {
				decide_committed(c, t, sh);
				/* still undecided: its queued writes give up after
				 * REPL_RECONCILE_WAIT_MS even when no report comes */
				if (!s->committed_known)
					repl_kick(c, t, sh);
			}
			current_behind(c, t, sh);
			for (int k = 0; k < s->nplacements; k++)
				if (s->placements[k].state != CAT_PL_CURRENT ||
				    cat_node_by_id(c->cat, s->placements[k].node_id)->state ==
					    CAT_NODE_DEAD)
					recover_placement(c, t, sh, &s->placements[k]);
			top_up(c, t, sh);
		}
		if (cat_table_is_reference(t))
			reference_fill(c, t);
	}
	repl_move_tick(c);
	repl_rebalance_tick(c);
	repl_health_tick(c);
	repl_staged_tick(c);
	repl_lock_tick(c);
	repl_spread_tick(c);
}
