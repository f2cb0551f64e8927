/*
 * analyze_outerkey.c — a correlated subquery that the key-set rewrite
 * (analyze_semijoin.c) cannot take, decorrelated by the primary key of
 * the one outer table it reads (docs/decisions.md, "Correlated subqueries:
 * decorrelated by the outer table's key"):
 *
 *   SELECT ... FROM o WHERE EXISTS (SELECT 1 FROM f WHERE f.oid = o.id AND f.v > o.a)
 *     ==> ... WHERE EXISTS (SELECT 1 FROM f, o AS m WHERE f.oid = m.id AND f.v > m.a
 *                           AND m.pk = o.pk)
 *
 * The subquery gets its own copy m of the outer table o (each outer
 * column it names becomes m's), and the only correlation left is o's
 * primary key, m.pk = o.pk: an equality the key-set rewrite turns into a
 * set of keys that runs once, distributed (the join of f and o as any
 * join: co-located, shuffled, with a reference table), and that the
 * shards probe.  For each o row the rows of the rewritten subquery with
 * m.pk = o.pk are exactly the original's rows for that o row (m is that
 * row, the key being unique), so EXISTS, [NOT] IN and scalar subqueries
 * (aggregates grouped by m.pk, their value over no row otherwise) answer
 * as PostgreSQL.  Subqueries nested in the subquery are copied with it:
 * one two levels down that names o then names m, one level up, which the
 * nested analysis decorrelates in turn.
 *
 * Outer columns of two tables a and b (each with a one-column key): both
 * copied in, m.pk = a.pk AND n.pk = b.pk for EXISTS (key pairs probed by
 * mur_subq_in2), concat(m.pk, ',', n.pk) = concat(a.pk, ',', b.pk) for a
 * scalar or IN subquery, whose key set takes one key (pair_key: the first
 * key an integer, so the text is one pair's only).  A grouped query
 * around it (GROUP BY or HAVING): its rows are groups, keyed by the one
 * grouped column the subquery reads (sql_okey_grouped(): a copy of that column's
 * table with one row per value).
 *
 * Taken only when every name is sure (resolved as SQL scopes them, from
 * the innermost FROM out): all outer columns of one or two tables of the
 * query around it (not a merged subquery, not on the null-extended side
 * of an outer join unless the query is grouped), each table with a
 * primary key of one column (a lone table's of two for EXISTS) or none
 * (murphy's hidden row id then stands for its rows), no FROM item of the
 * subquery named as it, no WITH, subquery or function in the subquery's
 * FROM, no aggregate over outer columns only (PostgreSQL's outer
 * aggregate).  Otherwise nothing is rewritten and the subquery is refused
 * with 0A000 as before, its hint saying why.  The original parse tree (the
 * parse cache keeps it) is never changed: the rewrite is a copy.
 */
#include "parser/analyze_outerkey_int.h"

#include <stdio.h>
#include <string.h>

static const char *const aggregates[] = {
	"count",
	"sum",
	"avg",
	"min",
	"max",
	"bool_and",
	"bool_or",
	"every",
	"string_agg",
	"array_agg",
	"stddev",
	"stddev_pop",
	"stddev_samp",
	"variance",
	"var_pop",
	"var_samp",
	"json_agg",
	"jsonb_agg",
	"bit_and",
	"bit_or",
	"corr",
	"covar_pop",
	"covar_samp",
	"mode",
	"percentile_cont",
	"percentile_disc",
	"json_object_agg",
	"jsonb_object_agg",
};

static int is_aggregate(const PgQuery__FuncCall *f)
{
	const char *name;
	if (f->agg_star || f->agg_distinct || f->agg_filter || f->n_agg_order)
		return 1;
	if (f->n_funcname < 1 || !(name = sql_node_str(f->funcname[f->n_funcname - 1])))
		return 1; /* unsure: count it as one */
	for (size_t i = 0; i < sizeof aggregates / sizeof aggregates[0]; i++)
		if (!strcmp(name, aggregates[i]))
			return 1;
	return 0;
}

