/*
 * plan_alter_type.c — ALTER TABLE t ALTER COLUMN c [SET DATA] TYPE T
 * [USING expr] and ALTER COLUMN c DROP NOT NULL, planned as a PLAN_ALTER
 * like the other shape changes (plan_alter.c): the catalog's new column and
 * the "forward SEP undo" DDL entry every shard logs in one transaction, so
 * all copies of all shards change or none, across follower and leader
 * failures (catalog_alter.c, leader/lead_ddl.c).
 *
 * A type change is one of four kinds, cheapest first (change_kind):
 *
 *   CATALOG    the stored values are already values of the new type
 *              (int2 → int4 → int8, varchar(n) → varchar(m >= n) → text,
 *              numeric(p,s) → numeric): only the catalog changes.
 *   VALIDATE   the values stay, but some may not fit (int8 → int4,
 *              text → varchar(n)): each shard runs SELECT count(conv)
 *              over its rows, which fails with PostgreSQL's error (22003,
 *              22001) at the first value that does not fit; no undo.
 *   IN_PLACE   the values change but SQLite's column does not (same
 *              affinity: numeric → numeric(p,s), float8 → float4,
 *              date → timestamp, text USING expr): the old values are kept
 *              in a side table (as DROP COLUMN keeps them), then UPDATE
 *              SET c = conv; undo writes them back.
 *   RECREATE   SQLite's column type differs (integer → numeric / text /
 *              double, text → integer USING): a new column is added and
 *              filled with conv, the old one renamed out of the way
 *              (_murphy_old_*: kept, never read) and the new one renamed
 *              to c; undo drops the new one and renames the old one back.
 *              The catalog's indexes on c (CREATE INDEX, ADD UNIQUE) are
 *              dropped first and built again on the new column (a UNIQUE
 *              one fails with 23505 when the new values collide); undo
 *              drops them and builds them on the old values again.  So
 *              are the CHECKs naming c (checks_naming, plan_check.c's
 *              sql_check_retype): text reprinted over the new type,
 *              triggers made again, every row checked again (23514).
 *              So SQLite's column order is the same on a copy that
 *              applied and undid the entry and on one that never had it:
 *              changesets are positional.  The shard first checks
 *              (mur_raise_if, 0A000) that no other index (a UNIQUE of
 *              CREATE TABLE is SQLite's own, which it cannot drop) or
 *              trigger (a CHECK made before the catalog kept them) names
 *              c (the rename would take it along to the old values).  A
 *              NOT NULL is kept as triggers on the new column (as SET NOT
 *              NULL makes them); SQLite's own, declared at CREATE TABLE, is
 *              taken off the old column (take_off_not_null).
 *
 * conv is the column (or USING expr) cast to the new type, run on the
 * followers by mur_cast (storage/sqlfn.c: PostgreSQL's conversions and
 * their errors, 22P02 / 22003), numeric(p,s) rounded by mur_num_typmod,
 * varchar(n) checked by mur_varchar_fit (22001).  Without USING the old
 * type must have PostgreSQL's assignment cast to the new one, else 42804
 * "cannot be cast automatically" with PostgreSQL's hint.
 *
 * The distribution column changes only by CATALOG or VALIDATE: its values,
 * hence every row's shard, stay.  Key columns do not RECREATE (SQLite
 * cannot drop a key column).  A column a view reads keeps its type (0A000,
 * as PostgreSQL).
 *
 * DROP NOT NULL: the catalog forgets not_null; the shards drop the NOT
 * NULL triggers SET NOT NULL made and take SQLite's own NOT NULL (declared
 * at CREATE TABLE) off the column (take_off_not_null); undo makes the
 * triggers again.  Key columns:
 * 42P16 "is in a primary key" as PostgreSQL; the distribution column:
 * 0A000.
 */
#include "sql/sqlInt.h"

#include "common/numeric.h"

#include <stdio.h>
#include <string.h>

#define SQL_ALTER_INDEXES_MAX 64 /* the catalog's indexes one column's RECREATE rebuilds */

typedef enum change_kind {
	CHANGE_CATALOG,
	CHANGE_VALIDATE,
	CHANGE_IN_PLACE,
	CHANGE_RECREATE,
} change_kind;

