/*
 * shuffle_int.h — private to node/shuffle.c (owner side) and
 * node/shuffle_send.c (sender side): the hub both hang off.
 */
#ifndef MUR_NODE_SHUFFLE_INT_H
#define MUR_NODE_SHUFFLE_INT_H

#include "node/shuffle.h"

struct entry;
struct shuffle_send;

struct node_shuffle_hub {
	uv_loop_t *loop;
	net_hello hello;            /* presented to owners */
	char my_addr[NET_NAME_MAX]; /* parts for this address stay in memory */
	struct entry *entries;      /* owner side, one per shuffle id */
	size_t pending_bytes;       /* parts received, not yet aggregated */
	struct shuffle_send *sends; /* sender side, one per SEND task */
	int working;                /* work items on the thread pool */
	uv_timer_t gc;
	int handles_open;
	int stopping;
};

/* Free the hub if it is stopping and nothing is left. */
void node_shuffle_hub_maybe_free(node_shuffle_hub *h);
/* Fail every send job (their callbacks come from the loop). */
void node_shuffle_send_cancel_all(node_shuffle_hub *h, const mur_error *err);

#endif
