/*
 * repl_rebalance.c — the rebalancer: its plan (murphy.rebalance_plan),
 * murphy.rebalance(), which carries the plan out with moves (repl_move.c),
 * and the automatic rebalancer that does the same in the background.
 *
 * The plan has two parts, both greedy, both preferring few moves:
 *
 *  By copies.  Balance is counted in copies: every placement of a
 *  distributed table on each follower that is alive, connected and
 *  reported (reference tables are on every follower and do not count).
 *  As Citus's by_shard_count strategy: while the follower holding the most
 *  copies (a) holds at least two more than the one holding the fewest (b),
 *  move from a to b the shard whose move lowers the gap the most — a shard
 *  moves with its co-located tables' same shard (repl_move_group_check),
 *  so a move of w copies is taken only when w < count(a) - count(b); among
 *  equal ones the coldest copy (least load, below), a replica before a
 *  primary (the primary spreader, repl_spread.c, need not follow).
 *
 *  By load.  A shard's load is its followers' CPU time over the last 5 min
 *  (murphy.shard_load, through repl_set_shard_load), every copy's
 *  together, including copies that have moved away since; each current
 *  copy carries an equal share (strong reads spread over the current
 *  copies, writes run on all: docs/load.md).  A follower's load is the sum
 *  of its copies' shares.  While the busiest follower (a) carries more than
 *  (1 + murphy.rebalance_threshold) times the mean, move the copy of a
 *  that lowers max(load(a), load(b)) the most to the least busy follower
 *  (b) — swapped with b's coldest copy when a holds no more copies than b,
 *  so the counts stay even and the two parts do not undo each other.  Only
 *  shards without co-located partners on a move by load.  Loads are per
 *  shard, not per copy, so a move does not make its shard look cold.
 *
 * Each shard is planned once; the counts and loads are updated as if each
 * planned move were done.  At most REPL_REBALANCE_MOVES_MAX moves a plan.
 * The bytes of a move are an estimate: the source's data directory size
 * (heartbeats, murphy.node_load.disk_bytes) over its copies, times the
 * copies that move.  Nothing is queried to plan: the view answers at once.
 *
 * murphy.rebalance() starts the planned moves in one group (at most
 * REPL_MOVE_PARALLEL_MAX copying at once, each at most the session's
 * murphy.move_max_mbps) and waits for them; a planned move that cannot
 * start is skipped and said.
 *
 * The automatic rebalancer (repl_rebalance_tick, on unless ALTER SYSTEM
 * SET murphy.auto_rebalance = off) looks every murphy.rebalance_interval_ms
 * and starts the plan's first move — one move at a time, throttled by the
 * system value of murphy.move_max_mbps — only when nothing else is being
 * repaired: every shard decided, at its replication factor with current
 * copies, no copy being rebuilt and no move running.  Healing comes first:
 * the recovery (repl_recover.c, top_up) restores the copies of
 * under-replicated shards, and the rebalancer waits for it.  A follower
 * that joins or comes back empty holds the fewest copies: the plan moves
 * copies to it.  Copies move only when the follower with the most holds at
 * least (1 + threshold) times the mean, or by load as above.
 */
#include "replication/repl_int.h"

#include "common/clock.h"
#include "common/log.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* The automatic rebalancer's defaults and bounds. */
#define REPL_REBALANCE_INTERVAL_MS 10000 /* a plan every 10 s: moves are slow */
#define REPL_REBALANCE_INTERVAL_MIN_MS 100
#define REPL_REBALANCE_INTERVAL_MAX_MS 86400000 /* a day */
#define REPL_REBALANCE_THRESHOLD 0.1            /* 10 % above the mean */
#define REPL_REBALANCE_THRESHOLD_MAX 100.0
/* Below this much follower CPU over 5 min (all followers together) the
 * load is noise (heartbeats, a few statements): no move by load. */
#define REPL_REBALANCE_LOAD_MIN_MS 500.0
/* A move by load must lower the busiest follower's load by this share at
 * least: smaller gains are within the measurement's noise. */
