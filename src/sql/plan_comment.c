/*
 * plan_comment.c — COMMENT ON TABLE / VIEW / COLUMN / INDEX / SCHEMA /
 * SEQUENCE name, CONSTRAINT name ON table IS 'text' | NULL (PLAN_COMMENT).
 *
 * The planner finds the object in the catalog and names it by kind and id
 * (cat_comment); the leader stores it (catalog/catalog_comment.c), which
 * checks again that the object is still there.  Errors are PostgreSQL's:
 * 42P01 for a missing relation or index, 42703 a missing column, 3F000 a
 * missing schema, 42809 a table named as a view or the reverse, 42704 a
 * missing constraint.  Other objects (functions, ...), murphy.* catalog
 * views, a primary key's index and built-in schemas but public are 0A000
 * naming them.  '' drops the comment as NULL does (PostgreSQL's rule).
 */
#include "sql/sqlInt.h"

#include <stdio.h>
#include <string.h>

#define SQLSTATE_WRONG_OBJECT_TYPE "42809"

static int unsupported(sql_ctx *c, const char *what)
{
	return sql_err(c, SQLSTATE_FEATURE_NOT_SUPPORTED, -1, "murphy does not support %s yet",
		       what);
}

/* A table or view named by n (a List of names): its id into cm (and 0 on
 * success); want 't' a table, 'v' a view, 0 either. */
static int relation(sql_ctx *c, PgQuery__Node *n, char want, cat_comment *cm)
{
	const char *name = sql_object_name(n), *schema = sql_object_schema(c, n);
	const cat_table *t = schema && c->cat ? cat_table_lookup(c->cat, schema, name) : NULL;
	const cat_view *v = !t && schema && c->cat ? cat_view_lookup(c->cat, schema, name) : NULL;
	if (t && t->kind == CAT_TABLE_VIRTUAL)
		return unsupported(c, "COMMENT ON a murphy.* catalog view");
	if (!t && !v)
		return sql_err(c, SQLSTATE_UNDEFINED_TABLE, -1, "relation \"%s\" does not exist",
			       name);
	if ((want == 't' && !t) || (want == 'v' && !v))
		return sql_err(c, SQLSTATE_WRONG_OBJECT_TYPE, -1, "\"%s\" is not a %s", name,
			       want == 't' ? "table" : "view");
	cm->kind = CAT_COMMENT_RELATION;
	cm->id = t ? t->id : v->id;
	return MUR_OK;
}

static int column_exists(const catalog *cat, uint32_t id, const char *col)
{
	const cat_table *t = cat_table_by_id((catalog *)cat, id);
	const cat_view *v = t ? NULL : cat_view_by_id(cat, id);
	int k = t ? cat_column_index(t, col) : -1;
	if (t)
		return k >= 0 && !t->cols[k].hidden;
	for (k = 0; v && k < v->ncols; k++)
		if (!strcmp(v->cols[k].name, col))
			return 1;
	return 0;
}

/* [schema.]table.column */
static int column(sql_ctx *c, PgQuery__Node *n, cat_comment *cm)
{
	PgQuery__List *l = n->node_case == PG_QUERY__NODE__NODE_LIST ? n->list : NULL;
	PgQuery__List rel_list;
	PgQuery__Node rel;
	const char *col;
	if (!l || l->n_items < 2 || l->n_items > 3 ||
	    l->items[l->n_items - 1]->node_case != PG_QUERY__NODE__NODE_STRING)
		return sql_err(c, SQLSTATE_SYNTAX_ERROR, -1,
			       "column name must be qualified with its table's");
	col = l->items[l->n_items - 1]->string->sval;
	rel_list = *l;
	rel_list.n_items--;
	rel = *n;
	rel.list = &rel_list;
	if (relation(c, &rel, 0, cm) != MUR_OK)
		return MUR_ERR;
	if (!column_exists(c->cat, cm->id, col))
		return sql_err(c, SQLSTATE_UNDEFINED_COLUMN, -1,
			       "column \"%s\" of relation \"%s\" does not exist", col,
			       sql_object_name(&rel));
	snprintf(cm->col, sizeof cm->col, "%s", col);
	return MUR_OK;
}

static int index_named(sql_ctx *c, PgQuery__Node *n, cat_comment *cm)
{
	const char *name = sql_object_name(n), *schema = sql_object_schema(c, n);
	const cat_index *x = schema && c->cat ? cat_index_lookup(c->cat, schema, name) : NULL;
	const cat_table *t = !x && schema && c->cat ? cat_table_lookup(c->cat, schema, name) : NULL;
	if (x) {
		cm->kind = CAT_COMMENT_INDEX;
		cm->id = x->id;
		return MUR_OK;
	}
	if (t || (schema && c->cat && cat_view_lookup(c->cat, schema, name)))
		return sql_err(c, SQLSTATE_WRONG_OBJECT_TYPE, -1, "\"%s\" is not an index", name);
	/* a primary key's index is no catalog index: pg_class names it t_pkey */
	for (int i = 0; c->cat && i < cat_table_count(c->cat); i++) {
		char pkey[CAT_NAME_MAX + 8];
		t = cat_table_at(c->cat, i);
		snprintf(pkey, sizeof pkey, "%s_pkey", t->name);
		if (t->kind == CAT_TABLE_DISTRIBUTED && !strcmp(pkey, name))
			return unsupported(c, "COMMENT ON the index of a primary key");
	}
	return sql_err(c, SQLSTATE_UNDEFINED_TABLE, -1, "relation \"%s\" does not exist", name);
}

