/*
 * plan_ddl.c — CREATE TABLE, DROP TABLE / DROP INDEX, CREATE INDEX,
 * ALTER TABLE ADD PRIMARY KEY / UNIQUE.
 *
 * CREATE TABLE builds the catalog definition (plan_create_table.def) and
 * the DDL every placement runs (shard_ddl: a STRICT SQLite table with
 * murphy's storage classes, NOT NULL and key constraints; defaults are not
 * there because the leader evaluates them at INSERT), followed by the
 * triggers of its CHECK constraints (plan_check.c, defined in the order
 * written, as PostgreSQL names them).  ALTER TABLE ADD UNIQUE's index is
 * the catalog's, marked as a constraint's, which DROP CONSTRAINT drops
 * (drop_unique); so are CREATE TABLE's UNIQUE constraints (unique_defs:
 * PostgreSQL's names; each shard's DDL builds them after the table).
 *
 * Distribution column: PARTITION BY HASH (col), else the first PRIMARY KEY
 * column, else the first column when it is an integer declared NOT NULL
 * (an id: pgbench's tables, whose keys come later by ALTER TABLE), else a
 * hidden CAT_HIDDEN_ROWID column the executor fills.
 * Every shard table has a SQLite PRIMARY KEY: SQLite's session extension,
 * which captures a write's changes for the replicas (storage/capture.c),
 * records only tables with one, so a table that declares none gets the
 * hidden row id as its shard key (also beside PARTITION BY col).
 * Uniqueness is enforced inside each shard, so every PRIMARY KEY / UNIQUE
 * constraint / unique index must contain the distribution column (0A000
 * otherwise, saying why, as Citus) — unless every row is in one shard
 * (cat_table_single_shard): a reference table, or a table without a
 * distribution key in one shard.  A table that declares UNIQUE but no key
 * and no PARTITION BY is such a table: it gets one shard (WITH (shards =
 * N) of more is the 0A000), which a shard split then leaves alone
 * (repl_split.c); ALTER TABLE ADD PRIMARY KEY / UNIQUE and CREATE UNIQUE
 * INDEX take any key on it, as on a reference table.
 *
 * WITH (distribution = 'reference'): one shard copied to every follower
 * (catalog.h).  It has no partition key, shard count or replica count of
 * its own, so PARTITION BY, shards > 1 and replicas are refused; any
 * unique key can be enforced (there is one shard).  The key (or hidden row
 * id) still plays the distribution column's part for writes: every value
 * hashes to shard 0.
 *
 * PARTITION BY RANGE (col): shards hold ranges of col's values, split at
 * WITH (range_bounds = 'v1,...') (plan_range.c; none: one shard).  The
 * combinations that make no sense are 42P16: range_bounds or distribution =
 * 'range' without PARTITION BY RANGE, distribution = 'hash' or 'reference'
 * with it, shards = N that is not the number of ranges.
 *
 * ALTER TABLE t ADD [CONSTRAINT name] PRIMARY KEY | UNIQUE (cols)
 * (pgbench -i adds its keys so): a unique index
 * (named as PostgreSQL names the constraint, t_pkey) built on every
 * placement, under the same rule as CREATE TABLE's keys (the distribution
 * column in the key); a primary key's columns must already be NOT NULL
 * (declared, or by ALTER COLUMN SET NOT NULL first) and become the table's
 * key in the catalog once every placement has the index.  Duplicates fail
 * the index with 23505 and the executor drops it again wherever it was
 * built (undo_ddl).  The actions that change the table's shape are
 * plan_alter.c's; every other action is 0A000 naming it.
 *
 * WITH (fillfactor = N) is checked (10..100, as PostgreSQL) and ignored:
 * it packs PostgreSQL's heap pages, SQLite has nothing it could set.
 * Every other storage option is 0A000 naming it.
 */
#include "sql/sqlInt.h"

#include "catalog/catalog_fkey.h"
#include "common/bpchar.h"
#include "common/numeric.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define SQL_DEFAULT_REPLICAS 3 /* design.md: replication factor 3, capped by the followers */
#define SQL_UNIQUE_MAX 16
#define SQL_FKEYS_MAX 16 /* FOREIGN KEY constraints per CREATE TABLE */
/* WITH (fillfactor = N): PostgreSQL's bounds for tables (reloptions.c) */
#define SQL_FILLFACTOR_MIN 10
#define SQL_FILLFACTOR_MAX 100

typedef struct key_def {
	int ncols;
	int cols[CAT_COLUMNS_MAX];
	int loc;
} key_def;

typedef struct table_build {
	cat_table *t;
	key_def pk;
	int has_pk;
	int nunique;
	key_def unique[SQL_UNIQUE_MAX];
	const char *unique_name[SQL_UNIQUE_MAX]; /* CONSTRAINT name, or NULL */
	const char *dist_name;
	int dist_loc;
	int shards_loc,
		replicas_loc;     /* WITH (shards / replicas = ...) given: its location, else -1 */
	int shards_opt;           /* WITH (shards = N): N, else 0 */
	int distribution_loc;     /* WITH (distribution = ...) given: its location, else -1 */
	int range;                /* PARTITION BY RANGE */
	const char *range_bounds; /* WITH (range_bounds = '...'), or NULL */
	int bounds_loc;
	key_def shard_key; /* no PRIMARY KEY declared: the hidden row id */
	int nfk;           /* FOREIGN KEY constraints, checked once the table is whole */
	PgQuery__Constraint *fk[SQL_FKEYS_MAX];
	int fk_col[SQL_FKEYS_MAX]; /* the column it is declared on, -1: a table constraint */
	int nck;                   /* CHECK constraints, defined once the table is whole */
	PgQuery__Constraint *ck[CAT_CHECKS_MAX];
} table_build;

static int add_check(sql_ctx *c, table_build *tb, PgQuery__Constraint *k)
{
	if (tb->nck >= CAT_CHECKS_MAX)
		return sql_err(c, SQLSTATE_PROGRAM_LIMIT_EXCEEDED, k->location,
			       "murphy keeps at most %d CHECK constraints per table",
			       CAT_CHECKS_MAX);
	tb->ck[tb->nck++] = k;
	return MUR_OK;
}

static int unsupported(sql_ctx *c, int loc, const char *what)
{
	return sql_err(c, SQLSTATE_FEATURE_NOT_SUPPORTED, loc, "murphy does not support %s yet",
		       what);
}

/* A constant default of a char(n) column, padded as stored: the rows
 * ALTER TABLE ... ADD COLUMN gives it read SQLite's default as written.
 * One that does not fit stays as it is (the write fails with 22001, as in
 * PostgreSQL). */
static sql_expr *padded_default(sql_ctx *c, const cat_column *col, sql_expr *e)
{
	mur_buf b;
	sql_expr *p = e;
	if (col->type != MT_BPCHAR || col->typmod <= 0 || e->kind != SE_CONST ||
	    e->val.kind != MV_TEXT)
		return e;
	mur_buf_init(&b);
	if (mur_bpchar_fit(e->val.s, e->val.len, col->typmod, 1, 0, &b) == MUR_OK &&
	    mur_buf_ok(&b)) {
		mur_buf_put_u8(&b, 0);
		p = mur_buf_ok(&b) ? sql_make_const_text(c, b.data) : NULL;
	}
	mur_buf_free(&b);
	return p;
}

static int column_default(sql_ctx *c, cat_column *col, PgQuery__Node *raw)
{
	sql_query *saved = c->q;
	int nparams = *c->nparams;
	sql_expr *e;
	mur_buf b;
	sql_emit em = {&b, NULL, 0};
	if (col->default_sql) /* SERIAL or IDENTITY gave it one */
		return sql_err(c, SQLSTATE_SYNTAX_ERROR, -1,
			       "multiple default values specified for column \"%s\"", col->name);
	c->q = NULL;
	c->agg_ok = 0;
	c->agg_where = "DEFAULT expressions";
	e = sql_analyze_expr(c, raw);
	c->q = saved;
	if (!e)
		return MUR_ERR;
	if (*c->nparams != nparams)
		return sql_err(c, SQLSTATE_FEATURE_NOT_SUPPORTED, e->loc,
			       "cannot use parameters in DEFAULT expressions");
	switch (sql_nextval_default(c, col, e)) { /* filled per row by COPY too */
	case 1:
		return MUR_OK;
	case -1:
		return MUR_ERR;
	default:
		break;
	}
	if (mur_type_is_text(col->type) && e->type != MT_UNKNOWN && !mur_type_is_text(e->type))
		e = sql_make_cast(c, e, col->type, e->loc);
	else
		e = sql_coerce(c, e, col->type, col->name);
	if (!e || !(e = padded_default(c, col, e)))
		return MUR_ERR;
	mur_buf_init(&b);
	sql_emit_expr(&em, e);
	return (col->default_sql = (char *)sql_buf_finish(c, &b)) ? MUR_OK : MUR_ERR;
}

