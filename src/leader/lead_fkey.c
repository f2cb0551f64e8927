/*
 * lead_fkey.c — foreign keys checked by the leader (catalog/catalog_fkey.h;
 * docs/decisions.md, "Foreign keys": why here, and why it is safe against
 * concurrent writers).
 *
 *   INSERT into a referencing table t (before its rows are sent):
 *     lock each distinct shard of p the values fall in SHARED ──> for each
 *     distinct value v, SELECT 1 FROM p WHERE b = v (LEAD_FKEY_READS_MAX
 *     at once) ──(no row)──> 23503 for the first such row, nothing written
 *   UPDATE of t's referencing column: its new rows come back to the leader
 *   after the write and are checked as an INSERT's (the UPDATE undone on
 *   a violation)
 *   DELETE from a referenced table p (after its rows are deleted, before
 *   the statement's transaction commits; the rows come back to the leader):
 *     for each referenced value v, in turn: lock t's shards SHARED ──>
 *     SELECT 1 FROM t WHERE a = v ──(a row)──> 23503, the DELETE undone;
 *     ON DELETE CASCADE / SET NULL: DELETE FROM t / UPDATE t SET a = NULL
 *     WHERE a = v instead (a child write run, its own keys checked so)
 *   ALTER TABLE ADD CONSTRAINT: the key into the catalog, then a read of
 *     a referencing value the parent lacks ──(a row)──> 23503, key dropped
 *
 * Both run inside the statement's transaction (the block's, or an
 * implicit one begun here even over one shard), so the locks last until
 * it ends: a DELETE of p waits for every INSERT that saw its key until
 * that commits (and then sees its row), and an INSERT that comes after
 * the DELETE locked the shard waits for it to end (and then misses the
 * key).  Strict two-phase locking on shards: no orphan either way; a
 * cycle is 40P01 as any (docs/transactions.md).
 *
 * One check is one router read (a bulk INSERT pays one per distinct
 * value: docs/decisions.md has the numbers).  Rows the checks cannot read
 * fail the statement (XX000), never skip it.  Memory: lead_fkey (r->fk)
 * is malloc'd by collect and freed by lead_fkey_free (run_free); item
 * values point into the run's rows.
 */
#include "leader/lead_int.h"

#include "catalog/catalog_fkey.h"
#include "common/failing_row.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define LEAD_FKEY_DEDUP_MAX 4096 /* distinct values kept apart by a linear search */
#define LEAD_FKEY_READS_MAX 32   /* an INSERT's checks in flight at once */

typedef struct fk_item {
	const cat_fkey *k;
	mur_value v; /* points into the run's rows (stable while checks run) */
} fk_item;

struct lead_fkey {
	int n, cap, next;
	fk_item *items;
	int deleting;       /* 1: p's rows were deleted, t must not have v */
	int done;           /* the checks ran (the continuation calls in again) */
	int locked;         /* inserting: every lock is held, reads run in parallel */
	int inflight;       /* inserting: reads running */
	int bad;            /* the first item (in row order) that violates, -1: none */
	lead_run_next cont; /* after the last check (or a failure) */
	mur_buf scratch;
};

void lead_fkey_free(lead_run *r)
{
	if (!r->fk)
		return;
	free(r->fk->items);
	mur_buf_free(&r->fk->scratch);
	free(r->fk);
	r->fk = NULL;
}

static int add_item(lead_fkey *f, const cat_fkey *k, const mur_value *v)
{
	if (v->kind == MV_NULL)
		return MUR_OK; /* MATCH SIMPLE: a NULL references nothing */
	for (int i = 0; f->n <= LEAD_FKEY_DEDUP_MAX && i < f->n; i++)
		if (f->items[i].k == k && mur_value_cmp(&f->items[i].v, v) == 0)
			return MUR_OK;
	if (f->n == f->cap) {
		int cap = f->cap ? f->cap * 2 : 8;
		fk_item *g = realloc(f->items, (size_t)cap * sizeof *g);
		if (!g)
			return MUR_ERR;
		f->items = g;
		f->cap = cap;
	}
	f->items[f->n].k = k;
	f->items[f->n++].v = *v;
	return MUR_OK;
}

