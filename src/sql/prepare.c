/*
 * prepare.c — the planner's front door: sql_prepare, sql_prepare_tree,
 * plan_free, and the dispatch of one statement node to plan_*.c.
 *
 * sql_prepare: parse (parser/parse.c: sql_parse), then sql_prepare_tree:
 * a fresh arena, a context whose parameter types point into the new plan,
 * and sql_plan_statement, which dispatches on the statement node to
 * plan_*.c (each analyzes what it plans, parser/analyze.h).  The parse tree
 * is the caller's; everything the plan keeps is copied into its arena.
 */
#include "sql/sqlInt.h"
#include "pgcatalog/pgcatalog.h"

#include <string.h>

plan *sql_plan_new(sql_ctx *c, plan_kind kind, const char *tag)
{
	plan *p = sql_alloc(c, sizeof *p);
	if (!p)
		return NULL;
	p->kind = kind;
	p->tag = tag;
	p->arena = NULL; /* only the outermost plan owns the arena */
	return p;
}

void plan_free(plan *p)
{
	if (p && p->arena)
		sql_arena_destroy(p->arena);
}

/* A statement murphy does not plan, named for the 0A000 message. */
static const char *node_name(const PgQuery__Node *n)
{
	switch (n->node_case) {
	case PG_QUERY__NODE__NODE_CREATE_TABLE_AS_STMT:
		return "CREATE TABLE AS";
	case PG_QUERY__NODE__NODE_ALTER_SEQ_STMT:
		return "ALTER SEQUENCE";
	case PG_QUERY__NODE__NODE_CREATE_FUNCTION_STMT:
		return "CREATE FUNCTION";
	case PG_QUERY__NODE__NODE_CREATEDB_STMT:
		return "CREATE DATABASE";
	case PG_QUERY__NODE__NODE_VACUUM_STMT:
		return "VACUUM";
	case PG_QUERY__NODE__NODE_MERGE_STMT:
		return "MERGE";
	case PG_QUERY__NODE__NODE_PREPARE_STMT:
		return "PREPARE";
	case PG_QUERY__NODE__NODE_EXECUTE_STMT:
		return "EXECUTE";
	case PG_QUERY__NODE__NODE_DEALLOCATE_STMT:
		return "DEALLOCATE";
	case PG_QUERY__NODE__NODE_DECLARE_CURSOR_STMT:
		return "DECLARE CURSOR";
	case PG_QUERY__NODE__NODE_FETCH_STMT:
		return "FETCH";
	case PG_QUERY__NODE__NODE_LOCK_STMT:
		return "LOCK";
	case PG_QUERY__NODE__NODE_LISTEN_STMT:
		return "LISTEN";
	case PG_QUERY__NODE__NODE_NOTIFY_STMT:
		return "NOTIFY";
	case PG_QUERY__NODE__NODE_DO_STMT:
		return "DO";
	case PG_QUERY__NODE__NODE_RENAME_STMT:
		return "ALTER ... RENAME";
	case PG_QUERY__NODE__NODE_COMMENT_STMT:
		return "COMMENT";
	case PG_QUERY__NODE__NODE_CALL_STMT:
		return "CALL";
	case PG_QUERY__NODE__NODE_CHECK_POINT_STMT:
		return "CHECKPOINT";
	case PG_QUERY__NODE__NODE_CLUSTER_STMT:
		return "CLUSTER";
	case PG_QUERY__NODE__NODE_REINDEX_STMT:
		return "REINDEX";
	case PG_QUERY__NODE__NODE_RULE_STMT:
		return "CREATE RULE";
	case PG_QUERY__NODE__NODE_CREATE_TRIG_STMT:
		return "CREATE TRIGGER";
	case PG_QUERY__NODE__NODE_CREATE_ENUM_STMT:
		return "CREATE TYPE ... AS ENUM";
	case PG_QUERY__NODE__NODE_COMPOSITE_TYPE_STMT:
		return "CREATE TYPE ... AS (composite types)";
	case PG_QUERY__NODE__NODE_CREATE_RANGE_STMT:
		return "CREATE TYPE ... AS RANGE";
	case PG_QUERY__NODE__NODE_DEFINE_STMT:
		return "CREATE AGGREGATE / OPERATOR / TYPE";
	case PG_QUERY__NODE__NODE_CREATE_DOMAIN_STMT:
		return "CREATE DOMAIN";
	case PG_QUERY__NODE__NODE_CREATE_EXTENSION_STMT:
		return "CREATE EXTENSION";
	case PG_QUERY__NODE__NODE_REFRESH_MAT_VIEW_STMT:
		return "REFRESH MATERIALIZED VIEW";
	case PG_QUERY__NODE__NODE_CREATE_POLICY_STMT:
		return "CREATE POLICY";
	case PG_QUERY__NODE__NODE_CREATE_STATS_STMT:
		return "CREATE STATISTICS";
	case PG_QUERY__NODE__NODE_CREATE_TABLE_SPACE_STMT:
		return "CREATE TABLESPACE";
	case PG_QUERY__NODE__NODE_CREATE_FOREIGN_TABLE_STMT:
		return "CREATE FOREIGN TABLE";
	case PG_QUERY__NODE__NODE_ALTER_FUNCTION_STMT:
		return "ALTER FUNCTION";
	case PG_QUERY__NODE__NODE_ALTER_OWNER_STMT:
		return "ALTER ... OWNER TO";
	case PG_QUERY__NODE__NODE_ALTER_OBJECT_SCHEMA_STMT:
		return "ALTER ... SET SCHEMA";
	case PG_QUERY__NODE__NODE_ALTER_DEFAULT_PRIVILEGES_STMT:
		return "ALTER DEFAULT PRIVILEGES";
	case PG_QUERY__NODE__NODE_DROPDB_STMT:
		return "DROP DATABASE";
	case PG_QUERY__NODE__NODE_LOAD_STMT:
		return "LOAD";
	case PG_QUERY__NODE__NODE_SEC_LABEL_STMT:
		return "SECURITY LABEL";
	default:
		return "this statement";
	}
}

