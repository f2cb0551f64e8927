/*
 * scanfilter.c — recognize a filtered shard SELECT and evaluate its
 * filter on values read from the pages (scanfilter.h).
 *
 * A tokenizer over the SQL text (blanks skipped; quoted identifiers
 * without '"' inside; '…' strings with '' unescaped; integers; words;
 * punctuation), then a recursive descent over exactly the grammar in
 * scanfilter.h.  Every deviation returns 0 (not recognized).  The column
 * types and collations come from sqlite3_table_column_metadata, the same
 * schema SQLite compiles the statement against.
 *
 * Memory: one buffer (f->buf) holds names and unescaped literals; its
 * size is bounded by the SQL's length.
 */
#include "storage/scanfilter.h"

#include "common/buf.h"
#include "common/numeric.h"
#include "storage/storage_int.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

typedef enum tok_kind { T_END, T_QIDENT, T_STR, T_INT, T_WORD, T_PUNCT, T_BAD } tok_kind;

typedef struct tok {
	tok_kind kind;
	const char *s; /* QIDENT/WORD: the name; STR: unescaped (in the buffer); PUNCT: the
			  operator */
	size_t len;
	int64_t i;
} tok;

typedef struct parser {
	const char *p;
	char *buf; /* f->buf */
	size_t used;
	tok t; /* current token */
	stor_scanfilter *f;
	sqlite3 *db;
	char alias[256];
} parser;

/* ---- tokens ------------------------------------------------------------- */

static void next(parser *ps)
{
	const char *p = ps->p;
	tok *t = &ps->t;
	while (*p == ' ' || *p == '\n' || *p == '\t' || *p == '\r')
		p++;
	t->s = p;
	t->len = 0;
	if (!*p) {
		t->kind = T_END;
	} else if (*p == '"') {
		const char *e = strchr(p + 1, '"');
		if (!e || e[1] == '"' || e == p + 1) {
			t->kind = T_BAD; /* an escaped quote inside, or empty: not ours */
			return;
		}
		t->kind = T_QIDENT;
		t->s = p + 1;
		t->len = (size_t)(e - p - 1);
		p = e + 1;
	} else if (*p == '\'') {
		char *out = ps->buf + ps->used;
		size_t n = 0;
		for (p++;; p++) {
			if (!*p) {
				t->kind = T_BAD;
				return;
			}
			if (*p == '\'') {
				if (p[1] != '\'')
					break;
				p++;
			}
			out[n++] = *p;
		}
		p++;
		out[n] = 0;
		ps->used += n + 1;
		t->kind = T_STR;
		t->s = out;
		t->len = n;
	} else if (isdigit((unsigned char)*p) || (*p == '-' && isdigit((unsigned char)p[1]))) {
		const char *q = p + (*p == '-');
		uint64_t v = 0;
		int digits = 0;
		for (; isdigit((unsigned char)*q); q++, digits++)
			v = v * 10 + (uint64_t)(*q - '0');
		/* 18 digits fit an int64; a '.', 'e' or letter after is not an integer */
		if (digits > 18 || *q == '.' || isalnum((unsigned char)*q) || *q == '_') {
			t->kind = T_BAD;
			return;
		}
		t->kind = T_INT;
		t->i = *p == '-' ? -(int64_t)v : (int64_t)v;
		p = q;
	} else if (isalpha((unsigned char)*p) || *p == '_') {
		t->kind = T_WORD;
		while (isalnum((unsigned char)*p) || *p == '_')
			p++;
		t->len = (size_t)(p - t->s);
	} else {
		static const char *const ops[] = {"<=", ">=", "<>", "!=", "==", "<", ">",
						  "=",  "(",  ")",  ",",  ".",  ";"};
		t->kind = T_BAD;
		for (size_t k = 0; k < sizeof ops / sizeof ops[0]; k++) {
			size_t n = strlen(ops[k]);
			if (!strncmp(p, ops[k], n)) {
				t->kind = T_PUNCT;
				t->len = n;
				p += n;
				break;
			}
		}
	}
	ps->p = p;
}

static int is_word(const tok *t, const char *w)
{
	return t->kind == T_WORD && t->len == strlen(w) && !strncasecmp(t->s, w, t->len);
}

static int is_punct(const tok *t, const char *op)
{
	return t->kind == T_PUNCT && t->len == strlen(op) && !strncmp(t->s, op, t->len);
}

/* Take the current token when it is punctuation op. */
static int take(parser *ps, const char *op)
{
	if (!is_punct(&ps->t, op))
		return 0;
	next(ps);
	return 1;
}

