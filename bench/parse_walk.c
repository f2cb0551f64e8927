/*
 * parse_walk.c — the parse path's tree walks, timed in one process
 * (bench/parse_walk.sh builds it against two builds' objects and runs
 * them in turn).
 *
 * Per statement of a pgbench-like set, nanoseconds per call of:
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
 * usage: parse_walk [ITERATIONS]    (prints "name ns/call" lines)
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

static double now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e9 + ts.tv_nsec;
}

static int never(const ProtobufCMessage *m, const void *arg)
{
	return m == arg;
}

int main(int argc, char **argv)
{
	long iters = argc > 1 ? atol(argv[1]) : 20000;
	static char sql[NTEXTS][512];
	double t_parse = 0, t_lift = 0, t_wants = 0, t_any = 0;
	volatile int sink = 0;
	for (long it = 0; it < iters; it++) {
		for (size_t k = 0; k < NTEXTS; k++) {
			int a = (int)(it % 9000) + 1;
			snprintf(sql[k], sizeof sql[k], texts[k], a, a + 7, a * 3, -a, a);
			sql_tree *t = NULL;
			mur_error err;
			sql_lift l;
			uint8_t neg[SQL_LIFT_MAX];
			double t0 = now_ns();
			if (sql_parse(sql[k], &t, &err) != MUR_OK)
				return fprintf(stderr, "parse: %s\n", sql[k]), 1;
			double t1 = now_ns();
			PgQuery__ParseResult *r = sql_tree_result(t);
			sink += pgc_wants(r->stmts[0]->stmt);
			double t2 = now_ns();
			sink += sql_tree_any(&r->base, never, NULL);
			double t3 = now_ns();
			sql_tree_free(t);
			t = NULL;
			if (sql_lift_scan(sql[k], &l)) {
				double t4 = now_ns();
				int rc = sql_parse_lift(sql[k], &l, &t, neg, &err);
				t_lift += now_ns() - t4;
				if (rc != MUR_OK && rc != SQL_LIFT_NONE)
					return fprintf(stderr, "lift: %s\n", sql[k]), 1;
				sql_tree_free(t);
			}
			t_parse += t1 - t0;
			t_wants += t2 - t1;
			t_any += t3 - t2;
		}
	}
	double n = (double)iters * NTEXTS;
	printf("parse %.0f\nlift %.0f\nwants %.0f\nany %.0f\n", t_parse / n, t_lift / n,
	       t_wants / n, t_any / n);
	return sink < 0;
}
