/*
 * proto.c — encoders/decoders for the node protocol's messages (see
 * proto.h for layouts): the leader link's small messages and PROGRESS, and
 * the follower-to-follower peer messages.  TASK and RESULT payloads are
 * wire/task.c's.  Chunk encoders write only the fixed header so the sender
 * can read file or log bytes straight into the same buffer.
 */
#include "wire/proto.h"

#include <stdio.h>
#include <string.h>

static const char *const msg_names[NET_MSG_COUNT] = {
	[NET_MSG_HELLO] = "HELLO",
	[NET_MSG_WELCOME] = "WELCOME",
	[NET_MSG_REFUSED] = "REFUSED",
	[NET_MSG_HEARTBEAT] = "HEARTBEAT",
	[NET_MSG_TASK] = "TASK",
	[NET_MSG_RESULT] = "RESULT",
	[NET_MSG_PROGRESS] = "PROGRESS",
	[NET_MSG_FETCH_SNAPSHOT] = "FETCH_SNAPSHOT",
	[NET_MSG_SNAPSHOT_CHUNK] = "SNAPSHOT_CHUNK",
	[NET_MSG_SNAPSHOT_END] = "SNAPSHOT_END",
	[NET_MSG_FETCH_LOG] = "FETCH_LOG",
	[NET_MSG_LOG_CHUNK] = "LOG_CHUNK",
	[NET_MSG_LOG_END] = "LOG_END",
	[NET_MSG_PEER_ACK] = "PEER_ACK",
	[NET_MSG_PEER_ERROR] = "PEER_ERROR",
	[NET_MSG_SHUFFLE_DATA] = "SHUFFLE_DATA",
	[NET_MSG_SHUFFLE_ACK] = "SHUFFLE_ACK",
	[NET_MSG_CHALLENGE] = "CHALLENGE",
};

int net_msg_type_ok(uint8_t type) { return type >= NET_MSG_HELLO && type < NET_MSG_COUNT; }

const char *net_msg_name(uint8_t type)
{
	return net_msg_type_ok(type) ? msg_names[type] : "unknown";
}

static int malformed(mur_error *err, const char *what)
{
	mur_error_set(err, SQLSTATE_PROTOCOL_VIOLATION, "malformed %s message", what);
	return MUR_EPROTO;
}

/* Read a string of at most cap-1 bytes without NULs into out. */
static int get_str(mur_rd *r, char *out, size_t cap)
{
	uint32_t n;
	const char *s = mur_rd_lstr(r, &n);
	if (!mur_rd_ok(r) || n >= cap || memchr(s, '\0', n))
		return -1;
	memcpy(out, s, n);
	out[n] = '\0';
	return 0;
}

void net_hello_encode(const net_hello *h, mur_buf *b)
{
	mur_buf_put_u32(b, h->version);
	mur_buf_put(b, h->nonce, NET_NONCE_BYTES);
	mur_buf_put(b, h->proof, NET_PROOF_BYTES);
	mur_buf_put_lstr(b, h->name, strlen(h->name));
	mur_buf_put_lstr(b, h->addr, strlen(h->addr));
}

/* n fixed bytes into out; 0 on a short read. */
static int get_fixed(mur_rd *r, uint8_t *out, size_t n)
{
	const char *s = mur_rd_bytes(r, n);
	if (!mur_rd_ok(r))
		return 0;
	memcpy(out, s, n);
	return 1;
}

int net_hello_decode(const char *p, size_t len, net_hello *h, mur_error *err)
{
	mur_rd r;
	memset(h, 0, sizeof *h);
	mur_rd_init(&r, p, len);
	h->version = mur_rd_u32(&r);
	if (!mur_rd_ok(&r))
		return malformed(err, "HELLO");
	if (h->version != NET_PROTO_VERSION)
		return mur_error_set(err, SQLSTATE_PROTOCOL_VIOLATION,
				     "node protocol version %u is not supported", h->version),
		       MUR_ERR;
	if (!get_fixed(&r, h->nonce, NET_NONCE_BYTES) ||
	    !get_fixed(&r, h->proof, NET_PROOF_BYTES) || get_str(&r, h->name, sizeof h->name) ||
	    get_str(&r, h->addr, sizeof h->addr) || mur_rd_left(&r) != 0)
		return malformed(err, "HELLO");
	return MUR_OK;
}

void net_challenge_encode(const uint8_t *nonce, mur_buf *b)
{
	mur_buf_put_u32(b, NET_PROTO_VERSION);
	mur_buf_put(b, nonce, NET_NONCE_BYTES);
}

