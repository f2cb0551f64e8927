/*
 * lead_copy.c — COPY t FROM STDIN (text and CSV; binary arrives as text,
 * decoded by pgwire) on the leader.
 *
 * States:  COPY_IN ──copy_data*──> COPY_IN ──copy_done──> DRAINING ──last batch──> done()
 *              │                                              ▲
 *              └──(error: remember it, ignore further data)───┘
 *
 * copy_data splits the stream into lines (CSV: a quoted field may hold a
 * newline), parses fields into typed values (lead_encode_row coerces and
 * checks them like INSERT), and appends each row to its shard's batch.  A
 * batch of LEAD_COPY_BATCH_ROWS rows (or LEAD_COPY_BATCH_BYTES bytes) is one
 * quorum write on its shard
 * (repl_write).  With LEAD_COPY_INFLIGHT_MAX tasks in flight, pgwire
 * is asked to stop reading the socket until half of them are answered:
 * backpressure instead of buffering the whole file.
 *
 * A COPY is one statement: all rows or none.  Its batches belong to the
 * session's block, or (autocommit) to the COPY's own transaction
 * (lead_txn.c, replication/repl.h "transactions"), undone on every shard
 * when one fails.  That transaction commits like an autocommit statement
 * over several shards (parallel commits unless the session turns them
 * off), and when every batch is small (LEAD_COPY_EARLY_BYTES) and has
 * started, at once, with its last batches (commit_at_end): its staging
 * markers go to each copy in the same frame as its batch, and a batch
 * that fails then dooms it (docs/transactions.md, "An autocommit COPY's
 * commit").  Otherwise it commits once every batch is at its quorum
 * (copy_finish).
 *
 * Concurrent COPYs (docs/transactions.md, "Concurrent COPYs"):
 *   keyed, autocommit  all its shard locks at once: a COPY that ends before
 *                      a batch fills sends every batch in one go; one whose
 *                      batch fills first asks for the lock of every shard of
 *                      the table in one go (lock_all) and sends nothing, and
 *                      reads no more, until it holds them all.  Requests of
 *                      one loop turn queue ahead of any later transaction's
 *                      on every shard, so two such COPYs (or a COPY and a
 *                      multi-shard statement, which also queues all its
 *                      shards at once) never wait for each other in a cycle.
 *   keyless            each batch (LEAD_COPY_BATCH_ROWS rows) goes to a
 *                      shard its transaction may write without waiting for
 *                      another (repl_route_shard), whose lock it asks for as
 *                      the batch starts (so that others route around it);
 *                      the rows' hidden ids are drawn to hash to that shard.
 */
#include "leader/lead_int.h"

#include "common/linemap.h"
#include "common/log.h"
#include "common/trace.h"
#include "common/utf8.h"

#include <assert.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct lead_copy {
	lead_session *s;
	plan *p; /* owned */
	const plan_copy *pc;
	const cat_table *t;
	mur_buf line;  /* bytes of an incomplete line */
	mur_buf field; /* unescaped fields of the current row */
	mur_buf scratch[CAT_COLUMNS_MAX];
	mur_buf enc_scratch;
	mur_buf row;          /* the current row, encoded */
	mur_buf defaults_buf; /* evaluated DEFAULTs of columns COPY does not list */
	mur_value defaults[CAT_COLUMNS_MAX];
	mur_buf *batches;
	mur_linemap *lines; /* per shard: the lines of its batch's rows (a refused row's CONTEXT) */
	struct copy_sent *sent; /* batches in flight (each one's callback argument) */
	int cancelling;         /* in cancel_queued: the last answer does not finish c */
	const char *text;       /* the line being parsed (its CONTEXT text) */
	size_t text_len;
	uint64_t *counts;
	uint64_t rows;       /* rows parsed */
	uint64_t rows_acked; /* rows acknowledged by primaries */
	uint64_t lineno;
	size_t scan; /* bytes of `line` already searched for a line end */
	int inq;     /* CSV: inside quotes at `scan` */
	int inflight;
	int paused;
	int failed;
	int ended; /* saw the "\." end marker */
	mur_error err;
	int draining;
	repl_quorum quorum;     /* the session's write quorum when COPY began */
	uint64_t block_txid;    /* the session's block when COPY began (0: none) */
	repl_txn *own_tx;       /* autocommit: the COPY's own transaction */
	repl_write_facts waits; /* the session's lock_timeout, deadlock_timeout when COPY began */
	int keyless;            /* rows spread by a hidden row id: batches routed */
	uint32_t route;         /* keyless: the shard of the batch being filled (ROUTE_NONE) */
	uint32_t route_from;    /* keyless: where the next pick starts looking */
	int locking;            /* lock requests not answered yet (+1 while asking) */
	int locked_all;         /* keyed, autocommit: holds every shard's lock */
	int large;              /* a batch of more than LEAD_COPY_EARLY_BYTES was sent */
	int committing;         /* own_tx's commit went with the last batches (commit_at_end) */
	int tx_pending;         /* committing: its answer is not in yet */
	int tx_failed;          /* committing: it failed with tx_err */
	int batch_failed;       /* a batch failed (not the client: lead_copy_abort) */
	mur_error tx_err;
	pgw_done_cb done;
	void *done_arg;
};

