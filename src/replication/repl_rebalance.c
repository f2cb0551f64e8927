/*
 * repl_rebalance.c — the rebalancer: its plan (murphy.rebalance_plan),
 * murphy.rebalance(), which carries the plan out with moves (repl_move.c),
 * and the automatic rebalancer that does the same in the background.
 *
 * The plan has three parts, in this order, all greedy, all preferring few
 * moves (docs/decisions.md, "The rebalancer"):
 *
 *  By copies.  Balance is counted in copies: every placement of a
 *  distributed table on each follower that is alive, connected and
 *  reported (reference tables are on every follower and do not count).
 *  As Citus's by_shard_count strategy: while the follower holding the most
 *  copies (a) holds at least two more than the one holding the fewest (b),
 *  move from a to b the shard whose move lowers the gap the most — a shard
 *  moves with its co-located tables' same shard (repl_move_group_check),
 *  so a move of w copies is taken only when w < count(a) - count(b); among
 *  equal ones one that keeps the bytes and the load in balance (keeps),
 *  then the coldest copy (least load, below), a replica before a primary
 *  (the primary spreader, repl_spread.c, need not follow).
 *
 *  By size.  A copy's size is its file's bytes as its follower last
 *  reported them (heartbeats: cat_placement.file_bytes, the numbers of
 *  murphy.shard_load.disk_bytes) plus murphy.rebalance_base_bytes (100 MB:
 *  small shards are sized by their count); a follower's, the sum of its
 *  copies'.  While the largest follower (a) holds more than (1 +
 *  murphy.rebalance_threshold) times the mean, move the copy group of a
 *  that lowers max(size(a), size(b)) the most, by 5 % at least, to the
 *  smallest follower (b) — swapped with b's smallest group of as many
 *  tables when the move alone would leave the copy counts uneven
 *  (counts_even), and only when it keeps the loads in balance.
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
 *  so the counts stay even, and only when it keeps the sizes in balance:
 *  no part undoes another (keeps).  Only
 *  shards without co-located partners on a move by load.  Loads are per
 *  shard, not per copy, so a move does not make its shard look cold.
 *
 * Each shard is planned once; the counts and loads are updated as if each
 * planned move were done.  At most REPL_REBALANCE_MOVES_MAX moves a plan.
 * The bytes of a move are its copies' files as the source reported them
 * (before its first report: its data directory over its copies, times the
 * copies that move).  Nothing is queried to plan: the view answers at
 * once.
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
 * least (1 + threshold) times the mean, or by size or load as above.
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
/* A copy's size counts as its file's bytes plus this much
 * (murphy.rebalance_base_bytes; Citus's rebalancer_by_disk_size_base_cost,
 * 100 MB too): below it, sizes even out as copies do and small shards'
 * bytes do not move anything. */
#define REPL_REBALANCE_BASE_BYTES ((uint64_t)100 << 20)
/* Below this many file bytes on all followers together sizes are noise
 * (empty SQLite files): no move by size.  A move by size must lower the
 * largest follower's size by REPL_REBALANCE_LOAD_GAIN at least. */
#define REPL_REBALANCE_SIZE_MIN (1.0 * 1024 * 1024)

struct repl_rebalancer {
	int auto_on;
	double threshold;
	uint64_t interval_ms, max_bps;
	uint64_t base_bytes; /* murphy.rebalance_base_bytes */
	int64_t last_ms;     /* the automatic rebalancer last looked */
	repl_shard_load_fn load;
	void *load_arg;
};

