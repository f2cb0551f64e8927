/*
 * lead_ddltxn.c — DDL in a transaction block, undone by its rollback
 * (docs/transactions.md, "DDL in a block"; docs/decisions.md says why by
 * compensation).
 *
 * A block (BEGIN, or a multi-statement Query's implicit one) remembers
 * what its DDL did, in s->ddl (oldest first; a savepoint keeps the count):
 *
 *   CREATE TABLE   the table is created on every copy at once, *pending*
 *                  for the block in the catalog (durably: ddl_pending, so
 *                  a leader that restarts before the COMMIT drops it) and
 *                  hidden from every other session (cat_table_visible_to:
 *                  their planner does not find it, 42P01, so nobody else
 *                  reads or writes it before the COMMIT)
 *   CREATE INDEX   built on every copy at once; the index's name is kept;
 *                  on a table that existed before, other sessions' writes
 *                  to it wait for the block's end (cat_table_index_hold),
 *                  as behind PostgreSQL's SHARE lock
 *   DROP TABLE     deferred: the table is hidden from the block now (it
 *                  may create the name again) and dropped at COMMIT; other
 *                  sessions naming it wait for the block's end, then plan
 *                  again (42P01 after a COMMIT)
 *   DROP INDEX     of an index the block created: at once; of one that
 *                  existed before: deferred to COMMIT (others wait for the
 *                  block's end, as for an ALTER)
 *   ALTER TABLE    of a table that existed before (no savepoint open):
 *                  the shards' entries join the block; the catalog keeps
 *                  the old shape, the block sees its own (catalog/
 *                  catalog_blockshape.c), the intent names the block's
 *                  txid and its COMMIT is a recorded decision; others
 *                  naming the table wait for its end before they run
 *                  (lead_session.c, execute_or_wait)
 *
 * A DROP TABLE / CREATE INDEX waiting for the blocks that hold its table's
 * shard locks (lead_ddltxn_lock_holder) is queued (s->ddl_queued) until it
 * ran: later writers that hold nothing wait behind it, as behind
 * PostgreSQL's queued lock request (lead_ddltxn_queued_ahead).
 *
 * At the block's end (lead_ddltxn_end, from lead_txn.c's block_ended,
 * after the block's writes were committed or undone and its locks freed):
 *
 *   COMMIT         created tables become visible (their pending row was
 *                  deleted before the decision: lead_ddltxn_commit_prepare,
 *                  so a restart after the COMMIT keeps them); dropped
 *                  tables are dropped on every copy and in the catalog
 *                  (altered tables take their block's shape: altered_end)
 *   rollback       created tables are dropped (copies, then catalog),
 *                  created indexes dropped from every copy, dropped tables
 *                  seen again — for ROLLBACK, an error then ROLLBACK, a
 *                  failed COMMIT, a lost client and the idle timeout alike
 *   ROLLBACK TO s  the same for the DDL since s, except that a table
 *                  created since s is only hidden (DOOMED) and dropped at
 *                  the block's end: the block may still hold its shards'
 *                  locks, which name it
 *
 * The copies' work runs as one leader run of the session (one round of
 * DROP / DROP INDEX tasks), parked while a table's shards are still busy.
 * A copy on a follower that is away keeps its file: the follower's STATUS
 * reports it as not in the catalog when it returns, and it is dropped
 * then (repl_recover.c).
 */
#include "leader/lead_int.h"

#include "common/clock.h"
#include "common/log.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int lead_ddltxn_in_block(const lead_run *r)
{
	return !r->parent && r->s->txn == LEAD_TXN_ACTIVE && r->s->txid;
}

int lead_ddltxn_check_block(lead_run *r)
{
	mur_error err;
	if (!r->block_txid || (r->s->txn == LEAD_TXN_ACTIVE && r->s->txid == r->block_txid))
		return 0;
	mur_error_set(&err, SQLSTATE_IN_FAILED_SQL_TRANSACTION,
		      "transaction %llu ended while %s ran: it is undone",
		      (unsigned long long)r->block_txid, r->p->tag ? r->p->tag : "DDL");
	lead_run_fail(r, &err);
	return 1;
}