#define REPL_REBALANCE_LOAD_GAIN 0.05

struct repl_rebalancer {
	int auto_on;
	double threshold;
	uint64_t interval_ms, max_bps;
	int64_t last_ms; /* the automatic rebalancer last looked */
	repl_shard_load_fn load;
	void *load_arg;
};

typedef struct plan_state {
	uint32_t nodes[CAT_NODES_MAX];
	int counts[CAT_NODES_MAX];
	double loads[CAT_NODES_MAX];
	int nnodes;
	struct {
		uint32_t table_id, shard;
	} planned[REPL_REBALANCE_MOVES_MAX * REPL_MOVE_GROUP_MAX];
	int nplanned;
} plan_state;

static struct repl_rebalancer *rebal_of(repl_ctx *c)
{
	if (!c->rebal && (c->rebal = calloc(1, sizeof *c->rebal))) {
		c->rebal->auto_on = 1;
		c->rebal->threshold = REPL_REBALANCE_THRESHOLD;
		c->rebal->interval_ms = REPL_REBALANCE_INTERVAL_MS;
		c->rebal->last_ms = mur_wall_ms(); /* the first look one interval after start */
	}
	return c->rebal;
}

void repl_rebalance_destroy(repl_ctx *c)
{
	free(c->rebal);
	c->rebal = NULL;
}

void repl_set_shard_load(repl_ctx *c, repl_shard_load_fn fn, void *arg)
{
	struct repl_rebalancer *rb = rebal_of(c);
	if (rb) {
		rb->load = fn;
		rb->load_arg = arg;
	}
}

/* ---- settings ---- */

int repl_setting_bool(const char *v, int *out)
{
	static const char *const on[] = {"on", "true", "yes", "1"}, *const off[] = {"off", "false",
										    "no", "0"};
	for (int i = 0; i < 4; i++)
		if (strcasecmp(v, on[i]) == 0 || strcasecmp(v, off[i]) == 0) {
			*out = strcasecmp(v, on[i]) == 0;
			return MUR_OK;
		}
	return MUR_ERR;
}

int repl_setting_bad(mur_error *err, const char *name, const char *value, const char *want)
{
	mur_error_set(err, SQLSTATE_INVALID_PARAMETER_VALUE,
		      "invalid value for parameter \"%s\": \"%s\"", name, value);
	return mur_error_hint(err, "%s", want), MUR_ERR;
}

int repl_rebalance_set(repl_ctx *c, const char *name, const char *value, mur_error *err)
{
	struct repl_rebalancer *rb = rebal_of(c);
	char *end, known[32];
	if (!rb)
		return mur_error_set(err, SQLSTATE_OUT_OF_MEMORY, "out of memory");
	if (repl_autosplit_get(c, name, known, sizeof known))
		return repl_autosplit_set(c, name, value, err);
	if (strcmp(name, "murphy.auto_rebalance") == 0) {
		if (!value)
			rb->auto_on = 1;
		else if (repl_setting_bool(value, &rb->auto_on) != MUR_OK)
			return repl_setting_bad(err, name, value, "on or off.");
	} else if (strcmp(name, "murphy.rebalance_threshold") == 0) {
		double v = value ? strtod(value, &end) : REPL_REBALANCE_THRESHOLD;
		if (value &&
		    (end == value || *end || !(v >= 0 && v <= REPL_REBALANCE_THRESHOLD_MAX)))
			return repl_setting_bad(err, name, value,
						"A share of the mean, 0 to 100: 0.1 moves once a "
						"follower "
						"holds (or works) 10 % more than the mean.");
		rb->threshold = v;
	} else if (strcmp(name, "murphy.rebalance_interval_ms") == 0) {
		long long v = value ? strtoll(value, &end, 10) : REPL_REBALANCE_INTERVAL_MS;
		if (value && (end == value || *end || v < REPL_REBALANCE_INTERVAL_MIN_MS ||
			      v > REPL_REBALANCE_INTERVAL_MAX_MS))
			return repl_setting_bad(err, name, value, "Milliseconds, 100 to 86400000.");
		rb->interval_ms = (uint64_t)v;
	} else if (strcmp(name, "murphy.move_max_mbps") == 0) {
		uint64_t v = 0;
		if (value && repl_move_rate_parse(value, &v) != MUR_OK)
			return repl_setting_bad(err, name, value,
						"MB/s: 0 (no limit), or 0.1 to 1000000.");
		rb->max_bps = v;
	} else {
		mur_error_set(err, SQLSTATE_UNDEFINED_OBJECT,
			      "ALTER SYSTEM does not know parameter \"%s\"", name);
		return mur_error_hint(err,
				      "murphy sets murphy.auto_rebalance, "
				      "murphy.rebalance_threshold, murphy.rebalance_interval_ms, "
				      "murphy.move_max_mbps, murphy.auto_split, "
				      "murphy.split_max_bytes, murphy.split_load_share and "
				      "murphy.split_cooldown_ms this way."),
		       MUR_ERR;
	}
	MLOG(INFO, "rebalance", "%s set to %s", name, value ? value : "its default");
	return MUR_OK;
}

