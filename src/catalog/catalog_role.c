/*
 * catalog_role.c — roles: who may connect, and how they prove it
 * (catalog.h, "Roles").
 *
 * The roles live in an array in memory (a login looks one up on the
 * leader's loop; a few hundred at most, CAT_ROLES_MAX) and in the store's
 * roles table (name, login, superuser, verifier), loaded at open.  Each
 * change writes the store first and changes memory only when that
 * succeeded, so memory never holds a role the file would not give back
 * after a restart.  A memory-only catalog (tests) keeps them in memory.
 *
 * Table privileges (GRANT / REVOKE) live beside them: an array of (table
 * id, role, privilege bits) in memory and the store's grants table, the
 * same write-first rule; a dropped role's grants go with it.  USAGE on a
 * created schema is a row of the same kind under the schema's id
 * (CAT_PRIV_USAGE; catalog_schema.c, cat_schema_usage).
 *
 * Only verifiers are kept: cat_role_change_apply turns a statement's
 * password into its SCRAM-SHA-256 verifier (common/scram.h) before
 * anything is stored, and "" means the role has no password.
 */
#include "catalog/catalog_int.h"

#include "common/scram.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct cat_grant {
	uint32_t table_id;
	char role[CAT_NAME_MAX];
	unsigned privs;
};

static int grants_load(catalog *c, mur_error *err);

void cat_roles_free(catalog *c)
{
	free(c->roles);
	c->roles = NULL;
	c->nroles = c->roles_cap = 0;
	free(c->grants);
	c->grants = NULL;
	c->ngrants = c->grants_cap = 0;
}

static int role_index(const catalog *c, const char *name)
{
	for (int i = 0; i < c->nroles; i++)
		if (strcmp(c->roles[i].name, name) == 0)
			return i;
	return -1;
}

const cat_role *cat_role_get(const catalog *c, const char *name)
{
	int i = role_index(c, name);
	return i < 0 ? NULL : &c->roles[i];
}

int cat_role_count(const catalog *c) { return c->nroles; }

const cat_role *cat_role_at(const catalog *c, int i) { return &c->roles[i]; }

/* Room for one more role in memory: MUR_OK, or an error (54000, 53200). */
static int role_reserve(catalog *c, mur_error *err)
{
	cat_role *grown;
	int cap;
	if (c->nroles >= CAT_ROLES_MAX)
		return mur_error_set(err, SQLSTATE_PROGRAM_LIMIT_EXCEEDED,
				     "too many roles (at most %d)", CAT_ROLES_MAX);
	if (c->nroles < c->roles_cap)
		return MUR_OK;
	cap = c->roles_cap ? 2 * c->roles_cap : 8;
	if (!(grown = realloc(c->roles, (size_t)cap * sizeof *grown)))
		return mur_error_set(err, SQLSTATE_OUT_OF_MEMORY, "out of memory"), MUR_ENOMEM;
	c->roles = grown;
	c->roles_cap = cap;
	return MUR_OK;
}

static int role_store_put(catalog *c, const cat_role *r, mur_error *err)
{
	if (!c->store)
		return MUR_OK;
	return cat_store_run(c, "INSERT OR REPLACE INTO roles VALUES (?,?,?,?)", "siis", err,
			     r->name, (int64_t)r->login, (int64_t)r->superuser, r->verifier);
}

int cat_role_create(catalog *c, const cat_role *r, mur_error *err)
{
	if (role_index(c, r->name) >= 0)
		return mur_error_set(err, SQLSTATE_DUPLICATE_OBJECT, "role \"%s\" already exists",
				     r->name);
	if (role_reserve(c, err) != MUR_OK || role_store_put(c, r, err) != MUR_OK)
		return MUR_ERR;
	c->roles[c->nroles++] = *r;
	return MUR_OK;
}

int cat_role_alter(catalog *c, const cat_role *r, mur_error *err)
{
	int i = role_index(c, r->name);
	if (i < 0)
		return mur_error_set(err, SQLSTATE_UNDEFINED_OBJECT, "role \"%s\" does not exist",
				     r->name);
	if (role_store_put(c, r, err) != MUR_OK)
		return MUR_ERR;
	c->roles[i] = *r;
	return MUR_OK;
}

