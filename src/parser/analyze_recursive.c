/*
 * analyze_recursive.c — WITH RECURSIVE queries that read themselves.
 *
 *   WITH RECURSIVE t(n) AS (SELECT 1 FROM a        -- non-recursive term
 *                           UNION [ALL]
 *                           SELECT n + 1 FROM t JOIN b ON ...)  -- recursive term
 *
 * The non-recursive term is a ROWS sub like any subquery in FROM: planned
 * and distributed on its own (filters and aggregates on the shards), its
 * rows gathered to the leader once.  The recursive term is a leader query
 * (sql_recursive.rec) over the working table and every other table it
 * reads gathered once, as (SELECT * FROM b WHERE <the term's conditions
 * on b alone>) (c->gather_tables, analyze_gather_where.c):
 * the leader's SQLite then iterates, as its own WITH RECURSIVE
 * (sql/emit_recursive.c writes it where a query reads t).  SQLite's
 * recursion and PostgreSQL's give the same rows for what PostgreSQL
 * accepts here: the working table read once in the recursive term's FROM,
 * no aggregate, window, DISTINCT, ORDER BY or LIMIT there; UNION drops a
 * row equal to any earlier one in both.  SQLite hands rows to the query
 * reading t as they come, so a LIMIT there stops the recursion early, as
 * PostgreSQL's does.
 *
 * Bound: the recursive term's first column goes through mur_rec_guard
 * (storage/sqlfn_math.c), 54000 past SQL_RECURSIVE_ROWS_MAX rows where
 * PostgreSQL recurses until memory runs out.
 *
 * PostgreSQL's errors (42P19) for the forms it refuses; SEARCH and CYCLE
 * are 0A000.  A query that reads t with distributed tables runs on the
 * leader with them gathered (analyze_select.c, sql_from_reads_recursive).
 */
#include "parser/analyze_subq_int.h"

#include <stdio.h>
#include <string.h>

static int names_rel(const ProtobufCMessage *m, const void *name)
{
	const PgQuery__RangeVar *rv = (const PgQuery__RangeVar *)m;
	return m->descriptor == &pg_query__range_var__descriptor &&
	       !(rv->schemaname && *rv->schemaname) && rv->relname && !strcmp(rv->relname, name);
}

int sql_tree_names(const ProtobufCMessage *m, const char *name)
{
	return sql_tree_any(m, names_rel, name);
}

int sql_from_reads_recursive(const sql_ctx *c, const PgQuery__SelectStmt *s)
{
	for (int k = c->cte_base; k < c->nctes; k++)
		for (size_t i = 0; c->ctes[k].recursive && i < s->n_from_clause; i++)
			if (sql_tree_names(&s->from_clause[i]->base, c->ctes[k].name))
				return 1;
	return 0;
}

/* 42P19, PostgreSQL's class for a recursive query of the wrong form. */
static int bad_form(sql_ctx *c, const char *what, const char *name, int loc)
{
	return sql_err(c, "42P19", loc, "recursive reference to query \"%s\" must not appear %s",
		       name, what);
}

/* The recursive term's select list brought to the non-recursive term's
 * types (PostgreSQL's 42804 where they differ), its first column through
 * the row bound. */
static int type_outputs(sql_ctx *c, sql_recursive *r, int loc)
{
	sql_query *q = r->rec;
	sql_expr *limit, *name;
	if (q->ntarget != r->table->ncols)
		return sql_err(c, SQLSTATE_SYNTAX_ERROR, loc,
			       "each UNION query must have the same number of columns");
	for (int i = 0; i < q->ntarget; i++) {
		sql_expr *e = q->targets[i].e;
		mur_type want = r->table->cols[i].type;
		if (e->type == MT_UNKNOWN && !(e = sql_coerce(c, e, want, NULL)))
			return MUR_ERR;
		if (e->type != want)
			return sql_err(c, SQLSTATE_DATATYPE_MISMATCH, q->targets[i].loc,
				       "recursive query \"%s\" column %d has type %s in "
				       "non-recursive term but type %s overall",
				       r->name, i + 1, sql_type_name(want), sql_type_name(e->type));
		q->targets[i].e = e;
	}
	if (!(limit = sql_make_const_int(c, SQL_RECURSIVE_ROWS_MAX, MT_INT8)) ||
	    !(name = sql_make_const_text(c, r->name)))
		return MUR_ERR;
	q->targets[0].e = sql_make_call(c, "mur_rec_guard", q->targets[0].e->type, loc, 3,
					q->targets[0].e, limit, name);
	return q->targets[0].e ? MUR_OK : MUR_ERR;
}

/* What PostgreSQL refuses in a recursive term, and what murphy does not
 * run there. */
static int check_term(sql_ctx *c, const sql_recursive *r, int loc)
{
	const sql_query *q = r->rec;
	if (r->nrefs == 0 || r->ref_q != q)
		return bad_form(c, "within a subquery", r->name, loc);
	if (r->nrefs > 1)
		return bad_form(c, "more than once", r->name, loc);
	for (int i = 0; i < q->nrte; i++) {
		if (q->rtes[i].rec_work && q->rtes[i].join_left)
			return bad_form(c, "within an outer join", r->name, loc);
		if (q->rtes[i].join_right)
			for (int j = 0; j < i; j++)
				if (q->rtes[j].rec_work)
					return bad_form(c, "within an outer join", r->name, loc);
	}
	if (q->has_agg)
		return sql_err(c, "42P19", loc,
			       "aggregate functions are not allowed in a recursive query's "
			       "recursive term");
	if (q->nwindow || q->distinct || q->ndistinct_on || q->unnest)
		return sql_unsupported(c,
				       "window functions, DISTINCT or unnest in the recursive term "
				       "of WITH RECURSIVE",
				       loc);
	if (!q->is_virtual)
		return sql_unsupported(c, "this recursive term of WITH RECURSIVE", loc);
	return MUR_OK;
}

