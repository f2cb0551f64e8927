/*
 * plan_misc.c — statements that do not touch table data: EXPLAIN [ANALYZE]
 * (wraps the inner plan; the executor prints it), SET / RESET / SHOW, and
 * transaction control (BEGIN / START TRANSACTION / COMMIT / END /
 * ROLLBACK / ABORT).
 *
 * Transaction characteristics (docs/transactions.md): READ COMMITTED
 * (and READ UNCOMMITTED, the same in PostgreSQL) and SERIALIZABLE (and
 * REPEATABLE READ, which it provides: strict two-phase locking of every
 * shard read or written) are provided; the level travels as the setting
 * transaction_isolation (BEGIN / START TRANSACTION carry it in u.set; SET
 * TRANSACTION becomes SET transaction_isolation, SET SESSION
 * CHARACTERISTICS SET default_transaction_isolation).  What murphy cannot
 * provide is refused with 0A000, never accepted and ignored: READ ONLY
 * as a session's default (default_transaction_read_only), SET TRANSACTION
 * SNAPSHOT and two-phase commands.  READ ONLY for one block (BEGIN READ
 * ONLY, SET TRANSACTION READ ONLY) is provided: plan_set.read_only, and
 * the leader refuses the block's writes (sql_plan_writes) with 25006.
 * READ WRITE and [NOT] DEFERRABLE are accepted.
 */
#include "sql/sqlInt.h"

#include "common/interval.h"
#include "pgcatalog/pgcatalog.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

int sql_defelem_true(PgQuery__DefElem *d)
{
	PgQuery__Node *a = d->arg;
	if (!a)
		return 1;
	if (a->node_case == PG_QUERY__NODE__NODE_BOOLEAN)
		return a->boolean->boolval;
	if (a->node_case == PG_QUERY__NODE__NODE_STRING)
		return !strcasecmp(a->string->sval, "true") || !strcasecmp(a->string->sval, "on");
	if (a->node_case == PG_QUERY__NODE__NODE_INTEGER)
		return a->integer->ival != 0;
	return 0;
}

int sql_plan_explain(sql_ctx *c, PgQuery__ExplainStmt *s, plan *p)
{
	plan *inner;
	p->kind = PLAN_EXPLAIN;
	p->tag = "EXPLAIN";
	for (size_t i = 0; i < s->n_options; i++) {
		PgQuery__DefElem *d = s->options[i]->def_elem;
		if (!strcmp(d->defname, "analyze"))
			p->u.explain.analyze = sql_defelem_true(d);
		else if (!strcmp(d->defname, "format") && d->arg &&
			 d->arg->node_case == PG_QUERY__NODE__NODE_STRING &&
			 strcasecmp(d->arg->string->sval, "text"))
			return sql_err(c, SQLSTATE_FEATURE_NOT_SUPPORTED, d->location,
				       "murphy supports only EXPLAIN (FORMAT TEXT)");
	}
	if (!(inner = sql_plan_new(c, PLAN_EMPTY, "")))
		return MUR_ERR;
	if (sql_plan_statement(c, s->query, inner) != MUR_OK)
		return MUR_ERR;
	p->u.explain.inner = inner;
	p->nout = 1;
	if (!(p->out = sql_alloc(c, sizeof(plan_column))))
		return MUR_ERR;
	snprintf(p->out[0].name, sizeof p->out[0].name, "QUERY PLAN");
	p->out[0].type = MT_TEXT;
	p->out[0].typmod = -1;
	return MUR_OK;
}

static void lower_copy(char *dst, size_t n, const char *src)
{
	size_t i = 0;
	for (; src && src[i] && i + 1 < n; i++)
		dst[i] = (char)tolower((unsigned char)src[i]);
	dst[i] = '\0';
}

