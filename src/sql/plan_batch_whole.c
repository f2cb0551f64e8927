/*
 * plan_batch_whole.c — a portal reads a query whose result is complete
 * per shard a batch at a time (leader/lead_stream.c), as plain scans are
 * read (plan_batch.c).
 *
 * Complete per shard: a co-located join (no shuffle), a GROUP BY or a
 * DISTINCT holding a distribution column (of a table no outer join
 * null-extends), windows each partitioned by the distribution column
 * (sql_window_pushable) — no step on the leader but concatenation, or an
 * ORDER BY merge.  Then the whole query runs on each shard (as a router
 * plan runs it on one: sql_emit_select), and the shard's result has a
 * unique order of its own:
 *
 *   GROUP BY   the group values (compared in the group's key collation)
 *   DISTINCT   the select list
 *   otherwise  the key columns of every table joined (each output row is
 *              one combination of table rows; NULL for a row an outer
 *              join made up)
 *
 * so the batches are keyset batches over it, exactly as a plain scan's
 * over its table's key:
 *
 *   WITH _mb(c0, ..., cN) AS (<the query, ORDER BY / LIMIT / OFFSET off,
 *                              the sort and key values appended>)
 *   SELECT c0, ..., c<outputs and sort values>, <keys> FROM _mb
 *     [WHERE <after the last (sort values,) keys read>]
 *     ORDER BY [<sort>,] <keys> LIMIT n
 *
 * A GROUP BY's batch is the query itself, without the WITH: the
 * condition goes into its HAVING (WHOLE_MARK, which sql_batch_sql
 * replaces), the ORDER BY and LIMIT after it, so SQLite moves a
 * condition on binary group values to WHERE and, when an index leads
 * with the group values, reads the groups in its order and stops after n
 * (through the WITH it computes every group left and sorts them).
 *
 * The keys are compared one at a time, NULLs first (plan_batch.c's
 * emit_keys_after), not as a row value: a LEFT JOIN's key or a group's
 * value may be NULL.  SQLite pushes the condition into the WITH where it
 * may (a join's WHERE), so a batch whose first key is indexed (the
 * distribution column is usually the first PRIMARY KEY column) reads
 * from the last key on; otherwise, and for windows, each batch computes
 * what is left of its shard and keeps n rows (time, not memory: the
 * leader holds a batch per shard either way).  Why this rather than OFFSET or a follower-side
 * cursor: docs/decisions.md ("Cursors over joins, GROUP BY ...").
 *
 * Not streamed (the result computed whole first, EXPLAIN's Cursor line
 * says so): aggregates over other groups, shuffled joins, windows over
 * other partitions, DISTINCT ON, grouping sets, a LIMIT / OFFSET that is
 * not a constant or parameter, an ORDER BY of a jsonb or array value or of
 * a volatile function, more than PLAN_BATCH_KEYS_MAX key values, locking
 * clauses, router plans (one shard: the query is read whole there).
 *
 * Uncorrelated scalar, IN / ANY / ALL and EXISTS subqueries run once
 * before the statement (plan_subq.c) and bind parameters ?n+1... (a rows
 * subquery of a distributed SELECT feeds one of them): a
 * cursor runs them once, before its first batch, and keeps their values
 * for the later batches (leader/lead_stream.c); with them bound it is the
 * same statement, streamed as above (or as a plain scan: plan_batch.c).
 */
#include "sql/sqlInt.h"

#include <stdio.h>
#include <string.h>

#define WHOLE_CTE "_mb"
#define WHOLE_MARK "/*murphy_keyset*/1" /* a GROUP BY's HAVING: plan_grouped */

/* x is a distribution column of a hash or range table whose rows no outer
 * join makes up: its values, hence its groups, live in one shard. */
static int is_dist_col(const sql_query *q, const sql_expr *x)
{
	const cat_table *t;
	if (!x || x->kind != SE_COLUMN || x->rte < 0 || x->rte >= q->nrte)
		return 0;
	t = q->rtes[x->rte].table;
	return t && !cat_table_is_reference(t) && x->col == t->dist_col &&
	       !sql_rte_nullable(q, x->rte);
}

/* x's value is the same each time a batch computes it again (a
 * subquery's is bound once: lead_stream.c) */
int sql_batch_stable(const sql_expr *x)
{
	static const char *const volatile_fns[] = {"random", "nextval", "setval", "uuid",
						   "clock",  "now",     "time",   "statement"};
	if (!x)
		return 1;
	if (x->kind == SE_CALL && x->op)
		for (size_t i = 0; i < sizeof volatile_fns / sizeof volatile_fns[0]; i++)
			if (strstr(x->op, volatile_fns[i]))
				return 0;
	for (int i = 0; i < x->nargs; i++)
		if (!sql_batch_stable(x->args[i]))
			return 0;
	return 1;
}

