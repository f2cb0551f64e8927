/*
 * lead_reread.c — a SELECT's shard read whose copy was lost is read again
 * from another copy (issue 17, docs/consistency.md "A read whose copy goes
 * silent").
 *
 * A QUERY sent to a copy fails with 08006 when the copy's follower turns
 * suspect (cluster/detector.c fails its tasks) or its connection closes
 * (cluster/route.c).  A read changes nothing, so such a task is not a
 * failure of the SELECT when it was marked rereadable (lead_reread_mark:
 * a SELECT's QUERY, in a block only as below): task_done records it
 * lost (lead_task_slot.lost), and once every task of the round answered,
 * lead_reread starts the SELECT over (lead_select_start: the gate, then
 * a copy chosen afresh at the statement's level; the lost copy's follower
 * is suspect or not connected by then, so no level picks it again).  When
 * no copy qualifies, the SELECT fails as it would have from the start
 * (08006 naming the shard and table), with the copies and the lost read
 * in the DETAIL (lead_reread_detail).
 *
 * The same restart serves a read sent with a bound after the gate
 * (lead_stale_node's stale copy) that the copy refused (55000: it holds
 * part of a transaction without its marker, or an entry past the
 * committed one): read again, up to LEAD_READ_REFUSED_MAX rounds, then
 * fail.
 *
 * The rows of a SELECT reach the client only once every shard answered
 * (lead_select_merge), so a read again never repeats or loses rows already
 * sent.
 *
 * Shuffles (repartitioned reads and joins that are not co-located) start
 * over whole: every task of one is marked (its RECVs and CANCELs too: an
 * owner lost loses the parts sent to it), the first lost or refused one
 * cancels the others (lead_shuffle.c, shuffle_restart; their failures are
 * dropped, lead_task_slot.dropped), and once all answered the SELECT starts
 * over here with a new shuffle among the followers connected then.
 *
 * Inside a transaction block, only a read of one table's shard that holds
 * no transaction's entry (untouched: the block did not write it) is read
 * again: any current copy answers it as the lost one would.  A shard the
 * block wrote holds entries only the copies that applied them have (the
 * primary first; an undecided one dooms the block anyway), and a shuffle
 * reads many shards at once: a copy lost there ends the statement, and the
 * block, with the error, as before (docs/consistency.md).
 */
#include "leader/lead_int.h"

#include "common/log.h"

#include <stdio.h>
#include <string.h>

/* Rounds a SELECT is read again after copies were lost: each loss leaves
 * its copy out (suspect or disconnected) until it is back, so a shard's
 * CAT_REPLICAS_MAX copies cannot all be lost more often than this unless
 * followers flap; then the SELECT fails with the last loss. */
#define LEAD_READ_REREADS_MAX CAT_REPLICAS_MAX
/* Rounds a SELECT is read again after a stale copy refused its bound (part
 * of a transaction without its marker): the copy catches up in a moment or
 * not for a while; a few rounds, then the SELECT fails (as strong). */
#define LEAD_READ_REFUSED_MAX 3

/* Does shard `shard` of t hold no entry of a transaction (the block's
 * own, or another's: the read's bound is the committed entry, and a read
 * must see no more)?  Then every current copy answers as the lost one
 * would have. */
static int untouched(lead_run *r, const cat_table *t, uint32_t shard)
{
	uint64_t bound;
	return repl_read_bound(r->e->repl, t, shard, &bound) &&
	       bound == t->shards[shard].committed_lsn &&
	       repl_read_lsn(r->e->repl, t, shard) == bound;
}

void lead_reread_mark(lead_run *r)
{
	lead_task_slot *sl;
	if (r->ntasks == 0)
		return;
	sl = &r->tasks[r->ntasks - 1];
	/* in a block: a read of one table's shard the block did not write,
	 * not a shuffle (its owners' parts cannot be told apart by shard) */
	if ((r->block_txid || lead_txn_of_run(r)) &&
	    (r->shuffle || !sl->table || !untouched(r, sl->table, sl->shard)))
		return; /* the block ends with the error when its copy is lost */
	sl->reread = 1;
}

