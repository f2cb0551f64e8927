/*
 * pgc_expr.c — the expressions of a catalog query → SQLite text, with
 * their types (pgc_deparse.c writes the SELECTs around them; the mapping
 * of PostgreSQL's spellings is listed there).
 *
 * The function table maps each PostgreSQL function a catalog query may
 * call to the SQLite function that answers it (pgc_func.c's pgc_*, SQLite's
 * own, storage's mur_*) and the type of its result.
 */
#include "pgcatalog/pgc_int.h"

#include "common/numeric.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

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
	{"obj_description", "pgc_obj_description", MT_TEXT},
	{"col_description", "pgc_col_description", MT_TEXT},
	{"shobj_description", "pgc_null", MT_TEXT},
	{"pg_get_function_result", "pgc_null", MT_TEXT},
	{"pg_get_function_arguments", "pgc_null", MT_TEXT},
	{"pg_get_statisticsobjdef_columns", "pgc_null", MT_TEXT},
	{"pg_get_viewdef", "pgc_get_viewdef", MT_TEXT},
	{"pg_relation_is_publishable", "pgc_false", MT_BOOL},
	{"pg_opclass_is_visible", "pgc_true", MT_BOOL},
	{"pg_opfamily_is_visible", "pgc_true", MT_BOOL},
	{"pg_operator_is_visible", "pgc_true", MT_BOOL},
	{"pg_conversion_is_visible", "pgc_true", MT_BOOL},
	{"pg_collation_is_visible", "pgc_true", MT_BOOL},
	{"pg_database_size", "pgc_null", MT_INT8},
	{"pg_tablespace_location", "pgc_null", MT_TEXT},
	{"has_table_privilege", "pgc_has_table_privilege", MT_BOOL},
	{"has_schema_privilege", "pgc_has_schema_privilege", MT_BOOL},
	{"has_database_privilege", "pgc_has_database_privilege", MT_BOOL},
	{"has_column_privilege", "pgc_has_column_privilege", MT_BOOL},
	{"has_any_column_privilege", "pgc_has_any_column_privilege", MT_BOOL},
	{"pg_has_role", "pgc_pg_has_role", MT_BOOL},
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
	/* the leader's (leader/lead_signal.c): they signal its sessions */
	{"pg_cancel_backend", "murphy_cancel_backend", MT_BOOL},
	{"pg_terminate_backend", "murphy_terminate_backend", MT_BOOL},
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
	{"abs", "mur_abs", MT_UNKNOWN}, /* storage's: numeric stays exact */
	{"replace", "replace", MT_TEXT},
	{"substr", "substr", MT_TEXT},
	{"substring", "substr", MT_TEXT},
	/* what pg_dump calls */
	{"pg_is_in_recovery", "pgc_false", MT_BOOL}, /* the leader is the primary */
	{"acldefault", "pgc_null", MT_TEXT},         /* no privileges shown: none dumped */
	{"pg_get_triggerdef", "pgc_null", MT_TEXT},  /* no triggers shown */
	/* psql's \d "Referenced by:": no table is a partition, so a table's
	 * only ancestor is itself (one row, as PostgreSQL's) */
	{"pg_partition_ancestors", "pgc_get_expr", MT_INT8},
	{"quote_literal", "quote", MT_TEXT},
	{"array_remove", "pgc_array_remove", MT_TEXT},
	/* in a select list: refused for any row it meets (pg_dump's read only
	 * pg_db_role_setting, which murphy leaves empty) */
	{"unnest", "pgc_unnest_in_select_list", MT_TEXT},
	{"btrim", "trim", MT_TEXT}, /* trim(both 'x' from s): pgjdbc's getIndexInfo */
	{"ltrim", "ltrim", MT_TEXT},
	{"rtrim", "rtrim", MT_TEXT},
};

static const dp_func *func_find(const char *name)
{
	for (size_t i = 0; i < sizeof funcs / sizeof funcs[0]; i++)
		if (strcasecmp(funcs[i].pg, name) == 0)
			return &funcs[i];
	return NULL;
}

/* ---- expressions ---- */

static void args(pgc_dp *d, PgQuery__Node **a, size_t n, mur_type *first)
{
	for (size_t i = 0; i < n; i++) {
		mur_type t;
		if (i)
			pgc_dp_out(d, ", ");
		t = pgc_dp_expr(d, a[i]);
		if (i == 0 && first)
			*first = t;
	}
}

/* OVER (PARTITION BY ... ORDER BY ...); SQLite's default frame is
 * PostgreSQL's. */
static void window(pgc_dp *d, const PgQuery__WindowDef *w)
{
	if ((w->name && w->name[0]) || (w->refname && w->refname[0]) || w->start_offset ||
	    w->end_offset) {
		pgc_dp_fail(d, "named windows and window frames in catalog queries");
		return;
	}
	pgc_dp_out(d, " OVER (");
	for (size_t i = 0; i < w->n_partition_clause; i++) {
		pgc_dp_out(d, i ? ", " : "PARTITION BY ");
		pgc_dp_expr(d, w->partition_clause[i]);
	}
	if (w->n_partition_clause && w->n_order_clause)
		pgc_dp_out(d, " ");
	pgc_dp_sort_list(d, w->order_clause, w->n_order_clause, NULL, 0);
	pgc_dp_out(d, ")");
}

