/*
 * lead_txn.c — a session's transaction (docs/transactions.md): the state
 * machine drawn in lead_int.h (lead_txn_state), the block commands BEGIN /
 * COMMIT / ROLLBACK, the transaction a write belongs to, and the implicit
 * transaction of an autocommit statement that writes several shards (or a
 * COPY): all of it or nothing.
 *
 * The work is replication's (replication/repl.h, "transactions"): a
 * repl_txn holds the locks of the shards it wrote; commit releases them,
 * abort undoes each shard to the entry before the transaction's first and
 * then releases them.  This file decides *when*:
 *
 *   BEGIN                 IDLE → ACTIVE (repl_txn_begin, a new txid)
 *   a statement fails     ACTIVE → FAILED (later statements: 25P02), its
 *                         writes since the innermost savepoint undone and
 *                         the locks taken since released first
 *                         (lead_txn_undo_failed)
 *   COMMIT in ACTIVE      ACTIVE → COMMITTING → IDLE, "COMMIT"
 *   COMMIT in FAILED      FAILED → ABORTING → IDLE, "ROLLBACK" (as PostgreSQL)
 *   ROLLBACK              ACTIVE/FAILED → ABORTING → IDLE, answered once
 *                         every shard is undone
 *   SAVEPOINT s           remembers each written shard's position (ACTIVE)
 *   ROLLBACK TO s         undoes every shard written since s to it; FAILED
 *                         → ACTIVE (the savepoints after s go, s stays)
 *   RELEASE s             forgets s and the savepoints after it
 *   the client goes away  ACTIVE/FAILED → ABORTING → IDLE (nobody answered)
 *
 * A block's DDL is finished or undone after its writes, before the answer
 * (block_ended → lead_ddltxn_end; ROLLBACK TO: lead_ddltxn_rollback_to).
 *
 * Implicit blocks (PostgreSQL's "Multiple Statements in a Simple Query"):
 * while a multi-statement Query runs (in_query, lead_txn_query_begin), a
 * statement that finds the session IDLE opens a block first (IDLE →
 * ACTIVE, s->implicit); the Query's end (lead_txn_query_end) commits it,
 * or undoes it after an error.  BEGIN inside makes it a regular block
 * (left open); COMMIT / ROLLBACK end it with a notice, and the statements
 * after them open a new one; savepoints are refused in it (25P01).
 *
 * A run started in a block remembers the block's txid: a write it sends
 * after the block ended (the session closed while it ran) is refused
 * rather than made outside any transaction.
 */
#include "leader/lead_int.h"

#include "common/log.h"
#include "common/zalloc.h"

#include <assert.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* ---- the state machine ---- */

#define T(s) (1u << LEAD_TXN_##s)
static const unsigned txn_allowed[LEAD_TXN_STATES] = {
	[LEAD_TXN_IDLE] = T(ACTIVE),
	[LEAD_TXN_ACTIVE] = T(FAILED) | T(COMMITTING) | T(ABORTING),
	[LEAD_TXN_FAILED] = T(ABORTING) | T(ACTIVE),
	[LEAD_TXN_COMMITTING] = T(IDLE),
	[LEAD_TXN_ABORTING] = T(IDLE),
};
#undef T

int lead_txn_transition_allowed(lead_txn_state from, lead_txn_state to)
{
	if ((unsigned)from >= LEAD_TXN_STATES || (unsigned)to >= LEAD_TXN_STATES)
		return 0;
	return (txn_allowed[from] >> to) & 1u;
}

const char *lead_txn_state_name(lead_txn_state st)
{
	static const char *const names[LEAD_TXN_STATES] = {"idle", "active", "failed", "committing",
							   "aborting"};
	return (unsigned)st < LEAD_TXN_STATES ? names[st] : "?";
}

/* The one place a session's transaction state changes. */
static void txn_set(lead_session *s, lead_txn_state to)
{
	if (!lead_txn_transition_allowed(s->txn, to))
		MLOG(ERROR, "txn", "session transaction: no transition %s -> %s",
		     lead_txn_state_name(s->txn), lead_txn_state_name(to));
	assert(lead_txn_transition_allowed(s->txn, to));
	s->txn = to;
}

