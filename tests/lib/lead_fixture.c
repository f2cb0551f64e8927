/*
 * lead_fixture.c — see lead_fixture.h: the transport, the clients, the
 * clock, a crash; the fake followers are in lead_fixture_follower.c.
 *
 * Structs (lead_fixture_int.h): lf_fixture (the catalog, the engine, the
 * recorded tasks, the followers, the clients), lf_query (one statement a
 * client ran), lf_sess (a session and the engine that opened it).
 *
 * Flow: the engine calls fx_send (the transport), which records an
 * lf_task; the test has a follower run it (lf_deliver: lf_follower_run)
 * and gives the answer back (lf_reply: the engine's callback), in
 * whatever order it chooses.  Nothing happens by itself: there is no loop.
 */
#include "lead_fixture_int.h"

#include "common/clock.h"
#include "common/log.h"

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
#define LF_FILE_RING 4 /* lf_file results alive at once */
#define LF_SHM_DIR "/dev/shm"

/* The fixture not yet freed: a failed test jumps out of its body without
 * lf_free; the next lf_new (or the exit) removes its temp dir. */
static lf_fixture *lf_live;
static int64_t lf_mono_us = LF_MONO_START_US;
static int64_t lf_wall_us = LF_WALL_START_US;

void lf_die(const char *fmt, ...)
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

/* t (zeroed) describes task sent to node; free with task_clear. */
static void task_fill(lf_task *t, uint32_t node, const exec_task *task)
{
	t->node = node;
	t->kind = (exec_task_kind)task->kind;
	snprintf(t->file, sizeof t->file, "%s", task->nplacements ? task->placements[0] : "");
	parse_file(t->file, &t->table_id, &t->shard);
	t->lsn = task->lsn;
	t->entry_id = task->entry_id;
	t->capture = task->capture;
	t->txn_id = task->txn_id;
	t->entry_kind = task->entry_kind;
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
}

static void task_clear(lf_task *t)
{
	mur_buf_free(&t->rows);
	mur_buf_free(&t->blob);
	exec_result_free(&t->res);
	free(t->sql);
	t->sql = NULL;
}

void lf_run_task(lf_fixture *fx, uint32_t node, const exec_task *task, exec_result *res)
{
	lf_task t = {0};
	task_fill(&t, node, task);
	t.id = task->id;
	lf_follower_run(fx, &t, res);
	task_clear(&t);
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
	task_fill(t, node, task);
	t->seq = fx->ntasks;
	t->id = (uint64_t)fx->ntasks + 1;
	t->generation = fx->generation;
	fx->tasks[fx->ntasks++] = t;
	return t;
}

static int fx_connected(void *ctx, uint32_t node)
{
	lf_fixture *fx = ctx;
	lf_follower *f = lf_follower_by_id(fx, node);
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

lf_task *lf_task_at(lf_fixture *fx, int i)
{
	return i >= 0 && i < fx->ntasks ? fx->tasks[i] : NULL;
}

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
		n += outstanding(fx->tasks[i]) &&
		     (node == LF_ANY_NODE || fx->tasks[i]->node == node);
	return n;
}

void lf_deliver(lf_fixture *fx, lf_task *t)
{
	if (!t || t->state != LF_TASK_PENDING)
		lf_die("deliver: task %llu is not pending", t ? (unsigned long long)t->id : 0ULL);
	lf_follower_run(fx, t, &t->res);
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
		lf_die("fail: task %llu was refused by its follower already",
		       (unsigned long long)t->id);
	fail_with(t, sqlstate, "fake transport: failed by the test");
}

int lf_settle(lf_fixture *fx)
{
	int n = 0;
	for (;;) {
		lf_task *t = NULL;
		for (int i = 0; i < fx->ntasks && !t; i++) {
			lf_follower *f = lf_follower_by_id(fx, fx->tasks[i]->node);
			if (outstanding(fx->tasks[i]) && f && !f->muted)
				t = fx->tasks[i];
		}
		if (!t)
			return n;
		if (++n > LF_SETTLE_MAX)
			lf_die("settle: more than %d answers, the engine does not settle",
			       LF_SETTLE_MAX);
		lf_reply(fx, t);
	}
}

void lf_mute(lf_fixture *fx, uint32_t node, int muted)
{
	lf_follower *f = lf_follower_by_id(fx, node);
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
	s->next = fx->sessions;
	fx->sessions = s;
	return s->es;
}

void *lf_session(lf_fixture *fx) { return open_session(fx); }

void lf_session_close(lf_fixture *fx, void *session)
{
	for (lf_sess **pp = &fx->sessions; *pp; pp = &(*pp)->next) {
		lf_sess *s = *pp;
		if (s->es != session)
			continue;
		*pp = s->next;
		lead_engine_ops.session_close(s->es);
		free(s);
		return;
	}
	lf_die("lf_session_close: no such session");
}

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
		/* pgwire sends the error and tells the engine (pgw_conn.c) */
		lead_engine_ops.statement_failed(q->session);
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

lf_query *lf_ok(lf_fixture *fx, const char *sql) { return lf_ok_in(fx, NULL, sql); }

lf_query *lf_ok_in(lf_fixture *fx, void *session, const char *sql)
{
	lf_query *q = lf_exec(fx, session, sql);
	lf_settle(fx);
	if (!q->done || q->sqlstate[0])
		lf_die("%s: %s %s", sql, q->done ? q->sqlstate : "not done", q->err.message);
	return q;
}

/* ---- followers and time ---- */

void lf_connect(lf_fixture *fx, uint32_t node)
{
	lf_follower *f = lf_follower_by_id(fx, node);
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
	lf_follower *f = lf_follower_by_id(fx, node);
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
			fail_with(t, SQLSTATE_CONNECTION_FAILURE,
				  "fake transport: the leader crashed");
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
		if (cat_upsert_node(fx->cat, f->name, f->addr, CAT_NODE_FOLLOWER, &n, &err) !=
		    MUR_OK)
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
			fail_with(fx->tasks[i], SQLSTATE_CONNECTION_FAILURE,
				  "fake transport: stopping");
	close_sessions(fx);
	lead_engine_destroy(fx->e);
	cat_close(fx->cat);
	for (int i = 0; i < fx->ntasks; i++) {
		task_clear(fx->tasks[i]);
		free(fx->tasks[i]);
	}
	free(fx->tasks);
	for (int i = 0; i < fx->nf; i++)
		lf_follower_free(&fx->f[i]);
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
