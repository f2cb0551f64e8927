/*
 * shuffle.c — the owner side of a repartition shuffle: entries that
 * collect parts, aggregate them on the thread pool and answer the RECV
 * task (state machine in shuffle.h).  The sender side is shuffle_send.c.
 *
 * An entry's parts wait in a pending list until the RECV task has said how
 * to aggregate them; then the whole list goes to the pool in one work item
 * (exec_hashagg_add_rows per part), and whatever arrived meanwhile goes in
 * the next.  The hash aggregate is created with the width of the first
 * part; every part of a shuffle must have that width.
 */
#include "follower/shuffle.h"

#include "common/clock.h"
#include "common/log.h"
#include "ops/hashagg.h"
#include "follower/shuffle_int.h"

#include <assert.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define GC_INTERVAL_MS 5000

typedef enum entry_state { ES_COLLECTING, ES_FINISHING, ES_DONE, ES_FAILED } entry_state;
typedef enum entry_work { EW_NONE, EW_ADD, EW_FINISH, EW_FETCH, EW_AHEAD } entry_work;

typedef shuffle_part part;

typedef struct entry {
	node_shuffle_hub *hub;
	uint64_t id;
	entry_state state;
	uint32_t sources;  /* senders of the whole shuffle (from the parts) */
	uint8_t *done;     /* per source: its last part arrived */
	uint32_t ndone;    /* sources done here */
	uint32_t expected; /* sources that send here (from the RECV); 0 until known */
	uint32_t ncols;    /* aggregate: width of the parts; 0 until the first */
	uint32_t ncols_of[EXEC_JOIN_STREAMS_MAX]; /* join: width of each stream's parts */
	part *pending, *pending_tail;
	size_t pending_bytes;
	uint64_t rows_in, bytes_in;
	/* RECV */
	int has_recv;
	uint64_t task_id;
	const exec_task *recv; /* the RECV task: valid until it is answered */
	exec_agg_spec spec;
	uint32_t nstreams; /* > 0: a join: tables loaded, recv->sql run */
	exec_result jres;  /* a join's answer */
	node_shuffle_done_cb cb;
	void *cb_arg;
	/* aggregation */
	exec_hashagg *agg;
	uv_work_t work;
	entry_work working;
	part *work_parts;
	int work_rc;
	mur_error work_err;
	mur_buf out;
	uint64_t out_rows;
	mur_error err;   /* ES_FAILED */
	atomic_int stop; /* ES_FAILED: a join in the pool stops (node_shuffle_join) */
	uint64_t start_us;
	uint64_t touched_ms;
	/* a cursor's join (RECV shuffle_batch > 0): its statement, held once
	 * the RECV answered (shuffle_keep.c), and the FETCH being answered */
	shuffle_kept *kept;
	int drop_after;       /* dropped while a FETCH ran: freed when it answers */
	const char *drop_why; /* why, for the log */
	int kept_answer;      /* an aggregate's RECV answers jres (its first batch), not out */
	node_shuffle_done_cb fetch_cb;
	void *fetch_arg;
	uint64_t fetch_task_id;
	uint32_t fetch_n;
	int fetch_done;
	exec_result fres;
	/* read-ahead: once a batch is answered the next one is stepped on the
	 * pool (ahead_n rows), so the owners work while the client reads */
	exec_result ahead;
	int ahead_ready, ahead_done;
	uint32_t ahead_n;
	struct entry *prev, *next;
} entry;

static void parts_free(part *p)
{
	while (p) {
		part *n = p->next;
		free(p->payload);
		free(p);
		p = n;
	}
}

static entry *entry_find(node_shuffle_hub *h, uint64_t id)
{
	for (entry *e = h->entries; e; e = e->next)
		if (e->id == id)
			return e;
	return NULL;
}

static entry *entry_get(node_shuffle_hub *h, uint64_t id, mur_error *err)
{
	entry *e = entry_find(h, id);
	if (e)
		return e;
	if (h->stopping) {
		mur_error_set(err, SQLSTATE_ADMIN_SHUTDOWN, "follower is shutting down");
		return NULL;
	}
	e = calloc(1, sizeof *e);
	if (!e) {
		mur_error_set(err, SQLSTATE_OUT_OF_MEMORY, "out of memory");
		return NULL;
	}
	e->hub = h;
	e->id = id;
	e->state = ES_COLLECTING;
	e->work.data = e;
	mur_buf_init(&e->out);
	exec_result_init(&e->jres);
	exec_result_init(&e->fres);
	exec_result_init(&e->ahead);
	mur_error_clear(&e->err);
	e->start_us = mur_now_us();
	e->touched_ms = mur_now_ms();
	e->next = h->entries;
	if (h->entries)
		h->entries->prev = e;
	h->entries = e;
	return e;
}

