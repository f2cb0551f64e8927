/*
 * types.c — PostgreSQL's type rules, as far as murphy's types go.
 *
 * Numeric promotion follows PostgreSQL's operator catalog: int2 < int4 <
 * int8 < numeric < float4/float8 (any float makes the result float8, an
 * int mixed with numeric gives numeric).  Categories mirror pg_type's
 * typcategory: N numeric, S string, B boolean, D date/time, U unknown,
 * X bytea, V uuid, T interval.  Types of different categories never compare or combine
 * implicitly, except date with timestamp (both D).
 */
#include "parser/analyze.h"
#include "common/interval.h"
#include "common/numeric.h"

#include <string.h>

static const char *const type_names[MT_TYPE_COUNT] = {
	[MT_UNKNOWN] = "unknown",
	[MT_BOOL] = "boolean",
	[MT_INT2] = "smallint",
	[MT_INT4] = "integer",
	[MT_INT8] = "bigint",
	[MT_FLOAT4] = "real",
	[MT_FLOAT8] = "double precision",
	[MT_NUMERIC] = "numeric",
	[MT_TEXT] = "text",
	[MT_VARCHAR] = "character varying",
	[MT_BPCHAR] = "character",
	[MT_DATE] = "date",
	[MT_TIMESTAMP] = "timestamp without time zone",
	[MT_TIMESTAMPTZ] = "timestamp with time zone",
	[MT_BYTEA] = "bytea",
	[MT_UUID] = "uuid",
	[MT_INTERVAL] = "interval",
	[MT_JSON] = "json",
	[MT_JSONB] = "jsonb",
};

const char *sql_type_name(mur_type t)
{
	if (mur_type_is_array(t))
		return mur_type_name(t);
	return (t >= 0 && t < MT_TYPE_COUNT && type_names[t]) ? type_names[t] : "unknown";
}

int sql_type_category(mur_type t)
{
	switch (t) {
	case MT_INT2:
	case MT_INT4:
	case MT_INT8:
	case MT_FLOAT4:
	case MT_FLOAT8:
	case MT_NUMERIC:
		return 'N';
	case MT_TEXT:
	case MT_VARCHAR:
	case MT_BPCHAR:
		return 'S';
	case MT_BOOL:
		return 'B';
	case MT_DATE:
	case MT_TIMESTAMP:
	case MT_TIMESTAMPTZ:
		return 'D';
	case MT_BYTEA:
		return 'X';
	case MT_UUID: /* its own (pg_type's 'U' is "unknown" here) */
		return 'V';
	case MT_INTERVAL:
		return 'T';
	case MT_JSON:
	case MT_JSONB:
		return 'J'; /* PostgreSQL's U (user-defined); murphy's U is unknown */
	default:
		return mur_type_is_array(t) ? 'A' : 'U';
	}
}

int sql_type_numeric_rank(mur_type t)
{
	switch (t) {
	case MT_INT2:
		return 1;
	case MT_INT4:
		return 2;
	case MT_INT8:
		return 3;
	case MT_NUMERIC:
		return 4;
	case MT_FLOAT4:
		return 5;
	case MT_FLOAT8:
		return 6;
	default:
		return 0;
	}
}

mur_type sql_type_arith(mur_type a, mur_type b)
{
	int ra = sql_type_numeric_rank(a), rb = sql_type_numeric_rank(b);
	if (!ra || !rb)
		return MT_UNKNOWN;
	if (ra >= 5 || rb >= 5)
		return (a == MT_FLOAT4 && b == MT_FLOAT4) ? MT_FLOAT4 : MT_FLOAT8;
	return ra >= rb ? a : b;
}

int sql_type_comparable(mur_type a, mur_type b)
{
	int ca = sql_type_category(a), cb = sql_type_category(b);
	if (a == MT_UNKNOWN || b == MT_UNKNOWN)
		return 1;
	if (ca == 'A' && cb == 'A') /* arrays: when their elements are */
		return sql_type_comparable(mur_type_elem(a), mur_type_elem(b));
	return ca == cb;
}

