/*
 * lead_idle.c — clients that stop talking: the session settings that end
 * them and the leader-wide defaults of those settings.
 *
 * A client that holds a block's shard locks and goes quiet blocks every
 * reader and writer of those shards.  Two things end it (docs/failures.md,
 * "A lost client"), both carried out by pgwire, which owns the socket:
 *
 *   idle_in_transaction_session_timeout  a session waiting for its client
 *       inside a block (ACTIVE or FAILED) this long is ended with FATAL
 *       25P03 (pgw_engine_ops.idle_in_txn_timeout_ms, lead_idle_timeout_ms
 *       here); the session then closes and its block is undone
 *       (lead_txn_session_closed).  Covers a client that is alive but
 *       stopped (SIGSTOP, a debugger, a slow application).
 *   idle_session_timeout  the same outside a block: FATAL 57P05
 *       (pgw_engine_ops.idle_session_timeout_ms), as PostgreSQL 14+.  A
 *       session outside a block holds no lock; this frees its connection
 *       slot and memory from a client that stopped.  Default 0 (off).
 *   tcp_keepalives_idle / _interval / _count  the TCP keepalive of the
 *       connection (pgw_session_set_keepalive): a peer whose host or
 *       network is gone stops answering probes and the kernel resets the
 *       connection; pgwire sees it close and the block is undone the same
 *       way.
 *   tcp_user_timeout  (TCP_USER_TIMEOUT) data the leader sent and the
 *       client's kernel did not acknowledge this long closes the
 *       connection: a client lost while the leader has answers queued
 *       for it (keepalive does not probe then; the kernel retransmits
 *       for ~15 min), or one that stopped reading with its window full.
 *       Default 0 (the system's), as PostgreSQL; SET per session.
 *
 * Defaults: the leader's (flags --idle-in-transaction-timeout-ms,
 * --tcp-keepalives-idle / -interval / -count; lead_engine_set_client_
 * defaults), shown by SHOW and restored by RESET.  SET tcp_keepalives_* =
 * 0 goes back to the leader's value (PostgreSQL's 0 means the system's).
 */
#include "leader/lead_int.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Linux's ceilings for TCP_KEEPIDLE / TCP_KEEPINTVL (MAX_TCP_KEEPIDLE,
 * MAX_TCP_KEEPINTVL) and TCP_KEEPCNT (MAX_TCP_KEEPCNT): a larger value
 * would be refused by setsockopt after SET said yes. */
#define LEAD_KEEPALIVE_S_MAX 32767
#define LEAD_KEEPALIVE_COUNT_MAX 127

static const char *const keepalive_names[3] = {"tcp_keepalives_idle", "tcp_keepalives_interval",
					       "tcp_keepalives_count"};

static int keepalive_index(const char *name)
{
	for (int i = 0; i < 3; i++)
		if (strcmp(keepalive_names[i], name) == 0)
			return i;
	return -1;
}

/* Seconds as SHOW prints a setting whose unit is s: in the largest unit
 * that divides it. */
static void seconds_format(int s, char *out, size_t outsz)
{
	if (s && s % 3600 == 0)
		snprintf(out, outsz, "%dh", s / 3600);
	else if (s && s % 60 == 0)
		snprintf(out, outsz, "%dmin", s / 60);
	else if (s)
		snprintf(out, outsz, "%ds", s);
	else
		snprintf(out, outsz, "0");
}

static void keepalive_format(int i, int v, char *out, size_t outsz)
{
	if (i == 2)
		snprintf(out, outsz, "%d", v);
	else
		seconds_format(v, out, outsz);
}

void lead_engine_set_client_defaults(lead_engine *e, uint64_t idle_in_txn_ms,
				     const pgw_keepalive *ka)
{
	char ms[32];
	mur_error err;
	snprintf(ms, sizeof ms, "%llu", (unsigned long long)idle_in_txn_ms);
	if (lead_setting_ms_check("idle_in_transaction_session_timeout", ms, e->idle_in_txn_default,
				  sizeof e->idle_in_txn_default, &err) != MUR_OK)
		snprintf(e->idle_in_txn_default, sizeof e->idle_in_txn_default, "0");
	e->keepalive = *ka;
	keepalive_format(0, ka->idle_s, e->keepalive_default[0], sizeof e->keepalive_default[0]);
	keepalive_format(1, ka->interval_s, e->keepalive_default[1],
			 sizeof e->keepalive_default[1]);
	keepalive_format(2, ka->count, e->keepalive_default[2], sizeof e->keepalive_default[2]);
}

