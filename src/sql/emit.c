/*
 * emit.c — typed expression trees → SQLite SQL text.
 *
 * The text must make SQLite build exactly the tree PostgreSQL's parser
 * built (libpg_query already applied PostgreSQL's precedence), and must fit
 * SQLite's two nesting limits: its parser stack (YYSTACKDEPTH = 100
 * entries; every "(" or call still open holds about three) and its
 * expression depth (SQLITE_MAX_EXPR_DEPTH = 1000).  So:
 *
 * 1. sql_emit_expr's result is self-delimited: a compound expression comes
 *    in parentheses, so any caller may put it next to any operator.
 * 2. Inside, the operands of the infix operators below go without
 *    parentheses where SQLite groups them as the tree does: an operand
 *    that binds tighter, or the left operand at the same strength (all of
 *    them are left-associative in both systems).  A left-deep chain
 *    a + b - c + ... is thus emitted flat, which SQLite's parser reduces
 *    as it reads (constant stack) instead of stacking one "(" per term:
 *    ~30 terms were the limit, now the tree limits (~1,000 terms,
 *    parser/depth.c and SQLite's expression depth).  A comparison under a
 *    comparison keeps its parentheses (PostgreSQL does not chain them).
 *
 *      SQLite (lang_expr.html), tighter first   PostgreSQL (4.1.6), tighter first
 *      unary - + ~                               unary - +
 *      ||                                        * / %
 *      * / %                                     + -
 *      + -                                       any other operator: ||
 *      < > <= >=                                 < > = <= >= <> (non-assoc.)
 *      = <> IS, IS NOT (= BETWEEN IN LIKE)       IS, ISNULL, NOTNULL
 *      NOT, AND, OR                              NOT, AND, OR
 *
 *    They differ (|| against + - * /; < against =; IS), which is why the
 *    emitted text follows SQLite's column only, from the tree; murphy
 *    emits / and % as functions (mur_div, mur_fdiv, mur_mod) and unary -,
 *    NOT, IS [NOT] NULL/TRUE... self-parenthesized.
 * 3. A left-deep chain of one of mur_div, mur_fdiv, mur_mod is one call
 *    mur_div(a, b, c, ...) (storage/sqlfn.c folds from the left, strict as
 *    PostgreSQL's operators), in calls of at most SQL_EMIT_FOLD_ARGS_MAX
 *    arguments: nested calls would stack the parser like parentheses.
 * 4. AND/OR lists (PostgreSQL flattens a AND b AND c into one list) are
 *    flat up to SQL_EMIT_BOOL_FLAT_MAX terms, else a balanced tree of such
 *    groups in the same order: 10,000 conditions are ~20 levels deep, not
 *    10,000.  AND and OR are associative in three-valued logic, so the
 *    grouping changes no answer; the order of evaluation stays left to
 *    right.
 * Arithmetic is never regrouped: murphy keeps PostgreSQL's order of
 * operations (and so where an overflow would happen).
 * 5. Integer + - * and unary - (and smallint/integer / and abs) are
 *    checked for their type's range: mur_int_chk(a + b - c, 64) once per
 *    chain of bigint (storage/sqlfn.c; SQLite turns an int64 overflow into
 *    a REAL, which stays one), so a chain costs one call and stays flat;
 *    each step of smallint or integer, mur_int_chk(mur_int_chk(a + b, 32)
 *    - c, 32), as an intermediate past the range comes back into it in
 *    SQLite's int64 (the first INT_STEPS_CHECKED steps of a chain: past
 *    them its own check); constants that fit go bare.
 *
 * Identifiers are always quoted ("name", with "" doubling); strings use ''
 * doubling; parameters become ?n, and so do subqueries' results (SE_SUBQ,
 * numbered after the statement's own parameters: plan_subq.c).  Column references are "alias"."col"
 * (bare "col" for UPDATE/DELETE/RETURNING).  Table i of a plan is schema
 * main (i = 0) or m<i>; murphy.* virtual tables are main."murphy_<name>"
 * on the leader; a subquery's rows there are main."murphy__sub<k>", columns
 * c0, c1, ... (lead_subq.c loads them).
 *
 * Aggregates are emitted as SQLite aggregates only where SQLite itself runs
 * them (router plans, leader-only plans); bool_and/bool_or map to min/max
 * over the 0/1 storage; approx_count_distinct to mur_approx_count_distinct
 * (storage/sqlfn.c), the same HyperLogLog sketch the hash aggregate keeps.
 */
#include "sql/sqlInt.h"

#include "common/array.h"
#include "common/bpchar.h"
#include "common/ident.h"
#include "common/interval.h"
#include "common/json.h"
#include "common/numeric.h"

#include <assert.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void sql_emit_ident(mur_buf *b, const char *name) { mur_ident_put_quoted(b, name); }

void sql_emit_string(mur_buf *b, const char *s, size_t n)
{
	mur_buf_put_u8(b, '\'');
	for (size_t i = 0; i < n; i++) {
		if (s[i] == '\'')
			mur_buf_put_u8(b, '\'');
		mur_buf_put_u8(b, (uint8_t)s[i]);
	}
	mur_buf_put_u8(b, '\'');
}

static void emit_double(mur_buf *b, double d)
{
	char tmp[64];
	if (isnan(d)) {
		mur_buf_printf(b, "NULL");
		return;
	}
	if (isinf(d)) {
		mur_buf_printf(b, d > 0 ? "9e999" : "-9e999");
		return;
	}
	snprintf(tmp, sizeof tmp, "%.17g", d);
	if (!strpbrk(tmp, ".eE"))
		strcat(tmp, ".0"); /* keep it REAL in SQLite */
	mur_buf_printf(b, "%s", tmp);
}

void sql_emit_value(mur_buf *b, const mur_value *v)
{
	switch (v->kind) {
	case MV_NULL:
		mur_buf_printf(b, "NULL");
		break;
	case MV_INT:
		mur_buf_printf(b, "%lld", (long long)v->i);
		break;
	case MV_FLOAT:
		emit_double(b, v->f);
		break;
	case MV_TEXT:
		sql_emit_string(b, v->s, v->len);
		break;
	case MV_BLOB:
		mur_buf_printf(b, "X'");
		for (size_t i = 0; i < v->len; i++)
			mur_buf_printf(b, "%02x", (unsigned char)v->s[i]);
		mur_buf_put_u8(b, '\'');
		break;
	}
}

