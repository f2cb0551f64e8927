/*
 * plan_dml.c — INSERT, UPDATE, DELETE and RETURNING.
 *
 * INSERT: the planner builds values_sql, a leader-evaluated SQLite VALUES
 * list (or values_rows, the rows already encoded, when every value is a
 * constant; or, for INSERT ... SELECT, a source plan) producing exactly
 * table->ncols values per row in table column order: given values coerced
 * to the column type at plan time (literals parsed here, 22P02 on bad
 * input), missing or DEFAULT columns filled with cat_column.default_sql or
 * NULL, the hidden rowid column NULL (the executor generates it).  The
 * executor then coerces each value to its column type, checks NOT NULL,
 * routes the row by its distribution value and runs shard_sql
 * (INSERT INTO main."t" (all columns) VALUES (?1..?n)) on the shard.
 *
 * ON CONFLICT (cols) DO UPDATE appends SQLite's UPSERT clause to that
 * shard_sql (the target holds the distribution column: the conflicting row
 * is on the row's shard; "ON CONFLICT DO UPDATE" section).
 *
 * UPDATE/DELETE run on every shard, or one when WHERE pins the
 * distribution column (plan_prune, as for SELECT).  Updating the
 * distribution column would move rows between shards: 0A000.  UPDATE ...
 * FROM / DELETE ... USING find their rows with a SELECT first and change
 * them by key ("UPDATE ... FROM" section).
 */
#include "sql/sqlInt.h"

#include "common/failing_row.h"
#include "common/ident.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

void sql_insert_shard_sql(const cat_table *t, const char *alias, mur_buf *b)
{
	mur_buf_printf(b, "INSERT INTO main.");
	sql_emit_ident(b, t->name);
	if (alias) {
		mur_buf_printf(b, " AS ");
		sql_emit_ident(b, alias);
	}
	mur_buf_printf(b, " (");
	for (int i = 0; i < t->ncols; i++) {
		if (i)
			mur_buf_printf(b, ", ");
		sql_emit_ident(b, t->cols[i].name);
	}
	mur_buf_printf(b, ") VALUES (");
	for (int i = 0; i < t->ncols; i++)
		mur_buf_printf(b, "%s?%d", i ? ", " : "", i + 1);
	mur_buf_put_u8(b, ')');
}

void sql_failing_row_tag(const cat_table *t, mur_buf *b)
{
	mur_type types[CAT_COLUMNS_MAX];
	const char *names[CAT_COLUMNS_MAX];
	int needed = t->nchecks > 0, n = 0;
	for (int i = 0; i < t->ncols; i++)
		if (!t->cols[i].hidden) {
			types[n] = t->cols[i].type;
			names[n++] = t->cols[i].name;
			needed |= t->cols[i].not_null;
		}
	if (needed)
		mur_failing_row_tag(b, n, names, types);
}

/* The table a statement writes, checked for privs (INSERT, UPDATE or
 * DELETE). */
static const cat_table *target_table(sql_ctx *c, PgQuery__RangeVar *rv, const char *verb,
				     unsigned privs)
{
	const cat_table *t = sql_lookup_table_for(c, rv, privs);
	if (t && t->kind == CAT_TABLE_VIRTUAL) {
		sql_err(c, SQLSTATE_FEATURE_NOT_SUPPORTED, rv->location,
			"cannot %s murphy.%s: it is a read-only catalog view", verb, t->name);
		return NULL;
	}
	return t;
}

/* The written table as the statement's scope: privs for writing it;
 * UPDATE and DELETE also read it (their WHERE), so they need SELECT too,
 * as in PostgreSQL for a WHERE that names a column. */
static sql_query *single_table_scope(sql_ctx *c, PgQuery__RangeVar *rv, const char *verb,
				     unsigned privs)
{
	sql_query *q = sql_alloc(c, sizeof *q);
	unsigned reads = privs == CAT_PRIV_INSERT ? 0 : CAT_PRIV_SELECT;
	if (!q || !target_table(c, rv, verb, privs) ||
	    sql_analyze_from_table_for(c, q, rv, reads) != MUR_OK)
		return NULL;
	return q;
}

/* Value for column col when the statement gives none (or DEFAULT). */
static sql_expr *default_value(sql_ctx *c, const cat_column *col)
{
	sql_expr *e;
	if (!col->default_sql || col->hidden) {
		e = sql_expr_new(c, SE_CONST, col->type, -1);
		return e;
	}
	e = sql_expr_new(c, SE_RAW, col->type, -1);
	if (e && !(e->op = sql_default_bind_now(c, col->default_sql, -1)))
		return NULL;
	return e;
}

/* Assignment to a column: PostgreSQL's assignment casts (anything converts
 * to a string type; numeric to any numeric; date/timestamps). */
static sql_expr *assign(sql_ctx *c, sql_expr *e, const cat_column *col)
{
	if (mur_type_is_text(col->type) && e->type != MT_UNKNOWN && !mur_type_is_text(e->type))
		e = sql_make_cast(c, e, col->type, e->loc);
	else
		e = sql_coerce(c, e, col->type, col->name);
	if (e && col->type == MT_NUMERIC && col->typmod >= 0) /* numeric(p,s): round, 22003 */
		return sql_numeric_typmod(c, e, col->typmod, e->loc);
	if (e && col->type == MT_NUMERIC_ARRAY && col->typmod >= 0) /* numeric(p,s)[] */
		return sql_numeric_array_typmod(c, e, col->typmod, e->loc);
	if (e && (col->type == MT_VARCHAR || col->type == MT_BPCHAR) && col->typmod > 0)
		return sql_make_call(c, "mur_varchar_fit", col->type, e->loc, 3, e, /* 22001 */
				     sql_make_const_int(c, col->typmod, MT_INT4),
				     sql_make_const_int(c, col->type == MT_BPCHAR, MT_INT4));
	return e;
}

/* 428C9, as PostgreSQL: a GENERATED ALWAYS identity column given a value. */
static int identity_always(sql_ctx *c, const cat_column *col, int update)
{
	if (update)
		sql_err(c, "428C9", -1, "column \"%s\" can only be updated to DEFAULT", col->name);
	else
		sql_err(c, "428C9", -1, "cannot insert a non-DEFAULT value into column \"%s\"",
			col->name);
	mur_error_detail(c->err, "Column \"%s\" is an identity column defined as GENERATED ALWAYS.",
			 col->name);
	if (!update)
		mur_error_hint(c->err, "Use OVERRIDING SYSTEM VALUE to override.");
	return MUR_ERR;
}

/* An explicit value for col under INSERT's OVERRIDING clause (UPDATE:
 * update set): 1 take it, 0 use the default instead (OVERRIDING USER
 * VALUE on an identity column), -1 refused (428C9). */
static int explicit_ok(sql_ctx *c, const cat_column *col, PgQuery__OverridingKind ov, int update)
{
	if (!col->identity)
		return 1;
	if (!update && ov == PG_QUERY__OVERRIDING_KIND__OVERRIDING_USER_VALUE)
		return 0;
	if (col->identity == CAT_IDENTITY_ALWAYS &&
	    (update || ov != PG_QUERY__OVERRIDING_KIND__OVERRIDING_SYSTEM_VALUE))
		return identity_always(c, col, update) == MUR_OK ? 1 : -1;
	return 1;
}

static sql_expr *value_for(sql_ctx *c, PgQuery__Node *n, const cat_column *col,
			   PgQuery__OverridingKind ov, int update)
{
	sql_expr *e;
	int ok;
	if (n->node_case == PG_QUERY__NODE__NODE_SET_TO_DEFAULT && update &&
	    sql_default_volatile(col))
		return (sql_err(c, SQLSTATE_FEATURE_NOT_SUPPORTED, -1,
				"murphy cannot set column \"%s\" to its sequence default in an "
				"UPDATE",
				col->name),
			NULL);
	if (n->node_case == PG_QUERY__NODE__NODE_SET_TO_DEFAULT)
		return default_value(c, col);
	if ((ok = explicit_ok(c, col, ov, update)) <= 0)
		return ok == 0 ? default_value(c, col) : NULL;
	c->agg_ok = 0;
	c->agg_where = "VALUES";
	e = sql_analyze_expr(c, n);
	return e ? assign(c, e, col) : NULL;
}

