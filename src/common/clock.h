/*
 * clock.h — the two clocks every module reads, in one place.
 *
 * Which to use when:
 *   - mur_now_ms() / mur_now_us(): CLOCK_MONOTONIC.  For durations,
 *     deadlines, timeouts and "elapsed" numbers.  Never jumps when the
 *     system time is set, but means nothing across processes or restarts.
 *   - mur_wall_ms() / mur_wall_us(): CLOCK_REALTIME.  For timestamps shown
 *     to users (views, logs, status, SQL now()), times sent to other nodes
 *     (heartbeats, last_heartbeat_ms), and ids that must keep growing across
 *     restarts (lead_time_id, membership epochs).  May jump backwards; do
 *     not subtract two wall readings to time something.
 *   - mur_thread_cpu_us(): the calling thread's CPU time, for what a task
 *     cost (the load views).  Unlike the other two it is a real system
 *     call (CLOCK_THREAD_CPUTIME_ID has no vDSO path): ~6 µs on this
 *     project's virtual machines, so hot paths read it per batch, not per
 *     task (follower/write_batch.c).
 * The event loop's uv_now() is a third, cached monotonic clock: code that
 * runs on the loop and compares against libuv timers keeps using it.
 *
 * Tests may replace both clocks with a source of their own
 * (mur_clock_set_source), so that timeouts are stepped, not slept
 * (tests/lib/lead_fixture.h).  Production never sets one: the readers then
 * cost one well-predicted branch more than clock_gettime(2).
 */
#ifndef MUR_CLOCK_H
#define MUR_CLOCK_H

#include <stdint.h>

/* Monotonic milliseconds / microseconds since an arbitrary point. */
uint64_t mur_now_ms(void);
uint64_t mur_now_us(void);

/* Wall-clock milliseconds / microseconds since the Unix epoch (UTC). */
int64_t mur_wall_ms(void);
int64_t mur_wall_us(void);

/* CPU time the calling thread has used, in microseconds
 * (CLOCK_THREAD_CPUTIME_ID): a task's cost where it runs, whatever else the
 * process does meanwhile.  Never replaced by a test's source. */
uint64_t mur_thread_cpu_us(void);

/* How many times the calling thread has read mur_thread_cpu_us (tests:
 * the follower's hot paths must not read it per task). */
uint64_t mur_thread_cpu_reads(void);

/* Tests only.  A clock source answers, in microseconds, the monotonic clock
 * (wall = 0) or the wall clock since the Unix epoch (wall = 1); every
 * mur_now_* and mur_wall_* reading goes through it until it is reset with
 * NULL (the system clocks).  Not thread-safe: set it before the threads
 * that read the clock start. */
typedef int64_t (*mur_clock_source)(int wall);
void mur_clock_set_source(mur_clock_source src);

#endif
