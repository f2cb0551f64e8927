/*
 * lead_stale.c — read consistency levels and stale reads (issue 17,
 * docs/consistency.md).
 *
 *   murphy.read_consistency  strong (default) | bounded | available
 *   murphy.max_staleness     bounded's bound (a time, default 5s)
 *   murphy.last_read_staleness  SHOW only: the worst staleness of the last
 *                            distributed SELECT, '0' when every shard was
 *                            read from a current copy
 *
 * A strong SELECT reads each shard from the copy lead_read_node picks
 * (the primary, or a current replica) once no undecided entry gates it.
 * When none is reachable, strong fails (08006, lead_select.c); bounded
 * takes the freshest reachable copy whose staleness (repl_copy_staleness)
 * is at most max_staleness, available the freshest reachable copy however
 * stale.  A copy qualifies only when it holds no entry past the committed
 * one (it never shows a value that was not committed) and its state is
 * current or lagging (not divergent, not being rebuilt).  Each shard read
 * from a stale copy is remembered in the run (lead_stale_read) and named in
 * one WARNING (SQLSTATE 01000) after the read.  At available with
 * murphy.allow_partial_results on, a shard with no reachable copy at all
 * is skipped (lead_stale_skip) and a second WARNING names the shards
 * missing from the answer.
 *
 * Reads that do not wait (lead_stale_now, docs/consistency.md): before
 * the gate, a bounded or available SELECT of one table sends each shard's
 * read to a copy within the level (now_node: the fastest, then the least
 * loaded, then a current one, taking turns; lead_node_load per follower)
 * with the newest entry it may see (repl_read_bound).  A copy past it, or
 * inside an open transaction, refuses; an answer is used only when
 * repl_read_answer accepts where the copy read (now_answered), and its
 * staleness is computed from there.  Otherwise the SELECT goes round
 * again, up to LEAD_READ_NOW_TRIES times, then through the gate.
 *
 *   lead_select_start ─> lead_stale_now ─(sent)─> now_answered ─(all used)─> merge
 *          ▲                  │ (no copy fits, or tries used up)    │
 *          │                  ▼                                     │ (refused / unusable)
 *          │          the gate, then lead_stale_node                │
 *          └────────────────────────────────────────────────────────┘
 *
 * A stale copy chosen after the gate (lead_stale_node) is sent the bound
 * too; its refusal, and a read whose copy is lost, are read again by
 * lead_reread.c.
 *
 * Monotonic reads at bounded: a session remembers, per shard it read at
 * bounded or available, the newest entry it read (lead_read_floor), and a
 * bounded read does not use a copy older than that.
 *
 * Joins that shuffle (lead_join.c) and repartitioned reads
 * (lead_shuffle.c) read the same way: each shard's SEND goes to a copy
 * lead_stale_now_node picks, with its bound (a copy past it refuses, and
 * the whole shuffle starts over: so only a copy the leader sent no
 * undecided entry, else the shuffle waits at the gate), owned by followers as fast as the
 * fastest (lead_stale_owners); lead_stale_now_answered checks the SENDs'
 * answers as a single table's.  After the gate, each shard's copy is
 * lead_stale_node's.  A co-located join (one QUERY per shard reading every
 * table's shard on one follower) goes to a follower whose copies of all of
 * them are usable (now_coloc_node), with one bound per placement
 * (exec_task.attached_bound); each table's read in the answer is checked
 * and reported as a single table's (read_of); after the gate, when no
 * follower holds current copies of all, lead_stale_coloc_node's.
 * Inside a transaction block (a multi-statement Query's implicit one
 * included), and for reads feeding a write (INSERT … SELECT), reads are
 * strong whatever the setting.  EXPLAIN ANALYZE reads at the session's
 * level, says whether it waited (lead_stale_how) and lists the stale shards
 * (lead_stale_line).
 */
#include "leader/lead_int.h"

#include "common/clock.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

lead_read_level lead_stale_level(lead_run *r)
{
	const char *v;
	int explained = r->parent && r->parent->p->kind == PLAN_EXPLAIN;
	if ((r->parent && !explained) || r->block_txid || lead_txn_of_run(r))
		return LEAD_READ_STRONG;
	v = lead_session_get(r->s, "murphy.read_consistency");
	if (v && strcmp(v, "available") == 0)
		return LEAD_READ_AVAILABLE;
	if (v && strcmp(v, "bounded") == 0)
		return LEAD_READ_BOUNDED;
	return LEAD_READ_STRONG;
}