/* Free e's kept statement now, or once the FETCH running on it answers;
 * the log says why (tests count kept and dropped joins there). */
static void kept_drop(entry *e, const char *why)
{
	if (!e->kept)
		return;
	if (e->working != EW_NONE) {
		atomic_store_explicit(&e->stop, 1, memory_order_relaxed);
		e->drop_after = 1;
		e->drop_why = why;
		return;
	}
	MLOG(INFO, "shuffle", "shuffle %llu: cursor's join dropped: %s", (unsigned long long)e->id,
	     why);
	node_shuffle_kept_free(e->kept);
	e->kept = NULL;
	e->drop_after = 0;
	e->hub->nkept--;
}

static void entry_free(entry *e)
{
	node_shuffle_hub *h = e->hub;
	assert(e->working == EW_NONE);
	kept_drop(e, "the follower stops");
	exec_result_free(&e->fres);
	exec_result_free(&e->ahead);
	if (e->prev)
		e->prev->next = e->next;
	else
		h->entries = e->next;
	if (e->next)
		e->next->prev = e->prev;
	parts_free(e->pending);
	exec_hashagg_destroy(e->agg);
	mur_buf_free(&e->out);
	exec_result_free(&e->jres);
	free(e->done);
	free(e);
	node_shuffle_hub_maybe_free(h);
}

/* How many senders the whole shuffle has (every part says; they must
 * agree). */
static int set_sources(entry *e, uint32_t sources, mur_error *err)
{
	if (e->sources == 0) {
		if (sources == 0 || sources > EXEC_SHUFFLE_INPUTS_MAX)
			return mur_error_set(err, SQLSTATE_PROTOCOL_VIOLATION,
					     "shuffle with %u senders", sources);
		e->done = calloc(sources, 1);
		if (!e->done)
			return mur_error_set(err, SQLSTATE_OUT_OF_MEMORY, "out of memory");
		e->sources = sources;
		return MUR_OK;
	}
	if (e->sources != sources)
		return mur_error_set(err, SQLSTATE_PROTOCOL_VIOLATION,
				     "shuffle %llu: %u senders announced, then %u",
				     (unsigned long long)e->id, e->sources, sources);
	return MUR_OK;
}

/* Answer the RECV (when known) with the entry's outcome. */
static void answer(entry *e)
{
	exec_result res;
	node_shuffle_done_cb cb = e->cb;
	if (!e->has_recv || !cb)
		return;
	e->cb = NULL;
	exec_result_init(&res);
	res.task_id = e->task_id;
	res.elapsed_us = mur_now_us() - e->start_us;
	if (e->state == ES_FAILED) {
		res.failed = 1;
		res.err = e->err;
	} else if (e->nstreams || e->kept_answer) {
		res = e->jres;
		exec_result_init(&e->jres);
		res.task_id = e->task_id;
		res.changes = e->rows_in;
		res.lsn = e->bytes_in;
	} else {
		res.rows = e->out;
		mur_buf_init(&e->out);
		res.nrows = e->out_rows;
		res.ncols = e->spec.ngroup + e->spec.naggs;
		res.changes = e->rows_in; /* rows received: for EXPLAIN ANALYZE */
		res.lsn = e->bytes_in;    /* bytes received */
	}
	e->recv = NULL;
	cb(e->cb_arg, &res);
	exec_result_free(&res);
}

static void entry_fail(entry *e, const mur_error *err)
{
	if (e->state == ES_DONE || e->state == ES_FAILED)
		return;
	e->state = ES_FAILED;
	e->err = *err;
	atomic_store_explicit(&e->stop, 1, memory_order_relaxed);
	parts_free(e->pending);
	e->pending = e->pending_tail = NULL;
	e->hub->pending_bytes -= e->pending_bytes;
	e->pending_bytes = 0;
	e->touched_ms = mur_now_ms();
	if (e->working == EW_NONE)
		answer(e);
}

