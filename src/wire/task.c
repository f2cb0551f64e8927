/*
 * task.c — wire encoding of shard tasks and task results (wire/task.h).
 *
 * Both directions are big-endian mur_buf/mur_rd encodings that start with
 * EXEC_WIRE_VERSION.  A task:
 *
 *   u8 version | u64 id | u8 kind | u8 nplacements | nplacements × (u32 len + name)
 *   | sql bytes + NUL | u32 nparams | nparams × row value (value.h)
 *   | u32 ncols | u64 nrows | u64 rows_len | rows bytes
 *   | u8 has_agg [ | u32 ngroup | u32 naggs | keys | naggs × (u8 fn | u32 col)
 *                | u32 nexprs | nexprs × (u32 nops | nops × (u8 op | u8 scale | u64 arg)) ]
 *   | u64 lsn | u64 entry_id | u8 capture | u64 txn_id | u8 entry_kind
 *   | u64 blob_len | blob | u32 len + peer addr | u64 epoch
 *   | u8 quick | u64 shuffle_id | u32 shuffle_source | u32 shuffle_inputs
 *   | u32 shuffle_hash_cols | shuffle_keys | u32 len + shuffle_to | u32 shuffle_stream
 *   | shuffle_ddl + NUL | shuffle_load + NUL | shuffle_post + NUL
 *   | scan_table + NUL | scan_column + NUL | u64 target_id | u8 early
 *   | u64 fetch_max_bps | (nplacements - 1) × u64 attached_bound (placements 1..)
 *   | having_sql + NUL | u32 shuffle_batch | u32 shuffle_merge
 *
 * A result:
 *
 *   u8 version | u64 task_id | u8 failed | u8 early
 *   [ | 5 bytes sqlstate | u32 position | u32 row (mur_error.row)
 *     | 3 × (u32 len + text): message, detail, hint ]
 *   | u32 ncols | u64 nrows | u64 rows_len | rows bytes
 *   | u64 changes | u64 lsn | u64 elapsed_us | u64 entry_id | u64 blob_len | blob
 *   | u8 nattached | nattached × (u64 attached_lsn | u64 attached_entry_id)
 *
 * The decoders take bytes straight from the network: every length is
 * checked against what is left and against the limits in task.h, rows are
 * walked once to prove they hold exactly nrows × ncols well-formed values,
 * placement names are restricted to safe file names, an entry kind must be
 * known (a COMMIT marker names its transaction: txn_id ≠ 0), and trailing
 * bytes are an error.  Anything wrong → MUR_EPROTO, no partial output kept.
 *
 * Memory: a decoded task borrows the input bytes (sql, placement copies
 * aside, text params, rows) and owns only `params` (exec_task_free_decoded).
 * A decoded result copies its rows into r->rows (exec_result_free).
 */
#include "wire/task.h"

#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Group columns a task may name (an aggregate spec is validated against
 * the real column count by the hash aggregate; this only bounds input). */
#define EXEC_WIRE_GROUP_COLS_MAX 65535

static int name_ok(const char *s, size_t n)
{
	if (n == 0 || n >= EXEC_PLACEMENT_NAME_MAX || s[0] == '.')
		return 0;
	for (size_t i = 0; i < n; i++) {
		char c = s[i];
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		      c == '_' || c == '.' || c == '-'))
			return 0;
	}
	return 1;
}

/* Exactly nrows × ncols well-formed values fill p[0..len). */
static int rows_valid(const char *p, size_t len, uint64_t nrows, uint32_t ncols)
{
	mur_rd r;
	mur_value v;
	if (ncols == 0 || nrows == 0)
		return len == 0;
	/* Each value takes at least one byte: refuse before looping. */
	if (nrows > len / ncols)
		return 0;
	mur_rd_init(&r, p, len);
	for (uint64_t i = 0; i < nrows * ncols; i++)
		if (mur_row_get_value(&r, &v) != MUR_OK)
			return 0;
	return mur_rd_left(&r) == 0;
}

/* Room for a task's fixed fields, placement names and parameters beyond
 * its SQL, rows and blob (more only costs a regrowth).  A TPC-B write's
 * task is ~450 bytes: with its ~200 bytes of SQL it fits 1 KB, which
 * malloc serves from its per-thread cache; 4096 made every task an 8 KB
 * buffer from the heap's large bins (12 a transaction on the leader). */
