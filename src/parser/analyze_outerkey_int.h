/*
 * analyze_outerkey_int.h — what the two halves of the outer-key rewrite
 * share: analyze_outerkey.c (a correlated subquery decorrelated by the
 * keys of the outer tables it reads) and analyze_outerkey_group.c (by the
 * group value of a grouped query around it).  Private to parser/.
 */
#ifndef MUR_PARSER_ANALYZE_OUTERKEY_INT_H
#define MUR_PARSER_ANALYZE_OUTERKEY_INT_H

#include "parser/analyze_subq_int.h"

#define OKEY_REFS_MAX 64  /* outer column references looked at */
#define OKEY_SCOPES_MAX 8 /* nested SELECTs of the subquery looked into */

#define OKEY_TABLES_MAX 2 /* outer tables copied in (EXISTS probes key pairs) */

typedef struct okey {
	sql_ctx *c;
	int t[OKEY_TABLES_MAX]; /* the outer tables: rtes of c->q, -1 none yet */
	int unsure;             /* a name not surely resolved: no rewrite */
	const char *why;        /* for the 0A000's hint (sql_ctx.corr_why) */
	int nrefs;
	int ninner; /* names resolved inside the subquery */
	/* names resolved at scope s (scopes[s]) so far: PostgreSQL gives an
	 * aggregate to the nearest query whose columns its arguments name */
	int at_scope[OKEY_SCOPES_MAX];
	const PgQuery__ColumnRef *refs[OKEY_REFS_MAX];
	int ref_t[OKEY_REFS_MAX]; /* refs[i] names table t[ref_t[i]] */
	/* unqualified names of the subquery's own FROM: qualified in the copy
	 * (the outer table joined in may have the same column) */
	int nown;
	const PgQuery__ColumnRef *own[OKEY_REFS_MAX];
	const char *own_alias[OKEY_REFS_MAX];
	const PgQuery__SelectStmt *scopes[OKEY_SCOPES_MAX];
	int nscopes;
} okey;

/* The copy's column references: an outer one read from the copy of the
 * outer table (alias), an unqualified one of the subquery's own FROM
 * qualified. */
typedef struct okey_copy {
	const okey *k;
	const char *alias[OKEY_TABLES_MAX];
} okey_copy;

/* The copy's column reference n (an sql_pt_map callback; arg an okey_copy). */
PgQuery__Node *sql_okey_renamed(void *arg, PgQuery__Node *n);
/* Table t again, named alias (a RangeVar node). */
PgQuery__Node *sql_okey_table_again(sql_ctx *c, const cat_table *t, const char *alias);
/* t's primary key columns into cols (at most 2): how many, 0 when more;
 * the hidden row id of a table without one. */
int sql_okey_primary_key(const cat_table *t, int *cols);
/* Is rte t a table of q itself, never null-extended by an outer join? */
int sql_okey_table_rows_ok(const sql_query *q, int t);
/* Does a FROM item of s itself carry the name alias? */
int sql_okey_from_names(sql_ctx *c, const PgQuery__SelectStmt *s, const char *alias);
/* analyze_outerkey_group.c: sl with its subquery rewritten for the grouped
 * query around it; NULL when not taken (k->why says why) or on OOM. */
PgQuery__SubLink *sql_okey_grouped(okey *k, PgQuery__SubLink *sl, PgQuery__SelectStmt *s);

#endif