int lead_stale_set_check(const plan_set *ps, mur_error *err)
{
	if (strcmp(ps->name, "murphy.last_read_staleness") != 0)
		return MUR_OK;
	mur_error_set(err, SQLSTATE_CANT_CHANGE_RUNTIME_PARAM,
		      "parameter \"murphy.last_read_staleness\" cannot be changed");
	mur_error_hint(err, "It reports the last SELECT's staleness; SHOW it.");
	return MUR_ERR;
}

/* Its follower alive and connected, the copy current or lagging. */
static int copy_reachable(lead_engine *e, const cat_placement *p)
{
	const cat_node *n = cat_node_by_id(e->cat, p->node_id);
	if (!n || n->state != CAT_NODE_ALIVE || !e->tr.connected(e->tr.ctx, p->node_id))
		return 0;
	return p->state == CAT_PL_CURRENT || p->state == CAT_PL_LAGGING;
}

/* May a stale read use copy p of s?  Reachable (copy_reachable), holding
 * only committed entries as far as its follower reported
 * (repl_copy_committed_prefix), its staleness known (out). */
static int copy_usable(lead_engine *e, const cat_table *t, const cat_shard *s,
		       const cat_placement *p, repl_staleness *out)
{
	if (!copy_reachable(e, p))
		return 0;
	if (!repl_copy_committed_prefix(e->repl, t, s, p))
		return 0;
	repl_copy_staleness(e->repl, t->id, s, p, out);
	return out->known;
}

/* Copy of s on node; NULL when it holds none. */
static const cat_placement *copy_on(const cat_shard *s, uint32_t node)
{
	for (int k = 0; k < s->nplacements; k++)
		if (s->placements[k].node_id == node)
			return &s->placements[k];
	return NULL;
}

/* Remember that shard `shard` of t was read from node, st behind. */
static void note_stale(lead_run *r, const cat_table *t, uint32_t shard, uint32_t node,
		       const repl_staleness *st)
{
	lead_stale_reads *sr = &r->stale;
	if (st->ms > sr->worst_ms)
		sr->worst_ms = st->ms;
	if (sr->n < LEAD_STALE_SHOWN)
		sr->shown[sr->n] = (lead_stale_read){.table = t->name,
						     .shard = shard,
						     .node = node,
						     .st = *st};
	sr->n++;
}

/* The session's floor for shard `shard` of t (create: added when missing
 * and there is room); NULL when not remembered. */
static lead_read_floor *floor_of(lead_session *s, const cat_table *t, uint32_t shard, int create)
{
	lead_read_floor *f;
	for (int i = 0; i < s->nfloors; i++)
		if (s->floors[i].table_id == t->id && s->floors[i].shard == shard)
			return &s->floors[i];
	if (!create || s->nfloors >= LEAD_READ_FLOORS_MAX)
		return NULL;
	if (s->nfloors == s->capfloors) {
		int cap = s->capfloors ? s->capfloors * 2 : 16;
		f = realloc(s->floors, (size_t)cap * sizeof *f);
		if (!f)
			return NULL;
		s->floors = f;
		s->capfloors = cap;
	}
	f = &s->floors[s->nfloors++];
	*f = (lead_read_floor){.table_id = t->id, .shard = shard, .lsn = 0};
	return f;
}

/* The session read shard `shard` of t at lsn. */
static void floor_raise(lead_session *s, const cat_table *t, uint32_t shard, uint64_t lsn)
{
	lead_read_floor *f = floor_of(s, t, shard, 1);
	if (f && f->lsn < lsn)
		f->lsn = lsn;
}

/* The oldest copy a bounded read of the shard may use (monotonic reads);
 * UINT64_MAX when the session could not remember the shard (no stale copy). */
static uint64_t floor_lsn(lead_session *s, const cat_table *t, uint32_t shard)
{
	const lead_read_floor *f = floor_of(s, t, shard, 0);
	if (f)
		return f->lsn;
	return s->nfloors >= LEAD_READ_FLOORS_MAX ? UINT64_MAX : 0;
}

/* The bound of a stale read of shard `shard` of t: the copy reads at most
 * the committed entry, and refuses while it holds part of a transaction
 * without its marker (lead_reread.c). */
static uint64_t stale_bound(lead_run *r, const cat_table *t, uint32_t shard)
{
	const cat_shard *s = &t->shards[shard];
	uint64_t bound;
	if (!repl_read_bound(r->e->repl, t, shard, &bound))
		bound = s->committed_known ? s->committed_lsn : 0;
	return bound;
}

/* Is copy p of shard s of t within the level for a stale read (copy_usable;
 * bounded: within bound_ms and as new as the session read)?  *st its
 * staleness. */