static void apply_stored(void *arg, const char *name, const char *value)
{
	mur_error err;
	if (repl_rebalance_set(arg, name, value, &err) != MUR_OK)
		MLOG(WARN, "rebalance", "stored setting ignored: %s", err.message);
}

void repl_rebalance_load(repl_ctx *c) { cat_settings_each(c->cat, apply_stored, c); }

const char *repl_rebalance_get(const repl_ctx *c, const char *name, char *buf, size_t bufsz)
{
	struct repl_rebalancer def =
		{1, REPL_REBALANCE_THRESHOLD, REPL_REBALANCE_INTERVAL_MS, 0, 0, NULL, NULL};
	const struct repl_rebalancer *rb = c->rebal ? c->rebal : &def;
	if (strcmp(name, "murphy.auto_rebalance") == 0)
		snprintf(buf, bufsz, "%s", rb->auto_on ? "on" : "off");
	else if (strcmp(name, "murphy.rebalance_threshold") == 0)
		snprintf(buf, bufsz, "%g", rb->threshold);
	else if (strcmp(name, "murphy.rebalance_interval_ms") == 0)
		snprintf(buf, bufsz, "%llu", (unsigned long long)rb->interval_ms);
	else if (strcmp(name, "murphy.move_max_mbps") == 0)
		snprintf(buf, bufsz, "%g", (double)rb->max_bps / (1024 * 1024));
	else
		return repl_autosplit_get(c, name, buf, bufsz);
	return buf;
}

/* ---- the plan ---- */

static int counted(const cat_table *t)
{
	return t->kind == CAT_TABLE_DISTRIBUTED && !cat_table_is_reference(t);
}

double repl_shard_cpu_ms(repl_ctx *c, uint32_t table_id, uint32_t sh, uint32_t window_s)
{
	const struct repl_rebalancer *rb = c->rebal;
	return rb && rb->load ? rb->load(rb->load_arg, table_id, sh, window_s) : 0;
}

/* Copy sh of t's share of its shard's load (ms over 5 min; for a table
 * split less than 5 min ago, its load since the split scaled to 5 min:
 * before it, the shard's load was the whole range's). */
static double copy_load(repl_ctx *c, const cat_table *t, uint32_t sh)
{
	int copies = t->shards[sh].nplacements;
	uint32_t window_s = repl_autosplit_window_s(c, t->id);
	double ms = copies > 0 ? repl_shard_cpu_ms(c, t->id, sh, window_s) / copies : 0;
	return window_s ? ms * REPL_LOAD_WINDOW_S / window_s : ms;
}

