/*
 * sqlfn.c — SQLite user functions that give emitted SQL (sql/emit.c)
 * PostgreSQL's semantics where SQLite's differ.  Storage registers them on
 * every placement connection it opens (db.c, snapshot.c); the leader's
 * in-memory SQLite and a join owner's database call
 * stor_register_functions too, so every SQLite murphy runs SQL in agrees.
 *
 *   mur_div, mur_fdiv, mur_mod   division by zero is an error (22012), not NULL;
 *                                f(a, b, c...) is ((a / b) / c)... (emit.c
 *                                folds a chain into one call)
 *   mur_int_chk(x, bits)         x unchanged if it fits a bits-wide integer,
 *                                else 22003 "integer out of range" (emit.c
 *                                wraps integer + - * and unary - in it:
 *                                SQLite's int64 overflow yields a REAL)
 *   mur_cast(x, from, to)        PostgreSQL casts through value.c's text I/O
 *   mur_like, mur_ilike          LIKE is case-sensitive; '\' escapes
 *   mur_greatest, mur_least      ignore NULLs like PostgreSQL (the _bpchar
 *                                pair: character(n), trailing spaces aside)
 *   text functions (substr, lpad, md5, ...)  sqlfn_text.c
 *   math functions (abs, round, ln, ...)     sqlfn_math.c
 *   regular expressions (~, regexp_replace)  sqlfn_regex.c (sqlfn_regex_ere.c,
 *                                sqlfn_regex_set.c, sqlfn_similar.c)
 *   date/time functions (now, date_trunc, to_char, ...)  sqlfn_time.c
 *   mur_random, mur_avg
 *   uuid, interval and bytea functions       sqlfn_types.c
 *   mur_subq_in, mur_subq_cmp  x IN / op ANY / op ALL over a subquery's
 *                                result set (sqlfn_subq.c)
 *   mur_approx_count_distinct    aggregate: the HyperLogLog estimate of
 *                                ops/hll.h (the sketch the hash aggregate
 *                                keeps), so router and leader plans answer
 *                                what scatter-gather plans do
 *   mur_hll_sketch               aggregate: that sketch as a blob (followers
 *                                sketch a whole shard inside SQLite)
 *
 * Errors use the message convention "SQLSTATE:<5 chars>:<message>";
 * stor_map_sqlite_error (errmap.c) turns the prefix back into a SQLSTATE.
 */
#include "storage/storage_int.h"

#include "storage/sqlrow.h"

#include "common/bpchar.h"
#include "common/buf.h"
#include "common/clock.h"
#include "common/numeric.h"
#include "common/value.h"
#include "ops/hll.h"

#include <ctype.h>
#include <float.h>
#include <math.h>
#include <sqlite3.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <time.h>

void stor_fn_fail(sqlite3_context *cx, const char *state, const char *fmt, ...)
{
	char msg[MUR_ERROR_MESSAGE_MAX + 16];
	int n = snprintf(msg, sizeof msg, "SQLSTATE:%s:", state);
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg + n, sizeof msg - (size_t)n, fmt, ap);
	va_end(ap);
	sqlite3_result_error(cx, msg, -1);
}

int stor_fn_fits(sqlite3_context *cx, int64_t len)
{
	if (len >= 0 &&
	    len <= sqlite3_limit(sqlite3_context_db_handle(cx), SQLITE_LIMIT_LENGTH, -1))
		return 1;
	stor_fn_fail(cx, "54000", "requested length too large");
	return 0;
}

void stor_fn_result_buf(sqlite3_context *cx, mur_buf *b)
{
	if (!mur_buf_ok(b))
		sqlite3_result_error_nomem(cx);
	else if (stor_fn_fits(cx, (int64_t)b->len))
		sqlite3_result_text(cx, b->data ? b->data : "", (int)b->len, SQLITE_TRANSIENT);
	mur_buf_free(b);
}

int stor_fn_any_null(int argc, sqlite3_value **v)
{
	for (int i = 0; i < argc; i++)
		if (sqlite3_value_type(v[i]) == SQLITE_NULL)
			return 1;
	return 0;
}

