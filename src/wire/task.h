/*
 * task.h — a shard task: the unit of work the leader sends a follower.
 *
 * The leader turns each statement into tasks (one per shard it touches);
 * the follower runs the task against the placement files it names and
 * answers with a task result.  Both travel inside node-protocol frames
 * (wire/proto.h) encoded by exec_task_encode / exec_result_encode.
 *
 * Task kinds:
 *   EXEC_TASK_QUERY   run `sql` (a SELECT) with `params`; return its rows.
 *                     When `agg` is set, the rows go through murphy's hash
 *                     aggregate (ops/hashagg.h) and the aggregate's output
 *                     is returned instead (partial aggregation).
 *   EXEC_TASK_WRITE   run `sql` (INSERT/UPDATE/DELETE, maybe RETURNING) once
 *                     with `params`, or, when `nrows` > 0, once per row of
 *                     `rows` (each row bound to ?1..?ncols).  All of it in one
 *                     SQLite transaction that also bumps the placement's LSN.
 *                     Returns RETURNING rows, `changes` and the new `lsn`.
 *   EXEC_TASK_DDL     run `sql` (one or more statements; CREATE TABLE,
 *                     CREATE INDEX, DROP INDEX) creating the placement file if
 *                     needed.  Also bumps the LSN.
 *   EXEC_TASK_DROP    delete the placement files named (DROP TABLE).
 *   EXEC_TASK_COUNT   return one row: count(*) of table `sql` names... (kept
 *                     simple: sql is "SELECT count(*) FROM main.<t>").
 *
 * Placement files: placements[0] is opened as schema "main"; placements[i]
 * for i >= 1 is ATTACHed as schema "m<i>" (co-located joins).  The SQL
 * refers to tables as main."t", m1."u", ...
 */
#ifndef WIRE_TASK_H
#define WIRE_TASK_H

#include "common/buf.h"
#include "common/error.h"
#include "common/valkey.h"
#include "common/value.h"

#include <stdint.h>

#define EXEC_TASK_PLACEMENTS_MAX 8
#define EXEC_AGGS_MAX 64
#define EXEC_PARAMS_MAX 65535
/* Placement file names: [A-Za-z0-9_.-], no leading '.', < 64 bytes (they
 * become paths on the follower, so the decoder refuses anything else). */
#define EXEC_PLACEMENT_NAME_MAX 64
/* SQL text of one task.  Bulk data travels in `rows`, never in the SQL,
 * so 16 MiB is generous. */
#define EXEC_TASK_SQL_BYTES_MAX (16u << 20)
/* Rows a result may carry: one node-protocol frame is at most 1 GiB
 * (NET_FRAME_MAX); leave 1 MiB for the rest of the result.  The follower
 * fails the task with 54000 rather than exceed it. */
#define EXEC_RESULT_ROWS_BYTES_MAX (((size_t)1 << 30) - ((size_t)1 << 20))
/* Longest scan_table / scan_column of a task, NUL included: catalog names
 * are shorter (CAT_NAME_MAX); this only bounds what the wire accepts. */
#define EXEC_TASK_IDENT_MAX 256
/* First byte of an encoded task or result; bumped on layout changes. */
#define EXEC_WIRE_VERSION 19

