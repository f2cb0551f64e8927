/*
 * test_pgwire_toy.h — a toy engine behind pgw_engine_ops, frontend message
 * builders and a backend message splitter, shared by the pgwire unit
 * tests (header-only: every function is static inline).
 *
 * Toy SQL (case-insensitive prefixes):
 *   select N     N rows of one int4 column "n" (1..N), tag "SELECT N"
 *   select $1    one text column "v" echoing parameter 1
 *   syntax...    prepare fails: 42601 at position 1
 *   bad...       execute fails: 42P01
 *   copybin...   COPY_IN of FORMAT binary, columns int4 and text
 *   copy...      COPY_IN with 2 columns; rows = newlines received
 *   notice       a NOTICE then "DO"
 *   begin/commit txn status T / I ("BEGIN"/"COMMIT")
 *   empty        EmptyQueryResponse
 *   keepalive N  pgw_session_set_keepalive(idle N, interval 0, count 0)
 *   async X      X, but the done callback comes later (toy_complete);
 *                cancel() ends it at once with 57014
 *   anything else  "OK"
 * split() splits on ';' and drops empty statements; "splitfail" fails.
 */
#ifndef TEST_PGWIRE_TOY_H
#define TEST_PGWIRE_TOY_H

#include "common/buf.h"
#include "common/error.h"
#include "pgwire/pgw_engine.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

typedef struct toy_engine {
	int sessions_open, sessions_closed;
	int stmts_live;   /* prepared and not yet freed */
	int failed_calls; /* statement_failed() */
	int refuse;       /* session_open fails */
	int copy_pause;   /* copy_data returns 1 */
	int copy_lines;
	char copy_text[256]; /* the first bytes copy_data received, NUL-terminated */
	size_t copy_text_len;
	int copy_done_calls;
	int copy_failed;
	char copy_fail_msg[128];
	char user[64], database[64];
	pgw_session *ps;
	/* the pending asynchronous completion */
	pgw_done_cb pend_done;
	void *pend_arg;
	pgw_result *pend_res;
	int cancels;           /* cancel() calls */
	uint64_t idle_ms;      /* idle_in_txn_timeout_ms() answers this */
	int query_begins;      /* query_begin() calls */
	int query_ends;        /* query_end() calls */
	int query_end_failed;  /* its last failed argument */
	int query_end_refuses; /* query_end answers an error */
} toy_engine;

typedef struct toy_sess {
	toy_engine *e;
	char txn;
} toy_sess;

typedef struct toy_stmt {
	char sql[256];
	int async;
	int nparams;
	uint32_t oids[1];
	int ncols;
	pgw_column cols[1];
	toy_engine *e;
} toy_stmt;

static inline int toy_prefix(const char *s, const char *p)
{
	return strncasecmp(s, p, strlen(p)) == 0;
}

static inline void *toy_session_open(void *engine, pgw_session *ps, const char *user,
				     const char *database, mur_error *err)
{
	toy_engine *e = engine;
	toy_sess *s;
	if (e->refuse) {
		mur_error_set(err, "3D000", "database \"%s\" does not exist", database);
		return NULL;
	}
	s = calloc(1, sizeof *s);
	s->e = e;
	s->txn = 'I';
	e->sessions_open++;
	e->ps = ps;
	snprintf(e->user, sizeof e->user, "%s", user);
	snprintf(e->database, sizeof e->database, "%s", database);
	return s;
}

static inline void toy_session_close(void *esess)
{
	toy_sess *s = esess;
	s->e->sessions_closed++;
	free(s);
}

static inline int toy_split(void *esess, const char *sql, int *n, char ***stmts, mur_error *err)
{
	char **v = NULL;
	int k = 0;
	const char *p = sql;
	if (strstr(sql, "splitfail"))
		return mur_error_set_pos(err, SQLSTATE_SYNTAX_ERROR, 1,
					 "syntax error at or near \"splitfail\"");
	while (*p) {
		const char *end = strchr(p, ';');
		size_t len = end ? (size_t)(end - p) : strlen(p);
		while (len && isspace((unsigned char)*p))
			p++, len--;
		while (len && isspace((unsigned char)p[len - 1]))
			len--;
		if (len) {
			v = realloc(v, (size_t)(k + 1) * sizeof *v);
			v[k] = strndup(p, len);
			k++;
		}
		if (!end)
			break;
		p = end + 1;
	}
	*n = k;
	*stmts = v;
	return MUR_OK;
}

