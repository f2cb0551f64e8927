/*
 * proto.h — murphy's node protocol: the frame types and their payloads.
 *
 * Frames are carried by net/net.h.  Payload layouts (big-endian, strings
 * are u32 length + bytes, no NUL, no embedded NUL):
 *
 *   CHALLENGE  leader → follower, first frame on the connection:
 *              u32 version | nonce (NET_NONCE_BYTES random bytes)
 *   HELLO      follower → leader, its answer: u32 version | nonce |
 *              proof (NET_PROOF_BYTES) | str node name | str listen addr
 *              (the cluster secret itself never crosses the network: the
 *              proof is an HMAC keyed by it, wire/node_auth.h)
 *   WELCOME    leader → follower: u32 node id (assigned by the catalog) |
 *              the leader's proof
 *   REFUSED    leader → follower: str reason; the leader then closes
 *   HEARTBEAT  follower → leader: i64 follower wall clock, ms since epoch,
 *              u64 bytes of its data directory (murphy.node_load.disk_bytes)
 *              [| u8 1 | (str file | u64 bytes)*: each regular file's size,
 *              on the heartbeat after the follower measured them
 *              (murphy.shard_load.disk_bytes, the rebalancer's size steps)]
 *   TASK       leader → follower: exec_task_encode bytes (wire/task.h)
 *   RESULT     follower → leader: exec_result_encode bytes
 *   PROGRESS   follower → leader, while a REBUILD/CATCHUP task runs:
 *              u64 task id | str file | str phase | u64 done | u64 total
 *              (phase "snapshot": bytes of the snapshot received of its
 *              size; "log": log entries applied of those to fetch)
 *
 * Peer frames (follower ↔ follower on the source's --listen port, served
 * by follower/peer_server.c, fetched by follower/peer_fetch.c):
 *
 *   CHALLENGE, HELLO  source → fetcher, fetcher → source: the same
 *                   exchange (the source checks version and proof) →
 *                   WELCOME (node id 0, the source's proof) or REFUSED
 *   FETCH_SNAPSHOT  fetcher → source: str file
 *   SNAPSHOT_CHUNK  source → fetcher: u64 offset | u64 total | u64 lsn |
 *                   bytes (the rest of the payload) — a piece of a
 *                   consistent copy of the file: `total` bytes, holding
 *                   every entry up to `lsn`
 *   SNAPSHOT_END    source → fetcher: u64 total | u64 lsn
 *   FETCH_LOG       fetcher → source: str file | u64 after lsn | u64 upto | u64 after entry id
 *                   lsn (0 = the source's lsn when the request arrives)
 *   LOG_CHUNK       source → fetcher: u64 nentries | u64 last lsn | u64
 *                   upto lsn (resolved) | entries (storage/replog.h wire
 *                   encoding)
 *   LOG_END         source → fetcher: u64 last lsn sent (= after when none)
 *   PEER_ACK        fetcher → source: u32 chunks consumed (flow control)
 *   PEER_ERROR      source → fetcher: str sqlstate | str message; ends the
 *                   request (the connection stays usable)
 *
 * Shuffle frames (sender → owner on the owner's --listen port, after the
 * same CHALLENGE/HELLO/WELCOME; follower/shuffle.h, docs/shuffle.md):
 *
 *   SHUFFLE_DATA    sender → owner: u64 shuffle id | u32 source | u32 inputs |
 *                   u32 stream | u8 last | u32 ncols | u64 nrows | rows
 *                   (value.h row encoding, the rest of the payload): the
 *                   rows of one source (0 <= source < inputs, the senders of
 *                   the whole shuffle) that go to this owner, for join input
 *                   `stream` (0 in an aggregate shuffle); last = 1 on the
 *                   source's final frame
 *   SHUFFLE_ACK     owner → sender: u64 shuffle id | u32 source — the
 *                   source's last frame is held by the owner; or PEER_ERROR
 *
 * Session (leader side in cluster/leader.c, follower side in
 * cluster/member.c):
 *
 *   follower                        leader
 *            ◄───────────── CHALLENGE  (at accept)
 *      HELLO ───────────────────────►  version/proof/name checked
 *            ◄─────────────── WELCOME  (or REFUSED, then close)
 *      HEARTBEAT every 500 ms ──────►
 *            ◄─────────────────  TASK  (any number in flight)
 *      PROGRESS (same task id) ─────►  REBUILD/CATCHUP only, ≤ 1 per 200 ms
 *      RESULT (same task id) ───────►
 *
 *   fetcher                         source (one request at a time)
 *            ◄───────────── CHALLENGE
 *      HELLO ───────────────────────►  version/proof checked
 *            ◄─────────────── WELCOME  (or REFUSED, then close)
 *      FETCH_SNAPSHOT / FETCH_LOG ──►
 *            ◄─────── *_CHUNK × n      at most NET_PEER_WINDOW_CHUNKS
 *      PEER_ACK per chunk consumed ─►  not yet acknowledged
 *            ◄──────────── *_END       (or PEER_ERROR)
 *      next request ...
 *
 * While the source prepares a chunk for longer than a moment (making a
 * snapshot) it sends HEARTBEAT frames every NET_PEER_KEEPALIVE_MS so the
 * fetcher's read timeout measures a dead peer, not a big file.
 *
 * Decoders reject anything malformed: short input, trailing bytes, strings
 * over their limit or containing NUL.  They return MUR_OK or MUR_EPROTO and
 * say what was wrong in err (SQLSTATE 08P01).
 */
