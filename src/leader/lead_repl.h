/*
 * lead_repl.h — the leader's per-shard replication: quorum writes, read
 * gating, undo, catch-up and rebuild orchestration (docs/replication.md).
 *
 * A write op is one statement's (or one COPY batch's) work on one shard:
 *
 *   QUEUED ──(shard idle)──> PRIMARY ──(primary committed entry n)──> REPLICATING
 *                              │                                        │   │
 *                    (SQL error / lost)                     (acks ≥ quorum) (quorum impossible)
 *                              ▼                                        ▼   ▼
 *                            DONE <────────(all replies in)──── COMMITTED  UNDOING ──> DONE (error)
 *
 * From PRIMARY until COMMITTED (or until the undo finished), the shard is
 * *gated*: reads of it wait, so no client reads an entry that has not
 * reached its quorum (a point read by the distribution key waits only for
 * undecided entries that may hold its key: lead_repl_read_gated).  The client's callback runs at COMMITTED (or at DONE
 * with an error).
 *
 * A row insert without RETURNING runs on every copy at once and reaches
 * COMMITTED on any `quorum` copies' answers, the primary's or not; DONE
 * still waits for every answer, the primary's included.
 *
 * Pipelining.  A shard takes its next op at DONE, except that a small row
 * insert (no RETURNING, no ON CONFLICT, rows under 128 KiB) starts at once
 * behind other such inserts in flight, up to 8, while no read waits for
 * the gate and none of them failed:
 *
 *   in flight:  [n: COMMITTED, waits for one copy] [n+1: REPLICATING] [n+2: PRIMARY]
 *                       every copy receives n, n+1, n+2 in this order
 *
 * Each WRITE carries the LSN its entry must get; a copy that is not just
 * below it refuses (55000), so a copy holding n+1 holds n.  Entries are
 * decided in LSN order: an op waits while one ahead of it is undecided.
 * When op n fails, the ops behind it wait for all their answers, go back
 * to the front of the queue (no client was answered), and n's undo rolls
 * their copies back with its own.
 *
 * Exclusive ops (catch-up of a placement before it is switched in) go
 * through the same queue, so no write can slip between the catch-up and
 * the switch.
 */
#ifndef LEADER_LEAD_REPL_H
#define LEADER_LEAD_REPL_H

#include "leader/lead_int.h"

typedef enum lead_quorum {
	LEAD_QUORUM_ONE = 1,
	LEAD_QUORUM_MAJORITY = 2,
	LEAD_QUORUM_ALL = 3,
} lead_quorum;

typedef struct lead_wop lead_wop;

/* Called once per op when its outcome is known to the client side: at
 * COMMITTED (ok) or DONE (failed).  op stays valid during the call. */
typedef void (*lead_wop_cb)(void *arg, lead_wop *op, int failed, const mur_error *err,
			    const exec_result *primary);

/* What the planner knows about a write's statement.  Grouping, pipelining,
 * who may answer and the row estimate are decided from these, never from
 * the SQL text (a quoted name may hold any word). */
typedef struct lead_write_facts {
	int returns_rows;  /* RETURNING: the client's answer is the primary's rows */
	int may_skip_rows; /* ON CONFLICT DO NOTHING: a row may be left out without error */
	int is_delete;     /* DELETE: the changes it reports are rows removed */
} lead_write_facts;

/* Submit one shard's write: sql run once with params (nparams) or once per
 * row of rows (nrows × ncols, mur_row encoding; copied).  facts: NULL for a
 * plain statement (none of them).  cb reports it. */
int lead_repl_write(lead_engine *e, const cat_table *t, uint32_t shard, lead_quorum q,
		    const char *sql, const lead_write_facts *facts, const mur_value *params,
		    uint32_t nparams, const mur_buf *rows, uint64_t nrows, uint32_t ncols,
		    lead_wop_cb cb, void *arg, mur_error *err);