char lead_txn_status(const lead_session *s)
{
	switch (s->txn) {
	case LEAD_TXN_IDLE:
		return 'I';
	case LEAD_TXN_FAILED:
		return 'E';
	default:
		return 'T';
	}
}

void lead_txn_statement_failed(lead_session *s)
{
	if (s->txn == LEAD_TXN_ACTIVE)
		txn_set(s, LEAD_TXN_FAILED);
}

void lead_session_ran(lead_session *s, const plan *p, int failed, uint64_t changes)
{
	(void)p;
	(void)changes;
	lead_ddltxn_unqueue(s); /* its DDL ran: holds the table now, or failed */
	if (failed)
		lead_txn_statement_failed(s);
}

uint64_t lead_txn_current_id(lead_engine *e)
{
	lead_session *s = e->local_session;
	if (s && s->txid)
		return s->txid;
	return lead_time_id(&e->txid_next);
}

/* ---- ending a block ---- */

/* The block's transaction has ended: back to IDLE, then the run that
 * ended it (NULL: the session closed) is answered. */
typedef struct block_end {
	lead_session *s;
	lead_run *r;
	pgw_done_cb done; /* or this is answered (the end of a Query's implicit block) */
	void *done_arg;
	const char *tag; /* "COMMIT" or "ROLLBACK" */
	int abort;       /* the block is being undone (ROLLBACK, COMMIT after an error) */
	int failed;      /* how the transaction ended (repl_txn_cb's) */
	int has_err;
	mur_error err;
} block_end;

/* Forget the savepoints from index `from` on. */
static void savepoints_drop(lead_session *s, int from)
{
	while (s->nsavepoints > from) {
		lead_savepoint *sp = &s->savepoints[--s->nsavepoints];
		repl_savepoint_free(sp->sp);
		lead_setscope_free(sp->set);
	}
}

/* The block's DDL is finished or undone too: answer. */
static void block_answer(void *arg)
{
	block_end *be = arg;
	lead_session *s = be->s;
	lead_run *r = be->r;
	int failed = be->failed;
	const mur_error *err = be->has_err ? &be->err : NULL;
	txn_set(s, LEAD_TXN_IDLE);
	s->implicit = 0;
	lead_setscope_end(s, !be->abort && !failed); /* a failed COMMIT rolled back */
	lead_session_set(s, "transaction_isolation",
			 lead_session_get(s, "default_transaction_isolation"));
	lead_session_set(s, "transaction_read_only", "off");
	savepoints_drop(s, 0);
	free(s->savepoints);
	s->savepoints = NULL;
	s->capsavepoints = 0;
	s->txid = 0;
	if (r) {
		/* An undo that failed on a copy does not make the abort
		 * uncertain: that copy is DIVERGENT, serves nothing, and is
		 * undone to the committed entry (or rebuilt) when it returns;
		 * a restarted leader presumes the abort too.  So ROLLBACK
		 * succeeds, as it always does in PostgreSQL (a client told it
		 * failed believes its block is still open and sends no BEGIN
		 * before its next one: found by the bank nemesis), and says
		 * what happened. */
		if ((failed && be->abort) || (!failed && err && err->message[0])) {
			pgw_result_add_notice(r->res, "%s", err->message);
			failed = 0;
		}
		if (failed)
			lead_run_fail(r, err);
		snprintf(r->res->tag, sizeof r->res->tag, "%s", be->tag);
		lead_run_finish(r);
	} else if (be->done) {
		pgw_result *res = pgw_result_new();
		if (res && ((failed && be->abort) || (!failed && err && err->message[0])))
			pgw_result_add_notice(res, "%s", err->message); /* as above */
		else if (res && failed)
			pgw_result_set_error(res, err);
		be->done(be->done_arg, res);
	}
	free(be);
	lead_session_unref(s);
}

static void block_ended(void *arg, int failed, const mur_error *err)
{
	block_end *be = arg;
	be->failed = failed;
	if ((be->has_err = err != NULL))
		be->err = *err;
	lead_ddltxn_end(be->s, !be->abort && !failed, block_answer, be);
}

/* End the session's block: commit it (abort = 0) or undo it.  r, or
 * else done (both NULL: the session closed), is answered once it ended. */
