/*
 * valkey.c — canonical key bytes of numeric, interval, jsonb and bpchar values
 * (contract in valkey.h).  Numeric and interval are a copy or a prefix;
 * jsonb with a '.' anywhere is parsed and written back as jsonb_out
 * writes it (", " and ": " between items), numbers canonical, so that text
 * without a '.' can be its own canon (a string holding '.' costs the parse
 * and changes nothing).
 */
#include "common/valkey.h"
#include "common/bpchar.h"

#include "common/interval.h"
#include "common/json.h"
#include "common/numeric.h"

#include <stdio.h>
#include <string.h>

mur_key_kind mur_key_kind_of(mur_type t)
{
	switch (t) {
	case MT_NUMERIC:
	case MT_NUMERIC_ARRAY: /* element by element (num_array_canon) */
		return MUR_KEY_NUMERIC;
	case MT_INTERVAL:
		return MUR_KEY_INTERVAL;
	case MT_JSONB:
		return MUR_KEY_JSONB;
	case MT_BPCHAR:
		return MUR_KEY_BPCHAR;
	default:
		return MUR_KEY_BYTES;
	}
}

static void json_canon(const mur_json *j, mur_buf *out)
{
	switch (j->kind) {
	case MJ_NULL:
		mur_buf_put(out, "null", 4);
		return;
	case MJ_BOOL:
		mur_buf_printf(out, j->b ? "true" : "false");
		return;
	case MJ_NUMBER:
		mur_num_text_canon(j->s, j->len, out);
		return;
	case MJ_STRING:
		mur_json_put_string(out, j->s, j->len);
		return;
	case MJ_ARRAY:
		mur_buf_put_u8(out, '[');
		for (int i = 0; i < j->n; i++) {
			if (i)
				mur_buf_put(out, ", ", 2);
			json_canon(j->kid[i], out);
		}
		mur_buf_put_u8(out, ']');
		return;
	case MJ_OBJECT:
		mur_buf_put_u8(out, '{');
		for (int i = 0; i < j->n; i++) {
			if (i)
				mur_buf_put(out, ", ", 2);
			json_canon(j->kid[2 * i], out);
			mur_buf_put(out, ": ", 2);
			json_canon(j->kid[2 * i + 1], out);
		}
		mur_buf_put_u8(out, '}');
		return;
	}
}

static void jsonb_canon(const char *s, size_t n, mur_buf *out)
{
	mur_json_doc *d;
	mur_json *j;
	mur_error err;
	if (!memchr(s, '.', n)) { /* no number with a fraction */
		mur_buf_put(out, s, n);
		return;
	}
	d = mur_json_doc_new();
	if (d && mur_json_parse(d, s, n, 1, &j, &err) == MUR_OK)
		json_canon(j, out);
	else
		mur_buf_put(out, s, n);
	mur_json_doc_free(d);
}

/* numeric[] text ('{1.0,{2,NULL}}': braces, commas, NULL and plain
 * numbers, never quoted): every element canonical, so {1.0,2} and
 * {1,2.00} are one key as they are one value in PostgreSQL. */
static void num_array_canon(const char *s, size_t n, mur_buf *out)
{
	size_t i = 0;
	while (i < n) {
		size_t j = i;
		while (j < n && s[j] != '{' && s[j] != '}' && s[j] != ',')
			j++;
		if (j > i)
			mur_num_text_canon(s + i, j - i, out); /* NULL: no number, as is */
		if (j < n)
			mur_buf_put_u8(out, (uint8_t)s[j]);
		i = j + 1;
	}
}

void mur_key_canon(mur_key_kind kind, const mur_value *v, mur_buf *out)
{
	char digits[24];
	if (kind == MUR_KEY_NUMERIC && v->kind == MV_INT) {
		int l = snprintf(digits, sizeof digits, "%lld", (long long)v->i);
		mur_num_text_canon(digits, (size_t)l, out);
		return;
	}
	if (v->kind != MV_TEXT) { /* a FLOAT or BLOB: its bytes */
		mur_row_put_value(out, v);
		return;
	}
	switch (kind) {
	case MUR_KEY_NUMERIC:
		if (v->len && v->s[0] == '{')
			num_array_canon(v->s, v->len, out);
		else
			mur_num_text_canon(v->s, v->len, out);
		return;
	case MUR_KEY_INTERVAL:
		mur_buf_put(out, v->s, v->len > MUR_IV_KEY_LEN ? MUR_IV_KEY_LEN : v->len);
		return;
	case MUR_KEY_JSONB:
		jsonb_canon(v->s, v->len, out);
		return;
	case MUR_KEY_BPCHAR:
		mur_buf_put(out, v->s, mur_bpchar_trimmed_len(v->s, v->len));
		return;
	default:
		mur_buf_put(out, v->s, v->len);
		return;
	}
}
