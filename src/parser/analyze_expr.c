/*
 * analyze_expr.c — PostgreSQL expression nodes → typed sql_expr trees.
 *
 * Names are resolved against ctx->q's range table (42703 undefined column,
 * 42702 ambiguous, 42P01 missing FROM entry).  Types follow PostgreSQL:
 * an untyped string literal ('5') takes the type of whatever it meets and
 * is parsed right here (22P02 with the literal's position), so SQLite never
 * compares an INTEGER column with a TEXT value; operands of different type
 * categories are rejected as PostgreSQL rejects them (42883 operator does
 * not exist: integer = text).
 *
 * Text comparison is byte order (SQLite's BINARY collation, i.e.
 * PostgreSQL's "C" collation): 'B' < 'a'.  murphy documents this rather
 * than emulating a locale.
 *
 * Functions live in analyze_func.c; SQL emission in sql/emit.c; runtime
 * semantics SQLite lacks (division by zero, case-sensitive LIKE, casts) in
 * storage/sqlfn.c.
 */
#include "parser/analyze.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define OP_HINT                                                                                    \
	"No operator matches the given name and argument types. You might need to add explicit "   \
	"type casts."

sql_expr *sql_expr_new(sql_ctx *c, sql_ekind kind, mur_type type, int loc)
{
	sql_expr *e = sql_alloc(c, sizeof *e);
	if (!e)
		return NULL;
	e->kind = kind;
	e->type = type;
	e->typmod = -1;
	e->loc = loc;
	return e;
}

static sql_expr *with_args(sql_ctx *c, sql_expr *e, int nargs)
{
	if (!e)
		return NULL;
	e->nargs = nargs;
	e->args = sql_alloc(c, sizeof(sql_expr *) * (size_t)(nargs ? nargs : 1));
	return e->args ? e : NULL;
}

sql_expr *sql_make_case_when(sql_ctx *c, sql_expr *cond, sql_expr *then, int loc)
{
	sql_expr *e = with_args(c, sql_expr_new(c, SE_CASE, then->type, loc), 2);
	if (!e)
		return NULL;
	e->args[0] = cond;
	e->args[1] = then;
	return e;
}

sql_expr *sql_make_op(sql_ctx *c, const char *op, mur_type type, int loc, sql_expr *a, sql_expr *b)
{
	sql_expr *e = with_args(c, sql_expr_new(c, SE_OP, type, loc), b ? 2 : 1);
	if (!e)
		return NULL;
	e->op = op;
	e->args[0] = a;
	if (b)
		e->args[1] = b;
	return e;
}

sql_expr *sql_make_call(sql_ctx *c, const char *fn, mur_type type, int loc, int nargs, ...)
{
	va_list ap;
	sql_expr *e = with_args(c, sql_expr_new(c, SE_CALL, type, loc), nargs);
	if (!e)
		return NULL;
	e->op = fn;
	va_start(ap, nargs);
	for (int i = 0; i < nargs; i++)
		e->args[i] = va_arg(ap, sql_expr *);
	va_end(ap);
	return e;
}

sql_expr *sql_make_const_int(sql_ctx *c, int64_t v, mur_type t)
{
	sql_expr *e = sql_expr_new(c, SE_CONST, t, -1);
	if (e)
		e->val = mur_v_int(v);
	return e;
}

sql_expr *sql_make_const_text(sql_ctx *c, const char *s)
{
	sql_expr *e = sql_expr_new(c, SE_CONST, MT_TEXT, -1);
	char *p = sql_strdup(c, s);
	if (!e || !p)
		return NULL;
	e->val = mur_v_text(p, strlen(p));
	return e;
}

void sql_param_note(sql_ctx *c, int n)
{
	if (n > *c->nparams)
		*c->nparams = n;
}

/* ---- structural helpers ---- */

int sql_expr_equal(const sql_expr *a, const sql_expr *b)
{
	if (a == b)
		return 1;
	if (!a || !b || a->kind != b->kind || a->type != b->type || a->nargs != b->nargs)
		return 0;
	switch (a->kind) {
	case SE_CONST:
		if (a->val.kind != b->val.kind)
			return 0;
		if (a->val.kind == MV_TEXT || a->val.kind == MV_BLOB)
			return a->val.len == b->val.len && !memcmp(a->val.s, b->val.s, a->val.len);
		return a->val.i == b->val.i && a->val.f == b->val.f;
	case SE_PARAM:
		return a->param == b->param;
	case SE_COLUMN:
		return a->rte == b->rte && a->col == b->col;
	case SE_SLOT:
	case SE_SUBQ:
		return a->slot == b->slot;
	case SE_AGG:
		if (a->agg != b->agg || a->distinct != b->distinct || a->agg_flags != b->agg_flags)
			return 0;
		break;
	case SE_WINDOW:
		if (strcmp(a->op, b->op) || !sql_window_equal(a->win, b->win))
			return 0;
		break;
	case SE_IN: /* a list of integer literals is its text (in_int_list) */
		if (a->val.kind != b->val.kind || a->val.len != b->val.len ||
		    (a->val.len && memcmp(a->val.s, b->val.s, a->val.len)))
			return 0;
		/* fall through */
	default:
		if ((a->op || b->op) && (!a->op || !b->op || strcmp(a->op, b->op)))
			return 0;
		if (a->negate != b->negate || a->postfix != b->postfix ||
		    a->has_arg != b->has_arg || a->has_else != b->has_else)
			return 0;
	}
	for (int i = 0; i < a->nargs; i++)
		if (!sql_expr_equal(a->args[i], b->args[i]))
			return 0;
	return 1;
}

int sql_expr_has_agg(const sql_expr *e)
{
	if (!e)
		return 0;
	if (e->kind == SE_AGG)
		return 1;
	for (int i = 0; i < e->nargs; i++)
		if (sql_expr_has_agg(e->args[i]))
			return 1;
	return 0;
}

int sql_expr_is_const(const sql_expr *e)
{
	return e && (e->kind == SE_CONST || e->kind == SE_PARAM);
}

static sql_expr *copy_node(sql_ctx *c, const sql_expr *e)
{
	sql_expr *n = sql_alloc(c, sizeof *n);
	if (n)
		*n = *e;
	return n;
}

/* ---- coercion ---- */

static sql_expr *parse_literal(sql_ctx *c, sql_expr *e, mur_type t)
{
	mur_buf scratch;
	mur_value v;
	sql_expr *n;
	mur_buf_init(&scratch);
	if (mur_value_from_pgtext_tz(t, e->val.s, e->val.len, c->tz, &scratch, &v, c->err) !=
	    MUR_OK) {
		mur_buf_free(&scratch);
		if (c->err)
			c->err->position = sql_pos(c, e->loc);
		return NULL;
	}
	n = copy_node(c, e);
	if (n && (v.kind == MV_TEXT || v.kind == MV_BLOB)) {
		char *p = sql_arena_strndup(c->arena, v.s, v.len);
		if (!p) {
			mur_buf_free(&scratch);
			sql_err_oom(c);
			return NULL;
		}
		v.s = p;
	}
	mur_buf_free(&scratch);
	if (!n)
		return NULL;
	n->val = v;
	n->type = t;
	return n;
}

/* Representation-preserving retype (no runtime work needed). */
static int cast_is_free(mur_type from, mur_type to)
{
	int cf = sql_type_category(from), ct = sql_type_category(to);
	if (from == to || (cf == 'S' && ct == 'S'))
		return 1;
	/* json and jsonb print as their stored text; jsonb's is valid json */
	if ((cf == 'J' && ct == 'S') || (from == MT_JSONB && to == MT_JSON))
		return 1;
	if (mur_type_is_integer(from) && mur_type_is_integer(to))
		return sql_type_numeric_rank(to) >= sql_type_numeric_rank(from);
	if (mur_type_storage(from) == MV_FLOAT && mur_type_storage(to) == MV_FLOAT)
		return 1;
	return (from == MT_TIMESTAMP && to == MT_TIMESTAMPTZ) ||
	       (from == MT_TIMESTAMPTZ && to == MT_TIMESTAMP);
}

static int cast_allowed(mur_type from, mur_type to)
{
	int cf = sql_type_category(from), ct = sql_type_category(to);
	if (cf == ct || cf == 'S' || ct == 'S' || cf == 'U')
		return 1;
	if (from == MT_JSONB && (ct == 'N' || to == MT_BOOL)) /* a jsonb number or boolean */
		return 1;
	return (from == MT_BOOL && to == MT_INT4) || (from == MT_INT4 && to == MT_BOOL);
}