/* The block's record of kind for table_id (0: any) or index (NULL: any). */
static int recorded(const lead_session *s, lead_ddl_kind kind, uint32_t table_id, const char *index)
{
	for (int i = 0; i < s->nddl; i++)
		if (s->ddl[i].kind == kind && (!table_id || s->ddl[i].table_id == table_id) &&
		    (!index || !strcmp(s->ddl[i].index, index)))
			return 1;
	return 0;
}

/* Room for `more` records, so recording after the DDL cannot fail. */
static int reserve(lead_session *s, int more, mur_error *err)
{
	int need = s->nddl + more, cap = s->capddl ? s->capddl : 8;
	lead_ddl_rec *g;
	if (need <= s->capddl)
		return MUR_OK;
	if (need > LEAD_BLOCK_DDL_MAX) {
		mur_error_set(err, SQLSTATE_PROGRAM_LIMIT_EXCEEDED,
			      "a transaction block runs at most %d DDL statements",
			      LEAD_BLOCK_DDL_MAX);
		mur_error_hint(err, "COMMIT, then go on in a new transaction");
		return MUR_ERR;
	}
	while (cap < need)
		cap *= 2;
	if (!(g = realloc(s->ddl, (size_t)cap * sizeof *g)))
		return mur_error_set(err, SQLSTATE_OUT_OF_MEMORY, "out of memory");
	s->ddl = g;
	s->capddl = cap;
	return MUR_OK;
}

void lead_ddltxn_record(lead_run *r, lead_ddl_kind kind, const cat_table *t, const char *index)
{
	lead_session *s = r->s;
	lead_ddl_rec *d;
	if (!lead_ddltxn_in_block(r) || s->nddl >= s->capddl) /* reserved: lead_ddltxn_refused */
		return;
	d = &s->ddl[s->nddl++];
	memset(d, 0, sizeof *d);
	d->kind = kind;
	d->table_id = t->id;
	snprintf(d->index, sizeof d->index, "%s", index ? index : "");
}

/* DROP INDEX of an index that existed before the block: deferred to the
 * COMMIT (the block still sees and uses it: a unique one still refuses
 * its duplicates, its name is still taken); others wait for the block's
 * end as for an ALTER (the table's shape is held, unchanged).  r
 * finished, 1. */
static int drop_index_deferred(lead_run *r)
{
	const plan_index *pi = &r->p->u.index;
	mur_error err;
	if (lead_ddltxn_altered(r, pi->table, pi->table, &err) != MUR_OK) {
		lead_run_fail(r, &err);
	} else {
		lead_ddltxn_record(r, LEAD_DDL_DROPPED_INDEX, pi->table, pi->index_name);
		snprintf(r->res->tag, sizeof r->res->tag, "%s", r->p->tag);
	}
	lead_run_finish(r);
	return 1;
}

/* 0A000 for what a rollback could not undo (why): r finished, 1. */
static int refuse(lead_run *r, const char *why)
{
	mur_error err;
	mur_error_set(&err, SQLSTATE_FEATURE_NOT_SUPPORTED,
		      "%s cannot run inside a transaction block in murphy: %s", r->p->tag, why);
	mur_error_hint(&err, "run it outside a transaction block (autocommit)");
	lead_run_fail(r, &err);
	lead_run_finish(r);
	return 1;
}

