/*
 * repl_split.c — splitting a shard of a range table in two, online
 * (SELECT murphy.split_shard('t', 3 [, 'at']); docs/load.md, "Splitting a
 * shard online").
 *
 * Each copy is split where it lives, the way a move copies and catches
 * up, but with no network: the follower writes both halves of its copy
 * from a snapshot while writes go on and installs them under their new
 * names (storage's stor_split_prepare: VACUUM INTO twice, each copy
 * trimmed to one side of the bound), catches both halves up from the
 * copy's own shard log in rounds while writes go on (stor_split_catch_up),
 * entry by entry and row by key (a change of a row of the other half is
 * skipped, an insert of one dropped), and, with the shard's writes held,
 * catches them up the last few entries (stor_split_finish).  The new files have
 * a new generation in their names (cat_shard.gen: "t1_s3g<gen>.db" and
 * "t1_s8g<gen>.db"): the old file is never changed, so whatever fails or
 * restarts before the catalog switch leaves the shard as it was, and the
 * new files become orphans that STATUS drops.
 *
 *          repl_split_start (checks: range table, shard, bound inside it,
 *                │           every copy current; co-located tables join)
 *                │  no bound given: QUERY to the primary for its median
 *                ▼  key, row count and bytes (a hash shard: its bytes;
 *                   the bound is the middle of its hash range); each
 *                   co-located table's primary for its bytes (sized)
 *             SIZING ───────────────────────────────────┐
 *                │ the bound is known                   │
 *                ▼                                      │
 *             COPYING   SPLIT (prepare: halves written │
 *                │      and installed) to every copy of  │
 *                │      every table; writes go on        │
 *                ▼                                      │
 *   ┌──────► CATCHING   SPLIT rounds (catch-up, no       │
 *   │ a round  │ │      install) to every copy, up to    │
 *   │ applied  │ │      its shard's decided entry, while │
 *   │ many ────┘ │      writes go on; a round that       │
 *   │            │      applied few entries (or the      │
 *   │            ▼      last allowed) ends them          │
 *   ├──────► WAITING    exclusive op of the shard of     │
 *   │            │      every table, one after the other │
 *   │            │      (writes queue: the write pause   │
 *   │            ▼      starts at the first request)     │
 *   │        SWITCHING  every copy current at the        │
 *   │            │      committed entry, no transaction  │
 *   └────────────┤      holding the shard?  no: release, │
 *     next tick  │      ask again at the next tick (until│
 *                │      REPL_SPLIT_WAIT_MS)              │
 *                │      yes: SPLIT (finish: catch-up of  │
 *                │      the few entries since the last   │
 *                │      round to the committed LSN) to   │
 *                │      every copy; all answered:        │
 *                │      cat_shard_split (one store       │
 *                │      transaction: new shard N, both   │
 *                │      generations), release the        │
 *                ▼      exclusive ops (the pause ends)   ▼
 *             DROPPING  next tick: DROP of the old     ABORTED  a task failed (a
 *                │      files (reads already sent       copy's follower killed,
 *                ▼      there finish first)             …), the wait ran out, the
 *              DONE                                     table went: the catalog
 *                         is unchanged; the new files and the prepared halves
 *                         are dropped now or, on a follower that is away, when
 *                         it returns (STATUS: a generation the catalog lacks;
 *                         its temporary directory is emptied at start)
 *
 * The write pause is the switch alone: the exclusive ops, the finish
 * (the catch-up of what was written since the last round; the halves
 * were installed at prepare, and no trim runs: a catch-up drops the other
 * half's inserts as it applies them, storage/snapshot.c) and the
 * catalog's store transaction.
 * Each phase's time is logged at the switch.
 *
 * Writes queued on the shard during the switch were routed with the old
 * bounds: they fail, nothing written (repl_write.c compares the
 * generation they were queued under; repl_wop_split_moved says so), and
 * the leader plans and runs an autocommit statement again against the new
 * bounds (leader/lead_run.c); one inside a transaction block gets 40001.
 *
 * A leader restart mid-split forgets it: the catalog holds one shard (the
 * old files) or, once the store transaction committed, two (the new
 * ones); never a mix.
 */
#include "replication/repl_int.h"

#include "common/clock.h"
#include "common/log.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* A split that cannot find every copy of its shard current and free of
 * transactions (a follower away, a block holding the shard) gives up after
 * this long: the old shard stays, the call says why. */
#define REPL_SPLIT_WAIT_MS 10000
/* Copies one split writes: every copy of the shard of every table. */
#define REPL_SPLIT_COPIES_MAX (CAT_SPLIT_TABLES_MAX * CAT_REPLICAS_MAX)
/* Catch-up rounds before the switch: a round that applied at most
 * REPL_SPLIT_FINAL_ENTRIES entries on a copy ends them (the switch's own
 * catch-up then has about as many: a few ms), as does one that applied no
 * fewer than the round before (the writes come as fast as a round
 * applies them: more rounds would not shrink the rest) or the
 * REPL_SPLIT_ROUNDS_MAX-th (a bound on the time spent).  Under 4 writers
 * on the 2-core test machine a round took 10-40 ms. */
