/*
 * analyze_semifrom.c — a table of FROM that only filters, turned into an
 * IN subquery before analysis (a parse-tree rewrite):
 *
 *   SELECT ... FROM a, b, t WHERE t.k = a.x AND t.s = 'B' AND <no t> ...
 *     ==> SELECT ... FROM a, b WHERE a.x IN (SELECT t.k FROM t WHERE t.s = 'B')
 *                                     AND <no t> ...
 *
 * when t.k is t's whole primary key (each row of a, b meets at most one
 * row of t, so the join neither repeats nor loses rows: it is a
 * semi-join), t's columns appear nowhere else (not in the select list,
 * GROUP BY, HAVING, ORDER BY, nor another conjunct), and t is a
 * distributed table that the join would otherwise have to shuffle (not a
 * reference table, not co-located with a on t.k = a.x), of at most
 * SEMIFROM_ROWS_MAX rows (the set travels as one blob).  The IN subquery
 * then runs once first, and its set filters a's rows on the followers
 * (analyze_subq.c): TPC-H's Q3 becomes a co-located join of orders and
 * lineitem, the customers of one segment a set, instead of a join that
 * copies the customers to every follower.
 *
 * Names are resolved as SQL would in this SELECT alone: a column is t's
 * when qualified by t's name or alias, or unqualified and t has it; the
 * rewrite is not made when anything is unsure (an unqualified name two
 * tables have, a name of t used anywhere but the conjuncts above, SELECT
 * *, a join written with JOIN, a FROM item that is not a table, a WITH
 * query of t's name, FOR UPDATE).  The original tree (kept by the parse
 * cache) is never changed: the rewrite is a copy.
 */
#include "parser/analyze_subq_int.h"

#include <string.h>

/* t's rows (murphy.shards' counts) above which its keys are not made a
 * set: a set is one blob bounded at 16 MiB (lead_subq.c) */
#define SEMIFROM_ROWS_MAX 1000000
#define SEMIFROM_CONJ_MAX 128  /* WHERE conjuncts looked at */
#define SEMIFROM_TABLES_MAX 16 /* FROM tables looked at */

typedef struct semi_from {
	PgQuery__SelectStmt *s;
	const cat_table *tables[SEMIFROM_TABLES_MAX];
	const char *aliases[SEMIFROM_TABLES_MAX];
	int n;
	int t; /* the candidate */
} semi_from;

static const char *alias_of(PgQuery__RangeVar *rv)
{
	return rv->alias && rv->alias->aliasname ? rv->alias->aliasname : rv->relname;
}

/* The FROM tables, when FROM is a list of plain tables only. */
static int from_tables(sql_ctx *c, semi_from *f)
{
	PgQuery__SelectStmt *s = f->s;
	if (s->n_from_clause < 2 || s->n_from_clause > sizeof f->tables / sizeof f->tables[0])
		return 0;
	for (size_t i = 0; i < s->n_from_clause; i++) {
		PgQuery__RangeVar *rv;
		if (s->from_clause[i]->node_case != PG_QUERY__NODE__NODE_RANGE_VAR)
			return 0;
		rv = s->from_clause[i]->range_var;
		for (int k = 0; k < c->nctes; k++)
			if (!strcmp(c->ctes[k].name, rv->relname))
				return 0;
		const char *schema = sql_rv_schema(c, rv);
		f->tables[f->n] = schema ? cat_table_lookup(c->cat, schema, rv->relname) : NULL;
		if (!f->tables[f->n] || f->tables[f->n]->kind != CAT_TABLE_DISTRIBUTED)
			return 0;
		f->aliases[f->n++] = alias_of(rv);
	}
	return 1;
}

/* Which FROM table a column reference names: its index, -1 for none
 * (an output name, an enclosing query's column), -2 when unsure. */
