/*
 * repl_autosplit.c — the automatic splitter: a shard that grew past
 * murphy.split_max_bytes, or that does more than murphy.split_load_share
 * of its range table's work, splits by itself, the way
 * murphy.split_shard does (repl_split.c), so that a table ranged by
 * creation date — its newest shard the one that grows and the one read —
 * fixes itself (issue 18; docs/load.md, "Automatic splits").
 *
 * It looks when the automatic rebalancer looks (repl_rebalance_tick:
 * every murphy.rebalance_interval_ms, only when every shard is at its
 * replication factor with current copies and no move or split runs),
 * before the rebalancer plans, and starts at most one split per look.
 * The rebalancer then moves copies of the halves (by copies, by load) at
 * its next looks: one operation at a time, healing first.
 *
 *   by load  (range tables)  for each table not cooling down: each
 *            shard's follower CPU time over the table's window — the last
 *            5 min, or the time since its last split when that is shorter
 *            (before the split the shard's load was the whole range's);
 *            the hottest shard splits at its median key when it did more
 *            than split_load_share of the table's CPU and at least
 *            REPL_AUTOSPLIT_LOAD_MIN_PCT % of one core over the window, so
 *            an idle or lightly used table never splits.  The hottest of
 *            all tables goes first.
 *   by size  (range and hash tables)  the previous look's probes: the
 *            biggest shard above split_max_bytes splits (a range shard at
 *            its median key, a hash shard in the middle of its hash range).
 *            Load comes first: it hurts now; size only makes moves slow.
 *
 * Sizes come from probes: at each look that starts no split, a QUERY of
 * the pages in use (REPL_PAGES_BYTES_SQL, what a snapshot copies) to the
 * primary of at most REPL_AUTOSPLIT_PROBES_MAX shards, taking turns over
 * every shard of every table that may split.  The answers are read at the
 * next look; a shard split since (its generation changed) is skipped.
 * Probes count as their follower's CPU time, not as reads
 * (exec_task.load_cpu_only): murphy.shard_load shows the clients' reads.
 *
 * Cooldown: a table split less than murphy.split_cooldown_ms ago (by
 * itself or by a call, as murphy.moves remembers) is left alone; after an
 * automatic split that aborted or could not start, the table waits
 * REPL_AUTOSPLIT_RETRY_FACTOR cooldowns (a shard whose keys are all equal
 * is not tried every look).
 *
 * Each split started says why, in the log and in murphy.moves.reason
 * ("automatic split by size: …").  A leader restart mid-split is the
 * manual split's case: the catalog holds the old shard or both halves,
 * never a mix (repl_split.c).  The splitter's own state is memory only:
 * a restarted leader probes again and forgets cooldowns (its load rings
 * start empty too).
 */
#include "replication/repl_int.h"

#include "common/clock.h"
#include "common/log.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* A shard above 64 MB splits: at the ~20 MB/s a move copies on the test
 * machine (repl_move.c, REPL_MOVE_RATE_GUESS_BPS) it moves or is rebuilt
 * after a death in about 3 s, and its split's copy (VACUUM INTO twice)
 * takes about as long; smaller would multiply the shards (a task each per
 * scan, a file each) for little gain.  CockroachDB's ranges stop at 512
 * MiB, but it sends a range's snapshot in pieces; murphy copies a whole
 * SQLite file at every move and rebuild. */
#define REPL_AUTOSPLIT_MAX_BYTES (64ull << 20)
/* split_max_bytes' bounds: below a few SQLite pages a shard would split
 * down to a handful of rows; above 1 TB nothing would. */
#define REPL_AUTOSPLIT_MAX_BYTES_MIN (64ull << 10)
#define REPL_AUTOSPLIT_MAX_BYTES_MAX (1ull << 40)
/* A shard doing more than 30 % of its table's work splits: a range that
 * does all of it ends in four pieces (halves at 50 % split again,
 * quarters at 25 % stay, with room for the measurement's noise: at 0.25
 * quarters measured at 27 % split into eighths on the bench), whose 12
 * copies at RF 3 spread evenly over 4 followers (two halves give 6
 * copies: 2, 2, 1, 1 — the busiest follower a third above the mean). */
#define REPL_AUTOSPLIT_LOAD_SHARE 0.3
/* A minute between two splits of a table: the rebalancer (every 10 s)
 * moves the halves first, and the next decision by load sees at least
 * five 10 s slots of the halves' own load. */
