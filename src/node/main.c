/*
 * main.c — the murphy binary: one executable, subcommands.
 *
 *   murphy leader ...     coordinator (node/leader.c)
 *   murphy follower ...   data node (node/follower.c)
 *   murphy local ...      start/stop a local cluster (cli/local*.c)
 *   murphy demo ...       local cluster + sample data + psql (cli/demo.c)
 */
#include "cli/cli.h"
#include "node/follower.h"
#include "node/leader.h"

#include <malloc.h>
#include <signal.h>
#include <sqlite3.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>

static void usage(FILE *f)
{
	fprintf(f, "murphy — a distributed SQL database that expects nodes to fail\n"
		   "\n"
		   "usage: murphy <command> [options]   (murphy <command> --help for details)\n"
		   "\n"
		   "  local start|stop|status   a leader and N followers on 127.0.0.1 in the "
		   "background\n"
		   "  demo                      local cluster + sample data, then psql on it\n"
		   "  status                    nodes, placements, lag and rebuild progress\n"
		   "  fault kill|pause|partition|delay|heal   inject failures through the leader\n"
		   "  leader                    run a leader node in the foreground\n"
		   "  follower                  run a follower node in the foreground\n");
}

int main(int argc, char **argv)
{
	/* SQLite's allocation statistics take a global mutex on every malloc;
	 * murphy never reads them, and on the write path (COPY, changeset
	 * apply) that mutex was 15% of a follower's time. */
	sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0);
	/* Write tasks allocate and free buffers of hundreds of KiB (rows,
	 * changesets).  glibc would map each with mmap and give it back with
	 * munmap (or trim the heap), so every batch paid fresh page faults
	 * and zeroing: 7% of a follower's CPU during COPY.  Keep them in the
	 * heap and keep freed memory for the next batch. */
	mallopt(M_MMAP_THRESHOLD, 64 << 20);
	mallopt(M_TRIM_THRESHOLD, 256 << 20);
	/* A peer that closes its socket while we write must cost an EPIPE on
	 * that connection, not the whole process (SIGPIPE's default). */
	signal(SIGPIPE, SIG_IGN);
	/* A follower keeps up to STOR_DIR_OPEN_MAX placements open, four
	 * descriptors each (database, WAL, its write-back descriptor, shared
	 * memory), plus sockets: more than the usual soft limit of 1024.  The
	 * hard limit is ours to use. */
	struct rlimit nofile;
	if (getrlimit(RLIMIT_NOFILE, &nofile) == 0 && nofile.rlim_cur < nofile.rlim_max) {
		nofile.rlim_cur = nofile.rlim_max;
		(void)setrlimit(RLIMIT_NOFILE, &nofile);
	}
	if (argc < 2) {
		usage(stderr);
		return 2;
	}
	if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0 ||
	    strcmp(argv[1], "help") == 0) {
		usage(stdout);
		return 0;
	}
	if (strcmp(argv[1], "leader") == 0)
		return node_leader_main(argc - 1, argv + 1);
	if (strcmp(argv[1], "follower") == 0)
		return node_follower_main(argc - 1, argv + 1);
	if (strcmp(argv[1], "local") == 0)
		return cli_local_main(argc - 1, argv + 1);
	if (strcmp(argv[1], "demo") == 0)
		return cli_demo_main(argc - 1, argv + 1);
	if (strcmp(argv[1], "status") == 0)
		return cli_status_main(argc - 1, argv + 1);
	if (strcmp(argv[1], "fault") == 0)
		return cli_fault_main(argc - 1, argv + 1);
	fprintf(stderr, "murphy: unknown command \"%s\"\n\n", argv[1]);
	usage(stderr);
	return 2;
}