static int key_from_names(sql_ctx *c, const cat_table *t, PgQuery__Node **keys, size_t n,
			  key_def *k, int loc)
{
	k->ncols = 0;
	k->loc = loc;
	for (size_t i = 0; i < n; i++) {
		const char *name = keys[i]->node_case == PG_QUERY__NODE__NODE_STRING
					   ? keys[i]->string->sval
					   : "";
		int col = cat_column_index(t, name);
		if (col < 0)
			return sql_err(c, SQLSTATE_UNDEFINED_COLUMN, loc,
				       "column \"%s\" named in key does not exist", name);
		k->cols[k->ncols++] = col;
	}
	return MUR_OK;
}

static int add_unique(sql_ctx *c, table_build *tb, key_def *k, const char *conname)
{
	if (tb->nunique >= SQL_UNIQUE_MAX)
		return sql_err(c, SQLSTATE_PROGRAM_LIMIT_EXCEEDED, k->loc,
			       "murphy supports at most %d UNIQUE constraints per table",
			       SQL_UNIQUE_MAX);
	tb->unique_name[tb->nunique] = conname && *conname ? conname : NULL;
	tb->unique[tb->nunique++] = *k;
	return MUR_OK;
}

static int set_pk(sql_ctx *c, table_build *tb, key_def *k)
{
	if (tb->has_pk)
		return sql_err(c, SQLSTATE_INVALID_TABLE_DEFINITION, k->loc,
			       "multiple primary keys for table \"%s\" are not allowed",
			       tb->t->name);
	tb->pk = *k;
	tb->has_pk = 1;
	return MUR_OK;
}

static int add_fk(sql_ctx *c, table_build *tb, int col, PgQuery__Constraint *k)
{
	if (tb->nfk >= SQL_FKEYS_MAX)
		return sql_err(c, SQLSTATE_PROGRAM_LIMIT_EXCEEDED, k->location,
			       "murphy supports at most %d foreign keys per table", SQL_FKEYS_MAX);
	tb->fk_col[tb->nfk] = col;
	tb->fk[tb->nfk++] = k;
	return MUR_OK;
}

/* The table's foreign keys, once its distribution is chosen. */
static int build_fkeys(sql_ctx *c, table_build *tb, plan_create_table *pc)
{
	if (!tb->nfk)
		return MUR_OK;
	if (!(pc->fkeys = sql_alloc(c, sizeof *pc->fkeys * (size_t)tb->nfk)))
		return MUR_ERR;
	for (int i = 0; i < tb->nfk; i++)
		if (sql_fkey_build(c, tb->t, tb->fk_col[i], tb->fk[i], &pc->fkeys[pc->nfkeys++]) !=
		    MUR_OK)
			return MUR_ERR;
	return MUR_OK;
}

static int column_constraint(sql_ctx *c, table_build *tb, int ci, PgQuery__Constraint *k)
{
	cat_column *col = &tb->t->cols[ci];
	key_def kd = {.ncols = 1, .cols = {ci}, .loc = k->location};
	switch (k->contype) {
	case PG_QUERY__CONSTR_TYPE__CONSTR_NOTNULL:
		col->not_null = 1;
		return MUR_OK;
	case PG_QUERY__CONSTR_TYPE__CONSTR_NULL:
		return MUR_OK;
	case PG_QUERY__CONSTR_TYPE__CONSTR_DEFAULT:
		return column_default(c, col, k->raw_expr);
	case PG_QUERY__CONSTR_TYPE__CONSTR_PRIMARY:
		return set_pk(c, tb, &kd);
	case PG_QUERY__CONSTR_TYPE__CONSTR_UNIQUE:
		return add_unique(c, tb, &kd, k->conname);
	case PG_QUERY__CONSTR_TYPE__CONSTR_CHECK:
		return add_check(c, tb, k);
	case PG_QUERY__CONSTR_TYPE__CONSTR_FOREIGN:
		return add_fk(c, tb, ci, k);
	case PG_QUERY__CONSTR_TYPE__CONSTR_IDENTITY:
		col->identity = k->generated_when && *k->generated_when == 'a'
					? CAT_IDENTITY_ALWAYS
					: CAT_IDENTITY_BY_DEFAULT;
		return sql_owned_sequence(c, tb->t, ci, k->options, k->n_options);
	case PG_QUERY__CONSTR_TYPE__CONSTR_GENERATED:
		return unsupported(c, k->location, "generated columns");
	default:
		return unsupported(c, k->location, "this column constraint");
	}
}

static int column_def(sql_ctx *c, table_build *tb, PgQuery__ColumnDef *cd)
{
	cat_table *t = tb->t;
	cat_column *col;
	if (t->ncols >= CAT_COLUMNS_MAX - 1)
		return sql_err(c, SQLSTATE_PROGRAM_LIMIT_EXCEEDED, cd->location,
			       "tables can have at most %d columns", CAT_COLUMNS_MAX - 1);
	if (cat_column_index(t, cd->colname) >= 0)
		return sql_err(c, "42701", cd->location, "column \"%s\" specified more than once",
			       cd->colname);
	if (strlen(cd->colname) >= CAT_NAME_MAX)
		return sql_err(c, SQLSTATE_PROGRAM_LIMIT_EXCEEDED, cd->location,
			       "column name \"%s\" is too long", cd->colname);
	if (cd->coll_clause)
		return unsupported(c, cd->location, "COLLATE");
	col = &t->cols[t->ncols++];
	snprintf(col->name, sizeof col->name, "%s", cd->colname);
	if ((col->type = sql_serial_type(cd->type_name)) != MT_UNKNOWN) {
		col->typmod = -1; /* SERIAL: an integer with its own sequence (plan_seq.c) */
		if (sql_owned_sequence(c, t, t->ncols - 1, NULL, 0) != MUR_OK)
			return MUR_ERR;
	} else if ((col->type = sql_type_from_typename(c, cd->type_name, &col->typmod)) ==
		   MT_UNKNOWN) {
		return MUR_ERR;
	} else if (col->type == MT_INTERVAL && col->typmod >= 0) { /* not applied on write */
		return unsupported(c, cd->type_name->location,
				   "interval fields or precision in a column type "
				   "(interval hour to minute, interval(p))");
	}
	col->not_null |= cd->is_not_null;
	if (cd->raw_default && column_default(c, col, cd->raw_default) != MUR_OK)
		return MUR_ERR;
	for (size_t i = 0; i < cd->n_constraints; i++)
		if (column_constraint(c, tb, t->ncols - 1, cd->constraints[i]->constraint) !=
		    MUR_OK)
			return MUR_ERR;
	return MUR_OK;
}

static int table_constraint(sql_ctx *c, table_build *tb, PgQuery__Constraint *k)
{
	key_def kd;
	switch (k->contype) {
	case PG_QUERY__CONSTR_TYPE__CONSTR_PRIMARY:
		return key_from_names(c, tb->t, k->keys, k->n_keys, &kd, k->location)
			       ?: set_pk(c, tb, &kd);
	case PG_QUERY__CONSTR_TYPE__CONSTR_UNIQUE:
		return key_from_names(c, tb->t, k->keys, k->n_keys, &kd, k->location)
			       ?: add_unique(c, tb, &kd, k->conname);
	case PG_QUERY__CONSTR_TYPE__CONSTR_CHECK:
		return add_check(c, tb, k);
	case PG_QUERY__CONSTR_TYPE__CONSTR_FOREIGN:
		return add_fk(c, tb, -1, k);
	default:
		return unsupported(c, k->location, "this table constraint");
	}
}

int sql_ddl_add_column(sql_ctx *c, cat_table *t, PgQuery__ColumnDef *cd)
{
	table_build tb;
	memset(&tb, 0, sizeof tb);
	tb.t = t;
	if (t->ncols < CAT_COLUMNS_MAX) /* the copied table's unused slot */
		memset(&t->cols[t->ncols], 0, sizeof t->cols[0]);
	if (column_def(c, &tb, cd) != MUR_OK)
		return MUR_ERR;
	if (tb.has_pk || tb.nunique > 0)
		return unsupported(c, cd->location,
				   "ALTER TABLE ... ADD COLUMN with PRIMARY KEY or UNIQUE (add the "
				   "column, then ADD CONSTRAINT)");
	if (tb.nck > 0)
		return unsupported(c, cd->location,
				   "ALTER TABLE ... ADD COLUMN with CHECK (add the column, then "
				   "ADD "
				   "CONSTRAINT ... CHECK)");
	if (t->nnew_seqs > 0)
		return unsupported(c, cd->location,
				   "ALTER TABLE ... ADD COLUMN of a serial or identity column");
	return MUR_OK;
}

int sql_ddl_set_default(sql_ctx *c, cat_column *col, PgQuery__Node *raw)
{
	col->default_sql = NULL;
	return raw ? column_default(c, col, raw) : MUR_OK;
}

