/*
 * view_rename.c — ALTER TABLE ... RENAME followed into the views' texts.
 *
 * PostgreSQL's view refers to its table and columns by number, so a
 * rename keeps the view working, and pg_get_viewdef prints the new names
 * with the view's own column name kept (`SELECT u.c AS a FROM u`).
 * murphy keeps a view as its SELECT's text (catalog/catalog_view.c), so
 * the text itself is rewritten (sql/plan_alter_views.c, at the rename's
 * plan; the leader stores it with the rename: leader/lead_ddl.c).
 *
 * Which words of the text name the renamed thing is the planner's answer,
 * not a guess: the view's text is planned again with c->refs set, and
 * sql_view_ref_note records, for each column reference and FROM name of
 * that text (not of a view it reads), the catalog table and column it
 * resolved to (analyze_expr.c, analyze_select.c).  Then, on the text's
 * parse tree:
 *
 *   RENAME COLUMN a TO c   each ColumnRef whose last name is a and that
 *                          resolved to t.a names c; as a select-list item
 *                          without an alias it becomes `c AS a`, so the
 *                          view's columns keep their names;
 *   RENAME TO u            each FROM name t that resolved to the table
 *                          names u, and each t.x read through that name
 *                          (no alias) becomes u.x.
 *
 * Refused (the caller answers 0A000, the view unchanged): a reference of
 * the old name nothing recorded (a correlated column, an ORDER BY naming
 * an output, a WITH query nobody reads: the planner did not say what it
 * reads), `*` (a view stored before its `*` were named), NATURAL JOIN or
 * USING naming the old column, a qualified name with a schema, and any
 * word of the text already spelling the new name (it could capture a
 * reference).  Words are found by location and lexed here; a comment
 * between the parts of a name refuses too.
 */
#include "parser/analyze.h"
#include "common/buf.h"
#include "common/ident.h"
#include "parser/pwalk.h"

#include <stdlib.h>
#include <string.h>

#define VIEW_RENAME_EDITS_MAX 1024 /* words of one view's text rewritten */

void sql_view_ref_note(sql_ctx *c, int loc, const cat_table *t, int col, const char *alias)
{
	sql_view_ref_note_id(c, loc, t && t->kind != CAT_TABLE_VIRTUAL ? t->id : 0, col, alias);
}

void sql_view_ref_note_rte(sql_ctx *c, int loc, const sql_rte *rte, int col)
{
	sql_view_ref_note_id(c, loc,
			     rte->view_id                                          ? rte->view_id
			     : rte->table && rte->table->kind != CAT_TABLE_VIRTUAL ? rte->table->id
										   : 0,
			     col, rte->alias);
}

void sql_view_ref_note_id(sql_ctx *c, int loc, uint32_t id, int col, const char *alias)
{
	sql_view_refs *r = c->refs;
	if (!r || loc < 0 || c->sql != r->text)
		return;
	for (int i = 0; i < r->n; i++)
		if (r->ref[i].loc == loc && r->ref[i].col == col && r->ref[i].table_id == id)
			return; /* analyzed again (a FROM read twice) */
	if (r->n >= SQL_VIEW_REFS_MAX) {
		r->overflow = 1;
		return;
	}
	r->ref[r->n].loc = loc;
	r->ref[r->n].table_id = id;
	r->ref[r->n].col = col;
	r->ref[r->n].alias = alias ? sql_strdup(c, alias) : NULL;
	r->n++;
}

/* ---- words ---- */

typedef struct span {
	int start, end;
} span;