static void emit_args(sql_emit *e, const sql_expr *x, int from, const char *sep)
{
	for (int i = from; i < x->nargs; i++) {
		if (i > from)
			mur_buf_printf(e->b, "%s", sep);
		sql_emit_expr(e, x->args[i]);
	}
}

/* A column of a leader table (untyped, BINARY) holding character(n):
 * compared without trailing spaces as a shard column is (common/bpchar.h). */
static const char *slot_collate(const sql_expr *x)
{
	return x->type == MT_BPCHAR ? " COLLATE " MUR_BPCHAR_COLLATION : "";
}

static void emit_column(sql_emit *e, const sql_expr *x)
{
	const sql_rte *r = &e->q->rtes[x->rte];
	if (r->series && (sql_emit_srf_col(e, r, x->col) || sql_emit_json_srf_col(e, r, x->col)))
		return; /* unnest's elements (emit_srf.c), json_each over a column */
	if (!e->bare_columns) {
		sql_emit_ident(e->b, r->alias);
		mur_buf_put_u8(e->b, '.');
	}
	if (sql_is_sub_table(r->table)) /* the leader table's column (lead_subq.c) */
		mur_buf_printf(e->b, "c%d%s", x->col, slot_collate(x));
	else
		sql_emit_ident(e->b, r->table->cols[x->col].name);
}

int sql_is_sub_table(const cat_table *t)
{
	return t->kind == CAT_TABLE_VIRTUAL && t->name[0] == '_';
}

/* SQLite's binding strength of the infix operators murphy emits, higher
 * binds tighter (file comment: the table and where it differs from
 * PostgreSQL's).  0: not one of them (emitted self-delimited). */
enum { PREC_NONE, PREC_EQ, PREC_CMP, PREC_ADD, PREC_MUL, PREC_CONCAT };

static int infix_prec(const sql_expr *x)
{
	static const struct {
		const char *op;
		int prec;
	} table[] = {
		{"||", PREC_CONCAT}, {"*", PREC_MUL}, {"+", PREC_ADD},  {"-", PREC_ADD},
		{"<", PREC_CMP},     {">", PREC_CMP}, {"<=", PREC_CMP}, {">=", PREC_CMP},
		{"=", PREC_EQ},      {"<>", PREC_EQ}, {"IS", PREC_EQ},  {"IS NOT", PREC_EQ},
	};
	if (x->kind != SE_OP || x->nargs != 2)
		return PREC_NONE;
	for (size_t i = 0; i < sizeof table / sizeof table[0]; i++)
		if (!strcmp(x->op, table[i].op))
			return table[i].prec;
	return PREC_NONE;
}

static int is_comparison(int prec) { return prec == PREC_EQ || prec == PREC_CMP; }

/* May operand `x` of an infix operator of strength `parent` go without
 * parentheses?  Yes when it binds tighter, or as the left operand at the
 * same strength (left associativity: a - b - c is (a - b) - c).  Never
 * for a comparison under a comparison: PostgreSQL does not chain them. */
static int operand_bare(const sql_expr *x, int parent, int left)
{
	int prec = infix_prec(x);
	if (prec == PREC_NONE || (is_comparison(prec) && is_comparison(parent)))
		return 0;
	return prec > parent || (prec == parent && left);
}

static void emit_infix(sql_emit *e, const sql_expr *x, int paren);

/* A numeric column of a shard table: a STRICT TEXT column, every value
 * TEXT or NULL. */
static int shard_numeric_column(const sql_emit *e, const sql_expr *x)
{
	if (x->kind != SE_COLUMN || x->type != MT_NUMERIC || !e->q)
		return 0;
	const sql_rte *r = &e->q->rtes[x->rte];
	return !r->series && r->table && r->table->kind == CAT_TABLE_DISTRIBUTED &&
	       !sql_is_sub_table(r->table);
}

/* An integer or numeric constant. */
static int numeric_const(const sql_expr *x)
{
	return x->kind == SE_CONST && ((x->val.kind == MV_INT && mur_type_is_integer(x->type)) ||
				       (x->val.kind == MV_TEXT && x->type == MT_NUMERIC));
}

/* A numeric shard column against a constant number or another such
 * column: compared as `col < '24' COLLATE mur_numeric`, SQLite calling the
 * collation on the two TEXTs straight from the record, where
 * mur_num_cmp(col, 24) < 0 would cost a function call per row (its
 * argument checks, its result) to reach the same mur_num_text_cmp.  Same
 * answers: both compare two TEXTs by mur_num_text_cmp (NaN above every
 * number, 1.0 = 1.00); a NULL side is NULL either way. */
static int numeric_by_collation(const sql_emit *e, const sql_expr *x)
{
	const sql_expr *a = x->args[0], *b = x->args[1];
	return (shard_numeric_column(e, a) && (numeric_const(b) || shard_numeric_column(e, b))) ||
	       (numeric_const(a) && shard_numeric_column(e, b));
}

/* The column itself, or the constant as numeric TEXT ('24', not 24: an
 * INTEGER sorts before every TEXT in SQLite). */
static void emit_numeric_side(sql_emit *e, const sql_expr *x)
{
	char buf[32];
	if (x->kind == SE_CONST && x->val.kind == MV_INT) {
		snprintf(buf, sizeof buf, "%lld", (long long)x->val.i);
		sql_emit_string(e->b, buf, strlen(buf));
	} else {
		sql_emit_expr(e, x);
	}
}

/* A comparison with a numeric side compares by value (storage's
 * mur_num_cmp): numeric is TEXT in SQLite, which compares text by bytes
 * and puts every number before any text. */
static int is_numeric_compare(const sql_expr *x, int prec)
{
	return prec != PREC_NONE && is_comparison(prec) && strncmp(x->op, "IS", 2) &&
	       (x->args[0]->type == MT_NUMERIC || x->args[1]->type == MT_NUMERIC);
}

/* The width in bits of an integer expression whose result PostgreSQL
 * checks for overflow (22003) where SQLite would not: + - * and unary -
 * of smallint, integer, bigint (SQLite turns an int64 overflow into a
 * REAL, and computes smallint and integer in int64), and smallint or
 * integer / and abs() (INT32_MIN / -1; bigint's are checked by mur_div and
 * mur_abs themselves).  0: nothing to check. */
static int int_bits(mur_type t)
{
	return t == MT_INT2 ? 16 : t == MT_INT4 ? 32 : t == MT_INT8 ? 64 : 0;
}