static int owner_of(const semi_from *f, const PgQuery__ColumnRef *r)
{
	const char *tbl = NULL, *col;
	int found = -1;
	if (r->n_fields < 1 || r->n_fields > 2 || !(col = sql_node_str(r->fields[r->n_fields - 1])))
		return -2; /* x.* or a.b.c */
	if (r->n_fields == 2 && !(tbl = sql_node_str(r->fields[0])))
		return -2;
	for (int i = 0; i < f->n; i++) {
		if (tbl ? strcmp(tbl, f->aliases[i]) : cat_column_index(f->tables[i], col) < 0)
			continue;
		if (found >= 0)
			return -2;
		found = i;
	}
	if (tbl && found >= 0 && cat_column_index(f->tables[found], col) < 0)
		return -2;
	return found;
}

/* ---- references to t in a subtree ---- */

typedef struct refs {
	const semi_from *f;
	int t_refs, other_refs, unsure, sublinks;
} refs;

static sql_pt_next count_ref(const ProtobufCMessage *m, sql_pt_at *at, void *arg)
{
	refs *r = arg;
	const ProtobufCMessageDescriptor *d = m->descriptor;
	if (d == &pg_query__column_ref__descriptor) {
		int o = owner_of(r->f, (const PgQuery__ColumnRef *)m);
		r->t_refs += o == r->f->t;
		r->other_refs += o != r->f->t && o >= 0;
		r->unsure += o == -2;
		return SQL_PT_SKIP;
	}
	r->sublinks += d == &pg_query__sub_link__descriptor;
	return SQL_PT_INTO;
}

/* Every column reference and subquery under m counted into r. */
static void count_refs(const ProtobufCMessage *m, refs *r) { sql_pt_walk(m, count_ref, r); }

static refs refs_in(const semi_from *f, const void *m)
{
	refs r = {f, 0, 0, 0, 0};
	count_refs((const ProtobufCMessage *)m, &r);
	return r;
}

/* ---- the WHERE clause ---- */

static int conjuncts(PgQuery__Node *w, PgQuery__Node **out, int max)
{
	if (!w)
		return 0;
	if (w->node_case == PG_QUERY__NODE__NODE_BOOL_EXPR &&
	    w->bool_expr->boolop == PG_QUERY__BOOL_EXPR_TYPE__AND_EXPR) {
		if (w->bool_expr->n_args > (size_t)max)
			return -1;
		memcpy(out, w->bool_expr->args, sizeof *out * w->bool_expr->n_args);
		return (int)w->bool_expr->n_args;
	}
	out[0] = w;
	return 1;
}

/* Is n `t.k = other.col` (either way round), k t's whole primary key?
 * *other the other side's node. */
static int key_equality(const semi_from *f, PgQuery__Node *n, PgQuery__Node **other)
{
	const cat_table *t = f->tables[f->t];
	PgQuery__AExpr *e;
	const char *op;
	int npk = 0, lo, ro;
	if (n->node_case != PG_QUERY__NODE__NODE_A_EXPR)
		return 0;
	e = n->a_expr;
	if (e->kind != PG_QUERY__A__EXPR__KIND__AEXPR_OP || e->n_name != 1 ||
	    !(op = sql_node_str(e->name[0])) || strcmp(op, "=") || !e->lexpr || !e->rexpr ||
	    e->lexpr->node_case != PG_QUERY__NODE__NODE_COLUMN_REF ||
	    e->rexpr->node_case != PG_QUERY__NODE__NODE_COLUMN_REF)
		return 0;
	lo = owner_of(f, e->lexpr->column_ref);
	ro = owner_of(f, e->rexpr->column_ref);
	if ((lo == f->t) == (ro == f->t) || lo < 0 || ro < 0)
		return 0;
	PgQuery__ColumnRef *tk = lo == f->t ? e->lexpr->column_ref : e->rexpr->column_ref;
	int col = cat_column_index(t, sql_node_str(tk->fields[tk->n_fields - 1]));
	for (int i = 0; i < t->ncols; i++)
		npk += t->cols[i].primary_key;
	if (col < 0 || npk != 1 || !t->cols[col].primary_key)
		return 0;
	/* co-located on it already: the join runs shard by shard */
	const cat_table *o = f->tables[lo == f->t ? ro : lo];
	PgQuery__ColumnRef *oc = lo == f->t ? e->rexpr->column_ref : e->lexpr->column_ref;
	if (col == t->dist_col && cat_tables_colocated(t, o) &&
	    cat_column_index(o, sql_node_str(oc->fields[oc->n_fields - 1])) == o->dist_col)
		return 0;
	*other = lo == f->t ? e->rexpr : e->lexpr;
	return 1;
}

