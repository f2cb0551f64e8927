/*
 * lead_setscope.c — SET inside a transaction block is transactional, as in
 * PostgreSQL, and the client hears (ParameterStatus) what a setting it is
 * told about is now.
 *
 * A session's settings are one array (lead_session.settings, read by
 * lead_session_get).  A block (regular, or a multi-statement Query's
 * implicit one) keeps two copies of it, taken at BEGIN:
 *
 *   set_before   the settings at BEGIN: ROLLBACK, an error-aborted block
 *                ended by ROLLBACK or COMMIT, a failed COMMIT and a lost
 *                client bring them back;
 *   set_commit   what a COMMIT keeps: SET and RESET write both the array
 *                and this copy, SET LOCAL writes the array only, so COMMIT
 *                (which installs this copy) undoes the SET LOCALs.
 *
 * SAVEPOINT copies both (the array and set_commit); ROLLBACK TO puts both
 * back (a SET after the savepoint is undone, one before it stays).  SET
 * LOCAL outside a block changes nothing, with PostgreSQL's message (a
 * NOTICE here: murphy's notices have one severity).
 * transaction_isolation (SET TRANSACTION, BEGIN ISOLATION LEVEL) is the
 * block's own and goes back to default_transaction_isolation at its end
 * (lead_txn.c), as before.
 *
 * ParameterStatus: PostgreSQL (14 and later) sends one before
 * ReadyForQuery for each GUC_REPORT setting whose value differs from what
 * the client was last sent.  The session remembers the values sent
 * (reported[], first the startup's) and pgwire asks before each
 * ReadyForQuery (pgw_engine_ops.report_params): a SET of TimeZone that a
 * ROLLBACK undid is reported twice, once each way.
 */
#include "leader/lead_int.h"

#include "common/zalloc.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct lead_settings_snap {
	int n;
	lead_setting *v;       /* n settings (the session array's used part) */
	lead_settings_snap *c; /* a savepoint's: set_commit then (NULL: none) */
};

/* The settings PostgreSQL 15 marks GUC_REPORT that a session can SET:
 * murphy's name, the name ParameterStatus carries. */
static const char *const reportable[LEAD_REPORTED][2] = {
	{"application_name", "application_name"},
	{"client_encoding", "client_encoding"},
	{"datestyle", "DateStyle"},
	{"intervalstyle", "IntervalStyle"},
	{"timezone", "TimeZone"},
	{"standard_conforming_strings", "standard_conforming_strings"},
	{"default_transaction_read_only", "default_transaction_read_only"},
	{"is_superuser", "is_superuser"}, /* set once at session_open (the startup said on) */
};

static lead_settings_snap *snap_of(const lead_setting *v, int n)
{
	lead_settings_snap *sp = mur_calloc(1, sizeof *sp);
	if (!sp)
		return NULL;
	sp->n = n;
	if (n && !(sp->v = malloc((size_t)n * sizeof *sp->v))) {
		free(sp);
		return NULL;
	}
	if (n)
		memcpy(sp->v, v, (size_t)n * sizeof *v);
	return sp;
}

void lead_setscope_free(lead_settings_snap *sp)
{
	if (!sp)
		return;
	lead_setscope_free(sp->c);
	free(sp->v);
	free(sp);
}

/* sp's setting called name, or NULL. */
static lead_setting *snap_find(lead_settings_snap *sp, const char *name)
{
	for (int i = 0; i < sp->n; i++)
		if (strcmp(sp->v[i].name, name) == 0)
			return &sp->v[i];
	return NULL;
}

/* Write name = value into sp (a new entry when it has none). */
static void snap_put(lead_settings_snap *sp, const char *name, const char *value)
{
	lead_setting *x = snap_find(sp, name), *g;
	if (!x) {
		if (sp->n >= LEAD_SETTINGS_MAX ||
		    !(g = realloc(sp->v, (size_t)(sp->n + 1) * sizeof *g)))
			return; /* as lead_session_set: the array holds as many */
		sp->v = g;
		x = &sp->v[sp->n++];
		snprintf(x->name, sizeof x->name, "%s", name);
	}
	snprintf(x->value, sizeof x->value, "%s", value);
}

/* The session's settings become sp's; the connection's keepalive too.
 * When they are sp's already (byte for byte: copies of each other, as
 * after most blocks, which SET nothing), nothing changes: the generation
 * stays, so lead_setmemo.c's memo and ReadyForQuery's report stay good. */
