/*
 * value.c — what storage values mean to each other: coercion to a type's
 * storage class (mur_value_coerce: inserts and comparisons), the order
 * merges sort by (mur_value_cmp) and the distribution hash
 * (mur_value_hash).  Contract in value.h; the type table, text input and
 * output, dates and the row encoding are the other value_*.c files
 * (listed in value_int.h).
 *
 * Coercion follows PostgreSQL's casts where a storage class changes:
 * dtoi4/dtoi8 (round half to even, then range check), float8 to float4
 * (overflow is an error), a number to text as its text output, text to
 * anything by parsing it as a literal (mur_value_from_pgtext).
 *
 * Memory: nothing here allocates except appends to the caller's scratch.
 */
#include "common/value_int.h"
#include "common/numeric.h"
#include "common/bpchar.h"

#include <xxhash.h>

static int int_out_of_range(mur_type t, mur_error *err)
{
	return mur_error_set(err, SQLSTATE_NUMERIC_VALUE_OUT_OF_RANGE, "%s out of range",
			     t == MT_INT2   ? "smallint"
			     : t == MT_INT4 ? "integer"
					    : "bigint");
}

static int coerce_to_int(mur_type t, const mur_value *in, mur_buf *scratch, mur_value *out,
			 mur_error *err)
{
	int64_t v;
	switch (in->kind) {
	case MV_INT:
		v = in->i;
		break;
	case MV_FLOAT:
		if (t == MT_BOOL) {
			v = in->f != 0;
			break;
		}
		/* dtoi4/dtoi8: round half to even, then range check. */
		{
			double r = rint(in->f);
			if (isnan(r) || r < -0x1p63 || r >= 0x1p63)
				return int_out_of_range(t, err);
			v = (int64_t)r;
		}
		break;
	default: /* TEXT, BLOB: parse as a literal */
		return mur_value_from_pgtext(t, in->s, in->len, scratch, out, err);
	}
	if (t == MT_BOOL)
		v = v != 0;
	else if ((t == MT_INT2 && (v < INT16_MIN || v > INT16_MAX)) ||
		 (t == MT_INT4 && (v < INT32_MIN || v > INT32_MAX)))
		return int_out_of_range(t, err);
	*out = mur_v_int(v);
	return MUR_OK;
}

static int coerce_to_float(mur_type t, const mur_value *in, mur_buf *scratch, mur_value *out,
			   mur_error *err)
{
	double d;
	switch (in->kind) {
	case MV_INT:
		d = (double)in->i;
		break;
	case MV_FLOAT:
		d = in->f;
		break;
	default:
		return mur_value_from_pgtext(t, in->s, in->len, scratch, out, err);
	}
	if (t == MT_FLOAT4 && isfinite(d)) {
		float f = (float)d;
		if (isinf(f))
			return mur_error_set(err, SQLSTATE_NUMERIC_VALUE_OUT_OF_RANGE,
					     "value out of range: overflow");
		d = f;
	}
	*out = mur_v_float(d);
	return MUR_OK;
}

int mur_value_coerce_numeric(const mur_value *in, int32_t typmod, mur_buf *scratch, mur_value *out,
			     mur_error *err)
{
	size_t off = scratch->len;
	if (in->kind == MV_NULL) {
		*out = *in;
		return MUR_OK;
	}
	if (mur_num_canon_text(in, typmod, scratch, err) != MUR_OK)
		return MUR_ERR;
	if (!mur_buf_ok(scratch))
		return mur_error_set(err, SQLSTATE_OUT_OF_MEMORY, "out of memory");
	*out = mur_v_text(scratch->data + off, scratch->len - off);
	return MUR_OK;
}

