/*
 * analyze_ptree.c — parse-tree pieces for the rewrites made before
 * analysis (analyze_rowcmp.c, analyze_outerkey.c, analyze_lateral.c,
 * analyze_distinct_agg.c's and INSERT ... UNION's SELECT * FROM (...)):
 * nodes built in the statement arena, initialized as protobuf-c messages
 * (the walkers read their descriptors), and a copy of a tree whose
 * column references a callback may replace.  The original tree (the parse
 * cache keeps it) is never changed.
 */
#include "parser/analyze_subq_int.h"

#include <string.h>

PgQuery__Node *sql_pt_node(sql_ctx *c, PgQuery__Node__NodeCase kind)
{
	PgQuery__Node *n = sql_alloc(c, sizeof *n);
	if (!n)
		return NULL;
	pg_query__node__init(n);
	n->node_case = kind;
	return n;
}

PgQuery__Node *sql_pt_string(sql_ctx *c, const char *s)
{
	PgQuery__Node *n = sql_pt_node(c, PG_QUERY__NODE__NODE_STRING);
	PgQuery__String *str = sql_alloc(c, sizeof *str);
	if (!n || !str)
		return NULL;
	pg_query__string__init(str);
	str->sval = (char *)s;
	n->string = str;
	return n;
}

PgQuery__Node *sql_pt_msg(sql_ctx *c, PgQuery__Node__NodeCase kind, void *msg)
{
	PgQuery__Node *n = sql_alloc(c, sizeof *n);
	if (!n || !msg)
		return NULL;
	pg_query__node__init(n);
	n->node_case = kind;
	n->select_stmt = msg; /* the oneof's members share one pointer */
	return n;
}

PgQuery__Node *sql_pt_select_star(sql_ctx *c, PgQuery__Node *from, PgQuery__Node *where)
{
	PgQuery__SelectStmt *sel = sql_alloc(c, sizeof *sel);
	PgQuery__ResTarget *rt = sql_alloc(c, sizeof *rt);
	PgQuery__ColumnRef *cr = sql_alloc(c, sizeof *cr);
	PgQuery__AStar *star = sql_alloc(c, sizeof *star);
	PgQuery__Node **tl = sql_alloc(c, sizeof *tl), **fields = sql_alloc(c, sizeof *fields),
		      **froms = sql_alloc(c, sizeof *froms);
	if (!sel || !rt || !cr || !star || !tl || !fields || !froms)
		return NULL;
	pg_query__select_stmt__init(sel);
	pg_query__res_target__init(rt);
	pg_query__column_ref__init(cr);
	pg_query__a__star__init(star);
	if (!(fields[0] = sql_pt_msg(c, PG_QUERY__NODE__NODE_A_STAR, star)))
		return NULL;
	cr->fields = fields;
	cr->n_fields = 1;
	cr->location = -1;
	if (!(rt->val = sql_pt_msg(c, PG_QUERY__NODE__NODE_COLUMN_REF, cr)))
		return NULL;
	rt->location = -1;
	if (!(tl[0] = sql_pt_msg(c, PG_QUERY__NODE__NODE_RES_TARGET, rt)))
		return NULL;
	froms[0] = from;
	sel->op = PG_QUERY__SET_OPERATION__SETOP_NONE;
	sel->limit_option = PG_QUERY__LIMIT_OPTION__LIMIT_OPTION_DEFAULT;
	sel->target_list = tl;
	sel->n_target_list = 1;
	sel->from_clause = froms;
	sel->n_from_clause = 1;
	sel->where_clause = where;
	return sql_pt_msg(c, PG_QUERY__NODE__NODE_SELECT_STMT, sel);
}

PgQuery__SelectStmt *sql_pt_from_subselect(sql_ctx *c, PgQuery__SelectStmt *s, const char *alias)
{
	PgQuery__RangeSubselect *rs = sql_alloc(c, sizeof *rs);
	PgQuery__Alias *al = sql_alloc(c, sizeof *al);
	PgQuery__Node *from, *sel;
	if (!rs || !al)
		return NULL;
	pg_query__range_subselect__init(rs);
	pg_query__alias__init(al);
	al->aliasname = (char *)alias;
	rs->alias = al;
	if (!(rs->subquery = sql_pt_msg(c, PG_QUERY__NODE__NODE_SELECT_STMT, s)) ||
	    !(from = sql_pt_msg(c, PG_QUERY__NODE__NODE_RANGE_SUBSELECT, rs)) ||
	    !(sel = sql_pt_select_star(c, from, NULL)))
		return NULL;
	return sel->select_stmt;
}