static inline void *toy_prepare(void *esess, const char *sql, int nparams, const uint32_t *oids,
				mur_error *err)
{
	toy_sess *s = esess;
	toy_stmt *st;
	if (toy_prefix(sql, "syntax")) {
		mur_error_set_pos(err, SQLSTATE_SYNTAX_ERROR, 1,
				  "syntax error at or near \"syntax\"");
		return NULL;
	}
	st = calloc(1, sizeof *st);
	st->e = s->e;
	if (toy_prefix(sql, "async ")) {
		st->async = 1;
		sql += 6;
	}
	size_t n = strlen(sql) < sizeof st->sql - 1 ? strlen(sql) : sizeof st->sql - 1;
	memcpy(st->sql, sql, n);
	st->sql[n] = '\0';
	if (toy_prefix(sql, "select $1")) {
		st->nparams = 1;
		st->oids[0] = nparams > 0 && oids[0] ? oids[0] : 25;
		st->ncols = 1;
		snprintf(st->cols[0].name, sizeof st->cols[0].name, "v");
		st->cols[0].type_oid = 25;
		st->cols[0].typlen = -1;
		st->cols[0].typmod = -1;
	} else if (toy_prefix(sql, "select ")) {
		st->ncols = 1;
		snprintf(st->cols[0].name, sizeof st->cols[0].name, "n");
		st->cols[0].type_oid = 23;
		st->cols[0].typlen = 4;
		st->cols[0].typmod = -1;
	}
	s->e->stmts_live++;
	return st;
}

static inline void toy_describe(void *stmt, int *nparams, const uint32_t **oids, int *ncols,
				const pgw_column **cols)
{
	toy_stmt *st = stmt;
	*nparams = st->nparams;
	*oids = st->oids;
	*ncols = st->ncols;
	*cols = st->cols;
}

static inline void toy_stmt_free(void *stmt)
{
	toy_stmt *st = stmt;
	st->e->stmts_live--;
	free(st);
}

static inline void toy_select(pgw_result *r, toy_stmt *st, int nparams, const char *const *values,
			      const int32_t *lengths)
{
	pgw_result_set_columns(r, 1, st->cols);
	if (st->nparams == 1) {
		const char *v = nparams > 0 ? values[0] : NULL;
		int32_t len = nparams > 0 ? lengths[0] : -1;
		pgw_result_add_row(r, 1, &v, &len);
		snprintf(r->tag, sizeof r->tag, "SELECT 1");
		return;
	}
	int n = atoi(st->sql + 7);
	for (int i = 1; i <= n; i++) {
		char buf[16];
		const char *v = buf;
		int32_t len = snprintf(buf, sizeof buf, "%d", i);
		pgw_result_add_row(r, 1, &v, &len);
	}
	snprintf(r->tag, sizeof r->tag, "SELECT %d", n);
}

static inline pgw_result *toy_run(toy_sess *s, toy_stmt *st, int nparams, const char *const *values,
				  const int32_t *lengths)
{
	pgw_result *r = pgw_result_new();
	const char *sql = st->sql;
	mur_error e;
	if (toy_prefix(sql, "select ")) {
		toy_select(r, st, nparams, values, lengths);
	} else if (toy_prefix(sql, "bad")) {
		mur_error_set(&e, SQLSTATE_UNDEFINED_TABLE, "relation \"bad\" does not exist");
		pgw_result_set_error(r, &e);
	} else if (toy_prefix(sql, "copy")) {
		r->kind = PGW_RESULT_COPY_IN;
		r->copy_ncols = 2;
		s->e->copy_lines = 0;
		s->e->copy_text_len = 0;
		s->e->copy_text[0] = '\0';
		if (toy_prefix(sql, "copybin") &&
		    (r->copy_oids = calloc(2, sizeof *r->copy_oids))) {
			r->copy_binary = 1;
			r->copy_oids[0] = 23;
			r->copy_oids[1] = 25;
		}
	} else if (toy_prefix(sql, "notice")) {
		pgw_result_add_notice(r, "hello %s", "notice");
		snprintf(r->tag, sizeof r->tag, "DO");
	} else if (toy_prefix(sql, "begin")) {
		s->txn = 'T';
		snprintf(r->tag, sizeof r->tag, "BEGIN");
	} else if (toy_prefix(sql, "commit")) {
		s->txn = 'I';
		snprintf(r->tag, sizeof r->tag, "COMMIT");
	} else if (toy_prefix(sql, "empty")) {
		r->kind = PGW_RESULT_EMPTY;
	} else if (toy_prefix(sql, "keepalive ")) {
		pgw_keepalive ka = {atoi(sql + 10), 0, 0, 0};
		pgw_session_set_keepalive(s->e->ps, &ka);
		snprintf(r->tag, sizeof r->tag, "SET");
	} else {
		snprintf(r->tag, sizeof r->tag, "OK");
	}
	return r;
}