static void node_totals(repl_ctx *c, uint32_t node_id, int *count, double *load)
{
	*count = 0;
	*load = 0;
	for (int i = 0; i < cat_table_count(c->cat); i++) {
		const cat_table *t = cat_table_at(c->cat, i);
		if (!counted(t))
			continue;
		for (uint32_t sh = 0; sh < t->nshards; sh++)
			if (cat_placement_on((cat_shard *)&t->shards[sh], node_id)) {
				(*count)++;
				*load += copy_load(c, t, sh);
			}
	}
}

static void plan_nodes(repl_ctx *c, plan_state *ps)
{
	for (int i = 0; i < cat_node_count(c->cat) && ps->nnodes < CAT_NODES_MAX; i++) {
		const cat_node *n = cat_node_at(c->cat, i);
		if (n->role != CAT_NODE_FOLLOWER || n->state != CAT_NODE_ALIVE ||
		    !repl_connected(c, n->id) || !repl_node_reported(c, n->id))
			continue;
		ps->nodes[ps->nnodes] = n->id;
		node_totals(c, n->id, &ps->counts[ps->nnodes], &ps->loads[ps->nnodes]);
		ps->nnodes++;
	}
}

static int planned(const plan_state *ps, uint32_t table_id, uint32_t shard)
{
	for (int i = 0; i < ps->nplanned; i++)
		if (ps->planned[i].table_id == table_id && ps->planned[i].shard == shard)
			return 1;
	return 0;
}

/* The index of the follower with the most (most = 1) or fewest copies,
 * or load (by_load = 1). */
static int extreme_by(const plan_state *ps, int most, int by_load)
{
	int best = 0;
	for (int i = 1; i < ps->nnodes; i++) {
		double d = by_load ? ps->loads[i] - ps->loads[best]
				   : (double)(ps->counts[i] - ps->counts[best]);
		if (most ? d > 0 : d < 0)
			best = i;
	}
	return best;
}

static int extreme(const plan_state *ps, int most) { return extreme_by(ps, most, 0); }

static int busiest(const plan_state *ps, int most) { return extreme_by(ps, most, 1); }

/* The co-located group shard sh of t would move with from `from` to `to`
 * (its size), or 0 when it cannot move (`to` holds a copy already, …) or
 * is planned already. */
static int movable(repl_ctx *c, const plan_state *ps, cat_table *t, uint32_t sh,
		   const cat_node *from, const cat_node *to)
{
	cat_table *group[REPL_MOVE_GROUP_MAX];
	mur_error err;
	int w;
	if (!cat_placement_on(&t->shards[sh], from->id) ||
	    cat_placement_on(&t->shards[sh], to->id) || planned(ps, t->id, sh) ||
	    (w = repl_move_group_check(c, t, sh, from, to, group, REPL_MOVE_GROUP_MAX, &err)) <= 0)
		return 0;
	for (int k = 0; k < w; k++)
		if (planned(ps, group[k]->id, sh))
			return 0;
	return w;
}

static void step_fill(plan_state *ps, int a, int b, cat_table *t, uint32_t sh, int w, double load,
		      int by_load, repl_rebalance_step *step)
{
	memset(step, 0, sizeof *step);
	step->table_id = t->id;
	step->shard = sh;
	step->tables = w;
	step->source = ps->nodes[a];
	step->target = ps->nodes[b];
	step->source_copies = ps->counts[a];
	step->target_copies = ps->counts[b];
	step->by_load = by_load;
	step->load_ms = load;
}

/* By copies: the shard on a whose move to b lowers the gap the most (the
 * coldest, a replica first, among equals); 0 when none. */
