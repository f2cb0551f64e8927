/*
 * fwal.h — the follower write-ahead log: group commit across placements.
 *
 * Without it every replicated write costs one fsync per placement file
 * (each placement is its own SQLite WAL, synchronous=FULL), and the disk's
 * fsync rate caps the follower.  With it (the default; follower
 * --group-commit off or MURPHY_GROUP_COMMIT=0 turn it off), placement
 * files run synchronous=NORMAL (SQLite's
 * WAL stays consistent after a crash but may lose its newest commits) and
 * every entry committed on a placement is also appended to ONE file per
 * follower, DIR/data/follower.wal.<gen> (16 hex digits), that is fsynced
 * once for all the records appended meanwhile, whatever their placement.
 *
 * Record (big-endian), one after the other, from offset 0:
 *
 *     u32 len | u32 crc32 | u8 type | payload (len bytes)
 *       crc32 (IEEE) covers type and payload; an all-zero header is the
 *       clean end (files are preallocated with zeros); any other bad
 *       length or crc ends the file as a torn tail.
 *     ENTRY  u8 nlen | file | u64 lsn | u64 entry_id | changeset (rest)
 *            an autocommit data entry (txn_id 0), the hot path's record
 *     ENTRY_TXN  u8 nlen | file | u64 lsn | u64 entry_id | u64 txn_id
 *            | u8 kind | changeset (rest)    an entry of a transaction
 *            (data, or its commit marker: no changeset)
 *     UNDO   u8 nlen | file | u64 target_lsn
 *     RESET  u8 nlen | file        the placement was dropped or replaced:
 *                                  earlier records of it are void
 *
 * Durability rule: a transaction committed on a placement with the WAL on
 * is either logged here (ENTRY after a capture WRITE or an APPLY, UNDO
 * after an undo; the task waits for the group fsync before it answers) or
 * made durable like synchronous=FULL would: stor_commit fdatasyncs the
 * placement's -wal file after COMMIT (stor_fwal_prepare_commit: DDL,
 * catch-up batches, writes without capture, changesets above
 * STOR_FWAL_LOGGED_BYTES_MAX, a broken WAL).  SQLite refuses to change
 * synchronous inside a transaction, hence the explicit fdatasync.
 *
 * Group commit (leader of the group; no syncer thread):
 *
 *   appender (worker thread, holds its placement lock)
 *     lock mu; copy record into `pending`; my = ++appended
 *     while durable < my:
 *        syncing?  ── yes ─► wait done_cv
 *           │ no
 *           ▼  become the group's leader
 *        syncing = 1; swap pending ↔ writing; upto = appended; unlock
 *        write(all of `writing`) ; fdatasync          ◄─ one per group
 *        lock; durable = upto (or broken = 1); syncing = 0; broadcast
 *     unlock → the task answers the leader
 *
 *   Records appended while a leader syncs form the next group: with N
 *   concurrent writers one fsync covers up to N records.
 *
 *   The follower's loop does not lead a group on its thread: it submits
 *   the group's write to an io_uring (fwal_ring.h; stor_fwal_ticket_start)
 *   with syncing = 1 and no thread owning it, goes on running batches, and
 *   ends the group when the ring's completion comes (the ring's fd is in
 *   its epoll).  A thread that must wait for that group meanwhile (a pool
 *   thread's append, the rotation, the close) reads the ring itself, ends
 *   it, and wakes the loop with a no-op.  Without a ring
 *   (MURPHY_FWAL_URING=0, io_uring_setup refused) the loop leads groups as
 *   above.
 *
 *   Direct writes: a generation file is opened O_DIRECT|O_DSYNC when the
 *   file system allows it (MURPHY_FWAL_DIRECT=0: not).  A group is then
 *   written in whole 4 KiB blocks from the block holding the previous
 *   group's end (its bytes rewritten, zeros after the records) and is
 *   durable when that write returns: no fdatasync, so in the ring no kernel
 *   worker thread either.  Records stay contiguous; the zeros read as the
 *   clean end (fwal.c, "direct writes").
 *
 * Truncation (the checkpointer thread, every STOR_FWAL_ROTATE_MS or when a
 * generation passes STOR_FWAL_ROTATE_BYTES):
 *
 *   1. create follower.wal.<gen+1> (STOR_FWAL_PREALLOC_BYTES of zeros,
 *      synced), fsync the directory (no lock held)
 *   2. lock mu; wait until !syncing; fd = new, gen++; unlock
 *        (records still pending go to the new file; everything written to
 *         the old one was fdatasynced by the group that wrote it)
 *   3. read the old file: the set of placements that have records in it;
 *      for each: stor_lock, PRAGMA wal_checkpoint(FULL) (fsyncs the SQLite
 *      WAL, then the database file; on SQLITE_BUSY from a reader: fsync the
 *      -wal file instead), stor_unlock
 *   4. all done: unlink the old file, fsync the directory.  Otherwise keep
 *      it and retry at the next tick (generations old_lo .. gen-1 on disk).
 *   Appends block only for step 2 (at most one group's fsync).
 *
 * Recovery (stor_fwal_recover, before serving tasks): generations in
 * order, records until the first bad one (truncated there); a placement's
 * records before its last RESET are skipped; ENTRY lsn == placement lsn+1
 * (either kind) is applied (stor_log_apply), lsn <= placement lsn skipped (a different
 * entry id is warned about), lsn > lsn+1 logged as an error and left (the
 * leader rebuilds that placement); UNDO → stor_log_undo when the placement
 * is above the target.  Then every touched placement is checkpointed and
 * the files are removed.
 *
 * Errors: a failed write or fdatasync marks the WAL broken (an fsync error
 * cannot be retried safely): the waiting tasks fail with 58030 and later
 * transactions fall back to synchronous=FULL.  Records appended while the
 * failed group was in the ring (the loop's next batches) are never made
 * durable: their tasks fail 58030 too.
 *
 * Threading: everything here is thread-safe; stor_fwal_start/stop and
 * stor_fwal_recover must run while no task uses the directory.
 */
