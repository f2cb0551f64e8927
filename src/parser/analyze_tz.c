/*
 * analyze_tz.c — where the session's TimeZone enters a plan (sql_ctx.tz,
 * from sql_options; NULL for UTC, when every existing plan stays as it
 * was).  PostgreSQL keeps timestamptz as an instant and consults the zone
 * only to read or show a wall-clock time; murphy stores the instant as UTC
 * text (common/value.h), so the same places need the zone here:
 *
 *   a literal without an offset      parsed in the zone at plan time
 *                                    (analyze_expr.c parse_literal)
 *   casts timestamptz <-> timestamp, date, text
 *                                    mur_tz_cast(x, from, to, 'zone')
 *   date_trunc(f, tstz[, zone])      mur_tz_trunc: truncate the wall-clock
 *                                    time, read it back in the zone
 *                                    (timestamptz_trunc)
 *   extract / date_part of a tstz    of the wall-clock time (epoch stays
 *                                    the instant's)
 *   to_char(tstz, fmt)               mur_to_char with the zone's name
 *   current_date, localtimestamp     the transaction start on the zone's wall clock
 *   age(tstz[, tstz])                of the wall-clock times
 *   x AT TIME ZONE z, timezone(z, x) mur_at_tz / mur_tz_at, any session zone
 *
 * The zone's name is written into the SQL the followers run (sqlfn_tz.c
 * says why), so a statement planned under one TimeZone is planned again
 * after SET TimeZone (sql_options_differ compares the zones).
 */
#include "parser/analyze.h"

#include <string.h>
#include <strings.h>

static sql_expr *zone_const(sql_ctx *c) { return sql_make_const_text(c, mur_tz_name(c->tz)); }

static int is_wall(mur_type t) { return t == MT_TIMESTAMP || t == MT_DATE || mur_type_is_text(t); }

sql_expr *sql_tz_cast(sql_ctx *c, sql_expr *e, mur_type to, int loc)
{
	mur_type from = e->type;
	if (!c->tz || from == to ||
	    !((from == MT_TIMESTAMPTZ && is_wall(to)) || (to == MT_TIMESTAMPTZ && is_wall(from))))
		return NULL;
	return sql_make_call(c, "mur_tz_cast", to, loc, 4, e, sql_make_const_int(c, from, MT_INT4),
			     sql_make_const_int(c, to, MT_INT4), zone_const(c));
}

/* x (timestamptz) as the wall-clock timestamp in zone (an expression). */
static sql_expr *to_local(sql_ctx *c, sql_expr *x, sql_expr *zone, int loc)
{
	return sql_make_call(c, "mur_tz_cast", MT_TIMESTAMP, loc, 4, x,
			     sql_make_const_int(c, MT_TIMESTAMPTZ, MT_INT4),
			     sql_make_const_int(c, MT_TIMESTAMP, MT_INT4), zone);
}

/* x AT TIME ZONE zone / timezone(zone, x). */
static sql_expr *at_time_zone(sql_ctx *c, sql_expr **args, int loc)
{
	sql_expr *zone = args[0], *x = args[1];
	if (zone->type == MT_INTERVAL) {
		sql_err(c, SQLSTATE_FEATURE_NOT_SUPPORTED, loc,
			"murphy does not support AT TIME ZONE with an interval yet");
		mur_error_hint(c->err, "Name the zone, e.g. AT TIME ZONE '-05' or 'Etc/GMT+5'.");
		return NULL;
	}
	if (!(zone = sql_coerce(c, zone, MT_TEXT, NULL)))
		return NULL;
	if (x->type == MT_UNKNOWN || x->type == MT_DATE)
		x = sql_coerce(c, x, MT_TIMESTAMPTZ, NULL);
	if (!x)
		return NULL;
	if (x->type == MT_TIMESTAMP)
		return sql_make_call(c, "mur_at_tz", MT_TIMESTAMPTZ, loc, 2, x, zone);
	if (x->type == MT_TIMESTAMPTZ)
		return sql_make_call(c, "mur_tz_at", MT_TIMESTAMP, loc, 2, x, zone);
	sql_err(c, SQLSTATE_UNDEFINED_FUNCTION, loc, "function timezone(text, %s) does not exist",
		sql_type_name(x->type));
	return NULL;
}

