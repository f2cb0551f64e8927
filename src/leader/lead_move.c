/*
 * lead_move.c — the SQL face of moving a copy (replication/repl_move.c does
 * the moving): SELECT murphy.move_placement('t', shard, 'from', 'to').
 *
 * The call is a leader-only SELECT whose SQLite function runs twice:
 *   1. first run: murphy_move_placement checks the request and starts the
 *      moves (repl_move_start; an error fails the statement, nothing
 *      started), remembering the group on the run (r->move_group), and
 *      answers NULL; leader_select_run then parks the run on the group
 *      (lead_move_park) instead of answering;
 *   2. once every move of the group finished, the run starts again: the
 *      function sees the group and answers what happened (bytes, time,
 *      write pause, or why not), with the estimate made before the copy
 *      as a NOTICE.
 * A cancel (statement_timeout, pg_cancel) stops the waiting, not the move:
 * murphy.moves keeps showing it.  The throttle is the session's
 * murphy.move_max_mbps.  Moving, splitting and rebalancing change where
 * every user's data lives: a superuser's to do (42501 otherwise), as
 * murphy.fault and ALTER SYSTEM are.
 */
#include "leader/lead_int.h"
#include "storage/storage.h"

#include <stdio.h>
#include <string.h>

/* The result text: one line per co-located table moved. */
#define LEAD_MOVE_RESULT_MAX 4096

static void fn_error(sqlite3_context *ctx, const mur_error *err)
{
	char msg[MUR_ERROR_MESSAGE_MAX + MUR_ERROR_DETAIL_MAX + 32];
	snprintf(msg, sizeof msg, "SQLSTATE:%s:%s%s%s", err->sqlstate, err->message,
		 err->hint[0] ? STOR_ERROR_HINT_SEP : "", err->hint);
	sqlite3_result_error(ctx, msg, -1);
}

/* 1 (and the statement failed with 42501) unless r's role is a superuser. */
static int not_superuser(sqlite3_context *ctx, const lead_run *r, const char *fn)
{
	mur_error err;
	if (!r || !r->s || r->s->superuser)
		return 0;
	mur_error_clear(&err);
	mur_error_set(&err, SQLSTATE_INSUFFICIENT_PRIVILEGE,
		      "permission denied: murphy.%s() needs a superuser", fn);
	fn_error(ctx, &err);
	return 1;
}

static void fn_move_placement(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
	lead_engine *e = sqlite3_user_data(ctx);
	lead_run *r = e->local_run;
	char out[LEAD_MOVE_RESULT_MAX];
	repl_move_req rq;
	mur_error err;
	(void)argc;
	mur_error_clear(&err);
	if (!r) {
		mur_error_set(&err, SQLSTATE_FEATURE_NOT_SUPPORTED,
			      "murphy.move_placement() runs on the leader only");
		return fn_error(ctx, &err);
	}
	if (r->move_parked) { /* the second run: the moves are over */
		repl_move_result(e->repl, r->move_group, out, sizeof out);
		sqlite3_result_text(ctx, out, -1, SQLITE_TRANSIENT);
		return;
	}
	if (r->move_group) {
		mur_error_set(&err, SQLSTATE_FEATURE_NOT_SUPPORTED,
			      "one murphy.move_placement() call per statement");
		return fn_error(ctx, &err);
	}
	if (not_superuser(ctx, r, "move_placement"))
		return;
	for (int i = 0; i < 4; i++)
		if (sqlite3_value_type(argv[i]) == SQLITE_NULL)
			return sqlite3_result_null(ctx); /* strict, as PostgreSQL's functions */
	memset(&rq, 0, sizeof rq);
	rq.table = (const char *)sqlite3_value_text(argv[0]);
	rq.shard = sqlite3_value_int64(argv[1]);
	rq.from = (const char *)sqlite3_value_text(argv[2]);
	rq.to = (const char *)sqlite3_value_text(argv[3]);
	if (repl_move_rate_parse(lead_session_get(r->s, "murphy.move_max_mbps"), &rq.max_bps) !=
		    MUR_OK ||
	    repl_move_start(e->repl, &rq, &r->move_group, &err) != MUR_OK)
		return fn_error(ctx, &err);
	sqlite3_result_null(ctx);
}

/* murphy.split_shard('t', shard [, 'at']): started as a move is, waited
 * for as a move is (its rows are in murphy.moves). */
