/*
 * proto.h — murphy's node protocol: the frame types and their payloads.
 *
 * Frames are carried by net/net.h.  Payload layouts (big-endian, strings
 * are u32 length + bytes, no NUL, no embedded NUL):
 *
 *   HELLO      follower → leader, first frame on the connection
 *              u32 version | str secret | str node name | str listen addr
 *   WELCOME    leader → follower: u32 node id (assigned by the catalog)
 *   REFUSED    leader → follower: str reason; the leader then closes
 *   HEARTBEAT  follower → leader: i64 follower wall clock, ms since epoch
 *   TASK       leader → follower: exec_task_encode bytes (exec/task.h)
 *   RESULT     follower → leader: exec_result_encode bytes
 *
 * Session (leader side in cluster/leader.c, follower side in
 * cluster/member.c):
 *
 *   follower                        leader
 *      HELLO ───────────────────────►  secret/version/name checked
 *            ◄─────────────── WELCOME  (or REFUSED, then close)
 *      HEARTBEAT every 500 ms ──────►
 *            ◄─────────────────  TASK  (any number in flight)
 *      RESULT (same task id) ───────►
 *
 * Decoders reject anything malformed: short input, trailing bytes, strings
 * over their limit or containing NUL.  They return MUR_OK or MUR_EPROTO and
 * say what was wrong in err (SQLSTATE 08P01).
 */
#ifndef MUR_NET_PROTO_H
#define MUR_NET_PROTO_H

#include "common/buf.h"
#include "common/error.h"

#include <stddef.h>
#include <stdint.h>

/* Bumped on any incompatible change to a payload layout. */
#define NET_PROTO_VERSION 1
/* Node names and addresses: same bound as the catalog's CAT_NAME_MAX
 * (including the NUL), checked at compile time in cluster/leader.c. */
#define NET_NAME_MAX 64
/* Cluster secret: 64 hex characters are written by `murphy leader`; allow
 * some room for hand-made ones. */
#define NET_SECRET_MAX 256
/* A REFUSED reason is a one-line human message. */
#define NET_REASON_MAX 256

typedef enum net_msg_type {
	NET_MSG_HELLO = 1,
	NET_MSG_WELCOME = 2,
	NET_MSG_REFUSED = 3,
	NET_MSG_HEARTBEAT = 4,
	NET_MSG_TASK = 5,
	NET_MSG_RESULT = 6,
	NET_MSG_COUNT
} net_msg_type;

/* 1 for the types above, 0 otherwise (usable as net_conn_cbs.type_ok). */
int net_msg_type_ok(uint8_t type);
/* "HELLO", ... or "unknown". */
const char *net_msg_name(uint8_t type);

typedef struct net_hello {
	uint32_t version;
	char secret[NET_SECRET_MAX + 1];
	char name[NET_NAME_MAX];
	char addr[NET_NAME_MAX];
} net_hello;

void net_hello_encode(const net_hello *h, mur_buf *b);
int net_hello_decode(const char *p, size_t len, net_hello *h, mur_error *err);

void net_welcome_encode(uint32_t node_id, mur_buf *b);
int net_welcome_decode(const char *p, size_t len, uint32_t *node_id, mur_error *err);

/* reason is truncated to NET_REASON_MAX - 1 bytes. */
void net_refused_encode(const char *reason, mur_buf *b);
/* out must hold NET_REASON_MAX bytes. */
int net_refused_decode(const char *p, size_t len, char *out, mur_error *err);

void net_heartbeat_encode(int64_t wall_ms, mur_buf *b);
int net_heartbeat_decode(const char *p, size_t len, int64_t *wall_ms, mur_error *err);

#endif