PgQuery__Node *sql_pt_op(sql_ctx *c, const char *op, PgQuery__Node *l, PgQuery__Node *r, int loc)
{
	PgQuery__Node *n = sql_pt_node(c, PG_QUERY__NODE__NODE_A_EXPR),
		      **name = sql_alloc(c, sizeof *name);
	PgQuery__AExpr *a = sql_alloc(c, sizeof *a);
	if (!n || !name || !a || !l || !r || !(name[0] = sql_pt_string(c, op)))
		return NULL;
	pg_query__a__expr__init(a);
	a->kind = PG_QUERY__A__EXPR__KIND__AEXPR_OP;
	a->name = name;
	a->n_name = 1;
	a->lexpr = l;
	a->rexpr = r;
	a->location = loc;
	n->a_expr = a;
	return n;
}

PgQuery__Node *sql_pt_bool(sql_ctx *c, int and, PgQuery__Node *l, PgQuery__Node *r)
{
	PgQuery__Node *n, **args;
	PgQuery__BoolExpr *b;
	if (!l || !r)
		return NULL;
	if (!(n = sql_pt_node(c, PG_QUERY__NODE__NODE_BOOL_EXPR)) ||
	    !(b = sql_alloc(c, sizeof *b)) || !(args = sql_alloc(c, 2 * sizeof *args)))
		return NULL;
	pg_query__bool_expr__init(b);
	b->boolop = and? PG_QUERY__BOOL_EXPR_TYPE__AND_EXPR : PG_QUERY__BOOL_EXPR_TYPE__OR_EXPR;
	args[0] = l;
	args[1] = r;
	b->args = args;
	b->n_args = 2;
	b->location = -1;
	n->bool_expr = b;
	return n;
}

PgQuery__Node *sql_pt_and_list(sql_ctx *c, PgQuery__Node **args, size_t n)
{
	PgQuery__Node *node;
	PgQuery__BoolExpr *b;
	if (n <= 1)
		return n ? args[0] : NULL;
	if (!(node = sql_pt_node(c, PG_QUERY__NODE__NODE_BOOL_EXPR)) ||
	    !(b = sql_alloc(c, sizeof *b)))
		return NULL;
	pg_query__bool_expr__init(b);
	b->boolop = PG_QUERY__BOOL_EXPR_TYPE__AND_EXPR;
	b->args = args;
	b->n_args = n;
	b->location = -1;
	node->bool_expr = b;
	return node;
}

PgQuery__Node *sql_pt_colref(sql_ctx *c, const char *tbl, PgQuery__Node *col)
{
	PgQuery__Node *n = sql_pt_node(c, PG_QUERY__NODE__NODE_COLUMN_REF);
	PgQuery__ColumnRef *r = sql_alloc(c, sizeof *r);
	PgQuery__Node **f = sql_alloc(c, 2 * sizeof *f);
	if (!n || !r || !f || !col || !(f[0] = sql_pt_string(c, tbl)))
		return NULL;
	pg_query__column_ref__init(r);
	f[1] = col;
	r->fields = f;
	r->n_fields = 2;
	r->location = -1;
	n->column_ref = r;
	return n;
}

/* ---- the copy ---- */

typedef struct pt_map {
	sql_ctx *c;
	sql_pt_colref_fn fn;
	sql_pt_colref_fn call_fn; /* FuncCall nodes, or NULL */
	void *arg;
} pt_map;

static PgQuery__Node *map_node(const pt_map *m, PgQuery__Node *n);

/* A child message: a Node through map_node, any other copied. */
static ProtobufCMessage *map_msg(const pt_map *m, const ProtobufCMessage *msg);

static ProtobufCMessage *map_child(const pt_map *m, ProtobufCMessage *msg)
{
	if (msg && msg->descriptor == &pg_query__node__descriptor)
		return (ProtobufCMessage *)map_node(m, (PgQuery__Node *)msg);
	return map_msg(m, msg);
}

