/*
 * pgc_time.c — dates, times and intervals in catalog queries: now() and
 * its kin, timestamptz and interval arithmetic and comparisons, extract,
 * age, casts.  What monitoring tools ask of pg_stat_activity:
 *
 *   SELECT pid, now() - query_start FROM pg_stat_activity
 *    WHERE state <> 'idle' AND now() - xact_start > interval '5 minutes'
 *
 * Values keep murphy's stored forms (common/value.h): a timestamptz is
 * UTC text ('2026-12-07 16:00:00.5'), which orders as the instant does; an
 * interval is its span key, then its fields (common/interval.h), so text
 * order is PostgreSQL's interval order and equality compares the key
 * (mur_iv_key).  The arithmetic is storage's SQL functions, the ones the
 * followers run for the same operators (storage/sqlfn_types.c, sqlfn_tz.c,
 * sqlfn_time.c); what depends on the session's TimeZone takes
 * pgc_timezone(), read when the query runs.
 *
 *   now(), transaction_timestamp(),       pgc_now(0): the transaction's start
 *   CURRENT_TIMESTAMP[(p)]                (the session hook now_us), the same
 *                                         in every row and call
 *   statement_timestamp()                 pgc_now(1): the statement's start
 *   clock_timestamp()                     mur_now(): the clock at each call
 *   LOCALTIMESTAMP[(p)], CURRENT_DATE     now() on the zone's wall clock
 *   date ± integer, date - date           mur_date_add, mur_date_diff
 *   interval 'x' minute, interval(p) 'x'  read now with the typmod, as table
 *                                         queries: mur_iv_parse_typmod
 *                                         (common/interval_typmod.c)
 *   x::interval minute, x::interval(p)    mur_iv_typmod (mur_iv_adjust)
 *   ts - ts                               mur_ts_mi (justify_hours, as PG 15)
 *   tstz ± interval, interval + tstz      mur_tz_pl_iv(ts, iv, ±1, zone)
 *   timestamp/date ± interval             mur_ts_pl_iv (a date as timestamp)
 *   interval ± interval, -interval        mur_iv_add, mur_iv_neg
 *   interval * n, n * interval, iv / n    mur_iv_mul
 *   comparisons                           stored text; intervals by mur_iv_key
 *   extract / date_part                   mur_extract_num / mur_extract (a
 *                                         tstz on the zone's wall clock but
 *                                         for epoch), mur_iv_extract / _part
 *   age(ts[, ts])                         mur_age of the wall-clock times
 *   date_trunc(f, ts[, zone])             mur_tz_trunc / mur_date_trunc
 *   date_trunc(f, interval)               pgc_iv_trunc (below)
 *   to_char(ts, fmt)                      mur_to_char (a tstz in the zone)
 *   x AT TIME ZONE z, timezone(z, x)      mur_tz_at / mur_at_tz
 *   ::timestamp[tz](p)                    pgc_time_round (below)
 *   casts                                 mur_tz_cast (with the zone),
 *                                         mur_cast (numeric → integer rounds)
 *
 * An untyped string constant (or parameter) beside one of these types
 * takes its type, as PostgreSQL resolves it: an interval is read here (its
 * 22007 comes at once), a timestamptz when the query runs, in the
 * session's zone.  What is not listed is 0A000, naming it.
 */
#include "pgcatalog/pgc_int.h"

#include "common/clock.h"
#include "common/interval.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#define Z MT_TIMESTAMPTZ
#define TS MT_TIMESTAMP
#define D MT_DATE
#define V MT_INTERVAL

int pgc_time_is(mur_type t) { return t == Z || t == TS || t == D || t == V; }

static int is_ts(mur_type t) { return t == Z || t == TS || t == D; }

static void put(pgc_dp *d, pgc_dp_text *x) { pgc_dp_out(d, mur_buf_cstr(&x->b)); }

static const char *sval(const PgQuery__Node *n)
{
	return n && n->node_case == PG_QUERY__NODE__NODE_A_CONST && !n->a_const->isnull &&
			       n->a_const->val_case == PG_QUERY__A__CONST__VAL_SVAL
		       ? n->a_const->sval->sval
		       : NULL;
}

static int is_param(const pgc_dp_text *x)
{
	return x->node->node_case == PG_QUERY__NODE__NODE_PARAM_REF;
}

/* A string constant, NULL or parameter: its type is the other operand's.  (A
 * simple query's integer literals come here as parameters too, bound as
 * integers: sql/plan_cache.h.) */
