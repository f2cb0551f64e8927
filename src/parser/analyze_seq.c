/*
 * analyze_seq.c — the sequence functions: nextval(text), currval(text),
 * setval(text, bigint [, boolean]) and lastval(), all bigint, as
 * PostgreSQL's (docs/sequences.md).
 *
 * The leader alone hands out sequence values (catalog/catalog_seq.c), so
 * each becomes a call the leader registers in its in-memory SQLite
 * (murphy_nextval, murphy_currval, murphy_setval, murphy_lastval, with the
 * sequence's name as text) and is accepted only where the expression runs
 * there: a SELECT without FROM (or over murphy.* views), INSERT ... VALUES
 * and a column DEFAULT (no query in scope: c->q NULL).  Anywhere a shard
 * would evaluate it (WHERE, UPDATE SET, a select list over a table) is
 * 0A000.  PostgreSQL's regclass argument is taken as text: 's',
 * 'public.s', '"S"' and 's'::regclass name the same sequence (the name is
 * resolved when the call runs: catalog_seq.c, regclass_name).
 *
 * pg_get_serial_sequence('[schema.]table', 'column') is answered while
 * planning, from the catalog: '<schema>.<sequence>' (quoted as PostgreSQL
 * quotes it)
 * when the column's SERIAL / IDENTITY owns one, else NULL; 42P01 / 42703
 * for an unknown table / column.  Its arguments must be constants (0A000
 * otherwise).
 */
#include "parser/analyze.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>

typedef struct seq_fn {
	const char *name; /* PostgreSQL's */
	const char *impl; /* the leader's SQLite function */
	int nargs_min, nargs_max;
} seq_fn;

static const seq_fn seq_fns[] = {
	{"nextval", "murphy_nextval", 1, 1},
	{"currval", "murphy_currval", 1, 1},
	{"setval", "murphy_setval", 2, 3},
	{"lastval", "murphy_lastval", 0, 0},
};

static const seq_fn *seq_fn_named(const char *name)
{
	for (size_t i = 0; i < sizeof seq_fns / sizeof seq_fns[0]; i++)
		if (!strcmp(seq_fns[i].name, name))
			return &seq_fns[i];
	return NULL;
}

int sql_is_seq_func(const char *name) { return seq_fn_named(name) != NULL; }

/* 'x'::regclass: the literal itself (murphy has no regclass type). */
static PgQuery__Node *strip_regclass(PgQuery__Node *n)
{
	PgQuery__TypeCast *tc;
	PgQuery__Node *last;
	if (n->node_case != PG_QUERY__NODE__NODE_TYPE_CAST)
		return n;
	tc = n->type_cast;
	if (!tc->type_name || tc->type_name->n_names < 1)
		return n;
	last = tc->type_name->names[tc->type_name->n_names - 1];
	return last->node_case == PG_QUERY__NODE__NODE_STRING &&
			       !strcmp(last->string->sval, "regclass")
		       ? tc->arg
		       : n;
}

/* Argument i fitted: text (the name), bigint (setval's value), boolean. */
static sql_expr *seq_arg(sql_ctx *c, PgQuery__FuncCall *f, size_t i, const char *fn)
{
	static const mur_type want[] = {MT_TEXT, MT_INT8, MT_BOOL};
	sql_expr *a = sql_analyze_expr(c, i == 0 ? strip_regclass(f->args[0]) : f->args[i]);
	mur_type t;
	if (!a)
		return NULL;
	t = a->type;
	if (t == MT_UNKNOWN || (i == 0 && mur_type_is_text(t)) ||
	    (i == 1 && mur_type_is_integer(t)) || (i == 2 && t == MT_BOOL))
		return sql_coerce(c, a, want[i], NULL);
	sql_err(c, SQLSTATE_UNDEFINED_FUNCTION, f->location,
		"function %s(... %s ...) does not exist", fn, sql_type_name(t));
	mur_error_hint(c->err, "%s takes (regclass%s)", fn,
		       strcmp(fn, "setval") ? "" : ", bigint [, boolean]");
	return NULL;
}

/* A constant sequence name without a schema is bound here, with the
 * search path of the statement, as PostgreSQL binds a regclass constant:
 * one the path finds outside public becomes '"schema"."name"' (a column
 * DEFAULT keeps that), any other stays as written (public's). */
static sql_expr *path_bound(sql_ctx *c, sql_expr *a)
{
	char text[CAT_NAME_MAX * 2 + 8], out[CAT_NAME_MAX * 2 + 8];
	if (!c->cat || a->kind != SE_CONST || a->val.kind != MV_TEXT || a->val.len >= sizeof text)
		return a;
	memcpy(text, a->val.s, a->val.len);
	text[a->val.len] = '\0';
	if (!cat_seq_qualify(c->cat, c->search_path, c->user, text, out, sizeof out))
		return a;
	return sql_make_const_text(c, out);
}

/* 1 after 42501 when a constant name resolves to a sequence in a schema
 * the session's role lacks USAGE on (sql_schema_denied), at the name's
 * position as PostgreSQL; a sequence not found is left to the call. */
static int seq_schema_denied(sql_ctx *c, const sql_expr *a, const PgQuery__Node *n)
{
	char text[CAT_NAME_MAX * 2 + 8];
	mur_error scratch = {0};
	const cat_sequence *s;
	int loc;
	if (n->node_case == PG_QUERY__NODE__NODE_TYPE_CAST && n->type_cast->arg)
		n = n->type_cast->arg; /* 'x'::regclass: the literal's position */
	loc = n->node_case == PG_QUERY__NODE__NODE_A_CONST ? n->a_const->location : -1;
	if (!c->cat || a->kind != SE_CONST || a->val.kind != MV_TEXT || a->val.len >= sizeof text)
		return 0;
	memcpy(text, a->val.s, a->val.len);
	text[a->val.len] = '\0';
	s = cat_seq_resolve(c->cat, text, &scratch);
	return s && sql_schema_denied(c, s->schema, loc);
}

