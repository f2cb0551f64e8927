/*
 * load.h — how hard each copy of each shard works: counters in time rings
 * (issue 18, docs/load.md).
 *
 * The leader notes every shard task a follower answers (load_note): a read
 * (QUERY, SHUFFLE_SEND) or a write (WRITE, APPLY), the rows it read or
 * wrote, the bytes it moved and the CPU time the follower's thread spent on
 * it (exec_result.cpu_us, measured where the task ran).  Tasks that name no
 * placement (STATUS) count for their follower only (table_id 0).
 *
 * Per copy — (table id, shard, node) — the counts go into two rings:
 *
 *   short  LOAD_SHORT_SLOTS slots of one second: the last 10 s
 *   long   LOAD_LONG_SLOTS slots of LOAD_LONG_SLOT_S seconds: the last 5 min
 *
 * A slot holds the second (or 10 s period) it counts; a note for a newer
 * one clears it first.  A window's sum (load_sum) adds the slots still
 * inside it: the current, partial slot and the full ones before it, so
 * "the last 10 s" is 9 to 10 s of history.  Totals since the leader
 * started are kept too (load_counts total in load_sum).
 *
 * Memory: one load_copy (about 2.7 KiB) per copy that ever worked, at most
 * LOAD_COPIES_MAX; copies idle for the whole long window are freed by
 * load_forget_idle (the leader's 1 s tick).  Not thread-safe: the leader's
 * loop thread only.
 */
#ifndef LOAD_LOAD_H
#define LOAD_LOAD_H

#include <stdint.h>

/* The short window: 10 one-second slots. */
#define LOAD_SHORT_SLOTS 10
/* The long window: 30 slots of 10 s = 5 min. */
#define LOAD_LONG_SLOTS 30
#define LOAD_LONG_SLOT_S 10
/* Copies tracked at once: 64 tables of 256 shards with 4 copies each;
 * past it a new copy's work is not counted (its follower's is not either)
 * until idle ones are forgotten. */
#define LOAD_COPIES_MAX 65536

typedef enum load_window {
	LOAD_WINDOW_10S = 0,
	LOAD_WINDOW_5MIN = 1,
	LOAD_WINDOW_TOTAL = 2, /* since the leader started */
} load_window;

typedef struct load_counts {
	uint64_t reads, writes;             /* tasks answered */
	uint64_t rows_read, rows_written;   /* rows a read returned; rows a write changed */
	uint64_t bytes_read, bytes_written; /* a read's answer; a write's rows, SQL or changeset */
	uint64_t cpu_us;                    /* the follower's CPU time on them */
} load_counts;

/* One task's work, as load_note takes it. */
typedef struct load_task {
	uint32_t table_id, shard, node_id; /* table_id 0: no placement (its node only) */
	int write;                         /* 1: a write (WRITE, APPLY); 0: a read */
	int cpu_only;                      /* 1: neither (STATUS, UNDO, …): its CPU time only */
	uint64_t rows, bytes, cpu_us;
} load_task;

typedef struct load_store load_store;

/* NULL when out of memory.  load_destroy(NULL) does nothing. */
load_store *load_create(void);
void load_destroy(load_store *ls);

/* Count task t at now_s (monotonic seconds).  Out of memory or past
 * LOAD_COPIES_MAX: not counted. */
void load_note(load_store *ls, const load_task *t, uint64_t now_s);

/* The counts of copy (table_id, shard, node_id) over window w at now_s
 * (zeros when it never worked). */
void load_sum(const load_store *ls, uint32_t table_id, uint32_t shard, uint32_t node_id,
	      load_window w, uint64_t now_s, load_counts *out);

/* The counts of the copy over the long window's slots that begin after
 * since_s (the 10 s slot holding since_s is left out: it may hold work
 * from before), at now_s.  The load since a split, for the automatic
 * splitter and the rebalancer (replication/repl_autosplit.c). */
void load_sum_since(const load_store *ls, uint32_t table_id, uint32_t shard, uint32_t node_id,
		    uint64_t since_s, uint64_t now_s, load_counts *out);

/* The counts of every copy on node_id over w, tasks without a placement
 * included. */
void load_sum_node(const load_store *ls, uint32_t node_id, load_window w, uint64_t now_s,
		   load_counts *out);

/* Free the copies that did nothing for the whole long window, and those
 * of tables gone (keep(arg, table_id) answers 0).  keep may be NULL. */
void load_forget_idle(load_store *ls, uint64_t now_s, int (*keep)(void *arg, uint32_t table_id),
		      void *arg);

/* How many copies are tracked. */
int load_copy_count(const load_store *ls);

#endif
