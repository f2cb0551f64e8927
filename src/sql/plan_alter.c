/*
 * plan_alter.c — ALTER TABLE actions that change a table's shape:
 * ADD COLUMN, DROP COLUMN, ALTER COLUMN SET / DROP DEFAULT, SET NOT NULL,
 * ADD CONSTRAINT CHECK,
 * and ALTER TABLE ... RENAME [COLUMN] (a RenameStmt).
 *
 * Each is planned as a PLAN_ALTER: the table afterwards (plan_alter.def,
 * an arena copy of the catalog's table with the change made) and, when the
 * shard tables change too, the DDL every shard runs, as "forward SEP undo"
 * (storage/replog.h, STOR_ENTRY_DDL).  The executor (leader/lead_ddl.c)
 * sends that text to each shard through the write path as a DDL entry of
 * the shard log, so it reaches every copy in log order with the rows (no
 * changeset of the old shape meets a copy of the new one or the reverse),
 * catch-up and rebuild carry it, and an undo (a failed statement, an
 * aborted transaction, a divergent copy) runs the undo part.  Over several
 * shards the entries form one transaction (lead_txn.c): all shards take
 * the new shape or none.  The catalog takes def once every shard has.
 *
 * What runs on the shards:
 *   ADD COLUMN c T [DEFAULT k] [NOT NULL]
 *       ALTER TABLE ADD COLUMN with the default as a literal, then an UPDATE
 *       writing it into every old row (as PostgreSQL before 11 did: SQLite
 *       would give old rows the value without writing it, but its session
 *       extension reads such a row's column as NULL, so the changeset of a
 *       later change would not match the row on another copy); a default that is not
 *       a literal constant is 0A000 (SQLite cannot fill old rows with a
 *       per-row value), and so is NOT NULL without a default.  Undo: DROP
 *       COLUMN.
 *   DROP COLUMN c
 *       the column's values are first kept in a side table of the
 *       placement (_murphy_drop_<table>_<id>: the shard key and c), then
 *       the column is dropped; undo adds the column back and refills it
 *       from the side table, so an undone DROP loses nothing.  The side
 *       table stays (as PostgreSQL keeps a dropped column's bytes in its
 *       rows): it is not a user table, not captured, not read.  The
 *       distribution column, key columns and the hidden row id cannot be
 *       dropped (0A000 saying why).
 *   RENAME COLUMN a TO b, RENAME TO u
 *       SQLite's RENAME, undone by the reverse rename.
 *   SET NOT NULL
 *       a trigger per column refuses a NULL on INSERT and UPDATE
 *       (23502, through storage's "SQLSTATE:" messages), and the existing
 *       rows are checked by updating the NULL ones to themselves, which
 *       fires it: a NULL anywhere fails the ALTER with 23502 on that shard
 *       and the transaction undoes the others.  Undo: drop the triggers.
 *   ADD [CONSTRAINT name] CHECK (expr)
 *       the same with expr: the existing rows checked (23514 "is violated
 *       by some row"), then INSERT / UPDATE triggers raising 23514 when
 *       expr is false for the new row (NULL passes), the row's columns that
 *       expr names read from NEW through a one-row subquery.  Undo: drop
 *       the triggers.  The CHECK is the catalog's too: defined on def by
 *       plan_check.c (name, PostgreSQL's text; 42710 for a name the table
 *       has), taken with the shape (docs/constraints.md).
 *   DROP CONSTRAINT name
 *       of a CHECK: its triggers dropped, their text kept in a side table
 *       for the undo (drop_check), the catalog's entry gone with the
 *       shape; a name neither the catalog nor the shards know is 42704
 *       (IF EXISTS: a NOTICE), the primary key 0A000 (a UNIQUE of ADD
 *       CONSTRAINT is plan_ddl.c's drop_unique).  DROP COLUMN drops the
 *       CHECKs naming the column the same way first (checks_dropped);
 *       RENAME COLUMN reprints their text, RENAME TO makes their triggers
 *       again (the messages name the table).
 *   SET / DROP DEFAULT
 *       catalog only: defaults are evaluated by the leader at INSERT.
 *
 *   ALTER COLUMN TYPE, DROP NOT NULL
 *       plan_alter_type.c (with this file's side table and triggers).
 *
 * Everything else (CHECK ... NOT VALID, ...) is 0A000 naming the action
 * (plan_ddl.c's alter_what).
 */
#include "sql/sqlInt.h"

#include <stdio.h>
#include <string.h>
#include <sys/time.h>

static int unsupported(sql_ctx *c, int loc, const char *what, const char *why)
{
	sql_err(c, SQLSTATE_FEATURE_NOT_SUPPORTED, loc, "murphy does not support %s", what);
	if (why)
		mur_error_detail(c->err, "%s", why);
	return MUR_ERR;
}

/* A name that would break the "forward SEP undo" text (storage/replog.h). */
static int name_ok(sql_ctx *c, const char *name)
{
	if (!strchr(name, EXEC_DDL_SEP))
		return MUR_OK;
	return sql_err(c, "42602", -1, "murphy cannot alter with the name \"%s\"", name);
}

