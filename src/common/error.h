/*
 * error.h — murphy's one error type.
 *
 * Every fallible function returns an int: 0 (MUR_OK) on success or one of
 * the mur_rc codes below, and fills a caller-owned mur_error with the detail
 * a user needs.  The SQLSTATE travels with the error from the place that
 * knows it (the analyzer knows "undefined column", SQLite knows "UNIQUE
 * constraint failed") to the pgwire edge, which is the only place that
 * turns it into an ErrorResponse.
 *
 * mur_error is a plain value: no heap memory, safe to copy with '='.
 */
#ifndef MUR_ERROR_H
#define MUR_ERROR_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

typedef enum mur_rc {
	MUR_OK = 0,
	MUR_ERR = 1,       /* a user-visible error; mur_error says which */
	MUR_ENOMEM = 2,    /* allocation failed */
	MUR_EIO = 3,       /* disk or network failure */
	MUR_EPROTO = 4,    /* malformed message from a peer or client */
	MUR_EAGAIN = 5,    /* not ready: try again later (e.g. need more bytes) */
	MUR_ENOTFOUND = 6, /* a looked-up object does not exist */
	MUR_RC_COUNT
} mur_rc;

/* Names of the codes, for logs: mur_rc_name(MUR_EIO) == "EIO". */
const char *mur_rc_name(int rc);

#define MUR_ERROR_MESSAGE_MAX 512
#define MUR_ERROR_DETAIL_MAX 512

/* Common SQLSTATE codes (PostgreSQL appendix A). */
#define SQLSTATE_SUCCESS "00000"
#define SQLSTATE_WARNING "01000"
#define SQLSTATE_FEATURE_NOT_SUPPORTED "0A000"
#define SQLSTATE_SYNTAX_ERROR "42601"
#define SQLSTATE_UNDEFINED_TABLE "42P01"
#define SQLSTATE_INVALID_SCHEMA_NAME "3F000"
#define SQLSTATE_WRONG_OBJECT_TYPE "42809"
#define SQLSTATE_UNDEFINED_COLUMN "42703"
#define SQLSTATE_UNDEFINED_FUNCTION "42883"
#define SQLSTATE_UNDEFINED_OBJECT "42704"
#define SQLSTATE_DUPLICATE_TABLE "42P07"
#define SQLSTATE_DUPLICATE_OBJECT "42710"
#define SQLSTATE_NAME_TOO_LONG "42622"
#define SQLSTATE_RESERVED_NAME "42939"
#define SQLSTATE_AMBIGUOUS_COLUMN "42702"
#define SQLSTATE_DATATYPE_MISMATCH "42804"
#define SQLSTATE_GROUPING_ERROR "42803"
#define SQLSTATE_INVALID_COLUMN_REFERENCE "42P10"
#define SQLSTATE_UNDEFINED_PARAMETER "42P02"
#define SQLSTATE_INVALID_TABLE_DEFINITION "42P16"
#define SQLSTATE_UNIQUE_VIOLATION "23505"
#define SQLSTATE_NOT_NULL_VIOLATION "23502"
#define SQLSTATE_CHECK_VIOLATION "23514"
#define SQLSTATE_INVALID_TEXT_REPRESENTATION "22P02"
#define SQLSTATE_BAD_COPY_FORMAT "22P04"
#define SQLSTATE_INVALID_BINARY_REPRESENTATION "22P03"
#define SQLSTATE_INVALID_DATETIME_FORMAT "22007"
#define SQLSTATE_DATETIME_FIELD_OVERFLOW "22008"
#define SQLSTATE_NUMERIC_VALUE_OUT_OF_RANGE "22003"
#define SQLSTATE_DIVISION_BY_ZERO "22012"
#define SQLSTATE_INVALID_ARGUMENT_FOR_POWER_FUNCTION "2201F"
#define SQLSTATE_INTERVAL_FIELD_OVERFLOW "22015"
#define SQLSTATE_STRING_DATA_RIGHT_TRUNCATION "22001"
#define SQLSTATE_INVALID_PARAMETER_VALUE "22023"
#define SQLSTATE_CHARACTER_NOT_IN_REPERTOIRE "22021"
#define SQLSTATE_PROTOCOL_VIOLATION "08P01"
#define SQLSTATE_CONNECTION_FAILURE "08006"
#define SQLSTATE_STATEMENT_COMPLETION_UNKNOWN "40003"
#define SQLSTATE_TRANSACTION_ROLLBACK "40000"
#define SQLSTATE_INVALID_SQL_STATEMENT_NAME "26000"
#define SQLSTATE_INVALID_CURSOR_NAME "34000"
#define SQLSTATE_IN_FAILED_SQL_TRANSACTION "25P02"
#define SQLSTATE_T_R_DEADLOCK_DETECTED "40P01"
#define SQLSTATE_T_R_SERIALIZATION_FAILURE "40001"
#define SQLSTATE_LOCK_NOT_AVAILABLE "55P03"
#define SQLSTATE_CANT_CHANGE_RUNTIME_PARAM "55P02"
#define SQLSTATE_ACTIVE_SQL_TRANSACTION "25001"
#define SQLSTATE_NO_ACTIVE_SQL_TRANSACTION "25P01"
#define SQLSTATE_READ_ONLY_SQL_TRANSACTION "25006"
#define SQLSTATE_IDLE_IN_TRANSACTION_TIMEOUT "25P03"
#define SQLSTATE_IDLE_SESSION_TIMEOUT "57P05"
#define SQLSTATE_INVALID_SAVEPOINT_SPECIFICATION "3B001"
#define SQLSTATE_QUERY_CANCELED "57014"
#define SQLSTATE_ADMIN_SHUTDOWN "57P01"
#define SQLSTATE_PROGRAM_LIMIT_EXCEEDED "54000"
#define SQLSTATE_CARDINALITY_VIOLATION "21000"
#define SQLSTATE_STACK_DEPTH_EXCEEDED "54001"
#define SQLSTATE_OBJECT_IN_USE "55006"
#define SQLSTATE_OBJECT_NOT_IN_PREREQUISITE_STATE "55000"
#define SQLSTATE_INSUFFICIENT_RESOURCES "53000"
#define SQLSTATE_OUT_OF_MEMORY "53200"
#define SQLSTATE_TOO_MANY_CONNECTIONS "53300"
#define SQLSTATE_INTERNAL_ERROR "XX000"
#define SQLSTATE_IO_ERROR "58030"
#define SQLSTATE_INVALID_AUTHORIZATION "28000"
#define SQLSTATE_INVALID_PASSWORD "28P01"
#define SQLSTATE_INSUFFICIENT_PRIVILEGE "42501"
#define SQLSTATE_CONFIG_FILE_ERROR "F0000"
#define SQLSTATE_UNDEFINED_FILE "58P01"