sql_expr *sql_make_cast(sql_ctx *c, sql_expr *e, mur_type to, int loc)
{
	sql_expr *n;
	if (e->kind == SE_CONST && e->type == MT_UNKNOWN) {
		if (e->val.kind == MV_NULL) {
			n = copy_node(c, e);
			if (n)
				n->type = to;
			return n;
		}
		return parse_literal(c, e, to);
	}
	if (e->kind == SE_PARAM && e->type == MT_UNKNOWN) {
		if (c->param_types[e->param - 1] == MT_UNKNOWN)
			c->param_types[e->param - 1] = to;
		e->type = c->param_types[e->param - 1];
		if (e->type == to)
			return e;
	}
	if (!cast_allowed(e->type, to)) {
		sql_err(c, "42846", loc, "cannot cast type %s to %s", sql_type_name(e->type),
			sql_type_name(to));
		return NULL;
	}
	if ((n = sql_tz_cast(c, e, to, loc)))
		return n;
	if (e->type == MT_BPCHAR && (to == MT_TEXT || to == MT_VARCHAR)) /* drops the padding */
		return sql_make_call(c, "rtrim", to, loc, 1, e);
	if (cast_is_free(e->type, to)) {
		n = copy_node(c, e);
		if (n) {
			n->type = to;
			n->typmod = -1;
		}
		return n;
	}
	return sql_make_call(c, "mur_cast", to, loc, 3, e, sql_make_const_int(c, e->type, MT_INT4),
			     sql_make_const_int(c, to, MT_INT4));
}

sql_expr *sql_coerce(sql_ctx *c, sql_expr *e, mur_type t, const char *what)
{
	if (!e || e->type == t)
		return e;
	if (e->type == MT_UNKNOWN && (e->kind == SE_CONST || e->kind == SE_PARAM))
		return sql_make_cast(c, e, t, e->loc);
	if (e->type != MT_UNKNOWN && !sql_type_implicit_ok(e->type, t)) {
		if (what)
			sql_err(c, SQLSTATE_DATATYPE_MISMATCH, e->loc,
				"column \"%s\" is of type %s but expression is of type %s", what,
				sql_type_name(t), sql_type_name(e->type));
		else
			sql_err(c, SQLSTATE_DATATYPE_MISMATCH, e->loc,
				"expression is of type %s, expected %s", sql_type_name(e->type),
				sql_type_name(t));
		mur_error_hint(c->err, "You will need to rewrite or cast the expression.");
		return NULL;
	}
	return sql_make_cast(c, e, t, e->loc);
}

sql_expr *sql_resolve_unknown(sql_ctx *c, sql_expr *e)
{
	if (!e)
		return NULL;
	if (e->kind == SE_PARAM && e->type == MT_UNKNOWN &&
	    c->param_types[e->param - 1] != MT_UNKNOWN)
		e->type = c->param_types[e->param - 1];
	if (e->type == MT_UNKNOWN)
		return sql_coerce(c, e, MT_TEXT, NULL);
	return e;
}

/* ---- leaves ---- */

static sql_expr *analyze_const(sql_ctx *c, PgQuery__AConst *k)
{
	sql_expr *e = sql_expr_new(c, SE_CONST, MT_UNKNOWN, k->location);
	if (!e || k->isnull)
		return e;
	switch (k->val_case) {
	case PG_QUERY__A__CONST__VAL_IVAL:
		e->type = MT_INT4;
		e->val = mur_v_int(k->ival->ival);
		return e;
	case PG_QUERY__A__CONST__VAL_BOOLVAL:
		e->type = MT_BOOL;
		e->val = mur_v_int(k->boolval->boolval ? 1 : 0);
		return e;
	case PG_QUERY__A__CONST__VAL_SVAL:
		e->val = mur_v_text(k->sval->sval, strlen(k->sval->sval));
		return e;
	case PG_QUERY__A__CONST__VAL_FVAL: {
		const char *s = k->fval->fval;
		char *end;
		errno = 0;
		long long v = strtoll(s, &end, 10);
		if (!*end && errno == 0) { /* -2147483648 is int4 (PostgreSQL's make_const) */
			e->type = v >= INT32_MIN && v <= INT32_MAX ? MT_INT4 : MT_INT8;
			e->val = mur_v_int(v);
		} else {
			e->val = mur_v_text(s, strlen(s));
			return parse_literal(c, e, MT_NUMERIC);
		}
		return e;
	}
	default:
		sql_err(c, SQLSTATE_FEATURE_NOT_SUPPORTED, k->location,
			"murphy does not support bit-string literals");
		return NULL;
	}
}

static sql_expr *analyze_param(sql_ctx *c, PgQuery__ParamRef *p)
{
	sql_expr *e;
	if (p->number < 1 || p->number > SQL_PARAMS_MAX) {
		sql_err(c, SQLSTATE_UNDEFINED_PARAMETER, p->location, "there is no parameter $%d",
			p->number);
		return NULL;
	}
	sql_param_note(c, p->number);
	e = sql_expr_new(c, SE_PARAM, c->param_types[p->number - 1], p->location);
	if (e)
		e->param = p->number;
	return e;
}

static const char *str_field(PgQuery__Node *n)
{
	return n->node_case == PG_QUERY__NODE__NODE_STRING ? n->string->sval : NULL;
}

static sql_expr *column_expr(sql_ctx *c, int rte, int col, int loc)
{
	const cat_column *cc = &c->q->rtes[rte].table->cols[col];
	sql_expr *e = sql_expr_new(c, SE_COLUMN, cc->type, loc);
	if (!e)
		return NULL;
	e->rte = rte;
	e->col = col;
	e->typmod = cc->typmod;
	return e;
}

static int find_rte(sql_ctx *c, const char *alias)
{
	for (int i = 0; c->q && i < c->q->nrte; i++)
		if (!c->q->rtes[i].merged && !strcmp(c->q->rtes[i].alias, alias))
			return i;
	return -1;
}

/* Column name of t: its index, -1 when none, -2 when t (a subquery's
 * gathered rows: two of its outputs may share a name) has it twice. */
static int rte_column(const cat_table *t, const char *name)
{
	int col = cat_column_index(t, name);
	for (int k = col + 1; col >= 0 && t->kind == CAT_TABLE_VIRTUAL && k < t->ncols; k++)
		if (!strcmp(t->cols[k].name, name))
			return -2;
	return col;
}

static sql_expr *unqualified_column(sql_ctx *c, const char *name, int loc, int row_ok)
{
	int found_rte = -1, found_col = -1, nview = 0, merged = 0;
	sql_expr *m = c->q ? sql_using_column(c, c->q, name, loc, &merged) : NULL;
	if (merged)
		return m;
	sql_expr *view = c->q ? sql_view_column(c->q, NULL, name, &nview) : NULL;
	for (int i = 0; c->q && i < c->q->nrte; i++) {
		int col = c->q->rtes[i].merged ? -1 : rte_column(c->q->rtes[i].table, name);
		if (col == -1)
			continue;
		if (found_rte >= 0 || nview || col == -2) {
			sql_err(c, SQLSTATE_AMBIGUOUS_COLUMN, loc,
				"column reference \"%s\" is ambiguous", name);
			return NULL;
		}
		found_rte = i;
		found_col = col;
	}
	if (found_rte < 0 && nview > 1) {
		sql_err(c, SQLSTATE_AMBIGUOUS_COLUMN, loc, "column reference \"%s\" is ambiguous",
			name);
		return NULL;
	}
	if (found_rte < 0 && view)
		return sql_view_ref_note_merged(c, loc, c->q, NULL, name), view;
	if (found_rte < 0 && c->q) { /* a FROM entry's name standing for its row */
		int r = find_rte(c, name);
		if (r >= 0 && c->q->rtes[r].series && c->q->rtes[r].table->ncols == 1)
			return column_expr(c, r, 0, loc); /* FROM f(...) AS v: v is its value */
		/* an outer query's column of that name wins, as in PostgreSQL */
		if ((c->row_json || row_ok) && sql_check_outer_column(c, NULL, name, loc) != MUR_OK)
			return NULL;
		if (c->row_json && (m = sql_record_json(c, name, loc)))
			return m; /* to_json(t), json_agg(t) */
		if (mur_error_is_set(c->err))
			return NULL;
		if (row_ok && (m = sql_record_row(c, name, loc)))
			return c->row_text_hit = 1, m; /* SELECT t FROM t: record_out's text */
		if (mur_error_is_set(c->err))
			return NULL;
	}
	if (found_rte < 0) {
		if (sql_check_outer_column(c, NULL, name, loc) != MUR_OK)
			return NULL;
		if ((c->q && (find_rte(c, name) >= 0 || sql_view_find(c->q, name) >= 0)) ||
		    sql_outer_from_item(c, name))
			sql_err(c, SQLSTATE_FEATURE_NOT_SUPPORTED, loc,
				"murphy does not support whole-row references (FROM item \"%s\" "
				"as a value) yet",
				name);
		else
			sql_err(c, SQLSTATE_UNDEFINED_COLUMN, loc, "column \"%s\" does not exist",
				name);
		return NULL;
	}
	sql_view_ref_note_rte(c, loc, &c->q->rtes[found_rte], found_col);
	return column_expr(c, found_rte, found_col, loc);
}