/* x, integer constants under + - * and unary -, in *v when every step
 * fits its type: SQLite's own arithmetic gives the same, unchecked. */
static int int_const_fits(const sql_expr *x, int64_t *v)
{
	int64_t a, b = 0,
		   lim = int_bits(x->type) == 16   ? INT16_MAX
			 : int_bits(x->type) == 32 ? INT32_MAX
						   : INT64_MAX;
	if (!int_bits(x->type))
		return 0;
	if (x->kind == SE_CONST)
		return x->val.kind == MV_INT && (*v = x->val.i, 1);
	if (x->kind != SE_OP || !(x->nargs == 1 || x->nargs == 2) || x->postfix ||
	    !strchr("+-*", x->op[0]) || x->op[1] || (x->nargs == 1 && x->op[0] != '-') ||
	    !int_const_fits(x->args[0], &a) || (x->nargs == 2 && !int_const_fits(x->args[1], &b)))
		return 0;
	if (x->nargs == 1     ? __builtin_sub_overflow((int64_t)0, a, v)
	    : x->op[0] == '+' ? __builtin_add_overflow(a, b, v)
	    : x->op[0] == '-' ? __builtin_sub_overflow(a, b, v)
			      : __builtin_mul_overflow(a, b, v))
		return 0;
	return *v <= lim && *v >= -lim - 1;
}

static int int_checked(const sql_expr *x)
{
	int bits = int_bits(x->type);
	int64_t v;
	if (!bits)
		return 0;
	if (x->kind == SE_OP && int_const_fits(x, &v))
		return 0; /* constants that fit: nothing to check */
	if (x->kind == SE_OP)
		return (x->nargs == 2 && strchr("+-*", x->op[0]) && !x->op[1]) ||
				       (x->nargs == 1 && !x->postfix && !strcmp(x->op, "-"))
			       ? bits
			       : 0;
	if (x->kind == SE_CALL && bits < 64 &&
	    (!strcmp(x->op, "mur_div") || !strcmp(x->op, "mur_abs")))
		return bits;
	return 0;
}

/* Emitted unchecked inside its parent: an infix + - * of bigint under
 * one of bigint, whose own check covers it (an int64 overflow stays a
 * REAL).  A smallint or integer step is checked itself: SQLite computes
 * it in int64, where 2147483647 + 1 - 1 comes back into range and
 * PostgreSQL's 22003 in the middle would be lost. */
/* smallint/integer steps of a chain checked one by one, each check a
 * nested call: SQLite's parser stack (YYSTACKDEPTH 100, a few entries per
 * nested call) bounds the nesting, so past them the chain's own check
 * (an overflow in the middle of a longer chain that comes back into range
 * is not caught; tests/cluster/test_exprchain.py runs 900-term chains) */
#define INT_STEPS_CHECKED 10

/* Steps of same-typed + - * under x, counted up to INT_STEPS_CHECKED. */
static int int_chain_depth(const sql_expr *x)
{
	int d = 0;
	while (d < INT_STEPS_CHECKED && x->kind == SE_OP && x->nargs == 2 &&
	       x->args[0]->type == x->type) {
		x = x->args[0];
		d++;
	}
	return d;
}

static int int_checked_by_parent(const sql_expr *x, const sql_expr *parent)
{
	return x->kind == SE_OP && int_checked(parent) && parent->kind == SE_OP &&
	       parent->nargs == 2 && parent->type == x->type &&
	       (int_bits(x->type) == 64 || int_chain_depth(x) >= INT_STEPS_CHECKED);
}

static void emit_operand(sql_emit *e, const sql_expr *x, int parent, int left,
			 const sql_expr *parent_x)
{
	if (int_checked(x) && !int_checked_by_parent(x, parent_x))
		sql_emit_expr(e, x);
	else if (operand_bare(x, parent, left))
		emit_infix(e, x, 0);
	else
		sql_emit_expr(e, x);
}

/* "a op b", in parentheses when paren; the operands parenthesized only
 * where SQLite would otherwise bind them differently from the tree.  A
 * left-associative chain thus goes out as a + b + c, which SQLite's parser
 * reduces as it reads instead of stacking one "(" per term. */
static void emit_infix(sql_emit *e, const sql_expr *x, int paren)
{
	int prec = infix_prec(x);
	if (is_numeric_compare(x, prec) && numeric_by_collation(e, x)) {
		mur_buf_put_u8(e->b, '(');
		emit_numeric_side(e, x->args[0]);
		mur_buf_printf(e->b, " %s ", x->op);
		emit_numeric_side(e, x->args[1]);
		mur_buf_printf(e->b, " COLLATE " MUR_NUM_COLLATION ")");
		return;
	}
	if (is_numeric_compare(x, prec)) {
		mur_buf_printf(e->b, "(mur_num_cmp(");
		sql_emit_expr(e, x->args[0]);
		mur_buf_printf(e->b, ", ");
		sql_emit_expr(e, x->args[1]);
		mur_buf_printf(e->b, ") %s 0)", x->op);
		return;
	}
	if (paren)
		mur_buf_put_u8(e->b, '(');
	emit_operand(e, x->args[0], prec, 1, x);
	mur_buf_printf(e->b, " %s ", x->op);
	emit_operand(e, x->args[1], prec, 0, x);
	if (paren)
		mur_buf_put_u8(e->b, ')');
}

static void emit_op_unchecked(sql_emit *e, const sql_expr *x);

/* An integer + - * or unary - (int_checked): mur_int_chk(x, bits) around
 * SQLite's own arithmetic, once for a whole chain of one type (its inner
 * operators go unchecked, emit_operand), so a chain costs one call. */
static void emit_op(sql_emit *e, const sql_expr *x)
{
	int bits = int_checked(x);
	if (!bits)
		return emit_op_unchecked(e, x);
	mur_buf_printf(e->b, "mur_int_chk(");
	emit_op_unchecked(e, x);
	mur_buf_printf(e->b, ", %d)", bits);
}

static void emit_op_unchecked(sql_emit *e, const sql_expr *x)
{
	if (infix_prec(x) != PREC_NONE) {
		emit_infix(e, x, 1);
		return;
	}
	mur_buf_put_u8(e->b, '(');
	if (x->nargs == 2) {
		sql_emit_expr(e, x->args[0]);
		mur_buf_printf(e->b, " %s ", x->op);
		sql_emit_expr(e, x->args[1]);
	} else if (x->postfix) {
		sql_emit_expr(e, x->args[0]);
		mur_buf_printf(e->b, " %s", x->op);
	} else {
		mur_buf_printf(e->b, "%s ", x->op);
		sql_emit_expr(e, x->args[0]);
	}
	mur_buf_put_u8(e->b, ')');
}

