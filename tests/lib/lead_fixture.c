/*
 * lead_fixture.c — see lead_fixture.h.
 *
 * Structs: lf_fixture (the catalog, the engine, the recorded tasks, the
 * followers, the clients), lf_follower (a fake follower: its link state
 * and its copies), lf_copy (one placement file: its log, lsn = number of
 * entries), lf_query (one statement a client ran).
 *
 * Flow: the engine calls fx_send (the transport), which records an
 * lf_task; the test applies it to a follower (deliver: follower_run) and
 * gives the answer back (answer: the engine's callback), in whatever
 * order it chooses.  Nothing happens by itself: there is no loop.
 */
#include "lead_fixture.h"

#include "common/clock.h"
#include "common/log.h"
#include "test_loop.h"

#include <dirent.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* The fake clocks' starting points: any fixed values do; the wall clock
 * starts on 2026-01-01 so entry ids look like the real ones. */
#define LF_MONO_START_US 1000000000LL
#define LF_WALL_START_US 1767225600000000LL
/* lf_settle answers at most this many tasks: a livelock is a failure. */
#define LF_SETTLE_MAX 100000
/* The fake changeset: a tag, then ncols, nrows and the rows. */
#define LF_CS_TAG "LFCS"
#define LF_CS_TAG_LEN 4
#define LF_FILE_RING 4 /* lf_file results alive at once */
#define LF_ADDR_MAX 32
#define LF_SHM_DIR "/dev/shm"

typedef struct lf_entry {
	uint64_t entry_id;
	uint32_t ncols;
	uint64_t nrows;
	mur_buf rows;
} lf_entry;

typedef struct lf_copy {
	char file[EXEC_PLACEMENT_NAME_MAX];
	uint64_t lsn; /* log[0..lsn-1] hold entries 1..lsn */
	uint64_t cap;
	lf_entry *log;
	struct lf_copy *next;
} lf_copy;

typedef struct lf_follower {
	uint32_t id;
	char name[16];
	char addr[LF_ADDR_MAX];
	int connected;
	int muted;
	lf_copy *copies;
} lf_follower;

struct lf_query {
	lf_fixture *fx;
	void *session;
	void *stmt;
	int done;
	char sqlstate[6];
	char tag[64];
	mur_error err; /* when it failed */
	lf_query *next;
};

typedef struct lf_sess {
	void *es;
	int generation;
	struct lf_sess *next;
} lf_sess;

struct lf_fixture {
	char dir[TL_TMPDIR_MAX];
	char catpath[TL_TMPDIR_MAX + 16];
	catalog *cat;
	lead_engine *e;
	lead_transport tr;
	int generation;
	int down; /* the leader crashed: its transport sends nothing */
	int nf;
	lf_follower f[LF_FOLLOWERS_MAX];
	lf_task **tasks;
	int ntasks, captasks;
	lf_query *queries;
	lf_sess *sessions;
	void *session; /* the default one */
	char files[LF_FILE_RING][EXEC_PLACEMENT_NAME_MAX];
	int nextfile;
};

/* The fixture not yet freed: a failed test jumps out of its body without
 * lf_free; the next lf_new (or the exit) removes its temp dir. */
static lf_fixture *lf_live;
static int64_t lf_mono_us = LF_MONO_START_US;
static int64_t lf_wall_us = LF_WALL_START_US;

static void lf_die(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));
static void lf_die(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	fprintf(stderr, "lead_fixture: ");
	vfprintf(stderr, fmt, ap);
	fprintf(stderr, "\n");
	va_end(ap);
	abort();
}

static int64_t fake_clock(int wall) { return wall ? lf_wall_us : lf_mono_us; }

void lf_advance_ms(lf_fixture *fx, uint64_t ms)
{
	(void)fx;
	lf_mono_us += (int64_t)ms * 1000;
	lf_wall_us += (int64_t)ms * 1000;
}

/* ---- followers ---- */

static lf_follower *follower(lf_fixture *fx, uint32_t node)
{
	for (int i = 0; i < fx->nf; i++)
		if (fx->f[i].id == node)
			return &fx->f[i];
	return NULL;
}

static lf_follower *follower_at(lf_fixture *fx, const char *addr)
{
	for (int i = 0; i < fx->nf; i++)
		if (strcmp(fx->f[i].addr, addr) == 0)
			return &fx->f[i];
	return NULL;
}