static int stale_ok(lead_run *r, const cat_table *t, const cat_shard *s, const cat_placement *p,
		    lead_read_level level, uint64_t bound_ms, repl_staleness *st)
{
	if (!p || !copy_usable(r->e, t, s, p, st))
		return 0;
	return level != LEAD_READ_BOUNDED ||
	       (st->ms <= bound_ms && p->applied_lsn >= floor_lsn(r->s, t, s->index));
}

uint32_t lead_stale_node(lead_run *r, const cat_table *t, uint32_t shard, lead_read_level level,
			 uint64_t *bound)
{
	const cat_shard *s = &t->shards[shard];
	const cat_placement *best = NULL;
	repl_staleness best_st = {0}, st;
	uint64_t bound_ms;
	uint32_t node = lead_strong_node(r->e, t, shard);
	*bound = 0;
	if (level == LEAD_READ_STRONG)
		return node;
	if (node) {
		floor_raise(r->s, t, shard, s->committed_lsn);
		return node;
	}
	bound_ms = lead_session_ms(r->s, "murphy.max_staleness");
	for (int k = 0; k < s->nplacements; k++) {
		const cat_placement *p = &s->placements[k];
		if (!stale_ok(r, t, s, p, level, bound_ms, &st))
			continue; /* too stale, or older than a copy this session read */
		if (!best || st.entries < best_st.entries ||
		    (st.entries == best_st.entries && st.ms < best_st.ms)) {
			best = p;
			best_st = st;
		}
	}
	if (!best)
		return 0;
	*bound = stale_bound(r, t, shard);
	floor_raise(r->s, t, shard, best->applied_lsn);
	if (best_st.entries)
		note_stale(r, t, shard, best->node_id, &best_st);
	return best->node_id;
}

/* Entries behind, summed, of node's copies of every table of a co-located
 * join's shard, each within the level (stale_ok); -1 when one is not. */
static int64_t coloc_behind(lead_run *r, const plan_select *ps, uint32_t shard, uint32_t node,
			    lead_read_level level, uint64_t bound_ms)
{
	repl_staleness st;
	int64_t behind = 0;
	for (int i = 0; i < ps->ntables; i++) {
		const cat_table *t = ps->tables[i];
		const cat_shard *s = &t->shards[lead_shard_of(ps, i, shard)];
		if (!stale_ok(r, t, s, copy_on(s, node), level, bound_ms, &st))
			return -1;
		behind += (int64_t)st.entries;
	}
	return behind;
}

uint32_t lead_stale_coloc_node(lead_run *r, const plan_select *ps, uint32_t shard,
			       lead_read_level level, uint64_t *bounds)
{
	const cat_shard *s0 = &ps->tables[0]->shards[shard];
	uint64_t bound_ms = lead_session_ms(r->s, "murphy.max_staleness");
	int64_t best_behind = -1;
	uint32_t best = 0;
	repl_staleness st;
	if (level == LEAD_READ_STRONG)
		return 0;
	for (int k = 0; k < s0->nplacements; k++) {
		uint32_t node = s0->placements[k].node_id;
		int64_t behind = coloc_behind(r, ps, shard, node, level, bound_ms);
		if (behind >= 0 && (best_behind < 0 || behind < best_behind)) {
			best = node;
			best_behind = behind;
		}
	}
	for (int i = 0; best && i < ps->ntables; i++) {
		const cat_table *t = ps->tables[i];
		uint32_t sh = lead_shard_of(ps, i, shard);
		const cat_placement *p = copy_on(&t->shards[sh], best);
		bounds[i] = stale_bound(r, t, sh);
		stale_ok(r, t, &t->shards[sh], p, level, bound_ms, &st);
		floor_raise(r->s, t, sh, p->applied_lsn);
		if (st.entries)
			note_stale(r, t, sh, best, &st);
	}
	return best;
}

/* ---- reads that do not wait (lead_stale_now) ---- */

/* Times a SELECT reads without the gate before it waits as strong does.
 * A copy refuses a read when it holds an entry past the bound (sent to it
 * and not yet decided, or being undone): usually decided a moment later,
 * so a second try with the new committed entry succeeds; a third failure
 * means the copies hold something that takes longer (an undo, a
 * transaction), worth waiting for. */
#define LEAD_READ_NOW_TRIES 3

/* A copy's answer time counts half as much for every this long since it
 * was last measured: a copy once slow (or never read) gets a read again
 * after a few seconds (a 200 ms one after ~6 s), one slow answer of a fast
 * copy is forgotten within a second or two. */
#define LEAD_READ_RTT_HALF_US 1000000
/* Copies whose answer times are within twice the fastest's plus this are
 * equally fast (timer noise, a busy moment, a slower disk): the least
 * loaded of them reads, taking turns when equal.  A copy behind a slow
 * link (tens of ms and up) is not among them. */
