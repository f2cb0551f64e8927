/*
 * status.c — `murphy status`: the cluster as the leader sees it, for a
 * terminal.  Reads the murphy.* views over the PostgreSQL protocol:
 *
 *   murphy.nodes       state and age of the last heartbeat per node
 *   murphy.settings    every setting on one line, and a warning line when
 *                      fault injection is on (allow_faults)
 *   murphy.shards      how many shards are under-replicated, and why
 *   murphy.placements  per shard: primary, every copy's applied LSN, lag, state
 *   murphy.rebuilds    copies being rebuilt, with a progress bar
 *   murphy.moves       copies being moved (and the last few moved), with a
 *                      progress bar, rate, ETA and the write pause
 *   murphy.node_load   a heat bar per follower (CPU over the last 10 s)
 *   murphy.shard_load  the hottest copies
 *
 * Columns are looked up by name, so a view with fewer columns (or a view
 * that does not exist yet: the error is printed in its place) still gives
 * the rest of the picture.  --watch redraws every --interval seconds until
 * interrupted, reconnecting when the leader goes away.
 */
#include "cli/cli.h"
#include "common/clock.h"
#include "cli/target.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define STATUS_BAR_WIDTH 30
#define STATUS_INTERVAL_S_DEFAULT 1.0
#define STATUS_PLACEMENTS_MAX 16 /* copies shown per shard line */
#define STATUS_UNDER_MAX 10      /* under-replicated shards listed by name */
/* The hottest copies listed (by CPU time over the last 10 s), as SQL text. */
#define STATUS_HOT_COPIES "5"
/* Moves shown: the running ones first, then the newest finished. */
#define STATUS_MOVES "10"

static const char status_usage[] =
	"usage: murphy status [--pg HOST:PORT | --dir DIR] [--watch [--interval S]]\n"
	"\n"
	"Nodes (state, last heartbeat), shards and their placements (primary, applied\n"
	"LSN, lag, state) and rebuilds in progress, from the murphy.* views.\n"
	"\n"
	"options:\n"
	"  --pg HOST:PORT   the leader's PostgreSQL address (default 127.0.0.1:5433)\n"
	"  --dir DIR        a `murphy local` data directory (port from DIR/local.conf)\n"
	"  --watch          redraw until interrupted (Ctrl-C)\n"
	"  --interval S     seconds between redraws with --watch (default 1)\n";

/* ---- result helpers ------------------------------------------------------ */

static int col(const cli_pg_result *r, const char *name)
{
	for (int k = 0; k < r->ncols; k++)
		if (strcmp(r->colnames[k], name) == 0)
			return k;
	return -1;
}

static const char *val(const cli_pg_result *r, long row, const char *name)
{
	int k = col(r, name);
	const char *v = k >= 0 ? cli_pg_value(r, row, k) : NULL;
	return v ? v : "";
}

/* Run sql; on error print "  (what: message)" and return 0. */
static int fetch(cli_pg *c, const char *sql, const char *what, cli_pg_result *r)
{
	mur_error err;
	if (cli_pg_query(c, sql, r, &err) == MUR_OK)
		return 1;
	printf("  (%s: %s)\n", what, err.message);
	return 0;
}

/* "2024-05-01 10:00:00.123[+00]" (UTC) → ms since the epoch, or -1. */
static long long parse_ts_ms(const char *s)
{
	struct tm tm;
	int ms = 0;
	memset(&tm, 0, sizeof tm);
	if (sscanf(s, "%d-%d-%d %d:%d:%d.%3d", &tm.tm_year, &tm.tm_mon, &tm.tm_mday, &tm.tm_hour,
		   &tm.tm_min, &tm.tm_sec, &ms) < 6)
		return -1;
	tm.tm_year -= 1900;
	tm.tm_mon -= 1;
	return (long long)timegm(&tm) * 1000 + ms;
}

/* ---- sections ------------------------------------------------------------ */

static void show_nodes(cli_pg *c)
{
	cli_pg_result r;
	printf("nodes\n");
	if (fetch(c, "SELECT * FROM murphy.nodes", "murphy.nodes", &r)) {
		printf("  %-12s %-9s %-10s %-16s %s\n", "name", "role", "state", "last heartbeat",
		       "address");
		for (long i = 0; i < r.nrows; i++) {
			long long t = parse_ts_ms(val(&r, i, "last_heartbeat"));
			char age[32] = "never";
			if (t > 0)
				snprintf(age, sizeof age, "%.1f s ago",
					 (double)(mur_wall_ms() - t) / 1000.0);
			printf("  %-12s %-9s %-10s %-16s %s\n", val(&r, i, "name"),
			       val(&r, i, "role"), val(&r, i, "state"), age, val(&r, i, "address"));
		}
	}
	cli_pg_result_free(&r);
}

