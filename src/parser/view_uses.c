/*
 * view_uses.c — which columns of a table a view's stored text uses.
 *
 * PostgreSQL records a view's dependency on each column its query reads,
 * so ALTER TABLE refuses to drop (2BP01) or retype (0A000) one a view
 * uses and lets the others go.  murphy keeps a view as its SELECT's text
 * (catalog/catalog_view.c) with the ids of the relations it reads; the
 * columns are read from the text here, on its parse tree, whenever an
 * ALTER TABLE asks (sql/plan_alter.c).  Since CREATE VIEW names the
 * columns of its `*` (analyze_view_star.c), the text names every column
 * it reads, except as listed below.
 *
 * The answer may say "uses" of a column the view does not read (never
 * the reverse): the names that stand for table t in the text are every
 * alias of a FROM item reading a relation named t (the table name when
 * it has none) and every join alias; then
 *   - q.col with q such a name, or a bare col (whatever table it reads),
 *     or col in JOIN ... USING (col): uses col;
 *   - every column: `*` (a view created before its `*` were named, or
 *     inside EXISTS (SELECT * ...), which PostgreSQL expands too), q.*,
 *     q as a whole row (row_to_json(q)), NATURAL JOIN, and a FROM item
 *     reading t or a join with a column alias list (FROM t AS x (p, q)
 *     reads t's columns by position, so any column before a used one
 *     matters).
 * A text that does not parse uses everything.
 */
#include "parser/analyze.h"
#include "parser/parser.h"
#include "parser/pwalk.h"

#include <string.h>

#define VIEW_USES_NAMES_MAX 64 /* names of t in one text; past them: every column */

typedef struct uses {
	const char *schema, *table, *col;
	const char *names[VIEW_USES_NAMES_MAX];
	int nnames;
	int all, used;
} uses;

static int is_name(const uses *u, const char *s)
{
	for (int i = 0; s && i < u->nnames; i++)
		if (!strcmp(u->names[i], s))
			return 1;
	return 0;
}

static void add_name(uses *u, const char *s, int renames)
{
	if (renames || u->nnames >= VIEW_USES_NAMES_MAX)
		u->all = 1;
	else if (s && !is_name(u, s))
		u->names[u->nnames++] = s;
}

static const char *str_of(const PgQuery__Node *n)
{
	return n && n->node_case == PG_QUERY__NODE__NODE_STRING ? n->string->sval : NULL;
}

/* Pass 1: the names that stand for t. */
static sql_pt_next names_visit(const ProtobufCMessage *m, sql_pt_at *at, void *arg)
{
	uses *u = arg;
	(void)at;
	if (m->descriptor == &pg_query__range_var__descriptor) {
		const PgQuery__RangeVar *rv = (const PgQuery__RangeVar *)m;
		if (rv->relname && !strcmp(rv->relname, u->table) &&
		    (!rv->schemaname || !*rv->schemaname || !strcmp(rv->schemaname, u->schema)))
			add_name(u, rv->alias ? rv->alias->aliasname : rv->relname,
				 rv->alias && rv->alias->n_colnames);
	} else if (m->descriptor == &pg_query__join_expr__descriptor) {
		const PgQuery__JoinExpr *j = (const PgQuery__JoinExpr *)m;
		if (j->alias)
			add_name(u, j->alias->aliasname, j->alias->n_colnames);
		if (j->join_using_alias)
			add_name(u, j->join_using_alias->aliasname, 0);
	}
	return SQL_PT_INTO;
}

static void column_ref(uses *u, const PgQuery__ColumnRef *r)
{
	const PgQuery__Node *last = r->n_fields ? r->fields[r->n_fields - 1] : NULL;
	const char *q = r->n_fields >= 2 ? str_of(r->fields[r->n_fields - 2]) : NULL;
	if (!last)
		return;
	if (last->node_case == PG_QUERY__NODE__NODE_A_STAR) {
		if (r->n_fields == 1 || is_name(u, q) || (q && !strcmp(q, u->table)))
			u->all = 1;
		return;
	}
	if (r->n_fields == 1) {
		if (!strcmp(str_of(last) ? str_of(last) : "", u->col))
			u->used = 1;
		else if (is_name(u, str_of(last)))
			u->all = 1; /* t as a whole row */
		return;
	}
	if ((is_name(u, q) || (q && !strcmp(q, u->table))) && str_of(last) &&
	    !strcmp(str_of(last), u->col))
		u->used = 1;
}

/* Pass 2: what the names read. */
static sql_pt_next uses_visit(const ProtobufCMessage *m, sql_pt_at *at, void *arg)
{
	uses *u = arg;
	(void)at;
	if (m->descriptor == &pg_query__column_ref__descriptor) {
		column_ref(u, (const PgQuery__ColumnRef *)m);
	} else if (m->descriptor == &pg_query__join_expr__descriptor) {
		const PgQuery__JoinExpr *j = (const PgQuery__JoinExpr *)m;
		if (j->is_natural)
			u->all = 1;
		for (size_t i = 0; i < j->n_using_clause; i++)
			if (str_of(j->using_clause[i]) &&
			    !strcmp(str_of(j->using_clause[i]), u->col))
				u->used = 1;
	}
	return u->all || u->used ? SQL_PT_STOP : SQL_PT_INTO;
}

int sql_view_uses_column(const char *sql, const char *schema, const char *table, const char *col)
{
	uses u = {.schema = schema, .table = table, .col = col};
	sql_tree *tree = NULL;
	mur_error err;
	PgQuery__ParseResult *r;
	mur_error_clear(&err);
	if (sql_parse(sql, &tree, &err) != MUR_OK)
		return 1;
	r = sql_tree_result(tree);
	for (size_t i = 0; i < r->n_stmts; i++)
		sql_pt_walk(&r->stmts[i]->stmt->base, names_visit, &u);
	for (size_t i = 0; i < r->n_stmts && !u.all && !u.used; i++)
		sql_pt_walk(&r->stmts[i]->stmt->base, uses_visit, &u);
	sql_tree_free(tree);
	return u.all || u.used;
}