static void block_end_start(lead_session *s, lead_run *r, pgw_done_cb done, void *done_arg,
			    int abort, const char *tag)
{
	repl_txn *tx = s->tx;
	block_end *be = mur_calloc(1, sizeof *be);
	mur_error err;
	if (!be) {
		/* cannot wait for the end: the locks and entries stay until the
		 * leader restarts (presumed abort); the client must not believe
		 * otherwise */
		mur_error_set(&err, SQLSTATE_OUT_OF_MEMORY, "out of memory ending the transaction");
		if (r) {
			lead_run_fail(r, &err);
			lead_run_finish(r);
		} else if (done) {
			pgw_result *res = pgw_result_new();
			if (res)
				pgw_result_set_error(res, &err);
			done(done_arg, res);
		}
		return;
	}
	be->s = s;
	be->r = r;
	be->done = done;
	be->done_arg = done_arg;
	be->tag = tag;
	be->abort = abort;
	s->refs++;
	s->tx = NULL;
	txn_set(s, abort ? LEAD_TXN_ABORTING : LEAD_TXN_COMMITTING);
	if (abort) {
		mur_error_set(&err, SQLSTATE_IN_FAILED_SQL_TRANSACTION,
			      "transaction %llu was rolled back", (unsigned long long)s->txid);
		repl_txn_abort(s->e->repl, tx, &err, block_ended, be);
	} else {
		lead_ddltxn_commit_prepare(s);
		repl_txn_set_parallel(tx, lead_session_parallel_commits(s) &&
						  !lead_ddltxn_altered_any(s));
		if (lead_ddltxn_altered_any(s)) /* catalog_alter.c */
			repl_txn_set_recorded(tx);
		repl_txn_commit(s->e->repl, tx, lead_session_quorum(s), block_ended, be);
	}
}

/* Open a block at isolation level `level` ("": the session's default):
 * IDLE → ACTIVE with a new txid.  MUR_OK, or MUR_ERR with err (IDLE). */
static int block_open(lead_session *s, const char *level, mur_error *err)
{
	if (lead_setscope_begin(s, err) != MUR_OK)
		return MUR_ERR;
	lead_session_set(s, "transaction_isolation",
			 level[0] ? level : lead_session_get(s, "default_transaction_isolation"));
	lead_session_set(s, "transaction_read_only", "off");
	s->txid = lead_time_id(&s->e->txid_next);
	if (!(s->tx = repl_txn_begin(s->e->repl, s->txid, err))) {
		s->txid = 0;
		lead_setscope_end(s, 0);
		return MUR_ERR;
	}
	repl_txn_set_batch(s->tx, lead_session_replica_batch(s));
	txn_set(s, LEAD_TXN_ACTIVE);
	return MUR_OK;
}

void lead_txn_begin(lead_run *r)
{
	lead_session *s = r->s;
	mur_error err;
	snprintf(r->res->tag, sizeof r->res->tag, "BEGIN");
	if (s->implicit && s->txn == LEAD_TXN_ACTIVE) {
		/* the Query's statements so far join the regular block */
		s->implicit = 0;
		if (r->p->u.set.value[0])
			lead_session_set(s, "transaction_isolation", r->p->u.set.value);
		lead_txn_set_read_only(s, &r->p->u.set);
		lead_run_finish(r);
		return;
	}
	if (s->txn != LEAD_TXN_IDLE) {
		pgw_result_add_notice(r->res, "there is already a transaction in progress");
		lead_run_finish(r);
		return;
	}
	if (block_open(s, r->p->u.set.value, &err) != MUR_OK) /* BEGIN's level, or default */
		lead_run_fail(r, &err);
	else
		lead_txn_set_read_only(s, &r->p->u.set);
	lead_run_finish(r);
}

void lead_txn_commit(lead_run *r)
{
	lead_session *s = r->s;
	if (s->txn == LEAD_TXN_IDLE) {
		pgw_result_add_notice(r->res, "there is no transaction in progress");
		snprintf(r->res->tag, sizeof r->res->tag, "COMMIT");
		lead_run_finish(r);
		return;
	}
	if (s->implicit)
		pgw_result_add_notice(r->res, "there is no transaction in progress");
	if (s->txn == LEAD_TXN_FAILED)
		block_end_start(s, r, NULL, NULL, 1, "ROLLBACK");
	else
		block_end_start(s, r, NULL, NULL, 0, "COMMIT");
}

