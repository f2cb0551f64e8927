/*
 * plan_select.c — where each part of an analyzed SELECT runs.
 *
 * Strategies, tried in order (Citus's order: fast path, router, logical):
 *   leader     no FROM or only murphy.* virtual tables: leader_sql runs in
 *              the leader's in-memory SQLite (PLAN_LEADER_SELECT).
 *   router     WHERE pins tables[0]'s distribution column (top-level
 *              conjunct `col = constant | $n`): the whole query, aggregates
 *              and ORDER BY/LIMIT included, runs on the one shard.
 *              A range table's column bounded instead (col >= / > / < /
 *              <= k, col BETWEEN a AND b; plan_prune.bounds) leaves the
 *              shards whose ranges overlap: the next strategies run there.
 *              A conjunct listing the column's values (col IN (k, ...),
 *              col = a OR col = b; plan_prune.keys) leaves those values'
 *              shards, for any table: the same.
 *   scatter    no aggregates: shard_sql = projection + WHERE (+ ORDER BY
 *              and LIMIT limit+offset as a per-shard top-N); final_sql over
 *              r does the global ORDER BY/LIMIT/OFFSET/DISTINCT.  Sort keys
 *              that are not output columns ride along as hidden columns.
 *   aggregate  shard_sql = group expressions + aggregate arguments; the
 *              follower's hash aggregate (partial_agg) groups them; the
 *              leader merges partials (final_agg); final_sql computes the
 *              output expressions, HAVING, ORDER BY, LIMIT over r.
 *              Equal partials are computed once (sum(x) and avg(x) share
 *              x's sum; count(x) of a NOT NULL column is count(*)); a GROUP
 *              BY holding the distribution column needs no merge (every
 *              group whole on one shard): the leader concatenates.
 *              count(DISTINCT x): co-located when x is the distribution
 *              column (COUNT_DISTINCT per shard, SUM_COUNT on the leader),
 *              else gather distinct (shards return distinct (groups, x)
 *              tuples; the leader counts them).
 *   approximate with murphy.count_distinct = 'approximate' (sql_options),
 *              every count(DISTINCT x) of a distributed SELECT is planned
 *              as approx_count_distinct(x) before the strategies above
 *              (HyperLogLog: HLL per shard, HLL_COUNT on the leader, or
 *              mur_approx_count_distinct in a router plan): strategy
 *              "approximate count distinct".
 *
 * Joins run inside each shard and are accepted only when co-located: every
 * table is joined to another on both distribution columns by equality and
 * all have the same shard count (then shard i of each lives on the same
 * followers); range tables must have the same bounds, and a range table is
 * never co-located with a hash table (cat_tables_colocated).
 *
 * Reference tables (one shard, a copy on every follower) join with
 * anything on any condition: the tasks follow the shards of the first
 * hash-distributed table (the *driver*, schema main) and read shard 0 of
 * each reference table on the same follower.  Only hash tables take part
 * in the co-location check.  A query over reference tables only is a
 * router plan on shard 0.  An outer join whose preserved side has only
 * reference tables and whose other side a hash table (ref LEFT JOIN hash,
 * hash RIGHT JOIN ref, FULL JOIN of the two) would emit the unmatched
 * reference rows on every shard: it is shuffled by its join key
 * (plan_join.c), and refused without one.  RIGHT and FULL JOINs of hash
 * tables run shard by shard when co-located (every key on one shard, so
 * each unmatched row is emitted once), shuffled by the join key otherwise.
 */
#include "sql/sqlInt.h"

#include "common/numeric.h"
#include "pgcatalog/pgcatalog.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- outputs ---- */

/* An output that is a table's column as is: the table's OID and the
 * column's number as pg_attribute gives them (murphy's hidden columns not
 * counted), for RowDescription (pgjdbc's ResultSetMetaData.getTableName
 * and isNullable, psycopg2's description.table_oid). */
static void output_source(const sql_query *q, const sql_expr *e, plan_column *o)
{
	const cat_table *t = e->rte >= 0 && e->rte < q->nrte ? q->rtes[e->rte].table : NULL;
	int num = 0;
	if (!t || e->col < 0 || e->col >= t->ncols || t->cols[e->col].hidden)
		return;
	for (int c = 0; c <= e->col; c++)
		num += !t->cols[c].hidden;
	o->table_oid = pgc_table_oid(t);
	o->attnum = (int16_t)num;
}

int sql_plan_outputs(sql_ctx *c, const sql_query *q, plan *p)
{
	p->nout = q->ntarget;
	p->out = sql_alloc(c, sizeof(plan_column) * (size_t)(q->ntarget ? q->ntarget : 1));
	if (!p->out)
		return MUR_ERR;
	for (int i = 0; i < q->ntarget; i++) {
		const sql_expr *e = q->targets[i].e;
		plan_column *o = &p->out[i];
		snprintf(o->name, sizeof o->name, "%s", q->targets[i].name);
		o->type = e->type;
		if (e->kind == SE_PARAM)
			o->type = c->param_types[e->param - 1];
		if (o->type == MT_UNKNOWN)
			o->type = MT_TEXT;
		if (e->kind == SE_COLUMN)
			output_source(q, e, o);
		if (e->kind == SE_CALL && !strcmp(e->op, "mur_pg_typeof"))
			o->type_oid = PLAN_OID_REGTYPE; /* a type's name, as regtype prints */
		/* RowDescription carries PostgreSQL's atttypmod: varchar(n) is n + 4,
		 * numeric(p,s) ((p << 16) | s) + 4 */
		o->typmod = (e->typmod >= 0 && (e->type == MT_VARCHAR || e->type == MT_BPCHAR ||
						e->type == MT_NUMERIC))
				    ? e->typmod + 4
				    : -1;
	}
	return MUR_OK;
}

/* ---- conjuncts, co-location, pruning ---- */

int sql_conjuncts(sql_expr *e, sql_expr **out, int n, int max)
{
	if (!e)
		return n;
	if (e->kind == SE_BOOL && !strcmp(e->op, "AND")) {
		for (int i = 0; i < e->nargs; i++)
			n = sql_conjuncts(e->args[i], out, n, max);
		return n;
	}
	if (n < max)
		out[n++] = e;
	return n;
}

/* A reference table's key is no distribution column: it splits nothing. */
static int is_dist_col(const sql_query *q, const sql_expr *e)
{
	return e->kind == SE_COLUMN && q->rtes[e->rte].table->dist_col == e->col &&
	       !cat_table_is_reference(q->rtes[e->rte].table);
}

/* The driver's distribution column where it splits rows by shard: not
 * when an outer join null-extends the driver (sql_rte_nullable). */
static int is_split_col(const sql_query *q, const sql_expr *e)
{
	return is_dist_col(q, e) && e->rte == q->driver && !sql_rte_nullable(q, e->rte);
}

static int is_dist_equality(const sql_query *q, const sql_expr *e)
{
	const sql_expr *l, *r;
	return e->kind == SE_OP && e->nargs == 2 && !strcmp(e->op, "=") &&
	       (l = sql_equated_column(e->args[0])) && (r = sql_equated_column(e->args[1])) &&
	       is_dist_col(q, l) && is_dist_col(q, r) && l->rte != r->rte;
}

/* Whether rtes [from, to) hold a hash-distributed table. */
static int has_hash(const sql_query *q, int from, int to)
{
	for (int i = from; i < to; i++)
		if (!cat_table_is_reference(q->rtes[i].table) && !q->rtes[i].ship)
			return 1;
	return 0;
}

/* An outer join whose preserved side has only reference tables and whose
 * other side has a distributed table: each shard would also emit the
 * reference rows that match nothing in that shard.  LEFT JOIN: the tables
 * before rte k are preserved; RIGHT JOIN: rte k; FULL JOIN: both. */
static int check_reference_outer(sql_ctx *c, const sql_query *q)
{
	for (int k = 1; k < q->nrte; k++) {
		const cat_table *rk = q->rtes[k].table;
		int left_bad = q->rtes[k].join_left && !has_hash(q, 0, k) && has_hash(q, k, k + 1);
		int right_bad = q->rtes[k].join_right && !has_hash(q, k, k + 1) &&
				has_hash(q, 0, k);
		if (!left_bad && !right_bad)
			continue;
		const char *ref = left_bad ? q->rtes[0].table->name : rk->name;
		const char *dist = left_bad ? rk->name : q->rtes[q->driver].table->name;
		if (q->rtes[left_bad ? 0 : k].series) /* a set-returning function (emit_srf.c) */
			return sql_err(c, SQLSTATE_FEATURE_NOT_SUPPORTED, q->rtes[k].loc,
				       "murphy does not support %s on the preserved side of an "
				       "outer join with distributed table \"%s\" yet",
				       ref, dist);
		sql_err(c, SQLSTATE_FEATURE_NOT_SUPPORTED, q->rtes[k].loc,
			"murphy cannot %s JOIN reference table \"%s\" to distributed table \"%s\"",
			q->rtes[k].join_left && q->rtes[k].join_right ? "FULL"
			: left_bad                                    ? "LEFT"
								      : "RIGHT",
			ref, dist);
		mur_error_detail(c->err,
				 "Each shard of \"%s\" would return the rows of \"%s\" that "
				 "match nothing in that shard.",
				 dist, ref);
		mur_error_hint(c->err,
			       "Join on a column of each table by equality (the rows are then "
			       "shuffled by it), keep the distributed table's rows instead, or use "
			       "an inner join.");
		return MUR_ERR;
	}
	return MUR_OK;
}