/* date_trunc(field, tstz[, zone]) on the wall clock of the zone. */
static sql_expr *trunc_in_zone(sql_ctx *c, sql_expr **args, sql_expr *zone, int loc)
{
	sql_expr *field = sql_coerce(c, args[0], MT_TEXT, NULL);
	if (!field || !zone)
		return NULL;
	return sql_make_call(c, "mur_tz_trunc", MT_TIMESTAMPTZ, loc, 3, field, args[1], zone);
}

static int is_epoch(const sql_expr *f)
{
	return f->kind == SE_CONST && f->val.kind == MV_TEXT && f->val.len == 5 &&
	       strncasecmp(f->val.s, "epoch", 5) == 0;
}

/* age(tstz[, tstz]) counts on the zone's wall clocks (timestamptz_age);
 * age(x) is age(current_date::timestamptz, x). */
static int age_in_zone(sql_ctx *c, sql_expr **args, int n, int loc, sql_expr **out)
{
	sql_expr *a, *b;
	for (int i = 0; i < n; i++)
		if (args[i]->type != MT_TIMESTAMPTZ)
			return 0;
	if (n == 1) {
		a = sql_tz_clock(c, MT_DATE, loc);
		a = a ? sql_make_cast(c, a, MT_TIMESTAMP, loc) : NULL;
		b = to_local(c, args[0], zone_const(c), loc);
	} else if (n == 2) {
		a = to_local(c, args[0], zone_const(c), loc);
		b = to_local(c, args[1], zone_const(c), loc);
	} else {
		return 0;
	}
	*out = a && b ? sql_make_call(c, "mur_age", MT_INTERVAL, loc, 2, a, b) : NULL;
	return 1;
}

int sql_tz_func(sql_ctx *c, const char *name, sql_expr **args, int n, int loc, sql_expr **out)
{
	*out = NULL;
	/* date_trunc(f, date): PostgreSQL's date becomes a timestamptz (the
	 * session zone's midnight), so the answer is one */
	if (!strcmp(name, "date_trunc") && (n == 2 || n == 3) && args[1]->type == MT_DATE &&
	    !(args[1] = sql_make_cast(c, args[1], MT_TIMESTAMPTZ, loc)))
		return 1;
	if (!strcmp(name, "timezone") && n == 2)
		return *out = at_time_zone(c, args, loc), 1;
	if (!strcmp(name, "date_trunc") && n == 3) {
		if (args[1]->type == MT_UNKNOWN &&
		    !(args[1] = sql_coerce(c, args[1], MT_TIMESTAMPTZ, NULL)))
			return 1;
		if (args[1]->type != MT_TIMESTAMPTZ)
			return 0;
		return *out = trunc_in_zone(c, args, sql_coerce(c, args[2], MT_TEXT, NULL), loc), 1;
	}
	if (c->tz && !strcmp(name, "age"))
		return age_in_zone(c, args, n, loc, out);
	if (!c->tz || n != 2 || args[1]->type != MT_TIMESTAMPTZ)
		return 0;
	if (!strcmp(name, "date_trunc"))
		return *out = trunc_in_zone(c, args, zone_const(c), loc), 1;
	if ((!strcmp(name, "extract") || !strcmp(name, "date_part")) && !is_epoch(args[0]))
		args[1] = to_local(c, args[1], zone_const(c), loc); /* the table does the rest */
	return 0;
}

/* The transaction's start on the zone's wall clock, as PostgreSQL's
 * CURRENT_DATE and LOCALTIMESTAMP (now() cast): the same in every row and
 * statement of a block, a column's DEFAULT included (sql/default_now.c
 * binds the mur_xact_now() and mur_session_zone() a DDL stores). */
sql_expr *sql_tz_clock(sql_ctx *c, mur_type t, int loc)
{
	sql_expr *now = sql_analyze_xact_now(c, loc), *zone;
	if (!c->xact_now_us) /* DDL: the zone of the session filling a DEFAULT */
		zone = sql_make_call(c, "mur_session_zone", MT_TEXT, loc, 0);
	else
		zone = c->tz ? zone_const(c) : sql_make_const_text(c, "UTC");
	return now && zone ? sql_make_call(c, "mur_tz_cast", t, loc, 4, now,
					   sql_make_const_int(c, MT_TIMESTAMPTZ, MT_INT4),
					   sql_make_const_int(c, t, MT_INT4), zone)
			   : NULL;
}

const char *sql_tz_name(const sql_ctx *c) { return c->tz ? mur_tz_name(c->tz) : NULL; }
