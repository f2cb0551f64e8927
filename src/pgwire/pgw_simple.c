/*
 * pgw_simple.c — the simple query protocol (PostgreSQL docs 55.2.2).
 *
 * Query → engine split() → for each statement: prepare(), execute(), send
 * its result; the first error ends the query; ReadyForQuery once at the
 * end.  A query with no statements answers EmptyQueryResponse.
 *
 * State kept in the connection while a query runs: sq_stmts (the split
 * statements, owned: freed by pgw_simple_clear), sq_i (next to run) and
 * sq_estmt (the engine statement executing now, or in COPY; freed with
 * stmt_free when its result is handled).  The input loop calls
 * pgw_simple_next whenever the connection is READY and sq_stmts is set,
 * so statements run one at a time even when the engine is asynchronous.
 *
 * PostgreSQL runs the statements of one Query as one implicit transaction
 * ("Multiple Statements in a Simple Query"): an error undoes the ones
 * before it.  A Query of more than one statement tells the engine so
 * (query_begin before the first, sq_implicit); when it ends — after its
 * last statement, or at its first error (sq_failed) — query_end() commits
 * or undoes the implicit block and only then is ReadyForQuery sent
 * (PGW_WAIT_QUERY_END: the connection is BUSY meanwhile).  A single
 * statement is its own transaction in the engine, as before: no hooks.
 */
#include "pgwire/pgw_conn_int.h"

#include "common/utf8.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void pgw_simple_clear(pgw_conn *c)
{
	if (c->sq_stmts) {
		for (int i = 0; i < c->sq_n; i++)
			free(c->sq_stmts[i]);
		free(c->sq_stmts);
	}
	c->sq_stmts = NULL;
	c->sq_n = c->sq_i = c->sq_implicit = c->sq_failed = 0;
	if (c->sq_estmt) {
		c->ops->stmt_free(c->sq_estmt);
		c->sq_estmt = NULL;
	}
}

/* ReadyForQuery; the query's state goes. */
static void simple_ready(pgw_conn *c)
{
	pgw_simple_clear(c);
	if (c->state == PGW_CONN_CLOSED)
		return;
	c->state = PGW_CONN_READY;
	pgw_conn_ready_for_query(c);
}

void pgw_simple_finish(pgw_conn *c)
{
	int failed = c->sq_failed;
	if (!c->sq_implicit || c->state == PGW_CONN_CLOSED) {
		simple_ready(c);
		return;
	}
	/* the engine ends the implicit block first (the statements are
	 * gone: a statement's result can no longer arrive) */
	pgw_simple_clear(c);
	c->state = PGW_CONN_READY;
	pgw_conn_query_end(c, failed);
}

void pgw_simple_on_query_end(pgw_conn *c, pgw_result *r)
{
	pgw_conn_send_notices(c, r);
	if (r->kind == PGW_RESULT_ERROR) {
		if (!mur_error_is_set(&r->err))
			mur_error_set(&r->err, SQLSTATE_INTERNAL_ERROR, "the query could not end");
		pgw_conn_put_error(c, &r->err);
	}
	pgw_result_free(r);
	simple_ready(c);
}

void pgw_simple_query(pgw_conn *c, const char *body, size_t len)
{
	const char *sql;
	mur_error err;
	char **stmts = NULL;
	int n = 0;

	if (pgw_query_decode(body, len, &sql, &err) != MUR_OK) {
		pgw_conn_fatal(c, &err);
		return;
	}
	c->extended = 0;
	pgw_extended_drop_unnamed(c); /* as PostgreSQL does */
	if (mur_utf8_check(sql, strlen(sql), &err) != MUR_OK) {
		pgw_conn_fail(c, &err);
		return;
	}
	mur_error_clear(&err);
	if (c->ops->split(c->esess, sql, &n, &stmts, &err) != MUR_OK) {
		if (!mur_error_is_set(&err))
			mur_error_set(&err, SQLSTATE_SYNTAX_ERROR, "syntax error");
		pgw_conn_fail(c, &err);
		return;
	}
	if (n <= 0) {
		free(stmts);
		pgw_put_empty(&c->out, PGW_BE_EMPTY_QUERY);
		pgw_conn_ready_for_query(c);
		return;
	}
	c->sq_stmts = stmts;
	c->sq_n = n;
	c->sq_i = 0;
	if (n > 1 && c->ops->query_begin && c->ops->query_end) {
		c->ops->query_begin(c->esess);
		c->sq_implicit = 1;
	}
}

/* Prepare and start the next statement, or end the query. */
void pgw_simple_next(pgw_conn *c)
{
	mur_error err;
	void *estmt;
	if (c->sq_i >= c->sq_n) {
		pgw_simple_finish(c);
		return;
	}
	mur_error_clear(&err);
	estmt = c->ops->prepare(c->esess, c->sq_stmts[c->sq_i++], 0, NULL, &err);
	if (!estmt) {
		if (!mur_error_is_set(&err))
			mur_error_set(&err, SQLSTATE_INTERNAL_ERROR, "could not prepare statement");
		pgw_conn_fail(c, &err);
		return;
	}
	c->sq_estmt = estmt;
	pgw_conn_execute(c, PGW_WAIT_SIMPLE, estmt, NULL);
}

static const char *result_tag(pgw_result *r)
{
	r->tag[sizeof r->tag - 1] = '\0';
	return r->tag;
}

/* RowDescription, DataRows, CommandComplete; or the other result kinds.
 * Consumes r. */
static void simple_send(pgw_conn *c, pgw_result *r)
{
	switch (r->kind) {
	case PGW_RESULT_ROWS:
		if (!mur_buf_ok(&r->rows)) {
			pgw_conn_oom(c);
			break;
		}
		pgw_put_row_description(&c->out, r->ncols, r->cols, 0, NULL);
		mur_buf_put(&c->out, r->rows.data, r->rows.len);
		pgw_put_command_complete(&c->out, result_tag(r));
		break;
	case PGW_RESULT_COMMAND:
		pgw_put_command_complete(&c->out, result_tag(r));
		break;
	case PGW_RESULT_EMPTY:
		pgw_put_empty(&c->out, PGW_BE_EMPTY_QUERY);
		break;
	case PGW_RESULT_ERROR:
	default:
		if (!mur_error_is_set(&r->err))
			mur_error_set(&r->err, SQLSTATE_INTERNAL_ERROR, "unknown result kind");
		pgw_conn_fail(c, &r->err);
		break;
	}
	pgw_result_free(r);
}

/* The result of sq_estmt (or of the COPY it started). */
void pgw_simple_on_result(pgw_conn *c, pgw_result *r)
{
	pgw_conn_send_notices(c, r);
	if (r->kind == PGW_RESULT_COPY_IN) {
		pgw_copy_start(c, r); /* sq_estmt stays until the COPY ends */
		pgw_result_free(r);
		return;
	}
	if (c->sq_estmt) {
		c->ops->stmt_free(c->sq_estmt);
		c->sq_estmt = NULL;
	}
	simple_send(c, r);
}