/* linked[i] = 1 for d and every table tied to d by equalities of
 * distribution columns (directly or through others). */
static void link_by_dist(const sql_query *q, int d, int linked[PLAN_TABLES_MAX])
{
	sql_expr *eqs[256];
	int n = 0, changed = 1;
	memset(linked, 0, sizeof(int) * PLAN_TABLES_MAX);
	linked[d] = 1;
	n = sql_conjuncts(q->where, eqs, n, 256);
	for (int i = 1; i < q->nrte; i++)
		n = sql_conjuncts(q->rtes[i].on, eqs, n, 256);
	while (changed) {
		changed = 0;
		for (int i = 0; i < n; i++) {
			int a, b;
			if (!is_dist_equality(q, eqs[i]))
				continue;
			a = sql_equated_column(eqs[i]->args[0])->rte;
			b = sql_equated_column(eqs[i]->args[1])->rte;
			if (linked[a] != linked[b]) {
				linked[a] = linked[b] = 1;
				changed = 1;
			}
		}
	}
}

/* Whether rte i goes with d's shards: co-located with d, tied to it. */
static int stays_with(const sql_query *q, int d, const int linked[PLAN_TABLES_MAX], int i)
{
	const cat_table *t = q->rtes[i].table;
	return i != d && linked[i] && !cat_table_is_reference(t) &&
	       cat_tables_colocated(q->rtes[d].table, t);
}

/* MUR_OK with *shuffle = 1 when two hash tables are not co-located (the
 * join is shuffled: plan_join.c). */
static int check_colocation(sql_ctx *c, const sql_query *q, int *shuffle)
{
	int linked[PLAN_TABLES_MAX], d = q->driver;
	link_by_dist(q, d, linked);
	for (int i = d + 1; i < q->nrte; i++) {
		const cat_table *t0 = q->rtes[d].table, *ti = q->rtes[i].table;
		if (cat_table_is_reference(ti) || q->rtes[i].ship)
			continue; /* a copy on every follower (or task): joins anywhere */
		if (!linked[i] || !cat_tables_colocated(t0, ti)) {
			*shuffle = 1;
			return MUR_OK;
		}
	}
	return check_reference_outer(c, q);
}

/* in coerced to the column's type, text in the plan's arena (MUR_ERR with
 * err set when it does not coerce, or c's error on OOM). */
static int key_value(sql_ctx *c, const cat_column *col, const mur_value *in, mur_value *out,
		     mur_error *err)
{
	mur_buf scratch;
	mur_value v;
	mur_buf_init(&scratch);
	if (mur_value_coerce(col->type, in, &scratch, &v, err) != MUR_OK) {
		mur_buf_free(&scratch);
		return MUR_ERR;
	}
	if (v.kind == MV_TEXT || v.kind == MV_BLOB) {
		char *s = sql_arena_strndup(c->arena, v.s, v.len);
		if (!s) {
			mur_buf_free(&scratch);
			return sql_err_oom(c);
		}
		v.s = s;
	}
	mur_buf_free(&scratch);
	*out = v;
	return MUR_OK;
}

static int prune_value(sql_ctx *c, const cat_column *col, const sql_expr *k, plan_prune *pr)
{
	return key_value(c, col, &k->val, &pr->constant, c->err);
}

/* The driver table's distribution column (not a reference table's key). */
static int is_driver_dist_col(const sql_query *q, const sql_expr *e)
{
	return e->kind == SE_COLUMN && e->rte == q->driver && is_dist_col(q, e);
}

/* One more key, a constant or parameter; 0 when k is neither, does not
 * coerce, or the list is full (the list then prunes nothing). */
static int add_key(sql_ctx *c, const cat_column *col, const sql_expr *k, plan_key *keys, int *n)
{
	mur_error err;
	if (*n >= PLAN_PRUNE_KEYS_MAX || (k->kind != SE_PARAM && k->kind != SE_CONST))
		return 0;
	keys[*n].param = k->kind == SE_PARAM ? k->param : 0;
	keys[*n].constant = mur_v_null(); /* NULL matches no row */
	if (k->kind == SE_CONST && k->val.kind != MV_NULL &&
	    key_value(c, col, &k->val, &keys[*n].constant, &err) != MUR_OK)
		return 0;
	(*n)++;
	return 1;
}

/* x IN (1, 2, ...) kept as the list's text (SE_IN with one arg). */
static int add_int_keys(sql_ctx *c, const cat_column *col, const char *text, plan_key *keys, int *n)
{
	sql_expr k = {.kind = SE_CONST};
	char *end;
	while (*text) {
		k.val = mur_v_int(strtoll(text, &end, 10));
		if (end == text || !add_key(c, col, &k, keys, n))
			return 0;
		text = end + strspn(end, ", ");
	}
	return 1;
}

/* e keeps only rows whose distribution column equals one of the values it
 * names (col IN (k, ...), col = k, an OR of those): 1 with them appended
 * to keys[*n..]; 0 when it is not such a condition. */
static int collect_keys(sql_ctx *c, const sql_query *q, const sql_expr *e, plan_key *keys, int *n)
{
	const cat_table *t = q->rtes[q->driver].table;
	const cat_column *col = &t->cols[t->dist_col];
	if (e->kind == SE_BOOL && !strcmp(e->op, "OR")) {
		for (int i = 0; i < e->nargs; i++)
			if (!collect_keys(c, q, e->args[i], keys, n))
				return 0;
		return 1;
	}
	if (e->kind == SE_IN && !e->negate && is_driver_dist_col(q, e->args[0])) {
		if (e->nargs == 1)
			return add_int_keys(c, col, e->val.s, keys, n);
		for (int i = 1; i < e->nargs; i++)
			if (!add_key(c, col, e->args[i], keys, n))
				return 0;
		return 1;
	}
	if (e->kind == SE_OP && e->nargs == 2 && !strcmp(e->op, "=")) {
		int flip = !is_driver_dist_col(q, e->args[0]);
		return is_driver_dist_col(q, e->args[flip]) &&
		       add_key(c, col, e->args[!flip], keys, n);
	}
	return 0;
}

/* The first conjunct that lists the distribution column's values, as
 * pr->keys (in the arena). */
static int find_keys(sql_ctx *c, const sql_query *q, sql_expr *const *cj, int ncj, plan_prune *pr)
{
	plan_key keys[PLAN_PRUNE_KEYS_MAX];
	for (int i = 0; i < ncj; i++) {
		int n = 0;
		if (!collect_keys(c, q, cj[i], keys, &n) || n == 0)
			continue;
		if (!(pr->keys = sql_alloc(c, (size_t)n * sizeof *pr->keys)))
			return MUR_ERR;
		memcpy(pr->keys, keys, (size_t)n * sizeof *keys);
		pr->nkeys = n;
		return MUR_OK;
	}
	return MUR_OK;
}

/* A value of type t orders against a range column's bounds as PostgreSQL
 * orders it against the column: integers with any number, text with text,
 * a date or timestamp with its own type (the analyzer casts the column
 * itself in mixed date/timestamp comparisons, which then prune nothing). */
static int bound_type_ok(mur_type col, mur_type t)
{
	if (mur_type_is_integer(col))
		return mur_type_is_numeric(t);
	if (mur_type_is_text(col))
		return t == MT_TEXT || t == MT_VARCHAR;
	return t == col;
}

/* A numeric bound of an integer column orders against its integer bounds
 * as a double (numeric is TEXT, which mur_value_cmp puts after every
 * number); MUR_ERR when the double would not be exact enough to prune. */
static int numeric_bound(plan_bound *b)
{
	mur_num a;
	double d = 0;
	int ok = 1;
	b->type = MT_FLOAT8; /* a parameter is coerced to it at run time */
	if (b->param)
		return MUR_OK;
	mur_num_init(&a);
	ok = mur_num_from_value(&a, &b->constant, NULL) == MUR_OK;
	if (ok)
		d = mur_num_to_double(&a);
	mur_num_clear(&a);
	if (!ok || !(d > -0x1p53 && d < 0x1p53))
		return MUR_ERR;
	b->constant = mur_v_float(d);
	return MUR_OK;
}

/* col > k (upper 0, inclusive 0), col <= k (1, 1), ...: one bound of a
 * range table's column.  A value that cannot bound it is left out: the
 * shards are then only less pruned. */
