/*
 * test_pgwire_server.c — the libuv shell over real TCP: pgw_server on
 * 127.0.0.1 with an ephemeral port, its loop on a thread, the toy engine
 * behind it, and blocking client sockets in the test thread.
 */
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "pgwire/pgw_codec.h"
#include "pgwire/pgw_server.h"
#include "test_pgwire_toy.h"

#include <arpa/inet.h>
#include <errno.h>
#include <time.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <stdatomic.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <unistd.h>

/* Every setsockopt of this process comes here (the test binary's own
 * definition wins over libc's, for libuv too): TCP_KEEPIDLE calls are
 * counted, then the system call is made as libc would. */
static atomic_int keepidle_calls;
int setsockopt(int fd, int level, int name, const void *value, socklen_t len)
{
	if (level == IPPROTO_TCP && name == TCP_KEEPIDLE)
		atomic_fetch_add(&keepidle_calls, 1);
	return (int)syscall(SYS_setsockopt, fd, level, name, value, len);
}

typedef struct server_fixture {
	uv_loop_t loop;
	uv_async_t stop;
	uv_timer_t complete; /* delivers pending async results when released */
	atomic_int release;  /* async results the test allows to complete */
	pgw_server *srv;
	toy_engine e;
	int port;
	pthread_t thread;
	int stopped;
} server_fixture;

static void stop_cb(uv_async_t *a)
{
	server_fixture *f = a->data;
	pgw_server_close(f->srv);
	uv_close((uv_handle_t *)a, NULL);
	uv_close((uv_handle_t *)&f->complete, NULL);
}

static void complete_cb(uv_timer_t *t)
{
	server_fixture *f = t->data;
	if (atomic_load(&f->release) > 0 && toy_complete(&f->e))
		atomic_fetch_sub(&f->release, 1);
}

static void *loop_main(void *arg)
{
	server_fixture *f = arg;
	uv_run(&f->loop, UV_RUN_DEFAULT);
	return NULL;
}

/* A server with the given limits, its loop running on a thread. */
static int setup_with(void **state, const pgw_server_limits *lim)
{
	server_fixture *f = calloc(1, sizeof *f);
	mur_error err;
	assert_int_equal(uv_loop_init(&f->loop), 0);
	assert_int_equal(pgw_server_start(&f->loop, "127.0.0.1", 0, &toy_ops, &f->e, &f->srv, &err),
			 MUR_OK);
	if (lim)
		pgw_server_set_limits(f->srv, lim);
	f->port = pgw_server_port(f->srv);
	assert_true(f->port > 0);
	uv_async_init(&f->loop, &f->stop, stop_cb);
	f->stop.data = f;
	uv_timer_init(&f->loop, &f->complete);
	f->complete.data = f;
	uv_timer_start(&f->complete, complete_cb, 2, 2);
	assert_int_equal(pthread_create(&f->thread, NULL, loop_main, f), 0);
	*state = f;
	return 0;
}

static int setup(void **state) { return setup_with(state, NULL); }

/* Small limits for the admission tests: 2 sessions, 4 connections in
 * startup, closed 300 ms after accept. */
#define SMALL_SESSIONS 2
#define SMALL_STARTUP 4
#define SMALL_TIMEOUT_MS 300

static int setup_small(void **state)
{
	pgw_server_limits lim = {
		.sessions_max = SMALL_SESSIONS,
		.startup_max = SMALL_STARTUP,
		.startup_timeout_ms = SMALL_TIMEOUT_MS,
	};
	return setup_with(state, &lim);
}

/* Close the server from its loop thread and wait for the loop to drain. */
static void stop_server(server_fixture *f)
{
	if (f->stopped)
		return;
	f->stopped = 1;
	uv_async_send(&f->stop);
	pthread_join(f->thread, NULL);
}

static int teardown(void **state)
{
	server_fixture *f = *state;
	stop_server(f);
	assert_int_equal(uv_loop_close(&f->loop), 0); /* every handle was closed */
	assert_int_equal(f->e.sessions_closed, f->e.sessions_open);
	assert_int_equal(f->e.stmts_live, 0);
	free(f);
	return 0;
}