typedef enum exec_task_kind {
	EXEC_TASK_QUERY = 1,
	EXEC_TASK_WRITE = 2,
	EXEC_TASK_DDL = 3,
	EXEC_TASK_DROP = 4,
	EXEC_TASK_APPLY = 5, /* replica: apply `blob` (a changeset) as log entry (lsn, entry_id,
				  txn_id, entry_kind) */
	EXEC_TASK_UNDO = 6,  /* roll placements[0] back to `lsn` by inverting its own log entries */
	EXEC_TASK_STATUS = 7, /* rows (file, lsn, entry_id, first_log_lsn, open_txn_id,
				  open_txn_lsn) for every placement held (storage/replog.h) */
	EXEC_TASK_REBUILD =
		8, /* copy placements[0] from the follower at peer_addr: snapshot + log */
	EXEC_TASK_CATCHUP =
		9, /* fetch log entries after my lsn up to `lsn` from peer_addr and apply */
	EXEC_TASK_FAULT = 10, /* fault injection on the follower; sql holds the command */
	/* repartition shuffle (docs/shuffle.md): */
	EXEC_TASK_SHUFFLE_SEND = 11,   /* run like QUERY, hash the output rows by their first
					shuffle_hash_cols columns into one part per owner in
					shuffle_to, stream each part to its owner; result rows:
					(owner TEXT, rows INT, bytes INT) per owner */
	EXEC_TASK_SHUFFLE_RECV = 12,   /* collect shuffle_id's parts from shuffle_inputs senders,
					aggregate them with `agg`, return the rows; with
					shuffle_streams > 0 (a join): load stream s's parts
					into the table of line s of shuffle_load in a fresh
					in-memory SQLite (made by shuffle_ddl, indexed by
					shuffle_post), run `sql` there (then `agg` if set) */
	EXEC_TASK_SHUFFLE_CANCEL = 13, /* fail the RECV of shuffle_id (sql: the reason) */
	EXEC_TASK_QUERY_CANCEL = 14,   /* interrupt the QUERY (or SHUFFLE_SEND) task target_id
					if it still runs
					(its statement was cancelled on the leader); answers
					at once, whether or not it found the task */
	EXEC_TASK_TXN_STATE = 15,      /* recovery's query (parallel commits): one row
					(state INT: storage's stor_txn_state, participants
					TEXT, first_log_lsn INT) of what placements[0]'s log
					says of txn_id (stor_log_txn_state).  Run with the
					task's epoch observed first, as every task is: once a
					newer leader asked, an older one's STAGED write is
					refused (fenced), so a copy's answer cannot change
					behind the asker.  txn_id 0: the log's STAGED
					entries whose txn_id is in [lsn, entry_id), newest
					first, at most EXEC_TXN_STAGED_LIST_MAX: rows
					(txn_id INT, participants TEXT) — a restart's
					rebuild of lost outcome rows (repl_staged.c) */
	EXEC_TASK_SPLIT = 16,          /* murphy.split_shard (storage's stor_split_*):
					lsn 0: prepare the two halves of placements[0] (the
					rows of table scan_table whose column scan_column is
					below params[0], and the others), installed as
					placements[1] and [2] (answered: lsn); lsn L: catch
					them up to L, the switch's last catch-up (answered:
					changes = entries caught up); lsn L with target_id
					EXEC_SPLIT_ROUND:
					a catch-up round, no install: up to L at most, as far
					as placements[0] holds (answered: lsn = where the
					halves are, changes = entries caught up);
					EXEC_SPLIT_DISCARD: remove the halves.  placements[0]
					is never changed; sql "hash": the bound is a hash
					bound (a hash table) */
	EXEC_TASK_SHUFFLE_FETCH = 17,  /* a cursor's next rows of the join shuffle_id's owner
					kept (its RECV had shuffle_batch > 0): at most
					shuffle_batch rows of the statement held open there
					(follower/shuffle_keep.c); fewer: the statement is
					done and the owner dropped it.  A SHUFFLE_CANCEL of a
					kept shuffle drops it */
	EXEC_TASK_SYNC = 18,           /* make the follower's write batches answered early and
					left unsynced (follower/write_batch.h, "Sync later")
					durable now: the leader waits for the primary's durable
					answer to an entry of placements[0] (an undo, the
					next op behind it).  Answered at once, before that
					fsync: the entries' own answers follow it */
	EXEC_TASK_KIND_MAX = 18,
} exec_task_kind;