static int untyped(const pgc_dp_text *x)
{
	const PgQuery__Node *n = x->node;
	return sval(n) || is_param(x) ||
	       (n->node_case == PG_QUERY__NODE__NODE_A_CONST && n->a_const->isnull);
}

/* x (stored timestamptz) as the wall-clock timestamp (or date) in the
 * session's zone, and back. */
static void tz_cast(pgc_dp *d, const char *x, mur_type from, mur_type to)
{
	mur_buf_printf(d->b, "mur_tz_cast(%s, %d, %d, pgc_timezone())", x, (int)from, (int)to);
}

static void cast(pgc_dp *d, const char *x, mur_type from, mur_type to)
{
	mur_buf_printf(d->b, "mur_cast(%s, %d, %d)", x, (int)from, (int)to);
}

/* An interval constant: its stored form, read now (22007 / 22015) with
 * its typmod (-1: none; interval '1:30' minute to second) as table queries
 * read it: common/interval_typmod.c's mur_iv_parse_typmod. */
static void interval_const(pgc_dp *d, const char *text, int32_t typmod)
{
	mur_interval iv;
	mur_buf b;
	if (mur_iv_parse_typmod(text, strlen(text), typmod, &iv, d->err) != MUR_OK) {
		d->failed = 1;
		return;
	}
	mur_buf_init(&b);
	mur_iv_store(&iv, &b);
	pgc_put_string(d->b, mur_buf_cstr(&b));
	mur_buf_free(&b);
}

static const char *type_name(mur_type t) { return t == MT_UNKNOWN ? "unknown" : mur_type_name(t); }

static void cannot(pgc_dp *d, const char *what, mur_type a, mur_type b)
{
	char msg[160];
	snprintf(msg, sizeof msg, "%s %s and %s in catalog queries", what, type_name(a),
		 type_name(b));
	pgc_dp_fail(d, msg);
}

void pgc_time_coerce(pgc_dp *d, pgc_dp_text *x, mur_type to)
{
	const char *s = sval(x->node), *text;
	mur_type from = x->type;
	if (d->failed)
		return;
	if (is_param(x) && from != to) { /* its text; a number is refused when it runs */
		char p[64];
		snprintf(p, sizeof p, "pgc_param_text(%s, %d)", mur_buf_cstr(&x->b), (int)to);
		mur_buf_reset(&x->b);
		mur_buf_printf(&x->b, "%s", p);
	}
	text = mur_buf_cstr(&x->b);
	if (from == to)
		put(d, x);
	else if (s && to == V)
		interval_const(d, s, -1);
	else if ((untyped(x) || mur_type_is_text(from)) && to == Z)
		tz_cast(d, text, MT_TEXT, Z);
	else if (untyped(x) || mur_type_is_text(from))
		cast(d, text, MT_TEXT, to);
	else if ((from == Z && is_ts(to)) || (is_ts(from) && to == Z))
		tz_cast(d, text, from, to);
	else if (from == D && to == TS)
		cast(d, text, D, TS);
	else
		cannot(d, "converting between", from, to);
}

/* ---- operators ---- */

/* The type both sides of a comparison or a subtraction take. */
static mur_type common(const pgc_dp_text *l, const pgc_dp_text *r)
{
	mur_type a = l->type, b = r->type;
	if (a == b || (pgc_time_is(a) && untyped(r)))
		return a;
	if (pgc_time_is(b) && untyped(l))
		return b;
	if (is_ts(a) && is_ts(b))
		return a == Z || b == Z ? Z : TS;
	return MT_UNKNOWN;
}

/* An operator murphy lacks: 42883 as PostgreSQL's. */
static mur_type no_operator(pgc_dp *d, const char *op, mur_type lt, mur_type rt)
{
	if (!d->failed) {
		mur_error_set(d->err, SQLSTATE_UNDEFINED_FUNCTION,
			      "operator does not exist: %s %s %s", type_name(lt), op,
			      type_name(rt));
		d->failed = 1;
	}
	return V;
}

static mur_type compare(pgc_dp *d, const char *op, pgc_dp_text *l, pgc_dp_text *r)
{
	mur_type t = common(l, r);
	const char *key = t == V ? "mur_iv_key(" : "(";
	if (t == MT_UNKNOWN) {
		no_operator(d, op, l->type, r->type);
		return MT_BOOL;
	}
	pgc_dp_out(d, "(");
	pgc_dp_out(d, key);
	pgc_time_coerce(d, l, t);
	mur_buf_printf(d->b, ") %s %s", strcmp(op, "!=") ? op : "<>", key);
	pgc_time_coerce(d, r, t);
	pgc_dp_out(d, "))");
	return MT_BOOL;
}

