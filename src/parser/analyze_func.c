/*
 * analyze_func.c — function calls: aggregates and the scalar functions
 * murphy supports, with PostgreSQL's argument and result types.
 *
 * Scalar functions are table-driven (fn_defs): each entry names the
 * argument kinds it accepts, how the result type is derived, and the
 * SQLite function that implements it (a built-in where SQLite's semantics
 * match PostgreSQL's, else a mur_* function from storage/sqlfn.c).  Aggregates
 * become SE_AGG nodes; sql/plan_select.c decides where they run.
 * approx_count_distinct(x) (murphy's own, any argument type, bigint) is
 * one of them: HyperLogLog sketches merged on the leader (docs/approx.md).
 * A call with OVER is a window function (analyze_window.c).
 *
 * One admin function: murphy.fault(text) (schema-qualified only) becomes
 * the SQLite call murphy_fault(text), which the leader registers in its
 * in-memory SQLite (cluster/fault.h).  It is accepted only where the
 * statement runs on the leader — a SELECT without FROM or over murphy.*
 * views — never pushed to followers.  txid_current() likewise becomes
 * murphy_txid_current(), the session's transaction id (leader/lead_txn.c).
 */
#include "parser/analyze.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

#define FN_HINT                                                                                    \
	"No function matches the given name and argument types. You might need to add explicit "   \
	"type casts."

/* Argument kinds: S text (character(n) without its padding), P text with
 * character(n)'s padding, N any numeric, I integer, V interval, X bytea, T timestamp-ish (date
 * promoted to timestamp), A anything (converted to text as its output function writes it: concat). */
/* Result rules: */
enum {
	R_TEXT = 1,
	R_INT4,
	R_FLOAT8,
	R_SAME,       /* R_SAME: type of argument 0 */
	R_ROUND,      /* int → float8, else same */
	R_NUMERIC_IF, /* numeric if any numeric arg and no float, else float8 */
	R_TS,         /* timestamp type of argument 1 */
	R_NUMERIC,
	R_TSTZ,
	R_DATE,
	R_BOOL,
	R_UUID,
	R_INTERVAL,
	R_BYTEA,
	R_TEXT_ARRAY,
	R_TIMESTAMP,
};

typedef struct fn_def {
	const char *name;
	int minargs, maxargs;
	const char *kinds; /* one letter per argument; the last repeats */
	int result;
	const char *sqlite;
} fn_def;

static const fn_def fn_defs[] = {
	{"lower", 1, 1, "S", R_TEXT, "lower"},
	{"upper", 1, 1, "S", R_TEXT, "upper"},
	{"length", 1, 1, "S", R_INT4, "length"},
	{"char_length", 1, 1, "S", R_INT4, "length"},
	{"character_length", 1, 1, "S", R_INT4, "length"},
	{"substr", 2, 3, "SII", R_TEXT, "mur_substr"},
	{"substring", 2, 3, "SII", R_TEXT, "mur_substr"},
	{"btrim", 1, 2, "SS", R_TEXT, "trim"},
	{"ltrim", 1, 2, "SS", R_TEXT, "ltrim"},
	{"rtrim", 1, 2, "SS", R_TEXT, "rtrim"},
	{"replace", 3, 3, "SSS", R_TEXT, "replace"},
	{"concat", 1, SQL_ARGS_MAX, "A", R_TEXT, "mur_concat"},
	{"position", 2, 2, "SS", R_INT4, "instr"},
	{"strpos", 2, 2, "SS", R_INT4, "instr"},
	{"left", 2, 2, "SI", R_TEXT, "mur_left"},
	{"concat_ws", 2, SQL_ARGS_MAX, "SA", R_TEXT, "mur_concat_ws"},
	{"format", 1, SQL_ARGS_MAX, "SA", R_TEXT, "mur_format"},
	{"lpad", 2, 3, "SIS", R_TEXT, "mur_lpad"},
	{"rpad", 2, 3, "SIS", R_TEXT, "mur_rpad"},
	{"split_part", 3, 3, "SSI", R_TEXT, "mur_split_part"},
	{"repeat", 2, 2, "SI", R_TEXT, "mur_repeat"},
	{"reverse", 1, 1, "S", R_TEXT, "mur_reverse"},
	{"initcap", 1, 1, "S", R_TEXT, "mur_initcap"},
	{"to_number", 2, 2, "SS", R_NUMERIC, "mur_to_number"},
	{"translate", 3, 3, "SSS", R_TEXT, "mur_translate"},
	{"starts_with", 2, 2, "SS", R_BOOL, "mur_starts_with"},
	{"md5", 1, 1, "S", R_TEXT, "mur_md5"},
	{"chr", 1, 1, "I", R_TEXT, "mur_chr"},
	{"ascii", 1, 1, "S", R_INT4, "mur_ascii"},
	{"octet_length", 1, 1, "P", R_INT4, "mur_octet_length"},
	{"regexp_replace", 3, 4, "SSSS", R_TEXT, "mur_regexp_replace"},
	{"regexp_replace", 4, 6, "SSSIIS", R_TEXT, "mur_regexp_replace_at"},
	{"regexp_like", 2, 3, "SSS", R_BOOL, "mur_regexp_like"},
	{"regexp_match", 2, 3, "SSS", R_TEXT_ARRAY, "mur_regexp_match"},
	{"regexp_split_to_array", 2, 3, "SSS", R_TEXT_ARRAY, "mur_regexp_split_to_array"},
	{"regexp_count", 2, 4, "SSIS", R_INT4, "mur_regexp_count"},
	{"regexp_instr", 2, 7, "SSIIISI", R_INT4, "mur_regexp_instr"},
	{"regexp_substr", 2, 6, "SSIISI", R_TEXT, "mur_regexp_substr"},
	{"right", 2, 2, "SI", R_TEXT, "mur_right"},
	{"abs", 1, 1, "N", R_SAME, "mur_abs"},
	{"round", 1, 1, "N", R_ROUND, "mur_round"},
	{"round", 2, 2, "NI", R_NUMERIC, "mur_round"},
	{"ceil", 1, 1, "N", R_ROUND, "mur_ceil"},
	{"ceiling", 1, 1, "N", R_ROUND, "mur_ceil"},
	{"floor", 1, 1, "N", R_ROUND, "mur_floor"},
	{"trunc", 1, 1, "N", R_ROUND, "mur_trunc"},
	{"trunc", 2, 2, "NI", R_NUMERIC, "mur_trunc"},
	{"power", 2, 2, "NN", R_NUMERIC_IF, "mur_power"},
	{"pow", 2, 2, "NN", R_NUMERIC_IF, "mur_power"},
	{"sqrt", 1, 1, "N", R_NUMERIC_IF, "mur_sqrt"},
	{"cbrt", 1, 1, "N", R_FLOAT8, "mur_cbrt"},
	{"width_bucket", 4, 4, "NNNI", R_INT4, "mur_width_bucket"},
	{"scale", 1, 1, "N", R_INT4, "mur_num_scale"},
	{"min_scale", 1, 1, "N", R_INT4, "mur_num_min_scale"},
	{"trim_scale", 1, 1, "N", R_NUMERIC, "mur_num_trim_scale"},
	{"div", 2, 2, "NN", R_NUMERIC, "mur_num_idiv"},
	{"exp", 1, 1, "N", R_ROUND, "mur_exp"},
	{"ln", 1, 1, "N", R_ROUND, "mur_ln"},
	{"log", 1, 1, "N", R_ROUND, "mur_log"},
	{"log10", 1, 1, "N", R_ROUND, "mur_log"},
	{"log", 2, 2, "NN", R_NUMERIC, "mur_log"},
	{"sign", 1, 1, "N", R_ROUND, "mur_sign"},
	{"degrees", 1, 1, "N", R_FLOAT8, "mur_degrees"},
	{"radians", 1, 1, "N", R_FLOAT8, "mur_radians"},
	{"pi", 0, 0, "", R_FLOAT8, "mur_pi"},
	{"now", 0, 0, "", R_TSTZ, "mur_xact_now"}, /* xact_now below */
	{"transaction_timestamp", 0, 0, "", R_TSTZ, "mur_xact_now"},
	{"statement_timestamp", 0, 0, "", R_TSTZ, "mur_stmt_now"},
	{"clock_timestamp", 0, 0, "", R_TSTZ, "mur_now"},
	{"date_trunc", 2, 2, "ST", R_TS, "mur_date_trunc"},
	{"make_date", 3, 3, "I", R_DATE, "mur_make_date"},
	{"factorial", 1, 1, "I", R_NUMERIC, "mur_factorial"},
	{"to_date", 2, 2, "SS", R_DATE, "mur_to_date"},
	{"make_timestamp", 6, 6, "IIIIIN", R_TIMESTAMP, "mur_make_timestamp"},
	{"isfinite", 1, 1, "T", R_BOOL, "mur_isfinite"},
	{"isfinite", 1, 1, "V", R_BOOL, "mur_isfinite"},
	{"date_part", 2, 2, "ST", R_FLOAT8, "mur_extract"},
	{"extract", 2, 2, "SD", R_NUMERIC, "mur_extract_date"},
	{"extract", 2, 2, "ST", R_NUMERIC, "mur_extract_num"},
	{"random", 0, 0, "", R_FLOAT8, "mur_random"},
	{"gen_random_uuid", 0, 0, "", R_UUID, "mur_gen_random_uuid"},
	{"date_part", 2, 2, "SV", R_FLOAT8, "mur_iv_part"},
	{"extract", 2, 2, "SV", R_NUMERIC, "mur_iv_extract"},
	{"justify_hours", 1, 1, "V", R_INTERVAL, "mur_iv_justify_hours"},
	{"justify_days", 1, 1, "V", R_INTERVAL, "mur_iv_justify_days"},
	{"justify_interval", 1, 1, "V", R_INTERVAL, "mur_iv_justify_interval"},
	{"make_interval", 0, 7, "IIIIIIN", R_INTERVAL, "mur_make_interval"},
	{"age", 1, 2, "TT", R_INTERVAL, "mur_age"},
	{"length", 1, 1, "X", R_INT4, "length"},
	{"octet_length", 1, 1, "X", R_INT4, "length"},
	{"substr", 2, 3, "XII", R_BYTEA, "mur_bytea_substr"},
	{"substring", 2, 3, "XII", R_BYTEA, "mur_bytea_substr"},
	{"md5", 1, 1, "X", R_TEXT, "mur_md5"},
	{"sha224", 1, 1, "X", R_BYTEA, "mur_sha224"},
	{"sha256", 1, 1, "X", R_BYTEA, "mur_sha256"},
	{"sha384", 1, 1, "X", R_BYTEA, "mur_sha384"},
	{"sha512", 1, 1, "X", R_BYTEA, "mur_sha512"},
	{"encode", 2, 2, "XS", R_TEXT, "mur_bytea_encode"},
	{"decode", 2, 2, "SS", R_BYTEA, "mur_bytea_decode"},
	{"get_byte", 2, 2, "XI", R_INT4, "mur_get_byte"},
	{"set_byte", 3, 3, "XII", R_BYTEA, "mur_set_byte"},
	{"get_bit", 2, 2, "XI", R_INT4, "mur_get_bit"},
	{"set_bit", 3, 3, "XII", R_BYTEA, "mur_set_bit"},
	{"position", 2, 2, "XX", R_INT4, "instr"},
};