#define REPL_SPLIT_FINAL_ENTRIES 16
#define REPL_SPLIT_ROUNDS_MAX 8
/* The estimate a split states before it copies (murphy.moves.estimate_ms,
 * the call's NOTICE): a fixed part — the ticks between its phases, about
 * 0.5-1 s for a shard of kilobytes on the test machine — and the shard's
 * bytes at the rate a copy's two VACUUM INTOs and trims reach (12.6 MB
 * split in 1.0 s in bench/results/2026-12-06-hot-final.md): errs long,
 * as a move's does. */
#define REPL_SPLIT_FIXED_MS 1000
#define REPL_SPLIT_RATE_GUESS_BPS (20.0 * 1024 * 1024)
/* A bound longer than this is refused: it becomes a catalog row and the
 * text of messages (as CREATE TABLE's range_bounds, SQL_RANGE_BOUND_BYTES_MAX). */
#define REPL_SPLIT_BOUND_BYTES_MAX 1024

typedef enum split_phase {
	SPLIT_SIZING,
	SPLIT_COPYING,
	SPLIT_CATCHING,
	SPLIT_WAITING,
	SPLIT_SWITCHING,
	SPLIT_DROPPING,
	SPLIT_OVER,
} split_phase;

typedef struct split_copy {
	struct repl_split_job *job;
	int table; /* index into the job's tables */
	uint32_t node;
	char old_file[64], lo_file[64], hi_file[64];
	int sent;
} split_copy;

/* A size query's answer: which table's. */
typedef struct split_sizer {
	struct repl_split_job *job;
	int table;
} split_sizer;

typedef struct repl_split_job {
	struct repl_split_job *next;
	repl_ctx *c;
	split_phase phase;
	int n; /* tables */
	uint32_t ids[CAT_SPLIT_TABLES_MAX];
	repl_move *rows[CAT_SPLIT_TABLES_MAX];
	uint64_t rows_hi[CAT_SPLIT_TABLES_MAX];
	uint32_t shard, new_shard, gen;
	int by_hash; /* a hash shard: at is the middle of its hash range */
	mur_value at;
	char at_bytes[REPL_SPLIT_BOUND_BYTES_MAX + 1];
	int held;   /* exclusive ops held: tables [0, held) */
	int asking; /* an exclusive op requested and not yet run */
	uint64_t ask_us;
	int rounds;                       /* catch-up rounds done */
	uint64_t round_us, round_entries; /* the round in flight: sent at, most applied */
	uint64_t last_entries;            /* the round before */
	uint64_t held_us, finish_us;      /* the pause's phases (logged at the switch) */
	int64_t deadline_ms;
	split_copy copies[REPL_SPLIT_COPIES_MAX];
	int ncopies, out, failed;
	split_sizer sizers[CAT_SPLIT_TABLES_MAX];
	int sizing;              /* size queries not answered */
	uint64_t median_rows_hi; /* the first table's rows above its median */
	char why[160];
} repl_split_job;

/* New files' generations: seconds since 2026 (a restarted leader goes on
 * from the clock), at least one more than the last one given. */
static uint32_t next_gen(void)
{
	static uint32_t last;
	uint32_t now = (uint32_t)((mur_wall_ms() - 1767225600000LL) / 1000);
	last = now > last ? now : last + 1;
	return last;
}

void repl_split_error(mur_error *err, const cat_table *t, uint32_t shard)
{
	mur_error_set(err, SQLSTATE_T_R_SERIALIZATION_FAILURE,
		      "shard %u of %s was split while this write waited; nothing was written",
		      shard, t->name);
	mur_error_hint(err, "Run the transaction again: it is routed by the new bounds (an "
			    "autocommit statement runs again by itself).");
}

int repl_split_owns(const repl_ctx *c, uint32_t table_id, uint32_t shard, uint32_t gen)
{
	for (const repl_split_job *j = c->splits; j; j = j->next)
		for (int i = 0; i < j->n && j->phase < SPLIT_DROPPING; i++)
			if (j->ids[i] == table_id && j->gen == gen &&
			    (shard == j->shard || shard == j->new_shard))
				return 1;
	return 0;
}

/* A split of any shard of the table runs (its new shard's index is the
 * table's shard count: one split per table at a time). */
static int job_running(const repl_ctx *c, uint32_t table_id)
{
	for (const repl_split_job *j = c->splits; j; j = j->next)
		for (int i = 0; i < j->n; i++)
			if (j->ids[i] == table_id && j->phase < SPLIT_OVER)
				return 1;
	return 0;
}

typedef enum split_step { STEP_PREPARE, STEP_ROUND, STEP_FINISH } split_step;

static int send_task(repl_split_job *j, struct split_copy *cp, uint64_t lsn, int round,
		     repl_task_cb cb, void *arg, mur_error *err);
static void ask_next(repl_split_job *j);

/* ---- ending ---- */

static void release(repl_split_job *j)
{
	for (int i = 0; i < j->held; i++) {
		cat_table *t = cat_table_by_id(j->c->cat, j->ids[i]);
		if (t)
			repl_exclusive_done(j->c, t, j->shard);
	}
	j->held = 0;
}

static void end_rows(repl_split_job *j, repl_move_state st, const char *why)
{
	j->phase = SPLIT_OVER;
	for (int i = 0; i < j->n; i++)
		repl_move_row_end(j->c, j->rows[i], st, why);
}