/* ts ± iv (sign ±1): a timestamptz on the zone's wall clock; a date is a
 * timestamp (PostgreSQL's date + interval is one). */
static mur_type ts_plus(pgc_dp *d, pgc_dp_text *ts, pgc_dp_text *iv, int sign)
{
	mur_type t = ts->type == D ? TS : ts->type;
	pgc_dp_out(d, t == Z ? "mur_tz_pl_iv(" : "mur_ts_pl_iv(");
	pgc_time_coerce(d, ts, t);
	pgc_dp_out(d, ", ");
	pgc_time_coerce(d, iv, V);
	mur_buf_printf(d->b, ", %d%s)", sign, t == Z ? ", pgc_timezone()" : "");
	return t;
}

/* date ± integer (and date - date, above): storage's functions
 * (sqlfn_time.c), as the planner emits them (parser/analyze_expr.c,
 * date_arith).  A parameter b (a simple query's integer literal, lifted:
 * sql/plan_cache.h) must be an integer when it runs (pgc_param_int). */
static mur_type date_op(pgc_dp *d, const char *fmt, pgc_dp_text *a, pgc_dp_text *b, mur_type t)
{
	char p[64];
	if (is_param(b)) {
		snprintf(p, sizeof p, "pgc_param_int(%s)", mur_buf_cstr(&b->b));
		mur_buf_reset(&b->b);
		mur_buf_printf(&b->b, "%s", p);
	}
	mur_buf_printf(d->b, fmt, mur_buf_cstr(&a->b), mur_buf_cstr(&b->b));
	return t;
}

static mur_type scale(pgc_dp *d, pgc_dp_text *iv, pgc_dp_text *x, int divide)
{
	mur_buf_printf(d->b, "mur_iv_mul(%s, CAST(%s AS REAL), %d)", mur_buf_cstr(&iv->b),
		       mur_buf_cstr(&x->b), divide);
	return V;
}

mur_type pgc_time_binop(pgc_dp *d, const char *op, pgc_dp_text *l, pgc_dp_text *r)
{
	mur_type lt = l->type, rt = r->type;
	char o = op[0] && !op[1] ? op[0] : 0;
	if (!pgc_time_is(lt) && !pgc_time_is(rt))
		return MT_UNKNOWN;
	if (pgc_dp_is_comparison(op))
		return compare(d, op, l, r);
	if (o == '-' && lt == D && (rt == D || sval(r->node))) { /* days, integer */
		pgc_dp_out(d, "mur_date_diff(");
		put(d, l);
		pgc_dp_out(d, ", ");
		pgc_time_coerce(d, r, D);
		pgc_dp_out(d, ")");
		return MT_INT4;
	}
	if (lt == D && (mur_type_is_integer(rt) || is_param(r)) && (o == '+' || o == '-'))
		return date_op(d, o == '+' ? "mur_date_add(%s, %s)" : "mur_date_add(%s, -(%s))", l,
			       r, D);
	if ((mur_type_is_integer(lt) || is_param(l)) && rt == D && o == '+')
		return date_op(d, "mur_date_add(%s, %s)", r, l, D);
	if (o == '-' && is_ts(lt) && (is_ts(rt) || untyped(r)) && !(lt == D && rt == D)) {
		mur_type t = common(l, r);
		pgc_dp_out(d, "mur_ts_mi(");
		pgc_time_coerce(d, l, t);
		pgc_dp_out(d, ", ");
		pgc_time_coerce(d, r, t);
		pgc_dp_out(d, ")");
		return V;
	}
	if (is_ts(lt) && (rt == V || untyped(r)) && (o == '+' || o == '-'))
		return ts_plus(d, l, r, o == '+' ? 1 : -1);
	if ((lt == V || untyped(l)) && is_ts(rt) && o == '+')
		return ts_plus(d, r, l, 1);
	if (lt == V && (rt == V || untyped(r)) && (o == '+' || o == '-')) {
		pgc_dp_out(d, "mur_iv_add(");
		put(d, l);
		pgc_dp_out(d, ", ");
		pgc_time_coerce(d, r, V);
		mur_buf_printf(d->b, ", %d)", o == '+' ? 1 : -1);
		return V;
	}
	if (lt == V && (mur_type_is_numeric(rt) || is_param(r)) && (o == '*' || o == '/'))
		return scale(d, l, r, o == '/');
	if (rt == V && (mur_type_is_numeric(lt) || is_param(l)) && o == '*')
		return scale(d, r, l, 0);
	return no_operator(d, op, lt, rt);
}

