/*
 * proc.h — background node processes for `murphy local`: spawn a daemon,
 * read its pid file, tell whether it still runs, show the end of its log.
 *
 * A node is identified by its directory: the process must still be alive
 * (not a zombie) and its command line must carry `--dir <that directory>`,
 * so a recycled pid never counts as a running node.
 */
#ifndef CLI_PROC_H
#define CLI_PROC_H

#include "common/error.h"

#include <stdio.h>
#include <sys/types.h>

/* The pid in DIR/murphy.pid, or 0 when absent or unreadable. */
pid_t cli_proc_read_pid(const char *node_dir);

/* 1 when pid is a live murphy node started with --dir node_dir. */
int cli_proc_is_node(pid_t pid, const char *node_dir);

/* 1 when pid exists and is not a zombie. */
int cli_proc_alive(pid_t pid);

/* Start argv (argv[0] = executable path) as a daemon: new session, stdin
 * from /dev/null, stdout and stderr appended to log_path, no other fds.
 * Returns the child's pid, or -1 with err set. */
pid_t cli_proc_spawn(char *const argv[], const char *log_path, mur_error *err);

/* 1 when 127.0.0.1:port can be bound right now (nobody listens there). */
int cli_proc_port_free(int port);

/* Print the last `lines` lines of path to out, each prefixed by prefix. */
void cli_proc_log_tail(const char *path, int lines, const char *prefix, FILE *out);

/* Sleep for ms milliseconds. */
void cli_proc_sleep_ms(int ms);

#endif