static sql_expr *analyze_colref(sql_ctx *c, PgQuery__ColumnRef *r)
{
	const char *tbl, *col;
	int rte, ci;
	if (r->fields[r->n_fields - 1]->node_case == PG_QUERY__NODE__NODE_A_STAR) {
		sql_expr *row;
		if (r->n_fields == 2 && r == c->row_text_ref && (tbl = str_field(r->fields[0])) &&
		    (row = sql_record_row(c, tbl, r->location)))
			return c->row_text_hit = 1, row; /* (t.*)::text */
		if (r->n_fields == 2 && c->row_json && !mur_error_is_set(c->err) &&
		    (tbl = str_field(r->fields[0])) && (row = sql_record_json(c, tbl, r->location)))
			return row; /* row_to_json(t.*) */
		if (mur_error_is_set(c->err))
			return NULL;
		if (r->n_fields > 1) /* (t.*)::text, f(t.*): t's row as one value */
			sql_err(c, SQLSTATE_FEATURE_NOT_SUPPORTED, r->location,
				"murphy does not support whole-row references (t.* as a value) "
				"yet");
		else
			sql_err(c, SQLSTATE_SYNTAX_ERROR, r->location, "\"*\" is not allowed here");
		return NULL;
	}
	col = str_field(r->fields[r->n_fields - 1]);
	if (r->n_fields == 1)
		return unqualified_column(c, col, r->location, r == c->row_text_ref);
	tbl = str_field(r->fields[r->n_fields - 2]);
	if (r->n_fields > 3 || !tbl || !col) {
		sql_err(c, SQLSTATE_FEATURE_NOT_SUPPORTED, r->location,
			"murphy does not support this column reference");
		return NULL;
	}
	rte = find_rte(c, tbl);
	if (rte < 0 && c->q && sql_view_find(c->q, tbl) >= 0) {
		int nfound = 0;
		sql_expr *v = sql_view_column(c->q, tbl, col, &nfound);
		if (!v)
			sql_err(c, SQLSTATE_UNDEFINED_COLUMN, r->location,
				"column %s.%s does not exist", tbl, col);
		else if (nfound > 1)
			return sql_err(c, SQLSTATE_AMBIGUOUS_COLUMN, r->location,
				       "column reference \"%s\" is ambiguous", col),
			       NULL;
		sql_view_ref_note_merged(c, r->location, c->q, tbl, col);
		return v;
	}
	if (rte < 0 && sql_check_outer_column(c, tbl, col, r->location) != MUR_OK)
		return NULL;
	if (rte < 0) {
		sql_err(c, SQLSTATE_UNDEFINED_TABLE, r->location,
			"missing FROM-clause entry for table \"%s\"", tbl);
		return NULL;
	}
	ci = rte_column(c->q->rtes[rte].table, col);
	if (ci == -2)
		return sql_err(c, SQLSTATE_AMBIGUOUS_COLUMN, r->location,
			       "column reference \"%s\" is ambiguous", col),
		       NULL;
	if (ci < 0) {
		sql_err(c, SQLSTATE_UNDEFINED_COLUMN, r->location, "column %s.%s does not exist",
			tbl, col);
		return NULL;
	}
	sql_view_ref_note_rte(c, r->location, &c->q->rtes[rte], ci);
	return column_expr(c, rte, ci, r->location);
}

/* ---- operators ---- */

static const char *op_name(PgQuery__AExpr *a)
{
	const char *s = str_field(a->name[a->n_name - 1]);
	return s ? s : "?";
}

static sql_expr *no_operator(sql_ctx *c, const char *op, sql_expr *l, sql_expr *r, int loc)
{
	if (l)
		sql_err(c, SQLSTATE_UNDEFINED_FUNCTION, loc, "operator does not exist: %s %s %s",
			sql_type_name(l->type), op, sql_type_name(r->type));
	else
		sql_err(c, SQLSTATE_UNDEFINED_FUNCTION, loc, "operator does not exist: %s %s", op,
			sql_type_name(r->type));
	mur_error_hint(c->err, OP_HINT);
	return NULL;
}

/* Bring two operands of a comparison to comparable types (PostgreSQL's
 * unknown-literal rule; date vs timestamp promotes the date). */
int sql_unify_compare(sql_ctx *c, const char *op, sql_expr **l, sql_expr **r, int loc)
{
	mur_type lt = (*l)->type, rt = (*r)->type;
	if (lt == MT_UNKNOWN && rt == MT_UNKNOWN) {
		*l = sql_coerce(c, *l, MT_TEXT, NULL);
		*r = *l ? sql_coerce(c, *r, MT_TEXT, NULL) : NULL;
	} else if (lt == MT_UNKNOWN) {
		*l = sql_coerce(c, *l, rt, NULL);
	} else if (rt == MT_UNKNOWN) {
		*r = sql_coerce(c, *r, lt, NULL);
	} else if (!sql_type_comparable(lt, rt)) {
		no_operator(c, op, *l, *r, loc);
		return MUR_ERR;
	} else if (sql_type_category(lt) == 'D' && lt != rt) {
		mur_type t = sql_type_common(lt, rt);
		*l = sql_make_cast(c, *l, t, loc);
		*r = *l ? sql_make_cast(c, *r, t, loc) : NULL;
	}
	return (*l && *r) ? MUR_OK : MUR_ERR;
}

int sql_set_keys_numeric(sql_ctx *c, const char *op, sql_expr **x, sql_expr **y, int loc)
{
	int eq = !strcmp(op, "=") || !strcmp(op, "<>");
	if (eq && (*x)->type == MT_NUMERIC_ARRAY && (*y)->type == MT_NUMERIC_ARRAY) {
		/* {1.0} = {1.00}: both spelled alike (storage/sqlfn_array.c) */
		*x = sql_make_call(c, "mur_array_num_norm", MT_NUMERIC_ARRAY, loc, 1, *x);
		*y = *x ? sql_make_call(c, "mur_array_num_norm", MT_NUMERIC_ARRAY, loc, 1, *y)
			: NULL;
		return *x && *y ? MUR_OK : MUR_ERR;
	}
	if ((*x)->type != MT_NUMERIC && (*y)->type != MT_NUMERIC)
		return MUR_OK;
	if (!mur_type_is_numeric((*x)->type) || !mur_type_is_numeric((*y)->type))
		return MUR_OK;
	if ((*x)->type == MT_FLOAT4 || (*x)->type == MT_FLOAT8 || (*y)->type == MT_FLOAT4 ||
	    (*y)->type == MT_FLOAT8) { /* numeric against float: as float8, as PostgreSQL */
		*x = sql_make_cast(c, *x, MT_FLOAT8, loc);
		*y = *x ? sql_make_cast(c, *y, MT_FLOAT8, loc) : NULL;
		return *x && *y ? MUR_OK : MUR_ERR;
	}
	for (int i = 0; i < 2; i++) {
		sql_expr **e = i ? y : x;
		if (!eq)
			*e = sql_make_cast(c, *e, MT_FLOAT8, loc);
		else if (*e && (*e = sql_coerce(c, *e, MT_NUMERIC, NULL)))
			*e = sql_make_call(c, "mur_num_norm", MT_NUMERIC, loc, 1, *e);
		if (!*e)
			return MUR_ERR;
	}
	return MUR_OK;
}

sql_expr *sql_make_compare(sql_ctx *c, const char *op, sql_expr *l, sql_expr *r, int loc)
{
	if (sql_unify_compare(c, op, &l, &r, loc) != MUR_OK)
		return NULL;
	if (mur_type_is_array(l->type) || mur_type_is_array(r->type)) /* analyze_array.c */
		return sql_array_op(c, op, l, r, loc);
	if (l->type == MT_BYTEA && strcmp(op, "=") && strcmp(op, "<>"))
		return no_operator(c, op, l, r, loc);
	if (sql_interval_compare_keys(c, &l, &r, loc) != MUR_OK ||
	    sql_bpchar_compare_keys(c, op, &l, &r, loc) != MUR_OK)
		return NULL;
	/* numeric against float compares as float8, as PostgreSQL casts */
	if (l->type == MT_NUMERIC && (r->type == MT_FLOAT4 || r->type == MT_FLOAT8))
		l = sql_make_cast(c, l, MT_FLOAT8, loc);
	else if (r->type == MT_NUMERIC && (l->type == MT_FLOAT4 || l->type == MT_FLOAT8))
		r = sql_make_cast(c, r, MT_FLOAT8, loc);
	if (!l || !r)
		return NULL;
	return sql_make_op(c, op, MT_BOOL, loc, l, r);
}

