/*
 * pgw_extended.c — the extended query protocol (PostgreSQL docs 55.2.3):
 * Parse, Bind, Describe, Execute, Close, Sync, Flush.
 *
 * Prepared statements (pgw_stmt) and portals (pgw_portal) live in two
 * lists on the connection, bounded by PGW_STATEMENTS_MAX and
 * PGW_PORTALS_MAX; the unnamed ones have the name "".  A portal holds a
 * reference to its statement, so redefining the unnamed statement does
 * not pull the engine statement out from under a portal; closing a named
 * statement closes its portals too (as the spec says).
 *
 * A portal is executed once: the first Execute runs the engine and keeps
 * the pgw_result in the portal; that Execute and later ones send DataRows
 * from where the previous one stopped (max_rows > 0 → PortalSuspended
 * while rows remain).  An Execute with max rows asks the engine for a
 * streaming portal (portal_stream): the result then holds one part of the
 * rows and pgw_portal_send asks for the next (pgw_portal_next) when it
 * has sent them, so pgwire holds a part, not the result.  Portals end
 * when the implicit transaction ends: at Sync with the engine idle ('I').
 *
 * Binary format (pgw_binary.h): parameters sent in binary are turned into
 * their text form at Bind (the portal keeps it in params), so the engine
 * sees text only; a portal whose Bind asked for binary result columns has
 * its result's DataRows re-encoded when the result arrives, and Describe
 * of the portal names those formats in RowDescription.
 *
 * Any ERROR makes the connection discard messages until Sync
 * (pgw_conn_fail → SKIP); malformed messages are FATAL.
 */
#include "pgwire/pgw_conn_int.h"

#include "common/utf8.h"
#include "pgwire/pgw_binary.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- Statements ------------------------------------------------------------ */

pgw_stmt *pgw_stmt_find(pgw_conn *c, const char *name)
{
	for (pgw_stmt *s = c->stmts; s; s = s->next)
		if (strcmp(s->name, name) == 0)
			return s;
	return NULL;
}

void pgw_stmt_unref(pgw_conn *c, pgw_stmt *s)
{
	if (--s->refs > 0)
		return;
	if (s->estmt)
		c->ops->stmt_free(s->estmt);
	free(s->name);
	free(s);
}

/* Take s out of the table (drop the table's reference). */
void pgw_stmt_remove(pgw_conn *c, pgw_stmt *s)
{
	for (pgw_stmt **pp = &c->stmts; *pp; pp = &(*pp)->next) {
		if (*pp == s) {
			*pp = s->next;
			c->nstmts--;
			s->in_table = 0;
			pgw_stmt_unref(c, s);
			return;
		}
	}
}

pgw_stmt *pgw_stmt_new(const char *name, void *estmt)
{
	pgw_stmt *s = calloc(1, sizeof *s);
	char *n = strdup(name);
	if (!s || !n) {
		free(s);
		free(n);
		return NULL;
	}
	s->name = n;
	s->estmt = estmt;
	return s;
}

/* Add a statement; on allocation failure the engine statement is freed. */
pgw_stmt *pgw_stmt_add(pgw_conn *c, const char *name, void *estmt)
{
	pgw_stmt *s = pgw_stmt_new(name, estmt);
	if (!s) {
		c->ops->stmt_free(estmt);
		return NULL;
	}
	s->refs = 1;
	s->in_table = 1;
	s->next = c->stmts;
	c->stmts = s;
	c->nstmts++;
	return s;
}

/* ---- Portals ------------------------------------------------------------------ */

pgw_portal *pgw_portal_find(pgw_conn *c, const char *name)
{
	for (pgw_portal *p = c->portals; p; p = p->next)
		if (strcmp(p->name, name) == 0)
			return p;
	return NULL;
}

void pgw_portal_drop(pgw_conn *c, pgw_portal *p)
{
	for (pgw_portal **pp = &c->portals; *pp; pp = &(*pp)->next) {
		if (*pp == p) {
			*pp = p->next;
			break;
		}
	}
	c->nportals--;
	if (c->exec_portal == p)
		c->exec_portal = NULL;
	if (p->stream && c->esess) /* dropped before its end: the engine lets go */
		c->ops->portal_close(c->esess, p->stream);
	pgw_stmt_unref(c, p->stmt);
	pgw_bind_free(&p->bind);
	mur_buf_free(&p->params);
	free(p->body);
	pgw_result_free(p->res);
	free(p->name);
	free(p);
}