#define EXEC_TASK_ENCODE_SLACK_BYTES 512

/* keys: u32 num | u32 iv | u32 jsonb | u32 bpchar (exec_key_cols). */
static void put_keys(mur_buf *b, const exec_key_cols *k)
{
	mur_buf_put_u32(b, k->num);
	mur_buf_put_u32(b, k->iv);
	mur_buf_put_u32(b, k->jsonb);
	mur_buf_put_u32(b, k->bpchar);
}

static void put_exprs(mur_buf *b, const exec_agg_spec *a)
{
	uint32_t n = a->nexprs < EXEC_NUMX_MAX ? a->nexprs : EXEC_NUMX_MAX;
	mur_buf_put_u32(b, n);
	for (uint32_t i = 0; i < n; i++) {
		const exec_numx *x = &a->exprs[i];
		uint32_t nops = x->nops < EXEC_NUMX_OPS_MAX ? x->nops : EXEC_NUMX_OPS_MAX;
		mur_buf_put_u32(b, nops);
		for (uint32_t k = 0; k < nops; k++) {
			mur_buf_put_u8(b, x->ops[k].op);
			mur_buf_put_u8(b, x->ops[k].scale);
			mur_buf_put_u64(b, (uint64_t)x->ops[k].arg);
		}
	}
}

static void get_keys(mur_rd *r, exec_key_cols *k)
{
	k->num = mur_rd_u32(r);
	k->iv = mur_rd_u32(r);
	k->jsonb = mur_rd_u32(r);
	k->bpchar = mur_rd_u32(r);
}

void exec_task_encode(const exec_task *t, mur_buf *b)
{
	const char *sql = t->sql ? t->sql : "";
	/* one allocation for a long SQL text, rows or blob: no regrowth copies */
	mur_buf_reserve(b, strlen(sql) + (t->rows ? t->rows_len : 0) + (t->blob ? t->blob_len : 0) +
				   EXEC_TASK_ENCODE_SLACK_BYTES);
	mur_buf_put_u8(b, EXEC_WIRE_VERSION);
	mur_buf_put_u64(b, t->id);
	mur_buf_put_u8(b, t->kind);
	mur_buf_put_u8(b, (uint8_t)t->nplacements);
	for (uint32_t i = 0; i < t->nplacements && i < EXEC_TASK_PLACEMENTS_MAX; i++)
		mur_buf_put_lstr(b, t->placements[i],
				 strnlen(t->placements[i], EXEC_PLACEMENT_NAME_MAX - 1));
	mur_buf_put_cstr(b, sql);
	mur_buf_put_u32(b, t->nparams);
	for (uint32_t i = 0; i < t->nparams; i++)
		mur_row_put_value(b, &t->params[i]);
	mur_buf_put_u32(b, t->ncols);
	mur_buf_put_u64(b, t->rows ? t->nrows : 0);
	mur_buf_put_u64(b, t->rows ? t->rows_len : 0);
	if (t->rows)
		mur_buf_put(b, t->rows, t->rows_len);
	mur_buf_put_u8(b, t->has_agg ? 1 : 0);
	if (t->has_agg) {
		mur_buf_put_u32(b, t->agg.ngroup);
		mur_buf_put_u32(b, t->agg.naggs);
		put_keys(b, &t->agg.keys);
		for (uint32_t i = 0; i < t->agg.naggs && i < EXEC_AGGS_MAX; i++) {
			mur_buf_put_u8(b, t->agg.aggs[i].fn);
			mur_buf_put_u32(b, t->agg.aggs[i].col);
		}
		put_exprs(b, &t->agg);
	}
	mur_buf_put_u64(b, t->lsn);
	mur_buf_put_u64(b, t->entry_id);
	mur_buf_put_u8(b, t->capture);
	mur_buf_put_u64(b, t->txn_id);
	mur_buf_put_u8(b, t->entry_kind);
	mur_buf_put_u64(b, t->blob ? t->blob_len : 0);
	if (t->blob)
		mur_buf_put(b, t->blob, t->blob_len);
	mur_buf_put_lstr(b, t->peer_addr, strnlen(t->peer_addr, sizeof t->peer_addr - 1));
	mur_buf_put_u64(b, t->epoch);
	mur_buf_put_u8(b, t->quick ? 1 : 0);
	mur_buf_put_u64(b, t->shuffle_id);
	mur_buf_put_u32(b, t->shuffle_source);
	mur_buf_put_u32(b, t->shuffle_inputs);
	mur_buf_put_u32(b, t->shuffle_hash_cols);
	put_keys(b, &t->shuffle_keys);
	mur_buf_put_lstr(b, t->shuffle_to ? t->shuffle_to : "",
			 t->shuffle_to ? strnlen(t->shuffle_to, EXEC_SHUFFLE_TO_BYTES_MAX) : 0);
	mur_buf_put_u32(b, t->shuffle_stream);
	mur_buf_put_cstr(b, t->shuffle_ddl ? t->shuffle_ddl : "");
	mur_buf_put_cstr(b, t->shuffle_load ? t->shuffle_load : "");
	mur_buf_put_cstr(b, t->shuffle_post ? t->shuffle_post : "");
	mur_buf_put_cstr(b, t->scan_table ? t->scan_table : "");
	mur_buf_put_cstr(b, t->scan_column ? t->scan_column : "");
	mur_buf_put_u64(b, t->target_id);
	mur_buf_put_u8(b, t->early ? 1 : 0);
	mur_buf_put_u64(b, t->fetch_max_bps);
	for (uint32_t i = 1; i < t->nplacements && i < EXEC_TASK_PLACEMENTS_MAX; i++)
		mur_buf_put_u64(b, t->attached_bound[i]);
	mur_buf_put_cstr(b, t->having_sql ? t->having_sql : "");
	mur_buf_put_u32(b, t->shuffle_batch);
	mur_buf_put_u32(b, t->shuffle_merge);
}