static sql_expr *to_text_operand(sql_ctx *c, sql_expr *e)
{
	if (e->type == MT_UNKNOWN || mur_type_is_text(e->type))
		return sql_coerce(c, e, MT_TEXT, NULL);
	return sql_make_cast(c, e, MT_TEXT, e->loc);
}

static sql_expr *concat_op(sql_ctx *c, sql_expr *l, sql_expr *r, int loc)
{
	if ((l->type == MT_BYTEA && (r->type == MT_BYTEA || r->type == MT_UNKNOWN)) ||
	    (r->type == MT_BYTEA && l->type == MT_UNKNOWN)) { /* byteacat */
		l = sql_coerce(c, l, MT_BYTEA, NULL);
		r = l ? sql_coerce(c, r, MT_BYTEA, NULL) : NULL;
		return r ? sql_make_call(c, "mur_bytea_cat", MT_BYTEA, loc, 2, l, r) : NULL;
	}
	int lt = l->type == MT_UNKNOWN || mur_type_is_text(l->type);
	int rt = r->type == MT_UNKNOWN || mur_type_is_text(r->type);
	if (!lt && !rt)
		return no_operator(c, "||", l, r, loc);
	l = to_text_operand(c, l);
	r = l ? to_text_operand(c, r) : NULL;
	return (l && r) ? sql_make_op(c, "||", MT_TEXT, loc, l, r) : NULL;
}

static sql_expr *date_arith(sql_ctx *c, const char *op, sql_expr *l, sql_expr *r, int loc)
{
	if (l->type == MT_DATE && mur_type_is_integer(r->type) && (*op == '+' || *op == '-')) {
		if (*op == '-')
			r = sql_make_op(c, "-", r->type, loc, r, NULL);
		return r ? sql_make_call(c, "mur_date_add", MT_DATE, loc, 2, l, r) : NULL;
	}
	if (r->type == MT_DATE && mur_type_is_integer(l->type) && *op == '+')
		return sql_make_call(c, "mur_date_add", MT_DATE, loc, 2, r, l);
	if (l->type == MT_DATE && r->type == MT_DATE && *op == '-')
		return sql_make_call(c, "mur_date_diff", MT_INT4, loc, 2, l, r);
	return no_operator(c, op, l, r, loc);
}

/* numeric + - * / %: storage/sqlfn_numeric.c's exact functions (numeric
 * is TEXT in SQLite, which SQLite's operators would turn into doubles). */
static sql_expr *numeric_arith(sql_ctx *c, const char *op, sql_expr *l, sql_expr *r, int loc)
{
	static const struct {
		char op;
		const char *fn;
	} fns[] = {{'+', "mur_num_add"},
		   {'-', "mur_num_sub"},
		   {'*', "mur_num_mul"},
		   {'/', "mur_num_div"},
		   {'%', "mur_num_mod"}};
	for (size_t i = 0; i < sizeof fns / sizeof fns[0]; i++)
		if (op[0] == fns[i].op && !op[1])
			return sql_make_call(c, fns[i].fn, MT_NUMERIC, loc, 2, l, r);
	return no_operator(c, op, l, r, loc);
}

static sql_expr *arith(sql_ctx *c, const char *op, sql_expr *l, sql_expr *r, int loc)
{
	mur_type t;
	if (l->type == MT_UNKNOWN && r->type == MT_UNKNOWN) {
		sql_err(c, "42725", loc, "operator is not unique: unknown %s unknown", op);
		return NULL;
	}
	int cl = sql_type_category(l->type), cr = sql_type_category(r->type);
	if (l->type == MT_UNKNOWN)
		l = sql_coerce(c, l,
			       cr == 'D' || cr == 'T' ? sql_interval_partner(op, r->type) : r->type,
			       NULL);
	else if (r->type == MT_UNKNOWN)
		r = sql_coerce(c, r,
			       cl == 'D' || cl == 'T' ? sql_interval_partner(op, l->type) : l->type,
			       NULL);
	if (!l || !r)
		return NULL;
	cl = sql_type_category(l->type), cr = sql_type_category(r->type);
	if (cl == 'T' || cr == 'T' ||
	    (cl == 'D' && cr == 'D' && !(l->type == MT_DATE && r->type == MT_DATE))) {
		sql_expr *e = sql_interval_arith(c, op, l, r, loc);
		return e || mur_error_is_set(c->err) ? e : no_operator(c, op, l, r, loc);
	}
	if (cl == 'D' || cr == 'D')
		return date_arith(c, op, l, r, loc);
	t = sql_type_arith(l->type, r->type);
	if (t == MT_UNKNOWN)
		return no_operator(c, op, l, r, loc);
	if (t == MT_NUMERIC)
		return numeric_arith(c, op, l, r, loc);
	if (*op == '/')
		return sql_make_call(c, mur_type_is_integer(t) ? "mur_div" : "mur_fdiv", t, loc, 2,
				     l, r);
	if (*op == '%') {
		if (mur_type_storage(t) == MV_FLOAT && t != MT_NUMERIC)
			return no_operator(c, op, l, r, loc);
		return sql_make_call(c, "mur_mod", t, loc, 2, l, r);
	}
	return sql_make_op(c, op, t, loc, l, r);
}

/* -c of a numeric constant, in its canonical text: sign flipped, zero
 * unsigned. */
static sql_expr *negate_numeric_const(sql_ctx *c, const sql_expr *r)
{
	const char *s = r->val.s;
	size_t n = r->val.len;
	sql_expr *e = copy_node(c, r);
	char *p;
	if (!e)
		return NULL;
	if (n && s[0] == '-') {
		e->val = mur_v_text(s + 1, n - 1);
		return e;
	}
	if (strspn(s, "0.") == n)
		return e;
	if (!(p = sql_alloc(c, n + 1)))
		return NULL;
	p[0] = '-';
	memcpy(p + 1, s, n);
	e->val = mur_v_text(p, n + 1);
	return e;
}

static sql_expr *unary(sql_ctx *c, const char *op, sql_expr *r, int loc)
{
	if (!strcmp(op, "|/") || !strcmp(op, "||/")) /* PostgreSQL's float8 roots */
		return sql_builtin_call(c, op[1] == '/' ? "sqrt" : "cbrt",
					(sql_expr *[]){sql_coerce(c, r, MT_FLOAT8, NULL)}, 1, loc);
	if (r->type == MT_UNKNOWN)
		r = sql_coerce(c, r, MT_NUMERIC, NULL);
	if (!r)
		return NULL;
	if (r->type == MT_INTERVAL && *op == '-' && !op[1])
		return sql_interval_neg(c, r, loc);
	if (!mur_type_is_numeric(r->type) || (strcmp(op, "-") && strcmp(op, "+")))
		return no_operator(c, op, NULL, r, loc);
	if (*op == '+')
		return r;
	if (r->kind == SE_CONST && r->val.kind == MV_INT && r->val.i != INT64_MIN) {
		sql_expr *n = copy_node(c, r);
		if (n)
			n->val.i = -r->val.i;
		return n;
	}
	if (r->kind == SE_CONST && r->type == MT_NUMERIC && r->val.kind == MV_TEXT)
		return negate_numeric_const(c, r);
	if (r->kind == SE_CONST && r->val.kind == MV_FLOAT) {
		sql_expr *n = copy_node(c, r);
		if (n)
			n->val.f = -r->val.f;
		return n;
	}
	if (r->type == MT_NUMERIC)
		return sql_make_call(c, "mur_num_neg", MT_NUMERIC, loc, 1, r);
	return sql_make_op(c, "-", r->type, loc, r, NULL);
}

/* s ~ pattern (~* without case, !~ and !~* negated): sqlfn_regex.c.  A
 * character(n) s keeps its padding (PostgreSQL's bpcharregexeq). */
static sql_expr *regex_op(sql_ctx *c, const char *op, sql_expr *l, sql_expr *r, int loc)
{
	int negate = op[0] == '!', icase = op[strlen(op) - 1] == '*';
	sql_expr *e;
	if ((l->type != MT_UNKNOWN && !mur_type_is_text(l->type)) ||
	    (r->type != MT_UNKNOWN && !mur_type_is_text(r->type)))
		return no_operator(c, op, l, r, loc);
	if (!(l = sql_coerce(c, sql_bpchar_padded(c, l), MT_TEXT, NULL)) ||
	    !(r = sql_coerce(c, r, MT_TEXT, NULL)))
		return NULL;
	e = sql_make_call(c, "mur_regex_match", MT_BOOL, loc, 3, l, r,
			  sql_make_const_text(c, icase ? "i" : ""));
	return (e && negate) ? sql_make_op(c, "NOT", MT_BOOL, loc, e, NULL) : e;
}

