/*
 * plan_fkey.c — foreign keys in the planner (catalog/catalog_fkey.h;
 * docs/decisions.md, "Foreign keys").
 *
 * CREATE TABLE ... REFERENCES p [(b)] and FOREIGN KEY (a) REFERENCES
 * p [(b)]: sql_fkey_build checks one constraint against the table as it
 * will be and fills a cat_fkey the leader adds with the table.  Allowed:
 * one column; p's primary key column (PostgreSQL also takes any unique
 * column; murphy knows only the primary key in its catalog: 0A000 for
 * another column, 42704 as PostgreSQL without a primary key); NO ACTION or
 * RESTRICT (ON DELETE also CASCADE and SET NULL); and a pair a shard can hold together, as Citus keeps them:
 * any table → a reference table, and hash → hash co-located (same shard
 * count, the key on both distribution columns).  The rest is 0A000 naming
 * why and what to do.
 *
 * ON DELETE CASCADE and SET NULL are the leader's too: a DELETE of p then
 * deletes (or sets to NULL) t's rows of each deleted key, in the same
 * transaction.
 *
 * An UPDATE that sets a referencing column (but to NULL) returns its new
 * rows to the leader too, which checks them as an INSERT's before the
 * transaction commits.
 *
 * The statements that would break a key are refused here (0A000, or
 * PostgreSQL's own error): UPDATE of a referenced column,
 * DELETE ... RETURNING / USING of a referenced table, COPY into a
 * referencing table, TRUNCATE of a referenced table without its
 * referencing ones, DROP TABLE of a referenced one without CASCADE.
 * INSERT into a referencing table and DELETE from a referenced one are
 * checked by the leader (lead_fkey.c); a DELETE from a referenced table
 * returns the referenced columns' values to it (sql_fkey_delete appends
 * them to the shard SQL's RETURNING).
 */
#include "catalog/catalog_fkey.h"
#include "sql/sqlInt.h"

#include <stdio.h>
#include <string.h>

#define SQLSTATE_FK_VIOLATION "23503"
#define SQLSTATE_INVALID_FK "42830"
#define SQLSTATE_DEPENDENT_OBJECTS "2BP01"

static int refuse(sql_ctx *c, int loc, const char *what, const char *hint)
{
	sql_err(c, SQLSTATE_FEATURE_NOT_SUPPORTED, loc, "murphy does not support %s", what);
	if (hint)
		mur_error_hint(c->err, "%s", hint);
	return MUR_ERR;
}

static const char *str_of(PgQuery__Node *n)
{
	return n && n->node_case == PG_QUERY__NODE__NODE_STRING ? n->string->sval : "";
}

/* The primary key column of p when it has exactly one, else -1. */
static int single_pk(const cat_table *p)
{
	int col = -1;
	for (int i = 0; i < p->ncols; i++)
		if (p->cols[i].primary_key) {
			if (col >= 0)
				return -1;
			col = i;
		}
	return col;
}

static int int_type(mur_type t) { return t == MT_INT2 || t == MT_INT4 || t == MT_INT8; }

static int action(sql_ctx *c, const char *a, const char *on, int loc, char *out)
{
	char what[64];
	if (!a || !*a || *a == 'a' || *a == 'r' ||
	    (!strcmp(on, "DELETE") && (*a == 'c' || *a == 'n'))) {
		*out = a && *a ? *a : CAT_FK_NO_ACTION;
		return MUR_OK;
	}
	snprintf(what, sizeof what, "ON %s %s in foreign keys yet", on,
		 *a == 'c'   ? "CASCADE"
		 : *a == 'n' ? "SET NULL"
			     : "SET DEFAULT");
	return refuse(c, loc, what,
		      "Use NO ACTION (the default) or RESTRICT; ON DELETE also takes CASCADE and "
		      "SET NULL.");
}