static int plan_discard(sql_ctx *c, PgQuery__DiscardStmt *d, plan *p)
{
	if (d->target != PG_QUERY__DISCARD_MODE__DISCARD_ALL)
		return sql_err(c, SQLSTATE_FEATURE_NOT_SUPPORTED, -1,
			       "murphy supports only DISCARD ALL");
	p->kind = PLAN_NOOP;
	p->tag = "DISCARD ALL";
	return MUR_OK;
}

/* SELECT ... FROM s, s a sequence (pg_dump reads last_value, is_called so):
 * answered with the catalog queries (pgcatalog reads the sequence). */
static int reads_sequence(sql_ctx *c, const PgQuery__SelectStmt *s)
{
	const PgQuery__RangeVar *rv;
	const char *schema;
	if (s->n_from_clause != 1 || s->from_clause[0]->node_case != PG_QUERY__NODE__NODE_RANGE_VAR)
		return 0;
	rv = s->from_clause[0]->range_var;
	schema = sql_rv_schema(c, rv);
	if (!schema || !cat_seq_lookup_in(c->cat, schema, rv->relname) ||
	    cat_table_lookup(c->cat, schema, rv->relname))
		return 0;
	return sql_schema_denied(c, schema, rv->location) ? -1 : 1;
}

int sql_plan_statement(sql_ctx *c, PgQuery__Node *n, plan *p)
{
	switch (n->node_case) {
	case PG_QUERY__NODE__NODE_SELECT_STMT:
		if (pgc_wants(n))
			return sql_plan_catalog(c, n, p);
		switch (reads_sequence(c, n->select_stmt)) {
		case -1:
			return MUR_ERR; /* 42501: no USAGE on its schema */
		case 1:
			return sql_plan_catalog(c, n, p);
		}
		c->record_top = n->select_stmt; /* its select list may hold rows */
		return sql_plan_select(c, n->select_stmt, p);
	case PG_QUERY__NODE__NODE_INSERT_STMT:
		return sql_plan_insert(c, n->insert_stmt, p);
	case PG_QUERY__NODE__NODE_UPDATE_STMT:
		return sql_plan_update(c, n->update_stmt, p);
	case PG_QUERY__NODE__NODE_DELETE_STMT:
		return sql_plan_delete(c, n->delete_stmt, p);
	case PG_QUERY__NODE__NODE_CREATE_STMT:
		return sql_plan_create_table(c, n->create_stmt, p);
	case PG_QUERY__NODE__NODE_DROP_STMT:
		return sql_plan_drop(c, n->drop_stmt, p);
	case PG_QUERY__NODE__NODE_INDEX_STMT:
		return sql_plan_create_index(c, n->index_stmt, p);
	case PG_QUERY__NODE__NODE_COPY_STMT:
		return sql_plan_copy(c, n->copy_stmt, p);
	case PG_QUERY__NODE__NODE_LOCK_STMT:
		return sql_plan_lock(c, n->lock_stmt, p);
	case PG_QUERY__NODE__NODE_EXPLAIN_STMT:
		return sql_plan_explain(c, n->explain_stmt, p);
	case PG_QUERY__NODE__NODE_VARIABLE_SET_STMT:
		return sql_plan_set(c, n->variable_set_stmt, p);
	case PG_QUERY__NODE__NODE_ALTER_SYSTEM_STMT:
		return sql_plan_alter_system(c, n->alter_system_stmt, p);
	case PG_QUERY__NODE__NODE_VARIABLE_SHOW_STMT:
		return sql_plan_show(c, n->variable_show_stmt, p);
	case PG_QUERY__NODE__NODE_TRANSACTION_STMT:
		return sql_plan_transaction(c, n->transaction_stmt, p);
	case PG_QUERY__NODE__NODE_DISCARD_STMT:
		return plan_discard(c, n->discard_stmt, p);
	case PG_QUERY__NODE__NODE_VACUUM_STMT:
		return sql_plan_analyze(c, n->vacuum_stmt, p);
	case PG_QUERY__NODE__NODE_TRUNCATE_STMT:
		return sql_plan_truncate(c, n->truncate_stmt, p);
	case PG_QUERY__NODE__NODE_ALTER_TABLE_STMT:
		return sql_plan_alter_table(c, n->alter_table_stmt, p);
	case PG_QUERY__NODE__NODE_RENAME_STMT:
		return sql_plan_rename(c, n->rename_stmt, p);
	case PG_QUERY__NODE__NODE_CREATE_SEQ_STMT:
		return sql_plan_create_sequence(c, n->create_seq_stmt, p);
	case PG_QUERY__NODE__NODE_VIEW_STMT:
		return sql_plan_create_view(c, n->view_stmt, p);
	case PG_QUERY__NODE__NODE_CREATE_SCHEMA_STMT:
		return sql_plan_create_schema(c, n->create_schema_stmt, p);
	case PG_QUERY__NODE__NODE_ALTER_OBJECT_SCHEMA_STMT:
		return sql_plan_set_schema(c, n->alter_object_schema_stmt, p);
	case PG_QUERY__NODE__NODE_CREATE_ROLE_STMT:
		return sql_plan_create_role(c, n->create_role_stmt, p);
	case PG_QUERY__NODE__NODE_ALTER_ROLE_STMT:
		return sql_plan_alter_role(c, n->alter_role_stmt, p);
	case PG_QUERY__NODE__NODE_DROP_ROLE_STMT:
		return sql_plan_drop_role(c, n->drop_role_stmt, p);
	case PG_QUERY__NODE__NODE_GRANT_STMT:
		return sql_plan_grant(c, n->grant_stmt, p);
	case PG_QUERY__NODE__NODE_COMMENT_STMT:
		return sql_plan_comment(c, n->comment_stmt, p);
	case PG_QUERY__NODE__NODE_DECLARE_CURSOR_STMT:
	case PG_QUERY__NODE__NODE_FETCH_STMT:
	case PG_QUERY__NODE__NODE_CLOSE_PORTAL_STMT:
	case PG_QUERY__NODE__NODE_PREPARE_STMT:
	case PG_QUERY__NODE__NODE_EXECUTE_STMT:
	case PG_QUERY__NODE__NODE_DEALLOCATE_STMT:
		return sql_plan_portal(c, n, p);
	default:
		return sql_err(c, SQLSTATE_FEATURE_NOT_SUPPORTED, -1,
			       "murphy does not support %s yet", node_name(n));
	}
}

