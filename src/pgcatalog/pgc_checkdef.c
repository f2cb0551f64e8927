/*
 * pgc_checkdef.c — a CHECK constraint's expression as PostgreSQL prints it
 * (pg_get_constraintdef, information_schema.check_constraints, psql's \d).
 *
 * PostgreSQL stores the analyzed expression and prints it back through
 * ruleutils.c: every operator and boolean node in parentheses (or, pretty,
 * only where precedence needs them), constants with the cast the analysis
 * gave them ((0)::numeric against a numeric column, 'x'::text, a negative
 * integer as '-1'::integer), IN lists as = ANY (ARRAY[...]), BETWEEN as
 * two comparisons, LIKE as ~~.  murphy keeps the raw tree's text and
 * types it here from the table's columns, with the part of PostgreSQL's
 * operator resolution that CHECKs use: integer types compare with each
 * other unconverted, an integer meets numeric as numeric and a number
 * meets a float as double precision, a quoted literal takes the other
 * side's type, varchar compares as text.
 *
 *   pgc_check_print    raw expression → the stored text (not pretty)
 *   pgc_check_reprint  stored text → pretty or not, a column renamed
 *   pgc_check_columns  which columns a stored text names
 *
 * The stored text (cat_check.expr) is this file's own non-pretty output,
 * which parses back to the same tree: a RENAME COLUMN reprints it with the
 * new name, pg_get_constraintdef(oid, true) reprints it pretty.  What this
 * printer does not know (a function's result type, a construct it does not
 * list) is printed plainly, without casts; the constraint still holds.
 */
#include "pgcatalog/pgc_int.h"

