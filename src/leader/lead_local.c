/*
 * lead_local.c — the leader's own in-memory SQLite.
 *
 * Used for everything the leader computes itself over small inputs:
 *   - INSERT's values_sql (literals, parameters, defaults such as now())
 *   - a SELECT's final_sql over the merged shard rows as table r, a
 *     virtual table reading them where they are (storage/rowtab.c; columns
 *     c0, c1, ... without affinity, so values keep their class)
 *   - SELECTs without distributed tables, and the murphy.* views
 *     (materialized by lead_views.c right before such a query runs).
 * The SQL functions the emitter relies on are registered here too
 * (stor_register_functions), so the leader and the followers agree.
 * Everything runs on the loop thread; the inputs are bounded by what the
 * followers return.
 *
 * Statements are kept for reuse (storage/stmt_cache.h, keyed by the SQL
 * text; lead_local_query): TPC-B's history INSERT runs the same values_sql
 * at every transaction (a kept plan's, its values as parameters), and
 * preparing it was ~6 % of the leader's CPU.  A kept statement is reset
 * with its bindings cleared after each use, success or not, and dropped
 * after an error.  It stays right without more invalidation because
 * SQLite re-prepares it when the schema it reads or the functions
 * registered change, and because nothing the leader emits is folded at
 * prepare time: session settings reach SQLite in the text (the zone of
 * TimeZone, sqlfn_tz.c) or are read when a function runs (current_setting,
 * the session's sequences, now() as a bound parameter or a literal).
 * SQLite re-prepares it in its first sqlite3_step, so its shape is read
 * after that step: one text (a set operation's `SELECT * FROM
 * main."murphy__sub0" UNION ALL ...`) reads tables lead_local_load makes
 * anew for each query, one or two columns wide, and a column count read
 * before that step was the previous use's (XX000 "no such column: s.c1",
 * docs/plan_cache.md).
 */
#include "leader/lead_int.h"
#include "common/clock.h"
#include "storage/sqlrow.h"

#include "storage/storage.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>

/* SQLite virtual machine steps between two looks at statement_timeout
 * (local_past_deadline): about a millisecond of work. */
#define LEAD_LOCAL_CHECK_OPS 10000

/* SQLite function murphy_fault(cmd): the SQL face of fault injection
 * (SELECT murphy.fault('partition f1 leader')), leader-only.  Refused with
 * 42501 unless the leader was started with --allow-faults (tr.fault set),
 * and to a session whose role is no superuser. */
static void fn_murphy_fault(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
	lead_engine *e = sqlite3_user_data(ctx);
	const char *cmd = (const char *)sqlite3_value_text(argv[0]);
	char reply[512], msg[MUR_ERROR_MESSAGE_MAX + MUR_ERROR_DETAIL_MAX + 32];
	mur_error err;
	(void)argc;
	mur_error_clear(&err);
	if (!e->tr.fault) {
		sqlite3_result_error(ctx,
				     "SQLSTATE:" SQLSTATE_INSUFFICIENT_PRIVILEGE
				     ":fault injection is disabled" STOR_ERROR_HINT_SEP
					     LEAD_FAULTS_OFF_HINT,
				     -1);
		return;
	}
	/* no session known (an INSERT's values): only when nobody logs in */
	if (e->local_session ? !e->local_session->superuser : e->auth_scram) {
		sqlite3_result_error(ctx,
				     "SQLSTATE:" SQLSTATE_INSUFFICIENT_PRIVILEGE
				     ":permission denied: murphy.fault needs a superuser",
				     -1);
		return;
	}
	if (!cmd) {
		sqlite3_result_null(ctx);
		return;
	}
	if (e->tr.fault(e->tr.ctx, cmd, reply, sizeof reply, &err) != MUR_OK) {
		snprintf(msg, sizeof msg, "SQLSTATE:%s:%s%s%s",
			 err.sqlstate[0] ? err.sqlstate : "22023", err.message,
			 err.hint[0] ? STOR_ERROR_HINT_SEP : "", err.hint);
		sqlite3_result_error(ctx, msg, -1);
		return;
	}
	sqlite3_result_text(ctx, reply, -1, SQLITE_TRANSIENT);
}