#define ROUTE_NONE UINT32_MAX

static void copy_fail(lead_copy *c, const mur_error *err)
{
	if (c->failed)
		return;
	c->failed = 1;
	c->err = *err;
}

static void copy_free(lead_copy *c)
{
	mur_buf_free(&c->line);
	mur_buf_free(&c->field);
	mur_buf_free(&c->enc_scratch);
	mur_buf_free(&c->row);
	mur_buf_free(&c->defaults_buf);
	for (int i = 0; i < CAT_COLUMNS_MAX; i++)
		mur_buf_free(&c->scratch[i]);
	if (c->batches)
		for (uint32_t i = 0; i < c->t->nshards; i++)
			mur_buf_free(&c->batches[i]);
	if (c->lines)
		for (uint32_t i = 0; i < c->t->nshards; i++)
			mur_linemap_free(&c->lines[i]);
	free(c->batches);
	free(c->lines);
	free(c->counts);
	plan_free(c->p);
	free(c);
}

static void copy_answer(lead_copy *c);
static void copy_finish(lead_copy *c);
static void commit_at_end(lead_copy *c);

static void copy_tx_ended(void *arg, int failed, const mur_error *err)
{
	lead_copy *c = arg;
	if (c->committing) { /* commit_at_end: answered once its batches are too */
		c->tx_pending = 0;
		if (failed) {
			c->tx_failed = 1;
			c->tx_err = *err;
		}
		if (c->inflight == 0 && !c->cancelling)
			copy_finish(c);
		return;
	}
	if (failed) {
		c->failed = 0;
		copy_fail(c, err);
	}
	copy_answer(c);
}

/* Every batch is decided, and the commit that went with the last ones
 * (commit_at_end) is too: answer.  A batch's own error (a row a shard
 * refused, with its CONTEXT) is the COPY's: it doomed the transaction,
 * whose COMMIT then failed for it. */
static void copy_finish_committed(lead_copy *c)
{
	if (c->tx_pending)
		return;
	if (c->tx_failed)
		copy_fail(c, &c->tx_err); /* kept only when no batch failed first */
	else if (c->batch_failed)         /* it doomed the transaction: never committed */
		MLOG(ERROR, "copy", "COPY into %s: committed, yet a batch failed: %s", c->t->name,
		     c->err.message);
	copy_answer(c);
}

/* Every batch is decided: end the COPY's own transaction (commit, or undo
 * every batch when one failed), then answer. */
static void copy_finish(lead_copy *c)
{
	repl_txn *tx = c->own_tx;
	if (c->committing) {
		copy_finish_committed(c);
		return;
	}
	c->own_tx = NULL;
	MUR_TRACE("cpyacked", tx ? repl_txn_id(tx) : 0, c->rows);
	if (!tx) {
		copy_answer(c);
		return;
	}
	if (c->failed || c->rows_acked != c->rows) {
		mur_error err = c->err;
		if (!c->failed)
			mur_error_set(&err, SQLSTATE_INTERNAL_ERROR,
				      "COPY stored a different row count");
		repl_txn_abort(c->s->e->repl, tx, &err, copy_tx_ended, c);
	} else {
		/* over several shards: by staging markers, as an autocommit
		 * statement (lead_txn_end_implicit), unless the session asks for
		 * the recorded decision */
		repl_txn_set_parallel(tx, lead_session_parallel_commits(c->s));
		repl_txn_commit(c->s->e->repl, tx, c->quorum, copy_tx_ended, c);
	}
}

/* The transaction a batch belongs to: the block's (NULL + the COPY failed
 * when that block has ended) or the COPY's own. */
static int copy_txn(lead_copy *c, repl_txn **out)
{
	lead_session *s = c->s;
	mur_error err;
	*out = c->own_tx;
	if (!c->block_txid)
		return MUR_OK;
	if (s->txn != LEAD_TXN_ACTIVE || s->txid != c->block_txid || !s->tx) {
		mur_error_set(&err, SQLSTATE_IN_FAILED_SQL_TRANSACTION,
			      "transaction %llu has ended; the COPY's rows were not sent",
			      (unsigned long long)c->block_txid);
		copy_fail(c, &err);
		return MUR_ERR;
	}
	*out = s->tx;
	return MUR_OK;
}

static void copy_answer_now(lead_copy *c);

static void copy_undone(void *arg) { copy_answer_now(arg); }

/* A block's COPY that failed is answered once the block's writes since
 * its innermost savepoint are undone (lead_txn_undo_failed). */
static void copy_answer(lead_copy *c)
{
	if (!c->failed || !c->done ||
	    !lead_txn_undo_failed(c->s, c->block_txid, &c->err, copy_undone, c))
		copy_answer_now(c);
}