static inline void toy_execute(void *esess, void *stmt, int nparams, const char *const *values,
			       const int32_t *lengths, int nformats, const int16_t *formats,
			       pgw_done_cb done, void *arg)
{
	toy_sess *s = esess;
	toy_stmt *st = stmt;
	pgw_result *r = toy_run(s, st, nparams, values, lengths);
	if (st->async) {
		s->e->pend_done = done;
		s->e->pend_arg = arg;
		s->e->pend_res = r;
		return;
	}
	done(arg, r);
}

/* Deliver the pending asynchronous result; returns 0 if none. */
static inline int toy_complete(toy_engine *e)
{
	pgw_done_cb done = e->pend_done;
	if (!done)
		return 0;
	e->pend_done = NULL;
	done(e->pend_arg, e->pend_res);
	return 1;
}

/* cancel(): a pending asynchronous statement ends now with 57014. */
static inline void toy_cancel(void *esess)
{
	toy_sess *s = esess;
	mur_error e;
	s->e->cancels++;
	if (!s->e->pend_done)
		return;
	mur_error_set(&e, SQLSTATE_QUERY_CANCELED, "canceling statement due to user request");
	pgw_result_set_error(s->e->pend_res, &e);
	toy_complete(s->e);
}

static inline int toy_copy_data(void *esess, const char *data, size_t len)
{
	toy_sess *s = esess;
	toy_engine *e = s->e;
	for (size_t i = 0; i < len; i++)
		if (data[i] == '\n')
			e->copy_lines++;
	for (size_t i = 0; i < len && e->copy_text_len + 1 < sizeof e->copy_text; i++)
		e->copy_text[e->copy_text_len++] = data[i];
	e->copy_text[e->copy_text_len] = '\0';
	return s->e->copy_pause ? 1 : 0;
}

static inline void toy_copy_done(void *esess, int failed, const char *msg, pgw_done_cb done,
				 void *arg)
{
	toy_sess *s = esess;
	pgw_result *r = pgw_result_new();
	s->e->copy_done_calls++;
	if (failed) {
		mur_error e;
		s->e->copy_failed = 1;
		snprintf(s->e->copy_fail_msg, sizeof s->e->copy_fail_msg, "%s", msg ? msg : "");
		mur_error_set(&e, SQLSTATE_QUERY_CANCELED, "COPY from stdin failed: %s", msg);
		pgw_result_set_error(r, &e);
	} else {
		snprintf(r->tag, sizeof r->tag, "COPY %d", s->e->copy_lines);
	}
	done(arg, r);
}

static inline char toy_txn_status(void *esess) { return ((toy_sess *)esess)->txn; }

static inline void toy_statement_failed(void *esess)
{
	toy_sess *s = esess;
	s->e->failed_calls++;
	if (s->txn == 'T')
		s->txn = 'E';
}

static inline uint64_t toy_idle_ms(void *esess) { return ((toy_sess *)esess)->e->idle_ms; }

static inline void toy_query_begin(void *esess) { ((toy_sess *)esess)->e->query_begins++; }

static inline void toy_query_end(void *esess, int failed, pgw_done_cb done, void *arg)
{
	toy_sess *s = esess;
	pgw_result *r = pgw_result_new();
	s->e->query_ends++;
	s->e->query_end_failed = failed;
	if (s->e->query_end_refuses) {
		mur_error e;
		mur_error_set(&e, SQLSTATE_STATEMENT_COMPLETION_UNKNOWN, "commit outcome unknown");
		pgw_result_set_error(r, &e);
	}
	done(arg, r);
}

