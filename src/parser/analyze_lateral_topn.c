/*
 * analyze_lateral_topn.c — a LATERAL subquery with ORDER BY / LIMIT /
 * OFFSET, with aggregates, or joined by LEFT JOIN LATERAL, rewritten
 * into an uncorrelated subquery in FROM joined by its correlation keys
 * (a parse-tree rewrite; the plain comma form: analyze_lateral.c):
 *
 *   FROM o, LATERAL (SELECT v FROM f WHERE f.oid = o.id AND p
 *                    ORDER BY v DESC LIMIT 3) s
 *     ==> FROM o, (SELECT v, f.oid AS _lat_k0, row_number() OVER
 *                  (PARTITION BY f.oid ORDER BY v DESC) AS _lat_rn
 *                  FROM f WHERE p) s
 *         WHERE s._lat_k0 = o.id AND s._lat_rn <= 3      (top-N per group)
 *
 *   FROM o LEFT JOIN LATERAL (SELECT count(*) AS n, max(v) AS m FROM f
 *                             WHERE f.oid = o.id) s ON true
 *     ==> FROM o LEFT JOIN (SELECT count(*) AS n, max(v) AS m,
 *                           f.oid AS _lat_k0 FROM f GROUP BY f.oid) s
 *         ON s._lat_k0 = o.id                  (s.n read as COALESCE(s.n, 0))
 *
 * For each o row the subquery's rows are exactly f's rows of its key
 * (numbered within the key in the subquery's order, so OFFSET k LIMIT n
 * is rn > k AND rn <= k + n), and an aggregate without GROUP BY is one
 * row for every o row: its group, or over no row, where count is 0 and
 * every other aggregate NULL (hence the LEFT JOIN and the COALESCE, and
 * a LEFT JOIN LATERAL of aggregates only ON true).  A LEFT JOIN LATERAL
 * that only filters and projects is the same LEFT JOIN without the
 * window; its subquery is then a plain per-shard one, merged into the
 * query (analyze_from_subq.c), so co-located tables join on the shards.
 * A subquery with a window or aggregate is gathered; the query's tables
 * are then read as `(SELECT * FROM t) t` so that the query runs on the
 * leader over gathered rows (a gathered subquery joined with a
 * distributed table is not planned yet), each with the query's WHERE
 * conjuncts that read only it; `*` and `s.*` are expanded so the key and
 * row number columns stay hidden.  With one outer table, `o.id = 5` (or
 * `$1`) in the query's WHERE on a key's outer column adds `inner = 5` to
 * the subquery: one key read, one shard when it is the distribution
 * column.
 *
 * Taken only when sure: FROM is plain tables and the one LATERAL (by a
 * comma, or as the right side of [LEFT] JOIN with a table on the left;
 * the aggregate comma form only after exactly one table); the subquery
 * reads plain tables named apart from the query's, no subquery, DISTINCT,
 * GROUP BY, HAVING, WITH, window or WITH TIES; LIMIT / OFFSET integer
 * constants; its WHERE an AND of conditions on its own tables and of
 * `inner expression = outer expression` (the keys, at least one); its
 * ORDER BY reads no outer column; a select list item that reads outer
 * columns (or, in the aggregate form, is not a bare aggregate call) is
 * computed in the query (lift_items), unless an aggregate in it reads an
 * outer column or, in the aggregate form, a column is outside any
 * aggregate.  Otherwise the LATERAL stays 0A000.
 */
#include "parser/analyze_subq_int.h"

#include <stdio.h>
#include <string.h>

#define TOPN_MAX 64 /* select list items, keys, FROM items */

typedef struct topn {
	sql_ctx *c;
	PgQuery__SelectStmt *s;      /* the query around it */
	int at;                      /* its FROM item */
	PgQuery__JoinExpr *join;     /* when the LATERAL is a join's right side */
	PgQuery__RangeSubselect *rs; /* the LATERAL item */
	PgQuery__SelectStmt *sub;    /* its subquery */
	const char *alias;           /* its name */
	int agg;                     /* aggregates (no GROUP BY): one row per outer row */
	int ncols;
	const char *names[TOPN_MAX]; /* its columns */
	int is_count[TOPN_MAX];      /* count(): 0 over no row */
	int bare[TOPN_MAX];          /* a bare aggregate call */
	/* column i read by the query as this expression over outer columns
	 * and hidden columns (lift_items), or NULL: alias.name */
	PgQuery__Node *lifted[TOPN_MAX];
	int nhid;
	const char *hid_name[TOPN_MAX]; /* the hidden columns lifted ones read */
	PgQuery__Node *hid_val[TOPN_MAX];
	int nkeys;
	PgQuery__Node *inner[TOPN_MAX]; /* key i: inner expression */
	PgQuery__Node *outer[TOPN_MAX]; /* = outer expression */
	int nkeep;
	PgQuery__Node *keep[TOPN_MAX]; /* the subquery's own conditions */
	int unsure;
} topn;

static PgQuery__Node *wrap(sql_ctx *c, PgQuery__Node__NodeCase kind, void *msg)
{
	PgQuery__Node *n = msg ? sql_pt_node(c, kind) : NULL;
	if (n)
		n->select_stmt = msg; /* the oneof's members share one pointer */
	return n;
}

static const char *rv_name(const PgQuery__Node *n)
{
	const PgQuery__RangeVar *rv = n->range_var;
	return rv->alias && rv->alias->aliasname ? rv->alias->aliasname : rv->relname;
}

static int is_table(const PgQuery__Node *n)
{
	return n && n->node_case == PG_QUERY__NODE__NODE_RANGE_VAR;
}

static int is_lateral(const PgQuery__Node *n)
{
	return n && n->node_case == PG_QUERY__NODE__NODE_RANGE_SUBSELECT &&
	       n->range_subselect->lateral;
}

static int has_sublink(const ProtobufCMessage *m, const void *arg)
{
	(void)arg;
	return m->descriptor == &pg_query__sub_link__descriptor ||
	       m->descriptor == &pg_query__range_subselect__descriptor;
}