static int best_move(repl_ctx *c, plan_state *ps, int a, int b, repl_rebalance_step *step)
{
	const cat_node *from = cat_node_by_id(c->cat, ps->nodes[a]);
	const cat_node *to = cat_node_by_id(c->cat, ps->nodes[b]);
	int gap = ps->counts[a] - ps->counts[b], best_w = 0, best_primary = 0;
	double best_load = 0;
	for (int i = 0; i < cat_table_count(c->cat); i++) {
		cat_table *t = cat_table_by_id(c->cat, cat_table_at(c->cat, i)->id);
		if (!t || !counted(t))
			continue;
		for (uint32_t sh = 0; sh < t->nshards; sh++) {
			int w = movable(c, ps, t, sh, from, to), primary;
			double load;
			if (!w || w >= gap || w < best_w)
				continue;
			load = copy_load(c, t, sh) * w;
			primary = cat_placement_on(&t->shards[sh], from->id)->role == CAT_PRIMARY;
			if (w == best_w &&
			    (load > best_load || (load == best_load && primary >= best_primary)))
				continue;
			best_w = w;
			best_load = load;
			best_primary = primary;
			step_fill(ps, a, b, t, sh, w, load, 0, step);
		}
	}
	return best_w > 0;
}

/* The coldest single copy on b that a holds none of (the swap's other
 * half); 0 when none. */
static int coldest(repl_ctx *c, plan_state *ps, int b, int a, repl_rebalance_step *step)
{
	const cat_node *from = cat_node_by_id(c->cat, ps->nodes[b]);
	const cat_node *to = cat_node_by_id(c->cat, ps->nodes[a]);
	int found = 0;
	for (int i = 0; i < cat_table_count(c->cat); i++) {
		cat_table *t = cat_table_by_id(c->cat, cat_table_at(c->cat, i)->id);
		if (!t || !counted(t))
			continue;
		for (uint32_t sh = 0; sh < t->nshards; sh++) {
			double load;
			if (movable(c, ps, t, sh, from, to) != 1)
				continue;
			load = copy_load(c, t, sh);
			if (found && load >= step->load_ms)
				continue;
			found = 1;
			step_fill(ps, b, a, t, sh, 1, load, 1, step);
		}
	}
	return found;
}

/* By load: the copy of the busiest follower a whose move to the least
 * busy b (with b's coldest copy back when the counts call for a swap)
 * lowers the busier of the two the most.  Fills one or two steps;
 * returns how many. */
static int load_steps(repl_ctx *c, plan_state *ps, double threshold, repl_rebalance_step *out)
{
	int a = busiest(ps, 1), b = busiest(ps, 0), swap;
	const cat_node *from = cat_node_by_id(c->cat, ps->nodes[a]);
	const cat_node *to = cat_node_by_id(c->cat, ps->nodes[b]);
	double total = 0, back = 0, best = ps->loads[a] * (1 - REPL_REBALANCE_LOAD_GAIN);
	int found = 0;
	for (int i = 0; i < ps->nnodes; i++)
		total += ps->loads[i];
	if (a == b || total < REPL_REBALANCE_LOAD_MIN_MS ||
	    ps->loads[a] <= total / ps->nnodes * (1 + threshold))
		return 0;
	swap = ps->counts[a] <= ps->counts[b];
	if (swap) {
		if (!coldest(c, ps, b, a, &out[1]))
			return 0;
		back = out[1].load_ms;
	}
	for (int i = 0; i < cat_table_count(c->cat); i++) {
		cat_table *t = cat_table_by_id(c->cat, cat_table_at(c->cat, i)->id);
		if (!t || !counted(t))
			continue;
		for (uint32_t sh = 0; sh < t->nshards; sh++) {
			double load, worse;
			if (movable(c, ps, t, sh, from, to) != 1 ||
			    (swap && t->id == out[1].table_id && sh == out[1].shard))
				continue;
			load = copy_load(c, t, sh);
			worse = ps->loads[a] - load + back;
			if (ps->loads[b] + load - back > worse)
				worse = ps->loads[b] + load - back;
			if (worse >= best)
				continue;
			best = worse;
			found = 1;
			step_fill(ps, a, b, t, sh, 1, load, 1, &out[0]);
		}
	}
	return found ? 1 + swap : 0;
}