static lf_copy *copy_of(lf_follower *f, const char *file)
{
	for (lf_copy *c = f ? f->copies : NULL; c; c = c->next)
		if (strcmp(c->file, file) == 0)
			return c;
	return NULL;
}

static lf_copy *copy_create(lf_follower *f, const char *file)
{
	lf_copy *c = copy_of(f, file);
	if (c)
		return c;
	if (!(c = calloc(1, sizeof *c)))
		lf_die("out of memory");
	snprintf(c->file, sizeof c->file, "%s", file);
	c->next = f->copies;
	f->copies = c;
	return c;
}

static void copy_truncate(lf_copy *c, uint64_t lsn)
{
	while (c->lsn > lsn)
		mur_buf_free(&c->log[--c->lsn].rows);
}

static void copy_drop(lf_follower *f, const char *file)
{
	for (lf_copy **pp = &f->copies; *pp; pp = &(*pp)->next)
		if (strcmp((*pp)->file, file) == 0) {
			lf_copy *c = *pp;
			*pp = c->next;
			copy_truncate(c, 0);
			free(c->log);
			free(c);
			return;
		}
}

static uint64_t copy_entry_at(const lf_copy *c, uint64_t lsn)
{
	return c && lsn > 0 && lsn <= c->lsn ? c->log[lsn - 1].entry_id : 0;
}

static void copy_append(lf_copy *c, uint64_t entry_id, uint32_t ncols, uint64_t nrows,
			const void *rows, size_t len)
{
	lf_entry *x;
	if (c->lsn == c->cap) {
		uint64_t cap = c->cap ? c->cap * 2 : 16;
		lf_entry *g = realloc(c->log, cap * sizeof *g);
		if (!g)
			lf_die("out of memory");
		c->log = g;
		c->cap = cap;
	}
	x = &c->log[c->lsn++];
	x->entry_id = entry_id;
	x->ncols = ncols;
	x->nrows = nrows;
	mur_buf_init(&x->rows);
	if (len)
		mur_buf_put(&x->rows, rows, len);
}

static void answer_at(exec_result *res, const lf_copy *c)
{
	res->lsn = c ? c->lsn : 0;
	res->entry_id = copy_entry_at(c, res->lsn);
}

static int refuse(exec_result *res, const char *sqlstate, const char *what, const lf_copy *c)
{
	res->failed = 1;
	mur_error_set(&res->err, sqlstate, "fake follower: %s", what);
	res->lsn = c && strcmp(sqlstate, SQLSTATE_OBJECT_NOT_IN_PREREQUISITE_STATE) == 0 ? c->lsn : 0;
	return MUR_ERR;
}

/* WRITE: refused when it carries an LSN not just above the copy's; else a
 * new entry (capture) holding its rows; the primary returns a changeset
 * carrying them, which the replicas' APPLY brings back. */
static int run_write(lf_follower *f, const lf_task *t, exec_result *res)
{
	lf_copy *c = copy_of(f, t->file);
	if (!c)
		return refuse(res, SQLSTATE_IO_ERROR, "no such placement", NULL);
	if (t->capture && t->lsn && c->lsn + 1 != t->lsn)
		return refuse(res, SQLSTATE_OBJECT_NOT_IN_PREREQUISITE_STATE, "not just below", c);
	res->changes = t->nrows ? t->nrows : 1;
	if (t->capture)
		copy_append(c, t->entry_id, t->ncols, t->nrows, t->rows.data, t->rows.len);
	answer_at(res, c);
	if (t->capture == EXEC_CAPTURE_RETURN) {
		mur_buf_put(&res->blob, LF_CS_TAG, LF_CS_TAG_LEN);
		mur_buf_put_u32(&res->blob, t->ncols);
		mur_buf_put_u64(&res->blob, t->nrows);
		if (t->rows.len)
			mur_buf_put(&res->blob, t->rows.data, t->rows.len);
	}
	return MUR_OK;
}

