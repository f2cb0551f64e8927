/*
 * plan_catalog.c — catalog queries (pg_catalog, information_schema, the
 * catalog functions) as leader SELECTs: pgcatalog/ translates the tree to
 * SQLite over its catalog tables; the leader builds those tables right
 * before the text runs (leader/lead_views.c) and answers itself.  SHOW
 * ALL is one of them: a SELECT over pg_settings.
 */
#include "sql/sqlInt.h"
#include "parser/parser.h"
#include "pgcatalog/pgcatalog.h"

#include <string.h>

int sql_plan_catalog(sql_ctx *c, PgQuery__Node *stmt, plan *p)
{
	pgc_column cols[PGC_COLUMNS_MAX];
	int ncols = 0, nparams = 0;
	mur_buf b;
	mur_buf_init(&b);
	if (pgc_translate(stmt, &b, cols, &ncols, &nparams, c->err) != MUR_OK) {
		mur_buf_free(&b);
		return MUR_ERR;
	}
	p->kind = PLAN_LEADER_SELECT;
	p->tag = "SELECT";
	p->out = sql_alloc(c, sizeof *p->out * (size_t)(ncols ? ncols : 1));
	if (!p->out || !(p->leader_sql = sql_buf_finish(c, &b)))
		return mur_error_set(c->err, SQLSTATE_OUT_OF_MEMORY, "out of memory");
	for (int i = 0; i < ncols; i++) {
		_Static_assert(sizeof p->out[i].name == PGC_NAME_MAX, "one name length");
		memcpy(p->out[i].name, cols[i].name, PGC_NAME_MAX);
		p->out[i].type = cols[i].type;
		p->out[i].typmod = -1;
		p->out[i].type_oid = cols[i].type_oid; /* regtype … (pgc_deparse.c) */
	}
	p->nout = ncols;
	if (nparams > PLAN_PARAMS_MAX)
		return mur_error_set(c->err, SQLSTATE_PROGRAM_LIMIT_EXCEEDED,
				     "too many parameters (at most %d)", PLAN_PARAMS_MAX);
	if (*c->nparams < nparams)
		*c->nparams = nparams; /* finish_params makes the untyped ones text */
	return MUR_OK;
}

/* SHOW ALL: PostgreSQL's three columns, from pg_settings. */
int sql_plan_show_all(sql_ctx *c, plan *p)
{
	static const char *const show_all = "SELECT name, setting, short_desc AS description "
					    "FROM pg_catalog.pg_settings ORDER BY lower(name)";
	sql_tree *tree = NULL;
	int rc = sql_parse(show_all, &tree, c->err);
	if (rc == MUR_OK)
		rc = sql_plan_catalog(c, sql_tree_result(tree)->stmts[0]->stmt, p);
	sql_tree_free(tree);
	p->tag = "SHOW";
	return rc;
}
