/*
 * analyze_ordagg.c — the collecting aggregates: string_agg(x, delim
 * [ORDER BY k]) with DISTINCT, and the ordered-set aggregates
 * percentile_cont(f), percentile_disc(f) and mode() WITHIN GROUP (ORDER BY x).
 *
 * Each becomes one SE_AGG node whose args are the value, the delimiter or
 * fraction (a NULL constant for mode), then the sort keys (x for the
 * ordered-set ones; string_agg's ORDER BY expressions, x with DISTINCT
 * alone, none: arrival order), and agg_flags for each key's DESC and
 * NULLS FIRST and for DISTINCT.  They do not split into partials: sql/plan_select.c sends
 * the rows to the leader (plan_grouping.c's rows way), where
 * storage/sqlfn_agg.c collects and sorts each group.  Types are
 * PostgreSQL's: string_agg(text, text) text (varchar, char(n) as text), percentile_cont float8 over a
 * number, percentile_disc and mode the type of x.  Over an array of
 * fractions (float8[], any array of numbers cast to it) percentile_cont
 * answers float8[] and percentile_disc an array of x's type, one element
 * per fraction in the fractions' shape (SQL_AGG_FRACTIONS; percentile_disc's
 * value goes as a one-element array, NULL for a NULL x, for storage to pick
 * elements from).  array_agg(x) sends x as a one-element array; over
 * arrays x itself (SQL_AGG_OF_ARRAYS: the answer has one more dimension).
 * An array sort key goes as mur_array_sortkey(key, elem), a numeric one as
 * mur_num_sortkey(key) (the array {key}) (SQL_AGG_ORDER_ARRAY(k)), so the
 * sort and DISTINCT compare them by value, not by their text's bytes.  Refused: more than SQL_AGG_KEYS_MAX sort keys (0A000),
 * DISTINCT with an ORDER BY other than the argument (42P10).
 */
#include "parser/analyze.h"

#include <string.h>

int sql_collecting_agg_kind(const char *name)
{
	static const struct {
		const char *name;
		int fn;
	} aggs[] = {
		{"string_agg", SQL_AGG_STRING_AGG},
		{"percentile_cont", SQL_AGG_PERCENTILE_CONT},
		{"percentile_disc", SQL_AGG_PERCENTILE_DISC},
		{"mode", SQL_AGG_MODE},
		{"json_agg", SQL_AGG_JSON_AGG},
		{"jsonb_agg", SQL_AGG_JSONB_AGG},
		{"json_object_agg", SQL_AGG_JSON_OBJECT_AGG},
		{"jsonb_object_agg", SQL_AGG_JSONB_OBJECT_AGG},
		{"array_agg", SQL_AGG_ARRAY_AGG},
	};
	for (size_t i = 0; i < sizeof aggs / sizeof aggs[0]; i++)
		if (!strcmp(aggs[i].name, name))
			return aggs[i].fn;
	return 0;
}

static sql_expr *arg_of(sql_ctx *c, PgQuery__Node *n)
{
	sql_expr *e;
	c->in_agg = 1;
	e = sql_analyze_expr(c, n);
	c->in_agg = 0;
	return e ? sql_resolve_unknown(c, e) : NULL;
}

/* Sort key e (the k-th): an array as mur_array_sortkey(e, elem), so the
 * aggregate's sort compares it by value, not by its text's bytes
 * (SQL_AGG_ORDER_ARRAY); any other e as it is. */
static sql_expr *array_key(sql_ctx *c, sql_expr *e, int *flags, int k)
{
	if (e->type == MT_NUMERIC) { /* as the array {e}: by value, 9 before 10 */
		*flags |= SQL_AGG_ORDER_ARRAY(k);
		return sql_make_call(c, "mur_num_sortkey", MT_BYTEA, e->loc, 1, e);
	}
	if (!mur_type_is_array(e->type))
		return e;
	*flags |= SQL_AGG_ORDER_ARRAY(k);
	return sql_make_call(c, "mur_array_sortkey", MT_BYTEA, e->loc, 2, e,
			     sql_make_const_int(c, mur_type_elem(e->type), MT_INT4));
}

