/*
 * plan_join.c — joins of tables that are not co-located (docs/shuffle.md).
 *
 * When the tables of a join do not keep matching rows on the same
 * followers, the executor brings them together on the followers first
 * (lead_join.c), by one of two strategies:
 *
 *   repartition  every table's rows go to owner hash(join key), follower to
 *                follower: rows that can match meet on one owner
 *   broadcast    the driver (the first hash table) stays where it is; every
 *                other table is copied to every follower
 *
 * Either way each owner holds, per table, the rows it must join, in an
 * in-memory SQLite database whose tables are named and placed exactly as a
 * shard task names them (main."a", m1."b"), and runs the plan's usual
 * shard_sql (with its partial aggregate).  So everything after — the
 * leader's merge, final aggregate and final SQL — is the plan as if the
 * tables were co-located, and the owners play the shards.
 *
 * What this file decides, per table (in FROM order = stream order):
 *   - the join key: one class of columns equated across every table (a.x =
 *     b.y [= c.z], in WHERE or ON); without one, only broadcast is possible
 *   - side SQL: the key first, then every other column the query uses,
 *     with the WHERE conjuncts on that table alone (not for a table an
 *     outer join null-extends, where filtering early would change the answer)
 *   - whether it may be broadcast: not the preserved side of a LEFT JOIN
 *     (every owner would emit its unmatched rows); no table of a query
 *     with a RIGHT or FULL JOIN (repartition only: a row and its matches
 *     meet on one owner, so each unmatched row is emitted once)
 *   - the owner's DDL, load statements and key indexes
 */
#include "sql/sqlInt.h"

#include <assert.h>
#include <stdio.h>
#include <string.h>

#define KEYS_MAX 128 /* column references considered for the join key */
/* An owner's join key index holds every column its table carries, up to
 * this many (the key first): a probe then reads no table row (TPC-H Q13's
 * orders: o_custkey, o_orderkey).  Wider rows: the key alone, so the
 * index stays small. */
#define JOIN_INDEX_COLS_MAX 4

typedef struct colref {
	int rte, col;
} colref;

typedef struct uf {
	int n;
	colref refs[KEYS_MAX];
	int parent[KEYS_MAX];
} uf;

static int uf_find(uf *u, int i)
{
	while (u->parent[i] != i)
		i = u->parent[i] = u->parent[u->parent[i]];
	return i;
}

static int uf_add(uf *u, const sql_expr *e)
{
	for (int i = 0; i < u->n; i++)
		if (u->refs[i].rte == e->rte && u->refs[i].col == e->col)
			return i;
	if (u->n >= KEYS_MAX)
		return -1;
	u->refs[u->n] = (colref){e->rte, e->col};
	u->parent[u->n] = u->n;
	return u->n++;
}

static void equalities(uf *u, const sql_expr *e)
{
	const sql_expr *l, *r;
	if (!e)
		return;
	if (e->kind == SE_BOOL && !strcmp(e->op, "AND")) {
		for (int i = 0; i < e->nargs; i++)
			equalities(u, e->args[i]);
		return;
	}
	if (e->kind == SE_OP && e->nargs == 2 && !strcmp(e->op, "=") &&
	    (l = sql_equated_column(e->args[0])) && (r = sql_equated_column(e->args[1])) &&
	    l->rte != r->rte) {
		int a = uf_add(u, l), b = uf_add(u, r);
		if (a >= 0 && b >= 0)
			u->parent[uf_find(u, a)] = uf_find(u, b);
	}
}

/* A class of equated columns with one column of every table, all of one
 * storage class: keys[i] = that column of table i.  0 when none.  A
 * subquery's rows shipped to every task (sql_rte.ship) are on every owner
 * already: no stream, no key (keys[i] -1). */
