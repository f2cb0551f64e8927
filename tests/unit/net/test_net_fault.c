/*
 * test_net_fault.c — fault injection in the transport (net.h): drop keeps
 * the TCP connection but loses every frame both ways and does not feed the
 * read timeout; delay holds frames each way, in order, also when the delay
 * is lifted with frames still held; blocked addresses drop a dialed
 * connection's frames and closing on unblock; frame filters; sent marks
 * tell a frame held when its conn closed (it never left).
 *
 * One loop in the test thread; a listener whose conns echo every frame,
 * and one client conn made with net_connect.
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

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define MAX_FRAMES 64

static struct {
	uv_loop_t loop;
	net_listener *lis;
	char addr[64];
	net_conn *srv; /* the accepted conn */
	net_conn *cli;
	int srv_frames, srv_closed;
	char srv_reason[256];
	uint64_t read_timeout_ms;
	int cli_frames, cli_closed, cli_connected;
	char cli_reason[256];
	char cli_first[MAX_FRAMES]; /* first payload byte of each echoed frame */
	uint64_t cli_at_ms[MAX_FRAMES];
	int filter_calls;
} T;

static void srv_frame(net_conn *c, uint8_t type, const char *p, size_t len)
{
	T.srv_frames++;
	net_conn_send(c, type, p, len, NULL);
}

static void srv_close(net_conn *c, const char *reason)
{
	T.srv_closed++;
	T.srv = NULL;
	snprintf(T.srv_reason, sizeof T.srv_reason, "%s", reason);
}

static const net_conn_cbs srv_cbs = {.on_frame = srv_frame, .on_close = srv_close};

static void on_accept(net_listener *l, net_conn *c, void *arg)
{
	T.srv = c;
	net_conn_start(c, &srv_cbs, NULL);
	if (T.read_timeout_ms)
		net_conn_set_read_timeout(c, T.read_timeout_ms);
}

static void cli_connect(net_conn *c) { T.cli_connected = 1; }

static void cli_frame(net_conn *c, uint8_t type, const char *p, size_t len)
{
	if (T.cli_frames < MAX_FRAMES) {
		T.cli_first[T.cli_frames] = len ? p[0] : 0;
		T.cli_at_ms[T.cli_frames] = uv_now(&T.loop);
	}
	T.cli_frames++;
}

static void cli_close(net_conn *c, const char *reason)
{
	T.cli_closed++;
	T.cli = NULL;
	snprintf(T.cli_reason, sizeof T.cli_reason, "%s", reason);
}

static const net_conn_cbs cli_cbs = {.on_connect = cli_connect,
				     .on_frame = cli_frame,
				     .on_close = cli_close};

/* Run the loop for ms, or until *counter >= want (want > 0). */
static void run(const int *counter, int want, uint64_t ms)
{
	tl_run_until_count(&T.loop, counter, want, ms);
}

static void send_byte(char b)
{
	assert_int_equal(net_conn_send(T.cli, NET_MSG_HEARTBEAT, &b, 1, NULL), MUR_OK);
}

static int setup(void **state)
{
	mur_error err;
	memset(&T, 0, sizeof T);
	uv_loop_init(&T.loop);
	assert_int_equal(net_listen(&T.loop, "127.0.0.1:0", on_accept, NULL, &T.lis, &err), MUR_OK);
	snprintf(T.addr, sizeof T.addr, "127.0.0.1:%d", net_listener_port(T.lis));
	return 0;
}

static void connect_client(void)
{
	mur_error err;
	assert_int_equal(net_connect(&T.loop, T.addr, &cli_cbs, NULL, &T.cli, &err), MUR_OK);
	run(&T.cli_connected, 1, 2000);
	assert_true(T.cli_connected);
	send_byte('x'); /* make sure the server side exists */
	run(&T.cli_frames, 1, 2000);
	assert_non_null(T.srv);
	T.cli_frames = 0;
	T.srv_frames = 0;
}

