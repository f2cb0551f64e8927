/*
 * lead_session.c — the leader engine's pgw_engine_ops: sessions, prepared
 * statements, dispatch of a run by plan kind, and the utility statements
 * (SET, SHOW, BEGIN/COMMIT/ROLLBACK) plus SELECTs the leader answers
 * itself (no distributed table, murphy.* views).
 *
 * Transactions: BEGIN / COMMIT / ROLLBACK and the session's transaction
 * state are lead_txn.c's (the machine is drawn in lead_int.h); here they
 * are dispatched, and a statement in a FAILED block is refused with 25P02.
 * Isolation levels above READ COMMITTED, READ ONLY and savepoints are
 * refused by the planner (sql/plan_misc.c).
 *
 * Large statements (LEAD_PARSE_OFFLOOP_BYTES and more) are parsed on the
 * libuv thread pool: prepare() only records the text, execute() sends
 * sql_parse (libpg_query, depth checks, unpack: no shared state) to a pool
 * thread and plans the tree against the catalog back on the loop thread
 * (plan_job_done), so a 1,000,000-value IN list no longer stops heartbeats
 * and other sessions for the ~2 s its parse takes.  The same holds for
 * the extended protocol: Parse ends with prepare_finish(), which parses a
 * long text on the pool before ParseComplete (Bind checks the parameters
 * against the plan, Describe reads its columns), and an Execute that must
 * plan again (stale) takes a copy of its parameters to the pool.
 *
 * A statement naming a table another open block altered waits before it
 * runs, with a copy of its parameters, until that block ends, then plans
 * again (execute_or_wait; docs/transactions.md "ALTER TABLE in a block").
 */
#include "leader/lead_int.h"

#include "common/clock.h"
#include "common/datestyle.h"
#include "common/failing_row.h"
#include "common/fmt.h"
#include "common/log.h"
#include "common/recycle.h"
#include "common/zalloc.h"
#include "pgcatalog/pgcatalog.h"
#include "pgwire/pgw_server.h"
#include "sql/plan_cache.h"
#include "sql/sql.h"

#define LEAD_STR_(x) #x
#define LEAD_STR(x) LEAD_STR_(x)

#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

lead_engine *lead_engine_create(catalog *cat, const lead_transport *tr, mur_error *err)
{
	lead_engine *e = mur_calloc(1, sizeof *e);
	repl_config rc = {
		.cat = cat,
		.time_id = lead_time_id,
		.write_pipeline = LEAD_WRITE_PIPELINE_DEFAULT,
		.fault_points = tr->fault != NULL, /* --allow-faults */
	};
	if (!e) {
		mur_error_set(err, SQLSTATE_OUT_OF_MEMORY, "out of memory");
		return NULL;
	}
	e->cat = cat;
	lead_load_wrap(e, tr); /* every task counted (lead_load.c) */
	rc.tr = (repl_transport){.send = e->tr.send, .connected = e->tr.connected, .ctx = e};
	rc.wake_at = lead_lock_wake_at; /* lock waits end at their time: lead_cancel.c */
	rc.wake_ctx = e;
	if (!(e->repl = repl_create(&rc, err)))
		goto err_after_engine_alloc;
	lead_load_attach(e); /* the rebalancer's plans by load */
	if (lead_local_open(e, err) != MUR_OK)
		goto err_after_repl_create;
	return e;
err_after_repl_create:
	repl_destroy(e->repl);
err_after_engine_alloc:
	load_destroy(e->copy_load);
	free(e);
	return NULL;
}

void lead_engine_destroy(lead_engine *e)
{
	if (!e)
		return;
	lead_lock_timer_close(e);
	lead_signal_close(e);
	repl_destroy(e->repl);
	lead_decider_destroy(e->decider);
	lead_local_close(e);
	load_destroy(e->copy_load);
	free(e);
}

/* ---- replication and recovery hooks (lead.h): replication/repl.h's ---- */

void lead_engine_node_changed(lead_engine *e, uint32_t node_id)
{
	repl_node_changed(e->repl, node_id);
}
void lead_engine_tick(lead_engine *e)
{
	repl_tick(e->repl);
	repl_outcomes_trim(e->repl, mur_wall_ms());
	lead_load_tick(e);
}

void lead_engine_set_outcomes_keep_ms(lead_engine *e, int64_t keep_ms)
{
	repl_set_outcomes_keep_ms(e->repl, keep_ms);
}

void lead_engine_progress(lead_engine *e, uint32_t node_id, uint64_t task_id, uint64_t done,
			  uint64_t total, const char *phase)
{
	repl_progress(e->repl, node_id, task_id, done, total, phase);
}

void lead_engine_set_timeouts(lead_engine *e, uint64_t suspect_ms, uint64_t dead_ms)
{
	e->suspect_timeout_ms = suspect_ms;
	e->dead_timeout_ms = dead_ms;
}

void lead_engine_set_write_pipeline(lead_engine *e, int depth)
{
	repl_set_write_pipeline(e->repl,
				depth > LEAD_WRITE_PIPELINE_MAX ? LEAD_WRITE_PIPELINE_MAX : depth);
}

/* A closed session stays in e->sessions until its last run ended: a
 * COMMIT whose client went away still shows whose it was. */
void lead_session_unref(lead_session *s)
{
	if (--s->refs != 0)
		return;
	if (s->prev_open)
		s->prev_open->next_open = s->next_open;
	else
		s->e->sessions = s->next_open;
	if (s->next_open)
		s->next_open->prev_open = s->prev_open;
	free(s->floors);
	free(s->ddl);
	sql_plan_cache_destroy(s->plans);
	cat_seq_session_free(&s->seqs);
	lead_setscope_free(s->set_before);
	lead_setscope_free(s->set_commit);
	free(s);
}

/* ---- settings ---- */

/* Settings PostgreSQL fixes when it is built or its cluster made
 * (context "internal"): shown, never changed (55P02, as PostgreSQL). */
static const char *const internal_settings[] = {"server_version",
						"server_version_num",
						"server_encoding",
						"integer_datetimes",
						"max_identifier_length",
						"max_index_keys",
						"is_superuser",
						"block_size",
						"lc_collate",
						"lc_ctype",
						"max_function_args",
						"segment_size",
						"wal_block_size",
						"data_checksums",
						"max_connections",
						"murphy.plan_cache_hits",
						NULL};

/* Settings SET and SHOW know; internal_settings (below) SHOW only. */
static const char *const known_settings[] = {"application_name",
					     "client_encoding",
					     "datestyle",
					     "timezone",
					     "extra_float_digits",
					     "search_path",
					     "statement_timeout",
					     "lock_timeout",
					     "deadlock_timeout",
					     "idle_in_transaction_session_timeout",
					     "idle_session_timeout",
					     "tcp_user_timeout",
					     "tcp_keepalives_idle",
					     "tcp_keepalives_interval",
					     "tcp_keepalives_count",
					     "standard_conforming_strings",
					     "intervalstyle",
					     "client_min_messages",
					     "bytea_output",
					     "synchronous_commit",
					     "default_transaction_isolation",
					     "transaction_isolation",
					     "default_transaction_read_only",
					     "transaction_read_only",
					     "synchronize_seqscans",
					     "row_security",
					     "session_authorization",
					     "password_encryption",
					     "role",
					     "murphy.count_distinct",
					     "murphy.write_quorum",
					     "murphy.parallel_commits",
					     "murphy.replica_batch",
					     "murphy.plan_cache",
					     "murphy.shuffle_strategy",
					     "murphy.join_strategy",
					     "murphy.read_consistency",
					     "murphy.max_staleness",
					     "murphy.last_read_staleness",
					     "murphy.allow_partial_results",
					     "murphy.move_max_mbps",
					     NULL};

/* qsort order of default_setting's rows: by name. */
static int default_row_cmp(const void *a, const void *b)
{
	return strcmp((*(const char *const *const *)a)[0], (*(const char *const *const *)b)[0]);
}