mur_type pgc_time_neg(pgc_dp *d, pgc_dp_text *x)
{
	if (x->type != V)
		return MT_UNKNOWN;
	mur_buf_printf(d->b, "mur_iv_neg(%s)", mur_buf_cstr(&x->b));
	return V;
}

/* ---- functions ---- */

/* The arguments of f written apart into a (room for 3); how many. */
static int args_apart(pgc_dp *d, const PgQuery__FuncCall *f, pgc_dp_text *a)
{
	int n = (int)f->n_args;
	for (int i = 0; i < n; i++)
		pgc_dp_expr_apart(d, f->args[i], &a[i]);
	return n;
}

static void args_free(pgc_dp_text *a, int n)
{
	for (int i = 0; i < n; i++)
		pgc_dp_text_free(&a[i]);
}

/* x as a wall-clock timestamp: a timestamptz's in the session's zone. */
static void wall(pgc_dp *d, pgc_dp_text *x)
{
	if (x->type == Z)
		tz_cast(d, mur_buf_cstr(&x->b), Z, TS);
	else
		pgc_time_coerce(d, x, TS);
}

/* age(ts): from today's midnight (the transaction's day in the zone);
 * age(a, b): of the wall-clock times, as timestamptz_age. */
static mur_type age(pgc_dp *d, pgc_dp_text *a, int n)
{
	pgc_dp_out(d, "mur_age(");
	if (n == 1)
		tz_cast(d, "pgc_now(0)", Z, D);
	else
		wall(d, &a[0]);
	pgc_dp_out(d, ", ");
	wall(d, &a[n - 1]);
	pgc_dp_out(d, ")");
	return V;
}

/* extract(field from x) (numeric), date_part(field, x) (float8). */
static mur_type extract(pgc_dp *d, int numeric, pgc_dp_text *a)
{
	const char *field = sval(a[0].node);
	mur_type t = a[1].type;
	if (!field || !pgc_time_is(t))
		return pgc_dp_fail(d, "extract / date_part of this in catalog queries");
	if (t == V)
		pgc_dp_out(d, numeric ? "mur_iv_extract(" : "mur_iv_part(");
	else if (t == D && numeric)
		pgc_dp_out(d, "mur_extract_date(");
	else
		pgc_dp_out(d, numeric ? "mur_extract_num(" : "mur_extract(");
	put(d, &a[0]);
	pgc_dp_out(d, ", ");
	if (t == Z && strcasecmp(field, "epoch") != 0) /* else the instant's */
		wall(d, &a[1]);
	else
		put(d, &a[1]);
	pgc_dp_out(d, ")");
	return numeric ? MT_NUMERIC : MT_FLOAT8;
}

static mur_type date_trunc(pgc_dp *d, pgc_dp_text *a, int n)
{
	if (a[1].type == V && n == 2) {
		mur_buf_printf(d->b, "pgc_iv_trunc(%s, %s)", mur_buf_cstr(&a[0].b),
			       mur_buf_cstr(&a[1].b));
		return V;
	}
	if (a[1].type == TS && n == 2) {
		mur_buf_printf(d->b, "mur_date_trunc(%s, %s)", mur_buf_cstr(&a[0].b),
			       mur_buf_cstr(&a[1].b));
		return TS;
	}
	if (a[1].type != Z)
		return pgc_dp_fail(d, "date_trunc of this in catalog queries");
	mur_buf_printf(d->b, "mur_tz_trunc(%s, %s, %s)", mur_buf_cstr(&a[0].b),
		       mur_buf_cstr(&a[1].b), n == 3 ? mur_buf_cstr(&a[2].b) : "pgc_timezone()");
	return Z;
}