static int refused(sql_ctx *c, const char *what, const char *why)
{
	sql_err(c, SQLSTATE_FEATURE_NOT_SUPPORTED, -1, "murphy does not support %s", what);
	if (why)
		mur_error_detail(c->err, "%s", why);
	return MUR_ERR;
}

/* PostgreSQL's pg_cast rows of context implicit or assignment between the
 * types murphy has, and the I/O conversion of anything to a string type. */
static int assignment_cast(mur_type from, mur_type to)
{
	if (from == to || from == MT_UNKNOWN || mur_type_is_text(to))
		return 1;
	if (mur_type_is_numeric(from) && mur_type_is_numeric(to))
		return 1;
	if (mur_type_is_text(from) && mur_type_is_text(to))
		return 1;
	switch (from) {
	case MT_DATE:
		return to == MT_TIMESTAMP || to == MT_TIMESTAMPTZ;
	case MT_TIMESTAMP:
	case MT_TIMESTAMPTZ:
		return to == MT_DATE || to == MT_TIMESTAMP || to == MT_TIMESTAMPTZ;
	case MT_JSON:
		return to == MT_JSONB;
	case MT_JSONB:
		return to == MT_JSON;
	default:
		return 0;
	}
}

/* Does SQLite store the two types in the same column (affinity and, for
 * numeric, collation)? */
static int same_column(mur_type a, mur_type b)
{
	return !strcmp(mur_type_sqlite_decl(a), mur_type_sqlite_decl(b)) &&
	       !strcmp(sql_column_collate(a), sql_column_collate(b));
}

static int int_width(mur_type t)
{
	return t == MT_INT2 ? 2 : t == MT_INT4 ? 4 : t == MT_INT8 ? 8 : 0;
}

static int varchar_like(mur_type t) { return t == MT_TEXT || t == MT_VARCHAR; }

/* The kind of change from col to (to, typmod) without USING (file comment). */
static change_kind change_kind_of(const cat_column *col, mur_type to, int32_t typmod)
{
	mur_type from = col->type;
	if (int_width(from) && int_width(to))
		return int_width(to) >= int_width(from) ? CHANGE_CATALOG : CHANGE_VALIDATE;
	if (varchar_like(from) && varchar_like(to)) {
		if (to == MT_TEXT || typmod < 0 ||
		    (from == MT_VARCHAR && col->typmod > 0 && col->typmod <= typmod))
			return CHANGE_CATALOG;
		return CHANGE_VALIDATE;
	}
	if (from == to && from == MT_NUMERIC && (typmod < 0 || typmod == col->typmod))
		return CHANGE_CATALOG;
	if (from == to && from != MT_NUMERIC && from != MT_BPCHAR)
		return CHANGE_CATALOG;
	return same_column(from, to) ? CHANGE_IN_PLACE : CHANGE_RECREATE;
}

/* A ColumnRef node naming col (arena), for the conversion without USING. */
static PgQuery__Node *column_ref(sql_ctx *c, const char *col)
{
	PgQuery__String *s = sql_alloc(c, sizeof *s);
	PgQuery__Node *sn = sql_alloc(c, sizeof *sn), *n = sql_alloc(c, sizeof *n),
		      **fields = sql_alloc(c, sizeof *fields);
	PgQuery__ColumnRef *cr = sql_alloc(c, sizeof *cr);
	if (!s || !sn || !n || !fields || !cr)
		return NULL;
	pg_query__string__init(s);
	s->sval = (char *)col;
	pg_query__node__init(sn);
	sn->node_case = PG_QUERY__NODE__NODE_STRING;
	sn->string = s;
	fields[0] = sn;
	pg_query__column_ref__init(cr);
	cr->n_fields = 1;
	cr->fields = fields;
	cr->location = -1;
	pg_query__node__init(n);
	n->node_case = PG_QUERY__NODE__NODE_COLUMN_REF;
	n->column_ref = cr;
	return n;
}

static int not_castable(sql_ctx *c, const char *col, mur_type to, int using_loc)
{
	if (using_loc != -2) {
		sql_err(c, SQLSTATE_DATATYPE_MISMATCH, -1,
			"result of USING clause for column \"%s\" cannot be cast automatically "
			"to type %s",
			col, mur_type_name(to));
		mur_error_hint(c->err, "You might need to add an explicit cast.");
		return MUR_ERR;
	}
	sql_err(c, SQLSTATE_DATATYPE_MISMATCH, -1,
		"column \"%s\" cannot be cast automatically to type %s", col, mur_type_name(to));
	mur_error_hint(c->err, "You might need to specify \"USING %s::%s\".", col,
		       mur_type_name(to));
	return MUR_ERR;
}

