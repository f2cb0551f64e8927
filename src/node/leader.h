/*
 * leader.h — `murphy leader` (see leader.c).
 */
#ifndef NODE_LEADER_H
#define NODE_LEADER_H

/* argv[0] is "leader".  Runs until SIGTERM/SIGINT; returns the exit code. */
int node_leader_main(int argc, char **argv);

#endif
