/*
 * pgw_codec.h — PostgreSQL v3 wire format: framing, decoding of frontend
 * messages and building of backend messages.  Pure functions, no I/O, no
 * session state (PostgreSQL docs, "Frontend/Backend Protocol", 55.2 and
 * 55.7 "Message Formats").
 *
 * Framing is incremental: pgw_frame_startup() / pgw_frame_message() look at
 * the bytes received so far and answer
 *     MUR_OK      a whole packet is there: f->body/f->body_len, f->total
 *                 bytes to consume;
 *     MUR_EAGAIN  not enough bytes yet (nothing consumed);
 *     MUR_EPROTO  the bytes can never become a valid packet (err holds an
 *                 08P01 message; the caller sends it as FATAL and closes).
 *
 * Decoders read through mur_rd only, so they never read out of bounds; a
 * message must be consumed exactly (trailing bytes are malformed).  Decoded
 * strings and value pointers point into the message body: they live as
 * long as the body does.  Arrays (parameter OIDs, Bind values) are
 * malloc'd and released with the matching _free function.
 *
 * Builders append one complete backend message to a mur_buf; allocation
 * failure latches in the buffer (mur_buf_ok), so callers check once.
 */
#ifndef PGW_CODEC_H
#define PGW_CODEC_H

#include "common/buf.h"
#include "common/error.h"
#include "pgwire/pgw_engine.h"

#include <stddef.h>
#include <stdint.h>

/* ---- Limits (each with its reason) ---------------------------------- */

/* Largest frontend message body.  Bounds per-connection input memory.
 * PostgreSQL allows 1 GiB; murphy's clients send queries and COPY chunks
 * (libpq: 8 KiB-ish, psql \copy lines) far below 64 MiB. */
#define PGW_MESSAGE_MAX (64u * 1024u * 1024u)
/* Startup packet length bounds, including the length word: PostgreSQL's
 * MAX_STARTUP_PACKET_LENGTH, and 8 = length + protocol code. */
#define PGW_STARTUP_MAX 10000u
#define PGW_STARTUP_MIN 8u
/* Parse and Bind count parameters in an Int16 (read unsigned, as
 * PostgreSQL does). */
#define PGW_PARAMS_MAX 65535
/* RowDescription / DataRow count fields in an Int16. */
#define PGW_FIELDS_MAX 65535
/* "_pq_." protocol options we list back in NegotiateProtocolVersion; the
 * startup packet is at most 10000 bytes, so this is generous. */
#define PGW_STARTUP_OPTIONS_MAX 32

/* ---- Protocol codes --------------------------------------------------- */

#define PGW_PROTOCOL(major, minor) (((uint32_t)(major) << 16) | (uint32_t)(minor))
#define PGW_PROTOCOL_V3 PGW_PROTOCOL(3, 0)
#define PGW_CANCEL_REQUEST_CODE 80877102u
#define PGW_SSL_REQUEST_CODE 80877103u
#define PGW_GSSENC_REQUEST_CODE 80877104u

/* Frontend message types. */
#define PGW_FE_QUERY 'Q'
#define PGW_FE_PARSE 'P'
#define PGW_FE_BIND 'B'
#define PGW_FE_DESCRIBE 'D'
#define PGW_FE_EXECUTE 'E'
#define PGW_FE_CLOSE 'C'
#define PGW_FE_SYNC 'S'
#define PGW_FE_FLUSH 'H'
#define PGW_FE_TERMINATE 'X'
#define PGW_FE_COPY_DATA 'd'
#define PGW_FE_COPY_DONE 'c'
#define PGW_FE_COPY_FAIL 'f'
#define PGW_FE_FUNCTION_CALL 'F'
#define PGW_FE_PASSWORD 'p'

/* Backend message types. */
#define PGW_BE_AUTHENTICATION 'R'
#define PGW_BE_PARAMETER_STATUS 'S'
#define PGW_BE_BACKEND_KEY_DATA 'K'
#define PGW_BE_READY_FOR_QUERY 'Z'
#define PGW_BE_ROW_DESCRIPTION 'T'
#define PGW_BE_DATA_ROW 'D'
#define PGW_BE_COMMAND_COMPLETE 'C'
#define PGW_BE_EMPTY_QUERY 'I'
#define PGW_BE_ERROR 'E'
#define PGW_BE_NOTICE 'N'
#define PGW_BE_PARSE_COMPLETE '1'
#define PGW_BE_BIND_COMPLETE '2'
#define PGW_BE_CLOSE_COMPLETE '3'
#define PGW_BE_NO_DATA 'n'
#define PGW_BE_PARAMETER_DESCRIPTION 't'
#define PGW_BE_PORTAL_SUSPENDED 's'
#define PGW_BE_COPY_IN_RESPONSE 'G'
#define PGW_BE_COPY_OUT_RESPONSE 'H'
#define PGW_BE_COPY_DATA 'd'
#define PGW_BE_COPY_DONE 'c'
#define PGW_BE_NEGOTIATE_VERSION 'v'

/* ---- Framing ------------------------------------------------------------ */

typedef struct pgw_frame {
	char type;        /* message type byte; 0 for startup packets */
	uint32_t code;    /* startup packets: protocol or request code */
	const char *body; /* after the header, points into the input */
	size_t body_len;
	size_t total; /* bytes the packet occupies in the input */
} pgw_frame;

/* Frame a startup-phase packet: Int32 length (itself included, 8..10000),
 * Int32 code, body. */