/* conv: the column (or USING expr) as a value of (to, typmod), emitted
 * with bare column names into b. */
static int conversion(sql_ctx *c, PgQuery__RangeVar *rv, const cat_column *col,
		      PgQuery__Node *using, mur_type to, int32_t typmod, mur_buf *b)
{
	PgQuery__Node *n = using ? using : column_ref(c, col->name);
	const sql_query *q;
	sql_expr *e;
	if (!n || sql_table_value_expr(c, rv, n, &q, &e) != MUR_OK)
		return MUR_ERR;
	if (!assignment_cast(e->type, to))
		return not_castable(c, col->name, to, using ? 0 : -2);
	if (e->type != to && !(e = sql_make_cast(c, e, to, e->loc)))
		return MUR_ERR;
	if (to == MT_NUMERIC && typmod >= 0 && !(e = sql_numeric_typmod(c, e, typmod, e->loc)))
		return MUR_ERR;
	if ((to == MT_VARCHAR || to == MT_BPCHAR) && typmod > 0 &&
	    !(e = sql_make_call(c, "mur_varchar_fit", to, e->loc, 3, e,
				sql_make_const_int(c, typmod, MT_INT4),
				sql_make_const_int(c, to == MT_BPCHAR, MT_INT4))))
		return MUR_ERR;
	sql_emit em = {b, q, 1};
	sql_emit_expr(&em, e);
	return mur_buf_ok(b) ? MUR_OK : MUR_ERR;
}

static void emit_table(mur_buf *b, const char *verb, const cat_table *t, const char *rest)
{
	mur_buf_printf(b, "%s main.", verb);
	sql_emit_ident(b, t->name);
	mur_buf_printf(b, "%s", rest);
}

/* SQLite's declaration of a column of type ty (the collation of numeric,
 * as CREATE TABLE declares it: plan_ddl.c's shard_ddl). */
static void emit_decl(mur_buf *b, mur_type ty)
{
	mur_buf_printf(b, " %s%s", mur_type_sqlite_decl(ty), sql_column_collate(ty));
}

/* The old values of column ci kept in side table `side`: CREATE ... AS. */
static void keep_values(mur_buf *b, const cat_table *t, int ci, const char *side)
{
	int key[CAT_COLUMNS_MAX], nkey = sql_alter_row_key(t, key);
	mur_buf_printf(b, "CREATE TABLE main.");
	sql_emit_ident(b, side);
	mur_buf_printf(b, " AS SELECT ");
	for (int i = 0; i < nkey; i++) {
		sql_emit_ident(b, t->cols[key[i]].name);
		mur_buf_printf(b, ", ");
	}
	sql_emit_ident(b, t->cols[ci].name);
	emit_table(b, " FROM", t, "; ");
}

/* UPDATE t SET c = (the side table's value of the row); DROP side. */
static void restore_values(mur_buf *b, const cat_table *t, int ci, const char *side)
{
	int key[CAT_COLUMNS_MAX], nkey = sql_alter_row_key(t, key);
	const char *cn = t->cols[ci].name;
	emit_table(b, "UPDATE", t, " SET ");
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
	mur_buf_printf(b, "; ");
}

static void nn_triggers(mur_buf *b, const cat_table *t, const char *cn)
{
	char msg[CAT_NAME_MAX * 2 + 128];
	snprintf(msg, sizeof msg,
		 "SQLSTATE:23502:null value in column \"%s\" of relation \"%s\" violates "
		 "not-null constraint",
		 cn, t->name);
	sql_alter_null_trigger(b, t, cn, "INSERT", msg);
	sql_alter_null_trigger(b, t, cn, "UPDATE", msg);
}

static void nn_drop(mur_buf *b, const cat_table *t, const char *cn)
{
	sql_alter_drop_trigger(b, t, cn, "INSERT");
	sql_alter_drop_trigger(b, t, cn, "UPDATE");
}