static sql_expr *binary_op(sql_ctx *c, PgQuery__AExpr *a)
{
	const char *op = op_name(a);
	sql_expr *l = NULL, *r;
	if (a->lexpr && !(l = sql_analyze_expr(c, a->lexpr)))
		return NULL;
	if (!(r = sql_analyze_expr(c, a->rexpr)))
		return NULL;
	if (!l)
		return unary(c, op, r, a->location);
	if (sql_array_wants_op(op, l, r)) /* analyze_array.c */
		return sql_array_op(c, op, l, r, a->location);
	if (sql_json_wants_op(op, l, r)) /* analyze_json.c */
		return sql_json_op(c, op, l, r, a->location);
	if (!strcmp(op, "=") || !strcmp(op, "<>") || !strcmp(op, "<") || !strcmp(op, ">") ||
	    !strcmp(op, "<=") || !strcmp(op, ">="))
		return sql_make_compare(c, op, l, r, a->location);
	if (!strcmp(op, "+") || !strcmp(op, "-") || !strcmp(op, "*") || !strcmp(op, "/") ||
	    !strcmp(op, "%"))
		return arith(c, op, l, r, a->location);
	if (!strcmp(op, "||"))
		return concat_op(c, l, r, a->location);
	if (!strcmp(op, "~") || !strcmp(op, "~*") || !strcmp(op, "!~") || !strcmp(op, "!~*"))
		return regex_op(c, op, l, r, a->location);
	if (!strcmp(op, "^")) /* power(l, r): numeric or float8 as the arguments */
		return sql_builtin_call(c, "power", (sql_expr *[]){l, r}, 2, a->location);
	sql_err(c, SQLSTATE_FEATURE_NOT_SUPPORTED, a->location,
		"murphy does not support operator %s yet", op);
	return NULL;
}

static sql_expr *like_op(sql_ctx *c, PgQuery__AExpr *a, int ilike)
{
	const char *op = op_name(a);
	int negate = op[0] == '!';
	PgQuery__Node *pat = a->rexpr;
	sql_expr *l, *r, *esc = NULL, *e;
	if (pat->node_case == PG_QUERY__NODE__NODE_FUNC_CALL && pat->func_call->n_args == 2 &&
	    !strcmp(str_field(pat->func_call->funcname[pat->func_call->n_funcname - 1]) ?: "",
		    "like_escape")) {
		esc = sql_analyze_expr(c, pat->func_call->args[1]);
		if (!esc || !(esc = sql_coerce(c, esc, MT_TEXT, NULL)))
			return NULL;
		pat = pat->func_call->args[0];
	}
	if (!(l = sql_analyze_expr(c, a->lexpr)) || !(r = sql_analyze_expr(c, pat)))
		return NULL;
	if ((l->type != MT_UNKNOWN && !mur_type_is_text(l->type)) ||
	    (r->type != MT_UNKNOWN && !mur_type_is_text(r->type)))
		return no_operator(c, op, l, r, a->location);
	/* bpcharlike sees the padding: 'ab'::char(3) LIKE 'ab' is false */
	if (!(l = sql_coerce(c, sql_bpchar_padded(c, l), MT_TEXT, NULL)) ||
	    !(r = sql_coerce(c, sql_bpchar_padded(c, r), MT_TEXT, NULL)))
		return NULL;
	e = sql_make_call(c, ilike ? "mur_ilike" : "mur_like", MT_BOOL, a->location, esc ? 3 : 2, l,
			  r, esc);
	return (e && negate) ? sql_make_op(c, "NOT", MT_BOOL, a->location, e, NULL) : e;
}

/* Bytes of one int4 literal in an IN list's text: "-2147483648" and ", ". */
#define IN_INT_TEXT_BYTES 13

static int is_int_literal(const PgQuery__Node *n)
{
	return n->node_case == PG_QUERY__NODE__NODE_A_CONST && !n->a_const->isnull &&
	       n->a_const->val_case == PG_QUERY__A__CONST__VAL_IVAL;
}

/* Decimal digits of v at p; returns the byte count (no printf: one call per
 * value of a list of a million). */
static size_t put_int(char *p, int64_t v)
{
	char tmp[24];
	size_t n = 0, len = 0;
	uint64_t u = v < 0 ? (uint64_t)0 - (uint64_t)v : (uint64_t)v;
	do {
		tmp[n++] = (char)('0' + u % 10);
		u /= 10;
	} while (u);
	if (v < 0)
		p[len++] = '-';
	while (n)
		p[len++] = tmp[--n];
	return len;
}

/*
 * x IN (1, 2, ...) of integer literals only, the usual long list: kept as
 * one node whose val is the list's SQL text, written in one pass (sql/emit.c
 * emit_in), instead of one node and one printf per value (1,000,000
 * values: ~0.6 s of the loop thread).  Every literal is int4 and meets x
 * the same way, so the first one decides for all: the general path is taken
 * (returns 0) unless x = literal leaves both sides as they are.  Returns 1
 * when it answered, with *out the node or NULL and c's error set.
 */
static int in_int_list(sql_ctx *c, PgQuery__AExpr *a, PgQuery__List *list, sql_expr *l,
		       sql_expr **out)
{
	sql_expr *probe, *x = l, *e;
	char *text;
	size_t len = 0;

	*out = NULL;
	for (size_t i = 0; i < list->n_items; i++)
		if (!is_int_literal(list->items[i]))
			return 0;
	probe = sql_make_const_int(c, list->items[0]->a_const->ival->ival, MT_INT4);
	if (!probe)
		return 1;
	if (sql_unify_compare(c, "=", &x, &probe, a->location) != MUR_OK)
		return 1;
	if (x != l || probe->kind != SE_CONST || probe->type != MT_INT4)
		return 0;
	e = with_args(c, sql_expr_new(c, SE_IN, MT_BOOL, a->location), 1);
	text = sql_alloc(c, list->n_items * IN_INT_TEXT_BYTES + 1);
	if (!e || !text)
		return 1;
	for (size_t i = 0; i < list->n_items; i++) {
		if (i > 0) {
			text[len++] = ',';
			text[len++] = ' ';
		}
		len += put_int(text + len, list->items[i]->a_const->ival->ival);
	}
	e->negate = !strcmp(op_name(a), "<>");
	e->args[0] = l;
	e->val = mur_v_text(text, len);
	*out = e;
	return 1;
}

/* numeric among floats in x IN (...): PostgreSQL's common type of the
 * list is float8, so every numeric compares as a float8 (as
 * sql_make_compare does for one pair). */
static sql_expr *in_float_common(sql_ctx *c, sql_expr *e)
{
	int any_float = 0, any_numeric = 0;
	for (int i = 0; i < e->nargs; i++) {
		any_float |= e->args[i]->type == MT_FLOAT4 || e->args[i]->type == MT_FLOAT8;
		any_numeric |= e->args[i]->type == MT_NUMERIC;
	}
	for (int i = 0; any_float && any_numeric && i < e->nargs; i++)
		if (e->args[i]->type == MT_NUMERIC &&
		    !(e->args[i] = sql_make_cast(c, e->args[i], MT_FLOAT8, e->args[i]->loc)))
			return NULL;
	return e;
}

static sql_expr *in_op(sql_ctx *c, PgQuery__AExpr *a)
{
	PgQuery__List *list = a->rexpr->node_case == PG_QUERY__NODE__NODE_LIST ? a->rexpr->list
									       : NULL;
	sql_expr *e, *l;
	if (!list) {
		sql_err(c, SQLSTATE_FEATURE_NOT_SUPPORTED, a->location,
			"murphy does not support subqueries yet");
		return NULL;
	}
	if (!(l = sql_analyze_expr(c, a->lexpr)))
		return NULL;
	if (in_int_list(c, a, list, l, &e))
		return e;
	e = with_args(c, sql_expr_new(c, SE_IN, MT_BOOL, a->location), (int)list->n_items + 1);
	if (!e)
		return NULL;
	e->negate = !strcmp(op_name(a), "<>");
	for (size_t i = 0; i < list->n_items; i++) {
		sql_expr *x = sql_analyze_expr(c, list->items[i]);
		if (!x || sql_unify_compare(c, "=", &l, &x, a->location) != MUR_OK)
			return NULL;
		e->args[i + 1] = x;
	}
	for (size_t i = 0; i < list->n_items; i++) /* 'a'::char(3) IN ('a  ', ...) */
		if (e->args[i + 1]->type == MT_BPCHAR || l->type == MT_BPCHAR) {
			sql_expr *x = e->args[i + 1];
			if (sql_bpchar_compare_keys(c, "<", &l, &x, a->location) != MUR_OK)
				return NULL;
			e->args[i + 1] = x;
			break;
		}
	e->args[0] = l;
	return in_float_common(c, e);
}