static mur_type with_args(pgc_dp *d, const char *name, pgc_dp_text *a, int n)
{
	if (!strcasecmp(name, "age") && (n == 1 || n == 2) && is_ts(a[0].type) &&
	    (n == 1 || is_ts(a[1].type) || untyped(&a[1])))
		return age(d, a, n);
	if ((!strcasecmp(name, "extract") || !strcasecmp(name, "date_part")) && n == 2)
		return extract(d, !strcasecmp(name, "extract"), a);
	if (!strcasecmp(name, "date_trunc") && (n == 2 || n == 3))
		return date_trunc(d, a, n);
	if (!strcasecmp(name, "timezone") && n == 2 && a[0].type != V &&
	    (is_ts(a[1].type) || untyped(&a[1]))) { /* x AT TIME ZONE zone */
		int local = a[1].type == TS || a[1].type == D;
		mur_buf_printf(d->b, "%s(", local ? "mur_at_tz" : "mur_tz_at");
		pgc_time_coerce(d, &a[1], local ? TS : Z);
		mur_buf_printf(d->b, ", %s)", mur_buf_cstr(&a[0].b));
		return local ? Z : TS;
	}
	if (!strcasecmp(name, "to_char") && n == 2 && is_ts(a[0].type)) {
		/* a timestamptz on the zone's wall clock (TZ: its abbreviation) */
		mur_buf_printf(d->b, "mur_to_char(%s, %s, %s)", mur_buf_cstr(&a[0].b),
			       mur_buf_cstr(&a[1].b), a[0].type == Z ? "pgc_timezone()" : "0");
		return MT_TEXT;
	}
	if (!strncasecmp(name, "justify_", 8) && n == 1 && a[0].type == V) {
		mur_buf_printf(d->b, "mur_iv_%s(%s)", name, mur_buf_cstr(&a[0].b));
		return V;
	}
	return pgc_dp_fail(d, name);
}

/* now() and its kin: their SQLite text, NULL for another name. */
static const char *clock_call(const char *name)
{
	if (!strcasecmp(name, "now") || !strcasecmp(name, "transaction_timestamp"))
		return "pgc_now(0)";
	if (!strcasecmp(name, "statement_timestamp"))
		return "pgc_now(1)";
	return strcasecmp(name, "clock_timestamp") ? NULL : "mur_now()";
}

int pgc_time_func(pgc_dp *d, const char *name, const PgQuery__FuncCall *f, mur_type *t)
{
	static const char *const with[] =
		{"age",           "extract",          "date_part", "date_trunc", "justify_days",
		 "justify_hours", "justify_interval", "to_char",   "timezone"};
	pgc_dp_text a[3];
	int n;
	if (f->n_args == 0 && clock_call(name)) {
		pgc_dp_out(d, clock_call(name));
		*t = Z;
		return 1;
	}
	for (size_t i = 0; i < sizeof with / sizeof with[0]; i++) {
		if (strcasecmp(name, with[i]) != 0)
			continue;
		if (f->n_args > 3 || f->over || f->agg_star || f->agg_distinct) {
			*t = pgc_dp_fail(d, name);
			return 1;
		}
		n = args_apart(d, f, a);
		*t = d->failed ? MT_TEXT : with_args(d, with[i], a, n);
		args_free(a, n);
		return 1;
	}
	return 0;
}

mur_type pgc_time_sqlvalue(pgc_dp *d, const PgQuery__SQLValueFunction *f)
{
	switch (f->op) {
	case PG_QUERY__SQLVALUE_FUNCTION_OP__SVFOP_CURRENT_TIMESTAMP:
		pgc_dp_out(d, "pgc_now(0)");
		return Z;
	case PG_QUERY__SQLVALUE_FUNCTION_OP__SVFOP_CURRENT_TIMESTAMP_N:
		mur_buf_printf(d->b, "pgc_now(0, %d)", (int)f->typmod);
		return Z;
	case PG_QUERY__SQLVALUE_FUNCTION_OP__SVFOP_LOCALTIMESTAMP:
		tz_cast(d, "pgc_now(0)", Z, TS);
		return TS;
	case PG_QUERY__SQLVALUE_FUNCTION_OP__SVFOP_LOCALTIMESTAMP_N: {
		char now[32];
		snprintf(now, sizeof now, "pgc_now(0, %d)", (int)f->typmod);
		tz_cast(d, now, Z, TS); /* rounding the instant rounds the wall clock */
		return TS;
	}
	case PG_QUERY__SQLVALUE_FUNCTION_OP__SVFOP_CURRENT_DATE:
		tz_cast(d, "pgc_now(0)", Z, D);
		return D;
	default:
		return pgc_dp_fail(d, "CURRENT_TIME and LOCALTIME in catalog queries (murphy has "
				      "no time type)");
	}
}