/* The first slot of r lost (or refused: refused), or NULL. */
static const lead_task_slot *first_of(const lead_run *r, int refused)
{
	for (int i = 0; i < r->ntasks; i++)
		if (refused ? r->tasks[i].refused : r->tasks[i].lost)
			return &r->tasks[i];
	return NULL;
}

/* r's copies of a shard could not all answer: fail with the lost read's
 * error, the shard and table named. */
/* The table slot sl read (a shuffle's RECV or CANCEL: the SELECT's first). */
static const cat_table *table_of(const lead_run *r, const lead_task_slot *sl)
{
	return sl->table ? sl->table : r->p->u.select.tables[0];
}

static void fail_lost(lead_run *r, const lead_task_slot *sl, const char *why)
{
	const cat_table *t = table_of(r, sl);
	mur_error err = sl->res.err;
	mur_error_context(&err, "reading shard %u of table \"%s\" (%s)", sl->shard, t->name, why);
	lead_run_fail(r, &err);
}

/* The stale copy sl read refused its bound LEAD_READ_REFUSED_MAX times:
 * no copy could be read at the level, as strong's 08006. */
static void fail_refused(lead_run *r, const lead_task_slot *sl)
{
	const cat_table *t = table_of(r, sl);
	const cat_node *n = cat_node_by_id(r->e->cat, sl->node_id);
	mur_error err;
	mur_error_set(&err, SQLSTATE_CONNECTION_FAILURE,
		      "no current copy of shard %u of table \"%s\" is reachable", sl->shard,
		      t->name);
	mur_error_detail(&err,
			 "The freshest reachable copy, on %s, refused the read %d times: it holds "
			 "part of a transaction or entries not yet decided (%s)",
			 n ? n->name : "?", r->stale_refused + 1, sl->res.err.message);
	mur_error_hint(&err, "retry in a moment: the copy is being caught up or undone");
	lead_run_fail(r, &err);
}

int lead_reread(lead_run *r, int refusals)
{
	const lead_task_slot *lost = first_of(r, 0), *refused = refusals ? first_of(r, 1) : NULL;
	if (r->failed || (!lost && !refused))
		return 0;
	if (lost) {
		if (r->rereads >= LEAD_READ_REREADS_MAX) {
			fail_lost(r, lost, "its copies were lost too often");
			return 0;
		}
		r->rereads++;
		r->lost_node = lost->node_id;
		r->lost_err = lost->res.err;
		if (r->shuffle)
			MLOG(INFO, "leader", "shuffle reading table \"%s\" started over: %s",
			     table_of(r, lost)->name, lost->res.err.message);
		else
			MLOG(INFO, "leader", "read of shard %u of table \"%s\" sent again: %s",
			     lost->shard, table_of(r, lost)->name, lost->res.err.message);
	} else {
		/* only a stale copy chosen after the gate sends a bound there */
		if (r->stale_refused >= LEAD_READ_REFUSED_MAX) {
			fail_refused(r, refused);
			return 0;
		}
		r->stale_refused++;
		r->now_refused++;
	}
	lead_run_reset_tasks(r);
	lead_select_start(r);
	return 1;
}

void lead_reread_detail(lead_run *r, const cat_table *t, uint32_t shard, mur_error *err)
{
	repl_shard_health h;
	const cat_node *n = r->lost_node ? cat_node_by_id(r->e->cat, r->lost_node) : NULL;
	repl_shard_health_of(r->e->repl, t, shard, &h);
	if (n)
		mur_error_detail(err, "Copies: %s. The read sent to %s was lost: %s",
				 h.why[0] ? h.why : "none current", n->name, r->lost_err.message);
	else
		mur_error_detail(err, "Copies: %s", h.why[0] ? h.why : "none current");
}

int lead_reread_line(const lead_run *r, char *out, size_t outsz)
{
	const cat_node *n = r->lost_node ? cat_node_by_id(r->e->cat, r->lost_node) : NULL;
	if (!r->rereads)
		return 0;
	snprintf(out, outsz, "Read again: %d time%s, a copy lost (last: %s, %s)", r->rereads,
		 r->rereads == 1 ? "" : "s", n ? n->name : "?", r->lost_err.message);
	return 1;
}