typedef struct plan_state {
	uint32_t nodes[CAT_NODES_MAX];
	int counts[CAT_NODES_MAX];
	double loads[CAT_NODES_MAX];
	double bytes[CAT_NODES_MAX]; /* its copies' sizes: files (cat_placement.file_bytes)
					plus base each */
	double files;                /* all followers' file bytes */
	double threshold, base;
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
		c->rebal->base_bytes = REPL_REBALANCE_BASE_BYTES;
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
	} else if (strcmp(name, "murphy.rebalance_base_bytes") == 0) {
		uint64_t v = REPL_REBALANCE_BASE_BYTES;
		if (value && repl_setting_bytes(value, &v) != MUR_OK)
			return repl_setting_bad(err, name, value,
						"Bytes (or kB, MB, GB), 0 to 1TB.");
		rb->base_bytes = v;
	} else {
		mur_error_set(err, SQLSTATE_UNDEFINED_OBJECT,
			      "ALTER SYSTEM does not know parameter \"%s\"", name);
		return mur_error_hint(err,
				      "murphy sets murphy.auto_rebalance, "
				      "murphy.rebalance_threshold, murphy.rebalance_interval_ms, "
				      "murphy.move_max_mbps, murphy.rebalance_base_bytes, "
				      "murphy.auto_split, "
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
	struct repl_rebalancer def = {.auto_on = 1,
				      .threshold = REPL_REBALANCE_THRESHOLD,
				      .interval_ms = REPL_REBALANCE_INTERVAL_MS,
				      .base_bytes = REPL_REBALANCE_BASE_BYTES};
	const struct repl_rebalancer *rb = c->rebal ? c->rebal : &def;
	if (strcmp(name, "murphy.auto_rebalance") == 0)
		snprintf(buf, bufsz, "%s", rb->auto_on ? "on" : "off");
	else if (strcmp(name, "murphy.rebalance_threshold") == 0)
		snprintf(buf, bufsz, "%g", rb->threshold);
	else if (strcmp(name, "murphy.rebalance_interval_ms") == 0)
		snprintf(buf, bufsz, "%llu", (unsigned long long)rb->interval_ms);
	else if (strcmp(name, "murphy.move_max_mbps") == 0)
		snprintf(buf, bufsz, "%g", (double)rb->max_bps / (1024 * 1024));
	else if (strcmp(name, "murphy.rebalance_base_bytes") == 0)
		snprintf(buf, bufsz, "%llu", (unsigned long long)rb->base_bytes);
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

/* The bytes of the copy of shard sh of t on node_id, as its follower last
 * reported them; a copy not reported yet (moved in less than 5 s ago)
 * holds what its shard's other copies hold: the largest of theirs. */
static double copy_bytes(const cat_table *t, uint32_t sh, uint32_t node_id)
{
	const cat_shard *s = &t->shards[sh];
	const cat_placement *p = cat_placement_on((cat_shard *)s, node_id);
	uint64_t most = 0;
	if (!p || p->file_bytes)
		return p ? (double)p->file_bytes : 0;
	for (int k = 0; k < s->nplacements; k++)
		most = s->placements[k].file_bytes > most ? s->placements[k].file_bytes : most;
	return (double)most;
}

static void node_totals(repl_ctx *c, uint32_t node_id, int *count, double *load, double *bytes)
{
	*count = 0;
	*load = 0;
	*bytes = 0;
	for (int i = 0; i < cat_table_count(c->cat); i++) {
		const cat_table *t = cat_table_at(c->cat, i);
		if (!counted(t))
			continue;
		for (uint32_t sh = 0; sh < t->nshards; sh++)
			if (cat_placement_on((cat_shard *)&t->shards[sh], node_id)) {
				(*count)++;
				*load += copy_load(c, t, sh);
				*bytes += copy_bytes(t, sh, node_id);
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
		node_totals(c, n->id, &ps->counts[ps->nnodes], &ps->loads[ps->nnodes],
			    &ps->bytes[ps->nnodes]);
		ps->files += ps->bytes[ps->nnodes];
		ps->bytes[ps->nnodes] += ps->base * ps->counts[ps->nnodes];
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

/* Follower i's copies, load or bytes. */
static double measure(const plan_state *ps, repl_rebalance_by by, int i)
{
	return by == REPL_REBALANCE_BY_LOAD   ? ps->loads[i]
	       : by == REPL_REBALANCE_BY_SIZE ? ps->bytes[i]
					      : (double)ps->counts[i];
}

/* The index of the follower with the most (most = 1) or the fewest copies,
 * load or bytes. */
static int extreme_by(const plan_state *ps, int most, repl_rebalance_by by)
{
	int best = 0;
	for (int i = 1; i < ps->nnodes; i++) {
		double d = measure(ps, by, i) - measure(ps, by, best);
		if (most ? d > 0 : d < 0)
			best = i;
	}
	return best;
}

static int extreme(const plan_state *ps, int most)
{
	return extreme_by(ps, most, REPL_REBALANCE_BY_COPIES);
}

static int busiest(const plan_state *ps, int most)
{
	return extreme_by(ps, most, REPL_REBALANCE_BY_LOAD);
}

/* Moving x (load or bytes; negative: the other way) from follower a to b
 * keeps that measure's balance: neither ends above (1 + threshold) times
 * the mean unless it was already, and then no higher than it was.  Below
 * the measure's noise floor anything goes.  Each part of the plan checks
 * the measures it does not even out with it, so no part undoes another. */
static int keeps(const plan_state *ps, repl_rebalance_by by, int a, int b, double x)
{
	double total = 0, limit, na = measure(ps, by, a) - x, nb = measure(ps, by, b) + x;
	for (int i = 0; i < ps->nnodes; i++)
		total += measure(ps, by, i);
	if (by == REPL_REBALANCE_BY_LOAD ? total < REPL_REBALANCE_LOAD_MIN_MS
					 : ps->files < REPL_REBALANCE_SIZE_MIN)
		return 1;
	limit = total / ps->nnodes * (1 + ps->threshold);
	return (na <= limit || na <= measure(ps, by, a)) &&
	       (nb <= limit || nb <= measure(ps, by, b));
}

/* After w copies move from a to b (and w back when swap), the copy counts
 * stay even: the most and the fewest at most one apart, or no further
 * apart than before. */
static int counts_even(const plan_state *ps, int a, int b, int w)
{
	int before_max = 0, before_min = 0, after_max = 0, after_min = 0;
	for (int i = 0; i < ps->nnodes; i++) {
		int n = ps->counts[i] - (i == a ? w : 0) + (i == b ? w : 0);
		if (i == 0 || ps->counts[i] > before_max)
			before_max = ps->counts[i];
		if (i == 0 || ps->counts[i] < before_min)
			before_min = ps->counts[i];
		if (i == 0 || n > after_max)
			after_max = n;
		if (i == 0 || n < after_min)
			after_min = n;
	}
	return after_max - after_min <= 1 || after_max - after_min <= before_max - before_min;
}

/* The co-located group shard sh of t would move with from `from` to `to`
 * (its size; *bytes: its copies' bytes on `from` when not NULL), or 0 when
 * it cannot move (`to` holds a copy already, …) or is planned already. */
static int movable_bytes(repl_ctx *c, const plan_state *ps, cat_table *t, uint32_t sh,
			 const cat_node *from, const cat_node *to, double *bytes)
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
	if (bytes) {
		*bytes = 0;
		for (int k = 0; k < w; k++)
			*bytes += copy_bytes(group[k], sh, from->id);
	}
	return w;
}

static void step_fill(plan_state *ps, int a, int b, cat_table *t, uint32_t sh, int w, double load,
		      double bytes, repl_rebalance_by by, repl_rebalance_step *step)
{
	memset(step, 0, sizeof *step);
	step->table_id = t->id;
	step->shard = sh;
	step->tables = w;
	step->source = ps->nodes[a];
	step->target = ps->nodes[b];
	step->source_copies = ps->counts[a];
	step->target_copies = ps->counts[b];
	step->by = by;
	step->load_ms = load;
	step->bytes_estimate = (uint64_t)bytes;
}

/* By copies: the shard on a whose move to b lowers the gap the most;
 * among equals one that keeps the sizes and the loads in balance (keeps),
 * then the coldest, then a replica; 0 when none. */
static int best_move(repl_ctx *c, plan_state *ps, int a, int b, repl_rebalance_step *step)
{
	const cat_node *from = cat_node_by_id(c->cat, ps->nodes[a]);
	const cat_node *to = cat_node_by_id(c->cat, ps->nodes[b]);
	int gap = ps->counts[a] - ps->counts[b], best_w = 0, best_primary = 0, best_keeps = 0;
	double best_load = 0;
	for (int i = 0; i < cat_table_count(c->cat); i++) {
		cat_table *t = cat_table_by_id(c->cat, cat_table_at(c->cat, i)->id);
		if (!t || !counted(t))
			continue;
		for (uint32_t sh = 0; sh < t->nshards; sh++) {
			double load, bytes = 0;
			int w = movable_bytes(c, ps, t, sh, from, to, &bytes), primary, ok;
			if (!w || w >= gap || w < best_w)
				continue;
			load = copy_load(c, t, sh) * w;
			primary = cat_placement_on(&t->shards[sh], from->id)->role == CAT_PRIMARY;
			ok = keeps(ps, REPL_REBALANCE_BY_SIZE, a, b, bytes + ps->base * w) &&
			     keeps(ps, REPL_REBALANCE_BY_LOAD, a, b, load);
			if (w == best_w &&
			    (ok < best_keeps ||
			     (ok == best_keeps && (load > best_load || (load == best_load &&
									primary >= best_primary)))))
				continue;
			best_w = w;
			best_keeps = ok;
			best_load = load;
			best_primary = primary;
			step_fill(ps, a, b, t, sh, w, load, bytes, REPL_REBALANCE_BY_COPIES, step);
		}
	}
	return best_w > 0;
}

/* The swap's other half: the copy group of w tables on b that a holds none
 * of, the coldest (by = load) or the smallest (by = size); 0 when none. */
static int swap_back(repl_ctx *c, plan_state *ps, int b, int a, int w, repl_rebalance_by by,
		     repl_rebalance_step *step)
{
	const cat_node *from = cat_node_by_id(c->cat, ps->nodes[b]);
	const cat_node *to = cat_node_by_id(c->cat, ps->nodes[a]);
	int found = 0;
	double best = 0;
	for (int i = 0; i < cat_table_count(c->cat); i++) {
		cat_table *t = cat_table_by_id(c->cat, cat_table_at(c->cat, i)->id);
		if (!t || !counted(t))
			continue;
		for (uint32_t sh = 0; sh < t->nshards; sh++) {
			double load, bytes = 0;
			if (movable_bytes(c, ps, t, sh, from, to, &bytes) != w)
				continue;
			load = copy_load(c, t, sh) * w;
			if (found && (by == REPL_REBALANCE_BY_LOAD ? load : bytes) >= best)
				continue;
			found = 1;
			best = by == REPL_REBALANCE_BY_LOAD ? load : bytes;
			step_fill(ps, b, a, t, sh, w, load, bytes, by, step);
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
	double total = 0, back = 0, back_bytes = 0,
	       best = ps->loads[a] * (1 - REPL_REBALANCE_LOAD_GAIN);
	int found = 0;
	for (int i = 0; i < ps->nnodes; i++)
		total += ps->loads[i];
	if (a == b || total < REPL_REBALANCE_LOAD_MIN_MS ||
	    ps->loads[a] <= total / ps->nnodes * (1 + threshold))
		return 0;
	swap = ps->counts[a] <= ps->counts[b];
	if (swap) {
		if (!swap_back(c, ps, b, a, 1, REPL_REBALANCE_BY_LOAD, &out[1]))
			return 0;
		back = out[1].load_ms;
		back_bytes = (double)out[1].bytes_estimate;
	}
	for (int i = 0; i < cat_table_count(c->cat); i++) {
		cat_table *t = cat_table_by_id(c->cat, cat_table_at(c->cat, i)->id);
		if (!t || !counted(t))
			continue;
		for (uint32_t sh = 0; sh < t->nshards; sh++) {
			double load, worse, bytes = 0;
			if (movable_bytes(c, ps, t, sh, from, to, &bytes) != 1 ||
			    (swap && t->id == out[1].table_id && sh == out[1].shard) ||
			    !keeps(ps, REPL_REBALANCE_BY_SIZE, a, b,
				   bytes + ps->base - (swap ? back_bytes + ps->base : 0)))
				continue;
			load = copy_load(c, t, sh);
			worse = ps->loads[a] - load + back;
			if (ps->loads[b] + load - back > worse)
				worse = ps->loads[b] + load - back;
			if (worse >= best)
				continue;
			best = worse;
			found = 1;
			step_fill(ps, a, b, t, sh, 1, load, bytes, REPL_REBALANCE_BY_LOAD, &out[0]);
		}
	}
	return found ? 1 + swap : 0;
}

/* By size: the copy group of the follower holding the most bytes (a)
 * whose move to the one holding the fewest (b) lowers the larger of the
 * two the most — swapped with b's smallest group of as many tables when
 * the move alone would leave the copy counts uneven (counts_even), and
 * only when the loads stay in balance (keeps).  Fills one or two steps
 * (at most room); returns how many. */
static int size_steps(repl_ctx *c, plan_state *ps, repl_rebalance_step *out, int room)
{
	int a = extreme_by(ps, 1, REPL_REBALANCE_BY_SIZE),
	    b = extreme_by(ps, 0, REPL_REBALANCE_BY_SIZE);
	const cat_node *from = cat_node_by_id(c->cat, ps->nodes[a]);
	const cat_node *to = cat_node_by_id(c->cat, ps->nodes[b]);
	repl_rebalance_step back[REPL_MOVE_GROUP_MAX + 1];
	signed char back_known[REPL_MOVE_GROUP_MAX + 1]; /* 0: not looked; 1: found; -1: none */
	double total = 0, best = ps->bytes[a] * (1 - REPL_REBALANCE_LOAD_GAIN);
	int found = 0;
	for (int i = 0; i < ps->nnodes; i++)
		total += ps->bytes[i];
	if (a == b || ps->files < REPL_REBALANCE_SIZE_MIN ||
	    ps->bytes[a] <= total / ps->nnodes * (1 + ps->threshold))
		return 0;
	memset(back_known, 0, sizeof back_known);
	for (int i = 0; i < cat_table_count(c->cat); i++) {
		cat_table *t = cat_table_by_id(c->cat, cat_table_at(c->cat, i)->id);
		if (!t || !counted(t))
			continue;
		for (uint32_t sh = 0; sh < t->nshards; sh++) {
			double bytes = 0, size, load, worse;
			int w = movable_bytes(c, ps, t, sh, from, to, &bytes), swap;
			if (!w)
				continue;
			load = copy_load(c, t, sh) * w;
			size = bytes + ps->base * w;
			swap = !counts_even(ps, a, b, w);
			if (swap) {
				if (room < 2)
					continue;
				if (!back_known[w])
					back_known[w] = swap_back(c, ps, b, a, w,
								  REPL_REBALANCE_BY_SIZE, &back[w])
								? 1
								: -1;
				if (back_known[w] < 0)
					continue;
				size -= (double)back[w].bytes_estimate + ps->base * w;
				load -= back[w].load_ms;
			}
			worse = ps->bytes[a] - size;
			if (ps->bytes[b] + size > worse)
				worse = ps->bytes[b] + size;
			if (worse >= best || !keeps(ps, REPL_REBALANCE_BY_LOAD, a, b, load))
				continue;
			best = worse;
			step_fill(ps, a, b, t, sh, w, copy_load(c, t, sh) * w, bytes,
				  REPL_REBALANCE_BY_SIZE, &out[0]);
			found = 1 + swap;
			if (swap)
				out[1] = back[w];
		}
	}
	return found;
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
	ps->bytes[a] -= (double)step->bytes_estimate + ps->base * step->tables;
	ps->bytes[b] += (double)step->bytes_estimate + ps->base * step->tables;
}

/* The step's time at the move rate; its bytes are its copies' files as
 * the source reported them — before its first report (up to 5 s after it
 * connects), its data directory's bytes over its copies. */
static void estimate(repl_ctx *c, repl_rebalance_step *step, uint64_t max_bps)
{
	const cat_node *n = cat_node_by_id(c->cat, step->source);
	int copies;
	double load, bytes;
	node_totals(c, step->source, &copies, &load, &bytes);
	if (!step->bytes_estimate && n && copies > 0)
		step->bytes_estimate = n->disk_bytes / (uint64_t)copies * (uint64_t)step->tables;
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
	ps.threshold = threshold;
	ps.base = c->rebal ? (double)c->rebal->base_bytes : (double)REPL_REBALANCE_BASE_BYTES;
	plan_nodes(c, &ps);
	while (ps.nnodes >= 2 && n < max) {
		int a = extreme(&ps, 1), b = extreme(&ps, 0);
		if (ps.counts[a] - ps.counts[b] <= 1 || !best_move(c, &ps, a, b, &out[n]))
			break;
		mark_planned(c, &ps, &out[n++]);
	}
	while (ps.nnodes >= 2 && n < max && (k = size_steps(c, &ps, &out[n], max - n)) > 0)
		for (int i = 0; i < k; i++)
			mark_planned(c, &ps, &out[n++]);
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

/* The plan's first step is worth a move: by size or load (the plan
 * checked the threshold), or the most copies above (1 + threshold) times the mean. */
static int worth(repl_ctx *c, const repl_rebalance_step *st)
{
	plan_state ps;
	int total = 0;
	if (st->by != REPL_REBALANCE_BY_COPIES)
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
	if (steps[i].by == REPL_REBALANCE_BY_SIZE)
		snprintf(reason, sizeof reason,
			 "automatic rebalance by size: %.0f kB, %d and %d copies",
			 (double)steps[i].bytes_estimate / 1024, steps[i].source_copies,
			 steps[i].target_copies);
	else
		snprintf(reason, sizeof reason,
			 "automatic rebalance %s: %d and %d copies, copy load %.0f ms over 5 min",
			 steps[i].by == REPL_REBALANCE_BY_LOAD ? "by load" : "by copies",
			 steps[i].source_copies, steps[i].target_copies, steps[i].load_ms);
	repl_move_group_reason(c, group, reason);
	MLOG(INFO, "rebalance", "moving shard %u of table %u from %s to %s (%s)", steps[i].shard,
	     steps[i].table_id, cat_node_name(c->cat, steps[i].source),
	     cat_node_name(c->cat, steps[i].target), reason);
}