static const char *default_setting(const char *name)
{
	static const char *const defaults[][2] = {
		{"server_version", "15.0"},
		{"server_version_num", "150000"},
		{"server_encoding", "UTF8"},
		{"client_encoding", "UTF8"},
		{"datestyle", "ISO, MDY"},
		{"timezone", "UTC"},
		{"standard_conforming_strings", "on"},
		{"transaction_isolation", "read committed"},
		{"default_transaction_isolation", "read committed"},
		{"transaction_read_only", "off"},
		{"default_transaction_read_only", "off"},
		{"integer_datetimes", "on"},
		{"intervalstyle", "postgres"},
		{"extra_float_digits", "1"},
		{"search_path", "\"$user\", public"},
		{"max_identifier_length", "63"},
		{"max_index_keys", "32"}, /* pgjdbc's getImportedKeys reads it */
		{"role", "none"},
		{"block_size", "8192"},
		{"lc_collate", "C"}, /* text compares byte by byte (SQLite's BINARY) */
		{"lc_ctype", "C"},
		{"max_function_args", "100"},
		{"segment_size", "1GB"},
		{"wal_block_size", "8192"},
		{"data_checksums", "off"},
		{"application_name", ""},
		{"statement_timeout", "0"},
		{"idle_session_timeout", "0"},
		{"tcp_user_timeout", "0"},
		{"lock_timeout", "0"},
		{"deadlock_timeout", "1s"},
		{"client_min_messages", "notice"},
		{"bytea_output", "hex"},
		{"synchronize_seqscans",
		 "on"}, /* pg_dump sets it off: murphy scans never synchronize */
		{"is_superuser", "on"},
		{"password_encryption", "scram-sha-256"}, /* what libpq's \password asks */
		{"murphy.count_distinct", "exact"},
		{"murphy.write_quorum", "majority"},
		{"murphy.parallel_commits", "on"}, /* docs/transactions.md */
		{"murphy.replica_batch", "on"},    /* docs/transactions.md */
		{"murphy.plan_cache", "on"},       /* sql/plan_cache.c */
		{"murphy.plan_cache_hits", "0"},   /* the session's, in session_default */
		{"murphy.shuffle_strategy", "auto"},
		{"murphy.join_strategy", "auto"},
		{"murphy.read_consistency", "strong"}, /* docs/consistency.md */
		{"murphy.max_staleness", "5s"},
		{"murphy.last_read_staleness", "0"}, /* lead_stale.c sets it after a read */
		{"murphy.allow_partial_results", "off"},
		{"murphy.move_max_mbps", "0"},                      /* replication/repl_move.c */
		{"max_connections", LEAD_STR(PGW_CONNECTIONS_MAX)}, /* the clients pgwire takes */
	};
	enum { NDEFAULTS = sizeof defaults / sizeof defaults[0] };
	/* Looked up several times per statement (the planner's options, the
	 * read's consistency, the parameters reported at ReadyForQuery): by
	 * binary search over the rows sorted by name once, on the leader's
	 * one thread (filled, then published), not ~50 strcmp a lookup. */
	static const char *const *sorted[NDEFAULTS];
	static int nsorted;
	size_t lo = 0, hi = NDEFAULTS;
	if (!nsorted) {
		for (int i = 0; i < NDEFAULTS; i++)
			sorted[i] = defaults[i];
		qsort(sorted, NDEFAULTS, sizeof sorted[0], default_row_cmp);
		nsorted = NDEFAULTS;
	}
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int c = strcmp(name, sorted[mid][0]);
		if (c == 0)
			return sorted[mid][1];
		if (c < 0)
			hi = mid;
		else
			lo = mid + 1;
	}
	return pgc_guc_constant(name); /* PostgreSQL's read-only ones (pgc_guc.c) */
}

static int leader_keeps(const char *name);

int lead_setting_internal(const char *name)
{
	for (int i = 0; internal_settings[i]; i++)
		if (strcmp(internal_settings[i], name) == 0)
			return 1;
	return !leader_keeps(name) && pgc_guc_fixed(name); /* PostgreSQL's no session sets */
}

/* SET session_authorization / role: murphy has no identity switch, so
 * only the session's own user (or DEFAULT / none) is taken; another is
 * refused rather than accepted and ignored.  As in PostgreSQL, an unknown
 * role is 22023 (a bad setting value) and a non-superuser 42501 (no role memberships here: it
 * could never become another role); a superuser, who could there, 0A000. */
static int check_identity_setting(const lead_session *s, const plan_set *ps, mur_error *err)
{
	int auth = strcmp(ps->name, "session_authorization") == 0;
	if ((!auth && strcmp(ps->name, "role") != 0) || ps->is_default ||
	    strcmp(ps->value, s->user) == 0 || (!auth && strcmp(ps->value, "none") == 0))
		return MUR_OK;
	if (s->e->auth_scram && !cat_role_get(s->e->cat, ps->value))
		return mur_error_set(err, SQLSTATE_INVALID_PARAMETER_VALUE,
				     "role \"%s\" does not exist", ps->value);
	if (!s->superuser)
		return mur_error_set(err, SQLSTATE_INSUFFICIENT_PRIVILEGE,
				     "permission denied to set %s \"%s\"",
				     auth ? "session authorization" : "role", ps->value);
	mur_error_set(err, SQLSTATE_FEATURE_NOT_SUPPORTED,
		      "murphy does not support %s to another user yet (\"%s\")",
		      auth ? "SET SESSION AUTHORIZATION" : "SET ROLE", ps->value);
	mur_error_hint(err, "Connect as \"%s\" instead.", ps->value);
	return MUR_ERR;
}

/* Settings that take one of a few words (anything else is 22023). */
static const struct {
	const char *name;
	const char *values[4]; /* NULL-terminated */
} word_settings[] = {
	{"murphy.shuffle_strategy", {"auto", "gather", "repartition", NULL}},
	{"murphy.join_strategy", {"auto", "broadcast", "repartition", NULL}},
	{"murphy.count_distinct", {"exact", "approximate", NULL}},
	{"bytea_output", {"escape", "hex", NULL}},
	{"murphy.read_consistency", {"strong", "bounded", "available", NULL}},
	{"murphy.allow_partial_results", {"on", "off", NULL}},
	{"murphy.parallel_commits", {"on", "off", NULL}},
	{"murphy.replica_batch", {"on", "off", NULL}},
	{"murphy.plan_cache", {"on", "off", NULL}},
};

/* MUR_OK unless ps sets murphy.move_max_mbps to something but MB/s. */
static int check_move_rate(const plan_set *ps, mur_error *err)
{
	uint64_t bps;
	if (strcmp(ps->name, "murphy.move_max_mbps") != 0 || ps->is_default ||
	    repl_move_rate_parse(ps->value, &bps) == MUR_OK)
		return MUR_OK;
	mur_error_set(err, SQLSTATE_INVALID_PARAMETER_VALUE,
		      "invalid value for parameter \"murphy.move_max_mbps\": \"%s\"", ps->value);
	mur_error_hint(err, "MB per second a move copies at most, from 0.1, e.g. 20; 0: no "
			    "limit.");
	return MUR_ERR;
}

/* MUR_OK when ps sets a word setting to one of its words (or is not one). */
static int check_word_setting(const plan_set *ps, mur_error *err)
{
	char hint[128];
	size_t len = 0;
	for (size_t i = 0; i < sizeof word_settings / sizeof word_settings[0]; i++) {
		if (strcmp(word_settings[i].name, ps->name) != 0 || ps->is_default)
			continue;
		for (int k = 0; word_settings[i].values[k]; k++) {
			if (strcmp(word_settings[i].values[k], ps->value) == 0)
				return MUR_OK;
			len += (size_t)snprintf(hint + len, sizeof hint - len, "%s%s",
						k ? ", " : "", word_settings[i].values[k]);
		}
		mur_error_set(err, SQLSTATE_INVALID_PARAMETER_VALUE,
			      "invalid value for parameter \"%s\": \"%s\"", ps->name, ps->value);
		mur_error_hint(err, "Available values: %s.", hint);
		return MUR_ERR;
	}
	return MUR_OK;
}

const mur_tz *lead_session_tz(lead_session *s)
{
	const char *name = lead_session_get(s, "timezone");
	const mur_tz *z = name ? mur_tz_get(name, NULL) : NULL;
	return z ? z : mur_tz_utc();
}

void lead_session_outfmt(lead_session *s, mur_outfmt *out)
{
	const char *b = lead_session_get(s, "bytea_output");
	out->tz = lead_session_tz(s);
	out->bytea_escape = b && strcmp(b, "escape") == 0;
}

/* SET TimeZone: the value must name a zone (tz.h); the session keeps the
 * zone's own name, which SHOW and ParameterStatus print. */
static int check_timezone(const plan_set *ps, char *canon, size_t canon_len, mur_error *err)
{
	const mur_tz *z;
	if (strcmp(ps->name, "timezone") != 0 || ps->is_default)
		return MUR_OK;
	if (!(z = mur_tz_get(ps->value, err)))
		return MUR_ERR;
	snprintf(canon, canon_len, "%s", mur_tz_name(z));
	return MUR_OK;
}

void lead_session_sql_options(lead_session *s, sql_options *out)
{
	const char *cd = lead_session_get(s, "murphy.count_distinct");
	memset(out, 0, sizeof *out);
	out->count_distinct_approx = cd && strcmp(cd, "approximate") == 0;
	out->user = s->user;
	out->superuser = s->superuser;
	out->tz = lead_session_tz(s);
	out->stmt_now_us = (int64_t)mur_wall_us();
	if (s->txn == LEAD_TXN_IDLE || !s->xact_now_us) /* this statement starts one */
		s->xact_now_us = out->stmt_now_us;
	out->xact_now_us = s->xact_now_us;
	cd = lead_session_get(s, "search_path");
	out->search_path_given = cd != NULL;
	mur_strlcpy(out->search_path, cd ? cd : "", sizeof out->search_path);
	cd = lead_session_get(s, "murphy.shuffle_strategy");
	out->shuffle_strategy = !cd                          ? SQL_SHUFFLE_AUTO
				: !strcmp(cd, "gather")      ? SQL_SHUFFLE_GATHER
				: !strcmp(cd, "repartition") ? SQL_SHUFFLE_REPARTITION
							     : SQL_SHUFFLE_AUTO;
}

/* 1 when the leader keeps name's value itself (not one pgc_guc.c shows). */
static int leader_keeps(const char *name)
{
	for (int i = 0; known_settings[i]; i++)
		if (!strcasecmp(known_settings[i], name))
			return 1;
	for (int i = 0; internal_settings[i]; i++)
		if (!strcasecmp(internal_settings[i], name))
			return 1;
	return 0;
}

/* The leader's settings, then PostgreSQL's it shows (pgc_guc.c) but those
 * it keeps itself (indexes of the latter found once). */