void lead_txn_rollback(lead_run *r)
{
	lead_session *s = r->s;
	if (s->txn == LEAD_TXN_IDLE) {
		pgw_result_add_notice(r->res, "there is no transaction in progress");
		snprintf(r->res->tag, sizeof r->res->tag, "ROLLBACK");
		lead_run_finish(r);
		return;
	}
	if (s->implicit)
		pgw_result_add_notice(r->res, "there is no transaction in progress");
	block_end_start(s, r, NULL, NULL, 1, "ROLLBACK");
}

void lead_txn_session_closed(lead_session *s)
{
	if (s->txn == LEAD_TXN_ACTIVE || s->txn == LEAD_TXN_FAILED)
		block_end_start(s, NULL, NULL, NULL, 1, "ROLLBACK");
}

/* ---- the implicit block of a multi-statement Query ---- */

void lead_txn_query_begin(void *esess)
{
	lead_session *s = esess;
	s->in_query = 1;
}

int lead_txn_implicit_start(lead_session *s, const plan *p, mur_error *err)
{
	if (!s->in_query || s->txn != LEAD_TXN_IDLE)
		return MUR_OK;
	if (p &&
	    (p->kind == PLAN_BEGIN || p->kind == PLAN_COMMIT || p->kind == PLAN_ROLLBACK ||
	     p->kind == PLAN_SAVEPOINT || p->kind == PLAN_RELEASE || p->kind == PLAN_ROLLBACK_TO))
		return MUR_OK; /* as outside a Query: no block to end or join */
	if (block_open(s, "", err) != MUR_OK)
		return MUR_ERR;
	s->implicit = 1;
	return MUR_OK;
}

void lead_txn_query_end(void *esess, int failed, pgw_done_cb done, void *arg)
{
	lead_session *s = esess;
	s->in_query = 0;
	if (!s->implicit || (s->txn != LEAD_TXN_ACTIVE && s->txn != LEAD_TXN_FAILED)) {
		done(arg, pgw_result_new());
		return;
	}
	if (failed || s->txn == LEAD_TXN_FAILED)
		block_end_start(s, NULL, done, arg, 1, "ROLLBACK");
	else
		block_end_start(s, NULL, done, arg, 0, "COMMIT");
}

void lead_txn_set_read_only(lead_session *s, const plan_set *ps)
{
	if (ps->read_only)
		lead_session_set(s, "transaction_read_only", ps->read_only > 0 ? "on" : "off");
}

int lead_txn_read_only(lead_session *s)
{
	const char *v = lead_session_get(s, "transaction_read_only");
	return s->txn != LEAD_TXN_IDLE && v && !strcasecmp(v, "on");
}

int lead_txn_write_refused(lead_run *r)
{
	mur_error err;
	const char *locks = r->p->kind == PLAN_SELECT ? r->p->u.select.locks_name : NULL;
	if (!lead_txn_read_only(r->s) || (!sql_plan_writes(r->p) && !locks))
		return 0;
	mur_error_set(&err, SQLSTATE_READ_ONLY_SQL_TRANSACTION,
		      "cannot execute %s in a read-only transaction", locks ? locks : r->p->tag);
	lead_run_fail(r, &err);
	lead_run_finish(r);
	return 1;
}

typedef struct lock_wait {
	pgw_done_cb done;
	void *arg;
} lock_wait;

/* The lock's read answered: no rows, the command's tag. */
static void lock_read_done(void *arg, pgw_result *res)
{
	lock_wait lw = *(lock_wait *)arg;
	free(arg);
	if (res && res->kind == PGW_RESULT_ROWS) {
		res->kind = PGW_RESULT_COMMAND;
		snprintf(res->tag, sizeof res->tag, "LOCK TABLE");
	}
	lw.done(lw.arg, res);
}

/* The LOCK did not start: err to the client, the block FAILED. */
static void lock_refused(lead_session *s, const plan *p, const mur_error *err, pgw_done_cb done,
			 void *arg)
{
	pgw_result *res = pgw_result_new();
	lead_session_ran(s, p, 1, 0);
	if (res)
		pgw_result_set_error(res, err);
	done(arg, res);
}

