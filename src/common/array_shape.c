/*
 * array_shape.c — the shape of multidimensional arrays (array.h, "Shape"):
 * setting it, array_dims' text, ARRAY[] of arrays (mur_arr_stack),
 * array_cat (mur_arr_concat), slices (mur_arr_slice) and subscripts
 * (mur_arr_offset), each as PostgreSQL 15's arrayfuncs.c / execExprInterp.c
 * does it for arrays whose lower bounds are all 1 (murphy's only ones).
 *
 * Elements are in row-major order: the element a[i1]...[ik] is at offset
 * sum((i_d - 1) * stride_d), stride_d the product of the sizes of the
 * dimensions after d.  Every function here copies elements with
 * mur_arr_push and sets the shape last (mur_arr_set_shape).
 */
#include "common/array.h"

#include <assert.h>
#include <stdio.h>

void mur_arr_set_shape(mur_arr *a, int ndim, const int *dims)
{
	long long n = 1;
	if (ndim <= 1) {
		a->ndim = a->n > 0;
		a->dims[0] = a->n;
		return;
	}
	assert(ndim <= MUR_ARR_NDIM_MAX);
	for (int d = 0; d < ndim; d++) {
		a->dims[d] = dims[d];
		n *= dims[d];
	}
	assert(n == a->n);
	a->ndim = n ? ndim : 0;
}

void mur_arr_dims_text(const mur_arr *a, mur_buf *out)
{
	for (int d = 0; d < mur_arr_ndim(a); d++)
		mur_buf_printf(out, "[1:%d]", mur_arr_dim(a, d));
}

static int push_range(mur_arr *out, const mur_arr *a, int from, int count, mur_error *err)
{
	for (int i = from; i < from + count; i++)
		if (mur_arr_push(out, mur_arr_s(a, i), a->e[i].len, a->e[i].null, err) != MUR_OK)
			return MUR_ERR;
	return MUR_OK;
}

static int same_shape(const mur_arr *a, const mur_arr *b)
{
	if (mur_arr_ndim(a) != mur_arr_ndim(b))
		return 0;
	for (int d = 0; d < mur_arr_ndim(a); d++)
		if (mur_arr_dim(a, d) != mur_arr_dim(b, d))
			return 0;
	return 1;
}

static int mismatched(mur_error *err)
{
	return mur_error_set(err, SQLSTATE_ARRAY_SUBSCRIPT_ERROR,
			     "multidimensional arrays must have array expressions with matching "
			     "dimensions");
}

int mur_arr_stack(mur_arr *out, const mur_arr *const *subs, int n, mur_error *err)
{
	const mur_arr *first = NULL;
	int empty = 0, dims[MUR_ARR_NDIM_MAX];
	for (int i = 0; i < n; i++) {
		if (!subs[i] || mur_arr_ndim(subs[i]) == 0) {
			empty = 1;
			continue;
		}
		if (!first)
			first = subs[i];
		else if (!same_shape(first, subs[i]))
			return mismatched(err);
	}
	if (!first)
		return MUR_OK; /* every one NULL or empty: '{}' */
	if (empty)
		return mismatched(err);
	if (mur_arr_ndim(first) + 1 > MUR_ARR_NDIM_MAX)
		return mur_error_set(err, SQLSTATE_PROGRAM_LIMIT_EXCEEDED,
				     "number of array dimensions (%d) exceeds the maximum allowed "
				     "(%d)",
				     mur_arr_ndim(first) + 1, MUR_ARR_NDIM_MAX);
	for (int i = 0; i < n; i++)
		if (push_range(out, subs[i], 0, subs[i]->n, err) != MUR_OK)
			return MUR_ERR;
	dims[0] = n;
	for (int d = 0; d < mur_arr_ndim(first); d++)
		dims[d + 1] = mur_arr_dim(first, d);
	mur_arr_set_shape(out, mur_arr_ndim(first) + 1, dims);
	return MUR_OK;
}

static int incompatible(mur_error *err)
{
	mur_error_set(err, SQLSTATE_ARRAY_SUBSCRIPT_ERROR,
		      "cannot concatenate incompatible arrays");
	mur_error_detail(err, "Arrays with differing dimensions are not compatible for "
			      "concatenation.");
	return MUR_ERR;
}