/* ---- arithmetic ---- */

/* A number on its way through a fold of mur_div/mur_fdiv/mur_mod: the
 * left operand so far (PostgreSQL's ((a / b) / c), one step per
 * operand). */
typedef struct fold_num {
	int kind; /* SQLITE_NULL, SQLITE_INTEGER, SQLITE_FLOAT */
	int64_t i;
	double f;
} fold_num;

static fold_num fold_num_of(sqlite3_value *v)
{
	fold_num n = {SQLITE_NULL, 0, 0};
	if (sqlite3_value_type(v) == SQLITE_NULL)
		return n;
	if (stor_fn_is_int(v)) {
		n.kind = SQLITE_INTEGER;
		n.i = sqlite3_value_int64(v);
	} else {
		n.kind = SQLITE_FLOAT;
		n.f = sqlite3_value_double(v);
	}
	return n;
}

static double fold_double(fold_num n) { return n.kind == SQLITE_INTEGER ? (double)n.i : n.f; }

/* One step *a = *a op b (both not NULL). */
typedef enum fold_rc { FOLD_OK, FOLD_DIV_ZERO, FOLD_OUT_OF_RANGE } fold_rc;
typedef fold_rc (*fold_step)(fold_num *a, fold_num b);

static fold_rc div_step(fold_num *a, fold_num b)
{
	if (a->kind == SQLITE_INTEGER && b.kind == SQLITE_INTEGER) {
		if (b.i == 0)
			return FOLD_DIV_ZERO;
		if (a->i == INT64_MIN && b.i == -1)
			return FOLD_OUT_OF_RANGE;
		a->i /= b.i;
		return FOLD_OK;
	}
	if (fold_double(b) == 0.0)
		return FOLD_DIV_ZERO;
	*a = (fold_num){SQLITE_FLOAT, 0, fold_double(*a) / fold_double(b)};
	return FOLD_OK;
}

static fold_rc fdiv_step(fold_num *a, fold_num b)
{
	if (fold_double(b) == 0.0)
		return FOLD_DIV_ZERO;
	*a = (fold_num){SQLITE_FLOAT, 0, fold_double(*a) / fold_double(b)};
	return FOLD_OK;
}

static fold_rc mod_step(fold_num *a, fold_num b)
{
	if (a->kind == SQLITE_INTEGER && b.kind == SQLITE_INTEGER) {
		if (b.i == 0)
			return FOLD_DIV_ZERO;
		a->i = b.i == -1 ? 0 : a->i % b.i;
		return FOLD_OK;
	}
	if (fold_double(b) == 0.0)
		return FOLD_DIV_ZERO;
	*a = (fold_num){SQLITE_FLOAT, 0, fmod(fold_double(*a), fold_double(b))};
	return FOLD_OK;
}

/* f(a, b, c, ...) = ((a op b) op c) ...: emit.c folds a left-deep chain of
 * one of these into one call (SQLite's parser would stack every nested
 * call).  Strict like PostgreSQL's operators: once the left side is NULL
 * the result is NULL and later operands raise nothing. */
static void fold(sqlite3_context *cx, int argc, sqlite3_value **v, fold_step step)
{
	fold_num acc;
	if (argc < 2)
		return sqlite3_result_error(cx, "murphy: an operator function needs two operands",
					    -1);
	acc = fold_num_of(v[0]);
	for (int i = 1; i < argc && acc.kind != SQLITE_NULL; i++) {
		fold_num b = fold_num_of(v[i]);
		fold_rc rc;
		if (b.kind == SQLITE_NULL)
			return; /* NULL */
		rc = step(&acc, b);
		if (rc == FOLD_DIV_ZERO)
			return stor_fn_fail(cx, SQLSTATE_DIVISION_BY_ZERO, "division by zero");
		if (rc == FOLD_OUT_OF_RANGE)
			return stor_fn_fail(cx, SQLSTATE_NUMERIC_VALUE_OUT_OF_RANGE,
					    "bigint out of range");
	}
	if (acc.kind == SQLITE_INTEGER)
		sqlite3_result_int64(cx, acc.i);
	else if (acc.kind == SQLITE_FLOAT)
		sqlite3_result_double(cx, acc.f);
}

