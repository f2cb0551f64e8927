/*
 * pgw_binary_array.c — the binary form of murphy's arrays (array_send /
 * array_recv of PostgreSQL 15), for every array type whose element type
 * has a binary form here (common/array.h's types: int4[] 1007, int8[]
 * 1016, text[] 1009, ...).
 *
 *   Int32 ndim (0 for an empty array, up to MUR_ARR_NDIM_MAX), Int32
 *   flags (1: has NULLs), UInt32 element type OID, per dimension Int32
 *   size and Int32 lower bound (1), then per element (row-major) Int32
 *   length (-1: NULL) and its bytes in the element type's binary form
 *   (pgw_binary_send / pgw_binary_recv).
 *
 * recv refuses (22P03) a lower bound other than 1 (0A000: murphy keeps
 * none), an element type other than the array's, sizes whose product
 * passes MUR_ARR_ELEMS_MAX, and trailing bytes; more than
 * MUR_ARR_NDIM_MAX dimensions is 54000, as PostgreSQL's.
 */
#include "pgwire/pgw_binary.h"

#include "common/array.h"
#include "common/value.h"

#include <string.h>

/* The element OID of array type oid, 0 when oid is no array of ours. */
uint32_t pgw_array_elem_oid(uint32_t oid)
{
	mur_type t = mur_type_from_oid(oid);
	return mur_type_is_array(t) && mur_type_elem(t) != MT_UNKNOWN
		       ? mur_type_oid(mur_type_elem(t))
		       : 0;
}

int pgw_array_send(uint32_t oid, const char *text, size_t len, mur_buf *out, mur_error *err)
{
	uint32_t elem = pgw_array_elem_oid(oid);
	int nulls = 0, rc = MUR_OK;
	mur_arr a;
	mur_arr_init(&a);
	if (mur_arr_parse(&a, mur_type_from_oid(oid), text, len, err) != MUR_OK) {
		mur_arr_free(&a);
		return MUR_ERR;
	}
	for (int i = 0; i < a.n; i++)
		nulls |= a.e[i].null;
	mur_buf_put_u32(out, (uint32_t)mur_arr_ndim(&a));
	mur_buf_put_u32(out, (uint32_t)nulls);
	mur_buf_put_u32(out, elem);
	for (int d = 0; d < mur_arr_ndim(&a); d++) {
		mur_buf_put_u32(out, (uint32_t)mur_arr_dim(&a, d));
		mur_buf_put_u32(out, 1); /* lower bound */
	}
	for (int i = 0; i < a.n && rc == MUR_OK; i++) {
		size_t at = out->len;
		if (a.e[i].null) {
			mur_buf_put_u32(out, UINT32_MAX); /* -1 */
			continue;
		}
		mur_buf_put_u32(out, 0); /* patched below */
		rc = pgw_binary_send(elem, mur_arr_s(&a, i), a.e[i].len, out, err);
		if (rc == MUR_OK && mur_buf_ok(out))
			mur_buf_patch_u32(out, at, (uint32_t)(out->len - at - 4));
	}
	mur_arr_free(&a);
	return rc;
}

static int bad(mur_error *err, const char *what)
{
	return mur_error_set(err, SQLSTATE_INVALID_BINARY_REPRESENTATION, "%s", what);
}

/* The header's dimensions (ndim of them) into dims, *n their product. */
static int read_dims(mur_rd *rd, uint32_t ndim, int *dims, uint32_t *n, mur_error *err)
{
	uint64_t total = 1;
	for (uint32_t d = 0; d < ndim; d++) {
		uint32_t size = mur_rd_u32(rd), lower = mur_rd_u32(rd);
		if (!mur_rd_ok(rd))
			return bad(err, "insufficient data left in message");
		if (lower != 1)
			return mur_error_set(err, SQLSTATE_FEATURE_NOT_SUPPORTED,
					     "murphy does not support array lower bounds other "
					     "than 1");
		total *= size;
		if (total > MUR_ARR_ELEMS_MAX)
			return mur_error_set(err, SQLSTATE_PROGRAM_LIMIT_EXCEEDED,
					     "array size exceeds the maximum allowed (%d)",
					     MUR_ARR_ELEMS_MAX);
		dims[d] = (int)size;
	}
	*n = ndim ? (uint32_t)total : 0;
	return MUR_OK;
}

int pgw_array_recv(uint32_t oid, const char *bin, size_t len, mur_buf *out, mur_error *err)
{
	uint32_t elem = pgw_array_elem_oid(oid), ndim, got_elem, n = 0;
	int dims[MUR_ARR_NDIM_MAX];
	mur_buf one;
	mur_arr a;
	mur_rd rd;
	int rc = MUR_OK;
	mur_rd_init(&rd, bin, len);
	ndim = mur_rd_u32(&rd);
	(void)mur_rd_u32(&rd); /* flags: NULLs show as -1 lengths anyway */
	got_elem = mur_rd_u32(&rd);
	if (!mur_rd_ok(&rd))
		return bad(err, "insufficient data left in message");
	if (ndim > MUR_ARR_NDIM_MAX)
		return mur_error_set(err, SQLSTATE_PROGRAM_LIMIT_EXCEEDED,
				     "number of array dimensions (%u) exceeds the maximum allowed "
				     "(%d)",
				     ndim, MUR_ARR_NDIM_MAX);
	if (got_elem != elem)
		return bad(err, "wrong element type");
	if (read_dims(&rd, ndim, dims, &n, err) != MUR_OK)
		return MUR_ERR;
	mur_arr_init(&a);
	mur_buf_init(&one);
	for (uint32_t i = 0; i < n && rc == MUR_OK; i++) {
		uint32_t l = mur_rd_u32(&rd);
		const char *p;
		if (!mur_rd_ok(&rd)) {
			rc = bad(err, "insufficient data left in message");
			break;
		}
		if (l == UINT32_MAX) {
			rc = mur_arr_push(&a, "", 0, 1, err);
			continue;
		}
		if (!(p = mur_rd_bytes(&rd, l))) {
			rc = bad(err, "insufficient data left in message");
			break;
		}
		mur_buf_reset(&one);
		rc = pgw_binary_recv(elem, p, l, &one, err);
		if (rc == MUR_OK)
			rc = mur_arr_push(&a, one.data ? one.data : "", one.len, 0, err);
	}
	if (rc == MUR_OK && mur_rd_left(&rd) != 0)
		rc = bad(err, "incorrect binary data format in array");
	if (rc == MUR_OK) {
		if (n)
			mur_arr_set_shape(&a, (int)ndim, dims);
		mur_arr_out(&a, out);
	}
	mur_buf_free(&one);
	mur_arr_free(&a);
	return rc;
}