/* A constant's text as SET shows it ("" for NULL or a non-constant). */
static void const_text(const PgQuery__Node *a, char *out, size_t n)
{
	out[0] = '\0';
	if (!a || a->node_case != PG_QUERY__NODE__NODE_A_CONST)
		return;
	switch (a->a_const->val_case) {
	case PG_QUERY__A__CONST__VAL_SVAL:
		snprintf(out, n, "%s", a->a_const->sval->sval);
		break;
	case PG_QUERY__A__CONST__VAL_IVAL:
		snprintf(out, n, "%d", a->a_const->ival->ival);
		break;
	case PG_QUERY__A__CONST__VAL_FVAL:
		snprintf(out, n, "%s", a->a_const->fval->fval);
		break;
	case PG_QUERY__A__CONST__VAL_BOOLVAL:
		snprintf(out, n, "%s", a->a_const->boolval->boolval ? "on" : "off");
		break;
	default:
		break;
	}
}

static int bool_text_true(const char *v)
{
	static const char *const yes[] = {"on", "true", "1", "yes", "t", "y"};
	for (size_t i = 0; i < sizeof yes / sizeof yes[0]; i++)
		if (!strcasecmp(v, yes[i]))
			return 1;
	return 0;
}

/* 0A000 for a transaction characteristic murphy does not provide. */
static int txn_refuse(sql_ctx *c, const char *what)
{
	sql_err(c, SQLSTATE_FEATURE_NOT_SUPPORTED, -1,
		"murphy does not support %s yet: its transactions run at READ COMMITTED, "
		"read-write",
		what);
	mur_error_hint(c->err,
		       "Use BEGIN (or no transaction block) at READ COMMITTED, read-write.");
	return MUR_ERR;
}

/* One transaction characteristic, by its GUC or DefElem name
 * (transaction_isolation, transaction_read_only, their default_ forms,
 * transaction_deferrable) and value text: MUR_OK when murphy provides it. */
static int txn_characteristic(sql_ctx *c, const char *name, const char *value, int block)
{
	char what[96];
	if (strstr(name, "transaction_isolation")) {
		if (!value[0] || !strcasecmp(value, "default") ||
		    !strcasecmp(value, "read committed") ||
		    !strcasecmp(value, "read uncommitted") || !strcasecmp(value, "serializable") ||
		    !strcasecmp(value, "repeatable read"))
			return MUR_OK;
		snprintf(what, sizeof what, "ISOLATION LEVEL %.40s", value);
		for (char *p = what; *p; p++)
			*p = (char)toupper((unsigned char)*p);
		return txn_refuse(c, what);
	}
	if (strstr(name, "transaction_read_only") && bool_text_true(value) && !block)
		return txn_refuse(c, "READ ONLY as a session default");
	return MUR_OK;
}

/* The DefElems of BEGIN / START TRANSACTION / SET TRANSACTION / SET
 * SESSION CHARACTERISTICS; the isolation level asked for, lower-case, goes
 * to isolation ("" when none). */
static int txn_options(sql_ctx *c, PgQuery__Node **opts, size_t n, plan_set *ps, int block)
{
	char *isolation = ps->value;
	size_t cap = sizeof ps->value;
	isolation[0] = '\0';
	for (size_t i = 0; i < n; i++) {
		char v[64];
		if (opts[i]->node_case != PG_QUERY__NODE__NODE_DEF_ELEM)
			continue;
		const_text(opts[i]->def_elem->arg, v, sizeof v);
		if (txn_characteristic(c, opts[i]->def_elem->defname, v, block) != MUR_OK)
			return MUR_ERR;
		if (!strcmp(opts[i]->def_elem->defname, "transaction_isolation"))
			lower_copy(isolation, cap, v);
		if (!strcmp(opts[i]->def_elem->defname, "transaction_read_only"))
			ps->read_only = bool_text_true(v) ? 1 : -1;
	}
	return MUR_OK;
}

/* SET TIME ZONE INTERVAL '+02:00' HOUR TO MINUTE: a fixed offset, named
 * as PostgreSQL names it ("<+02>-02"); months or days are 22023. */