/* ---- RETURNING ---- */

static void from_params(const sql_query *q, const int *base, sql_expr *e);
static int param_check(sql_ctx *c, const sql_expr *e, const char *what);

/* Column j of rte r in RETURNING: the target's by name, another table's
 * (UPDATE ... FROM: base set) as the parameter holding it. */
static void returning_column(sql_emit *em, const int *base, int r, int j, int pos)
{
	if (r == 0)
		sql_emit_ident(em->b, em->q->rtes[0].table->cols[j].name);
	else
		mur_buf_printf(em->b, "?%d", base[r] + pos + 1);
}

/* RETURNING [rel.]*: the visible columns of every table, or of rel's. */
static int returning_star(sql_emit *em, const int *base, const PgQuery__ColumnRef *cr, plan *p,
			  int k)
{
	const sql_query *q = em->q;
	const char *rel = cr->n_fields == 2 &&
					  cr->fields[0]->node_case == PG_QUERY__NODE__NODE_STRING
				  ? cr->fields[0]->string->sval
				  : NULL;
	for (int r = 0; r < (base ? q->nrte : 1); r++) {
		const cat_table *t = q->rtes[r].table;
		if (rel && base && strcmp(rel, q->rtes[r].alias))
			continue;
		for (int j = 0, pos = 0; j < t->ncols; j++) {
			if (t->cols[j].hidden)
				continue;
			mur_buf_printf(em->b, k ? ", " : "");
			returning_column(em, base, r, j, pos++);
			snprintf(p->out[k].name, sizeof p->out[k].name, "%s", t->cols[j].name);
			p->out[k].type = t->cols[j].type;
			p->out[k++].typmod = -1;
		}
	}
	return k;
}

/* RETURNING of UPDATE / DELETE / INSERT (base NULL: the target alone, by
 * bare names) or of UPDATE ... FROM / DELETE ... USING (base: plan_dml's
 * parameter offsets of the other tables' columns). */
static int plan_returning(sql_ctx *c, sql_query *q, size_t n, PgQuery__Node **list, plan *p,
			  mur_buf *b, const int *base)
{
	sql_emit em = {b, q, 1}; /* SQLite's RETURNING takes no qualified names */
	int k = 0, max = 1;
	if (!n)
		return MUR_OK;
	for (int r = 0; r < q->nrte; r++)
		max += q->rtes[r].table->ncols * (int)n;
	if (!(p->out = sql_alloc(c, sizeof(plan_column) * (size_t)max)))
		return MUR_ERR;
	mur_buf_printf(b, " RETURNING ");
	c->q = q;
	c->agg_ok = 0;
	c->agg_where = "RETURNING";
	for (size_t i = 0; i < n; i++) {
		PgQuery__ResTarget *rt = list[i]->res_target;
		PgQuery__Node *v = rt->val;
		if (v->node_case == PG_QUERY__NODE__NODE_COLUMN_REF &&
		    v->column_ref->fields[v->column_ref->n_fields - 1]->node_case ==
			    PG_QUERY__NODE__NODE_A_STAR) {
			k = returning_star(&em, base, v->column_ref, p, k);
			continue;
		}
		sql_expr *e = sql_resolve_unknown(c, sql_analyze_expr(c, v));
		if (!e)
			return MUR_ERR;
		if (base && param_check(c, e, "UPDATE ... FROM / DELETE ... USING") != MUR_OK)
			return MUR_ERR;
		if (base)
			from_params(q, base, e);
		mur_buf_printf(b, k ? ", " : "");
		sql_emit_expr(&em, e);
		snprintf(p->out[k].name, sizeof p->out[k].name, "%s",
			 (rt->name && *rt->name) ? rt->name : sql_colname(v));
		p->out[k].type = e->type == MT_UNKNOWN ? MT_TEXT : e->type;
		p->out[k++].typmod = -1;
	}
	p->nout = k;
	return MUR_OK;
}

int sql_plan_returning(sql_ctx *c, sql_query *q, size_t n, PgQuery__Node **list, plan *p,
		       mur_buf *b)
{
	return plan_returning(c, q, n, list, p, b, NULL);
}

/* ---- INSERT ---- */

static int update_set(sql_ctx *c, sql_query *q, size_t n, PgQuery__Node **list, int bare,
		      const int *from_base, mur_buf *b);
static int update_where(sql_ctx *c, sql_query *q, PgQuery__Node *w, mur_buf *b);
static int upsert_param_check(sql_ctx *c, const sql_expr *e);
static void from_params(const sql_query *q, const int *base, sql_expr *e);

typedef struct insert_cols {
	int n;
	int idx[CAT_COLUMNS_MAX];         /* table column of each listed column */
	PgQuery__OverridingKind override; /* OVERRIDING SYSTEM / USER VALUE, or not set */
	const char **fill; /* per table column: the sequence the leader fills it from per row
			      (plan_insert.fill_seq), else NULL; NULL: none */
} insert_cols;

static int insert_columns(sql_ctx *c, const cat_table *t, PgQuery__InsertStmt *s, insert_cols *ic)
{
	ic->n = 0;
	if (!s->n_cols) {
		for (int i = 0; i < t->ncols; i++)
			if (!t->cols[i].hidden)
				ic->idx[ic->n++] = i;
		return MUR_OK;
	}
	for (size_t i = 0; i < s->n_cols; i++) {
		PgQuery__ResTarget *rt = s->cols[i]->res_target;
		int col = cat_column_index(t, rt->name);
		if (rt->n_indirection)
			return sql_err(c, SQLSTATE_FEATURE_NOT_SUPPORTED, rt->location,
				       "murphy does not support subscripted INSERT targets");
		if (col < 0)
			return sql_err(c, SQLSTATE_UNDEFINED_COLUMN, rt->location,
				       "column \"%s\" of relation \"%s\" does not exist", rt->name,
				       t->name);
		for (int j = 0; j < ic->n; j++)
			if (ic->idx[j] == col)
				return sql_err(c, "42701", rt->location,
					       "column \"%s\" specified more than once", rt->name);
		ic->idx[ic->n++] = col;
	}
	return MUR_OK;
}

/* One VALUES row's expressions in table column order (defaults filled). */
static int values_exprs(sql_ctx *c, const cat_table *t, const insert_cols *ic, PgQuery__List *row,
			sql_expr **vals)
{
	if ((int)row->n_items > ic->n)
		return sql_err(c, SQLSTATE_SYNTAX_ERROR, -1,
			       "INSERT has more expressions than target columns");
	if ((int)row->n_items < ic->n)
		return sql_err(c, SQLSTATE_SYNTAX_ERROR, -1,
			       "INSERT has more target columns than expressions");
	for (int j = 0; j < ic->n; j++)
		if (!(vals[ic->idx[j]] = value_for(c, row->items[j], &t->cols[ic->idx[j]],
						   ic->override, 0)))
			return MUR_ERR;
	for (int i = 0; i < t->ncols; i++)
		if (!vals[i] && !(vals[i] = ic->fill && ic->fill[i]
						    ? sql_expr_new(c, SE_CONST, t->cols[i].type, -1)
						    : default_value(c, &t->cols[i])))
			return MUR_ERR;
	return MUR_OK;
}

static int values_row(sql_ctx *c, const cat_table *t, const insert_cols *ic, PgQuery__List *row,
		      mur_buf *b)
{
	sql_expr *vals[CAT_COLUMNS_MAX] = {0};
	sql_emit em = {b, NULL, 0};
	if (values_exprs(c, t, ic, row, vals) != MUR_OK)
		return MUR_ERR;
	mur_buf_put_u8(b, '(');
	for (int i = 0; i < t->ncols; i++) {
		mur_buf_printf(b, i ? ", " : "");
		sql_emit_expr(&em, vals[i]);
	}
	mur_buf_put_u8(b, ')');
	return MUR_OK;
}

