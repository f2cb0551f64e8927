/*
 * analyze_schema.c — which schema a relation name means.
 *
 * A name with a schema (s.t) means that schema; one without means the
 * first schema of the session's search_path holding a relation (table,
 * view or sequence) of that name, as PostgreSQL resolves it
 * (catalog/catalog_schema.c, cat_relation_schema; murphy's virtual tables
 * last).  CREATE without a schema puts the relation in the first schema
 * of the path that exists (3F000 when none); with one, that schema must
 * exist (3F000) and be a user schema (0A000 for pg_catalog,
 * information_schema and murphy).
 *
 * A role without USAGE on a created schema (GRANT USAGE ON SCHEMA) gets
 * 42501 for any relation it names there (sql_schema_denied, called where
 * tables, views and sequences are looked up) when it names the schema;
 * the search path leaves such a schema out (cat_search_path), so an
 * unqualified name there is 42P01, as in PostgreSQL.
 *
 * c->search_path is the session's setting text (sql_options; NULL: the
 * default "$user", public), c->user the role "$user" names.  Answers are
 * copied into the statement's arena.
 */
#include "parser/analyze.h"

#include <string.h>

const char *sql_name_schema(sql_ctx *c, const char *schema, const char *name)
{
	char out[CAT_NAME_MAX];
	if (schema && *schema)
		return schema;
	if (!c->cat || !cat_relation_schema(c->cat, c->search_path, c->user, name, out, sizeof out))
		return NULL;
	return sql_strdup(c, out);
}

int sql_schema_denied(sql_ctx *c, const char *schema, int loc)
{
	if (!c->cat || !c->user || !schema ||
	    cat_schema_usage(c->cat, c->user, c->superuser, schema))
		return 0;
	sql_err(c, SQLSTATE_INSUFFICIENT_PRIVILEGE, loc, "permission denied for schema %s", schema);
	return 1;
}

const char *sql_rv_schema(sql_ctx *c, const PgQuery__RangeVar *rv)
{
	return sql_name_schema(c, rv->schemaname, rv->relname);
}

const char *sql_object_schema(sql_ctx *c, PgQuery__Node *n)
{
	PgQuery__List *l = n->node_case == PG_QUERY__NODE__NODE_LIST ? n->list : NULL;
	PgQuery__Node *last = l && l->n_items ? l->items[l->n_items - 1] : n;
	if (l && l->n_items == 2 && l->items[0]->node_case == PG_QUERY__NODE__NODE_STRING)
		return l->items[0]->string->sval;
	if (last->node_case != PG_QUERY__NODE__NODE_STRING)
		return NULL;
	return sql_name_schema(c, NULL, last->string->sval);
}

const char *sql_rv_create_schema(sql_ctx *c, const PgQuery__RangeVar *rv)
{
	char out[CAT_NAME_MAX];
	if (!c->cat)
		return "public";
	if (rv->schemaname && *rv->schemaname) {
		return cat_schema_check_usable(c->cat, rv->schemaname, c->err) == MUR_OK
			       ? rv->schemaname
			       : NULL;
	}
	if (cat_creation_schema(c->cat, c->search_path, c->user, out, sizeof out, c->err) != MUR_OK)
		return NULL;
	return sql_strdup(c, out);
}

const cat_table *sql_rv_table(sql_ctx *c, const PgQuery__RangeVar *rv)
{
	const char *schema = sql_rv_schema(c, rv);
	return schema && c->cat ? cat_table_lookup(c->cat, schema, rv->relname) : NULL;
}
