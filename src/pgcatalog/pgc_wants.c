/*
 * pgc_wants.c — which SELECTs are catalog queries (pgc_wants).
 *
 * A walk over every message of the parse tree (parser/pwalk.h: through
 * protobuf-c's descriptors, so no node kind is forgotten), looking for a catalog
 * relation, a function only pgcatalog answers, or a cast to an OID alias
 * type.  Everything else stays with the planner's own analysis.
 */
#include "parser/pwalk.h"
#include "pgcatalog/pgc_int.h"

#include <string.h>

/* How deep the walk goes: parser/depth.c already refused deeper trees. */
#define PGC_WALK_DEPTH_MAX 1000

/* Functions the planner's analysis does not know (unqualified calls of
 * those it knows, version() and current_database(), stay with it). */
static const char *const own_functions[] = {
	"format_type",
	"pg_get_userbyid",
	"pg_table_is_visible",
	"pg_type_is_visible",
	"pg_function_is_visible",
	"pg_get_indexdef",
	"pg_get_constraintdef",
	"pg_get_expr",
	"obj_description",
	"col_description",
	"shobj_description",
	"has_table_privilege",
	"has_schema_privilege",
	"has_database_privilege",
	"has_column_privilege",
	"pg_encoding_to_char",
	"current_setting",
	"set_config",
	"current_schemas",
	"pg_has_role",
	"quote_ident",
	"pg_get_viewdef",
	"current_schema",
	"pg_is_in_recovery",
	"acldefault",
	"pg_cancel_backend",
	"pg_terminate_backend",
};

static const char *const oid_types[] = {"regclass", "regtype", "regnamespace", "regproc", "oid"};

static int in_list(const char *s, const char *const *list, size_t n)
{
	for (size_t i = 0; s && i < n; i++)
		if (strcmp(s, list[i]) == 0)
			return 1;
	return 0;
}

static const char *node_str(const PgQuery__Node *n)
{
	return n && n->node_case == PG_QUERY__NODE__NODE_STRING ? n->string->sval : NULL;
}

static int range_var_wanted(const PgQuery__RangeVar *rv)
{
	if (rv->schemaname && rv->schemaname[0])
		return !strcmp(rv->schemaname, "pg_catalog") ||
		       !strcmp(rv->schemaname, "information_schema");
	return !strncmp(rv->relname, "pg_", 3) &&
	       (pgc_rel_find("pg_catalog", rv->relname) || pgc_rel_refused(rv->relname));
}

static int func_wanted(const PgQuery__FuncCall *f)
{
	const char *name = f->n_funcname ? node_str(f->funcname[f->n_funcname - 1]) : NULL;
	const char *schema = f->n_funcname == 2 ? node_str(f->funcname[0]) : NULL;
	if (in_list(name, own_functions, sizeof own_functions / sizeof own_functions[0]))
		return 1;
	return schema && !strcmp(schema, "pg_catalog") && name &&
	       (!strcmp(name, "version") || !strcmp(name, "current_database") ||
		!strcmp(name, "current_schema") || !strcmp(name, "pg_backend_pid"));
}

static int message_wanted(const ProtobufCMessage *m)
{
	if (m->descriptor == &pg_query__range_var__descriptor)
		return range_var_wanted((const PgQuery__RangeVar *)m);
	if (m->descriptor == &pg_query__func_call__descriptor)
		return func_wanted((const PgQuery__FuncCall *)m);
	if (m->descriptor == &pg_query__sqlvalue_function__descriptor) {
		/* current_schema, current_catalog without parentheses */
		PgQuery__SQLValueFunctionOp op = ((const PgQuery__SQLValueFunction *)m)->op;
		return op == PG_QUERY__SQLVALUE_FUNCTION_OP__SVFOP_CURRENT_SCHEMA ||
		       op == PG_QUERY__SQLVALUE_FUNCTION_OP__SVFOP_CURRENT_CATALOG;
	}
	if (m->descriptor == &pg_query__type_name__descriptor) {
		const PgQuery__TypeName *t = (const PgQuery__TypeName *)m;
		return t->n_names && in_list(node_str(t->names[t->n_names - 1]), oid_types,
					     sizeof oid_types / sizeof oid_types[0]);
	}
	return 0;
}

/* nextval('s'::regclass) and its kin: the planner's analysis takes the
 * sequence's name from a constant cast to regclass itself
 * (parser/analyze_seq.c), so that cast does not make a catalog query. */
static int seq_call_by_name(const ProtobufCMessage *m)
{
	const PgQuery__FuncCall *f = (const PgQuery__FuncCall *)m;
	const char *name;
	if (m->descriptor != &pg_query__func_call__descriptor || !f->n_funcname)
		return 0;
	name = node_str(f->funcname[f->n_funcname - 1]);
	if (!name || (strcmp(name, "nextval") && strcmp(name, "currval") && strcmp(name, "setval")))
		return 0;
	for (size_t i = 0; i < f->n_args; i++) { /* constants, or a constant::regclass */
		const PgQuery__Node *a = f->args[i];
		const PgQuery__TypeCast *tc;
		const char *type;
		if (a->node_case == PG_QUERY__NODE__NODE_A_CONST)
			continue;
		if (a->node_case != PG_QUERY__NODE__NODE_TYPE_CAST)
			return 0;
		tc = a->type_cast;
		if (!tc->arg || tc->arg->node_case != PG_QUERY__NODE__NODE_A_CONST ||
		    !tc->type_name || tc->type_name->n_names == 0)
			return 0;
		type = node_str(tc->type_name->names[tc->type_name->n_names - 1]);
		if (!type || strcmp(type, "regclass"))
			return 0;
	}
	return 1;
}

static sql_pt_next visit(const ProtobufCMessage *m, sql_pt_at *at, void *arg)
{
	if (at->depth > PGC_WALK_DEPTH_MAX)
		return SQL_PT_SKIP;
	if (message_wanted(m))
		return SQL_PT_STOP;
	return seq_call_by_name(m) ? SQL_PT_SKIP : SQL_PT_INTO;
}

int pgc_wants(const PgQuery__Node *stmt)
{
	return stmt && stmt->node_case == PG_QUERY__NODE__NODE_SELECT_STMT &&
	       sql_pt_walk(&stmt->base, visit, NULL);
}
