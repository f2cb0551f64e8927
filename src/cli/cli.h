/*
 * cli.h — the murphy command line's subcommands, called from src/node/main.c.
 *
 *   murphy local start|stop|status --dir DIR …   a leader and N followers on 127.0.0.1
 *   murphy demo [--dir DIR] …                    local start + sample data + psql
 *   murphy fault [--pg H:P | --dir DIR] CMD …    inject a failure (cluster/fault.h)
 *   murphy status [--pg H:P | --dir DIR] [--watch]  nodes, shards, rebuilds
 *
 * Each takes the arguments after `murphy` (argv[0] is the subcommand name)
 * and returns the process exit code: 0 success, 1 failure, 2 usage error.
 */
#ifndef CLI_H
#define CLI_H

int cli_local_main(int argc, char **argv);
int cli_demo_main(int argc, char **argv);
int cli_fault_main(int argc, char **argv);
int cli_status_main(int argc, char **argv);

#endif