static void add_bound(sql_ctx *c, plan_prune *pr, mur_type coltype, const sql_expr *k, int upper,
		      int inclusive)
{
	plan_bound *b;
	mur_type t = k->kind == SE_PARAM ? c->param_types[k->param - 1] : k->type;
	if (pr->nbounds >= PLAN_PRUNE_BOUNDS_MAX || !bound_type_ok(coltype, t) ||
	    (k->kind != SE_PARAM && (k->kind != SE_CONST || k->val.kind == MV_NULL)))
		return;
	b = &pr->bounds[pr->nbounds];
	b->upper = upper;
	b->inclusive = inclusive;
	b->type = t;
	b->param = k->kind == SE_PARAM ? k->param : 0;
	b->constant = k->kind == SE_CONST ? k->val : mur_v_null(); /* in the plan's arena */
	if (t == MT_NUMERIC && numeric_bound(b) != MUR_OK)
		return; /* left out: less pruning, never a wrong one */
	pr->nbounds++;
}

static int is_bound_value(const sql_expr *k) { return k->kind == SE_PARAM || k->kind == SE_CONST; }

/* Range tables: col >= / > / < / <= k (either way round), col BETWEEN a AND b. */
static void range_conjunct(sql_ctx *c, const sql_query *q, const sql_expr *e, plan_prune *pr)
{
	static const char *const ops[] = {">", ">=", "<", "<="};
	const sql_expr *col, *k;
	if (e->kind == SE_BETWEEN && !e->negate && e->args[0]->kind == SE_COLUMN &&
	    e->args[0]->rte == q->driver && is_dist_col(q, e->args[0])) {
		if (is_bound_value(e->args[1]))
			add_bound(c, pr, pr->type, e->args[1], 0, 1);
		if (is_bound_value(e->args[2]))
			add_bound(c, pr, pr->type, e->args[2], 1, 1);
		return;
	}
	if (e->kind != SE_OP || e->nargs != 2)
		return;
	for (int op = 0; op < 4; op++) {
		if (strcmp(e->op, ops[op]))
			continue;
		int flip = e->args[0]->kind != SE_COLUMN; /* k op col */
		col = e->args[flip];
		k = e->args[!flip];
		if (col->kind != SE_COLUMN || col->rte != q->driver || !is_dist_col(q, col) ||
		    !is_bound_value(k))
			return;
		/* col > k and k < col both bound col from below */
		add_bound(c, pr, pr->type, k, (op >= 2) != flip, op % 2);
		return;
	}
}

int sql_find_prune(sql_ctx *c, const sql_query *q, sql_expr *where, plan_prune *pr)
{
	sql_expr *cj[256];
	int n = sql_conjuncts(where, cj, 0, 256);
	memset(pr, 0, sizeof *pr);
	if (q->nrte == 0)
		return MUR_OK;
	pr->type = q->rtes[q->driver].table->cols[q->rtes[q->driver].table->dist_col].type;
	for (int i = 0; i < n; i++) {
		sql_expr *e = cj[i], *col, *k;
		if (cat_table_is_range(q->rtes[q->driver].table))
			range_conjunct(c, q, e, pr);
		if (e->kind != SE_OP || e->nargs != 2 || strcmp(e->op, "="))
			continue;
		col = e->args[0];
		k = e->args[1];
		if (col->kind != SE_COLUMN) {
			col = e->args[1];
			k = e->args[0];
		}
		if (col->kind != SE_COLUMN || col->rte != q->driver || !is_dist_col(q, col))
			continue;
		if (k->kind == SE_PARAM || k->kind == SE_SUBQ) { /* a scalar subquery's value */
			pr->active = 1;
			pr->param = k->param;
			return MUR_OK;
		}
		if (k->kind == SE_CONST && k->val.kind != MV_NULL) {
			pr->active = 1;
			return prune_value(c, &q->rtes[q->driver].table->cols[col->col], k, pr);
		}
	}
	return find_keys(c, q, cj, n, pr);
}

/* ---- SQL text pieces ---- */

static void emit_limit(sql_emit *e, const sql_query *q, int add_offset)
{
	if (q->limit) {
		mur_buf_printf(e->b, " LIMIT ");
		if (add_offset && q->offset) {
			mur_buf_put_u8(e->b, '(');
			sql_emit_expr(e, q->limit);
			mur_buf_printf(e->b, " + ");
			sql_emit_expr(e, q->offset);
			mur_buf_put_u8(e->b, ')');
		} else {
			sql_emit_expr(e, q->limit);
		}
	} else if (q->offset && !add_offset) {
		mur_buf_printf(e->b, " LIMIT -1");
	}
	if (q->offset && !add_offset) {
		mur_buf_printf(e->b, " OFFSET ");
		sql_emit_expr(e, q->offset);
	}
}

static void emit_where(sql_emit *e, const char *kw, const sql_expr *x)
{
	if (!x)
		return;
	mur_buf_printf(e->b, " %s ", kw);
	sql_emit_expr(e, x);
}

/* The whole query as one SQLite statement (router and leader plans). */
void sql_emit_select(sql_emit *e)
{
	const sql_query *q = e->q;
	mur_buf *b = e->b;
	mur_buf_printf(b, q->distinct ? "SELECT DISTINCT " : "SELECT ");
	for (int i = 0; i < q->ntarget; i++) {
		if (i)
			mur_buf_printf(b, ", ");
		if (q->distinct) /* {1.0} and {1.00} are one value, as in GROUP BY */
			sql_emit_key(e, q->targets[i].e);
		else
			sql_emit_expr(e, q->targets[i].e);
	}
	sql_emit_from(e, q);
	emit_where(e, "WHERE", q->where);
	for (int i = 0; i < q->ngroup; i++) {
		mur_buf_printf(b, i ? ", " : " GROUP BY ");
		/* 1.0 and 1.00 are one group, '1 day' and '24 hours' too */
		sql_emit_key(e, q->group[i]);
	}
	emit_where(e, "HAVING", q->having);
	for (int i = 0; i < q->nsort; i++) {
		mur_buf_printf(b, i ? ", " : " ORDER BY ");
		sql_emit_sort(e, q->sorts[i].e, q->sorts[i].desc, q->sorts[i].nulls_first);
	}
	emit_limit(e, q, 0);
}

static const char *emit_whole(sql_ctx *c, const sql_query *q)
{
	mur_buf b;
	sql_emit e = {&b, q, 0};
	mur_buf_init(&b);
	sql_emit_select(&e);
	return sql_buf_finish(c, &b);
}

/* Mark column i (< 32) of type t in *k when its values compare by value
 * (numeric, interval, jsonb: common/valkey.h). */
static void mark_key(exec_key_cols *k, mur_type t, int i)
{
	uint32_t bit = i < 32 ? 1u << i : 0;
	switch (mur_key_kind_of(t)) {
	case MUR_KEY_NUMERIC:
		k->num |= bit;
		break;
	case MUR_KEY_INTERVAL:
		k->iv |= bit;
		break;
	case MUR_KEY_JSONB:
		k->jsonb |= bit;
		break;
	case MUR_KEY_BPCHAR:
		k->bpchar |= bit;
		break;
	default:
		break;
	}
}

/* Which of cols[0..n) hash aggregates and shuffles compare and hash by
 * value (exec_agg_spec.keys). */
static exec_key_cols key_cols(sql_expr *const *cols, int n)
{
	exec_key_cols k = {0, 0, 0, 0};
	for (int i = 0; i < n; i++)
		mark_key(&k, cols[i]->type, i);
	return k;
}

/* ---- scatter-gather without aggregates ---- */

static void offer_distinct_rows_repartition(sql_ctx *c, const sql_query *q, plan_select *ps,
					    int nhidden);

