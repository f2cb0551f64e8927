/*
 * plan_check.c — CHECK constraints as catalog objects (docs/constraints.md).
 *
 * A CHECK of CREATE TABLE or ALTER TABLE ... ADD CONSTRAINT is defined
 * here once, on the table's definition (cat_table.checks):
 *   - its expression analyzed over the table's columns (sql_check_expr):
 *     a column that does not exist, a parameter or a subquery fail here;
 *     the SQLite text it gives is what the shards' triggers test;
 *   - its text as PostgreSQL prints it (pgcatalog/pgc_checkdef.c), which
 *     the catalog keeps for pg_constraint, \d and information_schema;
 *   - its name: the one given, else PostgreSQL's choice, <table>_<column>_check
 *     when the expression names one column and <table>_check otherwise,
 *     with 1, 2, ... appended while the table has the name (42710 for a
 *     given name it has);
 *   - a slot number (cat_check.num) no other CHECK of the table holds: its
 *     pg_constraint OID.
 * The triggers that enforce it on every copy are plan_alter.c's
 * (sql_alter_check_triggers); CREATE TABLE appends them to the table's
 * DDL (sql_check_create_ddl), ADD CONSTRAINT checks the existing rows
 * first.
 */
#include "sql/sqlInt.h"

#include "parser/parser.h"
#include "pgcatalog/pgcatalog.h"

#include <stdio.h>
#include <string.h>

/* The slot no CHECK of d holds (d has fewer than CAT_CHECKS_MAX). */
static uint8_t free_num(const cat_table *d)
{
	for (uint8_t n = 0; n < CAT_CHECKS_MAX; n++) {
		int taken = 0;
		for (int i = 0; i < d->nchecks; i++)
			taken |= d->checks[i].num == n;
		if (!taken)
			return n;
	}
	return 0;
}

/* PostgreSQL's name for an unnamed CHECK whose text is expr. */
static void default_name(const cat_table *d, const char *expr, char *out, size_t n)
{
	uint8_t used[CAT_COLUMNS_MAX];
	int only = -1, count = 0;
	char base[CAT_NAME_MAX * 2 + 16];
	if (pgc_check_columns(d, expr, used) == MUR_OK)
		for (int i = 0; i < d->ncols; i++)
			if (used[i]) {
				only = i;
				count++;
			}
	if (count == 1)
		snprintf(base, sizeof base, "%s_%s_check", d->name, d->cols[only].name);
	else
		snprintf(base, sizeof base, "%s_check", d->name);
	snprintf(out, n, "%.*s", CAT_NAME_MAX - 1, base);
	for (unsigned k = 1; cat_check_index(d, out) >= 0 && k < 1000; k++)
		snprintf(out, n, "%.*s%u", CAT_NAME_MAX - 5, base, k % 1000);
}

/* The CHECK's expression as the statement wrote it, in parentheses: the
 * text from the '(' after the CHECK keyword to its match (quotes skipped),
 * for an expression the printer does not know.  MUR_ERR when not found. */
static int as_written(sql_ctx *c, const PgQuery__Constraint *k, mur_buf *out)
{
	const char *s = c->sql && k->location >= 0 ? c->sql + k->location : NULL;
	const char *open = s ? strchr(s, '(') : NULL;
	int depth = 0;
	char quote = 0;
	for (const char *p = open; p && *p; p++) {
		if (quote) {
			quote = *p == quote ? 0 : quote;
			continue;
		}
		if (*p == '\'' || *p == '"')
			quote = *p;
		else if (*p == '(')
			depth++;
		else if (*p == ')' && --depth == 0) {
			mur_buf_put(out, open, (size_t)(p - open + 1));
			return MUR_OK;
		}
	}
	return MUR_ERR;
}

