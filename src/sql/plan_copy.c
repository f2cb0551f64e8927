/*
 * plan_copy.c — COPY t [(cols)] FROM STDIN [WITH (...)] → plan_copy.
 *
 * Options follow PostgreSQL: FORMAT text|csv|binary, DELIMITER, NULL, HEADER,
 * QUOTE, and the pre-9.0 spelling `WITH CSV HEADER` (libpg_query turns it
 * into the same DefElems).  Text format defaults: tab, \N; CSV: comma, the
 * empty string, double quote.  Columns not listed are left to the
 * executor, which fills cat_column.default_sql or NULL as INSERT does
 * (evaluated once per COPY), and a sequence's nextval per row for a
 * SERIAL / IDENTITY column (plan_copy.fill_seq).
 * FORMAT binary reaches the executor as text: pgwire decodes the binary
 * tuples into text-format lines (pgwire/pgw_binary.h), so the plan keeps
 * the text defaults and refuses the options binary has none of (42601,
 * as PostgreSQL does).
 * COPY TO STDOUT plans its rows as a SELECT (plan_copy.query): the
 * table's columns (SELECT t.c, ... FROM t), or the query given; ESCAPE and
 * FORCE_QUOTE apply to it (CSV).  COPY to or from a file or a program on
 * the server are not supported (0A000).  COPY TO in FORMAT binary
 * writes PostgreSQL's PGCOPY tuples (pgwire/pgw_copy_out.c).
 * FREEZE (pgbench -i asks for it) is accepted and changes nothing: it
 * writes PostgreSQL rows with their transaction ids already frozen, and
 * murphy's rows carry no transaction ids (docs/decisions.md).
 */
#include "sql/sqlInt.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

static const char *defelem_str(PgQuery__DefElem *d)
{
	if (!d->arg)
		return NULL;
	switch (d->arg->node_case) {
	case PG_QUERY__NODE__NODE_STRING:
		return d->arg->string->sval;
	case PG_QUERY__NODE__NODE_BOOLEAN:
		return d->arg->boolean->boolval ? "true" : "false";
	case PG_QUERY__NODE__NODE_INTEGER:
		return d->arg->integer->ival ? "true" : "false";
	default:
		return "";
	}
}

static int is_true(const char *v)
{
	return !v || !strcasecmp(v, "true") || !strcasecmp(v, "on") || !strcmp(v, "1") ||
	       !strcasecmp(v, "match");
}

static int one_char(sql_ctx *c, PgQuery__DefElem *d, char *out)
{
	const char *v = defelem_str(d);
	if (!v || strlen(v) != 1)
		return sql_err(c, SQLSTATE_FEATURE_NOT_SUPPORTED, d->location,
			       "COPY %s must be a single one-byte character", d->defname);
	*out = v[0];
	return MUR_OK;
}

static int copy_option(sql_ctx *c, PgQuery__DefElem *d, plan_copy *pc, int *null_set,
		       int *delim_set, PgQuery__DefElem **force)
{
	const char *name = d->defname, *v = defelem_str(d);
	if (!strcmp(name, "format")) {
		if (v && !strcasecmp(v, "csv"))
			pc->csv = 1;
		else if (v && !strcasecmp(v, "binary"))
			pc->binary = 1;
		else if (!v || strcasecmp(v, "text"))
			return sql_err(c, SQLSTATE_FEATURE_NOT_SUPPORTED, d->location,
				       "murphy does not support COPY format \"%s\" yet",
				       v ? v : "");
		return MUR_OK;
	}
	if (!strcmp(name, "delimiter")) {
		*delim_set = 1;
		return one_char(c, d, &pc->delimiter);
	}
	if (!strcmp(name, "quote"))
		return one_char(c, d, &pc->quote);
	if (!strcmp(name, "header")) {
		pc->header = is_true(v);
		return MUR_OK;
	}
	if (!strcmp(name, "null")) {
		if (!v || strlen(v) >= sizeof pc->null_string)
			return sql_err(c, SQLSTATE_FEATURE_NOT_SUPPORTED, d->location,
				       "COPY null representation is too long");
		snprintf(pc->null_string, sizeof pc->null_string, "%s", v);
		*null_set = 1;
		return MUR_OK;
	}
	if (!strcmp(name, "escape") && (pc->query || (v && !strcmp(v, "\""))))
		return one_char(c, d, &pc->escape);
	if (!strcmp(name, "force_quote") && pc->query) {
		*force = d;
		return MUR_OK;
	}
	if (!strcmp(name, "encoding") && v && (!strcasecmp(v, "utf8") || !strcasecmp(v, "utf-8")))
		return MUR_OK;
	if (!strcmp(name, "freeze")) /* file comment: nothing to freeze */
		return MUR_OK;
	return sql_err(c, SQLSTATE_FEATURE_NOT_SUPPORTED, d->location,
		       "murphy does not support COPY option \"%s\" yet", name);
}