static cat_table *copy_table(sql_ctx *c, const cat_table *t)
{
	cat_table *d = sql_alloc(c, sizeof *d);
	if (!d)
		return NULL;
	*d = *t;
	d->new_seqs = NULL;
	d->nnew_seqs = 0;
	return d;
}

/* "ALTER TABLE main."t" " */
static void alter_prefix(mur_buf *b, const char *table)
{
	mur_buf_printf(b, "ALTER TABLE main.");
	sql_emit_ident(b, table);
	mur_buf_put_u8(b, ' ');
}

static void sep(mur_buf *b) { mur_buf_put_u8(b, (uint8_t)EXEC_DDL_SEP); }

static int finish(sql_ctx *c, plan_alter *pa, mur_buf *b)
{
	return (pa->shard_sql = sql_buf_finish(c, b)) ? MUR_OK : MUR_ERR;
}

/* A literal SQLite takes as ADD COLUMN's DEFAULT: a number, a quoted
 * string, a blob or NULL (what column_default emits for constants). */
static int literal(const char *s)
{
	size_t n = strlen(s);
	if (!n)
		return 0;
	if (!strcmp(s, "NULL"))
		return 1;
	if (s[0] == '\'' || ((s[0] == 'X' || s[0] == 'x') && s[1] == '\''))
		return s[n - 1] == '\'' && !strstr(s + (s[0] == '\'' ? 1 : 2), "'||");
	if (s[0] == '-' || s[0] == '+')
		s++;
	if (!*s)
		return 0;
	for (; *s; s++)
		if (!strchr("0123456789.eE+-", *s))
			return 0;
	return 1;
}

static int add_column(sql_ctx *c, plan_alter *pa, PgQuery__AlterTableCmd *cmd)
{
	cat_table *d = pa->def;
	const cat_column *col;
	mur_buf b;
	if (!cmd->def || cmd->def->node_case != PG_QUERY__NODE__NODE_COLUMN_DEF)
		return sql_err(c, SQLSTATE_SYNTAX_ERROR, -1, "ADD COLUMN needs a column");
	if (cmd->missing_ok && cat_column_index(d, cmd->def->column_def->colname) >= 0) {
		pa->noop_notice = "column already exists, skipping";
		return MUR_OK;
	}
	if (sql_ddl_add_column(c, d, cmd->def->column_def) != MUR_OK)
		return MUR_ERR;
	col = &d->cols[d->ncols - 1];
	if (name_ok(c, col->name) != MUR_OK)
		return MUR_ERR;
	if (col->default_sql && !literal(col->default_sql))
		return unsupported(c, cmd->def->column_def->location,
				   "ALTER TABLE ... ADD COLUMN with a DEFAULT that is not a "
				   "constant",
				   "SQLite, which stores the shards, fills the existing rows with "
				   "one constant value.");
	if (col->not_null && !col->default_sql)
		return unsupported(c, cmd->def->column_def->location,
				   "ALTER TABLE ... ADD COLUMN ... NOT NULL without a DEFAULT",
				   "SQLite cannot give the existing rows of a NOT NULL column a "
				   "value; add it with a DEFAULT.");
	mur_buf_init(&b);
	alter_prefix(&b, d->name);
	mur_buf_printf(&b, "ADD COLUMN ");
	sql_emit_ident(&b, col->name);
	mur_buf_printf(&b, " %s%s", mur_type_sqlite_decl(col->type),
		       col->type == MT_BPCHAR ? sql_column_collate(col->type) : "");
	if (col->default_sql)
		mur_buf_printf(&b, " DEFAULT %s", col->default_sql);
	if (col->not_null)
		mur_buf_printf(&b, " NOT NULL");
	if (col->default_sql) {
		/* written into every row: SQLite's session extension reads a
		 * row stored before the ADD COLUMN as NULL there, not the
		 * default, and a later change's changeset would then not match
		 * the row on the other copies */
		mur_buf_printf(&b, "; UPDATE main.");
		sql_emit_ident(&b, d->name);
		mur_buf_printf(&b, " SET ");
		sql_emit_ident(&b, col->name);
		mur_buf_printf(&b, " = %s", col->default_sql);
	}
	sep(&b);
	alter_prefix(&b, d->name);
	mur_buf_printf(&b, "DROP COLUMN ");
	sql_emit_ident(&b, col->name);
	return finish(c, pa, &b);
}

/* The columns that identify a shard row: the key, else the hidden row id. */
static int row_key(const cat_table *t, int *cols)
{
	int n = 0;
	for (int i = 0; i < t->ncols; i++)
		if (t->cols[i].primary_key)
			cols[n++] = i;
	for (int i = 0; !n && i < t->ncols; i++)
		if (t->cols[i].hidden)
			cols[n++] = i;
	return n;
}

static int drop_refused(sql_ctx *c, const cat_table *t, int ci)
{
	const cat_column *col = &t->cols[ci];
	if (ci == t->dist_col && !col->hidden)
		return unsupported(c, -1, "dropping the distribution column",
				   "Every row's shard is chosen by this column; recreate the table "
				   "distributed by another column instead.");
	if (col->hidden)
		return sql_err(c, SQLSTATE_UNDEFINED_COLUMN, -1,
			       "column \"%s\" of relation \"%s\" does not exist", col->name,
			       t->name);
	if (col->primary_key)
		return unsupported(c, -1, "dropping a primary key column",
				   "The key identifies each row on every copy of a shard.");
	return MUR_OK;
}

