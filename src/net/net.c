/*
 * net.c — framed transport over libuv TCP (see net.h for the frame format,
 * the state machine and the lifetime rules).
 *
 * Receive path: libuv asks alloc_cb for a buffer.  Normally that is one
 * thread-local 64 KiB chunk (net_rbuf) shared by every connection of the
 * loop thread — nothing points into it once read_cb returns, because a
 * partial frame is copied into the conn's own frame buffer.  A frame whose
 * payload arrived whole inside the chunk is delivered straight from it
 * (no copy).  While a large payload is outstanding (>= one chunk left),
 * alloc_cb hands out the tail of the frame buffer itself, so multi-MB
 * frames are read with no extra copy.  The frame buffer grows
 * geometrically as bytes arrive, never past the announced length, so a
 * peer announcing 1 GiB and sending 10 bytes costs us 64 KiB, not 1 GiB.
 *
 * Send path: each frame is one malloc'd block (write request + header +
 * payload) and one uv_write; libuv writes immediately when its queue is
 * empty (TCP_NODELAY is on).  Between net_conn_cork and net_conn_uncork,
 * and while the loop runs its I/O callbacks ("Loop turn" below), frames
 * are appended to one block instead, written as one at the uncork or at
 * the end of the loop's poll phase (the same turn); a block written whole
 * is kept for the conn's next one (NET_CORK_KEEP_MAX), so a burst is not
 * copied again at each doubling of a block grown afresh.  The queue is
 * accounted in bytes and frames and bounded (NET_SENDQ_*).
 *
 * Handles: a conn owns a uv_tcp_t and a uv_timer_t (read timeout); it is
 * freed when both close callbacks have run.  Pending write callbacks run
 * (with UV_ECANCELED) before the tcp close callback, so no write request
 * outlives the conn.
 *
 * Fault injection (net.h): every frame passes fault_drops() — the conn's
 * drop policy, or for a dialed conn its address on this thread's blocked
 * list — and then fault_delays(): with a delay set, or frames still held,
 * it goes through the conn's delay queue (netfault.c, created on first
 * use, destroyed with the conn) and comes back through delay_release.  A
 * frame received under delay is copied (or its frame buffer taken); one
 * sent under delay is copied.  Dialed conns sit on a per-thread list so
 * net_fault_unblock_all can close the ones that lost frames.
 *
 * Sent marks (net.h): net_conn_send counts each frame it accepts into
 * out_mark (the stream offset of its end) and write_block counts the bytes
 * it hands to the socket or TLS into tx_in; net_conn_close takes off what
 * libuv still queues (handed_final).  A frame whose mark is past that never
 * left: the layer above (cluster/route.c) knows its peer cannot have it.
 * Two additions per frame, no callback.  A frame counted and then thrown
 * away unsent while the conn stays open (a drop fault at a delayed frame's
 * release) is counted as handed, so a later frame is never called unsent
 * wrongly.
 *
 * Node TLS ("node TLS" below; net_tls.c): a conn with c->tls reads every
 * chunk into net_rbuf (never straight into a frame buffer: the bytes are
 * ciphertext), passes it through net_tls_recv and parses the plaintext as
 * usual; write_block hands each block of whole frames to net_tls_send and
 * writes the ciphertext instead (sock_write_block).  Everything above —
 * frames, cork and turn gathering, limits, fault injection — is the same.
 */
#include "net/net.h"

#include "common/log.h"
#include "common/trace.h"
#include "net/net_tls.h"
#include "net/netfault.h"

#include <assert.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* One read syscall's worth; also the threshold for reading a payload
 * straight into the frame buffer. */
#define NET_READ_CHUNK (64 * 1024)
/* Frame buffers up to this size are kept for the next frame; larger ones
 * are freed after delivery so an idle connection does not pin a big
 * buffer. */
#define NET_FRAME_KEEP_MAX (1024 * 1024)
#define NET_REASON_MAX 256
/* A conn's frames gathered in one loop turn are written once they reach
 * this many bytes, and a frame this big is not gathered: past it one more
 * write costs little next to copying the bytes into the block (the receiver
 * reads 64 KiB at a time, NET_READ_CHUNK). */
#define NET_TURN_BLOCK_MAX (64 * 1024)
/* A cork block written whole is kept (one per conn) for the conn's next
 * cork or turn, up to this capacity: a burst of frames (a COPY's batches
 * to a follower, ~50 KiB a statement) is copied into the block once, not
 * again at every doubling of a block grown from 4 KiB each turn. */
#define NET_CORK_KEEP_MAX (2 * NET_TURN_BLOCK_MAX)
/* Plaintext bytes encrypted before their ciphertext is written (node TLS). */
#define NET_TLS_SLICE ((size_t)1024 * 1024)

typedef enum net_conn_state {
	NC_ACCEPTED = 0, /* accepted, waiting for net_conn_start */
	NC_CONNECTING,
	NC_OPEN,
	NC_SHUTTING, /* net_conn_shutdown: flushing, then CLOSING */
	NC_CLOSING,
} net_conn_state;

struct net_conn {
	uv_tcp_t tcp;
	uv_timer_t timer;
	uv_connect_t connect_req;
	uv_shutdown_t shutdown_req;
	net_conn_state state;
	int handles_open;
	int started; /* the user has seen it: on_close is owed */
	net_conn_cbs cbs;
	void *arg;
	net_fault fault;
	net_filter_fn filter; /* fault injection hook, or NULL */
	void *filter_arg;
	net_delayq *dq; /* frames held back by fault.delay_ms, or NULL */
	int rx_paused;  /* reading stopped: too many received bytes held */
	int fault_lost; /* a frame was dropped by fault injection */
	int dialed;     /* made by net_connect (dial_sa is its address) */
	struct sockaddr_storage dial_sa;
	struct net_conn *dprev, *dnext; /* this thread's dialed conns */
	char peer[NET_ADDR_MAX];
	char reason[NET_REASON_MAX];
	size_t frame_max;
	uint64_t read_timeout_ms;

	/* reassembly: header bytes, then payload into frame[] */
	unsigned char hdr[NET_HEADER_SIZE];
	size_t hdr_got;
	uint8_t type;
	size_t payload_len;
	size_t payload_got;
	char *frame;
	size_t frame_cap;

	/* the frame being delivered (valid during on_frame) */
	const char *cur;
	size_t cur_len;
	int cur_owned;

	size_t sendq_bytes;
	size_t sendq_frames;