/* The catalog is unchanged: drop the new files written (a follower away
 * drops them at its return: STATUS sees a generation the catalog lacks). */
static void split_abort(repl_split_job *j, const char *why)
{
	repl_ctx *c = j->c;
	release(j);
	for (int k = 0; k < j->ncopies; k++) {
		split_copy *cp = &j->copies[k];
		if (!cp->sent || !repl_connected(c, cp->node))
			continue;
		repl_drop_file(c, cp->node, j->ids[cp->table], j->shard, cp->lo_file);
		repl_drop_file(c, cp->node, j->ids[cp->table], j->new_shard, cp->hi_file);
		send_task(j, cp, EXEC_SPLIT_DISCARD, 0, NULL, NULL, NULL);
	}
	MLOG(WARN, "split", "split of shard %u of %s aborted: %s", j->shard, j->rows[0]->table_name,
	     why);
	end_rows(j, REPL_MOVE_ABORTED, why);
}

/* ---- the switch ---- */

/* 0 with why filled when shard sh of t cannot switch now. */
static int switch_ready(repl_ctx *c, cat_table *t, uint32_t sh, char *why, size_t whysz)
{
	const cat_shard *s = &t->shards[sh];
	const repl_shard *rt = repl_shard_find(c, t->id, sh);
	if (rt && (rt->lock || rt->nsharers || rt->txn_undos)) {
		snprintf(why, whysz, "a transaction holds shard %u of %s", sh, t->name);
		return 0;
	}
	if (!s->committed_known || !s->nplacements) {
		snprintf(why, whysz, "shard %u of %s is being recovered", sh, t->name);
		return 0;
	}
	for (int k = 0; k < s->nplacements; k++)
		if (!repl_copy_at_committed(c, t, s, &s->placements[k])) {
			snprintf(why, whysz, "the copy of shard %u of %s on %s is not current", sh,
				 t->name, cat_node_name(c->cat, s->placements[k].node_id));
			return 0;
		}
	return 1;
}

static void switched(repl_split_job *j)
{
	repl_ctx *c = j->c;
	mur_error err;
	uint64_t pause_us;
	if (j->failed)
		return split_abort(j, j->why);
	uint64_t answered_us = mur_now_us(), switched_us;
	if (cat_shard_split(c->cat, j->ids, j->n, j->shard, &j->at, j->gen, j->rows_hi, &err) !=
	    MUR_OK)
		return split_abort(j, err.message);
	switched_us = mur_now_us();
	release(j);
	pause_us = mur_now_us() - j->ask_us;
	MLOG(INFO, "split",
	     "shard %u of %s: writes paused %.1f ms: queue drained %.1f, finish %.1f (slowest "
	     "copy %.1f: %llu entries), catalog %.1f ms; %d catch-up rounds before",
	     j->shard, j->rows[0]->table_name, (double)pause_us / 1000.0,
	     (double)(j->held_us - j->ask_us) / 1000.0, (double)(answered_us - j->held_us) / 1000.0,
	     (double)j->finish_us / 1000.0, (unsigned long long)j->round_entries,
	     (double)(switched_us - answered_us) / 1000.0, j->rounds);
	for (int i = 0; i < j->n; i++) {
		repl_move *m = j->rows[i];
		m->state = REPL_MOVE_DROPPING;
		m->pause_us = pause_us;
		m->switched_ms = mur_wall_ms();
		m->bytes_done = m->bytes_total;
	}
	j->phase = SPLIT_DROPPING;
	MLOG(INFO, "split",
	     "shard %u of %s split at %s into shards %u and %u (writes paused %.1f ms)", j->shard,
	     j->rows[0]->table_name, j->rows[0]->split_at, j->shard, j->new_shard,
	     (double)pause_us / 1000.0);
}

/* A copy's task answered: a failure fails the split. */
static void answered(repl_split_job *j, const exec_result *res)
{
	if (!j->failed && res->failed) {
		j->failed = 1;
		snprintf(j->why, sizeof j->why, "a copy could not be split: %.120s",
			 res->err.message);
	}
}

static void finished(void *arg, exec_result *res)
{
	split_copy *cp = arg;
	repl_split_job *j = cp->job;
	answered(j, res);
	if (res->elapsed_us > j->finish_us) {
		j->finish_us = res->elapsed_us;
		j->round_entries = res->changes;
	}
	if (--j->out == 0)
		switched(j);
}

static void send_all(repl_split_job *j, split_step step);

/* Waiting for the switch (until REPL_SPLIT_WAIT_MS): the shard's writes
 * queue from the first ask. */
static void start_waiting(repl_split_job *j)
{
	for (int i = 0; i < j->n; i++)
		j->rows[i]->state = REPL_MOVE_QUEUED;
	j->phase = SPLIT_WAITING;
	j->deadline_ms = mur_wall_ms() + REPL_SPLIT_WAIT_MS;
	ask_next(j);
}

#define NOT_DECIDED UINT64_MAX

/* The decided entry of shard sh of t, up to which a round may catch up
 * (the entries after it, or a transaction's while it holds the shard, may
 * still be undone); NOT_DECIDED when there is none now. */
static uint64_t decided_lsn(repl_ctx *c, const cat_table *t, uint32_t sh)
{
	const repl_shard *rt = repl_shard_find(c, t->id, sh);
	if (rt && (rt->lock || rt->nsharers || rt->txn_undos))
		return NOT_DECIDED;
	return t->shards[sh].committed_known ? t->shards[sh].committed_lsn : NOT_DECIDED;
}

