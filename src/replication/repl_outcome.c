/*
 * repl_outcome.c — how long a recorded decision is kept: trimming the
 * catalog's txn_outcomes (docs/transactions.md, "Recorded decisions").
 *
 * A multi-shard commit records its decision before any marker
 * (repl_lock.c, record_decision).  The row is read back in two places:
 *   - recovery (repl_recover.c): a copy that reports the transaction open
 *     (its entries, not its marker) is committed when the decision is
 *     there, and undone (presumed abort) when it is not — so a row dropped
 *     too early would undo a committed transaction on that copy;
 *   - a client whose COMMIT answer was lost looks its txid up in
 *     murphy.transaction_outcomes.
 *
 * A row goes when both are done with it:
 *   settled  the transaction is not open on this leader (every marker at
 *            its quorum, no re-commit pending) and every copy of every
 *            participant shard — whatever its state: a copy on a dead or
 *            paused follower counts, a DIVERGENT one keeps the row — has
 *            applied past the marker; a row whose participant list was
 *            cut (record_decision's "…") is never settled;
 *   old      decided more than keep_ms ago (the client's window:
 *            REPL_OUTCOMES_KEEP_MS_DEFAULT, leader flag
 *            --txn-outcomes-keep-ms), or the table holds more than
 *            REPL_OUTCOMES_ROWS_MAX rows: then the oldest settled ones go
 *            whatever their age, down to the bound.
 * A row never goes unsettled: a copy that stays behind (its follower down
 * for good) keeps its transactions' rows until it is replaced.
 *
 * The LSN a copy must reach (its bound) is the marker's: remembered when
 * the marker reaches its quorum (repl_outcome_marker_at, from repl_lock.c)
 * in a ring of the REPL_OUTCOMES_TRIM_BATCH newest.  A row the ring no
 * longer (or, after a restart, never) knew gets the participant shard's
 * committed LSN when the trim first looks at it: the transaction is not
 * open then and the shard is decided, so its marker is at or before that
 * entry (later transactions append after it; an undo goes back no further
 * than their own first entry) — a later bound, so a later trim, never an
 * unsafe one.
 *
 * Work per tick is bounded: one scan of at most REPL_OUTCOMES_TRIM_BATCH
 * rows, oldest first from a cursor (so rows kept at the head do not hide
 * the rest; an index on (decided_ms, txid) reads only those), one DELETE
 * transaction for the settled ones, a count(*) per pass.
 */
#include "replication/repl_int.h"

#include "common/log.h"

#include <assert.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Rows examined per tick: one SQLite read of this many rows and at most
 * one DELETE transaction (one fsync) a second keeps the leader's loop
 * responsive; 1000 a second trims faster than commits record. */
#define REPL_OUTCOMES_TRIM_BATCH 1000
/* Participant shards per row the trim reads (record_decision's list fits
 * in 512 bytes: fewer than this). */
#define REPL_OUTCOME_PARTS_MAX 64

typedef struct outcome_bound {
	uint64_t txid; /* 0: free */
	int nparts;
	struct {
		uint32_t table_id, shard;
		uint64_t lsn; /* its marker's, or an LSN known to be past it */
	} parts[REPL_OUTCOME_PARTS_MAX];
} outcome_bound;

/* Buckets of the ring's index by txid: a power of two, at least the ring's
 * size, so chains stay about one entry long. */
#define REPL_OUTCOME_BUCKETS 1024
_Static_assert(REPL_OUTCOME_BUCKETS >= REPL_OUTCOMES_TRIM_BATCH &&
		       (REPL_OUTCOME_BUCKETS & (REPL_OUTCOME_BUCKETS - 1)) == 0,
	       "the index has a bucket per ring entry at least, a power of two");

struct repl_outcome_trim {
	int64_t keep_ms;
	int64_t after_ms;    /* the scan's cursor: (decided_ms, txid) of the last row read */
	uint64_t after_txid; /* 0: a pass starts */
	int64_t excess;      /* rows over REPL_OUTCOMES_ROWS_MAX at the pass's start */
	outcome_bound ring[REPL_OUTCOMES_TRIM_BATCH];
	int ring_next;
	/* The ring's entries in use (txid != 0) chained by bucket of their
	 * txid: head[bucket] and next[entry] are ring indexes + 1 (0: end).
	 * An entry is linked when it takes a txid and unlinked when it drops
	 * it (reused for another, or trimmed): a marker reaching its quorum
	 * found its entry by scanning all 1000 of ~1 KB, one cache miss each,
	 * at every commit of a multi-shard transaction. */
	uint16_t head[REPL_OUTCOME_BUCKETS];
	uint16_t next[REPL_OUTCOMES_TRIM_BATCH];
};

