/*
 * plan_cache.c — a session's plans of statements seen before, whatever
 * their integer literals (plan_cache.h has the contract).
 *
 * pgbench's seven statements, parsed and planned again at every
 * transaction, were ~20% of the leader's CPU (libpg_query, the analyzer,
 * the planner), though each text differs from the last only in its
 * numbers.  Here each text's key (the text, literals out) finds a plan
 * made once with the literals as parameters; the leader binds the
 * statement's own literals to it (lead_session.c).
 *
 * A small table per session (SQL_PLAN_CACHE_ENTRIES, the least recently
 * found one is replaced), looked up by the key's hash then its bytes.
 */
#include "sql/plan_cache.h"

#include "common/fmt.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* Entries per session: a client's distinct statement shapes (pgbench's
 * TPC-B keeps 11: its 7 statements, the UPDATEs' and the INSERT's with a
 * negative delta).  Memory: a plan's arena is 32-64 KiB, so at most ~1 MiB
 * per session, ~1 GiB at PGW_CONNECTIONS_MAX sessions each running 16 shapes. */
#define SQL_PLAN_CACHE_ENTRIES 16

struct sql_plan_cache {
	sql_cached *e[SQL_PLAN_CACHE_ENTRIES];
	uint64_t tick;
};

sql_plan_cache *sql_plan_cache_create(void) { return calloc(1, sizeof(sql_plan_cache)); }

void sql_cached_unref(sql_cached *e)
{
	if (!e || --e->refs > 0)
		return;
	plan_free(e->p);
	free(e->key);
	free(e);
}

void sql_plan_cache_destroy(sql_plan_cache *pc)
{
	if (!pc)
		return;
	for (int i = 0; i < SQL_PLAN_CACHE_ENTRIES; i++)
		sql_cached_unref(pc->e[i]);
	free(pc);
}

/* The slot holding l's key, else NULL (*victim: the slot to fill). */
static sql_cached **slot_of(sql_plan_cache *pc, const sql_lift *l, sql_cached ***victim)
{
	*victim = &pc->e[0];
	for (int i = 0; i < SQL_PLAN_CACHE_ENTRIES; i++) {
		sql_cached *e = pc->e[i];
		if (e && e->hash == l->hash && e->key_len == l->key_len &&
		    memcmp(e->key, l->key, l->key_len) == 0)
			return &pc->e[i];
		if (**victim && (!e || e->used < (**victim)->used))
			*victim = &pc->e[i];
	}
	return NULL;
}

sql_cached *sql_plan_cache_find(sql_plan_cache *pc, const sql_lift *l)
{
	sql_cached **victim, **s = pc ? slot_of(pc, l, &victim) : NULL;
	if (!s)
		return NULL;
	(*s)->used = ++pc->tick;
	(*s)->refs++;
	return *s;
}

/* List a new entry for l (p: its plan, or NULL); NULL when out of memory. */
static sql_cached *list(sql_plan_cache *pc, const sql_lift *l, plan *p, const catalog *cat,
			const sql_options *opts, const uint8_t *negated)
{
	sql_cached **victim, **s = slot_of(pc, l, &victim), *e = calloc(1, sizeof *e);
	if (!e || !(e->key = malloc(l->key_len + 1))) {
		free(e);
		return NULL;
	}
	memcpy(e->key, l->key, l->key_len);
	e->key_len = l->key_len;
	e->hash = l->hash;
	e->n = l->n;
	memcpy(e->negated, negated, sizeof e->negated);
	e->p = p;
	e->catalog_version = cat_version(cat);
	e->opts = *opts;
	e->opts.xact_now_us = 0; /* plans that read the clock are not kept */
	e->opts.stmt_now_us = 0;
	e->used = ++pc->tick;
	e->refs = 1;
	if (!s)
		s = victim;
	sql_cached_unref(*s);
	*s = e;
	return e;
}

