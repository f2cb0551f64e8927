/*
 * sqlfn_numfmt.c — to_char of numbers and to_number as SQLite functions
 * over common/numfmt.c (PostgreSQL's numeric template patterns):
 *
 *   mur_to_char_num(x, template, kind)  kind: 'n' numeric (TEXT, exact),
 *                                      '4' int4/int2, '8' int8, 'd' float8,
 *                                      'f' float4 — the argument's SQL
 *                                      type, which decides the rounding
 *                                      (parser/analyze_func.c passes it)
 *   mur_to_number(text, template)       numeric TEXT
 *
 * NULL arguments answer NULL, an empty template or result '' (as
 * PostgreSQL); to_number of an empty template is NULL.  Errors use sqlfn.c's "SQLSTATE:" convention.
 */
#include "storage/storage_int.h"

#include "common/numfmt.h"

#include <sqlite3.h>
#include <string.h>

static int arg_template(sqlite3_context *cx, sqlite3_value *v, mur_numfmt *f)
{
	mur_error err;
	if (mur_numfmt_parse(f, (const char *)sqlite3_value_text(v), (size_t)sqlite3_value_bytes(v),
			     &err) != MUR_OK) {
		stor_fn_fail(cx, err.sqlstate, "%s", err.message);
		return -1;
	}
	return 0;
}

static int format_value(const mur_numfmt *f, sqlite3_value *x, char kind, mur_buf *out,
			mur_error *err)
{
	mur_value v = stor_fn_value(x);
	mur_num n;
	int rc;
	switch (kind) {
	case '4':
	case '8':
		return mur_numfmt_int(f, sqlite3_value_int64(x), kind == '8', out, err);
	case 'd':
	case 'f':
		return mur_numfmt_float(f, sqlite3_value_double(x), kind == 'f', out, err);
	default:
		mur_num_init(&n);
		rc = mur_num_from_value(&n, &v, err);
		if (rc == MUR_OK)
			rc = mur_numfmt_num(f, &n, out, err);
		mur_num_clear(&n);
		return rc;
	}
}

static void fn_to_char_num(sqlite3_context *cx, int argc, sqlite3_value **v)
{
	mur_numfmt f;
	mur_buf b;
	mur_error err;
	const char *kind = (const char *)sqlite3_value_text(v[2]);
	if (stor_fn_any_null(argc, v))
		return;
	if (arg_template(cx, v[1], &f))
		return;
	mur_buf_init(&b);
	if (format_value(&f, v[0], kind ? kind[0] : 'n', &b, &err) != MUR_OK)
		stor_fn_fail(cx, err.sqlstate, "%s", err.message);
	else
		stor_fn_result_buf(cx, &b);
	mur_buf_free(&b);
	mur_numfmt_free(&f);
}

static void fn_to_number(sqlite3_context *cx, int argc, sqlite3_value **v)
{
	mur_numfmt f;
	mur_num n;
	mur_buf b;
	mur_error err;
	if (stor_fn_any_null(argc, v) || sqlite3_value_bytes(v[1]) == 0)
		return;
	if (arg_template(cx, v[1], &f))
		return;
	mur_num_init(&n);
	if (mur_numfmt_to_number(&f, (const char *)sqlite3_value_text(v[0]),
				 (size_t)sqlite3_value_bytes(v[0]), &n, &err) != MUR_OK) {
		stor_fn_fail(cx, err.sqlstate, "%s", err.message);
	} else {
		mur_buf_init(&b);
		mur_num_to_text(&n, &b);
		stor_fn_result_buf(cx, &b);
		mur_buf_free(&b);
	}
	mur_num_clear(&n);
	mur_numfmt_free(&f);
}

static const stor_fn_def numfmt_fns[] = {
	{"mur_to_char_num", 3, 1, fn_to_char_num},
	{"mur_to_number", 2, 1, fn_to_number},
};

int stor_register_numfmt_functions(sqlite3 *db)
{
	return stor_fn_register(db, numfmt_fns, sizeof numfmt_fns / sizeof numfmt_fns[0]);
}