int sql_check_define(sql_ctx *c, cat_table *d, PgQuery__Constraint *k, const char **sqlite_expr)
{
	cat_check *ck;
	mur_buf e, pg;
	int rc;
	if (k->is_no_inherit)
		return sql_err(c, SQLSTATE_FEATURE_NOT_SUPPORTED, k->location,
			       "murphy does not support CHECK ... NO INHERIT (murphy has no table "
			       "inheritance)");
	if (d->nchecks >= CAT_CHECKS_MAX)
		return sql_err(c, SQLSTATE_PROGRAM_LIMIT_EXCEEDED, k->location,
			       "murphy keeps at most %d CHECK constraints per table",
			       CAT_CHECKS_MAX);
	if (k->conname && *k->conname && cat_check_index(d, k->conname) >= 0)
		return sql_err(c, SQLSTATE_DUPLICATE_OBJECT, k->location,
			       "constraint \"%s\" for relation \"%s\" already exists", k->conname,
			       d->name);
	if (k->conname && strlen(k->conname) >= CAT_NAME_MAX)
		return sql_err(c, SQLSTATE_PROGRAM_LIMIT_EXCEEDED, k->location,
			       "constraint name \"%s\" is too long", k->conname);
	mur_buf_init(&e);
	if (sql_check_expr(c, d, k->raw_expr, &e) != MUR_OK) {
		mur_buf_free(&e);
		return MUR_ERR;
	}
	if (!(*sqlite_expr = sql_buf_finish(c, &e)))
		return MUR_ERR;
	if (strchr(*sqlite_expr, EXEC_DDL_SEP)) /* it would split the DDL entry's text */
		return sql_err(c, "42602", k->location,
			       "murphy cannot keep a CHECK expression holding character %d",
			       EXEC_DDL_SEP);
	ck = &d->checks[d->nchecks];
	memset(ck, 0, sizeof *ck);
	mur_buf_init(&pg);
	if ((rc = pgc_check_print(d, k->raw_expr, &pg)) == MUR_EAGAIN) {
		mur_buf_reset(&pg);
		rc = as_written(c, k, &pg);
	}
	if (rc != MUR_OK || !mur_buf_ok(&pg) || pg.len >= sizeof ck->expr) {
		mur_buf_free(&pg);
		return sql_err(c, SQLSTATE_PROGRAM_LIMIT_EXCEEDED, k->location,
			       "murphy keeps a CHECK expression of at most %d bytes",
			       CAT_CHECK_EXPR_MAX - 1);
	}
	memcpy(ck->expr, pg.data, pg.len);
	ck->expr[pg.len] = '\0';
	mur_buf_free(&pg);
	if (k->conname && *k->conname)
		snprintf(ck->name, sizeof ck->name, "%s", k->conname);
	else
		default_name(d, ck->expr, ck->name, sizeof ck->name);
	if (sql_alter_name_ok(c, ck->name) != MUR_OK)
		return MUR_ERR;
	ck->num = free_num(d);
	d->nchecks++;
	return MUR_OK;
}

int sql_check_create_ddl(sql_ctx *c, PgQuery__Constraint **ks, int n, cat_table *d,
			 const char *table_ddl, const char **ddl)
{
	mur_buf b;
	mur_buf_init(&b);
	mur_buf_printf(&b, "%s; ", table_ddl);
	for (int i = 0; i < n; i++) {
		const char *expr;
		if (sql_check_define(c, d, ks[i], &expr) != MUR_OK) {
			mur_buf_free(&b);
			return MUR_ERR;
		}
		sql_alter_check_triggers(&b, d, d->checks[d->nchecks - 1].name, expr);
	}
	return (*ddl = sql_buf_finish(c, &b)) ? MUR_OK : MUR_ERR;
}

int sql_check_rename_column(sql_ctx *c, cat_table *d, const char *from, const char *to)
{
	for (int i = 0; i < d->nchecks; i++) {
		mur_buf b;
		mur_buf_init(&b);
		int rc = pgc_check_reprint(d, d->checks[i].expr, 0, from, to, &b);
		if (rc != MUR_OK && !strstr(d->checks[i].expr, from)) {
			mur_buf_free(&b); /* kept as written, and not naming it */
			continue;
		}
		if (rc != MUR_OK || b.len >= sizeof d->checks[i].expr) {
			mur_buf_free(&b);
			return sql_err(c, SQLSTATE_FEATURE_NOT_SUPPORTED, -1,
				       "murphy cannot rename column \"%s\": check constraint "
				       "\"%s\" "
				       "uses a construct murphy keeps as written",
				       from, d->checks[i].name);
		}
		memcpy(d->checks[i].expr, b.data, b.len);
		d->checks[i].expr[b.len] = '\0';
		mur_buf_free(&b);
	}
	return MUR_OK;
}

