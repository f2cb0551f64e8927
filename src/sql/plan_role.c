/*
 * plan_role.c — CREATE ROLE / USER, ALTER ROLE / USER, DROP ROLE / USER
 * (PLAN_ROLE, plan.h's plan_role); the leader carries them out on the
 * catalog's roles (catalog_role.c), turning a password into its
 * SCRAM-SHA-256 verifier first.
 *
 * Options understood, as in PostgreSQL: [NO]LOGIN (CREATE USER implies
 * LOGIN, CREATE ROLE NOLOGIN), [NO]SUPERUSER, [ENCRYPTED] PASSWORD 'text'
 * or PASSWORD NULL; a password that already is a SCRAM-SHA-256 verifier
 * (what psql's \password sends) is stored as it is.  Options murphy has
 * no use for (CREATEDB, INHERIT, CONNECTION LIMIT, VALID UNTIL, …) are
 * refused with 0A000, never accepted and ignored; ALTER ROLE … SET and
 * RENAME likewise.
 *
 * GRANT / REVOKE (PLAN_GRANT, cat_grant_change): the four table
 * privileges, or ALL, on named tables, to roles or PUBLIC; USAGE on
 * created schemas (their ids, CAT_PRIV_USAGE).  WITH GRANT OPTION, column
 * lists, CREATE ON SCHEMA (table DDL needs a superuser), the built-in
 * schemas (public keeps USAGE for every role), other objects and ALL
 * TABLES IN SCHEMA are refused with 0A000.
 */
#include "sql/sqlInt.h"

#include <string.h>

static int role_option(sql_ctx *c, PgQuery__DefElem *d, plan_role *r)
{
	if (!strcmp(d->defname, "canlogin")) {
		r->login = sql_defelem_true(d);
	} else if (!strcmp(d->defname, "superuser")) {
		r->superuser = sql_defelem_true(d);
	} else if (!strcmp(d->defname, "password")) {
		r->password_set = 1;
		if (d->arg && d->arg->node_case == PG_QUERY__NODE__NODE_STRING)
			r->password = sql_arena_strdup(c->arena, d->arg->string->sval);
		else if (d->arg)
			return sql_err(c, SQLSTATE_SYNTAX_ERROR, d->location,
				       "a password must be a string");
	} else {
		return sql_err(c, SQLSTATE_FEATURE_NOT_SUPPORTED, d->location,
			       "murphy does not support the role option %s yet", d->defname);
	}
	return MUR_OK;
}

static int role_options(sql_ctx *c, size_t n, PgQuery__Node **opts, plan_role *r)
{
	for (size_t i = 0; i < n; i++)
		if (role_option(c, opts[i]->def_elem, r) != MUR_OK)
			return MUR_ERR;
	return MUR_OK;
}

/* A role name as the statement gives it: only a plain name (not
 * CURRENT_USER, PUBLIC …). */
static int role_name(sql_ctx *c, const PgQuery__RoleSpec *rs, char *out)
{
	if (!rs || rs->roletype != PG_QUERY__ROLE_SPEC_TYPE__ROLESPEC_CSTRING)
		return sql_err(c, SQLSTATE_FEATURE_NOT_SUPPORTED, rs ? rs->location : -1,
			       "murphy supports only role names here");
	if (strlen(rs->rolename) >= CAT_NAME_MAX)
		return sql_err(c, SQLSTATE_NAME_TOO_LONG, rs->location,
			       "role name \"%s\" is too long", rs->rolename);
	strcpy(out, rs->rolename);
	return MUR_OK;
}

static void role_init(plan *p, cat_role_action action, const char *tag)
{
	p->kind = PLAN_ROLE;
	p->tag = tag;
	memset(&p->u.role, 0, sizeof p->u.role);
	p->u.role.action = action;
	p->u.role.login = -1;
	p->u.role.superuser = -1;
}

