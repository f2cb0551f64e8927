/*
 * load.c — per-copy load counters in time rings (load.h).
 *
 * A chained hash table of load_copy by (table id, shard, node), each with
 * its short ring (one slot per second), its long ring (one per 10 s) and
 * its totals.  A slot is stamped with the period it counts
 * (slot_at = second, or second / LOAD_LONG_SLOT_S); a note for another
 * period clears it first, and a sum takes only the slots whose stamp lies
 * in the window, so a ring never needs a timer to age.
 */
#include "load/load.h"

#include <stdlib.h>
#include <string.h>

/* Hash buckets: a power of two; chains stay short up to a few thousand
 * copies, and longer ones only cost the loop thread a few compares. */
#define LOAD_BUCKETS 4096

typedef struct load_ring_slot {
	uint64_t at; /* the period counted (0: never used; periods start at 1) */
	load_counts c;
} load_ring_slot;

typedef struct load_copy {
	uint32_t table_id, shard, node_id;
	struct load_copy *next;
	uint64_t last_s; /* the last second it worked */
	load_ring_slot short_ring[LOAD_SHORT_SLOTS];
	load_ring_slot long_ring[LOAD_LONG_SLOTS];
	load_counts total;
} load_copy;

struct load_store {
	load_copy *buckets[LOAD_BUCKETS];
	int ncopies;
};

static uint32_t bucket_of(uint32_t table_id, uint32_t shard, uint32_t node_id)
{
	uint32_t h = table_id * 2654435761u ^ shard * 40503u ^ node_id * 97u;
	return (h ^ (h >> 15)) & (LOAD_BUCKETS - 1);
}

load_store *load_create(void) { return calloc(1, sizeof(load_store)); }

void load_destroy(load_store *ls)
{
	if (!ls)
		return;
	for (int b = 0; b < LOAD_BUCKETS; b++)
		while (ls->buckets[b]) {
			load_copy *x = ls->buckets[b];
			ls->buckets[b] = x->next;
			free(x);
		}
	free(ls);
}

static load_copy *find(const load_store *ls, uint32_t table_id, uint32_t shard, uint32_t node_id)
{
	load_copy *x = ls->buckets[bucket_of(table_id, shard, node_id)];
	while (x && (x->table_id != table_id || x->shard != shard || x->node_id != node_id))
		x = x->next;
	return x;
}

static load_copy *get(load_store *ls, uint32_t table_id, uint32_t shard, uint32_t node_id)
{
	uint32_t b = bucket_of(table_id, shard, node_id);
	load_copy *x = find(ls, table_id, shard, node_id);
	if (x || ls->ncopies >= LOAD_COPIES_MAX || !(x = calloc(1, sizeof *x)))
		return x;
	x->table_id = table_id;
	x->shard = shard;
	x->node_id = node_id;
	x->next = ls->buckets[b];
	ls->buckets[b] = x;
	ls->ncopies++;
	return x;
}

static void add(load_counts *c, const load_task *t)
{
	c->cpu_us += t->cpu_us;
	if (t->cpu_only)
		return;
	if (t->write) {
		c->writes++;
		c->rows_written += t->rows;
		c->bytes_written += t->bytes;
	} else {
		c->reads++;
		c->rows_read += t->rows;
		c->bytes_read += t->bytes;
	}
}

/* The slot of period `at` in ring (n slots), cleared when it held another. */
static load_counts *slot(load_ring_slot *ring, int n, uint64_t at)
{
	load_ring_slot *s = &ring[at % (uint64_t)n];
	if (s->at != at) {
		memset(s, 0, sizeof *s);
		s->at = at;
	}
	return &s->c;
}

/* The long ring's period holding second s. */
static uint64_t long_period(uint64_t s) { return (s + 1) / LOAD_LONG_SLOT_S + 1; }

void load_note(load_store *ls, const load_task *t, uint64_t now_s)
{
	load_copy *x = get(ls, t->table_id, t->shard, t->node_id);
	uint64_t sec = now_s + 1; /* periods start at 1: 0 marks an unused slot */
	if (!x)
		return;
	x->last_s = now_s;
	add(slot(x->short_ring, LOAD_SHORT_SLOTS, sec), t);
	add(slot(x->long_ring, LOAD_LONG_SLOTS, long_period(now_s)), t);
	add(&x->total, t);
}

static void plus(load_counts *a, const load_counts *b)
{
	a->reads += b->reads;
	a->writes += b->writes;
	a->rows_read += b->rows_read;
	a->rows_written += b->rows_written;
	a->bytes_read += b->bytes_read;
	a->bytes_written += b->bytes_written;
	a->cpu_us += b->cpu_us;
}

/* Add the slots of ring (n of them) stamped in (now - n, now] and after
 * `after` to out. */
static void ring_sum(const load_ring_slot *ring, int n, uint64_t now, uint64_t after,
		     load_counts *out)
{
	for (int i = 0; i < n; i++)
		if (ring[i].at > after && ring[i].at <= now && ring[i].at + (uint64_t)n > now)
			plus(out, &ring[i].c);
}

static void copy_sum(const load_copy *x, load_window w, uint64_t now_s, load_counts *out)
{
	uint64_t sec = now_s + 1;
	if (w == LOAD_WINDOW_10S)
		ring_sum(x->short_ring, LOAD_SHORT_SLOTS, sec, 0, out);
	else if (w == LOAD_WINDOW_5MIN)
		ring_sum(x->long_ring, LOAD_LONG_SLOTS, long_period(now_s), 0, out);
	else
		plus(out, &x->total);
}

void load_sum(const load_store *ls, uint32_t table_id, uint32_t shard, uint32_t node_id,
	      load_window w, uint64_t now_s, load_counts *out)
{
	const load_copy *x = find(ls, table_id, shard, node_id);
	memset(out, 0, sizeof *out);
	if (x)
		copy_sum(x, w, now_s, out);
}

void load_sum_since(const load_store *ls, uint32_t table_id, uint32_t shard, uint32_t node_id,
		    uint64_t since_s, uint64_t now_s, load_counts *out)
{
	const load_copy *x = find(ls, table_id, shard, node_id);
	memset(out, 0, sizeof *out);
	if (x)
		ring_sum(x->long_ring, LOAD_LONG_SLOTS, long_period(now_s), long_period(since_s),
			 out);
}

void load_sum_node(const load_store *ls, uint32_t node_id, load_window w, uint64_t now_s,
		   load_counts *out)
{
	memset(out, 0, sizeof *out);
	for (int b = 0; b < LOAD_BUCKETS; b++)
		for (const load_copy *x = ls->buckets[b]; x; x = x->next)
			if (x->node_id == node_id)
				copy_sum(x, w, now_s, out);
}

void load_forget_idle(load_store *ls, uint64_t now_s, int (*keep)(void *arg, uint32_t table_id),
		      void *arg)
{
	const uint64_t idle_s = (uint64_t)LOAD_LONG_SLOTS * LOAD_LONG_SLOT_S;
	for (int b = 0; b < LOAD_BUCKETS; b++) {
		load_copy **pp = &ls->buckets[b];
		while (*pp) {
			load_copy *x = *pp;
			int gone = x->table_id && keep && !keep(arg, x->table_id);
			if (gone || x->last_s + idle_s < now_s) {
				*pp = x->next;
				free(x);
				ls->ncopies--;
			} else
				pp = &x->next;
		}
	}
}

int load_copy_count(const load_store *ls) { return ls->ncopies; }