static int is_true(const PgQuery__Node *n)
{
	return !n || (n->node_case == PG_QUERY__NODE__NODE_A_CONST && !n->a_const->isnull &&
		      n->a_const->val_case == PG_QUERY__A__CONST__VAL_BOOLVAL &&
		      n->a_const->boolval->boolval);
}

/* An integer constant's value, -1 for none or another node. */
static long int_const(const PgQuery__Node *n)
{
	if (!n || n->node_case != PG_QUERY__NODE__NODE_A_CONST || n->a_const->isnull ||
	    n->a_const->val_case != PG_QUERY__A__CONST__VAL_IVAL)
		return -1;
	return n->a_const->ival ? n->a_const->ival->ival : 0;
}

static int is_window(const ProtobufCMessage *m, const void *arg)
{
	(void)arg;
	return m->descriptor == &pg_query__func_call__descriptor &&
	       ((const PgQuery__FuncCall *)m)->over;
}

static int is_count(const PgQuery__FuncCall *f)
{
	return f->n_funcname &&
	       !strcmp(sql_node_str(f->funcname[f->n_funcname - 1]) ?: "", "count");
}

/* The one LATERAL item and the shape of the FROM around it. */
static int find(topn *t)
{
	PgQuery__SelectStmt *s = t->s;
	t->at = -1;
	if (s->n_from_clause < 1 || s->n_from_clause > TOPN_MAX || s->with_clause ||
	    s->op != PG_QUERY__SET_OPERATION__SETOP_NONE || s->n_locking_clause)
		return 0;
	for (size_t i = 0; i < s->n_from_clause; i++) {
		PgQuery__Node *n = s->from_clause[i];
		PgQuery__JoinExpr *j = n->node_case == PG_QUERY__NODE__NODE_JOIN_EXPR ? n->join_expr
										      : NULL;
		if (is_lateral(n) && t->at < 0) {
			t->at = (int)i;
			t->rs = n->range_subselect;
		} else if (j && t->at < 0 && is_table(j->larg) && is_lateral(j->rarg) &&
			   !j->is_natural && !j->n_using_clause && !j->alias &&
			   (j->jointype == PG_QUERY__JOIN_TYPE__JOIN_INNER ||
			    j->jointype == PG_QUERY__JOIN_TYPE__JOIN_LEFT)) {
			t->at = (int)i;
			t->join = j;
			t->rs = j->rarg->range_subselect;
		} else if (!is_table(n)) {
			return 0;
		}
	}
	return t->at >= 0 && (t->join || s->n_from_clause > 1);
}

/* Is n the name of a table of list v (or of v's JoinExpr's left side)? */
static int names_table(PgQuery__Node **v, size_t n, const char *name, int skip)
{
	for (size_t i = 0; i < n; i++) {
		PgQuery__Node *f = v[i];
		if ((int)i == skip)
			continue;
		if (f->node_case == PG_QUERY__NODE__NODE_JOIN_EXPR)
			f = f->join_expr->larg;
		if (is_table(f) && !strcmp(rv_name(f), name))
			return 1;
	}
	return 0;
}

/* The subquery's shape (before its WHERE). */
static int sub_shape(topn *t)
{
	PgQuery__RangeSubselect *rs = t->rs;
	PgQuery__SelectStmt *sub;
	if (!rs->alias || !rs->alias->aliasname || rs->alias->n_colnames || !rs->subquery ||
	    rs->subquery->node_case != PG_QUERY__NODE__NODE_SELECT_STMT)
		return 0;
	sub = t->sub = rs->subquery->select_stmt;
	t->alias = rs->alias->aliasname;
	if (sub->op != PG_QUERY__SET_OPERATION__SETOP_NONE || sub->n_group_clause ||
	    sub->having_clause || sub->n_distinct_clause || sub->n_window_clause ||
	    sub->with_clause || sub->n_locking_clause || sub->into_clause || sub->n_values_lists ||
	    sub->n_from_clause == 0 || sub->n_from_clause > TOPN_MAX || sub->n_target_list == 0 ||
	    sub->n_target_list > TOPN_MAX ||
	    sub->limit_option == PG_QUERY__LIMIT_OPTION__LIMIT_OPTION_WITH_TIES ||
	    (sub->limit_count && int_const(sub->limit_count) < 0) ||
	    (sub->limit_offset && int_const(sub->limit_offset) < 0) ||
	    sql_tree_any(&sub->base, has_sublink, NULL))
		return 0;
	for (size_t i = 0; i < sub->n_from_clause; i++)
		if (!is_table(sub->from_clause[i]) ||
		    names_table(t->s->from_clause, t->s->n_from_clause,
				rv_name(sub->from_clause[i]), t->join ? -1 : t->at) ||
		    !strcmp(rv_name(sub->from_clause[i]), t->alias))
			return 0;
	for (size_t i = 0; i < sub->n_target_list; i++) {
		PgQuery__ResTarget *rt = sub->target_list[i]->res_target;
		const char *name = rt->name && *rt->name ? rt->name : sql_colname(rt->val);
		int agg = rt->val && sql_tree_has_aggregate(rt->val);
		PgQuery__FuncCall *f = rt->val && rt->val->node_case ==
							       PG_QUERY__NODE__NODE_FUNC_CALL
					       ? rt->val->func_call
					       : NULL;
		if (!rt->val || !name || !strncmp(name, "_lat_", 5) ||
		    (rt->val->node_case == PG_QUERY__NODE__NODE_COLUMN_REF &&
		     rt->val->column_ref->fields[rt->val->column_ref->n_fields - 1]->node_case ==
			     PG_QUERY__NODE__NODE_A_STAR) ||
		    sql_tree_any(&rt->val->base, is_window, NULL))
			return 0;
		t->agg |= agg;
		t->bare[i] = agg && f && !f->over;
		for (size_t a = 0; t->bare[i] && a < f->n_args; a++)
			if (sql_tree_has_aggregate(f->args[a]))
				t->bare[i] = 0; /* nested: PostgreSQL's 42803 */
		t->is_count[i] = t->bare[i] && is_count(f);
		for (int k = 0; k < t->ncols; k++)
			if (!strcmp(t->names[k], name))
				return 0; /* two columns of one name */
		t->names[t->ncols++] = name;
	}
	if (t->agg && (sub->n_sort_clause || sub->limit_count || sub->limit_offset))
		return 0;
	if (int_const(sub->limit_offset) + int_const(sub->limit_count) > 2147483645L)
		return 0; /* rn <= OFFSET + LIMIT past an int */
	if (t->agg && (t->join ? !is_true(t->join->quals) : t->s->n_from_clause != 2 || t->at != 1))
		return 0;
	/* a plain comma LATERAL is analyze_lateral.c's */
	return t->agg || t->join || sub->limit_count || sub->limit_offset;
}

