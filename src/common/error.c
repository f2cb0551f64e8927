/*
 * error.c — mur_error helpers.  See error.h for the contract.
 */
#include "common/error.h"

#include <stdio.h>
#include <string.h>

static const char *const rc_names[MUR_RC_COUNT] = {
	[MUR_OK] = "OK",
	[MUR_ERR] = "ERR",
	[MUR_ENOMEM] = "ENOMEM",
	[MUR_EIO] = "EIO",
	[MUR_EPROTO] = "EPROTO",
	[MUR_EAGAIN] = "EAGAIN",
	[MUR_ENOTFOUND] = "ENOTFOUND",
};

const char *mur_rc_name(int rc)
{
	if (rc < 0 || rc >= MUR_RC_COUNT)
		return "UNKNOWN";
	return rc_names[rc];
}

void mur_error_clear(mur_error *e)
{
	if (!e)
		return;
	memcpy(e->sqlstate, SQLSTATE_SUCCESS, 6);
	e->position = 0;
	e->row = 0;
	e->message[0] = e->detail[0] = e->hint[0] = e->context[0] = '\0';
}

int mur_error_setv(mur_error *e, const char *sqlstate, const char *fmt, va_list ap)
{
	if (!e)
		return MUR_ERR;
	mur_error_clear(e);
	memcpy(e->sqlstate, sqlstate, 5);
	e->sqlstate[5] = '\0';
	vsnprintf(e->message, sizeof e->message, fmt, ap);
	return MUR_ERR;
}

int mur_error_set(mur_error *e, const char *sqlstate, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	mur_error_setv(e, sqlstate, fmt, ap);
	va_end(ap);
	return MUR_ERR;
}

int mur_error_set_pos(mur_error *e, const char *sqlstate, int position, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	mur_error_setv(e, sqlstate, fmt, ap);
	va_end(ap);
	if (e)
		e->position = position;
	return MUR_ERR;
}

void mur_error_detail(mur_error *e, const char *fmt, ...)
{
	va_list ap;
	if (!e)
		return;
	va_start(ap, fmt);
	vsnprintf(e->detail, sizeof e->detail, fmt, ap);
	va_end(ap);
}

void mur_error_where(mur_error *e, const char *fmt, ...)
{
	va_list ap;
	if (!e)
		return;
	va_start(ap, fmt);
	vsnprintf(e->context, sizeof e->context, fmt, ap);
	va_end(ap);
}

void mur_error_hint(mur_error *e, const char *fmt, ...)
{
	va_list ap;
	if (!e)
		return;
	va_start(ap, fmt);
	vsnprintf(e->hint, sizeof e->hint, fmt, ap);
	va_end(ap);
}

void mur_error_context(mur_error *e, const char *fmt, ...)
{
	char prefix[MUR_ERROR_MESSAGE_MAX], old[MUR_ERROR_MESSAGE_MAX];
	va_list ap;
	if (!e)
		return;
	va_start(ap, fmt);
	vsnprintf(prefix, sizeof prefix, fmt, ap);
	va_end(ap);
	memcpy(old, e->message, sizeof old);
	{
		size_t n = strlen(prefix);
		if (n > sizeof e->message - 3)
			n = sizeof e->message - 3;
		memcpy(e->message, prefix, n);
		memcpy(e->message + n, ": ", 2);
		n += 2;
		size_t m = strlen(old);
		if (m > sizeof e->message - 1 - n)
			m = sizeof e->message - 1 - n;
		memcpy(e->message + n, old, m);
		e->message[n + m] = '\0';
	}
}

int mur_error_is_set(const mur_error *e)
{
	return e && e->sqlstate[0] && strcmp(e->sqlstate, SQLSTATE_SUCCESS) != 0;
}
