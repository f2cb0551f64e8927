/*
 * tz.h — time zones as PostgreSQL's TimeZone setting names them: the
 * system tz database (/usr/share/zoneinfo, TZif files, RFC 8536), POSIX
 * TZ strings ("EST5EDT,M3.2.0,M11.1.0", "<+0530>-5:30") and fixed offsets
 * ('+05', SET TIME ZONE 5, INTERVAL '+02:00').
 *
 * A mur_tz answers two questions:
 *   - at an instant: the UTC offset (seconds east) and its abbreviation
 *     (mur_tz_at), for timestamptz output, to_char's TZ, AT TIME ZONE;
 *   - for a local wall-clock time: which offset applies (mur_tz_local),
 *     for timestamptz input without an offset and timestamp AT TIME ZONE,
 *     with PostgreSQL's rule for the hour a transition skips or repeats
 *     (DetermineTimeZoneOffset): in a spring-forward gap the offset from
 *     before the transition, in a fall-back overlap the one after it.
 *
 * Zones are loaded once and kept for the life of the process in a small
 * table (tz_load.c: TZ_CACHE_MAX, TZ_RULES_MAX) behind a mutex: the leader's loop and the
 * followers' SQLite worker threads share it, and a pointer handed out
 * stays valid forever, so callers never free a zone.
 */
#ifndef MUR_TZ_H
#define MUR_TZ_H

#include "common/error.h"

#include <stddef.h>
#include <stdint.h>

/* Where the tz database lives (Debian's tzdata package). */
#define MUR_TZ_DIR "/usr/share/zoneinfo"
/* Zone names as long as PostgreSQL accepts (TZ_STRLEN_MAX). */
#define MUR_TZ_NAME_MAX 255

typedef struct mur_tz mur_tz;

/* UTC: the default TimeZone; never NULL. */
const mur_tz *mur_tz_utc(void);

/*
 * The zone a TimeZone value names, as PostgreSQL's check_timezone reads
 * it: a number of hours ("5", "-3.5", "+05": SQL sign, east positive) is a
 * fixed offset named like "<+05>-05"; otherwise a tz database name, looked
 * up case-insensitively ("america/new_york" is America/New_York), then a
 * POSIX TZ string.  NULL with 22023 `invalid value for parameter
 * "TimeZone": "Foo/Bar"` when none fits.  The zone is cached (never freed).
 */
const mur_tz *mur_tz_get(const char *name, mur_error *err);

/* The zone AT TIME ZONE and timezone(zone, ts) name: a database name or
 * a POSIX TZ string, where '+05' means 5 hours WEST (PostgreSQL's
 * reading there, unlike SET's).  NULL with 22023 `time zone "x" not
 * recognized`. */
const mur_tz *mur_tz_get_at(const char *name, mur_error *err);

/* A fixed offset of secs_east seconds (|secs_east| < 15 h, as PostgreSQL
 * allows): "<+02>-02", "<-03:30>+03:30".  22023 out of range. */
const mur_tz *mur_tz_fixed(int32_t secs_east, mur_error *err);

/* The name SHOW TimeZone prints (canonical case for database names). */
const char *mur_tz_name(const mur_tz *z);

/* Offset in seconds east of UTC at instant t (seconds since 1970), and
 * its abbreviation ("EST", "+0530") when abbr is not NULL. */
int32_t mur_tz_at(const mur_tz *z, int64_t t, const char **abbr);

/* Offset to subtract from a local time (seconds since 1970 read as if
 * UTC) to get its instant, by PostgreSQL's rules (above). */
int32_t mur_tz_local(const mur_tz *z, int64_t local);

/* Parsers, exposed for the unit tests and mur_tz_get.  Each returns a
 * malloc'd zone (mur_tz_free) or NULL with 22023 in err. */
mur_tz *mur_tz_from_tzif(const char *name, const uint8_t *data, size_t len, mur_error *err);
mur_tz *mur_tz_from_posix(const char *name, const char *spec, mur_error *err);
void mur_tz_free(mur_tz *z);

#endif