typedef struct mur_error {
	char sqlstate[6];                    /* five characters + NUL */
	int position;                        /* 1-based char offset into the query; 0 = none */
	char message[MUR_ERROR_MESSAGE_MAX]; /* primary message, no trailing period */
	char detail[MUR_ERROR_DETAIL_MAX];   /* optional; empty when absent */
	char hint[MUR_ERROR_DETAIL_MAX];     /* optional: what to do next */
	char context[MUR_ERROR_DETAIL_MAX];  /* optional: PostgreSQL's CONTEXT ('W'), where it
						happened ("COPY t, line 3"); the leader's own */
	uint32_t row; /* a write task's rows: the 1-based row the shard refused (0: none, or
			 not a row of them); the leader makes it COPY's line (lead_copy.c);
			 never sent to a client */
} mur_error;

/* Reset to "no error". */
void mur_error_clear(mur_error *e);

/* Set sqlstate and a printf-formatted message; clears detail, hint and
 * position.  Always returns MUR_ERR so callers can write
 * `return mur_error_set(e, SQLSTATE_..., "...")`.  e may be NULL. */
int mur_error_set(mur_error *e, const char *sqlstate, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
int mur_error_setv(mur_error *e, const char *sqlstate, const char *fmt, va_list ap);

/* Like mur_error_set, with a 1-based position in the statement text. */
int mur_error_set_pos(mur_error *e, const char *sqlstate, int position, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

void mur_error_detail(mur_error *e, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void mur_error_hint(mur_error *e, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* PostgreSQL's CONTEXT field (pgwire 'W'): where the error happened. */
void mur_error_where(mur_error *e, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Prefix the message with context: "while X: <old message>". */
void mur_error_context(mur_error *e, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* True when e holds an error (sqlstate set and not 00000). */
int mur_error_is_set(const mur_error *e);

#endif