/* Column reference side: 1 the subquery's tables, 2 outer, 0 unsure. */
static int ref_side(topn *t, const PgQuery__ColumnRef *r)
{
	const char *col = sql_node_str(r->fields[r->n_fields - 1]);
	int found = 0;
	if (r->n_fields == 2) {
		const char *tbl = sql_node_str(r->fields[0]);
		return tbl && names_table(t->sub->from_clause, t->sub->n_from_clause, tbl, -1) ? 1
											       : 2;
	}
	if (r->n_fields != 1 || !col)
		return 0;
	for (size_t i = 0; i < t->sub->n_from_clause; i++) {
		int has = sql_subq_from_has(t->c, t->sub->from_clause[i], NULL, col);
		if (has < 0)
			return 0;
		found |= has;
	}
	if (found)
		return 1;
	for (int i = 0; i < t->ncols; i++)
		if (!strcmp(t->names[i], col))
			return 0; /* the outer name would read the subquery's column */
	return 2;
}

typedef struct sides {
	topn *t;
	int mask; /* 1 inner, 2 outer, 4 unsure */
} sides;

static PgQuery__Node *side_of(void *arg, PgQuery__Node *n)
{
	sides *sd = arg;
	int side = ref_side(sd->t, n->column_ref);
	sd->mask |= side ? side : 4;
	return n;
}

static int sides_of(topn *t, PgQuery__Node *n)
{
	sides sd = {t, 0};
	if (n && !sql_pt_map(t->c, n, side_of, &sd))
		return 4;
	return sd.mask;
}

/* A column reference of the outer side of a key: in the join form only
 * the join's left table is in scope (PostgreSQL's 42P01 otherwise). */
static PgQuery__Node *of_left(void *arg, PgQuery__Node *n)
{
	topn *t = arg;
	const PgQuery__ColumnRef *r = n->column_ref;
	const char *tbl = r->n_fields == 2 ? sql_node_str(r->fields[0]) : NULL;
	const char *col = sql_node_str(r->fields[r->n_fields - 1]);
	if (tbl ? strcmp(tbl, rv_name(t->join->larg)) != 0
		: !col || sql_subq_from_has(t->c, t->join->larg, NULL, col) <= 0)
		t->unsure = 1;
	return n;
}

/* One conjunct of the subquery's WHERE: its own, or a key. */
static int conjunct(topn *t, PgQuery__Node *n)
{
	int m = sides_of(t, n), l, r;
	PgQuery__AExpr *e;
	if (m & 4)
		return 0;
	if (!(m & 2)) {
		if (t->nkeep >= TOPN_MAX)
			return 0;
		t->keep[t->nkeep++] = n;
		return 1;
	}
	if (n->node_case == PG_QUERY__NODE__NODE_BOOL_EXPR &&
	    n->bool_expr->boolop == PG_QUERY__BOOL_EXPR_TYPE__AND_EXPR) {
		for (size_t i = 0; i < n->bool_expr->n_args; i++)
			if (!conjunct(t, n->bool_expr->args[i]))
				return 0;
		return 1;
	}
	if (n->node_case != PG_QUERY__NODE__NODE_A_EXPR || t->nkeys >= TOPN_MAX)
		return 0;
	e = n->a_expr;
	if (e->kind != PG_QUERY__A__EXPR__KIND__AEXPR_OP || e->n_name != 1 ||
	    strcmp(sql_node_str(e->name[0]) ?: "", "=") || !e->lexpr || !e->rexpr)
		return 0;
	l = sides_of(t, e->lexpr);
	r = sides_of(t, e->rexpr);
	if (l == 1 && r == 2) {
		t->inner[t->nkeys] = e->lexpr;
		t->outer[t->nkeys++] = e->rexpr;
	} else if (l == 2 && r == 1) {
		t->inner[t->nkeys] = e->rexpr;
		t->outer[t->nkeys++] = e->lexpr;
	} else {
		return 0;
	}
	if (t->join && !sql_pt_map(t->c, t->outer[t->nkeys - 1], of_left, t))
		return 0;
	return !t->unsure;
}

static PgQuery__Node *res_target(sql_ctx *c, PgQuery__Node *val, const char *name, int loc)
{
	PgQuery__ResTarget *rt = val ? sql_alloc(c, sizeof *rt) : NULL;
	if (!rt)
		return NULL; /* no value: a failed copy or out of memory */
	pg_query__res_target__init(rt);
	rt->val = val;
	rt->name = (char *)name;
	rt->location = loc;
	return wrap(c, PG_QUERY__NODE__NODE_RES_TARGET, rt);
}

static PgQuery__Node *int_node(sql_ctx *c, long v)
{
	PgQuery__AConst *k = sql_alloc(c, sizeof *k);
	PgQuery__Integer *i = sql_alloc(c, sizeof *i);
	if (!k || !i)
		return NULL;
	pg_query__a__const__init(k);
	pg_query__integer__init(i);
	i->ival = (int32_t)v;
	k->val_case = PG_QUERY__A__CONST__VAL_IVAL;
	k->ival = i;
	k->location = -1;
	return wrap(c, PG_QUERY__NODE__NODE_A_CONST, k);
}

static PgQuery__Node *col(sql_ctx *c, const char *tbl, const char *name)
{
	return sql_pt_colref(c, tbl, sql_pt_string(c, name));
}