static void portals_drop_all(pgw_conn *c, const pgw_stmt *only)
{
	pgw_portal *p = c->portals, *next;
	for (; p; p = next) {
		next = p->next;
		if (!only || p->stmt == only)
			pgw_portal_drop(c, p);
	}
}

void pgw_extended_drop_unnamed(pgw_conn *c)
{
	pgw_portal *p = pgw_portal_find(c, "");
	pgw_stmt *s = pgw_stmt_find(c, "");
	if (p)
		pgw_portal_drop(c, p);
	if (s)
		pgw_stmt_remove(c, s);
}

void pgw_extended_clear(pgw_conn *c)
{
	pgw_result_free(c->cursor_answer); /* the client left while a cursor ran */
	c->cursor_answer = NULL;
	pgw_result_free(c->fetch_answer);
	c->fetch_answer = NULL;
	c->cursor_portal = NULL;
	portals_drop_all(c, NULL);
	while (c->stmts)
		pgw_stmt_remove(c, c->stmts);
}

/* ---- Parse ----------------------------------------------------------------------- */

static void ext_parse(pgw_conn *c, const char *body, size_t len)
{
	pgw_parse m;
	mur_error err;
	void *estmt;
	int named, rc = pgw_parse_decode(body, len, &m, &err);

	if (rc != MUR_OK) {
		if (rc == MUR_EPROTO)
			pgw_conn_fatal(c, &err);
		else
			pgw_conn_fail(c, &err);
		return;
	}
	named = m.name[0] != '\0';
	mur_error_clear(&err);
	if (mur_utf8_check(m.query, strlen(m.query), &err) != MUR_OK) {
		pgw_conn_fail(c, &err);
	} else if (named && pgw_stmt_find(c, m.name)) {
		pgw_conn_failf(c, "42P05", "prepared statement \"%s\" already exists", m.name);
	} else if (named && c->nstmts >= PGW_STATEMENTS_MAX) {
		pgw_conn_failf(c, SQLSTATE_PROGRAM_LIMIT_EXCEEDED,
			       "too many prepared statements (limit %d)", PGW_STATEMENTS_MAX);
	} else if (!(estmt = c->ops->prepare(c->esess, m.query, m.nparams, m.param_oids, &err))) {
		if (!mur_error_is_set(&err))
			mur_error_set(&err, SQLSTATE_INTERNAL_ERROR, "could not prepare statement");
		pgw_conn_fail(c, &err);
	} else {
		pgw_stmt *old = named ? NULL : pgw_stmt_find(c, "");
		if (old)
			pgw_stmt_remove(c, old);
		pgw_stmt *s = pgw_stmt_add(c, m.name, estmt);
		if (!s) {
			pgw_conn_oom(c);
		} else if (c->ops->prepare_finish) {
			c->parse_stmt = s;
			pgw_conn_prepare_finish(c, estmt); /* ParseComplete at the result */
		} else {
			pgw_put_empty(&c->out, PGW_BE_PARSE_COMPLETE);
		}
	}
	pgw_parse_free(&m);
}

/* ---- Bind ------------------------------------------------------------------------ */

static int check_format(int16_t f, mur_error *err)
{
	if (f == 0 || f == 1)
		return MUR_OK;
	/* 22023, as PostgreSQL 15 answers (exec_bind_message, printtup) */
	return mur_error_set(err, SQLSTATE_INVALID_PARAMETER_VALUE, "unsupported format code: %d",
			     f);
}

/* Result formats: text, or binary for a column whose type has a binary
 * form (pgw_binary_supported). */
