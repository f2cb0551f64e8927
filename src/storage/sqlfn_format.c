/*
 * sqlfn_format.c — PostgreSQL's format(formatstr, args...) as the SQLite
 * function mur_format (registered with sqlfn_text.c's text functions).
 *
 * The arguments arrive as text, each as its type's output function writes
 * it (parser/analyze_func.c converts them as for concat).  A specifier is
 * %[position][flags][width]type, as PostgreSQL's text_format:
 *   position  n$: argument n (1 = the first after the format string); the
 *             next specifier without one takes argument n + 1
 *   flags     '-': left-justify within the width
 *   width     digits, or * (the next argument), or *n$ (argument n); a
 *             negative width from an argument left-justifies; counted in
 *             characters
 *   type      s  the value as text, NULL as an empty string
 *             I  quote_ident: double quotes unless it is all a-z, 0-9 and _
 *                not starting with a digit and no keyword PostgreSQL
 *                reserves (common/ident.c); NULL is 22004
 *             L  quote_literal: single quotes, E'' when it holds a
 *                backslash; NULL prints NULL
 *   %%        a percent sign
 * A NULL format string answers NULL.  Errors as PostgreSQL's (22023):
 * an unknown type letter, too few arguments, a specifier cut short.
 */
#include "storage/storage_int.h"

#include "common/ident.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

static int chars_of(const char *s, size_t n)
{
	int c = 0;
	for (size_t i = 0; i < n; i++)
		c += ((unsigned char)s[i] & 0xC0) != 0x80;
	return c;
}

static void put_ident(mur_buf *b, const char *s, size_t n)
{
	if (!mur_ident_needs_quotes(s, n)) {
		mur_buf_put(b, s, n);
		return;
	}
	mur_buf_put_u8(b, '"');
	for (size_t i = 0; i < n; i++) {
		if (s[i] == '"')
			mur_buf_put_u8(b, '"');
		mur_buf_put_u8(b, (uint8_t)s[i]);
	}
	mur_buf_put_u8(b, '"');
}

static void put_literal(mur_buf *b, const char *s, size_t n)
{
	if (memchr(s, '\\', n))
		mur_buf_put_u8(b, 'E');
	mur_buf_put_u8(b, '\'');
	for (size_t i = 0; i < n; i++) {
		if (s[i] == '\'' || s[i] == '\\')
			mur_buf_put_u8(b, (uint8_t)s[i]);
		mur_buf_put_u8(b, (uint8_t)s[i]);
	}
	mur_buf_put_u8(b, '\'');
}

/* Digits at *p as an int (0 when none); *p moves past them. */
static int digits(const char **p, const char *end, int *any)
{
	long v = 0;
	*any = 0;
	while (*p < end && isdigit((unsigned char)**p)) {
		v = v * 10 + (**p - '0');
		if (v > 0x3FFFFFFF)
			v = 0x3FFFFFFF;
		(*p)++;
		*any = 1;
	}
	return (int)v;
}

typedef struct spec {
	int arg;   /* argument index in v[], 0 = none yet */
	int left;  /* '-' */
	int width; /* 0 = none */
	char type;
} spec;

/* Reads one specifier after its '%' into *sp; next is the argument the
 * next unpositioned reference takes.  0, or the error's message. */