static void show_settings(cli_pg *c)
{
	cli_pg_result r;
	mur_error err;
	if (cli_pg_query(c, "SELECT * FROM murphy.settings", &r, &err) == MUR_OK && r.nrows > 0) {
		int faults = 0;
		printf("settings:");
		for (long i = 0; i < r.nrows; i++) {
			printf(" %s=%s%s", val(&r, i, "name"), val(&r, i, "setting"),
			       val(&r, i, "unit"));
			faults |= !strcmp(val(&r, i, "name"), "allow_faults") &&
				  !strcmp(val(&r, i, "setting"), "on");
		}
		printf("\n");
		if (faults)
			printf("fault injection is on (leader --allow-faults): any client can "
			       "kill, pause "
			       "and partition followers\n");
	}
	cli_pg_result_free(&r);
}

/* "replication: N of M shards under-replicated" and the first few of them
 * with the reason, or that every shard is at its replication factor. */
static void show_replication(cli_pg *c)
{
	cli_pg_result r;
	long under = 0;
	if (!fetch(c,
		   "SELECT table_name, shard, replication_factor, copies_current, "
		   "under_replicated, under_replicated_reason FROM murphy.shards "
		   "ORDER BY table_name, shard",
		   "murphy.shards", &r)) {
		cli_pg_result_free(&r);
		return;
	}
	for (long i = 0; i < r.nrows; i++)
		under += !strcmp(val(&r, i, "under_replicated"), "t");
	if (under == 0)
		printf("replication: every shard at its replication factor (%ld shards)\n",
		       r.nrows);
	else
		printf("replication: %ld of %ld shards UNDER-REPLICATED\n", under, r.nrows);
	for (long i = 0, shown = 0; i < r.nrows && under; i++) {
		if (strcmp(val(&r, i, "under_replicated"), "t") != 0)
			continue;
		if (shown++ == STATUS_UNDER_MAX) {
			printf("  ... and %ld more\n", under - STATUS_UNDER_MAX);
			break;
		}
		printf("  %-20s %5s  %s of %s copies current: %s\n", val(&r, i, "table_name"),
		       val(&r, i, "shard"), val(&r, i, "copies_current"),
		       val(&r, i, "replication_factor"), val(&r, i, "under_replicated_reason"));
	}
	cli_pg_result_free(&r);
}

/* One line per shard: its copies as node:lsn[ lag N (T s)][ state], primary
 * first. */
static void show_placements(cli_pg *c)
{
	cli_pg_result r;
	printf("\nshards (copy = node:applied LSN, lag and state when not current)\n");
	if (!fetch(c, "SELECT * FROM murphy.placements ORDER BY table_name, shard",
		   "murphy.placements", &r)) {
		cli_pg_result_free(&r);
		return;
	}
	printf("  %-20s %5s %-10s %s\n", "table", "shard", "primary", "copies");
	for (long i = 0; i < r.nrows;) {
		long j = i;
		char line[2048] = "", primary[64] = "-";
		size_t len = 0;
		int shown = 0;
		while (j < r.nrows && !strcmp(val(&r, j, "table_name"), val(&r, i, "table_name")) &&
		       !strcmp(val(&r, j, "shard"), val(&r, i, "shard"))) {
			const char *st = val(&r, j, "state"), *lag = val(&r, j, "lag");
			const char *lag_ms = val(&r, j, "lag_ms"); /* "" from an older leader */
			char ago[32] = "";
			if (*lag && strcmp(lag, "0") && *lag_ms)
				snprintf(ago, sizeof ago, " (%.1f s)", atof(lag_ms) / 1000.0);
			if (!strcmp(val(&r, j, "role"), "primary"))
				snprintf(primary, sizeof primary, "%s", val(&r, j, "node"));
			if (shown++ < STATUS_PLACEMENTS_MAX && len < sizeof line - 128)
				len += (size_t)snprintf(line + len, sizeof line - len,
							"%s%s:%s%s%s%s%s%s", len ? "  " : "",
							val(&r, j, "node"),
							val(&r, j, "applied_lsn"),
							*lag && strcmp(lag, "0") ? " lag " : "",
							*lag && strcmp(lag, "0") ? lag : "", ago,
							*st && strcmp(st, "current") ? " " : "",
							*st && strcmp(st, "current") ? st : "");
			j++;
		}
		printf("  %-20s %5s %-10s %s\n", val(&r, i, "table_name"), val(&r, i, "shard"),
		       primary, line);
		i = j;
	}
	if (r.nrows == 0)
		printf("  (no tables)\n");
	cli_pg_result_free(&r);
}