/* Finish parameter types: leftover unknowns become text. */
static void finish_params(sql_ctx *c, plan *p)
{
	if (p->nparams < c->nparam_given)
		p->nparams = c->nparam_given;
	for (int i = 0; i < p->nparams; i++)
		if (p->param_types[i] == MT_UNKNOWN)
			p->param_types[i] = MT_TEXT;
	/* nested plans (EXPLAIN's inner, INSERT ... SELECT's source) bind the
	 * same parameters */
	plan *inner = p->kind == PLAN_EXPLAIN  ? p->u.explain.inner
		      : p->kind == PLAN_INSERT ? p->u.insert.source
					       : NULL;
	if (inner) {
		inner->nparams = p->nparams;
		memcpy(inner->param_types, p->param_types, sizeof p->param_types);
		if (inner->kind == PLAN_INSERT && inner->u.insert.source) {
			inner->u.insert.source->nparams = p->nparams;
			memcpy(inner->u.insert.source->param_types, p->param_types,
			       sizeof p->param_types);
		}
	}
}

/* Does a statement of this kind evaluate now() as the transaction's
 * start (sql_options.xact_now_us)?  Queries and DML (a column's DEFAULT
 * now() included) do; DDL keeps mur_now(): a view, a DEFAULT or a CHECK
 * stores the call, not the time of its creation. */
