/*
 * netfault.c — delay queues and blocked addresses for fault injection
 * (contract in net.h, wiring in net.c).
 *
 * A delay queue is a singly linked FIFO of (due time, direction, frame).
 * Due times never decrease along the list — a frame pushed after another is
 * due no earlier — so the head is always the next frame to release and one
 * timer, armed for the head, is enough.  Sent and received frames share the
 * queue; each direction's bytes are counted separately so net.c can bound
 * them (NET_FAULT_DELAY_BYTES_MAX).  Due times are the loop's clock
 * (uv_now), not common/clock.h's: they arm the release timer, which libuv
 * runs on that clock.
 *
 * Release may close the connection, which destroys the queue from inside
 * the timer callback: `closing` stops the loop there and the struct itself
 * is freed only by the timer's close callback.
 *
 * Blocked addresses live in a small per-thread array (one loop per thread,
 * net.h's threading rule), parsed once so the per-frame check is a compare.
 */
#include "net/netfault.h"

#include <stdlib.h>
#include <string.h>

typedef struct dq_item {
	struct dq_item *next;
	uint64_t due_ms;
	char dir;
	uint8_t type;
	size_t len;
	char *payload;
} dq_item;

struct net_delayq {
	uv_timer_t timer;
	dq_item *head, *tail;
	size_t nframes;
	size_t bytes_sent, bytes_recv;
	uint64_t last_due_ms;
	int closing;
	net_delay_release_fn release;
	void *arg;
};

static void dq_account(net_delayq *q, const dq_item *it, int sign)
{
	size_t *b = it->dir == 'S' ? &q->bytes_sent : &q->bytes_recv;
	if (sign > 0) {
		*b += it->len;
		q->nframes++;
	} else {
		*b -= it->len;
		q->nframes--;
	}
}

static void dq_timer_cb(uv_timer_t *t);

static void dq_rearm(net_delayq *q)
{
	uint64_t now;
	if (!q->head || q->closing)
		return;
	now = uv_now(q->timer.loop);
	uv_timer_start(&q->timer, dq_timer_cb, q->head->due_ms > now ? q->head->due_ms - now : 0,
		       0);
}

static void dq_timer_cb(uv_timer_t *t)
{
	net_delayq *q = t->data;
	uint64_t now = uv_now(t->loop);

	while (!q->closing && q->head && q->head->due_ms <= now) {
		dq_item *it = q->head;
		q->head = it->next;
		if (!q->head)
			q->tail = NULL;
		dq_account(q, it, -1);
		q->release(q->arg, it->dir, it->type, it->payload, it->len);
		free(it);
	}
	dq_rearm(q);
}

net_delayq *net_delayq_create(uv_loop_t *loop, net_delay_release_fn release, void *arg)
{
	net_delayq *q = calloc(1, sizeof *q);
	if (!q)
		return NULL;
	uv_timer_init(loop, &q->timer); /* cannot fail */
	q->timer.data = q;
	q->release = release;
	q->arg = arg;
	return q;
}

int net_delayq_push(net_delayq *q, uint64_t delay_ms, char dir, uint8_t type, char *payload,
		    size_t len)
{
	dq_item *it;
	uint64_t due;

	if (q->nframes >= NET_FAULT_DELAY_FRAMES_MAX || !(it = malloc(sizeof *it))) {
		free(payload);
		return q->nframes >= NET_FAULT_DELAY_FRAMES_MAX ? MUR_EAGAIN : MUR_ENOMEM;
	}
	due = uv_now(q->timer.loop) + delay_ms;
	if (due < q->last_due_ms)
		due = q->last_due_ms;
	q->last_due_ms = due;
	it->next = NULL;
	it->due_ms = due;
	it->dir = dir;
	it->type = type;
	it->len = len;
	it->payload = payload;
	if (q->tail)
		q->tail->next = it;
	else
		q->head = it;
	q->tail = it;
	dq_account(q, it, +1);
	if (q->head == it)
		dq_rearm(q);
	return MUR_OK;
}