static const pgw_engine_ops toy_ops __attribute__((unused)) = {
	.session_open = toy_session_open,
	.session_close = toy_session_close,
	.split = toy_split,
	.prepare = toy_prepare,
	.describe = toy_describe,
	.stmt_free = toy_stmt_free,
	.execute = toy_execute,
	.copy_data = toy_copy_data,
	.copy_done = toy_copy_done,
	.txn_status = toy_txn_status,
	.statement_failed = toy_statement_failed,
	.cancel = toy_cancel,
	.idle_in_txn_timeout_ms = toy_idle_ms,
	.query_begin = toy_query_begin,
	.query_end = toy_query_end,
};

/* ---- Frontend message builders ---------------------------------------------- */

static inline size_t fe_begin(mur_buf *b, char type)
{
	size_t off;
	mur_buf_put_u8(b, (uint8_t)type);
	off = b->len;
	mur_buf_put_u32(b, 0);
	return off;
}

static inline void fe_end(mur_buf *b, size_t off)
{
	mur_buf_patch_u32(b, off, (uint32_t)(b->len - off));
}

static inline void fe_startup_version(mur_buf *b, uint32_t version, const char *user,
				      const char *db)
{
	size_t off = b->len;
	mur_buf_put_u32(b, 0);
	mur_buf_put_u32(b, version);
	if (user) {
		mur_buf_put_cstr(b, "user");
		mur_buf_put_cstr(b, user);
	}
	if (db) {
		mur_buf_put_cstr(b, "database");
		mur_buf_put_cstr(b, db);
	}
	mur_buf_put_cstr(b, "application_name");
	mur_buf_put_cstr(b, "toytest");
	mur_buf_put_u8(b, 0);
	mur_buf_patch_u32(b, off, (uint32_t)(b->len - off));
}

static inline void fe_startup(mur_buf *b, const char *user, const char *db)
{
	fe_startup_version(b, 3u << 16, user, db);
}

static inline void fe_request(mur_buf *b, uint32_t code)
{
	mur_buf_put_u32(b, 8);
	mur_buf_put_u32(b, code);
}

static inline void fe_query(mur_buf *b, const char *sql)
{
	size_t off = fe_begin(b, 'Q');
	mur_buf_put_cstr(b, sql);
	fe_end(b, off);
}

static inline void fe_parse(mur_buf *b, const char *name, const char *sql, int noids,
			    const uint32_t *oids)
{
	size_t off = fe_begin(b, 'P');
	mur_buf_put_cstr(b, name);
	mur_buf_put_cstr(b, sql);
	mur_buf_put_u16(b, (uint16_t)noids);
	for (int i = 0; i < noids; i++)
		mur_buf_put_u32(b, oids[i]);
	fe_end(b, off);
}

/* values[i] NULL = SQL NULL; nres result format codes. */
static inline void fe_bind(mur_buf *b, const char *portal, const char *stmt, int nparams,
			   const char *const *values, int nres, const int16_t *res)
{
	size_t off = fe_begin(b, 'B');
	mur_buf_put_cstr(b, portal);
	mur_buf_put_cstr(b, stmt);
	mur_buf_put_u16(b, 0); /* all parameters text */
	mur_buf_put_u16(b, (uint16_t)nparams);
	for (int i = 0; i < nparams; i++) {
		if (!values[i]) {
			mur_buf_put_u32(b, UINT32_MAX);
		} else {
			mur_buf_put_u32(b, (uint32_t)strlen(values[i]));
			mur_buf_put(b, values[i], strlen(values[i]));
		}
	}
	mur_buf_put_u16(b, (uint16_t)nres);
	for (int i = 0; i < nres; i++)
		mur_buf_put_u16(b, (uint16_t)res[i]);
	fe_end(b, off);
}

static inline void fe_target(mur_buf *b, char type, char kind, const char *name)
{
	size_t off = fe_begin(b, type);
	mur_buf_put_u8(b, (uint8_t)kind);
	mur_buf_put_cstr(b, name);
	fe_end(b, off);
}

static inline void fe_describe(mur_buf *b, char kind, const char *name)
{
	fe_target(b, 'D', kind, name);
}
static inline void fe_close(mur_buf *b, char kind, const char *name)
{
	fe_target(b, 'C', kind, name);
}