/* txid_current(): the open block's id, else a new one (the statement's
 * own transaction, as PostgreSQL assigns one). */
static void fn_txid_current(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
	lead_engine *e = sqlite3_user_data(ctx);
	(void)argc;
	(void)argv;
	sqlite3_result_int64(ctx, (sqlite3_int64)lead_txn_current_id(e));
}

/* murphy_backend_pid(): pg_backend_pid() of the session running the
 * statement (its BackendKeyData pid). */
static void fn_backend_pid(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
	lead_engine *e = sqlite3_user_data(ctx);
	(void)argc;
	(void)argv;
	sqlite3_result_int64(ctx, e->local_session ? e->local_session->pid : 0);
}

/* murphy_server_port() / murphy_server_addr(): inet_server_port() and
 * inet_server_addr() of the session's connection (NULL when not known, as
 * PostgreSQL's over a Unix socket). */
static void fn_server_addr(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
	lead_engine *e = sqlite3_user_data(ctx);
	const char *addr;
	int port;
	(void)argc;
	(void)argv;
	if (!e->local_session || !e->local_session->ps ||
	    !pgw_session_local_addr(e->local_session->ps, &addr, &port)) {
		sqlite3_result_null(ctx);
		return;
	}
	sqlite3_result_text(ctx, addr, -1, SQLITE_TRANSIENT);
}

static void fn_server_port(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
	lead_engine *e = sqlite3_user_data(ctx);
	const char *addr;
	int port;
	(void)argc;
	(void)argv;
	if (!e->local_session || !e->local_session->ps ||
	    !pgw_session_local_addr(e->local_session->ps, &addr, &port))
		sqlite3_result_null(ctx);
	else
		sqlite3_result_int(ctx, port);
}

/* murphy_start_time(): pg_postmaster_start_time(), when this leader's
 * engine opened, as timestamptz text in UTC. */
static int64_t started_us;

static void fn_start_time(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
	time_t sec = (time_t)(started_us / 1000000);
	struct tm tm;
	char buf[64];
	(void)argc;
	(void)argv;
	gmtime_r(&sec, &tm);
	snprintf(buf, sizeof buf, "%04d-%02d-%02d %02d:%02d:%02d.%06lld", tm.tm_year + 1900,
		 tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
		 (long long)(started_us % 1000000));
	sqlite3_result_text(ctx, buf, -1, SQLITE_TRANSIENT);
}

/* murphy_nextval / _currval / _setval / _lastval: the sequence functions
 * (parser/analyze_seq.c) on the session running the statement. */
static void seq_call(sqlite3_context *ctx, int argc, sqlite3_value **argv, int next)
{
	lead_engine *e = sqlite3_user_data(ctx);
	cat_seq_session *ss = e->local_session ? &e->local_session->seqs : NULL;
	const char *name = argc ? (const char *)sqlite3_value_text(argv[0]) : NULL;
	char msg[MUR_ERROR_MESSAGE_MAX + 32];
	int64_t v = 0;
	mur_error err;
	int rc;
	mur_error_clear(&err);
	for (int i = 0; i < argc; i++)
		if (sqlite3_value_type(argv[i]) == SQLITE_NULL) /* strict, as PostgreSQL's */
			return sqlite3_result_null(ctx);
	if ((next || argc > 1) && e->local_session && lead_txn_read_only(e->local_session))
		rc = mur_error_set(&err, SQLSTATE_READ_ONLY_SQL_TRANSACTION,
				   "cannot execute %s() in a read-only transaction",
				   next ? "nextval" : "setval");
	else if (argc == 0)
		rc = cat_seq_lastval(e->cat, ss, &v, &err);
	else if (argc > 1)
		rc = cat_seq_setval(e->cat, ss, name, v = sqlite3_value_int64(argv[1]),
				    argc < 3 || sqlite3_value_int(argv[2]), &err);
	else if (next)
		rc = cat_seq_nextval(e->cat, ss, name, &v, &err);
	else
		rc = cat_seq_currval(e->cat, ss, name, &v, &err);
	if (rc == MUR_OK)
		return sqlite3_result_int64(ctx, v);
	snprintf(msg, sizeof msg, "SQLSTATE:%s:%s", err.sqlstate, err.message);
	sqlite3_result_error(ctx, msg, -1);
}

