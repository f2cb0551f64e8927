/*
 * test_net.c — the framed transport on real loopback sockets: round trips
 * (small and multi-MB), frames split across reads, many frames in one
 * write, bad frames closing only their own connection, read timeout,
 * address parsing and the small node-protocol codecs.
 *
 * The loop runs in the test thread.  "Raw" peers that write arbitrary
 * bytes use a blocking socket driven from a helper thread, so the loop
 * sees the bytes in whatever pieces the kernel delivers.
 *
 * write() and writev() are this file's own (they count the calls, then
 * make the system call): libuv's writes come here, so a test can say how
 * many writes a burst of frames cost.
 */
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "net/net.h"
#include "wire/proto.h"
#include "test_loop.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <unistd.h>

static int nwrites; /* write + writev calls of this process (the test thread's) */

ssize_t write(int fd, const void *p, size_t n)
{
	nwrites++;
	return syscall(SYS_write, fd, p, n);
}

ssize_t writev(int fd, const struct iovec *iov, int n)
{
	nwrites++;
	return syscall(SYS_writev, fd, iov, n);
}

#define MAX_FRAMES 2000

typedef struct frame_rec {
	uint8_t type;
	char *data;
	size_t len;
} frame_rec;

/* Server side: every accepted conn records into the same log. */
static struct {
	uv_loop_t loop;
	net_listener *lis;
	int port;
	int echo;
	int echo_flush;     /* net_flush_pending after each echo */
	int echo_close;     /* close the conn after each echo */
	int echo_to;        /* 1 + index of the accepted conn echoes go to (0: the sender) */
	net_conn *conns[4]; /* the first accepted conns */
	frame_rec frames[MAX_FRAMES];
	int nframes;
	int accepted;
	int closed;
	char last_reason[256];
	/* client side */
	frame_rec cframes[MAX_FRAMES];
	int ncframes;
	int cconnected;
	int cclosed;
	char creason[256];
	uint64_t read_timeout_ms;
} T;

static void rec(frame_rec *arr, int *n, uint8_t type, const char *p, size_t len)
{
	assert_true(*n < MAX_FRAMES);
	arr[*n].type = type;
	arr[*n].data = malloc(len ? len : 1);
	memcpy(arr[*n].data, p, len);
	arr[*n].len = len;
	(*n)++;
}

static void srv_frame(net_conn *c, uint8_t type, const char *p, size_t len)
{
	rec(T.frames, &T.nframes, type, p, len);
	if (T.echo)
		assert_int_equal(net_conn_send(T.echo_to ? T.conns[T.echo_to - 1] : c, type, p, len,
					       NULL),
				 MUR_OK);
	if (T.echo_flush) {
		int before = nwrites;
		net_flush_pending();
		assert_int_equal(nwrites, before + 1); /* the echo left here */
	}
	if (T.echo_close)
		net_conn_close(c, "echoed");
}

static void srv_close(net_conn *c, const char *reason)
{
	T.closed++;
	snprintf(T.last_reason, sizeof T.last_reason, "%s", reason);
}

static const net_conn_cbs srv_cbs = {.on_frame = srv_frame,
				     .on_close = srv_close,
				     .type_ok = net_msg_type_ok};

static void on_accept(net_listener *l, net_conn *c, void *arg)
{
	if (T.accepted < 4)
		T.conns[T.accepted] = c;
	T.accepted++;
	net_conn_start(c, &srv_cbs, NULL);
	if (T.read_timeout_ms)
		net_conn_set_read_timeout(c, T.read_timeout_ms);
}

static void cli_connect(net_conn *c) { T.cconnected++; }
static void cli_frame(net_conn *c, uint8_t type, const char *p, size_t len)
{
	rec(T.cframes, &T.ncframes, type, p, len);
}
static void cli_close(net_conn *c, const char *reason)
{
	T.cclosed++;
	snprintf(T.creason, sizeof T.creason, "%s", reason);
}
static const net_conn_cbs cli_cbs = {.on_connect = cli_connect,
				     .on_frame = cli_frame,
				     .on_close = cli_close,
				     .type_ok = net_msg_type_ok};

