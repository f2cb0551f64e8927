/*
 * log.h — one logging macro for every module.
 *
 * MLOG(LEVEL, "module", fmt, ...) checks the level before formatting and
 * writes one line to stderr:
 *     2026-11-27T15:10:21.123Z leader INFO pgwire: listening on 127.0.0.1:5432
 * The node name is set once per process with mur_log_init().  Log an error
 * once, where it is handled, not at every layer it passes through.
 */
#ifndef MUR_LOG_H
#define MUR_LOG_H

typedef enum mur_log_level {
	MUR_LOG_DEBUG = 0,
	MUR_LOG_INFO = 1,
	MUR_LOG_WARN = 2,
	MUR_LOG_ERROR = 3,
} mur_log_level;

extern mur_log_level mur_log_threshold;

/* node_name is copied.  The level can also come from MURPHY_LOG=debug|info|warn|error. */
void mur_log_init(const char *node_name, mur_log_level level);
void mur_log_write(mur_log_level level, const char *module, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

#define MLOG(level, module, ...)                                                                   \
	do {                                                                                       \
		if (MUR_LOG_##level >= mur_log_threshold)                                          \
			mur_log_write(MUR_LOG_##level, module, __VA_ARGS__);                       \
	} while (0)

#endif
