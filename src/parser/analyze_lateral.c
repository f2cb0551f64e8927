/*
 * analyze_lateral.c — a LATERAL subquery in FROM that only filters and
 * projects, flattened into the query around it before analysis (a
 * parse-tree rewrite):
 *
 *   SELECT ... FROM o, LATERAL (SELECT f.v AS w FROM f WHERE f.oid = o.id AND p) s
 *     ==> SELECT ... FROM o, f WHERE f.oid = o.id AND p      (s.w read as f.v)
 *
 * For each row of o the subquery's rows are f's rows where its WHERE
 * holds, projected: exactly the rows the flat join gives, so every
 * reference to s.w (or w alone) becomes the expression f.v, and `*` /
 * `s.*` its select list.  The flat query is then an ordinary join: on
 * the shards when f and o are co-located on f.oid = o.id, shuffled or
 * with a reference table otherwise (sql/plan_join*.c).
 *
 * `a JOIN LATERAL (...) s ON p` is read as `a, LATERAL (...) s WHERE p`
 * first (an inner join: the same rows), and so is `a LEFT JOIN LATERAL
 * (SELECT <items>) s ON true` (no FROM, no WHERE: its one row always
 * matches).
 *
 * A LATERAL subquery without FROM (`LATERAL (SELECT t.v * 2 AS w) s`) is
 * one row per outer row, its WHERE a filter of them: the same rewrite
 * leaves FROM without it and reads s.w as t.v * 2 (not when an item calls
 * a volatile function, which would then run at each reference).
 *
 * Taken only when everything is sure: FROM of the query is plain tables
 * and the one LATERAL subquery (joined by a comma), no subquery anywhere
 * else in it; the subquery's FROM is plain tables named apart from the
 * query's (or none), its select list named expressions (no `*`), no aggregate,
 * GROUP BY, HAVING, DISTINCT, ORDER BY, LIMIT, OFFSET, window, WITH or
 * subquery in it, no column list on its alias; an unqualified name inside
 * it that one of its tables has is qualified with that table (so the flat
 * query cannot read it as the outer table's); a name of the outer query
 * that is both a column of its tables and of the subquery is left (an
 * ambiguity PostgreSQL reports too).  Otherwise the LATERAL subquery is left
 * for analyze_lateral_topn.c (ORDER BY / LIMIT / aggregates inside, LEFT
 * JOIN LATERAL: a subquery joined by its keys) or 0A000
 * (analyze_from_subq.c).  The original tree is never
 * changed (the parse cache keeps it): the rewrite is a copy.
 */
#include "parser/analyze_subq_int.h"

#include <string.h>

#define LATERAL_COLS_MAX 64 /* the subquery's select list */
#define LATERAL_FROM_MAX 16 /* FROM items on either side */

typedef struct lateral {
	sql_ctx *c;
	PgQuery__SelectStmt *s;   /* the query around it */
	int at;                   /* its FROM item */
	const char *alias;        /* the subquery's name */
	PgQuery__SelectStmt *sub; /* the subquery */
	int ncols;
	const char *names[LATERAL_COLS_MAX];
	PgQuery__Node *exprs[LATERAL_COLS_MAX]; /* its select list, names qualified */
	int unsure;
} lateral;

static const char *rv_name(const PgQuery__Node *n)
{
	const PgQuery__RangeVar *rv = n->range_var;
	return rv->alias && rv->alias->aliasname ? rv->alias->aliasname : rv->relname;
}

static int is_table(const PgQuery__Node *n)
{
	return n->node_case == PG_QUERY__NODE__NODE_RANGE_VAR;
}

static int has_sublink(const ProtobufCMessage *m, const void *arg)
{
	(void)arg;
	return m->descriptor == &pg_query__sub_link__descriptor ||
	       m->descriptor == &pg_query__range_subselect__descriptor;
}

/* The one LATERAL item of s and the shape checks of the query around it. */
static int find_lateral(lateral *l)
{
	PgQuery__SelectStmt *s = l->s;
	l->at = -1;
	if (s->n_from_clause < 2 || s->n_from_clause > LATERAL_FROM_MAX || s->with_clause ||
	    s->op != PG_QUERY__SET_OPERATION__SETOP_NONE)
		return 0;
	for (size_t i = 0; i < s->n_from_clause; i++) {
		PgQuery__Node *n = s->from_clause[i];
		if (n->node_case == PG_QUERY__NODE__NODE_RANGE_SUBSELECT &&
		    n->range_subselect->lateral && l->at < 0)
			l->at = (int)i;
		else if (!is_table(n))
			return 0;
	}
	return l->at >= 0;
}

