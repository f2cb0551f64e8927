/*
 * analyze_view_star.c — CREATE VIEW fixes the columns its `*` reads.
 *
 * PostgreSQL expands `*` and `t.*` of a view's query when the view is
 * created: columns added to a table later are not the view's, and
 * pg_get_viewdef prints the list (SELECT t.a, t.b FROM t).  murphy keeps a
 * view as its SELECT's text (catalog/catalog_view.c), so the text itself
 * must name the columns, or a later ALTER TABLE ... ADD COLUMN changes
 * what the view answers.
 *
 * How: while CREATE VIEW plans its query (sql/plan_view.c), c->stars is
 * set and expand_star (analyze_select.c) records, for each select-list
 * `*` of the statement's own text (not of a view it reads, whose text is
 * c->sql then), the columns it stood for as the name scope saw them: a
 * qualifier (the FROM item's alias: for a column JOIN ... USING merged,
 * the side it reads, NULL for a FULL JOIN's, which its bare name reads)
 * and a name.  An analysis that runs
 * again (analyze_select.c reads FROM twice when a merge fails) records
 * again: the last one stands.  sql_view_star_text then writes the view's
 * text with each recorded `*` replaced by "q.a, q.b" (names quoted as
 * quote_ident would, as pg_get_viewdef prints them).  plan_view.c plans
 * the new text again and checks it answers the same columns.
 *
 * A rewrite that flattens a LATERAL subquery into the query around it
 * (analyze_lateral.c, analyze_lateral_topn.c) reads `*` itself, as the
 * other FROM items' `t.*` and the subquery's columns: it records that
 * (a NULL name is `t.*`), and the next plan of the new text names the
 * `t.*`.  A select-list `*` outside a sublink that nothing recorded is
 * refused (0A000): the text would not say what the view reads.  One in
 * a query whose columns nobody reads keeps its text: a sublink's
 * (EXISTS (SELECT * ...)) when no analysis expanded it, a WITH query's
 * that no FROM names (murphy never analyzes it).
 *
 * Stars are found by location: only a ColumnRef of a select list of the
 * parsed text counts (sql_view_star_locs); nodes the planner builds carry
 * location -1 and are never recorded.
 */
#include "parser/analyze.h"
#include "common/ident.h"
#include "parser/pwalk.h"

#include <stdlib.h>
#include <string.h>

int sql_view_star_begin(sql_ctx *c, int loc)
{
	sql_view_stars *s = c->stars;
	int i;
	if (!s || loc < 0 || c->sql != s->text || sql_star_span_end(c->sql, loc) < 0)
		return -1; /* not a `*` of the text (a node built with another's location) */
	for (i = 0; i < s->n && s->star[i].loc != loc; i++)
		;
	if (i == s->n) {
		if (s->n >= SQL_VIEW_STARS_MAX)
			return sql_err(c, SQLSTATE_PROGRAM_LIMIT_EXCEEDED, loc,
				       "a view's query may use `*` at most %d times",
				       SQL_VIEW_STARS_MAX),
			       -2;
		if (!(s->star[i].cols = sql_alloc(c, sizeof *s->star[i].cols * SQL_TARGETS_MAX)))
			return -2;
		s->star[i].loc = loc;
		s->n++;
	}
	s->star[i].n = 0;
	return i;
}

int sql_view_star_col(sql_ctx *c, int at, const char *qual, const char *name)
{
	sql_view_star *st;
	if (at < 0)
		return MUR_OK;
	st = &c->stars->star[at];
	if (st->n >= SQL_TARGETS_MAX)
		return sql_err(c, SQLSTATE_PROGRAM_LIMIT_EXCEEDED, st->loc,
			       "target lists can have at most %d entries", SQL_TARGETS_MAX);
	st->cols[st->n].qual = qual ? sql_strdup(c, qual) : NULL;
	st->cols[st->n].name = name ? sql_strdup(c, name) : NULL;
	if ((qual && !st->cols[st->n].qual) || (name && !st->cols[st->n].name))
		return MUR_ERR;
	st->n++;
	return MUR_OK;
}