	/* net_conn_cork, and the loop turn's gathering: frames appended to one
	 * write block (cork_w) until uncorked or the turn's check */
	int corked;
	struct net_wreq *cork_w;
	size_t cork_cap;
	struct net_wreq *cork_spare;    /* a cork block written whole, for the next (cap set) */
	struct net_turn *turn;          /* this loop thread's, or NULL */
	struct net_conn *tprev, *tnext; /* on turn->pending */
	int tpending;                   /* cork_w waits for the turn's end */

	net_tls *tls;                 /* node TLS, or NULL */
	struct mur_tls_ctx *dial_tls; /* net_connect: net_tls_use's context then */

	/* "Sent marks" (net.h, net_conn_sent_mark): the stream offset of the
	 * end of the last frame accepted (out_mark), bytes of whole frames
	 * handed to the socket (through libuv) or to TLS, counted with the
	 * frames accepted and then thrown away (a drop fault at a delayed
	 * frame's release: never less than the truth) (tx_in), and, from the
	 * close on, how far the frames left (handed_final). */
	uint64_t out_mark;
	uint64_t tx_in;
	uint64_t handed_final;
};

/* The loop turn of one thread's loop (see "Loop turn" below). */
typedef struct net_turn {
	uv_loop_t *loop;
	uv_prepare_t prepare; /* poll phase begins: gather */
	uv_check_t check;     /* poll phase ended: write what was gathered */
	int gathering;
	int nconns;        /* conns on loop; the handles close with the last */
	int handles_open;  /* freed when both handles closed */
	net_conn *pending; /* conns with gathered frames */
} net_turn;

struct net_listener {
	uv_tcp_t tcp;
	net_accept_cb on_accept;
	void *arg;
	int port;
	net_filter_fn filter; /* given to every conn accepted */
	void *filter_arg;
	struct mur_tls_ctx *tls; /* node TLS for every conn accepted (net_tls_use at listen) */
};

/* One write: len bytes of whole frames, data[] followed by payload when
 * set (net_conn_send_take: the frame's body, written from where the caller
 * built it; freed with the request). */
typedef struct net_wreq {
	uv_write_t req;
	net_conn *conn;
	size_t len;
	char *payload;
	size_t payload_len;
	size_t cap; /* a cork block: bytes data[] holds (0: another block) */
	char data[];
} net_wreq;

static _Thread_local char net_rbuf[NET_READ_CHUNK];
static _Thread_local net_conn *net_dialed;
static _Thread_local net_turn *net_turn_cur;

static void conn_close_cb(uv_handle_t *h);
static void tls_read(net_conn *c, const char *p, size_t n);
static int tls_start(net_conn *c, struct mur_tls_ctx *server_ctx);
static int tls_write_block(net_conn *c, net_wreq *w, mur_error *err);
static void alloc_cb(uv_handle_t *h, size_t suggested, uv_buf_t *buf);
static void read_cb(uv_stream_t *s, ssize_t nread, const uv_buf_t *buf);
static net_turn *turn_join(uv_loop_t *loop);
static void turn_leave(net_conn *c);
static void turn_flush_conn(net_conn *c);

/* ---- lifetime ---------------------------------------------------------- */

static net_conn *conn_new(uv_loop_t *loop)
{
	net_conn *c = calloc(1, sizeof *c);
	if (!c)
		return NULL;
	if (uv_tcp_init(loop, &c->tcp) != 0) {
		free(c);
		return NULL;
	}
	uv_timer_init(loop, &c->timer); /* cannot fail */
	c->tcp.data = c;
	c->timer.data = c;
	c->connect_req.data = c;
	c->handles_open = 2;
	c->frame_max = NET_FRAME_MAX;
	c->turn = turn_join(loop);
	return c;
}

void net_conn_close(net_conn *c, const char *reason)
{
	if (c->state == NC_CLOSING)
		return;
	if (c->state == NC_OPEN) {
		turn_flush_conn(c); /* as if each frame had been written when sent */
		if (c->state == NC_CLOSING)
			return; /* that write failed and closed c (a peer gone: read
				 * reset, then write EPIPE): its handles are closing */
	}
	if (reason != c->reason)
		snprintf(c->reason, sizeof c->reason, "%s", reason ? reason : "closed");
	/* how far the frames left: bytes still in libuv's queue never will
	 * (under TLS, what went to TLS counts as gone) */
	c->handed_final = c->tx_in -
			  (c->tls ? 0
				  : uv_stream_get_write_queue_size((const uv_stream_t *)&c->tcp));
	c->state = NC_CLOSING;
	if (c->dq) {
		net_delayq_destroy(c->dq);
		c->dq = NULL;
	}
	uv_timer_stop(&c->timer);
	uv_close((uv_handle_t *)&c->tcp, conn_close_cb);
	uv_close((uv_handle_t *)&c->timer, conn_close_cb);
}