static int set_tz_interval(sql_ctx *c, const PgQuery__TypeCast *tc, plan_set *ps)
{
	char text[128];
	mur_interval iv;
	const mur_tz *z;
	const_text(tc->arg, text, sizeof text);
	if (mur_iv_parse(text, strlen(text), &iv, c->err) != MUR_OK)
		return MUR_ERR;
	if (iv.months || iv.days)
		return sql_err(c, SQLSTATE_INVALID_PARAMETER_VALUE, -1,
			       "invalid value for parameter \"TimeZone\": \"INTERVAL '%s'\"", text);
	if (!(z = mur_tz_fixed((int32_t)(iv.us / 1000000), c->err)))
		return MUR_ERR;
	snprintf(ps->value, sizeof ps->value, "%s", mur_tz_name(z));
	return MUR_OK;
}

static int set_value(sql_ctx *c, PgQuery__VariableSetStmt *s, plan_set *ps)
{
	if (!strcmp(ps->name, "timezone") && s->n_args == 1 &&
	    s->args[0]->node_case == PG_QUERY__NODE__NODE_TYPE_CAST &&
	    s->args[0]->type_cast->arg->node_case == PG_QUERY__NODE__NODE_A_CONST)
		return set_tz_interval(c, s->args[0]->type_cast, ps);
	size_t len = 0;
	for (size_t i = 0; i < s->n_args; i++) {
		PgQuery__Node *a = s->args[i];
		char one[256];
		if (a->node_case != PG_QUERY__NODE__NODE_A_CONST)
			return sql_err(c, SQLSTATE_FEATURE_NOT_SUPPORTED, -1,
				       "murphy supports only constant values in SET");
		const_text(a, one, sizeof one);
		len += (size_t)snprintf(ps->value + len, sizeof ps->value - len, "%s%s",
					i ? ", " : "", one);
		if (len >= sizeof ps->value)
			return sql_err(c, SQLSTATE_PROGRAM_LIMIT_EXCEEDED, -1,
				       "SET value is too long");
	}
	return MUR_OK;
}

/* PostgreSQL's planner method and cost settings (its "Query Tuning"
 * group), which murphy's planner does not read: SET / RESET of one is
 * 0A000 naming it, not 42704 as if PostgreSQL had no such setting, and
 * never taken and ignored. */
static int pg_planner_setting(const char *name)
{
	static const char *const others[] = {"constraint_exclusion",
					     "geqo",
					     "jit",
					     "cursor_tuple_fraction",
					     "default_statistics_target",
					     "effective_cache_size",
					     "force_parallel_mode",
					     "from_collapse_limit",
					     "join_collapse_limit",
					     "min_parallel_index_scan_size",
					     "min_parallel_table_scan_size",
					     "parallel_leader_participation",
					     "plan_cache_mode",
					     "recursive_worktuple_fraction",
					     NULL};
	size_t n = strlen(name);
	if (!strncmp(name, "enable_", 7) || !strncmp(name, "geqo_", 5) ||
	    (n > 5 && !strcmp(name + n - 5, "_cost")))
		return 1;
	for (int i = 0; others[i]; i++)
		if (!strcmp(name, others[i]))
			return 1;
	return 0;
}