#define EXEC_SPLIT_DISCARD UINT64_MAX /* EXEC_TASK_SPLIT's lsn: drop the prepared halves */
#define EXEC_SPLIT_ROUND 1 /* EXEC_TASK_SPLIT's target_id: a catch-up round (no install) */

typedef enum exec_agg_fn {
	EXEC_AGG_COUNT_STAR = 1, /* count(*): number of input rows */
	EXEC_AGG_COUNT = 2,      /* count(x): non-NULL inputs */
	EXEC_AGG_SUM =
		3, /* sum: int64 while inputs are ints and no overflow, else double; NULL if no non-NULL input */
	EXEC_AGG_MIN = 4, /* mur_value_cmp order, NULLs ignored */
	EXEC_AGG_MAX = 5,
	EXEC_AGG_COUNT_DISTINCT = 6, /* distinct non-NULL values per group (hash set) */
	EXEC_AGG_SUM_COUNT = 7,      /* merge of counts: sum of ints, 0 when no input */
	EXEC_AGG_BOOL_AND = 8,
	EXEC_AGG_BOOL_OR = 9,
	/* HyperLogLog sketches (ops/hll.h), approx_count_distinct: */
	EXEC_AGG_HLL = 10,       /* non-NULL inputs → sketch BLOB (the empty sketch when none) */
	EXEC_AGG_HLL_MERGE = 11, /* sketch BLOBs, NULLs ignored → their union, a sketch BLOB */
	EXEC_AGG_HLL_COUNT = 12, /* sketch BLOBs, NULLs ignored → INT estimate of the union's
					distinct count, 0 when no input */
	/* numeric (TEXT decimals, common/numeric.h), exact: */
	EXEC_AGG_NUM_SUM = 13, /* sum → numeric TEXT with the largest input scale; NULL if none */
	EXEC_AGG_NUM_MIN = 14, /* min / max by numeric value (1.5 < 10), the input's text */
	EXEC_AGG_NUM_MAX = 15,
	EXEC_AGG_IV_SUM = 16, /* sum of stored intervals (common/interval.h) field by field, as
				 PostgreSQL's interval_pl; NULL if none */
	/* bit_and / bit_or / bit_xor of INTs (shards' partials merge alike); NULL if none */
	EXEC_AGG_BIT_AND = 17,
	EXEC_AGG_BIT_OR = 18,
	EXEC_AGG_BIT_XOR = 19,
	EXEC_AGG_FN_MAX = 19, /* the last one (numbers are append-only: they cross the wire) */
} exec_agg_fn;

typedef struct exec_agg {
	uint8_t fn;   /* exec_agg_fn */
	uint32_t col; /* input column index (ignored for COUNT_STAR) */
} exec_agg;

/* Columns (bit i: column i < 32) compared and hashed by value, by kind
 * (common/valkey.h: 1.0 = 1.00, '1 day' = '24 hours', {"a": 1.0} =
 * {"a": 1}); the rest by their bytes. */
typedef struct exec_key_cols {
	uint32_t num;    /* numeric text (or SQLite integers in a numeric column) */
	uint32_t iv;     /* stored intervals */
	uint32_t jsonb;  /* stored jsonb */
	uint32_t bpchar; /* character(n): without trailing spaces */
} exec_key_cols;

/* The key kind of column c (MUR_KEY_BYTES when unmarked or c >= 32). */
static inline mur_key_kind exec_key_kind(const exec_key_cols *k, uint32_t c)
{
	if (c >= 32)
		return MUR_KEY_BYTES;
	return (k->num >> c & 1u)      ? MUR_KEY_NUMERIC
	       : (k->iv >> c & 1u)     ? MUR_KEY_INTERVAL
	       : (k->jsonb >> c & 1u)  ? MUR_KEY_JSONB
	       : (k->bpchar >> c & 1u) ? MUR_KEY_BPCHAR
				       : MUR_KEY_BYTES;
}