/* A value SQLite would give back as it is: a constant, but not NaN (which
 * the emitted SQL turns into NULL; kept so, through the general path). */
static int plain_const(const sql_expr *e)
{
	return e->kind == SE_CONST && !(e->val.kind == MV_FLOAT && isnan(e->val.f));
}

/*
 * VALUES rows of constants only are encoded here, as the leader's SQLite
 * would return them (mur_row values, table column order), instead of being
 * emitted as SQL text that SQLite parses again on the loop thread (a
 * 100,000-row INSERT: ~0.5 s of the loop in printf and SQLite's parser).
 * VALUES_CONSTS_DONE (pi->values_rows set), VALUES_CONSTS_NOT (some value
 * needs SQLite: an expression, a parameter, a default such as now()), or
 * VALUES_CONSTS_FAILED (c's error says why).
 */
enum { VALUES_CONSTS_FAILED = -1, VALUES_CONSTS_NOT = 0, VALUES_CONSTS_DONE = 1 };

static int values_consts(sql_ctx *c, const cat_table *t, const insert_cols *ic,
			 PgQuery__SelectStmt *sel, plan_insert *pi)
{
	mur_buf b;
	int rc = VALUES_CONSTS_DONE;
	mur_buf_init(&b);
	for (size_t r = 0; r < sel->n_values_lists && rc == VALUES_CONSTS_DONE; r++) {
		sql_expr *vals[CAT_COLUMNS_MAX] = {0};
		if (values_exprs(c, t, ic, sel->values_lists[r]->list, vals) != MUR_OK) {
			rc = VALUES_CONSTS_FAILED;
			break;
		}
		for (int i = 0; i < t->ncols && rc == VALUES_CONSTS_DONE; i++)
			if (plain_const(vals[i]))
				mur_row_put_value(&b, &vals[i]->val);
			else
				rc = VALUES_CONSTS_NOT;
	}
	if (rc != VALUES_CONSTS_DONE) {
		mur_buf_free(&b);
		return rc;
	}
	pi->values_rows_len = b.len;
	pi->values_nrows = sel->n_values_lists;
	pi->values_rows = sql_buf_finish(c, &b);
	return pi->values_rows ? VALUES_CONSTS_DONE : VALUES_CONSTS_FAILED;
}

const char **sql_seq_fill(sql_ctx *c, const cat_table *t, const int *listed)
{
	const char **fill = NULL;
	char name[CAT_NAME_MAX * 2];
	for (int i = 0; i < t->ncols; i++) {
		const cat_column *col = &t->cols[i];
		if (listed[i] || col->hidden || !sql_default_volatile(col))
			continue;
		if (!sql_default_sequence(col, name, sizeof name)) {
			sql_err(c, SQLSTATE_FEATURE_NOT_SUPPORTED, -1,
				"murphy evaluates the default of column \"%s\" once per statement "
				"here, and it calls a sequence function",
				col->name);
			mur_error_hint(c->err,
				       "give the column's values, or use INSERT ... VALUES");
			return NULL;
		}
		if ((!fill && !(fill = sql_alloc(c, sizeof *fill * (size_t)t->ncols))) ||
		    !(fill[i] = sql_strdup(c, name)))
			return NULL;
	}
	return fill;
}

/* The sequence columns INSERT leaves to the leader (unlisted ones whose
 * default is a sequence's nextval): ic->fill and pi->fill_seq. */
static int insert_fill(sql_ctx *c, const cat_table *t, insert_cols *ic, plan_insert *pi)
{
	int listed[CAT_COLUMNS_MAX] = {0};
	for (int j = 0; j < ic->n; j++)
		listed[ic->idx[j]] = 1;
	ic->fill = sql_seq_fill(c, t, listed);
	pi->fill_seq = ic->fill;
	return mur_error_is_set(c->err) ? MUR_ERR : MUR_OK;
}

static int insert_values(sql_ctx *c, const cat_table *t, const insert_cols *ic,
			 PgQuery__SelectStmt *sel, plan_insert *pi)
{
	mur_buf b;
	sql_query *saved = c->q;
	int rc;
	mur_buf_init(&b);
	mur_buf_printf(&b, "VALUES ");
	c->q = NULL;
	for (size_t r = 0; sel && r < sel->n_values_lists; r++) {
		size_t len = sel->values_lists[r]->list->n_items;
		if (len != sel->values_lists[0]->list->n_items) {
			c->q = saved;
			mur_buf_free(&b);
			return sql_err(c, SQLSTATE_SYNTAX_ERROR, -1,
				       "VALUES lists must all be the same length");
		}
	}
	if (sel && (rc = values_consts(c, t, ic, sel, pi)) != VALUES_CONSTS_NOT) {
		c->q = saved;
		mur_buf_free(&b);
		return rc == VALUES_CONSTS_DONE ? MUR_OK : MUR_ERR;
	}
	for (size_t r = 0; r < (sel ? sel->n_values_lists : 1); r++) {
		PgQuery__List empty = PG_QUERY__LIST__INIT;
		PgQuery__List *row = sel ? sel->values_lists[r]->list : &empty;
		insert_cols none = {0};
		mur_buf_printf(&b, r ? ", " : "");
		if (values_row(c, t, sel ? ic : &none, row, &b) != MUR_OK) {
			c->q = saved;
			mur_buf_free(&b);
			return MUR_ERR;
		}
	}
	c->q = saved;
	return (pi->values_sql = sql_buf_finish(c, &b)) ? MUR_OK : MUR_ERR;
}

/* The SELECT of INSERT ... SELECT, UPDATE ... FROM or DELETE ... USING,
 * analyzed with the statement's WITH queries (with, may be NULL) and
 * subqueries allowed: they run before its source plan, which carries them
 * (sql_plan_source).  NULL on error. */
static sql_query *analyze_source(sql_ctx *c, PgQuery__WithClause *with, PgQuery__SelectStmt *sel)
{
	int saved_ok = c->subq_ok, saved_ctes = c->nctes;
	sql_query *q = NULL;
	c->subq_ok = 1;
	if (!with || sql_with_push(c, with, &saved_ctes) == MUR_OK)
		q = sql_analyze_select(c, sel);
	sql_with_pop(c, saved_ctes);
	c->subq_ok = saved_ok;
	return q;
}

/* A DML statement's source SELECT q as plan *out, its subqueries (WITH
 * queries, subqueries in FROM and WHERE) run first by it. */
static int plan_source(sql_ctx *c, sql_query *q, plan **out)
{
	if (!(*out = sql_plan_new(c, PLAN_SELECT, "SELECT")) || sql_plan_subs(c, *out) != MUR_OK)
		return MUR_ERR;
	return sql_plan_query(c, q, *out);
}

