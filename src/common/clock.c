/*
 * clock.c — see clock.h.  Thin wrappers over clock_gettime(2); the two
 * clocks stay separate functions so a reader sees at each call site which
 * one was meant.  A test's clock source (mur_clock_set_source), when set,
 * answers both instead.
 */
#include "common/clock.h"

#include <time.h>

#define CLOCK_US_PER_S 1000000u
#define CLOCK_MS_PER_S 1000u
#define CLOCK_NS_PER_US 1000u
#define CLOCK_NS_PER_MS 1000000u

static mur_clock_source clock_source; /* NULL: clock_gettime(2) */

void mur_clock_set_source(mur_clock_source src) { clock_source = src; }

static struct timespec clock_read(clockid_t id)
{
	if (clock_source) {
		int64_t us = clock_source(id == CLOCK_REALTIME);
		struct timespec ts = {.tv_sec = us / CLOCK_US_PER_S,
				      .tv_nsec = (long)(us % CLOCK_US_PER_S) * CLOCK_NS_PER_US};
		return ts;
	}
	struct timespec ts;
	clock_gettime(id, &ts);
	return ts;
}

uint64_t mur_now_ms(void)
{
	struct timespec ts = clock_read(CLOCK_MONOTONIC);
	return (uint64_t)ts.tv_sec * CLOCK_MS_PER_S + (uint64_t)ts.tv_nsec / CLOCK_NS_PER_MS;
}

uint64_t mur_now_us(void)
{
	struct timespec ts = clock_read(CLOCK_MONOTONIC);
	return (uint64_t)ts.tv_sec * CLOCK_US_PER_S + (uint64_t)ts.tv_nsec / CLOCK_NS_PER_US;
}

static _Thread_local uint64_t thread_cpu_reads;

uint64_t mur_thread_cpu_reads(void) { return thread_cpu_reads; }

uint64_t mur_thread_cpu_us(void)
{
	struct timespec ts;
	thread_cpu_reads++;
	if (clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts) != 0)
		return 0;
	return (uint64_t)ts.tv_sec * CLOCK_US_PER_S + (uint64_t)ts.tv_nsec / CLOCK_NS_PER_US;
}

int64_t mur_wall_ms(void)
{
	struct timespec ts = clock_read(CLOCK_REALTIME);
	return (int64_t)ts.tv_sec * CLOCK_MS_PER_S + ts.tv_nsec / CLOCK_NS_PER_MS;
}

int64_t mur_wall_us(void)
{
	struct timespec ts = clock_read(CLOCK_REALTIME);
	return (int64_t)ts.tv_sec * CLOCK_US_PER_S + ts.tv_nsec / CLOCK_NS_PER_US;
}
