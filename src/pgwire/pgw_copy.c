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
 */
#include "pgwire/pgw_conn_int.h"

void pgw_copy_start(pgw_conn *c, const pgw_result *r)
{
	pgw_put_copy_in_response(&c->out, r->copy_ncols);
	c->state = PGW_CONN_COPY_IN;
	c->paused = 0;
	c->copy_violated = 0;
}

static void copy_data(pgw_conn *c, const char *body, size_t len)
{
	c->resume_seen = 0;
	if (c->ops->copy_data(c->esess, body, len) == 1 && !c->resume_seen)
		c->paused = 1;
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
			pgw_conn_copy_done(c, 0, NULL);
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
	if (c->copy_violated) {
		pgw_result_set_error(r, &c->copy_violation);
		c->copy_violated = 0;
	}
	if (c->extended)
		pgw_extended_on_result(c, r);
	else
		pgw_simple_on_result(c, r);
}