static void rbuf_reset(int fd);

static int connect_to(int port)
{
	struct sockaddr_in sa;
	struct timeval tv = {.tv_sec = 5};
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	assert_true(fd >= 0);
	memset(&sa, 0, sizeof sa);
	sa.sin_family = AF_INET;
	sa.sin_port = htons((uint16_t)port);
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_int_equal(connect(fd, (struct sockaddr *)&sa, sizeof sa), 0);
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
	rbuf_reset(fd);
	return fd;
}

static void send_buf(int fd, mur_buf *b)
{
	size_t off = 0;
	while (off < b->len) {
		ssize_t n = write(fd, b->data + off, b->len - off);
		assert_true(n > 0);
		off += (size_t)n;
	}
	mur_buf_reset(b);
}

/* Buffered reads per fd: results are millions of small messages. */
#define RBUF_FDS 1024
typedef struct rbuf {
	char data[64 * 1024];
	size_t off, len;
} rbuf;
static rbuf *rbufs[RBUF_FDS];

static void rbuf_reset(int fd)
{
	assert_true(fd >= 0 && fd < RBUF_FDS);
	if (!rbufs[fd])
		rbufs[fd] = calloc(1, sizeof(rbuf));
	rbufs[fd]->off = rbufs[fd]->len = 0;
}

static int read_full(int fd, char *p, size_t n)
{
	rbuf *r = rbufs[fd];
	while (n > 0) {
		size_t k;
		if (r->off == r->len) {
			ssize_t got = read(fd, r->data, sizeof r->data);
			if (got <= 0)
				return -1;
			r->off = 0;
			r->len = (size_t)got;
		}
		k = r->len - r->off < n ? r->len - r->off : n;
		memcpy(p, r->data + r->off, k);
		r->off += k;
		p += k;
		n -= k;
	}
	return 0;
}

/* Read messages until ReadyForQuery or EOF; returns their types in types
 * (one char each, '!' appended on EOF).  The last ErrorResponse's SQLSTATE
 * goes to sqlstate when given. */
static void read_until_ready(int fd, char *types, size_t cap, char *sqlstate)
{
	size_t n = 0;
	for (;;) {
		char hdr[5], *body;
		uint32_t len;
		if (read_full(fd, hdr, 5) != 0) {
			types[n++] = '!';
			break;
		}
		len = ((uint32_t)(uint8_t)hdr[1] << 24) | ((uint32_t)(uint8_t)hdr[2] << 16) |
		      ((uint32_t)(uint8_t)hdr[3] << 8) | (uint8_t)hdr[4];
		assert_true(len >= 4 && len < 64 * 1024 * 1024);
		body = malloc(len - 4 + 1);
		assert_int_equal(read_full(fd, body, len - 4), 0);
		if (hdr[0] == 'E' && sqlstate) {
			for (char *p = body; *p; p += strlen(p) + 1)
				if (*p == 'C')
					snprintf(sqlstate, 6, "%s", p + 1);
		}
		free(body);
		if (n + 2 < cap)
			types[n++] = hdr[0];
		if (hdr[0] == 'Z')
			break;
	}
	types[n] = '\0';
}

static void handshake(int fd)
{
	mur_buf b;
	char types[64];
	mur_buf_init(&b);
	fe_startup(&b, "alice", "db");
	send_buf(fd, &b);
	read_until_ready(fd, types, sizeof types, NULL);
	assert_string_equal(types, "RSSSSSSSSSSSKZ");
	mur_buf_free(&b);
}

static void query(int fd, const char *sql, const char *expect)
{
	mur_buf b;
	char types[256];
	mur_buf_init(&b);
	fe_query(&b, sql);
	send_buf(fd, &b);
	read_until_ready(fd, types, sizeof types, NULL);
	assert_string_equal(types, expect);
	mur_buf_free(&b);
}

