/*
 * emit.c — typed expression trees → SQLite SQL text.
 *
 * Every compound expression is parenthesized, so precedence never depends
 * on SQLite agreeing with PostgreSQL.  Identifiers are always quoted
 * ("name", with "" doubling); strings use '' doubling; parameters become
 * ?n.  Column references are "alias"."col" (bare "col" for UPDATE/DELETE/
 * RETURNING).  Table i of a plan is schema main (i = 0) or m<i>;
 * murphy.* virtual tables are main."murphy_<name>" on the leader.
 *
 * Aggregates are emitted as SQLite aggregates only where SQLite itself runs
 * them (router plans, leader-only plans); bool_and/bool_or map to min/max
 * over the 0/1 storage; approx_count_distinct to mur_approx_count_distinct
 * (sqlfn.c), the same HyperLogLog sketch the hash aggregate keeps.
 */
#include "sql/sqlInt.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

void sql_emit_ident(mur_buf *b, const char *name)
{
	mur_buf_put_u8(b, '"');
	for (const char *p = name; *p; p++) {
		if (*p == '"')
			mur_buf_put_u8(b, '"');
		mur_buf_put_u8(b, (uint8_t)*p);
	}
	mur_buf_put_u8(b, '"');
}

void sql_emit_string(mur_buf *b, const char *s, size_t n)
{
	mur_buf_put_u8(b, '\'');
	for (size_t i = 0; i < n; i++) {
		if (s[i] == '\'')
			mur_buf_put_u8(b, '\'');
		mur_buf_put_u8(b, (uint8_t)s[i]);
	}
	mur_buf_put_u8(b, '\'');
}

static void emit_double(mur_buf *b, double d)
{
	char tmp[64];
	if (isnan(d)) {
		mur_buf_printf(b, "NULL");
		return;
	}
	if (isinf(d)) {
		mur_buf_printf(b, d > 0 ? "9e999" : "-9e999");
		return;
	}
	snprintf(tmp, sizeof tmp, "%.17g", d);
	if (!strpbrk(tmp, ".eE"))
		strcat(tmp, ".0"); /* keep it REAL in SQLite */
	mur_buf_printf(b, "%s", tmp);
}

void sql_emit_value(mur_buf *b, const mur_value *v)
{
	switch (v->kind) {
	case MV_NULL: mur_buf_printf(b, "NULL"); break;
	case MV_INT: mur_buf_printf(b, "%lld", (long long)v->i); break;
	case MV_FLOAT: emit_double(b, v->f); break;
	case MV_TEXT: sql_emit_string(b, v->s, v->len); break;
	case MV_BLOB:
		mur_buf_printf(b, "X'");
		for (size_t i = 0; i < v->len; i++)
			mur_buf_printf(b, "%02x", (unsigned char)v->s[i]);
		mur_buf_put_u8(b, '\'');
		break;
	}
}

static void emit_args(sql_emit *e, const sql_expr *x, int from, const char *sep)
{
	for (int i = from; i < x->nargs; i++) {
		if (i > from)
			mur_buf_printf(e->b, "%s", sep);
		sql_emit_expr(e, x->args[i]);
	}
}

static void emit_column(sql_emit *e, const sql_expr *x)
{
	const sql_rte *r = &e->q->rtes[x->rte];
	if (!e->bare_columns) {
		sql_emit_ident(e->b, r->alias);
		mur_buf_put_u8(e->b, '.');
	}
	sql_emit_ident(e->b, r->table->cols[x->col].name);
}

static void emit_op(sql_emit *e, const sql_expr *x)
{
	mur_buf_put_u8(e->b, '(');
	if (x->nargs == 2) {
		sql_emit_expr(e, x->args[0]);
		mur_buf_printf(e->b, " %s ", x->op);
		sql_emit_expr(e, x->args[1]);
	} else if (x->postfix) {
		sql_emit_expr(e, x->args[0]);
		mur_buf_printf(e->b, " %s", x->op);
	} else {
		mur_buf_printf(e->b, "%s ", x->op);
		sql_emit_expr(e, x->args[0]);
	}
	mur_buf_put_u8(e->b, ')');
}

static void emit_case(sql_emit *e, const sql_expr *x)
{
	int i = 0, end = x->nargs - (x->has_else ? 1 : 0);
	mur_buf_printf(e->b, "(CASE");
	if (x->has_arg) {
		mur_buf_put_u8(e->b, ' ');
		sql_emit_expr(e, x->args[i++]);
	}
	for (; i < end; i += 2) {
		mur_buf_printf(e->b, " WHEN ");
		sql_emit_expr(e, x->args[i]);
		mur_buf_printf(e->b, " THEN ");
		sql_emit_expr(e, x->args[i + 1]);
	}
	if (x->has_else) {
		mur_buf_printf(e->b, " ELSE ");
		sql_emit_expr(e, x->args[x->nargs - 1]);
	}
	mur_buf_printf(e->b, " END)");
}