#define LEAD_READ_SAME_US 5000

void lead_load_sent(lead_engine *e, uint32_t node) { e->load[node % CAT_NODES_MAX].reads++; }

/* The answer time to expect from node (LEAD_READ_RTT_HALF_US); 0 when
 * never measured. */
static uint64_t expected_us(const lead_engine *e, uint32_t node, uint64_t now)
{
	const lead_node_load *l = &e->load[node % CAT_NODES_MAX];
	uint64_t halvings = l->rtt_at_us ? (now - l->rtt_at_us) / LEAD_READ_RTT_HALF_US : 64;
	return halvings >= 64 ? 0 : l->rtt_us >> halvings;
}

void lead_load_done(lead_engine *e, uint32_t node, uint64_t rtt_us)
{
	lead_node_load *l = &e->load[node % CAT_NODES_MAX];
	uint64_t now = mur_now_us();
	if (l->reads > 0)
		l->reads--;
	if (!rtt_us)
		return;
	/* from what is expected now: an old slow measure has faded already */
	l->rtt_us = l->rtt_at_us ? (expected_us(e, node, now) * 7 + rtt_us) / 8 : rtt_us;
	l->rtt_at_us = now;
}

/* The level a read that does not wait is held to, for one shard. */
typedef struct now_level {
	lead_read_level level; /* LEAD_READ_STRONG: a quiet shard (lead_strong_node) */
	uint64_t max_ms;       /* bounded: murphy.max_staleness */
	uint64_t floor;        /* bounded: the session's floor for the shard (floor_lsn) */
	int settled;           /* only copies sent no undecided entry (a shuffle: one refusal
				  starts every shard's read over) */
} now_level;

/* May a read that does not wait, sent with bound, use copy p of s at
 * level?  Reachable (copy_reachable), holding only committed entries up to
 * the bound as far as the leader knows (its follower need not have
 * reported since it connected: the answer says where the copy read, and
 * is checked), within the level lv: bounded, within max_staleness and as
 * new as the session read (floor); available, current.  *behind: the
 * entries it lacks as far as the leader knows. */
static int now_usable(lead_engine *e, const cat_table *t, const cat_shard *s,
		      const cat_placement *p, const now_level *lv, uint64_t bound, uint64_t *behind)
{
	repl_staleness st;
	if (lv->level == LEAD_READ_STRONG)
		return copy_reachable(e, p) && repl_copy_at_committed(e->repl, t, s, p);
	if (!copy_reachable(e, p) ||
	    !repl_read_answer(e->repl, t, s->index, bound, p->applied_lsn, p->entry_id, &st))
		return 0;
	*behind = st.entries;
	if (lv->level == LEAD_READ_AVAILABLE)
		return st.entries == 0;
	return st.ms <= lv->max_ms && p->applied_lsn >= lv->floor;
}

/* A copy now_node weighs. */
typedef struct now_copy {
	int ok;          /* now_usable */
	uint64_t est;    /* expected_us */
	uint64_t behind; /* entries it lacks */
	uint32_t reads;  /* in flight on its follower */
	int sent;        /* it was sent an undecided entry (repl_copy_sent_undecided) */
} now_copy;

/* Does copy a read before b (both equally fast)?  One that was sent no
 * undecided entry (the other would refuse), then fewer reads in flight,
 * then fewer entries behind (a stale answer only when no current copy is
 * as good). */
static int now_before(const now_copy *a, const now_copy *b)
{
	if (a->sent != b->sent)
		return !a->sent;
	if (a->reads != b->reads)
		return a->reads < b->reads;
	return a->behind < b->behind;
}

/* Is a copy expected to answer in est_us slower than twice the copy a
 * strong read of s goes to?  Not when that copy is unknown (none current
 * and reachable: a stale read is all there is) or never measured. */
static int slower_than_the_gate(lead_engine *e, const cat_shard *s, uint64_t est_us, uint64_t now)
{
	uint32_t ref = lead_read_node(e, s);
	uint64_t ref_us = ref ? expected_us(e, ref, now) : 0;
	return ref_us && est_us > 2 * ref_us + LEAD_READ_SAME_US;
}

/* Weigh t's copy of s on node for a read that does not wait (at `now`);
 * not ok when node holds none.  A copy slower than twice the one a strong
 * read goes to (lead_read_node, plus LEAD_READ_SAME_US) is not used
 * either: the gate costs less than its answer, or its refusals (both
 * replicas delayed, the primary holding the next write: 200 ms a try,
 * three tries, where a strong point read of another key answers at
 * once); nor, for a strong read of a quiet shard, is a copy that much
 * slower than the primary. */