/* A numeric expression the hash aggregate evaluates per row (ops/numx.h):
 * + - * and unary minus over input columns and integer constants scaled
 * by 10^-scale, in postfix order, with PostgreSQL's numeric result scales.
 * An aggregate reads expression i as its column EXEC_AGG_COL_EXPR | i, so
 * sum(l_extendedprice * (1 - l_discount)) adds the product in fixed point
 * instead of SQLite computing and printing it as text per row (TPC-H's
 * Q1).  Only NUM_SUM and COUNT read expressions. */
typedef enum exec_numx_opcode {
	EXEC_NUMX_COL = 1,   /* push input column arg (numeric TEXT or an INT) */
	EXEC_NUMX_CONST = 2, /* push arg * 10^-scale */
	EXEC_NUMX_ADD = 3,   /* pop b, pop a, push a + b */
	EXEC_NUMX_SUB = 4,   /* a - b */
	EXEC_NUMX_MUL = 5,   /* a * b */
	EXEC_NUMX_NEG = 6,   /* pop a, push -a */
	EXEC_NUMX_OP_MAX = 6,
} exec_numx_opcode;

#define EXEC_NUMX_MAX 8               /* expressions per spec: Q1 has two */
#define EXEC_NUMX_OPS_MAX 16          /* steps of one: Q1's longest has nine */
#define EXEC_NUMX_SCALE_MAX 18        /* a constant's scale (its mantissa is an int64) */
#define EXEC_AGG_COL_EXPR 0x80000000u /* exec_agg.col: expression (col & ~it) */

typedef struct exec_numx_op {
	uint8_t op;    /* exec_numx_opcode */
	uint8_t scale; /* CONST */
	int64_t arg;   /* COL: the column; CONST: the mantissa */
} exec_numx_op;

typedef struct exec_numx {
	uint32_t nops;
	exec_numx_op ops[EXEC_NUMX_OPS_MAX];
} exec_numx;

/* Hash aggregation: group input rows by their first `ngroup` columns and
 * compute `naggs` aggregates.  Output rows: the ngroup key values, then one
 * value per aggregate.  With ngroup == 0 there is exactly one output row
 * even for empty input (count 0, sum/min/max NULL), as in SQL. */
typedef struct exec_agg_spec {
	uint32_t ngroup;
	uint32_t naggs;
	/* input columns holding numeric, interval or jsonb: group keys and
	 * COUNT_DISTINCT compare them by value (1.0 and 1.00 are one group,
	 * which shows the first spelling it saw) */
	exec_key_cols keys;
	exec_agg aggs[EXEC_AGGS_MAX];
	uint32_t nexprs; /* numeric expressions the aggregates read (exec_numx) */
	exec_numx exprs[EXEC_NUMX_MAX];
} exec_agg_spec;

/* Owners of one shuffle (parts of shuffle_to). */
#define EXEC_SHUFFLE_PARTS_MAX 64
#define EXEC_SHUFFLE_TO_BYTES_MAX (EXEC_SHUFFLE_PARTS_MAX * 64)
/* Tables of a repartitioned join (streams of one shuffle). */
#define EXEC_JOIN_STREAMS_MAX 8
/* Senders (shards) feeding one shuffle. */
#define EXEC_SHUFFLE_INPUTS_MAX 4096

/* exec_task.entry_kind: what a shard-log entry is (docs/transactions.md,
 * "Shard log").  The values are storage's STOR_ENTRY_* (checked where the
 * follower passes one to the other) and cross the wire: append-only. */