static uint64_t table_rows(const cat_table *t)
{
	uint64_t n = 0;
	for (uint32_t s = 0; s < t->nshards; s++)
		n += t->shards[s].rows;
	return n;
}

/* Nothing outside WHERE names t (nor is unsure). */
static int t_only_in_where(const semi_from *f)
{
	const PgQuery__SelectStmt *s = f->s;
	refs r = {f, 0, 0, 0, 0};
	for (size_t i = 0; i < s->n_target_list; i++)
		count_refs(&s->target_list[i]->base, &r);
	for (size_t i = 0; i < s->n_group_clause; i++)
		count_refs(&s->group_clause[i]->base, &r);
	for (size_t i = 0; i < s->n_sort_clause; i++)
		count_refs(&s->sort_clause[i]->base, &r);
	for (size_t i = 0; i < s->n_distinct_clause; i++)
		count_refs(&s->distinct_clause[i]->base, &r);
	count_refs((const ProtobufCMessage *)s->having_clause, &r);
	return r.t_refs == 0 && r.unsure == 0;
}

/* New parse-tree nodes, initialized as protobuf-c messages (walkers read
 * their descriptors). */
static PgQuery__Node *new_node(sql_ctx *c, PgQuery__Node__NodeCase kind)
{
	PgQuery__Node *n = sql_alloc(c, sizeof *n);
	if (!n)
		return NULL;
	pg_query__node__init(n);
	n->node_case = kind;
	return n;
}

static PgQuery__Node *and_of(sql_ctx *c, PgQuery__Node **args, int n)
{
	PgQuery__BoolExpr *be;
	PgQuery__Node *node;
	if (n == 1)
		return args[0];
	if (n == 0 || !(be = sql_alloc(c, sizeof *be)) ||
	    !(node = new_node(c, PG_QUERY__NODE__NODE_BOOL_EXPR)))
		return NULL;
	pg_query__bool_expr__init(be);
	be->boolop = PG_QUERY__BOOL_EXPR_TYPE__AND_EXPR;
	be->args = args;
	be->n_args = (size_t)n;
	be->location = -1;
	node->bool_expr = be;
	return node;
}

/* other IN (SELECT t.k FROM t WHERE mine...) */
static PgQuery__Node *in_subquery(sql_ctx *c, const semi_from *f, PgQuery__Node *other,
				  PgQuery__Node *tkey, PgQuery__Node **mine, int nmine)
{
	PgQuery__SelectStmt *sub = sql_alloc(c, sizeof *sub);
	PgQuery__SubLink *sl = sql_alloc(c, sizeof *sl);
	PgQuery__ResTarget *rt = sql_alloc(c, sizeof *rt);
	PgQuery__Node **tl = sql_alloc(c, sizeof *tl), **from = sql_alloc(c, sizeof *from);
	PgQuery__Node *subn = new_node(c, PG_QUERY__NODE__NODE_SELECT_STMT),
		      *sln = new_node(c, PG_QUERY__NODE__NODE_SUB_LINK),
		      *rtn = new_node(c, PG_QUERY__NODE__NODE_RES_TARGET);
	if (!sub || !sl || !rt || !tl || !from || !subn || !sln || !rtn)
		return NULL;
	pg_query__select_stmt__init(sub);
	pg_query__sub_link__init(sl);
	pg_query__res_target__init(rt);
	sub->op = PG_QUERY__SET_OPERATION__SETOP_NONE;
	sub->limit_option = PG_QUERY__LIMIT_OPTION__LIMIT_OPTION_DEFAULT;
	rt->val = tkey;
	rt->location = -1;
	rtn->res_target = rt;
	tl[0] = rtn;
	sub->target_list = tl;
	sub->n_target_list = 1;
	from[0] = f->s->from_clause[f->t];
	sub->from_clause = from;
	sub->n_from_clause = 1;
	sub->where_clause = nmine ? and_of(c, mine, nmine) : NULL;
	subn->select_stmt = sub;
	sl->sub_link_type = PG_QUERY__SUB_LINK_TYPE__ANY_SUBLINK; /* IN */
	sl->testexpr = other;
	sl->subselect = subn;
	sl->location = -1;
	sln->sub_link = sl;
	return sln;
}

