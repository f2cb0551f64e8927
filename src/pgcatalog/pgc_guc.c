/*
 * pgc_guc.c — what pg_settings says about a setting beyond its value
 * (vartype, unit, the value in that unit, context, short_desc, category),
 * and the PostgreSQL settings murphy shows without keeping them.
 *
 * The leader owns the session's settings and their values
 * (leader/lead_session.c); this file describes them as PostgreSQL's
 * pg_settings does: `setting` in the unit column's unit (SHOW says
 * "1s", pg_settings 1000 ms), vartype bool/integer/real/string/enum, and
 * PostgreSQL 15's context / short_desc / category (pgc_guc_pg15.c, data
 * generated from a PostgreSQL 15 at its defaults).
 *
 * Every PostgreSQL 15 setting the leader does not keep is shown at a
 * fixed value (pgc_guc_constant): PostgreSQL's default (pgc_guc_pg15.c),
 * except the few listed below whose true murphy value differs, each with
 * why (max_wal_senders 0: no replication protocol; autovacuum off: none
 * runs; lc_* C), and the memory knobs murphy has no counterpart of
 * (work_mem, shared_buffers: SQLite's page cache does that work), said so
 * in extra_desc.  SET of one (docs/decisions.md "PostgreSQL's other
 * settings"): to the value shown, accepted (nothing changes); to another,
 * 0A000 for those PostgreSQL lets a session set (pgc_guc_refused, from the
 * planner and set_config), 55P02 for the others (pgc_guc_fixed).
 */
#include "pgcatalog/pgc_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define NOT_USED "PostgreSQL's default; murphy has no such setting (its followers run SQLite)"

typedef struct guc_constant {
	const char *name, *show, *vartype, *unit, *setting, *context, *desc;
} guc_constant;

static const guc_constant constants[] = {
	{"work_mem", "4MB", "integer", "kB", "4096", "user", NOT_USED},
	{"maintenance_work_mem", "64MB", "integer", "kB", "65536", "user", NOT_USED},
	{"temp_buffers", "8MB", "integer", "8kB", "1024", "user", NOT_USED},
	{"effective_cache_size", "4GB", "integer", "8kB", "524288", "user", NOT_USED},
	{"shared_buffers", "128MB", "integer", "8kB", "16384", "postmaster", NOT_USED},
	{"max_prepared_transactions", "0", "integer", NULL, "0", "postmaster",
	 "murphy does not take PREPARE TRANSACTION"},
	{"max_wal_senders", "0", "integer", NULL, "0", "postmaster",
	 "murphy does not speak PostgreSQL's replication protocol"},
	{"superuser_reserved_connections", "0", "integer", NULL, "0", "postmaster",
	 "murphy reserves no connections for superusers"},
	{"autovacuum", "off", "bool", NULL, "off", "sighup", "murphy runs no autovacuum"},
	{"track_commit_timestamp", "off", "bool", NULL, "off", "postmaster",
	 "murphy keeps no commit timestamps"},
	{"in_hot_standby", "off", "bool", NULL, "off", "internal", "the leader is no standby"},
	{"default_transaction_deferrable", "off", "bool", NULL, "off", "user",
	 "murphy has no SERIALIZABLE DEFERRABLE transactions"},
	{"lc_messages", "C", "string", NULL, "C", "superuser", "murphy's messages are English"},
	{"lc_monetary", "C", "string", NULL, "C", "user", "murphy formats as the C locale"},
	{"lc_numeric", "C", "string", NULL, "C", "user", "murphy formats as the C locale"},
	{"lc_time", "C", "string", NULL, "C", "user", "murphy formats as the C locale"},
};
#define NCONSTANTS (int)(sizeof constants / sizeof constants[0])

static const guc_constant *constant(const char *name)
{
	for (int i = 0; i < NCONSTANTS; i++)
		if (!strcasecmp(constants[i].name, name))
			return &constants[i];
	return NULL;
}

/* PostgreSQL 15's row for name (names compare as PostgreSQL's: any case). */
static const pgc_guc_pg *pg15(const char *name)
{
	for (int i = 0; i < pgc_guc_pg15_count; i++)
		if (!strcasecmp(pgc_guc_pg15[i].name, name))
			return &pgc_guc_pg15[i];
	return NULL;
}

const char *pgc_guc_constant(const char *name)
{
	const guc_constant *k = constant(name);
	const pgc_guc_pg *g = k ? NULL : pg15(name);
	return k ? k->show : g ? g->show : NULL;
}