static int aggregate_call(const ProtobufCMessage *m, const void *arg)
{
	(void)arg;
	return m->descriptor == &pg_query__func_call__descriptor &&
	       (is_aggregate((const PgQuery__FuncCall *)m) || ((const PgQuery__FuncCall *)m)->over);
}

int sql_tree_has_aggregate(const PgQuery__Node *n)
{
	return n && sql_tree_any(&n->base, aggregate_call, NULL);
}

/* Is the name an output column of scope s (ORDER BY may name one)? */
static int target_named(const PgQuery__SelectStmt *s, const char *col)
{
	for (size_t i = 0; i < s->n_target_list; i++) {
		const PgQuery__ResTarget *rt = s->target_list[i]->res_target;
		if (rt && rt->name && !strcmp(rt->name, col))
			return 1;
	}
	return 0;
}

/* The alias of the table of FROM item n that has col; NULL when unsure
 * (a join that merges columns or has an alias of its own). */
static const char *alias_with(sql_ctx *c, PgQuery__Node *n, const char *col)
{
	if (n->node_case == PG_QUERY__NODE__NODE_JOIN_EXPR) {
		const PgQuery__JoinExpr *j = n->join_expr;
		const char *l, *r;
		if (j->n_using_clause || j->is_natural || j->alias)
			return NULL;
		l = sql_subq_from_has(c, j->larg, NULL, col) > 0 ? alias_with(c, j->larg, col)
								 : NULL;
		r = sql_subq_from_has(c, j->rarg, NULL, col) > 0 ? alias_with(c, j->rarg, col)
								 : NULL;
		return l && r ? NULL : l ? l : r; /* both: ambiguous already */
	}
	if (n->node_case != PG_QUERY__NODE__NODE_RANGE_VAR)
		return NULL;
	return n->range_var->alias && n->range_var->alias->aliasname
		       ? n->range_var->alias->aliasname
		       : n->range_var->relname;
}

/* An unqualified name of the subquery's own FROM (item n), to qualify in
 * the copy. */
static void own_name(okey *k, const PgQuery__ColumnRef *r, PgQuery__Node *n, const char *col)
{
	const char *alias = alias_with(k->c, n, col);
	if (!alias || k->nown == OKEY_REFS_MAX) {
		k->unsure = 1;
		k->why = "a column it names unqualified comes from a join with USING, NATURAL or "
			 "an alias";
		return;
	}
	k->own[k->nown] = r;
	k->own_alias[k->nown++] = alias;
}

/* The outer table's rte a name resolves to, -1 none, -2 unsure. */
static int outer_rte(okey *k, const char *tbl, const char *col)
{
	const sql_query *q = k->c->q;
	int found = -1, nview = 0;
	for (int i = 0; i < q->nrte; i++) {
		const sql_rte *rt = &q->rtes[i];
		if (rt->merged || (tbl && strcmp(rt->alias, tbl)) ||
		    cat_column_index(rt->table, col) < 0)
			continue;
		if (found >= 0)
			return -2; /* ambiguous */
		found = i;
	}
	if (sql_view_column(q, tbl, col, &nview))
		return -2; /* a merged subquery's name */
	return found;
}

