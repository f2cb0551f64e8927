/*
 * plan_batch.c — a plain scan read a batch at a time, for portals that
 * stream (cursors, Execute with max rows: leader/lead_stream.c).
 *
 * A shard is read in key order, a batch of at most n rows per task:
 *
 *   first batch  <head> ORDER BY <keys> LIMIT n
 *   next ones    <head> {WHERE | AND} (<keys>) > (<last key>) ORDER BY <keys> LIMIT n
 *
 * where <head> is the scatter's shard_sql with the table's key columns
 * appended to the output (the executor drops them after reading the last
 * row's), and <keys> is the SQLite PRIMARY KEY of the shard table: the
 * declared key, else the hidden row id.  Why a keyset over the key rather
 * than OFFSET or a cursor held open on the follower (docs/decisions.md):
 * a batch is one ordinary QUERY task that any current copy answers (the
 * key is the same on every copy, SQLite's rowid is not), it costs the
 * batch's rows through the key's b-tree (OFFSET re-reads everything
 * skipped), and no follower state outlives a task (a follower restart, a
 * move or a failover mid-cursor is just the next batch read elsewhere).
 * The last key goes into the SQL text as a literal (sql_emit_value): the
 * statement's own parameters keep their numbers.
 *
 * ORDER BY of columns (the scan otherwise plain, LIMIT and OFFSET
 * constants or parameters) streams too: <head> also outputs the sort
 * columns the select list lacks, a shard's batch is ordered by the sort
 * and then the key, and the keyset condition says "after the last
 * (sort values, key) read" the way the sort orders: with NULLS FIRST /
 * LAST, DESC and the column's collation, expanded as
 *
 *   s1 after v1 OR (s1 = v1 AND (s2 after v2 OR (... OR (s_n = v_n AND (<keys>) > (<last key>)))))
 *
 * (s after NULL is "s IS NOT NULL" with NULLS FIRST, nothing with NULLS
 * LAST; s after v is "s > v" or "s < v" DESC, OR s IS NULL when NULLs
 * come last).  When s1 is a NOT NULL column, "s1 >= v1 AND" (<= DESC)
 * leads: redundant, but a range an index on s1 serves in order, so such
 * a batch reads its rows rather than sorting what is left of the shard.  The leader merges the shards' batches (common/rowmerge.h)
 * in that same order and applies OFFSET and LIMIT.  A sort expression
 * other than a column (its value is computed again each batch: random()
 * would break the keyset), jsonb and array columns (collations the merge
 * does not reproduce) and DISTINCT keep the whole-result path.
 *
 * Joins, aggregates, DISTINCT and windows whose result is complete per
 * shard, and ORDER BY of expressions, stream through plan_batch_whole.c
 * (the whole query per shard, in batches over a unique order of its
 * result; the keys then compared one by one, NULLs first:
 * emit_keys_after).  The rest the leader computes whole (EXPLAIN's
 * Cursor line says why).
 */
#include "sql/sqlInt.h"

#include <stdio.h>
#include <string.h>

/* The columns of t that make the shard table's PRIMARY KEY (plan_ddl.c's
 * shard_ddl): the declared key, else the hidden row id.  0 when neither. */
int sql_batch_key_cols(const cat_table *t, int *cols)
{
	int n = 0;
	for (int i = 0; i < t->ncols && n < PLAN_BATCH_KEYS_MAX; i++)
		if (t->cols[i].primary_key)
			cols[n++] = i;
	if (n > 0)
		return n;
	for (int i = 0; i < t->ncols && n < PLAN_BATCH_KEYS_MAX; i++)
		if (t->cols[i].hidden && !strcmp(t->cols[i].name, CAT_HIDDEN_ROWID))
			cols[n++] = i;
	return n;
}

/* The value of a LIMIT / OFFSET for a stream: a constant (NULL: none,
 * -1) or a parameter ($n: *param = n).  0 when neither. */
int sql_batch_count_of(const sql_expr *x, int64_t *v, int *param)
{
	*v = -1;
	*param = 0;
	if (!x)
		return 1;
	if (x->kind == SE_CONST && x->val.kind == MV_NULL)
		return 1;
	if (x->kind == SE_CONST && x->val.kind == MV_INT && x->val.i >= 0) {
		*v = x->val.i;
		return 1;
	}
	if (x->kind == SE_PARAM && mur_type_is_integer(x->type)) {
		*param = x->param;
		return 1;
	}
	return 0;
}

/* ORDER BY q's streamable: columns of the table, of types whose order
 * common/rowmerge.h reproduces. */
static int sort_ok(const sql_query *q)
{
	if (q->nsort > PLAN_BATCH_SORT_MAX || q->distinct)
		return 0;
	for (int i = 0; i < q->nsort; i++) {
		const sql_expr *x = q->sorts[i].e;
		if (x->kind != SE_COLUMN || x->type == MT_JSONB || mur_type_is_array(x->type))
			return 0;
	}
	return 1;
}