/* The subquery plain enough to flatten. */
static int plain_sub(lateral *l)
{
	PgQuery__RangeSubselect *rs = l->s->from_clause[l->at]->range_subselect;
	PgQuery__SelectStmt *sub;
	if (!rs->alias || !rs->alias->aliasname || rs->alias->n_colnames || !rs->subquery ||
	    rs->subquery->node_case != PG_QUERY__NODE__NODE_SELECT_STMT)
		return 0;
	sub = rs->subquery->select_stmt;
	l->alias = rs->alias->aliasname;
	l->sub = sub;
	if (sub->op != PG_QUERY__SET_OPERATION__SETOP_NONE || sub->n_group_clause ||
	    sub->having_clause || sub->n_distinct_clause || sub->n_sort_clause ||
	    sub->limit_count || sub->limit_offset || sub->n_window_clause || sub->with_clause ||
	    sub->n_locking_clause || sub->into_clause || sub->n_values_lists ||
	    sub->n_from_clause > LATERAL_FROM_MAX || sub->n_target_list == 0 ||
	    sub->n_target_list > LATERAL_COLS_MAX)
		return 0;
	/* without FROM, one row per outer row: its items computed from the
	 * outer columns in the query around it, where a volatile one would
	 * run at each reference instead of once */
	if (sub->n_from_clause == 0 && sql_tree_any(&sub->base, sql_pt_volatile_call, NULL))
		return 0;
	for (size_t i = 0; i < sub->n_from_clause; i++) {
		if (!is_table(sub->from_clause[i]))
			return 0;
		for (size_t j = 0; j < l->s->n_from_clause; j++)
			if ((int)j != l->at &&
			    !strcmp(rv_name(sub->from_clause[i]), rv_name(l->s->from_clause[j])))
				return 0; /* two tables of one name once flat */
	}
	if (sql_tree_any(&sub->base, has_sublink, NULL))
		return 0;
	for (size_t i = 0; i < sub->n_target_list; i++)
		if (sql_tree_has_aggregate(sub->target_list[i]))
			return 0;
	return 1;
}

/* A copy of column reference r with an unqualified name of one of the
 * subquery's tables qualified; NULL (l->unsure) when two have it. */
static PgQuery__Node *qualified(void *arg, PgQuery__Node *n)
{
	lateral *l = arg;
	PgQuery__ColumnRef *r = n->column_ref;
	const char *col = r->n_fields == 1 ? sql_node_str(r->fields[0]) : NULL, *tbl = NULL;
	PgQuery__Node *copy;
	if (!col)
		return n; /* qualified, or a star (refused by the caller) */
	for (size_t i = 0; i < l->sub->n_from_clause; i++) {
		int has = sql_subq_from_has(l->c, l->sub->from_clause[i], NULL, col);
		if (has < 0 || (has && tbl)) {
			l->unsure = 1;
			return NULL;
		}
		if (has)
			tbl = rv_name(l->sub->from_clause[i]);
	}
	if (!tbl)
		return n; /* the outer query's */
	if ((copy = sql_pt_colref(l->c, tbl, r->fields[0])))
		copy->column_ref->location = r->location;
	return copy;
}

/* The subquery's select list: names and qualified expressions. */
static int sub_columns(lateral *l)
{
	for (size_t i = 0; i < l->sub->n_target_list; i++) {
		PgQuery__ResTarget *rt = l->sub->target_list[i]->res_target;
		const char *name = rt->name && *rt->name ? rt->name : sql_colname(rt->val);
		if (!rt->val ||
		    (rt->val->node_case == PG_QUERY__NODE__NODE_COLUMN_REF &&
		     rt->val->column_ref->fields[rt->val->column_ref->n_fields - 1]->node_case ==
			     PG_QUERY__NODE__NODE_A_STAR))
			return 0;
		l->names[l->ncols] = name;
		if (!(l->exprs[l->ncols++] = sql_pt_map(l->c, rt->val, qualified, l)))
			return 0;
	}
	return 1;
}