static void pump(entry *e);

static void work_cb(uv_work_t *w)
{
	entry *e = w->data;
	e->work_rc = MUR_OK;
	if (e->working == EW_FETCH) { /* after the rows read ahead, if any */
		e->work_rc = node_shuffle_kept_fetch(e->kept, e->fetch_n, &e->fres, &e->fetch_done);
		return;
	}
	if (e->working == EW_AHEAD) {
		e->work_rc = node_shuffle_kept_fetch(e->kept, e->ahead_n, &e->ahead,
						     &e->ahead_done);
		return;
	}
	if (e->nstreams) {
		e->work_rc = node_shuffle_join(e->recv, e->nstreams, e->ncols_of, e->work_parts,
					       &e->stop, &e->jres, &e->kept, &e->work_err);
		return;
	}
	if (e->working == EW_ADD) {
		if (!e->agg && !(e->agg = exec_hashagg_create(&e->spec, e->ncols))) {
			mur_error_set(&e->work_err, SQLSTATE_INTERNAL_ERROR,
				      "shuffle aggregate does not fit %u columns", e->ncols);
			e->work_rc = MUR_ERR;
			return;
		}
		for (part *p = e->work_parts; p; p = p->next)
			if (exec_hashagg_add_rows(e->agg, p->rows, p->rows_len, p->nrows) !=
			    MUR_OK) {
				e->work_err = *exec_hashagg_error(e->agg);
				e->work_rc = MUR_ERR;
				return;
			}
		return;
	}
	if (!e->agg &&
	    !(e->agg = exec_hashagg_create(&e->spec, e->ncols ? e->ncols : e->spec.ngroup))) {
		mur_error_set(&e->work_err, SQLSTATE_INTERNAL_ERROR,
			      "shuffle aggregate cannot start");
		e->work_rc = MUR_ERR;
		return;
	}
	if (exec_hashagg_finish(e->agg, &e->out, &e->out_rows) != MUR_OK) {
		e->work_err = *exec_hashagg_error(e->agg);
		e->work_rc = MUR_ERR;
	} else if (e->recv->shuffle_batch) { /* a cursor's: the groups kept (shuffle_keep.c) */
		e->work_rc = node_shuffle_kept_groups(e->recv, &e->out, e->out_rows,
						      e->spec.ngroup + e->spec.naggs, &e->stop,
						      &e->jres, &e->kept, &e->work_err);
		e->kept_answer = 1;
	}
}

/* A FETCH's rows (or error) to its callback; the kept statement freed
 * when it ended, failed or was dropped meanwhile. */
static void fetch_answer(entry *e)
{
	exec_result res = e->fres;
	node_shuffle_done_cb cb = e->fetch_cb;
	exec_result_init(&e->fres);
	res.task_id = e->fetch_task_id;
	if (e->drop_after && !res.failed) {
		exec_result_free(&res);
		exec_result_init(&res);
		res.task_id = e->fetch_task_id;
		res.failed = 1;
		mur_error_set(&res.err, SQLSTATE_QUERY_CANCELED,
			      "the cursor's kept join rows were dropped");
	}
	if (e->fetch_done || res.failed || e->drop_after) {
		const char *why = e->fetch_done   ? "read to its end"
				  : e->drop_after ? e->drop_why
						  : "failed while read";
		e->drop_after = 0;
		kept_drop(e, why);
	}
	e->fetch_cb = NULL;
	cb(e->fetch_arg, &res);
	exec_result_free(&res);
}

static void after_work(uv_work_t *w, int status);

/* Step the next batch ahead on the pool (a kept statement idle). */
static void ahead_start(entry *e, uint32_t n)
{
	if (!e->kept || e->drop_after || e->ahead_ready || e->working != EW_NONE ||
	    e->hub->stopping || n == 0)
		return;
	e->ahead_n = n;
	e->ahead_done = 0;
	e->working = EW_AHEAD;
	e->hub->working++;
	if (uv_queue_work(e->hub->loop, &e->work, work_cb, after_work) != 0) {
		e->working = EW_NONE; /* no read-ahead: the FETCH steps its rows */
		e->hub->working--;
	}
}