static int batchable(const sql_query *q)
{
	const sql_rte *r = &q->rtes[0];
	return q->nrte == 1 && !r->series && r->table && r->table->kind == CAT_TABLE_DISTRIBUTED &&
	       !q->has_agg && (!q->nsort || sort_ok(q)) &&
	       (q->nsort || (!q->limit && !q->offset)) && !q->distinct && !q->ndistinct_on &&
	       !q->nwindow && !q->ngsets && !q->locks_rows && !q->unnest;
}

/* ps->batch_sort*, batch_order and the hidden sort columns (appended to
 * b after the outputs): the sorted stream's. */
static int plan_sort(sql_ctx *c, const sql_query *q, plan_select *ps, mur_buf *b, const char *keys)
{
	sql_emit e = {NULL, q, 0};
	mur_buf order, x;
	int nhidden = 0;
	if (!sql_batch_count_of(q->limit, &ps->batch_limit, &ps->batch_limit_param) ||
	    !sql_batch_count_of(q->offset, &ps->batch_offset, &ps->batch_offset_param))
		return MUR_OK; /* not streamed */
	mur_buf_init(&order);
	for (int i = 0; i < q->nsort; i++) {
		const sql_sort *so = &q->sorts[i];
		mur_sortkey *k = &ps->batch_sort[i];
		k->col = so->target >= 0 ? (uint32_t)so->target
					 : (uint32_t)(q->ntarget + nhidden++);
		k->coll = so->e->type == MT_NUMERIC  ? MUR_SORT_NUMERIC
			  : so->e->type == MT_BPCHAR ? MUR_SORT_BPCHAR
						     : MUR_SORT_BINARY;
		k->desc = (uint8_t)so->desc;
		k->nulls_first = (uint8_t)so->nulls_first;
		if (so->target < 0) {
			e.b = b;
			sql_emit_expr(&e, so->e);
			mur_buf_printf(b, ", ");
		}
		mur_buf_init(&x);
		e.b = &x;
		mur_buf_put_u8(&x, '(');
		sql_emit_expr(&e, so->e);
		mur_buf_printf(&x, ")%s", sql_column_collate(so->e->type));
		if (!(ps->batch_sort_sql[i] = sql_buf_finish(c, &x)))
			return MUR_ERR;
		e.b = &order;
		mur_buf_printf(&order, "%s", i ? ", " : "");
		sql_emit_sort(&e, so->e, so->desc, so->nulls_first);
	}
	mur_buf_printf(&order, ", %s", keys);
	{
		const sql_expr *x = q->sorts[0].e;
		const cat_column *col = &q->rtes[x->rte].table->cols[x->col];
		ps->batch_first_notnull = col->not_null || col->primary_key;
	}
	if (!(ps->batch_order = sql_buf_finish(c, &order)))
		return MUR_ERR;
	ps->batch_nsort = q->nsort;
	return MUR_OK;
}

int sql_plan_batch(sql_ctx *c, const sql_query *q, plan_select *ps)
{
	int cols[PLAN_BATCH_KEYS_MAX], n;
	mur_buf b, k;
	sql_emit e = {&b, q, 0};
	if (!batchable(q) || (n = sql_batch_key_cols(q->rtes[0].table, cols)) == 0)
		return MUR_OK; /* not batched: the portal gets the whole result */
	mur_buf_init(&k);
	for (int i = 0; i < n; i++) {
		mur_buf_printf(&k, i ? ", " : "");
		sql_emit_ident(&k, q->rtes[0].alias);
		mur_buf_put_u8(&k, '.');
		sql_emit_ident(&k, q->rtes[0].table->cols[cols[i]].name);
	}
	if (!(ps->batch_keys = sql_buf_finish(c, &k)))
		return MUR_ERR;
	mur_buf_init(&b);
	mur_buf_printf(&b, "SELECT ");
	for (int i = 0; i < q->ntarget; i++) {
		sql_emit_expr(&e, q->targets[i].e);
		mur_buf_printf(&b, ", ");
	}
	if (q->nsort && plan_sort(c, q, ps, &b, ps->batch_keys) != MUR_OK) {
		mur_buf_free(&b);
		return MUR_ERR;
	}
	if (q->nsort && !ps->batch_nsort) {
		mur_buf_free(&b);
		return MUR_OK; /* a LIMIT the stream cannot count: whole */
	}
	mur_buf_printf(&b, "%s", ps->batch_keys);
	sql_emit_from(&e, q);
	if (q->where) {
		mur_buf_printf(&b, " WHERE ");
		sql_emit_expr(&e, q->where);
	}
	if (!(ps->batch_head = sql_buf_finish(c, &b)))
		return MUR_ERR;
	ps->batch_nkeys = n;
	ps->batch_where = q->where != NULL;
	return MUR_OK;
}