void sql_emit_bool_list(sql_emit *e, const char *op, sql_expr *const *args, int n)
{
	const char *sep = strcmp(op, "AND") ? " OR " : " AND ";
	assert(n >= 1);
	if (n == 1) {
		sql_emit_expr(e, args[0]);
		return;
	}
	mur_buf_put_u8(e->b, '(');
	if (n <= SQL_EMIT_BOOL_FLAT_MAX) {
		for (int i = 0; i < n; i++) {
			if (i)
				mur_buf_printf(e->b, "%s", sep);
			sql_emit_expr(e, args[i]);
		}
	} else {
		sql_emit_bool_list(e, op, args, n / 2);
		mur_buf_printf(e->b, "%s", sep);
		sql_emit_bool_list(e, op, args + n / 2, n - n / 2);
	}
	mur_buf_put_u8(e->b, ')');
}

/* mur_div, mur_fdiv, mur_mod (storage/sqlfn.c) and numeric's mur_num_add,
 * _sub, _mul, _div, _mod (storage/sqlfn_numeric.c) take any number of
 * operands and fold them from the left: ((a / b) / c) is emitted mur_div(a, b, c). */
static int is_fold_call(const sql_expr *x)
{
	static const char *const fns[] = {"mur_div",     "mur_fdiv",    "mur_mod",
					  "mur_num_add", "mur_num_sub", "mur_num_mul",
					  "mur_num_div", "mur_num_mod"};
	if (x->kind != SE_CALL || x->nargs != 2)
		return 0;
	for (size_t i = 0; i < sizeof fns / sizeof fns[0]; i++)
		if (!strcmp(x->op, fns[i]))
			return 1;
	return 0;
}

/* Operators of the left-deep chain of calls named like x, from x down. */
static int fold_length(const sql_expr *x)
{
	int n = 0;
	for (const sql_expr *s = x; is_fold_call(s) && !strcmp(s->op, x->op); s = s->args[0])
		n++;
	return n;
}

/* ", r" for the right operands of the n chain calls from s down, deepest
 * first. */
static void emit_fold_rights(sql_emit *e, const sql_expr *s, int n)
{
	if (n == 0)
		return;
	emit_fold_rights(e, s->args[0], n - 1);
	mur_buf_printf(e->b, ", ");
	sql_emit_expr(e, s->args[1]);
}

/* The n chain calls from s down as calls of at most SQL_EMIT_FOLD_ARGS_MAX
 * arguments: the deepest operands go into the innermost call. */
static void emit_fold(sql_emit *e, const sql_expr *s, int n)
{
	int here = n < SQL_EMIT_FOLD_ARGS_MAX - 1 ? n : SQL_EMIT_FOLD_ARGS_MAX - 1;
	const sql_expr *below = s;
	for (int i = 0; i < here; i++)
		below = below->args[0];
	mur_buf_printf(e->b, "%s(", s->op);
	if (n > here)
		emit_fold(e, below, n - here);
	else
		sql_emit_expr(e, below);
	emit_fold_rights(e, s, here);
	mur_buf_put_u8(e->b, ')');
}

/* x = ANY (a) of a constant or parameter array a (parser/analyze_array.c):
 * an IN over its elements, so SQLite probes x's index or a set once per
 * row instead of scanning the array: (x IN (SELECT mur_array_elem(value,
 * elem) FROM json_each(mur_array_json(a)))), NULL where = ANY is NULL. */
static void emit_array_in(sql_emit *e, const sql_expr *x)
{
	mur_buf_put_u8(e->b, '(');
	sql_emit_expr(e, x->args[0]);
	mur_buf_printf(e->b, " IN (SELECT mur_array_elem(value, ");
	sql_emit_expr(e, x->args[2]);
	mur_buf_printf(e->b, ") FROM json_each(mur_array_json(");
	sql_emit_expr(e, x->args[1]);
	mur_buf_printf(e->b, "))))");
}

int sql_leads_primary_key(const cat_table *t, int col)
{
	if (!t || col < 0 || col >= t->ncols || !t->cols[col].primary_key)
		return 0;
	for (int i = 0; i < col; i++)
		if (t->cols[i].primary_key)
			return 0;
	return 1;
}

/* mur_subq_in(col, ?n) of an integer column leading its table's primary
 * key: SQLite cannot look a function's argument up in an index, so an IN
 * over the set's values (storage/subq_values.c) comes first and SQLite
 * seeks the keys instead of scanning.  For integers SQLite's IN and
 * mur_subq_in agree, NULLs included; the call stays as the exact test.
 * The seek form sits between SQL_SEEK_MARK and SQL_SEEK_END comments: for
 * a large set the executor cuts it out (sql_seek_choose), since seeking
 * 60,000 keys costs three times a scan with the hash probe.
 * A column without an index keeps the call alone (its hash probe is
 * cheaper than SQLite's ephemeral index: TPC-H Q3's o_custkey). */
static int is_indexable_subq_in(const sql_emit *e, const sql_expr *x)
{
	const sql_expr *c = x->nargs == 2 ? x->args[0] : NULL;
	return !strcmp(x->op, "mur_subq_in") && c && c->kind == SE_COLUMN &&
	       x->args[1]->kind == SE_SUBQ && mur_type_storage(c->type) == MV_INT && e->q &&
	       c->rte >= 0 && c->rte < e->q->nrte &&
	       sql_leads_primary_key(e->q->rtes[c->rte].table, c->col);
}

static void emit_subq_in(sql_emit *e, const sql_expr *x)
{
	mur_buf_printf(e->b, "(" SQL_SEEK_MARK "%d*/", x->args[1]->param);
	sql_emit_expr(e, x->args[0]);
	mur_buf_printf(e->b,
		       " IN (SELECT v FROM mur_subq_values(?%d)) AND " SQL_SEEK_END "mur_subq_in(",
		       x->args[1]->param);
	emit_args(e, x, 0, ", ");
	mur_buf_printf(e->b, "))");
}