static void copy_answer_now(lead_copy *c)
{
	pgw_result *res = pgw_result_new();
	lead_session *s = c->s;
	MUR_TRACE("cpyans", 0, c->rows);
	if (!c->failed && c->rows_acked != c->rows) {
		/* every batch was acknowledged, yet the primaries stored a
		 * different count: never answer "COPY n" for rows not stored */
		mur_error err;
		mur_error_set(&err, SQLSTATE_INTERNAL_ERROR,
			      "COPY parsed %llu rows but the shards stored %llu",
			      (unsigned long long)c->rows, (unsigned long long)c->rows_acked);
		copy_fail(c, &err);
	}
	if (res) {
		if (c->failed) {
			pgw_result_set_error(res, &c->err);
		} else {
			snprintf(res->tag, sizeof res->tag, "COPY %llu",
				 (unsigned long long)c->rows);
		}
	}
	s->copy = NULL;
	lead_session_ran(s, NULL, c->failed, c->rows_acked);
	if (c->done)
		c->done(c->done_arg, res);
	else
		pgw_result_free(res);
	copy_free(c);
	lead_session_unref(s);
}

/* pgwire stops reading while this many batches are in flight, or while
 * a keyed COPY waits for its locks (its batches grow meanwhile). */
static int copy_must_pause(const lead_copy *c)
{
	return c->inflight >= LEAD_COPY_INFLIGHT_MAX || (c->locking && !c->keyless);
}

static void copy_resume(lead_copy *c)
{
	if (c->paused && c->inflight <= LEAD_COPY_INFLIGHT_MAX / 2 &&
	    !(c->locking && !c->keyless)) {
		c->paused = 0;
		if (!c->s->closed)
			pgw_session_resume_read(c->s->ps);
	}
}

static void copy_where_at(lead_copy *c, mur_error *err, uint64_t line, const char *col,
			  const char *text, size_t n);

/* A batch in flight: the lines of its rows; in c->sent. */
typedef struct copy_sent {
	lead_copy *c;
	mur_linemap lines;
	struct copy_sent *prev, *next;
} copy_sent;

static void sent_free(copy_sent *sent)
{
	if (sent->prev)
		sent->prev->next = sent->next;
	else
		sent->c->sent = sent->next;
	if (sent->next)
		sent->next->prev = sent->prev;
	mur_linemap_free(&sent->lines);
	free(sent);
}

/* The shard refused row err->row of the batch: PostgreSQL's CONTEXT at
 * its line, with the line's text for a CHECK (found as the line was read
 * there; a duplicate key, found at the batch's insert, has none). */
static void copy_fail_row(lead_copy *c, const mur_linemap *lines, const mur_error *err)
{
	mur_error e = *err;
	uint64_t line;
	const char *text;
	size_t n;
	if (mur_linemap_get(lines, err->row, &line, &text, &n)) {
		if (strcmp(err->sqlstate, SQLSTATE_CHECK_VIOLATION) != 0)
			text = NULL;
		copy_where_at(c, &e, line, NULL, text, n);
	}
	copy_fail(c, &e);
}

/* One batch (one shard's part) is decided. */
static void copy_part_done(void *arg, repl_wop *op, int failed, const mur_error *err,
			   const exec_result *primary)
{
	copy_sent *sent = arg;
	lead_copy *c = sent->c;
	(void)op;
	c->inflight--;
	c->batch_failed |= failed;
	if (failed)
		copy_fail_row(c, &sent->lines, err);
	else
		c->rows_acked += primary->changes;
	sent_free(sent);
	copy_resume(c);
	if (c->draining && !c->cancelling)
		commit_at_end(c); /* a batch queued at the end may have started since */
	if (c->draining && c->inflight == 0 && !c->cancelling)
		copy_finish(c);
}

/* Take back the lock requests (callback argument c) and the batches
 * (each its own copy_sent) still queued (repl_cancel_queued); their
 * answers come failed.  c may be gone on return (the last answer finishes
 * it). */
static void cancel_queued(lead_copy *c, const mur_error *err)
{
	c->cancelling = 1;
	repl_cancel_queued(c->s->e->repl, c, err);
	for (copy_sent *sent = c->sent, *next; sent; sent = next) {
		next = sent->next; /* sent's own answer may free it, no other */
		repl_cancel_queued(c->s->e->repl, sent, err);
	}
	c->cancelling = 0;
	if (c->draining && c->inflight == 0)
		copy_finish(c);
}

static void flush_shard(lead_copy *c, uint32_t shard)
{
	mur_error err;
	repl_write_facts facts = {0}; /* COPY's INSERT is plain: no RETURNING, no ON CONFLICT */
	copy_sent *sent;

	if (c->counts[shard] == 0 || c->failed || copy_txn(c, &facts.txn) != MUR_OK)
		return;
	if (!(sent = malloc(sizeof *sent))) {
		mur_error_set(&err, SQLSTATE_OUT_OF_MEMORY, "out of memory");
		copy_fail(c, &err);
		return;
	}
	sent->c = c;
	sent->lines = c->lines[shard]; /* moved: the shard's next batch starts empty */
	mur_linemap_init(&c->lines[shard]);
	sent->prev = NULL;
	sent->next = c->sent;
	if (c->sent)
		c->sent->prev = sent;
	c->sent = sent;
	facts.lock_timeout_ms = c->waits.lock_timeout_ms;
	facts.deadlock_timeout_ms = c->waits.deadlock_timeout_ms;
	if (c->batches[shard].len > LEAD_COPY_EARLY_BYTES)
		c->large = 1;
	c->inflight++;
	if (repl_write(c->s->e->repl, c->t, shard, c->quorum, c->pc->shard_sql, &facts, NULL, 0,
		       &c->batches[shard], c->counts[shard], (uint32_t)c->t->ncols, copy_part_done,
		       sent, &err) != MUR_OK) {
		c->inflight--;
		sent_free(sent);
		copy_fail(c, &err);
	}
	if (c->batches[shard].cap > 2 * LEAD_COPY_BATCH_BYTES)
		mur_buf_free(&c->batches[shard]); /* a big row passed: give it back */
	mur_buf_reset(&c->batches[shard]);
	c->counts[shard] = 0;
}