/* Column i of the subquery a reference of the outer query names, -1 for
 * none; l->unsure when it is ambiguous. */
static int names_sub(lateral *l, const PgQuery__ColumnRef *r)
{
	const char *tbl = r->n_fields == 2 ? sql_node_str(r->fields[0]) : NULL;
	const char *col = sql_node_str(r->fields[r->n_fields - 1]);
	int found = -1;
	if (!col || r->n_fields > 2 || (tbl && strcmp(tbl, l->alias)))
		return -1;
	for (int i = 0; i < l->ncols; i++)
		if (!strcmp(l->names[i], col)) {
			if (found >= 0)
				l->unsure = 1; /* two columns of one name: PostgreSQL's 42702 */
			found = i;
		}
	for (size_t i = 0; found >= 0 && !tbl && i < l->s->n_from_clause; i++)
		if ((int)i != l->at && sql_subq_from_has(l->c, l->s->from_clause[i], NULL, col))
			l->unsure = 1; /* also a column of the query's tables */
	return found;
}

static PgQuery__Node *outer_ref(void *arg, PgQuery__Node *n)
{
	lateral *l = arg;
	const PgQuery__ColumnRef *r = n->column_ref;
	int i;
	if (r->fields[r->n_fields - 1]->node_case == PG_QUERY__NODE__NODE_A_STAR) {
		l->unsure = 1; /* s.* outside the select list */
		return NULL;
	}
	i = names_sub(l, r);
	if (l->unsure)
		return NULL;
	return i < 0 ? n : sql_pt_map(l->c, l->exprs[i], qualified, l);
}

static PgQuery__Node *res_target(sql_ctx *c, PgQuery__Node *val, const char *name)
{
	PgQuery__Node *n = sql_pt_node(c, PG_QUERY__NODE__NODE_RES_TARGET);
	PgQuery__ResTarget *rt = sql_alloc(c, sizeof *rt);
	if (!n || !rt)
		return NULL;
	pg_query__res_target__init(rt);
	rt->val = val;
	rt->name = (char *)name;
	rt->location = -1;
	n->res_target = rt;
	return n;
}

static PgQuery__Node *star_of(sql_ctx *c, const char *alias)
{
	PgQuery__Node *star = sql_pt_node(c, PG_QUERY__NODE__NODE_A_STAR);
	PgQuery__AStar *a = sql_alloc(c, sizeof *a);
	if (!star || !a)
		return NULL;
	pg_query__a__star__init(a);
	star->a_star = a;
	return sql_pt_colref(c, alias, star);
}

/* The select list with `*` / `s.*` expanded and the subquery's columns
 * read as their expressions (named as the subquery names them). */
static int outer_targets(lateral *l, PgQuery__SelectStmt *out)
{
	size_t cap = l->s->n_target_list + l->s->n_from_clause + (size_t)l->ncols, n = 0;
	PgQuery__Node **tl = sql_alloc(l->c, cap * sizeof *tl);
	if (!tl)
		return 0;
	for (size_t i = 0; i < l->s->n_target_list; i++) {
		PgQuery__ResTarget *rt = l->s->target_list[i]->res_target;
		PgQuery__ColumnRef *r = rt->val && rt->val->node_case ==
								PG_QUERY__NODE__NODE_COLUMN_REF
						? rt->val->column_ref
						: NULL;
		int star = r &&
			   r->fields[r->n_fields - 1]->node_case == PG_QUERY__NODE__NODE_A_STAR;
		const char *tbl = r && r->n_fields == 2 ? sql_node_str(r->fields[0]) : NULL;
		PgQuery__Node *v;
		/* CREATE VIEW: what this `*` stands for (analyze_view_star.c) */
		int rec = star && (!tbl || !strcmp(tbl, l->alias))
				  ? sql_view_star_begin(l->c, r->location)
				  : -1;
		if (rec < -1 || (star && n + l->s->n_from_clause + (size_t)l->ncols > cap))
			return 0;
		for (size_t j = 0; star && !tbl && j < l->s->n_from_clause; j++) {
			const char *name = (int)j == l->at ? NULL : rv_name(l->s->from_clause[j]);
			if (name && (!(tl[n++] = res_target(l->c, star_of(l->c, name), NULL)) ||
				     sql_view_star_col(l->c, rec, name, NULL) != MUR_OK))
				return 0;
			for (int k = 0; !name && k < l->ncols; k++)
				if (!(tl[n++] = res_target(l->c, l->exprs[k], l->names[k])) ||
				    sql_view_star_col(l->c, rec, l->alias, l->names[k]) != MUR_OK)
					return 0;
		}
		if (star && tbl && !strcmp(tbl, l->alias)) {
			for (int k = 0; k < l->ncols; k++)
				if (!(tl[n++] = res_target(l->c, l->exprs[k], l->names[k])) ||
				    sql_view_star_col(l->c, rec, l->alias, l->names[k]) != MUR_OK)
					return 0;
		} else if (star && tbl) {
			tl[n++] = l->s->target_list[i];
		} else if (!star) {
			const char *name = rt->name && *rt->name ? rt->name : sql_colname(rt->val);
			if (!(v = sql_pt_map(l->c, rt->val, outer_ref, l)) ||
			    !(tl[n++] = res_target(l->c, v, name)))
				return 0;
			tl[n - 1]->res_target->location = rt->location;
		}
		if (n > cap)
			return 0;
	}
	out->target_list = tl;
	out->n_target_list = n;
	return 1;
}