static const char *key_name(topn *t, int i)
{
	char *s = sql_alloc(t->c, 16);
	if (s)
		snprintf(s, 16, "_lat_k%d", i);
	return s;
}

/* COALESCE(n, 0): a count over no row. */
static PgQuery__Node *coalesce0(topn *t, PgQuery__Node *n)
{
	PgQuery__CoalesceExpr *ce = sql_alloc(t->c, sizeof *ce);
	if (!n || !ce || !(ce->args = sql_alloc(t->c, 2 * sizeof *ce->args)))
		return NULL;
	pg_query__coalesce_expr__init(ce);
	if (!(ce->args = sql_alloc(t->c, 2 * sizeof *ce->args)) ||
	    !(ce->args[1] = int_node(t->c, 0)))
		return NULL;
	ce->args[0] = n;
	ce->n_args = 2;
	ce->location = -1;
	return wrap(t->c, PG_QUERY__NODE__NODE_COALESCE_EXPR, ce);
}

/* CASE WHEN alias._lat_k0 IS NOT NULL THEN e END: e on a row the LEFT
 * JOIN matched, NULL on a null-extended one (as the subquery's column). */
static PgQuery__Node *if_matched(topn *t, PgQuery__Node *e)
{
	PgQuery__CaseExpr *ce = sql_alloc(t->c, sizeof *ce);
	PgQuery__CaseWhen *w = sql_alloc(t->c, sizeof *w);
	PgQuery__NullTest *nt = sql_alloc(t->c, sizeof *nt);
	PgQuery__Node **args = sql_alloc(t->c, sizeof *args);
	if (!e || !ce || !w || !nt || !args)
		return NULL;
	pg_query__case_expr__init(ce);
	pg_query__case_when__init(w);
	pg_query__null_test__init(nt);
	nt->arg = col(t->c, t->alias, key_name(t, 0));
	nt->nulltesttype = PG_QUERY__NULL_TEST_TYPE__IS_NOT_NULL;
	nt->location = -1;
	if (!nt->arg || !(w->expr = wrap(t->c, PG_QUERY__NODE__NODE_NULL_TEST, nt)))
		return NULL;
	w->result = e;
	w->location = -1;
	if (!(args[0] = wrap(t->c, PG_QUERY__NODE__NODE_CASE_WHEN, w)))
		return NULL;
	ce->args = args;
	ce->n_args = 1;
	ce->location = -1;
	return wrap(t->c, PG_QUERY__NODE__NODE_CASE_EXPR, ce);
}

/* ---- select list items that read outer columns, lifted ----
 *
 * An item that reads the query's columns cannot be computed inside the
 * uncorrelated subquery; it is computed in the query instead, over the
 * outer columns it names and hidden columns of the subquery holding what
 * it reads of the subquery's tables (an inner column, or in the aggregate
 * form an aggregate call over them):
 *
 *   LATERAL (SELECT o.a + f.v AS w FROM f WHERE f.oid = o.id ...) s
 *     ==> (SELECT f.v AS _lat_c0, f.oid AS _lat_k0 ... ) s, w read as o.a + s._lat_c0
 *   LATERAL (SELECT o.a + sum(f.v) AS w FROM f WHERE f.oid = o.id) s
 *     ==> (SELECT sum(f.v) AS _lat_c0, f.oid AS _lat_k0 ... GROUP BY f.oid) s,
 *         w read as o.a + s._lat_c0 (count: COALESCE(s._lat_c0, 0))
 *
 * On a LEFT JOIN's null-extended row the item is NULL, as the
 * subquery's column (if_matched); the aggregate form has a row for every
 * outer row, its expression computed over the aggregates over no row.
 * An outer column must be one PostgreSQL lets the LATERAL see: of the
 * FROM items before it, of the join's left table in the join form. */

/* Is outer column r in the LATERAL's scope (one table of it has it)? */
static int in_scope(topn *t, const PgQuery__ColumnRef *r)
{
	const char *tbl = r->n_fields == 2 ? sql_node_str(r->fields[0]) : NULL;
	const char *c = sql_node_str(r->fields[r->n_fields - 1]);
	int found = 0, n = t->join ? 1 : t->at;
	for (int i = 0; c && i < n; i++) {
		PgQuery__Node *f = t->join ? t->join->larg : t->s->from_clause[i];
		if (!is_table(f))
			return 0;
		found += tbl ? !strcmp(tbl, rv_name(f)) : sql_subq_from_has(t->c, f, NULL, c) > 0;
	}
	return found == 1;
}

/* A hidden column of the subquery holding val: read as alias.name. */
static PgQuery__Node *hidden(topn *t, PgQuery__Node *val, int count)
{
	char *name = sql_alloc(t->c, 24);
	if (!name || t->nhid >= TOPN_MAX) {
		t->unsure = 1;
		return NULL;
	}
	snprintf(name, 24, "_lat_c%d", t->nhid);
	t->hid_name[t->nhid] = name;
	t->hid_val[t->nhid++] = val;
	return count ? coalesce0(t, col(t->c, t->alias, name)) : col(t->c, t->alias, name);
}

static PgQuery__Node *lift_col(void *arg, PgQuery__Node *n)
{
	topn *t = arg;
	int side = ref_side(t, n->column_ref);
	if (side == 2 && in_scope(t, n->column_ref))
		return n; /* the query's own column */
	if (side != 1 || t->agg) {
		t->unsure = 1; /* unsure, or a column outside an aggregate (42803) */
		return NULL;
	}
	return hidden(t, n, 0);
}

/* An aggregate call (one whose arguments hold none: nested ones are
 * PostgreSQL's 42803) over the subquery's columns only: a hidden column. */
static PgQuery__Node *lift_call(void *arg, PgQuery__Node *n)
{
	topn *t = arg;
	PgQuery__FuncCall *f = n->func_call;
	if (!sql_tree_has_aggregate(n))
		return n; /* a function of the row: its arguments are looked into */
	for (size_t a = 0; a < f->n_args; a++)
		if (sql_tree_has_aggregate(f->args[a]))
			return n; /* not an aggregate itself */
	if (f->over || (sides_of(t, n) & 6)) {
		t->unsure = 1; /* an aggregate of the query's columns: the query's own */
		return NULL;
	}
	return hidden(t, n, is_count(f));
}