static int take_word(parser *ps, const char *w)
{
	if (!is_word(&ps->t, w))
		return 0;
	next(ps);
	return 1;
}

/* A copy of the current token's text in the buffer. */
static const char *keep_name(parser *ps)
{
	char *out = ps->buf + ps->used;
	memcpy(out, ps->t.s, ps->t.len);
	out[ps->t.len] = 0;
	ps->used += ps->t.len + 1;
	return out;
}

/* ---- columns ------------------------------------------------------------ */

/* "alias"."col" → index into f->cols (added when new); -1: not one. */
static int column_ref(parser *ps)
{
	stor_scanfilter *f = ps->f;
	const char *name;
	if (ps->t.kind != T_QIDENT || ps->t.len != strlen(ps->alias) ||
	    strncmp(ps->t.s, ps->alias, ps->t.len))
		return -1;
	next(ps);
	if (!take(ps, ".") || ps->t.kind != T_QIDENT)
		return -1;
	name = keep_name(ps);
	next(ps);
	for (int k = 0; k < f->ncols; k++)
		if (!strcasecmp(f->cols[k], name))
			return k;
	if (f->ncols == STOR_COLSCAN_COLS_MAX)
		return -1;
	f->cols[f->ncols] = name;
	return f->ncols++;
}

/* ---- predicates --------------------------------------------------------- */

static int compare_op(const tok *t)
{
	if (is_punct(t, "=") || is_punct(t, "=="))
		return STOR_SF_EQ;
	if (is_punct(t, "<>") || is_punct(t, "!="))
		return STOR_SF_NE;
	if (is_punct(t, "<"))
		return STOR_SF_LT;
	if (is_punct(t, "<="))
		return STOR_SF_LE;
	if (is_punct(t, ">"))
		return STOR_SF_GT;
	if (is_punct(t, ">="))
		return STOR_SF_GE;
	return 0;
}

/* The comparison kind of column col against a literal of token kind lit
 * with explicit collation coll (NULL: none); 0: not one we evaluate. */
static int pred_kind(parser *ps, int col, tok_kind lit, const char *coll)
{
	const char *type = NULL, *colcoll = NULL;
	int notnull, pk, autoinc;
	if (sqlite3_table_column_metadata(ps->db, "main", ps->f->table, ps->f->cols[col], &type,
					  &colcoll, &notnull, &pk, &autoinc) != SQLITE_OK ||
	    !type || pk)
		return 0; /* a key column: SQLite may seek it (a point read), so not
			     worth asking its plan (sqlite_scans_table) */
	if (!strcasecmp(type, "TEXT") && lit == T_STR) {
		/* the literal's COLLATE wins, else the column's */
		const char *use = coll ? coll : colcoll ? colcoll : "BINARY";
		if (!strcasecmp(use, "BINARY"))
			return STOR_SF_BYTES;
		if (!strcasecmp(use, MUR_NUM_COLLATION))
			return STOR_SF_NUMERIC;
		return 0;
	}
	if ((!strcasecmp(type, "INTEGER") || !strcasecmp(type, "INT")) && lit == T_INT && !coll)
		return STOR_SF_INT;
	return 0;
}

/* Append predicate (col op literal-token t) with explicit collation coll. */
static int add_pred(parser *ps, int col, int op, const tok *t, const char *coll)
{
	stor_scanfilter *f = ps->f;
	stor_sf_pred *p;
	int kind = pred_kind(ps, col, t->kind, coll);
	if (!kind || f->npreds == STOR_SCANFILTER_PREDS_MAX)
		return 0;
	p = &f->preds[f->npreds++];
	*p = (stor_sf_pred){.col = col, .op = (uint8_t)op, .kind = (uint8_t)kind};
	if (kind == STOR_SF_INT)
		p->ival = t->i;
	else
		p->lit = t->s, p->litlen = t->len;
	return 1;
}

/* A literal: a string or an integer. */
static int literal(parser *ps, tok *out)
{
	if (ps->t.kind != T_STR && ps->t.kind != T_INT)
		return 0;
	*out = ps->t;
	next(ps);
	return 1;
}

/* [NOT] mur_like("a"."c", 'pattern') on a TEXT column (emit.c's LIKE and
 * NOT LIKE): stor_like_match, the function's own matcher, on the bytes. */
