/*
 * sqlfn_bytes.c — one byte or bit of a bytea, as PostgreSQL's
 * byteaGetByte / byteaSetByte / byteaGetBit / byteaSetBit:
 *
 *   mur_get_byte(b, n)      the byte at 0-based offset n, an int4 0..255
 *   mur_set_byte(b, n, x)   b with that byte replaced by x's low 8 bits
 *   mur_get_bit(b, n)       bit n % 8 (least significant first) of byte n / 8
 *   mur_set_bit(b, n, x)    b with that bit x (0 or 1, else 22023)
 *
 * An offset outside the value is 2202E "index 5 out of valid range, 0..3"
 * (0..-1 for an empty value; bits count 8 per byte).  position(bytea in bytea) is SQLite's instr
 * over BLOBs (parser/analyze_func.c).
 */
#include "storage/storage_int.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* b's bytes and the offset n (of a bit when bits), checked; NULL after
 * failing the call. */
static const unsigned char *at(sqlite3_context *cx, sqlite3_value **v, int bits, int *len,
			       int64_t *n)
{
	const unsigned char *b = sqlite3_value_blob(v[0]);
	int64_t end;
	*len = sqlite3_value_bytes(v[0]);
	*n = sqlite3_value_int64(v[1]);
	end = (int64_t)*len * (bits ? 8 : 1);
	if (*n < 0 || *n >= end) {
		stor_fn_fail(cx, "2202E", "index %lld out of valid range, 0..%lld", (long long)*n,
			     (long long)end - 1);
		return NULL;
	}
	return b ? b : (const unsigned char *)"";
}

static const unsigned char *at_byte(sqlite3_context *cx, sqlite3_value **v, int *len, int64_t *n)
{
	return at(cx, v, 0, len, n);
}

static void fn_get_bit(sqlite3_context *cx, int argc, sqlite3_value **v)
{
	const unsigned char *b;
	int len;
	int64_t n;
	if (stor_fn_any_null(argc, v) || !(b = at(cx, v, 1, &len, &n)))
		return;
	sqlite3_result_int(cx, (b[n / 8] >> (n % 8)) & 1);
}

static void fn_set_bit(sqlite3_context *cx, int argc, sqlite3_value **v)
{
	const unsigned char *b;
	unsigned char *out;
	int len;
	int64_t n, x;
	if (stor_fn_any_null(argc, v) || !(b = at(cx, v, 1, &len, &n)))
		return;
	x = sqlite3_value_int64(v[2]);
	if (x != 0 && x != 1)
		return stor_fn_fail(cx, SQLSTATE_INVALID_PARAMETER_VALUE, "new bit must be 0 or 1");
	if (!(out = malloc((size_t)len)))
		return sqlite3_result_error_nomem(cx);
	memcpy(out, b, (size_t)len);
	out[n / 8] = (unsigned char)((out[n / 8] & ~(1 << (n % 8))) | (x << (n % 8)));
	sqlite3_result_blob(cx, out, len, free);
}

static void fn_get_byte(sqlite3_context *cx, int argc, sqlite3_value **v)
{
	const unsigned char *b;
	int len;
	int64_t n;
	if (stor_fn_any_null(argc, v) || !(b = at_byte(cx, v, &len, &n)))
		return;
	sqlite3_result_int(cx, b[n]);
}

static void fn_set_byte(sqlite3_context *cx, int argc, sqlite3_value **v)
{
	const unsigned char *b;
	unsigned char *out;
	int len;
	int64_t n;
	if (stor_fn_any_null(argc, v) || !(b = at_byte(cx, v, &len, &n)))
		return;
	if (!(out = malloc((size_t)len)))
		return sqlite3_result_error_nomem(cx);
	memcpy(out, b, (size_t)len);
	out[n] = (unsigned char)sqlite3_value_int64(v[2]);
	sqlite3_result_blob(cx, out, len, free);
}

static const stor_fn_def byte_fns[] = {
	{"mur_get_byte", 2, 1, fn_get_byte},
	{"mur_set_byte", 3, 1, fn_set_byte},
	{"mur_get_bit", 2, 1, fn_get_bit},
	{"mur_set_bit", 3, 1, fn_set_bit},
};

int stor_register_byte_functions(sqlite3 *db)
{
	return stor_fn_register(db, byte_fns, sizeof byte_fns / sizeof byte_fns[0]);
}