static int option_int(sql_ctx *c, PgQuery__DefElem *d, int min, int max, int *out)
{
	long v = -1;
	if (d->arg && d->arg->node_case == PG_QUERY__NODE__NODE_INTEGER)
		v = d->arg->integer->ival;
	else if (d->arg && d->arg->node_case == PG_QUERY__NODE__NODE_STRING)
		v = strtol(d->arg->string->sval, NULL, 10);
	if (v < min || v > max)
		return sql_err(c, SQLSTATE_INVALID_PARAMETER_VALUE, d->location,
			       "%s must be between %d and %d", d->defname, min, max);
	*out = (int)v;
	return MUR_OK;
}

/* An option's value as text: a string, a bare word or a number. */
static const char *option_text(sql_ctx *c, PgQuery__DefElem *d)
{
	if (d->arg && d->arg->node_case == PG_QUERY__NODE__NODE_STRING)
		return d->arg->string->sval;
	if (d->arg && d->arg->node_case == PG_QUERY__NODE__NODE_INTEGER)
		return sql_arena_printf(c->arena, "%d", d->arg->integer->ival);
	if (d->arg && d->arg->node_case == PG_QUERY__NODE__NODE_FLOAT)
		return d->arg->float_->fval;
	if (d->arg && d->arg->node_case == PG_QUERY__NODE__NODE_TYPE_NAME &&
	    d->arg->type_name->n_names > 0 &&
	    d->arg->type_name->names[d->arg->type_name->n_names - 1]->node_case ==
		    PG_QUERY__NODE__NODE_STRING)
		return d->arg->type_name->names[d->arg->type_name->n_names - 1]->string->sval;
	return "";
}

/* distribution = 'hash' | 'reference' | 'range' (quoted or a bare word). */
static int option_distribution(sql_ctx *c, PgQuery__DefElem *d, cat_distribution *out)
{
	const char *v = option_text(c, d);
	if (!v)
		return sql_err_oom(c);
	if (!strcasecmp(v, "hash"))
		*out = CAT_DIST_HASH;
	else if (!strcasecmp(v, "reference"))
		*out = CAT_DIST_REFERENCE;
	else if (!strcasecmp(v, "range"))
		*out = CAT_DIST_RANGE;
	else {
		sql_err(c, SQLSTATE_INVALID_PARAMETER_VALUE, d->location,
			"invalid value for table option \"distribution\": \"%s\"", v);
		mur_error_hint(c->err, "Available values: hash (the default), reference, range "
				       "(with PARTITION BY RANGE).");
		return MUR_ERR;
	}
	return MUR_OK;
}

static int table_options(sql_ctx *c, table_build *tb, PgQuery__CreateStmt *s)
{
	tb->shards_loc = tb->replicas_loc = tb->distribution_loc = tb->bounds_loc = -1;
	for (size_t i = 0; i < s->n_options; i++) {
		PgQuery__DefElem *d = s->options[i]->def_elem;
		int v;
		if (!strcmp(d->defname, "shards")) {
			if (option_int(c, d, 1, CAT_SHARDS_MAX, &v) != MUR_OK)
				return MUR_ERR;
			tb->t->nshards = (uint32_t)v;
			tb->shards_opt = v;
			tb->shards_loc = v > 1 ? d->location
					       : -1; /* shards = 1 fits a reference table */
		} else if (!strcmp(d->defname, "replicas")) {
			if (option_int(c, d, 1, CAT_REPLICAS_MAX, &v) != MUR_OK)
				return MUR_ERR;
			tb->t->replicas = v;
			tb->replicas_loc = d->location;
		} else if (!strcmp(d->defname, "distribution")) {
			if (option_distribution(c, d, &tb->t->distribution) != MUR_OK)
				return MUR_ERR;
			tb->distribution_loc = d->location;
		} else if (!strcmp(d->defname, "fillfactor")) {
			/* a page-packing hint for PostgreSQL's heap: SQLite's
			 * b-trees have no such knob (docs/decisions.md); checked
			 * as PostgreSQL checks it, then ignored */
			if (option_int(c, d, SQL_FILLFACTOR_MIN, SQL_FILLFACTOR_MAX, &v) != MUR_OK)
				return MUR_ERR;
		} else if (!strcmp(d->defname, "range_bounds")) {
			if (!(tb->range_bounds = option_text(c, d)))
				return sql_err_oom(c);
			tb->bounds_loc = d->location;
		} else {
			return sql_err(c, SQLSTATE_FEATURE_NOT_SUPPORTED, d->location,
				       "murphy does not support table option \"%s\"", d->defname);
		}
	}
	return MUR_OK;
}

static int partition_spec(sql_ctx *c, table_build *tb, PgQuery__PartitionSpec *ps)
{
	PgQuery__PartitionElem *pe;
	if (!ps)
		return MUR_OK;
	tb->range = !strcasecmp(ps->strategy, "range");
	if ((strcasecmp(ps->strategy, "hash") && !tb->range) || ps->n_part_params != 1 ||
	    ps->part_params[0]->node_case != PG_QUERY__NODE__NODE_PARTITION_ELEM ||
	    !ps->part_params[0]->partition_elem->name || !*ps->part_params[0]->partition_elem->name)
		return sql_err(c, SQLSTATE_FEATURE_NOT_SUPPORTED, ps->location,
			       "murphy supports only PARTITION BY HASH (column) and PARTITION BY "
			       "RANGE (column)");
	pe = ps->part_params[0]->partition_elem;
	tb->dist_name = pe->name;
	tb->dist_loc = pe->location;
	return MUR_OK;
}

/* The options that go with PARTITION BY RANGE, and only with it (before
 * the distribution column is chosen). */
static int range_checks(sql_ctx *c, table_build *tb)
{
	cat_table *t = tb->t;
	if (tb->range && tb->distribution_loc >= 0 && t->distribution != CAT_DIST_RANGE) {
		sql_err(c, SQLSTATE_INVALID_TABLE_DEFINITION, tb->distribution_loc,
			"PARTITION BY RANGE conflicts with distribution = 'hash'");
		mur_error_hint(c->err, "Remove the distribution option, or use PARTITION BY HASH.");
		return MUR_ERR;
	}
	if (!tb->range && cat_table_is_range(t)) {
		sql_err(c, SQLSTATE_INVALID_TABLE_DEFINITION, tb->distribution_loc,
			"distribution = 'range' needs PARTITION BY RANGE (column)");
		return MUR_ERR;
	}
	if (!tb->range && tb->bounds_loc >= 0) {
		sql_err(c, SQLSTATE_INVALID_TABLE_DEFINITION, tb->bounds_loc,
			"range_bounds needs PARTITION BY RANGE (column)");
		mur_error_detail(c->err,
				 "range_bounds gives the split points of a range-partitioned "
				 "table; this table is %s.",
				 cat_table_is_reference(t) ? "a reference table"
							   : "hash-distributed");
		mur_error_hint(c->err, "Add PARTITION BY RANGE (column), or remove range_bounds.");
		return MUR_ERR;
	}
	if (tb->range)
		t->distribution = CAT_DIST_RANGE;
	return MUR_OK;
}

/* After the distribution column is known: its type, the split points and
 * the shard count they make. */
static int range_shards(sql_ctx *c, table_build *tb)
{
	cat_table *t = tb->t;
	const cat_column *col;
	if (!tb->range)
		return MUR_OK;
	col = &t->cols[t->dist_col];
	if (!sql_range_type_ok(col->type)) {
		sql_err(c, SQLSTATE_FEATURE_NOT_SUPPORTED, tb->dist_loc,
			"murphy cannot partition by range on column \"%s\" of type %s", col->name,
			sql_type_name(col->type));
		mur_error_hint(c->err, "Range partitioning takes smallint, integer, bigint, date, "
				       "timestamp, timestamptz, text and varchar columns.");
		return MUR_ERR;
	}
	t->nshards = 1;
	t->shards = NULL; /* one shard covering every value until it is split */
	if (tb->range_bounds && sql_range_bounds(c, t, tb->range_bounds, tb->bounds_loc) != MUR_OK)
		return MUR_ERR;
	if (tb->shards_opt && (uint32_t)tb->shards_opt != t->nshards && !tb->range_bounds) {
		sql_err(c, SQLSTATE_INVALID_TABLE_DEFINITION, tb->shards_loc,
			"a range-partitioned table without range_bounds has one shard");
		mur_error_hint(c->err, "Give the split points: WITH (range_bounds = 'v1,v2,...'); "
				       "k of them make k + 1 shards.");
		return MUR_ERR;
	}
	if (tb->shards_opt && (uint32_t)tb->shards_opt != t->nshards) {
		sql_err(c, SQLSTATE_INVALID_TABLE_DEFINITION, tb->bounds_loc,
			"shards = %d disagrees with range_bounds, which make %u shard%s",
			tb->shards_opt, t->nshards, t->nshards == 1 ? "" : "s");
		mur_error_detail(c->err, "k split points make k + 1 shards.");
		mur_error_hint(c->err,
			       "Remove WITH (shards = N): range_bounds decides the shard count.");
		return MUR_ERR;
	}
	return MUR_OK;
}