/* Where t (the referencing table) and p may pair: 0A000 otherwise. */
static int placement_check(sql_ctx *c, const cat_table *t, int col, const cat_table *p, int ref,
			   int loc)
{
	char hint[512];
	uint32_t tn = t->nshards ? t->nshards : CAT_DEFAULT_SHARDS;
	uint32_t pn = p->nshards ? p->nshards : CAT_DEFAULT_SHARDS;
	if (cat_table_is_reference(p))
		return MUR_OK;
	snprintf(hint, sizeof hint,
		 "Make \"%s\" a reference table (WITH (distribution = 'reference')), or "
		 "distribute \"%s\" by the referencing column with %u shards, as \"%s\".",
		 p->name, t->name, pn, p->name);
	if (cat_table_is_reference(t))
		return refuse(c, loc, "a foreign key from a reference table to a distributed table",
			      hint);
	if (cat_table_is_range(t) || cat_table_is_range(p))
		return refuse(c, loc, "foreign keys between range-partitioned tables yet", hint);
	if (tn != pn || (t->range_order != NULL) != (p->range_order != NULL) ||
	    col != t->dist_col || ref != p->dist_col)
		return refuse(c, loc,
			      "a foreign key between distributed tables that are not co-located "
			      "on the key",
			      hint);
	return MUR_OK;
}

int sql_fkey_build(sql_ctx *c, const cat_table *t, int col, PgQuery__Constraint *k, cat_fkey *out)
{
	const cat_table *p;
	int ref;
	memset(out, 0, sizeof *out);
	if (k->n_fk_attrs > 1 || k->n_pk_attrs > 1)
		return refuse(c, k->location, "foreign keys over several columns yet", NULL);
	if (k->deferrable || k->initdeferred)
		return refuse(c, k->location, "DEFERRABLE foreign keys yet", NULL);
	if (k->skip_validation)
		return refuse(c, k->location, "NOT VALID foreign keys yet", NULL);
	if (k->fk_matchtype && *k->fk_matchtype == 'p')
		return refuse(c, k->location, "MATCH PARTIAL", NULL);
	if (col < 0) {
		const char *name = k->n_fk_attrs ? str_of(k->fk_attrs[0]) : "";
		if ((col = cat_column_index(t, name)) < 0)
			return sql_err(c, SQLSTATE_UNDEFINED_COLUMN, k->location,
				       "column \"%s\" referenced in foreign key constraint does "
				       "not exist",
				       name);
	}
	if (t->cols[col].identity ||
	    (t->cols[col].default_sql && strstr(t->cols[col].default_sql, "murphy_nextval(")))
		return refuse(c, k->location, "a foreign key on a column a sequence fills yet",
			      NULL);
	if (k->pktable && !strcmp(k->pktable->relname, t->name))
		return refuse(c, k->location, "a foreign key referencing its own table yet", NULL);
	if (action(c, k->fk_del_action, "DELETE", k->location, &out->on_delete) != MUR_OK ||
	    action(c, k->fk_upd_action, "UPDATE", k->location, &out->on_update) != MUR_OK)
		return MUR_ERR;
	if (!(p = sql_lookup_table(c, k->pktable)))
		return MUR_ERR;
	if (p->kind != CAT_TABLE_DISTRIBUTED)
		return sql_err(c, "42809", k->location, "referenced relation \"%s\" is not a table",
			       p->name);
	if (k->n_pk_attrs) {
		const char *name = str_of(k->pk_attrs[0]);
		if ((ref = cat_column_index(p, name)) < 0)
			return sql_err(c, SQLSTATE_UNDEFINED_COLUMN, k->location,
				       "column \"%s\" referenced in foreign key constraint does "
				       "not exist",
				       name);
		if (ref != single_pk(p))
			return refuse(c, k->location,
				      "a foreign key to a column other than the referenced "
				      "table's primary key yet",
				      "Reference the primary key of the table.");
	} else if ((ref = single_pk(p)) < 0) {
		for (int i = 0; i < p->ncols; i++)
			if (p->cols[i].primary_key)
				return sql_err(c, SQLSTATE_INVALID_FK, k->location,
					       "number of referencing and referenced columns for "
					       "foreign key disagree");
		return sql_err(c, "42704", k->location,
			       "there is no primary key for referenced table \"%s\"", p->name);
	}
	if (k->conname && *k->conname)
		snprintf(out->name, sizeof out->name, "%s", k->conname);
	else if (snprintf(out->name, sizeof out->name, "%.*s_%.*s_fkey", 28, t->name, 28,
			  t->cols[col].name) < 0)
		return MUR_ERR;
	if (t->cols[col].type != p->cols[ref].type &&
	    !(int_type(t->cols[col].type) && int_type(p->cols[ref].type)) &&
	    !(mur_type_is_text(t->cols[col].type) && mur_type_is_text(p->cols[ref].type))) {
		sql_err(c, SQLSTATE_DATATYPE_MISMATCH, k->location,
			"foreign key constraint \"%s\" cannot be implemented", out->name);
		mur_error_detail(c->err, "Key columns \"%s\" and \"%s\" are of incompatible types.",
				 t->cols[col].name, p->cols[ref].name);
		return MUR_ERR;
	}
	if (placement_check(c, t, col, p, ref, k->location) != MUR_OK)
		return MUR_ERR;
	out->table_id = t->id;
	out->col = col;
	out->ref_table_id = p->id;
	out->ref_col = ref;
	return MUR_OK;
}

