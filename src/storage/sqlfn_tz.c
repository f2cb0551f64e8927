/*
 * sqlfn_tz.c — the SQL functions whose answer depends on a time zone, as
 * SQLite functions that take the zone as an argument.
 *
 *   mur_tz_cast(x, from, to, zone)  casts between timestamptz and
 *                                   timestamp, date or text, read or
 *                                   printed in zone (SET TimeZone's reading)
 *   mur_at_tz(ts, zone)             timestamp AT TIME ZONE zone → timestamptz
 *   mur_tz_at(tstz, zone)           timestamptz AT TIME ZONE zone → timestamp
 *                                   (zone: AT TIME ZONE's reading, tz.h)
 *   mur_tz_pl_iv(tstz, iv, sign, zone)  timestamptz ± interval: months and
 *                                   days on the zone's wall clock (a day
 *                                   across a DST change is 23 or 25 hours),
 *                                   then the time part on the instant, as
 *                                   timestamptz_pl_interval
 *   mur_ts_series_json(a, b, step [, zone])  generate_series over
 *                                   timestamps as a JSON array (steps on
 *                                   the zone's wall clock when given)
 *
 * Why the zone is an argument and not the follower's state: the leader
 * plans each statement under its session's TimeZone (sql_options.tz, and
 * a SET of it plans prepared statements again), writes the zone's name
 * into the SQL it sends, and a follower loads the zone from its own tz
 * database by that name (common/tz.h caches it).  The task protocol
 * carries nothing new, the follower keeps no session state, and the same
 * task text means the same answer on every replica.
 */
#include "storage/storage_int.h"

#include "common/interval.h"
#include "common/tz.h"
#include "common/value.h"

static const mur_tz *arg_zone(sqlite3_context *cx, sqlite3_value *v, int at)
{
	mur_error err;
	const char *name = (const char *)sqlite3_value_text(v);
	const mur_tz *z = at ? mur_tz_get_at(name, &err) : mur_tz_get(name, &err);
	if (!z)
		stor_fn_fail(cx, err.sqlstate, "%s", err.message);
	return z;
}

static void fn_tz_cast(sqlite3_context *cx, int argc, sqlite3_value **v)
{
	mur_type from = (mur_type)sqlite3_value_int(v[1]), to = (mur_type)sqlite3_value_int(v[2]);
	mur_value in = stor_fn_value(v[0]), out;
	const mur_tz *z;
	mur_buf scratch;
	mur_error err;
	int rc = MUR_OK;
	if (stor_fn_any_null(argc, v) || !(z = arg_zone(cx, v[3], 0)))
		return;
	if (in.kind != MV_TEXT)
		return stor_fn_fail(cx, SQLSTATE_INTERNAL_ERROR, "mur_tz_cast of a non-text value");
	mur_buf_init(&scratch);
	if (from == MT_TIMESTAMPTZ && (to == MT_TIMESTAMP || to == MT_DATE)) {
		rc = mur_tstz_to_local(to, &in, z, &scratch, &out, &err);
	} else if (from == MT_TIMESTAMPTZ && mur_type_is_text(to)) {
		mur_tstz_out(in.s, in.len, z, &scratch);
		out = mur_v_text(scratch.data ? scratch.data : "", scratch.len);
	} else if ((from == MT_TIMESTAMP || from == MT_DATE) && to == MT_TIMESTAMPTZ) {
		rc = mur_local_to_tstz(&in, z, &scratch, &out, &err);
	} else if (to == MT_TIMESTAMPTZ) {
		rc = mur_value_from_pgtext_tz(to, in.s, in.len, z, &scratch, &out, &err);
	} else {
		rc = mur_error_set(&err, SQLSTATE_INTERNAL_ERROR, "mur_tz_cast: no cast %d to %d",
				   (int)from, (int)to);
	}
	if (rc == MUR_OK)
		stor_fn_result_value(cx, &out);
	else
		stor_fn_fail(cx, err.sqlstate, "%s", err.message);
	mur_buf_free(&scratch);
}

