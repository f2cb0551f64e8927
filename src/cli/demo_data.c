/*
 * demo_data.c — row generators for `murphy demo` (see demo_data.h).
 * Skewed draws use cumulative weight tables and one uniform draw each.
 */
#include "cli/demo_data.h"

#include <stdio.h>

#define CLI_DEMO_YEAR_S (365L * 24 * 3600)

typedef struct weighted {
	const char *value;
	unsigned weight;
} weighted;

/* 2-letter codes with population in hundred-thousands (a realistic skew). */
static const weighted states[] = {
	{"CA", 390}, {"TX", 300}, {"FL", 220}, {"NY", 197}, {"PA", 130}, {"IL", 126}, {"OH", 118},
	{"GA", 109}, {"NC", 107}, {"MI", 100}, {"NJ", 93},  {"VA", 86},  {"WA", 78},  {"AZ", 73},
	{"TN", 70},  {"MA", 70},  {"IN", 68},  {"MO", 62},  {"MD", 62},  {"WI", 59},  {"CO", 58},
	{"MN", 57},  {"SC", 53},  {"AL", 51},  {"LA", 46},  {"KY", 45},  {"OR", 42},  {"OK", 40},
	{"CT", 36},  {"UT", 34},  {"IA", 32},  {"NV", 32},  {"AR", 30},  {"MS", 29},  {"KS", 29},
	{"NM", 21},  {"NE", 20},  {"ID", 19},  {"WV", 18},  {"HI", 14},  {"NH", 14},  {"ME", 14},
	{"MT", 11},  {"RI", 11},  {"DE", 10},  {"SD", 9},   {"ND", 8},   {"AK", 7},   {"VT", 6},
	{"WY", 6},
};

static const weighted kinds[] = {
	{"view", 50},    {"click", 25}, {"add_to_cart", 10},
	{"purchase", 5}, {"signup", 5}, {"share", 5},
};

static const char *const first_names[] = {
	"Ada",     "Alan",  "Barbara", "Brian", "Claude", "Dennis", "Donald", "Edsger",
	"Frances", "Grace", "Jean",    "John",  "Ken",    "Leslie", "Linus",  "Margaret",
	"Niklaus", "Radia", "Robin",   "Shafi", "Sophie", "Tim",    "Tony",   "Vint",
};

static const char *const last_names[] = {
	"Allen",     "Backus",      "Codd",     "Dijkstra", "Gray",     "Hamilton", "Hopper",
	"Kernighan", "Knuth",       "Lamport",  "Liskov",   "Lovelace", "McCarthy", "Perlman",
	"Ritchie",   "Stonebraker", "Thompson", "Torvalds", "Turing",   "Wirth",
};

#define COUNT(a) (sizeof(a) / sizeof((a)[0]))

void cli_demo_rng_init(cli_demo_rng *r, uint64_t seed) { r->state = seed; }

/* splitmix64 */
uint64_t cli_demo_rng_next(cli_demo_rng *r)
{
	uint64_t z = (r->state += 0x9E3779B97F4A7C15ull);
	z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
	z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
	return z ^ (z >> 31);
}

static const char *draw(cli_demo_rng *r, const weighted *w, size_t n)
{
	unsigned total = 0;
	for (size_t i = 0; i < n; i++)
		total += w[i].weight;
	unsigned x = (unsigned)(cli_demo_rng_next(r) % total);
	for (size_t i = 0; i < n; i++) {
		if (x < w[i].weight)
			return w[i].value;
		x -= w[i].weight;
	}
	return w[n - 1].value;
}

void cli_demo_user_row(mur_buf *out, cli_demo_rng *r, long id)
{
	uint64_t x = cli_demo_rng_next(r);
	const char *first = first_names[x % COUNT(first_names)];
	const char *last = last_names[(x >> 32) % COUNT(last_names)];
	mur_buf_printf(out, "%ld\t%s %s\t%s\n", id, first, last, draw(r, states, COUNT(states)));
}

void cli_demo_event_row(mur_buf *out, cli_demo_rng *r, long id, long users, time_t now)
{
	long user_id = 1 + (long)(cli_demo_rng_next(r) % (uint64_t)users);
	const char *kind = draw(r, kinds, COUNT(kinds));
	time_t t = now - CLI_DEMO_YEAR_S + (time_t)(cli_demo_rng_next(r) % CLI_DEMO_YEAR_S);
	struct tm tm;
	char ts[32];
	gmtime_r(&t, &tm);
	strftime(ts, sizeof ts, "%Y-%m-%d %H:%M:%S", &tm);
	mur_buf_printf(out, "%ld\t%ld\t%s\t%s\n", id, user_id, kind, ts);
}