/* Sort key e (the k-th) as written: array_key's argument. */
static sql_expr *k_plain(sql_expr *e, int flags, int k)
{
	return flags & SQL_AGG_ORDER_ARRAY(k) ? e->args[0] : e;
}

/* The call's ORDER BY keys into keys[] (*nkeys of them) and their flags. */
static int sort_keys(sql_ctx *c, PgQuery__FuncCall *f, const char *name, sql_expr **keys,
		     int *nkeys, int *flags)
{
	if (f->n_agg_order > SQL_AGG_KEYS_MAX)
		return sql_err(c, SQLSTATE_FEATURE_NOT_SUPPORTED, f->location,
			       "murphy supports at most %d ORDER BY keys in %s", SQL_AGG_KEYS_MAX,
			       name);
	for (int k = 0; k < (int)f->n_agg_order; k++) {
		PgQuery__SortBy *sb;
		if (f->agg_order[k]->node_case != PG_QUERY__NODE__NODE_SORT_BY)
			return sql_err(c, SQLSTATE_SYNTAX_ERROR, f->location, "bad ORDER BY in %s",
				       name);
		sb = f->agg_order[k]->sort_by;
		int desc, nulls_first;
		if (sql_sort_order(c, sb, &desc, &nulls_first) != MUR_OK ||
		    !(keys[k] = arg_of(c, sb->node)))
			return MUR_ERR;
		if (desc)
			*flags |= SQL_AGG_ORDER_DESC(k);
		if (nulls_first)
			*flags |= SQL_AGG_ORDER_NULLS_FIRST(k);
		/* by value, not by its text's bytes */
		if (!(keys[k] = array_key(c, keys[k], flags, k)))
			return MUR_ERR;
	}
	*nkeys = (int)f->n_agg_order;
	return MUR_OK;
}

static int no_such(sql_ctx *c, PgQuery__FuncCall *f, const char *name, const sql_expr *a,
		   const sql_expr *b)
{
	sql_err(c, SQLSTATE_UNDEFINED_FUNCTION, f->location, "function %s(%s%s%s) does not exist",
		name, a ? sql_type_name(a->type) : "", b ? ", " : "",
		b ? sql_type_name(b->type) : "");
	mur_error_hint(c->err, "No function matches the given name and argument types. You "
			       "might need to add explicit type casts.");
	return MUR_ERR;
}

/* string_agg: args = x, delim, keys. */
static int string_agg(sql_ctx *c, PgQuery__FuncCall *f, sql_expr **args, int *nargs, int *flags)
{
	int nkeys = 0;
	if (f->n_args != 2 || f->agg_within_group) /* PostgreSQL: no such function */
		return sql_err(c, SQLSTATE_UNDEFINED_FUNCTION, f->location,
			       "function string_agg takes two arguments");
	if (!(args[0] = arg_of(c, f->args[0])) || !(args[1] = arg_of(c, f->args[1])))
		return MUR_ERR;
	for (int i = 0; i < 2; i++) {
		if (!mur_type_is_text(args[i]->type))
			return no_such(c, f, "string_agg", args[0], args[1]);
		/* char(n) as text drops its blanks; varchar already reads as text */
		if (args[i]->type == MT_BPCHAR &&
		    !(args[i] = sql_make_cast(c, args[i], MT_TEXT, args[i]->loc)))
			return MUR_ERR;
	}
	if (sort_keys(c, f, "string_agg", args + 2, &nkeys, flags) != MUR_OK)
		return MUR_ERR;
	if (f->agg_distinct) {
		for (int k = 0; k < nkeys; k++)
			if (!sql_expr_equal(args[2 + k], args[0]))
				return sql_err(c, "42P10", f->location,
					       "in an aggregate with DISTINCT, ORDER BY "
					       "expressions "
					       "must appear in argument list");
		if (!nkeys)
			args[2 + nkeys++] = args[0];
		*flags |= SQL_AGG_ORDER_DISTINCT;
	}
	*nargs = 2 + nkeys;
	return MUR_OK;
}

