/*
 * pgc_deparse.c — a catalog query's parse tree → SQLite text.
 *
 * Catalog queries are what clients send verbatim (psql's \d family,
 * SQLAlchemy's inspector, JDBC's DatabaseMetaData): joins, subqueries,
 * CASE, regular expressions, ::regclass.  They read only the catalog
 * relations (pgc_tables.c), so they need no distribution and no typed
 * analysis: the tree is written back as SQLite over those tables, with
 * PostgreSQL's spellings mapped:
 *
 *   x ~ 'p', x !~ 'p', OPERATOR(pg_catalog.~)   mur_regex_match(x, 'p', '') (storage's)
 *   x COLLATE pg_catalog.default                x
 *   'name'::regclass / ::regtype                pgc_regclass_in('name') (an OID)
 *   x::regclass, x::regtype, x::regnamespace    pgc_regclass_out(x) (a name)
 *   x = ANY(ARRAY[...]), x = ANY(arr)           x IN (...), x IN (json_each(arr))
 *   x LIKE p, x ILIKE p                         mur_like(x, p), mur_ilike (storage's)
 *   ARRAY(SELECT ...)                           (SELECT pgc_array_agg(...) ...)
 *   pg_catalog.f(...)                           the functions of pgc_func.c
 *
 * Result column types come from the catalog specs (a column), the
 * function table (a call), the cast, or the first CASE branch; text
 * otherwise.  What it does not translate is 0A000, named.
 */
#include "pgcatalog/pgc_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* Catalog relations one query may name (psql's widest names 5). */
#define PGC_SCOPE_MAX 64

/* A FROM item in reach of a column reference: a catalog relation, or a
 * subquery (or function) with the columns it gave. */
typedef struct dp_scope {
	const char *alias;  /* the alias, else the relation name */
	const pgc_rel *rel; /* NULL: a subquery, cols below */
	pgc_column *cols;   /* a subquery's columns (malloc'd, freed with the dp) */
	int ncols;
	int level; /* nesting of the SELECT whose FROM holds it (SELECT * expands those) */
} dp_scope;

typedef struct dp {
	mur_buf *b;
	mur_error *err;
	int failed;
	int max_param; /* the highest $n seen */
	int level;     /* SELECTs open around the text being written */
	int nscope;
	dp_scope scope[PGC_SCOPE_MAX];
} dp;

static mur_type expr(dp *d, const PgQuery__Node *n);
static void select_stmt(dp *d, const PgQuery__SelectStmt *s, pgc_column *cols, int *ncols,
			int first_as);

static void out(dp *d, const char *s) { mur_buf_put(d->b, s, strlen(s)); }

static mur_type fail(dp *d, const char *what)
{
	if (!d->failed)
		mur_error_set(d->err, SQLSTATE_FEATURE_NOT_SUPPORTED,
			      "murphy's pg_catalog does not support %s", what);
	d->failed = 1;
	return MT_TEXT;
}

static const char *str_of(const PgQuery__Node *n)
{
	return n && n->node_case == PG_QUERY__NODE__NODE_STRING ? n->string->sval : NULL;
}

/* The last name of a qualified list (pg_catalog.format_type → format_type). */
static const char *last_name(PgQuery__Node **names, size_t n)
{
	return n ? str_of(names[n - 1]) : NULL;
}

/* ---- the function table ---- */

typedef struct dp_func {
	const char *pg;     /* PostgreSQL name, without pg_catalog. */
	const char *sqlite; /* the SQLite function called with the same arguments */
	mur_type type;      /* the result's type */
} dp_func;