const char *lead_setting_name(int i)
{
	const int nknown = (int)(sizeof known_settings / sizeof known_settings[0]) - 1;
	const int ninternal = (int)(sizeof internal_settings / sizeof internal_settings[0]) - 1;
	static int shown[1024], nshown = -1;
	if (i >= 0 && i < nknown)
		return known_settings[i];
	if (i >= nknown && i < nknown + ninternal)
		return internal_settings[i - nknown];
	if (nshown < 0) { /* the leader's one thread: filled, then published */
		int n = 0;
		for (int j = 0; pgc_guc_constant_name(j) && n < 1024; j++)
			if (!leader_keeps(pgc_guc_constant_name(j)))
				shown[n++] = j;
		nshown = n;
	}
	i -= nknown + ninternal;
	return i >= 0 && i < nshown ? pgc_guc_constant_name(shown[i]) : NULL;
}

static int setting_known(const char *name)
{
	for (int i = 0; lead_setting_name(i); i++)
		if (strcmp(lead_setting_name(i), name) == 0)
			return 1;
	return 0;
}

/* The value a setting has before SET and after RESET. */
static const char *session_default(lead_session *s, const char *name)
{
	const char *v = lead_client_default(s->e, name);
	if (strcmp(name, "murphy.plan_cache_hits") == 0) { /* statements run from the cache */
		snprintf(s->plan_hits_text, sizeof s->plan_hits_text, "%llu",
			 (unsigned long long)s->plan_hits);
		return s->plan_hits_text;
	}
	if (strcmp(name, "application_name") == 0)
		return s->app; /* the startup's, as PostgreSQL's RESET */
	if (strcmp(name, "session_authorization") == 0)
		return s->user; /* as PostgreSQL's SHOW and current_setting */
	if (strcmp(name, "timezone") == 0 && s->tz0[0])
		return s->tz0;
	if (strcmp(name, "datestyle") == 0 && s->ds0[0])
		return s->ds0;
	if (strcmp(name, "ssl") == 0) /* PostgreSQL's is on when it has a certificate */
		return s->e->tls ? "on" : "off";
	return v ? v : default_setting(name);
}

const char *lead_session_lookup(lead_session *s, const char *name)
{
	for (int i = 0; i < s->nsettings; i++)
		if (strcmp(s->settings[i].name, name) == 0)
			return s->settings[i].value;
	return session_default(s, name);
}

void lead_session_set(lead_session *s, const char *name, const char *value)
{
	int i;
	for (i = 0; i < s->nsettings; i++)
		if (strcmp(s->settings[i].name, name) == 0)
			break;
	/* unchanged (murphy.last_read_staleness is set after every read, most
	 * often to the "0" it had): the generation stays, so ReadyForQuery
	 * skips its lookups */
	if (i < s->nsettings &&
	    strncmp(s->settings[i].value, value ? value : "", sizeof s->settings[i].value - 1) == 0)
		return;
	if (i == s->nsettings) {
		if (s->nsettings >= LEAD_SETTINGS_MAX)
			return;
		s->nsettings++;
	}
	snprintf(s->settings[i].name, sizeof s->settings[i].name, "%s", name);
	snprintf(s->settings[i].value, sizeof s->settings[i].value, "%s", value ? value : "");
	s->settings_gen++;
}

static void show_row(lead_run *r, const char *name, const char *value)
{
	pgw_column col;
	const char *vals[1] = {value};
	int32_t lens[1] = {(int32_t)strlen(value)};
	memset(&col, 0, sizeof col);
	snprintf(col.name, sizeof col.name, "%s", name);
	col.type_oid = mur_type_oid(MT_TEXT);
	col.typlen = -1;
	col.typmod = -1;
	r->res->kind = PGW_RESULT_ROWS;
	pgw_result_set_columns(r->res, 1, &col);
	pgw_result_add_row(r->res, 1, vals, lens);
	snprintf(r->res->tag, sizeof r->res->tag, "SHOW");
}

/* CREATE / ALTER / DROP ROLE: the catalog checks and stores
 * (cat_role_change_apply); not in a block, whose rollback could not undo
 * it. */
static void role_change(lead_run *r)
{
	mur_error err;
	int skipped = 0;
	if (r->s->txn != LEAD_TXN_IDLE) {
		mur_error_set(&err, SQLSTATE_ACTIVE_SQL_TRANSACTION,
			      "%s cannot run inside a transaction block in murphy", r->p->tag);
		lead_run_fail(r, &err);
		return;
	}
	if (cat_role_change_apply(r->s->e->cat, &r->p->u.role, r->s->user, r->s->superuser,
				  &skipped, &err) != MUR_OK) {
		lead_run_fail(r, &err);
		return;
	}
	if (skipped)
		pgw_result_add_notice(r->res, "%d of the roles did not exist, skipping", skipped);
	snprintf(r->res->tag, sizeof r->res->tag, "%s", r->p->tag);
}

/* SET / RESET / set_config() of r's session: checked as PostgreSQL does
 * (unknown name 42704, bad value 22023), reverted by the block's end
 * (lead_setscope.c). */
int lead_session_apply_set(lead_run *r, const plan_set *ps, mur_error *err)
{
	lead_session *s = r->s;
	const char *was;
	char old[sizeof s->settings[0].value], tzname[sizeof s->settings[0].value] = "";
	if (!setting_known(ps->name))
		return mur_error_set(err, SQLSTATE_UNDEFINED_OBJECT,
				     "unrecognized configuration parameter \"%s\"", ps->name);
	if (lead_setting_internal(ps->name))
		return mur_error_set(err, SQLSTATE_CANT_CHANGE_RUNTIME_PARAM,
				     "parameter \"%s\" cannot be changed", ps->name);
	if (!leader_keeps(ps->name) && pgc_guc_refused(ps->name, ps->is_default ? NULL : ps->value))
		return mur_error_set(err, SQLSTATE_FEATURE_NOT_SUPPORTED,
				     "murphy does not support SET of \"%s\" to another value than "
				     "%s "
				     "(SHOW %s; pg_settings.extra_desc says why where murphy "
				     "differs)",
				     ps->name, pgc_guc_constant(ps->name), ps->name);
	if (check_identity_setting(s, ps, err) != MUR_OK)
		return MUR_ERR;
	if (strcmp(ps->name, "murphy.write_quorum") == 0 && !ps->is_default &&
	    !repl_quorum_parse(ps->value)) {
		mur_error_set(err, SQLSTATE_INVALID_PARAMETER_VALUE,
			      "invalid value for parameter \"murphy.write_quorum\": \"%s\"",
			      ps->value);
		mur_error_hint(err, "Available values: one, majority, all.");
		return MUR_ERR;
	}
	if (check_move_rate(ps, err) != MUR_OK || check_word_setting(ps, err) != MUR_OK ||
	    check_timezone(ps, tzname, sizeof tzname, err) != MUR_OK ||
	    (!strcmp(ps->name, "datestyle") && !ps->is_default && /* tzname: the canonical */
	     mur_datestyle_parse(ps->value, lead_session_get(s, "datestyle"), tzname, sizeof tzname,
				 err) != MUR_OK) ||
	    lead_stale_set_check(ps, err) != MUR_OK)
		return MUR_ERR;
	was = lead_session_get(s, ps->name);
	snprintf(old, sizeof old, "%s", was ? was : "");
	if (lead_client_setting(ps->name)) { /* tcp_keepalives_*: lead_idle.c */
		if (lead_client_setting_set(s, ps, err) != MUR_OK)
			return MUR_ERR;
	} else if (pgc_guc_constant(ps->name) && !leader_keeps(ps->name) &&
		   (ps->is_default || !pgc_guc_inert(ps->name))) {
		lead_session_set(s, ps->name, pgc_guc_constant(ps->name)); /* its value, as shown */
	} else if (pgc_guc_inert(ps->name) && !ps->is_default &&
		   pgc_guc_shown_as(ps->name, ps->value)) {
		lead_session_set(s, ps->name, pgc_guc_shown_as(ps->name, ps->value));
	} else if (ps->is_default) {
		const char *d = session_default(s, ps->name);
		lead_session_set(s, ps->name, d ? d : "");
	} else if (lead_setting_is_ms(ps->name)) { /* statement_timeout …: lead_cancel.c */
		char ms[32];
		if (lead_setting_ms_check(ps->name, ps->value, ms, sizeof ms, err) != MUR_OK)
			return MUR_ERR;
		lead_session_set(s, ps->name, ms);
	} else {
		lead_session_set(s, ps->name, tzname[0] ? tzname : ps->value);
	}
	if (strcmp(ps->name, "tcp_user_timeout") == 0)
		lead_client_settings_apply(s); /* to the socket: lead_idle.c */
	lead_setscope_set(r, ps->name, was ? old : NULL, ps->is_local);
	return MUR_OK;
}

/* ALTER SYSTEM SET / RESET: the rebalancer's cluster-wide settings
 * (replication/repl_rebalance.c), a superuser's to change. */
static int lead_alter_system(lead_run *r, const plan_set *ps, mur_error *err)
{
	if (!r->s->superuser)
		return mur_error_set(err, SQLSTATE_INSUFFICIENT_PRIVILEGE,
				     "permission denied to set parameter \"%s\"", ps->name);
	if (r->s->txn != LEAD_TXN_IDLE)
		return mur_error_set(err, SQLSTATE_ACTIVE_SQL_TRANSACTION,
				     "ALTER SYSTEM cannot run inside a transaction block");
	const char *v = ps->is_default ? NULL : ps->value;
	if (repl_rebalance_set(r->s->e->repl, ps->name, v, err) != MUR_OK)
		return MUR_ERR;
	return cat_setting_put(r->s->e->cat, ps->name, v, err); /* durable */
}