/* json[b]_agg(x [ORDER BY ...]) and json[b]_object_agg(k, x): args =
 * mur_json_elem(x), NULL or k as text, keys.  DISTINCT is refused. */
static int json_agg(sql_ctx *c, PgQuery__FuncCall *f, int fn, const char *name, sql_expr **args,
		    int *nargs, int *flags)
{
	int object = fn == SQL_AGG_JSON_OBJECT_AGG || fn == SQL_AGG_JSONB_OBJECT_AGG, nkeys = 0;
	sql_expr *k = NULL, *x;
	if ((int)f->n_args != 1 + object || f->agg_within_group)
		return sql_err(c, SQLSTATE_UNDEFINED_FUNCTION, f->location,
			       "function %s takes %d argument%s", name, 1 + object,
			       object ? "s" : "");
	if (f->agg_distinct)
		return sql_err(c, SQLSTATE_FEATURE_NOT_SUPPORTED, f->location,
			       "murphy does not support %s(DISTINCT ...) yet", name);
	if (object && (!(k = arg_of(c, f->args[0])) ||
		       !(k = k->type == MT_TEXT ? k : sql_make_cast(c, k, MT_TEXT, k->loc))))
		return MUR_ERR;
	if (!(x = arg_of(c, f->args[object])) || !(args[0] = sql_json_elem(c, x)))
		return MUR_ERR;
	if (!k && (k = sql_expr_new(c, SE_CONST, MT_TEXT, f->location)))
		k->val = mur_v_null();
	if (!(args[1] = k) || sort_keys(c, f, name, args + 2, &nkeys, flags) != MUR_OK)
		return MUR_ERR;
	if (fn == SQL_AGG_JSON_AGG && (sql_json_is_row(x) || mur_type_is_array(x->type)))
		*flags |= SQL_AGG_JSON_STRUCT; /* json_agg(t): rows, or arrays */
	*nargs = 2 + nkeys;
	return MUR_OK;
}

/* array_agg([DISTINCT] x [ORDER BY ...]): args = mur_array(elem, x), x,
 * keys (x alone with DISTINCT and no ORDER BY). */
/* array_agg over arrays: x as coalesce(x, 'N') (storage: 22004 for a NULL
 * array), the answer one dimension more (SQL_AGG_OF_ARRAYS). */
static int array_agg_of_arrays(sql_ctx *c, sql_expr **args, int *flags, int loc)
{
	sql_expr *n = sql_expr_new(c, SE_CONST, MT_TEXT, loc);
	if (!n)
		return MUR_ERR;
	n->val = mur_v_text("N", 1);
	*flags |= SQL_AGG_OF_ARRAYS;
	args[0] = sql_make_call(c, "coalesce", args[1]->type, loc, 2, args[1], n);
	return args[0] ? MUR_OK : MUR_ERR;
}

/* array_agg(x [ORDER BY ...]) / array_agg(DISTINCT x): args = x as a
 * one-element array (or the array, over arrays), x, keys. */
