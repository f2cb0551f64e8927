/*
 * analyze_json.c — json and jsonb in expressions: their operators, their
 * functions and the arguments of their aggregates, with PostgreSQL 15's
 * types, each turned into a call of a storage/sqlfn_json.c function so it
 * runs where the rows are (WHERE data->>'k' = 'x' on the followers).
 *
 *   ->  ->>  (json and jsonb; integer index or text key)   mur_json_get
 *   #>  #>>  (json and jsonb; text[] path literal)          mur_json_path
 *   @>  <@  ?  ?|  ?&  ||  -  #-   (jsonb)                  mur_jsonb_*
 *   = <> < > <= >= (jsonb: jsonb ordering; json has none: 42883)
 *
 * An unknown literal next to a json operand takes the operand's type (or
 * text for keys and paths), as PostgreSQL resolves them.  The builders
 * and aggregates take each value through mur_json_elem(x, type), which
 * writes it as to_json does (SQL NULL as null).
 */
#include "parser/analyze.h"

#include "common/buf.h"

#include <stdio.h>
#include <string.h>

static int is_json(mur_type t) { return t == MT_JSON || t == MT_JSONB; }

static int is_compare(const char *op)
{
	return !strcmp(op, "=") || !strcmp(op, "<>") || !strcmp(op, "<") || !strcmp(op, ">") ||
	       !strcmp(op, "<=") || !strcmp(op, ">=");
}

static int is_json_op(const char *op)
{
	static const char *const ops[] = {"->", "->>", "#>", "#>>", "@>",
					  "<@", "?",   "?|", "?&",  "#-"};
	for (size_t i = 0; i < sizeof ops / sizeof ops[0]; i++)
		if (!strcmp(op, ops[i]))
			return 1;
	return 0;
}

int sql_json_wants_op(const char *op, const sql_expr *l, const sql_expr *r)
{
	if (is_json_op(op))
		return 1;
	if (!is_json(l->type) && !is_json(r->type))
		return 0;
	if (!strcmp(op, "||")) /* jsonb || jsonb; with text it is text's || */
		return (l->type == MT_JSONB || l->type == MT_UNKNOWN) &&
		       (r->type == MT_JSONB || r->type == MT_UNKNOWN);
	return is_compare(op) || !strcmp(op, "-");
}

static sql_expr *no_op(sql_ctx *c, const char *op, sql_expr *l, sql_expr *r, int loc)
{
	sql_err(c, SQLSTATE_UNDEFINED_FUNCTION, loc, "operator does not exist: %s %s %s",
		sql_type_name(l->type), op, sql_type_name(r->type));
	mur_error_hint(c->err, "No operator matches the given name and argument types. You might "
			       "need to add explicit type casts.");
	return NULL;
}

/* e as jsonb (an unknown literal parsed as one); NULL, no error, when it
 * is some other type. */
static sql_expr *as_jsonb(sql_ctx *c, sql_expr *e)
{
	if (e->type == MT_UNKNOWN)
		return sql_coerce(c, e, MT_JSONB, NULL);
	return e->type == MT_JSONB ? e : NULL;
}

/* A key, index or path operand: an integer stays one (if ints), unknown
 * and strings become text; NULL, no error, otherwise. */
static sql_expr *as_key(sql_ctx *c, sql_expr *e, int ints)
{
	if (ints && mur_type_is_integer(e->type))
		return e;
	if (e->type == MT_UNKNOWN || mur_type_is_text(e->type))
		return sql_coerce(c, e, MT_TEXT, NULL);
	return NULL;
}

/* A path or key list (#> #>> #- ?| ?&): a text[] value as well, whose
 * text form ('{a,b}') is what the functions parse. */
static sql_expr *as_path(sql_ctx *c, sql_expr *e)
{
	if (e->type == MT_TEXT_ARRAY || e->type == MT_VARCHAR_ARRAY)
		return e;
	return as_key(c, e, 0);
}

static sql_expr *flag(sql_ctx *c, int v) { return sql_make_const_int(c, v, MT_INT4); }