static void bar(double frac, char *out)
{
	int full = (int)(frac * STATUS_BAR_WIDTH + 0.5);
	out[0] = '[';
	for (int i = 0; i < STATUS_BAR_WIDTH; i++)
		out[1 + i] = i < full ? '#' : '-';
	out[STATUS_BAR_WIDTH + 1] = ']';
	out[STATUS_BAR_WIDTH + 2] = '\0';
}

static void show_rebuilds(cli_pg *c)
{
	cli_pg_result r;
	mur_error err;
	printf("\nrebuilds\n");
	if (cli_pg_query(c, "SELECT * FROM murphy.rebuilds", &r, &err) != MUR_OK) {
		printf("  (murphy.rebuilds: %s)\n", err.message);
	} else if (r.nrows == 0) {
		printf("  (none)\n");
	}
	for (long i = 0; i < r.nrows; i++) {
		double done = atof(val(&r, i, "bytes_done")),
		       total = atof(val(&r, i, "bytes_total"));
		double frac = total > 0 ? done / total : 0;
		char b[STATUS_BAR_WIDTH + 4];
		if (frac > 1)
			frac = 1;
		bar(frac, b);
		printf("  %s.%s  %s -> %s  %-10s %s %3.0f%%  %.1f/%.1f MB  %.1f s\n",
		       val(&r, i, "table_name"), val(&r, i, "shard"), val(&r, i, "source"),
		       val(&r, i, "target"), val(&r, i, "state"), b, frac * 100, done / 1e6,
		       total / 1e6, atof(val(&r, i, "elapsed_ms")) / 1000.0);
	}
	cli_pg_result_free(&r);
}

/* Moves (murphy.moves; docs/load.md, "Moving a copy online"). */
static void show_moves(cli_pg *c)
{
	cli_pg_result r;
	printf("\nmoves\n");
	if (!fetch(c,
		   "SELECT * FROM murphy.moves ORDER BY state = 'running' DESC, started_at DESC "
		   "LIMIT " STATUS_MOVES,
		   "murphy.moves", &r))
		return;
	if (r.nrows == 0)
		printf("  (none)\n");
	for (long i = 0; i < r.nrows; i++) {
		double done = atof(val(&r, i, "bytes_done")),
		       total = atof(val(&r, i, "bytes_total"));
		/* done: full, also when its size was not known (0 bytes) */
		double frac = strcmp(val(&r, i, "state"), "done") == 0 ? 1
			      : total > 0 ? (done < total ? done / total : 1)
					  : 0;
		const char *pause = val(&r, i, "pause_ms");
		char b[STATUS_BAR_WIDTH + 4], to[64];
		if (strcmp(val(&r, i, "kind"), "split") == 0) /* a split: no target */
			snprintf(to, sizeof to, "split+%s", val(&r, i, "new_shard"));
		else
			snprintf(to, sizeof to, "%s", val(&r, i, "target"));
		bar(frac, b);
		printf("  %s.%s  %s -> %s  %-9s %-7s %s %3.0f%%  %.1f/%.1f MB  %.2f MB/s  eta %.1f "
		       "s"
		       "%s%s%s%s%s\n",
		       val(&r, i, "table_name"), val(&r, i, "shard"), val(&r, i, "source"), to,
		       val(&r, i, "phase"), val(&r, i, "state"), b, frac * 100, done / 1e6,
		       total / 1e6, atof(val(&r, i, "rate_mbps")),
		       atof(val(&r, i, "eta_ms")) / 1000.0, *pause ? "  pause " : "", pause,
		       *pause ? " ms" : "", *val(&r, i, "error") ? "  " : "", val(&r, i, "error"));
		if (*val(&r, i, "reason")) /* started by the leader itself */
			printf("      %s\n", val(&r, i, "reason"));
	}
	cli_pg_result_free(&r);
}