void lead_utility_start(lead_run *r)
{
	lead_session *s = r->s;
	const plan *p = r->p;
	mur_error err;

	switch (p->kind) {
	case PLAN_SET:
		if (p->u.set.is_system) {
			if (lead_alter_system(r, &p->u.set, &err) != MUR_OK)
				lead_run_fail(r, &err);
			else
				snprintf(r->res->tag, sizeof r->res->tag, "ALTER SYSTEM");
			break;
		}
		if (lead_session_apply_set(r, &p->u.set, &err) != MUR_OK) {
			lead_run_fail(r, &err);
			break;
		}
		lead_txn_set_read_only(s, &p->u.set); /* SET TRANSACTION ..., READ ONLY */
		snprintf(r->res->tag, sizeof r->res->tag, "%s", p->tag); /* SET, or RESET */
		break;
	case PLAN_SHOW: {
		const char *v = lead_session_get(s, p->u.set.name);
		if (!v) {
			mur_error_set(&err, SQLSTATE_UNDEFINED_OBJECT,
				      "unrecognized configuration parameter \"%s\"", p->u.set.name);
			lead_run_fail(r, &err);
			break;
		}
		/* PostgreSQL names the column by the setting's own spelling */
		show_row(r, strcmp(p->u.set.name, "timezone") ? p->u.set.name : "TimeZone", v);
		break;
	}
	case PLAN_BEGIN:
		lead_txn_begin(r);
		return;
	case PLAN_COMMIT:
		lead_txn_commit(r);
		return;
	case PLAN_ROLLBACK:
		lead_txn_rollback(r);
		return;
	case PLAN_SAVEPOINT:
		lead_txn_savepoint(r);
		return;
	case PLAN_RELEASE:
		lead_txn_release(r);
		return;
	case PLAN_ROLLBACK_TO:
		lead_txn_rollback_to(r);
		return;
	case PLAN_NOOP:
		snprintf(r->res->tag, sizeof r->res->tag, "%s", p->tag ? p->tag : "");
		break;
	case PLAN_ROLE:
		role_change(r);
		break;
	case PLAN_GRANT:
		if (cat_grant_apply(s->e->cat, &p->u.grant, s->superuser, &err) != MUR_OK)
			lead_run_fail(r, &err);
		else
			snprintf(r->res->tag, sizeof r->res->tag, "%s", p->tag);
		break;
	case PLAN_COMMENT:
		if (cat_comment_set(s->e->cat, &p->u.comment, &err) != MUR_OK)
			lead_run_fail(r, &err);
		else
			snprintf(r->res->tag, sizeof r->res->tag, "COMMENT");
		break;
	case PLAN_EMPTY:
		r->res->kind = PGW_RESULT_EMPTY;
		break;
	default:
		mur_error_set(&err, SQLSTATE_INTERNAL_ERROR,
			      "internal error: unexpected plan kind %d", (int)p->kind);
		lead_run_fail(r, &err);
	}
	lead_run_finish(r);
}

/* ---- SELECTs the leader answers itself ---- */

static void leader_select_run(lead_run *r)
{
	mur_error err;
	/* after a restart: wait for the outcome rows' rebuild (else 55000) */
	if (!r->failed && strstr(r->p->leader_sql, "murphy_transaction_outcomes") &&
	    repl_outcomes_rebuilding(r->e->repl) && lead_run_park(r))
		return;
	r->e->local_session = r->s;
	r->e->local_run = r;
	/* pg_class as r's transaction sees it: a table another open block
	 * dropped is still there, one it created not yet (PostgreSQL's
	 * catalog rows change at the COMMIT); the block sees its own DDL */
	cat_set_viewer(r->e->cat, 1, r->s->txid);
	if (!r->failed && (lead_local_materialize_views(r->e, r->p->leader_sql, &err) != MUR_OK ||
			   lead_subq_load(r, &err) != MUR_OK ||
			   lead_local_query(r->e, r->p->leader_sql, r->params, r->nparams, NULL, 0,
					    0, &r->rows, &r->nrows, &r->ncols, &err) != MUR_OK))
		lead_run_fail(r, &err);
	cat_set_viewer(r->e->cat, 0, 0);
	lead_subq_unload(r);
	r->e->local_session = NULL;
	r->e->local_run = NULL;
	if (lead_outcome_ask_start(r, leader_select_run)) /* txids the shard logs answer */
		return;
	if (lead_move_park(r))
		return;
	if (!r->failed && !r->parent &&
	    (lead_result_columns(r->res, r->p) != MUR_OK ||
	     lead_format_rows(r->s, r->res, r->p, &r->rows, r->nrows, r->ncols, &err) != MUR_OK))
		lead_run_fail(r, &err);
	lead_run_finish(r);
}

static void shard_counts_done(lead_run *r)
{
	for (int i = 0; i < r->ntasks; i++) {
		lead_task_slot *sl = &r->tasks[i];
		mur_rd rd;
		mur_value v;
		if (sl->res.failed || sl->res.nrows != 1)
			continue;
		mur_rd_init(&rd, sl->res.rows.data, sl->res.rows.len);
		if (mur_row_get_value(&rd, &v) == MUR_OK && v.kind == MV_INT)
			cat_shard_set_rows(r->e->cat, sl->table_id, sl->shard, (uint64_t)v.i);
	}
	if (!r->cancelled) /* counts are best effort: a down follower leaves the last known count */
		r->failed = 0;
	leader_select_run(r);
}

/* murphy.shards shows rows per shard: refresh the counts first. */
static void leader_select_start(lead_run *r)
{
	if (!r->p->reads_shard_rows) {
		leader_select_run(r);
		return;
	}
	for (int i = 0; i < cat_table_count(r->e->cat); i++) {
		const cat_table *t = cat_table_at(r->e->cat, i);
		if (t->kind != CAT_TABLE_DISTRIBUTED)
			continue;
		for (uint32_t s = 0; s < t->nshards; s++) {
			uint32_t node = lead_read_node(r->e, &t->shards[s]);
			exec_task task;
			char sql[160];
			if (!node)
				continue;
			memset(&task, 0, sizeof task);
			task.kind = EXEC_TASK_QUERY;
			task.nplacements = 1;
			cat_placement_file(t, s, task.placements[0], sizeof task.placements[0]);
			snprintf(sql, sizeof sql, "SELECT count(*) FROM main.\"%s\"", t->name);
			task.sql = sql;
			if (lead_run_send(r, node, s, 1, &task) == MUR_OK)
				r->tasks[r->ntasks - 1].table_id = t->id;
		}
	}
	r->failed = 0;
	lead_run_wait(r, shard_counts_done);
}

/* ---- dispatch ---- */

void lead_run_start(lead_run *r)
{
	if (lead_txn_write_refused(r)) /* a READ ONLY block */
		return;
	if (lead_ddltxn_refused(r)) /* DDL a block's rollback could not undo */
		return;
	if (lead_subq_wait(r)) /* its subqueries first */
		return;
	switch (r->p->kind) {
	case PLAN_SELECT:
		lead_select_start(r);
		break;
	case PLAN_LEADER_SELECT:
		leader_select_start(r);
		break;
	case PLAN_INSERT:
		lead_insert_start(r);
		break;
	case PLAN_MODIFY:
		lead_modify_start(r);
		break;
	case PLAN_TRUNCATE:
		lead_truncate_start(r);
		break;
	case PLAN_ALTER:
		lead_alter_start(r);
		break;
	case PLAN_CREATE_TABLE:
		lead_create_table_start(r);
		break;
	case PLAN_DROP_TABLE:
		lead_drop_table_start(r);
		break;
	case PLAN_CREATE_INDEX:
	case PLAN_DROP_INDEX:
		lead_index_start(r);
		break;
	case PLAN_EXPLAIN:
		lead_explain_start(r);
		break;
	case PLAN_ANALYZE:
		lead_analyze_start(r);
		break;
	case PLAN_SEQUENCE:
		lead_sequence_run(r);
		break;
	case PLAN_VIEW:
		lead_view_run(r);
		break;
	case PLAN_SCHEMA:
		lead_schema_run(r);
		break;
	case PLAN_PORTAL:
		lead_portal_start(r);
		break;
	default:
		lead_utility_start(r);
	}
}

/* ---- pgw_engine_ops ---- */

void lead_engine_set_auth(lead_engine *e, int scram) { e->auth_scram = scram; }

void lead_engine_set_tls(lead_engine *e, int on) { e->tls = on; }

static pgw_auth_method op_auth_lookup(void *engine, const char *user, char *verifier, size_t cap)
{
	lead_engine *e = engine;
	const cat_role *role = cat_role_get(e->cat, user);
	if (!e->auth_scram)
		return PGW_AUTH_TRUST;
	snprintf(verifier, cap, "%s", role ? role->verifier : ""); /* NOLOGIN: session_open */
	return PGW_AUTH_SCRAM;
}