static void restore(lead_session *s, const lead_settings_snap *sp)
{
	if (s->nsettings == sp->n &&
	    (!sp->n || memcmp(s->settings, sp->v, (size_t)sp->n * sizeof *sp->v) == 0))
		return;
	s->nsettings = sp->n;
	if (sp->n)
		memcpy(s->settings, sp->v, (size_t)sp->n * sizeof *sp->v);
	s->settings_gen++;
	lead_client_settings_apply(s);
}

int lead_setscope_begin(lead_session *s, mur_error *err)
{
	lead_setscope_free(s->set_before);
	lead_setscope_free(s->set_commit);
	s->set_before = snap_of(s->settings, s->nsettings);
	s->set_commit = snap_of(s->settings, s->nsettings);
	if (!s->set_before || !s->set_commit) {
		lead_setscope_free(s->set_before);
		lead_setscope_free(s->set_commit);
		s->set_before = s->set_commit = NULL;
		mur_error_set(err, SQLSTATE_OUT_OF_MEMORY, "out of memory");
		return MUR_ERR;
	}
	return MUR_OK;
}

void lead_setscope_end(lead_session *s, int committed)
{
	const lead_settings_snap *keep = committed ? s->set_commit : s->set_before;
	if (keep)
		restore(s, keep);
	lead_setscope_free(s->set_before);
	lead_setscope_free(s->set_commit);
	s->set_before = s->set_commit = NULL;
}

/* Drop the session's value of name (it had none before). */
static void forget(lead_session *s, const char *name)
{
	for (int i = 0; i < s->nsettings; i++)
		if (strcmp(s->settings[i].name, name) == 0) {
			s->settings[i] = s->settings[--s->nsettings];
			s->settings_gen++;
			return;
		}
}

void lead_setscope_set(lead_run *r, const char *name, const char *old, int is_local)
{
	lead_session *s = r->s;
	const char *now = lead_session_get(s, name);
	if (strncmp(name, "transaction_", 12) == 0)
		return;       /* the block's own: reset at its end */
	if (!s->set_commit) { /* outside a block */
		if (!is_local)
			return;
		pgw_result_add_notice(r->res, "SET LOCAL can only be used in transaction blocks");
		if (old)
			lead_session_set(s, name, old);
		else
			forget(s, name); /* it had no value: SHOW says so again */
		lead_client_settings_apply(s);
		return;
	}
	if (!is_local && now)
		snap_put(s->set_commit, name, now);
}

lead_settings_snap *lead_setscope_savepoint(lead_session *s)
{
	lead_settings_snap *sp = snap_of(s->settings, s->nsettings);
	if (sp && s->set_commit && !(sp->c = snap_of(s->set_commit->v, s->set_commit->n))) {
		lead_setscope_free(sp);
		return NULL;
	}
	return sp;
}

void lead_setscope_rollback_to(lead_session *s, const lead_settings_snap *sp)
{
	lead_settings_snap *c;
	if (!sp)
		return;
	restore(s, sp);
	if (sp->c && s->set_commit && (c = snap_of(sp->c->v, sp->c->n))) {
		lead_setscope_free(s->set_commit);
		s->set_commit = c;
	}
}

/* What the client is to believe reportable[i] is now. */
static const char *reported_value(lead_session *s, int i)
{
	return lead_session_get(s, reportable[i][0]);
}

void lead_setscope_reported_init(lead_session *s)
{
	for (int i = 0; i < LEAD_REPORTED; i++) {
		const char *v = reported_value(s, i);
		snprintf(s->reported[i], sizeof s->reported[i], "%s", v ? v : "");
	}
	s->reported_gen = s->settings_gen;
}

void lead_setscope_report(void *esess, pgw_param_cb put, void *arg)
{
	lead_session *s = esess;
	/* Only settings[] changes what reported_value answers once the session
	 * is open (its defaults are the startup's and the engine's constants):
	 * most statements change none, so most ReadyForQuery skip 8 lookups. */
	if (s->reported_gen == s->settings_gen)
		return;
	s->reported_gen = s->settings_gen;
	for (int i = 0; i < LEAD_REPORTED; i++) {
		const char *v = reported_value(s, i);
		if (!v || strncmp(v, s->reported[i], sizeof s->reported[i] - 1) == 0)
			continue;
		snprintf(s->reported[i], sizeof s->reported[i], "%s", v);
		put(arg, reportable[i][1], v);
	}
}
