/*
 * node_files.h — files every node keeps in its data directory:
 *   murphy.pid      the running process's pid (removed on clean exit)
 *   cluster.secret  one line of hex; a follower must present the leader's
 *                   secret in HELLO or it is refused
 */
#ifndef NODE_FILES_H
#define NODE_FILES_H

#include "common/error.h"

#include <stddef.h>

/* mkdir -p dir (mode 0700 for new directories). */
int node_mkdirs(const char *dir, mur_error *err);
/* Write getpid() to dir/murphy.pid; refuse (MUR_ERR) when another live
 * process holds it. */
int node_write_pid(const char *dir, mur_error *err);
void node_remove_pid(const char *dir);
/* Read dir/cluster.secret into out (trimmed).  MUR_ENOTFOUND when absent. */
int node_read_secret(const char *dir, char *out, size_t outsz, mur_error *err);
/* Read it, or create a new random one (32 bytes from /dev/urandom, hex). */
int node_ensure_secret(const char *dir, char *out, size_t outsz, mur_error *err);

#endif