/* INSERT ... SELECT: reshape the select list into table column order. */
static int insert_select(sql_ctx *c, const cat_table *t, insert_cols *ic, int implicit,
			 PgQuery__WithClause *with, PgQuery__SelectStmt *sel, plan_insert *pi)
{
	sql_query *q;
	sql_target *nt;
	int remap[SQL_TARGETS_MAX];
	/* SELECT ... UNION SELECT ...: as SELECT * FROM (it), its column types
	 * its own (an untyped NULL of each branch too), as PostgreSQL's */
	if (sel->op != PG_QUERY__SET_OPERATION__SETOP_NONE &&
	    !(sel = sql_pt_from_subselect(c, sel, "*SELECT*")))
		return MUR_ERR;
	c->targets_typed_later = 1;
	q = analyze_source(c, with, sel);
	c->targets_typed_later = 0;
	if (!q)
		return MUR_ERR;
	if (!sel->n_values_lists && q->ntarget < ic->n && implicit) {
		ic->n = q->ntarget;
		if (insert_fill(c, t, ic, pi) != MUR_OK) /* the columns left out too */
			return MUR_ERR;
	}
	if (q->ntarget != ic->n)
		return sql_err(c, SQLSTATE_SYNTAX_ERROR, -1, "INSERT has more %s than %s",
			       q->ntarget > ic->n ? "expressions" : "target columns",
			       q->ntarget > ic->n ? "target columns" : "expressions");
	if (!(nt = sql_alloc(c, sizeof(sql_target) * (size_t)t->ncols)))
		return MUR_ERR;
	for (int i = 0; i < t->ncols; i++) {
		nt[i].e = ic->fill && ic->fill[i] ? sql_expr_new(c, SE_CONST, t->cols[i].type, -1)
						  : default_value(c, &t->cols[i]);
		snprintf(nt[i].name, sizeof nt[i].name, "%s", t->cols[i].name);
	}
	for (int j = 0; j < ic->n; j++) {
		const cat_column *col = &t->cols[ic->idx[j]];
		if (col->identity &&
		    ic->override == PG_QUERY__OVERRIDING_KIND__OVERRIDING_USER_VALUE)
			return sql_err(c, SQLSTATE_FEATURE_NOT_SUPPORTED, -1,
				       "murphy does not support OVERRIDING USER VALUE with INSERT "
				       "... "
				       "SELECT yet");
		if (explicit_ok(c, col, ic->override, 0) < 0)
			return MUR_ERR;
		if (!(nt[ic->idx[j]].e = assign(c, q->targets[j].e, col)))
			return MUR_ERR;
		q->targets[j].e = nt[ic->idx[j]].e; /* ORDER BY / DISTINCT see the typed value */
		remap[j] = ic->idx[j];
	}
	for (int i = 0; i < q->nsort; i++)
		if (q->sorts[i].target >= 0)
			q->sorts[i].target = remap[q->sorts[i].target];
	q->targets = nt;
	q->ntarget = t->ncols;
	return plan_source(c, q, &pi->source);
}

/* ---- ON CONFLICT DO UPDATE ---- */

/* A parameter or subquery result ($n, ?n in SQLite) in e?  The upsert's
 * shard statement runs once per routed row with ?1..?ncols bound to the
 * row, so it has no room for the statement's parameters. */
static int has_param(const sql_expr *e)
{
	if (!e)
		return 0;
	if (e->kind == SE_PARAM || e->kind == SE_SUBQ)
		return 1;
	for (int i = 0; i < e->nargs; i++)
		if (has_param(e->args[i]))
			return 1;
	return 0;
}

static int param_check(sql_ctx *c, const sql_expr *e, const char *what)
{
	if (!has_param(e))
		return MUR_OK;
	sql_err(c, SQLSTATE_FEATURE_NOT_SUPPORTED, e->loc,
		"murphy does not support parameters or subqueries in %s yet", what);
	mur_error_hint(c->err,
		       "the statement runs on each shard once per row it changes, with "
		       "that row's values as its parameters; write the values in the "
		       "statement%s",
		       strstr(what, "CONFLICT") ? ", or put them in the row and use EXCLUDED.column"
						: "");
	return MUR_ERR;
}

static int upsert_param_check(sql_ctx *c, const sql_expr *e)
{
	return param_check(c, e, "ON CONFLICT DO UPDATE");
}

static const char *insert_alias(const PgQuery__InsertStmt *s, const cat_table *t)
{
	const PgQuery__RangeVar *rv = s->relation;
	return rv->alias && rv->alias->aliasname ? rv->alias->aliasname : t->name;
}

/*
 * The conflict target of ON CONFLICT (pi->conflict_cols, each column once):
 * the arbiter PostgreSQL infers (plan_conflict.c: 42P10, 42704), for DO
 * NOTHING too, whose shard statement keeps it: SQLite's UPSERT with a
 * target handles a conflict on that key only, and a conflict on another
 * key fails as a plain INSERT's (23505 naming that key), as PostgreSQL's
 * arbiter does.  DO NOTHING without a target takes any conflict.  DO
 * UPDATE's target must hold the distribution column: uniqueness is
 * enforced inside each shard (plan_ddl.c), so the row that conflicts lives
 * on the shard the new row goes to, and SQLite's UPSERT there does the
 * rest.  A table whose rows are all in one shard (cat_table_single_shard)
 * takes any target.
 */
static int conflict_target(sql_ctx *c, const cat_table *t, PgQuery__OnConflictClause *oc,
			   plan_insert *pi)
{
	PgQuery__InferClause *inf = oc->infer;
	int has_dist = cat_table_single_shard(t);
	int update = oc->action != PG_QUERY__ON_CONFLICT_ACTION__ONCONFLICT_NOTHING;
	if (!update && !inf)
		return MUR_OK;
	if (!inf || (!inf->n_index_elems && !(inf->conname && *inf->conname)))
		return sql_err(c, SQLSTATE_SYNTAX_ERROR, oc->location,
			       "ON CONFLICT DO UPDATE requires inference specification or "
			       "constraint name");
	if (inf->where_clause)
		return sql_err(c, SQLSTATE_FEATURE_NOT_SUPPORTED, inf->location,
			       "murphy does not support partial unique indexes (ON CONFLICT ... "
			       "WHERE)");
	if (inf->conname && *inf->conname &&
	    sql_conflict_constraint(c, t, inf->conname, pi->conflict_cols, &pi->nconflict) !=
		    MUR_OK)
		return MUR_ERR;
	for (size_t i = 0; i < inf->n_index_elems; i++) {
		PgQuery__IndexElem *ie = inf->index_elems[i]->index_elem;
		int col = ie->name ? cat_column_index(t, ie->name) : -1;
		if (!ie->name || ie->n_collation || ie->n_opclass)
			return sql_err(c, SQLSTATE_FEATURE_NOT_SUPPORTED, inf->location,
				       "murphy supports only plain column names as the ON "
				       "CONFLICT target");
		if (col < 0 || t->cols[col].hidden)
			return sql_err(c, SQLSTATE_UNDEFINED_COLUMN, inf->location,
				       "column \"%s\" does not exist", ie->name);
		for (int k = 0; k < pi->nconflict && col >= 0; k++)
			col = pi->conflict_cols[k] == col ? -1 : col; /* (a, b, a) is (a, b) */
		if (col >= 0)
			pi->conflict_cols[pi->nconflict++] = col;
	}
	if (inf->n_index_elems &&
	    sql_conflict_infer(c, t, pi->conflict_cols, pi->nconflict) != MUR_OK)
		return MUR_ERR;
	for (int i = 0; i < pi->nconflict; i++)
		has_dist |= pi->conflict_cols[i] == t->dist_col;
	if (has_dist || !update)
		return MUR_OK;
	sql_err(c, SQLSTATE_FEATURE_NOT_SUPPORTED, inf->location,
		"murphy cannot use an ON CONFLICT target without the distribution column \"%s\" "
		"of \"%s\"",
		t->cols[t->dist_col].name, t->name);
	mur_error_detail(c->err, "Every unique key in murphy contains the distribution column, "
				 "so no key without it can conflict.");
	mur_error_hint(c->err, "Add \"%s\" to the conflict target.", t->cols[t->dist_col].name);
	return MUR_ERR;
}

/* The column SQLite keeps as the rowid (the shard table's one-column
 * INTEGER PRIMARY KEY), or -1.  SQLite 3.40 never matches an UPSERT
 * target naming it to a unique index that holds it (the index records
 * the column, the target resolves to the rowid): "ON CONFLICT clause does
 * not match any PRIMARY KEY or UNIQUE constraint". */
static int rowid_column(const cat_table *t)
{
	int col = -1, n = 0;
	for (int i = 0; i < t->ncols; i++)
		if (t->cols[i].primary_key)
			col = i, n++;
	return n == 1 && !strcmp(mur_type_sqlite_decl(t->cols[col].type), "INTEGER") ? col : -1;
}

