/*
 * plan_batch_owner.c — a portal reads a shuffled join, or groups
 * repartitioned to owners, a batch at a time from the owners
 * (leader/lead_stream.c, follower/shuffle_keep.c).
 *
 * A repartitioned (or broadcast) join is complete per *owner* once its
 * rows are in: each owner joins its part (shard_sql over the in-memory
 * tables the rows were loaded into) and the leader only concatenates, or
 * sorts what the owners sent.  For a cursor the owner runs instead
 *
 *   WITH _mo(c0, ..., cK) AS (<shard_sql>) SELECT c0, ..., cK FROM _mo
 *     [ORDER BY (c<sort>)<collation> ASC|DESC NULLS FIRST|LAST, ...]
 *
 * and keeps its database and that statement open under the shuffle's id,
 * answering the RECV with its first rows and each SHUFFLE_FETCH with the
 * next ones; the leader merges the owners' batches by batch_sort (an
 * unsorted cursor merges with no key: one owner after another) and counts
 * LIMIT / OFFSET itself.  shard_sql's columns are the outputs, then the
 * sort values the select list lacks (as the leader's final SQL reads
 * them); a shard_sql of any other width fails the cursor with SQLite's
 * error, never with wrong rows.
 *
 * Why a statement held open rather than keyset batches over a unique
 * order (plan_batch_whole.c, and docs/decisions.md's first design): the
 * owner's database is private, in memory and never written again, so
 * nothing is pinned that a writer waits for; a held statement computes
 * the join once (a keyset batch would run it again from the last key) and
 * needs no unique key (the owners' tables carry only the columns the
 * query reads, seldom every table's key).  What it costs: the owner keeps
 * its part until the cursor ends (CLOSE, end of transaction, session end:
 * a SHUFFLE_CANCEL), the idle expiry or a new leader connection.
 *
 * A GROUP BY or DISTINCT repartitioned to owners that finish it (the
 * leader only concatenates: !has_leader_agg) streams the same way: each
 * owner keeps its final groups as table r of an in-memory database and
 * runs the leader's final SQL over them (HAVING, the projection, a LIMIT
 * as a top-N) inside the same WITH (sql_plan_batch_owner_groups); a
 * cursor always repartitions such a plan (lead_select.c) unless the
 * session's murphy.shuffle_strategy is gather.
 *
 * Not streamed (EXPLAIN's Cursor line says why): aggregates, DISTINCT,
 * windows and DISTINCT ON over a shuffled join (the owners' answers are
 * partial, merged on the leader), an ORDER BY of a jsonb / array or
 * volatile value, a LIMIT / OFFSET that is not a count; over groups, an
 * ORDER BY of a value the select list lacks or an OFFSET (the final SQL
 * sorts by r's columns and skips rows: it would need rewriting).
 */
#include "sql/sqlInt.h"

#include <string.h>

#define OWNER_CTE "_mo"

/* NULL when a cursor may read q's shuffled join from its owners, else why not */
static const char *owner_why(const sql_query *q, const plan_select *ps)
{
	if (q->has_agg || ps->has_partial_agg || ps->has_final_agg)
		return "an aggregate over a shuffled join merges the owners' partial groups on the "
		       "leader";
	if (q->distinct || q->ndistinct_on)
		return "DISTINCT over a shuffled join is merged on the leader";
	if (q->nwindow)
		return "windows over a shuffled join run over all the rows";
	if (q->ngsets || q->unnest || q->locks_rows || ps->locks_rows)
		return "grouping sets, a set-returning function or a locking clause";
	if (q->nsort > PLAN_BATCH_SORT_MAX)
		return "too many sort keys";
	for (int i = 0; i < q->nsort; i++) {
		const sql_expr *x = q->sorts[i].e;
		if (x->type == MT_JSONB || mur_type_is_array(x->type))
			return "ORDER BY a jsonb or array value (the leader's merge lacks its "
			       "order)";
		if (!sql_batch_stable(x))
			return "ORDER BY a volatile value";
	}
	return NULL;
}

/* NULL when a cursor may read q's groups (or DISTINCT rows) from the
 * owners they are repartitioned to, else why not */
static const char *groups_why(sql_ctx *c, const sql_query *q, const plan_select *ps)
{
	if (!ps->shuffle_hash_cols || ps->has_leader_agg || !ps->final_sql || ps->router)
		return "";
	if (c->shuffle_strategy == SQL_SHUFFLE_GATHER) /* the session's choice, honoured */
		return "murphy.shuffle_strategy is gather (the groups are merged on the leader)";
	if (q->ngsets || q->unnest || q->locks_rows || ps->locks_rows || q->nwindow ||
	    q->ndistinct_on)
		return "";
	if (q->offset)
		return "an OFFSET over groups finished on their owners (the leader's final SQL "
		       "counts it)";
	if (q->nsort > PLAN_BATCH_SORT_MAX)
		return "too many sort keys";
	for (int i = 0; i < q->nsort; i++) {
		const sql_expr *x = q->sorts[i].e;
		if (q->sorts[i].target < 0)
			return "ORDER BY a value the select list lacks, over groups finished on "
			       "their "
			       "owners";
		if (x->type == MT_JSONB || mur_type_is_array(x->type))
			return "ORDER BY a jsonb or array value (the leader's merge lacks its "
			       "order)";
		if (!sql_batch_stable(x))
			return "ORDER BY a volatile value";
	}
	return NULL;
}