static int copy_columns(sql_ctx *c, PgQuery__CopyStmt *s, plan_copy *pc)
{
	const cat_table *t = pc->table;
	pc->ncols = 0;
	if (!s->n_attlist) {
		for (int i = 0; i < t->ncols; i++)
			if (!t->cols[i].hidden)
				pc->cols[pc->ncols++] = i;
		return MUR_OK;
	}
	for (size_t i = 0; i < s->n_attlist; i++) {
		const char *name = s->attlist[i]->node_case == PG_QUERY__NODE__NODE_STRING
					   ? s->attlist[i]->string->sval
					   : "";
		int col = cat_column_index(t, name);
		if (col < 0)
			return sql_err(c, SQLSTATE_UNDEFINED_COLUMN, -1,
				       "column \"%s\" of relation \"%s\" does not exist", name,
				       t->name);
		for (int j = 0; j < pc->ncols; j++)
			if (pc->cols[j] == col)
				return sql_err(c, "42701", -1,
					       "column \"%s\" specified more than once", name);
		pc->cols[pc->ncols++] = col;
	}
	return MUR_OK;
}

/* Unlisted SERIAL / IDENTITY columns: a nextval per row (the leader's),
 * not the once-per-COPY default. */
static int copy_fill(sql_ctx *c, plan_copy *pc)
{
	int listed[CAT_COLUMNS_MAX] = {0};
	for (int f = 0; f < pc->ncols; f++)
		listed[pc->cols[f]] = 1;
	pc->fill_seq = sql_seq_fill(c, pc->table, listed);
	return mur_error_is_set(c->err) ? MUR_ERR : MUR_OK;
}

/* FORCE_QUOTE (col, ...) or *: the output columns of pc->query. */
static int copy_force_quote(sql_ctx *c, PgQuery__DefElem *d, plan_copy *pc)
{
	const plan *q = pc->query;
	PgQuery__List *l = d->arg && d->arg->node_case == PG_QUERY__NODE__NODE_LIST ? d->arg->list
										    : NULL;
	if (!pc->csv)
		return sql_err(c, SQLSTATE_FEATURE_NOT_SUPPORTED, d->location,
			       "COPY force quote available only in CSV mode");
	if (!(pc->force_quote = sql_alloc(c, (size_t)q->nout + 1)))
		return MUR_ERR;
	memset(pc->force_quote, !l, (size_t)q->nout + 1); /* no list: FORCE_QUOTE * */
	for (size_t i = 0; l && i < l->n_items; i++) {
		const char *name = l->items[i]->node_case == PG_QUERY__NODE__NODE_STRING
					   ? l->items[i]->string->sval
					   : "";
		int k = 0;
		while (k < q->nout && strcmp(q->out[k].name, name) != 0)
			k++;
		if (k == q->nout)
			return sql_err(c, SQLSTATE_INVALID_COLUMN_REFERENCE, d->location,
				       "FORCE_QUOTE column \"%s\" not referenced by COPY", name);
		pc->force_quote[k] = 1;
	}
	return MUR_OK;
}

/* The rows of COPY TO: the table's columns (as COPY FROM lists them) or
 * the query, planned as a SELECT. */
static int copy_to_query(sql_ctx *c, PgQuery__CopyStmt *s, plan_copy *pc)
{
	PgQuery__Node *query = s->query, *rvn;
	if (!(pc->query = sql_plan_new(c, PLAN_EMPTY, "")))
		return MUR_ERR;
	if (!query) {
		PgQuery__SelectStmt *sel = sql_alloc(c, sizeof *sel);
		const char *rel = s->relation->relname;
		if (!(pc->table = sql_lookup_table_for(c, s->relation, CAT_PRIV_SELECT)) ||
		    copy_columns(c, s, pc) != MUR_OK || !sel ||
		    !(query = sql_alloc(c, sizeof *query)) || !(rvn = sql_alloc(c, sizeof *rvn)))
			return MUR_ERR;
		pg_query__select_stmt__init(sel);
		pg_query__node__init(query);
		pg_query__node__init(rvn);
		sel->target_list = sql_alloc(c, sizeof(PgQuery__Node *) * (size_t)(pc->ncols + 1));
		if (!sel->target_list)
			return MUR_ERR;
		rvn->node_case = PG_QUERY__NODE__NODE_RANGE_VAR;
		rvn->range_var = s->relation;
		for (int i = 0; i < pc->ncols; i++)
			if (!(sel->target_list[i] =
				      sql_col_target(c, rel, pc->table->cols[pc->cols[i]].name)))
				return MUR_ERR;
		sel->n_target_list = (size_t)pc->ncols;
		sel->from_clause = sql_alloc(c, sizeof(PgQuery__Node *));
		if (!sel->from_clause)
			return MUR_ERR;
		sel->from_clause[0] = rvn;
		sel->n_from_clause = 1;
		sel->limit_option = PG_QUERY__LIMIT_OPTION__LIMIT_OPTION_DEFAULT;
		sel->op = PG_QUERY__SET_OPERATION__SETOP_NONE;
		query->node_case = PG_QUERY__NODE__NODE_SELECT_STMT;
		query->select_stmt = sel;
	}
	if (sql_plan_statement(c, query, pc->query) != MUR_OK)
		return MUR_ERR;
	if (pc->query->kind != PLAN_SELECT && pc->query->kind != PLAN_LEADER_SELECT)
		return sql_err(c, SQLSTATE_FEATURE_NOT_SUPPORTED, -1,
			       "murphy supports COPY (query) TO only for a SELECT");
	return MUR_OK;
}