int sql_plan_create_role(sql_ctx *c, PgQuery__CreateRoleStmt *s, plan *p)
{
	plan_role *r = &p->u.role;
	if (s->stmt_type == PG_QUERY__ROLE_STMT_TYPE__ROLESTMT_GROUP)
		return sql_err(c, SQLSTATE_FEATURE_NOT_SUPPORTED, -1,
			       "murphy does not support CREATE GROUP");
	role_init(p, CAT_ROLE_CREATE, "CREATE ROLE");
	if (strlen(s->role) >= CAT_NAME_MAX)
		return sql_err(c, SQLSTATE_NAME_TOO_LONG, -1, "role name \"%s\" is too long",
			       s->role);
	strcpy(r->names[0], s->role);
	r->nnames = 1;
	if (role_options(c, s->n_options, s->options, r) != MUR_OK)
		return MUR_ERR;
	if (r->login < 0) /* CREATE USER logs in by default, CREATE ROLE does not */
		r->login = s->stmt_type == PG_QUERY__ROLE_STMT_TYPE__ROLESTMT_USER;
	if (r->superuser < 0)
		r->superuser = 0;
	return MUR_OK;
}

int sql_plan_alter_role(sql_ctx *c, PgQuery__AlterRoleStmt *s, plan *p)
{
	plan_role *r = &p->u.role;
	role_init(p, CAT_ROLE_ALTER, "ALTER ROLE");
	if (role_name(c, s->role, r->names[0]) != MUR_OK)
		return MUR_ERR;
	r->nnames = 1;
	return role_options(c, s->n_options, s->options, r);
}

int sql_plan_drop_role(sql_ctx *c, PgQuery__DropRoleStmt *s, plan *p)
{
	plan_role *r = &p->u.role;
	role_init(p, CAT_ROLE_DROP, "DROP ROLE");
	if (s->n_roles > CAT_ROLE_CHANGE_NAMES_MAX)
		return sql_err(c, SQLSTATE_PROGRAM_LIMIT_EXCEEDED, -1,
			       "murphy drops at most %d roles in one statement",
			       CAT_ROLE_CHANGE_NAMES_MAX);
	r->if_exists = s->missing_ok;
	for (size_t i = 0; i < s->n_roles; i++)
		if (role_name(c, s->roles[i]->role_spec, r->names[r->nnames++]) != MUR_OK)
			return MUR_ERR;
	return MUR_OK;
}

static int grant_priv(sql_ctx *c, const PgQuery__AccessPriv *ap, unsigned *privs)
{
	static const struct {
		const char *name;
		unsigned bit;
	} names[] = {{"select", CAT_PRIV_SELECT},
		     {"insert", CAT_PRIV_INSERT},
		     {"update", CAT_PRIV_UPDATE},
		     {"delete", CAT_PRIV_DELETE}};
	if (ap->n_cols)
		return sql_err(c, SQLSTATE_FEATURE_NOT_SUPPORTED, -1,
			       "murphy does not support column privileges yet");
	for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
		if (!strcmp(ap->priv_name, names[i].name)) {
			*privs |= names[i].bit;
			return MUR_OK;
		}
	return sql_err(c, SQLSTATE_FEATURE_NOT_SUPPORTED, -1,
		       "murphy does not support the privilege %s yet", ap->priv_name);
}

static int grant_role(sql_ctx *c, const PgQuery__RoleSpec *rs, char *out)
{
	if (rs && rs->roletype == PG_QUERY__ROLE_SPEC_TYPE__ROLESPEC_PUBLIC) {
		strcpy(out, CAT_ROLE_PUBLIC);
		return MUR_OK;
	}
	return role_name(c, rs, out);
}

/* ON SCHEMA s, …: USAGE only (ALL would grant CREATE too), on created
 * schemas; the ids go where a table's would. */