static int array_agg(sql_ctx *c, PgQuery__FuncCall *f, sql_expr **args, int *nargs, int *flags)
{
	int nkeys = 0;
	mur_type t;
	if (f->n_args != 1 || f->agg_within_group)
		return sql_err(c, SQLSTATE_UNDEFINED_FUNCTION, f->location,
			       "function array_agg takes one argument");
	if (!(args[1] = arg_of(c, f->args[0])))
		return MUR_ERR;
	if (mur_type_is_array(args[1]->type)) {
		if (array_agg_of_arrays(c, args, flags, f->location) != MUR_OK)
			return MUR_ERR;
	} else if ((t = mur_type_array_of(args[1]->type)) == MT_UNKNOWN) {
		return sql_err(c, SQLSTATE_FEATURE_NOT_SUPPORTED, f->location,
			       "murphy does not support array_agg over type %s (no array of it)",
			       sql_type_name(args[1]->type));
	} else if (!(args[0] = sql_make_call(c, "mur_array", t, f->location, 2,
					     sql_make_const_int(c, args[1]->type, MT_INT4),
					     args[1]))) {
		return MUR_ERR;
	}
	if (sort_keys(c, f, "array_agg", args + 2, &nkeys, flags) != MUR_OK)
		return MUR_ERR;
	if (f->agg_distinct) {
		for (int k = 0; k < nkeys; k++)
			if (!sql_expr_equal(k_plain(args[2 + k], *flags, k), args[1]))
				return sql_err(c, "42P10", f->location,
					       "in an aggregate with DISTINCT, ORDER BY "
					       "expressions "
					       "must appear in argument list");
		if (!nkeys && !(args[2 + nkeys++] = array_key(c, args[1], flags, 0)))
			return MUR_ERR;
		*flags |= SQL_AGG_ORDER_DISTINCT;
	}
	*nargs = 2 + nkeys;
	return MUR_OK;
}

/* percentile over an array of fractions (args[1]): as float8[]; x for
 * percentile_disc as nullif(mur_array(elem, x), '{NULL}'). */
static int fractions(sql_ctx *c, PgQuery__FuncCall *f, int fn, const char *name, sql_expr **args,
		     int *flags)
{
	mur_type xt = args[0]->type, t = mur_type_array_of(xt);
	sql_expr *one, *null_one;
	if (fn == SQL_AGG_PERCENTILE_CONT && !mur_type_is_numeric(xt))
		return no_such(c, f, name, args[1], args[0]);
	if (args[1]->type != MT_FLOAT8_ARRAY &&
	    !(args[1] = sql_make_cast(c, args[1], MT_FLOAT8_ARRAY, args[1]->loc)))
		return MUR_ERR;
	*flags |= SQL_AGG_FRACTIONS;
	if (fn == SQL_AGG_PERCENTILE_CONT)
		return MUR_OK;
	if (t == MT_UNKNOWN)
		return sql_err(c, SQLSTATE_FEATURE_NOT_SUPPORTED, f->location,
			       "murphy does not support %s over an array of fractions of type %s "
			       "(no array of it)",
			       name, sql_type_name(xt));
	one = sql_make_call(c, "mur_array", t, f->location, 2, sql_make_const_int(c, xt, MT_INT4),
			    args[0]);
	if (!one || !(null_one = sql_expr_new(c, SE_CONST, t, f->location)))
		return MUR_ERR;
	null_one->val = mur_v_text("{NULL}", 6);
	args[0] = sql_make_call(c, "nullif", t, f->location, 2, one, null_one);
	return args[0] ? MUR_OK : MUR_ERR;
}

