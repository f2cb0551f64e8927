/*
 * value_row.c — the row encoding (format in value.h's file comment): one
 * tag byte, the storage kind, then the payload, big-endian through mur_buf.
 * Rows cross the node protocol and feed the hash aggregate and the
 * leader's merge, so a reader must survive any bytes: an unknown tag or a
 * short payload is MUR_EPROTO, never a read past the end.
 */
#include "common/value.h"

void mur_row_put_value(mur_buf *b, const mur_value *v)
{
	mur_buf_put_u8(b, (uint8_t)v->kind);
	switch (v->kind) {
	case MV_INT:
		mur_buf_put_i64(b, v->i);
		break;
	case MV_FLOAT:
		mur_buf_put_f64(b, v->f);
		break;
	case MV_TEXT:
	case MV_BLOB:
		mur_buf_put_lstr(b, v->s, v->len);
		break;
	default:
		break;
	}
}

int mur_row_get_value(mur_rd *r, mur_value *v)
{
	uint32_t n;
	*v = mur_v_null();
	uint8_t tag = mur_rd_u8(r);
	switch (tag) {
	case MV_NULL:
		break;
	case MV_INT:
		*v = mur_v_int(mur_rd_i64(r));
		break;
	case MV_FLOAT:
		*v = mur_v_float(mur_rd_f64(r));
		break;
	case MV_TEXT:
	case MV_BLOB:
		v->s = mur_rd_lstr(r, &n);
		v->kind = (mur_vkind)tag;
		v->len = n;
		if (!v->s)
			v->s = "";
		break;
	default:
		r->bad = 1;
		break;
	}
	if (!mur_rd_ok(r)) {
		*v = mur_v_null();
		return MUR_EPROTO;
	}
	return MUR_OK;
}
