/*
 * pgw_cursor.c — SQL cursors (DECLARE, FETCH, MOVE, CLOSE) and SQL
 * prepared statements (PREPARE, EXECUTE, DEALLOCATE) on the portals and
 * statements of pgw_extended.c: one namespace, as in PostgreSQL (a
 * cursor is a portal, PREPARE makes what Parse makes).
 *
 * The engine answers such a statement with a PGW_RESULT_PORTAL result
 * (pgw_portal_op); pgw_cursor_result does it and answers the statement
 * through its usual path (simple or extended) with the tag PostgreSQL
 * gives.  Two of them run something first:
 *   DECLARE  prepare() the query, execute() it into a new portal
 *            (PGW_WAIT_CURSOR) with the parameters bound to the DECLARE
 *            (extended protocol); FETCH and MOVE then send its rows from
 *            where the last one stopped, without running it again;
 *   EXECUTE  execute() the prepared statement with the arguments as text
 *            parameters; its result is the statement's.
 * Cursors go forward only; they end with the transaction block: pgwire
 * drops every portal when the session is idle again (ReadyForQuery 'I').
 * A cursor whose query the engine streams (portal_stream, pgw_engine.h)
 * holds one part of its rows: a FETCH that runs past it asks for the next
 * (pgw_portal_next) and goes on in pgw_cursor_fetch_more when it arrives.
 */
#include "pgwire/pgw_conn_int.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The statement ends with r (its CommandComplete, rows or error). */
static void cursor_answer(pgw_conn *c, pgw_wait wait, pgw_result *r)
{
	if (wait == PGW_WAIT_EXECUTE)
		pgw_extended_on_result(c, r);
	else
		pgw_simple_on_result(c, r);
}

static void cursor_fail(pgw_conn *c, pgw_wait wait, pgw_result *r, const char *sqlstate,
			const char *fmt, ...) __attribute__((format(printf, 5, 6)));

/* Turn r into an error and answer with it. */
static void cursor_fail(pgw_conn *c, pgw_wait wait, pgw_result *r, const char *sqlstate,
			const char *fmt, ...)
{
	mur_error e;
	va_list ap;
	va_start(ap, fmt);
	mur_error_setv(&e, sqlstate, fmt, ap);
	va_end(ap);
	pgw_result_set_error(r, &e);
	cursor_answer(c, wait, r);
}

static void cursor_command(pgw_conn *c, pgw_wait wait, pgw_result *r, const char *tag)
{
	r->kind = PGW_RESULT_COMMAND;
	snprintf(r->tag, sizeof r->tag, "%s", tag);
	cursor_answer(c, wait, r);
}

/* The parameters a DECLARE's query takes: those bound to the DECLARE
 * itself (an extended-protocol Execute of `DECLARE c CURSOR FOR ... $1`,
 * as psycopg 3's server cursors send it); NULL: none. */
static const pgw_bind *declare_params(pgw_conn *c, pgw_wait wait)
{
	if (wait != PGW_WAIT_EXECUTE || !c->exec_portal || c->exec_portal->bind.nparams <= 0)
		return NULL;
	return &c->exec_portal->bind;
}

static void cursor_declare(pgw_conn *c, pgw_wait wait, pgw_result *r, const pgw_portal_op *op)
{
	const pgw_bind *params = declare_params(c, wait);
	mur_error err;
	pgw_stmt *s;
	pgw_portal *p;
	void *estmt;
	if (pgw_portal_find(c, op->name)) {
		cursor_fail(c, wait, r, "42P03", "cursor \"%s\" already exists", op->name);
		return;
	}
	if (c->nportals >= PGW_PORTALS_MAX) {
		cursor_fail(c, wait, r, SQLSTATE_PROGRAM_LIMIT_EXCEEDED,
			    "too many portals (limit %d)", PGW_PORTALS_MAX);
		return;
	}
	mur_error_clear(&err);
	if (!(estmt = c->ops->prepare(c->esess, op->sql, 0, NULL, &err))) {
		pgw_result_set_error(r, &err);
		{
			cursor_answer(c, wait, r);
			return;
		}
	}
	if (!(s = pgw_stmt_new("", estmt)) || !(p = pgw_portal_open(c, op->name, s))) {
		if (s)
			pgw_stmt_unref(c, s);
		else
			c->ops->stmt_free(estmt);
		{
			cursor_fail(c, wait, r, SQLSTATE_OUT_OF_MEMORY, "out of memory");
			return;
		}
	}
	c->cursor_wait = wait;
	c->cursor_portal = p;
	c->cursor_answer = r;      /* kept for the DECLARE's answer */
	if (c->ops->portal_stream) /* FETCH takes the rows a part at a time */
		c->ops->portal_stream(c->esess);
	/* the engine copies the values it keeps: the DECLARE's portal may go */
	pgw_conn_execute(c, PGW_WAIT_CURSOR, estmt, params);
}

/* The FETCH / MOVE in progress takes rows of p's part until it has its
 * count or p has no more; a streaming portal whose part ran out asks for
 * the next (pgw_portal_next) and comes back here when it arrives. */
