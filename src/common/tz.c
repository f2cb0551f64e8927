/*
 * tz.c — a zone's offset at an instant and for a local time (contract in
 * tz.h; the zone's layout in tz_int.h).
 *
 * An instant before the first transition takes time type 0 (RFC 8536
 * §3.2), one at or after the last takes the footer's POSIX rule when the
 * file has one.  A local time goes through mur_tz_local, a transcription
 * of PostgreSQL's DetermineTimeZoneOffsetInternal: back up a day, find the
 * next transition, and if the local time reads as valid on both or
 * neither side of it, prefer the later instant's offset only when that
 * is the earlier reading (spring forward: before; fall back: after).
 */
#include "common/tz_int.h"

#define TZ_SECS_PER_DAY 86400

static const tz_type utc_type = {0, 0, "UTC"};

/* Index of the last transition <= t (-1: before the first). */
static int trans_index(const mur_tz *z, int64_t t)
{
	int lo = 0, hi = z->ntrans - 1, found = -1;
	while (lo <= hi) {
		int mid = lo + (hi - lo) / 2;
		if (z->trans[mid] <= t) {
			found = mid;
			lo = mid + 1;
		} else {
			hi = mid - 1;
		}
	}
	return found;
}

static const tz_type *type_at(const mur_tz *z, int64_t t)
{
	int i;
	if (z->ntrans == 0 || t >= z->trans[z->ntrans - 1]) {
		if (z->has_posix)
			return tz_posix_at(&z->posix, t);
		if (z->ntrans == 0)
			return z->ntypes ? &z->types[0] : &utc_type;
	}
	i = trans_index(z, t);
	return &z->types[i < 0 ? 0 : z->idx[i]];
}

int32_t mur_tz_at(const mur_tz *z, int64_t t, const char **abbr)
{
	const tz_type *ty = type_at(z, t);
	if (abbr)
		*abbr = ty->abbr;
	return ty->off;
}

/* The first instant > t at which the offset changes (INT64_MAX: none). */
static int64_t next_change(const mur_tz *z, int64_t t)
{
	int32_t off = type_at(z, t)->off;
	for (int i = trans_index(z, t) + 1; i < z->ntrans; i++)
		if (z->types[z->idx[i]].off != off)
			return z->trans[i];
	if (!z->has_posix)
		return INT64_MAX;
	if (z->ntrans && t < z->trans[z->ntrans - 1])
		t = z->trans[z->ntrans - 1]; /* the rule takes over there */
	for (int k = 0; k < 4; k++) {        /* skip rule changes that keep the offset */
		int64_t b = tz_posix_next(&z->posix, t);
		if (b == INT64_MAX || tz_posix_at(&z->posix, b)->off != off)
			return b;
		t = b;
	}
	return INT64_MAX;
}

int32_t mur_tz_local(const mur_tz *z, int64_t local)
{
	int64_t prev = local - TZ_SECS_PER_DAY;
	int32_t before = mur_tz_at(z, prev, NULL), after;
	int64_t boundary = next_change(z, prev), tb, ta;
	if (boundary == INT64_MAX)
		return before;
	after = mur_tz_at(z, boundary, NULL);
	tb = local - before;
	ta = local - after;
	if (tb < boundary && ta < boundary)
		return before;
	if (tb >= boundary && ta >= boundary)
		return after;
	return tb > ta ? before : after;
}

const char *mur_tz_name(const mur_tz *z) { return z->name; }
