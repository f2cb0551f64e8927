/*
 * pwalk.c — the one walk over a parse tree's messages (pwalk.h: the
 * children of a message, the visit order, what a visitor may answer).
 *
 * Its callers: parse_cache.c (the A_Consts of a tree, in order, at every
 * cached parse), lift.c (the literals the plan cache makes parameters),
 * pgcatalog/pgc_wants.c (is this a catalog query), analyze_outerkey.c and
 * analyze_semifrom.c (the column references of a subquery), and
 * sql_tree_any below (does any message satisfy a predicate: many analyze_*
 * checks).  analyze_ptree.c's copy walks the same children through
 * sql_pt_next_field.
 *
 * One call of the visitor per message, one frame of C stack per level;
 * the parse path runs it on every statement it parses (parse_cache.c) and
 * every plan-cache miss (lift.c).
 */
#include "parser/pwalk.h"

static int walk(sql_pt_at *at, sql_pt_visit_fn visit, void *arg)
{
	switch (visit(at->m, at, arg)) {
	case SQL_PT_STOP:
		return 1;
	case SQL_PT_SKIP:
		return 0;
	default:
		return sql_pt_walk_children(at, visit, arg);
	}
}

int sql_pt_walk_children(sql_pt_at *at, sql_pt_visit_fn visit, void *arg)
{
	const ProtobufCFieldDescriptor *f;
	ProtobufCMessage **v;
	unsigned i = 0;
	size_t n;
	while ((f = sql_pt_next_field(at->m, &i, &v, &n)) != NULL) {
		for (size_t j = 0; j < n; j++) {
			sql_pt_at child = {at, v[j], f, at->depth + 1, 0};
			if (v[j] && v[j]->descriptor && walk(&child, visit, arg))
				return 1;
		}
	}
	return 0;
}

int sql_pt_walk(const ProtobufCMessage *m, sql_pt_visit_fn visit, void *arg)
{
	sql_pt_at root = {NULL, m, NULL, 0, 0};
	if (!m || !m->descriptor)
		return 0;
	return walk(&root, visit, arg);
}

typedef struct tree_any {
	sql_tree_pred pred;
	const void *arg;
} tree_any;

static sql_pt_next any_visit(const ProtobufCMessage *m, sql_pt_at *at, void *arg)
{
	const tree_any *a = arg;
	return a->pred(m, a->arg) ? SQL_PT_STOP : SQL_PT_INTO;
}

int sql_tree_any(const ProtobufCMessage *m, sql_tree_pred pred, const void *arg)
{
	tree_any a = {pred, arg};
	return sql_pt_walk(m, any_visit, &a);
}
