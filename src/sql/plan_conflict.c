/*
 * plan_conflict.c — the arbiter of INSERT ... ON CONFLICT, as PostgreSQL
 * infers it (optimizer/util/plancat.c, infer_arbiter_indexes).
 *
 * ON CONFLICT (cols) names a unique key by its columns: the set of cols
 * (duplicates allowed, order free) must equal the column set of the
 * primary key or of one unique index / UNIQUE constraint, else 42P10
 * "there is no unique or exclusion constraint matching the ON CONFLICT
 * specification" (a partial list such as (a) for UNIQUE (a, b) too).
 * ON CONFLICT ON CONSTRAINT name names it directly: the primary key
 * (t_pkey) or a UNIQUE constraint; 42704 for no such constraint, 42809
 * for one without an index (CHECK, FOREIGN KEY).  Both apply to DO
 * NOTHING and DO UPDATE alike; the caller (plan_dml.c) adds murphy's own
 * rules (the distribution column) afterwards.
 */
#include "sql/sqlInt.h"

#include <stdio.h>
#include <string.h>

/* 1 when cols[0..n) (column indexes of t) as a set equals t's primary
 * key's column set. */
static int matches_primary_key(const cat_table *t, const int *cols, int n)
{
	int npk = 0, seen = 0;
	for (int i = 0; i < t->ncols; i++) {
		int in = 0;
		for (int k = 0; k < n && !in; k++)
			in = cols[k] == i;
		npk += t->cols[i].primary_key;
		seen += in;
		if (in != t->cols[i].primary_key)
			return 0;
	}
	return npk > 0 && seen == npk;
}

/* 1 when cols as a set equals the column set of the index x of t. */
static int matches_index(const cat_table *t, const cat_index *x, const int *cols, int n)
{
	for (int k = 0; k < n; k++) {
		int in = 0;
		for (int j = 0; j < x->ncols && !in; j++)
			in = !strcmp(x->cols[j], t->cols[cols[k]].name);
		if (!in)
			return 0;
	}
	for (int j = 0; j < x->ncols; j++) {
		int in = 0;
		for (int k = 0; k < n && !in; k++)
			in = !strcmp(x->cols[j], t->cols[cols[k]].name);
		if (!in)
			return 0;
	}
	return 1;
}

int sql_conflict_infer(sql_ctx *c, const cat_table *t, const int *cols, int n)
{
	if (matches_primary_key(t, cols, n))
		return MUR_OK;
	for (int i = 0; c->cat && i < cat_index_count(c->cat); i++) {
		const cat_index *x = cat_index_at(c->cat, i);
		if (x && x->table_id == t->id && x->unique && matches_index(t, x, cols, n))
			return MUR_OK;
	}
	if (!c->cat) /* no catalog to infer from (unit planning): the shard decides */
		return MUR_OK;
	return sql_err(c, SQLSTATE_INVALID_COLUMN_REFERENCE, -1,
		       "there is no unique or exclusion constraint matching the ON CONFLICT "
		       "specification");
}

int sql_conflict_constraint(sql_ctx *c, const cat_table *t, const char *name, int *cols, int *ncols)
{
	char pk[CAT_NAME_MAX + 8];
	uint32_t id = 0;
	char kind = c->cat ? cat_constraint_find(c->cat, t, name, &id) : 0;
	snprintf(pk, sizeof pk, "%s_pkey", t->name);
	*ncols = 0;
	if (!kind && !strcmp(name, pk))
		kind = 'p'; /* a reference table's key: cat_constraint_find names distributed ones */
	for (int i = 0; kind == 'p' && i < t->ncols; i++)
		if (t->cols[i].primary_key)
			cols[(*ncols)++] = i;
	for (int i = 0; kind == 'u' && i < cat_index_count(c->cat); i++) {
		const cat_index *x = cat_index_at(c->cat, i);
		for (int j = 0; x && x->id == id && j < x->ncols; j++)
			if (cat_column_index(t, x->cols[j]) >= 0)
				cols[(*ncols)++] = cat_column_index(t, x->cols[j]);
	}
	if (*ncols)
		return MUR_OK;
	if (kind == 'c' || kind == 'f')
		return sql_err(c, SQLSTATE_WRONG_OBJECT_TYPE, -1,
			       "constraint in ON CONFLICT clause has no associated index");
	return sql_err(c, SQLSTATE_UNDEFINED_OBJECT, -1,
		       "constraint \"%s\" for table \"%s\" does not exist", name, t->name);
}