static int plan_scatter(sql_ctx *c, const sql_query *q, plan_select *ps)
{
	mur_buf b;
	sql_emit e = {&b, q, 0};
	int hidden[SQL_SORT_MAX], nhidden = 0, topn = q->limit != NULL;
	mur_buf_init(&b);
	mur_buf_printf(&b, q->distinct ? "SELECT DISTINCT " : "SELECT ");
	for (int i = 0; i < q->ntarget; i++) {
		if (i)
			mur_buf_printf(&b, ", ");
		sql_emit_expr(&e, q->targets[i].e);
	}
	for (int i = 0; i < q->nsort; i++) {
		if (q->sorts[i].target >= 0)
			continue;
		hidden[i] = q->ntarget + nhidden++;
		mur_buf_printf(&b, ", ");
		sql_emit_expr(&e, q->sorts[i].e);
	}
	if (q->ntarget + nhidden == 0)
		mur_buf_printf(&b, "NULL");
	sql_emit_from(&e, q);
	emit_where(&e, "WHERE", q->where);
	for (int i = 0; topn && i < q->nsort; i++) {
		mur_buf_printf(&b, i ? ", " : " ORDER BY ");
		sql_emit_sort(&e, q->sorts[i].e, q->sorts[i].desc, q->sorts[i].nulls_first);
	}
	if (topn)
		emit_limit(&e, q, 1);
	if (!(ps->shard_sql = sql_buf_finish(c, &b)))
		return MUR_ERR;
	ps->strategy = "scatter-gather";
	ps->merge_desc = "concatenate shard rows";
	offer_distinct_rows_repartition(c, q, ps, nhidden);
	if (!q->nsort && !q->limit && !q->offset && !q->distinct)
		return sql_plan_batch(c, q, ps);
	mur_buf_init(&b);
	e.q = NULL;
	mur_buf_printf(&b, q->distinct ? "SELECT DISTINCT " : "SELECT ");
	for (int i = 0; i < q->ntarget; i++) /* DISTINCT: 1.0 and 1.00 are one value */
		mur_buf_printf(&b, "%sc%d%s", i ? ", " : "", i,
			       q->distinct ? sql_key_collate(q->targets[i].e->type) : "");
	mur_buf_printf(&b, " FROM r");
	for (int i = 0; i < q->nsort; i++) {
		int col = q->sorts[i].target >= 0 ? q->sorts[i].target : hidden[i];
		sql_emit_sort_col(&b, i == 0, 'c', col, q->sorts[i].e->type, q->sorts[i].desc,
				  q->sorts[i].nulls_first);
	}
	emit_limit(&e, q, 0);
	ps->merge_desc = topn ? "per-shard top-N, then sort and limit on the leader"
			      : "sort / distinct / limit on the leader";
	if (!(ps->final_sql = sql_buf_finish(c, &b)))
		return MUR_ERR;
	return q->nsort ? sql_plan_batch(c, q, ps) : MUR_OK; /* a cursor may merge batches */
}

/* ---- aggregates ---- */

typedef struct agg_plan {
	int nagg;
	sql_expr *aggs[EXEC_AGGS_MAX];     /* distinct aggregate expressions */
	int partial_pos[EXEC_AGGS_MAX][3]; /* its partials' output indexes (after groups) */
	int nargcol;
	sql_expr *argcols[EXEC_AGGS_MAX]; /* shard output columns after the groups */
	int gather;                       /* gather-distinct strategy */
	int mixed;                        /* gather distinct with other aggregates too */
	sql_expr *dx;                     /* mixed: the DISTINCT argument */
	int final_pos[EXEC_AGGS_MAX];     /* mixed: final output index (after groups) */
	sql_expr *squares[EXEC_AGGS_MAX]; /* a variance's argument squared (float8) */
	sql_expr *numx[EXEC_NUMX_MAX];    /* the arguments partial_agg.exprs compute */
} agg_plan;

static int collect_aggs(sql_ctx *c, agg_plan *ap, sql_expr *e)
{
	if (!e)
		return MUR_OK;
	if (e->kind == SE_AGG) {
		for (int i = 0; i < ap->nagg; i++)
			if (sql_expr_equal(ap->aggs[i], e))
				return MUR_OK;
		if (ap->nagg >= EXEC_AGGS_MAX / 3)
			return sql_err(c, SQLSTATE_PROGRAM_LIMIT_EXCEEDED, e->loc,
				       "murphy supports at most %d aggregates per query",
				       EXEC_AGGS_MAX / 3); /* a variance takes three partials */
		ap->aggs[ap->nagg++] = e;
		return MUR_OK;
	}
	for (int i = 0; i < e->nargs; i++)
		if (collect_aggs(c, ap, e->args[i]) != MUR_OK)
			return MUR_ERR;
	return MUR_OK;
}

static int arg_column(agg_plan *ap, sql_expr *x)
{
	for (int i = 0; i < ap->nargcol; i++)
		if (sql_expr_equal(ap->argcols[i], x))
			return i;
	ap->argcols[ap->nargcol] = x;
	return ap->nargcol++;
}

static void add_agg(exec_agg_spec *s, int fn, int col)
{
	s->aggs[s->naggs].fn = (uint8_t)fn;
	s->aggs[s->naggs].col = (uint32_t)col;
	s->naggs++;
}

static int final_fn(int partial_fn)
{
	switch (partial_fn) {
	case EXEC_AGG_COUNT_STAR:
	case EXEC_AGG_COUNT:
	case EXEC_AGG_COUNT_DISTINCT:
		return EXEC_AGG_SUM_COUNT;
	case EXEC_AGG_HLL:
		return EXEC_AGG_HLL_COUNT; /* merge the shards' sketches, estimate */
	default:
		return partial_fn;
	}
}

/* The follower's partial aggregate for each SQL aggregate (avg also
 * needs a COUNT beside this SUM). */
static const int fn_of[] = {
	[SQL_AGG_COUNT_STAR] = EXEC_AGG_COUNT_STAR,
	[SQL_AGG_COUNT] = EXEC_AGG_COUNT,
	[SQL_AGG_SUM] = EXEC_AGG_SUM,
	[SQL_AGG_MIN] = EXEC_AGG_MIN,
	[SQL_AGG_MAX] = EXEC_AGG_MAX,
	[SQL_AGG_AVG] = EXEC_AGG_SUM,
	[SQL_AGG_BOOL_AND] = EXEC_AGG_BOOL_AND,
	[SQL_AGG_BOOL_OR] = EXEC_AGG_BOOL_OR,
	[SQL_AGG_APPROX_COUNT_DISTINCT] = EXEC_AGG_HLL,
	[SQL_AGG_VAR_SAMP] = EXEC_AGG_SUM,
	[SQL_AGG_VAR_POP] = EXEC_AGG_SUM,
	[SQL_AGG_STDDEV_SAMP] = EXEC_AGG_SUM,
	[SQL_AGG_STDDEV_POP] = EXEC_AGG_SUM,
	[SQL_AGG_BIT_AND] = EXEC_AGG_BIT_AND,
	[SQL_AGG_BIT_OR] = EXEC_AGG_BIT_OR,
	[SQL_AGG_BIT_XOR] = EXEC_AGG_BIT_XOR,
};

/* The exact numeric partial for a numeric argument (common/numeric.h:
 * numeric is TEXT, which SUM would read as a double and MIN/MAX compare by
 * bytes). */
static int numeric_fn(int fn)
{
	switch (fn) {
	case EXEC_AGG_SUM:
		return EXEC_AGG_NUM_SUM;
	case EXEC_AGG_MIN:
		return EXEC_AGG_NUM_MIN;
	case EXEC_AGG_MAX:
		return EXEC_AGG_NUM_MAX;
	default:
		return fn;
	}
}

/* The input of a sum or avg of a numeric + - * expression a: one of the
 * follower aggregate's expressions (EXEC_AGG_COL_EXPR | i, plan_numx.c)
 * over its operands' shard columns, so no numeric text is printed per row;
 * -1 when a is not one, or the spec or the shard columns are full (every
 * aggregate may still add two columns). */
static int numx_column(agg_plan *ap, exec_agg_spec *pa, const sql_expr *a, int k)
{
	sql_expr *leaves[EXEC_NUMX_OPS_MAX], *x = a->args[0];
	exec_numx *nx;
	int nleaves;
	if ((a->agg != SQL_AGG_SUM && a->agg != SQL_AGG_AVG) || a->distinct ||
	    x->type != MT_NUMERIC)
		return -1;
	for (uint32_t i = 0; i < pa->nexprs; i++)
		if (sql_expr_equal(ap->numx[i], x))
			return (int)(EXEC_AGG_COL_EXPR | i);
	if (pa->nexprs >= EXEC_NUMX_MAX)
		return -1;
	nx = &pa->exprs[pa->nexprs];
	if (!sql_numx_compile(x, nx, leaves, &nleaves) ||
	    ap->nargcol + nleaves + 2 * ap->nagg > EXEC_AGGS_MAX)
		return -1;
	for (uint32_t s = 0; s < nx->nops; s++)
		if (nx->ops[s].op == EXEC_NUMX_COL)
			nx->ops[s].arg = k + arg_column(ap, leaves[nx->ops[s].arg]);
	ap->numx[pa->nexprs] = x;
	return (int)(EXEC_AGG_COL_EXPR | pa->nexprs++);
}

/* Is partial input col one of the follower aggregate's expressions? */
static int is_numx_col(int col) { return ((uint32_t)col & EXEC_AGG_COL_EXPR) != 0; }

/* The partials aggregate i needs (fns[], over shard output columns cols[]
 * after the k groups, or expressions over them): one for most, SUM and
 * COUNT for avg, SUM, SUM of squares and COUNT for a variance.  Returns
 * how many. */
