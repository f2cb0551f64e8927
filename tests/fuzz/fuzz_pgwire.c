/*
 * fuzz_pgwire.c — libFuzzer target for the pgwire protocol state machine.
 *
 *   make fuzz && build/fuzz_pgwire -max_total_time=60
 *
 * Input layout: byte 0 holds flags, byte 1 the chunk size; the rest is
 * client bytes fed into a pgw_conn in chunks (to exercise framing across
 * reads).  Flags:
 *   bit 0  prepend a valid StartupMessage (so mutations reach the query
 *          protocol quickly)
 *   bit 1  asynchronous engine: execute/copy_done complete after the
 *          chunk, not inside the call
 *   bit 2  copy_data() asks to pause; reading resumes after each chunk
 *   bit 3  disconnect (pgw_conn_destroy) before the pending callback
 *          completes
 * After the run the toy engine checks the contract: every prepared
 * statement freed, session_close called exactly once per session_open,
 * and no callback after the session closed.
 */
#include "pgwire/pgw_conn.h"

#include "common/buf.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct fz_engine {
	int async, pause;
	int open, closed, stmts;
	pgw_session *ps;
	pgw_done_cb done;
	void *arg;
	pgw_result *res;
} fz_engine;

static fz_engine *fz; /* the engine of the current run */

