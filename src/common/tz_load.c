/*
 * tz_load.c — making zones: TZif files (RFC 8536), TimeZone names as
 * PostgreSQL's check_timezone reads them, fixed offsets, and the cache
 * every thread shares (contract in tz.h).
 *
 * A TZif file holds a version-1 block with 32-bit times and, from version
 * 2, a second block with 64-bit times and a footer holding a POSIX TZ
 * string for instants after the last transition.  We read the 64-bit
 * block when there is one.  Leap-second records are skipped (PostgreSQL
 * refuses such zones; so do we: a "right/" zone is rejected).
 *
 * Names: a path under MUR_TZ_DIR matched component by component without
 * regard to case, as PostgreSQL's scan_directory_ci does, so the name
 * SHOW prints is the file's own spelling.  ".." components and absolute
 * paths are refused before any file is opened.
 */
#include "common/tz_int.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* Zones kept per process, never freed (pointers stay valid on every
 * thread).  Zones from files are bounded by the tz database itself (about
 * 1,800 files, links included, each cached once under its own spelling);
 * zones from POSIX strings and offsets are not, so they have a limit of
 * their own: past it a new one is refused (54000) while every file zone
 * keeps working. */
#define TZ_CACHE_MAX 4096
#define TZ_RULES_MAX 256
/* The biggest TZif file accepted (real ones are under 4 KB). */
#define TZ_FILE_MAX (256 * 1024)

static int invalid(mur_error *err, const char *name)
{
	if (err)
		mur_error_set(err, SQLSTATE_INVALID_PARAMETER_VALUE,
			      "invalid value for parameter \"TimeZone\": \"%s\"", name);
	return MUR_ERR;
}

void mur_tz_free(mur_tz *z)
{
	if (!z)
		return;
	free(z->trans);
	free(z->idx);
	free(z->types);
	free(z);
}

static uint32_t be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static int64_t be64(const uint8_t *p) { return (int64_t)((uint64_t)be32(p) << 32 | be32(p + 4)); }

typedef struct tzif_counts {
	uint32_t isut, isstd, leap, time, type, chars;
} tzif_counts;

static int read_header(const uint8_t *d, size_t len, tzif_counts *c)
{
	if (len < 44 || memcmp(d, "TZif", 4) != 0)
		return MUR_ERR;
	c->isut = be32(d + 20);
	c->isstd = be32(d + 24);
	c->leap = be32(d + 28);
	c->time = be32(d + 32);
	c->type = be32(d + 36);
	c->chars = be32(d + 40);
	if (c->time > TZ_TRANS_MAX || c->type == 0 || c->type > TZ_TYPES_MAX || c->chars > 4096 ||
	    c->leap > 4096 || c->isut > c->type || c->isstd > c->type)
		return MUR_ERR;
	return MUR_OK;
}

static size_t block_len(const tzif_counts *c, int tsize)
{
	return (size_t)c->time * (size_t)(tsize + 1) + c->type * 6u + c->chars +
	       c->leap * (size_t)(tsize + 4) + c->isstd + c->isut;
}

/* Fill z from the data block at d (tsize 4 or 8 bytes a time). */
static int read_block(mur_tz *z, const uint8_t *d, const tzif_counts *c, int tsize)
{
	const uint8_t *idx = d + (size_t)c->time * (size_t)tsize, *types = idx + c->time;
	const char *chars = (const char *)types + c->type * 6u;
	if (c->leap)
		return MUR_ERR;
	z->ntrans = (int)c->time;
	z->ntypes = (int)c->type;
	z->trans = calloc(c->time ? c->time : 1, sizeof *z->trans);
	z->idx = calloc(c->time ? c->time : 1, 1);
	z->types = calloc(c->type, sizeof *z->types);
	if (!z->trans || !z->idx || !z->types)
		return MUR_ERR;
	for (uint32_t i = 0; i < c->time; i++) {
		z->trans[i] = tsize == 8 ? be64(d + i * 8u) : (int32_t)be32(d + i * 4u);
		z->idx[i] = idx[i];
		if (idx[i] >= c->type || (i && z->trans[i] <= z->trans[i - 1]))
			return MUR_ERR;
	}
	for (uint32_t i = 0; i < c->type; i++) {
		const uint8_t *t = types + i * 6u;
		uint8_t ai = t[5];
		z->types[i].off = (int32_t)be32(t);
		z->types[i].isdst = t[4];
		if (ai >= c->chars || z->types[i].off <= -26 * 3600 || z->types[i].off >= 26 * 3600)
			return MUR_ERR;
		snprintf(z->types[i].abbr, sizeof z->types[i].abbr, "%.*s",
			 (int)strnlen(chars + ai, c->chars - ai), chars + ai);
	}
	return MUR_OK;
}

