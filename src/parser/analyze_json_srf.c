/*
 * analyze_json_srf.c — the json and jsonb set-returning functions, in FROM
 * and alone in the select list of a SELECT without FROM, the way
 * analyze_srf.c has generate_series (whose mechanism they share):
 *
 *   json[b]_each(d)               key text, value json[b]   (an object)
 *   json[b]_each_text(d)          key text, value text
 *   json[b]_array_elements(d)     value json[b]             (an array)
 *   json[b]_array_elements_text   value text
 *   json[b]_object_keys(d)        one text column, named by the alias or
 *                                 the function, as PostgreSQL names it
 *
 * Each is a leader table (CAT_TABLE_VIRTUAL) whose rte carries the call
 * (sql_rte.series: an SE_CALL whose op is the function's name, args[0]
 * the document as json or jsonb); sql/emit_json_srf.c writes it over
 * SQLite's json_each.  Column aliases (e(k, v)) rename the columns; WITH
 * ORDINALITY adds a last bigint column "ordinality" counting from 1.
 *
 * Refused (0A000): an argument that reads a table's column (LATERAL: the
 * function over each row of a distributed table), joins with distributed
 * tables (analyze_select.c), and json[b]_each(_text) in a select list
 * (PostgreSQL's record column).
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

static int reads_columns(const sql_expr *e)
{
	if (e->kind == SE_COLUMN || e->kind == SE_AGG || e->kind == SE_WINDOW)
		return 1;
	for (int i = 0; i < e->nargs; i++)
		if (reads_columns(e->args[i]))
			return 1;
	return 0;
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
	if (reads_columns(d)) {
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
	t->kind = CAT_TABLE_VIRTUAL;
	t->dist_col = -1;
	snprintf(t->name, sizeof t->name, "%s", s->name);
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