/* ---- casts ---- */

/* The precision p of timestamp(p), timestamptz(p), as PostgreSQL caps it
 * (6); -1 for what is not one.  An interval's typmod: interval_typmod. */
static int precision(const PgQuery__TypeName *tn, mur_type to)
{
	const PgQuery__Node *last = tn->typmods[tn->n_typmods - 1];
	int p;
	if (last->node_case != PG_QUERY__NODE__NODE_A_CONST ||
	    last->a_const->val_case != PG_QUERY__A__CONST__VAL_IVAL)
		return -1;
	if (to == D || tn->n_typmods > 2)
		return -1;
	p = last->a_const->ival->ival;
	return p < 0 ? -1 : p > 6 ? 6 : p;
}

/* us rounded to 10^-p s (p < 6), half away from zero, as PostgreSQL's
 * AdjustTimestampForTypmod. */
static int64_t round_us(int64_t us, int p)
{
	int64_t unit = 1;
	for (; p < 6; p++)
		unit *= 10;
	return us >= 0 ? (us + unit / 2) / unit * unit : -((-us + unit / 2) / unit * unit);
}

/* The typmod of interval fields [(p)] / interval(p), with PostgreSQL's
 * intervaltypmodin checks (as parser/types.c): MUR_OK with *typmod
 * (common/interval.h's MUR_IV_TYPMOD), else the error set. */
static int interval_typmod(pgc_dp *d, const PgQuery__TypeName *tn, int32_t *typmod)
{
	int range = 0, p = MUR_IV_FULL_PRECISION;
	const PgQuery__Node *m = tn->typmods[0], *pn = tn->n_typmods == 2 ? tn->typmods[1] : NULL;
	if (tn->n_typmods > 2 || m->node_case != PG_QUERY__NODE__NODE_A_CONST ||
	    m->a_const->val_case != PG_QUERY__A__CONST__VAL_IVAL ||
	    (pn && (pn->node_case != PG_QUERY__NODE__NODE_A_CONST ||
		    pn->a_const->val_case != PG_QUERY__A__CONST__VAL_IVAL)))
		return mur_error_set(d->err, SQLSTATE_INVALID_PARAMETER_VALUE,
				     "invalid INTERVAL type modifier");
	range = m->a_const->ival->ival;
	if (pn && (p = pn->a_const->ival->ival) < 0)
		return mur_error_set(d->err, SQLSTATE_INVALID_PARAMETER_VALUE,
				     "INTERVAL(%d) precision must not be negative", p);
	if (pn && p > 6)
		p = 6; /* PostgreSQL warns and reduces it */
	if (!mur_iv_typmod_ok(range, p))
		return mur_error_set(d->err, SQLSTATE_INVALID_PARAMETER_VALUE,
				     "invalid INTERVAL type modifier");
	*typmod = MUR_IV_TYPMOD(p, range);
	return MUR_OK;
}

int pgc_time_cast(pgc_dp *d, pgc_dp_text *x, mur_type to, const PgQuery__TypeName *tn)
{
	mur_type from = x->type;
	if (!pgc_time_is(to) && !pgc_time_is(from) &&
	    !(from == MT_NUMERIC && mur_type_is_integer(to)))
		return 0;
	if (tn->n_typmods && to == V) { /* read with the typmod, or adjusted to it */
		int32_t typmod = -1;
		if (interval_typmod(d, tn, &typmod) != MUR_OK)
			d->failed = 1;
		else if (sval(x->node))
			interval_const(d, sval(x->node), typmod);
		else {
			pgc_dp_out(d, "mur_iv_typmod(");
			pgc_time_coerce(d, x, V);
			mur_buf_printf(d->b, ", %d)", (int)typmod);
		}
		return 1;
	}
	if (tn->n_typmods && pgc_time_is(to)) {
		int p = precision(tn, to);
		if (p < 0)
			return pgc_dp_fail(d, "this type modifier of a date or timestamp "
					      "in catalog queries"),
			       1;
		pgc_dp_out(d, "pgc_time_round(");
		pgc_time_coerce(d, x, to);
		mur_buf_printf(d->b, ", %d)", p);
	} else if (pgc_time_is(to))
		pgc_time_coerce(d, x, to);
	else if (from == Z && mur_type_is_text(to))
		tz_cast(d, mur_buf_cstr(&x->b), Z, to);
	else if (mur_type_is_text(to) || (from == MT_NUMERIC && mur_type_is_integer(to)))
		cast(d, mur_buf_cstr(&x->b), from, to);
	else
		cannot(d, "casts between", from, to);
	return 1;
}