static int batch_full(const lead_copy *c, uint32_t shard)
{
	return c->counts[shard] >= LEAD_COPY_BATCH_ROWS ||
	       c->batches[shard].len >= LEAD_COPY_BATCH_BYTES;
}

/* Send every batch (the COPY's end) or the full ones. */
static void flush_batches(lead_copy *c, int all)
{
	for (uint32_t i = 0; i < c->t->nshards && !c->failed; i++)
		if (all || batch_full(c, i))
			flush_shard(c, i);
}

static void lock_answered(lead_copy *c)
{
	if (--c->locking > 0)
		return;
	if (!c->keyless) {
		c->locked_all = !c->failed;
		if (!c->failed)
			flush_batches(c, c->draining);
	}
	copy_resume(c);
	if (c->draining && c->inflight == 0 && !c->cancelling)
		copy_finish(c);
}

/* A lock request of the COPY's transaction is answered (held, or
 * refused: 55P03, 40P01 with a block's COPY, a cancel). */
static void copy_locked(void *arg, repl_wop *op, int failed, const mur_error *err,
			const exec_result *primary)
{
	lead_copy *c = arg;
	(void)op;
	(void)primary;
	c->inflight--;
	if (failed)
		copy_fail(c, err);
	lock_answered(c);
}

/* Ask for the lock of shard `shard` for the COPY's transaction tx. */
static void ask_lock(lead_copy *c, repl_txn *tx, uint32_t shard)
{
	repl_write_facts facts = c->waits;
	mur_error err;
	facts.txn = tx;
	facts.lock_shared = 0;
	c->locking++;
	c->inflight++;
	if (repl_lock_shard(c->s->e->repl, c->t, shard, &facts, copy_locked, c, &err) != MUR_OK) {
		c->locking--;
		c->inflight--;
		copy_fail(c, &err);
	}
}

/* May a full batch be sent now?  A keyed autocommit COPY first holds every
 * shard's lock, asked for at once (lock_all): no. */
static int may_send(lead_copy *c)
{
	if (!c->own_tx || c->keyless || c->locked_all)
		return 1;
	if (!c->locking && !c->failed) {
		c->locking = 1; /* answers that come at once do not end the asking */
		for (uint32_t i = 0; i < c->t->nshards && !c->failed; i++)
			ask_lock(c, c->own_tx, i);
		lock_answered(c); /* may send the full batches, this one among them */
	}
	return 0;
}

/* Keyless: the shard the next batch goes to; its lock is asked for now
 * unless held (repl_route_shard). */
static void pick_route(lead_copy *c)
{
	repl_txn *tx;
	int held = 0;
	if (copy_txn(c, &tx) != MUR_OK)
		return;
	c->route = repl_route_shard(c->s->e->repl, c->t, tx, c->route_from, &held);
	c->route_from = c->route + 1;
	if (!held && tx) {
		c->locking++;
		ask_lock(c, tx, c->route);
		lock_answered(c);
	}
}

/* Append the encoded row in c->row to its shard's batch; send the batch
 * once it holds LEAD_COPY_BATCH_ROWS rows or LEAD_COPY_BATCH_BYTES bytes.
 * The batch grows as rows come (a row is at most LEAD_ROW_BYTES_MAX, so a
 * batch at most that past its byte bound); a batch that could not grow
 * fails the COPY: a row is counted only once its bytes are in a batch. */
static void batch_add(lead_copy *c, uint32_t shard)
{
	mur_buf *b = &c->batches[shard];
	mur_error err;

	if (b->len == 0 && c->row.len >= LEAD_COPY_BATCH_BYTES) {
		mur_buf big = *b; /* a big row starts its batch: move it, no copy */
		*b = c->row;
		c->row = big;
	} else {
		mur_buf_put(b, c->row.data, c->row.len);
	}
	if (!mur_buf_ok(b)) {
		mur_error_set(&err, SQLSTATE_OUT_OF_MEMORY,
			      "out of memory for a COPY batch of %zu bytes", b->len + c->row.len);
		mur_error_where(&err, "COPY %s, line %llu", c->t->name,
				(unsigned long long)c->lineno);
		copy_fail(c, &err);
		return;
	}
	mur_linemap_add(&c->lines[shard], c->lineno,
			c->t->nchecks && !c->pc->binary ? c->text : NULL, c->text_len);
	c->rows++;
	c->counts[shard]++;
	if (!batch_full(c, shard))
		return;
	if (c->keyless)
		c->route = ROUTE_NONE; /* the next row picks a shard again */
	if (may_send(c))
		flush_shard(c, shard);
}

