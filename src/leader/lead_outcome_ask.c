/*
 * lead_outcome_ask.c — murphy.transaction_outcomes for a txid the catalog
 * has no row for (a one-shard COMMIT, a ROLLBACK): from this leader's
 * memory, else from the shard logs (docs/transactions.md, "A COMMIT whose
 * answer was lost"; the rules: replication/repl_txn_ends.c).
 *
 * The view is a SQLite virtual table read inside one synchronous query
 * (lead_outcomes_vt.c), so a lookup that needs the copies runs twice:
 *
 *   pass 1  xFilter finds no row, not in the ring of ends either: it notes
 *           the txid (lead_outcome_oneshard) and answers no row;
 *   ask     leader_select_run sees the notes (lead_outcome_ask_start),
 *           drops pass 1's rows and sends one QUERY of _murphy_log to every
 *           copy of every shard, for all the noted txids at once;
 *   pass 2  once every copy answered or failed, each txid's verdict
 *           (repl_log_verdict) is kept here and the statement runs again:
 *           xFilter reads the verdicts.
 *
 * After a restart the copies are asked only once every shard is decided
 * (the run parks meanwhile, at most REPL_RECONCILE_WAIT_MS; a shard still
 * undecided then makes the verdict `unknown`).
 *
 * A copy on a suspect or dead follower is not asked (it counts as not
 * answering: its shard's verdict is `unknown`); one that stops answering
 * while asked fails when its follower is suspected.
 *
 * Nothing of this runs on a commit's path: a commit only stores its end
 * in the ring (repl_lock.c, txn_finish).  At most LEAD_OUTCOME_ASK_MAX
 * txids are asked per statement; more read `unknown` (not asked).
 */
#include "leader/lead_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Txids one statement asks the copies about: the nemesis checker asks 200
 * per query; the QUERY's IN list stays a few KiB. */
#define LEAD_OUTCOME_ASK_MAX 256
/* A verdict's participants text ("table:shard,…"). */
#define LEAD_OUTCOME_PARTS_BYTES 256

typedef struct asked_txid {
	uint64_t txid;
	const char *outcome; /* NULL: no row (open on this leader) */
	char parts[LEAD_OUTCOME_PARTS_BYTES];
} asked_txid;

struct lead_outcome_ask {
	asked_txid t[LEAD_OUTCOME_ASK_MAX];
	int n;
	int asked;      /* the copies were asked: t[].outcome is the verdict */
	int first_task; /* r->tasks index of the first QUERY sent */
	lead_run_next cont;
};

void lead_outcome_ask_free(lead_run *r)
{
	free(r->oask);
	r->oask = NULL;
}

static asked_txid *asked_find(lead_outcome_ask *a, uint64_t txid)
{
	for (int i = 0; i < a->n; i++)
		if (a->t[i].txid == txid)
			return &a->t[i];
	return NULL;
}

void lead_outcome_oneshard(lead_engine *e, uint64_t txid, cat_txn_outcome_fn fn, void *arg)
{
	lead_run *r = e->local_run;
	repl_ended end;
	asked_txid *at;
	char parts[32] = "";
	if (repl_txn_ended(e->repl, txid, &end)) {
		if (!end.committed)
			return; /* aborted for certain: no row */
		if (end.nshards > 0)
			snprintf(parts, sizeof parts, "%u:%u", end.table_id, end.shard);
		fn(arg, txid, "committed", parts, end.ended_ms);
		return;
	}
	if (repl_txn_is_open(e->repl, txid))
		return; /* still going: murphy.transactions shows it */
	if (!r || (!r->oask && !(r->oask = calloc(1, sizeof *r->oask)))) {
		/* no statement run to ask the copies for (or out of memory) */
		fn(arg, txid, "unknown", NULL, 0);
		return;
	}
	if ((at = asked_find(r->oask, txid))) {
		if (at->outcome)
			fn(arg, txid, at->outcome, at->parts[0] ? at->parts : NULL, 0);
		return;
	}
	if (r->oask->asked || r->oask->n == LEAD_OUTCOME_ASK_MAX) {
		fn(arg, txid, "unknown", NULL, 0); /* not asked this time */
		return;
	}
	r->oask->t[r->oask->n++] = (asked_txid){.txid = txid};
}

/* One copy's answer rows: (0, 0, oldest lsn, position) first, then
 * (txid, kind, newest lsn, count) per txid and entry kind it holds. */
static void seen_fill(const lead_task_slot *sl, uint64_t txid, repl_log_seen *s)
{
	mur_rd rd;
	*s = (repl_log_seen){.table_id = sl->table_id, .shard = sl->shard, .node_id = sl->node_id};
	if (!sl->done || sl->res.failed || sl->res.ncols != 4)
		return;
	mur_rd_init(&rd, sl->res.rows.data, sl->res.rows.len);
	for (uint64_t k = 0; k < sl->res.nrows; k++) {
		mur_value v[4];
		for (int j = 0; j < 4; j++)
			if (mur_row_get_value(&rd, &v[j]) != MUR_OK || v[j].kind != MV_INT)
				return; /* malformed: not an answer */
		if (v[0].i == 0) {
			s->first_lsn = (uint64_t)v[2].i;
			s->position = (uint64_t)v[3].i;
		} else if ((uint64_t)v[0].i == txid) {
			if (v[1].i == EXEC_ENTRY_COMMIT)
				s->commit_lsn = (uint64_t)v[2].i;
			else if (v[1].i == EXEC_ENTRY_STAGED)
				s->staged = 1;
			else
				s->data = 1;
		}
	}
	s->answered = 1;
}