/* Collect the values of rows (nrows × ncols, table t's column order) the
 * keys need checked: t's referencing columns (inserting) or t's
 * referenced ones (deleting).  0 when there is nothing to check. */
static int collect(lead_run *r, const cat_table *t, const char *rows, size_t len, uint64_t nrows,
		   uint32_t ncols, int deleting)
{
	const catalog *cat = r->e->cat;
	mur_value vals[CAT_COLUMNS_MAX];
	mur_error err;
	mur_rd rd;
	int any = 0;
	for (int i = 0; i < cat_fkey_count(cat); i++) {
		const cat_fkey *k = cat_fkey_at(cat, i);
		any |= k && (deleting ? k->ref_table_id : k->table_id) == t->id;
	}
	if (!any || r->failed || nrows == 0)
		return 0;
	if (ncols != (uint32_t)t->ncols)
		goto err_malformed;
	lead_fkey_free(r);
	if (!(r->fk = calloc(1, sizeof *r->fk)))
		goto err_oom;
	mur_buf_init(&r->fk->scratch);
	r->fk->deleting = deleting;
	r->fk->bad = -1;
	mur_rd_init(&rd, rows, len);
	for (uint64_t row = 0; row < nrows; row++) {
		for (uint32_t c = 0; c < ncols; c++)
			if (mur_row_get_value(&rd, &vals[c]) != MUR_OK)
				goto err_malformed;
		for (int i = 0; i < cat_fkey_count(cat); i++) {
			const cat_fkey *k = cat_fkey_at(cat, i);
			if (!k || (deleting ? k->ref_table_id : k->table_id) != t->id)
				continue;
			if (add_item(r->fk, k, &vals[deleting ? k->ref_col : k->col]) != MUR_OK)
				goto err_oom;
		}
	}
	return r->fk->n > 0;
err_malformed: /* never the keys unchecked: the statement fails */
	mur_error_set(&err, SQLSTATE_INTERNAL_ERROR,
		      "internal error: rows of table \"%s\" to check for foreign keys are "
		      "malformed",
		      t->name);
	lead_run_fail(r, &err);
	return 0;
err_oom:
	mur_error_set(&err, SQLSTATE_OUT_OF_MEMORY, "out of memory");
	lead_run_fail(r, &err);
	return 0;
}

/* The statement's transaction (the block's, or an implicit one). */
static repl_txn *statement_txn(lead_run *r)
{
	lead_run *top = r;
	mur_error err;
	while (top->parent)
		top = top->parent;
	if (!top->block_txid && !top->itx &&
	    !(top->itx = repl_txn_begin(r->e->repl, lead_time_id(&r->s->e->txid_next), &err)))
		lead_run_fail(r, &err);
	return lead_txn_of_run(r);
}

static void check_next(lead_run *r);

static void fail_23503(lead_run *r, const fk_item *it)
{
	const catalog *cat = r->e->cat;
	const cat_table *t = cat_table_by_id((catalog *)cat, it->k->table_id);
	const cat_table *p = cat_table_by_id((catalog *)cat, it->k->ref_table_id);
	const cat_column *col = r->fk->deleting ? &p->cols[it->k->ref_col] : &t->cols[it->k->col];
	mur_buf v;
	mur_error err;
	mur_buf_init(&v);
	/* a timestamptz marked, written in the session's zone by pgwire's
	 * localize_error (common/failing_row.h) */
	mur_failing_row_text(col->type, &it->v, NULL, &v);
	mur_buf_put_u8(&v, 0);
	if (r->fk->deleting) {
		mur_error_set(&err, "23503",
			      "update or delete on table \"%s\" violates foreign key constraint "
			      "\"%s\" on table \"%s\"",
			      p->name, it->k->name, t->name);
		mur_error_detail(&err, "Key (%s)=(%s) is still referenced from table \"%s\".",
				 col->name, mur_buf_ok(&v) ? v.data : "?", t->name);
	} else {
		mur_error_set(&err, "23503",
			      "insert or update on table \"%s\" violates foreign key constraint "
			      "\"%s\"",
			      t->name, it->k->name);
		mur_error_detail(&err, "Key (%s)=(%s) is not present in table \"%s\".", col->name,
				 mur_buf_ok(&v) ? v.data : "?", p->name);
	}
	mur_buf_free(&v);
	lead_run_fail(r, &err);
}