static const dp_func funcs[] = {
	{"format_type", "pgc_format_type", MT_TEXT},
	{"pg_get_userbyid", "pgc_get_userbyid", MT_TEXT},
	{"pg_table_is_visible", "pgc_table_is_visible", MT_BOOL},
	{"pg_type_is_visible", "pgc_true", MT_BOOL},
	{"pg_function_is_visible", "pgc_true", MT_BOOL},
	{"pg_get_indexdef", "pgc_get_indexdef", MT_TEXT},
	{"pg_get_constraintdef", "pgc_get_constraintdef", MT_TEXT},
	{"pg_get_expr", "pgc_get_expr", MT_TEXT},
	{"obj_description", "pgc_null", MT_TEXT},
	{"col_description", "pgc_null", MT_TEXT},
	{"shobj_description", "pgc_null", MT_TEXT},
	{"pg_get_function_result", "pgc_null", MT_TEXT},
	{"pg_get_function_arguments", "pgc_null", MT_TEXT},
	{"pg_get_statisticsobjdef_columns", "pgc_null", MT_TEXT},
	{"pg_get_viewdef", "pgc_null", MT_TEXT},
	{"pg_relation_is_publishable", "pgc_false", MT_BOOL},
	{"pg_opclass_is_visible", "pgc_true", MT_BOOL},
	{"pg_opfamily_is_visible", "pgc_true", MT_BOOL},
	{"pg_operator_is_visible", "pgc_true", MT_BOOL},
	{"pg_conversion_is_visible", "pgc_true", MT_BOOL},
	{"pg_collation_is_visible", "pgc_true", MT_BOOL},
	{"pg_database_size", "pgc_null", MT_INT8},
	{"pg_tablespace_location", "pgc_null", MT_TEXT},
	{"has_table_privilege", "pgc_true", MT_BOOL},
	{"has_schema_privilege", "pgc_true", MT_BOOL},
	{"has_database_privilege", "pgc_true", MT_BOOL},
	{"has_column_privilege", "pgc_true", MT_BOOL},
	{"has_any_column_privilege", "pgc_true", MT_BOOL},
	{"pg_has_role", "pgc_true", MT_BOOL},
	{"pg_encoding_to_char", "pgc_encoding_to_char", MT_TEXT},
	{"array_to_string", "pgc_array_to_string", MT_TEXT},
	{"array_upper", "pgc_array_length", MT_INT4},
	{"array_length", "pgc_array_length", MT_INT4},
	{"current_schema", "pgc_current_schema", MT_TEXT},
	{"current_schemas", "pgc_current_schemas", MT_TEXT},
	{"current_database", "pgc_current_database", MT_TEXT},
	{"current_user", "pgc_current_user", MT_TEXT},
	{"session_user", "pgc_current_user", MT_TEXT},
	{"current_setting", "pgc_current_setting", MT_TEXT},
	{"set_config", "pgc_set_config", MT_TEXT},
	{"pg_backend_pid", "pgc_backend_pid", MT_INT4},
	{"version", "pgc_version", MT_TEXT},
	{"quote_ident", "pgc_quote_ident", MT_TEXT},
	{"pg_table_size", "pgc_null", MT_INT8},
	{"pg_relation_size", "pgc_null", MT_INT8},
	{"pg_total_relation_size", "pgc_null", MT_INT8},
	{"pg_size_pretty", "pgc_null", MT_TEXT},
	{"string_agg", "group_concat", MT_TEXT},
	{"array_agg", "pgc_array_agg", MT_TEXT},
	{"json_build_object", "json_object", MT_TEXT},
	{"pg_get_serial_sequence", "pgc_null", MT_TEXT},
	{"count", "count", MT_INT8},
	{"row_number", "row_number", MT_INT8}, /* window functions */
	{"rank", "rank", MT_INT8},
	{"dense_rank", "dense_rank", MT_INT8},
	{"lower", "lower", MT_TEXT},
	{"upper", "upper", MT_TEXT},
	{"length", "length", MT_INT4},
	{"coalesce", "coalesce", MT_UNKNOWN},
	{"nullif", "nullif", MT_UNKNOWN},
	{"max", "max", MT_UNKNOWN},
	{"min", "min", MT_UNKNOWN},
	{"sum", "sum", MT_INT8},
	{"replace", "replace", MT_TEXT},
	{"substr", "substr", MT_TEXT},
	{"substring", "substr", MT_TEXT},
};

static const dp_func *func_find(const char *name)
{
	for (size_t i = 0; i < sizeof funcs / sizeof funcs[0]; i++)
		if (strcasecmp(funcs[i].pg, name) == 0)
			return &funcs[i];
	return NULL;
}

/* ---- expressions ---- */

static void args(dp *d, PgQuery__Node **a, size_t n, mur_type *first)
{
	for (size_t i = 0; i < n; i++) {
		mur_type t;
		if (i)
			out(d, ", ");
		t = expr(d, a[i]);
		if (i == 0 && first)
			*first = t;
	}
}

static void sort_list(dp *d, PgQuery__Node **items, size_t n);

/* OVER (PARTITION BY ... ORDER BY ...); SQLite's default frame is
 * PostgreSQL's. */
static void window(dp *d, const PgQuery__WindowDef *w)
{
	if ((w->name && w->name[0]) || (w->refname && w->refname[0]) || w->start_offset ||
	    w->end_offset) {
		fail(d, "named windows and window frames in catalog queries");
		return;
	}
	out(d, " OVER (");
	for (size_t i = 0; i < w->n_partition_clause; i++) {
		out(d, i ? ", " : "PARTITION BY ");
		expr(d, w->partition_clause[i]);
	}
	if (w->n_partition_clause && w->n_order_clause)
		out(d, " ");
	sort_list(d, w->order_clause, w->n_order_clause);
	out(d, ")");
}

static mur_type func_call(dp *d, const PgQuery__FuncCall *f)
{
	const char *name = last_name(f->funcname, f->n_funcname);
	const dp_func *fn = name ? func_find(name) : NULL;
	mur_type first = MT_TEXT;
	if (!fn)
		return fail(d, name ? name : "this function");
	out(d, fn->sqlite);
	out(d, "(");
	if (f->agg_distinct)
		out(d, "DISTINCT ");
	if (f->agg_star)
		out(d, "*");
	args(d, f->args, f->n_args, &first);
	out(d, ")");
	if (f->over)
		window(d, f->over);
	return fn->type == MT_UNKNOWN ? first : fn->type;
}

static mur_type column_ref(dp *d, const PgQuery__ColumnRef *c)
{
	const char *col = NULL, *qual = NULL;
	if (c->n_fields && c->fields[c->n_fields - 1]->node_case == PG_QUERY__NODE__NODE_A_STAR) {
		out(d, "*");
		return MT_TEXT;
	}
	col = str_of(c->fields[c->n_fields - 1]);
	if (c->n_fields >= 2)
		qual = str_of(c->fields[c->n_fields - 2]);
	if (!col)
		return fail(d, "this column reference");
	if (!strcmp(col, "tableoid")) { /* the system column: which catalog a row is in */
		out(d, "0");
		return MT_INT8;
	}
	if (qual) {
		pgc_put_ident(d->b, qual);
		out(d, ".");
	}
	pgc_put_ident(d->b, col);
	for (int i = d->nscope - 1; i >= 0; i--) {
		const dp_scope *sc = &d->scope[i];
		if (qual && strcmp(sc->alias, qual) != 0)
			continue;
		if (sc->rel && pgc_rel_column_type(sc->rel, col) != MT_UNKNOWN)
			return pgc_rel_column_type(sc->rel, col);
		for (int k = 0; !sc->rel && k < sc->ncols; k++)
			if (!strcmp(sc->cols[k].name, col))
				return sc->cols[k].type;
	}
	return MT_TEXT;
}