static void resolve(okey *k, const PgQuery__ColumnRef *r)
{
	const char *tbl = NULL, *col;
	int t, i;
	if (r->n_fields == 1 && r->fields[0]->node_case == PG_QUERY__NODE__NODE_A_STAR)
		return; /* SELECT *: the subquery's own */
	if (r->n_fields > 2 || !(col = sql_node_str(r->fields[r->n_fields - 1])) ||
	    (r->n_fields == 2 && !(tbl = sql_node_str(r->fields[0])))) {
		k->unsure = 1;
		k->why = "it names a whole row or a column by schema";
		return;
	}
	for (int s = k->nscopes - 1; s >= 0; s--) {
		const PgQuery__SelectStmt *sc = k->scopes[s];
		if (!tbl && target_named(sc, col)) {
			k->ninner++;
			k->at_scope[s]++;
			return;
		}
		for (size_t i = 0; i < sc->n_from_clause; i++) {
			int has = sql_subq_from_has(k->c, sc->from_clause[i], tbl, col);
			if (has < 0) {
				k->unsure = 1;
				k->why = "its FROM holds a subquery, a WITH query or a function";
			}
			if (has) {
				k->ninner++;
				k->at_scope[s]++;
				if (has > 0 && !tbl && s == 0)
					own_name(k, r, sc->from_clause[i], col);
				return;
			}
		}
	}
	t = outer_rte(k, tbl, col);
	if (t < 0 || k->nrefs == OKEY_REFS_MAX) {
		k->unsure = 1; /* another level's, unknown: not ours */
		k->why = "it reads a column of a query further out, or of a subquery in FROM "
			 "merged into the query around it";
		return;
	}
	for (i = 0; i < OKEY_TABLES_MAX && k->t[i] >= 0 && k->t[i] != t; i++)
		;
	if (i == OKEY_TABLES_MAX) {
		k->unsure = 1;
		k->why = "it reads columns of more than two tables of the query around it";
		return;
	}
	k->t[i] = t;
	k->ref_t[k->nrefs] = i;
	k->refs[k->nrefs++] = r;
}

/* The walk over the subquery (pwalk.h): names resolved, scopes pushed and
 * popped around each SELECT's children; stops once unsure. */
static sql_pt_next visit(const ProtobufCMessage *m, sql_pt_at *at, void *arg)
{
	okey *k = arg;
	const ProtobufCMessageDescriptor *d = m->descriptor;
	if (k->unsure)
		return SQL_PT_STOP;
	if (d == &pg_query__column_ref__descriptor) {
		resolve(k, (const PgQuery__ColumnRef *)m);
		return k->unsure ? SQL_PT_STOP : SQL_PT_SKIP;
	} else if (d == &pg_query__select_stmt__descriptor) {
		const PgQuery__SelectStmt *s = (const PgQuery__SelectStmt *)m;
		if (k->nscopes == OKEY_SCOPES_MAX || s->with_clause) {
			k->unsure = 1;
			k->why = "it holds a WITH clause or nests too deep";
			return SQL_PT_STOP;
		}
		k->scopes[k->nscopes++] = s;
		sql_pt_walk_children(at, visit, k);
		k->nscopes--;
	} else if (d == &pg_query__join_expr__descriptor) {
		int nrefs = k->nrefs;
		sql_pt_walk_children(at, visit, k);
		if (k->nrefs > nrefs) { /* the copy joins in later than the join's ON reads */
			k->unsure = 1;
			k->why = "a JOIN's ON in its FROM names the query around it";
		}
	} else if (d == &pg_query__range_subselect__descriptor ||
		   d == &pg_query__range_function__descriptor ||
		   d == &pg_query__common_table_expr__descriptor) {
		k->unsure = 1;
		k->why = "its FROM holds a subquery, a WITH query or a function";
	} else if (d == &pg_query__func_call__descriptor) {
		int nrefs = k->nrefs, level = k->nscopes - 1, mine = 0;
		int before[OKEY_SCOPES_MAX];
		memcpy(before, k->at_scope, sizeof before);
		sql_pt_walk_children(at, visit, k);
		for (int s = 0; s <= level; s++) /* its scope's names or shallower ones */
			mine += k->at_scope[s] - before[s];
		/* names of the outer query alone (a nested subquery's own do not
		 * count): an aggregate of the outer query */
		if (k->nrefs > nrefs && !mine && is_aggregate((const PgQuery__FuncCall *)m)) {
			k->unsure = 1;
			k->why = "it aggregates columns of the query around it only (an aggregate "
				 "of that query)";
		}
	} else {
		return SQL_PT_INTO;
	}
	return k->unsure ? SQL_PT_STOP : SQL_PT_SKIP;
}