/* The expressions' shapes (columns against the input, stack depth) are
 * checked where the input is known: exec_hashagg_validate. */
static int decode_exprs(mur_rd *r, exec_agg_spec *a)
{
	a->nexprs = mur_rd_u32(r);
	if (!mur_rd_ok(r) || a->nexprs > EXEC_NUMX_MAX)
		return MUR_EPROTO;
	for (uint32_t i = 0; i < a->nexprs; i++) {
		exec_numx *x = &a->exprs[i];
		x->nops = mur_rd_u32(r);
		if (!mur_rd_ok(r) || x->nops > EXEC_NUMX_OPS_MAX)
			return MUR_EPROTO;
		for (uint32_t k = 0; k < x->nops; k++) {
			x->ops[k].op = mur_rd_u8(r);
			x->ops[k].scale = mur_rd_u8(r);
			x->ops[k].arg = (int64_t)mur_rd_u64(r);
			if (x->ops[k].op < EXEC_NUMX_COL || x->ops[k].op > EXEC_NUMX_OP_MAX ||
			    x->ops[k].scale > EXEC_NUMX_SCALE_MAX)
				return MUR_EPROTO;
		}
	}
	return mur_rd_ok(r) ? MUR_OK : MUR_EPROTO;
}

static int decode_agg(mur_rd *r, exec_agg_spec *a)
{
	a->ngroup = mur_rd_u32(r);
	a->naggs = mur_rd_u32(r);
	get_keys(r, &a->keys);
	if (!mur_rd_ok(r) || a->naggs > EXEC_AGGS_MAX || a->ngroup > EXEC_WIRE_GROUP_COLS_MAX)
		return MUR_EPROTO;
	for (uint32_t i = 0; i < a->naggs; i++) {
		a->aggs[i].fn = mur_rd_u8(r);
		a->aggs[i].col = mur_rd_u32(r);
		if (a->aggs[i].fn < EXEC_AGG_COUNT_STAR || a->aggs[i].fn > EXEC_AGG_FN_MAX)
			return MUR_EPROTO;
	}
	return mur_rd_ok(r) ? decode_exprs(r, a) : MUR_EPROTO;
}

/* A decode failure at field `what` (exec_task_decode_why names it). */
static int task_bad(const char **why, const char *what)
{
	*why = what;
	return MUR_EPROTO;
}