/* -> ->> #> #>> */
static sql_expr *get_op(sql_ctx *c, const char *op, sql_expr *l, sql_expr *r, int loc)
{
	int path = op[0] == '#', as_text = !strcmp(op, "->>") || !strcmp(op, "#>>");
	sql_expr *k;
	if (l->type == MT_UNKNOWN && !(l = sql_coerce(c, l, MT_JSONB, NULL)))
		return NULL;
	if (!is_json(l->type) || !(k = path ? as_path(c, r) : as_key(c, r, 1)))
		return mur_error_is_set(c->err) ? NULL : no_op(c, op, l, r, loc);
	return sql_make_call(c, path ? "mur_json_path" : "mur_json_get",
			     as_text ? MT_TEXT : l->type, loc, 3, l, k, flag(c, as_text));
}

/* jsonb comparisons: mur_jsonb_cmp(l, r) op 0. */
static sql_expr *compare(sql_ctx *c, const char *op, sql_expr *l, sql_expr *r, int loc)
{
	sql_expr *a = as_jsonb(c, l), *b = a ? as_jsonb(c, r) : NULL, *cmp;
	if (!a || !b)
		return mur_error_is_set(c->err) ? NULL : no_op(c, op, l, r, loc);
	if (!(cmp = sql_make_call(c, "mur_jsonb_cmp", MT_INT4, loc, 2, a, b)))
		return NULL;
	return sql_make_op(c, op, MT_BOOL, loc, cmp, flag(c, 0));
}

sql_expr *sql_json_op(sql_ctx *c, const char *op, sql_expr *l, sql_expr *r, int loc)
{
	sql_expr *a, *b;
	if (!strcmp(op, "->") || !strcmp(op, "->>") || !strcmp(op, "#>") || !strcmp(op, "#>>"))
		return get_op(c, op, l, r, loc);
	if (is_compare(op))
		return compare(c, op, l, r, loc);
	if (!(a = as_jsonb(c, l)))
		return mur_error_is_set(c->err) ? NULL : no_op(c, op, l, r, loc);
	if (!strcmp(op, "@>") || !strcmp(op, "<@") || !strcmp(op, "||")) {
		if (!(b = as_jsonb(c, r)))
			return mur_error_is_set(c->err) ? NULL : no_op(c, op, l, r, loc);
		if (!strcmp(op, "||"))
			return sql_make_call(c, "mur_jsonb_concat", MT_JSONB, loc, 2, a, b);
		return op[0] == '@' ? sql_make_call(c, "mur_jsonb_contains", MT_BOOL, loc, 2, a, b)
				    : sql_make_call(c, "mur_jsonb_contains", MT_BOOL, loc, 2, b, a);
	}
	if (!strcmp(op, "-") && (r->type == MT_TEXT_ARRAY || r->type == MT_VARCHAR_ARRAY))
		return sql_make_call(c, "mur_jsonb_delete_keys", MT_JSONB, loc, 2, a, r);
	if (!(b = strcmp(op, "?|") && strcmp(op, "?&") && strcmp(op, "#-")
			  ? as_key(c, r, !strcmp(op, "-"))
			  : as_path(c, r)))
		return mur_error_is_set(c->err) ? NULL : no_op(c, op, l, r, loc);
	if (!strcmp(op, "-"))
		return sql_make_call(c, "mur_jsonb_delete", MT_JSONB, loc, 2, a, b);
	if (!strcmp(op, "#-"))
		return sql_make_call(c, "mur_jsonb_delete_path", MT_JSONB, loc, 2, a, b);
	return sql_make_call(c,
			     !strcmp(op, "?")    ? "mur_jsonb_exists"
			     : !strcmp(op, "?|") ? "mur_jsonb_exists_any"
						 : "mur_jsonb_exists_all",
			     MT_BOOL, loc, 2, a, b);
}

int sql_json_check_key(sql_ctx *c, const sql_expr *e, int ordering)
{
	if (e->type != MT_JSON)
		return MUR_OK;
	sql_err(c, SQLSTATE_UNDEFINED_FUNCTION, e->loc,
		"could not identify an %s operator for type json",
		ordering ? "ordering" : "equality");
	mur_error_hint(c->err, "Cast it to jsonb, which has %s.",
		       ordering ? "an ordering" : "equality");
	return MUR_ERR;
}