char *sql_seek_choose(const char *sql, const mur_value *params, int nparams, size_t max_bytes)
{
	const char *p = sql, *m, *end;
	mur_buf b;
	int cut = 0;
	mur_buf_init(&b);
	while ((m = strstr(p, SQL_SEEK_MARK)) && (end = strstr(m, SQL_SEEK_END))) {
		int n = atoi(m + strlen(SQL_SEEK_MARK));
		const mur_value *v = n >= 1 && n <= nparams ? &params[n - 1] : NULL;
		int keep = v && (v->kind == MV_NULL || (v->kind == MV_BLOB && v->len <= max_bytes));
		end += strlen(SQL_SEEK_END);
		mur_buf_put(&b, p, (size_t)((keep ? end : m) - p));
		cut |= !keep;
		p = end;
	}
	if (!cut) {
		mur_buf_free(&b);
		return NULL;
	}
	mur_buf_put(&b, p, strlen(p) + 1);
	if (!mur_buf_ok(&b)) {
		mur_buf_free(&b);
		return NULL;
	}
	return b.data; /* the caller frees it */
}

static void emit_call(sql_emit *e, const sql_expr *x)
{
	if (is_indexable_subq_in(e, x)) {
		emit_subq_in(e, x);
		return;
	}
	if (!strcmp(x->op, SQL_ARRAY_IN_FN)) {
		emit_array_in(e, x);
		return;
	}
	if (int_checked(x)) { /* smallint or integer / or abs() */
		mur_buf_printf(e->b, "mur_int_chk(");
		if (is_fold_call(x))
			emit_fold(e, x, fold_length(x));
		else {
			mur_buf_printf(e->b, "%s(", x->op);
			emit_args(e, x, 0, ", ");
			mur_buf_put_u8(e->b, ')');
		}
		mur_buf_printf(e->b, ", %d)", int_checked(x));
		return;
	}
	if (is_fold_call(x)) {
		emit_fold(e, x, fold_length(x));
		return;
	}
	mur_buf_printf(e->b, "%s(", x->op);
	emit_args(e, x, 0, ", ");
	mur_buf_put_u8(e->b, ')');
}

static void emit_case(sql_emit *e, const sql_expr *x)
{
	int i = 0, end = x->nargs - (x->has_else ? 1 : 0);
	mur_buf_printf(e->b, "(CASE");
	if (x->has_arg) {
		mur_buf_put_u8(e->b, ' ');
		sql_emit_expr(e, x->args[i++]);
	}
	for (; i < end; i += 2) {
		mur_buf_printf(e->b, " WHEN ");
		sql_emit_expr(e, x->args[i]);
		mur_buf_printf(e->b, " THEN ");
		sql_emit_expr(e, x->args[i + 1]);
	}
	if (x->has_else) {
		mur_buf_printf(e->b, " ELSE ");
		sql_emit_expr(e, x->args[x->nargs - 1]);
	}
	mur_buf_printf(e->b, " END)");
}

/* sum and avg of an interval: storage/sqlfn_types.c's mur_iv_sum adds
 * field by field (interval_pl); avg divides it by the count as
 * PostgreSQL's interval_avg does (interval_div).  1 when emitted. */
static int emit_interval_agg(sql_emit *e, const sql_expr *x)
{
	if (x->nargs < 1 || x->type != MT_INTERVAL ||
	    (x->agg != SQL_AGG_SUM && x->agg != SQL_AGG_AVG))
		return 0;
	mur_buf_printf(e->b, x->agg == SQL_AGG_AVG ? "mur_iv_mul(mur_iv_sum(" : "mur_iv_sum(");
	sql_emit_expr(e, x->args[0]);
	if (x->agg == SQL_AGG_AVG) {
		mur_buf_printf(e->b, "), count(");
		sql_emit_expr(e, x->args[0]);
		mur_buf_printf(e->b, "), 1");
	}
	mur_buf_put_u8(e->b, ')');
	return 1;
}

/* An aggregate's argument; with DISTINCT, compared by its key collation
 * ({1.0} and {1.00}, 1.0 and 1.00 are one value). */
static void emit_agg_arg(sql_emit *e, const sql_expr *x)
{
	if (!x->distinct) {
		sql_emit_expr(e, x->args[0]);
		return;
	}
	mur_buf_printf(e->b, "DISTINCT ");
	sql_emit_key(e, x->args[0]);
}

/* sum/min/max of a numeric and avg with a numeric result (numeric or
 * integer input) as storage/sqlfn_numeric.c's exact aggregates: SQLite's
 * own would add the TEXT as doubles.  1 when emitted. */
static int emit_numeric_agg(sql_emit *e, const sql_expr *x)
{
	const char *fn = NULL;
	if (x->nargs < 1 || SQL_AGG_IS_COLLECTING(x->agg))
		return 0;
	if (x->agg == SQL_AGG_AVG && x->type == MT_NUMERIC) {
		mur_buf_printf(e->b, "mur_avg(%s(",
			       x->args[0]->type == MT_NUMERIC || x->args[0]->type == MT_INT8
				       ? "mur_num_sum"
				       : "sum");
		emit_agg_arg(e, x);
		mur_buf_printf(e->b, "), count(");
		emit_agg_arg(e, x);
		mur_buf_printf(e->b, "))");
		return 1;
	}
	if (SQL_AGG_IS_VARIANCE(x->agg) && x->type == MT_NUMERIC && !x->distinct) {
		mur_buf_printf(e->b, "mur_num_var("); /* exact: storage/sqlfn_numeric.c */
		sql_emit_expr(e, x->args[0]);
		mur_buf_printf(e->b, ", %d)", x->agg - SQL_AGG_VAR_SAMP);
		return 1;
	}
	if (x->args[0]->type != MT_NUMERIC &&
	    !(x->agg == SQL_AGG_SUM && x->args[0]->type == MT_INT8))
		return 0; /* sum(bigint) is numeric, exact past 2^63 */
	fn = x->agg == SQL_AGG_SUM   ? "mur_num_sum"
	     : x->agg == SQL_AGG_MIN ? "mur_num_min"
	     : x->agg == SQL_AGG_MAX ? "mur_num_max"
				     : NULL;
	if (!fn)
		return 0;
	mur_buf_printf(e->b, "%s(", fn);
	emit_agg_arg(e, x);
	mur_buf_put_u8(e->b, ')');
	return 1;
}