/* mur_int_chk(x, bits): an integer expression's result (emit.c) checked
 * against its PostgreSQL type's range.  SQLite computes + - * in int64 and
 * turns an int64 overflow into a REAL, which stays REAL through later
 * + - *: so a REAL here is an overflow of a bigint expression (integer
 * columns and constants are INTEGER), an INTEGER past 16 or 32 bits one of
 * a smallint or integer expression.  Other values (TEXT) pass unchanged. */
static void fn_int_chk(sqlite3_context *cx, int argc, sqlite3_value **v)
{
	int bits = sqlite3_value_int(v[1]);
	int64_t lim = bits == 16 ? INT16_MAX : bits == 32 ? INT32_MAX : INT64_MAX;
	int t = sqlite3_value_type(v[0]);
	(void)argc;
	if (t == SQLITE_INTEGER) {
		int64_t x = sqlite3_value_int64(v[0]);
		if (x <= lim && x >= -lim - 1)
			return sqlite3_result_value(cx, v[0]);
	} else if (t != SQLITE_FLOAT) {
		return sqlite3_result_value(cx, v[0]);
	}
	stor_fn_fail(cx, SQLSTATE_NUMERIC_VALUE_OUT_OF_RANGE, "%s out of range",
		     bits == 16   ? "smallint"
		     : bits == 32 ? "integer"
				  : "bigint");
}

static void fn_div(sqlite3_context *cx, int argc, sqlite3_value **v)
{
	fold(cx, argc, v, div_step);
}

static void fn_fdiv(sqlite3_context *cx, int argc, sqlite3_value **v)
{
	fold(cx, argc, v, fdiv_step);
}

static void fn_mod(sqlite3_context *cx, int argc, sqlite3_value **v)
{
	fold(cx, argc, v, mod_step);
}

static void numeric_avg(sqlite3_context *cx, sqlite3_value *sum, int64_t count)
{
	mur_num a, b, r;
	mur_value x = stor_fn_value(sum);
	mur_error err;
	mur_buf out;
	mur_num_init(&a);
	mur_num_init(&b);
	mur_num_init(&r);
	mur_buf_init(&out);
	mur_num_set_int(&b, count);
	if (mur_num_from_value(&a, &x, &err) != MUR_OK || mur_num_div(&r, &a, &b, &err) != MUR_OK)
		stor_fn_fail(cx, err.sqlstate, "%s", err.message);
	else {
		mur_num_to_text(&r, &out);
		stor_fn_result_buf(cx, &out);
	}
	mur_buf_free(&out);
	mur_num_clear(&a);
	mur_num_clear(&b);
	mur_num_clear(&r);
}

/* avg = sum / count: a double sum (float input) divides as doubles; an
 * integer or numeric sum (avg of int or numeric is numeric) as numeric
 * division, with its scale (PostgreSQL's numeric_avg does the same). */
static void fn_avg(sqlite3_context *cx, int argc, sqlite3_value **v)
{
	if (stor_fn_any_null(argc, v) || sqlite3_value_int64(v[1]) == 0)
		return;
	if (sqlite3_value_type(v[0]) != SQLITE_FLOAT)
		return numeric_avg(cx, v[0], sqlite3_value_int64(v[1]));
	sqlite3_result_double(cx, sqlite3_value_double(v[0]) / (double)sqlite3_value_int64(v[1]));
}

static void fn_random(sqlite3_context *cx, int argc, sqlite3_value **v)
{
	uint64_t r;
	sqlite3_randomness(sizeof r, &r);
	sqlite3_result_double(cx, (double)(r >> 11) / 9007199254740992.0);
}

/* ---- casts ---- */

