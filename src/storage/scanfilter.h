/*
 * scanfilter.h — a shard SELECT that a page scan (storage/colscan.h) can
 * run instead of SQLite: plain columns of one table, filtered by a
 * conjunction of comparisons of a column with a constant.
 *
 * The follower's filtered aggregates (TPC-H's Q1 and Q6: follower/
 * task_run.c) spend most of their time in SQLite's per-row work — the
 * virtual machine reaching column 8 of every record and comparing it —
 * while the rows the filter keeps are few.  Read from the pages, a row
 * costs a third of that (docs/approx.md measured the bare scan).
 *
 * What is recognized is the text the leader sends (sql/emit.c's shape),
 * read strictly, and nothing else:
 *
 *   SELECT "a"."c1", "a"."c2", … FROM main."t" AS "a"
 *     [WHERE p AND p AND …]          (p or a conjunction in parentheses)
 *   p:  "a"."c" op literal [COLLATE name]
 *     | "a"."c" BETWEEN literal AND literal
 *     | [NOT] mur_like("a"."c", 'pattern')     (a TEXT column: LIKE, NOT LIKE)
 *   op: = == <> != < <= > >=    literal: 'text' ('' inside) or [-]digits
 *
 * Its meaning is SQLite's for that text, so the answers are the same as
 * running it: a TEXT column against a text literal compares by the
 * collation SQLite would use (the literal's COLLATE, else the column's):
 * BINARY (bytes, then length) or mur_numeric (mur_num_text_cmp, the
 * collation's own function); an INTEGER column against an integer
 * literal compares the integers.  A NULL fails the comparison (and so the
 * row).  Anything else — a comparison of a primary key column (SQLite
 * may seek it: point reads are not to pay for the question), parameters,
 * OR, NOT (but NOT mur_like), other functions, other
 * collations or column types, a literal of the other kind, ORDER BY,
 * LIMIT — is not recognized and the task runs through SQLite.  While
 * scanning, a value whose storage class the comparison does not expect
 * (possible only in a table that is not STRICT) makes the scan decline
 * (stor_scanfilter_keep answers -1).
 */
#ifndef MUR_STORAGE_SCANFILTER_H
#define MUR_STORAGE_SCANFILTER_H

#include "common/value.h"
#include "storage/colscan.h"
#include "storage/storage.h"

#include <sqlite3.h>
#include <stddef.h>
#include <stdint.h>

#define STOR_SCANFILTER_PREDS_MAX 32

typedef enum stor_sf_op {
	STOR_SF_EQ = 1,
	STOR_SF_NE,
	STOR_SF_LT,
	STOR_SF_LE,
	STOR_SF_GT,
	STOR_SF_GE,
} stor_sf_op;

typedef enum stor_sf_kind {
	STOR_SF_BYTES = 1, /* TEXT by BINARY: memcmp, then length */
	STOR_SF_NUMERIC,   /* TEXT by mur_numeric: mur_num_text_cmp */
	STOR_SF_INT,       /* INTEGER with an integer */
	STOR_SF_LIKE,      /* TEXT: mur_like(x, 'pattern'): EQ matches, NE does not */
} stor_sf_kind;

typedef struct stor_sf_pred {
	int col; /* index into stor_scanfilter.cols */
	uint8_t op, kind;
	const char *lit; /* BYTES / NUMERIC: the literal's text (in .buf) */
	size_t litlen;
	int64_t ival; /* INT */
} stor_sf_pred;

typedef struct stor_scanfilter {
	char table[256];
	int ncols;                               /* distinct columns the scan reads */
	const char *cols[STOR_COLSCAN_COLS_MAX]; /* their names (in .buf) */
	int nout;                                /* the SELECT's columns ... */
	int out[STOR_COLSCAN_COLS_MAX];          /* ... as indexes into cols */
	int npreds;
	stor_sf_pred preds[STOR_SCANFILTER_PREDS_MAX];
	char *buf; /* names and literals, malloc'd */
} stor_scanfilter;

/* Recognize sql, reading column types and collations from db's main
 * schema, and only when SQLite's own plan for it is a scan of the table
 * (not an index seek, not a covering index): 1 and *f filled
 * (stor_scanfilter_free it), or 0 (nothing to free): not recognized, run
 * it through SQLite.  Under stor_lock. */
int stor_scanfilter_parse(stor_db *db, const char *sql, stor_scanfilter *f);

/* Does the row (values of f->cols, in that order) pass every predicate?
 * 1 yes, 0 no, -1 a value of a storage class the comparison does not
 * expect: stop and run the task through SQLite. */
int stor_scanfilter_keep(const stor_scanfilter *f, const mur_value *v);

void stor_scanfilter_free(stor_scanfilter *f);

#endif