static void asked_done(lead_run *r)
{
	lead_outcome_ask *a = r->oask;
	int n = r->ntasks - a->first_task;
	repl_log_seen *seen = calloc((size_t)(n > 0 ? n : 1), sizeof *seen);
	for (int i = 0; i < a->n; i++) {
		if (!seen) {
			a->t[i].outcome = "unknown";
			continue;
		}
		for (int k = 0; k < n; k++)
			seen_fill(&r->tasks[a->first_task + k], a->t[i].txid, &seen[k]);
		a->t[i].outcome = repl_log_verdict(r->e->repl, a->t[i].txid, seen, n, a->t[i].parts,
						   sizeof a->t[i].parts);
	}
	free(seen);
	if (!r->cancelled) /* a copy that did not answer makes its verdict unknown */
		r->failed = 0;
	a->cont(r);
}

/* The QUERY every copy runs: see seen_fill. */
static int ask_sql(const lead_outcome_ask *a, mur_buf *sql)
{
	mur_buf_printf(sql, "SELECT 0, 0, coalesce((SELECT min(lsn) FROM _murphy_log), 0), "
			    "max(coalesce((SELECT max(lsn) FROM _murphy_log), 0), "
			    "coalesce((SELECT CAST(value AS INTEGER) FROM _murphy_meta "
			    "WHERE key = 'lsn'), 0)) "
			    "UNION ALL SELECT txn_id, kind, max(lsn), count(*) FROM _murphy_log "
			    "WHERE txn_id IN (");
	for (int i = 0; i < a->n; i++)
		mur_buf_printf(sql, "%s%lld", i ? "," : "", (long long)a->t[i].txid);
	mur_buf_printf(sql, ") GROUP BY txn_id, kind");
	return mur_buf_cstr(sql) && mur_buf_ok(sql) ? MUR_OK : MUR_ERR;
}

static void ask_copies(lead_run *r, const char *sql)
{
	for (int i = 0; i < cat_table_count(r->e->cat); i++) {
		const cat_table *t = cat_table_at(r->e->cat, i);
		if (t->kind != CAT_TABLE_DISTRIBUTED)
			continue;
		for (uint32_t s = 0; s < t->nshards; s++)
			for (int k = 0; k < t->shards[s].nplacements; k++) {
				uint32_t node = t->shards[s].placements[k].node_id;
				const cat_node *n = cat_node_by_id(r->e->cat, node);
				exec_task task;
				if (!n || n->state == CAT_NODE_SUSPECT || n->state == CAT_NODE_DEAD)
					continue; /* would not answer soon: not answered */
				memset(&task, 0, sizeof task);
				task.kind = EXEC_TASK_QUERY;
				task.nplacements = 1;
				cat_placement_file(t, s, task.placements[0],
						   sizeof task.placements[0]);
				task.sql = sql;
				if (lead_run_send(r, node, s, 1, &task) == MUR_OK)
					r->tasks[r->ntasks - 1].table_id = t->id;
			}
	}
}

/* 1 while some shard is still being decided after a restart: a copy's
 * log then says nothing certain. */
static int reconciling(lead_engine *e)
{
	for (int i = 0; i < cat_table_count(e->cat); i++) {
		const cat_table *t = cat_table_at(e->cat, i);
		if (t->kind != CAT_TABLE_DISTRIBUTED)
			continue;
		for (uint32_t s = 0; s < t->nshards; s++)
			if (repl_shard_reconciling(e->repl, &t->shards[s]))
				return 1;
	}
	return 0;
}

int lead_outcome_ask_start(lead_run *r, lead_run_next cont)
{
	lead_outcome_ask *a = r->oask;
	mur_buf sql;
	if (!a || a->asked || !a->n || r->failed)
		return 0;
	mur_buf_reset(&r->rows); /* pass 1's: the statement runs again */
	r->nrows = 0;
	if (reconciling(r->e) && lead_run_park(r))
		return 1; /* after a restart: once its shards are decided, run again */
	a->asked = 1;
	a->cont = cont;
	a->first_task = r->ntasks;
	mur_buf_init(&sql);
	if (ask_sql(a, &sql) != MUR_OK) {
		mur_buf_free(&sql);
		for (int i = 0; i < a->n; i++)
			a->t[i].outcome = "unknown";
		cont(r);
		return 1;
	}
	ask_copies(r, sql.data);
	mur_buf_free(&sql);
	r->failed = 0; /* a copy not reachable is a copy that did not answer */
	lead_run_wait(r, asked_done);
	return 1;
}