/* A reference table takes none of the options that shape hash shards. */
static int reference_checks(sql_ctx *c, table_build *tb, PgQuery__CreateStmt *s)
{
	if (!cat_table_is_reference(tb->t))
		return MUR_OK;
	if (s->partspec) {
		sql_err(c, SQLSTATE_INVALID_TABLE_DEFINITION, s->partspec->location,
			"a reference table cannot have PARTITION BY");
		mur_error_detail(c->err, "A reference table has one shard with a copy on every "
					 "follower; there is nothing to partition.");
		return MUR_ERR;
	}
	if (tb->shards_loc >= 0) {
		sql_err(c, SQLSTATE_INVALID_PARAMETER_VALUE, tb->shards_loc,
			"a reference table has exactly one shard");
		mur_error_hint(c->err, "Remove WITH (shards = N), or use distribution = 'hash'.");
		return MUR_ERR;
	}
	if (tb->replicas_loc >= 0) {
		sql_err(c, SQLSTATE_INVALID_PARAMETER_VALUE, tb->replicas_loc,
			"a reference table cannot set replicas");
		mur_error_detail(c->err, "A reference table has a copy on every follower.");
		mur_error_hint(c->err, "Remove WITH (replicas = R).");
		return MUR_ERR;
	}
	tb->t->nshards = 1;
	return MUR_OK;
}

static int key_has(const key_def *k, int col)
{
	for (int i = 0; i < k->ncols; i++)
		if (k->cols[i] == col)
			return 1;
	return 0;
}

static int key_error(sql_ctx *c, const cat_table *t, const key_def *k, const char *what)
{
	char cols[256] = "";
	size_t n = 0;
	for (int i = 0; i < k->ncols && n < sizeof cols - 70; i++)
		n += (size_t)snprintf(cols + n, sizeof cols - n, "%s%s", i ? ", " : "",
				      t->cols[k->cols[i]].name);
	if (t->cols[t->dist_col].hidden) /* no key: spread by the hidden row id */
		sql_err(c, SQLSTATE_FEATURE_NOT_SUPPORTED, k->loc,
			"murphy cannot enforce %s (%s) on \"%s\": the table has no distribution "
			"column and more than one shard (its rows are spread over the shards by a "
			"hidden row id)",
			what, cols, t->name);
	else
		sql_err(c, SQLSTATE_FEATURE_NOT_SUPPORTED, k->loc,
			"murphy cannot enforce %s (%s) on \"%s\": it does not contain the "
			"distribution column \"%s\"",
			what, cols, t->name, t->cols[t->dist_col].name);
	mur_error_detail(c->err, "murphy enforces uniqueness inside each shard, so a unique key "
				 "must include the column rows are distributed by.");
	if (t->cols[t->dist_col].hidden)
		mur_error_hint(c->err,
			       "Create the table distributed by a key column: PARTITION BY HASH "
			       "(%s), in one shard: WITH (shards = 1), or as a reference table: "
			       "WITH (distribution = 'reference').",
			       t->cols[k->cols[0]].name);
	else
		mur_error_hint(c->err,
			       "Add \"%s\" to the key, or distribute the table by a key "
			       "column with PARTITION BY HASH (column).",
			       t->cols[t->dist_col].name);
	return MUR_ERR;
}

/* The hidden row id column (column_def leaves room for it): its index. */
static int add_hidden_rowid(cat_table *t)
{
	cat_column *h = &t->cols[t->ncols];
	snprintf(h->name, sizeof h->name, "%s", CAT_HIDDEN_ROWID);
	h->type = MT_INT8;
	h->typmod = -1;
	h->hidden = 1;
	return t->ncols++;
}

/* No key, no PARTITION BY: a first column declared NOT NULL with an
 * integer type is taken for the table's id and distributes it (pgbench
 * declares its tables so and adds the keys after loading: ALTER TABLE ADD
 * PRIMARY KEY must find the key's column distributing the table).  A
 * reference table keeps its hidden row id: one shard, nothing to spread. */
static int id_column_first(const table_build *tb)
{
	const cat_table *t = tb->t;
	const cat_column *col = &t->cols[0];
	if (cat_table_is_reference(t) || t->ncols == 0 || !col->not_null)
		return 0;
	for (int i = 0; i < tb->nunique; i++) /* a UNIQUE without it: no key (one shard) */
		if (!key_has(&tb->unique[i], 0))
			return 0;
	return col->type == MT_INT2 || col->type == MT_INT4 || col->type == MT_INT8;
}

/* No distribution key but UNIQUE constraints: one shard, where they hold
 * (WITH (shards = N > 1): the keys' 0A000, by key_error). */
static void keyless_unique_shard(table_build *tb)
{
	cat_table *t = tb->t;
	if (tb->nunique && t->cols[t->dist_col].hidden && !cat_table_is_reference(t) &&
	    !tb->shards_opt)
		t->nshards = 1;
}

static int choose_distribution(sql_ctx *c, table_build *tb)
{
	cat_table *t = tb->t;
	if (tb->dist_name) {
		t->dist_col = cat_column_index(t, tb->dist_name);
		if (t->dist_col < 0)
			return sql_err(c, SQLSTATE_UNDEFINED_COLUMN, tb->dist_loc,
				       "column \"%s\" named in partition key does not exist",
				       tb->dist_name);
	} else if (tb->has_pk) {
		t->dist_col = tb->pk.cols[0];
	} else if (id_column_first(tb)) {
		t->dist_col = 0;
	} else {
		t->dist_col = add_hidden_rowid(t);
	}
	/* '1 day' = '24 hours' but their stored forms differ (interval.h):
	 * equal keys would hash to different shards */
	if (t->cols[t->dist_col].type == MT_INTERVAL && !cat_table_is_reference(t))
		return sql_err(c, SQLSTATE_FEATURE_NOT_SUPPORTED, tb->dist_loc,
			       "murphy cannot distribute a table by an interval column (\"%s\")",
			       t->cols[t->dist_col].name);
	if (mur_type_is_array(t->cols[t->dist_col].type) && !cat_table_is_reference(t)) {
		sql_err(c, SQLSTATE_FEATURE_NOT_SUPPORTED, tb->dist_name ? tb->dist_loc : -1,
			"murphy cannot distribute a table by the array column \"%s\"",
			t->cols[t->dist_col].name);
		mur_error_hint(c->err, "Distribute by another column (PARTITION BY HASH (col)), "
				       "or make the table a reference table.");
		return MUR_ERR;
	}
	if ((t->cols[t->dist_col].type == MT_JSON || t->cols[t->dist_col].type == MT_JSONB) &&
	    !cat_table_is_reference(t)) {
		sql_err(c, SQLSTATE_FEATURE_NOT_SUPPORTED, tb->dist_name ? tb->dist_loc : -1,
			"murphy cannot distribute a table by the %s column \"%s\"",
			mur_type_name(t->cols[t->dist_col].type), t->cols[t->dist_col].name);
		mur_error_hint(c->err, "A json value has many spellings of one document and jsonb "
				       "hashes its text, not its value: distribute by another "
				       "column (PARTITION BY HASH (col)), or make the table a "
				       "reference table.");
		return MUR_ERR;
	}
	if (!tb->has_pk) { /* the shard key changes are captured by (file comment) */
		tb->shard_key.ncols = 1;
		tb->shard_key.cols[0] = t->cols[t->dist_col].hidden ? t->dist_col
								    : add_hidden_rowid(t);
	}
	/* one shard: every key is enforced where all rows are */
	keyless_unique_shard(tb);
	if (tb->has_pk && !key_has(&tb->pk, t->dist_col) && !cat_table_single_shard(t))
		return key_error(c, t, &tb->pk, "PRIMARY KEY");
	for (int i = 0; i < tb->nunique; i++)
		if (!key_has(&tb->unique[i], t->dist_col) && !cat_table_single_shard(t))
			return key_error(c, t, &tb->unique[i], "UNIQUE");
	for (int i = 0; tb->has_pk && i < tb->pk.ncols; i++) {
		t->cols[tb->pk.cols[i]].primary_key = 1;
		t->cols[tb->pk.cols[i]].not_null = 1;
	}
	return MUR_OK;
}

static void emit_key(mur_buf *b, const cat_table *t, const key_def *k, const char *kw)
{
	mur_buf_printf(b, ", %s (", kw);
	for (int i = 0; i < k->ncols; i++) {
		mur_buf_printf(b, i ? ", " : "");
		sql_emit_ident(b, t->cols[k->cols[i]].name);
	}
	mur_buf_put_u8(b, ')');
}

static void constraint_name(const cat_table *t, const key_def *k, int pk, const char *given,
			    char *out, size_t n);

/* Is name taken by a relation, or by an earlier key of this CREATE TABLE
 * (the first n of pc->uniques)? */
static int unique_name_taken(sql_ctx *c, const plan_create_table *pc, int n, const cat_index *x)
{
	for (int i = 0; i < n; i++)
		if (!strcmp(pc->uniques[i].name, x->name))
			return 1;
	if (c->cat && cat_index_check_name(c->cat, x, c->err) != MUR_OK) {
		mur_error_clear(c->err);
		return 1;
	}
	return 0;
}