/* The waiting FETCH gets the rows read ahead, and the rest it wants
 * stepped on the pool (or answered at once when they cover it). */
static void fetch_serve(entry *e)
{
	int rc;
	if (e->ahead_ready) {
		exec_result_free(&e->fres);
		e->fres = e->ahead; /* more rows than asked is fine: the merge takes them */
		exec_result_init(&e->ahead);
		e->fetch_done = e->ahead_done;
		e->ahead_ready = 0;
	}
	if (!e->kept || e->drop_after || e->fres.failed || e->fetch_done ||
	    e->fres.nrows >= e->fetch_n) {
		fetch_answer(e);
		ahead_start(e, e->fetch_n);
		return;
	}
	e->working = EW_FETCH;
	e->hub->working++;
	if ((rc = uv_queue_work(e->hub->loop, &e->work, work_cb, after_work)) != 0) {
		e->working = EW_NONE;
		e->hub->working--;
		exec_result_free(&e->fres);
		exec_result_init(&e->fres);
		e->fres.failed = 1;
		mur_error_set(&e->fres.err, SQLSTATE_INSUFFICIENT_RESOURCES,
			      "cannot queue shuffle work: %s", uv_strerror(rc));
		fetch_answer(e);
	}
}

static void after_work(uv_work_t *w, int status)
{
	entry *e = w->data;
	entry_work was = e->working;
	(void)status;
	e->working = EW_NONE;
	parts_free(e->work_parts);
	e->work_parts = NULL;
	e->hub->working--;
	e->touched_ms = mur_now_ms();
	if (e->kept && was == EW_FINISH) {
		e->hub->nkept++;
		MLOG(INFO, "shuffle", "shuffle %llu: cursor's join kept",
		     (unsigned long long)e->id);
	}
	if (e->kept && was == EW_FINISH && (e->state == ES_FAILED || e->work_rc != MUR_OK))
		kept_drop(e, "cancelled while it joined");
	if (was == EW_FETCH) {
		fetch_answer(e);
		if (e->hub->stopping)
			entry_free(e);
		else
			ahead_start(e, e->fetch_n);
		return;
	}
	if (was == EW_AHEAD) {
		e->ahead_ready = 1;
		if (e->drop_after || e->ahead.failed) {
			if (e->fetch_cb)
				fetch_serve(e); /* answers the error, drops the statement */
			else {
				const char *why = e->drop_after ? e->drop_why
								: "failed while read ahead";
				e->drop_after = 0;
				kept_drop(e, why);
			}
		} else if (e->fetch_cb) {
			fetch_serve(e);
		}
		if (e->hub->stopping && e->working == EW_NONE)
			entry_free(e);
		return;
	}
	if (e->state == ES_FAILED) {
		answer(e);
	} else if (e->work_rc != MUR_OK) {
		entry_fail(e, &e->work_err);
	} else if (was == EW_FINISH) {
		uint32_t n = e->recv ? e->recv->shuffle_batch : 0;
		e->state = ES_DONE;
		exec_hashagg_destroy(e->agg);
		e->agg = NULL;
		answer(e);
		ahead_start(e, n); /* a cursor's kept join: its next batch */
	}
	if (e->hub->stopping && e->working == EW_NONE) {
		entry_free(e);
		return;
	}
	pump(e);
}

static void queue(entry *e, entry_work kind)
{
	int rc;
	e->working = kind;
	e->hub->working++;
	rc = uv_queue_work(e->hub->loop, &e->work, work_cb, after_work);
	if (rc != 0) {
		mur_error err;
		e->working = EW_NONE;
		e->hub->working--;
		mur_error_set(&err, SQLSTATE_INSUFFICIENT_RESOURCES,
			      "cannot queue shuffle work: %s", uv_strerror(rc));
		entry_fail(e, &err);
	}
}