int net_challenge_decode(const char *p, size_t len, uint32_t *version, uint8_t *nonce,
			 mur_error *err)
{
	mur_rd r;
	mur_rd_init(&r, p, len);
	*version = mur_rd_u32(&r);
	if (!mur_rd_ok(&r))
		return malformed(err, "CHALLENGE");
	if (*version != NET_PROTO_VERSION)
		return MUR_OK;
	if (!get_fixed(&r, nonce, NET_NONCE_BYTES) || mur_rd_left(&r) != 0)
		return malformed(err, "CHALLENGE");
	return MUR_OK;
}

void net_welcome_encode(uint32_t node_id, const uint8_t *proof, mur_buf *b)
{
	mur_buf_put_u32(b, node_id);
	mur_buf_put(b, proof, NET_PROOF_BYTES);
}

int net_welcome_decode(const char *p, size_t len, uint32_t *node_id, uint8_t *proof, mur_error *err)
{
	mur_rd r;
	mur_rd_init(&r, p, len);
	*node_id = mur_rd_u32(&r);
	if (!mur_rd_ok(&r) || !get_fixed(&r, proof, NET_PROOF_BYTES) || mur_rd_left(&r) != 0)
		return malformed(err, "WELCOME");
	return MUR_OK;
}

void net_refused_encode(const char *reason, mur_buf *b)
{
	size_t n = strlen(reason);
	if (n >= NET_REASON_MAX)
		n = NET_REASON_MAX - 1;
	mur_buf_put_lstr(b, reason, n);
}

int net_refused_decode(const char *p, size_t len, char *out, mur_error *err)
{
	mur_rd r;
	mur_rd_init(&r, p, len);
	out[0] = '\0';
	if (get_str(&r, out, NET_REASON_MAX) || mur_rd_left(&r) != 0)
		return malformed(err, "REFUSED");
	return MUR_OK;
}

void net_heartbeat_encode(int64_t wall_ms, uint64_t disk_bytes, const mur_buf *files, mur_buf *b)
{
	mur_buf_put_i64(b, wall_ms);
	mur_buf_put_u64(b, disk_bytes);
	if (files) {
		mur_buf_put_u8(b, 1);
		mur_buf_put(b, files->data, files->len);
	}
}

void net_heartbeat_file_put(mur_buf *b, const char *file, uint64_t bytes)
{
	size_t n = strlen(file);
	if (n >= NET_NAME_MAX)
		return;
	mur_buf_put_lstr(b, file, n);
	mur_buf_put_u64(b, bytes);
}

int net_heartbeat_file_next(mur_rd *r, char *file, uint64_t *bytes)
{
	if (mur_rd_left(r) == 0 || get_str(r, file, NET_NAME_MAX))
		return 0;
	*bytes = mur_rd_u64(r);
	return mur_rd_ok(r);
}

int net_heartbeat_decode(const char *p, size_t len, int64_t *wall_ms, uint64_t *disk_bytes,
			 const char **files, size_t *files_len, mur_error *err)
{
	mur_rd r, list;
	char file[NET_NAME_MAX];
	uint64_t bytes;
	mur_rd_init(&r, p, len);
	*wall_ms = mur_rd_i64(&r);
	*disk_bytes = mur_rd_ok(&r) && mur_rd_left(&r) > 0 ? mur_rd_u64(&r) : 0;
	*files = NULL;
	*files_len = 0;
	if (mur_rd_ok(&r) && mur_rd_left(&r) > 0) {
		if (mur_rd_u8(&r) != 1)
			return malformed(err, "HEARTBEAT");
		*files_len = mur_rd_left(&r);
		*files = mur_rd_bytes(&r, *files_len);
		mur_rd_init(&list, *files, *files_len);
		while (net_heartbeat_file_next(&list, file, &bytes))
			;
		if (!mur_rd_ok(&list) || mur_rd_left(&list) != 0)
			return malformed(err, "HEARTBEAT");
	}
	if (!mur_rd_ok(&r) || mur_rd_left(&r) != 0)
		return malformed(err, "HEARTBEAT");
	return MUR_OK;
}

/* ---- PROGRESS ------------------------------------------------------------ */

void net_progress_encode(const net_progress *pr, mur_buf *b)
{
	mur_buf_put_u64(b, pr->task_id);
	mur_buf_put_lstr(b, pr->file, strnlen(pr->file, sizeof pr->file - 1));
	mur_buf_put_lstr(b, pr->phase, strnlen(pr->phase, sizeof pr->phase - 1));
	mur_buf_put_u64(b, pr->done);
	mur_buf_put_u64(b, pr->total);
}