static int partials_of(agg_plan *ap, exec_agg_spec *pa, int i, int k, int fns[3], int cols[3])
{
	sql_expr *a = ap->aggs[i];
	int col = !a->nargs ? 0 : numx_column(ap, pa, a, k);
	if (a->nargs && col == -1)
		col = k + arg_column(ap, a->args[0]);
	fns[0] = a->distinct ? EXEC_AGG_COUNT_DISTINCT : fn_of[a->agg];
	if (a->nargs && !a->distinct &&
	    (a->args[0]->type == MT_NUMERIC ||
	     (a->args[0]->type == MT_INT8 && (a->agg == SQL_AGG_SUM || a->agg == SQL_AGG_AVG)) ||
	     (SQL_AGG_IS_VARIANCE(a->agg) && a->type == MT_NUMERIC)))
		fns[0] = numeric_fn(fns[0]); /* a variance of integers is exact too */
	if (a->nargs && !a->distinct && a->args[0]->type == MT_INTERVAL && fns[0] == EXEC_AGG_SUM)
		fns[0] = EXEC_AGG_IV_SUM; /* sum and avg: field by field */
	cols[0] = col;
	if (a->agg == SQL_AGG_AVG) {
		fns[1] = EXEC_AGG_COUNT;
		cols[1] = col;
		return 2;
	}
	if (SQL_AGG_IS_VARIANCE(a->agg)) {
		fns[1] = a->type == MT_NUMERIC ? EXEC_AGG_NUM_SUM : EXEC_AGG_SUM;
		cols[1] = k + arg_column(ap, ap->squares[i]);
		fns[2] = EXEC_AGG_COUNT;
		cols[2] = col;
		return 3;
	}
	return 1;
}

/* count(x) of a column that holds no NULL here (NOT NULL, and no outer
 * join null-extends its table) counts the rows: count(*). */
static int counts_rows(const sql_query *q, const sql_expr *x)
{
	return x->kind == SE_COLUMN && x->rte >= 0 && x->rte < q->nrte && x->col >= 0 &&
	       x->col < q->rtes[x->rte].table->ncols &&
	       q->rtes[x->rte].table->cols[x->col].not_null && !sql_rte_nullable(q, x->rte);
}

/* The index of partial (fn, col) in s, added unless s computes it already:
 * TPC-H's Q1 sums l_quantity for sum() and avg() once, and counts its rows
 * once for three avg() and count(*). */
static int shared_partial(exec_agg_spec *s, int fn, int col)
{
	for (uint32_t j = 0; j < s->naggs; j++)
		if (s->aggs[j].fn == fn && s->aggs[j].col == (uint32_t)col)
			return (int)j;
	add_agg(s, fn, col);
	return (int)s->naggs - 1;
}

/* Partial aggregate specs for the hash-aggregate strategy. */
static void build_specs(const sql_query *q, agg_plan *ap, plan_select *ps)
{
	exec_agg_spec *pa = &ps->partial_agg, *fa = &ps->final_agg;
	int k = q->ngroup;
	pa->ngroup = fa->ngroup = (uint32_t)k;
	for (int i = 0; i < ap->nagg; i++) {
		int fns[3], cols[3], n = partials_of(ap, pa, i, k, fns, cols);
		for (int j = 0; j < n; j++) {
			if (fns[j] == EXEC_AGG_COUNT && !is_numx_col(cols[j]) &&
			    counts_rows(q, ap->argcols[cols[j] - k]))
				fns[j] = EXEC_AGG_COUNT_STAR, cols[j] = 0;
			ap->partial_pos[i][j] = shared_partial(pa, fns[j], cols[j]);
		}
	}
	for (uint32_t j = 0; j < pa->naggs; j++)
		add_agg(fa, final_fn(pa->aggs[j].fn), (int)(k + j));
	ps->has_partial_agg = ps->has_final_agg = 1;
}

static sql_expr *slot(sql_ctx *c, int i, mur_type t)
{
	sql_expr *e = sql_expr_new(c, SE_SLOT, t, -1);
	if (e)
		e->slot = i;
	return e;
}

/* Rewrite an output expression over the leader's r columns. */
static sql_expr *rewrite(sql_ctx *c, const sql_query *q, agg_plan *ap, sql_expr *e)
{
	sql_expr *n;
	for (int i = 0; i < q->ngroup; i++)
		if (sql_expr_equal(q->group[i], e))
			return slot(c, i, e->type);
	if (e->kind == SE_AGG) {
		for (int i = 0; i < ap->nagg; i++) {
			int s = q->ngroup + (ap->mixed    ? ap->final_pos[i]
					     : ap->gather ? 0
							  : ap->partial_pos[i][0]);
			/* the second and third partials: next to the first (mixed),
			 * wherever build_specs put them (shared) */
			int s1 = ap->mixed || ap->gather ? s + 1
							 : q->ngroup + ap->partial_pos[i][1];
			int s2 = ap->mixed || ap->gather ? s + 2
							 : q->ngroup + ap->partial_pos[i][2];
			if (!sql_expr_equal(ap->aggs[i], e))
				continue;
			if (e->agg == SQL_AGG_AVG && e->type == MT_INTERVAL) /* interval_avg */
				return sql_make_call(c, "mur_iv_mul", e->type, e->loc, 3,
						     slot(c, s, e->type), slot(c, s1, MT_INT8),
						     sql_make_const_int(c, 1, MT_INT4));
			if (e->agg == SQL_AGG_AVG)
				return sql_make_call(c, "mur_avg", e->type, e->loc, 2,
						     slot(c, s, e->type), slot(c, s1, MT_INT8));
			if (SQL_AGG_IS_VARIANCE(e->agg) && e->type == MT_NUMERIC)
				return sql_make_call(c, "mur_num_variance", e->type, e->loc, 4,
						     slot(c, s, MT_NUMERIC),
						     slot(c, s1, MT_NUMERIC), slot(c, s2, MT_INT8),
						     sql_make_const_int(c,
									e->agg - SQL_AGG_VAR_SAMP,
									MT_INT4));
			if (SQL_AGG_IS_VARIANCE(e->agg))
				return sql_make_call(c, "mur_variance", e->type, e->loc, 4,
						     slot(c, s, MT_FLOAT8), slot(c, s1, MT_FLOAT8),
						     slot(c, s2, MT_INT8),
						     sql_make_const_int(c,
									e->agg - SQL_AGG_VAR_SAMP,
									MT_INT4));
			return slot(c, s, e->type);
		}
	}
	if (!e->nargs)
		return e;
	n = sql_alloc(c, sizeof *n);
	if (!n || !(n->args = sql_alloc(c, sizeof(sql_expr *) * (size_t)e->nargs)))
		return NULL;
	*n = (sql_expr){.kind = e->kind,
			.type = e->type,
			.typmod = e->typmod,
			.loc = e->loc,
			.op = e->op,
			.postfix = e->postfix,
			.negate = e->negate,
			.nargs = e->nargs,
			.args = n->args,
			.has_arg = e->has_arg,
			.has_else = e->has_else,
			.win = e->win};
	for (int i = 0; i < e->nargs; i++)
		if (!(n->args[i] = rewrite(c, q, ap, e->args[i])))
			return NULL;
	return n;
}

static const char *emit_final(sql_ctx *c, const sql_query *q, agg_plan *ap)
{
	mur_buf b;
	sql_emit e = {&b, NULL, 0};
	sql_expr *x;
	mur_buf_init(&b);
	mur_buf_printf(&b, q->distinct ? "SELECT DISTINCT " : "SELECT ");
	for (int i = 0; i < q->ntarget; i++) {
		if (!(x = rewrite(c, q, ap, q->targets[i].e)))
			return mur_buf_free(&b), NULL;
		mur_buf_printf(&b, i ? ", " : "");
		sql_emit_expr(&e, x);
	}
	mur_buf_printf(&b, " FROM r");
	if (q->having) {
		if (!(x = rewrite(c, q, ap, q->having)))
			return mur_buf_free(&b), NULL;
		emit_where(&e, "WHERE", x);
	}
	for (int i = 0; i < q->nsort; i++) {
		if (!(x = rewrite(c, q, ap, q->sorts[i].e)))
			return mur_buf_free(&b), NULL;
		mur_buf_printf(&b, i ? ", " : " ORDER BY ");
		sql_emit_sort(&e, x, q->sorts[i].desc, q->sorts[i].nulls_first);
	}
	emit_limit(&e, q, 0);
	return sql_buf_finish(c, &b);
}

/* Whether x may run twice, on the shard and on the leader, with one
 * answer: no volatile function (random(), nextval(), clock_timestamp()...). */
static int runs_twice_alike(const sql_expr *x)
{
	static const char *const volatile_words[] = {"random",  "nextval",   "setval", "currval",
						     "lastval", "timeofday", "txid",   "now"};
	if (!x)
		return 1;
	if (x->kind == SE_CALL && x->op)
		for (size_t i = 0; i < sizeof volatile_words / sizeof volatile_words[0]; i++)
			if (strstr(x->op, volatile_words[i]))
				return 0;
	if (x->kind == SE_WINDOW)
		return 0;
	for (int i = 0; i < x->nargs; i++)
		if (!runs_twice_alike(x->args[i]))
			return 0;
	return 1;
}

/* Groups whole on one shard (the leader concatenates them): the shard may
 * drop those its HAVING rejects before sending them (TPC-H's Q18 subquery:
 * 10 of 150,000 groups pass).  The same rewrite over r as emit_final's. */