/* AT TIME ZONE both ways: local → instant (to_tstz) or instant → local. */
static void at_zone(sqlite3_context *cx, int argc, sqlite3_value **v, int to_tstz)
{
	mur_value in = stor_fn_value(v[0]), out;
	const mur_tz *z;
	mur_buf scratch;
	mur_error err;
	int rc;
	if (stor_fn_any_null(argc, v) || !(z = arg_zone(cx, v[1], 1)))
		return;
	mur_buf_init(&scratch);
	rc = to_tstz ? mur_local_to_tstz(&in, z, &scratch, &out, &err)
		     : mur_tstz_to_local(MT_TIMESTAMP, &in, z, &scratch, &out, &err);
	if (rc == MUR_OK)
		stor_fn_result_value(cx, &out);
	else
		stor_fn_fail(cx, err.sqlstate, "%s", err.message);
	mur_buf_free(&scratch);
}

static void fn_at_tz(sqlite3_context *cx, int argc, sqlite3_value **v) { at_zone(cx, argc, v, 1); }

static void fn_tz_at(sqlite3_context *cx, int argc, sqlite3_value **v) { at_zone(cx, argc, v, 0); }

/* One calendar step (months or days) of iv on z's wall clock; MUR_ERR
 * when the µs overflow int64. */
static int wall_step(const mur_tz *z, int64_t *us, const mur_interval *step, int sign)
{
	int64_t sec = *us / 1000000 - (*us % 1000000 < 0), local;
	if (__builtin_add_overflow(*us, (int64_t)mur_tz_at(z, sec, NULL) * 1000000, &local) ||
	    mur_iv_add_to_us(local, step, sign, &local) != MUR_OK)
		return MUR_ERR;
	sec = local / 1000000 - (local % 1000000 < 0);
	if (__builtin_sub_overflow(local, (int64_t)mur_tz_local(z, sec) * 1000000, us))
		return MUR_ERR;
	return MUR_OK;
}

/* *us += sign * iv, months and days on z's wall clock (NULL: UTC's), then
 * the time part on the instant (timestamptz_pl_interval); MUR_ERR (the
 * caller's 22008) when that overflows int64 µs. */
static int tz_add(const mur_tz *z, int64_t *us, const mur_interval *iv, int sign)
{
	if (!z)
		return mur_iv_add_to_us(*us, iv, sign, us);
	if (iv->months && wall_step(z, us, &(mur_interval){iv->months, 0, 0}, sign) != MUR_OK)
		return MUR_ERR;
	if (iv->days && wall_step(z, us, &(mur_interval){0, iv->days, 0}, sign) != MUR_OK)
		return MUR_ERR;
	return mur_iv_add_to_us(*us, &(mur_interval){0, 0, iv->us}, sign, us); /* checked */
}

static void fn_tz_pl_iv(sqlite3_context *cx, int argc, sqlite3_value **v)
{
	mur_value in = stor_fn_value(v[0]), out;
	mur_interval iv;
	const mur_tz *z;
	int64_t us;
	int sign = sqlite3_value_int(v[2]);
	mur_buf b;
	mur_error err;
	if (stor_fn_any_null(argc, v) || !(z = arg_zone(cx, v[3], 0)))
		return;
	if (in.kind != MV_TEXT || mur_ts_us(in.s, in.len, &us) != MUR_OK) {
		sqlite3_result_value(cx, v[0]); /* ±infinity */
		return;
	}
	if (mur_iv_load((const char *)sqlite3_value_text(v[1]), (size_t)sqlite3_value_bytes(v[1]),
			&iv) != MUR_OK)
		return stor_fn_fail(cx, SQLSTATE_INVALID_TEXT_REPRESENTATION,
				    "invalid interval value");
	if (tz_add(z, &us, &iv, sign) != MUR_OK)
		return stor_fn_fail(cx, SQLSTATE_DATETIME_FIELD_OVERFLOW, "timestamp out of range");
	mur_buf_init(&b);
	if (mur_ts_put(MT_TIMESTAMPTZ, us, &b, &out, &err) == MUR_OK)
		stor_fn_result_value(cx, &out);
	else
		stor_fn_fail(cx, err.sqlstate, "%s", err.message);
	mur_buf_free(&b);
}