void lead_txn_lock(lead_session *s, const plan *p, const char *sql, pgw_done_cb done, void *arg)
{
	lock_wait *lw = NULL;
	lead_run *r = NULL;
	mur_error err;
	if (s->txn == LEAD_TXN_IDLE)
		mur_error_set(&err, SQLSTATE_NO_ACTIVE_SQL_TRANSACTION,
			      "LOCK TABLE can only be used in transaction blocks");
	else if (!lead_txn_serializable(s)) {
		mur_error_set(&err, SQLSTATE_FEATURE_NOT_SUPPORTED,
			      "murphy's LOCK TABLE needs a REPEATABLE READ or SERIALIZABLE block");
		mur_error_hint(&err,
			       "At READ COMMITTED murphy's reads lock nothing; BEGIN ISOLATION "
			       "LEVEL REPEATABLE READ locks every shard it reads to its end.");
	} else if (!(lw = malloc(sizeof *lw)) ||
		   !(r = lead_run_new(s, p->u.lock.query, lock_read_done, lw))) {
		free(lw);
		lw = NULL;
		mur_error_set(&err, SQLSTATE_OUT_OF_MEMORY, "out of memory");
	}
	if (!r) {
		lock_refused(s, p, &err, done, arg);
		return;
	}
	lw->done = done;
	lw->arg = arg;
	snprintf(r->sql_text, sizeof r->sql_text, "%s", sql ? sql : "LOCK TABLE");
	lead_run_start(r);
}

int lead_txn_serializable(lead_session *s)
{
	const char *v = lead_session_get(s, "transaction_isolation");
	return s->txn != LEAD_TXN_IDLE && v &&
	       (!strcasecmp(v, "serializable") || !strcasecmp(v, "repeatable read"));
}

/* ---- savepoints ---- */

/* 25P01 for cmd outside a block: 1 (r finished) when so. */
static int outside_block(lead_run *r, const char *cmd)
{
	mur_error err;
	if (r->s->txn != LEAD_TXN_IDLE && !r->s->implicit)
		return 0;
	mur_error_set(&err, SQLSTATE_NO_ACTIVE_SQL_TRANSACTION,
		      "%s can only be used in transaction blocks", cmd);
	lead_run_fail(r, &err);
	lead_run_finish(r);
	return 1;
}

/* The newest savepoint called name; -1 (r failed with 3B001) when none. */
static int savepoint_find(lead_run *r, const char *name)
{
	lead_session *s = r->s;
	mur_error err;
	for (int i = s->nsavepoints - 1; i >= 0; i--)
		if (strcmp(s->savepoints[i].name, name) == 0)
			return i;
	mur_error_set(&err, SQLSTATE_INVALID_SAVEPOINT_SPECIFICATION,
		      "savepoint \"%s\" does not exist", name);
	lead_run_fail(r, &err);
	return -1;
}

void lead_txn_savepoint(lead_run *r)
{
	lead_session *s = r->s;
	const char *name = r->p->u.savepoint.name;
	mur_error err;
	if (outside_block(r, "SAVEPOINT"))
		return;
	snprintf(r->res->tag, sizeof r->res->tag, "SAVEPOINT");
	if (s->nsavepoints == s->capsavepoints) {
		int cap = s->capsavepoints ? s->capsavepoints * 2 : 8;
		lead_savepoint *g = cap > LEAD_SAVEPOINTS_MAX
					    ? NULL
					    : realloc(s->savepoints, (size_t)cap * sizeof *g);
		if (!g) {
			mur_error_set(&err, SQLSTATE_PROGRAM_LIMIT_EXCEEDED,
				      "a transaction block holds at most %d savepoints",
				      LEAD_SAVEPOINTS_MAX);
			mur_error_hint(&err, "RELEASE the savepoints no longer needed");
			lead_run_fail(r, &err);
			lead_run_finish(r);
			return;
		}
		s->savepoints = g;
		s->capsavepoints = cap;
	}
	if (!(s->savepoints[s->nsavepoints].set = lead_setscope_savepoint(s))) {
		mur_error_set(&err, SQLSTATE_OUT_OF_MEMORY, "out of memory");
		lead_run_fail(r, &err);
	} else if (!(s->savepoints[s->nsavepoints].sp = repl_txn_savepoint(s->e->repl, s->tx))) {
		lead_setscope_free(s->savepoints[s->nsavepoints].set);
		mur_error_set(&err, SQLSTATE_OUT_OF_MEMORY, "out of memory");
		lead_run_fail(r, &err);
	} else {
		snprintf(s->savepoints[s->nsavepoints].name, sizeof s->savepoints[0].name, "%s",
			 name);
		s->savepoints[s->nsavepoints].nddl = s->nddl;
		s->nsavepoints++;
	}
	lead_run_finish(r);
}