void pgw_cursor_fetch_more(pgw_conn *c, pgw_portal *p)
{
	pgw_result *r = c->fetch_answer;
	size_t start = p->row_off, n;
	char tag[48];
	while (p->row_off < p->res->rows.len && c->fetch_rows < (uint64_t)c->fetch_count) {
		if (!(n = pgw_datarow_size(p->res->rows.data + p->row_off,
					   p->res->rows.len - p->row_off))) {
			mur_error e;
			mur_error_set(&e, SQLSTATE_INTERNAL_ERROR, "malformed row in cursor \"%s\"",
				      p->name);
			pgw_cursor_fetch_failed(c, &e);
			return;
		}
		p->row_off += n;
		c->fetch_rows++;
	}
	if (!c->fetch_move)
		mur_buf_put(&r->rows, p->res->rows.data + start, p->row_off - start);
	if (c->fetch_rows < (uint64_t)c->fetch_count && p->stream) {
		pgw_portal_next(c, p, 1); /* rows the leader has not read yet */
		return;
	}
	c->fetch_answer = NULL;
	snprintf(tag, sizeof tag, "%s %llu", c->fetch_tag, (unsigned long long)c->fetch_rows);
	if (c->fetch_move) {
		cursor_command(c, c->fetch_wait, r, tag);
		return;
	}
	r->nrows = c->fetch_rows;
	snprintf(r->tag, sizeof r->tag, "%s", tag);
	cursor_answer(c, c->fetch_wait, r);
}

void pgw_cursor_fetch_failed(pgw_conn *c, const mur_error *err)
{
	pgw_result *r = c->fetch_answer;
	c->fetch_answer = NULL;
	pgw_result_set_error(r, err);
	cursor_answer(c, c->fetch_wait, r);
}

/* FETCH / MOVE: up to op->count rows of the cursor, from where it stopped. */
static void cursor_fetch(pgw_conn *c, pgw_wait wait, pgw_result *r, const pgw_portal_op *op)
{
	pgw_portal *p = pgw_portal_find(c, op->name);
	if (!p || !p->res) {
		cursor_fail(c, wait, r, SQLSTATE_INVALID_CURSOR_NAME,
			    "cursor \"%s\" does not exist", op->name);
		return;
	}
	if (p->res->kind != PGW_RESULT_ROWS || !mur_buf_ok(&p->res->rows)) {
		cursor_fail(c, wait, r, "42809", "cursor \"%s\" does not return rows", op->name);
		return;
	}
	if (op->verb != PGW_PORTAL_MOVE &&
	    pgw_result_set_columns(r, p->res->ncols, p->res->cols) != MUR_OK) {
		cursor_fail(c, wait, r, SQLSTATE_OUT_OF_MEMORY, "out of memory");
		return;
	}
	c->fetch_answer = r;
	c->fetch_wait = wait;
	c->fetch_move = op->verb == PGW_PORTAL_MOVE;
	c->fetch_count = op->count;
	c->fetch_rows = 0;
	snprintf(c->fetch_tag, sizeof c->fetch_tag, "%s", c->fetch_move ? "MOVE" : "FETCH");
	pgw_cursor_fetch_more(c, p);
}

static void cursor_close(pgw_conn *c, pgw_wait wait, pgw_result *r, const pgw_portal_op *op)
{
	pgw_portal *p, *next;
	if (!op->all) {
		if (!(p = pgw_portal_find(c, op->name))) {
			cursor_fail(c, wait, r, SQLSTATE_INVALID_CURSOR_NAME,
				    "cursor \"%s\" does not exist", op->name);
			return;
		}
		if (p != c->exec_portal)
			pgw_portal_drop(c, p);
		{
			cursor_command(c, wait, r, "CLOSE CURSOR");
			return;
		}
	}
	for (p = c->portals; p; p = next) {
		next = p->next;
		if (p != c->exec_portal) /* the portal running this CLOSE ALL stays */
			pgw_portal_drop(c, p);
	}
	cursor_command(c, wait, r, "CLOSE CURSOR ALL");
}

static void cursor_prepare(pgw_conn *c, pgw_wait wait, pgw_result *r, const pgw_portal_op *op)
{
	mur_error err;
	void *estmt;
	if (pgw_stmt_find(c, op->name)) {
		cursor_fail(c, wait, r, "42P05", "prepared statement \"%s\" already exists",
			    op->name);
		return;
	}
	if (c->nstmts >= PGW_STATEMENTS_MAX) {
		cursor_fail(c, wait, r, SQLSTATE_PROGRAM_LIMIT_EXCEEDED,
			    "too many prepared statements (limit %d)", PGW_STATEMENTS_MAX);
		return;
	}
	mur_error_clear(&err);
	if (!(estmt = c->ops->prepare(c->esess, op->sql, op->nparams, op->param_oids, &err))) {
		if (!mur_error_is_set(&err))
			mur_error_set(&err, SQLSTATE_INTERNAL_ERROR, "could not prepare statement");
		pgw_result_set_error(r, &err);
		{
			cursor_answer(c, wait, r);
			return;
		}
	}
	if (!pgw_stmt_add(c, op->name, estmt)) {
		cursor_fail(c, wait, r, SQLSTATE_OUT_OF_MEMORY, "out of memory");
		return;
	}
	cursor_command(c, wait, r, "PREPARE");
}

