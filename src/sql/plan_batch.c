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
 * Only a scan the leader concatenates qualifies: one table, no
 * aggregate, ORDER BY, LIMIT/OFFSET, DISTINCT, window, unnest or locking
 * clause (then the whole result is assembled as the SELECT's is).
 */
#include "sql/sqlInt.h"

#include <stdio.h>
#include <string.h>

/* The columns of t that make the shard table's PRIMARY KEY (plan_ddl.c's
 * shard_ddl): the declared key, else the hidden row id.  0 when neither. */
static int key_cols(const cat_table *t, int *cols)
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

static int batchable(const sql_query *q)
{
	const sql_rte *r = &q->rtes[0];
	return q->nrte == 1 && !r->series && r->table && r->table->kind == CAT_TABLE_DISTRIBUTED &&
	       !q->has_agg && !q->nsort && !q->limit && !q->offset && !q->distinct &&
	       !q->ndistinct_on && !q->nwindow && !q->ngsets && !q->locks_rows && !q->unnest;
}

int sql_plan_batch(sql_ctx *c, const sql_query *q, plan_select *ps)
{
	int cols[PLAN_BATCH_KEYS_MAX], n;
	mur_buf b, k;
	sql_emit e = {&b, q, 0};
	if (!batchable(q) || (n = key_cols(q->rtes[0].table, cols)) == 0)
		return MUR_OK; /* not batched: the portal gets the whole result */
	mur_buf_init(&k);
	for (int i = 0; i < n; i++) {
		mur_buf_printf(&k, i ? ", " : "");
		sql_emit_ident(&k, q->rtes[0].alias);
		mur_buf_put_u8(&k, '.');
		sql_emit_ident(&k, q->rtes[0].table->cols[cols[i]].name);
	}
	mur_buf_init(&b);
	mur_buf_printf(&b, "SELECT ");
	for (int i = 0; i < q->ntarget; i++) {
		sql_emit_expr(&e, q->targets[i].e);
		mur_buf_printf(&b, ", ");
	}
	mur_buf_put(&b, k.data, k.len);
	sql_emit_from(&e, q);
	if (q->where) {
		mur_buf_printf(&b, " WHERE ");
		sql_emit_expr(&e, q->where);
	}
	if (!(ps->batch_keys = sql_buf_finish(c, &k)) || !(ps->batch_head = sql_buf_finish(c, &b)))
		return MUR_ERR;
	ps->batch_nkeys = n;
	ps->batch_where = q->where != NULL;
	return MUR_OK;
}

int sql_batch_sql(const plan_select *ps, const mur_value *last, uint32_t limit, mur_buf *out)
{
	if (!ps->batch_head)
		return MUR_ERR;
	mur_buf_reset(out);
	mur_buf_printf(out, "%s", ps->batch_head);
	if (last) {
		mur_buf_printf(out, ps->batch_where ? " AND (%s) > (" : " WHERE (%s) > (",
			       ps->batch_keys);
		for (int i = 0; i < ps->batch_nkeys; i++) {
			mur_buf_printf(out, i ? ", " : "");
			sql_emit_value(out, &last[i]);
		}
		mur_buf_put_u8(out, ')');
	}
	mur_buf_printf(out, " ORDER BY %s LIMIT %u", ps->batch_keys, limit);
	return mur_buf_ok(out) ? MUR_OK : MUR_ENOMEM;
}