static int decode_task(mur_rd *r, exec_task *t, const char **why)
{
	uint32_t n;
	const char *s;

	if (mur_rd_u8(r) != EXEC_WIRE_VERSION)
		return task_bad(why, "version");
	t->id = mur_rd_u64(r);
	t->kind = mur_rd_u8(r);
	if (t->kind < EXEC_TASK_QUERY || t->kind > EXEC_TASK_KIND_MAX)
		return task_bad(why, "kind");
	t->nplacements = mur_rd_u8(r);
	if (t->nplacements > EXEC_TASK_PLACEMENTS_MAX ||
	    (t->nplacements < 1 && t->kind != EXEC_TASK_SHUFFLE_RECV &&
	     t->kind != EXEC_TASK_SHUFFLE_CANCEL && t->kind != EXEC_TASK_QUERY_CANCEL &&
	     t->kind != EXEC_TASK_SHUFFLE_FETCH))
		return task_bad(why, "placement count");
	for (uint32_t i = 0; i < t->nplacements; i++) {
		s = mur_rd_lstr(r, &n);
		if (!s || !name_ok(s, n))
			return task_bad(why, "placement name");
		memcpy(t->placements[i], s, n);
		t->placements[i][n] = '\0';
	}
	t->sql = mur_rd_cstr(r);
	if (!t->sql || strlen(t->sql) > EXEC_TASK_SQL_BYTES_MAX)
		return task_bad(why, "sql");
	t->nparams = mur_rd_u32(r);
	if (!mur_rd_ok(r) || t->nparams > mur_rd_left(r))
		return task_bad(why, "~parameters");
	if (t->nparams > EXEC_PARAMS_MAX)
		return task_bad(why, "parameter count");
	if (t->nparams) {
		t->params = calloc(t->nparams, sizeof *t->params);
		if (!t->params)
			return MUR_ENOMEM;
		for (uint32_t i = 0; i < t->nparams; i++)
			if (mur_row_get_value(r, &t->params[i]) != MUR_OK)
				return task_bad(why, "parameters");
	}
	t->ncols = mur_rd_u32(r);
	t->nrows = mur_rd_u64(r);
	uint64_t rows_len = mur_rd_u64(r);
	if (!mur_rd_ok(r) || rows_len > mur_rd_left(r))
		return task_bad(why, "~rows");
	t->rows_len = (size_t)rows_len;
	t->rows = mur_rd_bytes(r, t->rows_len);
	if (!t->rows || !rows_valid(t->rows, t->rows_len, t->nrows, t->ncols))
		return task_bad(why, "rows");
	uint8_t has_agg = mur_rd_u8(r);
	if (has_agg > 1)
		return task_bad(why, "aggregate flag");
	t->has_agg = has_agg;
	if (has_agg && decode_agg(r, &t->agg) != MUR_OK)
		return task_bad(why, "aggregate spec");
	t->lsn = mur_rd_u64(r);
	t->entry_id = mur_rd_u64(r);
	t->capture = mur_rd_u8(r);
	t->txn_id = mur_rd_u64(r);
	t->entry_kind = mur_rd_u8(r);
	uint64_t blob_len = mur_rd_u64(r);
	if (!mur_rd_ok(r) || blob_len > mur_rd_left(r))
		return task_bad(why, "~changeset");
	if (t->capture > EXEC_CAPTURE_LOG || blob_len > mur_rd_left(r) ||
	    t->entry_kind > EXEC_ENTRY_KIND_MAX ||
	    (t->entry_kind != EXEC_ENTRY_DATA && t->entry_kind != EXEC_ENTRY_DDL &&
	     t->txn_id == 0)) /* a marker names its transaction; a DDL entry may not */
		return task_bad(why, "log entry fields");
	t->blob_len = (size_t)blob_len;
	t->blob = blob_len ? mur_rd_bytes(r, t->blob_len) : NULL;
	s = mur_rd_lstr(r, &n);
	if (!s || n >= sizeof t->peer_addr || memchr(s, '\0', n))
		return task_bad(why, "peer address");
	memcpy(t->peer_addr, s, n);
	t->peer_addr[n] = '\0';
	t->epoch = mur_rd_u64(r);
	t->quick = mur_rd_u8(r);
	t->shuffle_id = mur_rd_u64(r);
	t->shuffle_source = mur_rd_u32(r);
	t->shuffle_inputs = mur_rd_u32(r);
	t->shuffle_hash_cols = mur_rd_u32(r);
	get_keys(r, &t->shuffle_keys);
	s = mur_rd_lstr(r, &n);
	if (!s || n > EXEC_SHUFFLE_TO_BYTES_MAX || memchr(s, '\0', n))
		return task_bad(why, "shuffle targets");
	t->shuffle_to = ""; /* a non-empty one is copied to be NUL-terminated */
	if (n > 0) {
		if (!(t->shuffle_to_buf = malloc((size_t)n + 1)))
			return MUR_ENOMEM;
		memcpy(t->shuffle_to_buf, s, n);
		t->shuffle_to_buf[n] = '\0';
		t->shuffle_to = t->shuffle_to_buf;
	}
	t->shuffle_stream = mur_rd_u32(r);
	t->shuffle_ddl = mur_rd_cstr(r);
	t->shuffle_load = mur_rd_cstr(r);
	t->shuffle_post = mur_rd_cstr(r);
	t->scan_table = mur_rd_cstr(r);
	t->scan_column = mur_rd_cstr(r);
	t->target_id = mur_rd_u64(r);
	t->early = mur_rd_u8(r);
	t->fetch_max_bps = mur_rd_u64(r);
	for (uint32_t i = 1; i < t->nplacements; i++)
		t->attached_bound[i] = mur_rd_u64(r);
	t->having_sql = mur_rd_cstr(r);
	t->shuffle_batch = mur_rd_u32(r);
	t->shuffle_merge = mur_rd_u32(r);
	if (t->shuffle_merge > t->shuffle_stream)
		return task_bad(why, "shuffle merge");
	if (!t->having_sql || strlen(t->having_sql) > EXEC_TASK_SQL_BYTES_MAX)
		return task_bad(why, "having sql");
	if (!t->shuffle_ddl || !t->shuffle_load || !t->shuffle_post ||
	    strlen(t->shuffle_ddl) > EXEC_TASK_SQL_BYTES_MAX ||
	    strlen(t->shuffle_load) > EXEC_TASK_SQL_BYTES_MAX ||
	    strlen(t->shuffle_post) > EXEC_TASK_SQL_BYTES_MAX || !t->scan_table ||
	    !t->scan_column || strlen(t->scan_table) >= EXEC_TASK_IDENT_MAX ||
	    strlen(t->scan_column) >= EXEC_TASK_IDENT_MAX)
		return task_bad(why, "shuffle or scan text");
	if (!mur_rd_ok(r) || mur_rd_left(r) != 0 || t->quick > 1 || t->early > 1 ||
	    (t->kind == EXEC_TASK_SHUFFLE_SEND &&
	     (t->shuffle_inputs == 0 || t->shuffle_source >= t->shuffle_inputs)))
		return task_bad(why, "trailer");
	return MUR_OK;
}