static void side_table(const cat_table *t, const char *col, char *out, size_t n)
{
	struct timeval tv;
	gettimeofday(&tv, NULL);
	snprintf(out, n, "_murphy_drop_%u_%s_%lld", t->id, col,
		 (long long)tv.tv_sec * 1000000 + tv.tv_usec);
}

static void nn_dropped(mur_buf *b, const cat_table *t, const char *cn);
static void nn_restored(mur_buf *b, const cat_table *t, const char *cn);

/* DROP COLUMN: keep the values in a side table, drop; undo refills. */
static void drop_sql(mur_buf *b, const cat_table *t, int ci, const char *side)
{
	int key[CAT_COLUMNS_MAX], nkey = row_key(t, key);
	const char *cn = t->cols[ci].name;
	mur_buf_printf(b, "CREATE TABLE main.");
	sql_emit_ident(b, side);
	mur_buf_printf(b, " AS SELECT ");
	for (int i = 0; i < nkey; i++) {
		sql_emit_ident(b, t->cols[key[i]].name);
		mur_buf_printf(b, ", ");
	}
	sql_emit_ident(b, cn);
	mur_buf_printf(b, " FROM main.");
	sql_emit_ident(b, t->name);
	mur_buf_printf(b, "; ");
	alter_prefix(b, t->name);
	mur_buf_printf(b, "DROP COLUMN ");
	sql_emit_ident(b, cn);
	sep(b);
	alter_prefix(b, t->name);
	mur_buf_printf(b, "ADD COLUMN ");
	sql_emit_ident(b, cn);
	mur_buf_printf(b, " %s%s; UPDATE main.", mur_type_sqlite_decl(t->cols[ci].type),
		       t->cols[ci].type == MT_BPCHAR ? sql_column_collate(MT_BPCHAR) : "");
	sql_emit_ident(b, t->name);
	mur_buf_printf(b, " SET ");
	sql_emit_ident(b, cn);
	mur_buf_printf(b, " = (SELECT s.");
	sql_emit_ident(b, cn);
	mur_buf_printf(b, " FROM main.");
	sql_emit_ident(b, side);
	mur_buf_printf(b, " s WHERE ");
	for (int i = 0; i < nkey; i++) {
		mur_buf_printf(b, "%ss.", i ? " AND " : "");
		sql_emit_ident(b, t->cols[key[i]].name);
		mur_buf_printf(b, " = main.");
		sql_emit_ident(b, t->name);
		mur_buf_put_u8(b, '.');
		sql_emit_ident(b, t->cols[key[i]].name);
	}
	mur_buf_printf(b, "); DROP TABLE main.");
	sql_emit_ident(b, side);
}

static void trigger_save(mur_buf *b, const cat_table *t, const char *name, const char *side,
			 int legacy);
static void trigger_restore(mur_buf *b, const char *side);

typedef struct check_gone {
	char side[CAT_NAME_MAX * 2 + 48];
} check_gone;

/* DROP COLUMN drops the CHECKs that name the column, as PostgreSQL's:
 * their triggers saved and dropped first (the undo restores them after
 * the column is back).  Their side tables' names into gone; the count. */
static int checks_dropped(cat_table *d, int ci, mur_buf *b, check_gone *gone)
{
	int n = 0;
	for (int i = d->nchecks - 1; i >= 0; i--) {
		if (!sql_check_using(d, i, ci))
			continue;
		side_table(d, d->checks[i].name, gone[n].side, sizeof gone[n].side);
		trigger_save(b, d, d->checks[i].name, gone[n++].side, 0);
		sql_check_forget(d, i);
	}
	return n;
}

static int drop_column(sql_ctx *c, plan_alter *pa, PgQuery__AlterTableCmd *cmd)
{
	cat_table *d = pa->def;
	int ci = cat_column_index(d, cmd->name), dropped;
	check_gone gone[CAT_CHECKS_MAX];
	char side[CAT_NAME_MAX * 2 + 48];
	mur_buf b;
	if (ci < 0 && cmd->missing_ok) {
		pa->noop_notice = "column does not exist, skipping";
		return MUR_OK;
	}
	if (ci < 0)
		return sql_err(c, SQLSTATE_UNDEFINED_COLUMN, -1,
			       "column \"%s\" of relation \"%s\" does not exist", cmd->name,
			       d->name);
	if (drop_refused(c, d, ci) != MUR_OK || name_ok(c, cmd->name) != MUR_OK)
		return MUR_ERR;
	if (sql_alter_drop_column_views(c, pa, cmd->name,
					cmd->behavior == PG_QUERY__DROP_BEHAVIOR__DROP_CASCADE) !=
	    MUR_OK)
		return MUR_ERR;
	if (d->ncols - 1 == 0 || (d->ncols == 2 && d->cols[1 - ci].hidden))
		return unsupported(c, -1, "dropping a table's last column", NULL);
	side_table(d, cmd->name, side, sizeof side);
	mur_buf_init(&b);
	dropped = checks_dropped(d, ci, &b, gone);
	nn_dropped(&b, d, cmd->name);
	drop_sql(&b, d, ci, side);
	for (int i = 0; i < dropped; i++) {
		mur_buf_printf(&b, "; ");
		trigger_restore(&b, gone[i].side);
	}
	if (d->cols[ci].not_null)
		nn_restored(&b, d, cmd->name);
	memmove(&d->cols[ci], &d->cols[ci + 1], sizeof d->cols[0] * (size_t)(d->ncols - ci - 1));
	d->ncols--;
	if (d->dist_col > ci)
		d->dist_col--;
	return finish(c, pa, &b);
}