static void now_weigh(lead_engine *e, const cat_table *t, const cat_shard *s, const now_level *lv,
		      uint64_t bound, uint32_t node, uint64_t now, now_copy *c)
{
	const cat_placement *p = copy_on(s, node);
	c->behind = 0;
	c->ok = p && now_usable(e, t, s, p, lv, bound, &c->behind);
	c->est = expected_us(e, node, now);
	c->reads = e->load[node % CAT_NODES_MAX].reads;
	c->sent = c->ok && repl_copy_sent_undecided(e->repl, t, s->index, node);
	if ((lv->settled && c->sent) || slower_than_the_gate(e, s, c->est, now))
		c->ok = 0; /* it would refuse, or the gate costs less */
}

/* Of the n weighed copies c of s (in placement order): the equally fast
 * (LEAD_READ_SAME_US) usable one that reads first (now_before), taking
 * turns among equals (e->read_turn); 0 when none is usable. */
static uint32_t now_pick(lead_engine *e, const cat_shard *s, const now_copy *c, int n)
{
	uint64_t fastest = UINT64_MAX;
	int best = -1;
	uint32_t turn = e->read_turn++;
	for (int k = 0; k < n; k++)
		if (c[k].ok && c[k].est < fastest)
			fastest = c[k].est;
	for (int i = 0; i < n; i++) {
		int k = (int)((turn + (uint32_t)i) % (uint32_t)n);
		if (!c[k].ok || c[k].est > 2 * fastest + LEAD_READ_SAME_US)
			continue;
		if (best < 0 || now_before(&c[k], &c[best]))
			best = k;
	}
	return best < 0 ? 0 : s->placements[best].node_id;
}

static int ncopies(const cat_shard *s)
{
	return s->nplacements < CAT_REPLICAS_MAX ? s->nplacements : CAT_REPLICAS_MAX;
}

/* The copy a read of s that does not wait goes to (now_weigh, now_pick). */
static uint32_t now_node(lead_engine *e, const cat_table *t, const cat_shard *s,
			 const now_level *lv, uint64_t bound)
{
	uint64_t now = mur_now_us();
	now_copy c[CAT_REPLICAS_MAX];
	for (int k = 0; k < ncopies(s); k++)
		now_weigh(e, t, s, lv, bound, s->placements[k].node_id, now, &c[k]);
	return now_pick(e, s, c, ncopies(s));
}

/* One table's read inside a slot's task: a QUERY of one table or a SEND
 * (i = 0 only), or table i of a co-located join (lead_task_slot.coloc). */
typedef struct now_read {
	const cat_table *t;
	uint32_t shard;
	uint64_t bound;         /* the newest entry it might see */
	uint64_t lsn, entry_id; /* where the copy read it */
	int known;              /* the answer says where */
} now_read;

/* The i-th read of slot sl into *x; 0 past the last. */
static int read_of(const lead_task_slot *sl, int i, now_read *x)
{
	const plan_select *ps = sl->coloc;
	if (i == 0) {
		*x = (now_read){sl->table,   sl->shard,        sl->read_bound,
				sl->res.lsn, sl->res.entry_id, 1};
		return 1;
	}
	if (!ps || i >= ps->ntables)
		return 0;
	*x = (now_read){ps->tables[i],
			lead_shard_of(ps, i, sl->shard),
			sl->attached_bound[i],
			sl->res.attached_lsn[i],
			sl->res.attached_entry_id[i],
			i <= sl->res.nattached};
	return 1;
}

/* Is read x of slot sl's answer one to use?  Not refused, only committed
 * entries (repl_read_answer), and within the level as measured now; *st
 * its staleness. */
static int now_answer_ok(lead_run *r, const lead_task_slot *sl, const now_read *x,
			 lead_read_level level, repl_staleness *st)
{
	if (sl->refused || !x->known ||
	    !repl_read_answer(r->e->repl, x->t, x->shard, x->bound, x->lsn, x->entry_id, st))
		return 0;
	if (level == LEAD_READ_AVAILABLE)
		return 1;
	return st->ms <= lead_session_ms(r->s, "murphy.max_staleness") &&
	       x->lsn >= floor_lsn(r->s, x->t, x->shard);
}

/* Is every read of slot sl's answer to use (now_answer_ok)? */
static int now_slot_ok(lead_run *r, const lead_task_slot *sl, lead_read_level level)
{
	repl_staleness st;
	now_read x;
	for (int j = 0; read_of(sl, j, &x); j++)
		if (!now_answer_ok(r, sl, &x, level, &st))
			return 0;
	return 1;
}