int cat_role_drop(catalog *c, const char *name, mur_error *err)
{
	int i = role_index(c, name);
	if (i < 0)
		return mur_error_set(err, SQLSTATE_UNDEFINED_OBJECT, "role \"%s\" does not exist",
				     name);
	if (c->store &&
	    (cat_store_run(c, "DELETE FROM roles WHERE name = ?", "s", err, name) != MUR_OK ||
	     cat_store_run(c, "DELETE FROM grants WHERE role = ?", "s", err, name) != MUR_OK))
		return MUR_ERR;
	c->roles[i] = c->roles[--c->nroles];
	for (int k = c->ngrants - 1; k >= 0; k--)
		if (strcmp(c->grants[k].role, name) == 0)
			c->grants[k] = c->grants[--c->ngrants];
	c->version++; /* plans checked against its grants are stale */
	return MUR_OK;
}

int cat_roles_load(catalog *c, mur_error *err)
{
	sqlite3_stmt *st;
	int rc = MUR_OK;
	if (sqlite3_prepare_v2(c->store, "SELECT name, login, superuser, verifier FROM roles", -1,
			       &st, NULL) != SQLITE_OK)
		return mur_error_set(err, SQLSTATE_IO_ERROR, "catalog store: load roles: %s",
				     sqlite3_errmsg(c->store));
	while (rc == MUR_OK && sqlite3_step(st) == SQLITE_ROW) {
		cat_role r;
		memset(&r, 0, sizeof r);
		snprintf(r.name, sizeof r.name, "%s", (const char *)sqlite3_column_text(st, 0));
		r.login = sqlite3_column_int(st, 1) != 0;
		r.superuser = sqlite3_column_int(st, 2) != 0;
		snprintf(r.verifier, sizeof r.verifier, "%s",
			 (const char *)sqlite3_column_text(st, 3));
		if ((rc = role_reserve(c, err)) == MUR_OK)
			c->roles[c->nroles++] = r;
	}
	sqlite3_finalize(st);
	return rc == MUR_OK ? grants_load(c, err) : rc;
}

/* The verifier a statement's PASSWORD asks for: kept when it already is
 * one (psql's \password sends one), '' or NULL clears it. */
static int role_password(const cat_role_change *ch, char *verifier, mur_error *err)
{
	mur_scram_verifier v;
	verifier[0] = 0;
	if (!ch->password || !ch->password[0])
		return MUR_OK;
	if (mur_scram_verifier_parse(ch->password, &v) == MUR_OK) {
		if (strlen(ch->password) >= CAT_VERIFIER_MAX)
			return mur_error_set(err, SQLSTATE_INVALID_PARAMETER_VALUE,
					     "password verifier too long");
		strcpy(verifier, ch->password);
		return MUR_OK;
	}
	if (mur_scram_verifier_make(ch->password, verifier, CAT_VERIFIER_MAX) != MUR_OK)
		return mur_error_set(err, SQLSTATE_INTERNAL_ERROR,
				     "could not compute the password's verifier");
	return MUR_OK;
}

static int role_denied(const char *what, mur_error *err)
{
	return mur_error_set(err, SQLSTATE_INSUFFICIENT_PRIVILEGE, "permission denied to %s", what);
}

static int role_create_from(catalog *c, const cat_role_change *ch, mur_error *err)
{
	cat_role r;
	if (strncmp(ch->names[0], "pg_", 3) == 0) { /* PostgreSQL's own roles' prefix */
		mur_error_set(err, SQLSTATE_RESERVED_NAME, "role name \"%s\" is reserved",
			      ch->names[0]);
		mur_error_detail(err, "Role names starting with \"pg_\" are reserved.");
		return MUR_ERR;
	}
	memset(&r, 0, sizeof r);
	snprintf(r.name, sizeof r.name, "%s", ch->names[0]);
	r.login = ch->login > 0;
	r.superuser = ch->superuser > 0;
	if (ch->password_set && role_password(ch, r.verifier, err) != MUR_OK)
		return MUR_ERR;
	return cat_role_create(c, &r, err);
}

