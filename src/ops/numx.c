/*
 * numx.c — numeric expressions in the hash aggregate (contract in numx.h).
 *
 * The program is postfix (wire/task.h's exec_numx): a stack of operands,
 * EXEC_NUMX_OPS_MAX deep at most.  The fast way keeps (__int128 mantissa,
 * scale) pairs and gives up (NUMX_SLOW) at the first operand that is not
 * short plain text or an INT, at a scale past NUMX_FAST_SCALE_MAX and at
 * any 128-bit overflow; the caller then runs the exact way, GMP from the
 * first operand, which is what the SQLite functions do for such values.
 * Both give the same value at the same scale, so the sum the aggregate
 * prints is the text PostgreSQL prints.
 */
#include "ops/numx.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define P9 ((__int128)1000000000)
#define P18 (P9 * P9)
const __int128 numx_pow10[39] = {
	1,
	10,
	100,
	1000,
	10000,
	100000,
	1000000,
	10000000,
	100000000,
	P9,
	P9 * 10,
	P9 * 100,
	P9 * 1000,
	P9 * 10000,
	P9 * 100000,
	P9 * 1000000,
	P9 * 10000000,
	P9 * 100000000,
	P18,
	P18 * 10,
	P18 * 100,
	P18 * 1000,
	P18 * 10000,
	P18 * 100000,
	P18 * 1000000,
	P18 * 10000000,
	P18 * 100000000,
	P18 *P9,
	P18 *P9 * 10,
	P18 *P9 * 100,
	P18 *P9 * 1000,
	P18 *P9 * 10000,
	P18 *P9 * 100000,
	P18 *P9 * 1000000,
	P18 *P9 * 10000000,
	P18 *P9 * 100000000,
	P18 *P18,
	P18 *P18 * 10,
	P18 *P18 * 100,
};

int numx_row_init(numx_row *r, uint32_t ncols)
{
	size_t n = ncols ? ncols : 1;
	memset(r, 0, sizeof *r);
	r->seen = calloc(n, sizeof *r->seen);
	r->ok = calloc(n, sizeof *r->ok);
	r->col = calloc(n, sizeof *r->col);
	r->ncols = (uint32_t)n;
	r->gen = 1; /* seen[] starts at 0: nothing parsed */
	return r->seen && r->ok && r->col ? MUR_OK : MUR_ENOMEM;
}

void numx_row_free(numx_row *r)
{
	free(r->seen);
	free(r->ok);
	free(r->col);
	memset(r, 0, sizeof *r);
}

int exec_numx_validate(const exec_numx *x, uint32_t ncols_in, mur_error *err)
{
	int depth = 0;
	if (x->nops == 0 || x->nops > EXEC_NUMX_OPS_MAX)
		return mur_error_set(err, SQLSTATE_INTERNAL_ERROR, "numeric expression of %u steps",
				     x->nops);
	for (uint32_t k = 0; k < x->nops; k++) {
		const exec_numx_op *o = &x->ops[k];
		switch (o->op) {
		case EXEC_NUMX_COL:
			if (o->arg < 0 || (uint64_t)o->arg >= ncols_in)
				return mur_error_set(err, SQLSTATE_INTERNAL_ERROR,
						     "numeric expression reads column %lld of %u",
						     (long long)o->arg, ncols_in);
			depth++;
			break;
		case EXEC_NUMX_CONST:
			if (o->scale > EXEC_NUMX_SCALE_MAX)
				return mur_error_set(err, SQLSTATE_INTERNAL_ERROR,
						     "numeric expression constant of scale %u",
						     o->scale);
			depth++;
			break;
		case EXEC_NUMX_ADD:
		case EXEC_NUMX_SUB:
		case EXEC_NUMX_MUL:
			if (depth < 2)
				goto malformed;
			depth--;
			break;
		case EXEC_NUMX_NEG:
			if (depth < 1)
				goto malformed;
			break;
		default:
			return mur_error_set(err, SQLSTATE_INTERNAL_ERROR,
					     "unknown numeric expression step %u", o->op);
		}
	}
	if (depth == 1)
		return MUR_OK;
malformed:
	return mur_error_set(err, SQLSTATE_INTERNAL_ERROR, "malformed numeric expression");
}

