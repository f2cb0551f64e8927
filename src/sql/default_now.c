/*
 * default_now.c — a column's DEFAULT now() is the transaction's start.
 *
 * PostgreSQL evaluates now(), transaction_timestamp(), CURRENT_TIMESTAMP,
 * CURRENT_DATE and LOCALTIMESTAMP (the last two on the zone's wall clock:
 * parser/analyze_tz.c) as the start of the transaction, also inside a
 * column's DEFAULT: two INSERTs (or an INSERT and a COPY, or UPDATE ... SET c = DEFAULT) in one
 * BEGIN ... COMMIT block fill the same time.  CREATE TABLE stores a
 * default as the SQLite text its emitter wrote (cat_column.default_sql),
 * where those calls are mur_xact_now() (parser/analyze_func.c: without a
 * transaction's time, as in DDL) and clock_timestamp() is mur_now().  A
 * statement that fills the default binds each unquoted mur_xact_now() to
 * the transaction's start before the leader's SQLite evaluates it:
 *
 *   sql_default_bind_now: INSERT / UPDATE planning (plan_dml.c), the
 *     parser's now() expression (a constant, or the plan cache's now
 *     parameter $n+1, so the kept plan stays right in the next block);
 *   sql_default_now_sql: COPY (leader/lead_copy.c), a literal of the
 *     session's transaction start.
 *
 * CURRENT_DATE and LOCALTIMESTAMP store the zone as mur_session_zone(),
 * bound beside mur_xact_now() to the session's zone (a literal): the
 * wall clock of the session that fills the default, as PostgreSQL's, not
 * of the one that made the table.
 *
 * mur_xact_now() evaluated unbound (a CHECK, a view, a default stored in
 * an older catalog as mur_now()) reads the clock, as before
 * (storage/sqlfn_time.c).
 */
#include "sql/sqlInt.h"

#include "common/tz.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

#define NOW_CALL "mur_xact_now()"
#define ZONE_CALL "mur_session_zone()"

/* out: sql with each unquoted call (NOW_CALL or ZONE_CALL) replaced by
 * its repl (NULL: left as is). */
static void substitute(mur_buf *out, const char *sql, const char *now, const char *zone)
{
	const char *calls[2] = {NOW_CALL, ZONE_CALL}, *repl[2] = {now, zone};
	int quoted = 0;
	for (const char *p = sql; *p; p++) {
		int k = -1;
		quoted ^= *p == '\'';
		for (int i = 0; i < 2 && !quoted && k < 0; i++)
			if (repl[i] && strncmp(p, calls[i], strlen(calls[i])) == 0 &&
			    (p == sql || (p[-1] != '_' && !(p[-1] >= 'a' && p[-1] <= 'z'))))
				k = i;
		if (k >= 0) {
			mur_buf_printf(out, "(%s)", repl[k]);
			p += strlen(calls[k]) - 1;
			continue;
		}
		mur_buf_put(out, p, 1);
	}
}

/* zone as an SQL string literal in lit (zone names hold no quote). */
static const char *zone_lit(char *lit, size_t sz, const char *zone)
{
	snprintf(lit, sz, "'%s'", zone && !strchr(zone, '\'') ? zone : "UTC");
	return lit;
}

const char *sql_default_bind_now(sql_ctx *c, const char *sql, int loc)
{
	char zone[MUR_TZ_NAME_MAX + 3];
	mur_buf now, b;
	sql_emit em = {&now, NULL, 0};
	sql_expr *e;
	if (!c->xact_now_us || !strstr(sql, NOW_CALL))
		return sql_strdup(c, sql);
	if (!(e = sql_analyze_xact_now(c, loc)))
		return NULL;
	mur_buf_init(&now);
	sql_emit_expr(&em, e);
	mur_buf_init(&b);
	substitute(&b, sql, mur_buf_cstr(&now), zone_lit(zone, sizeof zone, sql_tz_name(c)));
	mur_buf_free(&now);
	return sql_buf_finish(c, &b);
}

void sql_default_now_sql(mur_buf *out, const char *sql, int64_t us, const char *zone)
{
	char lit[48], zlit[MUR_TZ_NAME_MAX + 3];
	time_t sec = (time_t)(us / 1000000);
	struct tm tm;
	int n;
	if (!us || !strstr(sql, NOW_CALL)) {
		mur_buf_printf(out, "%s", sql);
		return;
	}
	gmtime_r(&sec, &tm);
	n = snprintf(lit, sizeof lit, "'%04d-%02d-%02d %02d:%02d:%02d.%06lld", tm.tm_year + 1900,
		     tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
		     (long long)(us % 1000000));
	while (lit[n - 1] == '0') /* storage/sqlfn_time.c's canonical text */
		lit[--n] = '\0';
	if (lit[n - 1] == '.')
		lit[--n] = '\0';
	snprintf(lit + n, sizeof lit - (size_t)n, "'");
	substitute(out, sql, lit, zone_lit(zlit, sizeof zlit, zone));
}
