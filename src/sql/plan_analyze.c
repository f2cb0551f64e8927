/*
 * plan_analyze.c — ANALYZE [VERBOSE] [table [(column, ...)] [, ...]], and
 * VACUUM [ANALYZE] [table [, ...]].
 *
 * libpg_query gives both as a VacuumStmt (is_vacuumcmd tells them apart).
 * VACUUM has nothing to do in murphy: PostgreSQL's VACUUM reclaims dead
 * row versions, while a SQLite file reuses a deleted row's space at once
 * (its free pages go to the freelist).  So plain VACUUM checks that the
 * tables exist and is a no-op (PLAN_NOOP), and VACUUM ANALYZE is ANALYZE
 * (tag VACUUM).  The options that would promise something murphy does not
 * do (FULL: give the space back to the file system; FREEZE;
 * DISABLE_PAGE_SKIPPING; INDEX_CLEANUP; TRUNCATE; PARALLEL ...) are 0A000
 * naming the option; VERBOSE, SKIP_LOCKED and ANALYZE are accepted.  The plan (plan.h, plan_analyze) names each
 * table, the columns to measure and the shard SQL that measures them in
 * one scan of a shard:
 *
 *   SELECT count(*), mur_approx_count_distinct("a"), ... FROM main."t"
 *
 * The executor (leader/lead_analyze.c) runs it on a current copy of every
 * shard and keeps the results in the catalog (cat_table_set_stats).
 *
 * No table named: every distributed table (hash, reference and range) in
 * catalog order.  No column list: every column but the hidden row id.
 * Errors: 42P01 unknown table, 42703 unknown column, 0A000 for a murphy.*
 * view and for options other than VERBOSE and SKIP_LOCKED (accepted; they
 * change nothing here).
 */
#include "sql/sqlInt.h"

#include <stdio.h>
#include <string.h>

/* The options murphy honours (file comment); *analyze: VACUUM ANALYZE. */
static int check_options(sql_ctx *c, PgQuery__VacuumStmt *s, int *analyze)
{
	const char *what = s->is_vacuumcmd ? "VACUUM" : "ANALYZE";
	*analyze = !s->is_vacuumcmd;
	for (size_t i = 0; i < s->n_options; i++) {
		PgQuery__DefElem *d = s->options[i]->def_elem;
		if (!d || !strcmp(d->defname, "verbose") || !strcmp(d->defname, "skip_locked"))
			continue;
		if (s->is_vacuumcmd && !strcmp(d->defname, "analyze")) {
			*analyze = 1;
			continue;
		}
		sql_err(c, SQLSTATE_FEATURE_NOT_SUPPORTED, d->location,
			"murphy does not support %s option \"%s\"", what, d->defname);
		if (s->is_vacuumcmd)
			mur_error_detail(c->err,
					 "murphy's shard files are SQLite databases, which reuse "
					 "a deleted row's space at once: VACUUM has nothing to "
					 "reclaim, and murphy does not rewrite or freeze files.");
		return MUR_ERR;
	}
	return MUR_OK;
}

/* The columns of t named in va_cols (every visible column when none). */
static int analyze_columns(sql_ctx *c, const cat_table *t, PgQuery__Node **va_cols, size_t n,
			   plan_analyze_table *at)
{
	int *cols = sql_alloc(c, sizeof(int) * (size_t)(t->ncols + 1));
	if (!cols)
		return MUR_ERR;
	at->cols = cols;
	at->ncols = 0;
	if (n == 0) {
		for (int i = 0; i < t->ncols; i++)
			if (!t->cols[i].hidden)
				cols[at->ncols++] = i;
		return MUR_OK;
	}
	for (size_t i = 0; i < n; i++) {
		const char *name = va_cols[i]->node_case == PG_QUERY__NODE__NODE_STRING
					   ? va_cols[i]->string->sval
					   : "";
		int col = cat_column_index(t, name);
		if (col < 0)
			return sql_err(c, SQLSTATE_UNDEFINED_COLUMN, -1,
				       "column \"%s\" of relation \"%s\" does not exist", name,
				       t->name);
		if ((size_t)at->ncols < (size_t)t->ncols)
			cols[at->ncols++] = col;
	}
	return MUR_OK;
}

/* SELECT count(*), mur_approx_count_distinct(col)... FROM main."t" */
static int shard_sql(sql_ctx *c, plan_analyze_table *at)
{
	mur_buf b;
	mur_buf_init(&b);
	mur_buf_printf(&b, "SELECT count(*)");
	for (int k = 0; k < at->ncols; k++) {
		mur_buf_printf(&b, ", mur_approx_count_distinct(");
		sql_emit_ident(&b, at->table->cols[at->cols[k]].name);
		mur_buf_put_u8(&b, ')');
	}
	mur_buf_printf(&b, " FROM main.");
	sql_emit_ident(&b, at->table->name);
	return (at->shard_sql = sql_buf_finish(c, &b)) ? MUR_OK : MUR_ERR;
}

static int add_table(sql_ctx *c, const cat_table *t, PgQuery__Node **va_cols, size_t n,
		     plan_analyze_table *at)
{
	at->table = t;
	at->table_id = t->id;
	if (analyze_columns(c, t, va_cols, n, at) != MUR_OK)
		return MUR_ERR;
	return shard_sql(c, at);
}

int sql_plan_analyze(sql_ctx *c, PgQuery__VacuumStmt *s, plan *p)
{
	plan_analyze *pa = &p->u.analyze;
	size_t max = s->n_rels;
	int analyze;

	p->kind = PLAN_ANALYZE;
	p->tag = s->is_vacuumcmd ? "VACUUM" : "ANALYZE";
	if (check_options(c, s, &analyze) != MUR_OK)
		return MUR_ERR;
	if (!max)
		max = (size_t)cat_table_count(c->cat);
	if (!(pa->tables = sql_alloc(c, sizeof *pa->tables * (max ? max : 1))))
		return MUR_ERR;
	if (s->n_rels == 0) {
		for (int i = 0; i < cat_table_count(c->cat); i++) {
			const cat_table *t = cat_table_at(c->cat, i);
			if (t->kind == CAT_TABLE_DISTRIBUTED &&
			    add_table(c, t, NULL, 0, &pa->tables[pa->ntables++]) != MUR_OK)
				return MUR_ERR;
		}
	}
	for (size_t i = 0; i < s->n_rels; i++) { /* none: every table, above */
		PgQuery__VacuumRelation *vr = s->rels[i]->vacuum_relation;
		const cat_table *t;
		if (!vr || !vr->relation)
			return sql_err(c, SQLSTATE_SYNTAX_ERROR, -1, "%s needs table names",
				       p->tag);
		if (!(t = sql_lookup_table(c, vr->relation)))
			return MUR_ERR;
		if (t->kind != CAT_TABLE_DISTRIBUTED)
			return sql_err(c, SQLSTATE_FEATURE_NOT_SUPPORTED, vr->relation->location,
				       "murphy cannot %s murphy.%s: it is a view of the cluster's "
				       "state",
				       p->tag, t->name);
		if (add_table(c, t, vr->va_cols, vr->n_va_cols, &pa->tables[pa->ntables++]) !=
		    MUR_OK)
			return MUR_ERR;
	}
	if (!analyze) /* plain VACUUM: the tables exist; nothing to reclaim */
		p->kind = PLAN_NOOP;
	return MUR_OK;
}