static int column_of(sql_ctx *c, cat_table *d, const char *name, int *ci)
{
	*ci = cat_column_index(d, name);
	if (*ci >= 0 && !d->cols[*ci].hidden)
		return MUR_OK;
	return sql_err(c, SQLSTATE_UNDEFINED_COLUMN, -1,
		       "column \"%s\" of relation \"%s\" does not exist", name, d->name);
}

static int set_default(sql_ctx *c, plan_alter *pa, PgQuery__AlterTableCmd *cmd)
{
	int ci;
	if (column_of(c, pa->def, cmd->name, &ci) != MUR_OK)
		return MUR_ERR;
	if (pa->def->cols[ci].identity)
		return sql_err(c, SQLSTATE_SYNTAX_ERROR, -1,
			       "column \"%s\" of relation \"%s\" is an identity column", cmd->name,
			       pa->def->name);
	return sql_ddl_set_default(c, &pa->def->cols[ci], cmd->def);
}

#define SQL_TRIGGER_NAME_MAX (CAT_NAME_MAX * 2 + 32)

static void trigger_name(const cat_table *t, const char *cn, const char *op, char *out, size_t n)
{
	snprintf(out, n, "_murphy_nn_%u_%s_%s", t->id, cn, op);
}

/* A trigger that raises sqlstate:msg when a row with cn NULL is about to
 * be written by op (INSERT / UPDATE). */
static void null_trigger(mur_buf *b, const cat_table *t, const char *cn, const char *op,
			 const char *msg)
{
	char name[SQL_TRIGGER_NAME_MAX];
	trigger_name(t, cn, op, name, sizeof name);
	mur_buf_printf(b, "CREATE TRIGGER main.");
	sql_emit_ident(b, name);
	mur_buf_printf(b, " BEFORE %s ON ", op);
	sql_emit_ident(b, t->name);
	mur_buf_printf(b, " WHEN NEW.");
	sql_emit_ident(b, cn);
	mur_buf_printf(b, " IS NULL BEGIN SELECT RAISE(ABORT, ");
	sql_emit_string(b, msg, strlen(msg));
	mur_buf_printf(b, "); END; ");
}

static void drop_trigger(mur_buf *b, const cat_table *t, const char *cn, const char *op)
{
	char name[SQL_TRIGGER_NAME_MAX];
	trigger_name(t, cn, op, name, sizeof name);
	mur_buf_printf(b, "DROP TRIGGER IF EXISTS main.");
	sql_emit_ident(b, name);
	mur_buf_printf(b, "; ");
}

/* DROP COLUMN of a column SET NOT NULL gave triggers: SQLite refuses to
 * drop a column a trigger names, so they go first (IF EXISTS: a column
 * NOT NULL since CREATE TABLE has none); the undo, after the column is
 * back and refilled, puts them back. */
static void nn_dropped(mur_buf *b, const cat_table *t, const char *cn)
{
	drop_trigger(b, t, cn, "INSERT");
	drop_trigger(b, t, cn, "UPDATE");
}

static void nn_restored(mur_buf *b, const cat_table *t, const char *cn)
{
	char msg[CAT_NAME_MAX * 2 + 128];
	snprintf(msg, sizeof msg,
		 "SQLSTATE:23502:null value in column \"%s\" of relation \"%s\" violates "
		 "not-null constraint",
		 cn, t->name);
	mur_buf_printf(b, "; ");
	null_trigger(b, t, cn, "INSERT", msg);
	null_trigger(b, t, cn, "UPDATE", msg);
}

/* SET NOT NULL: the existing rows first (a check trigger fired by
 * updating the NULL ones to themselves, then dropped), then the
 * triggers that keep NULL out (file comment). */