static int teardown(void **state)
{
	uint64_t deadline;
	net_fault_unblock_all();
	if (T.cli)
		net_conn_close(T.cli, "test over");
	if (T.srv)
		net_conn_close(T.srv, "test over");
	net_listener_close(T.lis);
	uv_update_time(&T.loop);
	deadline = uv_now(&T.loop) + 2000;
	while (uv_run(&T.loop, UV_RUN_NOWAIT) && uv_now(&T.loop) < deadline)
		usleep(1000), uv_update_time(&T.loop);
	assert_int_equal(uv_loop_close(&T.loop), 0);
	return 0;
}

static void test_drop_both_ways_connection_stays(void **state)
{
	net_fault drop = {.drop = 1};
	connect_client();
	net_conn_set_fault(T.srv, &drop);
	send_byte('a');
	send_byte('b');
	run(NULL, 0, 150);
	assert_int_equal(T.srv_frames, 0); /* dropped on receive */
	assert_int_equal(T.cli_frames, 0);
	assert_int_equal(T.srv_closed + T.cli_closed, 0);
	net_conn_set_fault(T.srv, NULL);
	send_byte('c');
	run(&T.cli_frames, 1, 2000);
	assert_int_equal(T.cli_frames, 1);
	assert_int_equal(T.cli_first[0], 'c');
	/* sending side: the echo vanishes */
	net_conn_set_fault(T.cli, &drop);
	send_byte('d');
	run(NULL, 0, 150);
	assert_int_equal(T.srv_frames, 1);
}

static void test_dropped_frames_do_not_feed_read_timeout(void **state)
{
	net_fault drop = {.drop = 1};
	T.read_timeout_ms = 300;
	connect_client();
	net_conn_set_fault(T.srv, &drop);
	for (int i = 0; i < 12 && !T.srv_closed; i++) {
		send_byte('h'); /* a heartbeat every 50 ms, all dropped */
		run(NULL, 0, 50);
	}
	assert_int_equal(T.srv_closed, 1);
	assert_non_null(strstr(T.srv_reason, "no frame received within 300 ms"));
}

static void test_delay_each_way_in_order(void **state)
{
	net_fault delay = {.delay_ms = 100};
	uint64_t t0;
	connect_client();
	net_conn_set_fault(T.cli, &delay);
	uv_update_time(&T.loop);
	t0 = uv_now(&T.loop);
	for (char b = '0'; b <= '9'; b++)
		send_byte(b);
	run(&T.cli_frames, 10, 3000);
	assert_int_equal(T.cli_frames, 10);
	for (int i = 0; i < 10; i++)
		assert_int_equal(T.cli_first[i], '0' + i);
	/* held 100 ms going out and 100 ms coming back */
	assert_true(T.cli_at_ms[0] - t0 >= 195);
	assert_true(T.cli_at_ms[9] - t0 < 1000);
}

static void test_delay_lifted_keeps_order(void **state)
{
	net_fault delay = {.delay_ms = 150};
	connect_client();
	net_conn_set_fault(T.cli, &delay);
	send_byte('A');
	net_conn_set_fault(T.cli, NULL); /* B must still follow A */
	send_byte('B');
	run(&T.cli_frames, 2, 3000);
	assert_int_equal(T.cli_frames, 2);
	assert_int_equal(T.cli_first[0], 'A');
	assert_int_equal(T.cli_first[1], 'B');
	assert_int_equal(net_conn_fault(T.cli).delay_ms, 0);
}

static void test_delay_closed_with_frames_held(void **state)
{
	net_fault delay = {.delay_ms = 5000};
	connect_client();
	net_conn_set_fault(T.cli, &delay);
	send_byte('z');
	net_conn_close(T.cli, "bye"); /* held frame freed, timer closed */
	run(&T.cli_closed, 1, 2000);
	assert_int_equal(T.cli_closed, 1);
	assert_int_equal(T.srv_frames, 0);
}

/* Sent marks (net.h): a frame that reached the socket may have left; one
 * held by a delay fault or a cork when the conn closes never did.  While
 * the conn is open nothing is "never sent" (a held frame may still go). */