static int find_key(const sql_query *q, int *keys)
{
	uf u = {0};
	equalities(&u, q->where);
	for (int i = 1; i < q->nrte; i++)
		equalities(&u, q->rtes[i].on);
	for (int root = 0; root < u.n; root++) {
		int ok = 1;
		mur_vkind kind = MV_NULL;
		if (uf_find(&u, root) != root)
			continue;
		for (int t = 0; t < q->nrte && ok; t++) {
			keys[t] = -1;
			if (q->rtes[t].ship)
				continue;
			for (int i = 0; i < u.n; i++)
				if (uf_find(&u, i) == root && u.refs[i].rte == t) {
					keys[t] = u.refs[i].col;
					break;
				}
			if (keys[t] < 0) {
				ok = 0;
				break;
			}
			mur_vkind k = mur_type_storage(q->rtes[t].table->cols[keys[t]].type);
			if (kind != MV_NULL && k != kind)
				ok = 0;
			kind = k;
		}
		if (ok)
			return 1;
	}
	return 0;
}

/* Which columns of each table the query reads. */
static void mark_columns(const sql_expr *e, uint8_t used[][CAT_COLUMNS_MAX])
{
	if (!e)
		return;
	if (e->kind == SE_COLUMN && e->rte >= 0 && e->col >= 0 && e->col < CAT_COLUMNS_MAX)
		used[e->rte][e->col] = 1;
	for (int i = 0; i < e->nargs; i++)
		mark_columns(e->args[i], used);
}

/* Does e read only table t (and at least one column of it)? */
static int only_table(const sql_expr *e, int t, int *seen)
{
	if (!e)
		return 1;
	if (e->kind == SE_AGG)
		return 0;
	if (e->kind == SE_COLUMN) {
		*seen = 1;
		return e->rte == t;
	}
	for (int i = 0; i < e->nargs; i++)
		if (!only_table(e->args[i], t, seen))
			return 0;
	return 1;
}

/* The conjuncts of e (nested ANDs walked) that name table t and no other;
 * stored in out[*n...] when out is not NULL, counted in *n either way. */
static void pushed_conjuncts(const sql_query *q, int t, const sql_expr *e, sql_expr **out, int *n)
{
	int seen = 0;
	if (!e)
		return;
	if (e->kind == SE_BOOL && !strcmp(e->op, "AND")) {
		for (int i = 0; i < e->nargs; i++)
			pushed_conjuncts(q, t, e->args[i], out, n);
		return;
	}
	if (!only_table(e, t, &seen) || !seen)
		return;
	if (out)
		out[*n] = (sql_expr *)e;
	(*n)++;
}

/* ---- filters carried across equalities ----
 * In an inner join, WHERE a.x = b.y AND P(a.x) lets b's side SQL filter by
 * P(b.y) too: every row of the answer has b.y = a.x.  P is a comparison of
 * the column alone with values fixed before the run (constants,
 * parameters, a subquery's result): =, <, <=, >, >=, <>, BETWEEN, IN, and
 * the IN set of an uncorrelated subquery (TPC-H's Q18: the orders whose
 * lines sum past 300 also pick the lines sent, through o_orderkey =
 * l_orderkey).  Only between columns of one type, only without outer
 * joins (a null-extended row has no such equality). */

#define DERIVED_MAX 64 /* filters carried to one table */

static int fixed_value(const sql_expr *e)
{
	return e->kind == SE_CONST || e->kind == SE_PARAM || e->kind == SE_SUBQ;
}

/* The argument of P that is its one column, -1 when P is no such filter. */
static int filter_column_arg(const sql_expr *e)
{
	static const char *const cmp[] = {"=", "<", "<=", ">", ">=", "<>", "!="};
	int ok = 0;
	if (e->nargs < 1 || e->args[0]->kind != SE_COLUMN)
		return -1;
	switch (e->kind) {
	case SE_OP:
		for (size_t i = 0; i < sizeof cmp / sizeof cmp[0]; i++)
			ok |= e->nargs == 2 && !e->postfix && !strcmp(e->op, cmp[i]);
		break;
	case SE_BETWEEN:
	case SE_IN:
		ok = 1;
		break;
	case SE_CALL:
		ok = e->nargs == 2 && !strcmp(e->op, "mur_subq_in");
		break;
	default:
		break;
	}
	for (int i = 1; ok && i < e->nargs; i++)
		ok = fixed_value(e->args[i]);
	return ok ? 0 : -1;
}