static void fn_nextval(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
	seq_call(ctx, argc, argv, 1);
}

static void fn_seq(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
	seq_call(ctx, argc, argv, 0);
}

/* ---- the session facts pg_catalog's functions read (pgcatalog.h) ---- */

static const char *pgc_user(void *ctx)
{
	lead_engine *e = ctx;
	return e->local_session && e->local_session->user[0] ? e->local_session->user : NULL;
}

static int pgc_pid(void *ctx)
{
	lead_engine *e = ctx;
	return e->local_session ? (int)e->local_session->pid : 0;
}

static const char *pgc_get(void *ctx, const char *name)
{
	lead_engine *e = ctx;
	return e->local_session ? lead_session_get(e->local_session, name) : NULL;
}

static int64_t pgc_now_us(void *ctx, int which)
{
	lead_engine *e = ctx;
	return e->local_session ? lead_activity_now_us(e->local_session, which) : 0;
}

/* set_config(name, value, is_local): SET [LOCAL] name = value, checked
 * and scoped as SET is (lead_session_apply_set). */
static int pgc_set(void *ctx, const char *name, const char *value, int is_local, mur_error *err)
{
	lead_engine *e = ctx;
	plan_set ps = {.is_local = is_local};
	if (!e->local_run)
		return mur_error_set(err, SQLSTATE_INTERNAL_ERROR,
				     "set_config outside a statement");
	snprintf(ps.name, sizeof ps.name, "%s", name);
	snprintf(ps.value, sizeof ps.value, "%s", value);
	return lead_session_apply_set(e->local_run, &ps, err);
}

int lead_local_open(lead_engine *e, mur_error *err)
{
	if (sqlite3_open_v2(":memory:", &e->mem, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE,
			    NULL) != SQLITE_OK)
		return mur_error_set(err, SQLSTATE_INTERNAL_ERROR,
				     "cannot open the leader's SQLite");
	stor_register_functions(e->mem);
	if (lead_outcomes_vt_register(e) != MUR_OK)
		return mur_error_set(err, SQLSTATE_INTERNAL_ERROR,
				     "cannot create murphy.transaction_outcomes in the leader's "
				     "SQLite");
	sqlite3_create_function(e->mem, "murphy_fault", 1, SQLITE_UTF8, e, fn_murphy_fault, NULL,
				NULL);
	sqlite3_create_function(e->mem, "murphy_txid_current", 0, SQLITE_UTF8, e, fn_txid_current,
				NULL, NULL);
	sqlite3_create_function(e->mem, "murphy_backend_pid", 0, SQLITE_UTF8, e, fn_backend_pid,
				NULL, NULL);
	started_us = (int64_t)mur_wall_us();
	sqlite3_create_function(e->mem, "murphy_start_time", 0, SQLITE_UTF8, e, fn_start_time, NULL,
				NULL);
	sqlite3_create_function(e->mem, "murphy_server_addr", 0, SQLITE_UTF8, e, fn_server_addr,
				NULL, NULL);
	sqlite3_create_function(e->mem, "murphy_server_port", 0, SQLITE_UTF8, e, fn_server_port,
				NULL, NULL);
	lead_move_register(e);
	lead_signal_register(e);
	sqlite3_create_function(e->mem, "murphy_nextval", 1, SQLITE_UTF8, e, fn_nextval, NULL,
				NULL);
	sqlite3_create_function(e->mem, "murphy_currval", 1, SQLITE_UTF8, e, fn_seq, NULL, NULL);
	sqlite3_create_function(e->mem, "murphy_setval", -1, SQLITE_UTF8, e, fn_seq, NULL, NULL);
	sqlite3_create_function(e->mem, "murphy_lastval", 0, SQLITE_UTF8, e, fn_seq, NULL, NULL);
	e->pgc = (pgc_session_hooks){.cat = e->cat,
				     .ctx = e,
				     .user = pgc_user,
				     .pid = pgc_pid,
				     .get = pgc_get,
				     .set = pgc_set,
				     .setting_at = lead_setting_name,
				     .setting_internal = lead_setting_internal,
				     .now_us = pgc_now_us};
	return pgc_register(e->mem, &e->pgc, err);
}