int net_progress_decode(const char *p, size_t len, net_progress *pr, mur_error *err)
{
	mur_rd r;
	memset(pr, 0, sizeof *pr);
	mur_rd_init(&r, p, len);
	pr->task_id = mur_rd_u64(&r);
	if (!mur_rd_ok(&r) || get_str(&r, pr->file, sizeof pr->file) ||
	    get_str(&r, pr->phase, sizeof pr->phase))
		return malformed(err, "PROGRESS");
	pr->done = mur_rd_u64(&r);
	pr->total = mur_rd_u64(&r);
	if (!mur_rd_ok(&r) || mur_rd_left(&r) != 0)
		return malformed(err, "PROGRESS");
	return MUR_OK;
}

/* ---- peer requests ------------------------------------------------------- */

void net_fetch_snapshot_encode(const char *file, mur_buf *b)
{
	mur_buf_put_lstr(b, file, strnlen(file, NET_NAME_MAX - 1));
}

int net_fetch_snapshot_decode(const char *p, size_t len, char *file, mur_error *err)
{
	mur_rd r;
	mur_rd_init(&r, p, len);
	file[0] = '\0';
	if (get_str(&r, file, NET_NAME_MAX) || mur_rd_left(&r) != 0)
		return malformed(err, "FETCH_SNAPSHOT");
	return MUR_OK;
}

void net_fetch_log_encode(const net_fetch_log *f, mur_buf *b)
{
	mur_buf_put_lstr(b, f->file, strnlen(f->file, sizeof f->file - 1));
	mur_buf_put_u64(b, f->after_lsn);
	mur_buf_put_u64(b, f->upto_lsn);
	mur_buf_put_u64(b, f->after_entry_id);
}

int net_fetch_log_decode(const char *p, size_t len, net_fetch_log *f, mur_error *err)
{
	mur_rd r;
	memset(f, 0, sizeof *f);
	mur_rd_init(&r, p, len);
	if (get_str(&r, f->file, sizeof f->file))
		return malformed(err, "FETCH_LOG");
	f->after_lsn = mur_rd_u64(&r);
	f->upto_lsn = mur_rd_u64(&r);
	f->after_entry_id = mur_rd_u64(&r);
	if (!mur_rd_ok(&r) || mur_rd_left(&r) != 0)
		return malformed(err, "FETCH_LOG");
	return MUR_OK;
}

void net_peer_ack_encode(uint32_t chunks, mur_buf *b) { mur_buf_put_u32(b, chunks); }

int net_peer_ack_decode(const char *p, size_t len, uint32_t *chunks, mur_error *err)
{
	mur_rd r;
	mur_rd_init(&r, p, len);
	*chunks = mur_rd_u32(&r);
	if (!mur_rd_ok(&r) || mur_rd_left(&r) != 0 || *chunks == 0)
		return malformed(err, "PEER_ACK");
	return MUR_OK;
}

/* ---- peer answers -------------------------------------------------------- */

void net_snapshot_chunk_header_encode(uint64_t offset, uint64_t total, uint64_t lsn, mur_buf *b)
{
	mur_buf_put_u64(b, offset);
	mur_buf_put_u64(b, total);
	mur_buf_put_u64(b, lsn);
}

int net_snapshot_chunk_decode(const char *p, size_t len, net_snapshot_chunk *c, mur_error *err)
{
	mur_rd r;
	mur_rd_init(&r, p, len);
	c->offset = mur_rd_u64(&r);
	c->total = mur_rd_u64(&r);
	c->lsn = mur_rd_u64(&r);
	if (!mur_rd_ok(&r))
		return malformed(err, "SNAPSHOT_CHUNK");
	c->len = mur_rd_left(&r);
	c->data = mur_rd_bytes(&r, c->len);
	if (c->offset > c->total || c->len > c->total - c->offset)
		return malformed(err, "SNAPSHOT_CHUNK");
	return MUR_OK;
}

void net_snapshot_end_encode(uint64_t total, uint64_t lsn, mur_buf *b)
{
	mur_buf_put_u64(b, total);
	mur_buf_put_u64(b, lsn);
}

