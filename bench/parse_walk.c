/*
 * parse_walk.c — the parse path's tree walks, timed in one process
 * (bench/parse_walk.sh builds it against two builds' objects and runs
 * them in turn).
 *
 * Per statement of a pgbench-like set (64 variants of each, other
 * numbers), nanoseconds of this thread's CPU per call of:
 *   parse    sql_parse of a text seen before with other numbers: a parse
 *            cache hit (unpack + parse_cache.c's A_Const walk + patch);
 *   lift     sql_parse_lift: a real parse + lift.c's walk (a plan-cache
 *            miss);
 *   wants    pgc_wants on the parsed tree: a whole-tree walk (every SELECT
 *            planned);
 *   any      sql_tree_any with a predicate that never holds: a whole-tree
 *            walk, the analyze_* checks' form.
 * Only public functions of both builds are called.
 *
 * usage: parse_walk [ITERATIONS] (of the 64 variants of each statement)    (prints "name ns/call" lines)
 */
#include "parser/analyze.h"
#include "parser/parser.h"
#include "pgcatalog/pgcatalog.h"

#include <stdio.h>
#include <stdlib.h>
#include <time.h>

static const char *const texts[] = {
	"SELECT abalance FROM pgbench_accounts WHERE aid = %d",
	"UPDATE pgbench_accounts SET abalance = abalance + %d WHERE aid = %d",
	"INSERT INTO pgbench_history (tid, bid, aid, delta, mtime) VALUES (%d, %d, %d, %d, "
	"CURRENT_TIMESTAMP)",
	"SELECT o.id, sum(l.qty) FROM orders o JOIN lines l ON l.oid = o.id WHERE o.cust = %d AND "
	"l.qty > %d AND o.id IN (SELECT oid FROM flags WHERE f = %d) GROUP BY o.id ORDER BY 2 DESC "
	"LIMIT 10",
};
#define NTEXTS (sizeof texts / sizeof texts[0])

/* This thread's CPU time: another process's load moves it less than the
 * wall clock. */
static double now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return ts.tv_sec * 1e9 + ts.tv_nsec;
}

static int never(const ProtobufCMessage *m, const void *arg)
{
	return m == arg;
}

#define VARIANTS 64

int main(int argc, char **argv)
{
	long iters = argc > 1 ? atol(argv[1]) : 200;
	static char sql[VARIANTS][NTEXTS][512];
	static sql_lift lift[VARIANTS][NTEXTS];
	sql_tree *trees[NTEXTS];
	volatile int sink = 0;
	mur_error err;
	double t0, n = (double)iters * VARIANTS * NTEXTS;
	for (int v = 0; v < VARIANTS; v++)
		for (size_t k = 0; k < NTEXTS; k++) {
			int a = v * 137 + 1;
			snprintf(sql[v][k], sizeof sql[v][k], texts[k], a, a + 7, a * 3, -a, a);
			if (!sql_lift_scan(sql[v][k], &lift[v][k]))
				return fprintf(stderr, "not lifted: %s\n", sql[v][k]), 1;
		}
	t0 = now_ns();
	for (long it = 0; it < iters; it++)
		for (int v = 0; v < VARIANTS; v++)
			for (size_t k = 0; k < NTEXTS; k++) {
				sql_tree *t = NULL;
				if (sql_parse(sql[v][k], &t, &err) != MUR_OK)
					return fprintf(stderr, "parse: %s\n", sql[v][k]), 1;
				sql_tree_free(t);
			}
	printf("parse %.0f\n", (now_ns() - t0) / n);
	t0 = now_ns();
	for (long it = 0; it < iters; it++)
		for (int v = 0; v < VARIANTS; v++)
			for (size_t k = 0; k < NTEXTS; k++) {
				sql_tree *t = NULL;
				uint8_t neg[SQL_LIFT_MAX];
				int rc = sql_parse_lift(sql[v][k], &lift[v][k], &t, neg, &err);
				if (rc != MUR_OK && rc != SQL_LIFT_NONE)
					return fprintf(stderr, "lift: %s\n", sql[v][k]), 1;
				sql_tree_free(t);
			}
	printf("lift %.0f\n", (now_ns() - t0) / n);
	for (size_t k = 0; k < NTEXTS; k++)
		if (sql_parse(sql[0][k], &trees[k], &err) != MUR_OK)
			return 1;
	t0 = now_ns();
	for (long it = 0; it < iters * VARIANTS; it++)
		for (size_t k = 0; k < NTEXTS; k++)
			sink += pgc_wants(sql_tree_result(trees[k])->stmts[0]->stmt);
	printf("wants %.0f\n", (now_ns() - t0) / n);
	t0 = now_ns();
	for (long it = 0; it < iters * VARIANTS; it++)
		for (size_t k = 0; k < NTEXTS; k++)
			sink += sql_tree_any(&sql_tree_result(trees[k])->base, never, NULL);
	printf("any %.0f\n", (now_ns() - t0) / n);
	for (size_t k = 0; k < NTEXTS; k++)
		sql_tree_free(trees[k]);
	return sink < 0;
}