#ifndef MUR_STORAGE_FWAL_H
#define MUR_STORAGE_FWAL_H

#include "storage/replog.h"
#include "storage/storage.h"

#include <stddef.h>
#include <stdint.h>

/* Size of a generation after which the checkpointer rotates: bounds the
 * replay at start (~64 MiB of records ≈ a second of replay). */
#define STOR_FWAL_ROTATE_BYTES ((uint64_t)64 << 20)
/* Each generation file is created this large, zero-filled and synced:
 * a group's fdatasync then overwrites allocated blocks and needs no
 * file-size (journal) update — measured here 6,200 fdatasyncs/s against
 * 4,100 when appending.  A generation rotates once this is used up (so
 * the effective rotation size is min(this, STOR_FWAL_ROTATE_BYTES)). */
#define STOR_FWAL_PREALLOC_BYTES ((uint64_t)8 << 20)
/* Rotation tick: records older than this are checkpointed into their
 * placement files even on a quiet follower. */
#define STOR_FWAL_ROTATE_MS 5000
/* Group-size summary in the log (INFO) at most this often. */
#define STOR_FWAL_STATS_MS 10000
/* Largest record; bigger changesets (bulk loads) commit with
 * synchronous=FULL instead of being copied through the WAL. */
#define STOR_FWAL_RECORD_MAX ((size_t)16 << 20)
/* Changesets above this also commit with synchronous=FULL: their own
 * fsync is shared by their many rows already, and copying them through
 * the WAL would write their bytes once more (a 2M-row COPY at RF 3 took
 * 15% more CPU with 20,000-row batches going through it). */
#define STOR_FWAL_LOGGED_BYTES_MAX ((size_t)256 << 10)
/* Generation files read at recovery (each one is a rotation that failed
 * to checkpoint; more means the disk is failing). */
#define STOR_FWAL_FILES_MAX 1024
/* Bytes before the payload: u32 len, u32 crc, u8 type. */
#define STOR_FWAL_HEADER_BYTES 9
#define STOR_FWAL_PREFIX "follower.wal."

enum { STOR_FWAL_ENTRY = 1, STOR_FWAL_UNDO = 2, STOR_FWAL_RESET = 3, STOR_FWAL_ENTRY_TXN = 4 };

typedef struct stor_fwal stor_fwal;

typedef struct stor_fwal_opts {
	uint64_t rotate_bytes; /* 0: STOR_FWAL_ROTATE_BYTES */
	uint32_t rotate_ms;    /* 0: STOR_FWAL_ROTATE_MS */
} stor_fwal_opts;

typedef struct stor_fwal_stats {
	uint64_t records;   /* made durable */
	uint64_t groups;    /* = fdatasyncs of the WAL */
	uint64_t group_max; /* records in the largest group */
	uint64_t bytes;
	uint64_t rotations;    /* old generations checkpointed and removed */
	uint64_t async_groups; /* of groups: submitted to the io_uring */
} stor_fwal_stats;

typedef struct stor_fwal_recovery {
	uint64_t files, records;                   /* read (good records) */
	uint64_t applied, skipped, undone, voided; /* voided: before a RESET */
	uint64_t missing;                          /* records of placements that no longer exist */
	uint64_t gaps; /* ENTRY beyond lsn+1 / failed replays: left to the leader */
	uint64_t torn; /* files that ended in a bad record */
} stor_fwal_recovery;

/* 1 unless MURPHY_GROUP_COMMIT is set to 0/off/false (on by default). */
int stor_fwal_env_enabled(void);
/* 1 unless MURPHY_FWAL_URING is set to 0/off/false: stor_fwal_start opens
 * an io_uring for stor_fwal_ticket_start (falls back to synchronous
 * groups when io_uring_setup fails: ENOSYS, EPERM). */
int stor_fwal_env_uring(void);

/* Recover (below), then open a new generation and attach the WAL to d:
 * placements switch to synchronous=NORMAL, the checkpointer thread starts.
 * opts may be NULL; rep (may be NULL) receives the recovery counts.  No
 * task may run on d meanwhile.  stor_dir_close stops it. */
int stor_fwal_start(stor_dir *d, const stor_fwal_opts *opts, stor_fwal_recovery *rep,
		    mur_error *err);