/* ---- statements that would break a key ---- */

/* 1 when the SET list sets column col of t (to NULL only: 2). */
static int sets_col(PgQuery__Node **list, size_t n_list, const cat_table *t, int col)
{
	for (size_t i = 0; i < n_list; i++) {
		PgQuery__Node *n = list[i];
		PgQuery__Node *v;
		if (n->node_case != PG_QUERY__NODE__NODE_RES_TARGET ||
		    strcmp(n->res_target->name, t->cols[col].name))
			continue;
		v = n->res_target->val;
		return v && v->node_case == PG_QUERY__NODE__NODE_A_CONST && v->a_const->isnull ? 2
											       : 1;
	}
	return 0;
}

static int updates_col(PgQuery__UpdateStmt *u, const cat_table *t, int col)
{
	return u ? sets_col(u->target_list, u->n_target_list, t, col) : 0;
}

/* INSERT ... ON CONFLICT DO UPDATE: its SET is not checked (yet). */
int sql_fkey_upsert(sql_ctx *c, const cat_table *t, PgQuery__OnConflictClause *oc)
{
	for (int i = 0; c->cat && i < cat_fkey_count(c->cat); i++) {
		const cat_fkey *k = cat_fkey_at(c->cat, i);
		if (k && ((k->table_id == t->id &&
			   sets_col(oc->target_list, oc->n_target_list, t, k->col) == 1) ||
			  (k->ref_table_id == t->id &&
			   sets_col(oc->target_list, oc->n_target_list, t, k->ref_col))))
			return refuse(c, -1, "ON CONFLICT DO UPDATE of a foreign key's column yet",
				      NULL);
	}
	return MUR_OK;
}

/* shard_sql returns every column of the rows it changes (the leader
 * checks them, lead_fkey.c): how (PLAN_FK_*). */
static int return_rows(sql_ctx *c, plan_modify *pm, int how)
{
	mur_buf b;
	mur_buf_init(&b);
	mur_buf_printf(&b, "%s RETURNING ", pm->shard_sql);
	for (int j = 0; j < pm->table->ncols; j++) {
		mur_buf_printf(&b, j ? ", " : "");
		sql_emit_ident(&b, pm->table->cols[j].name);
	}
	pm->fk_returning = how;
	return (pm->shard_sql = sql_buf_finish(c, &b)) ? MUR_OK : MUR_ERR;
}