static void emit_agg(sql_emit *e, const sql_expr *x)
{
	static const char *const names[] = {
		[SQL_AGG_COUNT_STAR] = "count",
		[SQL_AGG_COUNT] = "count",
		[SQL_AGG_SUM] = "sum",
		[SQL_AGG_MIN] = "min",
		[SQL_AGG_MAX] = "max",
		[SQL_AGG_AVG] = "avg",
		[SQL_AGG_BOOL_AND] = "min",
		[SQL_AGG_BOOL_OR] = "max",
		[SQL_AGG_APPROX_COUNT_DISTINCT] = "mur_approx_count_distinct",
		[SQL_AGG_VAR_SAMP] = "mur_var_samp",
		[SQL_AGG_VAR_POP] = "mur_var_pop",
		[SQL_AGG_STDDEV_SAMP] = "mur_stddev_samp",
		[SQL_AGG_STDDEV_POP] = "mur_stddev_pop",
		[SQL_AGG_STRING_AGG] = "mur_string_agg",
		[SQL_AGG_PERCENTILE_CONT] = "mur_percentile_cont",
		[SQL_AGG_PERCENTILE_DISC] = "mur_percentile_disc",
		[SQL_AGG_MODE] = "mur_mode",
		[SQL_AGG_JSON_AGG] = "mur_json_agg",
		[SQL_AGG_JSONB_AGG] = "mur_jsonb_agg",
		[SQL_AGG_JSON_OBJECT_AGG] = "mur_json_object_agg",
		[SQL_AGG_JSONB_OBJECT_AGG] = "mur_jsonb_object_agg",
		[SQL_AGG_ARRAY_AGG] = "mur_array_agg",
		[SQL_AGG_BIT_AND] = "mur_bit_and",
		[SQL_AGG_BIT_OR] = "mur_bit_or",
		[SQL_AGG_BIT_XOR] = "mur_bit_xor",
	};
	if (emit_numeric_agg(e, x) || emit_interval_agg(e, x))
		return;
	mur_buf_printf(e->b, "%s(", names[x->agg]);
	if (SQL_AGG_IS_COLLECTING(x->agg)) { /* storage/sqlfn_agg.c: x, arg, flags, keys */
		sql_emit_expr(e, x->args[0]);
		mur_buf_printf(e->b, ", ");
		sql_emit_expr(e, x->args[1]);
		mur_buf_printf(e->b, ", %d", x->agg_flags);
		for (int i = 2; i < x->nargs; i++) {
			mur_buf_printf(e->b, ", ");
			sql_emit_expr(e, x->args[i]);
		}
		mur_buf_put_u8(e->b, ')');
		return;
	}
	if (x->agg == SQL_AGG_COUNT_STAR)
		mur_buf_put_u8(e->b, '*');
	else
		emit_agg_arg(e, x);
	mur_buf_put_u8(e->b, ')');
}

/* A frame offset, or the ORDER BY key of a frame with offsets: SQLite's
 * RANGE frames need numbers, so a numeric (TEXT) goes as a double there
 * (its 15-17 digits decide frame membership; PostgreSQL's are exact). */
static void emit_range_number(sql_emit *e, const sql_expr *x)
{
	if (x->type != MT_NUMERIC) {
		sql_emit_expr(e, x);
		return;
	}
	if (x->kind == SE_CONST && x->val.kind == MV_TEXT) {
		char tmp[64];
		size_t n = x->val.len < sizeof tmp - 1 ? x->val.len : sizeof tmp - 1;
		memcpy(tmp, x->val.s, n);
		tmp[n] = '\0';
		emit_double(e->b, strtod(tmp, NULL));
		return;
	}
	mur_buf_printf(e->b, "CAST(");
	sql_emit_expr(e, x);
	mur_buf_printf(e->b, " AS REAL)");
}

static void emit_frame_bound(sql_emit *e, int f, int unbounded, int current, int preceding,
			     const sql_expr *offset)
{
	if (f & unbounded)
		mur_buf_printf(e->b, unbounded == SQL_FRAME_START_UNBOUNDED_PRECEDING
					     ? "UNBOUNDED PRECEDING"
					     : "UNBOUNDED FOLLOWING");
	else if (f & current)
		mur_buf_printf(e->b, "CURRENT ROW");
	else {
		emit_range_number(e, offset);
		mur_buf_printf(e->b, (f & preceding) ? " PRECEDING" : " FOLLOWING");
	}
}

/* ROWS | RANGE | GROUPS BETWEEN start AND end [EXCLUDE ...]; nothing for
 * the default frame, which SQLite's default is. */
static void emit_frame(sql_emit *e, const sql_window *w)
{
	int f = w->frame;
	if (!(f & SQL_FRAME_NONDEFAULT))
		return;
	mur_buf_printf(e->b, (f & SQL_FRAME_ROWS)     ? " ROWS BETWEEN "
			     : (f & SQL_FRAME_GROUPS) ? " GROUPS BETWEEN "
						      : " RANGE BETWEEN ");
	emit_frame_bound(e, f, SQL_FRAME_START_UNBOUNDED_PRECEDING, SQL_FRAME_START_CURRENT_ROW,
			 SQL_FRAME_START_OFFSET_PRECEDING, w->start);
	mur_buf_printf(e->b, " AND ");
	emit_frame_bound(e, f, SQL_FRAME_END_UNBOUNDED_FOLLOWING, SQL_FRAME_END_CURRENT_ROW,
			 SQL_FRAME_END_OFFSET_PRECEDING, w->end);
	if (f & SQL_FRAME_EXCLUDE_CURRENT_ROW)
		mur_buf_printf(e->b, " EXCLUDE CURRENT ROW");
	else if (f & SQL_FRAME_EXCLUDE_GROUP)
		mur_buf_printf(e->b, " EXCLUDE GROUP");
	else if (f & SQL_FRAME_EXCLUDE_TIES)
		mur_buf_printf(e->b, " EXCLUDE TIES");
}

/* op(args) OVER (PARTITION BY ... ORDER BY ... frame), every part from
 * x->args as sql_window lays them out. */