/* pg_typeof(x): x's type as a regtype (its OID; a select list prints the
 * name, pgc_deparse.c).  x is written to learn its type, then replaced by
 * the OID.  A catalog column's type is not PostgreSQL's (name and oid
 * columns are text and bigint here), nor is that of a cast to a type
 * murphy has none of (oid, name, reg*): those are refused, not answered
 * wrong. */
static mur_type pg_typeof(pgc_dp *d, const PgQuery__Node *arg)
{
	size_t at = d->b->len;
	int refs = d->ncolref;
	mur_type t = pgc_dp_expr(d, arg);
	if (d->failed)
		return t;
	d->b->len = at;
	if (d->ncolref != refs)
		return pgc_dp_fail(d,
				   "pg_typeof of a column in a query of pg_catalog relations "
				   "(murphy's catalog columns keep their values, not PostgreSQL's "
				   "types: name, oid, regproc ...)");
	if (arg->node_case == PG_QUERY__NODE__NODE_TYPE_CAST) {
		const PgQuery__TypeName *tn = arg->type_cast->type_name;
		const char *ty = pgc_dp_last_name(tn->names, tn->n_names);
		if (!ty || tn->n_array_bounds || mur_type_from_name(ty) == MT_UNKNOWN)
			return pgc_dp_fail(d, "pg_typeof of this cast");
	}
	if (arg->node_case == PG_QUERY__NODE__NODE_A_CONST && !arg->a_const->isnull &&
	    arg->a_const->val_case == PG_QUERY__A__CONST__VAL_FVAL)
		t = MT_NUMERIC; /* 2.5 is numeric (written as a double here) */
	mur_buf_printf(d->b, "%u", mur_type_oid(t));
	return MT_INT8;
}

/* round(x[, n]) as PostgreSQL resolves it: numeric's (storage's
 * mur_round, exact, half away from zero) for a numeric x, else double
 * precision's round(float8), rint (half to even). */
static mur_type round_call(pgc_dp *d, const PgQuery__FuncCall *f)
{
	pgc_dp_text x;
	mur_type t;
	pgc_dp_expr_apart(d, f->args[0], &x);
	t = x.type == MT_NUMERIC || f->n_args == 2 ? MT_NUMERIC : MT_FLOAT8;
	mur_buf_printf(d->b, "%s(%s", t == MT_NUMERIC ? "mur_round" : "mur_rint",
		       mur_buf_cstr(&x.b));
	pgc_dp_text_free(&x);
	if (f->n_args == 2) {
		pgc_dp_out(d, ", ");
		pgc_dp_expr(d, f->args[1]);
	}
	pgc_dp_out(d, ")");
	return t;
}

/* left(s, n): the first n characters; n < 0: all but the last -n. */
static mur_type left_call(pgc_dp *d, const PgQuery__FuncCall *f)
{
	pgc_dp_text s, n;
	pgc_dp_expr_apart(d, f->args[0], &s);
	pgc_dp_expr_apart(d, f->args[1], &n);
	mur_buf_printf(d->b,
		       "substr(%s, 1, CASE WHEN %s >= 0 THEN %s ELSE max(length(%s) + %s, 0) END)",
		       mur_buf_cstr(&s.b), mur_buf_cstr(&n.b), mur_buf_cstr(&n.b),
		       mur_buf_cstr(&s.b), mur_buf_cstr(&n.b));
	pgc_dp_text_free(&s);
	pgc_dp_text_free(&n);
	return MT_TEXT;
}

/* avg: of an interval only (typed_agg); of anything else 0A000, as before. */
static const dp_func avg_interval = {"avg", "avg", MT_INTERVAL};

static int is_typed_agg(const dp_func *fn)
{
	return !strcmp(fn->pg, "max") || !strcmp(fn->pg, "min") || !strcmp(fn->pg, "sum") ||
	       fn == &avg_interval;
}

/* max, min, sum, avg of one argument, by its type: a numeric (text here)
 * by value (max(x COLLATE mur_numeric), storage's exact mur_num_sum), an
 * interval by its span (its stored text orders so) and summed as one
 * (mur_iv_sum; avg: that sum / count, as the emitter's); any other as
 * SQLite's own.  Returns the result's type; MT_UNKNOWN when refused. */
static mur_type typed_agg(pgc_dp *d, const PgQuery__FuncCall *f, const dp_func *fn)
{
	pgc_dp_text x;
	const char *X, *distinct = f->agg_distinct ? "DISTINCT " : "";
	mur_type t;
	pgc_dp_expr_apart(d, f->args[0], &x);
	X = mur_buf_cstr(&x.b);
	t = x.type;
	if (fn == &avg_interval && t != MT_INTERVAL) {
		pgc_dp_fail(d, "avg of this in catalog queries");
		t = MT_UNKNOWN;
	} else if (fn == &avg_interval)
		mur_buf_printf(d->b, "mur_iv_mul(mur_iv_sum(%s), count(%s), 1)", X, X);
	else if (strcmp(fn->pg, "sum") && t == MT_NUMERIC)
		mur_buf_printf(d->b, "%s(%s%s COLLATE " MUR_NUM_COLLATION ")", fn->sqlite, distinct,
			       X);
	else if (!strcmp(fn->pg, "sum") && (t == MT_NUMERIC || t == MT_INTERVAL))
		mur_buf_printf(d->b, "%s(%s%s)", t == MT_NUMERIC ? "mur_num_sum" : "mur_iv_sum",
			       distinct, X);
	else {
		mur_buf_printf(d->b, "%s(%s%s)", fn->sqlite, distinct, X);
		if (fn->type != MT_UNKNOWN)
			t = fn->type;
	}
	pgc_dp_text_free(&x);
	return t;
}