static void *op_session_open(void *engine, pgw_session *ps, const char *user, const char *database,
			     mur_error *err)
{
	lead_engine *e = engine;
	const cat_role *role = cat_role_get(e->cat, user ? user : "");
	lead_session *s;
	(void)database;
	if ((role && !role->login) || (!role && e->auth_scram)) {
		mur_error_set(err, SQLSTATE_INVALID_AUTHORIZATION,
			      "role \"%s\" is not permitted to log in", user);
		return NULL;
	}
	if (!(s = mur_calloc(1, sizeof *s))) {
		mur_error_set(err, SQLSTATE_OUT_OF_MEMORY, "out of memory");
		return NULL;
	}
	s->e = engine;
	s->ps = ps;
	s->txn = LEAD_TXN_IDLE;
	s->refs = 1;
	s->plans = sql_plan_cache_create(); /* NULL: nothing is kept */
	s->pid = ps ? pgw_session_pid(ps) : 0;
	lead_activity_connected(s);
	snprintf(s->user, sizeof s->user, "%s", user ? user : "");
	s->superuser = role ? role->superuser : !e->auth_scram;
	snprintf(s->app, sizeof s->app, "%s", ps ? pgw_session_application_name(ps) : "");
	lead_setscope_reported_init(s);          /* what the startup's ParameterStatus says */
	if (ps && pgw_session_timezone(ps)[0]) { /* FATAL 22023 if unknown, as PostgreSQL */
		const mur_tz *z = mur_tz_get(pgw_session_timezone(ps), err);
		if (!z) {
			free(s);
			return NULL;
		}
		snprintf(s->tz0, sizeof s->tz0, "%s", mur_tz_name(z));
		lead_session_set(s, "timezone", s->tz0); /* reported before the first RFQ */
	}
	if (ps && pgw_session_datestyle(ps)[0]) { /* FATAL, as PostgreSQL's bad value */
		if (mur_datestyle_parse(pgw_session_datestyle(ps), NULL, s->ds0, sizeof s->ds0,
					err) != MUR_OK) {
			free(s);
			return NULL;
		}
		lead_session_set(s, "datestyle", s->ds0); /* reported before the first RFQ */
	}
	if (!s->superuser) /* reported before the first ReadyForQuery */
		lead_session_set(s, "is_superuser", "off");
	s->next_open = s->e->sessions;
	if (s->next_open)
		s->next_open->prev_open = s;
	s->e->sessions = s;
	return s;
}

static void op_session_close(void *esess)
{
	lead_session *s = esess;
	s->closed = 1;
	lead_stmt_close(s);
	if (s->copy)
		lead_copy_abort(s);
	lead_copyto_abort(s);
	lead_txn_session_closed(s);
	lead_session_unref(s);
}

/* A Query that is one statement whose plan the session keeps (current
 * catalog) is that statement: not split (that would parse it). */
static int split_cached(lead_session *s, const char *sql, int *n, char ***stmts)
{
	sql_cached *e = sql_plan_cache_find(s->plans, &s->lift);
	int hit = e && e->p && e->catalog_version == cat_version(s->e->cat) && s->lift.len;
	sql_cached_unref(e);
	if (!hit || !(*stmts = mur_calloc(1, sizeof **stmts)))
		return 0;
	if (!((*stmts)[0] = strndup(sql, s->lift.len))) {
		free(*stmts);
		return 0;
	}
	*n = 1;
	return 1;
}

static int op_split(void *esess, const char *sql, int *n, char ***stmts, mur_error *err)
{
	lead_session *s = esess;
	int lift = s->plans && strcmp(lead_session_get(s, "murphy.plan_cache"), "on") == 0 &&
		   sql_lift_scan(sql, &s->lift),
	    rc;
	s->split_stmt = NULL;
	if (lift && split_cached(s, sql, n, stmts))
		rc = MUR_OK;
	else
		rc = sql_split(sql, n, stmts, err);
	if (lift && rc == MUR_OK && *n == 1 && strlen((*stmts)[0]) == s->lift.len &&
	    memcmp((*stmts)[0], sql, s->lift.len) == 0)
		s->split_stmt = (*stmts)[0];
	return rc;
}

/* Statements this long are parsed off the loop thread (one 64 KiB statement
 * parses in ~10 ms; below that the thread hop is not worth it). */
#define LEAD_PARSE_OFFLOOP_BYTES (64 * 1024)

/* The loop also runs the decision writer (lead_decide.c); without it (the
 * decision log cannot be opened) each decision is a synchronous=FULL
 * catalog commit, as before the log. */
void lead_engine_set_loop(lead_engine *e, uv_loop_t *loop)
{
	mur_error err;
	e->loop = loop;
	if (!loop || e->decider)
		return;
	if (!(e->decider = lead_decider_create(loop, e->cat, e->tr.fault != NULL, &err))) {
		MLOG(WARN, "decide", "decisions recorded in the catalog one by one: %s",
		     err.message);
		return;
	}
	repl_set_decide(e->repl, lead_decide, e->decider);
}

/* Give up st's plan: its own, or the plan cache entry's it borrowed. */
static void stmt_drop_plan(lead_stmt *st)
{
	if (st->cached)
		sql_cached_unref(st->cached);
	else if (st->p)
		plan_free(st->p);
	st->cached = NULL;
	st->lift_n = 0;
	st->p = NULL;
}

/* Freed statements (9 KiB, not zeroed: op_prepare sets what is read) kept
 * for the next ones (common/recycle.h). */
static _Thread_local mur_recycler stmt_bin = {.size = sizeof(lead_stmt)};

static void stmt_free(lead_stmt *st)
{
	if (!st)
		return;
	stmt_drop_plan(st);
	free(st->cols);
	free(st->sql);
	mur_recycle_free(&stmt_bin, st);
}

static void stmt_describe_fill(lead_stmt *st)
{
	const plan *p = st->p;
	st->nparams = st->cached ? 0 : p->nparams; /* a kept plan's are not the client's */
	for (int i = 0; i < st->nparams && i < PLAN_PARAMS_MAX; i++)
		st->param_oids[i] = mur_type_oid(
			p->param_types[i] == MT_UNKNOWN ? MT_TEXT : p->param_types[i]);
	free(st->cols);
	st->cols = NULL;
	st->ncols = 0;
	if (p->kind == PLAN_EXPLAIN || p->kind == PLAN_SHOW) {
		st->cols = mur_calloc(1, sizeof *st->cols);
		if (!st->cols)
			return;
		snprintf(st->cols[0].name, sizeof st->cols[0].name, "%s",
			 p->kind == PLAN_EXPLAIN ? "QUERY PLAN" : p->u.set.name);
		st->cols[0].type_oid = mur_type_oid(MT_TEXT);
		st->cols[0].typlen = -1;
		st->cols[0].typmod = -1;
		st->ncols = 1;
		return;
	}
	lead_plan_columns(p, &st->ncols, &st->cols);
}

static void stmt_types(int nparams, const uint32_t *param_oids, mur_type *types)
{
	for (int i = 0; i < nparams && i < PLAN_PARAMS_MAX; i++)
		types[i] = param_oids[i] ? mur_type_from_oid(param_oids[i]) : MT_UNKNOWN;
}

/* st runs e's plan, bound with its literals (l). */
static void stmt_borrow(lead_stmt *st, sql_cached *e, const sql_lift *l)
{
	st->p = e->p;
	st->cached = e;
	st->lift_n = e->n;
	for (int k = 0; k < e->n; k++)
		sql_cached_param(e, l, k, st->lift_text[k]);
}

/* Plan st from tree (parsed already) or, when tree is NULL, from its text;
 * with lift (a simple Query's statement, scanned), through the session's
 * plan cache (its literals as parameters when they may be). */
static int stmt_plan_tree(lead_session *s, lead_stmt *st, sql_tree *tree, const sql_lift *lift,
			  mur_error *err)
{
	mur_type types[PLAN_PARAMS_MAX];
	int n = st->given_nparams;
	plan *p = NULL;
	sql_cached *e = NULL;
	sql_options opts;
	int rc;
	stmt_types(n, st->given_oids, types);
	lead_session_sql_options(s, &opts);
	cat_set_viewer(s->e->cat, 1, s->txid); /* another block's new tables stay unseen */
	if (tree)
		rc = sql_prepare_tree(s->e->cat, st->sql, tree, &opts, n, types, &p, err);
	else if (lift && n == 0)
		rc = sql_plan_cache_fill(s->plans, s->e->cat, st->sql, lift, &opts, &e, &p, err);
	else
		rc = sql_prepare_opts(s->e->cat, st->sql, &opts, n, types, &p, err);
	/* a failed plan that named a table another block holds waits too, then
	 * plans again: PostgreSQL's analysis takes the table's lock first */
	st->shape_blocked = rc == MUR_OK ? lead_ddltxn_blocked_by(s->e->cat, e ? e->p : p)
					 : cat_viewer_blocked_by(s->e->cat);
	cat_set_viewer(s->e->cat, 0, 0);
	if (rc != MUR_OK)
		return MUR_ERR;
	if (e && st->shape_blocked) /* it waits, then plans again: not kept */
		sql_plan_cache_drop(s->plans, lift);
	stmt_drop_plan(st);
	if (e)
		stmt_borrow(st, e, lift);
	else
		st->p = p;
	st->catalog_version = cat_version(s->e->cat);
	if (!st->p->uses_xact_now)
		opts.xact_now_us = 0; /* stale only in another transaction when it does */
	if (!st->p->uses_stmt_now)
		opts.stmt_now_us = 0; /* else stale in the next statement */
	st->opts = opts;
	stmt_describe_fill(st);
	return MUR_OK;
}

static int stmt_plan(lead_session *s, lead_stmt *st, mur_error *err)
{
	return stmt_plan_tree(s, st, NULL, NULL, err);
}

/* A long statement waits for execute() to be parsed off the loop. */
static int stmt_offloop(const lead_session *s, const lead_stmt *st)
{
	return s->e->loop && strlen(st->sql) >= LEAD_PARSE_OFFLOOP_BYTES;
}

