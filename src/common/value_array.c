/*
 * value_array.c — array text input and output, and the order of arrays
 * and of their elements (contract and stored form in array.h).
 *
 * Parsing follows PostgreSQL's ReadArrayStr: the leading '{'s give the
 * number of dimensions; each brace level holds sub-arrays (parse_level)
 * down to the innermost, which holds elements (parse_elem).  An element
 * is a run of quoted ("...") and unquoted pieces up to ',' or '}', '\'
 * escapes the next character anywhere, white space around an unquoted
 * element is dropped, and an unquoted NULL (any case) is the NULL element.
 * Every sub-array of one level must have as many members as the first
 * (arr_scan.dims records it).  The shape functions are array_shape.c's.
 */
#include "common/array.h"
#include "common/numeric.h"
#include "common/value_int.h"

#include <assert.h>
#include <stdlib.h>
#include <strings.h>

void mur_arr_init(mur_arr *a)
{
	memset(a, 0, sizeof *a);
	mur_buf_init(&a->text);
}

void mur_arr_free(mur_arr *a)
{
	mur_buf_free(&a->text);
	free(a->e);
	memset(a, 0, sizeof *a);
}

int mur_arr_push(mur_arr *a, const char *s, size_t len, int null, mur_error *err)
{
	if (a->n >= a->cap) {
		int cap = a->cap ? a->cap * 2 : 8;
		mur_arr_elem *e;
		if (a->n >= MUR_ARR_ELEMS_MAX)
			return mur_error_set(err, SQLSTATE_PROGRAM_LIMIT_EXCEEDED,
					     "array size exceeds the maximum allowed (%d)",
					     MUR_ARR_ELEMS_MAX);
		if (!(e = realloc(a->e, (size_t)cap * sizeof *e)))
			return mur_error_set(err, SQLSTATE_OUT_OF_MEMORY, "out of memory");
		a->e = e;
		a->cap = cap;
	}
	a->e[a->n].off = a->text.len;
	a->e[a->n].len = null ? 0 : len;
	a->e[a->n].null = null;
	if (!null)
		mur_buf_put(&a->text, s, len);
	if (!mur_buf_ok(&a->text))
		return mur_error_set(err, SQLSTATE_OUT_OF_MEMORY, "out of memory");
	a->n++;
	return MUR_OK;
}

static int malformed(mur_error *err, const char *s, size_t len, const char *detail)
{
	mur_error_set(err, SQLSTATE_INVALID_TEXT_REPRESENTATION,
		      "malformed array literal: \"%.*s\"", value_quote_len(len), s);
	mur_error_detail(err, "%s", detail);
	return MUR_ERR;
}

/* One element at s[*i] (after '{' or ','), its unquoted bytes to a: a
 * quoted element ("..." with white space around), or an unquoted one (no
 * '"', white space around it dropped); '\' escapes the next character in
 * both.  *i is left at the ',' or '}' after it. */
static int parse_elem(mur_arr *a, const char *s, size_t len, size_t *i, mur_error *err)
{
	size_t p = *i, start = a->text.len, last_kept = a->text.len;
	int quoted = 0, escaped = 0, null;
	while (p < len && value_pg_space(s[p]))
		p++;
	if (p < len && s[p] == '"') {
		quoted = 1;
		for (p++; p < len && s[p] != '"'; p++) {
			if (s[p] == '\\' && ++p >= len)
				break;
			mur_buf_put_u8(&a->text, (uint8_t)s[p]);
		}
		if (p >= len)
			return malformed(err, s, len, "Unexpected end of input.");
		p++; /* the closing quote */
		while (p < len && value_pg_space(s[p]))
			p++;
		if (p < len && s[p] != ',' && s[p] != '}')
			return malformed(err, s, len, "Unexpected array element.");
		last_kept = a->text.len;
	} else {
		for (; p < len && s[p] != ',' && s[p] != '}'; p++) {
			char ch = s[p];
			if (ch == '"')
				return malformed(err, s, len, "Unexpected \"\"\" character.");
			if (ch == '{')
				return malformed(err, s, len, "Unexpected \"{\" character.");
			if (ch == '\\') {
				if (++p >= len)
					break;
				mur_buf_put_u8(&a->text, (uint8_t)s[p]);
				last_kept = a->text.len;
				escaped = 1; /* \NULL is the text NULL */
				continue;
			}
			mur_buf_put_u8(&a->text, (uint8_t)ch);
			if (!value_pg_space(ch))
				last_kept = a->text.len;
		}
		a->text.len = last_kept; /* trailing white space */
	}
	if (p >= len)
		return malformed(err, s, len, "Unexpected end of input.");
	if (!quoted && a->text.len == start)
		return malformed(err, s, len, "Unexpected \",\" character.");
	null = !quoted && !escaped && a->text.len - start == 4 &&
	       !strncasecmp(a->text.data + start, "NULL", 4);
	{
		size_t n = a->text.len - start;
		a->text.len = start; /* the slot records them where they are */
		if (mur_arr_push(a, NULL, 0, null, err) != MUR_OK) /* the slot */
			return MUR_ERR;
		a->e[a->n - 1].len = null ? 0 : n; /* the bytes already at start */
		a->text.len = null ? start : start + n;
	}
	*i = p;
	return MUR_OK;
}

