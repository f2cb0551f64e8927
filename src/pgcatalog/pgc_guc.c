/*
 * pgc_guc.c — what pg_settings says about a setting beyond its value
 * (vartype, unit, the value in that unit, context), and the read-only
 * PostgreSQL settings murphy shows for tools that read them.
 *
 * The leader owns the session's settings and their values
 * (leader/lead_session.c); this file describes them as PostgreSQL's
 * pg_settings does: `setting` in the unit column's unit (SHOW says
 * "1s", pg_settings 1000 ms), vartype bool/integer/real/string/enum.
 *
 * The constants (pgc_guc_constant) are of two sorts, each listed with why
 * its value is right: values true for murphy (max_prepared_transactions 0:
 * no PREPARE TRANSACTION; autovacuum off: none runs), and PostgreSQL's
 * defaults of memory knobs murphy has no counterpart of (work_mem,
 * shared_buffers: SQLite's page cache does that work), shown so a tool's
 * SHOW or current_setting answers and said so in short_desc.  SET of any
 * of them is refused: 0A000 for the ones PostgreSQL lets a session set
 * (pgc_guc_refused, from the planner), 55P02 for the others (the leader).
 */
#include "pgcatalog/pgc_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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
		if (!strcmp(constants[i].name, name))
			return &constants[i];
	return NULL;
}

const char *pgc_guc_constant(const char *name)
{
	const guc_constant *k = constant(name);
	return k ? k->show : NULL;
}

const char *pgc_guc_constant_name(int i)
{
	return i >= 0 && i < NCONSTANTS ? constants[i].name : NULL;
}

int pgc_guc_refused(const char *name)
{
	const guc_constant *k = constant(name);
	return k && (!strcmp(k->context, "user") || !strcmp(k->context, "superuser"));
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
	double base = !strcmp(unit, "s") ? 1000 : !strcmp(unit, "8kB") ? 8 : 1;
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
	memset(out, 0, sizeof *out);
	out->vartype = "string";
	snprintf(out->setting, sizeof out->setting, "%s", shown ? shown : "");
	if (k) {
		out->vartype = k->vartype;
		out->unit = k->unit;
		out->context = k->context;
		out->short_desc = k->desc;
		snprintf(out->setting, sizeof out->setting, "%s", k->setting);
		return;
	}
	for (size_t i = 0; i < sizeof typed / sizeof typed[0]; i++)
		if (!strcmp(typed[i].name, name)) {
			out->vartype = typed[i].vartype;
			out->unit = typed[i].unit;
			out->context = typed[i].context;
			if (out->unit && shown)
				in_unit(shown, out->unit, out->setting, sizeof out->setting);
			return;
		}
}