#define REPL_AUTOSPLIT_COOLDOWN_MS 60000
#define REPL_AUTOSPLIT_COOLDOWN_MAX_MS 86400000 /* a day */
/* A shard splits by load only when its followers spent at least this
 * share of one core on it over the window (5 % = 15 s of CPU in 5 min):
 * a few statements a second stay far below. */
#define REPL_AUTOSPLIT_LOAD_MIN_PCT 5.0
/* Shards probed per look: a look stays cheap on any cluster (at 10 s, a
 * cluster of 640 shards has each probed every 100 s). */
#define REPL_AUTOSPLIT_PROBES_MAX 64
/* After an automatic split that aborted or could not start, the table
 * waits this many cooldowns. */
#define REPL_AUTOSPLIT_RETRY_FACTOR 10
/* The rebalancer waits this long after a split's switch: the halves'
 * load is measured from the first full 10 s load slot after it, so
 * before two slots it knows nothing of them (repl_autosplit_window_s). */
#define REPL_AUTOSPLIT_SETTLE_MS 20000
/* Tables held back after a refused start, at once (the oldest hold goes). */
#define REPL_AUTOSPLIT_HOLDS_MAX 16

typedef struct autosplit_probe {
	uint32_t table_id, shard, gen; /* gen: the shard's files when probed */
	uint64_t bytes;
	int answered;
} autosplit_probe;

struct repl_autosplit {
	int on;
	uint64_t max_bytes; /* 0: no splits by size */
	double load_share;  /* 1: no splits by load (no share is above it) */
	uint64_t cooldown_ms;
	autosplit_probe probes[REPL_AUTOSPLIT_PROBES_MAX]; /* the last round's */
	int nprobes;
	uint64_t round;  /* answers of older rounds are ignored */
	uint64_t cursor; /* the next shard to probe, counted over all */
	int out;         /* probes not answered yet */
	int dead;        /* destroyed with probes out: the last answer frees it */
	struct {
		uint32_t table_id;
		int64_t until_ms;
	} holds[REPL_AUTOSPLIT_HOLDS_MAX];
};

typedef struct probe_ticket {
	struct repl_autosplit *as;
	uint64_t round;
	int idx;
} probe_ticket;

typedef struct candidate {
	cat_table *t; /* NULL: none */
	uint32_t shard;
	double measure; /* bytes or CPU ms: the biggest or hottest wins */
	char reason[128];
} candidate;

static const struct repl_autosplit autosplit_defaults = {
	.on = 1,
	.max_bytes = REPL_AUTOSPLIT_MAX_BYTES,
	.load_share = REPL_AUTOSPLIT_LOAD_SHARE,
	.cooldown_ms = REPL_AUTOSPLIT_COOLDOWN_MS,
};

static struct repl_autosplit *autosplit_of(repl_ctx *c)
{
	if (!c->autosplit && (c->autosplit = malloc(sizeof *c->autosplit)))
		*c->autosplit = autosplit_defaults;
	return c->autosplit;
}

void repl_autosplit_destroy(repl_ctx *c)
{
	struct repl_autosplit *as = c->autosplit;
	c->autosplit = NULL;
	if (as && as->out)
		as->dead = 1; /* probe_answered frees it */
	else
		free(as);
}

/* ---- settings ---- */

/* Bytes, with an optional unit (B, kB, MB, GB, TB: powers of 1024, as
 * PostgreSQL's memory settings); MUR_ERR when not one. */
int repl_setting_bytes(const char *v, uint64_t *out)
{
	static const char *const units[] = {"", "B", "kB", "MB", "GB", "TB"};
	static const int shifts[] = {0, 0, 10, 20, 30, 40};
	char *end;
	double n = strtod(v, &end);
	if (end == v || !(n >= 0))
		return MUR_ERR;
	while (*end == ' ')
		end++;
	for (int i = 0; i < 6; i++)
		if (strcasecmp(end, units[i]) == 0) {
			double b = n * (double)(1ull << shifts[i]);
			if (b > (double)REPL_AUTOSPLIT_MAX_BYTES_MAX)
				return MUR_ERR;
			*out = (uint64_t)b;
			return MUR_OK;
		}
	return MUR_ERR;
}