/* Every read of a SELECT that did not wait answered (the slots with a
 * table: QUERYs, or a shuffle's SENDs): use the answers, or start over
 * and read as strong does when one is not to be used. */
void lead_stale_now_answered(lead_run *r)
{
	lead_read_level level = lead_stale_level(r);
	repl_staleness st;
	now_read x;
	if (lead_reread(r, 0))
		return; /* a copy was lost: started over */
	if (!r->failed)
		for (int i = 0; i < r->ntasks; i++)
			if (r->tasks[i].table && !now_slot_ok(r, &r->tasks[i], level)) {
				r->now_refused++;
				lead_run_reset_tasks(r); /* again, through the gate at the last */
				lead_select_start(r);
				return;
			}
	r->now_used = !r->failed;
	for (int i = 0; i < r->ntasks && !r->failed; i++) {
		const lead_task_slot *sl = &r->tasks[i];
		for (int j = 0; sl->table && read_of(sl, j, &x); j++) {
			now_answer_ok(r, sl, &x, level, &st);
			floor_raise(r->s, x.t, x.shard, x.lsn);
			if (st.entries)
				note_stale(r, x.t, x.shard, sl->node_id, &st);
		}
	}
	if (r->shuffle && !r->p->u.select.join_shuffle)
		lead_shuffle_merge(r);
	else
		lead_select_merge(r);
}

int lead_stale_now_begin(lead_run *r)
{
	if (lead_stale_level(r) == LEAD_READ_STRONG || r->now_tries >= LEAD_READ_NOW_TRIES)
		return 0;
	r->now_tries++;
	memset(&r->stale, 0, sizeof r->stale);
	return 1;
}

/* The level a read of shard `shard` of t that does not wait is held to
 * (*lv), with its bound; 0 when it must wait (strong, or no bound). */
static int now_level_of(lead_run *r, const cat_table *t, uint32_t shard, int settled, now_level *lv,
			uint64_t *bound)
{
	*lv = (now_level){.level = lead_stale_level(r), .settled = settled};
	if (lv->level == LEAD_READ_STRONG || !repl_read_bound(r->e->repl, t, shard, bound))
		return 0;
	lv->max_ms = lead_session_ms(r->s, "murphy.max_staleness");
	lv->floor = lv->level == LEAD_READ_BOUNDED ? floor_lsn(r->s, t, shard) : 0;
	return 1;
}

uint32_t lead_stale_now_node(lead_run *r, const cat_table *t, uint32_t shard, int settled,
			     uint64_t *bound)
{
	now_level lv;
	if (!now_level_of(r, t, shard, settled, &lv, bound))
		return 0;
	return now_node(r->e, t, &t->shards[shard], &lv, *bound);
}

/* lead_stale_now_node for a co-located join's shard `shard`: a follower
 * whose copy of every table's shard is usable (now_weigh; table 0's
 * copies in turn, the others' on the same follower weighed with them),
 * bounds[i] tables[i]'s bound; 0 when none. */
static uint32_t now_coloc_node(lead_run *r, const plan_select *ps, uint32_t shard, uint64_t *bounds)
{
	const cat_shard *s0 = &ps->tables[0]->shards[shard];
	uint64_t now = mur_now_us();
	now_copy c[CAT_REPLICAS_MAX], ci;
	now_level lv;
	for (int i = 0; i < ps->ntables; i++) {
		const cat_table *t = ps->tables[i];
		uint32_t sh = lead_shard_of(ps, i, shard);
		if (!now_level_of(r, t, sh, 0, &lv, &bounds[i]))
			return 0;
		for (int k = 0; k < ncopies(s0); k++) {
			uint32_t node = s0->placements[k].node_id;
			now_weigh(r->e, t, &t->shards[sh], &lv, bounds[i], node, now,
				  i ? &ci : &c[k]);
			if (!i)
				continue;
			c[k].ok = c[k].ok && ci.ok;
			c[k].behind += ci.behind;
			c[k].sent = c[k].sent || ci.sent;
		}
	}
	return now_pick(r->e, s0, c, ncopies(s0));
}

uint32_t lead_strong_node(lead_engine *e, const cat_table *t, uint32_t shard)
{
	const cat_shard *s = &t->shards[shard];
	now_level lv = {.level = LEAD_READ_STRONG};
	uint32_t node = 0;
	if (repl_read_spreads(e->repl, t, shard))
		node = now_node(e, t, s, &lv, s->committed_lsn);
	return node ? node : lead_read_node(e, s);
}

