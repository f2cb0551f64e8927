/*
 * fault.c — a follower carrying out a FAULT task (contract in fault.h).
 *
 * kill and the partitions act at once.  pause must let the RESULT leave
 * first, so it arms a one-shot 0 ms timer; its callback forks the waker
 * and stops the process:
 *
 *   follower ──fork──► child ──fork──► waker: close inherited fds, sleep S,
 *      │                 └─ exit           SIGCONT follower (and once more
 *      │ waitpid(child)                    200 ms later, in case the stop
 *      └─ kill(self, SIGSTOP)              came late), exit
 *
 * The double fork leaves no zombie (the waker is re-parented to init), and
 * the waker closes the sockets it inherited so a killed follower's ports
 * are free at once.  After fork only async-signal-safe calls are made.
 */
#include "follower/fault.h"

#include "common/log.h"
#include "net/net.h"
#include "storage/fwal.h"

#include <errno.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define NODE_FAULT_PAUSE_S_MAX 3600.0
/* Second SIGCONT after the first, in case SIGSTOP landed after it. */
#define NODE_FAULT_RECONT_MS 200
#define NODE_FAULT_FDS_MAX 4096
/* A slowed fsync beyond a minute would only look like a dead disk. */
#define NODE_FAULT_FSYNC_MS_MAX 60000

typedef struct pause_req {
	uv_timer_t timer;
	double seconds;
} pause_req;

static void sleep_s(double s)
{
	struct timespec ts;
	ts.tv_sec = (time_t)s;
	ts.tv_nsec = (long)((s - (double)ts.tv_sec) * 1e9);
	while (nanosleep(&ts, &ts) == -1 && errno == EINTR)
		;
}

/* In the waker: async-signal-safe calls only. */
static void waker(pid_t target, double seconds)
{
#ifdef SYS_close_range
	if (syscall(SYS_close_range, 3u, ~0u, 0u) != 0)
#endif
		for (int fd = 3; fd < NODE_FAULT_FDS_MAX; fd++)
			close(fd);
	sleep_s(seconds);
	kill(target, SIGCONT);
	sleep_s(NODE_FAULT_RECONT_MS / 1000.0);
	kill(target, SIGCONT);
	_exit(0);
}

static void pause_closed(uv_handle_t *h) { free(h->data); }

static void pause_cb(uv_timer_t *t)
{
	pause_req *p = t->data;
	pid_t self = getpid(), child;

	uv_close((uv_handle_t *)t, pause_closed);
	child = fork();
	if (child == 0) {
		if (fork() == 0)
			waker(self, p->seconds);
		_exit(0);
	}
	if (child < 0) {
		MLOG(ERROR, "fault", "pause: fork failed: %s", strerror(errno));
		return;
	}
	while (waitpid(child, NULL, 0) == -1 && errno == EINTR)
		;
	MLOG(WARN, "fault", "pausing this process for %.3f s (SIGSTOP)", p->seconds);
	kill(self, SIGSTOP);
	MLOG(WARN, "fault", "resumed (SIGCONT)");
}

static int fail(exec_result *res, const char *fmt, const char *arg)
{
	res->failed = 1;
	mur_error_set(&res->err, SQLSTATE_INVALID_PARAMETER_VALUE, fmt, arg);
	return MUR_ERR;
}

static void answer(exec_result *res, const char *text)
{
	mur_value v = mur_v_text(text, strlen(text));
	res->ncols = 1;
	res->nrows = 1;
	mur_row_put_value(&res->rows, &v);
}

static int do_pause(uv_loop_t *loop, const char *arg, exec_result *res)
{
	char *end;
	double s = strtod(arg, &end);
	pause_req *p;
	char text[96];

	if (end == arg || *end || !isfinite(s) || s <= 0 || s > NODE_FAULT_PAUSE_S_MAX)
		return fail(res, "pause: \"%s\" is not a number of seconds in (0, 3600]", arg);
	if (!(p = calloc(1, sizeof *p))) {
		res->failed = 1;
		return mur_error_set(&res->err, SQLSTATE_OUT_OF_MEMORY, "out of memory");
	}
	p->seconds = s;
	uv_timer_init(loop, &p->timer);
	p->timer.data = p;
	uv_timer_start(&p->timer, pause_cb, 0, 0);
	snprintf(text, sizeof text, "pausing for %.3f s", s);
	answer(res, text);
	return MUR_OK;
}

/* fsync MS | fsync fail: slow every WAL group fsync, or fail the next. */
static int do_fsync(const char *arg, exec_result *res)
{
	char *end;
	long ms = 0;
	char text[96];

	if (strcmp(arg, "fail") == 0) {
		stor_fwal_fault(0, 1);
		MLOG(WARN, "fault", "the next follower WAL fsync fails");
		answer(res, "the next WAL fsync fails");
		return MUR_OK;
	}
	ms = strtol(arg, &end, 10);
	if (end == arg || *end || ms < 0 || ms > NODE_FAULT_FSYNC_MS_MAX)
		return fail(res, "fsync: \"%s\" is not \"fail\" or ms in [0, 60000]", arg);
	stor_fwal_fault((uint32_t)ms, 0);
	MLOG(WARN, "fault", "each follower WAL fsync takes %ld ms more", ms);
	snprintf(text, sizeof text, "each WAL fsync takes %ld ms more", ms);
	answer(res, text);
	return MUR_OK;
}

int node_fault_apply(uv_loop_t *loop, const exec_task *t, exec_result *res)
{
	const char *cmd = t->sql ? t->sql : "";
	char text[160];

	if (strcmp(cmd, "kill") == 0) {
		MLOG(WARN, "fault", "killing this process (SIGKILL) as asked by the leader");
		kill(getpid(), SIGKILL);
		_exit(137); /* not reached */
	}
	if (strncmp(cmd, "pause ", 6) == 0)
		return do_pause(loop, cmd + 6, res);
	if (strncmp(cmd, "partition ", 10) == 0) {
		if (net_fault_block_addr(cmd + 10, &res->err) != MUR_OK) {
			res->failed = 1;
			return MUR_ERR;
		}
		MLOG(WARN, "fault", "partitioned from %s: frames to and from it are dropped",
		     cmd + 10);
		snprintf(text, sizeof text, "partitioned from %.100s", cmd + 10);
		answer(res, text);
		return MUR_OK;
	}
	if (strncmp(cmd, "fsync ", 6) == 0)
		return do_fsync(cmd + 6, res);
	if (strcmp(cmd, "heal") == 0) {
		int n = net_fault_blocked_count();
		net_fault_unblock_all();
		stor_fwal_fault(0, 0);
		if (n)
			MLOG(WARN, "fault", "healed %d partition(s)", n);
		snprintf(text, sizeof text, "healed %d partition(s)", n);
		answer(res, text);
		return MUR_OK;
	}
	return fail(res, "unknown FAULT command \"%s\"", cmd);
}