static int grant_schemas(sql_ctx *c, PgQuery__GrantStmt *s, cat_grant_change *g)
{
	g->privs = CAT_PRIV_USAGE;
	for (size_t i = 0; i < s->n_privileges; i++) {
		const PgQuery__AccessPriv *ap = s->privileges[i]->access_priv;
		if (strcmp(ap->priv_name, "usage") != 0)
			return sql_err(c, SQLSTATE_FEATURE_NOT_SUPPORTED, -1,
				       "murphy does not support GRANT / REVOKE %s ON SCHEMA: "
				       "only USAGE (creating tables needs a superuser)",
				       ap->priv_name);
	}
	if (!s->n_privileges)
		return sql_err(c, SQLSTATE_FEATURE_NOT_SUPPORTED, -1,
			       "murphy does not support GRANT / REVOKE ALL ON SCHEMA: only USAGE "
			       "(creating tables needs a superuser)");
	for (size_t i = 0; i < s->n_objects; i++) {
		const char *name = s->objects[i]->string->sval;
		uint32_t id = c->cat ? cat_schema_id(c->cat, name) : 0;
		if (!id && (!c->cat || !cat_schema_exists(c->cat, name)))
			return sql_err(c, SQLSTATE_INVALID_SCHEMA_NAME, -1,
				       "schema \"%s\" does not exist", name);
		if (!id)
			return sql_err(c, SQLSTATE_FEATURE_NOT_SUPPORTED, -1,
				       "murphy does not support GRANT / REVOKE on built-in schema "
				       "\"%s\" (every role keeps USAGE on it)",
				       name);
		g->table_ids[g->ntables++] = id;
	}
	return MUR_OK;
}

int sql_plan_grant(sql_ctx *c, PgQuery__GrantStmt *s, plan *p)
{
	cat_grant_change *g = &p->u.grant;
	int schemas = s->objtype == PG_QUERY__OBJECT_TYPE__OBJECT_SCHEMA;
	p->kind = PLAN_GRANT;
	p->tag = s->is_grant ? "GRANT" : "REVOKE";
	memset(g, 0, sizeof *g);
	g->is_grant = s->is_grant;
	if ((s->objtype != PG_QUERY__OBJECT_TYPE__OBJECT_TABLE && !schemas) ||
	    s->targtype != PG_QUERY__GRANT_TARGET_TYPE__ACL_TARGET_OBJECT || s->grant_option)
		return sql_err(c, SQLSTATE_FEATURE_NOT_SUPPORTED, -1,
			       "murphy supports only GRANT / REVOKE of table privileges on "
			       "named tables and of USAGE on schemas, without GRANT OPTION");
	if (s->n_objects > CAT_GRANT_ITEMS_MAX || s->n_grantees > CAT_GRANT_ITEMS_MAX)
		return sql_err(c, SQLSTATE_PROGRAM_LIMIT_EXCEEDED, -1,
			       "murphy grants on at most %d tables to at most %d roles at once",
			       CAT_GRANT_ITEMS_MAX, CAT_GRANT_ITEMS_MAX);
	if (schemas && grant_schemas(c, s, g) != MUR_OK)
		return MUR_ERR;
	for (size_t i = 0; i < s->n_grantees; i++)
		if (grant_role(c, s->grantees[i]->role_spec, g->roles[g->nroles++]) != MUR_OK)
			return MUR_ERR;
	if (schemas)
		return MUR_OK;
	g->privs = s->n_privileges ? 0 : CAT_PRIV_ALL; /* none listed: ALL */
	for (size_t i = 0; i < s->n_privileges; i++)
		if (grant_priv(c, s->privileges[i]->access_priv, &g->privs) != MUR_OK)
			return MUR_ERR;
	for (size_t i = 0; i < s->n_objects; i++) {
		PgQuery__RangeVar *rv = s->objects[i]->range_var;
		const char *schema = rv->schemaname && *rv->schemaname ? rv->schemaname : NULL;
		const cat_view *v = c->cat ? cat_view_lookup(c->cat, schema, rv->relname) : NULL;
		const cat_table *t = v ? NULL : sql_lookup_table_for(c, rv, 0);
		if (!v && !t)
			return MUR_ERR;
		g->table_ids[g->ntables++] = v ? v->id : t->id; /* a view's: analyze_view.c */
	}
	return MUR_OK;
}