static void cursor_execute(pgw_conn *c, pgw_wait wait, pgw_result *r, const pgw_portal_op *op)
{
	pgw_stmt *s = pgw_stmt_find(c, op->name);
	int nparams = 0, ncols = 0;
	const uint32_t *oids = NULL;
	const pgw_column *cols = NULL;
	int32_t lens[PGW_EXECUTE_ARGS_MAX];
	pgw_bind b;
	if (!s) {
		cursor_fail(c, wait, r, SQLSTATE_INVALID_SQL_STATEMENT_NAME,
			    "prepared statement \"%s\" does not exist", op->name);
		return;
	}
	c->ops->describe(s->estmt, &nparams, &oids, &ncols, &cols);
	if (op->nargs != nparams || op->nargs > PGW_EXECUTE_ARGS_MAX) {
		cursor_fail(c, wait, r, SQLSTATE_SYNTAX_ERROR,
			    "wrong number of parameters for prepared statement \"%s\"", op->name);
		return;
	}
	memset(&b, 0, sizeof b);
	for (int i = 0; i < op->nargs; i++)
		lens[i] = op->args[i] ? (int32_t)strlen(op->args[i]) : -1;
	b.nparams = op->nargs;
	b.values = (const char **)op->args;
	b.lengths = lens;
	c->cursor_wait = wait;
	c->cursor_portal = NULL;
	c->cursor_answer = r; /* keeps op (the arguments) alive; freed at the result */
	pgw_conn_execute(c, PGW_WAIT_CURSOR, s->estmt, &b);
}

static void cursor_deallocate(pgw_conn *c, pgw_wait wait, pgw_result *r, const pgw_portal_op *op)
{
	pgw_stmt *s;
	if (op->all) {
		while (c->stmts)
			pgw_stmt_remove(c, c->stmts);
		{
			cursor_command(c, wait, r, "DEALLOCATE ALL");
			return;
		}
	}
	if (!(s = pgw_stmt_find(c, op->name))) {
		cursor_fail(c, wait, r, SQLSTATE_INVALID_SQL_STATEMENT_NAME,
			    "prepared statement \"%s\" does not exist", op->name);
		return;
	}
	pgw_stmt_remove(c, s);
	cursor_command(c, wait, r, "DEALLOCATE");
}

void pgw_cursor_result(pgw_conn *c, pgw_wait wait, pgw_result *r)
{
	pgw_portal_op *op = r->portal;
	r->portal = NULL; /* r becomes the statement's answer; op goes with this call */
	pgw_conn_send_notices(c, r);
	r->nnotices = 0;
	switch (op ? op->verb : 0) {
	case PGW_PORTAL_DECLARE:
		cursor_declare(c, wait, r, op);
		break;
	case PGW_PORTAL_FETCH:
	case PGW_PORTAL_MOVE:
		cursor_fetch(c, wait, r, op);
		break;
	case PGW_PORTAL_CLOSE:
		cursor_close(c, wait, r, op);
		break;
	case PGW_PORTAL_PREPARE:
		cursor_prepare(c, wait, r, op);
		break;
	case PGW_PORTAL_EXECUTE:
		r->portal = op; /* its arguments live until the result */
		cursor_execute(c, wait, r, op);
		return;
	case PGW_PORTAL_DEALLOCATE:
		cursor_deallocate(c, wait, r, op);
		break;
	default:
		cursor_fail(c, wait, r, SQLSTATE_INTERNAL_ERROR, "unknown portal statement");
	}
	pgw_portal_op_free(op);
}

void pgw_cursor_on_result(pgw_conn *c, pgw_result *r)
{
	pgw_result *answer = c->cursor_answer;
	pgw_portal *p = c->cursor_portal;
	pgw_wait wait = c->cursor_wait;
	c->cursor_answer = NULL;
	c->cursor_portal = NULL;
	if (!p) { /* EXECUTE: its statement's result is the answer */
		pgw_result_free(answer);
		if (r->kind == PGW_RESULT_PORTAL || r->kind == PGW_RESULT_COPY_IN) {
			mur_error e;
			mur_error_set(&e, SQLSTATE_FEATURE_NOT_SUPPORTED,
				      "murphy does not support EXECUTE of this statement");
			pgw_result_set_error(r, &e);
		}
		cursor_answer(c, wait, r);
		return;
	}
	pgw_conn_send_notices(c, r);
	if (r->kind == PGW_RESULT_ERROR) {
		pgw_portal_drop(c, p);
		pgw_result_free(answer);
		cursor_answer(c, wait, r);
		return;
	}
	p->res = r; /* FETCH sends from here */
	pgw_portal_take_stream(p, r);
	cursor_command(c, wait, answer, "DECLARE CURSOR");
}