static void emit_window(sql_emit *e, const sql_expr *x)
{
	const sql_window *w = x->win;
	int n = w->nfargs;
	mur_buf_printf(e->b, "%s(%s", x->op, w->star ? "*" : "");
	for (int i = 0; i < w->nfargs; i++) {
		mur_buf_printf(e->b, i ? ", " : "");
		sql_emit_expr(e, x->args[i]);
		/* SQLite's min/max compare by their argument's collation: by value */
		if (x->args[i]->type == MT_NUMERIC &&
		    (!strcmp(x->op, "min") || !strcmp(x->op, "max")))
			mur_buf_printf(e->b, " COLLATE " MUR_NUM_COLLATION);
	}
	mur_buf_printf(e->b, ") OVER (");
	for (int i = 0; i < w->npart; i++, n++) {
		mur_buf_printf(e->b, i ? ", " : "PARTITION BY ");
		sql_emit_key(e, x->args[n]); /* {1.0} and {1.00}: one partition */
	}
	for (int i = 0; i < w->norder; i++, n++) {
		mur_buf_printf(e->b, i ? ", " : w->npart ? " ORDER BY " : "ORDER BY ");
		if (x->args[n]->type == MT_NUMERIC && (w->start || w->end) &&
		    !(w->frame & (SQL_FRAME_ROWS | SQL_FRAME_GROUPS))) {
			emit_range_number(e, x->args[n]); /* RANGE offsets need numbers */
			mur_buf_printf(e->b, "%s%s", w->desc[i] ? " DESC" : " ASC",
				       w->nulls_first[i] ? " NULLS FIRST" : " NULLS LAST");
		} else {
			sql_emit_sort(e, x->args[n], w->desc[i], w->nulls_first[i]);
		}
	}
	emit_frame(e, w);
	mur_buf_put_u8(e->b, ')');
}

/* x [NOT] IN (...): the values are args[1..], or, for a list of integer
 * literals (parser/analyze_expr.c in_int_list), val holds their text, copied as
 * it is. */
static void emit_in(sql_emit *e, const sql_expr *x)
{
	mur_buf_put_u8(e->b, '(');
	sql_emit_expr(e, x->args[0]);
	mur_buf_printf(e->b, x->negate ? " NOT IN (" : " IN (");
	if (x->val.kind == MV_TEXT)
		mur_buf_put(e->b, x->val.s, x->val.len);
	else
		emit_args(e, x, 1, ", ");
	mur_buf_printf(e->b, "))");
}

void sql_emit_expr(sql_emit *e, const sql_expr *x)
{
	switch (x->kind) {
	case SE_CONST:
		sql_emit_value(e->b, &x->val);
		break;
	case SE_PARAM:
	case SE_SUBQ:
		mur_buf_printf(e->b, "?%d", x->param);
		break;
	case SE_COLUMN:
		emit_column(e, x);
		break;
	case SE_RAW:
		mur_buf_printf(e->b, "(%s)", x->op);
		break;
	case SE_SLOT:
		mur_buf_printf(e->b, "c%d%s", x->slot, slot_collate(x));
		break;
	case SE_OP:
		emit_op(e, x);
		break;
	case SE_BOOL:
		sql_emit_bool_list(e, x->op, x->args, x->nargs);
		break;
	case SE_CALL:
		emit_call(e, x);
		break;
	case SE_CASE:
		emit_case(e, x);
		break;
	case SE_IN:
		emit_in(e, x);
		break;
	case SE_BETWEEN:
		mur_buf_put_u8(e->b, '(');
		sql_emit_expr(e, x->args[0]);
		mur_buf_printf(e->b, x->negate ? " NOT BETWEEN " : " BETWEEN ");
		sql_emit_expr(e, x->args[1]);
		mur_buf_printf(e->b, " AND ");
		sql_emit_expr(e, x->args[2]);
		mur_buf_put_u8(e->b, ')');
		break;
	case SE_AGG:
		emit_agg(e, x);
		break;
	case SE_WINDOW:
		emit_window(e, x);
		break;
	}
}

int sql_nship(const sql_query *q)
{
	int n = 0;
	for (int i = 0; i < q->nrte; i++)
		n += q->rtes[i].ship != NULL;
	return n;
}

/* A subquery's rows shipped to the shard tasks (parser/analyze_ship.c):
 * the blob bound as its parameter, read by mur_subq_rows
 * (storage/subq_rows.c) as columns c0, c1, ...; SQLite flattens it into
 * the join, so an equality on one of its columns reaches the function,
 * which answers it from a hash of the rows (a hash join). */
static void emit_shipped(sql_emit *e, const sql_rte *r)
{
	mur_buf_printf(e->b, "(SELECT ");
	for (int i = 0; i < r->table->ncols; i++)
		mur_buf_printf(e->b, "%sc%d", i ? ", " : "", i);
	mur_buf_printf(e->b, " FROM mur_subq_rows(?%d, %d))", r->ship->param, r->table->ncols);
}

/* The driver's rte is slot 0 (rte 0 takes its place); a set-returning
 * function's rte (computed where the query runs: emit_srf.c) and shipped
 * rows (sql_rte.ship, a parameter) take none, the tables after them
 * moving down one. */
int sql_rte_slot(const sql_query *q, int i)
{
	int slot = i == q->driver ? 0 : i == 0 ? q->driver : i, n = 0;
	for (int s = 0; s < slot; s++) {
		const sql_rte *r = &q->rtes[s == 0 ? q->driver : s == q->driver ? 0 : s];
		n += !r->series && !r->ship;
	}
	return n;
}

/* VALUES lists (parser/analyze_values.c) as SQLite's, whose columns are
 * column1, column2, ... as the rte's table names them. */
static void emit_values(sql_emit *e, const sql_rte *r)
{
	int n = r->table->ncols;
	mur_buf_printf(e->b, "(VALUES ");
	for (int k = 0; k < r->nvalues; k++) {
		mur_buf_printf(e->b, k ? ", (" : "(");
		emit_args(e, &(sql_expr){.args = r->values + (size_t)k * (size_t)n, .nargs = n}, 0,
			  ", ");
		mur_buf_put_u8(e->b, ')');
	}
	mur_buf_put_u8(e->b, ')');
}

static void emit_table(sql_emit *e, const sql_query *q, int i)
{
	const sql_rte *r = &q->rtes[i];
	int slot = sql_rte_slot(q, i);
	if (r->values) {
		emit_values(e, r);
	} else if (r->rec) { /* WITH RECURSIVE (emit_recursive.c) */
		sql_emit_recursive(e, r);
	} else if (r->series) { /* emit_srf.c, emit_json_srf.c */
		if (!sql_emit_srf(e, r))
			sql_emit_json_srf(e, r);
	} else if (r->ship) {
		emit_shipped(e, r);
	} else if (r->table->kind == CAT_TABLE_VIRTUAL) {
		char name[CAT_NAME_MAX + 8];
		snprintf(name, sizeof name, "murphy_%s", r->table->name);
		mur_buf_printf(e->b, "main.");
		sql_emit_ident(e->b, name);
	} else {
		if (slot == 0)
			mur_buf_printf(e->b, "main.");
		else
			mur_buf_printf(e->b, "m%d.", slot);
		sql_emit_ident(e->b, r->table->name);
	}
	mur_buf_printf(e->b, " AS ");
	sql_emit_ident(e->b, r->alias);
}