int exec_task_decode_why(const char *p, size_t len, exec_task *t, uint64_t *id, char *why,
			 size_t whysz)
{
	mur_rd r;
	const char *field = "body";
	int rc;
	memset(t, 0, sizeof *t);
	mur_rd_init(&r, p, len);
	rc = decode_task(&r, t, &field);
	if (rc == MUR_OK)
		return MUR_OK;
	exec_task_free_decoded(t);
	memset(t, 0, sizeof *t);
	if (rc == MUR_ENOMEM)
		return MUR_ENOMEM;
	/* the id follows the version byte: known when the frame holds it */
	*id = 0;
	if (len >= 9)
		for (int i = 1; i < 9; i++)
			*id = *id << 8 | (uint8_t)p[i];
	if (!why)
		return MUR_EPROTO;
	if (len < 9)
		snprintf(why, whysz, "truncated task header (%zu bytes, no task id)", len);
	else if (!strcmp(field, "version"))
		snprintf(why, whysz, "task encoding version %u, expected %u", (uint8_t)p[0],
			 EXEC_WIRE_VERSION);
	else if (!strcmp(field, "kind") && len > 9)
		snprintf(why, whysz, "unknown task kind %u", (uint8_t)p[9]);
	else if (!mur_rd_ok(&r) || field[0] == '~') /* '~': a length past the end */
		snprintf(why, whysz, "truncated task body (%zu bytes), found reading its %s", len,
			 field + (field[0] == '~'));
	else if (!strcmp(field, "trailer") && mur_rd_left(&r))
		snprintf(why, whysz, "%zu unexpected bytes after the task's last field",
			 mur_rd_left(&r));
	else
		snprintf(why, whysz, "malformed task field: %s", field);
	return MUR_EPROTO;
}