static int has_outer_join(const sql_query *q)
{
	for (int t = 0; t < q->nrte; t++)
		if (q->rtes[t].join_left || q->rtes[t].join_right)
			return 1;
	return 0;
}

/* P with its column replaced by column col of table t (a shallow copy). */
static sql_expr *carried(sql_ctx *c, const sql_expr *p, int t, int col)
{
	sql_expr *e = sql_alloc(c, sizeof *e), *k = sql_alloc(c, sizeof *k);
	sql_expr **args = sql_alloc(c, sizeof *args * (size_t)p->nargs);
	if (!e || !k || !args)
		return NULL;
	*e = *p;
	*k = *p->args[0];
	k->rte = t;
	k->col = col;
	memcpy(args, p->args, sizeof *args * (size_t)p->nargs);
	args[0] = k;
	e->args = args;
	return e;
}

/* The filters of other tables' columns carried to table t, in out[*n...]
 * (at most max); MUR_ERR on OOM. */
static int carried_conjuncts(sql_ctx *c, const sql_query *q, int t, sql_expr **out, int *n, int max)
{
	sql_expr *conj[256];
	uf u = {0};
	int nconj;
	if (has_outer_join(q))
		return MUR_OK;
	equalities(&u, q->where);
	for (int i = 1; i < q->nrte; i++)
		equalities(&u, q->rtes[i].on);
	nconj = sql_conjuncts(q->where, conj, 0, 256);
	for (int i = 0; i < nconj; i++) {
		const sql_expr *p = conj[i], *pc;
		int from;
		if (filter_column_arg(p) < 0 || (pc = p->args[0])->rte == t)
			continue;
		if ((from = uf_add(&u, pc)) < 0)
			continue;
		for (int k = 0; k < u.n && *n < max; k++) {
			const cat_table *tb = q->rtes[t].table;
			if (u.refs[k].rte != t || uf_find(&u, k) != uf_find(&u, from) ||
			    tb->cols[u.refs[k].col].type !=
				    q->rtes[pc->rte].table->cols[pc->col].type)
				continue;
			if (!(out[*n] = carried(c, p, t, u.refs[k].col)))
				return MUR_ERR;
			(*n)++;
		}
	}
	return MUR_OK;
}

/* " WHERE c1 AND c2 ..." over the conjuncts of e that table t can check by
 * itself and the filters carried to it (balanced by sql_emit_bool_list:
 * any number of them fits SQLite's expression depth). */
static int emit_pushed_where(sql_ctx *c, sql_emit *em, const sql_query *q, int t, const sql_expr *e)
{
	int n = 0, m = 0;
	sql_expr **conj;
	pushed_conjuncts(q, t, e, NULL, &n);
	if (!(conj = sql_alloc(c, sizeof *conj * (size_t)(n + DERIVED_MAX))))
		return MUR_ERR;
	pushed_conjuncts(q, t, e, conj, &m);
	assert(m == n);
	if (carried_conjuncts(c, q, t, conj, &m, n + DERIVED_MAX) != MUR_OK)
		return MUR_ERR;
	if (m == 0)
		return MUR_OK;
	mur_buf_printf(em->b, " WHERE ");
	sql_emit_bool_list(em, "AND", conj, m);
	return MUR_OK;
}

int sql_rte_nullable(const sql_query *q, int t)
{
	if (q->rtes[t].join_left)
		return 1;
	for (int u = t + 1; u < q->nrte; u++)
		if (q->rtes[u].join_right)
			return 1;
	return 0;
}