static void emit_agg(sql_emit *e, const sql_expr *x)
{
	static const char *const names[] = {
		[SQL_AGG_COUNT_STAR] = "count", [SQL_AGG_COUNT] = "count", [SQL_AGG_SUM] = "sum",
		[SQL_AGG_MIN] = "min",          [SQL_AGG_MAX] = "max",     [SQL_AGG_AVG] = "avg",
		[SQL_AGG_BOOL_AND] = "min",     [SQL_AGG_BOOL_OR] = "max",
		[SQL_AGG_APPROX_COUNT_DISTINCT] = "mur_approx_count_distinct",
	};
	mur_buf_printf(e->b, "%s(", names[x->agg]);
	if (x->agg == SQL_AGG_COUNT_STAR)
		mur_buf_put_u8(e->b, '*');
	else {
		if (x->distinct)
			mur_buf_printf(e->b, "DISTINCT ");
		sql_emit_expr(e, x->args[0]);
	}
	mur_buf_put_u8(e->b, ')');
}

/* x [NOT] IN (...): the values are args[1..], or, for a list of integer
 * literals (analyze_expr.c in_int_list), val holds their text, copied as
 * it is. */
static void emit_in(sql_emit *e, const sql_expr *x)
{
	mur_buf_put_u8(e->b, '(');
	sql_emit_expr(e, x->args[0]);
	mur_buf_printf(e->b, x->negate ? " NOT IN (" : " IN (");
	if (x->val.kind == MV_TEXT)
		mur_buf_put(e->b, x->val.s, x->val.len);
	else
		emit_args(e, x, 1, ", ");
	mur_buf_printf(e->b, "))");
}

void sql_emit_expr(sql_emit *e, const sql_expr *x)
{
	switch (x->kind) {
	case SE_CONST: sql_emit_value(e->b, &x->val); break;
	case SE_PARAM: mur_buf_printf(e->b, "?%d", x->param); break;
	case SE_COLUMN: emit_column(e, x); break;
	case SE_RAW: mur_buf_printf(e->b, "(%s)", x->op); break;
	case SE_SLOT: mur_buf_printf(e->b, "c%d", x->slot); break;
	case SE_OP: emit_op(e, x); break;
	case SE_BOOL:
		mur_buf_put_u8(e->b, '(');
		emit_args(e, x, 0, strcmp(x->op, "AND") ? " OR " : " AND ");
		mur_buf_put_u8(e->b, ')');
		break;
	case SE_CALL:
		mur_buf_printf(e->b, "%s(", x->op);
		emit_args(e, x, 0, ", ");
		mur_buf_put_u8(e->b, ')');
		break;
	case SE_CASE: emit_case(e, x); break;
	case SE_IN: emit_in(e, x); break;
	case SE_BETWEEN:
		mur_buf_put_u8(e->b, '(');
		sql_emit_expr(e, x->args[0]);
		mur_buf_printf(e->b, x->negate ? " NOT BETWEEN " : " BETWEEN ");
		sql_emit_expr(e, x->args[1]);
		mur_buf_printf(e->b, " AND ");
		sql_emit_expr(e, x->args[2]);
		mur_buf_put_u8(e->b, ')');
		break;
	case SE_AGG: emit_agg(e, x); break;
	}
}

int sql_rte_slot(const sql_query *q, int i)
{
	return i == q->driver ? 0 : i == 0 ? q->driver : i;
}

static void emit_table(sql_emit *e, const sql_query *q, int i)
{
	const sql_rte *r = &q->rtes[i];
	int slot = sql_rte_slot(q, i);
	if (r->table->kind == CAT_TABLE_VIRTUAL) {
		char name[CAT_NAME_MAX + 8];
		snprintf(name, sizeof name, "murphy_%s", r->table->name);
		mur_buf_printf(e->b, "main.");
		sql_emit_ident(e->b, name);
	} else {
		if (slot == 0)
			mur_buf_printf(e->b, "main.");
		else
			mur_buf_printf(e->b, "m%d.", slot);
		sql_emit_ident(e->b, r->table->name);
	}
	mur_buf_printf(e->b, " AS ");
	sql_emit_ident(e->b, r->alias);
}

void sql_emit_from(sql_emit *e, const sql_query *q)
{
	if (q->nrte == 0)
		return;
	mur_buf_printf(e->b, " FROM ");
	for (int i = 0; i < q->nrte; i++) {
		const sql_rte *r = &q->rtes[i];
		if (i > 0)
			mur_buf_printf(e->b, r->on ? (r->join_left ? " LEFT JOIN " : " JOIN ") : ", ");
		emit_table(e, q, i);
		if (i > 0 && r->on) {
			mur_buf_printf(e->b, " ON ");
			sql_emit_expr(e, r->on);
		}
	}
}

void sql_emit_sort(sql_emit *e, const sql_expr *x, int desc, int nulls_first)
{
	sql_emit_expr(e, x);
	mur_buf_printf(e->b, "%s%s", desc ? " DESC" : " ASC",
		       nulls_first ? " NULLS FIRST" : " NULLS LAST");
}

const char *sql_buf_finish(sql_ctx *c, mur_buf *b)
{
	char *s;
	if (!mur_buf_ok(b)) {
		mur_buf_free(b);
		sql_err_oom(c);
		return NULL;
	}
	s = sql_arena_strndup(c->arena, b->data ? b->data : "", b->len);
	mur_buf_free(b);
	if (!s)
		sql_err_oom(c);
	return s;
}
