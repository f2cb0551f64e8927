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
 * A SELECT reads each shard from the copy lead_read_node picks (strong:
 * the primary, or a current replica) once no undecided entry gates it.
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
 * Monotonic reads at bounded: a session remembers, per shard it read at
 * bounded or available, the newest entry it read (lead_read_floor), and a
 * bounded read does not use a copy older than that.
 *
 * Not here yet (docs/consistency.md): bounded still waits behind
 * undecided writes; joins and repartitioned reads stay strong.  Inside a transaction block (a multi-statement
 * Query's implicit one included), and for reads feeding a write (INSERT …
 * SELECT), reads are strong whatever the setting.  EXPLAIN ANALYZE reads at
 * the session's level and lists the stale shards (lead_stale_line).
 */
#include "leader/lead_int.h"

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

/* May a stale read use copy p of s?  Its follower alive and connected, the
 * copy current or lagging, holding only committed entries as far as its
 * follower reported (repl_copy_committed_prefix), its staleness known
 * (out). */
static int copy_usable(lead_engine *e, const cat_table *t, const cat_shard *s,
		       const cat_placement *p, repl_staleness *out)
{
	const cat_node *n = cat_node_by_id(e->cat, p->node_id);
	if (!n || n->state != CAT_NODE_ALIVE || !e->tr.connected(e->tr.ctx, p->node_id))
		return 0;
	if (p->state != CAT_PL_CURRENT && p->state != CAT_PL_LAGGING)
		return 0;
	if (!repl_copy_committed_prefix(e->repl, t, s, p))
		return 0;
	repl_copy_staleness(e->repl, t->id, s, p, out);
	return out->known;
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

uint32_t lead_stale_node(lead_run *r, const cat_table *t, uint32_t shard, lead_read_level level)
{
	const cat_shard *s = &t->shards[shard];
	const cat_placement *best = NULL;
	repl_staleness best_st = {0}, st;
	uint64_t bound_ms, floor;
	uint32_t node = lead_read_node(r->e, s);
	if (level == LEAD_READ_STRONG)
		return node;
	if (node) {
		floor_raise(r->s, t, shard, s->committed_lsn);
		return node;
	}
	bound_ms = lead_session_ms(r->s, "murphy.max_staleness");
	floor = level == LEAD_READ_BOUNDED ? floor_lsn(r->s, t, shard) : 0;
	for (int k = 0; k < s->nplacements; k++) {
		const cat_placement *p = &s->placements[k];
		if (!copy_usable(r->e, t, s, p, &st))
			continue;
		if (level == LEAD_READ_BOUNDED && (st.ms > bound_ms || p->applied_lsn < floor))
			continue; /* too stale, or older than a copy this session read */
		if (!best || st.entries < best_st.entries ||
		    (st.entries == best_st.entries && st.ms < best_st.ms)) {
			best = p;
			best_st = st;
		}
	}
	if (!best)
		return 0;
	floor_raise(r->s, t, shard, best->applied_lsn);
	if (best_st.entries)
		note_stale(r, t, shard, best->node_id, &best_st);
	return best->node_id;
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
	if (!r->failed && sr->n > 0)
		snprintf(worst, sizeof worst, "%llums", (unsigned long long)sr->worst_ms);
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