int sql_check_using(const cat_table *d, int i, int col)
{
	uint8_t used[CAT_COLUMNS_MAX];
	if (pgc_check_columns(d, d->checks[i].expr, used) == MUR_OK)
		return used[col] != 0;
	return strstr(d->checks[i].expr, d->cols[col].name) != NULL; /* kept as written */
}

void sql_check_forget(cat_table *d, int i)
{
	memmove(&d->checks[i], &d->checks[i + 1],
		sizeof d->checks[0] * (size_t)(d->nchecks - i - 1));
	d->nchecks--;
}

/* A stored CHECK's SQLite expression again: its text parsed back
 * ("SELECT text") and analyzed over d. */
static int sqlite_expr_of(sql_ctx *c, const cat_table *d, const cat_check *k, const char **expr)
{
	PgQuery__ParseResult *r;
	sql_tree *tree = NULL;
	mur_buf q, b;
	int rc = MUR_ERR;
	mur_buf_init(&q);
	mur_buf_printf(&q, "SELECT %s", k->expr);
	mur_buf_put_u8(&q, 0);
	if (!mur_buf_ok(&q) || sql_parse(q.data, &tree, c->err) != MUR_OK) {
		mur_buf_free(&q);
		return MUR_ERR;
	}
	mur_buf_free(&q);
	r = sql_tree_result(tree);
	mur_buf_init(&b);
	if (r && r->n_stmts == 1 && r->stmts[0]->stmt &&
	    r->stmts[0]->stmt->node_case == PG_QUERY__NODE__NODE_SELECT_STMT &&
	    r->stmts[0]->stmt->select_stmt->n_target_list == 1 &&
	    r->stmts[0]->stmt->select_stmt->target_list[0]->node_case ==
		    PG_QUERY__NODE__NODE_RES_TARGET &&
	    sql_check_expr(c, d, r->stmts[0]->stmt->select_stmt->target_list[0]->res_target->val,
			   &b) == MUR_OK)
		rc = (*expr = sql_buf_finish(c, &b)) ? MUR_OK : MUR_ERR;
	else
		mur_buf_free(&b);
	sql_tree_free(tree);
	return rc;
}

int sql_check_retrigger(sql_ctx *c, const cat_table *t, mur_buf *b)
{
	for (int i = 0; i < t->nchecks; i++) {
		const char *expr;
		if (sqlite_expr_of(c, t, &t->checks[i], &expr) != MUR_OK)
			return MUR_ERR;
		sql_alter_check_drop_triggers(b, t, t->checks[i].name);
		sql_alter_check_triggers(b, t, t->checks[i].name, expr);
	}
	return MUR_OK;
}

int sql_check_retype(sql_ctx *c, const cat_table *old, cat_table *d, int ci, mur_buf *drop,
		     mur_buf *make, mur_buf *undo_drop, mur_buf *undo_make)
{
	for (int i = 0; i < d->nchecks; i++) {
		cat_check *k = &d->checks[i];
		const char *expr_new, *expr_old;
		mur_buf b;
		if (!sql_check_using(old, i, ci))
			continue;
		if (sqlite_expr_of(c, old, &old->checks[i], &expr_old) != MUR_OK)
			return MUR_ERR;
		mur_buf_init(&b); /* PostgreSQL parses the text again over the new type */
		if (pgc_check_reprint(d, k->expr, 0, NULL, NULL, &b) == MUR_OK &&
		    b.len < sizeof k->expr) {
			memcpy(k->expr, b.data, b.len);
			k->expr[b.len] = '\0';
		}
		mur_buf_free(&b);
		if (sqlite_expr_of(c, d, k, &expr_new) != MUR_OK)
			return MUR_ERR;
		sql_alter_check_drop_triggers(drop, old, k->name);
		sql_alter_check_rows(make, d, k->name, expr_new);
		sql_alter_check_triggers(make, d, k->name, expr_new);
		sql_alter_check_drop_triggers(undo_drop, d, k->name);
		sql_alter_check_triggers(undo_make, old, k->name, expr_old);
	}
	return MUR_OK;
}