static const char *fn_name(PgQuery__FuncCall *f)
{
	PgQuery__Node *n = f->funcname[f->n_funcname - 1];
	return n->node_case == PG_QUERY__NODE__NODE_STRING ? n->string->sval : "";
}

static sql_expr *no_function(sql_ctx *c, const char *name, sql_expr **args, int n, int loc)
{
	char sig[256] = "";
	size_t len = 0;
	for (int i = 0; i < n && len < sizeof sig - 40; i++)
		len += (size_t)snprintf(sig + len, sizeof sig - len, "%s%s", i ? ", " : "",
					sql_type_name(args[i]->type));
	sql_err(c, SQLSTATE_UNDEFINED_FUNCTION, loc, "function %s(%s) does not exist", name, sig);
	mur_error_hint(c->err, FN_HINT);
	return NULL;
}

/* Convert argument a to the kind k; NULL (no error set) when impossible. */
static sql_expr *fit_arg(sql_ctx *c, sql_expr *a, char k)
{
	mur_type t = a->type;
	switch (k) {
	case 'S':
		if (t == MT_UNKNOWN || mur_type_is_text(t))
			return sql_coerce(c, a, MT_TEXT, NULL);
		return NULL;
	case 'N':
		if (t == MT_UNKNOWN)
			return sql_coerce(c, a, MT_NUMERIC, NULL);
		return mur_type_is_numeric(t) ? a : NULL;
	case 'I':
		if (t == MT_UNKNOWN)
			return sql_coerce(c, a, MT_INT4, NULL);
		return mur_type_is_integer(t) ? a : NULL;
	case 'T':
		if (t == MT_UNKNOWN)
			return sql_coerce(c, a, MT_TIMESTAMP, NULL);
		if (t == MT_DATE)
			return sql_make_cast(c, a, MT_TIMESTAMP, a->loc);
		return (t == MT_TIMESTAMP || t == MT_TIMESTAMPTZ) ? a : NULL;
	case 'D': /* a date itself (not a literal: 'T' reads those) */
		return t == MT_DATE ? a : NULL;
	case 'X':
		if (t == MT_UNKNOWN)
			return sql_coerce(c, a, MT_BYTEA, NULL);
		return t == MT_BYTEA ? a : NULL;
	case 'V':
		if (t == MT_UNKNOWN)
			return sql_coerce(c, a, MT_INTERVAL, NULL);
		return t == MT_INTERVAL ? a : NULL;
	case 'P': /* text; character(n) with its padding (bpcharoctetlen) */
		if (t == MT_BPCHAR)
			return sql_bpchar_padded(c, a);
		return fit_arg(c, a, 'S');
	default:                  /* 'A': the value as its type's output function writes it */
		if (t == MT_BOOL) /* 't'/'f', where a cast to text says 'true'/'false' */
			return sql_make_call(c, "mur_bool_out", MT_TEXT, a->loc, 1, a);
		if (t == MT_BPCHAR) /* bpcharout keeps the padding */
			return sql_bpchar_padded(c, a);
		return sql_make_cast(c, sql_resolve_unknown(c, a), MT_TEXT, a->loc);
	}
}