/* ---- ON conjuncts moved into the side SQL ----
 * A conjunct of table t's ON that reads t alone (TPC-H's Q13: customer
 * LEFT JOIN orders ON c_custkey = o_custkey AND o_comment NOT LIKE
 * '%special%requests%') rejects each t row failing it whatever it is
 * paired with: such a row joins nothing, and the preserved side keeps its
 * unmatched rows all the same.  So t's side SQL filters by it (fewer rows
 * sent, and columns only it reads stay home) and the owners' ON keeps the
 * rest.  Not when t's own join preserves t (RIGHT or FULL JOIN: a failing
 * row still appears, null-extended), and only while something stays in
 * the ON. */

#define ON_CONJUNCTS_MAX 64

/* Moves table t's own conjuncts out of its ON into *side (NULL: none). */
static int move_on_filters(sql_ctx *c, sql_query *q, int t, sql_expr **side)
{
	sql_expr *conj[ON_CONJUNCTS_MAX + 1], *keep = NULL, *moved = NULL;
	sql_rte *r = &q->rtes[t];
	int n, nkeep = 0;
	*side = NULL;
	if (t == 0 || !r->on || r->join_right)
		return MUR_OK;
	n = sql_conjuncts(r->on, conj, 0, ON_CONJUNCTS_MAX + 1);
	if (n > ON_CONJUNCTS_MAX) /* some were not listed: leave the ON whole */
		return MUR_OK;
	for (int i = 0; i < n; i++) {
		int seen = 0, own = only_table(conj[i], t, &seen) && seen;
		if (own && !(moved = sql_and(c, moved, conj[i])))
			return MUR_ERR;
		if (!own && !(keep = sql_and(c, keep, conj[i])))
			return MUR_ERR;
		nkeep += !own;
	}
	if (moved && nkeep) {
		r->on = keep;
		*side = moved;
	}
	return MUR_OK;
}

static void schema_of(const sql_query *q, int t, char *out, size_t outsz)
{
	int slot = sql_rte_slot(q, t);
	if (slot == 0)
		snprintf(out, outsz, "main");
	else
		snprintf(out, outsz, "m%d", slot);
}