static int check_result_formats(const pgw_bind *b, int ncols, const pgw_column *cols,
				mur_error *err)
{
	if (b->nresult_formats > 1 && b->nresult_formats != ncols)
		return mur_error_set(err, SQLSTATE_PROTOCOL_VIOLATION,
				     "bind message has %d result formats but query has %d columns",
				     b->nresult_formats, ncols);
	for (int i = 0; i < b->nresult_formats; i++)
		if (check_format(b->result_formats[i], err) != MUR_OK)
			return MUR_ERR;
	for (int i = 0; i < ncols && b->nresult_formats > 0; i++) {
		int16_t f = b->result_formats[b->nresult_formats == 1 ? 0 : i];
		if (f == 1 && !pgw_binary_supported(cols[i].type_oid))
			return mur_error_set(err, SQLSTATE_UNDEFINED_FUNCTION,
					     "no binary output function available for type %u "
					     "(column \"%.*s\")",
					     cols[i].type_oid, (int)sizeof cols[i].name,
					     cols[i].name);
	}
	return MUR_OK;
}

/* Types whose binary form is their text (PostgreSQL's textrecv and kin):
 * text, varchar, bpchar, name, "char", unknown, json. */
static int oid_binary_is_text(uint32_t oid)
{
	return oid == 25 || oid == 1043 || oid == 1042 || oid == 19 || oid == 18 || oid == 705 ||
	       oid == 114;
}

/* Parameter values that are text must be UTF-8 without NUL (22021), as
 * PostgreSQL checks every text-format value and the binary form of text
 * types; other binary values (bytea, integers) are bytes. */
static int check_param_encoding(const pgw_bind *b, int nparams, const uint32_t *oids,
				mur_error *err)
{
	for (int i = 0; i < b->nparams; i++) {
		int16_t f = b->nformats == 0 ? 0 : b->formats[b->nformats == 1 ? 0 : i];
		uint32_t oid = oids && i < nparams ? oids[i] : 0;
		if (b->lengths[i] < 0 || (f == 1 && !oid_binary_is_text(oid)))
			continue;
		if (mur_utf8_check(b->values[i], (size_t)b->lengths[i], err) != MUR_OK)
			return MUR_ERR;
	}
	return MUR_OK;
}

static int check_bind(pgw_conn *c, const pgw_stmt *s, const pgw_bind *b, mur_error *err)
{
	int nparams = 0, ncols = 0;
	const uint32_t *oids = NULL;
	const pgw_column *cols = NULL;

	c->ops->describe(s->estmt, &nparams, &oids, &ncols, &cols);
	if (b->nformats > 1 && b->nformats != b->nparams)
		return mur_error_set(err, SQLSTATE_PROTOCOL_VIOLATION,
				     "bind message has %d parameter formats but %d parameters",
				     b->nformats, b->nparams);
	if (b->nparams != nparams)
		return mur_error_set(err, SQLSTATE_PROTOCOL_VIOLATION,
				     "bind message supplies %d parameters, but prepared statement "
				     "\"%s\" requires %d",
				     b->nparams, s->name, nparams);
	for (int i = 0; i < b->nformats; i++)
		if (check_format(b->formats[i], err) != MUR_OK)
			return MUR_ERR;
	if (check_param_encoding(b, nparams, oids, err) != MUR_OK)
		return MUR_ERR;
	return check_result_formats(b, ncols, cols, err);
}

/* Binary parameters → their text form in text (PostgreSQL decodes them at
 * Bind too); b's values then point there and every format is text. */
static int bind_params_to_text(pgw_conn *c, const pgw_stmt *s, pgw_bind *b, mur_buf *text,
			       mur_error *err)
{
	int nparams = 0, ncols = 0;
	const uint32_t *oids = NULL;
	const pgw_column *cols = NULL;
	size_t *offs;

	if (b->nformats == 0 || (b->nformats == 1 && b->formats[0] == 0))
		return MUR_OK;
	c->ops->describe(s->estmt, &nparams, &oids, &ncols, &cols);
	if (!(offs = calloc((size_t)b->nparams + 1, sizeof *offs)))
		return mur_error_set(err, SQLSTATE_OUT_OF_MEMORY, "out of memory");
	for (int i = 0; i < b->nparams; i++) {
		int16_t f = b->formats[b->nformats == 1 ? 0 : i];
		offs[i] = SIZE_MAX;
		if (f != 1 || b->lengths[i] < 0)
			continue;
		offs[i] = text->len;
		if (pgw_binary_recv(oids && i < nparams ? oids[i] : 0, b->values[i],
				    (size_t)b->lengths[i], text, err) != MUR_OK) {
			free(offs);
			if (strcmp(err->sqlstate, SQLSTATE_INVALID_BINARY_REPRESENTATION) == 0)
				mur_error_set(err, SQLSTATE_INVALID_BINARY_REPRESENTATION,
					      "incorrect binary data format in bind parameter %d",
					      i + 1);
			return MUR_ERR;
		}
		b->lengths[i] = (int32_t)(text->len - offs[i]);
	}
	if (!mur_buf_ok(text)) {
		free(offs);
		return mur_error_set(err, SQLSTATE_OUT_OF_MEMORY, "out of memory");
	}
	for (int i = 0; i < b->nparams; i++) /* text is complete: it moves no more */
		if (offs[i] != SIZE_MAX)
			b->values[i] = text->data ? text->data + offs[i] : "";
	free(offs);
	free(b->formats);
	b->formats = NULL;
	b->nformats = 0;
	return MUR_OK;
}