static void check_done(lead_run *r, lead_run *child)
{
	if (child->failed)
		lead_run_fail(r, &child->err);
	else if ((child->nrows > 0) == r->fk->deleting &&
		 (r->fk->bad < 0 || child->step < r->fk->bad))
		r->fk->bad = child->step; /* reported once every read is in */
	if (r->fk->deleting)
		r->fk->next++;
	else
		r->fk->inflight--;
	check_next(r);
}

/* The schema a statement of ours names t in: the tables of a created
 * schema are not found by their bare name. */
static const char *schema_of(const cat_table *t) { return t->schema[0] ? t->schema : "public"; }

/* Read the other table for item idx's value (its lock is held): a child
 * run that answers check_done.  MUR_ERR (r failed) when it could not
 * start. */
static int start_read(lead_run *r, int idx)
{
	const fk_item *it = &r->fk->items[idx];
	const catalog *cat = r->e->cat;
	const cat_table *t = cat_table_by_id((catalog *)cat, it->k->table_id);
	const cat_table *p = cat_table_by_id((catalog *)cat, it->k->ref_table_id);
	const cat_table *other = r->fk->deleting ? t : p;
	const cat_column *col = r->fk->deleting ? &t->cols[it->k->col] : &p->cols[it->k->ref_col];
	char sql[4 * CAT_NAME_MAX + 64];
	mur_type type = col->type;
	plan *pl = NULL;
	lead_run *child;
	mur_error err;
	snprintf(sql, sizeof sql, "SELECT 1 FROM \"%s\".\"%s\" WHERE \"%s\" = $1 LIMIT 1",
		 schema_of(other), other->name, col->name);
	if (sql_prepare(cat, sql, 1, &type, &pl, &err) != MUR_OK) {
		lead_run_fail(r, &err);
		return MUR_ERR;
	}
	if (!(child = lead_run_child(r, pl, check_done))) {
		plan_free(pl);
		mur_error_set(&err, SQLSTATE_OUT_OF_MEMORY, "out of memory");
		lead_run_fail(r, &err);
		return MUR_ERR;
	}
	child->own_plan = pl;
	child->step = idx;
	free(child->params);
	child->params = calloc(1, sizeof *child->params);
	child->nparams = child->params ? 1 : 0;
	if (child->params)
		child->params[0] = it->v;
	lead_run_start(child);
	return MUR_OK;
}

/* Deleting: the lock of the next item is held, read for it. */
static void locked(lead_run *r)
{
	if (r->failed || start_read(r, r->fk->next) != MUR_OK)
		check_next(r);
}

static void acted(lead_run *r, lead_run *child)
{
	if (child->failed)
		lead_run_fail(r, &child->err);
	r->fk->next++;
	check_next(r);
}

/* ON DELETE CASCADE / SET NULL: t's rows of the deleted key v go, or
 * lose it, by a DELETE / UPDATE run as a child in the statement's
 * transaction (its own keys checked in turn: lead_fkey_deleted). */
static void act_on(lead_run *r, const fk_item *it)
{
	const catalog *cat = r->e->cat;
	const cat_table *t = cat_table_by_id((catalog *)cat, it->k->table_id);
	const char *a = t->cols[it->k->col].name;
	char sql[4 * CAT_NAME_MAX + 64];
	mur_type type = t->cols[it->k->col].type;
	plan *pl = NULL;
	lead_run *child;
	mur_error err;
	if (it->k->on_delete == CAT_FK_CASCADE)
		snprintf(sql, sizeof sql, "DELETE FROM \"%s\".\"%s\" WHERE \"%s\" = $1",
			 schema_of(t), t->name, a);
	else
		snprintf(sql, sizeof sql,
			 "UPDATE \"%s\".\"%s\" SET \"%s\" = NULL WHERE \"%s\" = $1", schema_of(t),
			 t->name, a, a);
	if (sql_prepare(cat, sql, 1, &type, &pl, &err) != MUR_OK ||
	    !(child = lead_run_child(r, pl, acted))) {
		if (pl)
			mur_error_set(&err, SQLSTATE_OUT_OF_MEMORY, "out of memory");
		plan_free(pl);
		lead_run_fail(r, &err);
		check_next(r);
		return;
	}
	child->own_plan = pl;
	free(child->params);
	child->params = calloc(1, sizeof *child->params);
	child->nparams = child->params ? 1 : 0;
	if (child->params)
		child->params[0] = it->v;
	lead_run_start(child);
}