static int stmt_stale(lead_session *s, const lead_stmt *st)
{
	sql_options now;
	lead_session_sql_options(s, &now);
	return st->catalog_version != cat_version(s->e->cat) ||
	       sql_options_differ(&st->opts, &now) ||
	       (st->opts.xact_now_us && st->opts.xact_now_us != now.xact_now_us) ||
	       st->opts.stmt_now_us;
}

/* st, a simple Query's one statement (lift: its scan), from the session's
 * plan cache: 1 when a kept plan is current (st runs it), else 0 and
 * *lift NULL when the cache keeps it as a statement whose literals stay. */
static int stmt_from_cache(lead_session *s, lead_stmt *st, const sql_lift **lift)
{
	sql_cached *e = sql_plan_cache_find(s->plans, *lift);
	if (!e)
		return 0;
	if (!e->p) {
		if (e->catalog_version == cat_version(s->e->cat))
			*lift = NULL;
		sql_cached_unref(e);
		return 0;
	}
	stmt_borrow(st, e, *lift);
	st->catalog_version = e->catalog_version;
	st->opts = e->opts;
	if (stmt_stale(s, st)) {
		stmt_drop_plan(st);
		return 0;
	}
	stmt_describe_fill(st);
	st->checked = 1;
	s->plan_hits++;
	return 1;
}

static void *op_prepare(void *esess, const char *sql, int nparams, const uint32_t *param_oids,
			mur_error *err)
{
	lead_session *s = esess;
	/* the Query's statement that op_split just scanned (pgw_simple.c prepares
	 * it next; any other prepare in between clears split_stmt) */
	const sql_lift *lift = sql == s->split_stmt && nparams == 0 && strlen(sql) == s->lift.len
				       ? &s->lift
				       : NULL;
	lead_stmt *st = mur_recycle_alloc(&stmt_bin);
	s->split_stmt = NULL;
	if (st)
		memset(st, 0, offsetof(lead_stmt, given_oids)); /* the oids: lead_int.h */
	if (!st || !(st->sql = strdup(sql))) {
		free(st);
		mur_error_set(err, SQLSTATE_OUT_OF_MEMORY, "out of memory");
		return NULL;
	}
	st->session = s;
	st->given_nparams = nparams > PLAN_PARAMS_MAX ? PLAN_PARAMS_MAX : nparams;
	for (int i = 0; i < st->given_nparams; i++)
		st->given_oids[i] = param_oids[i];
	if (stmt_offloop(s, st))
		return st; /* planned by execute(), or by describe() if asked first */
	if (lift && stmt_from_cache(s, st, &lift))
		return st;
	if (stmt_plan_tree(s, st, NULL, lift, err) != MUR_OK && !st->shape_blocked) {
		stmt_free(st);
		return NULL;
	}
	return st; /* failed naming a table another block holds: execute() waits */
}

static void op_describe(void *stmt, int *nparams, const uint32_t **param_oids, int *ncols,
			const pgw_column **cols)
{
	lead_stmt *st = stmt;
	if (!st->p && st->session) {
		/* Describe before execute: plan inline; an error is reported by
		 * execute, which plans again */
		mur_error err;
		stmt_plan(st->session, st, &err);
	}
	*nparams = st->nparams;
	*param_oids = st->param_oids;
	*ncols = st->ncols;
	*cols = st->cols;
}

/* FETCH / MOVE describe as their cursor, EXECUTE as its statement. */
static int op_describes_as(void *stmt, char *name, size_t cap)
{
	const lead_stmt *st = stmt;
	const plan_portal *pp;
	if (!st->p || st->p->kind != PLAN_PORTAL)
		return PGW_DESCRIBES_SELF;
	pp = &st->p->u.portal;
	snprintf(name, cap, "%s", pp->name);
	switch (pp->verb) {
	case PLAN_PORTAL_FETCH:
		return PGW_DESCRIBES_CURSOR;
	case PLAN_PORTAL_EXECUTE:
		return PGW_DESCRIBES_STATEMENT;
	default:
		return PGW_DESCRIBES_SELF;
	}
}

static void op_stmt_free(void *stmt) { stmt_free(stmt); }

static void done_with_error(pgw_done_cb done, void *arg, const mur_error *err)
{
	pgw_result *res = pgw_result_new();
	if (res)
		pgw_result_set_error(res, err);
	done(arg, res);
}

static void plan_failed(lead_session *s, const mur_error *err, pgw_done_cb done, void *arg);

/* A plan of st's text of its own, for a COPY: the COPY outlives the
 * statement (pgwire may free it meanwhile). */
static int stmt_fresh_plan(lead_session *s, const lead_stmt *st, plan **p, mur_error *err)
{
	sql_options opts;
	int rc;
	lead_session_sql_options(s, &opts); /* its search_path, its role */
	cat_set_viewer(s->e->cat, 1, s->txid);
	rc = sql_prepare_opts(s->e->cat, st->sql, &opts, 0, NULL, p, err);
	rc = lead_shape_blocked(s, rc, p, err);
	cat_set_viewer(s->e->cat, 0, 0);
	return rc;
}

/* The parameters a plan from the cache takes (text format): the
 * statement's literals, then now() (the transaction's start, as a plan
 * made now would hold it: lead_session_sql_options). */
static int lift_params(lead_session *s, const lead_stmt *st, int *nparams,
		       const char *const **values, const int32_t **lengths)
{
	static _Thread_local const char *v[SQL_LIFT_MAX + 1];
	static _Thread_local int32_t len[SQL_LIFT_MAX + 1];
	if (st->lift_n > SQL_LIFT_MAX)
		return MUR_ERR;
	for (int k = 0; k < st->lift_n; k++) {
		v[k] = st->lift_text[k];
		len[k] = (int32_t)strlen(st->lift_text[k]);
	}
	/* the session's now() text is of its transaction's start: a block's
	 * statements share it (gmtime and snprintf once, not per statement) */
	if (!s->now_text[0] || s->now_text_us != s->xact_now_us) {
		sql_cached_now_param(s->xact_now_us, s->now_text);
		s->now_text_us = s->xact_now_us;
	}
	v[st->lift_n] = s->now_text;
	len[st->lift_n] = (int32_t)strlen(s->now_text);
	*nparams = st->lift_n + 1;
	*values = v;
	*lengths = len;
	return MUR_OK;
}

/* Run st, planned and current. */
static void execute_planned(lead_session *s, lead_stmt *st, int nparams, const char *const *values,
			    const int32_t *lengths, int nformats, const int16_t *formats,
			    pgw_done_cb done, void *arg)
{
	lead_run *r;
	mur_error err;
	int stream = s->portal_stream;
	s->portal_stream = 0;
	if (st->p->kind == PLAN_LOCK) {
		lead_txn_lock(s, st->p, st->sql, done, arg);
		return;
	}
	if (st->p->kind == PLAN_COPY_TO) {
		plan *p = NULL;
		if (stmt_fresh_plan(s, st, &p, &err) != MUR_OK)
			plan_failed(s, &err, done, arg);
		else
			lead_copyto_start(s, p, st->sql, done, arg);
		return;
	}
	r = lead_run_new(s, st->p, done, arg);
	if (!r) {
		lead_ddltxn_unqueue(s);
		mur_error_set(&err, SQLSTATE_OUT_OF_MEMORY, "out of memory");
		done_with_error(done, arg, &err);
		return;
	}
	mur_strlcpy(r->sql_text, st->sql ? st->sql : "", sizeof r->sql_text);
	memcpy(s->last_query, r->sql_text, sizeof s->last_query);
	r->stmt = st;
	if (st->cached && nparams == 0 && lift_params(s, st, &nparams, &values, &lengths) != MUR_OK)
		nparams = -1; /* cannot happen: lift_n is at most SQL_LIFT_MAX */
	if (lead_bind_params(r, nparams, values, lengths, nformats, formats) != MUR_OK) {
		lead_run_finish(r);
		return;
	}
	if (st->p->kind == PLAN_COPY_FROM) {
		/* the COPY owns its plan (the statement may be freed meanwhile):
		 * the statement's own, taken (current: checked by execute; run
		 * again, it plans again), or a fresh one when the plan is the
		 * session cache's.  r->p stays valid until lead_run_finish below:
		 * the COPY frees it only once its rows are in, a later turn. */
		plan *p = NULL;
		int rc = MUR_OK, taken = !st->cached;
		if (lead_txn_write_refused(r)) /* a READ ONLY block */
			return;
		if (taken) {
			p = st->p;
			st->p = NULL;
		} else {
			rc = stmt_fresh_plan(s, st, &p, &err);
		}
		if (rc != MUR_OK || lead_copy_start(s, p, r->res, &err) != MUR_OK) {
			if (taken)
				st->p = p; /* back to the statement: r->p is it */
			else if (p)
				plan_free(p);
			lead_run_fail(r, &err);
		}
		lead_run_finish(r);
		return;
	}
	if (s->cancel_pending) { /* cancelled while it was parsed (lead_cancel.c) */
		lead_run_fail(r, &s->cancel_err);
		lead_run_finish(r);
		return;
	}
	if (stream && lead_stream_wanted(st->p))
		(void)lead_stream_start(r, st->sql); /* else the result is whole */
	lead_run_start(r);
}

/* INSERT, UPDATE, DELETE and TRUNCATE: all or nothing of them is stored
 * (one shard's entry, or an implicit transaction), so a failed one may run
 * again; a DDL statement's parts are not undone so. */
static int rerunnable(const plan *p)
{
	return p && (p->kind == PLAN_INSERT || p->kind == PLAN_MODIFY || p->kind == PLAN_TRUNCATE);
}