static sql_expr *between_op(sql_ctx *c, PgQuery__AExpr *a)
{
	PgQuery__List *list = a->rexpr->list;
	int sym = a->kind == PG_QUERY__A__EXPR__KIND__AEXPR_BETWEEN_SYM ||
		  a->kind == PG_QUERY__A__EXPR__KIND__AEXPR_NOT_BETWEEN_SYM;
	sql_expr *e, *x, *lo, *hi;
	if (!(x = sql_analyze_expr(c, a->lexpr)) || !(lo = sql_analyze_expr(c, list->items[0])) ||
	    !(hi = sql_analyze_expr(c, list->items[1])))
		return NULL;
	if (sql_unify_compare(c, ">=", &x, &lo, a->location) ||
	    sql_unify_compare(c, "<=", &x, &hi, a->location) ||
	    sql_bpchar_compare_keys(c, ">=", &x, &lo, a->location) ||
	    sql_bpchar_compare_keys(c, "<=", &x, &hi, a->location))
		return NULL;
	e = with_args(c, sql_expr_new(c, SE_BETWEEN, MT_BOOL, a->location), 3);
	if (!e)
		return NULL;
	e->negate = a->kind == PG_QUERY__A__EXPR__KIND__AEXPR_NOT_BETWEEN ||
		    a->kind == PG_QUERY__A__EXPR__KIND__AEXPR_NOT_BETWEEN_SYM;
	e->args[0] = x;
	e->args[1] = lo;
	e->args[2] = hi;
	if (sym) { /* x BETWEEN SYMMETRIC a AND b: order the bounds at run time */
		sql_expr *lo2 = sql_make_call(c, "mur_least", lo->type, a->location, 2, lo, hi);
		sql_expr *hi2 = sql_make_call(c, "mur_greatest", lo->type, a->location, 2, lo, hi);
		if (!lo2 || !hi2)
			return NULL;
		e->args[1] = lo2;
		e->args[2] = hi2;
	}
	return e;
}

static sql_expr *analyze_aexpr(sql_ctx *c, PgQuery__AExpr *a)
{
	sql_expr *l, *r;
	if ((a->lexpr && a->lexpr->node_case == PG_QUERY__NODE__NODE_ROW_EXPR) ||
	    (a->rexpr && a->rexpr->node_case == PG_QUERY__NODE__NODE_ROW_EXPR))
		return sql_row_aexpr(c, a); /* analyze_rowcmp.c */
	switch (a->kind) {
	case PG_QUERY__A__EXPR__KIND__AEXPR_OP:
		return binary_op(c, a);
	case PG_QUERY__A__EXPR__KIND__AEXPR_LIKE:
		return like_op(c, a, 0);
	case PG_QUERY__A__EXPR__KIND__AEXPR_ILIKE:
		return like_op(c, a, 1);
	case PG_QUERY__A__EXPR__KIND__AEXPR_IN:
		return in_op(c, a);
	case PG_QUERY__A__EXPR__KIND__AEXPR_BETWEEN:
	case PG_QUERY__A__EXPR__KIND__AEXPR_NOT_BETWEEN:
	case PG_QUERY__A__EXPR__KIND__AEXPR_BETWEEN_SYM:
	case PG_QUERY__A__EXPR__KIND__AEXPR_NOT_BETWEEN_SYM:
		return between_op(c, a);
	case PG_QUERY__A__EXPR__KIND__AEXPR_DISTINCT:
	case PG_QUERY__A__EXPR__KIND__AEXPR_NOT_DISTINCT:
	case PG_QUERY__A__EXPR__KIND__AEXPR_NULLIF:
		if (!(l = sql_analyze_expr(c, a->lexpr)) || !(r = sql_analyze_expr(c, a->rexpr)))
			return NULL;
		if (sql_unify_compare(c, "=", &l, &r, a->location) != MUR_OK ||
		    sql_bpchar_compare_keys(c, "<", &l, &r, a->location) != MUR_OK)
			return NULL;
		if (a->kind == PG_QUERY__A__EXPR__KIND__AEXPR_NULLIF)
			return sql_make_call(c, "nullif", l->type, a->location, 2, l, r);
		return sql_make_op(c,
				   a->kind == PG_QUERY__A__EXPR__KIND__AEXPR_DISTINCT ? "IS NOT"
										      : "IS",
				   MT_BOOL, a->location, l, r);
	case PG_QUERY__A__EXPR__KIND__AEXPR_OP_ANY:
	case PG_QUERY__A__EXPR__KIND__AEXPR_OP_ALL:
		return sql_array_any_all(c, a);      /* analyze_array.c */
	case PG_QUERY__A__EXPR__KIND__AEXPR_SIMILAR: /* analyze_regex.c */
		return sql_similar_to(c, a, op_name(a)[0] == '!');
	default:
		sql_err(c, SQLSTATE_FEATURE_NOT_SUPPORTED, a->location,
			"murphy does not support ANY/ALL yet");
		return NULL;
	}
}

/* ---- boolean ---- */

sql_expr *sql_analyze_bool(sql_ctx *c, PgQuery__Node *n, const char *what)
{
	sql_expr *e = sql_analyze_expr(c, n);
	if (!e)
		return NULL;
	if (e->type == MT_UNKNOWN)
		return sql_coerce(c, e, MT_BOOL, NULL);
	if (e->type != MT_BOOL) {
		sql_err(c, SQLSTATE_DATATYPE_MISMATCH, e->loc,
			"argument of %s must be type boolean, not type %s", what,
			sql_type_name(e->type));
		return NULL;
	}
	return e;
}

static sql_expr *analyze_bool(sql_ctx *c, PgQuery__BoolExpr *b)
{
	const char *what = b->boolop == PG_QUERY__BOOL_EXPR_TYPE__AND_EXPR  ? "AND"
			   : b->boolop == PG_QUERY__BOOL_EXPR_TYPE__OR_EXPR ? "OR"
									    : "NOT";
	sql_expr *e;
	if (*what == 'N') {
		sql_expr *a = sql_analyze_bool(c, b->args[0], what);
		return a ? sql_make_op(c, "NOT", MT_BOOL, b->location, a, NULL) : NULL;
	}
	e = with_args(c, sql_expr_new(c, SE_BOOL, MT_BOOL, b->location), (int)b->n_args);
	if (!e)
		return NULL;
	e->op = what;
	for (size_t i = 0; i < b->n_args; i++)
		if (!(e->args[i] = sql_analyze_bool(c, b->args[i], what)))
			return NULL;
	return e;
}

static sql_expr *analyze_nulltest(sql_ctx *c, PgQuery__NullTest *t)
{
	sql_expr *a = sql_analyze_expr(c, t->arg), *e;
	if (!a || !(a = sql_resolve_unknown(c, a)))
		return NULL;
	e = sql_make_op(c,
			t->nulltesttype == PG_QUERY__NULL_TEST_TYPE__IS_NULL ? "IS NULL"
									     : "IS NOT NULL",
			MT_BOOL, t->location, a, NULL);
	if (e)
		e->postfix = 1;
	return e;
}

static sql_expr *analyze_booltest(sql_ctx *c, PgQuery__BooleanTest *t)
{
	static const char *const ops[] = {"",           "IS TRUE",      "IS NOT TRUE",
					  "IS FALSE",   "IS NOT FALSE", "IS NULL",
					  "IS NOT NULL"};
	sql_expr *a = sql_analyze_bool(c, t->arg, "IS TRUE"), *e;
	if (!a)
		return NULL;
	e = sql_make_op(c, ops[t->booltesttype], MT_BOOL, t->location, a, NULL);
	if (e)
		e->postfix = 1;
	return e;
}

/* x::numeric(p,s): a constant rounded here (22003 at analysis, as
 * PostgreSQL folds it), anything else by mur_num_typmod at run time. */
sql_expr *sql_numeric_typmod(sql_ctx *c, sql_expr *a, int32_t typmod, int loc)
{
	sql_expr *e;
	if (a->kind == SE_CONST && a->val.kind == MV_NULL)
		return a; /* NULL fits any typmod */
	if (a->kind == SE_CONST) {
		mur_buf scratch;
		mur_value v;
		char *p = NULL;
		mur_buf_init(&scratch);
		if (mur_value_coerce_numeric(&a->val, typmod, &scratch, &v, c->err) == MUR_OK)
			p = sql_arena_strndup(c->arena, v.s, v.len);
		else if (c->err)
			c->err->position = sql_pos(c, loc);
		mur_buf_free(&scratch);
		if (!p || !(e = copy_node(c, a)))
			return NULL;
		e->val = mur_v_text(p, v.len);
	} else if (!(e = sql_make_call(c, "mur_num_typmod", MT_NUMERIC, loc, 2, a,
				       sql_make_const_int(c, typmod, MT_INT4)))) {
		return NULL;
	}
	e->typmod = typmod;
	return e;
}