static const char *emit_shard_having(sql_ctx *c, const sql_query *q, agg_plan *ap,
				     const plan_select *ps)
{
	mur_buf b;
	sql_emit e = {&b, NULL, 0};
	sql_expr *x;
	if (!q->having || ps->has_final_agg || !ps->has_partial_agg || ps->join_shuffle ||
	    !runs_twice_alike(q->having))
		return NULL;
	if (!(x = rewrite(c, q, ap, q->having)))
		return NULL;
	mur_buf_init(&b);
	mur_buf_printf(&b, "SELECT * FROM r");
	emit_where(&e, "WHERE", x);
	return sql_buf_finish(c, &b);
}

static const char *emit_agg_shard(sql_ctx *c, const sql_query *q, agg_plan *ap)
{
	mur_buf b;
	sql_emit e = {&b, q, 0};
	int n = 0;
	mur_buf_init(&b);
	mur_buf_printf(&b, "SELECT ");
	for (int i = 0; i < q->ngroup; i++, n++) {
		mur_buf_printf(&b, n ? ", " : "");
		sql_emit_expr(&e, q->group[i]);
	}
	for (int i = 0; i < ap->nargcol; i++, n++) {
		mur_buf_printf(&b, n ? ", " : "");
		sql_emit_expr(&e, ap->argcols[i]);
	}
	if (n == 0)
		mur_buf_printf(&b, "NULL");
	sql_emit_from(&e, q);
	emit_where(&e, "WHERE", q->where);
	return sql_buf_finish(c, &b);
}

/* The column shard_sql reads when it is a bare scan of one column of one
 * table, every row, for the sketch alone (approx_count_distinct(x), no
 * filter, no group); NULL otherwise. */
static const char *bare_scan_column(const sql_query *q, const agg_plan *ap, const plan_select *ps)
{
	const sql_expr *x = ap->nargcol == 1 ? ap->argcols[0] : NULL;
	const cat_table *t = q->nrte == 1 ? q->rtes[0].table : NULL;
	if (!x || !t || t->kind == CAT_TABLE_VIRTUAL || x->kind != SE_COLUMN || x->rte != 0 ||
	    q->where || q->ngroup || ap->gather || ap->mixed || ps->partial_agg.naggs != 1 ||
	    ps->partial_agg.aggs[0].fn != EXEC_AGG_HLL)
		return NULL;
	return t->cols[x->col].name;
}

/* Decide between co-located and gather distinct. */
static int choose_distinct(sql_ctx *c, const sql_query *q, agg_plan *ap, plan_select *ps)
{
	sql_expr *dx = NULL;
	int nplain = 0;
	for (int i = 0; i < ap->nagg; i++) {
		sql_expr *a = ap->aggs[i];
		if (!a->distinct) {
			nplain++;
			continue;
		}
		if (a->agg !=
		    SQL_AGG_COUNT) /* parser/analyze_distinct_agg.c runs it on the leader */
			return sql_err(c, SQLSTATE_FEATURE_NOT_SUPPORTED, a->loc,
				       "murphy does not support this aggregate with DISTINCT over "
				       "distributed tables here yet (it runs on the leader in a "
				       "SELECT "
				       "without FOR UPDATE)");
		if (is_dist_col(q, a->args[0]) && a->args[0]->rte == q->driver)
			continue; /* co-located: exact per shard (NULLs count nothing) */
		if (dx && !sql_expr_equal(dx, a->args[0]))
			return sql_err(c, SQLSTATE_FEATURE_NOT_SUPPORTED, a->loc,
				       "murphy does not support count(DISTINCT) over more than one "
				       "non-distribution column yet");
		dx = a->args[0];
	}
	if (!dx) {
		ps->strategy = ap->nagg && nplain < ap->nagg ? "co-located distinct"
							     : "scatter-gather";
		for (int i = 0; i < ap->nagg; i++)
			if (ap->aggs[i]->agg == SQL_AGG_APPROX_COUNT_DISTINCT)
				ps->strategy = "approximate count distinct";
		return MUR_OK;
	}
	for (int i = 0; i < ap->nagg; i++) {
		sql_expr *a = ap->aggs[i];
		if (a->distinct && !sql_expr_equal(a->args[0], dx))
			return sql_err(c, SQLSTATE_FEATURE_NOT_SUPPORTED, a->loc,
				       "murphy does not support count(DISTINCT) over the "
				       "distribution column together with count(DISTINCT) over "
				       "another column yet");
		if (!a->distinct)
			ap->mixed = 1;
	}
	ap->dx = dx;
	ap->gather = 1;
	ps->strategy = "gather distinct";
	return MUR_OK;
}

/* ---- repartition (docs/shuffle.md) ---- */

/* A group key that holds the driver's distribution column splits nothing
 * the shards have not split already: their groups are disjoint.  So does
 * another hash table's when the shards are read in place (a co-located
 * join: its distribution column equals the driver's, TPC-H's Q3 grouping
 * by l_orderkey over orders and lineitem), unless an outer join
 * null-extends it. */
static int groups_colocated(const sql_query *q, const plan_select *ps)
{
	for (int i = 0; i < q->ngroup; i++) {
		const sql_expr *e = q->group[i];
		if (is_split_col(q, e) ||
		    (!ps->join_shuffle && is_dist_col(q, e) && !sql_rte_nullable(q, e->rte)))
			return 1;
	}
	return 0;
}

_Static_assert(SQL_GROUP_MAX <= PLAN_SHUFFLE_COLS_MAX, "shuffle_cols holds every hash column");

/* Also notes which hash columns are columns of the driver (shuffle_cols). */
static void describe_shuffle(sql_ctx *c, const sql_query *q, plan_select *ps, const char *what,
			     sql_expr *const *cols, int ncols)
{
	mur_buf b;
	sql_emit e = {&b, q, 0};
	mur_buf_init(&b);
	mur_buf_printf(&b, "%s (", what);
	for (int i = 0; i < ncols; i++) {
		mur_buf_printf(&b, i ? ", " : "");
		sql_emit_expr(&e, cols[i]);
		ps->shuffle_cols[i] = cols[i]->kind == SE_COLUMN && cols[i]->rte == q->driver
					      ? cols[i]->col
					      : -1;
	}
	mur_buf_printf(&b, ")");
	ps->shuffle_what = sql_buf_finish(c, &b);
}

/* count(DISTINCT x) [GROUP BY g]: shards send distinct (g, x) to owner
 * hash(g, x); an owner counts distinct x per g in its part; the leader
 * adds the owners' counts per g. */
static void offer_distinct_repartition(sql_ctx *c, const sql_query *q, agg_plan *ap,
				       plan_select *ps)
{
	int k = q->ngroup;
	sql_expr *cols[SQL_GROUP_MAX + 1];
	if (k + 1 > SQL_GROUP_MAX || groups_colocated(q, ps))
		return;
	ps->shuffle_hash_cols = (uint32_t)k + 1;
	ps->owner_agg.ngroup = (uint32_t)k;
	ps->owner_agg.naggs = 0;
	add_agg(&ps->owner_agg, EXEC_AGG_COUNT_DISTINCT, k);
	ps->leader_agg.ngroup = (uint32_t)k;
	ps->leader_agg.naggs = 0;
	add_agg(&ps->leader_agg, EXEC_AGG_SUM_COUNT, k);
	ps->has_leader_agg = 1;
	for (int i = 0; i < k; i++)
		cols[i] = q->group[i];
	cols[k] = ap->aggs[0]->args[0];
	describe_shuffle(c, q, ps, "distinct", cols, k + 1);
}

/* GROUP BY g (not the distribution column): partial groups go to owner
 * hash(g), which merges them into final groups; the leader concatenates. */
static void offer_group_repartition(sql_ctx *c, const sql_query *q, plan_select *ps)
{
	if (q->ngroup == 0 || groups_colocated(q, ps))
		return;
	ps->shuffle_hash_cols = (uint32_t)q->ngroup;
	ps->owner_agg = ps->final_agg;
	describe_shuffle(c, q, ps, "groups", q->group, q->ngroup);
}

/* A shuffled join's GROUP BY holding the driver's distribution column
 * when that is also its join key (TPC-H's Q13: c_custkey): repartitioned,
 * each key's rows meet on one owner; broadcast, the driver stays split by
 * it.  Either way every group is whole in one place. */
static int groups_by_driver_key(const sql_query *q)
{
	for (int i = 0; i < q->ngroup; i++)
		if (is_split_col(q, q->group[i]) &&
		    sql_join_key_of(q, q->driver) == q->group[i]->col)
			return 1;
	return 0;
}

/* GROUP BY holding the distribution column, shards read in place (a join
 * shuffle: only by the driver's join key, above): every group lives on
 * one shard, so a shard's partials are already that group's whole and
 * the leader concatenates them instead of merging (final_sql still turns
 * partials into results: avg's sum and count...).  Not for a sketch,
 * whose partial (HLL) is not its result (HLL_COUNT). */