/* Side SQL, DDL, load and index statements for table t. */
static int describe_table(sql_ctx *c, const sql_query *q, int t, int slot, int key, sql_expr *side,
			  uint8_t used[][CAT_COLUMNS_MAX], plan_select *ps, mur_buf *ddl,
			  mur_buf *load, mur_buf *post)
{
	const cat_table *tb = q->rtes[t].table;
	int order[CAT_COLUMNS_MAX], n = 0;
	char schema[16];
	mur_buf b;
	sql_emit em = {&b, q, 0};

	order[n++] = key >= 0 ? key : -1;
	for (int i = 0; i < tb->ncols; i++)
		if (used[t][i] && i != key)
			order[n++] = i;
	if (order[0] < 0) { /* no key: the first used column leads (or any) */
		order[0] = n > 1 ? order[--n] : 0;
	}
	mur_buf_init(&b);
	mur_buf_printf(&b, "SELECT ");
	for (int i = 0; i < n; i++) {
		mur_buf_printf(&b, i ? ", " : "");
		sql_emit_ident(&b, q->rtes[t].alias);
		mur_buf_put_u8(&b, '.');
		sql_emit_ident(&b, tb->cols[order[i]].name);
	}
	mur_buf_printf(&b, " FROM main.");
	sql_emit_ident(&b, tb->name);
	mur_buf_printf(&b, " AS ");
	sql_emit_ident(&b, q->rtes[t].alias);
	/* the WHERE's conjuncts on t alone, when t is not null-extended (a
	 * WHERE on a null-extended row sees its NULLs); the ON's moved ones */
	sql_expr *filter = sql_rte_nullable(q, t) ? side : sql_and(c, q->where, side);
	if ((side && !filter) || emit_pushed_where(c, &em, q, t, filter) != MUR_OK) {
		mur_buf_free(&b);
		return MUR_ERR;
	}
	if (!(ps->join_side_sql[slot] = sql_buf_finish(c, &b)))
		return MUR_ERR;

	schema_of(q, t, schema, sizeof schema);
	if (strcmp(schema, "main"))
		mur_buf_printf(ddl, "ATTACH ':memory:' AS %s;", schema);
	mur_buf_printf(ddl, "CREATE TABLE %s.", schema);
	sql_emit_ident(ddl, tb->name);
	mur_buf_put_u8(ddl, '(');
	for (int i = 0; i < n; i++) { /* numeric compares by value: 1.0 = 1.00 */
		mur_buf_printf(ddl, i ? ", " : "");
		sql_emit_ident(ddl, tb->cols[order[i]].name);
		mur_buf_printf(ddl, "%s", sql_key_collate(tb->cols[order[i]].type));
	}
	mur_buf_printf(ddl, ");");
	mur_buf_printf(load, "%sINSERT INTO %s.", slot ? "\n" : "", schema);
	sql_emit_ident(load, tb->name);
	mur_buf_printf(load, " VALUES (");
	for (int i = 0; i < n; i++)
		mur_buf_printf(load, i ? ", ?" : "?");
	mur_buf_put_u8(load, ')');
	if (key >= 0) { /* covering when narrow: a probe reads no table row */
		mur_buf_printf(post, "CREATE INDEX %s.\"murphy_join_key_%d\" ON ", schema, slot);
		sql_emit_ident(post, tb->name);
		mur_buf_put_u8(post, '(');
		for (int i = 0; i < (n <= JOIN_INDEX_COLS_MAX ? n : 1); i++) {
			mur_buf_printf(post, i ? ", " : "");
			sql_emit_ident(post, tb->cols[order[i]].name);
		}
		mur_buf_printf(post, ");");
	}
	return MUR_OK;
}

static void describe_key(sql_ctx *c, const sql_query *q, const int *keys, plan_select *ps)
{
	mur_buf b;
	mur_buf_init(&b);
	for (int t = 0, n = 0; t < q->nrte; t++) {
		if (q->rtes[t].ship)
			continue;
		mur_buf_printf(&b, n++ ? " = " : "");
		sql_emit_ident(&b, q->rtes[t].alias);
		mur_buf_put_u8(&b, '.');
		sql_emit_ident(&b, q->rtes[t].table->cols[keys[t]].name);
	}
	ps->join_key_desc = sql_buf_finish(c, &b);
}

static int shuffle_keys(sql_ctx *c, const sql_query *q, plan_select *ps, const int *keys,
			sql_expr *const *side);

int sql_join_key_of(const sql_query *q, int t)
{
	int keys[PLAN_TABLES_MAX];
	return find_key(q, keys) ? keys[t] : -1;
}

int sql_plan_join_shuffle(sql_ctx *c, sql_query *q, plan_select *ps)
{
	int keys[PLAN_TABLES_MAX], has_key = find_key(q, keys);
	sql_expr *side[PLAN_TABLES_MAX] = {0};
	for (int t = 0; t < q->nrte; t++)
		if (!q->rtes[t].ship && move_on_filters(c, q, t, &side[t]) != MUR_OK)
			return MUR_ERR;
	return shuffle_keys(c, q, ps, has_key ? keys : NULL, side);
}

int sql_plan_shuffle_keys(sql_ctx *c, const sql_query *q, plan_select *ps, const int *keys)
{
	return shuffle_keys(c, q, ps, keys, NULL);
}