sql_expr *sql_numeric_array_typmod(sql_ctx *c, sql_expr *a, int32_t typmod, int loc)
{
	sql_expr *e;
	if (a->kind == SE_CONST && a->val.kind == MV_NULL)
		return a;
	if (!(e = sql_make_call(c, "mur_array_num_typmod", MT_NUMERIC_ARRAY, loc, 2, a,
				sql_make_const_int(c, typmod, MT_INT4))))
		return NULL;
	e->typmod = typmod;
	return e;
}

static sql_expr *analyze_typecast(sql_ctx *c, PgQuery__TypeCast *tc)
{
	int32_t typmod;
	mur_type t = sql_type_from_typename(c, tc->type_name, &typmod);
	sql_expr *a;
	if (t == MT_UNKNOWN)
		return NULL;
	if (t == MT_TEXT && typmod < 0 && tc->arg->node_case == PG_QUERY__NODE__NODE_COLUMN_REF) {
		int row = 0;
		if (!(a = sql_record_cast_text(c, tc->arg, &row)) || row)
			return a; /* t::text: the row's text */
	} else if (!(a = sql_analyze_expr(c, tc->arg))) {
		return NULL;
	}
	if (a->kind == SE_CALL && !strcmp(a->op, "mur_pg_typeof")) /* regtype → text: its */
		a = sql_make_call(c, "ltrim", MT_TEXT, tc->location, 1, a); /* own column type */
	if (t == MT_INTERVAL && typmod >= 0) /* interval '5' minute */
		return sql_interval_typmod(c, a, typmod, tc->location);
	a = sql_make_cast(c, a, t, tc->location);
	if (a && t == MT_NUMERIC && typmod >= 0)
		return sql_numeric_typmod(c, a, typmod, tc->location);
	if (a && t == MT_NUMERIC_ARRAY && typmod >= 0)
		return sql_numeric_array_typmod(c, a, typmod, tc->location);
	if (a && (t == MT_BPCHAR || t == MT_VARCHAR) && typmod > 0 &&
	    !(a->kind == SE_CONST && a->val.kind == MV_NULL)) /* cut; char(n) padded */
		a = sql_make_call(c, "mur_varchar_fit", t, tc->location, 4, a,
				  sql_make_const_int(c, typmod, MT_INT4),
				  sql_make_const_int(c, t == MT_BPCHAR, MT_INT4),
				  sql_make_const_int(c, 1, MT_INT4));
	if (a)
		a->typmod = typmod;
	return a;
}

/* ---- CASE / COALESCE / GREATEST ---- */

/* Resolve branch types to one (PostgreSQL's select_common_type) and coerce
 * every branch to it. */
int sql_unify_branches(sql_ctx *c, sql_expr **v, int n, const char *construct, int loc)
{
	mur_type t = MT_UNKNOWN;
	for (int i = 0; i < n; i++) {
		mur_type u;
		if (!v[i] || v[i]->type == MT_UNKNOWN)
			continue;
		u = sql_type_common(t, v[i]->type);
		if (u == MT_UNKNOWN) {
			return sql_err(c, SQLSTATE_DATATYPE_MISMATCH, v[i]->loc,
				       "%s types %s and %s cannot be matched", construct,
				       sql_type_name(t), sql_type_name(v[i]->type));
		}
		t = u;
	}
	if (t == MT_UNKNOWN)
		t = MT_TEXT;
	for (int i = 0; i < n; i++)
		if (v[i] && !(v[i] = sql_coerce(c, v[i], t, NULL)))
			return MUR_ERR;
	return MUR_OK;
}

static sql_expr *analyze_case(sql_ctx *c, PgQuery__CaseExpr *k)
{
	int n = (int)k->n_args, nres = n + 1, i = 0;
	sql_expr *e = with_args(c, sql_expr_new(c, SE_CASE, MT_UNKNOWN, k->location), 2 * n + 2);
	sql_expr *res[2 * SQL_ARGS_MAX + 2], *arg = NULL;
	if (!e || n > 2 * SQL_ARGS_MAX)
		return e ? (sql_err(c, SQLSTATE_PROGRAM_LIMIT_EXCEEDED, k->location,
				    "CASE too long"),
			    NULL)
			 : NULL;
	if (k->arg && !(arg = sql_analyze_expr(c, k->arg)))
		return NULL;
	e->has_arg = arg != NULL;
	if (arg)
		e->args[i++] = arg;
	for (int w = 0; w < n; w++) {
		PgQuery__CaseWhen *cw = k->args[w]->case_when;
		sql_expr *cond = arg ? sql_analyze_expr(c, cw->expr)
				     : sql_analyze_bool(c, cw->expr, "CASE/WHEN");
		if (!cond)
			return NULL;
		if (arg && sql_unify_compare(c, "=", &e->args[0], &cond, cw->location) != MUR_OK)
			return NULL;
		e->args[i++] = cond;
		if (!(res[w] = sql_analyze_expr(c, cw->result)))
			return NULL;
		e->args[i++] = NULL; /* filled below */
	}
	res[n] = NULL;
	if (k->defresult && !(res[n] = sql_analyze_expr(c, k->defresult)))
		return NULL;
	if (sql_unify_branches(c, res, nres, "CASE", k->location) != MUR_OK)
		return NULL;
	for (int w = 0; w < n; w++)
		e->args[(arg ? 1 : 0) + 2 * w + 1] = res[w];
	e->has_else = res[n] != NULL;
	if (res[n])
		e->args[i++] = res[n];
	e->nargs = i;
	e->type = res[0]->type;
	return e;
}

static sql_expr *analyze_list_fn(sql_ctx *c, const char *fn, const char *construct,
				 PgQuery__Node **args, size_t n, int loc)
{
	sql_expr *e = with_args(c, sql_expr_new(c, SE_CALL, MT_UNKNOWN, loc), (int)n);
	if (!e)
		return NULL;
	e->op = fn;
	for (size_t i = 0; i < n; i++)
		if (!(e->args[i] = sql_analyze_expr(c, args[i])))
			return NULL;
	if (sql_unify_branches(c, e->args, (int)n, construct, loc) != MUR_OK)
		return NULL;
	e->type = e->args[0]->type;
	return e;
}

sql_expr *sql_make_coalesce2(sql_ctx *c, sql_expr *a, sql_expr *b, int loc)
{
	sql_expr *e = sql_make_call(c, "coalesce", MT_UNKNOWN, loc, 2, a, b);
	if (!e || sql_unify_branches(c, e->args, 2, "COALESCE", loc) != MUR_OK)
		return NULL;
	e->type = e->args[0]->type;
	return e;
}

static sql_expr *analyze_coalesce(sql_ctx *c, PgQuery__CoalesceExpr *k)
{
	sql_expr *e = analyze_list_fn(c, "coalesce", "COALESCE", k->args, k->n_args, k->location);
	if (e && e->nargs == 1) { /* SQLite's coalesce wants two arguments */
		sql_expr *x = e->args[0];
		return x;
	}
	return e;
}

static sql_expr *analyze_minmax(sql_ctx *c, PgQuery__MinMaxExpr *k)
{
	int greatest = k->op == PG_QUERY__MIN_MAX_OP__IS_GREATEST;
	sql_expr *e = analyze_list_fn(c, greatest ? "mur_greatest" : "mur_least",
				      greatest ? "GREATEST" : "LEAST", k->args, k->n_args,
				      k->location);
	if (e && e->type == MT_BPCHAR) /* bpcharcmp: trailing spaces aside */
		e->op = greatest ? "mur_greatest_bpchar" : "mur_least_bpchar";
	if (e && e->type == MT_NUMERIC) /* by value, each value's own text kept */
		e->op = greatest ? "mur_greatest_num" : "mur_least_num";
	return e;
}

/* ---- entry ---- */

static sql_expr *unsupported(sql_ctx *c, const char *what, int loc)
{
	sql_err(c, SQLSTATE_FEATURE_NOT_SUPPORTED, loc, "murphy does not support %s yet", what);
	return NULL;
}