int lead_session_reroute(lead_run *r)
{
	lead_session *s = r->s;
	lead_stmt *st = r->stmt;
	lead_run *n;
	mur_error err;
	if (!st || r->block_txid || s->txn != LEAD_TXN_IDLE || s->in_query || r->cancelled ||
	    r->reroutes >= LEAD_REROUTES_MAX || !rerunnable(st->p) ||
	    (stmt_stale(s, st) && stmt_plan(s, st, &err) != MUR_OK) ||
	    !(n = lead_run_new(s, st->p, r->done, r->done_arg)))
		return 0;
	MLOG(DEBUG, "leader", "statement queued behind a split runs again: %s", r->err.message);
	snprintf(n->sql_text, sizeof n->sql_text, "%s", r->sql_text);
	n->stmt = st;
	n->reroutes = r->reroutes + 1;
	n->start_us = r->start_us;
	n->params = r->params; /* the values point into param_scratch: both move */
	n->nparams = r->nparams;
	if (st->p->nparams == 0)
		n->nparams = 0; /* its literals were bound to a plan from the cache: planned
				   again as they are */
	n->param_scratch = r->param_scratch;
	r->params = NULL;
	r->nparams = 0;
	mur_buf_init(&r->param_scratch);
	lead_run_start(n);
	return 1;
}

/* A statement that failed before it ran, answered once its block's
 * writes since the innermost savepoint are undone (lead_txn_undo_failed). */
typedef struct plan_fail {
	lead_session *s;
	mur_error err;
	pgw_done_cb done;
	void *arg;
} plan_fail;

static void plan_fail_answer(void *arg)
{
	plan_fail pf = *(plan_fail *)arg;
	free(arg);
	lead_session_ran(pf.s, NULL, 1, 0);
	done_with_error(pf.done, pf.arg, &pf.err);
}

static void plan_failed(lead_session *s, const mur_error *err, pgw_done_cb done, void *arg)
{
	plan_fail *pf = malloc(sizeof *pf);
	if (pf) {
		*pf = (plan_fail){.s = s, .err = *err, .done = done, .arg = arg};
		if (lead_txn_undo_failed(s, s->txid, err, plan_fail_answer, pf))
			return;
		free(pf);
	}
	lead_session_ran(s, NULL, 1, 0);
	done_with_error(done, arg, err);
}

/* A long statement's parse on the thread pool (see the top of the file).
 * The session and the statement outlive it: pgwire frees neither while
 * the statement runs or its Parse finishes (pgw_engine.h).  run: execute
 * once planned, with the job's copy of the parameters (pgwire's live only
 * during execute()); otherwise only report the statement ready
 * (prepare_finish). */
typedef struct plan_job {
	uv_work_t req;
	lead_session *s;
	lead_stmt *st;
	sql_tree *tree; /* parsed on the pool thread; freed by plan_job_done */
	mur_error err;
	int rc;
	int run;
	pgw_done_cb done;
	void *arg;
	int nparams, nformats;
	char **values;
	int32_t *lengths;
	int16_t *formats;
} plan_job;

static void plan_job_free(plan_job *j)
{
	for (int i = 0; i < j->nparams; i++)
		free(j->values[i]);
	free(j->values);
	free(j->lengths);
	free(j->formats);
	free(j);
}

/* Copy the parameters into j; MUR_ENOMEM when out of memory. */
static int plan_job_keep_params(plan_job *j, int nparams, const char *const *values,
				const int32_t *lengths, int nformats, const int16_t *formats)
{
	if (nparams == 0 && nformats == 0)
		return MUR_OK;
	j->values = mur_calloc((size_t)nparams + 1, sizeof *j->values);
	j->lengths = mur_calloc((size_t)nparams + 1, sizeof *j->lengths);
	j->formats = mur_calloc((size_t)nformats + 1, sizeof *j->formats);
	if (!j->values || !j->lengths || !j->formats)
		return MUR_ENOMEM;
	j->nparams = nparams;
	j->nformats = nformats;
	if (nformats)
		memcpy(j->formats, formats, (size_t)nformats * sizeof *formats);
	for (int i = 0; i < nparams; i++) {
		j->lengths[i] = lengths[i];
		if (lengths[i] < 0)
			continue;
		if (!(j->values[i] = malloc((size_t)lengths[i] + 1)))
			return MUR_ENOMEM;
		memcpy(j->values[i], values[i], (size_t)lengths[i]);
		j->values[i][lengths[i]] = '\0';
	}
	return MUR_OK;
}

static void plan_job_work(uv_work_t *w)
{
	plan_job *j = w->data;
	j->rc = sql_parse(j->st->sql, &j->tree, &j->err);
}

static void tree_free_work(uv_work_t *w)
{
	plan_job *j = w->data;
	sql_tree_free(j->tree);
}

static void tree_free_done(uv_work_t *w, int status)
{
	(void)status;
	plan_job_free(w->data);
}

/* ---- a statement naming a table another open block altered ----
 *
 * It waits before it runs, as PostgreSQL's ACCESS EXCLUSIVE lock makes it
 * (docs/decisions.md, "ALTER TABLE in a block"): with a copy of its
 * parameters, looking every LEAD_SHAPE_POLL_MS whether that block still
 * holds the table's shape; once it ended the statement is planned again
 * (with the shape the block's outcome gave) and runs.  A cancel, the
 * statement_timeout (both: cancel_pending) and lock_timeout (55P03) end
 * the wait.  The wait is an arrow of the lock table's wait-for graph
 * (repl_txn_wait_block): once it lasted deadlock_timeout, and every
 * deadlock_timeout after, the waiter searches for a cycle through it (the
 * holding block waiting for a shard lock or a table this session holds)
 * and gets 40P01 when one closes; a holder's own shard waits find it too. */
#define LEAD_SHAPE_POLL_MS 5

typedef struct shape_wait {
	uv_timer_t timer;
	plan_job *j; /* the statement and its parameters' copy */
	uint64_t start_us;
	uint64_t search_us; /* the next deadlock search (mur_now_us) */
	uint64_t by;        /* the open block it waits for now */
} shape_wait;

/* The session's deadlock_timeout in µs (PostgreSQL's 1 s when unset). */
static uint64_t deadlock_us(lead_session *s)
{
	uint64_t ms = lead_session_ms(s, "deadlock_timeout");
	return (ms ? ms : REPL_DEADLOCK_TIMEOUT_MS) * 1000;
}

static void shape_wait_closed(uv_handle_t *h)
{
	shape_wait *w = h->data;
	lead_session *s = w->j->s;
	plan_job_free(w->j);
	free(w);
	lead_session_unref(s);
}

/* End the wait: run the statement (err NULL) or answer err. */
static void shape_wait_end(shape_wait *w, const mur_error *err)
{
	plan_job *j = w->j;
	uv_timer_stop(&w->timer);
	j->s->shape_waiting = 0;
	if (err) /* else it stays queued until it ran (took its hold): lead_session_ran */
		lead_ddltxn_unqueue(j->s);
	if (j->s->tx)
		repl_txn_wait_block(j->s->tx, 0);
	if (err)
		plan_failed(j->s, err, j->done, j->arg);
	else
		execute_planned(j->s, j->st, j->nparams, (const char *const *)j->values, j->lengths,
				j->nformats, j->formats, j->done, j->arg);
	uv_close((uv_handle_t *)&w->timer, shape_wait_closed);
}

/* Wait (on) for open block `by` from now: the graph's arrow, the view. */
static void shape_wait_for(lead_session *s, shape_wait *w, uint64_t by)
{
	const plan *p = w->j->st->p;
	w->by = by;
	s->shape_waiting = by;
	if (!(p && (p->kind == PLAN_DROP_TABLE || p->kind == PLAN_CREATE_INDEX)))
		p = NULL;
	s->e->ddl_queued += (p != NULL) - (s->ddl_queued != NULL);
	s->ddl_queued = p;
	if (s->tx) /* in the graph at once: the holder's own searches follow it */
		repl_txn_wait_block(s->tx, by);
}

/* What st waits for before it runs: a block holding a table it names
 * (its plan's), a block holding a lock its DDL waits for, or a block whose
 * waiting DDL it queues behind (then st plans again once that DDL ran:
 * shape_blocked); 0: none. */
static uint64_t stmt_waits_for(lead_session *s, lead_stmt *st)
{
	uint64_t by = st->shape_blocked ? st->shape_blocked : lead_ddltxn_lock_holder(s, st->p);
	if (!by && (by = lead_ddltxn_queued_ahead(s, st->p)) != 0)
		st->shape_blocked = by;
	return by;
}

static void shape_wait_poll(uv_timer_t *t)
{
	shape_wait *w = t->data;
	lead_session *s = w->j->s;
	lead_stmt *st = w->j->st;
	uint64_t lock_ms = lead_session_ms(s, "lock_timeout"), by;
	mur_error err;
	if (s->cancel_pending || s->closed) {
		if (!s->cancel_pending)
			mur_error_set(&s->cancel_err, SQLSTATE_QUERY_CANCELED,
				      "canceling statement: the client went away");
		shape_wait_end(w, &s->cancel_err);
		return;
	}
	if (lock_ms && mur_now_us() - w->start_us >= lock_ms * 1000) {
		mur_error_set(&err, SQLSTATE_LOCK_NOT_AVAILABLE,
			      "canceling statement due to lock timeout");
		mur_error_detail(&err,
				 "it waited for transaction %llu, which holds a table it names",
				 (unsigned long long)w->by);
		shape_wait_end(w, &err);
		return;
	}
	if (s->tx && mur_now_us() >= w->search_us) {
		w->search_us = mur_now_us() + deadlock_us(s);
		if (repl_txn_deadlocked(s->e->repl, s->tx, &err)) {
			mur_error_detail(&err,
					 "transaction %llu waits for transaction %llu, which holds "
					 "a table it names or a lock it needs, and waits for it",
					 (unsigned long long)s->txid, (unsigned long long)w->by);
			shape_wait_end(w, &err);
			return;
		}
	}
	if (cat_block_shape_held(s->e->cat, w->by) || lead_ddltxn_queued(s->e, w->by))
		return;
	/* plan again once a hold ended (its outcome may change the plan) */
	if ((st->shape_blocked || stmt_stale(s, st)) && stmt_plan(s, st, &err) != MUR_OK) {
		shape_wait_end(w, &err);
		return;
	}
	if ((by = stmt_waits_for(s, st)) != 0) /* another hold, or a lock still held */
		shape_wait_for(s, w, by);
	else
		shape_wait_end(w, NULL);
}

