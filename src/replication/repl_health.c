/*
 * repl_health.c — is each shard at its replication factor, and if not,
 * why (docs/failures.md, "Under-replication").
 *
 * A shard's replication factor (RF) is its table's `replicas`; for a
 * reference table it is the number of alive followers (every one holds a
 * copy).  Its current copies are the CURRENT placements on alive,
 * connected followers: the copies a write's quorum and a read can use.
 * Fewer current copies than RF is *under-replication*; the reason names
 * each copy that does not count:
 *
 *   "f2 dead, rebuilding on f4"                   a new copy is being made
 *   "f2 dead, no follower free to take a copy"    every alive follower already
 *                                                 holds one: nothing can be done
 *                                                 until a follower joins or returns
 *   "f2 suspect" / "f3 lagging" / "f4 rebuilding" transient: recovery is at work
 *   "2 of 3 copies placed, ..."                   fewer copies than replicas (created
 *                                                 short, or one was lost): one more
 *                                                 is added on a free follower
 *
 * Shown by murphy.shards (leader/lead_views.c) and `murphy status`.  The 1 s
 * recovery tick calls repl_health_tick, which logs one WARNING per shard
 * and episode when the shard is under-replicated and a missing copy
 * cannot be rebuilt (`repl_shard.rf_warned` remembers it), and one INFO
 * when the shard is back at its RF.  The rebuild itself is repl_recover.c's:
 * on each tick a dead copy goes to repl_pick_target's follower, and
 * a shard short of copies gets one there (top_up), so a follower that joins
 * (or returns) takes the copies at the next tick.
 */
#include "replication/repl_int.h"

#include "common/log.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

static int node_serving(repl_ctx *c, const cat_node *n)
{
	return n && n->state == CAT_NODE_ALIVE && repl_connected(c, n->id);
}

static int alive_followers(repl_ctx *c)
{
	int alive = 0;
	for (int i = 0; i < cat_node_count(c->cat); i++) {
		const cat_node *n = cat_node_at(c->cat, i);
		alive += n->role == CAT_NODE_FOLLOWER && node_serving(c, n);
	}
	return alive < CAT_REPLICAS_MAX ? alive : CAT_REPLICAS_MAX;
}

/* The follower a rebuild in flight is making to replace dead node `lost`
 * (copying or catching up), or 0. */
static uint32_t replacement_of(repl_ctx *c, const cat_table *t, uint32_t sh, uint32_t lost)
{
	for (int i = 0; i < c->nrebuilds; i++) {
		const repl_rebuild *rb = &c->rebuilds[i];
		if (rb->table_id == t->id && rb->shard == sh && rb->replaces == lost &&
		    !rb->finished_ms)
			return rb->target;
	}
	return 0;
}

/* 1 when an unfinished rebuild onto `target` replaces a dead node's copy. */
static int replaces(repl_ctx *c, const cat_table *t, uint32_t sh, uint32_t target)
{
	for (int i = 0; i < c->nrebuilds; i++) {
		const repl_rebuild *rb = &c->rebuilds[i];
		if (rb->table_id == t->id && rb->shard == sh && rb->target == target &&
		    !rb->finished_ms)
			return rb->replaces != 0;
	}
	return 0;
}