typedef enum exec_entry_kind {
	EXEC_ENTRY_DATA = 0,   /* row changes (a changeset), of txn_id or autocommit (0) */
	EXEC_ENTRY_COMMIT = 1, /* the commit marker of txn_id (≠ 0): no changeset, no SQL */
	EXEC_ENTRY_STAGED = 2, /* the staging marker of txn_id (≠ 0; parallel commits): no
				  SQL, `blob` its participant list (the entry's changeset
				  column) */
	EXEC_ENTRY_DDL = 3,    /* a schema change (storage's STOR_ENTRY_DDL): a WRITE's
				  sql is "forward SEP undo", run forward and logged whole;
				  an APPLY's blob is that text */
	EXEC_ENTRY_KIND_MAX = 3,
} exec_entry_kind;
/* A DDL entry's separator between its forward and undo SQL (storage's
 * STOR_DDL_SEP, checked where the follower passes one to the other). */
#define EXEC_DDL_SEP '\x01'

/* STAGED entries one EXEC_TASK_TXN_STATE list answers at most (~4 KiB
 * each at worst: within the result's bound). */
#define EXEC_TXN_STAGED_LIST_MAX 4096

/* EXEC_TASK_TXN_STATE's state column: what a copy's log says of a
 * transaction (storage's stor_txn_state; checked where the follower passes
 * one to the other). */
typedef enum exec_txn_state {
	EXEC_TXN_ABSENT = 0,    /* no entry of it */
	EXEC_TXN_OPEN = 1,      /* its entries, not staged */
	EXEC_TXN_STAGED = 2,    /* its staging marker is its newest entry */
	EXEC_TXN_COMMITTED = 3, /* its commit marker */
} exec_txn_state;

/* SQLSTATE of a WRITE or APPLY refused because it would break the open
 * transaction's suffix of a shard log (while txn X has entries without
 * its marker, only X's entries may follow; storage/replog.h,
 * STOR_SQLSTATE_TXN_ORDER): invalid_transaction_state, a leader bug. */
#define EXEC_SQLSTATE_TXN_ORDER "25000"

/* SQLSTATE of a QUERY refused because its placement is past the newest
 * entry the read may see (exec_task.lsn; the result's lsn says where it
 * is): object_not_in_prerequisite_state.  The leader reads elsewhere. */
#define EXEC_SQLSTATE_READ_PAST "55000"

/* exec_task.capture */
enum {
	EXEC_CAPTURE_NONE = 0,
	EXEC_CAPTURE_RETURN = 1, /* log the changeset and return it (a primary) */
	EXEC_CAPTURE_LOG = 2,    /* log it, return only the position: a copy of a
				  * parallel write, whose rows the leader has */
};