mur_type sql_type_common(mur_type a, mur_type b)
{
	if (a == MT_UNKNOWN)
		return b;
	if (b == MT_UNKNOWN || a == b)
		return a;
	if (sql_type_category(a) != sql_type_category(b))
		return MT_UNKNOWN;
	switch (sql_type_category(a)) {
	case 'N':
		return sql_type_arith(a, b);
	case 'S': /* text is the preferred type; else the first (varchar and
		     bpchar convert to each other implicitly) */
		return a == MT_TEXT || b == MT_TEXT ? MT_TEXT : a;
	case 'D':
		if (a == MT_TIMESTAMPTZ || b == MT_TIMESTAMPTZ)
			return MT_TIMESTAMPTZ;
		return MT_TIMESTAMP;
	case 'A':
		return mur_type_array_of(sql_type_common(mur_type_elem(a), mur_type_elem(b)));
	default:
		return a;
	}
}

/* Assignment casts PostgreSQL applies on INSERT/UPDATE without being told:
 * within the numeric category (int ← numeric rounds), within strings,
 * between date and timestamps. */
int sql_type_implicit_ok(mur_type from, mur_type to)
{
	if (from == to || from == MT_UNKNOWN)
		return 1;
	if (mur_type_is_array(from) && mur_type_is_array(to))
		return sql_type_implicit_ok(mur_type_elem(from), mur_type_elem(to));
	return sql_type_category(from) == sql_type_category(to) && sql_type_category(to) != 'U';
}

static const char *typename_last(const PgQuery__TypeName *tn)
{
	PgQuery__Node *n = tn->names[tn->n_names - 1];
	return n->node_case == PG_QUERY__NODE__NODE_STRING ? n->string->sval : "";
}

/* PostgreSQL's MaxAttrSize in characters: the longest char(n)/varchar(n). */
#define SQL_CHAR_LENGTH_MAX 10485760

static int32_t typmod_of(const PgQuery__TypeName *tn)
{
	PgQuery__Node *n;
	if (tn->n_typmods < 1)
		return -1;
	n = tn->typmods[0];
	if (n->node_case == PG_QUERY__NODE__NODE_A_CONST &&
	    n->a_const->val_case == PG_QUERY__A__CONST__VAL_IVAL)
		return n->a_const->ival->ival;
	return -1;
}

static int typmod_int(const PgQuery__Node *n, int *out)
{
	if (n->node_case != PG_QUERY__NODE__NODE_A_CONST ||
	    n->a_const->val_case != PG_QUERY__A__CONST__VAL_IVAL)
		return 0;
	*out = n->a_const->ival->ival;
	return 1;
}

/* numeric(p[, s]): PostgreSQL's numerictypmodin checks, then numeric.h's
 * MUR_NUM_TYPMOD. */
static int numeric_typmod(sql_ctx *c, const PgQuery__TypeName *tn, int32_t *typmod)
{
	int p = 0, s = 0;
	if (tn->n_typmods > 2 || !typmod_int(tn->typmods[0], &p) ||
	    (tn->n_typmods == 2 && !typmod_int(tn->typmods[1], &s)))
		return sql_err(c, SQLSTATE_INVALID_PARAMETER_VALUE, tn->location,
			       "invalid NUMERIC type modifier");
	if (p < 1 || p > MUR_NUM_PRECISION_MAX)
		return sql_err(c, SQLSTATE_INVALID_PARAMETER_VALUE, tn->location,
			       "NUMERIC precision %d must be between 1 and %d", p,
			       MUR_NUM_PRECISION_MAX);
	if (s < -MUR_NUM_SCALE_MAX || s > MUR_NUM_SCALE_MAX)
		return sql_err(c, SQLSTATE_INVALID_PARAMETER_VALUE, tn->location,
			       "NUMERIC scale %d must be between %d and %d", s, -MUR_NUM_SCALE_MAX,
			       MUR_NUM_SCALE_MAX);
	if (typmod)
		*typmod = MUR_NUM_TYPMOD(p, s);
	return MUR_OK;
}