/* Take shard sh of t shared in transaction tx (r waits for it). */
static void lock_shard(lead_run *r, const cat_table *t, uint32_t sh, repl_txn *tx)
{
	repl_write_facts f = {0};
	mur_error err;
	f.txn = tx;
	f.lock_shared = 1;
	lead_txn_wait_facts(r->s, &f);
	r->npending++;
	if (repl_lock_shard(r->e->repl, t, sh, &f, lead_run_part_done, r, &err) != MUR_OK) {
		r->npending--;
		lead_run_fail(r, &err);
	}
}

/* The shard of p holding key v (p's key is its distribution column:
 * co-located, plan_fkey.c). */
static int shard_of(lead_run *r, const cat_table *p, const mur_value *v, uint32_t *sh)
{
	mur_value cv;
	mur_error err;
	mur_buf_reset(&r->fk->scratch);
	if (mur_value_coerce(p->cols[p->dist_col].type, v, &r->fk->scratch, &cv, &err) != MUR_OK) {
		lead_run_fail(r, &err);
		return MUR_ERR;
	}
	*sh = cat_shard_for_value(p, &cv);
	return MUR_OK;
}

/* Deleting: every shard of the referencing table, shared. */
static void lock_for(lead_run *r, const fk_item *it, repl_txn *tx)
{
	const cat_table *t = cat_table_by_id(r->e->cat, it->k->table_id);
	for (uint32_t sh = 0; sh < t->nshards && !r->failed; sh++)
		lock_shard(r, t, sh, tx);
}

/* The checks are over: the first violation, if any, is the error. */
static void finish(lead_run *r)
{
	lead_fkey *f = r->fk;
	if (f->bad >= 0 && !r->failed)
		fail_23503(r, &f->items[f->bad]);
	f->done = 1;
	f->cont(r);
}

/* Inserting: every distinct shard the checks read locked at once (one
 * request per shard), then the reads, LEAD_FKEY_READS_MAX at a time. */
static void lock_all(lead_run *r, repl_txn *tx)
{
	lead_fkey *f = r->fk;
	uint64_t *seen = calloc((size_t)f->n, sizeof *seen);
	int nseen = 0;
	mur_error err;
	f->locked = 1;
	if (!seen) {
		mur_error_set(&err, SQLSTATE_OUT_OF_MEMORY, "out of memory");
		lead_run_fail(r, &err);
		return;
	}
	for (int i = 0; i < f->n && !r->failed; i++) {
		const cat_table *p = cat_table_by_id(r->e->cat, f->items[i].k->ref_table_id);
		uint32_t sh = 0;
		uint64_t key;
		int dup = 0;
		if (!cat_table_is_reference(p) && shard_of(r, p, &f->items[i].v, &sh) != MUR_OK)
			break;
		key = (uint64_t)p->id << 32 | sh;
		for (int j = 0; j < nseen && !dup; j++)
			dup = seen[j] == key;
		if (dup)
			continue;
		seen[nseen++] = key;
		lock_shard(r, p, sh, tx);
	}
	free(seen);
}

static void check_next(lead_run *r)
{
	lead_fkey *f = r->fk;
	repl_txn *tx;
	if (!f->deleting && f->locked) {
		while (!r->failed && f->bad < 0 && f->next < f->n &&
		       f->inflight < LEAD_FKEY_READS_MAX) {
			f->inflight++;
			if (start_read(r, f->next++) != MUR_OK)
				f->inflight--;
		}
		if (f->inflight > 0 || f->done)
			return;
		finish(r);
		return;
	}
	if (r->failed || f->bad >= 0 || f->next >= f->n) {
		finish(r);
		return;
	}
	if (!(tx = statement_txn(r))) {
		mur_error err;
		if (!r->failed) {
			mur_error_set(&err, SQLSTATE_IN_FAILED_SQL_TRANSACTION,
				      "the transaction has ended; the foreign key was not checked");
			lead_run_fail(r, &err);
		}
		check_next(r);
		return;
	}
	if (f->deleting && (f->items[f->next].k->on_delete == CAT_FK_CASCADE ||
			    f->items[f->next].k->on_delete == CAT_FK_SET_NULL)) {
		act_on(r, &f->items[f->next]);
		return;
	}
	if (!f->deleting) {
		lock_all(r, tx);
		lead_run_wait(r, check_next);
		return;
	}
	lock_for(r, &f->items[f->next], tx);
	lead_run_wait(r, locked);
}