int lead_ddltxn_refused(lead_run *r)
{
	const plan_index *pi = &r->p->u.index;
	const cat_table *t;
	mur_error err;
	if (!lead_ddltxn_in_block(r))
		return 0;
	switch (r->p->kind) {
	case PLAN_CREATE_INDEX: /* also ALTER TABLE ADD PRIMARY KEY / UNIQUE */
		t = pi->table ? lead_ddl_lookup(r, pi->table->schema, pi->table->name) : NULL;
		if (!t || recorded(r->s, LEAD_DDL_CREATED_TABLE, t->id, NULL))
			break; /* goes with its table; or 42P01 as outside a block */
		if (pi->npk > 0)
			return refuse(r, "a rollback could not take a primary key back");
		if (pi->if_not_exists)
			return refuse(r, "a rollback could not tell if the index was there before");
		break;
	case PLAN_DROP_INDEX:
		if (recorded(r->s, LEAD_DDL_CREATED_INDEX, 0, pi->index_name))
			return 0;
		if (!pi->table || recorded(r->s, LEAD_DDL_DROPPED_INDEX, 0, pi->index_name))
			return refuse(r, "only an index murphy's catalog names can be dropped in "
					 "it");
		if (reserve(r->s, 2, &err) != MUR_OK) {
			lead_run_fail(r, &err);
			lead_run_finish(r);
			return 1;
		}
		return drop_index_deferred(r);
	case PLAN_CREATE_TABLE:
	case PLAN_DROP_TABLE:
		break;
	case PLAN_SEQUENCE:
		return refuse(r, "a rollback could not take a sequence back");
	case PLAN_VIEW:
		return refuse(r, "a rollback could not take a view back");
	case PLAN_SCHEMA:
		return refuse(r, "a rollback could not take a schema back");
	case PLAN_COMMENT:
		return refuse(r, "a rollback could not take a comment back");
	case PLAN_ALTER:
		/* a table the block created goes with the block: its shards'
		 * DDL entries join the block's transaction, a rollback drops
		 * the table (lead_ddl.c) and its foreign keys with it.  One
		 * that existed before: the entries join the block too, the
		 * catalog keeps the old shape for everybody else until COMMIT
		 * (lead_ddltxn_altered).  A savepoint could undo the entries
		 * without the block's shape */
		t = r->p->u.alter.table;
		if (r->p->u.alter.fkey_add || r->p->u.alter.fkey_drop)
			return refuse(r, "a rollback could not take the foreign key back");
		if (r->s->nsavepoints)
			return refuse(r, "a rollback to a savepoint could not take the table's "
					 "old shape back");
		break;
	default:
		return 0;
	}
	if (reserve(r->s, r->p->kind == PLAN_DROP_TABLE ? r->p->u.drop_table.ntables : 1, &err) ==
	    MUR_OK)
		return 0;
	lead_run_fail(r, &err);
	lead_run_finish(r);
	return 1;
}

int lead_ddltxn_alters_existing(const lead_run *r)
{
	return lead_ddltxn_in_block(r) &&
	       !recorded(r->s, LEAD_DDL_CREATED_TABLE, r->p->u.alter.table->id, NULL);
}

int lead_ddltxn_altered(lead_run *r, const cat_table *t, const cat_table *def, mur_error *err)
{
	if (cat_table_block_shape_set(r->e->cat, t->id, r->s->txid, def, err) != MUR_OK)
		return MUR_ERR;
	if (!recorded(r->s, LEAD_DDL_ALTERED_TABLE, t->id, NULL))
		lead_ddltxn_record(r, LEAD_DDL_ALTERED_TABLE, t, NULL);
	return MUR_OK;
}

int lead_ddltxn_index_entries(const lead_run *r, const cat_table *t)
{
	return r->p->kind == PLAN_CREATE_INDEX && t && lead_ddltxn_in_block(r) &&
	       cat_table_block_shape_txid(r->e->cat, t->id) == r->s->txid;
}

int lead_ddltxn_record_index(lead_run *r, const cat_table *t, const cat_index *def)
{
	cat_index *copy = malloc(sizeof *copy);
	lead_session *s = r->s;
	if (!copy)
		return MUR_ENOMEM;
	*copy = *def;
	lead_ddltxn_record(r, LEAD_DDL_CREATED_INDEX, t, def->name);
	if (s->nddl && s->ddl[s->nddl - 1].kind == LEAD_DDL_CREATED_INDEX &&
	    !strcmp(s->ddl[s->nddl - 1].index, def->name))
		s->ddl[s->nddl - 1].def = copy;
	else
		free(copy);
	return MUR_OK;
}

