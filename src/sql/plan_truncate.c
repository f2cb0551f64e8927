/*
 * plan_truncate.c — TRUNCATE [TABLE] [ONLY] t [, ...] [RESTART IDENTITY |
 * CONTINUE IDENTITY] [CASCADE | RESTRICT].
 *
 * A TRUNCATE is planned as a DELETE of every row of each named table on
 * every shard (plan_truncate: the tables and one shard statement each,
 * DELETE FROM main."t").  The executor (leader/lead_write.c) sends it
 * through the ordinary write path, so each shard's part is a shard log
 * entry like any DELETE: every copy gets it at the write quorum, and
 * catch-up, rebuild and undo carry it; a read sees the table as it would
 * see a DELETE without WHERE.  Like such a DELETE it is not atomic across
 * shards yet (issue 16's transactions), and it costs a changeset of the
 * removed rows rather than PostgreSQL's new empty file.
 *
 * RESTART IDENTITY restarts the sequences the tables' SERIAL and IDENTITY
 * columns own (cat_seq_restart_owned) once every shard is emptied; like
 * any sequence change it is not undone by a rollback (PostgreSQL's is).
 * A table other tables reference by a foreign key (plan_fkey.c) is
 * truncated only with them: CASCADE adds them (recursively, at most
 * SQL_TRUNCATE_CASCADE_MAX), else 0A000 as PostgreSQL.  A table named
 * twice is truncated once, as PostgreSQL.
 * Errors: 42P01 unknown table, 0A000 for a murphy.* view.
 */
#include "sql/sqlInt.h"

#include <string.h>

#define SQL_TRUNCATE_TABLES_MAX 64  /* tables per TRUNCATE: one plan array, bounded */
#define SQL_TRUNCATE_CASCADE_MAX 64 /* referencing tables CASCADE adds */

static int already_named(const plan_truncate *pt, const cat_table *t)
{
	for (int i = 0; i < pt->ntables; i++)
		if (pt->tables[i] == t)
			return 1;
	return 0;
}

static const char *delete_all_sql(sql_ctx *c, const cat_table *t)
{
	mur_buf b;
	mur_buf_init(&b);
	mur_buf_printf(&b, "DELETE FROM main.");
	sql_emit_ident(&b, t->name);
	return sql_buf_finish(c, &b);
}

int sql_plan_truncate(sql_ctx *c, PgQuery__TruncateStmt *s, plan *p)
{
	plan_truncate *pt = &p->u.truncate;
	p->kind = PLAN_TRUNCATE;
	p->tag = "TRUNCATE TABLE";
	pt->restart_identity = s->restart_seqs;
	if (s->n_relations > SQL_TRUNCATE_TABLES_MAX)
		return sql_err(c, SQLSTATE_PROGRAM_LIMIT_EXCEEDED, -1,
			       "murphy truncates at most %d tables per statement",
			       SQL_TRUNCATE_TABLES_MAX);
	pt->tables = sql_alloc(c, sizeof *pt->tables * (s->n_relations + SQL_TRUNCATE_CASCADE_MAX));
	pt->shard_sql = sql_alloc(c, sizeof *pt->shard_sql *
					     (s->n_relations + SQL_TRUNCATE_CASCADE_MAX));
	if (!pt->tables || !pt->shard_sql)
		return MUR_ERR;
	for (size_t i = 0; i < s->n_relations; i++) {
		PgQuery__RangeVar *rv = s->relations[i]->range_var;
		const cat_table *t;
		if (s->relations[i]->node_case != PG_QUERY__NODE__NODE_RANGE_VAR)
			return sql_err(c, SQLSTATE_SYNTAX_ERROR, -1, "TRUNCATE needs table names");
		if (!(t = sql_lookup_table_for(c, rv, CAT_PRIV_DELETE)))
			return MUR_ERR;
		if (t->kind != CAT_TABLE_DISTRIBUTED)
			return sql_err(c, SQLSTATE_FEATURE_NOT_SUPPORTED, rv->location,
				       "cannot truncate murphy.%s: it is a view of the cluster's "
				       "state",
				       t->name);
		if (already_named(pt, t))
			continue;
		pt->tables[pt->ntables] = t;
		if (!(pt->shard_sql[pt->ntables++] = delete_all_sql(c, t)))
			return MUR_ERR;
	}
	if (s->behavior == PG_QUERY__DROP_BEHAVIOR__DROP_CASCADE) /* and their referencing ones */
		for (int i = 0; i < pt->ntables; i++) {
			const cat_table *t;
			for (int k = 0; (t = sql_fkey_referencing(c, pt->tables[i], k)); k++) {
				if (already_named(pt, t))
					continue;
				if (pt->ntables >= (int)s->n_relations + SQL_TRUNCATE_CASCADE_MAX)
					return sql_err(c, SQLSTATE_PROGRAM_LIMIT_EXCEEDED, -1,
						       "TRUNCATE ... CASCADE reaches more than %d "
						       "tables",
						       SQL_TRUNCATE_CASCADE_MAX);
				pt->tables[pt->ntables] = t;
				if (!(pt->shard_sql[pt->ntables++] = delete_all_sql(c, t)))
					return MUR_ERR;
			}
		}
	return sql_fkey_truncate(c, pt->tables, pt->ntables);
}