/* Send shard shards[i]'s read to nodes[i] with bounds b (one per table). */
static void now_send(lead_run *r, const plan_select *ps, uint32_t shard, uint32_t node,
		     const uint64_t *b)
{
	exec_task task;
	lead_task_slot *sl;
	lead_select_fill_task(r, shard, &task);
	task.lsn = b[0];
	for (int j = 1; j < ps->ntables; j++)
		task.attached_bound[j] = b[j];
	if (lead_run_send(r, node, shard, 1, &task) != MUR_OK)
		return;
	sl = &r->tasks[r->ntasks - 1];
	sl->read_bound = b[0];
	sl->table = ps->tables[0];
	sl->coloc = ps->ntables > 1 ? ps : NULL;
	memcpy(sl->attached_bound, task.attached_bound, sizeof sl->attached_bound);
	lead_reread_mark(r);
}

int lead_stale_now(lead_run *r, const plan_select *ps, const uint32_t *shards, int n)
{
	const cat_table *t = ps->tables[0];
	uint32_t nodes[CAT_SHARDS_MAX];
	uint64_t(*bounds)[EXEC_TASK_PLACEMENTS_MAX];
	int shuffle, sent = 0;
	if (n > CAT_SHARDS_MAX || ps->ntables > EXEC_TASK_PLACEMENTS_MAX ||
	    !lead_stale_now_begin(r))
		return 0;
	/* a cursor over groups its owners keep always repartitions (lead_stream.c) */
	shuffle = r->stream && ps->batch_owner ? 1 : lead_shuffle_chosen(r, ps, n);
	if ((shuffle && ps->ntables != 1) || !(bounds = calloc((size_t)n + 1, sizeof *bounds)))
		return 0;
	for (int i = 0; i < n; i++)
		if (!(nodes[i] = ps->ntables > 1 ? now_coloc_node(r, ps, shards[i], bounds[i])
						 : lead_stale_now_node(r, t, shards[i], shuffle,
								       &bounds[i][0])))
			goto free_bounds;
	sent = 1;
	if (shuffle) {
		uint64_t b0[CAT_SHARDS_MAX];
		for (int i = 0; i < n; i++)
			b0[i] = bounds[i][0];
		lead_shuffle_start_on(r, shards, n, nodes, b0, lead_stale_now_answered);
		goto free_bounds;
	}
	for (int i = 0; i < n && !r->failed; i++)
		now_send(r, ps, shards[i], nodes[i], bounds[i]);
	lead_run_wait(r, lead_stale_now_answered);
free_bounds:
	free(bounds);
	return sent;
}

/* A follower's answer time counts for owner choice this long after it
 * was last measured: four halvings (LEAD_READ_RTT_HALF_US), by which a
 * slow measure has faded to a sixteenth and says more about the fading
 * than about the link (a 300 ms link still looks 37 ms slow at the end).
 * Owners are not measured (only reads are: lead_load_done), so an owner
 * left unmeasured past this is unknown, not fast. */
#define LEAD_OWNER_MEASURED_US (4 * LEAD_READ_RTT_HALF_US)

/* node's expected answer time (expected_us) when measured within
 * LEAD_OWNER_MEASURED_US, else UINT64_MAX: unknown. */
static uint64_t owner_us(const lead_engine *e, uint32_t node, uint64_t now)
{
	const lead_node_load *l = &e->load[node % CAT_NODES_MAX];
	if (!l->rtt_at_us || now - l->rtt_at_us >= LEAD_OWNER_MEASURED_US)
		return UINT64_MAX;
	return expected_us(e, node, now);
}

int lead_stale_owners(lead_run *r, uint32_t *owners, int n)
{
	uint64_t now = mur_now_us(), fastest = UINT64_MAX;
	int kept = 0;
	if (lead_stale_level(r) == LEAD_READ_STRONG)
		return n;
	for (int i = 0; i < n; i++) {
		uint64_t est = owner_us(r->e, owners[i], now);
		if (est < fastest)
			fastest = est;
	}
	if (fastest == UINT64_MAX)
		return n; /* none measured lately: nothing to choose by */
	for (int i = 0; i < n; i++)
		if (owner_us(r->e, owners[i], now) <= 2 * fastest + LEAD_READ_SAME_US)
			owners[kept++] = owners[i];
	return kept;
}

int lead_stale_how(lead_run *r, char *out, size_t outsz)
{
	lead_read_level level = lead_stale_level(r);
	if (level == LEAD_READ_STRONG)
		return 0;
	snprintf(out, outsz, "Read: %s, %s", level == LEAD_READ_BOUNDED ? "bounded" : "available",
		 r->now_used ? "without waiting for undecided writes"
			     : "waited for undecided writes as strong");
	if (r->now_refused)
		snprintf(out + strlen(out), outsz - strlen(out),
			 " (%d answer%s refused by a copy past the committed entry, read again)",
			 r->now_refused, r->now_refused == 1 ? "" : "s");
	return 1;
}