/* NULL when q's result is complete per shard and the rest of it a stream
 * can do; else why not (EXPLAIN's Cursor line) */
static const char *whole_why(const sql_query *q, const plan_select *ps)
{
	int per_shard = 0;
	if (ps->join_shuffle)
		return "a join not on the distribution columns is shuffled and joined whole";
	if (ps->locks_rows || q->locks_rows)
		return "a locking clause";
	if (q->ngsets)
		return "grouping sets are grouped on the leader";
	if (q->unnest)
		return "a set-returning function in the select list";
	if (q->nrte < 1 || q->nrte > PLAN_TABLES_MAX || q->nsort > PLAN_BATCH_SORT_MAX)
		return "too many tables or sort keys";
	for (int i = 0; i < q->nrte; i++) {
		const sql_rte *r = &q->rtes[i];
		if (!r->table || r->series || r->rec || r->values)
			return "generate_series, VALUES or WITH RECURSIVE in FROM";
		per_shard |= !cat_table_is_reference(r->table);
	}
	if (!per_shard || cat_table_is_reference(q->rtes[q->driver].table))
		return "reference tables only";
	if (q->has_agg) {
		int found = 0;
		if (q->nwindow)
			return "windows over groups run on the leader";
		for (int i = 0; i < q->ngroup; i++)
			found |= is_dist_col(q, q->group[i]);
		if (!found)
			return "the groups do not hold the distribution column: shards' partial "
			       "aggregates are merged on the leader";
	} else if (q->nwindow && !sql_window_pushable(q))
		return "a window not partitioned by the distribution column runs over all the "
		       "rows";
	if (q->distinct) {
		int found = 0;
		for (int i = 0; i < q->ntarget; i++) {
			found |= is_dist_col(q, q->targets[i].e);
			if (sql_key_collate(q->targets[i].e->type)[0])
				return "DISTINCT of a value equal by value rather than as stored";
		}
		if (!found)
			return "DISTINCT without the distribution column is merged on the leader";
	}
	for (int i = 0; i < q->nsort; i++) {
		const sql_expr *x = q->sorts[i].e;
		if (x->type == MT_JSONB || mur_type_is_array(x->type))
			return "ORDER BY a jsonb or array value (the leader's merge lacks its "
			       "order)";
		if (!sql_batch_stable(x))
			return "ORDER BY a volatile value";
		if (q->distinct && q->sorts[i].target < 0)
			return "ORDER BY a value DISTINCT does not output";
	}
	return NULL;
}

/* Where rte r's key goes in a join's unique order: 0 first (the table
 * the shard SQL loops over first, q->join_outer), 1 a table with several
 * rows per distribution value, 2 one (its key is the distribution
 * column) or a reference table. */
static int key_rank(const sql_query *q, int r)
{
	const cat_table *t = q->rtes[r].table;
	int cols[PLAN_BATCH_KEYS_MAX];
	if (r + 1 == q->join_outer)
		return 0;
	return cat_table_is_reference(t) ||
			       (sql_batch_key_cols(t, cols) == 1 && cols[0] == t->dist_col)
		       ? 2
		       : 1;
}

/* The unique order's values appended to w's select list (*nt grows):
 * out[i] its column, coll[i] its collation.  The number, 0 when more
 * than PLAN_BATCH_KEYS_MAX. */
static int unique_keys(sql_ctx *c, const sql_query *q, sql_target *t, int *nt, int *out,
		       const char **coll)
{
	int n = 0, order[SQL_RTES_MAX];
	if (q->distinct) {
		if (q->ntarget > PLAN_BATCH_KEYS_MAX)
			return 0;
		for (int i = 0; i < q->ntarget; i++) {
			out[n] = i;
			coll[n++] = "";
		}
		return n;
	}
	if (q->has_agg) {
		if (q->ngroup > PLAN_BATCH_KEYS_MAX)
			return 0;
		/* the distribution column first: an index that leads with it
		 * serves the order */
		for (int pass = 0; pass < 2; pass++)
			for (int i = 0; i < q->ngroup; i++) {
				if (is_dist_col(q, q->group[i]) != !pass)
					continue;
				t[*nt].e = q->group[i];
				out[n] = (*nt)++;
				coll[n++] = sql_key_collate(q->group[i]->type);
			}
		return n;
	}
	/* the table SQLite loops over first leads (q->join_outer), else those
	 * with several rows per distribution value (a key longer than it):
	 * read by their key's index, a batch's order is then the loop's, the
	 * others' keys sorted within a value (a partial sort that stops at n) */
	for (int i = 0; i < q->nrte; i++)
		order[i] = i;
	for (int i = 1; i < q->nrte; i++) /* insertion sort by rank, stable */
		for (int j = i; j > 0 && key_rank(q, order[j - 1]) > key_rank(q, order[j]); j--) {
			int x = order[j];
			order[j] = order[j - 1];
			order[j - 1] = x;
		}
	for (int i = 0; i < q->nrte; i++) {
		int r = order[i];
		const cat_table *tab = q->rtes[r].table;
		int cols[PLAN_BATCH_KEYS_MAX], k = sql_batch_key_cols(tab, cols);
		if (k == 0 || n + k > PLAN_BATCH_KEYS_MAX)
			return 0;
		for (int j = 0; j < k; j++) {
			sql_expr *x = sql_alloc(c, sizeof *x);
			if (!x)
				return 0;
			x->kind = SE_COLUMN;
			x->type = tab->cols[cols[j]].type;
			x->loc = -1;
			x->rte = r;
			x->col = cols[j];
			t[*nt].e = x;
			out[n] = (*nt)++;
			coll[n++] = "";
		}
	}
	return n;
}