/* A copy of list v[0..n) mapped by outer_ref; NULL on failure. */
static PgQuery__Node **map_list(lateral *l, PgQuery__Node **v, size_t n)
{
	PgQuery__Node **out = sql_alloc(l->c, (n ? n : 1) * sizeof *out);
	for (size_t i = 0; out && i < n; i++)
		if (!(out[i] = sql_pt_map(l->c, v[i], outer_ref, l)))
			return NULL;
	return out;
}

/* The flat query: FROM with the subquery's tables in its place, WHERE
 * with its conditions, every other clause reading its columns as their
 * expressions. */
static PgQuery__SelectStmt *flatten(lateral *l)
{
	PgQuery__SelectStmt *s = l->s, *out = sql_alloc(l->c, sizeof *out);
	size_t nfrom = s->n_from_clause - 1 + l->sub->n_from_clause, k = 0;
	PgQuery__Node **from = sql_alloc(l->c, nfrom * sizeof *from), *w, *sw = NULL;
	if (!out || !from)
		return NULL;
	*out = *s;
	for (size_t i = 0; i < s->n_from_clause; i++)
		if ((int)i != l->at)
			from[k++] = s->from_clause[i];
		else
			for (size_t j = 0; j < l->sub->n_from_clause; j++)
				from[k++] = l->sub->from_clause[j];
	out->from_clause = from;
	out->n_from_clause = nfrom;
	if (!outer_targets(l, out))
		return NULL;
	if (l->sub->where_clause && !(sw = sql_pt_map(l->c, l->sub->where_clause, qualified, l)))
		return NULL;
	w = s->where_clause ? sql_pt_map(l->c, s->where_clause, outer_ref, l) : NULL;
	if ((s->where_clause && !w) || l->unsure)
		return NULL;
	out->where_clause = w && sw ? sql_pt_bool(l->c, 1, w, sw) : w ? w : sw;
	if ((s->n_group_clause &&
	     !(out->group_clause = map_list(l, s->group_clause, s->n_group_clause))) ||
	    (s->n_sort_clause &&
	     !(out->sort_clause = map_list(l, s->sort_clause, s->n_sort_clause))) ||
	    (s->n_distinct_clause &&
	     !(out->distinct_clause = map_list(l, s->distinct_clause, s->n_distinct_clause))) ||
	    (s->having_clause &&
	     !(out->having_clause = sql_pt_map(l->c, s->having_clause, outer_ref, l))))
		return NULL;
	return l->unsure ? NULL : out;
}

/* `a LEFT JOIN LATERAL (SELECT <items>) s ON true`: a subquery without
 * FROM, WHERE or anything that could drop its one row, so every outer row
 * has its match, as in an inner join. */
