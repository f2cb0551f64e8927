/*
 * fault.h — the follower's half of fault injection: what a FAULT task
 * (wire/task.h EXEC_TASK_FAULT, `sql` holds the command) does to this
 * process.  The leader side is cluster/fault.h; docs/failures.md.
 *
 *   kill              SIGKILL this process, now (no answer: the leader sees
 *                     the connection drop)
 *   pause SECONDS     answer first, then on the next loop turn fork a
 *                     helper that sleeps SECONDS and SIGCONTs us, and
 *                     SIGSTOP ourselves (every thread stops; the TCP
 *                     connections stay up, so the leader sees silence)
 *   partition ADDR    drop every frame on our connections to ADDR (a
 *                     peer's node address), present and future
 *                     (net_fault_block_addr)
 *   fsync MS          every group fsync of the follower WAL takes MS ms
 *                     more (0 clears: stor_fwal_fault)
 *   fsync fail        the next group fsync of the follower WAL fails (the
 *                     WAL breaks: the writes waiting for it get 58030)
 *   heal              lift every partition (net_fault_unblock_all) and the
 *                     fsync delay
 *
 * Call node_fault_apply on the loop thread (it arms a timer for pause and
 * changes the loop thread's net fault state), then send res as the task's
 * RESULT.  It returns MUR_OK with res filled (one text row: what was done)
 * or MUR_ERR with res->failed set (22023 for a bad command).
 */
#ifndef FOLLOWER_FAULT_H
#define FOLLOWER_FAULT_H

#include "wire/task.h"

#include <uv.h>

int node_fault_apply(uv_loop_t *loop, const exec_task *t, exec_result *res);

#endif