/* Run the loop until *counter >= want or 5 s pass. */
static void run_until(const int *counter, int want)
{
	assert_true(tl_run_until_count(&T.loop, counter, want, 5000));
}

static void free_recs(frame_rec *arr, int *n)
{
	for (int i = 0; i < *n; i++)
		free(arr[i].data);
	*n = 0;
}

static int setup(void **state)
{
	mur_error err;
	memset(&T, 0, sizeof T);
	uv_loop_init(&T.loop);
	assert_int_equal(net_listen(&T.loop, "127.0.0.1:0", on_accept, NULL, &T.lis, &err), MUR_OK);
	T.port = net_listener_port(T.lis);
	assert_true(T.port > 0);
	return 0;
}

static void close_walk(uv_handle_t *h, void *arg)
{
	/* only net's handles are left; they must already be closing */
	assert_true(uv_is_closing(h));
}

static int teardown(void **state)
{
	uint64_t deadline;
	net_listener_close(T.lis);
	uv_update_time(&T.loop);
	deadline = uv_now(&T.loop) + 2000;
	while (uv_run(&T.loop, UV_RUN_NOWAIT) && uv_now(&T.loop) < deadline)
		usleep(1000), uv_update_time(&T.loop);
	uv_walk(&T.loop, close_walk, NULL);
	assert_int_equal(uv_loop_close(&T.loop), 0);
	free_recs(T.frames, &T.nframes);
	free_recs(T.cframes, &T.ncframes);
	return 0;
}

static net_conn *connect_client(void)
{
	char addr[64];
	mur_error err;
	net_conn *c;
	int before = T.cconnected;

	snprintf(addr, sizeof addr, "127.0.0.1:%d", T.port);
	assert_int_equal(net_connect(&T.loop, addr, &cli_cbs, NULL, &c, &err), MUR_OK);
	run_until(&T.cconnected, before + 1);
	return c;
}

/* ---- raw peer ---------------------------------------------------------- */

typedef struct raw_job {
	int fd;
	const char *bytes;
	size_t len;
	size_t chunk; /* write this many bytes at a time (0 = all at once) */
	int pause_us;
} raw_job;

static int raw_connect(void)
{
	struct sockaddr_in sa;
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	memset(&sa, 0, sizeof sa);
	sa.sin_family = AF_INET;
	sa.sin_port = htons((uint16_t)T.port);
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_int_equal(connect(fd, (struct sockaddr *)&sa, sizeof sa), 0);
	return fd;
}

static void *raw_writer(void *arg)
{
	raw_job *j = arg;
	size_t off = 0;
	while (off < j->len) {
		size_t n = j->chunk ? j->chunk : j->len - off;
		if (n > j->len - off)
			n = j->len - off;
		ssize_t w = write(j->fd, j->bytes + off, n);
		if (w <= 0)
			break;
		off += (size_t)w;
		if (j->pause_us)
			usleep((useconds_t)j->pause_us);
	}
	return NULL;
}

static void put_frame(mur_buf *b, uint8_t type, const char *p, size_t len)
{
	mur_buf_put_u32(b, (uint32_t)len + 1);
	mur_buf_put_u8(b, type);
	mur_buf_put(b, p, len);
}

/* ---- tests ------------------------------------------------------------- */

static char *pattern(size_t n, unsigned seed)
{
	char *p = malloc(n);
	for (size_t i = 0; i < n; i++)
		p[i] = (char)((i * 31 + seed) & 0xff);
	return p;
}

