/*
 * fault.h — the leader's half of fault injection: `murphy fault …` and
 * SELECT murphy.fault('…') end here (docs/failures.md).
 *
 * Commands (words separated by blanks; NODE is a follower's name):
 *
 *   kill NODE             FAULT task "kill": the follower SIGKILLs itself
 *   pause NODE SECONDS    FAULT task "pause S": the follower SIGSTOPs itself
 *                         and a helper process SIGCONTs it S seconds later
 *                         (0 < S <= CLU_FAULT_PAUSE_S_MAX; decimals allowed)
 *   partition A B         A or B may be `leader`:
 *                         leader↔NODE: every frame on NODE's connection is
 *                         dropped both ways while TCP stays up, and a
 *                         reconnection of NODE is muted the same way (its
 *                         HELLO is dropped), so the failure detector sees
 *                         silence: suspect, then dead;
 *                         NODE↔NODE: FAULT "partition <peer addr>" to both,
 *                         each drops its traffic to the other's address
 *   delay NODE MS         frames to and from NODE are held MS ms on the
 *                         leader (0 clears; <= NET_FAULT_DELAY_MS_MAX)
 *   fsync NODE MS         FAULT task "fsync MS": each group fsync of NODE's
 *                         follower WAL (its writes' durability) takes MS ms
 *                         more (0 clears; <= CLU_FAULT_FSYNC_MS_MAX)
 *   fsync NODE fail       FAULT task "fsync fail": NODE's next WAL group
 *                         fsync fails (its WAL breaks: 58030 to the writes
 *                         waiting for it)
 *   garble NODE MODE      the next TASK the leader sends NODE is spoiled
 *                         (the follower's decoder test): MODE truncate (cut
 *                         to half), kind (an unknown kind), version (a wrong
 *                         encoding version), trailing (3 bytes appended);
 *                         the follower fails that task alone (08P01)
 *   heal                  clear every leader-side policy; connections that
 *                         dropped frames are closed (tasks lost in the
 *                         partition fail with 08006 instead of hanging and
 *                         the follower reconnects); FAULT "heal" to every
 *                         connected follower (it also clears an fsync delay)
 *
 * The command returns at once: FAULT tasks are sent, not waited for (kill
 * and pause would not answer anyway); their failures are logged.  reply
 * gets one line saying what was done.  Errors (22023 with the usage in the
 * hint; 08006 when a follower that must receive a FAULT is not
 * connected) leave every policy as it was.
 *
 * One fault state per process (there is one leader per process); it is
 * reset when a different clu_leader shows up.  Loop thread only.
 */
#ifndef MUR_CLUSTER_FAULT_H
#define MUR_CLUSTER_FAULT_H

#include "cluster/cluster.h"
#include "common/error.h"

#include <stddef.h>

#define CLU_FAULT_PAUSE_S_MAX 3600
/* A slowed fsync beyond a minute would only look like a dead disk. */
#define CLU_FAULT_FSYNC_MS_MAX 60000
#define CLU_FAULT_REPLY_MAX 512
#define CLU_FAULT_USAGE                                                                            \
	"usage: kill NODE | pause NODE SECONDS | partition A B | delay NODE MS | "                 \
	"fsync NODE MS|fail | garble NODE truncate|kind|version|trailing | heal (NODE is a "       \
	"follower name; A or B may be leader)"

int clu_fault_command(clu_leader *l, const char *cmd, char *reply, size_t replysz, mur_error *err);

/* garble: nonzero while a task is to be spoiled; clu_send_task then calls
 * clu_fault_garble with the encoded frame (which may grow: *data is
 * realloc'd) before it goes to follower node. */
extern int clu_fault_garbling;
void clu_fault_garble(const char *node, char **data, size_t *len);

#endif