/* A target that is a unique index holding the rowid column (rowid_column)
 * conflicts only where the rowid does: ON CONFLICT (rowid column), and a
 * guard in the WHERE, first, that the index's other columns are equal
 * too; else the arbiter found no conflict and PostgreSQL's insert fails
 * on the primary key (23505).  The guard is a CASE around the update's
 * own WHERE, which SQLite cannot fold away when that WHERE is constant
 * (an AND with false would skip it).  Emits " ON CONFLICT (target)";
 * *guard: emit the guard. */
static void conflict_columns(const cat_table *t, const plan_insert *pi, mur_buf *b, int *guard)
{
	int rc = rowid_column(t), others = 0, has = 0;
	for (int i = 0; i < pi->nconflict; i++) {
		has |= pi->conflict_cols[i] == rc;
		others += pi->conflict_cols[i] != rc;
	}
	*guard = rc >= 0 && has && others;
	mur_buf_printf(b, " ON CONFLICT (");
	for (int i = 0; i < pi->nconflict; i++) {
		if (*guard && pi->conflict_cols[i] != rc)
			continue;
		mur_buf_printf(b, i && !*guard ? ", " : "");
		sql_emit_ident(b, t->cols[pi->conflict_cols[i]].name);
		if (*guard)
			break;
	}
	mur_buf_printf(b, ")");
}

static void conflict_guard(const cat_table *t, const plan_insert *pi, const char *alias, mur_buf *b)
{
	int rc = rowid_column(t);
	char msg[CAT_NAME_MAX + 64];
	const char *key;
	mur_buf_printf(b, " WHERE CASE WHEN mur_raise_if(NOT (1");
	for (int i = 0; i < pi->nconflict; i++) {
		const char *cn = t->cols[pi->conflict_cols[i]].name;
		if (pi->conflict_cols[i] == rc)
			continue;
		mur_buf_printf(b, " AND coalesce(");
		sql_emit_ident(b, alias);
		mur_buf_put_u8(b, '.');
		sql_emit_ident(b, cn);
		mur_buf_printf(b, " = excluded.");
		sql_emit_ident(b, cn);
		mur_buf_printf(b, ", 0)");
	}
	snprintf(msg, sizeof msg, "duplicate key value violates unique constraint \"%s_pkey\"",
		 t->name);
	mur_buf_printf(b, "), '23505', ");
	sql_emit_string(b, msg, strlen(msg));
	/* DETAIL as a plain INSERT's: "Key (id)=(7) already exists." */
	key = t->cols[rc].name;
	snprintf(msg, sizeof msg,
		 mur_ident_needs_quotes(key, strlen(key)) ? "Key (\"%s\")=(" : "Key (%s)=(", key);
	mur_buf_printf(b, ", ");
	sql_emit_string(b, msg, strlen(msg));
	mur_buf_printf(b, " || excluded.");
	sql_emit_ident(b, key);
	mur_buf_printf(b, " || ') already exists.') IS NULL THEN ");
}

/* " ON CONFLICT (cols) DO UPDATE SET ... [WHERE ...]": SET and WHERE see
 * the table (by its alias) and the proposed row as "excluded". */
static int conflict_update(sql_ctx *c, PgQuery__InsertStmt *s, plan_insert *pi, mur_buf *b)
{
	PgQuery__OnConflictClause *oc = s->on_conflict_clause;
	const cat_table *t = pi->table;
	sql_query *q = sql_alloc(c, sizeof *q);
	mur_buf w;
	int guard, rc;
	if (!q || sql_add_rte(c, q, t, insert_alias(s, t), s->relation->location) != MUR_OK ||
	    sql_add_rte(c, q, t, "excluded", oc->location) != MUR_OK)
		return MUR_ERR;
	conflict_columns(t, pi, b, &guard);
	mur_buf_printf(b, " DO UPDATE");
	if (update_set(c, q, oc->n_target_list, oc->target_list, 0, NULL, b) != MUR_OK)
		return MUR_ERR;
	if (!guard)
		return oc->where_clause ? update_where(c, q, oc->where_clause, b) : MUR_OK;
	conflict_guard(t, pi, insert_alias(s, t), b);
	if (!oc->where_clause) {
		mur_buf_printf(b, "1 END");
		return MUR_OK;
	}
	mur_buf_init(&w);
	rc = update_where(c, q, oc->where_clause, &w);
	if (rc == MUR_OK) /* " WHERE expr" → "(expr) END" */
		mur_buf_printf(b, "(%.*s) END", (int)w.len - 7, w.data + 7);
	mur_buf_free(&w);
	return rc;
}

/* " ON CONFLICT [(target)] DO NOTHING".  A target that needs the guard
 * (conflict_columns) is a DO UPDATE whose WHERE, after the guard, is
 * false: the stored row stays, as DO NOTHING's does. */
static void conflict_nothing(PgQuery__InsertStmt *s, const plan_insert *pi, mur_buf *b)
{
	int guard;
	if (!pi->nconflict) {
		mur_buf_printf(b, " ON CONFLICT DO NOTHING");
		return;
	}
	conflict_columns(pi->table, pi, b, &guard);
	if (!guard) {
		mur_buf_printf(b, " DO NOTHING");
		return;
	}
	mur_buf_printf(b, " DO UPDATE SET ");
	sql_emit_ident(b, pi->table->cols[rowid_column(pi->table)].name);
	mur_buf_printf(b, " = excluded.");
	sql_emit_ident(b, pi->table->cols[rowid_column(pi->table)].name);
	conflict_guard(pi->table, pi, insert_alias(s, pi->table), b);
	mur_buf_printf(b, "0 END");
}

int sql_plan_insert(sql_ctx *c, PgQuery__InsertStmt *s, plan *p)
{
	plan_insert *pi = &p->u.insert;
	insert_cols *ic = sql_alloc(c, sizeof *ic);
	PgQuery__SelectStmt *sel = s->select_stmt ? s->select_stmt->select_stmt : NULL;
	sql_query *scope;
	mur_buf b;
	int rc;
	p->kind = PLAN_INSERT;
	p->tag = "INSERT";
	if (!ic)
		return MUR_ERR;
	if (s->with_clause && (!sel || sel->n_values_lists))
		return sql_err(c, SQLSTATE_FEATURE_NOT_SUPPORTED, -1,
			       "murphy does not support WITH (common table expressions) before "
			       "INSERT ... VALUES yet");
	if (!(scope = single_table_scope(c, s->relation, "insert into", CAT_PRIV_INSERT)))
		return MUR_ERR;
	pi->table = scope->rtes[0].table;
	if (insert_columns(c, pi->table, s, ic) != MUR_OK)
		return MUR_ERR;
	if (s->on_conflict_clause &&
	    conflict_target(c, pi->table, s->on_conflict_clause, pi) != MUR_OK)
		return MUR_ERR;
	if (s->on_conflict_clause &&
	    s->on_conflict_clause->action == PG_QUERY__ON_CONFLICT_ACTION__ONCONFLICT_NOTHING)
		pi->on_conflict_nothing = 1;
	else if (s->on_conflict_clause &&
		 sql_fkey_upsert(c, pi->table, s->on_conflict_clause) != MUR_OK)
		return MUR_ERR;
	if (!s->n_cols && sel && sel->n_values_lists &&
	    (int)sel->values_lists[0]->list->n_items < ic->n)
		ic->n = (int)sel->values_lists[0]
				->list->n_items; /* PostgreSQL fills the first columns */
	ic->override = s->override;
	if (insert_fill(c, pi->table, ic, pi) != MUR_OK)
		return MUR_ERR;
	if (!sel || sel->n_values_lists)
		rc = insert_values(c, pi->table, ic, sel, pi);
	else
		rc = insert_select(c, pi->table, ic, !s->n_cols, s->with_clause, sel, pi);
	if (rc != MUR_OK)
		return rc;
	mur_buf_init(&b);
	sql_insert_shard_sql(pi->table, pi->nconflict ? insert_alias(s, pi->table) : NULL, &b);
	if (pi->on_conflict_nothing)
		conflict_nothing(s, pi, &b);
	else if (pi->nconflict && conflict_update(c, s, pi, &b) != MUR_OK) {
		mur_buf_free(&b);
		return MUR_ERR;
	}
	if (sql_plan_returning(c, scope, s->n_returning_list, s->returning_list, p, &b) != MUR_OK) {
		mur_buf_free(&b);
		return MUR_ERR;
	}
	pi->nreturning = p->nout;
	sql_failing_row_tag(pi->table, &b);
	return (pi->shard_sql = sql_buf_finish(c, &b)) ? MUR_OK : MUR_ERR;
}