static void test_handshake_and_query(void **state)
{
	server_fixture *f = *state;
	int fd = connect_to(f->port);
	handshake(fd);
	query(fd, "select 3", "TDDDCZ");
	query(fd, "bad", "EZ");
	query(fd, "select 1; select 2", "TDCTDDCZ");
	close(fd);
}

/* A keepalive the session hands back unchanged (the leader does at the end
 * of every transaction block) costs no system call; a changed one is
 * applied. */
static void test_keepalive_applied_only_when_changed(void **state)
{
	server_fixture *f = *state;
	int fd = connect_to(f->port), before;
	handshake(fd);
	before = atomic_load(&keepidle_calls);
	query(fd, "keepalive 30", "CZ");
	assert_int_equal(atomic_load(&keepidle_calls), before + 1);
	for (int i = 0; i < 5; i++)
		query(fd, "keepalive 30", "CZ");
	assert_int_equal(atomic_load(&keepidle_calls), before + 1);
	query(fd, "keepalive 31", "CZ");
	assert_int_equal(atomic_load(&keepidle_calls), before + 2);
	close(fd);
}

static void test_ssl_request_over_tcp(void **state)
{
	server_fixture *f = *state;
	int fd = connect_to(f->port);
	mur_buf b;
	char c;
	mur_buf_init(&b);
	fe_request(&b, PGW_SSL_REQUEST_CODE);
	send_buf(fd, &b);
	assert_int_equal(read_full(fd, &c, 1), 0);
	assert_int_equal(c, 'N');
	handshake(fd);
	query(fd, "select 1", "TDCZ");
	mur_buf_free(&b);
	close(fd);
}

static void test_garbage_isolated(void **state)
{
	server_fixture *f = *state;
	int good = connect_to(f->port), bad = connect_to(f->port), big = connect_to(f->port);
	char types[64], sqlstate[6] = "";
	mur_buf b;
	mur_buf_init(&b);
	handshake(good);
	handshake(bad);
	handshake(big);

	mur_buf_put(&b, "\x01garbage garbage garbage", 24);
	send_buf(bad, &b);
	read_until_ready(bad, types, sizeof types, sqlstate);
	assert_string_equal(types, "E!"); /* FATAL, then the server hangs up */
	assert_string_equal(sqlstate, "08P01");

	mur_buf_put_u8(&b, 'Q');
	mur_buf_put_u32(&b, 0x7fffffff); /* oversized */
	send_buf(big, &b);
	read_until_ready(big, types, sizeof types, sqlstate);
	assert_string_equal(types, "E!");
	assert_string_equal(sqlstate, "08P01");

	query(good, "select 2", "TDDCZ");
	int again = connect_to(f->port);
	handshake(again);
	query(again, "select 1", "TDCZ");
	close(again);
	close(good);
	close(bad);
	close(big);
	mur_buf_free(&b);
}

static void test_large_result_and_pipelining(void **state)
{
	server_fixture *f = *state;
	int fd = connect_to(f->port);
	mur_buf b;
	char types[256];
	handshake(fd);
	/* ~2 MB of DataRows in one result */
	mur_buf_init(&b);
	fe_query(&b, "select 200000");
	send_buf(fd, &b);
	{
		uint64_t rows = 0;
		char hdr[5];
		for (;;) {
			uint32_t len;
			char *body;
			assert_int_equal(read_full(fd, hdr, 5), 0);
			len = ((uint32_t)(uint8_t)hdr[1] << 24) |
			      ((uint32_t)(uint8_t)hdr[2] << 16) | ((uint32_t)(uint8_t)hdr[3] << 8) |
			      (uint8_t)hdr[4];
			body = malloc(len);
			assert_int_equal(read_full(fd, body, len - 4), 0);
			free(body);
			rows += hdr[0] == 'D';
			if (hdr[0] == 'Z')
				break;
		}
		assert_int_equal(rows, 200000);
	}
	/* many queries in one write */
	for (int i = 0; i < 100; i++)
		fe_query(&b, "select 1");
	send_buf(fd, &b);
	for (int i = 0; i < 100; i++) {
		read_until_ready(fd, types, sizeof types, NULL);
		assert_string_equal(types, "TDCZ");
	}
	mur_buf_free(&b);
	close(fd);
}