static void test_round_trip(void **state)
{
	size_t big = 5u * 1024 * 1024 + 17;
	char *bigp = pattern(big, 7);
	net_conn *c;

	T.echo = 1;
	c = connect_client();
	assert_true(net_conn_is_open(c));
	assert_int_equal(net_conn_send(c, NET_MSG_HEARTBEAT, "hello", 5, NULL), MUR_OK);
	assert_int_equal(net_conn_send(c, NET_MSG_TASK, "", 0, NULL), MUR_OK);
	assert_int_equal(net_conn_send(c, NET_MSG_RESULT, bigp, big, NULL), MUR_OK);
	assert_int_equal(net_conn_send(c, NET_MSG_TASK, "x", 1, NULL), MUR_OK);
	run_until(&T.ncframes, 4);
	assert_int_equal(T.nframes, 4);
	assert_int_equal(T.cframes[0].type, NET_MSG_HEARTBEAT);
	assert_int_equal(T.cframes[0].len, 5);
	assert_memory_equal(T.cframes[0].data, "hello", 5);
	assert_int_equal(T.cframes[1].len, 0);
	assert_int_equal(T.cframes[2].type, NET_MSG_RESULT);
	assert_int_equal(T.cframes[2].len, big);
	assert_memory_equal(T.cframes[2].data, bigp, big);
	assert_int_equal(T.cframes[3].len, 1);
	assert_int_equal(net_conn_sendq_bytes(c), 0);
	net_conn_close(c, "test done");
	run_until(&T.closed, 1);
	assert_string_equal(T.last_reason, "peer closed the connection");
	run_until(&T.cclosed, 1);
	assert_string_equal(T.creason, "test done");
	free(bigp);
}

/* Frames sent while corked leave in one write at the outermost uncork, in
 * order; frames corked on a conn closed meanwhile are dropped, not leaked. */
static void test_cork_gathers_frames(void **state)
{
	size_t big = 100000;
	char *bigp = pattern(big, 5);
	net_conn *c = connect_client();

	net_conn_cork(c);
	net_conn_cork(c); /* nested */
	assert_int_equal(net_conn_send(c, NET_MSG_TASK, "one", 3, NULL), MUR_OK);
	assert_int_equal(net_conn_send(c, NET_MSG_RESULT, bigp, big, NULL), MUR_OK);
	net_conn_uncork(c); /* inner: still held */
	assert_int_equal(net_conn_send(c, NET_MSG_HEARTBEAT, "", 0, NULL), MUR_OK);
	for (int i = 0; i < 20; i++)
		uv_run(&T.loop, UV_RUN_NOWAIT), usleep(1000);
	assert_int_equal(T.nframes, 0);
	net_conn_uncork(c);
	run_until(&T.nframes, 3);
	assert_int_equal(T.frames[0].type, NET_MSG_TASK);
	assert_memory_equal(T.frames[0].data, "one", 3);
	assert_int_equal(T.frames[1].len, big);
	assert_memory_equal(T.frames[1].data, bigp, big);
	assert_int_equal(T.frames[2].type, NET_MSG_HEARTBEAT);
	assert_int_equal(T.frames[2].len, 0);
	net_conn_uncork(c); /* unbalanced: ignored */

	net_conn_cork(c);
	assert_int_equal(net_conn_send(c, NET_MSG_TASK, "lost", 4, NULL), MUR_OK);
	net_conn_close(c, "closed while corked");
	net_conn_uncork(c);
	run_until(&T.cclosed, 1);
	assert_int_equal(T.nframes, 3);
	free(bigp);
}

/* Five frames arrive in one read; the five echoes the server's on_frame
 * sends leave in one write, and in the same loop turn: once the uv_run
 * that delivered them returns, all five are readable at the peer. */
static void test_turn_gathers_echoes(void **state)
{
	mur_buf b;
	char got[256];
	size_t want = 0, have = 0;
	int fd, writes = 0;

	mur_buf_init(&b);
	for (int i = 0; i < 5; i++)
		put_frame(&b, NET_MSG_HEARTBEAT, "ping", 4);
	want = b.len;
	T.echo = 1;
	fd = raw_connect();
	run_until(&T.accepted, 1);
	assert_int_equal(write(fd, b.data, b.len), (ssize_t)b.len);
	for (int i = 0; i < 5000 && T.nframes < 5; i++) {
		int before = nwrites;
		uv_run(&T.loop, UV_RUN_NOWAIT);
		writes += nwrites - before;
		if (T.nframes < 5)
			usleep(1000);
	}
	assert_int_equal(T.nframes, 5);
	assert_int_equal(writes, 1);
	for (ssize_t n;
	     have < want && (n = recv(fd, got + have, sizeof got - have, MSG_DONTWAIT)) > 0;)
		have += (size_t)n;
	assert_int_equal(have, want);
	assert_memory_equal(got, b.data, want);
	close(fd);
	run_until(&T.closed, 1);
	mur_buf_free(&b);
}