/* A round for every copy, unless a shard has no decided entry now (a
 * transaction holds it): the tick tries again. */
static void send_round(repl_split_job *j)
{
	for (int i = 0; i < j->n; i++) {
		cat_table *t = cat_table_by_id(j->c->cat, j->ids[i]);
		if (!t || j->shard >= t->nshards)
			return split_abort(j, "the table was dropped");
		uint64_t lsn = decided_lsn(j->c, t, j->shard);
		if (lsn == NOT_DECIDED)
			return;
		if (lsn == 0) /* an empty log: nothing to catch up (and lsn 0 asks to prepare) */
			return start_waiting(j);
	}
	j->last_entries = j->rounds ? j->round_entries : UINT64_MAX;
	j->round_entries = 0;
	j->round_us = mur_now_us();
	send_all(j, STEP_ROUND);
}

/* Every copy answered a round: another, or the switch. */
static void round_done(repl_split_job *j)
{
	if (j->failed)
		return split_abort(j, j->why);
	j->rounds++;
	MLOG(DEBUG, "split", "shard %u of %s: catch-up round %d: %llu entries in %.1f ms", j->shard,
	     j->rows[0]->table_name, j->rounds, (unsigned long long)j->round_entries,
	     (double)(mur_now_us() - j->round_us) / 1000.0);
	if (j->round_entries <= REPL_SPLIT_FINAL_ENTRIES || j->round_entries >= j->last_entries ||
	    j->rounds >= REPL_SPLIT_ROUNDS_MAX || mur_wall_ms() > j->deadline_ms)
		return start_waiting(j);
	send_round(j);
}

static void caught_up(void *arg, exec_result *res)
{
	split_copy *cp = arg;
	repl_split_job *j = cp->job;
	answered(j, res);
	if (res->changes > j->round_entries)
		j->round_entries = res->changes;
	if (--j->out == 0 && j->phase == SPLIT_CATCHING)
		round_done(j);
}

/* Every copy is prepared: catch-up rounds, then the switch (both until
 * REPL_SPLIT_WAIT_MS). */
static void prepared_all(repl_split_job *j)
{
	if (j->failed)
		return split_abort(j, j->why);
	j->phase = SPLIT_CATCHING;
	j->deadline_ms = mur_wall_ms() + REPL_SPLIT_WAIT_MS;
	send_round(j);
}

static void prepared(void *arg, exec_result *res)
{
	split_copy *cp = arg;
	repl_split_job *j = cp->job;
	answered(j, res);
	if (--j->out == 0 && j->phase == SPLIT_COPYING)
		prepared_all(j);
}

static void discarded(void *arg, exec_result *res) { (void)arg, (void)res; }

/* The SPLIT task of copy cp (wire/task.h: lsn 0 prepare, a decided LSN
 * a round, the committed LSN finish, EXEC_SPLIT_DISCARD); cb(cp) answers,
 * counted in j->out (not for a discard). */
static int send_task(repl_split_job *j, split_copy *cp, uint64_t lsn, int round, repl_task_cb cb,
		     void *arg, mur_error *err)
{
	repl_ctx *c = j->c;
	cat_table *t = cat_table_by_id(c->cat, j->ids[cp->table]);
	mur_error ignored;
	exec_task task;
	char kind[24] = "";
	if (!t)
		return mur_error_set(err ? err : &ignored, SQLSTATE_UNDEFINED_TABLE,
				     "the table was dropped");
	memset(&task, 0, sizeof task);
	task.kind = EXEC_TASK_SPLIT;
	task.nplacements = 3;
	task.lsn = lsn;
	task.target_id = round ? EXEC_SPLIT_ROUND : 0;
	snprintf(task.placements[0], sizeof task.placements[0], "%s", cp->old_file);
	snprintf(task.placements[1], sizeof task.placements[1], "%s", cp->lo_file);
	snprintf(task.placements[2], sizeof task.placements[2], "%s", cp->hi_file);
	if (!cat_table_is_range(t)) /* the followers hash as the leader: by the column's type */
		snprintf(kind, sizeof kind, "hash %u", mur_type_oid(t->cols[t->dist_col].type));
	task.sql = kind;
	task.scan_table = t->name;
	task.scan_column = t->cols[t->dist_col].name;
	task.params = &j->at;
	task.nparams = 1;
	if (!cb)
		return c->tr.send(c->tr.ctx, cp->node, &task, discarded, NULL, &ignored);
	j->out++;
	if (c->tr.send(c->tr.ctx, cp->node, &task, cb, arg, err) != MUR_OK) {
		j->out--;
		return MUR_ERR;
	}
	cp->sent = 1;
	return MUR_OK;
}

/* Send every copy its task of step (a round: the catch-up to its shard's
 * decided entry; finish: to its committed LSN); the step's answer
 * function once all answered. */