/* ps->batch_sort*, batch_limit/offset: the ORDER BY over w's columns
 * (sorts not in the select list appended to t first).  0: not streamed. */
static int whole_sort(const sql_query *q, plan_select *ps, sql_target *t, int *nt)
{
	for (int i = 0; i < q->nsort; i++) {
		const sql_sort *so = &q->sorts[i];
		mur_sortkey *k = &ps->batch_sort[i];
		int col = so->target;
		if (col < 0) {
			t[*nt].e = so->e;
			col = (*nt)++;
		}
		k->col = (uint32_t)col;
		k->coll = so->e->type == MT_NUMERIC  ? MUR_SORT_NUMERIC
			  : so->e->type == MT_BPCHAR ? MUR_SORT_BPCHAR
						     : MUR_SORT_BINARY;
		k->desc = (uint8_t)so->desc;
		k->nulls_first = (uint8_t)so->nulls_first;
	}
	return 1;
}

/* "(x)<coll>" over w's tables */
static const char *expr_sql(sql_ctx *c, const sql_query *w, const sql_expr *x, const char *coll)
{
	mur_buf b;
	sql_emit e = {&b, w, 0};
	mur_buf_init(&b);
	mur_buf_put_u8(&b, '(');
	sql_emit_expr(&e, x);
	mur_buf_printf(&b, ")%s", coll);
	return sql_buf_finish(c, &b);
}

/* A GROUP BY's batch: w itself, its HAVING ANDed with WHOLE_MARK (where
 * sql_batch_sql puts the keyset condition), the keys and sort values as
 * w's expressions: SQLite moves a condition on binary group values to
 * WHERE and reads the groups in the order of an index that leads with
 * them, stopping after n (through a WITH, it would compute every group
 * left and sort them each batch). */
static int plan_grouped(sql_ctx *c, const sql_query *q, plan_select *ps, sql_query *w,
			const int *keys, const char **coll, int nk)
{
	sql_expr *mark = sql_expr_new(c, SE_RAW, MT_BOOL, -1), *and;
	mur_buf b;
	sql_emit e = {&b, w, 0};
	if (!mark)
		return MUR_ERR;
	mark->op = WHOLE_MARK;
	if (q->having) {
		if (!(and = sql_expr_new(c, SE_BOOL, MT_BOOL, -1)) ||
		    !(and->args = sql_alloc(c, 2 * sizeof *and->args)))
			return MUR_ERR;
		and->op = "AND";
		and->nargs = 2;
		and->args[0] = q->having;
		and->args[1] = mark;
		w->having = and;
	} else
		w->having = mark;
	for (int i = 0; i < nk; i++)
		if (!(ps->batch_key_sql[i] = expr_sql(c, w, w->targets[keys[i]].e, coll[i])))
			return MUR_ERR;
	for (int i = 0; i < q->nsort; i++)
		if (!(ps->batch_sort_sql[i] = expr_sql(c, w, q->sorts[i].e,
						       sql_column_collate(q->sorts[i].e->type))))
			return MUR_ERR;
	mur_buf_init(&b);
	sql_emit_select(&e);
	if (!(ps->batch_head = sql_buf_finish(c, &b)))
		return MUR_ERR;
	ps->batch_mark = WHOLE_MARK;
	return MUR_OK;
}

