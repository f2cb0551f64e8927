/*
 * pgw_binary.h — PostgreSQL's binary format (format code 1) of the types
 * murphy speaks, as the typsend / typrecv functions of PostgreSQL 15 write
 * and read them (PostgreSQL docs 55.2.3 and the *send / *recv functions of
 * src/backend/utils/adt).
 *
 * The engine speaks text only: results arrive as DataRows of text fields
 * and parameters are handed to it as text.  pgwire converts at the edge:
 *     results     text → binary (pgw_binary_send, pgw_binary_row_put)
 *     parameters  binary → text (pgw_binary_recv)
 *     COPY binary tuples → text COPY lines (pgw_binary_copy_*)
 * so nothing behind pgw_engine.h knows the binary format exists.
 *
 * Errors: a value the type's binary form cannot hold, or bytes that are not
 * a value of the type, give MUR_ERR with 22P03 (the caller names the
 * parameter or the COPY line); a type without a binary form gives 42883
 * ("no binary output function available for type …"), as PostgreSQL does.
 */
#ifndef PGW_BINARY_H
#define PGW_BINARY_H

#include "common/buf.h"
#include "common/error.h"
#include "pgwire/pgw_engine.h"

#include <stddef.h>
#include <stdint.h>

/* True when values of type oid can be sent in binary (results); a
 * parameter of such a type may be received in binary too, except
 * int2vector and oidvector (42883, as for a type not listed). */
int pgw_binary_supported(uint32_t oid);

/* Append the binary form of the value whose text form is text[0..len). */
int pgw_binary_send(uint32_t oid, const char *text, size_t len, mur_buf *out, mur_error *err);
/* Append the text form of the value whose binary form is bin[0..len). */
int pgw_binary_recv(uint32_t oid, const char *bin, size_t len, mur_buf *out, mur_error *err);

/* numeric's binary form (numeric_send / numeric_recv: Int16 ndigits,
 * Int16 weight, UInt16 sign, Int16 dscale, ndigits base-10000 digits)
 * from and to its text form ("-12.50", "NaN", "Infinity", "1.5e+20"), so
 * it does not depend on how the engine holds a numeric. */
int pgw_numeric_send(const char *text, size_t len, mur_buf *out, mur_error *err);
int pgw_numeric_recv(const char *bin, size_t len, mur_buf *out, mur_error *err);

/* One row's fields in the layout DataRow and COPY BINARY tuples share:
 * Int16 n, then per field Int32 length (-1: NULL) and its bytes.  vals[i]
 * (lens[i] bytes, < 0: NULL) are text forms; a field whose format
 * (formats[i]; formats NULL: every field) is 1 is sent in binary as type
 * oids[i], else as the text.  On MUR_ERR out holds a partial row. */
int pgw_binary_row_put(mur_buf *out, uint32_t n, const uint32_t *oids, const int16_t *formats,
		       const char *const *vals, const int32_t *lens, mur_error *err);

/* Re-encode r's DataRows (text) in the formats a Bind asked for (nformats
 * 0: all text, 1: one for all, else one per column).  Nothing changes when
 * every column is text. */
int pgw_binary_result(pgw_result *r, int nformats, const int16_t *formats, mur_error *err);

/* Arrays (pgw_binary_array.c, array_send / array_recv): the element OID
 * of array type oid (0: not an array murphy has), and the conversions. */
uint32_t pgw_array_elem_oid(uint32_t oid);
int pgw_array_send(uint32_t oid, const char *text, size_t len, mur_buf *out, mur_error *err);
int pgw_array_recv(uint32_t oid, const char *bin, size_t len, mur_buf *out, mur_error *err);

/* ---- COPY FROM STDIN (FORMAT binary) --------------------------------------- */

/* The stream (PostgreSQL docs "COPY", "Binary Format"): the 11-byte
 * signature, Int32 flags, Int32 header-extension length and that many
 * bytes; tuples (Int16 field count, fields as in a DataRow); the trailer
 * Int16 -1.  pgw_binary_copy_feed turns each complete tuple into one line
 * of text-format COPY (tab-separated, backslash escapes, \N for NULL)
 * appended to out, keeping an incomplete tuple for the next call. */
typedef struct pgw_binary_copy {
	uint32_t ncols;
	const uint32_t *oids; /* ncols column types; not owned */
	mur_buf pending;      /* bytes of an incomplete header or tuple */
	mur_buf field;        /* scratch: one field's text form */
	int header_done;
	int ended; /* saw the trailer */
	uint64_t tuples;
} pgw_binary_copy;

void pgw_binary_copy_init(pgw_binary_copy *bc, uint32_t ncols, const uint32_t *oids);
void pgw_binary_copy_free(pgw_binary_copy *bc);
/* 22P04 on a malformed stream (the COPY then fails). */
int pgw_binary_copy_feed(pgw_binary_copy *bc, const char *data, size_t len, mur_buf *out,
			 mur_error *err);
/* CopyDone: the stream may end after a whole tuple or the trailer, as
 * PostgreSQL allows; a partial header or tuple is 22P04. */
int pgw_binary_copy_finish(pgw_binary_copy *bc, mur_error *err);

/* For COPY TO STDOUT (FORMAT binary): the header (signature, flags 0, no
 * extension) before the first tuple (pgw_binary_row_put with formats
 * NULL) and the trailer (Int16 -1) after the last. */
void pgw_binary_copy_put_header(mur_buf *out);
void pgw_binary_copy_put_trailer(mur_buf *out);

#endif