/* The hand-listed constants, then PostgreSQL 15's other settings. */
const char *pgc_guc_constant_name(int i)
{
	if (i < 0)
		return NULL;
	if (i < NCONSTANTS)
		return constants[i].name;
	i -= NCONSTANTS;
	for (int j = 0; j < pgc_guc_pg15_count; j++) {
		if (constant(pgc_guc_pg15[j].name))
			continue;
		if (i-- == 0)
			return pgc_guc_pg15[j].name;
	}
	return NULL;
}

static const char *constant_context(const char *name)
{
	const guc_constant *k = constant(name);
	const pgc_guc_pg *g = k ? NULL : pg15(name);
	return k ? k->context : g ? g->context : NULL;
}

int pgc_guc_fixed(const char *name)
{
	const char *ctx = constant_context(name);
	return ctx && strcmp(ctx, "user") && strcmp(ctx, "superuser");
}

static void in_unit(const char *shown, const char *unit, char *out, size_t n);

/* A bool's words as PostgreSQL takes them: 1 on, 0 off, -1 not a bool. */
static int bool_word(const char *v)
{
	static const char *const on[] = {"on", "true", "yes", "1", "t", "y"};
	static const char *const off[] = {"off", "false", "no", "0", "f", "n"};
	for (size_t i = 0; i < sizeof on / sizeof on[0]; i++) {
		if (!strcasecmp(v, on[i]))
			return 1;
		if (!strcasecmp(v, off[i]))
			return 0;
	}
	return -1;
}

/* Settings whose every value behaves alike in murphy (what they govern
 * it does not have): any value is taken and shown, as PostgreSQL. */
int pgc_guc_inert(const char *name)
{
	static const char *const inert[] = {
		"check_function_bodies", /* no CREATE FUNCTION: no bodies to check */
		"xmloption",             /* no xml type */
	};
	for (size_t i = 0; i < sizeof inert / sizeof inert[0]; i++)
		if (!strcasecmp(inert[i], name))
			return 1;
	return 0;
}

const char *pgc_guc_shown_as(const char *name, const char *value)
{
	if (!strcasecmp(name, "xmloption"))
		return !strcasecmp(value, "content")    ? "content"
		       : !strcasecmp(value, "document") ? "document"
							: NULL;
	return bool_word(value) < 0 ? NULL : bool_word(value) ? "on" : "off";
}

int pgc_guc_refused(const char *name, const char *value)
{
	const char *shown = pgc_guc_constant(name);
	pgc_guc_info g;
	char v[64];
	if (!shown || pgc_guc_fixed(name) || !value || !strcasecmp(value, shown))
		return 0;
	if (pgc_guc_inert(name)) /* any value it takes; a bad one is refused */
		return !pgc_guc_shown_as(name, value);
	pgc_guc_describe(name, shown, &g);
	if (!strcmp(g.vartype, "bool"))
		return bool_word(value) < 0 || bool_word(value) != bool_word(shown);
	if (g.unit) {
		in_unit(value, g.unit, v, sizeof v);
		return strcmp(v, g.setting) != 0;
	}
	return 1;
}

/* The settings the leader keeps, as PostgreSQL types them (the rest:
 * string). */