static void send_all(repl_split_job *j, split_step step)
{
	static const repl_task_cb cbs[] = {prepared, caught_up, finished};
	mur_error err;
	j->out++; /* held until every task is out: an answer at once ends nothing */
	for (int k = 0; k < j->ncopies && !j->failed; k++) {
		split_copy *cp = &j->copies[k];
		cat_table *t = cat_table_by_id(j->c->cat, j->ids[cp->table]);
		uint64_t lsn = !t || step == STEP_PREPARE ? 0
			       : step == STEP_ROUND       ? decided_lsn(j->c, t, j->shard)
							  : t->shards[j->shard].committed_lsn;
		if (send_task(j, cp, lsn, step == STEP_ROUND, cbs[step], cp, &err) != MUR_OK) {
			snprintf(j->why, sizeof j->why, "%s could not be asked: %.100s",
				 cat_node_name(j->c->cat, cp->node), err.message);
			j->failed = 1;
		}
	}
	if (--j->out == 0) {
		if (step == STEP_FINISH)
			switched(j);
		else if (step == STEP_ROUND)
			round_done(j);
		else
			prepared_all(j);
	}
}

/* The copies: every placement of the shard of every table, each with
 * the old file's name and the new ones. */
static void list_copies(repl_split_job *j)
{
	repl_ctx *c = j->c;
	j->ncopies = 0;
	for (int i = 0; i < j->n; i++) {
		cat_table *t = cat_table_by_id(c->cat, j->ids[i]);
		const cat_shard *s = &t->shards[j->shard];
		for (int k = 0; k < s->nplacements && j->ncopies < REPL_SPLIT_COPIES_MAX; k++) {
			split_copy *cp = &j->copies[j->ncopies++];
			cp->job = j;
			cp->table = i;
			cp->node = s->placements[k].node_id;
			cat_placement_file(t, j->shard, cp->old_file, sizeof cp->old_file);
			snprintf(cp->lo_file, sizeof cp->lo_file, "t%u_s%ug%u.db", t->id, j->shard,
				 j->gen);
			snprintf(cp->hi_file, sizeof cp->hi_file, "t%u_s%ug%u.db", t->id,
				 j->new_shard, j->gen);
		}
	}
}

static void ask_next(repl_split_job *j);

static void got_exclusive(repl_ctx *c, cat_table *t, uint32_t shard, void *arg)
{
	repl_split_job *j = arg;
	(void)t, (void)shard;
	j->asking = 0;
	j->held++;
	if (j->phase != SPLIT_WAITING) /* aborted meanwhile */
		return release(j);
	if (j->held < j->n)
		return ask_next(j);
	for (int i = 0; i < j->n; i++) {
		cat_table *u = cat_table_by_id(c->cat, j->ids[i]);
		if (!u || j->shard >= u->nshards)
			return split_abort(j, "the table was dropped");
		if (!switch_ready(c, u, j->shard, j->why, sizeof j->why)) {
			release(j); /* the next tick asks again */
			if (mur_wall_ms() > j->deadline_ms)
				split_abort(j, j->why);
			return;
		}
	}
	j->phase = SPLIT_SWITCHING;
	j->held_us = mur_now_us();
	j->finish_us = 0;
	for (int i = 0; i < j->n; i++)
		j->rows[i]->state = REPL_MOVE_SWITCHING;
	send_all(j, STEP_FINISH);
}

static void ask_next(repl_split_job *j)
{
	cat_table *t = cat_table_by_id(j->c->cat, j->ids[j->held]);
	if (!t)
		return split_abort(j, "the table was dropped");
	if (!j->held)
		j->ask_us = mur_now_us();
	j->asking = 1;
	if (repl_exclusive(j->c, t, j->shard, got_exclusive, j) != MUR_OK) {
		j->asking = 0;
		split_abort(j, "out of memory");
	}
}

/* ---- sizing ---- */

static int set_bound(repl_split_job *j, const mur_value *v)
{
	size_t len = v->kind == MV_TEXT || v->kind == MV_BLOB ? v->len : 0;
	if (len > REPL_SPLIT_BOUND_BYTES_MAX)
		return MUR_ERR;
	j->at = *v;
	if (len || v->kind == MV_TEXT || v->kind == MV_BLOB) {
		if (len)
			memcpy(j->at_bytes, v->s, len);
		j->at_bytes[len] = '\0';
		j->at.s = j->at_bytes;
	}
	return MUR_OK;
}

static void bound_text(repl_split_job *j, const cat_table *t)
{
	mur_buf b;
	if (!cat_table_is_range(t)) {
		for (int i = 0; i < j->n; i++)
			snprintf(j->rows[i]->split_at, sizeof j->rows[i]->split_at, "hash %lld",
				 (long long)j->at.i);
		return;
	}
	mur_buf_init(&b);
	mur_value_to_pgtext(t->cols[t->dist_col].type, &j->at, &b);
	for (int i = 0; i < j->n; i++)
		snprintf(j->rows[i]->split_at, sizeof j->rows[i]->split_at, "'%.*s'",
			 (int)(b.len > 60 ? 60 : b.len), b.data ? (const char *)b.data : "");
	mur_buf_free(&b);
}