static int run_apply(lf_follower *f, const lf_task *t, exec_result *res)
{
	lf_copy *c = copy_of(f, t->file);
	mur_rd rd;
	uint32_t ncols;
	uint64_t nrows;
	if (!c)
		return refuse(res, SQLSTATE_IO_ERROR, "no such placement", NULL);
	if (c->lsn == t->lsn && copy_entry_at(c, t->lsn) == t->entry_id) {
		answer_at(res, c); /* applied already */
		return MUR_OK;
	}
	if (c->lsn + 1 != t->lsn)
		return refuse(res, SQLSTATE_OBJECT_NOT_IN_PREREQUISITE_STATE, "cannot apply", c);
	if (t->blob.len < LF_CS_TAG_LEN || memcmp(t->blob.data, LF_CS_TAG, LF_CS_TAG_LEN) != 0)
		return refuse(res, SQLSTATE_INTERNAL_ERROR, "not a changeset", NULL);
	mur_rd_init(&rd, t->blob.data + LF_CS_TAG_LEN, t->blob.len - LF_CS_TAG_LEN);
	ncols = mur_rd_u32(&rd);
	nrows = mur_rd_u64(&rd);
	copy_append(c, t->entry_id, ncols, nrows, t->blob.data + LF_CS_TAG_LEN + 12,
		    mur_rd_left(&rd));
	answer_at(res, c);
	return MUR_OK;
}

static int run_undo(lf_follower *f, const lf_task *t, exec_result *res)
{
	lf_copy *c = copy_of(f, t->file);
	if (!c)
		return refuse(res, SQLSTATE_IO_ERROR, "no such placement", NULL);
	if (t->lsn > c->lsn)
		return refuse(res, SQLSTATE_OBJECT_NOT_IN_PREREQUISITE_STATE, "undo ahead", c);
	copy_truncate(c, t->lsn);
	answer_at(res, c);
	return MUR_OK;
}

static int run_status(lf_follower *f, exec_result *res)
{
	res->ncols = 3;
	for (lf_copy *c = f->copies; c; c = c->next) {
		mur_value v[3] = {mur_v_text(c->file, strlen(c->file)), mur_v_int((int64_t)c->lsn),
				  mur_v_int((int64_t)copy_entry_at(c, c->lsn))};
		for (int i = 0; i < 3; i++)
			mur_row_put_value(&res->rows, &v[i]);
		res->nrows++;
	}
	return MUR_OK;
}

/* CATCHUP: entries after the copy's lsn up to t->lsn, from the peer, whose
 * entry at the copy's lsn must be the copy's (55000 otherwise). */
static int run_catchup(lf_fixture *fx, lf_follower *f, const lf_task *t, exec_result *res)
{
	lf_copy *c = copy_of(f, t->file);
	lf_copy *src = copy_of(follower_at(fx, t->peer), t->file);
	if (!c || !src)
		return refuse(res, SQLSTATE_IO_ERROR, "no such placement here or at the peer", NULL);
	if (src->lsn < c->lsn || copy_entry_at(src, c->lsn) != copy_entry_at(c, c->lsn))
		return refuse(res, SQLSTATE_OBJECT_NOT_IN_PREREQUISITE_STATE, "history differs", c);
	if (src->lsn < t->lsn)
		return refuse(res, SQLSTATE_INTERNAL_ERROR, "the peer is behind the target", NULL);
	while (c->lsn < t->lsn) {
		const lf_entry *x = &src->log[c->lsn];
		copy_append(c, x->entry_id, x->ncols, x->nrows, x->rows.data, x->rows.len);
	}
	answer_at(res, c);
	return MUR_OK;
}

/* REBUILD: the peer's copy, whole. */
static int run_rebuild(lf_fixture *fx, lf_follower *f, const lf_task *t, exec_result *res)
{
	lf_copy *src = copy_of(follower_at(fx, t->peer), t->file), *c;
	if (!src)
		return refuse(res, SQLSTATE_IO_ERROR, "no such placement at the peer", NULL);
	c = copy_create(f, t->file);
	copy_truncate(c, 0);
	for (uint64_t i = 0; i < src->lsn; i++)
		copy_append(c, src->log[i].entry_id, src->log[i].ncols, src->log[i].nrows,
			    src->log[i].rows.data, src->log[i].rows.len);
	answer_at(res, c);
	return MUR_OK;
}

