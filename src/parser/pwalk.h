/*
 * pwalk.h — the one walk over a parse tree's messages (pwalk.c).
 *
 * libpg_query's tree is protobuf-c messages; a message's children are the
 * values of its message-typed fields, found through its descriptor, so no
 * node kind is forgotten:
 *
 *   a singular field   its message (NULL when unset: not a child);
 *   a repeated field   each message of its array, in order;
 *   a oneof member     only when it is the member set (a Node is a oneof
 *                      of ~250 kinds: only its one set kind is a child).
 *
 * sql_pt_walk visits m, then its children depth first in descriptor order
 * (a fixed order: parse_cache.c numbers A_Consts by it).  Every message is
 * visited, Node wrappers included; a NULL or uninitialized message (no
 * descriptor: one built here and not yet inited) is not.  The visitor
 * answers what comes next:
 *
 *   SQL_PT_INTO  walk m's children, then go on;
 *   SQL_PT_SKIP  do not walk m's children, go on (a visitor that must act
 *                after them calls sql_pt_walk_children itself, then skips);
 *   SQL_PT_STOP  end the whole walk: sql_pt_walk returns 1.
 *
 * Its sql_pt_at says where m sits: the parent's place (up), the parent's
 * field holding m, the depth (0 at the root, Node wrappers counted), and a
 * mark the visitor may set on m's place for its children to read through
 * up (lift.c: where a literal sits).  Places live on the walk's stack,
 * valid during the visit only.
 *
 * Recursion: one frame per level; depth.c refuses trees deeper than
 * SQL_DEPTH_TREE_MAX before any walk.  Nothing is allocated; the tree is
 * not changed.
 */
#ifndef PARSER_PWALK_H
#define PARSER_PWALK_H

#include <pg_query/pg_query.pb-c.h>
#include <stddef.h>

typedef enum sql_pt_next { SQL_PT_INTO = 0, SQL_PT_SKIP, SQL_PT_STOP } sql_pt_next;

typedef struct sql_pt_at {
	const struct sql_pt_at *up;            /* the parent's place; NULL at the root */
	const ProtobufCMessage *m;             /* the message visited */
	const ProtobufCFieldDescriptor *field; /* up->m's field holding m; NULL at the root */
	int depth;                             /* 0 at the root */
	int mark;                              /* the visitor's, 0 until it sets one */
} sql_pt_at;

typedef sql_pt_next (*sql_pt_visit_fn)(const ProtobufCMessage *m, sql_pt_at *at, void *arg);

/* Visit m and the tree under it; 1 when a visit answered SQL_PT_STOP,
 * else 0 (also for a NULL m). */
int sql_pt_walk(const ProtobufCMessage *m, sql_pt_visit_fn visit, void *arg);

/* Walk at->m's children (each visited as by sql_pt_walk, at their
 * parent); 1 when a visit stopped the walk.  For a visitor that works
 * after the children: it calls this, then answers SQL_PT_STOP when this
 * returned 1, else SQL_PT_SKIP. */
int sql_pt_walk_children(sql_pt_at *at, sql_pt_visit_fn visit, void *arg);

/* Whether pred holds for m or any message under it (sql_pt_walk,
 * stopping at the first that does). */
typedef int (*sql_tree_pred)(const ProtobufCMessage *m, const void *arg);
int sql_tree_any(const ProtobufCMessage *m, sql_tree_pred pred, const void *arg);

/* The children of m field by field, for code that builds a tree rather
 * than reads one (analyze_ptree.c's copy): the next message-typed field
 * of m at or after index *i that holds children, with its slots (*v, *n:
 * a singular field's one slot, which may hold NULL; a repeated field's
 * array, n >= 1); *i moves past it.  NULL when no field is left.  The
 * slots are m's own memory: the caller writes them only in a message it
 * owns. */
static inline const ProtobufCFieldDescriptor *
sql_pt_next_field(const ProtobufCMessage *m, unsigned *i, ProtobufCMessage ***v, size_t *n)
{
	const ProtobufCMessageDescriptor *d = m->descriptor;
	const char *base = (const char *)m;
	if (d == &pg_query__node__descriptor) { /* a oneof of every kind: straight to the set one */
		unsigned kind = (unsigned)((const PgQuery__Node *)m)->node_case;
		const ProtobufCFieldDescriptor *f = NULL;
		if (*i == 0 && kind)
			f = kind <= d->n_fields && d->fields[kind - 1].id == kind
				    ? &d->fields[kind - 1]
				    : protobuf_c_message_descriptor_get_field(d, kind);
		*i = d->n_fields;
		if (!f || f->type != PROTOBUF_C_TYPE_MESSAGE)
			return NULL;
		*v = (ProtobufCMessage **)(base + f->offset);
		*n = 1;
		return f;
	}
	for (; *i < d->n_fields; ++*i) {
		const ProtobufCFieldDescriptor *f = &d->fields[*i];
		if (f->type != PROTOBUF_C_TYPE_MESSAGE)
			continue;
		if ((f->flags & PROTOBUF_C_FIELD_FLAG_ONEOF) &&
		    *(const uint32_t *)(base + f->quantifier_offset) != f->id)
			continue;
		if (f->label == PROTOBUF_C_LABEL_REPEATED) {
			*n = *(const size_t *)(base + f->quantifier_offset);
			*v = *(ProtobufCMessage ***)(base + f->offset);
		} else {
			*n = 1;
			*v = (ProtobufCMessage **)(base + f->offset);
		}
		if (*n == 0)
			continue;
		++*i;
		return f;
	}
	return NULL;
}

#endif
