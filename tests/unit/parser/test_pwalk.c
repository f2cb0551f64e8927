/*
 * test_pwalk.c — the parse-tree walk (src/parser/pwalk.c): it visits the
 * same messages in the same order as a plain recursion over every field
 * of every descriptor would (a Node's set kind only), each with its right
 * parent, field and depth; SKIP leaves a subtree out, STOP ends the walk
 * and is reported; marks reach the children through up.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "parser/analyze.h"
#include "parser/parser.h"
#include "parser/pwalk.h"

#include <string.h>

#define SEEN_MAX 4096

typedef struct seen {
	const ProtobufCMessage *m[SEEN_MAX];
	int depth[SEEN_MAX];
	int n;
} seen;

/* The reference: every message-typed field of every message, in
 * descriptor order, a oneof member only when set. */
static void plain(const ProtobufCMessage *m, int depth, seen *s)
{
	const char *base = (const char *)m;
	const ProtobufCMessageDescriptor *d;
	if (!m || !m->descriptor)
		return;
	assert_true(s->n < SEEN_MAX);
	s->depth[s->n] = depth;
	s->m[s->n++] = m;
	d = m->descriptor;
	for (unsigned i = 0; i < d->n_fields; i++) {
		const ProtobufCFieldDescriptor *f = &d->fields[i];
		if (f->type != PROTOBUF_C_TYPE_MESSAGE)
			continue;
		if ((f->flags & PROTOBUF_C_FIELD_FLAG_ONEOF) &&
		    *(const uint32_t *)(base + f->quantifier_offset) != f->id)
			continue;
		if (f->label == PROTOBUF_C_LABEL_REPEATED) {
			size_t n = *(const size_t *)(base + f->quantifier_offset);
			ProtobufCMessage *const *v = *(ProtobufCMessage *const *const *)(base +
											 f->offset);
			for (size_t j = 0; j < n; j++)
				plain(v[j], depth + 1, s);
		} else {
			plain(*(ProtobufCMessage *const *)(base + f->offset), depth + 1, s);
		}
	}
}

/* 1 when the parent's field f holds m. */
static int field_holds(const ProtobufCMessage *parent, const ProtobufCFieldDescriptor *f,
		       const ProtobufCMessage *m)
{
	const char *base = (const char *)parent;
	if (f->label != PROTOBUF_C_LABEL_REPEATED)
		return *(ProtobufCMessage *const *)(base + f->offset) == m;
	size_t n = *(const size_t *)(base + f->quantifier_offset);
	ProtobufCMessage *const *v = *(ProtobufCMessage *const *const *)(base + f->offset);
	for (size_t j = 0; j < n; j++)
		if (v[j] == m)
			return 1;
	return 0;
}

static sql_pt_next record(const ProtobufCMessage *m, sql_pt_at *at, void *arg)
{
	seen *s = arg;
	assert_ptr_equal(at->m, m);
	if (at->up) {
		assert_int_equal(at->depth, at->up->depth + 1);
		assert_true(field_holds(at->up->m, at->field, m));
	} else {
		assert_int_equal(at->depth, 0);
		assert_null(at->field);
	}
	assert_true(s->n < SEEN_MAX);
	s->depth[s->n] = at->depth;
	s->m[s->n++] = m;
	return SQL_PT_INTO;
}

static const char *const statements[] = {
	"SELECT a, b + 1 FROM t JOIN u ON t.id = u.id WHERE c IN (2, 3) AND d = 'x' ORDER BY 1",
	"INSERT INTO t VALUES (1, 2), (3, -4) ON CONFLICT (a) DO NOTHING",
	"UPDATE t SET a = a + -5 WHERE id = (SELECT max(x) FROM v WHERE v.y = t.y)",
	"WITH RECURSIVE r(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM r WHERE n < 5) "
	"SELECT CASE WHEN n > 2 THEN n::text ELSE 'small' END FROM r",
	"SELECT relname FROM pg_catalog.pg_class c WHERE c.oid = 'x'::regclass LIMIT 5",
};