/* Unescape one text-format field (PostgreSQL COPY text escapes). */
static void text_unescape(mur_buf *out, const char *p, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		const char *bs = memchr(p + i, '\\', n - i);
		size_t run = bs ? (size_t)(bs - (p + i)) : n - i;
		char ch;
		mur_buf_put(out, p + i, run); /* plain bytes in one copy */
		i += run;
		if (i >= n)
			break;
		if (i + 1 == n) {
			mur_buf_put_u8(out, '\\');
			break;
		}
		ch = p[++i];
		switch (ch) {
		case 'b':
			mur_buf_put_u8(out, '\b');
			break;
		case 'f':
			mur_buf_put_u8(out, '\f');
			break;
		case 'n':
			mur_buf_put_u8(out, '\n');
			break;
		case 'r':
			mur_buf_put_u8(out, '\r');
			break;
		case 't':
			mur_buf_put_u8(out, '\t');
			break;
		case 'v':
			mur_buf_put_u8(out, '\v');
			break;
		case 'x': {
			int v = 0, k = 0;
			while (k < 2 && i + 1 < n && strchr("0123456789abcdefABCDEF", p[i + 1]) &&
			       p[i + 1]) {
				char h = p[++i];
				v = v * 16 + (h <= '9' ? h - '0' : (h | 0x20) - 'a' + 10);
				k++;
			}
			mur_buf_put_u8(out, (uint8_t)v);
			break;
		}
		default:
			if (ch >= '0' && ch <= '7') {
				int v = ch - '0', k = 1;
				while (k < 3 && i + 1 < n && p[i + 1] >= '0' && p[i + 1] <= '7') {
					v = v * 8 + (p[++i] - '0');
					k++;
				}
				mur_buf_put_u8(out, (uint8_t)v);
			} else {
				mur_buf_put_u8(out, (uint8_t)ch);
			}
		}
	}
}

#define FIELDS_MAX CAT_COLUMNS_MAX

/* Split one line into fields: offsets/lengths into c->field, is_null. */
static int split_line(lead_copy *c, const char *p, size_t n, size_t *offs, size_t *lens, int *nulls,
		      int *nfields)
{
	const plan_copy *pc = c->pc;
	int nf = 0;
	size_t i = 0;

	mur_buf_reset(&c->field);
	for (;;) {
		size_t start = c->field.len;
		int quoted = 0;
		if (nf >= FIELDS_MAX)
			return MUR_ERR;
		if (pc->csv) {
			size_t fstart = i;
			while (i < n && (quoted || p[i] != pc->delimiter)) {
				if (p[i] == pc->quote) {
					if (quoted && i + 1 < n && p[i + 1] == pc->quote) {
						mur_buf_put_u8(&c->field, (uint8_t)pc->quote);
						i += 2;
						continue;
					}
					quoted = !quoted;
					i++;
					continue;
				}
				mur_buf_put_u8(&c->field, (uint8_t)p[i]);
				i++;
			}
			lens[nf] = c->field.len - start;
			/* unquoted field equal to the null string is NULL */
			nulls[nf] = memchr(p + fstart, pc->quote, i - fstart) == NULL &&
				    lens[nf] == strlen(pc->null_string) &&
				    memcmp(c->field.data ? c->field.data + start : "",
					   pc->null_string, lens[nf]) == 0;
		} else {
			size_t fstart = i;
			while (i < n && p[i] != pc->delimiter)
				i++;
			nulls[nf] = i - fstart == strlen(pc->null_string) &&
				    memcmp(p + fstart, pc->null_string, i - fstart) == 0;
			if (!nulls[nf])
				text_unescape(&c->field, p + fstart, i - fstart);
			lens[nf] = c->field.len - start;
		}
		offs[nf] = start;
		nf++;
		if (i >= n)
			break;
		i++; /* delimiter */
	}
	*nfields = nf;
	return MUR_OK;
}

/* PostgreSQL's CONTEXT of a COPY FROM error (copyfrom.c,
 * CopyFromErrorCallback): "COPY t, line N[, column c][: "text"]", text
 * (the line's, or the field's, NULL: none) cut to 100 bytes on a UTF-8
 * boundary with "..." as limit_printout_length does. */
static void copy_where_at(lead_copy *c, mur_error *err, uint64_t line, const char *col,
			  const char *text, size_t n)
{
	char quoted[MUR_ERROR_DETAIL_MAX / 2];
	size_t cut = n > 100 ? 100 : n;
	while (cut < n && cut > 0 && ((unsigned char)text[cut] & 0xC0) == 0x80)
		cut--; /* not inside a character */
	snprintf(quoted, sizeof quoted, ": \"%.*s%s\"", (int)cut, text ? text : "",
		 cut < n ? "..." : "");
	mur_error_where(err, "COPY %s, line %llu%s%s%s", c->t->name, (unsigned long long)line,
			col ? ", column " : "", col ? col : "", text ? quoted : "");
}

static void copy_where(lead_copy *c, mur_error *err, const char *col, const char *text, size_t n)
{
	copy_where_at(c, err, c->lineno, col, text, n);
}

/* Fail the COPY with err, in the context of the current line (its text
 * p[0..n) when PostgreSQL shows it, else NULL). */