/* Run st now, or wait until the block that holds a table it names (or a
 * lock its DDL waits for) ends. */
static void execute_or_wait(lead_session *s, lead_stmt *st, int nparams, const char *const *values,
			    const int32_t *lengths, int nformats, const int16_t *formats,
			    pgw_done_cb done, void *arg)
{
	shape_wait *w;
	mur_error err;
	uint64_t by = stmt_waits_for(s, st);
	if (!by) {
		execute_planned(s, st, nparams, values, lengths, nformats, formats, done, arg);
		return;
	}
	if (!s->e->loop) {
		mur_error_set(&err, SQLSTATE_LOCK_NOT_AVAILABLE,
			      "could not wait for transaction %llu, which holds a table this "
			      "statement names: no event loop to wait on",
			      (unsigned long long)by);
		plan_failed(s, &err, done, arg);
		return;
	}
	if (!(w = mur_calloc(1, sizeof *w)) || !(w->j = mur_calloc(1, sizeof *w->j)) ||
	    plan_job_keep_params(w->j, nparams, values, lengths, nformats, formats) != MUR_OK) {
		if (w && w->j)
			plan_job_free(w->j);
		free(w);
		mur_error_set(&err, SQLSTATE_OUT_OF_MEMORY, "out of memory");
		plan_failed(s, &err, done, arg);
		return;
	}
	w->j->s = s;
	w->j->st = st;
	w->j->run = 1;
	w->j->done = done;
	w->j->arg = arg;
	w->start_us = mur_now_us();
	w->search_us = w->start_us + deadlock_us(s);
	shape_wait_for(s, w, by);
	w->timer.data = w;
	s->refs++;
	uv_timer_init(s->e->loop, &w->timer);
	uv_timer_start(&w->timer, shape_wait_poll, LEAD_SHAPE_POLL_MS, LEAD_SHAPE_POLL_MS);
}

static void plan_job_report(plan_job *j)
{
	lead_session *s = j->s;
	if (j->rc != MUR_OK)
		plan_failed(s, &j->err, j->done, j->arg);
	else if (j->run)
		execute_or_wait(s, j->st, j->nparams, (const char *const *)j->values, j->lengths,
				j->nformats, j->formats, j->done, j->arg);
	else
		j->done(j->arg, pgw_result_new()); /* NULL: pgwire reports it */
}

/* Back on the loop thread: plan against the catalog as it is now (it may
 * have changed while the pool parsed: the tree is text, not catalog), then
 * run or report. */
static void plan_job_done(uv_work_t *w, int status)
{
	plan_job *j = w->data;
	lead_session *s = j->s;
	if (status != 0 && j->rc == MUR_OK)
		j->rc = mur_error_set(&j->err, SQLSTATE_QUERY_CANCELED, "statement canceled");
	if (j->rc == MUR_OK)
		j->rc = stmt_plan_tree(s, j->st, j->tree, NULL, &j->err);
	plan_job_report(j);
	lead_session_unref(s);
	/* freeing a million-node tree takes ~0.3 s too: on the pool as well */
	if (!j->tree || uv_queue_work(w->loop, &j->req, tree_free_work, tree_free_done) != 0) {
		sql_tree_free(j->tree);
		plan_job_free(j);
	}
}

/* MUR_OK when the parse went to the pool (done is called later). */
static int plan_job_start(lead_session *s, lead_stmt *st, int run, int nparams,
			  const char *const *values, const int32_t *lengths, int nformats,
			  const int16_t *formats, pgw_done_cb done, void *arg)
{
	plan_job *j = mur_calloc(1, sizeof *j);
	if (!j)
		return MUR_ENOMEM;
	j->s = s;
	j->st = st;
	j->run = run;
	j->done = done;
	j->arg = arg;
	j->req.data = j;
	if (plan_job_keep_params(j, nparams, values, lengths, nformats, formats) != MUR_OK ||
	    uv_queue_work(s->e->loop, &j->req, plan_job_work, plan_job_done) != 0) {
		plan_job_free(j);
		return MUR_ERR;
	}
	s->refs++;
	return MUR_OK;
}

/* pgw_engine_ops.prepare_finish: a long statement is parsed off the loop
 * before its ParseComplete, so Bind and Describe find it planned. */
static void op_prepare_finish(void *esess, void *stmt, pgw_done_cb done, void *arg)
{
	lead_session *s = esess;
	lead_stmt *st = stmt;
	if (st->p || !stmt_offloop(s, st) ||
	    plan_job_start(s, st, 0, 0, NULL, NULL, 0, NULL, done, arg) != MUR_OK)
		done(arg, pgw_result_new()); /* an error, if any, comes at execute */
}

static void op_execute(void *esess, void *stmt, int nparams, const char *const *values,
		       const int32_t *lengths, int nformats, const int16_t *formats,
		       pgw_done_cb done, void *arg)
{
	lead_session *s = esess;
	lead_stmt *st = stmt;
	mur_error err;
	int stream = s->portal_stream, checked;

	s->portal_stream = 0;            /* execute_planned takes it, whenever it runs */
	lead_activity_begin(s);          /* pg_stat_activity's query_start */
	lead_stmt_begin(s, &done, &arg); /* cancel, statement_timeout: lead_cancel.c */
	if (lead_txn_implicit_start(s, st->p, &err) != MUR_OK) {
		done_with_error(done, arg, &err);
		return;
	}
	if (s->txn == LEAD_TXN_FAILED &&
	    (!st->p || (st->p->kind != PLAN_ROLLBACK && st->p->kind != PLAN_COMMIT &&
			st->p->kind != PLAN_ROLLBACK_TO))) {
		mur_error_set(&err, SQLSTATE_IN_FAILED_SQL_TRANSACTION,
			      "current transaction is aborted, commands ignored until end of "
			      "transaction block");
		done_with_error(done, arg, &err);
		return;
	}
	/* Not planned yet (a long statement), a table was created or dropped
	 * since planning, or a setting that changes plans was SET: plan (again;
	 * no plan may point at a dropped table; murphy.count_distinct decides
	 * the aggregates).  A long one is parsed on the pool, with a copy of
	 * the parameters (theirs live only during this call). */
	s->portal_stream = stream;
	checked = st->checked; /* by op_prepare, just before (pgw_simple.c) */
	st->checked = 0;
	if (!st->p || (!checked && stmt_stale(s, st))) {
		if (stmt_offloop(s, st) && plan_job_start(s, st, 1, nparams, values, lengths,
							  nformats, formats, done, arg) == MUR_OK)
			return;
		if (stmt_plan(s, st, &err) != MUR_OK && !st->shape_blocked) {
			plan_failed(s, &err, done, arg);
			return;
		}
	}
	execute_or_wait(s, st, nparams, values, lengths, nformats, formats, done, arg);
}

static int op_copy_data(void *esess, const char *data, size_t len)
{
	return lead_copy_data(esess, data, len);
}

static void op_copy_done(void *esess, int failed, const char *msg, pgw_done_cb done, void *arg)
{
	lead_copy_done(esess, failed, msg, done, arg);
}

static void op_portal_stream(void *esess) { ((lead_session *)esess)->portal_stream = 1; }

static char op_txn_status(void *esess) { return lead_txn_status(esess); }

static void op_statement_failed(void *esess) { lead_txn_failed_unrun(esess); }

static void op_localize_error(void *esess, mur_error *err)
{
	mur_outfmt f;
	lead_session_outfmt(esess, &f);
	mur_failing_row_localize(err, &f);
}

const pgw_engine_ops lead_engine_ops = {
	.auth_lookup = op_auth_lookup,
	.session_open = op_session_open,
	.session_close = op_session_close,
	.split = op_split,
	.prepare = op_prepare,
	.describe = op_describe,
	.describes_as = op_describes_as,
	.stmt_free = op_stmt_free,
	.prepare_finish = op_prepare_finish,
	.execute = op_execute,
	.copy_data = op_copy_data,
	.copy_done = op_copy_done,
	.copy_out_next = lead_copyto_next,
	.portal_stream = op_portal_stream,
	.portal_next = lead_stream_next,
	.portal_close = lead_stream_close,
	.txn_status = op_txn_status,
	.statement_failed = op_statement_failed,
	.localize_error = op_localize_error,
	.cancel = lead_session_cancel_request,
	.idle_in_txn_timeout_ms = lead_idle_timeout_ms,
	.idle_session_timeout_ms = lead_idle_session_timeout_ms,
	.report_params = lead_setscope_report,
	.query_begin = lead_txn_query_begin,
	.query_end = lead_txn_query_end,
};