static void fn_split_shard(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
	lead_engine *e = sqlite3_user_data(ctx);
	lead_run *r = e->local_run;
	char out[LEAD_MOVE_RESULT_MAX];
	repl_split_req rq;
	mur_error err;
	mur_error_clear(&err);
	if (r && r->move_parked) { /* the second run: the split is over */
		repl_move_result(e->repl, r->move_group, out, sizeof out);
		sqlite3_result_text(ctx, out, -1, SQLITE_TRANSIENT);
		return;
	}
	if (!r || r->move_group) {
		mur_error_set(&err, SQLSTATE_FEATURE_NOT_SUPPORTED,
			      "murphy.split_shard() runs on the leader, once per statement");
		return fn_error(ctx, &err);
	}
	if (not_superuser(ctx, r, "split_shard"))
		return;
	for (int i = 0; i < argc; i++)
		if (sqlite3_value_type(argv[i]) == SQLITE_NULL)
			return sqlite3_result_null(ctx); /* strict, as PostgreSQL's functions */
	memset(&rq, 0, sizeof rq);
	rq.table = (const char *)sqlite3_value_text(argv[0]);
	rq.shard = sqlite3_value_int64(argv[1]);
	rq.at = argc > 2 ? (const char *)sqlite3_value_text(argv[2]) : NULL;
	if (repl_split_start(e->repl, &rq, &r->move_group, &err) != MUR_OK)
		return fn_error(ctx, &err);
	sqlite3_result_null(ctx);
}

/* murphy.rebalance(): the plan's moves in one group, waited for as one
 * call of murphy.move_placement is. */
static void fn_rebalance(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
	lead_engine *e = sqlite3_user_data(ctx);
	lead_run *r = e->local_run;
	char out[LEAD_MOVE_RESULT_MAX], skipped[LEAD_MOVE_RESULT_MAX];
	uint64_t max_bps = 0;
	mur_error err;
	(void)argc, (void)argv;
	mur_error_clear(&err);
	if (r && r->move_parked) { /* the second run: the moves are over */
		repl_move_result(e->repl, r->move_group, out, sizeof out);
		sqlite3_result_text(ctx, out, -1, SQLITE_TRANSIENT);
		return;
	}
	if (!r || r->move_group) {
		mur_error_set(&err, SQLSTATE_FEATURE_NOT_SUPPORTED,
			      "murphy.rebalance() runs on the leader, once per statement");
		return fn_error(ctx, &err);
	}
	if (not_superuser(ctx, r, "rebalance"))
		return;
	repl_move_rate_parse(lead_session_get(r->s, "murphy.move_max_mbps"), &max_bps);
	if (repl_rebalance_start(e->repl, max_bps, &r->move_group, skipped, sizeof skipped, &err) !=
	    MUR_OK)
		return fn_error(ctx, &err);
	if (!r->move_group) {
		sqlite3_result_text(ctx,
				    "balanced: no move would even out the copies or the load per "
				    "follower",
				    -1, SQLITE_STATIC);
		return;
	}
	if (skipped[0])
		pgw_result_add_notice(r->res, "not started: %s", skipped);
	sqlite3_result_null(ctx);
}

void lead_move_register(lead_engine *e)
{
	sqlite3_create_function(e->mem, "murphy_move_placement", 4, SQLITE_UTF8, e,
				fn_move_placement, NULL, NULL);
	sqlite3_create_function(e->mem, "murphy_rebalance", 0, SQLITE_UTF8, e, fn_rebalance, NULL,
				NULL);
	sqlite3_create_function(e->mem, "murphy_split_shard", 2, SQLITE_UTF8, e, fn_split_shard,
				NULL, NULL);
	sqlite3_create_function(e->mem, "murphy_split_shard", 3, SQLITE_UTF8, e, fn_split_shard,
				NULL, NULL);
}

static void moved(void *arg)
{
	lead_run *r = arg;
	char notice[256];
	r->on_cancel = NULL;
	repl_move_estimate(r->e->repl, r->move_group, notice, sizeof notice);
	if (notice[0])
		pgw_result_add_notice(r->res, "%s", notice);
	mur_buf_reset(&r->rows); /* the first run's row (NULL) goes */
	r->nrows = 0;
	lead_run_start(r); /* the function answers with the moves' outcome */
}

static void move_cancelled(lead_run *r, const mur_error *err)
{
	mur_error e2 = *err;
	repl_move_unwait(r->e->repl, moved, r);
	mur_error_hint(&e2, "The move goes on: SELECT * FROM murphy.moves.");
	lead_run_fail(r, &e2);
	lead_run_finish(r);
}

int lead_move_park(lead_run *r)
{
	if (!r->move_group || r->move_parked || r->failed)
		return 0;
	r->move_parked = 1;
	if (!repl_move_wait(r->e->repl, r->move_group, moved, r)) {
		moved(r); /* over already (every move aborted at once) */
		return 1;
	}
	r->on_cancel = move_cancelled;
	return 1;
}