/* A copy of msg, its children mapped; NULL on failure. */
static ProtobufCMessage *map_msg(const pt_map *m, const ProtobufCMessage *msg)
{
	const ProtobufCMessageDescriptor *d;
	const ProtobufCFieldDescriptor *f;
	ProtobufCMessage *cp, **v;
	unsigned i = 0;
	size_t n;
	if (!msg || !msg->descriptor)
		return (ProtobufCMessage *)msg;
	d = msg->descriptor;
	if (!(cp = sql_alloc(m->c, d->sizeof_message)))
		return NULL;
	memcpy(cp, msg, d->sizeof_message);
	while ((f = sql_pt_next_field(cp, &i, &v, &n)) != NULL) {
		if (f->label == PROTOBUF_C_LABEL_REPEATED) { /* the copy's own array */
			ProtobufCMessage **nv = sql_alloc(m->c, n * sizeof *nv);
			if (!nv)
				return NULL;
			for (size_t j = 0; j < n; j++)
				if (!(nv[j] = map_child(m, v[j])) && v[j])
					return NULL;
			*(ProtobufCMessage ***)((char *)cp + f->offset) = nv;
		} else if (*v && !(*v = map_child(m, *v))) {
			return NULL;
		}
	}
	return cp;
}

static PgQuery__Node *map_node(const pt_map *m, PgQuery__Node *n)
{
	if (!n)
		return NULL;
	if (n->node_case == PG_QUERY__NODE__NODE_COLUMN_REF)
		return m->fn(m->arg, n);
	if (n->node_case == PG_QUERY__NODE__NODE_FUNC_CALL && m->call_fn) {
		PgQuery__Node *r = m->call_fn(m->arg, n);
		if (r != n)
			return r; /* replaced (or NULL: failed) */
	}
	return (PgQuery__Node *)map_msg(m, &n->base);
}

PgQuery__Node *sql_pt_map(sql_ctx *c, PgQuery__Node *n, sql_pt_colref_fn fn, void *arg)
{
	pt_map m = {c, fn, NULL, arg};
	return map_node(&m, n);
}

PgQuery__Node *sql_pt_map_calls(sql_ctx *c, PgQuery__Node *n, sql_pt_colref_fn fn,
				sql_pt_colref_fn call_fn, void *arg)
{
	pt_map m = {c, fn, call_fn, arg};
	return map_node(&m, n);
}

/* concat(x, ',', y) */
PgQuery__Node *sql_pt_concat3(sql_ctx *c, PgQuery__Node *x, PgQuery__Node *y)
{
	PgQuery__Node *n = sql_pt_node(c, PG_QUERY__NODE__NODE_FUNC_CALL), *comma;
	PgQuery__FuncCall *f = sql_alloc(c, sizeof *f);
	PgQuery__AConst *k = sql_alloc(c, sizeof *k);
	PgQuery__String *str = sql_alloc(c, sizeof *str);
	if (!n || !f || !k || !str || !x || !y ||
	    !(comma = sql_pt_node(c, PG_QUERY__NODE__NODE_A_CONST)))
		return NULL;
	pg_query__func_call__init(f);
	pg_query__a__const__init(k);
	pg_query__string__init(str);
	str->sval = ",";
	k->val_case = PG_QUERY__A__CONST__VAL_SVAL;
	k->sval = str;
	k->location = -1;
	comma->a_const = k;
	if (!(f->funcname = sql_alloc(c, sizeof *f->funcname)) ||
	    !(f->funcname[0] = sql_pt_string(c, "concat")) ||
	    !(f->args = sql_alloc(c, 3 * sizeof *f->args)))
		return NULL;
	f->n_funcname = 1;
	f->args[0] = x;
	f->args[1] = comma;
	f->args[2] = y;
	f->n_args = 3;
	f->location = -1;
	n->func_call = f;
	return n;
}

int sql_pt_volatile_call(const ProtobufCMessage *m, const void *arg)
{
	static const char *const volatile_fns[] = {"random",          "nextval",
						   "setval",          "clock_timestamp",
						   "gen_random_uuid", "timeofday",
						   "txid_current",    "currval",
						   "lastval"};
	const PgQuery__FuncCall *f = (const PgQuery__FuncCall *)m;
	const char *name;
	(void)arg;
	if (m->descriptor != &pg_query__func_call__descriptor || !f->n_funcname)
		return 0;
	name = sql_node_str(f->funcname[f->n_funcname - 1]);
	for (size_t i = 0; name && i < sizeof volatile_fns / sizeof volatile_fns[0]; i++)
		if (!strcmp(name, volatile_fns[i]))
			return 1;
	return 0;
}