/* The non-recursive term as a ROWS sub, the working table's columns. */
static int analyze_nonrec(sql_ctx *c, sql_recursive *r, PgQuery__CommonTableExpr *d,
			  PgQuery__SelectStmt *s)
{
	sql_query *sq;
	sql_setop *so;
	cat_table *t;
	if (sql_analyze_nested(c,
			       s->larg ? &(PgQuery__Node){.node_case =
								  PG_QUERY__NODE__NODE_SELECT_STMT,
							  .select_stmt = s->larg}
				       : NULL,
			       &sq, &so, d->location) != MUR_OK ||
	    (r->id = sql_sub_add(c, SQL_SUB_ROWS, sq, so, d->location)) < 0 ||
	    !(t = sql_rows_table(c, r->id, d->aliascolnames, d->n_aliascolnames, d->location)) ||
	    !(r->table = sql_alloc(c, sizeof *r->table)))
		return MUR_ERR;
	*r->table = *t;
	snprintf(r->table->name, sizeof r->table->name, "_rec%d", r->id);
	return MUR_OK;
}

static int build(sql_ctx *c, int k)
{
	PgQuery__CommonTableExpr *d = c->ctes[k].def;
	PgQuery__SelectStmt *s = d->ctequery->select_stmt;
	sql_recursive *r = sql_alloc(c, sizeof *r);
	sql_setop *so = NULL;
	int rc;
	if (!r)
		return MUR_ERR;
	r->name = c->ctes[k].name;
	if (d->search_clause || d->cycle_clause)
		return sql_unsupported(c,
				       d->search_clause ? "the SEARCH clause of WITH RECURSIVE"
							: "the CYCLE clause of WITH RECURSIVE",
				       d->location);
	if (s->op != PG_QUERY__SET_OPERATION__SETOP_UNION)
		return sql_err(c, "42P19", d->location,
			       "recursive query \"%s\" does not have the form non-recursive-term "
			       "UNION [ALL] recursive-term",
			       r->name);
	if (s->n_sort_clause)
		return sql_err(c, SQLSTATE_FEATURE_NOT_SUPPORTED, d->location,
			       "ORDER BY in a recursive query is not implemented");
	if (s->limit_count || s->limit_offset)
		return sql_err(c, SQLSTATE_FEATURE_NOT_SUPPORTED, d->location,
			       "%s in a recursive query is not implemented",
			       s->limit_offset ? "OFFSET" : "LIMIT");
	if (s->n_locking_clause || s->with_clause)
		return sql_unsupported(c, "FOR UPDATE or WITH inside a recursive WITH query",
				       d->location);
	if (sql_tree_names(&s->larg->base, r->name))
		return bad_form(c, "within its non-recursive term", r->name, d->location);
	if (s->rarg->op != PG_QUERY__SET_OPERATION__SETOP_NONE)
		return sql_unsupported(c, "a set operation in the recursive term of WITH RECURSIVE",
				       d->location);
	r->union_all = s->all;
	if (analyze_nonrec(c, r, d, s) != MUR_OK)
		return MUR_ERR;
	/* the recursive term sees itself (the working table) and the WITH
	 * queries of its list */
	c->ctes[k].rec = r;
	r->building = 1;
	c->nctes = c->ctes[k].sees;
	/* reading t, it runs on the leader: analyze_select.c gathers its tables */
	rc = sql_analyze_nested(c,
				&(PgQuery__Node){.node_case = PG_QUERY__NODE__NODE_SELECT_STMT,
						 .select_stmt = s->rarg},
				&r->rec, &so, d->location);
	r->building = 0;
	if (rc != MUR_OK || check_term(c, r, d->location) != MUR_OK ||
	    type_outputs(c, r, d->location) != MUR_OK) {
		c->ctes[k].rec = NULL;
		return MUR_ERR;
	}
	return MUR_OK;
}

int sql_recursive_from(sql_ctx *c, sql_query *q, int k, PgQuery__RangeVar *rv)
{
	sql_cte *ct = &c->ctes[k];
	const char *alias = rv->alias && rv->alias->aliasname ? rv->alias->aliasname : rv->relname;
	int saved = c->nctes;
	if (rv->alias && rv->alias->n_colnames)
		return sql_unsupported(c, "column aliases on a recursive WITH query", rv->location),
		       -1;
	if (ct->rec && ct->rec->building) { /* the working table */
		ct->rec->nrefs++;
		ct->rec->ref_q = q;
		if (sql_add_rte(c, q, ct->rec->table, alias, rv->location) != MUR_OK)
			return -1;
		q->rtes[q->nrte - 1].rec_work = 1;
		q->rtes[q->nrte - 1].rec = ct->rec;
		return 1;
	}
	if (!ct->rec) {
		int rc;
		if (ct->busy)
			return sql_err(c, SQLSTATE_FEATURE_NOT_SUPPORTED, rv->location,
				       "mutual recursion between WITH items is not implemented"),
			       -1;
		/* its terms do not take the reading query's mode (gathered tables) */
		int gather = c->gather_tables, no_merge = c->no_merge;
		c->gather_tables = c->no_merge = 0;
		c->nctes = ct->sees; /* every WITH query of its list */
		ct->busy = 1;
		rc = build(c, k);
		ct->busy = 0;
		c->nctes = saved;
		c->gather_tables = gather;
		c->no_merge = no_merge;
		if (rc != MUR_OK)
			return -1;
	}
	if (sql_add_rte(c, q, ct->rec->table, alias, rv->location) != MUR_OK)
		return -1;
	q->rtes[q->nrte - 1].rec = ct->rec;
	return 1;
}