static mur_type a_const(dp *d, const PgQuery__AConst *c)
{
	if (c->isnull) {
		out(d, "NULL");
		return MT_TEXT;
	}
	switch (c->val_case) {
	case PG_QUERY__A__CONST__VAL_IVAL:
		mur_buf_printf(d->b, "%d", c->ival->ival);
		return MT_INT4;
	case PG_QUERY__A__CONST__VAL_FVAL:
		out(d, c->fval->fval);
		return MT_FLOAT8;
	case PG_QUERY__A__CONST__VAL_BOOLVAL:
		out(d, c->boolval->boolval ? "1" : "0");
		return MT_BOOL;
	case PG_QUERY__A__CONST__VAL_SVAL:
		pgc_put_string(d->b, c->sval->sval);
		return MT_TEXT;
	default:
		return fail(d, "bit string constants");
	}
}

static int is_string_const(const PgQuery__Node *n)
{
	return n->node_case == PG_QUERY__NODE__NODE_A_CONST && !n->a_const->isnull &&
	       n->a_const->val_case == PG_QUERY__A__CONST__VAL_SVAL;
}

static mur_type type_cast(dp *d, const PgQuery__TypeCast *tc)
{
	const char *ty = last_name(tc->type_name->names, tc->type_name->n_names);
	mur_type t;
	if (!ty)
		return fail(d, "this cast");
	if (tc->type_name->n_array_bounds)
		return expr(d, tc->arg); /* arrays stay in their text form */
	if (!strcmp(ty, "regclass") || !strcmp(ty, "regtype") || !strcmp(ty, "regnamespace") ||
	    !strcmp(ty, "regproc")) {
		int in = is_string_const(tc->arg);
		mur_buf_printf(d->b, "pgc_%s_%s(", ty, in ? "in" : "out");
		expr(d, tc->arg);
		out(d, ")");
		return in ? MT_INT8 : MT_TEXT;
	}
	t = mur_type_from_name(ty);
	if (!strcmp(ty, "oid") || !strcmp(ty, "regproc") || !strcmp(ty, "xid"))
		t = MT_INT8;
	else if (!strcmp(ty, "name") || !strcmp(ty, "char") || !strcmp(ty, "unknown"))
		t = MT_TEXT;
	if (t == MT_UNKNOWN)
		return fail(d, ty);
	if (t == MT_BOOL) {
		out(d, "pgc_bool(");
		expr(d, tc->arg);
		out(d, ")");
		return t;
	}
	mur_buf_printf(d->b, "CAST(");
	expr(d, tc->arg);
	mur_buf_printf(d->b, " AS %s)", mur_type_sqlite_decl(t));
	return t;
}

/* x ~ p, x ~* p, x !~ p, x !~* p → [NOT] mur_regex_match(x, p, flags):
 * storage's PostgreSQL regular expressions (storage/sqlfn_regex.c). */
static int regex_op(dp *d, const char *op, const PgQuery__AExpr *a)
{
	int neg = op[0] == '!', ci;
	const char *r = op + neg;
	if (r[0] != '~' || (r[1] && strcmp(r + 1, "*") != 0))
		return 0;
	ci = r[1] == '*';
	out(d, neg ? "(NOT mur_regex_match(" : "(mur_regex_match(");
	expr(d, a->lexpr);
	out(d, ", ");
	expr(d, a->rexpr);
	out(d, ci ? ", 'i'))" : ", ''))");
	return 1;
}

static mur_type list_or_array(dp *d, const PgQuery__Node *n)
{
	if (n->node_case == PG_QUERY__NODE__NODE_LIST) {
		args(d, n->list->items, n->list->n_items, NULL);
		return MT_TEXT;
	}
	if (n->node_case == PG_QUERY__NODE__NODE_A_ARRAY_EXPR) {
		args(d, n->a_array_expr->elements, n->a_array_expr->n_elements, NULL);
		return MT_TEXT;
	}
	return fail(d, "this list");
}

static mur_type op_any(dp *d, const char *op, const PgQuery__AExpr *a)
{
	const PgQuery__Node *r = a->rexpr;
	if (strcmp(op, "=") != 0 && strcmp(op, "<>") != 0)
		return fail(d, "ANY with this operator");
	out(d, "(");
	expr(d, a->lexpr);
	if (r->node_case == PG_QUERY__NODE__NODE_A_ARRAY_EXPR) {
		out(d, op[0] == '=' ? " IN (" : " NOT IN (");
		list_or_array(d, r);
		out(d, "))");
		return MT_BOOL;
	}
	out(d, op[0] == '=' ? " IN (SELECT value FROM json_each(pgc_array_json("
			    : " NOT IN (SELECT value FROM json_each(pgc_array_json(");
	expr(d, r);
	out(d, "))))");
	return MT_BOOL;
}

static int is_comparison(const char *op)
{
	static const char *const ops[] = {"=", "<>", "!=", "<", ">", "<=", ">="};
	for (size_t i = 0; i < sizeof ops / sizeof ops[0]; i++)
		if (!strcmp(op, ops[i]))
			return 1;
	return 0;
}