/* Each item that reads an outer column (or, in the aggregate form, is
 * not a bare aggregate call) lifted; 0 when one cannot be. */
static int lift_items(topn *t)
{
	for (int i = 0; i < t->ncols; i++) {
		PgQuery__Node *v = t->sub->target_list[i]->res_target->val;
		int m = sides_of(t, v);
		if (m & 4)
			return 0;
		if (t->agg ? t->bare[i] && !(m & 2) : !(m & 2))
			continue; /* computed in the subquery */
		if (sql_tree_any(&v->base, sql_pt_volatile_call, NULL))
			return 0; /* each reference would draw its own value */
		if (!(t->lifted[i] = sql_pt_map_calls(t->c, v, lift_col, t->agg ? lift_call : NULL,
						      t)) ||
		    t->unsure)
			return 0;
		if (t->join && t->join->jointype == PG_QUERY__JOIN_TYPE__JOIN_LEFT && !t->agg &&
		    !(t->lifted[i] = if_matched(t, t->lifted[i])))
			return 0;
	}
	return 1;
}

/* row_number() OVER (PARTITION BY keys ORDER BY the subquery's order),
 * an ORDER BY name or position of the select list read as its item. */
static PgQuery__Node *row_number(topn *t)
{
	PgQuery__FuncCall *f = sql_alloc(t->c, sizeof *f);
	PgQuery__WindowDef *w = sql_alloc(t->c, sizeof *w);
	PgQuery__Node **order = sql_alloc(t->c, (t->sub->n_sort_clause + 1) * sizeof *order);
	if (!f || !w || !order || !(f->funcname = sql_alloc(t->c, sizeof *f->funcname)))
		return NULL;
	pg_query__func_call__init(f);
	pg_query__window_def__init(w);
	if (!(f->funcname = sql_alloc(t->c, sizeof *f->funcname)) ||
	    !(f->funcname[0] = sql_pt_string(t->c, "row_number")))
		return NULL;
	f->n_funcname = 1;
	f->location = -1;
	w->partition_clause = t->inner;
	w->n_partition_clause = (size_t)t->nkeys;
	w->frame_options = SQL_FRAME_RANGE | SQL_FRAME_START_UNBOUNDED_PRECEDING |
			   SQL_FRAME_END_CURRENT_ROW;
	w->location = -1;
	for (size_t i = 0; i < t->sub->n_sort_clause; i++) {
		PgQuery__SortBy *sb = t->sub->sort_clause[i]->sort_by, *copy;
		PgQuery__Node *e = sb->node;
		long pos = int_const(e);
		const char *name = e->node_case == PG_QUERY__NODE__NODE_COLUMN_REF &&
						   e->column_ref->n_fields == 1
					   ? sql_node_str(e->column_ref->fields[0])
					   : NULL;
		if (pos > 0 && pos <= (long)t->sub->n_target_list)
			e = t->sub->target_list[pos - 1]->res_target->val;
		else if (pos >= 0)
			return NULL;
		for (int k = 0; name && k < t->ncols; k++)
			if (!strcmp(t->names[k], name))
				e = t->sub->target_list[k]->res_target->val;
		if (sides_of(t, e) & 6)
			return NULL; /* reads an outer column */
		if (!(copy = sql_alloc(t->c, sizeof *copy)))
			return NULL;
		*copy = *sb;
		copy->node = e;
		if (!(order[i] = wrap(t->c, PG_QUERY__NODE__NODE_SORT_BY, copy)))
			return NULL;
	}
	w->order_clause = order;
	w->n_order_clause = t->sub->n_sort_clause;
	f->over = w;
	return wrap(t->c, PG_QUERY__NODE__NODE_FUNC_CALL, f);
}

/* The uncorrelated subquery: its select list, the keys, the row number;
 * its own conditions; grouped by the keys when it aggregates. */
static PgQuery__Node *derived(topn *t, int numbered)
{
	PgQuery__SelectStmt *d = sql_alloc(t->c, sizeof *d);
	size_t n = 0, cap = t->sub->n_target_list + (size_t)t->nkeys + (size_t)t->nhid + 1;
	PgQuery__Node **tl = sql_alloc(t->c, cap * sizeof *tl), *w = NULL, *rn;
	if (!d || !tl)
		return NULL;
	*d = *t->sub;
	for (size_t i = 0; i < t->sub->n_target_list; i++) {
		if (t->lifted[i])
			continue; /* computed in the query */
		if (sides_of(t, t->sub->target_list[i]->res_target->val) & 6)
			return NULL; /* reads an outer column */
		if (!(tl[n++] = res_target(t->c, t->sub->target_list[i]->res_target->val,
					   t->names[i], -1)))
			return NULL;
	}
	for (int k = 0; k < t->nkeys; k++)
		if (!(tl[n++] = res_target(t->c, t->inner[k], key_name(t, k), -1)))
			return NULL;
	for (int h = 0; h < t->nhid; h++)
		if (!(tl[n++] = res_target(t->c, t->hid_val[h], t->hid_name[h], -1)))
			return NULL;
	if (numbered && (!(rn = row_number(t)) || !(tl[n++] = res_target(t->c, rn, "_lat_rn", -1))))
		return NULL;
	for (int k = 0; k < t->nkeep; k++)
		w = w ? sql_pt_bool(t->c, 1, w, t->keep[k]) : t->keep[k];
	d->target_list = tl;
	d->n_target_list = n;
	d->where_clause = w;
	d->sort_clause = NULL;
	d->n_sort_clause = 0;
	d->limit_count = d->limit_offset = NULL;
	d->limit_option = PG_QUERY__LIMIT_OPTION__LIMIT_OPTION_DEFAULT;
	if (t->agg) {
		d->group_clause = t->inner;
		d->n_group_clause = (size_t)t->nkeys;
	}
	return wrap(t->c, PG_QUERY__NODE__NODE_SELECT_STMT, d);
}

