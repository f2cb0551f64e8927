/*
 * netfault.h — private to src/net: the pieces of fault injection that do
 * not need a net_conn's insides (net.c wires them into the frame paths).
 *
 *   net_delayq   a FIFO of frames held back on one connection, released in
 *                order by one uv timer when their time has come
 *   blocked addrs  the per-thread list behind net_fault_block_addr
 *
 * The public contract (what drop and delay mean, the limits) is in net.h.
 */
#ifndef MUR_NET_NETFAULT_H
#define MUR_NET_NETFAULT_H

#include "net/net.h"

#include <stddef.h>
#include <stdint.h>
#include <uv.h>

/* dir: 'S' a frame we send, 'R' a frame we received.  payload is malloc'd
 * and owned by the callee. */
typedef void (*net_delay_release_fn)(void *arg, char dir, uint8_t type, char *payload, size_t len);

typedef struct net_delayq net_delayq;

/* NULL on OOM.  release(arg, ...) gets every frame at its time, in push
 * order, from the loop (never from inside push). */
net_delayq *net_delayq_create(uv_loop_t *loop, net_delay_release_fn release, void *arg);
/* Queue a frame for delay_ms from now, but never before the frame pushed
 * last (so order holds when the delay shrinks).  Takes payload (malloc'd)
 * in every case.  MUR_OK, or MUR_EAGAIN when NET_FAULT_DELAY_FRAMES_MAX
 * frames are already waiting (payload freed). */
int net_delayq_push(net_delayq *q, uint64_t delay_ms, char dir, uint8_t type, char *payload,
		    size_t len);
size_t net_delayq_bytes(const net_delayq *q, char dir);
int net_delayq_empty(const net_delayq *q);
/* Release every queued frame of direction dir now, in order. */
void net_delayq_flush(net_delayq *q, char dir);
/* Free the queued frames without releasing them; release is never called
 * again; the memory goes once the timer has closed. */
void net_delayq_destroy(net_delayq *q);

/* Number of blocked addresses on this thread (0: nothing to look up). */
extern _Thread_local int net_fault_nblocked;
/* 1 when sa matches a blocked address (same port; same host, or either
 * side the wildcard 0.0.0.0 / ::). */
int net_fault_addr_blocked(const struct sockaddr_storage *sa);
void net_fault_clear_blocks(void);

#endif