#include <pg_query.h>

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The context a node is printed in: its parent's kind, for pretty mode's
 * parentheses (ruleutils.c's isSimpleNode). */
typedef enum parent_kind {
	P_TOP,
	P_AND,
	P_OR,
	P_NOT,
	P_CMP,   /* an operator other than + - * / % */
	P_LOPRI, /* + - */
	P_HIPRI, /* * / % */
	P_TEST,  /* IS [NOT] NULL */
	P_FUNC,  /* a function's argument, an ARRAY element */
	P_CAST,
} parent_kind;

typedef struct printer {
	const cat_table *t;
	int pretty;
	const char *from, *to; /* a column renamed, or NULL */
	mur_buf *b;
	uint8_t *used; /* pgc_check_columns: per column, or NULL */
	int nused;
	int unknown; /* a node this printer does not know was met */
} printer;

static void out(printer *p, const char *s) { mur_buf_put(p->b, s, strlen(s)); }

static const char *str_of(const PgQuery__Node *n)
{
	return n && n->node_case == PG_QUERY__NODE__NODE_STRING ? n->string->sval : NULL;
}

static const char *column_name(const PgQuery__ColumnRef *c)
{
	return c->n_fields ? str_of(c->fields[c->n_fields - 1]) : NULL;
}

static int column_of(const printer *p, const PgQuery__ColumnRef *c)
{
	const char *name = column_name(c);
	if (!name)
		return -1;
	if (p->from && !strcmp(name, p->from))
		name = p->to;
	return cat_column_index(p->t, name);
}

/* ---- types ---- */

static mur_type type_of(const printer *p, const PgQuery__Node *n);

static int is_arith(const char *op) { return op && strlen(op) == 1 && strchr("+-*/%", *op); }

static const char *op_name(const PgQuery__AExpr *e)
{
	return e->n_name ? str_of(e->name[e->n_name - 1]) : NULL;
}

/* The type both sides of a binary operator are brought to. */
static mur_type common_type(mur_type l, mur_type r)
{
	if (l == r)
		return l;
	if (l == MT_UNKNOWN)
		return r == MT_VARCHAR ? MT_TEXT : r;
	if (r == MT_UNKNOWN)
		return l == MT_VARCHAR ? MT_TEXT : l;
	if (mur_type_is_integer(l) && mur_type_is_integer(r))
		return l == MT_INT8 || r == MT_INT8 ? MT_INT8 : MT_INT4;
	if (l == MT_FLOAT8 || r == MT_FLOAT8 || l == MT_FLOAT4 || r == MT_FLOAT4)
		return MT_FLOAT8;
	if (l == MT_NUMERIC || r == MT_NUMERIC)
		return MT_NUMERIC;
	if (mur_type_is_text(l) && mur_type_is_text(r))
		return MT_TEXT;
	return l;
}

static mur_type func_type(const printer *p, const PgQuery__FuncCall *f)
{
	static const char *const ints[] = {"length", "char_length", "octet_length", "strpos",
					   "position"};
	static const char *const texts[] = {"upper", "lower",   "btrim",     "ltrim",  "rtrim",
					    "trim",  "substr",  "substring", "concat", "left",
					    "right", "replace", "lpad",      "rpad",   "md5"};
	const char *name = f->n_funcname ? str_of(f->funcname[f->n_funcname - 1]) : NULL;
	for (size_t i = 0; name && i < sizeof ints / sizeof ints[0]; i++)
		if (!strcmp(name, ints[i]))
			return MT_INT4;
	for (size_t i = 0; name && i < sizeof texts / sizeof texts[0]; i++)
		if (!strcmp(name, texts[i]))
			return MT_TEXT;
	if (name && (!strcmp(name, "abs") || !strcmp(name, "round")) && f->n_args)
		return type_of(p, f->args[0]);
	return MT_UNKNOWN;
}

static mur_type cast_type(const PgQuery__TypeCast *c)
{
	const PgQuery__TypeName *tn = c->type_name;
	const char *name = tn && tn->n_names ? str_of(tn->names[tn->n_names - 1]) : NULL;
	return name ? mur_type_from_name(name) : MT_UNKNOWN;
}

static mur_type type_of(const printer *p, const PgQuery__Node *n)
{
	int ci;
	if (!n)
		return MT_UNKNOWN;
	switch (n->node_case) {
	case PG_QUERY__NODE__NODE_COLUMN_REF:
		ci = column_of(p, n->column_ref);
		return ci < 0 ? MT_UNKNOWN : p->t->cols[ci].type;
	case PG_QUERY__NODE__NODE_A_CONST:
		switch (n->a_const->val_case) {
		case PG_QUERY__A__CONST__VAL_IVAL:
			return MT_INT4;
		case PG_QUERY__A__CONST__VAL_FVAL:
			return MT_NUMERIC;
		case PG_QUERY__A__CONST__VAL_BOOLVAL:
			return MT_BOOL;
		default:
			return MT_UNKNOWN;
		}
	case PG_QUERY__NODE__NODE_A_EXPR:
		if (n->a_expr->kind == PG_QUERY__A__EXPR__KIND__AEXPR_OP &&
		    is_arith(op_name(n->a_expr)))
			return n->a_expr->lexpr ? common_type(type_of(p, n->a_expr->lexpr),
							      type_of(p, n->a_expr->rexpr))
						: type_of(p, n->a_expr->rexpr);
		if (n->a_expr->kind == PG_QUERY__A__EXPR__KIND__AEXPR_OP && op_name(n->a_expr) &&
		    !strcmp(op_name(n->a_expr), "||"))
			return MT_TEXT;
		return MT_BOOL;
	case PG_QUERY__NODE__NODE_BOOL_EXPR:
	case PG_QUERY__NODE__NODE_NULL_TEST:
		return MT_BOOL;
	case PG_QUERY__NODE__NODE_FUNC_CALL:
		return func_type(p, n->func_call);
	case PG_QUERY__NODE__NODE_TYPE_CAST:
		return cast_type(n->type_cast);
	default:
		return MT_UNKNOWN;
	}
}

/* Does a value of type from need a cast to be compared as type to? */
static int needs_cast(mur_type from, mur_type to)
{
	if (from == to || to == MT_UNKNOWN)
		return 0;
	if (mur_type_is_integer(from) && mur_type_is_integer(to))
		return 0; /* int2/int4/int8 operators mix */
	return 1;
}

static const char *type_spelling(mur_type t, char *buf, size_t n)
{
	snprintf(buf, n, "%s", t == MT_BPCHAR ? "bpchar" : mur_type_name(t));
	return buf;
}

/* ---- printing ---- */

static void expr(printer *p, const PgQuery__Node *n, parent_kind parent, int first, mur_type want);

static void quote_ident(printer *p, const char *name)
{
	int plain = (islower((unsigned char)name[0]) || name[0] == '_');
	for (const char *s = name; plain && *s; s++)
		plain = islower((unsigned char)*s) || isdigit((unsigned char)*s) || *s == '_';
	if (plain) {
		out(p, name);
		return;
	}
	mur_buf_put_u8(p->b, '"');
	for (const char *s = name; *s; s++) {
		if (*s == '"')
			mur_buf_put_u8(p->b, '"');
		mur_buf_put_u8(p->b, (uint8_t)*s);
	}
	mur_buf_put_u8(p->b, '"');
}

static void quote_literal(printer *p, const char *s)
{
	mur_buf_put_u8(p->b, '\'');
	for (; *s; s++) {
		if (*s == '\'')
			mur_buf_put_u8(p->b, '\'');
		mur_buf_put_u8(p->b, (uint8_t)*s);
	}
	mur_buf_put_u8(p->b, '\'');
}

/* A constant whose value text is v, typed t (ruleutils.c get_const_expr). */
static void typed_const(printer *p, const char *v, mur_type t)
{
	char ty[64];
	if (t == MT_INT4 && v[0] != '-') {
		out(p, v);
		return;
	}
	if (t == MT_NUMERIC && isdigit((unsigned char)v[0]) && strcspn(v, "eE.") != strlen(v)) {
		out(p, v);
		return;
	}
	if (t == MT_BOOL) {
		out(p, (v[0] == 't' || v[0] == 'T') ? "true" : "false");
		return;
	}
	quote_literal(p, v);
	if (t != MT_UNKNOWN) {
		out(p, "::");
		out(p, type_spelling(t, ty, sizeof ty));
	}
}

static const char *const_text(const PgQuery__AConst *k, char *buf, size_t n)
{
	switch (k->val_case) {
	case PG_QUERY__A__CONST__VAL_IVAL:
		snprintf(buf, n, "%d", k->ival->ival);
		return buf;
	case PG_QUERY__A__CONST__VAL_FVAL:
		return k->fval->fval;
	case PG_QUERY__A__CONST__VAL_SVAL:
		return k->sval->sval;
	case PG_QUERY__A__CONST__VAL_BOOLVAL:
		return k->boolval->boolval ? "true" : "false";
	default:
		return NULL;
	}
}

/* Pretty mode's parentheses around a node of kind kind under parent
 * (isSimpleNode): 1 when needed. */
static int paren_needed(const printer *p, parent_kind kind, parent_kind parent, int first)
{
	if (!p->pretty || parent == P_TOP)
		return 0;
	switch (kind) {
	case P_LOPRI:
	case P_HIPRI:
		if (parent == P_AND || parent == P_OR || parent == P_NOT || parent == P_FUNC)
			return 0;
		if (parent == P_LOPRI || parent == P_HIPRI) {
			if (kind == P_HIPRI && parent == P_LOPRI)
				return 0;
			if (kind == P_LOPRI && parent == P_HIPRI)
				return 1;
			return !first;
		}
		return 1;
	case P_CMP:
		return !(parent == P_AND || parent == P_OR || parent == P_NOT || parent == P_FUNC);
	case P_TEST:
		return !(parent == P_AND || parent == P_OR || parent == P_NOT || parent == P_FUNC);
	case P_AND:
	case P_NOT:
		return !(parent == P_AND || parent == P_OR || parent == P_FUNC);
	case P_OR:
		return !(parent == P_OR || parent == P_FUNC);
	default:
		return 0;
	}
}

static void open_paren(printer *p, parent_kind kind, parent_kind parent, int first)
{
	if (!p->pretty || paren_needed(p, kind, parent, first))
		mur_buf_put_u8(p->b, '(');
}

static void close_paren(printer *p, parent_kind kind, parent_kind parent, int first)
{
	if (!p->pretty || paren_needed(p, kind, parent, first))
		mur_buf_put_u8(p->b, ')');
}

static void binary(printer *p, const PgQuery__Node *l, const char *op, const PgQuery__Node *r,
		   parent_kind parent, int first)
{
	mur_type lt = type_of(p, l), rt = type_of(p, r), ct = common_type(lt, rt);
	parent_kind kind = !is_arith(op) ? P_CMP : strchr("+-", *op) ? P_LOPRI : P_HIPRI;
	open_paren(p, kind, parent, first);
	expr(p, l, kind, 1, ct);
	out(p, " ");
	out(p, op);
	out(p, " ");
	expr(p, r, kind, 0, ct);
	close_paren(p, kind, parent, first);
}

/* x op ANY|ALL (ARRAY[items]): also what x IN (a, b) is (x = ANY), and
 * NOT IN (x <> ALL); the stored text parses back as the ARRAY form. */
static void array_op(printer *p, const PgQuery__Node *x, const char *op, int all,
		     PgQuery__Node **items, size_t n, parent_kind parent, int first)
{
	mur_type ct = type_of(p, x);
	for (size_t i = 0; i < n; i++)
		ct = common_type(ct, type_of(p, items[i]));
	open_paren(p, P_CMP, parent, first);
	expr(p, x, P_CMP, 1, ct);
	out(p, " ");
	out(p, op);
	out(p, all ? " ALL (ARRAY[" : " ANY (ARRAY[");
	for (size_t i = 0; i < n; i++) {
		if (i)
			out(p, ", ");
		expr(p, items[i], P_FUNC, 0, ct);
	}
	out(p, "])");
	close_paren(p, P_CMP, parent, first);
}

static void in_list(printer *p, const PgQuery__AExpr *e, parent_kind parent, int first)
{
	const PgQuery__List *l = e->rexpr && e->rexpr->node_case == PG_QUERY__NODE__NODE_LIST
					 ? e->rexpr->list
					 : NULL;
	const char *op = op_name(e);
	int neg = op && !strcmp(op, "<>");
	if (!l)
		return;
	if (l->n_items == 1)
		binary(p, e->lexpr, neg ? "<>" : "=", l->items[0], parent, first);
	else
		array_op(p, e->lexpr, neg ? "<>" : "=", neg, l->items, l->n_items, parent, first);
}

static void any_all(printer *p, const PgQuery__AExpr *e, parent_kind parent, int first)
{
	const PgQuery__Node *r = e->rexpr;
	int all = e->kind == PG_QUERY__A__EXPR__KIND__AEXPR_OP_ALL;
	if (r && r->node_case == PG_QUERY__NODE__NODE_A_ARRAY_EXPR)
		array_op(p, e->lexpr, op_name(e) ? op_name(e) : "=", all, r->a_array_expr->elements,
			 r->a_array_expr->n_elements, parent, first);
	else
		out(p, "?");
}

/* a BETWEEN x AND y → a >= x AND a <= y; NOT BETWEEN → a < x OR a > y. */
static void between(printer *p, const PgQuery__AExpr *e, int neg, parent_kind parent, int first)
{
	const PgQuery__List *l = e->rexpr && e->rexpr->node_case == PG_QUERY__NODE__NODE_LIST
					 ? e->rexpr->list
					 : NULL;
	parent_kind kind = neg ? P_OR : P_AND;
	if (!l || l->n_items != 2)
		return;
	open_paren(p, kind, parent, first);
	binary(p, e->lexpr, neg ? "<" : ">=", l->items[0], kind, 1);
	out(p, neg ? " OR " : " AND ");
	binary(p, e->lexpr, neg ? ">" : "<=", l->items[1], kind, 0);
	close_paren(p, kind, parent, first);
}

static void a_expr(printer *p, const PgQuery__AExpr *e, parent_kind parent, int first)
{
	const char *op = op_name(e);
	switch (e->kind) {
	case PG_QUERY__A__EXPR__KIND__AEXPR_IN:
		in_list(p, e, parent, first);
		return;
	case PG_QUERY__A__EXPR__KIND__AEXPR_OP_ANY:
	case PG_QUERY__A__EXPR__KIND__AEXPR_OP_ALL:
		any_all(p, e, parent, first);
		return;
	case PG_QUERY__A__EXPR__KIND__AEXPR_BETWEEN:
	case PG_QUERY__A__EXPR__KIND__AEXPR_NOT_BETWEEN:
		between(p, e, e->kind == PG_QUERY__A__EXPR__KIND__AEXPR_NOT_BETWEEN, parent, first);
		return;
	case PG_QUERY__A__EXPR__KIND__AEXPR_LIKE:
		binary(p, e->lexpr, op && !strcmp(op, "!~~") ? "!~~" : "~~", e->rexpr, parent,
		       first);
		return;
	case PG_QUERY__A__EXPR__KIND__AEXPR_ILIKE:
		binary(p, e->lexpr, op && !strcmp(op, "!~~*") ? "!~~*" : "~~*", e->rexpr, parent,
		       first);
		return;
	default:
		if (!e->lexpr) { /* prefix operator: -x */
			open_paren(p, P_HIPRI, parent, first);
			out(p, op ? op : "?");
			out(p, " ");
			expr(p, e->rexpr, P_HIPRI, 0, MT_UNKNOWN);
			close_paren(p, P_HIPRI, parent, first);
			return;
		}
		binary(p, e->lexpr, op ? op : "?", e->rexpr, parent, first);
	}
}

static void bool_expr(printer *p, const PgQuery__BoolExpr *e, parent_kind parent, int first)
{
	parent_kind kind = e->boolop == PG_QUERY__BOOL_EXPR_TYPE__AND_EXPR  ? P_AND
			   : e->boolop == PG_QUERY__BOOL_EXPR_TYPE__OR_EXPR ? P_OR
									    : P_NOT;
	open_paren(p, kind, parent, first);
	if (kind == P_NOT && e->n_args) {
		out(p, "NOT ");
		expr(p, e->args[0], P_NOT, 1, MT_BOOL);
	}
	for (size_t i = 0; kind != P_NOT && i < e->n_args; i++) {
		if (i)
			out(p, kind == P_AND ? " AND " : " OR ");
		expr(p, e->args[i], kind, i == 0, MT_BOOL);
	}
	close_paren(p, kind, parent, first);
}

static void func_call(printer *p, const PgQuery__FuncCall *f)
{
	const char *name = f->n_funcname ? str_of(f->funcname[f->n_funcname - 1]) : "?";
	quote_ident(p, name ? name : "?");
	out(p, "(");
	for (size_t i = 0; i < f->n_args; i++) {
		if (i)
			out(p, ", ");
		expr(p, f->args[i], P_FUNC, 0, MT_UNKNOWN);
	}
	out(p, ")");
}

/* n brought to type want: a typed constant, or (n)::want. */
static void cast_to(printer *p, const PgQuery__Node *n, mur_type want)
{
	char ty[64], num[32];
	const char *v;
	if (n->node_case == PG_QUERY__NODE__NODE_A_CONST &&
	    n->a_const->val_case == PG_QUERY__A__CONST__VAL_SVAL) {
		typed_const(p, n->a_const->sval->sval, want);
		return;
	}
	if (!p->pretty)
		out(p, "(");
	if (n->node_case == PG_QUERY__NODE__NODE_A_CONST &&
	    (v = const_text(n->a_const, num, sizeof num)))
		typed_const(p, v, type_of(p, n));
	else
		expr(p, n, P_CAST, 0, MT_UNKNOWN);
	if (!p->pretty)
		out(p, ")");
	out(p, "::");
	out(p, type_spelling(want, ty, sizeof ty));
}

static void expr(printer *p, const PgQuery__Node *n, parent_kind parent, int first, mur_type want)
{
	char num[32];
	const char *v;
	int ci;
	if (!n)
		return;
	if (want != MT_UNKNOWN && needs_cast(type_of(p, n), want) &&
	    (type_of(p, n) != MT_UNKNOWN || n->node_case == PG_QUERY__NODE__NODE_A_CONST)) {
		cast_to(p, n, want);
		return;
	}
	switch (n->node_case) {
	case PG_QUERY__NODE__NODE_COLUMN_REF:
		ci = column_of(p, n->column_ref);
		if (ci >= 0 && p->used && !p->used[ci] && p->nused < 255)
			p->used[ci] = (uint8_t)++p->nused;
		quote_ident(p, ci >= 0 ? p->t->cols[ci].name : column_name(n->column_ref));
		return;
	case PG_QUERY__NODE__NODE_A_CONST:
		if (n->a_const->isnull || !(v = const_text(n->a_const, num, sizeof num)))
			out(p, "NULL");
		else
			typed_const(p, v,
				    n->a_const->val_case == PG_QUERY__A__CONST__VAL_SVAL
					    ? MT_UNKNOWN
					    : type_of(p, n));
		return;
	case PG_QUERY__NODE__NODE_A_EXPR:
		a_expr(p, n->a_expr, parent, first);
		return;
	case PG_QUERY__NODE__NODE_BOOL_EXPR:
		bool_expr(p, n->bool_expr, parent, first);
		return;
	case PG_QUERY__NODE__NODE_NULL_TEST:
		open_paren(p, P_TEST, parent, first);
		expr(p, (const PgQuery__Node *)n->null_test->arg, P_TEST, 1, MT_UNKNOWN);
		out(p, n->null_test->nulltesttype == PG_QUERY__NULL_TEST_TYPE__IS_NULL
			       ? " IS NULL"
			       : " IS NOT NULL");
		close_paren(p, P_TEST, parent, first);
		return;
	case PG_QUERY__NODE__NODE_FUNC_CALL:
		func_call(p, n->func_call);
		return;
	case PG_QUERY__NODE__NODE_TYPE_CAST:
		cast_to(p, n->type_cast->arg, cast_type(n->type_cast));
		return;
	case PG_QUERY__NODE__NODE_COALESCE_EXPR:
		out(p, "COALESCE(");
		for (size_t i = 0; i < n->coalesce_expr->n_args; i++) {
			if (i)
				out(p, ", ");
			expr(p, n->coalesce_expr->args[i], P_FUNC, 0, MT_UNKNOWN);
		}
		out(p, ")");
		return;
	default:
		p->unknown = 1;
		out(p, "?");
	}
}

/* The top: PostgreSQL's text inside CHECK (...). */
static void top(printer *p, const PgQuery__Node *n) { expr(p, n, P_TOP, 1, MT_BOOL); }

int pgc_check_print(const cat_table *t, const PgQuery__Node *n, mur_buf *b)
{
	printer p = {.t = t, .b = b};
	top(&p, n);
	if (p.unknown)
		return MUR_EAGAIN;
	return mur_buf_ok(b) ? MUR_OK : MUR_ENOMEM;
}

/* The stored text parsed back ("SELECT text"); fn prints it. */
static int with_parsed(printer *p, const char *text)
{
	PgQueryProtobufParseResult r;
	PgQuery__ParseResult *tree = NULL;
	const PgQuery__Node *n = NULL;
	mur_buf sql;
	int rc = MUR_ERR;
	mur_buf_init(&sql);
	mur_buf_printf(&sql, "SELECT %s", text);
	mur_buf_put_u8(&sql, 0);
	if (!mur_buf_ok(&sql)) {
		mur_buf_free(&sql);
		return MUR_ENOMEM;
	}
	r = pg_query_parse_protobuf((const char *)sql.data);
	mur_buf_free(&sql);
	if (!r.error)
		tree = pg_query__parse_result__unpack(NULL, r.parse_tree.len,
						      (const uint8_t *)r.parse_tree.data);
	if (tree && tree->n_stmts == 1 && tree->stmts[0]->stmt &&
	    tree->stmts[0]->stmt->node_case == PG_QUERY__NODE__NODE_SELECT_STMT &&
	    tree->stmts[0]->stmt->select_stmt->n_target_list == 1 &&
	    tree->stmts[0]->stmt->select_stmt->target_list[0]->node_case ==
		    PG_QUERY__NODE__NODE_RES_TARGET)
		n = tree->stmts[0]->stmt->select_stmt->target_list[0]->res_target->val;
	if (n) {
		top(p, n);
		rc = p->unknown ? MUR_ERR : mur_buf_ok(p->b) ? MUR_OK : MUR_ENOMEM;
	}
	if (tree)
		pg_query__parse_result__free_unpacked(tree, NULL);
	pg_query_free_protobuf_parse_result(r);
	return rc;
}

int pgc_check_reprint(const cat_table *t, const char *text, int pretty, const char *from,
		      const char *to, mur_buf *b)
{
	printer p = {.t = t, .pretty = pretty, .from = from, .to = to, .b = b};
	return with_parsed(&p, text);
}

int pgc_check_columns(const cat_table *t, const char *text, uint8_t *used)
{
	mur_buf scratch;
	printer p = {.t = t, .b = &scratch, .used = used};
	int rc;
	memset(used, 0, (size_t)t->ncols);
	mur_buf_init(&scratch);
	rc = with_parsed(&p, text);
	mur_buf_free(&scratch);
	return rc;
}

uint32_t pgc_check_oid(const cat_table *t, const cat_check *k)
{
	return PGC_OID_CHECK_BASE + t->id * CAT_CHECKS_MAX + k->num;
}