static void skip_colocated_merge(const sql_query *q, plan_select *ps)
{
	if (ps->join_shuffle ? !groups_by_driver_key(q) : !groups_colocated(q, ps))
		return;
	for (uint32_t j = 0; j < ps->partial_agg.naggs; j++)
		if (ps->partial_agg.aggs[j].fn == EXEC_AGG_HLL)
			return;
	ps->has_final_agg = 0;
}

/* SELECT DISTINCT: distinct rows go to owner hash(row). */
static void offer_distinct_rows_repartition(sql_ctx *c, const sql_query *q, plan_select *ps,
					    int nhidden)
{
	sql_expr *cols[SQL_GROUP_MAX];
	if (!q->distinct || nhidden || q->ntarget == 0 || q->ntarget > SQL_GROUP_MAX)
		return;
	ps->shuffle_hash_cols = (uint32_t)q->ntarget;
	ps->owner_agg.ngroup = (uint32_t)q->ntarget;
	ps->owner_agg.naggs = 0;
	for (int i = 0; i < q->ntarget; i++)
		cols[i] = q->targets[i].e;
	ps->owner_agg.keys = ps->shuffle_keys = key_cols(cols, q->ntarget);
	describe_shuffle(c, q, ps, "distinct rows", cols, q->ntarget);
}

/* count(DISTINCT x) with other aggregates: shards group by (g, x) with
 * the others' partials; the final step groups by g, counting distinct x
 * and merging the partials.  Repartitioned, an owner (hash(g, x)) does
 * that final step over its part, and the leader adds the owners' distinct
 * counts and merges their partials once more (sketches stay sketches
 * until the leader). */
static void build_mixed_specs(sql_ctx *c, const sql_query *q, agg_plan *ap, plan_select *ps)
{
	exec_agg_spec *pa = &ps->partial_agg, *fa = &ps->final_agg;
	int k = q->ngroup;
	sql_expr *cols[SQL_GROUP_MAX + 1];
	ap->nargcol = 0;
	arg_column(ap, ap->dx); /* shard output column k */
	pa->ngroup = (uint32_t)k + 1;
	fa->ngroup = ps->owner_agg.ngroup = ps->leader_agg.ngroup = (uint32_t)k;
	for (int i = 0; i < ap->nagg; i++) {
		sql_expr *a = ap->aggs[i];
		ap->final_pos[i] = (int)fa->naggs;
		if (a->distinct) {
			add_agg(fa, EXEC_AGG_COUNT_DISTINCT, k);
			add_agg(&ps->owner_agg, EXEC_AGG_COUNT_DISTINCT, k);
			add_agg(&ps->leader_agg, EXEC_AGG_SUM_COUNT, k + (int)ps->leader_agg.naggs);
			continue;
		}
		int fns[3], cols[3], n = partials_of(ap, pa, i, k, fns, cols);
		for (int j = 0; j < n; j++) {
			int fn = fns[j];
			int in = k + 1 + (int)pa->naggs;
			add_agg(pa, fn, cols[j]);
			add_agg(fa, final_fn(fn), in);
			add_agg(&ps->owner_agg,
				fn == EXEC_AGG_HLL ? EXEC_AGG_HLL_MERGE : final_fn(fn), in);
			add_agg(&ps->leader_agg, final_fn(final_fn(fn)),
				k + (int)ps->leader_agg.naggs);
		}
	}
	ps->has_partial_agg = ps->has_final_agg = 1;
	if (k + 1 > SQL_GROUP_MAX || groups_colocated(q, ps))
		return;
	ps->shuffle_hash_cols = (uint32_t)k + 1;
	ps->has_leader_agg = 1;
	for (int i = 0; i < k; i++)
		cols[i] = q->group[i];
	cols[k] = ap->dx;
	describe_shuffle(c, q, ps, "distinct", cols, k + 1);
}

static void build_gather_specs(const sql_query *q, agg_plan *ap, plan_select *ps)
{
	int k = q->ngroup;
	ap->nargcol = 0;
	arg_column(ap, ap->aggs[0]->args[0]);
	ps->partial_agg.ngroup = (uint32_t)k + 1; /* distinct (groups, x) tuples */
	ps->partial_agg.naggs = 0;
	ps->final_agg.ngroup = (uint32_t)k;
	add_agg(&ps->final_agg, EXEC_AGG_COUNT_DISTINCT, k);
	ps->has_partial_agg = ps->has_final_agg = 1;
}

/* Numeric, interval and jsonb group keys and DISTINCT arguments compare
 * and hash by value in every hash aggregate and shuffle of the plan: the
 * shards' outputs are the groups, then the aggregate arguments (argcols);
 * the merges' inputs the groups, then (gathered or mixed distinct) the
 * DISTINCT argument. */
static void mark_value_keys(const sql_query *q, const agg_plan *ap, plan_select *ps)
{
	int k = q->ngroup;
	exec_key_cols groups = key_cols(q->group, k), keys = groups, shard = groups;
	sql_expr *dx = ap->mixed ? ap->dx : ap->gather ? ap->aggs[0]->args[0] : NULL;
	if (dx)
		mark_key(&keys, dx->type, k);
	for (int j = 0; j < ap->nargcol; j++)
		mark_key(&shard, ap->argcols[j]->type, k + j);
	ps->partial_agg.keys = shard;
	ps->final_agg.keys = ps->owner_agg.keys = keys;
	ps->leader_agg.keys = groups;
	ps->shuffle_keys = keys;
}

static int plan_aggregate(sql_ctx *c, const sql_query *q, plan_select *ps)
{
	agg_plan *ap = sql_alloc(c, sizeof *ap);
	if (!ap)
		return MUR_ERR;
	for (int i = 0; i < q->ntarget; i++)
		if (collect_aggs(c, ap, q->targets[i].e) != MUR_OK)
			return MUR_ERR;
	for (int i = 0; i < q->nsort; i++)
		if (collect_aggs(c, ap, q->sorts[i].e) != MUR_OK)
			return MUR_ERR;
	if (collect_aggs(c, ap, q->having) != MUR_OK || choose_distinct(c, q, ap, ps) != MUR_OK)
		return MUR_ERR;
	for (int i = 0; i < ap->nagg; i++) { /* a variance's second partial: SUM(x * x) */
		sql_expr *a = ap->aggs[i], *x;
		mur_type t = a->type == MT_NUMERIC ? MT_NUMERIC : MT_FLOAT8; /* numeric: exact */
		if (!SQL_AGG_IS_VARIANCE(a->agg) || a->distinct)
			continue;
		x = sql_make_cast(c, a->args[0], t, a->loc);
		if (!x ||
		    !(ap->squares[i] = t == MT_NUMERIC
					       ? sql_make_call(c, "mur_num_mul", t, a->loc, 2, x, x)
					       : sql_make_op(c, "*", t, a->loc, x, x)))
			return MUR_ERR;
	}
	if (ap->mixed) {
		build_mixed_specs(c, q, ap, ps);
	} else if (ap->gather) {
		build_gather_specs(q, ap, ps);
		offer_distinct_repartition(c, q, ap, ps);
	} else {
		build_specs(q, ap, ps);
		offer_group_repartition(c, q, ps);
		skip_colocated_merge(q, ps);
		sql_join_preaggregate(c, q, ps, ap->aggs, ap->nagg);
	}
	mark_value_keys(q, ap, ps);
	ps->merge_desc = ap->gather           ? "shards return distinct values; leader counts them"
			 : !ps->has_final_agg ? "none: the groups hold the distribution column, "
						"each whole on one shard"
					      : "merge partial aggregates by group on the leader";
	if (!(ps->shard_sql = emit_agg_shard(c, q, ap)))
		return MUR_ERR;
	ps->scan_column = bare_scan_column(q, ap, ps);
	ps->shard_having = emit_shard_having(c, q, ap, ps);
	return (ps->final_sql = emit_final(c, q, ap)) ? MUR_OK : MUR_ERR;
}

/* ---- entry ---- */

/* Reference tables only: the whole query on shard 0 (any current copy). */
static int plan_reference_router(sql_ctx *c, const sql_query *q, plan_select *ps)
{
	ps->router = 1;
	ps->strategy = "router (reference tables)";
	ps->merge_desc = "none: one shard";
	return (ps->shard_sql = emit_whole(c, q)) ? MUR_OK : MUR_ERR;
}

static uint64_t rows_of(const cat_table *t)
{
	uint64_t n = 0;
	for (uint32_t s = 0; s < t->nshards; s++)
		n += t->shards[s].rows;
	return n;
}

/* A shuffled inner join: the driver (whose rows stay where its shards are
 * read in a broadcast join) is the hash table whose group — itself and
 * the tables co-located with it and tied to it by their distribution
 * columns, which go with its shards — holds the most rows (murphy.shards'
 * counts), so that only the smaller tables are copied to every owner
 * (TPC-H's Q3: orders and lineitem stay together, the customers of one
 * segment are copied).  Outer joins keep the first hash table: which side
 * may be copied depends on it.  Marks join_stays by slot. */