static mur_type a_expr(dp *d, const PgQuery__AExpr *a)
{
	const char *op = last_name(a->name, a->n_name);
	mur_type lt = MT_TEXT;
	if (!op)
		return fail(d, "this operator");
	switch (a->kind) {
	case PG_QUERY__A__EXPR__KIND__AEXPR_OP:
		if (regex_op(d, op, a))
			return MT_BOOL;
		out(d, "(");
		if (a->lexpr) {
			lt = expr(d, a->lexpr);
			out(d, " ");
		}
		out(d, strcmp(op, "!=") ? op : "<>");
		out(d, " ");
		if (!a->lexpr)
			lt = expr(d, a->rexpr);
		else if (lt == MT_BOOL && is_string_const(a->rexpr)) {
			out(d, "pgc_bool("); /* indisprimary = 't' */
			expr(d, a->rexpr);
			out(d, ")");
		} else
			expr(d, a->rexpr);
		out(d, ")");
		return is_comparison(op) ? MT_BOOL : !strcmp(op, "||") ? MT_TEXT : lt;
	case PG_QUERY__A__EXPR__KIND__AEXPR_OP_ANY:
		return op_any(d, op, a);
	case PG_QUERY__A__EXPR__KIND__AEXPR_IN:
		out(d, "(");
		expr(d, a->lexpr);
		out(d, op[0] == '=' ? " IN (" : " NOT IN (");
		list_or_array(d, a->rexpr);
		out(d, "))");
		return MT_BOOL;
	case PG_QUERY__A__EXPR__KIND__AEXPR_LIKE:
	case PG_QUERY__A__EXPR__KIND__AEXPR_ILIKE:
		/* storage's mur_like: case-sensitive, '\' escapes, as PostgreSQL */
		out(d, op[0] == '!' ? "(NOT " : "(");
		out(d,
		    a->kind == PG_QUERY__A__EXPR__KIND__AEXPR_ILIKE ? "mur_ilike(" : "mur_like(");
		expr(d, a->lexpr);
		out(d, ", ");
		expr(d, a->rexpr);
		out(d, "))");
		return MT_BOOL;
	case PG_QUERY__A__EXPR__KIND__AEXPR_DISTINCT:
	case PG_QUERY__A__EXPR__KIND__AEXPR_NOT_DISTINCT:
		out(d, "(");
		expr(d, a->lexpr);
		out(d, a->kind == PG_QUERY__A__EXPR__KIND__AEXPR_DISTINCT ? " IS NOT " : " IS ");
		expr(d, a->rexpr);
		out(d, ")");
		return MT_BOOL;
	case PG_QUERY__A__EXPR__KIND__AEXPR_NULLIF:
		out(d, "nullif(");
		lt = expr(d, a->lexpr);
		out(d, ", ");
		expr(d, a->rexpr);
		out(d, ")");
		return lt;
	case PG_QUERY__A__EXPR__KIND__AEXPR_BETWEEN:
	case PG_QUERY__A__EXPR__KIND__AEXPR_NOT_BETWEEN: {
		const PgQuery__List *l = a->rexpr->list;
		out(d, "(");
		expr(d, a->lexpr);
		out(d, a->kind == PG_QUERY__A__EXPR__KIND__AEXPR_BETWEEN ? " BETWEEN "
									 : " NOT BETWEEN ");
		expr(d, l->items[0]);
		out(d, " AND ");
		expr(d, l->items[1]);
		out(d, ")");
		return MT_BOOL;
	}
	default:
		return fail(d, "this operator");
	}
}

static mur_type bool_expr(dp *d, const PgQuery__BoolExpr *b)
{
	const char *op = b->boolop == PG_QUERY__BOOL_EXPR_TYPE__AND_EXPR ? " AND " : " OR ";
	if (b->boolop == PG_QUERY__BOOL_EXPR_TYPE__NOT_EXPR) {
		out(d, "(NOT ");
		expr(d, b->args[0]);
		out(d, ")");
		return MT_BOOL;
	}
	out(d, "(");
	for (size_t i = 0; i < b->n_args; i++) {
		if (i)
			out(d, op);
		expr(d, b->args[i]);
	}
	out(d, ")");
	return MT_BOOL;
}

/* A subquery in an expression: (SELECT ...), EXISTS, x IN (SELECT ...),
 * ARRAY(SELECT ...) (its rows as one array text). */
static mur_type sub_link(dp *d, const PgQuery__SubLink *s)
{
	pgc_column cols[PGC_COLUMNS_MAX];
	int ncols = 0;
	const PgQuery__SelectStmt *sel = s->subselect->select_stmt;
	switch (s->sub_link_type) {
	case PG_QUERY__SUB_LINK_TYPE__EXISTS_SUBLINK:
		out(d, "EXISTS (");
		select_stmt(d, sel, cols, &ncols, 0);
		out(d, ")");
		return MT_BOOL;
	case PG_QUERY__SUB_LINK_TYPE__ANY_SUBLINK:
		out(d, "(");
		expr(d, s->testexpr);
		out(d, " IN (");
		select_stmt(d, sel, cols, &ncols, 0);
		out(d, "))");
		return MT_BOOL;
	case PG_QUERY__SUB_LINK_TYPE__EXPR_SUBLINK:
		out(d, "(");
		select_stmt(d, sel, cols, &ncols, 0);
		out(d, ")");
		return ncols ? cols[0].type : MT_TEXT;
	case PG_QUERY__SUB_LINK_TYPE__ARRAY_SUBLINK:
		out(d, "(SELECT pgc_array_agg(pgc_v) FROM (");
		select_stmt(d, sel, cols, &ncols, 1);
		out(d, "))");
		return MT_TEXT;
	default:
		return fail(d, "this kind of subquery");
	}
}