static mur_type result_type(const fn_def *d, sql_expr **args, int n)
{
	int any_num = 0, any_float = 0;
	switch (d->result) {
	case R_TEXT:
		return MT_TEXT;
	case R_INT4:
		return MT_INT4;
	case R_FLOAT8:
		return MT_FLOAT8;
	case R_NUMERIC:
		return MT_NUMERIC;
	case R_TSTZ:
		return MT_TIMESTAMPTZ;
	case R_DATE:
		return MT_DATE;
	case R_BOOL:
		return MT_BOOL;
	case R_UUID:
		return MT_UUID;
	case R_INTERVAL:
		return MT_INTERVAL;
	case R_BYTEA:
		return MT_BYTEA;
	case R_TEXT_ARRAY:
		return MT_TEXT_ARRAY;
	case R_TIMESTAMP:
		return MT_TIMESTAMP;
	case R_SAME:
		return args[0]->type;
	case R_TS:
		return args[1]->type;
	case R_ROUND:
		return mur_type_is_integer(args[0]->type) ? MT_FLOAT8 : args[0]->type;
	default:
		for (int i = 0; i < n; i++) {
			any_num |= args[i]->type == MT_NUMERIC;
			any_float |= args[i]->type == MT_FLOAT4 || args[i]->type == MT_FLOAT8;
		}
		return (any_num && !any_float) ? MT_NUMERIC : MT_FLOAT8;
	}
}

/* now(), transaction_timestamp(), CURRENT_TIMESTAMP: the transaction's
 * start as a timestamptz constant (PostgreSQL: the same for every row and
 * statement of a transaction; the leader plans anew in another one,
 * plan.uses_xact_now), or mur_now() where the caller gave no time. */
static sql_expr *time_const(sql_ctx *c, int64_t us, int loc)
{
	char buf[48];
	time_t sec;
	struct tm tm;
	sql_expr *e;
	if (!us)
		return sql_make_call(c, "mur_now", MT_TIMESTAMPTZ, loc, 0);
	sec = (time_t)(us / 1000000);
	gmtime_r(&sec, &tm);
	int n = snprintf(buf, sizeof buf, "%04d-%02d-%02d %02d:%02d:%02d.%06lld", tm.tm_year + 1900,
			 tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
			 (long long)(us % 1000000));
	while (buf[n - 1] == '0') /* storage/sqlfn_time.c's canonical text */
		buf[--n] = '\0';
	if (buf[n - 1] == '.')
		buf[--n] = '\0';
	if ((e = sql_make_const_text(c, buf)))
		e->type = MT_TIMESTAMPTZ;
	return e;
}

sql_expr *sql_analyze_xact_now(sql_ctx *c, int loc)
{
	if (c->now_param > 0 && c->xact_now_us) { /* bound to xact_now_us at each run */
		sql_expr *e = sql_expr_new(c, SE_PARAM, MT_TIMESTAMPTZ, loc);
		sql_param_note(c, c->now_param);
		if (e)
			e->param = c->now_param;
		return e;
	}
	if (!c->xact_now_us) /* DDL: a DEFAULT binds it per statement (sql/default_now.c) */
		return sql_make_call(c, "mur_xact_now", MT_TIMESTAMPTZ, loc, 0);
	c->used_xact_now = 1;
	return time_const(c, c->xact_now_us, loc);
}

/* statement_timestamp(): the statement's start, as xact_now (the leader
 * plans such a statement anew each time, plan.uses_stmt_now). */
static sql_expr *stmt_now(sql_ctx *c, int loc)
{
	c->used_stmt_now |= c->stmt_now_us != 0;
	return time_const(c, c->stmt_now_us, loc);
}

/* Try one definition; 1 matched (*out set or error), 0 not applicable. */
static int try_def(sql_ctx *c, const fn_def *d, sql_expr **args, int n, int loc, sql_expr **out)
{
	sql_expr *fitted[SQL_ARGS_MAX], *e;
	if (n < d->minargs || n > d->maxargs)
		return 0;
	if (!strcmp(d->sqlite, "mur_xact_now"))
		return *out = sql_analyze_xact_now(c, loc), 1;
	if (!strcmp(d->sqlite, "mur_stmt_now"))
		return *out = stmt_now(c, loc), 1;
	for (int i = 0; i < n; i++) {
		size_t kl = strlen(d->kinds);
		char k = d->kinds[(size_t)i < kl ? (size_t)i : kl - 1];
		if (!(fitted[i] = fit_arg(c, args[i], k)))
			return mur_error_is_set(c->err) ? (*out = NULL, 1) : 0;
	}
	e = sql_expr_new(c, SE_CALL, result_type(d, fitted, n), loc);
	if (!e || !(e->args = sql_alloc(c, sizeof(sql_expr *) * (size_t)(n ? n : 1)))) {
		*out = NULL;
		return 1;
	}
	e->op = d->sqlite;
	/* float8 round() is rint (half to even); numeric rounds half away from zero */
	if (!strcmp(d->sqlite, "mur_round") && n == 1 && e->type == MT_FLOAT8)
		e->op = "mur_rint";
	e->nargs = n;
	memcpy(e->args, fitted, sizeof(sql_expr *) * (size_t)n);
	*out = e;
	return 1;
}

/* to_char(timestamp[tz] or date, text): mur_to_char with a third argument
 * saying whether the value has a time zone (its TZ pattern prints UTC);
 * to_char(number, text): mur_to_char_num with the number's type, which
 * decides its rounding (storage/sqlfn_numfmt.c). */
static sql_expr *to_char(sql_ctx *c, sql_expr **args, int loc)
{
	sql_expr *ts, *fmt;
	if (mur_type_is_numeric(args[0]->type)) {
		mur_type t = args[0]->type;
		const char *kind = t == MT_NUMERIC  ? "n"
				   : t == MT_INT8   ? "8"
				   : t == MT_FLOAT8 ? "d"
				   : t == MT_FLOAT4 ? "f"
						    : "4";
		if (!(fmt = fit_arg(c, args[1], 'S')))
			return mur_error_is_set(c->err) ? NULL
							: no_function(c, "to_char", args, 2, loc);
		return sql_make_call(c, "mur_to_char_num", MT_TEXT, loc, 3, args[0], fmt,
				     sql_make_const_text(c, kind));
	}
	ts = fit_arg(c, args[0], 'T');
	fmt = ts ? fit_arg(c, args[1], 'S') : NULL;
	if (!ts || !fmt)
		return mur_error_is_set(c->err) ? NULL : no_function(c, "to_char", args, 2, loc);
	if (ts->type == MT_TIMESTAMPTZ && sql_tz_name(c)) /* TZ prints the zone's abbreviation */
		return sql_make_call(c, "mur_to_char", MT_TEXT, loc, 3, ts, fmt,
				     sql_make_const_text(c, sql_tz_name(c)));
	return sql_make_call(c, "mur_to_char", MT_TEXT, loc, 3, ts, fmt,
			     sql_make_const_int(c, args[0]->type == MT_TIMESTAMPTZ, MT_INT4));
}

