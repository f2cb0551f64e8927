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
 * The event loop's uv_now() is a third, cached monotonic clock: code that
 * runs on the loop and compares against libuv timers keeps using it.
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

#endif