/* ---- the copy ---- */

/* 1 + the outer table refs[i] names when m is an outer reference, else 0. */
static int is_ref(const okey *k, const ProtobufCMessage *m)
{
	for (int i = 0; i < k->nrefs; i++)
		if ((const ProtobufCMessage *)k->refs[i] == m)
			return 1 + k->ref_t[i];
	return 0;
}

/* The alias an unqualified name of the subquery's own gets, or NULL. */
static const char *own_alias(const okey *k, const ProtobufCMessage *m)
{
	for (int i = 0; i < k->nown; i++)
		if ((const ProtobufCMessage *)k->own[i] == m)
			return k->own_alias[i];
	return NULL;
}

PgQuery__Node *sql_okey_renamed(void *arg, PgQuery__Node *n)
{
	const okey_copy *kc = arg;
	const ProtobufCMessage *m = &n->column_ref->base;
	const PgQuery__ColumnRef *r = n->column_ref;
	int t = is_ref(kc->k, m);
	const char *q = t ? kc->alias[t - 1] : own_alias(kc->k, m);
	return q ? sql_pt_colref(kc->k->c, q, r->fields[r->n_fields - 1]) : n;
}

/* ---- the rewrite ---- */

/* The outer table again, as alias. */
PgQuery__Node *sql_okey_table_again(sql_ctx *c, const cat_table *t, const char *alias)
{
	PgQuery__Node *n = sql_pt_node(c, PG_QUERY__NODE__NODE_RANGE_VAR);
	PgQuery__RangeVar *rv = sql_alloc(c, sizeof *rv);
	PgQuery__Alias *al = sql_alloc(c, sizeof *al);
	if (!n || !rv || !al)
		return NULL;
	pg_query__range_var__init(rv);
	pg_query__alias__init(al);
	al->aliasname = (char *)alias;
	rv->relname = (char *)t->name;
	rv->schemaname = (char *)t->schema;
	rv->inh = 1;
	rv->relpersistence = "p";
	rv->alias = al;
	rv->location = -1;
	n->range_var = rv;
	return n;
}

/* The outer table's primary key columns (at most 2): how many, 0 when
 * it has more.  A table without one has murphy's hidden row id, unique
 * (its shards' SQLite key, drawn from the leader's time ids:
 * leader/lead_write.c): that one column. */
int sql_okey_primary_key(const cat_table *t, int *cols)
{
	int n = 0, hidden = -1;
	for (int i = 0; i < t->ncols; i++) {
		if (t->cols[i].hidden && !strcmp(t->cols[i].name, CAT_HIDDEN_ROWID))
			hidden = i;
		if (t->cols[i].primary_key) {
			if (n == 2)
				return 0;
			cols[n++] = i;
		}
	}
	if (n == 0 && hidden >= 0)
		cols[n++] = hidden;
	return n;
}

/* Is rte t a table of the query itself, never null-extended by an outer
 * join? */
int sql_okey_table_rows_ok(const sql_query *q, int t)
{
	const sql_rte *rt = &q->rtes[t];
	if (rt->merged || rt->join_left || rt->series || rt->rec || rt->rec_work || rt->values)
		return 0;
	for (int i = t + 1; i < q->nrte; i++)
		if (q->rtes[i].join_right)
			return 0;
	return 1;
}

/* May rte t stand for the subquery's outer rows: table_rows_ok, and the
 * query not grouped. */
static int outer_table_ok(const sql_query *q, int t)
{
	if (q->grouped_written) /* its rows are groups: no key stands for one */
		return 0;
	return sql_okey_table_rows_ok(q, t);
}

/* Does a FROM item of s itself carry the name alias? */
int sql_okey_from_names(sql_ctx *c, const PgQuery__SelectStmt *s, const char *alias)
{
	for (size_t i = 0; i < s->n_from_clause; i++)
		if (sql_subq_from_has(c, s->from_clause[i], alias, "") != 0)
			return 1;
	return 0;
}