static int same_key(const key_def *a, const key_def *b)
{
	return a->ncols == b->ncols &&
	       !memcmp(a->cols, b->cols, sizeof a->cols[0] * (size_t)a->ncols);
}

/* Which of tb's UNIQUE constraints get an index: PostgreSQL's
 * transformIndexConstraints keeps one of the keys with the same columns,
 * the primary key first (UNIQUE PRIMARY KEY is one index); a dropped
 * named one lends its name to an unnamed earlier one.  keep[i]: unique i
 * stays; names[i]: its CONSTRAINT name or NULL. */
static void unique_keep(const table_build *tb, int *keep, const char **names)
{
	for (int i = 0; i < tb->nunique; i++) {
		keep[i] = !(tb->has_pk && same_key(&tb->unique[i], &tb->pk));
		names[i] = tb->unique_name[i];
		for (int j = 0; keep[i] && j < i; j++)
			if (keep[j] && same_key(&tb->unique[i], &tb->unique[j])) {
				keep[i] = 0;
				if (!names[j])
					names[j] = names[i];
			}
	}
}

/* CREATE TABLE's UNIQUE constraints as the catalog's constraint indexes
 * (pg_constraint, information_schema, \d and DROP CONSTRAINT see them as
 * ALTER TABLE ADD UNIQUE's), named as PostgreSQL names them: CONSTRAINT
 * name, else <table>_<cols>_key, then <table>_<cols>_key1, 2 ... when a
 * relation or an earlier key has it (ChooseRelationName).  Table id 0:
 * the leader fills it in (lead_ddl.c). */
static int unique_defs(sql_ctx *c, const table_build *tb, plan_create_table *pc)
{
	int keep[SQL_UNIQUE_MAX];
	const char *names[SQL_UNIQUE_MAX];
	if (!tb->nunique)
		return MUR_OK;
	if (!(pc->uniques = sql_alloc(c, sizeof *pc->uniques * (size_t)tb->nunique)))
		return MUR_ERR;
	unique_keep(tb, keep, names);
	for (int i = 0; i < tb->nunique; i++) {
		cat_index *x = &pc->uniques[pc->nuniques];
		const key_def *k = &tb->unique[i];
		char base[CAT_NAME_MAX];
		if (!keep[i])
			continue;
		memset(x, 0, sizeof *x);
		x->unique = CAT_INDEX_UNIQUE_CONSTRAINT;
		if (k->ncols > CAT_INDEX_COLS_MAX)
			return sql_err(c, SQLSTATE_PROGRAM_LIMIT_EXCEEDED, k->loc,
				       "cannot use more than %d columns in an index",
				       CAT_INDEX_COLS_MAX);
		for (int j = 0; j < k->ncols; j++)
			snprintf(x->cols[j], CAT_NAME_MAX, "%s", tb->t->cols[k->cols[j]].name);
		x->ncols = k->ncols;
		constraint_name(tb->t, k, 0, names[i], base, sizeof base);
		snprintf(x->name, sizeof x->name, "%s", base);
		if (names[i] && unique_name_taken(c, pc, pc->nuniques, x))
			return sql_err(c, SQLSTATE_DUPLICATE_TABLE, k->loc,
				       "relation \"%s\" already exists", x->name);
		for (int pass = 1; !names[i] && unique_name_taken(c, pc, pc->nuniques, x); pass++)
			snprintf(x->name, sizeof x->name, "%.*s%d", CAT_NAME_MAX - 12, base, pass);
		pc->nuniques++;
	}
	return MUR_OK;
}

static const char *shard_ddl(sql_ctx *c, const table_build *tb, const plan_create_table *pc)
{
	const cat_table *t = tb->t;
	mur_buf b;
	mur_buf_init(&b);
	mur_buf_printf(&b, "CREATE TABLE IF NOT EXISTS main.");
	sql_emit_ident(&b, t->name);
	mur_buf_printf(&b, " (");
	for (int i = 0; i < t->ncols; i++) {
		mur_buf_printf(&b, i ? ", " : "");
		sql_emit_ident(&b, t->cols[i].name);
		mur_buf_printf(&b, " %s%s%s", mur_type_sqlite_decl(t->cols[i].type),
			       /* keys and GROUP BY by value: 1.0 = 1.00, 'a' = 'a  ' */
			       sql_column_collate(t->cols[i].type),
			       t->cols[i].not_null ? " NOT NULL" : "");
	}
	emit_key(&b, t, tb->has_pk ? &tb->pk : &tb->shard_key, "PRIMARY KEY");
	mur_buf_printf(&b, ") STRICT");
	for (int i = 0; i < pc->nuniques; i++) { /* the catalog's, by name (unique_defs) */
		mur_buf_printf(&b, "; CREATE UNIQUE INDEX IF NOT EXISTS main.");
		sql_emit_ident(&b, pc->uniques[i].name);
		mur_buf_printf(&b, " ON ");
		sql_emit_ident(&b, t->name);
		for (int j = 0; j < pc->uniques[i].ncols; j++) {
			mur_buf_printf(&b, j ? ", " : " (");
			sql_emit_ident(&b, pc->uniques[i].cols[j]);
		}
		mur_buf_put_u8(&b, ')');
	}
	return sql_buf_finish(c, &b);
}

/* TABLESPACE name: only the default one exists (pgbench --tablespace,
 * --index-tablespace ask for others). */
static int tablespace_check(sql_ctx *c, const char *name, int loc)
{
	if (!name || !*name || !strcmp(name, "pg_default"))
		return MUR_OK;
	unsupported(c, loc, "tablespaces");
	mur_error_detail(c->err,
			 "Every copy of a shard is a SQLite file in its follower's data "
			 "directory; tablespace \"%s\" cannot place it elsewhere.",
			 name);
	return MUR_ERR;
}

/* *schema: where the table goes (analyze_schema.c). */
static int create_checks(sql_ctx *c, PgQuery__CreateStmt *s, const char **schema)
{
	PgQuery__RangeVar *rv = s->relation;
	if (tablespace_check(c, s->tablespacename, rv->location) != MUR_OK)
		return MUR_ERR;
	if (rv->relpersistence && *rv->relpersistence == 't')
		return unsupported(c, rv->location, "temporary tables");
	if (s->partbound) { /* pgbench -i --partitions */
		unsupported(c, rv->location, "CREATE TABLE ... PARTITION OF");
		mur_error_detail(c->err, "A murphy table is split into shards by itself; a range "
					 "table's split points are given when it is created.");
		mur_error_hint(c->err,
			       "Create the table with PARTITION BY RANGE (column) WITH "
			       "(range_bounds = 'v1,v2,...'), or PARTITION BY HASH (column).");
		return MUR_ERR;
	}
	if (s->n_inh_relations)
		return unsupported(c, rv->location, "table inheritance");
	if (s->of_typename)
		return unsupported(c, rv->location, "typed tables");
	if (strlen(rv->relname) >= CAT_NAME_MAX)
		return sql_err(c, SQLSTATE_PROGRAM_LIMIT_EXCEEDED, rv->location,
			       "table name \"%s\" is too long", rv->relname);
	if (!(*schema = sql_rv_create_schema(c, rv)))
		return MUR_ERR;
	if (c->cat && cat_table_name_taken(c->cat, *schema, rv->relname) && !s->if_not_exists)
		return sql_err(c, SQLSTATE_DUPLICATE_TABLE, rv->location,
			       "relation \"%s\" already exists", rv->relname);
	return MUR_OK;
}