static void test_sent_marks_tell_frames_that_never_left(void **state)
{
	net_fault delay = {.delay_ms = 5000};
	uint64_t left, held, corked;
	connect_client();
	send_byte('a');
	left = net_conn_sent_mark(T.cli);
	run(&T.cli_frames, 1, 2000); /* echoed: it left */
	net_conn_set_fault(T.cli, &delay);
	send_byte('b');
	held = net_conn_sent_mark(T.cli);
	assert_true(held > left);
	assert_false(net_conn_never_sent(T.cli, left));
	assert_false(net_conn_never_sent(T.cli, held)); /* open: it may still go */
	net_conn_set_fault(T.cli, NULL);
	net_conn_close(T.cli, "bye");
	assert_false(net_conn_never_sent(T.cli, left));
	assert_true(net_conn_never_sent(T.cli, held));
	run(&T.cli_closed, 1, 2000);
	assert_int_equal(T.srv_frames, 1); /* the held one never arrived */

	/* a corked frame, the conn closed before the uncork */
	T.cli_connected = T.cli_frames = 0;
	connect_client();
	net_conn_cork(T.cli);
	send_byte('c');
	corked = net_conn_sent_mark(T.cli);
	net_conn_close(T.cli, "bye");
	assert_true(net_conn_never_sent(T.cli, corked));
	net_conn_uncork(T.cli);
	run(&T.cli_closed, 2, 2000);
}

static void test_blocked_addr_then_unblock_closes(void **state)
{
	mur_error err;
	connect_client();
	assert_int_equal(net_fault_block_addr(T.addr, &err), MUR_OK);
	assert_int_equal(net_fault_blocked_count(), 1);
	send_byte('q');
	run(NULL, 0, 150);
	assert_int_equal(T.srv_frames, 0);
	assert_int_equal(T.cli_closed, 0);
	net_fault_unblock_all();
	assert_int_equal(net_fault_blocked_count(), 0);
	run(&T.cli_closed, 1, 2000);
	assert_int_equal(T.cli_closed, 1);
	assert_non_null(strstr(T.cli_reason, "partition healed"));
	assert_int_not_equal(net_fault_block_addr("nonsense", &err), MUR_OK);
}

static void test_wildcard_blocked_addr_matches(void **state)
{
	mur_error err;
	char any[64];
	connect_client();
	snprintf(any, sizeof any, "0.0.0.0:%s", strrchr(T.addr, ':') + 1);
	assert_int_equal(net_fault_block_addr(any, &err), MUR_OK);
	send_byte('w');
	run(NULL, 0, 150);
	assert_int_equal(T.srv_frames, 0);
}

static int filter(void *arg, net_conn *c, char dir, uint8_t type, const char *p, size_t len)
{
	T.filter_calls++;
	return dir == 'R' && len == 1 && p[0] == 'X'; /* drop 'X' */
}

static void test_listener_filter(void **state)
{
	net_listener_set_filter(T.lis, filter, NULL);
	connect_client();
	send_byte('X');
	send_byte('Y');
	run(&T.cli_frames, 1, 2000);
	run(NULL, 0, 50);
	assert_int_equal(T.cli_frames, 1);
	assert_int_equal(T.cli_first[0], 'Y');
	assert_true(T.filter_calls >= 3); /* receives and the echo's send */
}

int main(void)
{
	signal(SIGPIPE, SIG_IGN); /* a closed peer is an EPIPE, as in the node binary */
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_drop_both_ways_connection_stays, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_dropped_frames_do_not_feed_read_timeout, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_delay_each_way_in_order, setup, teardown),
		cmocka_unit_test_setup_teardown(test_delay_lifted_keeps_order, setup, teardown),
		cmocka_unit_test_setup_teardown(test_delay_closed_with_frames_held, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_sent_marks_tell_frames_that_never_left, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_blocked_addr_then_unblock_closes, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_wildcard_blocked_addr_matches, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_listener_filter, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