/* One scan's state. */
typedef struct trim_scan {
	repl_ctx *c;
	int64_t last_ms;
	uint64_t last_txid;
	uint64_t gone[REPL_OUTCOMES_TRIM_BATCH];
	int ngone, budget; /* budget: deletions allowed (-1: any) */
} trim_scan;

static struct repl_outcome_trim *trim_state(repl_ctx *c)
{
	if (!c->otrim && (c->otrim = calloc(1, sizeof *c->otrim)))
		c->otrim->keep_ms = REPL_OUTCOMES_KEEP_MS_DEFAULT;
	return c->otrim;
}

void repl_set_outcomes_keep_ms(repl_ctx *c, int64_t keep_ms)
{
	if (trim_state(c))
		c->otrim->keep_ms = keep_ms;
}

int64_t repl_outcomes_keep_ms(repl_ctx *c)
{
	return trim_state(c) ? c->otrim->keep_ms : REPL_OUTCOMES_KEEP_MS_DEFAULT;
}

/* Parse "table_id:shard,…" into parts; -1 when cut ("…") or unreadable. */
static int parse_parts(const char *text, uint32_t (*parts)[2], int max)
{
	int n = 0;
	const char *p = text ? text : "";
	while (*p) {
		unsigned tid, sh;
		int used = 0;
		if (n == max || sscanf(p, "%u:%u%n", &tid, &sh, &used) != 2)
			return -1;
		parts[n][0] = tid;
		parts[n++][1] = sh;
		p += used;
		if (*p == ',')
			p++;
		else if (*p)
			return -1;
	}
	return n;
}

/* The shard of a participant, or NULL when its table or shard is gone
 * (nothing left to tell). */
static const cat_shard *part_shard(repl_ctx *c, const uint32_t *pt)
{
	const cat_table *t = cat_table_by_id(c->cat, pt[0]);
	return t && pt[1] < t->nshards ? &t->shards[pt[1]] : NULL;
}

/* 1 when a copy of shard pt may still hold txid open, or will decide it. */
static int part_unsettled_here(repl_ctx *c, uint64_t txid, const uint32_t *pt)
{
	const cat_shard *s = part_shard(c, pt);
	const repl_shard *rt = repl_shard_find(c, pt[0], pt[1]);
	if (!s)
		return 0;
	return !s->committed_known || repl_recommit_pending(rt, txid);
}

static uint16_t *bucket_of(struct repl_outcome_trim *tr, uint64_t txid)
{
	/* Fibonacci hashing: the top bits of txid times 2^64 / phi */
	return &tr->head[(txid * 0x9E3779B97F4A7C15ull) >> 54];
}
_Static_assert(REPL_OUTCOME_BUCKETS == 1u << (64 - 54), "bucket_of's shift");

static outcome_bound *bound_find(struct repl_outcome_trim *tr, uint64_t txid)
{
	for (uint16_t i = *bucket_of(tr, txid); i; i = tr->next[i - 1])
		if (tr->ring[i - 1].txid == txid)
			return &tr->ring[i - 1];
	return NULL;
}

/* Ring entry b gives up its txid: unlinked from its chain, free. */
static void bound_drop(struct repl_outcome_trim *tr, outcome_bound *b)
{
	uint16_t self = (uint16_t)(b - tr->ring + 1), *link;
	if (!b->txid)
		return;
	for (link = bucket_of(tr, b->txid); *link && *link != self; link = &tr->next[*link - 1])
		;
	assert(*link == self); /* a txid's entry is on its bucket's chain */
	if (*link)
		*link = tr->next[self - 1];
	b->txid = 0;
}

/* txid's ring entry, made (taking the oldest's place) when missing. */
static outcome_bound *bound_get(struct repl_outcome_trim *tr, uint64_t txid)
{
	outcome_bound *b = bound_find(tr, txid);
	uint16_t *bucket;
	if (b)
		return b;
	b = &tr->ring[tr->ring_next];
	tr->ring_next = (tr->ring_next + 1) % REPL_OUTCOMES_TRIM_BATCH;
	bound_drop(tr, b);
	b->txid = txid;
	if (txid) { /* 0 is no transaction's: the entry stays free */
		bucket = bucket_of(tr, txid);
		tr->next[b - tr->ring] = *bucket;
		*bucket = (uint16_t)(b - tr->ring + 1);
	}
	b->nparts = 0;
	return b;
}

/* The bound of participant pt in b: remembered, or taken now (the shard's
 * committed LSN); 0 when it cannot be yet (the shard is undecided, or a
 * re-commit of txid is pending there). */