static int sequence_named(sql_ctx *c, PgQuery__Node *n, cat_comment *cm)
{
	const char *name = sql_object_name(n), *schema = sql_object_schema(c, n);
	const cat_sequence *s = schema && c->cat ? cat_seq_lookup_in(c->cat, schema, name) : NULL;
	if (!s && schema && c->cat &&
	    (cat_table_lookup(c->cat, schema, name) || cat_view_lookup(c->cat, schema, name)))
		return sql_err(c, SQLSTATE_WRONG_OBJECT_TYPE, -1, "\"%s\" is not a sequence", name);
	if (!s)
		return sql_err(c, SQLSTATE_UNDEFINED_TABLE, -1, "relation \"%s\" does not exist",
			       name);
	cm->kind = CAT_COMMENT_SEQUENCE;
	cm->id = s->id;
	return MUR_OK;
}

/* CONSTRAINT name ON [schema.]table: the object is the list (schema,
 * table, name); kept by the table's id and the constraint's name. */
static int constraint_named(sql_ctx *c, PgQuery__Node *n, cat_comment *cm)
{
	PgQuery__List *l = n->node_case == PG_QUERY__NODE__NODE_LIST ? n->list : NULL;
	PgQuery__List rel_list;
	PgQuery__Node rel;
	const cat_table *t;
	const char *con;
	uint32_t id;
	if (!l || l->n_items < 2 ||
	    l->items[l->n_items - 1]->node_case != PG_QUERY__NODE__NODE_STRING)
		return unsupported(c, "COMMENT ON CONSTRAINT of this form");
	con = l->items[l->n_items - 1]->string->sval;
	rel_list = *l;
	rel_list.n_items--;
	rel = *n;
	rel.list = &rel_list;
	if (relation(c, &rel, 't', cm) != MUR_OK)
		return MUR_ERR;
	t = cat_table_by_id((catalog *)c->cat, cm->id);
	if (!t || !cat_constraint_find(c->cat, t, con, &id))
		return sql_err(c, SQLSTATE_UNDEFINED_OBJECT, -1,
			       "constraint \"%s\" for table \"%s\" does not exist", con,
			       t ? t->name : "");
	cm->kind = CAT_COMMENT_CONSTRAINT;
	snprintf(cm->col, sizeof cm->col, "%s", con);
	return MUR_OK;
}

static int schema_named(sql_ctx *c, PgQuery__Node *n, cat_comment *cm)
{
	const char *name = sql_object_name(n);
	if (c->cat && !cat_schema_exists(c->cat, name))
		return sql_err(c, SQLSTATE_INVALID_SCHEMA_NAME, -1, "schema \"%s\" does not exist",
			       name);
	if (c->cat && !(cm->id = cat_schema_id(c->cat, name)) && strcmp(name, "public"))
		return sql_err(c, SQLSTATE_FEATURE_NOT_SUPPORTED, -1,
			       "murphy cannot comment on schema \"%s\": it is built in", name);
	cm->kind = CAT_COMMENT_SCHEMA;
	return MUR_OK;
}

/* "SEQUENCE", "MATERIALIZED VIEW", ... from the parser's enum. */
static const char *type_name(sql_ctx *c, PgQuery__ObjectType t)
{
	const ProtobufCEnumValue *v =
		protobuf_c_enum_descriptor_get_value(&pg_query__object_type__descriptor, (int)t);
	char *out;
	if (!v || strncmp(v->name, "OBJECT_", 7) || !(out = sql_strdup(c, v->name + 7)))
		return "this object";
	for (char *q = out; *q; q++)
		if (*q == '_')
			*q = ' ';
	return out;
}

int sql_plan_comment(sql_ctx *c, PgQuery__CommentStmt *s, plan *p)
{
	cat_comment *cm = &p->u.comment;
	p->kind = PLAN_COMMENT;
	p->tag = "COMMENT";
	memset(cm, 0, sizeof *cm);
	if (!s->object)
		return unsupported(c, "COMMENT without an object");
	switch (s->objtype) {
	case PG_QUERY__OBJECT_TYPE__OBJECT_TABLE:
		if (relation(c, s->object, 't', cm) != MUR_OK)
			return MUR_ERR;
		break;
	case PG_QUERY__OBJECT_TYPE__OBJECT_VIEW:
		if (relation(c, s->object, 'v', cm) != MUR_OK)
			return MUR_ERR;
		break;
	case PG_QUERY__OBJECT_TYPE__OBJECT_COLUMN:
		if (column(c, s->object, cm) != MUR_OK)
			return MUR_ERR;
		break;
	case PG_QUERY__OBJECT_TYPE__OBJECT_INDEX:
		if (index_named(c, s->object, cm) != MUR_OK)
			return MUR_ERR;
		break;
	case PG_QUERY__OBJECT_TYPE__OBJECT_SCHEMA:
		if (schema_named(c, s->object, cm) != MUR_OK)
			return MUR_ERR;
		break;
	case PG_QUERY__OBJECT_TYPE__OBJECT_SEQUENCE:
		if (sequence_named(c, s->object, cm) != MUR_OK)
			return MUR_ERR;
		break;
	case PG_QUERY__OBJECT_TYPE__OBJECT_TABCONSTRAINT:
		if (constraint_named(c, s->object, cm) != MUR_OK)
			return MUR_ERR;
		break;
	default:
		return sql_err(c, SQLSTATE_FEATURE_NOT_SUPPORTED, -1,
			       "murphy does not support COMMENT ON %s yet (only TABLE, VIEW, "
			       "COLUMN, INDEX, SCHEMA, SEQUENCE and CONSTRAINT on a table)",
			       type_name(c, s->objtype));
	}
	if (s->comment && *s->comment && !(cm->text = sql_strdup(c, s->comment)))
		return MUR_ERR;
	return MUR_OK;
}