static int reads_xact_now(const PgQuery__Node *n)
{
	if (n->node_case == PG_QUERY__NODE__NODE_EXPLAIN_STMT)
		n = n->explain_stmt->query;
	switch (n->node_case) {
	case PG_QUERY__NODE__NODE_SELECT_STMT:
	case PG_QUERY__NODE__NODE_INSERT_STMT:
	case PG_QUERY__NODE__NODE_UPDATE_STMT:
	case PG_QUERY__NODE__NODE_DELETE_STMT:
		return 1;
	default:
		return 0;
	}
}

static int prepare_tree(sql_ctx *c, PgQuery__ParseResult *tree, plan *p)
{
	if (tree->n_stmts == 0) {
		p->kind = PLAN_EMPTY;
		p->tag = "";
		return MUR_OK;
	}
	if (tree->n_stmts > 1)
		return sql_err(c, SQLSTATE_SYNTAX_ERROR, -1,
			       "cannot insert multiple commands into a prepared statement");
	if (!reads_xact_now(tree->stmts[0]->stmt))
		c->xact_now_us = c->stmt_now_us = c->now_param = 0;
	return sql_plan_statement(c, tree->stmts[0]->stmt, p);
}

/* Tables have no owners yet: creating, dropping, indexing and altering
 * them needs a superuser (PostgreSQL 15 gives CREATE on public to no one
 * else either); so do sequences' CREATE and DROP. */
static int ddl_allowed(sql_ctx *c, const plan *p)
{
	if (!c->user || c->superuser)
		return MUR_OK;
	switch (p->kind) {
	case PLAN_CREATE_TABLE:
	case PLAN_DROP_TABLE:
	case PLAN_CREATE_INDEX:
	case PLAN_DROP_INDEX:
	case PLAN_SEQUENCE:
	case PLAN_VIEW:
	case PLAN_SCHEMA:
	case PLAN_ALTER:
	case PLAN_COMMENT:
		return sql_err(c, SQLSTATE_INSUFFICIENT_PRIVILEGE, -1,
			       "permission denied: %s needs a superuser in murphy", p->tag);
	default:
		return MUR_OK;
	}
}