static mur_type case_expr(dp *d, const PgQuery__CaseExpr *c)
{
	mur_type t = MT_UNKNOWN;
	out(d, "(CASE");
	if (c->arg) {
		out(d, " ");
		expr(d, c->arg);
	}
	for (size_t i = 0; i < c->n_args; i++) {
		const PgQuery__CaseWhen *w = c->args[i]->case_when;
		mur_type rt;
		out(d, " WHEN ");
		expr(d, w->expr);
		out(d, " THEN ");
		rt = expr(d, w->result);
		if (t == MT_UNKNOWN && !(w->result->node_case == PG_QUERY__NODE__NODE_A_CONST &&
					 w->result->a_const->isnull))
			t = rt;
	}
	if (c->defresult) {
		out(d, " ELSE ");
		expr(d, c->defresult);
	}
	out(d, " END)");
	return t == MT_UNKNOWN ? MT_TEXT : t;
}

static mur_type sql_value_function(dp *d, const PgQuery__SQLValueFunction *f)
{
	switch (f->op) {
	case PG_QUERY__SQLVALUE_FUNCTION_OP__SVFOP_CURRENT_ROLE:
	case PG_QUERY__SQLVALUE_FUNCTION_OP__SVFOP_CURRENT_USER:
	case PG_QUERY__SQLVALUE_FUNCTION_OP__SVFOP_USER:
	case PG_QUERY__SQLVALUE_FUNCTION_OP__SVFOP_SESSION_USER:
		out(d, "pgc_current_user()");
		return MT_TEXT;
	case PG_QUERY__SQLVALUE_FUNCTION_OP__SVFOP_CURRENT_CATALOG:
		out(d, "pgc_current_database()");
		return MT_TEXT;
	case PG_QUERY__SQLVALUE_FUNCTION_OP__SVFOP_CURRENT_SCHEMA:
		out(d, "pgc_current_schema()");
		return MT_TEXT;
	default:
		return fail(d, "date and time functions in catalog queries");
	}
}

static mur_type expr(dp *d, const PgQuery__Node *n)
{
	if (d->failed)
		return MT_TEXT;
	switch (n->node_case) {
	case PG_QUERY__NODE__NODE_COLUMN_REF:
		return column_ref(d, n->column_ref);
	case PG_QUERY__NODE__NODE_A_CONST:
		return a_const(d, n->a_const);
	case PG_QUERY__NODE__NODE_TYPE_CAST:
		return type_cast(d, n->type_cast);
	case PG_QUERY__NODE__NODE_COLLATE_CLAUSE:
		return expr(d, n->collate_clause->arg); /* catalog text compares bytewise */
	case PG_QUERY__NODE__NODE_A_EXPR:
		return a_expr(d, n->a_expr);
	case PG_QUERY__NODE__NODE_BOOL_EXPR:
		return bool_expr(d, n->bool_expr);
	case PG_QUERY__NODE__NODE_FUNC_CALL:
		return func_call(d, n->func_call);
	case PG_QUERY__NODE__NODE_SUB_LINK:
		return sub_link(d, n->sub_link);
	case PG_QUERY__NODE__NODE_CASE_EXPR:
		return case_expr(d, n->case_expr);
	case PG_QUERY__NODE__NODE_SQLVALUE_FUNCTION:
		return sql_value_function(d, n->sqlvalue_function);
	case PG_QUERY__NODE__NODE_NULL_TEST:
		out(d, "(");
		expr(d, n->null_test->arg);
		out(d, n->null_test->nulltesttype == PG_QUERY__NULL_TEST_TYPE__IS_NULL
			       ? " IS NULL)"
			       : " IS NOT NULL)");
		return MT_BOOL;
	case PG_QUERY__NODE__NODE_COALESCE_EXPR: {
		mur_type t = MT_TEXT;
		out(d, "coalesce(");
		args(d, n->coalesce_expr->args, n->coalesce_expr->n_args, &t);
		out(d, ")");
		return t;
	}
	case PG_QUERY__NODE__NODE_A_ARRAY_EXPR:
		out(d, "pgc_array(");
		args(d, n->a_array_expr->elements, n->a_array_expr->n_elements, NULL);
		out(d, ")");
		return MT_TEXT;
	case PG_QUERY__NODE__NODE_A_INDIRECTION: {
		const PgQuery__AIndirection *ind = n->a_indirection;
		if (ind->n_indirection != 1 ||
		    ind->indirection[0]->node_case != PG_QUERY__NODE__NODE_A_INDICES ||
		    ind->indirection[0]->a_indices->is_slice)
			return fail(d, "this subscript");
		out(d, "pgc_array_at(");
		expr(d, ind->arg);
		out(d, ", ");
		expr(d, ind->indirection[0]->a_indices->uidx);
		out(d, ")");
		return MT_TEXT;
	}
	case PG_QUERY__NODE__NODE_PARAM_REF:
		mur_buf_printf(d->b, "?%d", n->param_ref->number);
		if (n->param_ref->number > d->max_param)
			d->max_param = n->param_ref->number;
		return MT_TEXT;
	default:
		return fail(d, "this expression");
	}
}

/* ---- FROM ---- */