int exec_task_decode(const char *p, size_t len, exec_task *t)
{
	uint64_t id;
	return exec_task_decode_why(p, len, t, &id, NULL, 0);
}

void exec_task_free_decoded(exec_task *t)
{
	free(t->params);
	t->params = NULL;
	t->nparams = 0;
	free(t->shuffle_to_buf);
	t->shuffle_to_buf = NULL;
	t->shuffle_to = "";
}

/* Every field zero but err's text buffers (2 KiB of its 2.3: zeroed, they
 * were most of an answer's cost on the leader, which inits and frees one
 * per frame), which mur_error_clear empties. */
_Static_assert(offsetof(exec_result, err) > offsetof(exec_result, failed) &&
		       offsetof(exec_result, ncols) > offsetof(exec_result, err),
	       "exec_result_init zeroes task_id and failed, then from ncols on");

void exec_result_init(exec_result *r)
{
	r->task_id = 0;
	r->failed = 0;
	mur_error_clear(&r->err);
	memset(&r->ncols, 0, sizeof *r - offsetof(exec_result, ncols));
	mur_buf_init(&r->rows);
	mur_buf_init(&r->blob);
	mur_error_clear(&r->err);
}

void exec_result_free(exec_result *r)
{
	mur_buf_free(&r->rows);
	mur_buf_free(&r->blob);
	exec_result_init(r);
}

static void put_text(mur_buf *b, const char *s, size_t max)
{
	mur_buf_put_lstr(b, s, strnlen(s, max - 1));
}

void exec_result_encode(const exec_result *r, mur_buf *b)
{
	mur_buf_put_u8(b, EXEC_WIRE_VERSION);
	mur_buf_put_u64(b, r->task_id);
	mur_buf_put_u8(b, r->failed ? 1 : 0);
	mur_buf_put_u8(b, r->early ? 1 : 0);
	if (r->failed) {
		char st[5] = {'X', 'X', '0', '0', '0'};
		if (strnlen(r->err.sqlstate, 6) == 5)
			memcpy(st, r->err.sqlstate, 5);
		mur_buf_put(b, st, 5);
		mur_buf_put_u32(b, (uint32_t)r->err.position);
		mur_buf_put_u32(b, r->err.row);
		put_text(b, r->err.message, MUR_ERROR_MESSAGE_MAX);
		put_text(b, r->err.detail, MUR_ERROR_DETAIL_MAX);
		put_text(b, r->err.hint, MUR_ERROR_DETAIL_MAX);
	}
	mur_buf_put_u32(b, r->ncols);
	mur_buf_put_u64(b, r->nrows);
	mur_buf_put_u64(b, r->rows.len);
	mur_buf_put(b, r->rows.data, r->rows.len);
	mur_buf_put_u64(b, r->changes);
	mur_buf_put_u64(b, r->lsn);
	mur_buf_put_u64(b, r->elapsed_us);
	mur_buf_put_u64(b, r->cpu_us);
	mur_buf_put_u64(b, r->entry_id);
	mur_buf_put_u64(b, r->blob.len);
	mur_buf_put(b, r->blob.data, r->blob.len);
	uint8_t n = r->nattached < EXEC_TASK_PLACEMENTS_MAX ? r->nattached : 0;
	mur_buf_put_u8(b, n);
	for (uint32_t i = 1; i <= n; i++) {
		mur_buf_put_u64(b, r->attached_lsn[i]);
		mur_buf_put_u64(b, r->attached_entry_id[i]);
	}
}

/* A bounded text field without NULs into dst (NUL-terminated). */
static int get_text(mur_rd *r, char *dst, size_t max)
{
	uint32_t n;
	const char *s = mur_rd_lstr(r, &n);
	if (!s || n >= max || memchr(s, '\0', n))
		return MUR_EPROTO;
	memcpy(dst, s, n);
	dst[n] = '\0';
	return MUR_OK;
}

