/*
 * pgw_copy_out.c — COPY ... TO STDOUT (PostgreSQL docs 55.2.6 "COPY
 * Operations", and the COPY page's "File Formats").
 *
 * The engine answers the statement with PGW_RESULT_COPY_OUT results, each
 * holding some rows as DataRows (the same encoding as a SELECT's):
 *
 *   BUSY ──COPY_OUT(more=1)──> COPY_OUT ──output below PGW_OUTPUT_PENDING_MAX──>
 *        copy_out_next() ──> BUSY ──COPY_OUT(more=1)──> ...
 *   BUSY ──COPY_OUT(more=0)──> CopyDone, CommandComplete "COPY n" (READY)
 *   BUSY ──ERROR──> ErrorResponse (no CopyDone, as PostgreSQL)
 *
 * The first result sends CopyOutResponse (and the HEADER line, or FORMAT
 * binary's signature); every DataRow becomes one CopyData line here, in
 * the text or CSV format of the result's pgw_copy_format, or one PGCOPY
 * tuple in binary (the trailer before CopyDone).  conn_step asks for the next result only
 * once the owner took the output (the stall at PGW_OUTPUT_PENDING_MAX), so
 * a slow client holds the engine back instead of the leader buffering the
 * whole table.  A client gone in between: copy_out_next(stop = 1).
 * The final result completes the statement through the simple or
 * extended path, as a COMMAND result.
 */
#include "pgwire/pgw_binary.h"
#include "pgwire/pgw_conn_int.h"

#include <stdio.h>
#include <string.h>

static int force_quoted(const pgw_copy_format *f, uint32_t col)
{
	return col < PGW_COPY_COLUMNS_MAX && (f->force_quote[col / 8] >> (col % 8)) & 1;
}

/* Text format: backslash escapes (COPY's CopyAttributeOutText). */
static void put_text_field(mur_buf *out, const pgw_copy_format *f, const char *v, size_t n)
{
	size_t start = 0;
	for (size_t i = 0; i < n; i++) {
		char ch = v[i], esc = 0;
		switch (ch) {
		case '\b':
			esc = 'b';
			break;
		case '\f':
			esc = 'f';
			break;
		case '\n':
			esc = 'n';
			break;
		case '\r':
			esc = 'r';
			break;
		case '\t':
			esc = 't';
			break;
		case '\v':
			esc = 'v';
			break;
		case '\\':
			esc = '\\';
			break;
		default:
			if (ch == f->delimiter)
				esc = ch;
		}
		if (!esc)
			continue;
		mur_buf_put(out, v + start, i - start);
		mur_buf_put_u8(out, '\\');
		mur_buf_put_u8(out, (uint8_t)esc);
		start = i + 1;
	}
	mur_buf_put(out, v + start, n - start);
}

/* CSV: quoted when forced, when it reads as the NULL string, or when it
 * holds the delimiter, the quote, a line end, or is a lone "\." line
 * (COPY's CopyAttributeOutCSV). */
static void put_csv_field(mur_buf *out, const pgw_copy_format *f, const char *v, size_t n,
			  int force, int single)
{
	int quote = force || (n == strlen(f->null_string) && memcmp(v, f->null_string, n) == 0) ||
		    (single && n == 2 && v[0] == '\\' && v[1] == '.');
	for (size_t i = 0; i < n && !quote; i++)
		quote = v[i] == f->delimiter || v[i] == f->quote || v[i] == '\n' || v[i] == '\r';
	if (!quote) {
		mur_buf_put(out, v, n);
		return;
	}
	mur_buf_put_u8(out, (uint8_t)f->quote);
	for (size_t i = 0; i < n; i++) {
		if (v[i] == f->quote || v[i] == f->escape)
			mur_buf_put_u8(out, (uint8_t)f->escape);
		mur_buf_put_u8(out, (uint8_t)v[i]);
	}
	mur_buf_put_u8(out, (uint8_t)f->quote);
}

