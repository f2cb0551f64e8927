/*
 * tz_posix.c — POSIX TZ strings (IEEE Std 1003.1, §8.3 TZ, with RFC 8536
 * §3.3.1's extensions: hours up to 167 and negative in rule times), the
 * form a TZif footer uses to describe a zone's future and the form a
 * fixed-offset zone is named by ("<+05>-05").
 *
 *   std offset [dst [offset] [,start[/time],end[/time]]]
 *
 * std/dst are three or more letters or <...> quoted (signs and digits);
 * offsets count hours WEST of UTC ("EST5" is UTC-5), so they are negated
 * into tz_type.off.  A dst without a rule gets the US rule PostgreSQL's
 * tzcode defaults to (M3.2.0,M11.1.0).
 *
 * Evaluation works per calendar year: the start and end instants of
 * that year's daylight time; a southern-hemisphere rule (end before start)
 * is daylight time outside [end, start).
 */
#include "common/tz_int.h"

#include "common/value.h"

#include <ctype.h>
#include <string.h>

#define SECS_PER_DAY INT64_C(86400)

static const char *parse_abbr(const char *s, char *out)
{
	size_t n = 0;
	if (*s == '<') {
		s++;
		while (*s && *s != '>')
			if (n < TZ_ABBR_MAX)
				out[n++] = *s++;
			else
				return NULL;
		if (*s != '>' || n < 1)
			return NULL;
		s++;
	} else {
		while (isalpha((unsigned char)*s))
			if (n < TZ_ABBR_MAX)
				out[n++] = *s++;
			else
				return NULL;
		if (n < 3)
			return NULL;
	}
	out[n] = '\0';
	return s;
}

static const char *parse_num(const char *s, int max, int *v)
{
	int n = 0;
	*v = 0;
	while (isdigit((unsigned char)*s) && n < 4) {
		*v = *v * 10 + (*s++ - '0');
		n++;
	}
	return n && *v <= max ? s : NULL;
}

/* [+-]hh[:mm[:ss]] into seconds (sign applied), hours up to max_h. */
static const char *parse_time(const char *s, int max_h, int32_t *secs)
{
	int sign = 1, h, m = 0, sec = 0;
	if (*s == '+' || *s == '-')
		sign = *s++ == '-' ? -1 : 1;
	if (!(s = parse_num(s, max_h, &h)))
		return NULL;
	if (*s == ':' && !(s = parse_num(s + 1, 59, &m)))
		return NULL;
	if (s && *s == ':' && !(s = parse_num(s + 1, 59, &sec)))
		return NULL;
	*secs = sign * (h * 3600 + m * 60 + sec);
	return s;
}

static const char *parse_rule(const char *s, tz_rule *r)
{
	if (*s == 'J') {
		r->kind = 'J';
		if (!(s = parse_num(s + 1, 365, &r->a)) || r->a < 1)
			return NULL;
	} else if (*s == 'M') {
		r->kind = 'M';
		if (!(s = parse_num(s + 1, 12, &r->a)) || r->a < 1 || *s++ != '.' ||
		    !(s = parse_num(s, 5, &r->b)) || r->b < 1 || *s++ != '.' ||
		    !(s = parse_num(s, 6, &r->c)))
			return NULL;
	} else {
		r->kind = 'N';
		if (!(s = parse_num(s, 365, &r->a)))
			return NULL;
	}
	r->time = 7200;
	if (*s == '/')
		return parse_time(s + 1, 167, &r->time);
	return s;
}

int tz_posix_parse(const char *spec, tz_posix *p)
{
	const char *s = spec;
	int32_t off;
	memset(p, 0, sizeof *p);
	if (!(s = parse_abbr(s, p->std.abbr)) || !(s = parse_time(s, 167, &off)))
		return MUR_ERR;
	p->std.off = -off;
	if (!*s)
		return MUR_OK;
	if (!(s = parse_abbr(s, p->dst.abbr)))
		return MUR_ERR;
	p->has_dst = p->dst.isdst = 1;
	p->dst.off = p->std.off + 3600;
	if (*s && *s != ',') {
		if (!(s = parse_time(s, 167, &off)))
			return MUR_ERR;
		p->dst.off = -off;
	}
	if (!*s) { /* tzcode's default rule */
		p->start = (tz_rule){'M', 3, 2, 0, 7200};
		p->end = (tz_rule){'M', 11, 1, 0, 7200};
		return MUR_OK;
	}
	if (*s++ != ',' || !(s = parse_rule(s, &p->start)) || *s++ != ',' ||
	    !(s = parse_rule(s, &p->end)) || *s)
		return MUR_ERR;
	return MUR_OK;
}

static int is_leap(int64_t y) { return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0; }

/* Days since 1970 of the rule's date in year y. */
static int64_t rule_day(const tz_rule *r, int64_t y)
{
	int64_t jan1 = mur_days_from_civil(y, 1, 1);
	if (r->kind == 'J')
		return jan1 + r->a - 1 + (is_leap(y) && r->a >= 60);
	if (r->kind == 'N')
		return jan1 + r->a;
	int64_t first = mur_days_from_civil(y, r->a, 1);
	int wd = (int)(((first % 7) + 11) % 7); /* 1970-01-01 was a Thursday (4) */
	int64_t day = first + (r->c - wd + 7) % 7 + (int64_t)(r->b - 1) * 7;
	int64_t y2;
	int m2, d2;
	while (mur_civil_from_days(day, &y2, &m2, &d2), m2 != r->a)
		day -= 7; /* week 5: the last such weekday */
	return day;
}

/* The instants daylight time starts and ends in year y. */
static void year_bounds(const tz_posix *p, int64_t y, int64_t *start, int64_t *end)
{
	*start = rule_day(&p->start, y) * SECS_PER_DAY + p->start.time - p->std.off;
	*end = rule_day(&p->end, y) * SECS_PER_DAY + p->end.time - p->dst.off;
}

static int64_t year_of(int64_t t)
{
	int64_t y, days = t / SECS_PER_DAY - (t % SECS_PER_DAY < 0);
	int m, d;
	mur_civil_from_days(days, &y, &m, &d);
	return y;
}

const tz_type *tz_posix_at(const tz_posix *p, int64_t t)
{
	int64_t s, e;
	if (!p->has_dst)
		return &p->std;
	year_bounds(p, year_of(t + p->std.off), &s, &e);
	if (s < e)
		return (t >= s && t < e) ? &p->dst : &p->std;
	return (t >= e && t < s) ? &p->std : &p->dst;
}

int64_t tz_posix_next(const tz_posix *p, int64_t t)
{
	int64_t best = INT64_MAX, y = year_of(t);
	if (!p->has_dst)
		return best;
	for (int64_t k = y - 1; k <= y + 1; k++) {
		int64_t b[2];
		year_bounds(p, k, &b[0], &b[1]);
		for (int i = 0; i < 2; i++)
			if (b[i] > t && b[i] < best &&
			    tz_posix_at(p, b[i] - 1) != tz_posix_at(p, b[i]))
				best = b[i];
	}
	return best;
}