/* ---- the SQLite functions ---- */

static const pgc_session_hooks *hooks_of(sqlite3_context *ctx) { return sqlite3_user_data(ctx); }

/* pgc_now(which[, precision]): the session's clock (hooks.now_us), as
 * stored timestamptz text; precision p < 6 rounds to 10^-p s, half up, as
 * CURRENT_TIMESTAMP(p). */
static void fn_now(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
	const pgc_session_hooks *h = hooks_of(ctx);
	int64_t us = h && h->now_us ? h->now_us(h->ctx, sqlite3_value_int(argv[0])) : 0;
	mur_buf b;
	mur_value out;
	mur_error err;
	if (!us)
		us = mur_wall_us();
	if (argc > 1 && sqlite3_value_int(argv[1]) >= 0 && sqlite3_value_int(argv[1]) < 6)
		us = round_us(us, sqlite3_value_int(argv[1]));
	mur_buf_init(&b);
	if (mur_ts_put(Z, us, &b, &out, &err) == MUR_OK)
		sqlite3_result_text(ctx, out.s, (int)out.len, SQLITE_TRANSIENT);
	else
		sqlite3_result_error(ctx, "SQLSTATE:22008:timestamp out of range", -1);
	mur_buf_free(&b);
}

/* pgc_time_round(x, p): a stored timestamp[tz] rounded to p
 * fractional digits of a second (infinity as it is). */
static void fn_time_round(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
	const char *s = (const char *)sqlite3_value_text(argv[0]);
	size_t len = (size_t)sqlite3_value_bytes(argv[0]);
	int p = sqlite3_value_int(argv[1]);
	int64_t us;
	mur_buf b;
	mur_value out;
	mur_error err;
	(void)argc;
	if (!s || sqlite3_value_type(argv[1]) == SQLITE_NULL)
		return;
	mur_buf_init(&b);
	if (mur_ts_us(s, len, &us) == MUR_OK) {
		if (mur_ts_put(Z, round_us(us, p), &b, &out, &err) == MUR_OK)
			sqlite3_result_text(ctx, out.s, (int)out.len, SQLITE_TRANSIENT);
		else
			sqlite3_result_error(ctx, "SQLSTATE:22008:timestamp out of range", -1);
	} else {
		sqlite3_result_value(ctx, argv[0]); /* infinity */
	}
	mur_buf_free(&b);
}

/* pgc_iv_trunc(field, interval): date_trunc of an interval (interval_trunc):
 * its fields below field zeroed, months split into years and months, the
 * time into hours, minutes, seconds, as interval2tm. */
static void fn_iv_trunc(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
	/* PostgreSQL's spellings of each unit (deltatktbl), by k */
	static const char *const units[] = {" microseconds microsecond us usec usecs ",
					    " milliseconds millisecond ms msec msecs ",
					    " second seconds sec secs s ",
					    " minute minutes min mins m ",
					    " hour hours hr hrs h ",
					    " day days d ",
					    " month months mon mons ",
					    " quarter qtr ",
					    " year years yr yrs y ",
					    " decade decades dec decs ",
					    " century centuries cent c ",
					    " millennium millennia millenniums mil mils "};
	static const int64_t time_unit[] = {1, 1000, 1000000, 60000000, INT64_C(3600000000)};
	static const int year_unit[] = {1, 10, 100, 1000};
	const char *f = (const char *)sqlite3_value_text(argv[0]);
	const char *s = (const char *)sqlite3_value_text(argv[1]);
	char msg[160], word[40];
	mur_interval iv;
	mur_buf b;
	int k = -1;
	(void)argc;
	if (!f || !s)
		return;
	snprintf(word, sizeof word, " %.30s ", f);
	for (char *c = word; *c; c++)
		*c = (char)tolower((unsigned char)*c);
	for (int i = 0; i < (int)(sizeof units / sizeof units[0]) && k < 0 && !strchr(f, ' '); i++)
		if (strstr(units[i], word))
			k = i;
	if (k < 0 && !strncasecmp(f, "week", 4))
		snprintf(msg, sizeof msg,
			 "SQLSTATE:0A000:unit \"%.60s\" not supported for type interval", f);
	else if (k < 0)
		snprintf(msg, sizeof msg,
			 "SQLSTATE:22023:unit \"%.60s\" not recognized for type interval", f);
	if (k < 0) {
		sqlite3_result_error(ctx, msg, -1);
		return;
	}
	if (mur_iv_load(s, (size_t)sqlite3_value_bytes(argv[1]), &iv) != MUR_OK) {
		sqlite3_result_error(ctx, "SQLSTATE:22007:invalid interval value", -1);
		return;
	}
	if (k <= 4)
		iv.us = iv.us / time_unit[k] * time_unit[k]; /* toward zero, as interval2tm */
	else
		iv.us = 0;
	if (k >= 6)
		iv.days = 0;
	if (k == 7)
		iv.months = iv.months / 12 * 12 + iv.months % 12 / 3 * 3;
	if (k >= 8)
		iv.months = iv.months / 12 / year_unit[k - 8] * year_unit[k - 8] * 12;
	mur_buf_init(&b);
	mur_iv_store(&iv, &b);
	sqlite3_result_text(ctx, mur_buf_cstr(&b), -1, SQLITE_TRANSIENT);
	mur_buf_free(&b);
}

