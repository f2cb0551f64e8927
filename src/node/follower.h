/*
 * follower.h — `murphy follower`: one follower node in the foreground.
 *
 *   murphy follower --dir DIR --listen HOST:PORT --join HOST:PORT
 *                   [--name NAME] [--node-tls on|off] [--node-tls-cert FILE
 *                   --node-tls-key FILE --node-tls-ca FILE] [--help]
 *
 * DIR holds murphy.pid (while running), cluster.secret (copied from the
 * leader's DIR/cluster.secret) and data/ (one SQLite file per placement).
 * Node TLS (node_tls.h): DIR/node.crt, node.key and node-ca.crt by default.
 * The node's name defaults to basename(DIR).  Logs go to stderr; SIGTERM
 * and SIGINT shut it down cleanly after running tasks finish.
 */
#ifndef MUR_NODE_FOLLOWER_H
#define MUR_NODE_FOLLOWER_H

/* argv[0] is "follower".  Returns the process exit status: 0 after a clean
 * shutdown, 1 on a runtime error, 2 on a usage error. */
int node_follower_main(int argc, char **argv);

#endif