/* Heat per follower (CPU over the last 10 s, bar scaled to the busiest)
 * and the hottest copies (murphy.node_load, murphy.shard_load;
 * docs/load.md). */
static void show_load(cli_pg *c)
{
	cli_pg_result r;
	double max = 0;
	printf("\nload (last 10 s: the followers' CPU time on shard tasks)\n");
	if (!fetch(c,
		   "SELECT node, cpu_ms, cpu_pct, reads, writes, placements, primaries FROM "
		   "murphy.node_load WHERE period = '10s' ORDER BY node",
		   "murphy.node_load", &r))
		return;
	for (long i = 0; i < r.nrows; i++)
		if (atof(val(&r, i, "cpu_ms")) > max)
			max = atof(val(&r, i, "cpu_ms"));
	for (long i = 0; i < r.nrows; i++) {
		char b[STATUS_BAR_WIDTH + 4];
		bar(max > 0 ? atof(val(&r, i, "cpu_ms")) / max : 0, b);
		printf("  %-8s %s %5.1f%% cpu  %6s reads %6s writes  %s copies, %s primaries\n",
		       val(&r, i, "node"), b, atof(val(&r, i, "cpu_pct")), val(&r, i, "reads"),
		       val(&r, i, "writes"), val(&r, i, "placements"), val(&r, i, "primaries"));
	}
	cli_pg_result_free(&r);
	if (!fetch(c,
		   "SELECT table_name, shard, node, role, cpu_ms, reads, writes FROM "
		   "murphy.shard_load WHERE period = '10s' AND cpu_ms > 0 ORDER BY cpu_ms DESC "
		   "LIMIT " STATUS_HOT_COPIES,
		   "murphy.shard_load", &r))
		return;
	if (r.nrows > 0)
		printf("  hottest copies:\n");
	for (long i = 0; i < r.nrows; i++)
		printf("    %s.%s on %s (%s)  %.0f ms cpu  %s reads %s writes\n",
		       val(&r, i, "table_name"), val(&r, i, "shard"), val(&r, i, "node"),
		       val(&r, i, "role"), atof(val(&r, i, "cpu_ms")), val(&r, i, "reads"),
		       val(&r, i, "writes"));
	cli_pg_result_free(&r);
}

static int show(cli_target *t, cli_pg *c, int *connected)
{
	time_t now = (time_t)(mur_wall_ms() / 1000);
	char when[64];
	strftime(when, sizeof when, "%Y-%m-%d %H:%M:%S", localtime(&now));
	if (!*connected) {
		if (cli_target_connect(t, c, "murphy status") != 0)
			return 1;
		*connected = 1;
	}
	printf("murphy status  %s:%d  %s\n\n", t->host, t->port, when);
	show_nodes(c);
	show_settings(c);
	show_replication(c);
	show_placements(c);
	show_rebuilds(c);
	show_moves(c);
	show_load(c);
	if (c->fd < 0) { /* the connection died during the queries */
		cli_pg_close(c);
		*connected = 0;
		return 1;
	}
	return 0;
}

int cli_status_main(int argc, char **argv)
{
	cli_target t = {0};
	int watch = 0, connected = 0, rc;
	double interval = STATUS_INTERVAL_S_DEFAULT;
	cli_pg c;

	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
			fputs(status_usage, stdout);
			return 0;
		}
		if ((rc = cli_target_arg(&t, argc, argv, &i, "murphy status")) != 0) {
			if (rc < 0)
				return 2;
		} else if (!strcmp(argv[i], "--watch")) {
			watch = 1;
		} else if (!strcmp(argv[i], "--interval") && i + 1 < argc) {
			interval = atof(argv[++i]);
			if (interval < 0.1)
				interval = 0.1;
		} else {
			fprintf(stderr, "murphy status: unknown option %s\n%s", argv[i],
				status_usage);
			return 2;
		}
	}
	if (!watch) {
		rc = show(&t, &c, &connected);
		if (connected)
			cli_pg_close(&c);
		return rc;
	}
	for (;;) {
		printf("\033[H\033[2J");
		if (show(&t, &c, &connected) != 0)
			printf("\n(retrying every %.1f s)\n", interval);
		fflush(stdout);
		usleep((useconds_t)(interval * 1e6));
	}
}