int sql_plan_cache_fill(sql_plan_cache *pc, const catalog *cat, const char *sql, const sql_lift *l,
			const sql_options *opts, sql_cached **e, plan **own, mur_error *err)
{
	uint8_t negated[SQL_LIFT_MAX] = {0};
	mur_type types[SQL_LIFT_MAX + 1];
	sql_options lifted = *opts;
	sql_tree *tree = NULL;
	plan *p = NULL;
	mur_error lift_err;
	int rc;
	*e = NULL;
	*own = NULL;
	rc = sql_parse_lift(sql, l, &tree, negated, err);
	if (rc == SQL_LIFT_NONE) {
		/* planned from this parse as it would be anyway: nothing to
		 * remember (the slots stay for plans) */
		rc = sql_prepare_tree(cat, sql, tree, opts, 0, NULL, own, err);
		sql_tree_free(tree);
		return rc;
	}
	if (rc != MUR_OK)
		return rc;
	for (int k = 0; k < l->n; k++)
		types[k] = MT_INT4;
	types[l->n] = MT_TIMESTAMPTZ; /* now(), bound to the transaction's start */
	lifted.now_param = l->n + 1;
	rc = sql_prepare_tree(cat, sql, tree, &lifted, l->n + 1, types, &p, &lift_err);
	sql_tree_free(tree);
	if (rc == MUR_OK && p->nparams == l->n + 1 && !p->uses_xact_now && !p->uses_stmt_now &&
	    pc && (*e = list(pc, l, p, cat, opts, negated)) != NULL) {
		(*e)->refs++;
		return MUR_OK;
	}
	plan_free(p);
	/* not as a parameter: the statement as it is, its own answer or error */
	if (pc)
		list(pc, l, NULL, cat, opts, negated);
	return sql_prepare_opts(cat, sql, opts, 0, NULL, own, err);
}

void sql_plan_cache_drop(sql_plan_cache *pc, const sql_lift *l)
{
	sql_cached **victim, **s = pc ? slot_of(pc, l, &victim) : NULL;
	if (s) {
		sql_cached_unref(*s);
		*s = NULL;
	}
}

void sql_cached_param(const sql_cached *e, const sql_lift *l, int k, char *out)
{
	int64_t v = e->negated[k] ? -(int64_t)l->val[k] : l->val[k];
	out[mur_fmt_i64(out, v)] = '\0'; /* int32, negated: 11 bytes at most */
}

/* n as `width` digits, zeros in front (n < 10^width). */
static char *put_digits(char *o, unsigned n, int width)
{
	for (int i = width - 1; i >= 0; i--, n /= 10)
		o[i] = (char)('0' + n % 10);
	return o + width;
}

/* Once per transaction: gmtime_r and snprintf took ~3,500 instructions.
 * Days to a civil date by Howard Hinnant's days_from_civil inverse (the
 * proleptic Gregorian calendar, as gmtime); years 1970-9999 only, any
 * other instant (never now()) as before.  test_now_param.c compares both. */
void sql_cached_now_param(int64_t us, char *out)
{
	if (us >= 0 && us < 253402300800000000LL) { /* 10000-01-01 */
		int64_t sec = us / 1000000, days = sec / 86400, rem = sec % 86400;
		int64_t z = days + 719468, era = z / 146097;
		unsigned doe = (unsigned)(z - era * 146097);
		unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
		unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
		unsigned mp = (5 * doy + 2) / 153, d = doy - (153 * mp + 2) / 5 + 1;
		unsigned m = mp < 10 ? mp + 3 : mp - 9;
		unsigned y = (unsigned)(yoe + era * 400) + (m <= 2);
		char *o = put_digits(out, y, 4);
		*o++ = '-';
		o = put_digits(o, m, 2);
		*o++ = '-';
		o = put_digits(o, d, 2);
		*o++ = ' ';
		o = put_digits(o, (unsigned)(rem / 3600), 2);
		*o++ = ':';
		o = put_digits(o, (unsigned)(rem / 60 % 60), 2);
		*o++ = ':';
		o = put_digits(o, (unsigned)(rem % 60), 2);
		*o++ = '.';
		o = put_digits(o, (unsigned)(us % 1000000), 6);
		memcpy(o, "+00", 4);
		return;
	}
	time_t sec = (time_t)(us / 1000000);
	struct tm tm;
	gmtime_r(&sec, &tm);
	snprintf(out, SQL_NOW_PARAM_TEXT, "%04d-%02d-%02d %02d:%02d:%02d.%06lld+00",
		 tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
		 (long long)(us % 1000000));
}
