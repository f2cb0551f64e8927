/*
 * trace.c — the MURPHY_TRACE event trace (trace.h).  The file is opened
 * at the first event (O_APPEND: a line is one write, whole even from
 * several threads); any failure turns the trace off for the process.
 */
#include "common/trace.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

int mur_trace_state;
static int trace_fd = -1;

void mur_trace_event(const char *ev, uint64_t a, uint64_t b)
{
	char line[128];
	struct timespec ts;
	int n;
	if (mur_trace_state == 0) {
		const char *p = getenv("MURPHY_TRACE");
		char path[512];
		mur_trace_state = -1;
		if (!p || !*p)
			return;
		snprintf(path, sizeof path, "%s.%d", p, (int)getpid());
		if ((trace_fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644)) < 0)
			return;
		mur_trace_state = 1;
	}
	if (mur_trace_state < 0)
		return;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	n = snprintf(line, sizeof line, "%llu %s %llu %llu\n",
		     (unsigned long long)ts.tv_sec * 1000000ull +
			     (unsigned long long)ts.tv_nsec / 1000,
		     ev, (unsigned long long)a, (unsigned long long)b);
	if (n > 0 && write(trace_fd, line, (size_t)n) != n)
		mur_trace_state = -1;
}
