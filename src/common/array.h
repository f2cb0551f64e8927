/*
 * array.h — one-dimensional arrays of the base types (value.h's
 * MT_*_ARRAY), in PostgreSQL's text form.
 *
 * Stored form: TEXT, exactly what PostgreSQL's array_out prints for the
 * value: '{}' empty, elements in their type's output form separated by ',',
 * NULL for a NULL element, an element double-quoted when it is empty, is
 * "NULL" in any case, or holds '"', '\', '{', '}', ',' or white space
 * (inside quotes '"' and '\' are escaped with '\').  Input (mur_arr_parse)
 * takes what array_in takes for one dimension: white space around
 * elements, quoted and unquoted elements, '\' escapes; a nested '{' or a
 * dimension decoration ('[1:3]={...}') is 0A000, anything else malformed
 * 22P02 "malformed array literal".
 *
 * Ordering (mur_arr_cmp) is PostgreSQL's btarraycmp for one dimension:
 * element by element in the element type's order, a NULL element after
 * every value and equal to another NULL, then the shorter array first.
 * Elements compare by their output text: numbers (integers, floats,
 * numeric) by value, everything else by bytes, which is the element
 * type's order for text (C collation), bool (f < t), date, timestamp and
 * uuid (fixed-width forms).
 *
 * Limits: MUR_ARR_ELEMS_MAX elements (54000 past it).
 */
#ifndef MUR_ARRAY_H
#define MUR_ARRAY_H

#include "common/buf.h"
#include "common/error.h"
#include "common/value.h"

#include <stddef.h>

#define MUR_ARR_ELEMS_MAX (1 << 20)

/* One element of a parsed array: its unquoted text at off in the array's
 * text buffer (len bytes), or NULL. */
typedef struct mur_arr_elem {
	size_t off, len;
	int null;
} mur_arr_elem;

/* A parsed array: n elements whose bytes live in text.  mur_arr_init, then
 * mur_arr_parse or mur_arr_push, then mur_arr_free. */
typedef struct mur_arr {
	mur_buf text;
	mur_arr_elem *e;
	int n, cap;
} mur_arr;

void mur_arr_init(mur_arr *a);
void mur_arr_free(mur_arr *a);
/* Parse s (len bytes) as an array of type t into a (emptied first).  The
 * elements are not checked against the element type (mur_arr_canon is).
 * 22P02 malformed, 0A000 multidimensional, 54000 too many elements. */
int mur_arr_parse(mur_arr *a, mur_type t, const char *s, size_t len, mur_error *err);
/* Append one element (text s of len bytes; null 1 for NULL).  MUR_ERR
 * only on out of memory or past MUR_ARR_ELEMS_MAX (err set). */
int mur_arr_push(mur_arr *a, const char *s, size_t len, int null, mur_error *err);
static inline const char *mur_arr_s(const mur_arr *a, int i)
{
	return a->text.data ? a->text.data + a->e[i].off : "";
}

/* A numeric[] (text, len bytes) stored into numeric(p,s)[] (typmod as
 * common/numeric.h's): every element rounded to the scale, appended to out
 * as the array's text; 22003 when one does not fit, 22P02 malformed. */
int mur_arr_num_typmod(const char *text, size_t len, int32_t typmod, mur_buf *out, mur_error *err);
/* Write a as PostgreSQL prints it to out. */
void mur_arr_out(const mur_arr *a, mur_buf *out);
/* Array input: text as an array of type t, every element parsed as its
 * element type and written back in its output form; the canonical text
 * appended to scratch and *out pointing at it (as mur_value_from_pgtext). */
int mur_arr_from_pgtext(mur_type t, const char *text, size_t len, mur_buf *scratch, mur_value *out,
			mur_error *err);

/* Two elements of element type elem, as output texts: <0, 0, >0. */
int mur_arr_elem_cmp(mur_type elem, const char *a, size_t la, const char *b, size_t lb);
/* Two arrays of element type elem (PostgreSQL's order, see above). */
int mur_arr_cmp(mur_type elem, const mur_arr *a, const mur_arr *b);
/* An element value (a storage value of type elem) as its output text,
 * appended to out: the form it has inside an array. */
void mur_arr_elem_text(mur_type elem, const mur_value *v, mur_buf *out);

/* The SQLite collation that orders arrays of type t (storage/sqlfn_array.c
 * registers them): elements as numbers, as floats, or by bytes. */
#define MUR_ARR_COLLATION_NUM "mur_arr_num"
#define MUR_ARR_COLLATION_FLOAT "mur_arr_float"
#define MUR_ARR_COLLATION_TEXT "mur_arr_text"
static inline const char *mur_arr_collation(mur_type t)
{
	mur_type e = mur_type_elem(t);
	return e == MT_FLOAT4 || e == MT_FLOAT8 ? MUR_ARR_COLLATION_FLOAT
	       : mur_type_is_numeric(e)         ? MUR_ARR_COLLATION_NUM
						: MUR_ARR_COLLATION_TEXT;
}

#endif
