/*
 * sql.h — the SQL front end: PostgreSQL text in, distributed plan out.
 *
 *   sql_split    one simple-query string → statement strings (parser.h)
 *   sql_prepare  one statement → plan (parse with libpg_query and analyze
 *                names and types against the catalog: src/parser/; plan
 *                and emit SQLite SQL: this folder)
 *
 * Errors follow PostgreSQL: 42601 syntax (with position), 42P01 undefined
 * table, 42703 undefined column, 42883 undefined function, 42804 type
 * mismatch, 0A000 for anything murphy does not support, naming exactly
 * what ("murphy does not support RIGHT JOIN yet").
 */
#ifndef SQL_SQL_H
#define SQL_SQL_H

#include "catalog/catalog.h"
#include "common/error.h"
#include "parser/parser.h"
#include "sql/plan.h"

/* Session settings that change how a statement is planned.  The leader
 * fills them from the session (lead_session.c) and plans a prepared
 * statement again when they differ from the ones it was planned with. */
typedef struct sql_options {
	/* murphy.count_distinct = 'approximate': count(DISTINCT x) over
	 * distributed tables is planned as approx_count_distinct(x)
	 * (HyperLogLog sketches, docs/approx.md); 0: exact (the default) */
	int count_distinct_approx;
	/* the session's role: current_user, session_user (NULL: "murphy") */
	const char *user;
	int superuser; /* the role is one: no table privilege is checked */
	/* murphy.shuffle_strategy for window functions (plan_window.c):
	 * SQL_SHUFFLE_AUTO (the default), _GATHER or _REPARTITION */
	int shuffle_strategy;
	/* TimeZone (common/tz.h; NULL: UTC): timestamptz literals without an
	 * offset, casts to and from timestamptz, date_trunc/extract/to_char
	 * of one are planned in it */
	const mur_tz *tz;
	/* search_path: where names without a schema resolve and CREATE puts
	 * them (parser/analyze_schema.c), when search_path_given (it may be
	 * empty: no schema); else the default "$user", public */
	char search_path[256];
	int search_path_given;
	/* the transaction's start (wall clock, microseconds): now(),
	 * transaction_timestamp(), CURRENT_TIMESTAMP are planned as this
	 * constant, the same in every row and on every node; 0: mur_now(),
	 * the clock at each call */
	int64_t xact_now_us;
	/* the statement's start likewise: statement_timestamp() */
	int64_t stmt_now_us;
	/* not a setting: when > 0, now() and CURRENT_TIMESTAMP are planned as
	 * parameter $now_param (timestamptz; its value bound at each run is
	 * xact_now_us), so the plan outlives the transaction (the plan cache:
	 * sql/plan_cache.c); 0: as the constant xact_now_us */
	int now_param;
} sql_options;

enum { SQL_SHUFFLE_AUTO = 0, SQL_SHUFFLE_GATHER, SQL_SHUFFLE_REPARTITION };

/* 1 when plans made with a and with b may differ. */
int sql_options_differ(const sql_options *a, const sql_options *b);

/* Plan one statement with the default settings.  param_types gives the
 * first nparam_types parameter types (MT_UNKNOWN = infer).  On success
 * *out is a new plan (plan_free). */
int sql_prepare(const catalog *cat, const char *sql, int nparam_types, const mur_type *param_types,
		plan **out, mur_error *err);
/* The same with a session's settings (NULL: the defaults). */
int sql_prepare_opts(const catalog *cat, const char *sql, const sql_options *opts, int nparam_types,
		     const mur_type *param_types, plan **out, mur_error *err);

/* The same in two halves, so the costly one can leave the loop thread
 * (lead_session.c, docs/decisions.md "Large statements are parsed off the
 * loop thread"):
 *   sql_parse         text → parse tree (parser.h): libpg_query and the
 *                     depth checks.  Reads no shared state: safe on any
 *                     thread.
 *   sql_prepare_tree  tree → plan: reads the catalog, so only on the thread
 *                     that changes it.  Does not take the tree. */
int sql_prepare_tree(const catalog *cat, const char *sql, sql_tree *tree, const sql_options *opts,
		     int nparam_types, const mur_type *param_types, plan **out, mur_error *err);

/* The SQL of one batch of a batched scan (plan_select.batch_head, set):
 * its rows after last (batch_nsort sort values then batch_nkeys key
 * values; NULL: from the first), in sort then key order, at most limit
 * of them (sql/plan_batch.c).  Into
 * out (reset first); MUR_OK, MUR_ENOMEM, or MUR_ERR when ps is not
 * batched. */
/* out: a default's SQLite text with mur_xact_now() bound to the
 * transaction's start us (microseconds; 0: unbound) and
 * mur_session_zone() to the session's zone (NULL: UTC), for COPY
 * (sql/default_now.c). */
void sql_default_now_sql(mur_buf *out, const char *sql, int64_t us, const char *zone);
int sql_batch_sql(const plan_select *ps, const mur_value *last, uint32_t limit, mur_buf *out);

/* `x IN (uncorrelated subquery)` on a key column is emitted with a seek
 * form between these comments (sql/emit.c); the set is known only when
 * the statement runs.  sql_seek_choose: sql with the seek form cut out
 * wherever its set (parameter ?n of params) is a blob longer than
 * max_bytes — malloc'd, the caller frees it — or NULL when sql stays as
 * it is. */
#define SQL_SEEK_MARK "/*murphy_seek:"
#define SQL_SEEK_END "/*murphy_seek_end*/"
char *sql_seek_choose(const char *sql, const mur_value *params, int nparams, size_t max_bytes);

#endif
