/*
 * analyze_json_srf.c — the json and jsonb set-returning functions, in FROM
 * and alone in the select list of a SELECT without FROM, the way
 * analyze_srf.c has generate_series (whose mechanism they share):
 *
 *   json[b]_each(d)               key text, value json[b]   (an object)
 *   json[b]_each_text(d)          key text, value text
 *   json[b]_array_elements(d)     value json[b]             (an array)
 *   json[b]_array_elements_text   value text (the alias alone reads the value,
 *                                 as PostgreSQL's whole row of one column)
 *   json[b]_object_keys(d)        one text column, named by the alias or
 *                                 the function, as PostgreSQL names it
 *
 * Each is a leader table (CAT_TABLE_VIRTUAL) whose rte carries the call
 * (sql_rte.series: an SE_CALL whose op is the function's name, args[0]
 * the document as json or jsonb); sql/emit_json_srf.c writes it over
 * SQLite's json_each.  Column aliases (e(k, v)) rename the columns; WITH
 * ORDINALITY adds a last bigint column "ordinality" counting from 1.
 *
 * Over a column of a distributed table (FROM t, jsonb_each(t.doc) e:
 * PostgreSQL's implicit LATERAL; regexp_matches and regexp_split_to_table
 * likewise, analyze_regex_srf.c), analyze_select.c reads every table of
 * that FROM as a gathered (SELECT * FROM t) (sql_json_srf_lateral,
 * sql_from_gathered_table), so the query runs on the leader, where the
 * function reads the gathered column (sql/emit_json_srf.c puts json_each
 * itself in FROM).  Over a constant beside distributed tables it is
 * computed on every shard (analyze_srf.c).  Refused (0A000): an argument
 * reading a distributed table's column any other way, WITH ORDINALITY
 * over a column, and json[b]_each(_text) in a select list (a record
 * column).
 */
#include "parser/analyze_subq_int.h"

#include <stdio.h>
#include <string.h>

typedef struct json_srf {
	const char *name;
	int two_cols;  /* key, value */
	int as_text;   /* value is text */
	int keys_only; /* object_keys */
	mur_type doc;  /* MT_JSON or MT_JSONB */
} json_srf;

static const json_srf srfs[] = {
	{"jsonb_each", 1, 0, 0, MT_JSONB},
	{"jsonb_each_text", 1, 1, 0, MT_JSONB},
	{"jsonb_array_elements", 0, 0, 0, MT_JSONB},
	{"jsonb_array_elements_text", 0, 1, 0, MT_JSONB},
	{"jsonb_object_keys", 0, 1, 1, MT_JSONB},
	{"json_each", 1, 0, 0, MT_JSON},
	{"json_each_text", 1, 1, 0, MT_JSON},
	{"json_array_elements", 0, 0, 0, MT_JSON},
	{"json_array_elements_text", 0, 1, 0, MT_JSON},
	{"json_object_keys", 0, 1, 1, MT_JSON},
};

static const json_srf *srf_of(const char *name)
{
	for (size_t i = 0; i < sizeof srfs / sizeof srfs[0]; i++)
		if (!strcmp(srfs[i].name, name))
			return &srfs[i];
	return NULL;
}

int sql_json_srf_is(const char *name) { return srf_of(name) != NULL; }

/* Does e read a distributed table's column (or an aggregate)?  Columns of
 * leader tables (gathered rows) are read where the query runs. */
static int reads_columns(const sql_ctx *c, const sql_expr *e)
{
	if (e->kind == SE_COLUMN)
		return !c->q || e->rte < 0 || e->rte >= c->q->nrte ||
		       c->q->rtes[e->rte].table->kind != CAT_TABLE_VIRTUAL;
	if (e->kind == SE_AGG || e->kind == SE_WINDOW)
		return 1;
	for (int i = 0; i < e->nargs; i++)
		if (reads_columns(c, e->args[i]))
			return 1;
	return 0;
}

static int any_column(const sql_expr *e)
{
	if (e->kind == SE_COLUMN)
		return 1;
	for (int i = 0; i < e->nargs; i++)
		if (any_column(e->args[i]))
			return 1;
	return 0;
}

