/*
 * value_int.h — what the value_*.c files share and nobody else sees (the
 * public contract is value.h).
 *
 *   value_type.c      the type table: OIDs, lengths, names, storage classes
 *   value_out.c       PostgreSQL text output (float8out, numeric_out, byteaout)
 *   value_in.c        PostgreSQL text input (pg_strtoint, float8in, numeric_in,
 *                     boolin, byteain) and mur_value_from_pgtext
 *   value_datetime.c  the calendar, date and timestamp input and formatting
 *   value_tz.c        timestamps in a time zone (common/tz.h): timestamptz
 *                     output, instant <-> wall clock
 *   value.c           coercion, ordering and hashing of storage values
 *   value_row.c       the row encoding
 *
 * The helpers below are the text-input conventions value_in.c and
 * value_datetime.c both follow: PostgreSQL's whitespace, its error
 * messages ("invalid input syntax for type integer: \"abc\""), and where a
 * parsed TEXT value's bytes live (appended to the caller's scratch).
 */
#ifndef MUR_VALUE_INT_H
#define MUR_VALUE_INT_H

#include "common/value.h"

/* Input characters quoted back in error messages (mur_error truncates
 * at MUR_ERROR_MESSAGE_MAX anyway; this keeps room for the text around). */
#define VALUE_ERR_QUOTE_MAX 256

/* The type's name in input error messages: "invalid input syntax for type
 * %s" says "timestamp" where format_type() says "timestamp without time
 * zone". */
const char *mur_type_input_name(mur_type t);

/* Date and timestamp input (value_datetime.c): t is MT_DATE, MT_TIMESTAMP
 * or MT_TIMESTAMPTZ; the canonical text is appended to scratch and *out
 * points at it.  Contract and errors as mur_value_from_pgtext. */
int mur_datetime_from_pgtext(mur_type t, const char *text, size_t len, const mur_tz *tz,
			     mur_buf *scratch, mur_value *out, mur_error *err);

/* How many input characters an error message quotes. */
static inline int value_quote_len(size_t len)
{
	return len > VALUE_ERR_QUOTE_MAX ? VALUE_ERR_QUOTE_MAX : (int)len;
}

/* "invalid input syntax for type %s: \"%.*s\"" with the given SQLSTATE. */
static inline int value_syntax_error(mur_error *err, const char *sqlstate, mur_type t,
				     const char *text, size_t len)
{
	return mur_error_set(err, sqlstate, "invalid input syntax for type %s: \"%.*s\"",
			     mur_type_input_name(t), value_quote_len(len), text);
}

/* PostgreSQL's isspace-based trimming (scanner_isspace for numbers). */
static inline int value_pg_space(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f';
}

static inline void value_trim(const char **p, size_t *len)
{
	while (*len && value_pg_space(**p)) {
		(*p)++;
		(*len)--;
	}
	while (*len && value_pg_space((*p)[*len - 1]))
		(*len)--;
}

/* Copy text and point out at the copy (scratch may move on append, so the
 * pointer is taken after appending). */
static inline void value_copy_out(mur_buf *scratch, mur_vkind kind, const char *s, size_t n,
				  mur_value *out)
{
	size_t off = scratch->len;
	mur_buf_put(scratch, s, n);
	out->kind = kind;
	out->s = (n && scratch->data) ? scratch->data + off : "";
	out->len = n;
}

#endif