/* An engine that answers later: the result reaches the client through
 * the connection's wake callback; a client that leaves before the answer
 * has its session closed once the answer comes. */
static void test_async_engine(void **state)
{
	server_fixture *f = *state;
	int fd = connect_to(f->port), gone = connect_to(f->port);
	mur_buf b;
	char types[64];
	mur_buf_init(&b);
	handshake(fd);
	handshake(gone);
	fe_query(&b, "async select 2; select 1");
	send_buf(fd, &b);
	atomic_fetch_add(&f->release, 1);
	read_until_ready(fd, types, sizeof types, NULL);
	assert_string_equal(types, "TDDCTDCZ");

	fe_query(&b, "async select 1");
	send_buf(gone, &b);
	usleep(50 * 1000);
	close(gone); /* disconnect while the statement runs */
	atomic_fetch_add(&f->release, 1);
	while (atomic_load(&f->release) > 0) /* the engine must answer before teardown */
		usleep(1000);
	query(fd, "select 1", "TDCZ");
	mur_buf_free(&b);
	close(fd);
}

/* ~30 MB of results requested at once while the client is not reading:
 * the server stops at its write-queue limit and resumes as we drain. */
static void test_backpressure(void **state)
{
	server_fixture *f = *state;
	int fd = connect_to(f->port);
	mur_buf b;
	uint64_t rows = 0;
	int ready = 0;
	handshake(fd);
	mur_buf_init(&b);
	for (int i = 0; i < 20; i++)
		fe_query(&b, "select 100000");
	send_buf(fd, &b);
	usleep(300 * 1000);
	while (ready < 20) {
		char hdr[5], *body;
		uint32_t len;
		assert_int_equal(read_full(fd, hdr, 5), 0);
		len = ((uint32_t)(uint8_t)hdr[1] << 24) | ((uint32_t)(uint8_t)hdr[2] << 16) |
		      ((uint32_t)(uint8_t)hdr[3] << 8) | (uint8_t)hdr[4];
		body = malloc(len);
		assert_int_equal(read_full(fd, body, len - 4), 0);
		free(body);
		rows += hdr[0] == 'D';
		ready += hdr[0] == 'Z';
	}
	assert_int_equal(rows, 20 * 100000);
	query(fd, "select 1", "TDCZ");
	mur_buf_free(&b);
	close(fd);
}

static void test_close_with_open_connections(void **state)
{
	server_fixture *f = *state;
	int a = connect_to(f->port), b = connect_to(f->port);
	char types[8];
	handshake(a);
	handshake(b);
	stop_server(f); /* both still connected */
	read_until_ready(a, types, sizeof types, NULL);
	assert_string_equal(types, "!");
	assert_int_equal(f->e.sessions_closed, 2);
	close(a);
	close(b);
}

/* ---- Admission: the startup queue, its timeout, the session limit ---- */

static uint64_t now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

/* Milliseconds until the server closes fd (EOF or reset); fails the test
 * when it stays open for the socket's 5 s receive timeout. */
static uint64_t ms_until_closed(int fd)
{
	uint64_t t0 = now_ms();
	char c[256];
	for (;;) {
		ssize_t n = read(fd, c, sizeof c);
		if (n == 0 || (n < 0 && errno == ECONNRESET))
			return now_ms() - t0;
		assert_true(n > 0); /* n < 0: EAGAIN, still open after 5 s */
	}
}

/* Whether fd is still open: nothing to read within 50 ms. */
static int still_open(int fd)
{
	struct timeval tv = {.tv_usec = 50000}, back = {.tv_sec = 5};
	char c;
	ssize_t n;
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
	n = read(fd, &c, 1);
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &back, sizeof back);
	return n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK);
}

