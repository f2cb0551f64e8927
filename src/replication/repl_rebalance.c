/*
 * repl_rebalance.c — the rebalancer's plan (murphy.rebalance_plan) and
 * murphy.rebalance(), which carries it out with moves (repl_move.c).
 *
 * Balance is counted in copies: every placement of a distributed table on
 * each follower that is alive, connected and reported (reference tables
 * are on every follower and do not count).  The plan is greedy, as Citus's
 * by_shard_count strategy: while the follower holding the most copies (a)
 * holds at least two more than the one holding the fewest (b), move from a
 * to b the shard whose move lowers the gap the most — a shard moves with
 * its co-located tables' same shard (repl_move_group_check), so a move of
 * w copies is taken only when w < count(a) - count(b).  Each shard is
 * planned once; the counts are updated as if each planned move were done.
 * At most REPL_REBALANCE_MOVES_MAX moves per plan.
 *
 * The bytes of a move are an estimate: the source's data directory size
 * (heartbeats, murphy.node_load.disk_bytes) over its copies, times the
 * copies that move.  Nothing is queried to plan: the view answers at once.
 *
 * murphy.rebalance() starts every planned move at once in one group (each
 * at most murphy.move_max_mbps; moves of different shards run side by
 * side) and waits for them; a planned move that cannot start is skipped
 * and said.
 */
#include "replication/repl_int.h"

#include "common/log.h"

#include <stdio.h>
#include <string.h>

typedef struct plan_state {
	uint32_t nodes[CAT_NODES_MAX];
	int counts[CAT_NODES_MAX];
	int nnodes;
	struct {
		uint32_t table_id, shard;
	} planned[REPL_REBALANCE_MOVES_MAX * REPL_MOVE_GROUP_MAX];
	int nplanned;
} plan_state;

static int node_counts(repl_ctx *c, uint32_t node_id)
{
	int n = 0;
	for (int i = 0; i < cat_table_count(c->cat); i++) {
		const cat_table *t = cat_table_at(c->cat, i);
		if (t->kind != CAT_TABLE_DISTRIBUTED || cat_table_is_reference(t))
			continue;
		for (uint32_t sh = 0; sh < t->nshards; sh++)
			n += cat_placement_on((cat_shard *)&t->shards[sh], node_id) != NULL;
	}
	return n;
}

static void plan_nodes(repl_ctx *c, plan_state *ps)
{
	for (int i = 0; i < cat_node_count(c->cat) && ps->nnodes < CAT_NODES_MAX; i++) {
		const cat_node *n = cat_node_at(c->cat, i);
		if (n->role != CAT_NODE_FOLLOWER || n->state != CAT_NODE_ALIVE ||
		    !repl_connected(c, n->id) || !repl_node_reported(c, n->id))
			continue;
		ps->nodes[ps->nnodes] = n->id;
		ps->counts[ps->nnodes++] = node_counts(c, n->id);
	}
}

static int planned(const plan_state *ps, uint32_t table_id, uint32_t shard)
{
	for (int i = 0; i < ps->nplanned; i++)
		if (ps->planned[i].table_id == table_id && ps->planned[i].shard == shard)
			return 1;
	return 0;
}

/* The index of the follower with the most (most = 1) or fewest copies. */
static int extreme(const plan_state *ps, int most)
{
	int best = 0;
	for (int i = 1; i < ps->nnodes; i++)
		if (most ? ps->counts[i] > ps->counts[best] : ps->counts[i] < ps->counts[best])
			best = i;
	return best;
}

/* The shard of any table on node a whose move to b lowers the gap the
 * most; 0 when none (*step filled otherwise). */