static int has_column_ref(const PgQuery__Node *n)
{
	if (!n)
		return 0;
	switch (n->node_case) {
	case PG_QUERY__NODE__NODE_COLUMN_REF:
		return 1;
	case PG_QUERY__NODE__NODE_TYPE_CAST:
		return has_column_ref(n->type_cast->arg);
	case PG_QUERY__NODE__NODE_A_EXPR:
		return has_column_ref(n->a_expr->lexpr) || has_column_ref(n->a_expr->rexpr);
	case PG_QUERY__NODE__NODE_FUNC_CALL:
		for (size_t i = 0; i < n->func_call->n_args; i++)
			if (has_column_ref(n->func_call->args[i]))
				return 1;
		return 0;
	default:
		return 0;
	}
}

static int lateral_item(const PgQuery__Node *n)
{
	const PgQuery__RangeFunction *rf;
	const PgQuery__Node *item;
	if (n->node_case == PG_QUERY__NODE__NODE_JOIN_EXPR)
		return lateral_item(n->join_expr->larg) || lateral_item(n->join_expr->rarg);
	if (n->node_case != PG_QUERY__NODE__NODE_RANGE_FUNCTION)
		return 0;
	rf = n->range_function;
	if (rf->n_functions != 1)
		return 0;
	item = rf->functions[0];
	if (item->node_case == PG_QUERY__NODE__NODE_LIST && item->list->n_items > 0)
		item = item->list->items[0];
	if (item->node_case != PG_QUERY__NODE__NODE_FUNC_CALL || item->func_call->n_funcname != 1 ||
	    (!sql_json_srf_is(sql_node_str(item->func_call->funcname[0])) &&
	     !sql_regex_srf_is(sql_node_str(item->func_call->funcname[0]))))
		return 0;
	for (size_t i = 0; i < item->func_call->n_args; i++)
		if (has_column_ref(item->func_call->args[i]))
			return 1;
	return 0;
}

int sql_json_srf_lateral(const PgQuery__SelectStmt *s)
{
	for (size_t i = 0; i < s->n_from_clause; i++)
		if (lateral_item(s->from_clause[i]))
			return 1;
	return 0;
}

static PgQuery__Node *new_node(sql_ctx *c, PgQuery__Node__NodeCase kind)
{
	PgQuery__Node *n = sql_alloc(c, sizeof *n);
	if (!n)
		return NULL;
	pg_query__node__init(n);
	n->node_case = kind;
	return n;
}

int sql_from_gathered_table(sql_ctx *c, sql_query *q, PgQuery__Node *n)
{
	PgQuery__RangeVar *rv = n->range_var;
	PgQuery__SelectStmt *sel = sql_alloc(c, sizeof *sel);
	PgQuery__RangeSubselect *rs = sql_alloc(c, sizeof *rs);
	PgQuery__ResTarget *rt = sql_alloc(c, sizeof *rt);
	PgQuery__ColumnRef *cr = sql_alloc(c, sizeof *cr);
	PgQuery__AStar *star = sql_alloc(c, sizeof *star);
	PgQuery__Alias *alias = sql_alloc(c, sizeof *alias);
	PgQuery__Node **tl = sql_alloc(c, sizeof *tl), **from = sql_alloc(c, sizeof *from),
		      **fields = sql_alloc(c, sizeof *fields);
	PgQuery__Node *seln = new_node(c, PG_QUERY__NODE__NODE_SELECT_STMT),
		      *rtn = new_node(c, PG_QUERY__NODE__NODE_RES_TARGET),
		      *crn = new_node(c, PG_QUERY__NODE__NODE_COLUMN_REF),
		      *starn = new_node(c, PG_QUERY__NODE__NODE_A_STAR);
	if (!sel || !rs || !rt || !cr || !star || !alias || !tl || !from || !fields || !seln ||
	    !rtn || !crn || !starn)
		return sql_err_oom(c);
	pg_query__select_stmt__init(sel);
	pg_query__range_subselect__init(rs);
	pg_query__res_target__init(rt);
	pg_query__column_ref__init(cr);
	pg_query__a__star__init(star);
	pg_query__alias__init(alias);
	starn->a_star = star;
	fields[0] = starn;
	cr->fields = fields;
	cr->n_fields = 1;
	cr->location = -1;
	crn->column_ref = cr;
	rt->val = crn;
	rt->location = -1;
	rtn->res_target = rt;
	tl[0] = rtn;
	from[0] = n;
	sel->op = PG_QUERY__SET_OPERATION__SETOP_NONE;
	sel->limit_option = PG_QUERY__LIMIT_OPTION__LIMIT_OPTION_DEFAULT;
	sel->target_list = tl;
	sel->n_target_list = 1;
	sel->from_clause = from;
	sel->n_from_clause = 1;
	seln->select_stmt = sel;
	alias->aliasname = rv->alias && rv->alias->aliasname ? rv->alias->aliasname : rv->relname;
	sel->where_clause = sql_gather_where(c, alias->aliasname); /* analyze_gather_where.c */
	rs->subquery = seln;
	rs->alias = alias;
	c->gather_tables--; /* the subquery's own FROM t is the table */
	int rc = sql_analyze_from_subselect(c, q, rs);
	c->gather_tables++;
	return rc;
}