sql_expr *sql_analyze_seq_func(sql_ctx *c, PgQuery__FuncCall *f, const char *name)
{
	const seq_fn *d = seq_fn_named(name);
	sql_expr *args[3] = {NULL, NULL, NULL};
	if (!d)
		return NULL;
	if (f->agg_star || f->agg_distinct || f->over || (int)f->n_args < d->nargs_min ||
	    (int)f->n_args > d->nargs_max) {
		sql_err(c, SQLSTATE_UNDEFINED_FUNCTION, f->location,
			"function %s with %zu arguments does not exist", name, f->n_args);
		return NULL;
	}
	if ((c->q && !c->q->is_virtual) || c->in_agg) {
		sql_err(c, SQLSTATE_FEATURE_NOT_SUPPORTED, f->location,
			"%s() runs on the leader only: call it in a SELECT without FROM, in "
			"INSERT ... VALUES or in a column DEFAULT",
			name);
		mur_error_hint(c->err, "murphy hands out sequence values on the leader; a "
				       "query over a table runs on its shards");
		return NULL;
	}
	for (size_t i = 0; i < f->n_args; i++)
		if (!(args[i] = seq_arg(c, f, i, name)))
			return NULL;
	if (f->n_args && !(args[0] = path_bound(c, args[0])))
		return NULL;
	if (f->n_args && seq_schema_denied(c, args[0], f->args[0]))
		return NULL;
	return sql_make_call(c, d->impl, MT_INT8, f->location, (int)f->n_args, args[0], args[1],
			     args[2]);
}

/* A constant text argument's bytes, or NULL. */
static const char *const_text(sql_ctx *c, PgQuery__Node *n)
{
	sql_expr *a = sql_analyze_expr(c, n);
	if (!a || a->kind != SE_CONST || a->val.kind != MV_TEXT)
		return NULL;
	return a->val.s;
}

/* One name of a table's text as PostgreSQL parses it (folded unless
 * quoted) into out; returns where it ends. */
static const char *name_part(const char *in, char *out, size_t n)
{
	size_t k = 0;
	int quoted = *in == '"';
	for (in += quoted; *in && !(quoted ? *in == '"' : *in == '.'); in++)
		if (k + 1 < n)
			out[k++] = quoted ? *in : (char)tolower((unsigned char)*in);
	out[k] = '\0';
	return in + (quoted && *in == '"');
}

/* A table's text [schema.]name into schema ("" when not given) and out. */
static void table_name(const char *in, char *schema, char *out, size_t n)
{
	const char *end = name_part(in, schema, CAT_NAME_MAX);
	if (*end == '.') {
		name_part(end + 1, out, n);
	} else {
		name_part(in, out, n);
		schema[0] = '\0';
	}
}

/* 1 when PostgreSQL would quote name (quote_ident): anything but a-z, 0-9, _. */
static int needs_quotes(const char *name)
{
	if (!*name || isdigit((unsigned char)*name))
		return 1;
	for (const char *p = name; *p; p++)
		if (!islower((unsigned char)*p) && !isdigit((unsigned char)*p) && *p != '_')
			return 1;
	return 0;
}

sql_expr *sql_analyze_serial_sequence(sql_ctx *c, PgQuery__FuncCall *f)
{
	const char *tn, *cn;
	char name[CAT_NAME_MAX * 2], schema[CAT_NAME_MAX], out[CAT_NAME_MAX * 3 + 16];
	const char *sch;
	const cat_table *t;
	int col;
	if (f->n_args != 2 || f->agg_star || f->agg_distinct || f->over)
		return (sql_err(c, SQLSTATE_UNDEFINED_FUNCTION, f->location,
				"function pg_get_serial_sequence takes (text, text)"),
			NULL);
	if (!(tn = const_text(c, f->args[0])) || !(cn = const_text(c, f->args[1])))
		return mur_error_is_set(c->err)
			       ? NULL
			       : (sql_err(c, SQLSTATE_FEATURE_NOT_SUPPORTED, f->location,
					  "murphy answers pg_get_serial_sequence() for constant "
					  "names only"),
				  NULL);
	table_name(tn, schema, name, sizeof name);
	if (!c->cat || !(sch = sql_name_schema(c, schema, name)) ||
	    !(t = cat_table_lookup(c->cat, sch, name)))
		return (sql_err(c, SQLSTATE_UNDEFINED_TABLE, f->location,
				"relation \"%s\" does not exist", tn),
			NULL);
	if ((col = cat_column_index(t, cn)) < 0)
		return (sql_err(c, SQLSTATE_UNDEFINED_COLUMN, f->location,
				"column \"%s\" of relation \"%s\" does not exist", cn, t->name),
			NULL);
	for (int i = 0; i < cat_seq_count(c->cat); i++) {
		const cat_sequence *s = cat_seq_at(c->cat, i);
		if (s->owner_table != t->id || s->owner_col != col)
			continue;
		snprintf(out, sizeof out, needs_quotes(s->name) ? "%s.\"%s\"" : "%s.%s",
			 s->schema[0] ? s->schema : "public", s->name);
		return sql_make_const_text(c, out);
	}
	return sql_expr_new(c, SE_CONST, MT_TEXT, f->location); /* NULL: none */
}