static void mark_planned(repl_ctx *c, plan_state *ps, const repl_rebalance_step *step)
{
	cat_table *t = cat_table_by_id(c->cat, step->table_id);
	cat_table *group[REPL_MOVE_GROUP_MAX];
	mur_error err;
	int a = 0, b = 0;
	int w = repl_move_group_check(c, t, step->shard, cat_node_by_id(c->cat, step->source),
				      cat_node_by_id(c->cat, step->target), group,
				      REPL_MOVE_GROUP_MAX, &err);
	for (int k = 0; k < w && ps->nplanned < (int)(sizeof ps->planned / sizeof ps->planned[0]);
	     k++) {
		ps->planned[ps->nplanned].table_id = group[k]->id;
		ps->planned[ps->nplanned++].shard = step->shard;
	}
	for (int i = 0; i < ps->nnodes; i++) {
		a = ps->nodes[i] == step->source ? i : a;
		b = ps->nodes[i] == step->target ? i : b;
	}
	ps->counts[a] -= step->tables;
	ps->counts[b] += step->tables;
	ps->loads[a] -= step->load_ms;
	ps->loads[b] += step->load_ms;
}

static void estimate(repl_ctx *c, repl_rebalance_step *step, uint64_t max_bps)
{
	const cat_node *n = cat_node_by_id(c->cat, step->source);
	int copies;
	double load;
	node_totals(c, step->source, &copies, &load);
	step->bytes_estimate = n && copies > 0
				       ? n->disk_bytes / (uint64_t)copies * (uint64_t)step->tables
				       : 0;
	step->eta_ms = (uint64_t)((double)step->bytes_estimate * 1000.0 /
				  repl_move_rate_estimate(c, max_bps));
}

int repl_rebalance_plan(repl_ctx *c, uint64_t max_bps, repl_rebalance_step *out, int max)
{
	plan_state ps;
	double threshold = c->rebal ? c->rebal->threshold : REPL_REBALANCE_THRESHOLD;
	int n = 0, k;
	if (max > REPL_REBALANCE_MOVES_MAX)
		max = REPL_REBALANCE_MOVES_MAX;
	memset(&ps, 0, sizeof ps);
	plan_nodes(c, &ps);
	while (ps.nnodes >= 2 && n < max) {
		int a = extreme(&ps, 1), b = extreme(&ps, 0);
		if (ps.counts[a] - ps.counts[b] <= 1 || !best_move(c, &ps, a, b, &out[n]))
			break;
		mark_planned(c, &ps, &out[n++]);
	}
	while (ps.nnodes >= 2 && n + 1 < max && (k = load_steps(c, &ps, threshold, &out[n])) > 0)
		for (int i = 0; i < k; i++)
			mark_planned(c, &ps, &out[n++]);
	for (int i = 0; i < n; i++)
		estimate(c, &out[i], max_bps);
	return n;
}

static int start_step(repl_ctx *c, const repl_rebalance_step *st, uint64_t max_bps, int queue,
		      uint64_t *group, mur_error *err)
{
	const cat_table *t = cat_table_by_id(c->cat, st->table_id);
	repl_move_req rq = {.table = t ? t->name : "",
			    .shard = st->shard,
			    .from = cat_node_name(c->cat, st->source),
			    .to = cat_node_name(c->cat, st->target),
			    .max_bps = max_bps,
			    .queue = queue};
	return repl_move_start(c, &rq, group, err);
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
		mur_error e2;
		if (start_step(c, &steps[i], max_bps, 1, group, &e2) == MUR_OK) {
			started++;
			continue;
		}
		if (len < skippedsz) {
			int w = snprintf(skipped + len, skippedsz - len, "%sshard %u of %s: %s",
					 len ? "\n" : "", steps[i].shard, t ? t->name : "?",
					 e2.message);
			len += w > 0 ? (size_t)w : 0;
		}
		*err = e2;
	}
	if (n > 0 && started == 0)
		return MUR_ERR; /* err: the last refusal */
	MLOG(INFO, "move", "rebalance: %d of %d planned moves started", started, n);
	return MUR_OK;
}

/* ---- the automatic rebalancer ---- */