mur_value stor_fn_value(sqlite3_value *v)
{
	switch (sqlite3_value_type(v)) {
	case SQLITE_INTEGER:
		return mur_v_int(sqlite3_value_int64(v));
	case SQLITE_FLOAT:
		return mur_v_float(sqlite3_value_double(v));
	case SQLITE_TEXT:
		return mur_v_text((const char *)sqlite3_value_text(v),
				  (size_t)sqlite3_value_bytes(v));
	case SQLITE_BLOB:
		return mur_v_blob((const char *)sqlite3_value_blob(v),
				  (size_t)sqlite3_value_bytes(v));
	default:
		return mur_v_null();
	}
}

void stor_fn_result_value(sqlite3_context *cx, const mur_value *v)
{
	switch (v->kind) {
	case MV_INT:
		sqlite3_result_int64(cx, v->i);
		break;
	case MV_FLOAT:
		sqlite3_result_double(cx, v->f);
		break;
	case MV_TEXT:
		sqlite3_result_text(cx, v->s, (int)v->len, SQLITE_TRANSIENT);
		break;
	case MV_BLOB:
		sqlite3_result_blob(cx, v->s, (int)v->len, SQLITE_TRANSIENT);
		break;
	default:
		sqlite3_result_null(cx);
	}
}

/* numeric → int (rounded half away from zero; the range check is the
 * coercion's) or float (its decimal text read as a double). */
static int numeric_to_number(mur_value *in, mur_type to, mur_error *err)
{
	mur_num a;
	int64_t i;
	int rc = MUR_OK;
	mur_num_init(&a);
	if (mur_num_parse(&a, in->s, in->len, err) != MUR_OK)
		rc = MUR_ERR;
	else if (a.nan && mur_type_is_integer(to)) /* PostgreSQL's words */
		rc = mur_error_set(err, SQLSTATE_FEATURE_NOT_SUPPORTED, "cannot convert NaN to %s",
				   to == MT_INT2   ? "smallint"
				   : to == MT_INT4 ? "integer"
						   : "bigint");
	else if (a.nan) /* SQLite keeps no NaN: it would read back as NULL */
		rc = mur_error_set(err, SQLSTATE_FEATURE_NOT_SUPPORTED,
				   "murphy does not support NaN in double precision yet");
	else if (!mur_type_is_integer(to))
		*in = mur_v_float(mur_num_to_double(&a));
	else if (mur_num_to_int64(&a, &i) == 0)
		*in = mur_v_int(i);
	else
		rc = mur_error_set(err, SQLSTATE_NUMERIC_VALUE_OUT_OF_RANGE, "%s out of range",
				   to == MT_INT2   ? "smallint"
				   : to == MT_INT4 ? "integer"
						   : "bigint");
	mur_num_clear(&a);
	return rc;
}

/* jsonb to a number or boolean (PostgreSQL 11's casts): only a jsonb
 * number or boolean of the matching kind, else 22023.  Its first byte
 * says the kind: jsonb text is normalized. */
static int jsonb_scalar_ok(sqlite3_context *cx, const mur_value *in, mur_type to)
{
	char c = in->len ? in->s[0] : 'n';
	const char *kind = c == '{'               ? "object"
			   : c == '['             ? "array"
			   : c == '"'             ? "string"
			   : c == 'n'             ? "null"
			   : c == 't' || c == 'f' ? "boolean"
						  : "numeric";
	if (!strcmp(kind, to == MT_BOOL ? "boolean" : "numeric"))
		return 1;
	stor_fn_fail(cx, SQLSTATE_INVALID_PARAMETER_VALUE, "cannot cast jsonb %s to type %s", kind,
		     mur_type_name(to));
	return 0;
}

