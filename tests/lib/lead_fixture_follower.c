/*
 * lead_fixture_follower.c — the leader-engine fixture's fake followers
 * (lead_fixture.h: what they model).
 *
 * A follower (lf_follower) holds copies (lf_copy): one per placement file,
 * a log of entries (lf_entry: entry id, txn id, kind and the rows it
 * inserted) whose length is the copy's LSN; the log is never trimmed.
 * lf_follower_run applies one task to it and writes the answer a real
 * follower would give, in terms of LSNs, entry ids and transactions: as
 * storage/replog.h, while a transaction is open (data entries of txn X
 * after X's last marker: the log's suffix) only X's entries may follow.
 */
#include "lead_fixture_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The fake changeset a primary returns and an APPLY carries: a tag, then
 * ncols, nrows and the rows (mur_row encoding). */
#define LF_CS_TAG "LFCS"
#define LF_CS_TAG_LEN 4
#define LF_CS_HEAD_LEN (LF_CS_TAG_LEN + 4 + 8)

lf_follower *lf_follower_by_id(lf_fixture *fx, uint32_t node)
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

static void copy_append(lf_copy *c, uint64_t entry_id, uint64_t txn_id, uint8_t kind,
			uint32_t ncols, uint64_t nrows, const void *rows, size_t len)
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
	x->txn_id = txn_id;
	x->kind = kind;
	x->ncols = ncols;
	x->nrows = nrows;
	mur_buf_init(&x->rows);
	if (len)
		mur_buf_put(&x->rows, rows, len);
}

/* Append a copy of entry x (of another copy). */
static void copy_append_entry(lf_copy *c, const lf_entry *x)
{
	copy_append(c, x->entry_id, x->txn_id, x->kind, x->ncols, x->nrows, x->rows.data,
		    x->rows.len);
}

/* The open transaction (0: none) and its first LSN: the newest run of
 * data entries of one txn id ≠ 0, as storage/replog.c reads it. */
static uint64_t copy_open_txn(const lf_copy *c, uint64_t *lsn)
{
	uint64_t txn = 0;
	*lsn = 0;
	for (uint64_t i = c ? c->lsn : 0; i > 0; i--) {
		const lf_entry *x = &c->log[i - 1];
		if (x->kind != EXEC_ENTRY_DATA || x->txn_id == 0 || (txn && x->txn_id != txn))
			break;
		txn = x->txn_id;
		*lsn = i;
	}
	return txn;
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
	res->lsn = c && strcmp(sqlstate, SQLSTATE_OBJECT_NOT_IN_PREREQUISITE_STATE) == 0 ? c->lsn
											 : 0;
	return MUR_ERR;
}

/* Whether an entry of txn_id may follow c's log (storage/replog.h: only
 * the open transaction's own). */
static int txn_order_ok(const lf_copy *c, uint64_t txn_id)
{
	uint64_t lsn, open = copy_open_txn(c, &lsn);
	return !open || open == txn_id;
}

/* WRITE: refused when it carries an LSN not just above the copy's, or
 * when its entry may not follow the open transaction; else a new entry
 * (capture) holding its rows, the primary returning a changeset carrying
 * them, which the replicas' APPLY brings back; of kind COMMIT the marker
 * (no rows, no changeset). */