/* Validate the Bind and find its statement; MUR_OK or an ERROR in err. */
static int bind_lookup(pgw_conn *c, const pgw_bind *b, pgw_stmt **out, mur_error *err)
{
	pgw_stmt *s = pgw_stmt_find(c, b->stmt);
	if (!s)
		return mur_error_set(err, SQLSTATE_INVALID_SQL_STATEMENT_NAME,
				     "prepared statement \"%s\" does not exist", b->stmt);
	if (b->portal[0] && pgw_portal_find(c, b->portal))
		return mur_error_set(err, "42P03", "cursor \"%s\" already exists", b->portal);
	if (b->portal[0] && c->nportals >= PGW_PORTALS_MAX)
		return mur_error_set(err, SQLSTATE_PROGRAM_LIMIT_EXCEEDED,
				     "too many portals (limit %d)", PGW_PORTALS_MAX);
	*out = s;
	return check_bind(c, s, b, err);
}

/* Create the portal; takes body (the Bind copy), b's arrays and params. */
static pgw_portal *portal_add(pgw_conn *c, pgw_stmt *s, char *body, pgw_bind *b, mur_buf *params)
{
	pgw_portal *p = calloc(1, sizeof *p), *old;
	char *name = strdup(b->portal);
	if (!p || !name) {
		free(p);
		free(name);
		return NULL;
	}
	if (!b->portal[0] && (old = pgw_portal_find(c, "")))
		pgw_portal_drop(c, old);
	p->name = name;
	p->stmt = s;
	s->refs++;
	p->body = body;
	p->bind = *b;
	p->params = *params;
	p->next = c->portals;
	c->portals = p;
	c->nportals++;
	return p;
}

pgw_portal *pgw_portal_open(pgw_conn *c, const char *name, pgw_stmt *s)
{
	pgw_bind b;
	pgw_portal *p;
	mur_buf params; /* none: a cursor's statement has its values inlined */
	memset(&b, 0, sizeof b);
	mur_buf_init(&params);
	b.portal = name;
	if (!(p = portal_add(c, s, NULL, &b, &params)))
		return NULL;
	p->bind.portal = p->name;
	return p;
}

void pgw_extended_drop_portals(pgw_conn *c) { portals_drop_all(c, NULL); }

static void ext_bind(pgw_conn *c, const char *body, size_t len)
{
	char *copy = malloc(len ? len : 1); /* values must outlive the input buffer */
	pgw_bind b;
	pgw_stmt *s = NULL;
	mur_buf params;
	mur_error err;
	int rc;

	if (!copy) {
		pgw_conn_oom(c);
		return;
	}
	memcpy(copy, body, len);
	mur_buf_init(&params);
	rc = pgw_bind_decode(copy, len, &b, &err);
	if (rc == MUR_EPROTO) {
		pgw_conn_fatal(c, &err);
	} else if (rc != MUR_OK || bind_lookup(c, &b, &s, &err) != MUR_OK ||
		   bind_params_to_text(c, s, &b, &params, &err) != MUR_OK) {
		pgw_conn_fail(c, &err);
	} else if (portal_add(c, s, copy, &b, &params)) {
		pgw_put_empty(&c->out, PGW_BE_BIND_COMPLETE);
		return; /* the portal owns copy, b and params */
	} else {
		pgw_conn_oom(c);
	}
	pgw_bind_free(&b);
	mur_buf_free(&params);
	free(copy);
}

