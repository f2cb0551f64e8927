/*
 * main.c — the murphy binary: dispatches to subcommands.
 * (Skeleton: subcommands are wired in as their modules land.)
 */
#include <stdio.h>
#include <string.h>

int main(int argc, char **argv)
{
	if (argc < 2 || strcmp(argv[1], "--help") == 0) {
		printf("usage: murphy <leader|follower|local|demo> [options]\n");
		return argc < 2 ? 2 : 0;
	}
	fprintf(stderr, "murphy: unknown command '%s'\n", argv[1]);
	return 2;
}
