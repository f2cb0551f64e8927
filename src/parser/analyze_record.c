/*
 * analyze_record.c — a whole-row reference as a value: `SELECT t FROM t`,
 * `SELECT (SELECT t) FROM t` (a FROM item's name standing for its row).
 *
 * PostgreSQL answers such a column with the row in record_out's text form,
 * "(1,xyzzy,)".  murphy writes it as storage/sqlfn_record.c's
 *
 *   mur_record_out(kinds, v1, ..., vn)
 *
 * over the item's visible columns (a table's, a gathered subquery's or
 * WITH query's, a merged view's select list), each in its output form: a
 * boolean raw (kind 'b': t / f as boolout writes it, where bool::text says
 * true / false), text types raw (char(n) keeps its padding, as bpcharout
 * does), every other type cast to text (its output function).  The call is
 * an ordinary expression, so it runs where its columns are: on the
 * followers beside the scan for a table, on the leader for gathered rows.
 *
 * As a record, only where the value is the answer itself: a select-list
 * item of the statement's own SELECT (c->record_top) that is the bare
 * name, or (SELECT name) of such an item without FROM, nested too
 * (sql_record_mark chooses the one ColumnRef; the target is marked
 * sql_target.record).  Such a query may not order, group or be DISTINCT
 * by it (sql_record_check); anywhere else (compared, IS NULL, passed to
 * a function, in a subquery, WITH query or set operation) it stays 0A000:
 * a record compares field by field by type, IS NULL tests every field,
 * which its text would not.  The column's type is reported as text, not
 * record.  t::text and (t.*)::text (sql_record_cast_text) are that text
 * as PostgreSQL's too, so they are plain text values anywhere.
 *
 * Inside to_json, to_jsonb, row_to_json, json_agg, jsonb_agg a row is
 * json instead (sql_record_json): a table's by analyze_json.c's
 * sql_json_row, a merged subquery's or join alias's over its select list.
 */
#include "parser/analyze_subq_int.h"

#include <string.h>

#define RECORD_FIELDS_MAX CAT_COLUMNS_MAX

static PgQuery__ColumnRef *bare_ref(PgQuery__Node *n)
{
	if (!n || n->node_case != PG_QUERY__NODE__NODE_COLUMN_REF || n->column_ref->n_fields != 1 ||
	    n->column_ref->fields[0]->node_case != PG_QUERY__NODE__NODE_STRING)
		return NULL;
	return n->column_ref;
}

/* The ColumnRef of a select-list item val that may stand for a row: val
 * itself when a bare name, the one item of (SELECT name) without FROM
 * (nested too); else NULL. */
const PgQuery__ColumnRef *sql_record_mark(PgQuery__Node *val)
{
	PgQuery__ColumnRef *r = bare_ref(val);
	PgQuery__SelectStmt *s;
	if (r || !val || val->node_case != PG_QUERY__NODE__NODE_SUB_LINK)
		return r;
	if (val->sub_link->sub_link_type != PG_QUERY__SUB_LINK_TYPE__EXPR_SUBLINK ||
	    !val->sub_link->subselect ||
	    val->sub_link->subselect->node_case != PG_QUERY__NODE__NODE_SELECT_STMT)
		return NULL;
	s = val->sub_link->subselect->select_stmt;
	if (s->n_from_clause || s->n_target_list != 1 || s->where_clause || s->n_group_clause ||
	    s->having_clause || s->n_values_lists || s->op != PG_QUERY__SET_OPERATION__SETOP_NONE)
		return NULL;
	return sql_record_mark(s->target_list[0]->res_target->val); /* (SELECT (SELECT t)) */
}

/* One field in its output form and its kind letter. */
static sql_expr *field(sql_ctx *c, sql_expr *e, char *kind, int loc)
{
	switch (e->type) {
	case MT_BOOL:
		*kind = 'b';
		return e;
	case MT_TEXT:
	case MT_VARCHAR:
	case MT_BPCHAR:
	case MT_JSON:
	case MT_JSONB:
		*kind = 't';
		return e;
	case MT_UNKNOWN:
		*kind = 't';
		return sql_resolve_unknown(c, e);
	default:
		*kind = 't';
		return sql_make_cast(c, e, MT_TEXT, loc);
	}
}

static sql_expr *record_call(sql_ctx *c, sql_expr **f, int n, int loc)
{
	sql_expr **v = sql_alloc(c, sizeof(sql_expr *) * (size_t)(n + 1));
	char *kinds = sql_alloc(c, (size_t)n + 1);
	sql_expr *e;
	if (!v || !kinds)
		return NULL;
	for (int i = 0; i < n; i++)
		if (!(v[i + 1] = field(c, f[i], &kinds[i], loc)))
			return NULL;
	kinds[n] = 0;
	if (!(v[0] = sql_make_const_text(c, kinds)) ||
	    !(e = sql_expr_new(c, SE_CALL, MT_TEXT, loc)))
		return NULL;
	e->op = "mur_record_out";
	e->args = v;
	e->nargs = n + 1;
	return e;
}