/* Ready to switch: the bound known (its estimate of rows above it too). */
static void bound_known(repl_split_job *j, uint64_t rows_hi)
{
	cat_table *t = cat_table_by_id(j->c->cat, j->ids[0]);
	mur_error err;
	if (!t)
		return split_abort(j, "the table was dropped");
	if (cat_split_inside(t, j->shard, &j->at, &err) != MUR_OK)
		return split_abort(j, "its keys are all equal: no median splits it");
	bound_text(j, t);
	for (int i = 0; i < j->n; i++) {
		cat_table *u = cat_table_by_id(j->c->cat, j->ids[i]);
		j->rows_hi[i] = i == 0 && rows_hi ? rows_hi : u ? u->shards[j->shard].rows / 2 : 0;
		j->rows[i]->state = REPL_MOVE_COPYING;
		j->rows[i]->copy_started_ms = mur_wall_ms();
	}
	j->phase = SPLIT_COPYING;
	list_copies(j);
	send_all(j, STEP_PREPARE);
}

/* One table's size query (the first table's also asks for the median). */
static void sized(void *arg, exec_result *res)
{
	split_sizer *sz = arg;
	repl_split_job *j = sz->job;
	mur_rd rd;
	mur_value v[3];
	int ok = !res->failed && res->nrows == 1;
	j->out--;
	if (j->phase != SPLIT_SIZING)
		return;
	if (ok) {
		mur_rd_init(&rd, res->rows.data, res->rows.len);
		for (int i = 0; i < 3 && ok; i++)
			ok = mur_row_get_value(&rd, &v[i]) == MUR_OK;
	}
	if (!ok && sz->table == 0)
		return split_abort(j, res->failed ? res->err.message
						  : "the primary did not say what the shard holds");
	/* a co-located table's size unknown: 0 bytes, the split goes on */
	j->rows[sz->table]->bytes_total = ok && v[2].kind == MV_INT ? (uint64_t)v[2].i : 0;
	if (sz->table == 0 && !j->by_hash) {
		if (v[1].kind != MV_INT || v[1].i < 2 || v[0].kind == MV_NULL)
			return split_abort(j, "the shard holds fewer than two rows: no median "
					      "splits it");
		if (set_bound(j, &v[0]) != MUR_OK)
			return split_abort(j, "its median key is too long to be a bound");
		j->median_rows_hi = (uint64_t)(v[1].i - v[1].i / 2);
	}
	if (--j->sizing > 0)
		return;
	j->rows[0]->estimate_bytes = 0; /* every table's files are split */
	for (int i = 0; i < j->n; i++)
		j->rows[0]->estimate_bytes += j->rows[i]->bytes_total;
	j->rows[0]->estimate_ms = REPL_SPLIT_FIXED_MS +
				  (uint64_t)((double)j->rows[0]->estimate_bytes * 1000.0 /
					     REPL_SPLIT_RATE_GUESS_BPS);
	/* a hash shard's bound is its hash range's middle: known already */
	bound_known(j, j->by_hash ? 0 : j->median_rows_hi);
}

/* Ask the primary of table i's shard for its bytes (the pages its rows
 * use) and, for the first table, its median key and rows. */
static int size_query(repl_ctx *c, repl_split_job *j, int i, mur_error *err)
{
	cat_table *t = cat_table_by_id(c->cat, j->ids[i]);
	uint32_t primary = t ? repl_ensure_primary(c, t, j->shard) : 0;
	const char *col = t ? t->cols[t->dist_col].name : "";
	static const char pages[] = "(SELECT (page_count - freelist_count) * page_size FROM "
				    "pragma_page_count(), pragma_freelist_count(), "
				    "pragma_page_size())";
	char sql[640];
	exec_task task;
	if (!t || !primary)
		return mur_error_set(err, SQLSTATE_OBJECT_NOT_IN_PREREQUISITE_STATE,
				     "shard %u of %s has no current copy", j->shard,
				     t ? t->name : "a co-located table");
	repl_shard_task(&task, EXEC_TASK_QUERY, t, j->shard);
	if (i == 0)
		snprintf(sql, sizeof sql,
			 "SELECT (SELECT \"%s\" FROM main.\"%s\" ORDER BY \"%s\" LIMIT 1 OFFSET "
			 "(SELECT count(*) / 2 FROM main.\"%s\")), (SELECT count(*) FROM "
			 "main.\"%s\"), %s",
			 col, t->name, col, t->name, t->name, pages);
	else
		snprintf(sql, sizeof sql, "SELECT NULL, NULL, %s", pages);
	task.sql = sql;
	j->sizers[i].job = j;
	j->sizers[i].table = i;
	if (c->tr.send(c->tr.ctx, primary, &task, sized, &j->sizers[i], err) != MUR_OK)
		return MUR_ERR;
	j->out++;
	j->sizing++;
	return MUR_OK;
}

/* ---- starting ---- */