static void put_field(mur_buf *out, const pgw_copy_format *f, uint32_t col, uint32_t ncols,
		      const char *v, int32_t n)
{
	if (col > 0)
		mur_buf_put_u8(out, (uint8_t)f->delimiter);
	if (n < 0)
		mur_buf_put(out, f->null_string, strlen(f->null_string));
	else if (f->csv)
		put_csv_field(out, f, v, (size_t)n, force_quoted(f, col), ncols == 1);
	else
		put_text_field(out, f, v, (size_t)n);
}

int pgw_copy_out_header(mur_buf *out, const pgw_copy_format *f, uint32_t ncols,
			const pgw_column *cols)
{
	size_t off = pgw_msg_begin(out, PGW_BE_COPY_DATA);
	for (uint32_t i = 0; i < ncols; i++) {
		const char *name = cols[i].name;
		size_t n = strnlen(name, sizeof cols[i].name);
		if (i > 0)
			mur_buf_put_u8(out, (uint8_t)f->delimiter);
		if (f->csv)
			put_csv_field(out, f, name, n, 0, ncols == 1);
		else
			put_text_field(out, f, name, n);
	}
	mur_buf_put_u8(out, '\n');
	pgw_msg_end(out, off);
	return mur_buf_ok(out) ? MUR_OK : MUR_ENOMEM;
}

/* FORMAT binary: each DataRow (text values) one PGCOPY tuple in a
 * CopyData, its fields in binary as their column types. */
static int copy_out_binary_rows(mur_buf *out, const pgw_result *r, uint64_t *nrows, mur_error *err)
{
	uint32_t oids[PGW_COPY_COLUMNS_MAX];
	const char *vals[PGW_COPY_COLUMNS_MAX];
	int32_t lens[PGW_COPY_COLUMNS_MAX];
	mur_rd rd;
	if (r->ncols > PGW_COPY_COLUMNS_MAX)
		return mur_error_set(err, SQLSTATE_PROGRAM_LIMIT_EXCEEDED,
				     "COPY BINARY of more than %d columns", PGW_COPY_COLUMNS_MAX);
	for (uint32_t i = 0; i < r->ncols; i++)
		oids[i] = r->cols[i].type_oid;
	mur_rd_init(&rd, r->rows.data, r->rows.len);
	while (mur_rd_left(&rd) > 0) {
		uint32_t mlen, ncols;
		size_t off;
		if (mur_rd_u8(&rd) != PGW_BE_DATA_ROW || (mlen = mur_rd_u32(&rd)) < 6 ||
		    mlen - 4 > mur_rd_left(&rd) || (ncols = mur_rd_u16(&rd)) != r->ncols)
			return mur_error_set(err, SQLSTATE_INTERNAL_ERROR,
					     "malformed row in COPY result");
		for (uint32_t i = 0; i < ncols && mur_rd_ok(&rd); i++) {
			lens[i] = (int32_t)mur_rd_u32(&rd);
			vals[i] = lens[i] > 0 ? mur_rd_bytes(&rd, (size_t)lens[i]) : "";
		}
		if (!mur_rd_ok(&rd))
			return mur_error_set(err, SQLSTATE_INTERNAL_ERROR,
					     "malformed row in COPY result");
		off = pgw_msg_begin(out, PGW_BE_COPY_DATA);
		if (pgw_binary_row_put(out, ncols, oids, NULL, vals, lens, err) != MUR_OK) {
			out->len = off; /* no partial CopyData before the ErrorResponse */
			return MUR_ERR;
		}
		pgw_msg_end(out, off);
		(*nrows)++;
	}
	return mur_buf_ok(out) ? MUR_OK
			       : mur_error_set(err, SQLSTATE_OUT_OF_MEMORY, "out of memory");
}

/* FORMAT binary's signature and header, or its trailer, as one CopyData. */
static void copy_out_binary_frame(mur_buf *out, int trailer)
{
	size_t off = pgw_msg_begin(out, PGW_BE_COPY_DATA);
	if (trailer)
		pgw_binary_copy_put_trailer(out);
	else
		pgw_binary_copy_put_header(out);
	pgw_msg_end(out, off);
}