int repl_autosplit_set(repl_ctx *c, const char *name, const char *value, mur_error *err)
{
	struct repl_autosplit *as = autosplit_of(c);
	char *end;
	if (!as)
		return mur_error_set(err, SQLSTATE_OUT_OF_MEMORY, "out of memory");
	if (strcmp(name, "murphy.auto_split") == 0) {
		if (!value)
			as->on = autosplit_defaults.on;
		else if (repl_setting_bool(value, &as->on) != MUR_OK)
			return repl_setting_bad(err, name, value, "on or off.");
	} else if (strcmp(name, "murphy.split_max_bytes") == 0) {
		uint64_t v = REPL_AUTOSPLIT_MAX_BYTES;
		if (value && (repl_setting_bytes(value, &v) != MUR_OK ||
			      (v && v < REPL_AUTOSPLIT_MAX_BYTES_MIN)))
			return repl_setting_bad(err, name, value,
						"Bytes (or kB, MB, GB): 0 (no splits by size), or "
						"64kB to 1TB.");
		as->max_bytes = v;
	} else if (strcmp(name, "murphy.split_load_share") == 0) {
		double v = value ? strtod(value, &end) : REPL_AUTOSPLIT_LOAD_SHARE;
		if (value && (end == value || *end || !(v > 0 && v <= 1)))
			return repl_setting_bad(err, name, value,
						"A share of the table's follower CPU, above 0 and "
						"at "
						"most 1 (1: no splits by load).");
		as->load_share = v;
	} else if (strcmp(name, "murphy.split_cooldown_ms") == 0) {
		long long v = value ? strtoll(value, &end, 10) : REPL_AUTOSPLIT_COOLDOWN_MS;
		if (value && (end == value || *end || v < 0 || v > REPL_AUTOSPLIT_COOLDOWN_MAX_MS))
			return repl_setting_bad(err, name, value, "Milliseconds, 0 to 86400000.");
		as->cooldown_ms = (uint64_t)v;
	} else {
		return mur_error_set(err, SQLSTATE_UNDEFINED_OBJECT,
				     "ALTER SYSTEM does not know parameter \"%s\"", name);
	}
	MLOG(INFO, "split", "%s set to %s", name, value ? value : "its default");
	return MUR_OK;
}

const char *repl_autosplit_get(const repl_ctx *c, const char *name, char *buf, size_t bufsz)
{
	const struct repl_autosplit *as = c->autosplit ? c->autosplit : &autosplit_defaults;
	if (strcmp(name, "murphy.auto_split") == 0)
		snprintf(buf, bufsz, "%s", as->on ? "on" : "off");
	else if (strcmp(name, "murphy.split_max_bytes") == 0)
		snprintf(buf, bufsz, "%llu", (unsigned long long)as->max_bytes);
	else if (strcmp(name, "murphy.split_load_share") == 0)
		snprintf(buf, bufsz, "%g", as->load_share);
	else if (strcmp(name, "murphy.split_cooldown_ms") == 0)
		snprintf(buf, bufsz, "%llu", (unsigned long long)as->cooldown_ms);
	else
		return NULL;
	return buf;
}

/* ---- what splits ---- */

/* The newest split of table_id murphy.moves remembers: when it switched
 * (0: none did), and when the newest that aborted ended (0: none). */
static void last_splits(const repl_ctx *c, uint32_t table_id, int64_t *done_ms, int64_t *aborted_ms)
{
	*done_ms = *aborted_ms = 0;
	for (int i = 0; i < repl_move_count(c); i++) {
		const repl_move *m = repl_move_at(c, i);
		if (!m->split || m->table_id != table_id)
			continue;
		if (m->switched_ms > *done_ms)
			*done_ms = m->switched_ms;
		if (m->state == REPL_MOVE_ABORTED && m->finished_ms > *aborted_ms)
			*aborted_ms = m->finished_ms;
	}
}

uint32_t repl_autosplit_window_s(const repl_ctx *c, uint32_t table_id)
{
	int64_t done, aborted, age_s;
	last_splits(c, table_id, &done, &aborted);
	if (!done)
		return 0;
	age_s = (mur_wall_ms() - done) / 1000;
	return age_s >= REPL_LOAD_WINDOW_S ? 0 : age_s < 1 ? 1 : (uint32_t)age_s;
}