/* Apply t to its follower as task_run.c would; the answer goes to res. */
static void follower_run(lf_fixture *fx, lf_task *t, exec_result *res)
{
	lf_follower *f = follower(fx, t->node);
	int rc;
	exec_result_init(res);
	res->task_id = t->id;
	if (!f) {
		refuse(res, SQLSTATE_INTERNAL_ERROR, "no such follower", NULL);
		return;
	}
	switch (t->kind) {
	case EXEC_TASK_WRITE: rc = run_write(f, t, res); break;
	case EXEC_TASK_APPLY: rc = run_apply(f, t, res); break;
	case EXEC_TASK_UNDO: rc = run_undo(f, t, res); break;
	case EXEC_TASK_STATUS: rc = run_status(f, res); break;
	case EXEC_TASK_CATCHUP: rc = run_catchup(fx, f, t, res); break;
	case EXEC_TASK_REBUILD: rc = run_rebuild(fx, f, t, res); break;
	case EXEC_TASK_DDL:
		answer_at(res, copy_create(f, t->file)); /* schema is not in the log */
		rc = MUR_OK;
		break;
	case EXEC_TASK_DROP:
		copy_drop(f, t->file);
		rc = MUR_OK;
		break;
	default:
		rc = refuse(res, SQLSTATE_FEATURE_NOT_SUPPORTED, "task kind not modelled", NULL);
		break;
	}
	t->applied = rc == MUR_OK;
}

/* ---- the transport ---- */

static int parse_file(const char *file, uint32_t *table_id, uint32_t *shard)
{
	unsigned tid, sh;
	char tail[8];
	if (sscanf(file, "t%u_s%u%7s", &tid, &sh, tail) != 3 || strcmp(tail, ".db") != 0)
		return MUR_ERR;
	*table_id = tid;
	*shard = sh;
	return MUR_OK;
}

static lf_task *record(lf_fixture *fx, uint32_t node, const exec_task *task)
{
	lf_task *t = calloc(1, sizeof *t);
	if (!t)
		lf_die("out of memory");
	if (fx->ntasks == fx->captasks) {
		int cap = fx->captasks ? fx->captasks * 2 : 64;
		lf_task **g = realloc(fx->tasks, (size_t)cap * sizeof *g);
		if (!g)
			lf_die("out of memory");
		fx->tasks = g;
		fx->captasks = cap;
	}
	t->seq = fx->ntasks;
	t->id = (uint64_t)fx->ntasks + 1;
	t->generation = fx->generation;
	t->node = node;
	t->kind = (exec_task_kind)task->kind;
	snprintf(t->file, sizeof t->file, "%s", task->nplacements ? task->placements[0] : "");
	parse_file(t->file, &t->table_id, &t->shard);
	t->lsn = task->lsn;
	t->entry_id = task->entry_id;
	t->capture = task->capture;
	t->nrows = task->nrows;
	t->ncols = task->ncols;
	mur_buf_init(&t->rows);
	mur_buf_init(&t->blob);
	if (task->nrows)
		mur_buf_put(&t->rows, task->rows, task->rows_len);
	if (task->blob_len)
		mur_buf_put(&t->blob, task->blob, task->blob_len);
	snprintf(t->peer, sizeof t->peer, "%s", task->peer_addr);
	t->sql = strdup(task->sql ? task->sql : "");
	exec_result_init(&t->res);
	fx->tasks[fx->ntasks++] = t;
	return t;
}

static int fx_connected(void *ctx, uint32_t node)
{
	lf_fixture *fx = ctx;
	lf_follower *f = follower(fx, node);
	return !fx->down && f && f->connected;
}

static int fx_send(void *ctx, uint32_t node, exec_task *task, lead_task_cb cb, void *arg,
		   mur_error *err)
{
	lf_fixture *fx = ctx;
	lf_task *t;
	if (!fx_connected(fx, node))
		return mur_error_set(err, SQLSTATE_CONNECTION_FAILURE,
				     "fake transport: node %u is not connected", node);
	t = record(fx, node, task);
	t->cb = cb;
	t->arg = arg;
	task->id = t->id;
	return MUR_OK;
}

/* ---- tasks ---- */

static int outstanding(const lf_task *t)
{
	return t->state == LF_TASK_PENDING || t->state == LF_TASK_DELIVERED;
}

int lf_ntasks(const lf_fixture *fx) { return fx->ntasks; }

lf_task *lf_task_at(lf_fixture *fx, int i) { return i >= 0 && i < fx->ntasks ? fx->tasks[i] : NULL; }

lf_task *lf_find(lf_fixture *fx, uint32_t node, int kind, int from)
{
	for (int i = from < 0 ? 0 : from; i < fx->ntasks; i++) {
		lf_task *t = fx->tasks[i];
		if (outstanding(t) && (node == LF_ANY_NODE || t->node == node) &&
		    (kind == 0 || (int)t->kind == kind))
			return t;
	}
	return NULL;
}