/* MUR_OK when shard sh of t can be split now (err says why not). */
static int check_shard(repl_ctx *c, const cat_table *t, uint32_t sh, mur_error *err)
{
	const cat_shard *s = &t->shards[sh];
	for (int i = 0; i < repl_move_count(c); i++) {
		const repl_move *m = repl_move_at(c, i);
		if (m->table_id == t->id && m->shard == sh && m->state != REPL_MOVE_DONE &&
		    m->state != REPL_MOVE_ABORTED)
			return mur_error_set(err, SQLSTATE_OBJECT_IN_USE,
					     "shard %u of %s is being moved or split", sh, t->name),
			       mur_error_hint(err, "SELECT * FROM murphy.moves shows it; call "
						   "again once it is done."),
			       MUR_ERR;
	}
	if (job_running(c, t->id))
		return mur_error_set(err, SQLSTATE_OBJECT_IN_USE,
				     "a shard of %s is being split: one split per table at a time",
				     t->name),
		       mur_error_hint(err, "SELECT * FROM murphy.moves shows it; call again once "
					   "it is done."),
		       MUR_ERR;
	for (int k = 0; k < s->nplacements; k++)
		if (s->placements[k].state != CAT_PL_CURRENT ||
		    !repl_connected(c, s->placements[k].node_id))
			return mur_error_set(err, SQLSTATE_OBJECT_NOT_IN_PREREQUISITE_STATE,
					     "the copy of shard %u of %s on %s is not current: "
					     "every copy is split where it is",
					     sh, t->name,
					     cat_node_name(c->cat, s->placements[k].node_id)),
			       mur_error_hint(err,
					      "SELECT * FROM murphy.placements WHERE "
					      "table_name = '%s'; call again once it is "
					      "current.",
					      t->name),
			       MUR_ERR;
	if (!s->committed_known || !s->nplacements)
		return mur_error_set(err, SQLSTATE_OBJECT_NOT_IN_PREREQUISITE_STATE,
				     "shard %u of %s is still being recovered", sh, t->name);
	return MUR_OK;
}

static cat_table *check_table(repl_ctx *c, const repl_split_req *rq, mur_error *err)
{
	const cat_table *ct = cat_table_lookup_text(c->cat, rq->table);
	cat_table *t = ct ? cat_table_by_id(c->cat, ct->id) : NULL;
	if (!t || t->kind != CAT_TABLE_DISTRIBUTED)
		return mur_error_set(err, SQLSTATE_UNDEFINED_TABLE,
				     "distributed table \"%s\" does not exist", rq->table),
		       NULL;
	if (cat_table_is_reference(t))
		return mur_error_set(err, SQLSTATE_FEATURE_NOT_SUPPORTED,
				     "%s is a reference table: it has one shard, copied to every "
				     "follower, and is not split",
				     t->name),
		       NULL;
	if (cat_table_single_shard(t) && cat_table_has_unique_key(c->cat, t))
		return mur_error_set(err, SQLSTATE_FEATURE_NOT_SUPPORTED,
				     "%s has no distribution column and a unique key: it stays in "
				     "one shard, where the key holds, and is not split",
				     t->name),
		       NULL;
	if (rq->shard < 0 || rq->shard >= (int64_t)t->nshards)
		return mur_error_set(err, SQLSTATE_INVALID_PARAMETER_VALUE,
				     "table %s has no shard %lld: its shards are 0 to %u", t->name,
				     (long long)rq->shard, t->nshards - 1),
		       mur_error_hint(err,
				      "SELECT shard, range_min FROM murphy.shards WHERE table_name "
				      "= '%s'.",
				      t->name),
		       NULL;
	return t;
}

/* The given bound, parsed as the distribution column's type, inside the
 * shard (22023 otherwise). */
static int parse_bound(repl_split_job *j, const cat_table *t, const char *text, mur_error *err)
{
	const cat_column *col = &t->cols[t->dist_col];
	mur_buf scratch;
	mur_value v;
	mur_error inner;
	int rc;
	mur_buf_init(&scratch);
	rc = mur_value_from_pgtext(col->type, text, strlen(text), &scratch, &v, &inner);
	if (rc != MUR_OK || set_bound(j, &v) != MUR_OK) {
		mur_buf_free(&scratch);
		mur_error_set(err, SQLSTATE_INVALID_PARAMETER_VALUE,
			      "invalid split point \"%.100s\" for column %s", text, col->name);
		mur_error_detail(err, "%s", rc != MUR_OK ? inner.message : "too long");
		return MUR_ERR;
	}
	mur_buf_free(&scratch);
	if (cat_split_inside(t, j->shard, &j->at, err) != MUR_OK) {
		mur_error_hint(err,
			       "SELECT shard, range_min, range_max FROM murphy.shards WHERE "
			       "table_name = '%s' shows each shard's range.",
			       t->name);
		return MUR_ERR;
	}
	return MUR_OK;
}

/* A hash shard splits its hash range in the middle: the new shard takes
 * the upper half (22023 when a split point was given, or the range is
 * one hash). */
static int hash_bound(repl_split_job *j, const cat_table *t, const char *given, mur_error *err)
{
	const cat_shard *s = &t->shards[j->shard];
	if (given)
		return mur_error_set(err, SQLSTATE_INVALID_PARAMETER_VALUE,
				     "%s is a hash table: its shard splits its hash range in two, "
				     "at no value",
				     t->name),
		       mur_error_hint(err,
				      "Call murphy.split_shard('%s', %u) without a split "
				      "point.",
				      t->name, j->shard),
		       MUR_ERR;
	if (s->hash_max == s->hash_min)
		return mur_error_set(err, SQLSTATE_INVALID_PARAMETER_VALUE,
				     "shard %u of %s covers one hash value: it cannot split",
				     j->shard, t->name);
	j->at = mur_v_int((int64_t)s->hash_min + ((int64_t)s->hash_max - s->hash_min + 1) / 2);
	return MUR_OK;
}

/* t first, then every range table co-located with it (same bounds): their
 * shards split together so that joins on the key stay inside a follower. */
