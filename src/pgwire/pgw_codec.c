/*
 * pgw_codec.c — framing, decoders and builders of the PostgreSQL v3 wire
 * format.  See pgw_codec.h for the contract.
 *
 * Every decoder follows one pattern: mur_rd over the body, read all
 * fields, then check mur_rd_ok() and that nothing is left over.  A failed
 * check returns MUR_EPROTO with an 08P01 message in err; arrays allocated
 * on the way are released before returning, so callers free nothing on
 * error.
 */
#include "pgwire/pgw_codec.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* ---- Framing ------------------------------------------------------------ */

static uint32_t get_u32(const char *p)
{
	const uint8_t *u = (const uint8_t *)p;
	return ((uint32_t)u[0] << 24) | ((uint32_t)u[1] << 16) | ((uint32_t)u[2] << 8) | u[3];
}

int pgw_frame_startup(const char *p, size_t len, pgw_frame *f, mur_error *err)
{
	uint32_t n;
	memset(f, 0, sizeof *f);
	if (len < 4)
		return MUR_EAGAIN;
	n = get_u32(p);
	if (n < PGW_STARTUP_MIN || n > PGW_STARTUP_MAX) {
		mur_error_set(err, SQLSTATE_PROTOCOL_VIOLATION, "invalid length of startup packet");
		return MUR_EPROTO;
	}
	if (len < n)
		return MUR_EAGAIN;
	f->code = get_u32(p + 4);
	f->body = p + 8;
	f->body_len = n - 8;
	f->total = n;
	return MUR_OK;
}

int pgw_fe_type_known(uint8_t type)
{
	switch (type) {
	case PGW_FE_QUERY:
	case PGW_FE_PARSE:
	case PGW_FE_BIND:
	case PGW_FE_DESCRIBE:
	case PGW_FE_EXECUTE:
	case PGW_FE_CLOSE:
	case PGW_FE_SYNC:
	case PGW_FE_FLUSH:
	case PGW_FE_TERMINATE:
	case PGW_FE_COPY_DATA:
	case PGW_FE_COPY_DONE:
	case PGW_FE_COPY_FAIL:
	case PGW_FE_FUNCTION_CALL:
	case PGW_FE_PASSWORD:
		return 1;
	default:
		return 0;
	}
}

int pgw_frame_message(const char *p, size_t len, pgw_frame *f, mur_error *err)
{
	uint32_t n;
	memset(f, 0, sizeof *f);
	if (len < 1)
		return MUR_EAGAIN;
	if (!pgw_fe_type_known((uint8_t)p[0])) {
		mur_error_set(err, SQLSTATE_PROTOCOL_VIOLATION, "invalid frontend message type %d",
			      (int)(uint8_t)p[0]);
		return MUR_EPROTO;
	}
	if (len < 5)
		return MUR_EAGAIN;
	n = get_u32(p + 1);
	if (n < 4) {
		mur_error_set(err, SQLSTATE_PROTOCOL_VIOLATION, "invalid message length %u", n);
		return MUR_EPROTO;
	}
	if (n - 4 > PGW_MESSAGE_MAX) {
		mur_error_set(err, SQLSTATE_PROTOCOL_VIOLATION,
			      "message of %u bytes exceeds the limit of %u bytes", n - 4,
			      PGW_MESSAGE_MAX);
		return MUR_EPROTO;
	}
	if (len - 1 < n)
		return MUR_EAGAIN;
	f->type = p[0];
	f->body = p + 5;
	f->body_len = n - 4;
	f->total = (size_t)n + 1;
	return MUR_OK;
}

/* ---- Decoders ------------------------------------------------------------ */

/* The common ending of every decoder: all fields read, nothing left. */
static int rd_finish(mur_rd *r, const char *what, mur_error *err)
{
	if (mur_rd_ok(r) && mur_rd_left(r) == 0)
		return MUR_OK;
	mur_error_set(err, SQLSTATE_PROTOCOL_VIOLATION, "invalid %s message format", what);
	return MUR_EPROTO;
}

static void startup_option(pgw_startup *out, const char *name, const char *value)
{
	if (strcmp(name, "user") == 0)
		out->user = value;
	else if (strcmp(name, "database") == 0)
		out->database = value;
	else if (strcmp(name, "application_name") == 0)
		out->application_name = value;
	else if (strcasecmp(name, "timezone") == 0)
		out->timezone = value;
	else if (strcasecmp(name, "datestyle") == 0)
		out->datestyle = value;
	else if (strncmp(name, "_pq_.", 5) == 0 && out->noptions < PGW_STARTUP_OPTIONS_MAX)
		out->options[out->noptions++] = name;
}

