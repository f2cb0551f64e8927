/*
 * pgc_join.c — joins in a catalog query (pgc_deparse.c writes the rest):
 *
 *   l [INNER | LEFT | RIGHT | FULL] JOIN r ON q    as written (SQLite 3.39+
 *                                                  has RIGHT and FULL)
 *   l JOIN r USING (a, b)                          as written: SQLite merges
 *                                                  a and b as PostgreSQL does
 *                                                  (the left's, the right's for
 *                                                  RIGHT, either for FULL)
 *   l NATURAL JOIN r                               USING (the columns both
 *                                                  sides have, in the left's
 *                                                  order); ON 1 for none
 *   l CROSS JOIN r                                 JOIN ... ON 1
 *
 * A merging join is recorded (pgc_dp_using: the scopes of its two sides
 * and its columns) so that SELECT * shows each merged column once, before
 * the others, as PostgreSQL does (pgc_dp_star_merged, pgc_dp_merged_away);
 * x.* still shows x's own.  Its columns are looked up in the left side
 * for their type; past PGC_USING_MAX joins or PGC_USING_COLS_MAX columns
 * the query is 0A000.
 */
#include "pgcatalog/pgc_int.h"

#include <stdio.h>
#include <string.h>

/* Column name's type in scopes [from, to), MT_UNKNOWN when none has it. */
static mur_type type_in(const pgc_dp *d, int from, int to, const char *name)
{
	pgc_column cols[PGC_COLUMNS_MAX];
	for (int i = from; i < to; i++) {
		int n = pgc_dp_scope_columns(&d->scope[i], cols);
		for (int k = 0; k < n; k++)
			if (!strcmp(cols[k].name, name))
				return cols[k].type;
	}
	return MT_UNKNOWN;
}

static void merge_add(pgc_dp *d, pgc_dp_using *u, const char *name)
{
	if (u->ncols >= PGC_USING_COLS_MAX) {
		pgc_dp_fail(d, "a join merging this many columns");
		return;
	}
	snprintf(u->cols[u->ncols], PGC_NAME_MAX, "%s", name);
	u->types[u->ncols] = type_in(d, u->first, u->mid, name);
	if (u->types[u->ncols] == MT_UNKNOWN)
		u->types[u->ncols] = MT_TEXT;
	u->ncols++;
}

/* NATURAL: the left side's columns the right side has too. */
static void natural_columns(pgc_dp *d, pgc_dp_using *u)
{
	pgc_column cols[PGC_COLUMNS_MAX];
	for (int i = u->first; i < u->mid && !d->failed; i++) {
		int n = pgc_dp_scope_columns(&d->scope[i], cols);
		for (int k = 0; k < n && !d->failed; k++)
			if (type_in(d, u->mid, u->last, cols[k].name) != MT_UNKNOWN)
				merge_add(d, u, cols[k].name);
	}
}

static void write_using(pgc_dp *d, const pgc_dp_using *u)
{
	if (!u->ncols) {
		pgc_dp_out(d, " ON 1");
		return;
	}
	pgc_dp_out(d, " USING (");
	for (int k = 0; k < u->ncols; k++) {
		if (k)
			pgc_dp_out(d, ", ");
		pgc_put_ident(d->b, u->cols[k]);
	}
	pgc_dp_out(d, ")");
}

static const char *join_keyword(PgQuery__JoinType t)
{
	switch (t) {
	case PG_QUERY__JOIN_TYPE__JOIN_LEFT:
		return " LEFT JOIN ";
	case PG_QUERY__JOIN_TYPE__JOIN_RIGHT:
		return " RIGHT JOIN ";
	case PG_QUERY__JOIN_TYPE__JOIN_FULL:
		return " FULL JOIN ";
	case PG_QUERY__JOIN_TYPE__JOIN_INNER:
		return " JOIN ";
	default:
		return NULL;
	}
}

void pgc_dp_join(pgc_dp *d, const PgQuery__JoinExpr *j)
{
	const char *kw = join_keyword(j->jointype);
	pgc_dp_using *u = NULL;
	if (!kw) {
		pgc_dp_fail(d, "this join");
		return;
	}
	if (j->n_using_clause || j->is_natural) {
		if (d->nusing >= PGC_USING_MAX) {
			pgc_dp_fail(d, "this many USING or NATURAL joins");
			return;
		}
		u = &d->using[d->nusing++]; /* an enclosing join's record comes first */
		memset(u, 0, sizeof *u);
		u->first = d->nscope;
	}
	pgc_dp_out(d, "(");
	pgc_dp_from_item(d, j->larg);
	pgc_dp_out(d, kw);
	if (u)
		u->mid = d->nscope;
	pgc_dp_from_item(d, j->rarg);
	if (u) {
		u->last = d->nscope;
		for (size_t k = 0; k < j->n_using_clause && !d->failed; k++)
			merge_add(d, u,
				  pgc_dp_str(j->using_clause[k]) ? pgc_dp_str(j->using_clause[k])
								 : "?");
		if (j->is_natural)
			natural_columns(d, u);
		write_using(d, u);
	} else if (j->quals) {
		pgc_dp_out(d, " ON ");
		pgc_dp_expr(d, j->quals);
	} else {
		pgc_dp_out(d, " ON 1"); /* CROSS JOIN */
	}
	pgc_dp_out(d, ")");
}

/* Does join k merge name? */
static int merges(const pgc_dp_using *u, const char *name)
{
	for (int c = 0; c < u->ncols; c++)
		if (!strcmp(u->cols[c], name))
			return 1;
	return 0;
}

/* Is name of join k merged by an enclosing join too (recorded before it,
 * its scopes around k's)? */
static int merged_outside(const pgc_dp *d, int k, const char *name)
{
	const pgc_dp_using *u = &d->using[k];
	for (int o = 0; o < k; o++) {
		const pgc_dp_using *w = &d->using[o];
		if (w->first <= u->first && u->last <= w->last && merges(w, name))
			return 1;
	}
	return 0;
}

void pgc_dp_star_merged(pgc_dp *d, int i, pgc_column *cols, int *ncols, int *n)
{
	for (int k = 0; k < d->nusing; k++) {
		const pgc_dp_using *u = &d->using[k];
		if (u->first != i || u->last <= u->first)
			continue;
		for (int c = 0; c < u->ncols; c++) {
			if (merged_outside(d, k, u->cols[c]))
				continue;
			if ((*n)++)
				pgc_dp_out(d, ", ");
			pgc_put_ident(d->b, u->cols[c]);
			if (*ncols >= PGC_COLUMNS_MAX) {
				pgc_dp_fail(d, "this many result columns");
				return;
			}
			snprintf(cols[*ncols].name, PGC_NAME_MAX, "%s", u->cols[c]);
			cols[*ncols].type_oid = 0;
			cols[(*ncols)++].type = u->types[c];
		}
	}
}

int pgc_dp_merged_away(const pgc_dp *d, int i, const char *name)
{
	for (int k = 0; k < d->nusing; k++) {
		const pgc_dp_using *u = &d->using[k];
		if (u->first <= i && i < u->last && merges(u, name))
			return 1;
	}
	return 0;
}
