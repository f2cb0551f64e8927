/*
 * lead_format.c — storage values to PostgreSQL text rows.
 *
 * The plan says what PostgreSQL type every output column has; the rows
 * carry storage values (INT/FLOAT/TEXT/BLOB/NULL).  mur_value_to_pgtext
 * turns each value into PostgreSQL's text form for that type (bool 0/1 →
 * f/t, float shortest round trip, bytea \x...), and pgw_result_add_row
 * packs them into DataRow messages.  The session's TimeZone and
 * bytea_output apply here, on the leader, because the followers send
 * stored values (a timestamptz as UTC text) whatever the session.
 */
#include "leader/lead_int.h"

#include "common/zalloc.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void lead_plan_columns(const plan *p, int *ncols, pgw_column **cols)
{
	pgw_column *c = NULL;
	*ncols = p->nout;
	*cols = NULL;
	if (p->nout <= 0)
		return;
	c = mur_calloc((size_t)p->nout, sizeof *c);
	if (!c) {
		*ncols = 0;
		return;
	}
	for (int i = 0; i < p->nout; i++) {
		mur_type t = p->out[i].type == MT_UNKNOWN ? MT_TEXT : p->out[i].type;
		snprintf(c[i].name, sizeof c[i].name, "%s", p->out[i].name);
		c[i].type_oid = p->out[i].type_oid ? p->out[i].type_oid : mur_type_oid(t);
		c[i].typlen = p->out[i].type_oid ? 4 : mur_type_len(t);
		c[i].typmod = p->out[i].typmod;
		c[i].table_oid = p->out[i].table_oid;
		c[i].attnum = p->out[i].attnum;
	}
	*cols = c;
}

int lead_result_columns(pgw_result *res, const plan *p)
{
	int n;
	pgw_column *cols;
	int rc;
	lead_plan_columns(p, &n, &cols);
	res->kind = PGW_RESULT_ROWS;
	rc = pgw_result_set_columns(res, (uint32_t)n, cols);
	free(cols);
	return rc;
}

#define FORMAT_COLS_MAX 1664 /* PostgreSQL's own limit on result columns */

int lead_format_rows(lead_session *s, pgw_result *res, const plan *p, const mur_buf *rows,
		     uint64_t nrows, uint32_t ncols, mur_error *err)
{
	mur_outfmt fmt = {0};
	const char *vals[FORMAT_COLS_MAX];
	int32_t lens[FORMAT_COLS_MAX];
	size_t offs[FORMAT_COLS_MAX];
	uint32_t nout = (uint32_t)p->nout;
	mur_buf text;
	mur_rd rd;

	if (ncols > FORMAT_COLS_MAX)
		return mur_error_set(err, SQLSTATE_PROGRAM_LIMIT_EXCEEDED, "too many columns");
	if (ncols < nout)
		return mur_error_set(err, SQLSTATE_INTERNAL_ERROR,
				     "internal error: rows have %u columns, the plan expects %u",
				     ncols, nout);
	if (s)
		lead_session_outfmt(s, &fmt);
	mur_buf_init(&text);
	mur_rd_init(&rd, rows->data, rows->len);
	for (uint64_t r = 0; r < nrows; r++) {
		mur_buf_reset(&text);
		for (uint32_t c = 0; c < ncols; c++) {
			mur_value v;
			if (mur_row_get_value(&rd, &v) != MUR_OK) {
				mur_buf_free(&text);
				return mur_error_set(err, SQLSTATE_INTERNAL_ERROR,
						     "malformed rows from a follower");
			}
			if (c >= nout)
				continue; /* hidden sort columns */
			if (v.kind == MV_NULL) {
				lens[c] = -1;
				offs[c] = 0;
				continue;
			}
			offs[c] = text.len;
			mur_value_to_pgtext_fmt(p->out[c].type == MT_UNKNOWN ? MT_TEXT
									     : p->out[c].type,
						&v, &fmt, &text);
			lens[c] = (int32_t)(text.len - offs[c]);
		}
		for (uint32_t c = 0; c < nout; c++)
			vals[c] = lens[c] < 0 ? NULL : (text.data ? text.data + offs[c] : "");
		pgw_result_add_row(res, nout, vals, lens); /* counts res->nrows */
	}
	mur_buf_free(&text);
	if (!res->tag[0])
		snprintf(res->tag, sizeof res->tag, "SELECT %llu", (unsigned long long)res->nrows);
	if (!mur_buf_ok(&res->rows))
		return mur_error_set(err, SQLSTATE_OUT_OF_MEMORY, "out of memory formatting rows");
	return MUR_OK;
}