/* ---- Describe, Execute, Close, Sync ------------------------------------------ */

/* The rows of a FETCH (its cursor's, sent as text: the cursor holds them
 * printed) or of an EXECUTE (its prepared statement's): a statement that
 * describes itself keeps *ncols and *cols. */
static void describe_other(pgw_conn *c, void *estmt, int *ncols, const pgw_column **cols,
			   const pgw_bind **b)
{
	char name[PGW_PORTAL_NAME_BYTES];
	int np = 0;
	const uint32_t *po = NULL;
	int as = c->ops->describes_as ? c->ops->describes_as(estmt, name, sizeof name)
				      : PGW_DESCRIBES_SELF;
	if (as == PGW_DESCRIBES_CURSOR) {
		const pgw_portal *p = pgw_portal_find(c, name);
		if (p && p->res && p->res->kind == PGW_RESULT_ROWS) {
			*ncols = (int)p->res->ncols;
			*cols = p->res->cols;
			*b = NULL;
		}
	} else if (as == PGW_DESCRIBES_STATEMENT) {
		const pgw_stmt *s = pgw_stmt_find(c, name);
		if (s)
			c->ops->describe(s->estmt, &np, &po, ncols, cols);
	}
}

/* ParameterDescription (a statement's) and RowDescription in the formats
 * of b (a portal's Bind; NULL: a statement's, all text). */
static void describe_rows(pgw_conn *c, void *estmt, int with_params, const pgw_bind *b)
{
	int nparams = 0, ncols = 0;
	const uint32_t *oids = NULL;
	const pgw_column *cols = NULL;
	c->ops->describe(estmt, &nparams, &oids, &ncols, &cols);
	if (ncols == 0)
		describe_other(c, estmt, &ncols, &cols, &b);
	if (with_params)
		pgw_put_parameter_description(&c->out, nparams, oids);
	if (ncols > 0)
		pgw_put_row_description(&c->out, (uint32_t)ncols, cols, b ? b->nresult_formats : 0,
					b ? b->result_formats : NULL);
	else
		pgw_put_empty(&c->out, PGW_BE_NO_DATA);
}

static void ext_describe(pgw_conn *c, const char *body, size_t len)
{
	char kind;
	const char *name;
	mur_error err;
	if (pgw_target_decode(body, len, &kind, &name, &err) != MUR_OK) {
		pgw_conn_fatal(c, &err);
	} else if (kind == 'S') {
		pgw_stmt *s = pgw_stmt_find(c, name);
		if (s)
			describe_rows(c, s->estmt, 1, NULL);
		else
			pgw_conn_failf(c, SQLSTATE_INVALID_SQL_STATEMENT_NAME,
				       "prepared statement \"%s\" does not exist", name);
	} else {
		pgw_portal *p = pgw_portal_find(c, name);
		if (p)
			describe_rows(c, p->stmt->estmt, 0, &p->bind);
		else
			pgw_conn_failf(c, SQLSTATE_INVALID_CURSOR_NAME,
				       "portal \"%s\" does not exist", name);
	}
}

static void ext_execute(pgw_conn *c, const char *body, size_t len)
{
	const char *name;
	int32_t max_rows;
	mur_error err;
	pgw_portal *p;
	if (pgw_execute_decode(body, len, &name, &max_rows, &err) != MUR_OK) {
		pgw_conn_fatal(c, &err);
		return;
	}
	if (!(p = pgw_portal_find(c, name))) {
		pgw_conn_failf(c, SQLSTATE_INVALID_CURSOR_NAME, "portal \"%s\" does not exist",
			       name);
		return;
	}
	p->exec_rows = 0;
	c->exec_max_rows = max_rows;
	if (p->res) { /* executed before: continue from where it stopped */
		pgw_portal_send(c, p, max_rows);
		return;
	}
	c->exec_portal = p;
	if (max_rows > 0 && c->ops->portal_stream) /* rows a part at a time */
		c->ops->portal_stream(c->esess);
	pgw_conn_execute(c, PGW_WAIT_EXECUTE, p->stmt->estmt, &p->bind);
}