int pgw_startup_decode(const char *body, size_t len, pgw_startup *out, mur_error *err)
{
	mur_rd r;
	memset(out, 0, sizeof *out);
	mur_rd_init(&r, body, len);
	for (;;) {
		const char *name = mur_rd_cstr(&r), *value;
		if (!name || name[0] == '\0')
			break;
		value = mur_rd_cstr(&r);
		if (!value)
			break;
		startup_option(out, name, value);
	}
	if (!mur_rd_ok(&r) || mur_rd_left(&r) != 0) {
		mur_error_set(err, SQLSTATE_PROTOCOL_VIOLATION,
			      "invalid startup packet layout: expected terminator as last byte");
		return MUR_EPROTO;
	}
	return MUR_OK;
}

int pgw_query_decode(const char *body, size_t len, const char **sql, mur_error *err)
{
	mur_rd r;
	mur_rd_init(&r, body, len);
	*sql = mur_rd_cstr(&r);
	return rd_finish(&r, "Query", err);
}

void pgw_parse_free(pgw_parse *m)
{
	free(m->param_oids);
	m->param_oids = NULL;
	m->nparams = 0;
}

int pgw_parse_decode(const char *body, size_t len, pgw_parse *out, mur_error *err)
{
	mur_rd r;
	memset(out, 0, sizeof *out);
	mur_rd_init(&r, body, len);
	out->name = mur_rd_cstr(&r);
	out->query = mur_rd_cstr(&r);
	out->nparams = mur_rd_u16(&r);
	/* Check the count against the bytes left before allocating. */
	if (mur_rd_ok(&r) && out->nparams > 0 && mur_rd_left(&r) >= (size_t)out->nparams * 4) {
		out->param_oids = malloc((size_t)out->nparams * sizeof *out->param_oids);
		if (!out->param_oids) {
			mur_error_set(err, SQLSTATE_OUT_OF_MEMORY, "out of memory");
			return MUR_ENOMEM;
		}
		for (int i = 0; i < out->nparams; i++)
			out->param_oids[i] = mur_rd_u32(&r);
	} else if (out->nparams > 0) {
		mur_rd_bytes(&r, (size_t)out->nparams * 4); /* latches bad */
	}
	if (rd_finish(&r, "Parse", err) != MUR_OK) {
		pgw_parse_free(out);
		return MUR_EPROTO;
	}
	return MUR_OK;
}

void pgw_bind_free(pgw_bind *m)
{
	free(m->formats);
	free(m->values);
	free(m->lengths);
	free(m->result_formats);
	memset(m, 0, sizeof *m);
}

/* Read an Int16 count followed by that many Int16 format codes. */
static int rd_formats(mur_rd *r, int *n, int16_t **codes)
{
	*n = mur_rd_u16(r);
	*codes = NULL;
	if (!mur_rd_ok(r) || *n == 0)
		return MUR_OK;
	if (mur_rd_left(r) < (size_t)*n * 2) {
		mur_rd_bytes(r, (size_t)*n * 2); /* latches bad */
		return MUR_OK;
	}
	*codes = malloc((size_t)*n * sizeof **codes);
	if (!*codes)
		return MUR_ENOMEM;
	for (int i = 0; i < *n; i++)
		(*codes)[i] = (int16_t)mur_rd_u16(r);
	return MUR_OK;
}

/* Read the parameter values of a Bind: Int16 count, then per value an
 * Int32 length (-1 = NULL) and the bytes. */
static int rd_values(mur_rd *r, pgw_bind *m)
{
	m->nparams = mur_rd_u16(r);
	if (!mur_rd_ok(r) || m->nparams == 0)
		return MUR_OK;
	if (mur_rd_left(r) < (size_t)m->nparams * 4) { /* each value needs its length word */
		mur_rd_bytes(r, (size_t)m->nparams * 4);
		return MUR_OK;
	}
	m->values = calloc((size_t)m->nparams, sizeof *m->values);
	m->lengths = calloc((size_t)m->nparams, sizeof *m->lengths);
	if (!m->values || !m->lengths)
		return MUR_ENOMEM;
	for (int i = 0; i < m->nparams && mur_rd_ok(r); i++) {
		int32_t n = (int32_t)mur_rd_u32(r);
		m->lengths[i] = n;
		if (n == -1)
			continue;
		if (n < 0)
			r->bad = 1;
		else
			m->values[i] = mur_rd_bytes(r, (size_t)n);
	}
	return MUR_OK;
}