static int like_pred(parser *ps, int negated)
{
	stor_scanfilter *f = ps->f;
	const char *type = NULL, *coll = NULL;
	int col, notnull, pk, autoinc;
	tok pat;
	if (!take_word(ps, "mur_like") || !take(ps, "(") || (col = column_ref(ps)) < 0 ||
	    !take(ps, ",") || ps->t.kind != T_STR || !literal(ps, &pat) || !take(ps, ")"))
		return 0;
	if (sqlite3_table_column_metadata(ps->db, "main", f->table, f->cols[col], &type, &coll,
					  &notnull, &pk, &autoinc) != SQLITE_OK ||
	    !type || pk || strcasecmp(type, "TEXT") || f->npreds == STOR_SCANFILTER_PREDS_MAX)
		return 0;
	f->preds[f->npreds++] = (stor_sf_pred){.col = col,
					       .op = negated ? STOR_SF_NE : STOR_SF_EQ,
					       .kind = STOR_SF_LIKE,
					       .lit = pat.s,
					       .litlen = pat.len};
	return 1;
}

/* "a"."c" op literal [COLLATE name] | "a"."c" BETWEEN literal AND literal
 * | [NOT] mur_like("a"."c", 'pattern') */
static int pred(parser *ps)
{
	int col, op;
	tok lo, hi;
	const char *coll = NULL;
	if (take_word(ps, "NOT"))
		return like_pred(ps, 1);
	if (is_word(&ps->t, "mur_like"))
		return like_pred(ps, 0);
	if ((col = column_ref(ps)) < 0)
		return 0;
	if (take_word(ps, "BETWEEN")) {
		/* x BETWEEN a AND b is x >= a AND x <= b, both by x's collation */
		return literal(ps, &lo) && take_word(ps, "AND") && literal(ps, &hi) &&
		       add_pred(ps, col, STOR_SF_GE, &lo, NULL) &&
		       add_pred(ps, col, STOR_SF_LE, &hi, NULL);
	}
	if (!(op = compare_op(&ps->t)))
		return 0;
	next(ps);
	if (!literal(ps, &lo))
		return 0;
	if (take_word(ps, "COLLATE")) {
		if (ps->t.kind != T_WORD)
			return 0;
		coll = keep_name(ps);
		next(ps);
	}
	return add_pred(ps, col, op, &lo, coll);
}

static int conjunction(parser *ps);

/* ( conj ) | pred */
static int term(parser *ps)
{
	if (take(ps, "("))
		return conjunction(ps) && take(ps, ")");
	return pred(ps);
}

/* term AND term AND … */
static int conjunction(parser *ps)
{
	if (!term(ps))
		return 0;
	while (take_word(ps, "AND"))
		if (!term(ps))
			return 0;
	return 1;
}

/* ---- the statement ------------------------------------------------------ */

/* Name tokens of the select list, read before the alias is known. */
typedef struct sel_col {
	const char *alias, *name;
} sel_col;

static int statement(parser *ps, sel_col *sel)
{
	stor_scanfilter *f = ps->f;
	int n = 0;
	next(ps);
	if (!take_word(ps, "SELECT"))
		return 0;
	do {
		if (n == STOR_COLSCAN_COLS_MAX || ps->t.kind != T_QIDENT)
			return 0;
		sel[n].alias = keep_name(ps);
		next(ps);
		if (!take(ps, ".") || ps->t.kind != T_QIDENT)
			return 0;
		sel[n++].name = keep_name(ps);
		next(ps);
	} while (take(ps, ","));
	if (!take_word(ps, "FROM") || !take_word(ps, "main") || !take(ps, ".") ||
	    ps->t.kind != T_QIDENT || ps->t.len >= sizeof f->table)
		return 0;
	memcpy(f->table, ps->t.s, ps->t.len);
	f->table[ps->t.len] = 0;
	next(ps);
	if (!take_word(ps, "AS") || ps->t.kind != T_QIDENT || ps->t.len >= sizeof ps->alias)
		return 0;
	memcpy(ps->alias, ps->t.s, ps->t.len);
	ps->alias[ps->t.len] = 0;
	next(ps);
	/* the select list's columns first: out[i] = i unless repeated */
	for (int i = 0; i < n; i++) {
		int k;
		if (strcmp(sel[i].alias, ps->alias))
			return 0;
		for (k = 0; k < f->ncols && strcasecmp(f->cols[k], sel[i].name); k++)
			;
		if (k == f->ncols)
			f->cols[f->ncols++] = sel[i].name;
		f->out[f->nout++] = k;
	}
	if (take_word(ps, "WHERE") && !conjunction(ps))
		return 0;
	take(ps, ";");
	return ps->t.kind == T_END;
}

/* Would SQLite itself read every row of the table (its plan one step,
 * "SCAN <alias>")?  Not when it seeks an index (a filter on a key or an
 * indexed column) or scans a covering index: that is cheaper than the
 * pages of the table. */