uint64_t lead_ddltxn_lock_holder(lead_session *s, const plan *p)
{
	const cat_table *t;
	uint64_t by = 0;
	if (s->txn != LEAD_TXN_ACTIVE || !s->tx || !p ||
	    (p->kind != PLAN_DROP_TABLE && p->kind != PLAN_CREATE_INDEX))
		return 0;
	cat_set_viewer(s->e->cat, 1, s->txid);
	if (p->kind == PLAN_CREATE_INDEX) { /* SHARE: only the writers */
		t = p->u.index.table;
		t = t ? cat_table_lookup(s->e->cat, t->schema, t->name) : NULL;
		if (t && !recorded(s, LEAD_DDL_CREATED_TABLE, t->id, NULL))
			by = repl_table_holder(s->e->repl, t, s->tx, 1);
	}
	for (int i = 0; p->kind == PLAN_DROP_TABLE && !by && i < p->u.drop_table.ntables; i++) {
		t = cat_table_lookup(s->e->cat, p->u.drop_table.schemas[i],
				     p->u.drop_table.names[i]);
		if (t && !recorded(s, LEAD_DDL_CREATED_TABLE, t->id, NULL))
			by = repl_table_holder(s->e->repl, t, s->tx, 0);
	}
	cat_set_viewer(s->e->cat, 0, 0);
	return by;
}

/* 1 when ddl (o's DROP TABLE / CREATE INDEX, waiting) locks a table that
 * p writes. */
static int queued_on(lead_session *s, lead_session *o, const plan *ddl, const plan *p)
{
	const cat_table *t;
	int queued = 0, n = ddl->kind == PLAN_DROP_TABLE ? ddl->u.drop_table.ntables : 1;
	cat_set_viewer(s->e->cat, 1, o->txid);
	for (int i = 0; !queued && i < n; i++) {
		if (ddl->kind == PLAN_DROP_TABLE)
			t = cat_table_lookup(s->e->cat, ddl->u.drop_table.schemas[i],
					     ddl->u.drop_table.names[i]);
		else
			t = ddl->u.index.table
				    ? cat_table_lookup(s->e->cat, ddl->u.index.table->schema,
						       ddl->u.index.table->name)
				    : NULL;
		queued = t && sql_plan_writes_table(p, t->id);
	}
	cat_set_viewer(s->e->cat, 0, 0);
	return queued;
}

uint64_t lead_ddltxn_queued_ahead(lead_session *s, const plan *p)
{
	/* only a writer that holds nothing queues: no transaction waits for it,
	 * so its wait closes no cycle (PostgreSQL lets a queued request that
	 * would close one jump the queue instead of a 40P01) */
	if (!s->e->ddl_queued || !p || (s->tx && repl_txn_nshards(s->tx)) || s->nddl ||
	    (p->kind != PLAN_INSERT && p->kind != PLAN_MODIFY && p->kind != PLAN_COPY_FROM &&
	     p->kind != PLAN_TRUNCATE)) /* the writers (a DDL waits on its own) */
		return 0;
	for (lead_session *o = s->e->sessions; o; o = o->next_open)
		if (o != s && o->ddl_queued && o->txid && queued_on(s, o, o->ddl_queued, p))
			return o->txid;
	return 0;
}

void lead_ddltxn_unqueue(lead_session *s)
{
	s->e->ddl_queued -= s->ddl_queued != NULL;
	s->ddl_queued = NULL;
}

int lead_ddltxn_queued(const lead_engine *e, uint64_t txid)
{
	for (const lead_session *o = e->ddl_queued ? e->sessions : NULL; txid && o;
	     o = o->next_open)
		if (o->ddl_queued && o->txid == txid)
			return 1;
	return 0;
}