/* The state of one parse: the text, the position, the dimensions. */
typedef struct arr_scan {
	const char *s;
	size_t len, i;
	int ndim;
	int dims[MUR_ARR_NDIM_MAX], seen[MUR_ARR_NDIM_MAX];
} arr_scan;

static void skip_space(arr_scan *p)
{
	while (p->i < p->len && value_pg_space(p->s[p->i]))
		p->i++;
}

static int scan_malformed(const arr_scan *p, mur_error *err, const char *detail)
{
	return malformed(err, p->s, p->len, detail);
}

/* The elements of the innermost level, p->i just past its '{' (white
 * space skipped); *count gets how many.  '{}' only as the whole array. */
static int parse_innermost(mur_arr *a, arr_scan *p, int *count, mur_error *err)
{
	*count = 0;
	if (p->i < p->len && p->s[p->i] == '}') {
		if (p->ndim > 1)
			return scan_malformed(p, err, "Unexpected \"}\" character.");
		p->i++;
		return MUR_OK;
	}
	for (;;) {
		if (parse_elem(a, p->s, p->len, &p->i, err) != MUR_OK)
			return MUR_ERR;
		(*count)++;
		if (p->s[p->i++] == '}')
			return MUR_OK;
	}
}

/* Level d (0 outermost) at p->s[p->i] == '{': its sub-arrays or elements,
 * p->i left past its '}'; its size must equal every earlier one of level d. */
static int parse_level(mur_arr *a, arr_scan *p, int d, mur_error *err)
{
	int count = 0;
	p->i++;
	skip_space(p);
	if (d == p->ndim - 1) {
		if (parse_innermost(a, p, &count, err) != MUR_OK)
			return MUR_ERR;
	} else {
		for (;;) {
			char ch;
			skip_space(p);
			if (p->i >= p->len)
				return scan_malformed(p, err, "Unexpected end of input.");
			if (p->s[p->i] != '{')
				return scan_malformed(p, err,
						      p->s[p->i] == '}'
							      ? "Unexpected \"}\" character."
							      : "Unexpected array element.");
			if (parse_level(a, p, d + 1, err) != MUR_OK)
				return MUR_ERR;
			count++;
			skip_space(p);
			if (p->i >= p->len)
				return scan_malformed(p, err, "Unexpected end of input.");
			ch = p->s[p->i++];
			if (ch == '}')
				break;
			if (ch != ',')
				return scan_malformed(p, err,
						      ch == '{' ? "Unexpected \"{\" character."
								: "Unexpected array element.");
		}
	}
	if (!p->seen[d]) {
		p->seen[d] = 1;
		p->dims[d] = count;
	} else if (p->dims[d] != count) {
		return scan_malformed(p, err,
				      "Multidimensional arrays must have sub-arrays with "
				      "matching dimensions.");
	}
	return MUR_OK;
}

/* The number of dimensions: the '{'s that open s (white space between). */
static int count_dims(const arr_scan *p)
{
	int n = 0;
	for (size_t i = p->i; i < p->len; i++) {
		if (p->s[i] == '{')
			n++;
		else if (!value_pg_space(p->s[i]))
			break;
	}
	return n;
}