int lead_local_fail(lead_engine *e, int rc, mur_error *err)
{
	stor_map_sqlite_error(e->mem, rc, err);
	return MUR_ERR;
}

static int sqlite_fail(lead_engine *e, int rc, mur_error *err)
{
	stor_map_sqlite_error(e->mem, rc, err);
	return MUR_ERR;
}

int lead_local_load(lead_engine *e, const char *table, const mur_buf *rows, uint64_t nrows,
		    uint32_t ncols, mur_error *err)
{
	mur_buf sql;
	sqlite3_stmt *st = NULL;
	int rc;

	mur_buf_init(&sql);
	mur_buf_printf(&sql, "DROP TABLE IF EXISTS \"%s\"", table);
	sqlite3_exec(e->mem, mur_buf_cstr(&sql), NULL, NULL, NULL);
	mur_buf_reset(&sql);
	mur_buf_printf(&sql, "CREATE TABLE \"%s\"(", table);
	for (uint32_t i = 0; i < ncols; i++)
		mur_buf_printf(&sql, "%sc%u", i ? ", " : "", i);
	if (ncols == 0)
		mur_buf_printf(&sql, "c0");
	mur_buf_printf(&sql, ")");
	rc = sqlite3_exec(e->mem, mur_buf_cstr(&sql), NULL, NULL, NULL);
	mur_buf_reset(&sql);
	if (rc != SQLITE_OK) {
		mur_buf_free(&sql);
		return sqlite_fail(e, rc, err);
	}
	mur_buf_printf(&sql, "INSERT INTO \"%s\" VALUES (", table);
	for (uint32_t i = 0; i < ncols; i++)
		mur_buf_printf(&sql, "%s?", i ? ", " : "");
	mur_buf_printf(&sql, ")");
	if (ncols == 0 || nrows == 0) {
		mur_buf_free(&sql);
		return MUR_OK;
	}
	rc = sqlite3_prepare_v2(e->mem, mur_buf_cstr(&sql), -1, &st, NULL);
	mur_buf_free(&sql);
	if (rc != SQLITE_OK)
		return sqlite_fail(e, rc, err);
	sqlite3_exec(e->mem, "BEGIN", NULL, NULL, NULL);
	rc = exec_sql_load_rows(e->mem, st, rows->data, rows->len, nrows, ncols, err);
	if (rc != MUR_OK) {
		sqlite3_finalize(st);
		sqlite3_exec(e->mem, "ROLLBACK", NULL, NULL, NULL);
		if (rc == MUR_EPROTO)
			mur_error_set(err, SQLSTATE_INTERNAL_ERROR,
				      "malformed rows from a follower");
		return MUR_ERR;
	}
	sqlite3_finalize(st);
	sqlite3_exec(e->mem, "COMMIT", NULL, NULL, NULL);
	return MUR_OK;
}

/* sqlite3_progress_handler: nonzero interrupts the statement.  The loop
 * thread runs the leader's SQLite, so statement_timeout's timer cannot fire
 * meanwhile (a WITH RECURSIVE, a big leader join): the statement checks
 * the session's deadline itself. */