static int role_alter_from(catalog *c, const cat_role_change *ch, const char *by, int superuser,
			   mur_error *err)
{
	const cat_role *old = cat_role_get(c, ch->names[0]);
	cat_role r;
	if (!old) /* PostgreSQL's order and messages (15, without CREATEROLE) */
		return mur_error_set(err, SQLSTATE_UNDEFINED_OBJECT, "role \"%s\" does not exist",
				     ch->names[0]);
	if (!superuser && (old->superuser || ch->superuser >= 0))
		return mur_error_set(err, SQLSTATE_INSUFFICIENT_PRIVILEGE,
				     "must be superuser to alter superuser roles or change "
				     "superuser attribute");
	if (!superuser && (strcmp(ch->names[0], by) != 0 || ch->login >= 0))
		return mur_error_set(err, SQLSTATE_INSUFFICIENT_PRIVILEGE, "permission denied");
	r = *old;
	if (ch->login >= 0)
		r.login = ch->login;
	if (ch->superuser >= 0)
		r.superuser = ch->superuser;
	if (ch->password_set && role_password(ch, r.verifier, err) != MUR_OK)
		return MUR_ERR;
	return cat_role_alter(c, &r, err);
}

static int role_drop_from(catalog *c, const cat_role_change *ch, const char *by, int *skipped,
			  mur_error *err)
{
	for (int i = 0; i < ch->nnames; i++) /* check every name before dropping any */
		if (strcmp(ch->names[i], by) == 0)
			return mur_error_set(err, SQLSTATE_OBJECT_IN_USE,
					     "current user cannot be dropped");
		else if (!cat_role_get(c, ch->names[i]) && !ch->if_exists)
			return mur_error_set(err, SQLSTATE_UNDEFINED_OBJECT,
					     "role \"%s\" does not exist", ch->names[i]);
	for (int i = 0; i < ch->nnames; i++) {
		if (!cat_role_get(c, ch->names[i])) {
			(*skipped)++;
			continue;
		}
		if (cat_role_drop(c, ch->names[i], err) != MUR_OK)
			return MUR_ERR;
	}
	return MUR_OK;
}

int cat_role_change_apply(catalog *c, const cat_role_change *ch, const char *by, int superuser,
			  int *skipped, mur_error *err)
{
	*skipped = 0;
	switch (ch->action) {
	case CAT_ROLE_CREATE:
		return superuser ? role_create_from(c, ch, err) : role_denied("create role", err);
	case CAT_ROLE_ALTER:
		return role_alter_from(c, ch, by, superuser, err);
	case CAT_ROLE_DROP:
		return superuser ? role_drop_from(c, ch, by, skipped, err)
				 : role_denied("drop role", err);
	}
	return mur_error_set(err, SQLSTATE_INTERNAL_ERROR, "unknown role action");
}

int cat_role_bootstrap(catalog *c, const char *name, const char *password, int *created,
		       mur_error *err)
{
	cat_role_change ch;
	int skipped;
	*created = 0;
	if (c->nroles > 0)
		return MUR_OK;
	memset(&ch, 0, sizeof ch);
	ch.action = CAT_ROLE_CREATE;
	ch.nnames = 1;
	snprintf(ch.names[0], sizeof ch.names[0], "%s", name);
	ch.login = ch.superuser = 1;
	ch.password_set = 1;
	ch.password = password;
	if (cat_role_change_apply(c, &ch, name, 1, &skipped, err) != MUR_OK)
		return MUR_ERR;
	*created = 1;
	return MUR_OK;
}

static int grant_index(const catalog *c, uint32_t table_id, const char *role)
{
	for (int i = 0; i < c->ngrants; i++)
		if (c->grants[i].table_id == table_id && strcmp(c->grants[i].role, role) == 0)
			return i;
	return -1;
}