static int run_write(lf_follower *f, const lf_task *t, exec_result *res)
{
	lf_copy *c = copy_of(f, t->file);
	int marker = t->entry_kind == EXEC_ENTRY_COMMIT;
	if (!c)
		return refuse(res, SQLSTATE_IO_ERROR, "no such placement", NULL);
	if (marker && !t->capture)
		return refuse(res, SQLSTATE_PROTOCOL_VIOLATION, "a marker must be logged", NULL);
	if (t->capture && t->lsn && c->lsn + 1 != t->lsn)
		return refuse(res, SQLSTATE_OBJECT_NOT_IN_PREREQUISITE_STATE, "not just below", c);
	if (t->capture && !txn_order_ok(c, t->txn_id))
		return refuse(res, EXEC_SQLSTATE_TXN_ORDER, "another transaction is open", NULL);
	res->changes = marker ? 0 : t->nrows ? t->nrows : 1;
	if (t->capture)
		copy_append(c, t->entry_id, t->txn_id, t->entry_kind, t->ncols,
			    marker ? 0 : t->nrows, t->rows.data, marker ? 0 : t->rows.len);
	answer_at(res, c);
	if (t->capture == EXEC_CAPTURE_RETURN && !marker) {
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
	if (!txn_order_ok(c, t->txn_id))
		return refuse(res, EXEC_SQLSTATE_TXN_ORDER, "another transaction is open", NULL);
	if (t->entry_kind == EXEC_ENTRY_COMMIT) {
		if (t->blob.len)
			return refuse(res, SQLSTATE_PROTOCOL_VIOLATION, "a marker with changes",
				      NULL);
		copy_append(c, t->entry_id, t->txn_id, EXEC_ENTRY_COMMIT, 0, 0, NULL, 0);
		answer_at(res, c);
		return MUR_OK;
	}
	if (t->blob.len < LF_CS_TAG_LEN || memcmp(t->blob.data, LF_CS_TAG, LF_CS_TAG_LEN) != 0)
		return refuse(res, SQLSTATE_INTERNAL_ERROR, "not a changeset", NULL);
	mur_rd_init(&rd, t->blob.data + LF_CS_TAG_LEN, t->blob.len - LF_CS_TAG_LEN);
	ncols = mur_rd_u32(&rd);
	nrows = mur_rd_u64(&rd);
	copy_append(c, t->entry_id, t->txn_id, EXEC_ENTRY_DATA, ncols, nrows,
		    t->blob.data + LF_CS_HEAD_LEN, mur_rd_left(&rd));
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

/* STATUS columns (storage/replog.h stor_status): file, lsn, entry_id,
 * first_log_lsn, open_txn_id, open_txn_lsn. */
#define LF_STATUS_COLS 6

static int run_status(lf_follower *f, exec_result *res)
{
	res->ncols = LF_STATUS_COLS;
	for (lf_copy *c = f->copies; c; c = c->next) {
		uint64_t open_lsn, open = copy_open_txn(c, &open_lsn);
		mur_value v[LF_STATUS_COLS] = {mur_v_text(c->file, strlen(c->file)),
					       mur_v_int((int64_t)c->lsn),
					       mur_v_int((int64_t)copy_entry_at(c, c->lsn)),
					       mur_v_int(c->lsn ? 1 : 0),
					       mur_v_int((int64_t)open),
					       mur_v_int((int64_t)open_lsn)};
		for (int i = 0; i < LF_STATUS_COLS; i++)
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
		return refuse(res, SQLSTATE_IO_ERROR, "no such placement here or at the peer",
			      NULL);
	if (src->lsn < c->lsn || copy_entry_at(src, c->lsn) != copy_entry_at(c, c->lsn))
		return refuse(res, SQLSTATE_OBJECT_NOT_IN_PREREQUISITE_STATE, "history differs", c);
	if (src->lsn < t->lsn)
		return refuse(res, SQLSTATE_INTERNAL_ERROR, "the peer is behind the target", NULL);
	while (c->lsn < t->lsn)
		copy_append_entry(c, &src->log[c->lsn]);
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
		copy_append_entry(c, &src->log[i]);
	answer_at(res, c);
	return MUR_OK;
}

/* Apply t to its follower as task_run.c would; the answer goes to res. */
void lf_follower_run(lf_fixture *fx, lf_task *t, exec_result *res)
{
	lf_follower *f = lf_follower_by_id(fx, t->node);
	int rc;
	exec_result_init(res);
	res->task_id = t->id;
	if (!f) {
		refuse(res, SQLSTATE_INTERNAL_ERROR, "no such follower", NULL);
		return;
	}
	switch (t->kind) {
	case EXEC_TASK_WRITE:
		rc = run_write(f, t, res);
		break;
	case EXEC_TASK_APPLY:
		rc = run_apply(f, t, res);
		break;
	case EXEC_TASK_UNDO:
		rc = run_undo(f, t, res);
		break;
	case EXEC_TASK_STATUS:
		rc = run_status(f, res);
		break;
	case EXEC_TASK_CATCHUP:
		rc = run_catchup(fx, f, t, res);
		break;
	case EXEC_TASK_REBUILD:
		rc = run_rebuild(fx, f, t, res);
		break;
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

/* ---- what the followers hold ---- */

uint64_t lf_copy_lsn(lf_fixture *fx, uint32_t node, const char *file)
{
	lf_copy *c = copy_of(lf_follower_by_id(fx, node), file);
	return c ? c->lsn : 0;
}

uint64_t lf_copy_entry(lf_fixture *fx, uint32_t node, const char *file, uint64_t lsn)
{
	return copy_entry_at(copy_of(lf_follower_by_id(fx, node), file), lsn);
}

int lf_copy_exists(lf_fixture *fx, uint32_t node, const char *file)
{
	return copy_of(lf_follower_by_id(fx, node), file) != NULL;
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
	lf_copy *c = copy_of(lf_follower_by_id(fx, node), file);
	for (uint64_t i = 0; c && i < c->lsn; i++)
		if (entry_holds_int(&c->log[i], col, v))
			return 1;
	return 0;
}

void lf_copy_set(lf_fixture *fx, uint32_t node, const char *file, uint64_t lsn, const uint64_t *ids)
{
	lf_follower *f = lf_follower_by_id(fx, node);
	lf_copy *c;
	if (!f)
		lf_die("copy_set: no follower %u", node);
	c = copy_create(f, file);
	copy_truncate(c, 0);
	for (uint64_t i = 0; i < lsn; i++)
		copy_append(c, ids[i], 0, EXEC_ENTRY_DATA, 0, 0, NULL, 0);
}

void lf_copy_append(lf_fixture *fx, uint32_t node, const char *file, uint64_t entry_id,
		    uint64_t txn_id, uint8_t kind)
{
	lf_follower *f = lf_follower_by_id(fx, node);
	if (!f)
		lf_die("copy_append: no follower %u", node);
	copy_append(copy_create(f, file), entry_id, txn_id, kind, 0, 0, NULL, 0);
}

uint64_t lf_copy_entry_txn(lf_fixture *fx, uint32_t node, const char *file, uint64_t lsn,
			   uint8_t *kind)
{
	lf_copy *c = copy_of(lf_follower_by_id(fx, node), file);
	const lf_entry *x = c && lsn > 0 && lsn <= c->lsn ? &c->log[lsn - 1] : NULL;
	if (kind)
		*kind = x ? x->kind : EXEC_ENTRY_DATA;
	return x ? x->txn_id : 0;
}

uint64_t lf_copy_open_txn(lf_fixture *fx, uint32_t node, const char *file, uint64_t *lsn)
{
	uint64_t first, txn = copy_open_txn(copy_of(lf_follower_by_id(fx, node), file), &first);
	if (lsn)
		*lsn = first;
	return txn;
}

void lf_follower_free(lf_follower *f)
{
	while (f->copies)
		copy_drop(f, f->copies->file);
}