int sql_plan_create_table(sql_ctx *c, PgQuery__CreateStmt *s, plan *p)
{
	plan_create_table *pc = &p->u.create_table;
	table_build *tb = sql_alloc(c, sizeof *tb);
	const char *schema = NULL;
	p->kind = PLAN_CREATE_TABLE;
	p->tag = "CREATE TABLE";
	if (!tb || create_checks(c, s, &schema) != MUR_OK ||
	    !(tb->t = sql_alloc(c, sizeof(cat_table))))
		return MUR_ERR;
	snprintf(tb->t->name, sizeof tb->t->name, "%s", s->relation->relname);
	snprintf(tb->t->schema, sizeof tb->t->schema, "%s", schema);
	tb->t->kind = CAT_TABLE_DISTRIBUTED;
	tb->t->replicas = SQL_DEFAULT_REPLICAS;
	for (size_t i = 0; i < s->n_table_elts; i++) {
		PgQuery__Node *n = s->table_elts[i];
		int rc;
		if (n->node_case == PG_QUERY__NODE__NODE_COLUMN_DEF)
			rc = column_def(c, tb, n->column_def);
		else if (n->node_case == PG_QUERY__NODE__NODE_CONSTRAINT &&
			 n->constraint->contype == PG_QUERY__CONSTR_TYPE__CONSTR_CHECK)
			rc = add_check(c, tb,
				       n->constraint); /* in order, as PostgreSQL names them */
		else if (n->node_case == PG_QUERY__NODE__NODE_CONSTRAINT)
			continue; /* after all columns are known */
		else
			rc = unsupported(c, -1, "CREATE TABLE ... LIKE");
		if (rc != MUR_OK)
			return rc;
	}
	for (size_t i = 0; i < s->n_table_elts; i++)
		if (s->table_elts[i]->node_case == PG_QUERY__NODE__NODE_CONSTRAINT &&
		    s->table_elts[i]->constraint->contype != PG_QUERY__CONSTR_TYPE__CONSTR_CHECK &&
		    table_constraint(c, tb, s->table_elts[i]->constraint) != MUR_OK)
			return MUR_ERR;
	for (size_t i = 0; i < s->n_constraints; i++)
		if (table_constraint(c, tb, s->constraints[i]->constraint) != MUR_OK)
			return MUR_ERR;
	if (table_options(c, tb, s) != MUR_OK || reference_checks(c, tb, s) != MUR_OK ||
	    partition_spec(c, tb, s->partspec) != MUR_OK || range_checks(c, tb) != MUR_OK ||
	    choose_distribution(c, tb) != MUR_OK || range_shards(c, tb) != MUR_OK ||
	    build_fkeys(c, tb, pc) != MUR_OK || unique_defs(c, tb, pc) != MUR_OK)
		return MUR_ERR;
	pc->def = tb->t;
	pc->if_not_exists = s->if_not_exists;
	if (!(pc->shard_ddl = shard_ddl(c, tb, pc)))
		return MUR_ERR;
	return tb->nck ? sql_check_create_ddl(c, tb->ck, tb->nck, tb->t, pc->shard_ddl,
					      &pc->shard_ddl)
		       : MUR_OK;
}

/* ---- DROP ---- */

const char *sql_object_name(PgQuery__Node *n)
{
	PgQuery__List *l;
	if (n->node_case == PG_QUERY__NODE__NODE_STRING)
		return n->string->sval;
	if (n->node_case != PG_QUERY__NODE__NODE_LIST)
		return "";
	l = n->list;
	return l->n_items && l->items[l->n_items - 1]->node_case == PG_QUERY__NODE__NODE_STRING
		       ? l->items[l->n_items - 1]->string->sval
		       : "";
}

static int drop_tables(sql_ctx *c, PgQuery__DropStmt *s, plan *p)
{
	plan_drop_table *pd = &p->u.drop_table;
	const cat_table *dropped[16] = {0};
	p->kind = PLAN_DROP_TABLE;
	p->tag = "DROP TABLE";
	if (s->n_objects > 16)
		return sql_err(c, SQLSTATE_PROGRAM_LIMIT_EXCEEDED, -1,
			       "murphy drops at most 16 tables per statement");
	pd->if_exists = s->missing_ok;
	for (size_t i = 0; i < s->n_objects; i++) {
		const char *name = sql_object_name(s->objects[i]);
		const char *schema = sql_object_schema(c, s->objects[i]);
		const cat_table *t = c->cat && schema ? cat_table_lookup(c->cat, schema, name)
						      : NULL;
		if (t && t->kind == CAT_TABLE_VIRTUAL)
			return sql_err(c, SQLSTATE_FEATURE_NOT_SUPPORTED, -1,
				       "cannot drop murphy.%s: it is a catalog view", name);
		if (!t && c->cat && schema && cat_view_lookup(c->cat, schema, name)) {
			sql_err(c, "42809", -1, "\"%s\" is not a table", name);
			mur_error_hint(c->err, "Use DROP VIEW to remove a view.");
			return MUR_ERR;
		}
		if (!t && !s->missing_ok)
			return sql_err(c, SQLSTATE_UNDEFINED_TABLE, -1,
				       "table \"%s\" does not exist", name);
		/* CASCADE: the catalog drops the views with the table */
		if (t && s->behavior != PG_QUERY__DROP_BEHAVIOR__DROP_CASCADE &&
		    cat_view_check_dependents(c->cat, t->id, "table", name, c->err) != MUR_OK)
			return MUR_ERR;
		snprintf(pd->schemas[pd->ntables], sizeof pd->schemas[0], "%s",
			 schema ? schema : "public");
		snprintf(pd->names[pd->ntables], sizeof pd->names[0], "%s", name);
		dropped[pd->ntables++] = t;
	}
	for (int i = 0; i < pd->ntables && s->behavior != PG_QUERY__DROP_BEHAVIOR__DROP_CASCADE;
	     i++)
		if (dropped[i] && sql_fkey_drop(c, dropped[i], dropped, pd->ntables) != MUR_OK)
			return MUR_ERR;
	return MUR_OK;
}

static int drop_index(sql_ctx *c, PgQuery__DropStmt *s, plan *p)
{
	plan_index *pi = &p->u.index;
	const cat_index *x;
	mur_buf b;
	p->kind = PLAN_DROP_INDEX;
	p->tag = "DROP INDEX";
	if (s->n_objects != 1)
		return sql_err(c, SQLSTATE_FEATURE_NOT_SUPPORTED, -1,
			       "murphy drops one index per statement");
	snprintf(pi->index_name, sizeof pi->index_name, "%s", sql_object_name(s->objects[0]));
	pi->if_not_exists = s->missing_ok;
	/* the catalog's index: only its table's copies hold it (an index made
	 * before the catalog kept indexes: IF EXISTS still reaches them all) */
	/* NULL: none holds it; a copy: the parse tree goes before the plan runs */
	if ((pi->index_schema = sql_object_schema(c, s->objects[0])) &&
	    !(pi->index_schema = sql_strdup(c, pi->index_schema)))
		return MUR_ERR;
	if (c->cat && pi->index_schema &&
	    (x = cat_index_lookup(c->cat, pi->index_schema, pi->index_name)))
		pi->table = cat_table_by_id((catalog *)c->cat, x->table_id);
	else if (c->cat && !s->missing_ok)
		return sql_err(c, SQLSTATE_UNDEFINED_OBJECT, -1, "index \"%s\" does not exist",
			       pi->index_name);
	mur_buf_init(&b);
	mur_buf_printf(&b, "DROP INDEX %smain.", s->missing_ok ? "IF EXISTS " : "");
	sql_emit_ident(&b, pi->index_name);
	return (pi->shard_ddl = sql_buf_finish(c, &b)) ? MUR_OK : MUR_ERR;
}

int sql_plan_drop(sql_ctx *c, PgQuery__DropStmt *s, plan *p)
{
	switch (s->remove_type) {
	case PG_QUERY__OBJECT_TYPE__OBJECT_TABLE:
		return drop_tables(c, s, p);
	case PG_QUERY__OBJECT_TYPE__OBJECT_INDEX:
		return drop_index(c, s, p);
	case PG_QUERY__OBJECT_TYPE__OBJECT_VIEW:
		return sql_plan_drop_view(c, s, p);
	case PG_QUERY__OBJECT_TYPE__OBJECT_SCHEMA:
		return sql_plan_drop_schema(c, s, p);
	case PG_QUERY__OBJECT_TYPE__OBJECT_SEQUENCE:
		return sql_plan_drop_sequence(c, s, p);
	default: { /* named by its object type: OBJECT_FUNCTION is DROP FUNCTION */
		const ProtobufCEnumValue *v =
			protobuf_c_enum_descriptor_get_value(&pg_query__object_type__descriptor,
							     (int)s->remove_type);
		char what[64] = "?";
		if (v && !strncmp(v->name, "OBJECT_", 7))
			snprintf(what, sizeof what, "%s",
				 !strcmp(v->name, "OBJECT_MATVIEW") ? "MATERIALIZED VIEW"
								    : v->name + 7);
		for (char *u = what; (u = strchr(u, '_')); u++)
			*u = ' '; /* OBJECT_FOREIGN_TABLE: DROP FOREIGN TABLE */
		return sql_err(c, SQLSTATE_FEATURE_NOT_SUPPORTED, -1,
			       "murphy does not support DROP %s yet", what);
	}
	}
}

/* ---- CREATE INDEX ---- */

static int index_columns(sql_ctx *c, PgQuery__IndexStmt *s, const cat_table *t, key_def *k,
			 int *desc)
{
	k->ncols = 0;
	k->loc = s->relation->location;
	for (size_t i = 0; i < s->n_index_params; i++) {
		PgQuery__IndexElem *ie = s->index_params[i]->index_elem;
		int col;
		if (!ie->name || !*ie->name)
			return unsupported(c, -1, "indexes on expressions");
		if ((col = cat_column_index(t, ie->name)) < 0)
			return sql_err(c, SQLSTATE_UNDEFINED_COLUMN, -1,
				       "column \"%s\" does not exist", ie->name);
		desc[k->ncols] = ie->ordering == PG_QUERY__SORT_BY_DIR__SORTBY_DESC;
		k->cols[k->ncols++] = col;
	}
	return MUR_OK;
}