static int group_tables(repl_ctx *c, cat_table *t, repl_split_job *j, mur_error *err)
{
	j->ids[j->n++] = t->id;
	for (int i = 0; i < cat_table_count(c->cat); i++) {
		cat_table *u = cat_table_by_id(c->cat, cat_table_at(c->cat, i)->id);
		if (!u || u == t || u->kind != CAT_TABLE_DISTRIBUTED || !cat_tables_colocated(t, u))
			continue;
		if (j->n >= CAT_SPLIT_TABLES_MAX)
			return mur_error_set(err, SQLSTATE_PROGRAM_LIMIT_EXCEEDED,
					     "%s has more than %d co-located tables to split "
					     "with it",
					     t->name, CAT_SPLIT_TABLES_MAX - 1);
		j->ids[j->n++] = u->id;
	}
	for (int i = 0; i < j->n; i++)
		if (check_shard(c, cat_table_by_id(c->cat, j->ids[i]), j->shard, err) != MUR_OK)
			return MUR_ERR;
	return MUR_OK;
}

int repl_split_start(repl_ctx *c, const repl_split_req *rq, uint64_t *group, mur_error *err)
{
	repl_split_job *j;
	cat_table *t = check_table(c, rq, err);
	uint32_t primary;
	if (!t)
		return MUR_ERR;
	if (!(j = calloc(1, sizeof *j)))
		return mur_error_set(err, SQLSTATE_OUT_OF_MEMORY, "out of memory");
	j->c = c;
	j->shard = (uint32_t)rq->shard;
	j->new_shard = t->nshards;
	j->gen = next_gen();
	if (group_tables(c, t, j, err) != MUR_OK ||
	    (rq->at && cat_table_is_range(t) && parse_bound(j, t, rq->at, err) != MUR_OK) ||
	    (!cat_table_is_range(t) && hash_bound(j, t, rq->at, err) != MUR_OK)) {
		free(j);
		return MUR_ERR;
	}
	primary = repl_ensure_primary(c, t, j->shard);
	for (int i = 0; i < j->n; i++) {
		cat_table *u = cat_table_by_id(c->cat, j->ids[i]);
		repl_move *m = repl_move_row_new(c, group);
		if (!m) {
			while (i-- > 0)
				repl_move_row_end(c, j->rows[i], REPL_MOVE_ABORTED, "no room");
			free(j);
			return mur_error_set(err, SQLSTATE_PROGRAM_LIMIT_EXCEEDED,
					     "too many moves and splits are running");
		}
		j->rows[i] = m;
		m->split = 1;
		m->table_id = u->id;
		m->shard = j->shard;
		m->new_shard = j->new_shard;
		m->source = primary;
		m->state = REPL_MOVE_SIZING;
		snprintf(m->table_name, sizeof m->table_name, "%s", u->name);
	}
	j->next = c->splits;
	c->splits = j;
	MLOG(INFO, "split", "splitting shard %u of %s%s", j->shard, t->name,
	     j->n > 1 ? " and its co-located tables" : "");
	j->by_hash = !cat_table_is_range(t);
	if (rq->at) {
		bound_known(j, 0);
		return MUR_OK;
	}
	j->phase = SPLIT_SIZING;
	for (int i = 0; i < j->n; i++)
		if (size_query(c, j, i, err) != MUR_OK) {
			split_abort(j, err->message);
			return MUR_OK; /* the call answers why */
		}
	return MUR_OK;
}

/* ---- the tick ---- */

static void job_step(repl_ctx *c, repl_split_job *j)
{
	if (j->phase == SPLIT_CATCHING && !j->out) { /* a round waited for a decided entry */
		if (mur_wall_ms() > j->deadline_ms)
			return start_waiting(j);
		return send_round(j);
	}
	if (j->phase == SPLIT_WAITING && !j->asking && !j->held) {
		if (mur_wall_ms() > j->deadline_ms)
			return split_abort(j, j->why[0] ? j->why : "the shard stayed busy");
		return ask_next(j);
	}
	if (j->phase == SPLIT_SIZING && mur_wall_ms() - j->rows[0]->started_ms > REPL_SPLIT_WAIT_MS)
		return split_abort(j, "the primary did not say what the shard holds");
	if (j->phase != SPLIT_DROPPING)
		return;
	for (int k = 0; k < j->ncopies; k++) {
		split_copy *cp = &j->copies[k];
		if (repl_connected(c, cp->node)) /* else: STATUS drops it at its return */
			repl_drop_file(c, cp->node, j->ids[cp->table], j->shard, cp->old_file);
	}
	end_rows(j, REPL_MOVE_DONE, NULL);
}

void repl_split_tick(repl_ctx *c)
{
	repl_split_job **pp = &c->splits;
	for (repl_split_job *j = c->splits; j; j = j->next)
		if (j->phase != SPLIT_OVER)
			job_step(c, j);
	while (*pp) { /* forget jobs over with nothing outstanding */
		repl_split_job *j = *pp;
		if (j->phase == SPLIT_OVER && !j->out && !j->asking && !j->held) {
			*pp = j->next;
			free(j);
		} else {
			pp = &j->next;
		}
	}
}

void repl_splits_destroy(repl_ctx *c)
{
	while (c->splits) {
		repl_split_job *j = c->splits;
		c->splits = j->next;
		free(j);
	}
}