/* ---- UPDATE / DELETE ---- */

/* " WHERE e" of an UPDATE / DELETE (bare column names) or of ON CONFLICT
 * DO UPDATE (qualified), checked boolean; *out: e (may be NULL). */
static int where_expr(sql_ctx *c, sql_query *q, PgQuery__Node *w, mur_buf *b, sql_expr **out)
{
	sql_emit em = {b, q, q->nrte == 1};
	sql_expr *e;
	c->q = q;
	c->agg_ok = 0;
	c->agg_where = "WHERE";
	e = sql_analyze_expr(c, w);
	if (!e || !(e = sql_coerce(c, e, MT_BOOL, NULL)))
		return MUR_ERR;
	if (e->type != MT_BOOL)
		return sql_err(c, SQLSTATE_DATATYPE_MISMATCH, e->loc,
			       "argument of WHERE must be type boolean, not type %s",
			       sql_type_name(e->type));
	mur_buf_printf(b, " WHERE ");
	sql_emit_expr(&em, e);
	*out = e;
	return MUR_OK;
}

static int update_where(sql_ctx *c, sql_query *q, PgQuery__Node *w, mur_buf *b)
{
	sql_expr *e;
	if (where_expr(c, q, w, b, &e) != MUR_OK)
		return MUR_ERR;
	return upsert_param_check(c, e);
}

static int modify_where(sql_ctx *c, sql_query *q, PgQuery__Node *w, plan_modify *pm, mur_buf *b)
{
	sql_expr *e = NULL;
	if (w && where_expr(c, q, w, b, &e) != MUR_OK)
		return MUR_ERR;
	return sql_find_prune(c, q, e, &pm->prune);
}

/* SET list of UPDATE (bare column names) or of ON CONFLICT DO UPDATE
 * (qualified: the table's alias or "excluded"). */
static int update_set(sql_ctx *c, sql_query *q, size_t n, PgQuery__Node **list, int bare,
		      const int *from_base, mur_buf *b)
{
	const cat_table *t = q->rtes[0].table;
	sql_emit em = {b, q, bare};
	for (size_t i = 0; i < n; i++) {
		PgQuery__ResTarget *rt = list[i]->res_target;
		int col = cat_column_index(t, rt->name);
		sql_expr *e;
		if (col < 0)
			return sql_err(c, SQLSTATE_UNDEFINED_COLUMN, rt->location,
				       "column \"%s\" of relation \"%s\" does not exist", rt->name,
				       t->name);
		if (rt->n_indirection)
			return sql_err(c, SQLSTATE_FEATURE_NOT_SUPPORTED, rt->location,
				       "murphy does not support subscripted UPDATE targets");
		if (t->cols[col].identity == CAT_IDENTITY_ALWAYS &&
		    rt->val->node_case != PG_QUERY__NODE__NODE_SET_TO_DEFAULT)
			return identity_always(c, &t->cols[col],
					       1); /* PostgreSQL checks it first */
		if (col == t->dist_col && !cat_table_is_reference(t)) { /* one shard: rows stay */
			sql_err(c, SQLSTATE_FEATURE_NOT_SUPPORTED, rt->location,
				"murphy cannot update the distribution column \"%s\" of \"%s\"",
				rt->name, t->name);
			mur_error_hint(c->err, "Delete the row and insert it with the new value.");
			return MUR_ERR;
		}
		c->q = q;
		if (!(e = value_for(c, rt->val, &t->cols[col], 0, 1)) ||
		    (!bare &&
		     param_check(c, e, from_base ? "UPDATE ... FROM" : "ON CONFLICT DO UPDATE") !=
			     MUR_OK))
			return MUR_ERR;
		if (from_base)
			from_params(q, from_base, e);
		mur_buf_printf(b, i ? ", " : " SET ");
		sql_emit_ident(b, t->cols[col].name);
		mur_buf_printf(b, " = ");
		sql_emit_expr(&em, e);
	}
	return MUR_OK;
}

static int plan_modify_common(sql_ctx *c, plan *p, PgQuery__RangeVar *rv, int is_delete,
			      PgQuery__UpdateStmt *u, PgQuery__Node *where, size_t nret,
			      PgQuery__Node **ret)
{
	plan_modify *pm = &p->u.modify;
	sql_query *q = single_table_scope(c, rv, is_delete ? "delete from" : "update",
					  is_delete ? CAT_PRIV_DELETE : CAT_PRIV_UPDATE);
	mur_buf b;
	int rc;
	p->kind = PLAN_MODIFY;
	p->tag = is_delete ? "DELETE" : "UPDATE";
	if (!q)
		return MUR_ERR;
	pm->table = q->rtes[0].table;
	pm->is_delete = is_delete;
	mur_buf_init(&b);
	mur_buf_printf(&b, is_delete ? "DELETE FROM main." : "UPDATE main.");
	sql_emit_ident(&b, pm->table->name);
	rc = u ? update_set(c, q, u->n_target_list, u->target_list, 1, NULL, &b) : MUR_OK;
	if (rc == MUR_OK)
		rc = modify_where(c, q, where, pm, &b);
	if (rc == MUR_OK)
		rc = sql_plan_returning(c, q, nret, ret, p, &b);
	if (rc != MUR_OK) {
		mur_buf_free(&b);
		return rc;
	}
	pm->nreturning = p->nout;
	if (!is_delete)
		sql_failing_row_tag(pm->table, &b);
	return (pm->shard_sql = sql_buf_finish(c, &b)) ? MUR_OK : MUR_ERR;
}

/* ---- UPDATE ... FROM / DELETE ... USING ----
 *
 * Two steps.  A SELECT over the target and the other tables (planned as any
 * join: co-located, with reference tables, or shuffled) finds the target
 * rows and brings, per match, the target's primary key and every column of
 * the other tables.  The leader routes those rows by the key's
 * distribution column, one row per key (the first match, as PostgreSQL
 * updates a row once), and each shard runs, per row,
 *
 *     UPDATE main."t" AS "t" SET ... WHERE "t"."k" = ?1 AND (cond)
 *
 * with the other tables' columns bound as ?n: SET and WHERE are evaluated
 * again on the row as it is then (PostgreSQL's READ COMMITTED recheck), so
 * a concurrent change to the target is neither lost nor overwritten, and a
 * row deleted meanwhile stays deleted.  The other tables are read once, in
 * the first step.
 */

static int is_sublink(const ProtobufCMessage *m, const void *arg)
{
	(void)arg;
	return m->descriptor == &pg_query__sub_link__descriptor;
}

/* UPDATE / DELETE without FROM / USING whose WHERE holds a subquery:
 * planned as the FROM form with no other table, its source `SELECT key
 * FROM t WHERE ...` running the subqueries first (as any SELECT's), then
 * each row found changed by its key.  As in the FROM form, the shard
 * statement tests WHERE again on the row it changes, but only its
 * conjuncts without a subquery (plain_conjuncts: the subqueries' values
 * are the source's, as PostgreSQL runs an uncorrelated one once) and
 * without a statement parameter. */
static int where_subqueries(const PgQuery__Node *where)
{
	return where && sql_tree_any((const ProtobufCMessage *)where, is_sublink, NULL);
}

#define PLAIN_CONJUNCTS_MAX 64