int pgw_frame_startup(const char *p, size_t len, pgw_frame *f, mur_error *err);
/* Frame a regular message: type byte (checked first, so garbage is refused
 * before waiting for a bogus length), Int32 length (>= 4, body at most
 * PGW_MESSAGE_MAX). */
int pgw_frame_message(const char *p, size_t len, pgw_frame *f, mur_error *err);
/* True for the frontend message types of protocol 3.0. */
int pgw_fe_type_known(uint8_t type);

/* ---- Decoders ------------------------------------------------------------ */

/* StartupMessage body (after the protocol code): name/value pairs, then a
 * final NUL.  Pointers into the body; NULL when absent. */
typedef struct pgw_startup {
	const char *user;
	const char *database;
	const char *application_name;
	const char *timezone;  /* TimeZone, any case: libpq's PGTZ, pgjdbc's JVM zone */
	const char *datestyle; /* DateStyle, any case: libpq's PGDATESTYLE, pgjdbc's ISO */
	int noptions;          /* unrecognised "_pq_." options */
	const char *options[PGW_STARTUP_OPTIONS_MAX];
} pgw_startup;
int pgw_startup_decode(const char *body, size_t len, pgw_startup *out, mur_error *err);

/* Query: one string. */
int pgw_query_decode(const char *body, size_t len, const char **sql, mur_error *err);

/* Parse: statement name, query, parameter type OIDs (malloc'd; NULL when
 * nparams == 0; free with pgw_parse_free). */
typedef struct pgw_parse {
	const char *name;
	const char *query;
	int nparams;
	uint32_t *param_oids;
} pgw_parse;
int pgw_parse_decode(const char *body, size_t len, pgw_parse *out, mur_error *err);
void pgw_parse_free(pgw_parse *m);

/* Bind: arrays malloc'd (free with pgw_bind_free); values point into the
 * body, lengths[i] == -1 for NULL.  Format codes are returned as sent; the
 * caller checks them against the statement. */
typedef struct pgw_bind {
	const char *portal;
	const char *stmt;
	int nformats;
	int16_t *formats;
	int nparams;
	const char **values;
	int32_t *lengths;
	int nresult_formats;
	int16_t *result_formats;
} pgw_bind;
int pgw_bind_decode(const char *body, size_t len, pgw_bind *out, mur_error *err);
void pgw_bind_free(pgw_bind *m);

/* Describe and Close: kind 'S' (statement) or 'P' (portal), name. */
int pgw_target_decode(const char *body, size_t len, char *kind, const char **name, mur_error *err);

/* Execute: portal name and row limit (<= 0: all rows). */
int pgw_execute_decode(const char *body, size_t len, const char **portal, int32_t *max_rows,
		       mur_error *err);

/* CopyFail: the client's reason. */
int pgw_copy_fail_decode(const char *body, size_t len, const char **msg, mur_error *err);

/* Sync, Flush, Terminate, CopyDone: the body must be empty. */
int pgw_empty_decode(size_t len, char type, mur_error *err);

/* ---- Builders ------------------------------------------------------------- */

/* Start a message of type `type` and return the offset of its length word;
 * pgw_msg_end() patches the length once the body is written. */
size_t pgw_msg_begin(mur_buf *out, char type);
void pgw_msg_end(mur_buf *out, size_t len_off);
/* A message with an empty body (ParseComplete, BindComplete, CloseComplete,
 * NoData, PortalSuspended, EmptyQueryResponse, CopyDone). */
void pgw_put_empty(mur_buf *out, char type);

void pgw_put_auth_ok(mur_buf *out);
void pgw_put_parameter_status(mur_buf *out, const char *name, const char *value);
void pgw_put_backend_key_data(mur_buf *out, uint32_t pid, uint32_t key);
void pgw_put_ready_for_query(mur_buf *out, char txn_status);
/* NegotiateProtocolVersion: newest minor version we speak (0) and the
 * "_pq_." options we did not recognise. */
void pgw_put_negotiate_version(mur_buf *out, uint32_t minor, int noptions,
			       const char *const *options);
/* RowDescription (table OID and attnum 0 for a column that is no table's
 * column as is).  Column formats as a Bind gives
 * them: nformats 0 all text, 1 one for all, else one per column. */
void pgw_put_row_description(mur_buf *out, uint32_t ncols, const pgw_column *cols, int nformats,
			     const int16_t *formats);
void pgw_put_parameter_description(mur_buf *out, int nparams, const uint32_t *oids);
void pgw_put_command_complete(mur_buf *out, const char *tag);
/* ErrorResponse ('E') or NoticeResponse ('N') with fields S, V, C, M and,
 * when set, D, H, P.  severity: "ERROR", "FATAL", "NOTICE", ...  A missing
 * SQLSTATE becomes XX000. */
void pgw_put_error_fields(mur_buf *out, char type, const char *severity, const mur_error *e);
void pgw_put_error(mur_buf *out, const char *severity, const mur_error *e);
/* A NoticeResponse: severity WARNING when e's SQLSTATE is of class 01,
 * NOTICE otherwise. */
void pgw_put_notice(mur_buf *out, const mur_error *e);
/* CopyInResponse: ncols columns, all in format (0 text, 1 binary). */
void pgw_put_copy_in_response(mur_buf *out, uint32_t ncols, int format);
/* CopyOutResponse: ncols columns, all in format (0 text, 1 binary). */
void pgw_put_copy_out_response(mur_buf *out, uint32_t ncols, int format);

#endif