/* Set the privileges of (table_id, role) to privs (0 removes the entry). */
static int grant_set(catalog *c, uint32_t table_id, const char *role, unsigned privs,
		     mur_error *err)
{
	int i = grant_index(c, table_id, role);
	if (i < 0 && privs) {
		struct cat_grant *grown;
		if (c->ngrants >= CAT_GRANTS_MAX)
			return mur_error_set(err, SQLSTATE_PROGRAM_LIMIT_EXCEEDED,
					     "too many grants (at most %d)", CAT_GRANTS_MAX);
		if (c->ngrants == c->grants_cap) {
			int cap = c->grants_cap ? 2 * c->grants_cap : 16;
			if (!(grown = realloc(c->grants, (size_t)cap * sizeof *grown)))
				return mur_error_set(err, SQLSTATE_OUT_OF_MEMORY, "out of memory"),
				       MUR_ENOMEM;
			c->grants = grown;
			c->grants_cap = cap;
		}
	}
	if (c->store &&
	    (privs ? cat_store_run(c, "INSERT OR REPLACE INTO grants VALUES (?,?,?)", "isi", err,
				   (int64_t)table_id, role, (int64_t)privs)
		   : cat_store_run(c, "DELETE FROM grants WHERE table_id = ? AND role = ?", "is",
				   err, (int64_t)table_id, role)) != MUR_OK)
		return MUR_ERR;
	if (i < 0 && privs) {
		i = c->ngrants++;
		c->grants[i].table_id = table_id;
		snprintf(c->grants[i].role, sizeof c->grants[i].role, "%s", role);
	}
	if (i >= 0 && privs)
		c->grants[i].privs = privs;
	else if (i >= 0)
		c->grants[i] = c->grants[--c->ngrants];
	return MUR_OK;
}

int cat_grant_apply(catalog *c, const cat_grant_change *g, int superuser, mur_error *err)
{
	if (!superuser)
		return role_denied(g->is_grant ? "grant privileges" : "revoke privileges", err);
	for (int r = 0; r < g->nroles; r++)
		if (strcmp(g->roles[r], CAT_ROLE_PUBLIC) != 0 && !cat_role_get(c, g->roles[r]))
			return mur_error_set(err, SQLSTATE_UNDEFINED_OBJECT,
					     "role \"%s\" does not exist", g->roles[r]);
	for (int t = 0; t < g->ntables; t++)
		for (int r = 0; r < g->nroles; r++) {
			int i = grant_index(c, g->table_ids[t], g->roles[r]);
			unsigned had = i < 0 ? 0 : c->grants[i].privs;
			unsigned now = g->is_grant ? had | g->privs : had & ~g->privs;
			if (now != had &&
			    grant_set(c, g->table_ids[t], g->roles[r], now, err) != MUR_OK)
				return MUR_ERR;
		}
	c->version++;
	return MUR_OK;
}

int cat_allowed(const catalog *c, const char *role, int superuser, const cat_table *t,
		unsigned privs)
{
	return t->kind == CAT_TABLE_VIRTUAL || cat_allowed_id(c, role, superuser, t->id, privs);
}

int cat_grants_each(const catalog *c, uint32_t id,
		    void (*each)(void *arg, const char *role, unsigned privs), void *arg)
{
	int n = 0;
	for (int i = 0; i < c->ngrants; i++)
		if (c->grants[i].table_id == id && c->grants[i].privs) {
			each(arg, c->grants[i].role, c->grants[i].privs);
			n++;
		}
	return n;
}

int cat_allowed_id(const catalog *c, const char *role, int superuser, uint32_t id, unsigned privs)
{
	int mine, pub;
	unsigned have = 0;
	if (superuser)
		return 1;
	mine = grant_index(c, id, role);
	pub = grant_index(c, id, CAT_ROLE_PUBLIC);
	if (mine >= 0)
		have |= c->grants[mine].privs;
	if (pub >= 0)
		have |= c->grants[pub].privs;
	return (have & privs) == privs;
}

static int grants_load(catalog *c, mur_error *err)
{
	sqlite3_stmt *st;
	sqlite3 *store = c->store;
	int rc = MUR_OK;
	if (sqlite3_prepare_v2(store, "SELECT table_id, role, privs FROM grants", -1, &st, NULL) !=
	    SQLITE_OK)
		return mur_error_set(err, SQLSTATE_IO_ERROR, "catalog store: load grants: %s",
				     sqlite3_errmsg(store));
	c->store = NULL; /* the rows are stored already: into memory only */
	while (rc == MUR_OK && sqlite3_step(st) == SQLITE_ROW)
		rc = grant_set(c, (uint32_t)sqlite3_column_int64(st, 0),
			       (const char *)sqlite3_column_text(st, 1),
			       (unsigned)sqlite3_column_int64(st, 2), err);
	c->store = store;
	sqlite3_finalize(st);
	return rc;
}

void cat_grants_forget_table(catalog *c, uint32_t table_id)
{
	for (int k = c->ngrants - 1; k >= 0; k--)
		if (c->grants[k].table_id == table_id)
			c->grants[k] = c->grants[--c->ngrants];
}