/* float8(x), int4(x), text(x) ...: PostgreSQL's function-style cast, for
 * a call of no function whose name is a type's own name (pg_type's, not
 * a keyword spelling such as integer, which does not parse as a call). */
static sql_expr *cast_call(sql_ctx *c, const char *name, sql_expr *arg, int loc)
{
	static const char *const typnames[] = {"bool",    "int2",      "int4",    "int8",
					       "float4",  "float8",    "numeric", "text",
					       "date",    "timestamp", "bytea",   "timestamptz",
					       "uuid",    "json",      "jsonb",   "bpchar",
					       "varchar", "interval"};
	for (size_t i = 0; i < sizeof typnames / sizeof typnames[0]; i++)
		if (!strcmp(name, typnames[i]))
			return sql_make_cast(c, arg, mur_type_from_name(name), loc);
	return no_function(c, name, &arg, 1, loc);
}

/* gcd(a, b) / lcm(a, b): int4, int8 or numeric by the arguments' common
 * type (two int2s are ambiguous to PostgreSQL, 42725; one widens), the width
 * passed on so storage/sqlfn_gcd.c answers 22003 where the type overflows. */
static sql_expr *gcd_lcm(sql_ctx *c, const char *name, sql_expr **args, int loc)
{
	mur_type t;
	for (int i = 0; i < 2; i++)
		if (args[i]->type == MT_UNKNOWN &&
		    !(args[i] = sql_coerce(c, args[i], MT_INT4, NULL)))
			return NULL;
	t = sql_type_arith(args[0]->type, args[1]->type);
	if (t == MT_INT2) {
		sql_err(c, "42725", loc, "function %s(smallint, smallint) is not unique", name);
		mur_error_hint(c->err, "Could not choose a best candidate function. You might need "
				       "to add explicit type casts.");
		return NULL;
	}
	if (t != MT_INT4 && t != MT_INT8 && t != MT_NUMERIC)
		return no_function(c, name, args, 2, loc);
	for (int i = 0; i < 2; i++)
		if (args[i]->type != t && !(args[i] = sql_make_cast(c, args[i], t, args[i]->loc)))
			return NULL;
	return sql_make_call(c, !strcmp(name, "gcd") ? "mur_gcd" : "mur_lcm", t, loc, 3, args[0],
			     args[1],
			     sql_make_const_int(c,
						t == MT_NUMERIC ? 0
						: t == MT_INT8  ? 8
								: 4,
						MT_INT4));
}

/* make_timestamptz(y, mo, d, h, mi, sec[, zone]): make_timestamp's wall
 * clock read in the session's zone (the cast) or in zone (AT TIME ZONE).
 * PostgreSQL reads a zone '+05' here as ISO 8601 (east of Greenwich) where
 * AT TIME ZONE reads it as POSIX (west): a constant's sign is swapped; a
 * zone that is not a constant is 0A000, as it might be such an offset. */
static sql_expr *make_timestamptz(sql_ctx *c, sql_expr **args, int n, int loc)
{
	sql_expr *ts = sql_builtin_call(c, "make_timestamp", args, 6, loc), *zone;
	if (!ts)
		return NULL;
	if (n == 6)
		return sql_make_cast(c, ts, MT_TIMESTAMPTZ, loc);
	if (!(zone = fit_arg(c, args[6], 'S')))
		return mur_error_is_set(c->err) ? NULL
						: no_function(c, "make_timestamptz", args, n, loc);
	if (zone->kind != SE_CONST) {
		sql_err(c, SQLSTATE_FEATURE_NOT_SUPPORTED, loc,
			"murphy does not support make_timestamptz with a zone that is not a "
			"constant");
		return NULL;
	}
	if (zone->val.kind == MV_TEXT && zone->val.len > 0 &&
	    (zone->val.s[0] == '+' || zone->val.s[0] == '-')) {
		char *swapped = sql_alloc(c, zone->val.len + 1);
		if (!swapped)
			return NULL;
		memcpy(swapped, zone->val.s, zone->val.len);
		swapped[zone->val.len] = 0;
		swapped[0] = swapped[0] == '+' ? '-' : '+';
		zone = sql_make_const_text(c, swapped);
	}
	return sql_make_call(c, "mur_at_tz", MT_TIMESTAMPTZ, loc, 2, ts, zone);
}

static sql_expr *scalar(sql_ctx *c, const char *name, sql_expr **args, int n, int loc)
{
	sql_expr *out = NULL;
	int named = 0;
	if (!strcmp(name, "mod") && n == 2) {
		mur_type t;
		if (args[0]->type == MT_UNKNOWN)
			args[0] = sql_coerce(c, args[0], MT_INT4, NULL);
		if (args[1]->type == MT_UNKNOWN)
			args[1] = sql_coerce(c, args[1], MT_INT4, NULL);
		if (!args[0] || !args[1])
			return NULL;
		t = sql_type_arith(args[0]->type, args[1]->type);
		if (t == MT_UNKNOWN || t == MT_FLOAT4 || t == MT_FLOAT8)
			return no_function(c, name, args, n, loc);
		return sql_make_call(c, "mur_mod", t, loc, 2, args[0], args[1]);
	}
	if ((!strcmp(name, "gcd") || !strcmp(name, "lcm")) && n == 2)
		return gcd_lcm(c, name, args, loc);
	if (!strcmp(name, "to_char") && n == 2)
		return to_char(c, args, loc);
	if (!strcmp(name, "substring") && sql_regex_substring(c, args, n, loc, &out))
		return out; /* analyze_regex.c: substring(s FROM pattern), SQL's SIMILAR forms */
	if (!strcmp(name, "make_timestamptz") && (n == 6 || n == 7))
		return make_timestamptz(c, args, n, loc);
	if (sql_tz_func(c, name, args, n, loc, &out))
		return out;
	if (!strcmp(name, "version") && n == 0)
		return sql_make_const_text(c, "PostgreSQL 15.0 (murphy)");
	if (!strcmp(name, "current_database") && n == 0)
		return sql_make_const_text(c, "murphy");
	/* pg_typeof(x): the name format_type() prints for x's type, known at
	 * analysis ('unknown' for an untyped literal, as PostgreSQL); x stays
	 * an argument (an aggregate in it keeps the query an aggregate).  Its
	 * value is text; a select list column of it is described as regtype
	 * (plan_select.c), so drivers see PostgreSQL's type. */
	if (!strcmp(name, "pg_typeof") && n == 1)
		return sql_make_call(c, "mur_pg_typeof", MT_TEXT, loc, 2, args[0],
				     sql_make_const_text(c, mur_type_name(args[0]->type)));
	for (size_t i = 0; i < sizeof fn_defs / sizeof fn_defs[0]; i++) {
		if (strcmp(fn_defs[i].name, name))
			continue;
		named = 1;
		if (try_def(c, &fn_defs[i], args, n, loc, &out))
			return out;
	}
	(void)named;
	if (n == 1 && !mur_error_is_set(c->err))
		return cast_call(c, name, args[0], loc);
	return no_function(c, name, args, n, loc);
}

