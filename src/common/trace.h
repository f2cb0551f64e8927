/*
 * trace.h — an off-by-default event trace for timelines across processes.
 *
 * With MURPHY_TRACE=PREFIX in the environment, each process appends one
 * line per event to PREFIX.PID: CLOCK_MONOTONIC microseconds (one clock
 * for every process of the machine), the event's name and two numbers the
 * caller chooses.  Without it an event costs one well-predicted branch.
 * bench/lock_timeline.py reads the files (the branch shard's lock under
 * pgbench: bench/results/2026-12-07-tpcbhold.md).
 */
#ifndef MUR_TRACE_H
#define MUR_TRACE_H

#include <stdint.h>

extern int mur_trace_state; /* 0: not looked at yet, 1: on, -1: off */

void mur_trace_event(const char *ev, uint64_t a, uint64_t b);

#define MUR_TRACE(ev, a, b)                                                                        \
	do {                                                                                       \
		if (mur_trace_state >= 0)                                                          \
			mur_trace_event((ev), (a), (b));                                           \
	} while (0)

#endif