int lf_outstanding(lf_fixture *fx, uint32_t node)
{
	int n = 0;
	for (int i = 0; i < fx->ntasks; i++)
		n += outstanding(fx->tasks[i]) && (node == LF_ANY_NODE || fx->tasks[i]->node == node);
	return n;
}

void lf_deliver(lf_fixture *fx, lf_task *t)
{
	if (!t || t->state != LF_TASK_PENDING)
		lf_die("deliver: task %llu is not pending", t ? (unsigned long long)t->id : 0ULL);
	follower_run(fx, t, &t->res);
	t->state = LF_TASK_DELIVERED;
}

/* Hand res to the engine: the task leaves the outstanding set first, so
 * the callback may send more. */
static void give(lf_task *t, exec_result *res)
{
	t->state = LF_TASK_ANSWERED;
	t->cb(t->arg, res);
	exec_result_free(res);
}

void lf_reply(lf_fixture *fx, lf_task *t)
{
	exec_result res;
	if (t && t->state == LF_TASK_PENDING)
		lf_deliver(fx, t);
	if (!t || t->state != LF_TASK_DELIVERED)
		lf_die("reply: task %llu is not outstanding", t ? (unsigned long long)t->id : 0ULL);
	res = t->res;
	exec_result_init(&t->res);
	give(t, &res);
}

static void fail_with(lf_task *t, const char *sqlstate, const char *why)
{
	exec_result res;
	exec_result_free(&t->res);
	exec_result_init(&res);
	res.task_id = t->id;
	res.failed = 1;
	mur_error_set(&res.err, sqlstate, "%s", why);
	give(t, &res);
}

void lf_fail(lf_fixture *fx, lf_task *t, const char *sqlstate)
{
	(void)fx;
	if (!t || !outstanding(t))
		lf_die("fail: task %llu is not outstanding", t ? (unsigned long long)t->id : 0ULL);
	if (t->state == LF_TASK_DELIVERED && !t->applied)
		lf_die("fail: task %llu was refused by its follower already", (unsigned long long)t->id);
	fail_with(t, sqlstate, "fake transport: failed by the test");
}

int lf_settle(lf_fixture *fx)
{
	int n = 0;
	for (;;) {
		lf_task *t = NULL;
		for (int i = 0; i < fx->ntasks && !t; i++) {
			lf_follower *f = follower(fx, fx->tasks[i]->node);
			if (outstanding(fx->tasks[i]) && f && !f->muted)
				t = fx->tasks[i];
		}
		if (!t)
			return n;
		if (++n > LF_SETTLE_MAX)
			lf_die("settle: more than %d answers, the engine does not settle", LF_SETTLE_MAX);
		lf_reply(fx, t);
	}
}

void lf_mute(lf_fixture *fx, uint32_t node, int muted)
{
	lf_follower *f = follower(fx, node);
	if (f)
		f->muted = muted;
}

/* ---- clients ---- */

static void query_done(void *arg, pgw_result *res)
{
	lf_query *q = arg;
	q->done = 1;
	q->sqlstate[0] = '\0';
	if (res->kind == PGW_RESULT_ERROR) {
		snprintf(q->sqlstate, sizeof q->sqlstate, "%s", res->err.sqlstate);
		q->err = res->err;
	}
	snprintf(q->tag, sizeof q->tag, "%s", res->tag);
	pgw_result_free(res);
	if (q->stmt)
		lead_engine_ops.stmt_free(q->stmt);
	q->stmt = NULL;
}

static void *open_session(lf_fixture *fx)
{
	mur_error err;
	lf_sess *s = calloc(1, sizeof *s);
	if (!s || !(s->es = lead_engine_ops.session_open(fx->e, NULL, "test", "murphy", &err)))
		lf_die("session_open failed");
	s->generation = fx->generation;
	s->next = fx->sessions;
	fx->sessions = s;
	return s->es;
}

void *lf_session(lf_fixture *fx) { return open_session(fx); }

lf_query *lf_exec(lf_fixture *fx, void *session, const char *sql)
{
	lf_query *q = calloc(1, sizeof *q);
	mur_error err;
	if (!q)
		lf_die("out of memory");
	q->fx = fx;
	q->session = session ? session : fx->session;
	snprintf(q->sqlstate, sizeof q->sqlstate, "?");
	q->next = fx->queries;
	fx->queries = q;
	mur_error_clear(&err);
	q->stmt = lead_engine_ops.prepare(q->session, sql, 0, NULL, &err);
	if (!q->stmt) {
		q->done = 1;
		snprintf(q->sqlstate, sizeof q->sqlstate, "%s", err.sqlstate);
		q->err = err;
		return q;
	}
	q->sqlstate[0] = '\0';
	lead_engine_ops.execute(q->session, q->stmt, 0, NULL, NULL, 0, NULL, query_done, q);
	if (!q->done)
		snprintf(q->sqlstate, sizeof q->sqlstate, "?");
	return q;
}