sql_expr *sql_builtin_call(sql_ctx *c, const char *name, sql_expr **args, int n, int loc)
{
	return scalar(c, name, args, n, loc);
}

/* ---- aggregates ---- */

int sql_agg_kind(const char *name)
{
	static const struct {
		const char *name;
		int fn;
	} aggs[] = {
		{"count", SQL_AGG_COUNT},
		{"sum", SQL_AGG_SUM},
		{"min", SQL_AGG_MIN},
		{"max", SQL_AGG_MAX},
		{"avg", SQL_AGG_AVG},
		{"bool_and", SQL_AGG_BOOL_AND},
		{"every", SQL_AGG_BOOL_AND},
		{"bool_or", SQL_AGG_BOOL_OR},
		{"approx_count_distinct", SQL_AGG_APPROX_COUNT_DISTINCT},
		{"variance", SQL_AGG_VAR_SAMP},
		{"var_samp", SQL_AGG_VAR_SAMP},
		{"var_pop", SQL_AGG_VAR_POP},
		{"stddev", SQL_AGG_STDDEV_SAMP},
		{"stddev_samp", SQL_AGG_STDDEV_SAMP},
		{"stddev_pop", SQL_AGG_STDDEV_POP},
		{"bit_and", SQL_AGG_BIT_AND},
		{"bit_or", SQL_AGG_BIT_OR},
		{"bit_xor", SQL_AGG_BIT_XOR},
	};
	for (size_t i = 0; i < sizeof aggs / sizeof aggs[0]; i++)
		if (!strcmp(aggs[i].name, name))
			return aggs[i].fn;
	return 0;
}

mur_type sql_agg_type(int fn, mur_type t)
{
	switch (fn) {
	case SQL_AGG_COUNT:
	case SQL_AGG_COUNT_STAR:
		return MT_INT8;
	case SQL_AGG_APPROX_COUNT_DISTINCT:
		return MT_INT8; /* any argument type */
	case SQL_AGG_SUM:
		if (t == MT_INT2 || t == MT_INT4)
			return MT_INT8;
		if (t == MT_INT8 || t == MT_NUMERIC)
			return MT_NUMERIC;
		if (t == MT_INTERVAL) /* field by field (interval_pl) */
			return MT_INTERVAL;
		return (t == MT_FLOAT4 || t == MT_FLOAT8) ? t : MT_UNKNOWN;
	case SQL_AGG_AVG:
	case SQL_AGG_VAR_SAMP:
	case SQL_AGG_VAR_POP:
	case SQL_AGG_STDDEV_SAMP:
	case SQL_AGG_STDDEV_POP:
		if (mur_type_is_integer(t) || t == MT_NUMERIC)
			return MT_NUMERIC;
		if (t == MT_INTERVAL && fn == SQL_AGG_AVG) /* the sum / count (interval_div) */
			return MT_INTERVAL;
		return (t == MT_FLOAT4 || t == MT_FLOAT8) ? MT_FLOAT8 : MT_UNKNOWN;
	case SQL_AGG_MIN:
	case SQL_AGG_MAX:
		/* PostgreSQL 15 has no min/max of bool, bytea, uuid, json or jsonb */
		return (t == MT_BOOL || t == MT_BYTEA || t == MT_UUID || t == MT_JSON ||
			t == MT_JSONB)
			       ? MT_UNKNOWN
			       : t;
	case SQL_AGG_BIT_AND:
	case SQL_AGG_BIT_OR:
	case SQL_AGG_BIT_XOR:
		return mur_type_is_integer(t) ? t : MT_UNKNOWN;
	default:
		return t == MT_BOOL ? MT_BOOL : MT_UNKNOWN;
	}
}

int sql_agg_context(sql_ctx *c, PgQuery__FuncCall *f, int ordered)
{
	if (!c->agg_ok)
		return sql_err(c, SQLSTATE_GROUPING_ERROR, f->location,
			       "aggregate functions are not allowed in %s",
			       c->agg_where ? c->agg_where : "this context");
	if (c->in_agg)
		return sql_err(c, SQLSTATE_GROUPING_ERROR, f->location,
			       "aggregate function calls cannot be nested");
	if (!ordered && (f->n_agg_order || f->agg_within_group))
		return sql_err(c, SQLSTATE_FEATURE_NOT_SUPPORTED, f->location,
			       "murphy does not support ordered aggregates yet");
	return MUR_OK;
}

/* agg(x) FILTER (WHERE cond) is agg(CASE WHEN cond THEN x END): every
 * aggregate murphy has skips NULLs, so the rows cond rejects count for
 * nothing, and no row passing gives what PostgreSQL gives (NULL, or 0 for
 * count).  count(*) FILTER counts CASE WHEN cond THEN 1 END. */
int sql_agg_filter(sql_ctx *c, PgQuery__FuncCall *f, int *fn, sql_expr **arg)
{
	sql_expr *cond;
	c->in_agg = 1; /* an aggregate inside FILTER is refused (42803) */
	cond = sql_analyze_bool(c, f->agg_filter, "FILTER");
	c->in_agg = 0;
	if (!cond)
		return MUR_ERR;
	if (*fn == SQL_AGG_COUNT_STAR) {
		*fn = SQL_AGG_COUNT;
		*arg = sql_make_const_int(c, 1, MT_INT4);
	}
	return *arg && (*arg = sql_make_case_when(c, cond, *arg, f->location)) ? MUR_OK : MUR_ERR;
}

