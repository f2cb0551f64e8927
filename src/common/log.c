/*
 * log.c — see log.h.  Lines are formatted into a stack buffer and written
 * with one write(2) so lines from threads do not interleave.
 */
#include "common/log.h"

#include "common/clock.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

mur_log_level mur_log_threshold = MUR_LOG_INFO;
static char log_node[64] = "murphy";

static const char *const level_names[] = {"DEBUG", "INFO", "WARN", "ERROR"};

void mur_log_init(const char *node_name, mur_log_level level)
{
	const char *env = getenv("MURPHY_LOG");
	snprintf(log_node, sizeof log_node, "%s", node_name ? node_name : "murphy");
	mur_log_threshold = level;
	if (env) {
		for (int i = 0; i < 4; i++)
			if (strcasecmp(env, level_names[i]) == 0)
				mur_log_threshold = (mur_log_level)i;
	}
}

void mur_log_write(mur_log_level level, const char *module, const char *fmt, ...)
{
	char line[2048];
	int64_t wall_ms = mur_wall_ms();
	time_t sec = (time_t)(wall_ms / 1000);
	struct tm tm;
	va_list ap;
	int n;

	gmtime_r(&sec, &tm);
	n = snprintf(line, sizeof line,
		     "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ %s %s %s: ", tm.tm_year + 1900,
		     tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
		     (int)(wall_ms % 1000), log_node, level_names[level], module);
	va_start(ap, fmt);
	if (n < (int)sizeof line)
		n += vsnprintf(line + n, sizeof line - (size_t)n, fmt, ap);
	va_end(ap);
	if (n > (int)sizeof line - 2)
		n = (int)sizeof line - 2;
	line[n++] = '\n';
	if (write(STDERR_FILENO, line, (size_t)n) < 0) {
		/* nowhere left to report it */
	}
}