/* Next step of an entry, if one can be taken now. */
static void pump(entry *e)
{
	if (e->working != EW_NONE || e->state != ES_COLLECTING || !e->has_recv)
		return;
	if (e->nstreams) {
		/* a join needs every row before it can start */
		if (e->ndone < e->expected)
			return;
		e->work_parts = e->pending;
		e->pending = e->pending_tail = NULL;
		e->hub->pending_bytes -= e->pending_bytes;
		e->pending_bytes = 0;
		e->state = ES_FINISHING;
		queue(e, EW_FINISH);
		return;
	}
	if (e->pending) {
		e->work_parts = e->pending;
		e->pending = e->pending_tail = NULL;
		e->hub->pending_bytes -= e->pending_bytes;
		e->pending_bytes = 0;
		queue(e, EW_ADD);
		return;
	}
	if (e->expected && e->ndone >= e->expected) {
		e->state = ES_FINISHING;
		queue(e, EW_FINISH);
	}
}

int node_shuffle_hub_data(node_shuffle_hub *h, char *payload, size_t len, mur_error *err)
{
	net_shuffle_data d;
	entry *e;
	part *p;

	if (net_shuffle_data_decode(payload, len, &d, err) != MUR_OK)
		goto refuse;
	if (!(e = entry_get(h, d.shuffle_id, err)))
		goto refuse;
	if (e->state != ES_COLLECTING) {
		mur_error_set(err, SQLSTATE_QUERY_CANCELED, "shuffle %llu is %s",
			      (unsigned long long)d.shuffle_id,
			      e->state == ES_FAILED ? "cancelled" : "already finished");
		goto refuse;
	}
	if (set_sources(e, d.inputs, err) != MUR_OK)
		goto fail_entry;
	if (d.stream >= EXEC_JOIN_STREAMS_MAX) {
		mur_error_set(err, SQLSTATE_PROTOCOL_VIOLATION, "shuffle %llu: stream %u",
			      (unsigned long long)d.shuffle_id, d.stream);
		goto fail_entry;
	}
	if (e->done[d.source]) {
		mur_error_set(err, SQLSTATE_PROTOCOL_VIOLATION, "shuffle %llu: input %u sent twice",
			      (unsigned long long)d.shuffle_id, d.source);
		goto fail_entry;
	}
	if (e->ncols_of[d.stream] && d.ncols != e->ncols_of[d.stream]) {
		mur_error_set(err, SQLSTATE_PROTOCOL_VIOLATION,
			      "shuffle %llu: parts of %u and %u columns",
			      (unsigned long long)d.shuffle_id, e->ncols_of[d.stream], d.ncols);
		goto fail_entry;
	}
	if (h->pending_bytes + len > NODE_SHUFFLE_PENDING_BYTES_MAX) {
		mur_error_set(err, SQLSTATE_INSUFFICIENT_RESOURCES,
			      "follower holds more than %zu bytes of shuffle parts",
			      (size_t)NODE_SHUFFLE_PENDING_BYTES_MAX);
		goto fail_entry;
	}
	if (d.stream == 0)
		e->ncols = d.ncols;
	e->ncols_of[d.stream] = d.ncols;
	e->touched_ms = mur_now_ms();
	e->rows_in += d.nrows;
	e->bytes_in += d.rows_len;
	if (d.last) {
		e->done[d.source] = 1;
		e->ndone++;
	}
	if (d.nrows > 0) {
		if (!(p = calloc(1, sizeof *p))) {
			mur_error_set(err, SQLSTATE_OUT_OF_MEMORY, "out of memory");
			goto fail_entry;
		}
		p->payload = payload;
		p->rows = d.rows;
		p->rows_len = d.rows_len;
		p->nrows = d.nrows;
		p->stream = d.stream;
		if (e->pending_tail)
			e->pending_tail->next = p;
		else
			e->pending = p;
		e->pending_tail = p;
		e->pending_bytes += len;
		h->pending_bytes += len;
		payload = NULL;
	}
	free(payload);
	pump(e);
	return MUR_OK;
fail_entry:
	entry_fail(e, err);
refuse:
	free(payload);
	return MUR_ERR;
}