/* The call (op = the function's name) with its document, typed. */
static sql_expr *srf_call(sql_ctx *c, const json_srf *s, PgQuery__FuncCall *f)
{
	sql_expr *d;
	if (f->agg_star || f->agg_distinct || f->over || f->n_agg_order || f->agg_filter)
		return sql_err(c, SQLSTATE_FEATURE_NOT_SUPPORTED, f->location,
			       "murphy does not support this call of %s yet", s->name),
		       NULL;
	if (f->n_args != 1 || !(d = sql_analyze_expr(c, f->args[0])))
		return f->n_args != 1 ? (sql_err(c, SQLSTATE_UNDEFINED_FUNCTION, f->location,
						 "function %s with %d arguments does not exist",
						 s->name, (int)f->n_args),
					 NULL)
				      : NULL;
	if (d->type == MT_UNKNOWN && !(d = sql_coerce(c, d, s->doc, NULL)))
		return NULL;
	if (d->type != s->doc)
		return sql_err(c, SQLSTATE_UNDEFINED_FUNCTION, f->location,
			       "function %s(%s) does not exist", s->name, mur_type_name(d->type)),
		       NULL;
	if (reads_columns(c, d)) {
		sql_err(c, SQLSTATE_FEATURE_NOT_SUPPORTED, d->loc,
			"murphy does not support %s over a table's column (LATERAL) yet", s->name);
		mur_error_hint(c->err, "Give it a constant or a parameter, or read the document "
				       "with -> and ->> per row.");
		return NULL;
	}
	return sql_make_call(c, s->name, s->doc, f->location, 1, d);
}

static void name_col(cat_table *t, int i, const char *name, mur_type type)
{
	snprintf(t->cols[i].name, sizeof t->cols[i].name, "%s", name);
	t->cols[i].type = type;
	t->cols[i].typmod = -1;
}

