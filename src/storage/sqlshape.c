/*
 * sqlshape.c — a statement prepared once per shape: the leader's SQL with
 * its literals taken out (stor_prepare_shaped, storage.h).
 *
 * The leader sends a primary's write and a point read as text with the
 * client's literals inline (`UPDATE … SET abalance = abalance + -4500
 * WHERE aid = 77`), so every statement is a new text: the statement cache
 * (stor_prepare) never hits and SQLite parses and plans each one — the
 * largest user-space cost of a TPC-B primary after its change capture.
 * Here the text's integer and string literals become numbered parameters
 * (?1, ?2 … in order), the statement is prepared (and cached) for that
 * shape, and the literals are bound to it: one parse per shape and
 * placement.
 *
 *   UPDATE main."a" SET "abalance" = "abalance" + -4500 WHERE "aid" = 77
 *   → UPDATE main."a" SET "abalance" = "abalance" + -?1 WHERE "aid" = ?2
 *     with ?1 = 4500, ?2 = 77
 *
 * A literal and a parameter bound to the same value mean the same to
 * SQLite (neither has an affinity; comparisons apply the column's), except
 * where SQLite reads the literal's text itself.  So the text is left alone
 * (prepared as it is, through the cache) when it holds:
 *   - BY (ORDER BY 2, GROUP BY 1: a column's position, not a value);
 *   - a parameter already (?, :a, @a, $a: the task binds its own);
 *   - a comment, a blob (X'…') or hexadecimal literal, a real number
 *     (SQLite's text-to-double conversion is its own: kept inline, exact)
 *     or an integer beyond 18 digits;
 *   - more than STOR_SHAPE_LITERALS_MAX literals (a many-row VALUES list:
 *     its shape would not repeat).
 * A shape that does not prepare (a literal where SQLite wants one: a
 * type's length, a string used as a name) falls back to the text as it is.
 *
 * Memory: the shape is built in a stack buffer when it fits, else
 * malloc'd and freed here; string literals are bound SQLITE_TRANSIENT
 * (one with '' inside: unescaped into a malloc'd copy SQLite frees).
 */
#include "storage/storage_int.h"

#include <ctype.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define STOR_SHAPE_LITERALS_MAX 64
#define STOR_SHAPE_INT_DIGITS_MAX 18 /* below 2^63: always an INTEGER */
#define STOR_SHAPE_STACK_BYTES 1024

typedef struct shape_lit {
	int is_text;
	int64_t i;
	const char *p; /* text: between the quotes, '' not yet unescaped */
	size_t n;
} shape_lit;

static int ident_char(int c) { return isalnum(c) || c == '_' || c == '$' || (c & 0x80); }

/* Write the shape of sql into out (at least strlen(sql) * 2 + 16 bytes: a
 * literal of 1 byte becomes "?NN") and its literals into lits; 0 when the
 * text is to be left alone (the header's list). */
static int shape(const char *sql, char *out, shape_lit *lits, int *nlits)
{
	const char *s = sql;
	char *o = out;
	int n = 0;
	while (*s) {
		unsigned char c = (unsigned char)*s;
		if (c == '?' || c == ':' || c == '@' || c == '$' || (c == '-' && s[1] == '-') ||
		    (c == '/' && s[1] == '*')) {
			return 0;       /* a parameter or a comment */
		} else if (c == '\'') { /* a string literal; '' is a quote inside */
			const char *start = ++s;
			while (*s && !(s[0] == '\'' && s[1] != '\''))
				s += s[0] == '\'' ? 2 : 1;
			if (!*s || n == STOR_SHAPE_LITERALS_MAX)
				return 0;
			lits[n] = (shape_lit){.is_text = 1, .p = start, .n = (size_t)(s - start)};
			s++;
			o += sprintf(o, "?%d", ++n);
		} else if (c == '"' || c == '`' || c == '[') { /* a quoted name */
			char close = c == '[' ? ']' : (char)c;
			*o++ = *s++;
			while (*s && !(s[0] == close && s[1] != close)) {
				if (s[0] == close)
					*o++ = *s++;
				*o++ = *s++;
			}
			if (!*s)
				return 0;
			*o++ = *s++;
		} else if (isdigit(c) || (c == '.' && isdigit((unsigned char)s[1]))) {
			const char *start = s;
			uint64_t v = 0; /* wraps past 19 digits: refused below */
			while (isdigit((unsigned char)*s))
				v = v * 10 + (uint64_t)(*s++ - '0');
			if (*s == '.' || *s == 'e' || *s == 'E' || *s == 'x' || *s == 'X' ||
			    ident_char((unsigned char)*s) ||
			    s - start > STOR_SHAPE_INT_DIGITS_MAX || n == STOR_SHAPE_LITERALS_MAX)
				return 0;
			lits[n] = (shape_lit){.i = (int64_t)v};
			o += sprintf(o, "?%d", ++n);
		} else if (ident_char(c)) { /* a word: copied whole (t1 is a name) */
			const char *start = s;
			while (ident_char((unsigned char)*s))
				*o++ = *s++;
			if (s - start == 1 && (c == 'x' || c == 'X') && *s == '\'')
				return 0; /* a blob literal */
			if (s - start == 2 && strncasecmp(start, "BY", 2) == 0)
				return 0;
		} else {
			*o++ = *s++;
		}
	}
	*o = '\0';
	*nlits = n;
	return n > 0;
}

/* Bind lit to parameter i of st (a string's '' made one quote). */
static int bind_lit(sqlite3_stmt *st, int i, const shape_lit *lit)
{
	if (!lit->is_text)
		return sqlite3_bind_int64(st, i, lit->i);
	if (!memchr(lit->p, '\'', lit->n))
		return sqlite3_bind_text(st, i, lit->p, (int)lit->n, SQLITE_TRANSIENT);
	char *t = malloc(lit->n + 1);
	size_t k = 0;
	if (!t)
		return SQLITE_NOMEM;
	for (size_t j = 0; j < lit->n; j++) {
		t[k++] = lit->p[j];
		if (lit->p[j] == '\'')
			j++; /* the second quote of '' */
	}
	return sqlite3_bind_text(st, i, t, (int)k, free);
}

int stor_prepare_shaped(stor_db *db, const char *sql, sqlite3_stmt **out, mur_error *err)
{
	char stackbuf[STOR_SHAPE_STACK_BYTES], *buf = stackbuf;
	shape_lit lits[STOR_SHAPE_LITERALS_MAX];
	size_t need = strlen(sql) * 2 + 16;
	int n = 0, rc = MUR_ERR;
	mur_error ignored;
	*out = NULL;
	if (need > sizeof stackbuf && !(buf = malloc(need)))
		return stor_prepare(db, sql, out, err);
	if (!shape(sql, buf, lits, &n) || stor_prepare(db, buf, out, &ignored) != MUR_OK ||
	    sqlite3_bind_parameter_count(*out) != n) {
		if (*out)
			stor_release(db, *out);
		*out = NULL;
		if (buf != stackbuf)
			free(buf);
		return stor_prepare(db, sql, out, err); /* the text as it is */
	}
	rc = MUR_OK;
	for (int i = 0; i < n && rc == MUR_OK; i++) {
		int src = bind_lit(*out, i + 1, &lits[i]);
		if (src != SQLITE_OK) {
			stor_map_sqlite_error(stor_handle(db), src, err);
			stor_release(db, *out);
			*out = NULL;
			rc = MUR_ERR;
		}
	}
	if (buf != stackbuf)
		free(buf);
	return rc;
}