static void copy_fail_line(lead_copy *c, mur_error *err, const char *p, size_t n)
{
	copy_where(c, err, NULL, p, n);
	copy_fail(c, err);
}

/* Text-format escapes (\000, \xff) can make bytes the line did not hold:
 * the unescaped fields must be UTF-8 too, as PostgreSQL checks them. */
static int fields_check_utf8(lead_copy *c, const size_t *offs, const size_t *lens, const int *nulls,
			     int nf, mur_error *err)
{
	for (int f = 0; f < nf; f++)
		if (!nulls[f] && lens[f] &&
		    mur_utf8_check(c->field.data + offs[f], lens[f], err) != MUR_OK)
			return MUR_ERR;
	return MUR_OK;
}

static void parse_line(lead_copy *c, const char *p, size_t n)
{
	size_t offs[FIELDS_MAX], lens[FIELDS_MAX];
	int nulls[FIELDS_MAX], nf = 0;
	mur_value vals[CAT_COLUMNS_MAX];
	uint8_t parsed[CAT_COLUMNS_MAX]; /* vals[i] read for its column's type (ncols set) */
	mur_error err;
	uint32_t shard = 0;
	const cat_table *t = c->t;
	int rc;

	c->lineno++;
	for (const char *nl = p; c->pc->csv && (nl = memchr(nl, '\n', (size_t)(p + n - nl))); nl++)
		c->lineno++; /* a quoted newline: PostgreSQL counts the row's last line */
	if (n > 0 && p[n - 1] == '\r')
		n--;
	if (!c->pc->csv && n == 2 && p[0] == '\\' && p[1] == '.') {
		c->ended = 1;
		return;
	}
	if (c->pc->header && c->lineno == 1)
		return;
	if (mur_utf8_check(p, n, &err) != MUR_OK) {
		copy_fail_line(c, &err, NULL, 0);
		return;
	}
	rc = split_line(c, p, n, offs, lens, nulls, &nf);
	if (rc == MUR_OK && !mur_buf_ok(&c->field)) {
		mur_error_set(&err, SQLSTATE_OUT_OF_MEMORY, "out of memory");
		copy_fail_line(c, &err, NULL, 0);
		return;
	}
	if (rc == MUR_OK && !c->pc->csv && memchr(p, '\\', n) &&
	    fields_check_utf8(c, offs, lens, nulls, nf, &err) != MUR_OK) {
		copy_fail_line(c, &err, p, n);
		return;
	}
	if (rc != MUR_OK || nf != c->pc->ncols) {
		mur_error_set(&err, SQLSTATE_BAD_COPY_FORMAT,
			      nf > c->pc->ncols ? "extra data after last expected column"
						: "missing data for column \"%s\"",
			      nf < c->pc->ncols ? t->cols[c->pc->cols[nf]].name : "");
		copy_fail_line(c, &err, p, n);
		return;
	}
	for (int i = 0; i < t->ncols; i++) {
		vals[i] = c->defaults[i];
		parsed[i] = 0;
	}
	for (int f = 0; f < nf; f++) {
		int col = c->pc->cols[f];
		if (nulls[f])
			continue;
		mur_buf_reset(&c->scratch[f]);
		if (mur_value_from_pgtext_tz(t->cols[col].type,
					     c->field.data ? c->field.data + offs[f] : "", lens[f],
					     t->cols[col].type == MT_TIMESTAMPTZ
						     ? lead_session_tz(c->s)
						     : NULL,
					     &c->scratch[f], &vals[col], &err) != MUR_OK) {
			copy_where(c, &err, t->cols[col].name,
				   c->field.data ? c->field.data + offs[f] : "", lens[f]);
			copy_fail(c, &err);
			return;
		}
		parsed[col] = 1;
	}
	if (c->keyless && c->route == ROUTE_NONE)
		pick_route(c);
	if (c->keyless && !c->failed &&
	    lead_rowid_for_shard(c->s->e, t, c->route, &vals[t->dist_col], &err) != MUR_OK) {
		copy_fail_line(c, &err, NULL, 0);
		return;
	}
	if (c->failed)
		return;
	/* The shard is known only after encoding: encode into a row buffer
	 * sized once, then append it to its batch. */
	mur_buf_reset(&c->row);
	if ((c->pc->fill_seq && cat_seq_fill(c->s->e->cat, &c->s->seqs, t->ncols, c->pc->fill_seq,
					     vals, &err) != MUR_OK) ||
	    lead_encode_row(c->s->e, t, vals, parsed, &c->enc_scratch, &c->row, &shard, &err) !=
		    MUR_OK) {
		copy_fail_line(c, &err, p, n);
		return;
	}
	assert(!c->keyless || shard == c->route); /* its id was drawn to hash there */
	c->text = p;
	c->text_len = n;
	batch_add(c, shard);
}

/* Process every complete line in buf[0..len), looking for line ends from
 * c->scan on (bytes before it were scanned by an earlier call, with the
 * CSV quote state c->inq at c->scan).  Returns bytes consumed; leaves
 * c->scan and c->inq describing the unconsumed rest, so a long line that
 * arrives in many CopyData messages is scanned once, not once per message. */