#ifndef WIRE_PROTO_H
#define WIRE_PROTO_H

#include "common/buf.h"
#include "common/error.h"

#include <stddef.h>
#include <stdint.h>

/* Bumped on any incompatible change to a payload layout (2: LOG_CHUNK
 * entries carry txn_id and kind, storage/replog.h; 3: CHALLENGE, and HELLO
 * proves the cluster secret instead of carrying it, wire/node_auth.h).  A
 * version-2 follower is refused with a message naming both versions; a
 * version-3 follower waits in vain for a version-2 leader's CHALLENGE and
 * retries (its log says the leader did not answer); 4: HEARTBEAT may carry
 * the follower's file sizes). */
#define NET_PROTO_VERSION 4
/* Random bytes of each side's nonce in the node handshake. */
#define NET_NONCE_BYTES 32
/* An HMAC-SHA256 proof of the cluster secret. */
#define NET_PROOF_BYTES 32
/* Node names and addresses: same bound as the catalog's CAT_NAME_MAX
 * (including the NUL), checked at compile time in cluster/leader.c. */
#define NET_NAME_MAX 64
/* Cluster secret: 64 hex characters are written by `murphy leader`; allow
 * some room for hand-made ones. */
#define NET_SECRET_MAX 256
/* A REFUSED reason is a one-line human message. */
#define NET_REASON_MAX 256
/* PROGRESS phase names ("snapshot", "log"). */
#define NET_PHASE_MAX 16
/* Snapshot bytes per SNAPSHOT_CHUNK: large enough that framing costs
 * nothing, small enough that the window below stays a few MiB. */
#define NET_PEER_SNAPSHOT_CHUNK_BYTES ((size_t)1 << 20)
/* Log bytes per LOG_CHUNK (stor_log_read's bytes_max; one entry larger
 * than this still travels alone, up to STOR_CHANGESET_BYTES_MAX). */
#define NET_PEER_LOG_CHUNK_BYTES ((size_t)4 << 20)
/* Chunks a source sends ahead of the fetcher's PEER_ACKs: the fetcher
 * buffers at most this many (it cannot stop reading its socket), and two
 * are enough to overlap the network with the fetcher's disk work. */
#define NET_PEER_WINDOW_CHUNKS 4
/* Keepalive period of a source busy preparing a chunk (see above). */
#define NET_PEER_KEEPALIVE_MS 1000
/* Fixed part of the chunk payloads (before the bytes). */
#define NET_SNAPSHOT_CHUNK_HEADER_BYTES 24
#define NET_LOG_CHUNK_HEADER_BYTES 24