static int set_not_null(sql_ctx *c, plan_alter *pa, PgQuery__AlterTableCmd *cmd)
{
	cat_table *d = pa->def;
	char msg[CAT_NAME_MAX * 2 + 128];
	int ci;
	mur_buf b;
	if (column_of(c, d, cmd->name, &ci) != MUR_OK || name_ok(c, cmd->name) != MUR_OK)
		return MUR_ERR;
	if (d->cols[ci].not_null)
		return MUR_OK; /* already: nothing to do, as PostgreSQL */
	d->cols[ci].not_null = 1;
	mur_buf_init(&b);
	snprintf(msg, sizeof msg,
		 "SQLSTATE:23502:column \"%s\" of relation \"%s\" contains null values", cmd->name,
		 d->name);
	null_trigger(&b, d, cmd->name, "UPDATE", msg);
	mur_buf_printf(&b, "UPDATE main.");
	sql_emit_ident(&b, d->name);
	mur_buf_printf(&b, " SET ");
	sql_emit_ident(&b, cmd->name);
	mur_buf_printf(&b, " = ");
	sql_emit_ident(&b, cmd->name);
	mur_buf_printf(&b, " WHERE ");
	sql_emit_ident(&b, cmd->name);
	mur_buf_printf(&b, " IS NULL; ");
	drop_trigger(&b, d, cmd->name, "UPDATE");
	snprintf(msg, sizeof msg,
		 "SQLSTATE:23502:null value in column \"%s\" of relation \"%s\" violates "
		 "not-null constraint",
		 cmd->name, d->name);
	null_trigger(&b, d, cmd->name, "INSERT", msg);
	null_trigger(&b, d, cmd->name, "UPDATE", msg);
	sep(&b);
	drop_trigger(&b, d, cmd->name, "INSERT");
	drop_trigger(&b, d, cmd->name, "UPDATE");
	return finish(c, pa, &b);
}

/* ADD [CONSTRAINT name] CHECK (expr): triggers on INSERT and UPDATE that
 * raise 23514 when expr is false for the new row (NULL passes, as in
 * PostgreSQL), its columns read from NEW through a one-row subquery; the
 * existing rows are checked first by a trigger fired on updating the
 * failing ones to themselves (file comment). */
/* A CHECK's trigger: "_murphy_check_<name>_<op>" (a shard's file holds
 * one table, whose CHECK names are its own); legacy: the name ADD
 * CONSTRAINT gave before the catalog kept CHECKs, with the table's id
 * (CREATE TABLE plans before the table has one). */
static void ck_trigger_name(const cat_table *t, const char *name, const char *op, int legacy,
			    char *out, size_t n)
{
	if (legacy)
		snprintf(out, n, "_murphy_ck_%u_%s_%s", t->id, name, op);
	else
		snprintf(out, n, "_murphy_check_%s_%s", name, op);
}

static void check_trigger(mur_buf *b, const cat_table *t, const char *name, const char *op,
			  const char *expr, const char *msg)
{
	char tn[SQL_TRIGGER_NAME_MAX];
	ck_trigger_name(t, name, op, 0, tn, sizeof tn);
	mur_buf_printf(b, "CREATE TRIGGER main.");
	sql_emit_ident(b, tn);
	mur_buf_printf(b, " BEFORE %s ON ", op);
	sql_emit_ident(b, t->name);
	mur_buf_printf(b, " WHEN (SELECT NOT (%s) FROM (SELECT ", expr);
	for (int i = 0, n = 0; i < t->ncols; i++) {
		mur_buf q;
		int used;
		mur_buf_init(&q);
		sql_emit_ident(&q, t->cols[i].name);
		mur_buf_put_u8(&q, 0);
		/* only the columns expr names: the others stay droppable */
		used = mur_buf_ok(&q) && strstr(expr, (const char *)q.data) != NULL;
		mur_buf_free(&q);
		if (!used && !(i == t->ncols - 1 && n == 0))
			continue;
		mur_buf_printf(b, "%sNEW.", n++ ? ", " : "");
		sql_emit_ident(b, t->cols[i].name);
		mur_buf_printf(b, " AS ");
		sql_emit_ident(b, t->cols[i].name);
	}
	mur_buf_printf(b, ")) BEGIN SELECT RAISE(ABORT, ");
	sql_emit_string(b, msg, strlen(msg));
	mur_buf_printf(b, "); END; ");
}

static void check_drop_named(mur_buf *b, const cat_table *t, const char *name, const char *op,
			     int legacy)
{
	char tn[SQL_TRIGGER_NAME_MAX];
	ck_trigger_name(t, name, op, legacy, tn, sizeof tn);
	mur_buf_printf(b, "DROP TRIGGER IF EXISTS main.");
	sql_emit_ident(b, tn);
	mur_buf_printf(b, "; ");
}

static void check_drop(mur_buf *b, const cat_table *t, const char *name, const char *op)
{
	check_drop_named(b, t, name, op, 0);
}

static void new_row_triggers(mur_buf *b, const cat_table *t, const char *name, const char *expr)
{
	char msg[CAT_NAME_MAX * 3 + 128];
	snprintf(msg, sizeof msg,
		 "SQLSTATE:23514:new row for relation \"%s\" violates check constraint \"%s\"",
		 t->name, name);
	check_trigger(b, t, name, "INSERT", expr, msg);
	check_trigger(b, t, name, "UPDATE", expr, msg);
}

/* The CHECK is defined on the table's new shape (plan_check.c: its
 * name, its text for the catalog, the SQLite expression). */
/* The existing rows of t checked against CHECK name (expr): a trigger
 * fired by updating the failing ones to themselves raises 23514 "is
 * violated by some row", then goes. */