/* ---- the `*` items of a parsed text ---- */

static const sql_view_star *recorded(const sql_view_stars *s, int loc)
{
	for (int i = 0; i < s->n; i++)
		if (s->star[i].loc == loc)
			return &s->star[i];
	return NULL;
}

typedef struct star_locs {
	int *locs;
	int n, max;
	int outside; /* a star of a query the view reads nothing recorded (its loc), -1: none */
	const sql_view_stars *s;
	const ProtobufCMessage *root;
} star_locs;

static int names_relation(const ProtobufCMessage *m, const void *arg)
{
	const PgQuery__RangeVar *rv = (const PgQuery__RangeVar *)m;
	return m->descriptor == &pg_query__range_var__descriptor &&
	       !(rv->schemaname && *rv->schemaname) && rv->relname && !strcmp(rv->relname, arg);
}

/* 1 when nothing reads the columns of the select list at: a sublink's
 * query (EXISTS (SELECT * ...): PostgreSQL expands it, nobody reads it),
 * or a WITH query no FROM names. */
static int not_read(const star_locs *l, const sql_pt_at *at)
{
	for (; at; at = at->up) {
		const PgQuery__CommonTableExpr *cte = (const PgQuery__CommonTableExpr *)at->m;
		if (at->m->descriptor == &pg_query__sub_link__descriptor)
			return 1;
		if (at->m->descriptor == &pg_query__common_table_expr__descriptor &&
		    !sql_tree_any(l->root, names_relation, cte->ctename))
			return 1;
	}
	return 0;
}

static int is_star_ref(const PgQuery__Node *n)
{
	return n && n->node_case == PG_QUERY__NODE__NODE_COLUMN_REF &&
	       n->column_ref->n_fields > 0 &&
	       n->column_ref->fields[n->column_ref->n_fields - 1]->node_case ==
		       PG_QUERY__NODE__NODE_A_STAR;
}

static sql_pt_next star_visit(const ProtobufCMessage *m, sql_pt_at *at, void *arg)
{
	star_locs *l = arg;
	const PgQuery__SelectStmt *s = (const PgQuery__SelectStmt *)m;
	if (m->descriptor != &pg_query__select_stmt__descriptor)
		return SQL_PT_INTO;
	for (size_t i = 0; i < s->n_target_list; i++) {
		const PgQuery__ResTarget *rt = s->target_list[i]->res_target;
		if (s->target_list[i]->node_case != PG_QUERY__NODE__NODE_RES_TARGET ||
		    !is_star_ref(rt->val))
			continue;
		if (l->n >= l->max)
			return SQL_PT_STOP;
		l->locs[l->n++] = rt->val->column_ref->location;
		if (l->outside < 0 && l->s && !not_read(l, at) &&
		    !recorded(l->s, rt->val->column_ref->location))
			l->outside = rt->val->column_ref->location;
	}
	return SQL_PT_INTO;
}

int sql_view_star_locs(const PgQuery__Node *select, const sql_view_stars *s, int *locs, int max,
		       int *unrecorded)
{
	star_locs l = {.locs = locs, .max = max, .outside = -1, .s = s, .root = &select->base};
	int stopped = sql_pt_walk(&select->base, star_visit, &l);
	if (unrecorded)
		*unrecorded = l.outside;
	return stopped ? -1 : l.n;
}

/* ---- the text ---- */

