/*
 * demo_data.h — the sample data set of `murphy demo`, generated on the fly.
 *
 * Deterministic (fixed seed): the same N gives the same rows, except
 * created_at, which is spread over the year before `now`.
 *   users  (id int, name text, state text): state drawn with a population
 *          skew (CA, TX, FL … WY), name from first × last name lists.
 *   events (id bigint, user_id int, kind text, created_at timestamp):
 *          user_id uniform in 1..users, kind among 6 values with a skew.
 * Rows are written in COPY text format (tab-separated, '\n'-terminated).
 */
#ifndef CLI_DEMO_DATA_H
#define CLI_DEMO_DATA_H

#include "common/buf.h"

#include <stdint.h>
#include <time.h>

typedef struct cli_demo_rng {
	uint64_t state;
} cli_demo_rng;

void cli_demo_rng_init(cli_demo_rng *r, uint64_t seed);
uint64_t cli_demo_rng_next(cli_demo_rng *r);

/* Append one users row / events row to out. */
void cli_demo_user_row(mur_buf *out, cli_demo_rng *r, long id);
void cli_demo_event_row(mur_buf *out, cli_demo_rng *r, long id, long users, time_t now);

#endif
