/*
 * fault_cmd.c — `murphy fault …`: send a fault command to the leader as
 * SELECT murphy.fault('…') over the PostgreSQL protocol and print the
 * leader's one-line answer.  The leader parses and carries it out
 * (cluster/fault.h); this file only checks the shape of the words so a
 * typo gets the usage at once, and quotes the text as a SQL literal.
 */
#include "cli/cli.h"
#include "cli/target.h"

#include "common/buf.h"

#include <stdio.h>
#include <string.h>

static const char fault_usage[] =
	"usage: murphy fault [--pg HOST:PORT | --dir DIR] COMMAND\n"
	"\n"
	"Inject a failure through the leader (docs/failures.md).  COMMAND is one of:\n"
	"  kill NODE              the follower kills itself with SIGKILL\n"
	"  pause NODE SECONDS     the follower stops (SIGSTOP) and continues after SECONDS\n"
	"  partition A B          A and B stop hearing each other; A or B may be `leader`\n"
	"                         (frames are dropped, TCP connections stay up)\n"
	"  delay NODE MS          frames between the leader and NODE are held MS ms each way\n"
	"  heal                   undo every partition and delay\n"
	"\n"
	"options:\n"
	"  --pg HOST:PORT   the leader's PostgreSQL address (default 127.0.0.1:5433)\n"
	"  --dir DIR        a `murphy local` data directory (port from DIR/local.conf)\n"
	"\n"
	"Same as: psql -c \"SELECT murphy.fault('partition f1 leader')\"\n"
	"The leader refuses both (42501) unless started with --allow-faults; murphy local\n"
	"start and murphy demo start it so (murphy local start --no-faults does not).\n";

/* Number of words each command takes after its name, -1 if unknown. */
static int command_words(const char *name)
{
	static const struct {
		const char *name;
		int words;
	} cmds[] = {
		{"kill", 1}, {"pause", 2}, {"partition", 2}, {"delay", 2}, {"heal", 0},
	};
	for (size_t i = 0; i < sizeof cmds / sizeof cmds[0]; i++)
		if (strcmp(cmds[i].name, name) == 0)
			return cmds[i].words;
	return -1;
}

/* SELECT murphy.fault('<words joined by blanks, quotes doubled>') */
static void build_sql(mur_buf *b, char **words, int n)
{
	mur_buf_printf(b, "SELECT murphy.fault('");
	for (int i = 0; i < n; i++) {
		if (i)
			mur_buf_printf(b, " ");
		for (const char *p = words[i]; *p; p++) {
			if (*p == '\'')
				mur_buf_put_u8(b, '\'');
			mur_buf_put_u8(b, (uint8_t)*p);
		}
	}
	mur_buf_printf(b, "')");
}

int cli_fault_main(int argc, char **argv)
{
	cli_target t = {0};
	char *words[8];
	int n = 0, want;
	cli_pg c;
	cli_pg_result res;
	mur_error err;
	mur_buf sql;
	int rc;

	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
			fputs(fault_usage, stdout);
			return 0;
		}
		if ((rc = cli_target_arg(&t, argc, argv, &i, "murphy fault")) != 0) {
			if (rc < 0)
				return 2;
			continue;
		}
		if (n == (int)(sizeof words / sizeof words[0]))
			break;
		words[n++] = argv[i];
	}
	if (n == 0 || (want = command_words(words[0])) < 0 || n != want + 1) {
		if (n > 0)
			fprintf(stderr, "murphy fault: %s \"%s\"\n",
				command_words(words[0]) < 0 ? "unknown command"
							    : "wrong number of words for",
				words[0]);
		fputs(fault_usage, stderr);
		return 2;
	}
	if (cli_target_connect(&t, &c, "murphy fault") != 0)
		return 1;
	mur_buf_init(&sql);
	build_sql(&sql, words, n);
	rc = mur_buf_ok(&sql) ? cli_pg_query(&c, (const char *)sql.data, &res, &err) : MUR_ENOMEM;
	if (rc == MUR_OK && cli_pg_value(&res, 0, 0)) {
		printf("%s\n", cli_pg_value(&res, 0, 0));
	} else {
		fprintf(stderr, "murphy fault: %s\n",
			rc == MUR_OK       ? "no answer from the leader"
			: rc == MUR_ENOMEM ? "out of memory"
					   : err.message);
		if (rc == MUR_ERR && err.hint[0])
			fprintf(stderr, "HINT: %s\n", err.hint);
		rc = MUR_ERR;
	}
	if (rc != MUR_ENOMEM)
		cli_pg_result_free(&res);
	mur_buf_free(&sql);
	cli_pg_close(&c);
	return rc == MUR_OK ? 0 : 1;
}