static void fn_cast(sqlite3_context *cx, int argc, sqlite3_value **v)
{
	mur_type from = (mur_type)sqlite3_value_int(v[1]), to = (mur_type)sqlite3_value_int(v[2]);
	mur_value in = stor_fn_value(v[0]), out;
	mur_buf scratch;
	mur_error err;
	char f4text[32];
	if (in.kind == MV_NULL || from <= MT_UNKNOWN || from >= MT_TYPE_COUNT || to <= MT_UNKNOWN ||
	    to >= MT_TYPE_COUNT)
		return;
	mur_buf_init(&scratch);
	if (mur_type_is_text(to)) {
		if (in.kind == MV_TEXT && from != MT_INTERVAL && from != MT_TIMESTAMPTZ &&
		    /* (their stored form is not their output) */
		    (mur_type_is_text(from) || mur_type_storage(from) == MV_TEXT))
			out = in;
		else if (from == MT_BOOL) /* bool::text is 'true'/'false', unlike bool output 't' */
			out = in.i ? mur_v_text("true", 4) : mur_v_text("false", 5);
		else {
			mur_value_to_pgtext(from, &in, &scratch);
			out = mur_v_text(scratch.data ? scratch.data : "", scratch.len);
		}
	} else {
		if (from == MT_JSONB && to != MT_JSON && in.kind == MV_TEXT &&
		    !jsonb_scalar_ok(cx, &in, to)) {
			mur_buf_free(&scratch);
			return;
		}
		if (from == MT_NUMERIC && mur_type_is_numeric(to) && to != MT_NUMERIC &&
		    in.kind == MV_TEXT && numeric_to_number(&in, to, &err) != MUR_OK) {
			mur_buf_free(&scratch);
			return stor_fn_fail(cx, err.sqlstate, "%s", err.message);
		}
		if (from != MT_DATE && to == MT_DATE && in.kind == MV_TEXT && in.len > 10)
			in.len = 10; /* timestamp → date */
		if (from == MT_FLOAT4 && to == MT_NUMERIC && in.kind == MV_FLOAT) {
			/* float4_numeric: FLT_DIG significant digits, so 0.1::real is
			 * 0.1 (its double, 0.100000001490116, is what SQLite holds) */
			int n = snprintf(f4text, sizeof f4text, "%.*g", FLT_DIG, in.f);
			in = mur_v_text(f4text, (size_t)n);
		}
		if (mur_value_coerce(to, &in, &scratch, &out, &err) != MUR_OK) {
			mur_buf_free(&scratch);
			return stor_fn_fail(cx, err.sqlstate, "%s", err.message);
		}
	}
	stor_fn_result_value(cx, &out);
	mur_buf_free(&scratch);
}

/* PostgreSQL LIKE: % any string, _ one character, esc quotes the next
 * character; fold = ASCII case folding for ILIKE.  Returns LIKE_TRUE,
 * LIKE_FALSE, or LIKE_ABORT when the text ran out before the pattern: then
 * no later start of an enclosing '%' can match either (PostgreSQL's
 * like_match.c), which keeps '%a%b%' linear instead of trying every pair.
 * After a '%', only the starts holding the next literal byte are tried
 * (memchr).  Recursion depth is bounded by the number of '%' in the
 * pattern. */
enum { LIKE_ABORT = -1, LIKE_FALSE = 0, LIKE_TRUE = 1 };

static int like_match(const unsigned char *s, const unsigned char *se, const unsigned char *p,
		      const unsigned char *pe, int esc, int fold)
{
	while (p < pe) {
		if (*p == '%') {
			while (p < pe && *p == '%')
				p++;
			if (p == pe)
				return LIKE_TRUE;
			const unsigned char *lp = esc >= 0 && *p == esc && p + 1 < pe ? p + 1 : p;
			int lit = *p == '_' && lp == p ? -1 : *lp; /* the next byte, if a literal */
			for (; s < se; s++) {
				if (lit >= 0 && !fold) {
					s = memchr(s, lit, (size_t)(se - s));
					if (!s)
						return LIKE_ABORT;
				} else if (lit >= 0 && tolower(*s) != tolower(lit)) {
					continue;
				}
				if ((*s & 0xC0) == 0x80)
					continue;
				int r = like_match(s, se, p, pe, esc, fold);
				if (r != LIKE_FALSE)
					return r;
			}
			return LIKE_ABORT;
		}
		if (s >= se)
			return LIKE_ABORT;
		if (*p == '_') {
			p++;
			s++;
			while (s < se && (*s & 0xC0) == 0x80)
				s++;
			continue;
		}
		if (esc >= 0 && *p == esc && p + 1 < pe)
			p++;
		if (fold ? tolower(*p) != tolower(*s) : *p != *s)
			return LIKE_FALSE;
		p++;
		s++;
	}
	return s == se ? LIKE_TRUE : LIKE_FALSE;
}

