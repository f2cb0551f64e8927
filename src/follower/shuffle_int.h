/*
 * shuffle_int.h — private to follower/shuffle.c (owner side) and
 * follower/shuffle_send.c (sender side): the hub both hang off.
 */
#ifndef FOLLOWER_SHUFFLE_INT_H
#define FOLLOWER_SHUFFLE_INT_H

#include "follower/shuffle.h"

#include <sqlite3.h>
#include <stdatomic.h>

struct entry;
struct shuffle_send;
typedef struct shuffle_kept shuffle_kept;

/* One SHUFFLE_DATA frame an owner holds. */
typedef struct shuffle_part {
	struct shuffle_part *next;
	char *payload; /* owns: the frame */
	const char *rows;
	size_t rows_len;
	uint64_t nrows;
	uint32_t stream;
} shuffle_part;

/* shuffle_join.c: a join owner's work (thread pool): a fresh in-memory
 * SQLite made by recv->shuffle_ddl, stream s's parts (ncols_of[s] values
 * a row) inserted with line s of recv->shuffle_load, recv->shuffle_post
 * run, then recv->sql (and recv->agg) into res.  MUR_OK or MUR_ERR with
 * err set.  stop: set to 1 by the loop thread when the answer is no longer
 * wanted (the shuffle failed or was cancelled): SQLite checks it every
 * SHUFFLE_JOIN_CHECK_OPS steps and the work ends with an error. */
int node_shuffle_join(const exec_task *recv, uint32_t nstreams, const uint32_t *ncols_of,
		      const shuffle_part *parts, atomic_int *stop, exec_result *res,
		      shuffle_kept **kept, mur_error *err);

/* shuffle_keep.c: a cursor's join owner (recv->shuffle_batch > 0).
 * _start: prepare recv->sql on db (its parameters copied), its first
 * shuffle_batch rows into res; *out gets the kept statement, which owns
 * db from then on, or NULL when the rows ended (the caller closes db, as
 * on error: MUR_ERR with err set).  _fetch: at most n more rows into res
 * (initialized, empty); *done = 1 when the statement ended (the caller
 * frees k).  MUR_ERR: res->failed and res->err set.  Thread pool; one
 * thread at a time.  _free: NULL is fine. */
int node_shuffle_kept_start(sqlite3 *db, const exec_task *recv, shuffle_kept **out,
			    exec_result *res, mur_error *err);
int node_shuffle_kept_fetch(shuffle_kept *k, uint32_t n, exec_result *res, int *done);
void node_shuffle_kept_free(shuffle_kept *k);
/* A groups owner's (an aggregate shuffle's RECV with shuffle_batch > 0):
 * its nrows final groups (ncols values, *rows) as table r of a new
 * in-memory database, then node_shuffle_kept_start there; when kept, the
 * kept statement takes *rows (reset).  stop as node_shuffle_join's. */
int node_shuffle_kept_groups(const exec_task *recv, mur_buf *rows, uint64_t nrows, uint32_t ncols,
			     atomic_int *stop, exec_result *res, shuffle_kept **out,
			     mur_error *err);

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
	int nkept;             /* entries holding a cursor's kept statement */
	uint64_t kept_idle_ms; /* NODE_SHUFFLE_KEPT_IDLE_MS, or the environment's (tests) */
};

/* Free the hub if it is stopping and nothing is left. */
void node_shuffle_hub_maybe_free(node_shuffle_hub *h);
/* Fail every send job (their callbacks come from the loop). */
void node_shuffle_send_cancel_all(node_shuffle_hub *h, const mur_error *err);

#endif