void node_shuffle_hub_recv(node_shuffle_hub *h, const exec_task *t, node_shuffle_done_cb cb,
			   void *arg)
{
	mur_error err;
	entry *e = entry_get(h, t->shuffle_id, &err);
	exec_result res;

	if (e && e->has_recv) {
		mur_error_set(&err, SQLSTATE_PROTOCOL_VIOLATION, "shuffle %llu received twice",
			      (unsigned long long)t->shuffle_id);
		e = NULL;
	} else if (e && !t->has_agg && t->shuffle_stream == 0) {
		mur_error_set(&err, SQLSTATE_PROTOCOL_VIOLATION,
			      "SHUFFLE_RECV without an aggregate");
		entry_fail(e, &err);
		e->has_recv = 1;
		e->task_id = t->id;
		e->cb = cb;
		e->cb_arg = arg;
		answer(e);
		return;
	}
	if (!e) {
		exec_result_init(&res);
		res.task_id = t->id;
		res.failed = 1;
		res.err = err;
		cb(arg, &res);
		exec_result_free(&res);
		return;
	}
	if (t->shuffle_batch && h->nkept >= NODE_SHUFFLE_KEPT_MAX) {
		mur_error_set(&err, SQLSTATE_INSUFFICIENT_RESOURCES,
			      "this follower keeps the joins of %d cursors already", h->nkept);
		mur_error_hint(&err, "close cursors (CLOSE, COMMIT) that are no longer read");
		entry_fail(e, &err);
	}
	e->has_recv = 1;
	e->task_id = t->id;
	e->recv = t;
	e->spec = t->agg;
	e->nstreams = t->shuffle_stream;
	e->expected = t->shuffle_inputs;
	e->cb = cb;
	e->cb_arg = arg;
	e->touched_ms = mur_now_ms();
	if (e->state == ES_FAILED) {
		answer(e);
		return;
	}
	if (e->nstreams > EXEC_JOIN_STREAMS_MAX ||
	    (e->expected == 0 || e->expected > EXEC_SHUFFLE_INPUTS_MAX) ||
	    (e->sources && e->expected > e->sources)) {
		mur_error_set(&err, SQLSTATE_PROTOCOL_VIOLATION,
			      "SHUFFLE_RECV expects %u senders in %u streams", e->expected,
			      e->nstreams);
		entry_fail(e, &err);
		return;
	}
	pump(e);
}

void node_shuffle_hub_cancel(node_shuffle_hub *h, uint64_t shuffle_id, const char *reason)
{
	mur_error err;
	entry *e = entry_get(h, shuffle_id, &err);
	if (!e)
		return;
	if (e->kept) { /* a cursor's kept join: the cursor ended */
		kept_drop(e, "the cursor ended");
		e->touched_ms = mur_now_ms();
		return;
	}
	mur_error_set(&err, SQLSTATE_QUERY_CANCELED, "shuffle cancelled: %s",
		      reason && *reason ? reason : "by the leader");
	entry_fail(e, &err);
}

void node_shuffle_hub_fetch(node_shuffle_hub *h, const exec_task *t, node_shuffle_done_cb cb,
			    void *arg)
{
	entry *e = entry_find(h, t->shuffle_id);
	exec_result res;
	exec_result_init(&res);
	res.task_id = t->id;
	if (!e || !e->kept || e->drop_after || e->fetch_cb ||
	    (e->working != EW_NONE && e->working != EW_AHEAD) || t->shuffle_batch == 0) {
		res.failed = 1;
		mur_error_set(&res.err, SQLSTATE_OBJECT_NOT_IN_PREREQUISITE_STATE,
			      "the rows this cursor's join left on this follower are gone");
		mur_error_hint(&res.err,
			       "they are dropped after %llu s without a FETCH, and when "
			       "the follower or the leader restarts",
			       (unsigned long long)h->kept_idle_ms / 1000);
		cb(arg, &res);
		exec_result_free(&res);
		return;
	}
	e->fetch_cb = cb;
	e->fetch_arg = arg;
	e->fetch_task_id = t->id;
	e->fetch_n = t->shuffle_batch;
	e->fetch_done = 0;
	e->touched_ms = mur_now_ms();
	exec_result_free(&res);
	if (e->working == EW_NONE)
		fetch_serve(e); /* else when the read-ahead is in (after_work) */
}

void node_shuffle_hub_drop_kept(node_shuffle_hub *h)
{
	int n = 0;
	for (entry *e = h->entries; e; e = e->next)
		if (e->kept) {
			kept_drop(e, "a new leader connection");
			n++;
		}
	if (n)
		MLOG(INFO, "shuffle", "dropped %d cursors' kept joins: a new leader connection", n);
}

/* ---- hub ----------------------------------------------------------------- */