typedef struct exec_task {
	uint64_t id;
	uint8_t kind; /* exec_task_kind */
	uint32_t nplacements;
	char placements[EXEC_TASK_PLACEMENTS_MAX][64]; /* file names, see header */
	const char *sql;                               /* NUL-terminated */
	uint32_t nparams;
	mur_value *params; /* nparams values */
	uint32_t ncols;    /* EXEC_TASK_WRITE with rows: values per row */
	uint64_t nrows;
	const char *rows; /* nrows rows in mur_row encoding */
	size_t rows_len;
	int has_agg;
	exec_agg_spec agg;
	/* replication (docs/replication.md) */
	uint64_t lsn; /* APPLY: the entry's LSN; UNDO: roll back to it; CATCHUP: target;
					* WRITE with capture: the LSN the entry must get (0: the next),
					* refused with 55000 when the placement is not just below it;
					* QUERY or SHUFFLE_SEND: the newest entry the read may see (0: any): the
					* result says where placements[0] is (lsn, entry_id), and
					* past it the read is refused (EXEC_SQLSTATE_READ_PAST) */
	uint64_t attached_bound[EXEC_TASK_PLACEMENTS_MAX]; /* QUERY or SHUFFLE_SEND of a co-located
					* join: [i] (i >= 1) is placements[i]'s bound as lsn is
					* placements[0]'s (0: any); [0] unused.  The result says
					* where each was (attached_lsn) */
	uint64_t entry_id;  /* WRITE (capture) / APPLY: the entry's leader-assigned id */
	uint8_t capture;    /* WRITE: EXEC_CAPTURE_* (log the changeset as an entry) */
	uint64_t txn_id;    /* WRITE (capture) / APPLY: the transaction the entry belongs
					  to; 0 = autocommit (the entry is its own decision) */
	uint8_t entry_kind; /* WRITE (capture) / APPLY: exec_entry_kind.  A WRITE of kind
					  COMMIT has no SQL: the primary appends txn_id's commit
					  marker as its next entry (at `lsn` when set, as any
					  WRITE); an APPLY of one appends it on a replica (empty
					  blob).  A WRITE or APPLY of kind STAGED likewise, its
					  participants in blob.  TXN_STATE: the transaction
					  asked about */
	const char *blob;   /* APPLY: the changeset (STAGED: the participants); WRITE of
			       kind STAGED: the participants */
	size_t blob_len;
	char peer_addr[64];     /* REBUILD / CATCHUP: host:port of the source follower */
	uint64_t fetch_max_bps; /* REBUILD: the snapshot's bytes per second at most
				   (a move's throttle, murphy.move_max_mbps); 0: no limit */
	uint8_t load_cpu_only;  /* leader side, never sent: the leader's own look at
					  the placement (the automatic splitter's size
					  probe), counted as its follower's CPU time only,
					  not as a read (leader/lead_load.c) */
	uint8_t quick;          /* QUERY: a point lookup (router plan on the primary key):
					  the follower may run it on its event loop, skipping
					  the thread pool, when the placement is free */
	uint64_t epoch;         /* fencing: the leader's epoch for this follower when sent;
					  a follower refuses writes older than the newest it has seen
					  (exec_fence_observe, task_run.c) */
	/* repartition shuffle (SHUFFLE_SEND / RECV / CANCEL) */
	uint64_t shuffle_id;        /* leader-unique id of one shuffle */
	uint32_t shuffle_source;    /* SEND: which input this is (the shard), < shuffle_inputs */
	uint32_t shuffle_inputs;    /* SEND and RECV: how many SEND tasks feed every owner */
	uint32_t shuffle_hash_cols; /* SEND: leading output columns that pick the owner */
	exec_key_cols shuffle_keys; /* SEND: of those, the ones hashed by value: 1.0
				       and 1 go to one owner */
	const char *shuffle_to;     /* SEND: owners' peer addresses, comma-separated, in
					  part order (NULL or "" otherwise); with
					  shuffle_hash_cols == 0 every owner gets every row */
	uint32_t shuffle_stream;    /* SEND: the stream (join input) it feeds;
					  RECV: how many streams (0: an aggregate shuffle) */
	const char *shuffle_ddl;    /* RECV join: script run first (ATTACH, CREATE TABLE) */
	const char *shuffle_load;   /* RECV join: one INSERT per stream, '\n'-separated */
	const char *shuffle_post;   /* RECV join: script run after loading (CREATE INDEX) */
	uint32_t shuffle_batch;     /* RECV join: > 0: a cursor's: keep the database and
					  `sql` open under shuffle_id and answer its first
					  shuffle_batch rows; FETCH: the rows wanted */
	uint32_t shuffle_merge;     /* RECV join: 1 + the stream whose rows (key, counts...)
				       its senders counted by key: the owner adds them up by
				       key (shuffle_keys: column 0) before loading; 0: none */
	char *shuffle_to_buf;       /* a decoded non-empty shuffle_to lives here (malloc'd, freed by
				 exec_task_free_decoded): inline, its 4 KiB were zeroed for
				 every task */
	/* QUERY: the planner's word that sql reads column scan_column of every
	 * row of table scan_table of placements[0] and nothing else (no filter,
	 * no join): the follower may read the column from the table's pages
	 * (storage/colscan.h).  "" when not (the follower never guesses it from
	 * the text of sql). */
	const char *scan_table;
	const char *scan_column;
	/* QUERY with an aggregate whose groups are whole on this shard: SQL
	 * over table r, the aggregate's output rows (columns c0, c1, ...),
	 * keeping those that pass the query's HAVING; the follower answers
	 * its rows instead (storage/rowfilter.c).  "" when none. */
	const char *having_sql;
	uint64_t target_id; /* QUERY_CANCEL: the id of the QUERY to interrupt; SPLIT:
			       EXEC_SPLIT_ROUND or 0 */
	uint8_t early;      /* WRITE with capture: answer twice (docs/transactions.md,
					  "Pipelined writes"): once the statement ran and its
					  SQLite transaction committed (an exec_result with early
					  set: rows, changes, changeset; everything but
					  durability), then once its entry is durable (the final
					  answer: lsn, entry_id, changes; no rows, no changeset).
					  A run that failed, or that was durable at once, is
					  answered once (not early) */
} exec_task;