void lead_ddltxn_index_hold(lead_run *r, const cat_table *t)
{
	if (r->p->kind == PLAN_CREATE_INDEX && t && lead_ddltxn_in_block(r) &&
	    !recorded(r->s, LEAD_DDL_CREATED_TABLE, t->id, NULL))
		cat_table_index_hold(r->e->cat, t->id, r->s->txid);
}

int lead_ddltxn_altered_any(const lead_session *s)
{
	return recorded(s, LEAD_DDL_ALTERED_TABLE, 0, NULL);
}

/* The block that altered table_id ended: the catalog takes its shape if
 * it committed (also when the COMMIT's answer was lost but its decision
 * is recorded), else forgets the intent; others see the outcome now. */
static void altered_end(lead_session *s, uint32_t table_id, int commit)
{
	catalog *c = s->e->cat;
	cat_table *t = cat_table_by_id(c, table_id);
	char outcome[32];
	mur_error err;
	if (!t || !t->shape_txid)
		return;
	if (!commit)
		commit = cat_txn_outcome_get(c, t->shape_txid, outcome, sizeof outcome) &&
			 !strcmp(outcome, "committed");
	if (commit && cat_table_block_shape_commit(c, table_id, &err) != MUR_OK)
		MLOG(ERROR, "ddl",
		     "table %u keeps its old shape in memory (the next open applies the "
		     "committed ALTER): %s",
		     table_id, err.message);
	else if (!commit && cat_alter_intent_drop(c, table_id, &err) != MUR_OK)
		MLOG(ERROR, "ddl",
		     "the ALTER intent of table %u stays (the next open drops it): %s", table_id,
		     err.message);
	cat_table_block_shape_end(c, table_id); /* (done already after a commit) */
}

void lead_ddltxn_commit_prepare(lead_session *s)
{
	mur_error err;
	for (int i = 0; i < s->nddl; i++)
		if (s->ddl[i].kind == LEAD_DDL_CREATED_TABLE &&
		    cat_table_pending_release(s->e->cat, s->ddl[i].table_id, &err) != MUR_OK)
			MLOG(ERROR, "ddl",
			     "table %u stays pending in the catalog (a restart would drop it): %s",
			     s->ddl[i].table_id, err.message);
}

/* ---- the copies' part: one run of DROP / DROP INDEX tasks ---- */

typedef struct ddl_job {
	lead_session *s;
	/* what to drop: a table (index ""; on every copy, then in the
	 * catalog) or an index (from every copy of its table) */
	lead_ddl_rec work[LEAD_BLOCK_DDL_MAX];
	int nwork;
	uint64_t start_us;
	uint64_t end_txid; /* the block ended: its index holds go once the job is done */
	void (*done)(void *);
	void *arg;
} ddl_job;

/* A run needs a plan: the undo's sends tasks only. */
static const plan undo_plan = {.kind = PLAN_NOOP, .tag = "ROLLBACK"};

static int job_drops(const ddl_job *j, uint32_t table_id)
{
	for (int i = 0; i < j->nwork; i++)
		if (!j->work[i].index[0] && j->work[i].table_id == table_id)
			return 1;
	return 0;
}

static void job_free(ddl_job *j)
{
	void (*done)(void *) = j->done;
	void *arg = j->arg;
	cat_index_holds_end(j->s->e->cat, j->end_txid); /* writers wait no more */
	lead_session_unref(j->s);
	free(j);
	done(arg);
}

static void job_run_done(void *arg, pgw_result *res)
{
	pgw_result_free(res);
	job_free(arg);
}