static void pick_join_driver(sql_query *q, plan_select *ps)
{
	int linked[PLAN_TABLES_MAX], best = q->driver;
	uint64_t best_rows = 0;
	for (int t = 0; t < q->nrte; t++)
		if (q->rtes[t].join_left || q->rtes[t].join_right)
			goto mark;
	for (int d = 0; d < q->nrte; d++) {
		uint64_t rows = 0;
		if (cat_table_is_reference(q->rtes[d].table) || q->rtes[d].ship)
			continue;
		link_by_dist(q, d, linked);
		for (int i = 0; i < q->nrte; i++)
			if (i == d || stays_with(q, d, linked, i))
				rows += rows_of(q->rtes[i].table);
		if (rows > best_rows) {
			best = d;
			best_rows = rows;
		}
	}
	q->driver = best;
	for (int i = 0; i < q->nrte; i++)
		if (!q->rtes[i].ship)
			ps->tables[sql_rte_slot(q, i)] = q->rtes[i].table;
mark:
	link_by_dist(q, q->driver, linked);
	for (int i = 0; i < q->nrte; i++)
		if (!q->rtes[i].ship)
			ps->join_stays[sql_rte_slot(q, i)] = (uint8_t)stays_with(q, q->driver,
										 linked, i);
}

/* The first hash-distributed table of FROM; -1 when all are reference
 * tables (or shipped rows). */
static int find_driver(const sql_query *q)
{
	for (int i = 0; i < q->nrte; i++)
		if (!cat_table_is_reference(q->rtes[i].table) && !q->rtes[i].ship)
			return i;
	return -1;
}

/* The first table of FROM (shipped rows are none: sql_rte.ship). */
static int first_table(const sql_query *q)
{
	for (int i = 0; i < q->nrte; i++)
		if (!q->rtes[i].ship)
			return i;
	return 0;
}

static int plan_distributed(sql_ctx *c, sql_query *q, plan *p)
{
	plan_select *ps = &p->u.select;
	int nseries = 0;
	for (int i = 0; i < q->nrte; i++)
		nseries += q->rtes[i].series != NULL;
	/* a set-returning function or shipped rows are no table to read */
	ps->ntables = q->nrte - nseries - sql_nship(q);
	ps->locks_rows = q->locks_rows == SQL_LOCK_ROWS_UPDATE  ? PLAN_LOCK_ROWS_UPDATE
			 : q->locks_rows == SQL_LOCK_ROWS_SHARE ? PLAN_LOCK_ROWS_SHARE
								: 0;
	ps->locks_name = q->locks_name;
	for (int i = 0; i < q->nrte; i++)
		if (!q->rtes[i].series && !q->rtes[i].ship)
			ps->tables[sql_rte_slot(q, i)] = q->rtes[i].table;
	if (find_driver(q) < 0)
		return q->ngsets ? sql_plan_grouping_sets(c, q, ps)
				 : plan_reference_router(c, q, ps);
	int shuffle = 0;
	if (q->nrte > 1 && check_colocation(c, q, &shuffle) != MUR_OK) {
		/* reference rows preserved by a LEFT JOIN to a distributed table:
		 * right when both are repartitioned by a join key, each reference
		 * row then meeting its matches on one owner */
		mur_error refused = *c->err;
		if (nseries) /* the repartitioned join reads tables only */
			return MUR_ERR;
		mur_error_clear(c->err);
		if (sql_plan_join_shuffle(c, q, ps) != MUR_OK || !ps->join_repartition_ok) {
			*c->err = refused;
			return MUR_ERR;
		}
		shuffle = 2; /* planned */
	}
	if (shuffle && nseries)
		return sql_err(c, SQLSTATE_FEATURE_NOT_SUPPORTED, -1,
			       "murphy does not support set-returning functions in FROM beside a "
			       "shuffled join yet");
	if (shuffle) {
		/* the owners play the shards: no pruning, no router */
		if (shuffle == 1)
			pick_join_driver(q, ps);
		if (shuffle == 1 && sql_plan_join_shuffle(c, q, ps) != MUR_OK)
			return MUR_ERR;
		ps->strategy = "shuffled join";
		if (q->ngsets)
			return sql_plan_grouping_sets(c, q, ps);
		if (sql_has_collecting_agg(q))
			return sql_plan_grouping_sets(c, q, ps);
		if (q->nwindow && !q->has_agg) /* owners hold rows by the join key */
			return sql_plan_window_leader(c, q, ps);
		return q->has_agg ? plan_aggregate(c, q, ps) : plan_scatter(c, q, ps);
	}
	sql_colocated_join_order(q); /* which table the shard SQL loops over first */
	if (sql_find_prune(c, q, q->where, &ps->prune) != MUR_OK)
		return MUR_ERR;
	if (q->ngsets) /* plan_grouping.c */
		return sql_plan_grouping_sets(c, q, ps);
	if (ps->prune.active) {
		ps->router = 1;
		ps->strategy = "router";
		ps->merge_desc = "none: one shard";
		return (ps->shard_sql = emit_whole(c, q)) ? MUR_OK : MUR_ERR;
	}
	if (sql_has_collecting_agg(q)) /* the rows to the leader (plan_grouping.c) */
		return sql_plan_grouping_sets(c, q, ps);
	if (q->has_agg)
		return plan_aggregate(c, q, ps);
	if (q->nwindow && !sql_window_pushable(q)) {
		int shuffled; /* by the partition key, or gathered (plan_window.c) */
		if (sql_plan_window_shuffle(c, q, ps, &shuffled) != MUR_OK)
			return MUR_ERR;
		return shuffled ? plan_scatter(c, q, ps) : sql_plan_window_leader(c, q, ps);
	}
	return plan_scatter(c, q, ps);
}

/* murphy.count_distinct = 'approximate': count(DISTINCT x) becomes
 * approx_count_distinct(x) wherever it stands (same type, bigint). */
static void approximate_count_distinct(sql_expr *e)
{
	if (!e)
		return;
	if (e->kind == SE_AGG && e->agg == SQL_AGG_COUNT && e->distinct) {
		e->agg = SQL_AGG_APPROX_COUNT_DISTINCT;
		e->distinct = 0;
		return;
	}
	for (int i = 0; i < e->nargs; i++)
		approximate_count_distinct(e->args[i]);
}

static void approximate_query(sql_query *q)
{
	for (int i = 0; i < q->ntarget; i++)
		approximate_count_distinct(q->targets[i].e);
	for (int i = 0; i < q->nsort; i++)
		approximate_count_distinct(q->sorts[i].e);
	approximate_count_distinct(q->having);
}

static int plan_query(sql_ctx *c, sql_query *q, plan *p)
{
	if (q->is_virtual && q->ngsets)
		return sql_err(c, SQLSTATE_FEATURE_NOT_SUPPORTED, -1,
			       "murphy does not support GROUPING SETS, ROLLUP or CUBE without a "
			       "distributed table yet");
	if (q->is_virtual) {
		p->kind = PLAN_LEADER_SELECT;
		for (int i = 0; i < q->nrte; i++)
			p->reads_shard_rows |= strcmp(q->rtes[i].table->name, "shards") == 0;
		return (p->leader_sql = emit_whole(c, q)) ? MUR_OK : MUR_ERR;
	}
	p->kind = PLAN_SELECT;
	q->driver = find_driver(q) >= 0 ? find_driver(q) : first_table(q);
	if (c->count_distinct_approx)
		approximate_query(q);
	if (plan_distributed(c, q, p) != MUR_OK)
		return MUR_ERR;
	sql_window_note(q, &p->u.select);
	return MUR_OK;
}

int sql_plan_query(sql_ctx *c, sql_query *q, plan *p)
{
	sql_distinct_on on;
	p->tag = "SELECT";
	if (sql_plan_outputs(c, q, p) != MUR_OK || sql_distinct_on_split(c, q, &on) != MUR_OK ||
	    plan_query(c, q, p) != MUR_OK)
		return MUR_ERR;
	if (p->kind == PLAN_SELECT && on.active)
		p->u.select.batch_why = "DISTINCT ON picks its rows on the leader";
	else if (p->kind == PLAN_SELECT && sql_plan_batch_whole(c, q, p) != MUR_OK)
		return MUR_ERR;                 /* a cursor may read it in batches */
	return sql_distinct_on_wrap(c, &on, p); /* plan_window.c */
}

void sql_emit_limit(sql_emit *e, const sql_query *q, int add_offset)
{
	emit_limit(e, q, add_offset);
}

int sql_plan_select(sql_ctx *c, PgQuery__SelectStmt *s, plan *p)
{
	sql_query *q;
	c->subq_ok = 1; /* subqueries run before the statement (plan_subq.c) */
	if (s->op != PG_QUERY__SET_OPERATION__SETOP_NONE)
		return sql_plan_setop_stmt(c, s, p);
	q = sql_analyze_select(c, s);
	return q && sql_plan_subs(c, p) == MUR_OK ? sql_plan_query(c, q, p) : MUR_ERR;
}
