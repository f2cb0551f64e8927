/*
 * sqlfn_make.c — make_date(year, month, day) as the SQLite function
 * mur_make_date (registered with sqlfn_time.c's date/time functions).
 *
 * The date's canonical text ('2024-02-29'), checked by the date input of
 * common/value.h.  A field out of range is PostgreSQL's 22008 "date field
 * value out of range: 2024-02-30"; a year before 1 AD is 22008 for year 0
 * (as PostgreSQL) and 0A000 for negative years and years past 9999 (BC
 * dates and five-digit years, which murphy's date type does not hold).
 */
#include "storage/storage_int.h"

#include "common/value.h"

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