/* A FROM item: relation rel, or (rel NULL) a subquery with cols[0..n). */
static void scope_add(dp *d, const char *alias, const pgc_rel *rel, const pgc_column *cols, int n)
{
	dp_scope *sc;
	if (d->nscope >= PGC_SCOPE_MAX) {
		fail(d, "this many relations in one catalog query");
		return;
	}
	sc = &d->scope[d->nscope];
	memset(sc, 0, sizeof *sc);
	sc->alias = alias;
	sc->rel = rel;
	sc->level = d->level;
	if (!rel && n > 0) {
		if (!(sc->cols = malloc(sizeof *sc->cols * (size_t)n))) {
			mur_error_set(d->err, SQLSTATE_OUT_OF_MEMORY, "out of memory");
			d->failed = 1;
			return;
		}
		memcpy(sc->cols, cols, sizeof *sc->cols * (size_t)n);
		sc->ncols = n;
	}
	d->nscope++;
}

static void range_var(dp *d, const PgQuery__RangeVar *rv)
{
	const pgc_rel *rel = NULL;
	const char *schema = rv->schemaname && rv->schemaname[0] ? rv->schemaname : NULL;
	rel = pgc_rel_find(schema, rv->relname);
	if (!rel) {
		if (!d->failed)
			mur_error_set(d->err, SQLSTATE_UNDEFINED_TABLE,
				      "relation \"%s%s%s\" does not exist", schema ? schema : "",
				      schema ? "." : "", rv->relname);
		d->failed = 1;
		return;
	}
	/* schema-qualified, quoted: pgc_materialize looks for exactly this */
	mur_buf_printf(d->b, "%s.\"%s\"",
		       schema                                    ? schema
		       : pgc_rel_find("pg_catalog", rv->relname) ? "pg_catalog"
								 : "information_schema",
		       rv->relname);
	out(d, " AS ");
	pgc_put_ident(d->b, rv->alias ? rv->alias->aliasname : rv->relname);
	scope_add(d, rv->alias ? rv->alias->aliasname : rv->relname, rel, NULL, 0);
}

/* generate_series(a, b) and unnest(arr) in FROM, as subqueries. */
static void range_function(dp *d, const PgQuery__RangeFunction *rf)
{
	const PgQuery__Node *call;
	const PgQuery__FuncCall *f;
	const char *name, *alias = rf->alias ? rf->alias->aliasname : "f";
	pgc_column col = {.type = MT_TEXT};
	if (rf->n_functions != 1 || rf->functions[0]->list->n_items < 1) {
		fail(d, "this function in FROM");
		return;
	}
	call = rf->functions[0]->list->items[0];
	if (call->node_case != PG_QUERY__NODE__NODE_FUNC_CALL) {
		fail(d, "this function in FROM");
		return;
	}
	f = call->func_call;
	name = last_name(f->funcname, f->n_funcname);
	if (name && !strcmp(name, "generate_series") && f->n_args == 2) {
		out(d, "(WITH RECURSIVE pgc_g(v) AS (SELECT ");
		expr(d, f->args[0]);
		out(d, " UNION ALL SELECT v + 1 FROM pgc_g WHERE v < ");
		expr(d, f->args[1]);
		out(d, ") SELECT v AS ");
		pgc_put_ident(d->b, alias);
		out(d, " FROM pgc_g)");
	} else if (name && !strcmp(name, "unnest") && f->n_args == 1) {
		out(d, "(SELECT value AS ");
		pgc_put_ident(d->b, alias);
		out(d, " FROM json_each(pgc_array_json(");
		expr(d, f->args[0]);
		out(d, ")))");
	} else {
		fail(d, name ? name : "this function in FROM");
		return;
	}
	out(d, " AS ");
	pgc_put_ident(d->b, alias);
	snprintf(col.name, sizeof col.name, "%s", alias);
	scope_add(d, alias, NULL, &col, 1);
}

/* (SELECT ...) AS s, or with column names, s(a, b): then the subquery's
 * columns, by the names it gave them, renamed in a wrapping SELECT (SQLite
 * has no column list on an alias). */
static void range_subselect(dp *d, const PgQuery__RangeSubselect *rs)
{
	pgc_column cols[PGC_COLUMNS_MAX];
	int ncols = 0;
	const PgQuery__Alias *al = rs->alias;
	mur_buf sub, *outer = d->b;
	mur_buf_init(&sub);
	d->b = &sub;
	select_stmt(d, rs->subquery->select_stmt, cols, &ncols, 0);
	d->b = outer;
	out(d, "(");
	if (al && al->n_colnames) {
		out(d, "SELECT ");
		for (size_t i = 0; i < al->n_colnames && i < (size_t)ncols; i++) {
			if (i)
				out(d, ", ");
			pgc_put_ident(d->b, cols[i].name);
			out(d, " AS ");
			pgc_put_ident(d->b,
				      str_of(al->colnames[i]) ? str_of(al->colnames[i]) : "?");
		}
		out(d, " FROM (");
	}
	mur_buf_put(d->b, sub.data, sub.len);
	mur_buf_free(&sub);
	out(d, al && al->n_colnames ? "))" : ")");
	for (size_t i = 0; al && i < al->n_colnames && i < (size_t)ncols; i++)
		if (str_of(al->colnames[i]))
			snprintf(cols[i].name, PGC_NAME_MAX, "%s", str_of(al->colnames[i]));
	if (al) {
		out(d, " AS ");
		pgc_put_ident(d->b, al->aliasname);
	}
	scope_add(d, al ? al->aliasname : "", NULL, cols, ncols);
}

