/*
 * analyze_regex.c — substring's regular expression forms and SIMILAR TO:
 *
 *   substring(s FROM p)              mur_regex_substring(s, p): the first
 *                                    group's match, else the match
 *   substring(s FROM p FOR e)        mur_similar_substring(s, p, e): SQL's
 *   substring(s SIMILAR p ESCAPE e)  regular expression (the same call)
 *   s [NOT] SIMILAR TO p [ESCAPE e]  mur_similar_to(s, p, e), e '\' when
 *                                    not given
 *
 * (storage/sqlfn_regex_set.c, storage/sqlfn_similar.c.)  substring's
 * grammar gives a call of two or three arguments; PostgreSQL picks the
 * text versions when none of the arguments after the string is an integer
 * (an untyped literal reads as text): substring('foobar' FROM '2') is a
 * pattern, substring('foobar' FROM 2) a position.  A character(n) string
 * loses its padding in substring (a cast to text) but keeps it in SIMILAR
 * TO (PostgreSQL's bpchar ~ operator).
 */
#include "parser/analyze.h"

#include <string.h>

static int text_like(const sql_expr *e)
{
	return e->type == MT_UNKNOWN || mur_type_is_text(e->type);
}

int sql_regex_substring(sql_ctx *c, sql_expr **args, int n, int loc, sql_expr **out)
{
	sql_expr *a[3];
	if (n < 2 || n > 3)
		return 0;
	for (int i = 0; i < n; i++)
		if (!text_like(args[i]))
			return 0;
	for (int i = 0; i < n; i++)
		if (!(a[i] = sql_coerce(c, args[i], MT_TEXT, NULL))) /* char(n): unpadded */
			return *out = NULL, 1;
	*out = n == 2 ? sql_make_call(c, "mur_regex_substring", MT_TEXT, loc, 2, a[0], a[1])
		      : sql_make_call(c, "mur_similar_substring", MT_TEXT, loc, 3, a[0], a[1],
				      a[2]);
	return 1;
}

sql_expr *sql_similar_to(sql_ctx *c, PgQuery__AExpr *x, int negate)
{
	PgQuery__Node *pat = x->rexpr;
	PgQuery__FuncCall *f = pat->node_case == PG_QUERY__NODE__NODE_FUNC_CALL ? pat->func_call
										: NULL;
	sql_expr *s, *p, *e, *r;
	if (!f || f->n_args < 1 || f->n_args > 2) {
		sql_err(c, SQLSTATE_FEATURE_NOT_SUPPORTED, x->location,
			"murphy does not support this form of SIMILAR TO");
		return NULL;
	}
	if (!(s = sql_analyze_expr(c, x->lexpr)) || !(p = sql_analyze_expr(c, f->args[0])))
		return NULL;
	e = f->n_args == 2 ? sql_analyze_expr(c, f->args[1]) : sql_make_const_text(c, "\\");
	if (!e)
		return NULL;
	if (!text_like(s) || !text_like(p) || !text_like(e)) {
		sql_err(c, SQLSTATE_UNDEFINED_FUNCTION, x->location,
			"operator does not exist: %s ~ %s", sql_type_name(s->type),
			sql_type_name(p->type));
		return NULL;
	}
	if (!(s = sql_coerce(c, sql_bpchar_padded(c, s), MT_TEXT, NULL)) ||
	    !(p = sql_coerce(c, p, MT_TEXT, NULL)) || !(e = sql_coerce(c, e, MT_TEXT, NULL)))
		return NULL;
	r = sql_make_call(c, "mur_similar_to", MT_BOOL, x->location, 3, s, p, e);
	return (r && negate) ? sql_make_op(c, "NOT", MT_BOOL, x->location, r, NULL) : r;
}