static uint64_t part_bound(repl_ctx *c, outcome_bound *b, const uint32_t *pt)
{
	const cat_shard *s = part_shard(c, pt);
	for (int i = 0; i < b->nparts; i++)
		if (b->parts[i].table_id == pt[0] && b->parts[i].shard == pt[1])
			return b->parts[i].lsn;
	if (part_unsettled_here(c, b->txid, pt) || b->nparts == REPL_OUTCOME_PARTS_MAX)
		return 0;
	b->parts[b->nparts].table_id = pt[0];
	b->parts[b->nparts].shard = pt[1];
	b->parts[b->nparts++].lsn = s ? s->committed_lsn : 0;
	return s ? s->committed_lsn : 0;
}

void repl_outcome_marker_at(repl_ctx *c, uint64_t txid, uint32_t table_id, uint32_t shard,
			    uint64_t lsn)
{
	outcome_bound *b;
	if (!trim_state(c))
		return;
	b = bound_get(c->otrim, txid);
	for (int i = 0; i < b->nparts; i++)
		if (b->parts[i].table_id == table_id && b->parts[i].shard == shard)
			return;
	if (b->nparts < REPL_OUTCOME_PARTS_MAX) {
		b->parts[b->nparts].table_id = table_id;
		b->parts[b->nparts].shard = shard;
		b->parts[b->nparts++].lsn = lsn;
	}
}

/* Every copy of participant pt has applied past lsn (and is not
 * DIVERGENT: what it holds past its base is not the log's). */
static int copies_past(repl_ctx *c, const uint32_t *pt, uint64_t lsn)
{
	const cat_shard *s = part_shard(c, pt);
	for (int k = 0; s && k < s->nplacements; k++)
		if (s->placements[k].applied_lsn < lsn ||
		    s->placements[k].state == CAT_PL_DIVERGENT)
			return 0;
	return 1;
}

int repl_outcome_settled(repl_ctx *c, uint64_t txid, const char *participants)
{
	uint32_t parts[REPL_OUTCOME_PARTS_MAX][2];
	int n = parse_parts(participants, parts, REPL_OUTCOME_PARTS_MAX);
	outcome_bound *b;
	if (n < 0 || !trim_state(c) || repl_lock_txn_open(c, txid))
		return 0;
	b = bound_get(c->otrim, txid);
	for (int i = 0; i < n; i++) {
		const cat_shard *s = part_shard(c, parts[i]);
		uint64_t lsn = part_bound(c, b, parts[i]);
		if (s && (!lsn || !copies_past(c, parts[i], lsn)))
			return 0;
	}
	return 1;
}

static void scan_row(void *arg, uint64_t txid, const char *outcome, const char *participants,
		     int64_t decided_ms)
{
	trim_scan *sc = arg;
	(void)outcome;
	sc->last_ms = decided_ms;
	sc->last_txid = txid;
	if (sc->budget >= 0 && sc->ngone >= sc->budget)
		return;
	if (repl_outcome_settled(sc->c, txid, participants))
		sc->gone[sc->ngone++] = txid;
}

void repl_outcomes_trim(repl_ctx *c, int64_t now_ms)
{
	struct repl_outcome_trim *tr = trim_state(c);
	trim_scan *sc;
	mur_error err;
	int n;
	if (!tr || !(sc = calloc(1, sizeof *sc)))
		return;
	if (tr->after_txid == 0)
		tr->excess = cat_txn_outcome_count(c->cat) - REPL_OUTCOMES_ROWS_MAX;
	sc->c = c;
	sc->budget = -1;
	/* over the row bound: the oldest settled rows go, whatever their age */
	int64_t before = tr->excess > 0 ? INT64_MAX : now_ms - tr->keep_ms;
	if (tr->excess > 0)
		sc->budget = (int)(tr->excess < REPL_OUTCOMES_TRIM_BATCH
					   ? tr->excess
					   : REPL_OUTCOMES_TRIM_BATCH);
	if (tr->after_txid == 0)
		tr->after_ms = INT64_MIN;
	n = cat_txn_outcomes_scan(c->cat, tr->after_ms, tr->after_txid, before,
				  REPL_OUTCOMES_TRIM_BATCH, scan_row, sc);
	tr->after_ms = sc->last_ms;
	tr->after_txid = n < REPL_OUTCOMES_TRIM_BATCH ? 0 : sc->last_txid;
	if (sc->ngone && cat_txn_outcomes_delete(c->cat, sc->gone, sc->ngone, &err) == MUR_OK) {
		tr->excess -= sc->ngone;
		for (int i = 0; i < sc->ngone; i++) {
			outcome_bound *b = bound_find(tr, sc->gone[i]);
			if (b)
				bound_drop(tr, b);
		}
		MLOG(DEBUG, "txn", "trimmed %d recorded decisions", sc->ngone);
	} else if (sc->ngone) {
		MLOG(WARN, "txn", "cannot trim recorded decisions: %s", err.message);
	}
	free(sc);
}

void repl_outcomes_destroy(repl_ctx *c)
{
	free(c->otrim);
	c->otrim = NULL;
}