/* The join condition: keys equal, the row number in OFFSET / LIMIT. */
static PgQuery__Node *join_cond(topn *t, int numbered)
{
	PgQuery__Node *cond = NULL, *e;
	long off = t->sub->limit_offset ? int_const(t->sub->limit_offset) : 0;
	for (int k = 0; k < t->nkeys; k++) {
		e = sql_pt_op(t->c, "=", col(t->c, t->alias, key_name(t, k)), t->outer[k], -1);
		cond = cond ? sql_pt_bool(t->c, 1, cond, e) : e;
	}
	if (numbered && off > 0)
		cond = sql_pt_bool(t->c, 1, cond,
				   sql_pt_op(t->c, ">", col(t->c, t->alias, "_lat_rn"),
					     int_node(t->c, off), -1));
	if (numbered && t->sub->limit_count)
		cond = sql_pt_bool(t->c, 1, cond,
				   sql_pt_op(t->c, "<=", col(t->c, t->alias, "_lat_rn"),
					     int_node(t->c, off + int_const(t->sub->limit_count)),
					     -1));
	return cond;
}

/* Does every column reference of the tree name table tbl (qualified)? */
typedef struct only_of {
	const char *tbl;
	int other, refs;
} only_of;

static PgQuery__Node *ref_of(void *arg, PgQuery__Node *n)
{
	only_of *o = arg;
	const PgQuery__ColumnRef *r = n->column_ref;
	const char *tbl = r->n_fields == 2 ? sql_node_str(r->fields[0]) : NULL;
	if (!tbl || strcmp(tbl, o->tbl) || r->fields[1]->node_case == PG_QUERY__NODE__NODE_A_STAR)
		o->other = 1;
	o->refs++;
	return n;
}

static int is_call(const ProtobufCMessage *m, const void *arg)
{
	(void)arg;
	return m->descriptor == &pg_query__func_call__descriptor;
}

/* Reads tbl's columns and nothing else, and calls no function (a
 * volatile one would be evaluated twice). */
static int reads_only(topn *t, PgQuery__Node *n, const char *tbl)
{
	only_of o = {tbl, 0, 0};
	return sql_pt_map(t->c, n, ref_of, &o) && !o.other && o.refs &&
	       !sql_tree_any((const ProtobufCMessage *)n, is_call, NULL);
}

/* The query's WHERE conjunct i (an AND tree walked in order). */
static int conjuncts(PgQuery__Node *n, PgQuery__Node **v, int max, int k)
{
	if (n && n->node_case == PG_QUERY__NODE__NODE_BOOL_EXPR &&
	    n->bool_expr->boolop == PG_QUERY__BOOL_EXPR_TYPE__AND_EXPR) {
		for (size_t i = 0; i < n->bool_expr->n_args; i++)
			k = conjuncts(n->bool_expr->args[i], v, max, k);
		return k;
	}
	if (n && k < max)
		v[k++] = n;
	return k;
}

/* The conjuncts of the query's WHERE that read only table tbl (by
 * qualified names): the same filter on its gathered rows (kept in the
 * query too; tbl is never the nullable side). */
static PgQuery__Node *own_conds(topn *t, const char *tbl)
{
	PgQuery__Node *v[TOPN_MAX], *w = NULL;
	int n = conjuncts(t->s->where_clause, v, TOPN_MAX, 0);
	for (int i = 0; i < n; i++)
		if (reads_only(t, v[i], tbl))
			w = w ? sql_pt_bool(t->c, 1, w, v[i]) : v[i];
	return w;
}

/* A key whose outer side is a column the query's WHERE sets to a
 * constant or parameter (o.id = 5): the subquery reads that key only
 * (inner = 5; the join on the key keeps the same rows, and a partition
 * or group is filtered whole). */
static void keys_fixed(topn *t)
{
	PgQuery__Node *v[TOPN_MAX];
	int n = conjuncts(t->s->where_clause, v, TOPN_MAX, 0), nkeys = t->nkeys;
	for (int i = 0; i < n; i++) {
		PgQuery__AExpr *e = v[i]->node_case == PG_QUERY__NODE__NODE_A_EXPR ? v[i]->a_expr
										   : NULL;
		PgQuery__Node *colref, *k;
		if (!e || e->kind != PG_QUERY__A__EXPR__KIND__AEXPR_OP || e->n_name != 1 ||
		    strcmp(sql_node_str(e->name[0]) ?: "", "=") || !e->lexpr || !e->rexpr)
			continue;
		colref = e->lexpr->node_case == PG_QUERY__NODE__NODE_COLUMN_REF ? e->lexpr
										: e->rexpr;
		k = colref == e->lexpr ? e->rexpr : e->lexpr;
		if (colref->node_case != PG_QUERY__NODE__NODE_COLUMN_REF ||
		    colref->column_ref->n_fields != 2 ||
		    (k->node_case != PG_QUERY__NODE__NODE_A_CONST &&
		     k->node_case != PG_QUERY__NODE__NODE_PARAM_REF))
			continue;
		for (int j = 0; j < nkeys && t->nkeep < TOPN_MAX; j++) {
			PgQuery__ColumnRef *o = t->outer[j]->node_case ==
								PG_QUERY__NODE__NODE_COLUMN_REF
							? t->outer[j]->column_ref
							: NULL;
			const char *a = sql_node_str(colref->column_ref->fields[0]),
				   *b = sql_node_str(colref->column_ref->fields[1]);
			if (o && o->n_fields == 2 && a && b &&
			    !strcmp(sql_node_str(o->fields[0]) ?: "", a) &&
			    !strcmp(sql_node_str(o->fields[1]) ?: "", b) &&
			    t->s->n_from_clause == 1 + !t->join && (t->join || t->at == 1) &&
			    !strcmp(a, rv_name(t->join ? t->join->larg : t->s->from_clause[0])))
				t->keep[t->nkeep++] = sql_pt_op(t->c, "=", t->inner[j], k, -1);
		}
	}
}