static void default_index_name(const cat_table *t, const key_def *k, char *out, size_t n)
{
	size_t len = (size_t)snprintf(out, n, "%s", t->name);
	for (int i = 0; i < k->ncols && len < n; i++)
		len += (size_t)snprintf(out + len, n - len, "_%s", t->cols[k->cols[i]].name);
	if (len < n)
		snprintf(out + len, n - len, "_idx");
}

/* What the catalog records of the index pi builds (catalog_index.c); 42P07
 * when its name is a relation's already.  *skip: IF NOT EXISTS of a taken
 * name (PostgreSQL's notice, nothing built). */
static int index_def(sql_ctx *c, plan_index *pi, const key_def *k, const int *desc, int unique,
		     int *skip)
{
	cat_index *def = sql_alloc(c, sizeof *def);
	*skip = 0;
	if (!def)
		return MUR_ERR;
	memset(def, 0, sizeof *def);
	def->table_id = pi->table->id;
	snprintf(def->name, sizeof def->name, "%s", pi->index_name);
	def->unique = unique;
	if (k->ncols > CAT_INDEX_COLS_MAX)
		return sql_err(c, SQLSTATE_PROGRAM_LIMIT_EXCEEDED, -1,
			       "cannot use more than %d columns in an index", CAT_INDEX_COLS_MAX);
	for (int i = 0; i < k->ncols; i++) {
		snprintf(def->cols[i], CAT_NAME_MAX, "%s", pi->table->cols[k->cols[i]].name);
		def->desc[i] = desc && desc[i];
	}
	def->ncols = k->ncols;
	pi->def = def;
	if (c->cat && cat_index_check_name(c->cat, def, c->err) != MUR_OK) {
		if (!pi->if_not_exists)
			return MUR_ERR;
		mur_error_clear(c->err);
		*skip = 1;
	}
	return MUR_OK;
}

/* CREATE [UNIQUE] INDEX [IF NOT EXISTS] main."name" ON "t" (cols) for
 * every placement; desc: per key column, or NULL. */
static const char *index_ddl(sql_ctx *c, const plan_index *pi, const key_def *k, const int *desc,
			     int unique)
{
	mur_buf b;
	mur_buf_init(&b);
	mur_buf_printf(&b, "CREATE %sINDEX %smain.", unique ? "UNIQUE " : "",
		       pi->if_not_exists ? "IF NOT EXISTS " : "");
	sql_emit_ident(&b, pi->index_name);
	mur_buf_printf(&b, " ON ");
	sql_emit_ident(&b, pi->table->name);
	mur_buf_printf(&b, " (");
	for (int i = 0; i < k->ncols; i++) {
		mur_buf_printf(&b, i ? ", " : "");
		sql_emit_ident(&b, pi->table->cols[k->cols[i]].name);
		mur_buf_printf(&b, desc && desc[i] ? " DESC" : "");
	}
	mur_buf_put_u8(&b, ')');
	return sql_buf_finish(c, &b);
}

int sql_plan_create_index(sql_ctx *c, PgQuery__IndexStmt *s, plan *p)
{
	plan_index *pi = &p->u.index;
	key_def *k = sql_alloc(c, sizeof *k);
	int desc[CAT_COLUMNS_MAX], skip;
	p->kind = PLAN_CREATE_INDEX;
	p->tag = "CREATE INDEX";
	if (!k || !(pi->table = sql_lookup_table(c, s->relation)))
		return MUR_ERR;
	if (pi->table->kind == CAT_TABLE_VIRTUAL)
		return unsupported(c, s->relation->location, "indexes on murphy.* catalog views");
	if (s->where_clause)
		return unsupported(c, -1, "partial indexes");
	if (s->access_method && *s->access_method && strcmp(s->access_method, "btree"))
		return unsupported(c, -1, "index methods other than btree");
	if (s->n_index_including_params)
		return unsupported(c, -1, "INCLUDE columns");
	if (tablespace_check(c, s->table_space, -1) != MUR_OK)
		return MUR_ERR;
	if (index_columns(c, s, pi->table, k, desc) != MUR_OK)
		return MUR_ERR;
	if (s->unique && !key_has(k, pi->table->dist_col) && !cat_table_single_shard(pi->table))
		return key_error(c, pi->table, k, "UNIQUE INDEX");
	if (s->idxname && *s->idxname)
		snprintf(pi->index_name, sizeof pi->index_name, "%s", s->idxname);
	else
		default_index_name(pi->table, k, pi->index_name, sizeof pi->index_name);
	pi->if_not_exists = s->if_not_exists;
	if (index_def(c, pi, k, desc, s->unique, &skip) != MUR_OK)
		return MUR_ERR;
	if (skip) { /* lead_index_start says so */
		pi->shard_ddl = NULL;
		return MUR_OK;
	}
	return (pi->shard_ddl = index_ddl(c, pi, k, desc, s->unique)) ? MUR_OK : MUR_ERR;
}

/* ---- ALTER TABLE t ADD [CONSTRAINT name] PRIMARY KEY | UNIQUE (cols) ---- */

/* An ALTER TABLE action murphy does not run, named for the 0A000. */
static const char *alter_what(PgQuery__AlterTableType t)
{
	switch (t) {
	case PG_QUERY__ALTER_TABLE_TYPE__AT_AddColumn:
		return "ALTER TABLE ... ADD COLUMN";
	case PG_QUERY__ALTER_TABLE_TYPE__AT_DropColumn:
		return "ALTER TABLE ... DROP COLUMN";
	case PG_QUERY__ALTER_TABLE_TYPE__AT_AlterColumnType:
		return "ALTER TABLE ... ALTER COLUMN TYPE";
	case PG_QUERY__ALTER_TABLE_TYPE__AT_ColumnDefault:
		return "ALTER TABLE ... ALTER COLUMN DEFAULT";
	case PG_QUERY__ALTER_TABLE_TYPE__AT_SetNotNull:
	case PG_QUERY__ALTER_TABLE_TYPE__AT_DropNotNull:
		return "ALTER TABLE ... ALTER COLUMN NOT NULL";
	case PG_QUERY__ALTER_TABLE_TYPE__AT_DropConstraint:
		return "ALTER TABLE ... DROP CONSTRAINT";
	case PG_QUERY__ALTER_TABLE_TYPE__AT_SetRelOptions:
	case PG_QUERY__ALTER_TABLE_TYPE__AT_ResetRelOptions:
		return "ALTER TABLE ... SET (storage options)";
	default:
		return "this ALTER TABLE action";
	}
}

/* The key's columns must already be NOT NULL: murphy cannot add NOT NULL
 * to the shards' existing SQLite columns (PostgreSQL's ADD PRIMARY KEY
 * would). */
static int key_not_null(sql_ctx *c, const cat_table *t, const key_def *k)
{
	for (int i = 0; i < k->ncols; i++) {
		const cat_column *col = &t->cols[k->cols[i]];
		if (col->not_null)
			continue;
		sql_err(c, SQLSTATE_FEATURE_NOT_SUPPORTED, k->loc,
			"murphy cannot add a primary key on column \"%s\" of \"%s\": it is not "
			"declared NOT NULL",
			col->name, t->name);
		mur_error_detail(c->err, "A primary key makes its columns NOT NULL, and murphy "
					 "does not add NOT NULL as part of ADD PRIMARY KEY.");
		mur_error_hint(c->err, "Run ALTER TABLE %s ALTER COLUMN %s SET NOT NULL first.",
			       t->name, col->name);
		return MUR_ERR;
	}
	return MUR_OK;
}

static int has_primary_key(const cat_table *t)
{
	for (int i = 0; i < t->ncols; i++)
		if (t->cols[i].primary_key)
			return 1;
	return 0;
}

/* PostgreSQL's default names: t_pkey, t_a_b_key. */
static void constraint_name(const cat_table *t, const key_def *k, int pk, const char *given,
			    char *out, size_t n)
{
	size_t len;
	if (given && *given) {
		snprintf(out, n, "%s", given);
		return;
	}
	len = (size_t)snprintf(out, n, "%s", t->name);
	for (int i = 0; !pk && i < k->ncols && len < n; i++)
		len += (size_t)snprintf(out + len, n - len, "_%s", t->cols[k->cols[i]].name);
	if (len < n)
		snprintf(out + len, n - len, pk ? "_pkey" : "_key");
}

/* The key, checked: columns known, NOT NULL for a primary key, only one
 * primary key, the distribution column in it (plan_ddl.c's file comment). */
static int alter_key(sql_ctx *c, const cat_table *t, PgQuery__Constraint *k, key_def *kd)
{
	int pk = k->contype == PG_QUERY__CONSTR_TYPE__CONSTR_PRIMARY;
	if (k->indexname && *k->indexname)
		return unsupported(c, k->location, "ADD CONSTRAINT ... USING INDEX");
	if (tablespace_check(c, k->indexspace, k->location) != MUR_OK)
		return MUR_ERR;
	if (key_from_names(c, t, k->keys, k->n_keys, kd, k->location) != MUR_OK)
		return MUR_ERR;
	if (pk && has_primary_key(t))
		return sql_err(c, SQLSTATE_INVALID_TABLE_DEFINITION, k->location,
			       "multiple primary keys for table \"%s\" are not allowed", t->name);
	if (pk && key_not_null(c, t, kd) != MUR_OK)
		return MUR_ERR;
	if (!key_has(kd, t->dist_col) && !cat_table_single_shard(t))
		return key_error(c, t, kd, pk ? "PRIMARY KEY" : "UNIQUE");
	return MUR_OK;
}

