/*
 * analyze_bpchar.c — character(n) in expressions, as PostgreSQL's bpchar
 * operators and casts behave (common/bpchar.h: values are stored padded).
 *
 *   comparison   bpchar with bpchar, varchar or a literal ignores trailing
 *                spaces ('a'::char(3) = 'a'::varchar): the comparison
 *                names SQLite's RTRIM collation unless a char(n) column
 *                already brings it (shard columns are declared with it);
 *                bpchar with text compares as text, the bpchar side
 *                without its padding (PostgreSQL casts it to text); an
 *                equality of two columns compares bytes of one length
 *                (column_pair: SQLite's Bloom filter).
 *   to text      a cast to text or varchar, and so every text function's
 *                argument and ||, drops the padding (sql_make_cast: rtrim);
 *   padded       LIKE, octet_length and concat() see the padding
 *                (sql_bpchar_padded: the value retyped as text, unchanged).
 *   sets         a subquery's set or pairs (storage/sqlfn_subq.c compares
 *                bytes): both the probe and the set's column without their
 *                trailing spaces (sql_set_keys_bpchar).
 */
#include "parser/analyze.h"
#include "common/bpchar.h"

#include <string.h>

sql_expr *sql_bpchar_padded(sql_ctx *c, sql_expr *e)
{
	sql_expr *n;
	if (!e || e->type != MT_BPCHAR)
		return e;
	n = sql_alloc(c, sizeof *n);
	if (!n)
		return NULL;
	*n = *e;
	n->type = MT_TEXT;
	n->typmod = -1;
	return n;
}

/* Does x bring the RTRIM collation into a comparison by itself? */
static int has_rtrim(const sql_expr *x)
{
	return (x->kind == SE_COLUMN || x->kind == SE_SLOT) && x->type == MT_BPCHAR;
}

static sql_expr *collate(sql_ctx *c, sql_expr *x)
{
	sql_expr *e = sql_make_op(c, "COLLATE " MUR_BPCHAR_COLLATION, x->type, x->loc, x, NULL);
	if (e) {
		e->postfix = 1;
		e->typmod = x->typmod;
	}
	return e;
}

/* Stored length of a char(n) column (its values are padded to n), 0 when
 * not known. */
static int32_t padded_len(const sql_expr *x)
{
	return x->type == MT_BPCHAR && x->typmod > 0 ? x->typmod : 0;
}

/* col = col with a char(n) column: SQLite 3.40 joins two columns through
 * an automatic index whose Bloom filter hashes a string's length whatever
 * the collation (RTRIM or not), so 'a   ' never meets 'a     ' or 'a'.
 * Unless both are char(n) of one n, the other side becomes the probe
 * mur_bpchar_key(x, n): without its trailing spaces, padded to n — the
 * bytes the char(n) column stores when the values are equal. */
static int column_pair(sql_ctx *c, sql_expr **l, sql_expr **r, int loc)
{
	int32_t nl = padded_len(*l), nr = padded_len(*r);
	sql_expr **probe;
	int32_t n;
	if (nl && nl == nr)
		return MUR_OK;
	if (!nl && !nr) /* character without a length: no fixed stored length */
		return MUR_OK;
	probe = nl >= nr ? r : l;
	n = nl >= nr ? nl : nr;
	*probe = sql_make_call(c, "mur_bpchar_key", MT_BPCHAR, loc, 2, *probe,
			       sql_make_const_int(c, n, MT_INT4));
	return *probe ? MUR_OK : MUR_ERR;
}

int sql_bpchar_compare_keys(sql_ctx *c, const char *op, sql_expr **l, sql_expr **r, int loc)
{
	mur_type lt = (*l)->type, rt = (*r)->type;
	if (lt != MT_BPCHAR && rt != MT_BPCHAR)
		return MUR_OK;
	if (lt == MT_TEXT || rt == MT_TEXT) { /* text semantics, padding dropped */
		sql_expr **b = lt == MT_BPCHAR ? l : r;
		*b = sql_make_cast(c, *b, MT_TEXT, loc);
		return *b ? MUR_OK : MUR_ERR;
	}
	if (!mur_type_is_text(lt) || !mur_type_is_text(rt))
		return MUR_OK;
	/* SQLite: an explicit COLLATE wins, else the left column's, else the
	 * right column's */
	if (!strcmp(op, "=") && (*l)->kind == SE_COLUMN && (*r)->kind == SE_COLUMN)
		return column_pair(c, l, r, loc);
	if (has_rtrim(*l) || ((*l)->kind != SE_COLUMN && (*l)->kind != SE_SLOT && has_rtrim(*r)))
		return MUR_OK;
	if (has_rtrim(*r) && (!strcmp(op, "=") || !strcmp(op, "<>"))) { /* v = c: c = v */
		sql_expr *t = *l;
		*l = *r;
		*r = t;
		return MUR_OK;
	}
	if ((*r)->kind != SE_COLUMN && (*r)->kind != SE_SLOT && (*r)->kind != SE_CONST &&
	    (*r)->kind != SE_PARAM)
		*r = collate(c, *r);
	else
		*l = collate(c, *l);
	return (*l && *r) ? MUR_OK : MUR_ERR;
}

int sql_set_keys_bpchar(sql_ctx *c, sql_expr **x, sql_expr **y, int loc)
{
	if (((*x)->type != MT_BPCHAR && (*y)->type != MT_BPCHAR) || !mur_type_is_text((*x)->type) ||
	    !mur_type_is_text((*y)->type))
		return MUR_OK;
	*x = sql_make_call(c, "rtrim", MT_TEXT, loc, 1, *x);
	*y = *x ? sql_make_call(c, "rtrim", MT_TEXT, loc, 1, *y) : NULL;
	return *x && *y ? MUR_OK : MUR_ERR;
}

const sql_expr *sql_equated_column(const sql_expr *x)
{
	if (x->kind == SE_CALL && x->nargs == 2 && !strcmp(x->op, "mur_bpchar_key"))
		x = x->args[0];
	return x->kind == SE_COLUMN ? x : NULL;
}