void lead_txn_release(lead_run *r)
{
	int i;
	if (outside_block(r, "RELEASE SAVEPOINT"))
		return;
	snprintf(r->res->tag, sizeof r->res->tag, "RELEASE");
	if ((i = savepoint_find(r, r->p->u.savepoint.name)) >= 0)
		savepoints_drop(r->s, i);
	lead_run_finish(r);
}

static void rolled_back_to(void *arg, int failed, const mur_error *err)
{
	lead_run *r = arg;
	if (failed)
		lead_run_fail(r, err);
	else if (r->s->txn == LEAD_TXN_FAILED)
		txn_set(r->s, LEAD_TXN_ACTIVE);
	lead_run_finish(r);
}

/* The DDL since the savepoint is undone: now its writes (the savepoint
 * is the newest left). */
static void rollback_to_writes(void *arg)
{
	lead_run *r = arg;
	lead_session *s = r->s;
	lead_savepoint *sp;
	mur_error why;
	if (!s->tx || s->nsavepoints == 0) { /* the block ended meanwhile (client gone) */
		lead_run_finish(r);
		return;
	}
	sp = &s->savepoints[s->nsavepoints - 1];
	mur_error_set(&why, SQLSTATE_IN_FAILED_SQL_TRANSACTION, "rolled back to savepoint \"%s\"",
		      sp->name);
	repl_txn_rollback_to(s->e->repl, s->tx, sp->sp, &why, rolled_back_to, r);
}

void lead_txn_rollback_to(lead_run *r)
{
	lead_session *s = r->s;
	int i;
	if (outside_block(r, "ROLLBACK TO SAVEPOINT"))
		return;
	if (s->undoing) { /* a failed statement's undo first (lead_txn_failed_unrun) */
		s->undo_waiter = r;
		return;
	}
	snprintf(r->res->tag, sizeof r->res->tag, "ROLLBACK");
	if ((i = savepoint_find(r, r->p->u.savepoint.name)) < 0) {
		lead_run_finish(r);
		return;
	}
	savepoints_drop(s, i + 1);
	lead_setscope_rollback_to(s, s->savepoints[i].set); /* its SETs since are undone */
	lead_ddltxn_rollback_to(s, s->savepoints[i].nddl, rollback_to_writes, r);
}

/* ---- the transaction of a write ---- */

void lead_txn_run_started(lead_run *r)
{
	if (r->s->txn == LEAD_TXN_ACTIVE || r->s->txn == LEAD_TXN_FAILED)
		r->block_txid = r->s->txid;
}

repl_txn *lead_txn_of_run(const lead_run *r)
{
	const lead_run *top = r;
	while (top->parent)
		top = top->parent;
	if (top->block_txid)
		return top->block_txid == r->s->txid ? r->s->tx : NULL;
	return top->itx;
}

/* A time setting in ms for repl_write_facts (UINT32_MAX at most). */
static uint32_t setting_ms32(lead_session *s, const char *name)
{
	uint64_t ms = lead_session_ms(s, name);
	return ms >= UINT32_MAX ? UINT32_MAX : (uint32_t)ms;
}

void lead_txn_wait_facts(lead_session *s, repl_write_facts *facts)
{
	facts->lock_timeout_ms = setting_ms32(s, "lock_timeout");
	facts->deadlock_timeout_ms = setting_ms32(s, "deadlock_timeout");
	facts->serializable = lead_txn_serializable(s);
}