int sql_plan_set(sql_ctx *c, PgQuery__VariableSetStmt *s, plan *p)
{
	plan_set *ps = &p->u.set;
	p->kind = PLAN_SET;
	p->tag = "SET";
	lower_copy(ps->name, sizeof ps->name, s->name);
	ps->is_local = s->is_local;
	if (pg_planner_setting(ps->name))
		return sql_err(c, SQLSTATE_FEATURE_NOT_SUPPORTED, -1,
			       "murphy does not support PostgreSQL's planner setting \"%s\" (its "
			       "own planner has murphy.join_strategy and "
			       "murphy.shuffle_strategy)",
			       ps->name);
	if (!strcmp(ps->name, "work_mem") || !strcmp(ps->name, "max_parallel_workers_per_gather"))
		return sql_err(c, SQLSTATE_FEATURE_NOT_SUPPORTED, -1,
			       "murphy does not support PostgreSQL's resource setting \"%s\" (its "
			       "followers run each shard's part in SQLite, which has no such "
			       "limit)",
			       ps->name);
	switch (s->kind) {
	case PG_QUERY__VARIABLE_SET_KIND__VAR_SET_VALUE:
		if (set_value(c, s, ps) != MUR_OK)
			return MUR_ERR;
		return txn_characteristic(c, ps->name, ps->value, 0);
	case PG_QUERY__VARIABLE_SET_KIND__VAR_SET_DEFAULT:
		ps->is_default = 1;
		return MUR_OK;
	case PG_QUERY__VARIABLE_SET_KIND__VAR_RESET:
		p->tag = "RESET";
		ps->is_default = 1;
		return MUR_OK;
	case PG_QUERY__VARIABLE_SET_KIND__VAR_RESET_ALL:
		p->tag = "RESET";
		snprintf(ps->name, sizeof ps->name, "all");
		ps->is_default = 1;
		return MUR_OK;
	case PG_QUERY__VARIABLE_SET_KIND__VAR_SET_MULTI:
		/* SET TRANSACTION ... / SET SESSION CHARACTERISTICS AS TRANSACTION ...:
		 * accepted when they describe what murphy does */
		if (!strcmp(ps->name, "transaction snapshot"))
			return txn_refuse(c, "SET TRANSACTION SNAPSHOT");
		if (txn_options(c, s->args, s->n_args, ps, !strcmp(ps->name, "transaction")) !=
		    MUR_OK)
			return MUR_ERR;
		if (!ps->value[0] && ps->read_only && !strcmp(ps->name, "transaction")) {
			snprintf(ps->name, sizeof ps->name, "transaction_read_only");
			snprintf(ps->value, sizeof ps->value, "%s",
				 ps->read_only > 0 ? "on" : "off");
			return MUR_OK;
		}
		if (!ps->value[0]) {
			p->kind = PLAN_NOOP;
			return MUR_OK;
		}
		snprintf(ps->name, sizeof ps->name, "%s",
			 !strcmp(ps->name, "transaction") ? "transaction_isolation"
							  : "default_transaction_isolation");
		return MUR_OK;
	default:
		return sql_err(c, SQLSTATE_FEATURE_NOT_SUPPORTED, -1,
			       "murphy does not support SET ... FROM CURRENT yet");
	}
}

int sql_plan_alter_system(sql_ctx *c, PgQuery__AlterSystemStmt *s, plan *p)
{
	if (!s->setstmt || s->setstmt->kind == PG_QUERY__VARIABLE_SET_KIND__VAR_RESET_ALL ||
	    s->setstmt->kind == PG_QUERY__VARIABLE_SET_KIND__VAR_SET_MULTI)
		return sql_err(c, SQLSTATE_FEATURE_NOT_SUPPORTED, -1,
			       "murphy supports ALTER SYSTEM SET name = value and ALTER SYSTEM "
			       "RESET name only");
	if (sql_plan_set(c, s->setstmt, p) != MUR_OK)
		return MUR_ERR;
	p->tag = "ALTER SYSTEM";
	p->u.set.is_system = 1;
	return MUR_OK;
}

int sql_plan_show(sql_ctx *c, PgQuery__VariableShowStmt *s, plan *p)
{
	p->kind = PLAN_SHOW;
	p->tag = "SHOW";
	lower_copy(p->u.set.name, sizeof p->u.set.name, s->name);
	if (!strcmp(p->u.set.name, "all"))
		return sql_plan_show_all(c, p);
	p->nout = 1;
	if (!(p->out = sql_alloc(c, sizeof(plan_column))))
		return MUR_ERR;
	snprintf(p->out[0].name, sizeof p->out[0].name, "%s", p->u.set.name);
	p->out[0].type = MT_TEXT;
	p->out[0].typmod = -1;
	return MUR_OK;
}

