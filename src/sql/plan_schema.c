/*
 * plan_schema.c — CREATE SCHEMA and DROP SCHEMA (PLAN_SCHEMA).
 *
 * CREATE SCHEMA [IF NOT EXISTS] s and DROP SCHEMA [IF EXISTS] s [, ...]
 * [CASCADE | RESTRICT]: the catalog keeps the names
 * (catalog/catalog_schema.c: 42P06, 3F000, 2BP01 while one holds a
 * table).  DROP SCHEMA ... CASCADE lists the tables the schemas hold, which
 * the leader drops before the schemas (lead_ddl.c, lead_schema_run).  CREATE
 * SCHEMA ... AUTHORIZATION and the schema elements (CREATE SCHEMA s
 * CREATE TABLE ...) are 0A000 naming them.
 */
#include "sql/sqlInt.h"

#include <stdio.h>
#include <string.h>

#define SQL_SCHEMA_DROP_MAX 16 /* names per DROP SCHEMA, as DROP TABLE's */

int sql_plan_create_schema(sql_ctx *c, PgQuery__CreateSchemaStmt *s, plan *p)
{
	plan_schema *ps = &p->u.schema;
	p->kind = PLAN_SCHEMA;
	p->tag = "CREATE SCHEMA";
	if (s->authrole)
		return sql_err(c, SQLSTATE_FEATURE_NOT_SUPPORTED, -1,
			       "murphy does not support CREATE SCHEMA ... AUTHORIZATION yet");
	if (s->n_schema_elts)
		return sql_err(c, SQLSTATE_FEATURE_NOT_SUPPORTED, -1,
			       "murphy does not support CREATE SCHEMA with schema elements yet");
	if (!s->schemaname || strlen(s->schemaname) >= CAT_NAME_MAX)
		return sql_err(c, SQLSTATE_PROGRAM_LIMIT_EXCEEDED, -1, "schema name is too long");
	if (!strncmp(s->schemaname, "pg_", 3))
		return sql_err(c, "42939", -1, "unacceptable schema name \"%s\"", s->schemaname);
	ps->missing_ok = s->if_not_exists;
	ps->nnames = 1;
	if (!(ps->names = sql_alloc(c, sizeof *ps->names)))
		return MUR_ERR;
	snprintf(ps->names[0], sizeof ps->names[0], "%s", s->schemaname);
	return MUR_OK;
}

/* CASCADE: the ids of the tables the schemas hold now. */
static int cascade_tables(sql_ctx *c, plan_schema *ps)
{
	int n = c->cat ? cat_table_count(c->cat) : 0;
	if (n && !(ps->table_ids = sql_alloc(c, sizeof *ps->table_ids * (size_t)n)))
		return MUR_ERR;
	for (int i = 0; i < n; i++) {
		const cat_table *t = cat_table_at(c->cat, i);
		for (int k = 0; k < ps->nnames; k++)
			if (t->kind == CAT_TABLE_DISTRIBUTED && !t->dropped &&
			    !strcmp(t->schema, ps->names[k]))
				ps->table_ids[ps->ntables++] = t->id;
	}
	return MUR_OK;
}

int sql_plan_drop_schema(sql_ctx *c, PgQuery__DropStmt *s, plan *p)
{
	plan_schema *ps = &p->u.schema;
	p->kind = PLAN_SCHEMA;
	p->tag = "DROP SCHEMA";
	ps->drop = 1;
	ps->missing_ok = s->missing_ok;
	if (s->n_objects > SQL_SCHEMA_DROP_MAX)
		return sql_err(c, SQLSTATE_PROGRAM_LIMIT_EXCEEDED, -1,
			       "murphy drops at most %d schemas per statement",
			       SQL_SCHEMA_DROP_MAX);
	if (!(ps->names = sql_alloc(c, sizeof *ps->names * s->n_objects)))
		return MUR_ERR;
	for (size_t i = 0; i < s->n_objects; i++)
		snprintf(ps->names[ps->nnames++], sizeof ps->names[0], "%s",
			 sql_object_name(s->objects[i]));
	ps->cascade = s->behavior == PG_QUERY__DROP_BEHAVIOR__DROP_CASCADE;
	return ps->cascade ? cascade_tables(c, ps) : MUR_OK;
}

/* ALTER TABLE t SET SCHEMA s: the catalog's name of the table changes
 * (cat_table_set_schema); its placements are named by its id and its
 * SQLite name is unqualified, so no follower is touched.  A view reading
 * it names it in its text: refused (0A000), as RENAME is. */
int sql_plan_set_schema(sql_ctx *c, PgQuery__AlterObjectSchemaStmt *s, plan *p)
{
	plan_schema *ps = &p->u.schema;
	const cat_table *t;
	p->kind = PLAN_SCHEMA;
	p->tag = "ALTER TABLE";
	if (s->object_type != PG_QUERY__OBJECT_TYPE__OBJECT_TABLE || !s->relation)
		return sql_err(c, SQLSTATE_FEATURE_NOT_SUPPORTED, -1,
			       "murphy supports SET SCHEMA of tables only");
	if (s->missing_ok && !sql_rv_table(c, s->relation)) {
		p->kind = PLAN_NOOP;
		return MUR_OK;
	}
	if (!(t = sql_lookup_table_for(c, s->relation, 0)))
		return MUR_ERR;
	if (t->kind != CAT_TABLE_DISTRIBUTED)
		return sql_err(c, SQLSTATE_FEATURE_NOT_SUPPORTED, s->relation->location,
			       "cannot alter murphy.%s: it is a view of the cluster's state",
			       t->name);
	if (c->cat && cat_view_dependent(c->cat, t->id))
		return sql_err(c, SQLSTATE_FEATURE_NOT_SUPPORTED, -1,
			       "murphy cannot move table \"%s\" to another schema while view "
			       "\"%s\" reads it",
			       t->name, cat_view_dependent(c->cat, t->id)->name);
	if (!s->newschema || strlen(s->newschema) >= CAT_NAME_MAX)
		return sql_err(c, SQLSTATE_PROGRAM_LIMIT_EXCEEDED, -1, "schema name is too long");
	ps->nnames = 1;
	if (!(ps->names = sql_alloc(c, sizeof *ps->names)))
		return MUR_ERR;
	snprintf(ps->names[0], sizeof ps->names[0], "%s", s->newschema);
	ps->set_table = t;
	return MUR_OK;
}
