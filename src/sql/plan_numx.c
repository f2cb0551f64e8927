/*
 * plan_numx.c — a numeric aggregate argument as an expression the
 * follower's hash aggregate evaluates (wire/task.h's exec_numx,
 * ops/numx.h), instead of SQLite calling mur_num_mul & co. per row and
 * printing each intermediate result as TEXT for the aggregate to parse
 * again: TPC-H's Q1 sums l_extendedprice * (1 - l_discount) * (1 + l_tax).
 *
 * What compiles: a tree of the analyzer's numeric operator calls
 * (mur_num_add, mur_num_sub, mur_num_mul with two operands, mur_num_neg
 * with one; analyze_expr.c's numeric_arith and unary) whose leaves are
 * integer constants, numeric constants of at most 18 digits (scale kept:
 * 1.50 has scale 2), or any other expression of numeric or integer type,
 * which stays in the shard SQL as a column of its own (a column, a cast,
 * a parameter).  Division and modulo round or fail and stay in SQLite, as
 * does anything past EXEC_NUMX_OPS_MAX steps.
 */
#include "sql/sqlInt.h"

#include <string.h>

typedef struct numx_build {
	exec_numx *x;
	sql_expr **leaves; /* EXEC_NUMX_OPS_MAX */
	int nleaves;
} numx_build;

static int push(numx_build *b, uint8_t op, uint8_t scale, int64_t arg)
{
	if (b->x->nops >= EXEC_NUMX_OPS_MAX)
		return 0;
	b->x->ops[b->x->nops++] = (exec_numx_op){.op = op, .scale = scale, .arg = arg};
	return 1;
}

/* The operator of a numeric call x; 0 when x is none of them. */
static uint8_t opcode(const sql_expr *x)
{
	if (x->kind != SE_CALL || x->type != MT_NUMERIC)
		return 0;
	if (x->nargs == 2 && !strcmp(x->op, "mur_num_add"))
		return EXEC_NUMX_ADD;
	if (x->nargs == 2 && !strcmp(x->op, "mur_num_sub"))
		return EXEC_NUMX_SUB;
	if (x->nargs == 2 && !strcmp(x->op, "mur_num_mul"))
		return EXEC_NUMX_MUL;
	if (x->nargs == 1 && !strcmp(x->op, "mur_num_neg"))
		return EXEC_NUMX_NEG;
	return 0;
}

/* A numeric constant's text as mantissa and scale: [-]digits[.digits], at
 * most 18 digits. */
static int const_text(const mur_value *v, int64_t *m, uint8_t *scale)
{
	const char *p = v->s, *e = v->s + v->len;
	int neg = 0, nd = 0, frac = -1;
	int64_t x = 0;
	if (p < e && *p == '-')
		neg = 1, p++;
	for (; p < e; p++) {
		if (*p == '.' && frac < 0) {
			frac = 0;
			continue;
		}
		if (*p < '0' || *p > '9' || ++nd > EXEC_NUMX_SCALE_MAX)
			return 0;
		x = x * 10 + (*p - '0');
		frac += frac >= 0;
	}
	*m = neg ? -x : x;
	*scale = (uint8_t)(frac < 0 ? 0 : frac);
	return nd > 0;
}

static int leaf(numx_build *b, sql_expr *x)
{
	int64_t m;
	uint8_t scale;
	if (x->kind == SE_CONST && x->val.kind == MV_INT && mur_type_is_integer(x->type))
		return push(b, EXEC_NUMX_CONST, 0, x->val.i);
	if (x->kind == SE_CONST && x->type == MT_NUMERIC && x->val.kind == MV_TEXT &&
	    const_text(&x->val, &m, &scale))
		return push(b, EXEC_NUMX_CONST, scale, m);
	if (x->kind == SE_CONST || (x->type != MT_NUMERIC && !mur_type_is_integer(x->type)))
		return 0;
	for (int i = 0; i < b->nleaves; i++)
		if (sql_expr_equal(b->leaves[i], x))
			return push(b, EXEC_NUMX_COL, 0, i);
	if (b->nleaves >= EXEC_NUMX_OPS_MAX)
		return 0;
	b->leaves[b->nleaves] = x;
	return push(b, EXEC_NUMX_COL, 0, b->nleaves++);
}

static int walk(numx_build *b, sql_expr *x)
{
	uint8_t op = opcode(x);
	if (!op)
		return leaf(b, x);
	for (int i = 0; i < x->nargs; i++)
		if (!walk(b, x->args[i]))
			return 0;
	return push(b, op, 0, 0);
}

int sql_numx_compile(sql_expr *x, exec_numx *out, sql_expr **leaves, int *nleaves)
{
	numx_build b = {out, leaves, 0};
	memset(out, 0, sizeof *out);
	if (!opcode(x) || !walk(&b, x))
		return 0;
	*nleaves = b.nleaves;
	return 1;
}