/* net_flush_pending writes what a callback gathered before it returns
 * (srv_frame checks one write each); a conn closed right after a send
 * still delivers the frame, as when every frame was written at once. */
static void test_turn_flush_and_close(void **state)
{
	mur_buf b;
	char got[64];
	size_t want, have = 0;
	int fd;

	mur_buf_init(&b);
	for (int i = 0; i < 3; i++)
		put_frame(&b, NET_MSG_HEARTBEAT, "abc", 3);
	want = b.len;
	T.echo = T.echo_flush = 1;
	fd = raw_connect();
	assert_int_equal(write(fd, b.data, b.len), (ssize_t)b.len);
	run_until(&T.nframes, 3);
	for (ssize_t n; have < want && (n = read(fd, got + have, sizeof got - have)) > 0;)
		have += (size_t)n;
	assert_memory_equal(got, b.data, want);
	close(fd);
	run_until(&T.closed, 1);

	T.echo_flush = 0;
	T.echo_close = 1;
	fd = raw_connect();
	assert_int_equal(write(fd, b.data, 8), 8); /* the first frame */
	run_until(&T.closed, 2);
	have = 0;
	for (ssize_t n; (n = read(fd, got + have, sizeof got - have)) > 0;)
		have += (size_t)n;
	assert_int_equal(have, 8); /* the echo, then EOF */
	assert_memory_equal(got, b.data, 8);
	close(fd);
	mur_buf_free(&b);
}

/* A frame gathered for a peer that reset its connection in the same loop
 * turn: its read fails (ECONNRESET; libuv marks the stream not writable),
 * the close flushes the gathered frame, that write fails at once (EPIPE)
 * and closes the conn inside the close — once: the handles were closed
 * twice (uv_close's assertion took the leader down when a follower was
 * killed under writes) until net_conn_close looked again after its flush. */
static void test_reset_peer_with_gathered_frames(void **state)
{
	mur_buf b;
	struct linger lg = {.l_onoff = 1, .l_linger = 0};
	int fa, fb;

	mur_buf_init(&b);
	put_frame(&b, NET_MSG_HEARTBEAT, "abc", 3);
	T.echo = 1;
	T.echo_to = 2; /* a's frames are sent to b */
	fa = raw_connect();
	run_until(&T.accepted, 1);
	fb = raw_connect();
	run_until(&T.accepted, 2);
	assert_int_equal(write(fa, b.data, b.len), (ssize_t)b.len);
	assert_int_equal(setsockopt(fb, SOL_SOCKET, SO_LINGER, &lg, sizeof lg), 0);
	close(fb); /* RST, ready after a's frame */
	usleep(50000);
	run_until(&T.closed, 1);
	for (int i = 0; i < 20; i++)
		uv_run(&T.loop, UV_RUN_NOWAIT); /* the close callbacks, once each */
	assert_int_equal(T.closed, 1);
	assert_int_equal(T.nframes, 1);
	close(fa);
	run_until(&T.closed, 2);
	T.echo_to = 0;
	mur_buf_free(&b);
}

static void test_split_across_reads(void **state)
{
	mur_buf b;
	size_t mid = 300000;
	char *p = pattern(mid, 3);
	pthread_t th;
	raw_job j;

	mur_buf_init(&b);
	put_frame(&b, NET_MSG_TASK, "abc", 3);
	put_frame(&b, NET_MSG_RESULT, p, mid);
	put_frame(&b, NET_MSG_HEARTBEAT, "z", 1);
	j = (raw_job){.fd = raw_connect(),
		      .bytes = b.data,
		      .len = b.len,
		      .chunk = 3,
		      .pause_us = 0};
	/* first 40 bytes three at a time with pauses, then the rest in
	 * 7001-byte pieces */
	j.len = 40;
	j.pause_us = 2000;
	pthread_create(&th, NULL, raw_writer, &j);
	pthread_join(th, NULL);
	j.bytes = b.data + 40;
	j.len = b.len - 40;
	j.chunk = 7001;
	j.pause_us = 100;
	pthread_create(&th, NULL, raw_writer, &j);
	run_until(&T.nframes, 3);
	pthread_join(th, NULL);
	assert_int_equal(T.frames[0].len, 3);
	assert_memory_equal(T.frames[0].data, "abc", 3);
	assert_int_equal(T.frames[1].len, mid);
	assert_memory_equal(T.frames[1].data, p, mid);
	assert_int_equal(T.frames[2].type, NET_MSG_HEARTBEAT);
	close(j.fd);
	run_until(&T.closed, 1);
	mur_buf_free(&b);
	free(p);
}