static void from_item(dp *d, const PgQuery__Node *n)
{
	switch (n->node_case) {
	case PG_QUERY__NODE__NODE_RANGE_VAR:
		range_var(d, n->range_var);
		return;
	case PG_QUERY__NODE__NODE_JOIN_EXPR: {
		const PgQuery__JoinExpr *j = n->join_expr;
		if (j->jointype == PG_QUERY__JOIN_TYPE__JOIN_FULL ||
		    j->jointype == PG_QUERY__JOIN_TYPE__JOIN_RIGHT || j->n_using_clause ||
		    j->is_natural) {
			fail(d, "this join");
			return;
		}
		out(d, "(");
		from_item(d, j->larg);
		out(d, j->jointype == PG_QUERY__JOIN_TYPE__JOIN_LEFT ? " LEFT JOIN " : " JOIN ");
		from_item(d, j->rarg);
		if (j->quals) {
			out(d, " ON ");
			expr(d, j->quals);
		}
		out(d, ")");
		return;
	}
	case PG_QUERY__NODE__NODE_RANGE_SUBSELECT:
		range_subselect(d, n->range_subselect);
		return;
	case PG_QUERY__NODE__NODE_RANGE_FUNCTION:
		range_function(d, n->range_function);
		return;
	default:
		fail(d, "this FROM item");
	}
}

/* ---- SELECT ---- */

/* The name PostgreSQL gives an unnamed result column. */
static void column_name(const PgQuery__ResTarget *rt, char *out_name, size_t n)
{
	const PgQuery__Node *v = rt->val;
	const char *s = "?column?";
	if (rt->name && rt->name[0])
		s = rt->name;
	else if (v->node_case == PG_QUERY__NODE__NODE_COLUMN_REF) {
		const PgQuery__ColumnRef *c = v->column_ref;
		s = str_of(c->fields[c->n_fields - 1]) ? str_of(c->fields[c->n_fields - 1]) : s;
	} else if (v->node_case == PG_QUERY__NODE__NODE_FUNC_CALL)
		s = last_name(v->func_call->funcname, v->func_call->n_funcname);
	else if (v->node_case == PG_QUERY__NODE__NODE_TYPE_CAST &&
		 v->type_cast->arg->node_case == PG_QUERY__NODE__NODE_COLUMN_REF) {
		const PgQuery__ColumnRef *c = v->type_cast->arg->column_ref;
		s = str_of(c->fields[c->n_fields - 1]) ? str_of(c->fields[c->n_fields - 1]) : s;
	} else if (v->node_case == PG_QUERY__NODE__NODE_TYPE_CAST)
		s = last_name(v->type_cast->type_name->names, v->type_cast->type_name->n_names);
	else if (v->node_case == PG_QUERY__NODE__NODE_CASE_EXPR)
		s = "case";
	else if (v->node_case == PG_QUERY__NODE__NODE_SUB_LINK &&
		 v->sub_link->sub_link_type == PG_QUERY__SUB_LINK_TYPE__ARRAY_SUBLINK)
		s = "array";
	else if (v->node_case == PG_QUERY__NODE__NODE_SUB_LINK &&
		 v->sub_link->sub_link_type == PG_QUERY__SUB_LINK_TYPE__EXISTS_SUBLINK)
		s = "exists";
	else if (v->node_case == PG_QUERY__NODE__NODE_SQLVALUE_FUNCTION)
		s = "current_user";
	snprintf(out_name, n, "%s", s ? s : "?column?");
}

/* One result column: its name, its type. */
static void result_column(dp *d, pgc_column *cols, int *ncols, const char *name, mur_type t)
{
	if (*ncols >= PGC_COLUMNS_MAX) {
		fail(d, "this many result columns");
		return;
	}
	snprintf(cols[*ncols].name, PGC_NAME_MAX, "%s", name);
	cols[(*ncols)++].type = t;
}

/* SELECT * / SELECT x.*: every column of this SELECT's FROM items (those
 * from scope index first on, at this level), qualified by their alias. */
static void star(dp *d, const PgQuery__ColumnRef *c, int first, pgc_column *cols, int *ncols)
{
	const char *qual = c->n_fields >= 2 ? str_of(c->fields[c->n_fields - 2]) : NULL;
	int n = 0;
	for (int i = first; i < d->nscope; i++) {
		const dp_scope *sc = &d->scope[i];
		pgc_column rc[PGC_COLUMNS_MAX];
		int nrc = sc->ncols;
		if (sc->level != d->level || (qual && strcmp(sc->alias, qual) != 0))
			continue;
		if (sc->rel)
			nrc = pgc_rel_columns(sc->rel, rc, PGC_COLUMNS_MAX);
		for (int k = 0; k < nrc; k++) {
			const pgc_column *col = sc->rel ? &rc[k] : &sc->cols[k];
			if (n++)
				out(d, ", ");
			pgc_put_ident(d->b, sc->alias);
			out(d, ".");
			pgc_put_ident(d->b, col->name);
			result_column(d, cols, ncols, col->name, col->type);
		}
	}
	if (!n)
		fail(d, "* without columns");
}

static int is_star(const PgQuery__Node *v)
{
	return v->node_case == PG_QUERY__NODE__NODE_COLUMN_REF && v->column_ref->n_fields &&
	       v->column_ref->fields[v->column_ref->n_fields - 1]->node_case ==
		       PG_QUERY__NODE__NODE_A_STAR;
}

static void target_list(dp *d, const PgQuery__SelectStmt *s, int first_scope, pgc_column *cols,
			int *ncols, int first_as)
{
	for (size_t i = 0; i < s->n_target_list; i++) {
		const PgQuery__ResTarget *rt = s->target_list[i]->res_target;
		mur_type t;
		if (i)
			out(d, ", ");
		if (is_star(rt->val)) {
			star(d, rt->val->column_ref, first_scope, cols, ncols);
			continue;
		}
		t = expr(d, rt->val);
		if (i == 0 && first_as)
			out(d, " AS pgc_v");
		else {
			char name[PGC_NAME_MAX];
			column_name(rt, name, sizeof name);
			out(d, " AS ");
			pgc_put_ident(d->b, name);
			result_column(d, cols, ncols, name, t);
			continue;
		}
		result_column(d, cols, ncols, "pgc_v", t);
	}
}