int sql_json_srf_add(sql_ctx *c, sql_query *q, PgQuery__FuncCall *f, const PgQuery__Alias *alias,
		     int flags)
{
	int in_select = flags & SQL_JSON_SRF_IN_SELECT, ord = !!(flags & SQL_JSON_SRF_ORDINALITY);
	const json_srf *s = srf_of(sql_node_str(f->funcname[f->n_funcname - 1]));
	const char *name = alias && alias->aliasname && *alias->aliasname ? alias->aliasname
									  : s->name;
	cat_table *t = sql_alloc(c, sizeof *t);
	sql_expr *call;
	int save_ok = c->agg_ok, nout = s->two_cols ? 2 : 1, ncols = nout + ord;
	const char *save_where = c->agg_where;
	if (!t)
		return MUR_ERR;
	if (in_select && s->two_cols)
		return sql_err(c, SQLSTATE_FEATURE_NOT_SUPPORTED, f->location,
			       "murphy does not support %s in a select list yet (a record "
			       "column)",
			       s->name);
	if (alias && alias->n_colnames > (size_t)ncols)
		return sql_err(c, "42601", f->location,
			       "too many column aliases specified for function %s", s->name);
	c->agg_ok = 0;
	c->agg_where = "functions in FROM";
	call = srf_call(c, s, f);
	c->agg_ok = save_ok;
	c->agg_where = save_where;
	if (!call)
		return MUR_ERR;
	if (ord && any_column(call->args[0]))
		return sql_err(c, SQLSTATE_FEATURE_NOT_SUPPORTED, f->location,
			       "murphy does not support WITH ORDINALITY of %s over a column yet",
			       s->name);
	t->kind = CAT_TABLE_VIRTUAL;
	t->dist_col = -1;
	snprintf(t->name, sizeof t->name, "%s", s->name);
	t->distribution = CAT_DIST_REFERENCE; /* beside a distributed table: on every shard */
	t->ncols = ncols;
	if (s->two_cols)
		name_col(t, 0, "key", MT_TEXT);
	name_col(t, nout - 1, s->keys_only ? name : "value", s->as_text ? MT_TEXT : s->doc);
	if (ord)
		name_col(t, nout, "ordinality", MT_INT8);
	for (size_t i = 0; alias && i < alias->n_colnames; i++)
		name_col(t, (int)i, sql_node_str(alias->colnames[i]), t->cols[i].type);
	if (sql_add_rte(c, q, t, name, f->location) != MUR_OK)
		return MUR_ERR;
	q->rtes[q->nrte - 1].series = call;
	return MUR_OK;
}

/* SELECT id, jsonb_array_elements(doc) FROM t: the unnest mechanism
 * (analyze_unnest.c): q->unnest is the document, sql/emit.c joins
 * json_each(mur_json_srf_arg(doc, fn)) AS mur_u after FROM (so the query
 * still runs on the shards, each expanding its own rows), and the column
 * reads element mur_u.key of the document (a key for object_keys). */
sql_expr *sql_json_srf_target(sql_ctx *c, PgQuery__FuncCall *f)
{
	const json_srf *s = srf_of(sql_node_str(f->funcname[f->n_funcname - 1]));
	sql_expr *d, *key, *flag, *rows;
	if (s->two_cols)
		return sql_err(c, SQLSTATE_FEATURE_NOT_SUPPORTED, f->location,
			       "murphy does not support %s in a select list yet (a record "
			       "column)",
			       s->name),
		       NULL;
	if (f->agg_star || f->agg_distinct || f->over || f->n_agg_order || f->agg_filter ||
	    f->n_args != 1)
		return sql_err(c, SQLSTATE_FEATURE_NOT_SUPPORTED, f->location,
			       "murphy does not support this call of %s yet", s->name),
		       NULL;
	if (!(d = sql_analyze_expr(c, f->args[0])) ||
	    (d->type == MT_UNKNOWN && !(d = sql_coerce(c, d, s->doc, NULL))))
		return NULL;
	if (d->type != s->doc)
		return sql_err(c, SQLSTATE_UNDEFINED_FUNCTION, f->location,
			       "function %s(%s) does not exist", s->name, mur_type_name(d->type)),
		       NULL;
	if (!(key = sql_expr_new(c, SE_RAW, MT_TEXT, f->location)))
		return NULL;
	key->op = SQL_UNNEST_ALIAS ".key";
	if (!c->q->unnest) {
		c->q->unnest = d;
		c->q->unnest_fn = s->name;
	}
	rows = sql_make_call(c, "mur_json_srf_arg", MT_TEXT, f->location, 2, d,
			     sql_make_const_text(c, s->name));
	if (!rows || sql_srf_note(c, rows, key, 1, s->keys_only) != MUR_OK) /* analyze_srf_list.c */
		return NULL;
	if (s->keys_only)
		return key;
	if (!(flag = sql_make_const_int(c, s->as_text, MT_INT4)))
		return NULL;
	return sql_make_call(c, "mur_json_get", s->as_text ? MT_TEXT : s->doc, f->location, 3, d,
			     key, flag);
}