int exec_numx_is_null(const exec_numx *x, const mur_value *vals)
{
	for (uint32_t k = 0; k < x->nops; k++)
		if (x->ops[k].op == EXEC_NUMX_COL && vals[x->ops[k].arg].kind == MV_NULL)
			return 1;
	return 0;
}

#define NUMX_I128_MIN ((__int128)((unsigned __int128)1 << 127))

typedef struct fixed {
	__int128 m;
	int32_t scale;
} fixed;

/* Does x fit an int64?  Then a product or sum of two such never
 * overflows 128 bits, and the checks can go (the common case: prices). */
static inline int fits64(__int128 x) { return x == (int64_t)x; }

/* a and b at the larger of their scales; 0 on overflow. */
static inline int align(fixed *a, fixed *b)
{
	if (a->scale == b->scale)
		return 1;
	if (a->scale < b->scale) {
		if (!exec_numx_scale_up(a->m, b->scale - a->scale, &a->m))
			return 0;
		a->scale = b->scale;
	} else {
		if (!exec_numx_scale_up(b->m, a->scale - b->scale, &b->m))
			return 0;
		b->scale = a->scale;
	}
	return 1;
}

/* a op b into *a; 0 when it leaves the fast path. */
static inline int fixed_apply(uint8_t op, fixed *a, fixed b)
{
	switch (op) {
	case EXEC_NUMX_ADD:
		if (!align(a, &b))
			return 0;
		if (fits64(a->m) && fits64(b.m))
			return a->m += b.m, 1;
		return !__builtin_add_overflow(a->m, b.m, &a->m);
	case EXEC_NUMX_SUB:
		if (!align(a, &b))
			return 0;
		if (fits64(a->m) && fits64(b.m))
			return a->m -= b.m, 1;
		return !__builtin_sub_overflow(a->m, b.m, &a->m);
	default: /* EXEC_NUMX_MUL */
		a->scale += b.scale;
		if (a->scale > NUMX_FAST_SCALE_MAX)
			return 0;
		if (fits64(a->m) && fits64(b.m))
			return a->m = (__int128)(int64_t)a->m * (int64_t)b.m, 1;
		return !__builtin_mul_overflow(a->m, b.m, &a->m);
	}
}

numx_outcome exec_numx_fast(const exec_numx *x, numx_row *r, __int128 *m, int32_t *scale)
{
	fixed st[EXEC_NUMX_OPS_MAX];
	const numx_fixed *c;
	int n = 0;
	for (uint32_t k = 0; k < x->nops; k++) {
		const exec_numx_op *o = &x->ops[k];
		switch (o->op) {
		case EXEC_NUMX_COL:
			if (!(c = numx_row_col(r, (uint32_t)o->arg)))
				return exec_numx_is_null(x, r->vals) ? NUMX_NULL : NUMX_SLOW;
			st[n].m = c->m;
			st[n++].scale = c->scale;
			break;
		case EXEC_NUMX_CONST:
			st[n].m = o->arg;
			st[n++].scale = o->scale;
			break;
		case EXEC_NUMX_NEG:
			if (st[n - 1].m ==
			    NUMX_I128_MIN) /* -2^127 = 2^63 * -2^64 has no negation */
				return exec_numx_is_null(x, r->vals) ? NUMX_NULL : NUMX_SLOW;
			st[n - 1].m = -st[n - 1].m; /* -0 is 0 */
			break;
		default:
			n--;
			if (!fixed_apply(o->op, &st[n - 1], st[n]))
				return exec_numx_is_null(x, r->vals) ? NUMX_NULL : NUMX_SLOW;
			break;
		}
	}
	*m = st[0].m;
	*scale = st[0].scale;
	return NUMX_FAST;
}