static int sqlite_scans_table(stor_db *sdb, const char *sql, const char *alias)
{
	mur_buf b;
	mur_error err;
	sqlite3_stmt *st = NULL;
	int steps = 0, scan = 0, rc;
	mur_buf_init(&b);
	mur_buf_printf(&b, "EXPLAIN QUERY PLAN %s", sql);
	if (!mur_buf_ok(&b) || stor_prepare(sdb, mur_buf_cstr(&b), &st, &err) != MUR_OK) {
		mur_buf_free(&b);
		return 0;
	}
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		const char *detail = (const char *)sqlite3_column_text(st, 3);
		steps++;
		scan = detail && !strncmp(detail, "SCAN ", 5) && !strcmp(detail + 5, alias);
	}
	stor_release(sdb, st);
	mur_buf_free(&b);
	return rc == SQLITE_DONE && steps == 1 && scan;
}

int stor_scanfilter_parse(stor_db *sdb, const char *sql, stor_scanfilter *f)
{
	sqlite3 *db = stor_handle(sdb);
	/* every name and literal is shorter than the text, plus its NUL */
	size_t cap = strlen(sql) * 2 + 16;
	sel_col *sel = malloc(sizeof *sel * STOR_COLSCAN_COLS_MAX);
	parser ps = {.p = sql, .f = f, .db = db};
	int ok;
	memset(f, 0, sizeof *f);
	if (!sel || !(f->buf = malloc(cap))) {
		free(sel);
		return 0;
	}
	ps.buf = f->buf;
	/* cheapest first: the text, the columns' schema, then SQLite's plan */
	ok = statement(&ps, sel) && f->nout > 0 &&
	     stor_colscan_can_read(sdb, f->table, f->ncols, f->cols) &&
	     sqlite_scans_table(sdb, sql, ps.alias);
	free(sel);
	if (!ok)
		stor_scanfilter_free(f);
	return ok;
}

void stor_scanfilter_free(stor_scanfilter *f)
{
	free(f->buf);
	f->buf = NULL;
}

/* ---- evaluation --------------------------------------------------------- */

/* BINARY's order: bytes, then length.  Inline: the values are short
 * (dates, codes), where calling memcmp cost more than comparing (a shard
 * of Q6 from the pages: ~2.9 -> ~2.7 ms with 8-byte steps). */
static int bytes_cmp(const char *a, size_t la, const char *b, size_t lb)
{
	size_t n = la < lb ? la : lb, i = 0;
	for (; i + 8 <= n; i += 8) { /* 8 bytes at a time, as big-endian numbers */
		uint64_t x, y;
		memcpy(&x, a + i, 8);
		memcpy(&y, b + i, 8);
		if (x != y) {
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
			x = __builtin_bswap64(x);
			y = __builtin_bswap64(y);
#endif
			return x < y ? -1 : 1;
		}
	}
	for (; i < n; i++)
		if (a[i] != b[i])
			return (unsigned char)a[i] < (unsigned char)b[i] ? -1 : 1;
	return (la > lb) - (la < lb);
}

static int holds(int op, int c)
{
	switch (op) {
	case STOR_SF_EQ:
		return c == 0;
	case STOR_SF_NE:
		return c != 0;
	case STOR_SF_LT:
		return c < 0;
	case STOR_SF_LE:
		return c <= 0;
	case STOR_SF_GT:
		return c > 0;
	default:
		return c >= 0;
	}
}

int stor_scanfilter_keep(const stor_scanfilter *f, const mur_value *v)
{
	for (int i = 0; i < f->npreds; i++) {
		const stor_sf_pred *p = &f->preds[i];
		const mur_value *x = &v[p->col];
		int c;
		if (x->kind == MV_NULL)
			return 0; /* NULL op anything is NULL: the row is not kept */
		if (p->kind == STOR_SF_INT) {
			if (x->kind != MV_INT)
				return -1;
			c = (x->i > p->ival) - (x->i < p->ival);
		} else if (p->kind == STOR_SF_LIKE) {
			if (x->kind != MV_TEXT)
				return -1;
			c = !stor_like_match(x->s, x->len, p->lit, p->litlen);
		} else {
			if (x->kind != MV_TEXT)
				return -1;
			c = p->kind == STOR_SF_BYTES
				    ? bytes_cmp(x->s, x->len, p->lit, p->litlen)
				    : mur_num_text_cmp(x->s, x->len, p->lit, p->litlen);
		}
		if (!holds(p->op, c))
			return 0;
	}
	return 1;
}