int lf_done(const lf_query *q) { return q->done; }
const char *lf_sqlstate(const lf_query *q) { return q->sqlstate; }
const char *lf_tag(const lf_query *q) { return q->tag; }
const char *lf_message(const lf_query *q) { return q->err.message; }

lf_query *lf_ok(lf_fixture *fx, const char *sql)
{
	lf_query *q = lf_exec(fx, NULL, sql);
	lf_settle(fx);
	if (!q->done || q->sqlstate[0])
		lf_die("%s: %s %s", sql, q->done ? q->sqlstate : "not done", q->err.message);
	return q;
}

/* ---- followers and time ---- */

void lf_connect(lf_fixture *fx, uint32_t node)
{
	lf_follower *f = follower(fx, node);
	if (!f)
		lf_die("connect: no follower %u", node);
	f->connected = 1;
	cat_node_set_state(fx->cat, node, CAT_NODE_ALIVE, lf_wall_us / 1000);
	lead_engine_node_changed(fx->e, node);
}

/* Fail node's outstanding tasks with 08006, as the cluster layer does
 * when a link closes (clu_route_fail_all). */
static void fail_outstanding(lf_fixture *fx, uint32_t node, const char *why)
{
	for (int i = 0; i < fx->ntasks; i++) {
		lf_task *t = fx->tasks[i];
		if (outstanding(t) && (node == LF_ANY_NODE || t->node == node))
			fail_with(t, SQLSTATE_CONNECTION_FAILURE, why);
	}
}

void lf_disconnect(lf_fixture *fx, uint32_t node)
{
	lf_follower *f = follower(fx, node);
	if (!f)
		lf_die("disconnect: no follower %u", node);
	f->connected = 0;
	fail_outstanding(fx, node, "fake transport: lost connection to the follower");
	lead_engine_node_changed(fx->e, node);
}

void lf_set_state(lf_fixture *fx, uint32_t node, cat_node_state st)
{
	cat_node_set_state(fx->cat, node, st, 0);
	lead_engine_node_changed(fx->e, node);
}

void lf_tick(lf_fixture *fx)
{
	cat_flush_lsns(fx->cat);
	lead_engine_tick(fx->e);
}

static void start_engine(lf_fixture *fx)
{
	mur_error err;
	fx->cat = cat_open(fx->catpath, &err);
	if (!fx->cat)
		lf_die("cat_open: %s", err.message);
	fx->e = lead_engine_create(fx->cat, &fx->tr, &err);
	if (!fx->e)
		lf_die("lead_engine_create: %s", err.message);
	fx->down = 0;
	fx->session = open_session(fx);
}

/* Close the sessions of the engine that stops; one whose statement is
 * still running (parked) cannot be closed and is left to it. */
static void close_sessions(lf_fixture *fx)
{
	lf_sess *keep = NULL, *next;
	for (lf_sess *s = fx->sessions; s; s = next) {
		int running = 0;
		next = s->next;
		for (lf_query *q = fx->queries; q; q = q->next)
			running |= q->session == s->es && !q->done;
		if (!running)
			lead_engine_ops.session_close(s->es);
		if (running) {
			s->next = keep;
			keep = s;
		} else {
			free(s);
		}
	}
	fx->sessions = keep;
}

void lf_restart(lf_fixture *fx)
{
	/* the process dies: nothing it had out is answered any more, but the
	 * old engine is told so (08006, as when the leader stops) to release
	 * its memory; it can send nothing (down) and nothing it does reaches
	 * the catalog's store (no cat_flush_lsns, and cat_close writes nothing) */
	fx->down = 1;
	for (int i = 0; i < fx->ntasks; i++)
		if (outstanding(fx->tasks[i])) {
			lf_task *t = fx->tasks[i];
			exec_result_free(&t->res);
			exec_result_init(&t->res);
			fail_with(t, SQLSTATE_CONNECTION_FAILURE, "fake transport: the leader crashed");
			t->state = LF_TASK_LOST;
		}
	close_sessions(fx);
	lead_engine_destroy(fx->e);
	cat_close(fx->cat);
	for (int i = 0; i < fx->nf; i++)
		fx->f[i].connected = 0;
	lf_advance_ms(fx, LF_RESTART_MS);
	fx->generation++;
	start_engine(fx);
}

