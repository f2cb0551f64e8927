/*
 * proto.c — encoders/decoders for the node protocol's small messages (see
 * proto.h for layouts).  TASK and RESULT payloads are exec/task.c's.
 */
#include "net/proto.h"

#include <stdio.h>
#include <string.h>

static const char *const msg_names[NET_MSG_COUNT] = {
	[NET_MSG_HELLO] = "HELLO",         [NET_MSG_WELCOME] = "WELCOME",
	[NET_MSG_REFUSED] = "REFUSED",     [NET_MSG_HEARTBEAT] = "HEARTBEAT",
	[NET_MSG_TASK] = "TASK",           [NET_MSG_RESULT] = "RESULT",
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
	mur_buf_put_lstr(b, h->secret, strlen(h->secret));
	mur_buf_put_lstr(b, h->name, strlen(h->name));
	mur_buf_put_lstr(b, h->addr, strlen(h->addr));
}

int net_hello_decode(const char *p, size_t len, net_hello *h, mur_error *err)
{
	mur_rd r;
	memset(h, 0, sizeof *h);
	mur_rd_init(&r, p, len);
	h->version = mur_rd_u32(&r);
	if (!mur_rd_ok(&r) || get_str(&r, h->secret, sizeof h->secret) ||
	    get_str(&r, h->name, sizeof h->name) || get_str(&r, h->addr, sizeof h->addr) ||
	    mur_rd_left(&r) != 0)
		return malformed(err, "HELLO");
	return MUR_OK;
}

void net_welcome_encode(uint32_t node_id, mur_buf *b) { mur_buf_put_u32(b, node_id); }

int net_welcome_decode(const char *p, size_t len, uint32_t *node_id, mur_error *err)
{
	mur_rd r;
	mur_rd_init(&r, p, len);
	*node_id = mur_rd_u32(&r);
	if (!mur_rd_ok(&r) || mur_rd_left(&r) != 0)
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

void net_heartbeat_encode(int64_t wall_ms, mur_buf *b) { mur_buf_put_i64(b, wall_ms); }

int net_heartbeat_decode(const char *p, size_t len, int64_t *wall_ms, mur_error *err)
{
	mur_rd r;
	mur_rd_init(&r, p, len);
	*wall_ms = mur_rd_i64(&r);
	if (!mur_rd_ok(&r) || mur_rd_left(&r) != 0)
		return malformed(err, "HEARTBEAT");
	return MUR_OK;
}