/* (SELECT * FROM tbl WHERE its own conditions) tbl: read as a gathered
 * subquery. */
static PgQuery__Node *gathered(topn *t, PgQuery__Node *tbl)
{
	PgQuery__SelectStmt *d = sql_alloc(t->c, sizeof *d);
	PgQuery__RangeSubselect *rs = sql_alloc(t->c, sizeof *rs);
	PgQuery__Alias *a = sql_alloc(t->c, sizeof *a);
	PgQuery__Node **from = sql_alloc(t->c, sizeof *from), **tl = sql_alloc(t->c, sizeof *tl);
	PgQuery__Node *star = sql_pt_node(t->c, PG_QUERY__NODE__NODE_A_STAR);
	PgQuery__AStar *as = sql_alloc(t->c, sizeof *as);
	if (!d || !rs || !a || !from || !tl || !star || !as)
		return NULL;
	pg_query__a__star__init(as);
	star->a_star = as;
	pg_query__select_stmt__init(d);
	d->op = PG_QUERY__SET_OPERATION__SETOP_NONE;
	d->limit_option = PG_QUERY__LIMIT_OPTION__LIMIT_OPTION_DEFAULT;
	if (!(tl[0] = res_target(t->c, sql_pt_colref(t->c, NULL, star), NULL, -1)))
		return NULL;
	from[0] = tbl;
	d->target_list = tl;
	d->n_target_list = 1;
	d->from_clause = from;
	d->n_from_clause = 1;
	d->where_clause = own_conds(t, rv_name(tbl));
	pg_query__range_subselect__init(rs);
	pg_query__alias__init(a);
	a->aliasname = (char *)rv_name(tbl);
	rs->alias = a;
	rs->subquery = wrap(t->c, PG_QUERY__NODE__NODE_SELECT_STMT, d);
	return rs->subquery ? wrap(t->c, PG_QUERY__NODE__NODE_RANGE_SUBSELECT, rs) : NULL;
}

/* A reference of the query to a count column: COALESCE(s.n, 0). */
static PgQuery__Node *counted(void *arg, PgQuery__Node *n)
{
	topn *t = arg;
	PgQuery__ColumnRef *r = n->column_ref;
	const char *tbl = r->n_fields == 2 ? sql_node_str(r->fields[0]) : NULL;
	const char *name = sql_node_str(r->fields[r->n_fields - 1]);
	if (!name || (tbl && strcmp(tbl, t->alias)) || r->n_fields > 2)
		return n;
	for (int i = 0; i < t->ncols; i++)
		if ((t->is_count[i] || t->lifted[i]) && !strcmp(t->names[i], name)) {
			for (size_t j = 0; !tbl && j < t->s->n_from_clause; j++) {
				PgQuery__Node *f = t->s->from_clause[j];
				if (f->node_case == PG_QUERY__NODE__NODE_JOIN_EXPR)
					f = f->join_expr->larg;
				if (is_table(f) && sql_subq_from_has(t->c, f, NULL, name))
					t->unsure = 1; /* also an outer column: 42702 */
			}
			return t->lifted[i] ? t->lifted[i]
					    : coalesce0(t, col(t->c, t->alias, name));
		}
	return n;
}

static PgQuery__Node *map_counted(topn *t, PgQuery__Node *n)
{
	return n ? sql_pt_map(t->c, n, counted, t) : NULL;
}

static PgQuery__Node **map_list(topn *t, PgQuery__Node **v, size_t n)
{
	PgQuery__Node **out = sql_alloc(t->c, (n ? n : 1) * sizeof *out);
	for (size_t i = 0; out && i < n; i++)
		if (!(out[i] = map_counted(t, v[i])))
			return NULL;
	return out;
}

/* The select list: `*` and `s.*` without the hidden columns, count
 * columns read through COALESCE. */
static int targets(topn *t, PgQuery__SelectStmt *out)
{
	PgQuery__SelectStmt *s = t->s;
	size_t cap = s->n_target_list * (s->n_from_clause + 1 + (size_t)t->ncols), n = 0;
	PgQuery__Node **tl = sql_alloc(t->c, cap * sizeof *tl);
	if (!tl)
		return 0;
	for (size_t i = 0; i < s->n_target_list; i++) {
		PgQuery__ResTarget *rt = s->target_list[i]->res_target;
		PgQuery__ColumnRef *r = rt->val && rt->val->node_case ==
								PG_QUERY__NODE__NODE_COLUMN_REF
						? rt->val->column_ref
						: NULL;
		int star = r &&
			   r->fields[r->n_fields - 1]->node_case == PG_QUERY__NODE__NODE_A_STAR;
		const char *tbl = star && r->n_fields == 2 ? sql_node_str(r->fields[0]) : NULL;
		/* CREATE VIEW: what this `*` stands for (analyze_view_star.c) */
		int rec = star && (!tbl || !strcmp(tbl, t->alias))
				  ? sql_view_star_begin(t->c, r->location)
				  : -1;
		if (rec < -1)
			return 0;
		if (star && (!tbl || !strcmp(tbl, t->alias))) {
			for (size_t j = 0; !tbl && j < s->n_from_clause; j++) {
				PgQuery__Node *f = s->from_clause[j];
				if (f->node_case == PG_QUERY__NODE__NODE_JOIN_EXPR)
					f = f->join_expr->larg;
				if (((int)j != t->at || t->join) &&
				    sql_view_star_col(t->c, rec, rv_name(f), NULL) != MUR_OK)
					return 0;
				if ((int)j != t->at || t->join) {
					PgQuery__Node *a = sql_pt_node(t->c,
								       PG_QUERY__NODE__NODE_A_STAR);
					PgQuery__AStar *as = sql_alloc(t->c, sizeof *as);
					if (!a || !as)
						return 0;
					pg_query__a__star__init(as);
					a->a_star = as;
					if (!(tl[n++] = res_target(t->c,
								   sql_pt_colref(t->c, rv_name(f),
										 a),
								   NULL, rt->location)))
						return 0;
				}
				if ((int)j == t->at)
					for (int k = 0; k < t->ncols; k++)
						if (!(tl[n++] = res_target(
							      t->c,
							      map_counted(t, col(t->c, t->alias,
										 t->names[k])),
							      t->names[k], rt->location)) ||
						    sql_view_star_col(t->c, rec, t->alias,
								      t->names[k]) != MUR_OK)
							return 0;
			}
			for (int k = 0; tbl && k < t->ncols; k++)
				if (!(tl[n++] = res_target(t->c,
							   map_counted(t, col(t->c, t->alias,
									      t->names[k])),
							   t->names[k], rt->location)) ||
				    sql_view_star_col(t->c, rec, t->alias, t->names[k]) != MUR_OK)
					return 0;
		} else if (star) {
			tl[n++] = s->target_list[i];
		} else {
			const char *name = rt->name && *rt->name ? rt->name : sql_colname(rt->val);
			if (!(tl[n++] = res_target(t->c, map_counted(t, rt->val), name,
						   rt->location)))
				return 0;
		}
	}
	out->target_list = tl;
	out->n_target_list = n;
	return 1;
}