static void ext_close(pgw_conn *c, const char *body, size_t len)
{
	char kind;
	const char *name;
	mur_error err;
	if (pgw_target_decode(body, len, &kind, &name, &err) != MUR_OK) {
		pgw_conn_fatal(c, &err);
		return;
	}
	if (kind == 'S') {
		pgw_stmt *s = pgw_stmt_find(c, name);
		if (s) {
			portals_drop_all(c, s);
			pgw_stmt_remove(c, s);
		}
	} else {
		pgw_portal *p = pgw_portal_find(c, name);
		if (p)
			pgw_portal_drop(c, p);
	}
	pgw_put_empty(&c->out, PGW_BE_CLOSE_COMPLETE); /* closing nothing is not an error */
}

void pgw_extended_sync(pgw_conn *c)
{
	char st = c->ops->txn_status ? c->ops->txn_status(c->esess) : 'I';
	c->state = PGW_CONN_READY;
	if (st == 'I') /* the implicit transaction ended: its portals go with it */
		portals_drop_all(c, NULL);
	pgw_conn_ready_for_query(c);
}

void pgw_extended_message(pgw_conn *c, char type, const char *body, size_t len)
{
	mur_error err;
	c->extended = 1;
	switch (type) {
	case PGW_FE_PARSE:
		ext_parse(c, body, len);
		break;
	case PGW_FE_BIND:
		ext_bind(c, body, len);
		break;
	case PGW_FE_DESCRIBE:
		ext_describe(c, body, len);
		break;
	case PGW_FE_EXECUTE:
		ext_execute(c, body, len);
		break;
	case PGW_FE_CLOSE:
		ext_close(c, body, len);
		break;
	case PGW_FE_SYNC:
	case PGW_FE_FLUSH: /* output is flushed after every feed anyway */
		if (pgw_empty_decode(len, type, &err) != MUR_OK)
			pgw_conn_fatal(c, &err);
		else if (type == PGW_FE_SYNC)
			pgw_extended_sync(c);
		break;
	default:
		break;
	}
}

/* ---- Results --------------------------------------------------------------------- */

/* Size of the DataRow message at p (0 if malformed). */
size_t pgw_datarow_size(const char *p, size_t left)
{
	mur_rd r;
	uint32_t n;
	mur_rd_init(&r, p, left);
	if (mur_rd_u8(&r) != PGW_BE_DATA_ROW)
		return 0;
	n = mur_rd_u32(&r);
	if (!mur_rd_ok(&r) || n < 4 || n - 4 > mur_rd_left(&r))
		return 0;
	return (size_t)n + 1;
}

static void portal_complete(pgw_conn *c, pgw_portal *p, size_t start, uint64_t batch)
{
	pgw_result *r = p->res;
	char tag[sizeof r->tag + 24];
	r->tag[sizeof r->tag - 1] = '\0';
	if ((start == 0 && !p->streamed) || strncmp(r->tag, "SELECT", 6) != 0)
		snprintf(tag, sizeof tag, "%s", r->tag);
	else /* a resumed portal reports the rows of this Execute, as PostgreSQL does */
		snprintf(tag, sizeof tag, "SELECT %llu", (unsigned long long)batch);
	pgw_put_command_complete(&c->out, tag);
	p->done = 1;
}

void pgw_portal_send(pgw_conn *c, pgw_portal *p, int32_t max_rows)
{
	pgw_result *r = p->res;
	size_t start = p->row_off, n;
	uint64_t batch = 0;

	if (r->kind == PGW_RESULT_COMMAND) {
		portal_complete(c, p, 0, 0);
		return;
	}
	if (r->kind == PGW_RESULT_EMPTY) {
		pgw_put_empty(&c->out, PGW_BE_EMPTY_QUERY);
		return;
	}
	if (r->kind != PGW_RESULT_ROWS || !mur_buf_ok(&r->rows)) {
		pgw_conn_failf(c, SQLSTATE_INTERNAL_ERROR, "portal \"%s\" cannot be run", p->name);
		return;
	}
	while (p->row_off < r->rows.len && (max_rows <= 0 || p->exec_rows < (uint64_t)max_rows)) {
		n = pgw_datarow_size(r->rows.data + p->row_off, r->rows.len - p->row_off);
		if (n == 0) {
			pgw_conn_failf(c, SQLSTATE_INTERNAL_ERROR, "malformed row in result");
			return;
		}
		p->row_off += n;
		p->exec_rows++;
		batch++;
	}
	mur_buf_put(&c->out, r->rows.data + start, p->row_off - start);
	p->rows_sent += batch;
	if (p->row_off < r->rows.len ||
	    (p->stream && max_rows > 0 && p->exec_rows >= (uint64_t)max_rows))
		pgw_put_empty(&c->out, PGW_BE_PORTAL_SUSPENDED);
	else if (p->stream) /* this part is sent: the next one, then on */
		pgw_portal_next(c, p, 0);
	else
		portal_complete(c, p, start, p->exec_rows);
}