static size_t consume_lines(lead_copy *c, const char *buf, size_t len)
{
	size_t start = 0, i = c->scan;
	int inq = c->inq;
	for (; i < len && !c->failed && !c->ended; i++) {
		if (c->pc->csv && buf[i] == c->pc->quote)
			inq = !inq;
		if (buf[i] == '\n' && !inq) {
			parse_line(c, buf + start, i - start);
			start = i + 1;
		}
	}
	if (c->failed || c->ended) {
		c->scan = 0;
		c->inq = 0;
		return len;
	}
	c->scan = len - start;
	c->inq = inq;
	return start;
}

int lead_copy_data(lead_session *s, const char *data, size_t len)
{
	lead_copy *c = s->copy;
	mur_error err;
	if (!c || c->failed || c->ended)
		return 0;
	if (c->line.len == 0) {
		size_t used;
		c->scan = 0;
		c->inq = 0;
		used = consume_lines(c, data, len);
		mur_buf_put(&c->line, data + used, len - used);
	} else {
		size_t used;
		mur_buf_put(&c->line, data, len);
		used = mur_buf_ok(&c->line) ? consume_lines(c, c->line.data, c->line.len) : 0;
		if (used) {
			memmove(c->line.data, c->line.data + used, c->line.len - used);
			c->line.len -= used;
		}
	}
	if (!mur_buf_ok(&c->line)) {
		mur_error_set(&err, SQLSTATE_OUT_OF_MEMORY, "out of memory for COPY line %llu",
			      (unsigned long long)c->lineno + 1);
		copy_fail(c, &err);
	} else if (c->line.len > LEAD_COPY_LINE_MAX) {
		mur_error_set(&err, SQLSTATE_PROGRAM_LIMIT_EXCEEDED,
			      "COPY line %llu exceeds the limit of %zu bytes",
			      (unsigned long long)c->lineno + 1, LEAD_COPY_LINE_MAX);
		copy_fail(c, &err);
	}
	if (copy_must_pause(c)) {
		c->paused = 1;
		return 1;
	}
	return 0;
}

/* The COPY's end, its last batches just sent (or, when one waited in a
 * queue then, a batch answered since): an autocommit COPY whose batches
 * are all small and started (each holds its shard's lock: none waits in
 * a queue) commits now, in the same loop turn, so that its
 * staging markers (one shard: its marker) go to each copy with its
 * batches, in one frame, logged in one write batch with one fsync
 * (repl_write.c, sent_with) — the commit adds no round of its own.  A
 * batch that then fails dooms the transaction: its COMMIT fails and
 * every shard is undone (the batch's error is the COPY's).  Otherwise the
 * commit waits until every batch is decided (copy_finish). */
static void commit_at_end(lead_copy *c)
{
	repl_txn *tx = c->own_tx;
	if (!tx || c->failed || c->large || c->locking || c->inflight == 0 ||
	    !repl_txn_table_ready(c->s->e->repl, c->t, tx))
		return;
	c->own_tx = NULL;
	c->committing = 1;
	c->tx_pending = 1;
	MUR_TRACE("cpycommit", repl_txn_id(tx), c->rows);
	repl_txn_set_parallel(tx, lead_session_parallel_commits(c->s));
	repl_txn_commit(c->s->e->repl, tx, c->quorum, copy_tx_ended, c);
}

void lead_copy_done(lead_session *s, int failed, const char *msg, pgw_done_cb done, void *arg)
{
	lead_copy *c = s->copy;
	mur_error err;

	if (!c) {
		pgw_result *res = pgw_result_new();
		mur_error_set(&err, SQLSTATE_PROTOCOL_VIOLATION, "no COPY in progress");
		if (res)
			pgw_result_set_error(res, &err);
		done(arg, res);
		return;
	}
	c->done = done;
	c->done_arg = arg;
	MUR_TRACE("cpydone", c->own_tx ? repl_txn_id(c->own_tx) : 0, c->rows);
	if (failed) {
		mur_error_set(&err, SQLSTATE_QUERY_CANCELED, "COPY from stdin failed: %s",
			      msg ? msg : "");
		copy_fail(c, &err);
		c->draining = 1;
		if (c->inflight == 0)
			copy_finish(c);
		else /* a client gone (or CopyFail) while a batch waits for a lock:
			their requests go now; the last answer finishes c */
			cancel_queued(c, &err);
		return;
	} else if (c->line.len > 0 && !c->failed && !c->ended) {
		parse_line(c, c->line.data, c->line.len);
		c->line.len = 0;
	}
	c->draining = 1;
	if (!c->locking || c->keyless) /* else: when the locks are held (lock_answered) */
		flush_batches(c, 1);
	commit_at_end(c);
	if (c->inflight == 0)
		copy_finish(c);
}

/* The client went away mid-COPY: drop buffered rows; in-flight batches
 * still complete and then free everything. */
void lead_copy_abort(lead_session *s)
{
	lead_copy *c = s->copy;
	mur_error err;
	if (!c)
		return;
	mur_error_set(&err, SQLSTATE_CONNECTION_FAILURE, "client disconnected during COPY");
	copy_fail(c, &err);
	c->done = NULL;
	c->draining = 1;
	if (c->inflight == 0) {
		copy_finish(c);
		return;
	}
	/* its writes and lock requests still queued (a lock wait) go now, not
	 * at their grant or lock_timeout; the last answer finishes c */
	cancel_queued(c, &err);
}

