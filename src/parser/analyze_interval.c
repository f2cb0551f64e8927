/*
 * analyze_interval.c — the interval operators PostgreSQL has, as calls of
 * storage/sqlfn_types.c's functions (an interval is TEXT in SQLite:
 * common/interval.h):
 *
 *   interval +/- interval            mur_iv_add(a, b, ±1)
 *   timestamp[tz]/date +/- interval  mur_ts_pl_iv(ts, iv, ±1); a date is
 *   interval + timestamp[tz]/date    cast to timestamp (PostgreSQL's
 *                                    date + interval is a timestamp);
 *                                    a timestamptz in a session zone other
 *                                    than UTC: mur_tz_pl_iv (analyze_tz.c)
 *   interval * number, number * interval, interval / number
 *                                    mur_iv_mul(iv, float8, divide)
 *   timestamp - timestamp            mur_ts_mi (timestamptz if either is)
 *   -interval                        mur_iv_neg
 *   = < > ... between intervals      their span keys (mur_iv_key), so
 *                                    '1 day' = '24 hours' as in PostgreSQL
 *
 *   x::interval fields [(p)]         a literal read with the typmod here
 *                                    (interval '5' minute: 5 minutes),
 *                                    anything else mur_iv_typmod(x, t)
 *                                    (common/interval_typmod.c)
 *
 * analyze_expr.c calls in here when an operand is an interval (or for
 * timestamp - timestamp); NULL without an error set means "no such
 * operator", which it reports.
 */
#include "parser/analyze.h"
#include "common/interval.h"

#include <string.h>

static sql_expr *as_timestamp(sql_ctx *c, sql_expr *e)
{
	return e->type == MT_DATE ? sql_make_cast(c, e, MT_TIMESTAMP, e->loc) : e;
}

static sql_expr *ts_plus(sql_ctx *c, sql_expr *ts, sql_expr *iv, int sign, int loc)
{
	if (!(ts = as_timestamp(c, ts)))
		return NULL;
	if (ts->type == MT_TIMESTAMPTZ && sql_tz_name(c)) /* days on the zone's clock */
		return sql_make_call(c, "mur_tz_pl_iv", ts->type, loc, 4, ts, iv,
				     sql_make_const_int(c, sign, MT_INT4),
				     sql_make_const_text(c, sql_tz_name(c)));
	return sql_make_call(c, "mur_ts_pl_iv", ts->type, loc, 3, ts, iv,
			     sql_make_const_int(c, sign, MT_INT4));
}

static sql_expr *scale(sql_ctx *c, sql_expr *iv, sql_expr *x, int divide, int loc)
{
	if (x->type == MT_NUMERIC && !(x = sql_make_cast(c, x, MT_FLOAT8, loc)))
		return NULL;
	return sql_make_call(c, "mur_iv_mul", MT_INTERVAL, loc, 3, iv, x,
			     sql_make_const_int(c, divide, MT_INT4));
}

sql_expr *sql_interval_arith(sql_ctx *c, const char *op, sql_expr *l, sql_expr *r, int loc)
{
	mur_type lt = l->type, rt = r->type;
	int cl = sql_type_category(lt), cr = sql_type_category(rt);
	char o = op[0] && !op[1] ? op[0] : 0;
	if (lt == MT_INTERVAL && rt == MT_INTERVAL && (o == '+' || o == '-'))
		return sql_make_call(c, "mur_iv_add", MT_INTERVAL, loc, 3, l, r,
				     sql_make_const_int(c, o == '+' ? 1 : -1, MT_INT4));
	if (cl == 'D' && rt == MT_INTERVAL && (o == '+' || o == '-'))
		return ts_plus(c, l, r, o == '+' ? 1 : -1, loc);
	if (lt == MT_INTERVAL && cr == 'D' && o == '+')
		return ts_plus(c, r, l, 1, loc);
	if (lt == MT_INTERVAL && mur_type_is_numeric(rt) && (o == '*' || o == '/'))
		return scale(c, l, r, o == '/', loc);
	if (rt == MT_INTERVAL && mur_type_is_numeric(lt) && o == '*')
		return scale(c, r, l, 0, loc);
	if (cl == 'D' && cr == 'D' && o == '-' && !(lt == MT_DATE && rt == MT_DATE)) {
		mur_type t = sql_type_common(lt, rt);
		l = sql_make_cast(c, l, t, loc);
		r = l ? sql_make_cast(c, r, t, loc) : NULL;
		return r ? sql_make_call(c, "mur_ts_mi", MT_INTERVAL, loc, 2, l, r) : NULL;
	}
	return NULL;
}

sql_expr *sql_interval_neg(sql_ctx *c, sql_expr *iv, int loc)
{
	return sql_make_call(c, "mur_iv_neg", MT_INTERVAL, loc, 1, iv);
}

mur_type sql_interval_partner(const char *op, mur_type other)
{
	if (other == MT_INTERVAL)
		return MT_INTERVAL;
	if (other == MT_TIMESTAMP || other == MT_TIMESTAMPTZ)
		return strcmp(op, "-") ? MT_INTERVAL : other;
	return MT_INT4; /* date +/- integer */
}

int sql_interval_compare_keys(sql_ctx *c, sql_expr **l, sql_expr **r, int loc)
{
	if ((*l)->type != MT_INTERVAL)
		return MUR_OK;
	*l = sql_make_call(c, "mur_iv_key", MT_TEXT, loc, 1, *l);
	*r = *l ? sql_make_call(c, "mur_iv_key", MT_TEXT, loc, 1, *r) : NULL;
	return *r ? MUR_OK : MUR_ERR;
}

sql_expr *sql_interval_typmod(sql_ctx *c, sql_expr *a, int32_t typmod, int loc)
{
	if (a->kind == SE_CONST && a->val.kind == MV_NULL)
		return sql_make_cast(c, a, MT_INTERVAL, loc);
	if (a->kind == SE_CONST && a->type == MT_UNKNOWN && a->val.kind == MV_TEXT) {
		mur_interval iv;
		mur_buf b;
		char *p = NULL;
		if (mur_iv_parse_typmod(a->val.s, a->val.len, typmod, &iv, c->err) != MUR_OK) {
			if (c->err)
				c->err->position = sql_pos(c, loc);
			return NULL;
		}
		mur_buf_init(&b);
		mur_iv_store(&iv, &b);
		if (mur_buf_ok(&b))
			p = sql_arena_strndup(c->arena, mur_buf_cstr(&b), b.len);
		mur_buf_free(&b);
		if (!p)
			return NULL;
		a = sql_make_const_text(c, p);
		a = a ? sql_make_cast(c, a, MT_INTERVAL, loc) : NULL;
		if (a)
			a->typmod = typmod;
		return a;
	}
	if (!(a = sql_make_cast(c, a, MT_INTERVAL, loc)))
		return NULL;
	a = sql_make_call(c, "mur_iv_typmod", MT_INTERVAL, loc, 2, a,
			  sql_make_const_int(c, typmod, MT_INT4));
	if (a)
		a->typmod = typmod;
	return a;
}