/* Appends the series from at while within stop (span: the step's sign)
 * as JSON strings of stored timestamps; MUR_ERR with err past year 9999. */
static int series_json(const mur_tz *z, int64_t at, int64_t stop, const mur_interval *iv,
		       __int128 span, mur_buf *json, mur_error *err)
{
	mur_buf scratch;
	mur_value out;
	int rc = MUR_OK;
	mur_buf_init(&scratch);
	while (rc == MUR_OK && (span > 0 ? at <= stop : at >= stop)) {
		mur_buf_reset(&scratch);
		rc = mur_ts_put(MT_TIMESTAMP, at, &scratch, &out, err);
		if (rc == MUR_OK)
			mur_buf_printf(json, "%s\"%.*s\"", json->len > 1 ? "," : "", (int)out.len,
				       out.s);
		if (rc == MUR_OK && tz_add(z, &at, iv, 1) != MUR_OK)
			rc = mur_error_set(err, SQLSTATE_DATETIME_FIELD_OVERFLOW,
					   "timestamp out of range");
	}
	mur_buf_free(&scratch);
	return rc;
}

/* generate_series(start, stop, step) over timestamps as a JSON array of
 * stored timestamps (a series reading columns: sql/emit_srf.c,
 * parser/analyze_srf_list.c): start, then each plus step (on zone's wall
 * clock when given, as mur_tz_pl_iv) while within stop in the step's
 * direction; NULL for a NULL argument (no rows), 22023 for a zero step,
 * 22008 past year 9999 or for infinity. */
static void fn_ts_series_json(sqlite3_context *cx, int argc, sqlite3_value **v)
{
	mur_value a = stor_fn_value(v[0]), b = stor_fn_value(v[1]);
	mur_interval iv;
	const mur_tz *z = NULL;
	int64_t at, stop;
	__int128 span;
	mur_buf json;
	mur_error err;
	if (stor_fn_any_null(argc, v) || (argc > 3 && !(z = arg_zone(cx, v[3], 0))))
		return;
	if (mur_iv_load((const char *)sqlite3_value_text(v[2]), (size_t)sqlite3_value_bytes(v[2]),
			&iv) != MUR_OK)
		return stor_fn_fail(cx, SQLSTATE_INVALID_TEXT_REPRESENTATION,
				    "invalid interval value");
	span = ((__int128)iv.months * MUR_IV_DAYS_PER_MONTH + iv.days) * MUR_IV_USEC_PER_DAY +
	       iv.us;
	if (span == 0)
		return stor_fn_fail(cx, "22023", "step size cannot equal zero");
	if (a.kind != MV_TEXT || b.kind != MV_TEXT || mur_ts_us(a.s, a.len, &at) != MUR_OK ||
	    mur_ts_us(b.s, b.len, &stop) != MUR_OK)
		return stor_fn_fail(cx, SQLSTATE_DATETIME_FIELD_OVERFLOW, "timestamp out of range");
	mur_buf_init(&json);
	mur_buf_put_u8(&json, '[');
	if (series_json(z, at, stop, &iv, span, &json, &err) != MUR_OK)
		stor_fn_fail(cx, err.sqlstate, "%s", err.message);
	else if (mur_buf_put_u8(&json, ']'), !mur_buf_ok(&json))
		sqlite3_result_error_nomem(cx);
	else
		sqlite3_result_text(cx, json.data, (int)json.len, SQLITE_TRANSIENT);
	mur_buf_free(&json);
}

static const stor_fn_def tz_fns[] = {
	{"mur_ts_series_json", 3, 1, fn_ts_series_json},
	{"mur_ts_series_json", 4, 1, fn_ts_series_json},
	{"mur_tz_pl_iv", 4, 1, fn_tz_pl_iv},
	{"mur_tz_cast", 4, 1, fn_tz_cast},
	{"mur_at_tz", 2, 1, fn_at_tz},
	{"mur_tz_at", 2, 1, fn_tz_at},
};

int stor_register_tz_functions(sqlite3 *db)
{
	return stor_fn_register(db, tz_fns, sizeof tz_fns / sizeof tz_fns[0]);
}