int repl_autosplit_settling(const repl_ctx *c)
{
	int64_t now = mur_wall_ms();
	for (int i = 0; i < repl_move_count(c); i++) {
		const repl_move *m = repl_move_at(c, i);
		if (m->split && m->switched_ms && now - m->switched_ms < REPL_AUTOSPLIT_SETTLE_MS)
			return 1;
	}
	return 0;
}

static int cooling(const repl_ctx *c, const struct repl_autosplit *as, uint32_t table_id,
		   int64_t now)
{
	int64_t done, aborted, retry_ms = (int64_t)as->cooldown_ms * REPL_AUTOSPLIT_RETRY_FACTOR;
	last_splits(c, table_id, &done, &aborted);
	if ((done && now - done < (int64_t)as->cooldown_ms) ||
	    (aborted && now - aborted < retry_ms))
		return 1;
	for (int i = 0; i < REPL_AUTOSPLIT_HOLDS_MAX; i++)
		if (as->holds[i].table_id == table_id && as->holds[i].until_ms > now)
			return 1;
	return 0;
}

static void hold(struct repl_autosplit *as, uint32_t table_id, int64_t until_ms)
{
	int k = 0;
	for (int i = 1; i < REPL_AUTOSPLIT_HOLDS_MAX; i++)
		if (as->holds[i].until_ms < as->holds[k].until_ms)
			k = i;
	as->holds[k].table_id = table_id;
	as->holds[k].until_ms = until_ms;
}

/* t may split by itself: a distributed table's shards (not a reference
 * table's, nor those of a keyless one-shard table with a unique key),
 * found by its name as murphy.split_shard finds it (cat_table_qualified). */
static int splittable(const repl_ctx *c, const cat_table *t)
{
	return t->kind == CAT_TABLE_DISTRIBUTED && !cat_table_is_reference(t) && t->dist_col >= 0 &&
	       !(cat_table_single_shard(t) && cat_table_has_unique_key(c->cat, t)) &&
	       cat_table_lookup(c->cat, t->schema, t->name) == t;
}

/* The hottest shard of a range table above the share and the floor. */
static void by_load(repl_ctx *c, const struct repl_autosplit *as, int64_t now, candidate *best)
{
	for (int i = 0; i < cat_table_count(c->cat); i++) {
		cat_table *t = cat_table_by_id(c->cat, cat_table_at(c->cat, i)->id);
		uint32_t window_s, hot = 0;
		double total = 0, top = 0, span_s;
		if (!t || !cat_table_is_range(t) || !splittable(c, t) || cooling(c, as, t->id, now))
			continue;
		window_s = repl_autosplit_window_s(c, t->id);
		span_s = window_s ? window_s : REPL_LOAD_WINDOW_S;
		for (uint32_t sh = 0; sh < t->nshards; sh++) {
			double ms = repl_shard_cpu_ms(c, t->id, sh, window_s);
			total += ms;
			if (ms > top) {
				top = ms;
				hot = sh;
			}
		}
		/* ms over span_s s against a share of one core: pct / 100 * 1000 */
		if (top <= as->load_share * total ||
		    top < REPL_AUTOSPLIT_LOAD_MIN_PCT * 10 * span_s || top <= best->measure)
			continue;
		best->t = t;
		best->shard = hot;
		best->measure = top;
		snprintf(best->reason, sizeof best->reason,
			 "automatic split by load: %d %% of the table's follower CPU over %d s "
			 "(%d ms), murphy.split_load_share %.3g",
			 (int)(100 * top / total), (int)span_s, (int)(top > 1e9 ? 1e9 : top),
			 as->load_share);
	}
}

/* The biggest shard the last probes found above split_max_bytes. */
static void by_size(repl_ctx *c, const struct repl_autosplit *as, int64_t now, candidate *best)
{
	for (int i = 0; as->max_bytes && i < as->nprobes; i++) {
		const autosplit_probe *p = &as->probes[i];
		cat_table *t;
		if (!p->answered || p->bytes <= as->max_bytes ||
		    (double)p->bytes <= best->measure ||
		    !(t = cat_table_by_id(c->cat, p->table_id)) || p->shard >= t->nshards ||
		    t->shards[p->shard].gen != p->gen || !splittable(c, t) ||
		    cooling(c, as, t->id, now))
			continue;
		best->t = t;
		best->shard = p->shard;
		best->measure = (double)p->bytes;
		snprintf(best->reason, sizeof best->reason,
			 "automatic split by size: %d kB, murphy.split_max_bytes %d kB",
			 (int)(p->bytes >> 10), (int)(as->max_bytes >> 10));
	}
}