/* Do the dimensions of a from da on equal b's from db on (count of them)? */
static int dims_match(const mur_arr *a, int da, const mur_arr *b, int db, int count)
{
	for (int d = 0; d < count; d++)
		if (mur_arr_dim(a, da + d) != mur_arr_dim(b, db + d))
			return 0;
	return 1;
}

int mur_arr_concat(mur_arr *out, const mur_arr *a, const mur_arr *b, mur_error *err)
{
	int na = mur_arr_ndim(a), nb = mur_arr_ndim(b), dims[MUR_ARR_NDIM_MAX];
	const mur_arr *big = na >= nb ? a : b;
	if (na == 0 || nb == 0) { /* the other one, as it is */
		const mur_arr *x = na ? a : b;
		if (push_range(out, x, 0, x->n, err) != MUR_OK)
			return MUR_ERR;
		mur_arr_set_shape(out, x->ndim, x->dims);
		return MUR_OK;
	}
	if (na == nb       ? !dims_match(a, 1, b, 1, na - 1)
	    : na == nb + 1 ? !dims_match(a, 1, b, 0, nb)
	    : nb == na + 1 ? !dims_match(a, 0, b, 1, na)
			   : 1)
		return incompatible(err);
	if (push_range(out, a, 0, a->n, err) != MUR_OK ||
	    push_range(out, b, 0, b->n, err) != MUR_OK)
		return MUR_ERR;
	for (int d = 0; d < mur_arr_ndim(big); d++)
		dims[d] = mur_arr_dim(big, d);
	dims[0] = na == nb ? mur_arr_dim(a, 0) + mur_arr_dim(b, 0) : dims[0] + 1;
	mur_arr_set_shape(out, mur_arr_ndim(big), dims);
	return MUR_OK;
}

/* The stride of dimension d: how many elements one step of it skips. */
static long long stride(const mur_arr *a, int d)
{
	long long s = 1;
	for (int k = d + 1; k < mur_arr_ndim(a); k++)
		s *= mur_arr_dim(a, k);
	return s;
}

int mur_arr_offset(const mur_arr *a, int k, const long long *idx)
{
	long long off = 0;
	if (k != mur_arr_ndim(a))
		return -1;
	for (int d = 0; d < k; d++) {
		if (idx[d] < 1 || idx[d] > mur_arr_dim(a, d))
			return -1;
		off += (idx[d] - 1) * stride(a, d);
	}
	return (int)off;
}

/* The elements of the box lo..hi (0-based, inclusive) from dimension d on,
 * base the offset of the box's corner in the dimensions before d. */
static int copy_box(mur_arr *out, const mur_arr *a, int d, long long base, const int *lo,
		    const int *hi, mur_error *err)
{
	long long s = stride(a, d);
	for (int i = lo[d]; i <= hi[d]; i++) {
		long long at = base + i * s;
		if (d == mur_arr_ndim(a) - 1) {
			if (push_range(out, a, (int)at, 1, err) != MUR_OK)
				return MUR_ERR;
		} else if (copy_box(out, a, d + 1, at, lo, hi, err) != MUR_OK) {
			return MUR_ERR;
		}
	}
	return MUR_OK;
}

int mur_arr_slice(mur_arr *out, const mur_arr *a, int k, const long long *lo, const long long *hi,
		  mur_error *err)
{
	int nd = mur_arr_ndim(a), l[MUR_ARR_NDIM_MAX], h[MUR_ARR_NDIM_MAX], dims[MUR_ARR_NDIM_MAX];
	if (nd == 0 || k > nd)
		return MUR_OK; /* '{}' */
	for (int d = 0; d < nd; d++) {
		long long x = d < k && lo[d] > 1 ? lo[d] : 1;
		long long y = d < k && hi[d] < mur_arr_dim(a, d) ? hi[d] : mur_arr_dim(a, d);
		if (x > y)
			return MUR_OK;
		l[d] = (int)x - 1;
		h[d] = (int)y - 1;
		dims[d] = (int)(y - x + 1);
	}
	if (copy_box(out, a, 0, 0, l, h, err) != MUR_OK)
		return MUR_ERR;
	mur_arr_set_shape(out, nd, dims);
	return MUR_OK;
}