/* ---- setup ---- */

/* The catalog's temp dir: on tmpfs when there is one, where the catalog's
 * fsyncs cost nothing (a test then takes milliseconds, not 100 ms). */
static int make_dir(char *dir, size_t size)
{
	if (access(LF_SHM_DIR, W_OK) == 0) {
		snprintf(dir, size, "%s/murphy_test_leadfx_XXXXXX", LF_SHM_DIR);
		if (mkdtemp(dir))
			return 0;
	}
	return tl_tmpdir_make(dir, size, "leadfx");
}

/* The catalog's files, then the dir (no subdirs; no rm -rf process: a
 * crash sweep makes hundreds of fixtures). */
static void remove_dir(const char *dir)
{
	char path[TL_TMPDIR_MAX + 300];
	struct dirent *d;
	DIR *dh = opendir(dir);
	while (dh && (d = readdir(dh)) != NULL) {
		if (strcmp(d->d_name, ".") == 0 || strcmp(d->d_name, "..") == 0)
			continue;
		snprintf(path, sizeof path, "%s/%s", dir, d->d_name);
		unlink(path);
	}
	if (dh)
		closedir(dh);
	rmdir(dir);
}

static void remove_live_dir(void)
{
	if (lf_live)
		remove_dir(lf_live->dir);
}

lf_fixture *lf_new(int nfollowers)
{
	lf_fixture *fx = calloc(1, sizeof *fx);
	mur_error err;
	if (!fx || nfollowers < 1 || nfollowers > LF_FOLLOWERS_MAX)
		lf_die("lf_new(%d)", nfollowers);
	static int at_exit;
	if (lf_live)
		remove_dir(lf_live->dir); /* left by a failed test; its memory is lost */
	if (!at_exit++)
		atexit(remove_live_dir);
	lf_live = fx;
	mur_log_threshold = getenv("LF_LOG") ? MUR_LOG_DEBUG : MUR_LOG_ERROR;
	lf_mono_us = LF_MONO_START_US;
	lf_wall_us = LF_WALL_START_US;
	mur_clock_set_source(fake_clock);
	if (make_dir(fx->dir, sizeof fx->dir) != 0)
		lf_die("mkdtemp");
	snprintf(fx->catpath, sizeof fx->catpath, "%s/catalog.db", fx->dir);
	fx->tr.send = fx_send;
	fx->tr.connected = fx_connected;
	fx->tr.ctx = fx;
	fx->cat = cat_open(fx->catpath, &err);
	if (!fx->cat || cat_upsert_node(fx->cat, "leader", "127.0.0.1:7000", CAT_NODE_LEADER, NULL,
					&err) != MUR_OK)
		lf_die("catalog: %s", err.message);
	for (int i = 0; i < nfollowers; i++) {
		const cat_node *n;
		lf_follower *f = &fx->f[i];
		snprintf(f->name, sizeof f->name, "f%d", i + 1);
		snprintf(f->addr, sizeof f->addr, "127.0.0.1:%d", 7001 + i);
		if (cat_upsert_node(fx->cat, f->name, f->addr, CAT_NODE_FOLLOWER, &n, &err) != MUR_OK)
			lf_die("catalog: %s", err.message);
		f->id = n->id;
	}
	fx->nf = nfollowers;
	cat_close(fx->cat); /* the engine starts over the catalog as stored */
	start_engine(fx);
	for (int i = 0; i < nfollowers; i++)
		lf_connect(fx, fx->f[i].id);
	lf_settle(fx);
	return fx;
}

void lf_free(lf_fixture *fx)
{
	if (!fx)
		return;
	fx->down = 1;
	for (int i = 0; i < fx->ntasks; i++)
		if (outstanding(fx->tasks[i]))
			fail_with(fx->tasks[i], SQLSTATE_CONNECTION_FAILURE, "fake transport: stopping");
	close_sessions(fx);
	lead_engine_destroy(fx->e);
	cat_close(fx->cat);
	for (int i = 0; i < fx->ntasks; i++) {
		lf_task *t = fx->tasks[i];
		mur_buf_free(&t->rows);
		mur_buf_free(&t->blob);
		exec_result_free(&t->res);
		free(t->sql);
		free(t);
	}
	free(fx->tasks);
	for (int i = 0; i < fx->nf; i++)
		while (fx->f[i].copies)
			copy_drop(&fx->f[i], fx->f[i].copies->file);
	for (lf_query *q = fx->queries, *next; q; q = next) {
		next = q->next;
		free(q);
	}
	for (lf_sess *s = fx->sessions, *next; s; s = next) {
		next = s->next;
		free(s);
	}
	remove_dir(fx->dir);
	mur_clock_set_source(NULL);
	lf_live = NULL;
	free(fx);
}