int pgw_bind_decode(const char *body, size_t len, pgw_bind *out, mur_error *err)
{
	mur_rd r;
	int rc = MUR_OK;
	memset(out, 0, sizeof *out);
	mur_rd_init(&r, body, len);
	out->portal = mur_rd_cstr(&r);
	out->stmt = mur_rd_cstr(&r);
	rc = rd_formats(&r, &out->nformats, &out->formats);
	if (rc == MUR_OK)
		rc = rd_values(&r, out);
	if (rc == MUR_OK)
		rc = rd_formats(&r, &out->nresult_formats, &out->result_formats);
	if (rc != MUR_OK) {
		pgw_bind_free(out);
		mur_error_set(err, SQLSTATE_OUT_OF_MEMORY, "out of memory");
		return MUR_ENOMEM;
	}
	if (rd_finish(&r, "Bind", err) != MUR_OK) {
		pgw_bind_free(out);
		return MUR_EPROTO;
	}
	return MUR_OK;
}

int pgw_target_decode(const char *body, size_t len, char *kind, const char **name, mur_error *err)
{
	mur_rd r;
	mur_rd_init(&r, body, len);
	*kind = (char)mur_rd_u8(&r);
	*name = mur_rd_cstr(&r);
	if (mur_rd_ok(&r) && *kind != 'S' && *kind != 'P') {
		mur_error_set(err, SQLSTATE_PROTOCOL_VIOLATION,
			      "invalid DESCRIBE/CLOSE message subtype %d", (int)(uint8_t)*kind);
		return MUR_EPROTO;
	}
	return rd_finish(&r, "Describe/Close", err);
}

int pgw_execute_decode(const char *body, size_t len, const char **portal, int32_t *max_rows,
		       mur_error *err)
{
	mur_rd r;
	mur_rd_init(&r, body, len);
	*portal = mur_rd_cstr(&r);
	*max_rows = (int32_t)mur_rd_u32(&r);
	return rd_finish(&r, "Execute", err);
}

int pgw_copy_fail_decode(const char *body, size_t len, const char **msg, mur_error *err)
{
	mur_rd r;
	mur_rd_init(&r, body, len);
	*msg = mur_rd_cstr(&r);
	return rd_finish(&r, "CopyFail", err);
}

int pgw_empty_decode(size_t len, char type, mur_error *err)
{
	if (len == 0)
		return MUR_OK;
	mur_error_set(err, SQLSTATE_PROTOCOL_VIOLATION, "invalid message format: '%c' has a body",
		      type);
	return MUR_EPROTO;
}

/* ---- Builders ------------------------------------------------------------- */

size_t pgw_msg_begin(mur_buf *out, char type)
{
	size_t off;
	mur_buf_put_u8(out, (uint8_t)type);
	off = out->len;
	mur_buf_put_u32(out, 0);
	return off;
}

void pgw_msg_end(mur_buf *out, size_t len_off)
{
	mur_buf_patch_u32(out, len_off, (uint32_t)(out->len - len_off));
}

void pgw_put_empty(mur_buf *out, char type)
{
	mur_buf_put_u8(out, (uint8_t)type);
	mur_buf_put_u32(out, 4);
}

void pgw_put_auth_ok(mur_buf *out)
{
	size_t off = pgw_msg_begin(out, PGW_BE_AUTHENTICATION);
	mur_buf_put_u32(out, 0);
	pgw_msg_end(out, off);
}

void pgw_put_parameter_status(mur_buf *out, const char *name, const char *value)
{
	size_t off = pgw_msg_begin(out, PGW_BE_PARAMETER_STATUS);
	mur_buf_put_cstr(out, name);
	mur_buf_put_cstr(out, value);
	pgw_msg_end(out, off);
}

void pgw_put_backend_key_data(mur_buf *out, uint32_t pid, uint32_t key)
{
	size_t off = pgw_msg_begin(out, PGW_BE_BACKEND_KEY_DATA);
	mur_buf_put_u32(out, pid);
	mur_buf_put_u32(out, key);
	pgw_msg_end(out, off);
}

void pgw_put_ready_for_query(mur_buf *out, char txn_status)
{
	size_t off = pgw_msg_begin(out, PGW_BE_READY_FOR_QUERY);
	mur_buf_put_u8(out, (uint8_t)txn_status);
	pgw_msg_end(out, off);
}

void pgw_put_negotiate_version(mur_buf *out, uint32_t minor, int noptions,
			       const char *const *options)
{
	size_t off = pgw_msg_begin(out, PGW_BE_NEGOTIATE_VERSION);
	mur_buf_put_u32(out, minor);
	mur_buf_put_u32(out, (uint32_t)noptions);
	for (int i = 0; i < noptions; i++)
		mur_buf_put_cstr(out, options[i]);
	pgw_msg_end(out, off);
}

/* Append a fixed-size char array as a C string even if it lacks its NUL. */
static void put_bounded_cstr(mur_buf *out, const char *s, size_t cap)
{
	size_t n = strnlen(s, cap);
	mur_buf_put(out, s, n);
	mur_buf_put_u8(out, 0);
}