void sql_emit_from(sql_emit *e, const sql_query *q)
{
	if (q->nrte == 0)
		return;
	mur_buf_printf(e->b, " FROM ");
	if (q->join_outer && q->nrte == 2) { /* the planner's loop order (plan_join_order.c) */
		int outer = q->join_outer - 1, inner = 1 - outer;
		emit_table(e, q, outer);
		mur_buf_printf(e->b, " CROSS JOIN ");
		emit_table(e, q, inner);
		if (q->rtes[1].on) {
			mur_buf_printf(e->b, " ON ");
			sql_emit_expr(e, q->rtes[1].on);
		}
		return;
	}
	for (int i = 0; i < q->nrte; i++) {
		const sql_rte *r = &q->rtes[i];
		if (i > 0)
			mur_buf_printf(e->b, !r->on                          ? ", "
					     : r->join_left && r->join_right ? " FULL JOIN "
					     : r->join_right                 ? " RIGHT JOIN "
					     : r->join_left                  ? " LEFT JOIN "
									     : " JOIN ");
		emit_table(e, q, i);
		if (i > 0 && r->on) {
			mur_buf_printf(e->b, " ON ");
			sql_emit_expr(e, r->on);
		}
	}
	if (q->unnest && q->unnest_json) { /* generate_series, several (analyze_srf_list.c) */
		mur_buf_printf(e->b, ", json_each(");
		sql_emit_expr(e, q->unnest);
		mur_buf_printf(e->b, ") AS " SQL_UNNEST_ALIAS);
	} else if (q->unnest && q->unnest_fn) { /* jsonb_array_elements(doc) & co. there */
		mur_buf_printf(e->b, ", json_each(mur_json_srf_arg(");
		sql_emit_expr(e, q->unnest);
		mur_buf_printf(e->b, ", '%s')) AS " SQL_UNNEST_ALIAS, q->unnest_fn);
	} else if (q->unnest) { /* unnest(a) in the select list (parser/analyze_unnest.c) */
		mur_buf_printf(e->b, ", json_each(mur_array_json(");
		sql_emit_expr(e, q->unnest);
		mur_buf_printf(e->b, ")) AS " SQL_UNNEST_ALIAS);
	}
}

void sql_emit_sort_col(mur_buf *b, int first, char prefix, int col, mur_type t, int desc,
		       int nulls_first)
{
	mur_buf_printf(b, "%s%c%d%s%s%s%s", first ? " ORDER BY " : ", ", prefix, col,
		       t == MT_NUMERIC        ? " COLLATE " MUR_NUM_COLLATION
		       : t == MT_JSONB        ? " COLLATE " MUR_JSONB_COLLATION
		       : t == MT_BPCHAR       ? " COLLATE " MUR_BPCHAR_COLLATION
		       : mur_type_is_array(t) ? " COLLATE " /* common/array.h */
					      : "",
		       mur_type_is_array(t) ? mur_arr_collation(t) : "", desc ? " DESC" : " ASC",
		       nulls_first ? " NULLS FIRST" : " NULLS LAST");
}

const char *sql_column_collate(mur_type t)
{
	return t == MT_NUMERIC  ? " COLLATE " MUR_NUM_COLLATION
	       : t == MT_BPCHAR ? " COLLATE " MUR_BPCHAR_COLLATION
				: "";
}

const char *sql_key_collate(mur_type t)
{
	if (t == MT_NUMERIC_ARRAY) /* element by element, by value */
		return " COLLATE " MUR_ARR_COLLATION_NUM;
	switch (mur_key_kind_of(t)) {
	case MUR_KEY_NUMERIC:
		return " COLLATE " MUR_NUM_COLLATION;
	case MUR_KEY_INTERVAL:
		return " COLLATE " MUR_IV_COLLATION;
	case MUR_KEY_JSONB:
		return " COLLATE " MUR_JSONB_COLLATION;
	case MUR_KEY_BPCHAR:
		return " COLLATE " MUR_BPCHAR_COLLATION;
	default:
		return "";
	}
}

void sql_emit_key(sql_emit *e, const sql_expr *x)
{
	const char *coll = sql_key_collate(x->type);
	int paren = *coll && x->kind != SE_COLUMN; /* COLLATE binds tighter than + */
	if (paren)
		mur_buf_put_u8(e->b, '(');
	sql_emit_expr(e, x);
	mur_buf_printf(e->b, "%s%s", paren ? ")" : "", coll);
}

void sql_emit_sort(sql_emit *e, const sql_expr *x, int desc, int nulls_first)
{
	sql_emit_expr(e, x);
	if (x->type == MT_NUMERIC) /* by value: storage/sqlfn_numeric.c */
		mur_buf_printf(e->b, " COLLATE " MUR_NUM_COLLATION);
	else if (x->type == MT_JSONB) /* jsonb's ordering: storage/sqlfn_json.c */
		mur_buf_printf(e->b, " COLLATE " MUR_JSONB_COLLATION);
	else if (x->type == MT_BPCHAR) /* 'a' sorts with 'a  ': common/bpchar.h */
		mur_buf_printf(e->b, " COLLATE " MUR_BPCHAR_COLLATION);
	else if (mur_type_is_array(x->type)) /* element-wise: common/array.h */
		mur_buf_printf(e->b, " COLLATE %s", mur_arr_collation(x->type));
	mur_buf_printf(e->b, "%s%s", desc ? " DESC" : " ASC",
		       nulls_first ? " NULLS FIRST" : " NULLS LAST");
}

const char *sql_buf_finish(sql_ctx *c, mur_buf *b)
{
	char *s;
	if (!mur_buf_ok(b)) {
		mur_buf_free(b);
		sql_err_oom(c);
		return NULL;
	}
	s = sql_arena_strndup(c->arena, b->data ? b->data : "", b->len);
	mur_buf_free(b);
	if (!s)
		sql_err_oom(c);
	return s;
}