static int ident_char(char ch, int first)
{
	return ch == '_' || (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
	       (unsigned char)ch >= 0x80 || (!first && ((ch >= '0' && ch <= '9') || ch == '$'));
}

/* The n dotted names starting at text + loc (`a`, `x . "B"`) into out;
 * the number lexed (< n when something else stands there). */
static int lex_names(const char *text, int loc, span *out, int n)
{
	const char *p = text + loc;
	int k = 0;
	while (k < n) {
		const char *s = p;
		if (*p == '"') {
			for (p++; *p && !(p[0] == '"' && p[1] != '"'); p += p[0] == '"' ? 2 : 1)
				;
			if (!*p)
				return k;
			p++;
		} else if (ident_char(*p, 1)) {
			while (ident_char(*p, 0))
				p++;
		} else {
			return k;
		}
		out[k].start = (int)(s - text);
		out[k++].end = (int)(p - text);
		if (k == n)
			break;
		while (*p && strchr(" \t\r\n\f", *p))
			p++;
		if (*p++ != '.')
			return k;
		while (*p && strchr(" \t\r\n\f", *p))
			p++;
	}
	return k;
}

/* ---- the walk ---- */

typedef struct edit {
	int start, end;   /* text[start..end) replaced (start == end: inserted) */
	const char *name; /* written as quote_ident would; NULL: nothing (deleted) */
	int as;           /* " AS name" rather than name */
} edit;

typedef struct renamer {
	const char *text;
	const sql_view_refs *refs;
	const sql_rename *rn;
	edit edits[VIEW_RENAME_EDITS_MAX];
	int nedits;
	/* select-list items `c AS a` whose alias goes (drop_alias): their
	 * alias spells the new name and captures nothing */
	const PgQuery__ResTarget *dropped[VIEW_RENAME_EDITS_MAX];
	int ndropped;
	const char *why;
} renamer;

/* What the reference at loc resolved to (want_col: a column, else a FROM
 * name); NULL when nothing recorded it, or two analyses of it disagreed
 * (the text is then not rewritten). */
static const sql_view_ref *ref_at(const renamer *r, int loc, int want_col)
{
	const sql_view_ref *found = NULL;
	for (int i = 0; i < r->refs->n; i++) {
		const sql_view_ref *x = &r->refs->ref[i];
		if (x->loc != loc || (x->col != -1) != want_col)
			continue;
		if (found && (found->table_id != x->table_id || found->col != x->col))
			return NULL;
		found = x;
	}
	return found;
}

static const char *str_of(const PgQuery__Node *n)
{
	return n && n->node_case == PG_QUERY__NODE__NODE_STRING ? n->string->sval : NULL;
}

static sql_pt_next refuse(renamer *r, const char *why)
{
	r->why = why;
	return SQL_PT_STOP;
}

static sql_pt_next add_edit(renamer *r, int start, int end, const char *name, int as)
{
	if (r->nedits >= VIEW_RENAME_EDITS_MAX)
		return refuse(r, "it names the renamed object too many times");
	r->edits[r->nedits++] = (edit){start, end, name, as};
	return SQL_PT_INTO;
}

/* The select list's item the ColumnRef at is, NULL when it is none. */
static const PgQuery__ResTarget *select_target(const sql_pt_at *at)
{
	const sql_pt_at *node = at->up, *target = node ? node->up : NULL;
	return target && target->m->descriptor == &pg_query__res_target__descriptor && target->up &&
			       target->up->up &&
			       target->up->up->m->descriptor == &pg_query__select_stmt__descriptor
		       ? (const PgQuery__ResTarget *)target->m
		       : NULL;
}

/* `c AS a` renamed back to a: PostgreSQL prints `t.a` (its alias says
 * nothing), so the text drops the ` AS a` after end. */
static sql_pt_next drop_alias(renamer *r, const PgQuery__ResTarget *rt, int end)
{
	const char *p = r->text + end;
	span sp;
	while (*p && strchr(" \t\r\n\f", *p))
		p++;
	if ((p[0] == 'a' || p[0] == 'A') && (p[1] == 's' || p[1] == 'S') && !ident_char(p[2], 0))
		for (p += 2; *p && strchr(" \t\r\n\f", *p);)
			p++;
	if (lex_names(r->text, (int)(p - r->text), &sp, 1) != 1)
		return refuse(r, "a comment stands inside a name it reads");
	if (r->ndropped >= VIEW_RENAME_EDITS_MAX)
		return refuse(r, "it names the renamed object too many times");
	r->dropped[r->ndropped++] = rt;
	return add_edit(r, end, sp.end, NULL, 0);
}

static sql_pt_next column_ref(renamer *r, const PgQuery__ColumnRef *cr, const sql_pt_at *at)
{
	const sql_rename *rn = r->rn;
	int n = (int)cr->n_fields;
	span sp[3];
	const sql_view_ref *ref;
	const PgQuery__ResTarget *rt;
	const char *last = n ? str_of(cr->fields[n - 1]) : NULL;
	if (!last)
		return refuse(r, "it reads `*`");
	if (rn->col < 0) { /* RENAME TO: t.x read through the relation's name */
		const char *q = n >= 2 ? str_of(cr->fields[n - 2]) : NULL;
		if (n == 1 && !strcmp(last, rn->name) && !ref_at(r, cr->location, 1))
			return refuse(r, "it reads the relation's row by its name");
		if (!q || strcmp(q, rn->name))
			return SQL_PT_INTO;
		if (n > 2)
			return refuse(r, "it names a column with its table's schema");
		if (!(ref = ref_at(r, cr->location, 1)))
			return refuse(r, "murphy could not tell what one of its names reads");
		if (ref->table_id != rn->id || !ref->alias || strcmp(ref->alias, rn->name))
			return SQL_PT_INTO;
		if (lex_names(r->text, cr->location, sp, 2) != 2)
			return refuse(r, "a comment stands inside a name it reads");
		return add_edit(r, sp[0].start, sp[0].end, r->rn->to, 0);
	}
	if (strcmp(last, rn->col_name))
		return SQL_PT_INTO;
	if (!(ref = ref_at(r, cr->location, 1)))
		return refuse(r, "murphy could not tell what one of its names reads");
	if (ref->table_id != rn->id || ref->col != rn->col)
		return SQL_PT_INTO; /* another relation's column of that name */
	if (n > 3 || lex_names(r->text, cr->location, sp, n) != n)
		return refuse(r, "a comment stands inside a name it reads");
	if (add_edit(r, sp[n - 1].start, sp[n - 1].end, r->rn->to, 0) != SQL_PT_INTO)
		return SQL_PT_STOP;
	if (!(rt = select_target(at)))
		return SQL_PT_INTO;
	if (!rt->name || !*rt->name)
		return add_edit(r, sp[n - 1].end, sp[n - 1].end, rn->col_name, 1);
	return strcmp(rt->name, r->rn->to) ? SQL_PT_INTO : drop_alias(r, rt, sp[n - 1].end);
}

static sql_pt_next range_var(renamer *r, const PgQuery__RangeVar *rv)
{
	int n = 1 + (rv->schemaname && *rv->schemaname) + (rv->catalogname && *rv->catalogname);
	span sp[3];
	const sql_view_ref *ref;
	if (r->rn->col >= 0 || !rv->relname || strcmp(rv->relname, r->rn->name))
		return SQL_PT_INTO;
	if (!(ref = ref_at(r, rv->location, 0)))
		return refuse(r, "murphy could not tell what one of its names reads");
	if (ref->table_id != r->rn->id)
		return SQL_PT_INTO;
	if (lex_names(r->text, rv->location, sp, n) != n)
		return refuse(r, "a comment stands inside a name it reads");
	return add_edit(r, sp[n - 1].start, sp[n - 1].end, r->rn->to, 0);
}

static sql_pt_next join(renamer *r, const PgQuery__JoinExpr *j)
{
	if (r->rn->col < 0)
		return SQL_PT_INTO;
	if (j->is_natural)
		return refuse(r, "it reads a NATURAL JOIN");
	for (size_t i = 0; i < j->n_using_clause; i++)
		if (str_of(j->using_clause[i]) &&
		    !strcmp(str_of(j->using_clause[i]), r->rn->col_name))
			return refuse(r, "it joins USING the renamed column");
	return SQL_PT_INTO;
}

/* Any word of the text spelling the new name could be captured by it,
 * but a qualified reference's column name (`s.a` reads s's a whatever
 * else is named a), an ORDER BY naming an output (the outputs keep their
 * names) and an alias drop_alias removes. */
static int spelled(const renamer *r, const char *s) { return s && !strcmp(s, r->rn->to); }

static sql_pt_next spells(const ProtobufCMessage *m, sql_pt_at *at, void *arg)
{
	const renamer *r = arg;
	const char *s = NULL;
	(void)at;
	for (int i = 0; i < r->ndropped; i++)
		if (m == &r->dropped[i]->base)
			return SQL_PT_INTO;
	if (m->descriptor == &pg_query__column_ref__descriptor) {
		const PgQuery__ColumnRef *cr = (const PgQuery__ColumnRef *)m;
		const sql_view_ref *ref = ref_at(r, cr->location, 1);
		if (ref && ref->col == -2)
			return SQL_PT_SKIP; /* an output's name: the outputs keep theirs */
		for (size_t k = 0; k < cr->n_fields; k++)
			if ((k + 1 < cr->n_fields || cr->n_fields == 1) &&
			    spelled(r, str_of(cr->fields[k])))
				return SQL_PT_STOP;
		return SQL_PT_SKIP;
	}
	if (m->descriptor == &pg_query__string__descriptor)
		s = ((const PgQuery__String *)m)->sval;
	else if (m->descriptor == &pg_query__range_var__descriptor)
		s = ((const PgQuery__RangeVar *)m)->relname;
	else if (m->descriptor == &pg_query__alias__descriptor)
		s = ((const PgQuery__Alias *)m)->aliasname;
	else if (m->descriptor == &pg_query__res_target__descriptor)
		s = ((const PgQuery__ResTarget *)m)->name;
	else if (m->descriptor == &pg_query__common_table_expr__descriptor)
		s = ((const PgQuery__CommonTableExpr *)m)->ctename;
	return spelled(r, s) ? SQL_PT_STOP : SQL_PT_INTO;
}

static sql_pt_next visit(const ProtobufCMessage *m, sql_pt_at *at, void *arg)
{
	renamer *r = arg;
	if (m->descriptor == &pg_query__column_ref__descriptor)
		return column_ref(r, (const PgQuery__ColumnRef *)m, at);
	if (m->descriptor == &pg_query__range_var__descriptor)
		return range_var(r, (const PgQuery__RangeVar *)m);
	if (m->descriptor == &pg_query__join_expr__descriptor)
		return join(r, (const PgQuery__JoinExpr *)m);
	return SQL_PT_INTO;
}

static int by_start(const void *a, const void *b)
{
	const edit *x = a, *y = b;
	return x->start != y->start ? (x->start > y->start) - (x->start < y->start) : x->as - y->as;
}

char *sql_view_renamed_text(sql_ctx *c, const char *text, const PgQuery__Node *select,
			    const sql_view_refs *refs, const sql_rename *rn, const char **why)
{
	renamer *r = sql_alloc(c, sizeof *r);
	mur_buf b;
	int at = 0;
	char *out;
	*why = NULL;
	if (!r)
		return NULL;
	r->text = text;
	r->refs = refs;
	r->rn = rn;
	if (refs->overflow)
		return *why = "it has too many names", NULL;
	if (sql_pt_walk(&select->base, visit, r))
		return *why = r->why, NULL;
	if (!r->nedits)
		return (char *)text;
	if (sql_pt_walk(&select->base, spells, r))
		return *why = "a name in it already spells the new name", NULL;
	qsort(r->edits, (size_t)r->nedits, sizeof r->edits[0], by_start);
	mur_buf_init(&b);
	for (int i = 0; i < r->nedits; i++) {
		const edit *e = &r->edits[i];
		mur_buf_put(&b, text + at, (size_t)(e->start - at));
		if (e->as)
			mur_buf_put(&b, " AS ", 4);
		if (e->name)
			mur_ident_put(&b, e->name);
		at = e->end;
	}
	mur_buf_put(&b, text + at, strlen(text + at));
	mur_buf_put_u8(&b, 0);
	if (!mur_buf_ok(&b)) {
		mur_buf_free(&b);
		sql_err(c, SQLSTATE_OUT_OF_MEMORY, -1, "out of memory");
		return NULL;
	}
	out = sql_strdup(c, (const char *)b.data);
	mur_buf_free(&b);
	return out;
}

void sql_view_ref_note_merged(sql_ctx *c, int loc, const sql_query *q, const char *tbl,
			      const char *col)
{
	for (int v = 0; c->refs && q && v < q->nview; v++) {
		const sql_view *w = &q->views[v];
		if ((tbl && strcmp(w->alias, tbl)) || (!tbl && w->first_rte < 0))
			continue;
		for (int k = 0; k < w->ncols; k++)
			if (!strcmp(w->cols[k].name, col)) {
				sql_view_ref_note_id(c, loc, w->view_id, w->view_id ? k : 0,
						     w->alias);
				return;
			}
	}
}