/* Columns the COPY does not list get their DEFAULT, evaluated once per
 * COPY (as PostgreSQL evaluates now() once per statement), or NULL. */
static int copy_eval_defaults(lead_copy *c, mur_error *err)
{
	const cat_table *t = c->t;
	int listed[CAT_COLUMNS_MAX] = {0}, idx[CAT_COLUMNS_MAX], n = 0;
	mur_buf sql;
	uint64_t nrows = 0;
	uint32_t ncols = 0;
	mur_rd rd;
	int rc;

	for (int i = 0; i < t->ncols; i++)
		c->defaults[i] = mur_v_null();
	for (int f = 0; f < c->pc->ncols; f++)
		listed[c->pc->cols[f]] = 1;
	mur_buf_init(&sql);
	mur_buf_printf(&sql, "SELECT ");
	for (int i = 0; i < t->ncols; i++)
		if (!listed[i] && t->cols[i].default_sql &&
		    !(c->pc->fill_seq && c->pc->fill_seq[i])) { /* filled per row */
			mur_buf_printf(&sql, "%s(", n ? ", " : "");
			sql_default_now_sql(&sql, t->cols[i].default_sql, c->s->xact_now_us,
					    mur_tz_name(lead_session_tz(c->s)));
			mur_buf_printf(&sql, ")");
			idx[n++] = i;
		}
	if (n == 0) {
		mur_buf_free(&sql);
		return MUR_OK;
	}
	rc = lead_local_query(c->s->e, mur_buf_cstr(&sql), NULL, 0, NULL, 0, 0, &c->defaults_buf,
			      &nrows, &ncols, err);
	mur_buf_free(&sql);
	if (rc != MUR_OK)
		return MUR_ERR;
	mur_rd_init(&rd, c->defaults_buf.data, c->defaults_buf.len);
	for (int k = 0; k < n && nrows == 1; k++)
		if (mur_row_get_value(&rd, &c->defaults[idx[k]]) != MUR_OK)
			return mur_error_set(err, SQLSTATE_INTERNAL_ERROR, "bad default values");
	return MUR_OK;
}

/* FORMAT binary: the columns' types, for pgwire's decoding. */
static int copy_binary_types(pgw_result *res, const plan_copy *pc, mur_error *err)
{
	res->copy_oids = calloc((size_t)pc->ncols + 1, sizeof *res->copy_oids);
	if (!res->copy_oids)
		return mur_error_set(err, SQLSTATE_OUT_OF_MEMORY, "out of memory");
	for (int i = 0; i < pc->ncols; i++)
		res->copy_oids[i] = mur_type_oid(pc->table->cols[pc->cols[i]].type);
	res->copy_binary = 1;
	return MUR_OK;
}

/* Rows spread by a hidden row id the COPY does not list: routed batches. */
static int copy_keyless(const plan_copy *pc)
{
	const cat_table *t = pc->table;
	if (t->dist_col < 0 || !t->cols[t->dist_col].hidden)
		return 0;
	for (int f = 0; f < pc->ncols; f++)
		if (pc->cols[f] == t->dist_col)
			return 0;
	return 1;
}

/* Start a COPY: check the table is writable, set up batches, answer COPY_IN. */
int lead_copy_start(lead_session *s, plan *p, pgw_result *res, mur_error *err)
{
	lead_copy *c;
	const plan_copy *pc = &p->u.copy;

	c = calloc(1, sizeof *c);
	if (!c)
		return mur_error_set(err, SQLSTATE_OUT_OF_MEMORY, "out of memory");
	c->s = s;
	c->p = p;
	c->pc = pc;
	c->t = pc->table;
	c->batches = calloc(c->t->nshards, sizeof *c->batches);
	c->lines = calloc(c->t->nshards, sizeof *c->lines);
	c->counts = calloc(c->t->nshards, sizeof *c->counts);
	if (!c->batches || !c->lines || !c->counts) {
		c->p = NULL;
		copy_free(c);
		return mur_error_set(err, SQLSTATE_OUT_OF_MEMORY, "out of memory");
	}
	c->quorum = lead_session_quorum(s);
	c->route = ROUTE_NONE;
	c->keyless = copy_keyless(pc);
	lead_txn_wait_facts(s, &c->waits);
	if (s->txn == LEAD_TXN_ACTIVE)
		c->block_txid = s->txid;
	else if (!(c->own_tx = repl_txn_begin(s->e->repl, lead_time_id(&s->e->txid_next), err)))
		goto err_after_alloc;
	if (copy_eval_defaults(c, err) != MUR_OK ||
	    (pc->binary && copy_binary_types(res, pc, err) != MUR_OK))
		goto err_after_alloc;
	s->copy = c;
	s->refs++;
	res->kind = PGW_RESULT_COPY_IN;
	res->copy_ncols = (uint32_t)pc->ncols;
	return MUR_OK;
err_after_alloc:
	if (c->own_tx)
		repl_txn_commit(s->e->repl, c->own_tx, c->quorum, NULL,
				NULL); /* holds no lock yet */
	c->p = NULL;
	copy_free(c);
	return MUR_ERR;
}