static void conn_fail(net_conn *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void conn_fail(net_conn *c, const char *fmt, ...)
{
	char why[NET_REASON_MAX];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(why, sizeof why, fmt, ap);
	va_end(ap);
	MLOG(WARN, "net", "closing connection with %s: %s", c->peer, why);
	net_conn_close(c, why);
}

static void conn_close_cb(uv_handle_t *h)
{
	net_conn *c = h->data;
	if (--c->handles_open > 0)
		return;
	assert(c->sendq_frames == 0);
	if (c->dialed) {
		if (c->dprev)
			c->dprev->dnext = c->dnext;
		else
			net_dialed = c->dnext;
		if (c->dnext)
			c->dnext->dprev = c->dprev;
	}
	if (c->started && c->cbs.on_close)
		c->cbs.on_close(c, c->reason); /* may open conns: the turn stays */
	turn_leave(c);
	net_tls_free(c->tls);
	free(c->cork_w);
	free(c->cork_spare);
	free(c->frame);
	free(c);
}

/* ---- receive ----------------------------------------------------------- */

static void timer_cb(uv_timer_t *t)
{
	net_conn *c = t->data;
	conn_fail(c, "no frame received within %llu ms", (unsigned long long)c->read_timeout_ms);
}

static void arm_read_timer(net_conn *c)
{
	if (c->read_timeout_ms && (c->state == NC_OPEN || c->state == NC_ACCEPTED))
		uv_timer_start(&c->timer, timer_cb, c->read_timeout_ms, 0);
}

/* Grow frame[] to hold at least need bytes (need <= payload_len). */
static int frame_reserve(net_conn *c, size_t need)
{
	size_t cap;
	char *p;

	if (need <= c->frame_cap)
		return 0;
	cap = c->frame_cap * 2;
	if (cap < NET_READ_CHUNK)
		cap = NET_READ_CHUNK;
	if (cap < need)
		cap = need;
	if (cap > c->payload_len)
		cap = c->payload_len;
	p = realloc(c->frame, cap);
	if (!p)
		return -1;
	c->frame = p;
	c->frame_cap = cap;
	return 0;
}

/* ---- fault injection ------------------------------------------------- */

static int raw_send(net_conn *c, uint8_t type, const void *payload, size_t len, mur_error *err);
static int write_block(net_conn *c, net_wreq *w, mur_error *err);
static int sock_write_block(net_conn *c, net_wreq *w, mur_error *err);
static void cork_write(net_conn *c);
static int turn_gathers(const net_conn *c, size_t len);
static void turn_mark(net_conn *c);
static int raw_send_take(net_conn *c, uint8_t type, char *payload, size_t len, mur_error *err);
static void wreq_free(net_wreq *w);

/* 1 when the frame must vanish (and remember that one did). */
static int fault_drops(net_conn *c)
{
	if (c->fault.drop ||
	    (c->dialed && net_fault_nblocked && net_fault_addr_blocked(&c->dial_sa))) {
		c->fault_lost = 1;
		return 1;
	}
	return 0;
}

/* 1 when the frame must wait: a delay is set, or earlier frames still
 * wait (order is kept when the delay is lifted). */
static int fault_delays(const net_conn *c)
{
	return c->fault.delay_ms > 0 || (c->dq && !net_delayq_empty(c->dq));
}

static void delay_release(void *arg, char dir, uint8_t type, char *p, size_t len)
{
	net_conn *c = arg;

	if (c->state == NC_OPEN && !fault_drops(c)) {
		if (dir == 'S') {
			raw_send(c, type, p, len, NULL); /* a failure closes the conn */
		} else {
			c->cur = p;
			c->cur_len = len;
			c->cur_owned = 0;
			c->cbs.on_frame(c, type, p, len);
			c->cur = NULL;
		}
	} else if (dir == 'S') {
		c->tx_in += NET_HEADER_SIZE + len; /* its mark is counted: never "unsent" */
	}
	free(p);
	if (dir == 'R' && c->rx_paused && c->state == NC_OPEN && c->dq &&
	    net_delayq_bytes(c->dq, 'R') <= NET_FAULT_DELAY_BYTES_MAX / 2) {
		c->rx_paused = 0;
		uv_read_start((uv_stream_t *)&c->tcp, alloc_cb, read_cb);
	}
}

static int ensure_dq(net_conn *c)
{
	if (!c->dq)
		c->dq = net_delayq_create(c->tcp.loop, delay_release, c);
	return c->dq ? 0 : -1;
}

/* A received frame goes into the delay queue. */
static void delay_recv(net_conn *c, uint8_t type, const char *payload, size_t len, int owned)
{
	char *copy;

	if (owned) { /* take the frame buffer: no copy of a big frame */
		copy = c->frame;
		c->frame = NULL;
		c->frame_cap = 0;
	} else if ((copy = malloc(len ? len : 1)) != NULL) {
		memcpy(copy, payload, len);
	}
	if (!copy || ensure_dq(c) != 0) {
		free(copy);
		conn_fail(c, "out of memory delaying a frame");
		return;
	}
	if (net_delayq_push(c->dq, c->fault.delay_ms, 'R', type, copy, len) != MUR_OK) {
		conn_fail(c, "more than %d delayed frames", NET_FAULT_DELAY_FRAMES_MAX);
		return;
	}
	if (!c->rx_paused && net_delayq_bytes(c->dq, 'R') > NET_FAULT_DELAY_BYTES_MAX) {
		c->rx_paused = 1;
		uv_read_stop((uv_stream_t *)&c->tcp);
	}
}

static int delay_send(net_conn *c, uint8_t type, const void *payload, size_t len, mur_error *err)
{
	char *copy;

	if (c->dq && net_delayq_bytes(c->dq, 'S') + len > NET_FAULT_DELAY_BYTES_MAX)
		return mur_error_set(err, SQLSTATE_INSUFFICIENT_RESOURCES,
				     "delayed frames to %s exceed %zu bytes (fault injection)",
				     c->peer, NET_FAULT_DELAY_BYTES_MAX),
		       MUR_EAGAIN;
	if (!(copy = malloc(len ? len : 1)) || ensure_dq(c) != 0) {
		free(copy);
		return mur_error_set(err, SQLSTATE_OUT_OF_MEMORY, "out of memory"), MUR_ENOMEM;
	}
	memcpy(copy, payload, len);
	if (net_delayq_push(c->dq, c->fault.delay_ms, 'S', type, copy, len) != MUR_OK)
		return mur_error_set(err, SQLSTATE_INSUFFICIENT_RESOURCES,
				     "more than %d delayed frames to %s (fault injection)",
				     NET_FAULT_DELAY_FRAMES_MAX, c->peer),
		       MUR_EAGAIN;
	return MUR_OK;
}

/* ---- receive, continued ----------------------------------------------- */

static void deliver(net_conn *c, const char *payload, size_t len, int owned)
{
	uint8_t type = c->type;

	c->hdr_got = 0;
	c->payload_got = 0;
	c->payload_len = 0;
	if ((c->filter && c->filter(c->filter_arg, c, 'R', type, payload, len)) || fault_drops(c))
		goto trim;
	arm_read_timer(c);
	if (fault_delays(c)) {
		delay_recv(c, type, payload, len, owned);
		return;
	}
	c->cur = payload;
	c->cur_len = len;
	c->cur_owned = owned;
	c->cbs.on_frame(c, type, payload, len);
	c->cur = NULL;
trim:
	if (owned && c->frame_cap > NET_FRAME_KEEP_MAX) {
		free(c->frame);
		c->frame = NULL;
		c->frame_cap = 0;
	}
}

/* The length field is in (hdr_got >= 4): reject it before waiting for
 * more.  0 to go on, -1 when the conn was closed. */
static int check_length(net_conn *c)
{
	uint32_t n = (uint32_t)c->hdr[0] << 24 | (uint32_t)c->hdr[1] << 16 |
		     (uint32_t)c->hdr[2] << 8 | (uint32_t)c->hdr[3];
	if (n == 0) {
		conn_fail(c, "frame with length 0 (no type byte)");
		return -1;
	}
	if (n > c->frame_max) {
		conn_fail(c, "frame of %u bytes exceeds the limit of %zu bytes", n, c->frame_max);
		return -1;
	}
	c->payload_len = n - 1;
	c->payload_got = 0;
	return 0;
}

/* Header complete: check the type.  0 to go on, -1 when closed. */
static int check_type(net_conn *c)
{
	c->type = c->hdr[4];
	if (c->cbs.type_ok && !c->cbs.type_ok(c->type)) {
		conn_fail(c, "unknown frame type %u", (unsigned)c->type);
		return -1;
	}
	return 0;
}

/* Consume n bytes from the shared chunk. */
static void parse(net_conn *c, const char *p, size_t n)
{
	while (n > 0 && c->state == NC_OPEN) {
		if (c->hdr_got < NET_HEADER_SIZE) {
			size_t k = NET_HEADER_SIZE - c->hdr_got;
			if (k > n)
				k = n;
			memcpy(c->hdr + c->hdr_got, p, k);
			if (c->hdr_got < 4 && c->hdr_got + k >= 4 && check_length(c) != 0)
				return;
			c->hdr_got += k;
			p += k;
			n -= k;
			if (c->hdr_got < NET_HEADER_SIZE || check_type(c) != 0)
				continue;
			if (c->payload_len == 0) {
				deliver(c, "", 0, 0);
				continue;
			}
			if (n >= c->payload_len) { /* whole payload here: no copy */
				size_t len = c->payload_len;
				deliver(c, p, len, 0);
				p += len;
				n -= len;
				continue;
			}
		}
		/* partial payload: append to the frame buffer */
		size_t k = c->payload_len - c->payload_got;
		if (k > n)
			k = n;
		if (frame_reserve(c, c->payload_got + k) != 0) {
			conn_fail(c, "out of memory for a frame of %zu bytes", c->payload_len);
			return;
		}
		if (k) /* an empty payload has no frame buffer yet: no memcpy to NULL */
			memcpy(c->frame + c->payload_got, p, k);
		c->payload_got += k;
		p += k;
		n -= k;
		if (c->payload_got == c->payload_len)
			deliver(c, c->frame, c->payload_len, 1);
	}
}

static void alloc_cb(uv_handle_t *h, size_t suggested, uv_buf_t *buf)
{
	net_conn *c = h->data;
	size_t left = c->payload_len - c->payload_got;

	(void)suggested;
	if (!c->tls && c->hdr_got == NET_HEADER_SIZE && left >= NET_READ_CHUNK) {
		size_t want = c->payload_got + (left < (size_t)NET_READ_CHUNK * 4
							? left
							: (size_t)NET_READ_CHUNK * 4);
		if (frame_reserve(c, want) != 0) {
			*buf = uv_buf_init(NULL, 0); /* read_cb gets UV_ENOBUFS */
			return;
		}
		size_t room = c->frame_cap - c->payload_got;
		*buf = uv_buf_init(c->frame + c->payload_got,
				   (unsigned)(room < left ? room : left));
		return;
	}
	*buf = uv_buf_init(net_rbuf, sizeof net_rbuf);
}

static void read_cb(uv_stream_t *s, ssize_t nread, const uv_buf_t *buf)
{
	net_conn *c = s->data;

	if (nread == 0 || c->state != NC_OPEN)
		return;
	if (nread < 0) {
		if (nread == UV_EOF)
			net_conn_close(c, "peer closed the connection");
		else if (nread == UV_ENOBUFS)
			conn_fail(c, "out of memory for a frame of %zu bytes", c->payload_len);
		else
			conn_fail(c, "read failed: %s", uv_strerror((int)nread));
		return;
	}
	if (c->tls) {
		tls_read(c, buf->base, (size_t)nread);
		return;
	}
	if (buf->base == net_rbuf) {
		parse(c, buf->base, (size_t)nread);
		return;
	}
	assert(buf->base == c->frame + c->payload_got);
	c->payload_got += (size_t)nread;
	if (c->payload_got == c->payload_len)
		deliver(c, c->frame, c->payload_len, 1);
}

static void start_reading(net_conn *c)
{
	int rc;
	c->state = NC_OPEN;
	uv_tcp_nodelay(&c->tcp, 1);
	rc = uv_read_start((uv_stream_t *)&c->tcp, alloc_cb, read_cb);
	if (rc != 0) {
		conn_fail(c, "cannot read: %s", uv_strerror(rc));
		return;
	}
	arm_read_timer(c);
}

char *net_conn_take_payload(net_conn *c, size_t *len)
{
	char *p;

	assert(c->cur != NULL);
	*len = c->cur_len;
	if (c->cur_owned) {
		p = c->frame;
		c->frame = NULL;
		c->frame_cap = 0;
		return p;
	}
	p = malloc(c->cur_len ? c->cur_len : 1);
	if (p)
		memcpy(p, c->cur, c->cur_len);
	return p;
}

/* ---- send -------------------------------------------------------------- */

static void write_cb(uv_write_t *req, int status)
{
	net_wreq *w = (net_wreq *)req;
	net_conn *c = w->conn;

	c->sendq_bytes -= w->len;
	c->sendq_frames--;
	wreq_free(w);
	if (status < 0 && status != UV_ECANCELED && c->state == NC_OPEN)
		conn_fail(c, "write failed: %s", uv_strerror(status));
}

/* net_conn_send's checks: MUR_OK when the frame may be queued. */
static int send_check(net_conn *c, size_t len, mur_error *err)
{
	size_t total = NET_HEADER_SIZE + len;
	size_t held = (c->dq ? net_delayq_bytes(c->dq, 'S') : 0) + (c->cork_w ? c->cork_w->len : 0);

	if (c->state != NC_OPEN)
		return mur_error_set(err, SQLSTATE_CONNECTION_FAILURE,
				     "connection to %s is not open", c->peer),
		       MUR_EIO;
	if (len >= NET_FRAME_MAX)
		return mur_error_set(err, SQLSTATE_PROGRAM_LIMIT_EXCEEDED,
				     "message of %zu bytes exceeds the node protocol limit of %u "
				     "bytes",
				     len, NET_FRAME_MAX - 1),
		       MUR_EPROTO;
	if (c->sendq_frames >= NET_SENDQ_FRAMES_MAX ||
	    c->sendq_bytes + held + total > NET_SENDQ_BYTES_MAX)
		return mur_error_set(err, SQLSTATE_INSUFFICIENT_RESOURCES,
				     "send queue to %s is full (%zu frames, %zu bytes queued; "
				     "limits %d frames, %zu bytes)",
				     c->peer, c->sendq_frames, c->sendq_bytes + held,
				     NET_SENDQ_FRAMES_MAX, NET_SENDQ_BYTES_MAX),
		       MUR_EAGAIN;
	return MUR_OK;
}

/* 1 when a filter or an injected fault takes the frame (it is dropped). */
static int send_filtered(net_conn *c, uint8_t type, const void *payload, size_t len)
{
	return (c->filter && c->filter(c->filter_arg, c, 'S', type, payload, len)) ||
	       fault_drops(c);
}

/* A frame of len payload bytes was accepted (queued): its end's offset. */
static int accepted(net_conn *c, size_t len, int rc)
{
	if (rc == MUR_OK)
		c->out_mark += NET_HEADER_SIZE + len;
	return rc;
}

int net_conn_send(net_conn *c, uint8_t type, const void *payload, size_t len, mur_error *err)
{
	int rc = send_check(c, len, err);
	if (rc != MUR_OK)
		return rc;
	if (send_filtered(c, type, payload, len))
		return MUR_OK;
	if (fault_delays(c))
		return accepted(c, len, delay_send(c, type, payload, len, err));
	return accepted(c, len, raw_send(c, type, payload, len, err));
}

int net_conn_send_take(net_conn *c, uint8_t type, char *payload, size_t len, mur_error *err)
{
	int rc = send_check(c, len, err);
	if (rc != MUR_OK || send_filtered(c, type, payload, len)) {
		free(payload);
		return rc;
	}
	if (!fault_delays(c) && !c->corked && !turn_gathers(c, len))
		return accepted(c, len, raw_send_take(c, type, payload, len, err));
	/* a delayed, corked or gathered frame is copied where it waits */
	rc = fault_delays(c) ? delay_send(c, type, payload, len, err)
			     : raw_send(c, type, payload, len, err);
	free(payload);
	return accepted(c, len, rc);
}

uint64_t net_conn_sent_mark(const net_conn *c) { return c->out_mark; }

int net_conn_never_sent(const net_conn *c, uint64_t mark)
{
	return c->state == NC_CLOSING && mark > c->handed_final;
}

static void put_header(char *h, uint8_t type, size_t len)
{
	h[0] = (char)((len + 1) >> 24);
	h[1] = (char)((len + 1) >> 16);
	h[2] = (char)((len + 1) >> 8);
	h[3] = (char)(len + 1);
	h[4] = (char)type;
}

/* Append one frame to the cork block (the conn's kept one when it has
 * none, grown geometrically). */
static int cork_append(net_conn *c, uint8_t type, const void *payload, size_t len, mur_error *err)
{
	size_t used = c->cork_w ? c->cork_w->len : 0, need = used + NET_HEADER_SIZE + len;
	if (!c->cork_w && c->cork_spare) {
		c->cork_w = c->cork_spare;
		c->cork_spare = NULL;
		c->cork_w->len = 0;
		c->cork_cap = c->cork_w->cap;
	}
	if (need > c->cork_cap) {
		size_t cap = c->cork_cap ? c->cork_cap : 4096;
		net_wreq *w;
		while (cap < need)
			cap *= 2;
		w = realloc(c->cork_w, sizeof *w + cap);
		if (!w)
			return mur_error_set(err, SQLSTATE_OUT_OF_MEMORY, "out of memory"),
			       MUR_ENOMEM;
		if (!c->cork_w) {
			w->len = 0;
			w->payload = NULL;
			w->payload_len = 0;
		}
		c->cork_w = w;
		c->cork_cap = w->cap = cap;
	}
	put_header(c->cork_w->data + used, type, len);
	if (len)
		memcpy(c->cork_w->data + used + NET_HEADER_SIZE, payload, len);
	c->cork_w->len = need;
	return MUR_OK;
}

void net_conn_cork(net_conn *c) { c->corked++; }

void net_conn_uncork(net_conn *c)
{
	if (c->corked == 0 || --c->corked > 0 || !c->cork_w)
		return;
	if (c->turn && c->turn->gathering)
		turn_mark(c); /* leaves with the turn's other frames to this peer */
	else
		cork_write(c);
}

/* Write the cork block now (nothing when there is none). */
static void cork_write(net_conn *c)
{
	net_wreq *w = c->cork_w;
	if (!w)
		return;
	c->cork_w = NULL;
	c->cork_cap = 0;
	if (w->len == 0 || c->state != NC_OPEN) {
		wreq_free(w); /* closed meanwhile: its frames are lost, as queued ones are */
		return;
	}
	write_block(c, w, NULL); /* a failure closes the conn */
}

/* Queue one frame on the socket: net_conn_send past its checks. */
static int raw_send(net_conn *c, uint8_t type, const void *payload, size_t len, mur_error *err)
{
	size_t total = NET_HEADER_SIZE + len;
	net_wreq *w;

	if (c->corked)
		return cork_append(c, type, payload, len, err);
	if (turn_gathers(c, len)) {
		if (cork_append(c, type, payload, len, err) != MUR_OK)
			return MUR_ENOMEM;
		turn_mark(c);
		if (c->cork_w->len >= NET_TURN_BLOCK_MAX)
			turn_flush_conn(c);
		return MUR_OK;
	}
	turn_flush_conn(c); /* a large frame: the gathered ones go first */
	w = malloc(sizeof *w + total);
	if (!w)
		return mur_error_set(err, SQLSTATE_OUT_OF_MEMORY, "out of memory"), MUR_ENOMEM;
	w->len = total;
	w->payload = NULL;
	w->payload_len = 0;
	w->cap = 0;
	put_header(w->data, type, len);
	if (len)
		memcpy(w->data + NET_HEADER_SIZE, payload, len);
	return write_block(c, w, err);
}

/* Queue one frame whose body stays where the caller built it (taken). */
static int raw_send_take(net_conn *c, uint8_t type, char *payload, size_t len, mur_error *err)
{
	net_wreq *w;
	turn_flush_conn(c); /* the gathered frames go first */
	w = malloc(sizeof *w + NET_HEADER_SIZE);
	if (!w) {
		free(payload);
		return mur_error_set(err, SQLSTATE_OUT_OF_MEMORY, "out of memory"), MUR_ENOMEM;
	}
	w->len = NET_HEADER_SIZE + len;
	w->payload = payload;
	w->payload_len = len;
	w->cap = 0;
	put_header(w->data, type, len);
	return write_block(c, w, err);
}

/* w's bytes from off on as at most two buffers (data[], then payload). */
static unsigned wreq_bufs(net_wreq *w, size_t off, uv_buf_t b[2])
{
	size_t head = w->len - w->payload_len;
	unsigned n = 0;
	if (off < head)
		b[n++] = uv_buf_init(w->data + off, (unsigned)(head - off));
	if (w->payload_len) {
		size_t skip = off > head ? off - head : 0;
		b[n++] = uv_buf_init(w->payload + skip, (unsigned)(w->payload_len - skip));
	}
	return n;
}

static void wreq_free(net_wreq *w)
{
	free(w->payload);
	free(w);
}

/* w is written (or encrypted) whole: a cork block is kept for c's next
 * one (NET_CORK_KEEP_MAX), any other freed. */
static void wreq_done(net_conn *c, net_wreq *w)
{
	if (w->cap && w->cap <= NET_CORK_KEEP_MAX && !c->cork_spare && !w->payload) {
		c->cork_spare = w;
		return;
	}
	wreq_free(w);
}

/* Write w (w->len bytes of whole frames; taken) now, or queue the rest;
 * under node TLS its frames are encrypted first. */
static int write_block(net_conn *c, net_wreq *w, mur_error *err)
{
	c->tx_in += w->len; /* handed on: what libuv still holds is taken off at the close */
	if (c->tls)
		return tls_write_block(c, w, err);
	return sock_write_block(c, w, err);
}

/* write_block's socket half: w's bytes go to the socket as they are. */
static int sock_write_block(net_conn *c, net_wreq *w, mur_error *err)
{
	size_t total = w->len;
	uv_buf_t b[2];
	unsigned nb = wreq_bufs(w, 0, b);
	int rc;

	w->conn = c;
	MUR_TRACE("wr", total, 0);
	if (c->sendq_frames == 0) {
		/* Nothing queued: write now.  uv_write would also write at once,
		 * but then re-arms the epoll watcher (one epoll_ctl per frame);
		 * uv_try_write does not. */
		int n = uv_try_write((uv_stream_t *)&c->tcp, b, nb);
		if (n == (int)total) {
			wreq_done(c, w);
			return MUR_OK;
		}
		if (n > 0)
			nb = wreq_bufs(w, (size_t)n, b);
	}
	rc = uv_write(&w->req, (uv_stream_t *)&c->tcp, b, nb, write_cb);
	if (rc != 0) {
		wreq_free(w);
		conn_fail(c, "write failed: %s", uv_strerror(rc));
		return mur_error_set(err, SQLSTATE_CONNECTION_FAILURE, "write to %s failed: %s",
				     c->peer, uv_strerror(rc)),
		       MUR_EIO;
	}
	c->sendq_bytes += total;
	c->sendq_frames++;
	return MUR_OK;
}

/* ---- loop turn ----------------------------------------------------------
 *
 * While the loop runs its I/O callbacks (from the prepare handle, just
 * before it polls, to the check handle, just after), frames sent on a conn
 * are gathered into its cork block; the check writes each conn's block
 * with one write.  The leader's answers to one read of several follower
 * results, a statement's APPLYs and markers to the same follower: one
 * syscall per peer per turn instead of one per frame, and one wakeup of
 * the peer.  Frames leave in the same turn (no timer, no added poll), in
 * order.  Outside the poll phase (timers, idle, close callbacks: code that
 * may run before the loop sleeps without a check) frames are written at
 * once, as before.  A frame of NET_TURN_BLOCK_MAX or more, and a block
 * that grows to it, is written at once (the ones gathered before first).
 * net_flush_pending writes everything gathered now: call it before
 * blocking the loop thread (an fsync) so the frames are not held behind it.
 *
 * One net_turn per thread, for the loop of its first conn (a conn of a
 * second loop on the same thread is never gathered); its handles are
 * unreferenced (they never keep a loop alive) and closed with the loop's
 * last conn, so uv_loop_close finds nothing of ours. */

static void turn_prepare_cb(uv_prepare_t *h)
{
	MUR_TRACE("poll", 0, 0);
	((net_turn *)h->data)->gathering = 1;
}

static void turn_check_cb(uv_check_t *h)
{
	net_turn *t = h->data;
	MUR_TRACE("check", 0, 0);
	t->gathering = 0;
	net_flush_pending();
}

static void turn_closed_cb(uv_handle_t *h)
{
	net_turn *t = h->data;
	if (--t->handles_open == 0)
		free(t);
}

/* This thread's turn for a new conn on loop (created with the first), or
 * NULL: another loop has it, or out of memory (the conn writes at once). */
static net_turn *turn_join(uv_loop_t *loop)
{
	net_turn *t = net_turn_cur;
	if (!t) {
		if (!(t = calloc(1, sizeof *t)))
			return NULL;
		t->loop = loop;
		uv_prepare_init(loop, &t->prepare);
		uv_check_init(loop, &t->check);
		t->prepare.data = t->check.data = t;
		t->handles_open = 2;
		uv_prepare_start(&t->prepare, turn_prepare_cb);
		uv_check_start(&t->check, turn_check_cb);
		uv_unref((uv_handle_t *)&t->prepare);
		uv_unref((uv_handle_t *)&t->check);
		net_turn_cur = t;
	}
	if (t->loop != loop)
		return NULL;
	t->nconns++;
	return t;
}

static void turn_unmark(net_conn *c)
{
	if (!c->tpending)
		return;
	if (c->tprev)
		c->tprev->tnext = c->tnext;
	else
		c->turn->pending = c->tnext;
	if (c->tnext)
		c->tnext->tprev = c->tprev;
	c->tprev = c->tnext = NULL;
	c->tpending = 0;
}

/* c's freed: off the pending list; the last conn closes the handles. */
static void turn_leave(net_conn *c)
{
	net_turn *t = c->turn;
	if (!t)
		return;
	turn_unmark(c);
	c->turn = NULL;
	if (--t->nconns > 0)
		return;
	if (net_turn_cur == t)
		net_turn_cur = NULL;
	uv_close((uv_handle_t *)&t->prepare, turn_closed_cb);
	uv_close((uv_handle_t *)&t->check, turn_closed_cb);
}

/* 1 when a frame of len payload bytes sent on c now is gathered. */
static int turn_gathers(const net_conn *c, size_t len)
{
	return c->turn && c->turn->gathering && NET_HEADER_SIZE + len < NET_TURN_BLOCK_MAX;
}

/* c's cork block waits for the check. */
static void turn_mark(net_conn *c)
{
	if (c->tpending)
		return;
	c->tpending = 1;
	c->tprev = NULL;
	c->tnext = c->turn->pending;
	if (c->turn->pending)
		c->turn->pending->tprev = c;
	c->turn->pending = c;
}

/* Write c's gathered frames now (not while c is corked: its uncork does). */
static void turn_flush_conn(net_conn *c)
{
	if (!c->tpending)
		return;
	turn_unmark(c);
	if (!c->corked)
		cork_write(c);
}

void net_flush_pending(void)
{
	net_turn *t = net_turn_cur;
	while (t && t->pending)
		turn_flush_conn(t->pending);
}

/* ---- connect / accept -------------------------------------------------- */

static void connect_cb(uv_connect_t *req, int status)
{
	net_conn *c = req->data;

	if (c->state != NC_CONNECTING)
		return; /* closed while connecting (status is UV_ECANCELED) */
	if (status < 0) {
		char why[NET_REASON_MAX];
		snprintf(why, sizeof why, "connect to %s failed: %s", c->peer, uv_strerror(status));
		net_conn_close(c, why);
		return;
	}
	start_reading(c);
	if (c->state == NC_OPEN && c->dial_tls && tls_start(c, NULL) != MUR_OK)
		return;
	if (c->state == NC_OPEN && c->cbs.on_connect)
		c->cbs.on_connect(c);
}

int net_connect(uv_loop_t *loop, const char *addr, const net_conn_cbs *cbs, void *arg,
		net_conn **out, mur_error *err)
{
	struct sockaddr_storage sa;
	net_conn *c;
	int rc;

	assert(cbs && cbs->on_frame && cbs->on_close);
	if (net_parse_addr(addr, &sa, err) != MUR_OK)
		return MUR_ERR;
	c = conn_new(loop);
	if (!c)
		return mur_error_set(err, SQLSTATE_OUT_OF_MEMORY, "out of memory"), MUR_ENOMEM;
	c->state = NC_CONNECTING;
	c->cbs = *cbs;
	c->arg = arg;
	snprintf(c->peer, sizeof c->peer, "%s", addr);
	c->dialed = 1;
	c->dial_sa = sa;
	c->dial_tls = net_tls_ctx();
	c->dnext = net_dialed;
	if (net_dialed)
		net_dialed->dprev = c;
	net_dialed = c;
	rc = uv_tcp_connect(&c->connect_req, &c->tcp, (const struct sockaddr *)&sa, connect_cb);
	if (rc != 0) {
		net_conn_close(c, "connect failed"); /* started == 0: freed silently */
		return mur_error_set(err, SQLSTATE_CONNECTION_FAILURE, "connect to %s failed: %s",
				     addr, uv_strerror(rc)),
		       MUR_EIO;
	}
	c->started = 1;
	*out = c;
	return MUR_OK;
}

void net_conn_start(net_conn *c, const net_conn_cbs *cbs, void *arg)
{
	assert(c->state == NC_ACCEPTED);
	assert(cbs && cbs->on_frame && cbs->on_close);
	c->cbs = *cbs;
	c->arg = arg;
	c->started = 1;
	start_reading(c);
}

static void peer_name(net_conn *c)
{
	struct sockaddr_storage sa;
	int len = sizeof sa;
	char host[64] = "?";
	int port = 0;

	if (uv_tcp_getpeername(&c->tcp, (struct sockaddr *)&sa, &len) == 0) {
		if (sa.ss_family == AF_INET6) {
			uv_ip6_name((struct sockaddr_in6 *)&sa, host, sizeof host);
			port = ntohs(((struct sockaddr_in6 *)&sa)->sin6_port);
			snprintf(c->peer, sizeof c->peer, "[%s]:%d", host, port);
			return;
		}
		uv_ip4_name((struct sockaddr_in *)&sa, host, sizeof host);
		port = ntohs(((struct sockaddr_in *)&sa)->sin_port);
	}
	snprintf(c->peer, sizeof c->peer, "%s:%d", host, port);
}

static void connection_cb(uv_stream_t *server, int status)
{
	net_listener *l = server->data;
	net_conn *c;

	if (status < 0) {
		MLOG(WARN, "net", "accept failed: %s", uv_strerror(status));
		return;
	}
	c = conn_new(server->loop);
	if (!c) {
		MLOG(ERROR, "net", "out of memory accepting a connection");
		return;
	}
	if (uv_accept(server, (uv_stream_t *)&c->tcp) != 0) {
		net_conn_close(c, "accept failed");
		return;
	}
	peer_name(c);
	if (l->tls && tls_start(c, l->tls) != MUR_OK) {
		net_conn_close(c, "out of memory for TLS"); /* not started: freed silently */
		return;
	}
	c->filter = l->filter;
	c->filter_arg = l->filter_arg;
	l->on_accept(l, c, l->arg);
	if (c->state == NC_ACCEPTED) {
		MLOG(ERROR, "net", "accept callback neither started nor closed %s", c->peer);
		net_conn_close(c, "not started");
	}
}

int net_listen(uv_loop_t *loop, const char *addr, net_accept_cb on_accept, void *arg,
	       net_listener **out, mur_error *err)
{
	struct sockaddr_storage sa;
	int len = sizeof sa;
	net_listener *l;
	int rc;

	if (net_parse_addr(addr, &sa, err) != MUR_OK)
		return MUR_ERR;
	l = calloc(1, sizeof *l);
	if (!l)
		return mur_error_set(err, SQLSTATE_OUT_OF_MEMORY, "out of memory"), MUR_ENOMEM;
	uv_tcp_init(loop, &l->tcp);
	l->tcp.data = l;
	l->on_accept = on_accept;
	l->arg = arg;
	l->tls = net_tls_ctx();
	rc = uv_tcp_bind(&l->tcp, (const struct sockaddr *)&sa, 0);
	if (rc == 0)
		rc = uv_listen((uv_stream_t *)&l->tcp, 128, connection_cb);
	if (rc != 0) {
		uv_close((uv_handle_t *)&l->tcp, (uv_close_cb)free);
		return mur_error_set(err, SQLSTATE_CONNECTION_FAILURE, "cannot listen on %s: %s",
				     addr, uv_strerror(rc)),
		       MUR_EIO;
	}
	if (uv_tcp_getsockname(&l->tcp, (struct sockaddr *)&sa, &len) == 0)
		l->port = ntohs(sa.ss_family == AF_INET6 ? ((struct sockaddr_in6 *)&sa)->sin6_port
							 : ((struct sockaddr_in *)&sa)->sin_port);
	*out = l;
	return MUR_OK;
}

int net_listener_port(const net_listener *l) { return l->port; }

void net_listener_close(net_listener *l) { uv_close((uv_handle_t *)&l->tcp, (uv_close_cb)free); }

static void shutdown_cb(uv_shutdown_t *req, int status)
{
	net_conn *c = req->data;
	(void)status;
	if (c->state == NC_SHUTTING)
		net_conn_close(c, c->reason);
}

static void shutdown_timer_cb(uv_timer_t *t)
{
	net_conn *c = t->data;
	if (c->state == NC_SHUTTING)
		net_conn_close(c, c->reason);
}

void net_conn_shutdown(net_conn *c, const char *reason)
{
	if (c->dq && c->state == NC_OPEN)
		net_delayq_flush(c->dq, 'S'); /* the last word goes out now */
	if (c->state == NC_OPEN)
		turn_flush_conn(c); /* before the FIN */
	if (c->state != NC_OPEN) {
		net_conn_close(c, reason);
		return;
	}
	snprintf(c->reason, sizeof c->reason, "%s", reason ? reason : "closed");
	c->state = NC_SHUTTING;
	uv_read_stop((uv_stream_t *)&c->tcp);
	uv_timer_start(&c->timer, shutdown_timer_cb, NET_SHUTDOWN_TIMEOUT_MS, 0);
	c->shutdown_req.data = c;
	if (uv_shutdown(&c->shutdown_req, (uv_stream_t *)&c->tcp, shutdown_cb) != 0)
		net_conn_close(c, c->reason);
}

/* ---- small accessors --------------------------------------------------- */

int net_conn_is_open(const net_conn *c) { return c->state == NC_OPEN; }
void *net_conn_arg(const net_conn *c) { return c->arg; }
void net_conn_set_arg(net_conn *c, void *arg) { c->arg = arg; }
const char *net_conn_peer(const net_conn *c) { return c->peer; }
size_t net_conn_sendq_bytes(const net_conn *c) { return c->sendq_bytes; }
int net_conn_tls(const net_conn *c) { return c->tls ? 1 + net_tls_state(c->tls) : 0; }

void net_conn_set_frame_max(net_conn *c, size_t frame_max)
{
	assert(frame_max > 0 && frame_max <= NET_FRAME_MAX);
	c->frame_max = frame_max;
}

void net_conn_set_read_timeout(net_conn *c, uint64_t timeout_ms)
{
	c->read_timeout_ms = timeout_ms;
	if (c->state == NC_CLOSING || c->state == NC_SHUTTING)
		return;
	if (timeout_ms == 0)
		uv_timer_stop(&c->timer);
	else if (c->state != NC_CONNECTING)
		arm_read_timer(c);
}

void net_conn_set_fault(net_conn *c, const net_fault *f)
{
	memset(&c->fault, 0, sizeof c->fault);
	if (f)
		c->fault = *f;
	if (c->fault.delay_ms > NET_FAULT_DELAY_MS_MAX)
		c->fault.delay_ms = NET_FAULT_DELAY_MS_MAX;
}

net_fault net_conn_fault(const net_conn *c) { return c->fault; }

void net_conn_set_filter(net_conn *c, net_filter_fn fn, void *arg)
{
	c->filter = fn;
	c->filter_arg = arg;
}

void net_listener_set_filter(net_listener *l, net_filter_fn fn, void *arg)
{
	l->filter = fn;
	l->filter_arg = arg;
}

void net_fault_unblock_all(void)
{
	net_fault_clear_blocks();
	for (net_conn *c = net_dialed; c; c = c->dnext)
		if (c->fault_lost && c->state != NC_CLOSING) {
			c->fault_lost = 0;
			conn_fail(c, "partition healed: frames were lost");
		}
}

/* ---- node TLS (net_tls.c) ------------------------------------------------ */

/* Write what TLS has queued (handshake records, ciphertext, an alert). */
static int tls_flush(net_conn *c, mur_error *err)
{
	size_t n = net_tls_pending(c->tls);
	net_wreq *w;
	if (n == 0)
		return MUR_OK;
	if (!(w = malloc(sizeof *w + n))) {
		conn_fail(c, "out of memory for %zu bytes of TLS output", n);
		return mur_error_set(err, SQLSTATE_OUT_OF_MEMORY, "out of memory"), MUR_ENOMEM;
	}
	w->len = net_tls_take(c->tls, w->data, n);
	w->payload = NULL;
	w->payload_len = 0;
	w->cap = 0;
	return sock_write_block(c, w, err);
}

/* c's TLS: the server side with the listener's context server_ctx, else
 * the client side with the one net_connect saw (its ClientHello leaves at
 * once).  MUR_OK, or the conn is closing (a dialed one) / to be closed by
 * the caller (an accepted one, not started). */
static int tls_start(net_conn *c, struct mur_tls_ctx *server_ctx)
{
	int server = server_ctx != NULL;
	if (!(c->tls = server ? net_tls_new(server_ctx, NULL)
			      : net_tls_new(c->dial_tls, c->peer))) {
		if (!server)
			conn_fail(c, "out of memory for TLS");
		return MUR_ENOMEM;
	}
	return server ? MUR_OK : tls_flush(c, NULL);
}

/* write_block under node TLS: w's frames become ciphertext (w is freed),
 * written every NET_TLS_SLICE bytes: a multi-MB block costs one slice of
 * ciphertext in TLS's buffer at a time, not a second whole copy. */
static int tls_write_block(net_conn *c, net_wreq *w, mur_error *err)
{
	uv_buf_t b[2];
	unsigned nb = wreq_bufs(w, 0, b);
	mur_error e;
	int rc = MUR_OK;
	for (unsigned i = 0; i < nb; i++)
		for (size_t off = 0; off < b[i].len; off += NET_TLS_SLICE) {
			size_t n = b[i].len - off < NET_TLS_SLICE ? b[i].len - off : NET_TLS_SLICE;
			if (net_tls_send(c->tls, b[i].base + off, n, &e) != MUR_OK) {
				wreq_free(w);
				conn_fail(c, "%s", e.message);
				return mur_error_set(err, SQLSTATE_CONNECTION_FAILURE, "%s",
						     e.message),
				       MUR_EIO;
			}
			if (net_tls_pending(c->tls) >= NET_TLS_SLICE &&
			    (rc = tls_flush(c, err)) != MUR_OK) {
				wreq_free(w); /* the conn is closing */
				return rc;
			}
		}
	wreq_done(c, w);
	return tls_flush(c, err);
}

/* A run of plaintext: frames as from the socket.  1 once c closed. */
static int tls_plain(void *arg, const char *p, size_t n)
{
	net_conn *c = arg;
	parse(c, p, n);
	return c->state != NC_OPEN;
}

/* Bytes read on a TLS conn.  A failed handshake (no certificate, another
 * CA's, not TLS at all) sends the alert and closes c, logged. */
static void tls_read(net_conn *c, const char *p, size_t n)
{
	mur_error e;
	if (net_tls_recv(c->tls, p, n, tls_plain, c, &e) != MUR_OK) {
		tls_flush(c, NULL);
		if (c->state == NC_OPEN)
			conn_fail(c, "%s", e.message);
		return;
	}
	if (c->state == NC_OPEN)
		tls_flush(c, NULL);
}