static void test_many_frames_one_write(void **state)
{
	mur_buf b;
	char msg[32];
	pthread_t th;
	raw_job j;

	mur_buf_init(&b);
	for (int i = 0; i < 1500; i++) {
		int n = snprintf(msg, sizeof msg, "frame %d", i);
		put_frame(&b, NET_MSG_HEARTBEAT, msg, (size_t)n);
	}
	j = (raw_job){.fd = raw_connect(), .bytes = b.data, .len = b.len};
	pthread_create(&th, NULL, raw_writer, &j);
	run_until(&T.nframes, 1500);
	pthread_join(th, NULL);
	for (int i = 0; i < 1500; i++) {
		int n = snprintf(msg, sizeof msg, "frame %d", i);
		assert_int_equal(T.frames[i].len, n);
		assert_memory_equal(T.frames[i].data, msg, (size_t)n);
	}
	close(j.fd);
	run_until(&T.closed, 1);
	mur_buf_free(&b);
}

/* A bad frame on one raw connection closes it; a healthy client conn
 * keeps working before and after. */
static void bad_frame_closes_only_it(const char *bytes, size_t len, const char *want_reason)
{
	net_conn *c;
	int fd;
	char buf[16];

	T.echo = 1;
	c = connect_client();
	fd = raw_connect();
	assert_int_equal(write(fd, bytes, len), (ssize_t)len);
	run_until(&T.closed, 1);
	assert_non_null(strstr(T.last_reason, want_reason));
	/* the raw peer sees EOF */
	assert_int_equal(read(fd, buf, sizeof buf), 0);
	close(fd);
	assert_int_equal(net_conn_send(c, NET_MSG_TASK, "still", 5, NULL), MUR_OK);
	run_until(&T.ncframes, 1);
	assert_memory_equal(T.cframes[0].data, "still", 5);
	assert_int_equal(T.cclosed, 0);
	net_conn_close(c, "done");
	run_until(&T.cclosed, 1);
}

static void test_oversized_frame(void **state)
{
	unsigned char h[5] = {0x40, 0x00, 0x00, 0x01, NET_MSG_TASK}; /* 1 GiB + 1 */
	bad_frame_closes_only_it((const char *)h, sizeof h, "exceeds the limit");
}

static void test_unknown_type(void **state)
{
	unsigned char h[7] = {0, 0, 0, 3, 99, 'h', 'i'};
	bad_frame_closes_only_it((const char *)h, sizeof h, "unknown frame type 99");
}

static void test_zero_length(void **state)
{
	unsigned char h[4] = {0, 0, 0, 0};
	bad_frame_closes_only_it((const char *)h, sizeof h, "length 0");
}

static void test_per_conn_frame_max_and_send_limit(void **state)
{
	static char dummy[1];
	mur_error err;
	net_conn *c = connect_client();

	/* a frame over the protocol limit is refused before touching payload */
	assert_int_equal(net_conn_send(c, NET_MSG_TASK, dummy, NET_FRAME_MAX, &err), MUR_EPROTO);
	assert_string_equal(err.sqlstate, SQLSTATE_PROGRAM_LIMIT_EXCEEDED);
	net_conn_set_frame_max(c, 100);
	T.echo = 1;
	char p[200];
	memset(p, 'a', sizeof p);
	assert_int_equal(net_conn_send(c, NET_MSG_TASK, p, 99, NULL), MUR_OK);
	run_until(&T.ncframes, 1);
	assert_int_equal(net_conn_send(c, NET_MSG_TASK, p, 150, NULL), MUR_OK);
	run_until(&T.cclosed, 1);
	assert_non_null(strstr(T.creason, "exceeds the limit of 100 bytes"));
	/* between close and on_close, sends fail cleanly */
	c = connect_client();
	net_conn_close(c, "bye");
	assert_false(net_conn_is_open(c));
	assert_int_equal(net_conn_send(c, NET_MSG_TASK, p, 1, &err), MUR_EIO);
	run_until(&T.cclosed, 2);
}