typedef enum net_msg_type {
	NET_MSG_HELLO = 1,
	NET_MSG_WELCOME = 2,
	NET_MSG_REFUSED = 3,
	NET_MSG_HEARTBEAT = 4,
	NET_MSG_TASK = 5,
	NET_MSG_RESULT = 6,
	NET_MSG_PROGRESS = 7,
	NET_MSG_FETCH_SNAPSHOT = 8,
	NET_MSG_SNAPSHOT_CHUNK = 9,
	NET_MSG_SNAPSHOT_END = 10,
	NET_MSG_FETCH_LOG = 11,
	NET_MSG_LOG_CHUNK = 12,
	NET_MSG_LOG_END = 13,
	NET_MSG_PEER_ACK = 14,
	NET_MSG_PEER_ERROR = 15,
	NET_MSG_SHUFFLE_DATA = 16,
	NET_MSG_SHUFFLE_ACK = 17,
	NET_MSG_CHALLENGE = 18,
	NET_MSG_COUNT
} net_msg_type;

/* 1 for the types above, 0 otherwise (usable as net_conn_cbs.type_ok). */
int net_msg_type_ok(uint8_t type);
/* "HELLO", ... or "unknown". */
const char *net_msg_name(uint8_t type);

typedef struct net_hello {
	uint32_t version;
	char secret[NET_SECRET_MAX + 1]; /* the sender's key: never encoded */
	uint8_t nonce[NET_NONCE_BYTES];
	uint8_t proof[NET_PROOF_BYTES];
	char name[NET_NAME_MAX];
	char addr[NET_NAME_MAX];
} net_hello;

/* HELLO: the handshake's (wire/node_auth.h) are the callers. */
void net_hello_encode(const net_hello *h, mur_buf *b);
/* MUR_ERR (h->version set, nothing else read) when the version is not
 * NET_PROTO_VERSION: its layout may differ. */
int net_hello_decode(const char *p, size_t len, net_hello *h, mur_error *err);

/* CHALLENGE: NET_PROTO_VERSION and nonce.  decode: *version; nonce only
 * when the version is ours (the caller checks). */
void net_challenge_encode(const uint8_t *nonce, mur_buf *b);
int net_challenge_decode(const char *p, size_t len, uint32_t *version, uint8_t *nonce,
			 mur_error *err);

void net_welcome_encode(uint32_t node_id, const uint8_t *proof, mur_buf *b);
int net_welcome_decode(const char *p, size_t len, uint32_t *node_id, uint8_t *proof,
		       mur_error *err);

/* reason is truncated to NET_REASON_MAX - 1 bytes. */
void net_refused_encode(const char *reason, mur_buf *b);
/* out must hold NET_REASON_MAX bytes. */
int net_refused_decode(const char *p, size_t len, char *out, mur_error *err);

/* disk_bytes: the follower's data directory (stor_dir_bytes), 0 when not
 * measured; a HEARTBEAT of 8 bytes (before it) decodes with 0.  files:
 * NULL, or entries of net_heartbeat_file_put (possibly none) — a fresh
 * measurement of every file.  decode: *files NULL when the heartbeat
 * carries none, else the entries (all checked) to read with
 * net_heartbeat_file_next. */
void net_heartbeat_encode(int64_t wall_ms, uint64_t disk_bytes, const mur_buf *files, mur_buf *b);
int net_heartbeat_decode(const char *p, size_t len, int64_t *wall_ms, uint64_t *disk_bytes,
			 const char **files, size_t *files_len, mur_error *err);
/* One file of a HEARTBEAT's list (its name: at most NET_NAME_MAX - 1
 * bytes, longer ones are not put). */
void net_heartbeat_file_put(mur_buf *b, const char *file, uint64_t bytes);
/* The next file of a decoded list: 1 (file holds NET_NAME_MAX bytes),
 * 0 at its end. */
int net_heartbeat_file_next(mur_rd *r, char *file, uint64_t *bytes);