static mur_type func_call(pgc_dp *d, const PgQuery__FuncCall *f)
{
	const char *name = pgc_dp_last_name(f->funcname, f->n_funcname);
	const dp_func *fn = name ? func_find(name) : NULL;
	mur_type first = MT_TEXT, fn_type;
	if (name && pgc_srf_is(name))
		return pgc_srf_call(d, f, NULL);
	if (name && !strcasecmp(name, "pg_typeof") && f->n_args == 1 && !f->over)
		return pg_typeof(d, f->args[0]);
	if (name && !fn && pgc_time_func(d, name, f, &first))
		return first;
	if (name && !strcasecmp(name, "round") && (f->n_args == 1 || f->n_args == 2) && !f->over)
		return round_call(d, f);
	if (name && !strcasecmp(name, "left") && f->n_args == 2 && !f->over)
		return left_call(d, f);
	if (name && !strcasecmp(name, "avg") && f->n_args == 1 && !f->over && !f->agg_distinct)
		fn = &avg_interval;
	if (!fn)
		return pgc_dp_fail(d, name ? name : "this function");
	fn_type = fn->type;
	if (f->n_args == 1 && !f->agg_star && !f->over && is_typed_agg(fn)) {
		fn_type = first = typed_agg(d, f, fn);
		if (first == MT_UNKNOWN)
			return MT_TEXT; /* failed */
	} else {
		pgc_dp_out(d, fn->sqlite);
		pgc_dp_out(d, "(");
		if (f->agg_distinct)
			pgc_dp_out(d, "DISTINCT ");
		if (f->agg_star)
			pgc_dp_out(d, "*");
		args(d, f->args, f->n_args, &first);
		pgc_dp_out(d, ")");
	}
	if (f->agg_filter) { /* SQLite's own aggregate FILTER clause */
		pgc_dp_out(d, " FILTER (WHERE ");
		pgc_dp_expr(d, f->agg_filter);
		pgc_dp_out(d, ")");
	}
	if (f->over)
		window(d, f->over);
	return fn_type == MT_UNKNOWN ? first : fn_type;
}

/* The OID of the catalog relation qual names (NULL: the innermost SELECT's
 * only relation), 0 for none: pg_dump finds objects by (tableoid, oid). */
static uint32_t tableoid(const pgc_dp *d, const char *qual)
{
	for (int i = d->nscope - 1; i >= 0; i--) {
		const pgc_dp_scope *sc = &d->scope[i];
		if (qual ? strcmp(sc->alias, qual) == 0 : sc->level == d->level)
			return sc->rel ? pgc_rel_oid(sc->rel) : 0;
	}
	return 0;
}