static void sort_list(dp *d, PgQuery__Node **items, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		const PgQuery__SortBy *sb = items[i]->sort_by;
		out(d, i ? ", " : "ORDER BY ");
		expr(d, sb->node);
		if (sb->sortby_dir == PG_QUERY__SORT_BY_DIR__SORTBY_DESC)
			out(d, " DESC");
		if (sb->sortby_nulls == PG_QUERY__SORT_BY_NULLS__SORTBY_NULLS_FIRST)
			out(d, " NULLS FIRST");
		else if (sb->sortby_nulls == PG_QUERY__SORT_BY_NULLS__SORTBY_NULLS_LAST)
			out(d, " NULLS LAST");
	}
}

/* VALUES (...), (...): SQLite names its columns column1, column2, ...;
 * their types are the first row's. */
static void values_lists(dp *d, const PgQuery__SelectStmt *s, pgc_column *cols, int *ncols)
{
	out(d, "VALUES ");
	for (size_t r = 0; r < s->n_values_lists; r++) {
		const PgQuery__List *row = s->values_lists[r]->list;
		out(d, r ? ", (" : "(");
		for (size_t i = 0; i < row->n_items; i++) {
			mur_type t;
			if (i)
				out(d, ", ");
			t = expr(d, row->items[i]);
			if (r || *ncols >= PGC_COLUMNS_MAX)
				continue;
			snprintf(cols[*ncols].name, PGC_NAME_MAX, "column%zu", i + 1);
			cols[(*ncols)++].type = t;
		}
		out(d, ")");
	}
}

static void simple_select(dp *d, const PgQuery__SelectStmt *s, pgc_column *cols, int *ncols,
			  int first_as)
{
	mur_buf *target = d->b, from;
	int first_scope = d->nscope;
	if (s->n_values_lists) {
		values_lists(d, s, cols, ncols);
		return;
	}
	if (s->with_clause || s->n_window_clause || s->n_locking_clause)
		fail(d, "WITH, WINDOW or FOR UPDATE in catalog queries");
	/* FROM first, into its own buffer, so the target list sees its aliases */
	mur_buf_init(&from);
	d->b = &from;
	for (size_t i = 0; i < s->n_from_clause; i++) {
		if (i)
			out(d, ", ");
		from_item(d, s->from_clause[i]);
	}
	d->b = target;
	out(d, "SELECT ");
	if (s->n_distinct_clause)
		out(d, "DISTINCT ");
	target_list(d, s, first_scope, cols, ncols, first_as);
	if (s->n_from_clause) {
		out(d, " FROM ");
		mur_buf_put(d->b, from.data, from.len);
	}
	mur_buf_free(&from);
	if (s->where_clause) {
		out(d, " WHERE ");
		expr(d, s->where_clause);
	}
	for (size_t i = 0; i < s->n_group_clause; i++) {
		out(d, i ? ", " : " GROUP BY ");
		expr(d, s->group_clause[i]);
	}
	if (s->having_clause) {
		out(d, " HAVING ");
		expr(d, s->having_clause);
	}
}

static void select_stmt(dp *d, const PgQuery__SelectStmt *s, pgc_column *cols, int *ncols,
			int first_as)
{
	if (d->failed)
		return;
	d->level++;
	if (s->op != PG_QUERY__SET_OPERATION__SETOP_NONE) {
		pgc_column rcols[PGC_COLUMNS_MAX];
		int rn = 0;
		static const char *const ops[] = {"", " UNION ", " INTERSECT ", " EXCEPT "};
		select_stmt(d, s->larg, cols, ncols, first_as);
		out(d, ops[s->op - PG_QUERY__SET_OPERATION__SETOP_NONE]);
		if (s->all)
			out(d, "ALL ");
		select_stmt(d, s->rarg, rcols, &rn, first_as);
	} else
		simple_select(d, s, cols, ncols, first_as);
	if (s->n_sort_clause)
		out(d, " ");
	sort_list(d, s->sort_clause, s->n_sort_clause);
	if (s->limit_count) {
		out(d, " LIMIT ");
		expr(d, s->limit_count);
	}
	if (s->limit_offset) {
		out(d, s->limit_count ? " OFFSET " : " LIMIT -1 OFFSET ");
		expr(d, s->limit_offset);
	}
	d->level--;
}

int pgc_translate(const PgQuery__Node *stmt, mur_buf *b, pgc_column *cols, int *ncols, int *nparams,
		  mur_error *err)
{
	dp d = {.b = b, .err = err};
	*ncols = 0;
	*nparams = 0;
	if (stmt->node_case != PG_QUERY__NODE__NODE_SELECT_STMT)
		return mur_error_set(err, SQLSTATE_FEATURE_NOT_SUPPORTED,
				     "murphy's pg_catalog answers only SELECT");
	select_stmt(&d, stmt->select_stmt, cols, ncols, 0);
	if (!d.failed && !mur_buf_ok(b)) {
		mur_error_set(err, SQLSTATE_OUT_OF_MEMORY, "out of memory");
		d.failed = 1;
	}
	*nparams = d.max_param;
	for (int i = 0; i < d.nscope; i++)
		free(d.scope[i].cols);
	return d.failed ? MUR_ERR : MUR_OK;
}