const char *lead_client_default(const lead_engine *e, const char *name)
{
	int i;
	if (strcmp(name, "idle_in_transaction_session_timeout") == 0)
		return e->idle_in_txn_default[0] ? e->idle_in_txn_default : "0";
	if ((i = keepalive_index(name)) < 0)
		return NULL;
	return e->keepalive_default[i][0] ? e->keepalive_default[i] : "0";
}

int lead_client_setting(const char *name) { return keepalive_index(name) >= 0; }

/* value of keepalive setting i: seconds (a number, optionally s / min /
 * h) or a count.  MUR_OK with *out, or 22023 as PostgreSQL words it. */
static int keepalive_parse(int i, const char *value, int *out, mur_error *err)
{
	static const struct {
		const char *unit;
		long s;
	} units[] = {{"s", 1}, {"min", 60}, {"h", 3600}};
	const long max = i == 2 ? LEAD_KEEPALIVE_COUNT_MAX : LEAD_KEEPALIVE_S_MAX;
	char *end;
	long v = strtol(value, &end, 10);
	size_t u = 0;
	if (end == value)
		goto err_invalid;
	while (*end == ' ')
		end++;
	if (*end) {
		for (u = 0; i != 2 && u < sizeof units / sizeof units[0]; u++)
			if (strcmp(end, units[u].unit) == 0)
				break;
		if (i == 2 || u == sizeof units / sizeof units[0])
			goto err_invalid;
		v = v > LONG_MAX / units[u].s ? LONG_MAX : v * units[u].s;
	}
	if (v < 0 || v > max)
		return mur_error_set(err, SQLSTATE_INVALID_PARAMETER_VALUE,
				     "%ld is outside the valid range for parameter \"%s\" (0 .. "
				     "%ld)",
				     v, keepalive_names[i], max);
	*out = (int)v;
	return MUR_OK;
err_invalid:
	return mur_error_set(err, SQLSTATE_INVALID_PARAMETER_VALUE,
			     "invalid value for parameter \"%s\": \"%s\"", keepalive_names[i],
			     value);
}

/* The session's keepalive as its settings say now. */
static void session_keepalive(lead_session *s, pgw_keepalive *ka)
{
	int v[3];
	mur_error err;
	for (int i = 0; i < 3; i++) {
		const char *txt = lead_session_get(s, keepalive_names[i]);
		if (!txt || keepalive_parse(i, txt, &v[i], &err) != MUR_OK)
			v[i] = 0; /* stored values were checked by SET */
	}
	ka->idle_s = v[0];
	ka->interval_s = v[1];
	ka->count = v[2];
	ka->user_timeout_ms = (int)lead_session_ms(s, "tcp_user_timeout");
}

void lead_client_settings_apply(lead_session *s)
{
	pgw_keepalive ka;
	if (!s->ps || s->closed)
		return; /* the connection is gone (a block ended after its close) */
	session_keepalive(s, &ka);
	pgw_session_set_keepalive(s->ps, &ka);
}

int lead_client_setting_set(lead_session *s, const plan_set *ps, mur_error *err)
{
	int i = keepalive_index(ps->name), v;
	char txt[32];
	if (i < 0)
		return MUR_OK;
	if (ps->is_default) {
		lead_session_set(s, ps->name, lead_client_default(s->e, ps->name));
	} else {
		if (keepalive_parse(i, ps->value, &v, err) != MUR_OK)
			return MUR_ERR;
		if (v == 0) /* the leader's value */
			snprintf(txt, sizeof txt, "%s", lead_client_default(s->e, ps->name));
		else
			keepalive_format(i, v, txt, sizeof txt);
		lead_session_set(s, ps->name, txt);
	}
	lead_client_settings_apply(s);
	return MUR_OK;
}

uint64_t lead_idle_timeout_ms(void *esess)
{
	return lead_session_ms(esess, "idle_in_transaction_session_timeout");
}

uint64_t lead_idle_session_timeout_ms(void *esess)
{
	return lead_session_ms(esess, "idle_session_timeout");
}
