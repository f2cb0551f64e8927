/*
 * pgw_copy.c — COPY FROM STDIN (PostgreSQL docs 55.2.6, "COPY Operations").
 *
 * A statement whose result is PGW_RESULT_COPY_IN puts the connection in
 * COPY_IN: CopyInResponse goes out, then
 *     CopyData  → engine copy_data(); a return of 1 pauses input until
 *                 pgw_session_resume_read();
 *     CopyDone  → copy_done(failed = 0);  CopyFail → copy_done(failed = 1);
 *     Sync, Flush → ignored (the spec says so for COPY in the extended
 *                 protocol);
 *     anything else → the COPY fails: copy_done(failed = 1) and the final
 *                 result is replaced by an 08P01 ERROR naming the message.
 * The final result ("COPY n" or an error) then completes the statement
 * that started the COPY, through the simple or extended path.
 *
 * FORMAT binary (the result's copy_binary): CopyInResponse says format 1,
 * and each CopyData goes through pgw_binary_copy_feed, which hands the
 * engine the same rows as text-format lines.  A malformed stream (22P04,
 * or 22P03 for a field that is no value of its type) is remembered like a
 * protocol violation, later CopyData is dropped, and at CopyDone the COPY
 * ends with copy_done(failed = 1) and that error as its result — the
 * client gets the ErrorResponse where PostgreSQL sends it, after its
 * CopyDone.
 */
#include "pgwire/pgw_conn_int.h"

#include <stdlib.h>
#include <string.h>

void pgw_copy_clear(pgw_conn *c)
{
	if (c->copy_binary)
		pgw_binary_copy_free(&c->bcopy);
	mur_buf_free(&c->copy_text);
	free(c->copy_oids);
	c->copy_oids = NULL;
	c->copy_binary = 0;
}

void pgw_copy_start(pgw_conn *c, const pgw_result *r)
{
	size_t n = r->copy_ncols;
	pgw_copy_clear(c);
	c->copy_violated = 0;
	if (r->copy_binary) {
		c->copy_oids = malloc(n ? n * sizeof *c->copy_oids : 1);
		if (!c->copy_oids) {
			pgw_conn_oom(c);
			return;
		}
		if (n)
			memcpy(c->copy_oids, r->copy_oids, n * sizeof *c->copy_oids);
		pgw_binary_copy_init(&c->bcopy, r->copy_ncols, c->copy_oids);
		mur_buf_init(&c->copy_text);
		c->copy_binary = 1;
	}
	pgw_put_copy_in_response(&c->out, r->copy_ncols, c->copy_binary);
	c->state = PGW_CONN_COPY_IN;
	c->paused = 0;
}

/* A malformed binary stream: remember why; CopyDone ends the COPY. */
static void copy_malformed(pgw_conn *c, const mur_error *err)
{
	c->copy_violated = 1;
	c->copy_violation = *err;
}

static void copy_data(pgw_conn *c, const char *body, size_t len)
{
	mur_error err;
	if (c->copy_violated)
		return; /* the COPY has failed: the rest of the stream is dropped */
	if (c->copy_binary) {
		mur_buf_reset(&c->copy_text);
		if (pgw_binary_copy_feed(&c->bcopy, body, len, &c->copy_text, &err) != MUR_OK) {
			copy_malformed(c, &err);
			return;
		}
		body = c->copy_text.data;
		len = c->copy_text.len;
		if (len == 0)
			return;
	}
	c->resume_seen = 0;
	if (c->ops->copy_data(c->esess, body, len) == 1 && !c->resume_seen)
		c->paused = 1;
}

static void copy_done(pgw_conn *c)
{
	mur_error err;
	if (c->copy_binary && !c->copy_violated &&
	    pgw_binary_copy_finish(&c->bcopy, &err) != MUR_OK)
		copy_malformed(c, &err);
	pgw_conn_copy_done(c, c->copy_violated,
			   c->copy_violated ? c->copy_violation.message : NULL);
}

void pgw_copy_message(pgw_conn *c, char type, const char *body, size_t len)
{
	mur_error err;
	const char *msg;
	switch (type) {
	case PGW_FE_COPY_DATA:
		copy_data(c, body, len);
		break;
	case PGW_FE_COPY_DONE:
		if (pgw_empty_decode(len, type, &err) != MUR_OK)
			pgw_conn_fatal(c, &err);
		else
			copy_done(c);
		break;
	case PGW_FE_COPY_FAIL:
		if (pgw_copy_fail_decode(body, len, &msg, &err) != MUR_OK)
			pgw_conn_fatal(c, &err);
		else
			pgw_conn_copy_done(c, 1, msg);
		break;
	case PGW_FE_SYNC:
	case PGW_FE_FLUSH:
		break;
	default:
		c->copy_violated = 1;
		mur_error_set(&c->copy_violation, SQLSTATE_PROTOCOL_VIOLATION,
			      "unexpected message type 0x%02X during COPY from stdin",
			      (unsigned)(uint8_t)type);
		pgw_conn_copy_done(c, 1, c->copy_violation.message);
		break;
	}
}

void pgw_copy_on_result(pgw_conn *c, pgw_result *r)
{
	c->paused = 0;
	pgw_copy_clear(c);
	if (c->copy_violated) {
		pgw_result_set_error(r, &c->copy_violation);
		c->copy_violated = 0;
	}
	if (c->extended)
		pgw_extended_on_result(c, r);
	else
		pgw_simple_on_result(c, r);
}