int lead_txn_for_write(lead_run *r, int nshards, repl_write_facts *facts)
{
	repl_txn **out = &facts->txn;
	lead_session *s = r->s;
	lead_run *top = r;
	mur_error err;
	while (top->parent)
		top = top->parent;
	*out = NULL;
	lead_txn_wait_facts(s, facts);
	if (top->block_txid) {
		if (s->txn != LEAD_TXN_ACTIVE || s->txid != top->block_txid || !s->tx) {
			mur_error_set(&err, SQLSTATE_IN_FAILED_SQL_TRANSACTION,
				      "transaction %llu has ended; the statement's writes were not "
				      "sent",
				      (unsigned long long)top->block_txid);
			lead_run_fail(r, &err);
			return MUR_ERR;
		}
		*out = s->tx;
		facts->pipelined = 1; /* answered at the primary; COMMIT waits for the quorum */
		return MUR_OK;
	}
	if (!top->itx && nshards > 1) {
		/* an autocommit statement over several shards: all or nothing */
		if (!(top->itx = repl_txn_begin(s->e->repl, lead_time_id(&s->e->txid_next),
						&err))) {
			lead_run_fail(r, &err);
			return MUR_ERR;
		}
	}
	*out = top->itx;
	return MUR_OK;
}

/* ---- a failed statement's undo ---- */

typedef struct failed_undo {
	lead_session *s; /* a reference */
	void (*then)(void *arg);
	void *arg;
	uint64_t txid;
} failed_undo;

static void failed_undone(void *arg, int failed, const mur_error *err)
{
	failed_undo fu = *(failed_undo *)arg;
	lead_session *s = fu.s;
	free(arg);
	if (failed) /* a copy keeps the writes (DIVERGENT): ROLLBACK tries no more */
		MLOG(WARN, "txn", "transaction %llu: undo after a failed statement: %s",
		     (unsigned long long)fu.txid, err->message);
	s->undoing--;
	if (fu.then)
		fu.then(fu.arg);
	if (!s->undoing && s->undo_waiter) {
		lead_run *r = s->undo_waiter;
		s->undo_waiter = NULL;
		lead_txn_rollback_to(r);
	}
	lead_session_unref(s);
}

int lead_txn_undo_failed(lead_session *s, uint64_t block_txid, const mur_error *why,
			 void (*then)(void *arg), void *arg)
{
	failed_undo *fu;
	if (!block_txid || s->implicit || s->txn != LEAD_TXN_ACTIVE || s->txid != block_txid ||
	    !s->tx || !(fu = malloc(sizeof *fu)))
		return 0; /* a Query's implicit block is undone whole at its end */
	fu->s = s;
	fu->then = then;
	fu->arg = arg;
	fu->txid = block_txid;
	s->refs++;
	s->undoing++;
	repl_txn_undo_failed(s->e->repl, s->tx,
			     s->nsavepoints ? s->savepoints[s->nsavepoints - 1].sp : NULL, why,
			     failed_undone, fu);
	return 1;
}

void lead_txn_failed_unrun(lead_session *s)
{
	mur_error why;
	if (s->txn != LEAD_TXN_ACTIVE)
		return; /* a run's error: undone before it was answered */
	mur_error_set(&why, SQLSTATE_IN_FAILED_SQL_TRANSACTION,
		      "current transaction is aborted, commands ignored until end of transaction "
		      "block");
	lead_txn_undo_failed(s, s->txid, &why, NULL, NULL);
	lead_txn_statement_failed(s);
}

static void implicit_ended(void *arg, int failed, const mur_error *err)
{
	lead_run *r = arg;
	if (failed) {
		/* an undo failed: the statement's outcome on that copy is not
		 * what the client would read into its error */
		r->failed = 0;
		lead_run_fail(r, err);
	} else if (err && err->message[0]) {
		pgw_result_add_notice(r->res, "%s", err->message);
	}
	if (r->analyze_txid)
		lead_explain_committed(r);
	if (r->txn_ended)
		r->txn_ended(r);
	lead_run_finish(r);
}

int lead_txn_end_implicit(lead_run *r)
{
	repl_txn *tx = r->itx;
	if (!tx)
		return 0;
	r->itx = NULL;
	if (r->failed) {
		repl_txn_abort(r->e->repl, tx, &r->err, implicit_ended, r);
	} else {
		repl_txn_set_parallel(tx, !r->txn_ended && lead_session_parallel_commits(r->s));
		if (r->txn_ended)
			repl_txn_set_recorded(tx);
		repl_txn_commit(r->e->repl, tx, lead_session_quorum(r->s), implicit_ended, r);
	}
	return 1;
}