/* A WARNING (01000) after r's result. */
static void add_warning(lead_run *r, const char *text)
{
	pgw_result_add_notice(r->res, "%s", text);
	if (r->res->nnotices > 0)
		memcpy(r->res->notices[r->res->nnotices - 1].sqlstate, SQLSTATE_WARNING,
		       sizeof SQLSTATE_WARNING);
}

int lead_stale_skip(lead_run *r, const cat_table *t, uint32_t shard, lead_read_level level)
{
	lead_stale_reads *sr = &r->stale;
	const char *v;
	if (level != LEAD_READ_AVAILABLE)
		return 0;
	v = lead_session_get(r->s, "murphy.allow_partial_results");
	if (!v || strcmp(v, "on") != 0)
		return 0;
	if (sr->nmissing < LEAD_STALE_SHOWN)
		sr->missing[sr->nmissing] = shard;
	sr->missing_table = t->name;
	sr->nmissing++;
	return 1;
}

/* "partial result: shards 1, 3 of visits skipped (no reachable copy)" */
static void warn_missing(lead_run *r)
{
	const lead_stale_reads *sr = &r->stale;
	mur_buf b;
	mur_buf_init(&b);
	mur_buf_printf(&b, "partial result: shard%s ", sr->nmissing > 1 ? "s" : "");
	for (int i = 0; i < sr->nmissing && i < LEAD_STALE_SHOWN; i++)
		mur_buf_printf(&b, "%s%u", i ? ", " : "", sr->missing[i]);
	if (sr->nmissing > LEAD_STALE_SHOWN)
		mur_buf_printf(&b, " and %d more", sr->nmissing - LEAD_STALE_SHOWN);
	mur_buf_printf(&b, " of %s skipped: no copy reachable", sr->missing_table);
	if (mur_buf_ok(&b))
		add_warning(r, mur_buf_cstr(&b));
	mur_buf_free(&b);
}

/* "shard 2 of accounts from f2, 1 entry, 3.2 s behind" into b. */
static void describe(lead_engine *e, const lead_stale_read *x, mur_buf *b)
{
	const cat_node *n = cat_node_by_id(e->cat, x->node);
	mur_buf_printf(b, "shard %u of %s from %s, %llu entr%s, %.1f s behind", x->shard, x->table,
		       n ? n->name : "?", (unsigned long long)x->st.entries,
		       x->st.entries == 1 ? "y" : "ies", (double)x->st.ms / 1000.0);
}

int lead_stale_line(const lead_run *r, int i, char *out, size_t outsz)
{
	const lead_stale_reads *sr = &r->stale;
	mur_buf b;
	int ok;
	if (i >= sr->n || i >= LEAD_STALE_SHOWN)
		return 0;
	mur_buf_init(&b);
	describe(r->e, &sr->shown[i], &b);
	ok = mur_buf_ok(&b);
	snprintf(out, outsz, "%s", ok ? mur_buf_cstr(&b) : "?");
	mur_buf_free(&b);
	return 1;
}

void lead_stale_report(lead_run *r)
{
	const lead_stale_reads *sr = &r->stale;
	char worst[32] = "0";
	mur_buf b;
	if (r->parent)
		return;
	const char *was = lead_session_get(r->s, "murphy.last_read_staleness");
	if (!r->failed && sr->n > 0)
		snprintf(worst, sizeof worst, "%llums", (unsigned long long)sr->worst_ms);
	/* the "0" it shows already (its default, most often): no entry is
	 * added, which a block's end would take away again, changing the
	 * session's settings (and their generation: lead_setmemo.c) twice per
	 * transaction with a read */
	if (!was || strcmp(was, worst) != 0)
		lead_session_set(r->s, "murphy.last_read_staleness", worst);
	if (!r->failed && sr->nmissing > 0)
		warn_missing(r);
	if (r->failed || sr->n == 0)
		return;
	mur_buf_init(&b);
	mur_buf_printf(&b, "stale read: ");
	for (int i = 0; i < sr->n && i < LEAD_STALE_SHOWN; i++) {
		if (i)
			mur_buf_printf(&b, "; ");
		describe(r->e, &sr->shown[i], &b);
	}
	if (sr->n > LEAD_STALE_SHOWN)
		mur_buf_printf(&b, "; and %d more shards", sr->n - LEAD_STALE_SHOWN);
	if (mur_buf_ok(&b))
		add_warning(r, mur_buf_cstr(&b));
	mur_buf_free(&b);
}