static void test_read_timeout(void **state)
{
	int fd;
	T.read_timeout_ms = 50;
	fd = raw_connect();
	run_until(&T.closed, 1);
	assert_non_null(strstr(T.last_reason, "no frame received within 50 ms"));
	close(fd);
}

static void test_connect_refused(void **state)
{
	mur_error err;
	net_conn *c;
	net_listener *l2;
	char addr[64];
	int port;

	/* find a free port, then close the listener so nothing listens */
	assert_int_equal(net_listen(&T.loop, "127.0.0.1:0", on_accept, NULL, &l2, &err), MUR_OK);
	port = net_listener_port(l2);
	net_listener_close(l2);
	uv_run(&T.loop, UV_RUN_NOWAIT);
	snprintf(addr, sizeof addr, "127.0.0.1:%d", port);
	assert_int_equal(net_connect(&T.loop, addr, &cli_cbs, NULL, &c, &err), MUR_OK);
	run_until(&T.cclosed, 1);
	assert_int_equal(T.cconnected, 0);
	assert_non_null(strstr(T.creason, "connect to 127.0.0.1:"));
	assert_non_null(strstr(T.creason, "failed"));
	/* close while connecting: on_close carries our reason */
	assert_int_equal(net_connect(&T.loop, addr, &cli_cbs, NULL, &c, &err), MUR_OK);
	net_conn_close(c, "never mind");
	run_until(&T.cclosed, 2);
	assert_string_equal(T.creason, "never mind");
}

static void test_parse_addr(void **state)
{
	struct sockaddr_storage sa;
	mur_error err;

	assert_int_equal(net_parse_addr("127.0.0.1:5432", &sa, &err), MUR_OK);
	assert_int_equal(ntohs(((struct sockaddr_in *)&sa)->sin_port), 5432);
	assert_int_equal(net_parse_addr("localhost:1", &sa, &err), MUR_OK);
	assert_int_equal(net_parse_addr("[::1]:7000", &sa, &err), MUR_OK);
	assert_int_equal(sa.ss_family, AF_INET6);
	assert_int_equal(net_parse_addr("127.0.0.1", &sa, &err), MUR_ERR);
	assert_string_equal(err.message, "invalid address \"127.0.0.1\": expected HOST:PORT");
	assert_int_equal(net_parse_addr("127.0.0.1:", &sa, &err), MUR_ERR);
	assert_non_null(strstr(err.message, "missing port"));
	assert_int_equal(net_parse_addr(":80", &sa, &err), MUR_ERR);
	assert_non_null(strstr(err.message, "missing host"));
	assert_int_equal(net_parse_addr("1.2.3.4:65536", &sa, &err), MUR_ERR);
	assert_int_equal(net_parse_addr("1.2.3.4:99999999999999999999", &sa, &err), MUR_ERR);
	assert_int_equal(net_parse_addr("1.2.3.4:8x", &sa, &err), MUR_ERR);
	assert_int_equal(net_parse_addr("example.com:80", &sa, &err), MUR_ERR);
	assert_non_null(strstr(err.message, "no DNS"));
	assert_int_equal(net_parse_addr("", &sa, &err), MUR_ERR);
}