static void job_tasks_done(lead_run *r)
{
	ddl_job *j = r->done_arg;
	mur_error err;
	for (int i = 0; i < r->ntasks; i++)
		if (r->tasks[i].res.failed)
			MLOG(WARN, "ddl", "undoing DDL on shard %u of node %u failed: %s",
			     r->tasks[i].shard, r->tasks[i].node_id, r->tasks[i].res.err.message);
	for (int i = 0; i < j->nwork; i++) {
		const cat_table *t = cat_table_by_id(r->e->cat, j->work[i].table_id);
		if (!t || j->work[i].index[0])
			continue;
		repl_forget(r->e->repl, t);
		if (cat_drop_table_id(r->e->cat, t->id, &err) != MUR_OK)
			MLOG(ERROR, "ddl", "dropping table %u from the catalog failed: %s",
			     j->work[i].table_id, err.message);
	}
	r->failed = 0; /* logged: the block's outcome stands */
	lead_run_finish(r);
}

static void job_resume(void *arg);

void lead_ddltxn_drop_index_sql(const char *name, char *out, size_t n)
{
	size_t k = (size_t)snprintf(out, n, "DROP INDEX IF EXISTS main.\"");
	for (; *name && k + 3 < n; name++) {
		if (*name == '"')
			out[k++] = '"';
		out[k++] = *name;
	}
	out[k++] = '"';
	out[k] = '\0';
}

static void job_start(ddl_job *j)
{
	lead_engine *e = j->s->e;
	lead_run *r;
	char sql[200]; /* 2 x the 64-byte name and the statement */
	for (int i = 0; i < j->nwork; i++) {
		const cat_table *t = cat_table_by_id(e->cat, j->work[i].table_id);
		/* a write answered early may still be reaching a copy */
		if (t && !j->work[i].index[0] && repl_table_busy(e->repl, t) &&
		    repl_park(e->repl, j->start_us, job_resume, j))
			return;
	}
	if (!(r = lead_run_new(j->s, &undo_plan, job_run_done, j))) {
		MLOG(ERROR, "ddl", "out of memory undoing a block's DDL: its tables stay");
		job_free(j);
		return;
	}
	for (int i = 0; i < j->nwork; i++) {
		const lead_ddl_rec *w = &j->work[i];
		const cat_table *t = cat_table_by_id(e->cat, w->table_id);
		if (!t || (w->index[0] && job_drops(j, t->id)))
			continue; /* an index goes with its table */
		if (w->index[0])
			lead_ddltxn_drop_index_sql(w->index, sql, sizeof sql);
		lead_ddl_send_all(r, t, w->index[0] ? EXEC_TASK_DDL : EXEC_TASK_DROP,
				  w->index[0] ? sql : NULL);
	}
	r->failed = 0;
	lead_run_wait(r, job_tasks_done);
}

static void job_resume(void *arg) { job_start(arg); }

/* The schema of the table with id (its indexes'), NULL when it is gone. */
static const char *ddl_table_schema(lead_session *s, uint32_t id)
{
	const cat_table *t = cat_table_by_id(s->e->cat, id);
	return !t ? NULL : t->schema[0] ? t->schema : "public";
}

/* Apply records [from, s->nddl) for a block that committed (commit), was
 * undone, or rolled back to a savepoint (to_savepoint): the catalog's part
 * now, the copies' part into j.  Only DOOMED records stay. */