static inline void fe_execute(mur_buf *b, const char *portal, int32_t max_rows)
{
	size_t off = fe_begin(b, 'E');
	mur_buf_put_cstr(b, portal);
	mur_buf_put_u32(b, (uint32_t)max_rows);
	fe_end(b, off);
}

static inline void fe_empty(mur_buf *b, char type) { fe_end(b, fe_begin(b, type)); }

static inline void fe_copy_bytes(mur_buf *b, const char *data, size_t len)
{
	size_t off = fe_begin(b, 'd');
	mur_buf_put(b, data, len);
	fe_end(b, off);
}

/* Bind of one parameter in binary (len bytes) to statement stmt. */
static inline void fe_bind_binary(mur_buf *b, const char *stmt, const char *value, size_t len)
{
	size_t off = fe_begin(b, 'B');
	mur_buf_put_cstr(b, "");
	mur_buf_put_cstr(b, stmt);
	mur_buf_put_u16(b, 1);
	mur_buf_put_u16(b, 1); /* binary */
	mur_buf_put_u16(b, 1);
	mur_buf_put_u32(b, (uint32_t)len);
	mur_buf_put(b, value, len);
	mur_buf_put_u16(b, 0);
	fe_end(b, off);
}

static inline void fe_copy_data(mur_buf *b, const char *data)
{
	size_t off = fe_begin(b, 'd');
	mur_buf_put(b, data, strlen(data));
	fe_end(b, off);
}

static inline void fe_copy_fail(mur_buf *b, const char *msg)
{
	size_t off = fe_begin(b, 'f');
	mur_buf_put_cstr(b, msg);
	fe_end(b, off);
}

/* ---- Backend message splitter --------------------------------------------------- */

#define BE_MSGS_MAX 512

typedef struct be_msgs {
	int n;
	char types[BE_MSGS_MAX + 1]; /* one char per message, NUL-terminated */
	const char *body[BE_MSGS_MAX];
	uint32_t len[BE_MSGS_MAX];
	char *data; /* owned */
	size_t data_len;
	int bad; /* the bytes did not split into whole messages */
} be_msgs;

static inline void be_split(be_msgs *m, char *data, size_t len)
{
	size_t off = 0;
	memset(m, 0, sizeof *m);
	m->data = data;
	m->data_len = len;
	while (off < len && m->n < BE_MSGS_MAX) {
		mur_rd r;
		uint32_t n;
		mur_rd_init(&r, data + off, len - off);
		char type = (char)mur_rd_u8(&r);
		n = mur_rd_u32(&r);
		if (!mur_rd_ok(&r) || n < 4 || n - 4 > mur_rd_left(&r)) {
			m->bad = 1;
			break;
		}
		m->types[m->n] = type;
		m->body[m->n] = data + off + 5;
		m->len[m->n] = n - 4;
		m->n++;
		off += 1 + n;
	}
	m->types[m->n] = '\0';
}

static inline void be_free(be_msgs *m)
{
	free(m->data);
	memset(m, 0, sizeof *m);
}

/* Value of field `code` of the ErrorResponse/NoticeResponse message i. */
static inline const char *be_error_field(const be_msgs *m, int i, char code)
{
	const char *p = m->body[i], *end = p + m->len[i];
	while (p < end && *p) {
		char c = *p++;
		if (c == code)
			return p;
		p += strlen(p) + 1;
	}
	return NULL;
}

/* Field j of DataRow message i as a NUL-terminated copy in buf ("<NULL>" for NULL). */
static inline const char *be_datarow_field(const be_msgs *m, int i, int j, char *buf, size_t cap)
{
	mur_rd r;
	int n;
	mur_rd_init(&r, m->body[i], m->len[i]);
	n = mur_rd_u16(&r);
	for (int k = 0; k < n; k++) {
		int32_t len = (int32_t)mur_rd_u32(&r);
		const char *v = len >= 0 ? mur_rd_bytes(&r, (size_t)len) : NULL;
		if (k == j) {
			if (len < 0)
				snprintf(buf, cap, "<NULL>");
			else
				snprintf(buf, cap, "%.*s", (int)len, v ? v : "");
			return buf;
		}
	}
	return NULL;
}

#endif