static void collect_plain(PgQuery__Node *w, PgQuery__Node **out, size_t *n)
{
	if (w->node_case == PG_QUERY__NODE__NODE_BOOL_EXPR &&
	    w->bool_expr->boolop == PG_QUERY__BOOL_EXPR_TYPE__AND_EXPR) {
		for (size_t i = 0; i < w->bool_expr->n_args; i++)
			collect_plain(w->bool_expr->args[i], out, n);
	} else if (!where_subqueries(w) && *n < PLAIN_CONJUNCTS_MAX) {
		out[(*n)++] = w;
	}
}

/* The top-level conjuncts of w without a subquery, ANDed (a tree in the
 * arena); NULL for none (or OOM, which the caller's analysis reports). */
static PgQuery__Node *plain_conjuncts(sql_ctx *c, PgQuery__Node *w)
{
	PgQuery__Node **args = sql_alloc(c, PLAIN_CONJUNCTS_MAX * sizeof *args);
	size_t k = 0;
	if (!w || !args)
		return NULL;
	collect_plain(w, args, &k);
	return sql_pt_and_list(c, args, k);
}

/* An SE_COLUMN of rte r >= 1 becomes the parameter holding it in a routed
 * row: base[r] + its position among r's visible columns + 1. */
static void from_params(const sql_query *q, const int *base, sql_expr *e)
{
	if (!e)
		return;
	if (e->kind == SE_COLUMN && e->rte >= 1) {
		const cat_table *u = q->rtes[e->rte].table;
		int pos = 0;
		for (int i = 0; i < e->col; i++)
			pos += !u->cols[i].hidden;
		e->kind = SE_PARAM;
		e->param = base[e->rte] + pos + 1;
		return;
	}
	for (int i = 0; i < e->nargs; i++)
		from_params(q, base, e->args[i]);
}

static PgQuery__Node *str_node(sql_ctx *c, const char *v)
{
	PgQuery__Node *n = sql_alloc(c, sizeof *n);
	PgQuery__String *st = sql_alloc(c, sizeof *st);
	if (!n || !st)
		return NULL;
	pg_query__node__init(n);
	pg_query__string__init(st);
	st->sval = (char *)v;
	n->node_case = PG_QUERY__NODE__NODE_STRING;
	n->string = st;
	return n;
}

PgQuery__Node *sql_col_target(sql_ctx *c, const char *rel, const char *col)
{
	PgQuery__Node *n = sql_alloc(c, sizeof *n), *cn = sql_alloc(c, sizeof *cn);
	PgQuery__Node **f = sql_alloc(c, sizeof *f * 2), *star = sql_alloc(c, sizeof *star);
	PgQuery__ResTarget *rt = sql_alloc(c, sizeof *rt);
	PgQuery__ColumnRef *cr = sql_alloc(c, sizeof *cr);
	PgQuery__AStar *as = sql_alloc(c, sizeof *as);
	if (!n || !cn || !f || !star || !rt || !cr || !as || !(f[0] = str_node(c, rel)))
		return NULL;
	pg_query__node__init(n);
	pg_query__node__init(cn);
	pg_query__node__init(star);
	pg_query__res_target__init(rt);
	pg_query__column_ref__init(cr);
	pg_query__a__star__init(as);
	star->node_case = PG_QUERY__NODE__NODE_A_STAR;
	star->a_star = as;
	if (!(f[1] = col ? str_node(c, col) : star))
		return NULL;
	cr->n_fields = 2;
	cr->fields = f;
	cr->location = -1;
	cn->node_case = PG_QUERY__NODE__NODE_COLUMN_REF;
	cn->column_ref = cr;
	rt->val = cn;
	rt->location = -1;
	n->node_case = PG_QUERY__NODE__NODE_RES_TARGET;
	n->res_target = rt;
	return n;
}

static int from_refused(sql_ctx *c, const char *what, const char *why, const char *hint)
{
	sql_err(c, SQLSTATE_FEATURE_NOT_SUPPORTED, -1, "murphy does not support %s %s", what, why);
	if (hint)
		mur_error_hint(c->err, "%s", hint);
	return MUR_ERR;
}

/* The first step: SELECT t.k..., u.*, ... FROM t, u, ... WHERE cond. */
static int from_source(sql_ctx *c, PgQuery__RangeVar *rv, const char *alias, size_t nfrom,
		       PgQuery__Node **from, PgQuery__Node *where, int with, plan_modify *pm)
{
	int saved_ok = c->subq_ok;
	PgQuery__SelectStmt *sel = sql_alloc(c, sizeof *sel);
	PgQuery__Node *rvn = sql_alloc(c, sizeof *rvn);
	size_t nt = (size_t)pm->nkey + nfrom;
	sql_query *q;
	if (!sel || !rvn)
		return MUR_ERR;
	pg_query__select_stmt__init(sel);
	pg_query__node__init(rvn);
	rvn->node_case = PG_QUERY__NODE__NODE_RANGE_VAR;
	rvn->range_var = rv;
	if (!(sel->target_list = sql_alloc(c, sizeof(PgQuery__Node *) * nt)) ||
	    !(sel->from_clause = sql_alloc(c, sizeof(PgQuery__Node *) * (nfrom + 1))))
		return MUR_ERR;
	for (int k = 0; k < pm->nkey; k++)
		if (!(sel->target_list[k] = sql_col_target(c, alias,
							   pm->table->cols[pm->key_cols[k]].name)))
			return MUR_ERR;
	sel->from_clause[0] = rvn;
	for (size_t i = 0; i < nfrom; i++) {
		PgQuery__RangeVar *u = from[i]->range_var;
		const char *ua = u->alias && u->alias->aliasname ? u->alias->aliasname : u->relname;
		sel->from_clause[i + 1] = from[i];
		if (!(sel->target_list[(size_t)pm->nkey + i] = sql_col_target(c, ua, NULL)))
			return MUR_ERR;
	}
	sel->n_target_list = nt;
	sel->n_from_clause = nfrom + 1;
	sel->where_clause = where;
	c->subq_ok |= with; /* its WITH queries run before the source */
	q = sql_analyze_select(c, sel);
	c->subq_ok = saved_ok;
	return q ? plan_source(c, q, &pm->source) : MUR_ERR;
}

/* The target's primary key (pm->key_cols); 0A000 when it has none. */
static int from_key(sql_ctx *c, const char *what, plan_modify *pm)
{
	const cat_table *t = pm->table;
	for (int i = 0; i < t->ncols; i++)
		if (t->cols[i].primary_key) {
			if (i == t->dist_col)
				pm->dist_key = pm->nkey;
			pm->key_cols[pm->nkey++] = i;
		}
	if (pm->nkey && (pm->dist_key >= 0 || cat_table_is_reference(t)))
		return MUR_OK;
	return from_refused(c, what, "on a table without a primary key",
			    "Add a primary key to the target table (it names each row to change).");
}

