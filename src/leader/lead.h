/*
 * lead.h — the leader's SQL engine: plans in, results out.
 *
 * lead_engine implements pgw_engine_ops (pgwire/pgw_engine.h).  For each
 * statement it asks the SQL front end for a plan (sql/sql.h), turns the
 * plan into shard tasks (wire/task.h), sends them to followers through a
 * send function (cluster/, injected so the engine does not depend on the
 * transport), merges what comes back (ops/hashagg.h plus an in-memory
 * SQLite for final expressions) and formats PostgreSQL rows.
 *
 * One engine per leader process; everything runs on the leader's libuv
 * loop thread.
 */
#ifndef LEADER_LEAD_H
#define LEADER_LEAD_H

#include "catalog/catalog.h"
#include "wire/task.h"
#include "pgwire/pgw_engine.h"

typedef struct lead_engine lead_engine;

typedef void (*lead_task_cb)(void *arg, exec_result *res);

/* How the engine reaches followers.  send() follows clu_send_task's
 * contract: on MUR_OK, cb is called exactly once later (the result is
 * owned by the caller of cb and valid only during cb); on error cb is
 * never called. */
typedef struct lead_transport {
	int (*send)(void *ctx, uint32_t node_id, exec_task *task, lead_task_cb cb, void *arg,
		    mur_error *err);
	int (*connected)(void *ctx, uint32_t node_id);
	/* murphy.fault('kill f2' | 'pause f2 5' | 'partition f1 f2' | 'delay f2 100' | 'heal'):
	 * reply says what was done.  NULL when the leader was started without
	 * --allow-faults: murphy.fault is then refused with 42501 and
	 * murphy.settings shows allow_faults = off. */
	int (*fault)(void *ctx, const char *cmd, char *reply, size_t replysz, mur_error *err);
	/* The longest the leader's event loop was blocked (ms, murphy.settings
	 * loop_stall_max_ms); NULL when not measured. */
	uint64_t (*loop_stall_max_ms)(void *ctx);
	void *ctx;
} lead_transport;

lead_engine *lead_engine_create(catalog *cat, const lead_transport *tr, mur_error *err);
void lead_engine_destroy(lead_engine *e);

extern const pgw_engine_ops lead_engine_ops;

/* Replication and recovery hooks (replication/repl.h), wired by the
 * leader process to the cluster layer's callbacks and a 1 s timer. */
void lead_engine_node_changed(lead_engine *e, uint32_t node_id);
void lead_engine_progress(lead_engine *e, uint32_t node_id, uint64_t task_id, uint64_t done,
			  uint64_t total, const char *phase);
void lead_engine_tick(lead_engine *e);
/* Shown in murphy.settings. */
void lead_engine_set_timeouts(lead_engine *e, uint64_t suspect_ms, uint64_t dead_ms);
/* Row inserts one shard may have in flight, 1..LEAD_WRITE_PIPELINE_MAX
 * (1: each waits for every copy's answer to the previous write). */
#define LEAD_WRITE_PIPELINE_DEFAULT 8
#define LEAD_WRITE_PIPELINE_MAX 64
void lead_engine_set_write_pipeline(lead_engine *e, int depth);
/* How long recorded decisions stay once settled (--txn-outcomes-keep-ms;
 * replication/repl.h, REPL_OUTCOMES_KEEP_MS_DEFAULT). */
void lead_engine_set_outcomes_keep_ms(lead_engine *e, int64_t keep_ms);
/* --auth: 1 scram (a client proves its role's password, SCRAM-SHA-256),
 * 0 trust (any user name is taken as given; the default of an engine). */
void lead_engine_set_auth(lead_engine *e, int scram);
/* 1 when the PostgreSQL port takes TLS (a certificate): SHOW ssl says on,
 * as PostgreSQL's ssl setting. */
void lead_engine_set_tls(lead_engine *e, int on);
/* The PostgreSQL port's startup timeout (pgw_server.h), for murphy.settings. */
void lead_engine_set_startup_timeout(lead_engine *e, uint64_t ms);
/* idle_in_transaction_session_timeout unless the leader is told otherwise
 * (--idle-in-transaction-timeout-ms): PostgreSQL's default is 0 (never),
 * but a block idle in murphy holds whole shards (every reader and writer
 * of them waits), not rows; docs/decisions.md ("An idle block is ended
 * after a minute"). */
#define LEAD_IDLE_IN_TXN_TIMEOUT_MS_DEFAULT 60000
/* The leader's defaults of idle_in_transaction_session_timeout (ms, 0 =
 * off) and tcp_keepalives_* for every session (lead_idle.c); SHOW shows
 * them, RESET restores them. */
void lead_engine_set_client_defaults(lead_engine *e, uint64_t idle_in_txn_ms,
				     const pgw_keepalive *ka);
/* The hint of the 42501 refusal when fault injection is off. */
#define LEAD_FAULTS_OFF_HINT                                                                       \
	"start the leader with --allow-faults (murphy local start does unless given --no-faults)"
/* The loop whose thread pool parses statements of at least
 * LEAD_PARSE_OFFLOOP_BYTES (lead_session.c); without one they are parsed
 * inline. */
typedef struct uv_loop_s uv_loop_t;
void lead_engine_set_loop(lead_engine *e, uv_loop_t *loop);

#endif