/* s's WHERE with the key equalities m.pk = o.pk ANDed in. */
static PgQuery__Node *where_with_keys(sql_ctx *c, PgQuery__Node *where, const sql_rte *rt,
				      const char *alias, const int *pk, int npk)
{
	PgQuery__Node *n = sql_pt_node(c, PG_QUERY__NODE__NODE_BOOL_EXPR), **args;
	PgQuery__BoolExpr *b = sql_alloc(c, sizeof *b);
	int nargs = 0, and = where && where->node_case == PG_QUERY__NODE__NODE_BOOL_EXPR &&
			     where->bool_expr->boolop == PG_QUERY__BOOL_EXPR_TYPE__AND_EXPR;
	size_t nw = and? where->bool_expr->n_args : where != NULL;
	if (!n || !b || !(args = sql_alloc(c, ((size_t)npk + nw) * sizeof *args)))
		return NULL;
	/* one flat AND: the key-set rewrite reads its top-level conjuncts */
	for (size_t i = 0; i < nw; i++)
		args[nargs++] = and? where->bool_expr->args[i] : where;
	for (int i = 0; i < npk; i++) {
		const char *col = rt->table->cols[pk[i]].name;
		if (!(args[nargs++] =
			      sql_pt_op(c, "=", sql_pt_colref(c, alias, sql_pt_string(c, col)),
					sql_pt_colref(c, rt->alias, sql_pt_string(c, col)), -1)))
			return NULL;
	}
	if (nargs == 1)
		return args[0];
	pg_query__bool_expr__init(b);
	b->boolop = PG_QUERY__BOOL_EXPR_TYPE__AND_EXPR;
	b->args = args;
	b->n_args = (size_t)nargs;
	b->location = -1;
	n->bool_expr = b;
	return n;
}

/* Outer table i's key columns (pk, *npk) and whether it may stand for the
 * subquery's outer rows; NULL when not (k->why says why). */
static const sql_rte *outer_keyed(okey *k, const PgQuery__SelectStmt *s, int i, int *pk, int *npk,
				  int npk_max)
{
	sql_ctx *c = k->c;
	const sql_rte *rt = &c->q->rtes[k->t[i]];
	*npk = sql_okey_primary_key(rt->table, pk);
	if (*npk == 0 || *npk > npk_max) {
		k->why = *npk ? k->t[1] >= 0
					 ? "a table around it has a primary key of more than one "
					   "column (it reads two tables)"
					 : "the table around it has a primary key of more than one "
					   "column (two for EXISTS)"
			      : "the rows around it (a subquery's or WITH query's) have no key "
				"that stands for each";
		return NULL;
	}
	if (!outer_table_ok(c->q, k->t[i])) {
		k->why =
			c->q->grouped_written
				? "the query around it is grouped (GROUP BY or HAVING)"
				: "the table around it is null-extended by an outer join, or not a "
				  "table";
		return NULL;
	}
	if (sql_okey_from_names(c, s, rt->alias)) {
		k->why = "a FROM item of the subquery has the name of the table around it";
		return NULL;
	}
	return rt;
}

/* concat(a.pk, ',', b.pk): one value for a pair of rows of two tables,
 * each with a one-column key, a's an integer (no comma in its text, so
 * the pair's text is one pair's only). */
static PgQuery__Node *pair_key(sql_ctx *c, const sql_rte *const *rt, const int (*pk)[2],
			       const char *a, const char *b)
{
	return sql_pt_concat3(c,
			      sql_pt_colref(c, a,
					    sql_pt_string(c, rt[0]->table->cols[pk[0][0]].name)),
			      sql_pt_colref(c, b,
					    sql_pt_string(c, rt[1]->table->cols[pk[1][0]].name)));
}