int net_snapshot_end_decode(const char *p, size_t len, uint64_t *total, uint64_t *lsn,
			    mur_error *err)
{
	mur_rd r;
	mur_rd_init(&r, p, len);
	*total = mur_rd_u64(&r);
	*lsn = mur_rd_u64(&r);
	if (!mur_rd_ok(&r) || mur_rd_left(&r) != 0)
		return malformed(err, "SNAPSHOT_END");
	return MUR_OK;
}

void net_log_chunk_header_encode(uint64_t nentries, uint64_t last_lsn, uint64_t upto_lsn,
				 mur_buf *b)
{
	mur_buf_put_u64(b, nentries);
	mur_buf_put_u64(b, last_lsn);
	mur_buf_put_u64(b, upto_lsn);
}

int net_log_chunk_decode(const char *p, size_t len, net_log_chunk *c, mur_error *err)
{
	mur_rd r;
	mur_rd_init(&r, p, len);
	c->nentries = mur_rd_u64(&r);
	c->last_lsn = mur_rd_u64(&r);
	c->upto_lsn = mur_rd_u64(&r);
	if (!mur_rd_ok(&r) || c->nentries == 0)
		return malformed(err, "LOG_CHUNK");
	c->len = mur_rd_left(&r);
	c->data = mur_rd_bytes(&r, c->len);
	return MUR_OK;
}

void net_log_end_encode(uint64_t last_lsn, mur_buf *b) { mur_buf_put_u64(b, last_lsn); }

int net_log_end_decode(const char *p, size_t len, uint64_t *last_lsn, mur_error *err)
{
	mur_rd r;
	mur_rd_init(&r, p, len);
	*last_lsn = mur_rd_u64(&r);
	if (!mur_rd_ok(&r) || mur_rd_left(&r) != 0)
		return malformed(err, "LOG_END");
	return MUR_OK;
}

void net_peer_error_encode(const mur_error *e, mur_buf *b)
{
	mur_buf_put_lstr(b, e->sqlstate, strnlen(e->sqlstate, sizeof e->sqlstate - 1));
	mur_buf_put_lstr(b, e->message, strnlen(e->message, sizeof e->message - 1));
}

int net_peer_error_decode(const char *p, size_t len, mur_error *out, mur_error *err)
{
	mur_rd r;
	mur_error_clear(out);
	mur_rd_init(&r, p, len);
	if (get_str(&r, out->sqlstate, sizeof out->sqlstate) || strlen(out->sqlstate) != 5 ||
	    get_str(&r, out->message, sizeof out->message) || mur_rd_left(&r) != 0) {
		mur_error_clear(out);
		return malformed(err, "PEER_ERROR");
	}
	return MUR_OK;
}

/* ---- shuffle --------------------------------------------------------------- */

void net_shuffle_data_header_encode(const net_shuffle_data *d, mur_buf *b)
{
	mur_buf_put_u64(b, d->shuffle_id);
	mur_buf_put_u32(b, d->source);
	mur_buf_put_u32(b, d->inputs);
	mur_buf_put_u32(b, d->stream);
	mur_buf_put_u8(b, d->last);
	mur_buf_put_u32(b, d->ncols);
	mur_buf_put_u64(b, d->nrows);
}

int net_shuffle_data_decode(const char *p, size_t len, net_shuffle_data *d, mur_error *err)
{
	mur_rd r;
	mur_rd_init(&r, p, len);
	d->shuffle_id = mur_rd_u64(&r);
	d->source = mur_rd_u32(&r);
	d->inputs = mur_rd_u32(&r);
	d->stream = mur_rd_u32(&r);
	d->last = mur_rd_u8(&r);
	d->ncols = mur_rd_u32(&r);
	d->nrows = mur_rd_u64(&r);
	if (!mur_rd_ok(&r) || d->source >= d->inputs || d->last > 1)
		return malformed(err, "SHUFFLE_DATA");
	d->rows_len = mur_rd_left(&r);
	d->rows = p + (len - d->rows_len);
	return MUR_OK;
}

void net_shuffle_ack_encode(uint64_t shuffle_id, uint32_t source, mur_buf *b)
{
	mur_buf_put_u64(b, shuffle_id);
	mur_buf_put_u32(b, source);
}

int net_shuffle_ack_decode(const char *p, size_t len, uint64_t *shuffle_id, uint32_t *source,
			   mur_error *err)
{
	mur_rd r;
	mur_rd_init(&r, p, len);
	*shuffle_id = mur_rd_u64(&r);
	*source = mur_rd_u32(&r);
	if (!mur_rd_ok(&r) || mur_rd_left(&r) != 0)
		return malformed(err, "SHUFFLE_ACK");
	return MUR_OK;
}