static int plan_modify_from(sql_ctx *c, plan *p, PgQuery__RangeVar *rv, PgQuery__UpdateStmt *u,
			    PgQuery__WithClause *with, size_t nfrom, PgQuery__Node **from,
			    PgQuery__Node *where, size_t nret, PgQuery__Node **ret)
{
	plan_modify *pm = &p->u.modify;
	int is_delete = u == NULL;
	/* no FROM / USING: a WHERE with subqueries (where_subqueries) */
	const char *what = nfrom == 0  ? (is_delete ? "DELETE with a subquery in WHERE"
						    : "UPDATE with a subquery in WHERE")
			   : is_delete ? "DELETE ... USING"
				       : "UPDATE ... FROM";
	sql_query *q = single_table_scope(c, rv, is_delete ? "delete from" : "update",
					  is_delete ? CAT_PRIV_DELETE : CAT_PRIV_UPDATE);
	int base[SQL_RTES_MAX] = {0};
	sql_expr *e = NULL;
	mur_buf b;
	int rc = MUR_OK;
	p->kind = PLAN_MODIFY;
	p->tag = is_delete ? "DELETE" : "UPDATE";
	if (!q)
		return MUR_ERR;
	pm->table = q->rtes[0].table;
	pm->is_delete = is_delete;
	pm->dist_key = -1;
	for (size_t i = 0; i < nfrom; i++)
		if (from[i]->node_case != PG_QUERY__NODE__NODE_RANGE_VAR)
			return from_refused(c, what, "with a subquery or join in its list yet",
					    "List the tables themselves and join them in WHERE.");
	if (from_key(c, what, pm) != MUR_OK)
		return MUR_ERR;
	base[1] = pm->nkey;
	for (size_t i = 0; i < nfrom; i++) {
		const cat_table *ut;
		/* a WITH query (pushed by the caller) is one table of its rows,
		 * run first (sql_from_cte), which the source joins */
		c->no_merge += with != NULL;
		c->subq_ok += with != NULL;
		rc = sql_analyze_from_table_for(c, q, from[i]->range_var, CAT_PRIV_SELECT);
		c->no_merge -= with != NULL;
		c->subq_ok -= with != NULL;
		if (rc != MUR_OK)
			return MUR_ERR;
		ut = q->rtes[q->nrte - 1].table;
		if (q->nrte >= SQL_RTES_MAX)
			return from_refused(c, what, "over so many tables", NULL);
		base[q->nrte] = base[q->nrte - 1];
		for (int k = 0; k < ut->ncols; k++)
			base[q->nrte] += !ut->cols[k].hidden;
	}
	if (from_source(c, rv, q->rtes[0].alias, nfrom, from, where, with != NULL || nfrom == 0,
			pm) != MUR_OK)
		return MUR_ERR;
	mur_buf_init(&b);
	mur_buf_printf(&b, is_delete ? "DELETE FROM main." : "UPDATE main.");
	sql_emit_ident(&b, pm->table->name);
	mur_buf_printf(&b, " AS ");
	sql_emit_ident(&b, q->rtes[0].alias);
	if (u)
		rc = update_set(c, q, u->n_target_list, u->target_list, 0, base, &b);
	for (int k = 0; k < pm->nkey && rc == MUR_OK; k++) {
		mur_buf_printf(&b, k ? " AND " : " WHERE ");
		sql_emit_ident(&b, q->rtes[0].alias);
		mur_buf_put_u8(&b, '.');
		sql_emit_ident(&b, pm->table->cols[pm->key_cols[k]].name);
		mur_buf_printf(&b, " = ?%d", k + 1);
	}
	if (rc == MUR_OK && !nfrom) /* its conjuncts without a subquery, checked again */
		where = plain_conjuncts(c, where);
	if (rc == MUR_OK && where) {
		mur_buf tail;
		mur_buf_init(&tail);
		rc = where_expr(c, q, where, &tail, &e);
		if (rc == MUR_OK && !nfrom && has_param(e)) {
			mur_buf_free(&tail); /* a statement parameter: not per row */
			goto returning;
		}
		if (rc == MUR_OK &&
		    (rc = param_check(c, e, "UPDATE ... FROM / DELETE ... USING")) == MUR_OK) {
			sql_emit em = {&b, q, 0};
			from_params(q, base, e);
			mur_buf_printf(&b, " AND ");
			sql_emit_expr(&em, e);
		}
		mur_buf_free(&tail);
	}
returning:
	if (rc == MUR_OK)
		rc = plan_returning(c, q, nret, ret, p, &b, base);
	if (rc != MUR_OK) {
		mur_buf_free(&b);
		return rc;
	}
	pm->nreturning = p->nout;
	pm->ncols = (uint32_t)base[q->nrte];
	if (!pm->is_delete)
		sql_failing_row_tag(pm->table, &b);
	return (pm->shard_sql = sql_buf_finish(c, &b)) ? MUR_OK : MUR_ERR;
}

/* WITH before UPDATE / DELETE: its queries are read in FROM / USING
 * (each a table of its rows run first, which the source joins); without
 * FROM / USING only a subquery could read them, which these statements
 * do not take: 0A000 naming WITH. */
static int modify_with(sql_ctx *c, PgQuery__WithClause *w, size_t nfrom, const PgQuery__Node *where,
		       const char *what, int *saved)
{
	int ok = c->subq_ok, rc;
	*saved = c->nctes;
	if (!w)
		return MUR_OK;
	if (!nfrom && !where_subqueries(where))
		return sql_err(c, SQLSTATE_FEATURE_NOT_SUPPORTED, -1,
			       "murphy does not support WITH (common table expressions) before "
			       "%s without %s or a subquery in WHERE yet",
			       what, !strcmp(what, "UPDATE") ? "FROM" : "USING");
	c->subq_ok = 1;
	rc = sql_with_push(c, w, saved);
	c->subq_ok = ok;
	return rc;
}

int sql_plan_update(sql_ctx *c, PgQuery__UpdateStmt *s, plan *p)
{
	int saved, rc;
	if (modify_with(c, s->with_clause, s->n_from_clause, s->where_clause, "UPDATE", &saved) !=
	    MUR_OK)
		return MUR_ERR;
	rc = s->n_from_clause || where_subqueries(s->where_clause)
		     ? plan_modify_from(c, p, s->relation, s, s->with_clause, s->n_from_clause,
					s->from_clause, s->where_clause, s->n_returning_list,
					s->returning_list)
		     : plan_modify_common(c, p, s->relation, 0, s, s->where_clause,
					  s->n_returning_list, s->returning_list);
	sql_with_pop(c, saved);
	return rc == MUR_OK ? sql_fkey_update(c, p, s) : rc;
}

int sql_plan_delete(sql_ctx *c, PgQuery__DeleteStmt *s, plan *p)
{
	int saved, rc;
	if (modify_with(c, s->with_clause, s->n_using_clause, s->where_clause, "DELETE", &saved) !=
	    MUR_OK)
		return MUR_ERR;
	rc = s->n_using_clause || where_subqueries(s->where_clause)
		     ? plan_modify_from(c, p, s->relation, NULL, s->with_clause, s->n_using_clause,
					s->using_clause, s->where_clause, s->n_returning_list,
					s->returning_list)
		     : plan_modify_common(c, p, s->relation, 1, NULL, s->where_clause,
					  s->n_returning_list, s->returning_list);
	sql_with_pop(c, saved);
	return rc == MUR_OK ? sql_fkey_delete(c, p) : rc;
}

int sql_table_value_expr(sql_ctx *c, PgQuery__RangeVar *rv, PgQuery__Node *n, const sql_query **q,
			 sql_expr **e)
{
	sql_query *sq = single_table_scope(c, rv, "alter", CAT_PRIV_UPDATE);
	int nparams = *c->nparams;
	if (!sq)
		return MUR_ERR;
	c->q = sq;
	c->agg_ok = 0;
	c->agg_where = "transform expressions";
	if (!(*e = sql_analyze_expr(c, n)))
		return MUR_ERR;
	if (*c->nparams != nparams || sq->nrte != 1)
		return sql_err(c, SQLSTATE_FEATURE_NOT_SUPPORTED, (*e)->loc,
			       "cannot use parameters or subqueries in transform expressions");
	*q = sq;
	return MUR_OK;
}

int sql_check_expr(sql_ctx *c, const cat_table *t, PgQuery__Node *w, mur_buf *b)
{
	sql_query *q = sql_alloc(c, sizeof *q);
	int nparams = *c->nparams;
	sql_expr *e;
	mur_buf tmp;
	if (!q || sql_add_rte(c, q, t, t->name, -1) != MUR_OK)
		return MUR_ERR;
	mur_buf_init(&tmp);
	if (where_expr(c, q, w, &tmp, &e) != MUR_OK) {
		mur_buf_free(&tmp);
		return MUR_ERR;
	}
	if (*c->nparams != nparams || q->nrte != 1) {
		mur_buf_free(&tmp);
		return sql_err(c, SQLSTATE_FEATURE_NOT_SUPPORTED, e->loc,
			       "cannot use parameters or subqueries in check constraints");
	}
	/* tmp is " WHERE expr" */
	mur_buf_put(b, tmp.data + 7, tmp.len - 7);
	mur_buf_free(&tmp);
	return MUR_OK;
}