int sql_fkey_update(sql_ctx *c, plan *p, PgQuery__UpdateStmt *u)
{
	plan_modify *pm = &p->u.modify;
	const cat_table *t = pm->table;
	int check = 0;
	for (int i = 0; c->cat && i < cat_fkey_count(c->cat); i++) {
		const cat_fkey *k = cat_fkey_at(c->cat, i);
		if (k && k->ref_table_id == t->id && updates_col(u, t, k->ref_col))
			return refuse(c, -1, "UPDATE of a column other tables reference yet",
				      "INSERT the new key, move the referencing rows, then DELETE "
				      "the old key.");
		if (!k || k->table_id != t->id || updates_col(u, t, k->col) != 1)
			continue;
		if (pm->nreturning || pm->source)
			return refuse(c, -1,
				      pm->source ? "UPDATE ... FROM of a foreign key's column yet"
						 : "UPDATE ... RETURNING of a foreign key's column "
						   "yet",
				      NULL);
		check = 1;
	}
	return check ? return_rows(c, pm, PLAN_FK_NEW_ROWS) : MUR_OK;
}

int sql_fkey_delete(sql_ctx *c, plan *p)
{
	plan_modify *pm = &p->u.modify;
	const cat_table *t = pm->table;
	int any = 0;
	for (int i = 0; c->cat && i < cat_fkey_count(c->cat); i++) {
		const cat_fkey *k = cat_fkey_at(c->cat, i);
		if (!k || k->ref_table_id != t->id)
			continue;
		if (pm->nreturning || pm->source)
			return refuse(c, -1,
				      pm->source ? "DELETE ... USING on a table other tables "
						   "reference yet"
						 : "DELETE ... RETURNING on a table other tables "
						   "reference yet",
				      NULL);
		any = 1;
	}
	return any ? return_rows(c, pm, PLAN_FK_DELETED_ROWS) : MUR_OK;
}

/* 1 when t has a key in the catalog (as referencing table). */
static const cat_fkey *referencing(const catalog *cat, uint32_t table_id)
{
	for (int i = 0; cat && i < cat_fkey_count(cat); i++) {
		const cat_fkey *k = cat_fkey_at(cat, i);
		if (k && k->table_id == table_id)
			return k;
	}
	return NULL;
}

int sql_fkey_copy(sql_ctx *c, const cat_table *t)
{
	if (referencing(c->cat, t->id))
		return refuse(c, -1, "COPY FROM into a table with foreign keys yet",
			      "INSERT the rows (each INSERT is checked), or COPY before "
			      "ALTER TABLE ... ADD CONSTRAINT ... FOREIGN KEY.");
	return MUR_OK;
}

int sql_fkey_truncate(sql_ctx *c, const cat_table **tables, int n)
{
	for (int i = 0; c->cat && i < cat_fkey_count(c->cat); i++) {
		const cat_fkey *k = cat_fkey_at(c->cat, i);
		int has_ref = 0, has_child = 0;
		const cat_table *child;
		for (int j = 0; k && j < n; j++) {
			has_ref |= tables[j]->id == k->ref_table_id;
			has_child |= tables[j]->id == k->table_id;
		}
		if (!has_ref || has_child)
			continue;
		child = cat_table_by_id((catalog *)c->cat, k->table_id);
		sql_err(c, SQLSTATE_FEATURE_NOT_SUPPORTED, -1,
			"cannot truncate a table referenced in a foreign key constraint");
		mur_error_detail(c->err, "Table \"%s\" references \"%s\".", child->name,
				 cat_table_by_id((catalog *)c->cat, k->ref_table_id)->name);
		mur_error_hint(c->err,
			       "Truncate table \"%s\" at the same time, or use TRUNCATE ... "
			       "CASCADE.",
			       child->name);
		return MUR_ERR;
	}
	return MUR_OK;
}