/* interval fields [(p)] / interval(p): PostgreSQL's intervaltypmodin
 * checks, then interval.h's MUR_IV_TYPMOD. */
static int interval_typmod(sql_ctx *c, const PgQuery__TypeName *tn, int32_t *typmod)
{
	int range = 0, p = MUR_IV_FULL_PRECISION;
	if (tn->n_typmods > 2 || !typmod_int(tn->typmods[0], &range) ||
	    (tn->n_typmods == 2 && !typmod_int(tn->typmods[1], &p)))
		return sql_err(c, SQLSTATE_INVALID_PARAMETER_VALUE, tn->location,
			       "invalid INTERVAL type modifier");
	if (tn->n_typmods == 2 && p < 0)
		return sql_err(c, SQLSTATE_INVALID_PARAMETER_VALUE, tn->location,
			       "INTERVAL(%d) precision must not be negative", p);
	if (tn->n_typmods == 2 && p > 6)
		p = 6; /* PostgreSQL warns and reduces it */
	if (!mur_iv_typmod_ok(range, p))
		return sql_err(c, SQLSTATE_INVALID_PARAMETER_VALUE, tn->location,
			       "invalid INTERVAL type modifier");
	if (typmod)
		*typmod = MUR_IV_TYPMOD(p, range);
	return MUR_OK;
}

mur_type sql_type_from_typename(sql_ctx *c, const PgQuery__TypeName *tn, int32_t *typmod)
{
	const char *name = typename_last(tn);
	mur_type t;
	if (typmod)
		*typmod = -1;
	if (tn->n_array_bounds > 0 ||
	    (name[0] == '_' && mur_type_from_name(name + 1) != MT_UNKNOWN)) {
		t = sql_array_type_from_typename(c, tn, name);
		/* numeric(p,s)[]: its elements are rounded (sql_numeric_array_typmod) */
		if (t == MT_NUMERIC_ARRAY && tn->n_typmods > 0 &&
		    numeric_typmod(c, tn, typmod) != MUR_OK)
			return MT_UNKNOWN;
		return t;
	}
	if (!strcmp(name, "serial") || !strcmp(name, "bigserial") || !strcmp(name, "smallserial") ||
	    !strcmp(name, "serial4") || !strcmp(name, "serial8")) {
		sql_err(c, SQLSTATE_FEATURE_NOT_SUPPORTED, tn->location,
			"murphy does not support type %s yet", name);
		mur_error_hint(c->err, "Use integer or bigint and supply the values.");
		return MT_UNKNOWN;
	}
	t = mur_type_from_name(name);
	if (t == MT_UNKNOWN) {
		sql_err(c, SQLSTATE_UNDEFINED_OBJECT, tn->location, "type \"%s\" does not exist",
			name);
		return MT_UNKNOWN;
	}
	if (typmod && (t == MT_VARCHAR || t == MT_BPCHAR)) {
		*typmod = typmod_of(tn);
		if (tn->n_typmods > 0 && (*typmod < 1 || *typmod > SQL_CHAR_LENGTH_MAX)) {
			/* anychar_typmodin */
			const char *what = t == MT_BPCHAR ? "char" : "varchar";
			if (*typmod < 1)
				sql_err(c, SQLSTATE_INVALID_PARAMETER_VALUE, tn->location,
					"length for type %s must be at least 1", what);
			else
				sql_err(c, SQLSTATE_INVALID_PARAMETER_VALUE, tn->location,
					"length for type %s cannot exceed %d", what,
					SQL_CHAR_LENGTH_MAX);
			return MT_UNKNOWN;
		}
	}
	if (t == MT_NUMERIC && tn->n_typmods > 0 && numeric_typmod(c, tn, typmod) != MUR_OK)
		return MT_UNKNOWN;
	if (t == MT_INTERVAL && tn->n_typmods > 0 && interval_typmod(c, tn, typmod) != MUR_OK)
		return MT_UNKNOWN;
	return t;
}
