/*
 * test_loop.h — fixtures shared by the unit tests (header-only: every
 * function is static inline, so a test that uses none pays nothing).
 *
 * Loop driver: tests drive a real uv_loop_t until a condition holds or a
 * deadline passes.  uv_run(UV_RUN_ONCE) blocks until some handle fires, so
 * each driver starts a short repeating wake timer that makes it return and
 * re-check; the timer is closed (and its close run) before returning, so
 * the loop holds no handle of ours afterwards.  Deadlines use uv_now, the
 * loop's own clock.
 *   tl_run_until_ms(loop, pred, arg, ms)  until pred(arg) (NULL: never)
 *   tl_run_until_cond_ms(loop, cond, ms)  same for a predicate without arg
 *   tl_run_until_count(loop, &n, want, ms) until n >= want (NULL: never)
 *   tl_run_for_ms(loop, ms)               just run the loop for ms
 * Each returns whether the condition held at the end.
 *
 * Temp dir: tl_tmpdir_make() creates /tmp/murphy_test_<name>_XXXXXX,
 * tl_tmpdir_remove() deletes it with everything in it; both return 0 or -1
 * like a cmocka setup/teardown.
 */
#ifndef TEST_LOOP_H
#define TEST_LOOP_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <uv.h>

/* Short enough that a met condition is seen within a few ms, long enough
 * not to spin the CPU the other processes of a test run share. */
#define TL_WAKE_MS 2
/* A temp dir path: "/tmp/murphy_test_" + a short test name + "_XXXXXX". */
#define TL_TMPDIR_MAX 256

typedef int (*tl_pred_fn)(void *arg);
typedef int (*tl_cond_fn)(void);

static inline void tl_wake_cb(uv_timer_t *t) { (void)t; }

static inline int tl_run_until_ms(uv_loop_t *loop, tl_pred_fn pred, void *arg, uint64_t ms)
{
	uv_timer_t wake;
	uint64_t deadline;
	int ok;

	uv_timer_init(loop, &wake);
	uv_timer_start(&wake, tl_wake_cb, TL_WAKE_MS, TL_WAKE_MS);
	uv_update_time(loop);
	deadline = uv_now(loop) + ms;
	while (!(ok = pred ? pred(arg) : 0) && uv_now(loop) < deadline)
		uv_run(loop, UV_RUN_ONCE);
	uv_close((uv_handle_t *)&wake, NULL);
	uv_run(loop, UV_RUN_NOWAIT);
	return ok;
}

static inline void tl_run_for_ms(uv_loop_t *loop, uint64_t ms)
{
	tl_run_until_ms(loop, NULL, NULL, ms);
}

typedef struct tl_cond {
	tl_cond_fn fn;
} tl_cond;

static inline int tl_cond_call(void *arg) { return ((const tl_cond *)arg)->fn(); }

static inline int tl_run_until_cond_ms(uv_loop_t *loop, tl_cond_fn cond, uint64_t ms)
{
	tl_cond c = {cond};
	return tl_run_until_ms(loop, cond ? tl_cond_call : NULL, &c, ms);
}

typedef struct tl_count {
	const int *counter;
	int want;
} tl_count;

static inline int tl_count_reached(void *arg)
{
	const tl_count *c = arg;
	return *c->counter >= c->want;
}

static inline int tl_run_until_count(uv_loop_t *loop, const int *counter, int want, uint64_t ms)
{
	tl_count c = {counter, want};
	return tl_run_until_ms(loop, counter ? tl_count_reached : NULL, &c, ms);
}

static inline int tl_tmpdir_make(char *dir, size_t size, const char *name)
{
	snprintf(dir, size, "/tmp/murphy_test_%s_XXXXXX", name);
	return mkdtemp(dir) ? 0 : -1;
}

static inline int tl_tmpdir_remove(const char *dir)
{
	char cmd[TL_TMPDIR_MAX + 16];
	snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
	return system(cmd) == 0 ? 0 : -1;
}

#endif