/* The sublink with its subquery rewritten: each outer table (one, or two
 * each with a one-column key) copied in, its key equal to the outer
 * row's (two tables for a scalar or IN subquery: their keys as one,
 * pair_key); NULL when not taken (k->why says why) or out of memory
 * (c->err set). */
static PgQuery__SubLink *rewrite(okey *k, PgQuery__SubLink *sl, PgQuery__SelectStmt *s, int npk_max)
{
	sql_ctx *c = k->c;
	const sql_rte *rt[OKEY_TABLES_MAX];
	char name[CAT_NAME_MAX];
	int pk[OKEY_TABLES_MAX][2], npk[OKEY_TABLES_MAX], nt = k->t[1] >= 0 ? 2 : 1;
	PgQuery__SelectStmt *s2;
	PgQuery__Node *sub, **from, wrap, *cp;
	okey_copy kc = {k, {NULL, NULL}};
	PgQuery__SubLink *sl2;
	if (c->q->grouped_written)
		return sql_okey_grouped(k, sl, s);
	for (int i = 0; i < nt; i++)
		if (!(rt[i] = outer_keyed(k, s, i, pk[i], &npk[i], nt == 2 ? 1 : npk_max)))
			return NULL;
	if (nt == 2 && npk_max < 2) { /* one key: the pair's (the first an integer) */
		if (!mur_type_is_integer(rt[0]->table->cols[pk[0][0]].type)) {
			const sql_rte *r = rt[0];
			int p = pk[0][0], t = k->t[0];
			rt[0] = rt[1], pk[0][0] = pk[1][0], k->t[0] = k->t[1];
			rt[1] = r, pk[1][0] = p, k->t[1] = t;
			for (int i = 0; i < k->nrefs; i++)
				k->ref_t[i] = !k->ref_t[i];
		}
		if (!mur_type_is_integer(rt[0]->table->cols[pk[0][0]].type)) {
			k->why = "it reads two tables of the query around it, neither with an "
				 "integer key";
			return NULL;
		}
	}
	for (int i = 0; i < nt; i++) {
		snprintf(name, sizeof name, "murphy_outer%d_%d%s", c->nouter, c->nsubs,
			 i ? "_b" : "");
		if (!(kc.alias[i] = sql_strdup(c, name)))
			return NULL;
	}
	pg_query__node__init(&wrap);
	wrap.node_case = PG_QUERY__NODE__NODE_SELECT_STMT;
	wrap.select_stmt = s;
	if (!(sub = sql_pt_node(c, PG_QUERY__NODE__NODE_SELECT_STMT)) ||
	    !(cp = sql_pt_map(c, &wrap, sql_okey_renamed, &kc)) || !(s2 = cp->select_stmt) ||
	    !(from = sql_alloc(c, (s->n_from_clause + (size_t)nt) * sizeof *from)) ||
	    !(sl2 = sql_alloc(c, sizeof *sl2)))
		return NULL;
	memcpy(from, s2->from_clause, s->n_from_clause * sizeof *from);
	for (int i = 0; i < nt; i++)
		if (!(from[s->n_from_clause + (size_t)i] = sql_okey_table_again(c, rt[i]->table,
										kc.alias[i])) ||
		    (!(nt == 2 && npk_max < 2) &&
		     !(s2->where_clause = where_with_keys(c, s2->where_clause, rt[i], kc.alias[i],
							  pk[i], npk[i]))))
			return NULL;
	if (nt == 2 && npk_max < 2) {
		PgQuery__Node *eq = sql_pt_op(c, "=", pair_key(c, rt, pk, kc.alias[0], kc.alias[1]),
					      pair_key(c, rt, pk, rt[0]->alias, rt[1]->alias), -1);
		if (!eq ||
		    !(s2->where_clause = s2->where_clause ? sql_pt_bool(c, 1, s2->where_clause, eq)
							  : eq))
			return NULL;
	}
	s2->from_clause = from;
	s2->n_from_clause = s->n_from_clause + (size_t)nt;
	sub->select_stmt = s2;
	*sl2 = *sl;
	sl2->subselect = sub;
	return sl2;
}

