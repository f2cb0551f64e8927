/*
 * array.h — arrays of the base types (value.h's MT_*_ARRAY) of one to
 * MUR_ARR_NDIM_MAX dimensions, in PostgreSQL's text form.
 *
 * Stored form: TEXT, exactly what PostgreSQL's array_out prints for the
 * value: '{}' empty, elements in their type's output form separated by ',',
 * NULL for a NULL element, an element double-quoted when it is empty, is
 * "NULL" in any case, or holds '"', '\', '{', '}', ',' or white space
 * (inside quotes '"' and '\' are escaped with '\').  A multidimensional
 * array nests braces per dimension, '{{1,2},{3,4}}', every lower bound 1.
 * Input (mur_arr_parse) takes what array_in takes: white space around
 * elements and braces, quoted and unquoted elements, '\' escapes, nested
 * braces whose sub-arrays match in size (22P02 "Multidimensional arrays
 * must have sub-arrays with matching dimensions" otherwise); a dimension
 * decoration ('[1:3]={...}') is 0A000, anything else malformed 22P02
 * "malformed array literal".
 *
 * Shape: a parsed array keeps ndim and dims; an array built by
 * mur_arr_push alone is one-dimensional (ndim 0 or 1 means "n elements in
 * one dimension, none when n is 0": mur_arr_ndim, mur_arr_dim).  Elements
 * are in row-major order, so every function that ignores the shape (ANY,
 * @>, &&, array_to_string, unnest) sees them as PostgreSQL's do.
 *
 * Ordering (mur_arr_cmp) is PostgreSQL's btarraycmp: element by element
 * in the element type's order, a NULL element after every value and equal
 * to another NULL, then the array of fewer elements first, then of fewer
 * dimensions, then dimension by dimension the smaller first.
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
#define MUR_ARR_NDIM_MAX 6 /* PostgreSQL's MAXDIM (54000 past it) */

/* PostgreSQL's codes for array shape errors (here, not in error.h: only
 * arrays raise them) */
#ifndef SQLSTATE_ARRAY_SUBSCRIPT_ERROR
#define SQLSTATE_ARRAY_SUBSCRIPT_ERROR "2202E"
#endif
#ifndef SQLSTATE_DATA_EXCEPTION
#define SQLSTATE_DATA_EXCEPTION "22000"
#endif

/* One element of a parsed array: its unquoted text at off in the array's
 * text buffer (len bytes), or NULL. */
typedef struct mur_arr_elem {
	size_t off, len;
	int null;
} mur_arr_elem;

/* A parsed array: n elements whose bytes live in text, of ndim dimensions
 * of dims[] elements (ndim >= 2 only: see "Shape").  mur_arr_init, then
 * mur_arr_parse or mur_arr_push, then mur_arr_free. */
typedef struct mur_arr {
	mur_buf text;
	mur_arr_elem *e;
	int n, cap;
	int ndim, dims[MUR_ARR_NDIM_MAX];
} mur_arr;

/* a's number of dimensions: 0 for an empty array. */
static inline int mur_arr_ndim(const mur_arr *a) { return a->ndim >= 2 ? a->ndim : a->n > 0; }
/* The size of a's dimension d (0-based, d < mur_arr_ndim(a)). */
static inline int mur_arr_dim(const mur_arr *a, int d) { return a->ndim >= 2 ? a->dims[d] : a->n; }
/* Give a (whose n elements are in place) the shape ndim x dims; ndim <= 1
 * makes it one-dimensional.  The product of dims must be n (asserted). */
void mur_arr_set_shape(mur_arr *a, int ndim, const int *dims);

void mur_arr_init(mur_arr *a);
void mur_arr_free(mur_arr *a);
/* Parse s (len bytes) as an array of type t into a (emptied first), with
 * its shape.  The elements are not checked against the element type
 * (mur_arr_from_pgtext does).  22P02 malformed, 0A000 a dimension
 * decoration, 54000 too many elements or dimensions. */
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
/* A numeric[]'s text with each element's trailing fraction zeros dropped
 * ({1.0,2.50} → {1,2.5}): equal arrays spelled alike, for the subquery
 * sets that compare by bytes (mur_array_num_norm). */
int mur_arr_num_norm(const char *text, size_t len, mur_buf *out, mur_error *err);
/* Write a as PostgreSQL prints it to out (nested braces by its shape). */
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

/* array_dims(a) ('[1:2][1:3]') appended to out; nothing for an empty a. */
void mur_arr_dims_text(const mur_arr *a, mur_buf *out);
/* ARRAY[sub, ...] of n arrays (PostgreSQL's ExecEvalArrayExpr): out (empty
 * on entry) gets their elements under one more dimension.  A NULL sub
 * (subs[i] NULL) or empty one makes the result '{}' when all are so,
 * 2202E otherwise; so do sub-arrays whose shapes differ; 54000 past
 * MUR_ARR_NDIM_MAX dimensions. */
int mur_arr_stack(mur_arr *out, const mur_arr *const *subs, int n, mur_error *err);
/* array_cat(a, b) into out (empty on entry): PostgreSQL's array_cat for
 * arrays of equal dimensions or of one dimension less on either side;
 * 2202E "cannot concatenate incompatible arrays" otherwise. */
int mur_arr_concat(mur_arr *out, const mur_arr *a, const mur_arr *b, mur_error *err);
/* a[lo[0]:hi[0]]...[lo[k-1]:hi[k-1]] into out (empty on entry), as
 * PostgreSQL's array_get_slice: the dimensions past k whole, every bound
 * clamped to a's, '{}' when k exceeds a's dimensions or a range is empty. */
int mur_arr_slice(mur_arr *out, const mur_arr *a, int k, const long long *lo, const long long *hi,
		  mur_error *err);
/* The index into a->e of a[idx[0]]...[idx[k-1]], -1 when k is not a's
 * number of dimensions or an index is out of range (PostgreSQL: NULL). */
int mur_arr_offset(const mur_arr *a, int k, const long long *idx);

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