mur_tz *mur_tz_from_tzif(const char *name, const uint8_t *data, size_t len, mur_error *err)
{
	tzif_counts c;
	mur_tz *z = calloc(1, sizeof *z);
	const uint8_t *d = data;
	if (!z || read_header(d, len, &c) != MUR_OK)
		goto err_after_alloc;
	snprintf(z->name, sizeof z->name, "%s", name);
	if (data[4] >= '2') { /* skip the v1 block to the 64-bit one */
		size_t v1 = 44 + block_len(&c, 4);
		if (v1 > len || read_header(d + v1, len - v1, &c) != MUR_OK)
			goto err_after_alloc;
		d += v1;
		len -= v1;
		if (44 + block_len(&c, 8) > len || read_block(z, d + 44, &c, 8) != MUR_OK)
			goto err_after_alloc;
		const char *foot = (const char *)d + 44 + block_len(&c, 8);
		size_t flen = len - 44 - block_len(&c, 8);
		char spec[128];
		if (flen >= 2 && foot[0] == '\n' && flen - 2 < sizeof spec &&
		    foot[flen - 1] == '\n') {
			memcpy(spec, foot + 1, flen - 2);
			spec[flen - 2] = '\0';
			if (spec[0])
				z->has_posix = tz_posix_parse(spec, &z->posix) == MUR_OK;
		}
		return z;
	}
	if (44 + block_len(&c, 4) > len || read_block(z, d + 44, &c, 4) != MUR_OK)
		goto err_after_alloc;
	return z;
err_after_alloc:
	mur_tz_free(z);
	invalid(err, name);
	return NULL;
}

mur_tz *mur_tz_from_posix(const char *name, const char *spec, mur_error *err)
{
	mur_tz *z = calloc(1, sizeof *z);
	if (!z || tz_posix_parse(spec, &z->posix) != MUR_OK) {
		free(z);
		invalid(err, name);
		return NULL;
	}
	z->has_posix = 1;
	snprintf(z->name, sizeof z->name, "%s", name);
	return z;
}

/* The file's own spelling of a case-insensitive name: MUR_OK with path
 * (under MUR_TZ_DIR) and canon (relative) filled. */
static int resolve_name(const char *name, char *path, size_t path_len, char *canon,
			size_t canon_len)
{
	char comp[MUR_TZ_NAME_MAX + 1];
	size_t pl = (size_t)snprintf(path, path_len, "%s", MUR_TZ_DIR), cl = 0;
	const char *p = name;
	canon[0] = '\0';
	if (!*name || *name == '/' || strlen(name) > MUR_TZ_NAME_MAX)
		return MUR_ERR;
	while (*p) {
		size_t n = strcspn(p, "/");
		struct dirent *de;
		DIR *dir;
		int found = 0;
		if (n == 0 || (n <= 2 && p[0] == '.' && (n == 1 || p[1] == '.')))
			return MUR_ERR;
		snprintf(comp, sizeof comp, "%.*s", (int)n, p);
		if (!(dir = opendir(path)))
			return MUR_ERR;
		while ((de = readdir(dir)))
			if (strcasecmp(de->d_name, comp) == 0) {
				found = 1;
				snprintf(comp, sizeof comp, "%s", de->d_name);
				break;
			}
		closedir(dir);
		if (!found || pl + 1 + strlen(comp) >= path_len ||
		    cl + 1 + strlen(comp) >= canon_len)
			return MUR_ERR;
		pl += (size_t)snprintf(path + pl, path_len - pl, "/%s", comp);
		cl += (size_t)snprintf(canon + cl, canon_len - cl, "%s%s", cl ? "/" : "", comp);
		p += n;
		if (*p == '/')
			p++;
	}
	return MUR_OK;
}

static mur_tz *load_file(const char *name, mur_error *err)
{
	char path[MUR_TZ_NAME_MAX + sizeof MUR_TZ_DIR + 2], canon[MUR_TZ_NAME_MAX + 1];
	uint8_t *buf = NULL;
	size_t len = 0;
	mur_tz *z = NULL;
	FILE *f;
	if (resolve_name(name, path, sizeof path, canon, sizeof canon) != MUR_OK ||
	    !(f = fopen(path, "rb")))
		return NULL;
	if ((buf = malloc(TZ_FILE_MAX)))
		len = fread(buf, 1, TZ_FILE_MAX, f);
	fclose(f);
	if (buf && len && len < TZ_FILE_MAX)
		z = mur_tz_from_tzif(canon, buf, len, err);
	free(buf);
	return z;
}

/* ---- the cache ---- */

static pthread_mutex_t cache_mu = PTHREAD_MUTEX_INITIALIZER;
static mur_tz *cache[TZ_CACHE_MAX];
static int ncache, nrules;

static const mur_tz *cache_find(const char *key)
{
	for (int i = 0; i < ncache; i++)
		if (strcasecmp(cache[i]->name, key) == 0)
			return cache[i];
	return NULL;
}

const mur_tz *mur_tz_utc(void)
{
	static mur_tz utc = {.name = "UTC", .has_posix = 1, .posix = {.std = {0, 0, "UTC"}}};
	return &utc;
}