/* The savepoint a SAVEPOINT / RELEASE / ROLLBACK TO names. */
static int savepoint_name(sql_ctx *c, const PgQuery__TransactionStmt *s, plan *p)
{
	const char *n = s->savepoint_name ? s->savepoint_name : "";
	if (!n[0] || strlen(n) >= sizeof p->u.savepoint.name)
		return sql_err(c, SQLSTATE_SYNTAX_ERROR, -1, "invalid savepoint name \"%s\"", n);
	snprintf(p->u.savepoint.name, sizeof p->u.savepoint.name, "%s", n);
	return MUR_OK;
}

int sql_plan_transaction(sql_ctx *c, PgQuery__TransactionStmt *s, plan *p)
{
	if (s->chain)
		return sql_err(c, SQLSTATE_FEATURE_NOT_SUPPORTED, -1,
			       "murphy does not support AND CHAIN yet");
	switch (s->kind) {
	case PG_QUERY__TRANSACTION_STMT_KIND__TRANS_STMT_BEGIN:
		p->kind = PLAN_BEGIN;
		p->tag = "BEGIN";
		return txn_options(c, s->options, s->n_options, &p->u.set, 1);
	case PG_QUERY__TRANSACTION_STMT_KIND__TRANS_STMT_START:
		p->kind = PLAN_BEGIN;
		p->tag = "START TRANSACTION";
		return txn_options(c, s->options, s->n_options, &p->u.set, 1);
	case PG_QUERY__TRANSACTION_STMT_KIND__TRANS_STMT_COMMIT:
		p->kind = PLAN_COMMIT;
		p->tag = "COMMIT";
		return MUR_OK;
	case PG_QUERY__TRANSACTION_STMT_KIND__TRANS_STMT_ROLLBACK:
		p->kind = PLAN_ROLLBACK;
		p->tag = "ROLLBACK";
		return MUR_OK;
	case PG_QUERY__TRANSACTION_STMT_KIND__TRANS_STMT_SAVEPOINT:
		p->kind = PLAN_SAVEPOINT;
		p->tag = "SAVEPOINT";
		return savepoint_name(c, s, p);
	case PG_QUERY__TRANSACTION_STMT_KIND__TRANS_STMT_RELEASE:
		p->kind = PLAN_RELEASE;
		p->tag = "RELEASE";
		return savepoint_name(c, s, p);
	case PG_QUERY__TRANSACTION_STMT_KIND__TRANS_STMT_ROLLBACK_TO:
		p->kind = PLAN_ROLLBACK_TO;
		p->tag = "ROLLBACK";
		return savepoint_name(c, s, p);
	default:
		return txn_refuse(c, "two-phase commit commands");
	}
}

int sql_plan_writes(const plan *p)
{
	switch (p->kind) {
	case PLAN_INSERT:
	case PLAN_MODIFY:
	case PLAN_TRUNCATE:
	case PLAN_COPY_FROM:
	case PLAN_CREATE_TABLE:
	case PLAN_DROP_TABLE:
	case PLAN_CREATE_INDEX:
	case PLAN_DROP_INDEX:
	case PLAN_ALTER:
	case PLAN_SEQUENCE:
	case PLAN_ROLE:
	case PLAN_GRANT:
		return 1;
	case PLAN_EXPLAIN:
		return p->u.explain.analyze && sql_plan_writes(p->u.explain.inner);
	default:
		return 0;
	}
}

int sql_plan_writes_table(const plan *p, uint32_t table_id)
{
	switch (p->kind) {
	case PLAN_INSERT:
		return !table_id || p->u.insert.table->id == table_id;
	case PLAN_MODIFY:
		return !table_id || p->u.modify.table->id == table_id;
	case PLAN_COPY_FROM:
		return !table_id || p->u.copy.table->id == table_id;
	case PLAN_TRUNCATE:
		for (int i = 0; i < p->u.truncate.ntables; i++)
			if (!table_id || p->u.truncate.tables[i]->id == table_id)
				return 1;
		return 0;
	case PLAN_EXPLAIN:
		return p->u.explain.analyze && sql_plan_writes_table(p->u.explain.inner, table_id);
	default:
		return sql_plan_writes(p); /* DDL, roles: taken as writing every table */
	}
}