static sql_expr *aggregate(sql_ctx *c, PgQuery__FuncCall *f, int fn, const char *name)
{
	sql_expr *e, *arg = NULL;
	mur_type t;
	if (sql_agg_context(c, f, 0) != MUR_OK)
		return NULL;
	if (f->agg_star) {
		if (fn != SQL_AGG_COUNT)
			return (sql_err(c, SQLSTATE_SYNTAX_ERROR, f->location,
					"%s(*) must be used to call a parameterless aggregate "
					"function",
					name),
				NULL);
		fn = SQL_AGG_COUNT_STAR;
	} else {
		if (f->n_args != 1)
			return (sql_err(c, SQLSTATE_UNDEFINED_FUNCTION, f->location,
					"murphy supports %s with one argument only", name),
				NULL);
		c->in_agg = 1;
		arg = sql_analyze_expr(c, f->args[0]);
		c->in_agg = 0;
		if (!arg || !(arg = sql_resolve_unknown(c, arg)))
			return NULL;
	}
	if (f->agg_filter && sql_agg_filter(c, f, &fn, &arg) != MUR_OK)
		return NULL;
	t = sql_agg_type(fn, arg ? arg->type : MT_UNKNOWN);
	if (t == MT_UNKNOWN)
		return no_function(c, name, &arg, 1, f->location);
	if (arg && mur_type_is_array(arg->type) && (fn == SQL_AGG_MIN || fn == SQL_AGG_MAX))
		return (sql_err(c, SQLSTATE_FEATURE_NOT_SUPPORTED, f->location,
				"murphy does not support %s over arrays yet", name),
			NULL);
	if (f->agg_distinct && fn == SQL_AGG_APPROX_COUNT_DISTINCT) {
		sql_err(c, SQLSTATE_FEATURE_NOT_SUPPORTED, f->location,
			"approx_count_distinct(DISTINCT ...) is not supported");
		mur_error_hint(c->err,
			       "approx_count_distinct already counts each value once: "
			       "drop DISTINCT, or use count(DISTINCT ...) for an exact count.");
		return NULL;
	}
	/* sum, avg ... (DISTINCT x): on the leader (analyze_distinct_agg.c);
	 * an interval's field-by-field sum keeps no DISTINCT (sql/emit.c) */
	if (f->agg_distinct && arg && arg->type == MT_INTERVAL &&
	    (fn == SQL_AGG_SUM || fn == SQL_AGG_AVG))
		return (sql_err(c, SQLSTATE_FEATURE_NOT_SUPPORTED, f->location,
				"murphy does not support %s(DISTINCT ...) of an interval yet",
				name),
			NULL);
	if (f->agg_distinct && SQL_AGG_IS_VARIANCE(fn) && t == MT_NUMERIC) /* exact: 2 args */
		return (sql_err(c, SQLSTATE_FEATURE_NOT_SUPPORTED, f->location,
				"murphy does not support %s(DISTINCT ...) of integers or numeric "
				"yet",
				name),
			NULL);
	if (f->agg_distinct && fn == SQL_AGG_BIT_XOR) /* and, or: DISTINCT changes nothing */
		return (sql_err(c, SQLSTATE_FEATURE_NOT_SUPPORTED, f->location,
				"murphy does not support bit_xor(DISTINCT ...) yet"),
			NULL);
	e = sql_expr_new(c, SE_AGG, t, f->location);
	if (!e || (arg && !(e->args = sql_alloc(c, sizeof(sql_expr *)))))
		return NULL;
	e->agg = fn;
	e->distinct = f->agg_distinct && fn != SQL_AGG_MIN && fn != SQL_AGG_MAX &&
		      fn != SQL_AGG_BIT_AND && fn != SQL_AGG_BIT_OR;
	e->nargs = arg ? 1 : 0;
	if (arg)
		e->args[0] = arg;
	c->seen_agg = 1;
	return e;
}

static int is_murphy_fn(PgQuery__FuncCall *f, const char *name)
{
	PgQuery__Node *s, *n;
	if (f->n_funcname != 2)
		return 0;
	s = f->funcname[0];
	n = f->funcname[1];
	return s->node_case == PG_QUERY__NODE__NODE_STRING && !strcmp(s->string->sval, "murphy") &&
	       n->node_case == PG_QUERY__NODE__NODE_STRING && !strcmp(n->string->sval, name);
}

/* murphy.rebalance() → murphy_rebalance(), leader-only (leader/lead_move.c). */
static sql_expr *murphy_rebalance(sql_ctx *c, PgQuery__FuncCall *f)
{
	if (f->agg_star || f->agg_distinct || f->over || f->n_args != 0)
		return no_function(c, "murphy.rebalance", NULL, 0, f->location);
	if (!c->q || !c->q->is_virtual || c->in_agg)
		return (sql_err(c, SQLSTATE_FEATURE_NOT_SUPPORTED, f->location,
				"murphy.rebalance() runs on the leader only: call it as SELECT "
				"murphy.rebalance()"),
			NULL);
	return sql_make_call(c, "murphy_rebalance", MT_TEXT, f->location, 0);
}

/* murphy.move_placement(table text, shard int, from text, to text) →
 * murphy_move_placement(...), leader-only (leader/lead_move.c). */
static sql_expr *murphy_move_placement(sql_ctx *c, PgQuery__FuncCall *f)
{
	static const char kinds[4] = {'S', 'I', 'S', 'S'};
	sql_expr *args[4];
	if (f->agg_star || f->agg_distinct || f->over || f->n_args != 4) {
		sql_err(c, SQLSTATE_UNDEFINED_FUNCTION, f->location,
			"murphy.move_placement takes (table text, shard integer, from_node text, "
			"to_node text): SELECT murphy.move_placement('t', 3, 'f1', 'f4')");
		return NULL;
	}
	if (!c->q || !c->q->is_virtual || c->in_agg)
		return (sql_err(c, SQLSTATE_FEATURE_NOT_SUPPORTED, f->location,
				"murphy.move_placement() runs on the leader only: call it as "
				"SELECT murphy.move_placement(...)"),
			NULL);
	for (int i = 0; i < 4; i++) {
		sql_expr *a = sql_analyze_expr(c, f->args[i]);
		if (!a)
			return NULL;
		if (!(args[i] = fit_arg(c, a, kinds[i])))
			return mur_error_is_set(c->err) ? NULL
							: no_function(c, "murphy.move_placement",
								      &a, 1, f->location);
	}
	return sql_make_call(c, "murphy_move_placement", MT_TEXT, f->location, 4, args[0], args[1],
			     args[2], args[3]);
}

/* murphy.split_shard(table text, shard int [, at text]) →
 * murphy_split_shard(...), leader-only (leader/lead_move.c). */
static sql_expr *murphy_split_shard(sql_ctx *c, PgQuery__FuncCall *f)
{
	static const char kinds[3] = {'S', 'I', 'S'};
	sql_expr *args[3];
	if (f->agg_star || f->agg_distinct || f->over || f->n_args < 2 || f->n_args > 3) {
		sql_err(c, SQLSTATE_UNDEFINED_FUNCTION, f->location,
			"murphy.split_shard takes (table text, shard integer [, at text]): SELECT "
			"murphy.split_shard('t', 3, '2026-11-15')");
		return NULL;
	}
	if (!c->q || !c->q->is_virtual || c->in_agg)
		return (sql_err(c, SQLSTATE_FEATURE_NOT_SUPPORTED, f->location,
				"murphy.split_shard() runs on the leader only: call it as "
				"SELECT murphy.split_shard(...)"),
			NULL);
	for (int i = 0; i < (int)f->n_args; i++) {
		sql_expr *a = sql_analyze_expr(c, f->args[i]);
		if (!a)
			return NULL;
		if (!(args[i] = fit_arg(c, a, kinds[i])))
			return mur_error_is_set(c->err)
				       ? NULL
				       : no_function(c, "murphy.split_shard", &a, 1, f->location);
	}
	if (f->n_args == 2)
		return sql_make_call(c, "murphy_split_shard", MT_TEXT, f->location, 2, args[0],
				     args[1]);
	return sql_make_call(c, "murphy_split_shard", MT_TEXT, f->location, 3, args[0], args[1],
			     args[2]);
}