int lead_fkey_insert(lead_run *r, const char *rows, size_t len, uint64_t nrows, uint32_t ncols,
		     lead_run_next cont)
{
	if (r->fk && r->fk->done)
		return 0;
	if (!collect(r, r->p->u.insert.table, rows, len, nrows, ncols, 0))
		return 0;
	r->fk->cont = cont;
	check_next(r);
	return 1;
}

int lead_fkey_deleted(lead_run *r, lead_run_next cont)
{
	const plan_modify *pm = &r->p->u.modify;
	if (!pm->fk_returning || (r->fk && r->fk->done))
		return 0;
	if (!collect(r, pm->table, r->rows.data, r->rows.len, r->nrows, r->ncols,
		     pm->fk_returning == PLAN_FK_DELETED_ROWS))
		return 0;
	r->fk->cont = cont;
	check_next(r);
	return 1;
}

void lead_fkey_begin_txn(lead_run *r)
{
	if (r->p->kind == PLAN_MODIFY && r->p->u.modify.fk_returning)
		(void)statement_txn(r);
}

/* ---- ALTER TABLE ADD / DROP CONSTRAINT ---- */

/* The validation read is done: a row is a referencing value the parent
 * lacks (23503, the key goes again). */
static void validated(lead_run *r, lead_run *child)
{
	const plan_alter *pa = &r->p->u.alter;
	const cat_fkey *k = cat_fkey_find(r->e->cat, pa->table->id, pa->fkey_add->name);
	mur_error err;
	if (child->failed) {
		lead_run_fail(r, &child->err);
	} else if (child->nrows > 0) {
		fk_item it = {.k = k};
		mur_rd rd;
		mur_rd_init(&rd, child->rows.data, child->rows.len);
		if (mur_row_get_value(&rd, &it.v) != MUR_OK)
			it.v.kind = MV_NULL;
		if ((r->fk = calloc(1, sizeof *r->fk))) {
			r->fk->bad = -1;
			fail_23503(r, &it);
		} else {
			mur_error_set(&err, SQLSTATE_OUT_OF_MEMORY, "out of memory");
			lead_run_fail(r, &err);
		}
	}
	if (r->failed && k && cat_fkey_drop(r->e->cat, k->id, &err) != MUR_OK)
		lead_run_fail(r, &err);
	lead_run_finish(r);
}

void lead_fkey_alter(lead_run *r)
{
	const plan_alter *pa = &r->p->u.alter;
	plan *pl = NULL;
	lead_run *child;
	mur_error err;
	snprintf(r->res->tag, sizeof r->res->tag, "ALTER TABLE");
	if (pa->fkey_drop) {
		if (cat_fkey_drop(r->e->cat, pa->fkey_drop, &err) != MUR_OK)
			lead_run_fail(r, &err);
		lead_run_finish(r);
		return;
	}
	/* in the catalog first: writes from now on are checked, and the
	 * validation then sees every row written before */
	if (cat_fkey_add(r->e->cat, pa->fkey_add, &err) != MUR_OK ||
	    sql_prepare(r->e->cat, pa->validate_sql, 0, NULL, &pl, &err) != MUR_OK) {
		lead_run_fail(r, &err);
		lead_run_finish(r);
		return;
	}
	if (!(child = lead_run_child(r, pl, validated))) {
		plan_free(pl);
		mur_error_set(&err, SQLSTATE_OUT_OF_MEMORY, "out of memory");
		lead_run_fail(r, &err);
		lead_run_finish(r);
		return;
	}
	child->own_plan = pl;
	lead_run_start(child);
}