/* The row of FROM item name of c->q as mur_record_out(...); NULL with
 * c->err untouched when name is no such item (or a join's alias). */
sql_expr *sql_record_row(sql_ctx *c, const char *name, int loc)
{
	sql_expr *f[RECORD_FIELDS_MAX];
	int n = 0, v;
	for (int r = 0; c->q && r < c->q->nrte; r++) {
		const cat_table *t = c->q->rtes[r].table;
		if (c->q->rtes[r].merged || strcmp(c->q->rtes[r].alias, name))
			continue;
		for (int i = 0; i < t->ncols && i < RECORD_FIELDS_MAX; i++) {
			sql_expr *col;
			if (t->cols[i].hidden)
				continue;
			if (!(col = sql_expr_new(c, SE_COLUMN, t->cols[i].type, loc)))
				return NULL;
			col->rte = r;
			col->col = i;
			col->typmod = t->cols[i].typmod;
			f[n++] = col;
		}
		return record_call(c, f, n, loc);
	}
	if (!c->q || (v = sql_view_find(c->q, name)) < 0 || c->q->views[v].join)
		return NULL;
	if (c->q->views[v].ncols > RECORD_FIELDS_MAX)
		return NULL;
	for (int k = 0; k < c->q->views[v].ncols; k++)
		f[n++] = c->q->views[v].cols[k].e;
	return record_call(c, f, n, loc);
}

/* Does e hold one of q's whole-row targets (the same expression)? */
static int has_record(const sql_query *q, const sql_expr *e)
{
	if (!e)
		return 0;
	for (int i = 0; i < q->ntarget; i++)
		if (q->targets[i].record && q->targets[i].e == e)
			return 1;
	for (int i = 0; i < e->nargs; i++)
		if (has_record(q, e->args[i]))
			return 1;
	return 0;
}

int sql_record_check(sql_ctx *c, const sql_query *q)
{
	const char *what = NULL;
	int any = 0, loc = -1;
	for (int i = 0; i < q->ntarget; i++)
		if (q->targets[i].record) {
			any = 1;
			loc = q->targets[i].loc;
		}
	if (!any)
		return MUR_OK;
	if (q->distinct)
		what = "DISTINCT";
	for (int i = 0; !what && i < q->nsort; i++)
		if ((q->sorts[i].target >= 0 && q->targets[q->sorts[i].target].record) ||
		    has_record(q, q->sorts[i].e))
			what = "ORDER BY";
	for (int i = 0; !what && i < q->ngroup; i++)
		if (has_record(q, q->group[i]))
			what = "GROUP BY";
	for (int i = 0; !what && i < q->ndistinct_on; i++)
		if (has_record(q, q->distinct_on[i]))
			what = "DISTINCT ON";
	if (!what)
		return MUR_OK;
	return sql_err(c, SQLSTATE_FEATURE_NOT_SUPPORTED, loc,
		       "murphy does not support %s over a whole-row value (a FROM item's row) "
		       "yet",
		       what);
}

sql_expr *sql_record_cast_text(sql_ctx *c, PgQuery__Node *arg, int *row)
{
	const PgQuery__ColumnRef *saved = c->row_text_ref;
	int hit = c->row_text_hit;
	sql_expr *e;
	c->row_text_ref = arg->column_ref;
	c->row_text_hit = 0;
	e = sql_analyze_expr(c, arg);
	*row = e && c->row_text_hit;
	c->row_text_ref = saved;
	c->row_text_hit = hit;
	return e;
}

/* ---- the row as json: to_json(t), row_to_json(t.*), json_agg(x) ---- */

sql_expr *sql_record_json(sql_ctx *c, const char *name, int loc)
{
	const char *names[RECORD_FIELDS_MAX];
	sql_expr *cols[RECORD_FIELDS_MAX];
	const sql_view *w;
	int v;
	for (int r = 0; c->q && r < c->q->nrte; r++)
		if (!c->q->rtes[r].merged && !strcmp(c->q->rtes[r].alias, name))
			return sql_json_row(c, r, loc);
	if (!c->q || (v = sql_view_find(c->q, name)) < 0 ||
	    c->q->views[v].ncols > RECORD_FIELDS_MAX)
		return NULL;
	w = &c->q->views[v];
	for (int k = 0; k < w->ncols; k++) {
		names[k] = w->cols[k].name;
		cols[k] = w->cols[k].e;
	}
	return sql_json_row_of(c, names, cols, w->ncols, loc);
}