#define FZ_CHECK(cond)                                                                             \
	do {                                                                                       \
		if (!(cond)) {                                                                     \
			fprintf(stderr, "contract violated: %s\n", #cond);                         \
			abort();                                                                   \
		}                                                                                  \
	} while (0)

static void *fz_open(void *engine, pgw_session *ps, const char *user, const char *db,
		     mur_error *err)
{
	fz_engine *e = engine;
	if (strcmp(db, "refuse") == 0) {
		mur_error_set(err, "3D000", "no such database");
		return NULL;
	}
	e->open++;
	e->ps = ps;
	return e;
}

static void fz_close(void *esess)
{
	fz_engine *e = esess;
	FZ_CHECK(e->closed == 0 && e->done == NULL);
	e->closed++;
}

static int fz_split(void *esess, const char *sql, int *n, char ***stmts, mur_error *err)
{
	char **v = NULL;
	int k = 0;
	if (sql[0] == '!')
		return mur_error_set(err, "42601", "syntax error");
	for (const char *p = sql; *p && k < 16;) {
		const char *end = strchr(p, ';');
		size_t len = end ? (size_t)(end - p) : strlen(p);
		if (len) {
			char **nv = realloc(v, (size_t)(k + 1) * sizeof *v);
			if (!nv)
				break;
			v = nv;
			v[k++] = strndup(p, len);
		}
		if (!end)
			break;
		p = end + 1;
	}
	*n = k;
	*stmts = v;
	return 0;
}

typedef struct fz_stmt {
	char kind; /* first letter of the statement */
	int nparams;
	uint32_t oids[2];
	pgw_column col;
} fz_stmt;

static void *fz_prepare(void *esess, const char *sql, int nparams, const uint32_t *oids,
			mur_error *err)
{
	fz_engine *e = esess;
	fz_stmt *s;
	if (sql[0] == 'x') {
		mur_error_set_pos(err, "42601", 1, "syntax error");
		return NULL;
	}
	s = calloc(1, sizeof *s);
	s->kind = sql[0];
	s->nparams = sql[0] == 'p' ? 2 : 0;
	s->oids[0] = s->oids[1] = 25;
	snprintf(s->col.name, sizeof s->col.name, "c");
	s->col.type_oid = 25;
	s->col.typlen = -1;
	s->col.typmod = -1;
	e->stmts++;
	return s;
}

static void fz_describe(void *stmt, int *nparams, const uint32_t **oids, int *ncols,
			const pgw_column **cols)
{
	fz_stmt *s = stmt;
	*nparams = s->nparams;
	*oids = s->oids;
	*ncols = s->kind == 's' || s->kind == 'p' ? 1 : 0;
	*cols = &s->col;
}

static void fz_stmt_free(void *stmt)
{
	fz->stmts--;
	free(stmt);
}

static void fz_finish(fz_engine *e, pgw_result *r, pgw_done_cb done, void *arg)
{
	FZ_CHECK(e->done == NULL && e->closed == 0);
	if (e->async) {
		e->done = done;
		e->arg = arg;
		e->res = r;
	} else {
		done(arg, r);
	}
}

static void fz_execute(void *esess, void *stmt, int nparams, const char *const *values,
		       const int32_t *lengths, int nformats, const int16_t *formats,
		       pgw_done_cb done, void *arg)
{
	fz_engine *e = esess;
	fz_stmt *s = stmt;
	pgw_result *r = pgw_result_new();
	mur_error err;
	if (!r)
		abort();
	switch (s->kind) {
	case 's':
	case 'p':
		pgw_result_set_columns(r, 1, &s->col);
		for (int i = 0; i < 3; i++) {
			const char *v = nparams > 0 ? values[0] : "v";
			int32_t len = nparams > 0 ? lengths[0] : 1;
			pgw_result_add_row(r, 1, &v, &len);
		}
		snprintf(r->tag, sizeof r->tag, "SELECT 3");
		break;
	case 'b':
		mur_error_set(&err, "42P01", "bad");
		pgw_result_set_error(r, &err);
		break;
	case 'c':
		r->kind = PGW_RESULT_COPY_IN;
		r->copy_ncols = 3;
		break;
	case 'e':
		r->kind = PGW_RESULT_EMPTY;
		break;
	case 'n':
		pgw_result_add_notice(r, "notice");
		/* fall through */
	default:
		snprintf(r->tag, sizeof r->tag, "OK");
		break;
	}
	fz_finish(e, r, done, arg);
}

static int fz_copy_data(void *esess, const char *data, size_t len)
{
	fz_engine *e = esess;
	FZ_CHECK(e->closed == 0);
	return e->pause;
}

static void fz_copy_done(void *esess, int failed, const char *msg, pgw_done_cb done, void *arg)
{
	fz_engine *e = esess;
	pgw_result *r = pgw_result_new();
	if (!r)
		abort();
	if (failed) {
		mur_error err;
		mur_error_set(&err, "57014", "COPY failed: %s", msg ? msg : "");
		pgw_result_set_error(r, &err);
	} else {
		snprintf(r->tag, sizeof r->tag, "COPY 0");
	}
	fz_finish(e, r, done, arg);
}

static char fz_txn_status(void *esess) { return 'I'; }
static void fz_failed(void *esess) {}

static const pgw_engine_ops fz_ops = {
	.session_open = fz_open,
	.session_close = fz_close,
	.split = fz_split,
	.prepare = fz_prepare,
	.describe = fz_describe,
	.stmt_free = fz_stmt_free,
	.execute = fz_execute,
	.copy_data = fz_copy_data,
	.copy_done = fz_copy_done,
	.txn_status = fz_txn_status,
	.statement_failed = fz_failed,
};

static void fz_complete(fz_engine *e)
{
	pgw_done_cb done = e->done;
	if (!done)
		return;
	e->done = NULL;
	done(e->arg, e->res);
}

static void fz_drain(pgw_conn *c)
{
	size_t len;
	free(pgw_conn_take_output(c, &len));
	while (pgw_conn_stalled(c)) {
		pgw_conn_process(c);
		free(pgw_conn_take_output(c, &len));
	}
}

static void fz_feed(pgw_conn *c, const uint8_t *p, size_t n, size_t chunk, int flags)
{
	for (size_t off = 0; off < n && !pgw_conn_is_closed(c); off += chunk) {
		size_t k = n - off < chunk ? n - off : chunk;
		pgw_conn_feed(c, (const char *)p + off, k);
		fz_drain(c);
		if (!(flags & 8))
			fz_complete(fz);
		if ((flags & 4) && fz->ps && !fz->closed)
			pgw_session_resume_read(fz->ps);
		fz_drain(c);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	fz_engine e;
	pgw_conn *c;
	int flags;
	size_t chunk;
	if (size < 2)
		return 0;
	flags = data[0];
	chunk = (size_t)data[1] + 1;
	memset(&e, 0, sizeof e);
	e.async = (flags & 2) != 0;
	e.pause = (flags & 4) != 0;
	fz = &e;
	if (pgw_conn_create(&fz_ops, &e, NULL, NULL, &c) != 0)
		return 0;
	if (flags & 1) {
		mur_buf b;
		mur_buf_init(&b);
		mur_buf_put_u32(&b, 0);
		mur_buf_put_u32(&b, 3u << 16);
		mur_buf_put_cstr(&b, "user");
		mur_buf_put_cstr(&b, "fz");
		mur_buf_put_u8(&b, 0);
		mur_buf_patch_u32(&b, 0, (uint32_t)b.len);
		pgw_conn_feed(c, b.data, b.len);
		mur_buf_free(&b);
		fz_drain(c);
	}
	fz_feed(c, data + 2, size - 2, chunk, flags);
	pgw_conn_destroy(c);
	fz_complete(&e); /* a callback still pending after the disconnect */
	FZ_CHECK(e.done == NULL);
	FZ_CHECK(e.stmts == 0);
	FZ_CHECK(e.closed == e.open);
	fz = NULL;
	return 0;
}