static void check_rows(mur_buf *b, const cat_table *t, const char *name, const char *expr)
{
	char msg[CAT_NAME_MAX * 3 + 128];
	snprintf(msg, sizeof msg,
		 "SQLSTATE:23514:check constraint \"%s\" of relation \"%s\" is violated by "
		 "some row",
		 name, t->name);
	check_trigger(b, t, name, "UPDATE", expr, msg);
	mur_buf_printf(b, "UPDATE main.");
	sql_emit_ident(b, t->name);
	mur_buf_printf(b, " SET ");
	sql_emit_ident(b, t->cols[t->dist_col].name);
	mur_buf_printf(b, " = ");
	sql_emit_ident(b, t->cols[t->dist_col].name);
	mur_buf_printf(b, " WHERE NOT (%s); ", expr);
	check_drop(b, t, name, "UPDATE");
}

static int add_check(sql_ctx *c, plan_alter *pa, PgQuery__RangeVar *rv, PgQuery__Constraint *k)
{
	cat_table *t = pa->def;
	const char *expr, *name;
	mur_buf b;
	(void)rv;
	if (sql_check_define(c, t, k, &expr) != MUR_OK)
		return MUR_ERR;
	name = t->checks[t->nchecks - 1].name;
	mur_buf_init(&b);
	check_rows(&b, t, name, expr);
	new_row_triggers(&b, t, name, expr);
	sep(&b);
	check_drop(&b, t, name, "INSERT");
	check_drop(&b, t, name, "UPDATE");
	return finish(c, pa, &b);
}

/* Forward: CHECK name's two triggers kept in side table side, then
 * dropped.  Undo (trigger_restore): written back into sqlite_schema
 * (writable_schema, then RESET) and the side table dropped, which also
 * bumps the schema cookie for the placement's other connections. */
static void trigger_save(mur_buf *b, const cat_table *t, const char *name, const char *side,
			 int legacy)
{
	char ins[SQL_TRIGGER_NAME_MAX], upd[SQL_TRIGGER_NAME_MAX];
	ck_trigger_name(t, name, "INSERT", legacy, ins, sizeof ins);
	ck_trigger_name(t, name, "UPDATE", legacy, upd, sizeof upd);
	mur_buf_printf(b, "CREATE TABLE main.");
	sql_emit_ident(b, side);
	mur_buf_printf(b, " AS SELECT type, name, tbl_name, rootpage, sql FROM main.sqlite_schema "
			  "WHERE type = 'trigger' AND name IN (");
	sql_emit_string(b, ins, strlen(ins));
	mur_buf_printf(b, ", ");
	sql_emit_string(b, upd, strlen(upd));
	mur_buf_printf(b, "); ");
	check_drop_named(b, t, name, "INSERT", legacy);
	check_drop_named(b, t, name, "UPDATE", legacy);
}

static void trigger_restore(mur_buf *b, const char *side)
{
	mur_buf_printf(b, "PRAGMA writable_schema = ON; INSERT INTO main.sqlite_schema (type, "
			  "name, tbl_name, rootpage, sql) SELECT type, name, tbl_name, rootpage, "
			  "sql FROM main.");
	sql_emit_ident(b, side);
	mur_buf_printf(b, "; PRAGMA writable_schema = RESET; DROP TABLE main.");
	sql_emit_ident(b, side);
	mur_buf_printf(b, "; ");
}

/* DROP CONSTRAINT name of a CHECK (its two triggers): the catalog's
 * (cat_table.checks), or one an ADD CONSTRAINT made before the catalog
 * kept them, which the shards find: a missing one is 42704 from every
 * shard, a UNIQUE / PRIMARY KEY (an index of that name) 0A000.  IF EXISTS
 * of a name the catalog does not know: a NOTICE, as PostgreSQL's. */
static int drop_check(sql_ctx *c, plan_alter *pa, PgQuery__AlterTableCmd *cmd)
{
	cat_table *t = pa->def;
	char ins[SQL_TRIGGER_NAME_MAX], side[CAT_NAME_MAX * 2 + 48];
	char msg[CAT_NAME_MAX * 2 + 128];
	int ki;
	mur_buf b;
	if (!cmd->name || name_ok(c, cmd->name) != MUR_OK)
		return MUR_ERR;
	snprintf(msg, sizeof msg, "%s_pkey", t->name);
	for (int i = 0; i < t->ncols; i++)
		if (t->cols[i].primary_key && !t->cols[i].hidden && !strcmp(cmd->name, msg))
			return unsupported(c, -1, "dropping a PRIMARY KEY constraint",
					   "The key identifies each row on every copy of a shard, "
					   "and holds the distribution column.");
	ki = cat_check_index(t, cmd->name);
	if (ki < 0 && cmd->missing_ok) {
		pa->noop_notice = "constraint does not exist, skipping";
		return MUR_OK;
	}
	if (ki >= 0)
		sql_check_forget(t, ki);
	ck_trigger_name(t, cmd->name, "INSERT", ki < 0, ins, sizeof ins);
	side_table(t, cmd->name, side, sizeof side);
	mur_buf_init(&b);
	mur_buf_printf(&b, "SELECT mur_raise_if(EXISTS (SELECT 1 FROM main.sqlite_schema WHERE "
			   "type = 'index' AND name = ");
	sql_emit_string(&b, cmd->name, strlen(cmd->name));
	snprintf(msg, sizeof msg,
		 "murphy does not support dropping UNIQUE or PRIMARY KEY constraint \"%s\" yet",
		 cmd->name);
	mur_buf_printf(&b, "), '0A000', ");
	sql_emit_string(&b, msg, strlen(msg));
	mur_buf_printf(&b, "); SELECT mur_raise_if(NOT EXISTS (SELECT 1 FROM main.sqlite_schema "
			   "WHERE type = 'trigger' AND name = ");
	sql_emit_string(&b, ins, strlen(ins));
	snprintf(msg, sizeof msg, "constraint \"%s\" of relation \"%s\" does not exist", cmd->name,
		 t->name);
	mur_buf_printf(&b, "), '42704', ");
	sql_emit_string(&b, msg, strlen(msg));
	mur_buf_printf(&b, "); ");
	trigger_save(&b, t, cmd->name, side, ki < 0);
	sep(&b);
	trigger_restore(&b, side);
	return finish(c, pa, &b);
}

