/*
 * sqlfn_make.c — make_date(year, month, day) and make_timestamp(year,
 * month, day, hour, min, sec) as the SQLite functions mur_make_date and
 * mur_make_timestamp (registered with sqlfn_time.c's date/time functions;
 * make_timestamptz is make_timestamp read in a zone, parser/analyze_func.c).
 *
 * The date's canonical text ('2024-02-29'), checked by the date input of
 * common/value.h.  A field out of range is PostgreSQL's 22008 "date field
 * value out of range: 2024-02-30"; a year before 1 AD is 22008 for year 0
 * (as PostgreSQL) and 0A000 for negative years and years past 9999 (BC
 * dates and five-digit years, which murphy's date type does not hold).
 * make_timestamp checks the date as PostgreSQL 15's make_timestamp_internal
 * (year 0 is 22008, negative years BC: 0A000 as above), then the time ("time field value out
 * of range: 24:01:00", 24:00:00 and a 60th second allowed); seconds are a
 * float8 rounded to the microsecond (rint).
 */
#include "storage/storage_int.h"

#include "common/value.h"

#include <math.h>
#include <stdio.h>

void stor_fn_make_date(sqlite3_context *cx, int argc, sqlite3_value **v)
{
	int64_t y, mo, d;
	char text[96];
	mur_buf scratch;
	mur_value out;
	mur_error err;
	int n;
	(void)argc;
	if (stor_fn_any_null(3, v))
		return;
	y = sqlite3_value_int64(v[0]);
	mo = sqlite3_value_int64(v[1]);
	d = sqlite3_value_int64(v[2]);
	if (y < 0 || y > 9999) {
		stor_fn_fail(cx, SQLSTATE_FEATURE_NOT_SUPPORTED,
			     "murphy does not support dates %s (make_date with year %lld)",
			     y < 0 ? "BC" : "past the year 9999", (long long)y);
		return;
	}
	n = snprintf(text, sizeof text, "%04lld-%02lld-%02lld", (long long)y, (long long)mo,
		     (long long)d);
	mur_buf_init(&scratch);
	if (y == 0 || mo < 1 || mo > 12 || d < 1 || d > 31 ||
	    mur_value_from_pgtext(MT_DATE, text, (size_t)n, &scratch, &out, &err) != MUR_OK) {
		mur_buf_free(&scratch);
		stor_fn_fail(cx, "22008", "date field value out of range: %lld-%02lld-%02lld",
			     (long long)y, (long long)mo, (long long)d);
		return;
	}
	if (out.kind == MV_TEXT)
		sqlite3_result_text(cx, out.s, (int)out.len, SQLITE_TRANSIENT);
	else
		sqlite3_result_int64(cx, out.i);
	mur_buf_free(&scratch);
}

void stor_fn_make_timestamp(sqlite3_context *cx, int argc, sqlite3_value **v)
{
	int64_t y, mo, d, h, mi, days, yy;
	int cm, cd;
	double sec;
	mur_buf scratch;
	mur_value out;
	mur_error err;
	(void)argc;
	if (stor_fn_any_null(6, v))
		return;
	y = sqlite3_value_int64(v[0]);
	mo = sqlite3_value_int64(v[1]);
	d = sqlite3_value_int64(v[2]);
	h = sqlite3_value_int64(v[3]);
	mi = sqlite3_value_int64(v[4]);
	sec = sqlite3_value_double(v[5]);
	if (y < 0 || y > 9999)
		return stor_fn_fail(cx, SQLSTATE_FEATURE_NOT_SUPPORTED,
				    "murphy does not support dates %s (make_timestamp with year "
				    "%lld)",
				    y < 0 ? "BC" : "past the year 9999", (long long)y);
	days = mur_days_from_civil(y, (int)mo, (int)d);
	if (y < 1 || mo < 1 || mo > 12 || d < 1 || d > 31 ||
	    (mur_civil_from_days(days, &yy, &cm, &cd), cm != mo || cd != d))
		return stor_fn_fail(cx, "22008",
				    "date field value out of range: %lld-%02lld-%02lld",
				    (long long)y, (long long)mo, (long long)d);
	if (h < 0 || mi < 0 || mi > 59 || isnan(sec) || sec < 0 || sec > 60 || h > 24 ||
	    (h == 24 && (mi > 0 || sec > 0)))
		return stor_fn_fail(cx, "22008", "time field value out of range: %lld:%02lld:%02g",
				    (long long)h, (long long)mi, sec);
	mur_buf_init(&scratch);
	if (mur_ts_put(MT_TIMESTAMP,
		       days * 86400000000LL + (h * 60 + mi) * 60000000LL +
			       (int64_t)rint(sec * 1000000.0),
		       &scratch, &out, &err) != MUR_OK)
		stor_fn_fail(cx, err.sqlstate, "%s", err.message);
	else
		sqlite3_result_text(cx, out.s, (int)out.len, SQLITE_TRANSIENT);
	mur_buf_free(&scratch);
}