static int decode_error(mur_rd *r, mur_error *e)
{
	const char *st = mur_rd_bytes(r, 5);
	if (!st)
		return MUR_EPROTO;
	for (int i = 0; i < 5; i++)
		if (!((st[i] >= '0' && st[i] <= '9') || (st[i] >= 'A' && st[i] <= 'Z')))
			return MUR_EPROTO;
	memcpy(e->sqlstate, st, 5);
	e->sqlstate[5] = '\0';
	uint32_t pos = mur_rd_u32(r);
	if (pos > (uint32_t)EXEC_TASK_SQL_BYTES_MAX)
		return MUR_EPROTO;
	e->position = (int)pos;
	e->row = mur_rd_u32(r);
	e->context[0] = '\0'; /* the leader's own: not sent */
	if (get_text(r, e->message, sizeof e->message) ||
	    get_text(r, e->detail, sizeof e->detail) || get_text(r, e->hint, sizeof e->hint))
		return MUR_EPROTO;
	return MUR_OK;
}

static int decode_result(mur_rd *r, exec_result *res)
{
	if (mur_rd_u8(r) != EXEC_WIRE_VERSION)
		return MUR_EPROTO;
	res->task_id = mur_rd_u64(r);
	uint8_t failed = mur_rd_u8(r);
	uint8_t early = mur_rd_u8(r);
	if (!mur_rd_ok(r) || failed > 1 || early > 1)
		return MUR_EPROTO;
	res->failed = failed;
	res->early = early;
	if (failed && decode_error(r, &res->err) != MUR_OK)
		return MUR_EPROTO;
	res->ncols = mur_rd_u32(r);
	res->nrows = mur_rd_u64(r);
	uint64_t rows_len = mur_rd_u64(r);
	if (!mur_rd_ok(r) || rows_len > mur_rd_left(r) || rows_len > EXEC_RESULT_ROWS_BYTES_MAX)
		return MUR_EPROTO;
	const char *rows = mur_rd_bytes(r, (size_t)rows_len);
	if (!rows || !rows_valid(rows, (size_t)rows_len, res->nrows, res->ncols))
		return MUR_EPROTO;
	res->changes = mur_rd_u64(r);
	res->lsn = mur_rd_u64(r);
	res->elapsed_us = mur_rd_u64(r);
	res->cpu_us = mur_rd_u64(r);
	res->entry_id = mur_rd_u64(r);
	uint64_t blob_len = mur_rd_u64(r);
	if (!mur_rd_ok(r) || blob_len > mur_rd_left(r))
		return MUR_EPROTO;
	const char *blob = mur_rd_bytes(r, (size_t)blob_len);
	res->nattached = mur_rd_u8(r);
	if (!mur_rd_ok(r) || res->nattached >= EXEC_TASK_PLACEMENTS_MAX)
		return MUR_EPROTO;
	for (uint32_t i = 1; i <= res->nattached; i++) {
		res->attached_lsn[i] = mur_rd_u64(r);
		res->attached_entry_id[i] = mur_rd_u64(r);
	}
	if (!mur_rd_ok(r) || mur_rd_left(r) != 0)
		return MUR_EPROTO;
	mur_buf_put(&res->rows, rows, (size_t)rows_len);
	if (blob_len)
		mur_buf_put(&res->blob, blob, (size_t)blob_len);
	return mur_buf_ok(&res->rows) && mur_buf_ok(&res->blob) ? MUR_OK : MUR_ENOMEM;
}

int exec_result_decode(const char *p, size_t len, exec_result *r)
{
	mur_rd rd;
	mur_buf rows = r->rows; /* keep its memory */
	mur_buf_reset(&rows);
	exec_result_init(r);
	r->rows = rows;
	mur_rd_init(&rd, p, len);
	int rc = decode_result(&rd, r);
	if (rc != MUR_OK) {
		rows = r->rows;
		mur_buf_reset(&rows);
		exec_result_init(r);
		r->rows = rows;
		return rc == MUR_ENOMEM ? MUR_ENOMEM : MUR_EPROTO;
	}
	return MUR_OK;
}