static void why_add(repl_shard_health *h, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* Append one reason ("; " between them); bounded by the buffer: the first
 * reasons are the ones kept. */
static void why_add(repl_shard_health *h, const char *fmt, ...)
{
	size_t len = strlen(h->why);
	va_list ap;
	if (len + 3 >= sizeof h->why)
		return;
	if (len) {
		memcpy(h->why + len, "; ", 3);
		len += 2;
	}
	va_start(ap, fmt);
	vsnprintf(h->why + len, sizeof h->why - len, fmt, ap);
	va_end(ap);
}

/* A placement that is not a current copy: why, and whether it can be rebuilt. */
static void placement_health(repl_ctx *c, const cat_table *t, uint32_t sh, const cat_placement *p,
			     repl_shard_health *h)
{
	const cat_node *n = cat_node_by_id(c->cat, p->node_id);
	const char *name = cat_node_name(c->cat, p->node_id);
	uint32_t target;

	if (n && n->state == CAT_NODE_DEAD) {
		if (cat_table_is_reference(t))
			return; /* not counted in a reference table's RF */
		if ((target = replacement_of(c, t, sh, p->node_id)) != 0) {
			why_add(h, "%s dead, rebuilding on %s", name,
				cat_node_name(c->cat, target));
		} else if (repl_pick_target(c, &t->shards[sh], t->nshards)) {
			why_add(h, "%s dead, a new copy starts at the next recovery tick", name);
		} else {
			why_add(h, "%s dead, no follower free to take a copy", name);
			h->stuck = 1;
		}
		return;
	}
	if (!node_serving(c, n)) {
		why_add(h, "%s %s", name,
			n && n->state == CAT_NODE_SUSPECT ? "suspect" : "disconnected");
		return;
	}
	if (p->state == CAT_PL_REBUILDING && replaces(c, t, sh, p->node_id))
		return; /* a replacement: named with the dead copy it replaces */
	why_add(h, "%s %s", name, cat_placement_state_name(p->state));
}

void repl_shard_health_of(repl_ctx *c, const cat_table *t, uint32_t sh, repl_shard_health *h)
{
	const cat_shard *s = &t->shards[sh];
	int placed;
	memset(h, 0, sizeof *h);
	h->rf = cat_table_is_reference(t) ? alive_followers(c) : t->replicas;
	for (int k = 0; k < s->nplacements; k++) {
		const cat_placement *p = &s->placements[k];
		if (s->committed_known && p->state == CAT_PL_CURRENT &&
		    node_serving(c, cat_node_by_id(c->cat, p->node_id)))
			h->current++;
	}
	if (h->current >= h->rf)
		return;
	if (!s->committed_known) {
		why_add(h, "copies not checked yet"); /* after a leader (re)start */
		return;
	}
	for (int k = 0; k < s->nplacements; k++)
		if (s->placements[k].state != CAT_PL_CURRENT ||
		    !node_serving(c, cat_node_by_id(c->cat, s->placements[k].node_id)))
			placement_health(c, t, sh, &s->placements[k], h);
	if (!cat_table_is_reference(t) && (placed = repl_copies_planned(c, t, sh)) < h->rf) {
		if (repl_pick_target(c, s, t->nshards)) {
			why_add(h,
				"%d of %d copies placed, a new copy starts at the next recovery "
				"tick",
				placed, h->rf);
		} else {
			why_add(h, "%d of %d copies placed, no follower free to take a copy",
				placed, h->rf);
			h->stuck = 1;
		}
	}
	if (!h->why[0])
		why_add(h, "%d of %d copies current", h->current, h->rf);
}

void repl_health_tick(repl_ctx *c)
{
	for (int i = 0; i < cat_table_count(c->cat); i++) {
		cat_table *t = cat_table_by_id(c->cat, cat_table_at(c->cat, i)->id);
		if (!t || t->kind != CAT_TABLE_DISTRIBUTED)
			continue;
		for (uint32_t sh = 0; sh < t->nshards; sh++) {
			repl_shard *rs = repl_shard_find(c, t->id, sh); /* made when it warns */
			int warned = rs && rs->rf_warned;
			repl_shard_health h;
			repl_shard_health_of(c, t, sh, &h);
			if (h.current >= h.rf && warned) {
				MLOG(INFO, "recover",
				     "shard %u of %s is back at its replication factor "
				     "(%d current copies)",
				     sh, t->name, h.current);
				rs->rf_warned = 0;
			} else if (h.current < h.rf && h.stuck && !warned &&
				   (rs = repl_shard_get(c, t->id, sh))) {
				MLOG(WARN, "recover",
				     "shard %u of %s is under-replicated: %d of %d copies "
				     "current (%s); it is rebuilt when a follower without a "
				     "copy joins or returns",
				     sh, t->name, h.current, h.rf, h.why);
				rs->rf_warned = 1;
			}
		}
	}
}