static mur_type column_ref(pgc_dp *d, const PgQuery__ColumnRef *c)
{
	const char *col = NULL, *qual = NULL;
	if (c->n_fields && c->fields[c->n_fields - 1]->node_case == PG_QUERY__NODE__NODE_A_STAR) {
		pgc_dp_out(d, "*");
		return MT_TEXT;
	}
	col = pgc_dp_str(c->fields[c->n_fields - 1]);
	if (c->n_fields >= 2)
		qual = pgc_dp_str(c->fields[c->n_fields - 2]);
	if (!col)
		return pgc_dp_fail(d, "this column reference");
	if (!strcmp(col, "tableoid")) { /* the system column: which catalog a row is in */
		mur_buf_printf(d->b, "%u", tableoid(d, qual));
		return MT_INT8;
	}
	if (qual) {
		pgc_put_ident(d->b, qual);
		pgc_dp_out(d, ".");
	}
	pgc_put_ident(d->b, col);
	for (int i = d->nscope - 1; i >= 0; i--) {
		const pgc_dp_scope *sc = &d->scope[i];
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

static mur_type a_const(pgc_dp *d, const PgQuery__AConst *c)
{
	if (c->isnull) {
		pgc_dp_out(d, "NULL");
		return MT_TEXT;
	}
	switch (c->val_case) {
	case PG_QUERY__A__CONST__VAL_IVAL:
		mur_buf_printf(d->b, "%d", c->ival->ival);
		return MT_INT4;
	case PG_QUERY__A__CONST__VAL_FVAL:
		pgc_dp_out(d, c->fval->fval);
		return MT_FLOAT8;
	case PG_QUERY__A__CONST__VAL_BOOLVAL:
		pgc_dp_out(d, c->boolval->boolval ? "1" : "0");
		return MT_BOOL;
	case PG_QUERY__A__CONST__VAL_SVAL:
		pgc_put_string(d->b, c->sval->sval);
		return MT_TEXT;
	default:
		return pgc_dp_fail(d, "bit string constants");
	}
}

static int is_string_const(const PgQuery__Node *n)
{
	return n->node_case == PG_QUERY__NODE__NODE_A_CONST && !n->a_const->isnull &&
	       n->a_const->val_case == PG_QUERY__A__CONST__VAL_SVAL;
}

static int is_pg_typeof(const PgQuery__Node *n)
{
	const char *name;
	if (n->node_case != PG_QUERY__NODE__NODE_FUNC_CALL)
		return 0;
	name = pgc_dp_last_name(n->func_call->funcname, n->func_call->n_funcname);
	return name && !strcasecmp(name, "pg_typeof");
}

static mur_type type_cast(pgc_dp *d, const PgQuery__TypeCast *tc)
{
	const char *ty = pgc_dp_last_name(tc->type_name->names, tc->type_name->n_names);
	mur_type t;
	pgc_dp_text x;
	if (!ty)
		return pgc_dp_fail(d, "this cast");
	if (tc->type_name->n_array_bounds)
		return pgc_dp_expr(d, tc->arg); /* arrays stay in their text form */
	if (!strcmp(ty, "regclass") || !strcmp(ty, "regtype") || !strcmp(ty, "regnamespace") ||
	    !strcmp(ty, "regproc")) {
		int in = is_string_const(tc->arg);
		mur_buf_printf(d->b, "pgc_%s_%s(", ty, in ? "in" : "out");
		pgc_dp_expr(d, tc->arg);
		pgc_dp_out(d, ")");
		return in ? MT_INT8 : MT_TEXT;
	}
	if (is_pg_typeof(tc->arg) && (!strcmp(ty, "text") || !strcmp(ty, "name") ||
				      !strcmp(ty, "varchar"))) { /* regtype → text: the name */
		pgc_dp_out(d, "pgc_regtype_out(");
		pgc_dp_expr(d, tc->arg);
		pgc_dp_out(d, ")");
		return MT_TEXT;
	}
	t = mur_type_from_name(ty);
	if (!strcmp(ty, "oid") || !strcmp(ty, "regproc") || !strcmp(ty, "xid"))
		t = MT_INT8;
	else if (!strcmp(ty, "name") || !strcmp(ty, "char") || !strcmp(ty, "unknown"))
		t = MT_TEXT;
	if (t == MT_UNKNOWN)
		return pgc_dp_fail(d, ty);
	pgc_dp_expr_apart(d, tc->arg, &x);
	if (d->failed || pgc_time_cast(d, &x, t, tc->type_name))
		; /* written (or abandoned) */
	else if (t == MT_BOOL)
		mur_buf_printf(d->b, "pgc_bool(%s)", mur_buf_cstr(&x.b));
	else
		mur_buf_printf(d->b, "CAST(%s AS %s)", mur_buf_cstr(&x.b), mur_type_sqlite_decl(t));
	pgc_dp_text_free(&x);
	return t;
}

/* x ~ p, x ~* p, x !~ p, x !~* p → [NOT] mur_regex_match(x, p, flags):
 * storage's PostgreSQL regular expressions (storage/sqlfn_regex.c). */
static int regex_op(pgc_dp *d, const char *op, const PgQuery__AExpr *a)
{
	int neg = op[0] == '!', ci;
	const char *r = op + neg;
	if (r[0] != '~' || (r[1] && strcmp(r + 1, "*") != 0))
		return 0;
	ci = r[1] == '*';
	pgc_dp_out(d, neg ? "(NOT mur_regex_match(" : "(mur_regex_match(");
	pgc_dp_expr(d, a->lexpr);
	pgc_dp_out(d, ", ");
	pgc_dp_expr(d, a->rexpr);
	pgc_dp_out(d, ci ? ", 'i'))" : ", ''))");
	return 1;
}

static mur_type list_or_array(pgc_dp *d, const PgQuery__Node *n)
{
	if (n->node_case == PG_QUERY__NODE__NODE_LIST) {
		args(d, n->list->items, n->list->n_items, NULL);
		return MT_TEXT;
	}
	if (n->node_case == PG_QUERY__NODE__NODE_A_ARRAY_EXPR) {
		args(d, n->a_array_expr->elements, n->a_array_expr->n_elements, NULL);
		return MT_TEXT;
	}
	return pgc_dp_fail(d, "this list");
}

static mur_type op_any(pgc_dp *d, const char *op, const PgQuery__AExpr *a)
{
	const PgQuery__Node *r = a->rexpr;
	if (strcmp(op, "=") != 0 && strcmp(op, "<>") != 0)
		return pgc_dp_fail(d, "ANY with this operator");
	pgc_dp_out(d, "(");
	pgc_dp_expr(d, a->lexpr);
	if (r->node_case == PG_QUERY__NODE__NODE_A_ARRAY_EXPR) {
		pgc_dp_out(d, op[0] == '=' ? " IN (" : " NOT IN (");
		list_or_array(d, r);
		pgc_dp_out(d, "))");
		return MT_BOOL;
	}
	pgc_dp_out(d, op[0] == '=' ? " IN (SELECT value FROM json_each(pgc_array_json("
				   : " NOT IN (SELECT value FROM json_each(pgc_array_json(");
	pgc_dp_expr(d, r);
	pgc_dp_out(d, "))))");
	return MT_BOOL;
}

int pgc_dp_is_comparison(const char *op)
{
	static const char *const ops[] = {"=", "<>", "!=", "<", ">", "<=", ">="};
	for (size_t i = 0; i < sizeof ops / sizeof ops[0]; i++)
		if (!strcmp(op, ops[i]))
			return 1;
	return 0;
}

/* l op r with a numeric side (TEXT here, as everywhere in murphy:
 * common/numeric.h, which SQLite would compare by bytes, and after every
 * number): storage's exact mur_num_cmp and arithmetic, as the emitter
 * (sql/emit.c).  MT_UNKNOWN (nothing written) when neither side is
 * numeric, or the other is a float (SQLite's float arithmetic is
 * PostgreSQL's numeric → float8 then). */
/* A constant written with a point (2.5): numeric in PostgreSQL, written
 * here as a double, which keeps its digits as SQLite reads them back;
 * quoted, mur_num_* read it exactly. */
static int decimal_const(pgc_dp_text *x)
{
	const PgQuery__Node *n = x->node;
	if (n->node_case != PG_QUERY__NODE__NODE_A_CONST || n->a_const->isnull ||
	    n->a_const->val_case != PG_QUERY__A__CONST__VAL_FVAL)
		return 0;
	mur_buf_reset(&x->b);
	pgc_put_string(&x->b, n->a_const->fval->fval);
	return 1;
}

static mur_type numeric_op(pgc_dp *d, const char *op, pgc_dp_text *l, pgc_dp_text *r)
{
	static const char *const ops[][2] = {{"+", "mur_num_add"},
					     {"-", "mur_num_sub"},
					     {"*", "mur_num_mul"},
					     {"/", "mur_num_div"}};
	const char *L, *R;
	if (l->type != MT_NUMERIC && r->type != MT_NUMERIC)
		return MT_UNKNOWN;
	if (decimal_const(l) || decimal_const(r)) /* 2.5 is numeric beside one */
		l->type = r->type = MT_NUMERIC;
	L = mur_buf_cstr(&l->b);
	R = mur_buf_cstr(&r->b);
	if (pgc_dp_is_comparison(op)) {
		mur_buf_printf(d->b, "(mur_num_cmp(%s, %s) %s 0)", L, R,
			       strcmp(op, "!=") ? op : "<>");
		return MT_BOOL;
	}
	if (!mur_type_is_numeric(l->type) || !mur_type_is_numeric(r->type) ||
	    l->type == MT_FLOAT8 || r->type == MT_FLOAT8)
		return MT_UNKNOWN;
	for (size_t i = 0; i < sizeof ops / sizeof ops[0]; i++)
		if (!strcmp(op, ops[i][0])) {
			mur_buf_printf(d->b, "%s(%s, %s)", ops[i][1], L, R);
			return MT_NUMERIC;
		}
	return MT_UNKNOWN;
}

/* l op r (l NULL: a prefix operator), both written apart: a date/time
 * operand goes to pgc_time.c, a numeric one to numeric_op, any other pair
 * is SQLite's own operator. */
static mur_type op_expr(pgc_dp *d, const char *op, pgc_dp_text *l, pgc_dp_text *r)
{
	mur_type t = MT_UNKNOWN;
	if (d->failed)
		return MT_TEXT;
	if (l && (t = pgc_time_binop(d, op, l, r)) == MT_UNKNOWN)
		t = numeric_op(d, op, l, r);
	else if (!l && !strcmp(op, "-"))
		t = pgc_time_neg(d, r);
	if (t != MT_UNKNOWN)
		return t;
	pgc_dp_out(d, "(");
	if (l) {
		pgc_dp_out(d, mur_buf_cstr(&l->b));
		pgc_dp_out(d, " ");
	}
	pgc_dp_out(d, strcmp(op, "!=") ? op : "<>");
	pgc_dp_out(d, " ");
	if (l && l->type == MT_BOOL && is_string_const(r->node))
		mur_buf_printf(d->b, "pgc_bool(%s)", mur_buf_cstr(&r->b)); /* indisprimary = 't' */
	else
		pgc_dp_out(d, mur_buf_cstr(&r->b));
	pgc_dp_out(d, ")");
	if (pgc_dp_is_comparison(op))
		return MT_BOOL;
	if (!strcmp(op, "||"))
		return MT_TEXT;
	return l && (l->type == MT_FLOAT8 || r->type == MT_FLOAT8) ? MT_FLOAT8
	       : l                                                 ? l->type
								   : r->type;
}

static mur_type a_expr_op(pgc_dp *d, const char *op, const PgQuery__AExpr *a)
{
	pgc_dp_text l, r;
	mur_type t;
	if (a->lexpr)
		pgc_dp_expr_apart(d, a->lexpr, &l);
	pgc_dp_expr_apart(d, a->rexpr, &r);
	t = op_expr(d, op, a->lexpr ? &l : NULL, &r);
	if (a->lexpr)
		pgc_dp_text_free(&l);
	pgc_dp_text_free(&r);
	return t;
}

/* x [NOT] BETWEEN lo AND hi of dates, times or intervals: two comparisons
 * (the bounds take x's type; an interval compares by its span). */
static mur_type time_between(pgc_dp *d, int neg, pgc_dp_text *x, const PgQuery__List *l)
{
	pgc_dp_text lo, hi;
	pgc_dp_expr_apart(d, l->items[0], &lo);
	pgc_dp_expr_apart(d, l->items[1], &hi);
	pgc_dp_out(d, neg ? "(NOT (" : "((");
	op_expr(d, ">=", x, &lo);
	pgc_dp_out(d, " AND ");
	op_expr(d, "<=", x, &hi);
	pgc_dp_out(d, "))");
	pgc_dp_text_free(&lo);
	pgc_dp_text_free(&hi);
	return MT_BOOL;
}

/* x [NOT] IN (a, b, ...) of a date/time type: each item read as x's
 * type (an interval compared by its span), as x = a OR x = b ...; frees x. */
static mur_type time_in(pgc_dp *d, int neg, pgc_dp_text *x, const PgQuery__List *l)
{
	pgc_dp_out(d, neg ? "(NOT (" : "((");
	for (size_t i = 0; i < l->n_items; i++) {
		pgc_dp_text item;
		pgc_dp_expr_apart(d, l->items[i], &item);
		if (i)
			pgc_dp_out(d, " OR ");
		op_expr(d, "=", x, &item);
		pgc_dp_text_free(&item);
	}
	pgc_dp_out(d, "))");
	pgc_dp_text_free(x);
	return MT_BOOL;
}

static mur_type a_expr(pgc_dp *d, const PgQuery__AExpr *a)
{
	const char *op = pgc_dp_last_name(a->name, a->n_name);
	mur_type lt = MT_TEXT;
	if (!op)
		return pgc_dp_fail(d, "this operator");
	switch (a->kind) {
	case PG_QUERY__A__EXPR__KIND__AEXPR_OP:
		if (regex_op(d, op, a))
			return MT_BOOL;
		return a_expr_op(d, op, a);
	case PG_QUERY__A__EXPR__KIND__AEXPR_OP_ANY:
		return op_any(d, op, a);
	case PG_QUERY__A__EXPR__KIND__AEXPR_IN: {
		pgc_dp_text x;
		pgc_dp_expr_apart(d, a->lexpr, &x);
		if (pgc_time_is(x.type) && a->rexpr->node_case == PG_QUERY__NODE__NODE_LIST)
			return time_in(d, op[0] != '=', &x, a->rexpr->list);
		if (pgc_time_is(x.type))
			pgc_dp_fail(d, "this IN of dates, times or intervals in catalog queries");
		mur_buf_printf(d->b, "(%s%s", mur_buf_cstr(&x.b),
			       op[0] == '=' ? " IN (" : " NOT IN (");
		pgc_dp_text_free(&x);
		list_or_array(d, a->rexpr);
		pgc_dp_out(d, "))");
		return MT_BOOL;
	}
	case PG_QUERY__A__EXPR__KIND__AEXPR_LIKE:
	case PG_QUERY__A__EXPR__KIND__AEXPR_ILIKE:
		/* storage's mur_like: case-sensitive, '\' escapes, as PostgreSQL */
		pgc_dp_out(d, op[0] == '!' ? "(NOT " : "(");
		pgc_dp_out(d, a->kind == PG_QUERY__A__EXPR__KIND__AEXPR_ILIKE ? "mur_ilike("
									      : "mur_like(");
		pgc_dp_expr(d, a->lexpr);
		pgc_dp_out(d, ", ");
		pgc_dp_expr(d, a->rexpr);
		pgc_dp_out(d, "))");
		return MT_BOOL;
	case PG_QUERY__A__EXPR__KIND__AEXPR_DISTINCT:
	case PG_QUERY__A__EXPR__KIND__AEXPR_NOT_DISTINCT:
		pgc_dp_out(d, "(");
		pgc_dp_expr(d, a->lexpr);
		pgc_dp_out(d, a->kind == PG_QUERY__A__EXPR__KIND__AEXPR_DISTINCT ? " IS NOT "
										 : " IS ");
		pgc_dp_expr(d, a->rexpr);
		pgc_dp_out(d, ")");
		return MT_BOOL;
	case PG_QUERY__A__EXPR__KIND__AEXPR_NULLIF:
		pgc_dp_out(d, "nullif(");
		lt = pgc_dp_expr(d, a->lexpr);
		pgc_dp_out(d, ", ");
		pgc_dp_expr(d, a->rexpr);
		pgc_dp_out(d, ")");
		return lt;
	case PG_QUERY__A__EXPR__KIND__AEXPR_BETWEEN:
	case PG_QUERY__A__EXPR__KIND__AEXPR_NOT_BETWEEN: {
		const PgQuery__List *l = a->rexpr->list;
		int neg = a->kind == PG_QUERY__A__EXPR__KIND__AEXPR_NOT_BETWEEN;
		pgc_dp_text x;
		pgc_dp_expr_apart(d, a->lexpr, &x);
		if (pgc_time_is(x.type)) {
			time_between(d, neg, &x, l);
			pgc_dp_text_free(&x);
			return MT_BOOL;
		}
		mur_buf_printf(d->b, "(%s%s", mur_buf_cstr(&x.b),
			       neg ? " NOT BETWEEN " : " BETWEEN ");
		pgc_dp_text_free(&x);
		pgc_dp_expr(d, l->items[0]);
		pgc_dp_out(d, " AND ");
		pgc_dp_expr(d, l->items[1]);
		pgc_dp_out(d, ")");
		return MT_BOOL;
	}
	default:
		return pgc_dp_fail(d, "this operator");
	}
}

static mur_type bool_expr(pgc_dp *d, const PgQuery__BoolExpr *b)
{
	const char *op = b->boolop == PG_QUERY__BOOL_EXPR_TYPE__AND_EXPR ? " AND " : " OR ";
	if (b->boolop == PG_QUERY__BOOL_EXPR_TYPE__NOT_EXPR) {
		pgc_dp_out(d, "(NOT ");
		pgc_dp_expr(d, b->args[0]);
		pgc_dp_out(d, ")");
		return MT_BOOL;
	}
	pgc_dp_out(d, "(");
	for (size_t i = 0; i < b->n_args; i++) {
		if (i)
			pgc_dp_out(d, op);
		pgc_dp_expr(d, b->args[i]);
	}
	pgc_dp_out(d, ")");
	return MT_BOOL;
}

/* A subquery in an expression: (SELECT ...), EXISTS, x IN (SELECT ...),
 * ARRAY(SELECT ...) (its rows as one array text). */
static mur_type sub_link(pgc_dp *d, const PgQuery__SubLink *s)
{
	pgc_column cols[PGC_COLUMNS_MAX];
	int ncols = 0;
	const PgQuery__SelectStmt *sel = s->subselect->select_stmt;
	switch (s->sub_link_type) {
	case PG_QUERY__SUB_LINK_TYPE__EXISTS_SUBLINK:
		pgc_dp_out(d, "EXISTS (");
		pgc_dp_select(d, sel, cols, &ncols, 0);
		pgc_dp_out(d, ")");
		return MT_BOOL;
	case PG_QUERY__SUB_LINK_TYPE__ANY_SUBLINK:
		pgc_dp_out(d, "(");
		pgc_dp_expr(d, s->testexpr);
		pgc_dp_out(d, " IN (");
		pgc_dp_select(d, sel, cols, &ncols, 0);
		pgc_dp_out(d, "))");
		return MT_BOOL;
	case PG_QUERY__SUB_LINK_TYPE__EXPR_SUBLINK:
		pgc_dp_out(d, "(");
		pgc_dp_select(d, sel, cols, &ncols, 0);
		pgc_dp_out(d, ")");
		return ncols ? cols[0].type : MT_TEXT;
	case PG_QUERY__SUB_LINK_TYPE__ARRAY_SUBLINK:
		pgc_dp_out(d, "(SELECT pgc_array_agg(pgc_v) FROM (");
		pgc_dp_select(d, sel, cols, &ncols, 1);
		pgc_dp_out(d, "))");
		return MT_TEXT;
	default:
		return pgc_dp_fail(d, "this kind of subquery");
	}
}

/* Is n an untyped constant ('x', NULL), whose type is its neighbours'? */
static int untyped_const(const PgQuery__Node *n)
{
	return n->node_case == PG_QUERY__NODE__NODE_A_CONST &&
	       (n->a_const->isnull || n->a_const->val_case == PG_QUERY__A__CONST__VAL_SVAL);
}

/* The type of results written apart (CASE's, COALESCE's): the first
 * typed one's; result_out then reads an untyped constant beside a
 * date/time type as one (pgc_time.c), as PostgreSQL resolves it. */
static mur_type results(const pgc_dp_text *r, size_t n)
{
	mur_type t = MT_UNKNOWN;
	for (size_t i = 0; i < n && t == MT_UNKNOWN; i++)
		if (!untyped_const(r[i].node))
			t = r[i].type;
	return t == MT_UNKNOWN ? MT_TEXT : t;
}

static void result_out(pgc_dp *d, pgc_dp_text *r, mur_type t)
{
	if (pgc_time_is(t) && untyped_const(r->node) && !r->node->a_const->isnull)
		pgc_time_coerce(d, r, t);
	else
		pgc_dp_out(d, mur_buf_cstr(&r->b));
}

static mur_type case_expr(pgc_dp *d, const PgQuery__CaseExpr *c)
{
	size_t n = c->n_args + (c->defresult ? 1 : 0);
	pgc_dp_text *r = calloc(n ? n : 1, sizeof *r);
	mur_type t;
	if (!r)
		return pgc_dp_fail(d, "a CASE this large (out of memory)");
	for (size_t i = 0; i < c->n_args; i++)
		pgc_dp_expr_apart(d, c->args[i]->case_when->result, &r[i]);
	if (c->defresult)
		pgc_dp_expr_apart(d, c->defresult, &r[n - 1]);
	t = results(r, n);
	pgc_dp_out(d, "(CASE");
	if (c->arg) {
		pgc_dp_out(d, " ");
		pgc_dp_expr(d, c->arg);
	}
	for (size_t i = 0; i < c->n_args; i++) {
		pgc_dp_out(d, " WHEN ");
		pgc_dp_expr(d, c->args[i]->case_when->expr);
		pgc_dp_out(d, " THEN ");
		result_out(d, &r[i], t);
	}
	if (c->defresult) {
		pgc_dp_out(d, " ELSE ");
		result_out(d, &r[n - 1], t);
	}
	pgc_dp_out(d, " END)");
	for (size_t i = 0; i < n; i++)
		pgc_dp_text_free(&r[i]);
	free(r);
	return t;
}

static mur_type coalesce_expr(pgc_dp *d, const PgQuery__CoalesceExpr *c)
{
	pgc_dp_text *r = calloc(c->n_args ? c->n_args : 1, sizeof *r);
	mur_type t;
	if (!r)
		return pgc_dp_fail(d, "a COALESCE this large (out of memory)");
	for (size_t i = 0; i < c->n_args; i++)
		pgc_dp_expr_apart(d, c->args[i], &r[i]);
	t = results(r, c->n_args);
	pgc_dp_out(d, "coalesce(");
	for (size_t i = 0; i < c->n_args; i++) {
		if (i)
			pgc_dp_out(d, ", ");
		result_out(d, &r[i], t);
		pgc_dp_text_free(&r[i]);
	}
	pgc_dp_out(d, ")");
	free(r);
	return t;
}

static mur_type sql_value_function(pgc_dp *d, const PgQuery__SQLValueFunction *f)
{
	switch (f->op) {
	case PG_QUERY__SQLVALUE_FUNCTION_OP__SVFOP_CURRENT_ROLE:
	case PG_QUERY__SQLVALUE_FUNCTION_OP__SVFOP_CURRENT_USER:
	case PG_QUERY__SQLVALUE_FUNCTION_OP__SVFOP_USER:
	case PG_QUERY__SQLVALUE_FUNCTION_OP__SVFOP_SESSION_USER:
		pgc_dp_out(d, "pgc_current_user()");
		return MT_TEXT;
	case PG_QUERY__SQLVALUE_FUNCTION_OP__SVFOP_CURRENT_CATALOG:
		pgc_dp_out(d, "pgc_current_database()");
		return MT_TEXT;
	case PG_QUERY__SQLVALUE_FUNCTION_OP__SVFOP_CURRENT_SCHEMA:
		pgc_dp_out(d, "pgc_current_schema()");
		return MT_TEXT;
	default:
		return pgc_time_sqlvalue(d, f);
	}
}

/* x IS [NOT] TRUE / FALSE / UNKNOWN: never NULL (SQLite's IS compares
 * with NULL as with a value). */
static mur_type boolean_test(pgc_dp *d, const PgQuery__BooleanTest *t)
{
	static const char *const tests[] = {" IS 1)",     " IS NOT 1)", " IS 0)",
					    " IS NOT 0)", " IS NULL)",  " IS NOT NULL)"};
	int k = (int)t->booltesttype - (int)PG_QUERY__BOOL_TEST_TYPE__IS_TRUE;
	if (k < 0 || k >= (int)(sizeof tests / sizeof tests[0]))
		return pgc_dp_fail(d, "this boolean test");
	pgc_dp_out(d, "(");
	pgc_dp_expr(d, t->arg);
	pgc_dp_out(d, tests[k]);
	return MT_BOOL;
}

void pgc_dp_expr_apart(pgc_dp *d, const PgQuery__Node *n, pgc_dp_text *out)
{
	mur_buf *outer = d->b;
	mur_buf_init(&out->b);
	out->node = n;
	d->b = &out->b;
	out->type = pgc_dp_expr(d, n);
	d->b = outer;
	if (!mur_buf_ok(&out->b))
		outer->oom = 1; /* pgc_translate reports out of memory */
}

void pgc_dp_text_free(pgc_dp_text *t) { mur_buf_free(&t->b); }

mur_type pgc_dp_expr(pgc_dp *d, const PgQuery__Node *n)
{
	if (d->failed)
		return MT_TEXT;
	switch (n->node_case) {
	case PG_QUERY__NODE__NODE_COLUMN_REF:
		d->ncolref++;
		return column_ref(d, n->column_ref);
	case PG_QUERY__NODE__NODE_A_CONST:
		return a_const(d, n->a_const);
	case PG_QUERY__NODE__NODE_TYPE_CAST:
		return type_cast(d, n->type_cast);
	case PG_QUERY__NODE__NODE_COLLATE_CLAUSE:
		return pgc_dp_expr(d, n->collate_clause->arg); /* catalog text compares bytewise */
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
		pgc_dp_out(d, "(");
		pgc_dp_expr(d, n->null_test->arg);
		pgc_dp_out(d, n->null_test->nulltesttype == PG_QUERY__NULL_TEST_TYPE__IS_NULL
				      ? " IS NULL)"
				      : " IS NOT NULL)");
		return MT_BOOL;
	case PG_QUERY__NODE__NODE_BOOLEAN_TEST:
		return boolean_test(d, n->boolean_test);
	case PG_QUERY__NODE__NODE_COALESCE_EXPR:
		return coalesce_expr(d, n->coalesce_expr);
	case PG_QUERY__NODE__NODE_A_ARRAY_EXPR:
		pgc_dp_out(d, "pgc_array(");
		args(d, n->a_array_expr->elements, n->a_array_expr->n_elements, NULL);
		pgc_dp_out(d, ")");
		return MT_TEXT;
	case PG_QUERY__NODE__NODE_A_INDIRECTION: {
		const PgQuery__AIndirection *ind = n->a_indirection;
		if (ind->n_indirection == 1 && pgc_dp_str(ind->indirection[0]))
			return pgc_srf_field(d, ind->arg, pgc_dp_str(ind->indirection[0]));
		if (ind->n_indirection != 1 ||
		    ind->indirection[0]->node_case != PG_QUERY__NODE__NODE_A_INDICES ||
		    ind->indirection[0]->a_indices->is_slice)
			return pgc_dp_fail(d, "this subscript");
		pgc_dp_out(d, "pgc_array_at(");
		pgc_dp_expr(d, ind->arg);
		pgc_dp_out(d, ", ");
		pgc_dp_expr(d, ind->indirection[0]->a_indices->uidx);
		pgc_dp_out(d, ")");
		return MT_TEXT;
	}
	case PG_QUERY__NODE__NODE_PARAM_REF:
		mur_buf_printf(d->b, "?%d", n->param_ref->number);
		if (n->param_ref->number > d->max_param)
			d->max_param = n->param_ref->number;
		return MT_TEXT;
	default:
		return pgc_dp_fail(d, "this expression");
	}
}