/* s without FROM table f->t, its conjuncts as an IN subquery; NULL when
 * t cannot go (c->err untouched) or on OOM. */
static PgQuery__SelectStmt *without_t(sql_ctx *c, semi_from *f)
{
	PgQuery__Node *cj[SEMIFROM_CONJ_MAX], **keep, **mine, *other = NULL, *tkey = NULL, **from;
	PgQuery__SelectStmt *copy;
	int n = conjuncts(f->s->where_clause, cj, SEMIFROM_CONJ_MAX), nkeep = 0, nmine = 0;
	const cat_table *t = f->tables[f->t];
	if (n <= 1 || cat_table_is_reference(t) || table_rows(t) > SEMIFROM_ROWS_MAX ||
	    !t_only_in_where(f))
		return NULL;
	keep = sql_alloc(c, sizeof *keep * (size_t)(n + 1));
	mine = sql_alloc(c, sizeof *mine * (size_t)n);
	from = sql_alloc(c, sizeof *from * f->s->n_from_clause);
	if (!keep || !mine || !from)
		return NULL;
	for (int i = 0; i < n; i++) {
		refs r = refs_in(f, cj[i]);
		PgQuery__Node *o;
		if (r.unsure)
			return NULL;
		if (!r.t_refs) {
			keep[nkeep++] = cj[i];
		} else if (!other && key_equality(f, cj[i], &o)) {
			other = o;
			tkey = cj[i]->a_expr->lexpr == o ? cj[i]->a_expr->rexpr
							 : cj[i]->a_expr->lexpr;
		} else if (!r.other_refs && !r.sublinks) {
			mine[nmine++] = cj[i];
		} else {
			return NULL;
		}
	}
	if (!other || !(keep[nkeep] = in_subquery(c, f, other, tkey, mine, nmine)))
		return NULL;
	nkeep++;
	if (!(copy = sql_alloc(c, sizeof *copy)))
		return NULL;
	*copy = *f->s;
	copy->n_from_clause = 0;
	for (size_t i = 0; i < f->s->n_from_clause; i++)
		if ((int)i != f->t)
			from[copy->n_from_clause++] = f->s->from_clause[i];
	copy->from_clause = from;
	copy->where_clause = and_of(c, keep, nkeep);
	return copy->where_clause ? copy : NULL;
}

PgQuery__SelectStmt *sql_semifrom_rewrite(sql_ctx *c, PgQuery__SelectStmt *s)
{
	semi_from f = {.s = s};
	if (!c->cat || !c->subq_ok || s->op != PG_QUERY__SET_OPERATION__SETOP_NONE ||
	    !s->where_clause || s->n_locking_clause || s->n_window_clause || !from_tables(c, &f))
		return s;
	/* each table that only filters goes, the largest rewrite first is not
	 * needed: one pass, each candidate against what is left */
	for (int t = f.n - 1; t >= 0; t--) {
		PgQuery__SelectStmt *out;
		f.t = t;
		if (!(out = without_t(c, &f)))
			continue;
		/* the tables left, for the next candidate */
		memmove(&f.tables[t], &f.tables[t + 1], sizeof f.tables[0] * (size_t)(f.n - t - 1));
		memmove(&f.aliases[t], &f.aliases[t + 1],
			sizeof f.aliases[0] * (size_t)(f.n - t - 1));
		f.n--;
		f.s = out;
		if (f.n < 2)
			break;
	}
	return f.s;
}