static void test_startup_queue_closes_oldest(void **state)
{
	server_fixture *f = *state;
	int idle[SMALL_STARTUP], fd;
	for (int i = 0; i < SMALL_STARTUP; i++)
		idle[i] = connect_to(f->port);
	usleep(50 * 1000); /* accepted in earlier loop turns */
	fd = connect_to(f->port);
	handshake(fd); /* the queue was full: the oldest made room */
	query(fd, "select 1", "TDCZ");
	assert_true(ms_until_closed(idle[0]) < SMALL_TIMEOUT_MS / 2);
	for (int i = 1; i < SMALL_STARTUP; i++)
		assert_true(still_open(idle[i]));
	for (int i = 0; i < SMALL_STARTUP; i++)
		close(idle[i]);
	close(fd);
}

static void test_startup_timeout(void **state)
{
	server_fixture *f = *state;
	int idle = connect_to(f->port), partial = connect_to(f->port), done = connect_to(f->port);
	uint64_t t0 = now_ms(), waited;
	mur_buf b;
	mur_buf_init(&b);
	fe_startup(&b, "alice", "db");
	assert_int_equal(write(partial, b.data, b.len - 1), (ssize_t)(b.len - 1)); /* one short */
	mur_buf_free(&b);
	handshake(done);
	ms_until_closed(idle);
	assert_true(ms_until_closed(partial) < 1000);
	waited = now_ms() - t0;
	assert_true(waited >= SMALL_TIMEOUT_MS - 20 && waited < SMALL_TIMEOUT_MS + 1000);
	query(done, "select 1", "TDCZ"); /* past startup: no timeout */
	close(idle);
	close(partial);
	close(done);
}

static void test_sessions_apart_from_startup(void **state)
{
	server_fixture *f = *state;
	int idle[SMALL_STARTUP - 1], a, b, c, d;
	char types[16], sqlstate[6] = "";
	mur_buf m;
	for (int i = 0; i < SMALL_STARTUP - 1; i++)
		idle[i] = connect_to(f->port);
	usleep(50 * 1000); /* accepted in earlier loop turns: they can make room */
	a = connect_to(f->port);
	handshake(a); /* idle connections hold no session slot */
	b = connect_to(f->port);
	handshake(b);
	c = connect_to(f->port);
	mur_buf_init(&m);
	fe_startup(&m, "carol", "db");
	send_buf(c, &m);
	read_until_ready(c, types, sizeof types, sqlstate);
	assert_string_equal(types, "E!");
	assert_string_equal(sqlstate, "53300");
	close(a);
	usleep(50 * 1000); /* the server sees a go */
	d = connect_to(f->port);
	handshake(d);
	query(d, "select 1", "TDCZ");
	query(b, "select 1", "TDCZ");
	assert_int_equal(f->e.sessions_open, 3); /* c never had one */
	mur_buf_free(&m);
	for (int i = 0; i < SMALL_STARTUP - 1; i++)
		close(idle[i]);
	close(b);
	close(c);
	close(d);
}

int main(void)
{
	signal(SIGPIPE, SIG_IGN); /* a closed peer is an EPIPE, as in the node binary */
#define T(name) cmocka_unit_test_setup_teardown(name, setup, teardown)
	const struct CMUnitTest tests[] = {
		T(test_handshake_and_query),
		T(test_ssl_request_over_tcp),
		T(test_keepalive_applied_only_when_changed),
		T(test_garbage_isolated),
		T(test_large_result_and_pipelining),
		T(test_async_engine),
		T(test_backpressure),
		T(test_close_with_open_connections),
		cmocka_unit_test_setup_teardown(test_startup_queue_closes_oldest, setup_small,
						teardown),
		cmocka_unit_test_setup_teardown(test_startup_timeout, setup_small, teardown),
		cmocka_unit_test_setup_teardown(test_sessions_apart_from_startup, setup_small,
						teardown),
	};
#undef T
	int rc = cmocka_run_group_tests(tests, NULL, NULL);
	for (int i = 0; i < RBUF_FDS; i++)
		free(rbufs[i]);
	return rc;
}