static void apply(lead_session *s, int from, int commit, int to_savepoint, ddl_job *j)
{
	mur_error err;
	int keep = from;
	for (int i = s->nddl - 1; i >= from; i--) {
		lead_ddl_rec *d = &s->ddl[i];
		int drop = 0;
		switch (d->kind) {
		case LEAD_DDL_CREATED_TABLE:
			if (commit)
				cat_table_publish(s->e->cat, d->table_id);
			if (!commit && to_savepoint) {
				cat_table_set_dropped(s->e->cat, d->table_id, s->txid);
				d->kind = LEAD_DDL_DOOMED_TABLE;
			}
			drop = !commit && !to_savepoint;
			break;
		case LEAD_DDL_CREATED_INDEX:
			drop = !commit;
			if (d->def) { /* named in the catalog at COMMIT only */
				if (commit && cat_index_add(s->e->cat, d->def, &err) != MUR_OK)
					MLOG(ERROR, "ddl",
					     "catalog: naming index %s: %s (its copies keep it)",
					     d->index, err.message);
				free(d->def);
				d->def = NULL;
			} else if (drop &&
				   ddl_table_schema(s, d->table_id) && /* else gone with it */
				   cat_index_drop(s->e->cat, ddl_table_schema(s, d->table_id),
						  d->index, &err) != MUR_OK) {
				MLOG(ERROR, "ddl", "catalog: forgetting index %s: %s", d->index,
				     err.message);
			}
			break;
		case LEAD_DDL_DROPPED_TABLE:
			if (!commit)
				cat_table_set_dropped(s->e->cat, d->table_id, 0);
			drop = commit;
			break;
		case LEAD_DDL_DOOMED_TABLE:
			drop = !to_savepoint;
			break;
		case LEAD_DDL_ALTERED_TABLE: /* never after a savepoint */
			altered_end(s, d->table_id, commit);
			break;
		case LEAD_DDL_DROPPED_INDEX:
			drop = commit;
			if (drop && ddl_table_schema(s, d->table_id) &&
			    cat_index_drop(s->e->cat, ddl_table_schema(s, d->table_id), d->index,
					   &err) != MUR_OK)
				MLOG(ERROR, "ddl", "catalog: forgetting index %s: %s", d->index,
				     err.message);
			break;
		}
		if (drop)
			j->work[j->nwork++] = *d;
	}
	for (int i = from; i < s->nddl; i++) /* the DOOMED, in order */
		if (to_savepoint && s->ddl[i].kind == LEAD_DDL_DOOMED_TABLE)
			s->ddl[keep++] = s->ddl[i];
	s->nddl = keep;
}

static void finish(lead_session *s, int from, int commit, int to_savepoint, void (*done)(void *),
		   void *arg)
{
	ddl_job *j = s->nddl > from ? calloc(1, sizeof *j) : NULL;
	if (j)
		apply(s, from, commit, to_savepoint, j);
	else if (s->nddl > from)
		MLOG(ERROR, "ddl", "out of memory ending a block's DDL: its tables stay");
	if (!to_savepoint) { /* the block ended: its records go (done may free s) */
		free(s->ddl);
		s->ddl = NULL;
		s->nddl = s->capddl = 0;
	} else if (!j && s->nddl > from) {
		s->nddl = from;
	}
	if (!j || !j->nwork) {
		free(j);
		if (!to_savepoint)
			cat_index_holds_end(s->e->cat, s->txid);
		done(arg);
		return;
	}
	j->end_txid = to_savepoint ? 0 : s->txid;
	j->s = s;
	s->refs++;
	j->done = done;
	j->arg = arg;
	j->start_us = mur_now_us();
	job_start(j);
}

void lead_ddltxn_end(lead_session *s, int committed, void (*done)(void *), void *arg)
{
	finish(s, 0, committed, 0, done, arg);
}

void lead_ddltxn_rollback_to(lead_session *s, int mark, void (*done)(void *), void *arg)
{
	finish(s, mark, 0, 1, done, arg);
}

uint64_t lead_ddltxn_blocked_by(const catalog *c, const plan *p)
{
	uint32_t table_id;
	uint64_t by = cat_viewer_blocked_by(c), share = cat_viewer_share_blocked(c, &table_id);
	if (by)
		return by;
	return share && sql_plan_writes_table(p, table_id) ? share : 0;
}

int lead_shape_blocked(lead_session *s, int rc, plan **p, mur_error *err)
{
	uint64_t by = rc == MUR_OK ? lead_ddltxn_blocked_by(s->e->cat, *p) : 0;
	if (rc != MUR_OK || !by)
		return rc;
	plan_free(*p);
	*p = NULL;
	mur_error_set(err, SQLSTATE_LOCK_NOT_AVAILABLE,
		      "could not use a table that an open transaction block (transaction %llu) "
		      "altered, dropped or indexed: that is decided at that block's end",
		      (unsigned long long)by);
	mur_error_hint(err, "retry once that transaction ends");
	return MUR_ERR;
}