/* "SELECT mur_raise_if(cond, '0A000', msg); " */
static void raise_if(mur_buf *b, const char *cond, const char *msg)
{
	mur_buf_printf(b, "SELECT mur_raise_if(%s, '0A000', ", cond);
	sql_emit_string(b, msg, strlen(msg));
	mur_buf_printf(b, "); ");
}

/* SQLite's own NOT NULL of column ci, as CREATE TABLE declared it
 * (plan_ddl.c's shard_ddl: "c" TYPE [COLLATE mur_numeric] NOT NULL), taken
 * off by editing the table's text in sqlite_schema — the change SQLite's
 * documentation lists as safe with writable_schema (no stored byte
 * changes) — and the schema read again (RESET).  The ALTER statements
 * that follow bump the schema cookie, so the placement's other
 * connections read it again too.  A declaration of another form (ADD
 * COLUMN ... DEFAULT k NOT NULL) is left as it is and refused by the
 * guard after it.  Rolled back with the entry's transaction. */
static void take_off_not_null(mur_buf *b, const cat_table *t, int ci)
{
	const cat_column *col = &t->cols[ci];
	mur_buf from;
	mur_buf_init(&from);
	sql_emit_ident(&from, col->name);
	emit_decl(&from, col->type);
	mur_buf_printf(b, "PRAGMA writable_schema = ON; UPDATE main.sqlite_schema SET sql = "
			  "replace(sql, ");
	if (mur_buf_ok(&from)) {
		mur_buf_printf(&from, " NOT NULL");
		sql_emit_string(b, (const char *)from.data, from.len);
		mur_buf_printf(b, ", ");
		sql_emit_string(b, (const char *)from.data, from.len - strlen(" NOT NULL"));
	}
	mur_buf_printf(b, ") WHERE type = 'table' AND name = ");
	sql_emit_string(b, t->name, strlen(t->name));
	mur_buf_printf(b, "; PRAGMA writable_schema = RESET; ");
	mur_buf_free(&from);
}

/* Checks the shard runs before it touches column ci: that SQLite's column
 * is nullable (when the catalog says NOT NULL, it may be SQLite's own,
 * declared at CREATE TABLE, which SQLite cannot take off: 0A000), and, for
 * a rename, that no index or CHECK trigger names it (the rename would move
 * them to the old values' column: 0A000). */
static void guards(mur_buf *b, const cat_table *t, int ci, int renames)
{
	const char *cn = t->cols[ci].name;
	char msg[CAT_NAME_MAX * 2 + 256];
	mur_buf cond;
	mur_buf_init(&cond);
	if (t->cols[ci].not_null) {
		take_off_not_null(b, t, ci);
		mur_buf_printf(&cond, "(SELECT \"notnull\" FROM pragma_table_info(");
		sql_emit_string(&cond, t->name, strlen(t->name));
		mur_buf_printf(&cond, ", 'main') WHERE name = ");
		sql_emit_string(&cond, cn, strlen(cn));
		mur_buf_printf(&cond, ")");
		mur_buf_put_u8(&cond, 0);
		snprintf(msg, sizeof msg,
			 "murphy cannot change column \"%s\" of \"%s\": it was declared NOT NULL "
			 "when the table was created, and SQLite, which stores the shards, cannot "
			 "change such a column",
			 cn, t->name);
		if (mur_buf_ok(&cond))
			raise_if(b, (const char *)cond.data, msg);
		mur_buf_reset(&cond);
	}
	if (renames) {
		mur_buf_printf(&cond, "EXISTS (SELECT 1 FROM pragma_index_list(");
		sql_emit_string(&cond, t->name, strlen(t->name));
		mur_buf_printf(&cond, ", 'main') AS il, pragma_index_info(il.name, 'main') AS ii "
				      "WHERE ii.name = ");
		sql_emit_string(&cond, cn, strlen(cn));
		mur_buf_printf(&cond, ") OR EXISTS (SELECT 1 FROM main.sqlite_schema WHERE type = "
				      "'trigger' AND tbl_name = ");
		sql_emit_string(&cond, t->name, strlen(t->name));
		mur_buf_printf(&cond, " AND substr(name, 1, 11) <> '_murphy_nn_' AND instr(sql, ");
		{
			mur_buf q;
			mur_buf_init(&q);
			sql_emit_ident(&q, cn);
			sql_emit_string(&cond, (const char *)q.data, q.len);
			mur_buf_free(&q);
		}
		mur_buf_printf(&cond, ") > 0)");
		mur_buf_put_u8(&cond, 0);
		snprintf(msg, sizeof msg,
			 "murphy cannot change column \"%s\" of \"%s\" while an index or a CHECK "
			 "constraint uses it; drop it, alter the column, then create it again",
			 cn, t->name);
		if (mur_buf_ok(&cond))
			raise_if(b, (const char *)cond.data, msg);
	}
	mur_buf_free(&cond);
}