/* ---- functions ---- */

/* x as mur_json_elem(x, type): its JSON text, SQL NULL as null. */
sql_expr *sql_json_elem(sql_ctx *c, sql_expr *x)
{
	if (!(x = sql_resolve_unknown(c, x)))
		return NULL;
	return sql_make_call(c, "mur_json_elem", MT_TEXT, x->loc, 2, x, flag(c, x->type));
}

static sql_expr *call_n(sql_ctx *c, const char *fn, mur_type t, int loc, sql_expr **args, int n)
{
	sql_expr *e = sql_expr_new(c, SE_CALL, t, loc);
	if (!e || !(e->args = sql_alloc(c, sizeof(sql_expr *) * (size_t)(n ? n : 1))))
		return NULL;
	e->op = fn;
	e->nargs = n;
	memcpy(e->args, args, sizeof(sql_expr *) * (size_t)n);
	return e;
}

int sql_json_takes_row(const char *name)
{
	return !strcmp(name, "to_json") || !strcmp(name, "to_jsonb") ||
	       !strcmp(name, "row_to_json") || !strcmp(name, "json_agg") ||
	       !strcmp(name, "jsonb_agg");
}

/* A whole-row reference t inside to_json(t), to_jsonb(t), row_to_json(t),
 * json_agg(t), jsonb_agg(t): mur_json_build_object in row_to_json's
 * compact form over t's visible columns, each as mur_json_elem; the
 * function then takes it as a json value (to_jsonb normalizes it, which is
 * what PostgreSQL's to_jsonb of a record gives). */
sql_expr *sql_json_row(sql_ctx *c, int rte, int loc)
{
	const cat_table *t = c->q->rtes[rte].table;
	const char *names[CAT_COLUMNS_MAX];
	sql_expr *cols[CAT_COLUMNS_MAX];
	int n = 0;
	for (int i = 0; i < t->ncols && i < CAT_COLUMNS_MAX; i++) {
		sql_expr *col;
		if (t->cols[i].hidden)
			continue;
		if (!(col = sql_expr_new(c, SE_COLUMN, t->cols[i].type, loc)))
			return NULL;
		col->rte = rte;
		col->col = i;
		col->typmod = t->cols[i].typmod;
		names[n] = t->cols[i].name;
		cols[n++] = col;
	}
	return sql_json_row_of(c, names, cols, n, loc);
}

/* The same over named values (a merged subquery's or join's select list). */
sql_expr *sql_json_row_of(sql_ctx *c, const char *const *names, sql_expr **cols, int ncols, int loc)
{
	sql_expr **v = sql_alloc(c, sizeof(sql_expr *) * (size_t)(2 * ncols + 1));
	int n = 1;
	if (!v)
		return NULL;
	v[0] = flag(c, 2);
	for (int i = 0; i < ncols; i++) {
		if (!(v[n++] = sql_make_const_text(c, names[i])))
			return NULL;
		if (!(v[n++] = sql_json_elem(c, cols[i])))
			return NULL;
	}
	return call_n(c, "mur_json_build_object", MT_JSON, loc, v, n);
}

int sql_json_is_row(const sql_expr *e)
{
	return e->kind == SE_CALL && e->type == MT_JSON && e->nargs > 0 &&
	       !strcmp(e->op, "mur_json_build_object") && e->args[0]->kind == SE_CONST &&
	       e->args[0]->val.kind == MV_INT && e->args[0]->val.i == 2;
}

