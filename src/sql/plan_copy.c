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
 * COPY TO and COPY FROM a file or program are not supported (0A000).
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
		       int *delim_set)
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
	if (!strcmp(name, "escape") && v && !strcmp(v, "\""))
		return MUR_OK;
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

int sql_plan_copy(sql_ctx *c, PgQuery__CopyStmt *s, plan *p)
{
	plan_copy *pc = &p->u.copy;
	int null_set = 0, delim_set = 0;
	mur_buf b;
	p->kind = PLAN_COPY_FROM;
	p->tag = "COPY";
	if (!s->relation || !s->is_from)
		return sql_err(c, SQLSTATE_FEATURE_NOT_SUPPORTED, -1,
			       "murphy does not support COPY ... TO yet");
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
	pc->quote = '"';
	for (size_t i = 0; i < s->n_options; i++)
		if (copy_option(c, s->options[i]->def_elem, pc, &null_set, &delim_set) != MUR_OK)
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
	return (pc->shard_sql = sql_buf_finish(c, &b)) ? MUR_OK : MUR_ERR;
}