size_t net_delayq_bytes(const net_delayq *q, char dir)
{
	return dir == 'S' ? q->bytes_sent : q->bytes_recv;
}

int net_delayq_empty(const net_delayq *q) { return q->head == NULL; }

void net_delayq_flush(net_delayq *q, char dir)
{
	dq_item **pp = &q->head, *prev = NULL;

	while (!q->closing && *pp) {
		dq_item *it = *pp;
		if (it->dir != dir) {
			prev = it;
			pp = &it->next;
			continue;
		}
		*pp = it->next;
		if (q->tail == it)
			q->tail = prev;
		dq_account(q, it, -1);
		q->release(q->arg, it->dir, it->type, it->payload, it->len);
		free(it);
	}
	if (!q->closing && !q->head)
		uv_timer_stop(&q->timer);
}

static void dq_closed(uv_handle_t *h) { free(h->data); }

void net_delayq_destroy(net_delayq *q)
{
	dq_item *it, *next;

	if (q->closing)
		return;
	q->closing = 1;
	for (it = q->head; it; it = next) {
		next = it->next;
		free(it->payload);
		free(it);
	}
	q->head = q->tail = NULL;
	uv_close((uv_handle_t *)&q->timer, dq_closed);
}

/* ---- blocked addresses --------------------------------------------------- */

static _Thread_local struct sockaddr_storage net_blocked[NET_FAULT_ADDRS_MAX];
_Thread_local int net_fault_nblocked;

static int is_wildcard(const struct sockaddr_storage *a)
{
	if (a->ss_family == AF_INET)
		return ((const struct sockaddr_in *)a)->sin_addr.s_addr == htonl(INADDR_ANY);
	if (a->ss_family == AF_INET6)
		return memcmp(&((const struct sockaddr_in6 *)a)->sin6_addr, &in6addr_any,
			      sizeof in6addr_any) == 0;
	return 0;
}

static int same_endpoint(const struct sockaddr_storage *a, const struct sockaddr_storage *b)
{
	if (a->ss_family != b->ss_family)
		return 0;
	if (a->ss_family == AF_INET) {
		const struct sockaddr_in *x = (const void *)a, *y = (const void *)b;
		return x->sin_port == y->sin_port && (x->sin_addr.s_addr == y->sin_addr.s_addr ||
						      is_wildcard(a) || is_wildcard(b));
	}
	if (a->ss_family == AF_INET6) {
		const struct sockaddr_in6 *x = (const void *)a, *y = (const void *)b;
		return x->sin6_port == y->sin6_port &&
		       (memcmp(&x->sin6_addr, &y->sin6_addr, sizeof x->sin6_addr) == 0 ||
			is_wildcard(a) || is_wildcard(b));
	}
	return 0;
}

int net_fault_addr_blocked(const struct sockaddr_storage *sa)
{
	for (int i = 0; i < net_fault_nblocked; i++)
		if (same_endpoint(&net_blocked[i], sa))
			return 1;
	return 0;
}

int net_fault_block_addr(const char *addr, mur_error *err)
{
	struct sockaddr_storage sa;

	if (net_parse_addr(addr, &sa, err) != MUR_OK)
		return MUR_ERR;
	for (int i = 0; i < net_fault_nblocked; i++)
		if (same_endpoint(&net_blocked[i], &sa) &&
		    !is_wildcard(&net_blocked[i]) == !is_wildcard(&sa))
			return MUR_OK;
	if (net_fault_nblocked >= NET_FAULT_ADDRS_MAX)
		return mur_error_set(err, SQLSTATE_PROGRAM_LIMIT_EXCEEDED,
				     "at most %d addresses can be partitioned away at once",
				     NET_FAULT_ADDRS_MAX);
	net_blocked[net_fault_nblocked++] = sa;
	return MUR_OK;
}

int net_fault_blocked_count(void) { return net_fault_nblocked; }

void net_fault_clear_blocks(void) { net_fault_nblocked = 0; }