int mur_arr_parse(mur_arr *a, mur_type t, const char *s, size_t len, mur_error *err)
{
	arr_scan p;
	(void)t;
	a->n = 0;
	a->ndim = 0;
	mur_buf_reset(&a->text);
	memset(&p, 0, sizeof p);
	p.s = s;
	p.len = len;
	skip_space(&p);
	if (p.i < len && s[p.i] == '[')
		return mur_error_set(err, SQLSTATE_FEATURE_NOT_SUPPORTED,
				     "murphy does not support array dimension decorations");
	if (p.i >= len || s[p.i] != '{')
		return malformed(err, s, len,
				 "Array value must start with \"{\" or dimension information.");
	p.ndim = count_dims(&p);
	if (p.ndim > MUR_ARR_NDIM_MAX)
		return mur_error_set(err, SQLSTATE_PROGRAM_LIMIT_EXCEEDED,
				     "number of array dimensions (%d) exceeds the maximum allowed "
				     "(%d)",
				     p.ndim, MUR_ARR_NDIM_MAX);
	if (parse_level(a, &p, 0, err) != MUR_OK)
		return MUR_ERR;
	skip_space(&p);
	if (p.i != len)
		return malformed(err, s, len, "Junk after closing right brace.");
	mur_arr_set_shape(a, p.ndim, p.dims);
	return MUR_OK;
}

static int needs_quotes(const char *s, size_t n)
{
	if (n == 0 || (n == 4 && !strncasecmp(s, "NULL", 4)))
		return 1;
	for (size_t i = 0; i < n; i++)
		if (s[i] == '"' || s[i] == '\\' || s[i] == '{' || s[i] == '}' || s[i] == ',' ||
		    value_pg_space(s[i]))
			return 1;
	return 0;
}

static void put_elem(const mur_arr *a, int i, mur_buf *out)
{
	const char *s = mur_arr_s(a, i);
	size_t n = a->e[i].len;
	if (a->e[i].null) {
		mur_buf_put(out, "NULL", 4);
	} else if (!needs_quotes(s, n)) {
		mur_buf_put(out, s, n);
	} else {
		mur_buf_put_u8(out, '"');
		for (size_t k = 0; k < n; k++) {
			if (s[k] == '"' || s[k] == '\\')
				mur_buf_put_u8(out, '\\');
			mur_buf_put_u8(out, (uint8_t)s[k]);
		}
		mur_buf_put_u8(out, '"');
	}
}

/* Level d of a, its elements from *k on. */
static void out_level(const mur_arr *a, int d, int *k, mur_buf *out)
{
	int last = d == mur_arr_ndim(a) - 1;
	mur_buf_put_u8(out, '{');
	for (int j = 0; j < mur_arr_dim(a, d); j++) {
		if (j)
			mur_buf_put_u8(out, ',');
		if (last)
			put_elem(a, (*k)++, out);
		else
			out_level(a, d + 1, k, out);
	}
	mur_buf_put_u8(out, '}');
}

void mur_arr_out(const mur_arr *a, mur_buf *out)
{
	int k = 0;
	if (mur_arr_ndim(a) == 0) {
		mur_buf_put(out, "{}", 2);
		return;
	}
	out_level(a, 0, &k, out);
	assert(k == a->n);
}

void mur_arr_elem_text(mur_type elem, const mur_value *v, mur_buf *out)
{
	if (elem == MT_BOOL && v->kind == MV_TEXT) /* already 't' / 'f' */
		mur_buf_put(out, v->s, v->len);
	else
		mur_value_to_pgtext(elem, v, out);
}

int mur_arr_from_pgtext(mur_type t, const char *text, size_t len, mur_buf *scratch, mur_value *out,
			mur_error *err)
{
	mur_type elem = mur_type_elem(t);
	mur_arr in, canon;
	mur_buf tmp;
	int rc = MUR_OK;
	size_t off;
	mur_arr_init(&in);
	mur_arr_init(&canon);
	mur_buf_init(&tmp);
	if (mur_arr_parse(&in, t, text, len, err) != MUR_OK) {
		rc = MUR_ERR;
		goto free_all;
	}
	for (int i = 0; i < in.n && rc == MUR_OK; i++) {
		mur_value v;
		if (in.e[i].null) {
			rc = mur_arr_push(&canon, "", 0, 1, err);
			continue;
		}
		mur_buf_reset(&tmp);
		if (mur_value_from_pgtext(elem, mur_arr_s(&in, i), in.e[i].len, &tmp, &v, err) !=
		    MUR_OK) {
			rc = MUR_ERR;
			break;
		}
		{
			mur_buf one;
			mur_buf_init(&one);
			mur_arr_elem_text(elem, &v, &one);
			rc = mur_arr_push(&canon, one.data ? one.data : "", one.len, 0, err);
			mur_buf_free(&one);
		}
	}
	if (rc != MUR_OK)
		goto free_all;
	mur_arr_set_shape(&canon, in.ndim, in.dims);
	off = scratch->len;
	mur_arr_out(&canon, scratch);
	if (!mur_buf_ok(scratch)) {
		rc = mur_error_set(err, SQLSTATE_OUT_OF_MEMORY, "out of memory");
		goto free_all;
	}
	*out = mur_v_text(scratch->data + off, scratch->len - off);
free_all:
	mur_buf_free(&tmp);
	mur_arr_free(&canon);
	mur_arr_free(&in);
	return rc;
}