static void test_same_order_as_a_plain_recursion(void **state)
{
	(void)state;
	for (size_t k = 0; k < sizeof statements / sizeof statements[0]; k++) {
		static seen want, got;
		sql_tree *t = NULL;
		mur_error err;
		assert_int_equal(sql_parse(statements[k], &t, &err), MUR_OK);
		const ProtobufCMessage *root = &sql_tree_result(t)->base;
		want.n = got.n = 0;
		plain(root, 0, &want);
		assert_int_equal(sql_pt_walk(root, record, &got), 0);
		assert_true(want.n > 20);
		assert_int_equal(got.n, want.n);
		for (int i = 0; i < want.n; i++) {
			assert_ptr_equal(got.m[i], want.m[i]);
			assert_int_equal(got.depth[i], want.depth[i]);
		}
		sql_tree_free(t);
	}
}

static sql_pt_next count_aconst(const ProtobufCMessage *m, sql_pt_at *at, void *arg)
{
	int *n = arg;
	*n += m->descriptor == &pg_query__a__const__descriptor;
	return SQL_PT_INTO;
}

static sql_pt_next skip_where(const ProtobufCMessage *m, sql_pt_at *at, void *arg)
{
	if (at->field && !strcmp(at->field->name, "where_clause"))
		return SQL_PT_SKIP;
	return count_aconst(m, at, arg);
}

static sql_pt_next stop_at_second(const ProtobufCMessage *m, sql_pt_at *at, void *arg)
{
	count_aconst(m, at, arg);
	return *(int *)arg == 2 ? SQL_PT_STOP : SQL_PT_INTO;
}

/* Each message's mark is its parent's + 1: children read it through up. */
static sql_pt_next marks(const ProtobufCMessage *m, sql_pt_at *at, void *arg)
{
	at->mark = at->up ? at->up->mark + 1 : 0;
	assert_int_equal(at->mark, at->depth);
	return SQL_PT_INTO;
}

static void test_skip_stop_and_marks(void **state)
{
	(void)state;
	sql_tree *t = NULL;
	mur_error err;
	int n = 0;
	assert_int_equal(sql_parse("SELECT 1, 2 FROM t WHERE a = 3 AND b = 4", &t, &err), MUR_OK);
	const ProtobufCMessage *root = &sql_tree_result(t)->base;
	assert_int_equal(sql_pt_walk(root, count_aconst, &n), 0);
	assert_int_equal(n, 4);
	n = 0;
	assert_int_equal(sql_pt_walk(root, skip_where, &n), 0);
	assert_int_equal(n, 2); /* the select list's only */
	n = 0;
	assert_int_equal(sql_pt_walk(root, stop_at_second, &n), 1);
	assert_int_equal(n, 2); /* none after the stop */
	assert_int_equal(sql_pt_walk(root, marks, NULL), 0);
	assert_int_equal(sql_pt_walk(NULL, marks, NULL), 0);
	sql_tree_free(t);
}

static int is_func_call(const ProtobufCMessage *m, const void *arg)
{
	return m->descriptor == &pg_query__func_call__descriptor;
}

static void test_tree_any(void **state)
{
	(void)state;
	sql_tree *t = NULL;
	mur_error err;
	assert_int_equal(sql_parse("SELECT a FROM t WHERE b = lower(c)", &t, &err), MUR_OK);
	assert_true(sql_tree_any(&sql_tree_result(t)->base, is_func_call, NULL));
	sql_tree_free(t);
	assert_int_equal(sql_parse("SELECT a FROM t WHERE b = c", &t, &err), MUR_OK);
	assert_false(sql_tree_any(&sql_tree_result(t)->base, is_func_call, NULL));
	sql_tree_free(t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_same_order_as_a_plain_recursion),
		cmocka_unit_test(test_skip_stop_and_marks),
		cmocka_unit_test(test_tree_any),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