int sql_star_span_end(const char *text, int loc)
{
	const char *p = text + loc;
	if (loc < 0)
		return -1;
	while (*p && *p != '*') {
		if (*p == '"') { /* a quoted name: "" is a quote inside it */
			for (p++; *p && !(p[0] == '"' && p[1] != '"'); p += p[0] == '"' ? 2 : 1)
				;
			if (!*p)
				return -1;
			p++;
		} else if (*p == '.' || *p == '_' || *p == '$' || (*p >= 'a' && *p <= 'z') ||
			   (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
			   (unsigned char)*p >= 0x80 || strchr(" \t\r\n\f", *p)) {
			p++;
		} else {
			return -1; /* a comment or anything else: not a plain t.* */
		}
	}
	return *p == '*' ? (int)(p - text) + 1 : -1;
}

static void star_list(mur_buf *b, const sql_view_star *st)
{
	for (int k = 0; k < st->n; k++) {
		if (k)
			mur_buf_printf(b, ", ");
		if (st->cols[k].qual) {
			mur_ident_put(b, st->cols[k].qual);
			mur_buf_put_u8(b, '.');
		}
		if (st->cols[k].name)
			mur_ident_put(b, st->cols[k].name);
		else
			mur_buf_put_u8(b, '*'); /* qual.*: named by the next round */
	}
}

int sql_view_star_rewrite(const char *text, int off, int end, const int *locs, int nlocs,
			  const sql_view_stars *s, mur_buf *out)
{
	int at = off; /* copied through here (an offset in text) */
	for (int i = 0; i < nlocs; i++) {
		const sql_view_star *st = recorded(s, locs[i]);
		int past;
		if (!st || st->n == 0 || locs[i] < at || locs[i] >= end)
			continue;
		if ((past = sql_star_span_end(text, locs[i])) < 0 || past > end)
			return MUR_ERR;
		mur_buf_put(out, text + at, (size_t)(locs[i] - at));
		star_list(out, st);
		at = past;
	}
	mur_buf_put(out, text + at, (size_t)(end - at));
	return mur_buf_ok(out) ? MUR_OK : MUR_ERR;
}

static int cmp_int(const void *a, const void *b) { return *(const int *)a - *(const int *)b; }

char *sql_view_star_text(sql_ctx *c, const sql_view_stars *s, const PgQuery__Node *select,
			 const char *view_sql, int off)
{
	int locs[SQL_VIEW_STARS_MAX * 4], n, unrecorded;
	mur_buf b;
	char *out;
	size_t len;
	if ((n = sql_view_star_locs(select, s, locs, (int)(sizeof locs / sizeof locs[0]),
				    &unrecorded)) < 0)
		return sql_err(c, SQLSTATE_PROGRAM_LIMIT_EXCEEDED, -1,
			       "a view's query may use `*` at most %d times",
			       (int)(sizeof locs / sizeof locs[0])),
		       NULL;
	if (unrecorded >= 0) {
		sql_err(c, SQLSTATE_FEATURE_NOT_SUPPORTED, s->text == c->sql ? unrecorded : -1,
			"murphy cannot name the columns of this view's `*` yet");
		mur_error_detail(c->err,
				 "PostgreSQL fixes the columns a view's `*` stands for when the "
				 "view is created; murphy did not expand this one while planning "
				 "the view (a WITH query the view does not read, or a query "
				 "murphy rewrote first), so it cannot name them.");
		mur_error_hint(c->err, "Name the columns in the view's select list.");
		return NULL;
	}
	if (s->n == 0)
		return (char *)view_sql;
	qsort(locs, (size_t)n, sizeof locs[0], cmp_int);
	mur_buf_init(&b);
	if (sql_view_star_rewrite(s->text, off, off + (int)strlen(view_sql), locs, n, s, &b) !=
	    MUR_OK) {
		mur_buf_free(&b);
		return sql_err(c, SQLSTATE_FEATURE_NOT_SUPPORTED, -1,
			       "murphy cannot name the columns of this view's `*` yet"),
		       NULL;
	}
	len = b.len;
	out = sql_alloc(c, len + 1);
	if (out)
		memcpy(out, mur_buf_cstr(&b), len);
	mur_buf_free(&b);
	return out;
}