/* ps->batch_sort from q's ORDER BY (sort values past the ntarget outputs
 * numbered in order); the number of such hidden columns */
static int owner_sort(const sql_query *q, plan_select *ps)
{
	int hidden = 0;
	for (int i = 0; i < q->nsort; i++) {
		const sql_sort *so = &q->sorts[i];
		mur_sortkey *k = &ps->batch_sort[i];
		k->col = so->target >= 0 ? (uint32_t)so->target : (uint32_t)(q->ntarget + hidden++);
		k->coll = so->e->type == MT_NUMERIC  ? MUR_SORT_NUMERIC
			  : so->e->type == MT_BPCHAR ? MUR_SORT_BPCHAR
						     : MUR_SORT_BINARY;
		k->desc = (uint8_t)so->desc;
		k->nulls_first = (uint8_t)so->nulls_first;
	}
	return hidden;
}

/* WITH _mo(c0..) AS (<inner>) SELECT c0.. FROM _mo [ORDER BY ...] */
static const char *owner_sql(sql_ctx *c, const sql_query *q, const plan_select *ps,
			     const char *inner, int ncols)
{
	mur_buf b;
	mur_buf_init(&b);
	mur_buf_printf(&b, "WITH " OWNER_CTE "(");
	for (int i = 0; i < ncols; i++)
		mur_buf_printf(&b, "%sc%d", i ? ", " : "", i);
	mur_buf_printf(&b, ") AS (%s) SELECT ", inner);
	for (int i = 0; i < ncols; i++)
		mur_buf_printf(&b, "%sc%d", i ? ", " : "", i);
	mur_buf_printf(&b, " FROM " OWNER_CTE);
	for (int i = 0; i < q->nsort; i++)
		mur_buf_printf(&b, "%s(c%u)%s %s NULLS %s", i ? ", " : " ORDER BY ",
			       ps->batch_sort[i].col, sql_column_collate(q->sorts[i].e->type),
			       q->sorts[i].desc ? "DESC" : "ASC",
			       q->sorts[i].nulls_first ? "FIRST" : "LAST");
	return sql_buf_finish(c, &b);
}

int sql_plan_batch_owner_groups(sql_ctx *c, const sql_query *q, plan *p)
{
	plan_select *ps = &p->u.select;
	const char *why = groups_why(c, q, ps);
	if (why) {
		if (*why)
			ps->batch_why = why;
		return MUR_OK;
	}
	if (!sql_batch_count_of(q->limit, &ps->batch_limit, &ps->batch_limit_param)) {
		ps->batch_limit = ps->batch_offset = -1;
		ps->batch_limit_param = ps->batch_offset_param = 0;
		ps->batch_why = "a LIMIT that is not a count";
		return MUR_OK;
	}
	ps->batch_offset = -1;
	ps->batch_offset_param = 0;
	owner_sort(q, ps);
	/* the final SQL over each owner's groups (its LIMIT a top-N there) */
	if (!(ps->batch_head = owner_sql(c, q, ps, ps->final_sql, q->ntarget)))
		return MUR_ERR;
	ps->batch_why = NULL;
	ps->batch_nsort = q->nsort;
	ps->batch_nkeys = 0;
	ps->batch_owner = 1;
	ps->batch_unique = "the groups each owner kept";
	return MUR_OK;
}

int sql_plan_batch_owner(sql_ctx *c, const sql_query *q, plan *p)
{
	plan_select *ps = &p->u.select;
	if ((ps->batch_why = owner_why(q, ps)))
		return MUR_OK;
	if (!sql_batch_count_of(q->limit, &ps->batch_limit, &ps->batch_limit_param) ||
	    !sql_batch_count_of(q->offset, &ps->batch_offset, &ps->batch_offset_param)) {
		ps->batch_limit = ps->batch_offset = -1;
		ps->batch_limit_param = ps->batch_offset_param = 0;
		ps->batch_why = "a LIMIT / OFFSET that is not a count";
		return MUR_OK;
	}
	/* shard_sql's columns: the outputs, then the sort values they lack */
	if (!(ps->batch_head = owner_sql(c, q, ps, ps->shard_sql, q->ntarget + owner_sort(q, ps))))
		return MUR_ERR;
	ps->batch_nsort = q->nsort;
	ps->batch_nkeys = 0;
	ps->batch_owner = 1;
	ps->batch_unique = "the owners' kept join";
	return MUR_OK;
}