int sql_options_differ(const sql_options *a, const sql_options *b)
{
	const char *ua = a->user ? a->user : "", *ub = b->user ? b->user : "";
	return a->count_distinct_approx != b->count_distinct_approx || strcmp(ua, ub) != 0 ||
	       a->superuser != b->superuser || a->shuffle_strategy != b->shuffle_strategy ||
	       a->tz != b->tz || a->search_path_given != b->search_path_given ||
	       strcmp(a->search_path, b->search_path) != 0;
}

int sql_prepare(const catalog *cat, const char *sql, int nparam_types, const mur_type *param_types,
		plan **out, mur_error *err)
{
	return sql_prepare_opts(cat, sql, NULL, nparam_types, param_types, out, err);
}

int sql_prepare_tree(const catalog *cat, const char *sql, sql_tree *tree, const sql_options *opts,
		     int nparam_types, const mur_type *param_types, plan **out, mur_error *err)
{
	sql_arena *arena;
	sql_ctx c = {0};
	plan *p;
	int rc;

	*out = NULL;
	mur_error_clear(err);
	if (nparam_types > PLAN_PARAMS_MAX)
		return mur_error_set(err, SQLSTATE_PROGRAM_LIMIT_EXCEEDED,
				     "too many parameters (at most %d)", PLAN_PARAMS_MAX);
	arena = sql_arena_create();
	if (!arena)
		return mur_error_set(err, SQLSTATE_OUT_OF_MEMORY, "out of memory"), MUR_ENOMEM;
	c.arena = arena;
	c.cat = cat;
	c.sql = sql;
	c.err = err;
	c.nparam_given = nparam_types;
	if (opts) {
		c.count_distinct_approx = opts->count_distinct_approx;
		c.user = opts->user;
		c.superuser = opts->superuser;
		c.shuffle_strategy = opts->shuffle_strategy;
		c.tz = opts->tz == mur_tz_utc() ? NULL : opts->tz;
		c.search_path = opts->search_path_given ? opts->search_path : NULL;
		c.xact_now_us = opts->xact_now_us;
		c.now_param = opts->now_param;
		c.stmt_now_us = opts->stmt_now_us;
	}
	p = sql_plan_new(&c, PLAN_EMPTY, "");
	if (!p) {
		sql_arena_destroy(arena);
		return MUR_ENOMEM;
	}
	c.param_types = p->param_types;
	c.nparams = &p->nparams;
	for (int i = 0; i < nparam_types; i++)
		p->param_types[i] = param_types ? param_types[i] : MT_UNKNOWN;
	rc = prepare_tree(&c, sql_tree_result(tree), p);
	p->uses_xact_now = c.used_xact_now;
	p->uses_stmt_now = c.used_stmt_now;
	sql_view_trees_free(&c); /* the plan keeps nothing of them */
	if (rc == MUR_OK)
		rc = ddl_allowed(&c, p);
	if (rc != MUR_OK) {
		sql_arena_destroy(arena);
		return rc;
	}
	finish_params(&c, p);
	p->arena = arena;
	*out = p;
	return MUR_OK;
}

int sql_prepare_opts(const catalog *cat, const char *sql, const sql_options *opts, int nparam_types,
		     const mur_type *param_types, plan **out, mur_error *err)
{
	sql_tree *tree = NULL;
	int rc;
	*out = NULL;
	if (nparam_types > PLAN_PARAMS_MAX)
		return mur_error_set(err, SQLSTATE_PROGRAM_LIMIT_EXCEEDED,
				     "too many parameters (at most %d)", PLAN_PARAMS_MAX);
	rc = sql_parse(sql, &tree, err);
	if (rc == MUR_OK)
		rc = sql_prepare_tree(cat, sql, tree, opts, nparam_types, param_types, out, err);
	sql_tree_free(tree);
	return rc;
}