static int exact_step(const exec_numx_op *o, mur_num *st, int *n, const mur_value *vals,
		      mur_error *err)
{
	mur_num *a, *b;
	switch (o->op) {
	case EXEC_NUMX_COL:
		return mur_num_from_value(&st[(*n)++], &vals[o->arg], err);
	case EXEC_NUMX_CONST:
		mur_num_set_int(&st[*n], o->arg);
		st[(*n)++].scale = o->scale;
		return MUR_OK;
	case EXEC_NUMX_NEG:
		mpz_neg(st[*n - 1].m, st[*n - 1].m);
		return MUR_OK;
	default:
		break;
	}
	(*n)--;
	a = &st[*n - 1];
	b = &st[*n];
	if (o->op == EXEC_NUMX_ADD)
		mur_num_add(a, a, b);
	else if (o->op == EXEC_NUMX_SUB)
		mur_num_sub(a, a, b);
	else
		mur_num_mul(a, a, b);
	return MUR_OK;
}

int exec_numx_exact(const exec_numx *x, const mur_value *vals, mur_num *out, int *is_null,
		    mur_error *err)
{
	mur_num st[EXEC_NUMX_OPS_MAX + 1];
	int n = 0, rc = MUR_OK;
	*is_null = exec_numx_is_null(x, vals);
	if (*is_null)
		return MUR_OK;
	for (int i = 0; i <= EXEC_NUMX_OPS_MAX; i++)
		mur_num_init(&st[i]);
	for (uint32_t k = 0; k < x->nops && rc == MUR_OK; k++)
		rc = exact_step(&x->ops[k], st, &n, vals, err);
	if (rc == MUR_OK)
		rc = mur_num_check(&st[0], err); /* the result only: see numx.h */
	if (rc == MUR_OK)
		mur_num_set(out, &st[0]);
	for (int i = 0; i <= EXEC_NUMX_OPS_MAX; i++)
		mur_num_clear(&st[i]);
	return rc;
}

/* One operand's text: a constant with its scale. */
static void describe_const(const exec_numx_op *o, char *out, size_t n)
{
	char digits[32];
	uint64_t u = o->arg < 0 ? (uint64_t)0 - (uint64_t)o->arg : (uint64_t)o->arg;
	int nd = snprintf(digits, sizeof digits, "%0*llu", o->scale + 1, (unsigned long long)u);
	if (!o->scale)
		snprintf(out, n, "%s%s", o->arg < 0 ? "-" : "", digits);
	else
		snprintf(out, n, "%s%.*s.%s", o->arg < 0 ? "-" : "", nd - o->scale, digits,
			 digits + nd - o->scale);
}

void exec_numx_describe(const exec_numx *x, char *out, size_t outsz)
{
	char st[EXEC_NUMX_OPS_MAX][NUMX_DESCRIBE_BYTES], tmp[NUMX_DESCRIBE_BYTES];
	static const char *const sym[] =
		{[EXEC_NUMX_ADD] = "+", [EXEC_NUMX_SUB] = "-", [EXEC_NUMX_MUL] = "*"};
	int n = 0;
	for (uint32_t k = 0; k < x->nops && k < EXEC_NUMX_OPS_MAX; k++) {
		const exec_numx_op *o = &x->ops[k];
		if (o->op == EXEC_NUMX_COL)
			snprintf(st[n++], sizeof st[0], "c%lld", (long long)o->arg);
		else if (o->op == EXEC_NUMX_CONST)
			describe_const(o, st[n++], sizeof st[0]);
		else if (o->op == EXEC_NUMX_NEG && n >= 1) {
			snprintf(tmp, sizeof tmp, "(- %s)", st[n - 1]);
			memcpy(st[n - 1], tmp, sizeof tmp);
		} else if (o->op >= EXEC_NUMX_ADD && o->op <= EXEC_NUMX_MUL && n >= 2) {
			snprintf(tmp, sizeof tmp, "(%s %s %s)", st[n - 2], sym[o->op], st[n - 1]);
			memcpy(st[--n - 1], tmp, sizeof tmp);
		}
	}
	snprintf(out, outsz, "%s", n == 1 ? st[0] : "?");
}