/* Nothing is being repaired: every shard decided, at its replication
 * factor, every copy current on an alive follower.  *why says what is not. */
static int settled(repl_ctx *c, const char **why)
{
	for (int i = 0; i < cat_table_count(c->cat); i++) {
		const cat_table *t = cat_table_at(c->cat, i);
		if (t->kind != CAT_TABLE_DISTRIBUTED)
			continue;
		for (uint32_t sh = 0; sh < t->nshards; sh++) {
			const cat_shard *s = &t->shards[sh];
			if (!s->committed_known)
				return *why = "a shard is being recovered", 0;
			if (!cat_table_is_reference(t) && s->nplacements < (int)t->replicas)
				return *why = "a shard is under-replicated", 0;
			for (int k = 0; k < s->nplacements; k++) {
				const cat_node *n = cat_node_by_id(c->cat,
								   s->placements[k].node_id);
				/* a reference table's copy on a dead follower stays
				 * until it returns (repl_recover.c): not a repair */
				if (cat_table_is_reference(t) && (!n || n->state == CAT_NODE_DEAD))
					continue;
				if (s->placements[k].state != CAT_PL_CURRENT || !n ||
				    n->state != CAT_NODE_ALIVE)
					return *why = "a copy is not current", 0;
			}
		}
	}
	return 1;
}

/* The plan's first step is worth a move: by load (the plan checked the
 * threshold), or the most copies above (1 + threshold) times the mean. */
static int worth(repl_ctx *c, const repl_rebalance_step *st)
{
	plan_state ps;
	int total = 0;
	if (st->by_load)
		return 1;
	memset(&ps, 0, sizeof ps);
	plan_nodes(c, &ps);
	for (int i = 0; i < ps.nnodes; i++)
		total += ps.counts[i];
	return ps.nnodes > 0 && (double)ps.counts[extreme(&ps, 1)] * ps.nnodes >
					(double)total * (1 + c->rebal->threshold);
}

void repl_rebalance_tick(repl_ctx *c)
{
	struct repl_rebalancer *rb = rebal_of(c);
	repl_rebalance_step steps[REPL_REBALANCE_MOVES_MAX];
	int64_t now = mur_wall_ms();
	const char *why = NULL;
	uint64_t group = 0;
	mur_error err;
	char reason[128];
	int n, i = 0;
	if (!rb || now - rb->last_ms < (int64_t)rb->interval_ms)
		return;
	rb->last_ms = now;
	(void)why; /* settled's reason: for a debugger, not worth a log line a tick */
	if (repl_move_running(c) || !settled(c, &why) || repl_autosplit_step(c) ||
	    repl_autosplit_settling(c))
		return; /* a split started, or just ended: the halves' load is not known yet */
	if (!rb->auto_on)
		return;
	/* the first step worth a move: the counts' steps come first, and when
	 * they are within the threshold a step by load after them may not be
	 * (a split's halves: as many copies, all on the followers that held
	 * the hot shard) */
	n = repl_rebalance_plan(c, rb->max_bps, steps, REPL_REBALANCE_MOVES_MAX);
	while (i < n && !worth(c, &steps[i]))
		i++;
	if (i == n)
		return;
	if (start_step(c, &steps[i], rb->max_bps, 0, &group, &err) != MUR_OK) {
		MLOG(INFO, "rebalance", "automatic move of shard %u not started: %s",
		     steps[i].shard, err.message);
		return;
	}
	snprintf(reason, sizeof reason,
		 "automatic rebalance %s: %d and %d copies, copy load %.0f ms over 5 min",
		 steps[i].by_load ? "by load" : "by copies", steps[i].source_copies,
		 steps[i].target_copies, steps[i].load_ms);
	repl_move_group_reason(c, group, reason);
	MLOG(INFO, "rebalance", "moving shard %u of table %u from %s to %s (%s)", steps[i].shard,
	     steps[i].table_id, cat_node_name(c->cat, steps[i].source),
	     cat_node_name(c->cat, steps[i].target), reason);
}