lead_engine *lf_engine(lf_fixture *fx) { return fx->e; }
catalog *lf_catalog(lf_fixture *fx) { return fx->cat; }

uint32_t lf_node(lf_fixture *fx, int i)
{
	if (i < 1 || i > fx->nf)
		lf_die("no follower f%d", i);
	return fx->f[i - 1].id;
}

/* ---- what the followers hold ---- */

const char *lf_file(lf_fixture *fx, const char *table, uint32_t shard)
{
	const cat_table *t = cat_table_lookup(fx->cat, "public", table);
	char *out = fx->files[fx->nextfile++ % LF_FILE_RING];
	if (!t)
		lf_die("no table %s", table);
	cat_placement_file(t, shard, out, EXEC_PLACEMENT_NAME_MAX);
	return out;
}

uint64_t lf_copy_lsn(lf_fixture *fx, uint32_t node, const char *file)
{
	lf_copy *c = copy_of(follower(fx, node), file);
	return c ? c->lsn : 0;
}

uint64_t lf_copy_entry(lf_fixture *fx, uint32_t node, const char *file, uint64_t lsn)
{
	return copy_entry_at(copy_of(follower(fx, node), file), lsn);
}

int lf_copy_exists(lf_fixture *fx, uint32_t node, const char *file)
{
	return copy_of(follower(fx, node), file) != NULL;
}

static int entry_holds_int(const lf_entry *x, uint32_t col, int64_t v)
{
	mur_rd rd;
	mur_rd_init(&rd, x->rows.data, x->rows.len);
	for (uint64_t r = 0; r < x->nrows; r++)
		for (uint32_t c = 0; c < x->ncols; c++) {
			mur_value val;
			if (mur_row_get_value(&rd, &val) != MUR_OK)
				return 0;
			if (c == col && val.kind == MV_INT && val.i == v)
				return 1;
		}
	return 0;
}

int lf_copy_holds_int(lf_fixture *fx, uint32_t node, const char *file, uint32_t col, int64_t v)
{
	lf_copy *c = copy_of(follower(fx, node), file);
	for (uint64_t i = 0; c && i < c->lsn; i++)
		if (entry_holds_int(&c->log[i], col, v))
			return 1;
	return 0;
}

void lf_copy_set(lf_fixture *fx, uint32_t node, const char *file, uint64_t lsn,
		 const uint64_t *ids)
{
	lf_follower *f = follower(fx, node);
	lf_copy *c;
	if (!f)
		lf_die("copy_set: no follower %u", node);
	c = copy_create(f, file);
	copy_truncate(c, 0);
	for (uint64_t i = 0; i < lsn; i++)
		copy_append(c, ids[i], 0, 0, NULL, 0);
}

static const cat_shard *shard_of(lf_fixture *fx, const char *table, uint32_t shard)
{
	const cat_table *t = cat_table_lookup(fx->cat, "public", table);
	if (!t || shard >= t->nshards)
		lf_die("no shard %u of table %s", shard, table);
	return &t->shards[shard];
}

int lf_committed_known(lf_fixture *fx, const char *table, uint32_t shard)
{
	return shard_of(fx, table, shard)->committed_known;
}

uint64_t lf_committed_lsn(lf_fixture *fx, const char *table, uint32_t shard)
{
	return shard_of(fx, table, shard)->committed_lsn;
}

uint64_t lf_committed_entry(lf_fixture *fx, const char *table, uint32_t shard)
{
	return shard_of(fx, table, shard)->committed_entry;
}

int lf_copy_state(lf_fixture *fx, const char *table, uint32_t shard, uint32_t node)
{
	const cat_shard *s = shard_of(fx, table, shard);
	for (int k = 0; k < s->nplacements; k++)
		if (s->placements[k].node_id == node)
			return (int)s->placements[k].state;
	return -1;
}