static PgQuery__SelectStmt *rewrite(topn *t)
{
	PgQuery__SelectStmt *s = t->s, *out = sql_alloc(t->c, sizeof *out);
	int numbered = t->sub->limit_count || t->sub->limit_offset;
	int gather = numbered || t->agg;
	PgQuery__Node **from = sql_alloc(t->c, s->n_from_clause * sizeof *from), *cond, *d;
	PgQuery__RangeSubselect *rs = sql_alloc(t->c, sizeof *rs);
	PgQuery__JoinExpr *j = sql_alloc(t->c, sizeof *j);
	if (gather)
		keys_fixed(t);
	if (!out || !from || !rs || !j || !(d = derived(t, numbered)) ||
	    !(cond = join_cond(t, numbered)))
		return NULL;
	*out = *s;
	*rs = *t->rs;
	rs->lateral = 0;
	rs->subquery = d;
	for (size_t i = 0; i < s->n_from_clause; i++) {
		PgQuery__Node *f = s->from_clause[i];
		if ((int)i != t->at) {
			from[i] = gather ? gathered(t, f) : f;
		} else if (t->join || t->agg) {
			if (t->join)
				*j = *t->join;
			else
				pg_query__join_expr__init(j);
			j->larg = t->join ? t->join->larg : s->from_clause[0];
			if (gather && !(j->larg = gathered(t, j->larg)))
				return NULL;
			if (t->agg)
				j->jointype = PG_QUERY__JOIN_TYPE__JOIN_LEFT;
			j->rarg = wrap(t->c, PG_QUERY__NODE__NODE_RANGE_SUBSELECT, rs);
			j->quals = t->join && !t->agg && t->join->quals
					   ? sql_pt_bool(t->c, 1, map_counted(t, t->join->quals),
							 cond)
					   : cond;
			from[i] = wrap(t->c, PG_QUERY__NODE__NODE_JOIN_EXPR, j);
		} else {
			from[i] = wrap(t->c, PG_QUERY__NODE__NODE_RANGE_SUBSELECT, rs);
			out->where_clause = s->where_clause
						    ? sql_pt_bool(t->c, 1, s->where_clause, cond)
						    : cond;
		}
		if (!from[i])
			return NULL;
	}
	if (t->agg && !t->join) { /* FROM o, LATERAL (aggregates): o LEFT JOIN s */
		from[0] = from[1];
		out->n_from_clause = 1;
	} else {
		out->n_from_clause = s->n_from_clause;
	}
	out->from_clause = from;
	if (!targets(t, out) ||
	    (out->where_clause && !(out->where_clause = map_counted(t, out->where_clause))) ||
	    (s->n_group_clause &&
	     !(out->group_clause = map_list(t, s->group_clause, s->n_group_clause))) ||
	    (s->n_sort_clause &&
	     !(out->sort_clause = map_list(t, s->sort_clause, s->n_sort_clause))) ||
	    (s->n_distinct_clause &&
	     !(out->distinct_clause = map_list(t, s->distinct_clause, s->n_distinct_clause))) ||
	    (s->having_clause && !(out->having_clause = map_counted(t, s->having_clause))))
		return NULL;
	return t->unsure ? NULL : out;
}

static PgQuery__SelectStmt *topn_rewrite(sql_ctx *c, PgQuery__SelectStmt *s, int keyed)
{
	topn *t = sql_alloc(c, sizeof *t);
	PgQuery__SelectStmt *out = NULL, *k;
	if (!t)
		return s;
	memset(t, 0, sizeof *t);
	t->c = c;
	t->s = s;
	if (!find(t) || !sub_shape(t))
		return s;
	for (size_t i = 0; i < s->n_target_list; i++)
		if (sql_tree_any(&s->target_list[i]->base, has_sublink, NULL))
			return s;
	if (sql_tree_any((const ProtobufCMessage *)s->where_clause, has_sublink, NULL) ||
	    sql_tree_any((const ProtobufCMessage *)s->having_clause, has_sublink, NULL))
		return s;
	if ((!t->sub->where_clause || conjunct(t, t->sub->where_clause)) && t->nkeys > 0 &&
	    lift_items(t))
		out = rewrite(t);
	if (mur_error_is_set(c->err)) /* out of memory: the refusal will do */
		mur_error_clear(c->err);
	if (out)
		return out;
	/* not tied by equalities alone: the outer table copied in, tied by its
	 * key (analyze_lateral_keyed.c), once */
	if (!keyed && (k = sql_lateral_keyed(c, s, t->at, t->join, t->rs)) &&
	    (out = topn_rewrite(c, k, 1)) != k)
		return out;
	if (mur_error_is_set(c->err))
		mur_error_clear(c->err);
	return s;
}

PgQuery__SelectStmt *sql_lateral_topn_rewrite(sql_ctx *c, PgQuery__SelectStmt *s)
{
	return topn_rewrite(c, s, 0);
}