sql_expr *sql_analyze_expr(sql_ctx *c, PgQuery__Node *n)
{
	switch (n->node_case) {
	case PG_QUERY__NODE__NODE_A_CONST:
		return analyze_const(c, n->a_const);
	case PG_QUERY__NODE__NODE_PARAM_REF:
		return analyze_param(c, n->param_ref);
	case PG_QUERY__NODE__NODE_COLUMN_REF:
		return analyze_colref(c, n->column_ref);
	case PG_QUERY__NODE__NODE_A_EXPR:
		return analyze_aexpr(c, n->a_expr);
	case PG_QUERY__NODE__NODE_BOOL_EXPR:
		return analyze_bool(c, n->bool_expr);
	case PG_QUERY__NODE__NODE_NULL_TEST:
		return analyze_nulltest(c, n->null_test);
	case PG_QUERY__NODE__NODE_BOOLEAN_TEST:
		return analyze_booltest(c, n->boolean_test);
	case PG_QUERY__NODE__NODE_TYPE_CAST:
		return analyze_typecast(c, n->type_cast);
	case PG_QUERY__NODE__NODE_FUNC_CALL:
		return sql_analyze_func(c, n->func_call);
	case PG_QUERY__NODE__NODE_GROUPING_FUNC:
		return sql_analyze_grouping_func(c, n->grouping_func);
	case PG_QUERY__NODE__NODE_CASE_EXPR:
		return analyze_case(c, n->case_expr);
	case PG_QUERY__NODE__NODE_COALESCE_EXPR:
		return analyze_coalesce(c, n->coalesce_expr);
	case PG_QUERY__NODE__NODE_MIN_MAX_EXPR:
		return analyze_minmax(c, n->min_max_expr);
	case PG_QUERY__NODE__NODE_SQLVALUE_FUNCTION:
		return sql_analyze_sqlvalue(c, n->sqlvalue_function);
	case PG_QUERY__NODE__NODE_SUB_LINK:
		return sql_analyze_sublink(c, n->sub_link);
	case PG_QUERY__NODE__NODE_SET_TO_DEFAULT:
		return unsupported(c, "DEFAULT in this position", n->set_to_default->location);
	case PG_QUERY__NODE__NODE_A_ARRAY_EXPR:
		return sql_array_expr(c, n->a_array_expr);
	case PG_QUERY__NODE__NODE_ROW_EXPR:
		return unsupported(c, "row constructors", n->row_expr->location);
	case PG_QUERY__NODE__NODE_COLLATE_CLAUSE:
		return unsupported(c, "COLLATE", n->collate_clause->location);
	case PG_QUERY__NODE__NODE_A_INDIRECTION:
		return sql_array_subscript(c, n->a_indirection);
	default: { /* named by the parse tree's node (xml_expr for xmlelement ...) */
		const ProtobufCFieldDescriptor *fd =
			protobuf_c_message_descriptor_get_field(&pg_query__node__descriptor,
								(unsigned)n->node_case);
		char what[96];
		snprintf(what, sizeof what, "this kind of expression (%s)", fd ? fd->name : "?");
		return unsupported(c, what, -1);
	}
	}
}

/* FigureColnameInternal's strength of n's name: 0 none (?column?), 1
 * weak (a cast's type name), 2 strong (a column's, a function's, ...). */
static int colname_strength(PgQuery__Node *n)
{
	int s;
	if (n->node_case == PG_QUERY__NODE__NODE_TYPE_CAST ||
	    n->node_case == PG_QUERY__NODE__NODE_CASE_EXPR) { /* "case": weak too */
		PgQuery__Node *arg = n->node_case == PG_QUERY__NODE__NODE_TYPE_CAST
					     ? n->type_cast->arg
					     : n->case_expr->defresult;
		s = arg ? colname_strength(arg) : 0;
		return s > 1 ? s : 1;
	}
	return strcmp(sql_colname(n), "?column?") ? 2 : 0;
}

/* PostgreSQL's FigureColname: the output name of an unnamed select-list
 * entry. */
const char *sql_colname(PgQuery__Node *n)
{
	switch (n->node_case) {
	case PG_QUERY__NODE__NODE_COLUMN_REF: {
		PgQuery__ColumnRef *r = n->column_ref; /* its last name, a star skipped */
		const char *s = NULL;
		for (size_t i = r->n_fields; !s && i > 0; i--)
			s = str_field(r->fields[i - 1]);
		return s ? s : "?column?";
	}
	case PG_QUERY__NODE__NODE_GROUPING_FUNC:
		return "grouping";
	case PG_QUERY__NODE__NODE_FUNC_CALL: {
		PgQuery__FuncCall *f = n->func_call;
		const char *s = str_field(f->funcname[f->n_funcname - 1]);
		return s ? s : "?column?";
	}
	case PG_QUERY__NODE__NODE_TYPE_CAST: {
		PgQuery__TypeName *tn = n->type_cast->type_name;
		const char *s;
		/* a name from a cast is weak: an outer cast's type name wins
		 * over it, not over a column's or function's (colname_strength) */
		if (colname_strength(n->type_cast->arg) > 1)
			return sql_colname(n->type_cast->arg);
		s = str_field(tn->names[tn->n_names - 1]);
		return s ? s : "?column?";
	}
	case PG_QUERY__NODE__NODE_CASE_EXPR: /* its ELSE's name when that is strong */
		if (n->case_expr->defresult && colname_strength(n->case_expr->defresult) > 1)
			return sql_colname(n->case_expr->defresult);
		return "case";
	case PG_QUERY__NODE__NODE_A_ARRAY_EXPR:
		return "array";
	case PG_QUERY__NODE__NODE_A_INDIRECTION: /* a[1]: a's name */
		return sql_colname(n->a_indirection->arg);
	case PG_QUERY__NODE__NODE_SUB_LINK: { /* EXISTS; (SELECT x ...): x's name */
		PgQuery__SubLink *sl = n->sub_link;
		PgQuery__SelectStmt *s = sl->subselect->node_case ==
							 PG_QUERY__NODE__NODE_SELECT_STMT
						 ? sl->subselect->select_stmt
						 : NULL;
		PgQuery__ResTarget *rt;
		if (sl->sub_link_type == PG_QUERY__SUB_LINK_TYPE__EXISTS_SUBLINK)
			return "exists";
		if (sl->sub_link_type == PG_QUERY__SUB_LINK_TYPE__ARRAY_SUBLINK)
			return "array";
		while (s && s->op != PG_QUERY__SET_OPERATION__SETOP_NONE)
			s = s->larg;
		if (sl->sub_link_type != PG_QUERY__SUB_LINK_TYPE__EXPR_SUBLINK || !s ||
		    s->n_target_list == 0)
			return "?column?";
		rt = s->target_list[0]->res_target;
		return rt->name && *rt->name ? rt->name : sql_colname(rt->val);
	}
	case PG_QUERY__NODE__NODE_COALESCE_EXPR:
		return "coalesce";
	case PG_QUERY__NODE__NODE_MIN_MAX_EXPR:
		return n->min_max_expr->op == PG_QUERY__MIN_MAX_OP__IS_GREATEST ? "greatest"
										: "least";
	case PG_QUERY__NODE__NODE_A_EXPR:
		return n->a_expr->kind == PG_QUERY__A__EXPR__KIND__AEXPR_NULLIF ? "nullif"
										: "?column?";
	case PG_QUERY__NODE__NODE_A_CONST: /* PostgreSQL 15: true is a constant, no longer a
					      cast to bool named "bool" */
		return "?column?";
	case PG_QUERY__NODE__NODE_SQLVALUE_FUNCTION:
		switch (n->sqlvalue_function->op) {
		case PG_QUERY__SQLVALUE_FUNCTION_OP__SVFOP_CURRENT_DATE:
			return "current_date";
		case PG_QUERY__SQLVALUE_FUNCTION_OP__SVFOP_CURRENT_TIMESTAMP:
		case PG_QUERY__SQLVALUE_FUNCTION_OP__SVFOP_CURRENT_TIMESTAMP_N:
			return "current_timestamp";
		case PG_QUERY__SQLVALUE_FUNCTION_OP__SVFOP_LOCALTIMESTAMP:
		case PG_QUERY__SQLVALUE_FUNCTION_OP__SVFOP_LOCALTIMESTAMP_N:
			return "localtimestamp";
		case PG_QUERY__SQLVALUE_FUNCTION_OP__SVFOP_CURRENT_USER:
			return "current_user";
		case PG_QUERY__SQLVALUE_FUNCTION_OP__SVFOP_SESSION_USER:
			return "session_user";
		case PG_QUERY__SQLVALUE_FUNCTION_OP__SVFOP_USER:
			return "user";
		case PG_QUERY__SQLVALUE_FUNCTION_OP__SVFOP_CURRENT_SCHEMA:
			return "current_schema";
		case PG_QUERY__SQLVALUE_FUNCTION_OP__SVFOP_CURRENT_CATALOG:
			return "current_catalog";
		default:
			return "?column?";
		}
	default:
		return "?column?";
	}
}