static int plan_copy_to(sql_ctx *c, PgQuery__CopyStmt *s, plan *p)
{
	plan_copy *pc = &p->u.copy;
	int null_set = 0, delim_set = 0;
	PgQuery__DefElem *force = NULL;
	p->kind = PLAN_COPY_TO;
	if (s->is_program || (s->filename && *s->filename)) {
		sql_err(c, SQLSTATE_FEATURE_NOT_SUPPORTED, -1,
			"murphy does not support COPY to a file or program on the server");
		mur_error_hint(c->err, "Use COPY ... TO STDOUT, or psql's \\copy, which writes "
				       "a file on the client.");
		return MUR_ERR;
	}
	if (s->where_clause)
		return sql_err(c, SQLSTATE_FEATURE_NOT_SUPPORTED, -1,
			       "WHERE clause not allowed with COPY TO");
	if (copy_to_query(c, s, pc) != MUR_OK)
		return MUR_ERR;
	pc->quote = '"';
	pc->escape = 0;
	for (size_t i = 0; i < s->n_options; i++)
		if (copy_option(c, s->options[i]->def_elem, pc, &null_set, &delim_set, &force) !=
		    MUR_OK)
			return MUR_ERR;
	if (pc->binary && (pc->csv || delim_set || null_set || pc->header || force))
		return sql_err(c, SQLSTATE_SYNTAX_ERROR, -1, "cannot specify %s in BINARY mode",
			       pc->csv     ? "FORMAT csv"
			       : delim_set ? "DELIMITER"
			       : null_set  ? "NULL"
			       : force     ? "FORCE_QUOTE"
					   : "HEADER");
	if (!delim_set)
		pc->delimiter = pc->csv ? ',' : '\t';
	if (!pc->escape)
		pc->escape = pc->quote;
	if (!null_set)
		snprintf(pc->null_string, sizeof pc->null_string, "%s", pc->csv ? "" : "\\N");
	return force ? copy_force_quote(c, force, pc) : MUR_OK;
}

int sql_plan_copy(sql_ctx *c, PgQuery__CopyStmt *s, plan *p)
{
	plan_copy *pc = &p->u.copy;
	int null_set = 0, delim_set = 0;
	PgQuery__DefElem *force = NULL;
	mur_buf b;
	p->kind = PLAN_COPY_FROM;
	p->tag = "COPY";
	if (!s->is_from)
		return plan_copy_to(c, s, p);
	if (!s->relation)
		return sql_err(c, SQLSTATE_SYNTAX_ERROR, -1, "COPY FROM needs a table");
	if (s->is_program || (s->filename && *s->filename))
		return sql_err(c, SQLSTATE_FEATURE_NOT_SUPPORTED, -1,
			       "murphy supports only COPY ... FROM STDIN");
	if (s->where_clause)
		return sql_err(c, SQLSTATE_FEATURE_NOT_SUPPORTED, -1,
			       "murphy does not support COPY ... WHERE yet");
	if (!(pc->table = sql_lookup_table_for(c, s->relation, CAT_PRIV_INSERT)))
		return MUR_ERR;
	if (pc->table->kind == CAT_TABLE_VIRTUAL)
		return sql_err(c, SQLSTATE_FEATURE_NOT_SUPPORTED, s->relation->location,
			       "cannot copy into murphy.%s: it is a read-only catalog view",
			       pc->table->name);
	if (sql_fkey_copy(c, pc->table) != MUR_OK)
		return MUR_ERR;
	pc->quote = '"';
	for (size_t i = 0; i < s->n_options; i++)
		if (copy_option(c, s->options[i]->def_elem, pc, &null_set, &delim_set, &force) !=
		    MUR_OK)
			return MUR_ERR;
	if (pc->binary && (pc->csv || delim_set || null_set || pc->header))
		return sql_err(c, SQLSTATE_SYNTAX_ERROR, -1, "cannot specify %s in BINARY mode",
			       pc->csv     ? "FORMAT csv"
			       : delim_set ? "DELIMITER"
			       : null_set  ? "NULL"
					   : "HEADER");
	if (!delim_set)
		pc->delimiter = pc->csv ? ',' : '\t';
	if (!null_set)
		snprintf(pc->null_string, sizeof pc->null_string, "%s", pc->csv ? "" : "\\N");
	if (copy_columns(c, s, pc) != MUR_OK || copy_fill(c, pc) != MUR_OK)
		return MUR_ERR;
	mur_buf_init(&b);
	sql_insert_shard_sql(pc->table, NULL, &b);
	sql_failing_row_tag(pc->table, &b);
	return (pc->shard_sql = sql_buf_finish(c, &b)) ? MUR_OK : MUR_ERR;
}