typedef struct net_progress {
	uint64_t task_id;
	char file[NET_NAME_MAX];
	char phase[NET_PHASE_MAX];
	uint64_t done;
	uint64_t total;
} net_progress;

void net_progress_encode(const net_progress *pr, mur_buf *b);
int net_progress_decode(const char *p, size_t len, net_progress *pr, mur_error *err);

/* FETCH_SNAPSHOT.  file must hold NET_NAME_MAX bytes. */
void net_fetch_snapshot_encode(const char *file, mur_buf *b);
int net_fetch_snapshot_decode(const char *p, size_t len, char *file, mur_error *err);

typedef struct net_snapshot_chunk {
	uint64_t offset, total, lsn;
	const char *data; /* points into the decoded payload */
	size_t len;
} net_snapshot_chunk;

/* Append the fixed header; the caller appends the bytes. */
void net_snapshot_chunk_header_encode(uint64_t offset, uint64_t total, uint64_t lsn, mur_buf *b);
/* Also checks offset + len <= total. */
int net_snapshot_chunk_decode(const char *p, size_t len, net_snapshot_chunk *c, mur_error *err);

void net_snapshot_end_encode(uint64_t total, uint64_t lsn, mur_buf *b);
int net_snapshot_end_decode(const char *p, size_t len, uint64_t *total, uint64_t *lsn,
			    mur_error *err);

typedef struct net_fetch_log {
	char file[NET_NAME_MAX];
	uint64_t after_lsn;
	uint64_t upto_lsn;       /* 0 = the source's current lsn */
	uint64_t after_entry_id; /* the fetcher's entry at after_lsn (0 = unknown):
				    the source refuses (55000) when its entry differs */
} net_fetch_log;

void net_fetch_log_encode(const net_fetch_log *f, mur_buf *b);
int net_fetch_log_decode(const char *p, size_t len, net_fetch_log *f, mur_error *err);

typedef struct net_log_chunk {
	uint64_t nentries, last_lsn, upto_lsn;
	const char *data; /* entries, pointing into the decoded payload */
	size_t len;
} net_log_chunk;

void net_log_chunk_header_encode(uint64_t nentries, uint64_t last_lsn, uint64_t upto_lsn,
				 mur_buf *b);
int net_log_chunk_decode(const char *p, size_t len, net_log_chunk *c, mur_error *err);

/* LOG_END and PEER_ACK: one integer each. */
void net_log_end_encode(uint64_t last_lsn, mur_buf *b);
int net_log_end_decode(const char *p, size_t len, uint64_t *last_lsn, mur_error *err);
void net_peer_ack_encode(uint32_t chunks, mur_buf *b);
int net_peer_ack_decode(const char *p, size_t len, uint32_t *chunks, mur_error *err);

/* PEER_ERROR carries a mur_error's sqlstate and message (detail and hint
 * are not sent). */
void net_peer_error_encode(const mur_error *e, mur_buf *b);
int net_peer_error_decode(const char *p, size_t len, mur_error *out, mur_error *err);

typedef struct net_shuffle_data {
	uint64_t shuffle_id;
	uint32_t source, inputs, stream;
	uint8_t last;
	uint32_t ncols;
	uint64_t nrows;
	const char *rows; /* points into the decoded payload (not validated here) */
	size_t rows_len;
} net_shuffle_data;

#define NET_SHUFFLE_DATA_HEADER_BYTES 33

/* Append the fixed header; the caller appends the rows. */
void net_shuffle_data_header_encode(const net_shuffle_data *d, mur_buf *b);
/* Checks source < inputs, last <= 1; rows are checked by their consumer. */
int net_shuffle_data_decode(const char *p, size_t len, net_shuffle_data *d, mur_error *err);
void net_shuffle_ack_encode(uint64_t shuffle_id, uint32_t source, mur_buf *b);
int net_shuffle_ack_decode(const char *p, size_t len, uint64_t *shuffle_id, uint32_t *source,
			   mur_error *err);

#endif