int stor_like_match(const char *s, size_t slen, const char *p, size_t plen)
{
	const unsigned char *us = (const unsigned char *)s, *up = (const unsigned char *)p;
	return like_match(us, us + slen, up, up + plen, '\\', 0) == LIKE_TRUE;
}

static void like_common(sqlite3_context *cx, int argc, sqlite3_value **v, int fold)
{
	const unsigned char *s, *p;
	int esc = '\\';
	if (stor_fn_any_null(argc, v))
		return;
	s = sqlite3_value_text(v[0]);
	p = sqlite3_value_text(v[1]);
	if (argc == 3) {
		const unsigned char *e = sqlite3_value_text(v[2]);
		if (sqlite3_value_bytes(v[2]) > 1)
			return stor_fn_fail(cx, "22025", "invalid escape string");
		esc = sqlite3_value_bytes(v[2]) ? e[0] : -1;
	}
	sqlite3_result_int(cx, like_match(s, s + sqlite3_value_bytes(v[0]), p,
					  p + sqlite3_value_bytes(v[1]), esc, fold) == LIKE_TRUE);
}

static void fn_like(sqlite3_context *cx, int argc, sqlite3_value **v)
{
	like_common(cx, argc, v, 0);
}
static void fn_ilike(sqlite3_context *cx, int argc, sqlite3_value **v)
{
	like_common(cx, argc, v, 1);
}

/* <0, 0, >0 with numbers before text, text by bytes (C collation). */
static int value_cmp(sqlite3_value *a, sqlite3_value *b)
{
	int ta = sqlite3_value_numeric_type(a), tb = sqlite3_value_numeric_type(b);
	int na = ta == SQLITE_INTEGER || ta == SQLITE_FLOAT,
	    nb = tb == SQLITE_INTEGER || tb == SQLITE_FLOAT;
	if (na && nb) {
		if (ta == SQLITE_INTEGER && tb == SQLITE_INTEGER) {
			int64_t x = sqlite3_value_int64(a), y = sqlite3_value_int64(b);
			return (x > y) - (x < y);
		}
		double x = sqlite3_value_double(a), y = sqlite3_value_double(b);
		return (x > y) - (x < y);
	}
	if (na != nb)
		return na ? -1 : 1;
	{
		int la = sqlite3_value_bytes(a), lb = sqlite3_value_bytes(b);
		int r = memcmp(sqlite3_value_blob(a), sqlite3_value_blob(b),
			       (size_t)(la < lb ? la : lb));
		return r ? r : (la > lb) - (la < lb);
	}
}

/* character(n) order: the texts without their trailing spaces. */
static int bpchar_cmp(sqlite3_value *a, sqlite3_value *b)
{
	const char *x = (const char *)sqlite3_value_text(a),
		   *y = (const char *)sqlite3_value_text(b);
	size_t la, lb;
	int r;
	if (!x || !y)
		return value_cmp(a, b);
	la = mur_bpchar_trimmed_len(x, (size_t)sqlite3_value_bytes(a));
	lb = mur_bpchar_trimmed_len(y, (size_t)sqlite3_value_bytes(b));
	r = memcmp(x, y, la < lb ? la : lb);
	return r ? r : (la > lb) - (la < lb);
}

static void extreme(sqlite3_context *cx, int argc, sqlite3_value **v, int sign,
		    int (*cmp)(sqlite3_value *, sqlite3_value *))
{
	sqlite3_value *best = NULL;
	for (int i = 0; i < argc; i++) {
		if (sqlite3_value_type(v[i]) == SQLITE_NULL)
			continue;
		if (!best || cmp(v[i], best) * sign > 0)
			best = v[i];
	}
	if (best)
		sqlite3_result_value(cx, best);
}