/* The catalog's indexes that name column cn of t (catalog_index.c), at
 * most SQL_ALTER_INDEXES_MAX (past them, the shard's guard refuses). */
typedef struct col_indexes {
	int n;
	const cat_index *x[SQL_ALTER_INDEXES_MAX];
} col_indexes;

static void indexes_naming(sql_ctx *c, const cat_table *t, const char *cn, col_indexes *out)
{
	out->n = 0;
	for (int i = 0; c->cat && i < cat_index_count(c->cat); i++) {
		const cat_index *x = cat_index_at(c->cat, i);
		int names = 0;
		for (int k = 0; x->table_id == t->id && k < x->ncols; k++)
			names |= !strcmp(x->cols[k], cn);
		if (names && out->n < SQL_ALTER_INDEXES_MAX)
			out->x[out->n++] = x;
	}
}

static void index_drop(mur_buf *b, const col_indexes *ix)
{
	for (int i = 0; i < ix->n; i++) {
		mur_buf_printf(b, "DROP INDEX IF EXISTS main.");
		sql_emit_ident(b, ix->x[i]->name);
		mur_buf_printf(b, "; ");
	}
}

static void index_create(mur_buf *b, const cat_table *t, const col_indexes *ix)
{
	for (int i = 0; i < ix->n; i++) {
		const cat_index *x = ix->x[i];
		mur_buf_printf(b, "CREATE %sINDEX main.", x->unique ? "UNIQUE " : "");
		sql_emit_ident(b, x->name);
		mur_buf_printf(b, " ON "); /* SQLite: the index's schema, not the table's */
		sql_emit_ident(b, t->name);
		mur_buf_printf(b, " (");
		for (int k = 0; k < x->ncols; k++) {
			mur_buf_printf(b, k ? ", " : "");
			sql_emit_ident(b, x->cols[k]);
			mur_buf_printf(b, x->desc[k] ? " DESC" : "");
		}
		mur_buf_printf(b, "); ");
	}
}

/* RECREATE (file comment): old is the column as it is (t's ci), nw as it
 * will be; conv its new value over t's columns.  The old column is kept,
 * renamed to `stash` (its values stay there, as PostgreSQL keeps a
 * rewritten column's old bytes until VACUUM FULL), and undo renames it
 * back: every copy keeps SQLite's column order whether it applied and
 * undid the entry or never had it (changesets are positional). */
/* The CHECKs naming the column: their triggers' SQL around the change
 * (plan_check.c's sql_check_retype). */
typedef struct col_checks {
	const char *drop, *make, *undo_drop, *undo_make;
} col_checks;

static int checks_naming(sql_ctx *c, const cat_table *t, cat_table *d, int ci, col_checks *ck)
{
	mur_buf drop, make, undo_drop, undo_make;
	int rc;
	mur_buf_init(&drop);
	mur_buf_init(&make);
	mur_buf_init(&undo_drop);
	mur_buf_init(&undo_make);
	rc = sql_check_retype(c, t, d, ci, &drop, &make, &undo_drop, &undo_make);
	if (rc == MUR_OK &&
	    (!(ck->drop = sql_buf_finish(c, &drop)) || !(ck->make = sql_buf_finish(c, &make)) ||
	     !(ck->undo_drop = sql_buf_finish(c, &undo_drop)) ||
	     !(ck->undo_make = sql_buf_finish(c, &undo_make))))
		rc = MUR_ERR;
	mur_buf_free(&drop); /* those sql_buf_finish did not take ("" when none) */
	mur_buf_free(&make);
	mur_buf_free(&undo_drop);
	mur_buf_free(&undo_make);
	return rc;
}