int sql_plan_alter_shape(sql_ctx *c, const cat_table *t, PgQuery__RangeVar *rv,
			 PgQuery__AlterTableCmd *cmd, plan *p)
{
	plan_alter *pa = &p->u.alter;
	memset(pa, 0, sizeof *pa);
	p->kind = PLAN_ALTER;
	p->tag = "ALTER TABLE";
	pa->table = t;
	if (!(pa->def = copy_table(c, t)))
		return MUR_ERR;
	switch (cmd->subtype) {
	case PG_QUERY__ALTER_TABLE_TYPE__AT_AddColumn:
		return add_column(c, pa, cmd);
	case PG_QUERY__ALTER_TABLE_TYPE__AT_DropColumn:
		return drop_column(c, pa, cmd);
	case PG_QUERY__ALTER_TABLE_TYPE__AT_ColumnDefault:
		return set_default(c, pa, cmd);
	case PG_QUERY__ALTER_TABLE_TYPE__AT_SetNotNull:
		return set_not_null(c, pa, cmd);
	case PG_QUERY__ALTER_TABLE_TYPE__AT_DropNotNull:
		return sql_alter_drop_not_null(c, pa, cmd);
	case PG_QUERY__ALTER_TABLE_TYPE__AT_AlterColumnType:
		return sql_alter_column_type(c, pa, rv, cmd);
	case PG_QUERY__ALTER_TABLE_TYPE__AT_DropConstraint:
		return drop_check(c, pa, cmd);
	case PG_QUERY__ALTER_TABLE_TYPE__AT_AddConstraint:
		if (cmd->def && cmd->def->node_case == PG_QUERY__NODE__NODE_CONSTRAINT &&
		    cmd->def->constraint->contype == PG_QUERY__CONSTR_TYPE__CONSTR_CHECK &&
		    !cmd->def->constraint->skip_validation)
			return add_check(c, pa, rv, cmd->def->constraint);
		return unsupported(c, -1, "ALTER TABLE ... ADD CONSTRAINT ... CHECK ... NOT VALID",
				   NULL);
	default:
		return MUR_EAGAIN;
	}
}

/* ---- for plan_alter_type.c (sqlInt.h) --------------------------------- */

int sql_alter_row_key(const cat_table *t, int *cols) { return row_key(t, cols); }
void sql_alter_side_table(const cat_table *t, const char *col, char *out, size_t n)
{
	side_table(t, col, out, n);
}
int sql_alter_column_of(sql_ctx *c, cat_table *d, const char *name, int *ci)
{
	return column_of(c, d, name, ci);
}
int sql_alter_name_ok(sql_ctx *c, const char *name) { return name_ok(c, name); }
void sql_alter_null_trigger(mur_buf *b, const cat_table *t, const char *cn, const char *op,
			    const char *msg)
{
	null_trigger(b, t, cn, op, msg);
}
void sql_alter_drop_trigger(mur_buf *b, const cat_table *t, const char *cn, const char *op)
{
	drop_trigger(b, t, cn, op);
}
void sql_alter_check_triggers(mur_buf *b, const cat_table *t, const char *name, const char *expr)
{
	new_row_triggers(b, t, name, expr);
}
void sql_alter_check_rows(mur_buf *b, const cat_table *t, const char *name, const char *expr)
{
	check_rows(b, t, name, expr);
}
void sql_alter_check_drop_triggers(mur_buf *b, const cat_table *t, const char *name)
{
	check_drop(b, t, name, "INSERT");
	check_drop(b, t, name, "UPDATE");
}

/* ---- ALTER TABLE ... RENAME [COLUMN] ---------------------------------- */