/* Reads: 1 when the shard is gated (an undecided entry); then the run is
 * parked and lead_select_start(r) is called again when the gate lifts.
 * key: the one distribution value the read can see rows of (a router read
 * of one table pinned by `dist_col = value`, coerced to the column's type),
 * or NULL.  A read with a key waits only when an undecided entry could hold
 * a row with that value: every undecided entry is a row insert whose rows
 * the leader knows, so an insert of other keys does not hold the read up.
 * 0 with r failed when it cannot park (out of memory). */
int lead_repl_read_gated(lead_engine *e, const cat_table *t, uint32_t shard,
			 const mur_value *key, lead_run *r);

/* The placement to read a shard from: the primary when current and
 * connected, else a current replica at the committed LSN; 0 when none. */
uint32_t lead_repl_read_node(lead_engine *e, const cat_shard *s);

/* Make the most up-to-date current copy primary when the primary is not
 * usable (suspect, lost, not current).  Returns the primary or 0. */
uint32_t lead_repl_ensure_primary(lead_engine *e, cat_table *t, uint32_t shard);

/* The session's murphy.write_quorum (default majority). */
lead_quorum lead_session_quorum(lead_session *s);

/* Number of copies a write needs under q for a shard with n placements. */
int lead_quorum_required(lead_quorum q, int n);
/* Parse 'one' | 'majority' | 'all'; 0 when invalid. */
lead_quorum lead_quorum_parse(const char *s);
const char *lead_quorum_name(lead_quorum q);

/* Recovery (lead_recover.c): called on every follower state change and on
 * connect; a 1 s timer drives retries. */
void lead_recover_node_changed(lead_engine *e, uint32_t node_id);
void lead_recover_tick(lead_engine *e);
/* A follower to host a new copy of s: alive, connected, not holding the
 * shard, fewest placements (co-located shards preferred); 0 when none. */
uint32_t lead_recover_pick_target(lead_engine *e, const cat_shard *s, uint32_t nshards);
/* The copies shard sh has or is getting: members, plus copies being rebuilt
 * that do not replace a copy still placed. */
int lead_recover_copies_planned(lead_engine *e, const cat_table *t, uint32_t sh);

/* Replication health of one shard (lead_health.c). */
#define LEAD_HEALTH_WHY_MAX 256 /* reasons text; longer lists are cut at a reason */
typedef struct lead_shard_health {
	int rf;       /* copies it should have current (reference table: alive followers) */
	int current;  /* CURRENT copies on alive, connected followers */
	int stuck;    /* a dead node's copy has no rebuild and no follower to take it */
	char why[LEAD_HEALTH_WHY_MAX]; /* "" when current >= rf */
} lead_shard_health;
void lead_shard_health_of(lead_engine *e, const cat_table *t, uint32_t sh, lead_shard_health *h);
/* Once per recovery tick: WARNING once per shard and episode when stuck
 * under its RF, INFO when back. */
void lead_health_tick(lead_engine *e);
/* "current", "lagging", "divergent", "rebuilding" (lead_views.c). */
const char *lead_placement_state_name(cat_placement_state st);
/* Kick the shard's queue (after failover, recovery ops). */
void lead_repl_kick(lead_engine *e, const cat_table *t, uint32_t shard);
/* Queue an exclusive op: fn runs when the shard is idle and must call
 * lead_repl_exclusive_done when finished. */
typedef void (*lead_excl_fn)(lead_engine *e, cat_table *t, uint32_t shard, void *arg);
int lead_repl_exclusive(lead_engine *e, cat_table *t, uint32_t shard, lead_excl_fn fn, void *arg);
void lead_repl_exclusive_done(lead_engine *e, cat_table *t, uint32_t shard);

/* 1 when a write or recovery op is queued or running on any shard of t. */
int lead_repl_table_busy(lead_engine *e, const cat_table *t);
/* Release the replication state of t's shards (DROP TABLE; t idle). */
void lead_repl_forget(lead_engine *e, cat_table *t);

/* Remember entry (lsn, entry_id) as committed for the shard. */
void lead_repl_committed(cat_shard *s, uint64_t lsn, uint64_t entry_id);
/* Entry id the leader recorded for lsn, or 0 when it no longer knows. */
uint64_t lead_repl_entry_at(const cat_shard *s, uint64_t lsn);

#endif