static int one_row_left(const PgQuery__JoinExpr *j)
{
	const PgQuery__SelectStmt *sub;
	const PgQuery__Node *on = j->quals;
	if (j->jointype != PG_QUERY__JOIN_TYPE__JOIN_LEFT ||
	    j->rarg->node_case != PG_QUERY__NODE__NODE_RANGE_SUBSELECT ||
	    !j->rarg->range_subselect->subquery ||
	    j->rarg->range_subselect->subquery->node_case != PG_QUERY__NODE__NODE_SELECT_STMT)
		return 0;
	sub = j->rarg->range_subselect->subquery->select_stmt;
	return sub->op == PG_QUERY__SET_OPERATION__SETOP_NONE && sub->n_from_clause == 0 &&
	       !sub->where_clause && !sub->having_clause && !sub->limit_count &&
	       !sub->limit_offset && !sub->n_values_lists && on &&
	       on->node_case == PG_QUERY__NODE__NODE_A_CONST && !on->a_const->isnull &&
	       on->a_const->val_case == PG_QUERY__A__CONST__VAL_BOOLVAL &&
	       on->a_const->boolval->boolval;
}

/* `FROM a JOIN LATERAL (...) s ON p` (an inner join of a table and the
 * LATERAL subquery, no alias, USING or NATURAL) read as `FROM a, LATERAL
 * (...) s WHERE p`: the same rows.  s itself when there is none; NULL on
 * OOM. */
static PgQuery__SelectStmt *inner_join_as_comma(sql_ctx *c, PgQuery__SelectStmt *s)
{
	PgQuery__SelectStmt *out;
	PgQuery__Node **from;
	size_t k = 0;
	int at = -1;
	for (size_t i = 0; i < s->n_from_clause && at < 0; i++) {
		const PgQuery__JoinExpr *j = s->from_clause[i]->node_case ==
							     PG_QUERY__NODE__NODE_JOIN_EXPR
						     ? s->from_clause[i]->join_expr
						     : NULL;
		if (j && (j->jointype == PG_QUERY__JOIN_TYPE__JOIN_INNER || one_row_left(j)) &&
		    !j->alias && !j->is_natural && !j->n_using_clause && is_table(j->larg) &&
		    j->rarg->node_case == PG_QUERY__NODE__NODE_RANGE_SUBSELECT &&
		    j->rarg->range_subselect->lateral)
			at = (int)i;
	}
	if (at < 0 || s->n_from_clause + 1 > LATERAL_FROM_MAX)
		return s;
	if (!(out = sql_alloc(c, sizeof *out)) ||
	    !(from = sql_alloc(c, (s->n_from_clause + 1) * sizeof *from)))
		return NULL;
	*out = *s;
	for (size_t i = 0; i < s->n_from_clause; i++) {
		const PgQuery__JoinExpr *j = s->from_clause[i]->join_expr;
		if ((int)i != at) {
			from[k++] = s->from_clause[i];
			continue;
		}
		from[k++] = j->larg;
		from[k++] = j->rarg;
		if (j->quals)
			out->where_clause = s->where_clause
						    ? sql_pt_bool(c, 1, j->quals, s->where_clause)
						    : j->quals;
	}
	out->from_clause = from;
	out->n_from_clause = k;
	return out;
}

PgQuery__SelectStmt *sql_lateral_rewrite(sql_ctx *c, PgQuery__SelectStmt *orig)
{
	lateral l = {.c = c, .s = inner_join_as_comma(c, orig)};
	PgQuery__SelectStmt *out, *s = l.s;
	int nsubs = 0;
	if (!s) {
		mur_error_clear(c->err);
		return orig;
	}
	if (!find_lateral(&l) || !plain_sub(&l))
		return orig;
	for (size_t i = 0; i < s->n_target_list; i++) /* no subquery elsewhere either */
		nsubs += sql_tree_any(&s->target_list[i]->base, has_sublink, NULL);
	if (nsubs || sql_tree_any((const ProtobufCMessage *)s->where_clause, has_sublink, NULL) ||
	    sql_tree_any((const ProtobufCMessage *)s->having_clause, has_sublink, NULL) ||
	    !sub_columns(&l))
		return orig;
	out = flatten(&l);
	if (mur_error_is_set(c->err)) /* out of memory: the refusal will do */
		mur_error_clear(c->err);
	return out ? out : orig;
}