static void test_proto_codecs(void **state)
{
	net_hello h = {.version = NET_PROTO_VERSION}, h2;
	mur_buf b;
	mur_error err;
	uint32_t id;
	int64_t ms;
	uint64_t disk;
	const char *hb_files;
	size_t hb_len;
	char reason[NET_REASON_MAX];

	uint8_t proof[NET_PROOF_BYTES];
	snprintf(h.secret, sizeof h.secret, "s3cret");
	snprintf(h.name, sizeof h.name, "f1");
	snprintf(h.addr, sizeof h.addr, "127.0.0.1:7001");
	memset(h.nonce, 0xA5, sizeof h.nonce);
	memset(h.proof, 0x5A, sizeof h.proof);
	mur_buf_init(&b);
	net_hello_encode(&h, &b);
	/* the secret is never encoded */
	assert_null(memmem(b.data, b.len, "s3cret", 6));
	assert_int_equal(net_hello_decode(b.data, b.len, &h2, &err), MUR_OK);
	assert_int_equal(h2.version, NET_PROTO_VERSION);
	assert_string_equal(h2.secret, "");
	assert_memory_equal(h2.nonce, h.nonce, NET_NONCE_BYTES);
	assert_memory_equal(h2.proof, h.proof, NET_PROOF_BYTES);
	assert_string_equal(h2.name, "f1");
	assert_string_equal(h2.addr, "127.0.0.1:7001");
	/* every truncation fails, as do trailing bytes */
	for (size_t n = 0; n < b.len; n++)
		assert_int_equal(net_hello_decode(b.data, n, &h2, &err), MUR_EPROTO);
	mur_buf_put_u8(&b, 0);
	assert_int_equal(net_hello_decode(b.data, b.len, &h2, &err), MUR_EPROTO);
	assert_string_equal(err.sqlstate, SQLSTATE_PROTOCOL_VIOLATION);
	/* another version: MUR_ERR, its version said */
	mur_buf_reset(&b);
	mur_buf_put_u32(&b, 2);
	mur_buf_put_lstr(&b, "s3cret", 6);
	assert_int_equal(net_hello_decode(b.data, b.len, &h2, &err), MUR_ERR);
	assert_int_equal(h2.version, 2);
	/* a NUL inside a string, and an over-long name */
	mur_buf_reset(&b);
	mur_buf_put_u32(&b, NET_PROTO_VERSION);
	mur_buf_put(&b, h.nonce, NET_NONCE_BYTES);
	mur_buf_put(&b, h.proof, NET_PROOF_BYTES);
	mur_buf_put_lstr(&b, "a\0b", 3);
	mur_buf_put_lstr(&b, "a", 1);
	assert_int_equal(net_hello_decode(b.data, b.len, &h2, &err), MUR_EPROTO);
	mur_buf_reset(&b);
	mur_buf_put_u32(&b, NET_PROTO_VERSION);
	mur_buf_put(&b, h.nonce, NET_NONCE_BYTES);
	mur_buf_put(&b, h.proof, NET_PROOF_BYTES);
	char longname[NET_NAME_MAX];
	memset(longname, 'x', sizeof longname);
	mur_buf_put_lstr(&b, longname, sizeof longname);
	mur_buf_put_lstr(&b, "a", 1);
	assert_int_equal(net_hello_decode(b.data, b.len, &h2, &err), MUR_EPROTO);
	/* a string length far past the end */
	mur_buf_reset(&b);
	mur_buf_put_u32(&b, NET_PROTO_VERSION);
	mur_buf_put(&b, h.nonce, NET_NONCE_BYTES);
	mur_buf_put(&b, h.proof, NET_PROOF_BYTES);
	mur_buf_put_u32(&b, 0xffffffffu);
	assert_int_equal(net_hello_decode(b.data, b.len, &h2, &err), MUR_EPROTO);

	mur_buf_reset(&b);
	net_welcome_encode(42, h.proof, &b);
	assert_int_equal(net_welcome_decode(b.data, b.len, &id, proof, &err), MUR_OK);
	assert_int_equal(id, 42);
	assert_memory_equal(proof, h.proof, NET_PROOF_BYTES);
	for (size_t n = 0; n < b.len; n++)
		assert_int_equal(net_welcome_decode(b.data, n, &id, proof, &err), MUR_EPROTO);
	mur_buf_reset(&b);
	net_heartbeat_encode(-5, 123456789, NULL, &b);
	assert_int_equal(net_heartbeat_decode(b.data, b.len, &ms, &disk, &hb_files, &hb_len, &err),
			 MUR_OK);
	assert_int_equal(ms, -5);
	assert_int_equal(disk, 123456789);
	assert_null(hb_files);
	/* an 8-byte HEARTBEAT (no disk bytes) still decodes, with 0 */
	assert_int_equal(net_heartbeat_decode(b.data, 8, &ms, &disk, &hb_files, &hb_len, &err),
			 MUR_OK);
	assert_int_equal(disk, 0);
	assert_int_equal(net_heartbeat_decode(b.data, 12, &ms, &disk, &hb_files, &hb_len, &err),
			 MUR_EPROTO);
	/* with each file's size: read back in order; any cut is malformed */
	{
		mur_buf fl;
		mur_rd rd;
		char file[NET_NAME_MAX];
		uint64_t fb;
		mur_buf_init(&fl);
		net_heartbeat_file_put(&fl, "t3_s1.db", 4096);
		net_heartbeat_file_put(&fl, "t3_s1.db-wal", 7);
		mur_buf_reset(&b);
		net_heartbeat_encode(9, 4103, &fl, &b);
		assert_int_equal(net_heartbeat_decode(b.data, b.len, &ms, &disk, &hb_files, &hb_len,
						      &err),
				 MUR_OK);
		mur_rd_init(&rd, hb_files, hb_len);
		assert_int_equal(net_heartbeat_file_next(&rd, file, &fb), 1);
		assert_string_equal(file, "t3_s1.db");
		assert_int_equal(fb, 4096);
		assert_int_equal(net_heartbeat_file_next(&rd, file, &fb), 1);
		assert_string_equal(file, "t3_s1.db-wal");
		assert_int_equal(fb, 7);
		assert_int_equal(net_heartbeat_file_next(&rd, file, &fb), 0);
		/* cut inside an entry: malformed (17 + 20 bytes: the first entry whole) */
		for (size_t n = 18; n < b.len; n++)
			assert_int_equal(net_heartbeat_decode(b.data, n, &ms, &disk, &hb_files,
							      &hb_len, &err),
					 n == 17 + 4 + 8 + 8 ? MUR_OK : MUR_EPROTO);
		b.data[16] = 2; /* not a list */
		assert_int_equal(net_heartbeat_decode(b.data, b.len, &ms, &disk, &hb_files, &hb_len,
						      &err),
				 MUR_EPROTO);
		mur_buf_free(&fl);
	}
	mur_buf_reset(&b);
	net_refused_encode("wrong cluster secret", &b);
	assert_int_equal(net_refused_decode(b.data, b.len, reason, &err), MUR_OK);
	assert_string_equal(reason, "wrong cluster secret");
	assert_int_equal(net_refused_decode(b.data, b.len - 1, reason, &err), MUR_EPROTO);
	assert_true(net_msg_type_ok(NET_MSG_RESULT));
	assert_false(net_msg_type_ok(0));
	assert_false(net_msg_type_ok(NET_MSG_COUNT));
	assert_string_equal(net_msg_name(NET_MSG_TASK), "TASK");
	mur_buf_free(&b);
}

int main(void)
{
	signal(SIGPIPE, SIG_IGN); /* a closed peer is an EPIPE, as in the node binary */
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_round_trip, setup, teardown),
		cmocka_unit_test_setup_teardown(test_cork_gathers_frames, setup, teardown),
		cmocka_unit_test_setup_teardown(test_turn_gathers_echoes, setup, teardown),
		cmocka_unit_test_setup_teardown(test_turn_flush_and_close, setup, teardown),
		cmocka_unit_test_setup_teardown(test_reset_peer_with_gathered_frames, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_split_across_reads, setup, teardown),
		cmocka_unit_test_setup_teardown(test_many_frames_one_write, setup, teardown),
		cmocka_unit_test_setup_teardown(test_oversized_frame, setup, teardown),
		cmocka_unit_test_setup_teardown(test_unknown_type, setup, teardown),
		cmocka_unit_test_setup_teardown(test_zero_length, setup, teardown),
		cmocka_unit_test_setup_teardown(test_per_conn_frame_max_and_send_limit, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_read_timeout, setup, teardown),
		cmocka_unit_test_setup_teardown(test_connect_refused, setup, teardown),
		cmocka_unit_test(test_parse_addr),
		cmocka_unit_test(test_proto_codecs),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