static int rename_column(sql_ctx *c, plan_alter *pa, PgQuery__RenameStmt *s)
{
	cat_table *d = pa->def;
	int ci;
	mur_buf b;
	if (column_of(c, d, s->subname, &ci) != MUR_OK || name_ok(c, s->newname) != MUR_OK)
		return MUR_ERR;
	if (cat_column_index(d, s->newname) >= 0)
		return sql_err(c, "42701", -1, "column \"%s\" of relation \"%s\" already exists",
			       s->newname, d->name);
	if (sql_alter_rename_views(c, pa, s->subname, s->newname) != MUR_OK)
		return MUR_ERR;
	if (strlen(s->newname) >= CAT_NAME_MAX)
		return sql_err(c, SQLSTATE_PROGRAM_LIMIT_EXCEEDED, -1,
			       "column name \"%s\" is too long", s->newname);
	snprintf(d->cols[ci].name, sizeof d->cols[ci].name, "%s", s->newname);
	if (sql_check_rename_column(c, d, s->subname, s->newname) != MUR_OK)
		return MUR_ERR;
	mur_buf_init(&b);
	alter_prefix(&b, d->name);
	mur_buf_printf(&b, "RENAME COLUMN ");
	sql_emit_ident(&b, s->subname);
	mur_buf_printf(&b, " TO ");
	sql_emit_ident(&b, s->newname);
	sep(&b);
	alter_prefix(&b, d->name);
	mur_buf_printf(&b, "RENAME COLUMN ");
	sql_emit_ident(&b, s->newname);
	mur_buf_printf(&b, " TO ");
	sql_emit_ident(&b, s->subname);
	return finish(c, pa, &b);
}

static int rename_table(sql_ctx *c, plan_alter *pa, PgQuery__RenameStmt *s)
{
	cat_table *d = pa->def;
	mur_buf b;
	if (name_ok(c, s->newname) != MUR_OK)
		return MUR_ERR;
	if (c->cat && (cat_table_lookup(c->cat, pa->table->schema, s->newname) ||
		       cat_view_lookup(c->cat, pa->table->schema, s->newname)))
		return sql_err(c, "42P07", -1, "relation \"%s\" already exists", s->newname);
	if (strlen(s->newname) >= CAT_NAME_MAX || !strncmp(s->newname, "_murphy", 7))
		return sql_err(c, "42602", -1, "invalid table name \"%s\"", s->newname);
	if (sql_alter_rename_views(c, pa, NULL, s->newname) != MUR_OK)
		return MUR_ERR;
	snprintf(d->name, sizeof d->name, "%s", s->newname);
	mur_buf_init(&b);
	alter_prefix(&b, pa->table->name);
	mur_buf_printf(&b, "RENAME TO ");
	sql_emit_ident(&b, s->newname);
	/* the CHECKs' messages name the table: made again with the new name */
	mur_buf_printf(&b, "; ");
	if (sql_check_retrigger(c, d, &b) != MUR_OK) {
		mur_buf_free(&b);
		return MUR_ERR;
	}
	sep(&b);
	alter_prefix(&b, s->newname);
	mur_buf_printf(&b, "RENAME TO ");
	sql_emit_ident(&b, pa->table->name);
	mur_buf_printf(&b, "; ");
	if (sql_check_retrigger(c, pa->table, &b) != MUR_OK) {
		mur_buf_free(&b);
		return MUR_ERR;
	}
	return finish(c, pa, &b);
}

int sql_plan_rename(sql_ctx *c, PgQuery__RenameStmt *s, plan *p)
{
	plan_alter *pa = &p->u.alter;
	const cat_table *t;
	if (s->rename_type == PG_QUERY__OBJECT_TYPE__OBJECT_VIEW ||
	    (s->rename_type == PG_QUERY__OBJECT_TYPE__OBJECT_COLUMN &&
	     s->relation_type == PG_QUERY__OBJECT_TYPE__OBJECT_VIEW) ||
	    ((s->rename_type == PG_QUERY__OBJECT_TYPE__OBJECT_TABLE ||
	      s->rename_type == PG_QUERY__OBJECT_TYPE__OBJECT_COLUMN) &&
	     sql_rename_view_target(c, s)))
		return sql_plan_rename_view(c, s, p); /* plan_view_rename.c */
	memset(pa, 0, sizeof *pa);
	p->kind = PLAN_ALTER;
	p->tag = "ALTER TABLE";
	if (s->rename_type != PG_QUERY__OBJECT_TYPE__OBJECT_TABLE &&
	    s->rename_type != PG_QUERY__OBJECT_TYPE__OBJECT_COLUMN)
		return unsupported(c, -1, "ALTER ... RENAME of this kind of object", NULL);
	if (s->relation_type != PG_QUERY__OBJECT_TYPE__OBJECT_TABLE &&
	    s->rename_type == PG_QUERY__OBJECT_TYPE__OBJECT_COLUMN)
		return unsupported(c, -1, "ALTER ... RENAME COLUMN of this kind of object", NULL);
	if (!s->relation)
		return sql_err(c, SQLSTATE_SYNTAX_ERROR, -1, "RENAME needs a table");
	if (s->missing_ok && c->cat && !sql_rv_table(c, s->relation)) {
		p->kind = PLAN_NOOP;
		return MUR_OK;
	}
	if (!(t = sql_lookup_table(c, s->relation)))
		return MUR_ERR;
	if (t->kind != CAT_TABLE_DISTRIBUTED)
		return sql_err(c, SQLSTATE_FEATURE_NOT_SUPPORTED, s->relation->location,
			       "cannot alter murphy.%s: it is a view of the cluster's state",
			       t->name);
	pa->table = t;
	if (!(pa->def = copy_table(c, t)))
		return MUR_ERR;
	return s->rename_type == PG_QUERY__OBJECT_TYPE__OBJECT_TABLE ? rename_table(c, pa, s)
								     : rename_column(c, pa, s);
}