/* Detach and free (placements back to synchronous=FULL); the files stay
 * (a later recovery skips what is already applied).  No-op when off. */
void stor_fwal_stop(stor_dir *d);

/* Replay every generation file in d's directory (see top), checkpoint
 * the placements touched, remove the files.  Must run with the WAL not
 * attached (a follower with group commit off still calls it, so records
 * of an earlier run are never lost).  Errors only for I/O failures. */
int stor_fwal_recover(stor_dir *d, stor_fwal_recovery *rep, mur_error *err);

/* Rotate now and checkpoint the old generation (tests; the thread does it
 * on its own).  MUR_OK when off. */
int stor_fwal_rotate(stor_dir *d, mur_error *err);
/* Whether d has a working follower WAL (on and not failed). */
int stor_fwal_on(stor_dir *d);

/* Counters since start (zeros when off). */
void stor_fwal_get_stats(stor_dir *d, stor_fwal_stats *out);

/* ---- hooks on the write path (storage, task_run.c) ---------------- */

/* Before COMMIT of db's open transaction: the transaction will be logged
 * (logged = 1, changeset of cs_len bytes) or not.  When the WAL is on and
 * it will not be logged here (logged == 0, too large, WAL broken), the
 * transaction is marked strict: stor_commit fdatasyncs the -wal file after
 * COMMIT (58030 when that fails).  Under lock. */
int stor_fwal_prepare_commit(stor_db *db, int logged, size_t cs_len, mur_error *err);
/* After stor_commit: append the ENTRY (UNDO) record of the transaction
 * that stor_fwal_prepare_commit accepted, and wait for its group's fsync.
 * No-op otherwise.  58030 when the WAL failed (the SQLite commit stays).
 * Under lock (keeps a placement's records in LSN order). */
int stor_fwal_log_entry(stor_db *db, const stor_entry *e, mur_error *err);
int stor_fwal_log_undo(stor_db *db, uint64_t target, mur_error *err);
/* Deferred durability, for a batch of writes run one after the other on
 * this thread (node/follower.c's write batches): between defer_begin and
 * defer_end, ENTRY and UNDO records are appended without waiting, so the
 * placement lock is released before the fsync; defer_end then waits until
 * every one of them is durable (leading the group's fdatasync itself when
 * no other thread is), so a whole batch costs one fsync.  The caller must
 * not answer any write of the batch before defer_end returned MUR_OK
 * (58030: none of them is known durable).  Thread-local. */
void stor_fwal_defer_begin(void);
int stor_fwal_defer_end(mur_error *err);
/* A deferred batch's records, to wait for later, maybe on another thread
 * (follower/write_batch.c waits after the batch's early answers): w NULL
 * when the batch appended nothing. */
typedef struct stor_fwal_ticket {
	stor_fwal *w;
	uint64_t upto; /* the batch's last record */
} stor_fwal_ticket;
/* End the deferred batch without waiting: its records, for
 * stor_fwal_ticket_wait.  Thread-local, like defer_begin. */
void stor_fwal_defer_take(stor_fwal_ticket *t);
/* Wait until t's records are durable, leading the group's write and
 * fdatasync when no other thread does; 58030 as defer_end.  Any thread. */
int stor_fwal_ticket_wait(const stor_fwal_ticket *t, mur_error *err);
/* The asynchronous group, for the follower's loop thread (write_batch.c):
 * make t's records durable without waiting.  MUR_OK: they are; MUR_ERR
 * (58030): the WAL failed; MUR_EAGAIN: a group covering what was appended
 * is in the ring (submitted now, or before: at most one group syncs) and
 * stor_fwal_async_fd becomes readable when it ends (call
 * stor_fwal_async_reap, then this again: it starts the next group when
 * t's records were appended after the one that ended).  *durable: the
 * records durable so far (a waiter's earlier tickets at or below it are
 * done).  Without a ring, or while another thread leads a synchronous
 * group, it waits as stor_fwal_ticket_wait.  fwal.h's "Group commit"
 * protocol is unchanged: the ring's group is led by no thread, and a
 * thread that must wait for it (a pool thread's append, the rotation, the
 * close) reads the ring itself and then wakes the poller. */
int stor_fwal_ticket_start(const stor_fwal_ticket *t, uint64_t *durable, mur_error *err);
/* The ring's fd (readable when a completion waits), -1 when none. */
int stor_fwal_async_fd(stor_dir *d);
/* Read the ring's completions without waiting (the poller's callback). */
void stor_fwal_async_reap(stor_dir *d);
/* Fault injection (the follower's FAULT "fsync …", tests only): from now
 * on every group's write + fdatasync of the WAL first sleeps delay_ms (0:
 * none; the thread leading the group sleeps, as a slow disk would keep
 * it); fail_next makes the next group fail as an I/O error would (the
 * WAL breaks: its waiting tasks get 58030).  Process-wide. */
void stor_fwal_fault(uint32_t delay_ms, int fail_next);
/* Before a placement file is dropped or replaced: void its earlier
 * records (durable on return).  No-op when off. */
int stor_fwal_log_reset(stor_dir *d, const char *file, mur_error *err);

#endif