/* numeric order, exact, without converting the arguments: SQLite's
 * numeric_type would turn '2.50' into the double 2.5 in place (the
 * result then lost its scale, and digits past a double's). */
static int num_cmp(sqlite3_value *a, sqlite3_value *b)
{
	char da[24], db[24];
	const char *ta = (const char *)sqlite3_value_text(a), *tb;
	int la = sqlite3_value_bytes(a), lb;
	if (sqlite3_value_type(a) == SQLITE_INTEGER)
		la = snprintf(da, sizeof da, "%lld", (long long)sqlite3_value_int64(a)), ta = da;
	tb = (const char *)sqlite3_value_text(b);
	lb = sqlite3_value_bytes(b);
	if (sqlite3_value_type(b) == SQLITE_INTEGER)
		lb = snprintf(db, sizeof db, "%lld", (long long)sqlite3_value_int64(b)), tb = db;
	return mur_num_text_cmp(ta ? ta : "", (size_t)la, tb ? tb : "", (size_t)lb);
}

static void fn_greatest_num(sqlite3_context *cx, int argc, sqlite3_value **v)
{
	extreme(cx, argc, v, 1, num_cmp);
}
static void fn_least_num(sqlite3_context *cx, int argc, sqlite3_value **v)
{
	extreme(cx, argc, v, -1, num_cmp);
}

static void fn_greatest(sqlite3_context *cx, int argc, sqlite3_value **v)
{
	extreme(cx, argc, v, 1, value_cmp);
}
static void fn_least(sqlite3_context *cx, int argc, sqlite3_value **v)
{
	extreme(cx, argc, v, -1, value_cmp);
}
static void fn_greatest_bpchar(sqlite3_context *cx, int argc, sqlite3_value **v)
{
	extreme(cx, argc, v, 1, bpchar_cmp);
}
static void fn_least_bpchar(sqlite3_context *cx, int argc, sqlite3_value **v)
{
	extreme(cx, argc, v, -1, bpchar_cmp);
}

/* ---- approx_count_distinct ---- */

/* The aggregate context is a zeroed hll until the first row (p == 0). */
static void approx_step(sqlite3_context *cx, int argc, sqlite3_value **v)
{
	hll *sk = sqlite3_aggregate_context(cx, (int)sizeof *sk);
	mur_value x = stor_fn_value(v[0]);
	if (!sk)
		return sqlite3_result_error_nomem(cx);
	if (!sk->p)
		hll_init(sk, HLL_P_DEFAULT, NULL);
	if (hll_add(sk, &x) != MUR_OK)
		sqlite3_result_error_nomem(cx);
}

/* Also SQLite's cleanup when a statement stops early: frees the sketch. */
static void approx_final(sqlite3_context *cx)
{
	hll *sk = sqlite3_aggregate_context(cx, 0);
	if (!sk || !sk->p) {
		sqlite3_result_int64(cx, 0);
		return;
	}
	sqlite3_result_int64(cx, hll_count(sk));
	hll_free(sk);
}

/* mur_hll_sketch(x): the sketch itself as a blob (hll_serialize), the
 * empty sketch's blob when no row or only NULLs came.  It has the step of
 * mur_approx_count_distinct, hence the sketch of the hash aggregate's HLL
 * over the same values; followers answer approx_count_distinct(x) alone
 * with it (follower/task_run.c). */
static void sketch_final(sqlite3_context *cx)
{
	hll *sk = sqlite3_aggregate_context(cx, 0), empty;
	mur_buf b;
	if (!sk || !sk->p) {
		hll_init(&empty, HLL_P_DEFAULT, NULL);
		sk = &empty;
	}
	mur_buf_init(&b);
	hll_serialize(sk, &b);
	hll_free(sk);
	if (!mur_buf_ok(&b))
		sqlite3_result_error_nomem(cx);
	else
		sqlite3_result_blob(cx, b.data, (int)b.len, SQLITE_TRANSIENT);
	mur_buf_free(&b);
}