int mur_value_coerce(mur_type t, const mur_value *in, mur_buf *scratch, mur_value *out,
		     mur_error *err)
{
	if (in->kind == MV_NULL || t == MT_UNKNOWN) {
		*out = *in;
		return MUR_OK;
	}
	if (t == MT_NUMERIC)
		return mur_value_coerce_numeric(in, -1, scratch, out, err);
	switch (mur_type_storage(t)) {
	case MV_INT:
		return coerce_to_int(t, in, scratch, out, err);
	case MV_FLOAT:
		return coerce_to_float(t, in, scratch, out, err);
	case MV_BLOB:
		if (in->kind == MV_BLOB) {
			*out = *in;
			return MUR_OK;
		}
		if (in->kind == MV_TEXT)
			return mur_value_from_pgtext(t, in->s, in->len, scratch, out, err);
		break;
	default: /* MV_TEXT */
		if (t == MT_DATE || t == MT_TIMESTAMP || t == MT_TIMESTAMPTZ || t == MT_UUID ||
		    t == MT_INTERVAL || mur_type_is_array(t)) {
			if (in->kind == MV_TEXT)
				return mur_value_from_pgtext(t, in->s, in->len, scratch, out, err);
			break;
		}
		if (in->kind == MV_TEXT) {
			*out = *in;
			return MUR_OK;
		}
		if (in->kind == MV_BLOB) {
			*out = mur_v_text(in->s, in->len);
			return MUR_OK;
		}
		/* A number as text: its PostgreSQL text form. */
		{
			size_t off = scratch->len;
			mur_value_to_pgtext(in->kind == MV_INT ? MT_INT8 : MT_FLOAT8, in, scratch);
			if (!mur_buf_ok(scratch))
				return mur_error_set(err, SQLSTATE_OUT_OF_MEMORY, "out of memory");
			*out = mur_v_text(scratch->data + off, scratch->len - off);
			return MUR_OK;
		}
	}
	static const char *const kind_names[] = {"null", "bigint", "double precision", "text",
						 "bytea"};
	return mur_error_set(err, SQLSTATE_DATATYPE_MISMATCH, "cannot cast type %s to %s",
			     kind_names[in->kind], mur_type_name(t));
}

/* Exact comparison of an int64 with a double; NaN sorts above every number
 * (PostgreSQL's float ordering). */
static int cmp_int_double(int64_t i, double d)
{
	if (isnan(d) || d >= 0x1p63)
		return -1;
	if (d < -0x1p63)
		return 1;
	int64_t t = (int64_t)d; /* truncates toward zero; in range */
	if (i != t)
		return i < t ? -1 : 1;
	double frac = d - (double)t;
	return frac > 0 ? -1 : frac < 0 ? 1 : 0;
}

static int cmp_double(double a, double b)
{
	if (isnan(a))
		return isnan(b) ? 0 : 1;
	if (isnan(b))
		return -1;
	return a < b ? -1 : a > b ? 1 : 0;
}

int mur_value_cmp(const mur_value *a, const mur_value *b)
{
	int an = a->kind == MV_NULL, bn = b->kind == MV_NULL;
	if (an || bn)
		return an - bn;
	int anum = a->kind == MV_INT || a->kind == MV_FLOAT;
	int bnum = b->kind == MV_INT || b->kind == MV_FLOAT;
	if (anum != bnum)
		return anum ? -1 : 1;
	if (anum) {
		if (a->kind == MV_INT && b->kind == MV_INT)
			return a->i < b->i ? -1 : a->i > b->i;
		if (a->kind == MV_INT)
			return cmp_int_double(a->i, b->f);
		if (b->kind == MV_INT)
			return -cmp_int_double(b->i, a->f);
		return cmp_double(a->f, b->f);
	}
	size_t n = a->len < b->len ? a->len : b->len;
	int c = n ? memcmp(a->s, b->s, n) : 0;
	if (c)
		return c < 0 ? -1 : 1;
	return a->len < b->len ? -1 : a->len > b->len;
}

uint64_t mur_value_hash(const mur_value *v)
{
	uint8_t num[8];
	const void *p;
	size_t len;
	if (mur_value_canon_bytes(v, num, &p, &len) == MV_NULL)
		return 0;
	return XXH64(p, len, 0);
}

uint64_t mur_value_hash_typed(mur_type t, const mur_value *v)
{
	mur_num a;
	mur_buf b;
	uint64_t h;
	if (t == MT_BPCHAR && v->kind == MV_TEXT) /* 'a' and 'a  ' on one shard */
		return XXH64(v->s, mur_bpchar_trimmed_len(v->s, v->len), 0);
	if (t != MT_NUMERIC || v->kind == MV_NULL)
		return mur_value_hash(v);
	mur_num_init(&a);
	mur_buf_init(&b);
	if (mur_num_from_value(&a, v, NULL) == MUR_OK) {
		mur_num_normalize(&a);
		mur_num_to_text(&a, &b);
	}
	h = XXH64(b.data ? b.data : "", b.len, 0);
	mur_buf_free(&b);
	mur_num_clear(&a);
	return h;
}