void pgw_put_row_description(mur_buf *out, uint32_t ncols, const pgw_column *cols, int nformats,
			     const int16_t *formats)
{
	size_t off = pgw_msg_begin(out, PGW_BE_ROW_DESCRIPTION);
	if (ncols > PGW_FIELDS_MAX)
		ncols = PGW_FIELDS_MAX;
	mur_buf_put_u16(out, (uint16_t)ncols);
	for (uint32_t i = 0; i < ncols; i++) {
		put_bounded_cstr(out, cols[i].name, sizeof cols[i].name);
		mur_buf_put_u32(out, cols[i].table_oid);
		mur_buf_put_u16(out, (uint16_t)cols[i].attnum);
		mur_buf_put_u32(out, cols[i].type_oid);
		mur_buf_put_u16(out, (uint16_t)cols[i].typlen);
		mur_buf_put_u32(out, (uint32_t)cols[i].typmod);
		mur_buf_put_u16(out, nformats == 0 ? 0 : (uint16_t)formats[nformats == 1 ? 0 : i]);
	}
	pgw_msg_end(out, off);
}

void pgw_put_parameter_description(mur_buf *out, int nparams, const uint32_t *oids)
{
	size_t off = pgw_msg_begin(out, PGW_BE_PARAMETER_DESCRIPTION);
	if (nparams > PGW_PARAMS_MAX)
		nparams = PGW_PARAMS_MAX;
	mur_buf_put_u16(out, (uint16_t)nparams);
	for (int i = 0; i < nparams; i++)
		mur_buf_put_u32(out, oids ? oids[i] : 0);
	pgw_msg_end(out, off);
}

void pgw_put_command_complete(mur_buf *out, const char *tag)
{
	size_t off = pgw_msg_begin(out, PGW_BE_COMMAND_COMPLETE);
	mur_buf_put_cstr(out, tag);
	pgw_msg_end(out, off);
}

static void put_field(mur_buf *out, char code, const char *s, size_t cap)
{
	mur_buf_put_u8(out, (uint8_t)code);
	put_bounded_cstr(out, s, cap);
}

void pgw_put_error_fields(mur_buf *out, char type, const char *severity, const mur_error *e)
{
	size_t off = pgw_msg_begin(out, type);
	const char *state = e->sqlstate[0] ? e->sqlstate : SQLSTATE_INTERNAL_ERROR;
	put_field(out, 'S', severity, 16);
	put_field(out, 'V', severity, 16);
	put_field(out, 'C', state, sizeof e->sqlstate);
	put_field(out, 'M', e->message, sizeof e->message);
	if (e->detail[0])
		put_field(out, 'D', e->detail, sizeof e->detail);
	if (e->hint[0])
		put_field(out, 'H', e->hint, sizeof e->hint);
	if (e->position > 0) {
		mur_buf_put_u8(out, 'P');
		mur_buf_printf(out, "%d", e->position);
		mur_buf_put_u8(out, 0);
	}
	if (e->context[0])
		put_field(out, 'W', e->context, sizeof e->context);
	mur_buf_put_u8(out, 0);
	pgw_msg_end(out, off);
}

void pgw_put_error(mur_buf *out, const char *severity, const mur_error *e)
{
	pgw_put_error_fields(out, PGW_BE_ERROR, severity, e);
}

void pgw_put_notice(mur_buf *out, const mur_error *e)
{
	/* class 01 (warning): severity WARNING, as PostgreSQL sends it */
	int warning = strncmp(e->sqlstate, "01", 2) == 0;
	pgw_put_error_fields(out, PGW_BE_NOTICE, warning ? "WARNING" : "NOTICE", e);
}

static void put_copy_response(mur_buf *out, char type, uint32_t ncols, int format)
{
	size_t off = pgw_msg_begin(out, type);
	if (ncols > PGW_FIELDS_MAX)
		ncols = PGW_FIELDS_MAX;
	mur_buf_put_u8(out, (uint8_t)format); /* overall format */
	mur_buf_put_u16(out, (uint16_t)ncols);
	for (uint32_t i = 0; i < ncols; i++)
		mur_buf_put_u16(out, (uint16_t)format);
	pgw_msg_end(out, off);
}

void pgw_put_copy_in_response(mur_buf *out, uint32_t ncols, int format)
{
	put_copy_response(out, PGW_BE_COPY_IN_RESPONSE, ncols, format);
}

void pgw_put_copy_out_response(mur_buf *out, uint32_t ncols, int format)
{
	put_copy_response(out, PGW_BE_COPY_OUT_RESPONSE, ncols, format);
}