void pgw_portal_take_stream(pgw_portal *p, pgw_result *r)
{
	p->stream = r->stream;
	r->stream = NULL;
	p->streamed |= p->stream != NULL;
}

void pgw_portal_refilled(pgw_conn *c, pgw_result *r)
{
	pgw_portal *p = c->next_portal;
	int fetch = c->next_fetch;
	mur_error e;
	c->next_portal = NULL;
	pgw_conn_send_notices(c, r);
	pgw_portal_take_stream(p, r);
	if (r->kind == PGW_RESULT_ROWS && !fetch &&
	    pgw_binary_result(r, p->bind.nresult_formats, p->bind.result_formats, &r->err) !=
		    MUR_OK)
		r->kind = PGW_RESULT_ERROR;
	if (r->kind != PGW_RESULT_ROWS) {
		if (r->kind == PGW_RESULT_ERROR)
			e = r->err;
		else
			mur_error_set(&e, SQLSTATE_INTERNAL_ERROR, "portal \"%s\" lost its rows",
				      p->name);
		pgw_result_free(r);
		if (fetch) {
			pgw_portal_drop(c, p);
			pgw_cursor_fetch_failed(c, &e);
		} else {
			pgw_portal_drop(c, p);
			pgw_conn_fail(c, &e);
		}
		return;
	}
	pgw_result_free(p->res); /* the part sent: the leader holds one at a time */
	p->res = r;
	p->row_off = 0;
	if (fetch)
		pgw_cursor_fetch_more(c, p);
	else
		pgw_portal_send(c, p, c->exec_max_rows);
}

/* The result of the portal's first Execute, or of the COPY it started. */
/* prepare_finish() answered: ParseComplete, or the Parse's error (the
 * statement goes, as if the Parse had failed at once). */
void pgw_extended_on_parsed(pgw_conn *c, pgw_result *r)
{
	pgw_stmt *s = c->parse_stmt;
	c->parse_stmt = NULL;
	pgw_conn_send_notices(c, r);
	if (r->kind == PGW_RESULT_ERROR) {
		mur_error e = r->err;
		if (s && s->in_table) {
			portals_drop_all(c, s);
			pgw_stmt_remove(c, s);
		}
		pgw_conn_fail(c, &e);
	} else {
		pgw_put_empty(&c->out, PGW_BE_PARSE_COMPLETE);
	}
	pgw_result_free(r);
}

void pgw_extended_on_result(pgw_conn *c, pgw_result *r)
{
	pgw_portal *p = c->exec_portal;
	pgw_conn_send_notices(c, r);
	if (!p) { /* cannot happen: nothing drops a portal while BUSY */
		pgw_result_free(r);
		pgw_conn_failf(c, SQLSTATE_INTERNAL_ERROR, "portal vanished during execution");
		return;
	}
	pgw_result_free(p->res); /* the COPY_IN result after a COPY */
	p->res = r;
	pgw_portal_take_stream(p, r);
	if (r->kind == PGW_RESULT_ROWS &&
	    pgw_binary_result(r, p->bind.nresult_formats, p->bind.result_formats, &r->err) !=
		    MUR_OK)
		r->kind = PGW_RESULT_ERROR;
	if (r->kind == PGW_RESULT_ERROR) {
		mur_error e = r->err;
		pgw_portal_drop(c, p);
		pgw_conn_fail(c, &e);
	} else if (r->kind == PGW_RESULT_COPY_IN) {
		pgw_copy_start(c, r); /* exec_portal stays for the COPY's result */
	} else {
		c->exec_portal = NULL;
		pgw_portal_send(c, p, c->exec_max_rows);
	}
}
