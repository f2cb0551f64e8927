/*
 * pgw_binary_copy.c — the stream of COPY … (FORMAT binary) (PostgreSQL docs
 * "COPY", "Binary Format"; copy.c's CopyReadBinary*): read into text-format
 * COPY lines for COPY FROM, and its header and trailer written for COPY TO.
 * Contract in pgw_binary.h.
 *
 * The decoder keeps the bytes of an incomplete header or tuple between
 * CopyData messages (a client cuts the stream anywhere) and converts each
 * whole tuple at once: a field through pgw_binary_recv to its text form,
 * escaped for text-format COPY (backslash, tab, newline, carriage return),
 * NULL as \N.  Structure errors are 22P04 as in PostgreSQL ("COPY file
 * signature not recognized", "row field count is 3, expected 2",
 * "unexpected EOF in COPY data", "received copy data after EOF marker");
 * a field that is no value of its type keeps pgw_binary_recv's 22P03.
 */
#include "pgwire/pgw_binary.h"

#include <stdio.h>
#include <string.h>

/* The COPY BINARY signature: "PGCOPY\n\377\r\n\0". */
static const char copy_signature[11] = {'P', 'G', 'C', 'O', 'P', 'Y', '\n', '\377', '\r', '\n', 0};

void pgw_binary_copy_init(pgw_binary_copy *bc, uint32_t ncols, const uint32_t *oids)
{
	memset(bc, 0, sizeof *bc);
	bc->ncols = ncols;
	bc->oids = oids;
	mur_buf_init(&bc->pending);
	mur_buf_init(&bc->field);
}

void pgw_binary_copy_free(pgw_binary_copy *bc)
{
	mur_buf_free(&bc->pending);
	mur_buf_free(&bc->field);
}

static int copy_bad(pgw_binary_copy *bc, mur_error *err, const char *what)
{
	mur_error_set(err, SQLSTATE_BAD_COPY_FORMAT, "%s", what);
	mur_error_context(err, "COPY, tuple %llu", (unsigned long long)bc->tuples + 1);
	return MUR_ERR;
}

/* Header at rd: MUR_OK (consumed), MUR_EAGAIN (need more) or MUR_ERR. */
static int copy_header(pgw_binary_copy *bc, mur_rd *rd, mur_error *err)
{
	const char *sig = mur_rd_bytes(rd, sizeof copy_signature);
	uint32_t flags, extlen;
	if (sig && memcmp(sig, copy_signature, sizeof copy_signature) != 0)
		return copy_bad(bc, err, "COPY file signature not recognized");
	flags = mur_rd_u32(rd);
	extlen = mur_rd_u32(rd);
	if (!mur_rd_ok(rd))
		return MUR_EAGAIN;
	if (flags & (1u << 16))
		return copy_bad(bc, err, "invalid COPY file header (WITH OIDS)");
	if (flags & 0xFFFF0000u & ~(1u << 16))
		return copy_bad(bc, err, "unrecognized critical flags in COPY file header");
	mur_rd_bytes(rd, extlen);
	return mur_rd_ok(rd) ? MUR_OK : MUR_EAGAIN;
}

/* A field's text form, escaped for text-format COPY, onto out. */
static void copy_put_escaped(mur_buf *out, const char *p, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		char c = p[i];
		const char *esc = c == '\\'   ? "\\\\"
				  : c == '\t' ? "\\t"
				  : c == '\n' ? "\\n"
				  : c == '\r' ? "\\r"
					      : NULL;
		if (esc)
			mur_buf_put(out, esc, 2);
		else
			mur_buf_put_u8(out, (uint8_t)c);
	}
}

/* One tuple at rd → one text line on out. */
static int copy_tuple(pgw_binary_copy *bc, mur_rd *rd, mur_buf *out, mur_error *err)
{
	int16_t nf = (int16_t)mur_rd_u16(rd);
	size_t line_start = out->len;
	if (!mur_rd_ok(rd))
		return MUR_EAGAIN;
	if (nf == -1) {
		bc->ended = 1;
		return MUR_OK;
	}
	if (nf != (int16_t)bc->ncols) {
		char msg[80];
		snprintf(msg, sizeof msg, "row field count is %d, expected %u", nf, bc->ncols);
		return copy_bad(bc, err, msg);
	}
	for (uint32_t i = 0; i < bc->ncols; i++) {
		int32_t flen = (int32_t)mur_rd_u32(rd);
		const char *fp = flen > 0 ? mur_rd_bytes(rd, (size_t)flen) : "";
		if (!mur_rd_ok(rd)) {
			out->len = line_start;
			return MUR_EAGAIN;
		}
		if (flen < -1)
			return copy_bad(bc, err, "invalid field size");
		if (i)
			mur_buf_put_u8(out, '\t');
		if (flen == -1) {
			mur_buf_put(out, "\\N", 2);
			continue;
		}
		mur_buf_reset(&bc->field);
		if (pgw_binary_recv(bc->oids[i], fp, (size_t)flen, &bc->field, err) != MUR_OK) {
			/* a bad value keeps its 22P03, as PostgreSQL's COPY does */
			mur_error_context(err, "COPY, tuple %llu, column %u",
					  (unsigned long long)bc->tuples + 1, i + 1);
			return MUR_ERR;
		}
		copy_put_escaped(out, bc->field.data ? bc->field.data : "", bc->field.len);
	}
	mur_buf_put_u8(out, '\n');
	bc->tuples++;
	return MUR_OK;
}

int pgw_binary_copy_feed(pgw_binary_copy *bc, const char *data, size_t len, mur_buf *out,
			 mur_error *err)
{
	const char *p = data;
	size_t n = len, used = 0;
	mur_rd rd;
	int rc = MUR_OK;

	if (bc->pending.len) {
		mur_buf_put(&bc->pending, data, len);
		p = bc->pending.data;
		n = bc->pending.len;
	}
	while (used < n) {
		if (bc->ended)
			return copy_bad(bc, err, "received copy data after EOF marker");
		mur_rd_init(&rd, p + used, n - used);
		rc = bc->header_done ? copy_tuple(bc, &rd, out, err) : copy_header(bc, &rd, err);
		if (rc == MUR_ERR)
			return MUR_ERR;
		if (rc == MUR_EAGAIN)
			break;
		bc->header_done = 1;
		used = n - mur_rd_left(&rd);
	}
	if (p == bc->pending.data) {
		memmove(bc->pending.data, bc->pending.data + used, n - used);
		bc->pending.len = n - used;
	} else {
		mur_buf_put(&bc->pending, p + used, n - used);
	}
	if (!mur_buf_ok(&bc->pending) || !mur_buf_ok(out))
		return mur_error_set(err, SQLSTATE_OUT_OF_MEMORY, "out of memory");
	return MUR_OK;
}

int pgw_binary_copy_finish(pgw_binary_copy *bc, mur_error *err)
{
	if (!bc->header_done)
		return copy_bad(bc, err, "COPY file signature not recognized");
	if (bc->pending.len)
		return copy_bad(bc, err, "unexpected EOF in COPY data");
	return MUR_OK;
}

void pgw_binary_copy_put_header(mur_buf *out)
{
	mur_buf_put(out, copy_signature, sizeof copy_signature);
	mur_buf_put_u32(out, 0); /* flags: no OIDs */
	mur_buf_put_u32(out, 0); /* no header extension */
}

void pgw_binary_copy_put_trailer(mur_buf *out) { mur_buf_put_u16(out, UINT16_MAX); }