/* A float element's value: strtod takes float8out's forms (Infinity, NaN). */
static double float_of(const char *s, size_t n)
{
	char tmp[64];
	if (n >= sizeof tmp)
		n = sizeof tmp - 1;
	memcpy(tmp, s, n);
	tmp[n] = 0;
	return strtod(tmp, NULL);
}

int mur_arr_elem_cmp(mur_type elem, const char *a, size_t la, const char *b, size_t lb)
{
	int c;
	if (elem == MT_FLOAT4 || elem == MT_FLOAT8) {
		double x = float_of(a, la), y = float_of(b, lb);
		if (x != x || y != y) /* NaN: after everything, equal to itself */
			return (x != x) - (y != y);
		return (x > y) - (x < y);
	}
	if (mur_type_is_numeric(elem))
		return mur_num_text_cmp(a, la, b, lb);
	c = memcmp(a, b, la < lb ? la : lb);
	return c ? c : (la > lb) - (la < lb);
}

int mur_arr_cmp(mur_type elem, const mur_arr *a, const mur_arr *b)
{
	int n = a->n < b->n ? a->n : b->n;
	for (int i = 0; i < n; i++) {
		int c;
		if (a->e[i].null || b->e[i].null) {
			c = a->e[i].null - b->e[i].null;
			if (c)
				return c;
			continue;
		}
		c = mur_arr_elem_cmp(elem, mur_arr_s(a, i), a->e[i].len, mur_arr_s(b, i),
				     b->e[i].len);
		if (c)
			return c;
	}
	if (a->n != b->n)
		return (a->n > b->n) - (a->n < b->n);
	if (mur_arr_ndim(a) != mur_arr_ndim(b))
		return (mur_arr_ndim(a) > mur_arr_ndim(b)) - (mur_arr_ndim(a) < mur_arr_ndim(b));
	for (int d = 0; d < mur_arr_ndim(a); d++)
		if (mur_arr_dim(a, d) != mur_arr_dim(b, d))
			return (mur_arr_dim(a, d) > mur_arr_dim(b, d)) -
			       (mur_arr_dim(a, d) < mur_arr_dim(b, d));
	return 0;
}

/* A numeric[]'s text with each element rounded to typmod (>= 0) or, for
 * MUR_ARR_NUM_NORMALIZE, without trailing fraction zeros. */
#define MUR_ARR_NUM_NORMALIZE (-2)

static int num_each(const char *text, size_t len, int32_t typmod, mur_buf *out, mur_error *err);

int mur_arr_num_typmod(const char *text, size_t len, int32_t typmod, mur_buf *out, mur_error *err)
{
	return num_each(text, len, typmod, out, err);
}

int mur_arr_num_norm(const char *text, size_t len, mur_buf *out, mur_error *err)
{
	return num_each(text, len, MUR_ARR_NUM_NORMALIZE, out, err);
}

static int num_each(const char *text, size_t len, int32_t typmod, mur_buf *out, mur_error *err)
{
	mur_arr a, r;
	mur_buf one;
	mur_num n;
	int rc;
	mur_arr_init(&a);
	mur_arr_init(&r);
	mur_buf_init(&one);
	mur_num_init(&n);
	rc = mur_arr_parse(&a, MT_NUMERIC_ARRAY, text, len, err);
	for (int i = 0; rc == MUR_OK && i < a.n; i++) {
		mur_buf_reset(&one);
		if (!a.e[i].null &&
		    (rc = mur_num_parse(&n, mur_arr_s(&a, i), a.e[i].len, err)) == MUR_OK &&
		    (typmod == MUR_ARR_NUM_NORMALIZE
			     ? (mur_num_normalize(&n), MUR_OK)
			     : (rc = mur_num_apply_typmod(&n, typmod, err))) == MUR_OK)
			mur_num_to_text(&n, &one);
		if (rc == MUR_OK)
			rc = mur_arr_push(&r, one.data ? one.data : "", one.len, a.e[i].null, err);
	}
	if (rc == MUR_OK) {
		mur_arr_set_shape(&r, a.ndim, a.dims);
		mur_arr_out(&r, out);
	}
	mur_num_clear(&n);
	mur_buf_free(&one);
	mur_arr_free(&r);
	mur_arr_free(&a);
	return rc;
}