/* json[b]_build_object(k, v, ...) / json[b]_build_array(v, ...). */
static sql_expr *build(sql_ctx *c, int object, mur_type t, sql_expr **args, int n, int loc)
{
	sql_expr *v[SQL_ARGS_MAX + 1];
	if (object && n % 2)
		return (sql_err(c, SQLSTATE_INVALID_PARAMETER_VALUE, loc,
				"argument list must have even number of elements"),
			mur_error_hint(c->err,
				       "The arguments of %s_build_object() must consist "
				       "of alternating keys and values.",
				       t == MT_JSONB ? "jsonb" : "json"),
			NULL);
	v[0] = flag(c, t == MT_JSONB);
	for (int i = 0; i < n; i++) {
		sql_expr *a = sql_resolve_unknown(c, args[i]);
		if (a && object && i % 2 == 0)
			v[i + 1] = a->type == MT_TEXT ? a : sql_make_cast(c, a, MT_TEXT, a->loc);
		else
			v[i + 1] = a ? sql_json_elem(c, a) : NULL;
		if (!v[i + 1])
			return NULL;
	}
	return call_n(c, object ? "mur_json_build_object" : "mur_json_build_array", t, loc, v,
		      n + 1);
}

/* A text[] literal of constant text arguments: {"a","b"} (quoted,
 * backslashes escaped); 0A000 for anything but constants. */
static sql_expr *path_literal(sql_ctx *c, const char *fn, sql_expr **args, int n, int loc)
{
	mur_buf b;
	char *s;
	mur_buf_init(&b);
	mur_buf_put_u8(&b, '{');
	for (int i = 0; i < n; i++) {
		sql_expr *a = sql_resolve_unknown(c, args[i]);
		if (!a || a->kind != SE_CONST ||
		    (a->val.kind != MV_TEXT && a->val.kind != MV_NULL)) {
			mur_buf_free(&b);
			if (a)
				sql_err(c, SQLSTATE_FEATURE_NOT_SUPPORTED, loc,
					"murphy supports %s with constant path elements only: use "
					"#> '{a,b}'",
					fn);
			return NULL;
		}
		if (i)
			mur_buf_put_u8(&b, ',');
		if (a->val.kind == MV_NULL) {
			mur_buf_put(&b, "NULL", 4);
			continue;
		}
		mur_buf_put_u8(&b, '"');
		for (size_t k = 0; k < a->val.len; k++) {
			if (a->val.s[k] == '"' || a->val.s[k] == '\\')
				mur_buf_put_u8(&b, '\\');
			mur_buf_put_u8(&b, (uint8_t)a->val.s[k]);
		}
		mur_buf_put_u8(&b, '"');
	}
	mur_buf_put_u8(&b, '}');
	s = mur_buf_ok(&b) ? sql_arena_strndup(c->arena, b.data, b.len) : NULL;
	mur_buf_free(&b);
	if (!s)
		return sql_err_oom(c), NULL;
	return sql_make_const_text(c, s);
}

typedef struct json_fn {
	const char *name;
	mur_type arg; /* the document's type; MT_UNKNOWN: no document */
	int minargs, maxargs;
	const char *sqlite;
	mur_type result; /* MT_UNKNOWN: the document's */
} json_fn;

static const json_fn json_fns[] = {
	{"jsonb_typeof", MT_JSONB, 1, 1, "mur_json_typeof", MT_TEXT},
	{"json_typeof", MT_JSON, 1, 1, "mur_json_typeof", MT_TEXT},
	{"jsonb_array_length", MT_JSONB, 1, 1, "mur_json_array_length", MT_INT4},
	{"json_array_length", MT_JSON, 1, 1, "mur_json_array_length", MT_INT4},
	{"jsonb_pretty", MT_JSONB, 1, 1, "mur_jsonb_pretty", MT_TEXT},
	{"jsonb_strip_nulls", MT_JSONB, 1, 1, "mur_jsonb_strip_nulls", MT_JSONB},
	{"jsonb_set", MT_JSONB, 3, 4, "mur_jsonb_set", MT_JSONB},
	{"jsonb_extract_path", MT_JSONB, 2, SQL_ARGS_MAX, "mur_json_path", MT_JSONB},
	{"jsonb_extract_path_text", MT_JSONB, 2, SQL_ARGS_MAX, "mur_json_path", MT_TEXT},
	{"json_extract_path", MT_JSON, 2, SQL_ARGS_MAX, "mur_json_path", MT_JSON},
	{"json_extract_path_text", MT_JSON, 2, SQL_ARGS_MAX, "mur_json_path", MT_TEXT},
};