/* murphy.fault(text) → murphy_fault(text), leader-only. */
static sql_expr *murphy_fault(sql_ctx *c, PgQuery__FuncCall *f)
{
	sql_expr *arg, *fitted;
	if (f->agg_star || f->agg_distinct || f->over || f->n_args != 1) {
		sql_err(c, SQLSTATE_UNDEFINED_FUNCTION, f->location,
			"murphy.fault takes one text argument: SELECT murphy.fault('partition f1 "
			"leader')");
		return NULL;
	}
	if (!c->q || !c->q->is_virtual || c->in_agg)
		return (sql_err(c, SQLSTATE_FEATURE_NOT_SUPPORTED, f->location,
				"murphy.fault() runs on the leader only: call it as SELECT "
				"murphy.fault('...')"),
			NULL);
	if (!(arg = sql_analyze_expr(c, f->args[0])))
		return NULL;
	if (!(fitted = fit_arg(c, arg, 'S')))
		return mur_error_is_set(c->err)
			       ? NULL
			       : no_function(c, "murphy.fault", &arg, 1, f->location);
	return sql_make_call(c, "murphy_fault", MT_TEXT, f->location, 1, fitted);
}

/* txid_current() → murphy_txid_current(), leader-only: the session's
 * transaction id (leader/lead_txn.c). */
static sql_expr *txid_current(sql_ctx *c, PgQuery__FuncCall *f)
{
	if (f->n_args != 0 || f->agg_star || f->agg_distinct || f->over)
		return no_function(c, "txid_current", NULL, 0, f->location);
	if (!c->q || !c->q->is_virtual || c->in_agg)
		return (sql_err(c, SQLSTATE_FEATURE_NOT_SUPPORTED, f->location,
				"txid_current() runs on the leader only: call it as SELECT "
				"txid_current()"),
			NULL);
	return sql_make_call(c, "murphy_txid_current", MT_INT8, f->location, 0);
}

/* pg_backend_pid() → murphy_backend_pid(), leader-only: the pid the
 * session got in BackendKeyData (murphy.transactions shows it). */
static sql_expr *backend_pid(sql_ctx *c, PgQuery__FuncCall *f)
{
	if (f->n_args != 0 || f->agg_star || f->agg_distinct || f->over)
		return no_function(c, "pg_backend_pid", NULL, 0, f->location);
	if (!c->q || !c->q->is_virtual || c->in_agg)
		return (sql_err(c, SQLSTATE_FEATURE_NOT_SUPPORTED, f->location,
				"pg_backend_pid() runs on the leader only: call it as SELECT "
				"pg_backend_pid()"),
			NULL);
	return sql_make_call(c, "murphy_backend_pid", MT_INT4, f->location, 0);
}

/* Functions of the server or the session's connection the leader answers
 * (leader/lead_local.c), leader-only as pg_backend_pid.  inet_server_addr
 * is text: murphy has no inet type. */
static const struct {
	const char *name, *sqlite;
	mur_type type;
} leader_fns[] = {
	{"pg_postmaster_start_time", "murphy_start_time", MT_TIMESTAMPTZ},
	{"inet_server_port", "murphy_server_port", MT_INT4},
	{"inet_server_addr", "murphy_server_addr", MT_TEXT},
};

/* One of leader_fns, or NULL (no error) when f is none of them. */
static sql_expr *leader_fn(sql_ctx *c, PgQuery__FuncCall *f, const char *name, int *is)
{
	for (size_t i = 0; i < sizeof leader_fns / sizeof leader_fns[0]; i++) {
		if (strcmp(name, leader_fns[i].name) || f->n_funcname != 1)
			continue;
		*is = 1;
		if (f->n_args != 0 || f->agg_star || f->agg_distinct || f->over)
			return no_function(c, name, NULL, 0, f->location);
		if (!c->q || !c->q->is_virtual || c->in_agg)
			return (sql_err(c, SQLSTATE_FEATURE_NOT_SUPPORTED, f->location,
					"%s() runs on the leader only: call it as SELECT %s()",
					name, name),
				NULL);
		return sql_make_call(c, leader_fns[i].sqlite, leader_fns[i].type, f->location, 0);
	}
	return NULL;
}

static sql_expr *analyze_func(sql_ctx *c, PgQuery__FuncCall *f);

/* A bare table name in the one argument of to_json, to_jsonb,
 * row_to_json, json_agg or jsonb_agg is its row (sql_json_row). */
/* make_interval(years, months, weeks, days, hours, mins, secs), by
 * position or by name (days => 3), positional ones first as PostgreSQL;
 * the ones not given are 0 (its defaults). */
static sql_expr *make_interval(sql_ctx *c, PgQuery__FuncCall *f)
{
	static const char *const names[] = {"years", "months", "weeks", "days",
					    "hours", "mins",   "secs"};
	sql_expr *args[7] = {0};
	int n = 0;
	if (f->n_args > 7)
		return no_function(c, "make_interval", args, 0, f->location);
	for (size_t i = 0; i < f->n_args; i++) {
		PgQuery__Node *a = f->args[i];
		int at = (int)i;
		if (a->node_case == PG_QUERY__NODE__NODE_NAMED_ARG_EXPR) {
			PgQuery__NamedArgExpr *na = a->named_arg_expr;
			for (at = 0; at < 7 && strcmp(names[at], na->name ? na->name : ""); at++)
				;
			if (at == 7) {
				sql_err(c, SQLSTATE_UNDEFINED_FUNCTION, f->location,
					"function make_interval(%s => ...) does not exist",
					na->name ? na->name : "");
				mur_error_hint(c->err, FN_HINT);
				return NULL;
			}
			if (args[at]) {
				sql_err(c, SQLSTATE_SYNTAX_ERROR, na->location,
					"argument name \"%s\" used more than once", names[at]);
				return NULL;
			}
			a = na->arg;
		}
		if (!(args[at] = sql_analyze_expr(c, a)))
			return NULL;
		n = at + 1 > n ? at + 1 : n;
	}
	for (int i = 0; i < n; i++)
		if (!args[i])
			args[i] = sql_make_const_int(c, 0, MT_INT4);
	return scalar(c, "make_interval", args, n, f->location);
}

sql_expr *sql_analyze_func(sql_ctx *c, PgQuery__FuncCall *f)
{
	int save = c->row_json;
	sql_expr *e;
	c->row_json = f->n_funcname == 1 && f->n_args == 1 && sql_json_takes_row(fn_name(f));
	e = analyze_func(c, f);
	c->row_json = save;
	return e;
}

