/*
 * tz_int.h — what tz.c, tz_posix.c and tz_load.c share (the public
 * contract is tz.h).
 *
 *   tz_posix.c  POSIX TZ strings: parse, and evaluate at an instant
 *   tz_load.c   TZif files (RFC 8536), names, fixed offsets, the cache
 *   tz.c        lookups: offset at an instant, next transition, offset
 *               of a local time
 *
 * A zone is a table of transitions (from a TZif file: instant → local
 * time type) followed by an optional POSIX rule that extends it past the
 * last transition (the TZif footer) — or only the rule, for a POSIX
 * string or a fixed offset.
 */
#ifndef MUR_TZ_INT_H
#define MUR_TZ_INT_H

#include "common/tz.h"

/* Abbreviations are short ("EST", "+0530", "LMT"); RFC 8536 allows 6+. */
#define TZ_ABBR_MAX 15
/* Limits on what a TZif file may declare (the fattest real zone has a
 * few hundred transitions; the limits keep a hostile file bounded). */
#define TZ_TRANS_MAX 4096
#define TZ_TYPES_MAX 256

typedef struct tz_type {
	int32_t off; /* seconds east of UTC */
	int isdst;
	char abbr[TZ_ABBR_MAX + 1];
} tz_type;

/* One POSIX rule date: Jn (1..365, no Feb 29), n (0..365), Mm.w.d. */
typedef struct tz_rule {
	char kind; /* 'J', 'N', 'M' */
	int a, b, c;
	int32_t time; /* seconds after local midnight (may be < 0 or > 24 h) */
} tz_rule;

typedef struct tz_posix {
	tz_type std, dst;
	int has_dst;
	tz_rule start, end; /* into DST (local standard time), out (local DST) */
} tz_posix;

struct mur_tz {
	char name[MUR_TZ_NAME_MAX + 1];
	int ntrans, ntypes;
	int64_t *trans; /* ascending instants */
	uint8_t *idx;   /* type index of each transition */
	tz_type *types;
	int has_posix;
	tz_posix posix;
};

/* Parse a POSIX TZ string into *p; MUR_OK or MUR_ERR. */
int tz_posix_parse(const char *spec, tz_posix *p);
/* The type in force at instant t under the rule. */
const tz_type *tz_posix_at(const tz_posix *p, int64_t t);
/* The first instant > t at which the rule changes offset (INT64_MAX: never). */
int64_t tz_posix_next(const tz_posix *p, int64_t t);

#endif