static int best_move(repl_ctx *c, plan_state *ps, int a, int b, repl_rebalance_step *step)
{
	const cat_node *from = cat_node_by_id(c->cat, ps->nodes[a]);
	const cat_node *to = cat_node_by_id(c->cat, ps->nodes[b]);
	int gap = ps->counts[a] - ps->counts[b], best_w = 0;
	cat_table *group[REPL_MOVE_GROUP_MAX];
	mur_error err;
	for (int i = 0; i < cat_table_count(c->cat); i++) {
		cat_table *t = cat_table_by_id(c->cat, cat_table_at(c->cat, i)->id);
		if (!t || t->kind != CAT_TABLE_DISTRIBUTED || cat_table_is_reference(t))
			continue;
		for (uint32_t sh = 0; sh < t->nshards; sh++) {
			int w, clash = 0;
			if (!cat_placement_on(&t->shards[sh], from->id) || planned(ps, t->id, sh) ||
			    (w = repl_move_group_check(c, t, sh, from, to, group,
						       REPL_MOVE_GROUP_MAX, &err)) <= 0)
				continue;
			for (int k = 0; k < w; k++)
				clash |= planned(ps, group[k]->id, sh);
			if (clash || w >= gap || w <= best_w)
				continue;
			best_w = w;
			step->table_id = t->id;
			step->shard = sh;
			step->tables = w;
		}
	}
	if (!best_w)
		return 0;
	step->source = from->id;
	step->target = to->id;
	step->source_copies = ps->counts[a];
	step->target_copies = ps->counts[b];
	return 1;
}

static void mark_planned(repl_ctx *c, plan_state *ps, const repl_rebalance_step *step)
{
	cat_table *t = cat_table_by_id(c->cat, step->table_id);
	cat_table *group[REPL_MOVE_GROUP_MAX];
	mur_error err;
	int w = repl_move_group_check(c, t, step->shard, cat_node_by_id(c->cat, step->source),
				      cat_node_by_id(c->cat, step->target), group,
				      REPL_MOVE_GROUP_MAX, &err);
	for (int k = 0; k < w && ps->nplanned < (int)(sizeof ps->planned / sizeof ps->planned[0]);
	     k++) {
		ps->planned[ps->nplanned].table_id = group[k]->id;
		ps->planned[ps->nplanned++].shard = step->shard;
	}
}

static void estimate(repl_ctx *c, repl_rebalance_step *step, uint64_t max_bps)
{
	const cat_node *n = cat_node_by_id(c->cat, step->source);
	int copies = node_counts(c, step->source);
	step->bytes_estimate = n && copies > 0
				       ? n->disk_bytes / (uint64_t)copies * (uint64_t)step->tables
				       : 0;
	step->eta_ms = (uint64_t)((double)step->bytes_estimate * 1000.0 /
				  repl_move_rate_estimate(c, max_bps));
}

int repl_rebalance_plan(repl_ctx *c, uint64_t max_bps, repl_rebalance_step *out, int max)
{
	plan_state ps;
	int n = 0;
	memset(&ps, 0, sizeof ps);
	plan_nodes(c, &ps);
	while (ps.nnodes >= 2 && n < max && n < REPL_REBALANCE_MOVES_MAX) {
		int a = extreme(&ps, 1), b = extreme(&ps, 0);
		if (ps.counts[a] - ps.counts[b] <= 1 || !best_move(c, &ps, a, b, &out[n]))
			break;
		estimate(c, &out[n], max_bps);
		mark_planned(c, &ps, &out[n]);
		ps.counts[a] -= out[n].tables;
		ps.counts[b] += out[n].tables;
		n++;
	}
	return n;
}

int repl_rebalance_start(repl_ctx *c, uint64_t max_bps, uint64_t *group, char *skipped,
			 size_t skippedsz, mur_error *err)
{
	repl_rebalance_step steps[REPL_REBALANCE_MOVES_MAX];
	int n = repl_rebalance_plan(c, max_bps, steps, REPL_REBALANCE_MOVES_MAX), started = 0;
	size_t len = 0;
	*group = 0;
	skipped[0] = '\0';
	for (int i = 0; i < n; i++) {
		const cat_table *t = cat_table_by_id(c->cat, steps[i].table_id);
		repl_move_req rq = {.table = t ? t->name : "",
				    .shard = steps[i].shard,
				    .from = cat_node_name(c->cat, steps[i].source),
				    .to = cat_node_name(c->cat, steps[i].target),
				    .max_bps = max_bps,
				    .queue = 1};
		mur_error e2;
		if (repl_move_start(c, &rq, group, &e2) == MUR_OK) {
			started++;
			continue;
		}
		if (len < skippedsz) {
			int w = snprintf(skipped + len, skippedsz - len, "%sshard %u of %s: %s",
					 len ? "\n" : "", steps[i].shard, rq.table, e2.message);
			len += w > 0 ? (size_t)w : 0;
		}
		*err = e2;
	}
	if (n > 0 && started == 0)
		return MUR_ERR; /* err: the last refusal */
	MLOG(INFO, "move", "rebalance: %d of %d planned moves started", started, n);
	return MUR_OK;
}