static sql_expr *analyze_func(sql_ctx *c, PgQuery__FuncCall *f)
{
	const char *name = fn_name(f);
	sql_expr *args[SQL_ARGS_MAX];
	int fn;
	if (is_murphy_fn(f, "fault"))
		return murphy_fault(c, f);
	if (is_murphy_fn(f, "move_placement"))
		return murphy_move_placement(c, f);
	if (is_murphy_fn(f, "rebalance"))
		return murphy_rebalance(c, f);
	if (is_murphy_fn(f, "split_shard"))
		return murphy_split_shard(c, f);
	if (!strcmp(name, "txid_current") && f->n_funcname == 1)
		return txid_current(c, f);
	if (!strcmp(name, "pg_backend_pid") && f->n_funcname == 1)
		return backend_pid(c, f);
	{
		int is = 0;
		sql_expr *e = leader_fn(c, f, name, &is);
		if (is)
			return e;
	}
	if (f == c->srf_call)
		return sql_srf_column(c, f);
	if (!strcmp(name, "unnest"))
		return sql_unnest_target(c, f); /* analyze_unnest.c */
	if ((!strcmp(name, "generate_series") || !strcmp(name, "generate_subscripts")) &&
	    f->n_funcname == 1 && c->q && c->q->nrte && c->win_ok)
		return sql_srf_target(c, f); /* analyze_srf_list.c: on the shards */
	if (sql_json_srf_is(name) && f->n_funcname == 1 && c->q && c->q->nrte && c->win_ok)
		return sql_json_srf_target(c, f); /* analyze_json_srf.c: on the shards */
	if (sql_regex_srf_is(name) && f->n_funcname == 1)
		return sql_regex_srf_target(c, f); /* analyze_regex_srf.c */
	if (!strcmp(name, "generate_series") || !strcmp(name, "generate_subscripts") ||
	    (sql_json_srf_is(name) && f->n_funcname == 1))
		return (sql_err(c, SQLSTATE_FEATURE_NOT_SUPPORTED, f->location,
				"murphy supports %s only in FROM or alone in the select list of "
				"a SELECT without FROM",
				name),
			NULL);
	if (f->n_funcname == 1 && (fn = sql_regr_kind(name))) /* analyze_regr.c */
		return sql_analyze_regr(c, f, fn, name);
	fn = f->n_funcname == 1 ? sql_collecting_agg_kind(name) : 0;
	if (fn && f->over)
		return (sql_err(c, SQLSTATE_FEATURE_NOT_SUPPORTED, f->location,
				"murphy does not support %s as a window function yet", name),
			NULL);
	if (fn)
		return sql_analyze_collecting_agg(c, f, fn, name);
	if (f->over)
		return sql_analyze_window(c, f);
	if (sql_is_seq_func(name))
		return sql_analyze_seq_func(c, f, name);
	if (!strcmp(name, "pg_get_serial_sequence"))
		return sql_analyze_serial_sequence(c, f);
	fn = sql_agg_kind(name);
	if (fn)
		return aggregate(c, f, fn, name);
	if (sql_window_fn_only(name) && f->n_funcname == 1)
		return (sql_err(c, "42809", f->location,
				"window function %s requires an OVER clause", name),
			NULL);
	if (f->agg_star || f->agg_distinct)
		return (sql_err(c, "42809", f->location, "%s is not an aggregate function", name),
			NULL);
	if (f->n_args > SQL_ARGS_MAX)
		return (sql_err(c, SQLSTATE_PROGRAM_LIMIT_EXCEEDED, f->location,
				"cannot pass more than %d arguments to a function", SQL_ARGS_MAX),
			NULL);
	if (!strcmp(name, "make_interval") && f->n_funcname == 1)
		return make_interval(c, f);
	for (size_t i = 0; i < f->n_args; i++)
		if (!(args[i] = sql_analyze_expr(c, f->args[i])))
			return NULL;
	if (!strcmp(name, "row_to_json") && f->n_funcname == 1) /* row_to_json(t) */
		return f->n_args == 1 && sql_json_is_row(args[0])
			       ? args[0]
			       : no_function(c, name, args, (int)f->n_args, f->location);
	if (sql_json_is_func(name) && f->n_funcname == 1)
		return sql_json_func(c, name, args, (int)f->n_args, f->location);
	if (sql_array_is_func(name) && f->n_funcname == 1)
		return sql_array_func(c, name, args, (int)f->n_args, f->location);
	return scalar(c, name, args, (int)f->n_args, f->location);
}

sql_expr *sql_analyze_sqlvalue(sql_ctx *c, PgQuery__SQLValueFunction *f)
{
	switch (f->op) {
	case PG_QUERY__SQLVALUE_FUNCTION_OP__SVFOP_CURRENT_DATE:
		return sql_tz_clock(c, MT_DATE, f->location);
	case PG_QUERY__SQLVALUE_FUNCTION_OP__SVFOP_CURRENT_TIMESTAMP:
	case PG_QUERY__SQLVALUE_FUNCTION_OP__SVFOP_CURRENT_TIMESTAMP_N:
		return sql_analyze_xact_now(c, f->location);
	case PG_QUERY__SQLVALUE_FUNCTION_OP__SVFOP_LOCALTIMESTAMP:
	case PG_QUERY__SQLVALUE_FUNCTION_OP__SVFOP_LOCALTIMESTAMP_N:
		return sql_tz_clock(c, MT_TIMESTAMP, f->location);
	case PG_QUERY__SQLVALUE_FUNCTION_OP__SVFOP_CURRENT_USER:
	case PG_QUERY__SQLVALUE_FUNCTION_OP__SVFOP_SESSION_USER:
	case PG_QUERY__SQLVALUE_FUNCTION_OP__SVFOP_USER:
	case PG_QUERY__SQLVALUE_FUNCTION_OP__SVFOP_CURRENT_ROLE:
		return sql_make_const_text(c, c->user ? c->user : "murphy");
	case PG_QUERY__SQLVALUE_FUNCTION_OP__SVFOP_CURRENT_SCHEMA: {
		char path[1][CAT_NAME_MAX];
		sql_expr *e;
		if (!c->cat)
			return sql_make_const_text(c, "public");
		if (cat_search_path(c->cat, c->search_path, c->user, path, 1) == 1)
			return sql_make_const_text(c, path[0]);
		if ((e = sql_expr_new(c, SE_CONST, MT_TEXT, f->location))) /* no schema: NULL */
			e->val = mur_v_null();
		return e;
	}
	case PG_QUERY__SQLVALUE_FUNCTION_OP__SVFOP_CURRENT_CATALOG:
		return sql_make_const_text(c, "murphy");
	default:
		sql_err(c, SQLSTATE_FEATURE_NOT_SUPPORTED, f->location,
			"murphy does not support the time type yet");
		return NULL;
	}
}