static int start(repl_ctx *c, struct repl_autosplit *as, const candidate *cd, int64_t now)
{
	char name[2 * CAT_NAME_MAX];
	repl_split_req rq = {.table = name, .shard = cd->shard, .at = NULL};
	uint64_t group = 0;
	mur_error err;
	cat_table_qualified(cd->t, name, sizeof name);
	if (repl_split_start(c, &rq, &group, &err) != MUR_OK) {
		MLOG(INFO, "split", "automatic split of shard %u of %s not started: %s (%s)",
		     cd->shard, cd->t->name, err.message, cd->reason);
		hold(as, cd->t->id, now + (int64_t)as->cooldown_ms * REPL_AUTOSPLIT_RETRY_FACTOR);
		return 0;
	}
	repl_move_group_reason(c, group, cd->reason);
	MLOG(INFO, "split", "shard %u of %s: %s", cd->shard, cd->t->name, cd->reason);
	return 1;
}

/* ---- probes ---- */

static void probe_answered(void *arg, exec_result *res)
{
	probe_ticket *tk = arg;
	struct repl_autosplit *as = tk->as;
	mur_rd rd;
	mur_value v;
	as->out--;
	if (!as->dead && tk->round == as->round && !res->failed && res->nrows == 1) {
		mur_rd_init(&rd, res->rows.data, res->rows.len);
		if (mur_row_get_value(&rd, &v) == MUR_OK && v.kind == MV_INT && v.i >= 0) {
			as->probes[tk->idx].bytes = (uint64_t)v.i;
			as->probes[tk->idx].answered = 1;
		}
	}
	if (as->dead && !as->out)
		free(as);
	free(tk);
}

static void probe_one(repl_ctx *c, struct repl_autosplit *as, cat_table *t, uint32_t sh)
{
	uint32_t primary = repl_ensure_primary(c, t, sh);
	probe_ticket *tk;
	exec_task task;
	mur_error err;
	if (!primary || as->nprobes >= REPL_AUTOSPLIT_PROBES_MAX || !(tk = malloc(sizeof *tk)))
		return;
	repl_shard_task(&task, EXEC_TASK_QUERY, t, sh);
	task.sql = REPL_PAGES_BYTES_SQL;
	task.load_cpu_only = 1;
	as->probes[as->nprobes] = (autosplit_probe){t->id, sh, t->shards[sh].gen, 0, 0};
	*tk = (probe_ticket){as, as->round, as->nprobes};
	if (c->tr.send(c->tr.ctx, primary, &task, probe_answered, tk, &err) != MUR_OK) {
		free(tk); /* never answered; the next round tries again */
		return;
	}
	as->nprobes++;
	as->out++;
}

/* A new round: the next REPL_AUTOSPLIT_PROBES_MAX shards in turn. */
static void probe(repl_ctx *c, struct repl_autosplit *as)
{
	uint64_t total = 0, k = 0, first, n;
	if (!as->max_bytes)
		return;
	as->round++;
	as->nprobes = 0;
	for (int i = 0; i < cat_table_count(c->cat); i++) {
		const cat_table *t = cat_table_at(c->cat, i);
		total += splittable(c, t) ? t->nshards : 0;
	}
	if (!total)
		return;
	first = as->cursor % total;
	n = total < REPL_AUTOSPLIT_PROBES_MAX ? total : REPL_AUTOSPLIT_PROBES_MAX;
	for (int i = 0; i < cat_table_count(c->cat); i++) {
		cat_table *t = cat_table_by_id(c->cat, cat_table_at(c->cat, i)->id);
		if (!t || !splittable(c, t))
			continue;
		for (uint32_t sh = 0; sh < t->nshards; sh++, k++)
			if ((k + total - first) % total < n)
				probe_one(c, as, t, sh);
	}
	as->cursor = first + n;
}

int repl_autosplit_step(repl_ctx *c)
{
	struct repl_autosplit *as = autosplit_of(c);
	int64_t now = mur_wall_ms();
	candidate best;
	if (!as || !as->on)
		return 0;
	memset(&best, 0, sizeof best);
	by_load(c, as, now, &best);
	if (!best.t)
		by_size(c, as, now, &best);
	if (best.t && start(c, as, &best, now))
		return 1;
	probe(c, as);
	return 0;
}