static int local_past_deadline(void *arg)
{
	const lead_engine *e = arg;
	return e->local_session && e->local_session->stmt_deadline_ms &&
	       mur_now_ms() >= e->local_session->stmt_deadline_ms;
}

void lead_local_close(lead_engine *e)
{
	stor_stmt_cache_clear(&e->mem_stmts);
	sqlite3_close(e->mem);
}

/* sql's statement: kept in e->mem_stmts unless it reads table r, which
 * every such query creates anew (a schema change: a kept statement naming
 * r would be re-prepared by SQLite at each use anyway). */
static int local_prepare(lead_engine *e, const char *sql, int reads_r, sqlite3_stmt **st)
{
	if (reads_r)
		return sqlite3_prepare_v2(e->mem, sql, -1, st, NULL);
	return stor_stmt_cache_get(&e->mem_stmts, e->mem, sql, st);
}

static void local_release(lead_engine *e, sqlite3_stmt *st, int reads_r, int failed)
{
	if (reads_r)
		sqlite3_finalize(st);
	else
		stor_stmt_cache_put(&e->mem_stmts, st, failed);
}

int lead_local_query(lead_engine *e, const char *sql, const mur_value *params, int nparams,
		     const mur_buf *in_rows, uint64_t in_nrows, uint32_t in_ncols, mur_buf *out,
		     uint64_t *nrows_out, uint32_t *ncols_out, mur_error *err)
{
	sqlite3_stmt *st = NULL;
	int rc, ncols, nbind, reads_r = in_rows != NULL;
	uint64_t n = 0;

	/* r reads in_rows where they are (storage/rowtab.c), until dropped below */
	if (in_rows && stor_rowtab_create(e->mem, "r", in_rows->data ? in_rows->data : "",
					  in_rows->len, in_nrows, in_ncols, err) != MUR_OK)
		return MUR_ERR;
	rc = local_prepare(e, sql, reads_r, &st);
	if (rc != SQLITE_OK) {
		sqlite_fail(e, rc, err);
		goto err_drop_r;
	}
	nbind = sqlite3_bind_parameter_count(st);
	for (int i = 0; i < nbind && i < nparams; i++)
		exec_sql_bind_value(st, i + 1, &params[i]);
	sqlite3_progress_handler(e->mem, LEAD_LOCAL_CHECK_OPS, local_past_deadline, e);
	rc = sqlite3_step(st);
	/* the shape after the first step: a kept statement SQLite re-prepared
	 * there may have other columns than before it (stmt_cache.h) */
	ncols = sqlite3_column_count(st);
	for (; rc == SQLITE_ROW; rc = sqlite3_step(st)) {
		for (int c = 0; c < ncols; c++) {
			mur_value v = exec_sql_column_value(st, c);
			mur_row_put_value(out, &v);
		}
		n++;
	}
	sqlite3_progress_handler(e->mem, 0, NULL, NULL);
	if (rc == SQLITE_INTERRUPT && local_past_deadline(e)) {
		mur_error_set(err, SQLSTATE_QUERY_CANCELED,
			      "canceling statement due to statement timeout");
		local_release(e, st, reads_r, 1);
		goto err_drop_r;
	}
	if (rc != SQLITE_DONE) {
		sqlite_fail(e, rc, err);
		local_release(e, st, reads_r, 1);
		goto err_drop_r;
	}
	local_release(e, st, reads_r, 0);
	if (in_rows)
		sqlite3_exec(e->mem, "DROP TABLE IF EXISTS r", NULL, NULL, NULL);
	if (!mur_buf_ok(out))
		return mur_error_set(err, SQLSTATE_OUT_OF_MEMORY, "out of memory");
	*nrows_out = n;
	*ncols_out = (uint32_t)ncols;
	return MUR_OK;
err_drop_r:
	if (in_rows) /* it borrows in_rows */
		sqlite3_exec(e->mem, "DROP TABLE IF EXISTS r", NULL, NULL, NULL);
	return MUR_ERR;
}
