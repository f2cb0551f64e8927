/*
 * lead_values.c — an INSERT's VALUES that only pass parameters and NULLs
 * on, its rows built here instead of by the leader's SQLite.
 *
 * A kept plan's INSERT of literals (sql/plan_cache.c lifts them into
 * parameters; now() is one more) has values_sql like
 * "VALUES (?1, ?2, ?3, ?4, ?5, NULL, NULL)" (sql/plan_dml.c: the given
 * values, then NULL for the columns not named).  lead_local_query ran it
 * through the leader's SQLite (bind, step, read each column back, 1.3 % of
 * the leader's CPU under TPC-B, for pgbench_history's row) to get the
 * parameters back as they went in.  lead_values_direct recognises exactly
 * that shape — rows of "?N" and "NULL" items, ", " between them — and
 * writes the rows as SQLite would have returned them: a value kept as it
 * is, but a NaN float NULL (SQLite binds a NaN as NULL), a parameter past
 * the ones given NULL (left unbound).  Any other text (a cast, a function,
 * a literal, rows of different widths) is not recognised: the caller runs
 * it through SQLite as before.  test_lead_values.c compares both ways.
 */
#include "leader/lead_int.h"

#include <math.h>
#include <string.h>

/* Parameter numbers a values_sql can name (SQLite's own limit is 32766). */
#define LEAD_VALUES_PARAM_MAX 65535

/* What SQLite gives back of v bound to a parameter (storage/sqlrow.c). */
static mur_value as_sqlite_returns(const mur_value *v)
{
	switch (v->kind) {
	case MV_INT:
		return mur_v_int(v->i);
	case MV_FLOAT:
		return isnan(v->f) ? mur_v_null() : mur_v_float(v->f);
	case MV_TEXT:
		return mur_v_text(v->s ? v->s : "", v->len);
	case MV_BLOB:
		return mur_v_blob(v->s ? v->s : "", v->len);
	default:
		return mur_v_null();
	}
}

/* One item at *p ("?N" or "NULL") as its value; 0 when it is neither. */
static int item(const char **p, const mur_value *params, int nparams, mur_value *out)
{
	const char *s = *p;
	long n = 0;
	if (strncmp(s, "NULL", 4) == 0) {
		*out = mur_v_null();
		*p = s + 4;
		return 1;
	}
	if (s[0] != '?' || s[1] < '0' || s[1] > '9')
		return 0;
	for (s++; *s >= '0' && *s <= '9'; s++)
		if ((n = n * 10 + (*s - '0')) > LEAD_VALUES_PARAM_MAX)
			return 0;
	if (n < 1)
		return 0; /* ?0: SQLite's error to give */
	*out = n <= nparams ? as_sqlite_returns(&params[n - 1]) : mur_v_null();
	*p = s;
	return 1;
}

int lead_values_direct(const char *sql, const mur_value *params, int nparams, mur_buf *out,
		       uint64_t *nrows, uint32_t *ncols)
{
	const char *p = sql;
	size_t start = out->len;
	uint64_t n = 0;
	long width = -1;
	if (!p || strncmp(p, "VALUES (", 8) != 0)
		return 0;
	for (p += 7;; p += 2) { /* at a row's "(" */
		long k = 0;
		if (*p++ != '(')
			goto not_this;
		for (;; p += 2) {
			mur_value v;
			if (!item(&p, params, nparams, &v))
				goto not_this;
			mur_row_put_value(out, &v);
			k++;
			if (*p == ')')
				break;
			if (p[0] != ',' || p[1] != ' ')
				goto not_this;
		}
		p++;
		if (width >= 0 && k != width)
			goto not_this;
		width = k;
		n++;
		if (!*p)
			break;
		if (p[0] != ',' || p[1] != ' ')
			goto not_this;
	}
	*nrows = n;
	*ncols = (uint32_t)width;
	return 1;
not_this:
	out->len = start; /* what was written of it */
	return 0;
}