/* side[t]: table t's ON conjuncts its side SQL checks (NULL: none). */
static int shuffle_keys(sql_ctx *c, const sql_query *q, plan_select *ps, const int *keys,
			sql_expr *const *side)
{
	int has_key = keys != NULL, any_outer = 0, any_right = 0, ntables = q->nrte - sql_nship(q);
	uint8_t(*used)[CAT_COLUMNS_MAX] = sql_alloc(c, sizeof(uint8_t) * PLAN_TABLES_MAX *
							       CAT_COLUMNS_MAX);
	mur_buf ddl, load, post;

	if (!used)
		return MUR_ERR;
	if (ntables > EXEC_JOIN_STREAMS_MAX)
		return sql_err(c, SQLSTATE_FEATURE_NOT_SUPPORTED, q->rtes[0].loc,
			       "murphy joins at most %d tables that are not co-located",
			       EXEC_JOIN_STREAMS_MAX);
	for (int t = 0; t < q->nrte; t++) {
		any_outer |= q->rtes[t].join_left;
		any_right |= q->rtes[t].join_right;
	}
	ps->join_repartition_ok = has_key;
	for (int t = 0; has_key && t < q->nrte; t++) { /* numeric wins over an integer */
		if (q->rtes[t].ship)
			continue;
		mur_type kt = q->rtes[t].table->cols[keys[t]].type;
		if (kt == MT_NUMERIC)
			ps->join_keys = (exec_key_cols){.num = 1};
		else if (!ps->join_keys.num && mur_key_kind_of(kt) == MUR_KEY_INTERVAL)
			ps->join_keys = (exec_key_cols){.iv = 1};
		else if (!ps->join_keys.num && mur_key_kind_of(kt) == MUR_KEY_JSONB)
			ps->join_keys = (exec_key_cols){.jsonb = 1};
		else if (!ps->join_keys.num && kt == MT_BPCHAR) /* 'a' = 'a  ' */
			ps->join_keys = (exec_key_cols){.bpchar = 1};
	}
	ps->join_broadcast_ok = !any_right;
	for (int t = 0; t < q->nrte; t++)
		/* broadcast copies every table but the driver to every owner: the
		 * preserved side of a LEFT JOIN must not be copied */
		ps->join_broadcast_ok &= t == q->driver || !any_outer || q->rtes[t].join_left ||
					 q->rtes[t].ship;
	if (!ps->join_repartition_ok && !ps->join_broadcast_ok)
		return sql_err(c, SQLSTATE_FEATURE_NOT_SUPPORTED, q->rtes[1].loc,
			       "murphy cannot join these tables: they are not co-located, share no "
			       "equality on a join key, and an outer join keeps the rows of a "
			       "table it would have to copy");
	for (int i = 0; i < q->ntarget; i++)
		mark_columns(q->targets[i].e, used);
	mark_columns(q->where, used);
	for (int t = 0; t < q->nrte; t++)
		mark_columns(q->rtes[t].on, used);
	for (int i = 0; i < q->ngroup; i++)
		mark_columns(q->group[i], used);
	mark_columns(q->having, used);
	for (int i = 0; i < q->nsort; i++)
		mark_columns(q->sorts[i].e, used);
	mur_buf_init(&ddl);
	mur_buf_init(&load);
	mur_buf_init(&post);
	/* in slot order (table slot s is rte of[s]; shipped rows take none) */
	int of[PLAN_TABLES_MAX];
	for (int t = 0; t < q->nrte; t++)
		if (!q->rtes[t].ship)
			of[sql_rte_slot(q, t)] = t;
	for (int s = 0, rc = MUR_OK; s < ntables && rc == MUR_OK; s++) {
		int t = of[s];
		rc = describe_table(c, q, t, s, has_key ? keys[t] : -1, side ? side[t] : NULL, used,
				    ps, &ddl, &load, &post);
	}
	ps->join_shuffle = 1;
	ps->join_ddl = sql_buf_finish(c, &ddl);
	ps->join_load = sql_buf_finish(c, &load);
	ps->join_post = sql_buf_finish(c, &post);
	if (!ps->join_ddl || !ps->join_load || !ps->join_post ||
	    ps->join_side_sql[ntables - 1] == NULL)
		return MUR_ERR;
	if (has_key)
		describe_key(c, q, keys, ps);
	return MUR_OK;
}