/* ---- registration ---- */

static const stor_fn_def sqlfns[] = {
	{"mur_int_chk", 2, 1, fn_int_chk},
	{"mur_div", -1, 1, fn_div},
	{"mur_fdiv", -1, 1, fn_fdiv},
	{"mur_mod", -1, 1, fn_mod},
	{"mur_avg", 2, 1, fn_avg},
	{"mur_random", 0, 0, fn_random},
	{"mur_cast", 3, 1, fn_cast},
	{"mur_like", 2, 1, fn_like},
	{"mur_like", 3, 1, fn_like},
	{"mur_ilike", 2, 1, fn_ilike},
	{"mur_ilike", 3, 1, fn_ilike},
	{"mur_greatest", -1, 1, fn_greatest},
	{"mur_least", -1, 1, fn_least},
	{"mur_greatest_bpchar", -1, 1, fn_greatest_bpchar},
	{"mur_least_bpchar", -1, 1, fn_least_bpchar},
	{"mur_greatest_num", -1, 1, fn_greatest_num},
	{"mur_least_num", -1, 1, fn_least_num},
};

int stor_fn_register(sqlite3 *db, const stor_fn_def *defs, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		int flags = SQLITE_UTF8 | SQLITE_INNOCUOUS |
			    (defs[i].deterministic ? SQLITE_DETERMINISTIC : 0);
		int rc = sqlite3_create_function_v2(db, defs[i].name, defs[i].nargs, flags, NULL,
						    defs[i].fn, NULL, NULL, NULL);
		if (rc != SQLITE_OK)
			return rc;
	}
	return SQLITE_OK;
}

int stor_register_functions(sqlite3 *db)
{
	int flags = SQLITE_UTF8 | SQLITE_INNOCUOUS | SQLITE_DETERMINISTIC;
	int rc = stor_fn_register(db, sqlfns, sizeof sqlfns / sizeof sqlfns[0]);
	if (rc == SQLITE_OK)
		rc = stor_register_text_functions(db);
	if (rc == SQLITE_OK)
		rc = stor_register_math_functions(db);
	if (rc == SQLITE_OK)
		rc = stor_register_regex_functions(db);
	if (rc == SQLITE_OK)
		rc = stor_register_time_functions(db);
	if (rc == SQLITE_OK)
		rc = stor_register_subq_functions(db);
	if (rc == SQLITE_OK)
		rc = stor_register_agg_functions(db);
	if (rc == SQLITE_OK)
		rc = stor_register_numeric_functions(db);
	if (rc == SQLITE_OK)
		rc = stor_register_gcd_functions(db);
	if (rc == SQLITE_OK)
		rc = stor_register_byte_functions(db);
	if (rc == SQLITE_OK)
		rc = stor_register_todate_functions(db);
	if (rc == SQLITE_OK)
		rc = stor_register_bitagg_functions(db);
	if (rc == SQLITE_OK)
		rc = stor_register_numfmt_functions(db);
	if (rc == SQLITE_OK)
		rc = stor_register_type_functions(db);
	if (rc == SQLITE_OK)
		rc = stor_register_json_functions(db);
	if (rc == SQLITE_OK)
		rc = stor_register_array_functions(db);
	if (rc == SQLITE_OK)
		rc = stor_register_record_functions(db);
	if (rc == SQLITE_OK)
		rc = stor_rowtab_register(db);
	if (rc == SQLITE_OK)
		rc = stor_subq_values_register(db);
	if (rc == SQLITE_OK)
		rc = stor_subq_rows_register(db);
	if (rc == SQLITE_OK)
		rc = sqlite3_create_function_v2(db, "mur_approx_count_distinct", 1, flags, NULL,
						NULL, approx_step, approx_final, NULL);
	if (rc == SQLITE_OK)
		rc = sqlite3_create_function_v2(db, "mur_hll_sketch", 1, flags, NULL, NULL,
						approx_step, sketch_final, NULL);
	return rc;
}