int sql_fkey_drop(sql_ctx *c, const cat_table *t, const cat_table **dropped, int n)
{
	for (int i = 0; c->cat && i < cat_fkey_count(c->cat); i++) {
		const cat_fkey *k = cat_fkey_at(c->cat, i);
		const cat_table *child;
		int with = 0;
		for (int j = 0; k && j < n; j++)
			with |= dropped[j] && dropped[j]->id == k->table_id;
		if (!k || k->ref_table_id != t->id || with)
			continue;
		child = cat_table_by_id((catalog *)c->cat, k->table_id);
		sql_err(c, SQLSTATE_DEPENDENT_OBJECTS, -1,
			"cannot drop table %s because other objects depend on it", t->name);
		mur_error_detail(c->err, "constraint %s on table %s depends on table %s", k->name,
				 child->name, t->name);
		mur_error_hint(c->err, "Use DROP ... CASCADE to drop the dependent objects too.");
		return MUR_ERR;
	}
	return MUR_OK;
}

/* ---- ALTER TABLE ---- */

int sql_fkey_alter_add(sql_ctx *c, const cat_table *t, PgQuery__Constraint *k, plan *p)
{
	plan_alter *pa = &p->u.alter;
	const cat_table *parent;
	mur_buf b;
	memset(pa, 0, sizeof *pa);
	p->kind = PLAN_ALTER;
	p->tag = "ALTER TABLE";
	pa->table = t;
	if (!(pa->fkey_add = sql_alloc(c, sizeof *pa->fkey_add)) ||
	    sql_fkey_build(c, t, -1, k, pa->fkey_add) != MUR_OK)
		return MUR_ERR;
	if (cat_fkey_find(c->cat, t->id, pa->fkey_add->name))
		return sql_err(c, "42710", k->location,
			       "constraint \"%s\" for relation \"%s\" already exists",
			       pa->fkey_add->name, t->name);
	parent = cat_table_by_id((catalog *)c->cat, pa->fkey_add->ref_table_id);
	/* a referencing value its parent lacks: co-located or reference, so
	 * the join runs inside each shard */
	mur_buf_init(&b);
	mur_buf_printf(&b, "SELECT c.");
	sql_emit_ident(&b, t->cols[pa->fkey_add->col].name);
	mur_buf_printf(&b, " FROM ");
	sql_emit_ident(&b, t->name);
	mur_buf_printf(&b, " c LEFT JOIN ");
	sql_emit_ident(&b, parent->name);
	mur_buf_printf(&b, " r ON c.");
	sql_emit_ident(&b, t->cols[pa->fkey_add->col].name);
	mur_buf_printf(&b, " = r.");
	sql_emit_ident(&b, parent->cols[pa->fkey_add->ref_col].name);
	mur_buf_printf(&b, " WHERE r.");
	sql_emit_ident(&b, parent->cols[pa->fkey_add->ref_col].name);
	mur_buf_printf(&b, " IS NULL AND c.");
	sql_emit_ident(&b, t->cols[pa->fkey_add->col].name);
	mur_buf_printf(&b, " IS NOT NULL LIMIT 1");
	return (pa->validate_sql = sql_buf_finish(c, &b)) ? MUR_OK : MUR_ERR;
}

int sql_fkey_alter_drop(sql_ctx *c, const cat_table *t, PgQuery__AlterTableCmd *cmd, plan *p)
{
	plan_alter *pa = &p->u.alter;
	memset(pa, 0, sizeof *pa);
	p->kind = PLAN_ALTER;
	p->tag = "ALTER TABLE";
	pa->table = t;
	if (cmd->behavior == PG_QUERY__DROP_BEHAVIOR__DROP_CASCADE)
		return refuse(c, -1, "DROP CONSTRAINT ... CASCADE of a foreign key", NULL);
	pa->fkey_drop = cat_fkey_find(c->cat, t->id, cmd->name)->id;
	return MUR_OK;
}

const cat_table *sql_fkey_referencing(sql_ctx *c, const cat_table *t, int k)
{
	for (int i = 0; c->cat && i < cat_fkey_count(c->cat); i++) {
		const cat_fkey *fk = cat_fkey_at(c->cat, i);
		if (fk && fk->ref_table_id == t->id && k-- == 0)
			return cat_table_by_id((catalog *)c->cat, fk->table_id);
	}
	return NULL;
}

int sql_fkey_has(sql_ctx *c, const cat_table *t) { return referencing(c->cat, t->id) != NULL; }