/* WITH _mb(c0, ...) AS (<w>) SELECT <outputs, sort values>, <keys> FROM _mb */
static int plan_wrapped(sql_ctx *c, const sql_query *q, plan_select *ps, const sql_query *w,
			int nout, const int *keys, const char **coll, int nk)
{
	mur_buf b;
	sql_emit e = {&b, w, 0};
	for (int i = 0; i < nk; i++) {
		mur_buf_init(&b);
		mur_buf_printf(&b, "c%d%s", keys[i], coll[i]);
		if (!(ps->batch_key_sql[i] = sql_buf_finish(c, &b)))
			return MUR_ERR;
	}
	for (int i = 0; i < q->nsort; i++) {
		mur_buf_init(&b);
		mur_buf_printf(&b, "(c%u)%s", ps->batch_sort[i].col,
			       sql_column_collate(q->sorts[i].e->type));
		if (!(ps->batch_sort_sql[i] = sql_buf_finish(c, &b)))
			return MUR_ERR;
	}
	mur_buf_init(&b);
	mur_buf_printf(&b, "WITH " WHOLE_CTE "(");
	for (int i = 0; i < w->ntarget; i++)
		mur_buf_printf(&b, "%sc%d", i ? ", " : "", i);
	mur_buf_printf(&b, ") AS (");
	sql_emit_select(&e);
	mur_buf_printf(&b, ") SELECT ");
	for (int i = 0; i < nout; i++)
		mur_buf_printf(&b, "c%d, ", i);
	for (int i = 0; i < nk; i++)
		mur_buf_printf(&b, "%sc%d", i ? ", " : "", keys[i]);
	mur_buf_printf(&b, " FROM " WHOLE_CTE);
	return (ps->batch_head = sql_buf_finish(c, &b)) ? MUR_OK : MUR_ERR;
}

int sql_plan_batch_whole(sql_ctx *c, const sql_query *q, plan *p)
{
	plan_select *ps = &p->u.select;
	int nt, nout, nk, keys[PLAN_BATCH_KEYS_MAX], rc;
	const char *coll[PLAN_BATCH_KEYS_MAX];
	sql_query *w;
	sql_target *t;
	mur_buf order;
	if (ps->batch_head) /* subqueries: values bound at DECLARE (sql_plan_subs_bound) */
		return MUR_OK;
	if (ps->join_shuffle) /* read from the owners: plan_batch_owner.c */
		return sql_plan_batch_owner(c, q, p);
	if ((ps->batch_why = whole_why(q, ps))) /* groups repartitioned: plan_batch_owner.c */
		return sql_plan_batch_owner_groups(c, q, p);
	if (!(w = sql_alloc(c, sizeof *w)) ||
	    !(t = sql_alloc(c, sizeof *t * (size_t)(q->ntarget + q->nsort + PLAN_BATCH_KEYS_MAX))))
		return MUR_ERR;
	*w = *q;
	memcpy(t, q->targets, sizeof *t * (size_t)q->ntarget);
	nt = q->ntarget;
	/* LIMIT / OFFSET: counted on the leader, with or without ORDER BY */
	rc = sql_batch_count_of(q->limit, &ps->batch_limit, &ps->batch_limit_param) &&
	     sql_batch_count_of(q->offset, &ps->batch_offset, &ps->batch_offset_param) &&
	     (!q->nsort || whole_sort(q, ps, t, &nt));
	nout = nt;
	if (rc == 0 || (nk = unique_keys(c, q, t, &nt, keys, coll)) == 0) {
		ps->batch_limit = ps->batch_offset = -1;
		ps->batch_limit_param = ps->batch_offset_param = 0;
		ps->batch_why = rc ? "more than 8 key values order the result"
				   : "a LIMIT / OFFSET that is not a count";
		return MUR_OK; /* not streamed: the result is computed whole */
	}
	w->targets = t;
	w->ntarget = nt;
	w->nsort = 0;
	w->limit = w->offset = NULL;
	if ((q->has_agg ? plan_grouped(c, q, ps, w, keys, coll, nk)
			: plan_wrapped(c, q, ps, w, nout, keys, coll, nk)) != MUR_OK)
		return MUR_ERR;
	mur_buf_init(&order);
	for (int i = 0; i < nk; i++)
		mur_buf_printf(&order, "%s%s", i ? ", " : "", ps->batch_key_sql[i]);
	if (!(ps->batch_keys = sql_buf_finish(c, &order)))
		return MUR_ERR;
	if (q->nsort) { /* ORDER BY <sort>, <keys> */
		mur_buf_init(&order);
		for (int i = 0; i < q->nsort; i++)
			mur_buf_printf(&order, "%s%s %s NULLS %s", i ? ", " : "",
				       ps->batch_sort_sql[i], q->sorts[i].desc ? "DESC" : "ASC",
				       q->sorts[i].nulls_first ? "FIRST" : "LAST");
		mur_buf_printf(&order, ", %s", ps->batch_keys);
		if (!(ps->batch_order = sql_buf_finish(c, &order)))
			return MUR_ERR;
		ps->batch_nsort = q->nsort;
	}
	ps->batch_nkeys = nk;
	ps->batch_where = 0;
	ps->batch_whole = 1;
	ps->batch_unique = q->distinct  ? "the select list"
			   : q->has_agg ? "the group values"
					: "the key of each table read";
	return MUR_OK;
}