/* pgc_param_text(p, type): a parameter read as a date/time type: its
 * text; a number (a simple query's integer literal, lifted to a
 * parameter: sql/plan_cache.h) is 42883, as PostgreSQL refuses
 * `now() - query_start > 5`. */
static void fn_param_text(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
	char msg[160];
	int t = sqlite3_value_type(argv[0]);
	(void)argc;
	if (t == SQLITE_INTEGER || t == SQLITE_FLOAT) {
		snprintf(msg, sizeof msg, "SQLSTATE:42883:operator does not exist: %s and %s",
			 type_name((mur_type)sqlite3_value_int(argv[1])),
			 t == SQLITE_INTEGER ? "integer" : "double precision");
		sqlite3_result_error(ctx, msg, -1);
		return;
	}
	sqlite3_result_value(ctx, argv[0]);
}

/* pgc_param_int(p): a parameter beside a date (date + $1): an integer
 * (a simple query's lifted literal); anything else is PostgreSQL's 42725
 * for date ± unknown (integer, interval and time all fit). */
static void fn_param_int(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
	(void)argc;
	if (sqlite3_value_type(argv[0]) == SQLITE_INTEGER ||
	    sqlite3_value_type(argv[0]) == SQLITE_NULL)
		sqlite3_result_value(ctx, argv[0]);
	else
		sqlite3_result_error(ctx, "SQLSTATE:42725:operator is not unique: date + unknown",
				     -1);
}

/* pgc_timezone(): the session's TimeZone ("UTC" when it has none). */
static void fn_timezone(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
	const pgc_session_hooks *h = hooks_of(ctx);
	const char *z = h && h->get ? h->get(h->ctx, "timezone") : NULL;
	(void)argc, (void)argv;
	sqlite3_result_text(ctx, z && z[0] ? z : "UTC", -1, SQLITE_TRANSIENT);
}

int pgc_time_register(sqlite3 *db, const pgc_session_hooks *hooks)
{
	void *h = (void *)hooks;
	int rc = sqlite3_create_function(db, "pgc_now", 1, SQLITE_UTF8, h, fn_now, NULL, NULL);
	if (rc == SQLITE_OK)
		rc = sqlite3_create_function(db, "pgc_now", 2, SQLITE_UTF8, h, fn_now, NULL, NULL);
	if (rc == SQLITE_OK)
		rc = sqlite3_create_function(db, "pgc_timezone", 0, SQLITE_UTF8, h, fn_timezone,
					     NULL, NULL);
	if (rc == SQLITE_OK)
		rc = sqlite3_create_function(db, "pgc_time_round", 2, SQLITE_UTF8, h, fn_time_round,
					     NULL, NULL);
	if (rc == SQLITE_OK)
		rc = sqlite3_create_function(db, "pgc_param_text", 2, SQLITE_UTF8, h, fn_param_text,
					     NULL, NULL);
	if (rc == SQLITE_OK)
		rc = sqlite3_create_function(db, "pgc_param_int", 1, SQLITE_UTF8, h, fn_param_int,
					     NULL, NULL);
	if (rc == SQLITE_OK)
		rc = sqlite3_create_function(db, "pgc_iv_trunc", 2, SQLITE_UTF8, h, fn_iv_trunc,
					     NULL, NULL);
	return rc;
}