static void recreate_sql(mur_buf *b, const cat_table *t, int ci, const cat_column *nw,
			 const char *conv, const char *stash, const col_indexes *ix,
			 const col_checks *ck)
{
	const cat_column *old = &t->cols[ci];
	char tmp[CAT_NAME_MAX + 16];
	snprintf(tmp, sizeof tmp, "_murphy_ty_%s", old->name);
	index_drop(b, ix); /* built again on the new column below */
	mur_buf_printf(b, "%s", ck->drop);
	guards(b, t, ci, 1);
	nn_drop(b, t, old->name);
	emit_table(b, "ALTER TABLE", t, " ADD COLUMN ");
	sql_emit_ident(b, tmp);
	emit_decl(b, nw->type);
	emit_table(b, "; UPDATE", t, " SET ");
	sql_emit_ident(b, tmp);
	mur_buf_printf(b, " = %s; ", conv);
	emit_table(b, "ALTER TABLE", t, " RENAME COLUMN ");
	sql_emit_ident(b, old->name);
	mur_buf_printf(b, " TO ");
	sql_emit_ident(b, stash);
	emit_table(b, "; ALTER TABLE", t, " RENAME COLUMN ");
	sql_emit_ident(b, tmp);
	mur_buf_printf(b, " TO ");
	sql_emit_ident(b, old->name);
	mur_buf_printf(b, "; ");
	if (nw->not_null)
		nn_triggers(b, t, old->name);
	index_create(b, t, ix);
	mur_buf_printf(b, "%s", ck->make);
	mur_buf_put_u8(b, (uint8_t)EXEC_DDL_SEP);
	index_drop(b, ix);
	mur_buf_printf(b, "%s", ck->undo_drop);
	nn_drop(b, t, old->name);
	emit_table(b, "ALTER TABLE", t, " DROP COLUMN ");
	sql_emit_ident(b, old->name);
	emit_table(b, "; ALTER TABLE", t, " RENAME COLUMN ");
	sql_emit_ident(b, stash);
	mur_buf_printf(b, " TO ");
	sql_emit_ident(b, old->name);
	mur_buf_printf(b, "; ");
	if (old->not_null)
		nn_triggers(b, t, old->name);
	index_create(b, t, ix);
	mur_buf_printf(b, "%s", ck->undo_make);
}

/* IN_PLACE: keep, UPDATE SET c = conv; undo restores. */
static void in_place_sql(mur_buf *b, const cat_table *t, int ci, const char *conv, const char *side)
{
	keep_values(b, t, ci, side);
	emit_table(b, "UPDATE", t, " SET ");
	sql_emit_ident(b, t->cols[ci].name);
	mur_buf_printf(b, " = %s", conv);
	mur_buf_put_u8(b, (uint8_t)EXEC_DDL_SEP);
	restore_values(b, t, ci, side);
}

static int key_column(const cat_table *t, int ci)
{
	return t->cols[ci].primary_key || ci == t->dist_col;
}