typedef struct exec_result {
	uint64_t task_id;
	int failed;
	mur_error err; /* when failed */
	uint32_t ncols;
	uint64_t nrows;
	mur_buf rows;     /* nrows rows of ncols values, mur_row encoding */
	uint64_t changes; /* rows inserted/updated/deleted */
	uint64_t lsn;     /* placement LSN after a write/DDL; a QUERY with a bound
			     (exec_task.lsn; a SHUFFLE_SEND too): the LSN it read at;
			     else 0 for queries */
	uint64_t elapsed_us;
	uint64_t cpu_us;   /* CPU time the thread that ran the task spent on it
			      (CLOCK_THREAD_CPUTIME_ID; the leader's load views, docs/load.md) */
	uint64_t entry_id; /* id of the log entry at `lsn` (0 when none) */
	mur_buf blob;      /* WRITE with capture: the changeset logged at `lsn` */
	uint8_t early;     /* the early answer of a task that asked for one (exec_task.early):
			  another answer follows (cluster/cluster.h) */
	uint8_t unsent;    /* leader only, not encoded: failed with its link, whose TASK
			  frame never left (cluster/route.c): the follower cannot have it */
	/* a bounded read of several placements (exec_task.attached_bound): where
	 * placements[i] (1 <= i <= nattached) was, as lsn / entry_id say for
	 * placements[0]; 0 for one without a bound */
	uint8_t nattached;
	uint64_t attached_lsn[EXEC_TASK_PLACEMENTS_MAX];
	uint64_t attached_entry_id[EXEC_TASK_PLACEMENTS_MAX];
} exec_result;

/* Encode a task into b (appends). */
void exec_task_encode(const exec_task *t, mur_buf *b);
/* Decode from p/len.  Pointers in *t point into p (which must outlive *t),
 * except params and shuffle_to_buf, which are malloc'd: free with exec_task_free_decoded().
 * Returns MUR_OK, MUR_EPROTO (malformed: nothing to free) or MUR_ENOMEM. */
int exec_task_decode(const char *p, size_t len, exec_task *t);
/* The same, and on MUR_EPROTO: *id is the task's id when the frame is long
 * enough to hold one (9 bytes: version and id; else 0), and why (when not
 * NULL) names the defect — "unknown task kind 250", "task encoding version
 * 7, expected 18", "truncated task body (40 bytes), found reading
 * its sql" — so the follower can fail that task alone. */
int exec_task_decode_why(const char *p, size_t len, exec_task *t, uint64_t *id, char *why,
			 size_t whysz);
void exec_task_free_decoded(exec_task *t);

void exec_result_init(exec_result *r);
void exec_result_free(exec_result *r);
void exec_result_encode(const exec_result *r, mur_buf *b);
/* Decode into r, which must have been initialized (exec_result_init); its
 * rows buffer is reused and the rows are copied into it.  MUR_OK, MUR_EPROTO
 * or MUR_ENOMEM; on error r is empty (still freeable). */
int exec_result_decode(const char *p, size_t len, exec_result *r);

#endif