static void gc_cb(uv_timer_t *t)
{
	node_shuffle_hub *h = t->data;
	uint64_t now = mur_now_ms();
	entry *e = h->entries, *next;
	mur_error err;

	for (; e; e = next) {
		next = e->next;
		if (e->working != EW_NONE)
			continue;
		if (e->kept && now - e->touched_ms > h->kept_idle_ms)
			kept_drop(e, "no FETCH for NODE_SHUFFLE_KEPT_IDLE_MS");
		if (e->state == ES_COLLECTING && now - e->touched_ms > NODE_SHUFFLE_IDLE_MS) {
			mur_error_set(&err, SQLSTATE_CONNECTION_FAILURE,
				      "shuffle %llu: %u of %u inputs arrived in %d s; a sender is "
				      "gone",
				      (unsigned long long)e->id, e->ndone, e->expected,
				      NODE_SHUFFLE_IDLE_MS / 1000);
			MLOG(WARN, "shuffle", "%s", err.message);
			entry_fail(e, &err);
		} else if ((e->state == ES_DONE || e->state == ES_FAILED) && !e->cb && !e->kept &&
			   now - e->touched_ms > NODE_SHUFFLE_TOMBSTONE_MS) {
			entry_free(e);
		}
	}
}

static void handle_closed(uv_handle_t *hd)
{
	node_shuffle_hub *h = hd->data;
	h->handles_open--;
	node_shuffle_hub_maybe_free(h);
}

void node_shuffle_hub_maybe_free(node_shuffle_hub *h)
{
	if (h->stopping && !h->entries && !h->sends && h->working == 0 && h->handles_open == 0)
		free(h);
}

/* NODE_SHUFFLE_KEPT_IDLE_MS, or MURPHY_SHUFFLE_KEPT_IDLE_MS when set to
 * 1000 ms or more and less (a test's expiry: each GC_INTERVAL_MS). */
static uint64_t kept_idle_ms(void)
{
	const char *v = getenv("MURPHY_SHUFFLE_KEPT_IDLE_MS");
	char *end;
	unsigned long long ms = v ? strtoull(v, &end, 10) : 0;
	if (!v || *end || ms < 1000 || ms > NODE_SHUFFLE_KEPT_IDLE_MS)
		return NODE_SHUFFLE_KEPT_IDLE_MS;
	return ms;
}

int node_shuffle_hub_create(uv_loop_t *loop, const net_hello *hello, const char *my_addr,
			    node_shuffle_hub **out, mur_error *err)
{
	node_shuffle_hub *h = calloc(1, sizeof *h);
	if (!h)
		return mur_error_set(err, SQLSTATE_OUT_OF_MEMORY, "out of memory");
	h->loop = loop;
	h->hello = *hello;
	h->kept_idle_ms = kept_idle_ms();
	snprintf(h->my_addr, sizeof h->my_addr, "%s", my_addr);
	uv_timer_init(loop, &h->gc);
	h->gc.data = h;
	h->handles_open = 1;
	uv_timer_start(&h->gc, gc_cb, GC_INTERVAL_MS, GC_INTERVAL_MS);
	uv_unref((uv_handle_t *)&h->gc);
	*out = h;
	return MUR_OK;
}

void node_shuffle_hub_stop(node_shuffle_hub *h)
{
	mur_error err;
	entry *e, *next;
	if (!h || h->stopping)
		return;
	h->stopping = 1;
	mur_error_set(&err, SQLSTATE_ADMIN_SHUTDOWN, "follower is shutting down");
	node_shuffle_send_cancel_all(h, &err);
	for (e = h->entries; e; e = next) {
		next = e->next;
		entry_fail(e, &err);
		if (e->working == EW_NONE)
			entry_free(e);
	}
	uv_close((uv_handle_t *)&h->gc, handle_closed);
}

int node_shuffle_owners(const char *list, char (*out)[NET_NAME_MAX], int max)
{
	int n = 0;
	const char *p = list;
	if (!list || !*list)
		return -1;
	while (*p) {
		const char *c = strchr(p, ',');
		size_t len = c ? (size_t)(c - p) : strlen(p);
		if (len == 0 || len >= NET_NAME_MAX || n >= max)
			return -1;
		memcpy(out[n], p, len);
		out[n][len] = '\0';
		n++;
		if (!c)
			break;
		p = c + 1;
		if (!*p)
			return -1;
	}
	return n;
}