int pgw_copy_out_rows(mur_buf *out, const pgw_copy_format *f, const char *rows, size_t len,
		      uint64_t *nrows)
{
	mur_rd r;
	mur_rd_init(&r, rows, len);
	while (mur_rd_left(&r) > 0) {
		uint32_t mlen, ncols;
		size_t off;
		if (mur_rd_u8(&r) != PGW_BE_DATA_ROW || (mlen = mur_rd_u32(&r)) < 6 ||
		    mlen - 4 > mur_rd_left(&r))
			return MUR_ERR;
		ncols = mur_rd_u16(&r);
		off = pgw_msg_begin(out, PGW_BE_COPY_DATA);
		for (uint32_t i = 0; i < ncols && mur_rd_ok(&r); i++) {
			int32_t n = (int32_t)mur_rd_u32(&r);
			const char *v = n > 0 ? mur_rd_bytes(&r, (size_t)n) : "";
			put_field(out, f, i, ncols, v, n);
		}
		mur_buf_put_u8(out, '\n');
		pgw_msg_end(out, off);
		if (!mur_rd_ok(&r))
			return MUR_ERR;
		(*nrows)++;
	}
	return mur_buf_ok(out) ? MUR_OK : MUR_ENOMEM;
}

static void free_result(void *arg, pgw_result *r)
{
	(void)arg;
	pgw_result_free(r);
}

/* The COPY's statement ends with r (its CommandComplete or its error). */
static void copy_out_end(pgw_conn *c, pgw_wait wait, pgw_result *r)
{
	c->copy_out = 0;
	if (wait == PGW_WAIT_CURSOR) /* EXECUTE of a prepared COPY TO */
		pgw_cursor_on_result(c, r);
	else if (wait == PGW_WAIT_EXECUTE)
		pgw_extended_on_result(c, r);
	else
		pgw_simple_on_result(c, r);
}

void pgw_copy_out_result(pgw_conn *c, pgw_wait wait, pgw_result *r)
{
	if (r->kind != PGW_RESULT_COPY_OUT) { /* an error ends it */
		copy_out_end(c, wait, r);
		return;
	}
	pgw_conn_send_notices(c, r);
	r->nnotices = 0;
	if (!c->copy_out) {
		pgw_put_copy_out_response(&c->out, r->ncols, r->copy.binary);
		c->copy_out = 1;
		c->copy_out_wait = wait;
		c->copy_out_rows = 0;
		if (r->copy.binary)
			copy_out_binary_frame(&c->out, 0);
		else if (r->copy.header)
			pgw_copy_out_header(&c->out, &r->copy, r->ncols, r->cols);
	}
	mur_error e;
	int rc = r->copy.binary ? copy_out_binary_rows(&c->out, r, &c->copy_out_rows, &e)
				: pgw_copy_out_rows(&c->out, &r->copy, r->rows.data, r->rows.len,
						    &c->copy_out_rows);
	if (rc != MUR_OK) {
		if (!r->copy.binary)
			mur_error_set(&e, SQLSTATE_INTERNAL_ERROR, "malformed row in COPY result");
		if (r->more) /* the engine still holds the COPY: end it */
			c->ops->copy_out_next(c->esess, 1, free_result, NULL);
		pgw_result_set_error(r, &e);
		copy_out_end(c, wait, r);
		return;
	}
	if (r->more) {
		c->state = PGW_CONN_COPY_OUT; /* conn_step asks for more once output left */
		pgw_result_free(r);
		return;
	}
	if (r->copy.binary)
		copy_out_binary_frame(&c->out, 1);
	pgw_put_empty(&c->out, PGW_BE_COPY_DONE);
	r->kind = PGW_RESULT_COMMAND;
	if (!r->tag[0])
		snprintf(r->tag, sizeof r->tag, "COPY %llu", (unsigned long long)c->copy_out_rows);
	copy_out_end(c, wait, r);
}
