/*
 * plan_cache.h — plans of a session's simple-query statements, kept and
 * used again whatever their integer literals (plan_cache.c).
 *
 * A key is the statement's text with its integer literals lifted out
 * (parser.h: sql_lift_scan); the entry's plan is the statement's with
 * those literals as int4 parameters $1..$n (sql_parse_lift) and now() /
 * CURRENT_TIMESTAMP as $n+1 (sql_options.now_param), so the statement runs
 * as a prepared statement bound with its own literals and the
 * transaction's start.
 * An entry is good while the catalog version and the settings that shape
 * plans (sql_options) are those it was planned with: the caller checks
 * them as it checks a prepared statement's.  An entry without a plan (p
 * NULL) is a statement planned as usual, from its text (its lifted plan
 * failed or reads a clock otherwise: CURRENT_DATE, LOCALTIMESTAMP,
 * statement_timestamp()): good while the catalog version
 * is.  A statement whose literals sit where a parameter may mean another
 * thing is planned from the parse that found it out, and not listed.
 *
 * Ownership: the cache holds one reference to each entry it lists; each
 * statement running an entry's plan holds another (sql_cached_unref).  An
 * entry pushed out, or left by a destroyed cache, lives until its last
 * reference goes.
 */
#ifndef SQL_PLAN_CACHE_H
#define SQL_PLAN_CACHE_H

#include "sql/sql.h"

typedef struct sql_cached {
	int refs;
	char *key; /* sql_lift.key, key_len bytes */
	size_t key_len;
	uint64_t hash;
	int n;                         /* parameters lifted */
	uint8_t negated[SQL_LIFT_MAX]; /* $k holds minus literal k's value */
	plan *p;                       /* NULL: plan the statement as usual */
	uint64_t catalog_version;      /* cat_version() when planned */
	sql_options opts;              /* the settings it was planned with */
	uint64_t used;                 /* the cache's tick when last found */
} sql_cached;

typedef struct sql_plan_cache sql_plan_cache;

/* NULL when out of memory (then nothing is cached). */
sql_plan_cache *sql_plan_cache_create(void);
void sql_plan_cache_destroy(sql_plan_cache *pc);
/* The entry of l's key, with a reference for the caller; NULL when none. */
sql_cached *sql_plan_cache_find(sql_plan_cache *pc, const sql_lift *l);
void sql_cached_unref(sql_cached *e);
/* Plan sql (scanned into l) with opts and list the entry (in place of
 * l's key's).  MUR_OK with *e, referenced for the caller, when its
 * literals are lifted; else *e NULL and *own the statement's plan made as
 * sql_prepare_opts makes it (the caller's), or its error as that gives. */
int sql_plan_cache_fill(sql_plan_cache *pc, const catalog *cat, const char *sql, const sql_lift *l,
			const sql_options *opts, sql_cached **e, plan **own, mur_error *err);
/* Forget l's key's entry (its users keep their references). */
void sql_plan_cache_drop(sql_plan_cache *pc, const sql_lift *l);
/* Literal k of l as the text of parameter $k+1 for e (out: 12 bytes). */
void sql_cached_param(const sql_cached *e, const sql_lift *l, int k, char *out);
/* A kept plan takes one parameter more, $n+1 (timestamptz): now(), the
 * transaction's start (us: sql_options.xact_now_us) as its text (out:
 * SQL_NOW_PARAM_TEXT bytes), in UTC with its offset written. */
#define SQL_NOW_PARAM_TEXT 64
void sql_cached_now_param(int64_t us, char *out);

#endif