/* Are all outer references operands of a top-level conjunct inner = outer
 * (the key-set rewrite's shape)? */
static int refs_all_keys(const okey *k, const PgQuery__SelectStmt *s)
{
	PgQuery__Node *one[1] = {s->where_clause}, **cj = one;
	int n = 1, keys = 0;
	if (!s->where_clause)
		return 0;
	if (s->where_clause->node_case == PG_QUERY__NODE__NODE_BOOL_EXPR &&
	    s->where_clause->bool_expr->boolop == PG_QUERY__BOOL_EXPR_TYPE__AND_EXPR) {
		cj = s->where_clause->bool_expr->args;
		n = (int)s->where_clause->bool_expr->n_args;
	}
	for (int i = 0; i < n; i++) {
		const PgQuery__AExpr *a = cj[i]->node_case == PG_QUERY__NODE__NODE_A_EXPR
						  ? cj[i]->a_expr
						  : NULL;
		const char *op = a && a->n_name == 1 ? sql_node_str(a->name[0]) : NULL;
		if (!op || strcmp(op, "=") || a->kind != PG_QUERY__A__EXPR__KIND__AEXPR_OP ||
		    !a->lexpr || !a->rexpr ||
		    a->lexpr->node_case != PG_QUERY__NODE__NODE_COLUMN_REF ||
		    a->rexpr->node_case != PG_QUERY__NODE__NODE_COLUMN_REF)
			continue;
		int l = is_ref(k, &a->lexpr->column_ref->base),
		    r = is_ref(k, &a->rexpr->column_ref->base);
		keys += !l != !r; /* one side outer, the other the subquery's */
	}
	return keys == k->nrefs;
}

sql_expr *sql_outerkey_semijoin(sql_ctx *c, PgQuery__SubLink *sl, sql_sub_kind kind, int all,
				int after_keys)
{
	okey k = {.c = c, .t = {-1, -1}};
	PgQuery__SelectStmt *s = sl->subselect && sl->subselect->node_case ==
							  PG_QUERY__NODE__NODE_SELECT_STMT
					 ? sl->subselect->select_stmt
					 : NULL;
	PgQuery__SubLink *sl2;
	sql_expr *e;
	int nsubs = c->nsubs;
	c->corr_why = NULL;
	if (!s || !c->q || s->op != PG_QUERY__SET_OPERATION__SETOP_NONE) {
		c->corr_why = s ? "it is a set operation (UNION, INTERSECT, EXCEPT)" : NULL;
		return NULL;
	}
	sql_pt_walk(&s->base, visit, &k);
	if (k.unsure || k.nrefs == 0 || (!after_keys && refs_all_keys(&k, s))) {
		c->corr_why = k.unsure ? k.why : NULL;
		return NULL; /* not correlated, unsure, or the key-set rewrite's */
	}
	if (!(sl2 = rewrite(&k, sl, s, kind == SQL_SUB_EXISTS ? 2 : 1))) {
		c->corr_why = k.why;
		return NULL; /* on OOM sql_alloc has set c->err */
	}
	e = kind == SQL_SUB_EXISTS   ? sql_exists_semijoin(c, sl2)
	    : kind == SQL_SUB_SCALAR ? sql_scalar_semijoin(c, sl2)
				     : sql_in_semijoin(c, sl2, all);
	if (!e && !mur_error_is_set(c->err))
		c->corr_why =
			"the subquery has GROUP BY, HAVING, LIMIT, OFFSET, DISTINCT, a window "
			"or WITH, or EXISTS / IN over an aggregate";
	for (int i = nsubs; e && i < c->nsubs; i++)
		if (c->subs[i].semijoin)
			c->subs[i].semijoin = c->q->grouped_written ? SQL_SEMIJOIN_GROUP_KEY
								    : SQL_SEMIJOIN_OUTER_KEY;
	return e;
}