int sql_alter_column_type(sql_ctx *c, plan_alter *pa, PgQuery__RangeVar *rv,
			  PgQuery__AlterTableCmd *cmd)
{
	const cat_table *t = pa->table;
	PgQuery__ColumnDef *cd = cmd->def && cmd->def->node_case == PG_QUERY__NODE__NODE_COLUMN_DEF
					 ? cmd->def->column_def
					 : NULL;
	char side[CAT_NAME_MAX * 2 + 48];
	change_kind kind;
	int32_t typmod;
	mur_type to;
	mur_buf conv, b;
	int ci;
	if (!cd || !cd->type_name)
		return sql_err(c, SQLSTATE_SYNTAX_ERROR, -1, "ALTER COLUMN TYPE needs a type");
	if (sql_alter_column_of(c, pa->def, cmd->name, &ci) != MUR_OK ||
	    sql_alter_name_ok(c, cmd->name) != MUR_OK)
		return MUR_ERR;
	if (cd->coll_clause)
		return refused(c, "ALTER COLUMN TYPE ... COLLATE", NULL);
	if ((to = sql_type_from_typename(c, cd->type_name, &typmod)) == MT_UNKNOWN)
		return MUR_ERR;
	if (to == MT_INTERVAL && typmod >= 0)
		return refused(c, "interval fields or precision in a column type",
			       "interval hour to minute and interval(p) are not applied on write");
	if (sql_alter_type_views(c, t, cmd->name) != MUR_OK)
		return MUR_ERR;
	kind = cd->raw_default ? CHANGE_RECREATE : change_kind_of(&t->cols[ci], to, typmod);
	if (kind == CHANGE_RECREATE && same_column(t->cols[ci].type, to))
		kind = CHANGE_IN_PLACE;
	if (ci == t->dist_col && kind > CHANGE_VALIDATE)
		return refused(c, "changing the distribution column's type this way",
			       "Only a change that keeps every value (such as integer to bigint, "
			       "or varchar to text) keeps each row in its shard; recreate the "
			       "table to convert its distribution column.");
	if (key_column(t, ci) && kind == CHANGE_RECREATE)
		return refused(c, "changing a key column's type to one SQLite stores differently",
			       "SQLite, which stores the shards, cannot drop and add a key column; "
			       "recreate the table with the new type.");
	if (t->cols[ci].default_sql && !assignment_cast(t->cols[ci].type, to))
		return sql_err(c, SQLSTATE_DATATYPE_MISMATCH, -1,
			       "default for column \"%s\" cannot be cast automatically to type %s",
			       cmd->name, mur_type_name(to));
	pa->def->cols[ci].type = to;
	pa->def->cols[ci].typmod = typmod;
	mur_buf_init(&conv);
	if (conversion(c, rv, &t->cols[ci], cd->raw_default, to, typmod, &conv) != MUR_OK) {
		mur_buf_free(&conv);
		return MUR_ERR;
	}
	mur_buf_put_u8(&conv, 0);
	if (kind == CHANGE_CATALOG || !mur_buf_ok(&conv)) {
		int ok = mur_buf_ok(&conv);
		mur_buf_free(&conv);
		return ok ? MUR_OK : sql_err(c, SQLSTATE_OUT_OF_MEMORY, -1, "out of memory");
	}
	mur_buf_init(&b);
	sql_alter_side_table(t, cmd->name, side, sizeof side);
	if (kind == CHANGE_VALIDATE) {
		mur_buf_printf(&b, "SELECT count(%s) FROM main.", (const char *)conv.data);
		sql_emit_ident(&b, t->name);
		mur_buf_put_u8(&b, (uint8_t)EXEC_DDL_SEP);
	} else if (kind == CHANGE_IN_PLACE) {
		in_place_sql(&b, t, ci, (const char *)conv.data, side);
	} else {
		char stash[sizeof side];
		col_indexes ix;
		col_checks ck;
		snprintf(stash, sizeof stash, "_murphy_old_%s", side + strlen("_murphy_drop_"));
		indexes_naming(c, t, cmd->name, &ix);
		if (checks_naming(c, t, pa->def, ci, &ck) != MUR_OK) {
			mur_buf_free(&conv);
			mur_buf_free(&b);
			return MUR_ERR;
		}
		recreate_sql(&b, t, ci, &pa->def->cols[ci], (const char *)conv.data, stash, &ix,
			     &ck);
	}
	mur_buf_free(&conv);
	return (pa->shard_sql = sql_buf_finish(c, &b)) ? MUR_OK : MUR_ERR;
}

int sql_alter_drop_not_null(sql_ctx *c, plan_alter *pa, PgQuery__AlterTableCmd *cmd)
{
	const cat_table *t = pa->table;
	mur_buf b;
	int ci;
	if (sql_alter_column_of(c, pa->def, cmd->name, &ci) != MUR_OK ||
	    sql_alter_name_ok(c, cmd->name) != MUR_OK)
		return MUR_ERR;
	if (t->cols[ci].primary_key)
		return sql_err(c, SQLSTATE_INVALID_TABLE_DEFINITION, -1,
			       "column \"%s\" is in a primary key", cmd->name);
	if (!t->cols[ci].not_null)
		return MUR_OK; /* nothing to do, as PostgreSQL */
	if (ci == t->dist_col)
		return refused(c, "ALTER COLUMN ... DROP NOT NULL on the distribution column",
			       "A row's shard is chosen by this column's value.");
	pa->def->cols[ci].not_null = 0;
	mur_buf_init(&b);
	guards(&b, t, ci, 0);
	nn_drop(&b, t, cmd->name);
	mur_buf_put_u8(&b, (uint8_t)EXEC_DDL_SEP);
	nn_triggers(&b, t, cmd->name);
	return (pa->shard_sql = sql_buf_finish(c, &b)) ? MUR_OK : MUR_ERR;
}