/* Look key up, else build it with make(arg) and keep it. */
static const mur_tz *cached(const char *key, mur_tz *(*make)(const char *, mur_error *),
			    const char *arg, mur_error *err)
{
	const mur_tz *z;
	mur_tz *made;
	pthread_mutex_lock(&cache_mu);
	z = cache_find(key);
	pthread_mutex_unlock(&cache_mu);
	if (z)
		return z;
	if (!(made = make(arg, err)))
		return NULL;
	pthread_mutex_lock(&cache_mu);
	if ((z = cache_find(made->name))) { /* another thread, or another spelling */
		mur_tz_free(made);
	} else if (ncache < TZ_CACHE_MAX && (made->ntypes || nrules < TZ_RULES_MAX)) {
		nrules += !made->ntypes; /* a POSIX string's zone has no TZif types */
		cache[ncache++] = made;
		z = made;
	} else {
		mur_tz_free(made);
		if (err)
			mur_error_set(err, SQLSTATE_PROGRAM_LIMIT_EXCEEDED,
				      "too many time zones in use (at most %d POSIX-style zones "
				      "a process)",
				      TZ_RULES_MAX);
	}
	pthread_mutex_unlock(&cache_mu);
	return z;
}

static mur_tz *make_named(const char *name, mur_error *err)
{
	mur_error quiet;
	mur_tz *z;
	mur_error_clear(&quiet);
	if ((z = load_file(name, &quiet)))
		return z;
	if ((z = mur_tz_from_posix(name, name, &quiet)))
		return z;
	invalid(err, name);
	return NULL;
}

static mur_tz *make_posix(const char *spec, mur_error *err)
{
	return mur_tz_from_posix(spec, spec, err);
}

const mur_tz *mur_tz_fixed(int32_t secs_east, mur_error *err)
{
	char off[32], spec[80];
	int32_t a = secs_east < 0 ? -secs_east : secs_east;
	int n = snprintf(off, sizeof off, "%02d", a / 3600);
	if (a >= 168 * 3600) {
		if (err)
			mur_error_set(err, SQLSTATE_INVALID_PARAMETER_VALUE,
				      "invalid value for parameter \"TimeZone\": \"%d\"",
				      secs_east);
		return NULL;
	}
	if (a % 3600) {
		n += snprintf(off + n, sizeof off - (size_t)n, ":%02d", a % 3600 / 60);
		if (a % 60)
			snprintf(off + n, sizeof off - (size_t)n, ":%02d", a % 60);
	}
	if (secs_east < 0)
		snprintf(spec, sizeof spec, "<-%s>+%s", off, off);
	else
		snprintf(spec, sizeof spec, "<+%s>-%s", off, off);
	return cached(spec, make_posix, spec, err);
}

/* A number of hours as strtod reads it (PostgreSQL: SQL sign, east +). */
static int hours_value(const char *name, double *hours)
{
	char *end;
	errno = 0;
	*hours = strtod(name, &end);
	return end != name && *end == '\0' && errno == 0 && *hours == *hours;
}

const mur_tz *mur_tz_get(const char *name, mur_error *err)
{
	double hours;
	if (!name || !*name || strlen(name) > MUR_TZ_NAME_MAX) {
		invalid(err, name ? name : "");
		return NULL;
	}
	if (strcasecmp(name, "UTC") == 0)
		return mur_tz_utc();
	if (hours_value(name, &hours)) {
		if (hours <= -168 || hours >= 168) {
			invalid(err, name);
			return NULL;
		}
		return mur_tz_fixed((int32_t)(hours * 3600), err);
	}
	return cached(name, make_named, name, err);
}

/* AT TIME ZONE's reading: a tz database name, else a POSIX TZ string,
 * where a bare offset counts hours WEST ('+05' is UTC-5), as PostgreSQL's
 * timezone(text, ...) reads it through pg_tzset. */
static mur_tz *make_at(const char *name, mur_error *err)
{
	mur_error quiet;
	mur_tz *z;
	char spec[MUR_TZ_NAME_MAX + 8];
	mur_error_clear(&quiet);
	if ((z = load_file(name, &quiet)))
		return z;
	if (strchr("+-0123456789", name[0]) && strlen(name) < 16)
		snprintf(spec, sizeof spec, "<%.15s>%.15s", name, name);
	else
		snprintf(spec, sizeof spec, "%s", name);
	if ((z = mur_tz_from_posix(name, spec, &quiet))) {
		snprintf(z->name, sizeof z->name, "%.*s", (int)sizeof z->name - 1, spec);
		return z;
	}
	if (err)
		mur_error_set(err, SQLSTATE_INVALID_PARAMETER_VALUE,
			      "time zone \"%s\" not recognized", name);
	return NULL;
}

const mur_tz *mur_tz_get_at(const char *name, mur_error *err)
{
	char key[MUR_TZ_NAME_MAX + 8];
	if (!name || !*name || strlen(name) > MUR_TZ_NAME_MAX) {
		if (err)
			mur_error_set(err, SQLSTATE_INVALID_PARAMETER_VALUE,
				      "time zone \"%s\" not recognized", name ? name : "");
		return NULL;
	}
	if (strcasecmp(name, "UTC") == 0)
		return mur_tz_utc();
	if (strchr("+-0123456789", name[0]) && strlen(name) < 16)
		snprintf(key, sizeof key, "<%.15s>%.15s", name, name);
	else
		snprintf(key, sizeof key, "%s", name);
	return cached(key, make_at, name, err);
}
