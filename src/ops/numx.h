/*
 * numx.h — a numeric expression (wire/task.h's exec_numx: + - * and unary
 * minus over a row's columns and constants) evaluated by the hash
 * aggregate, exactly as storage/sqlfn_numeric.c's mur_num_add/sub/mul/neg
 * would compute it in SQLite, without printing the result as text.
 *
 * Two ways, same value:
 *   fast   every operand a plain decimal of at most NUMX_FAST_DIGITS digits
 *          (or an INT) and every step fitting an __int128 mantissa: the
 *          result as (mantissa, scale).  TPC-H's prices and rates always.
 *   exact  GMP (common/numeric.h) from the start; the result checked
 *          against numeric's limits (22003), not each step: PostgreSQL's
 *          limits are far beyond murphy's, so x * x - x * x of a 600-digit
 *          x is 0 there, and here (each SQLite call checked its own result
 *          and failed); a step's size stays bounded by the operands (at
 *          most 9 of at most 2001 digits).  Any operand text
 *          mur_num_from_value takes.
 * Scales are PostgreSQL's: + and - the larger operand scale, * their sum,
 * so sum(price * (1 - discount)) has the scale PostgreSQL gives it.
 * An expression with a NULL operand is NULL (the functions are strict).
 */
#ifndef OPS_NUMX_H
#define OPS_NUMX_H

#include "common/error.h"
#include "common/numeric.h"
#include "common/value.h"
#include "wire/task.h"

#include <stddef.h>
#include <stdint.h>
#include <string.h>

/* Digits of an operand the fast way takes: 10^36 * 100 < 2^127 (room to
 * add); a longer one, or a step that overflows 128 bits or a scale past
 * NUMX_FAST_SCALE_MAX, goes exact. */
#define NUMX_FAST_DIGITS 36
#define NUMX_FAST_SCALE_MAX 38

typedef enum numx_outcome {
	NUMX_NULL = 0, /* an operand is NULL: so is the expression */
	NUMX_FAST = 1, /* *m, *scale hold the value */
	NUMX_SLOW = 2, /* not on the fast path: call exec_numx_exact */
} numx_outcome;

/* 10^k for 0 <= k <= 38 (numx.c). */
extern const __int128 numx_pow10[39];

/* m * 10^k into *out (0 <= k); 0 when it overflows 128 bits. */
static inline int exec_numx_scale_up(__int128 m, int k, __int128 *out)
{
	if (k > 38)
		return m == 0 ? (*out = 0, 1) : 0;
	return !__builtin_mul_overflow(m, numx_pow10[k], out);
}

/* v as mantissa and scale when it is plain [-]digits[.digits] TEXT of at
 * most NUMX_FAST_DIGITS digits, or an INT; 0 otherwise (NULL included). */
static inline int exec_numx_parse_fast(const mur_value *v, __int128 *m, int32_t *scale)
{
	if (v->kind == MV_INT) {
		*m = v->i;
		*scale = 0;
		return 1;
	}
	if (v->kind != MV_TEXT || v->len == 0 || v->len > NUMX_FAST_DIGITS + 2)
		return 0;
	const char *p = v->s, *e = v->s + v->len, *dot = NULL;
	int neg = *p == '-';
	uint64_t hi = 0; /* the first 18 digits, then the rest in x */
	__int128 x;
	int nd = 0;
	p += neg;
	for (; p < e && nd < 18; p++) {
		unsigned d = (unsigned)(*p - '0');
		if (d > 9) {
			if (*p != '.' || dot)
				return 0;
			dot = p;
			continue;
		}
		hi = hi * 10 + d;
		nd++;
	}
	x = hi;
	for (; p < e; p++) {
		unsigned d = (unsigned)(*p - '0');
		if (d > 9) {
			if (*p != '.' || dot)
				return 0;
			dot = p;
			continue;
		}
		x = x * 10 + d;
		nd++;
	}
	if (!nd || nd > NUMX_FAST_DIGITS)
		return 0;
	*m = neg ? -x : x;
	*scale = dot ? (int32_t)(e - dot - 1) : 0;
	return 1;
}

/* A row's columns as the fast way reads them, each parsed at most once
 * per row: TPC-H's Q1 reads l_extendedprice in three aggregates. */
typedef struct numx_fixed {
	__int128 m;
	int32_t scale;
} numx_fixed;

typedef struct numx_row {
	const mur_value *vals; /* the row */
	uint32_t gen;          /* the row's number: column c is parsed when seen[c] == gen */
	uint32_t ncols;
	uint32_t *seen;
	uint8_t *ok;     /* parsed the fast way */
	numx_fixed *col; /* its value when ok */
} numx_row;

/* Room for rows of ncols values: MUR_OK or MUR_ENOMEM.  Free with
 * numx_row_free (also after a failed init). */
int numx_row_init(numx_row *r, uint32_t ncols);
void numx_row_free(numx_row *r);

/* The next row. */
static inline void numx_row_start(numx_row *r, const mur_value *vals)
{
	r->vals = vals;
	if (++r->gen == 0) { /* 2^32 rows: no column may look parsed */
		memset(r->seen, 0, sizeof *r->seen * r->ncols);
		r->gen = 1;
	}
}

/* Column c of the row the fast way; NULL when it is not short plain
 * text or an INT (NULL included). */
static inline const numx_fixed *numx_row_col(numx_row *r, uint32_t c)
{
	if (r->seen[c] != r->gen) {
		r->seen[c] = r->gen;
		r->ok[c] = (uint8_t)exec_numx_parse_fast(&r->vals[c], &r->col[c].m,
							 &r->col[c].scale);
	}
	return r->ok[c] ? &r->col[c] : NULL;
}

/* Check x against rows of ncols_in values: known ops, columns in range,
 * constants' scales, a stack that never underflows and ends with one
 * value, at most EXEC_NUMX_OPS_MAX deep.  Fills err (XX000: a planner
 * bug). */
int exec_numx_validate(const exec_numx *x, uint32_t ncols_in, mur_error *err);

/* Does x read a NULL column of vals? */
int exec_numx_is_null(const exec_numx *x, const mur_value *vals);

/* The fast way (see above) over the current row of r.  x must have
 * passed exec_numx_validate. */
numx_outcome exec_numx_fast(const exec_numx *x, numx_row *r, __int128 *m, int32_t *scale);

/* The exact way into out (initialized by the caller): MUR_OK, or an
 * error in err (22P02 for an operand that is no number, 22003 past
 * numeric's limits).  *is_null set when an operand is NULL (out
 * untouched). */
int exec_numx_exact(const exec_numx *x, const mur_value *vals, mur_num *out, int *is_null,
		    mur_error *err);

/* x as infix text for EXPLAIN ("(c3 * (1 - c4))": column i of the
 * aggregate's input is ci), cut to outsz bytes. */
#define NUMX_DESCRIBE_BYTES 256
void exec_numx_describe(const exec_numx *x, char *out, size_t outsz);

#endif