int sql_json_is_func(const char *name)
{
	static const char *const builders[] = {"to_json",           "to_jsonb",
					       "json_build_object", "jsonb_build_object",
					       "json_build_array",  "jsonb_build_array"};
	for (size_t i = 0; i < sizeof builders / sizeof builders[0]; i++)
		if (!strcmp(name, builders[i]))
			return 1;
	for (size_t i = 0; i < sizeof json_fns / sizeof json_fns[0]; i++)
		if (!strcmp(name, json_fns[i].name))
			return 1;
	return 0;
}

static sql_expr *no_fn(sql_ctx *c, const char *name, sql_expr **args, int n, int loc)
{
	char sig[256] = "";
	size_t len = 0;
	for (int i = 0; i < n && len < sizeof sig - 40; i++)
		len += (size_t)snprintf(sig + len, sizeof sig - len, "%s%s", i ? ", " : "",
					sql_type_name(args[i]->type));
	sql_err(c, SQLSTATE_UNDEFINED_FUNCTION, loc, "function %s(%s) does not exist", name, sig);
	mur_error_hint(c->err, "No function matches the given name and argument types. You might "
			       "need to add explicit type casts.");
	return NULL;
}

static sql_expr *doc_fn(sql_ctx *c, const json_fn *d, sql_expr **args, int n, int loc)
{
	sql_expr *j = args[0];
	mur_type res = d->result;
	if (n < d->minargs || n > d->maxargs)
		return no_fn(c, d->name, args, n, loc);
	if (j->type == MT_UNKNOWN && !(j = sql_coerce(c, j, d->arg, NULL)))
		return NULL;
	if (j->type != d->arg)
		return no_fn(c, d->name, args, n, loc);
	if (!strcmp(d->sqlite, "mur_json_path")) {
		sql_expr *path = path_literal(c, d->name, args + 1, n - 1, loc);
		return path ? sql_make_call(c, d->sqlite, res, loc, 3, j, path,
					    flag(c, res == MT_TEXT))
			    : NULL;
	}
	if (!strcmp(d->name, "jsonb_set")) {
		sql_expr *path = as_key(c, args[1], 0), *v = path ? as_jsonb(c, args[2]) : NULL;
		sql_expr *create = n == 4 && v ? sql_coerce(c, args[3], MT_BOOL, NULL) : NULL;
		if (!path || !v || (n == 4 && (!create || create->type != MT_BOOL)))
			return mur_error_is_set(c->err) ? NULL : no_fn(c, d->name, args, n, loc);
		return n == 4 ? sql_make_call(c, d->sqlite, res, loc, 4, j, path, v, create)
			      : sql_make_call(c, d->sqlite, res, loc, 3, j, path, v);
	}
	return sql_make_call(c, d->sqlite, res, loc, 1, j);
}

sql_expr *sql_json_func(sql_ctx *c, const char *name, sql_expr **args, int n, int loc)
{
	mur_type t = strstr(name, "jsonb") ? MT_JSONB : MT_JSON;
	if (!strcmp(name, "to_json") || !strcmp(name, "to_jsonb")) {
		sql_expr *x;
		if (n != 1)
			return no_fn(c, name, args, n, loc);
		if (!(x = sql_resolve_unknown(c, args[0])))
			return NULL;
		return sql_make_call(c, "mur_to_json", t, loc, 3, x, flag(c, x->type),
				     flag(c, t == MT_JSONB));
	}
	if (strstr(name, "_build_object"))
		return build(c, 1, t, args, n, loc);
	if (strstr(name, "_build_array"))
		return build(c, 0, t, args, n, loc);
	for (size_t i = 0; i < sizeof json_fns / sizeof json_fns[0]; i++)
		if (!strcmp(name, json_fns[i].name))
			return n ? doc_fn(c, &json_fns[i], args, n, loc)
				 : no_fn(c, name, args, n, loc);
	return no_fn(c, name, args, n, loc);
}