/* percentile_cont / percentile_disc / mode: args = x, fraction, x. */
static int ordered_set(sql_ctx *c, PgQuery__FuncCall *f, int fn, const char *name, sql_expr **args,
		       int *flags)
{
	int nargs = fn == SQL_AGG_MODE ? 0 : 1, nkeys = 0;
	if (!f->agg_within_group && (int)f->n_args == nargs + 1) /* PostgreSQL's two cases */
		return sql_err(c, "42809", f->location,
			       "WITHIN GROUP is required for ordered-set aggregate %s", name);
	if (!f->agg_within_group)
		return sql_err(c, SQLSTATE_UNDEFINED_FUNCTION, f->location,
			       "function %s without WITHIN GROUP does not exist", name);
	if (f->agg_distinct)
		return sql_err(c, SQLSTATE_FEATURE_NOT_SUPPORTED, f->location,
			       "cannot use DISTINCT with WITHIN GROUP");
	if ((int)f->n_args != nargs)
		return sql_err(c, SQLSTATE_UNDEFINED_FUNCTION, f->location,
			       "function %s takes %d direct argument%s", name, nargs,
			       nargs == 1 ? "" : "s");
	if (f->n_agg_order != 1) /* the grammar allows more: PostgreSQL has no such function */
		return sql_err(c, SQLSTATE_UNDEFINED_FUNCTION, f->location,
			       "function %s takes one ORDER BY key", name);
	if (sort_keys(c, f, name, &args[2], &nkeys, flags) != MUR_OK)
		return MUR_ERR;
	args[0] = k_plain(args[2], *flags, 0);
	if (!nargs) {
		if ((args[1] = sql_expr_new(c, SE_CONST, MT_FLOAT8, f->location)))
			args[1]->val = mur_v_null();
		return args[1] ? MUR_OK : MUR_ERR;
	}
	c->in_agg = 1;
	args[1] = sql_analyze_expr(c, f->args[0]);
	c->in_agg = 0;
	if (args[1] && args[1]->type == MT_UNKNOWN) /* NULL, '0.5': a float8 fraction */
		args[1] = sql_make_cast(c, args[1], MT_FLOAT8, args[1]->loc);
	if (!args[1])
		return MUR_ERR;
	if (mur_type_is_array(args[1]->type) && mur_type_is_numeric(mur_type_elem(args[1]->type)))
		return fractions(c, f, fn, name, args, flags);
	if (!mur_type_is_numeric(args[1]->type))
		return no_such(c, f, name, args[1], NULL);
	if (fn == SQL_AGG_PERCENTILE_CONT && !mur_type_is_numeric(args[0]->type))
		return no_such(c, f, name, args[0], NULL);
	return MUR_OK;
}

sql_expr *sql_analyze_collecting_agg(sql_ctx *c, PgQuery__FuncCall *f, int fn, const char *name)
{
	sql_expr *args[2 + SQL_AGG_KEYS_MAX] = {NULL}, *e;
	int flags = 0, any = SQL_AGG_COUNT, nargs = 3;
	if (sql_agg_context(c, f, 1) != MUR_OK)
		return NULL;
	if ((fn == SQL_AGG_STRING_AGG  ? string_agg(c, f, args, &nargs, &flags)
	     : fn == SQL_AGG_ARRAY_AGG ? array_agg(c, f, args, &nargs, &flags)
	     : fn >= SQL_AGG_JSON_AGG  ? json_agg(c, f, fn, name, args, &nargs, &flags)
				       : ordered_set(c, f, fn, name, args, &flags)) != MUR_OK)
		return NULL;
	if (f->agg_filter && sql_agg_filter(c, f, &any, &args[0]) != MUR_OK)
		return NULL;
	e = sql_expr_new(c, SE_AGG,
			 flags & SQL_AGG_FRACTIONS && fn == SQL_AGG_PERCENTILE_CONT
				 ? MT_FLOAT8_ARRAY
			 : flags & SQL_AGG_FRACTIONS                               ? args[0]->type
			 : fn == SQL_AGG_PERCENTILE_CONT                           ? MT_FLOAT8
			 : fn == SQL_AGG_STRING_AGG                                ? MT_TEXT
			 : fn == SQL_AGG_ARRAY_AGG                                 ? args[0]->type
			 : fn == SQL_AGG_JSON_AGG || fn == SQL_AGG_JSON_OBJECT_AGG ? MT_JSON
			 : fn >= SQL_AGG_JSON_AGG                                  ? MT_JSONB
										   : args[0]->type,
			 f->location);
	if (!e || !(e->args = sql_alloc(c, sizeof(sql_expr *) * (size_t)nargs)))
		return NULL;
	if ((fn == SQL_AGG_PERCENTILE_DISC || fn == SQL_AGG_MODE) && !(flags & SQL_AGG_FRACTIONS))
		e->typmod = args[0]->typmod;
	e->agg = fn;
	e->agg_flags = flags;
	e->nargs = nargs;
	memcpy(e->args, args, sizeof(sql_expr *) * (size_t)nargs);
	c->seen_agg = 1;
	return e;
}