/* Before the unique index: a duplicated key fails the shard with
 * PostgreSQL's words for it, "Key (a, b)=(1, x) is duplicated." (23505;
 * lead_ddl.c's index_undo makes it the detail of "could not create unique
 * index"), where SQLite's own error names no value.  NULLs never collide. */
static const char *dup_check(sql_ctx *c, const cat_table *t, const key_def *k, const char *ddl)
{
	mur_buf b, names;
	mur_buf_init(&b);
	mur_buf_init(&names);
	for (int i = 0; i < k->ncols; i++)
		mur_buf_printf(&names, "%s%s", i ? ", " : "", t->cols[k->cols[i]].name);
	mur_buf_put_u8(&names, 0);
	mur_buf_printf(&b, "SELECT mur_raise_if(1, '23505', 'Key (' || ");
	if (mur_buf_ok(&names))
		sql_emit_string(&b, (const char *)names.data, strlen((const char *)names.data));
	mur_buf_free(&names);
	mur_buf_printf(&b, " || ')=(' || ");
	for (int i = 0; i < k->ncols; i++) {
		mur_buf_printf(&b, "%s", i ? " || ', ' || " : "");
		sql_emit_ident(&b, t->cols[k->cols[i]].name);
	}
	mur_buf_printf(&b, " || ') is duplicated.') FROM main.");
	sql_emit_ident(&b, t->name);
	for (int i = 0; i < k->ncols; i++) {
		mur_buf_printf(&b, i ? " AND " : " WHERE ");
		sql_emit_ident(&b, t->cols[k->cols[i]].name);
		mur_buf_printf(&b, " IS NOT NULL");
	}
	for (int i = 0; i < k->ncols; i++) {
		mur_buf_printf(&b, i ? ", " : " GROUP BY ");
		sql_emit_ident(&b, t->cols[k->cols[i]].name);
	}
	mur_buf_printf(&b, " HAVING count(*) > 1 LIMIT 1; %s", ddl);
	return sql_buf_finish(c, &b);
}

static int alter_add_key(sql_ctx *c, PgQuery__Constraint *k, plan *p)
{
	plan_index *pi = &p->u.index;
	key_def *kd = sql_alloc(c, sizeof *kd);
	int *cols, skip;
	mur_buf b;
	if (!kd || alter_key(c, pi->table, k, kd) != MUR_OK)
		return MUR_ERR;
	constraint_name(pi->table, kd, k->contype == PG_QUERY__CONSTR_TYPE__CONSTR_PRIMARY,
			k->conname, pi->index_name, sizeof pi->index_name);
	/* a UNIQUE constraint is the catalog's (pg_constraint, DROP CONSTRAINT) */
	if (k->contype != PG_QUERY__CONSTR_TYPE__CONSTR_PRIMARY &&
	    index_def(c, pi, kd, NULL, CAT_INDEX_UNIQUE_CONSTRAINT, &skip) != MUR_OK)
		return MUR_ERR;
	if (!(pi->shard_ddl = index_ddl(c, pi, kd, NULL, 1)) ||
	    !(pi->shard_ddl = dup_check(c, pi->table, kd, pi->shard_ddl)))
		return MUR_ERR;
	mur_buf_init(&b);
	mur_buf_printf(&b, "DROP INDEX IF EXISTS main.");
	sql_emit_ident(&b, pi->index_name);
	if (!(pi->undo_ddl = sql_buf_finish(c, &b)))
		return MUR_ERR;
	if (k->contype != PG_QUERY__CONSTR_TYPE__CONSTR_PRIMARY)
		return MUR_OK;
	if (!(cols = sql_alloc(c, sizeof *cols * (size_t)kd->ncols)))
		return MUR_ERR;
	memcpy(cols, kd->cols, sizeof *cols * (size_t)kd->ncols);
	pi->pk_cols = cols;
	pi->npk = kd->ncols;
	return MUR_OK;
}

/* DROP CONSTRAINT of a UNIQUE constraint (ADD UNIQUE's index, in the
 * catalog): its index dropped from every copy of t, as DROP INDEX. */
static int drop_unique(sql_ctx *c, const cat_table *t, const cat_index *x, plan *p)
{
	plan_index *pi = &p->u.index;
	mur_buf b;
	p->kind = PLAN_DROP_INDEX;
	pi->table = t;
	snprintf(pi->index_name, sizeof pi->index_name, "%s", x->name);
	if (!(pi->index_schema = sql_strdup(c, t->schema))) /* an index lives in its table's */
		return MUR_ERR;
	mur_buf_init(&b);
	mur_buf_printf(&b, "DROP INDEX main.");
	sql_emit_ident(&b, pi->index_name);
	return (pi->shard_ddl = sql_buf_finish(c, &b)) ? MUR_OK : MUR_ERR;
}

int sql_plan_alter_table(sql_ctx *c, PgQuery__AlterTableStmt *s, plan *p)
{
	PgQuery__AlterTableCmd *cmd;
	PgQuery__Constraint *k;
	const cat_index *x;
	p->kind = PLAN_CREATE_INDEX;
	p->tag = "ALTER TABLE";
	if (s->objtype != PG_QUERY__OBJECT_TYPE__OBJECT_TABLE)
		return unsupported(c, -1, "ALTER on this kind of object");
	if (s->missing_ok && c->cat && !sql_rv_table(c, s->relation)) {
		p->kind = PLAN_NOOP; /* ALTER TABLE IF EXISTS of no table */
		return MUR_OK;
	}
	if (!(p->u.index.table = sql_lookup_table(c, s->relation)))
		return MUR_ERR;
	if (p->u.index.table->kind == CAT_TABLE_VIRTUAL)
		return sql_err(c, SQLSTATE_FEATURE_NOT_SUPPORTED, s->relation->location,
			       "cannot alter murphy.%s: it is a view of the cluster's state",
			       p->u.index.table->name);
	if (s->n_cmds != 1)
		return sql_err(c, SQLSTATE_FEATURE_NOT_SUPPORTED, -1,
			       "murphy runs one ALTER TABLE action per statement");
	cmd = s->cmds[0]->alter_table_cmd;
	if (cmd->subtype == PG_QUERY__ALTER_TABLE_TYPE__AT_DropConstraint && c->cat &&
	    cat_fkey_find(c->cat, p->u.index.table->id, cmd->name))
		return sql_fkey_alter_drop(c, p->u.index.table, cmd, p);
	if (cmd->subtype == PG_QUERY__ALTER_TABLE_TYPE__AT_DropConstraint && c->cat && cmd->name &&
	    (x = cat_index_lookup(c->cat, p->u.index.table->schema, cmd->name)) &&
	    x->table_id == p->u.index.table->id && x->unique == CAT_INDEX_UNIQUE_CONSTRAINT)
		return drop_unique(c, p->u.index.table, x, p);
	if (cmd->subtype == PG_QUERY__ALTER_TABLE_TYPE__AT_DropColumn &&
	    sql_fkey_referencing(c, p->u.index.table, 0))
		return unsupported(c, -1,
				   "ALTER TABLE ... DROP COLUMN of a table other tables "
				   "reference");
	if (cmd->subtype == PG_QUERY__ALTER_TABLE_TYPE__AT_DropColumn && c->cat &&
	    sql_fkey_has(c, p->u.index.table))
		return unsupported(c, -1,
				   "ALTER TABLE ... DROP COLUMN of a table with foreign keys");
	if (cmd->subtype != PG_QUERY__ALTER_TABLE_TYPE__AT_AddConstraint || !cmd->def ||
	    cmd->def->node_case != PG_QUERY__NODE__NODE_CONSTRAINT) {
		int rc = sql_plan_alter_shape(c, p->u.index.table, s->relation, cmd, p);
		return rc == MUR_EAGAIN ? unsupported(c, -1, alter_what(cmd->subtype)) : rc;
	}
	k = cmd->def->constraint;
	switch (k->contype) {
	case PG_QUERY__CONSTR_TYPE__CONSTR_PRIMARY:
	case PG_QUERY__CONSTR_TYPE__CONSTR_UNIQUE:
		return alter_add_key(c, k, p);
	case PG_QUERY__CONSTR_TYPE__CONSTR_FOREIGN:
		return sql_fkey_alter_add(c, p->u.index.table, k, p);
	case PG_QUERY__CONSTR_TYPE__CONSTR_CHECK:
		return sql_plan_alter_shape(c, p->u.index.table, s->relation, cmd, p);
	default:
		return unsupported(c, k->location, "this ALTER TABLE ... ADD CONSTRAINT");
	}
}