static const char *read_spec(const char **p, const char *end, int argc, sqlite3_value **v,
			     int *next, spec *sp)
{
	int n, any;
	const char *q = *p;
	memset(sp, 0, sizeof *sp);
	n = digits(&q, end, &any);
	if (any && q < end && *q == '$') {
		if (n == 0)
			return "format specifies argument 0, but arguments are numbered from 1";
		sp->arg = n;
		q++;
	} else {
		q = *p;
	}
	while (q < end && *q == '-') {
		sp->left = 1;
		q++;
	}
	if (q < end && *q == '*') {
		int wa;
		const char *r = ++q;
		n = digits(&r, end, &any);
		if (any && r < end && *r == '$') {
			if (n == 0)
				return "format specifies argument 0, but arguments are numbered "
				       "from 1";
			wa = n;
			q = r + 1;
		} else {
			wa = *next;
		}
		if (wa >= argc)
			return "too few arguments for format()";
		*next = wa + 1;
		if (sqlite3_value_type(v[wa]) != SQLITE_NULL) {
			long w = strtol((const char *)sqlite3_value_text(v[wa]), NULL, 10);
			if (w < 0) {
				sp->left = 1;
				w = -w;
			}
			sp->width = (int)(w > 0x3FFFFFFF ? 0x3FFFFFFF : w);
		}
	} else {
		sp->width = digits(&q, end, &any);
	}
	if (q >= end)
		return "unterminated format() type specifier";
	sp->type = *q++;
	if (!sp->arg)
		sp->arg = *next;
	*next = sp->arg + 1;
	*p = q;
	return NULL;
}

void stor_fn_format(sqlite3_context *cx, int argc, sqlite3_value **v)
{
	const char *f, *end, *p, *err;
	int next = 1;
	mur_buf b, one;
	if (sqlite3_value_type(v[0]) == SQLITE_NULL)
		return;
	f = (const char *)sqlite3_value_text(v[0]);
	end = f + sqlite3_value_bytes(v[0]);
	mur_buf_init(&b);
	mur_buf_init(&one);
	for (p = f; p < end; p++) {
		spec sp;
		const char *s;
		size_t n;
		int pad;
		if (*p != '%') {
			mur_buf_put_u8(&b, (uint8_t)*p);
			continue;
		}
		if (++p >= end) {
			err = "unterminated format() type specifier";
			goto fail;
		}
		if (*p == '%') {
			mur_buf_put_u8(&b, '%');
			continue;
		}
		if ((err = read_spec(&p, end, argc, v, &next, &sp)) != NULL)
			goto fail;
		p--; /* the loop's p++ steps past the type letter */
		if (sp.type != 's' && sp.type != 'I' && sp.type != 'L') {
			mur_buf_free(&b);
			mur_buf_free(&one);
			stor_fn_fail(cx, "22023", "unrecognized format() type specifier \"%c\"",
				     sp.type);
			return;
		}
		if (sp.arg >= argc) {
			err = "too few arguments for format()";
			goto fail;
		}
		one.len = 0;
		if (sqlite3_value_type(v[sp.arg]) == SQLITE_NULL) {
			if (sp.type == 'I') {
				mur_buf_free(&b);
				mur_buf_free(&one);
				stor_fn_fail(cx, "22004",
					     "null values cannot be formatted as an SQL "
					     "identifier");
				return;
			}
			if (sp.type == 'L')
				mur_buf_put(&one, "NULL", 4);
		} else {
			s = (const char *)sqlite3_value_text(v[sp.arg]);
			n = (size_t)sqlite3_value_bytes(v[sp.arg]);
			if (sp.type == 'I')
				put_ident(&one, s, n);
			else if (sp.type == 'L')
				put_literal(&one, s, n);
			else
				mur_buf_put(&one, s, n);
		}
		pad = sp.width - chars_of((const char *)one.data, one.len);
		for (int i = 0; !sp.left && i < pad; i++)
			mur_buf_put_u8(&b, ' ');
		mur_buf_put(&b, one.data, one.len);
		for (int i = 0; sp.left && i < pad; i++)
			mur_buf_put_u8(&b, ' ');
		if (!stor_fn_fits(cx, (int64_t)b.len)) {
			mur_buf_free(&b);
			mur_buf_free(&one);
			return;
		}
	}
	mur_buf_free(&one);
	stor_fn_result_buf(cx, &b);
	return;
fail:
	mur_buf_free(&b);
	mur_buf_free(&one);
	stor_fn_fail(cx, "22023", "%s", err);
}