static const struct {
	const char *name, *vartype, *unit, *context; /* context NULL: as the leader says */
} typed[] = {
	{"server_version_num", "integer", NULL, NULL},
	{"max_identifier_length", "integer", NULL, NULL},
	{"max_index_keys", "integer", NULL, NULL},
	{"max_function_args", "integer", NULL, NULL},
	{"block_size", "integer", NULL, NULL},
	{"wal_block_size", "integer", NULL, NULL},
	{"segment_size", "integer", "8kB", NULL},
	{"max_connections", "integer", NULL, "postmaster"},
	{"extra_float_digits", "integer", NULL, NULL},
	{"statement_timeout", "integer", "ms", NULL},
	{"lock_timeout", "integer", "ms", NULL},
	{"deadlock_timeout", "integer", "ms", NULL},
	{"idle_in_transaction_session_timeout", "integer", "ms", NULL},
	{"idle_session_timeout", "integer", "ms", NULL},
	{"tcp_user_timeout", "integer", "ms", NULL},
	{"tcp_keepalives_idle", "integer", "s", NULL},
	{"tcp_keepalives_interval", "integer", "s", NULL},
	{"tcp_keepalives_count", "integer", NULL, NULL},
	{"integer_datetimes", "bool", NULL, NULL},
	{"data_checksums", "bool", NULL, NULL},
	{"standard_conforming_strings", "bool", NULL, NULL},
	{"transaction_read_only", "bool", NULL, NULL},
	{"default_transaction_read_only", "bool", NULL, NULL},
	{"synchronize_seqscans", "bool", NULL, NULL},
	{"row_security", "bool", NULL, NULL},
	{"is_superuser", "bool", NULL, NULL},
	{"intervalstyle", "enum", NULL, NULL},
	{"client_min_messages", "enum", NULL, NULL},
	{"bytea_output", "enum", NULL, NULL},
	{"synchronous_commit", "enum", NULL, NULL},
	{"default_transaction_isolation", "enum", NULL, NULL},
	{"transaction_isolation", "enum", NULL, NULL},
	{"password_encryption", "enum", NULL, NULL},
	{"murphy.count_distinct", "enum", NULL, NULL},
	{"murphy.shuffle_strategy", "enum", NULL, NULL},
	{"murphy.join_strategy", "enum", NULL, NULL},
	{"murphy.read_consistency", "enum", NULL, NULL},
	{"murphy.allow_partial_results", "bool", NULL, NULL},
	{"murphy.parallel_commits", "bool", NULL, NULL},
	{"murphy.replica_batch", "bool", NULL, NULL},
	{"murphy.plan_cache", "bool", NULL, NULL},
	{"murphy.move_max_mbps", "real", NULL, NULL},
};

/* shown ("5s", "1min", "250", "1GB") in unit ("ms", "s", "8kB") into out;
 * shown as is when it does not parse. */
static void in_unit(const char *shown, const char *unit, char *out, size_t n)
{
	static const struct {
		const char *suffix;
		double ms, kb;
	} units[] = {{"ms", 1, 0},      {"s", 1000, 0},     {"min", 60000, 0},
		     {"h", 3600000, 0}, {"d", 86400000, 0}, {"kB", 0, 1},
		     {"MB", 0, 1024},   {"GB", 0, 1048576}, {"TB", 0, 1073741824.0}};
	char *end;
	double v = strtod(shown, &end);
	int time = !strcmp(unit, "ms") || !strcmp(unit, "s");
	double base = !strcmp(unit, "s")     ? 1000
		      : !strcmp(unit, "8kB") ? 8
		      : !strcmp(unit, "B")   ? 1.0 / 1024
					     : 1;
	snprintf(out, n, "%s", shown);
	if (end == shown)
		return;
	while (*end == ' ')
		end++;
	if (!*end) { /* a bare number is in the setting's own unit already */
		snprintf(out, n, "%.0f", v);
		return;
	}
	for (size_t i = 0; i < sizeof units / sizeof units[0]; i++)
		if (!strcmp(end, units[i].suffix) && (time ? units[i].ms : units[i].kb) > 0) {
			snprintf(out, n, "%.0f", v * (time ? units[i].ms : units[i].kb) / base);
			return;
		}
}

void pgc_guc_describe(const char *name, const char *shown, pgc_guc_info *out)
{
	const guc_constant *k = constant(name);
	const pgc_guc_pg *pg = pg15(name);
	memset(out, 0, sizeof *out);
	out->vartype = "string";
	snprintf(out->setting, sizeof out->setting, "%s", shown ? shown : "");
	if (pg) { /* PostgreSQL 15's description; murphy's own below win */
		out->vartype = pg->vartype;
		out->unit = pg->unit[0] ? pg->unit : NULL;
		out->context = pg->context;
		out->short_desc = pg->short_desc;
		out->category = pg->category;
		if (!k && shown && !strcmp(shown, pg->show))
			snprintf(out->setting, sizeof out->setting, "%s", pg->setting);
		else if (out->unit && shown)
			in_unit(shown, out->unit, out->setting, sizeof out->setting);
	}
	if (k) {
		out->vartype = k->vartype;
		out->unit = k->unit;
		out->context = k->context;
		out->short_desc = pg ? pg->short_desc : k->desc;
		out->extra_desc = k->desc; /* why murphy's value */
		snprintf(out->setting, sizeof out->setting, "%s", k->setting);
		return;
	}
	for (size_t i = 0; i < sizeof typed / sizeof typed[0]; i++)
		if (!strcmp(typed[i].name, name)) {
			out->vartype = typed[i].vartype;
			out->unit = typed[i].unit;
			out->context = typed[i].context ? typed[i].context : out->context;
			if (out->unit && shown)
				in_unit(shown, out->unit, out->setting, sizeof out->setting);
			return;
		}
}