/* "s after v" in the order of sort key k (s: sql) */
static void emit_after(mur_buf *out, const mur_sortkey *k, const char *s, const mur_value *v)
{
	if (v->kind == MV_NULL) {
		mur_buf_printf(out, k->nulls_first ? "%s IS NOT NULL" : "0", s);
		return;
	}
	mur_buf_printf(out, "%s%s %s ", k->nulls_first ? "" : "(", s, k->desc ? "<" : ">");
	sql_emit_value(out, v);
	if (!k->nulls_first)
		mur_buf_printf(out, " OR %s IS NULL)", s);
}

static void emit_equal(mur_buf *out, const char *s, const mur_value *v)
{
	if (v->kind == MV_NULL) {
		mur_buf_printf(out, "%s IS NULL", s);
		return;
	}
	mur_buf_printf(out, "%s = ", s);
	sql_emit_value(out, v);
}

/* "(keys) after (key)" one key at a time, ascending, NULLs first (a
 * row value comparison is NULL when a key is: batch_whole's may be) */
static void emit_keys_after(mur_buf *out, const plan_select *ps, const mur_value *key)
{
	static const mur_sortkey asc = {0, 0, 0, 1}; /* SQLite's ascending order */
	mur_buf_put_u8(out, '(');
	for (int i = 0; i < ps->batch_nkeys; i++) {
		emit_after(out, &asc, ps->batch_key_sql[i], &key[i]);
		if (i + 1 < ps->batch_nkeys) {
			mur_buf_printf(out, " OR (");
			emit_equal(out, ps->batch_key_sql[i], &key[i]);
			mur_buf_printf(out, " AND (");
		}
	}
	for (int i = 0; i + 1 < ps->batch_nkeys; i++)
		mur_buf_printf(out, "))");
	mur_buf_put_u8(out, ')');
}

/* "after the last (sort values,) key read" */
static void emit_condition(mur_buf *out, const plan_select *ps, const mur_value *last)
{
	const mur_value *key = last + ps->batch_nsort;
	if (ps->batch_nsort && ps->batch_first_notnull && last[0].kind != MV_NULL) {
		/* redundant, but a range SQLite reads an index on s1 by */
		mur_buf_printf(out, "%s %s ", ps->batch_sort_sql[0],
			       ps->batch_sort[0].desc ? "<=" : ">=");
		sql_emit_value(out, &last[0]);
		mur_buf_printf(out, " AND ");
	}
	if (ps->batch_nsort)
		mur_buf_put_u8(out, '(');
	for (int i = 0; i < ps->batch_nsort; i++) {
		emit_after(out, &ps->batch_sort[i], ps->batch_sort_sql[i], &last[i]);
		mur_buf_printf(out, " OR (");
		emit_equal(out, ps->batch_sort_sql[i], &last[i]);
		mur_buf_printf(out, " AND (");
	}
	if (ps->batch_whole)
		emit_keys_after(out, ps, key);
	else {
		mur_buf_printf(out, "(%s) > (", ps->batch_keys);
		for (int i = 0; i < ps->batch_nkeys; i++) {
			mur_buf_printf(out, i ? ", " : "");
			sql_emit_value(out, &key[i]);
		}
		mur_buf_put_u8(out, ')');
	}
	for (int i = 0; i < ps->batch_nsort; i++)
		mur_buf_printf(out, "))");
	if (ps->batch_nsort)
		mur_buf_put_u8(out, ')');
}

int sql_batch_sql(const plan_select *ps, const mur_value *last, uint32_t limit, mur_buf *out)
{
	const char *mark = NULL;
	if (!ps->batch_head)
		return MUR_ERR;
	mur_buf_reset(out);
	for (const char *m = ps->batch_mark ? strstr(ps->batch_head, ps->batch_mark) : NULL; m;
	     m = strstr(m + 1, ps->batch_mark))
		mark = m; /* the last: the query's own text comes before it */
	if (mark) {       /* the condition in the query's place for it (plan_batch_whole.c) */
		mur_buf_put(out, ps->batch_head, (size_t)(mark - ps->batch_head));
		if (last)
			emit_condition(out, ps, last);
		else
			mur_buf_put_u8(out, '1');
		mur_buf_printf(out, "%s", mark + strlen(ps->batch_mark));
	} else {
		mur_buf_printf(out, "%s", ps->batch_head);
		if (last) {
			mur_buf_printf(out, ps->batch_where ? " AND " : " WHERE ");
			emit_condition(out, ps, last);
		}
	}
	mur_buf_printf(out, " ORDER BY %s LIMIT %u",
		       ps->batch_nsort ? ps->batch_order : ps->batch_keys, limit);
	return mur_buf_ok(out) ? MUR_OK : MUR_ENOMEM;
}
